/*
 * proc_run.c: one replication of a BPMN process on the event kernel.
 *
 * Runtime model. A case is a tree of scopes: the process instance at the
 * root, one child scope per running embedded sub-process. A scope counts its
 * tokens: work items (tokens moving through gateways and events at once,
 * inside the current event), records (a token resting in an activity, a
 * catch event or an event-based gateway) and tokens parked at joins. When
 * the count reaches zero the scope is complete: the sub-process activity
 * finishes, or at the root the case does.
 *
 * Records. A plain activity (no marker, no boundary event) is one EXEC
 * record: wait for resource units, hold them for the sampled duration,
 * release. Any other activity is an ACT record, which owns its boundary
 * timers and its EXEC records (one per loop iteration or instance; a
 * sub-process EXEC owns a child scope). Interrupting an ACT, terminating or
 * failing a scope cancel everything below them: pending events, resource
 * requests (queued ones are withdrawn, granted units released) and child
 * scopes; work items of a dead scope go stale by its generation number.
 *
 * Resources. Pools of units, each unit possibly with a weekly calendar.
 * A task's request for units of one or more pools is granted all at once,
 * when every pool has enough idle units on shift; requests queue first in,
 * first out in every pool they need, and one that cannot be met lets later
 * ones pass. Work pauses while a unit is off shift (the finish time comes
 * from the calendars), so no unit ever works outside its hours.
 *
 * Inclusive joins wait for the inputs that can still receive a token: after
 * each event, a join holding tokens fires when no token of its scope rests
 * at a node from which a missing input is reachable (sets built by
 * proc_load.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num/rng.h"
#include "des/kernel.h"
#include "process/proc_int.h"

#define NONE PROC_NONE

/* ======================================================================== */
/* Accessors                                                                */

void gm_proc_set_log(gm_proc *p, gm_evlog *log)
{
    p->log = log;
}

void gm_proc_set_wip(gm_proc *p, double *bins, size_t n)
{
    p->wip = n ? bins : NULL;
    p->nwip = bins ? n : 0;
}

void gm_proc_clock(const gm_proc *p, gm_evlog_clock *clk)
{
    clk->start_ns = p->start_ns;
    clk->offset_min = p->offset_min;
    clk->unit_seconds = p->unit_seconds;
}

const char *gm_proc_process_name(const gm_proc *p)
{
    const gm_bpmn_process *pr = gm_bpmn_process_at(p->m, p->process);
    return pr->name[0] ? pr->name : pr->id;
}

size_t gm_proc_nkpi(const gm_proc *p)
{
    return p ? p->nkpi : 0;
}

const char *gm_proc_kpi_name(const gm_proc *p, size_t i)
{
    return p && i < p->nkpi ? p->kpi[i] : NULL;
}

long gm_proc_kpi_index(const gm_proc *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->nkpi; i++)
        if (strcmp(p->kpi[i], name) == 0)
            return (long)i;
    return -1;
}

uint64_t gm_proc_nstreams(const gm_proc *p)
{
    return p->nstreams;
}

/* ======================================================================== */
/* Bottlenecks                                                              */

size_t gm_proc_bottlenecks(const gm_proc *p, const double *mean, gm_proc_bottleneck *out,
                           size_t cap)
{
    double total = 0;
    size_t n = 0;
    for (size_t t = 0; t < p->nact; t++) {
        const double *k = mean + p->kpi_task0 + PROC_KPI_PER_TASK * t;
        double w = k[0] * k[1]; /* executions per case x mean wait */
        if (isfinite(w) && w > 0)
            total += w;
    }
    for (size_t t = 0; t < p->nact; t++) {
        const pact *a = &p->act[t];
        const double *k = mean + p->kpi_task0 + PROC_KPI_PER_TASK * t;
        double w = k[0] * k[1];
        if (!(isfinite(w) && w > 0) || a->nneed == 0)
            continue;
        /* the cause: the busiest of the pools the task waits for */
        size_t cause = a->need[0].pool;
        for (size_t r = 1; r < a->nneed; r++) {
            size_t q = a->need[r].pool;
            if (mean[p->kpi_pool0 + PROC_KPI_PER_POOL * q] >
                mean[p->kpi_pool0 + PROC_KPI_PER_POOL * cause])
                cause = q;
        }
        gm_proc_bottleneck b = {
            .task = gm_bpmn_node_at(p->m, a->node)->id,
            .resource = p->pool[cause].name,
            .share = w / total,
            .wait_per_case = w,
            .wait_mean = k[1],
            .utilization = mean[p->kpi_pool0 + PROC_KPI_PER_POOL * cause],
        };
        /* insertion by share, largest first */
        size_t i = n < cap ? n : cap;
        while (i > 0 && out[i - 1].share < b.share) {
            if (i < cap)
                out[i] = out[i - 1];
            i--;
        }
        if (i < cap)
            out[i] = b;
        if (n < cap)
            n++;
    }
    return n;
}

bool gm_proc_kpi_is_fraction(const gm_proc *p, size_t k)
{
    return k >= p->kpi_pool0 && (k - p->kpi_pool0) % PROC_KPI_PER_POOL == 0;
}

size_t gm_proc_overloaded(const gm_proc *p, const double *mean, const double *lo, char *msg,
                          size_t n)
{
    size_t count = 0, used = 0;
    if (n)
        msg[0] = '\0';
    if (p->terminating) /* it measures its cases to the end: no steady state to miss */
        return 0;
    for (size_t r = 0; r < p->npool; r++) {
        size_t k = p->kpi_pool0 + PROC_KPI_PER_POOL * r + 1;
        double load = mean[k];
        /* an interval that reaches below 1 does not show it */
        if (!(load >= 1) || (lo && isfinite(lo[k]) && lo[k] < 1))
            continue;
        if (++count > 3 || used >= n)
            continue;
        const ppooldef *pd = &p->pool[r];
        bool shifts = pd->cal != NONE;
        for (size_t u = 0; pd->named && u < pd->nunits; u++)
            shifts = shifts || p->unit[pd->first_unit + u].cal != NONE;
        int w = snprintf(msg + used, n - used,
                         "%sresource '%s': offered load %.3g >= 1 (the work its cases bring per "
                         "unit of time, over its %u unit%s%s)",
                         count > 1 ? "; " : "", pd->name, load, pd->nunits,
                         pd->nunits == 1 ? "" : "s", shifts ? " on shift" : "");
        used = w < 0 ? n : used + (size_t)w < n ? used + (size_t)w : n;
    }
    if (count > 3 && used < n)
        snprintf(msg + used, n - used, "; and %zu more", count - 3);
    return count;
}

/* ======================================================================== */
/* Run state                                                                */

enum { R_EXEC, R_ACT, R_CATCH, R_EVGW, R_ESP, R_COMP, R_CRUN };
enum { X_WAIT, X_SERVICE, X_SUB };
enum { RS_NONE, RS_WAIT, RS_HOLD }; /* an EXEC's request: none, queued, held */

typedef struct scope {
    size_t cs;        /* case */
    size_t parent;    /* enclosing scope, NONE at the root */
    size_t owner;     /* the EXEC running this sub-process, NONE at the root */
    size_t container; /* sub-process node, NONE at the root */
    size_t head;      /* records resting in this scope */
    uint64_t ntok;
    uint32_t gen;
    uint32_t or_parked;
    uint32_t *joins;  /* [njoin_slots] */
    uint32_t esp_wait; /* its event sub-processes' pending occurrences */
    uint32_t esp_run;  /* ... and their bodies running (ntok leaves them
                          out: a scope with no token left waits for these) */
    size_t comp;       /* the completed activities it may compensate, latest
                          first (R_COMP records, through next) */
    bool odd;          /* scope_complete has more to do: event sub-processes
                          under way, completions recorded for compensation,
                          or the scope is a handler's */
    bool alive, dirty;
    size_t next;      /* free list / dirty list */
} scope;

typedef struct rec {
    int kind, state;
    size_t node;
    size_t ai;        /* EXEC and ACT: the activity (pact index), else NONE */
    size_t scope;
    size_t cs;        /* its case (its scope's, kept for the hot path) */
    size_t act;       /* EXEC: the ACT it belongs to, or NONE (plain) */
    size_t prev, next;
    size_t child;     /* EXEC of a sub-process: its scope */
    int rs;           /* EXEC: RS_NONE, RS_WAIT, RS_HOLD */
    size_t req;       /* its request extension (several pools, named units,
                         calendars), or NONE */
    size_t qprev, qnext; /* RS_WAIT: its node in its first pool's queue */
    gm_sim_event ev;
    double t_req, t_start, dur;
    /* ACT */
    size_t exec_head;
    uint32_t iter, running;
    uint64_t left;    /* sequential instances still to start */
    gm_sim_event *bev;
    size_t bcap;
    size_t target;    /* EVGW: the winning catch event */
    /* ESP: an event sub-process of its scope (ai: the pesp index), pending
       (ev) or running its body (child, from t_req); iter: occurrences
       before it.
       COMP: a completed activity (node) its scope may compensate: target,
       its handler (NONE: compensate what completed inside it, kept in
       exec_head).
       ACT of a compensable sub-process or call: child, what completed in
       its executions' scopes (COMP records).
       CRUN: a compensation under way for throw event target: exec_head,
       the COMP records still to compensate; child, the scope of the handler
       running (from t_req; ai: its event sub-process's activity, or NONE);
       state: 1 when the token waits for the handlers at the throw event */
} rec;

typedef struct req {
    size_t rec;
    size_t prev[PROC_MAX_NEEDS], next[PROC_MAX_NEEDS]; /* queue nodes (QNODE);
                                                          [0] unused */
    uint32_t *units;  /* named units held */
    size_t nunits, capunits;
    size_t next_free;
} req;

typedef struct pool_rt {
    uint32_t idle;    /* count form */
    bool plain;       /* counted units without a calendar: idle is what is
                         available at any time */
    size_t qhead, qtail; /* queue nodes (QNODE) */
    bool wake;        /* count form: a wake-up is pending */
} pool_rt;

typedef struct unit_rt {
    bool busy, wake;
    double idle_since;
} unit_rt;

typedef struct pcase {
    uint64_t seq;
    double t_arrive;
    bool measured;
    size_t batch;     /* measured: its batch (batch means), else NONE */
    double proc, wait, cost;
    size_t next_free;
} pcase;

/* What the hot paths read of an activity (pact index), gathered from the
   model into one small record so that a task's start and completion touch
   one cache line instead of chasing pact, pnode and BPMN node pointers.
   Durations are drawn ahead (draw_duration). */
typedef struct lact {
    const gm_dist *dist; /* duration: sample * scale */
    double scale;
    gm_rng *rng;         /* the activity's stream: its durations only */
    double *ahead;       /* [DRAW_AHEAD] its next draws, or NULL: per-unit
                            durations share the stream, drawn one by one */
    uint32_t used;       /* of them */
    double cost;         /* fixed cost per execution */
    double rate;         /* pool cost per unit and time unit */
    uint32_t pool;       /* NONE32: no resource */
    uint32_t amount;
    uint32_t out;        /* its single outgoing flow, or NONE32 (hand_on) */
    uint32_t next_node, next_ai; /* where out leads when that is a plain task
                                    (no node between), else NONE32 */
    bool fast;           /* pact.fast_res: one counted pool without calendar */
    uint8_t slow;        /* LA_ bits: what begin_exec checks first */
} lact;

enum { LA_SUB = 1, LA_CYCLIC = 2 }; /* an embedded sub-process; pact.cyclic */

#define NONE32 UINT32_MAX

/* Durations an activity draws ahead, at once (draw_duration). */
#define DRAW_AHEAD 32

typedef struct witem {
    size_t scope;
    uint32_t gen;
    size_t node;
    size_t flow;
} witem;

typedef struct tstat {
    double count, wait, dur, cost;
} tstat;

/* The statistics behind one KPI vector: the whole run, or one batch of it
   (batch means). Case-based sums go to the case's batch; time-based ones
   (work, WIP) to the batch whose arrivals are under way. */
typedef struct blk {
    double n;               /* measured cases completed */
    double cycle, proc, wait, cost;
    double t_first, t_last; /* their first and last completion */
    double t0, t1;          /* time window */
    double wip_area;
    tstat *ts;              /* [nact] */
    double *work, *pcost;   /* [npool]: unit-time worked, resource cost */
} blk;

