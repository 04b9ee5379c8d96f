#include "base/vec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/err.h"

void gm_vec_init(gm_vec *v, size_t elem_size)
{
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
    v->elem_size = elem_size;
}

void gm_vec_free(gm_vec *v)
{
    free(v->data);
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
}

int gm_vec_reserve(gm_vec *v, size_t n)
{
    if (n <= v->cap)
        return GM_OK;
    /* Grow by 1.5x so repeated pushes are amortised O(1) without wasting half. */
    size_t cap = v->cap < 8 ? 8 : v->cap + v->cap / 2;
    if (cap < v->cap || cap < n)
        cap = n;
    size_t bytes;
    if (gm_size_mul(cap, v->elem_size, &bytes) != GM_OK) {
        /* Fall back to the exact request before giving up. */
        cap = n;
        if (gm_size_mul(cap, v->elem_size, &bytes) != GM_OK)
            return GM_ERANGE;
    }
    void *p = realloc(v->data, bytes);
    if (!p)
        return GM_ENOMEM;
    v->data = p;
    v->cap = cap;
    return GM_OK;
}

int gm_vec_append(gm_vec *v, const void *elems, size_t n)
{
    size_t len, bytes;
    if (gm_size_add(v->len, n, &len) != GM_OK || gm_size_mul(n, v->elem_size, &bytes) != GM_OK)
        return GM_ERANGE;
    int rc = gm_vec_reserve(v, len);
    if (rc != GM_OK)
        return rc;
    if (bytes)
        memcpy((char *)v->data + v->len * v->elem_size, elems, bytes);
    v->len = len;
    return GM_OK;
}

int gm_vec_push(gm_vec *v, const void *elem)
{
    return gm_vec_append(v, elem, 1);
}

void *gm_vec_push_zero(gm_vec *v)
{
    if (v->len == SIZE_MAX || gm_vec_reserve(v, v->len + 1) != GM_OK)
        return NULL;
    void *p = (char *)v->data + v->len * v->elem_size;
    memset(p, 0, v->elem_size);
    v->len++;
    return p;
}

int gm_vec_pop(gm_vec *v, void *out)
{
    if (v->len == 0)
        return GM_ENOENT;
    v->len--;
    if (out)
        memcpy(out, (char *)v->data + v->len * v->elem_size, v->elem_size);
    return GM_OK;
}

void *gm_vec_at(const gm_vec *v, size_t i)
{
    assert(i < v->len);
    return (char *)v->data + i * v->elem_size;
}

int gm_vec_remove(gm_vec *v, size_t i)
{
    if (i >= v->len)
        return GM_ENOENT;
    char *p = (char *)v->data + i * v->elem_size;
    memmove(p, p + v->elem_size, (v->len - i - 1) * v->elem_size);
    v->len--;
    return GM_OK;
}

void gm_vec_clear(gm_vec *v)
{
    v->len = 0;
}
