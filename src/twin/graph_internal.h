/*
 * graph_internal.h: what the files of the twin graph share (module-internal:
 * only src/twin/graph.c, twins.c, rel.c, meta.c, bucket.c and dump.c
 * include it). The public contract is graph.h.
 *
 * The files, a file per abstraction:
 *   graph.c   the graph itself: create and destroy, ids, ETags, events,
 *             member validation, traversal, restoring, replay
 *   twins.c   twins: put, get, JSON Patch, delete
 *   rel.c     relationships: put, get, patch, delete, checks against models
 *   meta.c    metadata stamps, and the deferred metadata of patches
 *   bucket.c  the model index (a bucket of twins per model, in $dtId order)
 *             and the value cache the buckets' slots describe
 *   dump.c    dumps: a consistent image written while the owner goes on
 *
 * Each twin is its stored JSON document plus indexes: by id, by model
 * (exact DTMI; a query for a base model unions the models that extend it),
 * outgoing relationships by id and incoming ones.
 */
#ifndef GM_TWIN_GRAPH_INTERNAL_H
#define GM_TWIN_GRAPH_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/map.h"
#include "base/vec.h"
#include "model/registry.h"
#include "twin/graph.h"

typedef struct gm_twin_rec twin;
typedef struct gm_twin_bucket bucket;

typedef struct rel {
    char *id;
    twin *src, *tgt;
    json_t *doc;
    size_t in_pos; /* index in tgt->in */
} rel;

/* Metadata not yet written into a twin's document (meta.c, "Deferred
   metadata"). */
typedef struct meta_due {
    uint64_t etag_seq; /* $etag is twin__etag_of(etag_seq) */
    int64_t ns;        /* $metadata.$lastUpdateTime */
    uint32_t mask;     /* bit i: slot i's property was set at slot_ns[i] */
    int64_t slot_ns[GM_TWIN_SLOTS_MAX];
} meta_due;

_Static_assert(GM_TWIN_SLOTS_MAX <= 32, "meta_due.mask has a bit per slot");

/* One allocation: the struct, then vcap cached values, then the id. */
struct gm_twin_rec {
    bucket *b;           /* its model's */
    gm_twin_value *vals; /* b->nslots values: after the struct, or on the heap (vals_heap) */
    json_t *doc;         /* read it through twin__doc, which writes `due` in first */
    meta_due *due;       /* NULL, or metadata the document does not show yet */
    gm_map *out;         /* relationship id -> rel *, created on first use */
    gm_vec in;           /* rel * */
    const char *id;
    uint32_t vcap;       /* values the inline area holds */
    /* what the running dump has written of it (dump.c) */
    _Atomic uint32_t doc_gen, rels_gen;
    bool vals_heap;
};

#define TWIN__CHUNK_MAX 512 /* twins per chunk of a bucket */

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

/* Longest "W/\"%016llx\"" with its NUL, and room to spare. */
#define TWIN__ETAG_MAX 40

/* ---- graph.c ---- */

/* Twin id (NULL: none), or NULL. Inline: every request starts here. */
static inline twin *twin__find(const gm_twin_graph *g, const char *id)
{
    void *v;
    return id && gm_map_sget(g->twins, id, strlen(id), &v) ? v : NULL;
}
/* Relationship rel_id leaving t (t may be NULL), or NULL. */
rel *twin__find_rel(const twin *t, const char *rel_id);
/* Free a twin that no index holds any more, with its outgoing relationships. */
void twin__free(twin *t);
/* The ETag of the change with sequence number seq, into buf (n bytes). */
void twin__etag_of(uint64_t seq, char *buf, size_t n);
/* ns as an RFC 3339 string with nanoseconds (NULL when out of memory). */
json_t *twin__time_json(int64_t ns);
/* GM_EINVAL naming what (a JSON path) unless id is 1 to GM_TWIN_ID_MAX bytes
   of valid UTF-8 without control characters. */
int twin__check_id(const char *id, const char *what, gm_err *err);
/* If-Match against the current ETag cur (NULL: none); where names the
   twin or relationship. */
int twin__match_etag(const char *cur, const char *if_match, const char *where, gm_err *err);
/* If-Match against doc's "$etag". */
int twin__check_etag(const json_t *doc, const char *if_match, const char *where, gm_err *err);
/* Fill ev (may be NULL: body is then released) with an accepted change. */
void twin__event_init(gm_twin_event *ev, uint64_t seq, int64_t now, gm_twin_event_kind k,
                      const char *twin_id, const char *rel_id, json_t *body);
