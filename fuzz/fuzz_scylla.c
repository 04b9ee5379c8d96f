/* Fuzz the Scylla importer: the input is a BPMN model, a Scylla simulation
   configuration and a global configuration, separated by NUL bytes (which
   XML cannot contain). Any bytes must convert or be refused with a located,
   one-line, UTF-8 error; nothing may crash, leak or loop. The seeds in
   fuzz/seeds/scylla are samples of bptlab/scylla (MIT, see
   fuzz/seeds/LICENSE-scylla), their diagram interchange removed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process/bpmn.h"
#include "procimport/procimport.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next part of [*p, end): up to a NUL byte or the end. */
static const char *part(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *z = s < end ? memchr(s, '\0', (size_t)(end - s)) : NULL;
    *len = (size_t)((z ? z : end) - s);
    *p = z ? z + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    size_t nb, ns, ng;
    const char *b = part(&p, end, &nb), *s = part(&p, end, &ns), *g = part(&p, end, &ng);
    gm_err err;
    gm_bpmn *m = NULL;
    int rc = gm_bpmn_load_mem(b, nb, "model.bpmn", &m, &err);
    if (rc) {
        check_refusal(rc, &err);
        return 0;
    }
    json_t *out = (json_t *)1;
    rc = gm_scylla_load_mem(m, s, ns, g, ng, "sim.xml", "global.xml", &out, &err);
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
