/*
 * sqlite.c: the SQLite backend of the store (backend.h).
 *
 * Layout of a store directory:
 *   gemel.lock       held with flock(LOCK_EX) while open; holds the owner's pid
 *   gemel.db         the database (plus SQLite's gemel.db-wal and gemel.db-shm)
 *   snapshot-<seq>   the newest snapshot, written by store.c (snapfile.h)
 *
 * Schema (version 4):
 *   gemel_schema(version, created_ns)        one row
 *   log(seq INTEGER PRIMARY KEY, kind, key BLOB, data BLOB, crc)
 *   snapshot(seq INTEGER PRIMARY KEY, file TEXT, bytes, created_ns, crc): at
 *     most one row, the newest snapshot: its file's leaf name
 *     (snapshot-<seq>), length and CRC-32C; the bytes are in that file, so
 *     recording a snapshot is a transaction of a few hundred bytes however
 *     large the snapshot
 * crc is a CRC-32C (crc32c.h): of the record (store__record_crc), verified
 * whenever a record is read; of the whole snapshot file, verified by
 * store.c before recovery reads it. Damage that keeps a file's length (a
 * byte changed in place) is refused, not loaded.
 * plus PRAGMA application_id = 'geml', so that another application's SQLite
 * file is refused rather than written into. seq is the rowid, so appends go
 * to the right edge of one b-tree and trimming is a range delete.
 *
 * Version 3 had no checksums; opening a version 3 store upgrades it
 * (migrate_v3). Version 2 kept snapshots inside the database, as rows
 * snapshot(seq, part, data BLOB, created_ns), PRIMARY KEY (seq, part), of at
 * most 256 MiB each; opening a version 2 store upgrades it to 3
 * (migrate_v2), then to 4. Version 1 (an early development format) is
 * refused.
 *
 * Durability: WAL mode with synchronous=FULL, so each COMMIT fsyncs the WAL
 * before it returns. All I/O goes through a thin VFS, "gemel-unix", that
 * forwards to the default VFS and counts syncs (the fsyncs counter; per
 * thread, attributed to the backend that was called) and can be told to fail
 * one (tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/log.h"
#include "base/file.h"
#include "base/time.h"
#include "store/backend.h"
#include "store/crc32c.h"
#include "store/snapfile.h"

#define SCHEMA_VERSION 4 /* 2: snapshots in parts, in the database; 3: in files; 4: checksums */
#define APPLICATION_ID 0x67656d6c /* "geml" */
#define DB_NAME "gemel.db"
#define LOCK_NAME "gemel.lock"
#define VFS_NAME "gemel-unix"
/* Pages in the WAL before a commit also checkpoints it into the database
   (two extra fsyncs and a burst of writes, the main source of p99 commit
   latency). bench_store measured 1000 (SQLite's default), 4096 and 16384:
   throughput and p99 differed less than run-to-run noise; 4096 keeps the
   WAL near 16 MiB. */
#define WAL_AUTOCHECKPOINT 4096
/* After a checkpoint, truncate a WAL that grew beyond this. */
#define WAL_SIZE_LIMIT (64 * 1024 * 1024)
/* Page cache, in KiB (negative cache_size). */
#define CACHE_KIB 16384
/* An outside reader (the sqlite3 shell, a backup) may hold a lock briefly. */
#define BUSY_TIMEOUT_MS 5000

/* ---- the counting VFS ----------------------------------------------------- */

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, SHIM_HEAD bytes in */
} shim_file;

/* Where the real file starts in our allocation: after the header, 8-aligned. */
#define SHIM_HEAD ((sizeof(shim_file) + 7) & ~(size_t)7)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_rc = SQLITE_ERROR;
/* Per thread: SQLite does all I/O of a call on the calling thread, and a
   backend is only called by one thread at a time, so the difference across a
   call is exactly that call's syncs. */
static _Thread_local uint64_t tl_syncs;
static _Atomic uint64_t fail_countdown;

void store__sqlite_fail_sync(uint64_t n)
{
    atomic_store(&fail_countdown, n);
}

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((shim_file *)(void *)f)->real;
}

static int shim_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xClose(r);
}

static int shim_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xRead(r, buf, amt, off);
}

static int shim_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xWrite(r, buf, amt, off);
}

static int shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xTruncate(r, size);
}

static int shim_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = real_of(f);
    tl_syncs++;
    uint64_t c = atomic_load(&fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) {
            if (c == 1)
                return SQLITE_IOERR_FSYNC;
            break;
        }
    }
    return r->pMethods->xSync(r, flags);
}

static int shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int shim_lock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, level);
}

static int shim_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, level);
}

static int shim_check_reserved(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int shim_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileControl(r, op, arg);
}

static int shim_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int shim_device_chars(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

static int shim_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmMap(r, pg, pgsz, extend, pp);
}

static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void shim_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    r->pMethods->xShmBarrier(r);
}

static int shim_shm_unmap(sqlite3_file *f, int del)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmUnmap(r, del);
}

static int shim_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFetch(r, off, amt, pp);
}

static int shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnfetch(r, off, p);
}

/* One table per io_methods version: SQLite reads iVersion to decide which
   methods exist, so ours must claim exactly what the real file has. */
#define SHIM_IO(v)                                                                                 \
    {                                                                                              \
        v, shim_close, shim_read, shim_write, shim_truncate, shim_sync, shim_file_size, shim_lock, \
            shim_unlock, shim_check_reserved, shim_file_control, shim_sector_size,                 \
            shim_device_chars, shim_shm_map, shim_shm_lock, shim_shm_barrier, shim_shm_unmap,      \
            shim_fetch, shim_unfetch                                                               \
    }
static const sqlite3_io_methods shim_io[3] = {SHIM_IO(1), SHIM_IO(2), SHIM_IO(3)};

