/*
 * resource.c: a counted resource with a priority queue, strict-order
 * granting, preemption and a variable capacity. See resource.h.
 */
#include "sim/resource.h"

#include <stdlib.h>

#include "base/checked.h"

#define NIL UINT32_MAX

enum { ST_FREE = 0, ST_WAITING, ST_HELD };

/*
 * One request. A slot is in exactly one list: the free list (next only),
 * the wait queue, or the holder list. Links are indices so that growing the
 * slot array never invalidates them.
 */
typedef struct req {
    gm_sim_handler on_grant, on_preempt;
    void *ctx;
    uint64_t data;
    double t_request;
    uint64_t seq;       /* arrival order: FIFO key within a priority */
    uint64_t grant_seq; /* grant order: preemption takes the latest first */
    gm_sim_event ev;    /* pending grant notification; 0 once delivered */
    int32_t prio;
    uint32_t units;
    uint32_t gen; /* never 0; bumped when the slot is freed */
    uint32_t prev, next;
    uint8_t state;
    bool preempt;
} req;

typedef struct list {
    uint32_t head, tail, len;
} list;

struct gm_res {
    gm_sim *sim;
    req *r;
    uint32_t len, cap; /* slots in use at some time, slots allocated */
    uint32_t free_head;
    uint32_t live;
    list wait;    /* priority desc, then seq asc */
    list holders; /* priority asc, then grant_seq desc: preemption order */
    uint32_t capacity, peak, busy;
    uint64_t seq, grant_seq;
    gm_timeavg busy_avg, cap_avg, queue_avg;
    gm_tally wait_tally;
    uint64_t requested, granted, released, preempted, cancelled;
};

/* ---- handles ------------------------------------------------------------ */

static inline gm_res_req make_handle(const gm_res *res, uint32_t i)
{
    return ((uint64_t)res->r[i].gen << 32) | i;
}

/* Slot of a live handle, or NIL. */
static uint32_t lookup(const gm_res *res, gm_res_req h)
{
    if (!res || h == 0)
        return NIL;
    uint32_t i = (uint32_t)h;
    uint32_t gen = (uint32_t)(h >> 32);
    if (i >= res->len || res->r[i].state == ST_FREE || res->r[i].gen != gen)
        return NIL;
    return i;
}

static int alloc_slot(gm_res *res, uint32_t *out)
{
    if (res->free_head != NIL) {
        *out = res->free_head;
        res->free_head = res->r[*out].next;
        return GM_OK;
    }
    if (res->len >= GM_RES_MAX_REQUESTS)
        return GM_ELIMIT;
    if (res->len == res->cap) {
        uint32_t ncap = res->cap ? res->cap * 2 : 16;
        size_t bytes;
        if (gm_size_mul(ncap, sizeof *res->r, &bytes))
            return GM_ENOMEM;
        req *nr = realloc(res->r, bytes);
        if (!nr)
            return GM_ENOMEM;
        res->r = nr;
        res->cap = ncap;
    }
    *out = res->len++;
    res->r[*out].gen = 1;
    return GM_OK;
}

static void free_slot(gm_res *res, uint32_t i)
{
    req *q = &res->r[i];
    q->state = ST_FREE;
    q->gen = q->gen + 1 ? q->gen + 1 : 1; /* 0 would let a forged handle match */
    q->ev = 0;
    q->next = res->free_head;
    res->free_head = i;
    res->live--;
}

/* ---- lists -------------------------------------------------------------- */

static void list_unlink(gm_res *res, list *l, uint32_t i)
{
    req *q = &res->r[i];
    if (q->prev != NIL)
        res->r[q->prev].next = q->next;
    else
        l->head = q->next;
    if (q->next != NIL)
        res->r[q->next].prev = q->prev;
    else
        l->tail = q->prev;
    l->len--;
}

