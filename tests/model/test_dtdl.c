/*
 * test_dtdl.c: the validator beyond the conformance suite: the v3
 * extensions (which the suite never exercises), where problems are
 * reported, and the limits.
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

#include "model/dtdl.h"
#include "model/units.h"

/* Validate one JSON text; returns the report's problem count (0: valid),
   and fails the test when a problem was expected but none contains
   needle. */
static size_t check(const char *text, bool allow, const char *needle, const char *where)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON at %d:%d: %s", je.line, je.column, je.text);
    gm_dtdl_doc doc = {"m.json", j};
    gm_dtdl_opts o = {allow};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_dtdl_validate(&doc, 1, &o, &rep);
    size_t n = rep.nproblems + rep.nunresolved;
    bool found = needle == NULL;
    for (size_t i = 0; i < rep.nproblems; i++) {
        const gm_dtdl_problem *p = &rep.problems[i];
        if (needle && strstr(p->what, needle) && (!where || strcmp(p->where, where) == 0))
            found = true;
        if (needle && !found)
            print_message("  problem: %s: %s: %s\n", p->file, p->where, p->what);
        assert_string_equal(p->file, "m.json");
    }
    assert_int_equal(rc, n ? GM_EINVAL : 0);
    if (needle && !found)
        fail_msg("no problem containing '%s' at '%s'", needle, where ? where : "*");
    gm_dtdl_report_free(&rep);
    json_decref(j);
    return n;
}

#define VALID(text) assert_int_equal(check((text), false, NULL, NULL), 0)
#define INVALID(text, needle, where) assert_true(check((text), false, (needle), (where)) > 0)

#define QT "[\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"]"

static void test_semantic_types(void **state)
{
    (void)state;
    VALID("{\"@context\": " QT ", \"@id\": \"dtmi:ex:Oven;1\", \"@type\": \"Interface\","
          " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"t\","
          " \"schema\": \"double\", \"unit\": \"degreeCelsius\"},"
          " {\"@type\": [\"Property\", \"dtmi:dtdl:extension:quantitativeTypes:v1:class:Pressure\"],"
          " \"name\": \"p\", \"schema\": \"integer\","
          " \"dtmi:dtdl:extension:quantitativeTypes:v1:property:unit\": \"millibar\"}]}");
    /* a unit of another unit type */
    INVALID("{\"@context\": " QT ", \"@id\": \"dtmi:ex:Oven;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"t\","
            " \"schema\": \"double\", \"unit\": \"metre\"}]}",
            "'metre' is not a unit of Temperature (TemperatureUnit: degreeCelsius, "
            "degreeFahrenheit, kelvin)",
            "contents[0].unit");
    /* the unit is required, the schema numeric */
    INVALID("{\"@context\": " QT ", \"@id\": \"dtmi:ex:Oven;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"t\","
            " \"schema\": \"double\"}]}",
            "needs 'unit'", "contents[0]");
    INVALID("{\"@context\": " QT ", \"@id\": \"dtmi:ex:Oven;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"t\","
            " \"schema\": \"string\", \"unit\": \"kelvin\"}]}",
            "numeric schema", "contents[0]");
    /* semantic types apply to six classes, Command not among them */
    INVALID("{\"@context\": " QT ", \"@id\": \"dtmi:ex:Oven;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Command\", \"Temperature\"], \"name\": \"c\"}]}",
            "does not apply to a Command", "contents[0].@type");
    /* without the extension's context the term is undefined */
    INVALID("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:Oven;1\","
            " \"@type\": \"Interface\", \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"],"
            " \"name\": \"t\", \"schema\": \"double\", \"unit\": \"kelvin\"}]}",
            "co-type 'Temperature' is not defined", NULL);
    /* a nested context enables it for its subtree only */
    VALID("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:Oven;1\","
          " \"@type\": \"Interface\", \"contents\": [{\"@context\": "
          "\"dtmi:dtdl:extension:quantitativeTypes;1\", \"@type\": [\"Telemetry\", \"Mass\"],"
          " \"name\": \"m\", \"schema\": \"float\", \"unit\": \"kilogram\"}]}");
    /* DTDL v2: semantic types are in the base context, their units from
       v2's own table (tests/model/test_units.c) */
    VALID("{\"@context\": \"dtmi:dtdl:context;2\", \"@id\": \"dtmi:ex:Oven;1\","
          " \"@type\": \"Interface\", \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"],"
          " \"name\": \"t\", \"schema\": \"double\", \"unit\": \"degreeCelsius\"}]}");
}