/* Whether the (checked) patch holds only test operations, or none. */
bool twin__only_tests(const json_t *patch);
/* An accepted request that changed nothing: *ev (may be NULL) says so,
   seq 0 and no body. */
void twin__no_event(gm_twin_event *ev);
/* Check member name = v of a twin of interface iface (or of a component's
   interface); path names it. */
int twin__check_member(const gm_twin_graph *g, const gm_model_iface *iface, const char *name,
                       const json_t *v, const char *path, bool in_component, gm_err *err);
/* Whether name is a Component of iface. */
bool twin__is_component(const gm_model_iface *iface, const char *name);

/* ---- twins.c ---- */

/* The member a patch op addresses, and the sub-member one level down. */
typedef struct twin__touched {
    char name[256];
    char sub[256]; /* "" when the whole member changed */
} twin__touched;

/* The member the op's pointer `key` (path or from) addresses, and the
   sub-member one level down, into *t; 1 when the op has no such pointer.
   The root and system members ($dtId, $etag, $metadata) are refused:
   GM_EINVAL naming op i. */
int twin__patch_target(const json_t *op, const char *key, size_t i, twin__touched *t,
                       gm_err *err);

/* ---- meta.c ---- */

/* Set metadata[name].lastUpdateTime to the time string ts (shared). */
int twin__touch(json_t *metadata, const char *name, json_t *ts);
/* Give component value v its "$metadata", with every property touched at
   ts (sub NULL) or only sub. */
int twin__component_metadata(json_t *v, const char *sub, json_t *ts);
/* Write the due metadata d of a twin of bucket b into doc. */
void twin__write_due(json_t *doc, const meta_due *d, const bucket *b);
/* Write t's due metadata into its document; nothing stays due. */
void twin__settle_here(twin *t);
/* twin__settle_here, once a running dump has what the document was. */
void twin__settle(twin *t);
/* t's document, with every deferred stamp in it. Reading settles: the
   graph is the same, only its representation changes, so readers of a
   const graph may call it. Inline: queries read every row through it. */
static inline json_t *twin__doc(const twin *t)
{
    if (t->due)
        twin__settle((twin *)t);
    return t->doc;
}
/* If-Match against t's current ETag, due or written. */
int twin__check_twin_etag(const twin *t, const char *if_match, const char *id, gm_err *err);
/* Defer the metadata of change seq at ns, a patch that set the top-level
   members with slots slot[0..n): $etag and the stamps wait in t->due. False
   when out of memory: nothing was deferred, the caller writes them now. */
bool twin__defer(twin *t, uint64_t seq, int64_t ns, const int *slot, size_t n);

/* ---- bucket.c ---- */

/* The bucket of model; created (when create) with its slots chosen, and
   its slots chosen again when it is empty. NULL: none, or out of memory. */
bucket *twin__get_bucket(gm_twin_graph *g, const char *model, bool create);
void twin__free_bucket(bucket *b);
/* Put t (not in b) in its place; GM_ENOMEM changes nothing. */
int twin__index_model(bucket *b, twin *t);
void twin__unindex_model(bucket *b, twin *t);
/* A twin of bucket b, not indexed yet, with no document. */
twin *twin__new(bucket *b, const char *id);
/* Move t to the bucket of model; the caller reads its values again. */
int twin__move(gm_twin_graph *g, twin *t, const char *model);
/* Read every slot of t again from its document, or only member name's. */
void twin__refresh_all(twin *t);
void twin__refresh_member(twin *t, const char *name);
/* The slot of member name in b, or -1. */
int twin__slot_of(const bucket *b, const char *name);
/* Set a cached value from a member of the document (NULL: absent). */
void twin__set_value(gm_twin_value *v, const json_t *j);

/* ---- rel.c ---- */

void twin__free_rel(rel *r);
/* Whether twin t's relationships allow its model to become niface. */
int twin__check_model_rels(const gm_twin_graph *g, const twin *t, const gm_model_iface *niface,
                           gm_err *err);

/* ---- dump.c ---- */

/* Before the owner changes t's document (rels false) or its outgoing
   relationships (true): a running dump that has not written them yet gets
   them as they still are. */
void twin__dump_guard(twin *t, bool rels);
/* Room in the running dump's graveyard for one more twin, and burying it
   there (cannot fail once reserved). */
int twin__dump_reserve_grave(gm_twin_dump *d);
void twin__dump_bury(gm_twin_dump *d, twin *t);

#endif
