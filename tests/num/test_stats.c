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

/* t_{0.975, 9} and t_{0.975, 3}, from mpmath at 40 digits. */
#define T975_9 2.262157162798205
#define T975_3 3.1824463052837084

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
/* Time average                                                              */

static void test_timeavg(void **state)
{
    (void)state;
    gm_timeavg a;
    /* 0 on [0,2), 3 on [2,5), 1 from 5 on */
    gm_timeavg_init(&a, 0, 0);
    gm_timeavg_set(&a, 2, 3);
    gm_timeavg_set(&a, 5, 1);
    close_rel(gm_timeavg_mean(&a, 10), (0 * 2 + 3 * 3 + 1 * 5) / 10.0, 1e-15);
    close_rel(gm_timeavg_mean(&a, 5), 9 / 5.0, 1e-15);
    assert_true(a.max == 3);
    /* two changes at the same instant: the first holds for no time */
    gm_timeavg_set(&a, 6, 100);
    gm_timeavg_set(&a, 6, 2);
    close_rel(gm_timeavg_mean(&a, 8), (9 + 1 * 1 + 2 * 2) / 8.0, 1e-15);
    assert_true(a.max == 100);
    /* warm-up deletion at 8: the value 2 carries over */
    gm_timeavg_reset(&a, 8);
    assert_true(a.max == 2);
    close_rel(gm_timeavg_mean(&a, 10), 2, 1e-15);
    gm_timeavg_set(&a, 9, 4);
    close_rel(gm_timeavg_mean(&a, 11), (2 * 1 + 4 * 2) / 3.0, 1e-15);
    assert_true(a.max == 4);
    /* an empty window reports the current value; time running backwards
       adds no negative area */
    assert_true(gm_timeavg_mean(&a, 8) == 4);
    gm_timeavg_set(&a, 7, 0);
    close_rel(gm_timeavg_mean(&a, 11), 2.0 / 3, 1e-15); /* 2 on [8,9), then 0 */
    /* reset before the last change restarts at the last change */
    gm_timeavg_reset(&a, 0);
    assert_true(a.t_start == 9 && a.area == 0);
}

/* ------------------------------------------------------------------------ */
/* P-squared                                                                 */

static double p2_run(const gm_dist *d, double p, int n, uint64_t seed)
{
    gm_p2 q;
    gm_p2_init(&q, p);
    gm_rng r;
    gm_rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++)
        gm_p2_add(&q, gm_dist_sample(d, &r));
    return gm_p2_value(&q);
}

static void test_p2(void **state)
{
    (void)state;
    gm_dist u, e;
    assert_int_equal(gm_dist_uniform(&u, 0, 1, NULL), 0);
    assert_int_equal(gm_dist_exponential(&e, 1, NULL), 0);
    const int n = 1000000;
    /* Against the true quantiles: uniform p, exponential -log(1-p). */
    assert_true(fabs(p2_run(&u, 0.5, n, 1) - 0.5) < 2e-3);
    assert_true(fabs(p2_run(&u, 0.9, n, 2) - 0.9) < 2e-3);
    assert_true(fabs(p2_run(&u, 0.99, n, 3) - 0.99) < 1e-3);
    double q50 = p2_run(&e, 0.5, n, 4), q90 = p2_run(&e, 0.9, n, 5), q99 = p2_run(&e, 0.99, n, 6);
    close_rel(q50, log(2), 5e-3);
    close_rel(q90, log(10), 5e-3);
    close_rel(q99, log(100), 1e-2);

    /* Fewer than five observations: exact, interpolated order statistics. */
    gm_p2 q;
    gm_p2_init(&q, 0.5);
    assert_true(isnan(gm_p2_value(&q)));
    gm_p2_add(&q, 4);
    assert_true(gm_p2_value(&q) == 4);
    gm_p2_add(&q, 1);
    gm_p2_add(&q, 9);
    assert_true(gm_p2_value(&q) == 4);
    gm_p2_add(&q, 2);
    assert_true(gm_p2_value(&q) == 3); /* between 2 and 4 */
    /* p = 0 and p = 1 track the exact minimum and maximum. */
    gm_p2 lo, hi;
    gm_p2_init(&lo, 0);
    gm_p2_init(&hi, 1);
    gm_rng r;
    gm_rng_seed(&r, 9, 0);
    double mn = HUGE_VAL, mx = -HUGE_VAL;
    for (int i = 0; i < 10000; i++) {
        double x = gm_dist_sample(&e, &r);
        gm_p2_add(&lo, x);
        gm_p2_add(&hi, x);
        mn = fmin(mn, x);
        mx = fmax(mx, x);
    }
    assert_true(gm_p2_value(&lo) == mn && gm_p2_value(&hi) == mx);
    gm_p2_init(&q, (double)NAN);
    assert_true(q.p == 0.5);
    gm_p2_init(&q, 7);
    assert_true(q.p == 1);
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
    /* the same from a tally */
    gm_tally t;
    gm_tally_init(&t);
    for (int i = 0; i < 10; i++)
        gm_tally_add(&t, x[i]);
    gm_ci ct;
    assert_int_equal(gm_ci_from_tally(&t, 0.95, &ct), 0);
    close_rel(ct.half, ci.half, 1e-13);
    close_rel(ct.mean, ci.mean, 1e-15);
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
    gm_tally_init(&t);
    gm_tally_add(&t, 1);
    assert_int_equal(gm_ci_from_tally(&t, 0.95, &out), GM_EINVAL);
    assert_memory_equal(&out, &keep, sizeof out);
}

