#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/json.h"
#include "model/schema.h"

/* ---- helpers ---- */

static json_t *parse(const char *text)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str(text, strlen(text), NULL, "test", &e);
    if (!v)
        print_message("cannot parse %s: %s: %s\n", text, e.where, e.what);
    assert_non_null(v);
    return v;
}

static int check_text(const gm_schema *s, const char *text, gm_err *e)
{
    json_t *v = parse(text);
    int rc = gm_schema_check(s, v, "$", e);
    json_decref(v);
    return rc;
}

/* text conforms to s; the error record stays clear, and NULL err agrees. */
static void ok_(const gm_schema *s, const char *text, int line)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = check_text(s, text, &e);
    if (rc != 0)
        print_message("line %d: %s should conform to %s: %s: %s\n", line, text,
                      gm_schema_kind_name(s->kind), e.where, e.what);
    assert_int_equal(rc, 0);
    assert_int_equal(e.code, GM_OK);
    assert_int_equal(check_text(s, text, NULL), 0);
}
#define ok(s, text) ok_((s), (text), __LINE__)

/* text is refused with exactly where and what (what NULL: any message). */
static void bad_(const gm_schema *s, const char *text, const char *where, const char *what,
                 int line)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = check_text(s, text, &e);
    if (rc != GM_EINVAL || strcmp(e.where, where) != 0 || (what && strcmp(e.what, what) != 0))
        print_message("line %d: %s against %s: rc %d\n  where '%s'\n  what  '%s'\n", line, text,
                      gm_schema_kind_name(s->kind), rc, e.where, e.what);
    assert_int_equal(rc, GM_EINVAL);
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(e.where, where);
    if (what)
        assert_string_equal(e.what, what);
    else
        assert_true(e.what[0] != '\0');
    /* The same verdict without an error record. */
    assert_int_equal(check_text(s, text, NULL), GM_EINVAL);
}
#define bad(s, text, where, what) bad_((s), (text), (where), (what), __LINE__)

/* As bad, for a value built in C (not expressible in JSON text). */
static void bad_value(const gm_schema *s, json_t *v, const char *what)
{
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_schema_check(s, v, "$", &e), GM_EINVAL);
    assert_string_equal(e.where, "$");
    assert_string_equal(e.what, what);
    json_decref(v);
}

static void ok_value(const gm_schema *s, json_t *v)
{
    assert_int_equal(gm_schema_check(s, v, "$", NULL), 0);
    json_decref(v);
}

static const gm_schema S_BOOLEAN = {.kind = GM_SCHEMA_BOOLEAN};
static const gm_schema S_DATE = {.kind = GM_SCHEMA_DATE};
static const gm_schema S_DATETIME = {.kind = GM_SCHEMA_DATETIME};
static const gm_schema S_DOUBLE = {.kind = GM_SCHEMA_DOUBLE};
static const gm_schema S_DURATION = {.kind = GM_SCHEMA_DURATION};
static const gm_schema S_FLOAT = {.kind = GM_SCHEMA_FLOAT};
static const gm_schema S_INTEGER = {.kind = GM_SCHEMA_INTEGER};
static const gm_schema S_LONG = {.kind = GM_SCHEMA_LONG};
static const gm_schema S_STRING = {.kind = GM_SCHEMA_STRING};
static const gm_schema S_TIME = {.kind = GM_SCHEMA_TIME};
static const gm_schema S_POINT = {.kind = GM_SCHEMA_POINT};
static const gm_schema S_MULTIPOINT = {.kind = GM_SCHEMA_MULTIPOINT};
static const gm_schema S_LINESTRING = {.kind = GM_SCHEMA_LINESTRING};
static const gm_schema S_MULTILINESTRING = {.kind = GM_SCHEMA_MULTILINESTRING};
static const gm_schema S_POLYGON = {.kind = GM_SCHEMA_POLYGON};
static const gm_schema S_MULTIPOLYGON = {.kind = GM_SCHEMA_MULTIPOLYGON};

/* ---- names ---- */

static void test_kind_names(void **state)
{
    (void)state;
    static const char *const want[GM_SCHEMA_KIND_COUNT] = {
        "boolean", "date",       "dateTime",   "double",          "duration",
        "float",   "integer",    "long",       "string",          "time",
        "point",   "multiPoint", "lineString", "multiLineString", "polygon",
        "multiPolygon", "Array", "Enum",       "Map",             "Object"};
    for (int k = 0; k < GM_SCHEMA_KIND_COUNT; k++)
        assert_string_equal(gm_schema_kind_name((gm_schema_kind)k), want[k]);
    assert_string_equal(gm_schema_kind_name(GM_SCHEMA_KIND_COUNT), "?");
    assert_string_equal(gm_schema_kind_name((gm_schema_kind)-1), "?");
    assert_string_equal(gm_schema_kind_name((gm_schema_kind)1000), "?");
}

