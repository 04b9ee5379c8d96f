/*
 * twins.c: twins: create or replace (put), get, JSON Patch, delete.
 *
 * A patch is applied in place with an undo log, then the touched members
 * are validated and the patch reverted when one is invalid: an invalid
 * patch changes nothing, and a valid one costs what it touches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/map.h"
#include "twin/graph.h"
#include "twin/graph_internal.h"
#include "twin/patch.h"

/* Check a whole twin (a request body, or a stored document) against
   iface: the system members are only $dtId, $etag and $metadata; every
   other member is a Property or Component of iface with a conforming
   value; every Component is there. A PUT and a patch that changes the
   model both check with this, so a twin's model can only change to one
   it conforms to as a whole. */
static int check_twin(const gm_twin_graph *g, const gm_model_iface *iface, const json_t *body,
                      gm_err *err)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (k[0] == '$') {
            if (strcmp(k, "$dtId") && strcmp(k, "$etag") && strcmp(k, "$metadata"))
                return gm_err_set(err, GM_EINVAL, k, "unknown system member '%s'", k);
            continue;
        }
        int rc = twin__check_member(g, iface, k, v, k, false, err);
        if (rc)
            return rc;
    }
    /* components are part of the twin: each must be there */
    for (size_t i = 0; i < iface->ncontents; i++) {
        const gm_model_content *c = &iface->contents[i];
        if (c->kind == GM_CONTENT_COMPONENT && !json_object_get(body, c->name))
            return gm_err_set(err, GM_EINVAL, c->name,
                              "component '%s' of %s is missing (give at least {\"$metadata\": {}})",
                              c->name, iface->id);
    }
    return 0;
}

/* Build the stored document of a twin from a request body. */
static int build_twin(const gm_twin_graph *g, const char *id, const json_t *body, uint64_t seq,
                      int64_t now, json_t **out, const char **model_out, gm_err *err)
{
    if (!json_is_object(body))
        return gm_err_set(err, GM_EINVAL, id, "a twin is a JSON object, found %s",
                          gm_json_type_name(body));
    const json_t *md = json_object_get(body, "$metadata");
    const char *model = json_string_value(json_object_get(md, "$model"));
    if (!model)
        return gm_err_set(err, GM_EINVAL, "$metadata.$model", "a twin needs its model's DTMI");
    const gm_model_iface *iface = gm_model_registry_get(g->models, model);
    if (!iface)
        return gm_err_set(err, GM_EINVAL, "$metadata.$model", "model %s is not loaded", model);
    const json_t *dtid = json_object_get(body, "$dtId");
    if (dtid && (!json_is_string(dtid) || strcmp(json_string_value(dtid), id)))
        return gm_err_set(err, GM_EINVAL, "$dtId", "must be the twin's id '%s'", id);
    int rc = check_twin(g, iface, body, err);
    if (rc)
        return rc;
    json_t *doc = json_object(), *meta = json_object(), *ts = twin__time_json(now);
    char etag[40];
    twin__etag_of(seq, etag, sizeof etag);
    rc = GM_ENOMEM;
    if (!doc || !meta || !ts || json_object_set_new(doc, "$dtId", json_string(id)) ||
        json_object_set_new(doc, "$etag", json_string(etag)) ||
        json_object_set_new(meta, "$model", json_string(model)) ||
        json_object_set(meta, "$lastUpdateTime", ts))
        goto fail;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (k[0] == '$')
            continue;
        json_t *copy = json_deep_copy(v);
        if (!copy || json_object_set_new(doc, k, copy)) {
            rc = GM_ENOMEM;
            goto fail;
        }
        if (twin__is_component(iface, k)) {
            if ((rc = twin__component_metadata(copy, NULL, ts)))
                goto fail;
        } else if ((rc = twin__touch(meta, k, ts))) {
            goto fail;
        }
    }
    if (json_object_set_new(doc, "$metadata", meta)) {
        meta = NULL;
        goto fail;
    }
    *out = doc;
    *model_out = iface->id;
    json_decref(ts);
    return 0;
fail:
    json_decref(ts);
    json_decref(meta);
    json_decref(doc);
    return rc;
}

