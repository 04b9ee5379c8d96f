/*
 * time.h: clocks, civil (calendar) time and RFC 3339 text.
 *
 * Inside gemel an instant is an int64_t count of nanoseconds since the Unix
 * epoch, 1970-01-01T00:00:00Z, ignoring leap seconds (POSIX time). That covers
 * 1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z. In APIs an
 * instant is an RFC 3339 string (section 5.6).
 *
 * Everything here is pure arithmetic on the proleptic Gregorian calendar: no
 * locale, no time-zone database, no mktime/timegm/strptime, no allocation. The
 * only time zones are fixed UTC offsets in minutes, -1439..1439 (±23:59).
 * All functions are thread-safe.
 */
#ifndef GM_BASE_TIME_H
#define GM_BASE_TIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"

/* Monotonic clock (CLOCK_MONOTONIC) in nanoseconds, for measuring intervals.
 * Never goes backwards; its zero is arbitrary (usually boot). */
int64_t gm_time_mono_ns(void);

/* Initialise cv so that its timed waits run on CLOCK_MONOTONIC: a
   wall-clock step must not turn a 10 ms wait into an hour, nor into
   nothing. 0 or an errno value, as pthread_cond_init. */
int gm_time_cond_init(pthread_cond_t *cv);

/* *out = now + ns on CLOCK_MONOTONIC, for pthread_cond_timedwait on such a
   condition variable; false when it does not fit (wait forever). */
bool gm_time_deadline(int64_t ns, struct timespec *out);

/* Wall clock (CLOCK_REALTIME) in nanoseconds since the epoch. Can jump when the
 * system clock is set. */
int64_t gm_time_wall_ns(void);

/* Smallest and largest instants, and their RFC 3339 spelling (for messages). */
#define GM_TIME_MIN_NS INT64_MIN
#define GM_TIME_MAX_NS INT64_MAX
#define GM_TIME_MIN_TEXT "1677-09-21T00:12:43.145224192Z"
#define GM_TIME_MAX_TEXT "2262-04-11T23:47:16.854775807Z"

/* Largest UTC offset magnitude, in minutes (23:59). */
#define GM_TIME_OFFSET_MAX 1439

typedef struct gm_time_civil {
    int year;       /* 1..9999 */
    int month;      /* 1..12 */
    int day;        /* 1..31 */
    int hour, min, sec; /* 0..23, 0..59, 0..59 (no leap second 60) */
    int nsec;       /* 0..999999999 */
    int offset_min; /* UTC offset of this civil time, minutes, -1439..1439 */
    int wday;       /* output only: 0 = Sunday .. 6 = Saturday */
    int yday;       /* output only: 0 = 1 January .. 365 */
} gm_time_civil;

/*
 * Convert the instant ns to civil time at UTC offset offset_min (minutes east of
 * UTC, so -480 is -08:00), filling every field of *out including wday and yday;
 * out->offset_min = offset_min. Total: works for every int64_t value (floor
 * division, so -1 is 1969-12-31T23:59:59.999999999Z).
 * Returns 0, or GM_EINVAL when out is NULL or offset_min is outside -1439..1439.
 */
int gm_time_to_civil(int64_t ns, int offset_min, gm_time_civil *out);

/*
 * Convert civil time *c (read at its own c->offset_min) to an instant in
 * *out_ns. Every input field is validated: ranges as documented on
 * gm_time_civil, the day must exist in that month (29 February only in leap
 * years: divisible by 4, except centuries not divisible by 400). wday and yday
 * are ignored.
 * Errors (err->where names the field, e.g. "day", and is "" for GM_ERANGE;
 * *out_ns is left untouched on any error):
 *   GM_EINVAL       c or out_ns NULL, or a field out of range ("day 31 does not
 *                   exist in April 2023");
 *   GM_EUNSUPPORTED sec == 60, a leap second: valid UTC, but POSIX time (and so
 *                   gemel) has no way to represent it;
 *   GM_ERANGE       the instant does not fit in int64 nanoseconds (outside
 *                   GM_TIME_MIN_TEXT .. GM_TIME_MAX_TEXT).
 */
int gm_time_from_civil(const gm_time_civil *c, int64_t *out_ns, gm_err *err);

/*
 * Parse an RFC 3339 date-time (section 5.6):
 *     YYYY-MM-DD "T" hh:mm:ss [ "." 1*DIGIT ] ( "Z" / ("+" / "-") hh:mm )
 * s need not be NUL-terminated: exactly len bytes are read (s may be NULL only
 * when len is 0). On success stores the instant in *out_ns and, when
 * out_offset_min is not NULL, the offset written in the text in minutes ("Z"
 * and "-00:00" both give 0). On failure the outputs are untouched.
 *
 * Accepted beyond the strict grammar, as RFC 3339 allows: 't' for 'T', a single
 * space for 'T' (section 5.6 NOTE), 'z' for 'Z'. Any number of fraction digits
 * is accepted, at least one; digits past the 9th are ignored (truncated, never
 * rounded). Years 0000..9999 are accepted by the syntax and then range-checked.
 * Nothing else is accepted: no surrounding spaces, no missing seconds, no
 * offset without a colon, no "24:00:00".
 *
 * Errors (err->where is "offset N", the byte offset of the offending field or
 * character; err->what says what was found and expected):
 *   GM_EPARSE       wrong syntax: empty string, truncated input, a non-digit
 *                   where a digit belongs, wrong separator ("expected ':' after
 *                   hour"), "missing time offset (expected 'Z' or +hh:mm)",
 *                   "trailing characters after time";
 *   GM_EINVAL       a field out of range: "month 13 out of range 1..12",
 *                   "day 29 does not exist in February 2023", hour 24, minute
 *                   60, second 61, offset hours > 23 or minutes > 59; also s
 *                   NULL with len > 0, or out_ns NULL;
 *   GM_EUNSUPPORTED second 60 (a leap second), which gemel does not represent;
 *   GM_ERANGE       well-formed, but outside the int64 nanosecond range; the
 *                   message gives the supported range.
 */