typedef struct run {
    const gm_proc *p;
    gm_sim *sim;
    gm_rng *rng; /* [nstreams] */
    scope *sc;
    size_t nsc, capsc, free_sc, dirty;
    rec *rc;
    size_t nrc, caprc, free_rc;
    req *rq;
    size_t nrq, caprq, free_rq;
    pcase *cs;
    size_t ncs, capcs, free_cs;
    witem *work;
    size_t nwork, capwork;
    pool_rt *pool;
    unit_rt *unit;
    /* run length */
    uint64_t arrived, measured_arrived, measured_done, post_arrivals, in_system;
    uint64_t cases_ended, steps, step_limit; /* see step() */
    bool arrivals_done; /* terminating: no case arrives any more */
    bool window_open, window_closed;
    bool util_on; /* work counts for utilisation now (util_update) */
    double t_w0, t_w1;
    double wip_t;
    blk *b;      /* b[0] the run, b[1 + i] batch i */
    size_t nb;   /* batches (0: none) */
    size_t cur;  /* batch of the latest measured arrival, or NONE */
    lact *la;    /* [nact] */
    bool direct; /* task completions are direct kernel events: nothing in
                    the model withdraws a task in service */
    bool track;  /* scopes list their resting plain tasks: only what withdraws
                    tokens or inclusive joins look at the list */
    double *ahead; /* [nact * DRAW_AHEAD] their durations drawn ahead */
    /* replication 0 */
    gm_evlog *log;
    double *trace; /* (t, n) pairs: the number in the system from t on */
    double trace0;  /* the number when the window opened */
    size_t ntrace, captrace;
    int error;
    char msg[GM_ERR_WHAT_MAX];
} run;

/* The batch block of case c, or NULL. */
static blk *case_blk(run *R, const void *c);

static void fail_run(run *R, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_run(run *R, int code, const char *fmt, ...)
{
    if (!R->error) {
        R->error = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(R->msg, sizeof R->msg, fmt, ap);
        va_end(ap);
    }
    gm_sim_stop(R->sim);
}

/* A token begins an activity on a cycle (pact.cyclic) or a wait.
   check_endings (proc_load.c) refuses models whose tokens can never end;
   a cycle left only with a tiny probability would still run for ever, and
   while its cases loop others arrive. So the run has a budget of such
   steps, GM_PROC_MAX_CASE_STEPS to begin with and as much again per case
   that ends. False (the run failed) past it. */
static inline bool step(run *R)
{
    if (__builtin_expect(++R->steps <= R->step_limit, 1))
        return true;
    fail_run(R, GM_ELIMIT,
             "the cases went through more than %u activities on cycles and waits each "
             "without ending (%llu cases ended); a cycle they (almost) never leave?",
             GM_PROC_MAX_CASE_STEPS, (unsigned long long)R->cases_ended);
    return false;
}

static const gm_bpmn_node *nd(const run *R, size_t i)
{
    return R->p->node[i].bn;
}

/* Grow an array of n elements to hold one more; false (and the run failed)
   when memory runs out. */
static bool grow(run *R, void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? 2 * *cap : 64;
    void *a = realloc(*arr, nc * size);
    if (!a) {
        fail_run(R, GM_ENOMEM, "out of memory");
        return false;
    }
    *arr = a;
    *cap = nc;
    return true;
}

static blk *case_blk(run *R, const void *cp)
{
    const pcase *c = cp;
    return c->batch != NONE ? &R->b[1 + c->batch] : NULL;
}

/* Work done by a pool (in the utilization window). */
static void add_work(run *R, size_t pool, double w)
{
    R->b[0].work[pool] += w;
    if (R->cur != NONE && !R->window_closed)
        R->b[1 + R->cur].work[pool] += w;
}

/* Resource cost of measured case c. */
static void add_pcost(run *R, const pcase *c, size_t pool, double cost)
{
    R->b[0].pcost[pool] += cost;
    blk *b = case_blk(R, c);
    if (b)
        b->pcost[pool] += cost;
}

static inline void tstat_add(tstat *ts, double wait, double dur, double cost)
{
    ts->count++;
    ts->wait += wait;
    ts->dur += dur;
    ts->cost += cost;
}

/* One completed execution of activity t for measured case c. */
static void add_task(run *R, const pcase *c, size_t t, double wait, double dur, double cost)
{
    tstat_add(&R->b[0].ts[t], wait, dur, cost);
    blk *b = case_blk(R, c);
    if (b)
        tstat_add(&b->ts[t], wait, dur, cost);
}

/* ======================================================================== */
/* Allocation of scopes, records, requests                                  */

static size_t scope_new(run *R, size_t cs, size_t parent, size_t owner, size_t container)
{
    size_t s = R->free_sc;
    if (s != NONE) {
        R->free_sc = R->sc[s].next;
    } else {
        if (!grow(R, (void **)&R->sc, &R->capsc, R->nsc, sizeof *R->sc))
            return NONE;
        s = R->nsc;
        memset(&R->sc[s], 0, sizeof R->sc[s]);
        if (R->p->njoin_slots) {
            R->sc[s].joins = calloc(R->p->njoin_slots, sizeof *R->sc[s].joins);
            if (!R->sc[s].joins) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return NONE;
            }
        }
        R->nsc++;
    }
    scope *S = &R->sc[s];
    S->cs = cs;
    S->parent = parent;
    S->owner = owner;
    S->container = container;
    S->head = NONE;
    S->ntok = 0;
    S->or_parked = 0;
    S->esp_wait = S->esp_run = 0;
    S->comp = NONE;
    S->odd = false;
    S->alive = true;
    S->dirty = false;
    S->next = NONE;
    return s;
}

static void scope_free(run *R, size_t s)
{
    scope *S = &R->sc[s];
    S->alive = false;
    S->gen++;
    if (R->p->njoin_slots)
        memset(S->joins, 0, R->p->njoin_slots * sizeof *S->joins);
    if (!S->dirty) { /* a dirty scope is freed when the dirty list is drained */
        S->next = R->free_sc;
        R->free_sc = s;
    }
}

static inline size_t rec_new(run *R, int kind, size_t node, size_t s)
{
    size_t r = R->free_rc;
    if (r != NONE) {
        R->free_rc = R->rc[r].next;
    } else {
        if (!grow(R, (void **)&R->rc, &R->caprc, R->nrc, sizeof *R->rc))
            return NONE;
        r = R->nrc++;
        R->rc[r].bev = NULL;
        R->rc[r].bcap = 0;
    }
    rec *x = &R->rc[r];
    x->kind = kind;
    x->node = node;
    x->ai = kind == R_EXEC || kind == R_ACT ? R->p->node[node].idx : NONE;
    x->scope = s;
    x->cs = R->sc[s].cs;
    x->act = NONE;
    x->child = NONE;
    x->rs = RS_NONE;
    x->req = NONE;
    x->ev = 0;
    if (kind != R_EXEC) {
        /* An EXEC's state and times are set when it begins (begin_exec,
           start_service) and its list links when it is linked (link_rec);
           the rest only the other kinds read. */
        x->state = 0;
        x->prev = x->next = NONE;
        x->t_req = x->t_start = gm_sim_now(R->sim);
        x->dur = 0;
        x->exec_head = NONE;
        x->iter = x->running = 0;
        x->left = 0;
        x->target = NONE;
    }
    return r;
}

static inline void rec_free(run *R, size_t r)
{
    R->rc[r].next = R->free_rc;
    R->free_rc = r;
}

/* Link record r at the head of list *head. */
static void link_rec(run *R, size_t *head, size_t r)
{
    rec *x = &R->rc[r];
    x->prev = NONE;
    x->next = *head;
    if (*head != NONE)
        R->rc[*head].prev = r;
    *head = r;
}

static void unlink_rec(run *R, size_t *head, size_t r)
{
    rec *x = &R->rc[r];
    if (x->prev != NONE)
        R->rc[x->prev].next = x->next;
    else
        *head = x->next;
    if (x->next != NONE)
        R->rc[x->next].prev = x->prev;
}

/* The list a record is on: its scope's, or its ACT's. */
static size_t *list_of(run *R, size_t r)
{
    rec *x = &R->rc[r];
    return x->act == NONE ? &R->sc[x->scope].head : &R->rc[x->act].exec_head;
}

/* ======================================================================== */
/* Tokens                                                                   */

static void touch(run *R, size_t s)
{
    scope *S = &R->sc[s];
    if (S->or_parked && !S->dirty) {
        S->dirty = true;
        S->next = R->dirty;
        R->dirty = s;
    }
}

static void scope_complete(run *R, size_t s);

/* One token of scope s is gone. */
static inline void tok_del(run *R, size_t s)
{
    scope *S = &R->sc[s];
    if (--S->ntok == 0)
        scope_complete(R, s);
    else
        touch(R, s);
}

static inline bool push_work(run *R, size_t s, size_t node, size_t flow)
{
    if (!grow(R, (void **)&R->work, &R->capwork, R->nwork, sizeof *R->work))
        return false;
    R->work[R->nwork++] = (witem){s, R->sc[s].gen, node, flow};
    return true;
}

/* Send a new token of scope s along each of the n flows. */
static void emit(run *R, size_t s, const size_t *flows, size_t n)
{
    scope *S = &R->sc[s];
    if (S->ntok + n > GM_PROC_MAX_CASE_TOKENS) {
        fail_run(R, GM_ELIMIT, "a case holds too many tokens (a parallel split in a cycle?)");
        return;
    }
    S->ntok += n;
    for (size_t k = 0; k < n; k++)
        if (!push_work(R, s, R->p->flow_tgt[flows[k]], flows[k]))
            return;
}

static void activate(run *R, size_t s, size_t node);

/*
 * emit, for the callers whose tokens could go to the work list at once (the
 * work list is a stack: the last flow is taken first). When every flow leads
 * to a plain task, the tasks start here, last flow first: starting a task
 * moves no other token and draws only from the task's own stream, so this is
 * what the work list would do, without it.
 */
static void emit_now(run *R, size_t s, const size_t *flows, size_t n)
{
    const gm_proc *p = R->p;
    for (size_t k = 0; k < n; k++)
        if (!p->node[p->flow_tgt[flows[k]]].task) {
            emit(R, s, flows, n);
            return;
        }
    scope *S = &R->sc[s];
    if (S->ntok + n > GM_PROC_MAX_CASE_TOKENS) {
        fail_run(R, GM_ELIMIT, "a case holds too many tokens (a parallel split in a cycle?)");
        return;
    }
    S->ntok += n;
    for (size_t k = n; k-- > 0 && !R->error;)
        activate(R, s, p->flow_tgt[flows[k]]);
}

/* ======================================================================== */
/* Resource pools                                                           */

static double unit_cost(const gm_proc *p, size_t pool, size_t u)
{
    return p->pool[pool].named ? p->unit[u].cost : p->pool[pool].cost;
}

static bool on_shift(const run *R, size_t cal, double now)
{
    return cal == NONE || gm_cal_weight(R->p->cal[cal], now) > 0;
}

/* Units of pool that could start work now. */
static inline uint32_t available(const run *R, size_t pool, double now)
{
    if (R->pool[pool].plain)
        return R->pool[pool].idle;
    const ppooldef *pd = &R->p->pool[pool];
    if (!pd->named)
        return pd->cal == NONE || on_shift(R, pd->cal, now) ? R->pool[pool].idle : 0;
    uint32_t n = 0;
    for (size_t u = pd->first_unit; u < pd->first_unit + pd->nunits; u++)
        n += !R->unit[u].busy && on_shift(R, R->p->unit[u].cal, now);
    return n;
}

/* Every need of a can be met now. A task with one counted pool without a
   calendar (fast_res, the common case) needs no loop and no calendar. */
static inline bool satisfiable(const run *R, const pact *a, double now)
{
    if (a->fast_res)
        return R->pool[a->need[0].pool].idle >= a->need[0].amount;
    for (size_t k = 0; k < a->nneed; k++)
        if (available(R, a->need[k].pool, now) < a->need[k].amount)
            return false;
    return true;
}

/*
 * Requests. A task record r asks for the units of its activity's needs. It
 * waits in the queue of every pool it needs; its place in the queue of its
 * need k is the node QNODE(r, k). The links of node (r, 0) are in the record
 * (qprev, qnext), those of the other needs in its request extension, so a
 * record leaves all its queues in O(1) each. Only a request for more than
 * one counted pool without calendar has an extension (x->req): it also
 * remembers the named units held. x->rs says where the request stands.
 */
#define QNODE(r, k) ((r) << 3 | (k))
#define QREC(n) ((n) >> 3)
#define QNEED(n) ((n) & 7)
_Static_assert(PROC_MAX_NEEDS <= 8, "a queue node keeps the need in 3 bits");

static inline size_t *qnext_of(run *R, size_t n)
{
    rec *x = &R->rc[QREC(n)];
    return QNEED(n) ? &R->rq[x->req].next[QNEED(n)] : &x->qnext;
}

