/*
 * test_units.c: units in models and in instances. The examples of
 * DTDL.quantitativeTypes.v1.md and DTDL.overriding.v1.md, line for line,
 * must validate, and an instance of the overriding examples must hold a
 * unit of the overridden element's unit type (TemperatureUnit); then the
 * rules around them (an Override's schema, unit types as schemas where the
 * quantitativeTypes context is in force), and DTDL v2's own semantic types
 * and units (DTDL.v2.md "Semantic Type").
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
#include "model/registry.h"
#include "model/units.h"

#include "text.h"

/* ---- the specifications' examples, as written there ------------------------ */

/* DTDL.quantitativeTypes.v1.md, "Semantic type and unit examples", first */
static const char qt_example1[] =
    "{\n"
    "  \"@context\": [\n"
    "    \"dtmi:dtdl:context;3\",\n"
    "    \"dtmi:dtdl:extension:quantitativeTypes;1\"\n"
    "  ],\n"
    "  \"@id\": \"dtmi:com:example:Sensor;1\",\n"
    "  \"@type\": \"Interface\",\n"
    "  \"contents\": [\n"
    "    {\n"
    "      \"@type\": [ \"Telemetry\", \"Temperature\" ],\n"
    "      \"name\": \"thermometer\",\n"
    "      \"schema\": \"double\",\n"
    "      \"unit\": \"degreeCelsius\"\n"
    "    },\n"
    "    {\n"
    "      \"@type\": [ \"Telemetry\", \"Pressure\" ],\n"
    "      \"name\": \"barometer\",\n"
    "      \"schema\": \"double\",\n"
    "      \"unit\": \"millibar\"\n"
    "    },\n"
    "    {\n"
    "      \"@type\": [ \"Telemetry\", \"RelativeHumidity\" ],\n"
    "      \"name\": \"humidityMeter\",\n"
    "      \"schema\": \"integer\",\n"
    "      \"unit\": \"percent\"\n"
    "    },\n"
    "    {\n"
    "      \"@type\": [ \"Telemetry\", \"Velocity\" ],\n"
    "      \"name\": \"anemometer\",\n"
    "      \"schema\": \"double\",\n"
    "      \"unit\": \"metrePerSecond\"\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* the same page, second example: one Telemetry, an Object of four Fields */
static const char qt_example2[] =
    "{\n"
    "  \"@context\": [\n"
    "    \"dtmi:dtdl:context;3\",\n"
    "    \"dtmi:dtdl:extension:quantitativeTypes;1\"\n"
    "  ],\n"
    "  \"@id\": \"dtmi:com:example:Sensor;1\",\n"
    "  \"@type\": \"Interface\",\n"
    "  \"contents\": [\n"
    "    {\n"
    "      \"@type\": \"Telemetry\",\n"
    "      \"name\": \"multimeter\",\n"
    "      \"schema\": {\n"
    "        \"@type\": \"Object\",\n"
    "        \"fields\": [\n"
    "          {\n"
    "            \"@type\": [ \"Field\", \"Temperature\" ],\n"
    "            \"name\": \"thermometer\",\n"
    "            \"schema\": \"double\",\n"
    "            \"unit\": \"degreeCelsius\"\n"
    "          },\n"
    "          {\n"
    "            \"@type\": [ \"Field\", \"Pressure\" ],\n"
    "            \"name\": \"barometer\",\n"
    "            \"schema\": \"double\",\n"
    "            \"unit\": \"millibar\"\n"
    "          },\n"
    "          {\n"
    "            \"@type\": [ \"Field\", \"RelativeHumidity\" ],\n"
    "            \"name\": \"humidityMeter\",\n"
    "            \"schema\": \"integer\",\n"
    "            \"unit\": \"percent\"\n"
    "          },\n"
    "          {\n"
    "            \"@type\": [ \"Field\", \"Velocity\" ],\n"
    "            \"name\": \"anemometer\",\n"
    "            \"schema\": \"double\",\n"
    "            \"unit\": \"metrePerSecond\"\n"
    "          }\n"
    "        ]\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* DTDL.overriding.v1.md, "Override examples", first */
