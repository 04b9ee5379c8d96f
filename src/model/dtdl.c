/*
 * dtdl.c: DTDL v2/v3 validation, table-driven after the DTDL metamodel
 * (the SHACL shapes published with the v3 specification).
 *
 * One pass walks every document: the context, then each element's types,
 * identifier and properties against its class's table, collecting the
 * elements with identifiers and every reference by identifier. A second
 * pass resolves the references across the whole set (any order of
 * documents) and checks what needs the whole graph: extends chains, names
 * unique across extends, Components not nesting Components, the depth of
 * complex schemas.
 */
#include "model/dtdl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/map.h"
#include "base/vec.h"
#include "model/dtmi.h"

/* ---- classes ----------------------------------------------------------- */

enum {
    C_INTERFACE,
    C_TELEMETRY,
    C_PROPERTY,
    C_COMMAND,
    C_RELATIONSHIP,
    C_COMPONENT,
    C_REQUEST,
    C_RESPONSE,
    C_ARRAY,
    C_ENUM,
    C_ENUMVALUE,
    C_MAP,
    C_MAPKEY,
    C_MAPVALUE,
    C_OBJECT,
    C_FIELD,
    C_COUNT
};

#define M(c) (1u << (c))
#define M_CONTENT (M(C_TELEMETRY) | M(C_PROPERTY) | M(C_COMMAND) | M(C_RELATIONSHIP) | M(C_COMPONENT))
#define M_COMPLEX (M(C_ARRAY) | M(C_ENUM) | M(C_MAP) | M(C_OBJECT))

static const char *const class_name[C_COUNT] = {
    "Interface", "Telemetry", "Property", "Command", "Relationship", "Component",
    "CommandRequest", "CommandResponse", "Array", "Enum", "EnumValue", "Map",
    "MapKey", "MapValue", "Object", "Field",
};

/* What a property's value must be. */
typedef enum pkind {
    K_LANG,     /* a string or a map of language code to string */
    K_STRING,
    K_NAME,
    K_BOOL,
    K_INT,
    K_ELEMS,    /* elements of `classes`, inline or by DTMI */
    K_SCHEMA,   /* a primitive schema term, a complex schema inline or by DTMI */
    K_TERM,     /* one of `terms` */
    K_DTMI,     /* a DTMI of an element of `classes` */
    K_LITERAL,  /* enumValue: an integer or a string (checked against valueSchema) */
} pkind;

typedef struct pdef {
    const char *name;
    pkind kind;
    bool required;
    bool many;          /* an array is allowed */
    unsigned classes;   /* K_ELEMS, K_DTMI */
    bool by_ref;        /* K_ELEMS: a DTMI may stand for an element */
    const char *const *terms; /* K_TERM */
    int v2max, v3max;   /* string lengths (0: none) */
    long min, max;      /* K_INT */
} pdef;

static const char *const value_schemas[] = {"integer", "string", NULL};
static const char *const string_only[] = {"string", NULL};
static const char *const command_types[] = {"synchronous", "asynchronous", NULL};

/* Primitive schema terms, by version. */
static const char *const prim_v2[] = {"boolean", "date", "dateTime", "double", "duration",
                                      "float", "integer", "long", "string", "time", NULL};
static const char *const prim_v3_extra[] = {"point", "multiPoint", "lineString",
                                            "multiLineString", "polygon", "multiPolygon", NULL};

#define ENTITY_PROPS                                                              \
    {"displayName", K_LANG, false, false, 0, false, NULL, 64, 512, 0, 0},         \
    {"description", K_LANG, false, false, 0, false, NULL, 512, 512, 0, 0},        \
    {"comment", K_STRING, false, false, 0, false, NULL, 512, 512, 0, 0}
#define NAME_PROP {"name", K_NAME, true, false, 0, false, NULL, 64, 512, 0, 0}
#define SCHEMA_PROP {"schema", K_SCHEMA, true, false, 0, false, NULL, 0, 0, 0, 0}

