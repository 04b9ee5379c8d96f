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
 * Input files are untrusted and read with base/xml's default limits: at most
 * GM_XML_MAX_BYTES bytes, at most GM_XML_MAX_ELEMENTS elements nested at
 * most GM_XML_MAX_DEPTH deep; no network access, no DTD (a document with a
 * DTD is refused), no entity substitution. Error locations are "FILE:LINE";
 * the in-memory entry points take the names to use for FILE.
 */
#ifndef GM_PROCIMPORT_PROCIMPORT_H
#define GM_PROCIMPORT_PROCIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "process/bpmn.h"

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
 *                       more than GM_CAL_MAX_ENTRIES windows; a pool with
 *                       listed instances and more than 10000 units;
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
int gm_scylla_load(const gm_bpmn *m, const char *sim_path, const char *global_path,
                   json_t **out, gm_err *err);

/*
 * As gm_scylla_load, from the simulation configuration in sim_len bytes at
 * sim_buf and the global configuration in global_len bytes at global_buf;
 * sim_name and global_name stand for the two files in error locations (NULL:
 * "(simulation configuration)" and "(global configuration)"). The buffers are
 * not retained. File errors aside, the same errors.
 */
int gm_scylla_load_mem(const gm_bpmn *m, const char *sim_buf, size_t sim_len,
                       const char *global_buf, size_t global_len, const char *sim_name,
                       const char *global_name, json_t **out, gm_err *err);

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
 * that wraps past midnight is split; fromTime and toTime are wall-clock
 * times in the start's offset, and an offset written after them is not
 * applied: BIMP's editor writes "+00:00" there whatever the modeller's
 * zone); elements -> tasks (durationDistribution
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
 * Errors: as gm_scylla_load; GM_ENOENT when the file has no
 * processSimulationInfo.
 */
int gm_bimp_load(const gm_bpmn *m, const char *bpmn_path, json_t **out, gm_err *err);

/*
 * As gm_bimp_load, from the BPMN document in len bytes at buf (not retained);
 * name stands for the file in error locations (NULL: "(memory)").
 */
int gm_bimp_load_mem(const gm_bpmn *m, const char *buf, size_t len, const char *name,
                     json_t **out, gm_err *err);

#endif
