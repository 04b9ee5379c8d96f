/*
 * process.h: discrete-event simulation of an imported BPMN process, driven
 * by gemel's "process-simulation" parameter JSON (Scylla and BIMP parameters
 * are translated into it by procimport/procimport.h).
 *
 * Runs one process (and the processes of the file it calls): start events
 * and instantiating event-based gateways with interarrival distributions or
 * rate calendars; tasks of every type, call activities (of global tasks, of
 * processes of the file, of other files) and embedded sub-processes, with
 * loop and multi-instance markers; event sub-processes (delayed and error
 * starts, interrupting or not); compensation (boundary handlers,
 * compensation event sub-processes, throw and end events); exclusive,
 * parallel, inclusive and event-based gateways; catch, link, boundary
 * (timer, message, signal, conditional, error) and end events (none,
 * terminate, error, compensation); resource pools of counted or named units
 * with weekly calendars. Elements it cannot run are refused by gm_proc_load
 * with GM_EUNSUPPORTED. docs/processes.md ("Simulating a process") describes
 * the parameters, the semantics and the KPIs.
 */
#ifndef GM_PROCESS_PROCESS_H
#define GM_PROCESS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "process/bpmn.h"
#include "evlog/evlog.h"

typedef struct gm_proc gm_proc;

/* Limits on the parameters and on a run. */
#define GM_PROC_MAX_CASES 1000000000LL  /* "cases" and "warmup_cases" */
#define GM_PROC_MAX_RESOURCES 1000u
#define GM_PROC_MAX_UNITS 1000000LL     /* "count" of a resource */
#define GM_PROC_MAX_CASE_TOKENS 100000u /* live tokens of one case */
#define GM_PROC_MAX_CASE_STEPS 1000000u /* activities on cycles and waits per case */

/*
 * Build a simulation model from the BPMN model m (which must outlive the
 * result: nodes and ids are borrowed) and the parameter object params (not
 * retained). name is the model's file name for error locations ("FILE:LINE").
 * On success *out owns the model (gm_proc_free). Errors, with err filled:
 *   GM_EUNSUPPORTED  an element the simulator cannot run ("FILE:LINE",
 *                    "simulation of ... is not supported"): a recursive call,
 *                    a called process without exactly one none start event,
 *                    an instantiating event-based gateway that does not start
 *                    the process, ...;
 *   GM_EINVAL        bad parameters, located by JSON path ("tasks.check.resource:
 *                    unknown resource 'x'"); a task without an entry in "tasks"
 *                    (where "tasks", the message names its id and line); a
 *                    model whose tokens can never end, or a link throw event
 *                    that leads nowhere ("FILE:LINE"); several processes, no
 *                    "process" key, and not exactly one that no call activity
 *                    calls;
 *   GM_ENOMEM.
 */
int gm_proc_load(const gm_bpmn *m, const char *name, const json_t *params, gm_proc **out,
                 gm_err *err);

/* Free a model. NULL is ignored. */
void gm_proc_free(gm_proc *p);

/*
 * Write the event log of replication 0 to log (NULL: none): every completed
 * task execution of every case (warm-up included), then the case's end.
 * Other replications are not logged, so the log is the same whatever the
 * thread count. Not thread-safe: call before running. p does not own log;
 * open it with gm_proc_clock's clock and gm_proc_process_name.
 */
void gm_proc_set_log(gm_proc *p, gm_evlog *log);

/* The simulation clock (start, UTC offset, seconds per time unit). */
void gm_proc_clock(const gm_proc *p, gm_evlog_clock *clk);

/* The simulated process's name (or id when unnamed). */
const char *gm_proc_process_name(const gm_proc *p);

/*
 * Work in progress over time: replication 0 writes into bins[0..n) the
 * time-average number of cases in the system over n equal slices of the
 * measured window (from the first measured arrival to the end of measured
 * arrivals). NULL or n = 0: none. p does not own bins; not thread-safe.
 */
void gm_proc_set_wip(gm_proc *p, double *bins, size_t n);

