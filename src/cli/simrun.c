#include "cli/simrun.h"

#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/sb.h"
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

int gm_cli_run_experiment(const gm_experiment *e, gm_exp_summary *out, gm_err *err)
{
    atomic_uint_fast64_t done = 0;
    gm_experiment counted = *e; /* the caller's experiment, counting into done */
    counted.done = &done;
    bg_run b = {&counted, out, err, 0};
    pthread_t th;
    if (e->reps < 2 || pthread_create(&th, NULL, bg, &b) != 0) {
        bg(&b);
        return b.rc;
    }
    gm_progress pb;
    gm_progress_start(&pb, "replications", e->reps);
    while (atomic_load(&done) < e->reps) {
        gm_progress_update(&pb, atomic_load(&done));
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    pthread_join(th, NULL);
    gm_progress_finish(&pb);
    return b.rc;
}

static bool qnet_fraction(const void *ctx, size_t k)
{
    return gm_qnet_kpi_is_fraction(ctx, k);
}

int gm_cli_run_qnet(const gm_qnet *m, uint64_t reps, unsigned threads, uint64_t seed,
                    gm_exp_summary *out, gm_err *err)
{
    gm_experiment e = {
        .reps = reps,
        .threads = threads,
        .seed = seed,
        .nkpi = gm_qnet_nkpi(m),
        .nbatches = GM_QNET_BATCHES,
        .rep = rep_qnet,
        .ctx = m,
        .is_fraction = qnet_fraction,
    };
    return gm_cli_run_experiment(&e, out, err);
}

int gm_cli_file_arg(const char *flag, const char *arg, gm_err *err)
{
    if (arg && *arg)
        return GM_OK;
    return gm_err_set(err, GM_EINVAL, flag, "expected a file name, got ''");
}

#define MAX_OPTS 32

int gm_cli_parse_simopts(const gm_cli_cmd *cmd, int argc, char **argv, const struct option *own,
                         gm_cli_opt_fn on_opt, void *ctx, uint64_t min_reps, gm_cli_simopts *o,
                         const char *operand_name, const char **operand)
{
    static const struct option shared[] = {
        {"reps", required_argument, NULL, 'r'}, {"threads", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
    };
    struct option all[MAX_OPTS];
    size_t n = 0;
    for (; own && own[n].name && n < MAX_OPTS - 6; n++)
        all[n] = own[n];
    memcpy(all + n, shared, sizeof shared);
    n += sizeof shared / sizeof shared[0];
    memset(&all[n], 0, sizeof all[n]);

    gm_err err;
    gm_err_clear(&err);
    int c;
    while ((c = gm_cli_getopt(cmd, argc, argv, "h", all)) != -1) {
        int rc = GM_OK;
        switch (c) {
        case 'h': return GM_EXIT_OK;
        case '?': return GM_EXIT_USAGE;
        case 'r': rc = gm_parse_u64(optarg, min_reps, GM_EXP_MAX_REPS, &o->reps, "--reps", &err); break;
        case 't': rc = gm_parse_u64(optarg, 1, 1024, &o->threads, "--threads", &err); break;
        case 's': rc = gm_parse_u64(optarg, 0, UINT64_MAX, &o->seed, "--seed", &err); break;
        case 'j': o->json = true; break;
        default: rc = on_opt ? on_opt(ctx, c, optarg, argc, argv, &err) : GM_EINVAL; break;
        }
        if (rc < 0)
            return gm_cli_fail(&err);
        if (rc > 0)
            return rc;
    }
    if (operand)
        *operand = NULL;
    if (!operand_name) {
        if (optind < argc)
            return gm_cli_usage(cmd->name, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (optind >= argc)
        return gm_cli_usage(cmd->name, "missing %s", operand_name);
    if (optind + 1 < argc)
        return gm_cli_usage(cmd->name, "unexpected argument '%s'", argv[optind + 1]);
    if (!argv[optind][0])
        return gm_cli_usage(cmd->name, "%s: expected a file name, got ''", operand_name);
    *operand = argv[optind];
    return -1;
}

/* The warning's text, without the head, to buf. */
static void unsteady_text(const char *why, char *buf, size_t n)
{
    snprintf(buf, n,
             "no steady state: %s. The queue there grows without bound, so these KPIs "
             "describe this run only and grow with its length",
             why);
}

void gm_cli_unsteady_batches(gm_exp_summary *s, size_t nkpi, char *buf, size_t n)
{
    if (!s->batch_means)
        return;
    /* Batch means treat the batches as samples of one steady state;
       without one they only measure how fast the run drifts. */
    for (size_t k = 0; k < nkpi; k++) {
        s->kpi[k].lo = s->kpi[k].hi = (double)NAN;
        s->kpi[k].clipped = false;
    }
    size_t len = strnlen(buf, n);
    if (len < n)
        snprintf(buf + len, n - len,
                 "; batch-means intervals need a steady state and are not shown (--reps R "
                 "gives intervals for a run of this length)");
}

bool gm_cli_steady_state_warning(const char *source, const gm_qnet *m, char *buf, size_t n)
{
    char why[1024];
    if (n)
        buf[0] = '\0';
    if (gm_qnet_overloaded(m, why, sizeof why) == 0)
        return false;
    unsteady_text(why, buf, n);
    fprintf(stderr, "gemel: %s: warning: %s\n", source, buf);
    return true;
}

const char *gm_cli_warn_unsteady(const char *source, const char *why, gm_exp_summary *s,
                                 size_t nkpi, char *buf, size_t n)
{
    unsteady_text(why, buf, n);
    gm_cli_unsteady_batches(s, nkpi, buf, n);
    fprintf(stderr, "gemel: %s: warning: %s\n", source, buf);
    return buf;
}

static void json_num(gm_sb *sb, double v)
{
    if (isfinite(v))
        gm_sb_appendf(sb, "%.10g", v);
    else
        gm_sb_append(sb, "null");
}

void gm_cli_print_summary(const char *source, gm_cli_kpi_name_fn name, const void *model,
                          size_t nkpi, const gm_exp_summary *s, uint64_t seed, bool json,
                          const char *extra, const char *warning)
{
    gm_sb sb = GM_SB_INIT;
    if (json) {
        gm_sb_appendf(&sb,
                      "{\"replications\": %llu, \"seed\": %llu, \"threads\": %u, "
                      "\"events\": %llu, \"wall_seconds\": %.6f, \"ci_method\": \"%s\", "
                      "\"kpis\": {",
                      (unsigned long long)s->reps, (unsigned long long)seed, s->threads,
                      (unsigned long long)s->events, s->wall_seconds,
                      s->batch_means ? "batch-means" : "replications");
        for (size_t k = 0; k < nkpi; k++) {
            const gm_exp_kpi *q = &s->kpi[k];
            gm_sb_append(&sb, k ? ", \"" : "\"");
            const char *nm = name(model, k);
            gm_sb_append_json_escaped(&sb, nm, strlen(nm));
            gm_sb_append(&sb, "\": {\"mean\": ");
            json_num(&sb, q->mean);
            gm_sb_append(&sb, ", \"ci95\": [");
            json_num(&sb, q->lo);
            gm_sb_append(&sb, ", ");
            json_num(&sb, q->hi);
            gm_sb_append(&sb, q->clipped ? "], \"clipped\": true}" : "]}");
        }
        gm_sb_append(&sb, "}");
        if (warning) {
            gm_sb_append(&sb, ", \"warnings\": [\"");
            gm_sb_append_json_escaped(&sb, warning, strlen(warning));
            gm_sb_append(&sb, "\"]");
        }
        if (extra)
            gm_sb_append(&sb, extra);
        gm_sb_append(&sb, "}\n");
    } else {
        gm_sb_appendf(&sb, "%s: %llu replication%s, seed %llu, %u thread%s\n", source,
                      (unsigned long long)s->reps, s->reps == 1 ? "" : "s",
                      (unsigned long long)seed, s->threads, s->threads == 1 ? "" : "s");
        gm_sb_appendf(&sb, "%llu events in %.3f s (%.2f M events/s)\n\n",
                      (unsigned long long)s->events, s->wall_seconds,
                      (double)s->events / s->wall_seconds / 1e6);
        gm_sb_appendf(&sb, "%-36s %14s   %s\n", "KPI", "mean", "95% confidence interval");
        for (size_t k = 0; k < nkpi; k++) {
            const gm_exp_kpi *q = &s->kpi[k];
            if (!isfinite(q->mean)) {
                gm_sb_appendf(&sb, "%-36s %14s   %s\n", name(model, k), "-", "(no observations)");
                continue;
            }
            gm_sb_appendf(&sb, "%-36s %14.6g   ", name(model, k), q->mean);
            if (isfinite(q->lo))
                gm_sb_appendf(&sb, "[%.6g, %.6g]\n", q->lo, q->hi);
            else
                gm_sb_append(&sb, "-\n");
        }
        gm_sb_appendf(&sb, "\n%s\n",
                      s->batch_means ? "Intervals: batch means of the single replication (use "
                                       "--reps for independent replications)."
                                     : "Intervals: Student t over independent replications.");
        size_t nclipped = 0;
        for (size_t k = 0; k < nkpi; k++) {
            if (!s->kpi[k].clipped)
                continue;
            gm_sb_append(&sb, nclipped++ ? ", " : "Cut to [0, 1], the values a fraction can take: ");
            gm_sb_append(&sb, name(model, k));
        }
        if (nclipped)
            gm_sb_append(&sb, ".\n");
        if (warning)
            gm_sb_appendf(&sb, "Warning: %s.\n", warning);
        if (extra)
            gm_sb_append(&sb, extra);
    }
    fputs(gm_sb_str(&sb), stdout);
    gm_sb_free(&sb);
}

long gm_cli_kpi_index(const gm_qnet *m, const char *name)
{
    for (size_t i = 0; i < gm_qnet_nkpi(m); i++)
        if (strcmp(gm_qnet_kpi_name(m, i), name) == 0)
            return (long)i;
    return -1;
}
