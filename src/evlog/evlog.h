/*
 * evlog.h: event logs of simulated processes, as CSV or XES (IEEE 1849-2016).
 *
 * The process simulator reports each executed activity of a case (who did
 * what, from when to when, in simulated time) and when a case has finished.
 * This module maps simulated time to real timestamps and writes
 *
 *   CSV  one row per activity as it is reported (streamed):
 *            case_id,activity,resource,start,end
 *        fields quoted per RFC 4180 when they hold a comma, quote, CR or LF;
 *        bytes are written as given (no re-encoding).
 *   XES  an IEEE 1849-2016 document (xes.version "2.0", elements in the
 *        namespace http://www.xes-standard.org/): the Concept, Time,
 *        Lifecycle and Organizational extensions, one <trace> per case
 *        (concept:name = the case id in decimal) holding a "start" and a
 *        "complete" event per activity, sorted by time. It follows the
 *        standard's grammar and datatypes (tests/evlog/test_xes_rules.c). A trace can only be written once its case
 *        has ended, so the activities of unfinished cases are kept in memory,
 *        within the limits below.
 *
 * Timestamps: simulated time t (>= 0, in time units) becomes the instant
 *     start_ns + t * unit_seconds * 1e9 ns,
 * with t * unit_seconds rounded to the nearest millisecond, written RFC 3339
 * with milliseconds at the clock's UTC offset ("2016-08-01T08:00:00.000+02:00").
 *
 * Text in XES: &, <, >, " and ' are escaped; TAB, LF and CR are written as
 * character references so they survive attribute-value normalisation. What
 * XML 1.0 cannot carry at all (other C0 control characters, U+FFFE, U+FFFF)
 * and bytes that are not valid UTF-8 are each replaced by U+FFFD, so the
 * document is always well-formed.
 *
 * Not thread-safe: one writer per log.
 */
#ifndef GM_EVLOG_EVLOG_H
#define GM_EVLOG_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Default memory bounds of the XES writer (CSV streams and needs none). */
#define GM_EVLOG_MAX_OPEN 1000000u          /* cases with buffered activities */
#define GM_EVLOG_MAX_CASE_EVENTS 100000u    /* activities (2 events each) of one case */
#define GM_EVLOG_MAX_BUFFERED 10000000u     /* activities buffered over all open cases */
/* Distinct activity and resource names an XES log keeps (each is escaped once
   and shared) until close. Names come from the model; the bound only stops a
   caller that invents a name per activity. */
#define GM_EVLOG_MAX_NAMES 100000u

typedef enum gm_evlog_format { GM_EVLOG_CSV, GM_EVLOG_XES } gm_evlog_format;

typedef struct gm_evlog gm_evlog;

/* How simulated time maps to real time. */
typedef struct gm_evlog_clock {
    int64_t start_ns;    /* instant of simulated time 0, ns since the Unix epoch */
    int offset_min;      /* UTC offset of the timestamps, minutes, -1439..1439 */
    double unit_seconds; /* seconds per simulated time unit, finite and > 0 */
} gm_evlog_clock;

/*
 * Choose the format from path's extension, case-insensitively: ".xes" gives
 * GM_EVLOG_XES, ".csv" gives GM_EVLOG_CSV. Only the last component counts
 * ("logs.xes/run.csv" is CSV, "run.xes.gz" is refused).
 * Errors: GM_EINVAL (where = path) "expected a .csv or .xes file name", also
 * when path or fmt is NULL; *fmt is then untouched.
 */
int gm_evlog_format_of(const char *path, gm_evlog_format *fmt, gm_err *err);

/*
 * Create (or truncate) path and write the log's opening: the CSV header, or
 * the XES prologue (extensions, globals, classifiers, and the log's
 * concept:name = process_name when process_name is not NULL). path,
 * clk and process_name are copied or used at once; the caller keeps them.
 * On success *out is a log the caller must end with gm_evlog_close or
 * gm_evlog_abort; on failure *out is NULL and no file is left open.
 * Errors: GM_EINVAL  path, clk or out NULL, fmt unknown, clk->offset_min
 *                    outside -1439..1439, clk->unit_seconds not finite > 0;
 *         GM_EIO     the file cannot be created, or its opening cannot be
 *                    written through to it (a full disk, /dev/full): where =
 *                    path, with strerror;
 *         GM_ENOMEM.
 */
int gm_evlog_open(const char *path, gm_evlog_format fmt, const gm_evlog_clock *clk,
                  const char *process_name, gm_evlog **out, gm_err *err);

/*
 * Lower (or raise) the XES memory bounds of l: at most max_open cases with
 * buffered activities, max_case activities per case, max_buffered activities
 * in all. 0 keeps the current value. Meant for tests and memory-constrained
 * callers; the defaults are the GM_EVLOG_MAX_* values. Limits already
 * exceeded are not undone, they only stop further growth. Ignored for CSV.
 */
void gm_evlog_set_limits(gm_evlog *l, size_t max_open, size_t max_case, size_t max_buffered);

/*
 * Record one executed activity of case case_id: activity (non-NULL; the
 * task's name) performed by resource (NULL or "" = none) from simulated time
 * start to end. CSV writes the row now; XES keeps it with its case until
 * gm_evlog_case_end (or gm_evlog_close). Strings are copied.
 * A case_id that was already ended starts a new trace: end each case once.
 * Errors (argument errors change nothing; the log stays usable):
 *   GM_EINVAL  l or activity NULL, start or end not finite, start < 0,
 *              end < start;
 *   GM_ERANGE  a timestamp would fall outside 1677..2262 (int64 ns);
 *   GM_ELIMIT  XES only: more than the open-case, per-case or total limit,
 *              or more than GM_EVLOG_MAX_NAMES distinct names (the message
 *              says which and suggests a .csv log);
 *   GM_EIO     a write to the file has failed (disk full, ...); the log is
 *              incomplete: close or abort it;
 *   GM_ENOMEM.
 */
int gm_evlog_activity(gm_evlog *l, uint64_t case_id, const char *activity, const char *resource,
                      double start, double end, gm_err *err);

/*
 * Case case_id has finished: XES writes its trace now (its activities in
 * order of start time, ties in report order; events sorted by timestamp)
 * and frees its buffer. A case with no recorded activity has no trace (as in
 * CSV, which cannot show one). CSV: nothing to do.
 * Errors: GM_EINVAL l NULL; GM_EIO a write has failed; GM_ENOMEM (the log is
 * then incomplete: close or abort it).
 */
int gm_evlog_case_end(gm_evlog *l, uint64_t case_id, gm_err *err);

/*
 * Finish the log: XES writes the traces of cases still open, in increasing
 * case id, then "</log>"; flush and close the file, free l (always, even on
 * error). Returns 0, or the first failure since open:
 *   GM_EIO    a write, flush or close failed (disk full, ...): where = the
 *             path, message with strerror; the file is incomplete;
 *   GM_ENOMEM writing needed memory that was not there (file incomplete).
 * NULL l is GM_EINVAL.
 */
int gm_evlog_close(gm_evlog *l, gm_err *err);

/*
 * Discard l on an error path: close the file without finishing it (what was
 * written so far stays, possibly incomplete) and free everything, reporting
 * nothing. NULL is ignored.
 */
void gm_evlog_abort(gm_evlog *l);

#endif