static inline size_t *qprev_of(run *R, size_t n)
{
    rec *x = &R->rc[QREC(n)];
    return QNEED(n) ? &R->rq[x->req].prev[QNEED(n)] : &x->qprev;
}

static inline __attribute__((always_inline)) void dequeue(run *R, size_t r)
{
    const pact *a = &R->p->act[R->rc[r].ai];
    for (size_t k = 0; k < a->nneed; k++) {
        pool_rt *P = &R->pool[a->need[k].pool];
        size_t pn = *qprev_of(R, QNODE(r, k)), nn = *qnext_of(R, QNODE(r, k));
        if (pn != NONE)
            *qnext_of(R, pn) = nn;
        else
            P->qhead = nn;
        if (nn != NONE)
            *qprev_of(R, nn) = pn;
        else
            P->qtail = pn;
    }
    R->rc[r].rs = RS_NONE;
}

static void enqueue(run *R, size_t r)
{
    const pact *a = &R->p->act[R->rc[r].ai];
    for (size_t k = 0; k < a->nneed; k++) {
        pool_rt *P = &R->pool[a->need[k].pool];
        size_t n = QNODE(r, k);
        *qnext_of(R, n) = NONE;
        *qprev_of(R, n) = P->qtail;
        if (P->qtail != NONE)
            *qnext_of(R, P->qtail) = n;
        else
            P->qhead = n;
        P->qtail = n;
    }
    R->rc[r].rs = RS_WAIT;
}

static void start_service(run *R, size_t r);

/* Take the units record r (satisfiable now) asks for and start its task. */
static inline __attribute__((always_inline)) void grant(run *R, size_t r, double now)
{
    if (R->rc[r].rs == RS_WAIT)
        dequeue(R, r);
    R->rc[r].rs = RS_HOLD;
    const gm_proc *p = R->p;
    const pact *a = &p->act[R->rc[r].ai];
    if (a->fast_res) {
        R->pool[a->need[0].pool].idle -= a->need[0].amount;
        start_service(R, r);
        return;
    }
    req *Q = &R->rq[R->rc[r].req];
    Q->nunits = 0;
    for (size_t k = 0; k < a->nneed; k++) {
        size_t pool = a->need[k].pool;
        uint32_t amount = a->need[k].amount;
        const ppooldef *pd = &p->pool[pool];
        if (!pd->named) {
            R->pool[pool].idle -= amount;
            continue;
        }
        if (Q->nunits + amount > Q->capunits) {
            size_t nc = Q->nunits + amount + 4;
            uint32_t *u = realloc(Q->units, nc * sizeof *u);
            if (!u) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return;
            }
            Q->units = u;
            Q->capunits = nc;
        }
        /* the units idle longest go first */
        for (uint32_t j = 0; j < amount; j++) {
            size_t best = NONE;
            for (size_t u = pd->first_unit; u < pd->first_unit + pd->nunits; u++)
                if (!R->unit[u].busy && on_shift(R, p->unit[u].cal, now) &&
                    (best == NONE || R->unit[u].idle_since < R->unit[best].idle_since))
                    best = u;
            R->unit[best].busy = true;
            Q->units[Q->nunits++] = (uint32_t)best;
        }
    }
    start_service(R, r);
}

static void on_wake(gm_sim *sim, void *ctx, uint64_t data);

/* Queued work waits for units that are idle but off shift: wake the pool
   when the first of them comes on. */
static void ensure_wake(run *R, size_t pool, double now)
{
    const gm_proc *p = R->p;
    const ppooldef *pd = &p->pool[pool];
    if (R->pool[pool].qhead == NONE || (!pd->named && pd->cal == NONE))
        return;
    if (!pd->named) {
        if (R->pool[pool].wake || R->pool[pool].idle == 0 || on_shift(R, pd->cal, now))
            return;
        double t = gm_cal_next_on(p->cal[pd->cal], now);
        if (t < HUGE_VAL && gm_sim_schedule_at(R->sim, t, on_wake, R, (uint64_t)pool << 32))
            R->pool[pool].wake = true;
        return;
    }
    for (size_t u = pd->first_unit; u < pd->first_unit + pd->nunits; u++) {
        unit_rt *U = &R->unit[u];
        size_t cal = p->unit[u].cal;
        if (U->busy || U->wake || cal == NONE || on_shift(R, cal, now))
            continue;
        double t = gm_cal_next_on(p->cal[cal], now);
        if (t < HUGE_VAL &&
            gm_sim_schedule_at(R->sim, t, on_wake, R, (uint64_t)pool << 32 | (uint64_t)(u + 1)))
            U->wake = true;
    }
}

/* Serve pool's queue in order while it has units to give; a request that
   cannot be met lets later ones pass. */
static void serve(run *R, size_t pool, double now)
{
    size_t n = R->pool[pool].qhead;
    while (n != NONE && !R->error && available(R, pool, now) > 0) {
        size_t r = QREC(n);
        size_t next = *qnext_of(R, n);
        const pact *a = &R->p->act[R->rc[r].ai];
        if (satisfiable(R, a, now)) {
            grant(R, r, now);
        } else if (a->nneed > 1) {
            /* it may wait for another pool's units that are off shift */
            for (size_t j = 0; j < a->nneed; j++)
                if (a->need[j].pool != pool)
                    ensure_wake(R, a->need[j].pool, now);
        }
        n = next;
    }
    if (!R->pool[pool].plain)
        ensure_wake(R, pool, now);
}

static void on_wake(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    size_t pool = (size_t)(data >> 32), u = (size_t)(data & 0xffffffffu);
    if (u)
        R->unit[u - 1].wake = false;
    else
        R->pool[pool].wake = false;
    serve(R, pool, gm_sim_now(sim));
}

/* A request extension for record r, or NONE (the run failed). */
static size_t req_new(run *R, size_t r)
{
    size_t q = R->free_rq;
    if (q != NONE) {
        R->free_rq = R->rq[q].next_free;
    } else {
        if (!grow(R, (void **)&R->rq, &R->caprq, R->nrq, sizeof *R->rq))
            return NONE;
        q = R->nrq++;
        R->rq[q].units = NULL;
        R->rq[q].capunits = 0;
    }
    R->rq[q].rec = r;
    R->rq[q].nunits = 0;
    return q;
}

static void req_free(run *R, size_t r)
{
    size_t q = R->rc[r].req;
    R->rc[r].req = NONE;
    if (q != NONE) {
        R->rq[q].next_free = R->free_rq;
        R->free_rq = q;
    }
}

/* Record r asks for its activity a's units (begin_exec has tried the one
   counted pool of a fast_res task); its task starts at once when they are
   there. */
static void request(run *R, size_t r, const pact *a)
{
    if (!a->fast_res) {
        size_t q = req_new(R, r);
        if (q == NONE)
            return;
        R->rc[r].req = q;
    }
    double now = gm_sim_now(R->sim);
    if (satisfiable(R, a, now)) {
        /* FIFO: do not pass requests already waiting in a pool */
        bool ahead = false;
        for (size_t k = 0; k < a->nneed; k++)
            ahead = ahead || R->pool[a->need[k].pool].qhead != NONE;
        if (!ahead) {
            grant(R, r, now);
            return;
        }
    }
    enqueue(R, r);
    for (size_t k = 0; k < a->nneed; k++) {
        if (satisfiable(R, a, now)) /* units free but others were ahead */
            serve(R, a->need[k].pool, now);
        else if (!a->fast_res)
            ensure_wake(R, a->need[k].pool, now);
        if (R->rc[r].rs != RS_WAIT || R->error)
            break;
    }
}

/* Record r gives back the units it holds, or withdraws its request, and
   the pools it held serve their queues. */
static inline __attribute__((always_inline)) void release_rec(run *R, size_t r)
{
    rec *x = &R->rc[r];
    const pact *a = &R->p->act[x->ai];
    if (x->rs == RS_WAIT) {
        dequeue(R, r);
        req_free(R, r);
        return;
    }
    x->rs = RS_NONE;
    if (a->fast_res) {
        pool_rt *P = &R->pool[a->need[0].pool];
        P->idle += a->need[0].amount;
        if (P->qhead != NONE)
            serve(R, a->need[0].pool, gm_sim_now(R->sim));
        return;
    }
    double now = gm_sim_now(R->sim);
    const req *Q = &R->rq[x->req];
    size_t ui = 0;
    for (size_t k = 0; k < a->nneed; k++) {
        size_t pool = a->need[k].pool;
        if (!R->p->pool[pool].named) {
            R->pool[pool].idle += a->need[k].amount;
            continue;
        }
        for (uint32_t j = 0; j < a->need[k].amount; j++) {
            unit_rt *U = &R->unit[Q->units[ui++]];
            U->busy = false;
            U->idle_since = now;
        }
    }
    req_free(R, r);
    for (size_t k = 0; k < a->nneed && !R->error; k++)
        serve(R, a->need[k].pool, now);
}

/* The request extension of x, or NULL (no request, or one counted pool). */
static const req *req_of(const run *R, const rec *x)
{
    return x->req == NONE ? NULL : &R->rq[x->req];
}

/* ======================================================================== */
/* Activities                                                               */

static void on_service_done(gm_sim *sim, void *ctx, uint64_t data);
static void settle(run *R);

/* Utilization is measured over the window of measured arrivals in a
   steady-state run (a case count), and up to the last measured completion in
   a run with a horizon, which is usually short and terminating (Scylla's
   samples): there the work mostly happens after the last arrival. */
static bool in_util_window(const run *R)
{
    return R->util_on;
}

/* The window opened or closed: whether work counts now (in_util_window). */
static void util_update(run *R)
{
    R->util_on = R->window_open && (!R->window_closed || R->p->horizon < HUGE_VAL);
}

static double util_end(const run *R)
{
    return R->p->horizon < HUGE_VAL && R->b[0].t_last > R->t_w1 ? R->b[0].t_last : R->t_w1;
}
static double cal_integral(const gm_cal *c, double t0, double t1);
static void on_boundary(gm_sim *sim, void *ctx, uint64_t data);
static void exec_finished(run *R, size_t e);
static void kill_scope(run *R, size_t s);
static void raise_error(run *R, size_t s, size_t node);

static bool measured_scope(const run *R, size_t s)
{
    return R->cs[R->sc[s].cs].measured;
}

/*
 * The next duration of activity la: d's draw when the activity's durations
 * depend on the units (la->ahead NULL), else the next of DRAW_AHEAD drawn
 * at once. Drawing ahead looks at the distribution's kind once per batch
 * instead of once per task (activities of different kinds complete in
 * random order, so a jump on the kind per draw mispredicts), and a task's
 * duration does not wait for the sampler. The activity's stream serves its
 * durations only, so the values and their order are those of drawing each
 * when its task starts.
 */
static inline double draw_duration(lact *la, const ptime *d)
{
    if (!la->ahead)
        return gm_dist_sample(&d->d, la->rng) * d->scale;
    if (la->used == DRAW_AHEAD) {
        gm_dist_sample_n(la->dist, la->rng, la->ahead, DRAW_AHEAD);
        la->used = 0;
    }
    return la->ahead[la->used++] * la->scale;
}

/* The duration and the finish of a task holding request extension Q's
   units: a duration of the first unit held that has one, and work that
   pauses while any unit held is off shift (from the calendars). */
static double held_finish(run *R, rec *x, const req *Q, double now, double *dur)
{
    const gm_proc *p = R->p;
    const pact *a = &p->act[x->ai];
    const ptime *d = &a->dur;
    if (a->unit_dur)
        for (size_t i = 0; i < Q->nunits; i++)
            if (a->unit_dur[Q->units[i]].set) {
                d = &a->unit_dur[Q->units[i]];
                break;
            }
    *dur = draw_duration(&R->la[x->ai], d);
    double fin = now + *dur;
    if (!(*dur > 0))
        return fin;
    size_t ui = 0;
    for (size_t k = 0; k < a->nneed; k++) {
        size_t pool = a->need[k].pool;
        const ppooldef *pd = &p->pool[pool];
        if (!pd->named) {
            if (pd->cal != NONE) {
                double f = gm_cal_advance(p->cal[pd->cal], now, *dur);
                fin = f > fin ? f : fin;
            }
            continue;
        }
        for (uint32_t j = 0; j < a->need[k].amount; j++) {
            size_t cal = p->unit[Q->units[ui++]].cal;
            if (cal != NONE) {
                double f = gm_cal_advance(p->cal[cal], now, *dur);
                fin = f > fin ? f : fin;
            }
        }
    }
    return fin;
}

/* Record r's task starts now (its units are held): draw its duration and
   schedule its completion. */
