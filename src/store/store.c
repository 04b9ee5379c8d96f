/*
 * store.c: group commit over a backend (backend.h).
 *
 * Two batches take turns. The owner thread appends copies of records to the
 * `fill` batch under `mu`; the committer swaps it for the empty `spare` one,
 * lets go of `mu`, and writes the whole batch in one backend transaction.
 * Everything submitted while that transaction is being synced lands in the
 * new `fill`, and becomes the next transaction: the batch size adapts to the
 * load by itself, with no timer and no added latency when the load is light.
 *
 * A batch is two growing arrays: record headers with offsets, and one byte
 * buffer holding every key and data back to back. Offsets (not pointers)
 * survive the buffer's realloc; the committer resolves them into
 * gm_store_rec views once the batch is in its hands. (The engine's inbound
 * gm_mpsc would need one allocation per record and give nothing here: the
 * store has one producer, and a mutex taken once per record, almost never
 * contended, costs less than the copy.)
 *
 * A snapshot is a file of its own (snapfile.h), written and synced with no
 * lock held; only recording it takes the backend, for one short
 * transaction, so batches keep committing while a snapshot of any size is
 * written. After a snapshot the committer also trims the log, one short
 * transaction at a time between batches, so that neither the snapshot's
 * caller nor the acknowledgements wait for the deletion of a long log.
 *
 * Locks: `mu` guards the batches, the sequence and snapshot counters, the
 * snapshot in progress and the failure state; `db_mu` serialises calls into
 * the backend (the committer's batches and trims, snapshot records,
 * recovery). A thread holding db_mu may take mu; never the other way
 * round. After a backend write fails, the store writes nothing more: the
 * next batch would leave a gap behind the failed one, and after a failed
 * fsync the file's state is unknown.
 */
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/file.h"
#include "base/time.h"
#include "store/backend.h"
#include "store/crc32c.h"
#include "store/snapfile.h"

#define DEFAULT_BACKLOG_RECORDS ((size_t)65536)
#define DEFAULT_BACKLOG_BYTES ((size_t)64 << 20)
#define DEFAULT_MAX_RECORD ((size_t)16 << 20)
/* Log records deleted per trim transaction. Deleting costs about as much
   per record as inserting (SQLite rewrites every leaf page): a snapshot
   that replaces a million records leaves about a second of work (0.8 s
   measured). The committer does it in chunks of about 1.5 ms between
   batches, so that commits keep their latency and the snapshot's caller
   does not wait. */
#define TRIM_CHUNK ((size_t)2000)

typedef struct pend {
    uint64_t seq;
    uint32_t kind;
    size_t key_off, key_len, data_off, len;
} pend;

typedef struct batch {
    pend *p;
    size_t n, cap;
    unsigned char *bytes;
    size_t used, bcap;
    gm_store_rec *view; /* committer only: p resolved against bytes */
    size_t vcap;
} batch;

struct gm_store {
    const store__backend_ops *ops;
    store__backend *be;
    char *dir; /* where the snapshot files are */
    gm_store_durable_fn on_durable;
    void *ctx;
    size_t backlog_records, backlog_bytes, max_record;

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* committer: records to write, or stop */
    pthread_cond_t done_cv; /* flushers: a batch finished (or failed) */
    batch batches[2];
    batch *fill, *spare; /* spare is NULL while its batch is in flight */
    bool idle, stopping;
    bool busy;      /* the last commit found the next records waiting: under load */
    bool gathering; /* the committer waits for a fuller batch (see gather) */
    int flushers;
    int failed; /* 0, or the code of the failure that stopped writing */
    gm_err fail_err;
    uint64_t last_seq, durable_seq;
    uint64_t pending_recs, pending_bytes;
    gm_store_counts c;

    bool have_snap;
    uint64_t snap_seq;    /* newest snapshot (0 when none) */
    uint64_t snap_bytes;  /* its length */
    bool snap_busy;       /* a snapshot is open (between open and commit)... */
    uint64_t busy_seq;    /* ...at this seq */
    uint64_t file_syncs;  /* syncs of snapshot files and the directory */
    uint64_t trim_target; /* the committer trims the log up to here... */
    uint64_t trim_seq;    /* ...and has got this far */

    pthread_mutex_t db_mu;
    pthread_t thread;
    bool have_thread;
};

static const store__backend_ops *const backends[] = {&store__sqlite_ops};

/* Group commit under load (see gather). */
#define GATHER_RECORDS 256
#define GATHER_NS 1000000L

/* ---- batches --------------------------------------------------------------- */

/* The capacity (doubling from first) and its size in bytes that hold at
   least need elements of elem bytes; GM_ENOMEM when that does not fit. */
static int next_cap(size_t cap, size_t need, size_t first, size_t elem, size_t *ncap,
                    size_t *nbytes)
{
    size_t n = cap ? cap : first;
    while (n < need)
        if (gm_size_mul(n, 2, &n) != GM_OK)
            return GM_ENOMEM;
    if (gm_size_mul(n, elem, nbytes) != GM_OK)
        return GM_ENOMEM;
    *ncap = n;
    return GM_OK;
}