static void test_units_table(void **state)
{
    (void)state;
    int st = gm_units_semantic_type("Humidity", 3);
    assert_true(st >= 0);
    assert_string_equal(gm_units_unit_type(st), "DensityUnit");
    assert_string_equal(gm_units_unit_of(st, "gramPerCubicMetre", 3), "gramPerCubicMetre");
    assert_string_equal(
        gm_units_unit_of(st, "dtmi:dtdl:extension:quantitativeTypes:v1:unit:gramPerCubicMetre", 3),
        "gramPerCubicMetre");
    assert_null(gm_units_unit_of(st, "percent", 3));
    assert_int_equal(gm_units_semantic_type("NotAType", 3), -1);
    assert_int_equal(gm_units_semantic_type("dtmi:dtdl:extension:quantitativeTypes:v1:class:Torque", 3),
                     gm_units_semantic_type("Torque", 3));
    char buf[16];
    gm_units_list(gm_units_semantic_type("Temperature", 3), 3, buf, sizeof buf);
    assert_int_equal(strlen(buf), sizeof buf - 1); /* truncated, terminated */
    /* 52 semantic types */
    int n = 0;
    while (gm_units_semantic_name(n))
        n++;
    assert_int_equal(n, 52);
}

#define CTX(ext) "[\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:" ext ";1\"]"

