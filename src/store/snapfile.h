/*
 * snapfile.h: snapshot files in a store directory (module-internal; only
 * src/store and its tests include it). Backends record which file is the
 * newest snapshot; everything that touches the files themselves is here, so
 * that every backend shares it.
 *
 * A snapshot taken at seq S lives in dir/snapshot-S. It is written as
 * dir/snapshot-S.tmp, synced, renamed to its final name and the directory
 * synced, and only then recorded by the backend: a name without .tmp is
 * always complete, and the backend's record decides which complete file is
 * the snapshot. S is written in canonical decimal (no sign, no leading
 * zero), so each seq has exactly one name, and a name read back from a
 * database is checked by formatting its seq and comparing: a damaged or
 * hostile database cannot point gemel at any other path.
 *
 * Errors fill err with the file's path as `where` and strerror in the
 * message, as everywhere in the store.
 */
#ifndef GM_STORE_SNAPFILE_H
#define GM_STORE_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Bytes for a leaf name with its NUL: "snapshot-" + 20 digits + ".tmp" is 33. */
#define STORE__SNAPFILE_NAME_MAX 40

/* Write the leaf name of seq's snapshot file, "snapshot-<seq>" (or with
   ".tmp" when tmp), into buf, which holds STORE__SNAPFILE_NAME_MAX bytes. */
void store__snapfile_name(char *buf, uint64_t seq, bool tmp);

/* Whether name is exactly "snapshot-<seq>" or "snapshot-<seq>.tmp", seq in
   canonical decimal and at most GM_STORE_SEQ_MAX; if so, *seq and *tmp say
   which. Anything else (a leading zero, a sign, another suffix) is not. */
bool store__snapfile_parse(const char *name, uint64_t *seq, bool *tmp);

/* dir/<name of seq's file> into out (n bytes). GM_ELIMIT when too long. */
int store__snapfile_path(char *out, size_t n, const char *dir, uint64_t seq, bool tmp, gm_err *err);

/* GM_EIO ("damaged gemel store", where: where) unless file is exactly the
   name of seq's snapshot file. */
int store__snapfile_check(uint64_t seq, const char *file, const char *where, gm_err *err);

/* Create (or truncate) dir/snapshot-<seq>.tmp, O_WRONLY|O_CLOEXEC, mode
   0600, and return its descriptor in *fd (-1 on failure). GM_EIO with the
   path and strerror, GM_ELIMIT for a path too long. */
int store__snapfile_create(const char *dir, uint64_t seq, int *fd, gm_err *err);

/* fsync directory dir, so that entries created or renamed in it survive
   power loss. GM_EIO naming dir, with strerror. (The SQLite backend uses it
   for the directories it creates.) */
int store__sync_dir(const char *dir, gm_err *err);

/* The size of the file open on fd, in *bytes. GM_EIO naming path. */
int store__snapfile_size(int fd, const char *path, uint64_t *bytes, gm_err *err);

/* Make the finished dir/snapshot-<seq>.tmp, open on fd, the complete
   dir/snapshot-<seq>: fsync fd, rename, fsync dir, in that order, so that
   the final name never refers to a file whose bytes a power cut could lose.
   fd stays open (the caller closes it). *syncs (may be NULL) is increased
   by the syncs issued. GM_EIO naming the file or directory. */
int store__snapfile_publish(const char *dir, uint64_t seq, int fd, uint64_t *syncs, gm_err *err);

/* Append bytes [off, off + len) of the complete dir/snapshot-<seq> to fd
   at its offset, in the kernel where it can (copy_file_range), else
   through a buffer. GM_EIO naming the file when it cannot be opened or
   read, is shorter than off + len, or fd cannot be written. */
int store__snapfile_copy(const char *dir, uint64_t seq, uint64_t off, uint64_t len, int fd,
                         gm_err *err);

/* Remove dir/snapshot-<seq> (or its .tmp). A missing file is fine; any other
   failure is logged (a stray file is removed at the next open anyway). */
void store__snapfile_remove(const char *dir, uint64_t seq, bool tmp);

/* At open, with the directory locked: remove every snapshot-<n>.tmp and
   every snapshot-<n> other than keep (NULL: keep none), which crashes or
   failed snapshots left behind. Names that do not match those patterns
   exactly are never touched. Best effort: failures are logged, not
   returned (a stray file is harmless, and the next open tries again). */
void store__snapfile_clean(const char *dir, const char *keep);

/* A snapshot file mapped read-only. */
typedef struct store__snapmap {
    const void *data; /* never NULL: "" when len is 0 */
    size_t len;
    void *base; /* the mapping, NULL when len is 0 */
} store__snapmap;

/* Map dir/snapshot-<seq>, which the backend recorded as `bytes` long.
   GM_EIO "damaged gemel store: ..." naming the path when the file is
   missing, not a regular file, or not exactly that size (the message gives
   both sizes); GM_ENOMEM when it cannot be mapped for lack of memory. */
int store__snapfile_map(const char *dir, uint64_t seq, uint64_t bytes, store__snapmap *m,
                        gm_err *err);

/* Undo store__snapfile_map. */
void store__snapfile_unmap(store__snapmap *m);

/* The CRC-32C of dir/snapshot-<seq>, which must be `bytes` long (the
   errors of store__snapfile_map). */
int store__snapfile_crc(const char *dir, uint64_t seq, uint64_t bytes, uint32_t *crc, gm_err *err);

/* The CRC-32C of the first `bytes` bytes of the file at path (a snapshot
   being written, say), read through a descriptor of its own. GM_EIO naming
   path when it cannot be read or is shorter; GM_ENOMEM. */
int store__snapfile_crc_path(const char *path, uint64_t bytes, uint32_t *crc, gm_err *err);

#endif