/* Append a copy of r. On failure the batch is unchanged. */
static int batch_push(batch *b, const gm_store_rec *r)
{
    size_t ncap, nbytes, need_b;
    if (b->n == b->cap) {
        if (next_cap(b->cap, b->n + 1, 1024, sizeof *b->p, &ncap, &nbytes) != GM_OK)
            return GM_ENOMEM;
        pend *p = realloc(b->p, nbytes);
        if (!p)
            return GM_ENOMEM;
        b->p = p;
        b->cap = ncap;
    }
    if (gm_size_add(b->used, r->key_len, &need_b) != GM_OK ||
        gm_size_add(need_b, r->len, &need_b) != GM_OK)
        return GM_ENOMEM;
    if (need_b > b->bcap) {
        if (next_cap(b->bcap, need_b, (size_t)64 << 10, 1, &ncap, &nbytes) != GM_OK)
            return GM_ENOMEM;
        unsigned char *bytes = realloc(b->bytes, nbytes);
        if (!bytes)
            return GM_ENOMEM;
        b->bytes = bytes;
        b->bcap = ncap;
    }
    pend *e = &b->p[b->n++];
    e->seq = r->seq;
    e->kind = r->kind;
    e->key_off = b->used;
    e->key_len = r->key_len;
    if (r->key_len)
        memcpy(b->bytes + b->used, r->key, r->key_len);
    b->used += r->key_len;
    e->data_off = b->used;
    e->len = r->len;
    if (r->len)
        memcpy(b->bytes + b->used, r->data, r->len);
    b->used += r->len;
    return GM_OK;
}

static int batch_resolve(batch *b)
{
    if (b->n > b->vcap) {
        size_t ncap, nbytes;
        if (next_cap(b->vcap, b->n, 1024, sizeof *b->view, &ncap, &nbytes) != GM_OK)
            return GM_ENOMEM;
        gm_store_rec *v = realloc(b->view, nbytes);
        if (!v)
            return GM_ENOMEM;
        b->view = v;
        b->vcap = ncap;
    }
    for (size_t i = 0; i < b->n; i++) {
        const pend *e = &b->p[i];
        b->view[i] = (gm_store_rec){
            .seq = e->seq,
            .kind = e->kind,
            .key = (const char *)b->bytes + e->key_off,
            .key_len = e->key_len,
            .data = b->bytes + e->data_off,
            .len = e->len,
        };
    }
    return GM_OK;
}

static void batch_free(batch *b)
{
    free(b->p);
    free(b->bytes);
    free(b->view);
}

/* ---- failure --------------------------------------------------------------- */

/* With mu held: remember the first failure; wake everyone who waits. */
static void fail_locked(gm_store *s, int code, const gm_err *e)
{
    if (s->failed)
        return;
    s->failed = code;
    if (e && e->code == code)
        s->fail_err = *e;
    else
        gm_err_set(&s->fail_err, code, "store", "the store failed: %s", gm_strerror(code));
    /* Nothing after the failed batch may be written: it would leave a gap. */
    s->fill->n = 0;
    s->fill->used = 0;
    pthread_cond_broadcast(&s->done_cv);
}

/* With mu held: report the failure again, to a new caller. */
static int failed_locked(const gm_store *s, gm_err *err)
{
    if (err)
        *err = s->fail_err;
    return s->failed;
}

/* With db_mu held: whether the store has failed. Every writer checks this
   under db_mu, and a failure is recorded before db_mu is released, so no
   write can slip in after the one that failed. */
static bool failed_now(gm_store *s)
{
    pthread_mutex_lock(&s->mu);
    bool f = s->failed != 0;
    pthread_mutex_unlock(&s->mu);
    return f;
}

/* ---- the committer ----------------------------------------------------------- */

/* With mu held (released meanwhile): write the fill batch in one
   transaction, then report it. Returns the batch's size. */
static size_t commit_batch(gm_store *s)
{
    batch *b = s->fill;
    size_t n = b->n;
    s->fill = s->spare;
    s->spare = NULL;
    pthread_mutex_unlock(&s->mu);

    gm_err e;
    gm_err_clear(&e);
    int rc = batch_resolve(b);
    if (rc != GM_OK)
        gm_err_set(&e, rc, "store", "out of memory for a batch of %zu records", b->n);
    pthread_mutex_lock(&s->db_mu);
    bool skip = rc != GM_OK || failed_now(s);
    if (!skip)
        rc = s->ops->append(s->be, b->view, b->n, &e);
    /* the backend's counter is read under db_mu: other threads' calls
       (snapshots, reads) update it */
    uint64_t syncs = s->ops->syncs(s->be);
    pthread_mutex_lock(&s->mu);
    pthread_mutex_unlock(&s->db_mu);
    if (skip && rc == GM_OK)
        rc = s->failed; /* failed meanwhile (snapshot, trim): this batch is dropped */
    else if (!skip)
        s->c.fsyncs = syncs;

    uint64_t top = b->p[b->n - 1].seq;
    if (rc == GM_OK) {
        s->durable_seq = top;
        s->pending_recs -= b->n;
        s->pending_bytes -= b->used;
        s->c.records += b->n;
        s->c.bytes += b->used;
        s->c.batches++;
        if (b->n > s->c.max_batch)
            s->c.max_batch = b->n;
    } else {
        fail_locked(s, rc, &e);
    }
    b->n = 0;
    b->used = 0;
    s->spare = b;
    if (s->flushers)
        pthread_cond_broadcast(&s->done_cv);
    if (rc == GM_OK && s->on_durable) {
        /* Outside the lock: the callback may take its own locks, and the
           owner can keep submitting meanwhile. */
        pthread_mutex_unlock(&s->mu);
        s->on_durable(s->ctx, top);
        pthread_mutex_lock(&s->mu);
    }
    return n;
}

