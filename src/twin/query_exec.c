/*
 * query_exec.c: the executor for the ADT query language (contracts in
 * query_exec.h).
 *
 * A query becomes a plan: "slots" (one per collection: the FROM twins or
 * relationships, each JOIN's relationship and target, each MATCH node and
 * named relationship), "edges" between twin slots (a JOIN, or a MATCH
 * relationship condition), the WHERE clause compiled into a small tree
 * whose paths point at slots, and the projections. The planner picks the
 * slot to start from (the anchor) and how to enumerate it; the edges,
 * walked outward from the anchor, become steps. Running binds the anchor,
 * then each step in turn, testing each top-level AND term of WHERE at the
 * step that binds the last slot it names; a complete binding is a row.
 *
 * Rows are not materialised: each one's sort key (borrowed strings) is
 * compared with the continuation key and, when it belongs on the page,
 * kept in a sorted buffer of page_size + 1 bindings. JSON is built only for
 * the page at the end. Everything borrowed points into the graph, which the
 * caller keeps unchanged during the call.
 *
 * Twins are bound as the graph's records (gm_twin_rec): a twin's $dtId
 * and its cached top-level values are read there, and its document only
 * when a path needs the JSON or the row is kept. Which cache slot a member
 * has depends on the twin's model; each operand remembers it for the last
 * bucket seen (exec.memo), so a pass over a bucket resolves it once.
 */
#include "twin/query_exec.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/checked.h"
#include "base/map.h"
#include "base/sb.h"
#include "twin/query.h"

#define MAX_SLOTS 32       /* FROM + 5 JOINs x 2, or 11 MATCH nodes + 10 relationships */
#define MAX_EDGES 16       /* 5 JOINs, or 10 MATCH conditions */
#define MAX_KEY (2 * MAX_SLOTS)
#define MAX_PATH_RELS 128  /* relationships on one MATCH path: 10 conditions x 10 hops */
#define TOKEN_VERSION 1
#define BATCH 64           /* rows whose keys are read together */
#define PREFETCH 16        /* twins read ahead in a bucket pass */

/* Fixed SipHash key for the query fingerprint in tokens: stable across
   processes so a token survives a restart. */
#define HASH_K0 0x67656d656c2d7131ULL
#define HASH_K1 0x746f6b656e2d7631ULL

/* ------------------------------------------------------------------------ */
/* Plan                                                                      */

typedef enum slot_kind { SLOT_TWIN, SLOT_REL } slot_kind;

typedef struct slot {
    slot_kind kind;
    const char *alias; /* NULL: anonymous (a MATCH node "()", a JOIN without a relationship alias) */
    bool in_key;       /* part of the row's sort key */
    unsigned level;    /* 0: the anchor; k + 1: bound by step k */
} slot;

typedef enum dir { DIR_OUT, DIR_IN, DIR_BOTH } dir;

/* An edge between twin slots a and b; as a step, a is bound and b is next. */
typedef struct edge {
    int a, b;
    int rel;     /* slot of the relationship, or -1 */
    dir d;       /* DIR_OUT: a is the source */
    size_t nnames; /* 0: any name */
    const char *const *names;
    unsigned min_hops, max_hops;
} edge;

/* A value seen through one type tag: a JSON value of a twin, or a literal. */
typedef enum vtype { V_UNDEF, V_NULL, V_BOOL, V_INT, V_REAL, V_STR, V_OBJ, V_ARR } vtype;

typedef struct val {
    vtype t;
    bool b;
    int64_t i;
    double r;
    const char *s;
    size_t n;
    const json_t *j; /* V_OBJ, V_ARR (and any JSON value) */
} val;

/* A literal, or a path: slot then nseg member names. */
typedef struct operand {
    bool is_lit;
    val lit;
    int slot;
    size_t nseg;
    const char *const *seg;
    unsigned memo; /* a twin's top-level member: 1 + its memo in exec (its cache slot), else 0 */
} operand;

typedef enum xkind { X_CONST, X_CMP, X_IN, X_NOT, X_AND, X_OR, X_CALL, X_MODEL } xkind;

typedef struct cx cx;
struct cx {
    xkind kind;
    bool b;             /* X_CONST */
    gm_query_cmp op;    /* X_CMP */
    gm_query_func fn;   /* X_CALL */
    bool negated;       /* X_IN: NIN */
    size_t nargs;       /* X_CALL */
    operand x, y;       /* X_CMP: x op y; X_IN: x; X_CALL: x[, y] */
    size_t n;           /* X_IN: values; X_AND, X_OR, X_NOT: items; X_MODEL: models */
    val *vals;
    cx **items;
    int slot;           /* X_MODEL */
    const char **models; /* X_MODEL: accepted DTMIs, sorted */
    unsigned memo;      /* X_MODEL: 1 + its memo in exec (the answer for a bucket) */
    gm_query_pos pos;
};

typedef struct conj {
    cx *e;
    unsigned level;
    bool skip; /* answered by the index the plan starts from */
} conj;

typedef struct col {
    const char *name;
    operand v; /* a path; nseg 0: the whole twin or relationship */
} col;

typedef enum access {
    ACC_SCAN,
    ACC_LOOKUP,
    ACC_MODEL,
    ACC_REL_SCAN,
    ACC_REL_SOURCE,
    ACC_REL_TARGET,
} access;

typedef struct plan {
    const gm_query *q;
    gm_arena *arena;
    bool implied; /* one unnamed collection: paths are bare property names */
    bool match;   /* MATCH: relationship uniqueness and distinct rows */
    size_t nslots;
    slot slots[MAX_SLOTS];
    size_t nedges;
    edge edges[MAX_EDGES];
    size_t nsteps;
    edge steps[MAX_EDGES];
    size_t nconj;
    conj *conj;
    const cx **tests;                 /* conditions to test, grouped by level */
    size_t test_start[MAX_EDGES + 2]; /* level L: tests[test_start[L] .. test_start[L + 1]) */
    access acc;
    int anchor;
    size_t nids;
    const char **ids; /* ACC_LOOKUP, ACC_REL_SOURCE, ACC_REL_TARGET: sorted, distinct */
    size_t nmodels;
    const char **models; /* ACC_MODEL */
    size_t width;        /* key components */
    size_t nmemo;        /* operand and X_MODEL memos */
    bool count;
    bool star_self;      /* the row is slot 0 itself */
    size_t ncols;
    col *cols;
} plan;

__attribute__((format(printf, 3, 4))) static int sem_err(gm_err *err, gm_query_pos pos,
                                                         const char *fmt, ...)
{
    char where[48];
    snprintf(where, sizeof where, "query:%u:%u", (unsigned)pos.line, (unsigned)pos.col);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, GM_EINVAL, where, fmt, ap);
    va_end(ap);
    return GM_EINVAL;
}

static int nomem(gm_err *err)
{
    return gm_err_set(err, GM_ENOMEM, "", "out of memory running the query");
}

static void *palloc(plan *p, size_t n, size_t size)
{
    return gm_arena_calloc(p->arena, n ? n : 1, size);
}

static int find_slot(const plan *p, const char *name)
{
    for (size_t i = 0; i < p->nslots; i++)
        if (p->slots[i].alias && strcmp(p->slots[i].alias, name) == 0)
            return (int)i;
    return -1;
}

/* "T, C, R" for messages. */
static void alias_list(const plan *p, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->nslots && used + 1 < n; i++) {
        if (!p->slots[i].alias)
            continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", p->slots[i].alias);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, n, "no alias");
}

/* Returns the new slot's index, or a negative error. */
static int add_slot(plan *p, slot_kind k, const char *alias, bool in_key, gm_query_pos pos,
                    gm_err *err)
{
    if (alias && find_slot(p, alias) >= 0)
        return sem_err(err, pos, "alias '%s' is declared twice", alias);
    if (p->nslots >= MAX_SLOTS)
        return gm_err_set(err, GM_ELIMIT, "query", "more than %d collections", MAX_SLOTS);
    slot *s = &p->slots[p->nslots];
    s->kind = k;
    s->alias = alias;
    s->in_key = in_key;
    s->level = 0;
    return (int)p->nslots++;
}

