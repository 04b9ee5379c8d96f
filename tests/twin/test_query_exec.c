/*
 * test_query_exec.c: the ADT query executor over a small building graph:
 * exact result sets for every clause, operator and function, the plan the
 * planner picks, paging with continuation tokens, and the errors; then the
 * graph's value cache and ordered model index as queries see them: values
 * after patches (applied and refused), replacements and deletes, and pages
 * over a thousand twins that add up to the rows of a reference filter.
 *
 * The fixture (models extend Space; Lab extends Room):
 *
 *   site (Space) -contains-> b1 (Building) -contains-> f1, f2 (Floor)
 *   f1 -contains-> r101 (Room), r102 (Room);  f2 -contains-> r201 (Lab), r202 (Room)
 *   r101 -hasSensor-> s1;  r102 -hasSensor-> s2;  r201 -hasSensor-> s3  (Sensor)
 *   r102 -near-> r101
 *   odd (Sensor): restored without validation, with a null, a string where
 *   numbers are, nested arrays and an object
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

#include "twin/graph.h"
#include "fixture.h"
#include "twin/query_exec.h"

#define CTX "\"@context\": \"dtmi:dtdl:context;3\", "

static const char *models_json =
    "[{" CTX "\"@id\": \"dtmi:t:Space;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"name\", \"schema\": \"string\"},"
    "  {\"@type\": \"Property\", \"name\": \"tags\", \"schema\": {\"@type\": \"Array\","
    "   \"elementSchema\": \"string\"}},"
    "  {\"@type\": \"Relationship\", \"name\": \"contains\", \"properties\": ["
    "   {\"@type\": \"Property\", \"name\": \"position\", \"schema\": \"integer\"},"
    "   {\"@type\": \"Property\", \"name\": \"since\", \"schema\": \"string\"}]},"
    "  {\"@type\": \"Relationship\", \"name\": \"near\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Building;1\", \"@type\": \"Interface\","
    "  \"extends\": \"dtmi:t:Space;1\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"floors\", \"schema\": \"integer\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Floor;1\", \"@type\": \"Interface\","
    "  \"extends\": \"dtmi:t:Space;1\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"level\", \"schema\": \"integer\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Hvac;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"rpm\", \"schema\": \"integer\"},"
    "  {\"@type\": \"Property\", \"name\": \"mode\", \"schema\": \"string\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Sensor;1\", \"@type\": \"Interface\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"reading\", \"schema\": \"double\"},"
    "  {\"@type\": \"Property\", \"name\": \"kind\", \"schema\": \"string\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Room;1\", \"@type\": \"Interface\","
    "  \"extends\": \"dtmi:t:Space;1\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"temperature\", \"schema\": \"double\"},"
    "  {\"@type\": \"Property\", \"name\": \"occupied\", \"schema\": \"boolean\"},"
    "  {\"@type\": \"Property\", \"name\": \"limits\", \"schema\": {\"@type\": \"Object\","
    "   \"fields\": [{\"name\": \"low\", \"schema\": \"double\"},"
    "                {\"name\": \"high\", \"schema\": \"double\"}]}},"
    "  {\"@type\": \"Component\", \"name\": \"hvac\", \"schema\": \"dtmi:t:Hvac;1\"},"
    "  {\"@type\": \"Relationship\", \"name\": \"hasSensor\", \"target\": \"dtmi:t:Sensor;1\"}]},"
    " {" CTX "\"@id\": \"dtmi:t:Lab;1\", \"@type\": \"Interface\","
    "  \"extends\": \"dtmi:t:Room;1\", \"contents\": ["
    "  {\"@type\": \"Property\", \"name\": \"hazard\", \"schema\": \"string\"}]}]";

#define M(x) "{\"$metadata\": {\"$model\": \"dtmi:t:" x ";1\"}"

static const struct {
    const char *id, *body;
} twins[] = {
    {"site", M("Space") ", \"name\": \"Campus\", \"tags\": [\"main\"]}"},
    {"b1", M("Building") ", \"name\": \"HQ\", \"floors\": 2}"},
    {"f1", M("Floor") ", \"name\": \"Ground\", \"level\": 0}"},
    {"f2", M("Floor") ", \"name\": \"Upper\", \"level\": 1}"},
    {"r101", M("Room") ", \"name\": \"Lobby\", \"temperature\": 21.5, \"occupied\": true,"
                       " \"limits\": {\"low\": 18, \"high\": 24}, \"tags\": [\"public\", \"ground\"],"
                       " \"hvac\": {\"$metadata\": {}, \"rpm\": 1200, \"mode\": \"auto\"}}"},
    {"r102", M("Room") ", \"name\": \"Office\", \"temperature\": 30, \"occupied\": false,"
                       " \"hvac\": {\"$metadata\": {}, \"rpm\": 900, \"mode\": \"eco\"}}"},
    {"r201", M("Lab") ", \"name\": \"Lab\", \"temperature\": 35.25, \"hazard\": \"bio\","
                      " \"limits\": {\"low\": 15.5, \"high\": 40}, \"tags\": [\"restricted\"],"
                      " \"hvac\": {\"$metadata\": {}, \"rpm\": 1500, \"mode\": \"auto\"}}"},
    {"r202", M("Room") ", \"name\": \"Storage\", \"hvac\": {\"$metadata\": {}, \"mode\": \"off\"}}"},
    {"s1", M("Sensor") ", \"reading\": 31.5, \"kind\": \"temp\"}"},
    {"s2", M("Sensor") ", \"reading\": 19, \"kind\": \"temp\"}"},
    {"s3", M("Sensor") ", \"reading\": 450, \"kind\": \"co2\"}"},
};

static const struct {
    const char *src, *id, *body;
} rels[] = {
    {"site", "site-b1", "{\"$relationshipName\": \"contains\", \"$targetId\": \"b1\", \"position\": 1,"
                        " \"since\": \"2020\"}"},
    {"b1", "b1-f1", "{\"$relationshipName\": \"contains\", \"$targetId\": \"f1\", \"position\": 1}"},
    {"b1", "b1-f2", "{\"$relationshipName\": \"contains\", \"$targetId\": \"f2\", \"position\": 2}"},
    {"f1", "f1-r101", "{\"$relationshipName\": \"contains\", \"$targetId\": \"r101\", \"position\": 1}"},
    {"f1", "f1-r102", "{\"$relationshipName\": \"contains\", \"$targetId\": \"r102\", \"position\": 2}"},
    {"f2", "f2-r201", "{\"$relationshipName\": \"contains\", \"$targetId\": \"r201\", \"position\": 1}"},
    {"f2", "f2-r202", "{\"$relationshipName\": \"contains\", \"$targetId\": \"r202\"}"},
    {"r101", "r101-s1", "{\"$relationshipName\": \"hasSensor\", \"$targetId\": \"s1\"}"},
    {"r102", "r102-s2", "{\"$relationshipName\": \"hasSensor\", \"$targetId\": \"s2\"}"},
    {"r201", "r201-s3", "{\"$relationshipName\": \"hasSensor\", \"$targetId\": \"s3\"}"},
    {"r102", "r102-near", "{\"$relationshipName\": \"near\", \"$targetId\": \"r101\"}"},
};

/* Values no model allows, to see how WHERE treats them. */
static const char *odd_json =
    "{\"$dtId\": \"odd\", \"$etag\": \"W/\\\"1\\\"\", \"$metadata\": {\"$model\": \"dtmi:t:Sensor;1\"},"
    " \"reading\": \"high\", \"kind\": null, \"nested\": [[2, 3], 1], \"obj\": {\"a\": 1}}";

typedef struct fixture {
    gm_model_registry *models;
    gm_twin_graph *g;
} fixture;

static int64_t clock_ns = 1700000000000000000LL;

static void put_twin(fixture *f, const char *id, const char *body)
{
    json_t *b = J(body);
    gm_err e;
    gm_err_clear(&e);
    gm_twin_event ev;
    int rc = gm_twin_put(f->g, id, b, NULL, NULL, clock_ns += 1000, &ev, &e);
    if (rc)
        fail_msg("twin %s: %s: %s", id, e.where, e.what);
    json_decref(ev.body);
    json_decref(b);
}

