/*
 * qnet_run.c: simulate one replication of a queueing network (qnet.h) on
 * the event kernel.
 */
#include "qnet/qnet.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "des/kernel.h"
#include "num/dist.h"
#include "num/rng.h"
#include "qnet/qnet_int.h"

/* ---- accumulators: a flat array of sums, so snapshots are memcpy and a
   period's statistics are the difference of two snapshots ---- */

enum {
    A_ARRIVED,  /* arrivals at the station (incl. lost) */
    A_LOST,
    A_DEPARTED, /* left the station after service */
    A_WAIT,     /* sum of waiting times (queue, incl. preempted time) */
    A_WAITED,   /* departures that waited at all */
    A_SOJOURN,  /* sum of times at the station (incl. blocking) */
    A_BUSY,     /* area: servers serving */
    A_BLOCKED,  /* area: servers held by a blocked customer */
    A_QUEUE,    /* area: customers waiting */
    ST_FIELDS
};
enum { SC_DEPARTED, SC_WAIT, SC_FIELDS };           /* per station and class */
enum { S_ARRIVED, S_LOST, S_EXITS, S_SOJOURN, S_WIP, SYS_FIELDS };
enum { C_EXITS, C_SOJOURN, CL_FIELDS };              /* per class, system-wide */

static size_t acc_size(const gm_qnet *m)
{
    return (size_t)m->nstations * ST_FIELDS + (size_t)m->nstations * m->nclasses * SC_FIELDS +
           SYS_FIELDS + (size_t)m->nclasses * CL_FIELDS;
}
static inline size_t a_st(uint32_t s, int f)
{
    return (size_t)s * ST_FIELDS + (size_t)f;
}
static inline size_t a_sc(const gm_qnet *m, uint32_t s, uint32_t c, int f)
{
    return (size_t)m->nstations * ST_FIELDS + ((size_t)s * m->nclasses + c) * SC_FIELDS +
           (size_t)f;
}
static inline size_t a_sys(const gm_qnet *m, int f)
{
    return (size_t)m->nstations * (ST_FIELDS + (size_t)m->nclasses * SC_FIELDS) + (size_t)f;
}
static inline size_t a_cl(const gm_qnet *m, uint32_t c, int f)
{
    return a_sys(m, SYS_FIELDS) + (size_t)c * CL_FIELDS + (size_t)f;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : (double)NAN;
}

/* KPI values of a period: d holds end - start sums, dt its length. */
static void compute_kpis(const gm_qnet *m, const double *d, double dt, double *out)
{
    for (size_t i = 0; i < m->nkpi; i++) {
        uint32_t a = m->kpi_a[i], b = m->kpi_b[i];
        double v = (double)NAN;
        switch (m->kpi_kind[i]) {
        case K_WAIT: v = ratio(d[a_st(a, A_WAIT)], d[a_st(a, A_DEPARTED)]); break;
        case K_SOJOURN: v = ratio(d[a_st(a, A_SOJOURN)], d[a_st(a, A_DEPARTED)]); break;
        case K_UTIL: v = ratio(d[a_st(a, A_BUSY)], dt * m->st[a].servers); break;
        case K_QLEN: v = ratio(d[a_st(a, A_QUEUE)], dt); break;
        case K_PWAIT: v = ratio(d[a_st(a, A_WAITED)], d[a_st(a, A_DEPARTED)]); break;
        case K_THRU: v = ratio(d[a_st(a, A_DEPARTED)], dt); break;
        case K_PLOSS: v = ratio(d[a_st(a, A_LOST)], d[a_st(a, A_ARRIVED)]); break;
        case K_BLOCKED: v = ratio(d[a_st(a, A_BLOCKED)], dt * m->st[a].servers); break;
        case K_CLS_WAIT:
            v = ratio(d[a_sc(m, a, b, SC_WAIT)], d[a_sc(m, a, b, SC_DEPARTED)]);
            break;
        case K_SYS_SOJOURN: v = ratio(d[a_sys(m, S_SOJOURN)], d[a_sys(m, S_EXITS)]); break;
        case K_SYS_THRU: v = ratio(d[a_sys(m, S_EXITS)], dt); break;
        case K_SYS_WIP: v = ratio(d[a_sys(m, S_WIP)], dt); break;
        case K_SYS_PLOSS: v = ratio(d[a_sys(m, S_LOST)], d[a_sys(m, S_ARRIVED)]); break;
        case K_CL_SOJOURN: v = ratio(d[a_cl(m, a, C_SOJOURN)], d[a_cl(m, a, C_EXITS)]); break;
        case K_CL_THRU: v = ratio(d[a_cl(m, a, C_EXITS)], dt); break;
        default: break;
        }
        out[i] = v;
    }
}

