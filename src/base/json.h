/*
 * json.h: strict, bounded JSON loading and unpacking over jansson.
 *
 * Every model file, HTTP body and MQTT payload in gemel passes through here,
 * so the rules are strict and the errors name the exact place:
 *
 *   - Loading (gm_json_load_str, gm_json_load_file) enforces a size limit and a
 *     nesting-depth limit *before* jansson sees the input, rejects duplicate
 *     object keys, NUL characters (raw or \u0000) and invalid UTF-8, and
 *     reports "name:line:column: what" where line and column are 1-based and
 *     the column counts Unicode code points (a tab is one column), like
 *     jansson. A syntax error points at the first character of the offending
 *     token; an encoding error at the offending byte; end-of-input errors at
 *     the position just past the last character.
 *
 *   - Unpacking (gm_json_unpack) checks an object against a field table
 *     (presence, type, bounds, unknown keys) and only then writes the C
 *     variables, so a failed unpack leaves them untouched. Errors carry the
 *     JSON path of the offending value, built with gm_json_path_key and
 *     gm_json_path_index: "stations[2].service.mean: expected number, got
 *     string".
 *
 * JSON paths: the root value is the empty path "". Children of the root have
 * no leading dot ("stations"), deeper keys are joined with '.'
 * ("stations[2].service"), array elements are "[i]". A key that is not a plain
 * identifier, i.e. does not match [A-Za-z_$@][A-Za-z0-9_$@:-]*, is written in
 * brackets with JSON string quoting: stations[0]["my key"], ["a.b"], [""].
 * An error about the root value itself therefore has an empty location, and
 * gm_err_format prints only the message ("expected object, got array"); a
 * caller that knows the document name adds it with gm_err_prefix
 * ("model.json: expected object, got array").
 */
#ifndef GM_BASE_JSON_H
#define GM_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "base/sb.h"

typedef struct gm_json_limits {
    size_t max_bytes; /* reject documents larger than this */
    int max_depth;    /* reject nesting deeper than this (arrays+objects); >= 0 */
} gm_json_limits;

/* Defaults: 64 MiB, depth 64. */
extern const gm_json_limits gm_json_limits_default;

/*
 * Parse one JSON document of len bytes from buf (which need not be
 * NUL-terminated; buf may be NULL only when len is 0). Any JSON value is
 * accepted at the top level. name is the location prefix in errors ("<body>",
 * a file name); NULL means "<input>". lim NULL means gm_json_limits_default.
 *
 * Checks, in this order:
 *   1. len <= lim->max_bytes, else GM_ELIMIT (where = name).
 *   2. A fast scan that understands strings and escapes: a bracket ('[' or
 *      '{', outside strings) that opens nesting level max_depth + 1 fails with
 *      GM_ELIMIT at that bracket's line:column. Brackets inside strings do not
 *      count. jansson is never run on such input. (jansson also has its own
 *      hard limit of about 2048 levels; deeper input gives GM_ELIMIT even if
 *      max_depth is larger.)
 *   3. jansson parses with duplicate-key rejection. The first error wins,
 *      whether it is a syntax error or one of the encoding errors that the scan
 *      pinpoints (invalid UTF-8, a raw control character inside a string, a
 *      raw NUL byte or other control character outside strings).
 *
 * Returns a new reference (the caller json_decref's it), or NULL with err set
 * (where = "name:line:column", what = what was wrong or expected):
 *   GM_ELIMIT  size or depth limit exceeded
 *   GM_EPARSE  syntax error, duplicate key, invalid UTF-8, NUL character
 *   GM_ERANGE  a number too large for int64 (integers) or double (reals)
 *   GM_ENOMEM  allocation failed
 *   GM_EINVAL  bad arguments (buf NULL with len > 0, lim->max_depth < 0)
 *
 * Positions are exact for documents up to INT_MAX bytes (jansson reports
 * positions as int); for larger documents syntax errors are located only by
 * name.
 */
json_t *gm_json_load_str(const char *buf, size_t len, const gm_json_limits *lim,
                         const char *name, gm_err *err);

/*
 * As gm_json_load_str, reading the file at path; path is the error location
 * prefix. At most lim->max_bytes + 1 bytes are read, whatever stat says, so a
 * file (or pipe, or device) above the limit fails with GM_ELIMIT without being
 * read in full. Errors carry strerror in the message ("cfg.json: cannot
 * open: No such file or directory"): GM_ENOENT for a missing file, GM_EINVAL
 * for a directory or a NULL path, GM_EIO for other open and read errors.
 */
