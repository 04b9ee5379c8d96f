/*
 * dtdl.c: DTDL v2/v3 validation, table-driven after the DTDL metamodel (the
 * SHACL shapes published with v3) as the official conformance suites read
 * it, plus the five v3 extensions (quantitativeTypes, historization,
 * annotation, overriding, mqtt). Where v2 differs (DTDL.v2.md and its
 * suite), the rules say so: its semantic types and units in the base
 * context, undefined co-types that open an element, ignored keywords, no
 * Array in a Property, IoT Central's context.
 *
 * Phase 1 walks every document: each element's context, types, identifier
 * and members against its class's table for its language version; it
 * records every element as a node and every element-valued member value as
 * an edge. Phase 2 resolves references by DTMI across the whole set (so
 * documents may come in any order), then refuses cycles, and phase 3 checks
 * what needs the whole graph: extends depth and count, names unique across
 * extends, Components not nesting Components, complex-schema depth, enum
 * values against valueSchema, and the extensions' cross-element rules.
 */
#include "model/dtdl.h"

#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "model/dtdl_graph.h"
#include "model/dtmi.h"
#include "model/schema.h"
#include "model/units.h"

#define M(c) (1u << (c))
#define M_CONTENT                                                                                  \
    (M(MODEL_C_TELEMETRY) | M(MODEL_C_PROPERTY) | M(MODEL_C_COMMAND) | M(MODEL_C_RELATIONSHIP) |  \
     M(MODEL_C_COMPONENT))
#define M_COMPLEX (M(MODEL_C_ARRAY) | M(MODEL_C_ENUM) | M(MODEL_C_MAP) | M(MODEL_C_OBJECT))
#define INF INT_MAX
#define MAX_LANG_VALUES 256    /* values of one localizable string */

static const char *const class_names[MODEL_C_COUNT] = {
    "Interface", "Telemetry", "Property",     "Command",   "CommandRequest", "CommandResponse",
    "CommandPayload", "Relationship", "Component", "Array", "Enum", "EnumValue", "Map", "MapKey",
    "MapValue", "Object", "Field",
};

static const char *const prop_names[MODEL_P_COUNT] = {
    "contents", "extends", "schemas", "schema", "request", "response", "properties",
    "elementSchema", "enumValues", "mapKey", "mapValue", "fields", "name", "comment",
    "description", "displayName", "writable", "maxMultiplicity", "minMultiplicity", "target",
    "commandType", "valueSchema", "enumValue",
};

const char *model__class_name(int cls)
{
    return cls >= 0 && cls < MODEL_C_COUNT ? class_names[cls] : "?";
}

const char *model__prop_name(int prop)
{
    return prop >= 0 && prop < MODEL_P_COUNT ? prop_names[prop] : "?";
}

/* ---- class tables -------------------------------------------------------- */

/* What a member's values must be. */
typedef enum vkind {
    K_LS,   /* localizable string */
    K_RS,   /* string literal(s) */
    K_RB,   /* boolean literal */
    K_RI,   /* integer literal in [lo, hi] */
    K_DTMI, /* a DTMI (not a dependency: Relationship.target) */
    K_EL,   /* elements of `classes`, inline or by DTMI */
    K_SV,   /* one of `values` */
    K_EV,   /* EnumValue.enumValue: typed by the Enum's valueSchema */
} vkind;

typedef struct mdef {
    int prop;
    vkind k;
    int min, max;       /* values (a JSON array holds several) */
    bool pattern;       /* K_RS: a name */
    unsigned classes;   /* K_EL */
    bool v2ok;          /* K_EL: a v2 element may appear in a v3 parent */
    bool std;           /* K_EL: a standard schema term may stand for an element */
    const char *const *values; /* K_SV */
    long lo, hi;        /* K_RI */
} mdef;

#define END {.prop = -1}
#define COMMENT {.prop = MODEL_P_COMMENT, .k = K_RS, .max = 1}
#define DESCRIPTION {.prop = MODEL_P_DESCRIPTION, .k = K_LS, .max = 1}
#define DISPLAYNAME {.prop = MODEL_P_DISPLAYNAME, .k = K_LS, .max = 1}
#define NAME {.prop = MODEL_P_NAME, .k = K_RS, .min = 1, .max = 1, .pattern = true}
#define ENTITY COMMENT, DESCRIPTION, DISPLAYNAME
#define SCHEMA3                                                                                    \
    {.prop = MODEL_P_SCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M_COMPLEX, .v2ok = true,    \
     .std = true}
#define SCHEMA2 {.prop = MODEL_P_SCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M_COMPLEX, .std = true}
#define ELEMENT_SCHEMA3                                                                            \
    {.prop = MODEL_P_ELEMENTSCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M_COMPLEX,           \
     .v2ok = true, .std = true}
#define ELEMENT_SCHEMA2                                                                            \
    {.prop = MODEL_P_ELEMENTSCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M_COMPLEX, .std = true}
#define WRITABLE {.prop = MODEL_P_WRITABLE, .k = K_RB, .max = 1}
#define MIN_MULT {.prop = MODEL_P_MINMULTIPLICITY, .k = K_RI, .max = 1, .lo = 0, .hi = 0}
#define TARGET {.prop = MODEL_P_TARGET, .k = K_DTMI, .max = 1}
#define MAPKEY {.prop = MODEL_P_MAPKEY, .k = K_EL, .min = 1, .max = 1, .classes = M(MODEL_C_MAPKEY)}
#define MAPVALUE                                                                                   \
    {.prop = MODEL_P_MAPVALUE, .k = K_EL, .min = 1, .max = 1, .classes = M(MODEL_C_MAPVALUE)}
#define ENUMVALUE {.prop = MODEL_P_ENUMVALUE, .k = K_EV, .min = 1, .max = 1}

static const char *const command_types3[] = {
    "asynchronous", "synchronous", "dtmi:dtdl:instance:CommandType:asynchronous;3",
    "dtmi:dtdl:instance:CommandType:synchronous;3", NULL};
static const char *const command_types2[] = {
    "asynchronous", "synchronous", "dtmi:dtdl:instance:CommandType:asynchronous;2",
    "dtmi:dtdl:instance:CommandType:synchronous;2", NULL};
static const char *const value_schemas3[] = {
    "integer", "string", "dtmi:dtdl:instance:Schema:integer;3", "dtmi:dtdl:instance:Schema:integer;2",
    "dtmi:dtdl:instance:Schema:string;3", "dtmi:dtdl:instance:Schema:string;2", NULL};
static const char *const value_schemas2[] = {"integer", "string",
                                             "dtmi:dtdl:instance:Schema:integer;2",
                                             "dtmi:dtdl:instance:Schema:string;2", NULL};
static const char *const key_schemas3[] = {"string", "dtmi:dtdl:instance:Schema:string;3",
                                           "dtmi:dtdl:instance:Schema:string;2", NULL};
static const char *const key_schemas2[] = {"string", "dtmi:dtdl:instance:Schema:string;2", NULL};

/* DTDL v3 */
static const mdef v3_interface[] = {
    ENTITY,
    {.prop = MODEL_P_CONTENTS, .k = K_EL, .max = INF, .classes = M_CONTENT, .v2ok = true},
    {.prop = MODEL_P_EXTENDS, .k = K_EL, .max = INF, .classes = M(MODEL_C_INTERFACE), .v2ok = true},
    {.prop = MODEL_P_SCHEMAS, .k = K_EL, .max = INF, .classes = M_COMPLEX},
    END};
static const mdef v3_telemetry[] = {ENTITY, NAME, SCHEMA3, END};
static const mdef v3_property[] = {ENTITY, NAME, SCHEMA3, WRITABLE, END};
static const mdef v3_command[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_REQUEST, .k = K_EL, .max = 1, .classes = M(MODEL_C_REQUEST)},
    {.prop = MODEL_P_RESPONSE, .k = K_EL, .max = 1, .classes = M(MODEL_C_RESPONSE)},
    {.prop = MODEL_P_COMMANDTYPE, .k = K_SV, .max = 1, .values = command_types3},
    END};
static const mdef v3_payload[] = {ENTITY, NAME, SCHEMA3, END};
static const mdef v3_relationship[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_MAXMULTIPLICITY, .k = K_RI, .max = 1, .lo = 1, .hi = INT32_MAX},
    MIN_MULT,
    {.prop = MODEL_P_PROPERTIES, .k = K_EL, .max = INF, .classes = M(MODEL_C_PROPERTY), .v2ok = true},
    TARGET, WRITABLE, END};
static const mdef v3_component[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_SCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M(MODEL_C_INTERFACE),
     .v2ok = true},
    END};
static const mdef v3_array[] = {ENTITY, ELEMENT_SCHEMA3, END};
static const mdef v3_enum[] = {
    ENTITY,
    {.prop = MODEL_P_VALUESCHEMA, .k = K_SV, .min = 1, .max = 1, .values = value_schemas3},
    {.prop = MODEL_P_ENUMVALUES, .k = K_EL, .max = INF, .classes = M(MODEL_C_ENUMVALUE)},
    END};
static const mdef v3_enumvalue[] = {ENTITY, NAME, ENUMVALUE, END};
static const mdef v3_map[] = {ENTITY, MAPKEY, MAPVALUE, END};
static const mdef v3_mapkey[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_SCHEMA, .k = K_SV, .min = 1, .max = 1, .values = key_schemas3},
    END};
static const mdef v3_object[] = {
    ENTITY, {.prop = MODEL_P_FIELDS, .k = K_EL, .max = INF, .classes = M(MODEL_C_FIELD)}, END};

/* DTDL v2 (its limits on counts are in the tables; names are shorter) */
static const mdef v2_interface[] = {
    ENTITY,
    {.prop = MODEL_P_CONTENTS, .k = K_EL, .max = INF, .classes = M_CONTENT},
    {.prop = MODEL_P_EXTENDS, .k = K_EL, .max = 2, .classes = M(MODEL_C_INTERFACE)},
    {.prop = MODEL_P_SCHEMAS, .k = K_EL, .max = INF, .classes = M_COMPLEX},
    END};
static const mdef v2_telemetry[] = {ENTITY, NAME, SCHEMA2, END};
static const mdef v2_property[] = {ENTITY, NAME, SCHEMA2, WRITABLE, END};
static const mdef v2_command[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_REQUEST, .k = K_EL, .max = 1, .classes = M(MODEL_C_PAYLOAD)},
    {.prop = MODEL_P_RESPONSE, .k = K_EL, .max = 1, .classes = M(MODEL_C_PAYLOAD)},
    {.prop = MODEL_P_COMMANDTYPE, .k = K_SV, .max = 1, .values = command_types2},
    END};
static const mdef v2_payload[] = {ENTITY, NAME, SCHEMA2, END};
static const mdef v2_relationship[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_MAXMULTIPLICITY, .k = K_RI, .max = 1, .lo = 1, .hi = 500},
    MIN_MULT,
    {.prop = MODEL_P_PROPERTIES, .k = K_EL, .max = 300, .classes = M(MODEL_C_PROPERTY)},
    TARGET, WRITABLE, END};
