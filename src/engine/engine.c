/*
 * engine.c: the writer thread, the change log and recovery.
 *
 * Phases of a change: the writer pops a request, applies it to the graph
 * (or the registry), encodes the event and submits it to the store, then
 * parks the request in `pending` (in sequence order). The store's committer
 * thread reports durable sequence numbers; every parked request up to that
 * number is completed from there. So the writer never waits for a disk, and
 * a request is never acknowledged before its event is on it.
 *
 * Events in the log are JSON: {"kind": "twin.patch", "time": ns,
 * "twin": id, "rel": id, "body": ...} for the twin graph's events,
 * {"kind": "models.add", "time": ns, "docs": [...]} and {"kind":
 * "model.delete", "time": ns, "id": DTMI} for models. A snapshot is
 * {"seq": n, "models": [...], "twins": [...], "relationships": [...]}.
 */
#include "engine/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mpsc.h"
#include "base/time.h"
#include "base/vec.h"
#include "store/store.h"

enum { EV_MODELS_ADD = 100, EV_MODEL_DELETE = 101 };

struct gm_engine {
    gm_engine_opts opts;
    gm_store *store;
    gm_model_registry *models;
    gm_twin_graph *graph;
    json_t *model_docs;     /* @id -> top-level element: what the snapshot saves */
    gm_mpsc *q;
    pthread_t writer;
    bool writer_started;
    uint64_t since_snapshot;
    _Atomic uint64_t seq;
    _Atomic uint64_t durable;
    pthread_mutex_t mu;     /* guards pending */
    pthread_mutex_t done_mu; /* one completer at a time, in order */
    gm_vec pending;         /* gm_engine_req *, in sequence order */
    size_t pending_head;
    int failed;             /* the store's error: no more changes */
    gm_err fail_err;
};

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
    pthread_mutex_lock(&e->done_mu);
    uint64_t d = atomic_load(&e->durable);
    if (seq > d)
        atomic_store(&e->durable, seq);
    else
        seq = d;
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

/* Submit the event with the graph's current sequence number; waits for
   room when the store's backlog is full. */
static int log_event(gm_engine *e, const char *key, json_t *ev, gm_err *err)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!text)
        return GM_ENOMEM;
    gm_store_rec rec = {gm_twin_graph_seq(e->graph), 0, key, strlen(key), text, strlen(text)};
    int rc;
    while ((rc = gm_store_submit(e->store, &rec, err)) == GM_EAGAIN) {
        /* group commit is behind: wait for the oldest pending record */
        gm_err_clear(err);
        rc = gm_store_flush(e->store, atomic_load(&e->durable) + 1, err);
        if (rc)
            break;
    }
    free(text);
    atomic_store(&e->seq, rec.seq);
    return rc;
}

static json_t *twin_event_json(const gm_twin_event *ev)
{
    json_t *j = json_pack("{s:s,s:I,s:s}", "kind", gm_twin_event_kind_name(ev->kind), "time",
                          (json_int_t)ev->time_ns, "twin", ev->twin_id);
    if (j && ev->rel_id[0])
        json_object_set_new(j, "rel", json_string(ev->rel_id));
    if (j && ev->body)
        json_object_set(j, "body", ev->body);
    return j;
}

/* Split documents (each an element or an array of them) into top-level
   elements, keyed by @id, into into. */
static int collect_elements(const json_t *docs, json_t *into)
{
    size_t i;
    const json_t *d;
    json_array_foreach((json_t *)docs, i, d) {
        size_t n = json_is_array(d) ? json_array_size(d) : 1;
        for (size_t k = 0; k < n; k++) {
            json_t *el = json_is_array(d) ? json_array_get(d, k) : (json_t *)d;
            const char *id = json_string_value(json_object_get(el, "@id"));
            if (id && json_object_set(into, id, el))
                return GM_ENOMEM;
        }
    }
    return 0;
}

static int models_add(gm_engine *e, const json_t *docs, gm_err *err)
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
    } else if (rc == 0) {
        rc = collect_elements(docs, e->model_docs);
    }
    gm_dtdl_report_free(&rep);
    free(d);
    free(names);
    return rc;
}

static int snapshot(gm_engine *e, gm_err *err);

/* Apply one request on the writer thread. Returns true when it was parked
   (completion follows durability). */
