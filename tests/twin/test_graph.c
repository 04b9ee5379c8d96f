/*
 * test_graph.c: the twin graph: twins and relationships validated against
 * models, patches applied all or nothing with ETags, events that replay to
 * the same graph; the value cache, which must equal each document after
 * every kind of change, and the model index, which must stay in $dtId order
 * through inserts and deletes.
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

#include "base/vec.h"
#include "twin/graph.h"
#include "fixture.h"
#include "twin/query_exec.h"

#define CTX "\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"], "

static const char *models_json =
    "[{" CTX "\"@id\": \"dtmi:t:Motor;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"rpm\", \"schema\": \"integer\", \"writable\": true}]},"
    " {" CTX "\"@id\": \"dtmi:t:Equipment;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"serial\", \"schema\": \"string\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Pump;1\", \"@type\": \"Interface\", \"extends\": \"dtmi:t:Equipment;1\","
    "  \"contents\": ["
    "  {\"@type\": [\"Property\", \"Temperature\"], \"name\": \"temp\", \"schema\": \"double\", \"unit\": \"kelvin\"},"
    "  {\"@type\": \"Property\", \"name\": \"mode\", \"schema\": {\"@type\": \"Enum\", \"valueSchema\": \"string\","
    "     \"enumValues\": [{\"name\": \"on\", \"enumValue\": \"ON\"}, {\"name\": \"off\", \"enumValue\": \"OFF\"}]}},"
    "  {\"@type\": \"Property\", \"name\": \"limits\", \"schema\": {\"@type\": \"Object\", \"fields\": ["
    "     {\"name\": \"low\", \"schema\": \"double\"}, {\"name\": \"high\", \"schema\": \"double\"}]}},"
    "  {\"@type\": \"Telemetry\", \"name\": \"flow\", \"schema\": \"double\"},"
    "  {\"@type\": \"Component\", \"name\": \"motor\", \"schema\": \"dtmi:t:Motor;1\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Site;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Relationship\", \"name\": \"hosts\", \"target\": \"dtmi:t:Equipment;1\","
    "   \"maxMultiplicity\": 2, \"properties\": [{\"@type\": \"Property\", \"name\": \"bay\", \"schema\": \"integer\"}]},"
    "  {\"@type\": \"Relationship\", \"name\": \"near\"}]},"
    /* models twins change to by patching /$metadata/$model */
    " {" CTX "\"@id\": \"dtmi:t:Pump;2\", \"@type\": \"Interface\", \"extends\": \"dtmi:t:Equipment;1\","
    "  \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"temp\", \"schema\": \"integer\"},"
    "  {\"@type\": \"Property\", \"name\": \"speed\", \"schema\": \"integer\"},"
    "  {\"@type\": \"Component\", \"name\": \"motor\", \"schema\": \"dtmi:t:Motor;1\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Valve;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"open\", \"schema\": \"boolean\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Limits;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"low\", \"schema\": \"double\"},"
    "  {\"@type\": \"Property\", \"name\": \"high\", \"schema\": \"double\"}]},"
    /* limits: a Property of Pump;1, a Component here; motor the other way round */
    " {" CTX "\"@id\": \"dtmi:t:Pump;3\", \"@type\": \"Interface\", \"extends\": \"dtmi:t:Equipment;1\","
    "  \"contents\": ["
    "  {\"@type\": \"Component\", \"name\": \"limits\", \"schema\": \"dtmi:t:Limits;1\"},"
    "  {\"@type\": \"Property\", \"name\": \"motor\", \"schema\": {\"@type\": \"Object\", \"fields\": ["
    "     {\"name\": \"rpm\", \"schema\": \"integer\"}]}}]},"
    " {" CTX "\"@id\": \"dtmi:t:Site;2\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Relationship\", \"name\": \"near\", \"target\": \"dtmi:t:Site;2\","
    "   \"maxMultiplicity\": 1}]}]";

typedef struct fixture {
    gm_model_registry *models;
    gm_twin_graph *g;
    gm_vec events; /* gm_twin_event */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->models = fixture_models(models_json);
    f->g = gm_twin_graph_create(f->models);
    gm_vec_init(&f->events, sizeof(gm_twin_event));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gm_twin_event *e = f->events.data;
    for (size_t i = 0; i < f->events.len; i++)
        json_decref(e[i].body);
    gm_vec_free(&f->events);
    gm_twin_graph_destroy(f->g);
    gm_model_registry_destroy(f->models);
    free(f);
    return 0;
}

static int64_t clock_ns = 1700000000000000000LL;

/* Keep each accepted event for the replay test. */
static void keep(fixture *f, int rc, gm_twin_event *ev)
{
    if (rc == 0)
        assert_int_equal(gm_vec_push(&f->events, ev), 0);
}

static int put_twin(fixture *f, const char *id, const char *body, gm_err *err)
{
    json_t *b = J(body);
    gm_twin_event ev;
    int rc = gm_twin_put(f->g, id, b, NULL, NULL, clock_ns += 1000, &ev, err);
    keep(f, rc, &ev);
    json_decref(b);
    return rc;
}

static int patch_twin(fixture *f, const char *id, const char *patch, const char *if_match,
                      gm_err *err)
{
    json_t *p = J(patch);
    gm_twin_event ev;
    int rc = gm_twin_patch(f->g, id, p, if_match, clock_ns += 1000, &ev, err);
    keep(f, rc, &ev);
    json_decref(p);
    return rc;
}

static int put_rel(fixture *f, const char *src, const char *id, const char *body, gm_err *err)
{
    json_t *b = J(body);
    gm_twin_event ev;
    int rc = gm_rel_put(f->g, src, id, b, NULL, NULL, clock_ns += 1000, &ev, err);
    keep(f, rc, &ev);
    json_decref(b);
    return rc;
}

#define PUMP(extra)                                                                               \
    "{\"$metadata\": {\"$model\": \"dtmi:t:Pump;1\"}, \"serial\": \"P-1\", \"temp\": 300.5,"      \
    " \"motor\": {\"$metadata\": {}, \"rpm\": 1450}" extra "}"

static void test_twins(void **state)
{
    fixture *f = *state;
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "pump-1", PUMP(""), &e), 0);
    const json_t *t = gm_twin_get(f->g, "pump-1");
    assert_string_equal(json_string_value(json_object_get(t, "$dtId")), "pump-1");
    assert_string_equal(json_string_value(json_object_get(t, "$etag")), "W/\"0000000000000001\"");
    const json_t *md = json_object_get(t, "$metadata");
    assert_string_equal(json_string_value(json_object_get(md, "$model")), "dtmi:t:Pump;1");
    assert_non_null(json_object_get(json_object_get(md, "temp"), "lastUpdateTime"));
    assert_non_null(json_object_get(json_object_get(json_object_get(json_object_get(t, "motor"),
                                                                   "$metadata"), "rpm"),
                                    "lastUpdateTime"));
    assert_string_equal(gm_twin_model(f->g, "pump-1"), "dtmi:t:Pump;1");
    assert_int_equal(gm_twin_graph_twins(f->g), 1);

    /* refused, with the path and what was expected */
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", PUMP(", \"temp\": \"hot\""), &e), GM_EINVAL);
    assert_string_equal(e.where, "temp");
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", PUMP(", \"flow\": 3"), &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "'flow' is a Telemetry"));
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", PUMP(", \"colour\": 3"), &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "declares no property or component 'colour'"));
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", "{\"$metadata\": {\"$model\": \"dtmi:t:Pump;1\"}}", &e),
                     GM_EINVAL);
    assert_non_null(strstr(e.what, "component 'motor'"));
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", "{\"$metadata\": {\"$model\": \"dtmi:t:Nope;1\"}}", &e),
                     GM_EINVAL);
    assert_string_equal(e.where, "$metadata.$model");
    gm_err_clear(&e);
    assert_int_equal(put_twin(f, "p2", PUMP(", \"motor\": {\"rpm\": 1.5}"), &e), GM_EINVAL);
    assert_string_equal(e.where, "motor.rpm");
    assert_int_equal(put_twin(f, "p2", "[1]", NULL), GM_EINVAL);
    assert_int_equal(put_twin(f, "", PUMP(""), NULL), GM_EINVAL);
    assert_null(gm_twin_get(f->g, "p2"));
    assert_int_equal(gm_twin_graph_seq(f->g), 1);

    /* If-None-Match: * refuses replacing */
    json_t *b = J(PUMP(""));
    assert_int_equal(gm_twin_put(f->g, "pump-1", b, NULL, "*", clock_ns, NULL, NULL), GM_EEXIST);
    json_decref(b);
}

