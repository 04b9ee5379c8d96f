/*
 * resource.h: a pool of identical units (servers, staff of a BPMN lane,
 * machines, docks) that simulated entities request, hold and release, in the
 * event-scheduling style of the kernel: every outcome is a callback.
 *
 * A request asks for 1..capacity units at an integer priority (larger is
 * served first). Waiting requests form one queue ordered by priority, then
 * first-in first-out. The queue is served in strict order: when the request
 * at its head needs more units than are free, every request behind it waits
 * too, even one that would fit (no overtaking, so a large request is never
 * starved by a stream of small ones).
 *
 * Callbacks never re-enter the caller: a grant (and a preemption notice) is
 * delivered as a zero-delay event on the simulation's calendar, so
 * gm_res_request, gm_res_release, gm_res_cancel and gm_res_set_capacity
 * return before any callback runs, and callbacks due at one instant run in
 * the order the decisions were taken. The units are assigned when the grant
 * is decided (the utilisation statistic counts them from then on); on_grant
 * runs later in the same simulated instant.
 *
 * Preemption: a request made with preempt = true that heads the queue and
 * does not fit takes units from holders of strictly lower priority, lowest
 * priority first and, within a priority, most recently granted first, but
 * only if that frees enough units (otherwise nobody is preempted and it
 * waits). A preempted holder loses all its units at once and its on_preempt
 * is delivered (zero delay); its handle becomes stale, and it may request
 * again. A holder with on_preempt == NULL is never preempted. A holder whose
 * on_grant has not been delivered yet (granted at this very instant) is not
 * notified at all: it silently goes back to the queue at its old place and
 * keeps its original request time.
 *
 * Capacity may change during the run (shift calendars): lowering it lets the
 * current holders finish (nobody is preempted; new grants wait until the
 * units held fall below the new capacity), raising it grants waiting
 * requests at once. Capacity 0 (closed) is allowed through
 * gm_res_set_capacity only.
 *
 * Request memory is pooled (a freed slot is reused; malloc runs only while
 * the number of live requests grows). Handles are opaque, never 0, and carry
 * a generation number: a handle whose request has been released, cancelled,
 * preempted or refused is stale and every function refuses it.
 *
 * A gm_res belongs to one gm_sim and is single-threaded like it.
 */
#ifndef GM_SIM_RESOURCE_H
#define GM_SIM_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "num/stats.h"
#include "sim/kernel.h"

typedef struct gm_res gm_res;

/* A request's handle; 0 is never valid. */
typedef uint64_t gm_res_req;

/* Most requests (waiting or holding) one resource keeps at a time. */
#define GM_RES_MAX_REQUESTS ((uint32_t)1 << 24)

/* What a handle refers to now. */
typedef enum gm_res_state {
    GM_RES_STALE = 0,   /* released, cancelled, preempted, or never valid */
    GM_RES_WAITING = 1, /* queued */
    GM_RES_GRANTED = 2, /* holds its units (on_grant delivered or about to be) */
} gm_res_state;

typedef struct gm_res_stats {
    double busy_mean;     /* time-average units held */
    double capacity_mean; /* time-average capacity */
    double utilization;   /* busy_mean / capacity_mean (0 if capacity was always 0) */
    double queue_mean;    /* time-average number of waiting requests */
    double queue_max;     /* most requests waiting at once */
    gm_tally wait;        /* grant time - request time, per delivered grant */
    uint64_t requested;   /* requests accepted */
    uint64_t granted;     /* grants delivered (on_grant called) */
    uint64_t released;
    uint64_t preempted;   /* holders preempted (on_preempt delivered) */
    uint64_t cancelled;
    uint32_t capacity, busy, waiting; /* current values */
} gm_res_stats;

/*
 * Create a resource of capacity units (>= 1) on sim, which must outlive it.
 * Statistics start at the current simulated time. Returns NULL and fills err
 * (may be NULL) with GM_EINVAL (sim NULL, capacity 0) or GM_ENOMEM. The
 * caller owns the resource: gm_res_destroy.
 */
gm_res *gm_res_create(gm_sim *sim, uint32_t capacity, gm_err *err);

/*
 * Free the resource. Grant notifications still pending on the calendar are
 * cancelled (they will not run); preemption notices already scheduled still
 * run (they do not refer to the resource). NULL does nothing.
 */
void gm_res_destroy(gm_res *res);

/*
 * Request units (1 .. the largest capacity the resource has had) at
 * priority (larger first). on_grant(sim, ctx, data) is delivered when the
 * units are assigned: at once (zero-delay event) when they are free and no
 * request of equal or higher priority waits, else when the request reaches
 * the head of the queue and fits. With preempt, the request may take units
 * from lower-priority holders (see the top of this file). on_preempt (may be
 * NULL: the holder cannot be preempted) receives the same ctx and data if
 * the units are taken away after on_grant. The resource does not own ctx.
 *
 * Returns the request's handle, or 0 with err (may be NULL) filled:
 * GM_EINVAL (res or on_grant NULL, units 0 or above the largest capacity),
 * GM_ELIMIT (GM_RES_MAX_REQUESTS live requests), GM_ENOMEM, or the kernel's
 * error when the grant event could not be scheduled (the request is then
 * withdrawn).
 */
gm_res_req gm_res_request(gm_res *res, uint32_t units, int32_t priority, bool preempt,
                          gm_sim_handler on_grant, gm_sim_handler on_preempt, void *ctx,
                          uint64_t data, gm_err *err);

/*
 * Give back the units a granted request holds; the handle becomes stale and
 * waiting requests are granted in order. Releasing a request granted at this
 * instant whose on_grant has not run yet is allowed: on_grant then never
 * runs. Returns 0, GM_EINVAL (res NULL, stale or 0 handle), GM_ECONFLICT
 * (the request is still waiting: use gm_res_cancel), or the kernel's error
 * when a grant to a waiting request could not be scheduled (the release
 * itself took effect; that request stays queued).
 */
int gm_res_release(gm_res *res, gm_res_req req);

/*
 * Withdraw a request that has not started (reneging, timeouts): a waiting
 * request, or one granted at this instant whose on_grant has not run yet
 * (its units go back and on_grant never runs). Its callbacks never run and
 * the handle becomes stale; requests it blocked are granted in order.
 * Returns 0, GM_EINVAL (res NULL, stale or 0 handle), GM_ECONFLICT (on_grant
 * was already delivered: release it instead), or the kernel's error as for
 * gm_res_release (the cancel itself took effect).
 */
int gm_res_cancel(gm_res *res, gm_res_req req);

/*
 * Change the capacity (0 allowed: closed). Lowering it preempts nobody;
 * raising it grants waiting requests at once. Returns 0, GM_EINVAL (res
 * NULL), or the kernel's error as for gm_res_release.
 */
int gm_res_set_capacity(gm_res *res, uint32_t capacity);

/* The state of a handle (GM_RES_STALE for NULL res or a stale handle). */
gm_res_state gm_res_query(const gm_res *res, gm_res_req req);

uint32_t gm_res_capacity(const gm_res *res);
uint32_t gm_res_busy(const gm_res *res);    /* units held now */
uint32_t gm_res_waiting(const gm_res *res); /* requests waiting now */

/* Statistics since creation or the last reset, up to now. */
void gm_res_stats_get(const gm_res *res, gm_res_stats *out);

/* Warm-up deletion: forget statistics before now (current state is kept). */
void gm_res_stats_reset(gm_res *res);

#endif
