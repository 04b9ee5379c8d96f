/*
 * graph.h: the twin graph: digital twins and the relationships between them,
 * in the JSON shapes of the Azure Digital Twins REST API, validated against
 * the model registry, with every accepted change described as an event.
 *
 * A twin, as stored and returned:
 *
 *   {"$dtId": "pump-7", "$etag": "W/\"000000000000002a\"",
 *    "$metadata": {"$model": "dtmi:com:example:Pump;1",
 *                  "$lastUpdateTime": "2026-11-22T07:00:00.000000000Z",
 *                  "flow": {"lastUpdateTime": "2026-11-22T07:00:00.000000000Z"}},
 *    "flow": 12.5,
 *    "motor": {"$metadata": {"rpm": {"lastUpdateTime": "..."}}, "rpm": 1450}}
 *
 * Top-level members other than $dtId/$etag/$metadata are the model's
 * Properties (inherited included) and Components (an object with its own
 * "$metadata" and the component interface's Properties). A relationship:
 *
 *   {"$relationshipId": "r1", "$etag": "W/\"...\"", "$sourceId": "line-1",
 *    "$relationshipName": "contains", "$targetId": "pump-7", "position": 3}
 *
 * Mutations take the time of the change (ns since the epoch, from the
 * caller, so that replaying events reproduces the same state) and return
 * the event they caused. Each accepted mutation advances the graph's
 * sequence number by one; the ETag of what changed is derived from it. A
 * patch that changes nothing (no operation, or only tests, which pass) is
 * accepted with no event: ev->seq is 0, and the sequence number and the
 * ETag stay as they were.
 * A refused mutation changes nothing and returns an error naming the twin,
 * the JSON path and what was expected.
 *
 * Not thread-safe: the engine's writer thread owns the graph. Even the
 * readers that take a const graph may write into a twin's document the
 * ETag and lastUpdateTime stamps its last patches deferred (meta.c,
 * "Deferred metadata"), so two threads must never read one graph at once.
 * The one exception is a dump (below), which another thread writes while
 * the owner goes on.
 */
#ifndef GM_TWIN_GRAPH_H
#define GM_TWIN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "model/registry.h"

#define GM_TWIN_ID_MAX 512 /* bytes of a $dtId or $relationshipId (valid UTF-8, no control characters) */

typedef struct gm_twin_graph gm_twin_graph;

typedef enum gm_twin_event_kind {
    GM_EV_TWIN_CREATE,  /* body: the twin as stored */
    GM_EV_TWIN_REPLACE, /* body: the twin as stored */
    GM_EV_TWIN_PATCH,   /* body: the JSON Patch applied */
    GM_EV_TWIN_DELETE,  /* body: NULL */
    GM_EV_REL_CREATE,   /* body: the relationship as stored */
    GM_EV_REL_REPLACE,
    GM_EV_REL_PATCH,    /* body: the JSON Patch applied */
    GM_EV_REL_DELETE,
} gm_twin_event_kind;

/* What an accepted mutation did. The caller owns a reference to body
   (json_decref); for patches it is the caller's own patch, shared, so the
   caller must not change that patch while it keeps the event. */
typedef struct gm_twin_event {
    uint64_t seq;
    int64_t time_ns;
    gm_twin_event_kind kind;
    char twin_id[GM_TWIN_ID_MAX + 1];  /* the twin, or the relationship's source */
    char rel_id[GM_TWIN_ID_MAX + 1];   /* "" for twin events */
    json_t *body;
} gm_twin_event;

/* An empty graph over models (borrowed: it must outlive the graph). The
   graph registers itself with the registry so that models in use by twins
   cannot be removed. NULL when out of memory. */
gm_twin_graph *gm_twin_graph_create(gm_model_registry *models);

void gm_twin_graph_destroy(gm_twin_graph *g);

/* The sequence number of the last accepted mutation (0: none). */
uint64_t gm_twin_graph_seq(const gm_twin_graph *g);

/* Warm the cache for a change or read of twin id soon (the writer looks
   ahead in its queue): steps 0, 1 and 2, each once the one before has had
   time to arrive, fetch its index slot, then its entry, then its record.
   Changes nothing; an unknown id costs a lookup. */
void gm_twin_prefetch(const gm_twin_graph *g, const char *id, int step);

/* A number that changes whenever a relationship is created, replaced,
   patched, deleted or restored (and at no other time): equal at two
   moments, the relationships are the same at both. */
