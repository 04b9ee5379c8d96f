/* Arena, growable vector and string builder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/sb.h"
#include "base/vec.h"

/* ---- arena ---- */

static void test_arena_alignment_and_contents(void **state)
{
    (void)state;
    gm_arena *a = gm_arena_create(256, 0);
    assert_non_null(a);
    char *ptrs[1000];
    for (size_t i = 0; i < 1000; i++) {
        size_t align = (size_t)1 << (i % 7); /* 1..64 */
        size_t size = 1 + i % 37;
        ptrs[i] = gm_arena_alloc(a, size, align);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % align, 0);
        memset(ptrs[i], (int)(i & 0xff), size);
    }
    /* No allocation overlapped another: each still holds its own byte. */
    for (size_t i = 0; i < 1000; i++) {
        size_t size = 1 + i % 37;
        for (size_t j = 0; j < size; j++)
            assert_int_equal((unsigned char)ptrs[i][j], i & 0xff);
    }
    /* Zero-size allocations are distinct and non-NULL. */
    void *z1 = gm_arena_alloc(a, 0, 1), *z2 = gm_arena_alloc(a, 0, 1);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);
    /* A request far bigger than the chunk size gets its own chunk. */
    char *big = gm_arena_alloc(a, 100000, 16);
    assert_non_null(big);
    memset(big, 7, 100000);
    /* Bad alignment. */
    assert_null(gm_arena_alloc(a, 8, 3));
    assert_int_equal(gm_arena_last_error(a), GM_EINVAL);
    gm_arena_destroy(a);
    gm_arena_destroy(NULL);
}

static void test_arena_overflow_and_limit(void **state)
{
    (void)state;
    gm_arena *a = gm_arena_create(1024, 4096);
    assert_null(gm_arena_alloc(a, SIZE_MAX, 8));
    assert_int_equal(gm_arena_last_error(a), GM_ERANGE);
    assert_null(gm_arena_calloc(a, SIZE_MAX / 2, 3));
    assert_int_equal(gm_arena_last_error(a), GM_ERANGE);
    /* Up to the limit works; beyond it fails with GM_ELIMIT, not a crash. */
    assert_non_null(gm_arena_alloc(a, 3000, 1));
    assert_null(gm_arena_alloc(a, 5000, 1));
    assert_int_equal(gm_arena_last_error(a), GM_ELIMIT);
    size_t n = 0;
    while (gm_arena_alloc(a, 100, 1))
        n++;
    assert_int_equal(gm_arena_last_error(a), GM_ELIMIT);
    assert_true(n >= 9 && n <= 11); /* ~1 KiB left in total under the 4 KiB cap */
    /* Reset frees all but the first chunk; the limit budget comes back. */
    gm_arena_reset(a);
    assert_int_equal(gm_arena_used(a), 0);
    assert_non_null(gm_arena_alloc(a, 2000, 1));
    gm_arena_destroy(a);
}

static void test_arena_mark_rewind_and_strings(void **state)
{
    (void)state;
    gm_arena *a = gm_arena_create(64, 0);
    char *keep = gm_arena_strdup(a, "keep me");
    gm_arena_mark m = gm_arena_mark_get(a);
    size_t used = gm_arena_used(a);
    for (int i = 0; i < 100; i++)
        assert_non_null(gm_arena_sprintf(a, "item-%d", i));
    assert_true(gm_arena_used(a) > used);
    gm_arena_rewind(a, m);
    assert_int_equal(gm_arena_used(a), used);
    assert_string_equal(keep, "keep me");
    char *s = gm_arena_strndup(a, "abcdef", 3);
    assert_string_equal(s, "abc");
    char *f = gm_arena_sprintf(a, "%s=%d", "servers", 3);
    assert_string_equal(f, "servers=3");
    int *zeros = gm_arena_calloc(a, 50, sizeof(int));
    for (int i = 0; i < 50; i++)
        assert_int_equal(zeros[i], 0);
    /* Rewinding an empty arena's mark frees everything. */
    gm_arena *b = gm_arena_create(0, 0);
    gm_arena_mark m0 = gm_arena_mark_get(b);
    assert_non_null(gm_arena_alloc(b, 10, 0));
    gm_arena_rewind(b, m0);
    assert_int_equal(gm_arena_used(b), 0);
    assert_non_null(gm_arena_alloc(b, 10, 0));
    gm_arena_destroy(b);
    gm_arena_destroy(a);
}

/* ---- vector ---- */

typedef struct {
    int id;
    double x;
} item;