static bool apply(gm_engine *e, gm_engine_req *r)
{
    gm_err *err = &r->err;
    int64_t now = gm_time_wall_ns();
    gm_twin_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = 0;
    json_t *event = NULL;
    const char *key = r->id ? r->id : "";
    bool change = r->op != GM_OP_TWIN_GET && r->op != GM_OP_REL_GET && r->op != GM_OP_READ &&
                  r->op != GM_OP_SNAPSHOT;
    if (change && e->failed) {
        r->status = gm_err_set(err, e->failed, e->fail_err.where, "the store has failed: %s",
                               e->fail_err.what);
        return false;
    }
    switch (r->op) {
    case GM_OP_MODELS_ADD: {
        /* the registry keeps what it is given: give it the engine's own copy */
        json_t *docs = json_deep_copy(r->body);
        if (!docs) {
            rc = r->body ? GM_ENOMEM : gm_err_set(err, GM_EINVAL, "models", "no documents");
        } else if (!(rc = models_add(e, docs, err))) {
            gm_twin_graph_advance(e->graph);
            event = json_pack("{s:s,s:I,s:O}", "kind", "models.add", "time", (json_int_t)now,
                              "docs", docs);
            key = "models";
        }
        json_decref(docs);
        break;
    }
    case GM_OP_MODEL_DELETE:
        if (!r->id) {
            rc = gm_err_set(err, GM_EINVAL, "model", "the model's DTMI is required");
        } else if (!(rc = gm_model_registry_remove(e->models, r->id, err))) {
            json_object_del(e->model_docs, r->id);
            gm_twin_graph_advance(e->graph);
            event = json_pack("{s:s,s:I,s:s}", "kind", "model.delete", "time", (json_int_t)now,
                              "id", r->id);
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
        if (!v)
            rc = gm_err_set(err, GM_ENOENT, r->id ? r->id : "", "not found");
        else if (!(r->value = json_deep_copy(v))) /* the submitter's own copy */
            rc = GM_ENOMEM;
        break;
    }
    case GM_OP_READ:
        rc = r->read ? r->read(r->read_ctx, e->graph, e->models)
                     : gm_err_set(err, GM_EINVAL, "read", "no read function");
        break;
    case GM_OP_SNAPSHOT: rc = snapshot(e, err); break;
    default: rc = gm_err_set(err, GM_EINVAL, "request", "unknown operation %d", (int)r->op);
    }
    r->status = rc;
    if (rc || !change) {
        json_decref(ev.body);
        atomic_store(&e->seq, gm_twin_graph_seq(e->graph));
        return false;
    }
    if (!event)
        event = twin_event_json(&ev);
    json_decref(ev.body);
    if (!event) {
        /* applied in memory but not loggable: fail the store side for good */
        e->failed = GM_ENOMEM;
        gm_err_set(&e->fail_err, GM_ENOMEM, "engine", "out of memory encoding an event");
        r->status = GM_ENOMEM;
        return false;
    }
    r->seq = gm_twin_graph_seq(e->graph);
    rc = log_event(e, key, event, err);
    if (rc) {
        e->failed = rc;
        e->fail_err = *err;
        r->status = rc;
        return false;
    }
    if (park(e, r)) {
        r->status = GM_ENOMEM; /* it is logged; the caller is told it may not be */
        return false;
    }
    /* durable already (the committer reported before the park)? */
    on_durable(e, 0);
    return true;
}

/* ---- snapshots ------------------------------------------------------------------------ */

static int add_to_array(void *ctx, const json_t *v)
{
    return json_array_append((json_t *)ctx, (json_t *)v) ? GM_ENOMEM : 0;
}

static int snapshot(gm_engine *e, gm_err *err)
{
    json_t *models = json_array(), *twins = json_array(), *rels = json_array();
    int rc = GM_ENOMEM;
    if (!models || !twins || !rels)
        goto done;
    const char *k;
    json_t *v;
    json_object_foreach(e->model_docs, k, v) {
        if (json_array_append(models, v))
            goto done;
    }
    if (gm_twin_each(e->graph, add_to_array, twins) || gm_rel_each(e->graph, add_to_array, rels))
        goto done;
    uint64_t seq = gm_twin_graph_seq(e->graph);
    json_t *snap = json_pack("{s:I,s:O,s:O,s:O}", "seq", (json_int_t)seq, "models", models,
                             "twins", twins, "relationships", rels);
    char *text = snap ? json_dumps(snap, JSON_COMPACT) : NULL;
    json_decref(snap);
    if (!text)
        goto done;
    rc = gm_store_snapshot(e->store, seq, text, strlen(text), err);
    free(text);
    e->since_snapshot = 0;
done:
    json_decref(models);
    json_decref(twins);
    json_decref(rels);
    return rc;
}

/* ---- the writer thread --------------------------------------------------------------- */

static void *writer_main(void *arg)
{
    gm_engine *e = arg;
    for (;;) {
        void *item;
        int rc = gm_mpsc_pop_wait(e->q, &item, -1);
        if (rc == GM_ESHUTDOWN)
            break;
        if (rc)
            continue;
        gm_engine_req *r = item;
        bool parked = apply(e, r);
        if (!parked)
            complete(r);
        if (parked && ++e->since_snapshot >= e->opts.snapshot_every && !e->failed) {
            gm_err serr;
            gm_err_clear(&serr);
            if (snapshot(e, &serr)) {
                e->failed = serr.code ? serr.code : GM_EIO;
                e->fail_err = serr;
            }
        }
    }
    return NULL;
}

/* ---- recovery ---------------------------------------------------------------------------- */

typedef struct recovery {
    gm_engine *e;
    gm_err *err;
} recovery;