static void test_primitive_lookup(void **state)
{
    (void)state;
    char buf[128];
    /* Every primitive term and its own kind; complex kinds are not terms. */
    for (int k = 0; k < GM_SCHEMA_KIND_COUNT; k++) {
        const char *name = gm_schema_kind_name((gm_schema_kind)k);
        assert_int_equal(gm_schema_primitive(name), k <= GM_SCHEMA_MULTIPOLYGON ? k : -1);
    }
    /* Instance-schema DTMIs: v2 and v3 for the ten, never for geospatial. */
    for (int k = GM_SCHEMA_BOOLEAN; k <= GM_SCHEMA_TIME; k++) {
        const char *name = gm_schema_kind_name((gm_schema_kind)k);
        snprintf(buf, sizeof buf, "dtmi:dtdl:instance:Schema:%s;2", name);
        assert_int_equal(gm_schema_primitive(buf), k);
        snprintf(buf, sizeof buf, "dtmi:dtdl:instance:Schema:%s;3", name);
        assert_int_equal(gm_schema_primitive(buf), k);
        snprintf(buf, sizeof buf, "dtmi:dtdl:instance:Schema:%s;4", name);
        assert_int_equal(gm_schema_primitive(buf), -1);
        snprintf(buf, sizeof buf, "dtmi:standard:schema:geospatial:%s;3", name);
        assert_int_equal(gm_schema_primitive(buf), -1);
    }
    for (int k = GM_SCHEMA_POINT; k <= GM_SCHEMA_MULTIPOLYGON; k++) {
        const char *name = gm_schema_kind_name((gm_schema_kind)k);
        snprintf(buf, sizeof buf, "dtmi:standard:schema:geospatial:%s;3", name);
        assert_int_equal(gm_schema_primitive(buf), k);
        snprintf(buf, sizeof buf, "dtmi:standard:schema:geospatial:%s;2", name);
        assert_int_equal(gm_schema_primitive(buf), -1);
        snprintf(buf, sizeof buf, "dtmi:dtdl:instance:Schema:%s;3", name);
        assert_int_equal(gm_schema_primitive(buf), -1);
    }
    assert_int_equal(gm_schema_primitive("dtmi:standard:schema:geospatial:multiPolygon;3"),
                     GM_SCHEMA_MULTIPOLYGON);
    assert_int_equal(gm_schema_primitive("dtmi:dtdl:instance:Schema:dateTime;2"),
                     GM_SCHEMA_DATETIME);
    const char *none[] = {"",
                          "Double",
                          "double ",
                          "doubles",
                          "Point",
                          "Array",
                          "dtmi:dtdl:instance:Schema:double",
                          "dtmi:dtdl:instance:Schema:double;",
                          "dtmi:dtdl:instance:Schema:double;23",
                          "dtmi:dtdl:instance:Schema:double;3 ",
                          "dtmi:dtdl:instance:Schema:;3",
                          "dtmi:dtdl:instance:Schema:Array;3",
                          "dtmi:dtdl:instance:Schema:doubl;3",
                          "dtmi:dtdl:instance:schema:double;3",
                          "dtmi:dtdl:class:double;3",
                          "dtmi:standard:schema:geospatial:point",
                          "dtmi:standard:schema:geospatial:Point;3"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        if (gm_schema_primitive(none[i]) != -1)
            print_message("'%s' should not be a primitive\n", none[i]);
        assert_int_equal(gm_schema_primitive(none[i]), -1);
    }
    assert_int_equal(gm_schema_primitive(NULL), -1);
}

/* ---- primitives ---- */

static void test_boolean_string(void **state)
{
    (void)state;
    ok(&S_BOOLEAN, "true");
    ok(&S_BOOLEAN, "false");
    bad(&S_BOOLEAN, "\"true\"", "$", "expected a boolean, found string 'true'");
    bad(&S_BOOLEAN, "1", "$", "expected a boolean, found 1");
    bad(&S_BOOLEAN, "null", "$", "expected a boolean, found null");
    ok(&S_STRING, "\"\"");
    ok(&S_STRING, "\"h\\u00e9llo\"");
    bad(&S_STRING, "42", "$", "expected a string, found 42");
    bad(&S_STRING, "[\"a\"]", "$", "expected a string, found an array");
    bad(&S_STRING, "{}", "$", "expected a string, found an object");
    /* A long string is quoted in part, cut on a character boundary. */
    bad(&S_BOOLEAN,
        "\"0123456789012345678901234567890123456789012345678901234567890123456789\"", "$",
        "expected a boolean, found string "
        "'012345678901234567890123456789012345678901234567890123456789...'");
    bad(&S_BOOLEAN,
        "\"01234567890123456789012345678901234567890123456789012345678\\u00e9xyz\"", "$",
        "expected a boolean, found string "
        "'01234567890123456789012345678901234567890123456789012345678...'");
}

static void test_integer_long(void **state)
{
    (void)state;
    ok(&S_INTEGER, "0");
    ok(&S_INTEGER, "-17");
    ok(&S_INTEGER, "2147483647");
    ok(&S_INTEGER, "-2147483648");
    bad(&S_INTEGER, "2147483648", "$",
        "expected an integer in [-2147483648, 2147483647], found 2147483648");
    bad(&S_INTEGER, "-2147483649", "$",
        "expected an integer in [-2147483648, 2147483647], found -2147483649");
    bad(&S_INTEGER, "3.5", "$", "expected an integer in [-2147483648, 2147483647], found 3.5");
    bad(&S_INTEGER, "3.0", "$", "expected an integer in [-2147483648, 2147483647], found 3.0");
    bad(&S_INTEGER, "1e2", "$", "expected an integer in [-2147483648, 2147483647], found 100.0");
    bad(&S_INTEGER, "\"3\"", "$",
        "expected an integer in [-2147483648, 2147483647], found string '3'");
    bad(&S_INTEGER, "true", "$", "expected an integer in [-2147483648, 2147483647], found true");

    ok(&S_LONG, "2147483648");
    ok(&S_LONG, "9223372036854775807");
    ok(&S_LONG, "-9223372036854775808");
    bad(&S_LONG, "3.0", "$",
        "expected a long (an integer in [-9223372036854775808, 9223372036854775807]), found "
        "3.0");
    bad(&S_LONG, "-0.25", "$",
        "expected a long (an integer in [-9223372036854775808, 9223372036854775807]), found "
        "-0.25");
    bad(&S_LONG, "null", "$",
        "expected a long (an integer in [-9223372036854775808, 9223372036854775807]), found "
        "null");
    /* Beyond int64 the JSON loader itself refuses the number. */
    gm_err e;
    assert_null(gm_json_load_str("9223372036854775808", 19, NULL, "t", &e));
    assert_int_equal(e.code, GM_ERANGE);
}

