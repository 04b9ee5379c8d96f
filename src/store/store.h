/*
 * store.h: gemel's durable change log, with group commit, snapshots and
 * recovery (DESIGN.md section 2, "Durability before acknowledgement").
 *
 * The engine turns every accepted change into an event with a global,
 * gap-free sequence number and hands it to the store as a record. The store
 * copies it into a pending batch and returns at once; a committer thread
 * writes everything pending in one transaction, makes it durable (fsync),
 * and then reports the highest durable sequence number through on_durable.
 * The engine acknowledges a write only once its event is durable. Because a
 * transaction carries every record that arrived while the previous one was
 * being synced, the cost of an fsync is shared by the whole batch: that is
 * group commit. Under load (the last commit found records waiting), a batch
 * of fewer than 256 records waits up to 1 ms for more; a lone record, a
 * flush and a close never wait. Snapshots of the engine's state bound how much log a
 * recovery has to replay.
 *
 * Guarantees, after any crash (process killed, power lost; the latter as far
 * as the disk honours fsync):
 *   - every record whose seq was reported durable (on_durable, gm_store_flush,
 *     gm_store_append) is there, with its exact bytes;
 *   - each batch is all or nothing: no record is ever half-written, and the
 *     records present are gap-free, 1 .. last (or S+1 .. last after the
 *     newest snapshot S);
 *   - records that were submitted but never reported durable may or may not
 *     be there (a commit whose fsync failed, or that the crash interrupted
 *     after the write, can still surface at recovery), always as a whole
 *     batch at the end of the log, never with a gap before it.
 *
 * Integrity. Every log record and every snapshot file carries a CRC-32C
 * checksum, written with it and verified whenever it is read back
 * (recovery, gm_store_read): bytes changed on disk, even without changing
 * a length, are refused with "damaged gemel store", never replayed.
 *
 * Backend. The default (and for now only) backend is SQLite: one database
 * file, dir/gemel.db, in WAL mode with synchronous=FULL (every commit fsyncs
 * the WAL; NORMAL would survive a process crash but lose the last
 * transactions on power loss), and a lock file, dir/gemel.lock, held with
 * flock while the store is open. The newest snapshot is a file of its own,
 * dir/snapshot-<seq>, which the database records (name and length) in a
 * short transaction; a snapshot being written is dir/snapshot-<seq>.tmp.
 * Opening the store removes every snapshot-<n>.tmp and every snapshot-<n>
 * that the database does not record as the newest (left by a crash or a
 * failed snapshot), and nothing else. The store code above the backend
 * (batches, sequence checks, snapshot files, the committer thread) knows
 * nothing of SQLite, so another backend (PostgreSQL) can be added behind
 * the same API.
 *
 * Threads. A gm_store has one owner thread (the engine's writer thread):
 * gm_store_submit, gm_store_append, gm_store_recover, gm_store_last_seq and
 * gm_store_close must only be called from it (or from threads that take
 * turns with outside synchronisation). gm_store_flush, gm_store_snapshot and
 * gm_store_snapshot_open / _commit / _abandon may also be called from one
 * other thread at a time (a worker writing a snapshot while the owner goes
 * on submitting; one snapshot may be opened on the owner and committed on
 * the worker), never during gm_store_close. gm_store_counts_get may be
 * called from any thread. The store runs one thread of its own, the
 * committer, which writes batches, trims the log after snapshots, and calls
 * on_durable.
 *
 * Memory: the records waiting for disk, at most the backlog (opts), held
 * in two batches whose buffers are kept for reuse, so up to about twice the
 * backlog's bytes at the high-water mark.
 *
 * Sequence numbers are 1 .. GM_STORE_SEQ_MAX. Each record's seq must be
 * exactly one more than the last one the store accepted (0 for an empty
 * store): the store refuses gaps, repeats and going backwards.
 */
#ifndef GM_STORE_STORE_H
#define GM_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct gm_store gm_store;

/* Largest sequence number (SQLite integers are signed 64-bit). */
#define GM_STORE_SEQ_MAX ((uint64_t)INT64_MAX)
/* Longest record key, in bytes. */
#define GM_STORE_KEY_MAX ((size_t)65536)
/* Hard ceiling for opts.max_record_bytes, in bytes: 512 MiB, well inside
   SQLite's limit on a row (SQLITE_MAX_LENGTH, 10^9 by default;
   gm_store_open checks the library it runs with). */
