#include "base/json.h"

#include <errno.h>
#include <float.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/checked.h"

_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "gemel needs jansson with 64-bit integers");

const gm_json_limits gm_json_limits_default = {
    .max_bytes = (size_t)64 << 20,
    .max_depth = 64,
};

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

/* Decimal digits of u, at the end of buf[21]; returns the first. */
static char *u64_digits(uint64_t u, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return p;
}

int gm_json_write_int(gm_sb *sb, int64_t i)
{
    char buf[24], *end = buf + sizeof buf;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    char *p = u64_digits(u, end);
    if (i < 0)
        *--p = '-';
    return gm_sb_append_n(sb, p, (size_t)(end - p));
}

static int strip_zeros(const char *digits, int n)
{
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

/* Does the n-digit decimal q.10^(exp10 - n + 1), at distance dist from a
   (known to within a unit), lie inside the half gap g on its side? */
static bool reads_back(double a, uint64_t q, int n, int exp10, double dist, double g)
{
    if (dist + 1 < g * (1 - 1e-9))
        return true;
    if (dist - 1 > g * (1 + 1e-9))
        return false;
    char buf[48];
    snprintf(buf, sizeof buf, "%" PRIu64 "e%d", q, exp10 - n + 1);
    return strtod(buf, NULL) == a;
}

/*
 * Shortest decimal that reads back as a (finite, > 0): the fewest
 * significant digits, and of those the decimal nearest a (ties to an even
 * last digit), as Python's repr, JavaScript and Ryu choose.
 *
 * The decimals that read back as a are those inside the rounding interval
 * around a, which reaches half the gap to each neighbouring double (the gap
 * below a power of two is half the gap above). glibc's printf rounds exactly,
 * so "%.19e" gives a to 20 digits, X.10^(e-19) within half a unit. For a
 * length n the candidates are X cut down to n digits and the next n-digit
 * decimal up; their distances to a, in units of 10^(e-19), are known to
 * within a unit, and the half gaps g (at least 277 units) to within a
 * relative 1e-15, so "distance < g" is decided exactly except in a thin band
 * around g, where strtod (which also rounds exactly) decides. Shorter cuts
 * lie farther from a on each side, so the lengths are tried from 17 down
 * until neither candidate reads back; the last one that did is the answer.
 *
 * digits receives the significant digits without trailing zeros (at most 17,
 * not NUL-terminated); *exp10 the power of ten of the first digit
 * (a = d.ddd * 10^exp10). Returns the digit count.
 */
static int shortest_digits(double a, char *digits, int *exp10)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.19e", a);
    /* "d.ddd...e[+-]xx": X = hi.1000 + lo, hi the first 17 digits */
    uint64_t hi = 0, lo = 0;
    int nd = 0;
    const char *p = buf;
    for (; *p != 'e'; p++) {
        if (*p == '.')
            continue;
        if (nd++ < 17)
            hi = hi * 10 + (uint64_t)(*p - '0');
        else
            lo = lo * 10 + (uint64_t)(*p - '0');
    }
    int e = atoi(p + 1);
    int be;
    double frac = frexp(a, &be); /* a = frac.2^be, frac in [0.5, 1) */
    int ulp_exp = a < DBL_MIN ? -1074 : be - 53;
    /* half the gap above, 2^(ulp_exp-1), over the unit a / X */
    double g_up = ((double)hi * 1e3 + (double)lo) * ldexp(1.0, ulp_exp - 1 - be) / frac;
    double g_down = frac == 0.5 && a > DBL_MIN ? g_up / 2 : g_up;

    uint64_t best = hi, down = hi, rem = 0, cut = 1;
    int best_len = 17, best_e = e;
    for (int n = 17; n >= 1; n--) {
        /* down = X cut to n digits, rem.1000 + lo its distance below X */
        if (n < 17) {
            rem += (down % 10) * cut;
            down /= 10;
            cut *= 10;
        }
        double d_down = (double)rem * 1e3 + (double)lo;
        double d_up = (double)cut * 1e3 - d_down;
        /* the n-digit decimal above may carry into 10^n, one digit */
        uint64_t up = down + 1;
        int n_up = n, e_up = e;
        if (up * cut == 100000000000000000ULL) {
            up = 1, n_up = 1, e_up = e + 1;
        }
        bool ok_down = reads_back(a, down, n, e, d_down, g_down);
        bool ok_up = reads_back(a, up, n_up, e_up, d_up, g_up);
        if (!ok_down && !ok_up)
            break;
        if (ok_down && ok_up) /* the nearer; at equal distance the even one */
            ok_down = d_down < d_up || (d_down == d_up && !(down & 1));
        if (ok_down)
            best = down, best_len = n, best_e = e;
        else
            best = up, best_len = n_up, best_e = e_up;
    }
    char tmp[24], *end = tmp + sizeof tmp;
    memcpy(digits, u64_digits(best, end), (size_t)best_len);
    *exp10 = best_e;
    return strip_zeros(digits, best_len);
}

