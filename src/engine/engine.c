/*
 * engine.c: the writer thread, requests, events and their completion.
 *
 * Phases of a change: the writer pops a request, applies it to the graph
 * (or the registry), encodes the event and submits it to the store, then
 * parks the request in `pending` (in sequence order). The store's committer
 * thread reports durable sequence numbers; every parked request up to that
 * number is completed from there. So the writer never waits for a disk, and
 * a request is never acknowledged before its event is on it.
 *
 * Events in the log are JSON: {"seq": n, "kind": "twin.patch", "time": ns,
 * "twin": id, "rel": id, "body": ...} for the twin graph's events,
 * {"kind": "models.add", "time": ns, "docs": [...]} and {"kind":
 * "model.delete", "time": ns, "id": DTMI} for models. Snapshots are
 * snapshot.c's, recovery at open recover.c's.
 */
#include "engine/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mpsc.h"
#include "base/time.h"
#include "base/vec.h"
#include "engine/bus.h"
#include "engine/engine_internal.h"
#include "store/store.h"

/* ---- completion ----------------------------------------------------------------- */

static void complete(gm_engine_req *r)
{
    if (r->done)
        r->done(r->ctx, r);
}

/* Complete every parked request up to seq, in sequence order. Called by
   the committer thread, and by the writer right after parking (the durable
   report may have come first); done_mu keeps the callbacks in order. */
static void on_durable(void *ctx, uint64_t seq)
{
    gm_engine *e = ctx;
    /* raise durable first: a writer that parks after this sees it */
    uint64_t d = atomic_load(&e->durable);
    while (seq > d && !atomic_compare_exchange_weak(&e->durable, &d, seq))
        ;
    if (seq)
        engine__bus_durable(e->bus, seq);
    pthread_mutex_lock(&e->done_mu);
    seq = atomic_load(&e->durable);
    for (;;) {
        gm_engine_req *r = NULL;
        pthread_mutex_lock(&e->mu);
        if (e->pending_head < e->pending.len) {
            gm_engine_req *h = ((gm_engine_req **)e->pending.data)[e->pending_head];
            if (h->seq <= seq) {
                r = h;
                if (++e->pending_head == e->pending.len)
                    e->pending.len = e->pending_head = 0;
            }
        }
        pthread_mutex_unlock(&e->mu);
        if (!r)
            break;
        complete(r);
    }
    pthread_mutex_unlock(&e->done_mu);
}