static inline __attribute__((always_inline)) void start_service(run *R, size_t r)
{
    rec *x = &R->rc[r];
    double now = gm_sim_now(R->sim);
    x->state = X_SERVICE;
    x->t_start = now;
    const req *Q = req_of(R, x); /* NULL: no units or one counted pool */
    double dur, fin;
    if (__builtin_expect(Q != NULL, 0)) {
        fin = held_finish(R, x, Q, now, &dur);
    } else {
        dur = draw_duration(&R->la[x->ai], &R->p->act[x->ai].dur);
        fin = now + dur;
    }
    if (!(dur >= 0) || !isfinite(dur)) {
        fail_run(R, GM_EINVAL, "task '%s' drew the duration %g; expected a finite duration >= 0",
                 nd(R, x->node)->id, dur);
        return;
    }
    x->dur = dur;
    /* A direct event costs only its calendar entry; it cannot be
       cancelled, which a model without withdrawals never needs (a run
       holding 2^24 task records at once takes handled events beyond). */
    bool ok = R->direct && r < GM_SIM_MAX_DIRECT_DATA
                  ? gm_sim_schedule_direct(R->sim, fin, (uint32_t)r)
                  : (x->ev = gm_sim_schedule_at(R->sim, fin, on_service_done, R, r)) != 0;
    if (!ok)
        fail_run(R, gm_sim_error(R->sim), "cannot schedule a task completion");
}

/* Begin the sub-process of EXEC e: a new scope whose token starts at its
   none start event. */
static void begin_sub(run *R, size_t e)
{
    rec *x = &R->rc[e];
    const pact *a = &R->p->act[x->ai];
    size_t s = scope_new(R, x->cs, x->scope, e, a->node);
    if (s == NONE)
        return;
    x = &R->rc[e];
    x->child = s;
    x->state = X_SUB;
    R->sc[s].ntok = 1;
    push_work(R, s, a->sub_start, NONE);
}

/* Run one execution of activity ACT a (or the plain activity) as record e. */
static void begin_exec(run *R, size_t e)
{
    rec *x = &R->rc[e];
    const lact *la = &R->la[x->ai];
    x->t_req = gm_sim_now(R->sim);
    if (__builtin_expect(la->slow, 0)) {
        /* on a cycle, or a sub-process: rarer */
        if ((la->slow & LA_CYCLIC) && !step(R))
            return;
        if (la->slow & LA_SUB) {
            begin_sub(R, e);
            return;
        }
    }
    x->state = X_WAIT;
    if (la->fast) { /* the common case: one counted pool, no queue, a unit free */
        pool_rt *P = &R->pool[la->pool];
        if (P->qhead == NONE && P->idle >= la->amount) {
            P->idle -= la->amount;
            x->rs = RS_HOLD;
            start_service(R, e);
            return;
        }
    } else if (la->pool == NONE32) {
        start_service(R, e);
        return;
    }
    request(R, e, &R->p->act[x->ai]);
}

static size_t exec_new(run *R, size_t act_rec)
{
    rec *A = &R->rc[act_rec];
    size_t node = A->node, s = A->scope;
    size_t e = rec_new(R, R_EXEC, node, s);
    if (e == NONE)
        return NONE;
    R->rc[e].act = act_rec;
    link_rec(R, &R->rc[act_rec].exec_head, e);
    R->rc[act_rec].running++;
    return e;
}

static void act_complete(run *R, size_t ar);

/* Start the instances or the first iteration of ACT ar. */
static void act_start_body(run *R, size_t ar)
{
    const gm_proc *p = R->p;
    const pact *a = &p->act[p->node[R->rc[ar].node].idx];
    uint64_t n = 1;
    if (a->mi) {
        if (a->mi_fixed) {
            n = a->mi_n;
        } else {
            double v = gm_dist_sample(&a->mi_dist, &R->rng[a->stream + 1]);
            n = v > 0 ? (uint64_t)llround(v < 1e5 ? v : 1e5) : 0;
        }
    }
    if (n == 0) {
        act_complete(R, ar);
        return;
    }
    uint64_t now_start = a->mi == 1 ? n : 1;
    R->rc[ar].left = n - now_start;
    for (uint64_t i = 0; i < now_start && !R->error; i++) {
        size_t e = exec_new(R, ar);
        if (e == NONE)
            return;
        begin_exec(R, e);
    }
}

/* A token reaches activity node in scope s. */
static void activate(run *R, size_t s, size_t node)
{
    const gm_proc *p = R->p;
    const pact *a = &p->act[p->node[node].idx];
    if (a->plain) {
        size_t e = rec_new(R, R_EXEC, node, s);
        if (e == NONE)
            return;
        if (R->track)
            link_rec(R, &R->sc[s].head, e);
        begin_exec(R, e);
        return;
    }
    size_t ar = rec_new(R, R_ACT, node, s);
    if (ar == NONE)
        return;
    link_rec(R, &R->sc[s].head, ar);
    rec *A = &R->rc[ar];
    if (a->nbnd > A->bcap) {
        gm_sim_event *b = realloc(A->bev, a->nbnd * sizeof *b);
        if (!b) {
            fail_run(R, GM_ENOMEM, "out of memory");
            return;
        }
        A->bev = b;
        A->bcap = a->nbnd;
    }
    gm_rng *rng = &R->rng[a->stream + 1];
    for (size_t k = 0; k < a->nbnd; k++) {
        const pbnd *b = &p->bnd[a->bnd[k]];
        A->bev[k] = 0;
        if (!b->after.set)
            continue; /* raised at completion or by an error end event */
        if (b->prob < 1 && !(gm_rng_uniform(rng) < b->prob))
            continue;
        double t = gm_dist_sample(&b->after.d, rng) * b->after.scale;
        if (!(t >= 0) || !isfinite(t)) {
            fail_run(R, GM_EINVAL, "boundary event '%s' drew the time %g; expected >= 0",
                     nd(R, b->node)->id, t);
            return;
        }
        A->bev[k] = gm_sim_schedule(R->sim, t, on_boundary, R, (uint64_t)ar << 8 | k);
        if (!A->bev[k]) {
            fail_run(R, gm_sim_error(R->sim), "cannot schedule a boundary event");
            return;
        }
    }
    act_start_body(R, ar);
}

static void cancel_boundaries(run *R, size_t ar)
{
    rec *A = &R->rc[ar];
    const pact *a = &R->p->act[R->p->node[A->node].idx];
    for (size_t k = 0; k < a->nbnd; k++)
        if (A->bev[k]) {
            gm_sim_cancel(R->sim, A->bev[k]);
            A->bev[k] = 0;
        }
}

/* A task withdrawn in service: its units worked from its start until now
   (in working time under their calendars). */
static void account_partial(run *R, size_t r)
{
    const gm_proc *p = R->p;
    const rec *x = &R->rc[r];
    const pact *a = &p->act[p->node[x->node].idx];
    const req *Q = req_of(R, x);
    double now = gm_sim_now(R->sim);
    pcase *c = &R->cs[R->sc[x->scope].cs];
    bool in_window = in_util_window(R);
    if (!in_window && !c->measured)
        return;
    size_t ui = 0;
    for (size_t k = 0; k < a->nneed; k++) {
        size_t pool = a->need[k].pool;
        const ppooldef *pd = &p->pool[pool];
        for (uint32_t j = 0; j < a->need[k].amount; j++) {
            size_t u = pd->named ? Q->units[ui++] : 0;
            size_t cal = pd->named ? p->unit[u].cal : pd->cal;
            double w = cal == NONE ? now - x->t_start : cal_integral(p->cal[cal], x->t_start, now);
            w = w < x->dur ? w : x->dur;
            if (in_window)
                add_work(R, pool, w);
            if (c->measured) { /* the units were paid while they worked */
                add_pcost(R, c, pool, unit_cost(p, pool, u) * w);
                c->cost += unit_cost(p, pool, u) * w;
            }
        }
    }
}

/* Free a list of COMP records, and what each kept of its inside. */
static void comp_free(run *R, size_t head)
{
    while (head != NONE) {
        size_t next = R->rc[head].next;
        comp_free(R, R->rc[head].exec_head); /* as deep as sub-processes nest */
        rec_free(R, head);
        head = next;
    }
}

/* The list newer, then the list older. */
static size_t comp_concat(run *R, size_t newer, size_t older)
{
    if (newer == NONE)
        return older;
    size_t t = newer;
    while (R->rc[t].next != NONE)
        t = R->rc[t].next;
    R->rc[t].next = older;
    return newer;
}

/* Cancel record r and everything below it, unlink and free it. The token it
   held is not counted down: the caller decides. */
static void cancel_rec(run *R, size_t r)
{
    rec *x = &R->rc[r];
    if (x->ev) {
        gm_sim_cancel(R->sim, x->ev);
        x->ev = 0;
    }
    if (x->kind == R_ACT) {
        cancel_boundaries(R, r);
        while (R->rc[r].exec_head != NONE)
            cancel_rec(R, R->rc[r].exec_head);
        comp_free(R, R->rc[r].child);
        R->rc[r].child = NONE;
    } else if (x->kind == R_EXEC) {
        if (x->rs == RS_HOLD && x->state == X_SERVICE)
            account_partial(R, r);
        if (x->rs != RS_NONE)
            release_rec(R, r);
        x = &R->rc[r];
        if (x->child != NONE) {
            size_t c = x->child;
            x->child = NONE;
            kill_scope(R, c);
        }
    } else if ((x->kind == R_ESP || x->kind == R_CRUN) && x->child != NONE) {
        size_t c = x->child;
        x->child = NONE;
        kill_scope(R, c);
    }
    if (R->rc[r].kind == R_CRUN) {
        comp_free(R, R->rc[r].exec_head);
        R->rc[r].exec_head = NONE;
    }
    x = &R->rc[r];
    unlink_rec(R, list_of(R, r), r);
    if (x->act != NONE)
        R->rc[x->act].running--;
    rec_free(R, r);
}

/* Withdraw every token of scope s (records, parked tokens, work items). */
static void clear_scope(run *R, size_t s)
{
    while (R->sc[s].head != NONE)
        cancel_rec(R, R->sc[s].head);
    scope *S = &R->sc[s];
    if (R->p->njoin_slots)
        memset(S->joins, 0, R->p->njoin_slots * sizeof *S->joins);
    S->or_parked = 0;
    S->ntok = 0;
    S->esp_wait = S->esp_run = 0; /* their records went with the others */
    S->gen++; /* its work items go stale */
}

static void kill_scope(run *R, size_t s)
{
    clear_scope(R, s);
    comp_free(R, R->sc[s].comp);
    R->sc[s].comp = NONE;
    scope_free(R, s);
}

/* The activity ACT ar finished its body: leave along its outgoing flows. */
static void act_complete(run *R, size_t ar)
{
    cancel_boundaries(R, ar);
    rec *A = &R->rc[ar];
    size_t s = A->scope, node = A->node;
    const gm_proc *p = R->p;
    const pact *a = &p->act[p->node[node].idx];
    if (a->sub && measured_scope(R, s)) {
        pcase *c = &R->cs[R->sc[s].cs];
        add_task(R, c, p->node[node].idx, 0, gm_sim_now(R->sim) - A->t_req, a->cost);
        c->cost += a->cost;
    }
    if (a->comp) { /* its scope may compensate it later */
        size_t e = rec_new(R, R_COMP, node, s);
        if (e == NONE)
            return;
        R->rc[e].target = a->comp_handler;
        R->rc[e].exec_head = R->rc[ar].child;
        R->rc[ar].child = NONE;
        R->rc[e].next = R->sc[s].comp;
        R->sc[s].comp = e;
        R->sc[s].odd = true;
    }
    unlink_rec(R, &R->sc[s].head, ar);
    rec_free(R, ar);
    emit(R, s, nd(R, node)->out, nd(R, node)->nout);
    tok_del(R, s);
}

/* Interrupt ACT ar through boundary event b: cancel it, leave by b. */
static void interrupt(run *R, size_t ar, const pbnd *b)
{
    size_t s = R->rc[ar].scope;
    cancel_rec(R, ar);
    const gm_bpmn_node *n = nd(R, b->node);
    emit(R, s, n->out, n->nout);
    tok_del(R, s);
}

static void on_boundary(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    run *R = ctx;
    size_t ar = (size_t)(data >> 8), k = (size_t)(data & 0xff);
    rec *A = &R->rc[ar];
    const pact *a = &R->p->act[R->p->node[A->node].idx];
    const pbnd *b = &R->p->bnd[a->bnd[k]];
    A->bev[k] = 0;
    if (b->interrupting) {
        interrupt(R, ar, b);
    } else {
        const gm_bpmn_node *n = nd(R, b->node);
        emit(R, A->scope, n->out, n->nout);
    }
    settle(R);
}