static void test_patch(void **state)
{
    fixture *f = *state;
    gm_err e;
    assert_int_equal(put_twin(f, "pump-1", PUMP(""), NULL), 0);
    json_t *before = json_deep_copy(gm_twin_get(f->g, "pump-1"));

    /* all or nothing: the second operation is invalid, the first stays undone */
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 301},"
                                " {\"op\": \"add\", \"path\": \"/mode\", \"value\": \"HALF\"}]",
                                NULL, &e),
                     GM_EINVAL);
    assert_string_equal(e.where, "mode");
    assert_true(json_equal(before, gm_twin_get(f->g, "pump-1")));
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"replace\", \"path\": \"/$metadata/$lastUpdateTime\","
                                " \"value\": \"2020-01-01T00:00:00Z\"}]", NULL, &e),
                     GM_EINVAL);
    assert_non_null(strstr(e.what, "managed by gemel"));
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"add\", \"path\": \"/motor/$metadata/x\","
                                " \"value\": 1}]", NULL, &e),
                     GM_EINVAL);
    assert_non_null(strstr(e.what, "managed by gemel"));
    /* the root is no member */
    assert_int_equal(patch_twin(f, "pump-1", "[{\"op\": \"replace\", \"path\": \"\","
                                " \"value\": {}}]", NULL, NULL),
                     GM_EINVAL);
    /* a stale ETag */
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 301}]",
                                "W/\"00000000000000ff\"", &e),
                     GM_ECONFLICT);
    assert_true(json_equal(before, gm_twin_get(f->g, "pump-1")));

    /* valid: nested object member, component property, enum; with the right ETag */
    const char *etag = json_string_value(json_object_get(before, "$etag"));
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"add\", \"path\": \"/mode\", \"value\": \"ON\"},"
                                " {\"op\": \"add\", \"path\": \"/limits\", \"value\": {\"low\": 1}},"
                                " {\"op\": \"add\", \"path\": \"/limits/high\", \"value\": 9.5},"
                                " {\"op\": \"replace\", \"path\": \"/motor/rpm\", \"value\": 900},"
                                " {\"op\": \"remove\", \"path\": \"/serial\"}]",
                                etag, &e),
                     0);
    const json_t *t = gm_twin_get(f->g, "pump-1");
    assert_string_equal(json_string_value(json_object_get(t, "mode")), "ON");
    assert_true(json_real_value(json_object_get(json_object_get(t, "limits"), "high")) == 9.5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "motor"), "rpm")), 900);
    assert_null(json_object_get(t, "serial"));
    assert_null(json_object_get(json_object_get(t, "$metadata"), "serial"));
    assert_non_null(json_object_get(json_object_get(t, "$metadata"), "mode"));
    assert_string_not_equal(json_string_value(json_object_get(t, "$etag")), etag);
    /* the document before the patch was not touched (shared members) */
    assert_string_equal(json_string_value(json_object_get(before, "serial")), "P-1");
    /* nested value of the wrong type */
    gm_err_clear(&e);
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"replace\", \"path\": \"/limits/high\", \"value\": \"x\"}]",
                                NULL, &e),
                     GM_EINVAL);
    assert_string_equal(e.where, "limits.high");
    /* a component cannot be removed; a missing path is an error */
    assert_int_equal(patch_twin(f, "pump-1", "[{\"op\": \"remove\", \"path\": \"/motor\"}]", NULL, NULL),
                     GM_EINVAL);
    assert_int_equal(patch_twin(f, "pump-1", "[{\"op\": \"remove\", \"path\": \"/nope\"}]", NULL, NULL),
                     GM_EINVAL);
    assert_int_equal(patch_twin(f, "ghost", "[]", NULL, NULL), GM_ENOENT);
    json_decref(before);
}

static int count_cb(void *ctx, const json_t *x)
{
    (void)x;
    ++*(int *)ctx;
    return 0;
}

static void test_relationships(void **state)
{
    fixture *f = *state;
    gm_err e;
    int pumps = 0; /* test_replay runs this after test_patch made one */
    gm_twin_each_of_model(f->g, "dtmi:t:Pump;1", count_cb, &pumps);
    assert_int_equal(put_twin(f, "site", "{\"$metadata\": {\"$model\": \"dtmi:t:Site;1\"}}", NULL), 0);
    assert_int_equal(put_twin(f, "p1", PUMP(""), NULL), 0);
    assert_int_equal(put_twin(f, "p2", PUMP(""), NULL), 0);
    assert_int_equal(put_twin(f, "p3", PUMP(""), NULL), 0);
    assert_int_equal(put_rel(f, "site", "r1", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"p1\", \"bay\": 1}", NULL), 0);
    const json_t *r = gm_rel_get(f->g, "site", "r1");
    assert_string_equal(json_string_value(json_object_get(r, "$sourceId")), "site");
    assert_int_equal(json_integer_value(json_object_get(r, "bay")), 1);
    assert_int_equal(put_rel(f, "site", "r2", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"p2\"}", NULL), 0);
    /* maxMultiplicity 2 */
    gm_err_clear(&e);
    assert_int_equal(put_rel(f, "site", "r3", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"p3\"}", &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "maxMultiplicity"));
    /* the target must be (or extend) Equipment: a Site is not */
    gm_err_clear(&e);
    assert_int_equal(put_rel(f, "p1", "x", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"site\"}", &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "declares no relationship 'hosts'"));
    assert_int_equal(put_twin(f, "site2", "{\"$metadata\": {\"$model\": \"dtmi:t:Site;1\"}}", NULL), 0);
    gm_err_clear(&e);
    assert_int_equal(put_rel(f, "site2", "x", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"site\"}", &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "targets dtmi:t:Equipment;1"));
    /* unknown names, targets, properties */
    assert_int_equal(put_rel(f, "site", "x", "{\"$relationshipName\": \"owns\", \"$targetId\": \"p3\"}", NULL), GM_EINVAL);
    assert_int_equal(put_rel(f, "site", "x", "{\"$relationshipName\": \"near\", \"$targetId\": \"ghost\"}", NULL), GM_EINVAL);
    assert_int_equal(put_rel(f, "site", "x", "{\"$relationshipName\": \"hosts\", \"$targetId\": \"p3\", \"bay\": \"b\"}", NULL), GM_EINVAL);
    /* near has no target restriction */
    assert_int_equal(put_rel(f, "site", "n1", "{\"$relationshipName\": \"near\", \"$targetId\": \"site2\"}", NULL), 0);
    assert_int_equal(gm_twin_graph_relationships(f->g), 3);

    int n = 0;
    gm_rel_each_out(f->g, "site", "hosts", count_cb, &n);
    assert_int_equal(n, 2);
    n = 0;
    gm_rel_each_in(f->g, "p1", count_cb, &n);
    assert_int_equal(n, 1);
    n = 0;
    gm_twin_each_of_model(f->g, "dtmi:t:Pump;1", count_cb, &n);
    assert_int_equal(n, pumps + 3);

    /* patch a relationship property */
    json_t *p = J("[{\"op\": \"replace\", \"path\": \"/bay\", \"value\": 4}]");
    gm_twin_event ev;
    assert_int_equal(gm_rel_patch(f->g, "site", "r1", p, NULL, clock_ns += 1000, &ev, NULL), 0);
    keep(f, 0, &ev);
    json_decref(p);
    p = J("[{\"op\": \"replace\", \"path\": \"/$targetId\", \"value\": \"p3\"}]");
    assert_int_equal(gm_rel_patch(f->g, "site", "r1", p, NULL, clock_ns, NULL, NULL), GM_EINVAL);
    json_decref(p);

    /* patches that change nothing, [] or tests that pass: accepted with no
       event, the sequence number and the ETags stay (a failed test is
       refused) */
    uint64_t seq = gm_twin_graph_seq(f->g);
    char rel_etag[64], twin_etag[64];
    snprintf(rel_etag, sizeof rel_etag, "%s",
             json_string_value(json_object_get(gm_rel_get(f->g, "site", "r1"), "$etag")));
    snprintf(twin_etag, sizeof twin_etag, "%s",
             json_string_value(json_object_get(gm_twin_get(f->g, "p1"), "$etag")));
    const char *noops[] = {"[]", "[{\"op\": \"test\", \"path\": \"/bay\", \"value\": 4}]"};
    for (int i = 0; i < 2; i++) {
        p = J(noops[i]);
        memset(&ev, 0xff, sizeof ev);
        assert_int_equal(gm_rel_patch(f->g, "site", "r1", p, rel_etag, clock_ns, &ev, NULL), 0);
        assert_int_equal(ev.seq, 0);
        assert_null(ev.body);
        json_decref(p);
    }
    p = J("[{\"op\": \"test\", \"path\": \"/bay\", \"value\": 5}]");
    assert_int_equal(gm_rel_patch(f->g, "site", "r1", p, NULL, clock_ns, NULL, NULL), GM_ECONFLICT);
    json_decref(p);
    const char *twin_noops[] = {"[]", "[{\"op\": \"test\", \"path\": \"/serial\", \"value\": \"P-1\"}]",
                                "[{\"op\": \"test\", \"path\": \"/motor/rpm\", \"value\": 1450}]"};
    for (int i = 0; i < 3; i++) {
        p = J(twin_noops[i]);
        memset(&ev, 0xff, sizeof ev);
        assert_int_equal(gm_twin_patch(f->g, "p1", p, twin_etag, clock_ns, &ev, NULL), 0);
        assert_int_equal(ev.seq, 0);
        assert_null(ev.body);
        json_decref(p);
    }
    assert_int_equal(gm_twin_graph_seq(f->g), seq);
    assert_string_equal(json_string_value(json_object_get(gm_rel_get(f->g, "site", "r1"), "$etag")),
                        rel_etag);
    assert_string_equal(json_string_value(json_object_get(gm_twin_get(f->g, "p1"), "$etag")),
                        twin_etag);

    /* a twin with relationships cannot go; models in use cannot either */
    gm_err_clear(&e);
    assert_int_equal(gm_twin_delete(f->g, "p1", NULL, clock_ns, NULL, &e), GM_ECONFLICT);
    assert_non_null(strstr(e.what, "0 relationships leave it and 1 reaches it; delete them first"));
    assert_int_equal(gm_model_registry_remove(f->models, "dtmi:t:Site;1", NULL), GM_ECONFLICT);
    assert_int_equal(gm_rel_delete(f->g, "site", "r1", NULL, clock_ns += 1000, &ev, NULL), 0);
    keep(f, 0, &ev);
    assert_int_equal(gm_twin_delete(f->g, "p1", NULL, clock_ns += 1000, &ev, NULL), 0);
    keep(f, 0, &ev);
    assert_null(gm_twin_get(f->g, "p1"));
    n = 0;
    gm_twin_each_of_model(f->g, "dtmi:t:Pump;1", count_cb, &n);
    assert_int_equal(n, pumps + 2);
}

