/* Stores: blocking puts, waiting gets, FIFO items, time-average level,
   unlimited capacity, cancel, stale handles, statistics reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "sim/kernel.h"
#include "sim/store.h"

typedef struct world {
    gm_sim *sim;
    gm_simstore *st;
    /* Producer: puts items 1..nput back to back. */
    uint64_t next_item, nput;
    double put_done[32];
    /* Consumer: one get every gap time units from first. */
    uint64_t got[32];
    double got_t[32];
    int ngot;
} world;

static void producer_next(gm_sim *sim, void *ctx, uint64_t data);

static void put_done(gm_sim *sim, void *ctx, uint64_t data)
{
    world *w = ctx;
    w->put_done[data] = gm_sim_now(sim);
    producer_next(sim, w, 0);
}

static void producer_next(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    world *w = ctx;
    if (w->next_item > w->nput)
        return;
    uint64_t k = w->next_item++;
    assert_true(gm_simstore_put(w->st, gm_simstore_u64(100 + k), put_done, w, k, NULL) != 0);
}

static void got_item(gm_sim *sim, void *ctx, uint64_t data, gm_simstore_item item)
{
    world *w = ctx;
    (void)data;
    w->got[w->ngot] = item.u;
    w->got_t[w->ngot] = gm_sim_now(sim);
    w->ngot++;
}

static void consumer_get(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    world *w = ctx;
    assert_true(gm_simstore_get(w->st, got_item, w, data, NULL) != 0);
}

static void world_init(world *w, uint64_t capacity)
{
    *w = (world){.next_item = 1};
    w->sim = gm_sim_create(GM_SIM_HEAP4, 0);
    assert_non_null(w->sim);
    w->st = gm_simstore_create(w->sim, capacity, NULL);
    assert_non_null(w->st);
}

static void world_free(world *w)
{
    gm_simstore_destroy(w->st);
    gm_sim_destroy(w->sim);
}

/* Capacity 3, a producer of 6 items from time 0, a consumer taking one at
   5, 7, 9, 11, 13, 15. Puts 1-3 complete at 0, put 4 blocks until the get
   at 5 makes room, put 5 until 7, put 6 until 9; items come out 1..6. */
static void test_producer_consumer(void **state)
{
    (void)state;
    world w;
    world_init(&w, 3);
    w.nput = 6;
    gm_sim_schedule(w.sim, 0, producer_next, &w, 0);
    for (int i = 0; i < 6; i++)
        gm_sim_schedule(w.sim, 5 + 2.0 * i, consumer_get, &w, (uint64_t)i);
    gm_sim_run(w.sim, 4, 0);
    assert_int_equal(gm_simstore_level(w.st), 3);
    gm_simstore_stats s;
    gm_simstore_stats_get(w.st, &s);
    assert_int_equal(s.puts_blocked, 1);
    gm_sim_run(w.sim, HUGE_VAL, 0);

    const double done[7] = {0, 0, 0, 0, 5, 7, 9};
    for (int k = 1; k <= 6; k++)
        assert_true(w.put_done[k] == done[k]);
    assert_int_equal(w.ngot, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(w.got[i], 101 + (uint64_t)i); /* FIFO */
        assert_true(w.got_t[i] == 5 + 2.0 * i);
    }
    /* Level 3 on [0,11) (each get at 5, 7, 9 is refilled at once), 2 on
       [11,13), 1 on [13,15), 0 at 15: area 33 + 4 + 2 = 39 over [0,15]. */
    gm_simstore_stats_get(w.st, &s);
    assert_true(gm_sim_now(w.sim) == 15);
    assert_true(fabs(s.level_mean - 39.0 / 15) < 1e-12);
    assert_true(s.level_max == 3);
    /* Puts 1-4 are made at 0, put 5 at 5, put 6 at 7: waits 0,0,0,5,2,2;
       get waits all 0. */
    assert_int_equal(s.put_wait.n, 6);
    assert_true(fabs(s.put_wait.mean - 9.0 / 6) < 1e-12);
    assert_true(s.put_wait.max == 5);
    assert_int_equal(s.get_wait.n, 6);
    assert_true(s.get_wait.max == 0);
    assert_int_equal(s.puts, 6);
    assert_int_equal(s.gets, 6);
    assert_int_equal(s.level, 0);
    world_free(&w);
}

static void put_at(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    world *w = ctx;
    assert_true(gm_simstore_put(w->st, gm_simstore_u64(data), NULL, NULL, 0, NULL) != 0);
}

/* Gets before any item wait, first-in first-out; an unlimited store with
   hand-computed level average. */
