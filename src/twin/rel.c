/*
 * rel.c: relationships: create or replace, get, patch, delete, checked
 * against the source twin's model (name, target, properties,
 * maxMultiplicity); traversal and restoring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/map.h"
#include "twin/graph.h"
#include "twin/graph_internal.h"
#include "twin/patch.h"

/* Before any change to src's outgoing relationships. */
static void rels_change(twin *src)
{
    src->b->g->rels_version++;
    twin__dump_guard(src, true);
}

/* ---- relationships against their models ---------------------------------------------- */

static const gm_model_content *rel_property(const gm_model_content *r, const char *name)
{
    for (size_t i = 0; i < r->nproperties; i++)
        if (strcmp(r->properties[i].name, name) == 0)
            return &r->properties[i];
    return NULL;
}

static int check_rel_member(const gm_model_content *r, const char *k, const json_t *v,
                            gm_err *err)
{
    const gm_model_content *p = rel_property(r, k);
    if (!p)
        return gm_err_set(err, GM_EINVAL, k, "relationship '%s' declares no property '%s'",
                          r->name, k);
    return gm_schema_check(p->schema, v, k, err);
}

static size_t count_named(const twin *t, const char *name, const rel *except)
{
    size_t n = 0, pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it)) {
        const rel *r = it.val;
        if (r != except &&
            strcmp(json_string_value(json_object_get(r->doc, "$relationshipName")), name) == 0)
            n++;
    }
    return n;
}

/* The declaration of relationship name in source model (iface: the model
   as loaded, NULL when it is not), or NULL with err set (GM_EINVAL). */
static const gm_model_content *rel_declared(const gm_model_iface *iface, const char *model,
                                            const char *name, gm_err *err)
{
    const gm_model_content *c = iface && name ? gm_model_iface_find(iface, name) : NULL;
    if (!c || c->kind != GM_CONTENT_RELATIONSHIP) {
        gm_err_set(err, GM_EINVAL, "$relationshipName", "%s declares no relationship '%s'", model,
                   name ? name : "");
        return NULL;
    }
    return c;
}

/* Whether relationship rd (named name) may reach twin target_id of model
   target_model: its declared target, when it names one, is that model or
   a base of it. */
static int rel_target_ok(const gm_twin_graph *g, const gm_model_content *rd, const char *name,
                         const char *target_id, const char *target_model, gm_err *err)
{
    if (rd->target && !gm_model_registry_is_a(g->models, target_model, rd->target))
        return gm_err_set(err, GM_EINVAL, "$targetId", "'%s' is a %s; relationship '%s' targets %s",
                          target_id, target_model, name, rd->target);
    return 0;
}

/* Whether twin t's relationships allow its model to become niface (the
   same rules as gm_rel_put): each outgoing one is a Relationship of
   niface that may reach its target, with its properties and its number
   within the new declaration; each incoming one's declared target, when
   it names one, accepts niface. Errors name the relationship. */
int twin__check_model_rels(const gm_twin_graph *g, const twin *t, const gm_model_iface *niface,
                            gm_err *err)
{
    size_t pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it)) {
        const rel *r = it.val;
        const char *name = json_string_value(json_object_get(r->doc, "$relationshipName"));
        /* a relationship to itself reaches the new model too */
        const char *tmodel = r->tgt == t ? niface->id : r->tgt->b->model;
        const gm_model_content *rd = rel_declared(niface, niface->id, name, err);
        int rc = rd ? rel_target_ok(g, rd, name, r->tgt->id, tmodel, err) : GM_EINVAL;
        if (!rc) {
            const char *k;
            const json_t *v;
            json_object_foreach(r->doc, k, v) {
                if (k[0] != '$' && (rc = check_rel_member(rd, k, v, err)))
                    break;
            }
        }
        if (!rc && rd->max_multiplicity >= 0) {
            size_t n = count_named(t, name, NULL);
            if (n > (size_t)rd->max_multiplicity)
                rc = gm_err_set(err, GM_EINVAL, "$relationshipName",
                                "'%s' has %zu '%s' relationships; %s allows %ld (maxMultiplicity)",
                                t->id, n, name, niface->id, rd->max_multiplicity);
        }
        if (rc) {
            gm_err_prefix(err, "relationship '%s' of '%s'", r->id, t->id);
            return rc;
        }
    }
    for (size_t i = 0; i < t->in.len; i++) {
        const rel *r = ((rel *const *)t->in.data)[i];
        if (r->src == t)
            continue; /* checked above, as outgoing */
        const char *name = json_string_value(json_object_get(r->doc, "$relationshipName"));
        const gm_model_content *rd =
            rel_declared(gm_model_registry_get(g->models, r->src->b->model), r->src->b->model,
                         name, err);
        int rc = rd ? rel_target_ok(g, rd, name, t->id, niface->id, err) : GM_EINVAL;
        if (rc) {
            gm_err_prefix(err, "relationship '%s' of '%s'", r->id, r->src->id);
            return rc;
        }
    }
    return 0;
}

