/*
 * bench_store: durable records per second through the store's group commit
 * (SQLite, WAL, synchronous=FULL: every transaction is fsynced), against one
 * transaction per record.
 *
 *   1. saturation: 1,000,000 records of about 100 bytes submitted as fast
 *      as the backlog admits, until the last is durable; median of RUNS;
 *   2. the same with a snapshot every 100,000 records, the log trimmed
 *      behind it by the committer, as a running engine would do;
 *   3. paced at the engine's goal, 200,000 records/s for 2 s: does the store
 *      keep up, and how long does a record wait for its acknowledgement;
 *   4. the peer: 10,000 records, each appended in its own transaction.
 *
 * The store directory is made under $GEMEL_BENCH_DIR, else $TMPDIR, else
 * /tmp, and removed afterwards. The figures only mean something on a real
 * disk: on tmpfs an fsync costs nothing.
 */
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/time.h"
#include "store/store.h"

#define RUNS 3
#define N_SAT 1000000
#define PACE_RATE 200000
#define PACE_SECONDS 2
#define N_PACE (PACE_RATE * PACE_SECONDS)
#define N_PEER 10000
#define SNAP_EVERY 100000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char root[512];

static void make_root(void)
{
    const char *base = getenv("GEMEL_BENCH_DIR");
    if (!base)
        base = getenv("TMPDIR");
    if (!base)
        base = "/tmp";
    snprintf(root, sizeof root, "%s/gemel-bench-store-XXXXXX", base);
    if (!mkdtemp(root)) {
        perror(root);
        exit(1);
    }
}

static void die(const char *what, const gm_err *e)
{
    fprintf(stderr, "bench_store: %s: %s: %s\n", what, e->where, e->what);
    exit(1);
}

/* About 100 bytes: a JSON Patch event as the engine would log it. */
static size_t event(uint64_t seq, char *buf, size_t n, char *key, size_t kn, size_t *klen)
{
    unsigned twin = (unsigned)(seq % 1000);
    *klen = (size_t)snprintf(key, kn, "pump-%04u", twin);
    return (size_t)snprintf(buf, n,
                            "{\"op\":\"replace\",\"twin\":\"pump-%04u\",\"path\":\"/temperature\","
                            "\"value\":%u.%03u,\"seq\":%" PRIu64 "}",
                            twin, (unsigned)(seq % 90), (unsigned)(seq * 7 % 1000), seq);
}

typedef struct lat {
    int64_t *submitted; /* per seq: when submitted */
    int64_t *waited;    /* per seq: submit -> on_durable */
    uint64_t done;      /* committer thread only */
} lat;

static void on_durable_lat(void *ctx, uint64_t seq)
{
    lat *l = ctx;
    int64_t now = gm_time_mono_ns();
    for (uint64_t q = l->done + 1; q <= seq; q++)
        l->waited[q - 1] = now - l->submitted[q - 1];
    l->done = seq;
}

typedef struct result {
    double rate;
    gm_store_counts c;
    double bytes_per_rec;
} result;

static result run_saturated(int run, int snapshots)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/sat%d%s", root, run, snapshots ? "s" : "");
    gm_err e;
    gm_store *s = gm_store_open(dir, NULL, &e);
    if (!s)
        die("open", &e);
    int64_t t0 = gm_time_mono_ns();
    for (uint64_t q = 1; q <= N_SAT; q++) {
        char buf[160], key[16];
        size_t klen;
        size_t len = event(q, buf, sizeof buf, key, sizeof key, &klen);
        gm_store_rec r = {.seq = q, .kind = 1, .key = key, .key_len = klen, .data = buf, .len = len};
        int rc;
        while ((rc = gm_store_submit(s, &r, &e)) == GM_EAGAIN)
            sched_yield();
        if (rc != GM_OK)
            die("submit", &e);
        if (snapshots && q % SNAP_EVERY == 0) {
            char snap[64];
            int k = snprintf(snap, sizeof snap, "{\"state_at\":%" PRIu64 "}", q);
            if (gm_store_snapshot(s, q, snap, (size_t)k, &e) != GM_OK)
                die("snapshot", &e);
        }
    }
    if (gm_store_flush(s, GM_STORE_FLUSH_ALL, &e) != GM_OK)
        die("flush", &e);
    int64_t t1 = gm_time_mono_ns();
    result res;
    gm_store_counts_get(s, &res.c);
    if (gm_store_close(s, &e) != GM_OK)
        die("close", &e);
    res.rate = N_SAT / ((double)(t1 - t0) / 1e9);
    res.bytes_per_rec = (double)res.c.bytes / (double)res.c.records;
    return res;
}