/* Lay out digits as Python's repr does: positional notation for exponents
   -4 to 15 ("0.0001", "1234567890123456.0"), else "1e+300", "2.5e-07". */
static size_t layout_real(char *out, bool neg, const char *digits, int n, int e)
{
    size_t k = 0;
    if (neg)
        out[k++] = '-';
    if (e >= -4 && e < 16) {
        if (e < 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int z = -1; z > e; z--)
                out[k++] = '0';
            memcpy(out + k, digits, (size_t)n);
            k += (size_t)n;
        } else {
            int whole = e + 1;
            for (int i = 0; i < whole; i++)
                out[k++] = i < n ? digits[i] : '0';
            out[k++] = '.';
            if (n > whole) {
                memcpy(out + k, digits + whole, (size_t)(n - whole));
                k += (size_t)(n - whole);
            } else {
                out[k++] = '0';
            }
        }
        return k;
    }
    out[k++] = digits[0];
    if (n > 1) {
        out[k++] = '.';
        memcpy(out + k, digits + 1, (size_t)(n - 1));
        k += (size_t)(n - 1);
    }
    int w = snprintf(out + k, 8, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    return k + (size_t)w;
}

/* The shortest text of finite x, at most 25 bytes (sign, 17 digits, point,
   "e-324"; positional forms are shorter), not NUL-terminated. */
static size_t format_real(char *out, double x)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(x);
    if (a == 0) {
        char zero = '0';
        return layout_real(out, signbit(x), &zero, 1, 0);
    }
    /* Fast path for what sensors and prices look like: x = m / 10^k with an
       integer m below 2^50, for the fewest fraction digits k. Powers of ten up
       to 10^22 and such m are exact doubles, so m / 10^k is the double nearest
       to the decimal m.10^-k: when it equals x, that decimal reads back as x.
       None is missed either: a decimal M.10^-k that reads back as a lies
       within a.10^k.2^-53 of the exact product P = a.10^k, and the rounded
       product is as close again, so below 2^50 both errors sum to under 1/4
       and the nearest integer to the rounded product is M. */
    if (a < 1e15 && a >= 1e-4) {
        for (int k = 0; k < 16; k++) {
            double pk = a * p10[k];
            if (pk >= 1125899906842624.0)
                break;
            uint64_t mi = (uint64_t)(pk + 0.5); /* pk + 0.5 is exact below 2^50 */
            double m = (double)mi;
            /* both errors are below pk.2^-52: a cheap test before the division */
            if (fabs(pk - m) > pk * 0x1p-51 || m / p10[k] != a)
                continue;
            char buf[24], *end = buf + sizeof buf;
            char *p = u64_digits(mi, end);
            int nd = (int)(end - p);
            return layout_real(out, signbit(x), p, strip_zeros(p, nd), nd - 1 - k);
        }
    }
    char digits[17];
    int e;
    int n = shortest_digits(a, digits, &e);
    return layout_real(out, signbit(x), digits, n, e);
}

int gm_json_write_real(gm_sb *sb, double x)
{
    if (!isfinite(x))
        return GM_EINVAL;
    char out[32];
    return gm_sb_append_n(sb, out, format_real(out, x));
}

#define WRITE_MAX_DEPTH 1024

static int write_value(gm_sb *sb, const json_t *v, int depth)
{
    if (depth > WRITE_MAX_DEPTH)
        return GM_ELIMIT;
    int rc = GM_OK;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        rc = gm_sb_append_char(sb, '{');
        const char *key;
        size_t klen;
        json_t *m;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, key, klen, m) {
            if (rc)
                break;
            if (!first)
                rc = gm_sb_append_char(sb, ',');
            first = false;
            if (!rc)
                rc = gm_sb_append_char(sb, '"');
            if (!rc)
                rc = gm_sb_append_json_escaped(sb, key, klen);
            if (!rc)
                rc = gm_sb_append_n(sb, "\":", 2);
            if (!rc)
                rc = write_value(sb, m, depth + 1);
        }
        return rc ? rc : gm_sb_append_char(sb, '}');
    }
    case JSON_ARRAY: {
        rc = gm_sb_append_char(sb, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = gm_sb_append_char(sb, ',');
            if (!rc)
                rc = write_value(sb, json_array_get(v, i), depth + 1);
        }
        return rc ? rc : gm_sb_append_char(sb, ']');
    }
    case JSON_STRING:
        rc = gm_sb_append_char(sb, '"');
        if (!rc)
            rc = gm_sb_append_json_escaped(sb, json_string_value(v), json_string_length(v));
        return rc ? rc : gm_sb_append_char(sb, '"');
    case JSON_INTEGER: return gm_json_write_int(sb, json_integer_value(v));
    case JSON_REAL: return gm_json_write_real(sb, json_real_value(v));
    case JSON_TRUE: return gm_sb_append_n(sb, "true", 4);
    case JSON_FALSE: return gm_sb_append_n(sb, "false", 5);
    case JSON_NULL: return gm_sb_append_n(sb, "null", 4);
    }
    return GM_EINVAL;
}

