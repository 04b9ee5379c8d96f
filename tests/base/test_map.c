#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"

/* Deterministic pseudo-random numbers for the churn tests (splitmix64). */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void test_siphash_known_answers(void **state)
{
    (void)state;
    /* Reference values: CPython 3.11 hashes bytes with SipHash-1-3; with
       PYTHONHASHSEED=0 its key is all zeros: hash(b'abc') & (2**64-1). */
    assert_true(gm_hash_siphash13(0, 0, "a", 1) == 4644417185603328019u);
    assert_true(gm_hash_siphash13(0, 0, "abc", 3) == 13851880170939887858u);
    assert_true(gm_hash_siphash13(0, 0, "abcdefgh", 8) == 4574395652268504554u);
    const char *s = "hello world, this is gemel";
    assert_true(gm_hash_siphash13(0, 0, s, strlen(s)) == 16078170122744460664u);
    /* The process key is secret but fixed within a process. */
    assert_true(gm_hash_bytes("x", 1) == gm_hash_bytes("x", 1));
    assert_true(gm_hash_bytes("x", 1) != gm_hash_bytes("y", 1));
}

static void test_str_basic(void **state)
{
    (void)state;
    gm_map *m = gm_map_create(GM_MAP_STR);
    assert_non_null(m);
    int a = 1, b = 2, c = 3;
    void *v = NULL;
    assert_false(gm_map_sget(m, "pump", 4, &v));
    gm_map_sprefetch(m, "pump", 4, 0); /* empty: no slots to touch */
    gm_map_sprefetch(m, "pump", 4, 1);
    assert_int_equal(gm_map_sput(m, "pump", 4, &a), 0);
    /* prefetching changes nothing, for a key there or not */
    for (int step = 0; step < 2; step++) {
        gm_map_sprefetch(m, "pump", 4, step);
        gm_map_sprefetch(m, "absent", 6, step);
    }
    assert_int_equal(gm_map_len(m), 1);
    assert_int_equal(gm_map_sput(m, "pumps", 5, &b), 0);
    assert_int_equal(gm_map_len(m), 2);
    assert_true(gm_map_sget(m, "pump", 4, &v));
    assert_ptr_equal(v, &a);
    /* A prefix of a key is a different key; lengths matter, not NULs. */
    assert_false(gm_map_sget(m, "pum", 3, NULL));
    assert_true(gm_map_sget(m, "pumps!", 5, &v));
    assert_ptr_equal(v, &b);
    /* Replace keeps the count. */
    assert_int_equal(gm_map_sput(m, "pump", 4, &c), 0);
    assert_int_equal(gm_map_len(m), 2);
    assert_true(gm_map_sget(m, "pump", 4, &v));
    assert_ptr_equal(v, &c);
    /* Keys are copied: the caller's buffer may change. */
    char buf[8] = "valve";
    assert_int_equal(gm_map_sput(m, buf, 5, &a), 0);
    strcpy(buf, "XXXXX");
    assert_true(gm_map_sget(m, "valve", 5, &v));
    /* Keys with embedded NUL bytes and the empty key. */
    assert_int_equal(gm_map_sput(m, "a\0b", 3, &a), 0);
    assert_int_equal(gm_map_sput(m, "", 0, &b), 0);
    assert_true(gm_map_sget(m, "a\0b", 3, &v));
    assert_ptr_equal(v, &a);
    assert_false(gm_map_sget(m, "a\0c", 3, NULL));
    assert_true(gm_map_sget(m, "", 0, &v));
    assert_ptr_equal(v, &b);
    /* Slots. */
    bool created = false;
    void **slot = gm_map_sslot(m, "new", 3, &created);
    assert_non_null(slot);
    assert_true(created);
    assert_null(*slot);
    *slot = &c;
    slot = gm_map_sslot(m, "new", 3, &created);
    assert_false(created);
    assert_ptr_equal(*slot, &c);
    /* Delete. */
    assert_true(gm_map_sdel(m, "pump", 4, &v));
    assert_ptr_equal(v, &c);
    assert_false(gm_map_sdel(m, "pump", 4, NULL));
    assert_false(gm_map_sget(m, "pump", 4, NULL));
    assert_int_equal(gm_map_len(m), 5);
    gm_map_clear(m);
    assert_int_equal(gm_map_len(m), 0);
    assert_false(gm_map_sget(m, "pumps", 5, NULL));
    assert_int_equal(gm_map_sput(m, "pumps", 5, &a), 0);
    assert_true(gm_map_sget(m, "pumps", 5, NULL));
    gm_map_destroy(m);
    gm_map_destroy(NULL);
}

/* Many inserts and deletes against a shadow array: every lookup must agree.
   Keys come from a small universe so that deletes hit and probe runs overlap. */
