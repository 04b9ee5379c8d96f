/*
 * graph.c: the twin graph itself: creating and destroying it, ids and
 * ETags, events, checking members against models, traversal, restoring
 * from a snapshot and replaying the change log. The other parts of the
 * graph are in files of their own (graph_internal.h lists them).
 */
#include "twin/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/map.h"
#include "base/time.h"
#include "twin/graph_internal.h"

static const char *const event_names[] = {
    "twin.create", "twin.replace", "twin.patch", "twin.delete",
    "relationship.create", "relationship.replace", "relationship.patch", "relationship.delete",
};

const char *gm_twin_event_kind_name(gm_twin_event_kind k)
{
    return (unsigned)k < sizeof event_names / sizeof event_names[0] ? event_names[k] : "?";
}

int gm_twin_event_kind_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof event_names / sizeof event_names[0]; i++)
        if (strcmp(s, event_names[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- create / destroy ------------------------------------------------------------ */

static bool model_in_use(void *ctx, const char *id)
{
    const gm_twin_graph *g = ctx;
    void *v;
    return gm_map_sget(g->bymodel, id, strlen(id), &v) && ((bucket *)v)->ntwins > 0;
}

gm_twin_graph *gm_twin_graph_create(gm_model_registry *models)
{
    gm_twin_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->models = models;
    g->twins = gm_map_create(GM_MAP_STR);
    g->bymodel = gm_map_create(GM_MAP_STR);
    if (!g->twins || !g->bymodel) {
        gm_twin_graph_destroy(g);
        return NULL;
    }
    gm_model_registry_set_in_use(models, model_in_use, g);
    return g;
}

void twin__free(twin *t)
{
    size_t pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it))
        twin__free_rel(it.val);
    gm_map_destroy(t->out);
    gm_vec_free(&t->in);
    json_decref(t->doc);
    free(t->due);
    if (t->vals_heap)
        free(t->vals);
    free(t);
}

void gm_twin_graph_destroy(gm_twin_graph *g)
{
    if (!g)
        return;
    gm_twin_dump_end(g->dump); /* its graveyard */
    size_t pos = 0;
    gm_map_item it;
    while (g->twins && gm_map_next(g->twins, &pos, &it))
        twin__free(it.val);
    pos = 0;
    while (g->bymodel && gm_map_next(g->bymodel, &pos, &it))
        twin__free_bucket(it.val);
    gm_map_destroy(g->twins);
    gm_map_destroy(g->bymodel);
    if (g->models)
        gm_model_registry_set_in_use(g->models, NULL, NULL);
    free(g);
}

uint64_t gm_twin_graph_seq(const gm_twin_graph *g)
{
    return g->seq;
}

uint64_t gm_twin_graph_rels_version(const gm_twin_graph *g)
{
    return g->rels_version;
}

size_t gm_twin_graph_twins(const gm_twin_graph *g)
{
    return gm_map_len(g->twins);
}

size_t gm_twin_graph_relationships(const gm_twin_graph *g)
{
    return g->nrels;
}

/* ---- helpers ----------------------------------------------------------------------- */

void gm_twin_prefetch(const gm_twin_graph *g, const char *id, int step)
{
    if (!id)
        return;
    if (step < 2) {
        gm_map_sprefetch(g->twins, id, strlen(id), step);
        return;
    }
    const twin *t = twin__find(g, id);
    if (t) {
        __builtin_prefetch(t->due);
        __builtin_prefetch(t->doc);
    }
}

rel *twin__find_rel(const twin *t, const char *rel_id)
{
    void *v;
    return t && t->out && rel_id && gm_map_sget(t->out, rel_id, strlen(rel_id), &v) ? v : NULL;
}

void twin__etag_of(uint64_t seq, char *buf, size_t n)
{
    snprintf(buf, n, "W/\"%016llx\"", (unsigned long long)seq);
}

json_t *twin__time_json(int64_t ns)
{
    char buf[GM_TIME_RFC3339_MAX];
    if (gm_time_format_rfc3339(ns, 0, 9, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "1970-01-01T00:00:00Z");
    return json_string(buf);
}

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it is
   not one: overlong forms, surrogates and code points above U+10FFFF are
   not (RFC 3629), as jansson, which stores the ids in documents, refuses
   them too. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || /* overlong, surrogates */
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))   /* overlong, > U+10FFFF */
        return 0;
    return len;
}