static int shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                     int *out_flags)
{
    (void)vfs;
    shim_file *sf = (shim_file *)(void *)f;
    sf->base.pMethods = NULL;
    sf->real = (sqlite3_file *)(void *)((char *)f + SHIM_HEAD);
    sf->real->pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out_flags);
    /* SQLite calls xClose whenever pMethods is set, even after a failed
       open, so mirror exactly what the real VFS did. */
    if (sf->real->pMethods) {
        int v = sf->real->pMethods->iVersion;
        sf->base.pMethods = &shim_io[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
    }
    return rc;
}

static int shim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *shim_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void shim_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, msg);
}

static void (*shim_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, h, sym);
}

static void shim_dlclose(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, h);
}

static int shim_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int shim_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int shim_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int shim_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int shim_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int shim_set_syscall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    (void)vfs;
    return real_vfs->xSetSystemCall(real_vfs, name, p);
}

static sqlite3_syscall_ptr shim_get_syscall(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xGetSystemCall(real_vfs, name);
}

static const char *shim_next_syscall(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xNextSystemCall(real_vfs, name);
}

static void shim_init(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return;
    size_t head = SHIM_HEAD;
    if ((size_t)real_vfs->szOsFile > (size_t)INT_MAX - head)
        return;
    sqlite3_vfs v;
    memset(&v, 0, sizeof v);
    v.iVersion = real_vfs->iVersion < 3 ? real_vfs->iVersion : 3;
    v.szOsFile = (int)head + real_vfs->szOsFile;
    v.mxPathname = real_vfs->mxPathname;
    v.zName = VFS_NAME;
    v.xOpen = shim_open;
    v.xDelete = shim_delete;
    v.xAccess = shim_access;
    v.xFullPathname = shim_full_pathname;
    v.xDlOpen = shim_dlopen;
    v.xDlError = shim_dlerror;
    v.xDlSym = shim_dlsym;
    v.xDlClose = shim_dlclose;
    v.xRandomness = shim_randomness;
    v.xSleep = shim_sleep;
    v.xCurrentTime = shim_current_time;
    v.xGetLastError = shim_last_error;
    if (v.iVersion >= 2)
        v.xCurrentTimeInt64 = shim_current_time64;
    if (v.iVersion >= 3) {
        v.xSetSystemCall = shim_set_syscall;
        v.xGetSystemCall = shim_get_syscall;
        v.xNextSystemCall = shim_next_syscall;
    }
    shim_vfs = v;
    shim_rc = sqlite3_vfs_register(&shim_vfs, 0);
}

/* ---- the backend ---------------------------------------------------------- */

struct store__backend {
    sqlite3 *db;
    int lock_fd;
    char db_path[PATH_MAX];
    uint64_t syncs;
    sqlite3_stmt *begin_w, *begin_r, *commit, *rollback;
    sqlite3_stmt *ins_log, *ins_snap, *del_snaps, *min_log, *trim, *sel_snap, *sel_log;
    sqlite3_stmt *sel_range;
};

/* SQLite's result code to ours: most failures are I/O of some kind; the
   caller reads sqlite3_errmsg for the detail. */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return GM_ENOMEM;
    case SQLITE_TOOBIG: return GM_ELIMIT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CONSTRAINT: return GM_ECONFLICT;
    case SQLITE_NOTADB: return GM_EINVAL;
    default: return GM_EIO;
    }
}

/* Record a failed SQLite call: call this before anything else touches the
   connection, since the next call replaces sqlite3_errmsg. */
static int sql_fail(store__backend *b, gm_err *err, int rc, const char *doing)
{
    const char *msg = b->db ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc);
    return gm_err_set(err, map_rc(rc), b->db_path, "%s: %s (SQLite code %d)", doing, msg, rc);
}

/* Run a statement that returns no rows; leaves it reset. */
static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int rc2 = sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return rc2 == SQLITE_OK ? SQLITE_OK : rc2;
    return rc;
}

static void end_txn(store__backend *b)
{
    if (sqlite3_get_autocommit(b->db))
        return;
    /* while opening, before the statements are prepared */
    if (b->rollback)
        (void)run(b->rollback);
    else
        (void)sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- opening -------------------------------------------------------------- */

static int path_join(char *out, size_t n, const char *dir, const char *name, gm_err *err)
{
    int k = snprintf(out, n, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= n)
        return gm_err_set(err, GM_ELIMIT, dir, "path too long (at most %d bytes)", PATH_MAX - 1);
    return GM_OK;
}

/* mkdir -p, syncing each parent whose entries changed. */
static int make_dirs(const char *dir, gm_err *err)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);
    if (n >= sizeof p)
        return gm_err_set(err, GM_ELIMIT, "dir", "path too long (at most %d bytes)", PATH_MAX - 1);
    memcpy(p, dir, n + 1);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    struct stat st;
    if (stat(p, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return gm_err_set(err, GM_EIO, p, "exists and is not a directory");
        return GM_OK;
    }
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) == 0) {
            /* The new entry lives in the parent: sync the parent. */
            char *slash = strrchr(p, '/');
            int rc;
            if (!slash)
                rc = store__sync_dir(".", err);
            else if (slash == p)
                rc = store__sync_dir("/", err);
            else {
                *slash = '\0';
                rc = store__sync_dir(p, err);
                *slash = '/';
            }
            if (rc != GM_OK)
                return rc;
        } else if (errno != EEXIST) {
            return gm_err_errno(err, GM_EIO, errno, p, "cannot create directory");
        } else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            return gm_err_set(err, GM_EIO, p, "exists and is not a directory");
        }
        p[i] = saved;
    }
    return GM_OK;
}

