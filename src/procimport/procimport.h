/*
 * procimport.h: convert the simulation parameters of other BPMN simulators
 * into gemel's "process-simulation" parameter JSON (docs: the params format
 * that gm_proc_load reads).
 *
 * Two sources:
 *   - Scylla (bptlab/scylla): a simulation configuration file (root
 *     <definitions>, one <simulationConfiguration>) plus a global
 *     configuration file (<globalConfiguration>: resources, timetables,
 *     zoneOffset), both in the namespace
 *     http://bsim.hpi.uni-potsdam.de/scylla/simModel (any prefix; the
 *     variant http://scy.hpi.uni-potsdam.de/scylla/simModel that some of
 *     Scylla's own samples use is accepted too).
 *   - BIMP / QBP Simulator: a <qbp:processSimulationInfo> element embedded in
 *     the BPMN file (namespace http://www.qbp-simulator.com/Schema201212).
 *
 * The output is a new JSON object with "type": "process-simulation" and
 * "time_unit": "minutes"; every time distribution carries its own "unit".
 * Only what the configuration states is converted: tasks of the model that
 * it does not mention are left out (gm_proc_load reports them). Every id the
 * configuration names must exist in the model with the right kind. Elements
 * with semantics gemel does not simulate (batch activities, set-up times,
 * data objects, DMN and other Scylla plugins, QBP simulate-as-task
 * sub-processes, ...) are refused with GM_EUNSUPPORTED naming FILE:LINE and
 * the element, never skipped; purely informational ones (random seeds,
 * currency, statistics thresholds, QBP's UI-only time units) are ignored.
 *
 * Input files are untrusted: at most GM_BPMN_MAX_FILE bytes, at most
 * GM_BPMN_MAX_ELEMENTS elements nested at most GM_BPMN_MAX_DEPTH deep; no
 * network access, no DTD (a document with a DTD is refused), no entity
 * substitution. Error locations are "FILE:LINE".
 */
#ifndef GM_PROCIMPORT_PROCIMPORT_H
#define GM_PROCIMPORT_PROCIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "base/map.h"
#include "process/bpmn.h"
#include "process/xmlcheck.h"

/*
 * Convert a Scylla configuration. sim_path is the simulationConfiguration
 * file, global_path the globalConfiguration file; m is the imported BPMN
 * model the configuration is for (its processRef must name a process of m).
 * Neither m nor the files are retained. On success *out is a new JSON object
 * (the caller json_decref's it) and 0 is returned; on failure *out is NULL.
 *
 * Mapping:
 *   processInstances -> cases; startDateTime -> start, re-expressed at the
 *   global zoneOffset (Scylla reads timetables in that zone); endDateTime ->
 *   horizon (minutes after start); startEvent arrivalRate ->
 *   arrivals.interarrival (keyed by start-event id when the process has
 *   several start events); task duration -> duration; task resources ->
 *   resource / resources; exclusive and inclusive gateway
 *   branchingProbability -> gateways (an exclusive gateway's default flow
 *   receives 1 - sum, then probabilities are normalised as Scylla's sampler
 *   does); boundaryEvent eventProbability and arrivalRate -> events
 *   {probability, after}; catchEvent arrivalRate -> events {delay};
 *   sub-process contents are flattened. Pools: dynamicResource -> resources
 *   (count = defaultQuantity, or units when instances are listed: the listed
 *   ones plus defaultQuantity minus their number default units, as Scylla
 *   does; a listed instance without timetableId is always available, as in
 *   Scylla); defaultCost per defaultTimeUnit -> cost_per_hour; timetables
 *   -> calendars (a timetableItem is the continuous span from its from-day
 *   at beginTime to its to-day at endTime, split into per-day entries).
 *   Only pools and timetables the configuration uses are written. Resource,
 *   calendar and unit names are sanitised to letters, digits, '_' and '-'
 *   (at most 64) and made unique. Accepted and not converted: randomSeed,
 *   resourceAssignmentOrder and assignmentDefinition (gemel serves each
 *   pool first come, first served).
 *
 * Errors (err->where is "FILE:LINE" where a line is known):
 *   GM_ENOENT / GM_EIO  a file cannot be read;
 *   GM_ELIMIT           size, element count or depth limit; a timetable of
 *                       more than SIM__MAX_CAL_ENTRIES windows; a pool with
 *                       listed instances and more than SIM__MAX_UNITS units;
 *   GM_EPARSE           not well-formed XML, a DTD, or not the expected root
 *                       element in a Scylla namespace;
 *   GM_EINVAL           a bad value or reference: an unknown id or one of
 *                       the wrong kind, a number that does not parse, an
 *                       unknown distribution element, a resource missing
 *                       from the global configuration, probabilities out of
 *                       range, a missing required element;
 *   GM_EUNSUPPORTED     a Scylla feature gemel does not simulate;
 *   GM_ENOMEM.
 */
