#include "num/rng.h"

/* PCG's default 128-bit increment; any odd constant would do, this one is the
   reference implementation's, so raw states can be compared with it. */
#define INC_HI 0x5851f42d4c957f2dULL
#define INC_LO 0x14057b7ef767814fULL
/* Odd integer nearest (phi - 1) * 2^128: the spacing between streams. */
#define JUMP_HI 0x9e3779b97f4a7c15ULL
#define JUMP_LO 0xf39cc0605cedc835ULL

static inline gm_u128 u128(uint64_t hi, uint64_t lo)
{
    return ((gm_u128)hi << 64) | lo;
}

/* splitmix64: turns a user seed (often small, like 1 or 42) into well-mixed
   words, so nearby seeds give unrelated starting points. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void gm_rng_set_state(gm_rng *r, gm_u128 state, gm_u128 inc)
{
    r->state = state;
    r->inc = inc | 1;
}

/* Jump ahead by composing the affine step x -> a*x + c with itself
   (Brown, "Random number generation with arbitrary strides", 1994). */
void gm_rng_advance(gm_rng *r, gm_u128 delta)
{
    gm_u128 cur_mult = GM_RNG_CHEAP_MULT, cur_plus = r->inc;
    gm_u128 acc_mult = 1, acc_plus = 0;
    while (delta) {
        if (delta & 1) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1;
    }
    r->state = acc_mult * r->state + acc_plus;
}

void gm_rng_seed(gm_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t hi = splitmix64(&x);
    uint64_t lo = splitmix64(&x);
    gm_rng_set_state(r, 0, u128(INC_HI, INC_LO));
    /* PCG's seeding: step, add the seed, step. */
    (void)gm_rng_next(r);
    r->state += u128(hi, lo);
    (void)gm_rng_next(r);
    if (stream)
        gm_rng_advance(r, (gm_u128)stream * u128(JUMP_HI, JUMP_LO));
}

uint64_t gm_rng_below(gm_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    gm_u128 m = (gm_u128)gm_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n; /* 2^64 mod n */
        while (low < threshold) {
            m = (gm_u128)gm_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