/* ======================================================================== */
/* One replication                                                          */

typedef struct cust {
    double t_sys;       /* entered the system */
    double t_st;        /* entered the current station */
    double t_enq;       /* last joined a queue */
    double wait;        /* time waiting at the current station so far */
    double remaining;   /* service left after a preemption, or < 0 */
    double t_end;       /* end of the current service */
    gm_sim_event dep;
    uint32_t cls, station;
    uint32_t pos;       /* index in its station's server array */
    uint32_t next_free;
    bool blocked;
} cust;

/* FIFO ring of customer indices; capacity a power of two; grows. */
typedef struct ring {
    uint32_t *buf;
    uint32_t cap, head, len;
} ring;

typedef struct st_state {
    /* The station's model, where the per-customer path reads it. */
    uint32_t servers;
    bool preemptive;
    bool block;                /* capacity > 0, and a full station blocks senders */
    uint64_t capacity;         /* 0 = unlimited */
    const gm_dist *service;    /* [nclasses] */
    const route_table *route;  /* [nclasses] */
    const uint32_t *level;     /* [nclasses] */
    double *acc;               /* its ST_FIELDS sums in run.acc */
    double *cacc;              /* its per-class sums, nclasses x SC_FIELDS */
    /* Its state. Counts of customers fit 32 bits (max_in_system <= 2e9). */
    uint32_t nsvc, nblocked;   /* holding a server: all, and blocked after service */
    uint32_t nwait;
    double last_t;             /* areas are integrated up to here */
    uint64_t present;          /* waiting + holding a server */
    uint32_t *svc;             /* preemptive stations: who holds the servers */
    uint32_t svc_cap;
    ring *q;                   /* [nlevels] */
    ring blockq;               /* customers elsewhere, blocked until this station has room */
    gm_rng svc_rng, route_rng;
} st_state;

typedef struct run {
    const gm_qnet *m;
    gm_sim *sim;
    cust *c;
    uint32_t ncust, cust_cap, free_cust;
    st_state *st;
    gm_rng *arr_rng;
    size_t nacc;
    double *acc, *snap_warm, *snap_prev, *snap_now;
    double *sacc, *clacc; /* the system's sums, and per class, in acc */
    uint32_t narrivals;
    double now;        /* the kernel's clock, cached at each event */
    double sys_last_t;
    uint64_t wip, exits, arrivals, arrival_guard;
    bool warm_done, finished;
    double t_warm, t_prev;
    uint64_t exits_at_warm, batch_next_exit;
    uint64_t next_check; /* see set_next_check */
    unsigned batch_i;
    double *batch_out; /* may be NULL */
    double *kpi_out;
    /* Arrivals and departures are the kernel's direct events (no slot, no
       handle: cheaper to schedule and to run) when every datum fits, as
       arrival stream a, or narrivals + customer index. Departures at
       preemptive stations keep a handle, to be cancelled. */
    bool direct;
    /* Direct events, one class, no blocking and no preemption: the handler
       on_plain, in which every helper below is compiled with plain = true
       and leaves out what such a network never does. */
    bool plain;
    uint32_t *work; /* stations with room to hand out (station_freed) */
    bool *in_work;
    uint32_t nwork;
    int error;
    char error_msg[200];
} run;

static void fail_run(run *R, int code, const char *msg)
{
    if (!R->error) {
        R->error = code;
        snprintf(R->error_msg, sizeof R->error_msg, "%s", msg);
    }
    gm_sim_stop(R->sim);
}

/* The kernel refused to schedule `what`: say which of its limits the run
   reached, when it is one. */
