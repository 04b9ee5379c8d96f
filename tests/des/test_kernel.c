/* The event calendar and clock: ordering, ties, cancel, reschedule, run limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "num/rng.h"
#include "des/kernel.h"

typedef struct log_ {
    double t[100000];
    uint64_t data[100000];
    size_t n;
} log_;

static void record(gm_sim *sim, void *ctx, uint64_t data)
{
    log_ *l = ctx;
    l->t[l->n] = gm_sim_now(sim);
    l->data[l->n] = data;
    l->n++;
}

static const gm_sim_calendar cals[3] = {GM_SIM_HEAP2, GM_SIM_HEAP4, GM_SIM_HEAP8};

/* Random times come out sorted; equal times in scheduling order. */
static void test_order_and_fifo_ties(void **state)
{
    (void)state;
    static log_ l;
    for (int c = 0; c < 3; c++) {
        gm_sim *sim = gm_sim_create(cals[c], 0);
        gm_rng r;
        gm_rng_seed(&r, 3, 0);
        l.n = 0;
        for (uint64_t i = 0; i < 50000; i++) {
            /* Coarse times (0..99) so that ties are frequent. */
            double t = (double)gm_rng_below(&r, 100);
            assert_true(gm_sim_schedule(sim, t, record, &l, i) != 0);
        }
        assert_int_equal(gm_sim_pending(sim), 50000);
        assert_int_equal(gm_sim_run(sim, INFINITY, 0), 50000);
        assert_int_equal(l.n, 50000);
        for (size_t i = 1; i < l.n; i++) {
            assert_true(l.t[i - 1] <= l.t[i]);
            if (l.t[i - 1] == l.t[i])
                assert_true(l.data[i - 1] < l.data[i]); /* FIFO among equals */
        }
        assert_int_equal(gm_sim_pending(sim), 0);
        assert_int_equal(gm_sim_events(sim), 50000);
        gm_sim_destroy(sim);
    }
}

/* Events scheduled from inside handlers, including at the current time. */
typedef struct chain {
    gm_sim_event last;
    int fired;
    double times[8];
} chain;

static void chain_step(gm_sim *sim, void *ctx, uint64_t data)
{
    chain *c = ctx;
    c->times[c->fired++] = gm_sim_now(sim);
    if (data > 0)
        c->last = gm_sim_schedule(sim, data == 3 ? 0.0 : 1.5, chain_step, c, data - 1);
}

static void test_schedule_from_handler(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        gm_sim *sim = gm_sim_create(cals[k], 1);
        chain c = {0};
        gm_sim_schedule(sim, 1.0, chain_step, &c, 4);
        gm_sim_run(sim, INFINITY, 0);
        /* t = 1, 2.5, 2.5 (zero delay), 4.0, 5.5 */
        assert_int_equal(c.fired, 5);
        const double want[5] = {1.0, 2.5, 2.5, 4.0, 5.5};
        for (int i = 0; i < 5; i++)
            assert_true(c.times[i] == want[i]);
        assert_true(gm_sim_now(sim) == 5.5);
        gm_sim_destroy(sim);
    }
}

static void test_cancel_and_reschedule(void **state)
{
    (void)state;
    static log_ l;
    for (int k = 0; k < 3; k++) {
        gm_sim *sim = gm_sim_create(cals[k], 0);
        l.n = 0;
        gm_sim_event a = gm_sim_schedule(sim, 1.0, record, &l, 1);
        gm_sim_event b = gm_sim_schedule(sim, 2.0, record, &l, 2);
        gm_sim_event c = gm_sim_schedule(sim, 3.0, record, &l, 3);
        assert_true(gm_sim_event_time(sim, b) == 2.0);
        assert_true(gm_sim_cancel(sim, b));
        assert_false(gm_sim_cancel(sim, b)); /* twice */
        assert_true(isnan(gm_sim_event_time(sim, b)));
        assert_false(gm_sim_cancel(sim, 0));
        assert_false(gm_sim_cancel(sim, 0xdeadbeef00000001ull)); /* garbage */
        /* The freed slot is reused; the old handle must stay dead. */
        gm_sim_event d = gm_sim_schedule(sim, 2.5, record, &l, 4);
        assert_false(gm_sim_cancel(sim, b));
        assert_true(gm_sim_event_time(sim, d) == 2.5);
        /* Move c before a. */
        gm_sim_event c2 = gm_sim_reschedule(sim, c, 0.5);
        assert_true(c2 != 0 && c2 != c);
        assert_true(isnan(gm_sim_event_time(sim, c)));
        assert_int_equal(gm_sim_pending(sim), 3);
        gm_sim_run(sim, INFINITY, 0);
        assert_int_equal(l.n, 3);
        assert_int_equal(l.data[0], 3);
        assert_true(l.t[0] == 0.5);
        assert_int_equal(l.data[1], 1);
        assert_int_equal(l.data[2], 4);
        /* A handle of an event that has run is dead. */
        assert_false(gm_sim_cancel(sim, a));
        assert_int_equal(gm_sim_reschedule(sim, a, 1.0), 0);
        gm_sim_destroy(sim);
    }
}