json_t *gm_json_load_file(const char *path, const gm_json_limits *lim, gm_err *err);

/*
 * Append v to sb as compact JSON text (no spaces), objects in jansson's
 * insertion order: what json_dumps(v, JSON_COMPACT) writes, but without an
 * allocation per call and with reals in their shortest decimal form that
 * reads back as the same double, the nearest to it when several are as
 * short: the digits Python's repr, JavaScript and Ryu print ("15.1", not
 * "15.099999999999999"; "1e+300", not "1.0000000000000001e+300"). The layout
 * is also repr's: positional for 1e-4 <= |x| < 1e16 ("0.0001",
 * "1234567890123456.0"), else an exponent with a sign and at least two
 * digits ("1e-05", "1e+16", "5e-324"). A real always shows a '.' or an
 * exponent, so it reads back as a real. Strings are escaped as
 * gm_sb_append_json_escaped does.
 *
 * Returns 0; GM_ELIMIT when v nests deeper than 1024 levels (jansson's own
 * parser stops at about 2048) or sb's limit is reached; GM_EINVAL for a
 * non-finite real (which jansson cannot hold) or NULL v; GM_ENOMEM. On error
 * the text of this call is taken off again; sb's own errors (out of memory,
 * its limit) stay recorded in sb, as for every append.
 */
int gm_json_write(gm_sb *sb, const json_t *v);

/* Append the double x as gm_json_write writes a real. Returns as gm_sb_append;
   GM_EINVAL for NaN or an infinity. */
int gm_json_write_real(gm_sb *sb, double x);

/* Append the integer i in decimal. Returns as gm_sb_append. */
int gm_json_write_int(gm_sb *sb, int64_t i);

/*
 * Name of a value's type as used in messages: "object", "array", "string",
 * "integer", "number" (a real), "boolean", "null"; "nothing" for NULL.
 * The result is a static string.
 */
const char *gm_json_type_name(const json_t *v);

/*
 * Build the JSON path of a child: parent + key, or parent + "[index]".
 * parent NULL or "" is the root: gm_json_path_key(.., "", "stations") gives
 * "stations", gm_json_path_index(.., "", 3) gives "[3]". Keys that are not
 * plain identifiers are quoted as described at the top of this file; bytes
 * that are not valid UTF-8 are written as \ufffd.
 *
 * out receives at most n bytes and is always NUL-terminated when n > 0.
 * parent may be out itself (append in place). Returns 0, or GM_ELIMIT when the
 * path did not fit (out then holds a prefix that ends on a whole character
 * or escape), or GM_EINVAL when out or key is NULL.
 */
int gm_json_path_key(char *out, size_t n, const char *parent, const char *key);
int gm_json_path_index(char *out, size_t n, const char *parent, size_t index);

/* Strict unpack of an object into C variables, driven by a field table. */
typedef enum gm_json_kind {
    GM_JK_STRING, /* out: const char ** (borrowed from the json value) */
    GM_JK_INT,    /* out: int64_t *  (JSON integer only; a real like 2.0 is rejected) */
    GM_JK_NUMBER, /* out: double *   (integer or real; integers beyond 2^53 round) */
    GM_JK_BOOL,   /* out: bool * */
    GM_JK_OBJECT, /* out: const json_t ** (borrowed) */
    GM_JK_ARRAY,  /* out: const json_t ** (borrowed) */
    GM_JK_ANY,    /* out: const json_t ** (borrowed); any value except null
                     (null only with GM_JF_NULLABLE, like every other kind) */
} gm_json_kind;

enum {
    GM_JF_REQUIRED = 1u << 0, /* missing -> error */
    GM_JF_NULLABLE = 1u << 1, /* JSON null accepted: out left untouched, *present false */
    GM_JF_MIN = 1u << 2,      /* check >= min (INT, NUMBER; STRING/ARRAY/OBJECT: length/size >= min) */
    GM_JF_MAX = 1u << 3,      /* check <= max (same) */
    GM_JF_MIN_EXCL = 1u << 4, /* with GM_JF_MIN: strictly > min (e.g. a mean must be > 0) */
};