/* ------------------------------------------------------------------------ */
/* Batch means                                                               */

static void test_bm_mechanics(void **state)
{
    (void)state;
    gm_batchmeans b;
    gm_bm_init(&b, 4);
    gm_ci ci;
    assert_int_equal(gm_bm_ci(&b, 0.95, &ci), GM_EINVAL);
    for (int i = 1; i <= 8; i++)
        gm_bm_add(&b, i);
    /* 8 = 2k batches of one merged into 4 of two */
    assert_true(b.full == 4 && b.size == 2);
    assert_true(b.mean[0] == 1.5 && b.mean[3] == 7.5);
    for (int i = 9; i <= 16; i++)
        gm_bm_add(&b, i);
    assert_true(b.full == 4 && b.size == 4 && b.n == 16);
    assert_true(b.mean[0] == 2.5 && b.mean[1] == 6.5 && b.mean[2] == 10.5 && b.mean[3] == 14.5);
    gm_bm_add(&b, 1000); /* a partial batch is not used yet */
    assert_int_equal(gm_bm_ci(&b, 0.95, &ci), 0);
    assert_true(ci.n == 4);
    close_rel(ci.mean, 8.5, 1e-15);
    close_rel(ci.sd, sqrt(80.0 / 3), 1e-15);
    close_rel(ci.half, T975_3 * sqrt(80.0 / 3) / 2, 1e-13);
    /* clamping of the batch count */
    gm_bm_init(&b, 0);
    assert_true(b.k == 20);
    gm_bm_init(&b, 1);
    assert_true(b.k == 2);
    gm_bm_init(&b, 100000);
    assert_true(b.k == GM_BM_MAX_BATCHES);
}

/* x_t = mu + phi (x_{t-1} - mu) + e_t: strongly correlated for phi = 0.9,
   where the variance of the mean is (1+phi)/(1-phi) = 19 times the iid one. */
static void ar1_run(gm_rng *r, const gm_dist *noise, int n, gm_batchmeans *b, gm_tally *t)
{
    const double mu = 5, phi = 0.9;
    double x = mu + gm_dist_sample(noise, r) / sqrt(1 - phi * phi); /* stationary start */
    for (int i = 0; i < n; i++) {
        gm_bm_add(b, x);
        gm_tally_add(t, x);
        x = mu + phi * (x - mu) + gm_dist_sample(noise, r);
    }
}

static void test_bm_ar1(void **state)
{
    (void)state;
    gm_dist noise;
    assert_int_equal(gm_dist_normal(&noise, 0, 1, NULL), 0);
    gm_rng r;
    gm_rng_seed(&r, 77, 0);
    gm_batchmeans b;
    gm_tally t;
    gm_bm_init(&b, 20);
    gm_tally_init(&t);
    ar1_run(&r, &noise, 1000000, &b, &t);
    gm_ci bm, naive;
    assert_int_equal(gm_bm_ci(&b, 0.95, &bm), 0);
    assert_int_equal(gm_ci_from_tally(&t, 0.95, &naive), 0);
    assert_true(bm.lo < 5 && 5 < bm.hi);
    assert_true(bm.n >= 20 && bm.n < 40);
    /* the naive iid interval is far too narrow: sqrt(19) = 4.4 times */
    assert_true(bm.half > 2.5 * naive.half);
    assert_true(bm.half < 8 * naive.half);

    /* Coverage over 200 independent runs: close to the nominal 95% (the
       binomial sd of the count is 3). The naive interval covers far less. */
    int covered = 0, naive_covered = 0;
    for (int rep = 0; rep < 200; rep++) {
        gm_rng_seed(&r, 1000 + (uint64_t)rep, 0);
        gm_bm_init(&b, 20);
        gm_tally_init(&t);
        ar1_run(&r, &noise, 50000, &b, &t);
        assert_int_equal(gm_bm_ci(&b, 0.95, &bm), 0);
        assert_int_equal(gm_ci_from_tally(&t, 0.95, &naive), 0);
        covered += bm.lo <= 5 && 5 <= bm.hi;
        naive_covered += naive.lo <= 5 && 5 <= naive.hi;
    }
    if (!(covered >= 178 && covered <= 198))
        fail_msg("batch means covered the mean %d times out of 200", covered);
    assert_true(naive_covered < 120);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tally_hard_data), cmocka_unit_test(test_tally_merge),
        cmocka_unit_test(test_timeavg),         cmocka_unit_test(test_p2),
        cmocka_unit_test(test_ci_known),        cmocka_unit_test(test_bm_mechanics),
        cmocka_unit_test(test_bm_ar1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