static bool trim_due(const gm_store *s)
{
    return !s->failed && !s->stopping && s->trim_seq < s->trim_target;
}

/* With mu held (released meanwhile): delete one chunk, at most max_rows,
   of the log records that the newest snapshot replaced. */
static void trim_chunk(gm_store *s, size_t max_rows)
{
    uint64_t target = s->trim_target;
    pthread_mutex_unlock(&s->mu);
    gm_err e;
    gm_err_clear(&e);
    bool done = false;
    pthread_mutex_lock(&s->db_mu);
    if (failed_now(s)) {
        pthread_mutex_unlock(&s->db_mu);
        pthread_mutex_lock(&s->mu);
        return;
    }
    int rc = s->ops->trim(s->be, target, max_rows, &done, &e);
    pthread_mutex_lock(&s->mu);
    s->c.fsyncs = s->ops->syncs(s->be);
    pthread_mutex_unlock(&s->db_mu);
    if (rc != GM_OK)
        fail_locked(s, rc, &e);
    else if (done)
        s->trim_seq = target;
}

/* Under load, a small batch waits up to GATHER_NS for GATHER_RECORDS (with
   mu held; released meanwhile). Each commit costs an fsync and rewrites
   the log's last pages whatever its size: when records come in faster
   than commits finish, batches of a few dozen spend the CPU the writer
   needs on commits. Never while idle (the last commit found nothing
   waiting: a lone request is not delayed), nor for a flush or a close. */
static void gather(gm_store *s)
{
    if (!s->busy || s->fill->n >= GATHER_RECORDS)
        return;
    struct timespec until;
    if (!gm_time_deadline(GATHER_NS, &until))
        return;
    s->gathering = true;
    while (s->fill->n < GATHER_RECORDS && !s->stopping && !s->flushers && !s->failed)
        if (pthread_cond_timedwait(&s->work_cv, &s->mu, &until) == ETIMEDOUT)
            break;
    s->gathering = false;
}

static void *committer(void *arg)
{
    gm_store *s = arg;
    pthread_setname_np(pthread_self(), "gemel-commit");
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->fill->n == 0 && !s->stopping && !trim_due(s)) {
            s->idle = true;
            s->busy = false;
            pthread_cond_wait(&s->work_cv, &s->mu);
            s->idle = false;
        }
        size_t n = 0;
        if (s->fill->n > 0) {
            gather(s);
            n = commit_batch(s);
            s->busy = s->fill->n > 0;
        }
        else if (s->stopping)
            break; /* everything is written; trimming can wait for the next open */
        /* A chunk after each batch too, twice the batch's size, so that
           trimming outpaces the log's growth even when the store is
           saturated; idle, small chunks keep the next commit waiting
           little. */
        if (trim_due(s))
            trim_chunk(s, n > TRIM_CHUNK / 2 ? 2 * n : TRIM_CHUNK);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- open and close ------------------------------------------------------------ */

static void free_store(gm_store *s)
{
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->work_cv);
    pthread_mutex_destroy(&s->db_mu);
    pthread_mutex_destroy(&s->mu);
    batch_free(&s->batches[0]);
    batch_free(&s->batches[1]);
    free(s->dir);
    free(s);
}

