/*
 * fuzz_patch.c: libFuzzer target for twin/patch.
 *
 * The input is one JSON object {"doc": any, "patch": any} (other inputs are
 * ignored after loading, and so are patches with more than six copy
 * operations, which can double the document each). The patch is checked and applied to a copy of doc,
 * and what must always hold is checked:
 *   - a failure carries a code and a one-line, valid UTF-8 message; it is
 *     GM_EINVAL, GM_ECONFLICT or GM_ELIMIT; the document is the same pointer
 *     with the same dump (member order included) as before;
 *   - gm_patch_check fails exactly when apply fails on the patch's shape,
 *     with the same code and message;
 *   - a success equals applying the operations one at a time, and the result
 *     shares no json_t with the patch;
 *   - gm_patch_diff round-trips (before -> after, and doc -> patch as
 *     arbitrary JSON) and its output passes gm_patch_check;
 *   - every "path" and "from" resolves with gm_pointer_get without crashing,
 *     with a valid message when it does not resolve.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -Isrc src/base/err.c \
 *       src/base/json.c src/base/vec.c src/base/map.c src/twin/patch.c \
 *       fuzz/fuzz_patch.c $(pkg-config --cflags --libs jansson) -lpthread \
 *       -o /tmp/fuzz_patch && /tmp/fuzz_patch -max_total_time=60
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#include "base/json.h"
#include "twin/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const gm_json_limits fuzz_limits = {.max_bytes = 4096, .max_depth = 24};

static void check_msg(const gm_err *e, int rc)
{
    if (rc >= 0 || e->code != rc || !e->what[0])
        abort();
    if (!valid_utf8(e->where) || !valid_utf8(e->what))
        abort();
    for (const char *p = e->where; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    for (const char *p = e->what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
}

static char *dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    return s;
}

/* Does any node of tree v appear in the pointer set? */
static bool shares(const json_t *v, const json_t *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
            if (shares(c, set, n))
                return true;
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (shares(json_array_get(v, i), set, n))
                return true;
    }
    return false;
}

/* Nodes of v, up to cap; jansson's true, false and null are immutable
   singletons that every document shares, so they are left out. */
static void collect(const json_t *v, const json_t **set, size_t *n, size_t cap)
{
    if (*n == cap)
        return;
    if (!json_is_boolean(v) && !json_is_null(v))
        set[(*n)++] = v;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
            collect(c, set, n, cap);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            collect(json_array_get(v, i), set, n, cap);
    }
}

/* diff(a, b) applied to a copy of a gives b. */
static void diff_roundtrip(const json_t *a, const json_t *b)
{
    json_t *p = NULL;
    if (gm_patch_diff(a, b, &p, NULL) != GM_OK)
        abort();
    if (gm_patch_check(p, NULL) != GM_OK)
        abort();
    json_t *x = json_deep_copy(a);
    if (!x || gm_patch_apply(&x, p, NULL) != GM_OK || !json_equal(x, b))
        abort();
    json_decref(x);
    json_decref(p);
}

static void fuzz_pointers(const json_t *doc, const json_t *patch)
{
    if (!json_is_array(patch))
        return;
    for (size_t i = 0; i < json_array_size(patch) && i < 64; i++) {
        const json_t *op = json_array_get(patch, i);
        const char *names[2] = {"path", "from"};
        for (int k = 0; k < 2; k++) {
            const char *s = json_string_value(json_object_get(op, names[k]));
            if (!s)
                continue;
            gm_err e;
            gm_err_clear(&e);
            if (!gm_pointer_get(doc, s, &e))
                check_msg(&e, e.code);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *in = gm_json_load_str((const char *)data, size, &fuzz_limits, "fuzz", &e);
    if (!in)
        return 0;
    const json_t *doc_in = json_object_get(in, "doc");
    const json_t *patch = json_object_get(in, "patch");
    if (!doc_in || !patch) {
        json_decref(in);
        return 0;
    }
    /* copy doubles a document per operation; a few are enough to explore */
    size_t copies = 0;
    for (size_t i = 0; json_is_array(patch) && i < json_array_size(patch); i++) {
        const char *op = json_string_value(json_object_get(json_array_get(patch, i), "op"));
        if (op && strcmp(op, "copy") == 0)
            copies++;
    }
    if (copies > 6) {
        json_decref(in);
        return 0;
    }
    json_t *doc = json_deep_copy(doc_in);
    json_t *saved = json_deep_copy(doc_in);
    if (!doc || !saved)
        abort();
    char *s0 = dump(doc);
    json_t *root = doc;

    gm_err ce;
    gm_err_clear(&ce);
    int crc = gm_patch_check(patch, &ce);
    if (crc != GM_OK)
        check_msg(&ce, crc);

    gm_err_clear(&e);
    int rc = gm_patch_apply(&doc, patch, &e);
    if (rc != GM_OK) {
        check_msg(&e, rc);
        if (rc != GM_EINVAL && rc != GM_ECONFLICT && rc != GM_ELIMIT)
            abort();
        /* all or nothing, down to member order */
        if (doc != root || !json_equal(doc, saved))
            abort();
        char *s1 = dump(doc);
        if (strcmp(s0, s1) != 0)
            abort();
        free(s1);
        if (crc != GM_OK) {
            if (rc != crc || strcmp(e.where, ce.where) != 0 || strcmp(e.what, ce.what) != 0)
                abort();
        } else {
            /* a valid shape fails only on an operation: "[k] (op ...)" */
            const char *close = strchr(e.where, ']');
            if (e.where[0] != '[' || !close || strncmp(close, "] (", 3) != 0)
                abort();
        }
    } else {
        if (crc != GM_OK)
            abort();
        /* the same operations, one at a time */
        json_t *step = json_deep_copy(saved);
        if (!step)
            abort();
        for (size_t i = 0; i < json_array_size(patch); i++) {
            json_t *one = json_array();
            if (!one || json_array_append(one, json_array_get(patch, i)) != 0)
                abort();
            if (gm_patch_apply(&step, one, NULL) != GM_OK)
                abort();
            json_decref(one);
        }
        if (!json_equal(step, doc))
            abort();
        char *a = dump(doc), *b = dump(step);
        if (strcmp(a, b) != 0)
            abort();
        free(a);
        free(b);
        json_decref(step);

        /* nothing of the patch lives on in the document */
        const json_t *set[512];
        size_t n = 0;
        collect(patch, set, &n, sizeof set / sizeof set[0]);
        if (shares(doc, set, n))
            abort();

        diff_roundtrip(saved, doc);
    }
    diff_roundtrip(saved, patch);
    fuzz_pointers(saved, patch);

    free(s0);
    json_decref(saved);
    json_decref(doc);
    json_decref(in);
    return 0;
}
