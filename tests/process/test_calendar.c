/* Weekly calendars: parsing and its errors, weights, next_on, on_until,
   advance (against hand-computed answers and a minute-by-minute brute force),
   week positions of RFC 3339 instants, and behaviour at large times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "num/rng.h"
#include "process/calendar.h"

#define WEEK_MIN 10080.0 /* minutes in a week */

/* cmocka 1.1 has no double comparison with a tolerance. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* Minutes since Monday 00:00 of week 0; day 0 = Monday. */
static double at(int day, int h, int m)
{
    return (double)(day * 1440 + h * 60 + m);
}

static gm_cal *load(const char *text, bool with_rate)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    gm_cal *c = NULL;
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_cal_from_json(j, "calendars.c", with_rate, &c, &e);
    if (rc) {
        char buf[1100];
        print_error("unexpected error: %s\n", gm_err_format(&e, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    assert_non_null(c);
    json_decref(j);
    return c;
}

static void expect_error(const char *text, bool with_rate, int code, const char *msg)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    assert_non_null(j);
    gm_cal *sentinel = (gm_cal *)&je, *c = sentinel;
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_cal_from_json(j, "calendars.office", with_rate, &c, &e);
    char buf[1100];
    gm_err_format(&e, buf, sizeof buf);
    if (strcmp(buf, msg) != 0)
        print_error("input %s\n  got  %s\n  want %s\n", text, buf, msg);
    assert_int_equal(rc, code);
    assert_int_equal(e.code, code);
    assert_string_equal(buf, msg);
    assert_ptr_equal(c, sentinel); /* untouched on failure */
    /* NULL err is allowed and gives the same code. */
    assert_int_equal(gm_cal_from_json(j, "calendars.office", with_rate, &c, NULL), code);
    json_decref(j);
}

#define OK3 "{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"10:00\"}, "

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("{\"a\": 1}", false, GM_EINVAL,
                 "calendars.office: expected array of calendar entries, got object");
    expect_error("[1]", false, GM_EINVAL, "calendars.office[0]: expected object, got integer");
    expect_error("[{\"from\": \"09:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].days: missing required field (string)");
    expect_error("[{\"days\": 5, \"from\": \"09:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].days: expected string, got integer");
    expect_error("[{\"days\": \"mnd\", \"from\": \"09:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].days: unknown day 'mnd'; expected mon..sun or a range "
                 "like mon-fri");
    expect_error("[" OK3 "{\"days\": \"mon-fry\", \"from\": \"09:00\", \"to\": \"17:00\"}]", false,
                 GM_EINVAL,
                 "calendars.office[1].days: unknown day 'fry'; expected mon..sun or a range "
                 "like mon-fri");
    expect_error("[{\"days\": \"monday\", \"from\": \"09:00\", \"to\": \"17:00\"}]", false,
                 GM_EINVAL,
                 "calendars.office[0].days: unknown day 'monday'; expected mon..sun or a range "
                 "like mon-fri");
    expect_error("[{\"days\": \"mon-\", \"from\": \"09:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].days: unknown day ''; expected mon..sun or a range like "
                 "mon-fri");
    expect_error("[{\"days\": \"\", \"from\": \"09:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].days: unknown day ''; expected mon..sun or a range like "
                 "mon-fri");
    expect_error("[" OK3 OK3 "{\"days\": \"mon\", \"from\": \"9am\", \"to\": \"17:00\"}]", false,
                 GM_EINVAL, "calendars.office[2].from: expected HH:MM or HH:MM:SS, got \"9am\"");
    expect_error("[{\"days\": \"mon\", \"from\": \"9:00\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].from: expected HH:MM or HH:MM:SS, got \"9:00\"");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00:\"}]", false,
                 GM_EINVAL, "calendars.office[0].to: expected HH:MM or HH:MM:SS, got \"17:00:\"");
    expect_error("[{\"days\": \"mon\", \"from\": \"09.00\", \"to\": \"17:00\"}]", false,
                 GM_EINVAL, "calendars.office[0].from: expected HH:MM or HH:MM:SS, got \"09.00\"");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": 17}]", false, GM_EINVAL,
                 "calendars.office[0].to: expected string, got integer");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"24:30\"}]", false, GM_EINVAL,
                 "calendars.office[0].to: time of day 24:30 out of range; expected "
                 "00:00..23:59:59 or 24:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"12:60\", \"to\": \"17:00\"}]", false, GM_EINVAL,
                 "calendars.office[0].from: time of day 12:60 out of range; expected "
                 "00:00..23:59:59 or 24:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"12:00:60\", \"to\": \"17:00\"}]", false,
                 GM_EINVAL,
                 "calendars.office[0].from: time of day 12:00:60 out of range; expected "
                 "00:00..23:59:59 or 24:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"12:00\", \"to\": \"24:00:01\"}]", false,
                 GM_EINVAL,
                 "calendars.office[0].to: time of day 24:00:01 out of range; expected "
                 "00:00..23:59:59 or 24:00");
    expect_error("[" OK3 "{\"days\": \"mon-fri\", \"from\": \"17:00\", \"to\": \"09:00\"}]", false,
                 GM_EINVAL, "calendars.office[1]: from 17:00 is not before to 09:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"10:00\", \"to\": \"10:00:00\"}]", false,
                 GM_EINVAL, "calendars.office[0]: from 10:00 is not before to 10:00:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"24:00\", \"to\": \"24:00\"}]", false, GM_EINVAL,
                 "calendars.office[0]: from 24:00 is not before to 24:00");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00\", \"rate\": 2}]", false,
                 GM_EINVAL,
                 "calendars.office[0].rate: a rate is allowed only in an arrival-rate calendar; "
                 "an availability entry has days, from and to");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00\"}]", true, GM_EINVAL,
                 "calendars.office[0].rate: missing required field (number)");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00\", \"rate\": \"2\"}]",
                 true, GM_EINVAL, "calendars.office[0].rate: expected number, got string");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00\", \"rate\": -1}]", true,
                 GM_EINVAL, "calendars.office[0].rate: expected number in [0, 1000000000], got -1");
    expect_error("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"17:00\", \"note\": 1}]", false,
                 GM_EINVAL,
                 "calendars.office[0].note: unknown field; expected one of: days, from, to");

    /* Root path: no leading dot. */
    json_t *j = json_loads("[{\"days\": \"xx\", \"from\": \"09:00\", \"to\": \"10:00\"}]", 0, NULL);
    assert_non_null(j);
    gm_cal *c = NULL;
    gm_err e;
    assert_int_equal(gm_cal_from_json(j, NULL, false, &c, &e), GM_EINVAL);
    assert_string_equal(e.where, "[0].days");
    assert_null(c);
    assert_int_equal(gm_cal_from_json(NULL, "x", false, &c, &e), GM_EINVAL);
    assert_int_equal(gm_cal_from_json(j, "x", false, NULL, &e), GM_EINVAL);
    json_decref(j);
}