static void put_rel(fixture *f, const char *src, const char *id, const char *body)
{
    json_t *b = J(body);
    gm_err e;
    gm_err_clear(&e);
    gm_twin_event ev;
    int rc = gm_rel_put(f->g, src, id, b, NULL, NULL, clock_ns += 1000, &ev, &e);
    if (rc)
        fail_msg("relationship %s: %s: %s", id, e.where, e.what);
    json_decref(ev.body);
    json_decref(b);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->models = fixture_models(models_json);
    f->g = gm_twin_graph_create(f->models);
    assert_non_null(f->g);
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
        put_twin(f, twins[i].id, twins[i].body);
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++)
        put_rel(f, rels[i].src, rels[i].id, rels[i].body);
    json_t *odd = J(odd_json);
    assert_int_equal(gm_twin_graph_restore_twin(f->g, odd, NULL), 0);
    json_decref(odd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gm_twin_graph_destroy(f->g);
    gm_model_registry_destroy(f->models);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static gm_query_page run_page(fixture *f, const char *q, const char *token, size_t page)
{
    gm_query_page pg;
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_query_run(f->g, f->models, q, strlen(q), token, page, &pg, &e);
    if (rc)
        fail_msg("%s: %s: %s", q, e.where, e.what);
    assert_non_null(pg.value);
    return pg;
}

/* The $dtId (or $relationshipId) of each row, comma-separated. */
static char out_buf[16384];

static const char *ids_of(const json_t *value)
{
    out_buf[0] = '\0';
    size_t i;
    json_t *row;
    json_array_foreach(value, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "$dtId"));
        if (!id)
            id = json_string_value(json_object_get(row, "$relationshipId"));
        assert_non_null(id);
        if (i)
            strcat(out_buf, ",");
        strcat(out_buf, id);
    }
    return out_buf;
}

/* All rows of q as ids (one page of 1000, no continuation). */
static const char *ids(fixture *f, const char *q)
{
    gm_query_page pg = run_page(f, q, NULL, 1000);
    assert_null(pg.continuation);
    ids_of(pg.value);
    gm_query_page_free(&pg);
    return out_buf;
}

/* All rows of q as compact JSON with sorted keys. */
static const char *rows(fixture *f, const char *q)
{
    gm_query_page pg = run_page(f, q, NULL, 1000);
    assert_null(pg.continuation);
    char *s = json_dumps(pg.value, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    assert_true(strlen(s) < sizeof out_buf);
    strcpy(out_buf, s);
    free(s);
    gm_query_page_free(&pg);
    return out_buf;
}

static const char *explain(fixture *f, const char *q)
{
    char *plan = NULL;
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_query_explain(f->g, f->models, q, strlen(q), &plan, &e);
    if (rc)
        fail_msg("%s: %s: %s", q, e.where, e.what);
    assert_true(strlen(plan) < sizeof out_buf);
    strcpy(out_buf, plan);
    free(plan);
    return out_buf;
}

static int run_err(fixture *f, const char *q, const char *token, gm_err *e)
{
    gm_query_page pg = {(json_t *)1, (char *)1};
    gm_err_clear(e);
    int rc = gm_query_run(f->g, f->models, q, strlen(q), token, 0, &pg, e);
    assert_null(pg.value);
    assert_null(pg.continuation);
    return rc;
}

/* Expect a semantic error at the first occurrence of needle in q (ASCII). */
static void sem_error(fixture *f, const char *q, const char *needle, const char *what)
{
    gm_err e;
    assert_int_equal(run_err(f, q, NULL, &e), GM_EINVAL);
    const char *at = strstr(q, needle);
    assert_non_null(at);
    char where[64];
    snprintf(where, sizeof where, "query:1:%d", (int)(at - q) + 1);
    if (strcmp(e.where, where) != 0 || !strstr(e.what, what))
        fail_msg("%s: got %s: %s; expected %s: ...%s...", q, e.where, e.what, where, what);
}

#define ROOMS "IS_OF_MODEL(T, 'dtmi:t:Room;1')"
#define SENSORS "IS_OF_MODEL(S, 'dtmi:t:Sensor;1')"

/* ---- SELECT ---- */

static void test_select_star(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS"),
                        "b1,f1,f2,odd,r101,r102,r201,r202,s1,s2,s3,site");
    assert_string_equal(explain(f, "SELECT * FROM DIGITALTWINS"), "scan");
    /* the row is the twin document itself */
    gm_query_page pg = run_page(f, "select * from digitaltwins t where t.$dtId = 'r101'", NULL, 0);
    assert_int_equal(json_array_size(pg.value), 1);
    assert_true(json_equal(json_array_get(pg.value, 0), gm_twin_get(f->g, "r101")));
    /* a copy: the page outlives changes to the graph */
    assert_ptr_not_equal(json_array_get(pg.value, 0), gm_twin_get(f->g, "r101"));
    gm_query_page_free(&pg);
    gm_query_page_free(&pg); /* idempotent */
    gm_query_page_free(NULL);
}

static void test_project_collection(void **state)
{
    fixture *f = *state;
    gm_query_page pg = run_page(f, "SELECT T FROM DIGITALTWINS T WHERE T.$dtId = 'b1'", NULL, 0);
    json_t *want = json_pack("[{s:O}]", "T", gm_twin_get(f->g, "b1"));
    assert_true(json_equal(pg.value, want));
    json_decref(want);
    gm_query_page_free(&pg);
    pg = run_page(f, "SELECT T AS twin FROM DIGITALTWINS T WHERE T.$dtId = 'b1'", NULL, 0);
    want = json_pack("[{s:O}]", "twin", gm_twin_get(f->g, "b1"));
    assert_true(json_equal(pg.value, want));
    json_decref(want);
    gm_query_page_free(&pg);
}

static void test_project_properties(void **state)
{
    fixture *f = *state;
    /* absent properties are left out of the row; integers stay integers */
    assert_string_equal(rows(f, "SELECT T.name, T.temperature AS temp FROM DIGITALTWINS T WHERE " ROOMS),
                        "[{\"name\":\"Lobby\",\"temp\":21.5},{\"name\":\"Office\",\"temp\":30},"
                        "{\"name\":\"Lab\",\"temp\":35.25},{\"name\":\"Storage\"}]");
    /* components, object properties, metadata, system properties */
    assert_string_equal(
        rows(f, "SELECT T.hvac.rpm, T.limits.high, T.$metadata.$model AS m, T.$dtId, T.limits"
                " FROM DIGITALTWINS T WHERE T.$dtId IN ['r101', 'r202']"),
        "[{\"$dtId\":\"r101\",\"high\":24,\"limits\":{\"high\":24,\"low\":18},"
        "\"m\":\"dtmi:t:Room;1\",\"rpm\":1200},{\"$dtId\":\"r202\",\"m\":\"dtmi:t:Room;1\"}]");
    /* no alias: bare property names of the one collection */
    assert_string_equal(rows(f, "SELECT name FROM DIGITALTWINS WHERE floors = 2"),
                        "[{\"name\":\"HQ\"}]");
    assert_string_equal(rows(f, "SELECT name, hvac.mode AS m FROM DIGITALTWINS WHERE $dtId = 'r202'"),
                        "[{\"m\":\"off\",\"name\":\"Storage\"}]");
    /* a row with nothing defined is an empty object */
    assert_string_equal(rows(f, "SELECT T.nope FROM DIGITALTWINS T WHERE T.$dtId = 's1'"), "[{}]");
}

static void test_count(void **state)
{
    fixture *f = *state;
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS"), "[{\"COUNT\":12}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM RELATIONSHIPS"), "[{\"COUNT\":11}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS T WHERE " ROOMS), "[{\"COUNT\":4}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS T WHERE T.nope = 1"),
                        "[{\"COUNT\":0}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM RELATIONSHIPS WHERE $relationshipName = 'contains'"),
                        "[{\"COUNT\":7}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS B JOIN F RELATED B.contains"
                                " JOIN R RELATED F.contains WHERE B.$dtId = 'b1'"),
                        "[{\"COUNT\":4}]");
}

