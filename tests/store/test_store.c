#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/err.h"
#include "store/backend.h"
#include "store/crc32c.h"
#include "store/store.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct tmp {
    char root[64];
    char dir[128]; /* the store: root/data/store, created by gm_store_open */
} tmp;

static void tmp_make(tmp *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/gemel-store-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    snprintf(t->dir, sizeof t->dir, "%s/data/store", t->root);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tmp_remove(tmp *t)
{
    assert_int_equal(nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static gm_store *open_ok(const char *dir, const gm_store_opts *opts)
{
    gm_err e;
    gm_err_clear(&e);
    gm_store *s = gm_store_open(dir, opts, &e);
    if (!s)
        fail_msg("gm_store_open(%s): %s: %s", dir, e.where, e.what);
    return s;
}

static void close_ok(gm_store *s)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_store_close(s, &e);
    if (rc != GM_OK)
        fail_msg("gm_store_close: %s: %s", e.where, e.what);
}

/* A record whose data is "rec <seq>". */
static gm_store_rec mkrec(uint64_t seq, char *buf, size_t n)
{
    int k = snprintf(buf, n, "rec %" PRIu64, seq);
    return (gm_store_rec){.seq = seq, .kind = (uint32_t)(seq % 5), .key = "twin", .key_len = 4,
                          .data = buf, .len = (size_t)k};
}

static void append_range(gm_store *s, uint64_t from, uint64_t to)
{
    for (uint64_t q = from; q <= to; q++) {
        char buf[32];
        gm_store_rec r = mkrec(q, buf, sizeof buf);
        gm_err e;
        if (gm_store_append(s, &r, 1, &e) != GM_OK)
            fail_msg("append %" PRIu64 ": %s", q, e.what);
    }
}

/* Trimming after a snapshot runs on the committer: wait until it has
   reached seq (or fail after 20 s). */
static void wait_trimmed(gm_store *s, uint64_t seq)
{
    for (int i = 0; i < 20000; i++) {
        gm_store_counts c;
        gm_store_counts_get(s, &c);
        if (c.trimmed_seq >= seq)
            return;
        usleep(1000);
    }
    fail_msg("the log was not trimmed up to %" PRIu64 " within 20 s", seq);
}

/* What gm_store_recover delivered, copied. */
typedef struct got {
    int snapshots;
    uint64_t snap_seq;
    char *snap;
    size_t snap_len;
    size_t n;
    gm_store_rec recs[64];
    int stop_at; /* return GM_ECONFLICT at this record index (1-based); 0: never */
} got;

static int got_snapshot(void *ctx, uint64_t seq, const void *data, size_t len)
{
    got *g = ctx;
    assert_non_null(data);
    g->snapshots++;
    g->snap_seq = seq;
    free(g->snap);
    g->snap = malloc(len + 1);
    assert_non_null(g->snap);
    memcpy(g->snap, data, len);
    g->snap_len = len;
    return 0;
}

static int got_record(void *ctx, const gm_store_rec *r)
{
    got *g = ctx;
    assert_true(g->n < 64);
    assert_non_null(r->key);
    assert_non_null(r->data);
    gm_store_rec *c = &g->recs[g->n++];
    *c = *r;
    char *k = malloc(r->key_len + 1), *d = malloc(r->len + 1);
    assert_non_null(k);
    assert_non_null(d);
    memcpy(k, r->key, r->key_len);
    memcpy(d, r->data, r->len);
    c->key = k;
    c->data = d;
    if (g->stop_at && (int)g->n == g->stop_at)
        return GM_ECONFLICT;
    return 0;
}

static void got_free(got *g)
{
    free(g->snap);
    for (size_t i = 0; i < g->n; i++) {
        free((void *)g->recs[i].key);
        free((void *)g->recs[i].data);
    }
    memset(g, 0, sizeof *g);
}

static void recover_ok(gm_store *s, got *g, uint64_t *last)
{
    gm_err e;
    gm_err_clear(&e);
    if (gm_store_recover(s, got_snapshot, got_record, g, last, &e) != GM_OK)
        fail_msg("recover: %s: %s", e.where, e.what);
}

/* g holds exactly n records, mkrec(first) .. mkrec(first + n - 1). */
static void expect_recs(const got *g, uint64_t first, size_t n)
{
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < g->n; i++) {
        char buf[32];
        gm_store_rec want = mkrec(first + i, buf, sizeof buf);
        assert_int_equal(g->recs[i].seq, want.seq);
        assert_int_equal(g->recs[i].kind, want.kind);
        assert_int_equal(g->recs[i].len, want.len);
        assert_memory_equal(g->recs[i].data, want.data, want.len);
        assert_int_equal(g->recs[i].key_len, want.key_len);
        assert_memory_equal(g->recs[i].key, want.key, want.key_len);
    }
}

/* One integer from the database file, read with plain SQLite (store closed). */
static int64_t db_int(const char *dir, const char *sql)
{
    char path[256];
    snprintf(path, sizeof path, "%s/gemel.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void db_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* on_durable bookkeeping, shared with the committer thread. */
typedef struct dur {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t last, calls, not_increasing;
    int gate_closed, in_gate;
} dur;

static void dur_init(dur *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
}

static void dur_destroy(dur *d)
{
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
}

static void on_durable(void *ctx, uint64_t seq)
{
    dur *d = ctx;
    pthread_mutex_lock(&d->mu);
    if (seq <= d->last)
        d->not_increasing++;
    d->last = seq;
    d->calls++;
    while (d->gate_closed) {
        d->in_gate = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_cond_wait(&d->cv, &d->mu);
    }
    d->in_gate = 0;
    pthread_mutex_unlock(&d->mu);
}

static uint64_t dur_last(dur *d)
{
    pthread_mutex_lock(&d->mu);
    uint64_t v = d->last;
    pthread_mutex_unlock(&d->mu);
    return v;
}

/* ---- snapshot files ---------------------------------------------------------------- */

static void join_path(char *out, size_t n, const char *dir, const char *name)
{
    int k = snprintf(out, n, "%s/%s", dir, name);
    assert_true(k > 0 && (size_t)k < n);
}

static bool has_file(const char *dir, const char *name)
{
    char path[512];
    join_path(path, sizeof path, dir, name);
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The size of dir/name, -1 when there is none. */
static int64_t file_size(const char *dir, const char *name)
{
    char path[512];
    join_path(path, sizeof path, dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    join_path(path, sizeof path, dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Entries of dir whose name starts with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        n += strncmp(ent->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Write all of p to fd in pieces of at most chunk bytes, as a producer
   streaming its output would. */
static void write_fd(int fd, const void *p, size_t n, size_t chunk)
{
    const char *c = p;
    while (n > 0) {
        size_t k = n < chunk ? n : chunk;
        ssize_t w = write(fd, c, k);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

/* A snapshot through open / write / commit. */
static void snapshot_file_ok(gm_store *s, uint64_t seq, const void *data, size_t n)
{
    gm_err e;
    gm_err_clear(&e);
    int fd = -1;
    if (gm_store_snapshot_open(s, seq, &fd, &e) != GM_OK)
        fail_msg("snapshot_open %" PRIu64 ": %s: %s", seq, e.where, e.what);
    write_fd(fd, data, n, 4096 + 17);
    if (gm_store_snapshot_commit(s, seq, fd, &e) != GM_OK)
        fail_msg("snapshot_commit %" PRIu64 ": %s: %s", seq, e.where, e.what);
}

/* n pseudo-random bytes (malloc'd), different for each salt. */
static unsigned char *pattern(size_t n, uint32_t salt)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = 2463534242u ^ salt;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* One text value from the database file (store closed); malloc'd. */
static char *db_text(const char *dir, const char *sql)
{
    char path[256];
    snprintf(path, sizeof path, "%s/gemel.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *v = sqlite3_column_text(st, 0);
    assert_non_null(v);
    char *out = strdup((const char *)v);
    assert_non_null(out);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL); /* creates root/data/store */
    assert_int_equal(gm_store_last_seq(s), 0);

    const char bin[] = {'\0', '\1', '\2', '"', '\n', (char)0xff};
    gm_store_rec in[3] = {
        {.seq = 1, .kind = 7, .key = "pump1", .key_len = 5, .data = "{\"a\":1}", .len = 7},
        {.seq = 2, .kind = 0, .key = NULL, .key_len = 0, .data = bin, .len = sizeof bin},
        {.seq = 3, .kind = UINT32_MAX, .key = "k\0z", .key_len = 3, .data = NULL, .len = 0},
    };
    gm_err e;
    assert_int_equal(gm_store_append(s, in, 3, &e), GM_OK);
    assert_int_equal(gm_store_last_seq(s), 3);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.records, 3);
    assert_int_equal(c.batches, 1); /* one append, one transaction */
    assert_int_equal(c.durable_seq, 3);
    assert_int_equal(c.pending, 0);
    assert_int_equal(c.bytes, 5 + 7 + sizeof bin + 3);
    assert_true(c.fsyncs >= 1);
    close_ok(s);

    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_last_seq(s), 3);
    got g = {0};
    uint64_t last = 99;
    recover_ok(s, &g, &last);
    assert_int_equal(last, 3);
    assert_int_equal(g.snapshots, 0);
    assert_int_equal(g.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(g.recs[i].seq, in[i].seq);
        assert_int_equal(g.recs[i].kind, in[i].kind);
        assert_int_equal(g.recs[i].key_len, in[i].key_len);
        assert_int_equal(g.recs[i].len, in[i].len);
        assert_memory_equal(g.recs[i].key, in[i].key ? in[i].key : "", in[i].key_len);
        if (in[i].len)
            assert_memory_equal(g.recs[i].data, in[i].data, in[i].len);
    }
    got_free(&g);
    close_ok(s);
    /* Empty key and data are zero-length blobs, never NULL. */
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log WHERE key IS NULL OR data IS NULL"), 0);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
    assert_int_equal(db_int(t.dir, "PRAGMA application_id"), 0x67656d6c);
    tmp_remove(&t);
}

static void test_seq_refused(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store_opts o = {.max_record_bytes = 1024};
    gm_store *s = open_ok(t.dir, &o);
    char buf[32];
    gm_err e;
    gm_store_rec r = mkrec(2, buf, sizeof buf);
    assert_int_equal(gm_store_append(s, &r, 1, &e), GM_EINVAL); /* empty store starts at 1 */
    assert_non_null(strstr(e.what, "expected 1"));
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EINVAL);
    append_range(s, 1, 1);

    r = mkrec(1, buf, sizeof buf); /* repeat */
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EINVAL);
    assert_string_equal(e.where, "seq");
    assert_non_null(strstr(e.what, "expected 2"));
    r = mkrec(3, buf, sizeof buf); /* gap */
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EINVAL);
    r = mkrec(0, buf, sizeof buf); /* backwards */
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EINVAL);

    /* A batch with a gap inside is refused whole. */
    char b2[32], b3[32], b5[32];
    gm_store_rec batch[3] = {mkrec(2, b2, sizeof b2), mkrec(3, b3, sizeof b3), mkrec(5, b5, sizeof b5)};
    assert_int_equal(gm_store_append(s, batch, 3, &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "expected 4"));
    assert_int_equal(gm_store_last_seq(s), 1);
    /* Bad records are refused before their seq is looked at. */
    gm_store_rec bad = batch[0];
    bad.key = NULL;
    bad.key_len = 5;
    assert_int_equal(gm_store_submit(s, &bad, &e), GM_EINVAL);
    bad = batch[0];
    bad.data = NULL;
    assert_int_equal(gm_store_submit(s, &bad, &e), GM_EINVAL);
    bad = batch[0];
    bad.key_len = GM_STORE_KEY_MAX + 1;
    assert_int_equal(gm_store_submit(s, &bad, &e), GM_ELIMIT);
    static char big[1025];
    bad = batch[0];
    bad.data = big;
    bad.len = sizeof big - bad.key_len; /* key + data = 1025 > 1024 */
    assert_int_equal(gm_store_submit(s, &bad, &e), GM_ELIMIT);
    bad.len--; /* exactly the limit */
    assert_int_equal(gm_store_submit(s, &bad, &e), GM_OK);
    assert_int_equal(gm_store_submit(NULL, &bad, &e), GM_EINVAL);
    assert_int_equal(gm_store_submit(s, NULL, &e), GM_EINVAL);
    assert_int_equal(gm_store_flush(s, 3, &e), GM_EINVAL); /* never submitted */
    assert_int_equal(gm_store_flush(s, GM_STORE_FLUSH_ALL, &e), GM_OK);
    assert_int_equal(gm_store_flush(s, 0, &e), GM_OK);
    close_ok(s);

    /* Exactly 1 and 2 reached the disk. */
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_last_seq(s), 2);
    got g = {0};
    uint64_t last;
    recover_ok(s, &g, &last);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.recs[0].seq, 1);
    assert_int_equal(g.recs[1].seq, 2);
    assert_int_equal(g.recs[1].len, 1024 - 4);
    got_free(&g);
    /* The check survives reopening: 3 is next, not 1. */
    r = mkrec(1, buf, sizeof buf);
    assert_int_equal(gm_store_append(s, &r, 1, &e), GM_EINVAL);
    append_range(s, 3, 3);
    close_ok(s);
    tmp_remove(&t);
}

static void test_snapshot_recover(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    gm_err e;
    /* A snapshot of the initial state is allowed on an empty log. */
    assert_int_equal(gm_store_snapshot(s, 0, "init", 4, &e), GM_OK);
    append_range(s, 1, 10);
    assert_int_equal(gm_store_snapshot(s, 6, "state@6", 7, &e), GM_OK);
    append_range(s, 11, 12);

    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 1);
    assert_int_equal(g.snap_seq, 6);
    assert_int_equal(g.snap_len, 7);
    assert_memory_equal(g.snap, "state@6", 7);
    expect_recs(&g, 7, 6);
    assert_int_equal(last, 12);
    got_free(&g);

    /* Out of range: older than the newest snapshot, or beyond the log. */
    assert_int_equal(gm_store_snapshot(s, 5, "x", 1, &e), GM_EINVAL);
    assert_int_equal(gm_store_snapshot(s, 13, "x", 1, &e), GM_EINVAL);
    assert_int_equal(gm_store_snapshot(s, 12, NULL, 1, &e), GM_EINVAL);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshots, 2);
    assert_int_equal(c.snapshot_seq, 6);
    wait_trimmed(s, 6);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log"), 6);
    assert_int_equal(db_int(t.dir, "SELECT min(seq) FROM log"), 7);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM snapshot"), 1);

    /* A big snapshot at the end of the log: no records follow it, and the
       log is empty; reopening continues after the snapshot. */
    s = open_ok(t.dir, NULL);
    size_t big_len = (size_t)3 << 20;
    unsigned char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    assert_int_equal(gm_store_snapshot(s, 12, big, big_len, &e), GM_OK);
    wait_trimmed(s, 12);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log"), 0);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM snapshot"), 1);

    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_last_seq(s), 12);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 1);
    assert_int_equal(g.snap_seq, 12);
    assert_int_equal(g.snap_len, big_len);
    assert_memory_equal(g.snap, big, big_len);
    assert_int_equal(g.n, 0);
    assert_int_equal(last, 12);
    got_free(&g);
    free(big);
    append_range(s, 13, 14);
    close_ok(s);
    tmp_remove(&t);
}