static void test_float_double(void **state)
{
    (void)state;
    ok(&S_DOUBLE, "0");
    ok(&S_DOUBLE, "-9223372036854775808");
    ok(&S_DOUBLE, "1.5e308");
    ok(&S_DOUBLE, "-4.9e-324");
    bad(&S_DOUBLE, "\"1.5\"", "$", "expected a double (a finite number), found string '1.5'");
    bad(&S_DOUBLE, "false", "$", "expected a double (a finite number), found false");

    ok(&S_FLOAT, "1");
    ok(&S_FLOAT, "9223372036854775807");
    ok(&S_FLOAT, "0.1");
    ok(&S_FLOAT, "1e-45");
    ok(&S_FLOAT, "3.4028234663852886e38"); /* FLT_MAX exactly */
    ok(&S_FLOAT, "-3.4028234663852886e38");
    ok_value(&S_FLOAT, json_real((double)FLT_MAX));
    ok_value(&S_FLOAT, json_real(-(double)FLT_MAX));
    bad_value(&S_FLOAT, json_real((double)FLT_MAX * 2),
              "expected a float (a number of magnitude at most 3.40282347e+38), found "
              "6.805646932770577e+38");
    bad(&S_FLOAT, "-1e39", "$",
        "expected a float (a number of magnitude at most 3.40282347e+38), found -1e+39");
    bad(&S_FLOAT, "[]", "$",
        "expected a float (a number of magnitude at most 3.40282347e+38), found an array");
    /* The next double above FLT_MAX is refused: the bound is exact. */
    bad(&S_FLOAT, "3.4028234663852890e38", "$", NULL);
    ok_value(&S_DOUBLE, json_real((double)FLT_MAX * 2));
}

