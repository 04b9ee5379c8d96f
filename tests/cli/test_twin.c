/*
 * test_twin.c: `gemel twin` and `gemel model delete` as a user runs them:
 * the relationship verbs, exit statuses and one-line messages that name
 * each thing once, stores that reads must not create, --json on every
 * sub-command, and exports that are the same file twice. The commands
 * and queries of docs/twins.md run in tests/docs/test_examples.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "run.h"

#define RUN(...) cli_run((const char *const[]){"gemel", __VA_ARGS__, NULL})
#define FACTORY GEMEL_SOURCE_DIR "/examples/twins/factory.ndjson"

typedef struct tdir {
    char root[64];
    char data[128]; /* root/data: the data directory, made by the tests */
} tdir;

static void tdir_make(tdir *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/gemel-twin-cli-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    snprintf(t->data, sizeof t->data, "%s/data", t->root);
}

static void tdir_remove(tdir *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
}

static void path_in(char *out, size_t n, const tdir *t, const char *name)
{
    snprintf(out, n, "%s/%s", t->root, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void import_factory(const tdir *t)
{
    cli_result r = RUN("twin", "import", FACTORY, "--data", t->data);
    if (r.status)
        fail_msg("import: %s", r.err);
    cli_free(&r);
}

/* A new import file at path holding the example's header and models, and
   the Twins heading; the caller writes the twins and closes it. */
static FILE *factory_models(const char *path)
{
    FILE *f = fopen(path, "wb"), *ex = fopen(FACTORY, "rb");
    assert_non_null(f);
    assert_non_null(ex);
    char line[4096];
    for (int i = 0; i < 6 && fgets(line, sizeof line, ex); i++)
        fputs(line, f);
    fclose(ex);
    fputs("{\"Section\": \"Twins\"}\n", f);
    return f;
}

/* Exit status st, nothing on stdout, and stderr exactly the line want. */
static void expect_error(cli_result r, int st, const char *want)
{
    if (r.status != st || strcmp(r.err, want))
        fail_msg("exit %d, stderr '%s'; expected exit %d, '%s'", r.status, r.err, st, want);
    assert_string_equal(r.out, "");
    cli_free(&r);
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("not one JSON value: '%s': %s", text, je.text);
    return j;
}

/* Relationships can be added, read, listed and deleted one by one, so that
   a twin with relationships can be deleted from the command line; and a
   model no twin uses any more can be deleted (issue 18). */
static void test_relationship_verbs(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    import_factory(&t);
    char rel[256];
    path_in(rel, sizeof rel, &t, "rel.json");
    write_file(rel, "{\"$relationshipName\": \"feeds\", \"$targetId\": \"press-1\", \"bufferSize\": 9}");

    cli_result r = RUN("twin", "rel", "add", "press-8", "loop", rel, "--data", t.data);
    assert_int_equal(r.status, 0);
    json_t *j = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "$sourceId")), "press-8");
    assert_int_equal(json_integer_value(json_object_get(j, "bufferSize")), 9);
    json_decref(j);
    cli_free(&r);
    expect_error(RUN("twin", "rel", "add", "press-8", "loop", rel, "--data", t.data, "--if-none-match"),
                 2, "gemel: press-8: loop: the relationship exists (If-None-Match: *)\n");

    r = RUN("twin", "rel", "get", "press-8", "loop", "--data", t.data);
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "$targetId")), "press-1");
    json_decref(j);
    cli_free(&r);

    /* press-8: line2-press8 and feeds-8 reach it, loop leaves it */
    r = RUN("twin", "rel", "list", "press-8", "--data", t.data, "--incoming");
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    json_t *v = json_object_get(j, "value");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "$relationshipId")),
                        "feeds-8");
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "$relationshipId")),
                        "line2-press8");
    json_decref(j);
    cli_free(&r);
    r = RUN("twin", "rel", "list", "line-1", "--data", t.data);
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    v = json_object_get(j, "value");
    assert_int_equal(json_array_size(v), 4); /* in $relationshipId order */
    for (size_t i = 0; i < 4; i++) {
        char want[32];
        snprintf(want, sizeof want, "line1-press%zu", i + 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(v, i), "$relationshipId")),
                            want);
    }
    json_decref(j);
    cli_free(&r);

    expect_error(RUN("twin", "delete", "press-8", "--data", t.data), 2,
                 "gemel: press-8: 1 relationship leaves it and 2 reach it; delete them first\n");
    const char *rels[][2] = {{"press-8", "loop"}, {"line-2", "line2-press8"}, {"press-7", "feeds-8"}};
    for (int i = 0; i < 3; i++) {
        r = RUN("twin", "rel", "delete", rels[i][0], rels[i][1], "--data", t.data, "--json");
        assert_int_equal(r.status, 0);
        j = parse(r.out);
        assert_string_equal(json_string_value(json_object_get(j, "deleted")), rels[i][1]);
        json_decref(j);
        cli_free(&r);
    }
    expect_error(RUN("twin", "rel", "get", "press-8", "loop", "--data", t.data), 2,
                 "gemel: press-8: loop: no such relationship\n");
    expect_error(RUN("twin", "rel", "delete", "press-8", "loop", "--data", t.data), 2,
                 "gemel: press-8: loop: no such relationship\n");
    expect_error(RUN("twin", "rel", "list", "press-99", "--data", t.data), 2,
                 "gemel: press-99: no such twin\n");
    r = RUN("twin", "delete", "press-8", "--data", t.data);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    cli_free(&r);
    expect_error(RUN("twin", "get", "press-8", "--data", t.data), 2, "gemel: press-8: no such twin\n");

    /* models: refused while twins use it, deleted once none does */
    expect_error(RUN("model", "delete", "dtmi:com:example:factory:Line;1", "--data", t.data), 2,
                 "gemel: dtmi:com:example:factory:Line;1: twins use it; delete them first\n");
    for (int i = 1; i <= 4; i++) {
        char rid[32];
        snprintf(rid, sizeof rid, "line1-press%d", i);
        r = RUN("twin", "rel", "delete", "line-1", rid, "--data", t.data);
        assert_int_equal(r.status, 0);
        cli_free(&r);
    }
    for (int i = 5; i <= 7; i++) {
        char rid[32];
        snprintf(rid, sizeof rid, "line2-press%d", i);
        r = RUN("twin", "rel", "delete", "line-2", rid, "--data", t.data);
        assert_int_equal(r.status, 0);
        cli_free(&r);
    }
    const char *lines[] = {"line-1", "line-2"};
    for (int i = 0; i < 2; i++) {
        r = RUN("twin", "delete", lines[i], "--data", t.data);
        assert_int_equal(r.status, 0);
        cli_free(&r);
    }
    r = RUN("model", "delete", "dtmi:com:example:factory:Line;1", "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\n  \"deleted\": \"dtmi:com:example:factory:Line;1\"\n}\n");
    cli_free(&r);
    expect_error(RUN("model", "delete", "dtmi:com:example:factory:Line;1"), 2,
                 "gemel: model: delete needs --data DIR (see 'gemel model --help')\n");
    tdir_remove(&t);
}

