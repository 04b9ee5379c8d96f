/*
 * dtdl_graph.h: the element graph the DTDL validator builds (module-internal;
 * the model registry reads it).
 *
 * Every element of every document is a node; every element-valued member
 * value is an edge: to an inline element (a node), to a standard schema
 * (primitive or geospatial), to a unit type of the quantitativeTypes
 * extension (an Enum of units the extension defines), or, after
 * resolution, to the node a DTMI names.
 * Nodes point into the caller's JSON documents, which must outlive the graph.
 */
#ifndef GM_MODEL_DTDL_GRAPH_H
#define GM_MODEL_DTDL_GRAPH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/map.h"
#include "base/vec.h"
#include "model/dtdl.h"

/* Element classes (v2's CommandPayload is the class of both a v2 Command's
   request and response). */
enum {
    MODEL_C_INTERFACE,
    MODEL_C_TELEMETRY,
    MODEL_C_PROPERTY,
    MODEL_C_COMMAND,
    MODEL_C_REQUEST,
    MODEL_C_RESPONSE,
    MODEL_C_PAYLOAD,
    MODEL_C_RELATIONSHIP,
    MODEL_C_COMPONENT,
    MODEL_C_ARRAY,
    MODEL_C_ENUM,
    MODEL_C_ENUMVALUE,
    MODEL_C_MAP,
    MODEL_C_MAPKEY,
    MODEL_C_MAPVALUE,
    MODEL_C_OBJECT,
    MODEL_C_FIELD,
    MODEL_C_COUNT
};

/* Members (properties of elements). The element-valued ones come first. */
enum {
    MODEL_P_CONTENTS,
    MODEL_P_EXTENDS,
    MODEL_P_SCHEMAS,
    MODEL_P_SCHEMA,
    MODEL_P_REQUEST,
    MODEL_P_RESPONSE,
    MODEL_P_PROPERTIES,
    MODEL_P_ELEMENTSCHEMA,
    MODEL_P_ENUMVALUES,
    MODEL_P_MAPKEY,
    MODEL_P_MAPVALUE,
    MODEL_P_FIELDS,
    MODEL_P_NAME,
    MODEL_P_COMMENT,
    MODEL_P_DESCRIPTION,
    MODEL_P_DISPLAYNAME,
    MODEL_P_WRITABLE,
    MODEL_P_MAXMULTIPLICITY,
    MODEL_P_MINMULTIPLICITY,
    MODEL_P_TARGET,
    MODEL_P_COMMANDTYPE,
    MODEL_P_VALUESCHEMA,
    MODEL_P_ENUMVALUE,
    MODEL_P_COUNT
};

/* Adjunct types of the DTDL v3 extensions an element may carry. */
enum {
    MODEL_A_SEMANTIC = 1u << 0,   /* a quantitativeTypes semantic type */
    MODEL_A_HISTORIZED = 1u << 1,
    MODEL_A_ANNOTATION = 1u << 2, /* ValueAnnotation */
    MODEL_A_OVERRIDE = 1u << 3,
    MODEL_A_MQTT = 1u << 4,
    MODEL_A_IDEMPOTENT = 1u << 5,
    MODEL_A_CACHEABLE = 1u << 6,
    MODEL_A_INDEXED = 1u << 7,
};

enum { MODEL_E_NODE, MODEL_E_STD, MODEL_E_REF, MODEL_E_UNIT };

typedef struct model__node {
    const json_t *obj;
    const char *file;      /* the document's file (borrowed from gm_dtdl_doc) */
    const char *path;      /* JSON path in the document (arena) */
    const char *id;        /* @id, or NULL */
    const char *name;      /* name, or NULL */
    int cls;               /* MODEL_C_* */
    int ver;               /* 2 or 3 */
    int parent;            /* node index, -1 for a top-level element */
    int partition;         /* the Interface or top-level element holding it */
    int prop;              /* MODEL_P_* of the parent member holding it */
    bool toplevel;
    bool informal;         /* undefined co-types and members allowed */
    bool writable;
    unsigned adj;          /* MODEL_A_* */
    unsigned exts;         /* the extensions whose contexts are in force (bit per dtdl.c's X_*) */
    int semtype;           /* quantitativeTypes semantic type, -1 */
    const char *unit;      /* unit term (v3 extension, or a v2 "unit" string) */
    const char *annotates; /* ValueAnnotation */
    const char *overrides; /* Override: the member term */
    long index;            /* Indexed */
    const char *target;    /* Relationship target DTMI */
    long max_multiplicity; /* Relationship; -1 when absent */
    bool enum_strings;     /* Enum: valueSchema string */
    bool value_schema_set; /* Enum: valueSchema valid */
    const json_t *enum_raw; /* EnumValue: enumValue as written */
    size_t e0, ne;         /* edges[e0 .. e0+ne) leave this node */
} model__node;

typedef struct model__edge {
    int from;
    int prop;              /* MODEL_P_* */
    int kind;              /* MODEL_E_* */
    int to;                /* MODEL_E_NODE (and MODEL_E_REF once resolved): node */
    int std;               /* MODEL_E_STD: gm_schema_kind; MODEL_E_UNIT: unit type (units.h) */
    const char *ref;       /* MODEL_E_REF: the DTMI */
    unsigned classes;      /* MODEL_E_REF: classes allowed (bit per MODEL_C_*) */
    bool v2ok;             /* MODEL_E_REF: a v2 element may be named */
    const char *where;     /* JSON path of the value (arena) */
} model__edge;

typedef struct model__graph {
    model__node *nodes;
    size_t nnodes;
    model__edge *edges;    /* grouped by node: nodes[i].e0 */
    size_t nedges;
    gm_map *ids;           /* @id -> node index + 1 */
    gm_arena *arena;
} model__graph;

/* The class name ("Interface", "CommandRequest", ...). */
const char *model__class_name(int cls);

/* The member name ("contents", "elementSchema", ...). */
const char *model__prop_name(int prop);

/*
 * Validate docs as gm_dtdl_validate does and keep the element graph in *g
 * (zeroed by the caller). Edges to unresolved DTMIs stay MODEL_E_REF with
 * to == -1. Returns what gm_dtdl_validate returns; on GM_ENOMEM *g is
 * freed. Free *g with model__graph_free in every other case.
 */
int model__dtdl_build(const gm_dtdl_doc *docs, size_t n, const gm_dtdl_opts *opts,
                      gm_dtdl_report *rep, model__graph *g);

void model__graph_free(model__graph *g);

/* Append a problem to a report (beyond GM_DTDL_MAX_PROBLEMS it is only
   counted as dropped); file is borrowed. 0 or GM_ENOMEM. */
int model__report_add(gm_dtdl_report *r, const char *file, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int model__report_vadd(gm_dtdl_report *r, const char *file, const char *where, const char *fmt,
                       va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * The Interfaces reachable from node i through extends, i first, in
 * breadth-first order, each once, into out (int node indexes; cleared
 * first). mark (one byte per node, all zero) is used and left zero.
 * *count receives the extends values met on the way; past
 * MODEL_MAX_EXTENDS_COUNT the walk stops, the count being too high
 * already. Returns the interfaces found, or -1 when out of memory.
 */
#define MODEL_MAX_EXTENDS_COUNT 1024 /* extends values, all levels */
long model__extends_closure(const model__graph *g, int i, gm_vec *out, unsigned char *mark,
                            long *count);

/* The node an @id names, or -1. */
int model__graph_find(const model__graph *g, const char *id);

#endif
