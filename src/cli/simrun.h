/*
 * simrun.h: running a queueing-network experiment from a command, with a
 * progress bar over replications (shared by `gemel sim` and `gemel demo`).
 */
#ifndef GM_CLI_SIMRUN_H
#define GM_CLI_SIMRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "cli/cli.h"
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

/*
 * A command's own option c with value arg (NULL for a flag): 0 when taken,
 * GM_E* (< 0) with err filled for a bad value (reported as a usage error),
 * or an exit status (> 0) after reporting the problem itself. An option
 * that takes a second value reads argv[optind] and advances optind.
 */
typedef int (*gm_cli_opt_fn)(void *ctx, int c, const char *arg, int argc, char **argv,
                             gm_err *err);

/*
 * Parse a simulation command's arguments: the shared options --reps R
 * (min_reps .. GM_EXP_MAX_REPS), --threads T, --seed S, --json and
 * -h/--help into *o; the command's own long options `own` (NULL, or a
 * table ended by a zeroed entry; their values must not be 'r', 't', 's',
 * 'j', 'h') through on_opt(ctx, ...); and one operand into *operand when
 * operand_name names it ("MODEL.json"), or none when it is NULL. Every
 * problem is reported as "gemel: <where>: <what>".
 * Returns -1 when the command should go on; otherwise the exit status to
 * return at once: 0 after --help, 2 after a usage error, or what on_opt
 * returned.
 */
int gm_cli_parse_simopts(const gm_cli_cmd *cmd, int argc, char **argv, const struct option *own,
                         gm_cli_opt_fn on_opt, void *ctx, uint64_t min_reps, gm_cli_simopts *o,
                         const char *operand_name, const char **operand);

/* A file name given to option flag: GM_EINVAL "<flag>: expected a file
   name, got ''" when it is empty, else 0. */
int gm_cli_file_arg(const char *flag, const char *arg, gm_err *err);

/*
 * When model m has no steady state (gm_qnet_overloaded), warn on stderr,
 * "gemel: <source>: warning: no steady state: ...", write the warning
 * (without the "gemel: <source>: warning: " head) to buf and return true;
 * else return false with buf empty.
 */
bool gm_cli_steady_state_warning(const char *source, const gm_qnet *m, char *buf, size_t n);

/*
 * After a run without a steady state: when the intervals of s (nkpi KPIs)
 * are batch means, which assume one, clear them (lo = hi = NAN) and append
 * to the warning in buf (n bytes) that they are not shown.
 */
void gm_cli_unsteady_batches(gm_exp_summary *s, size_t nkpi, char *buf, size_t n);

/*
 * The steady-state warning of gm_cli_steady_state_warning for a run s
 * (nkpi KPIs) found without one for the reason why (e.g. from
 * gm_proc_overloaded), with gm_cli_unsteady_batches applied. Writes it to
 * buf and stderr; returns buf.
 */
const char *gm_cli_warn_unsteady(const char *source, const char *why, gm_exp_summary *s,
                                 size_t nkpi, char *buf, size_t n);

/* Name of KPI k of a model, for gm_cli_print_summary. */
typedef const char *(*gm_cli_kpi_name_fn)(const void *model, size_t k);

/*
 * Print an experiment's KPIs (name(model, k) names s->kpi[k]): with json,
 * one object {"replications", "seed", "threads", "events", "wall_seconds",
 * "ci_method", "kpis": {NAME: {"mean", "ci95": [lo, hi]}}} (null where
 * undefined; "clipped": true where a fraction's interval was cut to
 * [0, 1]), with "warnings": [warning] when warning is not NULL; otherwise
 * a table headed by source, a note naming the clipped intervals, and the
 * warning. extra (may be NULL) is added: with json, members appended inside
 * the object (it starts with ", "); otherwise text after the table.
 */
void gm_cli_print_summary(const char *source, gm_cli_kpi_name_fn name, const void *model,
                          size_t nkpi, const gm_exp_summary *s, uint64_t seed, bool json,
                          const char *extra, const char *warning);

/* Index of the KPI called name, or -1. */
long gm_cli_kpi_index(const gm_qnet *m, const char *name);

#endif
