#include "cli/simrun.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/strconv.h"
#include "cli/progress.h"

static int rep_qnet(const void *ctx, uint64_t seed, uint64_t rep, double *kpi, double *batch,
                    uint64_t *events, gm_err *err)
{
    gm_qnet_result res = {.kpi = kpi, .batch = batch};
    int rc = gm_qnet_replicate(ctx, seed, rep, &res, err);
    *events = res.events;
    return rc;
}

typedef struct bg_run {
    const gm_experiment *e;
    gm_exp_summary *out;
    gm_err *err;
    int rc;
} bg_run;

static void *bg(void *arg)
{
    bg_run *b = arg;
    b->rc = gm_experiment_run(b->e, b->out, b->err);
    return NULL;
}

int gm_cli_run_qnet(const gm_qnet *m, uint64_t reps, unsigned threads, uint64_t seed,
                    gm_exp_summary *out, gm_err *err)
{
    atomic_uint_fast64_t done = 0;
    gm_experiment e = {
        .reps = reps,
        .threads = threads,
        .seed = seed,
        .nkpi = gm_qnet_nkpi(m),
        .nbatches = GM_QNET_BATCHES,
        .rep = rep_qnet,
        .ctx = m,
        .done = &done,
    };
    bg_run b = {&e, out, err, 0};
    pthread_t th;
    if (reps < 2 || pthread_create(&th, NULL, bg, &b) != 0) {
        bg(&b);
        return b.rc;
    }
    gm_progress pb;
    gm_progress_start(&pb, "replications", reps);
    while (atomic_load(&done) < reps) {
        gm_progress_update(&pb, atomic_load(&done));
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    pthread_join(th, NULL);
    gm_progress_finish(&pb);
    return b.rc;
}

int gm_cli_simopt(int c, const char *arg, uint64_t min_reps, gm_cli_simopts *o, gm_err *err)
{
    int rc;
    switch (c) {
    case 'r': rc = gm_parse_u64(arg, min_reps, GM_EXP_MAX_REPS, &o->reps, "--reps", err); break;
    case 't': rc = gm_parse_u64(arg, 1, 1024, &o->threads, "--threads", err); break;
    case 's': rc = gm_parse_u64(arg, 0, UINT64_MAX, &o->seed, "--seed", err); break;
    case 'j': o->json = true; return 1;
    default: return 0;
    }
    return rc ? rc : 1;
}

long gm_cli_kpi_index(const gm_qnet *m, const char *name)
{
    for (size_t i = 0; i < gm_qnet_nkpi(m); i++)
        if (strcmp(gm_qnet_kpi_name(m, i), name) == 0)
            return (long)i;
    return -1;
}