/* ---- the value cache and the model index ---- */

/* The cached value as JSON (new reference; NULL: absent). Strings are read
   byte by byte: a pointer left to a freed string shows under ASan. */
static json_t *value_json(const gm_twin_value *v)
{
    switch ((gm_twin_vkind)v->kind) {
    case GM_TV_ABSENT: return NULL;
    case GM_TV_NULL: return json_null();
    case GM_TV_FALSE: return json_false();
    case GM_TV_TRUE: return json_true();
    case GM_TV_INT: return json_integer(v->u.i);
    case GM_TV_REAL: return json_real(v->u.r);
    case GM_TV_STRING: return json_stringn(v->u.s, v->len);
    case GM_TV_JSON: return json_incref((json_t *)v->u.j);
    }
    fail_msg("bad value kind %u", v->kind);
    return NULL;
}

static const char *const members[] = {"serial", "temp", "mode",   "limits", "motor", "flow",
                                      "rpm",    "bay",  "nested", "speed",  "open",  "nope"};

/* Every cached slot of twin id holds what its document holds, with the
   same JSON type (an integer stays an integer). */
static void check_cache(const gm_twin_graph *g, const char *id)
{
    const gm_twin_rec *t = gm_twin_find(g, id);
    assert_non_null(t);
    const json_t *doc = gm_twin_rec_doc(t);
    assert_ptr_equal(doc, gm_twin_get(g, id));
    assert_string_equal(gm_twin_rec_id(t), id);
    const gm_twin_bucket *b = gm_twin_rec_bucket(t);
    assert_string_equal(gm_twin_bucket_model(b), gm_twin_model(g, id));
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        int slot = gm_twin_bucket_slot(b, members[i]);
        if (slot < 0)
            continue;
        const gm_twin_value *v = gm_twin_rec_value(t, slot);
        const json_t *want = json_object_get(doc, members[i]);
        json_t *got = value_json(v);
        if (!want)
            assert_null(got);
        else if (!got || json_typeof(got) != json_typeof(want) || !json_equal(got, want))
            fail_msg("%s.%s: the cache disagrees with the document", id, members[i]);
        if (v->kind == GM_TV_JSON)
            assert_ptr_equal(v->u.j, want);
        json_decref(got);
    }
}

static int check_cache_cb(void *ctx, const json_t *twin)
{
    check_cache(ctx, json_string_value(json_object_get(twin, "$dtId")));
    return 0;
}

static const gm_twin_value *cached(fixture *f, const char *id, const char *member)
{
    const gm_twin_rec *t = gm_twin_find(f->g, id);
    assert_non_null(t);
    int slot = gm_twin_bucket_slot(gm_twin_rec_bucket(t), member);
    assert_true(slot >= 0);
    return gm_twin_rec_value(t, slot);
}

