/*
 * experiment.h: replications of a stochastic model on several threads, and
 * confidence intervals for its KPIs.
 *
 * Replication r runs on whichever thread is free, always with random
 * streams derived from (seed, r), and writes its KPIs into row r of a table;
 * summaries are computed from the table in replication order. So the
 * results are bit-for-bit identical whatever the number of threads.
 *
 * With two or more replications, each KPI's interval is the Student-t 95%
 * interval of the replication means. With one replication, it comes from
 * batch means: the post-warm-up run is cut into batches, and the batch
 * values are treated as approximately independent observations.
 */
#ifndef GM_DES_EXPERIMENT_H
#define GM_DES_EXPERIMENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Most replications one experiment may hold (their KPI table is in memory). */
#define GM_EXP_MAX_REPS 1000000

/*
 * Run replication rep: fill kpi[nkpi] and, when batch is not NULL,
 * batch[nbatches * nkpi]; add the events simulated to *events. 0 or an error
 * code with err filled. Called from several threads at once: it must only
 * read ctx.
 */
typedef int (*gm_exp_rep_fn)(const void *ctx, uint64_t seed, uint64_t rep, double *kpi,
                             double *batch, uint64_t *events, gm_err *err);

typedef struct gm_experiment {
    uint64_t reps;      /* 1..GM_EXP_MAX_REPS */
    unsigned threads;   /* 0 = one per CPU; 1 runs on the calling thread */
    uint64_t seed;
    size_t nkpi;
    unsigned nbatches;  /* batches per replication, for reps == 1 */
    gm_exp_rep_fn rep;
    const void *ctx;
    atomic_uint_fast64_t *done; /* optional: counts finished replications */
    /* optional: true when KPI k is a fraction (a utilization, a
       probability), so that its interval is cut to [0, 1], the values the
       quantity can take; such cuts are flagged in gm_exp_kpi.clipped */
    bool (*is_fraction)(const void *ctx, size_t k);
} gm_experiment;

typedef struct gm_exp_kpi {
    double mean;    /* NAN when no replication observed it */
    double sd;      /* of the replication (or batch) values */
    double lo, hi;  /* 95% confidence interval; NAN with fewer than 2 values */
    uint64_t n;     /* values it is based on */
    bool clipped;   /* a fraction's interval reached past 0 or 1 and was cut */
} gm_exp_kpi;

typedef struct gm_exp_summary {
    uint64_t reps;
    uint64_t events;      /* over all replications */
    double wall_seconds;
    bool batch_means;     /* intervals from batch means of one replication */
    unsigned threads;     /* threads actually used */
    gm_exp_kpi *kpi;      /* nkpi entries, owned: gm_exp_summary_free */
    double *values;       /* reps x nkpi table of replication values, owned */
} gm_exp_summary;

/*
 * Run the experiment. On success fills *out (free with gm_exp_summary_free).
 * A failing replication fails the experiment with its error (the lowest
 * failing replication number, whatever the thread count).
 */
int gm_experiment_run(const gm_experiment *e, gm_exp_summary *out, gm_err *err);
void gm_exp_summary_free(gm_exp_summary *s);

#endif