static int park(gm_engine *e, gm_engine_req *r)
{
    pthread_mutex_lock(&e->mu);
    int rc = gm_vec_push(&e->pending, &r);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* ---- events ---------------------------------------------------------------------- */

/* Submit the event text in e->ev (made by the writer, which owns it) with
   the graph's current sequence number; waits for room when the store's
   backlog is full. Then the bus keeps a copy of the text (an event that
   became durable before it reached the bus is read back from the log
   meanwhile). */
static int log_event(gm_engine *e, const char *key, gm_err *err)
{
    if (gm_sb_error(&e->ev))
        return gm_err_set(err, gm_sb_error(&e->ev), "event", "cannot encode the event");
    size_t len = e->ev.len;
    char *text = malloc(len + 1);
    if (!text)
        return gm_err_set(err, GM_ENOMEM, "event", "out of memory");
    memcpy(text, gm_sb_str(&e->ev), len + 1);
    gm_store_rec rec = {gm_twin_graph_seq(e->graph), 0, key, strlen(key), text, len};
    e->log_bytes += rec.len;
    int rc;
    while ((rc = gm_store_submit(e->store, &rec, err)) == GM_EAGAIN) {
        /* group commit is behind: wait for the oldest pending record */
        gm_err_clear(err);
        rc = gm_store_flush(e->store, atomic_load(&e->durable) + 1, err);
        if (rc)
            break;
    }
    if (rc)
        free(text);
    else
        engine__bus_append(e->bus, rec.seq, text, rec.len);
    atomic_store(&e->seq, rec.seq);
    return rc;
}

/* Open an event's text in e->ev: {"seq":n,"kind":kind,"time":ns (the
   members every event starts with). */
static void event_open(gm_engine *e, uint64_t seq, const char *kind, int64_t time_ns)
{
    gm_sb *sb = &e->ev;
    gm_sb_reset(sb);
    gm_sb_append_n(sb, "{\"seq\":", 7);
    gm_json_write_int(sb, (int64_t)seq);
    gm_sb_append_n(sb, ",\"kind\":\"", 9);
    gm_sb_append(sb, kind);
    gm_sb_append_n(sb, "\",\"time\":", 9);
    gm_json_write_int(sb, time_ns);
}

/* Append ,"name":"value" to e->ev. */
static void event_str(gm_engine *e, const char *name, const char *value)
{
    gm_sb *sb = &e->ev;
    gm_sb_append_n(sb, ",\"", 2);
    gm_sb_append(sb, name);
    gm_sb_append_n(sb, "\":\"", 3);
    gm_sb_append_json_escaped(sb, value, strlen(value));
    gm_sb_append_char(sb, '"');
}

/* Append ,"name":value and close the event. A value the writer cannot
   encode (it cannot happen for what the graph accepted) fails the text. */
static void event_close(gm_engine *e, const char *name, const json_t *value)
{
    gm_sb *sb = &e->ev;
    if (value) {
        gm_sb_append_n(sb, ",\"", 2);
        gm_sb_append(sb, name);
        gm_sb_append_n(sb, "\":", 2);
        int rc = gm_json_write(sb, value);
        if (rc && !gm_sb_error(sb))
            sb->err = rc;
    }
    gm_sb_append_char(sb, '}');
}

/* The text of a twin graph event, as {"seq","kind","time","twin"[,"rel"][,"body"]}. */
static void twin_event_text(gm_engine *e, const gm_twin_event *ev)
{
    event_open(e, ev->seq, gm_twin_event_kind_name(ev->kind), ev->time_ns);
    event_str(e, "twin", ev->twin_id);
    if (ev->rel_id[0])
        event_str(e, "rel", ev->rel_id);
    event_close(e, "body", ev->body);
}

int engine__models_add(gm_engine *e, const json_t *docs, gm_err *err)
{
    if (!json_is_array(docs))
        return gm_err_set(err, GM_EINVAL, "models", "expected an array of DTDL documents");
    size_t n = json_array_size(docs);
    gm_dtdl_doc *d = calloc(n ? n : 1, sizeof *d);
    char (*names)[32] = calloc(n ? n : 1, sizeof *names);
    if (!d || !names) {
        free(d);
        free(names);
        return GM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "models[%zu]", i);
        d[i] = (gm_dtdl_doc){names[i], json_array_get(docs, i)};
    }
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_model_registry_add(e->models, d, n, &rep);
    if (rc == GM_EINVAL || rc == GM_EEXIST) {
        const gm_dtdl_problem *p = rep.nproblems ? &rep.problems[0] : NULL;
        if (p)
            gm_err_set(err, rc, p->where[0] ? p->where : p->file, "%s: %s (%zu problem%s)",
                       p->file, p->what, rep.nproblems + rep.dropped,
                       rep.nproblems + rep.dropped == 1 ? "" : "s");
        else if (rep.nunresolved)
            gm_err_set(err, rc, "models", "'%s' is referenced but defined nowhere (%zu unresolved)",
                       rep.unresolved[0], rep.nunresolved);
        else
            gm_err_set(err, rc, "models", "the models are invalid");
    }
    gm_dtdl_report_free(&rep);
    free(d);
    free(names);
    return rc;
}


/* Apply one request on the writer thread. Returns true when it was parked
   (completion follows durability). */
