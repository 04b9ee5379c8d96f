/*
 * err.h: status codes and the error record every fallible gemel function uses.
 *
 * Convention (DESIGN.md section 5): a function returns int, 0 on success or a
 * negative GM_E* code. A caller that wants to know *where* and *what* passes a
 * gm_err *, which receives the code, a location ("model.json:3:14",
 * "stations[2].service.mean", "--reps") and a message saying what was
 * expected ("expected number, got string"). Passing NULL is always allowed.
 */
#ifndef GM_BASE_ERR_H
#define GM_BASE_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Status codes. Stable: they appear in logs and API responses. */
enum {
    GM_OK = 0,
    GM_EINVAL = -1,     /* invalid argument or input */
    GM_ENOMEM = -2,     /* allocation failed */
    GM_EIO = -3,        /* I/O error (errno is in the message) */
    GM_ENOENT = -4,     /* no such item or file */
    GM_EEXIST = -5,     /* item already exists */
    GM_ERANGE = -6,     /* value out of range, or arithmetic overflow */
    GM_EPARSE = -7,     /* syntax error in a document or expression */
    GM_ELIMIT = -8,     /* a size, depth or count limit was exceeded */
    GM_ECONFLICT = -9,  /* precondition failed (e.g. ETag mismatch) */
    GM_EAGAIN = -10,    /* temporarily unable (queue full, try again) */
    GM_ESHUTDOWN = -11, /* the component is shutting down */
    GM_EUNSUPPORTED = -12, /* valid input that gemel does not support yet */
    GM_EINTERNAL = -13, /* a bug in gemel: an invariant did not hold */
};

#define GM_ERR_WHERE_MAX 256
#define GM_ERR_WHAT_MAX 768

typedef struct gm_err {
    int code;                       /* GM_OK when no error was recorded */
    char where[GM_ERR_WHERE_MAX];   /* file:line:col, JSON path, flag; may be "" */
    char what[GM_ERR_WHAT_MAX];     /* what was wrong / expected */
} gm_err;

/* Reset to "no error". NULL is ignored. */
void gm_err_clear(gm_err *err);

/*
 * Record an error and return code, so that `return gm_err_set(...)` reads
 * naturally. where may be NULL or "". Both strings are truncated to fit and
 * newlines in them are replaced by spaces, so the record stays one line.
 * err may be NULL (then only code is returned).
 */
int gm_err_set(gm_err *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* As gm_err_set, with the message's arguments in a va_list. */
int gm_err_vset(gm_err *err, int code, const char *where, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* As gm_err_set, appending ": strerror(errnum)" to the message. */
int gm_err_errno(gm_err *err, int code, int errnum, const char *where,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Prefix the location with an outer context, e.g. a file name in front of
 * a JSON path: "model.json" + "stations[2]" -> "model.json: stations[2]".
 * Returns err->code (or GM_OK when err is NULL).
 */
int gm_err_prefix(gm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Write the error as one line, "where: what" (or "what" when there is no
 * location), into buf (always NUL-terminated when n > 0). Returns buf.
 */
const char *gm_err_format(const gm_err *err, char *buf, size_t n);

/* Short stable name of a status code: "ok", "invalid", "nomem", ... */
const char *gm_strerror(int code);

#endif