static void test_value_cache(void **state)
{
    fixture *f = *state;
    gm_err e;
    /* the slots: primitive Properties, own (document order) then inherited */
    assert_int_equal(put_twin(f, "pump-1", PUMP(""), NULL), 0);
    const gm_twin_bucket *b = gm_twin_bucket_of(f->g, "dtmi:t:Pump;1");
    assert_non_null(b);
    assert_ptr_equal(b, gm_twin_rec_bucket(gm_twin_find(f->g, "pump-1")));
    assert_int_equal(gm_twin_bucket_slot(b, "temp"), 0);
    assert_int_equal(gm_twin_bucket_slot(b, "mode"), 1);    /* an Enum */
    assert_int_equal(gm_twin_bucket_slot(b, "serial"), 2);  /* from Equipment */
    assert_int_equal(gm_twin_bucket_slot(b, "limits"), -1); /* an Object */
    assert_int_equal(gm_twin_bucket_slot(b, "flow"), -1);   /* Telemetry */
    assert_int_equal(gm_twin_bucket_slot(b, "motor"), -1);  /* a Component */
    assert_int_equal(gm_twin_bucket_slot(b, "$dtId"), -1);
    assert_int_equal(cached(f, "pump-1", "temp")->kind, GM_TV_REAL);
    assert_true(cached(f, "pump-1", "temp")->u.r == 300.5);
    assert_int_equal(cached(f, "pump-1", "serial")->kind, GM_TV_STRING);
    assert_string_equal(cached(f, "pump-1", "serial")->u.s, "P-1");
    assert_int_equal(cached(f, "pump-1", "serial")->len, 3);
    assert_int_equal(cached(f, "pump-1", "mode")->kind, GM_TV_ABSENT);
    check_cache(f->g, "pump-1");

    /* a valid patch: the values follow, an integer stays one */
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 301},"
                                " {\"op\": \"add\", \"path\": \"/mode\", \"value\": \"ON\"}]",
                                NULL, NULL),
                     0);
    assert_int_equal(cached(f, "pump-1", "temp")->kind, GM_TV_INT);
    assert_int_equal(cached(f, "pump-1", "temp")->u.i, 301);
    assert_string_equal(cached(f, "pump-1", "mode")->u.s, "ON");
    check_cache(f->g, "pump-1");

    /* refused patches leave the values as they were: invalid once applied
       (reverted), or failing while being applied */
    json_t *before = json_deep_copy(gm_twin_get(f->g, "pump-1"));
    static const struct {
        const char *ops;
        int rc;
    } refused[] = {
        {"[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 5.5},"
         " {\"op\": \"replace\", \"path\": \"/serial\", \"value\": 12}]",
         GM_EINVAL},
        {"[{\"op\": \"replace\", \"path\": \"/serial\", \"value\": \"X-9\"},"
         " {\"op\": \"remove\", \"path\": \"/mode\"},"
         " {\"op\": \"add\", \"path\": \"/limits\", \"value\": {\"low\": \"cold\"}}]",
         GM_EINVAL},
        {"[{\"op\": \"remove\", \"path\": \"/serial\"}, {\"op\": \"remove\", \"path\": \"/nope\"}]",
         GM_EINVAL},
        {"[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 1},"
         " {\"op\": \"test\", \"path\": \"/temp\", \"value\": 2}]",
         GM_ECONFLICT},
        {"[{\"op\": \"move\", \"from\": \"/serial\", \"path\": \"/mode\"}]", GM_EINVAL},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        gm_err_clear(&e);
        assert_int_equal(patch_twin(f, "pump-1", refused[i].ops, NULL, &e), refused[i].rc);
        assert_true(json_equal(before, gm_twin_get(f->g, "pump-1")));
        assert_int_equal(cached(f, "pump-1", "temp")->u.i, 301);
        assert_string_equal(cached(f, "pump-1", "serial")->u.s, "P-1");
        assert_string_equal(cached(f, "pump-1", "mode")->u.s, "ON");
        check_cache(f->g, "pump-1");
    }
    json_decref(before);

    /* copy, move and remove: two members touched, or one taken away */
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"copy\", \"from\": \"/mode\", \"path\": \"/serial\"}]",
                                NULL, NULL),
                     0);
    assert_string_equal(cached(f, "pump-1", "serial")->u.s, "ON");
    check_cache(f->g, "pump-1");
    assert_int_equal(patch_twin(f, "pump-1",
                                "[{\"op\": \"remove\", \"path\": \"/mode\"},"
                                " {\"op\": \"move\", \"from\": \"/serial\", \"path\": \"/mode\"}]",
                                NULL, NULL),
                     0);
    assert_int_equal(cached(f, "pump-1", "serial")->kind, GM_TV_ABSENT);
    assert_string_equal(cached(f, "pump-1", "mode")->u.s, "ON");
    check_cache(f->g, "pump-1");

    /* a replacement with the same model */
    assert_int_equal(put_twin(f, "pump-1", PUMP(", \"mode\": \"OFF\""), NULL), 0);
    assert_true(cached(f, "pump-1", "temp")->u.r == 300.5);
    assert_string_equal(cached(f, "pump-1", "mode")->u.s, "OFF");
    check_cache(f->g, "pump-1");

    /* replacements with another model: from one slot to three, and back */
    assert_int_equal(put_twin(f, "m1", "{\"$metadata\": {\"$model\": \"dtmi:t:Motor;1\"}, \"rpm\": 7}",
                              NULL),
                     0);
    assert_int_equal(cached(f, "m1", "rpm")->u.i, 7);
    assert_int_equal(put_twin(f, "m1", PUMP(", \"mode\": \"ON\""), NULL), 0);
    assert_string_equal(gm_twin_model(f->g, "m1"), "dtmi:t:Pump;1");
    assert_string_equal(cached(f, "m1", "serial")->u.s, "P-1");
    check_cache(f->g, "m1");
    assert_int_equal(patch_twin(f, "m1",
                                "[{\"op\": \"replace\", \"path\": \"/serial\", \"value\": \"S\"}]",
                                NULL, NULL),
                     0);
    check_cache(f->g, "m1");
    assert_int_equal(put_twin(f, "m1", "{\"$metadata\": {\"$model\": \"dtmi:t:Motor;1\"}, \"rpm\": 8}",
                              NULL),
                     0);
    assert_int_equal(cached(f, "m1", "rpm")->u.i, 8);
    assert_int_equal(gm_twin_bucket_size(gm_twin_bucket_of(f->g, "dtmi:t:Pump;1")), 1);
    assert_int_equal(gm_twin_bucket_size(gm_twin_bucket_of(f->g, "dtmi:t:Motor;1")), 1);
    check_cache(f->g, "m1");

    /* restored as stored, unvalidated: the cache holds whatever is there */
    json_t *odd = J("{\"$dtId\": \"odd\", \"$etag\": \"W/\\\"1\\\"\", \"$metadata\": {\"$model\":"
                    " \"dtmi:t:Pump;1\"}, \"temp\": \"hot\", \"serial\": null, \"mode\": [1, 2],"
                    " \"nested\": {\"a\": true}, \"motor\": {\"$metadata\": {}}}");
    assert_int_equal(gm_twin_graph_restore_twin(f->g, odd, NULL), 0);
    json_decref(odd);
    assert_int_equal(cached(f, "odd", "temp")->kind, GM_TV_STRING);
    assert_int_equal(cached(f, "odd", "serial")->kind, GM_TV_NULL);
    assert_int_equal(cached(f, "odd", "mode")->kind, GM_TV_JSON);
    check_cache(f->g, "odd");
    assert_int_equal(patch_twin(f, "odd", "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 2}]",
                                NULL, NULL),
                     0);
    assert_int_equal(cached(f, "odd", "temp")->u.i, 2);

    /* deleted: gone from the index and from its bucket */
    assert_int_equal(gm_twin_delete(f->g, "odd", NULL, clock_ns += 1000, NULL, NULL), 0);
    assert_null(gm_twin_find(f->g, "odd"));
    assert_int_equal(gm_twin_bucket_size(b), 1);
    assert_null(gm_twin_bucket_of(f->g, "dtmi:t:Nope;1"));
    gm_twin_each(f->g, check_cache_cb, f->g);
}

/* ---- changing a twin's model by patching /$metadata/$model ---- */

static int del_rel(fixture *f, const char *src, const char *id)
{
    gm_twin_event ev;
    int rc = gm_rel_delete(f->g, src, id, NULL, clock_ns += 1000, &ev, NULL);
    keep(f, rc, &ev);
    return rc;
}

static int id_cb(void *ctx, const json_t *twin)
{
    json_array_append_new(ctx, json_string(json_string_value(json_object_get(twin, "$dtId"))));
    return 0;
}

/* Whether the query's rows (each {"$dtId": id}) hold id. */
static bool query_has(const gm_twin_graph *g, const gm_model_registry *models, const char *q,
                      const char *id)
{
    gm_query_page page = {NULL, NULL};
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_query_run(g, models, q, strlen(q), NULL, GM_QUERY_PAGE_MAX, &page, &e);
    if (rc)
        fail_msg("%s: %s: %s", q, e.where, e.what);
    assert_null(page.continuation);
    bool found = false;
    size_t i;
    json_t *row;
    json_array_foreach(page.value, i, row) {
        const char *x = json_string_value(json_object_get(row, "$dtId"));
        assert_non_null(x);
        found |= strcmp(x, id) == 0;
    }
    gm_query_page_free(&page);
    return found;
}

static size_t bucket_size(const gm_twin_graph *g, const char *model)
{
    const gm_twin_bucket *b = gm_twin_bucket_of(g, model);
    return b ? gm_twin_bucket_size(b) : 0;
}

#define SET_MODEL(m) "{\"op\": \"replace\", \"path\": \"/$metadata/$model\", \"value\": \"" m "\"}"
#define TEST_MODEL(m) "{\"op\": \"test\", \"path\": \"/$metadata/$model\", \"value\": \"" m "\"}"

/* A refused patch of twin id leaves it byte for byte as it was (same
   ETag, same model, same bucket, same cache) and the sequence unmoved;
   where, when not NULL, is a part of err's location, what of its message. */