void twin__free_rel(rel *r)
{
    free(r->id);
    json_decref(r->doc);
    free(r);
}

/* ---- relationships ----------------------------------------------------------------------- */

static void unlink_in(rel *r)
{
    rel **a = r->tgt->in.data;
    size_t last = r->tgt->in.len - 1;
    a[r->in_pos] = a[last];
    a[r->in_pos]->in_pos = r->in_pos;
    r->tgt->in.len--;
}

int gm_rel_put(gm_twin_graph *g, const char *src, const char *rel_id, const json_t *body,
               const char *if_match, const char *if_none_match, int64_t now_ns, gm_twin_event *ev,
               gm_err *err)
{
    int rc = twin__check_id(rel_id, "$relationshipId", err);
    if (rc)
        return rc;
    twin *s = twin__find(g, src);
    if (!s)
        return gm_err_set(err, GM_ENOENT, src ? src : "", "no such twin (the relationship's source)");
    if (!json_is_object(body))
        return gm_err_set(err, GM_EINVAL, rel_id, "a relationship is a JSON object, found %s",
                          gm_json_type_name(body));
    rel *old = twin__find_rel(s, rel_id);
    if (old && if_none_match && strcmp(if_none_match, "*") == 0)
        return gm_err_set(err, GM_EEXIST, rel_id, "the relationship exists (If-None-Match: *)");
    if (old && (rc = twin__check_etag(old->doc, if_match, rel_id, err)))
        return rc;
    if (!old && if_match && strcmp(if_match, "*"))
        return gm_err_set(err, GM_ENOENT, rel_id, "no such relationship to match If-Match");
    const char *name = json_string_value(json_object_get(body, "$relationshipName"));
    const char *target = json_string_value(json_object_get(body, "$targetId"));
    if (!name)
        return gm_err_set(err, GM_EINVAL, "$relationshipName", "a string is required");
    if (!target)
        return gm_err_set(err, GM_EINVAL, "$targetId", "a string is required");
    const json_t *x = json_object_get(body, "$relationshipId");
    if (x && (!json_is_string(x) || strcmp(json_string_value(x), rel_id)))
        return gm_err_set(err, GM_EINVAL, "$relationshipId", "must be '%s'", rel_id);
    x = json_object_get(body, "$sourceId");
    if (x && (!json_is_string(x) || strcmp(json_string_value(x), src)))
        return gm_err_set(err, GM_EINVAL, "$sourceId", "must be '%s'", src);
    const gm_model_content *rd =
        rel_declared(gm_model_registry_get(g->models, s->b->model), s->b->model, name, err);
    if (!rd)
        return GM_EINVAL;
    twin *t = twin__find(g, target);
    if (!t)
        return gm_err_set(err, GM_EINVAL, "$targetId", "no target twin '%s'", target);
    if ((rc = rel_target_ok(g, rd, name, target, t->b->model, err)))
        return rc;
    if (rd->max_multiplicity >= 0 &&
        count_named(s, name, old) + 1 > (size_t)rd->max_multiplicity)
        return gm_err_set(err, GM_EINVAL, "$relationshipName",
                          "'%s' already has %ld '%s' relationships (maxMultiplicity)", src,
                          rd->max_multiplicity, name);
    char etag[40];
    twin__etag_of(g->seq + 1, etag, sizeof etag);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s}", "$relationshipId", rel_id, "$etag", etag,
                            "$sourceId", src, "$relationshipName", name, "$targetId", target);
    if (!doc)
        return GM_ENOMEM;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (k[0] == '$') {
            if (strcmp(k, "$relationshipId") && strcmp(k, "$sourceId") &&
                strcmp(k, "$relationshipName") && strcmp(k, "$targetId") && strcmp(k, "$etag")) {
                json_decref(doc);
                return gm_err_set(err, GM_EINVAL, k, "unknown system member '%s'", k);
            }
            continue;
        }
        if ((rc = check_rel_member(rd, k, v, err)) ||
            json_object_set_new(doc, k, json_deep_copy(v))) {
            json_decref(doc);
            return rc ? rc : GM_ENOMEM;
        }
    }
    rels_change(s);
    rel *r = old;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r || !(r->id = strdup(rel_id)) ||
            (!s->out && !(s->out = gm_map_create(GM_MAP_STR)))) {
            if (r)
                free(r->id);
            free(r);
            json_decref(doc);
            return GM_ENOMEM;
        }
        r->src = s;
    } else {
        unlink_in(r);
        json_decref(r->doc);
    }
    r->doc = doc;
    r->tgt = t;
    r->in_pos = t->in.len;
    if (gm_vec_push(&t->in, &r) || (!old && gm_map_sput(s->out, rel_id, strlen(rel_id), r))) {
        /* out of memory half-way: drop the relationship entirely */
        if (t->in.len && ((rel **)t->in.data)[t->in.len - 1] == r)
            t->in.len--;
        if (old) {
            gm_map_sdel(s->out, rel_id, strlen(rel_id), NULL);
            g->nrels--;
        }
        twin__free_rel(r);
        return GM_ENOMEM;
    }
    if (!old)
        g->nrels++;
    g->seq++;
    twin__event_init(ev, g->seq, now_ns, old ? GM_EV_REL_REPLACE : GM_EV_REL_CREATE, src, rel_id,
               json_incref(doc));
    return 0;
}