/* The next step of ACT ar after one of its executions finished. */
static void act_step(run *R, size_t ar)
{
    rec *A = &R->rc[ar];
    const pact *a = &R->p->act[R->p->node[A->node].idx];
    if (A->left > 0 && a->mi == 2) {
        A->left--;
        size_t e = exec_new(R, ar);
        if (e != NONE)
            begin_exec(R, e);
        return;
    }
    if (A->running > 0)
        return;
    if (a->loop && A->iter + 1 < a->loop_max &&
        gm_rng_uniform(&R->rng[a->stream + 1]) < a->loop_p) {
        A->iter++;
        size_t e = exec_new(R, ar);
        if (e != NONE)
            begin_exec(R, e);
        return;
    }
    act_complete(R, ar);
}

static void exec_finished(run *R, size_t e)
{
    rec *x = &R->rc[e];
    size_t s = x->scope, node = x->node, ar = x->act;
    double t_req = x->t_req;
    if (ar == NONE) {
        if (R->track)
            unlink_rec(R, &R->sc[s].head, e);
        rec_free(R, e);
        const gm_proc *p = R->p;
        const pact *a = &p->act[p->node[node].idx];
        if (a->sub && measured_scope(R, s)) {
            pcase *c = &R->cs[R->sc[s].cs];
            add_task(R, c, p->node[node].idx, 0, gm_sim_now(R->sim) - t_req, a->cost);
            c->cost += a->cost;
        }
        emit(R, s, nd(R, node)->out, nd(R, node)->nout);
        tok_del(R, s);
        return;
    }
    unlink_rec(R, &R->rc[ar].exec_head, e);
    R->rc[ar].running--;
    rec_free(R, e);
    act_step(R, ar);
}

static void process_work(run *R);
static void visit(run *R, const witem *w);

/* The flow an exclusive gateway sends a token along. */
static size_t xor_pick(run *R, const pgw *g)
{
    double u = gm_rng_uniform(&R->rng[g->stream]);
    size_t k = 0;
    while (k + 1 < g->n && u >= g->p[k])
        k++;
    return g->flow[k];
}

/* A token leaving along *flow walks through pass-through nodes and exclusive
   gateways (drawing as visit would) for at most 64 hops. Returns the node it
   stops at, a plain task or one for the work list; *flow: the flow it came
   along. */
static inline size_t walk_on(run *R, size_t *flow)
{
    const gm_proc *p = R->p;
    size_t node = p->flow_tgt[*flow];
    for (int hops = 0; hops < 64 && !p->node[node].task; hops++) {
        const pnode *pn = &p->node[node];
        if (pn->kind == PK_PASS && pn->bn->nout == 1)
            *flow = pn->bn->out[0];
        else if (pn->kind == PK_XOR)
            *flow = xor_pick(R, &p->gw[pn->idx]);
        else
            break;
        node = p->flow_tgt[*flow];
    }
    return node;
}

/* The token of a plain task that completed moves on in its record (walk_on)
   to the next plain task, which reuses the record; elsewhere the record is
   freed and the token goes on as a work item. Same draws, in the same order,
   as the work list would make. False when the task has several outgoing
   flows (or none). */
static inline __attribute__((always_inline)) bool hand_on(run *R, size_t e)
{
    rec *x = &R->rc[e];
    const lact *la = &R->la[x->ai];
    if (la->next_ai != NONE32) { /* the flow leads straight to a plain task */
        x->node = la->next_node;
        x->ai = la->next_ai;
        touch(R, x->scope);
        begin_exec(R, e);
        return true;
    }
    uint32_t out = la->out;
    if (out == NONE32)
        return false;
    size_t flow = out, s = x->scope;
    size_t node = walk_on(R, &flow);
    if (R->p->node[node].task) {
        x->node = node;
        x->ai = R->p->node[node].idx;
        touch(R, s); /* the token left its node: inclusive joins may fire */
        begin_exec(R, e);
        return true;
    }
    if (R->track)
        unlink_rec(R, &R->sc[s].head, e);
    rec_free(R, e);
    /* The same token (the count stays) goes on from node; the work list is
       empty in a handler, so visiting now is what it would do next. */
    touch(R, s);
    witem w = {s, R->sc[s].gen, node, flow};
    visit(R, &w);
    return true;
}

static void on_service_done(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    const gm_proc *p = R->p;
    size_t e = (size_t)data;
    rec *x = &R->rc[e];
    x->ev = 0;
    size_t ai = x->ai;
    const pact *a = &p->act[ai];
    double now = gm_sim_now(sim);
    pcase *c = &R->cs[x->cs];
    double dur = x->dur;
    bool meas = c->measured, in_window = in_util_window(R);
    blk *cb = meas ? case_blk(R, c) : NULL; /* the case's batch */
    /* costs: the fixed cost plus every unit held for the working time */
    double rcost = 0;
    const req *Q = req_of(R, x);
    size_t ui = 0;
    bool fast = a->fast_res;
    if (fast) { /* one counted pool: the loop below, from the table */
        const lact *la = &R->la[ai];
        for (uint32_t j = 0; j < la->amount; j++)
            rcost += la->rate * dur;
        if (in_window)
            add_work(R, la->pool, dur * la->amount);
        if (meas) {
            R->b[0].pcost[la->pool] += rcost;
            if (cb)
                cb->pcost[la->pool] += rcost;
        }
    }
    for (size_t k = 0; !fast && k < a->nneed; k++) {
        size_t pool = a->need[k].pool;
        double pc = 0;
        for (uint32_t j = 0; j < a->need[k].amount; j++)
            pc += unit_cost(p, pool, p->pool[pool].named ? Q->units[ui++] : 0) * dur;
        if (in_window)
            add_work(R, pool, dur * a->need[k].amount);
        if (meas)
            add_pcost(R, c, pool, pc);
        rcost += pc;
    }
    if (meas) {
        double wait = x->t_start - x->t_req, cost = a->cost + rcost;
        tstat_add(&R->b[0].ts[ai], wait, dur, cost);
        if (cb)
            tstat_add(&cb->ts[ai], wait, dur, cost);
        c->proc += dur;
        c->wait += wait;
        c->cost += cost;
    }
    if (R->log) {
        const gm_bpmn_node *n = nd(R, x->node);
        const char *who = "";
        if (a->nneed) {
            const ppooldef *pd = &p->pool[a->need[0].pool];
            who = pd->named && Q && Q->nunits ? p->unit[Q->units[0]].name : pd->name;
        }
        gm_err le;
        gm_err_clear(&le);
        if (gm_evlog_activity(R->log, c->seq, n->name[0] ? n->name : n->id, who, x->t_start, now,
                              &le))
            fail_run(R, le.code, "event log: %s", le.what);
    }
    if (x->rs != RS_NONE) {
        release_rec(R, e);
        x = &R->rc[e];
    }
    /* a task can end in an error caught by its error boundary event */
    if (x->act != NONE && a->error_bnd != NONE && !p->bnd[a->error_bnd].after.set &&
        p->bnd[a->error_bnd].prob > 0 &&
        gm_rng_uniform(&R->rng[a->stream + 1]) < p->bnd[a->error_bnd].prob) {
        interrupt(R, x->act, &p->bnd[a->error_bnd]);
    } else if (x->act != NONE || !hand_on(R, e)) {
        exec_finished(R, e);
    }
    if (R->nwork || R->dirty != NONE)
        settle(R);
}

/* The table of activities (R->la; R->rng set), or false when out of
   memory. */
static bool act_table(run *R)
{
    const gm_proc *p = R->p;
    R->la = calloc(p->nact ? p->nact : 1, sizeof *R->la);
    R->ahead = calloc(p->nact ? p->nact * DRAW_AHEAD : 1, sizeof *R->ahead);
    if (!R->la || !R->ahead)
        return false;
    for (size_t i = 0; i < p->nact; i++) {
        const pact *a = &p->act[i];
        lact *la = &R->la[i];
        la->ahead = a->unit_dur ? NULL : R->ahead + i * DRAW_AHEAD;
        la->used = DRAW_AHEAD; /* none drawn yet */
        la->dist = &a->dur.d;
        la->scale = a->dur.scale;
        la->rng = &R->rng[a->stream];
        la->cost = a->cost;
        la->pool = NONE32;
        const gm_bpmn_node *n = nd(R, a->node);
        la->out = n->nout == 1 ? (uint32_t)n->out[0] : NONE32;
        la->next_node = la->next_ai = NONE32;
        if (la->out != NONE32 && p->node[p->flow_tgt[la->out]].task) {
            la->next_node = (uint32_t)p->flow_tgt[la->out];
            la->next_ai = (uint32_t)p->node[la->next_node].idx;
        }
        la->fast = a->fast_res;
        la->slow = (uint8_t)((a->sub ? LA_SUB : 0) | (a->cyclic ? LA_CYCLIC : 0));
        if (a->nneed) {
            la->pool = (uint32_t)a->need[0].pool;
            la->amount = a->need[0].amount;
            la->rate = p->pool[a->need[0].pool].cost;
        }
    }
    return true;
}

/* ======================================================================== */
/* Scopes end                                                               */

static void case_done(run *R, size_t ci);

static void scope_complete_odd(run *R, size_t s);

static void scope_complete(run *R, size_t s)
{
    scope *S = &R->sc[s];
    if (__builtin_expect(S->odd, 0)) {
        scope_complete_odd(R, s);
        return;
    }
    if (S->owner == NONE) {
        size_t ci = S->cs;
        scope_free(R, s);
        case_done(R, ci);
        return;
    }
    size_t e = S->owner;
    R->rc[e].child = NONE;
    scope_free(R, s);
    exec_finished(R, e);
}

static bool esp_hold(run *R, size_t s);
static void esp_done(run *R, size_t r, size_t s);
static void comp_step_done(run *R, size_t r, size_t c);

/* scope_complete of a scope with event sub-processes under way or
   completions recorded for compensation, or one run by something else than
   an activity (an event sub-process's body, a compensation handler). */
static __attribute__((noinline, cold)) void scope_complete_odd(run *R, size_t s)
{
    scope *S = &R->sc[s];
    if ((S->esp_wait | S->esp_run) != 0 && esp_hold(R, s))
        return; /* its event sub-processes still run: it waits for them */
    S->odd = false;
    size_t o = S->owner;
    if (S->comp != NONE) {
        /* what completed inside a compensable sub-process or call is kept
           by it, for its own compensation; elsewhere it is forgotten */
        const rec *x = o != NONE ? &R->rc[o] : NULL;
        if (x && x->kind == R_EXEC && x->act != NONE && R->p->act[x->ai].comp)
            R->rc[x->act].child = comp_concat(R, S->comp, R->rc[x->act].child);
        else
            comp_free(R, S->comp);
        S->comp = NONE;
    }
    if (o != NONE && R->rc[o].kind == R_ESP) {
        esp_done(R, o, s);
        return;
    }
    if (o != NONE && R->rc[o].kind == R_CRUN) {
        comp_step_done(R, o, s);
        return;
    }
    scope_complete(R, s);
}

/* Terminate end event reached in s: s ends now, normally. */
static void terminate_scope(run *R, size_t s)
{
    clear_scope(R, s);
    R->sc[s].ntok = 1;
    tok_del(R, s);
}

static size_t esp_catcher(const run *R, size_t s, size_t node);
static void esp_begin(run *R, size_t r);

/* Error end event node reached in s: s ends, and the error goes to an error
   event sub-process of s, or to the activity running s: its error boundary
   event, or further up. */
static void raise_error(run *R, size_t s, size_t node)
{
    bool skip_esp = false; /* the error comes from s's own error handler */
    for (;;) {
        clear_scope(R, s);
        size_t k = skip_esp ? NONE : esp_catcher(R, s, node);
        if (k != NONE) { /* caught: the handler runs in place of s's tokens */
            size_t r = rec_new(R, R_ESP, R->p->esp[k].node, s);
            if (r == NONE)
                return;
            link_rec(R, &R->sc[s].head, r);
            R->rc[r].ai = k;
            esp_begin(R, r);
            return;
        }
        scope *S = &R->sc[s];
        if (S->owner == NONE) { /* unhandled: the case ends */
            R->sc[s].ntok = 1;
            tok_del(R, s);
            return;
        }
        size_t e = S->owner;
        if (R->rc[e].kind == R_ESP || R->rc[e].kind == R_CRUN) {
            /* in an event sub-process or a compensation handler: the scope
               they work for fails (and its error handler, if the error comes
               from it, does not catch it again) */
            size_t up = R->rc[e].scope;
            skip_esp = R->rc[e].kind == R_ESP && R->p->esp[R->rc[e].ai].error;
            cancel_rec(R, e); /* frees s too */
            s = up;
            continue;
        }
        skip_esp = false;
        size_t ar = R->rc[e].act;
        const pact *a = &R->p->act[R->p->node[R->rc[e].node].idx];
        if (ar != NONE && a->error_bnd != NONE) {
            interrupt(R, ar, &R->p->bnd[a->error_bnd]);
            return;
        }
        size_t up = R->rc[e].scope;
        cancel_rec(R, ar != NONE ? ar : e); /* frees s too */
        s = up;
    }
}