static void refuse(fixture *f, const char *id, const char *patch, int want, const char *where,
                   const char *what)
{
    char *before = json_dumps(gm_twin_get(f->g, id), JSON_COMPACT);
    char etag[64];
    snprintf(etag, sizeof etag, "%s",
             json_string_value(json_object_get(gm_twin_get(f->g, id), "$etag")));
    char model[64];
    snprintf(model, sizeof model, "%s", gm_twin_model(f->g, id));
    size_t nb = bucket_size(f->g, model);
    uint64_t seq = gm_twin_graph_seq(f->g);
    gm_err e;
    gm_err_clear(&e);
    int rc = patch_twin(f, id, patch, NULL, &e);
    if (rc != want)
        fail_msg("%s: %d, not %d (%s: %s)", patch, rc, want, e.where, e.what);
    if (where && !strstr(e.where, where))
        fail_msg("%s: where '%s' lacks '%s'", patch, e.where, where);
    if (what && !strstr(e.what, what))
        fail_msg("%s: '%s' lacks '%s'", patch, e.what, what);
    char *after = json_dumps(gm_twin_get(f->g, id), JSON_COMPACT);
    assert_string_equal(before, after);
    assert_string_equal(json_string_value(json_object_get(gm_twin_get(f->g, id), "$etag")), etag);
    assert_string_equal(gm_twin_model(f->g, id), model);
    assert_string_equal(gm_twin_bucket_model(gm_twin_rec_bucket(gm_twin_find(f->g, id))), model);
    assert_int_equal(bucket_size(f->g, model), nb);
    assert_int_equal(gm_twin_graph_seq(f->g), seq);
    check_cache(f->g, id);
    free(before);
    free(after);
}

/* Twins mc-pump (Pump;1 -> Pump;2) and mc-site (Site;1 -> Site;2) change
   model by patch; every refusal first. Ids of their own, so that
   test_replay can add this to the other tests' events. */
