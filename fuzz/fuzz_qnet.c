/* Fuzz queueing-network model loading: any document must load cleanly or be
   refused with a located, one-line error; nothing may crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "qnet/qnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gm_json_limits lim = {.max_bytes = 8192, .max_depth = 16};
    gm_err err;
    json_t *doc = gm_json_load_str((const char *)data, size, &lim, "fuzz", &err);
    if (!doc)
        return 0;
    gm_qnet *m = NULL;
    int rc = gm_qnet_load(doc, &m, &err);
    json_decref(doc);
    if (rc == 0) {
        if (!m || gm_qnet_nkpi(m) == 0)
            abort();
        gm_qnet_free(m);
    } else if (m || err.code != rc || strchr(err.what, '\n')) {
        abort();
    }
    return 0;
}
