/*
 * arena.h: region allocator for parse- and request-scoped data.
 *
 * Allocations are bump-pointer from chunks; nothing is freed one by one. Reset
 * or rewind to a mark frees in bulk; destroy releases every chunk. An optional
 * byte limit makes a hostile request fail with GM_ELIMIT instead of exhausting
 * memory. Not thread-safe: one arena per request / per thread.
 */
#ifndef GM_BASE_ARENA_H
#define GM_BASE_ARENA_H

#include <stddef.h>

typedef struct gm_arena gm_arena;

/* Position to rewind to; obtained from gm_arena_mark. */
typedef struct gm_arena_mark {
    void *chunk;
    size_t used;
    size_t total;
} gm_arena_mark;

/*
 * Create an arena. chunk_size is the size of ordinary chunks (0 = 64 KiB);
 * larger allocations get a chunk of their own. limit caps the bytes the arena
 * may hold from the system (0 = no cap). Returns NULL when out of memory.
 */
gm_arena *gm_arena_create(size_t chunk_size, size_t limit);

/* Free every chunk and the arena. NULL is ignored. */
void gm_arena_destroy(gm_arena *a);

/*
 * Allocate size bytes aligned to align (a power of two, at most 4096; 0 means
 * alignof(max_align_t)). Returns NULL when size overflows, the limit would be
 * exceeded, or memory is exhausted; gm_arena_last_error tells which. The memory
 * is uninitialised and lives until reset, rewind past it, or destroy. A zero
 * size returns a unique non-NULL pointer.
 */
void *gm_arena_alloc(gm_arena *a, size_t size, size_t align);

/* As gm_arena_alloc for n elements of size each (checked), zero-filled. */
void *gm_arena_calloc(gm_arena *a, size_t n, size_t size);

/* Copy of the first len bytes of s plus a NUL terminator. */
char *gm_arena_strndup(gm_arena *a, const char *s, size_t len);
char *gm_arena_strdup(gm_arena *a, const char *s);

/* printf into the arena. NULL on error. */
char *gm_arena_sprintf(gm_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* GM_ENOMEM, GM_ELIMIT or GM_ERANGE for the last failed allocation; GM_OK if none. */
int gm_arena_last_error(const gm_arena *a);

/* Bytes handed out since creation or the last reset (after alignment). */
size_t gm_arena_used(const gm_arena *a);

/* Free everything allocated so far but keep the first chunk for reuse. */
void gm_arena_reset(gm_arena *a);

/* Remember the current position; gm_arena_rewind frees everything allocated after. */
gm_arena_mark gm_arena_mark_get(const gm_arena *a);
void gm_arena_rewind(gm_arena *a, gm_arena_mark m);

#endif