static void run_paced(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/paced", root);
    lat l = {.submitted = calloc(N_PACE, sizeof(int64_t)), .waited = calloc(N_PACE, sizeof(int64_t))};
    if (!l.submitted || !l.waited) {
        fprintf(stderr, "bench_store: out of memory\n");
        exit(1);
    }
    gm_store_opts o = {.on_durable = on_durable_lat, .ctx = &l};
    gm_err e;
    gm_store *s = gm_store_open(dir, &o, &e);
    if (!s)
        die("open", &e);
    uint64_t refused = 0;
    int64_t t0 = gm_time_mono_ns();
    for (uint64_t q = 1; q <= N_PACE; q++) {
        /* Submit record q at t0 + q / rate: busy-wait, the way a loaded
           engine thread would be busy anyway. */
        int64_t due = t0 + (int64_t)((double)q * 1e9 / PACE_RATE);
        while (gm_time_mono_ns() < due)
            ;
        char buf[160], key[16];
        size_t klen;
        size_t len = event(q, buf, sizeof buf, key, sizeof key, &klen);
        gm_store_rec r = {.seq = q, .kind = 1, .key = key, .key_len = klen, .data = buf, .len = len};
        l.submitted[q - 1] = gm_time_mono_ns();
        int rc;
        while ((rc = gm_store_submit(s, &r, &e)) == GM_EAGAIN) {
            refused++;
            sched_yield();
        }
        if (rc != GM_OK)
            die("submit", &e);
    }
    int64_t t_sub = gm_time_mono_ns();
    if (gm_store_flush(s, GM_STORE_FLUSH_ALL, &e) != GM_OK)
        die("flush", &e);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    if (gm_store_close(s, &e) != GM_OK) /* joins the committer: l is ours again */
        die("close", &e);
    qsort(l.waited, N_PACE, sizeof(int64_t), cmp_i64);
    double secs = (double)(t_sub - t0) / 1e9;
    printf("paced at %d records/s for %d s: submitted at %.0f records/s, %" PRIu64
           " submits refused (backlog full)\n",
           PACE_RATE, PACE_SECONDS, N_PACE / secs, refused);
    printf("  acknowledgement latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
           "%" PRIu64 " transactions (%.0f records each), %" PRIu64 " fsyncs\n",
           (double)l.waited[N_PACE / 2] / 1e6, (double)l.waited[N_PACE / 100 * 99] / 1e6,
           (double)l.waited[N_PACE - 1] / 1e6, c.batches, (double)c.records / (double)c.batches,
           c.fsyncs);
    free(l.submitted);
    free(l.waited);
}

static double run_peer(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/peer", root);
    gm_err e;
    gm_store *s = gm_store_open(dir, NULL, &e);
    if (!s)
        die("open", &e);
    int64_t t0 = gm_time_mono_ns();
    for (uint64_t q = 1; q <= N_PEER; q++) {
        char buf[160], key[16];
        size_t klen;
        size_t len = event(q, buf, sizeof buf, key, sizeof key, &klen);
        gm_store_rec r = {.seq = q, .kind = 1, .key = key, .key_len = klen, .data = buf, .len = len};
        if (gm_store_append(s, &r, 1, &e) != GM_OK)
            die("append", &e);
    }
    int64_t t1 = gm_time_mono_ns();
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    if (gm_store_close(s, &e) != GM_OK)
        die("close", &e);
    double rate = N_PEER / ((double)(t1 - t0) / 1e9);
    printf("one transaction per record, %d records: %.0f records/s, %" PRIu64
           " transactions, %" PRIu64 " fsyncs (%.1f us per durable record)\n",
           N_PEER, rate, c.batches, c.fsyncs, 1e6 / rate);
    return rate;
}

int main(void)
{
    make_root();
    printf("store directory: %s (SQLite WAL, synchronous=FULL)\n", root);

    double group = 0;
    for (int snapshots = 0; snapshots <= 1; snapshots++) {
        double rates[RUNS];
        result last = {0};
        for (int i = 0; i < RUNS; i++) {
            last = run_saturated(i, snapshots);
            rates[i] = last.rate;
            printf("  run %d: %.0f records/s, %" PRIu64 " transactions (largest %" PRIu64
                   "), %" PRIu64 " fsyncs, log trimmed up to %" PRIu64 "\n",
                   i + 1, last.rate, last.c.batches, last.c.max_batch, last.c.fsyncs,
                   last.c.trimmed_seq);
        }
        qsort(rates, RUNS, sizeof rates[0], cmp_double);
        printf("group commit, %d records of %.0f bytes%s: %.0f durable records/s (median of %d)\n",
               N_SAT, last.bytes_per_rec, snapshots ? ", snapshot every 100000" : "",
               rates[RUNS / 2], RUNS);
        if (!snapshots)
            group = rates[RUNS / 2];
    }
    run_paced();
    double peer = run_peer();
    if (nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        perror(root);
    printf("group commit vs one transaction per record: %.1fx\n", group / peer);
    return 0;
}
