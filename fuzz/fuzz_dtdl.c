/*
 * fuzz_dtdl.c: libFuzzer target for the DTDL validator and the model
 * registry.
 *
 * The input is one JSON document (a model, or an array of them). It is
 * validated as a set; then added to a registry that already holds a small
 * valid model the input may extend or reference. What must always hold:
 * the validator and the registry agree on validity, a valid document
 * leaves every interface it defines retrievable with contents that all
 * have names, and removing what was added restores the registry.
 *
 *   cmake --preset fuzz && cmake --build build/fuzz --target fuzz_dtdl &&
 *   build/fuzz/fuzz/fuzz_dtdl fuzz/seeds/dtdl -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "model/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const gm_json_limits fuzz_limits = {.max_bytes = 16384, .max_depth = 40};

static const char base_model[] =
    "{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
    " \"@id\": \"dtmi:fz:Base;1\", \"@type\": \"Interface\", \"contents\": [{\"@type\":"
    " [\"Telemetry\", \"Temperature\"], \"name\": \"t\", \"schema\": \"double\", \"unit\": \"kelvin\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *j = gm_json_load_str((const char *)data, size, &fuzz_limits, "fuzz", &e);
    if (!j)
        return 0;
    json_t *base = json_loads(base_model, 0, NULL);
    gm_model_registry *r = gm_model_registry_create(NULL);
    if (!base || !r)
        abort();
    gm_dtdl_doc bd = {"base.json", base};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    if (gm_model_registry_add(r, &bd, 1, &rep))
        abort();
    gm_dtdl_report_free(&rep);

    gm_dtdl_doc docs[2] = {{"base.json", base}, {"fuzz.json", j}};
    int valid = gm_dtdl_validate(docs, 2, NULL, &rep);
    if (valid != 0 && valid != GM_EINVAL)
        abort();
    if ((valid == 0) != (rep.nproblems == 0 && rep.nunresolved == 0 && rep.dropped == 0))
        abort();
    gm_dtdl_report_free(&rep);

    int added = gm_model_registry_add(r, &docs[1], 1, &rep);
    gm_dtdl_report_free(&rep);
    if (added == 0 && valid != 0)
        abort(); /* the registry accepted what the validator refused */
    if (added == 0) {
        for (size_t i = 0; i < gm_model_registry_count(r); i++) {
            const gm_model_iface *f = gm_model_registry_at(r, i);
            if (gm_model_registry_get(r, f->id) != f)
                abort();
            for (size_t k = 0; k < f->ncontents; k++)
                if (!f->contents[k].name || gm_model_iface_find(f, f->contents[k].name) == NULL)
                    abort();
        }
        /* remove the added top-level interfaces (dependants first is not
           known, so retry until nothing more can go) */
        size_t n = json_is_array(j) ? json_array_size(j) : 1;
        for (size_t round = 0; round < n; round++)
            for (size_t i = 0; i < n; i++) {
                const json_t *el = json_is_array(j) ? json_array_get(j, i) : j;
                const char *id = json_string_value(json_object_get(el, "@id"));
                if (id)
                    gm_model_registry_remove(r, id, NULL);
            }
        if (gm_model_registry_count(r) != 1 || !gm_model_registry_get(r, "dtmi:fz:Base;1"))
            abort();
    } else if (added != GM_EINVAL && added != GM_EEXIST) {
        abort();
    }
    gm_model_registry_destroy(r);
    json_decref(base);
    json_decref(j);
    return 0;
}