/*
 * Exit statuses and messages (issue 18): a read on a data directory that
 * does not exist is an error and creates nothing; an id that is not UTF-8
 * is refused as such (it said "gemel: no error", exit 1); a directory in
 * use by another process is a failure, exit 1 (it was 2); each message
 * names the twin once.
 */
static void test_errors(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    char typo[256];
    path_in(typo, sizeof typo, &t, "dtaa");
    const char *reads[][3] = {{"get", "x", NULL}, {"query", "SELECT * FROM DIGITALTWINS", NULL},
                              {"export", "-", NULL}, {"events", NULL, NULL}};
    char want[512];
    snprintf(want, sizeof want, "gemel: %s: no gemel store: no such directory\n", typo);
    for (int i = 0; i < 4; i++) {
        cli_result r = reads[i][1] ? RUN("twin", reads[i][0], reads[i][1], "--data", typo)
                                   : RUN("twin", reads[i][0], "--data", typo);
        expect_error(r, 2, want);
    }
    expect_error(RUN("twin", "rel", "list", "x", "--data", typo), 2, want);
    struct stat st;
    assert_int_not_equal(stat(typo, &st), 0);
    /* an empty directory is not a store either */
    assert_int_equal(mkdir(typo, 0700), 0);
    snprintf(want, sizeof want, "gemel: %s: no gemel store here (no gemel.db)\n", typo);
    expect_error(RUN("twin", "get", "x", "--data", typo), 2, want);

    import_factory(&t);
    char body[256], patch[256];
    path_in(body, sizeof body, &t, "twin.json");
    path_in(patch, sizeof patch, &t, "patch.json");
    write_file(body, "{\"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"}, \"name\": \"x\"}");
    write_file(patch, "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"y\"}]");
    expect_error(RUN("twin", "create", "bad\xff", body, "--data", t.data), 2,
                 "gemel: bad\xff: $dtId: an id must be valid UTF-8 (byte 4 is not)\n");
    expect_error(RUN("twin", "get", "a b", "--data", t.data), 2, "gemel: a b: no such twin\n");
    expect_error(RUN("twin", "patch", "a b", patch, "--data", t.data), 2, "gemel: a b: no such twin\n");
    expect_error(RUN("twin", "create", "a b", body, "--data", t.data, "--if-match", "W/\"1\""), 2,
                 "gemel: a b: no such twin to match If-Match\n");
    expect_error(RUN("twin", "create", "line-1", body, "--data", t.data, "--if-none-match"), 2,
                 "gemel: line-1: the twin exists (If-None-Match: *)\n");
    expect_error(RUN("twin", "frob", "--data", t.data), 2,
                 "gemel: twin: unknown sub-command 'frob' (expected create, get, patch, delete, "
                 "rel, query, import, export or events) (see 'gemel twin --help')\n");
    expect_error(RUN("twin", "events", "--data", t.data, "--after", "-1"), 2,
                 "gemel: --after: expected a non-negative integer, got '-1'\n");

    /* held by another process: a failure, not a usage error */
    char lock[256];
    snprintf(lock, sizeof lock, "%s/gemel.lock", t.data);
    int fd = open(lock, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    cli_result r = RUN("twin", "get", "line-1", "--data", t.data);
    assert_int_equal(r.status, 1);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "is in use by another open store"));
    cli_free(&r);
    close(fd);
    tdir_remove(&t);
}

