/*
 * query_exec.h: running Azure Digital Twins (ADT) queries over the twin
 * graph: semantic checks, a planner that uses the graph's indexes, and
 * paged results in the shapes ADT's query API returns.
 *
 * The caller prints a page as {"value": [...], "continuationToken": ...}
 * (gm_query_page_json builds exactly that). Rows:
 *
 *   SELECT * FROM DIGITALTWINS [T]       each row is the twin itself
 *   SELECT * FROM RELATIONSHIPS [R]      each row is the relationship itself
 *   SELECT * ... MATCH (a)-[r]->(b)      {"a": twin, "r": rel, "b": twin}: every
 *                                        named twin and relationship of the pattern
 *   SELECT T, R ...                      {"T": twin, "R": rel} (a collection keeps its
 *                                        alias as key, or its AS name), as ADT's
 *                                        "project collection" example shows
 *   SELECT T.name, R.since AS s ...      {"name": ..., "s": ...}: the last segment of the
 *                                        path or the AS name; a property that is absent
 *                                        is left out of the row
 *   SELECT COUNT() ...                   one row {"COUNT": n}
 *
 * Two columns with the same name are a semantic error ("use AS").
 *
 * WHERE, as ADT (whose language is Cosmos DB's) defines it, in two-valued
 * logic: a comparison, IN or NIN whose operand is absent is false (so
 * "NOT T.x > 1" is true where x is absent); numbers compare numerically
 * across integers and reals; strings compare by bytes; values of different
 * types never compare (false, even for !=); booleans and null support only
 * = and !=, objects and arrays only = and != by deep equality.
 * IS_OF_MODEL(alias?, 'dtmi', exact?) matches the model and, without exact,
 * every loaded model that extends it. STARTSWITH/ENDSWITH/CONTAINS are false
 * unless both arguments are strings; ARRAY_CONTAINS looks at the top level
 * of an array only. Paths reach into components and object properties
 * (T.motor.rpm, T.limits.high, T.$metadata.$model, T.$dtId).
 *
 * Semantic rules (GM_EINVAL, err->where "query:LINE:COL" from the AST):
 *  - every path starts with a collection alias once the query names one
 *    (FROM DIGITALTWINS without alias, no JOIN/MATCH: bare property names);
 *  - aliases are unique; a JOIN's source is the FROM alias or an earlier
 *    JOIN's target; IS_OF_MODEL names a twin collection, and must name one
 *    when there are several;
 *  - a MATCH relationship alias only on a single hop (ADT's rule);
 *  - a MATCH needs a "node.$dtId = '...'" (or "IN [...]") condition among the
 *    top-level AND terms of WHERE (ADT requires a $dtId; gemel may anchor on
 *    any named node, where ADT may return nothing for a node other than the
 *    first).
 * ADT's documentation also asks JOIN queries for a $dtId filter; gemel
 * relaxes that: a JOIN without one starts from a model index or a scan.
 *
 * Planning. The top-level AND terms of WHERE choose where to start:
 * "X.$dtId = 's'" or "X.$dtId IN [...]" on any twin collection X: point
 * lookups; else IS_OF_MODEL(X, 'm') (the FROM collection first): the
 * model index, for m and (not exact) every loaded model that extends m;
 * else a scan of all twins (every model's, merged). FROM RELATIONSHIPS
 * uses "$sourceId" (the source twin's outgoing relationships) or
 * "$targetId" (incoming) the same way, else a scan. JOINs and MATCH
 * conditions then expand from bound twins through each twin's outgoing /
 * incoming relationships, in either direction of the written pattern.
 * Each WHERE term is tested as soon as every collection it names is bound;
 * the term the index answered is not tested again.
 *
 * MATCH semantics: a relationship is traversed at most once per match
 * (ADT: cyclic relationships are detected); a variable-hop condition
 * *a..b follows trails of a to b relationships (the AST's min_hops and
 * max_hops); rows are distinct on the named twins and relationships, so two
 * paths between the same twins give one row.
 *
 * Order and paging. Rows come sorted by a key: for each collection in the
 * order written, a twin's $dtId or a relationship's ($sourceId,
 * $relationshipId) (JOIN: every relationship, named or not; MATCH: the
 * named ones). TOP(n) keeps the first n in that order. A page holds at most
 * page_size rows; the continuation token (opaque hex of a small JSON: a hash
 * of the canonical query, the last row's key, rows returned) resumes after
 * that key, so a page is computed in one pass over the candidates keeping
 * only page_size + 1 rows (no JSON is built for rows off the page; COUNT()
 * builds no rows at all), and pages stay consistent while the graph
 * changes between calls. When the plan starts from the FROM collection's
 * model index or scan, the candidates come in $dtId order (the graph keeps
 * each model's twins sorted; several models are merged): a page starts at
 * the token's key and stops once it holds page_size + 1 rows and the next
 * twin sorts after the last of them: it reads the twins up to its last row
 * (all of them only when few match). Otherwise (COUNT(), $dtId lookups,
 * relationships, a JOIN that starts from another collection) each page
 * costs a pass over the candidates.
 *
 * Conditions on a twin's top-level primitive properties read the values
 * the graph caches in each twin (graph.h), which are the document's
 * values; other paths are walked in the JSON.
 *
 * The graph and the registry must not change during a call (the engine's
 * writer thread owns them; a worker runs queries over a snapshot).
 */
