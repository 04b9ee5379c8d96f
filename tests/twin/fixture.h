/*
 * fixture.h: what the twin graph's tests share (include after cmocka.h):
 * JSON from test text (J, from ../engine/helpers.h), and a model registry
 * loaded from a test's models, which the graph under test is built on.
 */
#ifndef GM_TESTS_TWIN_FIXTURE_H
#define GM_TESTS_TWIN_FIXTURE_H

#include <jansson.h>
#include <string.h>

#include "../engine/helpers.h"
#include "model/registry.h"
#include "twin/graph.h"

/* A registry holding the documents of models_json (a JSON array of DTDL
   documents); fails the test, printing each problem, unless they are valid. */
static inline gm_model_registry *fixture_models(const char *models_json)
{
    gm_model_registry *r = gm_model_registry_create(NULL);
    assert_non_null(r);
    json_t *m = J(models_json);
    gm_dtdl_doc d = {"models.json", m};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_model_registry_add(r, &d, 1, &rep);
    for (size_t i = 0; i < rep.nproblems; i++)
        print_message("%s: %s\n", rep.problems[i].where, rep.problems[i].what);
    assert_int_equal(rc, 0);
    gm_dtdl_report_free(&rep);
    json_decref(m);
    return r;
}

#endif
