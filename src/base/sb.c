#include "base/sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/err.h"

void gm_sb_init(gm_sb *sb)
{
    *sb = GM_SB_INIT;
}

void gm_sb_free(gm_sb *sb)
{
    free(sb->buf);
    *sb = GM_SB_INIT;
}

void gm_sb_set_limit(gm_sb *sb, size_t limit)
{
    sb->limit = limit;
}

/* Make room for extra more bytes plus the NUL. */
static int grow(gm_sb *sb, size_t extra)
{
    if (sb->err)
        return sb->err;
    size_t need;
    if (gm_size_add(sb->len, extra, &need) != GM_OK)
        return sb->err = GM_ERANGE;
    if (sb->limit && need > sb->limit)
        return sb->err = GM_ELIMIT;
    if (gm_size_add(need, 1, &need) != GM_OK)
        return sb->err = GM_ERANGE;
    if (need <= sb->cap)
        return GM_OK;
    size_t cap = sb->cap < 64 ? 64 : sb->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(sb->buf, cap);
    if (!p)
        return sb->err = GM_ENOMEM;
    sb->buf = p;
    sb->cap = cap;
    return GM_OK;
}

int gm_sb_append_n(gm_sb *sb, const char *s, size_t n)
{
    int rc = grow(sb, n);
    if (rc != GM_OK)
        return rc;
    if (n)
        memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return GM_OK;
}

int gm_sb_append(gm_sb *sb, const char *s)
{
    return gm_sb_append_n(sb, s, strlen(s));
}

int gm_sb_append_char(gm_sb *sb, char c)
{
    return gm_sb_append_n(sb, &c, 1);
}

int gm_sb_vappendf(gm_sb *sb, const char *fmt, va_list ap)
{
    if (sb->err)
        return sb->err;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return sb->err = GM_EINVAL;
    int rc = grow(sb, (size_t)n);
    if (rc != GM_OK)
        return rc;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return GM_OK;
}

int gm_sb_appendf(gm_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gm_sb_vappendf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

int gm_sb_append_json_escaped(gm_sb *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = sb->len, run = 0;
    int rc = GM_OK;
    for (size_t i = 0; i < n && rc == GM_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            }
        }
        if (!esc)
            continue;
        /* the bytes before this one go as one run */
        rc = gm_sb_append_n(sb, s + run, i - run);
        if (rc == GM_OK)
            rc = gm_sb_append(sb, esc);
        run = i + 1;
    }
    if (rc == GM_OK)
        rc = gm_sb_append_n(sb, s + run, n - run);
    if (rc != GM_OK) {
        /* All or nothing: do not leave half an escaped string behind. */
        sb->len = start;
        if (sb->buf)
            sb->buf[start] = '\0';
    }
    return rc;
}

const char *gm_sb_str(const gm_sb *sb)
{
    return sb->buf ? sb->buf : "";
}

int gm_sb_error(const gm_sb *sb)
{
    return sb->err;
}

void gm_sb_reset(gm_sb *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
    sb->err = GM_OK;
}

void gm_sb_truncate(gm_sb *sb, size_t len)
{
    if (len < sb->len) {
        sb->len = len;
        sb->buf[len] = '\0';
    }
}

char *gm_sb_take(gm_sb *sb)
{
    if (sb->err)
        return NULL;
    char *p = sb->buf ? sb->buf : strdup("");
    *sb = GM_SB_INIT;
    return p;
}
