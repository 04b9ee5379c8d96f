/*
 * simrun.h: running a queueing-network experiment from a command, with a
 * progress bar over replications (shared by `gemel sim` and `gemel demo`).
 */
#ifndef GM_CLI_SIMRUN_H
#define GM_CLI_SIMRUN_H

#include <stdint.h>

#include "base/err.h"
#include "sim/experiment.h"
#include "sim/qnet.h"

/* Run reps replications of m (threads 0 = one per CPU). Fills *out (free with
   gm_exp_summary_free). Draws a progress bar on a terminal when reps > 1. */
int gm_cli_run_qnet(const gm_qnet *m, uint64_t reps, unsigned threads, uint64_t seed,
                    gm_exp_summary *out, gm_err *err);

/* Index of the KPI called name, or -1. */
long gm_cli_kpi_index(const gm_qnet *m, const char *name);

#endif
