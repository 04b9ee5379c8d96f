/*
 * store.c: a FIFO buffer with blocking puts and waiting gets. See store.h.
 */
#include "sim/store.h"

#include <stdbool.h>
#include <stdlib.h>

#include "base/checked.h"

#define NIL UINT32_MAX

enum { OP_FREE = 0, OP_PUT_WAIT, OP_GET_WAIT, OP_PUT_DONE, OP_GET_DONE };

/* A put or get, blocked or with its completion on the calendar. */
typedef struct op {
    gm_sim_handler on_done;  /* puts */
    gm_simstore_get_fn on_item; /* gets */
    void *ctx;
    uint64_t data;
    gm_simstore_item item;
    double t; /* when the put or get was made */
    gm_sim_event ev;
    uint32_t gen; /* never 0; bumped when the slot is freed */
    uint32_t prev, next;
    uint8_t state;
} op;

typedef struct list {
    uint32_t head, tail, len;
} list;

struct gm_simstore {
    gm_sim *sim;
    uint64_t capacity;
    /* Ring buffer of stored items. */
    gm_simstore_item *buf;
    size_t buf_cap, buf_head;
    uint64_t level;
    /* Operations. */
    op *ops;
    uint32_t len, cap, free_head;
    list putters, getters;
    gm_timeavg level_avg;
    gm_tally put_wait, get_wait;
    uint64_t puts, gets, puts_cancelled, gets_cancelled;
};

/* ---- slots and handles -------------------------------------------------- */

static inline gm_simstore_op make_handle(const gm_simstore *st, uint32_t i)
{
    return ((uint64_t)st->ops[i].gen << 32) | i;
}

static uint32_t lookup(const gm_simstore *st, gm_simstore_op h)
{
    if (!st || h == 0)
        return NIL;
    uint32_t i = (uint32_t)h;
    if (i >= st->len || st->ops[i].state == OP_FREE || st->ops[i].gen != (uint32_t)(h >> 32))
        return NIL;
    return i;
}

static int alloc_op(gm_simstore *st, uint32_t *out)
{
    if (st->free_head != NIL) {
        *out = st->free_head;
        st->free_head = st->ops[*out].next;
        return GM_OK;
    }
    if (st->len >= GM_STORE_MAX_OPS)
        return GM_ELIMIT;
    if (st->len == st->cap) {
        uint32_t ncap = st->cap ? st->cap * 2 : 16;
        size_t bytes;
        if (gm_size_mul(ncap, sizeof *st->ops, &bytes))
            return GM_ENOMEM;
        op *n = realloc(st->ops, bytes);
        if (!n)
            return GM_ENOMEM;
        st->ops = n;
        st->cap = ncap;
    }
    *out = st->len++;
    st->ops[*out].gen = 1;
    return GM_OK;
}

static void free_op(gm_simstore *st, uint32_t i)
{
    op *o = &st->ops[i];
    o->state = OP_FREE;
    o->gen = o->gen + 1 ? o->gen + 1 : 1;
    o->ev = 0;
    o->next = st->free_head;
    st->free_head = i;
}

static void list_push(gm_simstore *st, list *l, uint32_t i)
{
    op *o = &st->ops[i];
    o->prev = l->tail;
    o->next = NIL;
    if (l->tail != NIL)
        st->ops[l->tail].next = i;
    else
        l->head = i;
    l->tail = i;
    l->len++;
}

static void list_unlink(gm_simstore *st, list *l, uint32_t i)
{
    op *o = &st->ops[i];
    if (o->prev != NIL)
        st->ops[o->prev].next = o->next;
    else
        l->head = o->next;
    if (o->next != NIL)
        st->ops[o->next].prev = o->prev;
    else
        l->tail = o->prev;
    l->len--;
}

/* ---- the buffer --------------------------------------------------------- */

static bool has_room(const gm_simstore *st)
{
    return st->capacity == 0 || st->level < st->capacity;
}

/* Make room for one more item in the ring (the level limit is checked by
   the caller). */