static void test_gets_wait_and_level(void **state)
{
    (void)state;
    world w;
    world_init(&w, 0);
    /* Two gets at 0 wait; items at 3 and 4 go to them in order. */
    gm_sim_schedule(w.sim, 0, consumer_get, &w, 0);
    gm_sim_schedule(w.sim, 0, consumer_get, &w, 1);
    gm_sim_schedule(w.sim, 3, put_at, &w, 7);
    gm_sim_schedule(w.sim, 4, put_at, &w, 8);
    gm_sim_run(w.sim, 2, 0);
    assert_int_equal(w.ngot, 0);
    gm_simstore_stats s;
    gm_simstore_stats_get(w.st, &s);
    assert_int_equal(s.gets_waiting, 2);
    gm_sim_run(w.sim, HUGE_VAL, 0);
    assert_int_equal(w.ngot, 2);
    assert_int_equal(w.got[0], 7);
    assert_int_equal(w.got[1], 8);
    assert_true(w.got_t[0] == 3 && w.got_t[1] == 4);
    gm_simstore_stats_get(w.st, &s);
    assert_true(fabs(s.get_wait.mean - 3.5) < 1e-12);
    assert_true(s.level_max == 0); /* handed straight over */

    /* Warm-up reset at 4, then: puts at 5, 6, 7 (levels 1, 2, 3), gets at
       9 and 11, end at 15. Level over [4,15]: 0 on [4,5), 1, 2, 3 on
       [5,6), [6,7), [7,9), 2 on [9,11), 1 on [11,15]: 1 + 2 + 6 + 4 + 4. */
    gm_simstore_stats_reset(w.st);
    gm_sim_schedule(w.sim, 1, put_at, &w, 1);
    gm_sim_schedule(w.sim, 2, put_at, &w, 2);
    gm_sim_schedule(w.sim, 3, put_at, &w, 3);
    gm_sim_schedule(w.sim, 5, consumer_get, &w, 0);
    gm_sim_schedule(w.sim, 7, consumer_get, &w, 0);
    gm_sim_run(w.sim, 15, 0);
    gm_simstore_stats_get(w.st, &s);
    assert_true(fabs(s.level_mean - 17.0 / 11) < 1e-12);
    assert_true(s.level_max == 3);
    assert_int_equal(s.puts, 3);
    assert_int_equal(s.gets, 2);
    assert_int_equal(w.got[2], 1);
    assert_int_equal(w.got[3], 2);
    assert_int_equal(s.level, 1);
    world_free(&w); /* one item left inside: dropped, no leak */
}

/* Unlimited: many puts never block, and come out in order. */
typedef struct checker {
    int *base;
    int next;
} checker;

static void check_ptr(gm_sim *sim, void *ctx, uint64_t data, gm_simstore_item item)
{
    (void)sim;
    (void)data;
    checker *c = ctx;
    assert_ptr_equal(item.p, &c->base[c->next]);
    c->next++;
}

static void test_unlimited(void **state)
{
    (void)state;
    enum { N = 10000 };
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    gm_simstore *st = gm_simstore_create(sim, 0, NULL);
    static int cell[2 * N];
    for (int i = 0; i < N; i++)
        assert_true(gm_simstore_put(st, gm_simstore_ptr(&cell[i]), NULL, NULL, 0, NULL) != 0);
    assert_int_equal(gm_simstore_level(st), N);
    assert_int_equal(gm_simstore_capacity(st), 0);
    gm_simstore_stats s;
    gm_simstore_stats_get(st, &s);
    assert_int_equal(s.puts, N);
    assert_int_equal(s.puts_blocked, 0);
    assert_true(s.put_wait.max == 0);
    /* Take half, put N more (the ring wraps, then grows), take all. */
    checker c = {.base = cell};
    for (int i = 0; i < N / 2; i++)
        assert_true(gm_simstore_get(st, check_ptr, &c, 0, NULL) != 0);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(c.next, N / 2);
    assert_int_equal(gm_simstore_level(st), N / 2);
    for (int i = N; i < 2 * N; i++)
        gm_simstore_put(st, gm_simstore_ptr(&cell[i]), NULL, NULL, 0, NULL);
    assert_int_equal(gm_simstore_level(st), N / 2 + N);
    for (int i = 0; i < N / 2 + N; i++)
        gm_simstore_get(st, check_ptr, &c, 0, NULL);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(c.next, 2 * N);
    assert_int_equal(gm_simstore_level(st), 0);
    gm_simstore_destroy(st);
    gm_sim_destroy(sim);
}

/* Pointer items through a ring that wraps and grows, checked in order. */
static int *seen[64];
static int nseen;

static void got_ptr(gm_sim *sim, void *ctx, uint64_t data, gm_simstore_item item)
{
    (void)sim;
    (void)ctx;
    (void)data;
    seen[nseen++] = item.p;
}

