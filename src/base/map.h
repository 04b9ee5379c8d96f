/*
 * map.h: open-addressing hash map from string or integer keys to void *.
 *
 * A map is created for one key kind: string keys (any bytes, given with their
 * length, copied into the map) or 64-bit integer keys. Linear probing with
 * backward-shift deletion, so heavy insert/delete churn leaves no tombstones
 * and lookups stay short. String hashing is SipHash-1-3 keyed with a per-process
 * random secret, so keys chosen by an attacker cannot force collisions.
 *
 * Iteration order is unspecified and differs between runs: sort before output.
 * The map never frees values; the caller owns them.
 * Not thread-safe: one owner thread (or external locking).
 */
#ifndef GM_BASE_MAP_H
#define GM_BASE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gm_map gm_map;

typedef enum gm_map_kind { GM_MAP_STR, GM_MAP_INT } gm_map_kind;

/* One entry as seen by iteration. For string maps skey/klen are set (skey is
   NUL-terminated, owned by the map); for integer maps ikey is set. */
typedef struct gm_map_item {
    const char *skey;
    size_t klen;
    uint64_t ikey;
    void *val;
} gm_map_item;

/* Create an empty map. NULL when out of memory. */
gm_map *gm_map_create(gm_map_kind kind);
/* Free the map and its key copies (not the values). NULL is ignored. */
void gm_map_destroy(gm_map *m);
size_t gm_map_len(const gm_map *m);
/* Remove every entry, keeping the table. */
void gm_map_clear(gm_map *m);

/* ---- string keys (map created with GM_MAP_STR) ---- */

/* Find key; true and *val (if val not NULL) when present. */
bool gm_map_sget(const gm_map *m, const char *key, size_t klen, void **val);
/* Warm the cache for a gm_map_sget of key soon: step 0 fetches the slot it
   starts at; step 1, once that has arrived, the key and the value its
   entry points to, when the slot holds key's hash. Changes nothing. */
void gm_map_sprefetch(const gm_map *m, const char *key, size_t klen, int step);
/* Insert or replace. GM_OK, GM_ENOMEM, GM_ERANGE. */
int gm_map_sput(gm_map *m, const char *key, size_t klen, void *val);
/*
 * Find or insert key and return the address of its value slot (NULL on
 * allocation failure); *created tells whether it was inserted (then the slot
 * holds NULL). The address is valid until the next insertion or deletion.
 */
void **gm_map_sslot(gm_map *m, const char *key, size_t klen, bool *created);
/* Remove key; true and *val (if not NULL) set to its value when it was present. */
bool gm_map_sdel(gm_map *m, const char *key, size_t klen, void **val);

/* ---- integer keys (map created with GM_MAP_INT) ---- */
bool gm_map_iget(const gm_map *m, uint64_t key, void **val);
int gm_map_iput(gm_map *m, uint64_t key, void *val);
void **gm_map_islot(gm_map *m, uint64_t key, bool *created);
bool gm_map_idel(gm_map *m, uint64_t key, void **val);

/*
 * Iterate: start with *pos = 0; each call fills *item and returns true until
 * the entries are exhausted. The map must not be modified during iteration
 * (replacing the value through a slot is fine).
 */
bool gm_map_next(const gm_map *m, size_t *pos, gm_map_item *item);

/* SipHash-1-3 of data under the process's secret key (the map's string hash). */
uint64_t gm_hash_bytes(const void *data, size_t len);

/* SipHash-1-3 under an explicit 128-bit key (k0, k1): stable across processes,
   for partitioning and known-answer tests. */
uint64_t gm_hash_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len);

#endif