static int buf_reserve(gm_simstore *st)
{
    if (st->level < st->buf_cap)
        return GM_OK;
    size_t ncap = st->buf_cap ? st->buf_cap * 2 : 16;
    if (st->capacity && ncap > st->capacity)
        ncap = (size_t)st->capacity;
    size_t bytes;
    if (ncap <= st->buf_cap || gm_size_mul(ncap, sizeof *st->buf, &bytes))
        return GM_ENOMEM;
    gm_simstore_item *n = malloc(bytes);
    if (!n)
        return GM_ENOMEM;
    /* Unwrap the ring into the new array, oldest first. */
    for (size_t k = 0; k < st->level; k++)
        n[k] = st->buf[(st->buf_head + k) % st->buf_cap];
    free(st->buf);
    st->buf = n;
    st->buf_cap = ncap;
    st->buf_head = 0;
    return GM_OK;
}

static void set_level(gm_simstore *st, uint64_t level)
{
    st->level = level;
    gm_timeavg_set(&st->level_avg, gm_sim_now(st->sim), (double)level);
}

static void buf_push(gm_simstore *st, gm_simstore_item it)
{
    st->buf[(st->buf_head + st->level) % st->buf_cap] = it;
    set_level(st, st->level + 1);
}

static gm_simstore_item buf_pop(gm_simstore *st)
{
    gm_simstore_item it = st->buf[st->buf_head];
    st->buf_head = (st->buf_head + 1) % st->buf_cap;
    set_level(st, st->level - 1);
    return it;
}

/* ---- completions -------------------------------------------------------- */

static void put_fire(gm_sim *sim, void *ctx, uint64_t data)
{
    gm_simstore *st = ctx;
    uint32_t i = lookup(st, data);
    if (i == NIL || st->ops[i].state != OP_PUT_DONE)
        return; /* cannot happen: cancel and destroy withdraw this event */
    gm_sim_handler fn = st->ops[i].on_done;
    void *uctx = st->ops[i].ctx;
    uint64_t udata = st->ops[i].data;
    free_op(st, i); /* before the call: it may put again and reuse the slot */
    fn(sim, uctx, udata);
}

static void get_fire(gm_sim *sim, void *ctx, uint64_t data)
{
    gm_simstore *st = ctx;
    uint32_t i = lookup(st, data);
    if (i == NIL || st->ops[i].state != OP_GET_DONE)
        return;
    gm_simstore_get_fn fn = st->ops[i].on_item;
    void *uctx = st->ops[i].ctx;
    uint64_t udata = st->ops[i].data;
    gm_simstore_item it = st->ops[i].item;
    free_op(st, i);
    fn(sim, uctx, udata, it);
}

/* Complete the head put: store its item and schedule on_done. */
static int complete_put(gm_simstore *st)
{
    uint32_t i = st->putters.head;
    int rc = buf_reserve(st);
    if (rc < 0)
        return rc;
    op *o = &st->ops[i];
    if (o->on_done) {
        o->ev = gm_sim_schedule(st->sim, 0.0, put_fire, st, make_handle(st, i));
        if (!o->ev)
            return gm_sim_error(st->sim);
    }
    list_unlink(st, &st->putters, i);
    buf_push(st, o->item);
    gm_tally_add(&st->put_wait, gm_sim_now(st->sim) - o->t);
    st->puts++;
    if (o->on_done)
        o->state = OP_PUT_DONE;
    else
        free_op(st, i);
    return GM_OK;
}

/* Hand the oldest item to the head get and schedule on_item. */
static int complete_get(gm_simstore *st)
{
    uint32_t i = st->getters.head;
    op *o = &st->ops[i];
    o->ev = gm_sim_schedule(st->sim, 0.0, get_fire, st, make_handle(st, i));
    if (!o->ev)
        return gm_sim_error(st->sim);
    list_unlink(st, &st->getters, i);
    o->item = buf_pop(st);
    o->state = OP_GET_DONE;
    gm_tally_add(&st->get_wait, gm_sim_now(st->sim) - o->t);
    st->gets++;
    return GM_OK;
}

/*
 * A put meets a waiting get on an empty store: the item goes straight
 * across, so the level (and its maximum) never shows it.
 */
