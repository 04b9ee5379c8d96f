/*
 * test_dump.c: dumps of the twin graph (gm_twin_dump_*) hold the graph
 * exactly as it was when they began, whatever the owner changes while they
 * run: patches (deferred metadata and not), replacements, deletions, new
 * twins and relationships, relationship patches, reads that settle
 * metadata. Each test builds the same graph twice from the same changes;
 * the second is never touched and is what the dump must hold. A threaded
 * test runs the dump on its own thread against a writer (run under TSan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/sb.h"
#include "twin/graph.h"
#include "fixture.h"

#define CTX "\"@context\": \"dtmi:dtdl:context;3\", "

static const char *models_json =
    "[{" CTX "\"@id\": \"dtmi:d:Machine;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"rpm\", \"schema\": \"double\"},"
    "  {\"@type\": \"Property\", \"name\": \"state\", \"schema\": \"string\"},"
    "  {\"@type\": \"Property\", \"name\": \"cfg\", \"schema\": {\"@type\": \"Object\", \"fields\": ["
    "     {\"name\": \"a\", \"schema\": \"integer\"}]}},"
    "  {\"@type\": \"Relationship\", \"name\": \"feeds\", \"target\": \"dtmi:d:Machine;1\","
    "   \"properties\": [{\"@type\": \"Property\", \"name\": \"weight\", \"schema\": \"double\"}]}]},"
    " {" CTX "\"@id\": \"dtmi:d:Line;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"name\", \"schema\": \"string\"},"
    "  {\"@type\": \"Relationship\", \"name\": \"contains\", \"target\": \"dtmi:d:Machine;1\"}]}]";

typedef struct fixture {
    gm_model_registry *models;
    gm_twin_graph *g;   /* dumped and changed */
    gm_twin_graph *ref; /* the same, never changed after the start */
    int64_t ns;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->models = fixture_models(models_json);
    f->g = gm_twin_graph_create(f->models);
    f->ref = gm_twin_graph_create(f->models);
    f->ns = 1700000000000000000LL;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gm_twin_graph_destroy(f->g);
    gm_twin_graph_destroy(f->ref);
    gm_model_registry_destroy(f->models);
    free(f);
    return 0;
}

/* ---- changes, to one graph or to both ----------------------------------------------- */

static void expect_ok(int rc, const gm_err *err, const char *what)
{
    if (rc)
        fail_msg("%s: %d %s: %s", what, rc, err->where, err->what);
}

