#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "num/dist.h"
#include "num/special.h"

/*
 * Every kind is checked against theory on a large sample drawn from a fixed
 * stream (so the outcome is deterministic): the sample mean within 5
 * standard errors of gm_dist_mean, the sample variance within 5 standard
 * errors (from the sample's fourth moment) of gm_dist_var, every sample in
 * the support, and a goodness-of-fit test at alpha = 0.001:
 * Kolmogorov-Smirnov against gm_dist_cdf for continuous kinds, chi-square on
 * the probability mass function (from gm_dist_cdf differences, bins merged to
 * expected counts >= 5) for discrete ones, against gm_chi2_quantile(0.999).
 */

#define N_CONT 200000   /* continuous: KS needs a sort and n CDF evaluations */
#define N_DISC 1000000  /* discrete: binned counts only */

static const char *spec_json;

static void load(const char *json, gm_dist *d)
{
    gm_err e;
    gm_err_clear(&e);
    spec_json = json;
    json_t *v = gm_json_load_str(json, strlen(json), NULL, "spec", &e);
    if (!v)
        fail_msg("%s: %s", json, e.what);
    if (gm_dist_from_json(v, "s", d, &e) != 0) {
        char line[1200];
        fail_msg("%s: %s", json, gm_err_format(&e, line, sizeof line));
    }
    json_decref(v);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t seed_of(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: a fixed stream per spec */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Draw n samples; check support, mean and variance. Returns the samples. */
static double *draw_and_check_moments(const gm_dist *d, size_t n, double lo, double hi)
{
    gm_rng r;
    gm_rng_seed(&r, seed_of(spec_json), 7);
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    double mean = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = gm_dist_sample(d, &r);
        if (!(x[i] >= lo && x[i] <= hi))
            fail_msg("%s: sample %.17g outside [%g, %g]", spec_json, x[i], lo, hi);
        mean += (x[i] - mean) / (double)(i + 1);
    }
    double m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double dv = x[i] - mean;
        m2 += dv * dv;
        m4 += dv * dv * dv * dv;
    }
    double var = m2 / (double)(n - 1);
    m4 /= (double)n;
    double mu = gm_dist_mean(d), sigma2 = gm_dist_var(d);
    double se_mean = sqrt(sigma2 / (double)n);
    if (!(fabs(mean - mu) <= 5 * se_mean + 1e-12 * fabs(mu)))
        fail_msg("%s: sample mean %.10g, expected %.10g (%.2f standard errors)", spec_json,
                 mean, mu, (mean - mu) / se_mean);
    double se_var = sqrt(fmax(m4 - var * var, 0) / (double)n);
    if (!(fabs(var - sigma2) <= 5 * se_var + 1e-12 * sigma2))
        fail_msg("%s: sample variance %.10g, expected %.10g (%.2f standard errors)", spec_json,
                 var, sigma2, (var - sigma2) / se_var);
    return x;
}

/* Kolmogorov-Smirnov, with ties handled through the left limits F(x-) so
   that distributions with atoms (tied empirical samples) are judged right. */
static void ks_test(const gm_dist *d, double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    double dmax = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && x[j] == x[i])
            j++;
        double f = gm_dist_cdf(d, x[i]);
        double f_left = gm_dist_cdf(d, nextafter(x[i], -HUGE_VAL));
        dmax = fmax(dmax, fabs((double)j / (double)n - f));
        dmax = fmax(dmax, fabs((double)i / (double)n - f_left));
        i = j;
    }
    double crit = 1.949 / sqrt((double)n);
    if (!(dmax < crit))
        fail_msg("%s: KS statistic %.5f >= critical %.5f", spec_json, dmax, crit);
}

static void check_continuous(const char *json, double lo, double hi)
{
    gm_dist d;
    load(json, &d);
    assert_false(gm_dist_is_discrete(&d));
    double *x = draw_and_check_moments(&d, N_CONT, lo, hi);
    ks_test(&d, x, N_CONT);
    free(x);
    gm_dist_free(&d);
}

/*
 * Chi-square on support points pts[0..npts-1] (ascending). The first bin
 * also takes the mass below pts[0], the last the mass above; neighbours are
 * merged until every expected count is >= 5.
 */
static void chi2_test(const gm_dist *d, double *x, size_t n, const double *pts, size_t npts)
{
    size_t nb = 0, cap = npts + 1;
    double *edge = malloc(cap * sizeof *edge), *expect = malloc(cap * sizeof *expect);
    assert_non_null(edge);
    assert_non_null(expect);
    double prev_cdf = 0, acc = 0;
    for (size_t k = 0; k < npts; k++) {
        double c = gm_dist_cdf(d, pts[k]);
        acc += (c - prev_cdf) * (double)n;
        prev_cdf = c;
        if (acc >= 5 && (1 - c) * (double)n >= 5) {
            edge[nb] = pts[k];
            expect[nb++] = acc;
            acc = 0;
        }
    }
    /* the rest, through the upper tail, into the last bin */
    edge[nb] = HUGE_VAL;
    expect[nb++] = acc + (1 - prev_cdf) * (double)n;
    double *obs = calloc(nb, sizeof *obs);
    assert_non_null(obs);
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = nb - 1; /* first bin whose edge >= x */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (edge[mid] >= x[i])
                hi = mid;
            else
                lo = mid + 1;
        }
        obs[lo] += 1;
    }
    double stat = 0;
    for (size_t b = 0; b < nb; b++)
        stat += (obs[b] - expect[b]) * (obs[b] - expect[b]) / expect[b];
    if (nb >= 2) {
        double crit = gm_chi2_quantile(0.999, (double)(nb - 1));
        if (!(stat < crit))
            fail_msg("%s: chi-square %.2f >= %.2f (%zu bins)", spec_json, stat, crit, nb);
    }
    free(edge);
    free(expect);
    free(obs);
}

/* Integer-valued kinds: the support points are the integers around the mean. */
static void check_integer(const char *json, double lo, double hi)
{
    gm_dist d;
    load(json, &d);
    assert_true(gm_dist_is_discrete(&d));
    double *x = draw_and_check_moments(&d, N_DISC, lo, hi);
    for (size_t i = 0; i < N_DISC; i++)
        assert_true(x[i] == floor(x[i]));
    double mu = gm_dist_mean(&d), sd = sqrt(gm_dist_var(&d));
    double k0 = fmax(lo, floor(mu - 12 * sd - 5)), k1 = fmin(hi, ceil(mu + 12 * sd + 30));
    size_t npts = (size_t)(k1 - k0) + 1;
    double *pts = malloc(npts * sizeof *pts);
    assert_non_null(pts);
    for (size_t i = 0; i < npts; i++)
        pts[i] = k0 + (double)i;
    chi2_test(&d, x, N_DISC, pts, npts);
    free(pts);
    free(x);
    gm_dist_free(&d);
}