static void test_interrupted_trim(void **state)
{
    (void)state;
    /* A crash between writing a snapshot and trimming the log leaves old
       records behind; put them back by hand and check that recovery skips
       them and that the next open deletes them. */
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 5);
    gm_err e;
    assert_int_equal(gm_store_snapshot(s, 3, "s3", 2, &e), GM_OK);
    wait_trimmed(s, 3);
    close_ok(s);
    char path[256];
    snprintf(path, sizeof path, "%s/gemel.db", t.dir);
    db_exec(path, "INSERT INTO log VALUES (2, 0, x'', x'00', 0)");
    s = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 3);
    assert_int_equal(g.n, 2); /* 4 and 5: the stray 2 is not replayed */
    assert_int_equal(g.recs[0].seq, 4);
    got_free(&g);
    wait_trimmed(s, 3);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT min(seq) FROM log"), 4);

    /* A gap after the snapshot is damage: recovery says where. */
    db_exec(path, "DELETE FROM log WHERE seq = 4");
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "jumps from seq 3 to 5"));
    assert_non_null(strstr(e.where, "gemel.db"));
    got_free(&g);
    close_ok(s);
    tmp_remove(&t);
}

static void test_recover_callback_stops(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 5);
    got g = {.stop_at = 2};
    uint64_t last = 77;
    gm_err e;
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, &last, &e), GM_ECONFLICT);
    assert_int_equal(g.n, 2); /* stopped right there */
    assert_int_equal(last, 77); /* untouched on failure */
    assert_non_null(strstr(e.what, "at seq 2"));
    got_free(&g);
    /* NULL callbacks: read and checked, nothing delivered. */
    assert_int_equal(gm_store_recover(s, NULL, NULL, NULL, &last, &e), GM_OK);
    assert_int_equal(last, 5);
    close_ok(s);
    tmp_remove(&t);
}

/* gm_store_read: windows of durable records, exact bytes; only durable
   ones; a callback that stops; records folded into a snapshot and trimmed
   refused with GM_ERANGE (naming the snapshot), the rest readable. */