#define GM_STORE_VALUE_MAX ((size_t)1 << 29)

/* Largest snapshot, in bytes (64 GiB; a file of its own, so not bound by
   the database's limit on a value). */
#define GM_STORE_SNAPSHOT_MAX ((size_t)1 << 36)
/* gm_store_flush: wait for every record submitted so far. */
#define GM_STORE_FLUSH_ALL UINT64_MAX

/*
 * One change-log record. The store never interprets key or data (the engine
 * puts JSON text in data); both are arbitrary bytes, stored and returned
 * exactly. key may be NULL only when key_len is 0, data only when len is 0.
 * When handed to the store the bytes are copied: the caller keeps ownership.
 * When handed out by gm_store_recover, key and data point into the store's
 * memory, valid only during the callback, never NULL ("" when empty) and not
 * NUL-terminated.
 */
typedef struct gm_store_rec {
    uint64_t seq;
    uint32_t kind; /* the engine's event type; opaque to the store */
    const char *key;
    size_t key_len;
    const void *data;
    size_t len;
} gm_store_rec;

/*
 * Called on the committer thread after each successful commit, with the
 * highest durable seq; successive calls get strictly increasing seqs. ctx
 * is gm_store_opts.ctx. It must be quick (the next commit waits for it) and
 * must not call any gm_store function on this store except
 * gm_store_counts_get (flush or close from here would wait for the thread
 * that is running the callback). Typically it posts the seq to the engine's
 * inbound queue.
 */
typedef void (*gm_store_durable_fn)(void *ctx, uint64_t seq);

typedef struct gm_store_opts {
    gm_store_durable_fn on_durable; /* may be NULL */
    void *ctx;                      /* passed to on_durable */
    /* Most records, and most key + data bytes, submitted but not yet durable;
       gm_store_submit returns GM_EAGAIN beyond either. 0: the defaults,
       65536 records and 64 MiB. */
    size_t backlog_records;
    size_t backlog_bytes;
    /* Largest key_len + len of one record (GM_ELIMIT beyond). 0: 16 MiB.
       At most GM_STORE_VALUE_MAX and at most the backlog's bytes. */
    size_t max_record_bytes;
    /* Backend name: NULL or "sqlite" (the only one so far). */
    const char *backend;
    /* Open only a store that exists: never create the directory or the
       store in it (GM_ENOENT instead), for readers, so that a mistyped
       path is an error rather than a new empty store. */
    bool must_exist;
} gm_store_opts;

/*
 * Open the store kept in directory dir, creating the directory (mode 0700,
 * with missing parents) and an empty store in it when they do not exist
 * (unless opts->must_exist: then GM_ENOENT, and nothing is created).
 * opts may be NULL (all defaults); it is copied, but opts->ctx must stay
 * valid until gm_store_close. Starts the committer thread (with every signal
 * blocked, so that signals go to the application's threads).
 *
 * The directory is locked for as long as the store is open: a second open,
 * from this process or another, fails with GM_ECONFLICT until the first is
 * closed (or its process has died: the lock goes with it). A store left by a
 * crash needs nothing special: opening it recovers the database, removes
 * stray snapshot files (see Backend above), and gm_store_recover then
 * replays it. A store written by an earlier gemel is upgraded on open
 * (logged at info level): one with schema version 3 (no checksums) to
 * version 4 in one transaction that checksums every log record and the
 * newest snapshot's file; one with version 2 (snapshots inside the
 * database) first to version 3: its newest snapshot is written out to
 * dir/snapshot-<seq>, then one transaction switches the schema. A crash
 * during an upgrade leaves the store before or after it, both readable.
 *
 * Returns the store (the caller owns it: gm_store_close), or NULL with err
 * (may be NULL) filled:
 *   GM_EINVAL       dir NULL or empty, bad options, or dir/gemel.db is not a
 *                   gemel store (another SQLite database, or not one at all);
 *   GM_ECONFLICT    the directory is locked by another open store;
 *   GM_EUNSUPPORTED unknown backend, or the store was written by a newer
 *                   gemel (its schema version is higher than this one's)
 *                   or by an early development one (version 1);
 *   GM_EIO          the directory, lock file or database could not be
 *                   created or read, or dir is not a directory (the message
 *                   carries the path and errno or sqlite3_errmsg); the
 *                   database is damaged (for instance it names a snapshot
 *                   file other than snapshot-<its seq>); upgrading an
 *                   older store failed (nothing changed in it: its
 *                   snapshot file is missing or of another length, say);
 *   GM_ENOENT       must_exist, and dir holds no store (the message says
 *                   whether the directory itself is missing);
 *   GM_ELIMIT       the path is longer than PATH_MAX allows;
 *   GM_ENOMEM.
 */