static void put(fixture *f, gm_twin_graph *g, const char *id, const char *body)
{
    json_t *b = J(body);
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_twin_put(g, id, b, NULL, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
    json_decref(b);
}

static void patch(fixture *f, gm_twin_graph *g, const char *id, const char *ops)
{
    json_t *p = J(ops);
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_twin_patch(g, id, p, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
    json_decref(p);
}

static void del(fixture *f, gm_twin_graph *g, const char *id)
{
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_twin_delete(g, id, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
}

static void rel(fixture *f, gm_twin_graph *g, const char *src, const char *id, const char *body)
{
    json_t *b = J(body);
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_rel_put(g, src, id, b, NULL, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
    json_decref(b);
}

static void rel_patch(fixture *f, gm_twin_graph *g, const char *src, const char *id,
                      const char *ops)
{
    json_t *p = J(ops);
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_rel_patch(g, src, id, p, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
    json_decref(p);
}

static void rel_del(fixture *f, gm_twin_graph *g, const char *src, const char *id)
{
    gm_twin_event ev;
    gm_err err;
    gm_err_clear(&err);
    expect_ok(gm_rel_delete(g, src, id, NULL, f->ns, &ev, &err), &err, id);
    json_decref(ev.body);
}

static const char *mid(char *buf, size_t n, int i)
{
    snprintf(buf, n, "m%05d", i);
    return buf;
}

/* nlines lines of nm machines each, to both graphs: each line contains its
   machines, each machine feeds the next on its line; then patches that
   leave metadata due (rpm, state) and that do not (cfg). */
static void build(fixture *f, int nlines, int nm)
{
    gm_twin_graph *gs[2] = {f->g, f->ref};
    for (int k = 0; k < 2; k++) {
        gm_twin_graph *g = gs[k];
        f->ns = 1700000000000000000LL;
        char id[32], id2[32], rid[48], body[256];
        for (int l = 0; l < nlines; l++) {
            snprintf(id, sizeof id, "l%03d", l);
            snprintf(body, sizeof body,
                     "{\"$metadata\": {\"$model\": \"dtmi:d:Line;1\"}, \"name\": \"line %d\"}", l);
            f->ns += 1000;
            put(f, g, id, body);
        }
        for (int l = 0; l < nlines; l++) {
            for (int i = 0; i < nm; i++) {
                int n = l * nm + i;
                snprintf(body, sizeof body,
                         "{\"$metadata\": {\"$model\": \"dtmi:d:Machine;1\"}, \"rpm\": %d.5, "
                         "\"state\": \"s%d\", \"cfg\": {\"a\": %d}}",
                         n, n % 7, n);
                f->ns += 1000;
                put(f, g, mid(id, sizeof id, n), body);
                char lid[16];
                snprintf(lid, sizeof lid, "l%03d", l);
                snprintf(rid, sizeof rid, "c-%s", id);
                snprintf(body, sizeof body,
                         "{\"$relationshipName\": \"contains\", \"$targetId\": \"%s\"}", id);
                f->ns += 1000;
                rel(f, g, lid, rid, body);
                if (i > 0) {
                    snprintf(rid, sizeof rid, "f-%s", id);
                    snprintf(body, sizeof body,
                             "{\"$relationshipName\": \"feeds\", \"$targetId\": \"%s\", "
                             "\"weight\": %d.25}",
                             id, i);
                    f->ns += 1000;
                    rel(f, g, mid(id2, sizeof id2, n - 1), rid, body);
                }
            }
        }
        for (int n = 0; n < nlines * nm; n++) {
            f->ns += 1000;
            if (n % 3 == 0)
                patch(f, g, mid(id, sizeof id, n),
                      "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 1.5}]");
            else if (n % 3 == 1)
                patch(f, g, mid(id, sizeof id, n),
                      "[{\"op\": \"replace\", \"path\": \"/state\", \"value\": \"due\"}]");
            else
                patch(f, g, mid(id, sizeof id, n),
                      "[{\"op\": \"replace\", \"path\": \"/cfg/a\", \"value\": -1}]");
        }
    }
}

/* ---- what a dump must hold --------------------------------------------------------- */

/* g as {"twins": {id: doc}, "rels": {src/id: doc}}. */
static int add_twin(void *ctx, const json_t *doc)
{
    json_t *twins = json_object_get(ctx, "twins");
    return json_object_set_new(twins, json_string_value(json_object_get(doc, "$dtId")),
                               json_deep_copy(doc));
}

static int add_rel(void *ctx, const json_t *doc)
{
    char key[128];
    snprintf(key, sizeof key, "%s/%s", json_string_value(json_object_get(doc, "$sourceId")),
             json_string_value(json_object_get(doc, "$relationshipId")));
    return json_object_set_new(json_object_get(ctx, "rels"), key, json_deep_copy(doc));
}

static json_t *image_of(const gm_twin_graph *g)
{
    json_t *img = json_pack("{s:{},s:{}}", "twins", "rels");
    assert_int_equal(gm_twin_each(g, add_twin, img), 0);
    assert_int_equal(gm_rel_each(g, add_rel, img), 0);
    return img;
}

typedef struct sink {
    gm_sb text;
    int calls;
    int fail_at; /* the call that fails with GM_EIO (0: none) */
} sink;

static int collect(void *ctx, const char *text, size_t len)
{
    sink *s = ctx;
    if (++s->calls == s->fail_at)
        return GM_EIO;
    if (len == 0 || text[len - 1] != '\n')
        fail_msg("a piece of %zu bytes that does not end a line", len);
    return gm_sb_append_n(&s->text, text, len);
}

/* The dump's text as an image; every twin line comes before every
   relationship line, and nothing is there twice. */
static json_t *image_of_text(const char *text)
{
    json_t *img = json_pack("{s:{},s:{}}", "twins", "rels");
    bool rels = false;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        json_error_t je;
        json_t *doc = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!doc)
            fail_msg("line %.*s: %s", (int)(nl - p), p, je.text);
        json_t *which;
        char key[128];
        if (json_object_get(doc, "$relationshipId")) {
            rels = true;
            which = json_object_get(img, "rels");
            snprintf(key, sizeof key, "%s/%s",
                     json_string_value(json_object_get(doc, "$sourceId")),
                     json_string_value(json_object_get(doc, "$relationshipId")));
        } else {
            if (rels)
                fail_msg("twin %.*s after a relationship", (int)(nl - p), p);
            which = json_object_get(img, "twins");
            snprintf(key, sizeof key, "%s", json_string_value(json_object_get(doc, "$dtId")));
        }
        if (json_object_get(which, key))
            fail_msg("%s twice in the dump", key);
        json_object_set_new(which, key, doc);
        p = nl + 1;
    }
    return img;
}

static void expect_image(const json_t *want, const json_t *got)
{
    if (json_equal(want, got))
        return;
    const char *part;
    json_t *w;
    json_object_foreach((json_t *)want, part, w) {
        const json_t *g = json_object_get(got, part);
        const char *k;
        json_t *v;
        json_object_foreach(w, k, v) {
            const json_t *gv = json_object_get(g, k);
            if (!json_equal(v, gv)) {
                char *a = json_dumps(v, JSON_COMPACT), *b = gv ? json_dumps(gv, JSON_COMPACT) : NULL;
                fail_msg("%s %s: want %s, dumped %s", part, k, a, b ? b : "nothing");
            }
        }
        json_object_foreach((json_t *)g, k, v)
            if (!json_object_get(w, k))
                fail_msg("%s %s dumped but was not there", part, k);
    }
    fail_msg("images differ");
}

/* Run d on this thread and check it holds want. */
static void run_and_check(gm_twin_dump *d, const json_t *want)
{
    sink s = {GM_SB_INIT, 0, 0};
    assert_int_equal(gm_twin_dump_run(d, collect, &s), 0);
    json_t *got = image_of_text(gm_sb_str(&s.text));
    expect_image(want, got);
    json_decref(got);
    gm_sb_free(&s.text);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* A dump with no changes holds the graph: documents with their deferred
   metadata written in, every relationship; the graph itself is unchanged. */
static void test_dump_quiet(void **state)
{
    fixture *f = *state;
    build(f, 3, 20);
    gm_twin_dump *d;
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    assert_int_equal(gm_twin_dump_seq(d), gm_twin_graph_seq(f->ref));
    assert_int_equal(gm_twin_dump_twins(d), 63);
    assert_int_equal(gm_twin_dump_relationships(d), 60 + 57);
    gm_twin_dump *d2;
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d2), GM_EAGAIN);
    json_t *want = image_of(f->ref);
    run_and_check(d, want);
    gm_twin_dump_end(d);
    json_t *now = image_of(f->g);
    expect_image(want, now);
    json_decref(now);
    json_decref(want);
}

/* Every kind of change between the beginning and the run: the dump holds
   the graph of the beginning; the graph holds the changes; a second dump
   holds the changed graph. */
static void test_dump_changes_meanwhile(void **state)
{
    fixture *f = *state;
    build(f, 2, 10);
    json_t *want = image_of(f->ref);
    gm_twin_dump *d;
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    f->ns += 1000000;
    patch(f, f->g, "m00000", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 99.5}]");
    patch(f, f->g, "m00001", "[{\"op\": \"replace\", \"path\": \"/cfg\", \"value\": {\"a\": 5}}]");
    put(f, f->g, "m00002",
        "{\"$metadata\": {\"$model\": \"dtmi:d:Machine;1\"}, \"rpm\": 0.5, \"state\": \"new\", "
        "\"cfg\": {\"a\": 0}}");
    /* m00003: a read that writes its deferred metadata into the document */
    assert_non_null(gm_twin_get(f->g, "m00003"));
    /* a twin created, given a relationship, patched and deleted meanwhile */
    put(f, f->g, "x1", "{\"$metadata\": {\"$model\": \"dtmi:d:Machine;1\"}, \"rpm\": 1.0, "
                       "\"state\": \"x\", \"cfg\": {\"a\": 1}}");
    rel(f, f->g, "m00004", "f-x1", "{\"$relationshipName\": \"feeds\", \"$targetId\": \"x1\"}");
    rel_del(f, f->g, "m00004", "f-x1");
    patch(f, f->g, "x1", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 2.0}]");
    del(f, f->g, "x1");
    /* relationships: patched, replaced, deleted; then their twins */
    rel_patch(f, f->g, "m00005", "f-m00006", "[{\"op\": \"replace\", \"path\": \"/weight\", \"value\": 7.5}]");
    rel(f, f->g, "m00006", "f-m00007",
        "{\"$relationshipName\": \"feeds\", \"$targetId\": \"m00009\", \"weight\": 1.0}");
    rel_del(f, f->g, "l000", "c-m00009");
    rel_del(f, f->g, "m00008", "f-m00009");
    rel_del(f, f->g, "m00006", "f-m00007");
    del(f, f->g, "m00009");
    /* a twin changed twice: the dump keeps the first state */
    patch(f, f->g, "m00000", "[{\"op\": \"replace\", \"path\": \"/state\", \"value\": \"again\"}]");
    json_t *after = image_of(f->g);
    run_and_check(d, want);
    gm_twin_dump_end(d);
    assert_null(json_object_get(json_object_get(after, "twins"), "m00009"));

    /* the changed graph dumps as it is now: the generations start over */
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    run_and_check(d, after);
    gm_twin_dump_end(d);
    json_decref(after);
    json_decref(want);
}