/* ------------------------------------------------------------------------ */
/* Continuous kinds                                                          */

static void test_uniform_exponential_normal(void **state)
{
    (void)state;
    check_continuous("{\"dist\": \"uniform\", \"min\": -1, \"max\": 3}", -1, 3);
    check_continuous("{\"dist\": \"exponential\", \"mean\": 1}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"exponential\", \"rate\": 4}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"exponential\", \"mean\": 1e-3}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}", -HUGE_VAL, HUGE_VAL);
    check_continuous("{\"dist\": \"normal\", \"mean\": 100, \"sd\": 15}", -HUGE_VAL, HUGE_VAL);
}

static void test_truncated_normal(void **state)
{
    (void)state;
    /* Every method: exponential (Robert) in far tails on either side, with a
       far upper bound; uniform for narrow intervals at the centre and in a
       tail; plain rejection; half-normal rejection. */
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": 10}", 10,
                     HUGE_VAL);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 5, \"sd\": 2, \"max\": -15}",
                     -HUGE_VAL, -15);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 3, \"sd\": 0.5, \"min\": 4, "
                     "\"max\": 7}",
                     4, 7);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": -0.1, "
                     "\"max\": 0.2}",
                     -0.1, 0.2);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": 3, "
                     "\"max\": 3.1}",
                     3, 3.1);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": -1, "
                     "\"max\": 2}",
                     -1, 2);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 10, \"sd\": 4, \"min\": 12}", 12,
                     HUGE_VAL);
    check_continuous("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": 1000}",
                     1000, HUGE_VAL);

    /* Moments in the far tail, against the asymptotic expansion of the Mills
       ratio: for min = a >> 1, mean = a + 1/a - 2/a^3 + 10/a^5 - ... */
    gm_dist d;
    assert_int_equal(gm_dist_truncnormal(&d, 0, 1, 1000, HUGE_VAL, NULL), 0);
    double a = 1000;
    double m = a + 1 / a - 2 / (a * a * a) + 10 / pow(a, 5);
    assert_true(fabs(gm_dist_mean(&d) - m) < 1e-12 * m);
    /* variance 1/a^2 - 6/a^4 + ... */
    assert_true(fabs(gm_dist_var(&d) - (1 / (a * a) - 6 / pow(a, 4))) < 1e-9 / (a * a));
    /* A symmetric interval keeps the mean. */
    assert_int_equal(gm_dist_truncnormal(&d, 2, 3, -1, 5, NULL), 0);
    assert_true(fabs(gm_dist_mean(&d) - 2) < 1e-14);
    assert_true(fabs(gm_dist_cdf(&d, 2) - 0.5) < 1e-15);
    /* The variance of N(0,1) on [-1, 1]: 1 - 2 phi(1) / (2 Phi(1) - 1). */
    assert_int_equal(gm_dist_truncnormal(&d, 0, 1, -1, 1, NULL), 0);
    double phi1 = exp(-0.5) / sqrt(2 * M_PI), z = erf(M_SQRT1_2);
    assert_true(fabs(gm_dist_var(&d) - (1 - 2 * phi1 / z)) < 1e-13);
}

static void test_lognormal_gamma_erlang_weibull(void **state)
{
    (void)state;
    check_continuous("{\"dist\": \"lognormal\", \"mean\": 2, \"sd\": 1}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"lognormal\", \"mu\": 0, \"sigma\": 0.5}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"gamma\", \"shape\": 0.3, \"scale\": 2}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"gamma\", \"shape\": 2.5, \"scale\": 1}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"gamma\", \"shape\": 50, \"rate\": 2}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"gamma\", \"mean\": 3, \"sd\": 6}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"erlang\", \"k\": 3, \"mean\": 2}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"erlang\", \"k\": 40, \"mean\": 2}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"weibull\", \"shape\": 1.5, \"scale\": 2}", 0, HUGE_VAL);
    check_continuous("{\"dist\": \"weibull\", \"shape\": 0.7, \"scale\": 1}", 0, HUGE_VAL);

    /* Parametrizations agree. */
    gm_dist a, b;
    load("{\"dist\": \"gamma\", \"mean\": 3, \"sd\": 6}", &a);
    assert_int_equal(gm_dist_gamma(&b, 0.25, 12, NULL), 0);
    assert_true(fabs(a.p[0] - b.p[0]) < 1e-15 && fabs(a.p[1] - b.p[1]) < 1e-14);
    load("{\"dist\": \"lognormal\", \"mean\": 2, \"sd\": 1}", &a);
    assert_true(fabs(gm_dist_mean(&a) - 2) < 1e-15 && fabs(gm_dist_var(&a) - 1) < 1e-15);
    assert_true(fabs(a.p[1] * a.p[1] - log(1.25)) < 1e-15);
}

static void test_bounded_continuous(void **state)
{
    (void)state;
    check_continuous("{\"dist\": \"triangular\", \"min\": 1, \"mode\": 2, \"max\": 5}", 1, 5);
    check_continuous("{\"dist\": \"triangular\", \"min\": 0, \"mode\": 0, \"max\": 1}", 0, 1);
    check_continuous("{\"dist\": \"triangular\", \"min\": 0, \"mode\": 1, \"max\": 1}", 0, 1);
    check_continuous("{\"dist\": \"beta\", \"alpha\": 0.5, \"beta\": 0.5}", 0, 1);
    check_continuous("{\"dist\": \"beta\", \"alpha\": 2, \"beta\": 3, \"min\": 10, \"max\": 20}",
                     10, 20);
    check_continuous("{\"dist\": \"beta\", \"alpha\": 0.2, \"beta\": 0.3}", 0, 1);
    check_continuous("{\"dist\": \"beta\", \"alpha\": 30, \"beta\": 40}", 0, 1);
    check_continuous("{\"dist\": \"pert\", \"min\": 1, \"mode\": 2, \"max\": 5}", 1, 5);
    check_continuous("{\"dist\": \"pert\", \"min\": 0, \"mode\": 5, \"max\": 10, \"lambda\": 2}",
                     0, 10);
    /* PERT mean (min + lambda mode + max) / (lambda + 2) */
    gm_dist d;
    load("{\"dist\": \"pert\", \"min\": 1, \"mode\": 2, \"max\": 5}", &d);
    assert_true(fabs(gm_dist_mean(&d) - 14.0 / 6) < 1e-15);
}