/*
 * One field of a table.
 *
 * Bounds: min and max apply only when GM_JF_MIN / GM_JF_MAX are in flags.
 *   - INT, and NUMBER fields holding a JSON integer: the int64 value is
 *     compared *exactly* with the double bound (no rounding of the value), so
 *     a bound of 1 rejects 0 even near 2^63. Bounds themselves are doubles:
 *     beyond 2^53 not every integer can be a bound (a C constant like
 *     INT64_MAX becomes 2^63). To accept the whole int64 range, leave the flag
 *     out; a bound of +-INFINITY also works.
 *   - NUMBER holding a real: ordinary double comparison.
 *   - STRING: the length in Unicode code points (not bytes), so "é" has
 *     length 1.
 *   - ARRAY / OBJECT: the number of elements / keys.
 * Bounds must not be NaN; GM_JF_MIN_EXCL needs GM_JF_MIN; MIN/MAX are not
 * allowed on BOOL and ANY. A table breaking these rules (or with a NULL or
 * repeated key, an unknown kind or flag) makes gm_json_unpack fail with
 * GM_EINVAL "invalid field table: ...".
 */
typedef struct gm_json_field {
    const char *key;
    gm_json_kind kind;
    unsigned flags;
    void *out;      /* may be NULL: only validate */
    bool *present;  /* may be NULL: set true iff the key was present and non-null */
    double min, max; /* bounds for flags MIN/MAX (see above) */
} gm_json_field;

/*
 * Initialisers for table entries (usable in array initialisers). Bounds are
 * converted to double. flags say which bounds apply; GM_JF_RANGE does not
 * add GM_JF_MIN / GM_JF_MAX itself:
 *   GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &name)
 *   GM_JF_RANGE("servers", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN, &servers, 1, 0)
 *   GM_JF_RANGE("mean", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MIN_EXCL, &mean, 0, 0)
 *   GM_JF_FULL("sd", GM_JK_NUMBER, GM_JF_NULLABLE | GM_JF_MIN, &sd, &have_sd, 0, 0)
 */
#define GM_JF_FULL(key_, kind_, flags_, out_, present_, min_, max_)                       \
    {                                                                                    \
        .key = (key_), .kind = (kind_), .flags = (flags_), .out = (out_),                \
        .present = (present_), .min = (double)(min_), .max = (double)(max_)              \
    }
#define GM_JF(key_, kind_, flags_, out_) GM_JF_FULL(key_, kind_, flags_, out_, NULL, 0.0, 0.0)
#define GM_JF_P(key_, kind_, flags_, out_, present_)                                     \
    GM_JF_FULL(key_, kind_, flags_, out_, present_, 0.0, 0.0)
#define GM_JF_RANGE(key_, kind_, flags_, out_, min_, max_)                               \
    GM_JF_FULL(key_, kind_, flags_, out_, NULL, min_, max_)

enum { GM_JSON_ALLOW_EXTRA = 1u << 0 }; /* default is strict: unknown keys are errors */

/*
 * Unpack object obj found at JSON path path ("" or NULL for the root).
 *
 * Checks, in order: the field table itself; that obj is an object; (unless
 * GM_JSON_ALLOW_EXTRA) that obj has no key outside the table, in obj's key
 * order; then each field in table order: presence, null, type, bounds. The
 * first problem is reported. Only when everything is valid are the out
 * pointers and present flags written (all or nothing). Values written for
 * STRING, OBJECT, ARRAY and ANY are borrowed from obj.
 *
 * Errors are GM_EINVAL with where = the full path of the offending field
 * (or path itself when obj is wrong), and what like:
 *   "expected number, got string"     ("expected number or null, ..." when nullable)
 *   "expected integer, got number 2.5"
 *   "expected integer >= 1, got 0"    (also "> 0", "<= 9", "in [1, 9]", "in (0, 9]")
 *   "expected string of length >= 1, got length 0"
 *   "expected array of size <= 4, got size 5"
 *   "missing required field (number)"
 *   "unknown field; expected one of: dist, mean, sd"   (keys sorted bytewise)
 *   "expected object, got array"
 *   "invalid field table: ..."        (a bug in the caller's table)
 */
int gm_json_unpack(const json_t *obj, const char *path, const gm_json_field *fields,
                   size_t nfields, unsigned flags, gm_err *err);

#endif