static void test_run_limits(void **state)
{
    (void)state;
    static log_ l;
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    l.n = 0;
    for (uint64_t i = 1; i <= 10; i++)
        gm_sim_schedule(sim, (double)i, record, &l, i);
    /* until: events at or before 3.5 run, clock moves to 3.5 exactly. */
    assert_int_equal(gm_sim_run(sim, 3.5, 0), 3);
    assert_true(gm_sim_now(sim) == 3.5);
    assert_int_equal(gm_sim_pending(sim), 7);
    /* An event exactly at the limit runs. */
    assert_int_equal(gm_sim_run(sim, 4.0, 0), 1);
    assert_true(gm_sim_now(sim) == 4.0);
    /* max_events */
    assert_int_equal(gm_sim_run(sim, INFINITY, 2), 2);
    assert_true(gm_sim_now(sim) == 6.0);
    /* Running past the last event leaves the clock at the limit. */
    assert_int_equal(gm_sim_run(sim, 100.0, 0), 4);
    assert_true(gm_sim_now(sim) == 100.0);
    assert_int_equal(l.n, 10);
    /* Scheduling in the past, NaN, negative or infinite delay is refused. */
    assert_int_equal(gm_sim_schedule_at(sim, 99.0, record, &l, 0), 0);
    assert_int_equal(gm_sim_error(sim), GM_EINVAL);
    assert_int_equal(gm_sim_schedule(sim, -1.0, record, &l, 0), 0);
    assert_int_equal(gm_sim_schedule(sim, NAN, record, &l, 0), 0);
    assert_int_equal(gm_sim_schedule(sim, INFINITY, record, &l, 0), 0);
    assert_int_equal(gm_sim_schedule(sim, 1.0, NULL, &l, 0), 0);
    assert_int_equal(gm_sim_pending(sim), 0);
    gm_sim_destroy(sim);
}

static void stopper(gm_sim *sim, void *ctx, uint64_t data)
{
    int *count = ctx;
    (*count)++;
    if (data == 1)
        gm_sim_stop(sim);
}

static void test_stop(void **state)
{
    (void)state;
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP2, 0);
    int count = 0;
    gm_sim_schedule(sim, 1, stopper, &count, 0);
    gm_sim_schedule(sim, 2, stopper, &count, 1);
    gm_sim_schedule(sim, 3, stopper, &count, 0);
    assert_int_equal(gm_sim_run(sim, INFINITY, 0), 2);
    assert_int_equal(count, 2);
    assert_true(gm_sim_now(sim) == 2.0);
    /* Running again continues where it stopped. */
    assert_int_equal(gm_sim_run(sim, INFINITY, 0), 1);
    assert_int_equal(count, 3);
    gm_sim_destroy(sim);
}

/* Hold model with heavy cancellation: each event schedules its successor
   and a timeout it then cancels. Memory stays bounded (pooling, compaction)
   and the two heaps produce the same sequence. */
typedef struct holder {
    gm_rng r;
    gm_sim_event timeout;
    uint64_t sum;
    uint64_t timeouts_fired;
} holder;

static void on_timeout(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    ((holder *)ctx)->timeouts_fired++;
}

static void on_hold(gm_sim *sim, void *ctx, uint64_t data)
{
    holder *h = ctx;
    h->sum = h->sum * 31 + data;
    gm_sim_cancel(sim, h->timeout);
    h->timeout = gm_sim_schedule(sim, 1000.0 + gm_rng_uniform(&h->r), on_timeout, h, 0);
    gm_sim_schedule(sim, -log(gm_rng_uniform_pos(&h->r)), on_hold, h, data + 1);
}

