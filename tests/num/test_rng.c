#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "num/rng.h"

/* First output of stream k of seed s, computed independently with NumPy's
   PCG64DXSM: the state set by gemel's documented seeding (splitmix64 of the
   seed, PCG's step/add/step) and advanced by k * J with bg.advance. */
#define GOLDEN_S42_K0 0x46c100e117f59b3dULL
#define GOLDEN_S42_K3 0xd074829e60632bd3ULL
#define GOLDEN_S0_K0 0xf0c56ecae818ff95ULL

#define U128(hi, lo) (((gm_u128)(hi) << 64) | (gm_u128)(lo))

/* Known answers from NumPy 1.24's PCG64DXSM (the reference implementation):
   bg.state = {'state': {'state': S, 'inc': I}, ...}; bg.random_raw(5). */
static void test_matches_numpy_pcg64dxsm(void **state)
{
    (void)state;
    const gm_u128 S = U128(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
    const gm_u128 I = U128(0x5851f42d4c957f2dULL, 0x14057b7ef767814fULL);
    gm_rng r;
    gm_rng_set_state(&r, S, I);
    const uint64_t want[5] = {0xa5c2f45958c644a2ULL, 0xd0903e4c1d97f138ULL, 0x41d5d04452fde70eULL,
                              0xd36342dda726e612ULL, 0x91067ada23415da7ULL};
    for (int i = 0; i < 5; i++)
        assert_true(gm_rng_next(&r) == want[i]);

    /* bg.advance(1000003) then two draws. */
    gm_rng_set_state(&r, S, I);
    gm_rng_advance(&r, 1000003);
    assert_true(gm_rng_next(&r) == 0x50f088ac9eb616a4ULL);
    assert_true(gm_rng_next(&r) == 0xcaaf8c5eafc69723ULL);

    /* bg.advance(2**127 + 12345): exercises the top bit of the jump. */
    gm_rng_set_state(&r, S, I);
    gm_rng_advance(&r, ((gm_u128)1 << 127) + 12345);
    assert_true(gm_rng_next(&r) == 0xa099d63f6561cec1ULL);
    assert_true(gm_rng_next(&r) == 0xaab1a1280789ed4eULL);
}

static void test_advance_equals_stepping(void **state)
{
    (void)state;
    gm_rng a, b;
    gm_rng_seed(&a, 99, 0);
    b = a;
    for (int i = 0; i < 4321; i++)
        (void)gm_rng_next(&a);
    gm_rng_advance(&b, 4321);
    assert_true(a.state == b.state);
    assert_true(gm_rng_next(&a) == gm_rng_next(&b));
    /* Advancing by 0 and by 2^128 - 1 then 1 are identities. */
    gm_rng c = b;
    gm_rng_advance(&c, 0);
    assert_true(c.state == b.state);
    gm_rng_advance(&c, ~(gm_u128)0);
    gm_rng_advance(&c, 1);
    assert_true(c.state == b.state);
}

/* Golden values pin the seeding scheme: stream k of seed s must never change
   between versions, machines or compilers (saved experiments depend on it). */
static void test_seeding_is_stable(void **state)
{
    (void)state;
    gm_rng r;
    gm_rng_seed(&r, 42, 0);
    uint64_t s0 = gm_rng_next(&r);
    gm_rng_seed(&r, 42, 3);
    uint64_t s3 = gm_rng_next(&r);
    gm_rng_seed(&r, 0, 0);
    uint64_t z0 = gm_rng_next(&r);
    assert_true(s0 == GOLDEN_S42_K0);
    assert_true(s3 == GOLDEN_S42_K3);
    assert_true(z0 == GOLDEN_S0_K0);

    /* Stream k is stream 0 advanced by k times the golden-ratio jump. */
    gm_rng a, b;
    gm_rng_seed(&a, 7, 0);
    gm_rng_advance(&a, (gm_u128)5 * U128(0x9e3779b97f4a7c15ULL, 0xf39cc0605cedc835ULL));
    gm_rng_seed(&b, 7, 5);
    assert_true(a.state == b.state);
}

static void test_reproducible_and_distinct(void **state)
{
    (void)state;
    gm_rng a, b;
    gm_rng_seed(&a, 12345, 17);
    gm_rng_seed(&b, 12345, 17);
    for (int i = 0; i < 10000; i++)
        assert_true(gm_rng_next(&a) == gm_rng_next(&b));
    /* Neighbouring seeds and streams give different sequences. */
    uint64_t first[4];
    gm_rng_seed(&a, 1, 0);
    first[0] = gm_rng_next(&a);
    gm_rng_seed(&a, 2, 0);
    first[1] = gm_rng_next(&a);
    gm_rng_seed(&a, 1, 1);
    first[2] = gm_rng_next(&a);
    gm_rng_seed(&a, 2, 1);
    first[3] = gm_rng_next(&a);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            assert_true(first[i] != first[j]);
}

/* Chi-square of 2,000,000 uniforms in 200 bins; 99.9% critical value for 199
   degrees of freedom is 267.1. With a fixed seed the outcome is deterministic;
   a biased generator or broken conversion lands far above it. */
static void test_uniform_chi_square(void **state)
{
    (void)state;
    enum { BINS = 200, N = 2000000 };
    static unsigned counts[BINS];
    memset(counts, 0, sizeof counts);
    gm_rng r;
    gm_rng_seed(&r, 2024, 0);
    double sum = 0, mn = 1, mx = 0;
    for (int i = 0; i < N; i++) {
        double u = gm_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
        counts[(int)(u * BINS)]++;
    }
    double e = (double)N / BINS, chi = 0;
    for (int i = 0; i < BINS; i++)
        chi += (counts[i] - e) * (counts[i] - e) / e;
    assert_true(chi < 267.1);
    assert_true(fabs(sum / N - 0.5) < 4 * sqrt(1.0 / 12 / N));
    assert_true(mn < 1e-5 && mx > 1 - 1e-5);

    for (int i = 0; i < 1000000; i++) {
        double u = gm_rng_uniform_pos(&r);
        assert_true(u > 0.0 && u < 1.0);
    }
    /* The extremes of the (0,1) mapping stay inside the open interval. */
    assert_true((0.5) * 0x1.0p-52 > 0.0);
    assert_true(((double)((1ULL << 52) - 1) + 0.5) * 0x1.0p-52 < 1.0);
}

static void test_below_unbiased(void **state)
{
    (void)state;
    gm_rng r;
    gm_rng_seed(&r, 5, 0);
    /* n = 3 and n = 7: chi-square at 99.9% (df 2: 13.82, df 6: 22.46). */
    const uint64_t ns[2] = {3, 7};
    const double crit[2] = {13.82, 22.46};
    for (int t = 0; t < 2; t++) {
        unsigned long counts[7] = {0};
        const int N = 700000;
        for (int i = 0; i < N; i++) {
            uint64_t x = gm_rng_below(&r, ns[t]);
            assert_true(x < ns[t]);
            counts[x]++;
        }
        double e = (double)N / (double)ns[t], chi = 0;
        for (uint64_t i = 0; i < ns[t]; i++)
            chi += ((double)counts[i] - e) * ((double)counts[i] - e) / e;
        assert_true(chi < crit[t]);
    }
    /* n just above 2^63: half of all 64-bit draws must be rejected, the rest
       split evenly between the two halves of the range. */
    uint64_t big = (1ULL << 63) + 1, hi = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = gm_rng_below(&r, big);
        assert_true(x < big);
        hi += x >= (1ULL << 62) * 2 ? 1 : 0;
    }
    assert_true(hi < 5); /* only the single value 2^63 is in the top "half" */
    assert_true(gm_rng_below(&r, 1) == 0);
    assert_true(gm_rng_below(&r, 0) == 0);
}

