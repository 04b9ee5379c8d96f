/*
 * gemel demo: the most complete end-to-end run gemel can show today.
 *
 * Until the simulation layer lands, it exercises the base: an embedded default
 * configuration (or --config FILE) validated with JSON paths in errors,
 * independent random streams, replications spread over the thread pool with a
 * result that does not depend on the thread count, and the progress bar.
 * The work is a Monte Carlo estimate of pi: each replication throws points
 * at the unit square on its own stream and counts those inside the circle.
 */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/pool.h"
#include "base/strconv.h"
#include "base/time.h"
#include "base/version.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "num/rng.h"

static const char default_config[] = "{\n"
                                     "  \"replications\": 64,\n"
                                     "  \"samples\": 2000000,\n"
                                     "  \"seed\": 42\n"
                                     "}\n";

typedef struct demo_cfg {
    int64_t replications;
    int64_t samples;
    int64_t seed;
} demo_cfg;

typedef struct demo_run {
    const demo_cfg *cfg;
    double *estimates; /* one per replication, written by index */
    atomic_size_t done;
} demo_run;

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel demo [--config FILE] [--threads T] [--json]\n"
            "\n"
            "Run gemel's built-in end-to-end demonstration on its embedded default\n"
            "configuration. Today it shows the foundation: replications of a Monte Carlo\n"
            "experiment (an estimate of pi), each on its own random stream, spread over a\n"
            "thread pool, with a 95%% confidence interval; and that the result is\n"
            "bit-for-bit the same with one thread. Later releases extend it to the live\n"
            "factory twin.\n"
            "\n"
            "Options:\n"
            "  --config FILE  a JSON configuration instead of the default:\n"
            "%s"
            "  --threads T    worker threads (default: number of CPUs)\n"
            "  --json         one JSON object on stdout\n"
            "  -h, --help     this help\n",
            "                   {\"replications\": 64, \"samples\": 2000000, \"seed\": 42}\n");
}

static int load_config(const char *path, demo_cfg *cfg, gm_err *err)
{
    json_t *doc = path ? gm_json_load_file(path, NULL, err)
                       : gm_json_load_str(default_config, strlen(default_config), NULL,
                                          "<default config>", err);
    if (!doc)
        return err->code;
    const gm_json_field fields[] = {
        GM_JF_RANGE("replications", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX,
                    &cfg->replications, 2, 1e6),
        GM_JF_RANGE("samples", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &cfg->samples,
                    1, 1e10),
        GM_JF_RANGE("seed", GM_JK_INT, GM_JF_MIN, &cfg->seed, 0, 9007199254740992.0),
    };
    cfg->seed = 42;
    int rc = gm_json_unpack(doc, "", fields, sizeof fields / sizeof fields[0], 0, err);
    if (rc && path)
        gm_err_prefix(err, "%s", path);
    json_decref(doc);
    return rc;
}

static void replicate(void *ctx, size_t i, unsigned worker)
{
    (void)worker;
    demo_run *run = ctx;
    gm_rng r;
    gm_rng_seed(&r, (uint64_t)run->cfg->seed, i);
    int64_t inside = 0;
    for (int64_t k = 0; k < run->cfg->samples; k++) {
        double x = gm_rng_uniform(&r), y = gm_rng_uniform(&r);
        inside += x * x + y * y < 1.0;
    }
    run->estimates[i] = 4.0 * (double)inside / (double)run->cfg->samples;
    atomic_fetch_add_explicit(&run->done, 1, memory_order_relaxed);
}

typedef struct pf_args {
    gm_pool *pool;
    demo_run *run;
    int rc;
} pf_args;

static void *pf_thread(void *arg)
{
    pf_args *a = arg;
    a->rc = gm_pool_parallel_for(a->pool, (size_t)a->run->cfg->replications, replicate, a->run);
    return NULL;
}

