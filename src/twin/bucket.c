/*
 * bucket.c: the model index and the value cache.
 *
 * The model index is a bucket per DTMI holding its twins sorted by $dtId
 * in chunks of at most TWIN__CHUNK_MAX pointers (a two-level sorted array:
 * a first page of a query stops after page_size + 1 matches, and a
 * continuation seeks to its key). Each twin caches the values of its
 * bucket's slot members next to its struct, so a query reads a number
 * without walking jansson's hash table. The cache is never updated by
 * deltas: whatever changed the document, the touched slots are read again
 * from it (twin__refresh_*), so it cannot disagree with the JSON.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/map.h"
#include "twin/graph.h"
#include "twin/graph_internal.h"

#define CHUNK_MIN 4 /* the first allocation: a model with one twin costs little */

static void clear_slots(bucket *b)
{
    for (size_t i = 0; i < b->nslots; i++)
        free(b->slots[i]);
    b->nslots = 0;
}

void twin__free_bucket(bucket *b)
{
    for (size_t i = 0; i < b->nchunks; i++)
        free(b->chunks[i]);
    free(b->chunks);
    clear_slots(b);
    free(b->model);
    free(b);
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

void twin__set_value(gm_twin_value *v, const json_t *j)
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
void twin__refresh_all(twin *t)
{
    for (size_t i = 0; i < t->b->nslots; i++)
        twin__set_value(&t->vals[i], json_object_get(t->doc, t->b->slots[i]));
}

/* The slot of member name in b, or -1. */
int twin__slot_of(const bucket *b, const char *name)
{
    for (size_t i = 0; i < b->nslots; i++)
        if (strcmp(b->slots[i], name) == 0)
            return (int)i;
    return -1;
}

/* Read the slot of member name again, if it has one. */
void twin__refresh_member(twin *t, const char *name)
{
    int i = twin__slot_of(t->b, name);
    if (i >= 0)
        twin__set_value(&t->vals[i], json_object_get(t->doc, name));
}

/* A twin of bucket b, not indexed yet, with no document. */
twin *twin__new(bucket *b, const char *id)
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
bucket *twin__get_bucket(gm_twin_graph *g, const char *model, bool create)
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
int twin__index_model(bucket *b, twin *t)
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
    if (c->n == c->cap && c->cap < TWIN__CHUNK_MAX) {
        uint32_t cap = c->cap * 2 < TWIN__CHUNK_MAX ? c->cap * 2 : TWIN__CHUNK_MAX;
        chunk *bigger = realloc(c, sizeof *c + cap * sizeof c->t[0]);
        if (!bigger)
            return GM_ENOMEM;
        c = b->chunks[ci] = bigger;
        c->cap = cap;
    } else if (c->n == c->cap) {
        /* full: the upper half moves to a new chunk after it */
        uint32_t half = c->n / 2;
        chunk *upper = new_chunk(TWIN__CHUNK_MAX);
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

void twin__unindex_model(bucket *b, twin *t)
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
        if (n <= TWIN__CHUNK_MAX / 2 && n <= c->cap) {
            memcpy(c->t + c->n, next->t, next->n * sizeof c->t[0]);
            c->n = n;
            remove_chunk(b, ci + 1);
        } else if (n <= TWIN__CHUNK_MAX / 2 && n <= next->cap) {
            memmove(next->t + c->n, next->t, next->n * sizeof c->t[0]);
            memcpy(next->t, c->t, c->n * sizeof c->t[0]);
            next->n = n;
            remove_chunk(b, ci);
        }
    }
}

/* Move t to the bucket of model (a PUT or a patch changed its model); its
   values go back to the area after its struct when they fit there, and
   the caller reads them again (twin__refresh_all). GM_ENOMEM changes nothing. */
int twin__move(gm_twin_graph *g, twin *t, const char *model)
{
    bucket *to = twin__get_bucket(g, model, true);
    if (!to)
        return GM_ENOMEM;
    gm_twin_value *inline_vals = (gm_twin_value *)(t + 1), *vals = inline_vals;
    if (to->nslots > t->vcap && !(vals = calloc(to->nslots, sizeof *vals)))
        return GM_ENOMEM;
    if (twin__index_model(to, t)) {
        if (vals != inline_vals)
            free(vals);
        return GM_ENOMEM;
    }
    twin__unindex_model(t->b, t);
    if (t->vals_heap)
        free(t->vals);
    t->vals = vals;
    t->vals_heap = vals != inline_vals;
    t->b = to;
    return 0;
}

/* ---- access paths for queries ---------------------------------------------------------- */

const gm_twin_rec *gm_twin_find(const gm_twin_graph *g, const char *id)
{
    return twin__find(g, id);
}

const json_t *gm_twin_rec_doc(const gm_twin_rec *t)
{
    return twin__doc(t);
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

