/*
 * snapfile.c: snapshot files in a store directory (snapfile.h).
 */
#include "store/snapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "store/crc32c.h"
#include "store/store.h"

#define PREFIX "snapshot-"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define TMP_SUFFIX ".tmp"
#define TMP_SUFFIX_LEN (sizeof TMP_SUFFIX - 1)

void store__snapfile_name(char *buf, uint64_t seq, bool tmp)
{
    snprintf(buf, STORE__SNAPFILE_NAME_MAX, PREFIX "%" PRIu64 "%s", seq, tmp ? TMP_SUFFIX : "");
}

bool store__snapfile_parse(const char *name, uint64_t *seq, bool *tmp)
{
    if (strncmp(name, PREFIX, PREFIX_LEN) != 0)
        return false;
    const char *p = name + PREFIX_LEN;
    size_t digits = strspn(p, "0123456789");
    /* canonical only: "0", or no leading zero */
    if (digits == 0 || digits > 19 || (p[0] == '0' && digits > 1))
        return false;
    bool is_tmp;
    if (p[digits] == '\0')
        is_tmp = false;
    else if (strcmp(p + digits, TMP_SUFFIX) == 0)
        is_tmp = true;
    else
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        uint64_t d = (uint64_t)(p[i] - '0');
        /* 19 digits fit in 64 bits; the bound is the store's */
        v = v * 10 + d;
    }
    if (v > GM_STORE_SEQ_MAX)
        return false;
    *seq = v;
    *tmp = is_tmp;
    return true;
}

int store__snapfile_path(char *out, size_t n, const char *dir, uint64_t seq, bool tmp, gm_err *err)
{
    char name[STORE__SNAPFILE_NAME_MAX];
    store__snapfile_name(name, seq, tmp);
    int k = snprintf(out, n, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= n)
        return gm_err_set(err, GM_ELIMIT, dir, "path too long (at most %zu bytes)", n - 1);
    return GM_OK;
}

int store__snapfile_check(uint64_t seq, const char *file, const char *where, gm_err *err)
{
    char want[STORE__SNAPFILE_NAME_MAX];
    store__snapfile_name(want, seq, false);
    if (strcmp(file, want) != 0)
        return gm_err_set(err, GM_EIO, where,
                          "damaged gemel store: the snapshot at seq %" PRIu64
                          " is recorded as file \"%s\", expected \"%s\"",
                          seq, file, want);
    return GM_OK;
}

