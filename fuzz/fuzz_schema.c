/*
 * fuzz_schema.c: libFuzzer target for model/schema.
 *
 * Parses the input as JSON and checks the value against a set of fixed
 * schemas: every primitive, an Array and a Map of each, nested
 * Object/Map/Array/Enum trees, and self-referential Array, Map and Object
 * schemas that only the value's depth bounds. What must always hold:
 *   - the result is 0 or GM_EINVAL, the same with and without a gm_err;
 *   - a failure carries a one-line, valid UTF-8 message located under "$";
 *   - the kinds agree with each other: an integer is a long, a long and a
 *     float are doubles; a date D makes "DT00:00:00Z" a dateTime and a time
 *     T makes "2000-01-01TTZ" one;
 *   - gm_schema_primitive answers -1 or a primitive kind for any string;
 *   - a unit type's schema and the plain Enum of its units agree.
 * Top-level array elements and object members are also checked one by one,
 * so one input exercises the text parsers many times.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -Isrc src/base/err.c \
 *       src/base/json.c src/base/time.c src/model/schema.c fuzz/fuzz_schema.c \
 *       $(pkg-config --cflags --libs jansson) -lm -o /tmp/fuzz_schema && \
 *       /tmp/fuzz_schema -max_total_time=60
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#include "base/json.h"
#include "model/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deeper than GM_SCHEMA_MAX_DEPTH, so the schema's own limit is reached. */
static const gm_json_limits fuzz_limits = {.max_bytes = 4096, .max_depth = 100};

#define NPRIM (GM_SCHEMA_MULTIPOLYGON + 1)

static gm_schema prim[NPRIM], arrays[NPRIM], maps[NPRIM];

static const gm_schema_enum_value temp_values[] = {
    {"cold", "cold", 0}, {"hot", "hot", 0}, {"warm", "luke warm", 0}, {"odd", "", 0}};
static const gm_schema_enum_value state_values[] = {
    {"offline", NULL, 1}, {"online", NULL, 2}, {"low", NULL, INT64_MIN}, {"high", NULL, INT64_MAX}};
static const gm_schema s_temp = {
    .kind = GM_SCHEMA_ENUM, .enum_strings = true, .n = 4, .values = temp_values};
static const gm_schema s_state = {.kind = GM_SCHEMA_ENUM, .n = 4, .values = state_values};
/* a quantitativeTypes unit type, and the same values as a plain Enum */
static const gm_schema_enum_value unit_values[] = {{"degreeCelsius", "degreeCelsius", 0},
                                                   {"degreeFahrenheit", "degreeFahrenheit", 0},
                                                   {"kelvin", "kelvin", 0}};
static const gm_schema s_unit = {.kind = GM_SCHEMA_ENUM, .enum_strings = true, .n = 3,
                                 .values = unit_values, .unit_type = "TemperatureUnit"};
static const gm_schema s_unit_plain = {.kind = GM_SCHEMA_ENUM, .enum_strings = true, .n = 3,
                                       .values = unit_values};

static const gm_schema s_temps = {.kind = GM_SCHEMA_ARRAY, .element = &s_temp};
static const gm_schema s_states = {.kind = GM_SCHEMA_MAP, .element = &s_state, .key_name = "k"};

static const gm_schema_field motor_fields[] = {
    {"rpm", &prim[GM_SCHEMA_INTEGER]}, {"torque", &prim[GM_SCHEMA_FLOAT]},
    {"state", &s_state},               {"since", &prim[GM_SCHEMA_DATETIME]},
    {"where", &prim[GM_SCHEMA_POINT]}, {"area", &prim[GM_SCHEMA_MULTIPOLYGON]}};
static const gm_schema s_motor = {.kind = GM_SCHEMA_OBJECT, .n = 6, .fields = motor_fields};
static const gm_schema s_motors = {.kind = GM_SCHEMA_MAP, .element = &s_motor};
static const gm_schema s_motor_list = {.kind = GM_SCHEMA_ARRAY, .element = &s_motor};

static const gm_schema_field plant_fields[] = {
    {"motors", &s_motors},   {"line", &s_motor_list}, {"temps", &s_temps},
    {"states", &s_states},   {"every", &prim[GM_SCHEMA_DURATION]},
    {"opens", &prim[GM_SCHEMA_TIME]}, {"day", &prim[GM_SCHEMA_DATE]},
    {"a", NULL} /* set to the plant itself below */};
static gm_schema_field plant_fields_rw[sizeof plant_fields / sizeof plant_fields[0]];
static gm_schema s_plant, s_self_array, s_self_map, s_self_obj;
static gm_schema_field self_field[2];