/* Insert i after node at (NIL: at the front). */
static void list_insert_after(gm_res *res, list *l, uint32_t at, uint32_t i)
{
    req *q = &res->r[i];
    q->prev = at;
    q->next = at == NIL ? l->head : res->r[at].next;
    if (q->next != NIL)
        res->r[q->next].prev = i;
    else
        l->tail = i;
    if (at != NIL)
        res->r[at].next = i;
    else
        l->head = i;
    l->len++;
}

static void set_queue_stat(gm_res *res)
{
    gm_timeavg_set(&res->queue_avg, gm_sim_now(res->sim), (double)res->wait.len);
}

static void set_busy(gm_res *res, uint32_t busy)
{
    res->busy = busy;
    gm_timeavg_set(&res->busy_avg, gm_sim_now(res->sim), (double)busy);
}

/* Most requests arrive at the lowest waiting priority, so scan from the
   tail: the common case stops at once. */
static void wait_insert(gm_res *res, uint32_t i)
{
    const req *q = &res->r[i];
    uint32_t at = res->wait.tail;
    while (at != NIL) {
        const req *o = &res->r[at];
        if (o->prio > q->prio || (o->prio == q->prio && o->seq < q->seq))
            break;
        at = o->prev;
    }
    list_insert_after(res, &res->wait, at, i);
    res->r[i].state = ST_WAITING;
    set_queue_stat(res);
}

static void wait_remove(gm_res *res, uint32_t i)
{
    list_unlink(res, &res->wait, i);
    set_queue_stat(res);
}

/* The newest grant goes before older holders of its priority. */
static void holders_insert(gm_res *res, uint32_t i)
{
    const req *q = &res->r[i];
    uint32_t at = NIL, cur = res->holders.head;
    while (cur != NIL && res->r[cur].prio < q->prio) {
        at = cur;
        cur = res->r[cur].next;
    }
    list_insert_after(res, &res->holders, at, i);
}

/* ---- granting ----------------------------------------------------------- */

static void grant_fire(gm_sim *sim, void *ctx, uint64_t data)
{
    gm_res *res = ctx;
    uint32_t i = lookup(res, data);
    if (i == NIL || res->r[i].state != ST_HELD || res->r[i].ev == 0)
        return; /* cannot happen: release and cancel withdraw this event */
    req *q = &res->r[i];
    q->ev = 0;
    gm_tally_add(&res->wait_tally, gm_sim_now(sim) - q->t_request);
    res->granted++;
    /* The callback may release, re-request and grow the slot array. */
    gm_sim_handler fn = q->on_grant;
    void *uctx = q->ctx;
    uint64_t udata = q->data;
    fn(sim, uctx, udata);
}

static bool fits(const gm_res *res, uint32_t units)
{
    return (uint64_t)res->busy + units <= res->capacity;
}

static int grant(gm_res *res, uint32_t i)
{
    gm_sim_event ev = gm_sim_schedule(res->sim, 0.0, grant_fire, res, make_handle(res, i));
    if (!ev)
        return gm_sim_error(res->sim);
    req *q = &res->r[i];
    wait_remove(res, i);
    q->state = ST_HELD;
    q->ev = ev;
    q->grant_seq = ++res->grant_seq;
    holders_insert(res, i);
    set_busy(res, res->busy + q->units);
    return GM_OK;
}

/* Remove a holder and give its units back. */
static void unhold(gm_res *res, uint32_t i)
{
    list_unlink(res, &res->holders, i);
    set_busy(res, res->busy - res->r[i].units);
}

/*
 * Make room for the queue head i by preempting lower-priority holders.
 * Returns 1 when i now fits, 0 when preemption cannot free enough (nothing
 * changed), or a negative kernel error (holders already preempted stay so).
 */