static const mdef v2_component[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_SCHEMA, .k = K_EL, .min = 1, .max = 1, .classes = M(MODEL_C_INTERFACE)},
    END};
static const mdef v2_array[] = {ENTITY, ELEMENT_SCHEMA2, END};
static const mdef v2_enum[] = {
    ENTITY,
    {.prop = MODEL_P_VALUESCHEMA, .k = K_SV, .min = 1, .max = 1, .values = value_schemas2},
    {.prop = MODEL_P_ENUMVALUES, .k = K_EL, .min = 1, .max = 100, .classes = M(MODEL_C_ENUMVALUE)},
    END};
static const mdef v2_mapkey[] = {
    ENTITY, NAME,
    {.prop = MODEL_P_SCHEMA, .k = K_SV, .min = 1, .max = 1, .values = key_schemas2},
    END};
static const mdef v2_object[] = {
    ENTITY,
    {.prop = MODEL_P_FIELDS, .k = K_EL, .min = 1, .max = 30, .classes = M(MODEL_C_FIELD)},
    END};

/* Indexed by class; NULL: the class does not exist in that version. */
static const mdef *const classes_v3[MODEL_C_COUNT] = {
    v3_interface, v3_telemetry, v3_property, v3_command, v3_payload, v3_payload, NULL,
    v3_relationship, v3_component, v3_array, v3_enum, v3_enumvalue, v3_map, v3_mapkey,
    v3_payload, v3_object, v3_payload,
};
static const mdef *const classes_v2[MODEL_C_COUNT] = {
    v2_interface, v2_telemetry, v2_property, v2_command, NULL, NULL, v2_payload,
    v2_relationship, v2_component, v2_array, v2_enum, v3_enumvalue, v3_map, v2_mapkey,
    v2_payload, v2_object, v2_payload,
};

/* The class an element of this member has when it omits @type. */
static int inferred_class(int prop, int ver)
{
    switch (prop) {
    case MODEL_P_REQUEST: return ver == 3 ? MODEL_C_REQUEST : MODEL_C_PAYLOAD;
    case MODEL_P_RESPONSE: return ver == 3 ? MODEL_C_RESPONSE : MODEL_C_PAYLOAD;
    case MODEL_P_ENUMVALUES: return MODEL_C_ENUMVALUE;
    case MODEL_P_MAPKEY: return MODEL_C_MAPKEY;
    case MODEL_P_MAPVALUE: return MODEL_C_MAPVALUE;
    case MODEL_P_FIELDS: return MODEL_C_FIELD;
    default: return -1;
    }
}

/* ---- extensions ------------------------------------------------------------ */

enum { X_QT, X_ANNOTATION, X_HISTORIZATION, X_MQTT, X_OVERRIDING, X_COUNT };

#define IOTCENTRAL_CONTEXT "dtmi:iotcentral:context;2"

static const char *const ext_base[X_COUNT] = {
    "dtmi:dtdl:extension:quantitativeTypes", "dtmi:dtdl:extension:annotation",
    "dtmi:dtdl:extension:historization", "dtmi:dtdl:extension:mqtt",
    "dtmi:dtdl:extension:overriding",
};

/* Adjunct types other than the semantic types. */
static const struct adjdef {
    const char *term, *dtmi;
    int ext;
    unsigned bit;
    unsigned classes;
} adjdefs[] = {
    {"Historized", "dtmi:dtdl:extension:historization:v1:Historized", X_HISTORIZATION,
     MODEL_A_HISTORIZED, M(MODEL_C_PROPERTY) | M(MODEL_C_TELEMETRY)},
    {"ValueAnnotation", "dtmi:dtdl:extension:annotation:v1:ValueAnnotation", X_ANNOTATION,
     MODEL_A_ANNOTATION, M(MODEL_C_PROPERTY) | M(MODEL_C_TELEMETRY)},
    {"Override", "dtmi:dtdl:extension:overriding:v1:Override", X_OVERRIDING, MODEL_A_OVERRIDE,
     M(MODEL_C_PROPERTY)},
    {"Mqtt", "dtmi:dtdl:extension:mqtt:v1:Mqtt", X_MQTT, MODEL_A_MQTT, M(MODEL_C_INTERFACE)},
    {"Idempotent", "dtmi:dtdl:extension:mqtt:v1:Idempotent", X_MQTT, MODEL_A_IDEMPOTENT,
     M(MODEL_C_COMMAND)},
    {"Cacheable", "dtmi:dtdl:extension:mqtt:v1:Cacheable", X_MQTT, MODEL_A_CACHEABLE,
     M(MODEL_C_COMMAND)},
    {"Indexed", "dtmi:dtdl:extension:mqtt:v1:Indexed", X_MQTT, MODEL_A_INDEXED,
     M(MODEL_C_TELEMETRY) | M(MODEL_C_FIELD) | M(MODEL_C_ENUMVALUE)},
};
#define SEMANTIC_CLASSES                                                                           \
    (M(MODEL_C_PROPERTY) | M(MODEL_C_TELEMETRY) | M(MODEL_C_REQUEST) | M(MODEL_C_RESPONSE) |      \
     M(MODEL_C_FIELD) | M(MODEL_C_MAPVALUE))

/* Members the adjunct types add. */
enum { XP_UNIT, XP_ANNOTATES, XP_OVERRIDES, XP_PAYLOAD_FORMAT, XP_TELEMETRY_TOPIC,
       XP_COMMAND_TOPIC, XP_TTL, XP_INDEX, XP_COUNT };
static const struct xpdef {
    const char *term, *dtmi;
    unsigned adj;
    bool required;
} xpdefs[XP_COUNT] = {
    {"unit", "dtmi:dtdl:extension:quantitativeTypes:v1:property:unit", MODEL_A_SEMANTIC, true},
    {"annotates", "dtmi:dtdl:extension:annotation:v1:ValueAnnotation:annotates",
     MODEL_A_ANNOTATION, true},
    {"overrides", "dtmi:dtdl:extension:overriding:v1:Override:overrides", MODEL_A_OVERRIDE, true},
    {"payloadFormat", "dtmi:dtdl:extension:mqtt:v1:Mqtt:payloadFormat", MODEL_A_MQTT, true},
    {"telemetryTopic", "dtmi:dtdl:extension:mqtt:v1:Mqtt:telemetryTopic", MODEL_A_MQTT, false},
    {"commandTopic", "dtmi:dtdl:extension:mqtt:v1:Mqtt:commandTopic", MODEL_A_MQTT, false},
    {"ttl", "dtmi:dtdl:extension:mqtt:v1:Cacheable:ttl", MODEL_A_CACHEABLE, true},
    {"index", "dtmi:dtdl:extension:mqtt:v1:Indexed:index", MODEL_A_INDEXED, true},
};

/* ---- active context ---------------------------------------------------------- */

#define MAX_CONTEXTS 16

/* The contexts in force on an element: de-versioned DTMI -> version, the
   element's own @context applied over its parent's, later values winning. */
typedef struct actx {
    int n;
    const char *base[MAX_CONTEXTS];
    size_t blen[MAX_CONTEXTS];
    const char *ver[MAX_CONTEXTS];
} actx;

/* ---- state ----------------------------------------------------------------- */

typedef struct builder {
    const gm_dtdl_opts *o;
    gm_dtdl_report *rep;
    model__graph *g;
    gm_vec nodes;        /* model__node */
    gm_vec edges;        /* model__edge, in discovery order */
    const char *file;
    gm_map *unres;       /* the unresolved identifiers reported */
    bool nomem;
} builder;

int model__report_vadd(gm_dtdl_report *r, const char *file, const char *where, const char *fmt,
                       va_list ap)
{
    if (r->nproblems >= GM_DTDL_MAX_PROBLEMS) {
        r->dropped++;
        return 0;
    }
    if (r->nproblems == r->capproblems) {
        size_t nc = r->capproblems ? 2 * r->capproblems : 8;
        gm_dtdl_problem *p = realloc(r->problems, nc * sizeof *p);
        if (!p)
            return GM_ENOMEM;
        r->problems = p;
        r->capproblems = nc;
    }
    gm_dtdl_problem *p = &r->problems[r->nproblems++];
    p->file = file;
    snprintf(p->where, sizeof p->where, "%s", where ? where : "");
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    return 0;
}

int model__report_add(gm_dtdl_report *r, const char *file, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = model__report_vadd(r, file, where, fmt, ap);
    va_end(ap);
    return rc;
}

static void problem(builder *B, const char *file, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(builder *B, const char *file, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (model__report_vadd(B->rep, file, where, fmt, ap))
        B->nomem = true;
    va_end(ap);
}

#define PROBLEM(B, where, ...) problem((B), (B)->file, (where), __VA_ARGS__)

static void unresolved(builder *B, const char *id)
{
    gm_dtdl_report *r = B->rep;
    bool created;
    if (!gm_map_sslot(B->unres, id, strlen(id), &created)) {
        B->nomem = true;
        return;
    }
    if (!created)
        return;
    if (r->nunresolved == r->capunresolved) {
        size_t nc = r->capunresolved ? 2 * r->capunresolved : 8;
        char **u = realloc(r->unresolved, nc * sizeof *u);
        if (!u) {
            B->nomem = true;
            return;
        }
        r->unresolved = u;
        r->capunresolved = nc;
    }
    char *s = strdup(id);
    if (!s) {
        B->nomem = true;
        return;
    }
    r->unresolved[r->nunresolved++] = s;
}

void gm_dtdl_report_free(gm_dtdl_report *rep)
{
    if (!rep)
        return;
    free(rep->problems);
    for (size_t i = 0; i < rep->nunresolved; i++)
        free(rep->unresolved[i]);
    free(rep->unresolved);
    memset(rep, 0, sizeof *rep);
}

static model__node *node_at(builder *B, int i)
{
    return (model__node *)B->nodes.data + i;
}

static const char *arena_path(builder *B, const char *path)
{
    const char *s = gm_arena_strdup(B->g->arena, path);
    if (!s)
        B->nomem = true;
    return s ? s : "";
}

/* ---- small predicates -------------------------------------------------------- */

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A DTMI under the v3 rules (the most permissive): any length up to 2048. */
static bool is_dtmi(const char *s)
{
    return gm_dtmi_check(s, GM_DTDL_V3, false, NULL, NULL) == 0;
}

/* A DTMI valid in language version ver. */
static bool is_dtmi_v(const char *s, int ver)
{
    return gm_dtmi_check(s, ver, false, NULL, NULL) == 0;
}

/* The standard schema (primitive or geospatial) s names in version ver, or
   -1: its term, or its DTMI form of that version. */
static int std_schema(const char *s, int ver)
{
    static const char *const prefixes[] = {"dtmi:dtdl:instance:Schema:",
                                           "dtmi:standard:schema:geospatial:"};
    for (size_t i = 0; i < 2; i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(s, prefixes[i], pl) != 0)
            continue;
        const char *semi = strchr(s + pl, ';');
        char term[32];
        size_t tl = semi ? (size_t)(semi - (s + pl)) : 0;
        if (!semi || tl == 0 || tl >= sizeof term || semi[1] != (char)('0' + ver) || semi[2])
            return -1;
        memcpy(term, s + pl, tl);
        term[tl] = '\0';
        int k = gm_schema_primitive(term);
        bool geo = k >= GM_SCHEMA_POINT && k <= GM_SCHEMA_MULTIPOLYGON;
        return k >= 0 && geo == (i == 1) ? k : -1;
    }
    if (strchr(s, ':'))
        return -1;
    return gm_schema_primitive(s);
}