static int take_lock(store__backend *b, const char *dir, gm_err *err)
{
    char path[PATH_MAX];
    int rc = path_join(path, sizeof path, dir, LOCK_NAME, err);
    if (rc != GM_OK)
        return rc;
    b->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (b->lock_fd < 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot open lock file");
    /* flock belongs to the open file description: a second open in this
       process conflicts too, and the kernel drops it when the holder dies. */
    if (flock(b->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e != EWOULDBLOCK)
            return gm_err_errno(err, GM_EIO, e, path, "cannot lock");
        char who[32] = "";
        ssize_t k = pread(b->lock_fd, who, sizeof who - 1, 0);
        who[k > 0 ? k : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        return gm_err_set(err, GM_ECONFLICT, dir,
                          "store directory is in use by another open store (process %s)",
                          who[0] ? who : "unknown");
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    /* The pid is only for the message above: failing to write it is harmless. */
    if (len > 0 && ftruncate(b->lock_fd, 0) == 0) {
        ssize_t w = pwrite(b->lock_fd, pid, (size_t)len, 0);
        (void)w;
    }
    return GM_OK;
}

/* Run a one-value query; *is_null tells a NULL (or no row) from a value. */
static int query_int(store__backend *b, const char *sql, int64_t *out, bool *is_null, gm_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(b->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sql_fail(b, err, rc, sql);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *is_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
        *out = sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        *is_null = true;
        *out = 0;
    } else {
        int code = sql_fail(b, err, rc, sql);
        sqlite3_finalize(st);
        return code;
    }
    sqlite3_finalize(st);
    return GM_OK;
}

static int exec(store__backend *b, const char *sql, gm_err *err)
{
    int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? GM_OK : sql_fail(b, err, rc, sql);
}

static int configure(store__backend *b, gm_err *err)
{
    sqlite3_extended_result_codes(b->db, 1);
    sqlite3_busy_timeout(b->db, BUSY_TIMEOUT_MS);

    /* journal_mode answers with the mode in force: WAL can be refused (a
       filesystem without shared memory, say), and then we must not pretend. */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(b->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sql_fail(b, err, rc, "cannot set WAL mode");
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = sql_fail(b, err, rc, "cannot set WAL mode");
        sqlite3_finalize(st);
        return rc;
    }
    const unsigned char *mode = sqlite3_column_text(st, 0);
    bool wal = mode && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return gm_err_set(err, GM_EUNSUPPORTED, b->db_path,
                          "SQLite refused WAL mode on this filesystem");

    /* The store promises values up to GM_STORE_VALUE_MAX; a row adds a few
       bytes to its largest value. */
    int limit = sqlite3_limit(b->db, SQLITE_LIMIT_LENGTH, -1);
    if (limit < 0 || (size_t)limit < GM_STORE_VALUE_MAX + ((size_t)1 << 20))
        return gm_err_set(err, GM_EUNSUPPORTED, b->db_path,
                          "this SQLite stores values of at most %d bytes; gemel needs %zu",
                          limit, (size_t)GM_STORE_VALUE_MAX + ((size_t)1 << 20));

    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=%d; "
             "PRAGMA journal_size_limit=%d; PRAGMA cache_size=-%d",
             WAL_AUTOCHECKPOINT, WAL_SIZE_LIMIT, CACHE_KIB);
    return exec(b, sql, err);
}

/* A blob column as bytes: never NULL, "" when empty. */
static int column_bytes(store__backend *b, sqlite3_stmt *st, int col, const void **p, size_t *n,
                        gm_err *err)
{
    const void *v = sqlite3_column_blob(st, col);
    int len = sqlite3_column_bytes(st, col);
    if (!v && len > 0)
        return gm_err_set(err, GM_ENOMEM, b->db_path, "out of memory reading a %d-byte value", len);
    if (!v && sqlite3_column_type(st, col) == SQLITE_NULL)
        return gm_err_set(err, GM_EIO, b->db_path, "damaged gemel store: NULL value in column %d",
                          col);
    *p = v ? v : "";
    *n = (size_t)(len > 0 ? len : 0);
    return GM_OK;
}

/* The version 3 snapshot table (made by migrate_v2; migrate_v3 adds crc). */
#define SNAPSHOT_TABLE_V3                                                                          \
    "CREATE TABLE snapshot (seq INTEGER PRIMARY KEY, file TEXT NOT NULL,"                          \
    " bytes INTEGER NOT NULL, created_ns INTEGER NOT NULL)"

/* Create the schema in an empty database, or check the one there. *version
   gets the store's schema version: SCHEMA_VERSION, or 2 or 3, which the
   caller then upgrades. */
static int setup_schema(store__backend *b, int64_t *version, gm_err *err)
{
    int rc = exec(b, "BEGIN IMMEDIATE", err);
    if (rc != GM_OK)
        return rc;
    int64_t app, ntab;
    bool null;
    *version = SCHEMA_VERSION;
    if ((rc = query_int(b, "PRAGMA application_id", &app, &null, err)) != GM_OK ||
        (rc = query_int(b, "SELECT count(*) FROM sqlite_schema", &ntab, &null, err)) != GM_OK)
        goto fail;
    if (app == 0 && ntab == 0) {
        char sql[768];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE gemel_schema (version INTEGER NOT NULL, created_ns INTEGER NOT NULL);"
                 "INSERT INTO gemel_schema VALUES (%d, %" PRId64 ");"
                 "CREATE TABLE log (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
                 " key BLOB NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);"
                 "CREATE TABLE snapshot (seq INTEGER PRIMARY KEY, file TEXT NOT NULL,"
                 " bytes INTEGER NOT NULL, created_ns INTEGER NOT NULL, crc INTEGER NOT NULL);"
                 "PRAGMA application_id=%d",
                 SCHEMA_VERSION, gm_time_wall_ns(), APPLICATION_ID);
        if ((rc = exec(b, sql, err)) != GM_OK)
            goto fail;
    } else if (app != APPLICATION_ID) {
        rc = gm_err_set(err, GM_EINVAL, b->db_path,
                        "not a gemel store (SQLite application_id %" PRId64
                        ", expected %d, and %" PRId64 " schema objects)",
                        app, APPLICATION_ID, ntab);
        goto fail;
    } else {
        gm_err e;
        if (query_int(b, "SELECT max(version) FROM gemel_schema", version, &null, &e) != GM_OK ||
            null || *version < 1) {
            rc = gm_err_set(err, GM_EIO, b->db_path,
                            "damaged gemel store: no valid schema version");
            goto fail;
        }
        if (*version < 2) {
            rc = gm_err_set(err, GM_EUNSUPPORTED, b->db_path,
                            "store has schema version %" PRId64
                            ", written by an earlier development version of gemel; this one "
                            "reads versions 2 to %d (export and re-import the data)",
                            *version, SCHEMA_VERSION);
            goto fail;
        }
        if (*version > SCHEMA_VERSION) {
            rc = gm_err_set(err, GM_EUNSUPPORTED, b->db_path,
                            "store has schema version %" PRId64
                            ", written by a newer gemel; this one reads up to %d",
                            *version, SCHEMA_VERSION);
            goto fail;
        }
    }
    return exec(b, "COMMIT", err);

fail:
    end_txn(b);
    return rc;
}

/*
 * Upgrade a version 2 store to version 3: the newest snapshot, rows of parts
 * in the database, is written out to dir/snapshot-<seq> (as store.c writes
 * one: .tmp, sync, rename, sync the directory), and only then does one
 * transaction replace the table with the version 3 one, naming the file,
 * and set the version. A crash before that commit leaves a version 2 store
 * (the next open writes the file again, over the old one, and upgrades
 * again); after it, a version 3 store whose file is complete.
 *
 * The old table's pages go to SQLite's free list, which the log reuses; the
 * file does not shrink (a VACUUM would rewrite the whole database).
 */
static int migrate_v2(store__backend *b, const char *dir, gm_err *err)
{
    sqlite3_stmt *st = NULL;
    int fd = -1;
    int64_t seq = 0, created = 0, parts = 0;
    uint64_t bytes = 0;
    bool none;
    char tmp[PATH_MAX] = "";
    int rc = exec(b, "BEGIN", err);
    if (rc != GM_OK)
        return rc;
    if ((rc = query_int(b, "SELECT max(seq) FROM snapshot", &seq, &none, err)) != GM_OK)
        goto fail;
    if (!none) {
        if (seq < 0) {
            rc = gm_err_set(err, GM_EIO, b->db_path,
                            "damaged gemel store: snapshot at seq %" PRId64, seq);
            goto fail;
        }
        int src = sqlite3_prepare_v2(b->db,
                                     "SELECT part, data, created_ns FROM snapshot WHERE seq = ?1"
                                     " ORDER BY part",
                                     -1, &st, NULL);
        if (src != SQLITE_OK) {
            rc = sql_fail(b, err, src, "cannot read the version 2 snapshot");
            goto fail;
        }
        sqlite3_bind_int64(st, 1, seq);
        if ((rc = store__snapfile_path(tmp, sizeof tmp, dir, (uint64_t)seq, true, err)) != GM_OK ||
            (rc = store__snapfile_create(dir, (uint64_t)seq, &fd, err)) != GM_OK)
            goto fail;
        /* One part (at most 256 MiB) in memory at a time. */
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            const void *data = "";
            size_t len = 0;
            if (sqlite3_column_int64(st, 0) != parts) {
                rc = gm_err_set(err, GM_EIO, b->db_path,
                                "damaged gemel store: snapshot seq %" PRId64 " has part %" PRId64
                                " where part %" PRId64 " was expected",
                                seq, (int64_t)sqlite3_column_int64(st, 0), parts);
                goto fail;
            }
            if (parts == 0)
                created = sqlite3_column_int64(st, 2);
            if ((rc = column_bytes(b, st, 1, &data, &len, err)) != GM_OK ||
                (rc = gm_file_write_all(fd, data, len, tmp, err)) != GM_OK)
                goto fail;
            bytes += len;
            parts++;
        }
        if (src != SQLITE_DONE) {
            rc = sql_fail(b, err, src, "cannot read the version 2 snapshot");
            goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    end_txn(b); /* the read transaction: nothing to commit */
    if (!none) {
        rc = store__snapfile_publish(dir, (uint64_t)seq, fd, NULL, err);
        close(fd);
        fd = -1;
        if (rc != GM_OK)
            goto fail;
    }

    if ((rc = exec(b, "BEGIN IMMEDIATE", err)) != GM_OK)
        goto fail;
    int64_t version;
    bool null;
    if ((rc = query_int(b, "SELECT max(version) FROM gemel_schema", &version, &null, err)) != GM_OK)
        goto fail;
    if (null || version != 2) {
        rc = gm_err_set(err, GM_ECONFLICT, b->db_path,
                        "the schema version changed while upgrading from version 2");
        goto fail;
    }
    if ((rc = exec(b, "DROP TABLE snapshot; " SNAPSHOT_TABLE_V3 "; UPDATE gemel_schema SET version = 3",
                   err)) != GM_OK)
        goto fail;
    if (!none) {
        char name[STORE__SNAPFILE_NAME_MAX];
        store__snapfile_name(name, (uint64_t)seq, false);
        int src = sqlite3_prepare_v2(b->db,
                                     "INSERT INTO snapshot (seq, file, bytes, created_ns)"
                                     " VALUES (?1, ?2, ?3, ?4)",
                                     -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, seq);
            sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)bytes);
            sqlite3_bind_int64(st, 4, created);
            src = run(st);
        }
        if (src != SQLITE_OK) {
            rc = sql_fail(b, err, src, "cannot record the snapshot file");
            goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if ((rc = exec(b, "COMMIT", err)) != GM_OK)
        goto fail;
    if (none)
        gm_log_info("store: upgraded the store from schema version 2 to 3 (no snapshot)",
                    GM_LOG_STR("db", b->db_path));
    else
        gm_log_info("store: upgraded the store from schema version 2 to 3; the snapshot is a file now",
                    GM_LOG_STR("db", b->db_path), GM_LOG_INT("snapshot_seq", seq),
                    GM_LOG_UINT("snapshot_bytes", bytes), GM_LOG_INT("snapshot_parts", parts));
    return GM_OK;

fail:
    sqlite3_finalize(st);
    end_txn(b);
    if (fd >= 0) {
        close(fd);
        store__snapfile_remove(dir, (uint64_t)seq, true);
    }
    return rc;
}

/* SQL gemel_record_crc(seq, kind, key, data): store__record_crc of a log
   row (migrate_v3). */
static void sql_record_crc(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    (void)argc;
    /* the blob first, then its length: the order SQLite's documentation asks */
    const void *key = sqlite3_value_blob(v[2]);
    int key_len = sqlite3_value_bytes(v[2]);
    const void *data = sqlite3_value_blob(v[3]);
    int len = sqlite3_value_bytes(v[3]);
    sqlite3_result_int64(ctx, store__record_crc((uint64_t)sqlite3_value_int64(v[0]),
                                                (uint32_t)sqlite3_value_int64(v[1]),
                                                key ? key : "", key_len > 0 ? (size_t)key_len : 0,
                                                data ? data : "", len > 0 ? (size_t)len : 0));
}

/*
 * Upgrade a version 3 store to version 4, in one transaction: every log
 * record gets its checksum, and the newest snapshot the CRC-32C of its
 * file, read once now (a file missing or not of its recorded length is
 * damage, refused as recovery would refuse it; the store then stays a
 * version 3 one). A crash before the commit leaves the version 3 store.
 * Checksumming what is there now cannot tell whether it was damaged
 * before: from here on, damage is found.
 */
static int migrate_v3(store__backend *b, const char *dir, gm_err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t version, seq = 0, bytes = 0, nlog = 0;
    bool null, none = true;
    uint32_t crc = 0;
    int src = sqlite3_create_function(b->db, "gemel_record_crc", 4,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_record_crc,
                                      NULL, NULL);
    if (src != SQLITE_OK)
        return sql_fail(b, err, src, "cannot register the checksum function");
    int rc = exec(b, "BEGIN IMMEDIATE", err);
    if (rc != GM_OK)
        return rc;
    if ((rc = query_int(b, "SELECT max(version) FROM gemel_schema", &version, &null, err)) != GM_OK)
        goto fail;
    if (null || version != 3) {
        rc = gm_err_set(err, GM_ECONFLICT, b->db_path,
                        "the schema version changed while upgrading from version 3");
        goto fail;
    }
    src = sqlite3_prepare_v2(b->db,
                             "SELECT seq, file, bytes FROM snapshot ORDER BY seq DESC LIMIT 1", -1,
                             &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        none = false;
        seq = sqlite3_column_int64(st, 0);
        bytes = sqlite3_column_int64(st, 2);
        const unsigned char *file = sqlite3_column_text(st, 1);
        if (seq < 0 || bytes < 0 || !file) {
            rc = gm_err_set(err, GM_EIO, b->db_path,
                            "damaged gemel store: snapshot record with seq %" PRId64
                            " and length %" PRId64, seq, bytes);
            goto fail;
        }
        if ((rc = store__snapfile_check((uint64_t)seq, (const char *)file, dir, err)) != GM_OK ||
            (rc = store__snapfile_crc(dir, (uint64_t)seq, (uint64_t)bytes, &crc, err)) != GM_OK)
            goto fail;
    } else if (src != SQLITE_DONE) {
        rc = sql_fail(b, err, src, "cannot read the snapshot record");
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = exec(b, "ALTER TABLE log ADD COLUMN crc INTEGER;"
                      "UPDATE log SET crc = gemel_record_crc(seq, kind, key, data);"
                      "ALTER TABLE snapshot ADD COLUMN crc INTEGER;"
                      "UPDATE gemel_schema SET version = 4",
                   err)) != GM_OK ||
        (rc = query_int(b, "SELECT count(*) FROM log", &nlog, &null, err)) != GM_OK)
        goto fail;
    if (!none) {
        src = sqlite3_prepare_v2(b->db, "UPDATE snapshot SET crc = ?1 WHERE seq = ?2", -1, &st,
                                 NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, crc);
            sqlite3_bind_int64(st, 2, seq);
            src = run(st);
        }
        if (src != SQLITE_OK) {
            rc = sql_fail(b, err, src, "cannot record the snapshot's checksum");
            goto fail;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if ((rc = exec(b, "COMMIT", err)) != GM_OK)
        goto fail;
    gm_log_info("store: upgraded the store from schema version 3 to 4: records and snapshots "
                "carry checksums",
                GM_LOG_STR("db", b->db_path), GM_LOG_INT("records", nlog),
                GM_LOG_INT("snapshot_seq", none ? -1 : seq));
    return GM_OK;

fail:
    sqlite3_finalize(st);
    end_txn(b);
    return rc;
}

static int prepare(store__backend *b, sqlite3_stmt **st, const char *sql, gm_err *err)
{
    int rc = sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? GM_OK : sql_fail(b, err, rc, sql);
}

static int prepare_all(store__backend *b, gm_err *err)
{
    int rc;
    if ((rc = prepare(b, &b->begin_w, "BEGIN IMMEDIATE", err)) != GM_OK ||
        (rc = prepare(b, &b->begin_r, "BEGIN", err)) != GM_OK ||
        (rc = prepare(b, &b->commit, "COMMIT", err)) != GM_OK ||
        (rc = prepare(b, &b->rollback, "ROLLBACK", err)) != GM_OK ||
        (rc = prepare(b, &b->ins_log,
                      "INSERT INTO log (seq, kind, key, data, crc) VALUES (?1, ?2, ?3, ?4, ?5)",
                      err)) != GM_OK ||
        (rc = prepare(b, &b->ins_snap,
                      "INSERT OR REPLACE INTO snapshot (seq, file, bytes, created_ns, crc)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
                      err)) != GM_OK ||
        /* every other row: the table holds the newest snapshot only */
        (rc = prepare(b, &b->del_snaps, "DELETE FROM snapshot WHERE seq <> ?1", err)) != GM_OK ||
        (rc = prepare(b, &b->min_log, "SELECT min(seq) FROM log", err)) != GM_OK ||
        /* One upper bound only: with two, SQLite ranges over one and filters
           on the other, scanning the whole log for every chunk. */
        (rc = prepare(b, &b->trim, "DELETE FROM log WHERE seq <= ?1", err)) != GM_OK ||
        (rc = prepare(b, &b->sel_snap,
                      "SELECT seq, file, bytes, crc FROM snapshot ORDER BY seq DESC LIMIT 1", err)) !=
            GM_OK ||
        (rc = prepare(b, &b->sel_log,
                      "SELECT seq, kind, key, data, crc FROM log WHERE seq > ?1 ORDER BY seq", err)) !=
            GM_OK ||
        (rc = prepare(b, &b->sel_range,
                      "SELECT seq, kind, key, data, crc FROM log WHERE seq > ?1 AND seq <= ?2"
                      " ORDER BY seq LIMIT ?3",
                      err)) != GM_OK)
        return rc;
    return GM_OK;
}

/* The snapshot row st is on: seq, the file's leaf name copied into file
   (STORE__SNAPFILE_NAME_MAX bytes; its form is store.c's to check), the
   length and the file's CRC-32C. GM_EIO for a row no gemel writes. */
static int snap_row(store__backend *b, sqlite3_stmt *st, uint64_t *seq, char *file,
                    uint64_t *bytes, uint32_t *crc, gm_err *err)
{
    int64_t q = sqlite3_column_int64(st, 0);
    int64_t n = sqlite3_column_int64(st, 2);
    int64_t c = sqlite3_column_int64(st, 3);
    const unsigned char *name = sqlite3_column_text(st, 1);
    int name_len = sqlite3_column_bytes(st, 1);
    if (q < 0 || n < 0 || sqlite3_column_type(st, 2) != SQLITE_INTEGER)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: snapshot record with seq %" PRId64
                          " and length %" PRId64,
                          q, n);
    if (!name && sqlite3_errcode(b->db) == SQLITE_NOMEM)
        return gm_err_set(err, GM_ENOMEM, b->db_path, "out of memory reading the snapshot record");
    /* an embedded NUL would make the name checked differ from the one read */
    if (!name || sqlite3_column_type(st, 1) != SQLITE_TEXT || name_len <= 0 ||
        name_len >= STORE__SNAPFILE_NAME_MAX || strlen((const char *)name) != (size_t)name_len)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: the snapshot at seq %" PRId64
                          " has no valid file name",
                          q);
    if (sqlite3_column_type(st, 3) != SQLITE_INTEGER || c < 0 || c > (int64_t)UINT32_MAX)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: the snapshot at seq %" PRId64
                          " has no valid checksum",
                          q);
    memcpy(file, name, (size_t)name_len + 1);
    *seq = (uint64_t)q;
    *bytes = (uint64_t)n;
    *crc = (uint32_t)c;
    return GM_OK;
}

