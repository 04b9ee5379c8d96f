#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/strconv.h"

static void test_i64(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(gm_parse_i64("42", 0, 100, &v, "--n", NULL), 0);
    assert_int_equal(v, 42);
    assert_int_equal(gm_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v, "x", NULL), 0);
    assert_true(v == INT64_MIN);
    gm_err e;
    v = 7;
    assert_int_equal(gm_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v, "x", &e),
                     GM_ERANGE);
    assert_int_equal(v, 7); /* untouched on error */
    assert_int_equal(gm_parse_i64("101", 0, 100, &v, "--n", &e), GM_ERANGE);
    assert_string_equal(e.where, "--n");
    assert_string_equal(e.what, "expected an integer in 0..100, got 101");
    const char *bad[] = {"", " 1", "1 ", "1x", "0x10", "1.0", "--1", "+", "abc", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(gm_parse_i64(bad[i], INT64_MIN, INT64_MAX, &v, "x", &e), GM_EINVAL);
}

static void test_u64(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(gm_parse_u64("18446744073709551615", 0, UINT64_MAX, &v, "x", NULL), 0);
    assert_true(v == UINT64_MAX);
    gm_err e;
    assert_int_equal(gm_parse_u64("18446744073709551616", 0, UINT64_MAX, &v, "x", &e), GM_ERANGE);
    /* strtoull would happily wrap "-1" to UINT64_MAX. */
    assert_int_equal(gm_parse_u64("-1", 0, UINT64_MAX, &v, "--reps", &e), GM_EINVAL);
    assert_string_equal(e.what, "expected a non-negative integer, got '-1'");
    assert_int_equal(gm_parse_u64("+1", 0, UINT64_MAX, &v, "x", &e), GM_EINVAL);
    assert_int_equal(gm_parse_u64("0", 1, 10, &v, "--threads", &e), GM_ERANGE);
}

static void test_double(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(gm_parse_double("0.37037037", 0, 1e9, &d, "x", NULL), 0);
    assert_true(d == 0.37037037);
    assert_int_equal(gm_parse_double("-2.5e-3", -1, 1, &d, "x", NULL), 0);
    assert_true(d == -2.5e-3);
    assert_int_equal(gm_parse_double(".5", 0, 1, &d, "x", NULL), 0);
    assert_true(d == 0.5);
    gm_err e;
    const char *bad[] = {"", "nan", "inf", "-inf", "0x1p3", "1e", "1.5.", " 1", "1 ", "e5", NULL};
    for (int i = 0; bad[i]; i++) {
        d = 9;
        assert_int_equal(gm_parse_double(bad[i], -1e300, 1e300, &d, "x", &e), GM_EINVAL);
        assert_true(d == 9);
    }
    assert_int_equal(gm_parse_double("1e400", -1e300, 1e300, &d, "x", &e), GM_ERANGE);
    assert_int_equal(gm_parse_double("2", 0, 1, &d, "--p", &e), GM_ERANGE);
    assert_string_equal(e.what, "expected a number in [0, 1], got 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
