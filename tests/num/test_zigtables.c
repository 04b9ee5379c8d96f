/*
 * test_zigtables: the ziggurat tables hard-coded in src/num/dist.c are what
 * their generator, scripts/gen_ziggurat.c, computes from the construction
 * (every layer of equal area, the top one ending at f(0)), byte for byte.
 * A changed table, or a generator that no longer reproduces it, fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_ZIGGURAT_NO_MAIN
#include "../../scripts/gen_ziggurat.c"

typedef struct text {
    char *buf;
    size_t len, cap;
} text;

static void append(void *ctx, const char *s)
{
    text *t = ctx;
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->buf = realloc(t->buf, t->cap);
        assert_non_null(t->buf);
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text t = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
        chunk[n] = '\0';
        append(&t, chunk);
    }
    fclose(f);
    return t.buf;
}

static void test_tables_regenerate(void **state)
{
    (void)state;
    if (LDBL_MANT_DIG != 64)
        GM_TEST_SKIP("the tables were computed in x87 80-bit long double; this long double "
                     "has %d bits", LDBL_MANT_DIG);
    text gen = {0};
    zig_generate(append, &gen);
    char *src = slurp(GEMEL_SOURCE_DIR "/src/num/dist.c");
    const char *start = strstr(src, "#define ZIG_NORM_R");
    assert_non_null(start);
    /* the generated block is the file's from its first line on */
    size_t same = 0;
    while (same < gen.len && start[same] == gen.buf[same])
        same++;
    if (same < gen.len) {
        size_t line = 1;
        for (size_t i = 0; i < same; i++)
            line += gen.buf[i] == '\n';
        fail_msg("dist.c differs from scripts/gen_ziggurat.c at line %zu of the block:\n"
                 "  file: %.60s\n  gen:  %.60s",
                 line, start + same, gen.buf + same);
    }
    free(src);
    free(gen.buf);
}

/* The bases r agree with the published ones: Marsaglia and Tsang (2000),
   "The ziggurat method for generating random variables", 256 layers. */
static void test_bases_as_published(void **state)
{
    (void)state;
    long double x[ZIG_LAYERS + 1], v;
    static const zig_density norm = {"norm", norm_f, norm_finv, norm_tail, 3.0L, 4.0L};
    static const zig_density expo = {"exp", exp_f, exp_finv, exp_tail, 7.0L, 8.5L};
    long double rn = zig_solve(&norm, x, &v);
    assert_true(fabsl(rn - 3.6541528853610088L) < 1e-15L);
    /* published as 4.92867323399e-3, to about 2e-14 */
    assert_true(fabsl(v - 4.92867323399e-3L) < 3e-14L);
    /* every layer has area v: the top one within rounding */
    long double top = x[ZIG_LAYERS - 1] * (1 - norm_f(x[ZIG_LAYERS - 1]));
    assert_true(fabsl(top / v - 1) < 1e-15L);
    long double re = zig_solve(&expo, x, &v);
    assert_true(fabsl(re - 7.69711747013104972L) < 1e-15L);
    assert_true(fabsl(v - 3.949659822581572e-3L) < 1e-15L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_regenerate),
        cmocka_unit_test(test_bases_as_published),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