static int preempt_for(gm_res *res, uint32_t i)
{
    int32_t prio = res->r[i].prio;
    uint64_t need = (uint64_t)res->busy + res->r[i].units - res->capacity;
    uint64_t avail = 0;
    for (uint32_t c = res->holders.head; c != NIL && res->r[c].prio < prio; c = res->r[c].next)
        if (res->r[c].on_preempt)
            avail += res->r[c].units;
    if (avail < need)
        return 0;
    uint32_t c = res->holders.head;
    while (!fits(res, res->r[i].units)) {
        req *h = &res->r[c];
        uint32_t next = h->next;
        if (!h->on_preempt) {
            c = next;
            continue;
        }
        if (h->ev) {
            /* Granted at this instant but not told yet: as if it had never
               been granted, it waits again at its old place. */
            gm_sim_cancel(res->sim, h->ev);
            h->ev = 0;
            unhold(res, c);
            wait_insert(res, c);
        } else {
            if (!gm_sim_schedule(res->sim, 0.0, h->on_preempt, h->ctx, h->data))
                return gm_sim_error(res->sim);
            unhold(res, c);
            res->preempted++;
            free_slot(res, c);
        }
        c = next;
    }
    return 1;
}

/*
 * Grant from the head of the queue while the head fits (or can preempt its
 * way in). Afterwards the queue is empty or its head is blocked: the
 * invariant that makes "grant at once when free and nobody of equal or
 * higher priority waits" a consequence of insert-then-dispatch.
 */
static int dispatch(gm_res *res)
{
    while (res->wait.head != NIL) {
        uint32_t i = res->wait.head;
        if (!fits(res, res->r[i].units)) {
            if (!res->r[i].preempt)
                return GM_OK;
            int rc = preempt_for(res, i);
            if (rc <= 0)
                return rc;
        }
        int rc = grant(res, i);
        if (rc < 0)
            return rc;
    }
    return GM_OK;
}

/* ---- public ------------------------------------------------------------- */

gm_res *gm_res_create(gm_sim *sim, uint32_t capacity, gm_err *err)
{
    if (!sim) {
        gm_err_set(err, GM_EINVAL, "gm_res_create", "expected a simulation, got NULL");
        return NULL;
    }
    if (capacity == 0) {
        gm_err_set(err, GM_EINVAL, "capacity", "expected integer >= 1, got 0");
        return NULL;
    }
    gm_res *res = calloc(1, sizeof *res);
    if (!res) {
        gm_err_set(err, GM_ENOMEM, "gm_res_create", "out of memory");
        return NULL;
    }
    res->sim = sim;
    res->free_head = NIL;
    res->wait = (list){NIL, NIL, 0};
    res->holders = (list){NIL, NIL, 0};
    res->capacity = res->peak = capacity;
    double now = gm_sim_now(sim);
    gm_timeavg_init(&res->busy_avg, now, 0.0);
    gm_timeavg_init(&res->cap_avg, now, (double)capacity);
    gm_timeavg_init(&res->queue_avg, now, 0.0);
    gm_tally_init(&res->wait_tally);
    return res;
}

void gm_res_destroy(gm_res *res)
{
    if (!res)
        return;
    for (uint32_t i = 0; i < res->len; i++)
        if (res->r[i].state == ST_HELD && res->r[i].ev)
            gm_sim_cancel(res->sim, res->r[i].ev);
    free(res->r);
    free(res);
}

gm_res_req gm_res_request(gm_res *res, uint32_t units, int32_t priority, bool preempt,
                          gm_sim_handler on_grant, gm_sim_handler on_preempt, void *ctx,
                          uint64_t data, gm_err *err)
{
    if (!res || !on_grant) {
        gm_err_set(err, GM_EINVAL, "gm_res_request", "expected a resource and an on_grant "
                   "callback, got NULL");
        return 0;
    }
    if (units == 0 || units > res->peak) {
        gm_err_set(err, GM_EINVAL, "units", "expected 1..%u (the largest capacity), got %u",
                   res->peak, units);
        return 0;
    }
    uint32_t i;
    int rc = alloc_slot(res, &i);
    if (rc < 0) {
        gm_err_set(err, rc, "gm_res_request",
                   rc == GM_ELIMIT ? "more than %u live requests" : "out of memory (%u requests)",
                   GM_RES_MAX_REQUESTS);
        return 0;
    }
    req *q = &res->r[i];
    q->on_grant = on_grant;
    q->on_preempt = on_preempt;
    q->ctx = ctx;
    q->data = data;
    q->t_request = gm_sim_now(res->sim);
    q->seq = ++res->seq;
    q->grant_seq = 0;
    q->ev = 0;
    q->prio = priority;
    q->units = units;
    q->preempt = preempt;
    res->live++;
    wait_insert(res, i);
    gm_res_req h = make_handle(res, i);
    rc = dispatch(res);
    if (rc < 0) {
        /* The kernel refused an event. If it was this request's grant,
           withdraw the request so that the caller sees nothing changed. */
        if (res->wait.head == i) {
            wait_remove(res, i);
            free_slot(res, i);
            gm_err_set(err, rc, "gm_res_request", "could not schedule the grant event");
            return 0;
        }
    }
    res->requested++;
    return h;
}

