/*
 * fuzz_query.c: libFuzzer target for twin/query (the ADT query language).
 *
 * Feeds the input to gm_query_parse and checks what must always hold. A
 * failure carries GM_EPARSE or GM_ELIMIT, no query, and a one-line, valid
 * UTF-8 message located at "query:LINE:COL" inside the input (COL at most
 * one past the end of its line). A success obeys the AST's documented
 * invariants (tree height, flattened AND/OR, operand kinds, hop bounds,
 * join and MATCH limits) and survives a round trip: the canonical text
 * parses again (its length limit raised, since reprinting adds spaces) and
 * prints identically.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -Isrc src/base/err.c \
 *       src/base/arena.c src/base/sb.c src/twin/query_parse.c fuzz/fuzz_query.c \
 *       -lm -o /tmp/fuzz_query && /tmp/fuzz_query -max_total_time=60
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#include "twin/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const gm_err *e, int rc, const uint8_t *data, size_t size)
{
    if (rc != GM_EPARSE && rc != GM_ELIMIT && rc != GM_ENOMEM)
        abort();
    if (e->code != rc || !e->what[0])
        abort();
    if (!valid_utf8(e->where) || !valid_utf8(e->what))
        abort();
    for (const char *p = e->what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    unsigned line = 0, col = 0;
    int used = 0;
    if (sscanf(e->where, "query:%u:%u%n", &line, &col, &used) != 2 ||
        (size_t)used != strlen(e->where) || line == 0 || col == 0)
        abort();
    /* Find line `line` and check that col falls inside it or just past it
       (bytes bound characters from above, so this is safe for any input). */
    size_t i = 0;
    for (unsigned l = 1; l < line; l++) {
        while (i < size && data[i] != '\n')
            i++;
        if (i >= size)
            abort(); /* fewer lines than the position claims */
        i++;
    }
    size_t bytes = 0;
    while (i + bytes < size && data[i + bytes] != '\n')
        bytes++;
    if (col > bytes + 1)
        abort();
}

static void check_path(const gm_query_path *p)
{
    if (p->n == 0 || !p->seg || p->pos.line == 0 || p->pos.col == 0)
        abort();
    for (size_t i = 0; i < p->n; i++)
        if (!p->seg[i] || !p->seg[i][0] || strlen(p->seg[i]) > GM_QUERY_MAX_IDENT ||
            !valid_utf8(p->seg[i]))
            abort();
}

static bool is_operand(const gm_query_expr *e)
{
    return e->kind == GM_QX_VALUE || e->kind == GM_QX_PATH;
}

static void check_value(const gm_query_value *v)
{
    if (v->kind == GM_QV_STRING &&
        (!v->str.s || strlen(v->str.s) != v->str.len || !valid_utf8(v->str.s)))
        abort();
    if (v->kind == GM_QV_REAL && !isfinite(v->r))
        abort();
}

/* Returns the height, checking it against the stored one. */
static unsigned check_expr(const gm_query_expr *e, bool cond)
{
    unsigned h = 1;
    switch (e->kind) {
    case GM_QX_VALUE:
        check_value(&e->value);
        if (cond && e->value.kind != GM_QV_BOOL)
            abort();
        break;
    case GM_QX_PATH:
        if (cond)
            abort();
        check_path(&e->path);
        break;
    case GM_QX_CMP:
        if (!cond || !is_operand(e->cmp.lhs) || !is_operand(e->cmp.rhs) ||
            (unsigned)e->cmp.op > GM_QCMP_GE)
            abort();
        h = 1 + 1;
        check_expr(e->cmp.lhs, false);
        check_expr(e->cmp.rhs, false);
        break;
    case GM_QX_IN:
        if (!cond || !is_operand(e->in.operand) || e->in.n > GM_QUERY_MAX_LIST)
            abort();
        check_expr(e->in.operand, false);
        for (size_t i = 0; i < e->in.n; i++)
            check_value(&e->in.values[i]);
        h = 2;
        break;
    case GM_QX_NOT:
        if (!cond)
            abort();
        h = 1 + check_expr(e->operand, true);
        break;
    case GM_QX_AND:
    case GM_QX_OR:
        if (!cond || e->list.n < 2)
            abort();
        for (size_t i = 0; i < e->list.n; i++) {
            if (e->list.items[i]->kind == e->kind)
                abort(); /* not flattened */
            unsigned c = check_expr(e->list.items[i], true);
            if (c + 1 > h)
                h = c + 1;
        }
        break;
    case GM_QX_CALL:
        if (!cond || (unsigned)e->call.fn > GM_QF_ARRAY_CONTAINS)
            abort();
        if (e->call.nargs != (e->call.fn <= GM_QF_IS_OBJECT ? 1u : 2u))
            abort();
        for (size_t i = 0; i < e->call.nargs; i++) {
            if (!is_operand(e->call.args[i]))
                abort();
            check_expr(e->call.args[i], false);
        }
        if (e->call.fn <= GM_QF_IS_OBJECT && e->call.args[0]->kind != GM_QX_PATH)
            abort();
        h = 2;
        break;
    case GM_QX_OF_MODEL:
        if (!cond || !e->of_model.model || !valid_utf8(e->of_model.model))
            abort();
        break;
    default:
        abort();
    }
    if (h != e->height || h > GM_QUERY_MAX_DEPTH)
        abort();
    return h;
}

