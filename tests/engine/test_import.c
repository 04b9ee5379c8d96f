/*
 * test_import.c: the bulk import (engine/import.h) into a real engine: the
 * shipped example in full; a refused line stops the import with nothing
 * after it applied, although the lines behind it were already in flight;
 * with keep_going every bad line is reported once, in line order, and every
 * good one applied; a wrong structure stops it either way; long lines and
 * NUL bytes are refused without being held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/import.h"
#include "helpers.h"

#define HEADER "{\"Section\": \"Header\"}\n{\"fileVersion\": \"1.0.0\"}\n"
#define MODELS                                                                                    \
    "{\"Section\": \"Models\"}\n"                                                                 \
    "{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:i:Box;1\", \"@type\": \"Interface\","  \
    " \"contents\": [{\"@type\": \"Property\", \"name\": \"n\", \"schema\": \"integer\"},"         \
    " {\"@type\": \"Relationship\", \"name\": \"next\", \"target\": \"dtmi:i:Box;1\"}]}\n"
#define BOX(id, n) "{\"$dtId\": \"" id "\", \"$metadata\": {\"$model\": \"dtmi:i:Box;1\"}, \"n\": " #n "}\n"

typedef struct errors {
    int n;
    unsigned long line[64];
    char text[64][GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX];
} errors;

static void on_error(void *ctx, const gm_err *e)
{
    errors *x = ctx;
    assert_true(x->n < 64);
    /* "f.ndjson:LINE" or "f.ndjson:LINE:COLUMN" */
    assert_memory_equal(e->where, "f.ndjson:", 9);
    x->line[x->n] = strtoul(e->where + 9, NULL, 10);
    gm_err_format(e, x->text[x->n], sizeof x->text[0]);
    x->n++;
}

typedef struct run {
    int rc;
    gm_err err;
    gm_engine_import_result res;
    errors errs;
} run;

/* Import text into e. */
static run import_text(gm_engine *e, const char *text, size_t len, bool keep, size_t in_flight,
                       size_t max_line)
{
    run r;
    memset(&r, 0, sizeof r);
    FILE *in = fmemopen((void *)text, len, "rb");
    assert_non_null(in);
    gm_engine_import_opts o = {.name = "f.ndjson", .keep_going = keep, .in_flight = in_flight,
                               .max_line = max_line, .on_error = on_error, .ctx = &r.errs};
    gm_err_clear(&r.err);
    r.rc = gm_engine_import(e, in, &o, &r.res, &r.err);
    fclose(in);
    return r;
}

static gm_engine *open_dir(const char *dir)
{
    gm_engine_opts o = {.dir = dir};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&o, &err);
    if (!e)
        fail_msg("open %s: %s: %s", dir, err.where, err.what);
    return e;
}

static bool has_twin(gm_engine *e, const char *id)
{
    gm_engine_req r = {.op = GM_OP_TWIN_GET, .id = id};
    int rc = gm_engine_call(e, &r);
    json_decref(r.value);
    return rc == 0;
}

/* The example plant of examples/twins: 3 models, 10 twins, 14 relationships. */
static void test_example(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    FILE *in = fopen(GEMEL_SOURCE_DIR "/examples/twins/factory.ndjson", "rb");
    assert_non_null(in);
    gm_engine_import_result res;
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_engine_import(e, in, NULL, &res, &err), 0);
    fclose(in);
    assert_int_equal(res.models, 3);
    assert_int_equal(res.twins, 10);
    assert_int_equal(res.relationships, 14);
    assert_int_equal(res.refused, 0);
    assert_false(res.stopped);
    assert_int_equal(gm_engine_seq(e), 1 + 10 + 14);
    assert_true(has_twin(e, "press-8"));
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

/*
 * A line the engine refuses, with good lines behind it that are already in
 * flight when it is refused: without keep_going, none of them is applied
 * (issue 18: the import said it stopped at the first bad line, yet applied
 * the pipelined lines after it).
 */