const json_t *gm_rel_get(const gm_twin_graph *g, const char *src, const char *rel_id)
{
    const rel *r = twin__find_rel(twin__find(g, src), rel_id);
    return r ? r->doc : NULL;
}

int gm_rel_patch(gm_twin_graph *g, const char *src, const char *rel_id, const json_t *patch,
                 const char *if_match, int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    twin *s = twin__find(g, src);
    rel *r = twin__find_rel(s, rel_id);
    if (!r)
        return gm_err_set(err, GM_ENOENT, rel_id ? rel_id : "", "no such relationship");
    int rc = twin__check_etag(r->doc, if_match, rel_id, err);
    if (rc || (rc = gm_patch_check(patch, err)))
        return rc;
    size_t n = json_array_size(patch);
    for (size_t i = 0; i < n; i++) {
        const json_t *op = json_array_get(patch, i);
        for (int k = 0; k < 2; k++) {
            twin__touched target;
            int r2 = twin__patch_target(op, k ? "from" : "path", i, &target, err);
            if (r2 < 0)
                return r2;
        }
    }
    const gm_model_iface *iface = gm_model_registry_get(g->models, s->b->model);
    const char *name = json_string_value(json_object_get(r->doc, "$relationshipName"));
    const gm_model_content *rd = iface ? gm_model_iface_find(iface, name) : NULL;
    if (!rd)
        return gm_err_set(err, GM_EINVAL, rel_id, "model %s is not loaded", s->b->model);
    json_t *w = json_deep_copy(r->doc); /* relationships are small */
    if (!w)
        return GM_ENOMEM;
    if ((rc = gm_patch_apply(&w, patch, err))) {
        json_decref(w);
        return rc;
    }
    if (twin__only_tests(patch)) { /* they passed: nothing changes, no event */
        json_decref(w);
        twin__no_event(ev);
        return 0;
    }
    const char *k;
    json_t *v;
    json_object_foreach(w, k, v) {
        if (k[0] != '$' && (rc = check_rel_member(rd, k, v, err))) {
            json_decref(w);
            return rc;
        }
    }
    char etag[40];
    twin__etag_of(g->seq + 1, etag, sizeof etag);
    if (json_object_set_new(w, "$etag", json_string(etag))) {
        json_decref(w);
        return GM_ENOMEM;
    }
    rels_change(s);
    json_decref(r->doc);
    r->doc = w;
    g->seq++;
    /* as for twins, the event shares the caller's patch */
    twin__event_init(ev, g->seq, now_ns, GM_EV_REL_PATCH, src, rel_id, json_incref((json_t *)patch));
    return 0;
}