static int add_edge(plan *p, edge e, gm_err *err)
{
    if (p->nedges >= MAX_EDGES)
        return gm_err_set(err, GM_ELIMIT, "query", "more than %d JOINs or MATCH conditions",
                          MAX_EDGES);
    p->edges[p->nedges++] = e;
    return 0;
}

/* The collections: slots and edges, in the order written. */
static int build_slots(plan *p, gm_err *err)
{
    const gm_query *q = p->q;
    gm_query_pos nopos = {1, 1};
    int rc;
    if (q->from == GM_QFROM_RELATIONSHIPS) {
        p->implied = !q->from_alias;
        rc = add_slot(p, SLOT_REL, q->from_alias, true, nopos, err);
        return rc < 0 ? rc : 0;
    }
    if (!q->match) {
        p->implied = !q->from_alias;
        if ((rc = add_slot(p, SLOT_TWIN, q->from_alias, true, nopos, err)) < 0)
            return rc;
        for (size_t j = 0; j < q->njoins; j++) {
            const gm_query_join *jn = &q->joins[j];
            int src = find_slot(p, jn->source);
            if (src < 0 || p->slots[src].kind != SLOT_TWIN) {
                char names[256];
                alias_list(p, names, sizeof names);
                return sem_err(err, jn->pos,
                               "JOIN %s RELATED %s.%s: '%s' is not a twin collection named "
                               "before it (named so far: %s)",
                               jn->target, jn->source, jn->rel, jn->source, names);
            }
            int rel = add_slot(p, SLOT_REL, jn->rel_alias, true, jn->pos, err);
            if (rel < 0)
                return rel;
            int tgt = add_slot(p, SLOT_TWIN, jn->target, true, jn->pos, err);
            if (tgt < 0)
                return tgt;
            edge e = {src, tgt, rel, DIR_OUT, 1, &jn->rel, 1, 1};
            if ((rc = add_edge(p, e, err)))
                return rc;
        }
        return 0;
    }
    const gm_query_match *m = q->match;
    p->match = true;
    int prev = add_slot(p, SLOT_TWIN, m->nodes[0].alias, m->nodes[0].alias != NULL,
                        m->nodes[0].pos, err);
    if (prev < 0)
        return prev;
    for (size_t i = 0; i + 1 < m->nnodes; i++) {
        const gm_query_rel *r = &m->rels[i];
        int rel = -1;
        if (r->alias) {
            if (r->min_hops != 1 || r->max_hops != 1)
                return sem_err(err, r->pos,
                               "relationship alias '%s' on a condition of more than one hop: "
                               "ADT allows a relationship alias only on a single hop",
                               r->alias);
            if ((rel = add_slot(p, SLOT_REL, r->alias, true, r->pos, err)) < 0)
                return rel;
        }
        const gm_query_node *nd = &m->nodes[i + 1];
        int next = add_slot(p, SLOT_TWIN, nd->alias, nd->alias != NULL, nd->pos, err);
        if (next < 0)
            return next;
        edge e = {prev, next, rel,
                  r->dir == GM_QDIR_RIGHT  ? DIR_OUT
                  : r->dir == GM_QDIR_LEFT ? DIR_IN
                                           : DIR_BOTH,
                  r->nnames, r->names, r->min_hops, r->max_hops};
        if ((rc = add_edge(p, e, err)))
            return rc;
        prev = next;
    }
    return 0;
}

/* ---- WHERE compilation ---- */

static void view_json(const json_t *j, val *v)
{
    v->j = j;
    if (!j) {
        v->t = V_UNDEF;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: v->t = V_OBJ; break;
    case JSON_ARRAY: v->t = V_ARR; break;
    case JSON_STRING:
        v->t = V_STR;
        v->s = json_string_value(j);
        v->n = json_string_length(j);
        break;
    case JSON_INTEGER:
        v->t = V_INT;
        v->i = (int64_t)json_integer_value(j);
        break;
    case JSON_REAL:
        v->t = V_REAL;
        v->r = json_real_value(j);
        break;
    case JSON_TRUE:
        v->t = V_BOOL;
        v->b = true;
        break;
    case JSON_FALSE:
        v->t = V_BOOL;
        v->b = false;
        break;
    case JSON_NULL:
    default: v->t = V_NULL; break;
    }
}

static void view_lit(const gm_query_value *q, val *v)
{
    memset(v, 0, sizeof *v);
    switch (q->kind) {
    case GM_QV_NULL: v->t = V_NULL; break;
    case GM_QV_BOOL:
        v->t = V_BOOL;
        v->b = q->b;
        break;
    case GM_QV_INT:
        v->t = V_INT;
        v->i = q->i;
        break;
    case GM_QV_REAL:
        v->t = V_REAL;
        v->r = q->r;
        break;
    case GM_QV_STRING:
    default:
        v->t = V_STR;
        v->s = q->str.s;
        v->n = q->str.len;
        break;
    }
}

static int resolve(const plan *p, const gm_query_path *path, operand *o, gm_err *err)
{
    memset(o, 0, sizeof *o);
    int s = find_slot(p, path->seg[0]);
    if (s >= 0) {
        o->slot = s;
        o->seg = path->seg + 1;
        o->nseg = path->n - 1;
        return 0;
    }
    if (p->implied) {
        o->slot = 0;
        o->seg = path->seg;
        o->nseg = path->n;
        return 0;
    }
    char names[256];
    alias_list(p, names, sizeof names);
    return sem_err(err, path->pos, "unknown collection '%s': paths start with an alias (%s)",
                   path->seg[0], names);
}

static int compile_operand(plan *p, const gm_query_expr *e, operand *o, gm_err *err)
{
    if (e->kind == GM_QX_PATH) {
        int rc = resolve(p, &e->path, o, err);
        /* a twin's top-level property may be in the graph's value cache */
        if (!rc && p->slots[o->slot].kind == SLOT_TWIN && o->nseg == 1 && o->seg[0][0] != '$')
            o->memo = (unsigned)++p->nmemo;
        return rc;
    }
    memset(o, 0, sizeof *o);
    o->is_lit = true;
    view_lit(&e->value, &o->lit);
    return 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort and drop duplicates; returns the new count. */
static size_t sort_unique(const char **v, size_t n)
{
    if (n < 2)
        return n;
    qsort(v, n, sizeof *v, cmp_str_ptr);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i], v[k - 1]) != 0)
            v[k++] = v[i];
    return k;
}

static size_t twin_slots(const plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nslots; i++)
        n += p->slots[i].kind == SLOT_TWIN;
    return n;
}

static int compile_of_model(plan *p, const gm_query_expr *e, const gm_model_registry *models,
                            cx *c, gm_err *err)
{
    const char *alias = e->of_model.alias;
    if (alias) {
        c->slot = find_slot(p, alias);
        if (c->slot < 0) {
            char names[256];
            alias_list(p, names, sizeof names);
            return sem_err(err, e->pos, "IS_OF_MODEL: unknown collection '%s' (%s)", alias,
                           names);
        }
        if (p->slots[c->slot].kind != SLOT_TWIN)
            return sem_err(err, e->pos,
                           "IS_OF_MODEL needs a twin collection; '%s' is a relationship", alias);
    } else {
        if (p->q->from == GM_QFROM_RELATIONSHIPS)
            return sem_err(err, e->pos,
                           "IS_OF_MODEL applies to twins, and FROM RELATIONSHIPS has none");
        if (twin_slots(p) > 1)
            return sem_err(err, e->pos,
                           "IS_OF_MODEL needs a collection when the query has several: "
                           "IS_OF_MODEL(alias, '%s')",
                           e->of_model.model);
        c->slot = 0;
    }
    size_t total = gm_model_registry_count(models);
    c->models = palloc(p, total + 1, sizeof *c->models);
    if (!c->models)
        return nomem(err);
    if (e->of_model.exact) {
        c->models[c->n++] = e->of_model.model;
    } else {
        for (size_t i = 0; i < total; i++) {
            const gm_model_iface *mi = gm_model_registry_at(models, i);
            if (mi && gm_model_registry_is_a(models, mi->id, e->of_model.model))
                c->models[c->n++] = mi->id;
        }
    }
    c->n = sort_unique(c->models, c->n);
    return 0;
}