static int read_info(store__backend *b, store__open_info *info, gm_err *err)
{
    int64_t last;
    bool last_null;
    int rc;
    memset(info, 0, sizeof *info);
    if ((rc = query_int(b, "SELECT max(seq) FROM log", &last, &last_null, err)) != GM_OK)
        return rc;
    if (!last_null && last < 1)
        return gm_err_set(err, GM_EIO, b->db_path, "damaged gemel store: negative sequence number");
    int step = sqlite3_step(b->sel_snap);
    if (step == SQLITE_ROW)
        rc = snap_row(b, b->sel_snap, &info->snap_seq, info->snap_file, &info->snap_bytes,
                      &info->snap_crc, err);
    else if (step != SQLITE_DONE)
        rc = sql_fail(b, err, step, "cannot read the snapshot record");
    sqlite3_reset(b->sel_snap);
    if (rc != GM_OK)
        return rc;
    info->has_snap = step == SQLITE_ROW;
    info->last_seq = info->snap_seq;
    if (!last_null && (uint64_t)last > info->last_seq)
        info->last_seq = (uint64_t)last;
    return GM_OK;
}

static void sq_close(store__backend *b)
{
    if (!b)
        return;
    sqlite3_stmt *all[] = {b->begin_w,  b->begin_r,   b->commit,  b->rollback,
                           b->ins_log,  b->ins_snap,  b->del_snaps, b->min_log,
                           b->trim,     b->sel_snap,  b->sel_log, b->sel_range};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    /* Every statement is finalised, so close cannot be busy; _v2 still
       guarantees the handle is released whatever happens. */
    if (b->db)
        sqlite3_close_v2(b->db);
    /* The lock goes last, once nothing of ours touches the files. The lock
       file stays: unlinking it would let two processes lock two inodes. */
    if (b->lock_fd >= 0)
        close(b->lock_fd);
    free(b);
}