static void setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (int k = 0; k < NPRIM; k++) {
        prim[k] = (gm_schema){.kind = (gm_schema_kind)k};
        arrays[k] = (gm_schema){.kind = GM_SCHEMA_ARRAY, .element = &prim[k]};
        maps[k] = (gm_schema){.kind = GM_SCHEMA_MAP, .element = &prim[k]};
    }
    memcpy(plant_fields_rw, plant_fields, sizeof plant_fields);
    plant_fields_rw[7].schema = &s_plant;
    s_plant = (gm_schema){
        .kind = GM_SCHEMA_OBJECT, .n = sizeof plant_fields / sizeof plant_fields[0],
        .fields = plant_fields_rw};
    s_self_array = (gm_schema){.kind = GM_SCHEMA_ARRAY, .element = &s_self_array};
    s_self_map = (gm_schema){.kind = GM_SCHEMA_MAP, .element = &s_self_map};
    self_field[0] = (gm_schema_field){"x", &s_self_obj};
    self_field[1] = (gm_schema_field){"y", &s_self_array};
    s_self_obj = (gm_schema){.kind = GM_SCHEMA_OBJECT, .n = 2, .fields = self_field};
}


/* Check v against s both ways and the error record's shape; the verdict. */
static bool conforms(const gm_schema *s, const json_t *v)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_schema_check(s, v, "$", &e);
    if (rc != gm_schema_check(s, v, "$", NULL))
        abort();
    if (rc == 0) {
        if (e.code != GM_OK)
            abort();
        return true;
    }
    if (rc != GM_EINVAL || e.code != GM_EINVAL || !e.what[0] || e.where[0] != '$')
        abort();
    if (!valid_utf8(e.where) || !valid_utf8(e.what))
        abort();
    for (const char *p = e.what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    return false;
}

static void check_string_agreement(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    int k = gm_schema_primitive(s);
    if (k < -1 || k > GM_SCHEMA_MULTIPOLYGON)
        abort();
    if (k >= 0 && strncmp(s, "dtmi:", 5) != 0 && strcmp(s, gm_schema_kind_name((gm_schema_kind)k)) != 0)
        abort();

    char buf[160];
    if (len == 10 && conforms(&prim[GM_SCHEMA_DATE], v)) {
        memcpy(buf, s, 10);
        memcpy(buf + 10, "T00:00:00Z", 11);
        json_t *dt = json_string(buf);
        if (dt && !conforms(&prim[GM_SCHEMA_DATETIME], dt))
            abort();
        json_decref(dt);
    }
    if (len < 100 && conforms(&prim[GM_SCHEMA_TIME], v)) {
        memcpy(buf, "2000-01-01T", 11);
        memcpy(buf + 11, s, len);
        memcpy(buf + 11 + len, "Z", 2);
        json_t *dt = json_string(buf);
        if (dt && !conforms(&prim[GM_SCHEMA_DATETIME], dt))
            abort();
        json_decref(dt);
    }
}

static void check_one(const json_t *v)
{
    bool ok[NPRIM];
    for (int k = 0; k < NPRIM; k++) {
        ok[k] = conforms(&prim[k], v);
        conforms(&arrays[k], v);
        conforms(&maps[k], v);
    }
    if (ok[GM_SCHEMA_INTEGER] && !ok[GM_SCHEMA_LONG])
        abort();
    if ((ok[GM_SCHEMA_LONG] || ok[GM_SCHEMA_FLOAT]) && !ok[GM_SCHEMA_DOUBLE])
        abort();
    if (ok[GM_SCHEMA_LONG] && !ok[GM_SCHEMA_FLOAT])
        abort();
    if (json_is_string(v))
        check_string_agreement(v);
    conforms(&s_temp, v);
    conforms(&s_state, v);
    if (conforms(&s_unit, v) != conforms(&s_unit_plain, v))
        abort(); /* a unit type differs from its Enum in words only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    json_t *v = gm_json_load_str((const char *)data, size, &fuzz_limits, "fuzz", NULL);
    if (!v)
        return 0;

    check_one(v);
    const gm_schema *trees[] = {&s_plant,      &s_motor,    &s_motors,   &s_motor_list,
                                &s_self_array, &s_self_map, &s_self_obj, &s_temps,
                                &s_states};
    for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++)
        conforms(trees[i], v);

    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            check_one(json_array_get(v, i));
    } else if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m) {
            check_one(m);
        }
    }
    json_decref(v);
    return 0;
}