static void fail_schedule(run *R, const char *what)
{
    int code = gm_sim_error(R->sim);
    char msg[sizeof R->error_msg];
    if (code == GM_ELIMIT && gm_sim_pending(R->sim) >= GM_SIM_MAX_PENDING)
        snprintf(msg, sizeof msg,
                 "cannot schedule %s at time %g: %u events are pending, the kernel's most",
                 what, R->now, gm_sim_pending(R->sim));
    else if (code == GM_ELIMIT)
        snprintf(msg, sizeof msg,
                 "the run reached the kernel's limit of 2^39 events at time %g, before its stop "
                 "rule: stop earlier, or split the run into replications",
                 R->now);
    else
        snprintf(msg, sizeof msg, "cannot schedule %s", what);
    fail_run(R, code, msg);
}

static int ring_grow(ring *r)
{
    uint32_t cap = r->cap ? r->cap * 2 : 16;
    if (cap <= r->cap)
        return GM_ELIMIT;
    uint32_t *b = malloc(sizeof *b * cap);
    if (!b)
        return GM_ENOMEM;
    for (uint32_t i = 0; i < r->len; i++)
        b[i] = r->buf[(r->head + i) & (r->cap - 1)];
    free(r->buf);
    r->buf = b;
    r->cap = cap;
    r->head = 0;
    return GM_OK;
}

static inline int ring_push_back(ring *r, uint32_t v)
{
    if (r->len == r->cap && ring_grow(r))
        return GM_ENOMEM;
    r->buf[(r->head + r->len++) & (r->cap - 1)] = v;
    return GM_OK;
}

static inline int ring_push_front(ring *r, uint32_t v)
{
    if (r->len == r->cap && ring_grow(r))
        return GM_ENOMEM;
    r->head = (r->head - 1) & (r->cap - 1);
    r->buf[r->head] = v;
    r->len++;
    return GM_OK;
}

static inline uint32_t ring_pop(ring *r)
{
    uint32_t v = r->buf[r->head];
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    return v;
}

/* Integrate the station's levels up to now before they change. The
   helpers of the customer flow take `plain` (run.plain), a constant in each
   handler that inlines them. */
static inline void touch(run *R, st_state *S, const bool plain)
{
    double now = R->now, dt = now - S->last_t;
    if (dt > 0) {
        double *a = S->acc;
        uint32_t blocked = plain ? 0 : S->nblocked;
        a[A_BUSY] += (double)(S->nsvc - blocked) * dt;
        if (blocked) /* adding 0 * dt would leave the sum as it is */
            a[A_BLOCKED] += (double)blocked * dt;
        a[A_QUEUE] += (double)S->nwait * dt;
    }
    S->last_t = now;
}

static inline void sys_touch(run *R)
{
    double now = R->now, dt = now - R->sys_last_t;
    if (dt > 0)
        R->sacc[S_WIP] += (double)R->wip * dt;
    R->sys_last_t = now;
}

static uint32_t new_cust(run *R)
{
    if (R->free_cust != QNET_NONE) {
        uint32_t i = R->free_cust;
        R->free_cust = R->c[i].next_free;
        return i;
    }
    if (R->ncust == R->cust_cap) {
        uint32_t cap = R->cust_cap ? R->cust_cap * 2 : 1024;
        cust *c = cap > R->cust_cap ? realloc(R->c, sizeof *c * cap) : NULL;
        if (!c)
            return QNET_NONE;
        R->c = c;
        R->cust_cap = cap;
    }
    return R->ncust++;
}

static void free_cust(run *R, uint32_t i)
{
    R->c[i].next_free = R->free_cust;
    R->free_cust = i;
}

/* ---- statistics periods ---- */

static void take_snapshot(run *R, double *dst)
{
    for (uint32_t s = 0; s < R->m->nstations; s++)
        touch(R, &R->st[s], false);
    sys_touch(R);
    memcpy(dst, R->acc, R->nacc * sizeof *dst);
}

static void period_kpis(run *R, const double *from, double t_from, double *out)
{
    double *d = R->snap_now; /* holds the end snapshot; turned into the difference */
    double *delta = R->snap_now + R->nacc;
    for (size_t i = 0; i < R->nacc; i++)
        delta[i] = d[i] - from[i];
    compute_kpis(R->m, delta, R->now - t_from, out);
}

static void batch_boundary(run *R)
{
    take_snapshot(R, R->snap_now);
    if (R->batch_out && R->batch_i < GM_QNET_BATCHES)
        period_kpis(R, R->snap_prev, R->t_prev, R->batch_out + (size_t)R->batch_i * R->m->nkpi);
    R->batch_i++;
    memcpy(R->snap_prev, R->snap_now, R->nacc * sizeof *R->snap_prev);
    R->t_prev = R->now;
}

