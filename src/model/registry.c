/*
 * registry.c: the model registry over the validator's element graph.
 *
 * The registry keeps one entry per top-level element (a document holding
 * an array is split), and the graph of all entries from the last successful
 * validation. Every add or remove validates the whole new set again (the
 * validator is fast: see bench/bench_models.c) and, only when it is valid,
 * swaps it in and compiles it: interfaces flattened across extends, schemas
 * as gm_schema trees shared between the elements that use them.
 */
#include "model/registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/json.h"
#include "base/map.h"
#include "base/vec.h"
#include "model/dtdl_graph.h"
#include "model/units.h"

typedef struct entry {
    const char *file; /* interned in the registry */
    json_t *json; /* one top-level element (a reference is held) */
    const char *id; /* its @id (inside json), or NULL */
} entry;

struct gm_model_registry {
    gm_dtdl_opts opts;
    gm_vec entries;           /* entry */
    model__graph g;           /* of the entries, in order */
    gm_arena *arena;          /* the compiled interfaces and schemas */
    gm_model_iface *ifaces;
    size_t nifaces;
    gm_map *byid;             /* @id -> interface index + 1 */
    gm_map *files;            /* file name -> its copy, which nodes and entries point to */
    bool (*in_use)(void *ctx, const char *id);
    void *in_use_ctx;
};

const char *gm_content_kind_name(gm_content_kind k)
{
    static const char *const names[] = {"Telemetry", "Property", "Command", "Relationship",
                                        "Component"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ---- loading files ------------------------------------------------------------ */

void gm_model_docs_free(gm_model_docs *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        json_decref((json_t *)d->docs[i].json);
    free(d->docs);
    for (size_t i = 0; i < d->nfiles; i++)
        free(d->files[i]);
    free(d->files);
    memset(d, 0, sizeof *d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_json_suffix(const char *s)
{
    size_t n = strlen(s);
    return n > 5 && strcmp(s + n - 5, ".json") == 0;
}

/* Append the *.json files below dir (sorted per directory) to files. */
static int walk_dir(const char *dir, gm_vec *files, int depth, gm_err *err)
{
    if (depth > 32)
        return gm_err_set(err, GM_ELIMIT, dir, "directories nested deeper than 32");
    DIR *d = opendir(dir);
    if (!d)
        return gm_err_set(err, errno == ENOENT ? GM_ENOENT : GM_EIO, dir, "cannot open: %s",
                          strerror(errno));
    gm_vec names;
    gm_vec_init(&names, sizeof(char *));
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *full = NULL;
        if (asprintf(&full, "%s/%s", dir, de->d_name) < 0 || gm_vec_push(&names, &full)) {
            free(full);
            rc = GM_ENOMEM;
            goto done;
        }
    }
    qsort(names.data, names.len, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.len && !rc; i++) {
        char *full = ((char **)names.data)[i];
        struct stat st;
        if (stat(full, &st) != 0)
            continue; /* a dangling link: nothing to read */
        if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(full, files, depth + 1, err);
        } else if (S_ISREG(st.st_mode) && has_json_suffix(full)) {
            if (files->len >= GM_MODEL_MAX_FILES) {
                rc = gm_err_set(err, GM_ELIMIT, dir, "more than %d model files", GM_MODEL_MAX_FILES);
                break;
            }
            if (gm_vec_push(files, &full)) {
                rc = GM_ENOMEM;
                break;
            }
            ((char **)names.data)[i] = NULL; /* now owned by files */
        }
    }
done:
    for (size_t i = 0; i < names.len; i++)
        free(((char **)names.data)[i]);
    gm_vec_free(&names);
    closedir(d);
    return rc;
}

int gm_model_load_paths(const char *const *paths, size_t n, gm_model_docs *out,
                        gm_dtdl_report *rep, gm_err *err)
{
    gm_vec files, docs;
    gm_vec_init(&files, sizeof(char *));
    gm_vec_init(&docs, sizeof(gm_dtdl_doc));
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            rc = gm_err_set(err, errno == ENOENT ? GM_ENOENT : GM_EIO, paths[i], "cannot read: %s",
                            strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(paths[i], &files, 0, err);
        } else {
            char *f = strdup(paths[i]);
            if (!f || gm_vec_push(&files, &f)) {
                free(f);
                rc = GM_ENOMEM;
            }
        }
    }
    for (size_t i = 0; i < files.len && !rc; i++) {
        const char *f = ((char **)files.data)[i];
        char *buf = NULL;
        size_t len = 0;
        rc = gm_file_read(f, GM_MODEL_MAX_FILE_BYTES, &buf, &len, err);
        if (rc)
            break;
        size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        gm_err e;
        gm_err_clear(&e);
        json_t *j = gm_json_load_str(buf + skip, len - skip, NULL, f, &e);
        free(buf);
        if (!j) {
            if (e.code == GM_ENOMEM) {
                rc = GM_ENOMEM;
                break;
            }
            /* "file:line:column" from the loader: keep what follows the file */
            const char *where = e.where;
            size_t fl = strlen(f);
            if (strncmp(where, f, fl) == 0 && where[fl] == ':')
                where += fl + 1;
            if (model__report_add(rep, f, where, "not valid JSON: %s", e.what))
                rc = GM_ENOMEM;
            continue;
        }
        gm_dtdl_doc d = {f, j};
        if (gm_vec_push(&docs, &d)) {
            json_decref(j);
            rc = GM_ENOMEM;
        }
    }
    out->files = files.data;
    out->nfiles = files.len;
    out->docs = docs.data;
    out->n = docs.len;
    if (rc)
        gm_model_docs_free(out);
    return rc;
}

/* ---- create / destroy ----------------------------------------------------------- */

gm_model_registry *gm_model_registry_create(const gm_dtdl_opts *opts)
{
    gm_model_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (opts)
        r->opts = *opts;
    gm_vec_init(&r->entries, sizeof(entry));
    r->files = gm_map_create(GM_MAP_STR);
    if (!r->files) {
        free(r);
        return NULL;
    }
    return r;
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(e[i].json);
}

/* The registry's lasting copy of a file name; NULL when out of memory. */
static const char *intern(gm_model_registry *r, const char *name)
{
    bool created;
    void **slot = gm_map_sslot(r->files, name, strlen(name), &created);
    if (!slot)
        return NULL;
    if (created && !(*slot = strdup(name))) {
        gm_map_sdel(r->files, name, strlen(name), NULL);
        return NULL;
    }
    return *slot;
}

static void free_compiled(gm_model_registry *r)
{
    gm_arena_destroy(r->arena);
    gm_map_destroy(r->byid);
    r->arena = NULL;
    r->byid = NULL;
    r->ifaces = NULL;
    r->nifaces = 0;
}

void gm_model_registry_destroy(gm_model_registry *r)
{
    if (!r)
        return;
    free_entries(r->entries.data, r->entries.len);
    gm_vec_free(&r->entries);
    model__graph_free(&r->g);
    free_compiled(r);
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(r->files, &pos, &it))
        free(it.val);
    gm_map_destroy(r->files);
    free(r);
}