static const char *const xsd_names[] = {"string", "integer", "boolean"};
enum { LIT_STRING, LIT_INTEGER, LIT_BOOLEAN };

static bool bare_literal(const json_t *v, int kind)
{
    switch (kind) {
    case LIT_STRING: return json_is_string(v);
    case LIT_INTEGER:
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX;
    default: return json_is_boolean(v);
    }
}

/* A keyword a DTDL v2 value object may carry and that is then ignored:
   any but the ones that would make it a node (@id, @context, @graph). */
static bool v2_ignored_keyword(const char *k, int ver)
{
    return ver == 2 && k[0] == '@' && strcmp(k, "@id") && strcmp(k, "@context") &&
           strcmp(k, "@graph");
}

/* A literal of kind, bare or as a JSON-LD value object {"@value": v,
   "@type"?: "xsd:<kind>"} (in DTDL v2 with other keywords ignored); the
   literal, or NULL after reporting. */
static const json_t *literal(builder *B, const json_t *v, int kind, int ver, const char *where)
{
    if (bare_literal(v, kind))
        return v;
    const char *want = xsd_names[kind];
    if (!json_is_object(v)) {
        PROBLEM(B, where, "expected a %s%s, found %s", want,
                kind == LIT_INTEGER ? " (32-bit)" : "", gm_json_type_name(v));
        return NULL;
    }
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        if (strcmp(k, "@value") && strcmp(k, "@type") && !v2_ignored_keyword(k, ver)) {
            PROBLEM(B, where, "a value object holds only @value and @type, not '%s'", k);
            return NULL;
        }
    }
    const json_t *val = json_object_get(v, "@value");
    if (!val) {
        PROBLEM(B, where, "a value object needs @value");
        return NULL;
    }
    const json_t *t = json_object_get(v, "@type");
    if (t) {
        char xsd[48], iri[64];
        snprintf(xsd, sizeof xsd, "xsd:%s", want);
        snprintf(iri, sizeof iri, "http://www.w3.org/2001/XMLSchema#%s", want);
        const json_t *t0 = json_is_array(t) && json_array_size(t) == 1 ? json_array_get(t, 0) : t;
        const char *ts = json_string_value(t0);
        if (!ts || (strcmp(ts, xsd) && strcmp(ts, iri))) {
            PROBLEM(B, where, "the value object's @type must be %s", xsd);
            return NULL;
        }
    }
    if (!bare_literal(val, kind)) {
        PROBLEM(B, where, "@value must be a %s%s, found %s", want,
                kind == LIT_INTEGER ? " (32-bit)" : "", gm_json_type_name(val));
        return NULL;
    }
    return val;
}

/* BCP 47 as DTDL restricts it: language, optional script, optional region. */
static bool lang_code(const char *s)
{
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 4)
        return false;
    if (s[i] == '-' && s[i + 1] >= 'A' && s[i + 1] <= 'Z') {
        size_t j = i + 2;
        while (s[j] >= 'a' && s[j] <= 'z')
            j++;
        if (j - i - 2 == 3 && (s[j] == '-' || s[j] == '\0'))
            i = j;
    }
    if (s[i] == '-') {
        const char *r = s + i + 1;
        bool upper2 = r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z' && !r[2];
        bool digit3 = r[0] >= '0' && r[0] <= '9' && r[1] >= '0' && r[1] <= '9' && r[2] >= '0' &&
                      r[2] <= '9' && !r[3];
        return upper2 || digit3;
    }
    return s[i] == '\0';
}

static void string_length(builder *B, const char *s, size_t max, const char *where)
{
    size_t n = 0; /* characters, not bytes */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    if (n > max)
        PROBLEM(B, where, "longer than %zu characters (%zu)", max, n);
}

/* A localizable string: a string (the default language), an object of
   language codes to strings, or an array of strings and value objects
   {"@value": string, "@language"?: code} with one value per language (in
   DTDL v2 with other keywords ignored). */
static void langstring(builder *B, const json_t *v, size_t max, int ver, const char *path)
{
    char p[GM_ERR_WHERE_MAX];
    if (json_is_string(v)) {
        string_length(B, json_string_value(v), max, path);
        return;
    }
    if (json_is_object(v)) {
        const char *k;
        const json_t *s;
        json_object_foreach((json_t *)v, k, s) {
            gm_json_path_key(p, sizeof p, path, k);
            if (!lang_code(k))
                PROBLEM(B, p, "'%s' is not a language code (such as en, en-US, zh-Hans)", k);
            if (!json_is_string(s))
                PROBLEM(B, p, "expected a string, found %s", gm_json_type_name(s));
            else
                string_length(B, json_string_value(s), max, p);
        }
        return;
    }
    if (!json_is_array(v)) {
        PROBLEM(B, path, "expected a string, an object of language codes to strings or an array, "
                         "found %s", gm_json_type_name(v));
        return;
    }
    size_t n = json_array_size(v), defaults = 0;
    if (n > MAX_LANG_VALUES) {
        PROBLEM(B, path, "more than %d values (one per language)", MAX_LANG_VALUES);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        gm_json_path_index(p, sizeof p, path, i);
        if (json_is_string(x)) {
            defaults++;
            string_length(B, json_string_value(x), max, p);
            continue;
        }
        if (!json_is_object(x)) {
            PROBLEM(B, p, "expected a string or a value object, found %s", gm_json_type_name(x));
            continue;
        }
        const char *k;
        const json_t *y;
        bool bad = false;
        json_object_foreach((json_t *)x, k, y) {
            if (strcmp(k, "@value") && strcmp(k, "@language") && !v2_ignored_keyword(k, ver) &&
                !bad) {
                PROBLEM(B, p, "a value object holds only @value and @language, not '%s'", k);
                bad = true;
            }
        }
        const json_t *val = json_object_get(x, "@value");
        if (bad)
            continue;
        if (!val) {
            PROBLEM(B, p, "a value object needs @value");
            continue;
        }
        if (!json_is_string(val)) {
            PROBLEM(B, p, "@value must be a string, found %s", gm_json_type_name(val));
            continue;
        }
        string_length(B, json_string_value(val), max, p);
        const json_t *l = json_object_get(x, "@language");
        if (!l) {
            defaults++;
            continue;
        }
        const char *ls = json_string_value(l);
        if (!ls || !lang_code(ls)) {
            PROBLEM(B, p, "@language must be a language code (such as en, en-US)");
            continue;
        }
        if (strcmp(ls, "en") == 0)
            defaults++;
        for (size_t j = 0; j < i; j++) {
            const char *lj = json_string_value(json_object_get(json_array_get(v, j), "@language"));
            if (lj && strcmp(lj, ls) == 0) {
                PROBLEM(B, p, "a second value for language '%s'", ls);
                break;
            }
        }
    }
    if (defaults > 1)
        PROBLEM(B, path, "more than one value in the default language (en)");
}

/* ---- phase 1: the walk ------------------------------------------------------- */

static int element(builder *B, const json_t *obj, unsigned allowed, bool v2ok, const actx *outer,
                   int parent, int prop, int partition, bool toplevel, const char *path, int depth);

/* Apply an element's @context to the inherited one; false after reporting. */
static bool apply_context(builder *B, const json_t *c, bool toplevel, actx *a, const char *path)
{
    char p[GM_ERR_WHERE_MAX];
    gm_json_path_key(p, sizeof p, path, "@context");
    if (!json_is_string(c) && !json_is_array(c)) {
        PROBLEM(B, p, "@context must be a string or an array of strings, found %s",
                gm_json_type_name(c));
        return false;
    }
    size_t n = json_is_array(c) ? json_array_size(c) : 1;
    bool ok = true, has3 = false, has2 = false;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_is_array(c) ? json_array_get(c, i) : c;
        if (!json_is_string(x)) {
            PROBLEM(B, p, "@context must hold only DTMI strings (no local definitions), found %s",
                    gm_json_type_name(x));
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_is_array(c) ? json_array_get(c, i) : c);
        if (!is_dtmi(s) || !strchr(s, ';')) {
            PROBLEM(B, p, "'%s' is not a context: expected a DTMI with a version", s);
            ok = false;
        }
        has3 |= strcmp(s, "dtmi:dtdl:context;3") == 0;
        has2 |= strcmp(s, "dtmi:dtdl:context;2") == 0;
    }
    if (toplevel && !has3 && !has2) {
        PROBLEM(B, p, "a top-level element's @context must include dtmi:dtdl:context;3 (or ;2)");
        ok = false;
    }
    if (has3 || has2) {
        /* the DTDL context comes first; v2 lets its one language extension,
           IoT Central's, come before it too */
        const char *dtdl = has3 ? "dtmi:dtdl:context;3" : "dtmi:dtdl:context;2";
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_is_array(c) ? json_array_get(c, i) : c);
            if (strcmp(s, dtdl) == 0)
                break;
            if (!starts(s, "dtmi:dtdl:context;") && (has3 || strcmp(s, IOTCENTRAL_CONTEXT))) {
                PROBLEM(B, p, "'%s' comes before %s, which must come first", s, dtdl);
                ok = false;
            }
        }
    }
    if (!ok)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_is_array(c) ? json_array_get(c, i) : c);
        const char *semi = strchr(s, ';');
        size_t bl = (size_t)(semi - s);
        int j = 0;
        while (j < a->n && !(a->blen[j] == bl && memcmp(a->base[j], s, bl) == 0))
            j++;
        if (j == a->n) {
            if (a->n == MAX_CONTEXTS) {
                PROBLEM(B, p, "more than %d distinct contexts", MAX_CONTEXTS);
                return false;
            }
            a->n++;
        }
        a->base[j] = s;
        a->blen[j] = bl;
        a->ver[j] = semi + 1;
    }
    return true;
}

/* The DTDL version of an active context (0 when unknown), the known
   extensions in force (bit per X_*) and whether an undefined one is. IoT
   Central's context is a language extension DTDL v2 defines: known in v2,
   although gemel knows none of its terms (docs/models.md). */
