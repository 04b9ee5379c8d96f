/*
 * qnet_int.h (internal to qnet/): the loaded model, shared by the loader
 * (qnet_load.c) and the simulator (qnet_run.c). A gm_qnet is immutable once
 * loaded; every replication reads it from its own thread.
 */
#ifndef GM_QNET_QNET_INT_H
#define GM_QNET_QNET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "num/dist.h"
#include "qnet/qnet.h"

#define QNET_EXIT UINT32_MAX
#define QNET_NONE UINT32_MAX

/* ======================================================================== */
/* The model                                                                */

typedef struct route_table {
    uint32_t n;
    uint32_t *to;  /* station index or QNET_EXIT */
    double *cum;   /* cumulative probabilities; cum[n-1] is exactly 1 */
} route_table;

typedef struct station {
    char name[GM_QNET_NAME_MAX + 1];
    uint32_t servers;
    uint64_t capacity;  /* customers present at most; 0 = unlimited */
    bool block;         /* when full: block the sender (internal moves) instead of loss */
    bool preemptive;
    gm_dist *service;   /* [nclasses] */
    route_table *route; /* [nclasses] */
    uint32_t *level;    /* [nclasses]: queue level, 0 served first */
    uint32_t nlevels;
} station;

typedef struct arrival {
    uint32_t to;
    uint32_t cls;
    gm_dist interarrival;
} arrival;

struct gm_qnet {
    uint32_t nclasses, nstations, narrivals;
    char (*class_name)[GM_QNET_NAME_MAX + 1];
    int64_t *class_prio; /* larger is served first */
    station *st;
    arrival *arr;
    bool stop_by_time, warm_by_time;
    double stop_time, warm_time;
    uint64_t stop_customers, warm_customers;
    uint64_t max_wip;
    bool any_finite, any_block;
    /* From the traffic equations (qnet__traffic): */
    double *load;        /* [nstations] offered load; NAN when not told, INFINITY
                            when customers reach the station and never leave */
    double *rate;        /* [nstations] arrival rate, all classes (a lower bound
                            where load is NAN) */
    double arrival_rate; /* external arrivals per unit of time, all streams */
    double event_rate;   /* kernel events per unit of time, at least */
    /* KPI table */
    size_t nkpi;
    char **kpi_name;
    uint8_t *kpi_kind;   /* what to compute */
    uint32_t *kpi_a;     /* station or class index */
    uint32_t *kpi_b;     /* class index for per-class station KPIs */
};

/* Solve the traffic equations of m, whose stations, routes and arrivals are
   loaded: fills load, rate, arrival_rate and event_rate (qnet_traffic.c).
   GM_OK or GM_ENOMEM. */
int qnet__traffic(gm_qnet *m);

/* What each KPI of the table computes. */
enum {
    K_WAIT, K_SOJOURN, K_UTIL, K_QLEN, K_PWAIT, K_THRU, K_PLOSS, K_BLOCKED, K_CLS_WAIT,
    K_SYS_SOJOURN, K_SYS_THRU, K_SYS_WIP, K_SYS_PLOSS, K_CL_SOJOURN, K_CL_THRU
};

#endif