void gm_model_registry_set_in_use(gm_model_registry *r, bool (*in_use)(void *ctx, const char *id),
                                  void *ctx)
{
    r->in_use = in_use;
    r->in_use_ctx = ctx;
}

/* ---- compiling ------------------------------------------------------------------- */

#define UNIT_TYPES_MAX 64 /* more than units.h has */

typedef struct compiler {
    const model__graph *g;
    gm_arena *a;
    gm_schema **memo; /* per node */
    const gm_schema *units[UNIT_TYPES_MAX]; /* per unit type, once compiled */
    bool nomem;
} compiler;

static const gm_schema *std_schema(int kind)
{
    static gm_schema prims[GM_SCHEMA_ARRAY];
    static bool ready;
    if (!ready) {
        for (int k = 0; k < GM_SCHEMA_ARRAY; k++)
            prims[k].kind = (gm_schema_kind)k;
        ready = true;
    }
    return kind >= 0 && kind < GM_SCHEMA_ARRAY ? &prims[kind] : NULL;
}

/* The text of a localizable string in the default language (en). */
static const char *default_text(const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_object(v)) {
        const json_t *en = json_object_get(v, "en");
        if (json_is_string(en))
            return json_string_value(en);
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (json_is_string(x))
                return json_string_value(x);
        }
        return NULL;
    }
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        if (json_is_string(x))
            return json_string_value(x);
        const char *lang = json_string_value(json_object_get(x, "@language"));
        if (!lang || strcmp(lang, "en") == 0)
            return json_string_value(json_object_get(x, "@value"));
    }
    return NULL;
}