int gm_json_write(gm_sb *sb, const json_t *v)
{
    if (!v)
        return GM_EINVAL;
    if (sb->err)
        return sb->err;
    size_t start = sb->len;
    int rc = write_value(sb, v, 0);
    if (rc)
        gm_sb_truncate(sb, start);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* UTF-8 and positions                                                       */

/*
 * Length of the well-formed UTF-8 sequence at s, or 0. Follows RFC 3629 like
 * jansson does (no overlong forms, no surrogates, nothing above U+10FFFF), so
 * that the scan and the parser agree on what is valid.
 */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/*
 * 1-based line and column of byte offset off. Columns count code points (every
 * byte that is not a UTF-8 continuation byte), as jansson does, so a column
 * matches what an editor shows for non-ASCII text.
 */
static void line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int loc_err(gm_err *err, int code, const char *name, const char *buf, size_t off,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int loc_err(gm_err *err, int code, const char *name, const char *buf, size_t off,
                   const char *fmt, ...)
{
    if (!err)
        return code;
    size_t line, col;
    line_col(buf, off, &line, &col);
    char where[GM_ERR_WHERE_MAX];
    snprintf(where, sizeof where, "%s:%zu:%zu", name, line, col);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

/*
 * Copy at most n-1 bytes of src[0..len) into dst, cutting on a character
 * boundary, replacing bytes that are not valid UTF-8 with '?' and marking a
 * cut with "...". Messages end up in JSON API responses, which must be UTF-8.
 */
static void excerpt(char *dst, size_t n, const char *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len((const unsigned char *)src + i, len - i);
        size_t adv = k ? k : 1;
        bool last = i + adv >= len;
        /* Keep room for "..." unless this is the last character. */
        if (o + adv + (last ? 0 : 3) >= n) {
            if (o + 3 < n) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (k)
            memcpy(dst + o, src + i, k);
        else
            dst[o] = '?';
        o += adv;
        i += adv;
    }
    if (n)
        dst[o < n ? o : n - 1] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Pre-scan: depth limit and encoding errors, before jansson runs           */

enum { BAD_NONE, BAD_UTF8, BAD_CTRL_IN_STRING, BAD_CTRL };

typedef struct scan_result {
    bool too_deep;
    size_t deep_off; /* the bracket that opened level max_depth + 1 */
    int bad;         /* first encoding problem, BAD_* */
    size_t bad_off;
    unsigned bad_byte;
} scan_result;

static void note_bad(scan_result *r, int kind, size_t off, unsigned byte)
{
    if (r->bad != BAD_NONE)
        return;
    r->bad = kind;
    r->bad_off = off;
    r->bad_byte = byte;
}

/*
 * One pass over the input. The string state machine mirrors jansson's lexer
 * (a '"' outside a string opens one, a backslash inside escapes the next
 * character), so up to jansson's first error both agree on which brackets are
 * structural; past that point jansson stops anyway. Counting brackets this
 * way bounds jansson's recursion whatever the input.
 */
static void prescan(const char *buf, size_t len, size_t max_depth, scan_result *r)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t depth = 0;
    bool in_str = false, esc = false;

    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, len - i);
            if (k == 0) {
                note_bad(r, BAD_UTF8, i, c);
                k = 1;
            }
            esc = false;
            i += k;
            continue;
        }
        if (c < 0x20) {
            if (in_str)
                note_bad(r, BAD_CTRL_IN_STRING, i, c);
            else if (c != '\t' && c != '\n' && c != '\r')
                note_bad(r, BAD_CTRL, i, c);
        }
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                r->too_deep = true;
                r->deep_off = i;
                return;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        i++;
    }
}

static int report_bad(const scan_result *r, const char *buf, const char *name, gm_err *err)
{
    unsigned b = r->bad_byte;
    switch (r->bad) {
    case BAD_UTF8:
        return loc_err(err, GM_EPARSE, name, buf, r->bad_off, "invalid UTF-8 (byte 0x%02X)", b);
    case BAD_CTRL_IN_STRING:
        if (b == 0)
            return loc_err(err, GM_EPARSE, name, buf, r->bad_off,
                           "NUL byte in string (not allowed)");
        if (b == '\n')
            return loc_err(err, GM_EPARSE, name, buf, r->bad_off,
                           "unescaped newline in string (write \\n)");
        return loc_err(err, GM_EPARSE, name, buf, r->bad_off,
                       "unescaped control character U+%04X in string", b);
    default:
        if (b == 0)
            return loc_err(err, GM_EPARSE, name, buf, r->bad_off,
                           "NUL byte (not allowed in JSON text)");
        return loc_err(err, GM_EPARSE, name, buf, r->bad_off,
                       "unexpected control character U+%04X", b);
    }
}

/* ------------------------------------------------------------------------ */
/* jansson errors                                                            */

/*
 * Start of the token that contains byte off, by a rough lexer (strings with
 * escapes, single punctuation characters, runs of anything else). Used only
 * when jansson's message does not quote the token.
 */