/* The bulk import from the command line: a section line that is unknown is
   named in the message (it printed freed memory: ASan failed the run), and
   nothing after a refused line is applied (issue 18). */
static void test_import(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    char bad[256];
    path_in(bad, sizeof bad, &t, "bad.ndjson");
    write_file(bad, "{\"Section\": \"Header\"}\n{}\n{\"Section\": \"Bogus\"}\n");
    cli_result r = RUN("twin", "import", bad, "--data", t.data);
    assert_int_equal(r.status, 2);
    char want[1024];
    snprintf(want, sizeof want,
             "gemel: %s:3: section 'Bogus' is unknown (expected Header, Models, Twins, "
             "Relationships in that order, each once)\n"
             "gemel: %s: imported 0 models, 0 twins, 0 relationships; 1 line refused "
             "(stopped at the first)\n",
             bad, bad);
    assert_string_equal(r.err, want);
    cli_free(&r);

    /* line 5 is refused; lines 6 to 405 are in flight behind it */
    FILE *f = factory_models(bad);
    fputs("{\"$dtId\": \"x\", \"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"}, "
          "\"name\": 5}\n", f);
    for (int i = 0; i < 400; i++)
        fprintf(f, "{\"$dtId\": \"l%d\", \"$metadata\": {\"$model\": "
                   "\"dtmi:com:example:factory:Line;1\"}}\n", i);
    fclose(f);
    r = RUN("twin", "import", bad, "--data", t.data, "--json");
    assert_int_equal(r.status, 2);
    json_t *j = parse(r.out);
    assert_int_equal(json_integer_value(json_object_get(j, "models")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "twins")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "refused")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "first_bad_line")), 8);
    assert_true(json_is_true(json_object_get(j, "stopped")));
    json_decref(j);
    snprintf(want, sizeof want, "gemel: %s:8: name: expected a string, found 5\n", bad);
    assert_memory_equal(r.err, want, strlen(want));
    cli_free(&r);
    expect_error(RUN("twin", "get", "l0", "--data", t.data), 2, "gemel: l0: no such twin\n");
    expect_error(RUN("twin", "get", "l399", "--data", t.data), 2, "gemel: l399: no such twin\n");
    tdir_remove(&t);
}

/* A line that is not JSON is named FILE:LINE:COLUMN, and standard input
   "<stdin>" (issue: "not valid JSON: :1:2:", the line parsed without a
   name), whether it is an import or a twin to create. */
static void test_json_error_locations(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    char bad[256], want[1024];
    path_in(bad, sizeof bad, &t, "bad.ndjson");
    write_file(bad, "{\"Section\": \"Header\"}\n{}\n{\"Section\": \"Twins\"}\n"
                    "{\"$dtId\": \"a\", oops}\n");
    snprintf(want, sizeof want,
             "gemel: %s:4:16: not valid JSON: string or '}' expected near 'oops'\n"
             "gemel: %s: imported 0 models, 0 twins, 0 relationships; 1 line refused "
             "(stopped at the first)\n",
             bad, bad);
    expect_error(RUN("twin", "import", bad, "--data", t.data), 2, want);
    expect_error(cli_run_in((const char *const[]){"gemel", "twin", "import", "-", "--data",
                                                 t.data, NULL},
                            bad),
                 2,
                 "gemel: <stdin>:4:16: not valid JSON: string or '}' expected near 'oops'\n"
                 "gemel: <stdin>: imported 0 models, 0 twins, 0 relationships; 1 line refused "
                 "(stopped at the first)\n");
    /* a twin from standard input: the same loader as from a file (its
       limits, duplicate keys refused), located the same way */
    write_file(bad, "{\n  \"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"},\n"
                    "  \"name\": oops\n}\n");
    expect_error(cli_run_in((const char *const[]){"gemel", "twin", "create", "x", "-", "--data",
                                                 t.data, NULL},
                            bad),
                 2, "gemel: <stdin>:3:11: invalid token near 'oops'\n");
    write_file(bad, "{\"name\": \"a\", \"name\": \"b\"}");
    expect_error(cli_run_in((const char *const[]){"gemel", "twin", "create", "x", "-", "--data",
                                                 t.data, NULL},
                            bad),
                 2, "gemel: <stdin>:1:15: duplicate object key \"name\"\n");
    /* and a good one still goes in */
    import_factory(&t);
    write_file(bad, "{\"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"}}");
    cli_result r = cli_run_in((const char *const[]){"gemel", "twin", "create", "line-9", "-",
                                                    "--data", t.data, NULL},
                              bad);
    if (r.status != 0)
        fail_msg("twin create from stdin: exit %d, '%s'", r.status, r.err);
    cli_free(&r);
    tdir_remove(&t);
}

