/*
 * import_int.h (internal to procimport/): what the Scylla (scylla.c) and
 * BIMP (bimp.c) importers share: naming, id indexes, timetables made into
 * gemel calendars, and the assembly of the parameter object. Defined in
 * import_shared.c; not for use outside src/procimport.
 */
#ifndef GM_PROCIMPORT_IMPORT_INT_H
#define GM_PROCIMPORT_IMPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "base/map.h"
#include "base/vec.h"
#include "base/xml.h"
#include "process/calendar.h"

#define PROCIMPORT__NAME_MAX 64  /* resource, unit and calendar names */
#define PROCIMPORT__MAX_UNITS 10000 /* units of one pool converted to the "units" form */

/* Seconds in a day and a week (calendar windows are whole seconds). */
#define PROCIMPORT__DAY 86400
#define PROCIMPORT__WEEK 604800

/* A name made of raw's letters, digits, '_' and '-' (every run of other
   bytes becomes one '_', none at either end), at most PROCIMPORT__NAME_MAX
   bytes, fallback when nothing is left; distinct from reserved (may be NULL)
   and from the names already given out of taken (a JSON object this function
   alone maintains: name -> next numeric suffix to try), by a suffix "_2",
   "_3", ... when needed. 0 or GM_ENOMEM. */
int procimport__unique_name(json_t *taken, const char *raw, const char *fallback,
                            const char *reserved, char out[PROCIMPORT__NAME_MAX + 1]);

/* ids -> vector indices (gm_map values are index + 1). */
size_t procimport__index_get(const gm_map *m, const char *id); /* SIZE_MAX when absent */
int procimport__index_put(gm_map *m, const char *id, size_t i); /* 0, GM_EEXIST, GM_ENOMEM */

/* A JSON number: an integer when x is integral and small, else a real; NULL
   when out of memory. */
json_t *procimport__num(double x);

/* Check a converted DIST (with an optional "unit" key) with gm_dist_from_json;
   0, or GM_EINVAL/GM_ENOMEM with err->what naming the parameter (where left
   for the caller). */
int procimport__check_dist(const json_t *dist, gm_err *err);

/* The day of the week s names (MONDAY..SUNDAY, any case; Monday = 0), read
   from attribute attr of element n: GM_EINVAL located at n otherwise. */
int procimport__weekday(const gm_xml_node *n, const char *attr, const char *s, int *day,
                        gm_err *err);

/* A timetable of the source file, becoming calendar cal when used. */
typedef struct procimport__tt {
    const char *id;                      /* borrowed from the document */
    char cal[PROCIMPORT__NAME_MAX + 1];  /* its calendar name */
    const gm_xml_node *node;
    gm_cal_windows week;
    bool used;
} procimport__tt;

/* Append timetable element n with id id to tts (a gm_vec of procimport__tt),
   indexed in idx: GM_EINVAL "duplicate timetable 'ID'" at n, GM_ENOMEM.
   *out points at the new entry. */
int procimport__tt_add(gm_vec *tts, gm_map *idx, const gm_xml_node *n, const char *id,
                       procimport__tt **out, gm_err *err);

/* Add the window [from, to) read from element n to tt's week, errors located
   at n: GM_ELIMIT (more than GM_CAL_MAX_ENTRIES windows in one timetable),
   GM_ENOMEM. */
int procimport__tt_window(procimport__tt *tt, const gm_xml_node *n, int64_t from, int64_t to,
                          gm_err *err);

/* Give every timetable of tts its calendar name (unique in taken). */
int procimport__tt_names(gm_vec *tts, json_t *taken);

/* Free the weeks of tts and tts itself. */
void procimport__tt_free(gm_vec *tts);

/* Set the members of a converted parameter object that the loaders build
   last: "calendars" (the used timetables of tts) and "resources" and
   "gateways" and "events" when not empty, and "tasks". 0, GM_ELIMIT (a
   timetable that becomes more than GM_CAL_MAX_ENTRIES calendar entries,
   at its line) or GM_ENOMEM (where file). */
int procimport__finish(json_t *out, const gm_vec *tts, json_t *pools, json_t *tasks,
                       json_t *gateways, json_t *events, const char *file, gm_err *err);

#endif
