/* gemel process: import a BPMN 2.0 process model (--check) or simulate it (--params). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/sb.h"
#include "base/json.h"
#include "cli/cli.h"
#include "cli/simrun.h"
#include "process/bpmn.h"
#include "des/experiment.h"
#include "process/process.h"
#include "procimport/procimport.h"
#include "base/strconv.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel process MODEL.bpmn --check [--json]\n"
            "       gemel process MODEL.bpmn (--params P.json | --scylla SIM.xml GLOBAL.xml |\n"
            "                                 --bimp) [--cases N] [--reps R] [--threads T]\n"
            "                                [--seed S] [--json] [--log FILE.csv|FILE.xes]\n"
            "\n"
            "--check imports a BPMN 2.0 process model and prints its structure: processes,\n"
            "flow nodes by kind (ids, names, lanes, loop markers, boundary attachment) and\n"
            "sequence flows with their conditions. Elements gemel cannot import are\n"
            "reported as errors, never skipped; docs/processes.md lists what is supported.\n"
            "\n"
            "Simulation runs R independent replications of the process and prints its KPIs\n"
            "(cycle, processing and waiting time, cost, throughput, work in progress; per\n"
            "task and per resource pool) with 95%% confidence intervals, the bottleneck\n"
            "ranking (tasks by their share of all waiting, with the resource that causes\n"
            "it) and the work in progress over time. Parameters come from gemel's JSON\n"
            "(docs/processes.md, \"Parameters\"), from Scylla's configuration files, or from\n"
            "BIMP/QBP parameters embedded in the model. A resource pool offered more work\n"
            "than its units can do (offered load >= 1) has no steady state: the run warns.\n"
            "\n"
            "Options:\n"
            "  --check          import and print the structure\n"
            "  --params P.json  simulate with gemel's parameters\n"
            "  --scylla SIM.xml GLOBAL.xml\n"
            "                   simulate with a Scylla simulation and global configuration\n"
            "  --bimp           simulate with the BIMP/QBP parameters inside MODEL.bpmn\n"
            "  --cases N        measured cases per replication (replaces the parameters')\n"
            "  --print-params   print the parameters as gemel JSON (e.g. translated from\n"
            "                   Scylla or BIMP) and stop\n"
            "  --reps R         replications (default 10); with 1, the intervals come from\n"
            "                   batch means of the one long run\n"
            "  --threads T      threads (default: one per CPU)\n"
            "  --seed S         random seed (default 1)\n"
            "  --log FILE       write replication 0's event log, CSV (.csv: case_id,\n"
            "                   activity,resource,start,end) or XES (.xes, IEEE 1849)\n"
            "  --json           one JSON object on stdout; with --check: {\"processes\":\n"
            "                   [{\"id\", \"name\", \"participant\", \"nodes\": [...],\n"
            "                   \"flows\": [...]}]}; when simulating: {\"replications\",\n"
            "                   \"seed\", ..., \"kpis\": {NAME: {\"mean\", \"ci95\"}},\n"
            "                   \"bottlenecks\": [...], \"wip_profile\": [...],\n"
            "                   \"warnings\": [...] when there are any}\n"
            "  -h, --help       this help\n"
            "\n"
            "Exit status: 0 success, 1 the simulation failed, 2 bad options, model or\n"
            "parameters (the error names FILE:LINE and the element, or the JSON path).\n");
}

static void json_str(gm_sb *sb, const char *s)
{
    if (!s) {
        gm_sb_append(sb, "null");
        return;
    }
    gm_sb_append_char(sb, '"');
    gm_sb_append_json_escaped(sb, s, strlen(s));
    gm_sb_append_char(sb, '"');
}

static void json_flow_ids(gm_sb *sb, const gm_bpmn *m, const size_t *f, size_t n)
{
    gm_sb_append_char(sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            gm_sb_append(sb, ", ");
        json_str(sb, gm_bpmn_flow_at(m, f[i])->id);
    }
    gm_sb_append_char(sb, ']');
}

static void json_node(gm_sb *sb, const gm_bpmn *m, const gm_bpmn_node *n)
{
    gm_sb_append(sb, "{\"id\": ");
    json_str(sb, n->id);
    gm_sb_append(sb, ", \"name\": ");
    json_str(sb, n->name);
    gm_sb_appendf(sb, ", \"kind\": \"%s\", \"element\": ", gm_bpmn_kind_name(n->kind));
    json_str(sb, n->element);
    gm_sb_appendf(sb, ", \"line\": %ld, \"lane\": ", n->line);
    json_str(sb, n->lane);
    gm_sb_append(sb, ", \"parent\": ");
    json_str(sb, n->parent == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(m, n->parent)->id);
    gm_sb_appendf(sb, ", \"trigger\": \"%s\", \"loop\": \"%s\"", gm_bpmn_trigger_name(n->trigger),
                  gm_bpmn_loop_name(n->loop));
    if (n->kind == GM_BPMN_BOUNDARY_EVENT) {
        gm_sb_append(sb, ", \"attached_to\": ");
        json_str(sb, gm_bpmn_node_at(m, n->attached_to)->id);
        gm_sb_appendf(sb, ", \"cancel_activity\": %s", n->cancel_activity ? "true" : "false");
    }
    if (n->timer) {
        gm_sb_appendf(sb, ", \"%s\": ", n->timer_kind);
        json_str(sb, n->timer);
    }
    if (n->called_element) {
        gm_sb_append(sb, ", \"called_element\": ");
        json_str(sb, n->called_element);
    }
    gm_sb_append(sb, ", \"incoming\": ");
    json_flow_ids(sb, m, n->in, n->nin);
    gm_sb_append(sb, ", \"outgoing\": ");
    json_flow_ids(sb, m, n->out, n->nout);
    gm_sb_append_char(sb, '}');
}

static void print_json(const gm_bpmn *m)
{
    gm_sb sb = GM_SB_INIT;
    gm_sb_append(&sb, "{\"processes\": [");
    for (size_t p = 0; p < gm_bpmn_nprocesses(m); p++) {
        const gm_bpmn_process *pr = gm_bpmn_process_at(m, p);
        gm_sb_append(&sb, p ? ", {\"id\": " : "{\"id\": ");
        json_str(&sb, pr->id);
        gm_sb_append(&sb, ", \"name\": ");
        json_str(&sb, pr->name);
        gm_sb_append(&sb, ", \"participant\": ");
        json_str(&sb, pr->participant);
        gm_sb_appendf(&sb, ", \"executable\": %s, \"nodes\": [", pr->executable ? "true" : "false");
        bool first = true;
        for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
            const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
            if (n->process != p)
                continue;
            if (!first)
                gm_sb_append(&sb, ", ");
            first = false;
            json_node(&sb, m, n);
        }
        gm_sb_append(&sb, "], \"flows\": [");
        first = true;
        for (size_t i = 0; i < gm_bpmn_nflows(m); i++) {
            const gm_bpmn_flow *f = gm_bpmn_flow_at(m, i);
            if (f->process != p)
                continue;
            gm_sb_append(&sb, first ? "{\"id\": " : ", {\"id\": ");
            first = false;
            json_str(&sb, f->id);
            gm_sb_append(&sb, ", \"name\": ");
            json_str(&sb, f->name);
            gm_sb_append(&sb, ", \"source\": ");
            json_str(&sb, gm_bpmn_node_at(m, f->source)->id);
            gm_sb_append(&sb, ", \"target\": ");
            json_str(&sb, gm_bpmn_node_at(m, f->target)->id);
            gm_sb_append(&sb, ", \"condition\": ");
            json_str(&sb, f->condition);
            gm_sb_appendf(&sb, ", \"default\": %s, \"line\": %ld}", f->is_default ? "true" : "false",
                          f->line);
        }
        gm_sb_append(&sb, "]}");
    }
    gm_sb_append(&sb, "]}\n");
    fputs(gm_sb_str(&sb), stdout);
    gm_sb_free(&sb);
}

/* Names may hold line breaks (BPMN modelers wrap labels); keep one line. */
static void put_oneline(const char *s)
{
    for (; *s; s++)
        putchar(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
}

static void print_text(const char *path, const gm_bpmn *m)
{
    printf("%s: %zu process%s, %zu flow nodes, %zu sequence flows\n", path,
           gm_bpmn_nprocesses(m), gm_bpmn_nprocesses(m) == 1 ? "" : "es", gm_bpmn_nnodes(m),
           gm_bpmn_nflows(m));
    for (size_t p = 0; p < gm_bpmn_nprocesses(m); p++) {
        const gm_bpmn_process *pr = gm_bpmn_process_at(m, p);
        printf("\nprocess %s", pr->id);
        if (*pr->name) {
            printf(" \"");
            put_oneline(pr->name);
            putchar('"');
        }
        if (pr->participant) {
            printf(" (participant \"");
            put_oneline(pr->participant);
            printf("\")");
        }
        printf("\n");
        for (int k = GM_BPMN_START_EVENT; k <= GM_BPMN_EVENT_GATEWAY; k++) {
            bool header = false;
            for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
                const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
                if (n->process != p || (int)n->kind != k)
                    continue;
                if (!header)
                    printf("  %s:\n", gm_bpmn_kind_name(n->kind));
                header = true;
                printf("    %-24s", n->id);
                if (*n->name) {
                    printf(" \"");
                    put_oneline(n->name);
                    putchar('"');
                }
                if (strcmp(n->element, gm_bpmn_kind_name(n->kind)) != 0)
                    printf(" [%s]", n->element);
                if (n->trigger != GM_BPMN_TRIGGER_NONE)
                    printf(" %s", gm_bpmn_trigger_name(n->trigger));
                if (n->timer)
                    printf(" %s=%s", n->timer_kind, n->timer);
                if (n->loop != GM_BPMN_LOOP_NONE)
                    printf(" loop=%s", gm_bpmn_loop_name(n->loop));
                if (n->kind == GM_BPMN_BOUNDARY_EVENT)
                    printf(" on %s%s", gm_bpmn_node_at(m, n->attached_to)->id,
                           n->cancel_activity ? "" : " (non-interrupting)");
                if (n->called_element)
                    printf(" calls %s", n->called_element);
                if (n->parent != GM_BPMN_NONE)
                    printf(" in %s", gm_bpmn_node_at(m, n->parent)->id);
                if (n->lane) {
                    printf(" lane \"");
                    put_oneline(n->lane);
                    putchar('"');
                }
                printf("  (line %ld)\n", n->line);
            }
        }
        printf("  sequence flows:\n");
        for (size_t i = 0; i < gm_bpmn_nflows(m); i++) {
            const gm_bpmn_flow *f = gm_bpmn_flow_at(m, i);
            if (f->process != p)
                continue;
            printf("    %-24s %s -> %s", f->id, gm_bpmn_node_at(m, f->source)->id,
                   gm_bpmn_node_at(m, f->target)->id);
            if (f->is_default)
                printf(" (default)");
            if (f->condition) {
                printf(" [");
                put_oneline(f->condition);
                putchar(']');
            }
            printf("\n");
        }
    }
}

