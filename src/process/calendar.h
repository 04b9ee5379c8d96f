/*
 * calendar.h: weekly calendars for process simulation.
 *
 * A calendar is a weekly, piecewise-constant, non-negative weight function
 * w(t) on the simulation clock. It has two uses:
 *
 *   - resource availability: w is 1 inside the calendar's windows and 0
 *     outside ("is this clerk on shift now, and when does 25 minutes of work
 *     started now finish if work pauses off-shift": gm_cal_advance);
 *   - arrival rates: w is the number of cases per time unit; arrivals are a
 *     non-homogeneous Poisson process, drawn by advancing an Exp(1) amount of
 *     cumulative intensity (gm_cal_advance again).
 *
 * JSON form (the `calendars` values and the arrival RATE_ENTRY arrays of the
 * process-simulation parameters): an array of entries
 *     {"days": "mon-fri", "from": "09:00", "to": "17:00"}
 * plus, in a rate calendar, "rate": NUMBER >= 0 (required there, an error in
 * an availability calendar). `days` is one day or an inclusive range of mon
 * tue wed thu fri sat sun, case-insensitive; a range may wrap ("fri-mon" is
 * fri, sat, sun, mon; "tue-mon" is the whole week). `from` and `to` are HH:MM
 * or HH:MM:SS (hours 00..23, minutes and seconds 00..59; `to` may also be
 * 24:00 or 24:00:00), with from < to. An entry covers [from, to) on each of
 * its days. Overlapping entries: availability is their union (weight 1), a
 * rate is the sum of the rates that overlap. An empty array is allowed
 * (never available / no arrivals).
 *
 * Clock binding. Simulated time t is a double in time units of unit_seconds
 * seconds each; the calendar is read at the local week position
 * (week0 + t * unit_seconds) mod 604800 seconds, where week0 is the number
 * of seconds since Monday 00:00 (local time) at t = 0 (gm_cal_week_position
 * computes it from the simulation's start instant). Times t and amounts
 * passed to the queries are in time units; integrals are in time units x
 * weight.
 *
 * Precision: window boundaries are whole seconds. Week positions are exact
 * while |week0 + t * unit_seconds| stays below 2^53 seconds (285 million
 * years), and a result that falls on a boundary comes out exactly when the
 * boundary is representable in time units (with unit_seconds 60 and week0 0,
 * next_on at Monday 08:59 is exactly 540, and 90000 weeks later exactly
 * 907200540). The queries agree with gm_cal_weight at their own results:
 * next_on(t) >= t and w(next_on(t)) > 0; when w(t) > 0, on_until(t) > t and,
 * unless w > 0 everywhere, w(on_until(t)) == 0.
 * advance(t, a) >= t, and it is non-decreasing in a; in t it is
 * non-decreasing too, except that where a stretch of positive weight runs
 * across Sunday 24:00 two times an ulp apart on either side of it may see
 * their results differ by one rounding of the cumulated amount.
 *
 * Queries allocate nothing and take O(log segments), advance included:
 * whole weeks are skipped by one division, never week by week. A gm_cal is
 * immutable after gm_cal_bind, so any number of threads may query one
 * calendar at once; bind it before sharing it.
 */
#ifndef GM_PROCESS_CALENDAR_H
#define GM_PROCESS_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

typedef struct gm_cal gm_cal;

/* Most entries one calendar array may hold. */
#define GM_CAL_MAX_ENTRIES 1000u

/* Largest accepted "rate" (cases per time unit), so that weekly integrals stay
   far from overflow. */
#define GM_CAL_MAX_RATE 1e9

/* Seconds in one week. */
#define GM_CAL_WEEK_SECONDS 604800.0

/*
 * Parse a calendar from the JSON array arr found at JSON path path (used in
 * errors; NULL or "" is the root). with_rate selects the rate form (each
 * entry needs "rate"); without it, "rate" is an error. On success *out
 * receives a new calendar owned by the caller (free it with gm_cal_free),
 * bound to the default clock (unit_seconds 60, week0 0). On failure *out is
 * left untouched and err names the offending value's path:
 *   GM_EINVAL  arr not an array, an entry not an object, a missing, mistyped
 *              or unknown field, e.g.
 *                "calendars.office[2].from: expected HH:MM or HH:MM:SS, got \"9am\""
 *                "calendars.office[0].days: unknown day 'mnd'; expected mon..sun
 *                 or a range like mon-fri"
 *                "calendars.office[1]: from 17:00 is not before to 09:00"
 *              a rate < 0 or > GM_CAL_MAX_RATE; also arr or out NULL;
 *   GM_ELIMIT  more than GM_CAL_MAX_ENTRIES entries;
 *   GM_ENOMEM  allocation failed.
 */
