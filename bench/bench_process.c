/*
 * bench_process: BPMN process simulation speed on bench/process10.bpmn, ten
 * tasks, an exclusive split/merge, a three-way parallel split/join and three
 * resource pools, with bench/process10.params.json (1,000,000 cases, no
 * warm-up). One replication on one thread through the library
 * (gm_proc_replicate), 5 runs; prints each run's cases/s and events/s, the
 * median, and KPIs to compare with the SimPy twin (bench/simpy_process10.py,
 * run by bench/process_vs_simpy.sh). Goal (issue): >= 500,000 cases/s.
 *
 * Usage: bench_process [MODEL.bpmn PARAMS.json [CASES]]  (default: the two
 * files beside this source file; CASES replaces the file's "cases", so that
 * the peer can count the same cases)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/json.h"
#include "base/time.h"
#include "process/bpmn.h"
#include "process/process.h"

#define RUNS 5
#define GOAL_CPS 500000.0

/* KPIs printed for the comparison with SimPy (the script greps "kpi "). */
static const char *const shown[] = {
    "case.cycle_time_mean", "case.throughput",    "t2.count",
    "t5.wait_mean",         "clerk.utilization", "expert.utilization",
    "manager.utilization",
};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* dir of this source file + "/" + leaf: bench/CMakeLists.txt passes no
   GEMEL_SOURCE_DIR, and CMake compiles with the absolute source path. */
static void beside_source(char *buf, size_t n, const char *leaf)
{
#ifdef GEMEL_SOURCE_DIR
    snprintf(buf, n, "%s/bench/%s", GEMEL_SOURCE_DIR, leaf);
#else
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(buf, n, "%.*s/%s", dirlen, slash ? __FILE__ : ".", leaf);
#endif
}

int main(int argc, char **argv)
{
    char model_path[4096], params_path[4096];
    long long ncases = 0;
    if (argc == 4) {
        char *end;
        ncases = strtoll(argv[3], &end, 10);
        if (*end || ncases < 1) {
            fprintf(stderr, "bench_process: CASES: expected a positive integer, got '%s'\n",
                    argv[3]);
            return 2;
        }
    }
    if (argc == 3 || argc == 4) {
        snprintf(model_path, sizeof model_path, "%s", argv[1]);
        snprintf(params_path, sizeof params_path, "%s", argv[2]);
    } else if (argc == 1) {
        beside_source(model_path, sizeof model_path, "process10.bpmn");
        beside_source(params_path, sizeof params_path, "process10.params.json");
    } else {
        fprintf(stderr, "usage: bench_process [MODEL.bpmn PARAMS.json [CASES]]\n");
        return 2;
    }

    int status = 1;
    gm_err err;
    gm_err_clear(&err);
    char msg[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 8];
    gm_bpmn *m = NULL;
    json_t *params = NULL;
    gm_proc *p = NULL;
    double *kpi = NULL, *first = NULL;

    if (gm_bpmn_load_file(model_path, &m, &err) ||
        !(params = gm_json_load_file(params_path, NULL, &err)) ||
        (ncases && json_object_set_new(params, "cases", json_integer(ncases)) &&
         gm_err_set(&err, GM_ENOMEM, "cases", "out of memory")) ||
        gm_proc_load(m, model_path, params, &p, &err)) {
        fprintf(stderr, "bench_process: %s\n", gm_err_format(&err, msg, sizeof msg));
        goto done;
    }
    json_int_t cases = json_integer_value(json_object_get(params, "cases"));
    size_t nkpi = gm_proc_nkpi(p);
    kpi = calloc(nkpi, sizeof *kpi);
    first = calloc(nkpi, sizeof *first);
    if (!kpi || !first) {
        fprintf(stderr, "bench_process: out of memory\n");
        goto done;
    }

    printf("process10: 10 tasks, exclusive + parallel gateway, 3 pools; %lld cases, "
           "1 replication, 1 thread\n",
           (long long)cases);
    double cps[RUNS], eps[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t events = 0;
        int64_t t0 = gm_time_mono_ns();
        if (gm_proc_replicate(p, 1, 0, kpi, NULL, &events, &err)) {
            fprintf(stderr, "bench_process: %s\n", gm_err_format(&err, msg, sizeof msg));
            goto done;
        }
        int64_t t1 = gm_time_mono_ns();
        double secs = (double)(t1 - t0) / 1e9;
        cps[r] = (double)cases / secs;
        eps[r] = (double)events / secs;
        printf("run %d: %9.0f cases/s  %6.2f M events/s  (%.3f s, %.2f events/case)\n", r + 1,
               cps[r], eps[r] / 1e6, secs, (double)events / (double)cases);
        /* Same seed, same replication: every run must compute the same numbers. */
        if (r == 0) {
            memcpy(first, kpi, nkpi * sizeof *kpi);
        } else if (memcmp(first, kpi, nkpi * sizeof *kpi) != 0) {
            fprintf(stderr, "bench_process: run %d gave other KPIs than run 1\n", r + 1);
            goto done;
        }
    }
    qsort(cps, RUNS, sizeof cps[0], cmp);
    qsort(eps, RUNS, sizeof eps[0], cmp);
    printf("median: %.0f cases/s  %.2f M events/s  (goal %.0f cases/s: %s)\n", cps[RUNS / 2],
           eps[RUNS / 2] / 1e6, GOAL_CPS, cps[RUNS / 2] >= GOAL_CPS ? "met" : "NOT met");
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        long k = gm_proc_kpi_index(p, shown[i]);
        if (k >= 0)
            printf("kpi %-22s %.5f\n", shown[i], kpi[k]);
    }
    status = 0;
done:
    free(kpi);
    free(first);
    gm_proc_free(p);
    json_decref(params);
    gm_bpmn_free(m);
    return status;
}
