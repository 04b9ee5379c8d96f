/*
 * rng.h: seedable random numbers with independent, reproducible streams.
 *
 * The generator is PCG64-DXSM (O'Neill; NumPy's PCG64DXSM): a 128-bit LCG with
 * the "double xorshift multiply" output function, period 2^128, 8 bytes of
 * output per step, and O(log n) jump-ahead.
 *
 * Streams. gm_rng_seed(r, seed, k) gives stream k of seed: the seed is
 * expanded into a starting point, and stream k starts k * J steps further
 * on, where J is the odd integer nearest to (golden ratio - 1) * 2^128. The
 * golden-ratio spacing keeps the first K streams about 2^128 / K steps apart,
 * so 2^32 streams each have over 2^90 numbers before any could overlap.
 * Stream k of seed s is the same on every machine, compiler and thread
 * count: simulations assign one stream per (replication, stochastic source)
 * and get identical results whatever runs them.
 *
 * The state is a small value type: copy it to fork, embed it anywhere.
 * Not thread-safe: one gm_rng per thread.
 */
#ifndef GM_NUM_RNG_H
#define GM_NUM_RNG_H

#include <stdint.h>

typedef unsigned __int128 gm_u128;

typedef struct gm_rng {
    gm_u128 state;
    gm_u128 inc; /* odd */
} gm_rng;

/* Stream k of seed. Total: every (seed, k) pair is valid. */
void gm_rng_seed(gm_rng *r, uint64_t seed, uint64_t stream);

/* Set the raw LCG state and increment (inc is forced odd). Matches NumPy's
   PCG64DXSM state {'state': state, 'inc': inc}. */
void gm_rng_set_state(gm_rng *r, gm_u128 state, gm_u128 inc);

/* Move the generator delta steps forward (mod 2^128) in O(log delta). */
void gm_rng_advance(gm_rng *r, gm_u128 delta);

#define GM_RNG_CHEAP_MULT 0xda942042e4dd58b5ULL

/* Next 64 random bits. */
static inline uint64_t gm_rng_next(gm_rng *r)
{
    gm_u128 s = r->state;
    r->state = s * GM_RNG_CHEAP_MULT + r->inc;
    uint64_t hi = (uint64_t)(s >> 64);
    uint64_t lo = (uint64_t)s | 1;
    hi ^= hi >> 32;
    hi *= GM_RNG_CHEAP_MULT;
    hi ^= hi >> 48;
    hi *= lo;
    return hi;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double gm_rng_uniform(gm_rng *r)
{
    return (double)(gm_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1): never 0, safe for log(). */
static inline double gm_rng_uniform_pos(gm_rng *r)
{
    return ((double)(gm_rng_next(r) >> 12) + 0.5) * 0x1.0p-52;
}

/* Uniform integer in [0, n) without bias (Lemire's multiply-and-reject).
   n must be > 0 (n == 0 returns 0). */
uint64_t gm_rng_below(gm_rng *r, uint64_t n);

#endif