/* GM_ENOENT unless dir holds a database: for a caller that must not
   create a store (a read, or a mistyped path). */
static int must_exist(const char *dir, gm_err *err)
{
    struct stat st;
    char db[PATH_MAX];
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return gm_err_set(err, GM_ENOENT, dir, "no gemel store: %s",
                          stat(dir, &st) != 0 ? "no such directory" : "not a directory");
    int rc = path_join(db, sizeof db, dir, DB_NAME, err);
    if (rc != GM_OK)
        return rc;
    if (stat(db, &st) != 0)
        return gm_err_set(err, GM_ENOENT, dir, "no gemel store here (no %s)", DB_NAME);
    return GM_OK;
}

static int sq_open(const char *dir, bool create, store__backend **out, store__open_info *info,
                   gm_err *err)
{
    *out = NULL;
    pthread_once(&shim_once, shim_init);
    if (shim_rc != SQLITE_OK)
        return gm_err_set(err, GM_EIO, "sqlite", "cannot register the %s VFS: %s", VFS_NAME,
                          sqlite3_errstr(shim_rc));
    store__backend *b = calloc(1, sizeof *b);
    if (!b)
        return gm_err_set(err, GM_ENOMEM, dir, "out of memory for the store");
    b->lock_fd = -1;
    int rc;
    uint64_t s0 = tl_syncs;
    if ((rc = create ? make_dirs(dir, err) : must_exist(dir, err)) != GM_OK ||
        (rc = take_lock(b, dir, err)) != GM_OK ||
        (rc = path_join(b->db_path, sizeof b->db_path, dir, DB_NAME, err)) != GM_OK)
        goto fail;
    int src = sqlite3_open_v2(b->db_path, &b->db,
                              SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                                  SQLITE_OPEN_NOMUTEX,
                              VFS_NAME);
    if (src != SQLITE_OK) {
        rc = sql_fail(b, err, src, "cannot open database");
        goto fail;
    }
    int64_t version;
    if ((rc = configure(b, err)) != GM_OK || (rc = setup_schema(b, &version, err)) != GM_OK ||
        (version == 2 && (rc = migrate_v2(b, dir, err)) != GM_OK) ||
        (version <= 3 && (rc = migrate_v3(b, dir, err)) != GM_OK) ||
        (rc = prepare_all(b, err)) != GM_OK || (rc = read_info(b, info, err)) != GM_OK)
        goto fail;
    /* SQLite syncs the directory when it creates the WAL, but not when it
       creates the database file itself: without this a power cut soon after
       creation could leave a WAL with no database. */
    if ((rc = store__sync_dir(dir, err)) != GM_OK)
        goto fail;
    b->syncs = tl_syncs - s0;
    *out = b;
    return GM_OK;

fail:
    sq_close(b);
    return rc;
}