uint64_t gm_twin_graph_rels_version(const gm_twin_graph *g);

/* Twins and relationships held. */
size_t gm_twin_graph_twins(const gm_twin_graph *g);
size_t gm_twin_graph_relationships(const gm_twin_graph *g);

/* ---- twins ---- */

/*
 * Create twin id from body (the twin's JSON: "$metadata": {"$model": DTMI}
 * and property values; "$dtId" may be given and must equal id; "$etag" and
 * metadata times are ignored), or replace it when it exists. if_none_match
 * "*" refuses replacing (GM_EEXIST); if_match (NULL: any) must equal the
 * current ETag when replacing (GM_ECONFLICT). Errors: GM_EINVAL with err
 * naming the JSON path (an unknown model, a member the model does not
 * declare, a value of the wrong schema, a component missing), GM_ENOMEM.
 */
int gm_twin_put(gm_twin_graph *g, const char *id, const json_t *body, const char *if_match,
                const char *if_none_match, int64_t now_ns, gm_twin_event *ev, gm_err *err);

/* The twin as stored (borrowed until the next mutation), or NULL. */
const json_t *gm_twin_get(const gm_twin_graph *g, const char *id);

/* The model DTMI of twin id, or NULL. */
const char *gm_twin_model(const gm_twin_graph *g, const char *id);

/*
 * Apply a JSON Patch (RFC 6902) to twin id's properties and components,
 * atomically: every operation or none. Paths address members of the twin
 * ("/flow", "/motor/rpm", "/limits/high"); "$dtId", "$etag" and "$metadata"
 * cannot be patched, except "/$metadata/$model": replace (or add) with a
 * DTMI string changes the twin's model, and test compares it. The result
 * must conform to the model: to an unchanged model, the members the patch
 * touched; to a new one, the whole twin as gm_twin_put requires (members
 * the new model does not declare must be removed in the same patch), and
 * every relationship leaving the twin must be declared by the new model
 * (name, target, properties, maxMultiplicity) and every one reaching it
 * must accept it as target. A changed twin moves to its new model's
 * bucket. if_match (NULL: any) must equal the current ETag (GM_ECONFLICT).
 * Errors: GM_ENOENT no twin; GM_EINVAL with err naming the op or JSON path
 * (a new model that is not loaded: "$metadata.$model"; a relationship:
 * "relationship 'ID' of 'SOURCE': ..."); GM_ECONFLICT also for a failed
 * test op; GM_ELIMIT, GM_ENOMEM. The event's body is the patch itself.
 */
int gm_twin_patch(gm_twin_graph *g, const char *id, const json_t *patch, const char *if_match,
                  int64_t now_ns, gm_twin_event *ev, gm_err *err);

/* Delete twin id; refused with GM_ECONFLICT while relationships leave or
   reach it (delete them first, as Azure Digital Twins requires). */
int gm_twin_delete(gm_twin_graph *g, const char *id, const char *if_match, int64_t now_ns,
                   gm_twin_event *ev, gm_err *err);

/* ---- relationships ---- */

/*
 * Create (or replace) relationship rel_id of source twin src from body:
 * "$targetId", "$relationshipName" and the relationship's properties. The
 * name must be a Relationship of the source's model, the target an existing
 * twin whose model is (or extends) the relationship's target, and the
 * number of relationships of that name within maxMultiplicity.
 */
int gm_rel_put(gm_twin_graph *g, const char *src, const char *rel_id, const json_t *body,
               const char *if_match, const char *if_none_match, int64_t now_ns, gm_twin_event *ev,
               gm_err *err);

const json_t *gm_rel_get(const gm_twin_graph *g, const char *src, const char *rel_id);

/* Patch a relationship's properties ("/position"); the system members
   cannot be patched. */
int gm_rel_patch(gm_twin_graph *g, const char *src, const char *rel_id, const json_t *patch,
                 const char *if_match, int64_t now_ns, gm_twin_event *ev, gm_err *err);

int gm_rel_delete(gm_twin_graph *g, const char *src, const char *rel_id, const char *if_match,
                  int64_t now_ns, gm_twin_event *ev, gm_err *err);

/* ---- traversal (borrowed results, valid until the next mutation) ---- */

/* Call fn for every twin (unspecified order) until it returns non-zero,
   which is returned. */