static void model_change(fixture *f)
{
    gm_err e;
    assert_int_equal(put_twin(f, "mc-pump", PUMP(", \"mode\": \"ON\""), NULL), 0);
    assert_int_equal(put_twin(f, "mc-site", "{\"$metadata\": {\"$model\": \"dtmi:t:Site;1\"}}",
                              NULL), 0);
    assert_int_equal(put_rel(f, "mc-site", "mc-r1",
                             "{\"$relationshipName\": \"hosts\", \"$targetId\": \"mc-pump\"}", NULL),
                     0);
    assert_int_equal(put_rel(f, "mc-site", "mc-n1",
                             "{\"$relationshipName\": \"near\", \"$targetId\": \"mc-site\"}", NULL),
                     0);
    size_t pumps1 = bucket_size(f->g, "dtmi:t:Pump;1");

    /* not loaded */
    refuse(f, "mc-pump", "[" SET_MODEL("dtmi:t:Nope;1") "]", GM_EINVAL, "$metadata.$model",
           "dtmi:t:Nope;1 is not loaded");
    /* a property the new model does not declare, left in place */
    refuse(f, "mc-pump",
           "[" SET_MODEL("dtmi:t:Pump;2") ", {\"op\": \"replace\", \"path\": \"/temp\", \"value\": 300}]",
           GM_EINVAL, "mode", "declares no property or component 'mode'");
    /* an untouched value of the wrong type for the new model (temp: integer) */
    refuse(f, "mc-pump", "[" SET_MODEL("dtmi:t:Pump;2") ", {\"op\": \"remove\", \"path\": \"/mode\"}]",
           GM_EINVAL, "temp", "integer");
    /* and a touched one */
    refuse(f, "mc-pump",
           "[{\"op\": \"remove\", \"path\": \"/mode\"}, {\"op\": \"replace\", \"path\": \"/temp\","
           " \"value\": 300}, {\"op\": \"add\", \"path\": \"/speed\", \"value\": \"fast\"}, "
           SET_MODEL("dtmi:t:Pump;2") "]",
           GM_EINVAL, "speed", NULL);
    /* only replace (add) and test reach the model; other system members none */
    refuse(f, "mc-pump", "[{\"op\": \"remove\", \"path\": \"/$metadata/$model\"}]", GM_EINVAL,
           "patch", "managed by gemel");
    refuse(f, "mc-pump", "[{\"op\": \"move\", \"from\": \"/$metadata/$model\", \"path\": \"/serial\"}]",
           GM_EINVAL, "patch", "managed by gemel");
    refuse(f, "mc-pump", "[{\"op\": \"copy\", \"from\": \"/serial\", \"path\": \"/$metadata/$model\"}]",
           GM_EINVAL, "patch", "managed by gemel");
    refuse(f, "mc-pump", "[{\"op\": \"replace\", \"path\": \"/$dtId\", \"value\": \"x\"}]", GM_EINVAL,
           "patch", "managed by gemel");
    refuse(f, "mc-pump", "[{\"op\": \"replace\", \"path\": \"/$etag\", \"value\": \"x\"}]", GM_EINVAL,
           "patch", "managed by gemel");
    refuse(f, "mc-pump",
           "[{\"op\": \"replace\", \"path\": \"/$metadata/foo/lastUpdateTime\", \"value\": \"x\"}]",
           GM_EINVAL, "patch", "managed by gemel");
    refuse(f, "mc-pump",
           "[{\"op\": \"add\", \"path\": \"/$metadata\", \"value\": {\"$model\": \"dtmi:t:Pump;2\"}}]",
           GM_EINVAL, "patch", "managed by gemel");
    refuse(f, "mc-pump", "[{\"op\": \"replace\", \"path\": \"/$metadata/$model\", \"value\": 2}]",
           GM_EINVAL, "patch", "DTMI");
    /* a Valve the pump could become, but site's "hosts" reaching it targets Equipment */
    refuse(f, "mc-pump",
           "[" SET_MODEL("dtmi:t:Valve;1") ", {\"op\": \"remove\", \"path\": \"/serial\"},"
           " {\"op\": \"remove\", \"path\": \"/temp\"}, {\"op\": \"remove\", \"path\": \"/mode\"},"
           " {\"op\": \"remove\", \"path\": \"/motor\"}, {\"op\": \"add\", \"path\": \"/open\", \"value\": true}]",
           GM_EINVAL, "relationship 'mc-r1' of 'mc-site'", "targets dtmi:t:Equipment;1");
    /* Site;2 declares no "hosts": mc-r1 leaving the site must go first */
    refuse(f, "mc-site", "[" SET_MODEL("dtmi:t:Site;2") "]", GM_EINVAL,
           "relationship 'mc-r1' of 'mc-site'", "dtmi:t:Site;2 declares no relationship 'hosts'");
    /* test compares, before or after a change */
    refuse(f, "mc-pump", "[" TEST_MODEL("dtmi:t:Valve;1") "]", GM_ECONFLICT, NULL, NULL);
    refuse(f, "mc-pump",
           "[" SET_MODEL("dtmi:t:Valve;1") ", " TEST_MODEL("dtmi:t:Pump;1") "]", GM_ECONFLICT, NULL,
           NULL);
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(f->models, "dtmi:t:Pump;1", &e), GM_ECONFLICT);
    assert_int_equal(patch_twin(f, "mc-pump",
                                "[" TEST_MODEL("dtmi:t:Pump;1") ", {\"op\": \"replace\", \"path\":"
                                " \"/temp\", \"value\": 301.5}]", NULL, NULL),
                     0);
    assert_true(json_real_value(json_object_get(gm_twin_get(f->g, "mc-pump"), "temp")) == 301.5);

    /* the change: a property removed, one added, one retyped; with If-Match */
    const json_t *t = gm_twin_get(f->g, "mc-pump");
    char etag[64], serial_time[64];
    snprintf(etag, sizeof etag, "%s", json_string_value(json_object_get(t, "$etag")));
    snprintf(serial_time, sizeof serial_time, "%s",
             json_string_value(json_object_get(
                 json_object_get(json_object_get(t, "$metadata"), "serial"), "lastUpdateTime")));
    assert_true(query_has(f->g, f->models,
                          "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Pump;1')",
                          "mc-pump"));
    gm_err_clear(&e);
    int rc = patch_twin(f, "mc-pump",
                        "[" TEST_MODEL("dtmi:t:Pump;1") ", " SET_MODEL("dtmi:t:Pump;2") ","
                        " {\"op\": \"remove\", \"path\": \"/mode\"},"
                        " {\"op\": \"replace\", \"path\": \"/temp\", \"value\": 300},"
                        " {\"op\": \"add\", \"path\": \"/speed\", \"value\": 1200}, "
                        TEST_MODEL("dtmi:t:Pump;2") "]",
                        etag, &e);
    if (rc)
        fail_msg("%s: %s", e.where, e.what);
    t = gm_twin_get(f->g, "mc-pump");
    const json_t *md = json_object_get(t, "$metadata");
    assert_string_equal(json_string_value(json_object_get(md, "$model")), "dtmi:t:Pump;2");
    assert_string_equal(gm_twin_model(f->g, "mc-pump"), "dtmi:t:Pump;2");
    assert_string_not_equal(json_string_value(json_object_get(t, "$etag")), etag);
    assert_null(json_object_get(t, "mode"));
    assert_null(json_object_get(md, "mode"));
    assert_int_equal(json_integer_value(json_object_get(t, "temp")), 300);
    assert_int_equal(json_integer_value(json_object_get(t, "speed")), 1200);
    assert_string_equal(json_string_value(json_object_get(t, "serial")), "P-1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "motor"), "rpm")), 1450);
    /* touched members carry the patch's time; untouched ones keep theirs */
    const char *now = json_string_value(json_object_get(md, "$lastUpdateTime"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(md, "speed"), "lastUpdateTime")), now);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(md, "temp"), "lastUpdateTime")), now);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(md, "serial"), "lastUpdateTime")),
        serial_time);
    /* the model index: out of Pump;1's bucket, into Pump;2's, values cached by its slots */
    assert_int_equal(bucket_size(f->g, "dtmi:t:Pump;1"), pumps1 - 1);
    assert_int_equal(bucket_size(f->g, "dtmi:t:Pump;2"), 1);
    const gm_twin_rec *r = gm_twin_find(f->g, "mc-pump");
    assert_ptr_equal(gm_twin_rec_bucket(r), gm_twin_bucket_of(f->g, "dtmi:t:Pump;2"));
    assert_int_equal(cached(f, "mc-pump", "speed")->kind, GM_TV_INT);
    assert_int_equal(cached(f, "mc-pump", "speed")->u.i, 1200);
    assert_int_equal(cached(f, "mc-pump", "temp")->u.i, 300);
    assert_string_equal(cached(f, "mc-pump", "serial")->u.s, "P-1");
    assert_int_equal(gm_twin_bucket_slot(gm_twin_rec_bucket(r), "mode"), -1);
    check_cache(f->g, "mc-pump");
    assert_true(query_has(f->g, f->models,
                          "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Pump;2')",
                          "mc-pump"));
    /* anchored on the id, IS_OF_MODEL is tested on the twin itself (a query
       from the now empty Pump;1 bucket would read no twin at all) */
    assert_false(query_has(f->g, f->models,
                           "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$dtId = 'mc-pump'"
                           " AND IS_OF_MODEL(T, 'dtmi:t:Pump;1')",
                           "mc-pump"));
    assert_true(query_has(f->g, f->models,
                          "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.$dtId = 'mc-pump'"
                          " AND IS_OF_MODEL(T, 'dtmi:t:Pump;2', exact)",
                          "mc-pump"));
    assert_true(query_has(f->g, f->models,
                          "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Equipment;1')",
                          "mc-pump"));
    assert_true(query_has(f->g, f->models,
                          "SELECT T.$dtId FROM DIGITALTWINS T WHERE T.speed = 1200", "mc-pump"));
    json_t *ids = json_array();
    gm_twin_each_of_model(f->g, "dtmi:t:Pump;2", id_cb, ids);
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "mc-pump");
    json_decref(ids);
    /* the incoming "hosts" still holds: Pump;2 is Equipment too */
    assert_non_null(gm_rel_get(f->g, "mc-site", "mc-r1"));
    /* the same model again is no change of model */
    assert_int_equal(patch_twin(f, "mc-pump",
                                "[" SET_MODEL("dtmi:t:Pump;2") ", {\"op\": \"replace\", \"path\":"
                                " \"/speed\", \"value\": 5}]", NULL, NULL),
                     0);
    assert_int_equal(bucket_size(f->g, "dtmi:t:Pump;2"), 1);
    assert_int_equal(cached(f, "mc-pump", "speed")->u.i, 5);

    /* members that change kind: limits (untouched) becomes a Component, whose
       times live in its own "$metadata"; motor (replaced) a Property, whose
       time lives in the twin's */
    assert_int_equal(put_twin(f, "mc-p3", PUMP(", \"limits\": {\"low\": 1, \"high\": 2}"), NULL), 0);
    gm_err_clear(&e);
    rc = patch_twin(f, "mc-p3",
                    "[" SET_MODEL("dtmi:t:Pump;3") ", {\"op\": \"remove\", \"path\": \"/temp\"},"
                    " {\"op\": \"replace\", \"path\": \"/motor\", \"value\": {\"rpm\": 900}}]",
                    NULL, &e);
    if (rc)
        fail_msg("%s: %s", e.where, e.what);
    t = gm_twin_get(f->g, "mc-p3");
    md = json_object_get(t, "$metadata");
    now = json_string_value(json_object_get(md, "$lastUpdateTime"));
    assert_null(json_object_get(md, "limits"));
    assert_null(json_object_get(md, "temp"));
    const json_t *lim = json_object_get(t, "limits");
    assert_true(json_number_value(json_object_get(lim, "high")) == 2.0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(lim, "$metadata"), "low"),
                            "lastUpdateTime")),
                        now);
    assert_null(json_object_get(json_object_get(t, "motor"), "$metadata"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(md, "motor"), "lastUpdateTime")), now);
    check_cache(f->g, "mc-p3");
    /* what it holds is a valid Pump;3 twin: a PUT of it is accepted */
    char *text = json_dumps(t, JSON_COMPACT);
    assert_non_null(text);
    gm_err_clear(&e);
    rc = put_twin(f, "mc-p3", text, &e);
    free(text);
    if (rc)
        fail_msg("%s: %s", e.where, e.what);

    /* without "hosts", the site may become a Site;2, whose "near" reaches one
       Site;2: itself, once it is one */
    assert_int_equal(del_rel(f, "mc-site", "mc-r1"), 0);
    assert_int_equal(put_rel(f, "mc-site", "mc-n2",
                             "{\"$relationshipName\": \"near\", \"$targetId\": \"mc-site\"}", NULL),
                     0);
    refuse(f, "mc-site", "[" SET_MODEL("dtmi:t:Site;2") "]", GM_EINVAL, "relationship 'mc-n",
           "maxMultiplicity");
    /* one cause at a time: "near" alone, to a twin that is no Site;2 */
    assert_int_equal(del_rel(f, "mc-site", "mc-n2"), 0);
    assert_int_equal(del_rel(f, "mc-site", "mc-n1"), 0);
    assert_int_equal(put_rel(f, "mc-site", "mc-n3",
                             "{\"$relationshipName\": \"near\", \"$targetId\": \"mc-pump\"}", NULL),
                     0);
    refuse(f, "mc-site", "[" SET_MODEL("dtmi:t:Site;2") "]", GM_EINVAL,
           "relationship 'mc-n3' of 'mc-site'", "'mc-pump' is a dtmi:t:Pump;2; relationship 'near' "
                                                "targets dtmi:t:Site;2");
    assert_int_equal(del_rel(f, "mc-site", "mc-n3"), 0);
    assert_int_equal(put_rel(f, "mc-site", "mc-n1",
                             "{\"$relationshipName\": \"near\", \"$targetId\": \"mc-site\"}", NULL),
                     0);
    gm_err_clear(&e);
    /* add of an existing member replaces it (RFC 6902): it changes the model too */
    rc = patch_twin(f, "mc-site",
                    "[{\"op\": \"add\", \"path\": \"/$metadata/$model\", \"value\": \"dtmi:t:Site;2\"}]",
                    NULL, &e);
    if (rc)
        fail_msg("%s: %s", e.where, e.what);
    assert_string_equal(gm_twin_model(f->g, "mc-site"), "dtmi:t:Site;2");
    assert_non_null(gm_rel_get(f->g, "mc-site", "mc-n1"));
    check_cache(f->g, "mc-site");
}

