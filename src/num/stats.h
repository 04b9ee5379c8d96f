/*
 * stats.h: the statistics every simulation KPI is reported with.
 *
 *   gm_tally       count, mean, variance, min, max of observations (waiting
 *                  times, cycle times), Welford's update; tallies of
 *                  parallel replications merge exactly (Chan et al.).
 *   gm_timeavg     the time average of a piecewise-constant quantity (queue
 *                  length, busy servers, inventory), with warm-up deletion.
 *   gm_p2          one quantile (the 95th percentile of waiting time) in
 *                  O(1) memory: the P-squared algorithm (Jain & Chlamtac 1985).
 *   gm_batchmeans  a confidence interval for the mean of one long correlated
 *                  run, by batch means with a fixed number of batches whose
 *                  size doubles as data arrive.
 *   gm_ci          Student-t confidence intervals for the mean of
 *                  independent observations (one result per replication).
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
/* Time average                                                              */

typedef struct gm_timeavg {
    double t_start; /* start of the averaging window */
    double t_last;  /* time of the last change */
    double value;   /* current value, held since t_last */
    double area;    /* integral of the value over [t_start, t_last] */
    double max;     /* largest value held within the window */
} gm_timeavg;

/* Start averaging at time t0 with the current value. */
void gm_timeavg_init(gm_timeavg *a, double t0, double value);

/* The value changes to value at time t. Times must not decrease; a t
   before the last change is taken as the time of the last change (no
   negative area). */
void gm_timeavg_set(gm_timeavg *a, double t, double value);

/* Warm-up deletion: forget everything before t (>= the last change) and
   restart the window at t, keeping the current value. */
void gm_timeavg_reset(gm_timeavg *a, double t);

/* Time average over [t_start, t_now] (t_now >= the last change); the
   current value when the window is empty. */
double gm_timeavg_mean(const gm_timeavg *a, double t_now);

/* ------------------------------------------------------------------------ */
/* P-squared quantile estimator                                              */

typedef struct gm_p2 {
    double p;        /* the quantile sought, in [0, 1] */
    uint64_t count;  /* observations so far */
    double q[5];     /* marker heights (the first 5 observations, sorted) */
    double pos[5];   /* marker positions, 1-based */
    double want[5];  /* desired positions */
    double inc[5];   /* increments of the desired positions */
} gm_p2;

/* Estimate the p-quantile, p in [0, 1] (clamped; NaN is taken as 0.5).
   p = 0 and p = 1 give the exact minimum and maximum. */
void gm_p2_init(gm_p2 *q, double p);
void gm_p2_add(gm_p2 *q, double x);

/* The estimate; exact (linear interpolation between order statistics)
   while fewer than 5 observations were seen; NaN when none. */
double gm_p2_value(const gm_p2 *q);

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

/* The same from a tally of the observations (n >= 2). */
int gm_ci_from_tally(const gm_tally *t, double level, gm_ci *out);

/* ------------------------------------------------------------------------ */
/* Batch means                                                               */

#define GM_BM_MAX_BATCHES 256

/*
 * Batch means for one long run: observations are grouped in consecutive
 * batches of b observations; when 2k batches are complete, neighbours are
 * merged into k batches of 2b. Memory stays O(k) for any run length, and
 * the batches grow with the run, so they become long enough to be nearly
 * independent. The interval uses the complete batches (between k and 2k - 1
 * of them once k are done); observations in the batch being filled are not
 * yet used.
 */
typedef struct gm_batchmeans {
    unsigned k;          /* target number of batches */
    unsigned full;       /* complete batches in mean[] */
    uint64_t size;       /* observations per complete batch */
    uint64_t n;          /* all observations added */
    uint64_t cur_n;      /* observations in the batch being filled */
    double cur_sum, cur_c; /* its sum, compensated (Neumaier) */
    double mean[2 * GM_BM_MAX_BATCHES];
} gm_batchmeans;

/* k batches: 0 means 20; clamped to [2, GM_BM_MAX_BATCHES]. */
void gm_bm_init(gm_batchmeans *b, unsigned nbatches);
void gm_bm_add(gm_batchmeans *b, double x);

/*
 * Student-t interval at level over the complete batch means (n = number of
 * batches, sd = their standard deviation). GM_EINVAL (out untouched) with
 * fewer than 2 complete batches or level not in (0, 1).
 */
int gm_bm_ci(const gm_batchmeans *b, double level, gm_ci *out);

#endif