static void on_batch_time(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    R->now = gm_sim_now(sim);
    batch_boundary(R);
}

/* The next number of exits at which the warm-up, a batch or the run ends,
   so that most exits cost one comparison. */
static void set_next_check(run *R)
{
    const gm_qnet *m = R->m;
    uint64_t n = UINT64_MAX;
    if (!R->warm_done && !m->warm_by_time)
        n = m->warm_customers;
    if (!m->stop_by_time) {
        if (m->stop_customers < n)
            n = m->stop_customers;
        if (R->warm_done && R->batch_i < GM_QNET_BATCHES - 1 && R->batch_next_exit < n)
            n = R->batch_next_exit;
    }
    R->next_check = n;
}

/* Warm-up ends: statistics restart here, and the batches are laid out. */
static void end_warmup(run *R)
{
    const gm_qnet *m = R->m;
    take_snapshot(R, R->snap_warm);
    memcpy(R->snap_prev, R->snap_warm, R->nacc * sizeof *R->snap_prev);
    R->t_warm = R->t_prev = R->now;
    R->warm_done = true;
    R->exits_at_warm = R->exits;
    if (m->stop_by_time) {
        double len = (m->stop_time - R->t_warm) / GM_QNET_BATCHES;
        for (unsigned k = 1; k < GM_QNET_BATCHES; k++)
            if (!gm_sim_schedule_at(R->sim, R->t_warm + len * k, on_batch_time, R, k))
                fail_schedule(R, "a batch boundary");
    } else {
        R->batch_next_exit =
            R->exits_at_warm + (m->stop_customers - R->exits_at_warm) / GM_QNET_BATCHES;
    }
    set_next_check(R);
}

static void on_warm_time(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    R->now = gm_sim_now(sim);
    end_warmup(R);
}

static void finish(run *R)
{
    if (!R->warm_done) {
        fail_run(R, GM_ELIMIT, "the run ended before its warm-up did: lengthen \"stop\" or "
                               "shorten \"warmup\"");
        return;
    }
    take_snapshot(R, R->snap_now);
    if (R->batch_out)
        while (R->batch_i < GM_QNET_BATCHES) {
            period_kpis(R, R->snap_prev, R->t_prev,
                        R->batch_out + (size_t)R->batch_i * R->m->nkpi);
            memcpy(R->snap_prev, R->snap_now, R->nacc * sizeof *R->snap_prev);
            R->t_prev = R->now;
            R->batch_i++;
        }
    period_kpis(R, R->snap_warm, R->t_warm, R->kpi_out);
    R->finished = true;
}

/* ---- customer flow ---- */

static void on_departure(gm_sim *sim, void *ctx, uint64_t data);

/* ci takes a server at S: its service is drawn (or resumed after a
   preemption) and its end scheduled. S is touched (so are its queues in
   enqueue below): the callers touch it once for all they change. */
static void start_service(run *R, uint32_t ci, st_state *S, const bool plain)
{
    cust *c = &R->c[ci];
    double d;
    if (!plain && S->preemptive) {
        /* Only preemptive stations list who holds their servers (to pick a
           victim) and resume a service where it left off. */
        if (S->nsvc == S->svc_cap) {
            uint32_t cap = S->svc_cap ? S->svc_cap * 2 : 4;
            if (cap > S->servers)
                cap = S->servers;
            uint32_t *v = realloc(S->svc, sizeof *v * cap);
            if (!v) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return;
            }
            S->svc = v;
            S->svc_cap = cap;
        }
        c->pos = S->nsvc;
        S->svc[S->nsvc++] = ci;
        d = c->remaining >= 0 ? c->remaining : gm_dist_sample(&S->service[c->cls], &S->svc_rng);
        c->remaining = -1;
        c->t_end = R->now + d;
        c->dep = gm_sim_schedule(R->sim, d, on_departure, R, ci);
        if (!c->dep)
            fail_schedule(R, "a departure");
        return;
    }
    S->nsvc++;
    d = gm_dist_sample(&S->service[plain ? 0 : c->cls], &S->svc_rng);
    if ((plain || R->direct) ? !gm_sim_schedule_direct(R->sim, R->now + d, R->narrivals + ci)
                  : !gm_sim_schedule(R->sim, d, on_departure, R, ci))
        fail_schedule(R, "a departure");
}