static int handoff(gm_simstore *st)
{
    uint32_t p = st->putters.head, g = st->getters.head;
    gm_sim_event pev = 0, gev;
    if (st->ops[p].on_done) {
        pev = gm_sim_schedule(st->sim, 0.0, put_fire, st, make_handle(st, p));
        if (!pev)
            return gm_sim_error(st->sim);
    }
    gev = gm_sim_schedule(st->sim, 0.0, get_fire, st, make_handle(st, g));
    if (!gev) {
        int rc = gm_sim_error(st->sim);
        if (pev)
            gm_sim_cancel(st->sim, pev);
        return rc;
    }
    op *po = &st->ops[p], *go = &st->ops[g];
    double now = gm_sim_now(st->sim);
    list_unlink(st, &st->putters, p);
    list_unlink(st, &st->getters, g);
    go->item = po->item;
    go->ev = gev;
    go->state = OP_GET_DONE;
    gm_tally_add(&st->put_wait, now - po->t);
    gm_tally_add(&st->get_wait, now - go->t);
    st->puts++;
    st->gets++;
    if (pev) {
        po->ev = pev;
        po->state = OP_PUT_DONE;
    } else {
        free_op(st, p);
    }
    return GM_OK;
}

/*
 * Serve the queues until neither can move. Afterwards no get waits while
 * items are stored, and no put is blocked while there is room.
 */
static int dispatch(gm_simstore *st)
{
    for (;;) {
        int rc;
        if (st->getters.head != NIL && st->level > 0)
            rc = complete_get(st);
        else if (st->getters.head != NIL && st->putters.head != NIL)
            rc = handoff(st); /* empty store, so there is room */
        else if (st->putters.head != NIL && has_room(st))
            rc = complete_put(st);
        else
            return GM_OK;
        if (rc < 0)
            return rc;
    }
}

/* ---- public ------------------------------------------------------------- */

gm_simstore *gm_simstore_create(gm_sim *sim, uint64_t capacity, gm_err *err)
{
    if (!sim) {
        gm_err_set(err, GM_EINVAL, "gm_simstore_create", "expected a simulation, got NULL");
        return NULL;
    }
    if (capacity > GM_STORE_MAX_ITEMS) {
        gm_err_set(err, GM_EINVAL, "capacity",
                   "expected 0 (unlimited) or at most %llu, got %llu",
                   (unsigned long long)GM_STORE_MAX_ITEMS, (unsigned long long)capacity);
        return NULL;
    }
    gm_simstore *st = calloc(1, sizeof *st);
    if (!st) {
        gm_err_set(err, GM_ENOMEM, "gm_simstore_create", "out of memory");
        return NULL;
    }
    st->sim = sim;
    st->capacity = capacity;
    st->free_head = NIL;
    st->putters = (list){NIL, NIL, 0};
    st->getters = (list){NIL, NIL, 0};
    gm_timeavg_init(&st->level_avg, gm_sim_now(sim), 0.0);
    gm_tally_init(&st->put_wait);
    gm_tally_init(&st->get_wait);
    return st;
}

void gm_simstore_destroy(gm_simstore *st)
{
    if (!st)
        return;
    for (uint32_t i = 0; i < st->len; i++)
        if ((st->ops[i].state == OP_PUT_DONE || st->ops[i].state == OP_GET_DONE) &&
            st->ops[i].ev)
            gm_sim_cancel(st->sim, st->ops[i].ev);
    free(st->ops);
    free(st->buf);
    free(st);
}

/* Queue a new operation and serve the queues; on error withdraw it. */
static gm_simstore_op submit(gm_simstore *st, uint32_t i, list *l, const char *what, gm_err *err)
{
    gm_simstore_op h = make_handle(st, i);
    list_push(st, l, i);
    int rc = dispatch(st);
    if (rc < 0 && l->head == i) {
        /* Only the head can have failed; when that is the new operation,
           it has not moved anything yet. */
        list_unlink(st, l, i);
        free_op(st, i);
        gm_err_set(err, rc, what, "could not complete: %s", gm_strerror(rc));
        return 0;
    }
    return h;
}