static void test_other_extensions(void **state)
{
    (void)state;
    VALID("{\"@context\": " CTX("historization") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
          " \"contents\": [{\"@type\": [\"Property\", \"Historized\"], \"name\": \"p\", \"schema\": \"double\"}]}");
    INVALID("{\"@context\": " CTX("historization") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Command\", \"Historized\"], \"name\": \"c\"}]}",
            "'Historized' does not apply to a Command", NULL);
    /* annotation: annotates names a sibling */
    VALID("{\"@context\": " CTX("annotation") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
          " \"contents\": [{\"@type\": \"Telemetry\", \"name\": \"temp\", \"schema\": \"double\"},"
          " {\"@type\": [\"Telemetry\", \"ValueAnnotation\"], \"name\": \"q\", \"schema\": \"string\","
          " \"annotates\": \"temp\"}]}");
    INVALID("{\"@context\": " CTX("annotation") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"ValueAnnotation\"], \"name\": \"q\","
            " \"schema\": \"string\", \"annotates\": \"nothing\"}]}",
            "'annotates' names 'nothing'", "contents[0]");
    /* overriding: the annotated element must have the member, overridden once */
#define OV "[\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"," \
           " \"dtmi:dtdl:extension:annotation;1\", \"dtmi:dtdl:extension:overriding;1\"]"
#define OVERRIDE(name) "{\"@type\": [\"Property\", \"ValueAnnotation\", \"Override\"]," \
    " \"name\": \"" name "\", \"schema\": \"TemperatureUnit\", \"annotates\": \"temp\","      \
    " \"overrides\": \"unit\"}"
    VALID("{\"@context\": " OV ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
          " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"temp\","
          " \"schema\": \"double\", \"unit\": \"kelvin\"}, " OVERRIDE("tempUnit") "]}");
    INVALID("{\"@context\": " OV ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"temp\","
            " \"schema\": \"double\", \"unit\": \"kelvin\"}, " OVERRIDE("u1") ", " OVERRIDE("u2") "]}",
            "'unit' of 'temp' is overridden twice", "contents[2]");
    INVALID("{\"@context\": " OV ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": \"Telemetry\", \"name\": \"temp\","
            " \"schema\": \"double\"}, " OVERRIDE("u1") "]}",
            "'overrides' names 'unit', which 'temp' does not have", "contents[1]");
    /* mqtt: payloadFormat required; Cacheable needs Idempotent and a duration ttl */
    VALID("{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": [\"Interface\", \"Mqtt\"],"
          " \"payloadFormat\": \"Avro/1.11.0\", \"telemetryTopic\": \"sample/{senderId}/telemetry\","
          " \"contents\": [{\"@type\": [\"Command\", \"Idempotent\", \"Cacheable\"], \"name\": \"get\","
          " \"ttl\": \"PT15S\"}, {\"@type\": [\"Telemetry\", \"Indexed\"], \"name\": \"a\","
          " \"schema\": \"double\", \"index\": 1}, {\"@type\": [\"Telemetry\", \"Indexed\"],"
          " \"name\": \"b\", \"schema\": \"double\", \"index\": 2}]}");
    INVALID("{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": [\"Interface\", \"Mqtt\"]}",
            "needs 'payloadFormat'", "");
    INVALID("{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Command\", \"Cacheable\"], \"name\": \"get\", \"ttl\": \"PT15S\"}]}",
            "must also be Idempotent", "contents[0]");
    INVALID("{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": [\"Telemetry\", \"Indexed\"], \"name\": \"a\","
            " \"schema\": \"double\", \"index\": 1}, {\"@type\": [\"Telemetry\", \"Indexed\"],"
            " \"name\": \"b\", \"schema\": \"double\", \"index\": 1}]}",
            "index 1 is used twice", "contents[1]");
    /* topic patterns */
    const char *topics[][2] = {{"sample/{senderId}/telemetry", "ok"}, {"a/{ex:name}/b", "ok"},
                               {"$SYS/x", NULL}, {"a/#", NULL}, {"a//b", NULL}, {"a/", NULL},
                               {"a/{bad1}", NULL}, {"a/+/b", NULL}, {"", NULL}, {"x$/y$", "ok"}};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        char m[512];
        snprintf(m, sizeof m, "{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\","
                 " \"@type\": [\"Interface\", \"Mqtt\"], \"payloadFormat\": \"json\","
                 " \"commandTopic\": \"%s\"}", topics[i][0]);
        if (topics[i][1])
            VALID(m);
        else
            INVALID(m, "is not an MQTT topic pattern", "commandTopic");
    }
    /* an extension property without its co-type is not a member */
    INVALID("{\"@context\": " CTX("mqtt") ", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"payloadFormat\": \"json\"}",
            "'payloadFormat' is not a member of Interface", "payloadFormat");
}

static void test_where_and_graph_rules(void **state)
{
    (void)state;
    /* names unique across extends, reported where the second one is */
    INVALID("[{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:B;1\", \"@type\": \"Interface\","
            " \"extends\": \"dtmi:ex:A;1\", \"contents\": [{\"@type\": \"Property\", \"name\": \"x\","
            " \"schema\": \"double\"}]}, {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\","
            " \"@type\": \"Interface\", \"contents\": [{\"@type\": \"Telemetry\", \"name\": \"x\","
            " \"schema\": \"double\"}]}]",
            "name 'x' is used twice among the contents (inherited included)", "[1].contents[0]");
    /* extends cycle through two interfaces */
    INVALID("[{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:B;1\", \"@type\": \"Interface\","
            " \"extends\": \"dtmi:ex:A;1\"}, {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\","
            " \"@type\": \"Interface\", \"extends\": \"dtmi:ex:B;1\"}]",
            "a cycle", NULL);
    /* enum values typed by valueSchema */
    INVALID("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": \"Property\", \"name\": \"mode\", \"schema\": {\"@type\": \"Enum\","
            " \"valueSchema\": \"integer\", \"enumValues\": [{\"name\": \"on\", \"enumValue\": \"1\"}]}}]}",
            "expected a integer (32-bit), found string", "contents[0].schema.enumValues[0].enumValue");
    /* a Component's interface holds no Component */
    INVALID("[{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": \"Component\", \"name\": \"b\", \"schema\": \"dtmi:ex:B;1\"}]},"
            " {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:B;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": \"Component\", \"name\": \"c\", \"schema\": \"dtmi:ex:C;1\"}]},"
            " {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:C;1\", \"@type\": \"Interface\"}]",
            "must not contain a Component ('c')", "[0].contents[0]");
    /* complex schemas nest at most 5 deep */
    INVALID("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"contents\": [{\"@type\": \"Property\", \"name\": \"p\", \"schema\":"
            " {\"@type\": \"Array\", \"elementSchema\": {\"@type\": \"Array\", \"elementSchema\":"
            " {\"@type\": \"Array\", \"elementSchema\": {\"@type\": \"Array\", \"elementSchema\":"
            " {\"@type\": \"Array\", \"elementSchema\": {\"@type\": \"Array\", \"elementSchema\": \"double\"}}}}}}}]}",
            "nest deeper than 5", "contents[0].schema");
    /* unresolved references are listed */
    INVALID("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:A;1\", \"@type\": \"Interface\","
            " \"extends\": \"dtmi:ex:Missing;1\"}",
            "'dtmi:ex:Missing;1' is defined nowhere in the set", "extends");
}

static void test_limits(void **state)
{
    (void)state;
    /* element nesting beyond GM_DTDL_MAX_DEPTH is refused, not recursed */
    size_t depth = GM_DTDL_MAX_DEPTH + 10;
    size_t cap = depth * 80 + 512;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap, "{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": "
                                          "\"dtmi:ex:A;1\", \"@type\": \"Interface\", \"contents\": "
                                          "[{\"@type\": \"Property\", \"name\": \"p\", \"schema\": ");
    for (size_t i = 0; i < depth; i++)
        len += (size_t)snprintf(s + len, cap - len, "{\"@type\": \"Array\", \"elementSchema\": ");
    len += (size_t)snprintf(s + len, cap - len, "\"double\"");
    for (size_t i = 0; i < depth; i++)
        s[len++] = '}';
    snprintf(s + len, cap - len, "}]}");
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    assert_non_null(j);
    gm_dtdl_doc doc = {"deep.json", j};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    assert_int_equal(gm_dtdl_validate(&doc, 1, NULL, &rep), GM_EINVAL);
    bool found = false;
    for (size_t i = 0; i < rep.nproblems; i++)
        found |= strstr(rep.problems[i].what, "nested deeper than") != NULL;
    assert_true(found);
    gm_dtdl_report_free(&rep);
    json_decref(j);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semantic_types),
        cmocka_unit_test(test_units_table),
        cmocka_unit_test(test_other_extensions),
        cmocka_unit_test(test_where_and_graph_rules),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