static const char *kpi_name(const void *p, size_t k)
{
    return gm_proc_kpi_name(p, k);
}

/* A number, or null when it is not finite (JSON has no NaN). */
static void json_finite(gm_sb *sb, double v)
{
    if (isfinite(v))
        gm_sb_appendf(sb, "%.6g", v);
    else
        gm_sb_append(sb, "null");
}

static bool kpi_fraction(const void *ctx, size_t k)
{
    return gm_proc_kpi_is_fraction(ctx, k);
}

/* The steady-state warning after run s, or NULL when every pool can keep
   up with its work (gm_proc_overloaded). */
static const char *unsteady(const char *path, const gm_proc *p, gm_exp_summary *s)
{
    static char warning[1600];
    char why[1024];
    size_t nk = gm_proc_nkpi(p);
    double *mean = malloc(2 * nk * sizeof *mean);
    if (!mean)
        return NULL;
    for (size_t k = 0; k < nk; k++) {
        mean[k] = s->kpi[k].mean;
        mean[nk + k] = s->kpi[k].lo;
    }
    size_t n = gm_proc_overloaded(p, mean, mean + nk, why, sizeof why);
    free(mean);
    return n ? gm_cli_warn_unsteady(path, why, s, nk, warning, sizeof warning) : NULL;
}