static void test_empirical_continuous(void **state)
{
    (void)state;
    /* Ties make an atom (a zero-width segment carrying 1/(n-1)). */
    check_continuous("{\"dist\": \"empirical-continuous\", \"samples\": [3, 1, 2, 8, 2]}", 1, 8);
    check_continuous("{\"dist\": \"empirical-continuous\", \"samples\": [0.5, 7, -2, 3.25, 11, "
                     "4, 4.5, 6]}",
                     -2, 11);
    gm_dist d;
    const double s[] = {3, 1, 2, 8, 2};
    assert_int_equal(gm_dist_empirical_continuous(&d, s, 5, NULL), 0);
    /* segments [1,2] [2,2] [2,3] [3,8], 1/4 each: mean of midpoints, and
       var = mean of w^2/12 plus the variance of the midpoints */
    assert_true(fabs(gm_dist_mean(&d) - (1.5 + 2 + 2.5 + 5.5) / 4) < 1e-15);
    double mids[4] = {1.5, 2, 2.5, 5.5}, w[4] = {1, 0, 1, 5}, var = 0;
    for (int i = 0; i < 4; i++)
        var += (w[i] * w[i] / 12 + (mids[i] - 2.875) * (mids[i] - 2.875)) / 4;
    assert_true(fabs(gm_dist_var(&d) - var) < 1e-14);
    assert_true(gm_dist_cdf(&d, 0.5) == 0 && gm_dist_cdf(&d, 8) == 1);
    assert_true(fabs(gm_dist_cdf(&d, 1.5) - 0.125) < 1e-15);
    assert_true(fabs(gm_dist_cdf(&d, 2) - 0.5) < 1e-15); /* right-continuous at the atom */
    assert_true(fabs(gm_dist_cdf(&d, 5.5) - 0.875) < 1e-15);
    /* Samples at a large offset keep their variance exactly. */
    gm_dist big;
    const double off[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    assert_int_equal(gm_dist_empirical_continuous(&big, off, 3, NULL), 0);
    assert_true(gm_dist_mean(&big) == 1e9 + 2);
    assert_true(fabs(gm_dist_var(&big) - (1.0 / 12 + 0.25)) < 1e-12);
    gm_dist_free(&d);
    gm_dist_free(&big);
}

/* ------------------------------------------------------------------------ */
/* Discrete kinds                                                            */

static void test_poisson(void **state)
{
    (void)state;
    check_integer("{\"dist\": \"poisson\", \"mean\": 0.5}", 0, HUGE_VAL);
    check_integer("{\"dist\": \"poisson\", \"mean\": 8}", 0, HUGE_VAL);
    check_integer("{\"dist\": \"poisson\", \"mean\": 59.9}", 0, HUGE_VAL); /* inversion */
    check_integer("{\"dist\": \"poisson\", \"mean\": 60}", 0, HUGE_VAL);   /* PTRS */
    check_integer("{\"dist\": \"poisson\", \"mean\": 1000}", 0, HUGE_VAL);
    check_integer("{\"dist\": \"poisson\", \"mean\": 250000.5}", 0, HUGE_VAL);
    gm_dist d;
    assert_int_equal(gm_dist_poisson(&d, 0, NULL), 0);
    gm_rng r;
    gm_rng_seed(&r, 1, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(gm_dist_sample(&d, &r) == 0);
}

static void test_binomial(void **state)
{
    (void)state;
    check_integer("{\"dist\": \"binomial\", \"n\": 5, \"p\": 0.3}", 0, 5);
    check_integer("{\"dist\": \"binomial\", \"n\": 10000, \"p\": 0.4}", 0, 10000);
    check_integer("{\"dist\": \"binomial\", \"n\": 30, \"p\": 0.5}", 0, 30);
    check_integer("{\"dist\": \"binomial\", \"n\": 200, \"p\": 0.9}", 0, 200); /* p > 1/2 */
    check_integer("{\"dist\": \"binomial\", \"n\": 1000, \"p\": 0.1}", 0, 1000);
    check_integer("{\"dist\": \"binomial\", \"n\": 1000000000, \"p\": 3e-8}", 0, 1e9);
    gm_dist d;
    gm_rng r;
    gm_rng_seed(&r, 2, 0);
    assert_int_equal(gm_dist_binomial(&d, 7, 1, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 7);
    assert_int_equal(gm_dist_binomial(&d, 7, 0, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 0);
    assert_int_equal(gm_dist_binomial(&d, 0, 0.5, NULL), 0);
    assert_true(gm_dist_sample(&d, &r) == 0);
}

static void test_bernoulli_geometric(void **state)
{
    (void)state;
    check_integer("{\"dist\": \"bernoulli\", \"p\": 0.3}", 0, 1);
    check_integer("{\"dist\": \"geometric\", \"p\": 0.2}", 1, HUGE_VAL);
    check_integer("{\"dist\": \"geometric\", \"p\": 0.9}", 1, HUGE_VAL);
    check_integer("{\"dist\": \"geometric\", \"p\": 0.001}", 1, HUGE_VAL);
    gm_dist d;
    gm_rng r;
    gm_rng_seed(&r, 3, 0);
    assert_int_equal(gm_dist_geometric(&d, 1, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 1);
    assert_int_equal(gm_dist_bernoulli(&d, 0, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 0);
    assert_int_equal(gm_dist_bernoulli(&d, 1, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 1);
}

static void test_empirical_discrete(void **state)
{
    (void)state;
    const char *json = "{\"dist\": \"empirical-discrete\", \"values\": [1, 2, 3, 7.5], "
                       "\"weights\": [1, 0, 2, 5]}";
    gm_dist d;
    load(json, &d);
    assert_true(gm_dist_is_discrete(&d));
    assert_true(fabs(gm_dist_mean(&d) - (1 + 6 + 37.5) / 8) < 1e-15);
    double *x = draw_and_check_moments(&d, N_DISC, 1, 7.5);
    for (size_t i = 0; i < N_DISC; i++)
        assert_true(x[i] == 1 || x[i] == 3 || x[i] == 7.5); /* weight 0: never 2 */
    const double pts[] = {1, 2, 3, 7.5};
    chi2_test(&d, x, N_DISC, pts, 4);
    free(x);
    assert_true(gm_dist_cdf(&d, 0.9) == 0);
    assert_true(fabs(gm_dist_cdf(&d, 1) - 0.125) < 1e-15);
    assert_true(fabs(gm_dist_cdf(&d, 2.5) - 0.125) < 1e-15);
    assert_true(fabs(gm_dist_cdf(&d, 3) - 0.375) < 1e-15);
    assert_true(gm_dist_cdf(&d, 100) == 1);
    gm_dist_free(&d);

    /* A wider table, weights spanning 12 orders of magnitude, through the
       C constructor. */
    enum { K = 1000 };
    double *v = malloc(K * sizeof *v), *w = malloc(K * sizeof *w);
    assert_non_null(v);
    assert_non_null(w);
    for (int i = 0; i < K; i++) {
        v[i] = i;
        w[i] = i < 10 ? 1e-12 : 1 + (i % 7);
    }
    assert_int_equal(gm_dist_empirical_discrete(&d, v, w, K, NULL), 0);
    spec_json = "empirical-discrete(1000)";
    x = draw_and_check_moments(&d, N_DISC, 0, K - 1);
    chi2_test(&d, x, N_DISC, v, K);
    free(x);
    free(v);
    free(w);
    gm_dist_free(&d);
}

static void test_constant(void **state)
{
    (void)state;
    gm_dist d;
    load("{\"dist\": \"constant\", \"value\": 3.5}", &d);
    gm_rng r;
    gm_rng_seed(&r, 4, 0);
    for (int i = 0; i < 100; i++)
        assert_true(gm_dist_sample(&d, &r) == 3.5);
    assert_true(gm_dist_mean(&d) == 3.5 && gm_dist_var(&d) == 0);
    assert_true(gm_dist_cdf(&d, 3.4) == 0 && gm_dist_cdf(&d, 3.5) == 1);
    assert_true(gm_dist_is_discrete(&d));
    /* A zeroed struct is the constant 0. */
    gm_dist z;
    memset(&z, 0, sizeof z);
    assert_true(gm_dist_sample(&z, &r) == 0);
    gm_dist_free(&z);
}

/* ------------------------------------------------------------------------ */
/* The ziggurats, at high power                                              */

/*
 * The normal and exponential ziggurats feed most other samplers, and their
 * rare paths (wedges: 1.5% of draws; tails beyond r: 0.03%) are invisible to
 * a test of 200000 samples. Here 2e7 draws each: chi-square on 1000
 * equiprobable bins, and the tails checked on their own (count, and the
 * conditional mean E[X | X > r], which is r + 1 for the exponential and
 * phi(r)/Q(r) for the normal).
 */
static void check_core(const gm_dist *d, bool normal, double r)
{
    enum { N = 20000000, B = 1000 };
    static uint32_t count[B];
    memset(count, 0, sizeof count);
    gm_rng rng;
    gm_rng_seed(&rng, normal ? 11 : 12, 0);
    double tail_n = 0, tail_sum = 0, tail_sq = 0;
    for (int i = 0; i < N; i++) {
        double x = gm_dist_sample(d, &rng);
        double u = normal ? gm_normal_cdf(x) : -expm1(-x);
        int b = (int)(u * B);
        count[b < B ? b : B - 1]++;
        double ax = fabs(x);
        if (ax > r) {
            tail_n++;
            tail_sum += ax;
            tail_sq += (ax - r) * (ax - r);
        }
    }
    double stat = 0, e = (double)N / B;
    for (int b = 0; b < B; b++)
        stat += ((double)count[b] - e) * ((double)count[b] - e) / e;
    double crit = gm_chi2_quantile(0.999, B - 1);
    if (!(stat < crit))
        fail_msg("%s: chi-square %.1f >= %.1f", normal ? "normal" : "exponential", stat, crit);
    double p_tail = normal ? 2 * gm_normal_sf(r) : exp(-r);
    double want_n = p_tail * N, sd_n = sqrt(want_n * (1 - p_tail));
    if (!(fabs(tail_n - want_n) < 5 * sd_n))
        fail_msg("tail count %.0f, expected %.1f", tail_n, want_n);
    /* conditional mean, with the standard error from the tail sample */
    double want_m = normal ? exp(-0.5 * r * r) / sqrt(2 * M_PI) / gm_normal_sf(r) : r + 1;
    double excess = tail_sum / tail_n - r;
    double se = sqrt((tail_sq / tail_n - excess * excess) / tail_n);
    if (!(fabs(tail_sum / tail_n - want_m) < 5 * se))
        fail_msg("tail mean %.5f, expected %.5f", tail_sum / tail_n, want_m);
}

static void test_ziggurats(void **state)
{
    (void)state;
    gm_dist d;
    assert_int_equal(gm_dist_normal(&d, 0, 1, NULL), 0);
    check_core(&d, true, 3.6541528853610088);
    assert_int_equal(gm_dist_exponential(&d, 1, NULL), 0);
    check_core(&d, false, 7.6971174701310497);
}

/* ------------------------------------------------------------------------ */
/* Exactness of the transformed-rejection hats                               */

static void test_rejection_hats(void **state)
{
    (void)state;
    double hat, squeeze, reject;
    /* Poisson: PTRS from 60 up (the published constants fail this check
       for means near 13 and 43, which is why gemel widens the hat). */
    for (int i = 0; i <= 60; i++) {
        double mean = 60 * pow(10, i / 10.0);
        gm_dist d;
        assert_int_equal(gm_dist_poisson(&d, mean, NULL), 0);
        assert_int_equal(num__dist_check_hat(&d, &hat, &squeeze, &reject), 0);
        if (!(hat <= 1 && squeeze >= 1 && reject <= 1))
            fail_msg("poisson(%g): hat %.5f squeeze %.5f reject %.5f", mean, hat, squeeze,
                     reject);
    }
    /* Binomial: BTRS from n min(p, 1-p) = 100 up, across p. */
    const double ps[] = {0.5, 0.37, 0.2, 0.05, 1e-3, 1e-6, 0.93};
    for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++)
        for (int i = 0; i <= 40; i++) {
            double pp = ps[j] < 0.5 ? ps[j] : 1 - ps[j];
            double n = ceil(100 / pp * pow(10, i / 8.0));
            if (n > 1e15)
                continue;
            gm_dist d;
            assert_int_equal(gm_dist_binomial(&d, (int64_t)n, ps[j], NULL), 0);
            assert_int_equal(num__dist_check_hat(&d, &hat, &squeeze, &reject), 0);
            if (!(hat <= 1 && squeeze >= 1))
                fail_msg("binomial(%g, %g): hat %.5f squeeze %.5f", n, ps[j], hat, squeeze);
        }
    gm_dist d;
    assert_int_equal(gm_dist_poisson(&d, 5, NULL), 0);
    assert_int_equal(num__dist_check_hat(&d, &hat, &squeeze, &reject), GM_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* CDFs against closed forms                                                 */

static void test_cdf_known(void **state)
{
    (void)state;
    gm_dist d;
    assert_int_equal(gm_dist_exponential(&d, 2, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 2) - (1 - exp(-1))) < 1e-15);
    assert_true(gm_dist_cdf(&d, -1) == 0);
    assert_int_equal(gm_dist_normal(&d, 10, 2, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 10 + 2 * 1.959963984540054) - 0.975) < 1e-15);
    assert_int_equal(gm_dist_uniform(&d, 2, 6, NULL), 0);
    assert_true(gm_dist_cdf(&d, 3) == 0.25 && gm_dist_cdf(&d, 1) == 0 && gm_dist_cdf(&d, 7) == 1);
    assert_int_equal(gm_dist_triangular(&d, 1, 2, 5, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 2) - 0.25) < 1e-15);
    assert_true(fabs(gm_dist_cdf(&d, 3) - (1 - 4.0 / 12)) < 1e-15);
    assert_int_equal(gm_dist_weibull(&d, 2, 3, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 3) - (1 - exp(-1))) < 1e-15);
    assert_true(fabs(gm_dist_mean(&d) - 3 * sqrt(M_PI) / 2) < 1e-14);
    assert_int_equal(gm_dist_erlang(&d, 2, 1, NULL), 0); /* rate 2 per phase */
    assert_true(fabs(gm_dist_cdf(&d, 0.7) - (1 - exp(-1.4) * (1 + 1.4))) < 1e-15);
    assert_int_equal(gm_dist_gamma(&d, 1, 0.5, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 0.5) - (1 - exp(-1))) < 1e-15);
    assert_int_equal(gm_dist_beta(&d, 2, 1, 0, 2, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 1) - 0.25) < 1e-15);
    assert_int_equal(gm_dist_lognormal(&d, 1.5, 0.8, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, exp(1.5)) - 0.5) < 1e-15);
    assert_true(fabs(gm_dist_mean(&d) - exp(1.5 + 0.32)) < 1e-14);
    assert_int_equal(gm_dist_geometric(&d, 0.25, NULL), 0);
    assert_true(gm_dist_cdf(&d, 0.9) == 0);
    assert_true(fabs(gm_dist_cdf(&d, 3.5) - (1 - pow(0.75, 3))) < 1e-15);
    assert_int_equal(gm_dist_bernoulli(&d, 0.3, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, 0) - 0.7) < 1e-15 && gm_dist_cdf(&d, 1) == 1);
    /* Poisson and binomial CDFs against summed probabilities. */
    assert_int_equal(gm_dist_poisson(&d, 3.7, NULL), 0);
    double s = 0;
    for (int k = 0; k < 15; k++) {
        s += exp(-3.7) * pow(3.7, k) / tgamma(k + 1);
        assert_true(fabs(gm_dist_cdf(&d, k + 0.5) - s) < 1e-14);
    }
    assert_int_equal(gm_dist_binomial(&d, 12, 0.35, NULL), 0);
    s = 0;
    for (int k = 0; k <= 12; k++) {
        s += tgamma(13) / (tgamma(k + 1) * tgamma(13 - k)) * pow(0.35, k) * pow(0.65, 12 - k);
        assert_true(fabs(gm_dist_cdf(&d, k) - s) < 1e-14);
    }
    /* Truncated normal in the far tail: 1 - Q(10 + t)/Q(10), with Q from
       erfc (representable at 10 sd). */
    assert_int_equal(gm_dist_truncnormal(&d, 0, 1, 10, HUGE_VAL, NULL), 0);
    for (double t = 0.01; t < 2; t *= 2) {
        double want = 1 - erfc((10 + t) * M_SQRT1_2) / erfc(10 * M_SQRT1_2);
        assert_true(fabs(gm_dist_cdf(&d, 10 + t) - want) < 1e-13);
    }
    assert_true(gm_dist_cdf(&d, 9.99) == 0);
    /* ... and mirrored: max = -10 */
    assert_int_equal(gm_dist_truncnormal(&d, 0, 1, -HUGE_VAL, -10, NULL), 0);
    assert_true(fabs(gm_dist_cdf(&d, -10.1) -
                     erfc(10.1 * M_SQRT1_2) / erfc(10 * M_SQRT1_2)) < 1e-13);
}

