#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/checked.h"
#include "base/err.h"

static void test_set_and_format(void **state)
{
    (void)state;
    gm_err e;
    gm_err_clear(&e);
    char buf[256];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "no error");

    int rc = gm_err_set(&e, GM_EINVAL, "stations[2].service.mean", "expected number, got %s",
                        "string");
    assert_int_equal(rc, GM_EINVAL);
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "stations[2].service.mean: expected number, got string");

    /* No location: just the message. */
    gm_err_set(&e, GM_ENOENT, NULL, "no such twin '%s'", "pump1");
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "no such twin 'pump1'");
}

static void test_prefix(void **state)
{
    (void)state;
    gm_err e;
    gm_err_set(&e, GM_EINVAL, "stations[0].servers", "expected integer >= 1, got 0");
    assert_int_equal(gm_err_prefix(&e, "%s", "model.json"), GM_EINVAL);
    char buf[256];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "model.json: stations[0].servers: expected integer >= 1, got 0");
    /* Prefix on an empty location yields just the prefix. */
    gm_err_set(&e, GM_EIO, "", "short read");
    gm_err_prefix(&e, "data/log.db");
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "data/log.db: short read");
}

static void test_one_line_and_truncation(void **state)
{
    (void)state;
    gm_err e;
    gm_err_set(&e, GM_EPARSE, "a\nb", "line one\nline two\r\t");
    char buf[256];
    gm_err_format(&e, buf, sizeof buf);
    assert_null(strchr(buf, '\n'));
    assert_null(strchr(buf, '\r'));
    assert_string_equal(buf, "a b: line one line two  ");

    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gm_err_set(&e, GM_ELIMIT, big, "%s", big);
    assert_int_equal(strlen(e.where), GM_ERR_WHERE_MAX - 1);
    assert_int_equal(strlen(e.what), GM_ERR_WHAT_MAX - 1);
    char small[8];
    gm_err_format(&e, small, sizeof small);
    assert_int_equal(strlen(small), 7);
}

static void test_errno_and_null(void **state)
{
    (void)state;
    gm_err e;
    gm_err_errno(&e, GM_EIO, ENOENT, "model.json", "cannot open");
    char buf[256];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "model.json: cannot open: No such file or directory");
    /* NULL err is allowed everywhere and the code still comes back. */
    assert_int_equal(gm_err_set(NULL, GM_ERANGE, "x", "y"), GM_ERANGE);
    assert_int_equal(gm_err_prefix(NULL, "z"), GM_OK);
    gm_err_clear(NULL);
}

static void test_strerror_distinct(void **state)
{
    (void)state;
    for (int a = GM_EINTERNAL; a <= GM_OK; a++)
        for (int b = GM_EINTERNAL; b < a; b++)
            assert_string_not_equal(gm_strerror(a), gm_strerror(b));
    assert_string_equal(gm_strerror(-999), "unknown error");
}

static void test_checked(void **state)
{
    (void)state;
    size_t r = 7;
    assert_int_equal(gm_size_mul(SIZE_MAX / 2 + 1, 2, &r), GM_ERANGE);
    assert_int_equal(r, 7);
    assert_int_equal(gm_size_add(SIZE_MAX, 1, &r), GM_ERANGE);
    assert_int_equal(gm_size_mul(1000, 1000, &r), GM_OK);
    assert_int_equal(r, 1000000);
    assert_int_equal(gm_size_add(SIZE_MAX - 1, 1, &r), GM_OK);
    assert_true(r == SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_format),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_one_line_and_truncation),
        cmocka_unit_test(test_errno_and_null),
        cmocka_unit_test(test_strerror_distinct),
        cmocka_unit_test(test_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
