/*
 * fuzz_json.c: libFuzzer target for base/json.
 *
 * Feeds the input to gm_json_load_str with small limits and checks what must
 * always hold: a failure carries a code and a one-line, valid UTF-8 message
 * located at "fuzz:line:col" (or "fuzz" for the size limit); a success
 * respects the depth limit and survives a dump/reload round trip. When the
 * result is an object it goes through gm_json_unpack with a fixed field
 * table, strict and with extras allowed, checking all-or-nothing, and every
 * key goes through the path helpers with a small buffer.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -Isrc src/base/err.c \
 *       src/base/json.c fuzz/fuzz_json.c $(pkg-config --cflags --libs jansson) \
 *       -o /tmp/fuzz_json && /tmp/fuzz_json -max_total_time=60
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const gm_json_limits fuzz_limits = {.max_bytes = 2048, .max_depth = 16};


static void check_msg(const gm_err *e)
{
    if (e->code >= 0 || !e->what[0])
        abort();
    if (!valid_utf8(e->where) || !valid_utf8(e->what))
        abort();
    for (const char *p = e->what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
}

static int depth_of(const json_t *v)
{
    int d = 0;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            int c = depth_of(json_array_get(v, i));
            if (c > d)
                d = c;
        }
        return d + 1;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            int cd = depth_of(c);
            if (cd > d)
                d = cd;
        }
        return d + 1;
    }
    return 0;
}

static void fuzz_unpack(const json_t *obj)
{
    const char *name = "sentinel";
    int64_t n = 12345;
    double x = -7.0;
    bool on = false, have_name = false, have_any = true;
    const json_t *cfg = NULL, *list = NULL, *any = NULL;
    gm_json_field f[] = {
        GM_JF_FULL("name", GM_JK_STRING, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, (void *)&name,
                   &have_name, 1, 8),
        GM_JF_RANGE("n", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &n, -1000, 9007199254740992.0),
        GM_JF_RANGE("x", GM_JK_NUMBER, GM_JF_NULLABLE | GM_JF_MIN | GM_JF_MIN_EXCL, &x, 0, 0),
        GM_JF("on", GM_JK_BOOL, 0, &on),
        GM_JF_RANGE("cfg", GM_JK_OBJECT, GM_JF_MAX, (void *)&cfg, 0, 3),
        GM_JF_RANGE("list", GM_JK_ARRAY, GM_JF_MIN, (void *)&list, 1, 0),
        GM_JF_P("any", GM_JK_ANY, GM_JF_NULLABLE, (void *)&any, &have_any),
        GM_JF("my key", GM_JK_STRING, 0, NULL),
    };
    const size_t nf = sizeof f / sizeof f[0];

    for (unsigned flags = 0; flags <= GM_JSON_ALLOW_EXTRA; flags++) {
        gm_err e;
        gm_err_clear(&e);
        int rc = gm_json_unpack(obj, "root[0]", f, nf, flags, &e);
        if (rc != GM_OK) {
            check_msg(&e);
            if (rc != GM_EINVAL || e.code != rc)
                abort();
            /* All or nothing: no out variable or flag touched. */
            if (strcmp(name, "sentinel") != 0 || n != 12345 || x != -7.0 || on || have_name ||
                !have_any || cfg || list || any)
                abort();
            if (strncmp(e.where, "root[0]", 7) != 0)
                abort();
            continue;
        }
        /* Success: the values obey the table. */
        if (!have_name || json_string_value(json_object_get(obj, "name")) != name)
            abort();
        if (json_object_get(obj, "n") && (n < -1000 || n > 9007199254740992LL))
            abort();
        if (json_is_number(json_object_get(obj, "x")) && !(x > 0))
            abort();
        if (cfg && json_object_size(cfg) > 3)
            abort();
        if (list && json_array_size(list) < 1)
            abort();
        if (have_any != (any != NULL))
            abort();
        return;
    }
}

static void fuzz_paths(const json_t *obj)
{
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)obj, k, v) {
        char small[12], big[GM_ERR_WHERE_MAX];
        memset(small, 'x', sizeof small);
        int rc = gm_json_path_key(small, sizeof small, "a.b", k);
        if ((rc != GM_OK && rc != GM_ELIMIT) || memchr(small, '\0', sizeof small) == NULL)
            abort();
        if (!valid_utf8(small))
            abort();
        if (gm_json_path_key(big, sizeof big, "", k) == GM_OK && rc == GM_OK &&
            strncmp(small, "a.b", 3) != 0)
            abort();
        gm_json_path_index(big, sizeof big, big, i++);
        if (!valid_utf8(big))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str((const char *)data, size, &fuzz_limits, "fuzz", &e);
    if (!v) {
        check_msg(&e);
        if (strncmp(e.where, "fuzz", 4) != 0)
            abort();
        return 0;
    }
    if (depth_of(v) > fuzz_limits.max_depth)
        abort();

    /* Round trip: what we accept, jansson can write and we accept again. */
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text) {
        gm_json_limits big = {1 << 20, fuzz_limits.max_depth};
        json_t *again = gm_json_load_str(text, strlen(text), &big, "again", &e);
        if (!again || !json_equal(v, again))
            abort();
        json_decref(again);
        free(text);
    }

    if (json_is_object(v)) {
        fuzz_unpack(v);
        fuzz_paths(v);
    }
    json_decref(v);
    return 0;
}