static int recover_snapshot(void *ctx, uint64_t seq, const void *data, size_t len)
{
    recovery *rc = ctx;
    gm_engine *e = rc->e;
    json_t *snap = gm_json_load_str(data, len, &(gm_json_limits){SIZE_MAX / 2, 256}, "snapshot",
                                    rc->err);
    if (!snap)
        return rc->err->code ? rc->err->code : GM_EINVAL;
    int r = 0;
    json_t *models = json_object_get(snap, "models");
    if (json_array_size(models)) {
        json_t *docs = json_array();
        if (!docs || json_array_append(docs, models)) {
            json_decref(docs);
            json_decref(snap);
            return GM_ENOMEM;
        }
        r = models_add(e, docs, rc->err);
        json_decref(docs);
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(snap, "twins"), i, v) {
        if (r)
            break;
        r = gm_twin_graph_restore_twin(e->graph, v, rc->err);
    }
    json_array_foreach(json_object_get(snap, "relationships"), i, v) {
        if (r)
            break;
        r = gm_twin_graph_restore_rel(e->graph, v, rc->err);
    }
    gm_twin_graph_set_seq(e->graph, seq);
    json_decref(snap);
    return r;
}

static int recover_record(void *ctx, const gm_store_rec *rec)
{
    recovery *rc = ctx;
    gm_engine *e = rc->e;
    json_t *j = gm_json_load_str(rec->data, rec->len, &(gm_json_limits){SIZE_MAX / 2, 256},
                                 "event", rc->err);
    if (!j)
        return rc->err->code ? rc->err->code : GM_EINVAL;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    int r;
    if (rec->seq != gm_twin_graph_seq(e->graph) + 1) {
        r = gm_err_set(rc->err, GM_EINVAL, "recovery", "event %llu does not follow %llu",
                       (unsigned long long)rec->seq,
                       (unsigned long long)gm_twin_graph_seq(e->graph));
    } else if (kind && strcmp(kind, "models.add") == 0) {
        r = models_add(e, json_object_get(j, "docs"), rc->err);
        if (!r)
            gm_twin_graph_advance(e->graph);
    } else if (kind && strcmp(kind, "model.delete") == 0) {
        const char *id = json_string_value(json_object_get(j, "id"));
        r = id ? gm_model_registry_remove(e->models, id, rc->err) : GM_EINVAL;
        if (!r) {
            json_object_del(e->model_docs, id);
            gm_twin_graph_advance(e->graph);
        }
    } else {
        gm_twin_event ev;
        memset(&ev, 0, sizeof ev);
        int k = gm_twin_event_kind_parse(kind);
        const char *twin = json_string_value(json_object_get(j, "twin"));
        const char *relid = json_string_value(json_object_get(j, "rel"));
        if (k < 0 || !twin) {
            r = gm_err_set(rc->err, GM_EINVAL, "recovery", "event %llu: unknown kind '%s'",
                           (unsigned long long)rec->seq, kind ? kind : "");
        } else {
            ev.seq = rec->seq;
            ev.time_ns = (int64_t)json_integer_value(json_object_get(j, "time"));
            ev.kind = (gm_twin_event_kind)k;
            snprintf(ev.twin_id, sizeof ev.twin_id, "%s", twin);
            snprintf(ev.rel_id, sizeof ev.rel_id, "%s", relid ? relid : "");
            ev.body = json_object_get(j, "body");
            r = gm_twin_graph_replay(e->graph, &ev, rc->err);
        }
    }
    if (r && rc->err->code == 0)
        gm_err_set(rc->err, r, "recovery", "event %llu could not be applied",
                   (unsigned long long)rec->seq);
    json_decref(j);
    return r;
}

/* ---- open / close --------------------------------------------------------------------- */

static void destroy(gm_engine *e)
{
    if (e->q)
        gm_mpsc_destroy(e->q);
    gm_twin_graph_destroy(e->graph);
    gm_model_registry_destroy(e->models);
    json_decref(e->model_docs);
    gm_vec_free(&e->pending);
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
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->done_mu, NULL);
    gm_vec_init(&e->pending, sizeof(gm_engine_req *));
    gm_dtdl_opts mo = {opts->allow_undefined_extensions};
    e->models = gm_model_registry_create(&mo);
    e->graph = e->models ? gm_twin_graph_create(e->models) : NULL;
    e->model_docs = json_object();
    if (!e->graph || !e->model_docs) {
        gm_err_set(err, GM_ENOMEM, "engine", "out of memory");
        destroy(e);
        return NULL;
    }
    gm_store_opts so = {.on_durable = on_durable, .ctx = e};
    e->store = gm_store_open(opts->dir, &so, err);
    if (!e->store) {
        destroy(e);
        return NULL;
    }
    recovery rc = {e, err};
    uint64_t last = 0;
    if (gm_store_recover(e->store, recover_snapshot, recover_record, &rc, &last, err) ||
        !(e->q = gm_mpsc_create(e->opts.queue, err))) {
        gm_store_close(e->store, NULL);
        destroy(e);
        return NULL;
    }
    atomic_store(&e->seq, gm_twin_graph_seq(e->graph));
    atomic_store(&e->durable, gm_twin_graph_seq(e->graph));
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
