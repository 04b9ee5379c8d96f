/*
 * engine.h: the runtime that owns the models and the twin graph.
 *
 * One writer thread applies every request in the order it was submitted
 * (DESIGN.md, runtime model): no locks on the graph, no races by
 * construction. Each accepted change becomes an event with a global,
 * gap-free sequence number and goes to the store's change log; the request
 * is acknowledged (its callback runs) only once that event is durable. The
 * store commits events in groups, so durability costs one fsync per batch,
 * not per change. Every `snapshot_every` events the writer stores a
 * snapshot, which bounds recovery: opening a data directory loads the newest
 * snapshot and replays the events after it.
 *
 * Requests: models (add a set, delete one), twins and relationships (put,
 * patch, delete, get). A refused request changes nothing and is answered at
 * once with its error.
 */
#ifndef GM_ENGINE_ENGINE_H
#define GM_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "model/registry.h"
#include "twin/graph.h"

typedef struct gm_engine gm_engine;

typedef struct gm_engine_opts {
    const char *dir;                 /* the data directory (created if missing) */
    bool allow_undefined_extensions; /* for models, as gm_dtdl_opts */
    uint64_t snapshot_every;         /* events between snapshots; 0: 100000 */
    size_t queue;                    /* inbound requests; 0: 65536 */
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
 * directory open), or the recovery's (GM_EINVAL naming the event that could
 * not be applied).
 */
gm_engine *gm_engine_open(const gm_engine_opts *opts, gm_err *err);

/* Finish every submitted request, make it durable, stop the writer, close
   the store. Frees e. Returns 0 or the store's error. */
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

/* Take a snapshot now (on the writer thread, after what was submitted
   before). Returns 0 or the store's error. */
int gm_engine_snapshot(gm_engine *e, gm_err *err);

#endif
