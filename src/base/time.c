#include "base/time.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define NS_PER_SEC INT64_C(1000000000)
#define SEC_PER_DAY INT64_C(86400)

/*
 * The calendar arithmetic counts days from 0001-01-01 because there the
 * Gregorian cycles line up neatly: each 400-year cycle is three 100-year
 * centuries of 36524 days followed by one of 36525 (the year divisible by 400
 * is the last), each century is 4-year groups of 1461 days whose last group
 * may be one day short, and each group is three 365-day years and then the
 * (possibly) leap year. So every sub-cycle ends with its long member, and
 * integer division only needs clamping at the very last day.
 */
#define DAYS_PER_400Y INT64_C(146097)
#define DAYS_PER_100Y INT64_C(36524)
#define DAYS_PER_4Y INT64_C(1461)
#define DAYS_PER_Y INT64_C(365)
#define DAYS_0001_TO_1970 INT64_C(719162)

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* Days in the year before the first of each month, in a common year. */
static const int days_before_month[13] = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365,
};

static const int32_t pow10_i32[10] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

/* C division truncates toward zero; instants before 1970 need floor so that
 * -1 ns is the last nanosecond of 1969, not a negative time of day. b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b < 0)
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
    int d = days_before_month[m] - days_before_month[m - 1];
    return (m == 2 && is_leap(y)) ? d + 1 : d;
}

/* Days from 1970-01-01 to y-m-d; m and d already validated. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t py = y - 1; /* whole years before y, counted from year 1 */
    int64_t days = py * DAYS_PER_Y + floor_div(py, 4) - floor_div(py, 100) + floor_div(py, 400);
    days += days_before_month[m - 1] + ((m > 2 && is_leap(y)) ? 1 : 0) + d - 1;
    return days - DAYS_0001_TO_1970;
}

static void civil_from_days(int64_t days, gm_time_civil *out)
{
    int64_t n = days + DAYS_0001_TO_1970;
    int64_t q400 = floor_div(n, DAYS_PER_400Y);
    int64_t r = n - q400 * DAYS_PER_400Y;
    int64_t q100 = r / DAYS_PER_100Y;
    if (q100 == 4) /* 31 December of a year divisible by 400 */
        q100 = 3;
    r -= q100 * DAYS_PER_100Y;
    int64_t q4 = r / DAYS_PER_4Y;
    r -= q4 * DAYS_PER_4Y;
    int64_t q1 = r / DAYS_PER_Y;
    if (q1 == 4) /* 31 December of a leap year */
        q1 = 3;
    r -= q1 * DAYS_PER_Y;

    int64_t year = 1 + 400 * q400 + 100 * q100 + 4 * q4 + q1;
    int leap = is_leap(year) ? 1 : 0;
    int yday = (int)r;
    int m = 12;
    while (m > 1 && yday < days_before_month[m - 1] + (m > 2 ? leap : 0))
        m--;
    out->year = (int)year;
    out->month = m;
    out->day = yday - days_before_month[m - 1] - (m > 2 ? leap : 0) + 1;
    out->yday = yday;
    out->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
}

/*
 * Validated civil fields -> ns. Returns false when the instant does not fit.
 * The seconds count always fits (years 0..9999 are about ±3e11 s); only the
 * scaling to nanoseconds can overflow.
 */
static bool civil_to_ns(int64_t y, int mo, int d, int h, int mi, int s, int nsec, int off,
                        int64_t *out)
{
    int64_t secs = days_from_civil(y, mo, d) * SEC_PER_DAY + (int64_t)h * 3600 +
                   (int64_t)mi * 60 + s - (int64_t)off * 60;
    int64_t frac = nsec;
    /* INT64_MIN is -9223372037 s + 145224192 ns, and -9223372037e9 alone
     * overflows: borrow a second so both parts have the same sign. */
    if (secs < 0 && frac > 0) {
        secs += 1;
        frac -= NS_PER_SEC;
    }
    int64_t t;
    if (__builtin_mul_overflow(secs, NS_PER_SEC, &t) || __builtin_add_overflow(t, frac, &t))
        return false;
    *out = t;
    return true;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    /* Both clocks are mandatory on Linux; failure would mean a bad clockid. */
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t gm_time_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

int gm_time_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

bool gm_time_deadline(int64_t ns, struct timespec *out)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return false;
    int64_t sec = (int64_t)now.tv_sec + ns / 1000000000;
    int64_t nsec = (int64_t)now.tv_nsec + ns % 1000000000;
    if (nsec >= 1000000000) {
        sec++;
        nsec -= 1000000000;
    }
    out->tv_sec = (time_t)sec;
    if ((int64_t)out->tv_sec != sec)
        return false; /* beyond time_t: as good as forever */
    out->tv_nsec = (long)nsec;
    return true;
}