static size_t token_start(const char *buf, size_t len, size_t off)
{
    size_t i = 0;
    while (i < len) {
        char c = buf[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        size_t start = i;
        if (c == '"') {
            for (i++; i < len; i++) {
                if (buf[i] == '\\' && i + 1 < len)
                    i++;
                else if (buf[i] == '"') {
                    i++;
                    break;
                }
            }
        } else if (strchr("[]{},:", c)) {
            i++;
        } else {
            while (i < len && !strchr(" \t\n\r[]{},:\"", buf[i]))
                i++;
        }
        if (off < i)
            return start;
    }
    return off;
}

/*
 * Where did jansson fail? jansson reports the position just past the last
 * character it read, and quotes the offending token in "near '...'" when the
 * token is short; we move back to the token's first character, which is where
 * a reader looks.
 */
static size_t jansson_error_offset(const char *buf, size_t len, const json_error_t *je)
{
    size_t end = (size_t)je->position;
    const char *t = je->text;
    size_t tl = strlen(t);
    static const char eof_tail[] = "near end of file";
    size_t el = sizeof eof_tail - 1;

    if (end > len)
        end = len;
    if (tl >= el && strcmp(t + tl - el, eof_tail) == 0)
        return end;
    if (tl > 0 && t[tl - 1] == '\'') {
        for (const char *p = strstr(t, " near '"); p; p = strstr(p + 1, " near '")) {
            const char *q = p + 7;
            if (q > t + tl - 1)
                break;
            size_t ql = (size_t)(t + tl - 1 - q);
            if (ql <= end && memcmp(buf + end - ql, q, ql) == 0)
                return end - ql;
        }
    }
    if (json_error_code(je) == json_error_invalid_utf8)
        return end;
    return end ? token_start(buf, len, end - 1) : 0;
}

static bool only_space(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
            return false;
    return true;
}

static int parse_error(const char *buf, size_t len, const char *name, const json_error_t *je,
                       const scan_result *sr, gm_err *err)
{
    enum json_error_code jc = json_error_code(je);
    int code = GM_EPARSE;
    char text[GM_ERR_WHAT_MAX];

    if (je->text[0] == '\0') {
        /* jansson fails without a message only when an allocation fails. */
        return gm_err_set(err, GM_ENOMEM, name, "out of memory while parsing");
    }
    if (jc == json_error_out_of_memory)
        code = GM_ENOMEM;
    else if (jc == json_error_stack_overflow)
        code = GM_ELIMIT;
    else if (jc == json_error_numeric_overflow)
        code = GM_ERANGE;

    /* Positions are ints in jansson: beyond INT_MAX they cannot be trusted. */
    if (je->line < 0 || je->position < 0 || len > (size_t)INT_MAX) {
        if (sr->bad != BAD_NONE)
            return report_bad(sr, buf, name, err);
        excerpt(text, sizeof text, je->text, strlen(je->text));
        return gm_err_set(err, code, name, "%s", text);
    }

    size_t end = (size_t)je->position <= len ? (size_t)je->position : len;
    size_t off = jansson_error_offset(buf, len, je);

    /* An encoding problem before or inside the failing token is the real
       cause, and the scan knows its exact byte. jansson stops just before a
       bad byte it complains about, so one at the stop position counts too
       when jansson's complaint is about encoding (otherwise, as in "[1,]" +
       bad byte, the ']' is the first error). */
    if (sr->bad != BAD_NONE) {
        bool about_encoding = jc == json_error_invalid_utf8 ||
                              strncmp(je->text, "control character", 17) == 0 ||
                              strncmp(je->text, "unexpected newline", 18) == 0;
        if (sr->bad_off <= off || sr->bad_off < end || (sr->bad_off == end && about_encoding))
            return report_bad(sr, buf, name, err);
    }
    if (jc == json_error_premature_end_of_input && only_space(buf, len))
        return loc_err(err, code, name, buf, len, "empty document (expected a JSON value)");

    switch (jc) {
    case json_error_duplicate_key:
        excerpt(text, 80, buf + off, end > off ? end - off : 0);
        return loc_err(err, code, name, buf, off, "duplicate object key %s", text);
    case json_error_null_character:
        return loc_err(err, code, name, buf, off,
                       "string contains \\u0000 (NUL characters are not allowed)");
    case json_error_null_byte_in_key:
        return loc_err(err, code, name, buf, off,
                       "object key contains \\u0000 (NUL characters are not allowed)");
    default:
        excerpt(text, sizeof text, je->text, strlen(je->text));
        return loc_err(err, code, name, buf, off, "%s", text);
    }
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

json_t *gm_json_load_str(const char *buf, size_t len, const gm_json_limits *lim,
                         const char *name, gm_err *err)
{
    if (!lim)
        lim = &gm_json_limits_default;
    if (!name)
        name = "<input>";
    if (!buf && len > 0) {
        gm_err_set(err, GM_EINVAL, name, "no input buffer");
        return NULL;
    }
    if (!buf)
        buf = "";
    if (lim->max_depth < 0) {
        gm_err_set(err, GM_EINVAL, name, "invalid limits: max_depth is %d", lim->max_depth);
        return NULL;
    }
    if (len > lim->max_bytes) {
        gm_err_set(err, GM_ELIMIT, name, "document is %zu bytes, larger than the limit of %zu",
                   len, lim->max_bytes);
        return NULL;
    }

    /* RFC 8259 lets a parser ignore a byte order mark; gemel is strict, and
       jansson's own message would quote the invisible mark. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        loc_err(err, GM_EPARSE, name, buf, 0,
                "UTF-8 byte order mark (BOM) is not allowed; save the document without it");
        return NULL;
    }

    scan_result sr;
    prescan(buf, len, (size_t)lim->max_depth, &sr);
    if (sr.too_deep) {
        loc_err(err, GM_ELIMIT, name, buf, sr.deep_off,
                "nesting deeper than %d levels of arrays and objects", lim->max_depth);
        return NULL;
    }

    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        parse_error(buf, len, name, &je, &sr, err);
        return NULL;
    }
    if (sr.bad != BAD_NONE) {
        /* jansson accepted something the scan rejects: stay strict. */
        json_decref(root);
        report_bad(&sr, buf, name, err);
        return NULL;
    }
    return root;
}

json_t *gm_json_load_file(const char *path, const gm_json_limits *lim, gm_err *err)
{
    json_t *root = NULL;
    char *data = NULL;
    int fd = -1;

    if (!lim)
        lim = &gm_json_limits_default;
    if (!path) {
        gm_err_set(err, GM_EINVAL, "", "no file name");
        return NULL;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        gm_err_errno(err, errno == ENOENT || errno == ENOTDIR ? GM_ENOENT : GM_EIO, errno, path,
                     "cannot open");
        goto fail;
    }

    /* Reading one byte more than the limit tells "at the limit" from "above"
       without trusting stat, which lies for pipes, /proc and growing files. */
    size_t cap;
    if (gm_size_add(lim->max_bytes, 1, &cap) != GM_OK)
        cap = SIZE_MAX;
    size_t alloc = 64 * 1024;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uintmax_t)st.st_size < SIZE_MAX)
        alloc = (size_t)st.st_size + 1;
    if (alloc > cap)
        alloc = cap;
    data = malloc(alloc);
    if (!data) {
        gm_err_set(err, GM_ENOMEM, path, "out of memory reading %zu bytes", alloc);
        goto fail;
    }

    size_t used = 0;
    for (;;) {
        if (used == alloc) {
            if (alloc == cap)
                break;
            size_t grown;
            if (gm_size_mul(alloc, 2, &grown) != GM_OK || grown > cap)
                grown = cap;
            char *p = realloc(data, grown);
            if (!p) {
                gm_err_set(err, GM_ENOMEM, path, "out of memory reading %zu bytes", grown);
                goto fail;
            }
            data = p;
            alloc = grown;
        }
        ssize_t got = read(fd, data + used, alloc - used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            /* A directory given as a file is the user's mistake, not an I/O fault. */
            gm_err_errno(err, errno == EISDIR ? GM_EINVAL : GM_EIO, errno, path, "cannot read");
            goto fail;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    if (used > lim->max_bytes) {
        gm_err_set(err, GM_ELIMIT, path, "file is larger than the limit of %zu bytes",
                   lim->max_bytes);
        goto fail;
    }

    root = gm_json_load_str(data, used, lim, path, err);

fail:
    free(data);
    if (fd >= 0)
        close(fd);
    return root;
}

const char *gm_json_type_name(const json_t *v)
{
    if (!v)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                     */

/* Writes whole units (a character, an escape, "[12]") or nothing, so a
   truncated path never ends in half a character. */
typedef struct path_sink {
    char *out;
    size_t n;   /* > 0 */
    size_t len; /* < n */
    bool full;
} path_sink;

static void sink_put(path_sink *s, const char *p, size_t k)
{
    if (s->full)
        return;
    if (k >= s->n - s->len) {
        s->full = true;
        return;
    }
    memcpy(s->out + s->len, p, k);
    s->len += k;
    s->out[s->len] = '\0';
}

static void sink_start(path_sink *s, char *out, size_t n, const char *parent)
{
    size_t pl = parent ? strlen(parent) : 0;
    s->out = out;
    s->n = n;
    s->full = false;
    if (pl >= n) {
        pl = n - 1;
        while (pl > 0 && ((unsigned char)parent[pl] & 0xC0) == 0x80)
            pl--;
        s->full = true;
    }
    /* memmove: parent may be out itself. */
    if (pl)
        memmove(out, parent, pl);
    out[pl] = '\0';
    s->len = pl;
}

static bool ident_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$' ||
           c == '@';
}

static bool is_ident(const char *k)
{
    if (!ident_start((unsigned char)k[0]))
        return false;
    for (const char *p = k + 1; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!ident_start(c) && !(c >= '0' && c <= '9') && c != ':' && c != '-')
            return false;
    }
    return true;
}