/* ------------------------------------------------------------------------ */
/* JSON errors                                                               */

static void expect_error(const char *path, const char *json, int code, const char *msg)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str(json, strlen(json), NULL, "spec", &e);
    assert_non_null(v);
    gm_dist d;
    memset(&d, 0x5a, sizeof d); /* must stay untouched */
    gm_dist before = d;
    int rc = gm_dist_from_json(v, path, &d, &e);
    json_decref(v);
    char line[1200];
    gm_err_format(&e, line, sizeof line);
    if (rc != code || strcmp(line, msg) != 0)
        fail_msg("%s:\n  got  %d \"%s\"\n  want %d \"%s\"", json, rc, line, code, msg);
    assert_memory_equal(&d, &before, sizeof d);
}

static void test_json_errors(void **state)
{
    (void)state;
    const char *p = "stations[0].service";
    expect_error(p, "{\"dist\": \"expo\", \"mean\": 1}", GM_EINVAL,
                 "stations[0].service.dist: unknown distribution 'expo'; expected one of: "
                 "constant, uniform, exponential, normal, truncated-normal, lognormal, gamma, "
                 "erlang, weibull, triangular, beta, pert, poisson, binomial, bernoulli, "
                 "geometric, empirical-discrete, empirical-continuous");
    expect_error(p, "{\"mean\": 1}", GM_EINVAL,
                 "stations[0].service.dist: missing required field (string)");
    expect_error(p, "{\"dist\": 3}", GM_EINVAL,
                 "stations[0].service.dist: expected string, got integer");
    expect_error(p, "[1]", GM_EINVAL, "stations[0].service: expected object, got array");
    expect_error(p, "{\"dist\": \"exponential\", \"mean\": -1}", GM_EINVAL,
                 "stations[0].service.mean: expected number > 0, got -1");
    expect_error(p, "{\"dist\": \"exponential\", \"mean\": \"1\"}", GM_EINVAL,
                 "stations[0].service.mean: expected number, got string");
    expect_error(p, "{\"dist\": \"exponential\", \"mean\": 1, \"rate\": 2}", GM_EINVAL,
                 "stations[0].service.rate: give either mean or rate, not both");
    expect_error(p, "{\"dist\": \"exponential\"}", GM_EINVAL,
                 "stations[0].service: missing required field mean or rate");
    expect_error(p, "{\"dist\": \"exponential\", \"mean\": 1, \"sd\": 2}", GM_EINVAL,
                 "stations[0].service.sd: unknown field; expected one of: dist, mean, rate");
    expect_error("", "{\"dist\": \"exponential\", \"rate\": 0}", GM_EINVAL,
                 "rate: expected number > 0, got 0");
    /* every kind's required parameters */
    expect_error(p, "{\"dist\": \"constant\"}", GM_EINVAL,
                 "stations[0].service.value: missing required field (number)");
    expect_error(p, "{\"dist\": \"uniform\", \"min\": 3, \"max\": 1}", GM_EINVAL,
                 "stations[0].service.max: expected number > min (3), got 1");
    expect_error(p, "{\"dist\": \"uniform\", \"min\": 3}", GM_EINVAL,
                 "stations[0].service.max: missing required field (number)");
    expect_error(p, "{\"dist\": \"normal\", \"mean\": 3, \"sd\": 0}", GM_EINVAL,
                 "stations[0].service.sd: expected number > 0, got 0");
    expect_error(p, "{\"dist\": \"normal\", \"sd\": 1}", GM_EINVAL,
                 "stations[0].service.mean: missing required field (number)");
    expect_error(p, "{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1}", GM_EINVAL,
                 "stations[0].service: missing required field min and/or max");
    expect_error(p, "{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": 2, "
                    "\"max\": 2}",
                 GM_EINVAL, "stations[0].service.max: expected number > min (2), got 2");
    expect_error(p, "{\"dist\": \"lognormal\", \"mean\": 1, \"sd\": 1, \"mu\": 0}", GM_EINVAL,
                 "stations[0].service.mu: give either mean and sd or mu and sigma, not both");
    expect_error(p, "{\"dist\": \"lognormal\", \"mean\": 1}", GM_EINVAL,
                 "stations[0].service.sd: missing required field (number)");
    expect_error(p, "{\"dist\": \"lognormal\", \"mu\": 800, \"sigma\": 1}", GM_EINVAL,
                 "stations[0].service.sigma: parameters give a mean too large for a double");
    expect_error(p, "{\"dist\": \"gamma\", \"scale\": 1}", GM_EINVAL,
                 "stations[0].service.shape: missing required field (number)");
    expect_error(p, "{\"dist\": \"gamma\", \"shape\": 2, \"scale\": 1, \"rate\": 1}", GM_EINVAL,
                 "stations[0].service.rate: give either scale or rate, not both");
    expect_error(p, "{\"dist\": \"gamma\", \"shape\": 2, \"mean\": 1, \"sd\": 1}", GM_EINVAL,
                 "stations[0].service.shape: give shape with scale or rate, or mean and sd, "
                 "not both");
    expect_error(p, "{\"dist\": \"erlang\", \"k\": 0, \"mean\": 1}", GM_EINVAL,
                 "stations[0].service.k: expected integer in [1, 1000000000000000], got 0");
    expect_error(p, "{\"dist\": \"erlang\", \"k\": 2.5, \"mean\": 1}", GM_EINVAL,
                 "stations[0].service.k: expected integer, got number 2.5");
    expect_error(p, "{\"dist\": \"weibull\", \"shape\": 0.001, \"scale\": 1}", GM_EINVAL,
                 "stations[0].service.shape: parameters give a mean too large for a double");
    expect_error(p, "{\"dist\": \"triangular\", \"min\": 1, \"mode\": 0, \"max\": 2}",
                 GM_EINVAL, "stations[0].service.mode: expected number >= min (1), got 0");
    expect_error(p, "{\"dist\": \"triangular\", \"min\": 1, \"mode\": 1, \"max\": 1}",
                 GM_EINVAL, "stations[0].service.max: expected number > min (1), got 1");
    expect_error(p, "{\"dist\": \"beta\", \"alpha\": 0, \"beta\": 1}", GM_EINVAL,
                 "stations[0].service.alpha: expected number > 0, got 0");
    expect_error(p, "{\"dist\": \"beta\", \"alpha\": 1, \"beta\": 1, \"min\": 5}", GM_EINVAL,
                 "stations[0].service.max: expected number > min (5), got 1");
    expect_error(p, "{\"dist\": \"pert\", \"min\": 0, \"mode\": 1, \"max\": 2, \"lambda\": -1}",
                 GM_EINVAL, "stations[0].service.lambda: expected number > 0, got -1");
    expect_error(p, "{\"dist\": \"pert\", \"min\": 0, \"mode\": 3, \"max\": 2}", GM_EINVAL,
                 "stations[0].service.max: expected number >= mode (3), got 2");
    expect_error(p, "{\"dist\": \"poisson\", \"mean\": -1}", GM_EINVAL,
                 "stations[0].service.mean: expected number in [0, 1000000000000000], got -1");
    expect_error(p, "{\"dist\": \"binomial\", \"n\": 10, \"p\": 1.5}", GM_EINVAL,
                 "stations[0].service.p: expected number in [0, 1], got 1.5");
    expect_error(p, "{\"dist\": \"binomial\", \"n\": -1, \"p\": 0.5}", GM_EINVAL,
                 "stations[0].service.n: expected integer in [0, 1000000000000000], got -1");
    expect_error(p, "{\"dist\": \"bernoulli\"}", GM_EINVAL,
                 "stations[0].service.p: missing required field (number)");
    expect_error(p, "{\"dist\": \"geometric\", \"p\": 0}", GM_EINVAL,
                 "stations[0].service.p: expected number in (0, 1], got 0");
    expect_error(p, "{\"dist\": \"empirical-discrete\", \"values\": [], \"weights\": []}",
                 GM_EINVAL, "stations[0].service.values: expected at least 1 entries, got 0");
    expect_error(p, "{\"dist\": \"empirical-discrete\", \"values\": [1, 2, 3], \"weights\": [1, "
                    "2]}",
                 GM_EINVAL,
                 "stations[0].service.weights: expected 3 weights (one per value), got 2");
    expect_error(p, "{\"dist\": \"empirical-discrete\", \"values\": [1, 2], \"weights\": [1, "
                    "-1]}",
                 GM_EINVAL, "stations[0].service.weights[1]: expected number >= 0, got -1");
    expect_error(p, "{\"dist\": \"empirical-discrete\", \"values\": [1, 2, \"x\"], \"weights\": "
                    "[1, 1, 1]}",
                 GM_EINVAL, "stations[0].service.values[2]: expected number, got string");
    expect_error(p, "{\"dist\": \"empirical-discrete\", \"values\": [1, 2], \"weights\": [0, 0]}",
                 GM_EINVAL, "stations[0].service.weights: expected a positive sum, got 0");
    expect_error(p, "{\"dist\": \"empirical-continuous\", \"samples\": [1]}", GM_EINVAL,
                 "stations[0].service.samples: expected at least 2 entries, got 1");
    expect_error(p, "{\"dist\": \"empirical-continuous\", \"samples\": 3}", GM_EINVAL,
                 "stations[0].service.samples: expected array, got integer");
    expect_error(p, "{\"dist\": \"empirical-continuous\", \"samples\": [-1e308, 1e308]}",
                 GM_EINVAL,
                 "stations[0].service.samples: the range of the samples is too large for a "
                 "double");
}