static void test_top(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT TOP(3) FROM DIGITALTWINS"), "b1,f1,f2");
    assert_string_equal(ids(f, "SELECT TOP(3) * FROM DIGITALTWINS T WHERE " ROOMS), "r101,r102,r201");
    assert_string_equal(rows(f, "SELECT TOP(2) T.name FROM DIGITALTWINS T WHERE " ROOMS),
                        "[{\"name\":\"Lobby\"},{\"name\":\"Office\"}]");
    assert_string_equal(ids(f, "SELECT TOP(50) FROM DIGITALTWINS T WHERE " ROOMS),
                        "r101,r102,r201,r202");
    /* TOP counts across pages: 5 rows as 2 + 2 + 1, then no token */
    const char *q = "SELECT TOP(5) FROM DIGITALTWINS";
    gm_query_page p1 = run_page(f, q, NULL, 2);
    assert_string_equal(ids_of(p1.value), "b1,f1");
    assert_non_null(p1.continuation);
    gm_query_page p2 = run_page(f, q, p1.continuation, 2);
    assert_string_equal(ids_of(p2.value), "f2,odd");
    assert_non_null(p2.continuation);
    gm_query_page p3 = run_page(f, q, p2.continuation, 2);
    assert_string_equal(ids_of(p3.value), "r101");
    assert_null(p3.continuation);
    gm_query_page_free(&p1);
    gm_query_page_free(&p2);
    gm_query_page_free(&p3);
    /* exactly at the end: TOP(4), pages of 2: no third page */
    p1 = run_page(f, "SELECT TOP(4) FROM DIGITALTWINS", NULL, 2);
    p2 = run_page(f, "SELECT TOP(4) FROM DIGITALTWINS", p1.continuation, 2);
    assert_string_equal(ids_of(p2.value), "f2,odd");
    assert_null(p2.continuation);
    gm_query_page_free(&p1);
    gm_query_page_free(&p2);
}

static void test_from_relationships(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT * FROM RELATIONSHIPS R WHERE R.$relationshipName = 'hasSensor'"),
                        "r101-s1,r102-s2,r201-s3");
    assert_string_equal(explain(f, "SELECT * FROM RELATIONSHIPS R WHERE R.$relationshipName = 'x'"),
                        "scan relationships");
    /* ordered by ($sourceId, $relationshipId) */
    assert_string_equal(ids(f, "SELECT * FROM RELATIONSHIPS"),
                        "b1-f1,b1-f2,f1-r101,f1-r102,f2-r201,f2-r202,r101-s1,r102-near,r102-s2,"
                        "r201-s3,site-b1");
    gm_query_page pg = run_page(f, "SELECT * FROM RELATIONSHIPS WHERE $relationshipId = 'site-b1'", NULL, 0);
    assert_true(json_equal(json_array_get(pg.value, 0), gm_rel_get(f->g, "site", "site-b1")));
    gm_query_page_free(&pg);
    /* the relationship indexes: by source, by target */
    const char *q = "SELECT R.position, R.$targetId FROM RELATIONSHIPS R WHERE R.$sourceId = 'b1'";
    assert_string_equal(rows(f, q),
                        "[{\"$targetId\":\"f1\",\"position\":1},{\"$targetId\":\"f2\",\"position\":2}]");
    assert_string_equal(explain(f, q), "lookup $sourceId (1 id)");
    q = "SELECT * FROM RELATIONSHIPS R WHERE R.$targetId IN ['r101', 's3'] AND R.$relationshipName != 'x'";
    assert_string_equal(ids(f, q), "f1-r101,r102-near,r201-s3");
    assert_string_equal(explain(f, q), "lookup $targetId (2 ids)");
    assert_string_equal(rows(f, "SELECT R AS rel FROM RELATIONSHIPS R WHERE R.since = '2020'"),
                        "[{\"rel\":{\"$etag\":\"W/\\\"000000000000000c\\\"\",\"$relationshipId\":"
                        "\"site-b1\",\"$relationshipName\":\"contains\",\"$sourceId\":\"site\","
                        "\"$targetId\":\"b1\",\"position\":1,\"since\":\"2020\"}}]");
}

/* ---- WHERE ---- */

static void test_comparisons(void **state)
{
    fixture *f = *state;
    /* numbers compare numerically across integers and reals; absent is false */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature > 30"), "r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature >= 30"), "r102,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature = 30.0"), "r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature = 30"), "r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature < 30"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature <= 21.5"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature != 30"), "r101,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE 30 < T.temperature"), "r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.floors = 2.0"), "b1");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.floors < 2.5 AND T.floors > 1.5"), "b1");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.limits.low > 15.5"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.hvac.rpm >= 1200"), "r101,r201");
    /* 2^53 + 1 is not equal to the double 2^53 */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE 9007199254740993 = 9007199254740992.0"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE 9007199254740993 > 9007199254740992.0 AND T.$dtId = 'b1'"), "b1");
    /* mixed types never compare, not even with != */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.reading > 20"), "s1,s3");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.reading > 'a'"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name = 5 OR T.name != 5"), "");
    /* strings compare by bytes */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name < 'M'"), "b1,f1,r101,r201,site");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name >= 'lab'"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name = 'Lab'"), "r201");
    /* booleans and null: = and != only */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.occupied = true"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.occupied != true"), "r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.occupied > false"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.kind = null"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.kind != null"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.kind <= null"), "");
    /* objects by deep equality */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.limits = T.limits"), "r101,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.limits != T.hvac"), "r101,r201");
    /* a property that is absent makes the comparison false, so NOT makes it true */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND NOT T.temperature > 30"),
                        "r101,r102,r202");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.nope.deeper = 1 OR T.name.x = 1"), "");
}

static void test_in_nin(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name IN ['HQ', 'Lab', 5]"), "b1,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature IN [30.0, 21.5]"), "r101,r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.name NIN ['Lobby']"),
                        "r102,r201,r202");
    /* absent: IN and NIN are both false; NOT IN (the NOT outside) is true */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.temperature NIN [30]"),
                        "r101,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND NOT T.temperature IN [30]"),
                        "r101,r201,r202");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.temperature NOT IN [30]"),
                        "r101,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name IN []"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.kind IN [null, 'co2']"), "odd,s3");
}

static void test_logic(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE (T.level = 0 OR T.floors = 2) AND NOT T.name = 'HQ'"),
                        "f1");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.level = 1 OR T.floors = 2 OR T.hazard = 'bio'"),
                        "b1,f2,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE NOT (T.level >= 0 OR IS_DEFINED(T.temperature))"),
                        "b1,odd,r202,s1,s2,s3,site");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS WHERE false"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE true AND T.level = 1"), "f2");
}

static void test_functions(void **state)
{
    fixture *f = *state;
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_DEFINED(T.temperature)"), "r101,r102,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_DEFINED(T.hvac.rpm)"), "r101,r102,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE IS_NULL(S.kind)"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE IS_NUMBER(S.reading)"), "s1,s2,s3");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE IS_STRING(S.reading)"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_BOOL(T.occupied)"), "r101,r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE IS_PRIMITIVE(S.kind)"), "odd,s1,s2,s3");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_PRIMITIVE(T.limits) OR IS_PRIMITIVE(T.tags)"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_OBJECT(T.limits)"), "r101,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_OBJECT(T.hvac) AND NOT IS_DEFINED(T.hvac.rpm)"),
                        "r202");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_OBJECT(T.tags)"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'r1')"), "r101,r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE ENDSWITH(T.name, 'by')"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE CONTAINS(T.name, 'ff')"), "r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE CONTAINS(T.name, '') AND T.level = 0"), "f1");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.floors, '2') OR ENDSWITH(T.name, 5)"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH('Lobby', T.name)"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.tags, 'public')"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.tags, 5)"), "");
    /* the top level only */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE ARRAY_CONTAINS(S.nested, 2)"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE ARRAY_CONTAINS(S.nested, 1.0)"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE ARRAY_CONTAINS(S.obj, 1)"), "");
}