static int compile(plan *p, const gm_query_expr *e, const gm_model_registry *models, cx **out,
                   gm_err *err)
{
    cx *c = palloc(p, 1, sizeof *c);
    if (!c)
        return nomem(err);
    c->pos = e->pos;
    int rc = 0;
    switch (e->kind) {
    case GM_QX_VALUE:
        c->kind = X_CONST;
        c->b = e->value.kind == GM_QV_BOOL && e->value.b;
        break;
    case GM_QX_PATH:
        return sem_err(err, e->pos, "a property alone is not a condition: compare it");
    case GM_QX_CMP:
        c->kind = X_CMP;
        c->op = e->cmp.op;
        if ((rc = compile_operand(p, e->cmp.lhs, &c->x, err)) ||
            (rc = compile_operand(p, e->cmp.rhs, &c->y, err)))
            return rc;
        break;
    case GM_QX_IN:
        c->kind = X_IN;
        c->negated = e->in.negated;
        if ((rc = compile_operand(p, e->in.operand, &c->x, err)))
            return rc;
        c->n = e->in.n;
        if (!(c->vals = palloc(p, c->n, sizeof *c->vals)))
            return nomem(err);
        for (size_t i = 0; i < c->n; i++)
            view_lit(&e->in.values[i], &c->vals[i]);
        break;
    case GM_QX_NOT:
        c->kind = X_NOT;
        c->n = 1;
        if (!(c->items = palloc(p, 1, sizeof *c->items)))
            return nomem(err);
        if ((rc = compile(p, e->operand, models, &c->items[0], err)))
            return rc;
        break;
    case GM_QX_AND:
    case GM_QX_OR:
        c->kind = e->kind == GM_QX_AND ? X_AND : X_OR;
        c->n = e->list.n;
        if (!(c->items = palloc(p, c->n, sizeof *c->items)))
            return nomem(err);
        for (size_t i = 0; i < c->n; i++)
            if ((rc = compile(p, e->list.items[i], models, &c->items[i], err)))
                return rc;
        break;
    case GM_QX_CALL:
        c->kind = X_CALL;
        c->fn = e->call.fn;
        c->nargs = e->call.nargs;
        if (c->nargs < 1 || c->nargs > 2)
            return sem_err(err, e->pos, "%s takes 1 or 2 arguments",
                           gm_query_func_name(c->fn));
        if ((rc = compile_operand(p, e->call.args[0], &c->x, err)))
            return rc;
        if (c->nargs == 2 && (rc = compile_operand(p, e->call.args[1], &c->y, err)))
            return rc;
        break;
    case GM_QX_OF_MODEL:
        c->kind = X_MODEL;
        if ((rc = compile_of_model(p, e, models, c, err)))
            return rc;
        c->memo = (unsigned)++p->nmemo;
        break;
    default: return sem_err(err, e->pos, "unsupported condition");
    }
    *out = c;
    return 0;
}

/* ---- evaluation (no allocation: paths are walked on the JSON in place) ---- */

/* What an operand or IS_OF_MODEL found for the twins of a bucket: the
   cache slot of the member (-1: read the JSON), or the model's answer.
   Rows mostly come a bucket at a time, so one entry is enough. */
typedef struct memo {
    const gm_twin_bucket *b;
    int v;
} memo;

typedef struct exec {
    const plan *p;
    const gm_twin_graph *g;
    /* the binding: a twin slot has rec set and slot (its document) NULL
       until something reads it (doc_of); a relationship slot has slot */
    const json_t *slot[MAX_SLOTS];
    const gm_twin_rec *rec[MAX_SLOTS];
    memo *memo;                        /* p->nmemo */
    const json_t *path[MAX_PATH_RELS]; /* relationships on the current MATCH path */
    size_t npath;
    uint64_t visits, max_visits;
    /* COUNT() */
    uint64_t count;
    gm_map *seen; /* MATCH: distinct keys counted */
    gm_sb keysb;
    /* a page */
    const char *const *after; /* continuation key, or NULL */
    size_t cap1, nrows;       /* buffer capacity (page + 1) and rows held */
    const char **keys;        /* cap1 x width, sorted */
    const json_t **rows;      /* cap1 x nslots */
    const char *key[MAX_KEY];
    /* FROM RELATIONSHIPS pages: anchors that passed WHERE, keys not read yet */
    bool batching;
    size_t nbatch;
    const json_t *batch[BATCH];
} exec;

static const json_t *walk_doc(const json_t *j, const operand *o)
{
    for (size_t i = 0; j && i < o->nseg; i++)
        j = json_object_get(j, o->seg[i]);
    return j;
}

/* The document bound to slot s. A twin's is read only when needed: a
   condition the value cache answers never touches it, nor a row off the
   page. */
static const json_t *doc_of(exec *ex, int s)
{
    if (!ex->slot[s] && ex->rec[s])
        ex->slot[s] = gm_twin_rec_doc(ex->rec[s]);
    return ex->slot[s];
}

static void view_cached(const gm_twin_value *c, val *v)
{
    switch ((gm_twin_vkind)c->kind) {
    case GM_TV_ABSENT: v->t = V_UNDEF; break;
    case GM_TV_NULL: v->t = V_NULL; break;
    case GM_TV_FALSE:
    case GM_TV_TRUE:
        v->t = V_BOOL;
        v->b = c->kind == GM_TV_TRUE;
        break;
    case GM_TV_INT:
        v->t = V_INT;
        v->i = c->u.i;
        break;
    case GM_TV_REAL:
        v->t = V_REAL;
        v->r = c->u.r;
        break;
    case GM_TV_STRING:
        v->t = V_STR;
        v->s = c->u.s;
        v->n = c->len;
        break;
    case GM_TV_JSON:
    default: view_json(c->u.j, v); break;
    }
}

static void operand_val(exec *ex, const operand *o, val *v)
{
    if (o->is_lit) {
        *v = o->lit;
        return;
    }
    const gm_twin_rec *t = o->memo ? ex->rec[o->slot] : NULL;
    if (t) {
        memo *m = &ex->memo[o->memo - 1];
        const gm_twin_bucket *b = gm_twin_rec_bucket(t);
        if (m->b != b) {
            m->b = b;
            m->v = gm_twin_bucket_slot(b, o->seg[0]);
        }
        if (m->v >= 0) {
            view_cached(gm_twin_rec_value(t, m->v), v);
            return;
        }
    }
    view_json(walk_doc(doc_of(ex, o->slot), o), v);
}

/* An integer against a finite double, exactly (no rounding of large integers). */
static int cmp_int_real(int64_t i, double d)
{
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t ti = (int64_t)d; /* toward zero; in range */
    if (i != ti)
        return i < ti ? -1 : 1;
    double t = (double)ti;
    return d > t ? -1 : d < t ? 1 : 0;
}

