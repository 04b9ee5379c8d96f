#include "des/experiment.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/workers.h"
#include "base/time.h"
#include "num/stats.h"

typedef struct exp_run {
    const gm_experiment *e;
    double *values;   /* reps x nkpi */
    double *batches;  /* nbatches x nkpi, for a single replication */
    uint64_t *events; /* per replication */
    /* The failure of the lowest-numbered failing replication, so the
       reported error does not depend on thread timing. */
    pthread_mutex_t lock;
    size_t fail_rep;
    int fail_rc;
    gm_err fail_err;
} exp_run;

static void run_one(void *ctx, size_t i, unsigned worker)
{
    (void)worker;
    exp_run *x = ctx;
    const gm_experiment *e = x->e;
    double *kpi = x->values + i * e->nkpi;
    gm_err err;
    gm_err_clear(&err);
    int rc = e->rep(e->ctx, e->seed, i, kpi, e->reps == 1 ? x->batches : NULL, &x->events[i],
                    &err);
    if (rc) {
        pthread_mutex_lock(&x->lock);
        if (!x->fail_rc || i < x->fail_rep) {
            x->fail_rc = rc;
            x->fail_rep = i;
            x->fail_err = err;
        }
        pthread_mutex_unlock(&x->lock);
    }
    if (e->done)
        atomic_fetch_add_explicit(e->done, 1, memory_order_relaxed);
}

/* Mean and t-interval over the finite values of column k of rows x ncols. */
static void summarise(const double *table, size_t rows, size_t ncols, size_t k, gm_exp_kpi *out,
                      double *scratch)
{
    size_t n = 0;
    for (size_t r = 0; r < rows; r++) {
        double v = table[r * ncols + k];
        if (isfinite(v))
            scratch[n++] = v;
    }
    out->n = n;
    out->mean = out->sd = out->lo = out->hi = (double)NAN;
    if (n == 0)
        return;
    if (n == 1) {
        out->mean = scratch[0];
        return;
    }
    gm_ci ci;
    if (gm_ci_mean(scratch, n, 0.95, &ci) == GM_OK) {
        out->mean = ci.mean;
        out->sd = ci.sd;
        out->lo = ci.lo;
        out->hi = ci.hi;
    }
}

int gm_experiment_run(const gm_experiment *e, gm_exp_summary *out, gm_err *err)
{
    memset(out, 0, sizeof *out);
    if (e->reps < 1 || e->reps > GM_EXP_MAX_REPS)
        return gm_err_set(err, GM_EINVAL, "replications", "expected 1..%d, got %llu",
                          GM_EXP_MAX_REPS, (unsigned long long)e->reps);
    size_t reps = (size_t)e->reps, nk = e->nkpi;
    exp_run x = {.e = e};
    x.values = calloc(reps * (nk ? nk : 1), sizeof *x.values);
    x.batches = e->reps == 1 && e->nbatches
                    ? calloc((size_t)e->nbatches * (nk ? nk : 1), sizeof *x.batches)
                    : NULL;
    x.events = calloc(reps, sizeof *x.events);
    pthread_mutex_init(&x.lock, NULL);
    double *scratch = malloc(sizeof *scratch * (reps > e->nbatches ? reps : e->nbatches + 1));
    out->kpi = calloc(nk ? nk : 1, sizeof *out->kpi);
    int rc = GM_ENOMEM;
    gm_workers *pool = NULL;
    if (!x.values || (e->reps == 1 && e->nbatches && !x.batches) || !x.events || !scratch ||
        !out->kpi) {
        rc = gm_err_set(err, GM_ENOMEM, "experiment", "out of memory for %llu replications",
                        (unsigned long long)e->reps);
        goto fail;
    }

    unsigned threads = e->threads;
    if (threads == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > 0 ? (unsigned)ncpu : 1;
    }
    if (threads > reps)
        threads = (unsigned)reps;
    int64_t t0 = gm_time_mono_ns();
    if (threads <= 1) {
        threads = 1;
        for (size_t i = 0; i < reps; i++)
            run_one(&x, i, 0);
    } else {
        pool = gm_workers_create(threads, err);
        if (!pool) {
            rc = err ? err->code : GM_ENOMEM;
            goto fail;
        }
        if ((rc = gm_workers_parallel_for(pool, reps, run_one, &x))) {
            rc = gm_err_set(err, rc, "experiment", "cannot run replications: %s",
                            gm_strerror(rc));
            goto fail;
        }
    }
    out->wall_seconds = (double)(gm_time_mono_ns() - t0) / 1e9;
    out->threads = threads;
    if (x.fail_rc) {
        rc = x.fail_rc;
        if (err)
            *err = x.fail_err;
        goto fail;
    }
    for (size_t i = 0; i < reps; i++)
        out->events += x.events[i];

    out->reps = e->reps;
    out->batch_means = e->reps == 1 && x.batches;
    for (size_t k = 0; k < nk; k++) {
        if (out->batch_means) {
            gm_exp_kpi *q = &out->kpi[k];
            summarise(x.batches, e->nbatches, nk, k, q, scratch);
            /* The point estimate is the whole run's value, not the mean of
               the batch ratios (they differ slightly for ratio KPIs); the
               interval keeps the batch-means half-width around it. */
            double half = (q->hi - q->lo) / 2;
            q->mean = x.values[k];
            q->lo = q->mean - half;
            q->hi = q->mean + half;
        } else {
            summarise(x.values, reps, nk, k, &out->kpi[k], scratch);
        }
        /* mean +- t.sd/sqrt(n) knows nothing of bounds: near full load a
           utilization's interval reaches past 1, which no run can show.
           Cut to the possible values, it still covers as often. */
        gm_exp_kpi *q = &out->kpi[k];
        if (e->is_fraction && e->is_fraction(e->ctx, k) && (q->lo < 0 || q->hi > 1)) {
            q->lo = fmax(q->lo, 0);
            q->hi = fmin(q->hi, 1);
            q->clipped = true;
        }
    }
    out->values = x.values;
    x.values = NULL;
    rc = GM_OK;
    goto done;
fail:
    free(out->kpi);
    out->kpi = NULL;
done:
    gm_workers_destroy(pool);
    free(x.values);
    free(x.batches);
    free(x.events);
    pthread_mutex_destroy(&x.lock);
    free(scratch);
    return rc;
}

void gm_exp_summary_free(gm_exp_summary *s)
{
    free(s->kpi);
    free(s->values);
    s->kpi = NULL;
    s->values = NULL;
}
