/* file.c: whole-file reads for the model importers (BPMN, Scylla, BIMP), and
   whole-buffer writes (snapshots). */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int gm_file_read(const char *path, size_t max, char **out, size_t *len, gm_err *err)
{
    *out = NULL;
    *len = 0;
    char *buf = NULL;
    int rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return gm_err_errno(err, errno == ENOENT ? GM_ENOENT : GM_EIO, errno, path,
                            "cannot open");
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        rc = gm_err_errno(err, GM_EIO, errno, path, "cannot stat");
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gm_err_set(err, GM_EIO, path, "not a regular file");
        goto fail;
    }
    if ((unsigned long long)st.st_size > max) {
        rc = gm_err_set(err, GM_ELIMIT, path, "file larger than %zu bytes", max);
        goto fail;
    }
    size_t n = (size_t)st.st_size;
    buf = malloc(n + 1);
    if (!buf) {
        rc = gm_err_set(err, GM_ENOMEM, path, "out of memory");
        goto fail;
    }
    if (fread(buf, 1, n, f) != n) {
        rc = gm_err_errno(err, GM_EIO, errno, path, "read failed");
        goto fail;
    }
    buf[n] = '\0';
    fclose(f);
    *out = buf;
    *len = n;
    return GM_OK;
fail:
    free(buf);
    fclose(f);
    return rc;
}

int gm_file_write_all(int fd, const void *data, size_t n, const char *path, gm_err *err)
{
    const char *p = data;
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, p + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return gm_err_errno(err, GM_EIO, errno, path,
                                "cannot write (%zu of %zu bytes written)", off, n);
        if (k == 0) /* write(2) makes no progress only on a broken file system */
            return gm_err_set(err, GM_EIO, path, "cannot write: no progress after %zu of %zu bytes",
                              off, n);
        off += (size_t)k;
    }
    return GM_OK;
}