static int cmp_num(const val *a, const val *b)
{
    if (a->t == V_INT && b->t == V_INT)
        return a->i < b->i ? -1 : a->i > b->i;
    if (a->t == V_INT)
        return cmp_int_real(a->i, b->r);
    if (b->t == V_INT)
        return -cmp_int_real(b->i, a->r);
    return a->r < b->r ? -1 : a->r > b->r;
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static bool is_num(const val *v)
{
    return v->t == V_INT || v->t == V_REAL;
}

static bool compare(const val *a, gm_query_cmp op, const val *b)
{
    if (a->t == V_UNDEF || b->t == V_UNDEF)
        return false;
    bool eq_only = false;
    int c;
    if (is_num(a) && is_num(b)) {
        c = cmp_num(a, b);
    } else if (a->t != b->t) {
        return false;
    } else {
        switch (a->t) {
        case V_STR: c = cmp_bytes(a->s, a->n, b->s, b->n); break;
        case V_BOOL:
            eq_only = true;
            c = a->b != b->b;
            break;
        case V_NULL:
            eq_only = true;
            c = 0;
            break;
        default: /* objects, arrays */
            eq_only = true;
            c = json_equal(a->j, b->j) ? 0 : 1;
            break;
        }
    }
    switch (op) {
    case GM_QCMP_EQ: return c == 0;
    case GM_QCMP_NE: return c != 0;
    case GM_QCMP_LT: return !eq_only && c < 0;
    case GM_QCMP_GT: return !eq_only && c > 0;
    case GM_QCMP_LE: return !eq_only && c <= 0;
    case GM_QCMP_GE: return !eq_only && c >= 0;
    default: return false;
    }
}

static bool array_contains(const val *arr, const val *x)
{
    if (arr->t != V_ARR || x->t == V_UNDEF)
        return false;
    size_t n = json_array_size(arr->j);
    for (size_t i = 0; i < n; i++) {
        val e;
        view_json(json_array_get(arr->j, i), &e);
        if (e.t == V_ARR || e.t == V_OBJ) /* ADT looks at the top level only */
            continue;
        if (compare(&e, GM_QCMP_EQ, x))
            return true;
    }
    return false;
}

static bool call(const cx *c, exec *ex)
{
    val a, b;
    operand_val(ex, &c->x, &a);
    switch (c->fn) {
    case GM_QF_IS_DEFINED: return a.t != V_UNDEF;
    case GM_QF_IS_NULL: return a.t == V_NULL;
    case GM_QF_IS_NUMBER: return is_num(&a);
    case GM_QF_IS_STRING: return a.t == V_STR;
    case GM_QF_IS_BOOL: return a.t == V_BOOL;
    case GM_QF_IS_PRIMITIVE: return a.t == V_NULL || a.t == V_BOOL || a.t == V_STR || is_num(&a);
    case GM_QF_IS_OBJECT: return a.t == V_OBJ;
    default: break;
    }
    if (c->nargs < 2)
        return false;
    operand_val(ex, &c->y, &b);
    switch (c->fn) {
    case GM_QF_STARTSWITH:
        return a.t == V_STR && b.t == V_STR && b.n <= a.n && memcmp(a.s, b.s, b.n) == 0;
    case GM_QF_ENDSWITH:
        return a.t == V_STR && b.t == V_STR && b.n <= a.n &&
               memcmp(a.s + (a.n - b.n), b.s, b.n) == 0;
    case GM_QF_CONTAINS:
        return a.t == V_STR && b.t == V_STR && (b.n == 0 || memmem(a.s, a.n, b.s, b.n));
    case GM_QF_ARRAY_CONTAINS: return array_contains(&a, &b);
    default: return false;
    }
}

static bool model_in(const cx *c, const char *m)
{
    if (!m)
        return false;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->models[mid], m);
        if (r == 0)
            return true;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool model_ok(const cx *c, exec *ex)
{
    const gm_twin_rec *t = ex->rec[c->slot];
    if (!t)
        return model_in(c, json_string_value(json_object_get(
                               json_object_get(doc_of(ex, c->slot), "$metadata"), "$model")));
    memo *m = &ex->memo[c->memo - 1];
    const gm_twin_bucket *b = gm_twin_rec_bucket(t);
    if (m->b != b) {
        m->b = b;
        m->v = model_in(c, gm_twin_bucket_model(b));
    }
    return m->v;
}

static bool eval(const cx *c, exec *ex)
{
    switch (c->kind) {
    case X_CONST: return c->b;
    case X_CMP: {
        val a, b;
        operand_val(ex, &c->x, &a);
        operand_val(ex, &c->y, &b);
        return compare(&a, c->op, &b);
    }
    case X_IN: {
        val a;
        operand_val(ex, &c->x, &a);
        if (a.t == V_UNDEF)
            return false;
        bool found = false;
        for (size_t i = 0; i < c->n && !found; i++)
            found = compare(&a, GM_QCMP_EQ, &c->vals[i]);
        return found != c->negated;
    }
    case X_NOT: return !eval(c->items[0], ex);
    case X_AND:
        for (size_t i = 0; i < c->n; i++)
            if (!eval(c->items[i], ex))
                return false;
        return true;
    case X_OR:
        for (size_t i = 0; i < c->n; i++)
            if (eval(c->items[i], ex))
                return true;
        return false;
    case X_CALL: return call(c, ex);
    case X_MODEL: return model_ok(c, ex);
    default: return false;
    }
}

/* ---- planning ---- */

static void refs(const cx *c, const plan *p, unsigned *level)
{
    const operand *ops[2] = {NULL, NULL};
    switch (c->kind) {
    case X_CMP:
        ops[0] = &c->x;
        ops[1] = &c->y;
        break;
    case X_IN: ops[0] = &c->x; break;
    case X_CALL:
        ops[0] = &c->x;
        if (c->nargs == 2)
            ops[1] = &c->y;
        break;
    case X_MODEL:
        if (p->slots[c->slot].level > *level)
            *level = p->slots[c->slot].level;
        break;
    case X_NOT:
    case X_AND:
    case X_OR:
        for (size_t i = 0; i < c->n; i++)
            refs(c->items[i], p, level);
        break;
    default: break;
    }
    for (int i = 0; i < 2; i++)
        if (ops[i] && !ops[i]->is_lit && p->slots[ops[i]->slot].level > *level)
            *level = p->slots[ops[i]->slot].level;
}

static bool is_member_path(const plan *p, const operand *o, slot_kind k, const char *member)
{
    return !o->is_lit && p->slots[o->slot].kind == k && o->nseg == 1 &&
           strcmp(o->seg[0], member) == 0;
}

/* Is term c "X.member = 's'" or "X.member IN [...]"? Then *at is X and
   *ids the distinct strings (non-strings can never equal an id). */
static int id_terms(plan *p, const cx *c, slot_kind k, const char *member, int *at,
                    const char ***ids, size_t *nids, bool *found)
{
    *found = false;
    if (c->kind == X_CMP && c->op == GM_QCMP_EQ) {
        const operand *path = NULL, *lit = NULL;
        if (is_member_path(p, &c->x, k, member) && c->y.is_lit) {
            path = &c->x;
            lit = &c->y;
        } else if (is_member_path(p, &c->y, k, member) && c->x.is_lit) {
            path = &c->y;
            lit = &c->x;
        }
        if (!path)
            return 0;
        *found = true;
        *at = path->slot;
        if (!(*ids = palloc(p, 1, sizeof **ids)))
            return GM_ENOMEM;
        *nids = 0;
        if (lit->lit.t == V_STR)
            (*ids)[(*nids)++] = lit->lit.s;
        return 0;
    }
    if (c->kind == X_IN && !c->negated && is_member_path(p, &c->x, k, member)) {
        *found = true;
        *at = c->x.slot;
        if (!(*ids = palloc(p, c->n, sizeof **ids)))
            return GM_ENOMEM;
        *nids = 0;
        for (size_t i = 0; i < c->n; i++)
            if (c->vals[i].t == V_STR)
                (*ids)[(*nids)++] = c->vals[i].s;
        *nids = sort_unique(*ids, *nids);
    }
    return 0;
}

/* Pick the anchor and how to enumerate it. */
static int choose_access(plan *p, gm_err *err)
{
    long best = -1, best_model = -1;
    int best_slot = 0;
    size_t best_n = 0;
    const char **best_ids = NULL;
    access best_acc = ACC_SCAN;
    bool rels = p->q->from == GM_QFROM_RELATIONSHIPS;
    static const char *const rel_members[2] = {"$sourceId", "$targetId"};
    for (size_t i = 0; i < p->nconj; i++) {
        const cx *c = p->conj[i].e;
        for (int m = 0; m < (rels ? 2 : 1); m++) {
            int s = 0;
            const char **ids = NULL;
            size_t n = 0;
            bool found;
            if (id_terms(p, c, rels ? SLOT_REL : SLOT_TWIN, rels ? rel_members[m] : "$dtId", &s,
                         &ids, &n, &found))
                return nomem(err);
            if (found && (best < 0 || n < best_n)) {
                best = (long)i;
                best_slot = s;
                best_n = n;
                best_ids = ids;
                best_acc = rels ? (m == 0 ? ACC_REL_SOURCE : ACC_REL_TARGET) : ACC_LOOKUP;
            }
        }
        /* the model index: the FROM collection's first, else the first in WHERE */
        if (!rels && c->kind == X_MODEL &&
            (best_model < 0 || (c->slot == 0 && p->conj[best_model].e->slot != 0)))
            best_model = (long)i;
    }
    if (best >= 0) {
        p->acc = best_acc;
        p->anchor = best_slot;
        p->ids = best_ids;
        p->nids = best_n;
        p->conj[best].skip = true;
    } else if (best_model >= 0) {
        const cx *c = p->conj[best_model].e;
        p->acc = ACC_MODEL;
        p->anchor = c->slot;
        p->models = c->models;
        p->nmodels = c->n;
        p->conj[best_model].skip = true;
    } else {
        p->acc = rels ? ACC_REL_SCAN : ACC_SCAN;
        p->anchor = 0;
    }
    if (p->match && p->acc != ACC_LOOKUP)
        return sem_err(err, p->q->match->pos,
                       "MATCH needs a $dtId condition on one of its twins, ANDed with the rest "
                       "of WHERE (e.g. WHERE %s.$dtId = '...')",
                       p->slots[0].alias ? p->slots[0].alias : "a");
    return 0;
}

static dir reverse(dir d)
{
    return d == DIR_OUT ? DIR_IN : d == DIR_IN ? DIR_OUT : DIR_BOTH;
}

/* Walk the edges outward from the anchor (breadth first, edges in the order
   written) into steps, and give every slot its level. */
static int order_steps(plan *p, gm_err *err)
{
    bool used[MAX_EDGES] = {false};
    int queue[MAX_SLOTS];
    size_t head = 0, tail = 0;
    queue[tail++] = p->anchor;
    p->slots[p->anchor].level = 0;
    while (head < tail) {
        int u = queue[head++];
        for (size_t i = 0; i < p->nedges; i++) {
            const edge *e = &p->edges[i];
            if (used[i] || (e->a != u && e->b != u))
                continue;
            edge st = *e;
            if (e->b == u) {
                st.a = e->b;
                st.b = e->a;
                st.d = reverse(e->d);
            }
            used[i] = true;
            unsigned level = (unsigned)p->nsteps + 1;
            p->slots[st.b].level = level;
            if (st.rel >= 0)
                p->slots[st.rel].level = level;
            p->steps[p->nsteps++] = st;
            queue[tail++] = st.b;
        }
    }
    if (p->nsteps != p->nedges)
        return gm_err_set(err, GM_EINTERNAL, "query", "collections not connected to the anchor");
    return 0;
}

static int group_tests(plan *p)
{
    size_t levels = p->nsteps + 1;
    if (!(p->tests = palloc(p, p->nconj, sizeof *p->tests)))
        return GM_ENOMEM;
    size_t k = 0;
    for (size_t l = 0; l < levels; l++) {
        p->test_start[l] = k;
        for (size_t i = 0; i < p->nconj; i++)
            if (p->conj[i].level == l && !p->conj[i].skip)
                p->tests[k++] = p->conj[i].e;
    }
    p->test_start[levels] = k;
    return 0;
}

static int build_cols(plan *p, gm_err *err)
{
    const gm_query *q = p->q;
    if (q->select == GM_QSEL_COUNT) {
        p->count = true;
        return 0;
    }
    if (q->select == GM_QSEL_STAR) {
        if (!p->match) {
            p->star_self = true;
            return 0;
        }
        if (!(p->cols = palloc(p, p->nslots, sizeof *p->cols)))
            return nomem(err);
        for (size_t i = 0; i < p->nslots; i++) {
            if (!p->slots[i].alias)
                continue;
            col *c = &p->cols[p->ncols++];
            c->name = p->slots[i].alias;
            c->v.slot = (int)i;
        }
        return 0;
    }
    if (!(p->cols = palloc(p, q->nproj, sizeof *p->cols)))
        return nomem(err);
    for (size_t i = 0; i < q->nproj; i++) {
        const gm_query_proj *pr = &q->proj[i];
        col *c = &p->cols[p->ncols];
        int rc = resolve(p, &pr->path, &c->v, err);
        if (rc)
            return rc;
        c->name = pr->as ? pr->as : pr->path.seg[pr->path.n - 1];
        for (size_t k = 0; k < p->ncols; k++)
            if (strcmp(p->cols[k].name, c->name) == 0)
                return sem_err(err, pr->path.pos,
                               "column '%s' appears twice in SELECT: rename one with AS",
                               c->name);
        p->ncols++;
    }
    return 0;
}

static void plan_free(plan *p)
{
    gm_arena_destroy(p->arena);
    p->arena = NULL;
}

static int plan_build(plan *p, const gm_query *q, const gm_model_registry *models, gm_err *err)
{
    memset(p, 0, sizeof *p);
    p->q = q;
    if (!(p->arena = gm_arena_create(0, 0)))
        return nomem(err);
    int rc = build_slots(p, err);
    if (rc)
        return rc;
    if (q->where) {
        cx *root;
        if ((rc = compile(p, q->where, models, &root, err)))
            return rc;
        p->nconj = root->kind == X_AND ? root->n : 1;
        if (!(p->conj = palloc(p, p->nconj, sizeof *p->conj)))
            return nomem(err);
        for (size_t i = 0; i < p->nconj; i++)
            p->conj[i].e = root->kind == X_AND ? root->items[i] : root;
    }
    if ((rc = build_cols(p, err)) || (rc = choose_access(p, err)) || (rc = order_steps(p, err)))
        return rc;
    for (size_t i = 0; i < p->nconj; i++)
        refs(p->conj[i].e, p, &p->conj[i].level);
    if (group_tests(p))
        return nomem(err);
    size_t path_rels = 0;
    for (size_t i = 0; i < p->nsteps; i++)
        path_rels += p->steps[i].max_hops;
    if (path_rels > MAX_PATH_RELS)
        return gm_err_set(err, GM_ELIMIT, "query",
                          "the pattern allows paths of %zu relationships; at most %d", path_rels,
                          MAX_PATH_RELS);
    for (size_t i = 0; i < p->nslots; i++)
        if (p->slots[i].in_key)
            p->width += p->slots[i].kind == SLOT_TWIN ? 1 : 2;
    return 0;
}

static const char *slot_name(const plan *p, int s)
{
    return p->slots[s].alias ? p->slots[s].alias : "()";
}

static int describe(const plan *p, gm_sb *sb)
{
    switch (p->acc) {
    case ACC_SCAN: gm_sb_append(sb, "scan"); break;
    case ACC_REL_SCAN: gm_sb_append(sb, "scan relationships"); break;
    case ACC_LOOKUP:
    case ACC_REL_SOURCE:
    case ACC_REL_TARGET:
        gm_sb_appendf(sb, "lookup %s (%zu id%s)",
                      p->acc == ACC_LOOKUP       ? "$dtId"
                      : p->acc == ACC_REL_SOURCE ? "$sourceId"
                                                 : "$targetId",
                      p->nids, p->nids == 1 ? "" : "s");
        break;
    case ACC_MODEL:
        gm_sb_appendf(sb, "by model (%zu model%s)", p->nmodels, p->nmodels == 1 ? "" : "s");
        break;
    }
    if (p->nedges)
        gm_sb_appendf(sb, " on %s", slot_name(p, p->anchor));
    for (size_t i = 0; i < p->nsteps; i++) {
        const edge *st = &p->steps[i];
        gm_sb_appendf(sb, ", expand %s%s%s", slot_name(p, st->a),
                      st->d == DIR_OUT  ? "->"
                      : st->d == DIR_IN ? "<-"
                                        : "-",
                      slot_name(p, st->b));
        if (st->min_hops == st->max_hops && st->min_hops > 1)
            gm_sb_appendf(sb, " (%u hops)", st->min_hops);
        else if (st->min_hops != st->max_hops)
            gm_sb_appendf(sb, " (%u..%u hops)", st->min_hops, st->max_hops);
    }
    return gm_sb_error(sb);
}

/* ------------------------------------------------------------------------ */
/* Execution                                                                 */

static int bind_step(exec *ex, size_t k);

static bool tests_pass(exec *ex, size_t level)
{
    const plan *p = ex->p;
    for (size_t i = p->test_start[level]; i < p->test_start[level + 1]; i++)
        if (!eval(p->tests[i], ex))
            return false;
    return true;
}

static const char *member_str(const json_t *doc, const char *name)
{
    const char *s = json_string_value(json_object_get(doc, name));
    return s ? s : "";
}

static void make_key(exec *ex)
{
    const plan *p = ex->p;
    size_t k = 0;
    for (size_t i = 0; i < p->nslots; i++) {
        if (!p->slots[i].in_key)
            continue;
        if (p->slots[i].kind == SLOT_TWIN) {
            ex->key[k++] = ex->rec[i] ? gm_twin_rec_id(ex->rec[i])
                                      : member_str(ex->slot[i], "$dtId");
        } else {
            ex->key[k++] = member_str(ex->slot[i], "$sourceId");
            ex->key[k++] = member_str(ex->slot[i], "$relationshipId");
        }
    }
}

static int key_cmp(const char *const *a, const char *const *b, size_t w)
{
    for (size_t i = 0; i < w; i++) {
        int c = strcmp(a[i], b[i]);
        if (c)
            return c;
    }
    return 0;
}

/* MATCH: count distinct rows. */
static int count_row(exec *ex)
{
    const plan *p = ex->p;
    /* ids hold no control characters, so 0x1f separates them unambiguously */
    gm_sb_reset(&ex->keysb);
    for (size_t i = 0; i < p->width; i++) {
        gm_sb_append(&ex->keysb, ex->key[i]);
        gm_sb_append_char(&ex->keysb, '\x1f');
    }
    if (gm_sb_error(&ex->keysb))
        return GM_ENOMEM;
    bool created;
    void **slotp = gm_map_sslot(ex->seen, gm_sb_str(&ex->keysb), ex->keysb.len, &created);
    if (!slotp)
        return GM_ENOMEM;
    if (created) {
        *slotp = ex;
        ex->count++;
    }
    return 0;
}

/* A row whose key is in ex->key: keep it when it belongs on the page. */
static int keep_row(exec *ex)
{
    const plan *p = ex->p;
    size_t w = p->width;
    if (ex->after && key_cmp(ex->key, ex->after, w) <= 0)
        return 0;
    if (ex->nrows == ex->cap1 && key_cmp(ex->key, ex->keys + (ex->nrows - 1) * w, w) >= 0)
        return 0;
    size_t lo = 0, hi = ex->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(ex->keys + mid * w, ex->key, w) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ex->nrows && key_cmp(ex->keys + lo * w, ex->key, w) == 0)
        return 0; /* the same row by another path (MATCH) */
    size_t move = ex->nrows - lo;
    if (ex->nrows == ex->cap1)
        move--;
    size_t ns = p->nslots;
    for (size_t i = 0; i < ns; i++)
        doc_of(ex, (int)i);
    memmove(ex->keys + (lo + 1) * w, ex->keys + lo * w, move * w * sizeof *ex->keys);
    memmove(ex->rows + (lo + 1) * ns, ex->rows + lo * ns, move * ns * sizeof *ex->rows);
    memcpy(ex->keys + lo * w, ex->key, w * sizeof *ex->keys);
    memcpy(ex->rows + lo * ns, ex->slot, ns * sizeof *ex->rows);
    if (ex->nrows < ex->cap1)
        ex->nrows++;
    return 0;
}