static void test_entry_limit(void **state)
{
    (void)state;
    json_t *arr = json_array();
    assert_non_null(arr);
    for (unsigned i = 0; i < GM_CAL_MAX_ENTRIES; i++) {
        /* Every entry on every day at a different minute: the worst case for
           cutting (1000 windows overlapping per day). */
        char from[8], to[8];
        snprintf(from, sizeof from, "%02u:%02u", i / 60 % 24, i % 60);
        snprintf(to, sizeof to, "%02u:%02u", 23, 59 - i % 30);
        if (strcmp(from, to) >= 0)
            snprintf(to, sizeof to, "24:00");
        json_t *o = json_pack("{s:s, s:s, s:s, s:f}", "days", "mon-sun", "from", from, "to", to,
                              "rate", 0.5);
        assert_non_null(o);
        assert_int_equal(json_array_append_new(arr, o), 0);
    }
    gm_cal *c = NULL;
    gm_err e;
    assert_int_equal(gm_cal_from_json(arr, "a", true, &c, &e), 0);
    /* At 23:00 on any day all 1000 windows cover; the week total is 7 x the
       day total. */
    assert_true(gm_cal_weight(c, at(2, 23, 0) + 0.5) == 500.0);
    assert_true(gm_cal_weight(c, at(2, 23, 59) + 0.5) == 0.0);
    double day = 0.0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *f = json_string_value(json_object_get(json_array_get(arr, i), "from"));
        const char *t = json_string_value(json_object_get(json_array_get(arr, i), "to"));
        int fm = atoi(f) * 60 + atoi(f + 3), tm = atoi(t) * 60 + atoi(t + 3);
        day += 0.5 * (tm - fm);
    }
    assert_near(gm_cal_week_total(c), 7.0 * day, 1e-9 * day);
    gm_cal_free(c);

    json_t *o = json_pack("{s:s, s:s, s:s, s:f}", "days", "mon", "from", "01:00", "to", "02:00",
                          "rate", 1.0);
    assert_int_equal(json_array_append_new(arr, o), 0);
    c = NULL;
    assert_int_equal(gm_cal_from_json(arr, "a", true, &c, &e), GM_ELIMIT);
    assert_null(c);
    assert_string_equal(e.where, "a");
    assert_string_equal(e.what, "too many calendar entries: 1001; at most 1000");
    json_decref(arr);
}

static const char *const OFFICE = "[{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\"}]";

