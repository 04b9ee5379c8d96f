/*
 * simrun.h: running a queueing-network experiment from a command, with a
 * progress bar over replications (shared by `gemel sim` and `gemel demo`).
 */
#ifndef GM_CLI_SIMRUN_H
#define GM_CLI_SIMRUN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "sim/experiment.h"
#include "sim/qnet.h"

/* Run reps replications of m (threads 0 = one per CPU). Fills *out (free with
   gm_exp_summary_free). Draws a progress bar on a terminal when reps > 1. */
int gm_cli_run_qnet(const gm_qnet *m, uint64_t reps, unsigned threads, uint64_t seed,
                    gm_exp_summary *out, gm_err *err);

/* Options shared by the simulation commands. */
typedef struct gm_cli_simopts {
    uint64_t reps, threads, seed;
    bool json;
} gm_cli_simopts;

/* Their getopt_long table entries (the option characters 'r', 't', 's', 'j'). */
#define GM_CLI_SIMOPTS_LONG                                                                        \
    {"reps", required_argument, NULL, 'r'}, {"threads", required_argument, NULL, 't'},             \
        {"seed", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'}

/*
 * Apply option c (from gm_cli_getopt, value arg) if it is one of the shared
 * ones: returns 1 when handled, 0 when c is another option, GM_E* (< 0) with
 * err filled for a bad value. --reps must be at least min_reps.
 */
int gm_cli_simopt(int c, const char *arg, uint64_t min_reps, gm_cli_simopts *o, gm_err *err);

/* Index of the KPI called name, or -1. */
long gm_cli_kpi_index(const gm_qnet *m, const char *name);

#endif