#define UNIVERSE 5000
static void test_int_churn(void **state)
{
    (void)state;
    gm_map *m = gm_map_create(GM_MAP_INT);
    static uintptr_t shadow[UNIVERSE]; /* 0 = absent, else value */
    memset(shadow, 0, sizeof shadow);
    size_t count = 0;
    uint64_t rs = 42;
    for (int op = 0; op < 1000000; op++) {
        uint64_t r = next_rand(&rs);
        uint64_t k = r % UNIVERSE;
        /* Spread keys over the 64-bit space, including 0 and UINT64_MAX. */
        uint64_t key = k == 0 ? 0 : k == 1 ? UINT64_MAX : k * 0x100000001b3u;
        void *v;
        switch ((r >> 32) % 3) {
        case 0:
        case 1: { /* insert or replace; bias towards a fuller table */
            uintptr_t val = (uintptr_t)(r | 1);
            assert_int_equal(gm_map_iput(m, key, (void *)val), 0);
            if (!shadow[k])
                count++;
            shadow[k] = val;
            break;
        }
        default: {
            bool had = gm_map_idel(m, key, &v);
            assert_int_equal(had, shadow[k] != 0);
            if (had) {
                assert_true((uintptr_t)v == shadow[k]);
                shadow[k] = 0;
                count--;
            }
        }
        }
        if (op % 50000 == 0 || op == 999999) {
            assert_int_equal(gm_map_len(m), count);
            for (uint64_t j = 0; j < UNIVERSE; j++) {
                uint64_t kj = j == 0 ? 0 : j == 1 ? UINT64_MAX : j * 0x100000001b3u;
                bool found = gm_map_iget(m, kj, &v);
                assert_int_equal(found, shadow[j] != 0);
                if (found)
                    assert_true((uintptr_t)v == shadow[j]);
            }
        }
    }
    /* Iteration visits each live entry once. */
    size_t pos = 0, seen = 0;
    gm_map_item it;
    while (gm_map_next(m, &pos, &it)) {
        seen++;
        assert_null(it.skey);
    }
    assert_int_equal(seen, count);
    gm_map_destroy(m);
}

static void test_str_churn(void **state)
{
    (void)state;
    gm_map *m = gm_map_create(GM_MAP_STR);
    static uintptr_t shadow[UNIVERSE];
    memset(shadow, 0, sizeof shadow);
    size_t count = 0;
    uint64_t rs = 7;
    char key[32];
    for (int op = 0; op < 300000; op++) {
        uint64_t r = next_rand(&rs);
        unsigned k = (unsigned)(r % UNIVERSE);
        int n = snprintf(key, sizeof key, "twin-%u", k);
        if (r >> 63) {
            uintptr_t val = (uintptr_t)(r | 1);
            assert_int_equal(gm_map_sput(m, key, (size_t)n, (void *)val), 0);
            if (!shadow[k])
                count++;
            shadow[k] = val;
        } else {
            void *v;
            bool had = gm_map_sdel(m, key, (size_t)n, &v);
            assert_int_equal(had, shadow[k] != 0);
            if (had) {
                assert_true((uintptr_t)v == shadow[k]);
                shadow[k] = 0;
                count--;
            }
        }
    }
    assert_int_equal(gm_map_len(m), count);
    size_t pos = 0, seen = 0;
    gm_map_item it;
    while (gm_map_next(m, &pos, &it)) {
        unsigned k;
        assert_int_equal(sscanf(it.skey, "twin-%u", &k), 1);
        assert_int_equal(it.klen, strlen(it.skey));
        assert_true((uintptr_t)it.val == shadow[k]);
        seen++;
    }
    assert_int_equal(seen, count);
    gm_map_destroy(m);
}

static void test_grow_large(void **state)
{
    (void)state;
    gm_map *m = gm_map_create(GM_MAP_INT);
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(gm_map_iput(m, i, (void *)(uintptr_t)(i + 1)), 0);
    assert_int_equal(gm_map_len(m), n);
    for (uint64_t i = 0; i < n; i++) {
        void *v;
        assert_true(gm_map_iget(m, i, &v));
        assert_true((uintptr_t)v == i + 1);
    }
    assert_false(gm_map_iget(m, n, NULL));
    /* Delete all even keys; odd ones stay reachable. */
    for (uint64_t i = 0; i < n; i += 2)
        assert_true(gm_map_idel(m, i, NULL));
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(gm_map_iget(m, i, NULL), (i & 1) == 1);
    gm_map_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_known_answers),
        cmocka_unit_test(test_str_basic),
        cmocka_unit_test(test_int_churn),
        cmocka_unit_test(test_str_churn),
        cmocka_unit_test(test_grow_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
