/*
 * meta.c: the $metadata of twins: lastUpdateTime stamps, and deferred
 * metadata.
 *
 * Deferred metadata. A patch that only sets top-level properties with a
 * value slot (the telemetry-like case, by far the most frequent) writes
 * just the values into the document; the new $etag and the lastUpdateTime
 * stamps wait in the twin's `due` until something reads the document
 * (twin__doc). In jansson each stamp is a hash-table update three objects
 * deep, and they were half the cost of such a patch; a reader sees exactly
 * the document an immediate update would have made.
 */
#include <stdlib.h>
#include <string.h>

#include "twin/graph.h"
#include "twin/graph_internal.h"

/* Set metadata[name].lastUpdateTime to the time string ts (shared). */
int twin__touch(json_t *metadata, const char *name, json_t *ts)
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
void twin__write_due(json_t *doc, const meta_due *d, const bucket *b)
{
    json_t *meta = json_object_get(doc, "$metadata");
    json_t *ts = NULL;
    int64_t ts_ns = 0;
    for (size_t i = 0; i < b->nslots; i++) {
        if (!(d->mask & (UINT32_C(1) << i)))
            continue;
        if (!ts || ts_ns != d->slot_ns[i]) {
            json_decref(ts);
            ts = twin__time_json(ts_ns = d->slot_ns[i]);
        }
        if (ts)
            twin__touch(meta, b->slots[i], ts);
    }
    if (!ts || ts_ns != d->ns) {
        json_decref(ts);
        ts = twin__time_json(d->ns);
    }
    if (ts)
        json_object_set(meta, "$lastUpdateTime", ts);
    json_decref(ts);
    char etag[40];
    twin__etag_of(d->etag_seq, etag, sizeof etag);
    json_object_set_new(doc, "$etag", json_string(etag));
}

/* Write t's due metadata into its document; nothing stays due. */
void twin__settle_here(twin *t)
{
    meta_due *d = t->due;
    if (!d)
        return;
    t->due = NULL;
    twin__write_due(t->doc, d, t->b);
    free(d);
}

/* twin__settle_here, once a running dump has what the document was. */
void twin__settle(twin *t)
{
    if (!t->due)
        return;
    twin__dump_guard(t, false);
    twin__settle_here(t);
}

/* If-Match against t's current ETag, due or written. */
int twin__check_twin_etag(const twin *t, const char *if_match, const char *id, gm_err *err)
{
    if (!t->due)
        return twin__check_etag(t->doc, if_match, id, err);
    char cur[40];
    twin__etag_of(t->due->etag_seq, cur, sizeof cur);
    return twin__match_etag(cur, if_match, id, err);
}

/* Give component value v (owned by the document) its "$metadata", with
   every property touched at ts (sub NULL) or only sub. */
int twin__component_metadata(json_t *v, const char *sub, json_t *ts)
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
        if (twin__touch(md, k, ts))
            return GM_ENOMEM;
    }
    /* a removed sub-property loses its metadata */
    if (sub && !json_object_get(v, sub))
        json_object_del(md, sub);
    return 0;
}


bool twin__defer(twin *t, uint64_t seq, int64_t ns, const int *slot, size_t n)
{
    if (!t->due && !(t->due = calloc(1, sizeof *t->due)))
        return false;
    t->due->etag_seq = seq;
    t->due->ns = ns;
    for (size_t i = 0; i < n; i++) {
        t->due->mask |= UINT32_C(1) << slot[i];
        t->due->slot_ns[slot[i]] = ns;
    }
    return true;
}
