/*
 * graph.c: twins and relationships in memory, validated against the model
 * registry.
 *
 * Each twin is its stored JSON document plus indexes: by id, by model
 * (exact DTMI; a query for a base model unions the models that extend it),
 * outgoing relationships by id and incoming ones. A patch is applied in
 * place with an undo log, then the touched members are validated and the
 * patch reverted when one is invalid: an invalid patch changes nothing,
 * and a valid one costs what it touches.
 *
 * The model index is a bucket per DTMI holding its twins sorted by $dtId
 * in chunks of at most CHUNK_MAX pointers (a two-level sorted array: a
 * first page of a query stops after page_size + 1 matches, and a
 * continuation seeks to its key). Each twin caches the values of its
 * bucket's slot members next to its struct, so a query reads a number
 * without walking jansson's hash table. The cache is never updated by
 * deltas: whatever changed the document, the touched slots are read again
 * from it (refresh_*), so it cannot disagree with the JSON.
 *
 * Deferred metadata. A patch that only sets top-level properties with a
 * value slot (the telemetry-like case, by far the most frequent) writes
 * just the values into the document; the new $etag and the lastUpdateTime
 * stamps wait in the twin's `due` until something reads the document
 * (twin_doc). In jansson each stamp is a hash-table update three objects
 * deep, and they were half the cost of such a patch; a reader sees exactly
 * the document an immediate update would have made.
 */
#include "twin/graph.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/json.h"
#include "base/map.h"
#include "base/time.h"
#include "base/vec.h"
#include "twin/patch.h"

typedef struct gm_twin_rec twin;
typedef struct gm_twin_bucket bucket;

typedef struct rel {
    char *id;
    twin *src, *tgt;
    json_t *doc;
    size_t in_pos; /* index in tgt->in */
} rel;

/* Metadata not yet written into a twin's document (see "Deferred metadata"). */
typedef struct meta_due {
    uint64_t etag_seq; /* $etag is etag_of(etag_seq) */
    int64_t ns;        /* $metadata.$lastUpdateTime */
    uint32_t mask;     /* bit i: slot i's property was set at slot_ns[i] */
    int64_t slot_ns[GM_TWIN_SLOTS_MAX];
} meta_due;

_Static_assert(GM_TWIN_SLOTS_MAX <= 32, "meta_due.mask has a bit per slot");

/* One allocation: the struct, then vcap cached values, then the id. */
struct gm_twin_rec {
    bucket *b;           /* its model's */
    gm_twin_value *vals; /* b->nslots values: after the struct, or on the heap (vals_heap) */
    json_t *doc;         /* read it through twin_doc, which writes `due` in first */
    meta_due *due;       /* NULL, or metadata the document does not show yet */
    gm_map *out;         /* relationship id -> rel *, created on first use */
    gm_vec in;           /* rel * */
    const char *id;
    uint32_t vcap;       /* values the inline area holds */
    /* what the running dump has written of it (see "Dumps") */
    _Atomic uint32_t doc_gen, rels_gen;
    bool vals_heap;
};

#define CHUNK_MAX 512 /* twins per chunk of a bucket */
#define CHUNK_MIN 4   /* the first allocation: a model with one twin costs little */

typedef struct chunk {
    uint32_t n, cap;
    twin *t[]; /* sorted by id */
} chunk;

/* The twins of one model, and the members their values cache. A bucket
   lives as long as the graph; its slots are chosen again (the model may
   have been replaced) only while it is empty. */
struct gm_twin_bucket {
    gm_twin_graph *g;
    char *model;
    size_t ntwins;
    size_t nchunks, cap;
    chunk **chunks; /* non-empty, ordered: every id in chunks[i] < every id in chunks[i + 1] */
    size_t nslots;
    char *slots[GM_TWIN_SLOTS_MAX]; /* member names */
};

struct gm_twin_graph {
    gm_model_registry *models;
    gm_map *twins;   /* id -> twin * */
    gm_map *bymodel; /* model DTMI -> bucket * */
    size_t nrels;
    uint64_t seq;
    uint64_t rels_version; /* changes with every relationship change (gm_twin_graph_rels_version) */
    uint32_t dump_gen;   /* the generation of the latest dump */
    gm_twin_dump *dump;  /* the running one, or NULL */
};

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

static void free_rel(rel *r)
{
    free(r->id);
    json_decref(r->doc);
    free(r);
}

static void free_twin(twin *t)
{
    size_t pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it))
        free_rel(it.val);
    gm_map_destroy(t->out);
    gm_vec_free(&t->in);
    json_decref(t->doc);
    free(t->due);
    if (t->vals_heap)
        free(t->vals);
    free(t);
}

static void clear_slots(bucket *b)
{
    for (size_t i = 0; i < b->nslots; i++)
        free(b->slots[i]);
    b->nslots = 0;
}

static void free_bucket(bucket *b)
{
    for (size_t i = 0; i < b->nchunks; i++)
        free(b->chunks[i]);
    free(b->chunks);
    clear_slots(b);
    free(b->model);
    free(b);
}