static void test_vec(void **state)
{
    (void)state;
    gm_vec v = GM_VEC_INIT(item);
    for (int i = 0; i < 10000; i++) {
        item it = {i, i * 0.5};
        assert_int_equal(gm_vec_push(&v, &it), 0);
    }
    assert_int_equal(v.len, 10000);
    assert_true(v.cap >= v.len);
    item *xs = v.data;
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(xs[i].id, i);
        assert_true(xs[i].x == i * 0.5);
    }
    assert_int_equal(((item *)gm_vec_at(&v, 1234))->id, 1234);
    /* Remove keeps order. */
    assert_int_equal(gm_vec_remove(&v, 0), 0);
    assert_int_equal(((item *)gm_vec_at(&v, 0))->id, 1);
    assert_int_equal(gm_vec_remove(&v, v.len), GM_ENOENT);
    item last;
    assert_int_equal(gm_vec_pop(&v, &last), 0);
    assert_int_equal(last.id, 9999);
    assert_int_equal(v.len, 9998);
    item *z = gm_vec_push_zero(&v);
    assert_non_null(z);
    assert_int_equal(z->id, 0);
    item more[3] = {{-1, 0}, {-2, 0}, {-3, 0}};
    assert_int_equal(gm_vec_append(&v, more, 3), 0);
    assert_int_equal(((item *)gm_vec_at(&v, v.len - 1))->id, -3);
    gm_vec_clear(&v);
    assert_int_equal(v.len, 0);
    assert_int_equal(gm_vec_pop(&v, NULL), GM_ENOENT);
    gm_vec_free(&v);
    assert_null(v.data);
}

static void test_vec_overflow(void **state)
{
    (void)state;
    gm_vec v;
    gm_vec_init(&v, 16);
    /* Element count times size overflows size_t: refused, vector unchanged. */
    assert_int_equal(gm_vec_reserve(&v, SIZE_MAX / 8), GM_ERANGE);
    assert_null(v.data);
    assert_int_equal(v.cap, 0);
    char e[16] = {0};
    assert_int_equal(gm_vec_push(&v, e), 0);
    v.len = SIZE_MAX; /* pretend it is full to the brim */
    assert_int_equal(gm_vec_append(&v, e, 1), GM_ERANGE);
    assert_null(gm_vec_push_zero(&v));
    v.len = 1;
    gm_vec_free(&v);
}

/* ---- string builder ---- */

static void test_sb(void **state)
{
    (void)state;
    gm_sb sb = GM_SB_INIT;
    assert_string_equal(gm_sb_str(&sb), "");
    gm_sb_append(&sb, "station=");
    gm_sb_appendf(&sb, "%s servers=%d", "desk", 3);
    gm_sb_append_char(&sb, '!');
    assert_string_equal(gm_sb_str(&sb), "station=desk servers=3!");
    assert_int_equal(sb.len, strlen("station=desk servers=3!"));
    for (int i = 0; i < 10000; i++)
        gm_sb_appendf(&sb, "%04d", i % 10000);
    assert_int_equal(sb.len, 23 + 40000);
    assert_memory_equal(gm_sb_str(&sb) + 23 + 4 * 9999, "9999", 4);
    gm_sb_truncate(&sb, 7);
    assert_string_equal(gm_sb_str(&sb), "station");
    gm_sb_reset(&sb);
    gm_sb_append_json_escaped(&sb, "a\"b\\c\n\x01\xc3\xa9", 9);
    assert_string_equal(gm_sb_str(&sb), "a\\\"b\\\\c\\n\\u0001\xc3\xa9");
    char *owned = gm_sb_take(&sb);
    assert_string_equal(owned, "a\\\"b\\\\c\\n\\u0001\xc3\xa9");
    free(owned);
    assert_null(sb.buf);
    gm_sb_free(&sb);
}

static void test_sb_limit_is_sticky(void **state)
{
    (void)state;
    gm_sb sb;
    gm_sb_init(&sb);
    gm_sb_set_limit(&sb, 10);
    assert_int_equal(gm_sb_append(&sb, "0123456789"), 0);
    assert_int_equal(gm_sb_append(&sb, "x"), GM_ELIMIT);
    assert_string_equal(gm_sb_str(&sb), "0123456789");
    /* Sticky: later appends fail too, contents stay. */
    assert_int_equal(gm_sb_appendf(&sb, "%d", 1), GM_ELIMIT);
    assert_int_equal(gm_sb_error(&sb), GM_ELIMIT);
    assert_null(gm_sb_take(&sb));
    gm_sb_reset(&sb);
    assert_int_equal(gm_sb_error(&sb), GM_OK);
    /* An escape that does not fit leaves nothing half-written. */
    assert_int_equal(gm_sb_append(&sb, "12345678"), 0);
    assert_int_equal(gm_sb_append_json_escaped(&sb, "\"\"", 2), GM_ELIMIT);
    assert_string_equal(gm_sb_str(&sb), "12345678");
    gm_sb_free(&sb);
    /* Length overflow. */
    gm_sb big = GM_SB_INIT;
    big.len = SIZE_MAX - 1;
    assert_int_equal(gm_sb_append_n(&big, "ab", 2), GM_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_and_contents),
        cmocka_unit_test(test_arena_overflow_and_limit),
        cmocka_unit_test(test_arena_mark_rewind_and_strings),
        cmocka_unit_test(test_vec),
        cmocka_unit_test(test_vec_overflow),
        cmocka_unit_test(test_sb),
        cmocka_unit_test(test_sb_limit_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