int gm_res_release(gm_res *res, gm_res_req h)
{
    uint32_t i = lookup(res, h);
    if (i == NIL)
        return GM_EINVAL;
    req *q = &res->r[i];
    if (q->state != ST_HELD)
        return GM_ECONFLICT;
    if (q->ev)
        gm_sim_cancel(res->sim, q->ev);
    unhold(res, i);
    res->released++;
    free_slot(res, i);
    return dispatch(res);
}

int gm_res_cancel(gm_res *res, gm_res_req h)
{
    uint32_t i = lookup(res, h);
    if (i == NIL)
        return GM_EINVAL;
    req *q = &res->r[i];
    if (q->state == ST_WAITING) {
        wait_remove(res, i);
    } else if (q->ev) {
        gm_sim_cancel(res->sim, q->ev);
        unhold(res, i);
    } else {
        return GM_ECONFLICT;
    }
    res->cancelled++;
    free_slot(res, i);
    /* Strict order: the withdrawn request may have blocked those behind. */
    return dispatch(res);
}

int gm_res_set_capacity(gm_res *res, uint32_t capacity)
{
    if (!res)
        return GM_EINVAL;
    res->capacity = capacity;
    if (capacity > res->peak)
        res->peak = capacity;
    gm_timeavg_set(&res->cap_avg, gm_sim_now(res->sim), (double)capacity);
    return dispatch(res);
}

gm_res_state gm_res_query(const gm_res *res, gm_res_req h)
{
    uint32_t i = lookup(res, h);
    if (i == NIL)
        return GM_RES_STALE;
    return res->r[i].state == ST_WAITING ? GM_RES_WAITING : GM_RES_GRANTED;
}

uint32_t gm_res_capacity(const gm_res *res)
{
    return res ? res->capacity : 0;
}

uint32_t gm_res_busy(const gm_res *res)
{
    return res ? res->busy : 0;
}

uint32_t gm_res_waiting(const gm_res *res)
{
    return res ? res->wait.len : 0;
}

void gm_res_stats_get(const gm_res *res, gm_res_stats *out)
{
    if (!res || !out)
        return;
    double now = gm_sim_now(res->sim);
    out->busy_mean = gm_timeavg_mean(&res->busy_avg, now);
    out->capacity_mean = gm_timeavg_mean(&res->cap_avg, now);
    out->utilization = out->capacity_mean > 0 ? out->busy_mean / out->capacity_mean : 0.0;
    out->queue_mean = gm_timeavg_mean(&res->queue_avg, now);
    out->queue_max = res->queue_avg.max;
    out->wait = res->wait_tally;
    out->requested = res->requested;
    out->granted = res->granted;
    out->released = res->released;
    out->preempted = res->preempted;
    out->cancelled = res->cancelled;
    out->capacity = res->capacity;
    out->busy = res->busy;
    out->waiting = res->wait.len;
}

void gm_res_stats_reset(gm_res *res)
{
    if (!res)
        return;
    double now = gm_sim_now(res->sim);
    gm_timeavg_reset(&res->busy_avg, now);
    gm_timeavg_reset(&res->cap_avg, now);
    gm_timeavg_reset(&res->queue_avg, now);
    gm_tally_init(&res->wait_tally);
    res->requested = res->granted = res->released = res->preempted = res->cancelled = 0;
}