gm_store *gm_store_open(const char *dir, const gm_store_opts *opts, gm_err *err);

/*
 * Flush everything submitted, stop the committer thread and close the
 * database and the lock. s is freed whatever the outcome (NULL is allowed
 * and returns 0). No on_durable call happens after gm_store_close returns.
 * Returns 0, or the error that made the store fail (see gm_store_submit),
 * in which case the records not reported durable may be lost.
 */
int gm_store_close(gm_store *s, gm_err *err);

/*
 * Copy *r into the pending batch and return at once; the record becomes
 * durable later (on_durable, gm_store_flush). r->seq must be
 * gm_store_last_seq(s) + 1.
 * Returns 0, or:
 *   GM_EINVAL   s or r NULL, a NULL pointer with a non-zero length, or a seq
 *               that is not the last accepted one + 1 (the message says
 *               which was expected; nothing is queued);
 *   GM_ELIMIT   key longer than GM_STORE_KEY_MAX, or key_len + len above
 *               opts.max_record_bytes;
 *   GM_ERANGE   the next seq would exceed GM_STORE_SEQ_MAX;
 *   GM_EAGAIN   the backlog (opts.backlog_records / backlog_bytes) is full:
 *               nothing was queued; retry once on_durable has reported
 *               progress, or shed the request;
 *   GM_ENOMEM;
 *   GM_EIO (or another code) when an earlier commit failed: the store has
 *               failed for good (the message is that commit's error, with
 *               the database path); nothing more will be written. Close it
 *               and reopen: recovery shows what reached the disk.
 */
int gm_store_submit(gm_store *s, const gm_store_rec *r, gm_err *err);

/*
 * Block until every record up to seq is durable. seq may be
 * GM_STORE_FLUSH_ALL for everything submitted so far; seq 0 or a seq that
 * is already durable returns at once. Returns 0; GM_EINVAL when seq is above
 * the last accepted seq (it would never become durable); or the failed
 * store's error (see gm_store_submit).
 */
int gm_store_flush(gm_store *s, uint64_t seq, gm_err *err);

/*
 * Synchronous append for tools: check that recs[0..n) continue the log
 * gap-free, write them all in one transaction (together with whatever was
 * pending), and wait until they are durable. The backlog bound does not
 * apply. Either all n records are accepted or, on a seq or input error,
 * none. on_durable is called as for gm_store_submit. n == 0 does nothing.
 * Returns 0 or the errors of gm_store_submit (except GM_EAGAIN).
 */
int gm_store_append(gm_store *s, const gm_store_rec *recs, size_t n, gm_err *err);

/*
 * Store a snapshot of the engine's state as of seq (every record up to and
 * including seq applied, none after), replacing the previous snapshot (only
 * the newest is kept), and have the log trimmed of the records it replaces
 * (seq <= seq). The same as gm_store_snapshot_open, writing all len bytes of
 * data to the file, and gm_store_snapshot_commit (see there for what is
 * synced and when, and for a snapshot at the newest snapshot's own seq);
 * data is the caller's, only read. Returns once the snapshot is durable;
 * the trimming is then done by the committer, in short transactions between
 * batches (deleting a record costs about as much as inserting it), and
 * counts.trimmed_seq tells how far it got. Records not yet trimmed are never
 * replayed; trimming interrupted by close or a crash resumes after the next
 * open. May run on a thread other than the owner (see Threads above), one
 * snapshot at a time.
 * seq must be at least the newest snapshot's seq and at most the last
 * accepted seq (0 is allowed: the initial state of an empty log).
 * Returns 0, or GM_EINVAL (seq out of that range, data NULL with len > 0;
 * nothing changed), GM_ELIMIT (len above GM_STORE_SNAPSHOT_MAX; nothing
 * changed), GM_ECONFLICT (another snapshot is open), GM_EIO when the file
 * cannot be created or written (the message names it, with strerror;
 * nothing changed, the store goes on), or the errors of
 * gm_store_snapshot_commit, some of which fail the store.
 */
int gm_store_snapshot(gm_store *s, uint64_t seq, const void *data, size_t len, gm_err *err);