static void enqueue(run *R, uint32_t ci, st_state *S, bool front, const bool plain)
{
    cust *c = &R->c[ci];
    ring *q = &S->q[plain ? 0 : S->level[c->cls]];
    if ((front ? ring_push_front(q, ci) : ring_push_back(q, ci)) != GM_OK) {
        fail_run(R, GM_ENOMEM, "out of memory");
        return;
    }
    c->t_enq = R->now;
    S->nwait++;
}

static void remove_from_server(run *R, uint32_t ci, st_state *S, const bool plain)
{
    cust *c = &R->c[ci];
    touch(R, S, plain);
    if (!plain && c->blocked) {
        c->blocked = false;
        S->nblocked--;
    }
    S->nsvc--;
    if (!plain && S->preemptive) {
        uint32_t last = S->svc[S->nsvc];
        S->svc[c->pos] = last;
        R->c[last].pos = c->pos;
    }
}

/* Take the in-service customer of lowest priority below ci's, if any. */
static bool try_preempt(run *R, uint32_t ci, st_state *S)
{
    uint32_t my = S->level[R->c[ci].cls], victim = QNET_NONE, worst = my;
    for (uint32_t k = 0; k < S->nsvc; k++) {
        const cust *v = &R->c[S->svc[k]];
        if (!v->blocked && S->level[v->cls] > worst) {
            worst = S->level[v->cls];
            victim = S->svc[k];
        }
    }
    if (victim == QNET_NONE)
        return false;
    cust *v = &R->c[victim];
    gm_sim_cancel(R->sim, v->dep);
    v->dep = 0;
    v->remaining = v->t_end - R->now;
    if (v->remaining < 0)
        v->remaining = 0;
    remove_from_server(R, victim, S, false);
    enqueue(R, victim, S, true, false); /* resumes first among its class */
    return true;
}

/* Customer ci leaves the system: lost at entry or done. */
static void leave_system(run *R, uint32_t ci, bool lost, const bool plain)
{
    const gm_qnet *m = R->m;
    cust *c = &R->c[ci];
    sys_touch(R);
    R->wip--;
    if (lost) {
        R->sacc[S_LOST] += 1;
    } else {
        double soj = R->now - c->t_sys;
        R->sacc[S_EXITS] += 1;
        R->sacc[S_SOJOURN] += soj;
        if (!plain && m->nclasses > 1) {
            R->clacc[(size_t)c->cls * CL_FIELDS + C_EXITS] += 1;
            R->clacc[(size_t)c->cls * CL_FIELDS + C_SOJOURN] += soj;
        }
    }
    free_cust(R, ci);
    if (lost)
        return;
    if (++R->exits < R->next_check)
        return;
    if (!R->warm_done && !m->warm_by_time && R->exits >= m->warm_customers)
        end_warmup(R);
    if (!m->stop_by_time && R->warm_done) {
        while (R->batch_i < GM_QNET_BATCHES - 1 && R->exits >= R->batch_next_exit) {
            batch_boundary(R);
            R->batch_next_exit = R->exits_at_warm + (m->stop_customers - R->exits_at_warm) *
                                                        (R->batch_i + 1) / GM_QNET_BATCHES;
        }
        if (R->exits >= m->stop_customers) {
            finish(R);
            gm_sim_stop(R->sim);
        }
    } else if (!m->stop_by_time && R->exits >= m->stop_customers) {
        finish(R); /* reports that the warm-up never ended */
    }
    set_next_check(R);
}

/* ci arrives at station s (from outside or another station). exempt: it
   already holds a place there (feedback to the same station). */
static void enter_station(run *R, uint32_t ci, uint32_t s, bool exempt, const bool plain)
{
    st_state *S = &R->st[s];
    cust *c = &R->c[ci];
    S->acc[A_ARRIVED] += 1;
    if (!exempt && S->capacity && S->present >= S->capacity) {
        S->acc[A_LOST] += 1;
        leave_system(R, ci, true, plain);
        return;
    }
    S->present++;
    c->station = s;
    c->t_st = R->now;
    c->wait = 0;
    if (!plain)
        c->remaining = -1;
    touch(R, S, plain);
    if (S->nsvc < S->servers)
        start_service(R, ci, S, plain);
    else if (!plain && S->preemptive && try_preempt(R, ci, S))
        start_service(R, ci, S, plain);
    else
        enqueue(R, ci, S, false, plain);
}