static int context_version(const actx *a, unsigned *exts, bool *undefined)
{
    int ver = 0;
    bool central = false;
    *exts = 0;
    *undefined = false;
    for (int i = 0; i < a->n; i++) {
        size_t cl = sizeof IOTCENTRAL_CONTEXT - 3; /* without ";2" */
        if (a->blen[i] == cl && memcmp(a->base[i], IOTCENTRAL_CONTEXT, cl) == 0 &&
            strcmp(a->ver[i], "2") == 0) {
            central = true;
            continue;
        }
        if (a->blen[i] == 17 && memcmp(a->base[i], "dtmi:dtdl:context", 17) == 0) {
            ver = strcmp(a->ver[i], "3") == 0 ? 3 : strcmp(a->ver[i], "2") == 0 ? 2 : 0;
            if (!ver)
                ver = -1;
            continue;
        }
        int x = 0;
        while (x < X_COUNT &&
               !(strlen(ext_base[x]) == a->blen[i] && memcmp(ext_base[x], a->base[i], a->blen[i]) == 0))
            x++;
        if (x < X_COUNT && strcmp(a->ver[i], "1") == 0)
            *exts |= 1u << x;
        else
            *undefined = true;
    }
    if (central && ver != 2)
        *undefined = true;
    return ver;
}

static int push_edge(builder *B, int from, int prop, int kind, int to, int std, const char *ref,
                     unsigned classes, bool v2ok, const char *where)
{
    model__edge e = {from, prop, kind, to, std, ref, classes, v2ok, arena_path(B, where)};
    if (gm_vec_push(&B->edges, &e)) {
        B->nomem = true;
        return -1;
    }
    return 0;
}

/* The class a material type term or DTMI names in version ver, or -1. */
static int material_class(const char *s, int ver)
{
    const mdef *const *tab = ver == 3 ? classes_v3 : classes_v2;
    const char *name = s;
    char buf[64];
    if (starts(s, "dtmi:dtdl:class:")) {
        const char *semi = strchr(s, ';');
        size_t l = semi ? (size_t)(semi - s - 16) : 0;
        if (!semi || l == 0 || l >= sizeof buf || semi[1] != (char)('0' + ver) || semi[2])
            return -1;
        memcpy(buf, s + 16, l);
        buf[l] = '\0';
        name = buf;
    } else if (strchr(s, ':')) {
        return -1;
    }
    for (int c = 0; c < MODEL_C_COUNT; c++)
        if (tab[c] && strcmp(name, class_names[c]) == 0)
            return c;
    return -1;
}

/* Check one member's values (the member is defined for the node's class). */
static void member(builder *B, int ni, const mdef *d, const json_t *v, const actx *a,
                   const char *path, int depth)
{
    model__node *nd = node_at(B, ni);
    int ver = nd->ver;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    const char *pname = prop_names[d->prop];
    size_t maxlen = ver == 2 && (d->prop == MODEL_P_NAME || d->prop == MODEL_P_DISPLAYNAME) ? 64 : 512;
    if (d->k == K_LS) {
        langstring(B, v, maxlen, ver, path);
        return;
    }
    if (n < (size_t)d->min || n > (size_t)d->max) {
        if (d->max == 1 && d->min == 1)
            PROBLEM(B, path, "'%s' takes exactly one value, found %zu", pname, n);
        else if (d->max == 1)
            PROBLEM(B, path, "'%s' takes at most one value, found %zu", pname, n);
        else if (n < (size_t)d->min)
            PROBLEM(B, path, "'%s' needs at least %d value%s", pname, d->min, d->min > 1 ? "s" : "");
        else
            PROBLEM(B, path, "'%s' takes at most %d values, found %zu", pname, d->max, n);
        return;
    }
    for (size_t i = 0; i < n && !B->nomem; i++) {
        const json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
        char p[GM_ERR_WHERE_MAX];
        if (json_is_array(v))
            gm_json_path_index(p, sizeof p, path, i);
        else
            snprintf(p, sizeof p, "%s", path);
        nd = node_at(B, ni);
        switch (d->k) {
        case K_RS: {
            const json_t *s = literal(B, x, LIT_STRING, ver, p);
            if (!s)
                break;
            string_length(B, json_string_value(s), maxlen, p);
            if (d->pattern) {
                if (gm_dtmi_segment(json_string_value(s)))
                    nd->name = json_string_value(s);
                else
                    PROBLEM(B, p, "'%s' is not a name: letters, digits and underscores, starting "
                                  "with a letter and not ending with an underscore",
                            json_string_value(s));
            }
            break;
        }
        case K_RB: {
            const json_t *b = literal(B, x, LIT_BOOLEAN, ver, p);
            if (b)
                nd->writable = json_is_true(b);
            break;
        }
        case K_RI: {
            const json_t *iv = literal(B, x, LIT_INTEGER, ver, p);
            if (!iv)
                break;
            long long k = json_integer_value(iv);
            if (k < d->lo || k > d->hi) {
                if (d->lo == d->hi)
                    PROBLEM(B, p, "'%s' must be %ld, found %lld", pname, d->lo, k);
                else
                    PROBLEM(B, p, "'%s' must be in [%ld, %ld], found %lld", pname, d->lo, d->hi, k);
            } else if (d->prop == MODEL_P_MAXMULTIPLICITY) {
                nd->max_multiplicity = (long)k;
            }
            break;
        }
        case K_DTMI: {
            const char *s = json_string_value(x);
            if (!s || !is_dtmi_v(s, ver)) {
                gm_err e;
                gm_err_clear(&e);
                if (s)
                    gm_dtmi_check(s, ver, false, NULL, &e);
                PROBLEM(B, p, "'%s' must be a DTMI%s%s", pname, s ? ": " : "",
                        s ? e.what : ", found a non-string");
                break;
            }
            nd->target = s;
            break;
        }
        case K_SV: {
            const char *s = json_string_value(x);
            if (!s || !in_list(s, d->values)) {
                char list[256] = "";
                size_t len = 0;
                for (size_t j = 0; d->values[j] && !strchr(d->values[j], ':'); j++)
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                            d->values[j]);
                PROBLEM(B, p, "'%s' must be one of %s (or its DTMI), found %s%s%s", pname, list,
                        s ? "'" : "", s ? s : gm_json_type_name(x), s ? "'" : "");
                break;
            }
            if (d->prop == MODEL_P_VALUESCHEMA) {
                nd->value_schema_set = true;
                nd->enum_strings = strstr(s, "string") != NULL;
            }
            break;
        }
        case K_EV: nd->enum_raw = x; break;
        case K_EL:
            if (json_is_object(x)) {
                int c = element(B, x, d->classes, d->v2ok, a, ni, d->prop, node_at(B, ni)->partition,
                                false, p, depth + 1);
                if (c >= 0)
                    push_edge(B, ni, d->prop, MODEL_E_NODE, c, -1, NULL, 0, false, p);
            } else if (json_is_string(x)) {
                const char *s = json_string_value(x);
                int k = d->std ? std_schema(s, ver) : -1;
                /* a unit type is an Enum the quantitativeTypes extension
                   defines, a schema where its context is in force */
                int ut = d->std && k < 0 ? gm_units_unit_type_find(s) : -1;
                bool qt = ver == 3 && (nd->exts & (1u << X_QT));
                if (k >= 0)
                    push_edge(B, ni, d->prop, MODEL_E_STD, -1, k, NULL, 0, false, p);
                else if (ut >= 0 && qt)
                    push_edge(B, ni, d->prop, MODEL_E_UNIT, -1, ut, NULL, 0, false, p);
                else if (is_dtmi(s) && ut < 0)
                    push_edge(B, ni, d->prop, MODEL_E_REF, -1, -1, s, d->classes, d->v2ok, p);
                else if (ut >= 0)
                    PROBLEM(B, p, "'%s' is a unit type of the quantitativeTypes extension, a "
                                  "schema only where dtmi:dtdl:extension:quantitativeTypes;1 is "
                                  "in force (DTDL v3)", s);
                else if (d->std)
                    PROBLEM(B, p, "'%s' is not a schema: expected a primitive schema term, a DTMI "
                                  "or a complex schema object", s);
                else
                    PROBLEM(B, p, "'%s' is not a DTMI; expected a DTMI or an element object", s);
            } else {
                PROBLEM(B, p, "expected %s, found %s",
                        d->std ? "a schema term, a DTMI or an element object"
                               : "a DTMI or an element object",
                        gm_json_type_name(x));
            }
            break;
        case K_LS: break;
        }
    }
}

/* A character of an MQTT topic level (the mqtt extension's grammar):
   printable ASCII but '"', '#', '+', '/', '{', '}', and '$' only after the
   topic's first character. */
static bool topic_char(char c, bool first)
{
    return c >= '!' && c <= '~' && c != '"' && c != '#' && c != '+' && c != '/' && c != '{' &&
           c != '}' && !(first && c == '$');
}

/* An mqtt telemetryTopic or commandTopic: levels separated by '/', each
   literal or a token "{name}" / "{prefix:name}" of letters. */
static bool topic_pattern(const char *s)
{
    bool first = true;
    for (;;) {
        if (*s == '{') {
            const char *p = ++s;
            while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                s++;
            if (*s == ':' && s > p) {
                p = ++s;
                while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                    s++;
            }
            if (s == p || *s++ != '}')
                return false;
        } else {
            const char *p = s;
            while (topic_char(*s, first && s == p))
                s++;
            if (s == p)
                return false;
        }
        first = false;
        if (*s == '\0')
            return true;
        if (*s++ != '/')
            return false;
    }
}

