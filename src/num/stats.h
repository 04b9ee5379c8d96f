/*
 * stats.h: summary statistics and confidence intervals.
 *
 *   gm_tally       count, mean, variance, min, max of observations, Welford's
 *                  update; tallies of separate parts (threads, replications,
 *                  the chunks of a time series) merge exactly (Chan et al.).
 *   gm_ci          Student-t confidence intervals for the mean of
 *                  independent observations (one result per replication, or
 *                  one per batch of a long run: des/experiment.h).
 *
 * All of it is plain data: the caller owns the structs (on the stack, inside
 * a model), init them, and copies them freely. Nothing allocates, nothing
 * locks: one struct per thread, then merge tallies.
 */
#ifndef GM_NUM_STATS_H
#define GM_NUM_STATS_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Tally                                                                     */

typedef struct gm_tally {
    uint64_t n;
    double mean, m2; /* m2: sum of squared deviations from the mean */
    double min, max; /* +inf and -inf while n == 0 */
} gm_tally;

void gm_tally_init(gm_tally *t);

/* Add one observation (Welford: no loss of precision to a large common
   offset, unlike sums of squares). */
void gm_tally_add(gm_tally *t, double x);

/* Fold other into into, as if other's observations had been added to it
   (Chan, Golub & LeVeque's pairwise update). other is unchanged. */
void gm_tally_merge(gm_tally *into, const gm_tally *other);

/* Sample variance (divisor n - 1) and standard deviation; 0 when n < 2. */
double gm_tally_var(const gm_tally *t);
double gm_tally_sd(const gm_tally *t);

/* ------------------------------------------------------------------------ */
/* Confidence intervals                                                      */

typedef struct gm_ci {
    uint64_t n;        /* observations (or batches) the interval rests on */
    double mean, sd;   /* their mean and sample standard deviation */
    double lo, hi;     /* the interval: mean -+ half */
    double half;       /* half width: t_{(1+level)/2, n-1} sd / sqrt(n) */
} gm_ci;

/*
 * Student-t confidence interval at level (e.g. 0.95) for the mean of n >= 2
 * independent, roughly normal observations x[0..n-1], such as one KPI per
 * replication. GM_EINVAL (out untouched) when n < 2, x is NULL or level is
 * not in (0, 1).
 */
int gm_ci_mean(const double *x, size_t n, double level, gm_ci *out);

#endif