static void test_office_hours(void **state)
{
    (void)state;
    gm_cal *c = load(OFFICE, false);
    /* Default binding: minutes, t = 0 is Monday 00:00. */
    assert_false(gm_cal_always(c));
    assert_true(gm_cal_week_total(c) == 2400.0);
    assert_true(gm_cal_weight(c, at(0, 10, 0)) == 1.0);
    assert_true(gm_cal_weight(c, at(0, 9, 0)) == 1.0);
    assert_true(gm_cal_weight(c, at(0, 17, 0)) == 0.0); /* right-open */
    assert_true(gm_cal_weight(c, at(0, 16, 59) + 0.999) == 1.0);
    assert_true(gm_cal_weight(c, at(5, 12, 0)) == 0.0);      /* Saturday */
    assert_true(gm_cal_weight(c, at(4, 12, 0)) == 1.0);      /* Friday */
    assert_true(gm_cal_weight(c, WEEK_MIN + at(2, 9, 30)) == 1.0);
    assert_true(gm_cal_weight(c, -1.0) == 0.0);              /* Sunday 23:59 of week -1 */
    assert_true(gm_cal_weight(c, -WEEK_MIN + at(0, 9, 0)) == 1.0);

    /* next_on */
    assert_true(gm_cal_next_on(c, at(0, 8, 59)) == 540.0); /* exactly 09:00 */
    assert_true(gm_cal_next_on(c, at(0, 10, 0)) == at(0, 10, 0));
    assert_true(gm_cal_next_on(c, at(4, 18, 0)) == WEEK_MIN + at(0, 9, 0));
    assert_true(gm_cal_next_on(c, at(0, 17, 0)) == at(1, 9, 0));
    assert_true(gm_cal_next_on(c, -0.5) == 540.0);

    /* on_until */
    assert_true(gm_cal_on_until(c, at(0, 10, 0)) == at(0, 17, 0));
    assert_true(gm_cal_on_until(c, at(0, 9, 0)) == at(0, 17, 0));
    assert_true(gm_cal_on_until(c, at(5, 10, 0)) == at(5, 10, 0));
    assert_true(gm_cal_on_until(c, at(0, 17, 0)) == at(0, 17, 0));

    /* advance: 60 min on Monday, 480 on Tuesday, 60 on Wednesday. */
    assert_true(gm_cal_advance(c, at(0, 16, 0), 600.0) == at(2, 10, 0));
    /* 8 hours from 09:00 end at 17:00 the same day, not Tuesday 09:00. */
    assert_true(gm_cal_advance(c, at(0, 9, 0), 480.0) == at(0, 17, 0));
    assert_true(gm_cal_advance(c, at(0, 17, 0), 60.0) == at(1, 10, 0));
    assert_true(gm_cal_advance(c, at(4, 16, 30), 60.0) == WEEK_MIN + at(0, 9, 30));
    assert_true(gm_cal_advance(c, at(5, 3, 0), 30.0) == WEEK_MIN + at(0, 9, 30));
    assert_true(gm_cal_advance(c, at(0, 10, 0), 0.0) == at(0, 10, 0));
    assert_true(gm_cal_advance(c, at(5, 10, 0), 0.0) == at(5, 10, 0));
    assert_true(gm_cal_advance(c, at(0, 10, 0), -3.0) == at(0, 10, 0));
    assert_true(gm_cal_advance(c, at(0, 10, 0), HUGE_VAL) == HUGE_VAL);
    /* Whole weeks: exactly n x 2400 minutes from Monday 09:00 end on the
       Friday 17:00 of the n-th week. */
    for (int n = 1; n <= 200; n += 7)
        assert_true(gm_cal_advance(c, at(0, 9, 0), n * 2400.0) ==
                    (n - 1) * WEEK_MIN + at(4, 17, 0));
    assert_true(gm_cal_advance(c, at(0, 9, 0), 100 * 2400.0 + 1.0) ==
                100 * WEEK_MIN + at(0, 9, 1));
    assert_true(gm_cal_advance(c, at(3, 12, 0), 52 * 2400.0) == 52 * WEEK_MIN + at(3, 12, 0));

    /* Non-finite times. */
    assert_true(gm_cal_weight(c, HUGE_VAL) == 0.0);
    assert_true(gm_cal_next_on(c, HUGE_VAL) == HUGE_VAL);
    assert_true(isnan(gm_cal_next_on(c, (double)NAN)));
    assert_true(gm_cal_advance(c, HUGE_VAL, 5.0) == HUGE_VAL);

    /* Bound to seconds, with t = 0 on Wednesday 12:00. */
    assert_int_equal(gm_cal_bind(c, 1.0, 2 * 86400.0 + 43200.0), 0);
    assert_true(gm_cal_weight(c, 0.0) == 1.0);
    assert_true(gm_cal_on_until(c, 0.0) == 5 * 3600.0);
    assert_true(gm_cal_next_on(c, 5 * 3600.0) == 21 * 3600.0); /* Thursday 09:00 */
    assert_true(gm_cal_week_total(c) == 144000.0);
    assert_true(gm_cal_advance(c, 0.0, 6 * 3600.0) == 22 * 3600.0);
    /* Bound to hours, t = 0 on Sunday 23:00 (week0 may be given unreduced
       or negative). */
    assert_int_equal(gm_cal_bind(c, 3600.0, -3600.0), 0);
    assert_true(gm_cal_next_on(c, 0.0) == 10.0);
    assert_true(gm_cal_week_total(c) == 40.0);
    assert_true(gm_cal_advance(c, 0.5, 1.25) == 11.25);
    assert_int_equal(gm_cal_bind(c, 3600.0, 604800.0 * 3 - 3600.0), 0);
    assert_true(gm_cal_next_on(c, 0.0) == 10.0);
    /* Invalid bindings are refused and change nothing. */
    assert_int_equal(gm_cal_bind(c, 0.0, 0.0), GM_EINVAL);
    assert_int_equal(gm_cal_bind(c, -60.0, 0.0), GM_EINVAL);
    assert_int_equal(gm_cal_bind(c, (double)NAN, 0.0), GM_EINVAL);
    assert_int_equal(gm_cal_bind(c, 60.0, HUGE_VAL), GM_EINVAL);
    assert_int_equal(gm_cal_bind(NULL, 60.0, 0.0), GM_EINVAL);
    assert_true(gm_cal_next_on(c, 0.0) == 10.0);
    gm_cal_free(c);
    gm_cal_free(NULL);
}