int64_t gm_time_wall_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

int gm_time_to_civil(int64_t ns, int offset_min, gm_time_civil *out)
{
    if (!out || offset_min < -GM_TIME_OFFSET_MAX || offset_min > GM_TIME_OFFSET_MAX)
        return GM_EINVAL;
    int64_t sec = floor_div(ns, NS_PER_SEC);
    int64_t local = sec + (int64_t)offset_min * 60;
    int64_t sod = floor_mod(local, SEC_PER_DAY);
    civil_from_days(floor_div(local, SEC_PER_DAY), out);
    out->hour = (int)(sod / 3600);
    out->min = (int)(sod / 60 % 60);
    out->sec = (int)(sod % 60);
    out->nsec = (int)floor_mod(ns, NS_PER_SEC);
    out->offset_min = offset_min;
    return GM_OK;
}

/* ---- errors and field checks shared by gm_time_from_civil and the parser ---- */

/*
 * Where an error is: a field name (gm_time_from_civil) or, when field is NULL,
 * a byte offset in the text (the parser). Kept unformatted so that a
 * successful parse never pays for snprintf.
 */
typedef struct loc {
    const char *field;
    size_t pos;
} loc;

#define AT_FIELD(name) ((loc){ .field = (name), .pos = 0 })
#define AT_OFFSET(offset) ((loc){ .field = NULL, .pos = (offset) })

static int fail(gm_err *err, int code, loc at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(gm_err *err, int code, loc at, const char *fmt, ...)
{
    if (!err)
        return code;
    char where[32];
    if (at.field)
        snprintf(where, sizeof where, "%s", at.field);
    else
        snprintf(where, sizeof where, "offset %zu", at.pos);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

static int check_range(gm_err *err, loc at, const char *name, int v, int lo, int hi)
{
    if (v >= lo && v <= hi)
        return GM_OK;
    return fail(err, GM_EINVAL, at, "%s %d out of range %d..%d", name, v, lo, hi);
}

/* month must already be valid. */
static int check_day(gm_err *err, loc at, int year, int month, int day)
{
    int rc = check_range(err, at, "day", day, 1, 31);
    if (rc)
        return rc;
    if (day > days_in_month(year, month))
        return fail(err, GM_EINVAL, at, "day %d does not exist in %s %d", day,
                    month_names[month - 1], year);
    return GM_OK;
}

static int check_second(gm_err *err, loc at, int sec)
{
    if (sec == 60)
        return fail(err, GM_EUNSUPPORTED, at,
                    "second 60 is a leap second; leap seconds are not supported");
    return check_range(err, at, "second", sec, 0, 59);
}

static int out_of_range(gm_err *err, loc at)
{
    return fail(err, GM_ERANGE, at,
                "date-time out of range: supported are " GM_TIME_MIN_TEXT " .. " GM_TIME_MAX_TEXT
                " (int64 nanoseconds since 1970)");
}

int gm_time_from_civil(const gm_time_civil *c, int64_t *out_ns, gm_err *err)
{
    if (!c || !out_ns)
        return gm_err_set(err, GM_EINVAL, NULL, "gm_time_from_civil: NULL argument");
    int rc;
    if ((rc = check_range(err, AT_FIELD("year"), "year", c->year, 1, 9999)) ||
        (rc = check_range(err, AT_FIELD("month"), "month", c->month, 1, 12)) ||
        (rc = check_day(err, AT_FIELD("day"), c->year, c->month, c->day)) ||
        (rc = check_range(err, AT_FIELD("hour"), "hour", c->hour, 0, 23)) ||
        (rc = check_range(err, AT_FIELD("min"), "minute", c->min, 0, 59)) ||
        (rc = check_second(err, AT_FIELD("sec"), c->sec)) ||
        (rc = check_range(err, AT_FIELD("nsec"), "nsec", c->nsec, 0, 999999999)) ||
        (rc = check_range(err, AT_FIELD("offset_min"), "offset_min", c->offset_min,
                          -GM_TIME_OFFSET_MAX, GM_TIME_OFFSET_MAX)))
        return rc;
    if (!civil_to_ns(c->year, c->month, c->day, c->hour, c->min, c->sec, c->nsec,
                     c->offset_min, out_ns))
        return out_of_range(err, AT_FIELD(""));
    return GM_OK;
}

/* ---- RFC 3339 parsing ---- */

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    gm_err *err;
} parser;

/* Input is untrusted: show a byte so that control characters and non-ASCII
 * cannot garble the one-line message. */
static const char *show_byte(unsigned char c, char *buf, size_t n)
{
    if (c >= 0x21 && c < 0x7f && c != '\'')
        snprintf(buf, n, "'%c'", c);
    else if (c == ' ')
        snprintf(buf, n, "a space");
    else
        snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

static int read_digits(parser *p, int count, const char *field, int *val)
{
    int v = 0;
    for (int i = 0; i < count; i++, p->pos++) {
        if (p->pos >= p->len)
            return fail(p->err, GM_EPARSE, AT_OFFSET(p->pos),
                        "unexpected end of input in %s, expected a digit", field);
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < '0' || c > '9') {
            char b[16];
            return fail(p->err, GM_EPARSE, AT_OFFSET(p->pos), "expected a digit in %s, got %s",
                        field, show_byte(c, b, sizeof b));
        }
        v = v * 10 + (c - '0');
    }
    *val = v;
    return GM_OK;
}

static int expect_char(parser *p, char want, const char *context)
{
    if (p->pos >= p->len)
        return fail(p->err, GM_EPARSE, AT_OFFSET(p->pos),
                    "unexpected end of input, expected '%c' %s", want, context);
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c != (unsigned char)want) {
        char b[16];
        return fail(p->err, GM_EPARSE, AT_OFFSET(p->pos), "expected '%c' %s, got %s", want,
                    context, show_byte(c, b, sizeof b));
    }
    p->pos++;
    return GM_OK;
}

