/*
 * backend.h: the store's internal interface to a database (module-internal;
 * only src/store and its tests include it).
 *
 * store.c owns everything that does not depend on the database: the pending
 * batches, the sequence checks, the committer thread, the counters, and the
 * snapshot files (snapfile.h): a snapshot's bytes never pass through a
 * backend (except when the SQLite backend upgrades a schema version 2 store,
 * whose snapshots were rows, and writes them out with snapfile.h). A
 * backend only turns "write these records in one durable
 * transaction", "record this snapshot file", "trim", "replay" into its
 * database's terms. store.c serialises every call on one backend with a
 * mutex, so a backend needs no locking of its own, but successive calls may
 * come from different threads (the committer and the store's owner).
 *
 * Every operation that writes is one transaction, durable when it returns 0
 * and rolled back (as far as the database allows) when it fails. Errors fill
 * err with the database's own message and the database's location.
 */
#ifndef GM_STORE_BACKEND_H
#define GM_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/snapfile.h"
#include "store/store.h"

typedef struct store__backend store__backend;

/* What a backend found on opening. */
typedef struct store__open_info {
    uint64_t last_seq; /* highest seq in the log or the snapshot; 0 when empty */
    uint64_t snap_seq; /* newest snapshot's seq, when has_snap */
    uint64_t snap_bytes; /* its recorded length, when has_snap */
    uint32_t snap_crc;   /* its file's recorded CRC-32C, when has_snap */
    int has_snap;
    /* its file's leaf name as recorded, when has_snap: NUL-terminated, but
       not checked (store.c checks it against snap_seq) */
    char snap_file[STORE__SNAPFILE_NAME_MAX];
} store__open_info;

/* Handed the newest snapshot's record by recover: seq, the leaf name of its
   file as recorded (NUL-terminated, valid during the call, not checked), its
   recorded length and CRC-32C. Returns 0, or a negative code with err
   filled (the backend passes both on unchanged). */
typedef int (*store__snaprec_fn)(void *ctx, uint64_t seq, const char *file, uint64_t bytes,
                                 uint32_t crc, gm_err *err);

typedef struct store__backend_ops {
    const char *name;

    /* Open the store at location (a directory for SQLite; snapshot files
       live in it too), creating it when create and it does not exist (else
       GM_ENOENT, with nothing created), taking whatever lock keeps other
       processes out, upgrading an older schema it knows how to, and report
       what is in it. Returns 0 and sets *out, or an error (see
       gm_store_open) with nothing left open. */
    int (*open)(const char *location, bool create, store__backend **out, store__open_info *info,
                gm_err *err);

    /* Insert recs[0..n) (n >= 1, seqs already checked) in one transaction,
       each with its checksum (store__record_crc), and make it durable. */
    int (*append)(store__backend *b, const gm_store_rec *recs, size_t n, gm_err *err);

    /* In one durable transaction: record the snapshot taken at seq, in the
       file named file (a leaf name, already complete and synced) of bytes
       bytes whose CRC-32C is crc, as the newest (replacing one with the
       same seq), and delete every other snapshot record. The transaction
       must stay short: the committer waits for it. */
    int (*snapshot)(store__backend *b, uint64_t seq, const char *file, uint64_t bytes,
                    uint32_t crc, gm_err *err);

    /* Delete at most max_rows log records with seq <= upto, oldest first, in
       one transaction; *done tells whether none is left. */
    int (*trim)(store__backend *b, uint64_t upto, size_t max_rows, bool *done, gm_err *err);

    /* As gm_store_recover, in one read transaction, except that the newest
       snapshot's record goes to on_snap (always called when there is one;
       store.c maps the file), with snap_ctx; on_record (may be NULL) gets
       ctx. */
    int (*recover)(store__backend *b, store__snaprec_fn on_snap, void *snap_ctx,
                   gm_store_record_fn on_record, void *ctx, uint64_t *last_seq, gm_err *err);

    /* In one read transaction: on_record with the log records after `after`
       up to `upto` (durable), in seq order, at most max. GM_ERANGE (nothing
       delivered) when record after + 1 is not in the log; GM_EIO for a
       record whose checksum does not match; *last_seq: the last seq
       delivered (after when none), also on failure. */
    int (*read)(store__backend *b, uint64_t after, uint64_t upto, size_t max,
                gm_store_record_fn on_record, void *ctx, uint64_t *last_seq, gm_err *err);

    /* Syncs (fsync and the like) the backend has issued since open. */
    uint64_t (*syncs)(const store__backend *b);

    /* Close and free; releases the lock. NULL is allowed. */
    void (*close)(store__backend *b);
} store__backend_ops;

extern const store__backend_ops store__sqlite_ops;

/*
 * Fault injection for tests: make the n-th sync from now, by any SQLite
 * store in this process, fail with SQLITE_IOERR_FSYNC without syncing (as
 * an fsync that reports EIO would). 0 cancels. Fires once.
 */
void store__sqlite_fail_sync(uint64_t n);

#endif
