/*
 * registry.h: the model registry. It holds a valid set of DTDL interfaces,
 * accepts more (validated together with what it holds, all or nothing),
 * removes them (refusing while other models or twins depend on them), and
 * answers for any interface its flattened contents (inherited included),
 * each element's schema as a gm_schema tree, and each telemetry's or
 * property's semantic type and unit. It also checks instance values: a
 * property value, a telemetry payload, a command request.
 *
 * Pointers the registry returns (interfaces, contents, schemas, strings)
 * stay valid until the next successful add or remove. Not thread-safe: one
 * owner (the engine thread).
 */
#ifndef GM_MODEL_REGISTRY_H
#define GM_MODEL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "model/dtdl.h"
#include "model/schema.h"

#define GM_MODEL_MAX_FILE_BYTES (64u << 20) /* one model file */
#define GM_MODEL_MAX_FILES 100000           /* files in one load */

typedef struct gm_model_registry gm_model_registry;

typedef enum gm_content_kind {
    GM_CONTENT_TELEMETRY,
    GM_CONTENT_PROPERTY,
    GM_CONTENT_COMMAND,
    GM_CONTENT_RELATIONSHIP,
    GM_CONTENT_COMPONENT,
} gm_content_kind;

typedef struct gm_model_content gm_model_content;

/* One element of an interface's contents (or a relationship's property). */
struct gm_model_content {
    gm_content_kind kind;
    const char *name;
    const char *defined_in;    /* @id of the Interface that declares it */
    const char *id;            /* its own @id, or NULL */
    const char *display_name;  /* in the default language, or NULL */
    const char *description;   /* in the default language, or NULL */
    const gm_schema *schema;   /* TELEMETRY, PROPERTY */
    bool writable;             /* PROPERTY, RELATIONSHIP */
    const char *semantic_type; /* TELEMETRY, PROPERTY: "Temperature", or NULL */
    const char *unit;          /* TELEMETRY, PROPERTY: "degreeCelsius", or NULL */
    /* COMMAND: the request and response (NULL when absent) */
    const char *request_name, *response_name;
    const gm_schema *request, *response;
    /* RELATIONSHIP */
    const char *target;        /* Interface DTMI, or NULL: any */
    long max_multiplicity;     /* -1: unbounded */
    size_t nproperties;
    const gm_model_content *properties;
    /* COMPONENT */
    const char *component;     /* the component's Interface DTMI */
};

typedef struct gm_model_iface {
    const char *id;
    int version;               /* DTDL 2 or 3 */
    const char *file;          /* where it was defined */
    const char *display_name, *description;
    size_t nextends;
    const char *const *extends; /* direct bases */
    size_t ncontents;
    const gm_model_content *contents; /* own first (document order), then inherited */
    const gm_model_content *const *by_name; /* the contents sorted by name */
} gm_model_iface;

/* A set of parsed documents (what gm_model_load_paths returns). */
typedef struct gm_model_docs {
    gm_dtdl_doc *docs;
    size_t n;
    char **files;  /* every file read, parsed or not (docs[i].file points here) */
    size_t nfiles;
} gm_model_docs;

/*
 * Read model files: each path is a file, or a directory searched
 * recursively for *.json (sorted by name, hidden entries skipped). A file
 * holds one document (an element or an array of them); a leading UTF-8 BOM
 * is skipped. A file that is not valid JSON is a problem in rep (the file,
 * "line L column C" and jansson's message), and the other files still load.
 * Returns 0; GM_ENOENT / GM_EIO / GM_ELIMIT with err for a path that cannot
 * be read at all (a usage error); GM_ENOMEM. out owns the documents: free
 * with gm_model_docs_free.
 */
int gm_model_load_paths(const char *const *paths, size_t n, gm_model_docs *out,
                        gm_dtdl_report *rep, gm_err *err);

void gm_model_docs_free(gm_model_docs *d);

/* An empty registry validating under opts (NULL: defaults); NULL when out
   of memory. */
gm_model_registry *gm_model_registry_create(const gm_dtdl_opts *opts);

void gm_model_registry_destroy(gm_model_registry *r);

/*
 * Validate docs together with the models already held and, when the whole
 * set is valid, add them (the registry keeps references to the JSON and
 * copies the file names). rep (zeroed or freed by the caller) receives the
 * problems. Returns 0, GM_EINVAL (nothing changes), GM_EEXIST with rep
 * naming the @id when an interface is already held, GM_ENOMEM.
 */
int gm_model_registry_add(gm_model_registry *r, const gm_dtdl_doc *docs, size_t n,
                          gm_dtdl_report *rep);

/*
 * Twins use models: the engine tells the registry which ones so that it
 * refuses to remove them. in_use(ctx, id) returns true when twins use id.
 */
void gm_model_registry_set_in_use(gm_model_registry *r, bool (*in_use)(void *ctx, const char *id),
                                  void *ctx);

/*
 * Remove the top-level interface id (with the elements defined inside it).
 * Refused with GM_ECONFLICT and err naming the dependant when another model
 * extends, references or targets it, or when twins use it; GM_ENOENT when
 * id is not held (or is not top-level); GM_ENOMEM. Nothing changes on error.
 */
int gm_model_registry_remove(gm_model_registry *r, const char *id, gm_err *err);

/* The interface id (any Interface with an @id, inline ones included), or
   NULL. */
const gm_model_iface *gm_model_registry_get(const gm_model_registry *r, const char *id);

/* Interfaces held, and the i-th of them (in the order they were added). */
size_t gm_model_registry_count(const gm_model_registry *r);
const gm_model_iface *gm_model_registry_at(const gm_model_registry *r, size_t i);

/* The top-level elements held (as added; one per interface even when a file
   held an array), in the order they were added; borrowed. */
size_t gm_model_registry_documents(const gm_model_registry *r);
const json_t *gm_model_registry_document(const gm_model_registry *r, size_t i);

/* True when interface id is base or extends it, directly or not. */
bool gm_model_registry_is_a(const gm_model_registry *r, const char *id, const char *base);

/* The content named name in iface (inherited included), or NULL. */
const gm_model_content *gm_model_iface_find(const gm_model_iface *iface, const char *name);

/*
 * Instance validation, with errors naming the JSON path below path:
 *  - a property value: name must be a Property of iface;
 *  - a telemetry payload: a JSON object whose members are Telemetry names of
 *    iface, each value conforming to its schema;
 *  - a command request: name must be a Command; a command without a request
 *    takes no payload (JSON null or absent: pass NULL).
 * Return 0 or GM_EINVAL (GM_ENOENT when the name is not in the interface).
 */
int gm_model_check_property(const gm_model_iface *iface, const char *name, const json_t *value,
                            const char *path, gm_err *err);
int gm_model_check_telemetry(const gm_model_iface *iface, const json_t *payload, const char *path,
                             gm_err *err);
int gm_model_check_command(const gm_model_iface *iface, const char *name, const json_t *request,
                           const char *path, gm_err *err);

/* The content kind's DTDL class name ("Telemetry", ...). */
const char *gm_content_kind_name(gm_content_kind k);

#endif
