/*
 * kpiname.h (the simulators share it): names that become part of KPI keys.
 *
 * Stations, classes and resources are named by users, and their names are
 * joined into KPI keys such as "desk.wait_mean", so both queueing networks
 * and process simulation accept the same safe alphabet.
 */
#ifndef GM_DES_KPINAME_H
#define GM_DES_KPINAME_H

#include <stddef.h>

#include "base/err.h"

/*
 * 0 if name is 1..max characters of letters, digits, '_' and '-' and not one
 * of reserved (a NULL-terminated list); otherwise GM_EINVAL with err naming
 * path and what was expected.
 */
int gm_kpi_check_name(const char *name, size_t max, const char *const *reserved,
                      const char *path, gm_err *err);

#endif