/* The first edge of node i through prop, or NULL. */
static const model__edge *edge_of(const model__graph *g, int i, int prop)
{
    const model__node *nd = &g->nodes[i];
    for (size_t j = 0; j < nd->ne; j++)
        if (g->edges[nd->e0 + j].prop == prop)
            return &g->edges[nd->e0 + j];
    return NULL;
}

static size_t count_edges(const model__graph *g, int i, int prop)
{
    size_t n = 0;
    const model__node *nd = &g->nodes[i];
    for (size_t j = 0; j < nd->ne; j++)
        n += g->edges[nd->e0 + j].prop == prop;
    return n;
}

static const gm_schema *compile_schema_edge(compiler *C, const model__edge *e);

static const gm_schema *compile_schema_node(compiler *C, int i)
{
    const model__graph *g = C->g;
    if (C->memo[i])
        return C->memo[i];
    const model__node *nd = &g->nodes[i];
    gm_schema *s = gm_arena_calloc(C->a, 1, sizeof *s);
    if (!s) {
        C->nomem = true;
        return NULL;
    }
    C->memo[i] = s; /* before recursing: the graph is acyclic, but be safe */
    s->id = nd->id;
    switch (nd->cls) {
    case MODEL_C_ARRAY:
        s->kind = GM_SCHEMA_ARRAY;
        s->element = compile_schema_edge(C, edge_of(g, i, MODEL_P_ELEMENTSCHEMA));
        break;
    case MODEL_C_MAP: {
        s->kind = GM_SCHEMA_MAP;
        const model__edge *k = edge_of(g, i, MODEL_P_MAPKEY), *v = edge_of(g, i, MODEL_P_MAPVALUE);
        if (k && k->to >= 0)
            s->key_name = g->nodes[k->to].name;
        if (v && v->to >= 0) {
            s->value_name = g->nodes[v->to].name;
            s->element = compile_schema_edge(C, edge_of(g, v->to, MODEL_P_SCHEMA));
        }
        break;
    }
    case MODEL_C_OBJECT: {
        s->kind = GM_SCHEMA_OBJECT;
        size_t n = count_edges(g, i, MODEL_P_FIELDS);
        gm_schema_field *f = gm_arena_calloc(C->a, n ? n : 1, sizeof *f);
        if (!f) {
            C->nomem = true;
            return NULL;
        }
        size_t k = 0;
        for (size_t j = 0; j < nd->ne; j++) {
            const model__edge *e = &g->edges[nd->e0 + j];
            if (e->prop != MODEL_P_FIELDS || e->to < 0)
                continue;
            f[k].name = g->nodes[e->to].name;
            f[k].schema = compile_schema_edge(C, edge_of(g, e->to, MODEL_P_SCHEMA));
            k++;
        }
        s->fields = f;
        s->n = k;
        break;
    }
    case MODEL_C_ENUM: {
        s->kind = GM_SCHEMA_ENUM;
        s->enum_strings = nd->enum_strings;
        size_t n = count_edges(g, i, MODEL_P_ENUMVALUES);
        gm_schema_enum_value *v = gm_arena_calloc(C->a, n ? n : 1, sizeof *v);
        if (!v) {
            C->nomem = true;
            return NULL;
        }
        size_t k = 0;
        for (size_t j = 0; j < nd->ne; j++) {
            const model__edge *e = &g->edges[nd->e0 + j];
            if (e->prop != MODEL_P_ENUMVALUES || e->to < 0)
                continue;
            const model__node *ev = &g->nodes[e->to];
            const json_t *raw = ev->enum_raw;
            if (json_is_array(raw))
                raw = json_array_get(raw, 0);
            if (json_is_object(raw))
                raw = json_object_get(raw, "@value");
            v[k].name = ev->name;
            v[k].str = json_string_value(raw);
            v[k].num = json_is_integer(raw) ? (long long)json_integer_value(raw) : 0;
            k++;
        }
        s->values = v;
        s->n = k;
        break;
    }
    default:
        /* not a schema: validation refuses this, so it cannot happen */
        s->kind = GM_SCHEMA_STRING;
        break;
    }
    return s;
}

/* A unit type of the quantitativeTypes extension as the string Enum of its
   units that the extension defines. */