static void test_limits(void **state)
{
    (void)state;
    /* 10^6 + 1 entries: GM_ELIMIT before any element is read (json_null is
       a singleton, so the array is cheap to build). */
    json_t *spec = json_object();
    json_t *arr = json_array();
    for (int i = 0; i < GM_DIST_MAX_ENTRIES + 1; i++)
        json_array_append_new(arr, json_null());
    json_object_set_new(spec, "dist", json_string("empirical-continuous"));
    json_object_set_new(spec, "samples", arr);
    gm_dist d;
    gm_err e;
    assert_int_equal(gm_dist_from_json(spec, "m", &d, &e), GM_ELIMIT);
    assert_string_equal(e.where, "m.samples");
    assert_string_equal(e.what, "expected at most 1000000 entries, got 1000001");
    json_decref(spec);
    /* The constructors enforce the same limit and check for non-finite
       numbers (JSON cannot carry them; C callers can). */
    double v[3] = {1, (double)NAN, 3}, w[3] = {1, 1, 1};
    assert_int_equal(gm_dist_empirical_continuous(&d, v, GM_DIST_MAX_ENTRIES + 1, &e), GM_ELIMIT);
    assert_int_equal(gm_dist_empirical_discrete(&d, v, w, 3, &e), GM_EINVAL);
    assert_string_equal(e.where, "values[1]");
    assert_string_equal(e.what, "expected a finite number, got nan");
    assert_int_equal(gm_dist_normal(&d, HUGE_VAL, 1, &e), GM_EINVAL);
    assert_string_equal(e.where, "mean");
    assert_int_equal(gm_dist_uniform(&d, -1e308, 1e308, &e), GM_EINVAL);
    assert_int_equal(gm_dist_truncnormal(&d, 0, 1, -HUGE_VAL, HUGE_VAL, &e), GM_EINVAL);
    assert_int_equal(gm_dist_erlang(&d, 0, 1, NULL), GM_EINVAL);
    assert_int_equal(gm_dist_exponential(&d, 1e200, &e), GM_EINVAL); /* variance overflows */
    assert_string_equal(e.what, "parameters give a variance too large for a double");
}