static const char ov_example1[] =
    "{\n"
    "  \"@context\": [\n"
    "    \"dtmi:dtdl:context;3\",\n"
    "    \"dtmi:dtdl:extension:quantitativeTypes;1\",\n"
    "    \"dtmi:dtdl:extension:annotation;1\",\n"
    "    \"dtmi:dtdl:extension:overriding;1\"\n"
    "  ],\n"
    "  \"@id\": \"dtmi:com:example:Sensor;1\",\n"
    "  \"@type\": \"Interface\",\n"
    "  \"contents\": [\n"
    "    {\n"
    "      \"@type\": [ \"Telemetry\", \"Temperature\" ],\n"
    "      \"name\": \"currentTemp\",\n"
    "      \"schema\": \"double\",\n"
    "      \"unit\": \"degreeFahrenheit\"\n"
    "    },\n"
    "    {\n"
    "      \"@type\": [ \"Property\", \"ValueAnnotation\", \"Override\" ],\n"
    "      \"name\": \"currentTempUnit\",\n"
    "      \"annotates\": \"currentTemp\",\n"
    "      \"overrides\": \"unit\",\n"
    "      \"schema\": \"TemperatureUnit\",\n"
    "      \"writable\": true\n"
    "      }\n"
    "  ]\n"
    "}\n";

/* the same page, second example: the overridden element is inherited */
static const char ov_example2[] =
    "[\n"
    "  {\n"
    "    \"@context\": [\n"
    "      \"dtmi:dtdl:context;3\",\n"
    "      \"dtmi:dtdl:extension:quantitativeTypes;1\",\n"
    "      \"dtmi:dtdl:extension:overriding;1\"\n"
    "    ],\n"
    "    \"@id\": \"dtmi:com:example:BaseSensor;1\",\n"
    "    \"@type\": \"Interface\",\n"
    "    \"contents\": [\n"
    "      {\n"
    "        \"@type\": [ \"Telemetry\", \"Temperature\" ],\n"
    "        \"name\": \"currentTemp\",\n"
    "        \"schema\": \"double\",\n"
    "        \"unit\": \"degreeFahrenheit\"\n"
    "      }\n"
    "    ]\n"
    "  },\n"
    "  {\n"
    "    \"@context\": [\n"
    "      \"dtmi:dtdl:context;3\",\n"
    "      \"dtmi:dtdl:extension:quantitativeTypes;1\",\n"
    "      \"dtmi:dtdl:extension:annotation;1\",\n"
    "      \"dtmi:dtdl:extension:overriding;1\"\n"
    "    ],\n"
    "    \"@id\": \"dtmi:com:example:Sensor;1\",\n"
    "    \"@type\": \"Interface\",\n"
    "    \"extends\": \"dtmi:com:example:BaseSensor;1\",\n"
    "    \"contents\": [\n"
    "      {\n"
    "        \"@type\": [ \"Property\", \"ValueAnnotation\", \"Override\" ],\n"
    "        \"name\": \"currentTempUnit\",\n"
    "        \"annotates\": \"currentTemp\",\n"
    "        \"overrides\": \"unit\",\n"
    "        \"schema\": \"TemperatureUnit\",\n"
    "        \"writable\": true\n"
    "      }\n"
    "    ]\n"
    "  }\n"
    "]\n";

/* the instance the page shows for both */
static const char ov_instance[] =
    "{\n"
    "  \"currentTempUnit\": \"degreeCelsius\"\n"
    "}\n";

/* ---- helpers ------------------------------------------------------------------ */

/* Validate one document (an element or an array of them). With want NULL
   the set must be valid; otherwise some problem at where must contain
   want. */
static void validate(const char *text, const char *want, const char *where)
{
    json_t *j = J(text);
    gm_dtdl_doc doc = {"m.json", j};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_dtdl_validate(&doc, 1, NULL, &rep);
    bool found = false;
    for (size_t i = 0; i < rep.nproblems; i++) {
        const gm_dtdl_problem *p = &rep.problems[i];
        if (want && strstr(p->what, want) && (!where || strcmp(p->where, where) == 0))
            found = true;
        else
            print_message("  problem: %s: %s\n", p->where, p->what);
    }
    if (!want)
        assert_int_equal(rc, 0);
    else if (!found)
        fail_msg("no problem containing '%s' at '%s'", want, where ? where : "*");
    else
        assert_int_equal(rc, GM_EINVAL);
    gm_dtdl_report_free(&rep);
    json_decref(j);
}