static void test_of_model(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Space;1')";
    assert_string_equal(ids(f, q), "b1,f1,f2,r101,r102,r201,r202,site");
    assert_string_equal(explain(f, q), "by model (5 models)");
    q = "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Space;1', exact)";
    assert_string_equal(ids(f, q), "site");
    assert_string_equal(explain(f, q), "by model (1 model)");
    /* Lab extends Room */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Room;1')"),
                        "r101,r102,r201,r202");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Room;1', exact)"),
                        "r101,r102,r202");
    q = "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Nope;1')";
    assert_string_equal(ids(f, q), "");
    assert_string_equal(explain(f, q), "by model (0 models)");
    /* not a top-level AND term: tested on every twin of a scan */
    q = "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Lab;1') OR T.$dtId = 's1'";
    assert_string_equal(ids(f, q), "r201,s1");
    assert_string_equal(explain(f, q), "scan");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE NOT IS_OF_MODEL(T, 'dtmi:t:Space;1')"),
                        "odd,s1,s2,s3");
    /* the model index with another condition tested on its twins */
    q = "SELECT * FROM DIGITALTWINS T WHERE T.temperature > 25 AND " ROOMS;
    assert_string_equal(ids(f, q), "r102,r201");
    assert_string_equal(explain(f, q), "by model (2 models)");
}

static void test_plan_choice(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT * FROM DIGITALTWINS T WHERE T.$dtId IN ['s2', 'b1', 's2', 'ghost', 7]";
    assert_string_equal(ids(f, q), "b1,s2");
    assert_string_equal(explain(f, q), "lookup $dtId (3 ids)");
    /* the lookup is preferred to the model index, and the narrower lookup wins */
    q = "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.$dtId IN ['r101', 'r102', 's1']"
        " AND T.$dtId = 'r102'";
    assert_string_equal(ids(f, q), "r102");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id)");
    /* the other terms are still tested on looked-up twins */
    q = "SELECT * FROM DIGITALTWINS T WHERE 'r101' = T.$dtId AND " ROOMS " AND T.temperature > 25";
    assert_string_equal(ids(f, q), "");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id)");
    /* a NIN or != is no lookup */
    assert_string_equal(explain(f, "SELECT * FROM DIGITALTWINS T WHERE T.$dtId NIN ['a']"), "scan");
    assert_string_equal(explain(f, "SELECT * FROM DIGITALTWINS T WHERE T.$dtId != 'a'"), "scan");
    /* a $dtId that is not a string matches nothing */
    q = "SELECT * FROM DIGITALTWINS WHERE $dtId = 5";
    assert_string_equal(ids(f, q), "");
    assert_string_equal(explain(f, q), "lookup $dtId (0 ids)");
    /* the FROM collection's model index is preferred over a joined one's */
    q = "SELECT R FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE IS_OF_MODEL(R, 'dtmi:t:Lab;1')"
        " AND IS_OF_MODEL(F, 'dtmi:t:Floor;1')";
    assert_string_equal(explain(f, q), "by model (1 model) on F, expand F->R");
    assert_string_equal(rows(f, "SELECT R.$dtId FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE "
                                "IS_OF_MODEL(R, 'dtmi:t:Lab;1') AND IS_OF_MODEL(F, 'dtmi:t:Floor;1')"),
                        "[{\"$dtId\":\"r201\"}]");
    q = "SELECT R FROM DIGITALTWINS F JOIN R RELATED F.contains WHERE IS_OF_MODEL(R, 'dtmi:t:Lab;1')";
    assert_string_equal(explain(f, q), "by model (1 model) on R, expand R<-F");
    assert_string_equal(explain(f, "SELECT R FROM DIGITALTWINS F JOIN R RELATED F.contains"),
                        "scan on F, expand F->R");
    /* explain without a graph: the plan depends on the query and the models */
    char *plan = NULL;
    assert_int_equal(gm_query_explain(NULL, f->models, "SELECT * FROM DIGITALTWINS", 26, &plan, NULL), 0);
    assert_string_equal(plan, "scan");
    free(plan);
    gm_err e;
    assert_int_equal(gm_query_explain(f->g, f->models, "SELECT", 6, &plan, &e), GM_EPARSE);
    assert_null(plan);
    assert_int_equal(gm_query_explain(f->g, f->models, "SELECT", 6, NULL, &e), GM_EINVAL);
}

/* ---- JOIN ---- */

static void test_join(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT F.name AS floor, R.name AS room FROM DIGITALTWINS B JOIN F RELATED B.contains"
                    " JOIN R RELATED F.contains WHERE B.$dtId = 'b1'";
    assert_string_equal(rows(f, q),
                        "[{\"floor\":\"Ground\",\"room\":\"Lobby\"},{\"floor\":\"Ground\",\"room\":\"Office\"},"
                        "{\"floor\":\"Upper\",\"room\":\"Lab\"},{\"floor\":\"Upper\",\"room\":\"Storage\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on B, expand B->F, expand F->R");
    /* projecting collections and a relationship alias */
    gm_query_page pg = run_page(f, "SELECT F, C FROM DIGITALTWINS B JOIN F RELATED B.contains C"
                                   " WHERE B.$dtId = 'b1' AND C.position = 2", NULL, 0);
    json_t *want = json_pack("[{s:O, s:O}]", "F", gm_twin_get(f->g, "f2"), "C",
                             gm_rel_get(f->g, "b1", "b1-f2"));
    assert_true(json_equal(pg.value, want));
    json_decref(want);
    gm_query_page_free(&pg);
    assert_string_equal(rows(f, "SELECT C.$relationshipId AS id, C.position FROM DIGITALTWINS B"
                                " JOIN F RELATED B.contains C WHERE B.$dtId = 'b1'"),
                        "[{\"id\":\"b1-f1\",\"position\":1},{\"id\":\"b1-f2\",\"position\":2}]");
    /* three levels, WHERE on the last one */
    q = "SELECT Rm.$dtId AS id FROM DIGITALTWINS S JOIN B RELATED S.contains JOIN F RELATED B.contains"
        " JOIN Rm RELATED F.contains WHERE S.$dtId = 'site' AND Rm.temperature >= 30";
    assert_string_equal(rows(f, q), "[{\"id\":\"r102\"},{\"id\":\"r201\"}]");
    /* WHERE across aliases; the JOIN starts from the model index */
    q = "SELECT Rm.name, S.reading FROM DIGITALTWINS Rm JOIN S RELATED Rm.hasSensor"
        " WHERE IS_OF_MODEL(Rm, 'dtmi:t:Room;1') AND S.reading > 20";
    assert_string_equal(rows(f, q), "[{\"name\":\"Lobby\",\"reading\":31.5},{\"name\":\"Lab\",\"reading\":450}]");
    assert_string_equal(explain(f, q), "by model (2 models) on Rm, expand Rm->S");
    assert_string_equal(rows(f, "SELECT Rm.name FROM DIGITALTWINS Rm JOIN S RELATED Rm.hasSensor"
                                " WHERE S.kind = 'temp' AND Rm.temperature < S.reading"),
                        "[{\"name\":\"Lobby\"}]");
    /* a $dtId on the JOIN target: walk the relationship backwards */
    q = "SELECT F.$dtId AS f FROM DIGITALTWINS F JOIN Rm RELATED F.contains WHERE Rm.$dtId = 'r201'";
    assert_string_equal(rows(f, q), "[{\"f\":\"f2\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on Rm, expand Rm<-F");
    q = "SELECT B.$dtId AS b, F.$dtId AS f FROM DIGITALTWINS B JOIN F RELATED B.contains"
        " JOIN Rm RELATED F.contains WHERE Rm.$dtId IN ['r101', 'r202']";
    assert_string_equal(rows(f, q), "[{\"b\":\"b1\",\"f\":\"f1\"},{\"b\":\"b1\",\"f\":\"f2\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (2 ids) on Rm, expand Rm<-F, expand F<-B");
    /* a tree: two JOINs from the same twin */
    q = "SELECT S.$dtId AS s, N.$dtId AS n FROM DIGITALTWINS Rm JOIN S RELATED Rm.hasSensor"
        " JOIN N RELATED Rm.near WHERE Rm.$dtId IN ['r101', 'r102']";
    assert_string_equal(rows(f, q), "[{\"n\":\"r101\",\"s\":\"s2\"}]");
    /* no relationship of that name: no rows */
    assert_string_equal(rows(f, "SELECT X FROM DIGITALTWINS T JOIN X RELATED T.owns WHERE T.$dtId = 'b1'"), "[]");
}