/* Large simulated times with minutes: still exact on boundaries. */
static void test_large_times_exact(void **state)
{
    (void)state;
    gm_cal *c = load(OFFICE, false);
    double w = 90000 * WEEK_MIN; /* 9.07e8 minutes, about 1700 years */
    assert_true(gm_cal_next_on(c, w + at(4, 18, 0)) == w + WEEK_MIN + at(0, 9, 0));
    assert_true(gm_cal_next_on(c, w + at(0, 8, 59) + 0.999) == w + at(0, 9, 0));
    assert_true(gm_cal_next_on(c, w + at(0, 8, 59)) == 907200540.0);
    assert_true(gm_cal_on_until(c, w + at(2, 9, 0) + 1e-3) == w + at(2, 17, 0));
    assert_true(gm_cal_weight(c, w + at(0, 17, 0)) == 0.0);
    assert_true(gm_cal_weight(c, w + at(0, 16, 59) + 0.99) == 1.0);
    assert_true(gm_cal_advance(c, w + at(0, 9, 0), 100 * 2400.0) ==
                w + 99 * WEEK_MIN + at(4, 17, 0));
    assert_true(gm_cal_advance(c, w + at(0, 16, 0), 600.0) == w + at(2, 10, 0));
    /* A huge amount from t = 0: 1e6 weeks of work. */
    assert_true(gm_cal_advance(c, 0.0, 1e6 * 2400.0) == (1e6 - 1) * WEEK_MIN + at(4, 17, 0));
    gm_cal_free(c);
}

/* Awkward unit and fractional week0 at times up to 1e9: the queries stay
   consistent with each other (no exact answers exist to compare with). */
static void test_large_times_consistent(void **state)
{
    (void)state;
    const char *text = "[{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"12:00\"},"
                       " {\"days\": \"mon-fri\", \"from\": \"13:00:01\", \"to\": \"17:00\"},"
                       " {\"days\": \"sun\", \"from\": \"23:00\", \"to\": \"24:00\"},"
                       " {\"days\": \"mon\", \"from\": \"00:00\", \"to\": \"00:00:01\"}]";
    gm_cal *c = load(text, false);
    const double units[] = {7.3, 60.0, 1.0 / 3.0, 3600.0};
    const double w0s[] = {12345.678, 0.0, 604799.5};
    gm_rng r;
    gm_rng_seed(&r, 7, 0);
    for (size_t ui = 0; ui < 4; ui++)
        for (size_t wi = 0; wi < 3; wi++) {
            assert_int_equal(gm_cal_bind(c, units[ui], w0s[wi]), 0);
            double scale = 1e9 * 60.0 / units[ui]; /* ~1e9 minutes of clock */
            double week_units = 604800.0 / units[ui];
            for (int i = 0; i < 3000; i++) {
                double t = gm_rng_uniform(&r) * scale;
                double n = gm_cal_next_on(c, t);
                assert_true(n >= t);
                assert_true(n - t < week_units);
                assert_true(gm_cal_weight(c, n) > 0.0);
                if (gm_cal_weight(c, t) > 0.0) {
                    assert_true(n == t);
                    double u = gm_cal_on_until(c, t);
                    assert_true(u > t);
                    assert_true(gm_cal_weight(c, u) == 0.0);
                } else {
                    assert_true(gm_cal_on_until(c, t) == t);
                }
                double a = gm_rng_uniform(&r) * 3.0 * gm_cal_week_total(c);
                double a2 = a * (1.0 + gm_rng_uniform(&r));
                double e1 = gm_cal_advance(c, t, a), e2 = gm_cal_advance(c, t, a2);
                assert_true(e1 >= t);
                assert_true(e2 >= e1);
                /* Splitting an amount gives the same end, to rounding. */
                double e3 = gm_cal_advance(c, gm_cal_advance(c, t, a * 0.25), a * 0.75);
                assert_true(fabs(e3 - e1) <= 1e-12 * fabs(e1) + 1e-9);
                /* Advancing by whole weeks' totals moves by whole weeks when
                   the start is inside a window. */
                if (gm_cal_weight(c, t) > 0.0) {
                    double e4 = gm_cal_advance(c, t, 5.0 * gm_cal_week_total(c));
                    assert_true(fabs(e4 - (t + 5.0 * week_units)) <= 1e-9 * e4);
                }
            }
        }
    gm_cal_free(c);
}