static void test_date(void **state)
{
    (void)state;
    const char *good[] = {"\"2024-02-29\"", "\"2000-02-29\"", "\"2023-12-31\"", "\"2023-04-30\"",
                          "\"0000-02-29\"", "\"9999-12-31\"", "\"1970-01-01\"", "\"2023-01-31\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ok(&S_DATE, good[i]);
    bad(&S_DATE, "\"2023-02-29\"", "$",
        "'2023-02-29' is not a date: day 29 does not exist in February 2023");
    bad(&S_DATE, "\"1900-02-29\"", "$",
        "'1900-02-29' is not a date: day 29 does not exist in February 1900");
    bad(&S_DATE, "\"2024-02-30\"", "$",
        "'2024-02-30' is not a date: day 30 does not exist in February 2024");
    bad(&S_DATE, "\"2023-13-01\"", "$", "'2023-13-01' is not a date: month 13 out of range 1..12");
    bad(&S_DATE, "\"2023-00-10\"", "$", "'2023-00-10' is not a date: month 0 out of range 1..12");
    bad(&S_DATE, "\"2023-04-31\"", "$",
        "'2023-04-31' is not a date: day 31 does not exist in April 2023");
    bad(&S_DATE, "\"2023-01-00\"", "$", "'2023-01-00' is not a date: day 0 out of range 1..31");
    bad(&S_DATE, "\"2023-01-32\"", "$",
        "'2023-01-32' is not a date: day 32 does not exist in January 2023");
    const char *syntax = "is not a date: expected YYYY-MM-DD (RFC 3339 full-date)";
    const char *wrong[] = {"2023-1-01", "20230101", "2023-01-01T00:00:00Z", " 2023-01-01",
                           "2023-01-01 ", "2023/01/01", "", "+2023-01-01", "2023-01-0a"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char text[64], what[160];
        snprintf(text, sizeof text, "\"%s\"", wrong[i]);
        snprintf(what, sizeof what, "'%s' %s", wrong[i], syntax);
        bad(&S_DATE, text, "$", what);
    }
    bad(&S_DATE, "20240229", "$", "expected a date (a string YYYY-MM-DD), found 20240229");
}

static void test_time(void **state)
{
    (void)state;
    const char *good[] = {"\"00:00:00\"", "\"23:59:59\"", "\"13:45:00.25\"",
                          "\"13:45:00.123456789012\"", "\"07:05:09.0\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ok(&S_TIME, good[i]);
    bad(&S_TIME, "\"24:00:00\"", "$", "'24:00:00' is not a time: hour 24 out of range 0..23");
    bad(&S_TIME, "\"12:60:00\"", "$", "'12:60:00' is not a time: minute 60 out of range 0..59");
    bad(&S_TIME, "\"12:00:61\"", "$", "'12:00:61' is not a time: second 61 out of range 0..59");
    bad(&S_TIME, "\"23:59:60\"", "$",
        "'23:59:60' is not a time: second 60 is a leap second; leap seconds are not supported");
    const char *offset = "is not a time: a time carries no UTC offset (RFC 3339 partial-time); "
                         "use a dateTime for a time with an offset";
    const char *with_offset[] = {"13:45:00Z", "13:45:00+01:00", "13:45:00.5-08:00", "13:45:00z"};
    for (size_t i = 0; i < sizeof with_offset / sizeof with_offset[0]; i++) {
        char text[64], what[200];
        snprintf(text, sizeof text, "\"%s\"", with_offset[i]);
        snprintf(what, sizeof what, "'%s' %s", with_offset[i], offset);
        bad(&S_TIME, text, "$", what);
    }
    const char *syntax =
        "is not a time: expected hh:mm:ss or hh:mm:ss.fraction (RFC 3339 partial-time)";
    const char *wrong[] = {"13:45", "1:00:00", "13-45-00", "", "T13:45:00", "13:4a:00"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char text[64], what[200];
        snprintf(text, sizeof text, "\"%s\"", wrong[i]);
        snprintf(what, sizeof what, "'%s' %s", wrong[i], syntax);
        bad(&S_TIME, text, "$", what);
    }
    bad(&S_TIME, "\"13:45:00.\"", "$", "'13:45:00.' is not a time: expected a digit after '.'");
    bad(&S_TIME, "\"13:45:00 \"", "$",
        "'13:45:00 ' is not a time: unexpected characters after the time (expected "
        "hh:mm:ss[.fraction])");
    bad(&S_TIME, "134500", "$", "expected a time (a string hh:mm:ss[.fraction]), found 134500");
}

static void test_datetime(void **state)
{
    (void)state;
    const char *good[] = {"\"2024-02-29T13:45:00Z\"",
                          "\"2024-02-29T13:45:00.5+05:30\"",
                          "\"2024-02-29t13:45:00z\"",
                          "\"2024-02-29 13:45:00-00:00\"",
                          "\"1970-01-01T00:00:00.123456789123Z\"",
                          /* Well-formed, outside gemel's instant range: conforms. */
                          "\"0001-01-01T00:00:00Z\"",
                          "\"9999-12-31T23:59:59.9999999Z\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ok(&S_DATETIME, good[i]);
    bad(&S_DATETIME, "\"2024-02-29T13:45:00\"", "$",
        "'2024-02-29T13:45:00' is not a dateTime: missing time offset (expected 'Z' or +hh:mm) "
        "(at offset 19)");
    bad(&S_DATETIME, "\"2023-02-29T00:00:00Z\"", "$",
        "'2023-02-29T00:00:00Z' is not a dateTime: day 29 does not exist in February 2023 (at "
        "offset 8)");
    bad(&S_DATETIME, "\"2024-01-01T24:00:00Z\"", "$",
        "'2024-01-01T24:00:00Z' is not a dateTime: hour 24 out of range 0..23 (at offset 11)");
    bad(&S_DATETIME, "\"2016-12-31T23:59:60Z\"", "$",
        "'2016-12-31T23:59:60Z' is not a dateTime: second 60 is a leap second; leap seconds are "
        "not supported (at offset 17)");
    bad(&S_DATETIME, "\"2024-01-01\"", "$", NULL);
    bad(&S_DATETIME, "\"2024-01-01T00:00:00Zjunk\"", "$", NULL);
    bad(&S_DATETIME, "\"\"", "$", NULL);
    bad(&S_DATETIME, "1700000000", "$",
        "expected a dateTime (an RFC 3339 string such as 2024-02-29T13:45:00Z), found "
        "1700000000");
}

static void test_duration(void **state)
{
    (void)state;
    const char *good[] = {"P1Y", "P1M", "PT1M", "P2W", "P1DT2H", "PT0.5S", "P1Y2M3DT4H5M6.5S",
                          "P1Y2M1W3D", "PT1.5H", "P0.5D", "PT0S", "P0D", "PT36H", "P1YT1S",
                          "PT1H30M", "P10000Y", "PT0.000000001S"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "\"%s\"", good[i]);
        ok(&S_DURATION, text);
    }
    struct {
        const char *s, *why;
    } wrong[] = {
        {"", "expected 'P' first (ISO 8601 duration such as P1DT2H)"},
        {"P", "no component (expected at least one, as in P1D or PT0S)"},
        {"PT", "'T' must be followed by hours, minutes or seconds"},
        {"P1Y2M3DT", "'T' must be followed by hours, minutes or seconds"},
        {"PT1.5H1M", "a fraction is allowed only on the last component"},
        {"P1.5YT1H", "a fraction is allowed only on the last component"},
        {"P0.5D1W", "'W' out of order or repeated (expected the order Y, M, W, D)"},
        {"1D", "expected 'P' first (ISO 8601 duration such as P1DT2H)"},
        {"p1d", "expected 'P' first (ISO 8601 duration such as P1DT2H)"},
        {"-P1D", "expected 'P' first (ISO 8601 duration such as P1DT2H)"},
        {"P1", "a number at the end without a designator (Y, M, W or D)"},
        {"PT1", "a number at the end without a designator (H, M or S)"},
        {"PT1D", "expected a designator (H, M or S after 'T') at character 4"},
        {"P1H", "expected a designator (Y, M, W or D, or 'T') at character 3"},
        {"P1d", "expected a designator (Y, M, W or D, or 'T') at character 3"},
        {"P1M1Y", "'Y' out of order or repeated (expected the order Y, M, W, D)"},
        {"P1D1D", "'D' out of order or repeated (expected the order Y, M, W, D)"},
        {"PT1S1M", "'M' out of order or repeated (expected the order H, M, S)"},
        {"PT.5S", "expected a digit at character 3"},
        {"PT1.S", "expected a digit after '.'"},
        {"PT1,5S", "expected a designator (H, M or S after 'T') at character 4"},
        {"PTT1H", "a second 'T'"},
        {"P1DT1HT", "a second 'T'"},
        {"PY", "expected a digit at character 2"},
        {"P1DT2H ", "expected a digit at character 7"},
        {"P0003-06-04T12:30:05", "expected a designator (Y, M, W or D, or 'T') at character 6"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char text[64], what[200];
        snprintf(text, sizeof text, "\"%s\"", wrong[i].s);
        snprintf(what, sizeof what, "'%s' is not a duration: %s", wrong[i].s, wrong[i].why);
        bad(&S_DURATION, text, "$", what);
    }
    bad(&S_DURATION, "3600", "$",
        "expected a duration (an ISO 8601 string such as P1DT2H), found 3600");
}

/* ---- geospatial ---- */

static void test_point_multipoint(void **state)
{
    (void)state;
    ok(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [4.35, 50.85]}");
    ok(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [4, 50, 13.5]}");
    /* DTDL's own example, latitude first: ranges are not checked. */
    ok(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [47.643742, -122.128014]}");
    ok(&S_POINT, "{\"coordinates\": [1, 2], \"type\": \"Point\", \"bbox\": [1, 2, 1, 2], "
                 "\"title\": \"foreign members are allowed\"}");
    bad(&S_POINT, "[4.35, 50.85]", "$", "expected a GeoJSON Point object, found an array");
    bad(&S_POINT, "{\"coordinates\": [1, 2]}", "$", "missing member 'type' (expected \"Point\")");
    bad(&S_POINT, "{\"type\": \"point\", \"coordinates\": [1, 2]}", "$.type",
        "expected \"Point\", found string 'point'");
    bad(&S_POINT, "{\"type\": \"MultiPoint\", \"coordinates\": [[1, 2]]}", "$.type",
        "expected \"Point\", found string 'MultiPoint'");
    bad(&S_POINT, "{\"type\": \"Point\"}", "$", "missing member 'coordinates' of a GeoJSON Point");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1]}", "$.coordinates",
        "expected a position (an array of 2 or 3 numbers: longitude, latitude and optionally "
        "altitude), found an array of 1");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2, 3, 4]}", "$.coordinates",
        "expected a position (an array of 2 or 3 numbers: longitude, latitude and optionally "
        "altitude), found an array of 4");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": []}", "$.coordinates", NULL);
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, \"2\"]}", "$.coordinates[1]",
        "expected a number (latitude), found string '2'");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2, null]}", "$.coordinates[2]",
        "expected a number (altitude), found null");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": {\"lon\": 1}}", "$.coordinates",
        "expected a position (an array of 2 or 3 numbers), found an object");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2], \"bbox\": [1, 2]}", "$.bbox",
        "expected a bounding box (an array of 4 or 6 numbers), found an array");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2], \"bbox\": [1, 2, 3, true]}",
        "$.bbox[3]", "expected a number, found true");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2], \"geometries\": []}",
        "$.geometries",
        "member 'geometries' is not allowed in a GeoJSON Point (RFC 7946 section 7.1)");
    bad(&S_POINT, "{\"type\": \"Point\", \"coordinates\": [1, 2], \"properties\": {}}",
        "$.properties", NULL);

    ok(&S_MULTIPOINT, "{\"type\": \"MultiPoint\", \"coordinates\": [[1, 2], [3, 4, 5]]}");
    ok(&S_MULTIPOINT, "{\"type\": \"MultiPoint\", \"coordinates\": []}");
    bad(&S_MULTIPOINT, "{\"type\": \"MultiPoint\", \"coordinates\": [1, 2]}", "$.coordinates[0]",
        "expected a position (an array of 2 or 3 numbers), found 1");
    bad(&S_MULTIPOINT, "{\"type\": \"MultiPoint\", \"coordinates\": [[1, 2], [3, \"x\"]]}",
        "$.coordinates[1][1]", "expected a number (latitude), found string 'x'");
    bad(&S_MULTIPOINT, "{\"type\": \"MultiPoint\", \"coordinates\": null}", "$.coordinates",
        "expected a MultiPoint (an array of positions), found null");
}