static void test_read(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 20);
    got g = {0};
    uint64_t last = 0;
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_read(s, 4, 10, got_record, &g, &last, &e), GM_OK);
    expect_recs(&g, 5, 10);
    assert_int_equal(last, 14);
    got_free(&g);
    /* past the end: nothing, last stays */
    assert_int_equal(gm_store_read(s, 20, 10, got_record, &g, &last, &e), GM_OK);
    assert_int_equal(g.n, 0);
    assert_int_equal(last, 20);
    assert_int_equal(gm_store_read(s, 18, 10, got_record, &g, &last, &e), GM_OK);
    assert_int_equal(g.n, 2);
    got_free(&g);
    /* the callback stops the read */
    g.stop_at = 3;
    assert_int_equal(gm_store_read(s, 0, 10, got_record, &g, &last, &e), GM_ECONFLICT);
    assert_int_equal(g.n, 3);
    assert_int_equal(last, 2);
    got_free(&g);
    assert_int_equal(gm_store_read(s, 0, 0, got_record, &g, &last, &e), GM_EINVAL);
    assert_int_equal(gm_store_read(s, 0, 1, NULL, &g, &last, &e), GM_EINVAL);
    /* a snapshot at 12, trimmed: 1..12 are gone, 13.. readable */
    assert_int_equal(gm_store_snapshot(s, 12, "state", 5, &e), GM_OK);
    wait_trimmed(s, 12);
    assert_int_equal(gm_store_read(s, 3, 10, got_record, &g, &last, &e), GM_ERANGE);
    assert_int_equal(g.n, 0);
    assert_int_equal(last, 3);
    assert_non_null(strstr(e.what, "snapshot at seq 12"));
    assert_int_equal(gm_store_read(s, 12, 100, got_record, &g, &last, &e), GM_OK);
    assert_int_equal(g.n, 8);
    assert_int_equal(g.recs[0].seq, 13);
    got_free(&g);
    close_ok(s);
    tmp_remove(&t);
}

static void test_reopen_and_lock(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *a = open_ok(t.dir, NULL);
    append_range(a, 1, 3);

    gm_err e;
    gm_err_clear(&e);
    assert_null(gm_store_open(t.dir, NULL, &e));
    assert_int_equal(e.code, GM_ECONFLICT);
    assert_non_null(strstr(e.what, "in use"));
    char pid[32];
    snprintf(pid, sizeof pid, "process %ld", (long)getpid());
    assert_non_null(strstr(e.what, pid));

    /* Another process is refused too. */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        gm_err ce;
        gm_store *cs = gm_store_open(t.dir, NULL, &ce);
        _exit(cs == NULL && ce.code == GM_ECONFLICT ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The first store is unharmed by the refused opens. */
    append_range(a, 4, 4);
    close_ok(a);

    gm_store *b = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_last_seq(b), 4);
    append_range(b, 5, 6);
    close_ok(b);
    b = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last;
    recover_ok(b, &g, &last);
    assert_int_equal(g.n, 6);
    assert_int_equal(last, 6);
    got_free(&g);
    close_ok(b);
    tmp_remove(&t);
}

