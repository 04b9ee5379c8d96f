/*
 * kernel.h: the discrete-event simulation kernel.
 *
 * A gm_sim owns a clock and an event calendar. An event is a handler, a
 * context pointer and a 64-bit datum, due at a simulated time. The calendar
 * orders events by time, then by the order they were scheduled, so events at
 * equal times run first-in first-out and every run is deterministic.
 *
 * Event memory is pooled: scheduling reuses slots of events that have run or
 * were cancelled, so a steady-state simulation calls malloc only while its
 * number of pending events grows. Cancellation is lazy (the calendar entry
 * is skipped when it reaches the top) and the calendar compacts itself when
 * cancelled entries outnumber live ones, so cancel-heavy models (timeouts,
 * preemption) stay bounded.
 *
 * While at most a couple of dozen events are pending (a process model
 * keeps about one per busy resource unit, often fewer than ten), the
 * calendar is an array sorted by due time: the next event comes from its
 * front and a new one goes in from its back, a few comparisons. With more
 * it is a d-ary heap, binary, 4-ary or 8-ary (GM_SIM_HEAP2 / GM_SIM_HEAP4 /
 * GM_SIM_HEAP8, the arity a simulation chooses); bench/bench_kernel measures
 * them on the classic hold model, from 10 to 10^6 pending events. The two
 * forms give the same events in the same order.
 *
 * A gm_sim is single-threaded: one simulation (replication) per thread.
 * Simulations share nothing, so replications run in parallel freely.
 */
#ifndef GM_DES_KERNEL_H
#define GM_DES_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct gm_sim gm_sim;

/* An event's handle, for cancel/reschedule. 0 is never a valid handle. */
typedef uint64_t gm_sim_event;

/* Called when an event is due; gm_sim_now(sim) is its time. */
typedef void (*gm_sim_handler)(gm_sim *sim, void *ctx, uint64_t data);

typedef enum gm_sim_calendar { GM_SIM_HEAP4 = 0, GM_SIM_HEAP2 = 1, GM_SIM_HEAP8 = 2 } gm_sim_calendar;

/* The largest number of pending events (scheduled, not yet run or cancelled),
   and of events one simulation may schedule over its life (2^39, about 15
   hours at 10 M events/s). Past either, scheduling fails with GM_ELIMIT.
   A direct event's datum is below GM_SIM_MAX_DIRECT_DATA. */
#define GM_SIM_MAX_PENDING ((uint32_t)1 << 24)
#define GM_SIM_MAX_SCHEDULED ((uint64_t)1 << 39)
#define GM_SIM_MAX_DIRECT_DATA ((uint32_t)1 << 24)

/*
 * Create a simulation at time 0 with an empty calendar. expected_pending
 * sizes the first allocation (0 = a small default). NULL when out of memory.
 */
gm_sim *gm_sim_create(gm_sim_calendar cal, uint32_t expected_pending);
void gm_sim_destroy(gm_sim *sim);

/* Current simulated time. */
double gm_sim_now(const gm_sim *sim);
/* Events run so far. */
uint64_t gm_sim_events(const gm_sim *sim);
/* Events pending (scheduled and not cancelled). */
uint32_t gm_sim_pending(const gm_sim *sim);

/*
 * Schedule handler(sim, ctx, data) at now + delay. delay must be finite and
 * >= 0 (NaN, negative and infinite delays are refused). Returns the event's
 * handle, or 0 when refused or out of memory or GM_SIM_MAX_PENDING would be
 * exceeded (gm_sim_error tells which).
 */
gm_sim_event gm_sim_schedule(gm_sim *sim, double delay, gm_sim_handler handler, void *ctx,
                             uint64_t data);
/* As gm_sim_schedule, at absolute time t >= now. */
gm_sim_event gm_sim_schedule_at(gm_sim *sim, double t, gm_sim_handler handler, void *ctx,
                                uint64_t data);

/*
 * Direct events: for a model whose hottest events all go to one handler and
 * are never cancelled (task completions, say). gm_sim_set_direct names that
 * handler and its ctx; gm_sim_schedule_direct schedules it with data (<
 * GM_SIM_MAX_DIRECT_DATA) at absolute time t >= now. A direct event orders
 * with all others by (time, scheduling order), counts as pending, and has no
 * handle: it cannot be cancelled, moved or looked up. Scheduling it writes
 * only the calendar entry, which makes it cheaper than gm_sim_schedule_at.
 * False when refused (no direct handler set, data too large, bad t), out of
 * memory or over a limit (gm_sim_error tells which).
 */
void gm_sim_set_direct(gm_sim *sim, gm_sim_handler handler, void *ctx);
bool gm_sim_schedule_direct(gm_sim *sim, double t, uint32_t data);

/*
 * Cancel a pending event. Returns true if it was pending (it will not run),
 * false if it already ran, was cancelled, or the handle is stale or 0.
 */
bool gm_sim_cancel(gm_sim *sim, gm_sim_event ev);

/* Time a pending event is due; NAN if it is not pending. */
double gm_sim_event_time(const gm_sim *sim, gm_sim_event ev);

/*
 * Move a pending event to now + delay, keeping its handler, ctx and data.
 * It then ranks after events already scheduled for that time (FIFO).
 * Returns the new handle (the old one becomes stale), or 0 if ev was not
 * pending or delay is invalid.
 */
gm_sim_event gm_sim_reschedule(gm_sim *sim, gm_sim_event ev, double delay);

/*
 * Run events in order until one of:
 *   - the next event is due after until_time (the clock is then set to
 *     until_time, and the event stays pending); pass INFINITY for no limit;
 *   - max_events events have run in this call (0 = no limit);
 *   - a handler called gm_sim_stop;
 *   - the calendar is empty.
 * Returns the number of events run in this call.
 */
uint64_t gm_sim_run(gm_sim *sim, double until_time, uint64_t max_events);

/* Ask gm_sim_run to return after the current event. */
void gm_sim_stop(gm_sim *sim);

/* Bytes of calendar and event memory held (it grows with the peak number of
   pending events and is reused, never returned, until destroy). */
size_t gm_sim_memory(const gm_sim *sim);

/* GM_EINVAL (bad delay), GM_ENOMEM or GM_ELIMIT for the last refused schedule. */
int gm_sim_error(const gm_sim *sim);

#endif
