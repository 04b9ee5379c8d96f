#include "model/dtmi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SCHEME "dtmi:"
#define SCHEME_LEN 5

/* A DTMI may be 2048 characters and a message is one line: quote at most this much. */
#define SHOW_MAX 60

/* ASCII only on purpose: isalpha() depends on the locale, DTMIs do not. */
static bool is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_seg_char(char c)
{
    return is_letter(c) || is_digit(c) || c == '_';
}

/* printf arguments "%.*s%s" quoting the first n bytes of s, shortened with "...". */
#define SHOW(s, n) (int)((n) > SHOW_MAX ? SHOW_MAX : (n)), (s), ((n) > SHOW_MAX ? "..." : "")

/* Describe one offending character: printable ASCII as itself, anything else as a byte. */
static const char *show_char(char c, char *buf, size_t n)
{
    unsigned char u = (unsigned char)c;
    if (u > 0x20 && u < 0x7f)
        snprintf(buf, n, "'%c'", c);
    else
        snprintf(buf, n, "byte 0x%02x", u);
    return buf;
}

/* Record "DTMI '<s>': <detail>" as GM_EINVAL. */
static int fail(gm_err *err, const char *where, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(gm_err *err, const char *where, const char *s, const char *fmt, ...)
{
    if (!err)
        return GM_EINVAL;
    char detail[GM_ERR_WHAT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    size_t n = strnlen(s, SHOW_MAX + 1);
    return gm_err_set(err, GM_EINVAL, where, "DTMI '%.*s%s': %s", SHOW(s, n), detail);
}

/*
 * Read one version part at *pp: digits, first not '0', at most max_digits.
 * what names the part in messages ("version", "minor part of version"); ver
 * is the whole version, quoted in them.
 */
static int version_part(const char *s, const char *ver, const char **pp, int max_digits,
                        const char *what, long *out, const char *where, gm_err *err)
{
    const char *p = *pp;
    size_t vlen = strnlen(ver, SHOW_MAX + 1);
    if (!is_digit(*p)) {
        if (*p == '\0')
            return fail(err, where, s, "%s after '%c' is empty", what, p[-1]);
        char cb[16];
        return fail(err, where, s, "%s '%.*s%s' must start with a digit 1-9, not %s", what,
                    SHOW(ver, vlen), show_char(*p, cb, sizeof cb));
    }
    if (*p == '0')
        return fail(err, where, s, "%s '%.*s%s' must not start with 0", what, SHOW(ver, vlen));
    long v = 0;
    int digits = 0;
    for (; is_digit(*p); p++) {
        if (++digits > max_digits)
            return fail(err, where, s, "%s '%.*s%s' has more than %d digits", what,
                        SHOW(ver, vlen), max_digits);
        v = v * 10 + (*p - '0');
    }
    *out = v;
    *pp = p;
    return 0;
}

/* The whole grammar for DTDL `version`; fills *out only on success. */
static int parse(const char *s, int version, bool for_interface, const char *where,
                 gm_err *err, gm_dtmi_parts *out)
{
    if (!s)
        return gm_err_set(err, GM_EINVAL, where, "expected a DTMI string, got NULL");
    if (version != GM_DTDL_V2 && version != GM_DTDL_V3)
        return gm_err_set(err, GM_EINVAL, where, "unknown DTDL version %d (expected 2 or 3)",
                          version);
    if (strncmp(s, SCHEME, SCHEME_LEN) != 0)
        return fail(err, where, s, "must start with \"dtmi:\" (lowercase scheme)");

    const char *path = s + SCHEME_LEN;
    const char *p = path;
    for (size_t nseg = 1;; nseg++) {
        const char *seg = p;
        while (is_seg_char(*p))
            p++;
        size_t n = (size_t)(p - seg);
        if (*p != ':' && *p != ';' && *p != '\0') {
            /* Show the whole would-be segment so the user can find it. */
            size_t whole = strcspn(seg, ":;");
            char cb[16];
            return fail(err, where, s,
                        "segment '%.*s%s' contains %s; only ASCII letters, digits and '_' "
                        "are allowed",
                        SHOW(seg, whole), show_char(*p, cb, sizeof cb));
        }
        if (n == 0)
            return fail(err, where, s, "path segment %zu is empty", nseg);
        if (seg[0] == '_')
            return fail(err, where, s,
                        "segment '%.*s%s' must start with a letter (a leading '_' makes a "
                        "system DTMI, which DTDL models may not use)",
                        SHOW(seg, n));
        if (!is_letter(seg[0]))
            return fail(err, where, s, "segment '%.*s%s' must start with a letter",
                        SHOW(seg, n));
        if (seg[n - 1] == '_')
            return fail(err, where, s, "segment '%.*s%s' must not end with '_'", SHOW(seg, n));
        if (*p != ':')
            break;
        p++;
    }
    size_t path_len = (size_t)(p - path);

    long major = -1, minor = -1;
    if (*p == ';') {
        const char *ver = ++p;
        int rc = version_part(s, ver, &p, GM_DTMI_MAJOR_DIGITS, "version", &major, where, err);
        if (rc)
            return rc;
        size_t vlen = strnlen(ver, SHOW_MAX + 1);
        if (*p == '.' && version == GM_DTDL_V2)
            return fail(err, where, s,
                        "version '%.*s%s' must be a single integer in DTDL v2 (two-part "
                        "versions need DTDL v3)",
                        SHOW(ver, vlen));
        if (*p == '.') {
            p++;
            rc = version_part(s, ver, &p, GM_DTMI_MINOR_DIGITS, "minor part of version",
                              &minor, where, err);
            if (rc)
                return rc;
        }
        if (*p != '\0') {
            char cb[16];
            return fail(err, where, s, "version '%.*s%s' contains %s; version must be %s",
                        SHOW(ver, vlen), show_char(*p, cb, sizeof cb),
                        version == GM_DTDL_V2 ? "an integer (DTDL v2)"
                                              : "MAJOR or MAJOR.MINOR, digits only");
        }
    } else if (version == GM_DTDL_V2) {
        return fail(err, where, s, "version is required in DTDL v2 (e.g. ';1' at the end)");
    }

    /* The grammar admits ASCII only, so bytes are characters here. */
    size_t len = (size_t)(p - s);
    size_t limit = for_interface ? GM_DTMI_INTERFACE_MAX_LEN : GM_DTMI_MAX_LEN;
    if (len > limit)
        return fail(err, where, s, "%zu characters, longer than %zu characters (the limit for %s)",
                    len, limit, for_interface ? "an Interface @id" : "a DTMI");

    out->path = path;
    out->path_len = path_len;
    out->major = major;
    out->minor = minor;
    return 0;
}

int gm_dtmi_check(const char *s, int version, bool for_interface, const char *where, gm_err *err)
{
    gm_dtmi_parts parts;
    return parse(s, version, for_interface, where, err, &parts);
}

int gm_dtmi_split(const char *s, gm_dtmi_parts *out)
{
    if (!out)
        return GM_EINVAL;
    gm_dtmi_parts parts;
    int rc = parse(s, GM_DTDL_V3, false, NULL, NULL, &parts);
    if (rc)
        return rc;
    *out = parts;
    return 0;
}

bool gm_dtmi_segment(const char *s)
{
    if (!s || !is_letter(s[0]))
        return false;
    size_t i = 1;
    while (is_seg_char(s[i]))
        i++;
    return s[i] == '\0' && s[i - 1] != '_';
}

bool gm_dtmi_reserved(const char *s)
{
    static const char *const prefixes[] = {"dtmi:dtdl:", "dtmi:standard:"};
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}