int gm_time_parse_rfc3339(const char *s, size_t len, int64_t *out_ns, int *out_offset_min,
                          gm_err *err)
{
    if ((!s && len > 0) || !out_ns)
        return gm_err_set(err, GM_EINVAL, NULL, "gm_time_parse_rfc3339: NULL argument");
    parser p = { .s = s, .len = len, .pos = 0, .err = err };
    if (len == 0)
        return fail(err, GM_EPARSE, AT_OFFSET(0),
                    "empty string, expected an RFC 3339 date-time such as "
                    "2006-01-02T15:04:05Z");

    int rc;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    size_t at;

    if ((rc = read_digits(&p, 4, "year", &year)) || (rc = expect_char(&p, '-', "after year")))
        return rc;
    at = p.pos;
    if ((rc = read_digits(&p, 2, "month", &month)) ||
        (rc = check_range(err, AT_OFFSET(at), "month", month, 1, 12)) ||
        (rc = expect_char(&p, '-', "after month")))
        return rc;
    at = p.pos;
    if ((rc = read_digits(&p, 2, "day", &day)) ||
        (rc = check_day(err, AT_OFFSET(at), year, month, day)))
        return rc;

    if (p.pos >= len)
        return fail(err, GM_EPARSE, AT_OFFSET(p.pos),
                    "unexpected end of input, expected 'T' and a time after the date");
    char sep = s[p.pos];
    if (sep != 'T' && sep != 't' && sep != ' ') {
        char b[16];
        return fail(err, GM_EPARSE, AT_OFFSET(p.pos),
                    "expected 'T' between date and time, got %s",
                    show_byte((unsigned char)sep, b, sizeof b));
    }
    p.pos++;

    at = p.pos;
    if ((rc = read_digits(&p, 2, "hour", &hour)) ||
        (rc = check_range(err, AT_OFFSET(at), "hour", hour, 0, 23)) ||
        (rc = expect_char(&p, ':', "after hour")))
        return rc;
    at = p.pos;
    if ((rc = read_digits(&p, 2, "minute", &minute)) ||
        (rc = check_range(err, AT_OFFSET(at), "minute", minute, 0, 59)) ||
        (rc = expect_char(&p, ':', "after minute")))
        return rc;
    at = p.pos;
    if ((rc = read_digits(&p, 2, "second", &second)) ||
        (rc = check_second(err, AT_OFFSET(at), second)))
        return rc;

    int nsec = 0;
    if (p.pos < len && s[p.pos] == '.') {
        p.pos++;
        int first;
        if ((rc = read_digits(&p, 1, "fraction after '.'", &first)))
            return rc;
        nsec = first;
        int ndig = 1;
        /* Scan every digit (so the trailing-character check sees the end of
         * the fraction) but keep only nine: truncation, not rounding. */
        while (p.pos < len && s[p.pos] >= '0' && s[p.pos] <= '9') {
            if (ndig < 9) {
                nsec = nsec * 10 + (s[p.pos] - '0');
                ndig++;
            }
            p.pos++;
        }
        nsec *= pow10_i32[9 - ndig];
    }

    int offset = 0;
    if (p.pos >= len)
        return fail(err, GM_EPARSE, AT_OFFSET(p.pos),
                    "missing time offset (expected 'Z' or +hh:mm)");
    char oc = s[p.pos];
    if (oc == 'Z' || oc == 'z') {
        p.pos++;
    } else if (oc == '+' || oc == '-') {
        p.pos++;
        int oh = 0, om = 0;
        at = p.pos;
        if ((rc = read_digits(&p, 2, "offset hour", &oh)) ||
            (rc = check_range(err, AT_OFFSET(at), "offset hour", oh, 0, 23)) ||
            (rc = expect_char(&p, ':', "after offset hour")))
            return rc;
        at = p.pos;
        if ((rc = read_digits(&p, 2, "offset minute", &om)) ||
            (rc = check_range(err, AT_OFFSET(at), "offset minute", om, 0, 59)))
            return rc;
        offset = oh * 60 + om;
        if (oc == '-')
            offset = -offset;
    } else {
        char b[16];
        return fail(err, GM_EPARSE, AT_OFFSET(p.pos),
                    "expected time offset 'Z' or +hh:mm, got %s",
                    show_byte((unsigned char)oc, b, sizeof b));
    }

    if (p.pos < len)
        return fail(err, GM_EPARSE, AT_OFFSET(p.pos), "trailing characters after time");

    int64_t ns;
    if (!civil_to_ns(year, month, day, hour, minute, second, nsec, offset, &ns))
        return out_of_range(err, AT_OFFSET(0));
    *out_ns = ns;
    if (out_offset_min)
        *out_offset_min = offset;
    return GM_OK;
}