static const gm_schema *compile_unit_type(compiler *C, int ut)
{
    if (ut < 0 || ut >= UNIT_TYPES_MAX)
        return NULL;
    if (C->units[ut])
        return C->units[ut];
    const char *const *names;
    size_t n = gm_units_unit_type_units(ut, &names);
    gm_schema *s = gm_arena_calloc(C->a, 1, sizeof *s);
    gm_schema_enum_value *v = gm_arena_calloc(C->a, n ? n : 1, sizeof *v);
    char id[128];
    char *sid = gm_units_unit_type_id(ut, id, sizeof id) ? NULL : gm_arena_strdup(C->a, id);
    if (!s || !v || !sid) {
        C->nomem = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (gm_schema_enum_value){.name = names[i], .str = names[i]};
    *s = (gm_schema){.kind = GM_SCHEMA_ENUM, .id = sid, .enum_strings = true, .n = n,
                     .values = v, .unit_type = gm_units_unit_type_name(ut)};
    return C->units[ut] = s;
}

static const gm_schema *compile_schema_edge(compiler *C, const model__edge *e)
{
    if (!e)
        return NULL;
    if (e->kind == MODEL_E_STD)
        return std_schema(e->std);
    if (e->kind == MODEL_E_UNIT)
        return compile_unit_type(C, e->std);
    return e->to >= 0 ? compile_schema_node(C, e->to) : NULL;
}

/* The semantic type of an element (quantitativeTypes in v3, the base
   context's in v2), or NULL. */
static const char *semantic_type(const model__node *nd)
{
    return nd->adj & MODEL_A_SEMANTIC ? gm_units_semantic_name(nd->semtype) : NULL;
}

static void compile_content(compiler *C, int i, const char *owner, gm_model_content *c)
{
    const model__graph *g = C->g;
    const model__node *nd = &g->nodes[i];
    memset(c, 0, sizeof *c);
    c->name = nd->name;
    c->defined_in = owner;
    c->id = nd->id;
    c->display_name = default_text(json_object_get(nd->obj, "displayName"));
    c->description = default_text(json_object_get(nd->obj, "description"));
    c->writable = nd->writable;
    c->max_multiplicity = -1;
    switch (nd->cls) {
    case MODEL_C_TELEMETRY:
    case MODEL_C_PROPERTY:
        c->kind = nd->cls == MODEL_C_TELEMETRY ? GM_CONTENT_TELEMETRY : GM_CONTENT_PROPERTY;
        c->schema = compile_schema_edge(C, edge_of(g, i, MODEL_P_SCHEMA));
        c->semantic_type = semantic_type(nd);
        c->unit = nd->unit;
        break;
    case MODEL_C_COMMAND: {
        c->kind = GM_CONTENT_COMMAND;
        const model__edge *rq = edge_of(g, i, MODEL_P_REQUEST), *rs = edge_of(g, i, MODEL_P_RESPONSE);
        if (rq && rq->to >= 0) {
            c->request_name = g->nodes[rq->to].name;
            c->request = compile_schema_edge(C, edge_of(g, rq->to, MODEL_P_SCHEMA));
        }
        if (rs && rs->to >= 0) {
            c->response_name = g->nodes[rs->to].name;
            c->response = compile_schema_edge(C, edge_of(g, rs->to, MODEL_P_SCHEMA));
        }
        break;
    }
    case MODEL_C_RELATIONSHIP: {
        c->kind = GM_CONTENT_RELATIONSHIP;
        c->target = nd->target;
        c->max_multiplicity = nd->max_multiplicity;
        size_t n = count_edges(g, i, MODEL_P_PROPERTIES);
        gm_model_content *p = gm_arena_calloc(C->a, n ? n : 1, sizeof *p);
        if (!p) {
            C->nomem = true;
            return;
        }
        size_t k = 0;
        for (size_t j = 0; j < nd->ne; j++) {
            const model__edge *e = &g->edges[nd->e0 + j];
            if (e->prop == MODEL_P_PROPERTIES && e->to >= 0)
                compile_content(C, e->to, owner, &p[k++]);
        }
        c->properties = p;
        c->nproperties = k;
        break;
    }
    case MODEL_C_COMPONENT: {
        c->kind = GM_CONTENT_COMPONENT;
        const model__edge *e = edge_of(g, i, MODEL_P_SCHEMA);
        if (e && e->to >= 0)
            c->component = g->nodes[e->to].id;
        break;
    }
    default: break;
    }
}

static int cmp_content(const void *a, const void *b)
{
    const gm_model_content *x = *(const gm_model_content *const *)a;
    const gm_model_content *y = *(const gm_model_content *const *)b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

/* Interface node i flattened: own contents, then each base's (breadth
   first, each base once). */
static int compile_iface(compiler *C, int i, gm_model_iface *out, gm_vec *closure,
                         unsigned char *mark)
{
    const model__graph *g = C->g;
    const model__node *nd = &g->nodes[i];
    out->id = nd->id;
    out->version = nd->ver;
    out->file = nd->file;
    out->display_name = default_text(json_object_get(nd->obj, "displayName"));
    out->description = default_text(json_object_get(nd->obj, "description"));
    size_t next = count_edges(g, i, MODEL_P_EXTENDS);
    const char **ext = gm_arena_calloc(C->a, next ? next : 1, sizeof *ext);
    if (!ext)
        return GM_ENOMEM;
    for (size_t j = 0, k = 0; j < nd->ne; j++) {
        const model__edge *e = &g->edges[nd->e0 + j];
        if (e->prop == MODEL_P_EXTENDS && e->to >= 0)
            ext[k++] = g->nodes[e->to].id;
    }
    out->extends = ext;
    out->nextends = next;
    long count;
    if (model__extends_closure(g, i, closure, mark, &count) < 0)
        return GM_ENOMEM;
    size_t ncontents = 0;
    for (size_t q = 0; q < closure->len; q++)
        ncontents += count_edges(g, ((int *)closure->data)[q], MODEL_P_CONTENTS);
    gm_model_content *cs = gm_arena_calloc(C->a, ncontents ? ncontents : 1, sizeof *cs);
    const gm_model_content **sorted = gm_arena_calloc(C->a, ncontents ? ncontents : 1, sizeof *sorted);
    if (!cs || !sorted)
        return GM_ENOMEM;
    size_t k = 0;
    for (size_t q = 0; q < closure->len; q++) {
        int b = ((int *)closure->data)[q];
        const model__node *bn = &g->nodes[b];
        for (size_t j = 0; j < bn->ne; j++) {
            const model__edge *e = &g->edges[bn->e0 + j];
            if (e->prop != MODEL_P_CONTENTS || e->to < 0)
                continue;
            compile_content(C, e->to, bn->id, &cs[k]);
            sorted[k] = &cs[k];
            k++;
        }
    }
    qsort(sorted, k, sizeof *sorted, cmp_content);
    out->contents = cs;
    out->ncontents = k;
    out->by_name = sorted;
    return C->nomem ? GM_ENOMEM : 0;
}

/* Compile graph g into a fresh arena and id map; on success they replace
   the registry's. */
static int compile(gm_model_registry *r, const model__graph *g)
{
    compiler C = {.g = g, .a = gm_arena_create(0, 0)};
    gm_map *byid = gm_map_create(GM_MAP_STR);
    gm_vec closure;
    gm_vec_init(&closure, sizeof(int));
    unsigned char *mark = calloc(g->nnodes ? g->nnodes : 1, 1);
    C.memo = calloc(g->nnodes ? g->nnodes : 1, sizeof *C.memo);
    int rc = GM_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        n += g->nodes[i].cls == MODEL_C_INTERFACE && g->nodes[i].id;
    gm_model_iface *ifaces = C.a ? gm_arena_calloc(C.a, n ? n : 1, sizeof *ifaces) : NULL;
    if (!byid || !mark || !C.memo || !ifaces)
        goto fail;
    size_t k = 0;
    for (size_t i = 0; i < g->nnodes; i++) {
        const model__node *nd = &g->nodes[i];
        if (nd->cls != MODEL_C_INTERFACE || !nd->id)
            continue;
        if (compile_iface(&C, (int)i, &ifaces[k], &closure, mark) ||
            gm_map_sput(byid, nd->id, strlen(nd->id), (void *)(uintptr_t)(k + 1)))
            goto fail;
        k++;
    }
    free_compiled(r);
    r->arena = C.a;
    r->byid = byid;
    r->ifaces = ifaces;
    r->nifaces = k;
    C.a = NULL;
    byid = NULL;
    rc = 0;
fail:
    gm_arena_destroy(C.a);
    gm_map_destroy(byid);
    gm_vec_free(&closure);
    free(mark);
    free(C.memo);
    return rc;
}

/* ---- add / remove ------------------------------------------------------------------ */

/* Validate entries[0..nold) plus docs as one set; on success g holds the
   graph (entries first, then docs in order). */
static int validate_set(gm_model_registry *r, const entry *old, size_t nold, const gm_dtdl_doc *docs,
                        size_t n, gm_dtdl_report *rep, model__graph *g)
{
    gm_dtdl_doc *all = malloc((nold + n ? nold + n : 1) * sizeof *all);
    if (!all)
        return GM_ENOMEM;
    for (size_t i = 0; i < nold; i++)
        all[i] = (gm_dtdl_doc){old[i].file, old[i].json};
    for (size_t i = 0; i < n; i++)
        all[nold + i] = docs[i];
    memset(g, 0, sizeof *g);
    int rc = model__dtdl_build(all, nold + n, &r->opts, rep, g);
    free(all);
    return rc;
}

/* Swap in a validated graph and its entries, compiling first. */
static int commit(gm_model_registry *r, model__graph *g, gm_vec *entries)
{
    int rc = compile(r, g);
    if (rc)
        return rc;
    model__graph_free(&r->g);
    r->g = *g;
    memset(g, 0, sizeof *g);
    free_entries(r->entries.data, r->entries.len);
    gm_vec_free(&r->entries);
    r->entries = *entries;
    gm_vec_init(entries, sizeof(entry));
    return 0;
}

static int copy_entries(const gm_model_registry *r, gm_vec *out, size_t skip)
{
    const entry *e = r->entries.data;
    for (size_t i = 0; i < r->entries.len; i++) {
        if (i == skip)
            continue;
        entry c = {e[i].file, json_incref(e[i].json), e[i].id};
        if (gm_vec_push(out, &c)) {
            json_decref(c.json);
            return GM_ENOMEM;
        }
    }
    return 0;
}

static int push_element(gm_vec *out, const char *file, json_t *el)
{
    const json_t *id = json_object_get(el, "@id");
    entry c = {file, json_incref(el), json_string_value(id)};
    if (gm_vec_push(out, &c)) {
        json_decref(c.json);
        return GM_ENOMEM;
    }
    return 0;
}

/* Point the nodes of the caller's documents at the registry's copies of
   their file names (problems, reported before, keep the caller's). */
static int adopt_files(gm_model_registry *r, model__graph *g, const gm_dtdl_doc *docs, size_t n,
                       const char **interned)
{
    gm_map *m = gm_map_create(GM_MAP_INT);
    if (!m)
        return GM_ENOMEM;
    int rc = 0;
    for (size_t d = 0; d < n && !rc; d++) {
        interned[d] = intern(r, docs[d].file);
        if (!interned[d] || gm_map_iput(m, (uint64_t)(uintptr_t)docs[d].file, (void *)interned[d]))
            rc = GM_ENOMEM;
    }
    for (size_t i = 0; i < g->nnodes && !rc; i++) {
        void *to;
        if (gm_map_iget(m, (uint64_t)(uintptr_t)g->nodes[i].file, &to))
            g->nodes[i].file = to;
    }
    gm_map_destroy(m);
    return rc;
}

int gm_model_registry_add(gm_model_registry *r, const gm_dtdl_doc *docs, size_t n,
                          gm_dtdl_report *rep)
{
    /* an interface already held is a conflict, not a duplicate definition */
    bool exists = false;
    for (size_t d = 0; d < n; d++) {
        const json_t *j = docs[d].json;
        size_t m = json_is_array(j) ? json_array_size(j) : 1;
        for (size_t i = 0; i < m; i++) {
            const json_t *el = json_is_array(j) ? json_array_get(j, i) : j;
            const char *id = json_string_value(json_object_get(el, "@id"));
            if (id && gm_model_registry_get(r, id)) {
                char p[32] = "";
                if (json_is_array(j))
                    snprintf(p, sizeof p, "[%zu]", i);
                if (model__report_add(rep, docs[d].file, p,
                                      "'%s' is already in the registry; remove it first", id))
                    return GM_ENOMEM;
                exists = true;
            }
        }
    }
    if (exists)
        return GM_EEXIST;
    model__graph g;
    int rc = validate_set(r, r->entries.data, r->entries.len, docs, n, rep, &g);
    if (rc) {
        if (rc != GM_ENOMEM)
            model__graph_free(&g);
        return rc;
    }
    gm_vec entries;
    gm_vec_init(&entries, sizeof(entry));
    const char **files = calloc(n ? n : 1, sizeof *files);
    rc = files ? adopt_files(r, &g, docs, n, files) : GM_ENOMEM;
    if (!rc)
        rc = copy_entries(r, &entries, SIZE_MAX);
    for (size_t d = 0; d < n && !rc; d++) {
        json_t *j = (json_t *)docs[d].json;
        if (json_is_array(j)) {
            for (size_t i = 0; i < json_array_size(j) && !rc; i++)
                rc = push_element(&entries, files[d], json_array_get(j, i));
        } else {
            rc = push_element(&entries, files[d], j);
        }
    }
    if (!rc)
        rc = commit(r, &g, &entries);
    free(files);
    model__graph_free(&g);
    free_entries(entries.data, entries.len);
    gm_vec_free(&entries);
    return rc;
}

/* Who still needs `id` in graph g (built without it): a reference left
   unresolved, or a relationship targeting it. */
static const model__node *dependant(const model__graph *g, const char *id)
{
    for (size_t i = 0; i < g->nedges; i++) {
        const model__edge *e = &g->edges[i];
        if (e->kind == MODEL_E_REF && e->to < 0 && strcmp(e->ref, id) == 0)
            return &g->nodes[e->from];
    }
    for (size_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i].target && strcmp(g->nodes[i].target, id) == 0)
            return &g->nodes[i];
    return NULL;
}

/* The Interface (with an @id) holding node i: itself or its nearest
   enclosing Interface. */
static const char *owner_id(const model__graph *g, const model__node *nd)
{
    while (nd && !(nd->cls == MODEL_C_INTERFACE && nd->id))
        nd = nd->parent >= 0 ? &g->nodes[nd->parent] : NULL;
    return nd ? nd->id : NULL;
}

int gm_model_registry_remove(gm_model_registry *r, const char *id, gm_err *err)
{
    const entry *e = r->entries.data;
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < r->entries.len && at == SIZE_MAX; i++)
        if (e[i].id && strcmp(e[i].id, id) == 0)
            at = i;
    if (at == SIZE_MAX)
        return gm_err_set(err, GM_ENOENT, id, "no top-level interface with this @id is held");
    /* twins may use it or any interface defined inside it */
    for (size_t i = 0; i < r->g.nnodes && r->in_use; i++) {
        const model__node *nd = &r->g.nodes[i];
        if (nd->cls != MODEL_C_INTERFACE || !nd->id || nd->file != e[at].file)
            continue;
        const model__node *top = nd;
        while (top->parent >= 0)
            top = &r->g.nodes[top->parent];
        if (top->obj == e[at].json && r->in_use(r->in_use_ctx, nd->id)) {
            /* where names the model already: say "it", and name only an
               interface defined inside it */
            if (strcmp(nd->id, id) == 0)
                return gm_err_set(err, GM_ECONFLICT, id, "twins use it; delete them first");
            return gm_err_set(err, GM_ECONFLICT, id,
                              "twins use '%s', defined in it; delete them first", nd->id);
        }
    }
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    gm_vec entries;
    gm_vec_init(&entries, sizeof(entry));
    model__graph g;
    memset(&g, 0, sizeof g);
    int rc = copy_entries(r, &entries, at);
    if (!rc)
        rc = validate_set(r, entries.data, entries.len, NULL, 0, &rep, &g);
    if (rc == GM_EINVAL || (rc == 0 && dependant(&g, id))) {
        const model__node *dep = dependant(&g, id);
        const char *who = dep ? owner_id(&g, dep) : NULL;
        if (dep)
            rc = gm_err_set(err, GM_ECONFLICT, id, "'%s' (%s) depends on it; remove that first",
                            who ? who : "a model", dep->file);
        else if (rep.nproblems)
            rc = gm_err_set(err, GM_ECONFLICT, id, "the models left would be invalid: %s: %s: %s",
                            rep.problems[0].file, rep.problems[0].where, rep.problems[0].what);
        else
            rc = gm_err_set(err, GM_ECONFLICT, id, "other models depend on it");
    } else if (!rc) {
        rc = commit(r, &g, &entries);
    }
    if (rc != GM_ENOMEM || g.nodes)
        model__graph_free(&g);
    free_entries(entries.data, entries.len);
    gm_vec_free(&entries);
    gm_dtdl_report_free(&rep);
    return rc;
}