static bool apply(gm_engine *e, gm_engine_req *r)
{
    gm_err *err = &r->err;
    int64_t now = gm_time_wall_ns();
    gm_twin_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = 0;
    bool logged = false; /* e->ev holds the event already */
    const char *key = r->id ? r->id : "";
    bool change = r->op != GM_OP_TWIN_GET && r->op != GM_OP_REL_GET && r->op != GM_OP_READ &&
                  r->op != GM_OP_SNAPSHOT;
    if (change && e->failed) {
        r->status = gm_err_set(err, e->failed, e->fail_err.where, "the store has failed: %s",
                               e->fail_err.what);
        return false;
    }
    if (r->stop && atomic_load(r->stop)) {
        r->status = gm_err_set(err, GM_ECONFLICT, key,
                               "not applied: an earlier request of its group was refused");
        return false;
    }
    switch (r->op) {
    case GM_OP_MODELS_ADD: {
        /* the registry keeps what it is given: give it the engine's own copy */
        json_t *docs = json_deep_copy(r->body);
        if (!docs) {
            rc = r->body ? GM_ENOMEM : gm_err_set(err, GM_EINVAL, "models", "no documents");
        } else if (!(rc = engine__models_add(e, docs, err))) {
            gm_twin_graph_advance(e->graph);
            event_open(e, gm_twin_graph_seq(e->graph), "models.add", now);
            event_close(e, "docs", docs);
            logged = true;
            key = "models";
        }
        json_decref(docs);
        break;
    }
    case GM_OP_MODEL_DELETE:
        if (!r->id) {
            rc = gm_err_set(err, GM_EINVAL, "model", "the model's DTMI is required");
        } else if (!(rc = gm_model_registry_remove(e->models, r->id, err))) {
            gm_twin_graph_advance(e->graph);
            event_open(e, gm_twin_graph_seq(e->graph), "model.delete", now);
            event_str(e, "id", r->id);
            event_close(e, NULL, NULL);
            logged = true;
        }
        break;
    case GM_OP_TWIN_PUT:
        rc = gm_twin_put(e->graph, r->id, r->body, r->if_match, r->if_none_match, now, &ev, err);
        break;
    case GM_OP_TWIN_PATCH:
        rc = gm_twin_patch(e->graph, r->id, r->body, r->if_match, now, &ev, err);
        break;
    case GM_OP_TWIN_DELETE: rc = gm_twin_delete(e->graph, r->id, r->if_match, now, &ev, err); break;
    case GM_OP_REL_PUT:
        rc = gm_rel_put(e->graph, r->id, r->rel_id, r->body, r->if_match, r->if_none_match, now,
                        &ev, err);
        break;
    case GM_OP_REL_PATCH:
        rc = gm_rel_patch(e->graph, r->id, r->rel_id, r->body, r->if_match, now, &ev, err);
        break;
    case GM_OP_REL_DELETE:
        rc = gm_rel_delete(e->graph, r->id, r->rel_id, r->if_match, now, &ev, err);
        break;
    case GM_OP_TWIN_GET:
    case GM_OP_REL_GET: {
        const json_t *v = r->op == GM_OP_TWIN_GET ? gm_twin_get(e->graph, r->id)
                                                  : gm_rel_get(e->graph, r->id, r->rel_id);
        if (!v && r->op == GM_OP_TWIN_GET)
            rc = gm_err_set(err, GM_ENOENT, r->id ? r->id : "", "no such twin");
        else if (!v)
            rc = gm_err_set(err, GM_ENOENT, r->rel_id ? r->rel_id : "", "no such relationship");
        else if (!(r->value = json_deep_copy(v))) /* the submitter's own copy */
            rc = GM_ENOMEM;
        break;
    }
    case GM_OP_READ:
        rc = r->read ? r->read(r->read_ctx, e->graph, e->models)
                     : gm_err_set(err, GM_EINVAL, "read", "no read function");
        break;
    case GM_OP_SNAPSHOT:
        /* the store takes one snapshot at a time, in sequence order */
        engine__join_snapshot(e);
        rc = engine__snapshot(e, err);
        break;
    default: rc = gm_err_set(err, GM_EINVAL, "request", "unknown operation %d", (int)r->op);
    }
    r->status = rc;
    if (rc && r->stop)
        atomic_store(r->stop, true);
    /* a change that changed nothing (an empty patch): no event to log */
    if (!rc && change && !logged && ev.seq == 0)
        change = false;
    if (rc || !change) {
        json_decref(ev.body);
        atomic_store(&e->seq, gm_twin_graph_seq(e->graph));
        return false;
    }
    if (!logged)
        twin_event_text(e, &ev);
    json_decref(ev.body);
    r->seq = gm_twin_graph_seq(e->graph);
    rc = log_event(e, key, err);
    if (rc) {
        /* applied in memory but not logged: fail the store side for good */
        e->failed = rc;
        e->fail_err = *err;
        r->status = rc;
        if (r->stop)
            atomic_store(r->stop, true);
        return false;
    }
    /* once parked, r belongs to the committer, which may complete it (and
       its submitter free it) at any moment: r is not touched after park */
    uint64_t seq = r->seq;
    if (park(e, r)) {
        r->status = GM_ENOMEM; /* it is logged; the caller is told it may not be */
        return false;
    }
    /* durable already (the committer reported before the park)? Then no
       later report may come for it: complete it here. Otherwise the
       committer's next report sees it parked. */
    if (atomic_load(&e->durable) >= seq)
        on_durable(e, 0);
    return true;
}