/* A registry holding text; fails the test unless it is valid. */
static gm_model_registry *registry_of(const char *text)
{
    gm_model_registry *r = gm_model_registry_create(NULL);
    assert_non_null(r);
    assert_int_equal(registry_add_text(r, "m.json", text), 0);
    return r;
}

/* Check property name of iface against the value text; returns the status
   and leaves the error in *e. */
static int check_prop(const gm_model_iface *iface, const char *name, const char *value, gm_err *e)
{
    json_t *v = J(value);
    gm_err_clear(e);
    int rc = gm_model_check_property(iface, name, v, name, e);
    json_decref(v);
    return rc;
}

#define QT_OV                                                                                      \
    "[\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\","                       \
    " \"dtmi:dtdl:extension:annotation;1\", \"dtmi:dtdl:extension:overriding;1\"]"

/* An interface with a Temperature telemetry "temp" and one more content. */
static void with_temp(char *buf, size_t n, const char *context, const char *content)
{
    snprintf(buf, n,
             "{\"@context\": %s, \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\","
             " \"contents\": [{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"temp\","
             " \"schema\": \"double\", \"unit\": \"kelvin\"}, %s]}",
             context, content);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_quantitative_types_examples(void **state)
{
    (void)state;
    validate(qt_example1, NULL, NULL);
    validate(qt_example2, NULL, NULL);
    gm_model_registry *r = registry_of(qt_example1);
    const gm_model_iface *s = gm_model_registry_get(r, "dtmi:com:example:Sensor;1");
    assert_non_null(s);
    static const char *const want[][3] = {{"thermometer", "Temperature", "degreeCelsius"},
                                          {"barometer", "Pressure", "millibar"},
                                          {"humidityMeter", "RelativeHumidity", "percent"},
                                          {"anemometer", "Velocity", "metrePerSecond"}};
    for (size_t i = 0; i < 4; i++) {
        const gm_model_content *c = gm_model_iface_find(s, want[i][0]);
        assert_non_null(c);
        assert_string_equal(c->semantic_type, want[i][1]);
        assert_string_equal(c->unit, want[i][2]);
    }
    gm_model_registry_destroy(r);
    /* a semantic type needs a numeric schema on a Field too */
    char bad[sizeof qt_example2];
    memcpy(bad, qt_example2, sizeof bad);
    char *at = strstr(bad, "\"schema\": \"integer\"");
    assert_non_null(at);
    memcpy(at, "\"schema\": \"string\" ", strlen("\"schema\": \"integer\""));
    validate(bad, "a Field with a semantic type needs a numeric schema",
             "contents[0].schema.fields[2]");
}

static void test_overriding_examples(void **state)
{
    (void)state;
    validate(ov_example1, NULL, NULL);
    validate(ov_example2, NULL, NULL);
    const char *examples[] = {ov_example1, ov_example2};
    for (size_t x = 0; x < 2; x++) {
        gm_model_registry *r = registry_of(examples[x]);
        const gm_model_iface *s = gm_model_registry_get(r, "dtmi:com:example:Sensor;1");
        assert_non_null(s);
        const gm_model_content *u = gm_model_iface_find(s, "currentTempUnit");
        assert_non_null(u);
        assert_non_null(u->schema);
        assert_int_equal(u->schema->kind, GM_SCHEMA_ENUM);
        assert_true(u->schema->enum_strings);
        assert_string_equal(u->schema->unit_type, "TemperatureUnit");
        assert_string_equal(u->schema->id,
                            "dtmi:dtdl:extension:quantitativeTypes:v1:enum:TemperatureUnit");
        assert_int_equal(u->schema->n, 3);
        /* the page's instance, member by member */
        json_t *inst = J(ov_instance);
        const char *k;
        json_t *v;
        gm_err e;
        json_object_foreach(inst, k, v) {
            gm_err_clear(&e);
            assert_int_equal(gm_model_check_property(s, k, v, k, &e), 0);
        }
        json_decref(inst);
        /* every unit of the row for Temperature, and nothing else */
        static const char *const units[] = {"\"degreeCelsius\"", "\"degreeFahrenheit\"",
                                            "\"kelvin\""};
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(check_prop(s, "currentTempUnit", units[i], &e), 0);
        assert_int_equal(check_prop(s, "currentTempUnit", "\"metre\"", &e), GM_EINVAL);
        assert_string_equal(e.where, "currentTempUnit");
        assert_string_equal(e.what, "'metre' is not a unit of TemperatureUnit (expected one of: "
                                    "degreeCelsius, degreeFahrenheit, kelvin)");
        assert_int_equal(check_prop(s, "currentTempUnit", "\"dtmi:dtdl:extension:quantitativeTypes"
                                                          ":v1:unit:kelvin\"", &e), GM_EINVAL);
        assert_int_equal(check_prop(s, "currentTempUnit", "\"Kelvin\"", &e), GM_EINVAL);
        assert_int_equal(check_prop(s, "currentTempUnit", "273.15", &e), GM_EINVAL);
        assert_string_equal(e.what, "expected a unit of TemperatureUnit (a string, one of: "
                                    "degreeCelsius, degreeFahrenheit, kelvin), found 273.15");
        gm_model_registry_destroy(r);
    }
}

static void test_override_schema(void **state)
{
    (void)state;
    char m[2048];
#define OVERRIDE(schema)                                                                           \
    "{\"@type\": [\"Property\", \"ValueAnnotation\", \"Override\"], \"name\": \"tempUnit\","      \
    " \"annotates\": \"temp\", \"overrides\": \"unit\", \"schema\": " schema "}"
    /* the unit type by its DTMI */
    with_temp(m, sizeof m, QT_OV,
              OVERRIDE("\"dtmi:dtdl:extension:quantitativeTypes:v1:enum:TemperatureUnit\""));
    validate(m, NULL, NULL);
    /* another unit type, or no unit type, is not a unit of Temperature */
    with_temp(m, sizeof m, QT_OV, OVERRIDE("\"PressureUnit\""));
    validate(m, "'tempUnit' overrides the unit of 'temp' (Temperature), so its schema must be the "
                "unit type TemperatureUnit", "contents[1].schema");
    with_temp(m, sizeof m, QT_OV, OVERRIDE("\"string\""));
    validate(m, "so its schema must be the unit type TemperatureUnit", "contents[1].schema");
    /* Humidity's units are DensityUnit, EnergyRate's PowerUnit (EnergyRateUnit is its alias) */
    validate("{\"@context\": " QT_OV ", \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\","
             " \"contents\": [{\"@type\": [\"Property\", \"Humidity\"], \"name\": \"h\","
             " \"schema\": \"double\", \"unit\": \"gramPerCubicMetre\"},"
             " {\"@type\": [\"Property\", \"EnergyRate\"], \"name\": \"e\", \"schema\": \"double\","
             " \"unit\": \"kilowatt\"},"
             " {\"@type\": [\"Property\", \"ValueAnnotation\", \"Override\"], \"name\": \"hu\","
             " \"annotates\": \"h\", \"overrides\": \"unit\", \"schema\": \"DensityUnit\"},"
             " {\"@type\": [\"Property\", \"ValueAnnotation\", \"Override\"], \"name\": \"eu\","
             " \"annotates\": \"e\", \"overrides\": \"unit\", \"schema\": \"EnergyRateUnit\"}]}",
             NULL, NULL);
    /* the name an Override annotates must exist (the building ontology's typo) */
    with_temp(m, sizeof m, QT_OV,
              "{\"@type\": [\"Property\", \"ValueAnnotation\", \"Override\"], \"name\": \"tU\","
              " \"annotates\": \"tmep\", \"overrides\": \"unit\", \"schema\": \"TemperatureUnit\"}");
    validate(m, "'annotates' names 'tmep', which is no Property or Telemetry of the interface",
             "contents[1]");
}

static void test_unit_types_as_schemas(void **state)
{
    (void)state;
    /* a unit type is a schema wherever the quantitativeTypes context is in force */
    validate("{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
             " \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\", \"contents\": ["
             "{\"@type\": \"Property\", \"name\": \"displayUnit\", \"schema\": \"LengthUnit\"},"
             "{\"@type\": \"Telemetry\", \"name\": \"units\", \"schema\": {\"@type\": \"Array\","
             " \"elementSchema\": \"VolumeFlowRateUnit\"}}]}",
             NULL, NULL);
    /* not without it, nor in DTDL v2 */
    validate("{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\","
             " \"contents\": [{\"@type\": \"Property\", \"name\": \"u\", \"schema\": \"LengthUnit\"}]}",
             "'LengthUnit' is a unit type of the quantitativeTypes extension, a schema only where "
             "dtmi:dtdl:extension:quantitativeTypes;1 is in force", "contents[0].schema");
    validate("{\"@context\": \"dtmi:dtdl:context;2\", \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\","
             " \"contents\": [{\"@type\": \"Property\", \"name\": \"u\", \"schema\": \"LengthUnit\"}]}",
             "'LengthUnit' is a unit type", "contents[0].schema");
    /* instances: an array of units, checked item by item with its path */
    gm_model_registry *r = registry_of(
        "{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
        " \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\", \"contents\": ["
        "{\"@type\": \"Property\", \"name\": \"flows\", \"schema\": {\"@type\": \"Array\","
        " \"elementSchema\": \"VolumeFlowRateUnit\"}}]}");
    const gm_model_iface *s = gm_model_registry_get(r, "dtmi:ex:S;1");
    gm_err e;
    assert_int_equal(check_prop(s, "flows", "[\"litrePerSecond\", \"cubicMetrePerHour\"]", &e), 0);
    assert_int_equal(check_prop(s, "flows", "[\"litrePerSecond\", \"litre\"]", &e), GM_EINVAL);
    assert_string_equal(e.where, "flows[1]");
    assert_string_equal(e.what, "'litre' is not a unit of VolumeFlowRateUnit (expected one of: "
                                "cubicFootPerMinute, cubicMetrePerHour, cubicMetrePerMinute, "
                                "cubicMetrePerSecond, gallonPerHour, gallonPerMinute, litrePerHour, "
                                "litrePerMinute, litrePerSecond, millilitrePerHour, "
                                "millilitrePerMinute, millilitrePerSecond)");
    gm_model_registry_destroy(r);
}

static void test_unit_type_table(void **state)
{
    (void)state;
    /* 43 unit types, 240 units, each unit type the Enum of its units */
    size_t types = 0, units = 0;
    const char *const *u;
    while (gm_units_unit_type_name((int)types)) {
        units += gm_units_unit_type_units((int)types, &u);
        types++;
    }
    assert_int_equal(types, 43);
    assert_int_equal(units, 240);
    int t = gm_units_unit_type_find("TemperatureUnit");
    assert_int_equal(gm_units_unit_type_find("dtmi:dtdl:extension:quantitativeTypes:v1:enum:"
                                             "TemperatureUnit"), t);
    assert_int_equal(gm_units_semantic_unit_type(gm_units_semantic_type("Temperature", 3)), t);
    assert_int_equal(gm_units_unit_type_units(t, &u), 3);
    assert_string_equal(u[2], "kelvin");
    assert_int_equal(gm_units_unit_type_find("EnergyRateUnit"), gm_units_unit_type_find("PowerUnit"));
    assert_int_equal(gm_units_unit_type_find("Temperature"), -1);
    assert_int_equal(gm_units_unit_type_find("dtmi:dtdl:extension:quantitativeTypes:v1:enum:X"), -1);
    char id[80];
    assert_int_equal(gm_units_unit_type_id(t, id, sizeof id), 0);
    assert_string_equal(id, "dtmi:dtdl:extension:quantitativeTypes:v1:enum:TemperatureUnit");
    assert_int_equal(gm_units_unit_type_id(t, id, 20), -1);
    assert_int_equal(gm_units_unit_type_units(-1, &u), 0);
    assert_null(u);
}

static void test_v2_semantic_types(void **state)
{
    (void)state;
    /* v2's table: 42 semantic types, with DTMIs of their own */
    int n2 = 0;
    for (int st = 0; gm_units_semantic_name(st); st++)
        n2 += gm_units_semantic_type(gm_units_semantic_name(st), 2) >= 0;
    assert_int_equal(n2, 42);
    int p = gm_units_semantic_type("dtmi:standard:class:Pressure;2", 2);
    assert_int_equal(p, gm_units_semantic_type("Pressure", 3));
    assert_int_equal(gm_units_semantic_type("dtmi:standard:class:Pressure;3", 2), -1);
    assert_int_equal(gm_units_semantic_type("dtmi:dtdl:extension:quantitativeTypes:v1:class:"
                                            "Pressure", 2), -1);
    assert_int_equal(gm_units_semantic_type("Irradiance", 2), -1); /* v3 only */
    assert_string_equal(gm_units_unit_of(p, "dtmi:standard:unit:millibar;2", 2), "millibar");
    assert_null(gm_units_unit_of(p, "hectopascal", 2)); /* added by quantitativeTypes */
    assert_string_equal(gm_units_unit_of(p, "hectopascal", 3), "hectopascal");
    char list[256];
    gm_units_list(p, 2, list, sizeof list);
    assert_string_equal(list, "bar, inchesOfMercury, inchesOfWater, kilopascal, millibar, "
                              "millimetresOfMercury, pascal, poundPerSquareInch");

#define V2(content)                                                                                \
    "{\"@context\": \"dtmi:dtdl:context;2\", \"@id\": \"dtmi:ex:S;1\", \"@type\": \"Interface\","  \
    " \"contents\": [" content "]}"
    validate(V2("{\"@type\": [\"Telemetry\", \"dtmi:standard:class:Pressure;2\"], \"name\": \"p\","
                " \"schema\": \"float\", \"dtmi:dtdl:property:unit;2\": \"dtmi:standard:unit:bar;2\"}"),
             NULL, NULL);
    validate(V2("{\"@type\": [\"Telemetry\", \"Pressure\"], \"name\": \"p\", \"schema\": \"float\","
                " \"unit\": \"hectopascal\"}"),
             "'hectopascal' is not a unit of Pressure (PressureUnit: bar, inchesOfMercury",
             "contents[0].unit");
    validate(V2("{\"@type\": [\"Telemetry\", \"Pressure\"], \"name\": \"p\", \"schema\": \"float\"}"),
             "its co-type needs 'unit'", "contents[0]");
    validate(V2("{\"@type\": [\"Property\", \"Pressure\"], \"name\": \"p\", \"schema\": \"string\","
                " \"unit\": \"bar\"}"),
             "a Property with a semantic type needs a numeric schema", "contents[0]");
    validate(V2("{\"@type\": [\"Property\", \"Pressure\", \"Temperature\"], \"name\": \"p\","
                " \"schema\": \"double\", \"unit\": \"bar\"}"),
             "a second semantic type 'Temperature'", "contents[0].@type");
    /* semantic types apply to Properties and Telemetry only in v2 */
    validate(V2("{\"@type\": \"Telemetry\", \"name\": \"t\", \"schema\": {\"@type\": \"Object\","
                " \"fields\": [{\"@type\": [\"Field\", \"Pressure\"], \"name\": \"p\","
                " \"schema\": \"double\", \"unit\": \"bar\"}]}}"),
             "semantic type 'Pressure' does not apply to a Field", NULL);
    /* a unit without a semantic type is no member */
    validate(V2("{\"@type\": \"Telemetry\", \"name\": \"t\", \"schema\": \"double\", \"unit\": \"bar\"}"),
             "'unit' is not a member of Telemetry", "contents[0].unit");
    /* the registry reports the unit's term */
    gm_model_registry *r = registry_of(
        V2("{\"@type\": [\"Telemetry\", \"dtmi:standard:class:Pressure;2\"], \"name\": \"p\","
           " \"schema\": \"float\", \"unit\": \"dtmi:standard:unit:bar;2\"}"));
    const gm_model_content *c =
        gm_model_iface_find(gm_model_registry_get(r, "dtmi:ex:S;1"), "p");
    assert_string_equal(c->semantic_type, "Pressure");
    assert_string_equal(c->unit, "bar");
    gm_model_registry_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantitative_types_examples),
        cmocka_unit_test(test_overriding_examples),
        cmocka_unit_test(test_override_schema),
        cmocka_unit_test(test_unit_types_as_schemas),
        cmocka_unit_test(test_unit_type_table),
        cmocka_unit_test(test_v2_semantic_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
