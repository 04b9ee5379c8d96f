/*
 * qnet.h: queueing-network models, loaded from JSON and simulated.
 *
 * A model has customer classes (with priorities), external arrival streams,
 * and stations: each with c servers, a service-time distribution (per class
 * if wanted), an optional finite capacity (customers present, waiting plus
 * in service) with loss or blocking when full, FIFO or priority discipline
 * (optionally preemptive-resume), and probabilistic routing (per class if
 * wanted) to other stations, feedback loops included, or to the exit.
 * docs/simulation.md documents the file format and every KPI.
 *
 * A loaded model is immutable: any number of threads may run replications of
 * it at once. Replication r draws from random streams r * S + k of the seed,
 * k numbering the model's S stochastic sources (each arrival stream; each
 * station's service, then routing), so two models that differ only in
 * parameters see common random numbers.
 */
#ifndef GM_QNET_QNET_H
#define GM_QNET_QNET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct gm_qnet gm_qnet;

/* Limits on models (untrusted input). */
#define GM_QNET_MAX_STATIONS 10000
#define GM_QNET_MAX_CLASSES 64
#define GM_QNET_MAX_ARRIVALS 10000
#define GM_QNET_MAX_SERVERS 1000000
#define GM_QNET_NAME_MAX 64
/* Default for the model's "max_in_system": most customers in the system at
   once, so that an overloaded model stops with GM_ELIMIT instead of
   exhausting memory. */
#define GM_QNET_MAX_WIP 10000000
/* Batches per replication for batch-means confidence intervals. */
#define GM_QNET_BATCHES 20

/*
 * Build a model from a parsed document. Errors (GM_EINVAL, GM_ELIMIT,
 * GM_ENOMEM) name the JSON path and what was expected, e.g.
 * "stations[2].routing[1].to: unknown station 'dsk'; expected a station name
 * or \"exit\"". On success *out owns a new model (gm_qnet_free).
 *
 * A stop rule the kernel cannot reach is refused with GM_ELIMIT, naming the
 * largest value accepted: a run holds at most GM_SIM_MAX_SCHEDULED (2^39)
 * events, and the model makes at least (external arrivals + service
 * completions, from the traffic equations below) events per unit of time,
 * or per customer. "stop.time: expected at most 1.01e+11 ..., got 1e+308".
 */
int gm_qnet_load(const json_t *doc, gm_qnet **out, gm_err *err);
/* Read and build from a file; errors are prefixed with the file name. */
int gm_qnet_load_file(const char *path, gm_qnet **out, gm_err *err);
void gm_qnet_free(gm_qnet *m);

/* KPIs each replication reports, in a fixed order ("desk.wait_mean", ...). */
size_t gm_qnet_nkpi(const gm_qnet *m);
const char *gm_qnet_kpi_name(const gm_qnet *m, size_t i);
/* True when KPI i is a fraction (utilization, p_wait, p_loss, blocked): its
   values, and so the quantity its interval is about, lie in [0, 1]. */
bool gm_qnet_kpi_is_fraction(const gm_qnet *m, size_t i);

/*
 * Steady state, from the model alone. With gamma the external arrival rates
 * (1 / mean interarrival) and P_k class k's routing, the traffic equations
 *     lambda_(s,k) = gamma_(s,k) + sum_j lambda_(j,k) P_k(j -> s)
 * give each station's arrival rate, and its offered load is
 *     rho_s = sum_k lambda_(s,k) E[S_(s,k)] / servers_s.
 * A station without a capacity whose rho_s >= 1 has no steady state (it
 * cannot complete work faster than its servers do, so its queue grows
 * without bound), and neither has the network: long-run KPIs do not exist,
 * and a run's values only describe that run and grow with its length.
 *
 * gm_qnet_offered_load returns rho_s; NAN where it cannot be told exactly:
 * at stations customers reach only after a finite-capacity station (whose
 * losses and blocking thin the flow), or when the equations did not
 * converge within their work budget and rho_s < 1; INFINITY at a station
 * customers reach and can never leave (no route to "exit"). A station with a
 * capacity always has a steady state, whatever its rho_s.
 *
 * gm_qnet_overloaded counts the stations without a steady state and writes
 * a one-line description of the first three to msg (n bytes, always
 * NUL-terminated when n > 0): "station 'desk': offered load 5 >= 1 (5
 * arrivals per unit of time x mean service 1 / 1 server)". 0: every station
 * has a steady state, or none can be shown not to.
 */
double gm_qnet_offered_load(const gm_qnet *m, uint32_t s);
size_t gm_qnet_overloaded(const gm_qnet *m, char *msg, size_t n);
/* Number of stochastic sources (random streams) per replication. */
uint64_t gm_qnet_nstreams(const gm_qnet *m);

typedef struct gm_qnet_result {
    double *kpi;    /* nkpi values over the whole post-warm-up run (caller-allocated) */
    double *batch;  /* NULL, or GM_QNET_BATCHES x nkpi values, one row per batch */
    uint64_t events;    /* events the kernel ran */
    uint64_t customers; /* customers that left the system (all, warm-up included) */
} gm_qnet_result;

/*
 * Run replication rep of seed: build the state, simulate until the stop
 * rule, fill res. A KPI with no observations (a station no customer reached)
 * is NAN. Errors: GM_ENOMEM; GM_ELIMIT when the run cannot reach its stop
 * rule (customers are lost or stuck: the message says how many arrived and
 * left), when more than the model's "max_in_system" customers are in the system at once
 * (an overloaded model), or when the kernel's limits are hit.
 */
int gm_qnet_replicate(const gm_qnet *m, uint64_t seed, uint64_t rep, gm_qnet_result *res,
                      gm_err *err);

#endif