gm_store *gm_store_open(const char *dir, const gm_store_opts *opts, gm_err *err)
{
    static const gm_store_opts none;
    if (!opts)
        opts = &none;
    if (!dir || !dir[0]) {
        gm_err_set(err, GM_EINVAL, "dir", "expected a directory path, got %s",
                   dir ? "\"\"" : "NULL");
        return NULL;
    }
    const store__backend_ops *ops = NULL;
    const char *want = opts->backend ? opts->backend : "sqlite";
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, want) == 0)
            ops = backends[i];
    if (!ops) {
        gm_err_set(err, GM_EUNSUPPORTED, "backend", "unknown store backend \"%s\" (expected \"sqlite\")",
                   want);
        return NULL;
    }
    size_t backlog_records = opts->backlog_records ? opts->backlog_records : DEFAULT_BACKLOG_RECORDS;
    size_t backlog_bytes = opts->backlog_bytes ? opts->backlog_bytes : DEFAULT_BACKLOG_BYTES;
    size_t max_record = opts->max_record_bytes;
    if (!max_record)
        max_record = DEFAULT_MAX_RECORD < backlog_bytes ? DEFAULT_MAX_RECORD : backlog_bytes;
    /* The limits keep every sum of pending sizes far from overflow. */
    if (backlog_bytes > (SIZE_MAX >> 2) || backlog_records > (SIZE_MAX >> 8)) {
        gm_err_set(err, GM_EINVAL, "backlog", "backlog of %zu records / %zu bytes is too large",
                   backlog_records, backlog_bytes);
        return NULL;
    }
    if (max_record > GM_STORE_VALUE_MAX || max_record > backlog_bytes) {
        gm_err_set(err, GM_EINVAL, "max_record_bytes",
                   "expected at most %zu (and at most backlog_bytes %zu), got %zu",
                   (size_t)GM_STORE_VALUE_MAX, backlog_bytes, max_record);
        return NULL;
    }

    gm_store *s = calloc(1, sizeof *s);
    if (!s) {
        gm_err_set(err, GM_ENOMEM, dir, "out of memory for the store");
        return NULL;
    }
    int n_init = 0;
    if (pthread_mutex_init(&s->mu, NULL) != 0 || (++n_init, pthread_mutex_init(&s->db_mu, NULL)) != 0 ||
        (++n_init, gm_time_cond_init(&s->work_cv)) != 0 ||
        (++n_init, pthread_cond_init(&s->done_cv, NULL)) != 0) {
        /* Tear down exactly what was set up. */
        if (n_init > 2)
            pthread_cond_destroy(&s->work_cv);
        if (n_init > 1)
            pthread_mutex_destroy(&s->db_mu);
        if (n_init > 0)
            pthread_mutex_destroy(&s->mu);
        free(s);
        gm_err_set(err, GM_ENOMEM, dir, "cannot create the store's locks");
        return NULL;
    }
    s->ops = ops;
    s->on_durable = opts->on_durable;
    s->ctx = opts->ctx;
    s->backlog_records = backlog_records;
    s->backlog_bytes = backlog_bytes;
    s->max_record = max_record;
    s->fill = &s->batches[0];
    s->spare = &s->batches[1];

    store__open_info info;
    if (ops->open(dir, !opts->must_exist, &s->be, &info, err) != GM_OK)
        goto fail;
    /* Snapshot files are found by path: an absolute one, so that the
       application may change its working directory. */
    s->dir = realpath(dir, NULL);
    if (!s->dir) {
        gm_err_errno(err, errno == ENOMEM ? GM_ENOMEM : GM_EIO, errno, dir,
                     "cannot resolve the store directory's path");
        goto fail;
    }
    if (strlen(s->dir) + 1 + STORE__SNAPFILE_NAME_MAX > PATH_MAX) {
        gm_err_set(err, GM_ELIMIT, s->dir, "path too long for snapshot files (at most %d bytes)",
                   PATH_MAX - 1 - STORE__SNAPFILE_NAME_MAX);
        goto fail;
    }
    /* The name is checked before anything is deleted on its account. */
    if (info.has_snap &&
        store__snapfile_check(info.snap_seq, info.snap_file, s->dir, err) != GM_OK)
        goto fail;
    /* The directory is locked: whatever snapshot file the database does not
       name was left by a crash or a failed snapshot. */
    store__snapfile_clean(s->dir, info.has_snap ? info.snap_file : NULL);
    s->last_seq = s->durable_seq = info.last_seq;
    s->have_snap = info.has_snap != 0;
    s->snap_seq = info.snap_seq;
    s->snap_bytes = info.has_snap ? info.snap_bytes : 0;
    /* A crash while trimming leaves records that the snapshot replaced
       (recovery skips them): the committer finishes the job. */
    s->trim_target = info.snap_seq;
    s->c.fsyncs = ops->syncs(s->be);

    /* The committer must not receive the application's signals (SIGINT,
       SIGTERM...): block them all while creating it, so it inherits that. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, committer, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        gm_err_errno(err, GM_ENOMEM, rc, dir, "cannot start the committer thread");
        goto fail;
    }
    s->have_thread = true;
    return s;

fail:
    ops->close(s->be);
    free_store(s);
    return NULL;
}

int gm_store_close(gm_store *s, gm_err *err)
{
    if (!s)
        return GM_OK;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    if (s->have_thread)
        pthread_join(s->thread, NULL);
    /* The committer is gone: no lock needed any more. */
    int rc = s->failed ? failed_locked(s, err) : GM_OK;
    s->ops->close(s->be);
    free_store(s);
    return rc;
}

/* ---- writing --------------------------------------------------------------------- */

/* Checks that need no lock: pointers and sizes. */
static int check_rec(const gm_store *s, const gm_store_rec *r, gm_err *err)
{
    if ((!r->key && r->key_len) || (!r->data && r->len))
        return gm_err_set(err, GM_EINVAL, "record", "seq %" PRIu64 ": NULL %s with length %zu",
                          r->seq, !r->key && r->key_len ? "key" : "data",
                          !r->key && r->key_len ? r->key_len : r->len);
    if (r->key_len > GM_STORE_KEY_MAX)
        return gm_err_set(err, GM_ELIMIT, "record", "seq %" PRIu64 ": key of %zu bytes (at most %zu)",
                          r->seq, r->key_len, GM_STORE_KEY_MAX);
    if (r->len > s->max_record || r->key_len > s->max_record - r->len)
        return gm_err_set(err, GM_ELIMIT, "record",
                          "seq %" PRIu64 ": key of %zu and data of %zu bytes exceed the record limit "
                          "of %zu bytes together",
                          r->seq, r->key_len, r->len, s->max_record);
    return GM_OK;
}