int gm_twin_each(const gm_twin_graph *g, int (*fn)(void *ctx, const json_t *twin), void *ctx);

/* Call fn for every twin whose model is exactly model, in $dtId order
   (strcmp). */
int gm_twin_each_of_model(const gm_twin_graph *g, const char *model,
                          int (*fn)(void *ctx, const json_t *twin), void *ctx);

/* Relationships leaving twin id (name NULL: any name) and reaching it. */
int gm_rel_each_out(const gm_twin_graph *g, const char *id, const char *name,
                    int (*fn)(void *ctx, const json_t *rel), void *ctx);
int gm_rel_each_in(const gm_twin_graph *g, const char *id,
                   int (*fn)(void *ctx, const json_t *rel), void *ctx);

/* ---- access paths for queries (borrowed, valid until the next mutation) ----
 *
 * The graph keeps, for each model DTMI, a bucket of its twins in $dtId
 * order (strcmp), and, in each twin, a cache of the values of up to
 * GM_TWIN_SLOTS_MAX top-level members: the first Properties of the model
 * (own, then inherited) whose schema is primitive (boolean, date,
 * dateTime, double, duration, float, integer, long, string, time, an
 * Enum). Each bucket numbers its cached members by slot. The cache
 * mirrors the document: every mutation (put, patch applied or refused,
 * delete, replay, restore) recomputes the slots of the members it
 * touched from the stored JSON, so slot values are always the JSON's.
 */

#define GM_TWIN_SLOTS_MAX 16

typedef struct gm_twin_rec gm_twin_rec;       /* a twin as the graph holds it */
typedef struct gm_twin_bucket gm_twin_bucket; /* the twins of one model */

typedef enum gm_twin_vkind {
    GM_TV_ABSENT, /* the twin has no such member */
    GM_TV_NULL,
    GM_TV_FALSE,
    GM_TV_TRUE,
    GM_TV_INT,    /* u.i */
    GM_TV_REAL,   /* u.r */
    GM_TV_STRING, /* u.s, len bytes (NUL-terminated) */
    GM_TV_JSON,   /* anything else (an object, an array, a very long string): u.j */
} gm_twin_vkind;

/* A cached value; strings and u.j point into the twin's document. */
typedef struct gm_twin_value {
    uint32_t kind; /* gm_twin_vkind */
    uint32_t len;
    union {
        int64_t i;
        double r;
        const char *s;
        const json_t *j;
    } u;
} gm_twin_value;

/* Twin id, or NULL. */
const gm_twin_rec *gm_twin_find(const gm_twin_graph *g, const char *id);

/* The twin's document, $dtId (the same bytes as the document's), and the
   bucket of its model. */
const json_t *gm_twin_rec_doc(const gm_twin_rec *t);
const char *gm_twin_rec_id(const gm_twin_rec *t);
const gm_twin_bucket *gm_twin_rec_bucket(const gm_twin_rec *t);

/* The value in slot (0 <= slot < the slots of the twin's bucket). */
const gm_twin_value *gm_twin_rec_value(const gm_twin_rec *t, int slot);

/* A hint: t will be read soon (a pass over a bucket calls it a few twins
   ahead, so the cache misses overlap). */
void gm_twin_rec_prefetch(const gm_twin_rec *t);

/* The bucket of model (exact DTMI), or NULL when no twin of it was ever
   held. A bucket may be empty. */
const gm_twin_bucket *gm_twin_bucket_of(const gm_twin_graph *g, const char *model);

/* Every bucket, in unspecified order: start with *pos = 0; NULL at the end. */
const gm_twin_bucket *gm_twin_bucket_next(const gm_twin_graph *g, size_t *pos);

/* The bucket's model DTMI and number of twins. */
const char *gm_twin_bucket_model(const gm_twin_bucket *b);
size_t gm_twin_bucket_size(const gm_twin_bucket *b);

/* The slot caching top-level member name in b's twins, or -1 (not cached:
   read the document). */
int gm_twin_bucket_slot(const gm_twin_bucket *b, const char *name);

/* A position in a bucket. */
typedef struct gm_twin_cursor {
    const gm_twin_bucket *b;
    size_t chunk, pos;
} gm_twin_cursor;

/* Position c at the first twin of b whose $dtId is >= from (NULL: the
   first twin). */
void gm_twin_cursor_init(gm_twin_cursor *c, const gm_twin_bucket *b, const char *from);

