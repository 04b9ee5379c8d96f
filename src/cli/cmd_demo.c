/*
 * gemel demo: the most complete end-to-end run gemel can show today.
 *
 * A job shop (examples/factory.json, embedded in the program) is simulated
 * with independent replications on all cores; the demo reports each
 * station's load and waiting with 95% intervals, finds the bottleneck, and
 * tries a what-if (one more server there) on the same random numbers, so the
 * paired difference has a tight interval. Finally it re-runs the baseline on
 * one thread to show the results do not depend on the thread count.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sb.h"
#include "base/version.h"
#include "cli/cli.h"
#include "cli/simrun.h"
#include "num/stats.h"

extern const char gm_demo_model[];

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel demo [--config MODEL.json] [--reps R] [--threads T] [--seed S] [--json]\n"
            "\n"
            "Run gemel's built-in end-to-end demonstration. The default model is a job\n"
            "shop (examples/factory.json, embedded): orders are cut, welded, painted and\n"
            "inspected, with rework, rush orders and a finite paint buffer. The demo\n"
            "simulates it, reports every station's utilization and waiting time with 95%%\n"
            "confidence intervals, finds the bottleneck, and tries one more server there\n"
            "on the same random numbers (a what-if), reporting the change in the time from\n"
            "order to shipment. It grows into the live factory twin as gemel does.\n"
            "\n"
            "Options:\n"
            "  --config FILE  another queueing-network model (format: docs/simulation.md)\n"
            "  --reps R       replications (default 10)\n"
            "  --threads T    worker threads (default: one per CPU)\n"
            "  --seed S       random seed (default 1)\n"
            "  --json         one JSON object on stdout\n"
            "  -h, --help     this help\n");
}

typedef struct station_row {
    const char *name;
    long util, wait;
} station_row;

static void interval(gm_sb *sb, const gm_exp_kpi *k)
{
    if (isfinite(k->lo))
        gm_sb_appendf(sb, "[%.4g, %.4g]", k->lo, k->hi);
    else
        gm_sb_append(sb, "-");
}

static void json_kpi(gm_sb *sb, const char *key, const gm_exp_kpi *k)
{
    gm_sb_appendf(sb, "\"%s\": {\"mean\": ", key);
    if (isfinite(k->mean))
        gm_sb_appendf(sb, "%.10g", k->mean);
    else
        gm_sb_append(sb, "null");
    if (isfinite(k->lo))
        gm_sb_appendf(sb, ", \"ci95\": [%.10g, %.10g]}", k->lo, k->hi);
    else
        gm_sb_append(sb, ", \"ci95\": null}");
}

static int demo_opt(void *ctx, int c, const char *arg, int argc, char **argv, gm_err *err)
{
    (void)argc;
    (void)argv;
    if (c != 'c')
        return GM_EINVAL; /* not one of ours: getopt_long never returns it */
    *(const char **)ctx = arg;
    return gm_cli_file_arg("--config", arg, err);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    gm_cli_simopts o = {.reps = 10, .threads = 0, .seed = 1, .json = false};
    int prc = gm_cli_parse_simopts(&gm_cmd_demo, argc, argv, longopts, demo_opt, &config, 2, &o,
                                   NULL, NULL);
    if (prc >= 0)
        return prc;
    uint64_t reps = o.reps, seed = o.seed;
    unsigned threads = (unsigned)o.threads;
    bool json = o.json;
    gm_err err;
    gm_err_clear(&err);

    const char *source = config ? config : "embedded examples/factory.json";
    json_t *doc = config ? gm_json_load_file(config, NULL, &err)
                         : gm_json_load_str(gm_demo_model, strlen(gm_demo_model), NULL,
                                            "<embedded factory.json>", &err);
    if (!doc)
        return gm_cli_fail(&err);
    gm_qnet *base = NULL, *what_if = NULL;
    gm_exp_summary s0 = {0}, s1 = {0}, s_one = {0};
    station_row *rows = NULL;
    gm_sb sb = GM_SB_INIT;
    int rc = GM_EXIT_FAIL;
    if (gm_qnet_load(doc, &base, &err)) {
        if (config)
            gm_err_prefix(&err, "%s", config);
        rc = gm_cli_fail(&err);
        goto done;
    }
    char warning[1400];
    bool unsteady = gm_cli_steady_state_warning(source, base, warning, sizeof warning);

    /* Baseline. */
    if (gm_cli_run_qnet(base, reps, threads, seed, &s0, &err)) {
        gm_cli_fail(&err);
        goto done;
    }
    const json_t *stations = json_object_get(doc, "stations");
    size_t ns = json_array_size(stations);
    rows = calloc(ns, sizeof *rows);
    if (!rows)
        goto done;
    size_t bottleneck = 0;
    for (size_t i = 0; i < ns; i++) {
        char key[128];
        rows[i].name = json_string_value(json_object_get(json_array_get(stations, i), "name"));
        snprintf(key, sizeof key, "%s.utilization", rows[i].name);
        rows[i].util = gm_cli_kpi_index(base, key);
        snprintf(key, sizeof key, "%s.wait_mean", rows[i].name);
        rows[i].wait = gm_cli_kpi_index(base, key);
        if (s0.kpi[rows[i].util].mean > s0.kpi[rows[bottleneck].util].mean)
            bottleneck = i;
    }
    long soj = gm_cli_kpi_index(base, "system.sojourn_mean");
    long thru = gm_cli_kpi_index(base, "system.throughput");

    /* What-if: one more server at the bottleneck, same seed (common random
       numbers), so the per-replication differences have a small spread. */
    json_t *station = json_array_get(stations, bottleneck);
    json_int_t servers = json_integer_value(json_object_get(station, "servers"));
    if (servers == 0)
        servers = 1;
    json_object_set_new(station, "servers", json_integer(servers + 1));
    if (gm_qnet_load(doc, &what_if, &err) ||
        gm_cli_run_qnet(what_if, reps, threads, seed, &s1, &err)) {
        gm_cli_fail(&err);
        goto done;
    }
    size_t nk = gm_qnet_nkpi(base);
    double *diff = malloc(sizeof *diff * reps);
    gm_ci dci = {0};
    if (!diff)
        goto done;
    for (size_t r = 0; r < reps; r++)
        diff[r] = s1.values[r * nk + (size_t)soj] - s0.values[r * nk + (size_t)soj];
    int ci_rc = gm_ci_mean(diff, reps, 0.95, &dci);
    free(diff);
    if (ci_rc) {
        gm_cli_error("demo", "cannot compute the interval of the difference");
        goto done;
    }

    /* The same baseline on one thread must give identical numbers. */
    if (gm_cli_run_qnet(base, reps, 1, seed, &s_one, &err)) {
        gm_cli_fail(&err);
        goto done;
    }
    bool same = memcmp(s0.values, s_one.values, reps * nk * sizeof(double)) == 0;

    if (json) {
        const char *model = config ? config : "factory (embedded)";
        gm_sb_appendf(&sb, "{\"version\": \"%s\", \"model\": \"", GM_VERSION);
        gm_sb_append_json_escaped(&sb, model, strlen(model)); /* a path may hold quotes */
        gm_sb_appendf(&sb, "\", \"replications\": %llu, "
                           "\"seed\": %llu, \"threads\": %u, \"events\": %llu, "
                           "\"wall_seconds\": %.6f, \"stations\": {",
                      (unsigned long long)reps, (unsigned long long)seed, s0.threads,
                      (unsigned long long)s0.events, s0.wall_seconds);
        for (size_t i = 0; i < ns; i++) {
            gm_sb_appendf(&sb, "%s\"%s\": {", i ? ", " : "", rows[i].name);
            json_kpi(&sb, "utilization", &s0.kpi[rows[i].util]);
            gm_sb_append(&sb, ", ");
            json_kpi(&sb, "wait_mean", &s0.kpi[rows[i].wait]);
            gm_sb_append(&sb, "}");
        }
        gm_sb_append(&sb, "}, ");
        json_kpi(&sb, "system.sojourn_mean", &s0.kpi[soj]);
        gm_sb_append(&sb, ", ");
        json_kpi(&sb, "system.throughput", &s0.kpi[thru]);
        gm_sb_appendf(&sb, ", \"bottleneck\": \"%s\", \"what_if\": {\"change\": \"%s.servers "
                           "%lld -> %lld\", ",
                      rows[bottleneck].name, rows[bottleneck].name, (long long)servers,
                      (long long)servers + 1);
        json_kpi(&sb, "system.sojourn_mean", &s1.kpi[soj]);
        gm_sb_appendf(&sb, ", \"difference\": {\"mean\": %.10g, \"ci95\": [%.10g, %.10g]}}, "
                           "\"same_with_one_thread\": %s",
                      dci.mean, dci.lo, dci.hi, same ? "true" : "false");
        if (unsteady) {
            gm_sb_append(&sb, ", \"warnings\": [\"");
            gm_sb_append_json_escaped(&sb, warning, strlen(warning));
            gm_sb_append(&sb, "\"]");
        }
        gm_sb_append(&sb, "}\n");
    } else {
        gm_sb_appendf(&sb, "gemel %s demo: a job shop in simulation (%s)\n", GM_VERSION, source);
        gm_sb_appendf(&sb, "%llu replications, seed %llu, %u threads: %.2f M events in %.2f s\n\n",
                      (unsigned long long)reps, (unsigned long long)seed, s0.threads,
                      (double)s0.events / 1e6, s0.wall_seconds);
        gm_sb_appendf(&sb, "  %-14s %-10s %-22s %-10s %s\n", "station", "utilization",
                      "95% interval", "mean wait", "95% interval");
        for (size_t i = 0; i < ns; i++) {
            const gm_exp_kpi *u = &s0.kpi[rows[i].util], *w = &s0.kpi[rows[i].wait];
            gm_sb_appendf(&sb, "  %-14s %-10.4g  ", rows[i].name, u->mean);
            size_t at = sb.len;
            interval(&sb, u);
            gm_sb_appendf(&sb, "%*s %-10.4g ", (int)(22 - (sb.len - at)), "", w->mean);
            interval(&sb, w);
            gm_sb_append(&sb, "\n");
        }
        gm_sb_appendf(&sb, "\n  order to shipment: %.4g ", s0.kpi[soj].mean);
        interval(&sb, &s0.kpi[soj]);
        gm_sb_appendf(&sb, ", throughput %.4g per time unit\n", s0.kpi[thru].mean);
        gm_sb_appendf(&sb, "\n  bottleneck: %s (utilization %.3g)\n", rows[bottleneck].name,
                      s0.kpi[rows[bottleneck].util].mean);
        gm_sb_appendf(&sb, "  what-if: %s with %lld servers instead of %lld, same random numbers\n",
                      rows[bottleneck].name, (long long)servers + 1, (long long)servers);
        gm_sb_appendf(&sb, "    order to shipment %.4g -> %.4g: change %+.4g, 95%% interval "
                           "[%+.4g, %+.4g]\n",
                      s0.kpi[soj].mean, s1.kpi[soj].mean, dci.mean, dci.lo, dci.hi);
        gm_sb_appendf(&sb, "\n  reproducible: %s\n",
                      same ? "yes, identical results on one thread"
                           : "NO: results differ on one thread");
        if (unsteady)
            gm_sb_appendf(&sb, "\n  warning: %s.\n", warning);
    }
    fputs(gm_sb_str(&sb), stdout);
    rc = same ? GM_EXIT_OK : GM_EXIT_FAIL;
done:
    gm_sb_free(&sb);
    free(rows);
    gm_exp_summary_free(&s0);
    gm_exp_summary_free(&s1);
    gm_exp_summary_free(&s_one);
    gm_qnet_free(base);
    gm_qnet_free(what_if);
    json_decref(doc);
    return rc;
}

const gm_cli_cmd gm_cmd_demo = {"demo", "run the built-in end-to-end demonstration", help, run};
