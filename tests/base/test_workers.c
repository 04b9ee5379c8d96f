#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/workers.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void test_create_sizes(void **state)
{
    (void)state;
    gm_err e;
    gm_err_clear(&e);
    assert_null(gm_workers_create(GM_WORKERS_MAX_THREADS + 1, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(e.where, "nthreads");

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = cpus < 1 ? 1u : cpus > 1024 ? 1024u : (unsigned)cpus;
    gm_workers *p = gm_workers_create(0, &e);
    assert_non_null(p);
    assert_int_equal(gm_workers_size(p), want);
    gm_workers_destroy(p);

    p = gm_workers_create(3, NULL);
    assert_non_null(p);
    assert_int_equal(gm_workers_size(p), 3);
    gm_workers_destroy(p);
    gm_workers_destroy(NULL);
    gm_workers_wait(NULL);
}

/* ---- plain tasks ---- */

#define NTASKS 100000u

typedef struct sum_ctx {
    uint64_t *results; /* each task writes its own slot: no atomics needed */
    atomic_ullong sum;
} sum_ctx;

typedef struct sum_task {
    sum_ctx *ctx;
    size_t slot;
    uint64_t value;
} sum_task;

static void square_task(void *arg)
{
    sum_task *t = arg;
    t->ctx->results[t->slot] = t->value * t->value;
    atomic_fetch_add(&t->ctx->sum, t->value);
}

static void test_submit_sum_and_reuse(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(4, NULL);
    assert_non_null(p);
    sum_ctx ctx;
    ctx.results = calloc(NTASKS, sizeof *ctx.results);
    sum_task *tasks = calloc(NTASKS, sizeof *tasks);
    assert_non_null(ctx.results);
    assert_non_null(tasks);

    for (int round = 0; round < 2; round++) {
        atomic_init(&ctx.sum, 0);
        for (uint64_t i = 0; i < NTASKS; i++) {
            tasks[i] = (sum_task){.ctx = &ctx, .slot = i, .value = i + (uint64_t)round};
            ctx.results[i] = 0;
        }
        for (uint64_t i = 0; i < NTASKS; i++)
            assert_int_equal(gm_workers_submit(p, square_task, &tasks[i]), 0);
        gm_workers_wait(p);
        /* sum of k for k in [r, r + N) and each square in its slot. */
        uint64_t n = NTASKS, r = (uint64_t)round;
        assert_true(atomic_load(&ctx.sum) == n * (n - 1) / 2 + r * n);
        for (uint64_t i = 0; i < NTASKS; i++)
            assert_true(ctx.results[i] == (i + r) * (i + r));
    }
    /* wait with nothing pending returns at once. */
    gm_workers_wait(p);
    assert_int_equal(gm_workers_submit(p, NULL, NULL), GM_EINVAL);
    assert_int_equal(gm_workers_submit(NULL, square_task, NULL), GM_EINVAL);
    gm_workers_destroy(p);
    free(tasks);
    free(ctx.results);
}

/* ---- tasks that submit tasks ---- */

typedef struct tree {
    gm_workers *pool;
    atomic_uint nodes;
    atomic_int failures;
    struct tree_node *storage;
    atomic_uint next_slot;
} tree;

typedef struct tree_node {
    tree *t;
    unsigned depth;
} tree_node;

static void tree_task(void *arg)
{
    tree_node *n = arg;
    tree *t = n->t;
    atomic_fetch_add(&t->nodes, 1);
    if (n->depth == 0)
        return;
    for (int c = 0; c < 2; c++) {
        unsigned slot = atomic_fetch_add(&t->next_slot, 1);
        t->storage[slot] = (tree_node){.t = t, .depth = n->depth - 1};
        if (gm_workers_submit(t->pool, tree_task, &t->storage[slot]) != 0)
            atomic_fetch_add(&t->failures, 1);
    }
    /* A task may not wait for the pool (it would wait for itself): the call
       is detected and returns at once instead of deadlocking. */
    gm_workers_wait(t->pool);
}

#define TREE_DEPTH 12u /* 2^13 - 1 nodes */

static void test_nested_submit(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(3, NULL);
    assert_non_null(p);
    tree t = {.pool = p};
    atomic_init(&t.nodes, 0);
    atomic_init(&t.failures, 0);
    atomic_init(&t.next_slot, 1);
    unsigned total = (1u << (TREE_DEPTH + 1)) - 1;
    t.storage = calloc(total, sizeof *t.storage);
    assert_non_null(t.storage);
    t.storage[0] = (tree_node){.t = &t, .depth = TREE_DEPTH};
    assert_int_equal(gm_workers_submit(p, tree_task, &t.storage[0]), 0);
    /* wait covers tasks submitted by tasks, however late they come. */
    gm_workers_wait(p);
    assert_int_equal(atomic_load(&t.nodes), total);
    assert_int_equal(atomic_load(&t.next_slot), total);
    assert_int_equal(atomic_load(&t.failures), 0);
    gm_workers_destroy(p);
    free(t.storage);
}

/* ---- parallel_for ---- */

typedef struct pf_ctx {
    unsigned nworkers;
    atomic_uint *hits;   /* per index */
    atomic_int *in_use;  /* per worker: 1 while a call runs on it */
    atomic_uint *per_worker;
    atomic_int bad_worker, shared_worker;
} pf_ctx;

static void pf_body(void *arg, size_t i, unsigned worker)
{
    pf_ctx *c = arg;
    if (worker >= c->nworkers) {
        atomic_fetch_add(&c->bad_worker, 1);
        return;
    }
    /* If another call held this worker index right now, we would see 1. */
    if (atomic_exchange(&c->in_use[worker], 1) != 0)
        atomic_fetch_add(&c->shared_worker, 1);
    atomic_fetch_add(&c->hits[i], 1);
    atomic_fetch_add(&c->per_worker[worker], 1);
    /* A little work so that calls overlap. */
    volatile unsigned spin = 0;
    for (unsigned k = 0; k < 50 + (unsigned)(i % 200); k++)
        spin = spin + k;
    atomic_store(&c->in_use[worker], 0);
}

typedef struct pf_call {
    gm_workers *pool;
    size_t n;
    pf_ctx *ctx;
    int rc;
} pf_call;

static void *pf_thread(void *arg)
{
    pf_call *call = arg;
    call->rc = gm_workers_parallel_for(call->pool, call->n, pf_body, call->ctx);
    return NULL;
}

#define PF_N 100000u

static void pf_ctx_init(pf_ctx *c, unsigned nworkers, size_t n)
{
    c->nworkers = nworkers;
    c->hits = calloc(n, sizeof *c->hits);
    c->in_use = calloc(nworkers, sizeof *c->in_use);
    c->per_worker = calloc(nworkers, sizeof *c->per_worker);
    assert_non_null(c->hits);
    assert_non_null(c->in_use);
    assert_non_null(c->per_worker);
    atomic_init(&c->bad_worker, 0);
    atomic_init(&c->shared_worker, 0);
}

static void pf_ctx_free(pf_ctx *c)
{
    free(c->hits);
    free(c->in_use);
    free(c->per_worker);
}

static void test_parallel_for(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(4, NULL);
    assert_non_null(p);
    pf_ctx c;
    pf_ctx_init(&c, gm_workers_size(p), 2 * PF_N);

    assert_int_equal(gm_workers_parallel_for(p, PF_N, pf_body, &c), 0);
    for (size_t i = 0; i < PF_N; i++)
        assert_int_equal(atomic_load(&c.hits[i]), 1);
    unsigned sum = 0;
    for (unsigned w = 0; w < gm_workers_size(p); w++)
        sum += atomic_load(&c.per_worker[w]);
    assert_int_equal(sum, PF_N);
    assert_int_equal(atomic_load(&c.bad_worker), 0);
    assert_int_equal(atomic_load(&c.shared_worker), 0);

    /* Two callers at once, on overlapping index sets: still each index of
       each call once, and never two running calls on one worker index. The
       in-use flags are shared by both calls. */
    for (size_t i = 0; i < 2 * PF_N; i++)
        atomic_store(&c.hits[i], 0);
    pf_call calls[2] = {{p, 2 * PF_N, &c, -99}, {p, PF_N, &c, -99}};
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, pf_thread, &calls[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    assert_int_equal(calls[0].rc, 0);
    assert_int_equal(calls[1].rc, 0);
    for (size_t i = 0; i < 2 * PF_N; i++)
        assert_int_equal(atomic_load(&c.hits[i]), i < PF_N ? 2 : 1);
    assert_int_equal(atomic_load(&c.bad_worker), 0);
    assert_int_equal(atomic_load(&c.shared_worker), 0);

    assert_int_equal(gm_workers_parallel_for(NULL, 1, pf_body, &c), GM_EINVAL);
    assert_int_equal(gm_workers_parallel_for(p, 1, NULL, &c), GM_EINVAL);
    assert_int_equal(gm_workers_parallel_for(p, SIZE_MAX, pf_body, &c), GM_ERANGE);
    pf_ctx_free(&c);
    gm_workers_destroy(p);
}

typedef struct small_ctx {
    atomic_uint calls;
    atomic_size_t last_i;
    atomic_uint last_worker;
} small_ctx;

static void small_body(void *arg, size_t i, unsigned worker)
{
    small_ctx *c = arg;
    atomic_fetch_add(&c->calls, 1);
    atomic_store(&c->last_i, i);
    atomic_store(&c->last_worker, worker);
}

static void test_parallel_for_small(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(2, NULL);
    assert_non_null(p);
    small_ctx c;
    atomic_init(&c.calls, 0);
    atomic_init(&c.last_i, 77);
    atomic_init(&c.last_worker, 77);
    /* n = 0: nothing runs, even with a NULL function. */
    assert_int_equal(gm_workers_parallel_for(p, 0, small_body, &c), 0);
    assert_int_equal(gm_workers_parallel_for(p, 0, NULL, NULL), 0);
    assert_int_equal(atomic_load(&c.calls), 0);
    /* n = 1: exactly one call, index 0, on a valid worker. */
    assert_int_equal(gm_workers_parallel_for(p, 1, small_body, &c), 0);
    assert_int_equal(atomic_load(&c.calls), 1);
    assert_int_equal(atomic_load(&c.last_i), 0);
    assert_true(atomic_load(&c.last_worker) < 2);
    gm_workers_destroy(p);
}

typedef struct nested_pf {
    gm_workers *self, *other;
    int rc_self, rc_other;
    small_ctx c;
} nested_pf;

static void nested_pf_task(void *arg)
{
    nested_pf *n = arg;
    n->rc_self = gm_workers_parallel_for(n->self, 10, small_body, &n->c);
    n->rc_other = gm_workers_parallel_for(n->other, 10, small_body, &n->c);
}

static void test_parallel_for_from_task(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(2, NULL), *q = gm_workers_create(2, NULL);
    assert_non_null(p);
    assert_non_null(q);
    nested_pf n = {.self = p, .other = q, .rc_self = -99, .rc_other = -99};
    atomic_init(&n.c.calls, 0);
    atomic_init(&n.c.last_i, 0);
    atomic_init(&n.c.last_worker, 0);
    assert_int_equal(gm_workers_submit(p, nested_pf_task, &n), 0);
    gm_workers_wait(p);
    /* Refused on its own pool, allowed on another; only the latter ran. */
    assert_int_equal(n.rc_self, GM_EINVAL);
    assert_int_equal(n.rc_other, 0);
    assert_int_equal(atomic_load(&n.c.calls), 10);
    gm_workers_destroy(q);
    gm_workers_destroy(p);
}

/* ---- destroy finishes queued work ---- */

typedef struct drain_ctx {
    gm_workers *pool;
    atomic_uint done;
    atomic_uint children_done;
    atomic_int submit_failures;
} drain_ctx;

static void child_task(void *arg)
{
    drain_ctx *d = arg;
    atomic_fetch_add(&d->children_done, 1);
}

static void slow_task(void *arg)
{
    drain_ctx *d = arg;
    sleep_ms(1);
    /* Work spawned while the pool drains still runs. */
    if (gm_workers_submit(d->pool, child_task, d) != 0)
        atomic_fetch_add(&d->submit_failures, 1);
    atomic_fetch_add(&d->done, 1);
}

static void test_destroy_drains(void **state)
{
    (void)state;
    gm_workers *p = gm_workers_create(1, NULL);
    assert_non_null(p);
    drain_ctx *d = calloc(1, sizeof *d);
    assert_non_null(d);
    d->pool = p;
    atomic_init(&d->done, 0);
    atomic_init(&d->children_done, 0);
    atomic_init(&d->submit_failures, 0);
    /* One worker, 50 tasks of at least 1 ms: most are still queued when
       destroy starts. */
    for (int i = 0; i < 50; i++)
        assert_int_equal(gm_workers_submit(p, slow_task, d), 0);
    gm_workers_destroy(p);
    assert_int_equal(atomic_load(&d->done), 50);
    assert_int_equal(atomic_load(&d->children_done), 50);
    assert_int_equal(atomic_load(&d->submit_failures), 0);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_sizes),
        cmocka_unit_test(test_submit_sum_and_reuse),
        cmocka_unit_test(test_nested_submit),
        cmocka_unit_test(test_parallel_for),
        cmocka_unit_test(test_parallel_for_small),
        cmocka_unit_test(test_parallel_for_from_task),
        cmocka_unit_test(test_destroy_drains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
