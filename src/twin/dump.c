/*
 * dump.c: dumps, a consistent image of the graph while the writer goes on.
 *
 * A dump writes the graph as it was at one seq, on another thread, while
 * the writer goes on changing it: copy-on-write per twin instead of per
 * page (fork). Each dump has a generation; a twin records, for its
 * document and for its outgoing relationships apart, the generation that
 * has written it (doc_gen, rels_gen). Below the running dump's generation
 * it is not written yet; DUMP_BUSY set means a thread is writing it now.
 *
 * The dump thread claims each twin of its list (the twins at the start)
 * and writes it where it is: its document in a first pass, its outgoing
 * relationships in a second, so that every twin comes before the
 * relationships that name it. The writer, before it changes a document or
 * a twin's outgoing relationships that the dump has not reached, claims
 * them itself and writes them as they still are into an aside buffer that
 * the dump thread drains (twin__dump_guard). Whoever claims a part writes it;
 * the other waits while it is busy (a few microseconds) and then skips it.
 * The writer's side costs one atomic load per change while a dump runs and
 * nothing otherwise. A dump begun without relationships (its caller has
 * them from an earlier one, same rels_version) runs only the first pass,
 * and the writer sets no relationships aside for it.
 *
 * What the dump thread reads of a twin it holds: doc, due, b (its slot
 * names) and out, which only the writer changes, and only after claiming
 * the twin. Relationship documents are never changed in place (a patch
 * replaces the document). A twin deleted during the dump keeps its struct
 * until the dump ends (the graveyard); a twin created during it starts
 * written. Readers on the writer thread may read a twin the dump holds:
 * both only read, except that settling deferred metadata writes the
 * document, so twin__settle() claims first.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sb.h"
#include "base/vec.h"
#include "twin/graph.h"
#include "twin/graph_internal.h"

#define DUMP_BUSY UINT32_C(0x80000000)
/* Text the dump thread gathers before handing it on. */
#define DUMP_CHUNK ((size_t)1 << 20)

struct gm_twin_dump {
    gm_twin_graph *g;
    uint32_t gen;
    uint64_t seq;
    bool rels;  /* it holds the relationships (else only the twins) */
    int passes; /* passes run: 1 twins, 2 relationships */
    twin **tw;  /* the twins at the start */
    size_t ntw, nrels;
    gm_vec grave; /* twin *: deleted during the dump, freed at its end */
    pthread_mutex_t mu; /* guards the aside buffers and counts */
    gm_sb aside[2];     /* lines the writer set aside: [0] twins, [1] relationships */
    size_t naside[2];   /* lines in them, all told */
    bool failed;        /* the writer could not set a part aside: the dump is void */
    atomic_bool cancel; /* gm_twin_dump_cancel */
};

/* Append doc and a newline to sb. */
static int dump_line(gm_sb *sb, const json_t *doc)
{
    int rc = gm_json_write(sb, doc);
    return rc ? rc : gm_sb_append_char(sb, '\n');
}

/* t's document as the writer would show it, without changing it: with
   metadata due, a copy with the metadata written in. */
static int dump_doc(gm_sb *sb, const twin *t)
{
    if (!t->due)
        return dump_line(sb, t->doc);
    json_t *copy = json_deep_copy(t->doc);
    if (!copy)
        return GM_ENOMEM;
    twin__write_due(copy, t->due, t->b);
    int rc = dump_line(sb, copy);
    json_decref(copy);
    return rc;
}

/* t's outgoing relationships, a line each; *n counts them. */
static int dump_rels(gm_sb *sb, const twin *t, size_t *n)
{
    size_t pos = 0;
    gm_map_item it;
    while (t->out && gm_map_next(t->out, &pos, &it)) {
        int rc = dump_line(sb, ((const rel *)it.val)->doc);
        if (rc)
            return rc;
        ++*n;
    }
    return 0;
}