int gm_twin_put(gm_twin_graph *g, const char *id, const json_t *body, const char *if_match,
                const char *if_none_match, int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    int rc = twin__check_id(id, "$dtId", err);
    if (rc)
        return rc;
    twin *t = twin__find(g, id);
    if (t && if_none_match && strcmp(if_none_match, "*") == 0)
        return gm_err_set(err, GM_EEXIST, id, "the twin exists (If-None-Match: *)");
    if (t && (rc = twin__check_twin_etag(t, if_match, id, err)))
        return rc;
    if (!t && if_match && strcmp(if_match, "*"))
        return gm_err_set(err, GM_ENOENT, id, "no such twin to match If-Match");
    json_t *doc = NULL;
    const char *model = NULL;
    if ((rc = build_twin(g, id, body, g->seq + 1, now_ns, &doc, &model, err)))
        return rc;
    /* the document changes in place later (patches): the event keeps a copy */
    json_t *evbody = json_deep_copy(doc);
    if (!evbody) {
        json_decref(doc);
        return GM_ENOMEM;
    }
    if (t) {
        twin__dump_guard(t, false);
        if (strcmp(t->b->model, model)) {
            if (t->in.len || (t->out && gm_map_len(t->out)))
                rc = gm_err_set(err, GM_ECONFLICT, id, "changing the model of a twin with "
                                                       "relationships is not supported");
            else
                rc = twin__move(g, t, model);
            if (rc) { /* t stays as it was: not the fail path, which frees a new twin */
                json_decref(doc);
                json_decref(evbody);
                return rc;
            }
        }
        json_decref(t->doc);
        t->doc = doc;
        free(t->due); /* the new document has its own metadata */
        t->due = NULL;
        twin__refresh_all(t);
        g->seq++;
        twin__event_init(ev, g->seq, now_ns, GM_EV_TWIN_REPLACE, id, NULL, evbody);
        return 0;
    }
    bucket *b = twin__get_bucket(g, model, true);
    if (!b || !(t = twin__new(b, id))) {
        rc = GM_ENOMEM;
        goto fail;
    }
    t->doc = doc;
    doc = NULL;
    twin__refresh_all(t);
    if (twin__index_model(b, t)) {
        rc = GM_ENOMEM;
        goto fail;
    }
    if (gm_map_sput(g->twins, id, strlen(id), t)) {
        twin__unindex_model(b, t);
        rc = GM_ENOMEM;
        goto fail;
    }
    g->seq++;
    twin__event_init(ev, g->seq, now_ns, GM_EV_TWIN_CREATE, id, NULL, evbody);
    return 0;
fail:
    if (t)
        twin__free(t);
    json_decref(doc);
    json_decref(evbody);
    return rc;
}

const json_t *gm_twin_get(const gm_twin_graph *g, const char *id)
{
    const twin *t = twin__find(g, id);
    return t ? twin__doc(t) : NULL;
}

const char *gm_twin_model(const gm_twin_graph *g, const char *id)
{
    const twin *t = twin__find(g, id);
    return t ? t->b->model : NULL;
}

/* The members a patch touches (with the sub-member when the path goes one
   level deeper, for component metadata). Most patches twin__touch one or two:
   they live on the stack. */
#define MAX_TOUCHED 64

typedef twin__touched touched;

/* The member the op's pointer `key` (path or from) addresses, and the
   sub-member one level down, into *t; 1 when the op has no such pointer.
   The root and system members ($dtId, $etag, $metadata) are refused. */
int twin__patch_target(const json_t *op, const char *key, size_t i, touched *t, gm_err *err)
{
    const char *ptr = json_string_value(json_object_get(op, key));
    if (!ptr)
        return 1; /* absent ("from" of most ops) */
    gm_pointer p;
    size_t len = 0;
    if (gm_pointer_parse(ptr, &p, NULL) || p.depth == 0 ||
        (gm_pointer_token(&p, 0, &len), len >= sizeof t->name))
        return gm_err_set(err, GM_EINVAL, "patch", "[%zu]: '%s' must name a member of the twin",
                          i, ptr);
    memcpy(t->name, gm_pointer_token(&p, 0, NULL), len + 1);
    t->sub[0] = '\0';
    if (p.depth > 1) {
        const char *sub = gm_pointer_token(&p, 1, &len);
        if (len < sizeof t->sub)
            memcpy(t->sub, sub, len + 1);
    }
    if (t->name[0] == '$')
        return gm_err_set(err, GM_EINVAL, "patch", "[%zu]: '%s' is managed by gemel and cannot "
                                                    "be patched", i, ptr);
    return 0;
}

