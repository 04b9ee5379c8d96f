#include "des/kpiname.h"

#include <string.h>

int gm_kpi_check_name(const char *name, size_t max, const char *const *reserved,
                        const char *path, gm_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > max)
        return gm_err_set(err, GM_EINVAL, path, "expected a name of 1 to %zu characters", max);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return gm_err_set(err, GM_EINVAL, path,
                              "invalid name '%s': use letters, digits, '_' and '-'", name);
    }
    for (; reserved && *reserved; reserved++)
        if (strcmp(name, *reserved) == 0)
            return gm_err_set(err, GM_EINVAL, path, "'%s' is reserved; choose another name",
                              name);
    return GM_OK;
}