/* Check an extension member's value. */
static void ext_member(builder *B, int ni, int xp, const json_t *v, const char *path)
{
    model__node *nd = node_at(B, ni);
    if (json_is_array(v)) {
        if (json_array_size(v) != 1) {
            PROBLEM(B, path, "'%s' takes exactly one value", xpdefs[xp].term);
            return;
        }
        v = json_array_get(v, 0);
    }
    const json_t *lit;
    switch (xp) {
    case XP_UNIT: {
        const char *s = json_string_value(v);
        const char *u = s ? gm_units_unit_of(nd->semtype, s, nd->ver) : NULL;
        if (!u) {
            char list[GM_ERR_WHAT_MAX / 2];
            gm_units_list(nd->semtype, nd->ver, list, sizeof list);
            PROBLEM(B, path, "'%s' is not a unit of %s (%s: %s)", s ? s : gm_json_type_name(v),
                    gm_units_semantic_name(nd->semtype), gm_units_unit_type(nd->semtype), list);
            return;
        }
        nd->unit = u;
        return;
    }
    case XP_INDEX:
        lit = literal(B, v, LIT_INTEGER, nd->ver, path);
        if (lit && json_integer_value(lit) < 1)
            PROBLEM(B, path, "'index' must be at least 1, found %lld",
                    (long long)json_integer_value(lit));
        else if (lit)
            nd->index = (long)json_integer_value(lit);
        return;
    case XP_TTL: {
        static const gm_schema duration = {.kind = GM_SCHEMA_DURATION};
        lit = literal(B, v, LIT_STRING, nd->ver, path);
        gm_err e;
        gm_err_clear(&e);
        if (lit && gm_schema_check(&duration, lit, path, &e))
            PROBLEM(B, path, "'ttl': %s", e.what);
        return;
    }
    case XP_OVERRIDES: {
        const char *s = json_string_value(v);
        if (!s || (!is_dtmi(s) && strchr(s, ':'))) {
            PROBLEM(B, path, "'overrides' must be the term or DTMI of an extension property");
            return;
        }
        nd->overrides = s;
        for (int k = 0; k < XP_COUNT; k++)
            if (strcmp(s, xpdefs[k].dtmi) == 0)
                nd->overrides = xpdefs[k].term;
        return;
    }
    default:
        lit = literal(B, v, LIT_STRING, nd->ver, path);
        if (!lit)
            return;
        if (xp == XP_ANNOTATES)
            nd->annotates = json_string_value(lit);
        if (xp == XP_TELEMETRY_TOPIC || xp == XP_COMMAND_TOPIC) {
            const char *s = json_string_value(lit);
            if (!topic_pattern(s))
                PROBLEM(B, path, "'%s' is not an MQTT topic pattern: non-empty levels separated "
                                 "by '/', each printable ASCII without '#', '+', '{', '}' or a "
                                 "leading '$', or a token such as {senderId} or {ex:name}", s);
        }
        return;
    }
}

/* Co-type node nd with semantic type st (written x), where the classes
   given may carry one. The same type twice is one type (@type is a set). */
static void semantic(builder *B, model__node *nd, int st, const char *x, unsigned classes,
                     const char *where)
{
    if (!(classes & M(nd->cls))) {
        PROBLEM(B, where, "semantic type '%s' does not apply to a %s", x, class_names[nd->cls]);
    } else if ((nd->adj & MODEL_A_SEMANTIC) && nd->semtype != st) {
        PROBLEM(B, where, "a second semantic type '%s'", x);
        return; /* the unit is judged by the first */
    }
    nd->adj |= MODEL_A_SEMANTIC;
    nd->semtype = st;
}

/* A co-type that looks like a DTMI but is none, after reporting it. */
static bool bad_dtmi_cotype(builder *B, const char *x, const char *where)
{
    if (!starts(x, "dtmi:") || is_dtmi(x))
        return false;
    PROBLEM(B, where, "co-type '%s' is not a valid DTMI", x);
    return true;
}

/* A co-type no context in force defines for this element: accepted (true:
   it opens the element) only where undefined extensions are in force and
   allowed. */
static bool undefined_cotype(builder *B, const model__node *nd, const char *x, bool undefined_ok,
                             const char *where)
{
    if (undefined_ok)
        return true;
    PROBLEM(B, where, "co-type '%s' is not defined for a %s by the contexts in force%s", x,
            class_names[nd->cls],
            B->o->allow_undefined_extensions ? "" : " (undefined extensions are not allowed)");
    return false;
}

/* Recognise one @type value that is not the element's class: an extension
   adjunct type in force, or something the element may only carry when
   undefined extensions are in force and allowed. True when x is such an
   undefined co-type: it opens the element to undefined members. */
static bool cotype(builder *B, int ni, const char *x, unsigned exts, bool undefined_ok,
                   const char *where)
{
    model__node *nd = node_at(B, ni);
    if (nd->ver == 3 && (exts & (1u << X_QT))) {
        int st = gm_units_semantic_type(x, 3);
        if (st >= 0) {
            semantic(B, nd, st, x, SEMANTIC_CLASSES, where);
            return false;
        }
    }
    for (size_t i = 0; nd->ver == 3 && i < sizeof adjdefs / sizeof adjdefs[0]; i++) {
        const struct adjdef *ad = &adjdefs[i];
        if (!(exts & (1u << ad->ext)) || (strcmp(x, ad->term) && strcmp(x, ad->dtmi)))
            continue;
        if (!(ad->classes & M(nd->cls)))
            PROBLEM(B, where, "'%s' does not apply to a %s", ad->term, class_names[nd->cls]);
        nd->adj |= ad->bit;
        return false;
    }
    if (bad_dtmi_cotype(B, x, where))
        return false;
    if (!starts(x, "dtmi:") && strchr(x, ':')) {
        PROBLEM(B, where, "co-type '%s' is neither a DTMI nor a term", x);
        return false;
    }
    return undefined_cotype(B, nd, x, undefined_ok, where);
}

/* Terms DTDL v2's context defines besides its semantic types, units and
   unit types (DTDL.v2.md): classes, abstract classes, properties and
   instances. A co-type naming one of them is no undefined term. */
static const char *const v2_terms[] = {
    "Array", "Boolean", "Command", "CommandPayload", "CommandType", "Component", "ComplexSchema",
    "Content", "Date", "DateTime", "Double", "Duration", "Entity", "Enum", "EnumValue", "Field",
    "Float", "Integer", "Interface", "Long", "Map", "MapKey", "MapValue", "NamedEntity",
    "NumericSchema", "Object", "PrimitiveSchema", "Property", "Relationship", "Schema",
    "SchemaField", "SemanticType", "SemanticUnit", "String", "Telemetry", "TemporalSchema", "Time",
    "Unit", "UnitAttribute",
    "commandType", "comment", "contents", "description", "displayName", "elementSchema",
    "enumValue", "enumValues", "extends", "fields", "mapKey", "mapValue", "maxMultiplicity",
    "minMultiplicity", "name", "properties", "request", "response", "schema", "schemas", "target",
    "unit", "valueSchema", "writable",
    "asynchronous", "synchronous", "boolean", "date", "dateTime", "double", "duration", "float",
    "integer", "long", "string", "time", "point", "multiPoint", "lineString", "multiLineString",
    "polygon", "multiPolygon", NULL};

static bool v2_defined_term(const char *x)
{
    if (in_list(x, v2_terms))
        return true;
    for (int st = 0; gm_units_semantic_name(st); st++)
        if (gm_units_semantic_type(gm_units_semantic_name(st), 2) >= 0 &&
            (gm_units_unit_of(st, x, 2) || strcmp(gm_units_unit_type(st), x) == 0))
            return true;
    return false;
}

/* A co-type of a DTDL v2 element. v2 has its semantic types in the base
   context. Beyond them, as the reference parser reads v2, a term the
   context leaves undefined or an IRI that is neither a DTMI nor a term
   opens the element to undefined members, while a term the context defines
   for something else, or a DTMI, needs undefined extensions in force and
   allowed. True when x opens the element. */
static bool cotype2(builder *B, int ni, const char *x, bool undefined_ok, const char *where)
{
    model__node *nd = node_at(B, ni);
    int st = gm_units_semantic_type(x, 2);
    if (st >= 0) {
        semantic(B, nd, st, x, M(MODEL_C_PROPERTY) | M(MODEL_C_TELEMETRY), where);
        return false;
    }
    if (bad_dtmi_cotype(B, x, where))
        return false;
    if (!starts(x, "dtmi:") && (strchr(x, ':') || !v2_defined_term(x)))
        return true;
    return undefined_cotype(B, nd, x, undefined_ok, where);
}

/* Member key k names extension member xp of an element of version ver. */
static bool xp_key(const char *k, int xp, int ver)
{
    if (strcmp(k, xpdefs[xp].term) == 0)
        return true;
    /* v2's unit is a property of the base context */
    return strcmp(k, ver == 2 && xp == XP_UNIT ? "dtmi:dtdl:property:unit;2" : xpdefs[xp].dtmi) == 0;
}

