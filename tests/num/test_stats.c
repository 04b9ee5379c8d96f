#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num/dist.h"
#include "num/rng.h"
#include "num/stats.h"

/* t_{0.975, 9}, from mpmath at 40 digits. */
#define T975_9 2.262157162798205

static void close_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.17g, want %.17g (tolerance %g relative)", got, want, tol);
}

/* ------------------------------------------------------------------------ */
/* Tally                                                                     */

static void test_tally_hard_data(void **state)
{
    (void)state;
    /* 1e9 plus uniform noise of variance 1/12: the sum of squares is ~1e24
       and the naive formula keeps no correct digit of the variance;
       Welford must agree with a long double two-pass reference. */
    enum { N = 100000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    gm_rng r;
    gm_rng_seed(&r, 2024, 0);
    gm_tally t;
    gm_tally_init(&t);
    double naive_s = 0, naive_ss = 0;
    for (int i = 0; i < N; i++) {
        x[i] = 1e9 + gm_rng_uniform(&r);
        gm_tally_add(&t, x[i]);
        naive_s += x[i];
        naive_ss += x[i] * x[i];
    }
    long double m = 0, ss = 0;
    for (int i = 0; i < N; i++)
        m += (long double)x[i];
    m /= N;
    for (int i = 0; i < N; i++)
        ss += ((long double)x[i] - m) * ((long double)x[i] - m);
    double ref_var = (double)(ss / (N - 1));
    double naive_var = (naive_ss - naive_s * naive_s / N) / (N - 1);
    double lo = x[0], hi = x[0];
    for (int i = 1; i < N; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    free(x);
    assert_true(t.n == N);
    /* The running mean rounds to ulp(1e9) = 1.2e-7 at every step, which
       bounds Welford's accuracy at about eps |mean| / sd = 4e-7 relative in
       the variance (condition number 3.5e9); the naive formula is off by
       more than 10%. */
    close_rel(t.mean, (double)m, 1e-13);
    close_rel(gm_tally_var(&t), ref_var, 1e-6);
    close_rel(gm_tally_sd(&t), sqrt(ref_var), 1e-6);
    assert_true(fabs(naive_var - ref_var) > 0.1 * ref_var);
    assert_true(t.min == lo && t.max == hi);

    /* A milder offset (1e6, sd 1): full double accuracy but for ~1e-10. */
    gm_tally_init(&t);
    gm_dist nd;
    assert_int_equal(gm_dist_normal(&nd, 1e6, 1, NULL), 0);
    long double s1 = 0, s2 = 0;
    enum { M = 10000 };
    double y[M];
    for (int i = 0; i < M; i++) {
        y[i] = gm_dist_sample(&nd, &r);
        gm_tally_add(&t, y[i]);
        s1 += (long double)y[i];
    }
    s1 /= M;
    for (int i = 0; i < M; i++)
        s2 += ((long double)y[i] - s1) * ((long double)y[i] - s1);
    close_rel(gm_tally_var(&t), (double)(s2 / (M - 1)), 1e-9);

    /* n < 2 */
    gm_tally_init(&t);
    assert_true(gm_tally_var(&t) == 0 && t.min == HUGE_VAL && t.max == -HUGE_VAL);
    gm_tally_add(&t, 3);
    assert_true(gm_tally_var(&t) == 0 && t.mean == 3 && t.min == 3 && t.max == 3);
}

static void test_tally_merge(void **state)
{
    (void)state;
    gm_rng r;
    gm_rng_seed(&r, 7, 0);
    gm_dist d;
    assert_int_equal(gm_dist_lognormal(&d, 3, 1, NULL), 0);
    gm_tally all, parts[5];
    gm_tally_init(&all);
    for (int i = 0; i < 5; i++)
        gm_tally_init(&parts[i]);
    const int sizes[5] = {1, 0, 1000, 37, 20000}; /* including empty and single */
    for (int p = 0; p < 5; p++)
        for (int i = 0; i < sizes[p]; i++) {
            double x = 1e6 + gm_dist_sample(&d, &r);
            gm_tally_add(&all, x);
            gm_tally_add(&parts[p], x);
        }
    gm_tally merged;
    gm_tally_init(&merged);
    for (int p = 0; p < 5; p++)
        gm_tally_merge(&merged, &parts[p]);
    assert_true(merged.n == all.n);
    close_rel(merged.mean, all.mean, 1e-13);
    close_rel(gm_tally_var(&merged), gm_tally_var(&all), 1e-11);
    assert_true(merged.min == all.min && merged.max == all.max);
    /* merging into the middle of a sequence, and an empty other */
    gm_tally a = parts[2], empty;
    gm_tally_init(&empty);
    gm_tally_merge(&a, &empty);
    assert_memory_equal(&a, &parts[2], sizeof a);
    gm_tally_merge(&a, &parts[3]);
    gm_tally seq;
    gm_tally_init(&seq);
    gm_tally_merge(&seq, &parts[2]);
    gm_tally_merge(&seq, &parts[3]);
    close_rel(gm_tally_var(&a), gm_tally_var(&seq), 1e-15);
}

/* ------------------------------------------------------------------------ */
/* Confidence intervals                                                      */

static void test_ci_known(void **state)
{
    (void)state;
    const double x[10] = {2.1, 3.4, 1.9, 5.6, 4.4, 3.8, 2.7, 4.9, 3.3, 4.1};
    double mean = 0;
    for (int i = 0; i < 10; i++)
        mean += x[i] / 10;
    double ss = 0;
    for (int i = 0; i < 10; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(ss / 9);
    gm_ci ci;
    assert_int_equal(gm_ci_mean(x, 10, 0.95, &ci), 0);
    assert_true(ci.n == 10);
    close_rel(ci.mean, 3.62, 1e-15);
    close_rel(ci.sd, sd, 1e-14);
    close_rel(ci.half, T975_9 * sd / sqrt(10), 1e-13);
    close_rel(ci.lo, 3.62 - ci.half, 1e-15);
    close_rel(ci.hi, 3.62 + ci.half, 1e-15);
    /* two observations: t_{0.975, 1} = 12.706... */
    const double two[2] = {1, 3};
    assert_int_equal(gm_ci_mean(two, 2, 0.95, &ci), 0);
    close_rel(ci.half, 12.706204736174698 * sqrt(2) / sqrt(2), 1e-13);
    /* a large common offset costs no precision */
    double off[10];
    for (int i = 0; i < 10; i++)
        off[i] = 1e12 + x[i];
    assert_int_equal(gm_ci_mean(off, 10, 0.95, &ci), 0);
    close_rel(ci.sd, sd, 1e-3); /* x keeps ~4 digits at an offset of 1e12 */
    /* rejections leave out untouched */
    gm_ci keep;
    memset(&keep, 0x3c, sizeof keep);
    gm_ci out = keep;
    assert_int_equal(gm_ci_mean(x, 1, 0.95, &out), GM_EINVAL);
    assert_int_equal(gm_ci_mean(x, 10, 1, &out), GM_EINVAL);
    assert_int_equal(gm_ci_mean(x, 10, 0, &out), GM_EINVAL);
    assert_int_equal(gm_ci_mean(NULL, 10, 0.9, &out), GM_EINVAL);
    assert_memory_equal(&out, &keep, sizeof out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tally_hard_data),
        cmocka_unit_test(test_tally_merge),
        cmocka_unit_test(test_ci_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
