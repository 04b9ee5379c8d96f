/*
 * schema.h: DTDL schemas as a tree, and instance validation: does a JSON
 * value (a property value, a telemetry value, a command payload) conform to
 * a schema? The twin graph calls this for every update, so it allocates
 * nothing on success.
 *
 * The model registry builds gm_schema trees from validated DTDL and owns
 * them; tests may build them by hand (all members are plain data).
 *
 * Instance formats (DTDL v3 "Primitive schemas", as Azure Digital Twins
 * checks them):
 *   boolean   true or false
 *   integer   a JSON integer in [-2^31, 2^31-1]; long: in [-2^63, 2^63-1]
 *   double    a JSON number; float: a JSON number with |x| <= FLT_MAX
 *   string    a JSON string
 *   date      an RFC 3339 full-date, "2024-02-29"
 *   time      an RFC 3339 partial-time, "13:45:00" or "13:45:00.25"
 *   dateTime  an RFC 3339 date-time, "2024-02-29T13:45:00Z" (offset required)
 *   duration  an ISO 8601 duration, "P1DT2H", "PT0.5S", "P2W"
 *   point ... multiPolygon   a GeoJSON geometry object of that type
 *   Array     a JSON array whose items conform to element
 *   Enum      one of the values' str (string enum) or num (integer enum);
 *             a unit type of the quantitativeTypes extension
 *             ("TemperatureUnit") is a string Enum of its units
 *   Map       a JSON object; each key a non-empty string, each value
 *             conforming to element
 *   Object    a JSON object whose members are fields (each optional);
 *             a member that is not a field is an error
 */
#ifndef GM_MODEL_SCHEMA_H
#define GM_MODEL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

#define GM_SCHEMA_MAX_DEPTH 64 /* nesting of values checked */

typedef enum gm_schema_kind {
    GM_SCHEMA_BOOLEAN,
    GM_SCHEMA_DATE,
    GM_SCHEMA_DATETIME,
    GM_SCHEMA_DOUBLE,
    GM_SCHEMA_DURATION,
    GM_SCHEMA_FLOAT,
    GM_SCHEMA_INTEGER,
    GM_SCHEMA_LONG,
    GM_SCHEMA_STRING,
    GM_SCHEMA_TIME,
    GM_SCHEMA_POINT,
    GM_SCHEMA_MULTIPOINT,
    GM_SCHEMA_LINESTRING,
    GM_SCHEMA_MULTILINESTRING,
    GM_SCHEMA_POLYGON,
    GM_SCHEMA_MULTIPOLYGON,
    GM_SCHEMA_ARRAY,
    GM_SCHEMA_ENUM,
    GM_SCHEMA_MAP,
    GM_SCHEMA_OBJECT,
    GM_SCHEMA_KIND_COUNT
} gm_schema_kind;

typedef struct gm_schema gm_schema;

typedef struct gm_schema_field {
    const char *name;
    const gm_schema *schema;
} gm_schema_field;

typedef struct gm_schema_enum_value {
    const char *name;
    const char *str; /* string enums */
    long long num;   /* integer enums */
} gm_schema_enum_value;

struct gm_schema {
    gm_schema_kind kind;
    const char *id;               /* the schema's DTMI, or NULL */
    const gm_schema *element;     /* ARRAY: elementSchema; MAP: the mapValue's schema */
    const char *key_name;         /* MAP: the mapKey's name */
    const char *value_name;       /* MAP: the mapValue's name */
    bool enum_strings;            /* ENUM: valueSchema string (true) or integer */
    size_t n;                     /* OBJECT: fields; ENUM: values */
    const gm_schema_field *fields;
    const gm_schema_enum_value *values;
    const char *unit_type;        /* ENUM: the quantitativeTypes unit type it is
                                     ("TemperatureUnit"), or NULL */
};

/* The DTDL term of a kind ("boolean", "dateTime", "multiPolygon", "Array",
   "Enum", "Map", "Object"); "?" for an unknown kind. */
const char *gm_schema_kind_name(gm_schema_kind k);

/* The kind of a primitive schema term ("double", "point", ...) or of its DTMI
   form ("dtmi:dtdl:instance:Schema:double;3", ";2", and for geospatial
   schemas "dtmi:standard:schema:geospatial:point;3"); -1 when s is none. */
int gm_schema_primitive(const char *s);

/*
 * Check that v conforms to s. path names v in the caller's document (for
 * example "$.temperature" or "/properties/setpoint"); problems are reported
 * with the path of the offending value below it, as gm_json_path_key and
 * gm_json_path_index build it ("$.config.limits[2].high"). Returns 0, or
 * GM_EINVAL with err naming that path and what was expected ("expected an
 * integer in [-2147483648, 2147483647], found 3.5"; "'warm' is not a value
 * of the enum (expected one of: cold, hot)"; "'metre' is not a unit of
 * TemperatureUnit (expected one of: degreeCelsius, degreeFahrenheit,
 * kelvin)"; "'speed' is not a field of the object (fields: rpm, torque)"). Values nested deeper than
 * GM_SCHEMA_MAX_DEPTH are refused with GM_EINVAL. Allocates nothing.
 */
int gm_schema_check(const gm_schema *s, const json_t *v, const char *path, gm_err *err);

#endif
