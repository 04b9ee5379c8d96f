/*
 * gen_ziggurat: regenerate the ziggurat tables of src/num/dist.c.
 *
 *   cc -O2 -o gen_ziggurat scripts/gen_ziggurat.c -lm && ./gen_ziggurat
 *
 * prints the block of dist.c from "#define ZIG_NORM_R" to the end of
 * zig_exp_f, byte for byte; tests/num/test_zigtables.c runs the same code
 * and compares it with the file.
 *
 * The construction (Marsaglia and Tsang 2000, with the layer numbering of
 * dist.c): a density f decreasing on x >= 0 is covered by 256 pieces of
 * equal area v. Layer 0 is the strip [0, x0) x [0, f(r)] with x0 = v / f(r):
 * its part up to r is a rectangle and the rest stands for the tail beyond r,
 * so v = r f(r) + (area of f beyond r). Layer i >= 1 is the rectangle
 * [0, x_i) x [f(x_i), f(x_(i+1))] with x_1 = r, so that
 *     x_(i+1) = f^-1(f(x_i) + v / x_i),
 * and r is the value for which the top layer ends exactly at f(0):
 * x_255 (f(0) - f(x_255)) = v (x_256 = 0). r is found by bisection on that
 * condition in 80-bit long double, and every table entry is computed in
 * long double and rounded to double (or, for k, floored) once:
 *     k[i] = floor(2^53 x_(i+1) / x_i), w[i] = x_i / 2^53,
 *     f[i] = f(x_i) for 1 <= i <= 255, f[0] = 0, f[256] = f(0) = 1.
 * The normal's tail area is sqrt(pi/2) erfc(r / sqrt 2), the exponential's
 * exp(-r).
 */
#ifndef GEN_ZIGGURAT_NO_MAIN
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#endif

#define ZIG_LAYERS 256

typedef struct zig_density {
    const char *name; /* "norm", "exp" */
    long double (*f)(long double x);
    long double (*finv)(long double y);
    long double (*tail)(long double r); /* area of f beyond r */
    long double lo, hi;                 /* a bracket of r */
} zig_density;

static long double norm_f(long double x) { return expl(-0.5L * x * x); }
static long double norm_finv(long double y) { return sqrtl(-2.0L * logl(y)); }
static long double norm_tail(long double r)
{
    return sqrtl(acosl(-1.0L) / 2.0L) * erfcl(r / sqrtl(2.0L));
}
static long double exp_f(long double x) { return expl(-x); }
static long double exp_finv(long double y) { return -logl(y); }
static long double exp_tail(long double r) { return expl(-r); }

/* Fill x[1..255] from r; return the area left between the top layer's floor
   f(x_255) and f(0) minus v: positive when r is too large (v too small to
   reach the top), negative when too small, and -1 when a layer already
   reaches past f(0). */
static long double zig_layers(const zig_density *d, long double r, long double *x, long double *v)
{
    *v = r * d->f(r) + d->tail(r);
    x[1] = r;
    for (int i = 1; i < ZIG_LAYERS - 1; i++) {
        long double y = d->f(x[i]) + *v / x[i];
        if (y >= d->f(0))
            return -1;
        x[i + 1] = d->finv(y);
    }
    return x[ZIG_LAYERS - 1] * (d->f(0) - d->f(x[ZIG_LAYERS - 1])) - *v;
}

/* r by bisection to the last bit of long double. */
static long double zig_solve(const zig_density *d, long double *x, long double *v)
{
    long double lo = d->lo, hi = d->hi;
    for (int it = 0; it < 200; it++) {
        long double mid = 0.5L * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (zig_layers(d, mid, x, v) < 0)
            lo = mid;
        else
            hi = mid;
    }
    zig_layers(d, hi, x, v);
    return hi;
}

typedef void (*zig_out)(void *ctx, const char *text);

static void zig_printf(zig_out out, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void zig_printf(zig_out out, void *ctx, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out(ctx, buf);
}

/* Entry n of a table of count, four to a line. */
static void zig_sep(zig_out out, void *ctx, int n, int count)
{
    out(ctx, (n + 1) % 4 == 0 ? ",\n" : ", ");
    if (n + 1 == count)
        out(ctx, "};\n");
}

static void zig_tables(const zig_density *d, zig_out out, void *ctx)
{
    long double x[ZIG_LAYERS + 1], v;
    long double r = zig_solve(d, x, &v);
    x[0] = v / d->f(r);
    x[ZIG_LAYERS] = 0;
    char upper[8];
    snprintf(upper, sizeof upper, "%s", d->name);
    for (char *p = upper; *p; p++)
        *p = (char)(*p - 'a' + 'A');
    zig_printf(out, ctx, "#define ZIG_%s_R %a /* %.17g */\n", upper, (double)r, (double)r);
    zig_printf(out, ctx, "static const uint64_t zig_%s_k[%d] = {\n", d->name, ZIG_LAYERS);
    for (int i = 0; i < ZIG_LAYERS; i++) {
        uint64_t k = (uint64_t)floorl(0x1p53L * x[i + 1] / x[i]);
        zig_printf(out, ctx, "0x%016" PRIx64 "ULL", k);
        zig_sep(out, ctx, i, ZIG_LAYERS);
    }
    zig_printf(out, ctx, "static const double zig_%s_w[%d] = {\n", d->name, ZIG_LAYERS);
    for (int i = 0; i < ZIG_LAYERS; i++) {
        zig_printf(out, ctx, "%a", (double)(x[i] / 0x1p53L));
        zig_sep(out, ctx, i, ZIG_LAYERS);
    }
    zig_printf(out, ctx, "static const double zig_%s_f[%d] = {\n", d->name, ZIG_LAYERS + 1);
    for (int i = 0; i <= ZIG_LAYERS; i++) {
        long double f = i == 0 ? 0 : i == ZIG_LAYERS ? d->f(0) : d->f(x[i]);
        zig_printf(out, ctx, "%a", (double)f);
        zig_sep(out, ctx, i, ZIG_LAYERS + 1);
    }
}

/* Both ziggurats, as dist.c holds them. */
static void zig_generate(zig_out out, void *ctx)
{
    static const zig_density norm = {"norm", norm_f, norm_finv, norm_tail, 3.0L, 4.0L};
    static const zig_density expo = {"exp", exp_f, exp_finv, exp_tail, 7.0L, 8.5L};
    zig_tables(&norm, out, ctx);
    zig_tables(&expo, out, ctx);
}

#ifndef GEN_ZIGGURAT_NO_MAIN
static void to_stdout(void *ctx, const char *text)
{
    (void)ctx;
    fputs(text, stdout);
}

int main(void)
{
    zig_generate(to_stdout, NULL);
    return 0;
}
#endif
