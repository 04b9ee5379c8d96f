/*
 * vec.h: growable array of fixed-size elements.
 *
 *     gm_vec v = GM_VEC_INIT(double);
 *     double x = 1.5;
 *     if (gm_vec_push(&v, &x) != GM_OK) ...
 *     double *xs = v.data;          // v.len elements
 *     gm_vec_free(&v);
 *
 * The vector owns v.data. Pointers into it are invalidated by any call that
 * may grow it. Every size computation is overflow-checked; a failed call
 * leaves the vector unchanged.
 */
#ifndef GM_BASE_VEC_H
#define GM_BASE_VEC_H

#include <stddef.h>

typedef struct gm_vec {
    void *data;
    size_t len;       /* elements in use */
    size_t cap;       /* elements allocated */
    size_t elem_size; /* bytes per element, > 0 */
} gm_vec;

#define GM_VEC_INIT(type) ((gm_vec){NULL, 0, 0, sizeof(type)})

/* Initialise an empty vector of elem_size-byte elements (no allocation). */
void gm_vec_init(gm_vec *v, size_t elem_size);

/* Release the storage; the vector is empty and reusable afterwards. */
void gm_vec_free(gm_vec *v);

/* Ensure room for at least n elements in total. GM_ENOMEM, GM_ERANGE. */
int gm_vec_reserve(gm_vec *v, size_t n);

/* Append a copy of the element at elem. GM_ENOMEM, GM_ERANGE. */
int gm_vec_push(gm_vec *v, const void *elem);

/* Append n elements copied from elems (which must not point into v). */
int gm_vec_append(gm_vec *v, const void *elems, size_t n);

/* Append one zero-filled element and return it, or NULL on failure. */
void *gm_vec_push_zero(gm_vec *v);

/* Copy the last element into out (if not NULL) and remove it. GM_ENOENT if empty. */
int gm_vec_pop(gm_vec *v, void *out);

/* Pointer to element i; i must be < v->len (checked with assert in debug). */
void *gm_vec_at(const gm_vec *v, size_t i);

/* Remove element i, shifting the rest down (order kept). GM_ENOENT if i >= len. */
int gm_vec_remove(gm_vec *v, size_t i);

/* Drop all elements, keeping the storage. */
void gm_vec_clear(gm_vec *v);

#endif