static const pdef p_interface[] = {
    ENTITY_PROPS,
    {"contents", K_ELEMS, false, true, M_CONTENT, false, NULL, 0, 0, 0, 0},
    {"extends", K_ELEMS, false, true, M(C_INTERFACE), true, NULL, 0, 0, 0, 0},
    {"schemas", K_ELEMS, false, true, M_COMPLEX, false, NULL, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_telemetry[] = {ENTITY_PROPS, NAME_PROP, SCHEMA_PROP,
                                   {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_property[] = {ENTITY_PROPS, NAME_PROP, SCHEMA_PROP,
                                  {"writable", K_BOOL, false, false, 0, false, NULL, 0, 0, 0, 0},
                                  {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_command[] = {
    ENTITY_PROPS, NAME_PROP,
    {"request", K_ELEMS, false, false, M(C_REQUEST), false, NULL, 0, 0, 0, 0},
    {"response", K_ELEMS, false, false, M(C_RESPONSE), false, NULL, 0, 0, 0, 0},
    {"commandType", K_TERM, false, false, 0, false, command_types, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_payload[] = {ENTITY_PROPS, NAME_PROP, SCHEMA_PROP,
                                 {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_relationship[] = {
    ENTITY_PROPS, NAME_PROP,
    {"maxMultiplicity", K_INT, false, false, 0, false, NULL, 0, 0, 1, INT32_MAX},
    {"minMultiplicity", K_INT, false, false, 0, false, NULL, 0, 0, 0, 0},
    {"target", K_DTMI, false, false, M(C_INTERFACE), false, NULL, 0, 0, 0, 0},
    {"properties", K_ELEMS, false, true, M(C_PROPERTY), false, NULL, 0, 0, 0, 0},
    {"writable", K_BOOL, false, false, 0, false, NULL, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_component[] = {
    ENTITY_PROPS, NAME_PROP,
    {"schema", K_ELEMS, true, false, M(C_INTERFACE), true, NULL, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_array[] = {ENTITY_PROPS,
                               {"elementSchema", K_SCHEMA, true, false, 0, false, NULL, 0, 0, 0, 0},
                               {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_enum[] = {
    ENTITY_PROPS,
    {"valueSchema", K_TERM, true, false, 0, false, value_schemas, 0, 0, 0, 0},
    {"enumValues", K_ELEMS, false, true, M(C_ENUMVALUE), false, NULL, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_enumvalue[] = {ENTITY_PROPS, NAME_PROP,
                                   {"enumValue", K_LITERAL, true, false, 0, false, NULL, 0, 0, 0, 0},
                                   {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_map[] = {
    ENTITY_PROPS,
    {"mapKey", K_ELEMS, true, false, M(C_MAPKEY), false, NULL, 0, 0, 0, 0},
    {"mapValue", K_ELEMS, true, false, M(C_MAPVALUE), false, NULL, 0, 0, 0, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0},
};
static const pdef p_mapkey[] = {ENTITY_PROPS, NAME_PROP,
                                {"schema", K_TERM, true, false, 0, false, string_only, 0, 0, 0, 0},
                                {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};
static const pdef p_object[] = {ENTITY_PROPS,
                                {"fields", K_ELEMS, false, true, M(C_FIELD), false, NULL, 0, 0, 0, 0},
                                {NULL, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0}};

static const pdef *const class_props[C_COUNT] = {
    p_interface, p_telemetry, p_property, p_command, p_relationship, p_component,
    p_payload,   p_payload,   p_array,    p_enum,    p_enumvalue,    p_map,
    p_mapkey,    p_payload,   p_object,   p_payload,
};

/* ---- state ------------------------------------------------------------- */

typedef struct elem {
    const char *id;      /* explicit @id, or NULL */
    int cls;
    int version;
    const json_t *obj;
    const char *file;
} elem;

typedef struct ref {
    const char *id;
    unsigned classes;
    const char *file;
    char where[GM_ERR_WHERE_MAX];
} ref;

typedef struct val {
    const gm_dtdl_opts *o;
    gm_dtdl_report *rep;
    gm_map *ids;         /* @id -> elem index + 1 */
    gm_vec el;           /* elem */
    gm_vec rf;           /* ref */
    const char *file;    /* the current document */
    int version;         /* of the current document */
    bool nested_ctx;     /* the element being entered had its @context checked */
    int nomem;
} val;

/* ---- reporting --------------------------------------------------------- */

static void problem(val *V, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(val *V, const char *where, const char *fmt, ...)
{
    gm_dtdl_report *r = V->rep;
    if (r->nproblems >= GM_DTDL_MAX_PROBLEMS) {
        r->dropped++;
        return;
    }
    if (r->nproblems == r->capproblems) {
        size_t nc = r->capproblems ? 2 * r->capproblems : 8;
        gm_dtdl_problem *p = realloc(r->problems, nc * sizeof *p);
        if (!p) {
            V->nomem = 1;
            return;
        }
        r->problems = p;
        r->capproblems = nc;
    }
    gm_dtdl_problem *p = &r->problems[r->nproblems++];
    p->file = V->file;
    snprintf(p->where, sizeof p->where, "%s", where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
}

static void unresolved(val *V, const char *id)
{
    gm_dtdl_report *r = V->rep;
    for (size_t i = 0; i < r->nunresolved; i++)
        if (strcmp(r->unresolved[i], id) == 0)
            return;
    if (r->nunresolved == r->capunresolved) {
        size_t nc = r->capunresolved ? 2 * r->capunresolved : 8;
        char **u = realloc(r->unresolved, nc * sizeof *u);
        if (!u) {
            V->nomem = 1;
            return;
        }
        r->unresolved = u;
        r->capunresolved = nc;
    }
    char *s = strdup(id);
    if (!s) {
        V->nomem = 1;
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

/* ---- helpers ----------------------------------------------------------- */

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool is_dtmi_like(const char *s)
{
    return strncmp(s, "dtmi:", 5) == 0;
}

static bool primitive(const val *V, const char *s)
{
    return in_list(s, prim_v2) || (V->version >= 3 && in_list(s, prim_v3_extra));
}

static int class_of(const char *s)
{
    for (int c = 0; c < C_COUNT; c++)
        if (strcmp(s, class_name[c]) == 0)
            return c;
    return -1;
}

static void add_ref(val *V, const char *id, unsigned classes, const char *where)
{
    ref r = {id, classes, V->file, ""};
    snprintf(r.where, sizeof r.where, "%s", where);
    if (gm_vec_push(&V->rf, &r))
        V->nomem = 1;
}

static void check_dtmi(val *V, const char *s, bool iface, const char *where)
{
    gm_err e;
    gm_err_clear(&e);
    if (gm_dtmi_check(s, V->version, iface, where, &e))
        problem(V, where, "%s", e.what);
}

/* ---- the walk ---------------------------------------------------------- */

static void walk_elem(val *V, const json_t *obj, unsigned classes, int inferred, bool top,
                      const char *path, int depth);

static void check_string(val *V, const json_t *v, const pdef *d, const char *path)
{
    int max = V->version >= 3 ? d->v3max : d->v2max;
    if (!json_is_string(v)) {
        problem(V, path, "expected a string, found %s", gm_json_type_name(v));
        return;
    }
    if (max && json_string_length(v) > (size_t)max)
        problem(V, path, "longer than %d characters", max);
}

static bool lang_code(const char *k)
{
    size_t n = strlen(k);
    bool ok = n >= 2;
    for (size_t i = 0; i < n && ok; i++)
        ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
             (k[i] >= '0' && k[i] <= '9') || (k[i] == '-' && i > 0 && i + 1 < n);
    return ok;
}

/* A localizable string: a string (the default language, "en"), an object of
   language codes to strings, or an array of strings and value objects
   {"@value": string, "@language"?: code}, one value per language. */
static void check_lang(val *V, const json_t *v, const pdef *d, const char *path)
{
    char p[GM_ERR_WHERE_MAX];
    if (json_is_string(v)) {
        check_string(V, v, d, path);
        return;
    }
    if (json_is_object(v)) {
        if (json_object_get(v, "@value")) {
            problem(V, path, "a value object must be inside an array");
            return;
        }
        const char *k;
        const json_t *s;
        json_object_foreach((json_t *)v, k, s) {
            gm_json_path_key(p, sizeof p, path, k);
            if (!lang_code(k))
                problem(V, p, "'%s' is not a language code", k);
            check_string(V, s, d, p);
        }
        return;
    }
    if (!json_is_array(v)) {
        problem(V, path, "expected a string, an object of language codes to strings or an array, "
                         "found %s", gm_json_type_name(v));
        return;
    }
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        gm_json_path_index(p, sizeof p, path, i);
        const char *lang = "en";
        if (json_is_object(x)) {
            const json_t *val_ = json_object_get(x, "@value");
            const json_t *l = json_object_get(x, "@language");
            if (!val_ || json_object_size(x) != 1u + (l != NULL)) {
                problem(V, p, "a value object holds @value and optionally @language, nothing else");
                continue;
            }
            if (l && (!json_is_string(l) || !lang_code(json_string_value(l)))) {
                problem(V, p, "@language must be a language code");
                continue;
            }
            if (l)
                lang = json_string_value(l);
            x = val_;
        }
        check_string(V, x, d, p);
        for (size_t j = 0; j < i; j++) {
            const json_t *y = json_array_get(v, j);
            const char *ly = "en";
            if (json_is_object(y) && json_is_string(json_object_get(y, "@language")))
                ly = json_string_value(json_object_get(y, "@language"));
            if (strcasecmp(lang, ly) == 0) {
                problem(V, p, "a second value for language '%s'", lang);
                break;
            }
        }
    }
}

static void check_name(val *V, const json_t *v, const pdef *d, const char *path)
{
    if (!json_is_string(v)) {
        problem(V, path, "expected a name string, found %s", gm_json_type_name(v));
        return;
    }
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    bool ok = n > 0 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
    for (size_t i = 1; i < n && ok; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
    if (ok && s[n - 1] == '_')
        ok = false;
    if (!ok)
        problem(V, path,
                "name '%s': letters, digits and underscores, starting with a letter and not "
                "ending with an underscore",
                s);
    check_string(V, v, d, path);
}

/* A schema value: primitive term, DTMI of a complex schema, inline complex schema. */
static void check_schema(val *V, const json_t *v, const char *path, int depth)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (primitive(V, s))
            return;
        if (is_dtmi_like(s)) {
            check_dtmi(V, s, false, path);
            add_ref(V, json_string_value(v), M_COMPLEX | M(C_INTERFACE), path);
            return;
        }
        problem(V, path, "'%s' is not a schema: expected a primitive schema, a DTMI or a complex "
                         "schema object", s);
        return;
    }
    if (json_is_object(v)) {
        walk_elem(V, v, M_COMPLEX, -1, false, path, depth + 1);
        return;
    }
    problem(V, path, "expected a schema, found %s", gm_json_type_name(v));
}

/* A JSON-LD value object {"@value": v} (with "@language" for strings) stands
   for its value; NULL when obj is not one. */
static const json_t *value_object(val *V, const json_t *obj, const char *path)
{
    const json_t *v = json_object_get(obj, "@value");
    if (!json_is_object(obj) || !v)
        return NULL;
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)obj, k, x) {
        if (strcmp(k, "@value") && !(strcmp(k, "@language") == 0 && json_is_string(v)))
            problem(V, path, "a value object holds only @value (and @language), not '%s'", k);
    }
    if (json_is_object(v) || json_is_array(v))
        problem(V, path, "@value must be a literal");
    return v;
}

static void check_value(val *V, const json_t *v, const pdef *d, const char *path, int depth)
{
    if (d->kind != K_ELEMS && d->kind != K_SCHEMA && d->kind != K_LANG) {
        const json_t *inner = value_object(V, v, path);
        if (inner)
            v = inner;
    }
    switch (d->kind) {
    case K_LANG: check_lang(V, v, d, path); break;
    case K_STRING: check_string(V, v, d, path); break;
    case K_NAME: check_name(V, v, d, path); break;
    case K_BOOL:
        if (!json_is_boolean(v))
            problem(V, path, "expected true or false, found %s", gm_json_type_name(v));
        break;
    case K_INT:
        if (!json_is_integer(v))
            problem(V, path, "expected an integer, found %s", gm_json_type_name(v));
        else if (json_integer_value(v) < d->min || json_integer_value(v) > d->max)
            problem(V, path, "%lld is out of range [%ld, %ld]", (long long)json_integer_value(v),
                    d->min, d->max);
        break;
    case K_SCHEMA: check_schema(V, v, path, depth); break;
    case K_TERM:
        if (!json_is_string(v) || !in_list(json_string_value(v), d->terms))
            problem(V, path, "expected one of the terms allowed for '%s'", d->name);
        break;
    case K_DTMI:
        if (!json_is_string(v) || !is_dtmi_like(json_string_value(v))) {
            problem(V, path, "expected a DTMI");
            break;
        }
        check_dtmi(V, json_string_value(v), false, path);
        break;
    case K_LITERAL:
        if (!json_is_integer(v) && !json_is_string(v))
            problem(V, path, "expected an integer or a string, found %s", gm_json_type_name(v));
        break;
    case K_ELEMS:
        if (json_is_string(v) && d->by_ref) {
            const char *s = json_string_value(v);
            if (!is_dtmi_like(s)) {
                problem(V, path, "expected a DTMI or an inline element, found '%s'", s);
                break;
            }
            check_dtmi(V, s, true, path);
            add_ref(V, s, d->classes, path);
        } else if (json_is_object(v)) {
            int inferred = -1;
            for (int c = 0; c < C_COUNT; c++)
                if (d->classes == M(c) && (c == C_ENUMVALUE || c == C_FIELD || c == C_MAPKEY ||
                                           c == C_MAPVALUE || c == C_REQUEST || c == C_RESPONSE))
                    inferred = c;
            walk_elem(V, v, d->classes, inferred, false, path, depth + 1);
        } else {
            problem(V, path, "expected %s, found %s",
                    d->by_ref ? "a DTMI or an element object" : "an element object",
                    gm_json_type_name(v));
        }
        break;
    }
}

/* The values of member prop of the elements in array v are unique (by JSON
   equality), in one pass over a map of their canonical encodings. */
static void unique_names(val *V, const json_t *v, const char *prop, const char *path)
{
    if (!json_is_array(v))
        return;
    gm_map *seen = gm_map_create(GM_MAP_STR);
    if (!seen) {
        V->nomem = 1;
        return;
    }
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n && !V->nomem; i++) {
        const json_t *a = json_object_get(json_array_get(v, i), prop);
        if (!a)
            continue;
        char *key = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
        if (!key) {
            V->nomem = 1;
            break;
        }
        bool created;
        void **slot = gm_map_sslot(seen, key, strlen(key), &created);
        if (!slot) {
            V->nomem = 1;
        } else if (created) {
            *slot = (void *)(uintptr_t)(i + 1);
        } else {
            char p[GM_ERR_WHERE_MAX];
            gm_json_path_index(p, sizeof p, path, i);
            problem(V, p, "duplicate %s (also at index %zu)", prop, (size_t)(uintptr_t)*slot - 1);
        }
        free(key);
    }
    gm_map_destroy(seen);
}

static void check_context(val *V, const json_t *ctx, const char *path)
{
    V->version = 0;
    if (!ctx) {
        problem(V, path, "@context is required on a top-level element");
        return;
    }
    size_t n = json_is_array(ctx) ? json_array_size(ctx) : 1;
    if (!json_is_array(ctx) && !json_is_string(ctx)) {
        problem(V, path, "@context must be a string or an array of strings");
        return;
    }
    if (n == 0) {
        problem(V, path, "@context is empty");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_is_array(ctx) ? json_array_get(ctx, i) : ctx;
        char p[GM_ERR_WHERE_MAX];
        gm_json_path_index(p, sizeof p, path, i);
        if (!json_is_string(c)) {
            problem(V, p, "a context must be a DTMI string (local definitions are not allowed)");
            continue;
        }
        const char *s = json_string_value(c);
        if (strcmp(s, "dtmi:dtdl:context;2") == 0 || strcmp(s, "dtmi:dtdl:context;3") == 0) {
            if (i != 0)
                problem(V, p, "the DTDL context must come first");
            else
                V->version = s[18] - '0';
            continue;
        }
        if (i == 0) {
            problem(V, p, "the first context must be dtmi:dtdl:context;2 or ;3, not '%s'", s);
            continue;
        }
        if (strncmp(s, "dtmi:dtdl:extension:", 20) == 0 && V->version >= 3) {
            static const char *const known[] = {
                "dtmi:dtdl:extension:quantitativeTypes;1", "dtmi:dtdl:extension:historization;1",
                "dtmi:dtdl:extension:annotation;1", "dtmi:dtdl:extension:overriding;1",
                "dtmi:dtdl:extension:mqtt;1", "dtmi:dtdl:extension:mqtt;2", NULL};
            if (in_list(s, known))
                continue;
        }
        if (is_dtmi_like(s) && V->o->allow_undefined_extensions)
            continue;
        problem(V, p, "unknown context '%s'", s);
    }
    if (V->version == 0)
        V->version = 3; /* keep checking with v3 rules */
}

static void walk_elem(val *V, const json_t *obj, unsigned classes, int inferred, bool top,
                      const char *path, int depth)
{
    char p[GM_ERR_WHERE_MAX];
    if (depth > GM_DTDL_MAX_DEPTH) {
        problem(V, path, "elements nested deeper than %d", GM_DTDL_MAX_DEPTH);
        return;
    }
    if (!json_is_object(obj)) {
        problem(V, path, "expected an element object, found %s", gm_json_type_name(obj));
        return;
    }
    const json_t *ctx = json_object_get(obj, "@context");
    if (ctx && !top && !V->nested_ctx) {
        /* a nested context may switch the language version for its subtree */
        int outer = V->version;
        gm_json_path_key(p, sizeof p, path, "@context");
        check_context(V, ctx, p);
        V->nested_ctx = true;
        walk_elem(V, obj, classes, inferred, false, path, depth);
        V->version = outer;
        return;
    }
    V->nested_ctx = false;
    if (V->el.len >= GM_DTDL_MAX_ELEMENTS) {
        problem(V, path, "more than %d elements", GM_DTDL_MAX_ELEMENTS);
        return;
    }
    /* @type: one material class, possibly co-types */
    const json_t *type = json_object_get(obj, "@type");
    int cls = -1;
    gm_json_path_key(p, sizeof p, path, "@type");
    if (!type) {
        if (inferred < 0) {
            problem(V, path, "@type is required");
            return;
        }
        cls = inferred;
    } else {
        size_t n = json_is_array(type) ? json_array_size(type) : 1;
        if (!json_is_array(type) && !json_is_string(type)) {
            problem(V, p, "@type must be a string or an array of strings");
            return;
        }
        if (n == 0) {
            problem(V, p, "@type is empty");
            return;
        }
        for (size_t i = 0; i < n; i++) {
            const json_t *t = json_is_array(type) ? json_array_get(type, i) : type;
            if (!json_is_string(t)) {
                problem(V, p, "@type must contain strings");
                continue;
            }
            int c = class_of(json_string_value(t));
            if (c >= 0) {
                if (cls >= 0)
                    problem(V, p, "@type names two classes ('%s' and '%s')", class_name[cls],
                            class_name[c]);
                cls = c;
                continue;
            }
            const char *s = json_string_value(t);
            if (is_dtmi_like(s)) {
                check_dtmi(V, s, false, p);
                if (!V->o->allow_undefined_extensions)
                    problem(V, p, "co-type '%s' belongs to no known extension", s);
                continue;
            }
            problem(V, p, "unknown type '%s'", s);
        }
        if (cls < 0) {
            problem(V, p, "@type names no DTDL class");
            return;
        }
    }
    if (!(classes & M(cls))) {
        problem(V, p, "a %s is not allowed here", class_name[cls]);
        return;
    }
    /* @id */
    const char *id = NULL;
    const json_t *jid = json_object_get(obj, "@id");
    gm_json_path_key(p, sizeof p, path, "@id");
    if (jid) {
        if (!json_is_string(jid)) {
            problem(V, p, "@id must be a DTMI string");
        } else {
            id = json_string_value(jid);
            check_dtmi(V, id, cls == C_INTERFACE, p);
            if (gm_dtmi_reserved(id))
                problem(V, p, "'%s' is in a reserved namespace", id);
        }
    } else if (top) {
        problem(V, path, "@id is required on a top-level element");
    }
    size_t me = V->el.len;
    elem rec = {id, cls, V->version, obj, V->file};
    if (gm_vec_push(&V->el, &rec)) {
        V->nomem = 1;
        return;
    }
    if (id) {
        bool created;
        void **slot = gm_map_sslot(V->ids, id, strlen(id), &created);
        if (!slot) {
            V->nomem = 1;
            return;
        }
        if (!created)
            problem(V, p, "@id '%s' is defined twice", id);
        else
            *slot = (void *)(uintptr_t)(me + 1);
    }
    /* properties */
    const pdef *defs = class_props[cls];
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        gm_json_path_key(p, sizeof p, path, k);
        if (k[0] == '@') {
            if (strcmp(k, "@id") && strcmp(k, "@type") && strcmp(k, "@context"))
                problem(V, p, "keyword '%s' is not allowed", k);
            continue;
        }
        const pdef *d = defs;
        while (d->name && strcmp(d->name, k))
            d++;
        if (!d->name) {
            if (is_dtmi_like(k) && V->o->allow_undefined_extensions)
                continue;
            problem(V, p, "'%s' is not a property of %s", k, class_name[cls]);
            continue;
        }
        if (d->kind == K_LANG) {
            check_value(V, v, d, p, depth);
        } else if (json_is_array(v) && d->many) {
            size_t n = json_array_size(v);
            for (size_t i = 0; i < n; i++) {
                char q[GM_ERR_WHERE_MAX];
                gm_json_path_index(q, sizeof q, p, i);
                check_value(V, json_array_get(v, i), d, q, depth);
            }
            unique_names(V, v, "name", p);
            if (cls == C_ENUM)
                unique_names(V, v, "enumValue", p);
        } else if (json_is_array(v)) {
            if (json_array_size(v) == 1)
                check_value(V, json_array_get(v, 0), d, p, depth);
            else
                problem(V, p, "'%s' takes one value", k);
        } else {
            check_value(V, v, d, p, depth);
        }
    }
    for (const pdef *d = defs; d->name; d++)
        if (d->required && !json_object_get(obj, d->name))
            problem(V, path, "%s requires '%s'", class_name[cls], d->name);
}

static void walk_doc(val *V, const json_t *doc, const char *path)
{
    if (!json_is_object(doc)) {
        problem(V, path, "expected an element object, found %s", gm_json_type_name(doc));
        return;
    }
    char p[GM_ERR_WHERE_MAX];
    gm_json_path_key(p, sizeof p, path, "@context");
    check_context(V, json_object_get(doc, "@context"), p);
    walk_elem(V, doc, M(C_INTERFACE), -1, true, path, 0);
}

/* ---- the whole set ----------------------------------------------------- */

static const elem *find(const val *V, const char *id)
{
    void *x;
    if (!gm_map_sget(V->ids, id, strlen(id), &x))
        return NULL;
    return (const elem *)V->el.data + ((uintptr_t)x - 1);
}

static void resolve(val *V)
{
    for (size_t i = 0; i < V->rf.len; i++) {
        const ref *r = (const ref *)V->rf.data + i;
        const elem *e = find(V, r->id);
        V->file = r->file;
        if (!e) {
            unresolved(V, r->id);
            continue;
        }
        if (!(r->classes & M(e->cls)))
            problem(V, r->where, "'%s' is a %s, not allowed here", r->id, class_name[e->cls]);
    }
}

/* Walk the extends graph of interface e: depth, count, cycles. */
static void extends_walk(val *V, const elem *e, int depth, size_t *count, const elem *root,
                         bool *bad)
{
    if (*bad)
        return;
    const json_t *ext = json_object_get(e->obj, "extends");
    if (!ext)
        return;
    size_t n = json_is_array(ext) ? json_array_size(ext) : 1;
    for (size_t i = 0; i < n && !*bad; i++) {
        const json_t *x = json_is_array(ext) ? json_array_get(ext, i) : ext;
        const elem *t = NULL;
        if (json_is_string(x))
            t = find(V, json_string_value(x));
        else if (json_is_object(x)) {
            const json_t *xid = json_object_get(x, "@id");
            t = xid && json_is_string(xid) ? find(V, json_string_value(xid)) : NULL;
            if (!t) {
                /* an inline interface without an id still counts */
                if (++*count > 1024 || depth + 1 > 10) {
                    *bad = true;
                    V->file = root->file;
                    problem(V, root->id ? root->id : "", "extends deeper than 10 or more than "
                                                          "1024 interfaces");
                }
                continue;
            }
        }
        if (!t || t->cls != C_INTERFACE)
            continue;
        if (t == root) {
            *bad = true;
            V->file = root->file;
            problem(V, root->id ? root->id : "", "extends itself (a cycle)");
            return;
        }
        if (++*count > 1024 || depth + 1 > 10) {
            *bad = true;
            V->file = root->file;
            problem(V, root->id ? root->id : "", "extends deeper than 10 or more than 1024 "
                                                  "interfaces");
            return;
        }
        extends_walk(V, t, depth + 1, count, root, bad);
    }
}

int gm_dtdl_validate(const gm_dtdl_doc *docs, size_t n, const gm_dtdl_opts *opts,
                     gm_dtdl_report *rep)
{
    static const gm_dtdl_opts defaults = {false};
    val V;
    memset(&V, 0, sizeof V);
    gm_vec_init(&V.el, sizeof(elem));
    gm_vec_init(&V.rf, sizeof(ref));
    V.o = opts ? opts : &defaults;
    V.rep = rep;
    V.ids = gm_map_create(GM_MAP_STR);
    if (!V.ids)
        return GM_ENOMEM;
    for (size_t d = 0; d < n && !V.nomem; d++) {
        V.file = docs[d].file;
        const json_t *j = docs[d].json;
        if (json_is_array(j)) {
            for (size_t i = 0; i < json_array_size(j); i++) {
                char p[32];
                snprintf(p, sizeof p, "$[%zu]", i);
                walk_doc(&V, json_array_get(j, i), p);
            }
        } else {
            walk_doc(&V, j, "$");
        }
    }
    if (!V.nomem)
        resolve(&V);
    const elem *els = V.el.data;
    for (size_t i = 0; i < V.el.len && !V.nomem; i++) {
        if (els[i].cls != C_INTERFACE)
            continue;
        size_t count = 0;
        bool bad = false;
        extends_walk(&V, &els[i], 0, &count, &els[i], &bad);
    }
    int rc = V.nomem ? GM_ENOMEM
                     : (rep->nproblems || rep->dropped || rep->nunresolved ? GM_EINVAL : GM_OK);
    gm_map_destroy(V.ids);
    gm_vec_free(&V.el);
    gm_vec_free(&V.rf);
    return rc;
}