/* ---- queries -------------------------------------------------------------------------- */

const gm_model_iface *gm_model_registry_get(const gm_model_registry *r, const char *id)
{
    void *x;
    if (!r->byid || !id || !gm_map_sget(r->byid, id, strlen(id), &x))
        return NULL;
    return &r->ifaces[(uintptr_t)x - 1];
}

size_t gm_model_registry_count(const gm_model_registry *r)
{
    return r->nifaces;
}

const gm_model_iface *gm_model_registry_at(const gm_model_registry *r, size_t i)
{
    return i < r->nifaces ? &r->ifaces[i] : NULL;
}

size_t gm_model_registry_documents(const gm_model_registry *r)
{
    return r->entries.len;
}

const json_t *gm_model_registry_document(const gm_model_registry *r, size_t i)
{
    return i < r->entries.len ? ((const entry *)r->entries.data)[i].json : NULL;
}

bool gm_model_registry_is_a(const gm_model_registry *r, const char *id, const char *base)
{
    const gm_model_iface *i = gm_model_registry_get(r, id);
    if (!i || !base)
        return false;
    if (strcmp(i->id, base) == 0)
        return true;
    /* extends chains are at most 10 deep and 1024 wide (validated) */
    for (size_t k = 0; k < i->nextends; k++)
        if (gm_model_registry_is_a(r, i->extends[k], base))
            return true;
    return false;
}