static int seq_error(uint64_t expected, uint64_t got, gm_err *err)
{
    if (expected > GM_STORE_SEQ_MAX)
        return gm_err_set(err, GM_ERANGE, "seq", "sequence numbers are exhausted (at most %" PRIu64 ")",
                          GM_STORE_SEQ_MAX);
    return gm_err_set(err, GM_EINVAL, "seq",
                      "expected %" PRIu64 " (one after the last accepted %" PRIu64 "), got %" PRIu64
                      ": the log must be gap-free and increasing",
                      expected, expected - 1, got);
}

int gm_store_submit(gm_store *s, const gm_store_rec *r, gm_err *err)
{
    if (!s || !r)
        return gm_err_set(err, GM_EINVAL, "gm_store_submit", "store and record must not be NULL");
    int rc = check_rec(s, r, err);
    if (rc != GM_OK)
        return rc;
    size_t size = r->key_len + r->len;
    pthread_mutex_lock(&s->mu);
    if (s->failed) {
        rc = failed_locked(s, err);
    } else if (r->seq != s->last_seq + 1 || r->seq > GM_STORE_SEQ_MAX) {
        rc = seq_error(s->last_seq + 1, r->seq, err);
    } else if (s->pending_recs + 1 > s->backlog_records ||
               s->pending_bytes + size > s->backlog_bytes) {
        rc = gm_err_set(err, GM_EAGAIN, "backlog",
                        "%" PRIu64 " records (%" PRIu64 " bytes) wait for disk; the backlog holds %zu (%zu bytes)",
                        s->pending_recs, s->pending_bytes, s->backlog_records, s->backlog_bytes);
    } else if (batch_push(s->fill, r) != GM_OK) {
        rc = gm_err_set(err, GM_ENOMEM, "record", "seq %" PRIu64 ": out of memory for the batch",
                        r->seq);
    } else {
        s->last_seq = r->seq;
        s->pending_recs++;
        s->pending_bytes += size;
        if (s->idle || (s->gathering && s->fill->n >= GATHER_RECORDS))
            pthread_cond_signal(&s->work_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int gm_store_flush(gm_store *s, uint64_t seq, gm_err *err)
{
    if (!s)
        return gm_err_set(err, GM_EINVAL, "gm_store_flush", "store must not be NULL");
    int rc = GM_OK;
    pthread_mutex_lock(&s->mu);
    if (seq == GM_STORE_FLUSH_ALL)
        seq = s->last_seq;
    if (seq > s->last_seq) {
        rc = gm_err_set(err, GM_EINVAL, "seq",
                        "cannot flush up to %" PRIu64 ": only %" PRIu64 " was submitted", seq,
                        s->last_seq);
    } else {
        while (s->durable_seq < seq && !s->failed) {
            s->flushers++;
            if (s->gathering) /* a flush does not wait for company */
                pthread_cond_signal(&s->work_cv);
            pthread_cond_wait(&s->done_cv, &s->mu);
            s->flushers--;
        }
        if (s->durable_seq < seq)
            rc = failed_locked(s, err);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int gm_store_append(gm_store *s, const gm_store_rec *recs, size_t n, gm_err *err)
{
    if (!s || (!recs && n))
        return gm_err_set(err, GM_EINVAL, "gm_store_append", "store and records must not be NULL");
    if (n == 0)
        return GM_OK;
    for (size_t i = 0; i < n; i++) {
        int rc = check_rec(s, &recs[i], err);
        if (rc != GM_OK)
            return rc;
    }
    int rc = GM_OK;
    pthread_mutex_lock(&s->mu);
    size_t old_n = s->fill->n, old_used = s->fill->used;
    uint64_t bytes = 0;
    if (s->failed) {
        rc = failed_locked(s, err);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t want = s->last_seq + 1 + i;
        if (recs[i].seq != want || want > GM_STORE_SEQ_MAX) {
            rc = seq_error(want, recs[i].seq, err);
            goto fail;
        }
        if (batch_push(s->fill, &recs[i]) != GM_OK) {
            rc = gm_err_set(err, GM_ENOMEM, "record", "seq %" PRIu64 ": out of memory for the batch",
                            recs[i].seq);
            goto fail;
        }
        bytes += recs[i].key_len + recs[i].len;
    }
    /* All n are in one batch now, so the committer writes them in one
       transaction: all or nothing. */
    s->last_seq += n;
    s->pending_recs += n;
    s->pending_bytes += bytes;
    if (s->idle)
        pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    return gm_store_flush(s, recs[n - 1].seq, err);

fail:
    /* Take back the records of this call that were copied already. */
    s->fill->n = old_n;
    s->fill->used = old_used;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- snapshots --------------------------------------------------------------------- */

static void snap_end(gm_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->snap_busy = false;
    pthread_mutex_unlock(&s->mu);
}

int gm_store_snapshot_open(gm_store *s, uint64_t seq, int *fd, gm_err *err)
{
    if (fd)
        *fd = -1;
    if (!s || !fd)
        return gm_err_set(err, GM_EINVAL, "gm_store_snapshot_open",
                          "store and fd must not be NULL");
    int rc = GM_OK;
    pthread_mutex_lock(&s->mu);
    if (s->failed)
        rc = failed_locked(s, err);
    else if (seq < s->snap_seq || seq > s->last_seq)
        rc = gm_err_set(err, GM_EINVAL, "seq",
                        "snapshot at seq %" PRIu64 ": expected %" PRIu64
                        " (the newest snapshot) to %" PRIu64 " (the last accepted record)",
                        seq, s->snap_seq, s->last_seq);
    else if (s->snap_busy)
        rc = gm_err_set(err, GM_ECONFLICT, "snapshot",
                        "cannot start a snapshot at seq %" PRIu64 ": the one at seq %" PRIu64
                        " is in progress (one at a time)",
                        seq, s->busy_seq);
    else {
        s->snap_busy = true;
        s->busy_seq = seq;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != GM_OK)
        return rc;
    rc = store__snapfile_create(s->dir, seq, fd, err);
    if (rc != GM_OK)
        snap_end(s);
    return rc;
}

int gm_store_snapshot_copy(gm_store *s, uint64_t from, uint64_t off, uint64_t len, int fd,
                           gm_err *err)
{
    if (!s || fd < 0)
        return gm_err_set(err, GM_EINVAL, "gm_store_snapshot_copy",
                          "store must not be NULL, fd must be open");
    int rc = GM_OK;
    pthread_mutex_lock(&s->mu);
    if (!s->snap_busy)
        rc = gm_err_set(err, GM_EINVAL, "snapshot", "no snapshot is open to copy into");
    else if (!s->have_snap || s->snap_seq != from)
        rc = gm_err_set(err, GM_EINVAL, "snapshot",
                        "cannot copy from the snapshot at seq %" PRIu64
                        ": it is not the newest stored one",
                        from);
    else if (off > s->snap_bytes || len > s->snap_bytes - off)
        rc = gm_err_set(err, GM_EINVAL, "snapshot",
                        "bytes %" PRIu64 " to %" PRIu64 " are past the end of the snapshot at seq %"
                        PRIu64 " (%" PRIu64 " bytes)",
                        off, off + len, from, s->snap_bytes);
    pthread_mutex_unlock(&s->mu);
    /* the newest snapshot's file stays until a newer one is committed, and
       only the caller commits one now (snap_busy) */
    return rc != GM_OK ? rc : store__snapfile_copy(s->dir, from, off, len, fd, err);
}

void gm_store_snapshot_abandon(gm_store *s, uint64_t seq, int fd)
{
    if (fd >= 0)
        close(fd);
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    bool mine = s->snap_busy && s->busy_seq == seq;
    pthread_mutex_unlock(&s->mu);
    /* Another seq's .tmp may be the file of a snapshot still being written:
       leave it (the next open removes it if it is left over). */
    if (!mine)
        return;
    store__snapfile_remove(s->dir, seq, true);
    snap_end(s);
}

/* The snapshot at seq, written to fd, is complete: commit it as
   gm_store_snapshot_commit says, with the snapshot known to be open at seq
   and fd >= 0. */
static int snapshot_commit(gm_store *s, uint64_t seq, int fd, gm_err *err)
{
    char tmp[PATH_MAX];
    gm_err e;
    gm_err_clear(&e);
    uint64_t bytes = 0, syncs = 0;
    uint32_t crc = 0;
    int rc;
    /* The snapshot replaces the records up to seq: they must be on disk
       before it is, or a crash could leave neither. */
    if ((rc = gm_store_flush(s, seq, err)) != GM_OK ||
        (rc = store__snapfile_path(tmp, sizeof tmp, s->dir, seq, true, err)) != GM_OK ||
        (rc = store__snapfile_size(fd, tmp, &bytes, err)) != GM_OK)
        goto abandon;
    if (bytes > GM_STORE_SNAPSHOT_MAX) {
        rc = gm_err_set(err, GM_ELIMIT, tmp, "snapshot of %" PRIu64 " bytes (at most %zu)", bytes,
                        (size_t)GM_STORE_SNAPSHOT_MAX);
        goto abandon;
    }
    /* The checksum of the file as written, read back: it covers whatever
       wrote it (the producer, a copy in the kernel). Recovery refuses a
       file that no longer matches it. */
    if ((rc = store__snapfile_crc_path(tmp, bytes, &crc, err)) != GM_OK)
        goto abandon;
    pthread_mutex_lock(&s->mu);
    bool same = s->have_snap && s->snap_seq == seq;
    if (same)
        s->c.snapshots++;
    pthread_mutex_unlock(&s->mu);
    if (same)
        goto abandon; /* rc is GM_OK: the snapshot there stands for this one */

    /* Synced and renamed with no lock held: at a million twins this is
       seconds of I/O, and the committer goes on meanwhile. */
    rc = store__snapfile_publish(s->dir, seq, fd, &syncs, &e);
    close(fd);
    fd = -1;
    pthread_mutex_lock(&s->mu);
    s->file_syncs += syncs;
    pthread_mutex_unlock(&s->mu);
    if (rc != GM_OK)
        goto failed;

    char name[STORE__SNAPFILE_NAME_MAX];
    store__snapfile_name(name, seq, false);
    pthread_mutex_lock(&s->db_mu);
    pthread_mutex_lock(&s->mu);
    if (s->failed) {
        /* The file is complete but the database will never name it. */
        rc = failed_locked(s, err);
        s->snap_busy = false;
        pthread_mutex_unlock(&s->mu);
        pthread_mutex_unlock(&s->db_mu);
        store__snapfile_remove(s->dir, seq, false);
        return rc;
    }
    pthread_mutex_unlock(&s->mu);
    rc = s->ops->snapshot(s->be, seq, name, bytes, crc, &e);
    pthread_mutex_lock(&s->mu);
    s->c.fsyncs = s->ops->syncs(s->be);
    pthread_mutex_unlock(&s->db_mu);
    bool had = s->have_snap;
    uint64_t old = s->snap_seq;
    if (rc == GM_OK) {
        s->c.snapshots++;
        s->have_snap = true;
        s->snap_seq = seq;
        s->snap_bytes = bytes;
        s->trim_target = seq;
        if (s->idle)
            pthread_cond_signal(&s->work_cv);
    } else {
        /* A failed commit may still have reached the disk: the new file
           stays, and whichever snapshot the database names after a restart
           keeps its file (the next open removes the other). Nothing more is
           written: after a failed fsync the database's state is unknown. */
        fail_locked(s, rc, &e);
    }
    s->snap_busy = false;
    pthread_mutex_unlock(&s->mu);
    if (rc != GM_OK) {
        if (err)
            *err = e;
        return rc;
    }
    /* The database names the new file: the old one is garbage now (a crash
       before this unlink leaves it to the next open). */
    if (had)
        store__snapfile_remove(s->dir, old, false);
    return GM_OK;

failed:
    /* The sync, rename or directory sync failed: as a failed commit, this
       fails the store. The file was never recorded, so it can go. */
    pthread_mutex_lock(&s->mu);
    fail_locked(s, rc, &e);
    s->snap_busy = false;
    pthread_mutex_unlock(&s->mu);
    store__snapfile_remove(s->dir, seq, true);
    store__snapfile_remove(s->dir, seq, false);
    if (err)
        *err = e;
    return rc;

abandon:
    close(fd);
    store__snapfile_remove(s->dir, seq, true);
    snap_end(s);
    return rc;
}

int gm_store_snapshot_commit(gm_store *s, uint64_t seq, int fd, gm_err *err)
{
    if (!s) {
        if (fd >= 0)
            close(fd);
        return gm_err_set(err, GM_EINVAL, "gm_store_snapshot_commit", "store must not be NULL");
    }
    pthread_mutex_lock(&s->mu);
    bool busy = s->snap_busy;
    uint64_t busy_seq = s->busy_seq;
    pthread_mutex_unlock(&s->mu);
    if (busy && busy_seq == seq && fd >= 0)
        return snapshot_commit(s, seq, fd, err);

    /* A caller's mistake: the descriptor is ours to close, and the snapshot
       in progress cannot be committed any more (its descriptor is most
       likely the one just closed). */
    if (fd >= 0)
        close(fd);
    if (busy) {
        store__snapfile_remove(s->dir, busy_seq, true);
        snap_end(s);
    }
    if (!busy)
        return gm_err_set(err, GM_EINVAL, "snapshot",
                          "no snapshot is open at seq %" PRIu64 " (gm_store_snapshot_open first)",
                          seq);
    if (busy_seq != seq)
        return gm_err_set(err, GM_EINVAL, "seq",
                          "commit at seq %" PRIu64 ", but the snapshot open is at seq %" PRIu64
                          " (abandoned)",
                          seq, busy_seq);
    /* here fd < 0: a snapshot open at seq with a descriptor commits above */
    return gm_err_set(err, GM_EINVAL, "fd", "expected the snapshot's descriptor, got a negative one");
}

int gm_store_snapshot(gm_store *s, uint64_t seq, const void *data, size_t len, gm_err *err)
{
    if (!s || (!data && len))
        return gm_err_set(err, GM_EINVAL, "gm_store_snapshot",
                          "store must not be NULL, nor data with a length");
    if (len > GM_STORE_SNAPSHOT_MAX)
        return gm_err_set(err, GM_ELIMIT, "snapshot", "%zu bytes (at most %zu)", len,
                          (size_t)GM_STORE_SNAPSHOT_MAX);
    int fd;
    int rc = gm_store_snapshot_open(s, seq, &fd, err);
    if (rc != GM_OK)
        return rc;
    char tmp[PATH_MAX];
    if ((rc = store__snapfile_path(tmp, sizeof tmp, s->dir, seq, true, err)) != GM_OK ||
        (rc = gm_file_write_all(fd, data, len, tmp, err)) != GM_OK) {
        /* nothing durable happened: a full disk is not the store's failure */
        gm_store_snapshot_abandon(s, seq, fd);
        return rc;
    }
    return gm_store_snapshot_commit(s, seq, fd, err);
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct snap_delivery {
    const gm_store *s;
    gm_store_snapshot_fn fn;
    void *ctx;
} snap_delivery;

/* The backend found the newest snapshot's record: check the name, map the
   file, check its checksum and hand it to the caller's callback. */
static int deliver_snapshot(void *arg, uint64_t seq, const char *file, uint64_t bytes,
                            uint32_t crc, gm_err *err)
{
    const snap_delivery *d = arg;
    store__snapmap m;
    int rc;
    if ((rc = store__snapfile_check(seq, file, d->s->dir, err)) != GM_OK ||
        (rc = store__snapfile_map(d->s->dir, seq, bytes, &m, err)) != GM_OK)
        return rc;
    uint32_t got = store__crc32c(0, m.data, m.len);
    if (got != crc) {
        store__snapfile_unmap(&m);
        char path[PATH_MAX];
        if (store__snapfile_path(path, sizeof path, d->s->dir, seq, false, NULL) != GM_OK)
            path[0] = '\0';
        return gm_err_set(err, GM_EIO, path,
                          "damaged gemel store: the snapshot file %s does not match its checksum"
                          " (CRC-32C %08" PRIx32 ", recorded %08" PRIx32
                          "): it changed after it was written",
                          path, got, crc);
    }
    rc = d->fn ? d->fn(d->ctx, seq, m.data, m.len) : 0;
    store__snapfile_unmap(&m);
    if (rc != 0) {
        char path[PATH_MAX];
        if (store__snapfile_path(path, sizeof path, d->s->dir, seq, false, NULL) != GM_OK)
            path[0] = '\0';
        return gm_err_set(err, rc < 0 ? rc : GM_EINVAL, path,
                          "recovery stopped by the snapshot callback at seq %" PRIu64, seq);
    }
    return GM_OK;
}

int gm_store_recover(gm_store *s, gm_store_snapshot_fn on_snapshot, gm_store_record_fn on_record,
                     void *ctx, uint64_t *last_seq, gm_err *err)
{
    if (!s)
        return gm_err_set(err, GM_EINVAL, "gm_store_recover", "store must not be NULL");
    int rc = gm_store_flush(s, GM_STORE_FLUSH_ALL, err);
    if (rc != GM_OK)
        return rc;
    snap_delivery d = {.s = s, .fn = on_snapshot, .ctx = ctx};
    pthread_mutex_lock(&s->db_mu);
    /* The snapshot record and the log are read in one transaction, and a
       snapshot commit (which takes db_mu) cannot switch files meanwhile. */
    rc = s->ops->recover(s->be, deliver_snapshot, &d, on_record, ctx, last_seq, err);
    uint64_t syncs = s->ops->syncs(s->be);
    pthread_mutex_unlock(&s->db_mu);
    pthread_mutex_lock(&s->mu);
    s->c.fsyncs = syncs;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int gm_store_read(gm_store *s, uint64_t after, size_t max, gm_store_record_fn on_record, void *ctx,
                  uint64_t *last_seq, gm_err *err)
{
    if (last_seq)
        *last_seq = after;
    if (!s || !on_record || max == 0)
        return gm_err_set(err, GM_EINVAL, "gm_store_read",
                          "store and callback must not be NULL, max at least 1");
    pthread_mutex_lock(&s->mu);
    uint64_t upto = s->durable_seq, snap = s->snap_seq;
    pthread_mutex_unlock(&s->mu);
    if (after >= upto)
        return GM_OK;
    uint64_t last = after;
    pthread_mutex_lock(&s->db_mu);
    int rc = s->ops->read(s->be, after, upto, max, on_record, ctx, &last, err);
    pthread_mutex_unlock(&s->db_mu);
    if (rc == GM_ERANGE && err)
        gm_err_set(err, GM_ERANGE, "log",
                   "the events up to %llu were replaced by the snapshot at seq %llu; read after"
                   " %llu or later",
                   (unsigned long long)snap, (unsigned long long)snap, (unsigned long long)snap);
    if (last_seq)
        *last_seq = last;
    return rc;
}

uint64_t gm_store_last_seq(const gm_store *s)
{
    return s ? s->last_seq : 0;
}

void gm_store_counts_get(gm_store *s, gm_store_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    *out = s->c;
    out->fsyncs += s->file_syncs;
    out->durable_seq = s->durable_seq;
    out->last_seq = s->last_seq;
    out->pending = s->pending_recs;
    out->snapshot_seq = s->snap_seq;
    out->trimmed_seq = s->trim_seq;
    out->snapshot_bytes = s->snap_bytes;
    pthread_mutex_unlock(&s->mu);
}
