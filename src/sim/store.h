/*
 * store.h: a first-in first-out buffer of items between simulated processes
 * (a warehouse shelf, an inbox, a conveyor with room for n parts), in the
 * event-scheduling style of the kernel: every outcome is a callback.
 *
 * A put stores an item if there is room (capacity 0 means unlimited) and
 * otherwise blocks until a get makes room; a get takes the oldest item, or
 * waits until one is put. Blocked puts and waiting gets are each served
 * first-in first-out. Items are a 64-bit integer or a pointer
 * (gm_simstore_item); the store never owns what a pointer points to.
 *
 * Callbacks never re-enter the caller: completions are delivered as
 * zero-delay events on the simulation's calendar, in the order the
 * completions were decided. The item moves when the completion is decided
 * (the level statistic changes then); the callback runs later in the same
 * simulated instant. A put that meets a waiting get hands its item straight
 * over: the level never counts it.
 *
 * Operation memory is pooled; handles are opaque, never 0, and carry a
 * generation number, so a handle whose operation was delivered or cancelled
 * is refused. A gm_simstore belongs to one gm_sim and is single-threaded like it.
 */
#ifndef GM_SIM_STORE_H
#define GM_SIM_STORE_H

#include <stdint.h>

#include "base/err.h"
#include "num/stats.h"
#include "sim/kernel.h"

typedef struct gm_simstore gm_simstore;

/* A put's or get's handle; 0 is never valid. */
typedef uint64_t gm_simstore_op;

typedef union gm_simstore_item {
    uint64_t u;
    void *p;
} gm_simstore_item;

static inline gm_simstore_item gm_simstore_u64(uint64_t u)
{
    gm_simstore_item it = {.u = u};
    return it;
}

static inline gm_simstore_item gm_simstore_ptr(void *p)
{
    gm_simstore_item it = {.p = p};
    return it;
}

/* A get's completion: the item taken. */
typedef void (*gm_simstore_get_fn)(gm_sim *sim, void *ctx, uint64_t data, gm_simstore_item item);

/* Most items stored, and most operations (blocked or being delivered). */
#define GM_STORE_MAX_ITEMS ((uint64_t)1 << 32)
#define GM_STORE_MAX_OPS ((uint32_t)1 << 24)

typedef struct gm_simstore_stats {
    double level_mean;   /* time-average number of items stored */
    double level_max;
    gm_tally put_wait;   /* completion time - put time, per completed put */
    gm_tally get_wait;   /* completion time - get time, per completed get */
    uint64_t puts, gets; /* completed */
    uint64_t puts_cancelled, gets_cancelled;
    uint64_t level;      /* current values */
    uint32_t puts_blocked, gets_waiting;
} gm_simstore_stats;

/*
 * Create a store holding at most capacity items (0 = unlimited, up to
 * GM_STORE_MAX_ITEMS) on sim, which must outlive it. Statistics start at
 * the current simulated time. Returns NULL and fills err (may be NULL) with
 * GM_EINVAL (sim NULL, capacity above GM_STORE_MAX_ITEMS) or GM_ENOMEM. The
 * caller owns the store: gm_simstore_destroy.
 */
gm_simstore *gm_simstore_create(gm_sim *sim, uint64_t capacity, gm_err *err);

/* Free the store; completions still pending on the calendar are cancelled.
   Items left inside are dropped (the store never owns pointed-to memory).
   NULL does nothing. */
void gm_simstore_destroy(gm_simstore *st);

/*
 * Put item. When there is room and no put is blocked, the item is stored now
 * and on_done(sim, ctx, data) is delivered at once (zero-delay event); else
 * the put blocks, first-in first-out, until a get makes room, and on_done is
 * delivered then. on_done may be NULL (nothing is delivered; a put that
 * completes at once then returns a handle that is already stale).
 * Returns the put's handle, or 0 with err (may be NULL) filled: GM_EINVAL
 * (st NULL), GM_ELIMIT (GM_STORE_MAX_OPS operations or GM_STORE_MAX_ITEMS
 * items), GM_ENOMEM, or the kernel's error when the completion event could
 * not be scheduled. On error nothing changed.
 */
gm_simstore_op gm_simstore_put(gm_simstore *st, gm_simstore_item item, gm_sim_handler on_done, void *ctx,
                         uint64_t data, gm_err *err);

/*
 * Get the oldest item: on_item(sim, ctx, data, item) is delivered at once
 * (zero-delay event) when an item is stored and no get waits, else when one
 * arrives, gets being served first-in first-out. Returns the get's handle,
 * or 0 with err filled: GM_EINVAL (st or on_item NULL), GM_ELIMIT, GM_ENOMEM,
 * or the kernel's error. On error nothing changed.
 */
gm_simstore_op gm_simstore_get(gm_simstore *st, gm_simstore_get_fn on_item, void *ctx, uint64_t data,
                         gm_err *err);

/*
 * Withdraw a blocked put (its item is not stored) or a waiting get; its
 * callback never runs and the handle becomes stale. Returns 0, GM_EINVAL
 * (st NULL, stale or 0 handle) or GM_ECONFLICT (the operation has completed
 * and its callback is about to be delivered at this instant: the item has
 * already moved, so it cannot be undone).
 */
int gm_simstore_cancel(gm_simstore *st, gm_simstore_op op);

uint64_t gm_simstore_level(const gm_simstore *st);    /* items stored now */
uint64_t gm_simstore_capacity(const gm_simstore *st); /* 0 = unlimited */

/* Statistics since creation or the last reset, up to now. */
void gm_simstore_stats_get(const gm_simstore *st, gm_simstore_stats *out);

/* Warm-up deletion: forget statistics before now (current state is kept). */
void gm_simstore_stats_reset(gm_simstore *st);

#endif