static int note_touched(touched *list, size_t *n, const touched *t, size_t i, gm_err *err)
{
    if (t->sub[0] == '$')
        return gm_err_set(err, GM_EINVAL, "patch", "[%zu]: '%s' is managed by gemel and "
                                                    "cannot be patched", i, t->sub);
    for (size_t k = 0; k < *n; k++)
        if (strcmp(list[k].name, t->name) == 0) {
            if (strcmp(list[k].sub, t->sub))
                list[k].sub[0] = '\0'; /* several sub-members: treat as whole */
            return 0;
        }
    if (*n == MAX_TOUCHED)
        return gm_err_set(err, GM_ELIMIT, "patch", "a patch may change at most %d members of a "
                                                    "twin", MAX_TOUCHED);
    list[(*n)++] = *t;
    return 0;
}

/* The one system member a twin patch may address: the twin's model. The
   tokens "$metadata" and "$model" hold no '/' or '~', so this is the only
   way to write that pointer. */
#define MODEL_PTR "/$metadata/$model"

/* Whether op i addresses the twin's model: 1 when it does and may (a
   replace or add with a string, which sets *changes, or a test), 0 when
   its path is another, an error for any other op on the model. */
static int model_op(const json_t *op, size_t i, bool *changes, gm_err *err)
{
    const char *path = json_string_value(json_object_get(op, "path"));
    if (!path || strcmp(path, MODEL_PTR))
        return 0;
    const char *name = json_string_value(json_object_get(op, "op"));
    if (strcmp(name, "test") == 0)
        return 1;
    if (strcmp(name, "replace") && strcmp(name, "add"))
        return gm_err_set(err, GM_EINVAL, "patch",
                          "[%zu]: '" MODEL_PTR "' is managed by gemel and cannot be patched "
                          "with %s (replace it, or test it)", i, name);
    const json_t *v = json_object_get(op, "value");
    if (!json_is_string(v))
        return gm_err_set(err, GM_EINVAL, "patch",
                          "[%zu]: '" MODEL_PTR "' takes a model DTMI (a string), found %s", i,
                          gm_json_type_name(v));
    *changes = true;
    return 1;
}

/* Whether twin t, patched to model (not its bucket's), may change to it:
   the model is loaded, the whole document conforms to it as a new twin's
   would (so every member the new model does not declare must have been
   removed by the patch), and the relationships allow it. */
static int check_remodel(const gm_twin_graph *g, const twin *t, const char *model,
                         const gm_model_iface **niface, gm_err *err)
{
    const gm_model_iface *to = gm_model_registry_get(g->models, model);
    if (!to)
        return gm_err_set(err, GM_EINVAL, "$metadata.$model", "model %s is not loaded", model);
    int rc = check_twin(g, to, t->doc, err);
    if (rc || (rc = twin__check_model_rels(g, t, to, err)))
        return rc;
    *niface = to;
    return 0;
}

/* After a model change, a member that went from Property to Component or
   back keeps its metadata where a PUT would put it: a component's in its
   own "$metadata", a property's in the twin's. */
