/*
 * bench_qnet: queueing-network simulation speed on the three models that
 * bench/qnet_vs_simpy.sh compares with SimPy: examples/mm3.json (M/M/3,
 * 1,000,000 customers), bench/tandem10.json (ten M/M/1 stations in series)
 * and bench/jackson4.json (four multi-server stations with feedback). One
 * replication on one thread through the library (gm_qnet_replicate, with
 * the batch means `gemel sim` computes for one replication), several runs of
 * each model with the same seed (every run must give the same KPIs).
 *
 * Prints, per run, customers per second of CPU time (this thread's, so
 * that other work on a shared machine does not count) and of wall-clock
 * time; then the medians as "median NAME CPU_CPS WALL_CPS" and every KPI as
 * "kpi NAME KEY VALUE", the lines bench/qnet_vs_simpy.sh reads.
 *
 * Usage: bench_qnet [--runs R] [MODEL.json ...]  (default: the three models,
 * 5 runs). A model's name is its file name without ".json".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/json.h"
#include "base/time.h"
#include "qnet/qnet.h"

#define DEFAULT_RUNS 5
#define MAX_RUNS 101

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* path of leaf relative to the source tree: bench/CMakeLists.txt passes no
   GEMEL_SOURCE_DIR, and CMake compiles with the absolute source path, so
   the tree is __FILE__'s directory's parent. */
static void in_tree(char *buf, size_t n, const char *leaf)
{
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(buf, n, "%.*s/../%s", dirlen, slash ? __FILE__ : ".", leaf);
}

/* Run the model at path `runs` times; 0 or 1 (error printed). */
static int bench_model(const char *path, int runs)
{
    int status = 1;
    gm_err err;
    gm_err_clear(&err);
    char msg[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 8];
    char name[256];
    const char *base = strrchr(path, '/');
    snprintf(name, sizeof name, "%s", base ? base + 1 : path);
    char *dot = strstr(name, ".json");
    if (dot)
        *dot = 0;
    gm_qnet *m = NULL;
    double *kpi = NULL, *first = NULL, *batch = NULL;
    if (gm_qnet_load_file(path, &m, &err)) {
        fprintf(stderr, "bench_qnet: %s\n", gm_err_format(&err, msg, sizeof msg));
        goto done;
    }
    size_t nk = gm_qnet_nkpi(m);
    kpi = calloc(nk, sizeof *kpi);
    first = calloc(nk, sizeof *first);
    batch = calloc(nk * GM_QNET_BATCHES, sizeof *batch);
    if (!kpi || !first || !batch) {
        fprintf(stderr, "bench_qnet: out of memory\n");
        goto done;
    }
    double cpu_cps[MAX_RUNS], wall_cps[MAX_RUNS];
    uint64_t customers = 0;
    for (int r = 0; r < runs; r++) {
        gm_qnet_result res = {.kpi = kpi, .batch = batch};
        int64_t w0 = gm_time_mono_ns(), c0 = cpu_ns();
        if (gm_qnet_replicate(m, 1, 0, &res, &err)) {
            fprintf(stderr, "bench_qnet: %s: %s\n", path, gm_err_format(&err, msg, sizeof msg));
            goto done;
        }
        int64_t c1 = cpu_ns(), w1 = gm_time_mono_ns();
        double cpu = (double)(c1 - c0) / 1e9, wall = (double)(w1 - w0) / 1e9;
        customers = res.customers;
        cpu_cps[r] = (double)customers / cpu;
        wall_cps[r] = (double)customers / wall;
        if (r == 0)
            printf("%s: %s, %llu customers, 1 replication, 1 thread, %.2f events/customer\n",
                   name, path, (unsigned long long)customers,
                   (double)res.events / (double)customers);
        printf("  run %d: %6.3f M customers/s of CPU time (%.3f s), %6.3f M/s of wall time\n",
               r + 1, cpu_cps[r] / 1e6, cpu, wall_cps[r] / 1e6);
        /* Same seed, same replication: every run must compute the same numbers. */
        if (r == 0) {
            memcpy(first, kpi, nk * sizeof *kpi);
        } else if (memcmp(first, kpi, nk * sizeof *kpi) != 0) {
            fprintf(stderr, "bench_qnet: %s: run %d gave other KPIs than run 1\n", name, r + 1);
            goto done;
        }
    }
    qsort(cpu_cps, (size_t)runs, sizeof cpu_cps[0], cmp);
    qsort(wall_cps, (size_t)runs, sizeof wall_cps[0], cmp);
    printf("median %s %.0f %.0f\n", name, cpu_cps[runs / 2], wall_cps[runs / 2]);
    for (size_t i = 0; i < nk; i++)
        printf("kpi %s %s %.6g\n", name, gm_qnet_kpi_name(m, i), kpi[i]);
    status = 0;
done:
    free(kpi);
    free(first);
    free(batch);
    gm_qnet_free(m);
    return status;
}

int main(int argc, char **argv)
{
    int runs = DEFAULT_RUNS, first = 1;
    if (argc >= 3 && strcmp(argv[1], "--runs") == 0) {
        char *end;
        long r = strtol(argv[2], &end, 10);
        if (*end || r < 1 || r > MAX_RUNS) {
            fprintf(stderr, "bench_qnet: --runs: expected an integer in 1..%d, got '%s'\n",
                    MAX_RUNS, argv[2]);
            return 2;
        }
        runs = (int)r;
        first = 3;
    }
    if (first < argc) {
        for (int i = first; i < argc; i++)
            if (bench_model(argv[i], runs))
                return 1;
        return 0;
    }
    static const char *const models[] = {"examples/mm3.json", "bench/tandem10.json",
                                         "bench/jackson4.json"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[4096];
        in_tree(path, sizeof path, models[i]);
        if (bench_model(path, runs))
            return 1;
    }
    return 0;
}