/* The twins from c on, a run at a time in $dtId order: *run points at n > 0
   consecutive twins and c moves past them; 0 at the end. */
size_t gm_twin_cursor_run(gm_twin_cursor *c, const gm_twin_rec *const **run);

/* ---- events ---- */

/*
 * Re-apply an event (from the change log, in sequence) to the graph: the
 * same validation runs, and ev->seq must be the graph's next sequence
 * number. Returns what the mutation returns.
 */
int gm_twin_graph_replay(gm_twin_graph *g, const gm_twin_event *ev, gm_err *err);

/*
 * Restoring from a snapshot: put a twin or a relationship back exactly as it
 * was stored ($etag and $metadata times kept), and set the sequence number
 * the snapshot was taken at. The graph takes a reference to doc and may
 * change it later: the caller must not use it afterwards. The model must be loaded, a relationship's
 * source and target must be there; the values are not re-validated (they
 * were when they were accepted). GM_EINVAL with err for a malformed
 * document, GM_EEXIST for a duplicate, GM_ENOMEM.
 */
int gm_twin_graph_restore_twin(gm_twin_graph *g, const json_t *doc, gm_err *err);
int gm_twin_graph_restore_rel(gm_twin_graph *g, const json_t *doc, gm_err *err);
void gm_twin_graph_set_seq(gm_twin_graph *g, uint64_t seq);

/* Another kind of event (a model change) took the next sequence number. */
void gm_twin_graph_advance(gm_twin_graph *g);

/* Call fn for every relationship (unspecified order). */
int gm_rel_each(const gm_twin_graph *g, int (*fn)(void *ctx, const json_t *rel), void *ctx);

/*
 * Dumps: the graph as it was at one moment, written by another thread while
 * the owner goes on changing it (dump.c tells how). The owner
 * begins a dump; any one thread runs it, which hands on text, one JSON
 * document a line: every twin (its document as gm_twin_get returns it),
 * then, if the dump holds them, every relationship, each exactly as at the
 * beginning, in no particular order. Once the run has returned (or if it
 * never will run), the owner ends the dump. One dump at a time; a graph
 * must not be destroyed while a dump runs.
 *
 * gm_twin_dump_begin: rels false leaves the relationships out (a caller
 * that still has them from an earlier dump at the same
 * gm_twin_graph_rels_version: changes to them then cost nothing extra).
 * GM_EAGAIN if a dump is running, GM_ENOMEM. It costs the owner one pass
 * over the twin index; while the dump runs, each change to a twin the dump
 * has not reached yet writes that twin's line first.
 * gm_twin_dump_run_twins, then gm_twin_dump_run_relationships (only for a
 * dump that holds them; GM_EINVAL out of that order), or gm_twin_dump_run
 * for both: fn receives text in pieces of about a megabyte, whole lines,
 * and returns 0 or an error, which stops the run and is returned. Other
 * errors: GM_ENOMEM (also when the owner could not set a twin's text
 * aside: the dump is then void), GM_EINTERNAL (a twin or relationship
 * missing or written twice: a change that did not claim it).
 * gm_twin_dump_relationships: the graph's relationships at the beginning,
 * also when the dump leaves them out.
 */
typedef struct gm_twin_dump gm_twin_dump;
typedef int (*gm_twin_dump_fn)(void *ctx, const char *text, size_t len);

int gm_twin_dump_begin(gm_twin_graph *g, bool rels, gm_twin_dump **out);
uint64_t gm_twin_dump_seq(const gm_twin_dump *d);         /* the graph's seq at the beginning */
size_t gm_twin_dump_twins(const gm_twin_dump *d);         /* twins it holds */
size_t gm_twin_dump_relationships(const gm_twin_dump *d); /* relationships at the beginning */
int gm_twin_dump_run_twins(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx);
int gm_twin_dump_run_relationships(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx);
int gm_twin_dump_run(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx);
/* Lines the owner has written so far, changing twins the run had not reached. */
size_t gm_twin_dump_set_aside(gm_twin_dump *d);
/* Any thread: the run stops soon after, with GM_ESHUTDOWN. */
void gm_twin_dump_cancel(gm_twin_dump *d);
void gm_twin_dump_end(gm_twin_dump *d);

/* The event's kind as text ("twin.create", ...), and back (-1: unknown). */
const char *gm_twin_event_kind_name(gm_twin_event_kind k);
int gm_twin_event_kind_parse(const char *s);

#endif
