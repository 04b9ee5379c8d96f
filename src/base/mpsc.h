/*
 * mpsc.h: bounded multi-producer single-consumer queue of void * items.
 *
 * This is the engine writer's inbound queue (DESIGN.md section 2): any number
 * of threads (connectors, API handlers) push commands, exactly one thread (the
 * writer) pops them. The queue is a fixed ring, so a producer faced with a
 * full queue is told so at once (GM_EAGAIN) and decides itself whether to
 * retry, shed the request or report overload: memory never grows with load.
 *
 * Pushing and popping are lock-free. Only when the consumer has gone to sleep
 * in gm_mpsc_pop_wait does a push take a mutex, to wake it; no wake-up is
 * ever lost.
 *
 * Items are opaque pointers the queue never dereferences or frees; NULL is a
 * valid item. Per producer, items are delivered in the order that producer
 * pushed them (FIFO); items from different producers interleave in the order
 * their pushes won the race for a slot.
 */
#ifndef GM_BASE_MPSC_H
#define GM_BASE_MPSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Largest capacity gm_mpsc_create accepts (before rounding). */
#define GM_MPSC_MAX_CAPACITY ((size_t)1 << 30)

typedef struct gm_mpsc gm_mpsc;

/*
 * Create an empty queue able to hold at least capacity items. The capacity is
 * rounded up to a power of two, and to at least 2 (the ring needs two slots
 * to tell "full" from "empty"); gm_mpsc_capacity reports the result.
 * Returns NULL and fills err (may be NULL) with GM_EINVAL when capacity is 0
 * or above GM_MPSC_MAX_CAPACITY, GM_ENOMEM when memory or a synchronisation
 * object could not be had. The caller owns the queue: gm_mpsc_destroy.
 */
gm_mpsc *gm_mpsc_create(size_t capacity, gm_err *err);

/*
 * Free the queue. No thread may be using it any more. Items still queued are
 * not freed (the queue does not own them): drain first if they own memory.
 * NULL is allowed.
 */
void gm_mpsc_destroy(gm_mpsc *q);

/*
 * Append item (may be NULL). Any thread. Returns 0 when queued, GM_EAGAIN at
 * once when the queue is full (nothing was queued: retry later or shed
 * load), GM_ESHUTDOWN once gm_mpsc_close has been called (checked first, so
 * a closed full queue says GM_ESHUTDOWN). Lock-free, except that when the
 * consumer is asleep in gm_mpsc_pop_wait the pushing thread briefly takes a
 * mutex to wake it. Every push that returned 0 is delivered to the consumer,
 * even when it raced with gm_mpsc_close.
 */
int gm_mpsc_push(gm_mpsc *q, void *item);

/*
 * Take the oldest item without waiting. Consumer thread only (one thread at a
 * time; it may change hands only with outside synchronisation). Returns 0 and
 * sets *item, or GM_EAGAIN when no item is ready (also when closed and
 * empty: use gm_mpsc_pop_wait to learn about shutdown). An item whose push is
 * still in progress counts as not ready yet.
 */
int gm_mpsc_pop(gm_mpsc *q, void **item);

/*
 * The item k places behind the oldest (k = 0: the oldest), without taking
 * it: true and *item when it is ready. Consumer thread only; the item stays
 * the queue's until popped. For looking ahead (prefetching what the next
 * items will touch).
 */
bool gm_mpsc_peek(const gm_mpsc *q, size_t k, void **item);

/*
 * Take the oldest item, sleeping up to timeout_ns nanoseconds for one to
 * arrive (timeout_ns < 0: no limit; 0: do not sleep). Consumer thread only.
 * Returns 0 with *item set; GM_EAGAIN when the timeout expired first;
 * GM_ESHUTDOWN when the queue is closed and every item pushed before the
 * close has been delivered (it does not sleep then, whatever the timeout).
 * Timeouts are measured on CLOCK_MONOTONIC, so wall-clock changes do not
 * shorten or lengthen them.
 */
int gm_mpsc_pop_wait(gm_mpsc *q, void **item, int64_t timeout_ns);

/*
 * Refuse further pushes (they return GM_ESHUTDOWN) and wake the consumer so
 * that it can drain what is queued and then see GM_ESHUTDOWN. Any thread;
 * calling it again does nothing. Items already queued stay queued.
 */
void gm_mpsc_close(gm_mpsc *q);

/* The queue's capacity after rounding: the most items it holds at once. */
size_t gm_mpsc_capacity(const gm_mpsc *q);

#endif