int gm_rel_delete(gm_twin_graph *g, const char *src, const char *rel_id, const char *if_match,
                  int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    twin *s = twin__find(g, src);
    rel *r = twin__find_rel(s, rel_id);
    if (!r)
        return gm_err_set(err, GM_ENOENT, rel_id ? rel_id : "", "no such relationship");
    int rc = twin__check_etag(r->doc, if_match, rel_id, err);
    if (rc)
        return rc;
    rels_change(s);
    char rid[GM_TWIN_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", rel_id);
    gm_map_sdel(s->out, rid, strlen(rid), NULL);
    unlink_in(r);
    twin__free_rel(r);
    g->nrels--;
    g->seq++;
    twin__event_init(ev, g->seq, now_ns, GM_EV_REL_DELETE, s->id, rid, NULL);
    return 0;
}

int gm_rel_each_out(const gm_twin_graph *g, const char *id, const char *name,
                    int (*fn)(void *ctx, const json_t *rel), void *ctx)
{
    const twin *t = twin__find(g, id);
    size_t pos = 0;
    gm_map_item it;
    while (t && t->out && gm_map_next(t->out, &pos, &it)) {
        const rel *r = it.val;
        if (name && strcmp(json_string_value(json_object_get(r->doc, "$relationshipName")), name))
            continue;
        int rc = fn(ctx, r->doc);
        if (rc)
            return rc;
    }
    return 0;
}

int gm_rel_each_in(const gm_twin_graph *g, const char *id,
                   int (*fn)(void *ctx, const json_t *rel), void *ctx)
{
    const twin *t = twin__find(g, id);
    for (size_t i = 0; t && i < t->in.len; i++) {
        int rc = fn(ctx, ((rel *const *)t->in.data)[i]->doc);
        if (rc)
            return rc;
    }
    return 0;
}

int gm_rel_each(const gm_twin_graph *g, int (*fn)(void *ctx, const json_t *rel), void *ctx)
{
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(g->twins, &pos, &it)) {
        const twin *t = it.val;
        size_t p2 = 0;
        gm_map_item r;
        while (t->out && gm_map_next(t->out, &p2, &r)) {
            int rc = fn(ctx, ((const rel *)r.val)->doc);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int gm_twin_graph_restore_rel(gm_twin_graph *g, const json_t *doc, gm_err *err)
{
    const char *id = json_string_value(json_object_get(doc, "$relationshipId"));
    twin *s = twin__find(g, json_string_value(json_object_get(doc, "$sourceId")));
    twin *t = twin__find(g, json_string_value(json_object_get(doc, "$targetId")));
    if (!id || !s || !t || !json_is_string(json_object_get(doc, "$relationshipName")))
        return gm_err_set(err, GM_EINVAL, "snapshot", "a relationship without its id, name, or "
                                                      "existing source and target");
    if (twin__find_rel(s, id))
        return gm_err_set(err, GM_EEXIST, id, "relationship '%s' twice in the snapshot", id);
    rel *r = calloc(1, sizeof *r);
    if (!r || !(r->id = strdup(id)) || !(r->doc = json_incref((json_t *)doc)) ||
        (!s->out && !(s->out = gm_map_create(GM_MAP_STR))))
        goto nomem;
    r->src = s;
    r->tgt = t;
    r->in_pos = t->in.len;
    if (gm_vec_push(&t->in, &r))
        goto nomem;
    if (gm_map_sput(s->out, id, strlen(id), r)) {
        t->in.len--;
        goto nomem;
    }
    g->nrels++;
    g->rels_version++;
    return 0;
nomem:
    if (r)
        twin__free_rel(r);
    return GM_ENOMEM;
}

