#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gm_err_clear(gm_err *err)
{
    if (!err)
        return;
    err->code = GM_OK;
    err->where[0] = '\0';
    err->what[0] = '\0';
}

/* Keep a record on one line: control characters become spaces. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

/* Copy with truncation (snprintf would draw -Wformat-truncation at -O2). */
static void set_where(gm_err *err, const char *where)
{
    /* a loop rather than strnlen: with link-time optimisation GCC sees a
       short where[] and warns that the bound exceeds it */
    size_t n = 0;
    while (where && n < sizeof err->where - 1 && where[n])
        n++;
    if (n)
        memcpy(err->where, where, n);
    err->where[n] = '\0';
    one_line(err->where);
}

int gm_err_vset(gm_err *err, int code, const char *where, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    set_where(err, where);
    vsnprintf(err->what, sizeof err->what, fmt, ap);
    one_line(err->what);
    return code;
}

int gm_err_set(gm_err *err, int code, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

int gm_err_errno(gm_err *err, int code, int errnum, const char *where, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    set_where(err, where);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->what, sizeof err->what, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof err->what)
        snprintf(err->what + n, sizeof err->what - (size_t)n, ": %s", strerror(errnum));
    one_line(err->what);
    return code;
}

int gm_err_prefix(gm_err *err, const char *fmt, ...)
{
    if (!err)
        return GM_OK;
    char outer[GM_ERR_WHERE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(outer, sizeof outer, fmt, ap);
    va_end(ap);
    char joined[2 * GM_ERR_WHERE_MAX + 2]; /* truncated by set_where */
    if (err->where[0])
        snprintf(joined, sizeof joined, "%s: %s", outer, err->where);
    else
        snprintf(joined, sizeof joined, "%s", outer);
    set_where(err, joined);
    return err->code;
}

const char *gm_err_format(const gm_err *err, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    if (!err || err->code == GM_OK)
        snprintf(buf, n, "no error");
    else if (err->where[0] && err->what[0])
        snprintf(buf, n, "%s: %s", err->where, err->what);
    else if (err->what[0])
        snprintf(buf, n, "%s", err->what);
    else
        snprintf(buf, n, "%s%s%s", err->where, err->where[0] ? ": " : "",
                 gm_strerror(err->code));
    return buf;
}

const char *gm_strerror(int code)
{
    switch (code) {
    case GM_OK: return "ok";
    case GM_EINVAL: return "invalid";
    case GM_ENOMEM: return "out of memory";
    case GM_EIO: return "i/o error";
    case GM_ENOENT: return "not found";
    case GM_EEXIST: return "already exists";
    case GM_ERANGE: return "out of range";
    case GM_EPARSE: return "syntax error";
    case GM_ELIMIT: return "limit exceeded";
    case GM_ECONFLICT: return "conflict";
    case GM_EAGAIN: return "try again";
    case GM_ESHUTDOWN: return "shutting down";
    case GM_EUNSUPPORTED: return "unsupported";
    case GM_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}
