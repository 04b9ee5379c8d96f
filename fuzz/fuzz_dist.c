/*
 * fuzz_dist.c: libFuzzer target for num/dist's JSON parsing and samplers.
 *
 * Feeds the input to gm_json_load_str (small limits) and, when it parses,
 * to gm_dist_from_json. A rejection must carry a code and a one-line message
 * located under the object's path, and leave the output untouched. An
 * accepted distribution must have a finite mean and variance, describe
 * itself, copy, and give 100 samples that are finite and inside the support
 * named by the spec (integers for the counting kinds), each with a CDF in
 * [0, 1].
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -Isrc src/base/[a-z]*.c src/num/[a-z]*.c \
 *       fuzz/fuzz_dist.c $(pkg-config --cflags --libs jansson) -lm -lpthread \
 *       -o /tmp/fuzz_dist && /tmp/fuzz_dist -max_total_time=60
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "num/dist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const gm_json_limits fuzz_limits = {.max_bytes = 4096, .max_depth = 8};

static double num_or(const json_t *spec, const char *key, double dflt)
{
    const json_t *v = json_object_get(spec, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* The support as the spec states it: [lo, hi], integer or not. */
static void support(const gm_dist *d, const json_t *spec, double *lo, double *hi, bool *integer)
{
    *lo = -HUGE_VAL, *hi = HUGE_VAL, *integer = false;
    switch (d->kind) {
    case GM_DIST_CONSTANT: *lo = *hi = num_or(spec, "value", 0); break;
    case GM_DIST_UNIFORM:
    case GM_DIST_TRIANGULAR:
    case GM_DIST_PERT:
    case GM_DIST_TRUNCNORMAL:
        *lo = num_or(spec, "min", -HUGE_VAL);
        *hi = num_or(spec, "max", HUGE_VAL);
        break;
    case GM_DIST_BETA:
        *lo = num_or(spec, "min", 0);
        *hi = num_or(spec, "max", 1);
        break;
    case GM_DIST_EXPONENTIAL:
    case GM_DIST_LOGNORMAL:
    case GM_DIST_GAMMA:
    case GM_DIST_ERLANG:
    case GM_DIST_WEIBULL: *lo = 0; break;
    case GM_DIST_POISSON: *lo = 0, *integer = true; break;
    case GM_DIST_BINOMIAL: *lo = 0, *hi = num_or(spec, "n", 0), *integer = true; break;
    case GM_DIST_BERNOULLI: *lo = 0, *hi = 1, *integer = true; break;
    case GM_DIST_GEOMETRIC: *lo = 1, *integer = true; break;
    case GM_DIST_NORMAL: break;
    case GM_DIST_EMPIRICAL_DISCRETE:
    case GM_DIST_EMPIRICAL_CONTINUOUS: {
        const json_t *arr = json_object_get(spec, d->kind == GM_DIST_EMPIRICAL_DISCRETE
                                                      ? "values"
                                                      : "samples");
        *lo = HUGE_VAL, *hi = -HUGE_VAL;
        for (size_t i = 0; i < json_array_size(arr); i++) {
            double v = json_number_value(json_array_get(arr, i));
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
        }
        break;
    }
    }
}

/* A drawn empirical-discrete value must be one with a positive weight. */
static bool listed_with_weight(const json_t *spec, double x)
{
    const json_t *v = json_object_get(spec, "values"), *w = json_object_get(spec, "weights");
    for (size_t i = 0; i < json_array_size(v); i++)
        if (json_number_value(json_array_get(v, i)) == x &&
            json_number_value(json_array_get(w, i)) > 0)
            return true;
    return false;
}

static void check_rejection(const gm_err *e, int rc)
{
    if (rc >= 0 || e->code != rc || !e->what[0])
        abort();
    if (strncmp(e->where, "d", 1) != 0)
        abort();
    for (const char *p = e->what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *spec = gm_json_load_str((const char *)data, size, &fuzz_limits, "fuzz", &e);
    if (!spec)
        return 0;

    gm_dist d, untouched;
    memset(&d, 0xa5, sizeof d);
    untouched = d;
    int rc = gm_dist_from_json(spec, "d", &d, &e);
    if (rc != 0) {
        check_rejection(&e, rc);
        if (memcmp(&d, &untouched, sizeof d) != 0)
            abort();
        json_decref(spec);
        return 0;
    }

    if (!isfinite(gm_dist_mean(&d)) || !(gm_dist_var(&d) >= 0) || !isfinite(gm_dist_var(&d)))
        abort();
    char small[16], big[512];
    int len = gm_dist_describe(&d, small, sizeof small);
    if (len <= 0 || gm_dist_describe(&d, big, sizeof big) != len || strlen(small) >= sizeof small)
        abort();

    gm_dist copy;
    if (gm_dist_copy(&copy, &d) != 0)
        abort();

    double lo, hi;
    bool integer;
    support(&d, spec, &lo, &hi, &integer);
    gm_rng r1, r2;
    gm_rng_seed(&r1, size, 0);
    r2 = r1;
    for (int i = 0; i < 100; i++) {
        double x = gm_dist_sample(&d, &r1);
        if (!isfinite(x) || x < lo || x > hi)
            abort();
        if (integer && x != floor(x))
            abort();
        if (d.kind == GM_DIST_EMPIRICAL_DISCRETE && !listed_with_weight(spec, x))
            abort();
        if (i < 5) { /* the CDF can take milliseconds for huge parameters */
            double c = gm_dist_cdf(&d, x);
            if (!(c >= 0 && c <= 1))
                abort();
        }
        if (gm_dist_sample(&copy, &r2) != x) /* the copy samples identically */
            abort();
    }
    gm_dist_free(&copy);
    gm_dist_free(&d);
    json_decref(spec);
    return 0;
}