/* Claim the part whose generation is st for writing (true: the caller
   writes it, then stores d->gen), or wait until the other side has
   written it (false). */
static bool dump_claim(const gm_twin_dump *d, _Atomic uint32_t *st)
{
    uint32_t v = atomic_load_explicit(st, memory_order_acquire);
    for (;;) {
        if (v == d->gen)
            return false;
        if (v == (d->gen | DUMP_BUSY)) { /* the other side is writing it */
            sched_yield();
            v = atomic_load_explicit(st, memory_order_acquire);
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(st, &v, d->gen | DUMP_BUSY,
                                                  memory_order_acq_rel, memory_order_acquire))
            return true;
    }
}

void twin__dump_guard(twin *t, bool rels)
{
    gm_twin_dump *d = t->b->g->dump;
    if (!d || (rels && !d->rels))
        return;
    _Atomic uint32_t *st = rels ? &t->rels_gen : &t->doc_gen;
    if (!dump_claim(d, st))
        return;
    pthread_mutex_lock(&d->mu);
    gm_sb *sb = &d->aside[rels];
    size_t n = 0;
    int rc;
    if (rels) {
        rc = dump_rels(sb, t, &n);
    } else {
        twin__settle_here(t); /* the writer may: it holds the twin */
        rc = dump_line(sb, t->doc);
        n = 1;
    }
    if (rc)
        d->failed = true;
    d->naside[rels] += n;
    pthread_mutex_unlock(&d->mu);
    atomic_store_explicit(st, d->gen, memory_order_release);
}

int twin__dump_reserve_grave(gm_twin_dump *d)
{
    return gm_vec_reserve(&d->grave, d->grave.len + 1);
}

void twin__dump_bury(gm_twin_dump *d, twin *t)
{
    gm_vec_push(&d->grave, &t); /* cannot fail: reserved */
}

int gm_twin_dump_begin(gm_twin_graph *g, bool rels, gm_twin_dump **out)
{
    *out = NULL;
    if (g->dump)
        return GM_EAGAIN;
    if (g->dump_gen + 1 >= DUMP_BUSY)
        return GM_ELIMIT;
    gm_twin_dump *d = calloc(1, sizeof *d);
    size_t n = gm_map_len(g->twins);
    if (!d || !(d->tw = malloc((n ? n : 1) * sizeof *d->tw))) {
        free(d);
        return GM_ENOMEM;
    }
    if (pthread_mutex_init(&d->mu, NULL)) {
        free(d->tw);
        free(d);
        return GM_ENOMEM;
    }
    size_t pos = 0;
    gm_map_item it;
    while (gm_map_next(g->twins, &pos, &it))
        d->tw[d->ntw++] = it.val;
    d->g = g;
    d->gen = ++g->dump_gen;
    d->seq = g->seq;
    d->rels = rels;
    d->nrels = g->nrels;
    gm_vec_init(&d->grave, sizeof(twin *));
    gm_sb_init(&d->aside[0]);
    gm_sb_init(&d->aside[1]);
    g->dump = d;
    *out = d;
    return 0;
}

uint64_t gm_twin_dump_seq(const gm_twin_dump *d)
{
    return d->seq;
}

size_t gm_twin_dump_twins(const gm_twin_dump *d)
{
    return d->ntw;
}

size_t gm_twin_dump_relationships(const gm_twin_dump *d)
{
    return d->nrels;
}