static int remodel_metadata(json_t *doc, const gm_model_iface *from, const gm_model_iface *to,
                            json_t *ts)
{
    json_t *meta = json_object_get(doc, "$metadata");
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if (k[0] == '$')
            continue;
        bool comp = twin__is_component(to, k);
        if (comp == twin__is_component(from, k))
            continue;
        int rc;
        if (comp) {
            json_object_del(meta, k);
            rc = twin__component_metadata(v, NULL, ts);
        } else {
            rc = twin__touch(meta, k, ts);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Update the metadata of the touched members after a valid patch. */
static int patch_metadata(json_t *doc, const gm_model_iface *iface, const touched *list,
                          size_t n, json_t *ts)
{
    json_t *meta = json_object_get(doc, "$metadata");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(doc, list[i].name);
        int rc;
        if (!v) {
            json_object_del(meta, list[i].name);
            rc = 0;
        } else if (twin__is_component(iface, list[i].name))
            rc = twin__component_metadata(v, list[i].sub[0] ? list[i].sub : NULL, ts);
        else
            rc = twin__touch(meta, list[i].name, ts);
        if (rc)
            return rc;
    }
    return json_object_set(meta, "$lastUpdateTime", ts) ? GM_ENOMEM : 0;
}

/*
 * A patch is applied in place, keeping its undo log; the members it touched
 * are then validated and the patch reverted if any is invalid. So a valid
 * patch costs what it touches, and nothing is copied. A patch that changes
 * the model is the exception: the whole twin and its relationships are
 * checked against the new model, and the twin moves to its bucket.
 */
int gm_twin_patch(gm_twin_graph *g, const char *id, const json_t *patch, const char *if_match,
                  int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    twin *t = twin__find(g, id);
    if (!t)
        return gm_err_set(err, GM_ENOENT, id, "no such twin");
    int rc = twin__check_twin_etag(t, if_match, id, err);
    if (rc)
        return rc;
    if ((rc = gm_patch_check(patch, err)))
        return rc;
    const gm_model_iface *iface = gm_model_registry_get(g->models, t->b->model);
    if (!iface)
        return gm_err_set(err, GM_EINVAL, id, "model %s is not loaded", t->b->model);
    touched list[MAX_TOUCHED];
    size_t nt = 0;
    bool remodel = false;
    size_t n = json_array_size(patch);
    for (size_t i = 0; i < n; i++) {
        const json_t *op = json_array_get(patch, i);
        int m = model_op(op, i, &remodel, err);
        if (m < 0)
            return m;
        if (m > 0)
            continue; /* replace, add and test have no "from" */
        for (int k = 0; k < 2; k++) {
            touched target;
            int r = twin__patch_target(op, k ? "from" : "path", i, &target, err);
            if (r < 0)
                return r;
            if (r == 0 && (rc = note_touched(list, &nt, &target, i, err)))
                return rc;
        }
    }
    /* Nothing to change (no operation, or only tests): the tests are
       evaluated, and the twin, its ETag and the sequence number stay. */
    if (twin__only_tests(patch)) {
        gm_patch_undo *undo;
        if ((rc = gm_patch_apply_undo(&t->doc, patch, &undo, err)))
            return rc;
        gm_patch_undo_free(undo); /* tests change nothing: nothing to undo */
        twin__no_event(ev);
        return 0;
    }
    /* Deferred metadata when every touched member is a top-level property
       with a slot that the twin had before the patch (so its metadata entry
       exists and keeps its place in $metadata) and still has after it, and
       the model stays. */
    int slot[MAX_TOUCHED];
    bool defer = nt > 0 && !remodel; /* a new model: new slots, new metadata */
    for (size_t i = 0; i < nt && defer; i++) {
        slot[i] = list[i].sub[0] ? -1 : twin__slot_of(t->b, list[i].name);
        defer = slot[i] >= 0 && t->vals[slot[i]].kind != GM_TV_ABSENT;
    }
    twin__dump_guard(t, false);
    if (!defer)
        twin__settle(t); /* before anything can move t to another bucket's slots */
    gm_patch_undo *undo;
    if ((rc = gm_patch_apply_undo(&t->doc, patch, &undo, err)))
        return rc;
    const gm_model_iface *niface = iface;
    if (remodel) {
        /* the model is what the last op on it left (ops only put strings there) */
        const char *model =
            json_string_value(json_object_get(json_object_get(t->doc, "$metadata"), "$model"));
        remodel = model && strcmp(model, t->b->model);
        /* moving the twin is the last step that can fail: nothing to undo after it */
        if (remodel && !(rc = check_remodel(g, t, model, &niface, err)))
            rc = twin__move(g, t, niface->id);
    }
    for (size_t i = 0; i < nt && !remodel; i++) {
        json_t *v = json_object_get(t->doc, list[i].name);
        if (!v) {
            if (twin__is_component(iface, list[i].name)) {
                rc = gm_err_set(err, GM_EINVAL, list[i].name, "component '%s' cannot be removed",
                                list[i].name);
                break;
            }
            continue;
        }
        if ((rc = twin__check_member(g, iface, list[i].name, v, list[i].name, false, err)))
            break;
    }
    if (rc) {
        if (gm_patch_revert(undo))
            gm_err_set(err, GM_EINTERNAL, id, "out of memory undoing a refused patch");
        /* the revert puts back the very values the cache still points at;
           but should it have failed, the document is not what it was */
        for (size_t i = 0; i < nt; i++)
            twin__refresh_member(t, list[i].name);
        return rc;
    }
    gm_patch_undo_free(undo);
    if (remodel) /* the new bucket's slots */
        twin__refresh_all(t);
    for (size_t i = 0; i < nt && !remodel; i++) {
        if (!defer) {
            twin__refresh_member(t, list[i].name);
            continue;
        }
        twin__set_value(&t->vals[slot[i]], json_object_get(t->doc, list[i].name)); /* slot known */
        defer = t->vals[slot[i]].kind != GM_TV_ABSENT;
    }
    if (defer)
        defer = twin__defer(t, g->seq + 1, now_ns, slot, nt);
    if (!defer) {
        /* the change stands from here on: it becomes an event even if, out
           of memory, its metadata could not all be updated */
        twin__settle(t); /* when the deferral itself ran out of memory */
        char etag[40];
        twin__etag_of(g->seq + 1, etag, sizeof etag);
        json_t *ts = twin__time_json(now_ns);
        if (ts && !patch_metadata(t->doc, niface, list, nt, ts) && remodel)
            remodel_metadata(t->doc, iface, niface, ts);
        json_decref(ts);
        json_object_set_new(t->doc, "$etag", json_string(etag));
    }
    g->seq++;
    /* the event shares the caller's patch: it is read, never changed */
    twin__event_init(ev, g->seq, now_ns, GM_EV_TWIN_PATCH, id, NULL, json_incref((json_t *)patch));
    return 0;
}

/* Take t out of the graph. While a dump runs, its struct lives on (the
   dump's list of twins holds it) until the dump ends: the caller has
   reserved its place in the graveyard. */
static void remove_twin(gm_twin_graph *g, twin *t)
{
    gm_map_sdel(g->twins, t->id, strlen(t->id), NULL);
    twin__unindex_model(t->b, t);
    if (g->dump)
        twin__dump_bury(g->dump, t);
    else
        twin__free(t);
}

int gm_twin_delete(gm_twin_graph *g, const char *id, const char *if_match, int64_t now_ns,
                   gm_twin_event *ev, gm_err *err)
{
    twin *t = twin__find(g, id);
    if (!t)
        return gm_err_set(err, GM_ENOENT, id, "no such twin");
    int rc = twin__check_twin_etag(t, if_match, id, err);
    if (rc)
        return rc;
    size_t nout = t->out ? gm_map_len(t->out) : 0;
    if (nout || t->in.len)
        return gm_err_set(err, GM_ECONFLICT, id,
                          "%zu relationship%s leave%s it and %zu reach%s it; delete them first",
                          nout, nout == 1 ? "" : "s", nout == 1 ? "s" : "", t->in.len,
                          t->in.len == 1 ? "es" : "");
    if (g->dump && twin__dump_reserve_grave(g->dump))
        return GM_ENOMEM;
    twin__dump_guard(t, false);
    twin__dump_guard(t, true);
    char idc[GM_TWIN_ID_MAX + 1];
    snprintf(idc, sizeof idc, "%s", id);
    remove_twin(g, t);
    g->seq++;
    twin__event_init(ev, g->seq, now_ns, GM_EV_TWIN_DELETE, idc, NULL, NULL);
    return 0;
}