/* A complete binding: a row. */
static int emit(exec *ex)
{
    const plan *p = ex->p;
    if (p->count && !p->match) {
        ex->count++;
        return 0;
    }
    make_key(ex);
    return p->count ? count_row(ex) : keep_row(ex);
}

typedef struct hop_ctx {
    exec *ex;
    size_t k;
    unsigned depth; /* relationships followed so far on this step */
    bool out;       /* following outgoing relationships */
} hop_ctx;

static int hop(exec *ex, size_t k, const json_t *from, unsigned depth);

static bool name_ok(const edge *st, const json_t *rel, bool filtered)
{
    if (st->nnames == 0 || filtered)
        return true;
    const char *name = member_str(rel, "$relationshipName");
    for (size_t i = 0; i < st->nnames; i++)
        if (strcmp(st->names[i], name) == 0)
            return true;
    return false;
}

static int on_rel(void *ctx, const json_t *rel)
{
    hop_ctx *h = ctx;
    exec *ex = h->ex;
    const edge *st = &ex->p->steps[h->k];
    if (++ex->visits > ex->max_visits)
        return GM_ELIMIT;
    if (!name_ok(st, rel, h->out && st->nnames == 1))
        return 0;
    if (ex->p->match)
        for (size_t i = 0; i < ex->npath; i++)
            if (ex->path[i] == rel)
                return 0; /* a relationship is traversed once per match */
    const gm_twin_rec *nrec =
        gm_twin_find(ex->g, member_str(rel, h->out ? "$targetId" : "$sourceId"));
    if (!nrec || ex->npath >= MAX_PATH_RELS)
        return 0;
    const json_t *next = gm_twin_rec_doc(nrec);
    ex->path[ex->npath++] = rel;
    if (st->rel >= 0)
        ex->slot[st->rel] = rel;
    unsigned depth = h->depth + 1;
    int rc = 0;
    if (depth >= st->min_hops) {
        ex->slot[st->b] = next;
        ex->rec[st->b] = nrec;
        if (tests_pass(ex, h->k + 1))
            rc = bind_step(ex, h->k + 1);
    }
    if (!rc && depth < st->max_hops)
        rc = hop(ex, h->k, next, depth);
    ex->npath--;
    return rc;
}