static void test_linestrings(void **state)
{
    (void)state;
    ok(&S_LINESTRING, "{\"type\": \"LineString\", \"coordinates\": [[0, 0], [1, 1]]}");
    ok(&S_LINESTRING, "{\"type\": \"LineString\", \"coordinates\": [[0, 0, 1], [1, 1], [2, 0]]}");
    bad(&S_LINESTRING, "{\"type\": \"LineString\", \"coordinates\": [[0, 0]]}", "$.coordinates",
        "a LineString needs at least 2 positions, found 1");
    bad(&S_LINESTRING, "{\"type\": \"LineString\", \"coordinates\": []}", "$.coordinates",
        "a LineString needs at least 2 positions, found 0");
    bad(&S_LINESTRING, "{\"type\": \"LineString\", \"coordinates\": [[0, 0], [1]]}",
        "$.coordinates[1]", NULL);

    ok(&S_MULTILINESTRING,
       "{\"type\": \"MultiLineString\", \"coordinates\": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]}");
    ok(&S_MULTILINESTRING, "{\"type\": \"MultiLineString\", \"coordinates\": []}");
    bad(&S_MULTILINESTRING,
        "{\"type\": \"MultiLineString\", \"coordinates\": [[[0, 0], [1, 1]], [[2, 2]]]}",
        "$.coordinates[1]", "a LineString needs at least 2 positions, found 1");
    bad(&S_MULTILINESTRING, "{\"type\": \"MultiLineString\", \"coordinates\": [[0, 0], [1, 1]]}",
        "$.coordinates[0][0]", "expected a position (an array of 2 or 3 numbers), found 0");
    bad(&S_MULTILINESTRING, "{\"type\": \"MultiLineString\", \"coordinates\": 5}",
        "$.coordinates",
        "expected MultiLineString coordinates (an array of LineString coordinate arrays), found "
        "5");
}