/* ---- operations ------------------------------------------------------------ */

static int sq_append(store__backend *b, const gm_store_rec *recs, size_t n, gm_err *err)
{
    uint64_t s0 = tl_syncs;
    int rc = run(b->begin_w);
    if (rc != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot begin a transaction");
        goto fail;
    }
    sqlite3_stmt *st = b->ins_log;
    for (size_t i = 0; i < n; i++) {
        const gm_store_rec *r = &recs[i];
        /* Never bind NULL: an empty key or data is a zero-length blob, so the
           NOT NULL columns hold and recovery returns "" as documented. */
        sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)r->kind);
        sqlite3_bind_blob64(st, 3, r->key_len ? r->key : "", r->key_len, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 4, r->len ? r->data : "", r->len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, store__record_crc(r->seq, r->kind, r->key, r->key_len, r->data,
                                                    r->len));
        if ((rc = run(st)) != SQLITE_OK) {
            char doing[64];
            snprintf(doing, sizeof doing, "cannot insert record %" PRIu64, r->seq);
            rc = sql_fail(b, err, rc, doing);
            goto fail;
        }
    }
    if ((rc = run(b->commit)) != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot commit records");
        goto fail;
    }
    b->syncs += tl_syncs - s0;
    return GM_OK;

fail:
    end_txn(b);
    b->syncs += tl_syncs - s0;
    return rc;
}