/* ------------------------------------------------------------------------ */
/* Reproducibility, copies, descriptions                                     */

static const char *const all_specs[] = {
    "{\"dist\": \"constant\", \"value\": 2}",
    "{\"dist\": \"uniform\", \"min\": 0, \"max\": 1}",
    "{\"dist\": \"exponential\", \"mean\": 1}",
    "{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}",
    "{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": 5}",
    "{\"dist\": \"lognormal\", \"mu\": 0, \"sigma\": 1}",
    "{\"dist\": \"gamma\", \"shape\": 0.5, \"scale\": 1}",
    "{\"dist\": \"erlang\", \"k\": 20, \"mean\": 1}",
    "{\"dist\": \"weibull\", \"shape\": 2, \"scale\": 1}",
    "{\"dist\": \"triangular\", \"min\": 0, \"mode\": 1, \"max\": 3}",
    "{\"dist\": \"beta\", \"alpha\": 0.5, \"beta\": 2}",
    "{\"dist\": \"pert\", \"min\": 0, \"mode\": 1, \"max\": 3}",
    "{\"dist\": \"poisson\", \"mean\": 100}",
    "{\"dist\": \"binomial\", \"n\": 1000, \"p\": 0.3}",
    "{\"dist\": \"bernoulli\", \"p\": 0.5}",
    "{\"dist\": \"geometric\", \"p\": 0.1}",
    "{\"dist\": \"empirical-discrete\", \"values\": [1, 2], \"weights\": [1, 3]}",
    "{\"dist\": \"empirical-continuous\", \"samples\": [1, 2, 4]}",
};