static void test_polygons(void **state)
{
    (void)state;
    const char *square = "[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]";
    const char *hole = "[[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]]";
    char text[512];
    snprintf(text, sizeof text, "{\"type\": \"Polygon\", \"coordinates\": [%s, %s]}", square,
             hole);
    ok(&S_POLYGON, text);
    /* 0 and 0.0 are the same number: the ring is closed. */
    ok(&S_POLYGON,
       "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [1, 1], [0.0, 0.0]]]}");
    bad(&S_POLYGON, "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}",
        "$.coordinates[0]", "a linear ring must be closed: its last position must equal its first");
    bad(&S_POLYGON, "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [0, 0]]]}",
        "$.coordinates[0]", "a linear ring needs at least 4 positions, found 3");
    bad(&S_POLYGON,
        "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 0], [1, 1], [0, 0, 0]]]}",
        "$.coordinates[0]", "a linear ring must be closed: its last position must equal its first");
    bad(&S_POLYGON, "{\"type\": \"Polygon\", \"coordinates\": []}", "$.coordinates",
        "a polygon needs at least one linear ring (its exterior), found none");
    bad(&S_POLYGON, "{\"type\": \"Polygon\", \"coordinates\": [[0, 0], [1, 0], [1, 1], [0, 0]]}",
        "$.coordinates[0][0]", "expected a position (an array of 2 or 3 numbers), found 0");
    snprintf(text, sizeof text, "{\"type\": \"Polygon\", \"coordinates\": [%s, %s]}", square,
             "[[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.3]]");
    bad(&S_POLYGON, text, "$.coordinates[1]",
        "a linear ring must be closed: its last position must equal its first");

    snprintf(text, sizeof text,
             "{\"type\": \"MultiPolygon\", \"coordinates\": [[%s], [%s, %s]]}", square, square,
             hole);
    ok(&S_MULTIPOLYGON, text);
    ok(&S_MULTIPOLYGON, "{\"type\": \"MultiPolygon\", \"coordinates\": []}");
    snprintf(text, sizeof text,
             "{\"type\": \"MultiPolygon\", \"coordinates\": [[%s], [%s, [[0, 0], [1, \"a\"]]]]}",
             square, square);
    bad(&S_MULTIPOLYGON, text, "$.coordinates[1][1][1][1]",
        "expected a number (latitude), found string 'a'");
    bad(&S_MULTIPOLYGON, "{\"type\": \"MultiPolygon\", \"coordinates\": [[]]}",
        "$.coordinates[0]", "a polygon needs at least one linear ring (its exterior), found none");
    bad(&S_MULTIPOLYGON, "{\"type\": \"Polygon\", \"coordinates\": []}", "$.type",
        "expected \"MultiPolygon\", found string 'Polygon'");
}

/* ---- complex schemas ---- */

static const gm_schema S_STRINGS = {.kind = GM_SCHEMA_ARRAY, .element = &S_STRING};
static const gm_schema_field reading_fields[] = {
    {"value", &S_DOUBLE},
    {"at", &S_DATETIME},
    {"tags", &S_STRINGS},
};
static const gm_schema S_READING = {.kind = GM_SCHEMA_OBJECT, .n = 3, .fields = reading_fields};
static const gm_schema S_READINGS = {.kind = GM_SCHEMA_ARRAY, .element = &S_READING};

static void test_array_of_object(void **state)
{
    (void)state;
    ok(&S_READINGS, "[]");
    ok(&S_READINGS, "[{}, {\"value\": 1}, {\"value\": 2.5, \"at\": \"2024-01-01T00:00:00Z\", "
                    "\"tags\": [\"a\", \"b\"]}]");
    bad(&S_READINGS, "[{\"value\": 1}, {\"value\": \"1\"}]", "$[1].value",
        "expected a double (a finite number), found string '1'");
    bad(&S_READINGS, "[{\"value\": 1}, {\"tags\": [\"a\", 2]}]", "$[1].tags[1]",
        "expected a string, found 2");
    bad(&S_READINGS, "[{\"value\": 1, \"unit\": \"C\"}]", "$[0].unit",
        "'unit' is not a field of the object (fields: value, at, tags)");
    bad(&S_READINGS, "[{\"value\": null}]", "$[0].value",
        "expected a double (a finite number), found null");
    bad(&S_READINGS, "{\"value\": 1}", "$", "expected an array, found an object");
    bad(&S_READINGS, "[[]]", "$[0]", "expected an object, found an array");
}

static const gm_schema S_INTS = {.kind = GM_SCHEMA_ARRAY, .element = &S_INTEGER};
static const gm_schema S_MAP_OF_INTS = {
    .kind = GM_SCHEMA_MAP, .element = &S_INTS, .key_name = "sensor", .value_name = "samples"};

static void test_map_of_array(void **state)
{
    (void)state;
    ok(&S_MAP_OF_INTS, "{}");
    ok(&S_MAP_OF_INTS, "{\"a\": [], \"b\": [1, 2, 3], \"my key\": [-1]}");
    bad(&S_MAP_OF_INTS, "{\"a\": [1], \"b\": [1, 2, 2.5]}", "$.b[2]",
        "expected an integer in [-2147483648, 2147483647], found 2.5");
    bad(&S_MAP_OF_INTS, "{\"a.b\": [\"x\"]}", "$[\"a.b\"][0]",
        "expected an integer in [-2147483648, 2147483647], found string 'x'");
    bad(&S_MAP_OF_INTS, "{\"a\": 1}", "$.a", "expected an array, found 1");
    bad(&S_MAP_OF_INTS, "{\"\": [1]}", "$[\"\"]",
        "a key of the map (sensor) must be a non-empty string");
    bad(&S_MAP_OF_INTS, "[[1]]", "$", "expected an object (a Map), found an array");
    gm_schema anon = S_MAP_OF_INTS;
    anon.key_name = NULL;
    bad(&anon, "{\"\": [1]}", "$[\"\"]", "a key of the map must be a non-empty string");
}

static const gm_schema_enum_value temp_values[] = {
    {"cold", "cold", 0}, {"hot", "hot", 0}, {"lukewarm", "luke warm", 0}};
static const gm_schema S_TEMP = {
    .kind = GM_SCHEMA_ENUM, .enum_strings = true, .n = 3, .values = temp_values};
static const gm_schema_enum_value state_values[] = {
    {"offline", NULL, 1}, {"online", NULL, 2}, {"deep", NULL, -9000000000LL}};
static const gm_schema S_STATE = {.kind = GM_SCHEMA_ENUM, .n = 3, .values = state_values};