/*
 * Snapshot files. A snapshot too big to pass around in memory is written by
 * its producer (any thread) straight into a file the store opened for it,
 * then handed to the store:
 *
 *   int fd;
 *   gm_store_snapshot_open(s, seq, &fd, err);    // dir/snapshot-<seq>.tmp
 *   ... write the bytes to fd (the store never interprets them) ...
 *   gm_store_snapshot_commit(s, seq, fd, err);   // or gm_store_snapshot_abandon
 *
 * Only committing takes the store's database, and only for one short
 * transaction: the committer goes on committing batches while the file is
 * being written and synced.
 *
 * gm_store_snapshot_open: checks seq exactly as gm_store_snapshot does (at
 * least the newest snapshot's seq, at most the last accepted; GM_EINVAL
 * otherwise, or the failed store's error), creates dir/snapshot-<seq>.tmp
 * (O_CREAT|O_TRUNC|O_WRONLY|O_CLOEXEC, 0600) and returns its descriptor in
 * *fd (caller owns it until commit or abandon; -1 on failure). The
 * descriptor is at offset 0, blocking, and survives fork (not exec). GM_EIO
 * with path and strerror when the file cannot be created. One snapshot in
 * progress at a time: GM_ECONFLICT if another is open (also for
 * gm_store_snapshot). GM_EINVAL for s or fd NULL. Same threads as
 * gm_store_snapshot.
 */
int gm_store_snapshot_open(gm_store *s, uint64_t seq, int *fd, gm_err *err);

/*
 * gm_store_snapshot_copy: while a snapshot is open, append bytes
 * [off, off + len) of the newest stored snapshot, which must be the one at
 * seq `from`, to fd (the open snapshot's file) at its offset: a part that
 * has not changed since then is copied in the kernel instead of written
 * again. GM_EINVAL (nothing written) when no snapshot is open, `from` is
 * not the newest stored snapshot, or the range passes its end; GM_EIO with
 * the path when the copy fails (abandon the snapshot then). Same threads as
 * gm_store_snapshot_open.
 */
int gm_store_snapshot_copy(gm_store *s, uint64_t from, uint64_t off, uint64_t len, int fd,
                           gm_err *err);

/*
 * gm_store_snapshot_commit: takes ownership of fd (always closes it) and
 * ends the snapshot in progress, whatever the outcome. Every byte must have
 * been written to the file before the call (a child that writes it must
 * have finished: the store takes the file's size as the snapshot's length,
 * and cannot tell a short file from a complete one); the writer need not
 * sync it. Waits until every record up to seq is durable (as gm_store_snapshot),
 * checks the file's size (<= GM_STORE_SNAPSHOT_MAX, else GM_ELIMIT: the
 * file is removed, nothing changed), fsyncs the file, renames it to
 * dir/snapshot-<seq>, fsyncs the directory, then records (seq, file name,
 * length) as the newest snapshot in one short database transaction,
 * deletes the previous snapshot's file, and lets the committer trim the log
 * up to seq. counts.snapshots, snapshot_seq and snapshot_bytes follow.
 *
 * A snapshot at the newest snapshot's own seq (no record accepted since)
 * describes the same state as the one there: the store keeps that one and
 * removes the new file (returning 0, counted in counts.snapshots). Its
 * name is fixed by its seq, and replacing it under that name could not be
 * made crash-safe.
 *
 * Errors: GM_EINVAL (s NULL, fd negative, or no snapshot open at seq; a
 * snapshot open at another seq is abandoned; nothing changed); GM_ELIMIT as
 * above; the errors of gm_store_flush (the file is removed); GM_EIO when
 * the file's size cannot be read (nothing changed). An I/O error in the
 * fsync, rename, directory fsync or record steps fails the store as a
 * failed commit does (see gm_store_submit; the
 * message names the file, directory or database): after a restart either
 * the old or the new snapshot is the newest, and recovery is consistent
 * with it.
 */
int gm_store_snapshot_commit(gm_store *s, uint64_t seq, int fd, gm_err *err);

/*
 * gm_store_snapshot_abandon: closes fd (unless -1) and removes
 * dir/snapshot-<seq>.tmp, ending the snapshot in progress; the store is
 * unchanged. For a producer that failed. When no snapshot is open at seq,
 * only closes fd. Never fails.
 */
void gm_store_snapshot_abandon(gm_store *s, uint64_t seq, int fd);