static void test_wrapping_range(void **state)
{
    (void)state;
    gm_cal *c = load("[{\"days\": \"Fri-MON\", \"from\": \"10:00\", \"to\": \"11:00\"}]", false);
    const double want[7] = {1, 0, 0, 0, 1, 1, 1};
    for (int d = 0; d < 7; d++) {
        assert_true(gm_cal_weight(c, at(d, 10, 30)) == want[d]);
        assert_true(gm_cal_weight(c, at(d, 11, 0)) == 0.0);
    }
    assert_true(gm_cal_week_total(c) == 240.0);
    assert_true(gm_cal_next_on(c, at(0, 11, 0)) == at(4, 10, 0));
    assert_true(gm_cal_next_on(c, at(6, 11, 0)) == WEEK_MIN + at(0, 10, 0));
    gm_cal_free(c);

    /* tue-mon is the whole week; "sun" alone; "sun-sun" one day. */
    c = load("[{\"days\": \"tue-mon\", \"from\": \"10:00\", \"to\": \"11:00\"}]", false);
    assert_true(gm_cal_week_total(c) == 420.0);
    gm_cal_free(c);
    c = load("[{\"days\": \"sun-sun\", \"from\": \"10:00\", \"to\": \"11:00\"},"
             " {\"days\": \"SUN\", \"from\": \"10:30\", \"to\": \"12:00\"}]",
             false);
    assert_true(gm_cal_week_total(c) == 120.0);
    assert_true(gm_cal_on_until(c, at(6, 10, 0)) == at(6, 12, 0));
    assert_true(gm_cal_weight(c, at(0, 10, 30)) == 0.0);
    gm_cal_free(c);
}

static void test_midnight_and_week_wrap(void **state)
{
    (void)state;
    /* Sunday 22:00-24:00 and Monday 00:00-02:00 are one stretch. */
    gm_cal *c = load("[{\"days\": \"sun\", \"from\": \"22:00\", \"to\": \"24:00\"},"
                     " {\"days\": \"mon\", \"from\": \"00:00:00\", \"to\": \"02:00\"},"
                     " {\"days\": \"wed\", \"from\": \"12:00:30\", \"to\": \"12:01\"}]",
                     false);
    assert_true(gm_cal_weight(c, at(6, 23, 59)) == 1.0);
    assert_true(gm_cal_weight(c, WEEK_MIN) == 1.0);
    assert_true(gm_cal_on_until(c, at(6, 23, 0)) == WEEK_MIN + 120.0);
    assert_true(gm_cal_on_until(c, WEEK_MIN + 60.0) == WEEK_MIN + 120.0);
    assert_true(gm_cal_on_until(c, 0.0) == 120.0);
    assert_true(gm_cal_advance(c, at(6, 23, 0), 90.0) == WEEK_MIN + 30.0);
    assert_true(gm_cal_week_total(c) == 240.5);
    /* The half-minute window on Wednesday, in HH:MM:SS. */
    assert_true(gm_cal_next_on(c, at(2, 12, 0)) == at(2, 12, 0) + 0.5);
    assert_true(gm_cal_on_until(c, at(2, 12, 0) + 0.75) == at(2, 12, 1));
    assert_true(gm_cal_advance(c, at(1, 0, 0), 0.25) == at(2, 12, 0) + 0.75);
    gm_cal_free(c);

    /* A whole week of 24-hour days is "always", a single flat segment. */
    c = load("[{\"days\": \"mon-sun\", \"from\": \"00:00\", \"to\": \"24:00:00\"}]", false);
    assert_true(gm_cal_always(c));
    assert_true(gm_cal_week_total(c) == WEEK_MIN);
    assert_true(gm_cal_next_on(c, 123.25) == 123.25);
    assert_true(gm_cal_on_until(c, 123.25) == HUGE_VAL);
    assert_true(gm_cal_advance(c, 123.25, 1e7) == 123.25 + 1e7);
    assert_true(gm_cal_weight(c, 5e8) == 1.0);
    gm_cal_free(c);

    /* Monday to Saturday round the clock: one stretch from Monday 00:00 to
       Sunday 00:00, but not "always". */
    c = load("[{\"days\": \"mon-sat\", \"from\": \"00:00\", \"to\": \"24:00\"}]", false);
    assert_false(gm_cal_always(c));
    assert_true(gm_cal_on_until(c, at(0, 5, 0)) == at(6, 0, 0));
    assert_true(gm_cal_next_on(c, at(6, 5, 0)) == WEEK_MIN);
    assert_true(gm_cal_advance(c, at(6, 5, 0), 1.0) == WEEK_MIN + 1.0);
    gm_cal_free(c);

    /* Always on, but from pieces that touch: still always, still a stretch
       that never ends. */
    c = load("[{\"days\": \"mon-sun\", \"from\": \"00:00\", \"to\": \"12:00\", \"rate\": 1},"
             " {\"days\": \"mon-sun\", \"from\": \"12:00\", \"to\": \"24:00\", \"rate\": 2}]",
             true);
    assert_true(gm_cal_always(c));
    assert_true(gm_cal_on_until(c, 5.0) == HUGE_VAL);
    assert_true(gm_cal_week_total(c) == 7 * (720.0 + 1440.0));
    assert_true(gm_cal_advance(c, 0.0, 720.0 + 1440.0) == 1440.0);
    assert_true(gm_cal_advance(c, 600.0, 300.0) == 810.0); /* 120 at 1, then 2 x 90 */
    gm_cal_free(c);
}