/* ======================================================================== */
/* Event sub-processes                                                      */

/* The scope key of scope s (gm_proc.home). */
static size_t scope_key(const run *R, size_t s)
{
    size_t c = R->sc[s].container;
    return c == NONE ? NONE : R->p->inner[c];
}

static void on_esp(gm_sim *sim, void *ctx, uint64_t data);

/* Event sub-process k of scope s occurs (again: the iter-th time) after
   time d from now. */
static void esp_schedule(run *R, size_t s, size_t k, uint32_t iter, double d)
{
    if (!step(R))
        return;
    if (!(d >= 0) || !isfinite(d)) {
        fail_run(R, GM_EINVAL, "event '%s' drew the time %g; expected >= 0",
                 nd(R, R->p->esp[k].start)->id, d);
        return;
    }
    size_t r = rec_new(R, R_ESP, R->p->esp[k].node, s);
    if (r == NONE)
        return;
    link_rec(R, &R->sc[s].head, r);
    R->rc[r].ai = k;
    R->rc[r].iter = iter;
    R->rc[r].ev = gm_sim_schedule(R->sim, d, on_esp, R, r);
    if (!R->rc[r].ev) {
        fail_run(R, gm_sim_error(R->sim), "cannot schedule an event");
        return;
    }
    R->sc[s].esp_wait++;
    R->sc[s].odd = true;
}

static double esp_after(run *R, const pesp *e)
{
    return gm_dist_sample(&e->after.d, &R->rng[e->stream]) * e->after.scale;
}

/* Scope s begins: its event sub-processes with a delayed start may occur. */
static void esp_arm(run *R, size_t s)
{
    const gm_proc *p = R->p;
    size_t key = proc__key_index(p, scope_key(R, s));
    for (size_t k = p->esp_off[key]; k < p->esp_off[key + 1] && !R->error; k++) {
        const pesp *e = &p->esp[k];
        if (e->error || e->comp)
            continue;
        if (e->prob < 1 && !(gm_rng_uniform(&R->rng[e->stream]) < e->prob))
            continue;
        esp_schedule(R, s, k, 0, esp_after(R, e));
    }
}

/* Record r (of its scope) runs its event sub-process's body, in a new
   scope. */
static void esp_begin(run *R, size_t r)
{
    size_t s = R->rc[r].scope;
    const pesp *e = &R->p->esp[R->rc[r].ai];
    size_t c = scope_new(R, R->sc[s].cs, s, r, e->node);
    if (c == NONE)
        return;
    R->sc[s].esp_run++;
    R->sc[s].odd = R->sc[c].odd = true; /* c: its end is esp_done's */
    R->rc[r].child = c;
    R->rc[r].t_req = gm_sim_now(R->sim);
    R->sc[c].ntok = 1;
    push_work(R, c, e->start, NONE);
}

static void on_esp(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    run *R = ctx;
    size_t r = (size_t)data;
    R->rc[r].ev = 0;
    size_t s = R->rc[r].scope;
    const pesp *e = &R->p->esp[R->rc[r].ai];
    R->sc[s].esp_wait--;
    if (e->interrupting) {
        /* every other token of the scope goes, pending occurrences and
           running handlers with them; the scope ends with this body */
        unlink_rec(R, &R->sc[s].head, r);
        clear_scope(R, s);
        link_rec(R, &R->sc[s].head, r);
    } else if (R->rc[r].iter + 1 < e->repeat) {
        esp_schedule(R, s, R->rc[r].ai, R->rc[r].iter + 1, esp_after(R, e));
    }
    esp_begin(R, r);
    settle(R);
}

/* Scope s has no token left: its pending occurrences are dropped (a scope
   that completes starts no handler). True when handlers still run, which
   it waits for. */
static bool esp_hold(run *R, size_t s)
{
    scope *S = &R->sc[s];
    for (size_t r = S->head, next; r != NONE && S->esp_wait; r = next) {
        next = R->rc[r].next;
        if (R->rc[r].kind == R_ESP && R->rc[r].child == NONE) {
            cancel_rec(R, r);
            S->esp_wait--;
        }
    }
    return S->esp_run > 0;
}

/* The body of event sub-process r ended (its scope c). */
static void esp_done(run *R, size_t r, size_t c)
{
    const gm_proc *p = R->p;
    size_t s = R->rc[r].scope, k = R->rc[r].ai;
    R->rc[r].child = NONE;
    scope_free(R, c);
    size_t ai = p->node[p->esp[k].node].idx;
    if (measured_scope(R, s)) {
        pcase *cs = &R->cs[R->sc[s].cs];
        add_task(R, cs, ai, 0, gm_sim_now(R->sim) - R->rc[r].t_req, p->act[ai].cost);
        cs->cost += p->act[ai].cost;
    }
    unlink_rec(R, &R->sc[s].head, r);
    rec_free(R, r);
    if (--R->sc[s].esp_run == 0 && R->sc[s].ntok == 0)
        scope_complete(R, s); /* it was waiting for this one */
}

/* The error event sub-process of scope s that catches the error of end
   event node, or NONE: one for its errorRef, else one for any error. */
static size_t esp_catcher(const run *R, size_t s, size_t node)
{
    const gm_proc *p = R->p;
    size_t key = proc__key_index(p, scope_key(R, s)), any = NONE;
    const char *ref = nd(R, node)->event_ref;
    for (size_t k = p->esp_off[key]; k < p->esp_off[key + 1]; k++) {
        const pesp *e = &p->esp[k];
        if (!e->error)
            continue;
        if (e->ref && ref && strcmp(e->ref, ref) == 0)
            return k;
        if ((!e->ref || !ref) && any == NONE)
            any = k;
    }
    return any;
}

/* ======================================================================== */
/* Compensation                                                             */

static void comp_next(run *R, size_t r);

/* Compensation throw or end event node reached in scope s. */
static void comp_throw(run *R, size_t s, size_t node)
{
    const gm_bpmn_node *n = nd(R, node);
    /* whose completed activities: its scope's, or, in the body of an event
       sub-process (an error handler, say), the scope that one handles */
    size_t t = s, o = R->sc[s].owner;
    if (o != NONE && R->rc[o].kind == R_ESP)
        t = R->rc[o].scope;
    /* take every one, or those of the activity it names, latest first */
    size_t take = NONE, *tail = &take, *pp = &R->sc[t].comp;
    while (*pp != NONE) {
        size_t e = *pp;
        if (n->compensate == GM_BPMN_NONE || R->rc[e].node == n->compensate) {
            *pp = R->rc[e].next;
            R->rc[e].next = NONE;
            *tail = e;
            tail = &R->rc[e].next;
        } else {
            pp = &R->rc[e].next;
        }
    }
    if (take == NONE) { /* nothing to compensate */
        emit(R, s, n->out, n->nout);
        tok_del(R, s);
        return;
    }
    size_t r = rec_new(R, R_CRUN, node, s);
    if (r == NONE) {
        comp_free(R, take);
        return;
    }
    link_rec(R, &R->sc[s].head, r);
    R->rc[r].exec_head = take;
    R->rc[r].target = node;
    R->rc[r].state = n->wait_for_completion;
    if (!n->wait_for_completion) /* the token goes on; r keeps one for the handlers */
        emit(R, s, n->out, n->nout);
    comp_next(R, r);
}

/* Compensation r runs the handler of its next COMP record, one at a time,
   or ends. */
static void comp_next(run *R, size_t r)
{
    const gm_proc *p = R->p;
    for (;;) {
        size_t e = R->rc[r].exec_head;
        if (e == NONE)
            break;
        R->rc[r].exec_head = R->rc[e].next;
        size_t h = R->rc[e].target, inside = R->rc[e].exec_head;
        rec_free(R, e);
        if (h == NONE) { /* no handler of its own: what completed inside it */
            R->rc[r].exec_head = comp_concat(R, inside, R->rc[r].exec_head);
            continue;
        }
        size_t s = R->rc[r].scope;
        size_t c = scope_new(R, R->sc[s].cs, s, r, h);
        if (c == NONE) {
            comp_free(R, inside);
            return;
        }
        R->sc[c].odd = true; /* its end is comp_step_done's */
        R->sc[c].ntok = 1;
        R->rc[r].child = c;
        R->rc[r].t_req = gm_sim_now(R->sim);
        if (nd(R, h)->triggered_by_event) {
            /* a compensation event sub-process: it compensates, in its turn,
               what completed inside the activity */
            R->sc[c].comp = inside;
            R->rc[r].ai = p->node[h].idx;
            push_work(R, c, p->act[p->node[h].idx].sub_start, NONE);
        } else {
            comp_free(R, inside);
            R->rc[r].ai = NONE;
            activate(R, c, h);
        }
        return;
    }
    /* all compensated: the token waiting at the throw event goes on */
    size_t s = R->rc[r].scope, node = R->rc[r].target;
    bool wait = R->rc[r].state;
    unlink_rec(R, &R->sc[s].head, r);
    rec_free(R, r);
    if (wait)
        emit(R, s, nd(R, node)->out, nd(R, node)->nout);
    tok_del(R, s);
}

/* The handler compensation r ran (in scope c) ended. */
static void comp_step_done(run *R, size_t r, size_t c)
{
    const gm_proc *p = R->p;
    size_t s = R->rc[r].scope, ai = R->rc[r].ai;
    R->rc[r].child = NONE;
    scope_free(R, c);
    if (ai != NONE && measured_scope(R, s)) { /* an event sub-process ran */
        pcase *cs = &R->cs[R->sc[s].cs];
        add_task(R, cs, ai, 0, gm_sim_now(R->sim) - R->rc[r].t_req, p->act[ai].cost);
        cs->cost += p->act[ai].cost;
    }
    comp_next(R, r);
}

/* ======================================================================== */
/* Moving tokens                                                            */

static void on_catch(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    run *R = ctx;
    size_t r = (size_t)data;
    rec *x = &R->rc[r];
    x->ev = 0;
    size_t s = x->scope, node = x->kind == R_EVGW ? x->target : x->node;
    unlink_rec(R, &R->sc[s].head, r);
    rec_free(R, r);
    emit(R, s, nd(R, node)->out, nd(R, node)->nout);
    tok_del(R, s);
    settle(R);
}

static double catch_delay(run *R, size_t node)
{
    const pcatch *c = &R->p->catch_[R->p->node[node].idx];
    double d = gm_dist_sample(&c->delay.d, &R->rng[c->stream]) * c->delay.scale;
    if (!(d >= 0) || !isfinite(d)) {
        fail_run(R, GM_EINVAL, "event '%s' drew the delay %g; expected >= 0", nd(R, node)->id, d);
        return 0;
    }
    return d;
}

static void wait_at(run *R, int kind, size_t s, size_t node, size_t target, double d)
{
    if (!step(R))
        return;
    size_t r = rec_new(R, kind, node, s);
    if (r == NONE)
        return;
    link_rec(R, &R->sc[s].head, r);
    R->rc[r].target = target;
    R->rc[r].ev = gm_sim_schedule(R->sim, d, on_catch, R, r);
    if (!R->rc[r].ev)
        fail_run(R, gm_sim_error(R->sim), "cannot schedule an event");
}

/* Inclusive split: each flow with its probability; the default when none. */
static void or_split(run *R, size_t s, size_t node)
{
    const gm_proc *p = R->p;
    const gm_bpmn_node *n = nd(R, node);
    if (p->node[node].idx == NONE) {
        emit(R, s, n->out, n->nout);
        return;
    }
    const pgw *g = &p->gw[p->node[node].idx];
    gm_rng *rng = &R->rng[g->stream];
    size_t first = 0;
    if (g->dflt == NONE) {
        /* Without a default flow the draw is conditioned on taking at least
           one flow: the first flow taken, k, has probability proportional
           to p_k prod_{j<k} (1 - p_j); the flows after it are free. */
        double none = 1, u;
        for (size_t k = 0; k < g->n; k++)
            none *= 1 - g->p[k];
        u = gm_rng_uniform(rng) * (1 - none);
        double skip = 1;
        for (first = 0; first + 1 < g->n; first++) {
            double w = g->p[first] * skip;
            if (u < w)
                break;
            u -= w;
            skip *= 1 - g->p[first];
        }
        emit(R, s, &g->flow[first], 1);
        first++;
    }
    size_t taken = 0;
    for (size_t k = first; k < g->n; k++)
        if (gm_rng_uniform(rng) < g->p[k]) {
            emit(R, s, &g->flow[k], 1);
            taken++;
        }
    if (g->dflt != NONE && taken == 0)
        emit(R, s, &g->dflt, 1);
}