static int hop(exec *ex, size_t k, const json_t *from, unsigned depth)
{
    const edge *st = &ex->p->steps[k];
    const char *id = member_str(from, "$dtId");
    hop_ctx h = {ex, k, depth, true};
    int rc = 0;
    if (st->d != DIR_IN)
        rc = gm_rel_each_out(ex->g, id, st->nnames == 1 ? st->names[0] : NULL, on_rel, &h);
    if (!rc && st->d != DIR_OUT) {
        h.out = false;
        rc = gm_rel_each_in(ex->g, id, on_rel, &h);
    }
    return rc;
}

static int bind_step(exec *ex, size_t k)
{
    if (k == ex->p->nsteps)
        return emit(ex);
    return hop(ex, k, doc_of(ex, ex->p->steps[k].a), 0);
}

/*
 * Read the keys of the batched rows in one tight loop, then keep the rows.
 * Reading a relationship's key is a few dependent cache misses through
 * jansson's object; with the reads of many rows side by side the CPU
 * overlaps them. (Twins need no batch: their $dtId is the graph's.)
 */
static int flush(exec *ex)
{
    const char *k[BATCH][2];
    for (size_t i = 0; i < ex->nbatch; i++) {
        k[i][0] = member_str(ex->batch[i], "$sourceId");
        k[i][1] = member_str(ex->batch[i], "$relationshipId");
    }
    int rc = 0;
    for (size_t i = 0; i < ex->nbatch && !rc; i++) {
        ex->slot[0] = ex->batch[i];
        ex->key[0] = k[i][0];
        ex->key[1] = k[i][1];
        rc = keep_row(ex);
    }
    ex->nbatch = 0;
    return rc;
}

/* A relationship anchor (FROM RELATIONSHIPS). */
static int on_anchor(void *ctx, const json_t *doc)
{
    exec *ex = ctx;
    ex->slot[ex->p->anchor] = doc;
    if (!tests_pass(ex, 0))
        return 0;
    if (ex->batching) {
        ex->batch[ex->nbatch++] = doc;
        return ex->nbatch == BATCH ? flush(ex) : 0;
    }
    return bind_step(ex, 0);
}