/* Record ci's visit to S and release its server. */
static void leave_station(run *R, uint32_t ci, st_state *S, const bool plain)
{
    cust *c = &R->c[ci];
    double soj = R->now - c->t_st, wait = c->wait;
    double *a = S->acc;
    a[A_DEPARTED] += 1;
    a[A_WAIT] += wait;
    /* A customer waited when its waits (each > 0) sum to more than 0. */
    a[A_WAITED] += wait > 0 ? 1.0 : 0.0;
    a[A_SOJOURN] += soj;
    if (!plain && R->m->nclasses > 1) {
        S->cacc[(size_t)c->cls * SC_FIELDS + SC_DEPARTED] += 1;
        S->cacc[(size_t)c->cls * SC_FIELDS + SC_WAIT] += wait;
    }
    remove_from_server(R, ci, S, plain);
    S->present--;
}

/* Give free servers to waiting customers, highest priority level first. */
static void fill_servers(run *R, st_state *S, const bool plain)
{
    while (S->nsvc < S->servers && S->nwait > 0) {
        uint32_t l = 0;
        while (!plain && S->q[l].len == 0)
            l++;
        touch(R, S, plain);
        uint32_t ci = ring_pop(&S->q[l]);
        S->nwait--;
        cust *c = &R->c[ci];
        double now = R->now;
        if (now > c->t_enq)
            c->wait += now - c->t_enq;
        start_service(R, ci, S, plain);
    }
}

/* Room appeared at s0: fill its servers, admit customers blocked upstream,
   and follow the chain of stations those customers free in turn. */
static void station_freed(run *R, uint32_t s0, const bool plain)
{
    if (plain || !R->m->any_block) { /* nobody can be waiting to get in: just serve the queue */
        fill_servers(R, &R->st[s0], plain);
        return;
    }
    R->nwork = 0;
    R->work[R->nwork++] = s0;
    R->in_work[s0] = true;
    while (R->nwork) {
        uint32_t s = R->work[--R->nwork];
        R->in_work[s] = false;
        st_state *S = &R->st[s];
        fill_servers(R, S, false);
        while (S->blockq.len && (S->capacity == 0 || S->present < S->capacity)) {
            uint32_t bi = ring_pop(&S->blockq);
            uint32_t u = R->c[bi].station;
            leave_station(R, bi, &R->st[u], false);
            enter_station(R, bi, s, false, false);
            /* Each station is on the stack at most once, so it needs at
               most one slot per station. */
            if (!R->in_work[u]) {
                R->in_work[u] = true;
                R->work[R->nwork++] = u;
            }
        }
    }
}

/* Where a customer of class cls goes after service at S. */
static inline uint32_t route(st_state *S, uint32_t cls)
{
    const route_table *rt = &S->route[cls];
    if (rt->n == 1)
        return rt->to[0];
    double u = gm_rng_uniform(&S->route_rng);
    uint32_t i = 0;
    while (u >= rt->cum[i])
        i++;
    return rt->to[i];
}

/* Customer ci's service ends. */
static inline void service_ends(run *R, uint32_t ci, const bool plain)
{
    cust *c = &R->c[ci];
    uint32_t s = c->station;
    st_state *S = &R->st[s];
    uint32_t next = route(S, plain ? 0 : c->cls);
    if (next == s) { /* back into the same queue, behind those waiting */
        leave_station(R, ci, S, plain);
        fill_servers(R, S, plain);
        enter_station(R, ci, s, true, plain); /* it kept its place in the capacity */
        station_freed(R, s, plain);
        return;
    }
    if (next != QNET_EXIT) {
        st_state *N = &R->st[next];
        if (!plain && N->block && N->present >= N->capacity) {
            /* Blocking after service: hold the server until next has room. */
            touch(R, S, false);
            c->blocked = true;
            S->nblocked++;
            if (ring_push_back(&N->blockq, ci) != GM_OK)
                fail_run(R, GM_ENOMEM, "out of memory");
            return;
        }
        leave_station(R, ci, S, plain);
        enter_station(R, ci, next, false, plain);
    } else {
        leave_station(R, ci, S, plain);
        leave_system(R, ci, false, plain);
    }
    station_freed(R, s, plain);
}