static void test_bad_open(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_err e;
    gm_err_clear(&e);
    assert_null(gm_store_open(NULL, NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_null(gm_store_open("", NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
    gm_store_opts o = {.backend = "postgres"};
    assert_null(gm_store_open(t.dir, &o, &e));
    assert_int_equal(e.code, GM_EUNSUPPORTED);
    o = (gm_store_opts){.backlog_bytes = 1000, .max_record_bytes = 2000};
    assert_null(gm_store_open(t.dir, &o, &e));
    assert_int_equal(e.code, GM_EINVAL);

    char path[256], dir[200];
    /* A file where the directory should be. */
    snprintf(path, sizeof path, "%s/file", t.root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(gm_store_open(path, NULL, &e));
    assert_int_equal(e.code, GM_EIO);
    assert_non_null(strstr(e.what, "not a directory"));

    /* Not a database at all. */
    snprintf(dir, sizeof dir, "%s/garbage", t.root);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/gemel.db", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database. ", f);
    fclose(f);
    assert_null(gm_store_open(dir, NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(e.where, path);
    assert_non_null(strstr(e.what, "not a database"));

    /* Another application's database. */
    snprintf(dir, sizeof dir, "%s/other", t.root);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/gemel.db", dir);
    db_exec(path, "CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    assert_null(gm_store_open(dir, NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_non_null(strstr(e.what, "not a gemel store"));

    /* A store from a newer gemel. */
    gm_store *s = open_ok(t.dir, NULL);
    close_ok(s);
    snprintf(path, sizeof path, "%s/gemel.db", t.dir);
    db_exec(path, "UPDATE gemel_schema SET version = 99");
    assert_null(gm_store_open(t.dir, NULL, &e));
    assert_int_equal(e.code, GM_EUNSUPPORTED);
    assert_non_null(strstr(e.what, "version 99"));
    tmp_remove(&t);
}

static void test_group_commit_gate(void **state)
{
    (void)state;
    /* Hold the committer inside on_durable: everything submitted meanwhile
       must go to disk as one batch, and the backlog bound must hold. */
    tmp t;
    tmp_make(&t);
    dur d;
    dur_init(&d);
    gm_store_opts o = {.on_durable = on_durable, .ctx = &d, .backlog_records = 1000};
    gm_store *s = open_ok(t.dir, &o);
    char buf[32];
    gm_err e;

    pthread_mutex_lock(&d.mu);
    d.gate_closed = 1;
    pthread_mutex_unlock(&d.mu);
    gm_store_rec r = mkrec(1, buf, sizeof buf);
    assert_int_equal(gm_store_submit(s, &r, &e), GM_OK);
    pthread_mutex_lock(&d.mu);
    while (!d.in_gate)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);

    /* Record 1 is durable; 2..1001 fill the backlog exactly. */
    for (uint64_t q = 2; q <= 1001; q++) {
        r = mkrec(q, buf, sizeof buf);
        assert_int_equal(gm_store_submit(s, &r, &e), GM_OK);
    }
    r = mkrec(1002, buf, sizeof buf);
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EAGAIN);
    assert_string_equal(e.where, "backlog");
    assert_int_equal(gm_store_last_seq(s), 1001); /* nothing queued */
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.durable_seq, 1);
    assert_int_equal(c.pending, 1000);

    pthread_mutex_lock(&d.mu);
    d.gate_closed = 0;
    pthread_cond_broadcast(&d.cv);
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(gm_store_flush(s, 1001, &e), GM_OK);
    gm_store_counts_get(s, &c);
    assert_int_equal(c.records, 1001);
    assert_int_equal(c.batches, 2);
    assert_int_equal(c.max_batch, 1000);
    assert_int_equal(c.pending, 0);
    assert_int_equal(gm_store_submit(s, &r, &e), GM_OK); /* room again */
    close_ok(s);
    /* close flushed 1002 and waited for its on_durable. */
    assert_int_equal(d.last, 1002);
    assert_int_equal(d.calls, 3);
    assert_int_equal(d.not_increasing, 0);
    dur_destroy(&d);
    tmp_remove(&t);
}

#define N_GROUP 100000

static void test_group_commit_100k(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    dur d;
    dur_init(&d);
    gm_store_opts o = {.on_durable = on_durable, .ctx = &d};
    gm_store *s = open_ok(t.dir, &o);
    gm_err e;
    uint64_t again = 0;
    for (uint64_t q = 1; q <= N_GROUP; q++) {
        char buf[48];
        int k = snprintf(buf, sizeof buf, "{\"op\":\"replace\",\"seq\":%" PRIu64 "}", q);
        gm_store_rec r = {.seq = q, .kind = 1, .key = "pump", .key_len = 4, .data = buf,
                          .len = (size_t)k};
        int rc;
        while ((rc = gm_store_submit(s, &r, &e)) == GM_EAGAIN) {
            again++;
            sched_yield();
        }
        assert_int_equal(rc, GM_OK);
    }
    assert_int_equal(gm_store_flush(s, N_GROUP, &e), GM_OK);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    /* flush may return before the last on_durable call has run; close waits. */
    close_ok(s);
    assert_int_equal(d.last, N_GROUP);
    assert_int_equal(d.not_increasing, 0);
    assert_int_equal(d.calls, c.batches);
    assert_int_equal(c.records, N_GROUP);
    assert_int_equal(c.durable_seq, N_GROUP);
    /* Group commit: far fewer transactions, and syncs, than records. */
    assert_true(c.batches * 20 <= N_GROUP);
    assert_true(c.fsyncs >= c.batches);
    assert_true(c.fsyncs * 10 <= N_GROUP);
    print_message("    100000 records: %" PRIu64 " transactions (largest %" PRIu64
                  "), %" PRIu64 " fsyncs, %" PRIu64 " EAGAIN retries\n",
                  c.batches, c.max_batch, c.fsyncs, again);

    s = open_ok(t.dir, NULL);
    uint64_t last;
    assert_int_equal(gm_store_recover(s, NULL, NULL, NULL, &last, &e), GM_OK);
    assert_int_equal(last, N_GROUP);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log"), N_GROUP);
    assert_int_equal(dur_last(&d), N_GROUP);
    dur_destroy(&d);
    tmp_remove(&t);
}

typedef struct snap_job {
    gm_store *s;
    uint64_t seq;
    int rc;
} snap_job;

static void *snap_worker(void *arg)
{
    snap_job *j = arg;
    char state[64];
    int k = snprintf(state, sizeof state, "state@%" PRIu64, j->seq);
    j->rc = gm_store_snapshot(j->s, j->seq, state, (size_t)k, NULL);
    return NULL;
}

static void submit_range(gm_store *s, uint64_t from, uint64_t to)
{
    for (uint64_t q = from; q <= to; q++) {
        char buf[32];
        gm_store_rec r = mkrec(q, buf, sizeof buf);
        gm_err e;
        int rc;
        while ((rc = gm_store_submit(s, &r, &e)) == GM_EAGAIN)
            sched_yield();
        if (rc != GM_OK)
            fail_msg("submit %" PRIu64 ": %s", q, e.what);
    }
}

static void test_snapshot_from_worker(void **state)
{
    (void)state;
    /* A worker writes a snapshot while the owner keeps submitting; the
       50,000 replaced records are trimmed in the background. */
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    submit_range(s, 1, 50000);
    snap_job j = {.s = s, .seq = 50000, .rc = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, snap_worker, &j), 0);
    submit_range(s, 50001, 60000);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.rc, GM_OK);
    gm_err e;
    assert_int_equal(gm_store_flush(s, GM_STORE_FLUSH_ALL, &e), GM_OK);
    wait_trimmed(s, 50000);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 50000);
    assert_int_equal(c.records, 60000);
    uint64_t last;
    assert_int_equal(gm_store_recover(s, NULL, NULL, NULL, &last, &e), GM_OK);
    assert_int_equal(last, 60000);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log"), 10000);
    assert_int_equal(db_int(t.dir, "SELECT min(seq) FROM log"), 50001);
    assert_int_equal(db_int(t.dir, "SELECT seq FROM snapshot"), 50000);
    tmp_remove(&t);
}

static void test_fsync_failure(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    dur d;
    dur_init(&d);
    gm_store_opts o = {.on_durable = on_durable, .ctx = &d};
    gm_store *s = open_ok(t.dir, &o);
    append_range(s, 1, 5);

    /* The next sync, the commit of 6..10, reports an I/O error. */
    store__sqlite_fail_sync(1);
    gm_err e;
    char bufs[5][32];
    for (uint64_t q = 6; q <= 10; q++) {
        gm_store_rec r = mkrec(q, bufs[q - 6], sizeof bufs[0]);
        /* Submits may race the failing commit: before it they are
           accepted, after it they report the failure. */
        int rc = gm_store_submit(s, &r, &e);
        assert_true(rc == GM_OK || rc == GM_EIO);
        if (rc != GM_OK)
            break;
    }
    assert_int_equal(gm_store_flush(s, GM_STORE_FLUSH_ALL, &e), GM_EIO);
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/gemel.db", t.dir);
    assert_string_equal(e.where, db_path);
    assert_non_null(strstr(e.what, "disk I/O error"));
    assert_int_equal(dur_last(&d), 5); /* nothing after 5 was acknowledged */

    /* The store has failed for good, with the same message. */
    char buf[32];
    gm_store_rec r = mkrec(gm_store_last_seq(s) + 1, buf, sizeof buf);
    gm_err e2;
    assert_int_equal(gm_store_submit(s, &r, &e2), GM_EIO);
    assert_string_equal(e2.what, e.what);
    assert_int_equal(gm_store_snapshot(s, 5, "x", 1, &e2), GM_EIO);
    assert_int_equal(gm_store_close(s, &e2), GM_EIO);
    store__sqlite_fail_sync(0);

    /* Recovery: everything acknowledged, gap-free; the failed batch may be
       there as a whole (its frames were written) or not at all. */
    s = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last;
    recover_ok(s, &g, &last);
    assert_true(last >= 5 && last <= 10);
    assert_int_equal(g.n, last);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(g.recs[i].seq, i + 1);
    got_free(&g);
    append_range(s, last + 1, last + 1);
    close_ok(s);
    dur_destroy(&d);
    tmp_remove(&t);
}

/* ---- snapshot files ------------------------------------------------------------------ */

/* gm_store_snapshot_copy: a range of the newest snapshot lands after what
   the open one holds, byte for byte; without an open snapshot, from an
   older one, or past the end: GM_EINVAL and nothing written. */
static void test_snapshot_copy(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    gm_err e;
    gm_err_clear(&e);
    append_range(s, 1, 9);
    size_t big_len = ((size_t)3 << 20) + 17;
    unsigned char *big = pattern(big_len, 11);
    snapshot_file_ok(s, 3, big, big_len);

    int fd = -1;
    assert_int_equal(gm_store_snapshot_copy(s, 3, 0, 1, 0, &e), GM_EINVAL); /* none open */
    assert_int_equal(gm_store_snapshot_open(s, 6, &fd, &e), GM_OK);
    write_fd(fd, "head", 4, 4);
    gm_err_clear(&e);
    assert_int_equal(gm_store_snapshot_copy(s, 2, 0, 1, fd, &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "not the newest"));
    gm_err_clear(&e);
    assert_int_equal(gm_store_snapshot_copy(s, 3, 1000, big_len - 999, fd, &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "past the end"));
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 4); /* nothing written */
    assert_int_equal(gm_store_snapshot_copy(s, 3, 1000, big_len - 1000, fd, &e), GM_OK);
    write_fd(fd, "tail", 4, 4);
    assert_int_equal(gm_store_snapshot_commit(s, 6, fd, &e), GM_OK);
    assert_false(has_file(t.dir, "snapshot-3"));

    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 6);
    assert_int_equal(g.snap_len, 4 + (big_len - 1000) + 4);
    assert_memory_equal(g.snap, "head", 4);
    assert_memory_equal((const char *)g.snap + 4, big + 1000, big_len - 1000);
    assert_memory_equal((const char *)g.snap + 4 + big_len - 1000, "tail", 4);
    got_free(&g);
    free(big);
    close_ok(s);
    tmp_remove(&t);
}

/* open / write / commit: the bytes come back exactly, the .tmp becomes
   snapshot-<seq>, the next snapshot deletes the previous file; 0 bytes and
   several MiB work; a snapshot at the newest one's seq keeps that one. */
static void test_snapshot_file_roundtrip(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    gm_err e;
    gm_err_clear(&e);
    append_range(s, 1, 5);

    int fd = -1;
    assert_int_equal(gm_store_snapshot_open(s, 3, &fd, &e), GM_OK);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_true(has_file(t.dir, "snapshot-3.tmp"));
    assert_false(has_file(t.dir, "snapshot-3"));
    write_fd(fd, "hello", 5, 2);
    assert_int_equal(gm_store_snapshot_commit(s, 3, fd, &e), GM_OK);
    assert_false(has_file(t.dir, "snapshot-3.tmp"));
    assert_int_equal(file_size(t.dir, "snapshot-3"), 5);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshots, 1);
    assert_int_equal(c.snapshot_seq, 3);
    assert_int_equal(c.snapshot_bytes, 5);

    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 1);
    assert_int_equal(g.snap_seq, 3);
    assert_int_equal(g.snap_len, 5);
    assert_memory_equal(g.snap, "hello", 5);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.recs[0].seq, 4);
    assert_int_equal(last, 5);
    got_free(&g);

    /* 0 bytes: a snapshot too; it replaces snapshot-3, file and all */
    assert_int_equal(gm_store_snapshot_open(s, 5, &fd, &e), GM_OK);
    assert_int_equal(gm_store_snapshot_commit(s, 5, fd, &e), GM_OK);
    assert_false(has_file(t.dir, "snapshot-3"));
    assert_int_equal(file_size(t.dir, "snapshot-5"), 0);
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 5);
    assert_int_equal(c.snapshot_bytes, 0);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 1);
    assert_int_equal(g.snap_seq, 5);
    assert_int_equal(g.snap_len, 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(last, 5);
    got_free(&g);

    /* at the newest snapshot's own seq: the one there stands */
    assert_int_equal(gm_store_snapshot(s, 5, "other", 5, &e), GM_OK);
    assert_int_equal(file_size(t.dir, "snapshot-5"), 0);
    assert_false(has_file(t.dir, "snapshot-5.tmp"));
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshots, 3);
    assert_int_equal(c.snapshot_bytes, 0);

    /* several MiB, written in odd pieces */
    append_range(s, 6, 7);
    size_t big_len = ((size_t)5 << 20) + 123;
    unsigned char *big = pattern(big_len, 7);
    uint32_t big_crc = store__crc32c(0, big, big_len);
    snapshot_file_ok(s, 7, big, big_len);
    assert_false(has_file(t.dir, "snapshot-5"));
    assert_int_equal(file_size(t.dir, "snapshot-7"), big_len);
    close_ok(s);

    s = open_ok(t.dir, NULL);
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 7);
    assert_int_equal(c.snapshot_bytes, big_len);
    assert_int_equal(gm_store_last_seq(s), 7);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 7);
    assert_int_equal(g.snap_len, big_len);
    assert_memory_equal(g.snap, big, big_len);
    assert_int_equal(g.n, 0);
    assert_int_equal(last, 7);
    got_free(&g);
    free(big);
    close_ok(s);

    /* the database holds the name, the length and the checksum, not the bytes */
    assert_int_equal(db_int(t.dir, "SELECT version FROM gemel_schema"), 4);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM snapshot"), 1);
    assert_int_equal(db_int(t.dir, "SELECT bytes FROM snapshot"), big_len);
    assert_int_equal(db_int(t.dir, "SELECT crc FROM snapshot"), big_crc);
    char *file = db_text(t.dir, "SELECT file FROM snapshot");
    assert_string_equal(file, "snapshot-7");
    free(file);
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);
    tmp_remove(&t);
}