static int on_twin(exec *ex, const gm_twin_rec *t)
{
    int a = ex->p->anchor;
    ex->slot[a] = NULL;
    ex->rec[a] = t;
    if (!tests_pass(ex, 0))
        return 0;
    return bind_step(ex, 0);
}

/* The buckets of the anchor's twins: ACC_MODEL's models, or every one
   (ACC_SCAN); empty ones left out. *out is malloc'd (NULL when n is 0). */
static int anchor_buckets(const exec *ex, const gm_twin_bucket ***out, size_t *n)
{
    const plan *p = ex->p;
    size_t cap = 0, pos = 0;
    *out = NULL;
    *n = 0;
    if (p->acc == ACC_MODEL)
        cap = p->nmodels;
    else
        while (gm_twin_bucket_next(ex->g, &pos))
            cap++;
    if (cap == 0)
        return 0;
    const gm_twin_bucket **b = calloc(cap, sizeof *b);
    if (!b)
        return GM_ENOMEM;
    pos = 0;
    for (size_t i = 0; i < cap; i++) {
        const gm_twin_bucket *x = p->acc == ACC_MODEL ? gm_twin_bucket_of(ex->g, p->models[i])
                                                      : gm_twin_bucket_next(ex->g, &pos);
        if (x && gm_twin_bucket_size(x))
            b[(*n)++] = x;
    }
    *out = b;
    return 0;
}

/* A bucket's twins from a cursor on, a run at a time. */
typedef struct head {
    gm_twin_cursor c;
    const gm_twin_rec *const *run;
    size_t n;
} head;

static bool head_next(head *h)
{
    if (h->n > 1) {
        h->run++;
        h->n--;
        return true;
    }
    h->n = gm_twin_cursor_run(&h->c, &h->run);
    return h->n > 0;
}

static int head_cmp(const head *a, const head *b)
{
    return strcmp(gm_twin_rec_id(a->run[0]), gm_twin_rec_id(b->run[0]));
}

static void sift_down(head *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && head_cmp(&h[l], &h[m]) < 0)
            m = l;
        if (l + 1 < n && head_cmp(&h[l + 1], &h[m]) < 0)
            m = l + 1;
        if (m == i)
            return;
        head t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/*
 * The anchor's twins from the buckets. When the anchor is the FROM
 * collection (its $dtId is the first key component) and a page is wanted,
 * the buckets are merged in $dtId order from the continuation key on, and
 * the pass stops once the page is full and the next twin's id is past the
 * last row kept: every later row would sort after it. Otherwise (COUNT(),
 * or a JOIN anchored on another collection) each bucket is read in turn.
 */
static int from_buckets(exec *ex)
{
    const plan *p = ex->p;
    const gm_twin_bucket **b;
    size_t nb;
    int rc = anchor_buckets(ex, &b, &nb);
    if (rc || nb == 0) {
        free(b); /* buckets that exist but are all empty */
        return rc;
    }
    if (p->count || p->anchor != 0) {
        for (size_t i = 0; i < nb && !rc; i++) {
            gm_twin_cursor c;
            const gm_twin_rec *const *run;
            gm_twin_cursor_init(&c, b[i], NULL);
            for (size_t n = gm_twin_cursor_run(&c, &run); n && !rc;
                 n = gm_twin_cursor_run(&c, &run))
                for (size_t k = 0; k < n && !rc; k++) {
                    if (k + PREFETCH < n)
                        gm_twin_rec_prefetch(run[k + PREFETCH]);
                    rc = on_twin(ex, run[k]);
                }
        }
        free(b);
        return rc;
    }
    head *h = calloc(nb, sizeof *h);
    if (!h) {
        free(b);
        return GM_ENOMEM;
    }
    size_t nh = 0;
    for (size_t i = 0; i < nb; i++) {
        gm_twin_cursor_init(&h[nh].c, b[i], ex->after ? ex->after[0] : NULL);
        if ((h[nh].n = gm_twin_cursor_run(&h[nh].c, &h[nh].run)))
            nh++;
    }
    for (size_t i = nh / 2; i-- > 0;)
        sift_down(h, nh, i);
    const char **last = ex->keys + (ex->cap1 - 1) * p->width;
    while (nh && !rc) {
        const gm_twin_rec *t = h[0].run[0];
        if (ex->nrows == ex->cap1 && strcmp(gm_twin_rec_id(t), last[0]) > 0)
            break;
        if (h[0].n > PREFETCH)
            gm_twin_rec_prefetch(h[0].run[PREFETCH]);
        rc = on_twin(ex, t);
        if (!head_next(&h[0]))
            h[0] = h[--nh];
        sift_down(h, nh, 0);
    }
    free(h);
    free(b);
    return rc;
}

static int enumerate(exec *ex)
{
    const plan *p = ex->p;
    int rc = 0;
    switch (p->acc) {
    case ACC_SCAN:
    case ACC_MODEL: return from_buckets(ex);
    case ACC_REL_SCAN: return gm_rel_each(ex->g, on_anchor, ex);
    case ACC_LOOKUP:
        for (size_t i = 0; i < p->nids && !rc; i++) {
            const gm_twin_rec *t = gm_twin_find(ex->g, p->ids[i]);
            if (t)
                rc = on_twin(ex, t);
        }
        return rc;
    case ACC_REL_SOURCE:
        for (size_t i = 0; i < p->nids && !rc; i++)
            rc = gm_rel_each_out(ex->g, p->ids[i], NULL, on_anchor, ex);
        return rc;
    case ACC_REL_TARGET:
        for (size_t i = 0; i < p->nids && !rc; i++)
            rc = gm_rel_each_in(ex->g, p->ids[i], on_anchor, ex);
        return rc;
    }
    return GM_EINTERNAL;
}

static json_t *build_row(const plan *p, const json_t *const *slots)
{
    if (p->star_self)
        return json_deep_copy(slots[0]);
    json_t *row = json_object();
    if (!row)
        return NULL;
    for (size_t i = 0; i < p->ncols; i++) {
        const json_t *v = walk_doc(slots[p->cols[i].v.slot], &p->cols[i].v);
        if (!v)
            continue; /* absent: left out of the row, as ADT does */
        if (json_object_set_new(row, p->cols[i].name, json_deep_copy(v))) {
            json_decref(row);
            return NULL;
        }
    }
    return row;
}

/* ---- continuation tokens ---- */

static int query_hash(const gm_query *q, uint64_t *out)
{
    gm_sb sb = GM_SB_INIT;
    int rc = gm_query_format(q, &sb);
    if (!rc)
        *out = gm_hash_siphash13(HASH_K0, HASH_K1, gm_sb_str(&sb), sb.len);
    gm_sb_free(&sb);
    return rc;
}

static char *make_token(const plan *p, uint64_t hash, const char *const *key, int64_t returned)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
    json_t *k = json_array();
    json_t *doc = NULL;
    char *text = NULL, *tok = NULL;
    if (!k)
        goto done;
    for (size_t i = 0; i < p->width; i++)
        if (json_array_append_new(k, json_string(key[i])))
            goto done;
    doc = json_pack("{s:i, s:s, s:O, s:I}", "v", TOKEN_VERSION, "q", hex, "k", k, "n",
                    (json_int_t)returned);
    if (!doc || !(text = json_dumps(doc, JSON_COMPACT)))
        goto done;
    size_t n = strlen(text), size;
    if (gm_size_mul(n, 2, &size) || gm_size_add(size, 1, &size) || !(tok = malloc(size)))
        goto done;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        tok[2 * i] = digits[(unsigned char)text[i] >> 4];
        tok[2 * i + 1] = digits[(unsigned char)text[i] & 15];
    }
    tok[2 * n] = '\0';
done:
    free(text);
    json_decref(doc);
    json_decref(k);
    return tok;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

