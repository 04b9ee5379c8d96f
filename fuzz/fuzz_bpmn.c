/* Fuzz BPMN import: any bytes must import or be refused with a located,
   one-line, UTF-8 error; nothing may crash, leak or loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process/bpmn.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err err;
    gm_bpmn *m = NULL;
    int rc = gm_bpmn_load_mem((const char *)data, size, "fuzz.bpmn", &m, &err);
    if (rc == 0) {
        if (!m || gm_bpmn_nprocesses(m) == 0)
            abort();
        gm_bpmn_free(m);
    } else {
        if (m)
            abort();
        check_refusal(rc, &err);
    }
    return 0;
}