/* One entry of the bottleneck ranking. Strings live as long as p. */
typedef struct gm_proc_bottleneck {
    const char *task;     /* task id */
    const char *resource; /* the busiest pool the task waits for */
    double share;         /* of the total waiting of all tasks, per case */
    double wait_per_case; /* executions per case x mean wait */
    double wait_mean;     /* per execution */
    double utilization;   /* of resource */
} gm_proc_bottleneck;

/*
 * Rank the tasks that wait for resources by their share of the total
 * waiting per case, largest first, from mean KPI values (mean[gm_proc_nkpi],
 * e.g. the experiment's means). Writes at most cap entries to out; returns
 * how many were written. Tasks that never wait are left out.
 */
size_t gm_proc_bottlenecks(const gm_proc *p, const double *mean, gm_proc_bottleneck *out,
                           size_t cap);

/*
 * Steady state, from a run's KPIs. A pool's offered load, KPI
 * "<pool>.offered_load", is the work the measured cases brought to it (the
 * durations of their tasks times the units each holds) over the unit time
 * it had while they arrived. Where it is >= 1 the pool cannot finish the
 * work as fast as it comes: its queue grows without bound, there is no
 * steady state, and the KPIs only describe one run and grow with its length
 * (its utilization stays at about 1 and cannot show it).
 *
 * A terminating run ("terminating": true) measures its cases from the first
 * arrival to the last completion, steady state or not; gm_proc_overloaded
 * returns 0 for it. Otherwise it counts the pools whose offered load, mean[k] (the
 * experiment's means), is >= 1, and whose interval, when lo (the lower
 * interval ends, may be NULL; NAN where there is none) is given, lies at or
 * above 1 too; it writes a one-line description of the first three to msg
 * (n bytes, NUL-terminated when n > 0): "resource 'clerk': offered load 5.02
 * >= 1 (the work its cases bring per unit of time, over its 1 unit)".
 * gm_proc_kpi_is_fraction: true when KPI k is a utilization (a value in
 * [0, 1]; gm_experiment.is_fraction).
 */
size_t gm_proc_overloaded(const gm_proc *p, const double *mean, const double *lo, char *msg,
                          size_t n);
bool gm_proc_kpi_is_fraction(const gm_proc *p, size_t k);

/* The KPI vector: count and names ("case.cycle_time_mean", "check.wait_mean",
   "clerk.utilization", ...), valid while p lives. */
size_t gm_proc_nkpi(const gm_proc *p);
const char *gm_proc_kpi_name(const gm_proc *p, size_t i);

/* Index of the KPI called name, or -1. */
long gm_proc_kpi_index(const gm_proc *p, const char *name);

/* Random streams one replication uses (replication rep uses streams
   rep * S .. rep * S + S - 1 of seed). */
uint64_t gm_proc_nstreams(const gm_proc *p);

/* Batches per replication for batch means (gm_experiment.nbatches). */
#define GM_PROC_BATCHES 20

/*
 * Run replication rep of the model ctx (a const gm_proc *): a gm_exp_rep_fn.
 * Fills kpi[gm_proc_nkpi]; adds the events simulated to *events (may be
 * NULL). When batch is not NULL, also fills batch[GM_PROC_BATCHES * nkpi]
 * with the KPIs of GM_PROC_BATCHES consecutive batches of the measured
 * cases (by arrival: equal numbers of cases, or equal slices of the
 * horizon), for batch means from one long replication. Thread-safe on a
 * shared model. Errors: GM_ENOMEM, GM_ELIMIT (a case holds more than
 * GM_PROC_MAX_CASE_TOKENS tokens, the cases go through more than
 * GM_PROC_MAX_CASE_STEPS activities on cycles and waits each (counted over
 * the run: that many, and as many more per case ended), or a cycle of
 * gateways without tasks
 * spins), GM_EINVAL (measured cases never complete: e.g. a parallel join
 * waiting for a token that never comes; a sampled time is negative), with
 * err's where "simulation".
 */
int gm_proc_replicate(const void *ctx, uint64_t seed, uint64_t rep, double *kpi, double *batch,
                      uint64_t *events, gm_err *err);

#endif