/* Abandon leaves nothing behind and the store as it was; one snapshot at a
   time; a commit that names the wrong snapshot ends it. */
static void test_snapshot_abandon(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    gm_err e;
    gm_err_clear(&e);
    append_range(s, 1, 4);
    assert_int_equal(gm_store_snapshot(s, 2, "two", 3, &e), GM_OK);

    int fd = -1, fd2 = 99;
    assert_int_equal(gm_store_snapshot_open(s, 3, &fd, &e), GM_OK);
    write_fd(fd, "three", 5, 5);
    assert_int_equal(gm_store_snapshot_open(s, 4, &fd2, &e), GM_ECONFLICT);
    assert_int_equal(fd2, -1);
    assert_non_null(strstr(e.what, "seq 3 is in progress"));
    assert_false(has_file(t.dir, "snapshot-4.tmp"));
    assert_int_equal(gm_store_snapshot(s, 4, "x", 1, &e), GM_ECONFLICT);
    gm_store_snapshot_abandon(s, 3, fd);
    assert_false(has_file(t.dir, "snapshot-3.tmp"));
    assert_false(has_file(t.dir, "snapshot-3"));
    assert_int_equal(file_size(t.dir, "snapshot-2"), 3);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshots, 1);
    assert_int_equal(c.snapshot_seq, 2);
    assert_int_equal(c.snapshot_bytes, 3);
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 2);
    assert_memory_equal(g.snap, "two", 3);
    assert_int_equal(g.n, 2);
    got_free(&g);
    gm_store_snapshot_abandon(s, 3, -1); /* nothing open: nothing happens */
    gm_store_snapshot_abandon(NULL, 3, -1);

    /* a commit at another seq than the open one abandons that one */
    assert_int_equal(gm_store_snapshot_open(s, 3, &fd, &e), GM_OK);
    write_fd(fd, "three", 5, 5);
    assert_int_equal(gm_store_snapshot_commit(s, 4, fd, &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "open is at seq 3"));
    assert_false(has_file(t.dir, "snapshot-3.tmp"));
    assert_int_equal(gm_store_snapshot_commit(s, 3, -1, &e), GM_EINVAL); /* none open */
    assert_int_equal(gm_store_snapshot_open(NULL, 3, &fd, &e), GM_EINVAL);
    assert_int_equal(gm_store_snapshot_open(s, 3, NULL, &e), GM_EINVAL);
    assert_int_equal(gm_store_snapshot_commit(NULL, 3, -1, &e), GM_EINVAL);
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);
    close_ok(s);

    s = open_ok(t.dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 2);
    assert_memory_equal(g.snap, "two", 3);
    assert_int_equal(last, 4);
    got_free(&g);
    close_ok(s);
    tmp_remove(&t);
}

/* The seq of a snapshot is checked when it is opened, before any file. */
static void test_snapshot_open_range(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    gm_err e;
    gm_err_clear(&e);
    append_range(s, 1, 8);
    assert_int_equal(gm_store_snapshot(s, 5, "five", 4, &e), GM_OK);
    int fd = 123;
    assert_int_equal(gm_store_snapshot_open(s, 4, &fd, &e), GM_EINVAL); /* below the newest */
    assert_int_equal(fd, -1);
    assert_string_equal(e.where, "seq");
    assert_non_null(strstr(e.what, "expected 5"));
    assert_int_equal(gm_store_snapshot_open(s, 9, &fd, &e), GM_EINVAL); /* beyond the log */
    assert_non_null(strstr(e.what, "to 8"));
    assert_int_equal(gm_store_snapshot_open(s, 0, &fd, &e), GM_EINVAL);
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);
    assert_true(has_file(t.dir, "snapshot-5"));
    /* both ends of the range are allowed */
    assert_int_equal(gm_store_snapshot_open(s, 8, &fd, &e), GM_OK);
    gm_store_snapshot_abandon(s, 8, fd);
    assert_int_equal(gm_store_snapshot_open(s, 5, &fd, &e), GM_OK);
    gm_store_snapshot_abandon(s, 5, fd);
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);

    /* a file that cannot be created: GM_EIO naming it; the store goes on */
    char path[512];
    join_path(path, sizeof path, t.dir, "snapshot-7.tmp");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(gm_store_snapshot_open(s, 7, &fd, &e), GM_EIO);
    assert_int_equal(fd, -1);
    assert_string_equal(e.where, path);
    assert_non_null(strstr(e.what, "cannot create the snapshot file"));
    assert_int_equal(gm_store_snapshot(s, 7, "seven", 5, &e), GM_EIO);
    assert_int_equal(rmdir(path), 0);
    append_range(s, 9, 9);

    /* larger than GM_STORE_SNAPSHOT_MAX (a sparse file): refused at commit,
       the file removed, nothing changed */
    assert_int_equal(gm_store_snapshot_open(s, 8, &fd, &e), GM_OK);
    assert_int_equal(ftruncate(fd, (off_t)GM_STORE_SNAPSHOT_MAX + 1), 0);
    assert_int_equal(gm_store_snapshot_commit(s, 8, fd, &e), GM_ELIMIT);
    assert_false(has_file(t.dir, "snapshot-8.tmp"));
    assert_false(has_file(t.dir, "snapshot-8"));
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 5);
    assert_int_equal(c.snapshot_bytes, 4);
    snapshot_file_ok(s, 8, "eight", 5); /* and the store goes on */
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);
    close_ok(s);
    tmp_remove(&t);
}

typedef struct commit_job {
    gm_store *s;
    uint64_t seq;
    int fd;
    int rc;
    uint64_t durable_after;
    atomic_int done;
} commit_job;

static void *commit_worker(void *arg)
{
    commit_job *j = arg;
    gm_err e;
    j->rc = gm_store_snapshot_commit(j->s, j->seq, j->fd, &e);
    gm_store_counts c;
    gm_store_counts_get(j->s, &c);
    j->durable_after = c.durable_seq;
    atomic_store(&j->done, 1);
    return NULL;
}

/* A commit waits until every record up to its seq is durable; records
   after it are replayed after the snapshot. */
static void test_snapshot_commit_waits(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    dur d;
    dur_init(&d);
    gm_store_opts o = {.on_durable = on_durable, .ctx = &d};
    gm_store *s = open_ok(t.dir, &o);
    gm_err e;
    gm_err_clear(&e);

    /* hold the committer in on_durable after record 1 */
    pthread_mutex_lock(&d.mu);
    d.gate_closed = 1;
    pthread_mutex_unlock(&d.mu);
    submit_range(s, 1, 1);
    pthread_mutex_lock(&d.mu);
    while (!d.in_gate)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    submit_range(s, 2, 50);

    int fd = -1;
    assert_int_equal(gm_store_snapshot_open(s, 50, &fd, &e), GM_OK);
    write_fd(fd, "state@50", 8, 3);
    commit_job j = {.s = s, .seq = 50, .fd = fd, .rc = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, commit_worker, &j), 0);
    usleep(100 * 1000);
    assert_int_equal(atomic_load(&j.done), 0); /* 2..50 are not durable yet */
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.durable_seq, 1);
    assert_int_equal(c.snapshot_seq, 0);
    submit_range(s, 51, 60);

    pthread_mutex_lock(&d.mu);
    d.gate_closed = 0;
    pthread_cond_broadcast(&d.cv);
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.rc, GM_OK);
    assert_true(j.durable_after >= 50);
    close_ok(s);

    s = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 50);
    assert_int_equal(g.snap_len, 8);
    assert_memory_equal(g.snap, "state@50", 8);
    assert_int_equal(g.n, 10);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(g.recs[i].seq, 51 + i);
    assert_int_equal(last, 60);
    got_free(&g);
    close_ok(s);
    dur_destroy(&d);
    tmp_remove(&t);
}