/* A run that fails, or is cancelled, hands the error back and leaves the
   graph as it was; a dump begun afterwards holds everything, including the
   twins the failed one never reached and those changed while it was begun. */
static void test_dump_fails(void **state)
{
    fixture *f = *state;
    build(f, 1, 5000); /* several pieces of text */
    gm_twin_dump *d;
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    patch(f, f->g, "m00010", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 3.5}]");
    sink s = {GM_SB_INIT, 0, 2};
    assert_int_equal(gm_twin_dump_run(d, collect, &s), GM_EIO);
    gm_sb_free(&s.text);
    gm_twin_dump_end(d);
    /* a cancelled one stops at once */
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    gm_twin_dump_cancel(d);
    s = (sink){GM_SB_INIT, 0, 0};
    assert_int_equal(gm_twin_dump_run(d, collect, &s), GM_ESHUTDOWN);
    assert_int_equal(s.calls, 0);
    gm_twin_dump_end(d);
    patch(f, f->g, "m00011", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 4.5}]");
    json_t *want = image_of(f->g);
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    run_and_check(d, want);
    gm_twin_dump_end(d);
    json_decref(want);
}

/* The relationship version moves with relationship changes only; a dump
   begun without relationships writes the twins as at its beginning and no
   relationship, whatever changes to them come meanwhile; its parts run in
   order. */