int gm_json_path_key(char *out, size_t n, const char *parent, const char *key)
{
    if (!out || !key)
        return GM_EINVAL;
    if (n == 0)
        return GM_ELIMIT;
    path_sink s;
    sink_start(&s, out, n, parent);

    if (is_ident(key)) {
        if (s.len > 0)
            sink_put(&s, ".", 1);
        for (const char *p = key; *p; p++)
            sink_put(&s, p, 1);
        return s.full ? GM_ELIMIT : GM_OK;
    }

    sink_put(&s, "[\"", 2);
    const unsigned char *k = (const unsigned char *)key;
    size_t klen = strlen(key);
    for (size_t i = 0; i < klen;) {
        unsigned c = k[i];
        char esc[8];
        if (c >= 0x80) {
            size_t m = utf8_len(k + i, klen - i);
            if (m) {
                sink_put(&s, key + i, m);
                i += m;
            } else {
                sink_put(&s, "\\ufffd", 6);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': sink_put(&s, "\\\"", 2); break;
        case '\\': sink_put(&s, "\\\\", 2); break;
        case '\b': sink_put(&s, "\\b", 2); break;
        case '\f': sink_put(&s, "\\f", 2); break;
        case '\n': sink_put(&s, "\\n", 2); break;
        case '\r': sink_put(&s, "\\r", 2); break;
        case '\t': sink_put(&s, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                sink_put(&s, esc, 6);
            } else {
                sink_put(&s, key + i, 1);
            }
        }
        i++;
    }
    sink_put(&s, "\"]", 2);
    return s.full ? GM_ELIMIT : GM_OK;
}

int gm_json_path_index(char *out, size_t n, const char *parent, size_t index)
{
    if (!out)
        return GM_EINVAL;
    if (n == 0)
        return GM_ELIMIT;
    path_sink s;
    sink_start(&s, out, n, parent);
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "[%zu]", index);
    sink_put(&s, tmp, (size_t)k);
    return s.full ? GM_ELIMIT : GM_OK;
}