/* The bottleneck ranking and the WIP profile, as text or JSON members. */
static void extras(gm_sb *sb, const gm_proc *p, const gm_exp_summary *s, const double *wip,
                   size_t nwip, bool json)
{
    size_t nk = gm_proc_nkpi(p);
    double *mean = calloc(nk ? nk : 1, sizeof *mean);
    gm_proc_bottleneck b[10];
    size_t nb = 0;
    if (mean) {
        for (size_t k = 0; k < nk; k++)
            mean[k] = s->kpi[k].mean;
        nb = gm_proc_bottlenecks(p, mean, b, sizeof b / sizeof b[0]);
        free(mean);
    }
    if (json) {
        gm_sb_append(sb, ", \"bottlenecks\": [");
        for (size_t i = 0; i < nb; i++) {
            gm_sb_append(sb, i ? ", {\"task\": " : "{\"task\": ");
            json_str(sb, b[i].task);
            gm_sb_append(sb, ", \"resource\": ");
            json_str(sb, b[i].resource);
            const double v[] = {b[i].share, b[i].wait_per_case, b[i].wait_mean,
                                b[i].utilization};
            static const char *const key[] = {"share", "wait_per_case", "wait_mean",
                                              "utilization"};
            for (size_t f = 0; f < 4; f++) {
                gm_sb_appendf(sb, ", \"%s\": ", key[f]);
                json_finite(sb, v[f]);
            }
            gm_sb_append(sb, "}");
        }
        gm_sb_append(sb, "], \"wip_profile\": [");
        for (size_t i = 0; i < nwip; i++) {
            if (i)
                gm_sb_append(sb, ", ");
            json_finite(sb, wip[i]);
        }
        gm_sb_append(sb, "]");
        return;
    }
    gm_sb_append(sb, "\nBottlenecks (share of all waiting for resources, per case):\n");
    if (nb == 0)
        gm_sb_append(sb, "  none: no task waited for a resource\n");
    for (size_t i = 0; i < nb; i++) {
        gm_sb_appendf(sb, "  %2zu. %-24s %5.1f%%  waits %.4g per run for %s (utilization ",
                      i + 1, b[i].task, 100 * b[i].share, b[i].wait_mean, b[i].resource);
        /* "-" as in the KPI table: no working time of the pool fell in the
           window utilization is measured over */
        if (isfinite(b[i].utilization))
            gm_sb_appendf(sb, "%.3f)\n", b[i].utilization);
        else
            gm_sb_append(sb, "-)\n");
    }
    if (nwip) {
        gm_sb_appendf(sb, "\nWork in progress (replication 0, %zu equal slices of the measured "
                          "window):\n ",
                      nwip);
        for (size_t i = 0; i < nwip; i++)
            gm_sb_appendf(sb, " %.3g", wip[i]);
        gm_sb_append(sb, "\n");
    }
}