void gm_twin_graph_destroy(gm_twin_graph *g)
{
    if (!g)
        return;
    gm_twin_dump_end(g->dump); /* its graveyard */
    size_t pos = 0;
    gm_map_item it;
    while (g->twins && gm_map_next(g->twins, &pos, &it))
        free_twin(it.val);
    pos = 0;
    while (g->bymodel && gm_map_next(g->bymodel, &pos, &it))
        free_bucket(it.val);
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

static twin *find_twin(const gm_twin_graph *g, const char *id)
{
    void *v;
    return id && gm_map_sget(g->twins, id, strlen(id), &v) ? v : NULL;
}

void gm_twin_prefetch(const gm_twin_graph *g, const char *id, int step)
{
    if (!id)
        return;
    if (step < 2) {
        gm_map_sprefetch(g->twins, id, strlen(id), step);
        return;
    }
    const twin *t = find_twin(g, id);
    if (t) {
        __builtin_prefetch(t->due);
        __builtin_prefetch(t->doc);
    }
}

static rel *find_rel(const twin *t, const char *rel_id)
{
    void *v;
    return t && t->out && rel_id && gm_map_sget(t->out, rel_id, strlen(rel_id), &v) ? v : NULL;
}

static void etag_of(uint64_t seq, char *buf, size_t n)
{
    snprintf(buf, n, "W/\"%016llx\"", (unsigned long long)seq);
}

static json_t *time_json(int64_t ns)
{
    char buf[GM_TIME_RFC3339_MAX];
    if (gm_time_format_rfc3339(ns, 0, 9, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "1970-01-01T00:00:00Z");
    return json_string(buf);
}

static int check_id(const char *id, const char *what, gm_err *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > GM_TWIN_ID_MAX)
        return gm_err_set(err, GM_EINVAL, what, "an id of 1 to %d bytes is required",
                          GM_TWIN_ID_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20)
            return gm_err_set(err, GM_EINVAL, what, "control characters are not allowed in ids");
    return 0;
}

/* If-Match against the current ETag cur (NULL: none). */
static int match_etag(const char *cur, const char *if_match, const char *id, gm_err *err)
{
    if (!if_match || strcmp(if_match, "*") == 0)
        return 0;
    if (!cur || strcmp(cur, if_match))
        return gm_err_set(err, GM_ECONFLICT, id, "If-Match %s does not match the current ETag %s",
                          if_match, cur ? cur : "(none)");
    return 0;
}

static int check_etag(const json_t *doc, const char *if_match, const char *id, gm_err *err)
{
    return match_etag(json_string_value(json_object_get(doc, "$etag")), if_match, id, err);
}

static void event_init(gm_twin_event *ev, uint64_t seq, int64_t now, gm_twin_event_kind k,
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

/* ---- validation against the model ----------------------------------------------------- */

/* Check member name = v of a twin of interface iface (or of a component's
   interface); path names it. */
static int check_member(const gm_twin_graph *g, const gm_model_iface *iface, const char *name,
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
        int rc = check_member(g, ci, k, x, p, true, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Set metadata[name].lastUpdateTime to the time string ts (shared). */
static int touch(json_t *metadata, const char *name, json_t *ts)
{
    json_t *m = json_object_get(metadata, name);
    if (json_is_object(m)) /* the usual case: update it where it is */
        return json_object_set(m, "lastUpdateTime", ts) ? GM_ENOMEM : 0;
    m = json_object();
    if (!m || json_object_set(m, "lastUpdateTime", ts) || json_object_set_new(metadata, name, m))
        return GM_ENOMEM;
    return 0;
}

/* Write the due metadata d of a twin of bucket b into doc, as the patches
   that deferred it would have. Out of memory, doc keeps what could be
   written (as after an immediate update that ran out). */
static void write_due(json_t *doc, const meta_due *d, const bucket *b)
{
    json_t *meta = json_object_get(doc, "$metadata");
    json_t *ts = NULL;
    int64_t ts_ns = 0;
    for (size_t i = 0; i < b->nslots; i++) {
        if (!(d->mask & (UINT32_C(1) << i)))
            continue;
        if (!ts || ts_ns != d->slot_ns[i]) {
            json_decref(ts);
            ts = time_json(ts_ns = d->slot_ns[i]);
        }
        if (ts)
            touch(meta, b->slots[i], ts);
    }
    if (!ts || ts_ns != d->ns) {
        json_decref(ts);
        ts = time_json(d->ns);
    }
    if (ts)
        json_object_set(meta, "$lastUpdateTime", ts);
    json_decref(ts);
    char etag[40];
    etag_of(d->etag_seq, etag, sizeof etag);
    json_object_set_new(doc, "$etag", json_string(etag));
}

static void dump_guard(twin *t, bool rels);
static void rels_change(twin *src);
/* Before any change to src's outgoing relationships. */
static void rels_change(twin *src)
{
    src->b->g->rels_version++;
    dump_guard(src, true);
}

static int dump_reserve_grave(gm_twin_dump *d);
static void dump_bury(gm_twin_dump *d, twin *t);

/* Write t's due metadata into its document; nothing stays due. */
static void settle_here(twin *t)
{
    meta_due *d = t->due;
    if (!d)
        return;
    t->due = NULL;
    write_due(t->doc, d, t->b);
    free(d);
}

/* settle_here, once a running dump has what the document was. */
static void settle(twin *t)
{
    if (!t->due)
        return;
    dump_guard(t, false);
    settle_here(t);
}

/* t's document, with every deferred stamp in it. Reading settles: the
   graph is the same, only its representation changes, so readers of a
   const graph may call it. */
static json_t *twin_doc(const twin *t)
{
    if (t->due)
        settle((twin *)t);
    return t->doc;
}

/* If-Match against t's current ETag, due or written. */
static int check_twin_etag(const twin *t, const char *if_match, const char *id, gm_err *err)
{
    if (!t->due)
        return check_etag(t->doc, if_match, id, err);
    char cur[40];
    etag_of(t->due->etag_seq, cur, sizeof cur);
    return match_etag(cur, if_match, id, err);
}

/* Give component value v (owned by the document) its "$metadata", with
   every property touched at ts (sub NULL) or only sub. */
static int component_metadata(json_t *v, const char *sub, json_t *ts)
{
    json_t *md = json_object_get(v, "$metadata");
    if (!json_is_object(md)) {
        md = json_object();
        if (!md || json_object_set_new(v, "$metadata", md))
            return GM_ENOMEM;
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (k[0] == '$' || (sub && strcmp(k, sub)))
            continue;
        if (touch(md, k, ts))
            return GM_ENOMEM;
    }
    /* a removed sub-property loses its metadata */
    if (sub && !json_object_get(v, sub))
        json_object_del(md, sub);
    return 0;
}

static bool is_component(const gm_model_iface *iface, const char *name)
{
    const gm_model_content *c = gm_model_iface_find(iface, name);
    return c && c->kind == GM_CONTENT_COMPONENT;
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
static int check_model_rels(const gm_twin_graph *g, const twin *t, const gm_model_iface *niface,
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

/* ---- the value cache ----------------------------------------------------------------- */

static bool primitive_schema(const gm_schema *sc)
{
    if (!sc)
        return false;
    switch (sc->kind) {
    case GM_SCHEMA_BOOLEAN:
    case GM_SCHEMA_DATE:
    case GM_SCHEMA_DATETIME:
    case GM_SCHEMA_DOUBLE:
    case GM_SCHEMA_DURATION:
    case GM_SCHEMA_FLOAT:
    case GM_SCHEMA_INTEGER:
    case GM_SCHEMA_LONG:
    case GM_SCHEMA_STRING:
    case GM_SCHEMA_TIME:
    case GM_SCHEMA_ENUM: return true;
    default: return false;
    }
}

/* Choose the bucket's slots from its model as loaded now (b is empty).
   Out of memory, the bucket caches fewer members or none, which is
   still correct: an uncached member is read from the document. */
static void choose_slots(const gm_twin_graph *g, bucket *b)
{
    clear_slots(b);
    const gm_model_iface *iface = gm_model_registry_get(g->models, b->model);
    for (size_t i = 0; iface && i < iface->ncontents && b->nslots < GM_TWIN_SLOTS_MAX; i++) {
        const gm_model_content *c = &iface->contents[i];
        if (c->kind != GM_CONTENT_PROPERTY || !primitive_schema(c->schema))
            continue;
        if (!(b->slots[b->nslots] = strdup(c->name)))
            return;
        b->nslots++;
    }
}

static void set_value(gm_twin_value *v, const json_t *j)
{
    v->len = 0;
    v->u.i = 0;
    if (!j) {
        v->kind = GM_TV_ABSENT;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_NULL: v->kind = GM_TV_NULL; break;
    case JSON_FALSE: v->kind = GM_TV_FALSE; break;
    case JSON_TRUE: v->kind = GM_TV_TRUE; break;
    case JSON_INTEGER:
        v->kind = GM_TV_INT;
        v->u.i = (int64_t)json_integer_value(j);
        break;
    case JSON_REAL:
        v->kind = GM_TV_REAL;
        v->u.r = json_real_value(j);
        break;
    case JSON_STRING:
        if (json_string_length(j) <= UINT32_MAX) {
            v->kind = GM_TV_STRING;
            v->len = (uint32_t)json_string_length(j);
            v->u.s = json_string_value(j);
        } else { /* too long for len */
            v->kind = GM_TV_JSON;
            v->u.j = j;
        }
        break;
    default:
        v->kind = GM_TV_JSON;
        v->u.j = j;
        break;
    }
}

/* Read every slot of t again from its document. */
static void refresh_all(twin *t)
{
    for (size_t i = 0; i < t->b->nslots; i++)
        set_value(&t->vals[i], json_object_get(t->doc, t->b->slots[i]));
}

/* The slot of member name in b, or -1. */
static int slot_of(const bucket *b, const char *name)
{
    for (size_t i = 0; i < b->nslots; i++)
        if (strcmp(b->slots[i], name) == 0)
            return (int)i;
    return -1;
}

/* Read the slot of member name again, if it has one. */
static void refresh_member(twin *t, const char *name)
{
    int i = slot_of(t->b, name);
    if (i >= 0)
        set_value(&t->vals[i], json_object_get(t->doc, name));
}

/* A twin of bucket b, not indexed yet, with no document. */
static twin *new_twin(bucket *b, const char *id)
{
    size_t idlen = strlen(id), size;
    if (gm_size_mul(b->nslots, sizeof(gm_twin_value), &size) ||
        gm_size_add(size, sizeof(twin), &size) || gm_size_add(size, idlen + 1, &size))
        return NULL;
    twin *t = calloc(1, size);
    if (!t)
        return NULL;
    t->b = b;
    /* a twin created while a dump runs is not in it: written already */
    atomic_init(&t->doc_gen, b->g->dump_gen);
    atomic_init(&t->rels_gen, b->g->dump_gen);
    t->vals = (gm_twin_value *)(t + 1);
    t->vcap = (uint32_t)b->nslots;
    char *idc = (char *)(t->vals + b->nslots);
    memcpy(idc, id, idlen + 1);
    t->id = idc;
    gm_vec_init(&t->in, sizeof(rel *));
    return t;
}

/* ---- model index ---------------------------------------------------------------------- */

/* The bucket of model; created (when create) with its slots chosen, and
   its slots chosen again when it is empty. NULL: none, or out of memory. */
static bucket *get_bucket(gm_twin_graph *g, const char *model, bool create)
{
    void *x;
    bucket *b = NULL;
    if (gm_map_sget(g->bymodel, model, strlen(model), &x)) {
        b = x;
    } else if (create) {
        if (!(b = calloc(1, sizeof *b)))
            return NULL;
        b->g = g;
        if (!(b->model = strdup(model)) || gm_map_sput(g->bymodel, model, strlen(model), b)) {
            free(b->model);
            free(b);
            return NULL;
        }
    }
    if (b && b->ntwins == 0)
        choose_slots(g, b);
    return b;
}

/* The chunk that holds id or would: the last whose first id is <= id (0
   when none is). b has chunks. */
static size_t find_chunk(const bucket *b, const char *id)
{
    size_t lo = 1, hi = b->nchunks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(b->chunks[mid]->t[0]->id, id) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* The first position in c whose id is >= id. */
static size_t find_pos(const chunk *c, const char *id)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->t[mid]->id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static chunk *new_chunk(uint32_t cap)
{
    chunk *c = malloc(sizeof *c + cap * sizeof c->t[0]);
    if (c) {
        c->n = 0;
        c->cap = cap;
    }
    return c;
}

/* Room for one more chunk pointer. */
static int reserve_chunks(bucket *b)
{
    if (b->nchunks < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4, bytes;
    if (gm_size_mul(cap, 2, &cap) || gm_size_mul(cap, sizeof *b->chunks, &bytes))
        return GM_ENOMEM;
    chunk **a = realloc(b->chunks, bytes);
    if (!a)
        return GM_ENOMEM;
    b->chunks = a;
    b->cap = cap;
    return 0;
}

static void insert_chunk(bucket *b, size_t at, chunk *c)
{
    memmove(b->chunks + at + 1, b->chunks + at, (b->nchunks - at) * sizeof *b->chunks);
    b->chunks[at] = c;
    b->nchunks++;
}

static void remove_chunk(bucket *b, size_t at)
{
    free(b->chunks[at]);
    memmove(b->chunks + at, b->chunks + at + 1, (b->nchunks - at - 1) * sizeof *b->chunks);
    b->nchunks--;
}

/* Put t (not in b) in its place. GM_ENOMEM changes nothing. */
static int index_model(bucket *b, twin *t)
{
    if (reserve_chunks(b))
        return GM_ENOMEM;
    if (b->nchunks == 0) {
        chunk *c = new_chunk(CHUNK_MIN);
        if (!c)
            return GM_ENOMEM;
        insert_chunk(b, 0, c);
    }
    size_t ci = find_chunk(b, t->id);
    chunk *c = b->chunks[ci];
    size_t pos = find_pos(c, t->id);
    if (c->n == c->cap && c->cap < CHUNK_MAX) {
        uint32_t cap = c->cap * 2 < CHUNK_MAX ? c->cap * 2 : CHUNK_MAX;
        chunk *bigger = realloc(c, sizeof *c + cap * sizeof c->t[0]);
        if (!bigger)
            return GM_ENOMEM;
        c = b->chunks[ci] = bigger;
        c->cap = cap;
    } else if (c->n == c->cap) {
        /* full: the upper half moves to a new chunk after it */
        uint32_t half = c->n / 2;
        chunk *upper = new_chunk(CHUNK_MAX);
        if (!upper)
            return GM_ENOMEM;
        upper->n = c->n - half;
        memcpy(upper->t, c->t + half, upper->n * sizeof c->t[0]);
        c->n = half;
        insert_chunk(b, ci + 1, upper);
        if (pos > half) {
            c = upper;
            pos -= half;
        }
    }
    memmove(c->t + pos + 1, c->t + pos, (c->n - pos) * sizeof c->t[0]);
    c->t[pos] = t;
    c->n++;
    b->ntwins++;
    return 0;
}

static void unindex_model(bucket *b, twin *t)
{
    if (b->nchunks == 0)
        return;
    size_t ci = find_chunk(b, t->id);
    chunk *c = b->chunks[ci];
    size_t pos = find_pos(c, t->id);
    if (pos == c->n || c->t[pos] != t)
        return; /* not indexed (cannot happen) */
    memmove(c->t + pos, c->t + pos + 1, (c->n - pos - 1) * sizeof c->t[0]);
    c->n--;
    b->ntwins--;
    if (c->n == 0) {
        remove_chunk(b, ci);
        return;
    }
    /* deletions must not leave a trail of near-empty chunks: merge with
       the next one when both fit in half a chunk */
    if (ci + 1 < b->nchunks) {
        chunk *next = b->chunks[ci + 1];
        uint32_t n = c->n + next->n;
        if (n <= CHUNK_MAX / 2 && n <= c->cap) {
            memcpy(c->t + c->n, next->t, next->n * sizeof c->t[0]);
            c->n = n;
            remove_chunk(b, ci + 1);
        } else if (n <= CHUNK_MAX / 2 && n <= next->cap) {
            memmove(next->t + c->n, next->t, next->n * sizeof c->t[0]);
            memcpy(next->t, c->t, c->n * sizeof c->t[0]);
            next->n = n;
            remove_chunk(b, ci);
        }
    }
}

/* ---- twins ----------------------------------------------------------------------------- */

/* Move t to the bucket of model (a PUT or a patch changed its model); its
   values go back to the area after its struct when they fit there, and
   the caller reads them again (refresh_all). GM_ENOMEM changes nothing. */
static int move_twin(gm_twin_graph *g, twin *t, const char *model)
{
    bucket *to = get_bucket(g, model, true);
    if (!to)
        return GM_ENOMEM;
    gm_twin_value *inline_vals = (gm_twin_value *)(t + 1), *vals = inline_vals;
    if (to->nslots > t->vcap && !(vals = calloc(to->nslots, sizeof *vals)))
        return GM_ENOMEM;
    if (index_model(to, t)) {
        if (vals != inline_vals)
            free(vals);
        return GM_ENOMEM;
    }
    unindex_model(t->b, t);
    if (t->vals_heap)
        free(t->vals);
    t->vals = vals;
    t->vals_heap = vals != inline_vals;
    t->b = to;
    return 0;
}

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
        int rc = check_member(g, iface, k, v, k, false, err);
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
    json_t *doc = json_object(), *meta = json_object(), *ts = time_json(now);
    char etag[40];
    etag_of(seq, etag, sizeof etag);
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
        if (is_component(iface, k)) {
            if ((rc = component_metadata(copy, NULL, ts)))
                goto fail;
        } else if ((rc = touch(meta, k, ts))) {
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
    int rc = check_id(id, "$dtId", err);
    if (rc)
        return rc;
    twin *t = find_twin(g, id);
    if (t && if_none_match && strcmp(if_none_match, "*") == 0)
        return gm_err_set(err, GM_EEXIST, id, "twin '%s' exists (If-None-Match: *)", id);
    if (t && (rc = check_twin_etag(t, if_match, id, err)))
        return rc;
    if (!t && if_match && strcmp(if_match, "*"))
        return gm_err_set(err, GM_ENOENT, id, "no twin '%s' to match If-Match", id);
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
        dump_guard(t, false);
        if (strcmp(t->b->model, model)) {
            if (t->in.len || (t->out && gm_map_len(t->out)))
                rc = gm_err_set(err, GM_ECONFLICT, id, "changing the model of a twin with "
                                                       "relationships is not supported");
            else
                rc = move_twin(g, t, model);
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
        refresh_all(t);
        g->seq++;
        event_init(ev, g->seq, now_ns, GM_EV_TWIN_REPLACE, id, NULL, evbody);
        return 0;
    }
    bucket *b = get_bucket(g, model, true);
    if (!b || !(t = new_twin(b, id))) {
        rc = GM_ENOMEM;
        goto fail;
    }
    t->doc = doc;
    doc = NULL;
    refresh_all(t);
    if (index_model(b, t)) {
        rc = GM_ENOMEM;
        goto fail;
    }
    if (gm_map_sput(g->twins, id, strlen(id), t)) {
        unindex_model(b, t);
        rc = GM_ENOMEM;
        goto fail;
    }
    g->seq++;
    event_init(ev, g->seq, now_ns, GM_EV_TWIN_CREATE, id, NULL, evbody);
    return 0;
fail:
    if (t)
        free_twin(t);
    json_decref(doc);
    json_decref(evbody);
    return rc;
}

const json_t *gm_twin_get(const gm_twin_graph *g, const char *id)
{
    const twin *t = find_twin(g, id);
    return t ? twin_doc(t) : NULL;
}

const char *gm_twin_model(const gm_twin_graph *g, const char *id)
{
    const twin *t = find_twin(g, id);
    return t ? t->b->model : NULL;
}

/* The members a patch touches (with the sub-member when the path goes one
   level deeper, for component metadata). Most patches touch one or two:
   they live on the stack. */
#define MAX_TOUCHED 64

typedef struct touched {
    char name[256];
    char sub[256]; /* "" when the whole member changed */
} touched;

/* The member the op's pointer `key` (path or from) addresses, and the
   sub-member one level down, into *t; 1 when the op has no such pointer.
   The root and system members ($dtId, $etag, $metadata) are refused. */
static int patch_target(const json_t *op, const char *key, size_t i, touched *t, gm_err *err)
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
    if (rc || (rc = check_model_rels(g, t, to, err)))
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
        bool comp = is_component(to, k);
        if (comp == is_component(from, k))
            continue;
        int rc;
        if (comp) {
            json_object_del(meta, k);
            rc = component_metadata(v, NULL, ts);
        } else {
            rc = touch(meta, k, ts);
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
        } else if (is_component(iface, list[i].name))
            rc = component_metadata(v, list[i].sub[0] ? list[i].sub : NULL, ts);
        else
            rc = touch(meta, list[i].name, ts);
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
    twin *t = find_twin(g, id);
    if (!t)
        return gm_err_set(err, GM_ENOENT, id, "no twin '%s'", id);
    int rc = check_twin_etag(t, if_match, id, err);
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
            int r = patch_target(op, k ? "from" : "path", i, &target, err);
            if (r < 0)
                return r;
            if (r == 0 && (rc = note_touched(list, &nt, &target, i, err)))
                return rc;
        }
    }
    /* Deferred metadata when every touched member is a top-level property
       with a slot that the twin had before the patch (so its metadata entry
       exists and keeps its place in $metadata) and still has after it, and
       the model stays. */
    int slot[MAX_TOUCHED];
    bool defer = nt > 0 && !remodel; /* a new model: new slots, new metadata */
    for (size_t i = 0; i < nt && defer; i++) {
        slot[i] = list[i].sub[0] ? -1 : slot_of(t->b, list[i].name);
        defer = slot[i] >= 0 && t->vals[slot[i]].kind != GM_TV_ABSENT;
    }
    dump_guard(t, false);
    if (!defer)
        settle(t); /* before anything can move t to another bucket's slots */
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
            rc = move_twin(g, t, niface->id);
    }
    for (size_t i = 0; i < nt && !remodel; i++) {
        json_t *v = json_object_get(t->doc, list[i].name);
        if (!v) {
            if (is_component(iface, list[i].name)) {
                rc = gm_err_set(err, GM_EINVAL, list[i].name, "component '%s' cannot be removed",
                                list[i].name);
                break;
            }
            continue;
        }
        if ((rc = check_member(g, iface, list[i].name, v, list[i].name, false, err)))
            break;
    }
    if (rc) {
        if (gm_patch_revert(undo))
            gm_err_set(err, GM_EINTERNAL, id, "out of memory undoing a refused patch");
        /* the revert puts back the very values the cache still points at;
           but should it have failed, the document is not what it was */
        for (size_t i = 0; i < nt; i++)
            refresh_member(t, list[i].name);
        return rc;
    }
    gm_patch_undo_free(undo);
    if (remodel) /* the new bucket's slots */
        refresh_all(t);
    for (size_t i = 0; i < nt && !remodel; i++) {
        if (!defer) {
            refresh_member(t, list[i].name);
            continue;
        }
        set_value(&t->vals[slot[i]], json_object_get(t->doc, list[i].name)); /* slot known */
        defer = t->vals[slot[i]].kind != GM_TV_ABSENT;
    }
    if (defer && !t->due)
        defer = (t->due = calloc(1, sizeof *t->due)) != NULL;
    if (defer) {
        t->due->etag_seq = g->seq + 1;
        t->due->ns = now_ns;
        for (size_t i = 0; i < nt; i++) {
            t->due->mask |= UINT32_C(1) << slot[i];
            t->due->slot_ns[slot[i]] = now_ns;
        }
    } else {
        /* the change stands from here on: it becomes an event even if, out
           of memory, its metadata could not all be updated */
        settle(t); /* when the deferral itself ran out of memory */
        char etag[40];
        etag_of(g->seq + 1, etag, sizeof etag);
        json_t *ts = time_json(now_ns);
        if (ts && !patch_metadata(t->doc, niface, list, nt, ts) && remodel)
            remodel_metadata(t->doc, iface, niface, ts);
        json_decref(ts);
        json_object_set_new(t->doc, "$etag", json_string(etag));
    }
    g->seq++;
    /* the event shares the caller's patch: it is read, never changed */
    event_init(ev, g->seq, now_ns, GM_EV_TWIN_PATCH, id, NULL, json_incref((json_t *)patch));
    return 0;
}

/* Take t out of the graph. While a dump runs, its struct lives on (the
   dump's list of twins holds it) until the dump ends: the caller has
   reserved its place in the graveyard. */
static void remove_twin(gm_twin_graph *g, twin *t)
{
    gm_map_sdel(g->twins, t->id, strlen(t->id), NULL);
    unindex_model(t->b, t);
    if (g->dump)
        dump_bury(g->dump, t);
    else
        free_twin(t);
}

int gm_twin_delete(gm_twin_graph *g, const char *id, const char *if_match, int64_t now_ns,
                   gm_twin_event *ev, gm_err *err)
{
    twin *t = find_twin(g, id);
    if (!t)
        return gm_err_set(err, GM_ENOENT, id, "no twin '%s'", id);
    int rc = check_twin_etag(t, if_match, id, err);
    if (rc)
        return rc;
    size_t nout = t->out ? gm_map_len(t->out) : 0;
    if (nout || t->in.len)
        return gm_err_set(err, GM_ECONFLICT, id,
                          "twin '%s' has %zu outgoing and %zu incoming relationships; delete "
                          "them first", id, nout, t->in.len);
    if (g->dump && dump_reserve_grave(g->dump))
        return GM_ENOMEM;
    dump_guard(t, false);
    dump_guard(t, true);
    char idc[GM_TWIN_ID_MAX + 1];
    snprintf(idc, sizeof idc, "%s", id);
    remove_twin(g, t);
    g->seq++;
    event_init(ev, g->seq, now_ns, GM_EV_TWIN_DELETE, idc, NULL, NULL);
    return 0;
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
    int rc = check_id(rel_id, "$relationshipId", err);
    if (rc)
        return rc;
    twin *s = find_twin(g, src);
    if (!s)
        return gm_err_set(err, GM_ENOENT, src ? src : "", "no source twin '%s'", src ? src : "");
    if (!json_is_object(body))
        return gm_err_set(err, GM_EINVAL, rel_id, "a relationship is a JSON object, found %s",
                          gm_json_type_name(body));
    rel *old = find_rel(s, rel_id);
    if (old && if_none_match && strcmp(if_none_match, "*") == 0)
        return gm_err_set(err, GM_EEXIST, rel_id, "relationship '%s' of '%s' exists", rel_id, src);
    if (old && (rc = check_etag(old->doc, if_match, rel_id, err)))
        return rc;
    if (!old && if_match && strcmp(if_match, "*"))
        return gm_err_set(err, GM_ENOENT, rel_id, "no relationship '%s' to match If-Match", rel_id);
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
    twin *t = find_twin(g, target);
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
    etag_of(g->seq + 1, etag, sizeof etag);
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
        free_rel(r);
        return GM_ENOMEM;
    }
    if (!old)
        g->nrels++;
    g->seq++;
    event_init(ev, g->seq, now_ns, old ? GM_EV_REL_REPLACE : GM_EV_REL_CREATE, src, rel_id,
               json_incref(doc));
    return 0;
}

const json_t *gm_rel_get(const gm_twin_graph *g, const char *src, const char *rel_id)
{
    const rel *r = find_rel(find_twin(g, src), rel_id);
    return r ? r->doc : NULL;
}

int gm_rel_patch(gm_twin_graph *g, const char *src, const char *rel_id, const json_t *patch,
                 const char *if_match, int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    twin *s = find_twin(g, src);
    rel *r = find_rel(s, rel_id);
    if (!r)
        return gm_err_set(err, GM_ENOENT, rel_id ? rel_id : "", "no relationship '%s' of '%s'",
                          rel_id ? rel_id : "", src ? src : "");
    int rc = check_etag(r->doc, if_match, rel_id, err);
    if (rc || (rc = gm_patch_check(patch, err)))
        return rc;
    size_t n = json_array_size(patch);
    for (size_t i = 0; i < n; i++) {
        const json_t *op = json_array_get(patch, i);
        for (int k = 0; k < 2; k++) {
            touched target;
            int r2 = patch_target(op, k ? "from" : "path", i, &target, err);
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
    const char *k;
    json_t *v;
    json_object_foreach(w, k, v) {
        if (k[0] != '$' && (rc = check_rel_member(rd, k, v, err))) {
            json_decref(w);
            return rc;
        }
    }
    char etag[40];
    etag_of(g->seq + 1, etag, sizeof etag);
    if (json_object_set_new(w, "$etag", json_string(etag))) {
        json_decref(w);
        return GM_ENOMEM;
    }
    rels_change(s);
    json_decref(r->doc);
    r->doc = w;
    g->seq++;
    /* as for twins, the event shares the caller's patch */
    event_init(ev, g->seq, now_ns, GM_EV_REL_PATCH, src, rel_id, json_incref((json_t *)patch));
    return 0;
}

int gm_rel_delete(gm_twin_graph *g, const char *src, const char *rel_id, const char *if_match,
                  int64_t now_ns, gm_twin_event *ev, gm_err *err)
{
    twin *s = find_twin(g, src);
    rel *r = find_rel(s, rel_id);
    if (!r)
        return gm_err_set(err, GM_ENOENT, rel_id ? rel_id : "", "no relationship '%s' of '%s'",
                          rel_id ? rel_id : "", src ? src : "");
    int rc = check_etag(r->doc, if_match, rel_id, err);
    if (rc)
        return rc;
    rels_change(s);
    char rid[GM_TWIN_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", rel_id);
    gm_map_sdel(s->out, rid, strlen(rid), NULL);
    unlink_in(r);
    free_rel(r);
    g->nrels--;
    g->seq++;
    event_init(ev, g->seq, now_ns, GM_EV_REL_DELETE, s->id, rid, NULL);
    return 0;
}

/* ---- dumps: a consistent image while the writer goes on ------------------------------ */

/*
 * A dump writes the graph as it was at one seq, on another thread, while
 * the writer goes on changing it: copy-on-write per twin instead of per
 * page (fork). Each dump has a generation; a twin records, for its
 * document and for its outgoing relationships apart, the generation that
 * has written it (doc_gen, rels_gen). Below the running dump's generation
 * it is not written yet; DUMP_BUSY set means a thread is writing it now.
 *
 * The dump thread claims each twin of its list (the twins at the start)
 * and writes it where it is: its document in a first pass, its outgoing
 * relationships in a second, so that every twin comes before the
 * relationships that name it. The writer, before it changes a document or
 * a twin's outgoing relationships that the dump has not reached, claims
 * them itself and writes them as they still are into an aside buffer that
 * the dump thread drains (dump_guard). Whoever claims a part writes it;
 * the other waits while it is busy (a few microseconds) and then skips it.
 * The writer's side costs one atomic load per change while a dump runs and
 * nothing otherwise. A dump begun without relationships (its caller has
 * them from an earlier one, same rels_version) runs only the first pass,
 * and the writer sets no relationships aside for it.
 *
 * What the dump thread reads of a twin it holds: doc, due, b (its slot
 * names) and out, which only the writer changes, and only after claiming
 * the twin. Relationship documents are never changed in place (a patch
 * replaces the document). A twin deleted during the dump keeps its struct
 * until the dump ends (the graveyard); a twin created during it starts
 * written. Readers on the writer thread may read a twin the dump holds:
 * both only read, except that settling deferred metadata writes the
 * document, so settle() claims first.
 */
#define DUMP_BUSY UINT32_C(0x80000000)
/* Text the dump thread gathers before handing it on. */
#define DUMP_CHUNK ((size_t)1 << 20)

struct gm_twin_dump {
    gm_twin_graph *g;
    uint32_t gen;
    uint64_t seq;
    bool rels;  /* it holds the relationships (else only the twins) */
    int passes; /* passes run: 1 twins, 2 relationships */
    twin **tw;  /* the twins at the start */
    size_t ntw, nrels;
    gm_vec grave; /* twin *: deleted during the dump, freed at its end */
    pthread_mutex_t mu; /* guards the aside buffers and counts */
    gm_sb aside[2];     /* lines the writer set aside: [0] twins, [1] relationships */
    size_t naside[2];   /* lines in them, all told */
    bool failed;        /* the writer could not set a part aside: the dump is void */
    atomic_bool cancel; /* gm_twin_dump_cancel */
};

/* Append doc and a newline to sb. */
static int dump_line(gm_sb *sb, const json_t *doc)
{
    int rc = gm_json_write(sb, doc);
    return rc ? rc : gm_sb_append_char(sb, '\n');
}

/* t's document as the writer would show it, without changing it: with
   metadata due, a copy with the metadata written in. */
static int dump_doc(gm_sb *sb, const twin *t)
{
    if (!t->due)
        return dump_line(sb, t->doc);
    json_t *copy = json_deep_copy(t->doc);
    if (!copy)
        return GM_ENOMEM;
    write_due(copy, t->due, t->b);
    int rc = dump_line(sb, copy);
    json_decref(copy);
    return rc;
}

/* t's outgoing relationships, a line each; *n counts them. */
static int dump_rels(gm_sb *sb, const twin *t, size_t *n)
{
    size_t pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it)) {
        int rc = dump_line(sb, ((const rel *)it.val)->doc);
        if (rc)
            return rc;
        ++*n;
    }
    return 0;
}

/* Claim the part whose generation is st for writing (true: the caller
   writes it, then stores d->gen), or wait until the other side has
   written it (false). */
static bool dump_claim(const gm_twin_dump *d, _Atomic uint32_t *st)
{
    uint32_t v = atomic_load_explicit(st, memory_order_acquire);
    for (;;) {
        if (v == d->gen)
            return false;
        if (v == (d->gen | DUMP_BUSY)) { /* the other side is writing it */
            sched_yield();
            v = atomic_load_explicit(st, memory_order_acquire);
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(st, &v, d->gen | DUMP_BUSY,
                                                  memory_order_acq_rel, memory_order_acquire))
            return true;
    }
}

static void dump_guard(twin *t, bool rels)
{
    gm_twin_dump *d = t->b->g->dump;
    if (!d || (rels && !d->rels))
        return;
    _Atomic uint32_t *st = rels ? &t->rels_gen : &t->doc_gen;
    if (!dump_claim(d, st))
        return;
    pthread_mutex_lock(&d->mu);
    gm_sb *sb = &d->aside[rels];
    size_t n = 0;
    int rc;
    if (rels) {
        rc = dump_rels(sb, t, &n);
    } else {
        settle_here(t); /* the writer may: it holds the twin */
        rc = dump_line(sb, t->doc);
        n = 1;
    }
    if (rc)
        d->failed = true;
    d->naside[rels] += n;
    pthread_mutex_unlock(&d->mu);
    atomic_store_explicit(st, d->gen, memory_order_release);
}

static int dump_reserve_grave(gm_twin_dump *d)
{
    return gm_vec_reserve(&d->grave, d->grave.len + 1);
}

static void dump_bury(gm_twin_dump *d, twin *t)
{
    gm_vec_push(&d->grave, &t); /* cannot fail: reserved */
}

int gm_twin_dump_begin(gm_twin_graph *g, bool rels, gm_twin_dump **out)
{
    *out = NULL;
    if (g->dump)
        return GM_EAGAIN;
    if (g->dump_gen + 1 >= DUMP_BUSY)
        return GM_ELIMIT;
    gm_twin_dump *d = calloc(1, sizeof *d);
    size_t n = gm_map_len(g->twins);
    if (!d || !(d->tw = malloc((n ? n : 1) * sizeof *d->tw))) {
        free(d);
        return GM_ENOMEM;
    }
    if (pthread_mutex_init(&d->mu, NULL)) {
        free(d->tw);
        free(d);
        return GM_ENOMEM;
    }
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(g->twins, &pos, &it))
        d->tw[d->ntw++] = it.val;
    d->g = g;
    d->gen = ++g->dump_gen;
    d->seq = g->seq;
    d->rels = rels;
    d->nrels = g->nrels;
    gm_vec_init(&d->grave, sizeof(twin *));
    gm_sb_init(&d->aside[0]);
    gm_sb_init(&d->aside[1]);
    g->dump = d;
    *out = d;
    return 0;
}

uint64_t gm_twin_dump_seq(const gm_twin_dump *d)
{
    return d->seq;
}

size_t gm_twin_dump_twins(const gm_twin_dump *d)
{
    return d->ntw;
}

size_t gm_twin_dump_relationships(const gm_twin_dump *d)
{
    return d->nrels;
}

size_t gm_twin_dump_set_aside(gm_twin_dump *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->naside[0] + d->naside[1];
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* Hand sb's text to fn (if any) and empty sb. */
static int hand_on(gm_sb *sb, gm_twin_dump_fn fn, void *ctx)
{
    int rc = gm_sb_error(sb);
    if (!rc && sb->len)
        rc = fn(ctx, sb->buf, sb->len);
    gm_sb_reset(sb);
    return rc;
}

/* Hand the aside lines of one pass on (all, or what is there now). */
static int drain_aside(gm_twin_dump *d, int pass, gm_sb *spare, gm_twin_dump_fn fn, void *ctx,
                       size_t *lines)
{
    pthread_mutex_lock(&d->mu);
    gm_sb full = d->aside[pass];
    d->aside[pass] = *spare;
    bool failed = d->failed;
    *lines = d->naside[pass];
    pthread_mutex_unlock(&d->mu);
    int rc = failed ? GM_ENOMEM : hand_on(&full, fn, ctx);
    gm_sb_reset(&full);
    *spare = full;
    return rc;
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(twin *const *)a, y = (uintptr_t)*(twin *const *)b;
    return (x > y) - (x < y);
}

/* One pass of a run: 0 the documents, 1 the relationships. */
static int dump_pass(gm_twin_dump *d, int pass, gm_twin_dump_fn fn, void *ctx)
{
    if (pass == 0)
        /* in memory order: the twins' structs and documents were mostly
           allocated one after the other, so the run reads memory forwards */
        qsort(d->tw, d->ntw, sizeof *d->tw, cmp_addr);
    gm_sb out = GM_SB_INIT, spare = GM_SB_INIT;
    int rc = 0;
    size_t mine = 0, aside = 0;
    for (size_t i = 0; i < d->ntw && !rc; i++) {
        if (atomic_load_explicit(&d->cancel, memory_order_relaxed)) {
            rc = GM_ESHUTDOWN;
            break;
        }
        twin *t = d->tw[i];
        _Atomic uint32_t *st = pass ? &t->rels_gen : &t->doc_gen;
        /* not claimed: the writer has set it aside (waited for, so that
           the pass's last drain finds it) */
        if (dump_claim(d, st)) {
            if (pass)
                rc = dump_rels(&out, t, &mine);
            else if (!(rc = dump_doc(&out, t)))
                mine++;
            atomic_store_explicit(st, d->gen, memory_order_release);
        }
        if (!rc && out.len >= DUMP_CHUNK) {
            rc = hand_on(&out, fn, ctx);
            if (!rc)
                rc = drain_aside(d, pass, &spare, fn, ctx, &aside);
        }
    }
    if (!rc)
        rc = hand_on(&out, fn, ctx);
    /* every part of the pass is written now: the last aside lines */
    if (!rc)
        rc = drain_aside(d, pass, &spare, fn, ctx, &aside);
    /* each twin, or each relationship at the start, once: else a change
       reached a twin without claiming it first */
    if (!rc && mine + aside != (pass ? d->nrels : d->ntw))
        rc = GM_EINTERNAL;
    gm_sb_free(&out);
    gm_sb_free(&spare);
    return rc;
}

int gm_twin_dump_run_twins(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    if (d->passes != 0)
        return GM_EINVAL;
    d->passes = 1;
    return dump_pass(d, 0, fn, ctx);
}

int gm_twin_dump_run_relationships(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    if (d->passes != 1 || !d->rels)
        return GM_EINVAL;
    d->passes = 2;
    return dump_pass(d, 1, fn, ctx);
}

int gm_twin_dump_run(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    int rc = gm_twin_dump_run_twins(d, fn, ctx);
    if (!rc && d->rels)
        rc = gm_twin_dump_run_relationships(d, fn, ctx);
    return rc;
}

void gm_twin_dump_cancel(gm_twin_dump *d)
{
    atomic_store(&d->cancel, true);
}

void gm_twin_dump_end(gm_twin_dump *d)
{
    if (!d)
        return;
    d->g->dump = NULL;
    twin **dead = d->grave.data;
    for (size_t i = 0; i < d->grave.len; i++)
        free_twin(dead[i]);
    gm_vec_free(&d->grave);
    gm_sb_free(&d->aside[0]);
    gm_sb_free(&d->aside[1]);
    pthread_mutex_destroy(&d->mu);
    free(d->tw);
    free(d);
}

/* ---- traversal --------------------------------------------------------------------------- */

int gm_twin_each(const gm_twin_graph *g, int (*fn)(void *ctx, const json_t *twin), void *ctx)
{
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(g->twins, &pos, &it)) {
        int rc = fn(ctx, twin_doc(it.val));
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
            int rc = fn(ctx, twin_doc(c->t[k]));
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- access paths for queries ---------------------------------------------------------- */

const gm_twin_rec *gm_twin_find(const gm_twin_graph *g, const char *id)
{
    return find_twin(g, id);
}

const json_t *gm_twin_rec_doc(const gm_twin_rec *t)
{
    return twin_doc(t);
}

const char *gm_twin_rec_id(const gm_twin_rec *t)
{
    return t->id;
}

const gm_twin_bucket *gm_twin_rec_bucket(const gm_twin_rec *t)
{
    return t->b;
}

const gm_twin_value *gm_twin_rec_value(const gm_twin_rec *t, int slot)
{
    /* the usual address does not wait for the load of t->vals */
    return t->vals_heap ? &t->vals[slot] : &((const gm_twin_value *)(t + 1))[slot];
}

void gm_twin_rec_prefetch(const gm_twin_rec *t)
{
    __builtin_prefetch(t);
    __builtin_prefetch(t + 1); /* the first values */
}

const gm_twin_bucket *gm_twin_bucket_of(const gm_twin_graph *g, const char *model)
{
    void *x;
    return gm_map_sget(g->bymodel, model, strlen(model), &x) ? x : NULL;
}

const gm_twin_bucket *gm_twin_bucket_next(const gm_twin_graph *g, size_t *pos)
{
    gm_map_item it;
    return gm_map_next(g->bymodel, pos, &it) ? it.val : NULL;
}

const char *gm_twin_bucket_model(const gm_twin_bucket *b)
{
    return b->model;
}

size_t gm_twin_bucket_size(const gm_twin_bucket *b)
{
    return b->ntwins;
}

int gm_twin_bucket_slot(const gm_twin_bucket *b, const char *name)
{
    for (size_t i = 0; i < b->nslots; i++)
        if (strcmp(b->slots[i], name) == 0)
            return (int)i;
    return -1;
}

void gm_twin_cursor_init(gm_twin_cursor *c, const gm_twin_bucket *b, const char *from)
{
    c->b = b;
    c->chunk = 0;
    c->pos = 0;
    if (from && b->nchunks) {
        c->chunk = find_chunk(b, from);
        c->pos = find_pos(b->chunks[c->chunk], from);
    }
}

size_t gm_twin_cursor_run(gm_twin_cursor *c, const gm_twin_rec *const **run)
{
    while (c->chunk < c->b->nchunks) {
        const chunk *k = c->b->chunks[c->chunk];
        if (c->pos < k->n) {
            size_t n = k->n - c->pos;
            *run = (const gm_twin_rec *const *)(k->t + c->pos);
            c->pos = k->n;
            return n;
        }
        c->chunk++;
        c->pos = 0;
    }
    return 0;
}

int gm_rel_each_out(const gm_twin_graph *g, const char *id, const char *name,
                    int (*fn)(void *ctx, const json_t *rel), void *ctx)
{
    const twin *t = find_twin(g, id);
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
    const twin *t = find_twin(g, id);
    for (size_t i = 0; t && i < t->in.len; i++) {
        int rc = fn(ctx, ((rel *const *)t->in.data)[i]->doc);
        if (rc)
            return rc;
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
    if (!id || !model || check_id(id, "$dtId", NULL))
        return gm_err_set(err, GM_EINVAL, "snapshot", "a twin without $dtId or $metadata.$model");
    if (find_twin(g, id))
        return gm_err_set(err, GM_EEXIST, id, "twin '%s' twice in the snapshot", id);
    if (!gm_model_registry_get(g->models, model))
        return gm_err_set(err, GM_EINVAL, id, "model %s is not loaded", model);
    bucket *b = get_bucket(g, model, true);
    twin *t = b ? new_twin(b, id) : NULL;
    if (!t)
        goto nomem;
    t->doc = json_incref((json_t *)doc); /* the snapshot's tree is the caller's to give */
    refresh_all(t);
    if (index_model(b, t))
        goto nomem;
    if (gm_map_sput(g->twins, id, strlen(id), t)) {
        unindex_model(b, t);
        goto nomem;
    }
    return 0;
nomem:
    if (t)
        free_twin(t);
    return GM_ENOMEM;
}

int gm_twin_graph_restore_rel(gm_twin_graph *g, const json_t *doc, gm_err *err)
{
    const char *id = json_string_value(json_object_get(doc, "$relationshipId"));
    twin *s = find_twin(g, json_string_value(json_object_get(doc, "$sourceId")));
    twin *t = find_twin(g, json_string_value(json_object_get(doc, "$targetId")));
    if (!id || !s || !t || !json_is_string(json_object_get(doc, "$relationshipName")))
        return gm_err_set(err, GM_EINVAL, "snapshot", "a relationship without its id, name, or "
                                                      "existing source and target");
    if (find_rel(s, id))
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
        free_rel(r);
    return GM_ENOMEM;
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
