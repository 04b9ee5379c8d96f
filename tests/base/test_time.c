#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/time.h"

#define NS INT64_C(1000000000)

/*
 * Parse from an exactly-sized heap copy with no NUL after it, so that ASan
 * reports any read past len.
 */
static int parse_n(const char *text, size_t len, int64_t *ns, int *off, gm_err *e)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    int rc = gm_time_parse_rfc3339(copy, len, ns, off, e);
    free(copy);
    return rc;
}

static int parse(const char *text, int64_t *ns, int *off, gm_err *e)
{
    return parse_n(text, strlen(text), ns, off, e);
}

static int64_t parse_ok(const char *text)
{
    int64_t ns = 0;
    gm_err e;
    gm_err_clear(&e);
    int rc = parse(text, &ns, NULL, &e);
    if (rc != GM_OK)
        fail_msg("parse(\"%s\") failed: %s: %s", text, e.where, e.what);
    return ns;
}

/* Format with enough room and check the returned length matches the text. */
static const char *fmt(int64_t ns, int off, int digits, char *buf)
{
    int n = gm_time_format_rfc3339(ns, off, digits, buf, GM_TIME_RFC3339_MAX);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    return buf;
}

/* splitmix64: a small deterministic generator, so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void test_known_instants(void **state)
{
    (void)state;
    char buf[GM_TIME_RFC3339_MAX];
    static const struct {
        int64_t ns;
        const char *text;
    } known[] = {
        { 0, "1970-01-01T00:00:00Z" },
        { INT64_C(951782400) * NS, "2000-02-29T00:00:00Z" },
        { -1, "1969-12-31T23:59:59.999999999Z" },
        { -NS, "1969-12-31T23:59:59Z" },
        { INT64_C(1234567890) * NS + 123456789, "2009-02-13T23:31:30.123456789Z" },
        { INT64_C(851042397) * NS, "1996-12-20T00:39:57Z" },
        { INT64_MAX, "2262-04-11T23:47:16.854775807Z" },
        { INT64_MIN, "1677-09-21T00:12:43.145224192Z" },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        assert_string_equal(fmt(known[i].ns, 0, GM_TIME_FRAC_AUTO, buf), known[i].text);
        assert_true(parse_ok(known[i].text) == known[i].ns);
    }
    assert_string_equal(GM_TIME_MIN_TEXT, known[7].text);
    assert_string_equal(GM_TIME_MAX_TEXT, known[6].text);
}

static void test_rfc_examples(void **state)
{
    (void)state;
    /* RFC 3339 section 5.8. */
    assert_true(parse_ok("1985-04-12T23:20:50.52Z") == INT64_C(482196050) * NS + 520000000);
    int off = 0;
    int64_t ns = 0;
    assert_int_equal(parse("1996-12-19T16:39:57-08:00", &ns, &off, NULL), GM_OK);
    assert_true(ns == parse_ok("1996-12-20T00:39:57Z"));
    assert_int_equal(off, -480);
    assert_true(parse_ok("1937-01-01T12:00:27.87+00:20") ==
                INT64_C(-1041337173) * NS + 870000000);
    assert_true(parse_ok("1937-01-01T12:00:27.87+00:20") ==
                parse_ok("1937-01-01T11:40:27.87Z"));
    /* The leap-second examples are valid RFC 3339 but not representable. */
    gm_err e;
    assert_int_equal(parse("1990-12-31T23:59:60Z", &ns, NULL, &e), GM_EUNSUPPORTED);
    assert_int_equal(parse("1990-12-31T15:59:60-08:00", &ns, NULL, &e), GM_EUNSUPPORTED);

    /* Formatting back at the written offset reproduces the text. */
    char buf[GM_TIME_RFC3339_MAX];
    assert_string_equal(fmt(parse_ok("1996-12-19T16:39:57-08:00"), -480, GM_TIME_FRAC_AUTO, buf),
                        "1996-12-19T16:39:57-08:00");
    assert_string_equal(fmt(parse_ok("1937-01-01T12:00:27.87+00:20"), 20, 2, buf),
                        "1937-01-01T12:00:27.87+00:20");
}