/*
 * A case arrives at an event-based gateway that instantiates the process:
 * its events draw their delays as an event-based gateway's, and the first
 * to occur is what started the case, now. Exclusive: its path alone goes
 * on. Parallel: every path does, each when its event occurs, as long after
 * the first as its delay exceeds the first's.
 */
static void instantiate(run *R, size_t s, size_t node)
{
    const gm_proc *p = R->p;
    const gm_bpmn_node *n = nd(R, node);
    size_t best = NONE;
    double bd = HUGE_VAL, d[PROC_MAX_BOUNDARY]; /* proc_load: parallel ones have at most */
    for (size_t k = 0; k < n->nout && !R->error; k++) {
        double dk = catch_delay(R, p->flow_tgt[n->out[k]]);
        if (k < PROC_MAX_BOUNDARY)
            d[k] = dk;
        if (dk < bd) {
            bd = dk;
            best = k;
        }
    }
    if (R->error)
        return;
    size_t first = p->flow_tgt[n->out[best]];
    if (n->parallel_events) {
        R->sc[s].ntok += n->nout - 1; /* one token a path; the gateway's is the first's */
        for (size_t k = 0; k < n->nout && !R->error; k++)
            if (k != best)
                wait_at(R, R_CATCH, s, p->flow_tgt[n->out[k]], NONE, d[k] - bd);
    }
    emit(R, s, nd(R, first)->out, nd(R, first)->nout);
    tok_del(R, s);
}

static void visit(run *R, const witem *w)
{
    const gm_proc *p = R->p;
    const gm_bpmn_node *n = nd(R, w->node);
    const pnode *pn = &p->node[w->node];
    size_t s = w->scope;
    switch (pn->kind) {
    case PK_START:
    case PK_PASS:
        emit_now(R, s, n->out, n->nout);
        tok_del(R, s);
        break;
    case PK_END:
        tok_del(R, s);
        break;
    case PK_TERMINATE:
        terminate_scope(R, s);
        break;
    case PK_ERROR_END:
        raise_error(R, s, w->node);
        break;
    case PK_ACTIVITY:
        activate(R, s, w->node);
        break;
    case PK_XOR: {
        size_t flow = xor_pick(R, &p->gw[pn->idx]);
        emit_now(R, s, &flow, 1);
        tok_del(R, s);
        break;
    }
    case PK_AND:
    case PK_OR:
        if (pn->join == NONE) {
            if (pn->kind == PK_AND)
                emit_now(R, s, n->out, n->nout);
            else
                or_split(R, s, w->node);
            tok_del(R, s);
        } else {
            const pjoin *j = &p->join[pn->join];
            uint32_t *cnt = R->sc[s].joins + j->slot;
            if (w->flow != NONE)
                cnt[p->flow_in[w->flow]]++;
            if (pn->kind == PK_OR) {
                R->sc[s].or_parked++;
                touch(R, s);
                break;
            }
            for (size_t k = 0; k < n->nin; k++)
                if (cnt[k] == 0)
                    return; /* the token stays parked */
            for (size_t k = 0; k < n->nin; k++)
                cnt[k]--;
            emit_now(R, s, n->out, n->nout);
            R->sc[s].ntok -= n->nin; /* nout >= 1 tokens were added first */
            touch(R, s);
        }
        break;
    case PK_EVENT_GW: {
        size_t best = NONE;
        double bd = HUGE_VAL;
        for (size_t k = 0; k < n->nout; k++) {
            size_t t = gm_bpmn_flow_at(p->m, n->out[k])->target;
            double d = catch_delay(R, t);
            if (d < bd) {
                bd = d;
                best = t;
            }
        }
        wait_at(R, R_EVGW, s, w->node, best, bd);
        break;
    }
    case PK_CATCH:
        wait_at(R, R_CATCH, s, w->node, NONE, catch_delay(R, w->node));
        break;
    case PK_BOUNDARY:
        fail_run(R, GM_EINTERNAL, "a token reached boundary event '%s' by a flow", n->id);
        break;
    case PK_LINK: /* the same token goes on at the link's catch event */
        push_work(R, s, pn->idx, NONE);
        break;
    case PK_START_ESP:
        esp_arm(R, s);
        emit_now(R, s, n->out, n->nout);
        tok_del(R, s);
        break;
    case PK_COMP:
        comp_throw(R, s, w->node);
        break;
    case PK_INSTANTIATE:
        instantiate(R, s, w->node);
        break;
    }
}

/* An inclusive join of scope s fires when every input without a token can
   no longer get one. */
static bool or_join_ready(run *R, size_t s, size_t jnode)
{
    const gm_proc *p = R->p;
    const pjoin *j = &p->join[p->node[jnode].join];
    const uint32_t *cnt = R->sc[s].joins + j->slot;
    bool any = false;
    for (size_t k = 0; k < j->nin; k++)
        any = any || cnt[k] > 0;
    if (!any)
        return false;
    for (size_t k = 0; k < j->nin; k++) {
        if (cnt[k] > 0)
            continue;
        const uint64_t *up = j->up[k];
        for (size_t r = R->sc[s].head; r != NONE; r = R->rc[r].next) {
            if (R->rc[r].kind == R_CRUN && !R->rc[r].state)
                continue; /* its token went on at once */
            size_t x = R->rc[r].node;
            if (up[x / 64] >> (x % 64) & 1)
                return false;
        }
        for (size_t o = 0; o < p->njoin; o++) {
            const pjoin *oj = &p->join[o];
            const uint32_t *oc = R->sc[s].joins + oj->slot;
            size_t on = NONE;
            for (size_t k2 = 0; k2 < oj->nin && on == NONE; k2++)
                if (oc[k2])
                    on = 1;
            if (on == NONE)
                continue;
            /* find the join's node: joins are few; scan */
            for (size_t x = 0; x < gm_bpmn_nnodes(p->m); x++)
                if (p->node[x].join == o && x != jnode && (up[x / 64] >> (x % 64) & 1))
                    return false;
        }
    }
    return true;
}

/* Fire the ready inclusive joins of dirty scopes until none is ready. */
static void settle_or(run *R)
{
    const gm_proc *p = R->p;
    while (R->dirty != NONE && !R->error) {
        size_t s = R->dirty;
        scope *S = &R->sc[s];
        R->dirty = S->next;
        S->dirty = false;
        if (!S->alive) {
            S->next = R->free_sc; /* deferred from scope_free */
            R->free_sc = s;
            continue;
        }
        if (!S->or_parked)
            continue;
        /* process_work below may grow R->sc and end this scope: keep what
           identifies it, not a pointer */
        size_t key = S->container == NONE ? NONE : p->inner[S->container];
        uint32_t gen = S->gen;
        for (size_t x = 0; x < gm_bpmn_nnodes(p->m) && !R->error; x++) {
            if (p->node[x].kind != PK_OR || p->node[x].join == NONE || p->home[x] != key ||
                !or_join_ready(R, s, x))
                continue;
            const pjoin *j = &p->join[p->node[x].join];
            uint32_t *cnt = R->sc[s].joins + j->slot;
            uint32_t used = 0;
            for (size_t k = 0; k < j->nin; k++)
                if (cnt[k] > 0) {
                    cnt[k]--;
                    used++;
                }
            R->sc[s].or_parked -= used;
            R->sc[s].ntok += 1; /* the firing token, consumed by or_split's caller */
            or_split(R, s, x);
            R->sc[s].ntok -= used;
            tok_del(R, s);
            process_work(R);
            if (!R->sc[s].alive || R->sc[s].gen != gen)
                break;
        }
    }
}

static void process_work(run *R)
{
    uint64_t steps = 0;
    while (R->nwork > 0 && !R->error) {
        witem w = R->work[--R->nwork];
        if (!R->sc[w.scope].alive || R->sc[w.scope].gen != w.gen)
            continue; /* its scope was ended */
        if (++steps > 10000000u) {
            fail_run(R, GM_ELIMIT, "tokens cycle through gateways without reaching a task");
            return;
        }
        visit(R, &w);
    }
    R->nwork = 0;
}

/* After an event: move every token to rest, then fire inclusive joins. */
static void settle(run *R)
{
    if (R->nwork)
        process_work(R);
    if (R->dirty != NONE)
        settle_or(R);
}

/* ======================================================================== */
/* Cases                                                                    */

/* Count the cases in the system up to now into the run's and the current
   batch's time average. */
static void wip_flush(run *R, double now)
{
    double a = (double)R->in_system * (now - R->wip_t);
    R->b[0].wip_area += a;
    if (R->cur != NONE)
        R->b[1 + R->cur].wip_area += a;
    R->wip_t = now;
}

static void wip_change(run *R, double now, int delta)
{
    if (R->window_open && !R->window_closed) {
        wip_flush(R, now);
        if (R->p->wip && grow(R, (void **)&R->trace, &R->captrace, R->ntrace + 1,
                              2 * sizeof *R->trace)) {
            R->trace[2 * R->ntrace] = now;
            R->trace[2 * R->ntrace + 1] = (double)(R->in_system + (uint64_t)(int64_t)delta);
            R->ntrace++;
        }
    }
    R->in_system = (uint64_t)((int64_t)R->in_system + delta);
}

static void close_window(run *R, double now);

/* A terminating run's window closes at its last measured completion, once
   no case will arrive; any other stops when the window has closed and its
   cases are done. */
static void maybe_stop(run *R)
{
    if (R->p->terminating && R->arrivals_done && !R->window_closed &&
        R->measured_done == R->measured_arrived)
        close_window(R, gm_sim_now(R->sim)); /* calls maybe_stop again */
    else if (R->window_closed && R->measured_done == R->measured_arrived)
        gm_sim_stop(R->sim);
}

static void case_done(run *R, size_t ci)
{
    pcase *c = &R->cs[ci];
    double now = gm_sim_now(R->sim);
    wip_change(R, now, -1);
    if (c->measured) {
        blk *bs[2] = {&R->b[0], case_blk(R, c)};
        for (int i = 0; i < 2 && bs[i]; i++) {
            blk *b = bs[i];
            if (b->n == 0)
                b->t_first = now;
            b->t_last = now;
            b->cycle += now - c->t_arrive;
            b->proc += c->proc;
            b->wait += c->wait;
            b->cost += c->cost;
            b->n++;
        }
        R->measured_done++;
    }
    R->cases_ended++;
    if (R->step_limit < UINT64_MAX - GM_PROC_MAX_CASE_STEPS)
        R->step_limit += GM_PROC_MAX_CASE_STEPS;
    if (R->log) {
        gm_err le;
        gm_err_clear(&le);
        if (gm_evlog_case_end(R->log, c->seq, &le))
            fail_run(R, le.code, "event log: %s", le.what);
    }
    c->next_free = R->free_cs;
    R->free_cs = ci;
    maybe_stop(R);
}

static void close_window(run *R, double now)
{
    if (R->window_closed || !R->window_open)
        return;
    wip_flush(R, now);
    R->window_closed = true;
    util_update(R);
    R->t_w1 = R->b[0].t1 = now;
    if (R->cur != NONE)
        R->b[1 + R->cur].t1 = now;
    maybe_stop(R);
}

static void on_horizon(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    if (!R->window_open) { /* nothing was measured: stop */
        R->window_open = true;
        util_update(R);
        R->t_w0 = R->b[0].t0 = gm_sim_now(sim);
        close_window(R, gm_sim_now(sim));
        return;
    }
    if (R->p->terminating) {
        R->arrivals_done = true;
        maybe_stop(R);
    } else {
        close_window(R, gm_sim_now(sim));
    }
}

static void open_window(run *R, double now)
{
    R->window_open = true;
    util_update(R);
    R->t_w0 = R->wip_t = R->b[0].t0 = now;
    R->trace0 = (double)R->in_system;
}

/* A measured case arrives: its batch, and the batches' time windows. */
static size_t enter_batch(run *R, double now)
{
    const gm_proc *p = R->p;
    if (!R->nb)
        return NONE;
    size_t bi;
    if (p->cases)
        bi = (size_t)((R->measured_arrived * R->nb) / (uint64_t)p->cases);
    else
        bi = (size_t)((now - p->warmup_time) / (p->horizon - p->warmup_time) * (double)R->nb);
    if (bi >= R->nb)
        bi = R->nb - 1;
    if (bi != R->cur) {
        wip_flush(R, now);
        if (R->cur != NONE)
            R->b[1 + R->cur].t1 = now;
        R->cur = bi;
        R->b[1 + bi].t0 = now;
    }
    return bi;
}

