/*
 * dtdl.h: validation of DTDL (Digital Twins Definition Language) documents,
 * versions 2 and 3, as one set: references between documents resolve in
 * any order. docs/models.md describes what is supported.
 *
 * A document is a JSON object (one element, usually an Interface) or an
 * array of them. Every problem found is reported with the document's file,
 * a JSON path into it and what was expected; identifiers referenced but
 * defined nowhere in the set are listed apart ("unresolved"), as the
 * official conformance suite expects.
 */
#ifndef GM_MODEL_DTDL_H
#define GM_MODEL_DTDL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

#define GM_DTDL_MAX_PROBLEMS 1000  /* problems kept in a report */
#define GM_DTDL_MAX_ELEMENTS 1000000 /* elements in one set */
#define GM_DTDL_MAX_DEPTH 64       /* JSON nesting of elements */

typedef struct gm_dtdl_opts {
    /* Accept contexts, types and properties of DTDL extensions gemel does not
       define (the suite's AllowUndefinedExtensions); the default refuses
       them (DisallowUndefinedExtensions). */
    bool allow_undefined_extensions;
} gm_dtdl_opts;

/* One input document. The caller owns both pointers. */
typedef struct gm_dtdl_doc {
    const char *file;
    const json_t *json;
} gm_dtdl_doc;

typedef struct gm_dtdl_problem {
    const char *file; /* a gm_dtdl_doc's file (borrowed) */
    char where[GM_ERR_WHERE_MAX]; /* @id of the element, or a JSON path */
    char what[GM_ERR_WHAT_MAX];
} gm_dtdl_problem;

typedef struct gm_dtdl_report {
    gm_dtdl_problem *problems;
    size_t nproblems, capproblems;
    size_t dropped;      /* problems beyond GM_DTDL_MAX_PROBLEMS */
    char **unresolved;   /* distinct DTMIs referenced but not defined */
    size_t nunresolved, capunresolved;
} gm_dtdl_report;

/*
 * Validate docs[0..n) as one set under opts (NULL: defaults). rep (zeroed by
 * the caller, or reused after gm_dtdl_report_free) receives every problem
 * and the unresolved identifiers. Returns 0 when the set is valid (no
 * problem, nothing unresolved), GM_EINVAL when it is not, GM_ENOMEM.
 */
int gm_dtdl_validate(const gm_dtdl_doc *docs, size_t n, const gm_dtdl_opts *opts,
                     gm_dtdl_report *rep);

/* Free what a report holds and zero it. */
void gm_dtdl_report_free(gm_dtdl_report *rep);

#endif