static void test_parse_variants(void **state)
{
    (void)state;
    int64_t base = parse_ok("2023-06-15T12:34:56Z");
    assert_true(parse_ok("2023-06-15t12:34:56z") == base);
    assert_true(parse_ok("2023-06-15 12:34:56Z") == base);
    assert_true(parse_ok("2023-06-15T12:34:56+00:00") == base);
    int off = 99;
    int64_t ns = 0;
    assert_int_equal(parse("2023-06-15T12:34:56-00:00", &ns, &off, NULL), GM_OK);
    assert_true(ns == base);
    assert_int_equal(off, 0);
    assert_int_equal(parse("2023-06-15T18:04:56+05:30", &ns, &off, NULL), GM_OK);
    assert_true(ns == base);
    assert_int_equal(off, 330);
    assert_int_equal(parse("2023-06-16T12:33:56+23:59", &ns, &off, NULL), GM_OK);
    assert_true(ns == base);
    assert_int_equal(off, 1439);
    assert_int_equal(parse("2023-06-14T12:35:56-23:59", &ns, &off, NULL), GM_OK);
    assert_true(ns == base);
    assert_int_equal(off, -1439);

    /* Fractions: any length, truncated after nine digits. */
    assert_true(parse_ok("2023-06-15T12:34:56.5Z") == base + 500000000);
    assert_true(parse_ok("2023-06-15T12:34:56.05Z") == base + 50000000);
    assert_true(parse_ok("2023-06-15T12:34:56.123456789123Z") == base + 123456789);
    assert_true(parse_ok("2023-06-15T12:34:56.999999999999999999999999Z") == base + 999999999);
    assert_true(parse_ok("2023-06-15T12:34:56.000000000Z") == base);
    assert_true(parse_ok("2023-06-15T12:34:56.000000001Z") == base + 1);
    assert_true(parse_ok("1969-12-31T23:59:59.5Z") == -500000000);

    /* A very long fraction is scanned, not stored. */
    size_t big = 100000;
    char *s = malloc(big + 32);
    assert_non_null(s);
    memcpy(s, "2023-06-15T12:34:56.", 20);
    memset(s + 20, '7', big);
    memcpy(s + 20 + big, "Z", 1);
    assert_int_equal(parse_n(s, 21 + big, &ns, NULL, NULL), GM_OK);
    assert_true(ns == base + 777777777);
    free(s);

    /* Only len bytes are read: what follows is ignored. */
    const char *longer = "2023-06-15T12:34:56Zgarbage";
    assert_int_equal(gm_time_parse_rfc3339(longer, 20, &ns, NULL, NULL), GM_OK);
    assert_true(ns == base);

    /* Outputs untouched on failure; NULL offset pointer allowed. */
    ns = 42;
    off = 42;
    assert_int_equal(parse("2023-06-15T12:34:56", &ns, &off, NULL), GM_EPARSE);
    assert_true(ns == 42);
    assert_int_equal(off, 42);
}