static void test_overlap_union(void **state)
{
    (void)state;
    gm_cal *c = load("[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"12:00\"},"
                     " {\"days\": \"mon\", \"from\": \"11:00\", \"to\": \"14:00\"},"
                     " {\"days\": \"mon\", \"from\": \"14:00\", \"to\": \"15:00\"},"
                     " {\"days\": \"mon\", \"from\": \"10:00\", \"to\": \"10:30\"}]",
                     false);
    assert_true(gm_cal_weight(c, at(0, 11, 30)) == 1.0);
    assert_true(gm_cal_weight(c, at(0, 10, 15)) == 1.0);
    assert_true(gm_cal_on_until(c, at(0, 9, 30)) == at(0, 15, 0));
    assert_true(gm_cal_week_total(c) == 360.0);
    assert_true(gm_cal_advance(c, at(0, 9, 0), 360.0) == at(0, 15, 0));
    assert_true(gm_cal_advance(c, at(0, 9, 0), 361.0) == WEEK_MIN + at(0, 9, 1));
    gm_cal_free(c);

    /* An empty availability calendar is never available. */
    c = load("[]", false);
    assert_false(gm_cal_always(c));
    assert_true(gm_cal_weight(c, 10.0) == 0.0);
    assert_true(gm_cal_next_on(c, 10.0) == HUGE_VAL);
    assert_true(gm_cal_on_until(c, 10.0) == 10.0);
    assert_true(gm_cal_advance(c, 10.0, 1.0) == HUGE_VAL);
    assert_true(gm_cal_advance(c, 10.0, 0.0) == 10.0);
    assert_true(gm_cal_week_total(c) == 0.0);
    gm_cal_free(c);
}

static void test_rates(void **state)
{
    (void)state;
    gm_cal *c = load("[{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\", \"rate\": 0.5},"
                     " {\"days\": \"mon\", \"from\": \"12:00\", \"to\": \"13:00\", \"rate\": 1.5},"
                     " {\"days\": \"sat\", \"from\": \"10:00\", \"to\": \"12:00\", \"rate\": 0},"
                     " {\"days\": \"tue\", \"from\": \"12:00\", \"to\": \"13:00\", \"rate\": 0.1},"
                     " {\"days\": \"tue\", \"from\": \"12:30\", \"to\": \"13:00\", \"rate\": 0.2}]",
                     true);
    assert_true(gm_cal_weight(c, at(0, 12, 30)) == 2.0);
    assert_true(gm_cal_weight(c, at(0, 10, 0)) == 0.5);
    assert_true(gm_cal_weight(c, at(0, 13, 0)) == 0.5);
    assert_true(gm_cal_weight(c, at(2, 12, 30)) == 0.5);
    assert_true(gm_cal_weight(c, at(1, 12, 15)) == 0.5 + 0.1);
    assert_true(gm_cal_weight(c, at(1, 12, 45)) == 0.5 + 0.1 + 0.2);
    assert_true(gm_cal_weight(c, at(1, 13, 0)) == 0.5); /* exactly, no residue */
    assert_true(gm_cal_weight(c, at(5, 11, 0)) == 0.0); /* a zero rate is no window */
    assert_true(gm_cal_next_on(c, at(5, 11, 0)) == WEEK_MIN + at(0, 9, 0));
    /* Rate changes inside a stretch do not end it. */
    assert_true(gm_cal_on_until(c, at(0, 9, 0)) == at(0, 17, 0));
    /* 0.5 x 2400 + 1.5 x 60 + 0.1 x 60 + 0.2 x 30 */
    assert_near(gm_cal_week_total(c), 1200.0 + 90.0 + 6.0 + 6.0, 1e-9);
    /* From Monday 09:00: 90 by 12:00, then 2 per minute: 150 at 12:30. */
    assert_true(gm_cal_advance(c, at(0, 9, 0), 150.0) == at(0, 12, 30));
    assert_true(gm_cal_advance(c, at(0, 9, 0), 210.0) == at(0, 13, 0));
    assert_true(gm_cal_advance(c, at(0, 12, 30), 61.0) == at(0, 13, 2));
    /* Bound to hours: rates are per hour, integrals too. */
    assert_int_equal(gm_cal_bind(c, 3600.0, 0.0), 0);
    assert_near(gm_cal_week_total(c), (1200.0 + 90.0 + 6.0 + 6.0) / 60.0, 1e-12);
    assert_true(gm_cal_advance(c, 9.0, 2.5) == 12.5); /* 1.5 by 12:00, then 2 per hour */
    gm_cal_free(c);

    c = load("[]", true);
    assert_true(gm_cal_next_on(c, 0.0) == HUGE_VAL);
    assert_true(gm_cal_advance(c, 0.0, 0.7) == HUGE_VAL);
    assert_true(gm_cal_week_total(c) == 0.0);
    gm_cal_free(c);

    c = load("[{\"days\": \"mon-sun\", \"from\": \"00:00\", \"to\": \"24:00\", \"rate\": 4}]", true);
    assert_true(gm_cal_always(c));
    assert_true(gm_cal_weight(c, 77.0) == 4.0);
    assert_true(gm_cal_advance(c, 10.0, 2.0) == 10.5);
    gm_cal_free(c);
}