int twin__check_id(const char *id, const char *what, gm_err *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > GM_TWIN_ID_MAX)
        return gm_err_set(err, GM_EINVAL, what, "an id of 1 to %d bytes is required",
                          GM_TWIN_ID_MAX);
    const unsigned char *u = (const unsigned char *)id;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x20)
            return gm_err_set(err, GM_EINVAL, what, "control characters are not allowed in ids");
        size_t k = utf8_len(u + i, n - i);
        if (k == 0)
            return gm_err_set(err, GM_EINVAL, what, "an id must be valid UTF-8 (byte %zu is not)",
                              i + 1);
        i += k;
    }
    return 0;
}

/* If-Match against the current ETag cur (NULL: none). */
int twin__match_etag(const char *cur, const char *if_match, const char *id, gm_err *err)
{
    if (!if_match || strcmp(if_match, "*") == 0)
        return 0;
    if (!cur || strcmp(cur, if_match))
        return gm_err_set(err, GM_ECONFLICT, id, "If-Match %s does not match the current ETag %s",
                          if_match, cur ? cur : "(none)");
    return 0;
}

int twin__check_etag(const json_t *doc, const char *if_match, const char *id, gm_err *err)
{
    return twin__match_etag(json_string_value(json_object_get(doc, "$etag")), if_match, id, err);
}

void twin__event_init(gm_twin_event *ev, uint64_t seq, int64_t now, gm_twin_event_kind k,
                       const char *twin_id, const char *rel_id, json_t *body)
{
    if (!ev) {
        json_decref(body);
        return;
    }
    ev->seq = seq;
    ev->time_ns = now;
    ev->kind = k;
    snprintf(ev->twin_id, sizeof ev->twin_id, "%s", twin_id);
    snprintf(ev->rel_id, sizeof ev->rel_id, "%s", rel_id ? rel_id : "");
    ev->body = body;
}

bool twin__only_tests(const json_t *patch)
{
    size_t i;
    const json_t *op;
    json_array_foreach(patch, i, op) {
        if (strcmp(json_string_value(json_object_get(op, "op")), "test"))
            return false;
    }
    return true;
}

void twin__no_event(gm_twin_event *ev)
{
    if (ev)
        memset(ev, 0, sizeof *ev);
}

/* ---- validation against the model ----------------------------------------------------- */

/* Check member name = v of a twin of interface iface (or of a component's
   interface); path names it. */
int twin__check_member(const gm_twin_graph *g, const gm_model_iface *iface, const char *name,
                        const json_t *v, const char *path, bool in_component, gm_err *err)
{
    const gm_model_content *c = gm_model_iface_find(iface, name);
    if (!c)
        return gm_err_set(err, GM_EINVAL, path, "%s declares no property or component '%s'",
                          iface->id, name);
    if (c->kind == GM_CONTENT_PROPERTY)
        return gm_schema_check(c->schema, v, path, err);
    if (c->kind != GM_CONTENT_COMPONENT || in_component)
        return gm_err_set(err, GM_EINVAL, path, "'%s' is a %s of %s; a twin holds properties%s",
                          name, gm_content_kind_name(c->kind), iface->id,
                          in_component ? "" : " and components");
    if (!json_is_object(v))
        return gm_err_set(err, GM_EINVAL, path, "component '%s' must be an object, found %s", name,
                          gm_json_type_name(v));
    const gm_model_iface *ci = gm_model_registry_get(g->models, c->component);
    if (!ci)
        return gm_err_set(err, GM_EINVAL, path, "component interface %s is not loaded",
                          c->component);
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        char p[GM_ERR_WHERE_MAX];
        gm_json_path_key(p, sizeof p, path, k);
        if (strcmp(k, "$metadata") == 0) {
            if (!json_is_object(x))
                return gm_err_set(err, GM_EINVAL, p, "expected an object");
            continue;
        }
        int rc = twin__check_member(g, ci, k, x, p, true, err);
        if (rc)
            return rc;
    }
    return 0;
}