/* ---- MATCH ---- */

static void test_match(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT b.$dtId AS id FROM DIGITALTWINS MATCH (a)-[:contains]->(b) WHERE a.$dtId = 'b1'";
    assert_string_equal(rows(f, q), "[{\"id\":\"f1\"},{\"id\":\"f2\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on a, expand a->b");
    /* directions */
    assert_string_equal(rows(f, "SELECT p.$dtId AS id FROM DIGITALTWINS MATCH (a)<-[:contains]-(p)"
                                " WHERE a.$dtId = 'r201'"),
                        "[{\"id\":\"f2\"}]");
    assert_string_equal(rows(f, "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[]-(x) WHERE a.$dtId = 'r102'"),
                        "[{\"id\":\"f1\"},{\"id\":\"r101\"},{\"id\":\"s2\"}]");
    assert_string_equal(rows(f, "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[:near|hasSensor]->(x)"
                                " WHERE a.$dtId = 'r102'"),
                        "[{\"id\":\"r101\"},{\"id\":\"s2\"}]");
    /* hop counts: *2 exactly, *1..3 (ADT: 2 or 3), *..2, *, and names over hops */
    q = "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[:contains*2]->(x) WHERE a.$dtId = 'site'";
    assert_string_equal(rows(f, q), "[{\"id\":\"f1\"},{\"id\":\"f2\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on a, expand a->x (2 hops)");
    q = "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[:contains*1..3]->(x) WHERE a.$dtId = 'site'";
    assert_string_equal(rows(f, q), "[{\"id\":\"f1\"},{\"id\":\"f2\"},{\"id\":\"r101\"},"
                                     "{\"id\":\"r102\"},{\"id\":\"r201\"},{\"id\":\"r202\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on a, expand a->x (2..3 hops)");
    assert_string_equal(rows(f, "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[*..2]->(x) WHERE a.$dtId = 'site'"),
                        "[{\"id\":\"b1\"},{\"id\":\"f1\"},{\"id\":\"f2\"}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[:contains*]->(x) WHERE a.$dtId = 'site'"),
                        "[{\"COUNT\":7}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[:contains|hasSensor*..4]->(x)"
                                " WHERE a.$dtId = 'site'"),
                        "[{\"COUNT\":10}]");
    assert_string_equal(rows(f, "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (x)<-[*3]-(a) WHERE a.$dtId = 'site'"
                                " AND x.temperature > 25"),
                        "[{\"id\":\"r102\"},{\"id\":\"r201\"}]");
    /* a relationship alias on a single hop, with a condition on it */
    assert_string_equal(rows(f, "SELECT r.position AS pos, b.$dtId AS id FROM DIGITALTWINS"
                                " MATCH (a)-[r:contains]->(b) WHERE a.$dtId = 'b1' AND r.position = 2"),
                        "[{\"id\":\"f2\",\"pos\":2}]");
    /* chains, anchored at either end */
    q = "SELECT rm.$dtId AS rm, s.$dtId AS s FROM DIGITALTWINS MATCH (f)-[:contains]->(rm)-[:hasSensor]->(s)"
        " WHERE f.$dtId = 'f1'";
    assert_string_equal(rows(f, q), "[{\"rm\":\"r101\",\"s\":\"s1\"},{\"rm\":\"r102\",\"s\":\"s2\"}]");
    q = "SELECT f.$dtId AS f, rm.$dtId AS rm FROM DIGITALTWINS MATCH (f)-[:contains]->(rm)-[:hasSensor]->(s)"
        " WHERE s.$dtId = 's3'";
    assert_string_equal(rows(f, q), "[{\"f\":\"f2\",\"rm\":\"r201\"}]");
    assert_string_equal(explain(f, q), "lookup $dtId (1 id) on s, expand s<-rm, expand rm<-f");
    /* an anonymous node in the middle; a node alone */
    assert_string_equal(rows(f, "SELECT s.$dtId AS s FROM DIGITALTWINS MATCH (b)-[:contains*2]->()-[:hasSensor]->(s)"
                                " WHERE b.$dtId = 'b1'"),
                        "[{\"s\":\"s1\"},{\"s\":\"s2\"},{\"s\":\"s3\"}]");
    assert_string_equal(rows(f, "SELECT t.name FROM DIGITALTWINS MATCH (t) WHERE t.$dtId = 'f2'"),
                        "[{\"name\":\"Upper\"}]");
    /* distinct rows: r102 and f1 are reached by two paths each */
    q = "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[*..2]-(x) WHERE a.$dtId = 'r101'";
    assert_string_equal(rows(f, q), "[{\"id\":\"b1\"},{\"id\":\"f1\"},{\"id\":\"r102\"},{\"id\":\"s1\"},{\"id\":\"s2\"}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[*..2]-(x) WHERE a.$dtId = 'r101'"),
                        "[{\"COUNT\":5}]");
    /* a relationship is followed once per match: r101 comes back only over 3 hops */
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[*2]-(x) WHERE a.$dtId = 'r101'"
                                " AND x.$dtId = 'r101'"),
                        "[{\"COUNT\":0}]");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[*3]-(x) WHERE a.$dtId = 'r101'"
                                " AND x.$dtId = 'r101'"),
                        "[{\"COUNT\":1}]");
    /* SELECT * returns every named twin and relationship */
    gm_query_page pg = run_page(f, "SELECT * FROM DIGITALTWINS MATCH (a)-[r:hasSensor]->(s) WHERE a.$dtId = 'r101'",
                                NULL, 0);
    json_t *want = json_pack("[{s:O, s:O, s:O}]", "a", gm_twin_get(f->g, "r101"), "r",
                             gm_rel_get(f->g, "r101", "r101-s1"), "s", gm_twin_get(f->g, "s1"));
    assert_true(json_equal(pg.value, want));
    json_decref(want);
    gm_query_page_free(&pg);
}

/* ---- paging ---- */

static void page_through(fixture *f, const char *q, size_t size, const char *const *want, size_t npages)
{
    char *token = NULL;
    for (size_t i = 0; i < npages; i++) {
        gm_query_page pg = run_page(f, q, token, size);
        char *s = json_dumps(pg.value, JSON_COMPACT | JSON_SORT_KEYS);
        if (strcmp(want[i][0] == '[' ? s : ids_of(pg.value), want[i]) != 0)
            fail_msg("%s: page %zu: %s, expected %s", q, i, want[i][0] == '[' ? s : out_buf, want[i]);
        free(s);
        free(token);
        token = pg.continuation ? strdup(pg.continuation) : NULL;
        if (i + 1 < npages)
            assert_non_null(token);
        else
            assert_null(token);
        gm_query_page_free(&pg);
    }
}