int gm_bsim_load(const gm_bpmn *m, const char *sim_path, const char *global_path, json_t **out,
                 gm_err *err);

/*
 * Convert the BIMP/QBP parameters embedded in the BPMN file bpmn_path (the
 * file m was imported from; it is parsed again here). The
 * processSimulationInfo's processId, when present, must name a process of
 * m; without it m must have one process.
 *
 * Mapping: processInstances -> cases; startDateTime -> start (its offset
 * kept); arrivalRateDistribution -> arrivals.interarrival; resources ->
 * resources (name sanitised, totalAmount -> count, costPerHour ->
 * cost_per_hour, timetableId -> calendar); timetables -> calendars (a rule
 * is a daily window on each day from fromWeekDay to toWeekDay; a window
 * that wraps past midnight is split); elements -> tasks (durationDistribution
 * -> duration, resourceIds -> resource, fixedCost -> cost), intermediate
 * catch events -> events {delay}, timer boundary events -> events {after};
 * sequenceFlows executionProbability -> gateways, keyed by the source
 * gateway of each flow in m (a probability of 1 on a flow that does not
 * leave a choice is accepted and dropped). Timetables and resources not
 * used by any element are left out; the timetable flagged default="true" is
 * not applied to arrivals. QBP distributions are in seconds whatever
 * their <timeUnit> says (the QBP schema: the time unit is a user-interface
 * preference only), so every converted distribution has "unit": "seconds".
 *
 * Errors: as gm_bsim_load; GM_ENOENT when the file has no
 * processSimulationInfo.
 */
int gm_qbp_load(const gm_bpmn *m, const char *bpmn_path, json_t **out, gm_err *err);

/* ---- Module-internal helpers shared by scylla.c and bimp.c (defined in
   scylla.c); not for use outside src/procimport. ---- */

struct _xmlDoc;
struct _xmlNode;

#define SIM__NAME_MAX 64        /* resource, unit and calendar names */
#define SIM__MAX_CAL_ENTRIES 1000u /* entries of one converted calendar */
#define SIM__MAX_UNITS 10000    /* units of one pool converted to the "units" form */

/* Read and parse the XML file at path under the limits above. On success
   *doc owns the document (xmlFreeDoc). */
int sim__xml_load(const char *path, struct _xmlDoc **doc, gm_err *err);


/* Text of n's direct text and CDATA children, surrounding white space
   trimmed, malloc'd (caller frees); NULL when out of memory. */
char *sim__xml_text(const struct _xmlNode *n);

/* Attribute without namespace, malloc'd (caller frees); NULL when absent.
   *nomem is set true when it exists but could not be copied. */
char *sim__xml_attr(const struct _xmlNode *n, const char *name, bool *nomem);

/* A name made of raw's letters, digits, '_' and '-' (every run of other
   bytes becomes one '_', none at either end), at most SIM__NAME_MAX bytes,
   fallback when nothing is left; distinct from reserved (may be NULL) and
   from the names already given out of taken (a JSON object this function
   alone maintains: name -> next numeric suffix to try), by a suffix "_2",
   "_3", ... when needed. 0 or GM_ENOMEM. */