/* Where the simulation parameters come from. */
typedef struct psource {
    const char *params;             /* --params P.json */
    const char *scylla, *scylla_g;  /* --scylla SIM.xml GLOBAL.xml */
    bool bimp;                      /* --bimp: QBP inside the model */
    int64_t cases;                  /* --cases N (0: as the parameters say) */
    bool print;                     /* --print-params: print gemel's JSON and stop */
} psource;

static json_t *load_params(const char *path, const gm_bpmn *m, const psource *src, gm_err *err)
{
    json_t *j = NULL;
    if (src->params) {
        j = gm_json_load_file(src->params, NULL, err);
    } else if (src->scylla) {
        if (gm_scylla_load(m, src->scylla, src->scylla_g, &j, err))
            j = NULL;
    } else if (gm_bimp_load(m, path, &j, err)) {
        j = NULL;
    }
    if (j && src->cases > 0 && json_object_set_new(j, "cases", json_integer(src->cases))) {
        json_decref(j);
        gm_err_set(err, GM_ENOMEM, "--cases", "out of memory");
        return NULL;
    }
    return j;
}

static int simulate(const char *path, const gm_bpmn *m, const psource *src, const char *log,
                    const gm_cli_simopts *o)
{
    gm_err err;
    gm_err_clear(&err);
    json_t *j = load_params(path, m, src, &err);
    if (!j)
        return gm_cli_fail(&err);
    if (src->print) {
        int ok = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0;
        putchar('\n');
        json_decref(j);
        return ok ? GM_EXIT_OK : GM_EXIT_FAIL;
    }
    gm_proc *p = NULL;
    int rc = gm_proc_load(m, path, j, &p, &err);
    json_decref(j);
    if (rc) {
        /* A model error is located "MODEL.bpmn:LINE"; the rest are JSON paths
           in the parameters (the root's is empty): say which file. */
        size_t n = strlen(path);
        if (strncmp(err.where, path, n) != 0 || err.where[n] != ':')
            gm_err_prefix(&err, "%s", src->params ? src->params
                                      : src->scylla ? src->scylla
                                                    : path);
        return gm_cli_fail(&err);
    }
    gm_evlog *lg = NULL;
    if (log) {
        gm_evlog_format fmt;
        gm_evlog_clock clk;
        gm_proc_clock(p, &clk);
        if (gm_evlog_format_of(log, &fmt, &err) ||
            gm_evlog_open(log, fmt, &clk, gm_proc_process_name(p), &lg, &err)) {
            gm_proc_free(p);
            return gm_cli_fail(&err);
        }
        gm_proc_set_log(p, lg);
    }
    double wip[20];
    gm_proc_set_wip(p, wip, sizeof wip / sizeof wip[0]);
    gm_experiment e = {.reps = o->reps, .threads = (unsigned)o->threads, .seed = o->seed,
                       .nkpi = gm_proc_nkpi(p), .nbatches = GM_PROC_BATCHES,
                       .rep = gm_proc_replicate, .is_fraction = kpi_fraction,
                       .ctx = p};
    gm_exp_summary s;
    int run_rc = gm_cli_run_experiment(&e, &s, &err);
    if (lg) {
        gm_err lerr;
        gm_err_clear(&lerr);
        if (run_rc) {
            gm_evlog_abort(lg);
        } else if (gm_evlog_close(lg, &lerr)) {
            err = lerr;
            run_rc = lerr.code;
            gm_exp_summary_free(&s);
        }
    }
    if (run_rc) {
        gm_proc_free(p);
        gm_cli_fail(&err);
        return GM_EXIT_FAIL;
    }
    const char *warning = unsteady(path, p, &s);
    gm_sb extra = GM_SB_INIT;
    extras(&extra, p, &s, wip, sizeof wip / sizeof wip[0], o->json);
    gm_cli_print_summary(path, kpi_name, p, gm_proc_nkpi(p), &s, o->seed, o->json,
                         gm_sb_str(&extra), warning);
    gm_sb_free(&extra);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    return GM_EXIT_OK;
}

