/*
 * engine.h: the runtime that owns the models and the twin graph.
 *
 * One writer thread applies every request in the order it was submitted
 * (DESIGN.md, runtime model): no locks on the graph, no races by
 * construction. Each accepted change becomes an event with a global,
 * gap-free sequence number and goes to the store's change log; the request
 * is acknowledged (its callback runs) only once that event is durable. The
 * store commits events in groups, so durability costs one fsync per batch,
 * not per change. Once the log since the last snapshot holds at least
 * `snapshot_every` events and at least as many bytes as that snapshot, the
 * writer stores a new one (a thread writes it while the writer goes on; when
 * no relationship changed since the newest snapshot, it copies that one's
 * relationship lines instead of writing them), which
 * bounds recovery: opening a data directory loads the newest snapshot and
 * replays at most about one snapshot's worth of events after it; and
 * writing snapshots costs at most about what logging costs, however large
 * the graph.
 *
 * Requests: models (add a set, delete one), twins and relationships (put,
 * patch, delete, get). A refused request changes nothing and is answered at
 * once with its error.
 */
#ifndef GM_ENGINE_ENGINE_H
#define GM_ENGINE_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "model/registry.h"
#include "store/store.h"
#include "twin/graph.h"

typedef struct gm_engine gm_engine;

typedef struct gm_engine_opts {
    const char *dir;                 /* the data directory (created if missing) */
    bool must_exist;                 /* open only an existing store (GM_ENOENT otherwise):
                                        readers must not create one */
    bool allow_undefined_extensions; /* for models, as gm_dtdl_opts */
    uint64_t snapshot_every;         /* least events between snapshots; 0: 100000 */
    uint64_t close_snapshot_every;   /* least events since the newest snapshot for close
                                        to store one; 0: 1000 (UINT64_MAX: never) */
    size_t queue;                    /* inbound requests; 0: 65536 */
    size_t events_kept;              /* newest events kept in memory for readers and
                                        subscribers (older ones are read from the log);
                                        0: 65536 (and at most 64 MiB of text) */
} gm_engine_opts;

typedef enum gm_engine_op {
    GM_OP_MODELS_ADD,   /* body: a JSON array of DTDL documents (each an element or an array) */
    GM_OP_MODEL_DELETE, /* id: the model's DTMI */
    GM_OP_TWIN_PUT,     /* id, body; if_match, if_none_match */
    GM_OP_TWIN_PATCH,   /* id, body (a JSON Patch); if_match */
    GM_OP_TWIN_DELETE,  /* id; if_match */
    GM_OP_TWIN_GET,     /* id -> value */
    GM_OP_REL_PUT,      /* id (source), rel_id, body; if_match, if_none_match */
    GM_OP_REL_PATCH,
    GM_OP_REL_DELETE,
    GM_OP_REL_GET,      /* -> value */
    GM_OP_READ,         /* run read(read_ctx, graph, models) on the writer thread */
    GM_OP_SNAPSHOT,     /* store a snapshot now */
} gm_engine_op;

typedef struct gm_engine_req gm_engine_req;

/*
 * A request. The submitter owns it and must keep it (and the strings it
 * points to) alive until done is called; body is borrowed too. On completion
 * the engine fills status, err, seq (the change's sequence number, 0 when
 * nothing changed) and value (GET: a reference the submitter must
 * json_decref), then calls done(ctx, req) exactly once: from the writer
 * thread for reads and refusals, from the store's committer thread for
 * accepted changes (once durable). done must be quick and must not call
 * back into the engine synchronously (gm_engine_call).
 */
struct gm_engine_req {
    gm_engine_op op;
    const char *id;
    const char *rel_id;
    const json_t *body;
    const char *if_match;
    const char *if_none_match;
    int (*read)(void *read_ctx, const gm_twin_graph *g, const gm_model_registry *models);
    void *read_ctx;
    void (*done)(void *ctx, gm_engine_req *req);
    void *ctx;
    /* A group of requests that stops at its first refusal (NULL: none, the
       request stands alone). When a request carrying stop is refused, the
       writer sets *stop before it completes the request; a request carrying
       a stop already set is not applied: it completes at once with
       GM_ECONFLICT, "not applied: an earlier request of its group was
       refused". The submitter owns *stop (false to begin with). A bulk
       import stops so at its first bad line, although the lines behind it
       are already queued. */
    atomic_bool *stop;
    /* results */
    int status;
    gm_err err;
    uint64_t seq;
    json_t *value;
};

/*
 * Open the data directory: the store, then recovery (newest snapshot, then
 * the events after it), then the writer thread. Returns the engine, or NULL
 * with err: the store's errors (GM_ECONFLICT when another process has the
 * directory open; GM_ENOENT when must_exist and there is no store; GM_EIO
 * for a damaged store: a log record or a snapshot file that does not match
 * its checksum, named), or the recovery's (GM_EINVAL naming the event that
 * could not be applied).
 */
gm_engine *gm_engine_open(const gm_engine_opts *opts, gm_err *err);

/* Finish every submitted request, make it durable, stop the writer, close
   the store. Frees e. A snapshot under way is finished first (it is not
   cancelled), and when the log since the newest snapshot holds at least
   close_snapshot_every events and as many bytes as that snapshot, close
   stores one more, so that the next open loads it rather than replaying
   the log: a store used by short processes (the CLI) opens as fast as one
   used by a server. Returns 0 or the store's error (a snapshot that fails
   at close is logged, not returned: the log keeps every change). */
