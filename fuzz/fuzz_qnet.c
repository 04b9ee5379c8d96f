/* Fuzz queueing-network model loading: any document must load cleanly or be
   refused with a located, one-line error; nothing may crash or leak. A
   loaded model's traffic equations give loads that are >= 0 (or NaN where
   not told, infinite where customers never leave) and a one-line overload
   description. */
#include <math.h>
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
        for (uint32_t s = 0;; s++) {
            double rho = gm_qnet_offered_load(m, s);
            if (rho < 0)
                abort();
            if (isnan(rho) && gm_qnet_kpi_name(m, 6 * (size_t)s) == NULL)
                break; /* past the last station (each has at least 6 KPIs) */
        }
        char msg[256];
        size_t n = gm_qnet_overloaded(m, msg, sizeof msg);
        if (strnlen(msg, sizeof msg) == sizeof msg || strchr(msg, '\n') || (n > 0) != (msg[0] != 0))
            abort();
        for (size_t k = 0; k <= gm_qnet_nkpi(m); k++)
            (void)gm_qnet_kpi_is_fraction(m, k);
        gm_qnet_free(m);
    } else if (m || err.code != rc || strchr(err.what, '\n')) {
        abort();
    }
    return 0;
}
