/*
 * test_experiment: intervals of fractions stay in [0, 1].
 *
 * A replication's KPIs here are fixed numbers, so every interval is known in
 * advance: mean +- t(0.975, n-1) sd / sqrt(n), computed in the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "des/experiment.h"

/* Per replication (and per batch): KPI 0 near 1, KPI 1 the same values but
   not a fraction, KPI 2 a fraction in the middle, KPI 3 a fraction near 0. */
static const double near1[5] = {0.99990, 0.99999, 1.0, 0.99980, 1.0};
static const double mid[5] = {0.4, 0.5, 0.6, 0.5, 0.45};
static const double near0[5] = {0.0, 0.0002, 0.0, 0.0001, 0.0};

static int rep(const void *ctx, uint64_t seed, uint64_t r, double *kpi, double *batch,
               uint64_t *events, gm_err *err)
{
    (void)ctx, (void)seed, (void)err;
    size_t i = (size_t)(r % 5);
    kpi[0] = kpi[1] = near1[i];
    kpi[2] = mid[i];
    kpi[3] = near0[i];
    if (batch)
        for (size_t b = 0; b < 5; b++) {
            batch[b * 4 + 0] = batch[b * 4 + 1] = near1[b];
            batch[b * 4 + 2] = mid[b];
            batch[b * 4 + 3] = near0[b];
        }
    *events += 1;
    return 0;
}

static bool fraction(const void *ctx, size_t k)
{
    (void)ctx;
    return k != 1;
}

/* mean +- t(0.975, 4) sd / sqrt(5) of v[5] */
static void t_interval(const double *v, double *lo, double *hi)
{
    double m = 0, ss = 0;
    for (int i = 0; i < 5; i++)
        m += v[i] / 5;
    for (int i = 0; i < 5; i++)
        ss += (v[i] - m) * (v[i] - m);
    double half = 2.7764451051977987 * sqrt(ss / 4) / sqrt(5);
    *lo = m - half;
    *hi = m + half;
}

static void check(const gm_exp_summary *s)
{
    double lo, hi;
    t_interval(near1, &lo, &hi);
    assert_true(hi > 1); /* the raw interval reaches past 1 ... */
    assert_true(fabs(s->kpi[0].lo - lo) < 1e-12);
    assert_true(s->kpi[0].hi == 1); /* ... and is cut there for a fraction */
    assert_true(s->kpi[0].clipped);
    assert_true(fabs(s->kpi[1].hi - hi) < 1e-12); /* not a fraction: untouched */
    assert_false(s->kpi[1].clipped);
    t_interval(mid, &lo, &hi);
    assert_true(fabs(s->kpi[2].lo - lo) < 1e-12 && fabs(s->kpi[2].hi - hi) < 1e-12);
    assert_false(s->kpi[2].clipped);
    t_interval(near0, &lo, &hi);
    assert_true(lo < 0);
    assert_true(s->kpi[3].lo == 0 && fabs(s->kpi[3].hi - hi) < 1e-12);
    assert_true(s->kpi[3].clipped);
}

static void test_fraction_intervals(void **state)
{
    (void)state;
    gm_experiment e = {.reps = 5, .threads = 1, .seed = 1, .nkpi = 4, .nbatches = 5,
                       .rep = rep, .is_fraction = fraction};
    gm_exp_summary s;
    assert_int_equal(gm_experiment_run(&e, &s, NULL), 0);
    assert_false(s.batch_means);
    check(&s);
    gm_exp_summary_free(&s);

    /* one replication: batch means, around the run's own value (here the
       first replication's, which the batches are built to match in mean
       only; the half-width is what is checked) */
    e.reps = 1;
    assert_int_equal(gm_experiment_run(&e, &s, NULL), 0);
    assert_true(s.batch_means);
    assert_true(s.kpi[0].hi <= 1 && s.kpi[0].clipped);
    assert_true(s.kpi[1].hi > 1 && !s.kpi[1].clipped);
    assert_true(s.kpi[3].lo >= 0);
    gm_exp_summary_free(&s);

    /* without is_fraction nothing is cut */
    e.reps = 5;
    e.is_fraction = NULL;
    assert_int_equal(gm_experiment_run(&e, &s, NULL), 0);
    assert_true(s.kpi[0].hi > 1 && !s.kpi[0].clipped);
    gm_exp_summary_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fraction_intervals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