/* Exports in a stable order, twins by $dtId and relationships by source
   and id, so that two exports of one graph are the same file and backups
   diff (issue 18: the order changed from run to run). */
static void test_export_order(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    import_factory(&t);
    char a[256], b[256];
    path_in(a, sizeof a, &t, "a.ndjson");
    path_in(b, sizeof b, &t, "b.ndjson");
    cli_result r = RUN("twin", "export", a, "--data", t.data);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    r = RUN("twin", "export", b, "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    json_t *j = parse(r.out);
    assert_int_equal(json_integer_value(json_object_get(j, "twins")), 10);
    assert_int_equal(json_integer_value(json_object_get(j, "relationships")), 14);
    json_decref(j);
    cli_free(&r);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    assert_int_equal(system(cmd), 0);
    /* in order */
    FILE *f = fopen(a, "rb");
    char line[4096], prev_twin[64] = "", prev_rel[160] = "";
    int section = 0, twins = 0, rels = 0;
    while (fgets(line, sizeof line, f)) {
        j = parse(line);
        if (json_object_get(j, "Section")) {
            section++;
        } else if (section == 3) {
            const char *id = json_string_value(json_object_get(j, "$dtId"));
            assert_true(strcmp(prev_twin, id) < 0);
            snprintf(prev_twin, sizeof prev_twin, "%s", id);
            twins++;
        } else if (section == 4) {
            char key[160];
            snprintf(key, sizeof key, "%s/%s", json_string_value(json_object_get(j, "$dtId")),
                     json_string_value(json_object_get(j, "$relationshipId")));
            assert_true(strcmp(prev_rel, key) < 0);
            snprintf(prev_rel, sizeof prev_rel, "%s", key);
            rels++;
        }
        json_decref(j);
    }
    fclose(f);
    assert_int_equal(twins, 10);
    assert_int_equal(rels, 14);
    tdir_remove(&t);
}

/* A store used only through the command line: after an import of 1,500
   twin lines the close stores a snapshot, so `twin events` with no --after
   starts after it (it failed: the default was 0, folded into the snapshot).
   --json on the others. */
static void test_events_and_json(void **state)
{
    (void)state;
    tdir t;
    tdir_make(&t);
    char big[256];
    path_in(big, sizeof big, &t, "big.ndjson");
    FILE *f = factory_models(big);
    for (int i = 0; i < 1500; i++)
        fprintf(f, "{\"$dtId\": \"l%d\", \"$metadata\": {\"$model\": "
                   "\"dtmi:com:example:factory:Line;1\"}, \"name\": \"n%d\"}\n", i % 100, i);
    fclose(f);
    cli_result r = RUN("twin", "import", big, "--data", t.data);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    char patch[256];
    path_in(patch, sizeof patch, &t, "patch.json");
    write_file(patch, "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"z\"}]");
    r = RUN("twin", "patch", "l7", patch, "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    json_t *j = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "z");
    json_decref(j);
    cli_free(&r);

    r = RUN("twin", "events", "--data", t.data);
    assert_int_equal(r.status, 0);
    j = parse(r.out); /* the patch only: the rest is in the snapshot */
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1502);
    assert_string_equal(json_string_value(json_object_get(j, "twin")), "l7");
    json_decref(j);
    cli_free(&r);
    r = RUN("twin", "events", "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "last")), 1502);
    json_decref(j);
    cli_free(&r);

    r = RUN("twin", "get", "l7", "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "$dtId")), "l7");
    json_decref(j);
    cli_free(&r);
    r = RUN("twin", "query", "SELECT COUNT() FROM DIGITALTWINS", "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    j = parse(r.out);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "value"), 0),
                                                        "COUNT")), 100);
    json_decref(j);
    cli_free(&r);
    r = RUN("twin", "delete", "l7", "--data", t.data, "--json");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "{\n  \"deleted\": \"l7\"\n}\n");
    cli_free(&r);
    tdir_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relationship_verbs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_json_error_locations),
        cmocka_unit_test(test_export_order),
        cmocka_unit_test(test_events_and_json),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