/* After a file snapshot the log is trimmed as after any other. */
static void test_snapshot_file_trims(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 20);
    snapshot_file_ok(s, 12, "state", 5);
    wait_trimmed(s, 12);
    got g = {0};
    uint64_t last = 0;
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_read(s, 0, 10, got_record, &g, &last, &e), GM_ERANGE);
    assert_int_equal(g.n, 0);
    assert_non_null(strstr(e.what, "snapshot at seq 12"));
    assert_int_equal(gm_store_read(s, 12, 100, got_record, &g, &last, &e), GM_OK);
    assert_int_equal(g.n, 8);
    assert_int_equal(g.recs[0].seq, 13);
    got_free(&g);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT count(*) FROM log"), 8);
    assert_int_equal(db_int(t.dir, "SELECT min(seq) FROM log"), 13);
    tmp_remove(&t);
}

/* What a crash leaves between the steps of a commit, put there by hand:
   the next open removes it and recovers the recorded snapshot; what is not
   exactly a snapshot file's name is never touched. */
static void test_snapshot_crash_windows(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 6);
    snapshot_file_ok(s, 3, "s3", 2);
    wait_trimmed(s, 3);
    close_ok(s);

    put_file(t.dir, "snapshot-99.tmp", "half of a snapshot");  /* killed while writing */
    put_file(t.dir, "snapshot-3.tmp", "x");                    /* ... one at the same seq */
    put_file(t.dir, "snapshot-5", "renamed, never recorded"); /* killed before the record */
    put_file(t.dir, "snapshot-1", "old");                      /* killed before the unlink */
    const char *theirs[] = {"notes.txt", "snapshot-x", "snapshot-007", "snapshot-5.tmp.bak",
                            "snapshot-", "snapshot--1", "my-snapshot-4", "snapshot-99999999999999999999"};
    for (size_t i = 0; i < sizeof theirs / sizeof theirs[0]; i++)
        put_file(t.dir, theirs[i], "not gemel's");

    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_last_seq(s), 6);
    assert_false(has_file(t.dir, "snapshot-99.tmp"));
    assert_false(has_file(t.dir, "snapshot-3.tmp"));
    assert_false(has_file(t.dir, "snapshot-5"));
    assert_false(has_file(t.dir, "snapshot-1"));
    assert_int_equal(file_size(t.dir, "snapshot-3"), 2);
    for (size_t i = 0; i < sizeof theirs / sizeof theirs[0]; i++)
        assert_true(has_file(t.dir, theirs[i]));
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 3);
    assert_memory_equal(g.snap, "s3", 2);
    assert_int_equal(g.n, 3);
    assert_int_equal(last, 6);
    got_free(&g);

    /* and carries on: snapshot-5 again, recorded this time */
    snapshot_file_ok(s, 5, "s5", 2);
    assert_false(has_file(t.dir, "snapshot-3"));
    close_ok(s);
    s = open_ok(t.dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 5);
    assert_memory_equal(g.snap, "s5", 2);
    assert_int_equal(g.n, 1);
    got_free(&g);
    close_ok(s);
    for (size_t i = 0; i < sizeof theirs / sizeof theirs[0]; i++)
        assert_true(has_file(t.dir, theirs[i]));
    tmp_remove(&t);
}

/* A recorded file that is missing, of the wrong size or a link: recovery
   fails with GM_EIO naming it; a database that names any other file is
   refused at open, before anything is deleted. */
static void test_snapshot_damage(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 4);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_snapshot(s, 3, "state", 5, &e), GM_OK);
    close_ok(s);
    char path[512], saved[512], db[512];
    join_path(path, sizeof path, t.dir, "snapshot-3");
    join_path(saved, sizeof saved, t.root, "saved");
    join_path(db, sizeof db, t.dir, "gemel.db");
    assert_int_equal(rename(path, saved), 0);

    got g = {0};
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_string_equal(e.where, path);
    assert_non_null(strstr(e.what, "damaged gemel store"));
    assert_non_null(strstr(e.what, path));
    assert_int_equal(g.snapshots, 0);
    close_ok(s);

    put_file(t.dir, "snapshot-3", "st");
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "has 2 bytes, expected 5"));
    assert_non_null(strstr(e.what, path));
    close_ok(s);

    /* a link is not followed, even to a file of the right size */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(saved, path), 0);
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "damaged gemel store"));
    close_ok(s);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rename(saved, path), 0);

    /* names that are not snapshot-3: refused, and no file is touched */
    put_file(t.root, "victim", "keep me");
    const char *bad[] = {
        "UPDATE snapshot SET file = '../../victim'",
        "UPDATE snapshot SET file = 'snapshot-4'",
        "UPDATE snapshot SET file = 'snapshot-03'",
        "UPDATE snapshot SET file = 'snapshot-3.tmp'",
        "UPDATE snapshot SET file = 'snapshot-3' || char(0) || 'x'",
        "UPDATE snapshot SET file = x'00'",
        "UPDATE snapshot SET file = 'snapshot-3', bytes = -1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        db_exec(db, bad[i]);
        gm_err_clear(&e);
        gm_store *b = gm_store_open(t.dir, NULL, &e);
        if (b)
            fail_msg("opened a store with: %s", bad[i]);
        assert_int_equal(e.code, GM_EIO);
        assert_non_null(strstr(e.what, "damaged gemel store"));
        assert_true(has_file(t.root, "victim"));
        assert_int_equal(file_size(t.dir, "snapshot-3"), 5);
        db_exec(db, "UPDATE snapshot SET file = 'snapshot-3', bytes = 5");
    }

    s = open_ok(t.dir, NULL);
    recover_ok(s, &g, NULL);
    assert_int_equal(g.snap_seq, 3);
    assert_memory_equal(g.snap, "state", 5);
    got_free(&g);
    close_ok(s);
    tmp_remove(&t);
}

/* A store as gemel wrote it with schema version 2: snapshots as rows of
   parts. with_snapshot: a two-part snapshot at 3 and the log 3..6 (3 not
   yet trimmed); else the log 1..3. */
static void make_v2(const char *dir, bool with_snapshot, const char *parts)
{
    assert_int_equal(mkdir(dir, 0700), 0);
    char path[512];
    join_path(path, sizeof path, dir, "gemel.db");
    db_exec(path, "PRAGMA journal_mode=WAL;"
                  "BEGIN;"
                  "CREATE TABLE gemel_schema (version INTEGER NOT NULL, created_ns INTEGER NOT NULL);"
                  "INSERT INTO gemel_schema VALUES (2, 1700000000000000000);"
                  "CREATE TABLE log (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
                  " key BLOB NOT NULL, data BLOB NOT NULL);"
                  "CREATE TABLE snapshot (seq INTEGER NOT NULL, part INTEGER NOT NULL,"
                  " data BLOB NOT NULL, created_ns INTEGER NOT NULL, PRIMARY KEY (seq, part));"
                  "PRAGMA application_id=1734700396;"
                  "COMMIT");
    uint64_t from = with_snapshot ? 3 : 1, to = with_snapshot ? 6 : 3;
    for (uint64_t q = from; q <= to; q++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO log VALUES (%" PRIu64 ", %" PRIu64 ", CAST('twin' AS BLOB),"
                 " CAST('rec %" PRIu64 "' AS BLOB))",
                 q, q % 5, q);
        db_exec(path, sql);
    }
    if (with_snapshot)
        db_exec(path, parts ? parts
                            : "INSERT INTO snapshot VALUES (3, 1, CAST('world' AS BLOB), 111),"
                              " (3, 0, CAST('hello ' AS BLOB), 111)");
}