#ifndef GM_TWIN_QUERY_EXEC_H
#define GM_TWIN_QUERY_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "model/registry.h"
#include "twin/graph.h"

#define GM_QUERY_PAGE_DEFAULT 100  /* ADT's page size */
#define GM_QUERY_PAGE_MAX 1000     /* larger requests get this many (ADT: "may return fewer") */
#define GM_QUERY_MAX_VISITS 10000000 /* relationships a JOIN/MATCH may examine, by default */
#define GM_QUERY_TOKEN_MAX 131072  /* characters of a continuation token */

/* One page of results. Both members are owned by the page. */
typedef struct gm_query_page {
    json_t *value;      /* JSON array of rows */
    char *continuation; /* token for the next page (NUL-terminated), or NULL when no more */
} gm_query_page;

/* Knobs for gm_query_run_ex; a field left 0 takes the default. */
typedef struct gm_query_exec_opts {
    uint64_t max_visits; /* relationships JOIN/MATCH expansion may examine (GM_QUERY_MAX_VISITS) */
} gm_query_exec_opts;

/*
 * Run the query text[0..len) (parsed with gm_query_parse's default limits)
 * over g, whose models are in models. continuation is NULL for the first
 * page, or the token a previous page of the same query returned (the query
 * must be the same up to canonical form: whitespace, keyword case; ADT's
 * REST API takes a token without the query, here the caller passes both,
 * so the token needs to hold no query text). At most
 * page_size rows come back (0: GM_QUERY_PAGE_DEFAULT; above
 * GM_QUERY_PAGE_MAX: that many). On success *out owns a new page
 * (gm_query_page_free). On failure *out is {NULL, NULL} and err says:
 *   GM_EPARSE, GM_ELIMIT  from the parser (where "query:LINE:COL");
 *   GM_EINVAL             a semantic error (where "query:LINE:COL"), or
 *                         "invalid continuation token: ..." (where
 *                         "continuationToken"), or a NULL argument (where "");
 *   GM_ELIMIT             a JOIN/MATCH examined more than max_visits relationships;
 *   GM_ENOMEM.
 */
int gm_query_run(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                 size_t len, const char *continuation, size_t page_size, gm_query_page *out,
                 gm_err *err);

/* As gm_query_run, with knobs (opts may be NULL). */
int gm_query_run_ex(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                    size_t len, const char *continuation, size_t page_size,
                    const gm_query_exec_opts *opts, gm_query_page *out, gm_err *err);

/* Free what a page holds and set it to {NULL, NULL}. NULL is ignored. */
void gm_query_page_free(gm_query_page *p);

/* {"value": <p->value>, "continuationToken": <token or null>}, a new object
   that shares p->value (incref'd); NULL when out of memory or p->value is NULL. */
json_t *gm_query_page_json(const gm_query_page *p);

/*
 * The plan gm_query_run would use for text, as one line into *plan (malloc'd,
 * the caller frees):
 *   "lookup $dtId (2 ids)", "by model (3 models)", "scan",
 *   "lookup $sourceId (1 id)", "lookup $targetId (1 id)", "scan relationships";
 * with JOIN or MATCH, the collection it starts from and each expansion in
 * order: "lookup $dtId (1 id) on B, expand B<-A, expand A->C (2..3 hops)"
 * ("->": outgoing relationships, "<-": incoming, "-": both; "()" an
 * anonymous twin). g is not consulted today and may be NULL (the plan
 * depends on the query and the loaded models). Errors as gm_query_run;
 * GM_EINVAL when plan is NULL.
 */
int gm_query_explain(const gm_twin_graph *g, const gm_model_registry *models, const char *text,
                     size_t len, char **plan, gm_err *err);

#endif