static int sq_snapshot(store__backend *b, uint64_t seq, const char *file, uint64_t bytes,
                       uint32_t crc, gm_err *err)
{
    uint64_t s0 = tl_syncs;
    int rc = run(b->begin_w);
    if (rc != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot begin a transaction");
        goto fail;
    }
    sqlite3_bind_int64(b->ins_snap, 1, (sqlite3_int64)seq);
    sqlite3_bind_text(b->ins_snap, 2, file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(b->ins_snap, 3, (sqlite3_int64)bytes);
    sqlite3_bind_int64(b->ins_snap, 4, gm_time_wall_ns());
    sqlite3_bind_int64(b->ins_snap, 5, crc);
    rc = run(b->ins_snap);
    /* Drop the statement's reference to the caller's name. */
    sqlite3_clear_bindings(b->ins_snap);
    if (rc != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot record the snapshot");
        goto fail;
    }
    sqlite3_bind_int64(b->del_snaps, 1, (sqlite3_int64)seq);
    if ((rc = run(b->del_snaps)) != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot delete older snapshot records");
        goto fail;
    }
    if ((rc = run(b->commit)) != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot commit the snapshot record");
        goto fail;
    }
    b->syncs += tl_syncs - s0;
    return GM_OK;

fail:
    end_txn(b);
    b->syncs += tl_syncs - s0;
    return rc;
}

static int sq_trim(store__backend *b, uint64_t upto, size_t max_rows, bool *done, gm_err *err)
{
    uint64_t s0 = tl_syncs;
    *done = false;
    int rc = sqlite3_step(b->min_log);
    bool empty = rc != SQLITE_ROW || sqlite3_column_type(b->min_log, 0) == SQLITE_NULL;
    int64_t lo = empty ? 0 : sqlite3_column_int64(b->min_log, 0);
    if (rc != SQLITE_ROW) {
        rc = sql_fail(b, err, rc, "cannot read the start of the log");
        sqlite3_reset(b->min_log);
        return rc;
    }
    sqlite3_reset(b->min_log);
    if (empty || lo < 0 || (uint64_t)lo > upto) {
        *done = true;
        return GM_OK;
    }
    if (max_rows == 0)
        return GM_OK;
    /* The log is gap-free, so [lo, lo + max_rows) holds at most max_rows. */
    uint64_t hi = upto;
    if (max_rows - 1 < upto - (uint64_t)lo)
        hi = (uint64_t)lo + (max_rows - 1);
    sqlite3_bind_int64(b->trim, 1, (sqlite3_int64)hi);
    rc = run(b->trim); /* one statement in autocommit: its own transaction */
    b->syncs += tl_syncs - s0;
    if (rc != SQLITE_OK)
        return sql_fail(b, err, rc, "cannot trim the log");
    *done = hi == upto;
    return GM_OK;
}

/* The log row st is on, as a record that must follow seq last (its bytes
   valid until the statement moves). GM_EIO for a gap or a damaged row (one
   whose checksum does not match its bytes). */
static int log_row(store__backend *b, sqlite3_stmt *st, uint64_t last, gm_store_rec *r,
                   gm_err *err)
{
    int64_t seq = sqlite3_column_int64(st, 0);
    int64_t kind = sqlite3_column_int64(st, 1);
    memset(r, 0, sizeof *r);
    if (seq < 0 || (uint64_t)seq != last + 1)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: the log jumps from seq %" PRIu64 " to %" PRId64,
                          last, seq);
    if (kind < 0 || kind > (int64_t)UINT32_MAX)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: record %" PRId64 " has kind %" PRId64, seq, kind);
    const void *key = "";
    int rc;
    if ((rc = column_bytes(b, st, 2, &key, &r->key_len, err)) != GM_OK ||
        (rc = column_bytes(b, st, 3, &r->data, &r->len, err)) != GM_OK)
        return rc;
    int64_t crc = sqlite3_column_int64(st, 4);
    if (sqlite3_column_type(st, 4) != SQLITE_INTEGER || crc < 0 || crc > (int64_t)UINT32_MAX)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: record %" PRId64 " has no valid checksum", seq);
    uint32_t want = store__record_crc((uint64_t)seq, (uint32_t)kind, key, r->key_len, r->data,
                                      r->len);
    if (want != (uint32_t)crc)
        return gm_err_set(err, GM_EIO, b->db_path,
                          "damaged gemel store: record %" PRId64 " does not match its checksum"
                          " (CRC-32C %08" PRIx32 ", recorded %08" PRIx32 ")",
                          seq, want, (uint32_t)crc);
    r->key = key;
    r->seq = (uint64_t)seq;
    r->kind = (uint32_t)kind;
    return GM_OK;
}