/* ---- the writer thread --------------------------------------------------------------- */

/*
 * With a million twins, the few records a change touches (the index slot,
 * the id, the twin, its document) are cache misses, one after the other.
 * While it applies one request, the writer starts fetching those of the
 * next ones in its queue, one step further for each request nearer the
 * front, so that each has arrived when the next step needs it.
 */
#define LOOK_AHEAD 3

static void look_ahead(gm_engine *e)
{
    for (int step = 0; step < LOOK_AHEAD; step++) {
        void *item;
        /* step 2 for the next request, step 0 for the third */
        if (!gm_mpsc_peek(e->q, (size_t)(LOOK_AHEAD - 1 - step), &item))
            continue;
        const gm_engine_req *r = item;
        switch (r->op) { /* the requests whose id names a twin */
        case GM_OP_TWIN_PUT:
        case GM_OP_TWIN_PATCH:
        case GM_OP_TWIN_DELETE:
        case GM_OP_TWIN_GET:
        case GM_OP_REL_PUT:
        case GM_OP_REL_PATCH:
        case GM_OP_REL_DELETE:
        case GM_OP_REL_GET:
            gm_twin_prefetch(e->graph, r->id, step);
            break;
        default:
            break;
        }
    }
}

static void *writer_main(void *arg)
{
    gm_engine *e = arg;
    pthread_setname_np(pthread_self(), "gemel-writer");
    for (;;) {
        void *item;
        int rc = gm_mpsc_pop_wait(e->q, &item, -1);
        if (rc == GM_ESHUTDOWN)
            break;
        if (rc)
            continue;
        gm_engine_req *r = item;
        look_ahead(e);
        bool parked = apply(e, r);
        if (!parked)
            complete(r);
        /* a snapshot once the log since the last one holds snapshot_every
           events and as many bytes as that snapshot: writing snapshots then
           costs at most about what logging did, however big the graph, and
           recovery replays at most one snapshot's worth of log */
        if (parked && ++e->since_snapshot >= e->opts.snapshot_every && !e->failed &&
            e->log_bytes >= atomic_load(&e->snap_bytes))
            engine__snapshot_in_background(e);
        else if (e->dump && !atomic_load(&e->snapshot_running))
            engine__join_snapshot(e); /* frees the twins deleted while it ran */
    }
    /* Closing. A store must open fast however it was used, also by short
       processes (each `gemel twin` command opens and closes it), so a
       snapshot under way is finished, not cancelled; and one more is
       stored when the log since the newest holds at least
       close_snapshot_every events and as many bytes as that snapshot: the
       next open would replay more than it would load. */
    engine__join_snapshot(e);
    if (!e->failed && e->since_snapshot >= e->opts.close_snapshot_every &&
        e->log_bytes >= atomic_load(&e->snap_bytes)) {
        gm_err err;
        gm_err_clear(&err);
        if (engine__snapshot(e, &err))
            gm_log_warn("engine: no snapshot at close; the next open replays the log",
                        GM_LOG_STR("error", err.what));
    }
    return NULL;
}