static void check_query(const gm_query *q)
{
    if (q->top < 0)
        abort();
    if (q->select == GM_QSEL_COUNT && q->top)
        abort();
    if ((q->select == GM_QSEL_LIST) != (q->nproj > 0))
        abort();
    for (size_t i = 0; i < q->nproj; i++)
        check_path(&q->proj[i].path);
    if (q->njoins > GM_QUERY_MAX_JOINS)
        abort();
    if (q->njoins && (q->from != GM_QFROM_DIGITALTWINS || q->match || q->select == GM_QSEL_STAR))
        abort();
    for (size_t i = 0; i < q->njoins; i++)
        if (!q->joins[i].target || !q->joins[i].source || !q->joins[i].rel)
            abort();
    if (q->match) {
        const gm_query_match *m = q->match;
        if (q->from != GM_QFROM_DIGITALTWINS || q->from_alias || m->nnodes == 0 ||
            m->nnodes - 1 > GM_QUERY_MAX_HOPS)
            abort();
        for (size_t i = 0; i + 1 < m->nnodes; i++) {
            const gm_query_rel *r = &m->rels[i];
            if (r->min_hops < 1 || r->min_hops > r->max_hops || r->max_hops > GM_QUERY_MAX_HOPS)
                abort();
            if (r->nnames > GM_QUERY_MAX_LIST)
                abort();
            if (r->hops == GM_QHOPS_ONE && r->max_hops != 1)
                abort();
        }
    }
    if (q->where)
        check_expr(q->where, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err e;
    gm_err_clear(&e);
    static gm_query sentinel;
    gm_query *q = &sentinel; /* must be reset to NULL on failure */
    int rc = gm_query_parse((const char *)data, size, NULL, &q, &e);
    if (rc != GM_OK) {
        if (q)
            abort();
        check_msg(&e, rc, data, size);
        return 0;
    }
    check_query(q);

    gm_sb s1 = GM_SB_INIT, s2 = GM_SB_INIT;
    if (gm_query_format(q, &s1) != GM_OK)
        abort();
    gm_query_limits big = {.max_chars = GM_QUERY_CHARS_CAP};
    gm_query *again = NULL;
    if (gm_query_parse(gm_sb_str(&s1), s1.len, &big, &again, &e) != GM_OK) {
        fprintf(stderr, "reparse failed: %s: %s\n  text: %s\n", e.where, e.what, gm_sb_str(&s1));
        abort();
    }
    check_query(again);
    if (gm_query_format(again, &s2) != GM_OK || strcmp(gm_sb_str(&s1), gm_sb_str(&s2)) != 0) {
        fprintf(stderr, "not idempotent:\n  %s\n  %s\n", gm_sb_str(&s1), gm_sb_str(&s2));
        abort();
    }
    gm_sb_free(&s1);
    gm_sb_free(&s2);
    gm_query_free(again);
    gm_query_free(q);
    return 0;
}