/* ---- RFC 3339 formatting ---- */

/* Write v (0 <= v < 10^width) as exactly width digits; returns the end. */
static char *put_digits(char *q, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        q[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return q + width;
}

int gm_time_format_rfc3339(int64_t ns, int offset_min, int frac_digits, char *buf, size_t n)
{
    if (!buf || offset_min < -GM_TIME_OFFSET_MAX || offset_min > GM_TIME_OFFSET_MAX ||
        frac_digits < GM_TIME_FRAC_AUTO || frac_digits > 9)
        return GM_EINVAL;
    gm_time_civil c;
    gm_time_to_civil(ns, offset_min, &c);

    int digits = frac_digits;
    if (digits == GM_TIME_FRAC_AUTO) {
        if (c.nsec == 0)
            digits = 0;
        else if (c.nsec % 1000000 == 0)
            digits = 3;
        else if (c.nsec % 1000 == 0)
            digits = 6;
        else
            digits = 9;
    }

    /* Build in a local buffer so a too-small buf is never partly written. */
    char tmp[GM_TIME_RFC3339_MAX];
    char *q = tmp;
    q = put_digits(q, c.year, 4);
    *q++ = '-';
    q = put_digits(q, c.month, 2);
    *q++ = '-';
    q = put_digits(q, c.day, 2);
    *q++ = 'T';
    q = put_digits(q, c.hour, 2);
    *q++ = ':';
    q = put_digits(q, c.min, 2);
    *q++ = ':';
    q = put_digits(q, c.sec, 2);
    if (digits > 0) {
        *q++ = '.';
        q = put_digits(q, c.nsec / pow10_i32[9 - digits], digits);
    }
    if (offset_min == 0) {
        *q++ = 'Z';
    } else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        *q++ = offset_min < 0 ? '-' : '+';
        q = put_digits(q, a / 60, 2);
        *q++ = ':';
        q = put_digits(q, a % 60, 2);
    }

    size_t len = (size_t)(q - tmp);
    if (len >= n) {
        if (n > 0)
            buf[0] = '\0';
        return GM_ERANGE;
    }
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return (int)len;
}

/* ---- other text forms: times of day, Java date-times, weekdays ---- */

/* n decimal digits at s; -1 when any is not a digit. */
static int digits_at(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "Z" or "+hh:mm"/"-hh:mm" at *p (advanced past it); false if neither. */
static bool offset_at(const char **p, int *off)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *off = 0;
        *p = s + 1;
        return true;
    }
    if ((*s != '+' && *s != '-') || strlen(s) < 6 || s[3] != ':')
        return false;
    int h = digits_at(s + 1, 2), m = digits_at(s + 4, 2);
    if (h < 0 || m < 0 || h > 23 || m > 59)
        return false;
    *off = (*s == '-' ? -1 : 1) * (h * 60 + m);
    *p = s + 6;
    return true;
}