static void test_reproducible_and_stateless(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof all_specs / sizeof all_specs[0]; k++) {
        gm_dist d;
        load(all_specs[k], &d);
        gm_dist snapshot;
        memcpy(&snapshot, &d, sizeof d);
        gm_rng a, b, c;
        gm_rng_seed(&a, 99, 5);
        gm_rng_seed(&b, 99, 5);
        gm_rng_seed(&c, 99, 6);
        double xa[200], xb[200];
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            xa[i] = gm_dist_sample(&d, &a);
            differ += gm_dist_sample(&d, &c) != xa[i];
        }
        /* Interleaving another stream's draws changes nothing: the sample
           depends on the rng state alone. */
        gm_rng other;
        gm_rng_seed(&other, 1, 1);
        for (int i = 0; i < 200; i++) {
            xb[i] = gm_dist_sample(&d, &b);
            (void)gm_dist_sample(&d, &other);
        }
        assert_memory_equal(xa, xb, sizeof xa);
        if (d.kind != GM_DIST_CONSTANT)
            assert_true(differ > 0);
        /* n at once: the same values, and the stream left at the same place */
        double xn[200];
        gm_rng_seed(&b, 99, 5);
        gm_dist_sample_n(&d, &b, xn, 0);
        gm_dist_sample_n(&d, &b, xn, 1);
        gm_dist_sample_n(&d, &b, xn + 1, 199);
        assert_memory_equal(xa, xn, sizeof xa);
        assert_true(gm_dist_sample(&d, &b) == gm_dist_sample(&d, &a));
        /* sampling never writes the distribution */
        assert_memory_equal(&d, &snapshot, sizeof d);
        gm_dist_free(&d);
    }
    /* Pinned values: a change here changes every simulation's results, and
       must be deliberate. */
    gm_dist d;
    gm_rng r;
    assert_int_equal(gm_dist_exponential(&d, 1, NULL), 0);
    gm_rng_seed(&r, 42, 0);
    double e0 = gm_dist_sample(&d, &r), e1 = gm_dist_sample(&d, &r);
    assert_int_equal(gm_dist_normal(&d, 0, 1, NULL), 0);
    gm_rng_seed(&r, 42, 0);
    double n0 = gm_dist_sample(&d, &r), n1 = gm_dist_sample(&d, &r);
    char buf[200];
    snprintf(buf, sizeof buf, "%a %a %a %a", e0, e1, n0, n1);
    assert_string_equal(buf, "0x1.85d6ff49bd58fp-1 0x1.9c2842e88993ep-4 -0x1.22ac20c7610b2p-1 "
                             "-0x1.d42664c70b4b3p-3");
}