static double week_pos(const char *text, int offset_min)
{
    int64_t ns;
    int off;
    assert_int_equal(gm_time_parse_rfc3339(text, strlen(text), &ns, &off, NULL), 0);
    (void)off;
    return gm_cal_week_position(ns, offset_min);
}

static void test_week_position(void **state)
{
    (void)state;
    assert_true(week_pos("2024-01-01T00:00:00Z", 0) == 0.0); /* a Monday */
    assert_true(week_pos("2016-08-01T08:00:00+02:00", 120) == 8 * 3600.0);
    assert_true(week_pos("2016-08-01T08:00:00+02:00", 0) == 6 * 3600.0);
    assert_true(week_pos("2024-01-07T23:59:59.5Z", 0) == 604799.5);
    assert_true(week_pos("2024-01-01T00:00:00Z", -60) == 604800.0 - 3600.0);
    assert_true(week_pos("1970-01-01T00:00:00Z", 0) == 3 * 86400.0);        /* Thursday */
    assert_true(week_pos("1969-12-29T00:00:00Z", 0) == 0.0);                /* Monday */
    assert_true(week_pos("1969-12-31T23:59:59.25Z", 0) == 3 * 86400.0 - 0.75);
    assert_true(week_pos("2024-02-29T12:30:00-05:00", -300) == 3 * 86400.0 + 45000.0);
    assert_true(week_pos("1900-01-01T00:00:00Z", 0) == 0.0);                /* Monday */
    /* Total at the extremes. */
    double p = gm_cal_week_position(INT64_MIN, -1439);
    assert_true(p >= 0.0 && p < 604800.0);
    p = gm_cal_week_position(INT64_MAX, 1439);
    assert_true(p >= 0.0 && p < 604800.0);
}

/* ---- randomized comparison with a minute-by-minute brute force ---------- */

#define NE_MAX 6
#define HORIZON (4 * 10080)

typedef struct brute_entry {
    int a, b;         /* day range, inclusive, may wrap */
    int from, to;     /* minutes */
    double rate;
} brute_entry;

static bool brute_has_day(const brute_entry *e, int d)
{
    return e->a <= e->b ? (d >= e->a && d <= e->b) : (d >= e->a || d <= e->b);
}

static void random_calendar(gm_rng *r, bool with_rate, brute_entry *es, size_t *ne, char *json,
                            size_t n)
{
    static const char *const days[7] = {"mon", "TUE", "wed", "Thu", "fri", "sat", "sUn"};
    static const double rates[6] = {0.0, 0.25, 0.5, 1.0, 2.0, 3.0};
    *ne = (size_t)gm_rng_below(r, NE_MAX + 1);
    size_t o = (size_t)snprintf(json, n, "[");
    for (size_t i = 0; i < *ne; i++) {
        brute_entry *e = &es[i];
        e->a = (int)gm_rng_below(r, 7);
        e->b = gm_rng_below(r, 3) == 0 ? e->a : (int)gm_rng_below(r, 7);
        /* Mostly coarse boundaries so windows touch and overlap often. */
        int grid = gm_rng_below(r, 2) ? 60 : 1;
        int slots = 1440 / grid;
        e->from = (int)gm_rng_below(r, (uint64_t)slots) * grid;
        e->to = e->from + (1 + (int)gm_rng_below(r, (uint64_t)(slots - e->from / grid))) * grid;
        e->rate = with_rate ? rates[gm_rng_below(r, 6)] : 1.0;
        char dtext[16];
        if (e->a == e->b && gm_rng_below(r, 2))
            snprintf(dtext, sizeof dtext, "%s", days[e->a]);
        else
            snprintf(dtext, sizeof dtext, "%s-%s", days[e->a], days[e->b]);
        char ftext[16], ttext[16];
        snprintf(ftext, sizeof ftext, gm_rng_below(r, 2) ? "%02d:%02d" : "%02d:%02d:00",
                 e->from / 60, e->from % 60);
        snprintf(ttext, sizeof ttext, gm_rng_below(r, 2) ? "%02d:%02d" : "%02d:%02d:00",
                 e->to / 60, e->to % 60);
        o += (size_t)snprintf(json + o, n - o, "%s{\"days\": \"%s\", \"from\": \"%s\", \"to\": \"%s\"",
                              i ? ", " : "", dtext, ftext, ttext);
        if (with_rate)
            o += (size_t)snprintf(json + o, n - o, ", \"rate\": %g", e->rate);
        o += (size_t)snprintf(json + o, n - o, "}");
    }
    snprintf(json + o, n - o, "]");
}

/* Weight in minute m of the week (0..10079). */
static double brute_weight(const brute_entry *es, size_t ne, bool with_rate, int m)
{
    int d = m / 1440, mm = m % 1440;
    double w = 0.0;
    for (size_t i = 0; i < ne; i++)
        if (brute_has_day(&es[i], d) && es[i].from <= mm && mm < es[i].to) {
            if (!with_rate)
                return 1.0;
            w += es[i].rate;
        }
    return w;
}