/* Streams are independent: 64 streams of one seed, pairwise correlation of
   their uniforms within 5 standard errors of zero, and the first 1000 outputs
   of all streams are distinct from each other. */
static void test_streams_independent(void **state)
{
    (void)state;
    enum { K = 64, N = 20000 };
    static double u[K][N];
    static uint64_t firsts[K * 1000];
    for (int k = 0; k < K; k++) {
        gm_rng r;
        gm_rng_seed(&r, 31337, (uint64_t)k);
        for (int i = 0; i < 1000; i++)
            firsts[k * 1000 + i] = gm_rng_next(&r);
        for (int i = 0; i < N; i++)
            u[k][i] = gm_rng_uniform(&r) - 0.5;
    }
    double bound = 5.0 / sqrt((double)N);
    for (int a = 0; a < K; a++)
        for (int b = 0; b < a; b++) {
            double sab = 0, saa = 0, sbb = 0;
            for (int i = 0; i < N; i++) {
                sab += u[a][i] * u[b][i];
                saa += u[a][i] * u[a][i];
                sbb += u[b][i] * u[b][i];
            }
            assert_true(fabs(sab / sqrt(saa * sbb)) < bound);
        }
    /* Sort-free duplicate check with a small open-addressing set. */
    enum { SET = 1 << 17 };
    static uint64_t set[SET];
    memset(set, 0, sizeof set);
    for (int i = 0; i < K * 1000; i++) {
        uint64_t v = firsts[i] | 1; /* 0 marks empty */
        size_t h = (size_t)(v * 0x9e3779b97f4a7c15ULL >> 47);
        while (set[h] && set[h] != v)
            h = (h + 1) & (SET - 1);
        assert_true(set[h] != v);
        set[h] = v;
    }
}

/* The same stream drawn on several threads at once gives the same numbers as
   drawn alone: no hidden shared state (also run under TSan). */
typedef struct {
    uint64_t stream;
    uint64_t sum;
} job;

static void *draw(void *arg)
{
    job *j = arg;
    gm_rng r;
    gm_rng_seed(&r, 77, j->stream);
    uint64_t s = 0;
    for (int i = 0; i < 200000; i++)
        s += gm_rng_next(&r);
    j->sum = s;
    return NULL;
}

static void test_threads_reproduce(void **state)
{
    (void)state;
    enum { T = 4 };
    job alone[T], together[T];
    for (int t = 0; t < T; t++) {
        alone[t].stream = (uint64_t)t;
        draw(&alone[t]);
    }
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        together[t].stream = (uint64_t)t;
        assert_int_equal(pthread_create(&th[t], NULL, draw, &together[t]), 0);
    }
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < T; t++)
        assert_true(alone[t].sum == together[t].sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_numpy_pcg64dxsm),
        cmocka_unit_test(test_advance_equals_stepping),
        cmocka_unit_test(test_seeding_is_stable),
        cmocka_unit_test(test_reproducible_and_distinct),
        cmocka_unit_test(test_uniform_chi_square),
        cmocka_unit_test(test_below_unbiased),
        cmocka_unit_test(test_streams_independent),
        cmocka_unit_test(test_threads_reproduce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