static void test_stops_at_first_refusal(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    /* 200 good twins (lines 6 to 205), a refused one (a model that is not
       loaded) at line 206, 300 good ones behind it, then a line that is
       not JSON (507) */
    char *text = malloc(1 << 20);
    size_t n = (size_t)sprintf(text, HEADER MODELS "{\"Section\": \"Twins\"}\n");
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(text + n, "{\"$dtId\": \"a%d\", \"$metadata\": {\"$model\": "
                                       "\"dtmi:i:Box;1\"}, \"n\": %d}\n", i, i);
    n += (size_t)sprintf(text + n, "{\"$dtId\": \"bad\", \"$metadata\": {\"$model\": \"dtmi:i:No;1\"}}\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(text + n, "{\"$dtId\": \"b%d\", \"$metadata\": {\"$model\": "
                                       "\"dtmi:i:Box;1\"}, \"n\": %d}\n", i, i);
    n += (size_t)sprintf(text + n, "not json\n");
    run r = import_text(e, text, n, false, 0, 0);
    assert_int_equal(r.rc, GM_EINVAL);
    assert_int_equal(r.res.refused, 1);
    assert_int_equal(r.res.first_bad, 206);
    assert_true(r.res.stopped);
    assert_int_equal(r.errs.n, 1);
    assert_int_equal(r.errs.line[0], 206);
    assert_non_null(strstr(r.errs.text[0], "f.ndjson:206: $metadata.$model: model dtmi:i:No;1 is not loaded"));
    assert_string_equal(r.err.where, "f.ndjson:206");
    assert_int_equal(r.res.twins, 200);
    /* nothing behind the refused line: the models and the 200 twins */
    assert_int_equal(gm_engine_seq(e), 1 + 200);
    assert_true(has_twin(e, "a199"));
    assert_false(has_twin(e, "b0"));
    assert_false(has_twin(e, "b299"));

    /* the same with keep_going: the refused line and the bad JSON are
       reported, in line order, and everything else is applied */
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
    dir = temp_dir("import");
    e = open_dir(dir);
    r = import_text(e, text, n, true, 0, 0);
    assert_int_equal(r.rc, GM_EINVAL);
    assert_int_equal(r.res.refused, 2);
    assert_int_equal(r.errs.n, 2);
    assert_int_equal(r.errs.line[0], 206);
    assert_int_equal(r.errs.line[1], 507);
    /* a line that is not JSON: its column too, where the parser stopped */
    assert_string_equal(r.errs.text[1], "f.ndjson:507:1: not valid JSON: invalid token near 'not'");
    assert_int_equal(r.res.twins, 500);
    assert_false(r.res.stopped);
    assert_int_equal(gm_engine_seq(e), 1 + 500);
    assert_true(has_twin(e, "b299"));
    free(text);
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

/* A line the reader finds bad (not JSON) after a line the engine will
   refuse, both in flight at once: the first bad line in the file is the
   one reported and stopped at, whichever was found first. */
static void test_first_bad_line_wins(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    const char *text = HEADER MODELS "{\"Section\": \"Twins\"}\n" BOX("a", 1)
        "{\"$dtId\": \"b\", \"$metadata\": {\"$model\": \"dtmi:i:Box;1\"}, \"n\": \"x\"}\n"
        BOX("c", 3) "{oops\n" BOX("d", 4);
    run r = import_text(e, text, strlen(text), false, 0, 0);
    assert_int_equal(r.rc, GM_EINVAL);
    assert_int_equal(r.errs.n, 1);
    assert_int_equal(r.res.first_bad, 7);
    assert_non_null(strstr(r.errs.text[0], "f.ndjson:7: n: expected an integer"));
    assert_int_equal(gm_engine_seq(e), 2);
    assert_false(has_twin(e, "c"));
    assert_false(has_twin(e, "d"));
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

/*
 * The structure: an unknown or out-of-order section stops the import even
 * with keep_going, and the message names the section (issue 18: it printed
 * freed memory as the name); a line before the header; a second header
 * object; ids missing; a model that is not an object.
 */
static void test_structure(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    const char *unknown = HEADER "{\"Section\": \"Bogus\"}\n" MODELS;
    run r = import_text(e, unknown, strlen(unknown), true, 0, 0);
    assert_int_equal(r.rc, GM_EINVAL);
    assert_int_equal(r.errs.n, 1);
    assert_string_equal(r.errs.text[0],
                        "f.ndjson:3: section 'Bogus' is unknown (expected Header, Models, Twins, "
                        "Relationships in that order, each once)");
    assert_int_equal(r.res.models, 0);
    assert_true(r.res.stopped);

    const char *order = HEADER "{\"Section\": \"Twins\"}\n{\"Section\": \"Models\"}\n";
    r = import_text(e, order, strlen(order), true, 0, 0);
    assert_int_equal(r.errs.n, 1);
    assert_non_null(strstr(r.errs.text[0], "f.ndjson:4: section 'Models' is out of order"));

    const char *first = "{\"fileVersion\": \"1.0.0\"}\n" HEADER;
    r = import_text(e, first, strlen(first), true, 0, 0);
    assert_int_equal(r.errs.n, 1);
    assert_string_equal(r.errs.text[0], "f.ndjson:1: expected {\"Section\": \"Header\"} first");

    const char *lines = HEADER "{\"author\": \"x\"}\n" MODELS "{\"Section\": \"Twins\"}\n"
        "{\"n\": 1}\n[1, 2]\n" BOX("ok", 1) "{\"Section\": \"Relationships\"}\n"
        "{\"$dtId\": \"ok\", \"$targetId\": \"ok\"}\n";
    r = import_text(e, lines, strlen(lines), true, 0, 0);
    assert_int_equal(r.errs.n, 4);
    assert_string_equal(r.errs.text[0], "f.ndjson:3: the Header section holds one object");
    assert_string_equal(r.errs.text[1], "f.ndjson:7: a twin needs \"$dtId\"");
    assert_string_equal(r.errs.text[2], "f.ndjson:8: a twin needs \"$dtId\"");
    assert_string_equal(r.errs.text[3],
                        "f.ndjson:11: a relationship needs \"$dtId\" (its source) and "
                        "\"$relationshipId\"");
    assert_int_equal(r.res.models, 1);
    assert_int_equal(r.res.twins, 1);

    const char *model = HEADER "{\"Section\": \"Models\"}\n[]\n";
    r = import_text(e, model, strlen(model), false, 0, 0);
    assert_string_equal(r.errs.text[0],
                        "f.ndjson:4: a model is a JSON object (a DTDL interface), found array");
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

/* A Models section the engine refuses stops the import, with keep_going
   too: the twins after it would all fail. */
static void test_models_refused(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    const char *text = HEADER "{\"Section\": \"Models\"}\n"
        "{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:i:A;1\", \"@type\": \"Interface\","
        " \"extends\": \"dtmi:i:Missing;1\"}\n{\"Section\": \"Twins\"}\n" BOX("a", 1);
    run r = import_text(e, text, strlen(text), true, 0, 0);
    assert_int_equal(r.rc, GM_EINVAL);
    assert_int_equal(r.errs.n, 1);
    /* found where the section ends: the Twins heading */
    assert_int_equal(r.errs.line[0], 5);
    assert_non_null(strstr(r.errs.text[0], "f.ndjson:5: the Models section from line 3 is refused: "));
    assert_int_equal(r.res.twins, 0);
    assert_true(r.res.stopped);
    assert_int_equal(gm_engine_seq(e), 0);

    /* a bad line inside the section comes first, the refusal after it (at
       the last line, with no section after the models) */
    const char *two = HEADER "{\"Section\": \"Models\"}\n"
        "{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:i:A;1\", \"@type\": \"Interface\","
        " \"extends\": \"dtmi:i:Missing;1\"}\nnot json\n";
    r = import_text(e, two, strlen(two), true, 0, 0);
    assert_int_equal(r.errs.n, 2);
    assert_int_equal(r.errs.line[0], 5);
    assert_int_equal(r.errs.line[1], 5);
    assert_string_equal(r.errs.text[0], "f.ndjson:5:1: not valid JSON: invalid token near 'not'");
    assert_non_null(strstr(r.errs.text[1], "f.ndjson:5: the Models section from line 3 is refused"));
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

/* Long lines are refused by their length, read past and never held; a NUL
   byte inside a line makes it bad JSON, not a shorter line; a ring of two
   slots, reused many times, imports everything; the last line may lack its
   newline, and a \r\n ending is one. */
static void test_lines(void **state)
{
    (void)state;
    char *dir = temp_dir("import");
    gm_engine *e = open_dir(dir);
    char text[4096];
    size_t n = (size_t)sprintf(text, HEADER MODELS "{\"Section\": \"Twins\"}\n" BOX("a", 1));
    n += (size_t)sprintf(text + n, "{\"$dtId\": \"long\", \"pad\": \"");
    for (int i = 0; i < 600; i++)
        text[n++] = 'x';
    n += (size_t)sprintf(text + n, "\"}\n");
    memcpy(text + n, "{\"$dtId\": \"z\"\0}\n", 16);
    n += 16;
    for (int i = 0; i < 20; i++)
        n += (size_t)sprintf(text + n, "{\"$dtId\": \"r%d\", \"$metadata\": {\"$model\": "
                                       "\"dtmi:i:Box;1\"}, \"n\": %d}\r\n", i, i);
    n += (size_t)sprintf(text + n, "%s", BOX("last", 9));
    n--; /* no newline at the end */
    run r = import_text(e, text, n, true, 2, 512);
    assert_int_equal(r.errs.n, 2);
    assert_string_equal(r.errs.text[0], "f.ndjson:7: longer than 512 bytes");
    assert_int_equal(r.errs.line[1], 8);
    assert_string_equal(r.errs.text[1], "f.ndjson:8:14: not valid JSON: NUL byte (not allowed in JSON text)");
    assert_int_equal(r.res.twins, 22);
    assert_int_equal(r.res.lines, 29);
    assert_true(has_twin(e, "r19"));
    assert_true(has_twin(e, "last"));
    assert_false(has_twin(e, "long"));
    assert_int_equal(gm_engine_close(e, NULL), 0);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_stops_at_first_refusal),
        cmocka_unit_test(test_first_bad_line_wins),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_models_refused),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