static void test_copy_and_free(void **state)
{
    (void)state;
    gm_dist a, b;
    load("{\"dist\": \"empirical-discrete\", \"values\": [1, 2, 3], \"weights\": [1, 2, 3]}",
         &a);
    assert_int_equal(gm_dist_copy(&b, &a), 0);
    assert_ptr_not_equal(a.x, b.x);
    assert_ptr_not_equal(a.q, b.q);
    assert_ptr_not_equal(a.alias, b.alias);
    gm_rng r1, r2;
    gm_rng_seed(&r1, 5, 0);
    gm_rng_seed(&r2, 5, 0);
    double before[50];
    for (int i = 0; i < 50; i++)
        before[i] = gm_dist_sample(&a, &r1);
    gm_dist_free(&a); /* the copy must not depend on the original */
    assert_null(a.x);
    for (int i = 0; i < 50; i++)
        assert_true(gm_dist_sample(&b, &r2) == before[i]);
    gm_dist_free(&a); /* twice is fine */
    gm_dist_free(&b);
    gm_dist_free(NULL);
    load("{\"dist\": \"empirical-continuous\", \"samples\": [5, 1, 3]}", &a);
    assert_int_equal(gm_dist_copy(&b, &a), 0);
    assert_true(b.x[0] == 1 && b.x[2] == 5 && b.q == NULL);
    gm_dist_free(&a);
    gm_dist_free(&b);
    /* parametric kinds own nothing */
    load("{\"dist\": \"gamma\", \"shape\": 3, \"scale\": 2}", &a);
    assert_int_equal(gm_dist_copy(&b, &a), 0);
    assert_memory_equal(&a, &b, sizeof a);
}

static void expect_describe(const char *json, const char *want)
{
    gm_dist d;
    load(json, &d);
    char buf[200];
    int n = gm_dist_describe(&d, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    gm_dist_free(&d);
}

static void test_describe(void **state)
{
    (void)state;
    expect_describe("{\"dist\": \"exponential\", \"mean\": 1}", "exponential(mean=1)");
    expect_describe("{\"dist\": \"exponential\", \"rate\": 4}", "exponential(rate=4)");
    expect_describe("{\"dist\": \"normal\", \"mean\": 0.1, \"sd\": 2}", "normal(mean=0.1, sd=2)");
    expect_describe("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"min\": -1}",
                    "truncated-normal(mean=0, sd=1, min=-1)");
    expect_describe("{\"dist\": \"truncated-normal\", \"mean\": 0, \"sd\": 1, \"max\": -1}",
                    "truncated-normal(mean=0, sd=1, max=-1)");
    expect_describe("{\"dist\": \"lognormal\", \"mean\": 2, \"sd\": 1}", "lognormal(mean=2, sd=1)");
    expect_describe("{\"dist\": \"gamma\", \"shape\": 2.5, \"scale\": 0.4}",
                    "gamma(shape=2.5, scale=0.4)");
    expect_describe("{\"dist\": \"erlang\", \"k\": 3, \"mean\": 6}", "erlang(k=3, mean=6)");
    expect_describe("{\"dist\": \"beta\", \"alpha\": 2, \"beta\": 3}", "beta(alpha=2, beta=3)");
    expect_describe("{\"dist\": \"pert\", \"min\": 1, \"mode\": 2, \"max\": 5}",
                    "pert(min=1, mode=2, max=5)");
    expect_describe("{\"dist\": \"binomial\", \"n\": 10, \"p\": 0.25}", "binomial(n=10, p=0.25)");
    expect_describe("{\"dist\": \"empirical-discrete\", \"values\": [1, 2], \"weights\": [1, 3]}",
                    "empirical-discrete(n=2)");
    /* snprintf semantics: the full length comes back even when truncated */
    gm_dist d;
    assert_int_equal(gm_dist_uniform(&d, 0, 1e-7, NULL), 0);
    char small[8];
    int n = gm_dist_describe(&d, small, sizeof small);
    assert_string_equal(small, "uniform");
    assert_int_equal(n, (int)strlen("uniform(min=0, max=1e-07)"));
    assert_int_equal(gm_dist_describe(&d, NULL, 0), n);
    assert_string_equal(gm_dist_kind_name(GM_DIST_TRUNCNORMAL), "truncated-normal");
    assert_string_equal(gm_dist_kind_name((gm_dist_kind)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_exponential_normal),
        cmocka_unit_test(test_truncated_normal),
        cmocka_unit_test(test_lognormal_gamma_erlang_weibull),
        cmocka_unit_test(test_bounded_continuous),
        cmocka_unit_test(test_empirical_continuous),
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_binomial),
        cmocka_unit_test(test_bernoulli_geometric),
        cmocka_unit_test(test_empirical_discrete),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_ziggurats),
        cmocka_unit_test(test_rejection_hats),
        cmocka_unit_test(test_cdf_known),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reproducible_and_stateless),
        cmocka_unit_test(test_copy_and_free),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
