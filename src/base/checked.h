/*
 * checked.h: overflow-checked size arithmetic. Each returns 0 and stores the
 * result, or GM_ERANGE (leaving *out untouched) when the result would not fit.
 */
#ifndef GM_BASE_CHECKED_H
#define GM_BASE_CHECKED_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

static inline int gm_size_add(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return GM_ERANGE;
    *out = r;
    return GM_OK;
}

static inline int gm_size_mul(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return GM_ERANGE;
    *out = r;
    return GM_OK;
}

#endif