__attribute__((format(printf, 2, 3))) static int bad_token(gm_err *err, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return gm_err_set(err, GM_EINVAL, "continuationToken", "invalid continuation token: %s", why);
}

/* Check tok against this query; on success *doc owns the decoded token, key
   points into it and *returned is the number of rows already returned. */
static int read_token(const plan *p, const char *tok, uint64_t hash, json_t **doc,
                      const char **key, int64_t *returned, gm_err *err)
{
    *doc = NULL;
    size_t n = strnlen(tok, GM_QUERY_TOKEN_MAX + 1);
    if (n == 0 || n > GM_QUERY_TOKEN_MAX || n % 2)
        return bad_token(err, "malformed");
    if (p->count)
        return bad_token(err, "COUNT() returns a single page");
    char *raw = malloc(n / 2);
    if (!raw)
        return nomem(err);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(raw);
            return bad_token(err, "malformed");
        }
        raw[i] = (char)(hi << 4 | lo);
    }
    json_error_t je;
    json_t *t = json_loadb(raw, n / 2, JSON_REJECT_DUPLICATES, &je);
    free(raw);
    int version = 0;
    const char *q = NULL;
    json_t *k = NULL;
    json_int_t r = 0;
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
    if (!t || json_unpack_ex(t, &je, JSON_STRICT, "{s:i, s:s, s:o, s:I}", "v", &version, "q", &q,
                             "k", &k, "n", &r) ||
        version != TOKEN_VERSION || !json_is_array(k)) {
        json_decref(t);
        return bad_token(err, "malformed");
    }
    if (strcmp(q, hex) != 0) {
        json_decref(t);
        return bad_token(err, "it was issued for another query");
    }
    if (json_array_size(k) != p->width || r < 1 || (p->q->top && r >= p->q->top)) {
        json_decref(t);
        return bad_token(err, "malformed");
    }
    for (size_t i = 0; i < p->width; i++) {
        key[i] = json_string_value(json_array_get(k, i));
        if (!key[i]) {
            json_decref(t);
            return bad_token(err, "malformed");
        }
    }
    *doc = t;
    *returned = (int64_t)r;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */

static int prepare(const gm_model_registry *models, const char *text, size_t len, gm_query **q,
                   plan *p, gm_err *err)
{
    *q = NULL;
    memset(p, 0, sizeof *p);
    if (!models)
        return gm_err_set(err, GM_EINVAL, "", "a model registry is required");
    int rc = gm_query_parse(text, len, NULL, q, err);
    if (rc)
        return rc;
    return plan_build(p, *q, models, err);
}

int gm_query_run_ex(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                    size_t len, const char *continuation, size_t page_size,
                    const gm_query_exec_opts *opts, gm_query_page *out, gm_err *err)
{
    if (!out)
        return gm_err_set(err, GM_EINVAL, "", "out is required");
    out->value = NULL;
    out->continuation = NULL;
    gm_query *q = NULL;
    plan p;
    memset(&p, 0, sizeof p);
    exec ex;
    memset(&ex, 0, sizeof ex);
    ex.keysb = GM_SB_INIT;
    json_t *tok = NULL, *value = NULL;
    const char *after[MAX_KEY];
    int64_t returned = 0;
    uint64_t hash = 0;
    int rc = g ? prepare(models, text, len, &q, &p, err)
               : gm_err_set(err, GM_EINVAL, "", "a graph is required");
    if (rc)
        goto fail;
    if ((rc = query_hash(q, &hash))) {
        rc = nomem(err);
        goto fail;
    }
    if (continuation) {
        if ((rc = read_token(&p, continuation, hash, &tok, after, &returned, err)))
            goto fail;
        ex.after = after;
    }

    size_t page = page_size ? page_size : GM_QUERY_PAGE_DEFAULT;
    if (page > GM_QUERY_PAGE_MAX)
        page = GM_QUERY_PAGE_MAX;
    if (q->top && (uint64_t)(q->top - returned) < page)
        page = (size_t)(q->top - returned);
    ex.p = &p;
    ex.g = g;
    ex.max_visits = opts && opts->max_visits ? opts->max_visits : GM_QUERY_MAX_VISITS;
    if (p.count) {
        if (p.match && !(ex.seen = gm_map_create(GM_MAP_STR))) {
            rc = nomem(err);
            goto fail;
        }
    } else {
        ex.cap1 = page + 1;
        ex.keys = calloc(ex.cap1 * (p.width ? p.width : 1), sizeof *ex.keys);
        ex.rows = calloc(ex.cap1 * p.nslots, sizeof *ex.rows);
        if (!ex.keys || !ex.rows) {
            rc = nomem(err);
            goto fail;
        }
    }

    if (p.nmemo && !(ex.memo = calloc(p.nmemo, sizeof *ex.memo))) {
        rc = nomem(err);
        goto fail;
    }
    ex.batching = p.nsteps == 0 && !p.count && p.slots[0].kind == SLOT_REL;
    rc = enumerate(&ex);
    if (!rc && ex.nbatch)
        rc = flush(&ex);
    if (rc == GM_ELIMIT) {
        gm_err_set(err, rc, "query",
                   "the query examined more than %llu relationships: narrow it with $dtId or "
                   "IS_OF_MODEL conditions",
                   (unsigned long long)ex.max_visits);
        goto fail;
    }
    if (rc) {
        rc = rc == GM_ENOMEM ? nomem(err) : gm_err_set(err, rc, "query", "query failed");
        goto fail;
    }

    if (!(value = json_array())) {
        rc = nomem(err);
        goto fail;
    }
    if (p.count) {
        json_t *row = json_pack("{s:I}", "COUNT", (json_int_t)ex.count);
        if (!row || json_array_append_new(value, row)) {
            rc = nomem(err);
            goto fail;
        }
    } else {
        size_t shown = ex.nrows < page ? ex.nrows : page;
        for (size_t i = 0; i < shown; i++) {
            json_t *row = build_row(&p, ex.rows + i * p.nslots);
            if (!row || json_array_append_new(value, row)) {
                rc = nomem(err);
                goto fail;
            }
        }
        bool more = ex.nrows > page && (!q->top || returned + (int64_t)page < q->top);
        if (more && !(out->continuation = make_token(&p, hash, ex.keys + (page - 1) * p.width,
                                                     returned + (int64_t)page))) {
            rc = nomem(err);
            goto fail;
        }
    }
    out->value = value;
    value = NULL;
    rc = 0;
fail:
    json_decref(value);
    json_decref(tok);
    free(ex.keys);
    free(ex.rows);
    free(ex.memo);
    gm_map_destroy(ex.seen);
    gm_sb_free(&ex.keysb);
    plan_free(&p);
    gm_query_free(q);
    return rc;
}

int gm_query_run(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                 size_t len, const char *continuation, size_t page_size, gm_query_page *out,
                 gm_err *err)
{
    return gm_query_run_ex(g, models, text, len, continuation, page_size, NULL, out, err);
}

void gm_query_page_free(gm_query_page *p)
{
    if (!p)
        return;
    json_decref(p->value);
    free(p->continuation);
    p->value = NULL;
    p->continuation = NULL;
}

json_t *gm_query_page_json(const gm_query_page *p)
{
    if (!p || !p->value)
        return NULL;
    return json_pack("{s:O, s:o}", "value", p->value, "continuationToken",
                     p->continuation ? json_string(p->continuation) : json_null());
}

int gm_query_explain(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                     size_t len, char **plan_out, gm_err *err)
{
    if (!plan_out)
        return gm_err_set(err, GM_EINVAL, "", "plan is required");
    *plan_out = NULL;
    gm_query *q = NULL;
    plan p;
    gm_sb sb = GM_SB_INIT;
    (void)g; /* a cost-based planner would look at the graph */
    int rc = prepare(models, text, len, &q, &p, err);
    if (rc)
        goto fail;
    if (describe(&p, &sb) || !(*plan_out = gm_sb_take(&sb))) {
        rc = nomem(err);
        goto fail;
    }
fail:
    gm_sb_free(&sb);
    plan_free(&p);
    gm_query_free(q);
    return rc;
}