static void on_arrival(gm_sim *sim, void *ctx, uint64_t data);

/* A customer of stream a arrives; the next one is scheduled. */
static inline void customer_arrives(run *R, uint32_t a, const bool plain)
{
    const gm_qnet *m = R->m;
    const arrival *ar = &m->arr[a];
    double d = gm_dist_sample(&ar->interarrival, &R->arr_rng[a]);
    if ((plain || R->direct) ? !gm_sim_schedule_direct(R->sim, R->now + d, a)
                  : !gm_sim_schedule(R->sim, d, on_arrival, R, a)) {
        fail_schedule(R, "an arrival");
        return;
    }
    if (++R->arrivals > R->arrival_guard) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "after %llu arrivals only %llu customers have left the system (of the %llu the "
                 "stop rule needs): customers are lost or stuck; stop by time instead",
                 (unsigned long long)R->arrivals, (unsigned long long)R->exits,
                 (unsigned long long)m->stop_customers);
        fail_run(R, GM_ELIMIT, msg);
        return;
    }
    if (R->wip >= m->max_wip) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "more than %llu customers in the system at time %g (max_in_system): is it "
                 "overloaded (arrivals faster than it can serve)?",
                 (unsigned long long)m->max_wip, R->now);
        fail_run(R, GM_ELIMIT, msg);
        return;
    }
    uint32_t ci = new_cust(R);
    if (ci == QNET_NONE) {
        fail_run(R, GM_ENOMEM, "out of memory for customers");
        return;
    }
    cust *c = &R->c[ci];
    c->cls = ar->cls;
    c->t_sys = R->now;
    if (!plain) {
        c->dep = 0;
        c->blocked = false;
    }
    sys_touch(R);
    R->wip++;
    R->sacc[S_ARRIVED] += 1;
    enter_station(R, ci, ar->to, false, plain);
}

/* The handlers below are the whole per-customer path: flatten inlines every
   helper into them. */
__attribute__((flatten)) static void on_departure(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    R->now = gm_sim_now(sim);
    service_ends(R, (uint32_t)data, false);
}

__attribute__((flatten)) static void on_arrival(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    R->now = gm_sim_now(sim);
    customer_arrives(R, (uint32_t)data, false);
}

/* A direct event: arrival stream data, or the departure of customer
   data - narrivals. */
static inline void direct_event(gm_sim *sim, run *R, uint64_t data, const bool plain)
{
    R->now = gm_sim_now(sim);
    if (data < R->narrivals)
        customer_arrives(R, (uint32_t)data, plain);
    else
        service_ends(R, (uint32_t)data - R->narrivals, plain);
}

__attribute__((flatten)) static void on_direct(gm_sim *sim, void *ctx, uint64_t data)
{
    direct_event(sim, ctx, data, false);
}

/* on_direct for a plain network (run.plain). */
__attribute__((flatten)) static void on_plain(gm_sim *sim, void *ctx, uint64_t data)
{
    direct_event(sim, ctx, data, true);
}

static void free_run(run *R)
{
    if (R->st)
        for (uint32_t s = 0; s < R->m->nstations; s++) {
            st_state *S = &R->st[s];
            free(S->svc);
            if (S->q)
                for (uint32_t l = 0; l < R->m->st[s].nlevels; l++)
                    free(S->q[l].buf);
            free(S->q);
            free(S->blockq.buf);
        }
    free(R->st);
    free(R->c);
    free(R->arr_rng);
    free(R->acc);
    free(R->snap_warm);
    free(R->snap_prev);
    free(R->snap_now);
    free(R->work);
    free(R->in_work);
    gm_sim_destroy(R->sim);
}