/* ---- open / close --------------------------------------------------------------------- */

static void destroy(gm_engine *e)
{
    engine__bus_destroy(e->bus);
    if (e->q)
        gm_mpsc_destroy(e->q);
    gm_twin_graph_destroy(e->graph);
    gm_model_registry_destroy(e->models);
    gm_vec_free(&e->pending);
    gm_sb_free(&e->ev);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->done_mu);
    free(e);
}

gm_engine *gm_engine_open(const gm_engine_opts *opts, gm_err *err)
{
    gm_engine *e = calloc(1, sizeof *e);
    if (!e) {
        gm_err_set(err, GM_ENOMEM, "engine", "out of memory");
        return NULL;
    }
    e->opts = *opts;
    if (!e->opts.snapshot_every)
        e->opts.snapshot_every = 100000;
    if (!e->opts.queue)
        e->opts.queue = 65536;
    if (!e->opts.close_snapshot_every)
        e->opts.close_snapshot_every = 1000;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->done_mu, NULL);
    gm_vec_init(&e->pending, sizeof(gm_engine_req *));
    gm_dtdl_opts mo = {opts->allow_undefined_extensions};
    e->models = gm_model_registry_create(&mo);
    e->graph = e->models ? gm_twin_graph_create(e->models) : NULL;
    if (!e->graph) {
        gm_err_set(err, GM_ENOMEM, "engine", "out of memory");
        destroy(e);
        return NULL;
    }
    gm_store_opts so = {.on_durable = on_durable, .ctx = e, .must_exist = opts->must_exist};
    e->store = gm_store_open(opts->dir, &so, err);
    if (!e->store) {
        destroy(e);
        return NULL;
    }
    if (engine__recover(e, err) || !(e->q = gm_mpsc_create(e->opts.queue, err))) {
        gm_store_close(e->store, NULL);
        destroy(e);
        return NULL;
    }
    atomic_store(&e->seq, gm_twin_graph_seq(e->graph));
    atomic_store(&e->durable, gm_twin_graph_seq(e->graph));
    size_t kept = e->opts.events_kept ? e->opts.events_kept : 65536;
    if (!(e->bus = engine__bus_create(e->store, kept, (size_t)64 << 20,
                                      gm_twin_graph_seq(e->graph)))) {
        gm_err_set(err, GM_ENOMEM, "engine", "cannot start the event bus");
        gm_store_close(e->store, NULL);
        destroy(e);
        return NULL;
    }
    if (pthread_create(&e->writer, NULL, writer_main, e)) {
        gm_err_set(err, GM_ENOMEM, "engine", "cannot start the writer thread");
        gm_store_close(e->store, NULL);
        destroy(e);
        return NULL;
    }
    e->writer_started = true;
    return e;
}

int gm_engine_close(gm_engine *e, gm_err *err)
{
    if (!e)
        return 0;
    gm_mpsc_close(e->q);
    if (e->writer_started)
        pthread_join(e->writer, NULL);
    /* subscribers get every durable event before they are ended; the bus
       may read the log for them, so it stops while the store is open */
    gm_store_flush(e->store, GM_STORE_FLUSH_ALL, NULL);
    gm_store_counts c;
    gm_store_counts_get(e->store, &c);
    engine__bus_durable(e->bus, c.durable_seq);
    engine__bus_stop(e->bus);
    /* closing the store flushes it: the last parked requests complete */
    int rc = gm_store_close(e->store, err);
    destroy(e);
    return rc;
}

