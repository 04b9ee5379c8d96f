/*
 * dist.h: probability distributions for simulation: construct, sample,
 * describe.
 *
 * Every random quantity of gemel's simulations (service and inter-arrival
 * times, task durations, demands, failures) is a gm_dist drawn with
 * gm_dist_sample from a gm_rng stream. The rules:
 *
 *   - Exact. Each sampler produces the named distribution exactly, up to the
 *     resolution of double precision and of the 53-bit uniforms: inversion
 *     where the inverse CDF is cheap and exact, rejection methods otherwise.
 *     No normal approximations to the Poisson or binomial, however large the
 *     mean.
 *   - Stateless. A sample is a pure function of the gm_rng state: the
 *     distribution is never written by sampling (no cached spare normal), so
 *     a const gm_dist can be shared by any number of threads, each with its
 *     own gm_rng, and stream k of seed s gives the same samples everywhere.
 *   - Validated. Constructors reject bad parameters with GM_EINVAL and a
 *     message naming the parameter; gm_dist_from_json does the same with the
 *     JSON path. Parameters whose mean or variance would overflow a double
 *     are rejected too, so samples, means and variances are always finite.
 *
 * Sampling methods (docs/simulation-distributions.md has the table):
 *   normal, lognormal: a 256-layer ziggurat (Marsaglia & Tsang 2000) with
 *     exact wedge tests and Marsaglia's exact tail method; one 64-bit draw in
 *     98.5% of cases.
 *   exponential, weibull, geometric, erlang (k <= 16): an exponential
 *     ziggurat whose tail is r plus a fresh exponential (exact).
 *   truncated-normal: the most efficient of normal rejection, half-normal
 *     rejection, uniform rejection and Robert's (1995) shifted-exponential
 *     rejection, chosen at construction from the standardized bounds; exact
 *     and efficient 10 or 10^9 standard deviations out.
 *   gamma, erlang (k > 16), beta, pert: Marsaglia & Tsang (2000), with
 *     G(a) = G(a+1) U^(1/a) for shape a < 1; beta = G1 / (G1 + G2), in log
 *     space when a shape is below 1 so that tiny shapes cannot give 0/0.
 *   poisson: inversion from the mode (mean < 60), Hoermann's PTRS
 *     transformed rejection (1993) above. binomial: inversion from the mode
 *     (n min(p, 1-p) < 100), Hoermann's BTRS above. Both accept with
 *     Loader's accurate log-probabilities, and both hats are widened
 *     slightly so that they provably dominate (see num__dist_check_hat).
 *   uniform, triangular, bernoulli, empirical-continuous: inversion.
 *   empirical-discrete: Walker's alias method with Vose's construction,
 *     O(1) per sample.
 *
 * JSON (gm_dist_from_json): an object with "dist" naming the kind and that
 * kind's parameters; any other key is an error. Parameters:
 *
 *   constant              value
 *   uniform               min, max                    (min < max)
 *   exponential           mean > 0  or  rate > 0      (exactly one)
 *   normal                mean, sd > 0
 *   truncated-normal      mean, sd > 0, min and/or max (bounds of the variable)
 *   lognormal             mean > 0, sd > 0 (of the variable itself)
 *                         or mu, sigma > 0 (of its logarithm); not both
 *   gamma                 shape > 0 with scale > 0 or rate > 0; or mean > 0, sd > 0
 *   erlang                k (integer >= 1), mean > 0  (k phases, each of mean/k)
 *   weibull               shape > 0, scale > 0
 *   triangular            min, mode, max              (min <= mode <= max, min < max)
 *   beta                  alpha > 0, beta > 0, optional min (0), max (1)
 *   pert                  min, mode, max, optional lambda > 0 (4)
 *   poisson               mean in [0, 1e15]
 *   binomial              n (integer in [0, 1e15]), p in [0, 1]
 *   bernoulli             p in [0, 1]                 (values 0 and 1)
 *   geometric             p in (0, 1]: the number of trials up to and including
 *                         the first success; support 1, 2, ...; mean 1/p
 *   empirical-discrete    values [numbers], weights [numbers >= 0, same length,
 *                         positive sum]; zero-weight values are never drawn
 *   empirical-continuous  samples [at least 2 numbers]: the piecewise-linear
 *                         interpolation of the empirical CDF; u in [0, 1)
 *                         maps to position u (n-1) between order statistics
 *
 * Arrays may hold up to GM_DIST_MAX_ENTRIES entries (GM_ELIMIT beyond).
 */
