/* file.c: whole-file reads for the model importers (BPMN, Scylla, BIMP). */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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