static void test_migrate_v2(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    char dir[256];
    join_path(dir, sizeof dir, t.root, "v2");
    make_v2(dir, true, NULL);
    assert_int_equal(db_int(dir, "PRAGMA application_id"), 0x67656d6c);

    gm_store *s = open_ok(dir, NULL);
    assert_int_equal(gm_store_last_seq(s), 6);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 3);
    assert_int_equal(c.snapshot_bytes, 11);
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 1);
    assert_int_equal(g.snap_seq, 3);
    assert_int_equal(g.snap_len, 11);
    assert_memory_equal(g.snap, "hello world", 11);
    expect_recs(&g, 4, 3);
    assert_int_equal(last, 6);
    got_free(&g);
    close_ok(s);
    /* upgraded through version 3 to 4: the snapshot file has its checksum */
    assert_int_equal(db_int(dir, "SELECT version FROM gemel_schema"), 4);
    assert_int_equal(db_int(dir, "SELECT crc FROM snapshot"),
                     store__crc32c(0, "hello world", 11));
    assert_int_equal(db_int(dir, "SELECT count(*) FROM gemel_schema"), 1);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM snapshot"), 1);
    assert_int_equal(db_int(dir, "SELECT seq FROM snapshot"), 3);
    assert_int_equal(db_int(dir, "SELECT bytes FROM snapshot"), 11);
    assert_int_equal(db_int(dir, "SELECT created_ns FROM snapshot"), 111);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM pragma_table_info('snapshot')"
                                 " WHERE name IN ('part', 'data')"), 0);
    char *file = db_text(dir, "SELECT file FROM snapshot");
    assert_string_equal(file, "snapshot-3");
    free(file);
    assert_int_equal(file_size(dir, "snapshot-3"), 11);
    assert_int_equal(count_prefix(dir, "snapshot-"), 1);

    /* reopening a migrated store works, and it goes on */
    s = open_ok(dir, NULL);
    recover_ok(s, &g, &last);
    assert_memory_equal(g.snap, "hello world", 11);
    assert_int_equal(last, 6);
    got_free(&g);
    append_range(s, 7, 7);
    snapshot_file_ok(s, 7, "seven", 5);
    close_ok(s);
    assert_false(has_file(dir, "snapshot-3"));
    s = open_ok(dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 7);
    assert_memory_equal(g.snap, "seven", 5);
    got_free(&g);
    close_ok(s);

    /* no snapshot: no file */
    join_path(dir, sizeof dir, t.root, "v2-empty");
    make_v2(dir, false, NULL);
    s = open_ok(dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snapshots, 0);
    assert_int_equal(g.n, 3);
    assert_int_equal(last, 3);
    got_free(&g);
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_bytes, 0);
    close_ok(s);
    assert_int_equal(db_int(dir, "SELECT version FROM gemel_schema"), 4);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM snapshot"), 0);
    assert_int_equal(count_prefix(dir, "snapshot-"), 0);
    s = open_ok(dir, NULL);
    close_ok(s);

    /* an upgrade interrupted after the file was written: done again */
    join_path(dir, sizeof dir, t.root, "v2-again");
    make_v2(dir, true, NULL);
    put_file(dir, "snapshot-3", "a file of another length");
    put_file(dir, "snapshot-3.tmp", "half");
    put_file(dir, "snapshot-2", "older");
    s = open_ok(dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 3);
    assert_int_equal(g.snap_len, 11);
    assert_memory_equal(g.snap, "hello world", 11);
    got_free(&g);
    close_ok(s);
    assert_false(has_file(dir, "snapshot-3.tmp"));
    assert_false(has_file(dir, "snapshot-2"));

    /* damaged parts: refused, the store stays a version 2 one */
    join_path(dir, sizeof dir, t.root, "v2-damaged");
    make_v2(dir, true,
            "INSERT INTO snapshot VALUES (3, 0, CAST('hello ' AS BLOB), 1),"
            " (3, 2, CAST('world' AS BLOB), 1)");
    gm_err e;
    gm_err_clear(&e);
    assert_null(gm_store_open(dir, NULL, &e));
    assert_int_equal(e.code, GM_EIO);
    assert_non_null(strstr(e.what, "part 2 where part 1"));
    assert_int_equal(db_int(dir, "SELECT version FROM gemel_schema"), 2);
    assert_int_equal(count_prefix(dir, "snapshot-"), 0);

    /* version 1 stays refused */
    char path[512];
    join_path(path, sizeof path, dir, "gemel.db");
    db_exec(path, "UPDATE gemel_schema SET version = 1");
    assert_null(gm_store_open(dir, NULL, &e));
    assert_int_equal(e.code, GM_EUNSUPPORTED);
    assert_non_null(strstr(e.what, "version 1"));
    tmp_remove(&t);
}


/* ---- checksums ------------------------------------------------------------------- */

/* CRC-32C: the standard check value, and the hardware path (when this
   machine has one) equal to the portable one at every alignment and length. */
static void test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(store__crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(store__crc32c_portable(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(store__crc32c(0, "", 0), 0);
    /* in pieces: the CRC of the whole */
    assert_int_equal(store__crc32c(store__crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
    static unsigned char buf[1 << 16];
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n < 300; n++)
            assert_int_equal(store__crc32c(7, buf + off, n), store__crc32c_portable(7, buf + off, n));
    assert_int_equal(store__crc32c(0, buf, sizeof buf), store__crc32c_portable(0, buf, sizeof buf));
    /* a record's checksum covers where its key ends */
    assert_int_not_equal(store__record_crc(1, 2, "ab", 2, "c", 1), store__record_crc(1, 2, "a", 1, "bc", 2));
    assert_int_not_equal(store__record_crc(1, 2, "a", 1, "b", 1), store__record_crc(2, 2, "a", 1, "b", 1));
}

/*
 * Bytes changed on disk, lengths kept: a snapshot file changed in place is
 * refused, naming the file; a log record changed in place is refused by
 * recovery and by reads, naming the record. Before checksums both were
 * delivered as if they were what had been written.
 */
static void test_checksums(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 6);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_snapshot(s, 3, "value 5", 7, &e), GM_OK);
    close_ok(s);
    assert_int_equal(db_int(t.dir, "SELECT crc FROM snapshot"), store__crc32c(0, "value 5", 7));
    char path[512], db[512];
    join_path(path, sizeof path, t.dir, "snapshot-3");
    join_path(db, sizeof db, t.dir, "gemel.db");

    put_file(t.dir, "snapshot-3", "value 9");
    got g = {0};
    s = open_ok(t.dir, NULL);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_string_equal(e.where, path);
    assert_non_null(strstr(e.what, "damaged gemel store: the snapshot file"));
    assert_non_null(strstr(e.what, "does not match its checksum"));
    assert_int_equal(g.snapshots, 0);
    close_ok(s);
    put_file(t.dir, "snapshot-3", "value 5");

    /* record 5's data, same length, other bytes */
    char *was = db_text(t.dir, "SELECT CAST(data AS TEXT) FROM log WHERE seq = 5");
    db_exec(db, "UPDATE log SET data = CAST(upper(CAST(data AS TEXT)) AS BLOB) WHERE seq = 5");
    s = open_ok(t.dir, NULL);
    gm_err_clear(&e);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.where, "gemel.db"));
    assert_non_null(strstr(e.what, "damaged gemel store: record 5 does not match its checksum"));
    got_free(&g);
    gm_err_clear(&e);
    assert_int_equal(gm_store_read(s, 3, 10, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "record 5 does not match its checksum"));
    assert_int_equal(g.n, 1); /* 4, then the damaged 5 stops the read */
    got_free(&g);
    close_ok(s);
    /* a record whose checksum is not a number */
    db_exec(db, "UPDATE log SET crc = 'x' WHERE seq = 6");
    s = open_ok(t.dir, NULL);
    gm_err_clear(&e);
    assert_int_equal(gm_store_read(s, 5, 10, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "record 6 has no valid checksum"));
    got_free(&g);
    close_ok(s);
    free(was);
    tmp_remove(&t);
}

/* A store as gemel wrote it with schema version 3 (no checksums): the log
   1..6 and a snapshot at 3 in its file, of the given contents. */
static void make_v3(const char *dir, const char *snapshot)
{
    assert_int_equal(mkdir(dir, 0700), 0);
    char path[512], sql[512];
    join_path(path, sizeof path, dir, "gemel.db");
    db_exec(path, "PRAGMA journal_mode=WAL;"
                  "BEGIN;"
                  "CREATE TABLE gemel_schema (version INTEGER NOT NULL, created_ns INTEGER NOT NULL);"
                  "INSERT INTO gemel_schema VALUES (3, 1700000000000000000);"
                  "CREATE TABLE log (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
                  " key BLOB NOT NULL, data BLOB NOT NULL);"
                  "CREATE TABLE snapshot (seq INTEGER PRIMARY KEY, file TEXT NOT NULL,"
                  " bytes INTEGER NOT NULL, created_ns INTEGER NOT NULL);"
                  "PRAGMA application_id=1734700396;"
                  "COMMIT");
    for (uint64_t q = 1; q <= 6; q++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO log VALUES (%" PRIu64 ", %" PRIu64 ", CAST('twin' AS BLOB),"
                 " CAST('rec %" PRIu64 "' AS BLOB))",
                 q, q % 5, q);
        db_exec(path, sql);
    }
    snprintf(sql, sizeof sql, "INSERT INTO snapshot VALUES (3, 'snapshot-3', %zu, 222)",
             strlen("state at 3"));
    db_exec(path, sql);
    put_file(dir, "snapshot-3", snapshot);
}

/* Opening a version 3 store upgrades it to 4: every record and the
   snapshot file get their checksums, the data stays as it was, and damage
   after the upgrade is found. A version 3 store whose snapshot file is
   already damaged (another length) is refused and stays version 3. */