static void test_enum(void **state)
{
    (void)state;
    ok(&S_TEMP, "\"cold\"");
    ok(&S_TEMP, "\"luke warm\"");
    bad(&S_TEMP, "\"warm\"", "$",
        "'warm' is not a value of the enum (expected one of: cold, hot, luke warm)");
    /* The value, not the name, is on the wire. */
    bad(&S_TEMP, "\"lukewarm\"", "$", NULL);
    bad(&S_TEMP, "\"Cold\"", "$", NULL);
    bad(&S_TEMP, "1", "$",
        "expected a string value of the enum (one of: cold, hot, luke warm), found 1");

    ok(&S_STATE, "2");
    ok(&S_STATE, "-9000000000");
    bad(&S_STATE, "3", "$", "3 is not a value of the enum (expected one of: 1, 2, -9000000000)");
    bad(&S_STATE, "2.0", "$",
        "expected an integer value of the enum (one of: 1, 2, -9000000000), found 2.0");
    bad(&S_STATE, "\"online\"", "$",
        "expected an integer value of the enum (one of: 1, 2, -9000000000), found string "
        "'online'");

    gm_schema empty = {.kind = GM_SCHEMA_ENUM, .enum_strings = true};
    bad(&empty, "\"x\"", "$", "'x' is not a value of the enum (the enum has no values)");

    /* A long list is cut politely and says how much was left out. */
    enum { N = 200 };
    static gm_schema_enum_value many[N];
    static char names[N][24];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "value_%03d", i);
        many[i] = (gm_schema_enum_value){names[i], names[i], 0};
    }
    gm_schema big = {.kind = GM_SCHEMA_ENUM, .enum_strings = true, .n = N, .values = many};
    ok(&big, "\"value_199\"");
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(check_text(&big, "\"value_200\"", &e), GM_EINVAL);
    assert_true(strlen(e.what) < GM_ERR_WHAT_MAX - 1);
    assert_non_null(strstr(e.what, "'value_200' is not a value of the enum (expected one of: "
                                   "value_000, value_001, "));
    const char *tail = strstr(e.what, ", ... (");
    assert_non_null(tail);
    size_t shown = 0;
    for (const char *p = e.what; (p = strstr(p, "value_")); p++)
        shown++;
    shown--; /* the rejected value itself */
    char want[64];
    snprintf(want, sizeof want, ", ... (%zu more))", (size_t)N - shown);
    assert_string_equal(tail, want);
}

static const gm_schema_field motor_fields[] = {{"rpm", &S_INTEGER}, {"torque", &S_DOUBLE}};
static const gm_schema S_MOTOR = {.kind = GM_SCHEMA_OBJECT, .n = 2, .fields = motor_fields};

static void test_object(void **state)
{
    (void)state;
    ok(&S_MOTOR, "{}");
    ok(&S_MOTOR, "{\"rpm\": 1500}");
    ok(&S_MOTOR, "{\"torque\": 1.5, \"rpm\": 1500}");
    bad(&S_MOTOR, "{\"rpm\": 1500, \"speed\": 3}", "$.speed",
        "'speed' is not a field of the object (fields: rpm, torque)");
    bad(&S_MOTOR, "{\"Rpm\": 1500}", "$.Rpm",
        "'Rpm' is not a field of the object (fields: rpm, torque)");
    bad(&S_MOTOR, "{\"my key\": 1}", "$[\"my key\"]",
        "'my key' is not a field of the object (fields: rpm, torque)");
    bad(&S_MOTOR, "{\"rpm\": 1e3}", "$.rpm",
        "expected an integer in [-2147483648, 2147483647], found 1000.0");
    bad(&S_MOTOR, "[]", "$", "expected an object, found an array");
    bad(&S_MOTOR, "\"rpm\"", "$", "expected an object, found string 'rpm'");
    gm_schema none = {.kind = GM_SCHEMA_OBJECT};
    ok(&none, "{}");
    bad(&none, "{\"a\": 1}", "$.a", "'a' is not a field of the object (the object has no fields)");
}

/* $.a.b[2] and friends: Object -> Object -> Array -> Enum / Map -> Object. */
static const gm_schema S_TEMPS = {.kind = GM_SCHEMA_ARRAY, .element = &S_TEMP};
static const gm_schema S_MOTORS = {.kind = GM_SCHEMA_MAP, .element = &S_MOTOR};
static const gm_schema_field inner_fields[] = {{"b", &S_TEMPS}, {"motors", &S_MOTORS}};
static const gm_schema S_INNER = {.kind = GM_SCHEMA_OBJECT, .n = 2, .fields = inner_fields};
static const gm_schema_field outer_fields[] = {{"a", &S_INNER}, {"where", &S_POINT}};
static const gm_schema S_OUTER = {.kind = GM_SCHEMA_OBJECT, .n = 2, .fields = outer_fields};

