/*
 * simrun.h: running a queueing-network experiment from a command, with a
 * progress bar over replications (shared by `gemel sim` and `gemel demo`).
 */
#ifndef GM_CLI_SIMRUN_H
#define GM_CLI_SIMRUN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "des/experiment.h"
#include "qnet/qnet.h"

/* Run experiment e, drawing a progress bar over replications on a terminal
   when there are several (e->done is ignored: the bar keeps its own count).
   Fills *out (free with gm_exp_summary_free). */
int gm_cli_run_experiment(const gm_experiment *e, gm_exp_summary *out, gm_err *err);

/* Run reps replications of m (threads 0 = one per CPU) through
   gm_cli_run_experiment. */
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

/* Name of KPI k of a model, for gm_cli_print_summary. */
typedef const char *(*gm_cli_kpi_name_fn)(const void *model, size_t k);

/*
 * Print an experiment's KPIs (name(model, k) names s->kpi[k]): with json,
 * one object {"replications", "seed", "threads", "events", "wall_seconds",
 * "ci_method", "kpis": {NAME: {"mean", "ci95": [lo, hi]}}} (null where
 * undefined); otherwise a table headed by source. extra (may be NULL) is
 * added: with json, members appended inside the object (it starts with
 * ", "); otherwise text after the table.
 */
void gm_cli_print_summary(const char *source, gm_cli_kpi_name_fn name, const void *model,
                          size_t nkpi, const gm_exp_summary *s, uint64_t seed, bool json,
                          const char *extra);

/* Index of the KPI called name, or -1. */
long gm_cli_kpi_index(const gm_qnet *m, const char *name);

#endif