int gm_engine_close(gm_engine *e, gm_err *err);

/* Queue req; 0, or GM_EAGAIN when the inbound queue is full (shed or retry),
   GM_ESHUTDOWN when closing. Safe from any thread. */
int gm_engine_submit(gm_engine *e, gm_engine_req *req);

/* Submit req and wait for its completion (done may be NULL); returns
   req->status. Not from the writer or committer thread. */
int gm_engine_call(gm_engine *e, gm_engine_req *req);

/* Counters: the last sequence number applied, and the one durable. */
uint64_t gm_engine_seq(const gm_engine *e);
uint64_t gm_engine_durable_seq(const gm_engine *e);

/* The store's counters (gm_store_counts_get): records and fsyncs, batches,
   snapshots written and the newest one's size. Any thread. */
void gm_engine_store_counts(gm_engine *e, gm_store_counts *out);

/* Take a snapshot now (on the writer thread, after what was submitted
   before). Returns 0 or the store's error. */
int gm_engine_snapshot(gm_engine *e, gm_err *err);

/* ---- events --------------------------------------------------------------------- */

/*
 * An event: one accepted change, as JSON text (NUL-terminated), e.g.
 *   {"seq":42,"kind":"twin.patch","time":1700000000000000000,"twin":"pump-1",
 *    "body":[{"op":"replace","path":"/temperature","value":31.5}]}
 * kind is twin.create, twin.replace, twin.patch, twin.delete,
 * relationship.create, .replace, .patch or .delete (with "rel": the
 * relationship's id, "twin" its source),
 * models.add ("docs": the DTDL documents) or model.delete ("id"); time is
 * the wall clock in nanoseconds when it was applied; body is the JSON Patch
 * applied, or the whole document for a create or replace (absent for a
 * delete). Sequence numbers are global and gap-free, from 1.
 * json is valid only during the callback.
 */
typedef struct gm_engine_event {
    uint64_t seq;
    const char *json;
    size_t len;
} gm_engine_event;

/* Called with each event in order; return 0 to go on, a negative GM_E*
   code to stop. */
typedef int (*gm_engine_event_fn)(void *ctx, const gm_engine_event *ev);

/* Only durable events are handed out, by both functions below: a reader
   never sees a change that a crash could take back. */

/*
 * The events after seq `after`, at most max (>= 1) of them, oldest first:
 * fn(ctx, ev) for each, on the calling thread (any thread but the writer's
 * and the committer's). Recent events come from memory, older ones from the
 * change log. *last (may be NULL) gets the last seq delivered (`after` when
 * none: nothing durable after it yet). Returns 0, or:
 *   GM_ERANGE  the event after `after` was folded into a snapshot and is
 *              no longer kept (the message says from where reading can go
 *              on); nothing was delivered;
 *   GM_EINVAL  NULL arguments, max 0;
 *   fn's code, or the store's error (GM_EIO).
 */
int gm_engine_events(gm_engine *e, uint64_t after, size_t max, gm_engine_event_fn fn, void *ctx,
                     uint64_t *last, gm_err *err);

/* The subscription ended (see gm_engine_subscribe): status is GM_ERANGE,
   GM_EIO, GM_ESHUTDOWN or on_event's code; err says why. */
typedef void (*gm_engine_end_fn)(void *ctx, int status, const gm_err *err);

typedef struct gm_engine_sub gm_engine_sub;

/* gm_engine_subscribe's `after` for "only events from now on". */
#define GM_ENGINE_NOW UINT64_MAX

/*
 * Subscribe to the events after seq `after` (GM_ENGINE_NOW: after the last
 * one applied so far): on_event(ctx, ev) for each, in order, gap-free, as
 * each becomes durable; first the backlog, from memory or the change log,
 * then live. Calls come from the engine's delivery thread, one at a time
 * per engine: on_event must be quick (copy and hand the work off) and must
 * not call gm_engine_call, gm_engine_unsubscribe or gm_engine_close. A slow
 * subscriber delays the others, never the writer.
 *
 * The subscription ends when on_event returns non-zero, when events it still
 * needs were folded into a snapshot and dropped from the log (GM_ERANGE: it
 * fell too far behind), when the log cannot be read, or when the engine
 * closes (GM_ESHUTDOWN): then on_end (may be NULL) is called once, and no
 * call follows. The subscriber still calls gm_engine_unsubscribe to free it,
 * unless the engine has been closed (close frees what is left).
 *
 * Returns the subscription, or NULL with err: GM_EINVAL (NULL arguments,
 * `after` beyond the last event), GM_ERANGE (the events right after `after`
 * are no longer kept: subscribe from a later seq), GM_ENOMEM.
 */
gm_engine_sub *gm_engine_subscribe(gm_engine *e, uint64_t after, gm_engine_event_fn on_event,
                                   gm_engine_end_fn on_end, void *ctx, gm_err *err);

/* End sub (if it has not ended) and free it. After this returns, none of
   its callbacks runs or will run. Not from a subscription callback. */
void gm_engine_unsubscribe(gm_engine *e, gm_engine_sub *sub);

#endif