/* Smallest j >= m with F[j + 1] >= target (F non-decreasing). */
static int first_reaching(const double *F, int m, double target)
{
    int lo = m, hi = HORIZON - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (F[mid + 1] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    assert_true(F[lo + 1] >= target);
    return lo;
}

static void test_brute_force(void **state)
{
    (void)state;
    static double bw[HORIZON], F[HORIZON + 1];
    static int next_pos[HORIZON + 1], next_zero[HORIZON + 1];
    gm_rng r;
    gm_rng_seed(&r, 2024, 1);
    char json[2048];
    brute_entry es[NE_MAX];
    int checked_advance = 0;
    for (int round = 0; round < 240; round++) {
        bool with_rate = round % 2 == 1;
        size_t ne;
        random_calendar(&r, with_rate, es, &ne, json, sizeof json);
        gm_cal *c = load(json, with_rate);
        int w0m = (int)gm_rng_below(&r, 10080); /* t = 0 at this minute of the week */
        assert_int_equal(gm_cal_bind(c, 60.0, w0m * 60.0), 0);

        F[0] = 0.0;
        bool any = false, always = true;
        for (int m = 0; m < HORIZON; m++) {
            bw[m] = brute_weight(es, ne, with_rate, (w0m + m) % 10080);
            F[m + 1] = F[m] + bw[m];
            any = any || bw[m] > 0.0;
            always = always && bw[m] > 0.0;
        }
        next_pos[HORIZON] = next_zero[HORIZON] = HORIZON;
        for (int m = HORIZON - 1; m >= 0; m--) {
            next_pos[m] = bw[m] > 0.0 ? m : next_pos[m + 1];
            next_zero[m] = bw[m] == 0.0 ? m : next_zero[m + 1];
        }
        assert_true(gm_cal_always(c) == always);
        assert_true(gm_cal_week_total(c) == F[10080]);

        for (int m = 0; m < 2 * 10080; m++) {
            static const double fr[3] = {0.0, 0.25, 0.5};
            double frac = fr[m % 3];
            double t = m + frac;
            if (gm_cal_weight(c, t) != bw[m])
                print_error("round %d %s w0m %d m %d: weight %g want %g\n", round, json, w0m, m,
                            gm_cal_weight(c, t), bw[m]);
            assert_true(gm_cal_weight(c, t) == bw[m]);

            /* next_on */
            double want = HUGE_VAL;
            if (bw[m] > 0.0) {
                want = t;
            } else if (any) {
                assert_true(next_pos[m] < HORIZON);
                want = next_pos[m];
            }
            assert_true(gm_cal_next_on(c, t) == want);

            /* on_until */
            want = t;
            if (bw[m] > 0.0) {
                if (always) {
                    want = HUGE_VAL;
                } else {
                    assert_true(next_zero[m] < HORIZON);
                    want = next_zero[m];
                }
            }
            assert_true(gm_cal_on_until(c, t) == want);

            /* advance to a minute boundary: exact */
            if (m % 7 == 0 && any) {
                double g0 = F[m] + frac * bw[m];
                int m1 = m + 1 + (int)gm_rng_below(&r, (uint64_t)(HORIZON - m - 1));
                double a = F[m1] - g0;
                if (a > 0.0) {
                    double target = g0 + a;
                    int j = first_reaching(F, m, target);
                    double w = j + (target - F[j]) / bw[j];
                    double got = gm_cal_advance(c, t, a);
                    if (got != w)
                        print_error("round %d %s w0m %d t %g a %g: advance %.17g want %.17g\n",
                                    round, json, w0m, t, a, got, w);
                    assert_true(got == w);
                    checked_advance++;
                    /* and to an arbitrary amount: within rounding */
                    double a2 = a * gm_rng_uniform(&r);
                    if (a2 > 0.0) {
                        target = g0 + a2;
                        j = first_reaching(F, m, target);
                        w = j + (target - F[j]) / bw[j];
                        got = gm_cal_advance(c, t, a2);
                        assert_near(got, w, 1e-9 * w + 1e-9);
                        assert_true(got >= t);
                    }
                }
            }
        }

        /* advance is non-decreasing in amount and in t */
        if (any) {
            double t = gm_rng_uniform(&r) * 2 * 10080;
            double prev = t;
            for (double a = 0.0; a < 3 * F[10080]; a += F[10080] / 97.0 + 0.001) {
                double e = gm_cal_advance(c, t, a);
                assert_true(e >= prev);
                prev = e;
            }
            double a = gm_rng_uniform(&r) * F[10080];
            prev = 0.0;
            for (double tt = 0.0; tt < 2 * 10080; tt += 1.37) {
                double e = gm_cal_advance(c, tt, a);
                assert_true(e >= tt);
                assert_true(e >= prev);
                prev = e;
            }
        }
        gm_cal_free(c);
    }
    assert_true(checked_advance > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_entry_limit),
        cmocka_unit_test(test_office_hours),
        cmocka_unit_test(test_large_times_exact),
        cmocka_unit_test(test_large_times_consistent),
        cmocka_unit_test(test_wrapping_range),
        cmocka_unit_test(test_midnight_and_week_wrap),
        cmocka_unit_test(test_overlap_union),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_week_position),
        cmocka_unit_test(test_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
