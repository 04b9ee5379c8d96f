/*
 * recover.c: recovery at open: the newest snapshot (engine/snapshot.c
 * writes it), then every event after it, replayed in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "engine/engine_internal.h"

typedef struct recovery {
    gm_engine *e;
    gm_err *err;
} recovery;

/* The models of a snapshot, as one document array (an array of DTDL
   documents is itself a document). */
static int recover_models(gm_engine *e, json_t *models, gm_err *err)
{
    if (!json_array_size(models))
        return 0;
    json_t *docs = json_array();
    if (!docs || json_array_append(docs, models)) {
        json_decref(docs);
        return GM_ENOMEM;
    }
    int r = engine__models_add(e, docs, err);
    json_decref(docs);
    return r;
}

/* A snapshot in the format before snapshot files: one JSON object. */
static int recover_snapshot_v0(recovery *rc, const char *data, size_t len)
{
    gm_engine *e = rc->e;
    json_t *snap = gm_json_load_str(data, len, &(gm_json_limits){SIZE_MAX / 2, 256}, "snapshot",
                                    rc->err);
    if (!snap)
        return rc->err->code ? rc->err->code : GM_EINVAL;
    int r = recover_models(e, json_object_get(snap, "models"), rc->err);
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
    json_decref(snap);
    return r;
}

/* Cuts snapshot text into lines. */
typedef struct snap_in {
    const char *p, *end;
    size_t line;
    char where[48];
} snap_in;

/* The next line as JSON, or NULL with err set ("snapshot line N: ..."). */
static json_t *snap_next(snap_in *in, gm_err *err)
{
    in->line++;
    snprintf(in->where, sizeof in->where, "snapshot line %zu", in->line);
    const char *nl = in->p < in->end ? memchr(in->p, '\n', (size_t)(in->end - in->p)) : NULL;
    if (!nl) {
        gm_err_set(err, GM_EINVAL, in->where, "the snapshot ends early (expected a line)");
        return NULL;
    }
    json_t *v = gm_json_load_str(in->p, (size_t)(nl - in->p),
                                 &(gm_json_limits){SIZE_MAX / 2, 256}, in->where, err);
    in->p = nl + 1;
    return v;
}

static int recover_snapshot(void *ctx, uint64_t seq, const void *data, size_t len)
{
    recovery *rc = ctx;
    gm_engine *e = rc->e;
    snap_in in = {data, (const char *)data + len, 0, ""};
    int r;
    if (!memchr(data, '\n', len)) {
        r = recover_snapshot_v0(rc, data, len);
        goto done;
    }
    json_t *head = snap_next(&in, rc->err);
    if (!head)
        return rc->err->code;
    json_int_t n[3] = {-1, -1, -1};
    json_int_t format = 0, hseq = -1;
    if (json_unpack(head, "{s:I,s:I,s:I,s:I,s:I}", "format", &format, "seq", &hseq, "models",
                    &n[0], "twins", &n[1], "relationships", &n[2]) ||
        format != ENGINE__SNAP_FORMAT || hseq < 0 || (uint64_t)hseq != seq || n[0] < 0 || n[1] < 0 ||
        n[2] < 0) {
        json_decref(head);
        return gm_err_set(rc->err, GM_EINVAL, "snapshot line 1",
                          "expected a header of format %d for seq %llu", ENGINE__SNAP_FORMAT,
                          (unsigned long long)seq);
    }
    json_decref(head);
    json_t *models = json_array();
    if (!models)
        return GM_ENOMEM;
    r = 0;
    for (json_int_t i = 0; !r && i < n[0]; i++) {
        json_t *v = snap_next(&in, rc->err);
        r = !v ? rc->err->code : json_array_append_new(models, v) ? GM_ENOMEM : 0;
    }
    if (!r)
        r = recover_models(e, models, rc->err);
    json_decref(models);
    size_t rels_off = 0;
    for (int part = 1; part <= 2; part++) {
        if (part == 2)
            rels_off = (size_t)(in.p - (const char *)data);
        for (json_int_t i = 0; !r && i < n[part]; i++) {
            json_t *v = snap_next(&in, rc->err);
            if (!v) {
                r = rc->err->code;
                break;
            }
            r = part == 1 ? gm_twin_graph_restore_twin(e->graph, v, rc->err)
                          : gm_twin_graph_restore_rel(e->graph, v, rc->err);
            json_decref(v);
            if (r && rc->err->code) {
                /* say which line, as the parser does */
                char w[GM_ERR_WHERE_MAX];
                snprintf(w, sizeof w, "%s (%.190s)", in.where, rc->err->where);
                memcpy(rc->err->where, w, sizeof w);
            }
        }
    }
    if (!r && in.p != in.end)
        r = gm_err_set(rc->err, GM_EINVAL, "snapshot",
                       "%zu bytes after the last of the %lld lines the header announces",
                       (size_t)(in.end - in.p), (long long)(1 + n[0] + n[1] + n[2]));
    if (!r) /* the next snapshot may copy them from here */
        e->rels_at = (engine__snap_rels){true, seq, gm_twin_graph_rels_version(e->graph), rels_off,
                                 len - rels_off};
done:
    if (!r) {
        gm_twin_graph_set_seq(e->graph, seq);
        atomic_store(&e->snap_bytes, len);
    }
    return r;
}

static int recover_record(void *ctx, const gm_store_rec *rec)
{
    recovery *rc = ctx;
    gm_engine *e = rc->e;
    e->since_snapshot++; /* the log since the snapshot counts towards the next */
    e->log_bytes += rec->len;
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
        r = engine__models_add(e, json_object_get(j, "docs"), rc->err);
        if (!r)
            gm_twin_graph_advance(e->graph);
    } else if (kind && strcmp(kind, "model.delete") == 0) {
        const char *id = json_string_value(json_object_get(j, "id"));
        r = id ? gm_model_registry_remove(e->models, id, rc->err) : GM_EINVAL;
        if (!r)
            gm_twin_graph_advance(e->graph);
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

int engine__recover(gm_engine *e, gm_err *err)
{
    /* the callbacks' own error says where in the snapshot or which event;
       the store's would only say that a callback stopped the replay */
    gm_err rerr;
    gm_err_clear(&rerr);
    recovery rc = {e, &rerr};
    uint64_t last = 0;
    int r = gm_store_recover(e->store, recover_snapshot, recover_record, &rc, &last, err);
    if (r && rerr.code && err)
        *err = rerr;
    return r;
}