bool twin__is_component(const gm_model_iface *iface, const char *name)
{
    const gm_model_content *c = gm_model_iface_find(iface, name);
    return c && c->kind == GM_CONTENT_COMPONENT;
}

/* ---- traversal --------------------------------------------------------------------------- */

int gm_twin_each(const gm_twin_graph *g, int (*fn)(void *ctx, const json_t *twin), void *ctx)
{
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(g->twins, &pos, &it)) {
        int rc = fn(ctx, twin__doc(it.val));
        if (rc)
            return rc;
    }
    return 0;
}

int gm_twin_each_of_model(const gm_twin_graph *g, const char *model,
                          int (*fn)(void *ctx, const json_t *twin), void *ctx)
{
    const bucket *b = model ? gm_twin_bucket_of(g, model) : NULL;
    for (size_t i = 0; b && i < b->nchunks; i++) {
        const chunk *c = b->chunks[i];
        for (size_t k = 0; k < c->n; k++) {
            int rc = fn(ctx, twin__doc(c->t[k]));
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- restoring ------------------------------------------------------------------------ */

void gm_twin_graph_set_seq(gm_twin_graph *g, uint64_t seq)
{
    g->seq = seq;
}

void gm_twin_graph_advance(gm_twin_graph *g)
{
    g->seq++;
}

int gm_twin_graph_restore_twin(gm_twin_graph *g, const json_t *doc, gm_err *err)
{
    const char *id = json_string_value(json_object_get(doc, "$dtId"));
    const char *model = json_string_value(json_object_get(json_object_get(doc, "$metadata"), "$model"));
    if (!id || !model || twin__check_id(id, "$dtId", NULL))
        return gm_err_set(err, GM_EINVAL, "snapshot", "a twin without $dtId or $metadata.$model");
    if (twin__find(g, id))
        return gm_err_set(err, GM_EEXIST, id, "twin '%s' twice in the snapshot", id);
    if (!gm_model_registry_get(g->models, model))
        return gm_err_set(err, GM_EINVAL, id, "model %s is not loaded", model);
    bucket *b = twin__get_bucket(g, model, true);
    twin *t = b ? twin__new(b, id) : NULL;
    if (!t)
        goto nomem;
    t->doc = json_incref((json_t *)doc); /* the snapshot's tree is the caller's to give */
    twin__refresh_all(t);
    if (twin__index_model(b, t))
        goto nomem;
    if (gm_map_sput(g->twins, id, strlen(id), t)) {
        twin__unindex_model(b, t);
        goto nomem;
    }
    return 0;
nomem:
    if (t)
        twin__free(t);
    return GM_ENOMEM;
}

/* ---- replay ---------------------------------------------------------------------------- */

int gm_twin_graph_replay(gm_twin_graph *g, const gm_twin_event *ev, gm_err *err)
{
    if (ev->seq != g->seq + 1)
        return gm_err_set(err, GM_EINVAL, "replay", "event %llu follows %llu: a gap or a repeat",
                          (unsigned long long)ev->seq, (unsigned long long)g->seq);
    const char *rid = ev->rel_id;
    switch (ev->kind) {
    case GM_EV_TWIN_CREATE:
    case GM_EV_TWIN_REPLACE:
        return gm_twin_put(g, ev->twin_id, ev->body, NULL, NULL, ev->time_ns, NULL, err);
    case GM_EV_TWIN_PATCH:
        return gm_twin_patch(g, ev->twin_id, ev->body, NULL, ev->time_ns, NULL, err);
    case GM_EV_TWIN_DELETE: return gm_twin_delete(g, ev->twin_id, NULL, ev->time_ns, NULL, err);
    case GM_EV_REL_CREATE:
    case GM_EV_REL_REPLACE:
        return gm_rel_put(g, ev->twin_id, rid, ev->body, NULL, NULL, ev->time_ns, NULL, err);
    case GM_EV_REL_PATCH:
        return gm_rel_patch(g, ev->twin_id, rid, ev->body, NULL, ev->time_ns, NULL, err);
    case GM_EV_REL_DELETE: return gm_rel_delete(g, ev->twin_id, rid, NULL, ev->time_ns, NULL, err);
    }
    return gm_err_set(err, GM_EINVAL, "replay", "unknown event kind %d", (int)ev->kind);
}