int gm_time_parse_rfc3339(const char *s, size_t len, int64_t *out_ns, int *out_offset_min,
                          gm_err *err);

#define GM_TIME_RFC3339_MAX 48 /* enough for any formatted value + NUL */
#define GM_TIME_FRAC_AUTO (-1)

/*
 * Format the instant ns as RFC 3339 at UTC offset offset_min, into buf (n
 * bytes, NUL-terminated): "2006-01-02T15:04:05.999999999+07:00". The offset is
 * "Z" when offset_min is 0, else +hh:mm / -hh:mm.
 * frac_digits 0..9 prints exactly that many fraction digits (no '.' for 0),
 * truncating the civil fraction, never rounding (so the text never names a
 * later time than ns). GM_TIME_FRAC_AUTO prints no fraction when ns is a whole
 * second, else 3, 6 or 9 digits, the fewest that are exact; so
 * gm_time_parse_rfc3339 of an AUTO text gives back ns exactly.
 * Returns the length written (excluding the NUL), or
 *   GM_EINVAL  buf NULL, offset_min outside -1439..1439, frac_digits outside
 *              0..9 and not GM_TIME_FRAC_AUTO;
 *   GM_ERANGE  n too small for the text and its NUL (buf is then "" when
 *              n > 0). GM_TIME_RFC3339_MAX bytes always suffice.
 */
int gm_time_format_rfc3339(int64_t ns, int offset_min, int frac_digits, char *buf, size_t n);

/*
 * Parse a time of day "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff" (any number of
 * fraction digits, at least one) and, when allow_offset, an optional UTC
 * offset "Z" or "+hh:mm"/"-hh:mm" after it. *sec receives the seconds after
 * midnight; calendars have whole seconds, so a fraction is rounded to the
 * nearest second by its first digit ("23:59:59.999" gives 86400, the end of
 * the day). *has_off says whether an offset was given and *off_min is it in
 * minutes (0 when not). Hours 00..23, minutes and seconds 00..59; nothing
 * else is accepted (no spaces, no "24:00", no "9:00").
 * Returns 0, or GM_EINVAL (outputs untouched; err, which may be NULL, says
 * "expected a time HH:MM[:SS[.fff]], got '...'", where "").
 */
int gm_time_parse_time_of_day(const char *s, bool allow_offset, int64_t *sec, bool *has_off,
                              int *off_min, gm_err *err);

/*
 * Parse a date-time as Java's DateTimeFormatter.ISO_DATE_TIME reads it, the
 * form simulators written in Java (Scylla, BIMP) store:
 *     YYYY-MM-DD "T" HH:MM [":" SS ["." 1*DIGIT]]
 *     [ "Z" / ("+" / "-") hh:mm ] [ "[" Region/Zone "]" ]
 * ('t' or a space may stand for 'T'). Without an offset the time is local
 * time at dflt_off minutes. A "[Region/Zone]" is accepted only after an
 * explicit offset: gemel has fixed offsets only, so the region is
 * approximated by that offset and *region is set. *ns receives the instant,
 * *has_off whether the text had an offset, *off_min the offset used (dflt_off
 * when none). Returns 0 or, with err's what set ("expected a date-time
 * YYYY-MM-DDTHH:MM[:SS][offset], got '...'") and where "":
 *   GM_EPARSE        wrong syntax;
 *   GM_EINVAL        a field out of range (month 13, 30 February), an offset
 *                    beyond +-23:59;
 *   GM_ERANGE        outside the int64 nanosecond range;
 *   GM_EUNSUPPORTED  a region without an offset, or a leap second.
 * The outputs are untouched on error.
 */
int gm_time_parse_datetime(const char *s, int dflt_off, int64_t *ns, bool *has_off,
                           int *off_min, bool *region, gm_err *err);

/*
 * The day of the week named s, MONDAY..SUNDAY in any case (Java's DayOfWeek
 * names): *day = 0 for Monday .. 6 for Sunday (ISO order, which calendars
 * use; note gm_time_civil's wday counts from Sunday). Returns 0, or
 * GM_EINVAL ("expected a day MONDAY..SUNDAY, got '...'"; *day untouched).
 */
int gm_time_parse_weekday(const char *s, int *day, gm_err *err);

#endif