static void test_migrate_v3(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    char dir[256];
    join_path(dir, sizeof dir, t.root, "v3");
    make_v3(dir, "state at 3");
    gm_store *s = open_ok(dir, NULL);
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_int_equal(g.snap_seq, 3);
    assert_memory_equal(g.snap, "state at 3", 10);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.recs[0].seq, 4);
    assert_memory_equal(g.recs[0].data, "rec 4", 5);
    assert_int_equal(last, 6);
    got_free(&g);
    append_range(s, 7, 7);
    close_ok(s);
    assert_int_equal(db_int(dir, "SELECT version FROM gemel_schema"), 4);
    assert_int_equal(db_int(dir, "SELECT crc FROM snapshot"), store__crc32c(0, "state at 3", 10));
    assert_int_equal(db_int(dir, "SELECT count(*) FROM log WHERE crc IS NULL"), 0);
    assert_int_equal(db_int(dir, "SELECT crc FROM log WHERE seq = 4"),
                     store__record_crc(4, 4, "twin", 4, "rec 4", 5));
    /* reopened, and checked: the upgrade's checksums hold */
    s = open_ok(dir, NULL);
    recover_ok(s, &g, &last);
    assert_int_equal(last, 7);
    got_free(&g);
    close_ok(s);
    put_file(dir, "snapshot-3", "state at 8");
    s = open_ok(dir, NULL);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_recover(s, got_snapshot, got_record, &g, NULL, &e), GM_EIO);
    assert_non_null(strstr(e.what, "does not match its checksum"));
    close_ok(s);

    join_path(dir, sizeof dir, t.root, "v3-damaged");
    make_v3(dir, "cut");
    gm_err_clear(&e);
    assert_null(gm_store_open(dir, NULL, &e));
    assert_int_equal(e.code, GM_EIO);
    assert_non_null(strstr(e.what, "damaged gemel store"));
    assert_non_null(strstr(e.what, "has 3 bytes, expected 10"));
    assert_int_equal(db_int(dir, "SELECT version FROM gemel_schema"), 3);
    tmp_remove(&t);
}

/* The recording step fails (its fsync reports EIO): the store fails as for
   a failed commit, and after a restart the old or the new snapshot is the
   newest, with its file, and recovery agrees with it. */
static void test_snapshot_record_failure(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    append_range(s, 1, 8);
    snapshot_file_ok(s, 3, "s3", 2);
    wait_trimmed(s, 3);

    int fd = -1;
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_store_snapshot_open(s, 6, &fd, &e), GM_OK);
    write_fd(fd, "s6", 2, 2);
    store__sqlite_fail_sync(1); /* nothing else syncs now: the record's commit */
    assert_int_equal(gm_store_snapshot_commit(s, 6, fd, &e), GM_EIO);
    store__sqlite_fail_sync(0);
    assert_non_null(strstr(e.where, "gemel.db"));
    assert_false(has_file(t.dir, "snapshot-6.tmp"));
    char buf[32];
    gm_store_rec r = mkrec(9, buf, sizeof buf);
    assert_int_equal(gm_store_submit(s, &r, &e), GM_EIO);
    assert_int_equal(gm_store_snapshot_open(s, 8, &fd, &e), GM_EIO);
    assert_int_equal(gm_store_close(s, &e), GM_EIO);

    s = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last = 0;
    recover_ok(s, &g, &last);
    assert_true(g.snap_seq == 3 || g.snap_seq == 6);
    char want[8];
    snprintf(want, sizeof want, "s%" PRIu64, g.snap_seq);
    assert_memory_equal(g.snap, want, 2);
    assert_int_equal(g.n, 8 - g.snap_seq);
    assert_int_equal(last, 8);
    print_message("    after the failed record: snapshot at %" PRIu64 "\n", g.snap_seq);
    got_free(&g);
    close_ok(s);
    assert_int_equal(count_prefix(t.dir, "snapshot-"), 1);
    tmp_remove(&t);
}

typedef struct file_job {
    gm_store *s;
    uint64_t seq;
    const unsigned char *data;
    size_t len;
    int rc;
    uint64_t durable_at_open, durable_at_commit, batches_at_open, batches_at_commit;
    atomic_int done;
} file_job;

static void *file_snap_worker(void *arg)
{
    file_job *j = arg;
    gm_err e;
    int fd = -1;
    gm_store_counts c;
    j->rc = gm_store_snapshot_open(j->s, j->seq, &fd, &e);
    if (j->rc != GM_OK)
        goto out;
    gm_store_counts_get(j->s, &c);
    j->durable_at_open = c.durable_seq;
    j->batches_at_open = c.batches;
    for (size_t off = 0; off < j->len;) {
        size_t k = j->len - off < ((size_t)256 << 10) ? j->len - off : (size_t)256 << 10;
        ssize_t w = write(fd, j->data + off, k);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            gm_store_snapshot_abandon(j->s, j->seq, fd);
            j->rc = GM_EIO;
            goto out;
        }
        off += (size_t)w;
    }
    /* The owner has been submitting all along: its records must have been
       committed while the snapshot was open (20 s at most). */
    for (int i = 0; i < 20000; i++) {
        gm_store_counts_get(j->s, &c);
        if (c.durable_seq > j->durable_at_open)
            break;
        usleep(1000);
    }
    j->durable_at_commit = c.durable_seq;
    j->batches_at_commit = c.batches;
    j->rc = gm_store_snapshot_commit(j->s, j->seq, fd, &e);
out:
    atomic_store(&j->done, 1);
    return NULL;
}

/* A worker writes a large snapshot file while the owner keeps submitting:
   the committer goes on committing batches meanwhile. */
static void test_snapshot_file_from_worker(void **state)
{
    (void)state;
    tmp t;
    tmp_make(&t);
    gm_store *s = open_ok(t.dir, NULL);
    submit_range(s, 1, 5000);
    size_t len = (size_t)32 << 20;
    unsigned char *data = pattern(len, 5000);
    file_job j = {.s = s, .seq = 5000, .data = data, .len = len, .rc = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, file_snap_worker, &j), 0);
    uint64_t q = 5001;
    while (!atomic_load(&j.done)) {
        submit_range(s, q, q);
        q++;
        if (q % 64 == 0)
            usleep(50); /* an engine's pace, so batches come and go */
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(j.rc, GM_OK);
    assert_true(j.durable_at_commit > j.durable_at_open);
    assert_true(j.batches_at_commit > j.batches_at_open);
    uint64_t top = q - 1;
    gm_err e;
    assert_int_equal(gm_store_flush(s, GM_STORE_FLUSH_ALL, &e), GM_OK);
    wait_trimmed(s, 5000);
    gm_store_counts c;
    gm_store_counts_get(s, &c);
    assert_int_equal(c.snapshot_seq, 5000);
    assert_int_equal(c.snapshot_bytes, len);
    print_message("    %" PRIu64 " records durable while the snapshot was written, %" PRIu64
                  " batches\n",
                  j.durable_at_commit - j.durable_at_open, j.batches_at_commit - j.batches_at_open);
    close_ok(s);

    s = open_ok(t.dir, NULL);
    got g = {0};
    uint64_t last = 0;
    /* only the snapshot: the records after it are more than got holds */
    assert_int_equal(gm_store_recover(s, got_snapshot, NULL, &g, &last, &e), GM_OK);
    assert_int_equal(g.snap_seq, 5000);
    assert_int_equal(g.snap_len, len);
    assert_memory_equal(g.snap, data, len);
    assert_int_equal(last, top);
    got_free(&g);
    close_ok(s);
    free(data);
    tmp_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_seq_refused),
        cmocka_unit_test(test_snapshot_recover),
        cmocka_unit_test(test_interrupted_trim),
        cmocka_unit_test(test_recover_callback_stops),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_reopen_and_lock),
        cmocka_unit_test(test_bad_open),
        cmocka_unit_test(test_group_commit_gate),
        cmocka_unit_test(test_group_commit_100k),
        cmocka_unit_test(test_snapshot_from_worker),
        cmocka_unit_test(test_fsync_failure),
        cmocka_unit_test(test_snapshot_file_roundtrip),
        cmocka_unit_test(test_snapshot_abandon),
        cmocka_unit_test(test_snapshot_open_range),
        cmocka_unit_test(test_snapshot_commit_waits),
        cmocka_unit_test(test_snapshot_file_trims),
        cmocka_unit_test(test_snapshot_crash_windows),
        cmocka_unit_test(test_snapshot_damage),
        cmocka_unit_test(test_migrate_v2),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_migrate_v3),
        cmocka_unit_test(test_snapshot_record_failure),
        cmocka_unit_test(test_snapshot_file_from_worker),
        cmocka_unit_test(test_snapshot_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