static int element(builder *B, const json_t *obj, unsigned allowed, bool v2ok, const actx *outer,
                   int parent, int prop, int partition, bool toplevel, const char *path, int depth)
{
    char p[GM_ERR_WHERE_MAX];
    if (depth > GM_DTDL_MAX_DEPTH) {
        PROBLEM(B, path, "elements nested deeper than %d", GM_DTDL_MAX_DEPTH);
        return -1;
    }
    if (B->nodes.len >= GM_DTDL_MAX_ELEMENTS) {
        PROBLEM(B, path, "more than %d elements", GM_DTDL_MAX_ELEMENTS);
        return -1;
    }
    actx a = *outer;
    const json_t *ctx = json_object_get(obj, "@context");
    if (ctx && !apply_context(B, ctx, toplevel, &a, path))
        return -1;
    if (!ctx && toplevel) {
        PROBLEM(B, path, "a top-level element needs @context (dtmi:dtdl:context;3)");
        return -1;
    }
    unsigned exts;
    bool undefined;
    int ver = context_version(&a, &exts, &undefined);
    gm_json_path_key(p, sizeof p, path, "@context");
    if (ctx && undefined && !B->o->allow_undefined_extensions)
        PROBLEM(B, p, "a context names an extension gemel does not define (known: "
                      "quantitativeTypes, historization, annotation, overriding, mqtt, all ;1, "
                      "and in DTDL v2 %s); allow undefined extensions to accept it",
                IOTCENTRAL_CONTEXT);
    if (ver != 2 && ver != 3) {
        PROBLEM(B, p, "the DTDL version in force is neither 2 nor 3");
        return -1;
    }
    const model__node *par = parent >= 0 ? node_at(B, parent) : NULL;
    if (ver == 2 && !v2ok && (!par || par->ver == 3)) {
        PROBLEM(B, path, "a DTDL v2 element is not allowed here");
        return -1;
    }
    if (ver == 3 && par && par->ver == 2) {
        PROBLEM(B, p, "a DTDL v3 element cannot be nested in a DTDL v2 element");
        return -1;
    }
    const mdef *const *tab = ver == 3 ? classes_v3 : classes_v2;
    int infer = prop >= 0 ? inferred_class(prop, ver) : -1;
    unsigned want = infer >= 0 ? M(infer) : allowed;

    /* @type: one class this member allows, maybe co-types */
    const json_t *type = json_object_get(obj, "@type");
    gm_json_path_key(p, sizeof p, path, "@type");
    int cls = -1;
    if (type) {
        size_t n = json_is_array(type) ? json_array_size(type) : 1;
        bool strings = json_is_string(type) || json_is_array(type);
        for (size_t i = 0; strings && i < n; i++)
            strings = json_is_string(json_is_array(type) ? json_array_get(type, i) : type);
        if (!strings) {
            PROBLEM(B, p, "@type must be a string or an array of strings");
            return -1;
        }
        int found = -1;
        for (size_t i = 0; i < n; i++) {
            int c = material_class(json_string_value(json_is_array(type) ? json_array_get(type, i) : type), ver);
            if (c >= 0 && (want & M(c)) && cls < 0)
                cls = c;
            if (c >= 0 && found < 0)
                found = c;
        }
        if (cls < 0) {
            if (found >= 0)
                PROBLEM(B, p, "a %s is not allowed here", class_names[found]);
            else
                PROBLEM(B, p, "@type names no DTDL class");
            return -1;
        }
    } else if (infer >= 0) {
        cls = infer;
    } else {
        PROBLEM(B, path, "@type is required");
        return -1;
    }

    model__node rec;
    memset(&rec, 0, sizeof rec);
    rec.obj = obj;
    rec.file = B->file;
    rec.path = arena_path(B, path);
    rec.cls = cls;
    rec.ver = ver;
    rec.parent = parent;
    rec.prop = prop;
    rec.toplevel = toplevel;
    rec.semtype = -1;
    rec.max_multiplicity = -1;
    rec.exts = exts;
    if (gm_vec_push(&B->nodes, &rec)) {
        B->nomem = true;
        return -1;
    }
    int ni = (int)B->nodes.len - 1;
    model__node *nd = node_at(B, ni);
    nd->partition = cls == MODEL_C_INTERFACE || toplevel ? ni : partition;

    /* co-types: in v2 any co-type opens the element to undefined members */
    bool undefined_ok = undefined && B->o->allow_undefined_extensions, informal = false;
    size_t ntypes = type && json_is_array(type) ? json_array_size(type) : type ? 1 : 0;
    for (size_t i = 0; i < ntypes; i++) {
        const char *x = json_string_value(json_is_array(type) ? json_array_get(type, i) : type);
        if (material_class(x, ver) == cls)
            continue; /* the class again, perhaps in its DTMI form */
        informal |= ver == 2 ? cotype2(B, ni, x, undefined_ok, p)
                             : cotype(B, ni, x, exts, undefined_ok, p);
    }
    nd = node_at(B, ni);
    nd->informal = informal;

    /* @id */
    const json_t *jid = json_object_get(obj, "@id");
    gm_json_path_key(p, sizeof p, path, "@id");
    if (jid) {
        const char *id = json_string_value(jid);
        gm_err e;
        gm_err_clear(&e);
        if (json_is_array(jid)) {
            PROBLEM(B, p, "@id must be one DTMI, not an array");
        } else if (!id) {
            PROBLEM(B, p, "@id must be a DTMI string, found %s", gm_json_type_name(jid));
        } else if (gm_dtmi_check(id, ver, false, NULL, &e)) {
            PROBLEM(B, p, "%s", e.what);
        } else if (gm_dtmi_reserved(id)) {
            PROBLEM(B, p, "'%s' is in a namespace DTDL reserves (dtmi:dtdl:, dtmi:standard:)", id);
        } else {
            if (cls == MODEL_C_INTERFACE && strlen(id) > GM_DTMI_INTERFACE_MAX_LEN)
                PROBLEM(B, p, "an Interface's @id is at most %d characters", GM_DTMI_INTERFACE_MAX_LEN);
            bool created;
            void **slot = gm_map_sslot(B->g->ids, id, strlen(id), &created);
            if (!slot) {
                B->nomem = true;
                return -1;
            }
            if (!created) {
                const model__node *o = node_at(B, (int)((uintptr_t)*slot - 1));
                PROBLEM(B, p, "@id '%s' is defined twice (also in %s at %s)", id, o->file,
                        o->path[0] ? o->path : "the root");
            } else {
                *slot = (void *)(uintptr_t)(ni + 1);
                nd->id = id;
            }
        }
    } else if (cls == MODEL_C_INTERFACE) {
        PROBLEM(B, path, "an Interface needs @id");
    } else if (prop == MODEL_P_SCHEMAS) {
        PROBLEM(B, path, "a schema in 'schemas' needs @id");
    }

    /* members */
    const mdef *defs = tab[cls];
    const json_t *seen[MODEL_P_COUNT] = {0};
    const char *seen_key[MODEL_P_COUNT] = {0}; /* as written: term or DTMI */
    const json_t *xseen[XP_COUNT] = {0};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        gm_json_path_key(p, sizeof p, path, k);
        if (k[0] == '@') {
            /* v2 ignores JSON-LD keywords it has no use for, but a graph */
            if (strcmp(k, "@context") && strcmp(k, "@id") && strcmp(k, "@type") &&
                (ver == 3 || strcmp(k, "@graph") == 0))
                PROBLEM(B, p, "keyword '%s' is not allowed on an element", k);
            continue;
        }
        const mdef *d = defs;
        for (; d->prop >= 0; d++) {
            const char *pn = prop_names[d->prop];
            size_t pl = strlen(pn);
            if (strcmp(k, pn) == 0 ||
                (starts(k, "dtmi:dtdl:property:") && strncmp(k + 19, pn, pl) == 0 &&
                 k[19 + pl] == ';' && k[20 + pl] == (char)('0' + ver) && !k[21 + pl]))
                break;
        }
        if (d->prop >= 0) {
            if (seen[d->prop])
                PROBLEM(B, p, "'%s' is given twice (as a term and as a DTMI)", prop_names[d->prop]);
            else {
                seen[d->prop] = v;
                seen_key[d->prop] = k;
            }
            continue;
        }
        int xp = 0;
        while (xp < XP_COUNT && !((node_at(B, ni)->adj & xpdefs[xp].adj) && xp_key(k, xp, ver)))
            xp++;
        if (xp < XP_COUNT) {
            if (xseen[xp])
                PROBLEM(B, p, "'%s' is given twice (as a term and as a DTMI)", xpdefs[xp].term);
            else
                xseen[xp] = v;
            continue;
        }
        if (informal && ver == 2) {
            /* open to any member, even one that is neither a DTMI nor a
               term; a unit is kept as written for the registry to report */
            if (strcmp(k, "unit") == 0 && json_is_string(v))
                node_at(B, ni)->unit = json_string_value(v);
            continue;
        }
        if (starts(k, "dtmi:")) {
            if (!is_dtmi(k)) {
                PROBLEM(B, p, "member '%s' is not a valid DTMI", k);
                continue;
            }
        } else if (strchr(k, ':')) {
            PROBLEM(B, p, "member '%s' is neither a DTMI nor a term", k);
            continue;
        }
        if (informal)
            continue;
        PROBLEM(B, p, "'%s' is not a member of %s%s", k, class_names[cls],
                node_at(B, ni)->adj ? " or of its co-types" : "");
    }
    for (const mdef *d = defs; d->prop >= 0; d++) {
        bool required = d->min >= 1 || d->k == K_EV;
        if (required && !seen[d->prop])
            PROBLEM(B, path, "%s needs '%s'", class_names[cls], prop_names[d->prop]);
    }
    for (int xp = 0; xp < XP_COUNT; xp++)
        if (xpdefs[xp].required && (node_at(B, ni)->adj & xpdefs[xp].adj) && !xseen[xp])
            PROBLEM(B, path, "its co-type needs '%s'", xpdefs[xp].term);
    if ((node_at(B, ni)->adj & MODEL_A_OVERRIDE) && !(node_at(B, ni)->adj & MODEL_A_ANNOTATION))
        PROBLEM(B, path, "an Override must also be a ValueAnnotation");
    if ((node_at(B, ni)->adj & MODEL_A_CACHEABLE) && !(node_at(B, ni)->adj & MODEL_A_IDEMPOTENT))
        PROBLEM(B, path, "a Cacheable Command must also be Idempotent");
    for (const mdef *d = defs; d->prop >= 0 && !B->nomem; d++) {
        if (!seen[d->prop])
            continue;
        gm_json_path_key(p, sizeof p, path, seen_key[d->prop]);
        member(B, ni, d, seen[d->prop], &a, p, depth);
    }
    for (int xp = 0; xp < XP_COUNT && !B->nomem; xp++) {
        if (!xseen[xp])
            continue;
        gm_json_path_key(p, sizeof p, path, xpdefs[xp].term);
        ext_member(B, ni, xp, xseen[xp], p);
    }
    return ni;
}

/* ---- phase 2: references and cycles ------------------------------------------ */

/* Group the edges by their source node (a stable counting sort). */
static int index_edges(builder *B)
{
    model__graph *g = B->g;
    size_t nn = B->nodes.len, ne = B->edges.len;
    g->nodes = B->nodes.data;
    g->nnodes = nn;
    B->nodes.data = NULL;
    B->nodes.len = B->nodes.cap = 0;
    g->edges = malloc((ne ? ne : 1) * sizeof *g->edges);
    if (!g->edges)
        return GM_ENOMEM;
    const model__edge *src = B->edges.data;
    for (size_t i = 0; i < ne; i++)
        g->nodes[src[i].from].ne++;
    size_t at = 0;
    for (size_t i = 0; i < nn; i++) {
        g->nodes[i].e0 = at;
        at += g->nodes[i].ne;
        g->nodes[i].ne = 0;
    }
    for (size_t i = 0; i < ne; i++) {
        model__node *nd = &g->nodes[src[i].from];
        g->edges[nd->e0 + nd->ne++] = src[i];
    }
    g->nedges = ne;
    return 0;
}

int model__graph_find(const model__graph *g, const char *id)
{
    void *x;
    if (!g->ids || !id || !gm_map_sget(g->ids, id, strlen(id), &x))
        return -1;
    return (int)((uintptr_t)x - 1);
}

static void resolve(builder *B)
{
    model__graph *g = B->g;
    for (size_t i = 0; i < g->nedges; i++) {
        model__edge *e = &g->edges[i];
        if (e->kind != MODEL_E_REF)
            continue;
        const model__node *from = &g->nodes[e->from];
        int t = model__graph_find(g, e->ref);
        if (t < 0) {
            unresolved(B, e->ref);
            problem(B, from->file, e->where, "'%s' is defined nowhere in the set", e->ref);
            continue;
        }
        const model__node *to = &g->nodes[t];
        if (!(to->cls == MODEL_C_INTERFACE || to->toplevel || to->partition == from->partition)) {
            problem(B, from->file, e->where,
                    "'%s' is defined inside another Interface; only Interfaces, top-level "
                    "elements and elements of the same Interface can be referenced", e->ref);
            continue;
        }
        if (!(e->classes & M(to->cls)) || (to->ver == 2 && !e->v2ok && from->ver == 3)) {
            problem(B, from->file, e->where, "'%s' is a DTDL v%d %s, which is not allowed here",
                    e->ref, to->ver, class_names[to->cls]);
            continue;
        }
        e->to = t;
    }
}

static int edge_target(const model__edge *e)
{
    return e->kind == MODEL_E_STD ? -1 : e->to;
}

/* Refuse any cycle among elements (extends, schemas, contents...): an
   iterative depth-first search, so a long chain cannot exhaust the stack. */
