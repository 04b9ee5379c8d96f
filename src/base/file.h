/*
 * file.h: read a whole regular file into memory, under a size limit; write
 * a whole buffer to a descriptor.
 */
#ifndef GM_BASE_FILE_H
#define GM_BASE_FILE_H

#include <stddef.h>

#include "base/err.h"

/*
 * Read the regular file at path (at most max bytes) into a new buffer,
 * NUL-terminated for convenience; *out (free with free()) and *len receive
 * it. On failure *out is NULL and err names path: GM_ENOENT (missing),
 * GM_EIO (cannot open, stat or read; not a regular file), GM_ELIMIT (larger
 * than max), GM_ENOMEM.
 */
int gm_file_read(const char *path, size_t max, char **out, size_t *len, gm_err *err);

/*
 * Write all n bytes of data to fd, going on after short writes and EINTR.
 * path names the file in errors: GM_EIO with strerror and how many bytes
 * were written (also when write(2) makes no progress at all).
 */
int gm_file_write_all(int fd, const void *data, size_t n, const char *path, gm_err *err);

#endif