static void test_ring_wrap_order(void **state)
{
    (void)state;
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    gm_simstore *st = gm_simstore_create(sim, 0, NULL);
    static int cells[64];
    int in = 0;
    nseen = 0;
    /* 10 in, 8 out, 30 in (the ring of 16 wraps then grows), 32 out. */
    for (; in < 10; in++)
        gm_simstore_put(st, gm_simstore_ptr(&cells[in]), NULL, NULL, 0, NULL);
    for (int i = 0; i < 8; i++)
        gm_simstore_get(st, got_ptr, NULL, 0, NULL);
    for (; in < 40; in++)
        gm_simstore_put(st, gm_simstore_ptr(&cells[in]), NULL, NULL, 0, NULL);
    for (int i = 0; i < 32; i++)
        gm_simstore_get(st, got_ptr, NULL, 0, NULL);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(nseen, 40);
    for (int i = 0; i < 40; i++)
        assert_ptr_equal(seen[i], &cells[i]);
    assert_int_equal(gm_simstore_level(st), 0);
    gm_simstore_destroy(st);
    gm_sim_destroy(sim);
}

static void never_done(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)ctx;
    (void)data;
    fail_msg("on_done must not run");
}

static void never_item(gm_sim *sim, void *ctx, uint64_t data, gm_simstore_item item)
{
    (void)sim;
    (void)ctx;
    (void)data;
    (void)item;
    fail_msg("on_item must not run");
}

static void count_done(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    (*(int *)ctx)++;
}

/* Cancel of a blocked put and a waiting get; stale handles; bad input. */
static void test_cancel_and_errors(void **state)
{
    (void)state;
    gm_err e;
    assert_null(gm_simstore_create(NULL, 1, &e));
    assert_int_equal(e.code, GM_EINVAL);
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    assert_null(gm_simstore_create(sim, GM_STORE_MAX_ITEMS + 1, &e));
    assert_int_equal(e.code, GM_EINVAL);
    gm_simstore *st = gm_simstore_create(sim, 1, &e);
    assert_non_null(st);
    assert_int_equal(gm_simstore_get(st, NULL, NULL, 0, &e), 0);
    assert_int_equal(e.code, GM_EINVAL);
    assert_int_equal(gm_simstore_put(NULL, gm_simstore_u64(1), NULL, NULL, 0, &e), 0);
    assert_int_equal(gm_simstore_cancel(st, 0), GM_EINVAL);
    assert_int_equal(gm_simstore_cancel(st, 777), GM_EINVAL);
    assert_int_equal(gm_simstore_cancel(NULL, 1), GM_EINVAL);

    int done = 0;
    gm_simstore_op p1 = gm_simstore_put(st, gm_simstore_u64(1), count_done, &done, 0, NULL);
    gm_simstore_op p2 = gm_simstore_put(st, gm_simstore_u64(2), never_done, NULL, 0, NULL);
    gm_simstore_op p3 = gm_simstore_put(st, gm_simstore_u64(3), count_done, &done, 0, NULL);
    assert_true(p1 && p2 && p3);
    /* p1 completed (delivery pending): cannot be undone. p2 blocked: withdrawn. */
    assert_int_equal(gm_simstore_cancel(st, p1), GM_ECONFLICT);
    assert_int_equal(gm_simstore_cancel(st, p2), 0);
    assert_int_equal(gm_simstore_cancel(st, p2), GM_EINVAL);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(done, 1);
    assert_int_equal(gm_simstore_cancel(st, p1), GM_EINVAL); /* delivered: stale */

    /* Two gets: the first gets item 1, p3 refills, the second gets 3 (2 was
       withdrawn). A third get waits and is cancelled. */
    world w = {.sim = sim, .st = st};
    gm_simstore_get(st, got_item, &w, 0, NULL);
    gm_simstore_get(st, got_item, &w, 0, NULL);
    gm_simstore_op g3 = gm_simstore_get(st, never_item, NULL, 0, NULL);
    assert_true(g3 != 0);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(w.ngot, 2);
    assert_int_equal(w.got[0], 1);
    assert_int_equal(w.got[1], 3);
    assert_int_equal(done, 2);
    assert_int_equal(gm_simstore_cancel(st, g3), 0);
    gm_simstore_op p4 = gm_simstore_put(st, gm_simstore_u64(4), NULL, NULL, 0, NULL);
    assert_true(p4 != 0 && p4 != g3);
    assert_int_equal(gm_simstore_cancel(st, g3), GM_EINVAL);
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(gm_simstore_level(st), 1); /* nobody took item 4 */
    gm_simstore_stats s;
    gm_simstore_stats_get(st, &s);
    assert_int_equal(s.puts_cancelled, 1);
    assert_int_equal(s.gets_cancelled, 1);
    assert_int_equal(s.puts, 3);
    assert_int_equal(s.gets, 2);

    /* Destroy with a completion pending: it is withdrawn, never runs. */
    gm_simstore_get(st, never_item, NULL, 0, NULL);
    gm_simstore_destroy(st);
    assert_int_equal(gm_sim_run(sim, HUGE_VAL, 0), 0);
    gm_simstore_destroy(NULL);
    gm_sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_consumer),
        cmocka_unit_test(test_gets_wait_and_level),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_ring_wrap_order),
        cmocka_unit_test(test_cancel_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
