/*
 * skip.h: skips that CTest reports as skips (test helper).
 *
 * cmocka's skip() marks one test as skipped but the executable still exits
 * 0, so CTest would count it as passed. A test that cannot run here (its
 * data under ../shared is absent, a device is missing) calls
 * GM_TEST_SKIP("why"): the reason is printed, the test is skipped, and
 * main's `return gm_test_result(cmocka_run_group_tests(...))` then exits
 * GM_TEST_SKIP_CODE (77), which tests/CMakeLists.txt declares as every
 * test's SKIP_RETURN_CODE. Failures still win: a run with a failure exits
 * with the failure count.
 *
 * Where everything must run (CI sets GEMEL_NO_SKIP=1, with ../shared beside
 * the checkout), a skip fails the test instead, with the same reason.
 *
 * Include it after <cmocka.h>.
 */
#ifndef GM_TESTS_SKIP_H
#define GM_TESTS_SKIP_H

#include <stdlib.h>

#define GM_TEST_SKIP_CODE 77

/* Tests skipped so far in this executable (cmocka runs them in-process). */
static int gm_test_skipped;

#define GM_TEST_SKIP(...)                                                                         \
    do {                                                                                          \
        const char *gm_no_skip_ = getenv("GEMEL_NO_SKIP");                                        \
        if (gm_no_skip_ && *gm_no_skip_ && *gm_no_skip_ != '0')                                   \
            fail_msg("cannot run here, and GEMEL_NO_SKIP is set: " __VA_ARGS__);                  \
        print_message("SKIP: " __VA_ARGS__);                                                      \
        print_message("\n");                                                                      \
        gm_test_skipped++;                                                                        \
        skip();                                                                                   \
    } while (0)

/* The executable's exit status from cmocka's failure count. */
static inline int gm_test_result(int failed)
{
    if (failed)
        return failed;
    return gm_test_skipped ? GM_TEST_SKIP_CODE : 0;
}

#endif