gm_simstore_op gm_simstore_put(gm_simstore *st, gm_simstore_item item, gm_sim_handler on_done, void *ctx,
                         uint64_t data, gm_err *err)
{
    if (!st) {
        gm_err_set(err, GM_EINVAL, "gm_simstore_put", "expected a store, got NULL");
        return 0;
    }
    if (st->capacity == 0 && st->level + st->putters.len >= GM_STORE_MAX_ITEMS) {
        gm_err_set(err, GM_ELIMIT, "gm_simstore_put", "more than %llu items",
                   (unsigned long long)GM_STORE_MAX_ITEMS);
        return 0;
    }
    uint32_t i;
    int rc = alloc_op(st, &i);
    if (rc < 0) {
        gm_err_set(err, rc, "gm_simstore_put", "%s", rc == GM_ELIMIT ? "too many operations"
                                                                   : "out of memory");
        return 0;
    }
    op *o = &st->ops[i];
    o->on_done = on_done;
    o->on_item = NULL;
    o->ctx = ctx;
    o->data = data;
    o->item = item;
    o->t = gm_sim_now(st->sim);
    o->ev = 0;
    o->state = OP_PUT_WAIT;
    return submit(st, i, &st->putters, "gm_simstore_put", err);
}

gm_simstore_op gm_simstore_get(gm_simstore *st, gm_simstore_get_fn on_item, void *ctx, uint64_t data,
                         gm_err *err)
{
    if (!st || !on_item) {
        gm_err_set(err, GM_EINVAL, "gm_simstore_get", "expected a store and an on_item callback, "
                   "got NULL");
        return 0;
    }
    uint32_t i;
    int rc = alloc_op(st, &i);
    if (rc < 0) {
        gm_err_set(err, rc, "gm_simstore_get", "%s", rc == GM_ELIMIT ? "too many operations"
                                                                   : "out of memory");
        return 0;
    }
    op *o = &st->ops[i];
    o->on_done = NULL;
    o->on_item = on_item;
    o->ctx = ctx;
    o->data = data;
    o->item.u = 0;
    o->t = gm_sim_now(st->sim);
    o->ev = 0;
    o->state = OP_GET_WAIT;
    return submit(st, i, &st->getters, "gm_simstore_get", err);
}

int gm_simstore_cancel(gm_simstore *st, gm_simstore_op h)
{
    uint32_t i = lookup(st, h);
    if (i == NIL)
        return GM_EINVAL;
    switch (st->ops[i].state) {
    case OP_PUT_WAIT:
        /* The next blocked put still finds the store full: nothing to serve. */
        list_unlink(st, &st->putters, i);
        st->puts_cancelled++;
        break;
    case OP_GET_WAIT:
        list_unlink(st, &st->getters, i);
        st->gets_cancelled++;
        break;
    default:
        return GM_ECONFLICT;
    }
    free_op(st, i);
    return GM_OK;
}

uint64_t gm_simstore_level(const gm_simstore *st)
{
    return st ? st->level : 0;
}

uint64_t gm_simstore_capacity(const gm_simstore *st)
{
    return st ? st->capacity : 0;
}

void gm_simstore_stats_get(const gm_simstore *st, gm_simstore_stats *out)
{
    if (!st || !out)
        return;
    out->level_mean = gm_timeavg_mean(&st->level_avg, gm_sim_now(st->sim));
    out->level_max = st->level_avg.max;
    out->put_wait = st->put_wait;
    out->get_wait = st->get_wait;
    out->puts = st->puts;
    out->gets = st->gets;
    out->puts_cancelled = st->puts_cancelled;
    out->gets_cancelled = st->gets_cancelled;
    out->level = st->level;
    out->puts_blocked = st->putters.len;
    out->gets_waiting = st->getters.len;
}

void gm_simstore_stats_reset(gm_simstore *st)
{
    if (!st)
        return;
    gm_timeavg_reset(&st->level_avg, gm_sim_now(st->sim));
    gm_tally_init(&st->put_wait);
    gm_tally_init(&st->get_wait);
    st->puts = st->gets = st->puts_cancelled = st->gets_cancelled = 0;
}