int gm_engine_submit(gm_engine *e, gm_engine_req *req)
{
    req->status = 0;
    req->seq = 0;
    req->value = NULL;
    gm_err_clear(&req->err);
    return gm_mpsc_push(e->q, req);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    void (*user_done)(void *ctx, gm_engine_req *req);
    void *user_ctx;
} waiter;

static void call_done(void *ctx, gm_engine_req *req)
{
    waiter *w = ctx;
    req->done = w->user_done;
    req->ctx = w->user_ctx;
    if (w->user_done)
        w->user_done(w->user_ctx, req);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int gm_engine_call(gm_engine *e, gm_engine_req *req)
{
    waiter w = {.done = false, .user_done = req->done, .user_ctx = req->ctx};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    req->done = call_done;
    /* the waiter outlives the request's use of it: this function returns
       only after call_done restored ctx (or the submit failed) */
    // cppcheck-suppress autoVariables
    req->ctx = &w;
    int rc = gm_engine_submit(e, req);
    if (rc) {
        req->done = w.user_done;
        req->ctx = w.user_ctx;
        req->status = gm_err_set(&req->err, rc, "engine",
                                 rc == GM_EAGAIN ? "the request queue is full"
                                                 : "the engine is shutting down");
    } else {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return req->status;
}

uint64_t gm_engine_seq(const gm_engine *e)
{
    return atomic_load(&((gm_engine *)e)->seq);
}

uint64_t gm_engine_durable_seq(const gm_engine *e)
{
    return atomic_load(&((gm_engine *)e)->durable);
}

int gm_engine_events(gm_engine *e, uint64_t after, size_t max, gm_engine_event_fn fn, void *ctx,
                     uint64_t *last, gm_err *err)
{
    if (!e)
        return gm_err_set(err, GM_EINVAL, "events", "engine NULL");
    return engine__bus_read(e->bus, after, max, fn, ctx, last, err);
}

static int probe_event(void *ctx, const gm_engine_event *ev)
{
    (void)ctx;
    (void)ev;
    return 0;
}

gm_engine_sub *gm_engine_subscribe(gm_engine *e, uint64_t after, gm_engine_event_fn on_event,
                                   gm_engine_end_fn on_end, void *ctx, gm_err *err)
{
    if (!e || !on_event) {
        gm_err_set(err, GM_EINVAL, "subscription", "engine and on_event must not be NULL");
        return NULL;
    }
    uint64_t seq = atomic_load(&e->seq);
    if (after == GM_ENGINE_NOW)
        after = seq;
    if (after > seq) {
        gm_err_set(err, GM_EINVAL, "subscription", "after %llu is beyond the last event, %llu",
                   (unsigned long long)after, (unsigned long long)seq);
        return NULL;
    }
    /* refuse at once a start that is no longer kept (reads one event) */
    if (engine__bus_read(e->bus, after, 1, probe_event, NULL, NULL, err))
        return NULL;
    return engine__bus_subscribe(e->bus, after, on_event, on_end, ctx, err);
}

void gm_engine_unsubscribe(gm_engine *e, gm_engine_sub *sub)
{
    if (e)
        engine__bus_unsubscribe(e->bus, sub);
}

void gm_engine_store_counts(gm_engine *e, gm_store_counts *out)
{
    gm_store_counts_get(e->store, out);
}

int gm_engine_snapshot(gm_engine *e, gm_err *err)
{
    gm_engine_req r;
    memset(&r, 0, sizeof r);
    r.op = GM_OP_SNAPSHOT;
    int rc = gm_engine_call(e, &r);
    if (rc && err)
        *err = r.err;
    return rc;
}