static bool acyclic(builder *B)
{
    model__graph *g = B->g;
    unsigned char *color = calloc(g->nnodes ? g->nnodes : 1, 1);
    size_t *stack = malloc((g->nnodes ? g->nnodes : 1) * sizeof *stack);
    size_t *next = calloc(g->nnodes ? g->nnodes : 1, sizeof *next);
    bool ok = true;
    if (!color || !stack || !next) {
        B->nomem = true;
        ok = false;
        goto done;
    }
    for (size_t r = 0; r < g->nnodes && ok; r++) {
        if (color[r])
            continue;
        size_t sp = 0;
        stack[sp++] = r;
        color[r] = 1;
        while (sp && ok) {
            size_t u = stack[sp - 1];
            const model__node *nu = &g->nodes[u];
            if (next[u] == nu->ne) {
                color[u] = 2;
                sp--;
                continue;
            }
            const model__edge *e = &g->edges[nu->e0 + next[u]++];
            int t = edge_target(e);
            if (t < 0)
                continue;
            if (color[t] == 1) {
                const model__node *nt = &g->nodes[t];
                problem(B, nu->file, e->where, "a cycle: this leads back to %s%s",
                        nt->id ? nt->id : class_names[nt->cls], nt->id ? "" : " element");
                ok = false;
            } else if (color[t] == 0) {
                color[t] = 1;
                stack[sp++] = (size_t)t;
            }
        }
    }
done:
    free(color);
    free(stack);
    free(next);
    return ok;
}

/* ---- phase 3: whole-graph rules ------------------------------------------------ */

long model__extends_closure(const model__graph *g, int i, gm_vec *out, unsigned char *mark,
                            long *count)
{
    out->len = 0;
    *count = 0;
    if (gm_vec_push(out, &i))
        return -1;
    mark[i] = 1;
    for (size_t k = 0; k < out->len; k++) {
        const model__node *nd = &g->nodes[((int *)out->data)[k]];
        for (size_t j = 0; j < nd->ne; j++) {
            const model__edge *e = &g->edges[nd->e0 + j];
            if (e->prop != MODEL_P_EXTENDS)
                continue;
            /* past the limit the walk stops: the count is already too high */
            if (++*count > MODEL_MAX_EXTENDS_COUNT)
                goto out;
            int t = edge_target(e);
            if (t >= 0 && !mark[t]) {
                mark[t] = 1;
                if (gm_vec_push(out, &t)) {
                    *count = -1;
                    goto out;
                }
            }
        }
    }
out:
    for (size_t k = 0; k < out->len; k++)
        mark[((int *)out->data)[k]] = 0;
    return *count < 0 ? -1 : (long)out->len;
}

/* Longest extends chain below node i (memoised in depth[], -1 unknown). */
static int extends_depth(const model__graph *g, int i, int *depth, int guard)
{
    if (depth[i] >= 0)
        return depth[i];
    if (guard > 64)
        return 64; /* beyond any limit; the graph is acyclic so this ends */
    int best = 0;
    const model__node *nd = &g->nodes[i];
    for (size_t j = 0; j < nd->ne; j++) {
        const model__edge *e = &g->edges[nd->e0 + j];
        int t = edge_target(e);
        if (e->prop == MODEL_P_EXTENDS && t >= 0) {
            int d = 1 + extends_depth(g, t, depth, guard + 1);
            if (d > best)
                best = d;
        }
    }
    return depth[i] = best;
}

/* Schema nesting below node i: schema and elementSchema edges on the way. */
static int schema_depth(const model__graph *g, int i, int *memo, int guard)
{
    if (memo[i] >= 0)
        return memo[i];
    if (guard > 64)
        return 64;
    int best = 0;
    const model__node *nd = &g->nodes[i];
    for (size_t j = 0; j < nd->ne; j++) {
        const model__edge *e = &g->edges[nd->e0 + j];
        if (e->prop == MODEL_P_EXTENDS || e->prop == MODEL_P_CONTENTS)
            continue;
        int inc = e->prop == MODEL_P_SCHEMA || e->prop == MODEL_P_ELEMENTSCHEMA;
        int t = edge_target(e);
        int d = inc + (t >= 0 ? schema_depth(g, t, memo, guard + 1) : 0);
        if (d > best)
            best = d;
    }
    return memo[i] = best;
}

/* Names of the given child nodes unique; key selects what is compared. */
static void unique_names(builder *B, const int *kids, size_t n, const char *what, gm_map *seen)
{
    model__graph *g = B->g;
    gm_map_clear(seen);
    for (size_t i = 0; i < n; i++) {
        const model__node *c = &g->nodes[kids[i]];
        if (!c->name)
            continue;
        bool created;
        void **slot = gm_map_sslot(seen, c->name, strlen(c->name), &created);
        if (!slot) {
            B->nomem = true;
            return;
        }
        if (created) {
            *slot = (void *)(uintptr_t)(kids[i] + 1);
            continue;
        }
        const model__node *o = &g->nodes[(uintptr_t)*slot - 1];
        problem(B, c->file, c->path, "name '%s' is used twice among %s (also at %s%s%s)", c->name,
                what, o->file == c->file ? "" : o->file, o->file == c->file ? "" : ": ", o->path);
    }
}

/* Children of node i through member prop. */
static size_t children(const model__graph *g, int i, int prop, gm_vec *out, bool append)
{
    if (!append)
        out->len = 0;
    const model__node *nd = &g->nodes[i];
    for (size_t j = 0; j < nd->ne; j++) {
        const model__edge *e = &g->edges[nd->e0 + j];
        int t = edge_target(e);
        if (e->prop == prop && t >= 0 && gm_vec_push(out, &t))
            return (size_t)-1;
    }
    return out->len;
}

/* The schema edge of a node, or NULL. */
static const model__edge *schema_edge(const model__graph *g, const model__node *nd)
{
    for (size_t j = 0; j < nd->ne; j++)
        if (g->edges[nd->e0 + j].prop == MODEL_P_SCHEMA)
            return &g->edges[nd->e0 + j];
    return NULL;
}

static bool numeric_schema(const model__graph *g, const model__node *nd)
{
    const model__edge *e = schema_edge(g, nd);
    if (!e)
        return true; /* no schema: reported elsewhere */
    return e->kind == MODEL_E_STD && (e->std == GM_SCHEMA_DOUBLE || e->std == GM_SCHEMA_FLOAT ||
                                      e->std == GM_SCHEMA_INTEGER || e->std == GM_SCHEMA_LONG);
}

/* Whether an Array or a geospatial schema (a GeoJSON array of positions)
   lies in the schema hierarchy below node i, i included; memo[] holds -1
   for unknown. The graph is acyclic by now; past 64 levels the answer no
   longer matters (complex schemas nest 5 deep at most) and the walk stops
   there, so a long chain of references cannot exhaust the stack. */
static bool array_below(const model__graph *g, int i, signed char *memo, int guard)
{
    if (memo[i] >= 0)
        return memo[i];
    if (guard > 64)
        return false;
    const model__node *nd = &g->nodes[i];
    bool found = nd->cls == MODEL_C_ARRAY;
    for (size_t j = 0; j < nd->ne && !found; j++) {
        const model__edge *e = &g->edges[nd->e0 + j];
        if (e->prop != MODEL_P_SCHEMA && e->prop != MODEL_P_FIELDS && e->prop != MODEL_P_MAPVALUE)
            continue;
        if (e->kind == MODEL_E_STD)
            found = e->std >= GM_SCHEMA_POINT && e->std <= GM_SCHEMA_MULTIPOLYGON;
        else if (e->to >= 0 && (e->kind == MODEL_E_NODE || e->kind == MODEL_E_REF))
            found = array_below(g, e->to, memo, guard + 1);
    }
    memo[i] = found;
    return found;
}

static void check_interface(builder *B, int i, gm_vec *closure, gm_vec *kids, unsigned char *mark,
                            int *xdepth, gm_map *seen)
{
    model__graph *g = B->g;
    const model__node *nd = &g->nodes[i];
    long count;
    if (model__extends_closure(B->g, i, closure, mark, &count) < 0) {
        B->nomem = true;
        return;
    }
    if (extends_depth(g, i, xdepth, 0) > 10)
        problem(B, nd->file, nd->path, "extends nests deeper than 10 levels");
    if (count > MODEL_MAX_EXTENDS_COUNT)
        problem(B, nd->file, nd->path, "extends names more than %d interfaces in all",
                MODEL_MAX_EXTENDS_COUNT);
    kids->len = 0;
    for (size_t k = 0; k < closure->len; k++)
        if (children(g, ((int *)closure->data)[k], MODEL_P_CONTENTS, kids, true) == (size_t)-1) {
            B->nomem = true;
            return;
        }
    if (nd->ver == 2 && kids->len > 300)
        problem(B, nd->file, nd->path, "%zu contents including inherited ones; DTDL v2 allows 300",
                kids->len);
    unique_names(B, kids->data, kids->len, "the contents (inherited included)", seen);
    /* the extensions' sibling rules: an element of the Interface's own
       contents annotates one of its contents by name, inherited ones
       included, since extends imports them (DTDL.overriding.v1.md) */
    const int *kid = kids->data;
    gm_map_clear(seen);
    for (size_t a = 0; a < kids->len; a++) {
        const model__node *c = &g->nodes[kid[a]];
        if (c->name && gm_map_sput(seen, c->name, strlen(c->name), (void *)(uintptr_t)(kid[a] + 1))) {
            B->nomem = true;
            return;
        }
    }
    children(g, i, MODEL_P_CONTENTS, kids, false);
    kid = kids->data;
    for (size_t a = 0; a < kids->len; a++) {
        const model__node *c = &g->nodes[kid[a]];
        if (!(c->adj & MODEL_A_ANNOTATION) || !c->annotates)
            continue;
        const model__node *target = NULL;
        void *x;
        if (gm_map_sget(seen, c->annotates, strlen(c->annotates), &x)) {
            const model__node *s = &g->nodes[(uintptr_t)x - 1];
            if ((s->cls == MODEL_C_PROPERTY || s->cls == MODEL_C_TELEMETRY) &&
                !(s->adj & MODEL_A_ANNOTATION))
                target = s;
        }
        if (!target) {
            problem(B, c->file, c->path, "'annotates' names '%s', which is no Property or "
                                         "Telemetry of the interface (inherited ones included)",
                    c->annotates);
            continue;
        }
        if (!(c->adj & MODEL_A_OVERRIDE) || !c->overrides)
            continue;
        if (!(strcmp(c->overrides, "unit") == 0 && (target->adj & MODEL_A_SEMANTIC))) {
            problem(B, c->file, c->path, "'overrides' names '%s', which '%s' does not have",
                    c->overrides, target->name);
        } else {
            /* the overriding value is a unit of the target's unit type:
               the schema says so (DTDL.overriding.v1.md) */
            const model__edge *e = schema_edge(g, c);
            int want = gm_units_semantic_unit_type(target->semtype);
            if (e && !(e->kind == MODEL_E_UNIT && e->std == want))
                problem(B, c->file, e->where, "'%s' overrides the unit of '%s' (%s), so its "
                                              "schema must be the unit type %s",
                        c->name ? c->name : "?", target->name,
                        gm_units_semantic_name(target->semtype),
                        gm_units_unit_type_name(want));
        }
        /* "\x1f" cannot start a name: these keys do not meet the names' */
        char key[2 * 2048 + 4];
        int kl = snprintf(key, sizeof key, "\x1f%s\x1f%s", c->annotates, c->overrides);
        bool created;
        void **slot = gm_map_sslot(seen, key, kl > 0 ? (size_t)kl : 0, &created);
        if (!slot) {
            B->nomem = true;
            return;
        }
        if (!created)
            problem(B, c->file, c->path, "'%s' of '%s' is overridden twice", c->overrides,
                    c->annotates);
        *slot = (void *)1;
    }
}

