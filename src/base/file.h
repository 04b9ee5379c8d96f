/*
 * file.h: read a whole regular file into memory, under a size limit.
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

#endif