/* Run all replications on a pool of nthreads, drawing progress meanwhile. */
static int run_all(const demo_cfg *cfg, unsigned nthreads, double *estimates, bool progress,
                   gm_err *err)
{
    gm_pool *pool = gm_pool_create(nthreads, err);
    if (!pool)
        return err->code;
    demo_run run = {cfg, estimates, 0};
    pf_args a = {pool, &run, 0};
    gm_progress pb;
    gm_progress_start(&pb, "replications", (uint64_t)cfg->replications);
    pthread_t th;
    int rc = GM_OK;
    if (!progress || pthread_create(&th, NULL, pf_thread, &a) != 0) {
        pf_thread(&a); /* no progress wanted, or no thread for it: just run */
    } else {
        while (atomic_load(&run.done) < (size_t)cfg->replications) {
            gm_progress_update(&pb, atomic_load(&run.done));
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
        pthread_join(th, NULL);
    }
    gm_progress_finish(&pb);
    rc = a.rc;
    gm_pool_destroy(pool);
    if (rc)
        return gm_err_set(err, rc, "thread pool", "parallel run failed: %s", gm_strerror(rc));
    return GM_OK;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    uint64_t threads = 0;
    bool json = false;
    gm_err err;
    gm_err_clear(&err);
    int c;
    while ((c = gm_cli_getopt(&gm_cmd_demo, argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 't':
            if (gm_parse_u64(optarg, 1, 1024, &threads, "--threads", &err))
                return gm_cli_fail(&err);
            break;
        case 'j': json = true; break;
        case 'h': return GM_EXIT_OK;
        default: return GM_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return gm_cli_usage("demo", "unexpected argument '%s'", argv[optind]);

    demo_cfg cfg;
    if (load_config(config, &cfg, &err))
        return gm_cli_fail(&err);

    size_t r = (size_t)cfg.replications;
    double *est = calloc(r, sizeof *est), *est1 = calloc(r, sizeof *est1);
    int rc = GM_EXIT_FAIL;
    if (!est || !est1) {
        gm_cli_error("demo", "out of memory for %zu replications", r);
        goto done;
    }
    char started[GM_TIME_RFC3339_MAX];
    gm_time_format_rfc3339(gm_time_wall_ns(), 0, 3, started, sizeof started);

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nthreads = threads ? (unsigned)threads : ncpu > 0 ? (unsigned)ncpu : 1;
    int64_t t0 = gm_time_mono_ns();
    if (run_all(&cfg, nthreads, est, true, &err)) {
        rc = gm_cli_fail(&err);
        goto done;
    }
    double wall = (double)(gm_time_mono_ns() - t0) / 1e9;
    /* The same experiment on one thread must give the same bits. */
    if (run_all(&cfg, 1, est1, false, &err)) {
        rc = gm_cli_fail(&err);
        goto done;
    }
    bool same = memcmp(est, est1, r * sizeof *est) == 0;

    /* Mean and sample standard deviation over replications (Welford). */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < r; i++) {
        double d = est[i] - mean;
        mean += d / (double)(i + 1);
        m2 += d * (est[i] - mean);
    }
    double sd = sqrt(m2 / (double)(r - 1));
    double half = 1.959963984540054 * sd / sqrt((double)r);
    bool covers = fabs(mean - M_PI) <= half;
    double samples = (double)cfg.replications * (double)cfg.samples;

    if (json) {
        printf("{\"version\": \"%s\", \"started\": \"%s\", \"replications\": %lld, "
               "\"samples\": %lld, \"seed\": %lld, \"estimate\": {\"mean\": %.10f, "
               "\"ci95\": [%.10f, %.10f]}, \"covers_pi\": %s, \"same_with_one_thread\": %s, "
               "\"wall_seconds\": %.6f, \"samples_per_second\": %.1f}\n",
               GM_VERSION, started, (long long)cfg.replications, (long long)cfg.samples,
               (long long)cfg.seed, mean, mean - half, mean + half, covers ? "true" : "false",
               same ? "true" : "false", wall, samples / wall);
    } else {
        printf("gemel %s demo: Monte Carlo estimate of pi on independent random streams\n",
               GM_VERSION);
        printf("  started        %s\n", started);
        printf("  work           %lld replications x %lld samples, seed %lld, %u threads\n",
               (long long)cfg.replications, (long long)cfg.samples, (long long)cfg.seed, nthreads);
        printf("  estimate       %.6f  95%% CI [%.6f, %.6f]\n", mean, mean - half, mean + half);
        printf("  true value     %.6f  %s the interval\n", M_PI, covers ? "inside" : "OUTSIDE");
        printf("  reproducible   %s\n",
               same ? "yes: identical bits with 1 thread" : "NO: results differ with 1 thread");
        printf("  throughput     %.1f M samples/s (%.2f s)\n", samples / wall / 1e6, wall);
    }
    rc = same ? GM_EXIT_OK : GM_EXIT_FAIL;
done:
    free(est);
    free(est1);
    return rc;
}

const gm_cli_cmd gm_cmd_demo = {"demo", "run the built-in end-to-end demonstration", help, run};