static void test_dump_twins_only(void **state)
{
    fixture *f = *state;
    build(f, 2, 10);
    uint64_t v0 = gm_twin_graph_rels_version(f->g);
    patch(f, f->g, "m00000", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 9.5}]");
    patch(f, f->ref, "m00000", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 9.5}]");
    assert_int_equal(gm_twin_graph_rels_version(f->g), v0);
    json_t *want = image_of(f->ref);
    gm_twin_dump *d;
    assert_int_equal(gm_twin_dump_begin(f->g, false, &d), 0);
    assert_int_equal(gm_twin_dump_relationships(d), 20 + 18); /* the graph's, though it leaves them out */
    rel_patch(f, f->g, "m00005", "f-m00006", "[{\"op\": \"replace\", \"path\": \"/weight\", \"value\": 7.5}]");
    uint64_t v1 = gm_twin_graph_rels_version(f->g);
    assert_true(v1 != v0);
    rel_del(f, f->g, "m00006", "f-m00007");
    assert_true(gm_twin_graph_rels_version(f->g) != v1);
    patch(f, f->g, "m00001", "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": 1.5}]");
    sink s = {GM_SB_INIT, 0, 0};
    assert_int_equal(gm_twin_dump_run_relationships(d, collect, &s), GM_EINVAL); /* twins first */
    assert_int_equal(gm_twin_dump_run_twins(d, collect, &s), 0);
    assert_int_equal(gm_twin_dump_run_relationships(d, collect, &s), GM_EINVAL); /* none held */
    json_t *got = image_of_text(gm_sb_str(&s.text));
    expect_image(json_object_get(want, "twins"), json_object_get(got, "twins"));
    assert_int_equal(json_object_size(json_object_get(got, "rels")), 0);
    json_decref(got);
    gm_sb_free(&s.text);
    gm_twin_dump_end(d);
    json_decref(want);
}