enum { OPT_CHECK = 1000, OPT_PARAMS, OPT_LOG, OPT_SCYLLA, OPT_BIMP, OPT_CASES, OPT_PRINT };

typedef struct popts {
    bool check;
    psource src;
    const char *log;
} popts;

static int process_opt(void *ctx, int c, const char *arg, int argc, char **argv, gm_err *err)
{
    popts *p = ctx;
    switch (c) {
    case OPT_CHECK: p->check = true; return GM_OK;
    case OPT_BIMP: p->src.bimp = true; return GM_OK;
    case OPT_PRINT: p->src.print = true; return GM_OK;
    case OPT_PARAMS: p->src.params = arg; return gm_cli_file_arg("--params", arg, err);
    case OPT_LOG: p->log = arg; return gm_cli_file_arg("--log", arg, err);
    case OPT_SCYLLA:
        /* two values: the simulation and the global configuration */
        if (optind >= argc || argv[optind][0] == '-')
            return gm_cli_usage("process", "--scylla needs SIM.xml GLOBAL.xml");
        p->src.scylla = arg;
        p->src.scylla_g = argv[optind++];
        if (gm_cli_file_arg("--scylla", p->src.scylla, err) ||
            gm_cli_file_arg("--scylla", p->src.scylla_g, err))
            return err->code;
        return GM_OK;
    case OPT_CASES: {
        uint64_t v;
        int rc = gm_parse_u64(arg, 1, (uint64_t)GM_PROC_MAX_CASES, &v, "--cases", err);
        p->src.cases = (int64_t)v;
        return rc;
    }
    default: return GM_EINVAL; /* not one of ours: getopt_long never returns it */
    }
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"check", no_argument, NULL, OPT_CHECK},
        {"params", required_argument, NULL, OPT_PARAMS},
        {"scylla", required_argument, NULL, OPT_SCYLLA},
        {"bimp", no_argument, NULL, OPT_BIMP},
        {"cases", required_argument, NULL, OPT_CASES},
        {"print-params", no_argument, NULL, OPT_PRINT},
        {"log", required_argument, NULL, OPT_LOG},
        {NULL, 0, NULL, 0},
    };
    popts p = {0};
    gm_cli_simopts o = {.reps = 10, .threads = 0, .seed = 1, .json = false};
    const char *path;
    int rc = gm_cli_parse_simopts(&gm_cmd_process, argc, argv, longopts, process_opt, &p, 1, &o,
                                  "MODEL.bpmn", &path);
    if (rc >= 0)
        return rc;
    const psource *src = &p.src;
    int nsrc = (src->params != NULL) + (src->scylla != NULL) + src->bimp;
    if (!p.check && nsrc == 0)
        return gm_cli_usage("process", "nothing to do: use --check to import the model, or "
                                       "--params P.json, --scylla SIM.xml GLOBAL.xml or --bimp "
                                       "to simulate it");
    if (nsrc > 1)
        return gm_cli_usage("process", "--params, --scylla and --bimp exclude each other");
    if (p.check && nsrc)
        return gm_cli_usage("process", "--check and the simulation options exclude each other");
    if ((p.log || src->cases || src->print) && !nsrc)
        return gm_cli_usage("process", "--log, --cases and --print-params need a simulation "
                                       "(--params, --scylla or --bimp)");
    gm_err err;
    gm_err_clear(&err);
    gm_bpmn *m = NULL;
    if (gm_bpmn_load_file(path, &m, &err))
        return gm_cli_fail(&err);
    rc = GM_EXIT_OK;
    if (nsrc)
        rc = simulate(path, m, src, p.log, &o);
    else if (o.json)
        print_json(m);
    else
        print_text(path, m);
    gm_bpmn_free(m);
    return rc;
}

const gm_cli_cmd gm_cmd_process = {"process",
                                   "import (--check) or simulate (--params) a BPMN 2.0 process",
                                   help, run};