/* ------------------------------------------------------------------------ */
/* Unpacking                                                                 */

static const char *kind_name(gm_json_kind k)
{
    switch (k) {
    case GM_JK_STRING: return "string";
    case GM_JK_INT: return "integer";
    case GM_JK_NUMBER: return "number";
    case GM_JK_BOOL: return "boolean";
    case GM_JK_OBJECT: return "object";
    case GM_JK_ARRAY: return "array";
    case GM_JK_ANY: return "value";
    }
    return "?";
}

static bool kind_matches(gm_json_kind k, const json_t *v)
{
    switch (k) {
    case GM_JK_STRING: return json_is_string(v);
    case GM_JK_INT: return json_is_integer(v);
    case GM_JK_NUMBER: return json_is_number(v);
    case GM_JK_BOOL: return json_is_boolean(v);
    case GM_JK_OBJECT: return json_is_object(v);
    case GM_JK_ARRAY: return json_is_array(v);
    case GM_JK_ANY: return v != NULL;
    }
    return false;
}

/* Shortest text that reads back as d, with integers in the int64 range
   written out in full (a bound of -2^63 reads better as -9223372036854775808);
   with mark_real, integral values get ".0" so that 2.0 is not mistaken for the
   integer 2. */
static void fmt_double(char *buf, size_t n, double d, bool mark_real)
{
    if (d == floor(d) && fabs(d) <= 9223372036854775808.0) {
        snprintf(buf, n, mark_real ? "%.0f.0" : "%.0f", d);
    } else if (isfinite(d) && n > 25) {
        buf[format_real(buf, d)] = '\0';
    } else {
        snprintf(buf, n, "%g", d);
    }
}

/*
 * Compare an int64 with a double exactly: -1, 0, 1 as v <, ==, > b. Converting
 * v to double would round above 2^53 and let, say, 2^53+1 pass a bound of
 * 2^53. b must not be NaN.
 */
static int cmp_i64_double(int64_t v, double b)
{
    if (b >= 9223372036854775808.0) /* 2^63 */
        return -1;
    if (b < -9223372036854775808.0)
        return 1;
    /* Here -2^63 <= floor(b) < 2^63, so it converts exactly. */
    double fl = floor(b);
    int64_t f = (int64_t)fl;
    if (v < f)
        return -1;
    if (v > f)
        return 1; /* v >= floor(b) + 1 > b */
    return fl == b ? 0 : -1;
}

static bool int_in_bounds(int64_t v, const gm_json_field *f)
{
    if (f->flags & GM_JF_MIN) {
        int c = cmp_i64_double(v, f->min);
        if ((f->flags & GM_JF_MIN_EXCL) ? c <= 0 : c < 0)
            return false;
    }
    if ((f->flags & GM_JF_MAX) && cmp_i64_double(v, f->max) > 0)
        return false;
    return true;
}

static bool real_in_bounds(double v, const gm_json_field *f)
{
    if (f->flags & GM_JF_MIN) {
        if ((f->flags & GM_JF_MIN_EXCL) ? !(v > f->min) : !(v >= f->min))
            return false;
    }
    if ((f->flags & GM_JF_MAX) && !(v <= f->max))
        return false;
    return true;
}