static void test_pooling_and_heaps_agree(void **state)
{
    (void)state;
    uint64_t sums[3];
    for (int k = 0; k < 3; k++) {
        gm_sim *sim = gm_sim_create(cals[k], 0);
        holder h = {.sum = 0};
        gm_rng_seed(&h.r, 11, 0);
        for (uint64_t i = 0; i < 100; i++)
            gm_sim_schedule(sim, gm_rng_uniform(&h.r), on_hold, &h, i * 1000000);
        gm_sim_run(sim, INFINITY, 20000);
        size_t mem = gm_sim_memory(sim);
        gm_sim_run(sim, INFINITY, 500000);
        /* Steady state: no growth after warm-up. */
        assert_int_equal(gm_sim_memory(sim), mem);
        assert_true(mem < 200000);
        assert_int_equal(h.timeouts_fired, 0);
        assert_int_equal(gm_sim_pending(sim), 101);
        sums[k] = h.sum;
        gm_sim_destroy(sim);
    }
    assert_true(sums[0] == sums[1] && sums[1] == sums[2]);
}

/* Direct events interleave with handled ones by (time, scheduling order),
   survive the compaction that cancellations trigger, and are refused
   without a handler or with too large a datum. */
static void on_direct(gm_sim *sim, void *ctx, uint64_t data)
{
    record(sim, ctx, data | UINT64_C(1) << 32); /* marks a direct event */
}

static void test_direct_events(void **state)
{
    (void)state;
    static log_ l;
    for (int k = 0; k < 3; k++) {
        gm_sim *sim = gm_sim_create(cals[k], 0);
        assert_false(gm_sim_schedule_direct(sim, 1.0, 1)); /* no handler yet */
        assert_int_equal(gm_sim_error(sim), GM_EINVAL);
        gm_sim_set_direct(sim, on_direct, &l);
        assert_false(gm_sim_schedule_direct(sim, 1.0, GM_SIM_MAX_DIRECT_DATA));
        assert_false(gm_sim_schedule_direct(sim, -1.0, 1));
        assert_false(gm_sim_schedule_direct(sim, NAN, 1));
        assert_int_equal(gm_sim_pending(sim), 0);
        l.n = 0;
        gm_rng r;
        gm_rng_seed(&r, 5, (uint64_t)k);
        /* 20,000 events at coarse times, every other one direct; the
           sequence number i is the datum of both kinds */
        for (uint32_t i = 0; i < 20000; i++) {
            double t = (double)gm_rng_below(&r, 50);
            if (i % 2)
                assert_true(gm_sim_schedule_direct(sim, t, i));
            else
                assert_true(gm_sim_schedule(sim, t, record, &l, i) != 0);
        }
        /* 25,000 handled events to cancel: past the 22,501st of the 45,000
           entries, cancelled ones are the majority and the calendar compacts */
        static gm_sim_event cancel[25000];
        for (size_t i = 0; i < 25000; i++)
            cancel[i] = gm_sim_schedule(sim, 10.5, record, &l, 999999);
        for (size_t i = 0; i < 25000; i++)
            assert_true(gm_sim_cancel(sim, cancel[i]));
        assert_int_equal(gm_sim_pending(sim), 20000);
        assert_int_equal(gm_sim_run(sim, INFINITY, 0), 20000);
        assert_int_equal(l.n, 20000);
        size_t direct = 0;
        for (size_t i = 0; i < l.n; i++) {
            uint64_t seq = l.data[i] & UINT32_MAX;
            bool is_direct = l.data[i] >> 32;
            assert_true(is_direct == (seq % 2 == 1)); /* each ran its own handler */
            direct += is_direct;
            if (i > 0) {
                assert_true(l.t[i - 1] <= l.t[i]);
                if (l.t[i - 1] == l.t[i])
                    assert_true((l.data[i - 1] & UINT32_MAX) < seq); /* FIFO */
            }
        }
        assert_int_equal(direct, 10000);
        assert_int_equal(gm_sim_pending(sim), 0);
        gm_sim_destroy(sim);
    }
}

/* A direct handler that cancels enough events to compact the calendar
   while it runs: its own entry, still at the root, must not survive the
   compaction (it would run again, and the pending count drop twice). The
   same for a handled event, whose slot is free while it runs. */
typedef struct cancel_all {
    gm_sim_event ev[2000];
    size_t n;
    unsigned ran;
} cancel_all;

static void must_not_run(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim, (void)ctx;
    fail_msg("event %llu ran after the run's end time", (unsigned long long)data);
}

static void on_cancel_all(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    cancel_all *c = ctx;
    if (c->ran++ == 0)
        for (size_t i = 0; i < c->n; i++)
            assert_true(gm_sim_cancel(sim, c->ev[i]));
}

