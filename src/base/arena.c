#include "base/arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/err.h"

typedef struct chunk {
    struct chunk *prev; /* chunks form a stack: newest first */
    size_t cap;         /* usable bytes in data[] */
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct gm_arena {
    chunk *head;
    size_t chunk_size;
    size_t limit;    /* 0 = none */
    size_t reserved; /* bytes of chunk payload held from the system */
    size_t total;    /* bytes handed out (incl. alignment padding) */
    int last_error;
};

#define ARENA_DEFAULT_CHUNK ((size_t)64 * 1024)
#define ARENA_MAX_ALIGN ((size_t)4096)

gm_arena *gm_arena_create(size_t chunk_size, size_t limit)
{
    gm_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
    a->limit = limit;
    return a;
}

void gm_arena_destroy(gm_arena *a)
{
    if (!a)
        return;
    chunk *c = a->head;
    while (c) {
        chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    free(a);
}

static void *fail(gm_arena *a, int code)
{
    a->last_error = code;
    return NULL;
}

/* Offset of the first address >= base+used aligned to align. */
static int aligned_offset(const chunk *c, size_t align, size_t *off)
{
    uintptr_t p = (uintptr_t)(c->data + c->used);
    size_t pad = (size_t)((align - (p & (align - 1))) & (align - 1));
    return gm_size_add(c->used, pad, off);
}

void *gm_arena_alloc(gm_arena *a, size_t size, size_t align)
{
    if (align == 0)
        align = alignof(max_align_t);
    if ((align & (align - 1)) != 0 || align > ARENA_MAX_ALIGN)
        return fail(a, GM_EINVAL);
    if (size == 0)
        size = 1; /* distinct non-NULL pointers for zero-size requests */

    chunk *c = a->head;
    size_t off, end;
    if (c && aligned_offset(c, align, &off) == GM_OK && gm_size_add(off, size, &end) == GM_OK &&
        end <= c->cap) {
        a->total += end - c->used;
        c->used = end;
        return c->data + off;
    }

    /* New chunk: big enough for size plus worst-case alignment padding. */
    size_t need, cap, bytes;
    if (gm_size_add(size, align - 1, &need) != GM_OK)
        return fail(a, GM_ERANGE);
    cap = need > a->chunk_size ? need : a->chunk_size;
    if (gm_size_add(sizeof(chunk), cap, &bytes) != GM_OK)
        return fail(a, GM_ERANGE);
    size_t reserved;
    if (gm_size_add(a->reserved, cap, &reserved) != GM_OK)
        return fail(a, GM_ERANGE);
    if (a->limit && reserved > a->limit) {
        /* A big request must not waste the limit on a full default chunk. */
        if (need < cap && a->reserved + need <= a->limit)
            cap = need, reserved = a->reserved + need, bytes = sizeof(chunk) + need;
        else
            return fail(a, GM_ELIMIT);
    }
    chunk *n = malloc(bytes);
    if (!n)
        return fail(a, GM_ENOMEM);
    n->prev = c;
    n->cap = cap;
    n->used = 0;
    a->head = n;
    a->reserved = reserved;
    if (aligned_offset(n, align, &off) != GM_OK)
        return fail(a, GM_EINTERNAL);
    n->used = off + size;
    a->total += n->used;
    return n->data + off;
}

void *gm_arena_calloc(gm_arena *a, size_t n, size_t size)
{
    size_t bytes;
    if (gm_size_mul(n, size, &bytes) != GM_OK)
        return fail(a, GM_ERANGE);
    void *p = gm_arena_alloc(a, bytes, 0);
    if (p)
        memset(p, 0, bytes);
    return p;
}

char *gm_arena_strndup(gm_arena *a, const char *s, size_t len)
{
    size_t bytes;
    if (gm_size_add(len, 1, &bytes) != GM_OK)
        return fail(a, GM_ERANGE);
    char *p = gm_arena_alloc(a, bytes, 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *gm_arena_strdup(gm_arena *a, const char *s)
{
    return gm_arena_strndup(a, s, strlen(s));
}

char *gm_arena_sprintf(gm_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail(a, GM_EINVAL);
    char *p = gm_arena_alloc(a, (size_t)n + 1, 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int gm_arena_last_error(const gm_arena *a)
{
    return a->last_error;
}

size_t gm_arena_used(const gm_arena *a)
{
    return a->total;
}

gm_arena_mark gm_arena_mark_get(const gm_arena *a)
{
    gm_arena_mark m = {a->head, a->head ? a->head->used : 0, a->total};
    return m;
}

void gm_arena_rewind(gm_arena *a, gm_arena_mark m)
{
    while (a->head && a->head != m.chunk) {
        chunk *prev = a->head->prev;
        a->reserved -= a->head->cap;
        free(a->head);
        a->head = prev;
    }
    if (a->head)
        a->head->used = m.used;
    a->total = m.total;
    a->last_error = GM_OK;
}

void gm_arena_reset(gm_arena *a)
{
    if (!a->head)
        return;
    /* Keep the oldest chunk: request-scoped arenas then allocate nothing on reuse. */
    while (a->head->prev) {
        chunk *prev = a->head->prev;
        a->reserved -= a->head->cap;
        free(a->head);
        a->head = prev;
    }
    a->head->used = 0;
    a->total = 0;
    a->last_error = GM_OK;
}