int gm_cal_from_json(const json_t *arr, const char *path, bool with_rate, gm_cal **out,
                     gm_err *err);

/* Free a calendar. NULL is ignored. */
void gm_cal_free(gm_cal *c);

/*
 * Bind the calendar to the simulation clock: time t (in units of unit_seconds
 * seconds) is at local week position (week0_seconds + t * unit_seconds) mod
 * one week; week0_seconds is the number of seconds since Monday 00:00 local
 * time at t = 0 (any finite value; it is reduced modulo one week). Before the
 * first bind a calendar uses unit_seconds 60 and week0 0.
 * Returns 0, or GM_EINVAL (binding unchanged) when c is NULL, unit_seconds is
 * not finite and > 0, or week0_seconds is not finite.
 */
int gm_cal_bind(gm_cal *c, double unit_seconds, double week0_seconds);

/*
 * Seconds since Monday 00:00, in [0, 604800), in local time (UTC +
 * offset_min minutes) of the instant utc_ns (nanoseconds since the Unix
 * epoch, as gm_time_parse_rfc3339 gives it with the offset it read).
 * Total: every utc_ns and offset_min gives a result.
 */
double gm_cal_week_position(int64_t utc_ns, int offset_min);

/*
 * The queries. c must not be NULL. t is a simulated time in time units;
 * for a t that is not finite, weight returns 0 and the others return t.
 */

/* w(t): the weight at time t (segments are right-open: a window's end has
   the weight of what follows it). */
double gm_cal_weight(const gm_cal *c, double t);

/* Smallest t' >= t with w(t') > 0; HUGE_VAL if w is 0 everywhere. */
double gm_cal_next_on(const gm_cal *c, double t);

/* If w(t) > 0: the end of the maximal stretch from t on which w stays > 0
   (the weight may change inside the stretch; the stretch may run across the
   end of the week), HUGE_VAL if w is > 0 everywhere. If w(t) == 0: t. */
double gm_cal_on_until(const gm_cal *c, double t);

/*
 * Smallest t' >= t with integral from t to t' of w(s) ds == amount (amount
 * >= 0, in time units x weight). Returns t when amount is 0 (or negative, or
 * NaN), HUGE_VAL when the amount is never reached (w is 0 everywhere, or
 * amount is infinite). A result at the end of a window is that end, not the
 * start of the next window: 8 hours of work started at 09:00 in a 09:00-17:00
 * calendar finish at 17:00 the same day.
 */
double gm_cal_advance(const gm_cal *c, double t, double amount);

/* Integral of w over one week, in time units x weight (2400 for mon-fri
   09:00-17:00 with minutes as the time unit). */
double gm_cal_week_total(const gm_cal *c);

/* True when w > 0 everywhere (callers may then skip the calendar: for an
   availability calendar next_on(t) == t and advance(t, a) == t + a). */
bool gm_cal_always(const gm_cal *c);

/*
 * Building an availability calendar from windows, as the importers of other
 * simulators' timetables do: collect weekly windows, then write them in the
 * JSON form above. Initialise with GM_CAL_WINDOWS_INIT; free with
 * gm_cal_windows_free.
 */
typedef struct gm_cal_windows {
    int64_t *iv; /* 2 * n: [from, to) seconds since Monday 00:00, with
                    0 <= from < 604800 and from < to <= from + 604800 */
    size_t n, cap;
} gm_cal_windows;

#define GM_CAL_WINDOWS_INIT {NULL, 0, 0}

/* Add the window [from, to), in seconds since a Monday 00:00 (any week: it
   is reduced modulo one week, so a window may run across Sunday 24:00);
   nothing when to <= from. Returns 0, GM_EINVAL (longer than a week),
   GM_ELIMIT (more than GM_CAL_MAX_ENTRIES windows) or GM_ENOMEM; w is
   unchanged on error. */
int gm_cal_windows_add(gm_cal_windows *w, int64_t from, int64_t to);

/* The entries array of w's union: each window split at midnights, equal
   windows of different days gathered into day ranges ("mon-fri", wrapping
   "fri-mon", the whole week "mon-sun"), listed in the order they first
   appear; times HH:MM, or HH:MM:SS when not whole minutes. A new
   reference, or NULL when out of memory. gm_cal_from_json reads it back to
   weight 1 exactly inside the windows. It may hold more entries than w has
   windows (up to 8 per window). */
json_t *gm_cal_windows_json(const gm_cal_windows *w);

/* Free w's storage and empty it. */
void gm_cal_windows_free(gm_cal_windows *w);

#endif