static void test_model_patch(void **state)
{
    fixture *f = *state;
    model_change(f);
    /* the old models are free to go once no twin uses them; the new ones are not */
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(f->models, "dtmi:t:Pump;2", &e), GM_ECONFLICT);
    assert_int_equal(gm_model_registry_remove(f->models, "dtmi:t:Site;2", NULL), GM_ECONFLICT);
    gm_err_clear(&e);
    int rc = gm_model_registry_remove(f->models, "dtmi:t:Pump;1", &e);
    if (rc)
        fail_msg("%s: %s", e.where, e.what);
    assert_int_equal(gm_model_registry_remove(f->models, "dtmi:t:Site;1", NULL), 0);
    assert_null(gm_model_registry_get(f->models, "dtmi:t:Pump;1"));
    /* the twins do not need them */
    assert_int_equal(patch_twin(f, "mc-pump",
                                "[{\"op\": \"replace\", \"path\": \"/speed\", \"value\": 6}]", NULL,
                                NULL),
                     0);
    check_cache(f->g, "mc-pump");
    assert_int_equal(put_twin(f, "p9", PUMP(""), NULL), GM_EINVAL);
}

/* Walks the Equipment bucket: ids strictly increasing, each one wanted. */
typedef struct order_ctx {
    const bool *want;
    size_t n, seen;
    char last[32];
} order_ctx;

static int order_cb(void *ctx, const json_t *twin)
{
    order_ctx *o = ctx;
    const char *id = json_string_value(json_object_get(twin, "$dtId"));
    if (o->seen && strcmp(o->last, id) >= 0)
        fail_msg("%s after %s", id, o->last);
    unsigned k;
    assert_int_equal(sscanf(id, "e%u", &k), 1);
    assert_true(k < o->n && o->want[k]);
    snprintf(o->last, sizeof o->last, "%s", id);
    o->seen++;
    return 0;
}

/* The Equipment bucket holds exactly the wanted ids, in order, through
   gm_twin_each_of_model and through cursors; a cursor seeks to the first
   id at or after its key. */
static void check_order(fixture *f, const bool *want, size_t n)
{
    size_t expect = 0;
    for (size_t i = 0; i < n; i++)
        expect += want[i];
    order_ctx o = {want, n, 0, ""};
    gm_twin_each_of_model(f->g, "dtmi:t:Equipment;1", order_cb, &o);
    assert_int_equal(o.seen, expect);
    const gm_twin_bucket *b = gm_twin_bucket_of(f->g, "dtmi:t:Equipment;1");
    assert_int_equal(gm_twin_bucket_size(b), expect);
    gm_twin_cursor c;
    const gm_twin_rec *const *run;
    size_t total = 0;
    gm_twin_cursor_init(&c, b, NULL);
    for (size_t k = gm_twin_cursor_run(&c, &run); k; k = gm_twin_cursor_run(&c, &run))
        total += k;
    assert_int_equal(total, expect);
    for (size_t i = 0; i < n; i += 97) {
        char key[32];
        snprintf(key, sizeof key, "e%05zu", i);
        size_t first = i;
        while (first < n && !want[first])
            first++;
        gm_twin_cursor_init(&c, b, key);
        size_t k = gm_twin_cursor_run(&c, &run);
        if (first == n) {
            assert_int_equal(k, 0);
            continue;
        }
        assert_true(k > 0);
        snprintf(key, sizeof key, "e%05zu", first);
        assert_string_equal(gm_twin_rec_id(run[0]), key);
        /* a key between two ids */
        snprintf(key, sizeof key, "e%05zu!", i);
        gm_twin_cursor_init(&c, b, key);
        if (gm_twin_cursor_run(&c, &run))
            assert_true(strcmp(gm_twin_rec_id(run[0]), key) > 0);
    }
}

static void put_equipment(fixture *f, size_t k)
{
    char id[32], body[128];
    snprintf(id, sizeof id, "e%05zu", k);
    snprintf(body, sizeof body,
             "{\"$metadata\": {\"$model\": \"dtmi:t:Equipment;1\"}, \"serial\": \"%zu\"}", k);
    assert_int_equal(put_twin(f, id, body, NULL), 0);
}

static void delete_equipment(fixture *f, size_t k)
{
    char id[32];
    snprintf(id, sizeof id, "e%05zu", k);
    assert_int_equal(gm_twin_delete(f->g, id, NULL, clock_ns += 1000, NULL, NULL), 0);
}

static void test_model_order(void **state)
{
    fixture *f = *state;
    enum { N = 3000 };
    bool *want = calloc(N, sizeof *want);
    assert_non_null(want);
    /* inserted in a scrambled order (7919 is prime to N): chunks fill and split */
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 7919) % N;
        put_equipment(f, k);
        want[k] = true;
        if (i % 500 == 0)
            check_order(f, want, N);
    }
    assert_int_equal(put_twin(f, "site", "{\"$metadata\": {\"$model\": \"dtmi:t:Site;1\"}}", NULL), 0);
    check_order(f, want, N);
    gm_twin_cursor c;
    const gm_twin_rec *const *run;
    gm_twin_cursor_init(&c, gm_twin_bucket_of(f->g, "dtmi:t:Equipment;1"), "");
    assert_true(gm_twin_cursor_run(&c, &run) > 0);
    assert_string_equal(gm_twin_rec_id(run[0]), "e00000");
    /* every bucket once */
    size_t pos = 0, nb = 0;
    for (const gm_twin_bucket *b = gm_twin_bucket_next(f->g, &pos); b;
         b = gm_twin_bucket_next(f->g, &pos), nb++)
        assert_true(strcmp(gm_twin_bucket_model(b), "dtmi:t:Equipment;1") == 0 ||
                    strcmp(gm_twin_bucket_model(b), "dtmi:t:Site;1") == 0);
    assert_int_equal(nb, 2);

    /* two in three deleted, scrambled: chunks shrink, merge, go */
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 4001) % N;
        if (k % 3 == 0)
            continue;
        delete_equipment(f, k);
        want[k] = false;
        if (i % 700 == 0)
            check_order(f, want, N);
    }
    check_order(f, want, N);
    /* then all but five; then some back */
    for (size_t k = 0; k < N; k += 3)
        if (k % 600) {
            delete_equipment(f, k);
            want[k] = false;
        }
    check_order(f, want, N);
    for (size_t k = 1; k < N; k += 11) {
        put_equipment(f, k);
        want[k] = true;
    }
    check_order(f, want, N);
    /* emptied, and filled again */
    for (size_t k = 0; k < N; k++) {
        if (want[k])
            delete_equipment(f, k);
        want[k] = false;
    }
    check_order(f, want, N);
    put_equipment(f, 42);
    want[42] = true;
    check_order(f, want, N);
    free(want);
}

static int copy_cb(void *ctx, const json_t *twin)
{
    json_object_set(ctx, json_string_value(json_object_get(twin, "$dtId")), (json_t *)twin);
    return 0;
}

static int push_cb(void *ctx, const json_t *x)
{
    json_array_append(ctx, (json_t *)x);
    return 0;
}

/* Replaying every event into a fresh graph gives the same twins and
   relationships, ETags and times included. */
/*
 * Deferred metadata: patches that only set existing slotted properties
 * leave $etag and the lastUpdateTime stamps for the next read. A graph read
 * after every patch and one read only now and then must show the very same
 * documents, member order included, and accept the same If-Match ETags.
 */
static char *dump(const json_t *doc)
{
    char *t = json_dumps(doc, JSON_COMPACT); /* insertion order: member order counts */
    assert_non_null(t);
    return t;
}