static void test_format_digits(void **state)
{
    (void)state;
    char buf[GM_TIME_RFC3339_MAX];
    int64_t t = INT64_C(1234567890) * NS + 987654321;
    static const char *const want[10] = {
        "2009-02-13T23:31:30Z",
        "2009-02-13T23:31:30.9Z",
        "2009-02-13T23:31:30.98Z",
        "2009-02-13T23:31:30.987Z",
        "2009-02-13T23:31:30.9876Z",
        "2009-02-13T23:31:30.98765Z",
        "2009-02-13T23:31:30.987654Z",
        "2009-02-13T23:31:30.9876543Z",
        "2009-02-13T23:31:30.98765432Z",
        "2009-02-13T23:31:30.987654321Z",
    };
    for (int d = 0; d <= 9; d++)
        assert_string_equal(fmt(t, 0, d, buf), want[d]);
    /* Truncation, not rounding, also before 1970 (toward the past). */
    assert_string_equal(fmt(-1, 0, 3, buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(fmt(-1, 0, 0, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(fmt(INT64_C(1234567890) * NS + 999999999, 0, 0, buf),
                        "2009-02-13T23:31:30Z");
    assert_string_equal(fmt(0, 0, 9, buf), "1970-01-01T00:00:00.000000000Z");

    /* AUTO picks 0, 3, 6 or 9 digits: the fewest that are exact. */
    int64_t s = INT64_C(1234567890) * NS;
    assert_string_equal(fmt(s, 0, GM_TIME_FRAC_AUTO, buf), "2009-02-13T23:31:30Z");
    assert_string_equal(fmt(s + 100000000, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.100Z");
    assert_string_equal(fmt(s + 123000000, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.123Z");
    assert_string_equal(fmt(s + 123456000, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.123456Z");
    assert_string_equal(fmt(s + 1000, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.000001Z");
    assert_string_equal(fmt(s + 1, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.000000001Z");
    assert_string_equal(fmt(s + 123456780, 0, GM_TIME_FRAC_AUTO, buf),
                        "2009-02-13T23:31:30.123456780Z");
    assert_string_equal(fmt(-1000000, 0, GM_TIME_FRAC_AUTO, buf), "1969-12-31T23:59:59.999Z");
}

static void test_format_offsets_and_errors(void **state)
{
    (void)state;
    char buf[GM_TIME_RFC3339_MAX];
    assert_string_equal(fmt(0, 330, GM_TIME_FRAC_AUTO, buf), "1970-01-01T05:30:00+05:30");
    assert_string_equal(fmt(0, -480, GM_TIME_FRAC_AUTO, buf), "1969-12-31T16:00:00-08:00");
    assert_string_equal(fmt(0, 1439, GM_TIME_FRAC_AUTO, buf), "1970-01-01T23:59:00+23:59");
    assert_string_equal(fmt(0, -1439, GM_TIME_FRAC_AUTO, buf), "1969-12-31T00:01:00-23:59");
    assert_string_equal(fmt(0, -1, GM_TIME_FRAC_AUTO, buf), "1969-12-31T23:59:00-00:01");
    /* The extremes at the extreme offsets still format (years 1677, 2262). */
    assert_string_equal(fmt(INT64_MAX, 1439, 9, buf), "2262-04-12T23:46:16.854775807+23:59");
    assert_string_equal(fmt(INT64_MIN, -1439, 9, buf), "1677-09-20T00:13:43.145224192-23:59");

    assert_int_equal(gm_time_format_rfc3339(0, 1440, 0, buf, sizeof buf), GM_EINVAL);
    assert_int_equal(gm_time_format_rfc3339(0, -1440, 0, buf, sizeof buf), GM_EINVAL);
    assert_int_equal(gm_time_format_rfc3339(0, 0, 10, buf, sizeof buf), GM_EINVAL);
    assert_int_equal(gm_time_format_rfc3339(0, 0, -2, buf, sizeof buf), GM_EINVAL);
    assert_int_equal(gm_time_format_rfc3339(0, 0, 0, NULL, 10), GM_EINVAL);

    /* Exactly fits (text + NUL) versus one byte short. */
    const char *want = "2262-04-12T23:46:16.854775807+23:59";
    size_t len = strlen(want);
    char small[64];
    memset(small, 'x', sizeof small);
    assert_int_equal(gm_time_format_rfc3339(INT64_MAX, 1439, 9, small, len), GM_ERANGE);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'x');
    assert_int_equal(gm_time_format_rfc3339(INT64_MAX, 1439, 9, small, 0), GM_ERANGE);
    assert_int_equal(gm_time_format_rfc3339(INT64_MAX, 1439, 9, small, len + 1), (int)len);
    assert_string_equal(small, want);
    assert_true(len + 1 <= GM_TIME_RFC3339_MAX);
}

static void test_round_trip_random(void **state)
{
    (void)state;
    uint64_t seed = 20240601;
    char buf[GM_TIME_RFC3339_MAX];
    static const int64_t pow10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
                                       10000000, 100000000, 1000000000 };
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rng_next(&seed);
        int64_t x;
        switch (i % 5) {
        case 0: x = (int64_t)r; break;                      /* anywhere */
        case 1: x = (int64_t)r / NS * NS; break;            /* whole seconds */
        case 2: x = (int64_t)r / 1000000 * 1000000; break;  /* milliseconds */
        case 3: x = INT64_MIN + (int64_t)(r % 200000000000000); break; /* near min */
        default: x = INT64_MAX - (int64_t)(r % 200000000000000); break; /* near max */
        }
        int off = (int)(rng_next(&seed) % 2879) - 1439;
        if (i % 7 == 0)
            off = 0;

        int64_t back = 0;
        int back_off = 12345;
        gm_err e;
        gm_err_clear(&e);
        fmt(x, off, GM_TIME_FRAC_AUTO, buf);
        if (gm_time_parse_rfc3339(buf, strlen(buf), &back, &back_off, &e) != GM_OK)
            fail_msg("%s: %s: %s", buf, e.where, e.what);
        assert_true(back == x);
        assert_int_equal(back_off, off);

        /* Fixed digits: the text names x truncated toward the past. */
        int d = (int)(rng_next(&seed) % 10);
        fmt(x, off, d, buf);
        if (gm_time_parse_rfc3339(buf, strlen(buf), &back, NULL, &e) != GM_OK)
            fail_msg("%s: %s: %s", buf, e.where, e.what);
        int64_t step = pow10[9 - d];
        int64_t rem = x % step;
        if (rem < 0)
            rem += step;
        assert_true(back == x - rem);

        /* civil round trip */
        gm_time_civil c;
        assert_int_equal(gm_time_to_civil(x, off, &c), GM_OK);
        assert_int_equal(c.offset_min, off);
        int64_t y = 0;
        assert_int_equal(gm_time_from_civil(&c, &y, NULL), GM_OK);
        assert_true(y == x);
    }
}

struct reject {
    const char *in;
    int code;
    size_t where;
    const char *what; /* substring expected in the message */
};

static void test_rejections(void **state)
{
    (void)state;
    static const struct reject cases[] = {
        { "", GM_EPARSE, 0, "empty string" },
        { "2023-13-01T00:00:00Z", GM_EINVAL, 5, "month 13 out of range 1..12" },
        { "2023-00-01T00:00:00Z", GM_EINVAL, 5, "month 0 out of range 1..12" },
        { "2023-04-31T00:00:00Z", GM_EINVAL, 8, "day 31 does not exist in April 2023" },
        { "2023-06-31T00:00:00Z", GM_EINVAL, 8, "day 31 does not exist in June 2023" },
        { "2023-01-32T00:00:00Z", GM_EINVAL, 8, "day 32 out of range 1..31" },
        { "2023-01-00T00:00:00Z", GM_EINVAL, 8, "day 0 out of range 1..31" },
        { "2023-02-29T00:00:00Z", GM_EINVAL, 8, "day 29 does not exist in February 2023" },
        { "1900-02-29T00:00:00Z", GM_EINVAL, 8, "day 29 does not exist in February 1900" },
        { "2100-02-29T00:00:00Z", GM_EINVAL, 8, "day 29 does not exist in February 2100" },
        { "2000-02-30T00:00:00Z", GM_EINVAL, 8, "day 30 does not exist in February 2000" },
        { "0100-02-29T00:00:00Z", GM_EINVAL, 8, "day 29 does not exist in February 100" },
        { "2023-01-01T24:00:00Z", GM_EINVAL, 11, "hour 24 out of range 0..23" },
        { "2023-01-01T23:60:00Z", GM_EINVAL, 14, "minute 60 out of range 0..59" },
        { "2023-01-01T23:59:60Z", GM_EUNSUPPORTED, 17, "leap seconds are not supported" },
        { "2023-01-01T23:59:61Z", GM_EINVAL, 17, "second 61 out of range 0..59" },
        { "2023-01-01T00:00:00", GM_EPARSE, 19,
          "missing time offset (expected 'Z' or +hh:mm)" },
        { "2023-01-01T00:00:00.123", GM_EPARSE, 23, "missing time offset" },
        { "2023-01-01T00:00:00X", GM_EPARSE, 19, "expected time offset 'Z' or +hh:mm, got 'X'" },
        { "2023-01-01T00:00:00+24:00", GM_EINVAL, 20, "offset hour 24 out of range 0..23" },
        { "2023-01-01T00:00:00-99:00", GM_EINVAL, 20, "offset hour 99 out of range 0..23" },
        { "2023-01-01T00:00:00+05:60", GM_EINVAL, 23, "offset minute 60 out of range 0..59" },
        { "2023-01-01T00:00:00+0530", GM_EPARSE, 22, "expected ':' after offset hour, got '3'" },
        { "2023-01-01T00:00:00+5:30", GM_EPARSE, 21, "expected a digit in offset hour, got ':'" },
        { "2023-01-01T00:00:00Zjunk", GM_EPARSE, 20, "trailing characters after time" },
        { "2023-01-01T00:00:00+01:00 ", GM_EPARSE, 25, "trailing characters after time" },
        { "2023-01-01T00:00:00ZZ", GM_EPARSE, 20, "trailing characters after time" },
        { " 2023-01-01T00:00:00Z", GM_EPARSE, 0, "expected a digit in year, got a space" },
        { "-2023-01-01T00:00:00Z", GM_EPARSE, 0, "expected a digit in year, got '-'" },
        { "12023-01-01T00:00:00Z", GM_EPARSE, 4, "expected '-' after year, got '3'" },
        { "2023/01/01T00:00:00Z", GM_EPARSE, 4, "expected '-' after year, got '/'" },
        { "2023-1-01T00:00:00Z", GM_EPARSE, 6, "expected a digit in month, got '-'" },
        { "2023-01-01X00:00:00Z", GM_EPARSE, 10, "expected 'T' between date and time, got 'X'" },
        { "2023-01-01  00:00:00Z", GM_EPARSE, 11, "expected a digit in hour, got a space" },
        { "2023-01-01T00-00:00Z", GM_EPARSE, 13, "expected ':' after hour, got '-'" },
        { "2023-01-01T00:00Z", GM_EPARSE, 16, "expected ':' after minute, got 'Z'" },
        { "2023-01-01T00:00:00.Z", GM_EPARSE, 20,
          "expected a digit in fraction after '.', got 'Z'" },
        { "2023-01-01T00:00:00,5Z", GM_EPARSE, 19, "got ','" },
        { "2023-01-01T00:00:00.5\xff", GM_EPARSE, 21, "got byte 0xff" },
        { "2023-01-01T00:00:00\n", GM_EPARSE, 19, "got byte 0x0a" },
        { "2023-01-01", GM_EPARSE, 10, "unexpected end of input, expected 'T'" },
        { "0000-01-01T00:00:00Z", GM_ERANGE, 0, GM_TIME_MIN_TEXT " .. " GM_TIME_MAX_TEXT },
        { "0000-02-29T00:00:00Z", GM_ERANGE, 0, "out of range" }, /* year 0 is leap */
        { "1600-02-29T00:00:00Z", GM_ERANGE, 0, "out of range" },
        { "9999-12-31T23:59:59Z", GM_ERANGE, 0, GM_TIME_MAX_TEXT },
        { "1677-09-21T00:12:43.145224191Z", GM_ERANGE, 0, GM_TIME_MIN_TEXT },
        { "2262-04-11T23:47:16.854775808Z", GM_ERANGE, 0, GM_TIME_MAX_TEXT },
        { "2262-04-11T23:47:16.854775807-00:01", GM_ERANGE, 0, "out of range" },
        { "1677-09-21T00:12:43.145224192+00:01", GM_ERANGE, 0, "out of range" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct reject *c = &cases[i];
        gm_err e;
        gm_err_clear(&e);
        int64_t ns = 7;
        int rc = parse(c->in, &ns, NULL, &e);
        char where[32];
        snprintf(where, sizeof where, "offset %zu", c->where);
        if (rc != c->code || e.code != c->code || strcmp(e.where, where) != 0 ||
            !strstr(e.what, c->what))
            fail_msg("case %zu \"%s\": got %d %s: %s; want %d %s: ...%s...", i, c->in, rc,
                     e.where, e.what, c->code, where, c->what);
        assert_true(ns == 7);
        /* Same code without an error record. */
        assert_int_equal(parse(c->in, &ns, NULL, NULL), c->code);
    }

    /* The neighbours of the rejected leap days are fine. */
    assert_true(parse_ok("2000-02-29T00:00:00Z") == INT64_C(951782400) * NS);
    assert_true(parse_ok("2024-02-29T12:00:00Z") - parse_ok("2024-02-28T12:00:00Z") ==
                86400 * NS);
    assert_true(parse_ok("2100-03-01T00:00:00Z") - parse_ok("2100-02-28T00:00:00Z") ==
                86400 * NS);
    assert_true(parse_ok("1900-03-01T00:00:00Z") - parse_ok("1900-02-28T00:00:00Z") ==
                86400 * NS);
    assert_true(parse_ok("2023-01-01T23:59:59.999999999Z") + 1 ==
                parse_ok("2023-01-02T00:00:00Z"));

    /* An embedded NUL is a character like any other. */
    gm_err e;
    int64_t ns;
    assert_int_equal(parse_n("2023-01-01T00:00:00\0Z", 21, &ns, NULL, &e), GM_EPARSE);
    assert_string_equal(e.where, "offset 19");
    assert_non_null(strstr(e.what, "byte 0x00"));

    /* Argument errors. */
    assert_int_equal(gm_time_parse_rfc3339(NULL, 3, &ns, NULL, &e), GM_EINVAL);
    assert_int_equal(gm_time_parse_rfc3339("2023-01-01T00:00:00Z", 20, NULL, NULL, &e),
                     GM_EINVAL);
    assert_int_equal(gm_time_parse_rfc3339(NULL, 0, &ns, NULL, &e), GM_EPARSE);
}

static void test_truncated_and_nondigit(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "2023-06-15T12:34:56.789+05:30",
        "2023-06-15T12:34:56Z",
        "1969-12-31 23:59:59.5-00:01",
    };
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        const char *s = valid[v];
        size_t len = strlen(s);
        parse_ok(s); /* the whole string is valid */
        /* Every proper prefix fails, at the point where input ran out. */
        for (size_t n = 0; n < len; n++) {
            gm_err e;
            int64_t ns = 0;
            int rc = parse_n(s, n, &ns, NULL, &e);
            char where[32];
            snprintf(where, sizeof where, "offset %zu", n);
            if (rc != GM_EPARSE || strcmp(e.where, where) != 0)
                fail_msg("prefix %zu of \"%s\": got %d %s: %s", n, s, rc, e.where, e.what);
        }
        /* A non-digit in place of any digit is a syntax error there. */
        char copy[64];
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                continue;
            memcpy(copy, s, len + 1);
            copy[i] = 'a';
            gm_err e;
            int64_t ns = 0;
            int rc = parse_n(copy, len, &ns, NULL, &e);
            char where[32];
            snprintf(where, sizeof where, "offset %zu", i);
            if (rc != GM_EPARSE || strcmp(e.where, where) != 0 || !strstr(e.what, "got 'a'"))
                fail_msg("\"%s\": got %d %s: %s", copy, rc, e.where, e.what);
        }
    }
}

static void test_civil(void **state)
{
    (void)state;
    gm_time_civil c;
    assert_int_equal(gm_time_to_civil(0, 0, &c), GM_OK);
    assert_int_equal(c.year, 1970);
    assert_int_equal(c.month, 1);
    assert_int_equal(c.day, 1);
    assert_int_equal(c.hour + c.min + c.sec + c.nsec, 0);
    assert_int_equal(c.wday, 4); /* Thursday */
    assert_int_equal(c.yday, 0);

    assert_int_equal(gm_time_to_civil(INT64_C(951782400) * NS, 0, &c), GM_OK);
    assert_int_equal(c.month, 2);
    assert_int_equal(c.day, 29);
    assert_int_equal(c.wday, 2); /* Tuesday */
    assert_int_equal(c.yday, 59);

    assert_int_equal(gm_time_to_civil(parse_ok("2024-12-31T10:00:00Z"), 0, &c), GM_OK);
    assert_int_equal(c.yday, 365);
    assert_int_equal(c.wday, 2);
    assert_int_equal(gm_time_to_civil(parse_ok("2023-12-31T10:00:00Z"), 0, &c), GM_OK);
    assert_int_equal(c.yday, 364);
    assert_int_equal(c.wday, 0); /* Sunday */

    /* Offsets move the civil fields, not the instant. */
    assert_int_equal(gm_time_to_civil(0, -60, &c), GM_OK);
    assert_int_equal(c.year, 1969);
    assert_int_equal(c.month, 12);
    assert_int_equal(c.day, 31);
    assert_int_equal(c.hour, 23);
    assert_int_equal(c.wday, 3);
    assert_int_equal(c.yday, 364);
    assert_int_equal(c.offset_min, -60);

    assert_int_equal(gm_time_to_civil(INT64_MIN, 0, &c), GM_OK);
    assert_int_equal(c.year, 1677);
    assert_int_equal(c.month, 9);
    assert_int_equal(c.day, 21);
    assert_int_equal(c.nsec, 145224192);
    assert_int_equal(c.wday, 2); /* Tuesday */
    assert_int_equal(gm_time_to_civil(INT64_MAX, 0, &c), GM_OK);
    assert_int_equal(c.year, 2262);
    assert_int_equal(c.wday, 5); /* Friday */

    assert_int_equal(gm_time_to_civil(0, 1440, &c), GM_EINVAL);
    assert_int_equal(gm_time_to_civil(0, -1440, &c), GM_EINVAL);
    assert_int_equal(gm_time_to_civil(0, 0, NULL), GM_EINVAL);

    /* from_civil: the RFC's -08:00 example. */
    gm_time_civil in = { .year = 1996, .month = 12, .day = 19, .hour = 16, .min = 39,
                         .sec = 57, .nsec = 0, .offset_min = -480, .wday = 99, .yday = -5 };
    int64_t ns = 0;
    assert_int_equal(gm_time_from_civil(&in, &ns, NULL), GM_OK);
    assert_true(ns == INT64_C(851042397) * NS);
    gm_time_civil lo = { .year = 1677, .month = 9, .day = 21, .hour = 0, .min = 12, .sec = 43,
                         .nsec = 145224192 };
    assert_int_equal(gm_time_from_civil(&lo, &ns, NULL), GM_OK);
    assert_true(ns == INT64_MIN);

    static const struct {
        gm_time_civil c;
        int code;
        const char *where;
        const char *what;
    } bad[] = {
        { { 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "year", "year 0 out of range 1..9999" },
        { { 10000, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "year", "year 10000" },
        { { 2023, 13, 1, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "month", "month 13 out of range" },
        { { 2023, 4, 31, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "day",
          "day 31 does not exist in April 2023" },
        { { 2100, 2, 29, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "day", "February 2100" },
        { { 2023, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "day", "day 0 out of range" },
        { { 2023, 1, 1, 24, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "hour", "hour 24 out of range" },
        { { 2023, 1, 1, -1, 0, 0, 0, 0, 0, 0 }, GM_EINVAL, "hour", "hour -1 out of range" },
        { { 2023, 1, 1, 0, 60, 0, 0, 0, 0, 0 }, GM_EINVAL, "min", "minute 60 out of range" },
        { { 2023, 1, 1, 0, 0, 60, 0, 0, 0, 0 }, GM_EUNSUPPORTED, "sec", "leap seconds" },
        { { 2023, 1, 1, 0, 0, -1, 0, 0, 0, 0 }, GM_EINVAL, "sec", "second -1 out of range" },
        { { 2023, 1, 1, 0, 0, 0, 1000000000, 0, 0, 0 }, GM_EINVAL, "nsec", "out of range" },
        { { 2023, 1, 1, 0, 0, 0, -1, 0, 0, 0 }, GM_EINVAL, "nsec", "out of range" },
        { { 2023, 1, 1, 0, 0, 0, 0, 1440, 0, 0 }, GM_EINVAL, "offset_min", "1440" },
        { { 2263, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, GM_ERANGE, "", GM_TIME_MAX_TEXT },
        { { 1677, 9, 21, 0, 12, 43, 145224191, 0, 0, 0 }, GM_ERANGE, "", GM_TIME_MIN_TEXT },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gm_err e;
        gm_err_clear(&e);
        ns = 7;
        int rc = gm_time_from_civil(&bad[i].c, &ns, &e);
        if (rc != bad[i].code || strcmp(e.where, bad[i].where) != 0 ||
            !strstr(e.what, bad[i].what))
            fail_msg("case %zu: got %d %s: %s", i, rc, e.where, e.what);
        assert_true(ns == 7);
    }
    assert_int_equal(gm_time_from_civil(NULL, &ns, NULL), GM_EINVAL);
    assert_int_equal(gm_time_from_civil(&in, NULL, NULL), GM_EINVAL);
}

/* The C library's gmtime_r is independent of our arithmetic: compare. */
static void check_gmtime(int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    gm_time_civil c;
    assert_int_equal(gm_time_to_civil(secs * NS, 0, &c), GM_OK);
    if (c.year != tm.tm_year + 1900 || c.month != tm.tm_mon + 1 || c.day != tm.tm_mday ||
        c.hour != tm.tm_hour || c.min != tm.tm_min || c.sec != tm.tm_sec ||
        c.wday != tm.tm_wday || c.yday != tm.tm_yday)
        fail_msg("%lld s: gmtime %04d-%02d-%02d %02d:%02d:%02d w%d y%d, ours "
                 "%04d-%02d-%02d %02d:%02d:%02d w%d y%d",
                 (long long)secs, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, tm.tm_wday, tm.tm_yday, c.year, c.month, c.day, c.hour,
                 c.min, c.sec, c.wday, c.yday);
}

static void test_against_gmtime(void **state)
{
    (void)state;
    assert_true(sizeof(time_t) == 8);
    int64_t lo = INT64_MIN / NS; /* -9223372036: the first whole second in range */
    int64_t hi = INT64_MAX / NS;
    /* Every day of the supported range, at a varying time of day. */
    for (int64_t s = lo; s <= hi; s += 86400 + 7)
        check_gmtime(s);
    check_gmtime(lo);
    check_gmtime(hi);
    uint64_t seed = 77;
    for (int i = 0; i < 100000; i++) {
        int64_t s = lo + (int64_t)(rng_next(&seed) % (uint64_t)(hi - lo + 1));
        check_gmtime(s);
    }
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t prev = gm_time_mono_ns();
    assert_true(prev > 0);
    for (int i = 0; i < 200000; i++) {
        int64_t now = gm_time_mono_ns();
        assert_true(now >= prev);
        prev = now;
    }
    /* The wall clock is the epoch clock: same second as time() give or take. */
    int64_t before = (int64_t)time(NULL);
    int64_t wall = gm_time_wall_ns();
    int64_t after = (int64_t)time(NULL);
    assert_true(wall / NS >= before - 1 && wall / NS <= after + 1);
    char buf[GM_TIME_RFC3339_MAX];
    fmt(wall, 0, GM_TIME_FRAC_AUTO, buf);
    assert_true(parse_ok(buf) == wall);
}

/* Times of day as calendars and timetables write them. */
static void test_time_of_day(void **state)
{
    (void)state;
    int64_t s = -1;
    bool has_off = true;
    int off = -1;
    gm_err e;
    assert_int_equal(gm_time_parse_time_of_day("09:30", false, &s, &has_off, &off, &e), 0);
    assert_int_equal(s, 34200);
    assert_false(has_off);
    assert_int_equal(off, 0);
    assert_int_equal(gm_time_parse_time_of_day("23:59:59.999+02:00", true, &s, &has_off, &off, &e),
                     0);
    assert_int_equal(s, 86400); /* rounds to the end of the day */
    assert_true(has_off);
    assert_int_equal(off, 120);
    assert_int_equal(gm_time_parse_time_of_day("23:59:59.4", false, &s, &has_off, &off, &e), 0);
    assert_int_equal(s, 86399);
    assert_int_equal(gm_time_parse_time_of_day("00:00:07-03:30", true, &s, &has_off, &off, &e), 0);
    assert_int_equal(s, 7);
    assert_int_equal(off, -210);
    assert_int_equal(gm_time_parse_time_of_day("12:00Z", true, &s, &has_off, &off, &e), 0);
    assert_true(has_off && off == 0 && s == 43200);
    s = 5;
    assert_int_equal(gm_time_parse_time_of_day("09:00+02:00", false, &s, &has_off, &off, &e),
                     GM_EINVAL);
    assert_string_equal(e.what, "expected a time HH:MM[:SS[.fff]], got '09:00+02:00'");
    assert_int_equal(s, 5);
    static const char *const bad[] = {"24:00", "9:00",     "",         "09:60",     "09:00:60",
                                      "09:00:", "09:00:00.", "09:00 ",  "09-00",     "09:00+2:00",
                                      "09:00+24:00", "09:00+02:60", "09:00+0200", NULL};
    for (const char *const *b = bad; *b; b++) {
        if (gm_time_parse_time_of_day(*b, true, &s, &has_off, &off, &e) != GM_EINVAL) {
            print_error("'%s' accepted\n", *b);
            fail();
        }
    }
    assert_int_equal(s, 5);
    assert_string_equal(e.what, "expected a time HH:MM[:SS[.fff]][+hh:mm], got '09:00+0200'");
}

/* Date-times as Java's ISO_DATE_TIME reads them, checked against the
   instants RFC 3339 gives. */
static void test_java_datetime(void **state)
{
    (void)state;
    int64_t ns;
    bool has_off, region;
    int off;
    gm_err e;
    assert_int_equal(gm_time_parse_datetime("2017-10-01T09:00+01:00", 0, &ns, &has_off, &off,
                                            &region, &e), 0);
    assert_true(ns == 1506844800LL * 1000000000LL);
    assert_true(has_off && !region);
    assert_int_equal(off, 60);
    /* No offset: the default zone's local time. */
    assert_int_equal(gm_time_parse_datetime("2016-07-04T14:20:00.000", -120, &ns, &has_off, &off,
                                            &region, &e), 0);
    assert_true(ns == 1467649200LL * 1000000000LL);
    assert_false(has_off);
    assert_int_equal(off, -120);
    assert_int_equal(gm_time_parse_datetime("2020-12-18T14:01:13.5+01:00[Europe/Berlin]", 0, &ns,
                                            &has_off, &off, &region, &e), 0);
    assert_true(region);
    int64_t want;
    const char *rfc = "2020-12-18T14:01:13.5+01:00";
    assert_int_equal(gm_time_parse_rfc3339(rfc, strlen(rfc), &want, NULL, NULL), 0);
    assert_true(ns == want);
    assert_int_equal(gm_time_parse_datetime("2020-12-18 14:01z", 0, &ns, &has_off, &off, &region,
                                            &e), 0);
    rfc = "2020-12-18T14:01:00Z";
    assert_int_equal(gm_time_parse_rfc3339(rfc, strlen(rfc), &want, NULL, NULL), 0);
    assert_true(ns == want);

    int64_t keep = ns;
    assert_int_equal(gm_time_parse_datetime("2020-12-18T14:01:13[Europe/Berlin]", 0, &ns, &has_off,
                                            &off, &region, &e), GM_EUNSUPPORTED);
    assert_int_equal(gm_time_parse_datetime("2020-13-18T14:01:13Z", 0, &ns, &has_off, &off,
                                            &region, &e), GM_EINVAL);
    assert_string_equal(e.what, "date-time '2020-13-18T14:01:13Z': month 13 out of range 1..12");
    assert_int_equal(gm_time_parse_datetime("2020-12-18", 0, &ns, &has_off, &off, &region, &e),
                     GM_EPARSE);
    assert_string_equal(e.what,
                        "expected a date-time YYYY-MM-DDTHH:MM[:SS][offset], got '2020-12-18'");
    assert_int_equal(gm_time_parse_datetime("2020-12-18T14:01:13+0100", 0, &ns, &has_off, &off,
                                            &region, &e), GM_EPARSE);
    assert_int_equal(gm_time_parse_datetime("2020-12-18T14:01:13.", 0, &ns, &has_off, &off,
                                            &region, &e), GM_EPARSE);
    assert_int_equal(gm_time_parse_datetime("2020-12-18T14:01:13Zx", 0, &ns, &has_off, &off,
                                            &region, &e), GM_EPARSE);
    assert_int_equal(gm_time_parse_datetime("3000-01-01T00:00Z", 0, &ns, &has_off, &off, &region,
                                            &e), GM_ERANGE);
    assert_int_equal(gm_time_parse_datetime("2020-01-01T00:00", 1440, &ns, &has_off, &off,
                                            &region, &e), GM_EINVAL);
    assert_true(ns == keep);
}

static void test_weekday(void **state)
{
    (void)state;
    static const char *const days[] = {"MONDAY", "tuesday", "Wednesday", "THURSDAY",
                                       "friday", "SATURDAY", "SuNdAy"};
    int d = -1;
    gm_err e;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(gm_time_parse_weekday(days[i], &d, &e), 0);
        assert_int_equal(d, i);
    }
    assert_int_equal(gm_time_parse_weekday("MON", &d, &e), GM_EINVAL);
    assert_string_equal(e.what, "expected a day MONDAY..SUNDAY, got 'MON'");
    assert_int_equal(gm_time_parse_weekday("", &d, &e), GM_EINVAL);
    assert_int_equal(d, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_parse_variants),
        cmocka_unit_test(test_format_digits),
        cmocka_unit_test(test_format_offsets_and_errors),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_truncated_and_nondigit),
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_against_gmtime),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_time_of_day),
        cmocka_unit_test(test_java_datetime),
        cmocka_unit_test(test_weekday),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
