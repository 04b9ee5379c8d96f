/*
 * helpers.h: small helpers shared by the engine's tests, and by the twin
 * graph's through tests/twin/fixture.h (include after cmocka.h).
 */
#ifndef GM_TESTS_ENGINE_HELPERS_H
#define GM_TESTS_ENGINE_HELPERS_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* JSON from test text (any value); fails the test on bad text. */
static inline json_t *J(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("bad test JSON at %d:%d: %s: %s", je.line, je.column, je.text, text);
    return j;
}

/* A new empty directory /tmp/gemel-<what>-XXXXXX (free with remove_dir). */
static inline char *temp_dir(const char *what)
{
    char *d = malloc(64);
    assert_non_null(d);
    snprintf(d, 64, "/tmp/gemel-%s-XXXXXX", what);
    assert_non_null(mkdtemp(d));
    return d;
}

/* Remove directory d and everything in it, and free d. */
static inline void remove_dir(char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

#endif