static void test_nested_paths(void **state)
{
    (void)state;
    ok(&S_OUTER, "{\"a\": {\"b\": [\"hot\", \"cold\"], \"motors\": {\"m1\": {\"rpm\": 1}}}, "
                 "\"where\": {\"type\": \"Point\", \"coordinates\": [1, 2]}}");
    bad(&S_OUTER, "{\"a\": {\"b\": [\"hot\", \"cold\", \"warm\"]}}", "$.a.b[2]",
        "'warm' is not a value of the enum (expected one of: cold, hot, luke warm)");
    bad(&S_OUTER, "{\"a\": {\"motors\": {\"m1\": {}, \"pump 2\": {\"rpm\": 2147483648}}}}",
        "$.a.motors[\"pump 2\"].rpm",
        "expected an integer in [-2147483648, 2147483647], found 2147483648");
    bad(&S_OUTER, "{\"where\": {\"type\": \"Point\", \"coordinates\": [1, true]}}",
        "$.where.coordinates[1]", "expected a number (latitude), found true");
    bad(&S_OUTER, "{\"a\": {\"motors\": {\"m1\": {\"rpm\": 1, \"volts\": 3}}}}",
        "$.a.motors.m1.volts", "'volts' is not a field of the object (fields: rpm, torque)");

    /* The caller's path may be anything, or nothing. */
    json_t *v = parse("{\"a\": {\"b\": [\"x\"]}}");
    gm_err e;
    assert_int_equal(gm_schema_check(&S_OUTER, v, NULL, &e), GM_EINVAL);
    assert_string_equal(e.where, "a.b[0]");
    assert_int_equal(gm_schema_check(&S_OUTER, v, "", &e), GM_EINVAL);
    assert_string_equal(e.where, "a.b[0]");
    assert_int_equal(gm_schema_check(&S_OUTER, v, "/properties/setpoint", &e), GM_EINVAL);
    assert_string_equal(e.where, "/properties/setpoint.a.b[0]");
    /* A path too long for the record keeps its beginning. */
    char longp[400];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(gm_schema_check(&S_OUTER, v, longp, &e), GM_EINVAL);
    assert_int_equal(strlen(e.where), GM_ERR_WHERE_MAX - 1);
    assert_int_equal(strncmp(e.where, longp, GM_ERR_WHERE_MAX - 1), 0);
    assert_string_equal(e.what,
                        "'x' is not a value of the enum (expected one of: cold, hot, luke warm)");
    json_decref(v);
}

/* An Array whose elements are that same Array: only values bound the walk. */
static const gm_schema S_SELF;
static const gm_schema S_SELF = {.kind = GM_SCHEMA_ARRAY, .element = &S_SELF};

static json_t *nested_arrays(int levels)
{
    json_t *v = json_array();
    for (int i = 1; i < levels; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, v);
        v = outer;
    }
    return v;
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* 64 levels conform, 65 and 100 do not. */
    json_t *v = nested_arrays(GM_SCHEMA_MAX_DEPTH);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_schema_check(&S_SELF, v, "$", &e), 0);
    json_decref(v);

    char where[GM_ERR_WHERE_MAX] = "$";
    for (int i = 0; i < GM_SCHEMA_MAX_DEPTH; i++)
        strcat(where, "[0]");
    int levels[] = {GM_SCHEMA_MAX_DEPTH + 1, 100, 5000};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        v = nested_arrays(levels[i]);
        assert_int_equal(gm_schema_check(&S_SELF, v, "$", &e), GM_EINVAL);
        assert_string_equal(e.where, where);
        assert_string_equal(e.what, "value nested deeper than 64 levels of arrays and objects");
        assert_int_equal(gm_schema_check(&S_SELF, v, "$", NULL), GM_EINVAL);
        json_decref(v);
    }

    /* Objects count as levels too: a Map of itself, and an Object field. */
    gm_schema map = {.kind = GM_SCHEMA_MAP};
    map.element = &map;
    gm_schema_field f = {"x", NULL};
    gm_schema obj = {.kind = GM_SCHEMA_OBJECT, .n = 1, .fields = &f};
    f.schema = &obj;
    for (int round = 0; round < 2; round++) {
        const gm_schema *s = round ? &obj : &map;
        v = json_object();
        for (int i = 1; i < 100; i++) {
            json_t *outer = json_object();
            json_object_set_new(outer, "x", v);
            v = outer;
        }
        assert_int_equal(gm_schema_check(s, v, "$", &e), GM_EINVAL);
        assert_string_equal(e.what, "value nested deeper than 64 levels of arrays and objects");
        assert_int_equal(strlen(e.where), 1 + 2 * GM_SCHEMA_MAX_DEPTH);
        json_decref(v);
    }
}

static void test_err_null_and_bad_schemas(void **state)
{
    (void)state;
    json_t *v = parse("{\"rpm\": \"fast\"}");
    assert_int_equal(gm_schema_check(&S_MOTOR, v, "$", NULL), GM_EINVAL);
    assert_int_equal(gm_schema_check(&S_MOTOR, v, NULL, NULL), GM_EINVAL);
    json_decref(v);
    v = parse("{\"rpm\": 3}");
    assert_int_equal(gm_schema_check(&S_MOTOR, v, NULL, NULL), 0);

    /* Broken trees are reported, not followed. */
    gm_err e;
    assert_int_equal(gm_schema_check(NULL, v, "$", &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid schema: no schema");
    gm_schema arr = {.kind = GM_SCHEMA_ARRAY};
    json_t *a = parse("[1]");
    assert_int_equal(gm_schema_check(&arr, a, "$", &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid schema: Array without an element schema");
    gm_schema odd = {.kind = GM_SCHEMA_KIND_COUNT};
    assert_int_equal(gm_schema_check(&odd, a, "$", &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid schema: unknown kind 20");
    gm_schema_field nofield = {"rpm", NULL};
    gm_schema obj = {.kind = GM_SCHEMA_OBJECT, .n = 1, .fields = &nofield};
    assert_int_equal(gm_schema_check(&obj, v, "$", &e), GM_EINVAL);
    assert_string_equal(e.where, "$.rpm");
    assert_string_equal(e.what, "invalid schema: no schema");
    /* No value at all. */
    assert_int_equal(gm_schema_check(&S_INTEGER, NULL, "$", &e), GM_EINVAL);
    assert_string_equal(e.what, "expected an integer in [-2147483648, 2147483647], found nothing");
    json_decref(a);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_primitive_lookup),
        cmocka_unit_test(test_boolean_string),
        cmocka_unit_test(test_integer_long),
        cmocka_unit_test(test_float_double),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_point_multipoint),
        cmocka_unit_test(test_linestrings),
        cmocka_unit_test(test_polygons),
        cmocka_unit_test(test_array_of_object),
        cmocka_unit_test(test_map_of_array),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_nested_paths),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_err_null_and_bad_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
