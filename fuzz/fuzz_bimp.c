/* Fuzz the BIMP/QBP importer: the input is a BPMN file, imported as a model
   and then read again for the qbp:processSimulationInfo it embeds. Any bytes
   must convert or be refused with a located, one-line, UTF-8 error; nothing
   may crash, leak or loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process/bpmn.h"
#include "procimport/procimport.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err err;
    gm_bpmn *m = NULL;
    int rc = gm_bpmn_load_mem((const char *)data, size, "model.bpmn", &m, &err);
    if (rc) {
        check_refusal(rc, &err);
        return 0;
    }
    json_t *out = (json_t *)1;
    rc = gm_bimp_load_mem(m, (const char *)data, size, "model.bpmn", &out, &err);
    if (rc == 0) {
        check_params(out);
        json_decref(out);
    } else {
        if (out)
            abort();
        check_refusal(rc, &err);
    }
    gm_bpmn_free(m);
    return 0;
}
