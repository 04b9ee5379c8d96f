/*
 * bench_store: durable records per second through the store's group commit
 * (SQLite, WAL, synchronous=FULL: every transaction is fsynced), against
 * plain SQLite doing the same work.
 *
 *   1. saturation: 1,000,000 records of about 100 bytes submitted as fast
 *      as the backlog admits, until the last is durable; median of RUNS;
 *   2. the peer: plain SQLite through its C API, in this program, writing
 *      the same records (seq, kind, key, data) into the same table with the
 *      same fsync policy (WAL, synchronous=FULL, checkpoint every 4096
 *      pages, as the store sets them) and the same transaction grouping:
 *      the store's mean records per transaction in run 1, as a fixed batch
 *      (one thread: insert a batch, commit, repeat); median of RUNS;
 *   3. the same saturation with a snapshot every 100,000 records, the log
 *      trimmed behind it by the committer, as a running engine would do;
 *   4. paced at the engine's goal, 200,000 records/s for 2 s: does the store
 *      keep up, and how long does a record wait for its acknowledgement;
 *   5. one record per transaction, 10,000 records, through the store.
 *
 * The last line is "ratio store_vs_sqlite X": the store's records/s over
 * plain SQLite's in 1 and 2 (above 1: the store is faster).
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

#include <sqlite3.h>

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

static void sqlite_die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_store: plain SQLite: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void sqlite_exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        sqlite_die(db, sql);
}

/* Plain SQLite: N_SAT records in transactions of batch records each, one
   thread, the store's table and pragmas. Returns records/s, from the first
   insert to the last commit. */
static double run_plain(int run, uint64_t batch)
{
    char path[600];
    snprintf(path, sizeof path, "%s/plain%d.db", root, run);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        sqlite_die(db, "open");
    sqlite_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                    "PRAGMA wal_autocheckpoint=4096; PRAGMA cache_size=-16384;"
                    "CREATE TABLE log (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
                    " key BLOB NOT NULL, data BLOB NOT NULL)");
    sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO log (seq, kind, key, data) VALUES (?1, ?2, ?3, ?4)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
        sqlite_die(db, "prepare");
    int64_t t0 = gm_time_mono_ns();
    for (uint64_t q = 1; q <= N_SAT; q++) {
        if ((q - 1) % batch == 0 && (sqlite3_step(begin) != SQLITE_DONE || sqlite3_reset(begin)))
            sqlite_die(db, "begin");
        char buf[160], key[16];
        size_t klen;
        size_t len = event(q, buf, sizeof buf, key, sizeof key, &klen);
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)q);
        sqlite3_bind_int(ins, 2, 1);
        sqlite3_bind_blob(ins, 3, key, (int)klen, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 4, buf, (int)len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_reset(ins) != SQLITE_OK)
            sqlite_die(db, "insert");
        if ((q % batch == 0 || q == N_SAT) &&
            (sqlite3_step(commit) != SQLITE_DONE || sqlite3_reset(commit)))
            sqlite_die(db, "commit");
    }
    int64_t t1 = gm_time_mono_ns();
    sqlite3_finalize(ins);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    if (sqlite3_close(db) != SQLITE_OK)
        sqlite_die(db, "close");
    return N_SAT / ((double)(t1 - t0) / 1e9);
}

static double group_vs_plain;

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
    printf("store directory: %s (SQLite %s, WAL, synchronous=FULL)\n", root, sqlite3_libversion());

    double group = 0;
    uint64_t batch = 1;
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
            if (i == 0 && !snapshots)
                batch = (last.c.records + last.c.batches / 2) / (last.c.batches ? last.c.batches : 1);
        }
        qsort(rates, RUNS, sizeof rates[0], cmp_double);
        printf("group commit, %d records of %.0f bytes%s: %.0f durable records/s (median of %d)\n",
               N_SAT, last.bytes_per_rec, snapshots ? ", snapshot every 100000" : "",
               rates[RUNS / 2], RUNS);
        if (snapshots)
            continue;
        group = rates[RUNS / 2];
        double plain[RUNS];
        if (batch < 1)
            batch = 1;
        for (int i = 0; i < RUNS; i++) {
            plain[i] = run_plain(i, batch);
            printf("  plain SQLite run %d: %.0f records/s, %" PRIu64 " transactions\n", i + 1,
                   plain[i], ((uint64_t)N_SAT + batch - 1) / batch);
        }
        qsort(plain, RUNS, sizeof plain[0], cmp_double);
        printf("plain SQLite (sqlite3 API, one thread, same table, pragmas and records, "
               "%" PRIu64 " records per transaction): %.0f durable records/s (median of %d)\n",
               batch, plain[RUNS / 2], RUNS);
        group_vs_plain = group / plain[RUNS / 2];
    }
    run_paced();
    double peer = run_peer();
    if (nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        perror(root);
    printf("group commit vs one transaction per record: %.1fx\n", group / peer);
    printf("ratio store_vs_sqlite %.2f\n", group_vs_plain);
    return 0;
}
