/* text.h: JSON and models from a test's literal text (test helper). */
#ifndef GM_TESTS_MODEL_TEXT_H
#define GM_TESTS_MODEL_TEXT_H

#include <jansson.h>
#include <string.h>

#include "model/registry.h"

/* The JSON value text holds (any value, not only objects); fails the test
   when text is no JSON. Include after <cmocka.h>. */
static inline json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("bad test JSON at %d:%d: %s", je.line, je.column, je.text);
    return j;
}

/* Add the one document text holds to r as file; returns what
   gm_model_registry_add returns, after printing the problems. Include after
   <cmocka.h>. */
static inline int registry_add_text(gm_model_registry *r, const char *file, const char *text)
{
    json_t *j = J(text);
    gm_dtdl_doc d = {file, j};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_model_registry_add(r, &d, 1, &rep);
    for (size_t i = 0; i < rep.nproblems; i++)
        print_message("  %s: %s: %s\n", rep.problems[i].file, rep.problems[i].where,
                      rep.problems[i].what);
    gm_dtdl_report_free(&rep);
    json_decref(j); /* the registry keeps its own reference */
    return rc;
}

#endif
