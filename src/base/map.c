#include "base/map.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/err.h"

/* ---- keyed hashing ---------------------------------------------------- */

static uint64_t hash_k0, hash_k1;
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_seed(void)
{
    uint64_t k[2];
    if (getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
        /* No entropy source: still differ between processes. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
        k[1] = (uint64_t)ts.tv_sec * 0xbf58476d1ce4e5b9u ^ (uint64_t)(uintptr_t)&k;
    }
    hash_k0 = k[0];
    hash_k1 = k[1];
}

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                                                 \
    do {                                                                                         \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                                \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                                   \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                                   \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                                \
    } while (0)

static uint64_t load64_le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* SipHash with 1 compression and 3 finalisation rounds (Aumasson & Bernstein). */
uint64_t gm_hash_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    const unsigned char *in = data;
    uint64_t v0 = k0 ^ 0x736f6d6570736575u;
    uint64_t v1 = k1 ^ 0x646f72616e646f6du;
    uint64_t v2 = k0 ^ 0x6c7967656e657261u;
    uint64_t v3 = k1 ^ 0x7465646279746573u;
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load64_le(in + i);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= b;
    SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t gm_hash_bytes(const void *data, size_t len)
{
    pthread_once(&hash_once, hash_seed);
    return gm_hash_siphash13(hash_k0, hash_k1, data, len);
}

/* Integer keys: a keyed bijective mixer (splitmix64's finaliser). */
static uint64_t hash_int(uint64_t x)
{
    pthread_once(&hash_once, hash_seed);
    x ^= hash_k0;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* ---- table ------------------------------------------------------------ */

typedef struct entry {
    uint64_t hash; /* 0 marks an empty slot; real hashes are never 0 */
    union {
        char *s;
        uint64_t i;
    } key;
    size_t klen;
    void *val;
} entry;

struct gm_map {
    entry *slots;
    size_t cap; /* power of two, or 0 before the first insertion */
    size_t len;
    gm_map_kind kind;
};

#define MAP_MIN_CAP 16

static inline uint64_t fix_hash(uint64_t h)
{
    return h ? h : 1;
}

gm_map *gm_map_create(gm_map_kind kind)
{
    gm_map *m = calloc(1, sizeof *m);
    if (m)
        m->kind = kind;
    return m;
}

static void free_keys(gm_map *m)
{
    if (m->kind != GM_MAP_STR)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash)
            free(m->slots[i].key.s);
}

void gm_map_destroy(gm_map *m)
{
    if (!m)
        return;
    free_keys(m);
    free(m->slots);
    free(m);
}

size_t gm_map_len(const gm_map *m)
{
    return m->len;
}

void gm_map_clear(gm_map *m)
{
    free_keys(m);
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->len = 0;
}

static inline bool key_eq(const gm_map *m, const entry *e, uint64_t h, const char *s, size_t klen,
                          uint64_t ik)
{
    if (e->hash != h)
        return false;
    if (m->kind == GM_MAP_INT)
        return e->key.i == ik;
    return e->klen == klen && memcmp(e->key.s, s, klen) == 0;
}

/* Index of the key's slot, or of the empty slot where it would go. cap > 0. */
static size_t probe(const gm_map *m, uint64_t h, const char *s, size_t klen, uint64_t ik)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    while (m->slots[i].hash && !key_eq(m, &m->slots[i], h, s, klen, ik))
        i = (i + 1) & mask;
    return i;
}

static int resize(gm_map *m, size_t cap)
{
    size_t bytes;
    if (gm_size_mul(cap, sizeof(entry), &bytes) != GM_OK)
        return GM_ERANGE;
    entry *slots = calloc(cap, sizeof(entry));
    if (!slots)
        return GM_ENOMEM;
    size_t mask = cap - 1;
    for (size_t j = 0; j < m->cap; j++) {
        entry *e = &m->slots[j];
        if (!e->hash)
            continue;
        size_t i = (size_t)e->hash & mask;
        while (slots[i].hash)
            i = (i + 1) & mask;
        slots[i] = *e;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return GM_OK;
}

/* Keep the load factor at most 3/4: linear probing degrades quickly past it. */
static int reserve_one(gm_map *m)
{
    size_t need = m->len + 1;
    if (m->cap && need <= m->cap - m->cap / 4)
        return GM_OK;
    size_t cap = m->cap ? m->cap : MAP_MIN_CAP;
    while (need > cap - cap / 4) {
        if (cap > SIZE_MAX / 2)
            return GM_ERANGE;
        cap *= 2;
    }
    return resize(m, cap);
}

static void **slot_common(gm_map *m, uint64_t h, const char *s, size_t klen, uint64_t ik,
                          bool *created)
{
    if (m->cap) {
        size_t i = probe(m, h, s, klen, ik);
        if (m->slots[i].hash) {
            if (created)
                *created = false;
            return &m->slots[i].val;
        }
    }
    if (reserve_one(m) != GM_OK)
        return NULL;
    size_t i = probe(m, h, s, klen, ik);
    entry *e = &m->slots[i];
    if (m->kind == GM_MAP_STR) {
        char *copy = malloc(klen + 1);
        if (!copy)
            return NULL;
        memcpy(copy, s, klen);
        copy[klen] = '\0';
        e->key.s = copy;
        e->klen = klen;
    } else {
        e->key.i = ik;
        e->klen = 0;
    }
    e->hash = h;
    e->val = NULL;
    m->len++;
    if (created)
        *created = true;
    return &e->val;
}

static bool get_common(const gm_map *m, uint64_t h, const char *s, size_t klen, uint64_t ik,
                       void **val)
{
    if (!m->len)
        return false;
    size_t i = probe(m, h, s, klen, ik);
    if (!m->slots[i].hash)
        return false;
    if (val)
        *val = m->slots[i].val;
    return true;
}

/* Backward-shift deletion: pull later members of the probe run into the hole so
   that lookups never need tombstones. */
static bool del_common(gm_map *m, uint64_t h, const char *s, size_t klen, uint64_t ik, void **val)
{
    if (!m->len)
        return false;
    size_t mask = m->cap - 1;
    size_t hole = probe(m, h, s, klen, ik);
    if (!m->slots[hole].hash)
        return false;
    if (val)
        *val = m->slots[hole].val;
    if (m->kind == GM_MAP_STR)
        free(m->slots[hole].key.s);
    size_t j = hole;
    for (;;) {
        j = (j + 1) & mask;
        entry *e = &m->slots[j];
        if (!e->hash)
            break;
        size_t home = (size_t)e->hash & mask;
        /* e may move into the hole iff the hole is no further from e's home
           than e is now: then it stays reachable from home without a gap. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = *e;
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof(entry));
    m->len--;
    return true;
}

bool gm_map_sget(const gm_map *m, const char *key, size_t klen, void **val)
{
    assert(m->kind == GM_MAP_STR);
    return get_common(m, fix_hash(gm_hash_bytes(key, klen)), key, klen, 0, val);
}

void gm_map_sprefetch(const gm_map *m, const char *key, size_t klen, int step)
{
    assert(m->kind == GM_MAP_STR);
    if (!m->len)
        return;
    uint64_t h = fix_hash(gm_hash_bytes(key, klen));
    size_t i = (size_t)h & (m->cap - 1);
    if (step == 0) {
        __builtin_prefetch(&m->slots[i]);
        return;
    }
    /* the home slot or the next (collisions are short runs) */
    for (int k = 0; k < 2; k++, i = (i + 1) & (m->cap - 1)) {
        const entry *e = &m->slots[i];
        if (e->hash == h) {
            __builtin_prefetch(e->key.s);
            __builtin_prefetch(e->val);
            return;
        }
    }
}

void **gm_map_sslot(gm_map *m, const char *key, size_t klen, bool *created)
{
    assert(m->kind == GM_MAP_STR);
    if (klen == SIZE_MAX)
        return NULL;
    return slot_common(m, fix_hash(gm_hash_bytes(key, klen)), key, klen, 0, created);
}

int gm_map_sput(gm_map *m, const char *key, size_t klen, void *val)
{
    void **slot = gm_map_sslot(m, key, klen, NULL);
    if (!slot)
        return GM_ENOMEM;
    *slot = val;
    return GM_OK;
}

bool gm_map_sdel(gm_map *m, const char *key, size_t klen, void **val)
{
    assert(m->kind == GM_MAP_STR);
    return del_common(m, fix_hash(gm_hash_bytes(key, klen)), key, klen, 0, val);
}

bool gm_map_iget(const gm_map *m, uint64_t key, void **val)
{
    assert(m->kind == GM_MAP_INT);
    return get_common(m, fix_hash(hash_int(key)), NULL, 0, key, val);
}

void **gm_map_islot(gm_map *m, uint64_t key, bool *created)
{
    assert(m->kind == GM_MAP_INT);
    return slot_common(m, fix_hash(hash_int(key)), NULL, 0, key, created);
}

int gm_map_iput(gm_map *m, uint64_t key, void *val)
{
    void **slot = gm_map_islot(m, key, NULL);
    if (!slot)
        return GM_ENOMEM;
    *slot = val;
    return GM_OK;
}

bool gm_map_idel(gm_map *m, uint64_t key, void **val)
{
    assert(m->kind == GM_MAP_INT);
    return del_common(m, fix_hash(hash_int(key)), NULL, 0, key, val);
}

bool gm_map_next(const gm_map *m, size_t *pos, gm_map_item *item)
{
    for (size_t i = *pos; i < m->cap; i++) {
        const entry *e = &m->slots[i];
        if (!e->hash)
            continue;
        if (m->kind == GM_MAP_STR) {
            item->skey = e->key.s;
            item->klen = e->klen;
            item->ikey = 0;
        } else {
            item->skey = NULL;
            item->klen = 0;
            item->ikey = e->key.i;
        }
        item->val = e->val;
        *pos = i + 1;
        return true;
    }
    *pos = m->cap;
    return false;
}