/* ">= 1", "> 0", "<= 9", "in [1, 9]", "in (0, 9]" */
static void bound_text(char *buf, size_t n, const gm_json_field *f)
{
    char lo[40], hi[40];
    bool excl = (f->flags & GM_JF_MIN_EXCL) != 0;
    fmt_double(lo, sizeof lo, f->min, false);
    fmt_double(hi, sizeof hi, f->max, false);
    if ((f->flags & GM_JF_MIN) && (f->flags & GM_JF_MAX))
        snprintf(buf, n, "in %c%s, %s]", excl ? '(' : '[', lo, hi);
    else if (f->flags & GM_JF_MIN)
        snprintf(buf, n, "%s %s", excl ? ">" : ">=", lo);
    else
        snprintf(buf, n, "<= %s", hi);
}

static int field_err(gm_err *err, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int field_err(gm_err *err, const char *path, const char *key, const char *fmt, ...)
{
    if (!err)
        return GM_EINVAL;
    char where[GM_ERR_WHERE_MAX];
    gm_json_path_key(where, sizeof where, path, key); /* a truncated path still helps */
    char what[GM_ERR_WHAT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gm_err_set(err, GM_EINVAL, where, "%s", what);
}

static int check_table(const gm_json_field *fields, size_t nfields, unsigned flags,
                       const char *path, gm_err *err)
{
    const unsigned known =
        GM_JF_REQUIRED | GM_JF_NULLABLE | GM_JF_MIN | GM_JF_MAX | GM_JF_MIN_EXCL;

    if (flags & ~(unsigned)GM_JSON_ALLOW_EXTRA)
        return gm_err_set(err, GM_EINVAL, path, "invalid field table: unknown flags 0x%x",
                          flags);
    if (!fields && nfields > 0)
        return gm_err_set(err, GM_EINVAL, path, "invalid field table: NULL table");
    for (size_t i = 0; i < nfields; i++) {
        const gm_json_field *f = &fields[i];
        if (!f->key)
            return gm_err_set(err, GM_EINVAL, path, "invalid field table: entry %zu has no key",
                              i);
        if ((unsigned)f->kind > (unsigned)GM_JK_ANY)
            return field_err(err, path, f->key, "invalid field table: unknown kind %d",
                             (int)f->kind);
        if (f->flags & ~known)
            return field_err(err, path, f->key, "invalid field table: unknown flags 0x%x",
                             f->flags);
        if ((f->flags & (GM_JF_MIN | GM_JF_MAX)) &&
            (f->kind == GM_JK_BOOL || f->kind == GM_JK_ANY))
            return field_err(err, path, f->key, "invalid field table: bounds on a %s field",
                             kind_name(f->kind));
        if ((f->flags & GM_JF_MIN_EXCL) && !(f->flags & GM_JF_MIN))
            return field_err(err, path, f->key,
                             "invalid field table: GM_JF_MIN_EXCL without GM_JF_MIN");
        if (((f->flags & GM_JF_MIN) && isnan(f->min)) ||
            ((f->flags & GM_JF_MAX) && isnan(f->max)))
            return field_err(err, path, f->key, "invalid field table: NaN bound");
        for (size_t j = 0; j < i; j++)
            if (fields[j].key && strcmp(fields[j].key, f->key) == 0)
                return field_err(err, path, f->key, "invalid field table: key listed twice");
    }
    return GM_OK;
}

static const gm_json_field *find_field(const gm_json_field *fields, size_t nfields,
                                       const char *key, size_t klen)
{
    for (size_t i = 0; i < nfields; i++)
        if (strlen(fields[i].key) == klen && memcmp(fields[i].key, key, klen) == 0)
            return &fields[i];
    return NULL;
}

/* "unknown field; expected one of: a, b, c" with the keys in bytewise order,
   found by repeated selection so no allocation is needed. */
static void unknown_text(char *buf, size_t n, const gm_json_field *fields, size_t nfields)
{
    if (nfields == 0) {
        snprintf(buf, n, "unknown field; this object takes no fields");
        return;
    }
    size_t o = (size_t)snprintf(buf, n, "unknown field; expected one of: ");
    const char *last = NULL;
    for (size_t k = 0; k < nfields && o < n; k++) {
        const char *next = NULL;
        for (size_t j = 0; j < nfields; j++) {
            const char *key = fields[j].key;
            if ((!last || strcmp(key, last) > 0) && (!next || strcmp(key, next) < 0))
                next = key;
        }
        if (!next)
            break;
        int w = snprintf(buf + o, n - o, "%s%s", k ? ", " : "", next);
        if (w < 0 || (size_t)w >= n - o) {
            if (n > 4)
                memcpy(buf + n - 4, "...", 4);
            return;
        }
        o += (size_t)w;
        last = next;
    }
}

static int check_field(const gm_json_field *f, const json_t *v, const char *path, gm_err *err)
{
    const char *orn = (f->flags & GM_JF_NULLABLE) ? " or null" : "";
    const char *kn = kind_name(f->kind);
    char num[48], bound[96];

    if (!v) {
        if (f->flags & GM_JF_REQUIRED)
            return field_err(err, path, f->key, "missing required field (%s%s)", kn, orn);
        return GM_OK;
    }
    if (json_is_null(v)) {
        if (f->flags & GM_JF_NULLABLE)
            return GM_OK;
        if (f->kind == GM_JK_ANY)
            return field_err(err, path, f->key, "expected a value, got null");
        return field_err(err, path, f->key, "expected %s, got null", kn);
    }
    if (!kind_matches(f->kind, v)) {
        if (f->kind == GM_JK_INT && json_is_real(v)) {
            fmt_double(num, sizeof num, json_real_value(v), true);
            return field_err(err, path, f->key, "expected integer%s, got number %s", orn, num);
        }
        return field_err(err, path, f->key, "expected %s%s, got %s", kn, orn,
                         gm_json_type_name(v));
    }
    if (!(f->flags & (GM_JF_MIN | GM_JF_MAX)))
        return GM_OK;

    bound_text(bound, sizeof bound, f);
    switch (f->kind) {
    case GM_JK_INT:
    case GM_JK_NUMBER:
        if (json_is_integer(v)) {
            int64_t iv = json_integer_value(v);
            if (!int_in_bounds(iv, f))
                return field_err(err, path, f->key, "expected %s %s, got %" PRId64, kn, bound,
                                 iv);
        } else {
            double dv = json_real_value(v);
            if (!real_in_bounds(dv, f)) {
                fmt_double(num, sizeof num, dv, false);
                return field_err(err, path, f->key, "expected %s %s, got %s", kn, bound, num);
            }
        }
        return GM_OK;
    case GM_JK_STRING: {
        /* Length in code points: what a person counts, independent of how
           many bytes each character takes. */
        const unsigned char *s = (const unsigned char *)json_string_value(v);
        size_t bytes = json_string_length(v), chars = 0;
        for (size_t i = 0; i < bytes; i++)
            chars += (s[i] & 0xC0) != 0x80;
        int64_t c64 = chars > (size_t)INT64_MAX ? INT64_MAX : (int64_t)chars;
        if (!int_in_bounds(c64, f))
            return field_err(err, path, f->key, "expected string of length %s, got length %zu",
                             bound, chars);
        return GM_OK;
    }
    case GM_JK_ARRAY:
    case GM_JK_OBJECT: {
        size_t size = f->kind == GM_JK_ARRAY ? json_array_size(v) : json_object_size(v);
        int64_t s64 = size > (size_t)INT64_MAX ? INT64_MAX : (int64_t)size;
        if (!int_in_bounds(s64, f))
            return field_err(err, path, f->key, "expected %s of size %s, got size %zu", kn,
                             bound, size);
        return GM_OK;
    }
    case GM_JK_BOOL:
    case GM_JK_ANY:
        break; /* rejected by check_table */
    }
    return GM_OK;
}

static void store_field(const gm_json_field *f, const json_t *v)
{
    bool has = v && !json_is_null(v);
    if (f->present)
        *f->present = has;
    if (!has || !f->out)
        return;
    switch (f->kind) {
    case GM_JK_STRING: *(const char **)f->out = json_string_value(v); break;
    case GM_JK_INT: *(int64_t *)f->out = json_integer_value(v); break;
    case GM_JK_NUMBER: *(double *)f->out = json_number_value(v); break;
    case GM_JK_BOOL: *(bool *)f->out = json_is_true(v); break;
    case GM_JK_OBJECT:
    case GM_JK_ARRAY:
    case GM_JK_ANY: *(const json_t **)f->out = v; break;
    }
}

int gm_json_unpack(const json_t *obj, const char *path, const gm_json_field *fields,
                   size_t nfields, unsigned flags, gm_err *err)
{
    if (!path)
        path = "";
    int rc = check_table(fields, nfields, flags, path, err);
    if (rc != GM_OK)
        return rc;
    if (!json_is_object(obj))
        return gm_err_set(err, GM_EINVAL, path, "expected object, got %s",
                          gm_json_type_name(obj));

    if (!(flags & GM_JSON_ALLOW_EXTRA)) {
        /* jansson's iterator API takes non-const pointers but does not modify
           the object. */
        json_t *o = (json_t *)obj;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
            const char *key = json_object_iter_key(it);
            if (!find_field(fields, nfields, key, json_object_iter_key_len(it))) {
                char what[GM_ERR_WHAT_MAX];
                unknown_text(what, sizeof what, fields, nfields);
                return field_err(err, path, key, "%s", what);
            }
        }
    }

    for (size_t i = 0; i < nfields; i++) {
        rc = check_field(&fields[i], json_object_get(obj, fields[i].key), path, err);
        if (rc != GM_OK)
            return rc;
    }
    /* Everything is valid: only now touch the caller's variables. */
    for (size_t i = 0; i < nfields; i++)
        store_field(&fields[i], json_object_get(obj, fields[i].key));
    return GM_OK;
}
