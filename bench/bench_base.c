/*
 * bench_base: throughput of the base building blocks the engine leans on.
 * Each figure is the median of 5 runs (this machine is shared and noisy).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "base/map.h"
#include "base/mpsc.h"
#include "base/time.h"
#include "num/rng.h"

#define RUNS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static volatile uint64_t sink;

/* Returns operations per second for one run. */
typedef double (*bench_fn)(void);

static double b_rng(void)
{
    gm_rng r;
    gm_rng_seed(&r, 1, 0);
    const int n = 50000000;
    uint64_t acc = 0;
    int64_t t0 = gm_time_mono_ns();
    for (int i = 0; i < n; i++)
        acc += gm_rng_next(&r);
    int64_t t1 = gm_time_mono_ns();
    sink = acc;
    return n / ((double)(t1 - t0) / 1e9);
}

#define MAP_N 1000000
static double b_map_int(void)
{
    gm_map *m = gm_map_create(GM_MAP_INT);
    int64_t t0 = gm_time_mono_ns();
    for (uint64_t i = 0; i < MAP_N; i++)
        gm_map_iput(m, i * 2654435761u, (void *)(uintptr_t)(i + 1));
    uint64_t acc = 0;
    for (uint64_t i = 0; i < MAP_N; i++) {
        void *v;
        if (gm_map_iget(m, i * 2654435761u, &v))
            acc += (uintptr_t)v;
    }
    for (uint64_t i = 0; i < MAP_N; i++)
        gm_map_idel(m, i * 2654435761u, NULL);
    int64_t t1 = gm_time_mono_ns();
    sink = acc;
    gm_map_destroy(m);
    return 3.0 * MAP_N / ((double)(t1 - t0) / 1e9);
}

static char (*keys)[24];
static double b_map_str(void)
{
    gm_map *m = gm_map_create(GM_MAP_STR);
    int64_t t0 = gm_time_mono_ns();
    for (int i = 0; i < MAP_N; i++)
        gm_map_sput(m, keys[i], strlen(keys[i]), (void *)(uintptr_t)(i + 1));
    uint64_t acc = 0;
    for (int i = 0; i < MAP_N; i++) {
        void *v;
        if (gm_map_sget(m, keys[i], strlen(keys[i]), &v))
            acc += (uintptr_t)v;
    }
    for (int i = 0; i < MAP_N; i++)
        gm_map_sdel(m, keys[i], strlen(keys[i]), NULL);
    int64_t t1 = gm_time_mono_ns();
    sink = acc;
    gm_map_destroy(m);
    return 3.0 * MAP_N / ((double)(t1 - t0) / 1e9);
}

static double b_arena(void)
{
    gm_arena *a = gm_arena_create(0, 0);
    const int n = 20000000;
    int64_t t0 = gm_time_mono_ns();
    for (int i = 0; i < n; i++) {
        char *p = gm_arena_alloc(a, 24, 8);
        p[0] = (char)i;
        if ((i & 0xffff) == 0)
            gm_arena_reset(a);
    }
    int64_t t1 = gm_time_mono_ns();
    gm_arena_destroy(a);
    return n / ((double)(t1 - t0) / 1e9);
}

#define MPSC_PER_PRODUCER 2000000
static gm_mpsc *q;
static void *producer(void *arg)
{
    (void)arg;
    for (uintptr_t i = 1; i <= MPSC_PER_PRODUCER; i++)
        while (gm_mpsc_push(q, (void *)i) != 0)
            ;
    return NULL;
}

static double b_mpsc(void)
{
    q = gm_mpsc_create(4096, NULL);
    pthread_t th[2];
    int64_t t0 = gm_time_mono_ns();
    for (int t = 0; t < 2; t++)
        pthread_create(&th[t], NULL, producer, NULL);
    uint64_t got = 0, acc = 0;
    while (got < 2ull * MPSC_PER_PRODUCER) {
        void *item;
        if (gm_mpsc_pop_wait(q, &item, 1000000) == 0) {
            acc += (uintptr_t)item;
            got++;
        }
    }
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    int64_t t1 = gm_time_mono_ns();
    sink = acc;
    gm_mpsc_destroy(q);
    return 2.0 * MPSC_PER_PRODUCER / ((double)(t1 - t0) / 1e9);
}

/* Writing reals as JSON text: what a telemetry reading looks like (one
   decimal), a computed value (a uniform double, 16-17 digits), any bit
   pattern; and printf's "%.17g", which reads back but is not the shortest,
   for scale. */
#define REAL_N 2000000
static double reals[REAL_N];

static void fill_reals(int kind)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < REAL_N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        switch (kind) {
        case 0: reals[i] = (double)((int64_t)(x % 20001) - 10000) / 10.0; break;
        case 1: reals[i] = (double)(x >> 11) * 0x1.0p-53; break;
        default: {
            uint64_t bits = x & 0x7fefffffffffffffULL; /* finite */
            memcpy(&reals[i], &bits, sizeof bits);
        }
        }
    }
}

static double write_reals(void)
{
    gm_sb sb = GM_SB_INIT;
    int64_t t0 = gm_time_mono_ns();
    for (int i = 0; i < REAL_N; i++) {
        if ((i & 1023) == 0)
            gm_sb_reset(&sb);
        gm_json_write_real(&sb, reals[i]);
    }
    int64_t t1 = gm_time_mono_ns();
    sink = sb.len;
    gm_sb_free(&sb);
    return REAL_N / ((double)(t1 - t0) / 1e9);
}

static double printf_reals(void)
{
    char buf[32];
    size_t acc = 0;
    int64_t t0 = gm_time_mono_ns();
    for (int i = 0; i < REAL_N; i++)
        acc += (size_t)snprintf(buf, sizeof buf, "%.17g", reals[i]);
    int64_t t1 = gm_time_mono_ns();
    sink = acc;
    return REAL_N / ((double)(t1 - t0) / 1e9);
}

static void run(const char *name, const char *unit, bench_fn fn)
{
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
        v[i] = fn();
    printf("%-44s %10.1f M %s/s (median of %d)\n", name, median(v, RUNS) / 1e6, unit, RUNS);
}

int main(void)
{
    keys = malloc(sizeof *keys * MAP_N);
    for (int i = 0; i < MAP_N; i++)
        snprintf(keys[i], sizeof keys[i], "dtmi:twin:%d", i);
    run("rng: PCG64-DXSM 64-bit outputs", "numbers", b_rng);
    run("map: int keys, 1M insert+lookup+delete", "ops", b_map_int);
    run("map: string keys, 1M insert+lookup+delete", "ops", b_map_str);
    run("arena: 24-byte allocations", "allocs", b_arena);
    run("mpsc: 2 producers -> 1 consumer, cap 4096", "items", b_mpsc);
    static const char *real_kinds[] = {"one decimal (-1000.0..1000.0)", "uniform [0,1)",
                                       "any finite bit pattern"};
    for (int k = 0; k < 3; k++) {
        char name[96];
        fill_reals(k);
        snprintf(name, sizeof name, "json real, %s", real_kinds[k]);
        run(name, "reals", write_reals);
        snprintf(name, sizeof name, "  printf %%.17g, same reals");
        run(name, "reals", printf_reals);
    }
    free(keys);
    return 0;
}