static void test_paging(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " OR T.$dtId = 'site'";
    assert_string_equal(ids(f, q), "r101,r102,r201,r202,site");
    static const char *const three[] = {"r101,r102", "r201,r202", "site"};
    page_through(f, q, 2, three, 3);
    /* the same rows as one page of 100 (the default) */
    gm_query_page pg = run_page(f, q, NULL, 0);
    assert_string_equal(ids_of(pg.value), "r101,r102,r201,r202,site");
    assert_null(pg.continuation);
    gm_query_page_free(&pg);
    /* exactly full pages: no empty page at the end */
    static const char *const five[] = {"r101", "r102", "r201", "r202", "site"};
    page_through(f, q, 1, five, 5);
    /* projections, JOINs (multi-part keys) and MATCH (distinct rows) page the same way */
    static const char *const joined[] = {"[{\"r\":\"r101\"},{\"r\":\"r102\"},{\"r\":\"r201\"}]",
                                         "[{\"r\":\"r202\"}]"};
    page_through(f, "SELECT R.$dtId AS r FROM DIGITALTWINS B JOIN F RELATED B.contains JOIN R RELATED"
                    " F.contains WHERE B.$dtId = 'b1'", 3, joined, 2);
    static const char *const matched[] = {"[{\"id\":\"b1\"},{\"id\":\"f1\"}]",
                                          "[{\"id\":\"r102\"},{\"id\":\"s1\"}]", "[{\"id\":\"s2\"}]"};
    page_through(f, "SELECT x.$dtId AS id FROM DIGITALTWINS MATCH (a)-[*..2]-(x) WHERE a.$dtId = 'r101'",
                 2, matched, 3);
    static const char *const relpages[] = {"b1-f1,b1-f2,f1-r101,f1-r102", "f2-r201,f2-r202,r101-s1,r102-near",
                                           "r102-s2,r201-s3,site-b1"};
    page_through(f, "SELECT * FROM RELATIONSHIPS", 4, relpages, 3);
    /* page sizes above the maximum are clamped, not refused */
    pg = run_page(f, "SELECT * FROM DIGITALTWINS", NULL, 1000000);
    assert_int_equal(json_array_size(pg.value), 12);
    gm_query_page_free(&pg);

    /* the token carries a position, not an offset: a twin added before it is
       not returned, one added after it is; the query may be respelled */
    pg = run_page(f, q, NULL, 2);
    char *token = strdup(pg.continuation);
    gm_query_page_free(&pg);
    put_twin(f, "r100", M("Room") ", \"hvac\": {\"$metadata\": {}}}");
    put_twin(f, "r300", M("Room") ", \"hvac\": {\"$metadata\": {}}}");
    pg = run_page(f, "select  *  from digitaltwins T where is_of_model(T, \"dtmi:t:Room;1\") or T.$dtId='site'",
                  token, 10);
    assert_string_equal(ids_of(pg.value), "r201,r202,r300,site");
    assert_null(pg.continuation);
    gm_query_page_free(&pg);
    /* a different page size for the next page is fine */
    pg = run_page(f, q, token, 1);
    assert_string_equal(ids_of(pg.value), "r201");
    gm_query_page_free(&pg);
    free(token);

    /* the page's printed form */
    pg = run_page(f, "SELECT TOP(2) T.name FROM DIGITALTWINS T WHERE " ROOMS, NULL, 1);
    json_t *j = gm_query_page_json(&pg);
    assert_non_null(j);
    assert_true(json_equal(json_object_get(j, "value"), pg.value));
    assert_string_equal(json_string_value(json_object_get(j, "continuationToken")), pg.continuation);
    json_decref(j);
    gm_query_page_free(&pg);
    pg = run_page(f, "SELECT COUNT() FROM DIGITALTWINS", NULL, 1);
    j = gm_query_page_json(&pg);
    assert_true(json_is_null(json_object_get(j, "continuationToken")));
    json_decref(j);
    gm_query_page_free(&pg);
    assert_null(gm_query_page_json(NULL));
}

/* ---- the value cache and the ordered model index, through queries ---- */

static void patch(fixture *f, const char *id, const char *ops, int want)
{
    json_t *p = J(ops);
    gm_twin_event ev;
    memset(&ev, 0, sizeof ev);
    int rc = gm_twin_patch(f->g, id, p, NULL, clock_ns += 1000, &ev, NULL);
    assert_int_equal(rc, want);
    if (rc == 0)
        json_decref(ev.body);
    json_decref(p);
}

static void test_values_follow_changes(void **state)
{
    fixture *f = *state;
    const char *hot = "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.temperature > 30";
    assert_string_equal(ids(f, hot), "r201");
    patch(f, "r102", "[{\"op\": \"replace\", \"path\": \"/temperature\", \"value\": 31}]", 0);
    assert_string_equal(ids(f, hot), "r102,r201");
    /* refused: the second operation is invalid, the first is undone */
    patch(f, "r101", "[{\"op\": \"replace\", \"path\": \"/temperature\", \"value\": 99},"
                     " {\"op\": \"replace\", \"path\": \"/occupied\", \"value\": \"yes\"}]",
          GM_EINVAL);
    assert_string_equal(ids(f, hot), "r102,r201");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature = 99"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.occupied = true"), "r101");
    /* refused while being applied */
    patch(f, "r201", "[{\"op\": \"remove\", \"path\": \"/temperature\"},"
                     " {\"op\": \"remove\", \"path\": \"/nope\"}]",
          GM_EINVAL);
    assert_string_equal(ids(f, hot), "r102,r201");
    /* absent: the comparison is false, its negation true */
    patch(f, "r201", "[{\"op\": \"remove\", \"path\": \"/temperature\"}]", 0);
    assert_string_equal(ids(f, hot), "r102");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS
                               " AND NOT T.temperature > 30"),
                        "r101,r201,r202");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE " ROOMS
                               " AND IS_DEFINED(T.temperature)"),
                        "r101,r102");
    /* strings: the old value is gone, the new one found */
    patch(f, "r101", "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"Foyer\"}]", 0);
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name = 'Lobby'"), "");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE T.name = 'Foyer'"), "r101");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.name, 'Fo')"), "r101");
    /* a replacement */
    put_twin(f, "r202", M("Room") ", \"name\": \"Storage\", \"temperature\": 45,"
                        " \"hvac\": {\"$metadata\": {}}}");
    assert_string_equal(ids(f, hot), "r102,r202");
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS T WHERE " ROOMS
                                " AND T.temperature > 30"),
                        "[{\"COUNT\":2}]");
    /* a delete */
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_rel_delete(f->g, "r102", "r102-s2", NULL, clock_ns += 1000, NULL, &e), 0);
    assert_int_equal(gm_twin_delete(f->g, "s2", NULL, clock_ns += 1000, NULL, &e), 0);
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS S WHERE " SENSORS),
                        "[{\"COUNT\":3}]");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE " SENSORS " AND S.reading < 100"),
                        "s1");
    /* a twin restored unvalidated: what is there, whatever its type */
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE S.reading = 'high'"), "odd");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS S WHERE IS_NULL(S.kind)"), "odd");
    /* conditions on joined twins read their values too */
    patch(f, "s3", "[{\"op\": \"replace\", \"path\": \"/reading\", \"value\": 20}]", 0);
    assert_string_equal(rows(f, "SELECT S.reading FROM DIGITALTWINS R JOIN S RELATED R.hasSensor"
                                " WHERE S.reading >= 20"),
                        "[{\"reading\":31.5},{\"reading\":20}]");
    assert_string_equal(rows(f, "SELECT S.reading FROM DIGITALTWINS R JOIN S RELATED R.hasSensor"
                                " WHERE S.reading < 20 OR R.name = 'Foyer'"),
                        "[{\"reading\":31.5}]");
    /* a model whose every twin has left: its bucket exists and is empty */
    put_twin(f, "hvac-lone", M("Hvac") "}");
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Hvac;1', exact)"),
                        "hvac-lone");
    assert_int_equal(gm_twin_delete(f->g, "hvac-lone", NULL, clock_ns += 1000, NULL, &e), 0);
    assert_string_equal(ids(f, "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:t:Hvac;1', exact)"),
                        "");
}

/* Ids of every Room (or Lab) with lo <= temperature < hi, read from the
   documents: the reference a query must match. */
typedef struct ref_ctx {
    double lo, hi;
    json_t *ids;
} ref_ctx;