int gm_qnet_replicate(const gm_qnet *m, uint64_t seed, uint64_t rep, gm_qnet_result *res,
                      gm_err *err)
{
    run R;
    memset(&R, 0, sizeof R);
    R.m = m;
    R.free_cust = QNET_NONE;
    R.nacc = acc_size(m);
    R.kpi_out = res->kpi;
    R.batch_out = res->batch;
    R.sim = gm_sim_create(GM_SIM_HEAP4, 64);
    R.st = calloc(m->nstations, sizeof *R.st);
    R.arr_rng = calloc(m->narrivals, sizeof *R.arr_rng);
    R.acc = calloc(R.nacc, sizeof *R.acc);
    R.snap_warm = calloc(R.nacc, sizeof *R.snap_warm);
    R.snap_prev = calloc(R.nacc, sizeof *R.snap_prev);
    R.snap_now = calloc(2 * R.nacc, sizeof *R.snap_now);
    R.work = malloc(sizeof *R.work * m->nstations);
    R.in_work = calloc(m->nstations, sizeof *R.in_work);
    int rc = GM_ENOMEM;
    if (!R.sim || !R.st || !R.arr_rng || !R.acc || !R.snap_warm || !R.snap_prev || !R.snap_now ||
        !R.work || !R.in_work)
        goto nomem;

    /* Streams: rep * S + k, k over arrivals, then (service, routing) per station. */
    uint64_t base = rep * gm_qnet_nstreams(m);
    for (uint32_t a = 0; a < m->narrivals; a++)
        gm_rng_seed(&R.arr_rng[a], seed, base + a);
    R.sacc = R.acc + a_sys(m, 0);
    R.clacc = R.acc + a_cl(m, 0, 0);
    R.narrivals = m->narrivals;
    for (uint32_t s = 0; s < m->nstations; s++) {
        st_state *S = &R.st[s];
        const station *st = &m->st[s];
        S->servers = st->servers;
        S->preemptive = st->preemptive;
        S->block = st->block && st->capacity > 0;
        S->capacity = st->capacity;
        S->service = st->service;
        S->route = st->route;
        S->level = st->level;
        S->acc = R.acc + a_st(s, 0);
        S->cacc = R.acc + a_sc(m, s, 0, 0);
        gm_rng_seed(&S->svc_rng, seed, base + m->narrivals + 2u * s);
        gm_rng_seed(&S->route_rng, seed, base + m->narrivals + 2u * s + 1);
        S->q = calloc(m->st[s].nlevels, sizeof *S->q);
        if (!S->q)
            goto nomem;
    }
    /* 100 N + 10^6 arrivals without N exits means customers are lost or stuck. */
    R.arrival_guard = m->stop_by_time || m->stop_customers > (UINT64_MAX - 1000000) / 100
                          ? UINT64_MAX
                          : 100 * m->stop_customers + 1000000;
    set_next_check(&R);

    /* Customers alive at once are at most max_wip (on_arrival), so their
       indices are below it. */
    R.direct = (uint64_t)m->narrivals + m->max_wip <= GM_SIM_MAX_DIRECT_DATA;
    R.plain = R.direct && m->nclasses == 1 && !m->any_block;
    for (uint32_t s = 0; s < m->nstations; s++)
        R.plain = R.plain && !m->st[s].preemptive;
    if (R.direct)
        gm_sim_set_direct(R.sim, R.plain ? on_plain : on_direct, &R);
    for (uint32_t a = 0; a < m->narrivals; a++) {
        double d = gm_dist_sample(&m->arr[a].interarrival, &R.arr_rng[a]);
        if (R.direct ? !gm_sim_schedule_direct(R.sim, d, a)
                     : !gm_sim_schedule(R.sim, d, on_arrival, &R, a))
            goto nomem;
    }
    if (m->warm_by_time) {
        if (m->warm_time > 0) {
            if (!gm_sim_schedule_at(R.sim, m->warm_time, on_warm_time, &R, 0))
                goto nomem;
        } else {
            end_warmup(&R);
        }
    } else if (m->warm_customers == 0) {
        end_warmup(&R);
    }

    if (m->stop_by_time) {
        gm_sim_run(R.sim, m->stop_time, 0);
        R.now = gm_sim_now(R.sim);
        if (!R.error)
            finish(&R);
    } else {
        gm_sim_run(R.sim, HUGE_VAL, 0);
        if (!R.error && !R.finished)
            fail_run(&R, GM_EINTERNAL, "the calendar ran empty before the stop rule");
    }
    if (R.error) {
        rc = gm_err_set(err, R.error, "simulation", "replication %llu: %s",
                        (unsigned long long)rep, R.error_msg);
        goto done;
    }
    res->events = gm_sim_events(R.sim);
    res->customers = R.exits;
    rc = GM_OK;
    goto done;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "simulation", "out of memory");
done:
    free_run(&R);
    return rc;
}