static void test_compact_while_running(void **state)
{
    (void)state;
    static cancel_all c;
    for (int k = 0; k < 3; k++) {
        for (int direct = 0; direct < 2; direct++) {
            gm_sim *sim = gm_sim_create(cals[k], 0);
            assert_non_null(sim);
            gm_sim_set_direct(sim, on_cancel_all, &c);
            c.ran = 0;
            c.n = 1500; /* past 1024 and half the calendar: compacts */
            if (direct)
                assert_true(gm_sim_schedule_direct(sim, 1.0, 7));
            else
                assert_true(gm_sim_schedule(sim, 1.0, on_cancel_all, &c, 7) != 0);
            for (size_t i = 0; i < 2000; i++) {
                gm_sim_event ev = gm_sim_schedule(sim, 10.0, must_not_run, NULL, i);
                assert_true(ev != 0);
                if (i < c.n)
                    c.ev[i] = ev;
            }
            assert_int_equal(gm_sim_pending(sim), 2001);
            assert_int_equal(gm_sim_run(sim, 5.0, 0), 1);
            if (c.ran != 1)
                fail_msg("%s handler ran %u times (expected 1)", direct ? "direct" : "handled",
                         c.ran);
            assert_int_equal(gm_sim_pending(sim), 500);
            gm_sim_destroy(sim);
        }
    }
}

/* The calendar changes form as the number of pending events crosses a few
   dozen (a sorted array below, a heap above; src/des/kernel.c). Waves of
   events that grow from 1 to 300 pending and drain again, handled and
   direct ones, with cancellations at every size, must come out in (time,
   scheduling order), exactly the order of a sort of what was scheduled. */
typedef struct wave {
    gm_sim *sim;
    gm_rng r;
    uint64_t next;       /* data of the next event: its scheduling order */
    double t[20000];     /* due time of event i */
    bool cancelled[20000];
    uint64_t ran[20000]; /* the order events ran in */
    size_t nran;
    gm_sim_event h[20000];
} wave;

static void wave_ran(gm_sim *sim, void *ctx, uint64_t data)
{
    wave *w = ctx;
    assert_true(gm_sim_now(sim) == w->t[data]);
    w->ran[w->nran++] = data;
}

static int by_time_then_order(const void *a, const void *b, void *ctx)
{
    const wave *w = ctx;
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    if (w->t[x] != w->t[y])
        return w->t[x] < w->t[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void test_calendar_forms(void **state)
{
    (void)state;
    static wave w;
    static uint64_t want[20000];
    for (int k = 0; k < 3; k++) {
        memset(&w, 0, sizeof w);
        w.sim = gm_sim_create(cals[k], 0);
        assert_non_null(w.sim);
        gm_sim_set_direct(w.sim, wave_ran, &w);
        gm_rng_seed(&w.r, 11, (uint64_t)k);
        double now = 0;
        for (int round = 0; round < 40; round++) {
            /* grow to a size from 1 to 300, at coarse times so ties happen */
            uint64_t add = 1 + gm_rng_below(&w.r, 300);
            for (uint64_t i = 0; i < add && w.next < 20000; i++) {
                uint64_t id = w.next++;
                w.t[id] = now + (double)gm_rng_below(&w.r, 40);
                if (id % 3 == 0) {
                    assert_true(gm_sim_schedule_direct(w.sim, w.t[id], (uint32_t)id));
                } else {
                    w.h[id] = gm_sim_schedule_at(w.sim, w.t[id], wave_ran, &w, id);
                    assert_true(w.h[id] != 0);
                    if (gm_rng_below(&w.r, 4) == 0) {
                        assert_true(gm_sim_cancel(w.sim, w.h[id]));
                        w.cancelled[id] = true;
                    }
                }
            }
            /* drain to a random depth */
            now += (double)gm_rng_below(&w.r, 45);
            gm_sim_run(w.sim, now, 0);
        }
        gm_sim_run(w.sim, INFINITY, 0);
        size_t n = 0;
        for (uint64_t id = 0; id < w.next; id++)
            if (!w.cancelled[id])
                want[n++] = id;
        qsort_r(want, n, sizeof want[0], by_time_then_order, &w);
        assert_int_equal(w.nran, n);
        assert_memory_equal(w.ran, want, n * sizeof want[0]);
        assert_int_equal(gm_sim_pending(w.sim), 0);
        gm_sim_destroy(w.sim);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_fifo_ties),
        cmocka_unit_test(test_schedule_from_handler),
        cmocka_unit_test(test_cancel_and_reschedule),
        cmocka_unit_test(test_run_limits),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_pooling_and_heaps_agree),
        cmocka_unit_test(test_direct_events),
        cmocka_unit_test(test_compact_while_running),
        cmocka_unit_test(test_calendar_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