static int sq_recover(store__backend *b, store__snaprec_fn on_snap, void *snap_ctx,
                      gm_store_record_fn on_record, void *ctx, uint64_t *last_seq, gm_err *err)
{
    uint64_t s0 = tl_syncs;
    uint64_t last = 0;
    int rc = run(b->begin_r);
    if (rc != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot begin a read transaction");
        goto done;
    }

    /* the newest snapshot: store.c maps its file */
    int step = sqlite3_step(b->sel_snap);
    if (step == SQLITE_ROW) {
        char file[STORE__SNAPFILE_NAME_MAX];
        uint64_t seq, bytes;
        uint32_t crc;
        if ((rc = snap_row(b, b->sel_snap, &seq, file, &bytes, &crc, err)) != GM_OK ||
            (rc = on_snap(snap_ctx, seq, file, bytes, crc, err)) != GM_OK)
            goto done;
        last = seq;
    } else if (step != SQLITE_DONE) {
        rc = sql_fail(b, err, step, "cannot read the snapshot record");
        goto done;
    }
    rc = GM_OK;

    sqlite3_stmt *st = b->sel_log;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)last);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        gm_store_rec r;
        /* Gaps would mean an acknowledged event is missing: say so rather
           than replay a history that never happened. */
        if ((rc = log_row(b, st, last, &r, err)) != GM_OK)
            goto done;
        last = r.seq;
        if (on_record && (rc = on_record(ctx, &r)) != 0) {
            rc = gm_err_set(err, rc < 0 ? rc : GM_EINVAL, b->db_path,
                            "recovery stopped by the record callback at seq %" PRIu64, last);
            goto done;
        }
    }
    if (step != SQLITE_DONE) {
        rc = sql_fail(b, err, step, "cannot read the log");
        goto done;
    }
    if (last_seq)
        *last_seq = last;

done:
    sqlite3_reset(b->sel_snap);
    sqlite3_reset(b->sel_log);
    end_txn(b);
    b->syncs += tl_syncs - s0;
    return rc;
}

static int sq_read(store__backend *b, uint64_t after, uint64_t upto, size_t max,
                   gm_store_record_fn on_record, void *ctx, uint64_t *last_seq, gm_err *err)
{
    uint64_t s0 = tl_syncs;
    uint64_t last = after;
    int rc = run(b->begin_r);
    if (rc != SQLITE_OK) {
        rc = sql_fail(b, err, rc, "cannot begin a read transaction");
        goto done;
    }
    rc = GM_OK;
    sqlite3_stmt *st = b->sel_range;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)upto);
    sqlite3_bind_int64(st, 3, max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        gm_store_rec r;
        if ((rc = log_row(b, st, last, &r, err)) != GM_OK) {
            /* the first record missing: trimmed after a snapshot (the caller
               tells that apart); a later one: damage */
            if (last == after && rc == GM_EIO &&
                sqlite3_column_int64(st, 0) != (int64_t)(after + 1))
                rc = gm_err_set(err, GM_ERANGE, b->db_path,
                                "record %" PRIu64 " is no longer in the log (the oldest"
                                " there is %" PRId64 ")",
                                after + 1, (int64_t)sqlite3_column_int64(st, 0));
            goto done;
        }
        if (on_record && (rc = on_record(ctx, &r)) != 0) {
            rc = gm_err_set(err, rc < 0 ? rc : GM_EINVAL, b->db_path,
                            "reading stopped by the record callback at seq %" PRIu64, r.seq);
            goto done;
        }
        last = r.seq;
    }
    if (step != SQLITE_DONE) {
        rc = sql_fail(b, err, step, "cannot read the log");
        goto done;
    }
    if (last == after && after < upto)
        rc = gm_err_set(err, GM_ERANGE, b->db_path,
                        "record %" PRIu64 " is no longer in the log", after + 1);
done:
    *last_seq = last;
    sqlite3_reset(b->sel_range);
    end_txn(b);
    b->syncs += tl_syncs - s0;
    return rc;
}

static uint64_t sq_syncs(const store__backend *b)
{
    return b->syncs;
}

const store__backend_ops store__sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .append = sq_append,
    .snapshot = sq_snapshot,
    .trim = sq_trim,
    .recover = sq_recover,
    .read = sq_read,
    .syncs = sq_syncs,
    .close = sq_close,
};
