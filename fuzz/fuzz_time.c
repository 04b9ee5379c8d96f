/* Fuzz the RFC 3339 parser: any bytes must give a clean accept or reject, and
   an accepted instant must format and parse back to itself. */
#include <stdint.h>
#include <stdlib.h>

#include "base/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t ns;
    int off;
    gm_err err;
    if (gm_time_parse_rfc3339((const char *)data, size, &ns, &off, &err) != 0)
        return 0;
    char buf[GM_TIME_RFC3339_MAX];
    int n = gm_time_format_rfc3339(ns, off, GM_TIME_FRAC_AUTO, buf, sizeof buf);
    if (n < 0)
        abort();
    int64_t back;
    int off2;
    if (gm_time_parse_rfc3339(buf, (size_t)n, &back, &off2, NULL) != 0 || back != ns || off2 != off)
        abort();
    return 0;
}
