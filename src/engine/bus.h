/*
 * bus.h: the engine's event bus (module-internal; engine.c and its tests).
 *
 * The writer hands every logged event to the bus (engine__bus_append) with
 * its text; the bus keeps the newest ones in a ring, so that readers and
 * subscribers that keep up never touch the disk, and reads older ones back
 * from the store's change log. Only durable events are ever handed out
 * (engine__bus_durable raises the bound), so nobody sees a change that a
 * crash could take back. One thread of the bus's own delivers to
 * subscribers, each at its own pace, in sequence order, without gaps.
 */
#ifndef GM_ENGINE_BUS_H
#define GM_ENGINE_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/engine.h"
#include "store/store.h"

typedef struct engine__bus engine__bus;

/* A bus over store (borrowed; it must outlive the bus), keeping up to
   ring_events events and ring_bytes bytes of text in memory, its durable
   bound starting at durable. Starts the delivery thread. NULL when out of
   memory or the thread cannot start. */
engine__bus *engine__bus_create(gm_store *store, size_t ring_events, size_t ring_bytes,
                                uint64_t durable);

/* Deliver every durable event to every subscription, stop the delivery
   thread, end the subscriptions (on_end with GM_ESHUTDOWN) and free them.
   Reads from the store: call it before closing the store. Once is enough;
   NULL is allowed. */
void engine__bus_stop(engine__bus *b);

/* engine__bus_stop if not done, then free the bus. NULL is allowed. */
void engine__bus_destroy(engine__bus *b);

/* The writer logged event seq (one more than the last appended) with the
   JSON text[0..len) (NUL-terminated, malloc'd): the bus takes the text. */
void engine__bus_append(engine__bus *b, uint64_t seq, char *text, size_t len);

/* Every event up to seq is durable (from the store's committer). */
void engine__bus_durable(engine__bus *b, uint64_t seq);

/* gm_engine_events. */
int engine__bus_read(engine__bus *b, uint64_t after, size_t max, gm_engine_event_fn fn, void *ctx,
                     uint64_t *last, gm_err *err);

/* gm_engine_subscribe, with after already checked against the log. */
gm_engine_sub *engine__bus_subscribe(engine__bus *b, uint64_t after, gm_engine_event_fn on_event,
                                     gm_engine_end_fn on_end, void *ctx, gm_err *err);

/* gm_engine_unsubscribe. */
void engine__bus_unsubscribe(engine__bus *b, gm_engine_sub *sub);

#endif
