/*
 * strconv.h: strict conversions of untrusted text to numbers.
 *
 * Unlike strtol/strtod used bare, these accept the whole string or nothing:
 * no leading or trailing spaces, no trailing garbage, no empty string, no
 * silent overflow, no "nan"/"inf" for doubles. `what` names the input in the
 * error ("--reps", "line 12 column 3") and the message says what was expected.
 */
#ifndef GM_BASE_STRCONV_H
#define GM_BASE_STRCONV_H

#include <stdint.h>

#include "base/err.h"

/* Decimal integer with optional sign, in [min, max]. GM_EINVAL or GM_ERANGE. */
int gm_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char *what,
                 gm_err *err);
/* Decimal unsigned integer (no sign), in [min, max]. */
int gm_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *what,
                 gm_err *err);
/* Finite decimal or exponent notation ("1.5", "-2e-3"), in [min, max]. */
int gm_parse_double(const char *s, double min, double max, double *out, const char *what,
                    gm_err *err);

#endif
