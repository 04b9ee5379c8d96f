/* gemel sim: run a simulation model file and report its KPIs with 95% intervals. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sb.h"
#include "cli/cli.h"
#include "cli/simrun.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel sim MODEL.json [--reps R] [--threads T] [--seed S] [--json]\n"
            "\n"
            "Simulate a model and print its KPIs, each with a 95%% confidence interval.\n"
            "Models: \"type\": \"queueing-network\" (stations, servers, service-time\n"
            "distributions, finite buffers with loss or blocking, routing with feedback,\n"
            "customer classes with priorities). The format, the distributions and every\n"
            "KPI are described in docs/simulation.md; examples/ has models to start from.\n"
            "\n"
            "With R >= 2 replications the interval is Student-t over replications; with\n"
            "one, it comes from %d batch means of the single run. Results do not depend\n"
            "on the number of threads: replication r always uses random streams\n"
            "r*S .. r*S+S-1 of the seed (S = the model's random sources).\n"
            "\n"
            "Options:\n"
            "  --reps R     replications (default 1, at most %d)\n"
            "  --threads T  worker threads (default: one per CPU)\n"
            "  --seed S     random seed (default 1)\n"
            "  --json       one JSON object on stdout:\n"
            "               {\"replications\", \"events\", \"wall_seconds\", \"kpis\": {NAME:\n"
            "               {\"mean\", \"ci95\": [lo, hi]}}} (null where undefined)\n"
            "  -h, --help   this help\n"
            "\n"
            "Exit status: 0 done, 1 the simulation failed, 2 bad options or model file\n"
            "(the error names the JSON path and what was expected).\n",
            GM_QNET_BATCHES, GM_EXP_MAX_REPS);
}

static void json_num(gm_sb *sb, double v)
{
    if (isfinite(v))
        gm_sb_appendf(sb, "%.10g", v);
    else
        gm_sb_append(sb, "null");
}

static void print_json(const gm_qnet *m, const gm_exp_summary *s, uint64_t seed)
{
    gm_sb sb = GM_SB_INIT;
    gm_sb_appendf(&sb,
                  "{\"replications\": %llu, \"seed\": %llu, \"threads\": %u, \"events\": %llu, "
                  "\"wall_seconds\": %.6f, \"ci_method\": \"%s\", \"kpis\": {",
                  (unsigned long long)s->reps, (unsigned long long)seed, s->threads,
                  (unsigned long long)s->events, s->wall_seconds,
                  s->batch_means ? "batch-means" : "replications");
    for (size_t k = 0; k < gm_qnet_nkpi(m); k++) {
        const gm_exp_kpi *q = &s->kpi[k];
        gm_sb_appendf(&sb, "%s\"%s\": {\"mean\": ", k ? ", " : "", gm_qnet_kpi_name(m, k));
        json_num(&sb, q->mean);
        gm_sb_append(&sb, ", \"ci95\": [");
        json_num(&sb, q->lo);
        gm_sb_append(&sb, ", ");
        json_num(&sb, q->hi);
        gm_sb_append(&sb, "]}");
    }
    gm_sb_append(&sb, "}}\n");
    fputs(gm_sb_str(&sb), stdout);
    gm_sb_free(&sb);
}

static void print_table(const char *path, const gm_qnet *m, const gm_exp_summary *s,
                        uint64_t seed)
{
    printf("%s: %llu replication%s, seed %llu, %u thread%s\n", path,
           (unsigned long long)s->reps, s->reps == 1 ? "" : "s", (unsigned long long)seed,
           s->threads, s->threads == 1 ? "" : "s");
    printf("%llu events in %.3f s (%.2f M events/s)\n\n", (unsigned long long)s->events,
           s->wall_seconds, (double)s->events / s->wall_seconds / 1e6);
    printf("%-36s %14s   %s\n", "KPI", "mean", "95% confidence interval");
    for (size_t k = 0; k < gm_qnet_nkpi(m); k++) {
        const gm_exp_kpi *q = &s->kpi[k];
        char ci[64] = "-";
        if (isfinite(q->lo))
            snprintf(ci, sizeof ci, "[%.6g, %.6g]", q->lo, q->hi);
        if (isfinite(q->mean))
            printf("%-36s %14.6g   %s\n", gm_qnet_kpi_name(m, k), q->mean, ci);
        else
            printf("%-36s %14s   %s\n", gm_qnet_kpi_name(m, k), "-", "(no observations)");
    }
    printf("\n%s\n", s->batch_means
                         ? "Intervals: batch means of the single replication (use --reps for "
                           "independent replications)."
                         : "Intervals: Student t over independent replications.");
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        GM_CLI_SIMOPTS_LONG,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gm_cli_simopts o = {.reps = 1, .threads = 0, .seed = 1, .json = false};
    gm_err err;
    gm_err_clear(&err);
    int c;
    while ((c = gm_cli_getopt(&gm_cmd_sim, argc, argv, "h", longopts)) != -1) {
        int handled = gm_cli_simopt(c, optarg, 1, &o, &err);
        if (handled < 0)
            return gm_cli_fail(&err);
        if (handled)
            continue;
        return c == 'h' ? GM_EXIT_OK : GM_EXIT_USAGE;
    }
    if (optind >= argc)
        return gm_cli_usage("sim", "missing MODEL.json");
    if (optind + 1 < argc)
        return gm_cli_usage("sim", "unexpected argument '%s'", argv[optind + 1]);
    const char *path = argv[optind];

    gm_qnet *m = NULL;
    if (gm_qnet_load_file(path, &m, &err))
        return gm_cli_fail(&err);
    gm_exp_summary s;
    int rc = gm_cli_run_qnet(m, o.reps, (unsigned)o.threads, o.seed, &s, &err);
    if (rc) {
        gm_qnet_free(m);
        gm_cli_fail(&err);
        return GM_EXIT_FAIL;
    }
    if (o.json)
        print_json(m, &s, o.seed);
    else
        print_table(path, m, &s, o.seed);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
    return GM_EXIT_OK;
}

const gm_cli_cmd gm_cmd_sim = {"sim", "simulate a model (queueing network) with confidence intervals",
                               help, run};