int gm_time_parse_time_of_day(const char *s, bool allow_offset, int64_t *sec, bool *has_off,
                              int *off_min, gm_err *err)
{
    int h = digits_at(s, 2), m = h < 0 || s[2] != ':' ? -1 : digits_at(s + 3, 2), sc = 0;
    const char *p = s + 5;
    int64_t round = 0;
    bool off_given = false;
    int off = 0;
    if (h < 0 || m < 0 || h > 23 || m > 59)
        goto bad;
    if (*p == ':') {
        sc = digits_at(p + 1, 2);
        if (sc < 0 || sc > 59)
            goto bad;
        p += 3;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                goto bad;
            /* Whole seconds: round to the nearest, so that "23:59:59.999"
               ends the day. */
            round = *p >= '5';
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (allow_offset && *p) {
        if (!offset_at(&p, &off))
            goto bad;
        off_given = true;
    }
    if (*p)
        goto bad;
    *sec = (int64_t)h * 3600 + m * 60 + sc + round;
    *has_off = off_given;
    *off_min = off;
    return 0;
bad:
    return gm_err_set(err, GM_EINVAL, "", "expected a time HH:MM[:SS[.fff]]%s, got '%.40s'",
                      allow_offset ? "[+hh:mm]" : "", s);
}

int gm_time_parse_datetime(const char *s, int dflt_off, int64_t *ns, bool *has_off,
                           int *off_min, bool *region, gm_err *err)
{
    size_t len = strlen(s);
    if (len < 16 || digits_at(s, 4) < 0 || s[4] != '-' || digits_at(s + 5, 2) < 0 ||
        s[7] != '-' || digits_at(s + 8, 2) < 0 ||
        !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') || digits_at(s + 11, 2) < 0 ||
        s[13] != ':' || digits_at(s + 14, 2) < 0)
        return gm_err_set(err, GM_EPARSE, "",
                          "expected a date-time YYYY-MM-DDTHH:MM[:SS][offset], got '%.60s'", s);
    const char *p = s + 16, *secs = "00", *frac = "";
    int nfrac = 0;
    if (*p == ':') {
        if (digits_at(p + 1, 2) < 0)
            return gm_err_set(err, GM_EPARSE, "", "bad seconds in date-time '%.60s'", s);
        secs = p + 1;
        p += 3;
        if (*p == '.') {
            frac = p;
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
            nfrac = (int)(p - frac);
            if (nfrac < 2)
                return gm_err_set(err, GM_EPARSE, "", "bad fraction in date-time '%.60s'", s);
        }
    }
    bool off_given = false, reg = false;
    int off = dflt_off;
    if (*p && *p != '[') {
        if (!offset_at(&p, &off))
            return gm_err_set(err, GM_EPARSE, "",
                              "bad UTC offset in date-time '%.60s' (expected Z or +hh:mm)", s);
        off_given = true;
    }
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1])
            return gm_err_set(err, GM_EPARSE, "", "bad time-zone region in '%.60s'", s);
        if (!off_given)
            return gm_err_set(err, GM_EUNSUPPORTED, "",
                              "time-zone region without a UTC offset in '%.60s' is not "
                              "supported (gemel uses fixed offsets): give +hh:mm",
                              s);
        reg = true;
        p = close + 1;
    }
    if (*p)
        return gm_err_set(err, GM_EPARSE, "", "trailing characters in date-time '%.60s'", s);
    if (off < -GM_TIME_OFFSET_MAX || off > GM_TIME_OFFSET_MAX)
        return gm_err_set(err, GM_EINVAL, "", "UTC offset out of range");
    /* Re-written as RFC 3339 (seconds always, the offset explicit), whose
       parser checks every field. */
    char norm[96], offs[16];
    if (off == 0)
        snprintf(offs, sizeof offs, "Z");
    else
        snprintf(offs, sizeof offs, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                 abs(off) % 60);
    int n = snprintf(norm, sizeof norm, "%.16s:%.2s%.*s%s", s, secs, nfrac > 40 ? 40 : nfrac,
                     frac, offs);
    gm_err e;
    int64_t t;
    int rc = gm_time_parse_rfc3339(norm, (size_t)n, &t, NULL, &e);
    if (rc)
        return gm_err_set(err, rc, "", "date-time '%.60s': %s", s, e.what);
    *ns = t;
    *has_off = off_given;
    *off_min = off;
    *region = reg;
    return 0;
}

int gm_time_parse_weekday(const char *s, int *day, gm_err *err)
{
    static const char *const names[7] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                         "FRIDAY", "SATURDAY", "SUNDAY"};
    for (int i = 0; i < 7; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *day = i;
            return 0;
        }
    return gm_err_set(err, GM_EINVAL, "", "expected a day MONDAY..SUNDAY, got '%.40s'", s);
}