#ifndef GM_NUM_DIST_H
#define GM_NUM_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "num/rng.h"

#define GM_DIST_MAX_ENTRIES 1000000

typedef enum gm_dist_kind {
    GM_DIST_CONSTANT,
    GM_DIST_UNIFORM,
    GM_DIST_EXPONENTIAL,
    GM_DIST_NORMAL,
    GM_DIST_TRUNCNORMAL,
    GM_DIST_LOGNORMAL,
    GM_DIST_GAMMA,
    GM_DIST_ERLANG,
    GM_DIST_WEIBULL,
    GM_DIST_TRIANGULAR,
    GM_DIST_BETA,
    GM_DIST_PERT,
    GM_DIST_POISSON,
    GM_DIST_BINOMIAL,
    GM_DIST_BERNOULLI,
    GM_DIST_GEOMETRIC,
    GM_DIST_EMPIRICAL_DISCRETE,
    GM_DIST_EMPIRICAL_CONTINUOUS,
} gm_dist_kind;

/*
 * A distribution: its kind and precomputed constants. Treat the fields as
 * private; use the functions below. The parametric kinds own no memory; the
 * two empirical kinds own their tables (x, q, alias, each of n entries when
 * not NULL), so copy with gm_dist_copy and release with gm_dist_free. A
 * zeroed gm_dist is a valid constant 0 and safe to free.
 */
typedef struct gm_dist {
    gm_dist_kind kind;
    double p[6];     /* precomputed constants, per kind */
    size_t n;        /* entries in each table */
    double *x;       /* values (sorted samples for empirical-continuous) */
    double *q;       /* alias acceptance thresholds (empirical-discrete) */
    uint32_t *alias; /* alias targets (empirical-discrete) */
} gm_dist;

/*
 * Constructors. Each validates its parameters and, only when all are valid,
 * overwrites *d (without freeing it: free an empirical distribution first)
 * and returns 0. Otherwise *d is untouched and the result is GM_EINVAL with
 * err->where = the parameter's name ("mean", "sd", "weights[3]", ...) and
 * err->what = what was expected ("expected number > 0, got -1"), or
 * GM_ELIMIT (more than GM_DIST_MAX_ENTRIES entries) or GM_ENOMEM. NaN and
 * infinite parameters are invalid, except the open bounds of the truncated
 * normal.
 */
int gm_dist_constant(gm_dist *d, double value, gm_err *err);
int gm_dist_uniform(gm_dist *d, double min, double max, gm_err *err);
int gm_dist_exponential(gm_dist *d, double mean, gm_err *err);
int gm_dist_normal(gm_dist *d, double mean, double sd, gm_err *err);
/* min = -INFINITY or max = +INFINITY leaves that side open (not both). */
int gm_dist_truncnormal(gm_dist *d, double mean, double sd, double min, double max,
                        gm_err *err);
/* Parameters of the logarithm: log X ~ Normal(mu, sigma). */
int gm_dist_lognormal(gm_dist *d, double mu, double sigma, gm_err *err);
/* Mean and standard deviation of X itself. */
int gm_dist_lognormal_moments(gm_dist *d, double mean, double sd, gm_err *err);
int gm_dist_gamma(gm_dist *d, double shape, double scale, gm_err *err);
/* k phases, the whole variable of mean `mean`: Gamma(k, mean/k). */
int gm_dist_erlang(gm_dist *d, int64_t k, double mean, gm_err *err);
int gm_dist_weibull(gm_dist *d, double shape, double scale, gm_err *err);
int gm_dist_triangular(gm_dist *d, double min, double mode, double max, gm_err *err);
/* Beta(alpha, beta) rescaled from [0, 1] to [min, max]. */
int gm_dist_beta(gm_dist *d, double alpha, double beta, double min, double max, gm_err *err);
/* Beta-PERT: Beta(1 + lambda (mode-min)/(max-min), 1 + lambda (max-mode)/(max-min))
   on [min, max]; mean (min + lambda mode + max) / (lambda + 2). */
int gm_dist_pert(gm_dist *d, double min, double mode, double max, double lambda,
                 gm_err *err);
int gm_dist_poisson(gm_dist *d, double mean, gm_err *err);
int gm_dist_binomial(gm_dist *d, int64_t n, double p, gm_err *err);
int gm_dist_bernoulli(gm_dist *d, double p, gm_err *err);
int gm_dist_geometric(gm_dist *d, double p, gm_err *err);
/* values and weights (n entries each) are copied; n >= 1. */
int gm_dist_empirical_discrete(gm_dist *d, const double *values, const double *weights,
                               size_t n, gm_err *err);