static int ref_cb(void *ctx, const json_t *twin)
{
    ref_ctx *r = ctx;
    const char *m = json_string_value(json_object_get(json_object_get(twin, "$metadata"), "$model"));
    const json_t *t = json_object_get(twin, "temperature");
    if ((strcmp(m, "dtmi:t:Room;1") == 0 || strcmp(m, "dtmi:t:Lab;1") == 0) && json_is_number(t) &&
        json_number_value(t) >= r->lo && json_number_value(t) < r->hi)
        json_array_append_new(r->ids, json_string(json_string_value(json_object_get(twin, "$dtId"))));
    return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The reference ids, sorted, comma-separated (malloc'd); *n counts them. */
static char *reference(fixture *f, double lo, double hi, size_t *n)
{
    ref_ctx r = {lo, hi, json_array()};
    gm_twin_each(f->g, ref_cb, &r);
    *n = json_array_size(r.ids);
    json_t **v = calloc(*n + 1, sizeof *v);
    size_t len = 1;
    for (size_t i = 0; i < *n; i++) {
        v[i] = json_array_get(r.ids, i);
        len += strlen(json_string_value(v[i])) + 1;
    }
    qsort(v, *n, sizeof *v, cmp_json_str);
    char *s = calloc(len, 1);
    for (size_t i = 0; i < *n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, json_string_value(v[i]));
    }
    free(v);
    json_decref(r.ids);
    return s;
}

/* Every page of q, of page rows, joined (malloc'd); *pages counts them. */
static char *all_pages(fixture *f, const char *q, size_t page, size_t *pages)
{
    size_t cap = 1 << 16, used = 0;
    char *all = calloc(cap, 1), *token = NULL;
    *pages = 0;
    do {
        gm_query_page pg = run_page(f, q, token, page);
        free(token);
        token = pg.continuation ? strdup(pg.continuation) : NULL;
        if (token)
            assert_int_equal(json_array_size(pg.value), page);
        const char *page_ids = ids_of(pg.value);
        size_t n = strlen(page_ids);
        assert_true(used + n + 2 < cap);
        if (used && n)
            all[used++] = ',';
        memcpy(all + used, page_ids, n + 1);
        used += n;
        ++*pages;
        gm_query_page_free(&pg);
    } while (token);
    return all;
}

static void test_pages_over_many(void **state)
{
    fixture *f = *state;
    enum { N = 1200 };
    /* Rooms and Labs (two buckets the query merges), inserted scrambled;
       integer and real temperatures */
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 7919) % N;
        char id[32], body[256];
        snprintf(id, sizeof id, "q%04zu", k);
        snprintf(body, sizeof body,
                 "{\"$metadata\": {\"$model\": \"dtmi:t:%s;1\"}, \"temperature\": %zu%s,"
                 " \"hvac\": {\"$metadata\": {}}}",
                 k % 3 ? "Room" : "Lab", (k * 37) % 40, k % 2 ? ".5" : "");
        put_twin(f, id, body);
    }
    const char *q = "SELECT * FROM DIGITALTWINS T WHERE " ROOMS " AND T.temperature >= 20";
    assert_string_equal(explain(f, q), "by model (2 models)");
    size_t n, pages;
    char *want = reference(f, 20, 1e9, &n);
    assert_true(n > 500);
    static const size_t sizes[] = {1, 7, 100, 1000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *got = all_pages(f, q, sizes[i], &pages);
        if (strcmp(got, want) != 0)
            fail_msg("pages of %zu: %.200s... expected %.200s...", sizes[i], got, want);
        assert_int_equal(pages, (n + sizes[i] - 1) / sizes[i]);
        free(got);
    }
    char count[64];
    snprintf(count, sizeof count, "[{\"COUNT\":%zu}]", n);
    assert_string_equal(rows(f, "SELECT COUNT() FROM DIGITALTWINS T WHERE " ROOMS
                                " AND T.temperature >= 20"),
                        count);
    free(want);
    /* a scan (no model condition) pages in $dtId order too */
    want = reference(f, 0, 3, &n);
    char *got = all_pages(f, "SELECT * FROM DIGITALTWINS T WHERE T.temperature < 3", 10, &pages);
    assert_string_equal(got, want);
    assert_int_equal(pages, (n + 9) / 10);
    free(got);
    free(want);

    /* pages stay consistent while the graph changes between them: a token
       resumes after its key, whatever became of that twin */
    gm_query_page pg = run_page(f, q, NULL, 100);
    char last_id[32];
    snprintf(last_id, sizeof last_id, "%s",
             json_string_value(json_object_get(json_array_get(pg.value, 99), "$dtId")));
    char *token = strdup(pg.continuation);
    gm_query_page_free(&pg);
    assert_int_equal(gm_twin_delete(f->g, last_id, NULL, clock_ns += 1000, NULL, NULL), 0);
    patch(f, "q1199", "[{\"op\": \"replace\", \"path\": \"/temperature\", \"value\": 25}]", 0);
    patch(f, "q1198", "[{\"op\": \"replace\", \"path\": \"/temperature\", \"value\": 2}]", 0);
    put_twin(f, "a0", M("Room") ", \"temperature\": 30, \"hvac\": {\"$metadata\": {}}}");
    want = reference(f, 20, 1e9, &n);
    assert_null(strstr(want, last_id));
    gm_query_page rest = run_page(f, q, token, 1000);
    free(token);
    assert_null(rest.continuation);
    char *expect = calloc(strlen(want) + 1, 1), *save = NULL;
    for (char *id = strtok_r(want, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        if (strcmp(id, last_id) <= 0)
            continue;
        if (*expect)
            strcat(expect, ",");
        strcat(expect, id);
    }
    assert_string_equal(ids_of(rest.value), expect);
    assert_non_null(strstr(expect, "q1199"));
    assert_null(strstr(expect, "q1198"));
    assert_null(strstr(expect, "a0"));
    gm_query_page_free(&rest);
    free(expect);
    free(want);

    /* a JOIN anchored on the model index: several rows per anchor, by one */
    put_rel(f, "r101", "r101-s3", "{\"$relationshipName\": \"hasSensor\", \"$targetId\": \"s3\"}");
    static const char *const joined[] = {
        "[{\"r\":\"r101\",\"s\":\"s1\"}]", "[{\"r\":\"r101\",\"s\":\"s3\"}]",
        "[{\"r\":\"r102\",\"s\":\"s2\"}]", "[{\"r\":\"r201\",\"s\":\"s3\"}]"};
    page_through(f, "SELECT T.$dtId AS r, S.$dtId AS s FROM DIGITALTWINS T JOIN S RELATED"
                    " T.hasSensor WHERE " ROOMS,
                 1, joined, 4);
    /* anchored on the joined collection, whose order is not the rows'
       order (s0 comes first but its row last): every anchor is read */
    put_twin(f, "s0", M("Sensor") ", \"reading\": 1}");
    put_rel(f, "r202", "r202-s0", "{\"$relationshipName\": \"hasSensor\", \"$targetId\": \"s0\"}");
    const char *by_sensor = "SELECT T.$dtId AS r, S.$dtId AS s FROM DIGITALTWINS T JOIN S RELATED"
                            " T.hasSensor WHERE " SENSORS;
    assert_string_equal(explain(f, by_sensor), "by model (1 model) on S, expand S<-T");
    static const char *const by_one[] = {
        "[{\"r\":\"r101\",\"s\":\"s1\"}]", "[{\"r\":\"r101\",\"s\":\"s3\"}]",
        "[{\"r\":\"r102\",\"s\":\"s2\"}]", "[{\"r\":\"r201\",\"s\":\"s3\"}]",
        "[{\"r\":\"r202\",\"s\":\"s0\"}]"};
    page_through(f, by_sensor, 1, by_one, 5);
    static const char *const by_two[] = {
        "[{\"r\":\"r101\",\"s\":\"s1\"},{\"r\":\"r101\",\"s\":\"s3\"}]",
        "[{\"r\":\"r102\",\"s\":\"s2\"},{\"r\":\"r201\",\"s\":\"s3\"}]",
        "[{\"r\":\"r202\",\"s\":\"s0\"}]"};
    page_through(f, by_sensor, 2, by_two, 3);
}

/* Decode a token (hex of JSON), let edit change the text, encode it again. */
static char *retoken(const char *tok, const char *from, const char *to)
{
    size_t n = strlen(tok) / 2;
    char *raw = calloc(1, n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(tok + 2 * i, "%2x", &v);
        raw[i] = (char)v;
    }
    char *at = strstr(raw, from);
    assert_non_null(at);
    char edited[4096];
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - raw), raw, to, at + strlen(from));
    free(raw);
    char *out = calloc(1, 2 * strlen(edited) + 1);
    for (size_t i = 0; edited[i]; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char)edited[i]);
    return out;
}

static void bad_token(fixture *f, const char *q, const char *tok, const char *why)
{
    gm_err e;
    assert_int_equal(run_err(f, q, tok, &e), GM_EINVAL);
    assert_string_equal(e.where, "continuationToken");
    assert_non_null(strstr(e.what, "invalid continuation token"));
    if (why && !strstr(e.what, why))
        fail_msg("%s: expected '%s'", e.what, why);
}