/* No Component in the contents (inherited included) of a Component's
   Interface. */
static void check_component(builder *B, int i, gm_vec *closure, gm_vec *kids, unsigned char *mark)
{
    model__graph *g = B->g;
    const model__node *nd = &g->nodes[i];
    children(g, i, MODEL_P_SCHEMA, kids, false);
    if (kids->len != 1)
        return;
    long count;
    if (model__extends_closure(g, ((int *)kids->data)[0], closure, mark, &count) < 0) {
        B->nomem = true;
        return;
    }
    for (size_t k = 0; k < closure->len; k++) {
        children(g, ((int *)closure->data)[k], MODEL_P_CONTENTS, kids, false);
        for (size_t j = 0; j < kids->len; j++)
            if (g->nodes[((int *)kids->data)[j]].cls == MODEL_C_COMPONENT) {
                problem(B, nd->file, nd->path, "a Component's Interface must not contain a "
                                               "Component ('%s')",
                        g->nodes[((int *)kids->data)[j]].name ? g->nodes[((int *)kids->data)[j]].name : "?");
                return;
            }
    }
}

static void check_enum(builder *B, int i, gm_vec *kids, gm_map *seen)
{
    model__graph *g = B->g;
    const model__node *nd = &g->nodes[i];
    children(g, i, MODEL_P_ENUMVALUES, kids, false);
    unique_names(B, kids->data, kids->len, "the enum values", seen);
    if (!nd->value_schema_set)
        return;
    gm_map_clear(seen);
    for (size_t k = 0; k < kids->len; k++) {
        const model__node *c = &g->nodes[((int *)kids->data)[k]];
        if (!c->enum_raw)
            continue;
        char p[GM_ERR_WHERE_MAX];
        gm_json_path_key(p, sizeof p, c->path, "enumValue");
        B->file = c->file;
        const json_t *lit =
            literal(B, c->enum_raw, nd->enum_strings ? LIT_STRING : LIT_INTEGER, c->ver, p);
        if (!lit)
            continue;
        char key[32];
        const char *ks = key;
        if (nd->enum_strings)
            ks = json_string_value(lit);
        else
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(lit));
        bool created;
        void **slot = gm_map_sslot(seen, ks, strlen(ks), &created);
        if (!slot) {
            B->nomem = true;
            return;
        }
        if (!created)
            problem(B, c->file, p, "enumValue %s%s%s is used twice in the enum",
                    nd->enum_strings ? "'" : "", ks, nd->enum_strings ? "'" : "");
        *slot = (void *)1;
    }
}

/* Indexed siblings: index unique among the values of one member. */
static void check_indexes(builder *B, int i, gm_vec *kids, gm_map *seen)
{
    model__graph *g = B->g;
    static const int props[] = {MODEL_P_CONTENTS, MODEL_P_FIELDS, MODEL_P_ENUMVALUES};
    for (size_t p = 0; p < 3; p++) {
        children(g, i, props[p], kids, false);
        gm_map_clear(seen);
        const int *k = kids->data;
        for (size_t a = 0; a < kids->len; a++) {
            const model__node *x = &g->nodes[k[a]];
            if (!(x->adj & MODEL_A_INDEXED) || x->index < 1)
                continue;
            bool created;
            void **slot = gm_map_islot(seen, (uint64_t)x->index, &created);
            if (!slot) {
                B->nomem = true;
                return;
            }
            if (!created)
                problem(B, x->file, x->path, "index %ld is used twice among %s", x->index,
                        prop_names[props[p]]);
            *slot = (void *)1;
        }
    }
}

static void whole_graph(builder *B)
{
    model__graph *g = B->g;
    size_t n = g->nnodes;
    gm_vec closure, kids;
    gm_vec_init(&closure, sizeof(int));
    gm_vec_init(&kids, sizeof(int));
    unsigned char *mark = calloc(n ? n : 1, 1);
    int *xdepth = malloc((n ? n : 1) * sizeof *xdepth);
    int *sdepth = malloc((n ? n : 1) * sizeof *sdepth);
    signed char *arrays = malloc(n ? n : 1);
    gm_map *seen = gm_map_create(GM_MAP_STR), *seen_int = gm_map_create(GM_MAP_INT);
    if (!mark || !xdepth || !sdepth || !arrays || !seen || !seen_int) {
        B->nomem = true;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        xdepth[i] = sdepth[i] = arrays[i] = -1;
    for (size_t i = 0; i < n && !B->nomem; i++) {
        const model__node *nd = &g->nodes[i];
        B->file = nd->file;
        switch (nd->cls) {
        case MODEL_C_INTERFACE:
            check_interface(B, (int)i, &closure, &kids, mark, xdepth, seen);
            break;
        case MODEL_C_COMPONENT: check_component(B, (int)i, &closure, &kids, mark); break;
        case MODEL_C_ENUM: check_enum(B, (int)i, &kids, seen); break;
        case MODEL_C_OBJECT:
            children(g, (int)i, MODEL_P_FIELDS, &kids, false);
            unique_names(B, kids.data, kids.len, "the object's fields", seen);
            break;
        case MODEL_C_RELATIONSHIP:
            children(g, (int)i, MODEL_P_PROPERTIES, &kids, false);
            unique_names(B, kids.data, kids.len, "the relationship's properties", seen);
            break;
        default: break;
        }
        if (nd->cls == MODEL_C_ARRAY || nd->cls == MODEL_C_MAP || nd->cls == MODEL_C_OBJECT) {
            if (schema_depth(g, (int)i, sdepth, 0) > 5)
                problem(B, nd->file, nd->path, "complex schemas nest deeper than 5 levels");
        }
        if ((nd->adj & MODEL_A_SEMANTIC) && !(nd->adj & MODEL_A_OVERRIDE) && !numeric_schema(g, nd))
            problem(B, nd->file, nd->path, "a %s with a semantic type needs a numeric schema "
                                           "(double, float, integer or long)", class_names[nd->cls]);
        const model__edge *se = schema_edge(g, nd);
        if (nd->cls == MODEL_C_PROPERTY && nd->ver == 2 && se &&
            (se->kind == MODEL_E_STD ? se->std >= GM_SCHEMA_POINT && se->std <= GM_SCHEMA_MULTIPOLYGON
                                     : se->to >= 0 && array_below(g, se->to, arrays, 0)))
            problem(B, nd->file, se->where, "a DTDL v2 Property's schema may not contain an Array "
                                            "or a geospatial schema");
        check_indexes(B, (int)i, &kids, seen_int);
    }
done:
    gm_vec_free(&closure);
    gm_vec_free(&kids);
    free(mark);
    free(xdepth);
    free(sdepth);
    free(arrays);
    gm_map_destroy(seen);
    gm_map_destroy(seen_int);
}

/* ---- entry points ----------------------------------------------------------- */

void model__graph_free(model__graph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->edges);
    gm_map_destroy(g->ids);
    gm_arena_destroy(g->arena);
    memset(g, 0, sizeof *g);
}

static void walk_document(builder *B, const json_t *j)
{
    static const actx empty;
    if (json_is_object(j)) {
        element(B, j, M(MODEL_C_INTERFACE), true, &empty, -1, -1, -1, true, "", 0);
        return;
    }
    size_t n = json_array_size(j);
    for (size_t i = 0; i < n; i++)
        if (!json_is_object(json_array_get(j, i))) {
            char p[32];
            snprintf(p, sizeof p, "[%zu]", i);
            PROBLEM(B, p, "expected an element object, found %s",
                    gm_json_type_name(json_array_get(j, i)));
            return;
        }
    for (size_t i = 0; i < n && !B->nomem; i++) {
        char p[32];
        snprintf(p, sizeof p, "[%zu]", i);
        element(B, json_array_get(j, i), M(MODEL_C_INTERFACE), true, &empty, -1, -1, -1, true, p, 0);
    }
}

int model__dtdl_build(const gm_dtdl_doc *docs, size_t n, const gm_dtdl_opts *opts,
                      gm_dtdl_report *rep, model__graph *g)
{
    static const gm_dtdl_opts defaults = {false};
    builder B;
    memset(&B, 0, sizeof B);
    B.o = opts ? opts : &defaults;
    B.rep = rep;
    B.g = g;
    gm_vec_init(&B.nodes, sizeof(model__node));
    gm_vec_init(&B.edges, sizeof(model__edge));
    g->ids = gm_map_create(GM_MAP_STR);
    g->arena = gm_arena_create(0, 0);
    B.unres = gm_map_create(GM_MAP_STR);
    if (!g->ids || !g->arena || !B.unres) {
        B.nomem = true;
        goto done;
    }
    for (size_t d = 0; d < n; d++) {
        B.file = docs[d].file;
        const json_t *j = docs[d].json;
        if (!json_is_object(j) && !json_is_array(j))
            PROBLEM(&B, "", "a document is an element object or an array of them, found %s",
                    gm_json_type_name(j));
    }
    if (rep->nproblems)
        goto done;
    for (size_t d = 0; d < n && !B.nomem; d++) {
        B.file = docs[d].file;
        walk_document(&B, docs[d].json);
    }
    if (B.nomem || index_edges(&B)) {
        B.nomem = true;
        goto done;
    }
    resolve(&B);
    if (!B.nomem && acyclic(&B))
        whole_graph(&B);
done:
    if (!g->nodes) {
        g->nodes = B.nodes.data;
        g->nnodes = B.nodes.len;
        B.nodes.data = NULL;
    }
    gm_vec_free(&B.nodes);
    gm_vec_free(&B.edges);
    gm_map_destroy(B.unres);
    if (B.nomem) {
        model__graph_free(g);
        return GM_ENOMEM;
    }
    return rep->nproblems || rep->dropped || rep->nunresolved ? GM_EINVAL : GM_OK;
}

int gm_dtdl_validate(const gm_dtdl_doc *docs, size_t n, const gm_dtdl_opts *opts,
                     gm_dtdl_report *rep)
{
    model__graph g;
    memset(&g, 0, sizeof g);
    int rc = model__dtdl_build(docs, n, opts, rep, &g);
    model__graph_free(&g);
    return rc;
}
