/*
 * xmlcheck.h (shared by process/ and procimport/): checks shared by the XML importers (BPMN,
 * Scylla, BIMP).
 */
#ifndef GM_PROCESS_XMLCHECK_H
#define GM_PROCESS_XMLCHECK_H

#include <stdbool.h>

#include "base/err.h"

struct _xmlNode;

/* Record an error located at "file:LINE" of n (just "file" when n is NULL);
   returns code. */
int sim__xml_err(gm_err *err, int code, const char *file, const struct _xmlNode *n,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Count the elements under root and their depth, iteratively so that a
   hostile document cannot exhaust the stack: GM_ELIMIT beyond
   GM_BPMN_MAX_ELEMENTS elements or GM_BPMN_MAX_DEPTH levels; with
   refuse_entities, GM_EPARSE at the first entity reference. 0 otherwise. */
int sim__xml_limits(const char *file, const struct _xmlNode *root, bool refuse_entities,
                    gm_err *err);

#endif