static void test_deferred_metadata(void **state)
{
    fixture *f = *state;
    gm_twin_graph *eager = gm_twin_graph_create(f->models), *lazy = f->g;
    json_t *body = J(PUMP(""));
    gm_twin_graph *both[2] = {eager, lazy};
    for (int k = 0; k < 2; k++)
        assert_int_equal(gm_twin_put(both[k], "p", body, NULL, NULL, clock_ns, NULL, NULL), 0);
    json_decref(body);
    uint64_t x = 0x2545F4914F6CDD1DULL;
    int64_t t = clock_ns;
    size_t deferred_reads = 0;
    for (int step = 0; step < 3000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int n = (int)(x >> 40) % 1000;
        char text[256];
        switch (x % 8) {
        case 0: /* deferred: one slotted property */
            snprintf(text, sizeof text, "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": %d.5}]", n);
            break;
        case 1:
            snprintf(text, sizeof text, "[{\"op\": \"replace\", \"path\": \"/serial\", \"value\": \"S-%d\"}]", n);
            break;
        case 2: /* deferred only when mode is there already */
            snprintf(text, sizeof text, "[{\"op\": \"add\", \"path\": \"/mode\", \"value\": \"%s\"}]",
                     (x >> 8) & 1 ? "ON" : "OFF");
            break;
        case 3: /* immediate: a removal (or refused when absent) */
            snprintf(text, sizeof text, "[{\"op\": \"remove\", \"path\": \"/mode\"}]");
            break;
        case 4: /* immediate: an object, no slot */
            snprintf(text, sizeof text, "[{\"op\": \"add\", \"path\": \"/limits\", \"value\": {\"low\": %d}}]", n);
            break;
        case 5: /* immediate: a component */
            snprintf(text, sizeof text, "[{\"op\": \"replace\", \"path\": \"/motor/rpm\", \"value\": %d}]", n);
            break;
        case 6: /* deferred: two slots at once */
            snprintf(text, sizeof text, "[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": %d}, "
                                        "{\"op\": \"replace\", \"path\": \"/serial\", \"value\": \"T\"}]", n);
            break;
        default: /* touches nothing, changes the ETag */
            snprintf(text, sizeof text, "[{\"op\": \"test\", \"path\": \"/serial\", \"value\": \"T\"}]");
            break;
        }
        json_t *p = J(text);
        /* half the time with the ETag the eager graph shows: it must match
           the lazy one's, deferred or not; now and then a stale one */
        char etag[64] = "";
        if ((x >> 20) & 1)
            snprintf(etag, sizeof etag, "%s",
                     json_string_value(json_object_get(gm_twin_get(eager, "p"), "$etag")));
        if ((x >> 21) % 7 == 0)
            snprintf(etag, sizeof etag, "W/\"%016x\"", step);
        t += 1000 + (int64_t)(x % 1000000);
        int rc[2];
        for (int k = 0; k < 2; k++) {
            gm_twin_event ev;
            rc[k] = gm_twin_patch(both[k], "p", p, etag[0] ? etag : NULL, t, &ev, NULL);
            if (!rc[k])
                json_decref(ev.body);
        }
        json_decref(p);
        assert_int_equal(rc[0], rc[1]);
        /* the eager graph is read after every patch; the lazy one every so often */
        char *a = dump(gm_twin_get(eager, "p"));
        if ((x >> 30) % 13 == 0 || step == 2999) {
            deferred_reads++;
            char *b = dump(gm_twin_get(lazy, "p"));
            if (strcmp(a, b))
                fail_msg("step %d (%s):\n eager %s\n lazy  %s", step, text, a, b);
            free(b);
            check_cache(lazy, "p");
        }
        free(a);
    }
    assert_true(deferred_reads > 100);

    /* the stamps themselves: two properties set at different times, no read between */
    json_t *p1 = J("[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 1.5}]");
    json_t *p2 = J("[{\"op\": \"replace\", \"path\": \"/serial\", \"value\": \"Z\"}]");
    int64_t t1 = 1800000000123456789LL, t2 = t1 + 2000000000;
    assert_int_equal(gm_twin_patch(lazy, "p", p1, NULL, t1, NULL, NULL), 0);
    assert_int_equal(gm_twin_patch(lazy, "p", p2, NULL, t2, NULL, NULL), 0);
    json_decref(p1);
    json_decref(p2);
    const json_t *doc = gm_twin_get(lazy, "p");
    const json_t *md = json_object_get(doc, "$metadata");
    assert_string_equal(json_string_value(json_object_get(json_object_get(md, "temp"), "lastUpdateTime")),
                        "2027-01-15T08:00:00.123456789Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(md, "serial"), "lastUpdateTime")),
                        "2027-01-15T08:00:02.123456789Z");
    assert_string_equal(json_string_value(json_object_get(md, "$lastUpdateTime")),
                        "2027-01-15T08:00:02.123456789Z");
    char want[64];
    snprintf(want, sizeof want, "W/\"%016llx\"", (unsigned long long)gm_twin_graph_seq(lazy));
    assert_string_equal(json_string_value(json_object_get(doc, "$etag")), want);
    gm_twin_graph_destroy(eager);
}

static void test_replay(void **state)
{
    test_patch(state);
    test_relationships(state);
    fixture *f = *state;
    model_change(f);
    gm_twin_graph *g2 = gm_twin_graph_create(f->models);
    const gm_twin_event *e = f->events.data;
    for (size_t i = 0; i < f->events.len; i++) {
        gm_err err;
        gm_err_clear(&err);
        int rc = gm_twin_graph_replay(g2, &e[i], &err);
        if (rc)
            fail_msg("event %zu (%s): %s: %s", i, gm_twin_event_kind_name(e[i].kind), err.where,
                     err.what);
        assert_int_equal(gm_twin_graph_seq(g2), e[i].seq);
    }
    json_t *a = json_object(), *b = json_object();
    gm_twin_each(f->g, copy_cb, a);
    gm_twin_each(g2, copy_cb, b);
    assert_true(json_equal(a, b));
    gm_twin_each(f->g, check_cache_cb, f->g);
    gm_twin_each(g2, check_cache_cb, g2);
    assert_int_equal(gm_twin_graph_relationships(g2), gm_twin_graph_relationships(f->g));
    assert_true(json_equal(gm_rel_get(f->g, "site", "r2"), gm_rel_get(g2, "site", "r2")));
    /* the model changes replayed: the twins are in their new models' buckets */
    assert_string_equal(gm_twin_model(g2, "mc-pump"), "dtmi:t:Pump;2");
    assert_string_equal(gm_twin_model(g2, "mc-site"), "dtmi:t:Site;2");
    assert_int_equal(bucket_size(g2, "dtmi:t:Pump;2"), 1);
    assert_int_equal(bucket_size(g2, "dtmi:t:Pump;1"), bucket_size(f->g, "dtmi:t:Pump;1"));
    /* a gap is refused */
    gm_twin_event gap = e[0];
    gap.seq = gm_twin_graph_seq(g2) + 2;
    assert_int_equal(gm_twin_graph_replay(g2, &gap, NULL), GM_EINVAL);
    /* restoring every twin and relationship as stored gives the same graph */
    gm_twin_graph *g3 = gm_twin_graph_create(f->models);
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) {
        json_t *copy = json_deep_copy(v); /* the graph takes what it restores */
        assert_int_equal(gm_twin_graph_restore_twin(g3, copy, NULL), 0);
        json_decref(copy);
    }
    json_t *rels = json_array();
    gm_rel_each(f->g, push_cb, rels);
    assert_int_equal(json_array_size(rels), gm_twin_graph_relationships(f->g));
    size_t i;
    json_array_foreach(rels, i, v) {
        json_t *copy = json_deep_copy(v);
        assert_int_equal(gm_twin_graph_restore_rel(g3, copy, NULL), 0);
        json_decref(copy);
    }
    assert_int_equal(gm_twin_graph_restore_rel(g3, json_array_get(rels, 0), NULL), GM_EEXIST);
    gm_twin_graph_set_seq(g3, gm_twin_graph_seq(f->g));
    json_t *c = json_object();
    gm_twin_each(g3, copy_cb, c);
    assert_true(json_equal(a, c));
    gm_twin_each(g3, check_cache_cb, g3);
    assert_true(json_equal(gm_rel_get(f->g, "site", "n1"), gm_rel_get(g3, "site", "n1")));
    /* and it keeps working: a patch with the restored ETag */
    const json_t *p2 = gm_twin_get(g3, "p2");
    json_t *patch = J("[{\"op\": \"replace\", \"path\": \"/temp\", \"value\": 280}]");
    assert_int_equal(gm_twin_patch(g3, "p2", patch, json_string_value(json_object_get(p2, "$etag")),
                                   clock_ns, NULL, NULL), 0);
    json_decref(patch);
    const gm_twin_rec *r2 = gm_twin_find(g3, "p2");
    assert_int_equal(gm_twin_rec_value(r2, gm_twin_bucket_slot(gm_twin_rec_bucket(r2), "temp"))->u.i,
                     280);
    check_cache(g3, "p2");
    json_decref(c);
    json_decref(rels);
    gm_twin_graph_destroy(g3);
    json_decref(a);
    json_decref(b);
    gm_twin_graph_destroy(g2);
    /* the registry's in-use hook now belongs to nobody: restore it for teardown */
    gm_model_registry_set_in_use(f->models, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_twins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relationships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_patch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