/* Called by gm_store_recover with the newest snapshot: data is a read-only
   mapping of its file (writing to it faults; so would reading it if
   someone outside gemel truncated the file meanwhile), valid only during
   the call, never NULL ("" when len is 0) and not NUL-terminated. Return 0
   to go on, a negative GM_E* code to stop. */
typedef int (*gm_store_snapshot_fn)(void *ctx, uint64_t seq, const void *data, size_t len);
/* Called by gm_store_recover with each record after the snapshot, in seq
   order; *r is valid only during the call. Return 0 or a negative code. */
typedef int (*gm_store_record_fn)(void *ctx, const gm_store_rec *r);

/*
 * Replay the store: on_snapshot once with the newest snapshot (if there is
 * one), then on_record with every record after it, in seq order, gap-free.
 * Either callback may be NULL (that part is read and checked but not
 * delivered). Typically called once, right after gm_store_open; if records
 * were submitted, it first waits until they are durable, so it sees them
 * too. The callbacks must not call gm_store functions on s. *last_seq (may
 * be NULL) receives the highest seq replayed: the last record's, else the
 * snapshot's, else 0 for an empty store; it is set only on success.
 * Returns 0; a callback's negative code when it stopped the replay (a
 * positive return counts as GM_EINVAL); GM_EIO when the database cannot be
 * read or is inconsistent (a gap in the log, a corrupt row, a record whose
 * bytes do not match its checksum: the message names the record), or the
 * snapshot file it records is missing, not of the recorded length, or does
 * not match its recorded checksum ("damaged gemel store: ...", naming the
 * file; the store can still be closed); GM_ENOMEM when the file cannot be
 * mapped; or
 * the failed store's error.
 */
int gm_store_recover(gm_store *s, gm_store_snapshot_fn on_snapshot, gm_store_record_fn on_record,
                     void *ctx, uint64_t *last_seq, gm_err *err);

/*
 * Read the durable records after seq `after`, in seq order, gap-free, at
 * most max (>= 1) of them: on_record(ctx, r) for each (*r valid only during
 * the call; a non-zero return stops the read with that code, GM_EINVAL for
 * a positive one). Records not yet durable are not read: the caller sees
 * only what a crash cannot take back. *last_seq (may be NULL) gets the last
 * seq delivered, `after` when none, also on failure. Any thread; the
 * callback must not call gm_store functions on s, and should be quick: the
 * committer waits while a read holds the database.
 * Returns 0 (also when nothing is durable after `after`), or:
 *   GM_ERANGE   record after + 1 was replaced by a snapshot and trimmed
 *               from the log (the message names the snapshot's seq, from
 *               which reading can resume); nothing was delivered;
 *   GM_EINVAL   s or on_record NULL, max 0;
 *   GM_EIO      the database cannot be read or is damaged (a record whose
 *               bytes do not match its checksum, say);
 *   the callback's code.
 */
int gm_store_read(gm_store *s, uint64_t after, size_t max, gm_store_record_fn on_record, void *ctx,
                  uint64_t *last_seq, gm_err *err);

/* The last seq the store accepted (durable or not): the next record must
   carry this + 1. Right after open it is the highest seq on disk (0 when
   the store is empty). Owner thread. */
uint64_t gm_store_last_seq(const gm_store *s);

typedef struct gm_store_counts {
    uint64_t records;     /* records made durable since open */
    uint64_t bytes;       /* their key + data bytes */
    uint64_t batches;     /* transactions that committed records */
    uint64_t max_batch;   /* most records committed in one transaction */
    uint64_t fsyncs;      /* syncs issued since open: the backend's commits,
                             checkpoints and snapshot records (SQLite:
                             counted in the VFS, so this is measured, not
                             estimated), plus two per snapshot file (the
                             file, then its directory) */
    uint64_t snapshots;   /* snapshots written since open */
    uint64_t durable_seq; /* highest durable seq */
    uint64_t last_seq;    /* highest accepted seq */
    uint64_t pending;     /* records accepted, not yet durable */
    uint64_t snapshot_seq; /* the newest snapshot's seq (0 when none) */
    uint64_t trimmed_seq; /* the log is known to hold no record <= this */
    uint64_t snapshot_bytes; /* the newest snapshot's length (0 when none) */
} gm_store_counts;

/* Fill *out with the counters. Any thread; a consistent picture. */
void gm_store_counts_get(gm_store *s, gm_store_counts *out);

#endif