/* samples (n >= 2 entries) are copied and sorted. */
int gm_dist_empirical_continuous(gm_dist *d, const double *samples, size_t n, gm_err *err);

/*
 * From JSON: spec is an object such as {"dist": "exponential", "mean": 1.0}
 * (parameters in the table at the top of this file). path is the JSON path
 * of spec, used in errors ("" or NULL for the root). On success *d is
 * overwritten (see the constructors) and 0 returned; otherwise *d is
 * untouched and err names the offending value by its full path:
 *   GM_EINVAL "stations[0].service.mean: expected number > 0, got -1"
 *   GM_EINVAL "stations[0].service.dist: unknown distribution 'expo'; expected
 *              one of: constant, uniform, ..."
 *   GM_EINVAL "stations[0].service.rate: give either mean or rate, not both"
 *   GM_EINVAL "stations[0].service.sd: unknown field; expected one of: dist, mean, rate"
 *   GM_ELIMIT "...values: expected at most 1000000 entries, got 1000001"
 *   GM_ENOMEM
 * spec is only read (borrowed).
 */
int gm_dist_from_json(const json_t *spec, const char *path, gm_dist *d, gm_err *err);

/* Free the empirical tables and zero *d. Safe on a zeroed struct, twice, and
   on NULL. */
void gm_dist_free(gm_dist *d);

/* Deep copy of src into dst (dst overwritten, not freed). 0, or GM_ENOMEM
   with dst untouched. */
int gm_dist_copy(gm_dist *dst, const gm_dist *src);

/* One sample; advances r. The hot path: no allocation, no locking, d not
   written. */
double gm_dist_sample(const gm_dist *d, gm_rng *r);

/* n samples into out[0..n): exactly the values, in order, of n calls of
   gm_dist_sample, and r left where they would leave it. Faster per sample:
   the kind is looked at once, not per draw (a simulation drawing for many
   distributions in turn keeps a few ahead for each). */
void gm_dist_sample_n(const gm_dist *d, gm_rng *r, double *out, size_t n);

/* Exact mean and variance of the distribution (for the empirical kinds, of
   the distribution they define, not the sample statistics). */
double gm_dist_mean(const gm_dist *d);
double gm_dist_var(const gm_dist *d);

/* P(X <= x). Pure; for tests, goodness of fit and fitting. */
double gm_dist_cdf(const gm_dist *d, double x);

/* True for the kinds with a probability mass function: poisson, binomial,
   bernoulli, geometric, empirical-discrete, and constant (a point mass). */
bool gm_dist_is_discrete(const gm_dist *d);

/* True when d never draws a negative value (no probability below 0), as a
   duration, a delay or an interarrival time needs: a normal distribution
   is refused, a truncated normal with min >= 0 or a lognormal is not. */
bool gm_dist_nonnegative(const gm_dist *d);

/* Name of a kind as in JSON ("truncated-normal"); "?" for an invalid value. */
const char *gm_dist_kind_name(gm_dist_kind kind);

/*
 * One-line description in the JSON vocabulary with shortest round-trip
 * numbers: "exponential(mean=1)", "gamma(shape=2.5, scale=0.4)",
 * "empirical-discrete(n=3)". Writes at most n bytes (NUL-terminated when
 * n > 0) and returns the length the whole description has, like snprintf.
 */
int gm_dist_describe(const gm_dist *d, char *buf, size_t n);

/*
 * For tests (module-internal): check that a transformed-rejection sampler's
 * hat dominates the probability mass function and that its squeezes lie
 * under it, exactly: for each integer k within 60 standard deviations of
 * the mean, at the ends of the interval of the driving uniform that maps to
 * k (every 1 in sd/500 integers for huge means). Applies to poisson
 * (mean >= 60) and binomial (n min(p, 1-p) >= 100), the ranges where those
 * samplers are used. *max_hat gets the largest ratio pmf/hat (must be <= 1),
 * *min_squeeze the smallest ratio pmf/squeeze over the quick-acceptance
 * region (must be >= 1), *max_reject the largest ratio pmf/bound over the
 * quick-rejection region (must be <= 1; 0 when there is none). Returns
 * GM_EINVAL for other distributions.
 */
int num__dist_check_hat(const gm_dist *d, double *max_hat, double *min_squeeze,
                        double *max_reject);

#endif
