/*
 * dtmi.h: Digital Twin Model Identifiers (DTMIs) as DTDL v2 and v3 define them.
 *
 * A DTMI is "dtmi:" + path + optional ";" + version, e.g. "dtmi:com:example:Pump;2".
 * The path is one or more colon-separated segments; each segment is ASCII
 * letters, digits and '_', starts with a letter and does not end with '_'.
 * (Segments starting with '_' make a "system DTMI", which DTDL models never
 * allow, so this module rejects them.) The rules that differ by version:
 *
 *   DTDL v2: the version is required and is one integer: 1-9 digits, no
 *            leading zero ("dtmi:a:b;12").
 *   DTDL v3: the version is optional; it is MAJOR or MAJOR.MINOR, MAJOR 1-9
 *            digits and MINOR 1-6 digits, neither starting with '0'
 *            ("dtmi:a:b", "dtmi:a:b;3", "dtmi:a:b;3.14").
 *
 * Length limits are the same in both versions: an Interface's @id is at most
 * 128 characters, any other DTMI at most 2048 (the limit for user DTMIs).
 * Matching is case-sensitive throughout. Everything here is a pure string
 * check: no allocation, no state.
 */
#ifndef GM_MODEL_DTMI_H
#define GM_MODEL_DTMI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* DTDL language version a rule set belongs to. */
enum { GM_DTDL_V2 = 2, GM_DTDL_V3 = 3 };

/* Length limits in characters (all valid DTMIs are ASCII, so also bytes). */
#define GM_DTMI_MAX_LEN 2048           /* any user DTMI */
#define GM_DTMI_INTERFACE_MAX_LEN 128  /* the @id of an Interface */

/* Most digits in a major (or one-part) version and in a v3 minor version. */
#define GM_DTMI_MAJOR_DIGITS 9
#define GM_DTMI_MINOR_DIGITS 6

/*
 * Check that s is a syntactically valid DTMI under the rules of DTDL
 * `version` (GM_DTDL_V2 or GM_DTDL_V3), including its length limit:
 * GM_DTMI_INTERFACE_MAX_LEN when for_interface (the value is the @id of an
 * Interface), else GM_DTMI_MAX_LEN. Reserved prefixes are not checked here
 * (they apply only to @id values): see gm_dtmi_reserved.
 *
 * Returns 0, or GM_EINVAL with err (may be NULL) saying what is wrong, e.g.
 * "DTMI 'dtmi:a:9b;1': segment '9b' must start with a letter"; where (may be
 * NULL) is copied into err->where. s == NULL and an unknown version are
 * GM_EINVAL too. s is only read.
 */
int gm_dtmi_check(const char *s, int version, bool for_interface, const char *where, gm_err *err);

/*
 * True when s is one DTMI path segment: ASCII letters, digits and '_',
 * starting with a letter and not ending with '_'. DTDL element names follow
 * the same rule. False for NULL and "".
 */
bool gm_dtmi_segment(const char *s);

/* The parts of a DTMI; path points into the string that was split. */
typedef struct gm_dtmi_parts {
    size_t path_len;  /* bytes of path */
    const char *path; /* the segments without "dtmi:" and ";version" */
    long major;       /* version, or major part of a two-part version; -1 when none */
    long minor;       /* minor part of a two-part version; -1 when none */
} gm_dtmi_parts;

/*
 * Split s into path and version. s must pass gm_dtmi_check(s, GM_DTDL_V3,
 * false, ...), the most permissive rule set; otherwise GM_EINVAL and *out is
 * untouched. out->path points into s (not NUL-terminated at path_len) and is
 * valid as long as s is; nothing is retained. out must not be NULL.
 */
int gm_dtmi_split(const char *s, gm_dtmi_parts *out);

/*
 * True when s begins with a prefix DTDL reserves for itself, "dtmi:dtdl:" or
 * "dtmi:standard:" (the same two in v2 and v3). A model's @id must not: such
 * identifiers name the language's own classes, units and schemas. Other
 * DTMI-valued properties may refer to them. False for NULL.
 */
bool gm_dtmi_reserved(const char *s);

#endif