int store__snapfile_create(const char *dir, uint64_t seq, int *fd, gm_err *err)
{
    *fd = -1;
    char path[PATH_MAX];
    int rc = store__snapfile_path(path, sizeof path, dir, seq, true, err);
    if (rc != GM_OK)
        return rc;
    int f;
    do
        f = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    while (f < 0 && errno == EINTR);
    if (f < 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot create the snapshot file");
    *fd = f;
    return GM_OK;
}

int store__snapfile_size(int fd, const char *path, uint64_t *bytes, gm_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot read the snapshot file's size");
    *bytes = st.st_size > 0 ? (uint64_t)st.st_size : 0;
    return GM_OK;
}

/* Read len bytes of in from *off through a buffer, handing each piece to
   fn(ctx, piece, n) (0 or an error that stops the read); *off moves past
   what was handed on. GM_EIO naming path when in cannot be read or ends
   early, GM_ENOMEM, or fn's error. */
static int read_range(int in, uint64_t *off, uint64_t len, const char *path,
                      int (*fn)(void *ctx, const char *piece, size_t n, gm_err *err), void *ctx,
                      gm_err *err)
{
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    if (!buf)
        return gm_err_set(err, GM_ENOMEM, path, "out of memory for reading the snapshot file");
    int rc = GM_OK;
    while (len > 0 && rc == GM_OK) {
        ssize_t k = pread(in, buf, len < BUF ? (size_t)len : BUF, (off_t)*off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = gm_err_errno(err, GM_EIO, errno, path, "cannot read the snapshot file");
        else if (k == 0)
            rc = gm_err_set(err, GM_EIO, path, "the snapshot file ends at byte %" PRIu64, *off);
        else if ((rc = fn(ctx, buf, (size_t)k, err)) == GM_OK) {
            *off += (uint64_t)k;
            len -= (uint64_t)k;
        }
    }
    free(buf);
    return rc;
}

static int write_piece(void *ctx, const char *piece, size_t n, gm_err *err)
{
    return gm_file_write_all(*(const int *)ctx, piece, n, "snapshot", err);
}

/* Copy len bytes from in at *off to out at its offset through a buffer. */
static int copy_buffered(int in, uint64_t *off, uint64_t len, int out, const char *path,
                         gm_err *err)
{
    return read_range(in, off, len, path, write_piece, &out, err);
}

int store__snapfile_copy(const char *dir, uint64_t seq, uint64_t off, uint64_t len, int fd,
                         gm_err *err)
{
    char path[PATH_MAX];
    int rc = store__snapfile_path(path, sizeof path, dir, seq, false, err);
    if (rc != GM_OK)
        return rc;
    int in;
    do
        in = open(path, O_RDONLY | O_CLOEXEC);
    while (in < 0 && errno == EINTR);
    if (in < 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot open the snapshot file");
    while (len > 0 && rc == GM_OK) {
        off_t o = (off_t)off;
        size_t want = len < ((size_t)1 << 30) ? (size_t)len : (size_t)1 << 30;
        ssize_t k = copy_file_range(in, &o, fd, NULL, want, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
                      errno == EOPNOTSUPP || errno == EBADF)) {
            /* not between these files (another file system, an old kernel) */
            rc = copy_buffered(in, &off, len, fd, path, err);
            break;
        }
        if (k < 0)
            rc = gm_err_errno(err, GM_EIO, errno, path, "cannot copy from the snapshot file");
        else if (k == 0)
            rc = gm_err_set(err, GM_EIO, path, "the snapshot file ends at byte %" PRIu64, off);
        else {
            off += (uint64_t)k;
            len -= (uint64_t)k;
        }
    }
    close(in);
    return rc;
}

int store__sync_dir(const char *dir, gm_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gm_err_errno(err, GM_EIO, errno, dir, "cannot open directory to sync it");
    int rc = GM_OK;
    if (fsync(fd) != 0)
        rc = gm_err_errno(err, GM_EIO, errno, dir, "cannot sync directory");
    close(fd);
    return rc;
}

int store__snapfile_publish(const char *dir, uint64_t seq, int fd, uint64_t *syncs, gm_err *err)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int rc;
    if ((rc = store__snapfile_path(tmp, sizeof tmp, dir, seq, true, err)) != GM_OK ||
        (rc = store__snapfile_path(path, sizeof path, dir, seq, false, err)) != GM_OK)
        return rc;
    /* Data first: after the rename the name promises a complete file. */
    int frc = fsync(fd);
    if (syncs)
        ++*syncs;
    if (frc != 0)
        return gm_err_errno(err, GM_EIO, errno, tmp, "cannot sync the snapshot file");
    if (rename(tmp, path) != 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot rename %s to it", tmp);
    /* Then the entry: the backend must not record a name that a power cut
       could take back. */
    rc = store__sync_dir(dir, err);
    if (syncs)
        ++*syncs;
    return rc;
}

void store__snapfile_remove(const char *dir, uint64_t seq, bool tmp)
{
    char path[PATH_MAX];
    if (store__snapfile_path(path, sizeof path, dir, seq, tmp, NULL) != GM_OK)
        return;
    if (unlink(path) != 0 && errno != ENOENT)
        gm_log_warn("store: cannot remove a snapshot file; the next open will try again",
                    GM_LOG_STR("path", path), GM_LOG_STR("error", strerror(errno)));
}

void store__snapfile_clean(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d) {
        gm_log_warn("store: cannot list the store directory for stray snapshot files",
                    GM_LOG_STR("dir", dir), GM_LOG_STR("error", strerror(errno)));
        return;
    }
    /* Removing entries while reading the directory is allowed: each one
       left is then seen at most once, and a removed one never again. */
    struct dirent *ent;
    for (;;) {
        errno = 0;
        ent = readdir(d);
        if (!ent)
            break;
        uint64_t seq;
        bool tmp;
        if (!store__snapfile_parse(ent->d_name, &seq, &tmp))
            continue;
        if (!tmp && keep && strcmp(ent->d_name, keep) == 0)
            continue;
        /* unlinkat without AT_REMOVEDIR leaves a directory of that name be */
        if (unlinkat(dirfd(d), ent->d_name, 0) == 0)
            gm_log_debug("store: removed a stray snapshot file", GM_LOG_STR("dir", dir),
                         GM_LOG_STR("file", ent->d_name));
        else if (errno != ENOENT)
            gm_log_warn("store: cannot remove a stray snapshot file", GM_LOG_STR("dir", dir),
                        GM_LOG_STR("file", ent->d_name), GM_LOG_STR("error", strerror(errno)));
    }
    if (errno != 0)
        gm_log_warn("store: cannot list the store directory for stray snapshot files",
                    GM_LOG_STR("dir", dir), GM_LOG_STR("error", strerror(errno)));
    closedir(d);
}

int store__snapfile_map(const char *dir, uint64_t seq, uint64_t bytes, store__snapmap *m,
                        gm_err *err)
{
    m->data = "";
    m->len = 0;
    m->base = NULL;
    char path[PATH_MAX];
    int rc = store__snapfile_path(path, sizeof path, dir, seq, false, err);
    if (rc != GM_OK)
        return rc;
    /* The name is ours, but the directory entry could be anything: never
       follow a link out of the store. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return gm_err_errno(err, GM_EIO, errno, path,
                            "damaged gemel store: cannot open the snapshot file %s (the database"
                            " records %" PRIu64 " bytes at seq %" PRIu64 ")",
                            path, bytes, seq);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = gm_err_errno(err, GM_EIO, errno, path, "cannot read the snapshot file's size");
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gm_err_set(err, GM_EIO, path,
                        "damaged gemel store: the snapshot file %s is not a regular file", path);
        goto done;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size != bytes) {
        rc = gm_err_set(err, GM_EIO, path,
                        "damaged gemel store: the snapshot file %s has %jd bytes, expected %" PRIu64
                        " (the size recorded in the database)",
                        path, (intmax_t)st.st_size, bytes);
        goto done;
    }
    if (bytes == 0)
        goto done;
    if (bytes > SIZE_MAX) {
        rc = gm_err_set(err, GM_ELIMIT, path, "snapshot of %" PRIu64 " bytes cannot be mapped here",
                        bytes);
        goto done;
    }
    void *p = mmap(NULL, (size_t)bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        rc = gm_err_errno(err, e == ENOMEM ? GM_ENOMEM : GM_EIO, e, path,
                          "cannot map the %" PRIu64 "-byte snapshot file", bytes);
        goto done;
    }
    /* Recovery reads it once, front to back: ask for read-ahead. */
    (void)madvise(p, (size_t)bytes, MADV_SEQUENTIAL);
    m->base = p;
    m->data = p;
    m->len = (size_t)bytes;

done:
    /* the mapping holds the file by itself */
    close(fd);
    return rc;
}

void store__snapfile_unmap(store__snapmap *m)
{
    if (m->base)
        munmap(m->base, m->len);
    m->data = "";
    m->len = 0;
    m->base = NULL;
}

int store__snapfile_crc(const char *dir, uint64_t seq, uint64_t bytes, uint32_t *crc, gm_err *err)
{
    store__snapmap m;
    int rc = store__snapfile_map(dir, seq, bytes, &m, err);
    if (rc != GM_OK)
        return rc;
    *crc = store__crc32c(0, m.data, m.len);
    store__snapfile_unmap(&m);
    return GM_OK;
}

static int crc_piece(void *ctx, const char *piece, size_t n, gm_err *err)
{
    (void)err;
    *(uint32_t *)ctx = store__crc32c(*(uint32_t *)ctx, piece, n);
    return GM_OK;
}

int store__snapfile_crc_path(const char *path, uint64_t bytes, uint32_t *crc, gm_err *err)
{
    /* its own descriptor: the producer's is write-only */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return gm_err_errno(err, GM_EIO, errno, path, "cannot read the snapshot file back");
    uint64_t off = 0;
    *crc = 0;
    int rc = read_range(fd, &off, bytes, path, crc_piece, crc, err);
    close(fd);
    return rc;
}