int sim__unique_name(json_t *taken, const char *raw, const char *fallback, const char *reserved,
                     char out[SIM__NAME_MAX + 1]);

/* ids -> vector indices (gm_map values are index + 1). */
size_t sim__index_get(const gm_map *m, const char *id); /* SIZE_MAX when absent */
int sim__index_put(gm_map *m, const char *id, size_t i); /* 0, GM_EEXIST, GM_ENOMEM */

/* Day of the week of a name MONDAY..SUNDAY (any case): 0..6, or -1. */
int sim__weekday(const char *name);

/* A JSON number: an integer when x is integral and small, else a real. */
json_t *sim__num(double x);

/* A weekly set of windows, seconds since Monday 00:00 local time. */
typedef struct sim__week {
    int64_t *iv; /* 2 * n: [from, to) with 0 <= from < 604800, from < to <= from + 604800 */
    size_t n, cap;
} sim__week;

/* Add [from, to), reduced modulo a week; nothing when to <= from. 0,
   GM_EINVAL (longer than a week), GM_ELIMIT (more than
   SIM__MAX_CAL_ENTRIES windows) or GM_ENOMEM. */
int sim__week_add(sim__week *w, int64_t from, int64_t to);
/* sim__week_add for a window read from element n of the XML file file: its
   errors recorded in err, located at "file:LINE". */
struct _xmlNode;
int sim__week_add_xml(gm_err *err, const char *file, const struct _xmlNode *n, sim__week *w,
                      int64_t from, int64_t to);
/* The calendar entries array ({"days", "from", "to"}, each window split at
   midnights, equal windows on consecutive days merged into day ranges);
   NULL when out of memory. */
json_t *sim__week_json(const sim__week *w);
void sim__week_free(sim__week *w);

/* Add week w to the calendars object cals as calendar name; GM_ELIMIT at
   file:LINE of n (naming timetable id) when it takes more than
   SIM__MAX_CAL_ENTRIES entries; GM_ENOMEM with where file. */
int sim__add_calendar(json_t *cals, const char *name, const sim__week *w, const char *file,
                      const struct _xmlNode *n, const char *id, gm_err *err);

/* Set the members of a converted parameter object that the loaders build
   last: "calendars" and "resources" and "gateways" and "events" when not
   empty, and "tasks". 0 or GM_ENOMEM (where file). */
int sim__finish(json_t *out, json_t *cals, json_t *pools, json_t *tasks, json_t *gateways,
                json_t *events, const char *file, gm_err *err);

/* Parse a time of day "HH:MM[:SS[.fff]]" with, when allow_offset, an
   optional "Z" or "+hh:mm"/"-hh:mm". *sec gets seconds after midnight
   (fractions rounded to the nearest second, so it may be 86400), *has_off
   and *off_min the offset. 0 or GM_EINVAL. */
int sim__time_of_day(const char *s, bool allow_offset, int64_t *sec, bool *has_off,
                     int *off_min);

/* Parse an ISO date-time as Java's ISO_DATE_TIME does:
   "YYYY-MM-DDTHH:MM[:SS[.fff]]" then an optional "Z" or "+hh:mm", then an
   optional "[Region/Zone]" (accepted only after an explicit offset: gemel
   has fixed offsets only, so the region is approximated by that offset and
   *region is set). Without an offset the local time is read at dflt_off
   minutes. *ns gets the instant, *has_off whether the text had an offset,
   *off_min that offset (dflt_off when none). 0, GM_EPARSE, GM_EINVAL,
   GM_ERANGE or GM_EUNSUPPORTED with err's what set (where left for the
   caller to fill). */
int sim__datetime(const char *s, int dflt_off, int64_t *ns, bool *has_off, int *off_min,
                  bool *region, gm_err *err);

/* Check a converted DIST (with an optional "unit" key) with gm_dist_from_json;
   0, or GM_EINVAL/GM_ENOMEM with err->what naming the parameter (where left
   for the caller). */
int sim__check_dist(const json_t *dist, gm_err *err);

#endif
