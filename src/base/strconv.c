#include "base/strconv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* strtoX skip leading space and accept a sign on unsigned input; refuse both. */
static int check_start(const char *s, const char *what, gm_err *err, int allow_sign)
{
    if (!s || !*s)
        return gm_err_set(err, GM_EINVAL, what, "expected a number, got an empty string");
    unsigned char c = (unsigned char)s[0];
    if (isdigit(c) || (allow_sign && (c == '-' || c == '+')) || (allow_sign == 2 && c == '.'))
        return GM_OK;
    return gm_err_set(err, GM_EINVAL, what, "expected %s, got '%.40s'",
                      allow_sign ? "a number" : "a non-negative integer", s);
}

int gm_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char *what,
                 gm_err *err)
{
    int rc = check_start(s, what, err, 1);
    if (rc)
        return rc;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s)
        return gm_err_set(err, GM_EINVAL, what, "expected an integer, got '%.40s'", s);
    if (errno == ERANGE || v < min || v > max)
        return gm_err_set(err, GM_ERANGE, what, "expected an integer in %lld..%lld, got %.40s",
                          (long long)min, (long long)max, s);
    *out = v;
    return GM_OK;
}

int gm_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *what,
                 gm_err *err)
{
    int rc = check_start(s, what, err, 0);
    if (rc)
        return rc;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || end == s)
        return gm_err_set(err, GM_EINVAL, what, "expected a non-negative integer, got '%.40s'", s);
    if (errno == ERANGE || v < min || v > max)
        return gm_err_set(err, GM_ERANGE, what, "expected an integer in %llu..%llu, got %.40s",
                          (unsigned long long)min, (unsigned long long)max, s);
    *out = v;
    return GM_OK;
}

int gm_parse_double(const char *s, double min, double max, double *out, const char *what,
                    gm_err *err)
{
    int rc = check_start(s, what, err, 2);
    if (rc)
        return rc;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    /* strtod also takes "nan", "inf" and hex floats; the first character check
       rules out the words, and hex needs an 'x' which we refuse here. */
    for (const char *p = s; p < end; p++)
        if (*p == 'x' || *p == 'X')
            end = (char *)(uintptr_t)s;
    if (*end || end == s || (!isfinite(v) && errno != ERANGE))
        return gm_err_set(err, GM_EINVAL, what, "expected a finite number, got '%.40s'", s);
    if (errno == ERANGE)
        return gm_err_set(err, GM_ERANGE, what, "number out of range: %.40s", s);
    if (v < min || v > max)
        return gm_err_set(err, GM_ERANGE, what, "expected a number in [%g, %g], got %.40s", min,
                          max, s);
    *out = v;
    return GM_OK;
}