size_t gm_twin_dump_set_aside(gm_twin_dump *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->naside[0] + d->naside[1];
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* Hand sb's text to fn (if any) and empty sb. */
static int hand_on(gm_sb *sb, gm_twin_dump_fn fn, void *ctx)
{
    int rc = gm_sb_error(sb);
    if (!rc && sb->len)
        rc = fn(ctx, sb->buf, sb->len);
    gm_sb_reset(sb);
    return rc;
}

/* Hand the aside lines of one pass on (all, or what is there now). */
static int drain_aside(gm_twin_dump *d, int pass, gm_sb *spare, gm_twin_dump_fn fn, void *ctx,
                       size_t *lines)
{
    pthread_mutex_lock(&d->mu);
    gm_sb full = d->aside[pass];
    d->aside[pass] = *spare;
    bool failed = d->failed;
    *lines = d->naside[pass];
    pthread_mutex_unlock(&d->mu);
    int rc = failed ? GM_ENOMEM : hand_on(&full, fn, ctx);
    gm_sb_reset(&full);
    *spare = full;
    return rc;
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(twin *const *)a, y = (uintptr_t)*(twin *const *)b;
    return (x > y) - (x < y);
}

/* One pass of a run: 0 the documents, 1 the relationships. */
static int dump_pass(gm_twin_dump *d, int pass, gm_twin_dump_fn fn, void *ctx)
{
    if (pass == 0)
        /* in memory order: the twins' structs and documents were mostly
           allocated one after the other, so the run reads memory forwards */
        qsort(d->tw, d->ntw, sizeof *d->tw, cmp_addr);
    gm_sb out = GM_SB_INIT, spare = GM_SB_INIT;
    int rc = 0;
    size_t mine = 0, aside = 0;
    for (size_t i = 0; i < d->ntw && !rc; i++) {
        if (atomic_load_explicit(&d->cancel, memory_order_relaxed)) {
            rc = GM_ESHUTDOWN;
            break;
        }
        twin *t = d->tw[i];
        _Atomic uint32_t *st = pass ? &t->rels_gen : &t->doc_gen;
        /* not claimed: the writer has set it aside (waited for, so that
           the pass's last drain finds it) */
        if (dump_claim(d, st)) {
            if (pass)
                rc = dump_rels(&out, t, &mine);
            else if (!(rc = dump_doc(&out, t)))
                mine++;
            atomic_store_explicit(st, d->gen, memory_order_release);
        }
        if (!rc && out.len >= DUMP_CHUNK) {
            rc = hand_on(&out, fn, ctx);
            if (!rc)
                rc = drain_aside(d, pass, &spare, fn, ctx, &aside);
        }
    }
    if (!rc)
        rc = hand_on(&out, fn, ctx);
    /* every part of the pass is written now: the last aside lines */
    if (!rc)
        rc = drain_aside(d, pass, &spare, fn, ctx, &aside);
    /* each twin, or each relationship at the start, once: else a change
       reached a twin without claiming it first */
    if (!rc && mine + aside != (pass ? d->nrels : d->ntw))
        rc = GM_EINTERNAL;
    gm_sb_free(&out);
    gm_sb_free(&spare);
    return rc;
}

int gm_twin_dump_run_twins(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    if (d->passes != 0)
        return GM_EINVAL;
    d->passes = 1;
    return dump_pass(d, 0, fn, ctx);
}

int gm_twin_dump_run_relationships(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    if (d->passes != 1 || !d->rels)
        return GM_EINVAL;
    d->passes = 2;
    return dump_pass(d, 1, fn, ctx);
}

int gm_twin_dump_run(gm_twin_dump *d, gm_twin_dump_fn fn, void *ctx)
{
    int rc = gm_twin_dump_run_twins(d, fn, ctx);
    if (!rc && d->rels)
        rc = gm_twin_dump_run_relationships(d, fn, ctx);
    return rc;
}

void gm_twin_dump_cancel(gm_twin_dump *d)
{
    atomic_store(&d->cancel, true);
}

void gm_twin_dump_end(gm_twin_dump *d)
{
    if (!d)
        return;
    d->g->dump = NULL;
    twin **dead = d->grave.data;
    for (size_t i = 0; i < d->grave.len; i++)
        twin__free(dead[i]);
    gm_vec_free(&d->grave);
    gm_sb_free(&d->aside[0]);
    gm_sb_free(&d->aside[1]);
    pthread_mutex_destroy(&d->mu);
    free(d->tw);
    free(d);
}