/* The graph destroyed with a dump begun (never run): the twins deleted
   meanwhile are freed (ASan tells). */
static void test_dump_destroyed_while_begun(void **state)
{
    fixture *f = *state;
    build(f, 1, 10);
    gm_twin_dump *d;
    assert_int_equal(gm_twin_dump_begin(f->g, true, &d), 0);
    rel_del(f, f->g, "l000", "c-m00009");
    rel_del(f, f->g, "m00008", "f-m00009");
    del(f, f->g, "m00009");
    /* teardown destroys the graph */
}

/* ---- a dump thread against a writer ---------------------------------------------------- */

typedef struct dumper {
    gm_twin_dump *d;
    sink s;
    int rc;
    atomic_bool done;
} dumper;

static void *dump_main(void *arg)
{
    dumper *dm = arg;
    dm->rc = gm_twin_dump_run(dm->d, collect, &dm->s);
    atomic_store(&dm->done, true);
    return NULL;
}

/* The writer changes twins all over the graph while the dump thread runs:
   the dump still holds the graph of its beginning, exactly. */
static void test_dump_concurrent_writer(void **state)
{
    fixture *f = *state;
    const int nlines = 4, nm = 2500, n = nlines * nm;
    build(f, nlines, nm);
    json_t *want = image_of(f->ref);
    dumper dm = {.s = {GM_SB_INIT, 0, 0}};
    atomic_init(&dm.done, false);
    assert_int_equal(gm_twin_dump_begin(f->g, true, &dm.d), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, dump_main, &dm), 0);
    uint64_t x = 88172645463325252ULL; /* xorshift: the same run every time */
    long changes = 0, created = 0;
    char id[32], id2[64], body[256];
    while (!atomic_load(&dm.done) || changes < 2000) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % (uint64_t)n), what = (int)((x >> 32) % 16);
        mid(id, sizeof id, k);
        f->ns += 1000;
        if (what < 8) {
            snprintf(body, sizeof body,
                     "[{\"op\": \"replace\", \"path\": \"/rpm\", \"value\": %ld.5}]", changes);
            patch(f, f->g, id, body);
        } else if (what < 10) {
            patch(f, f->g, id, "[{\"op\": \"replace\", \"path\": \"/cfg/a\", \"value\": 3}]");
        } else if (what < 11) {
            snprintf(body, sizeof body,
                     "{\"$metadata\": {\"$model\": \"dtmi:d:Machine;1\"}, \"rpm\": %ld.0, "
                     "\"state\": \"put\", \"cfg\": {\"a\": 2}}",
                     changes);
            put(f, f->g, id, body);
        } else if (what < 13) {
            assert_non_null(gm_twin_get(f->g, id));
        } else if (what < 14 && k % nm > 0) {
            snprintf(id2, sizeof id2, "f-%s", id);
            rel_patch(f, f->g, mid(body, sizeof body, k - 1), id2,
                      "[{\"op\": \"replace\", \"path\": \"/weight\", \"value\": 0.5}]");
        } else {
            /* a new twin, fed by k, then gone again half the time */
            snprintf(id2, sizeof id2, "n%ld", created++);
            snprintf(body, sizeof body,
                     "{\"$metadata\": {\"$model\": \"dtmi:d:Machine;1\"}, \"rpm\": 1.0, "
                     "\"state\": \"n\", \"cfg\": {\"a\": 1}}");
            put(f, f->g, id2, body);
            char rid[80];
            snprintf(rid, sizeof rid, "to-%s", id2);
            snprintf(body, sizeof body,
                     "{\"$relationshipName\": \"feeds\", \"$targetId\": \"%s\"}", id2);
            rel(f, f->g, id, rid, body);
            if (created % 2) {
                rel_del(f, f->g, id, rid);
                del(f, f->g, id2);
            }
        }
        changes++;
    }
    pthread_join(th, NULL);
    assert_int_equal(dm.rc, 0);
    gm_twin_dump_end(dm.d);
    print_message("%ld changes while the dump ran\n", changes);
    json_t *got = image_of_text(gm_sb_str(&dm.s.text));
    expect_image(want, got);
    json_decref(got);
    json_decref(want);
    gm_sb_free(&dm.s.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dump_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_changes_meanwhile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_destroyed_while_begun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_concurrent_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_twins_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