const gm_model_content *gm_model_iface_find(const gm_model_iface *iface, const char *name)
{
    size_t lo = 0, hi = iface->ncontents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(iface->by_name[mid]->name, name);
        if (c == 0)
            return iface->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- instance validation ------------------------------------------------------------- */

static int find_kind(const gm_model_iface *iface, const char *name, gm_content_kind kind,
                     const char *path, gm_err *err, const gm_model_content **out)
{
    const gm_model_content *c = gm_model_iface_find(iface, name);
    if (!c)
        return gm_err_set(err, GM_ENOENT, path, "%s has no %s named '%s'", iface->id,
                          gm_content_kind_name(kind), name);
    if (c->kind != kind)
        return gm_err_set(err, GM_EINVAL, path, "'%s' is a %s of %s, not a %s", name,
                          gm_content_kind_name(c->kind), iface->id, gm_content_kind_name(kind));
    *out = c;
    return 0;
}

int gm_model_check_property(const gm_model_iface *iface, const char *name, const json_t *value,
                            const char *path, gm_err *err)
{
    const gm_model_content *c = NULL;
    int rc = find_kind(iface, name, GM_CONTENT_PROPERTY, path, err, &c);
    if (rc)
        return rc;
    return gm_schema_check(c->schema, value, path, err);
}

int gm_model_check_telemetry(const gm_model_iface *iface, const json_t *payload, const char *path,
                             gm_err *err)
{
    if (!json_is_object(payload))
        return gm_err_set(err, GM_EINVAL, path, "a telemetry payload is an object of telemetry "
                                                "names to values, found %s",
                          gm_json_type_name(payload));
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)payload, k, v) {
        char p[GM_ERR_WHERE_MAX];
        gm_json_path_key(p, sizeof p, path, k);
        const gm_model_content *c = NULL;
        int rc = find_kind(iface, k, GM_CONTENT_TELEMETRY, p, err, &c);
        if (!rc)
            rc = gm_schema_check(c->schema, v, p, err);
        if (rc)
            return rc;
    }
    return 0;
}

int gm_model_check_command(const gm_model_iface *iface, const char *name, const json_t *request,
                           const char *path, gm_err *err)
{
    const gm_model_content *c = NULL;
    int rc = find_kind(iface, name, GM_CONTENT_COMMAND, path, err, &c);
    if (rc)
        return rc;
    if (!c->request) {
        if (request && !json_is_null(request))
            return gm_err_set(err, GM_EINVAL, path, "command '%s' takes no request payload", name);
        return 0;
    }
    if (!request)
        return gm_err_set(err, GM_EINVAL, path, "command '%s' needs its request '%s'", name,
                          c->request_name ? c->request_name : "");
    return gm_schema_check(c->request, request, path, err);
}