static void test_bad_tokens(void **state)
{
    fixture *f = *state;
    const char *q = "SELECT TOP(3) FROM DIGITALTWINS";
    gm_query_page pg = run_page(f, q, NULL, 2);
    assert_non_null(pg.continuation);
    char *good = strdup(pg.continuation);
    gm_query_page_free(&pg);

    bad_token(f, q, "", "malformed");
    bad_token(f, q, "xyz", "malformed");
    bad_token(f, q, "7b7d", "malformed"); /* {} */
    bad_token(f, q, "7b", "malformed");   /* { */
    bad_token(f, q, "7B7D", "malformed"); /* upper case is not what was issued */
    /* the same token for another query, or for an equivalent one with another TOP */
    bad_token(f, "SELECT * FROM DIGITALTWINS", good, "another query");
    bad_token(f, "SELECT TOP(4) FROM DIGITALTWINS", good, "another query");
    bad_token(f, "SELECT COUNT() FROM DIGITALTWINS", good, NULL);
    /* edited: rows returned out of range, a key of the wrong width or type,
       an extra member, another version */
    static const char *const edits[][2] = {
        {"\"n\":2", "\"n\":0"},       {"\"n\":2", "\"n\":3"},
        {"\"n\":2", "\"n\":\"2\""},   {"[\"f1\"]", "[\"f1\",\"x\"]"},
        {"[\"f1\"]", "[1]"},          {"[\"f1\"]", "{}"},
        {"\"n\":2", "\"n\":2,\"x\":1"}, {"\"v\":1", "\"v\":2"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *t = retoken(good, edits[i][0], edits[i][1]);
        bad_token(f, q, t, NULL);
        free(t);
    }
    /* an unedited round trip still works, and so does a valid edit of the key */
    char *t = retoken(good, "\"n\":2", "\"n\":2");
    pg = run_page(f, q, t, 2);
    assert_string_equal(ids_of(pg.value), "f2");
    gm_query_page_free(&pg);
    free(t);
    t = retoken(good, "[\"f1\"]", "[\"r\"]");
    pg = run_page(f, q, t, 2);
    assert_string_equal(ids_of(pg.value), "r101");
    gm_query_page_free(&pg);
    free(t);
    /* too long */
    char *big = malloc(GM_QUERY_TOKEN_MAX + 3);
    memset(big, 'a', GM_QUERY_TOKEN_MAX + 2);
    big[GM_QUERY_TOKEN_MAX + 2] = '\0';
    bad_token(f, q, big, "malformed");
    free(big);
    free(good);
}

/* ---- errors ---- */

static void test_semantic_errors(void **state)
{
    fixture *f = *state;
    sem_error(f, "SELECT X FROM DIGITALTWINS T", "X", "unknown collection 'X'");
    sem_error(f, "SELECT T.name FROM DIGITALTWINS T WHERE name = 'x'", "name =", "unknown collection 'name'");
    sem_error(f, "SELECT T.name FROM DIGITALTWINS T WHERE IS_DEFINED(U.x)", "U.x", "unknown collection 'U'");
    sem_error(f, "SELECT F FROM DIGITALTWINS B JOIN F RELATED X.contains", "JOIN", "'X' is not a twin collection");
    sem_error(f, "SELECT F FROM DIGITALTWINS JOIN F RELATED F.contains", "JOIN", "is not a twin collection");
    sem_error(f, "SELECT G FROM DIGITALTWINS B JOIN F RELATED B.contains R JOIN G RELATED R.x", "JOIN G",
              "'R' is not a twin collection");
    sem_error(f, "SELECT T FROM DIGITALTWINS T JOIN T RELATED T.contains", "JOIN", "alias 'T' is declared twice");
    sem_error(f, "SELECT T FROM DIGITALTWINS T JOIN F RELATED T.contains F", "JOIN", "alias 'F' is declared twice");
    sem_error(f, "SELECT T.name, U.name FROM DIGITALTWINS T JOIN U RELATED T.contains", "U.name",
              "column 'name' appears twice");
    sem_error(f, "SELECT T.name, T.x AS name FROM DIGITALTWINS T", "T.x", "column 'name' appears twice");
    sem_error(f, "SELECT U FROM DIGITALTWINS T JOIN U RELATED T.contains WHERE IS_OF_MODEL('dtmi:t:Room;1')",
              "IS_OF_MODEL", "needs a collection");
    sem_error(f, "SELECT U FROM DIGITALTWINS T JOIN U RELATED T.contains R WHERE IS_OF_MODEL(R, 'dtmi:t:Room;1')",
              "IS_OF_MODEL", "'R' is a relationship");
    sem_error(f, "SELECT U FROM DIGITALTWINS T JOIN U RELATED T.contains WHERE IS_OF_MODEL(Q, 'dtmi:t:Room;1')",
              "IS_OF_MODEL", "unknown collection 'Q'");
    sem_error(f, "SELECT * FROM RELATIONSHIPS WHERE IS_OF_MODEL('dtmi:t:Room;1')", "IS_OF_MODEL",
              "FROM RELATIONSHIPS");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[]->(b) WHERE IS_OF_MODEL(a, 'dtmi:t:Room;1')", "MATCH",
              "MATCH needs a $dtId condition");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[]->(b)", "MATCH", "MATCH needs a $dtId condition");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[]->(b) WHERE a.$dtId = 'x' OR b.$dtId = 'y'", "MATCH",
              "MATCH needs a $dtId condition");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[r*2]->(b) WHERE a.$dtId = 'x'", "-[r",
              "relationship alias 'r' on a condition of more than one hop");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[]->(a) WHERE a.$dtId = 'x'", "(a) W",
              "alias 'a' is declared twice");
    sem_error(f, "SELECT b FROM DIGITALTWINS MATCH (a)-[b]->(b) WHERE a.$dtId = 'x'", "(b) W",
              "alias 'b' is declared twice");
    sem_error(f, "SELECT c FROM DIGITALTWINS MATCH (a)-[]->(b) WHERE a.$dtId = 'x'", "c FROM",
              "unknown collection 'c'");
    /* the error is on the line and column of the construct */
    gm_err e;
    assert_int_equal(run_err(f, "SELECT T\nFROM DIGITALTWINS T\nWHERE\n   Q.x = 1", NULL, &e), GM_EINVAL);
    assert_string_equal(e.where, "query:4:4");
}

static void test_other_errors(void **state)
{
    fixture *f = *state;
    gm_err e;
    /* syntax errors come from the parser, with their position */
    assert_int_equal(run_err(f, "SELECT FROM", NULL, &e), GM_EPARSE);
    assert_string_equal(e.where, "query:1:8");
    assert_int_equal(run_err(f, "SELECT COUNT(), T FROM DIGITALTWINS T", NULL, &e), GM_EPARSE);
    /* arguments */
    gm_query_page pg;
    assert_int_equal(gm_query_run(NULL, f->models, "SELECT *", 8, NULL, 0, &pg, &e), GM_EINVAL);
    assert_null(pg.value);
    assert_int_equal(gm_query_run(f->g, NULL, "SELECT *", 8, NULL, 0, &pg, &e), GM_EINVAL);
    assert_int_equal(gm_query_run(f->g, f->models, "SELECT *", 8, NULL, 0, NULL, &e), GM_EINVAL);
    assert_int_equal(gm_query_run(f->g, f->models, NULL, 8, NULL, 0, &pg, NULL), GM_EINVAL);
    /* the visit limit stops a MATCH that would wander */
    gm_query_exec_opts opts = {3};
    const char *q = "SELECT COUNT() FROM DIGITALTWINS MATCH (a)-[*]-(x) WHERE a.$dtId = 'site'";
    assert_int_equal(gm_query_run_ex(f->g, f->models, q, strlen(q), NULL, 0, &opts, &pg, &e), GM_ELIMIT);
    assert_null(pg.value);
    assert_non_null(strstr(e.what, "more than 3 relationships"));
    opts.max_visits = 1000;
    assert_int_equal(gm_query_run_ex(f->g, f->models, q, strlen(q), NULL, 0, &opts, &pg, &e), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pg.value, 0), "COUNT")), 10);
    gm_query_page_free(&pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_select_star, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_top, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_relationships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_nin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_of_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_follow_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_over_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_semantic_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