static void on_arrival(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    const gm_proc *p = R->p;
    const parr *a = &p->arr[data];
    double now = gm_sim_now(sim);
    if (R->arrivals_done) /* terminating: another start event's next case */
        return;
    uint64_t seq = R->arrived++;
    bool meas = !R->window_closed && seq >= (uint64_t)p->warmup_cases &&
                now >= p->warmup_time && now < p->horizon &&
                (p->cases == 0 || R->measured_arrived < (uint64_t)p->cases);
    size_t batch = NONE;
    if (meas) {
        if (!R->window_open)
            open_window(R, now);
        batch = enter_batch(R, now);
        R->measured_arrived++;
    } else if (R->window_open && !R->window_closed && p->cases &&
               R->measured_arrived >= (uint64_t)p->cases) {
        close_window(R, now);
    }
    if (R->window_closed)
        R->post_arrivals++;
    if (p->terminating && p->cases && R->measured_arrived >= (uint64_t)p->cases)
        R->arrivals_done = true; /* this was the last */
    /* Arrivals go on past the measured cases so that they finish under load,
       up to a cap that lets a run whose cases never finish end; not in a
       terminating run. */
    if (!R->arrivals_done &&
        (!R->window_closed || R->post_arrivals < 10 * R->measured_arrived + 1000)) {
        gm_rng *rng = &R->rng[a->stream];
        double t;
        if (a->rate) {
            t = gm_cal_advance(a->rate, now, -log1p(-gm_rng_uniform(rng)));
        } else {
            t = now + gm_dist_sample(&a->inter.d, rng) * a->inter.scale;
            if (!(t >= now)) {
                fail_run(R, GM_EINVAL, "an interarrival time was negative");
                return;
            }
        }
        if (t < HUGE_VAL && !gm_sim_schedule_at(sim, t, on_arrival, R, data)) {
            fail_run(R, gm_sim_error(sim), "cannot schedule an arrival");
            return;
        }
    }
    if (R->window_closed && !meas && R->measured_done == R->measured_arrived)
        return;
    size_t ci = R->free_cs;
    if (ci != NONE) {
        R->free_cs = R->cs[ci].next_free;
    } else {
        if (!grow(R, (void **)&R->cs, &R->capcs, R->ncs, sizeof *R->cs))
            return;
        ci = R->ncs++;
    }
    pcase *c = &R->cs[ci];
    c->seq = seq;
    c->t_arrive = now;
    c->measured = meas;
    c->batch = batch;
    c->proc = c->wait = c->cost = 0;
    wip_change(R, now, +1);
    size_t s = scope_new(R, ci, NONE, NONE, NONE);
    if (s == NONE)
        return;
    R->sc[s].ntok = 1;
    witem w = {s, R->sc[s].gen, a->node, NONE};
    visit(R, &w); /* the work list is empty: what it would do first */
    settle(R);
}

/* ======================================================================== */
/* One replication                                                          */

static void free_run(run *R)
{
    for (size_t i = 0; i < R->nsc; i++)
        free(R->sc[i].joins);
    for (size_t i = 0; i < R->nrc; i++)
        free(R->rc[i].bev);
    for (size_t i = 0; i < R->nrq; i++)
        free(R->rq[i].units);
    free(R->sc);
    free(R->rc);
    free(R->rq);
    free(R->cs);
    free(R->work);
    free(R->la);
    free(R->ahead);
    free(R->pool);
    free(R->unit);
    for (size_t i = 0; R->b && i <= R->nb; i++) {
        free(R->b[i].ts);
        free(R->b[i].work);
        free(R->b[i].pcost);
    }
    free(R->b);
    free(R->rng);
    free(R->trace);
    gm_sim_destroy(R->sim);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : (double)NAN;
}

/* Integral of an availability calendar over [t0, t1]: the amount a with
   advance(t0, a) == t1, by bisection (once per unit and replication). */
static double cal_integral(const gm_cal *c, double t0, double t1)
{
    double lo = 0, hi = t1 - t0;
    if (!(hi > 0))
        return 0;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * (t1 - t0); i++) {
        double mid = 0.5 * (lo + hi);
        if (gm_cal_advance(c, t0, mid) <= t1)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Unit-time pool could work in [t0, t1]. */
static double available_time(const run *R, size_t pool, double t0, double t1)
{
    const gm_proc *p = R->p;
    const ppooldef *pd = &p->pool[pool];
    double span = t1 - t0;
    if (!pd->named)
        return pd->nunits * (pd->cal == NONE ? span : cal_integral(p->cal[pd->cal], t0, t1));
    double sum = 0;
    for (size_t u = pd->first_unit; u < pd->first_unit + pd->nunits; u++)
        sum += p->unit[u].cal == NONE ? span : cal_integral(p->cal[p->unit[u].cal], t0, t1);
    return sum;
}

/* The KPI vector of block b; its utilization window ends at t_util. */
static void fill_kpi(const run *R, const blk *b, double t_util, double *kpi)
{
    const gm_proc *p = R->p;
    double n = b->n, span = b->t1 - b->t0;
    size_t k = 0;
    kpi[k++] = b->cycle / n;
    kpi[k++] = b->proc / n;
    kpi[k++] = b->wait / n;
    kpi[k++] = b->cost / n;
    kpi[k++] = ratio(n - 1, b->t_last - b->t_first);
    kpi[k++] = ratio(b->wip_area, span);
    kpi[k++] = n;
    for (size_t t = 0; t < p->nact; t++) {
        const tstat *ts = &b->ts[t];
        kpi[k++] = ts->count / n;
        kpi[k++] = ratio(ts->wait, ts->count);
        kpi[k++] = ratio(ts->dur, ts->count);
        kpi[k++] = ratio(ts->cost, ts->count);
    }
    for (size_t r = 0; r < p->npool; r++) {
        kpi[k++] = ratio(b->work[r], available_time(R, r, b->t0, t_util));
        /* The work the block's cases brought (they all completed), over the
           unit time available while they arrived: the demand, which the
           utilization cannot show past 1. */
        double demand = 0;
        for (size_t t = 0; t < p->nact; t++)
            for (size_t q = 0; q < p->act[t].nneed; q++)
                if (p->act[t].need[q].pool == r)
                    demand += b->ts[t].dur * p->act[t].need[q].amount;
        kpi[k++] = ratio(demand, available_time(R, r, b->t0, b->t1));
        kpi[k++] = b->pcost[r] / n;
    }
}

static void bin_trace(const run *R)
{
    const gm_proc *p = R->p;
    double *bins = p->wip;
    size_t nb = p->nwip;
    double t0 = R->t_w0, t1 = R->t_w1, w = (t1 - t0) / (double)nb;
    for (size_t b = 0; b < nb; b++)
        bins[b] = 0;
    if (!(w > 0))
        return;
    /* Spread each level over the slices its span [t, tn) overlaps. A slice's
       edges are computed the same way wherever they are used, so rounding
       can neither lose a span on an edge nor count one twice. */
    double level = R->trace0; /* before the first change in the window */
    double t = t0;
    for (size_t i = 0; i <= R->ntrace; i++) {
        double tn = i < R->ntrace ? R->trace[2 * i] : t1;
        if (tn > t1)
            tn = t1;
        if (tn > t) {
            size_t b0 = (size_t)((t - t0) / w), b1 = (size_t)((tn - t0) / w);
            b0 = b0 > 0 ? b0 - 1 : 0; /* a rounded index may be one off */
            b1++;
            if (b1 >= nb)
                b1 = nb - 1;
            for (size_t b = b0; b <= b1; b++) {
                double lo = b == 0 ? t0 : t0 + (double)b * w;
                double hi = b + 1 == nb ? t1 : t0 + (double)(b + 1) * w;
                lo = lo > t ? lo : t;
                hi = hi < tn ? hi : tn;
                if (hi > lo)
                    bins[b] += level * (hi - lo) / w;
            }
            t = tn;
        }
        if (i < R->ntrace)
            level = R->trace[2 * i + 1];
    }
}

int gm_proc_replicate(const void *ctx, uint64_t seed, uint64_t rep, double *kpi, double *batch,
                      uint64_t *events, gm_err *err)
{
    const gm_proc *p = ctx;
    if (!p || !kpi)
        return gm_err_set(err, GM_EINVAL, "simulation", "model or KPI vector NULL");
    run R;
    memset(&R, 0, sizeof R);
    R.p = p;
    R.free_sc = R.free_rc = R.free_rq = R.free_cs = R.dirty = NONE;
    /* 8-ary: a process has about as many pending events as busy resource
       units, which an 8-ary heap holds one level deep (bench_kernel) */
    R.sim = gm_sim_create(GM_SIM_HEAP8, 64);
    R.log = rep == 0 ? p->log : NULL;
    R.direct = !p->cancels;
    R.track = p->cancels || p->or_joins;
    if (R.sim && R.direct)
        gm_sim_set_direct(R.sim, on_service_done, &R);
    R.rng = calloc(p->nstreams, sizeof *R.rng);
    R.pool = calloc(p->npool ? p->npool : 1, sizeof *R.pool);
    R.unit = calloc(p->nunit ? p->nunit : 1, sizeof *R.unit);
    R.nb = batch ? GM_PROC_BATCHES : 0;
    R.cur = NONE;
    R.step_limit = GM_PROC_MAX_CASE_STEPS;
    R.b = calloc(1 + R.nb, sizeof *R.b);
    int rc;
    if (!R.sim || !R.rng || !R.pool || !R.unit || !R.b)
        goto nomem;
    if (!act_table(&R))
        goto nomem;
    for (size_t i = 0; i <= R.nb; i++) {
        R.b[i].ts = calloc(p->nact ? p->nact : 1, sizeof *R.b[i].ts);
        R.b[i].work = calloc(p->npool ? p->npool : 1, sizeof *R.b[i].work);
        R.b[i].pcost = calloc(p->npool ? p->npool : 1, sizeof *R.b[i].pcost);
        if (!R.b[i].ts || !R.b[i].work || !R.b[i].pcost)
            goto nomem;
    }
    for (size_t r = 0; r < p->npool; r++) {
        R.pool[r].idle = p->pool[r].nunits;
        R.pool[r].plain = !p->pool[r].named && p->pool[r].cal == NONE;
        R.pool[r].qhead = R.pool[r].qtail = NONE;
    }
    uint64_t base = rep * p->nstreams;
    for (uint64_t k = 0; k < p->nstreams; k++)
        gm_rng_seed(&R.rng[k], seed, base + k);
    for (size_t i = 0; i < p->narr; i++) {
        const parr *a = &p->arr[i];
        double t = a->rate ? gm_cal_advance(a->rate, 0, -log1p(-gm_rng_uniform(&R.rng[a->stream])))
                           : gm_dist_sample(&a->inter.d, &R.rng[a->stream]) * a->inter.scale;
        if (!(t >= 0)) {
            rc = gm_err_set(err, GM_EINVAL, "simulation", "an interarrival time was negative");
            goto done;
        }
        if (t < HUGE_VAL && !gm_sim_schedule_at(R.sim, t, on_arrival, &R, i))
            goto nomem;
    }
    if (p->horizon < HUGE_VAL && !gm_sim_schedule_at(R.sim, p->horizon, on_horizon, &R, 0))
        goto nomem;
    gm_sim_run(R.sim, HUGE_VAL, 0);
    if (!R.error && R.measured_arrived == 0)
        fail_run(&R, GM_EINVAL, "no case arrived in the measured window (check \"horizon\", "
                                "the warm-up and the arrival calendars)");
    if (!R.error && (!R.window_closed || R.measured_done < R.measured_arrived))
        fail_run(&R, GM_EINVAL,
                 "%llu of %llu measured cases never completed (a parallel join waiting for a "
                 "token that never comes?)",
                 (unsigned long long)(R.measured_arrived - R.measured_done),
                 (unsigned long long)R.measured_arrived);
    if (R.error) {
        rc = gm_err_set(err, R.error, "simulation", "replication %llu: %s",
                        (unsigned long long)rep, R.msg);
        goto done;
    }
    fill_kpi(&R, &R.b[0], util_end(&R), kpi);
    for (size_t i = 0; i < R.nb; i++)
        fill_kpi(&R, &R.b[1 + i], R.b[1 + i].t1, batch + i * p->nkpi);
    if (rep == 0 && p->wip)
        bin_trace(&R);
    if (events)
        *events += gm_sim_events(R.sim);
    rc = GM_OK;
    goto done;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "simulation", "out of memory");
done:
    free_run(&R);
    return rc;
}
