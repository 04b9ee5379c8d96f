#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "base/mpsc.h"

#define MS 1000000LL

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Busy-wait: moves a push across the consumer's spin-then-sleep window. */
static void busy_ns(int64_t ns)
{
    int64_t end = now_ns() + ns;
    while (now_ns() < end) {
    }
}

/* What a producer facing a full queue should do: yield, and now and then
   sleep, so that spinning producers do not starve the consumer of CPU. */
static void backoff(unsigned *tries)
{
    if (++*tries % 16 == 0)
        sleep_ns(1000);
    else
        sched_yield();
}

/* Items carry (producer, sequence) so the consumer can check order; 24 bits
   of sequence keep it within a 32-bit pointer too. */
static void *encode(unsigned producer, uint32_t seq)
{
    return (void *)(((uintptr_t)producer << 24) | (seq & 0xffffffu));
}

static void decode(void *item, unsigned *producer, uint32_t *seq)
{
    uintptr_t v = (uintptr_t)item;
    *producer = (unsigned)(v >> 24);
    *seq = (uint32_t)(v & 0xffffffu);
}

static void test_create_rounding(void **state)
{
    (void)state;
    gm_err e;
    gm_err_clear(&e);
    assert_null(gm_mpsc_create(0, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(e.where, "capacity");
    gm_err_clear(&e);
    assert_null(gm_mpsc_create(GM_MPSC_MAX_CAPACITY + 1, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_null(gm_mpsc_create(SIZE_MAX, NULL));

    static const size_t asked[] = {1, 2, 3, 4, 5, 7, 8, 9, 1000, 1024, 1025, 65535};
    static const size_t got[] = {2, 2, 4, 4, 8, 8, 8, 16, 1024, 1024, 2048, 65536};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        gm_mpsc *q = gm_mpsc_create(asked[i], &e);
        assert_non_null(q);
        assert_int_equal(gm_mpsc_capacity(q), got[i]);
        gm_mpsc_destroy(q);
    }
    gm_mpsc_destroy(NULL);
}

/* Peek sees the ready items in order without taking them, and nothing
   past the last one or the capacity. */
static void test_peek(void **state)
{
    (void)state;
    gm_mpsc *q = gm_mpsc_create(4, NULL);
    assert_non_null(q);
    void *out = (void *)1;
    assert_false(gm_mpsc_peek(q, 0, &out));
    assert_ptr_equal(out, (void *)1);
    for (uint32_t i = 1; i <= 3; i++)
        assert_int_equal(gm_mpsc_push(q, encode(0, i)), 0);
    for (uint32_t k = 0; k < 3; k++) {
        assert_true(gm_mpsc_peek(q, k, &out));
        assert_ptr_equal(out, encode(0, k + 1));
    }
    assert_false(gm_mpsc_peek(q, 3, &out));
    assert_false(gm_mpsc_peek(q, 4, &out)); /* beyond the ring */
    assert_false(gm_mpsc_peek(q, SIZE_MAX, &out));
    /* after a pop, positions count from the new oldest, across the wrap */
    assert_int_equal(gm_mpsc_pop(q, &out), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 4)), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 5)), 0);
    for (uint32_t k = 0; k < 4; k++) {
        assert_true(gm_mpsc_peek(q, k, &out));
        assert_ptr_equal(out, encode(0, k + 2));
    }
    for (uint32_t want = 2; want <= 5; want++) {
        assert_int_equal(gm_mpsc_pop(q, &out), 0);
        assert_ptr_equal(out, encode(0, want));
    }
    assert_false(gm_mpsc_peek(q, 0, &out));
    gm_mpsc_destroy(q);
}

static void test_full_empty(void **state)
{
    (void)state;
    gm_mpsc *q = gm_mpsc_create(3, NULL);
    assert_non_null(q);
    assert_int_equal(gm_mpsc_capacity(q), 4);

    void *out = (void *)1;
    assert_int_equal(gm_mpsc_pop(q, &out), GM_EAGAIN);
    assert_ptr_equal(out, (void *)1); /* untouched when empty */

    /* NULL is an item like any other. */
    assert_int_equal(gm_mpsc_push(q, NULL), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 1)), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 2)), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 3)), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 4)), GM_EAGAIN);
    assert_int_equal(gm_mpsc_push(q, encode(0, 4)), GM_EAGAIN);

    assert_int_equal(gm_mpsc_pop(q, &out), 0);
    assert_null(out);
    /* One slot free again: exactly one push fits. */
    assert_int_equal(gm_mpsc_push(q, encode(0, 4)), 0);
    assert_int_equal(gm_mpsc_push(q, encode(0, 5)), GM_EAGAIN);
    for (uint32_t want = 1; want <= 4; want++) {
        assert_int_equal(gm_mpsc_pop(q, &out), 0);
        assert_ptr_equal(out, encode(0, want));
    }
    assert_int_equal(gm_mpsc_pop(q, &out), GM_EAGAIN);

    /* Many laps around the ring with varying fill levels keep FIFO order. */
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 1000; round++) {
        int burst = 1 + round % 4;
        for (int k = 0; k < burst; k++)
            assert_int_equal(gm_mpsc_push(q, encode(1, next_in++)), 0);
        if (burst == 4)
            assert_int_equal(gm_mpsc_push(q, encode(1, 999999)), GM_EAGAIN);
        for (int k = 0; k < burst; k++) {
            assert_int_equal(gm_mpsc_pop(q, &out), 0);
            assert_ptr_equal(out, encode(1, next_out++));
        }
        assert_int_equal(gm_mpsc_pop(q, &out), GM_EAGAIN);
    }
    /* pop_wait with a zero timeout neither sleeps nor fails spuriously. */
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 0), GM_EAGAIN);
    assert_int_equal(gm_mpsc_push(q, encode(2, 7)), 0);
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 0), 0);
    assert_ptr_equal(out, encode(2, 7));
    gm_mpsc_destroy(q);
}

/* ---- many producers, one consumer ---- */

#define PRODUCERS 4
#define PER_PRODUCER 200000u

typedef struct producer_arg {
    gm_mpsc *q;
    unsigned id;
    atomic_uint *go;
    unsigned long full_hits;
} producer_arg;

static void *producer_main(void *arg)
{
    producer_arg *a = arg;
    while (!atomic_load(a->go))
        sched_yield();
    for (uint32_t s = 0; s < PER_PRODUCER; s++) {
        int rc;
        unsigned tries = 0;
        while ((rc = gm_mpsc_push(a->q, encode(a->id, s))) == GM_EAGAIN) {
            a->full_hits++;
            backoff(&tries);
        }
        if (rc != 0)
            return (void *)1;
    }
    return NULL;
}

/* mode 0: pop_wait forever; 1: pop, then short timed waits. */
static void run_mpsc(size_t capacity, int mode, unsigned long *full_hits)
{
    gm_mpsc *q = gm_mpsc_create(capacity, NULL);
    assert_non_null(q);
    atomic_uint go;
    atomic_init(&go, 0);
    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (unsigned i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){.q = q, .id = i, .go = &go, .full_hits = 0};
        assert_int_equal(pthread_create(&th[i], NULL, producer_main, &args[i]), 0);
    }
    atomic_store(&go, 1);

    uint32_t next[PRODUCERS] = {0};
    size_t total = (size_t)PRODUCERS * PER_PRODUCER;
    bool ok = true;
    for (size_t got = 0; got < total; got++) {
        void *item;
        int rc;
        if (mode == 0) {
            rc = gm_mpsc_pop_wait(q, &item, -1);
        } else {
            rc = gm_mpsc_pop(q, &item);
            while (rc == GM_EAGAIN)
                rc = gm_mpsc_pop_wait(q, &item, 1 * MS);
        }
        unsigned pid;
        uint32_t seq;
        decode(item, &pid, &seq);
        /* Exactly once and FIFO per producer: each producer's sequence must
           arrive as 0, 1, 2, ... with no gap, repeat or reordering. */
        if (rc != 0 || pid >= PRODUCERS || seq != next[pid]) {
            ok = false;
            break;
        }
        next[pid]++;
    }
    *full_hits = 0;
    for (unsigned i = 0; i < PRODUCERS; i++) {
        void *res;
        pthread_join(th[i], &res);
        assert_null(res);
        *full_hits += args[i].full_hits;
    }
    assert_true(ok);
    for (unsigned i = 0; i < PRODUCERS; i++)
        assert_int_equal(next[i], PER_PRODUCER);
    void *extra;
    assert_int_equal(gm_mpsc_pop(q, &extra), GM_EAGAIN);
    gm_mpsc_destroy(q);
}

static void test_producers_large(void **state)
{
    (void)state;
    unsigned long hits;
    run_mpsc(1024, 0, &hits);
}

static void test_producers_tiny(void **state)
{
    (void)state;
    unsigned long hits;
    /* Capacity 2 against 4 producers: they run into a full queue all the
       time and must retry; nothing may be lost or duplicated. */
    run_mpsc(2, 0, &hits);
    assert_true(hits > 0);
    run_mpsc(2, 1, &hits);
    assert_true(hits > 0);
}

/* ---- sleeping and waking ---- */

static void test_pop_wait_timeout(void **state)
{
    (void)state;
    gm_mpsc *q = gm_mpsc_create(8, NULL);
    assert_non_null(q);
    void *out = (void *)1;
    int64_t t0 = now_ns();
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 50 * MS), GM_EAGAIN);
    int64_t waited = now_ns() - t0;
    /* Only a lower bound: a loaded machine may wake us late, never early. */
    assert_true(waited >= 45 * MS);
    assert_ptr_equal(out, (void *)1);
    /* An item already there is returned at once whatever the timeout. */
    assert_int_equal(gm_mpsc_push(q, encode(3, 3)), 0);
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 50 * MS), 0);
    assert_ptr_equal(out, encode(3, 3));
    gm_mpsc_destroy(q);
}

typedef struct delayed {
    gm_mpsc *q;
    int64_t delay_ns;
    void *item;
    bool close;
} delayed;

static void *delayed_main(void *arg)
{
    delayed *d = arg;
    sleep_ns(d->delay_ns);
    if (d->close)
        gm_mpsc_close(d->q);
    else if (gm_mpsc_push(d->q, d->item) != 0)
        return (void *)1;
    return NULL;
}

static void test_pop_wait_wakes(void **state)
{
    (void)state;
    gm_mpsc *q = gm_mpsc_create(8, NULL);
    assert_non_null(q);
    /* The consumer is surely asleep when the push comes; with no timeout it
       can only return because the push woke it. */
    delayed d = {.q = q, .delay_ns = 30 * MS, .item = encode(5, 42), .close = false};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, delayed_main, &d), 0);
    void *out = NULL;
    assert_int_equal(gm_mpsc_pop_wait(q, &out, -1), 0);
    assert_ptr_equal(out, encode(5, 42));
    void *res;
    pthread_join(th, &res);
    assert_null(res);

    /* Same with a long timeout: the wake-up comes well before it. */
    d.item = encode(5, 43);
    assert_int_equal(pthread_create(&th, NULL, delayed_main, &d), 0);
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 60000 * MS), 0);
    assert_ptr_equal(out, encode(5, 43));
    pthread_join(th, &res);
    assert_null(res);
    gm_mpsc_destroy(q);
}

/* Ping-pong between two threads over two queues; the main thread always
   waits in pop_wait for the answer. A lost wake-up leaves the waiter asleep
   until its 10 s timeout although the item came microseconds after it began
   waiting, so any wait of 5 s or more fails the test (a loose bound that
   only a missed wake-up, or a machine frozen for seconds, can reach). The
   partner answers after a delay that sweeps 0-20 us, so answers land
   before, during and after the moment the main thread stops spinning and
   goes to sleep. With a polling partner the answer comes that soon after
   the question; with a sleeping partner both sides sleep and wake each
   other in turn. */
#define ROUNDS 20000u

typedef struct pingpong {
    gm_mpsc *in, *out;
    bool polling;
    int failed;
} pingpong;

#define WAKE_LIMIT (10000 * MS)
#define TOO_LATE (5000 * MS)

/* pop_wait that also fails when the item came only with the timeout. */
static int receive_in_time(gm_mpsc *q, void **item)
{
    int64_t t0 = now_ns();
    int rc = gm_mpsc_pop_wait(q, item, WAKE_LIMIT);
    if (rc == 0 && now_ns() - t0 >= TOO_LATE)
        return GM_EAGAIN;
    return rc;
}

static int pong_receive(pingpong *pp, void **item)
{
    if (!pp->polling)
        return receive_in_time(pp->in, item);
    int64_t give_up = now_ns() + WAKE_LIMIT;
    int rc;
    while ((rc = gm_mpsc_pop_wait(pp->in, item, 0)) == GM_EAGAIN && now_ns() < give_up) {
    }
    return rc;
}

static void *pong_main(void *arg)
{
    pingpong *pp = arg;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        void *item;
        if (pong_receive(pp, &item) != 0 || item != encode(0, r)) {
            pp->failed = 1;
            return NULL;
        }
        busy_ns((int64_t)((r * 7919u) % 20000u));
        if (gm_mpsc_push(pp->out, encode(1, r)) != 0) {
            pp->failed = 1;
            return NULL;
        }
    }
    return NULL;
}

static void run_pingpong(bool polling)
{
    gm_mpsc *a = gm_mpsc_create(2, NULL), *b = gm_mpsc_create(2, NULL);
    assert_non_null(a);
    assert_non_null(b);
    pingpong pp = {.in = a, .out = b, .polling = polling, .failed = 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pong_main, &pp), 0);
    uint32_t r = 0;
    for (; r < ROUNDS; r++) {
        void *item;
        if (gm_mpsc_push(a, encode(0, r)) != 0)
            break;
        if (receive_in_time(b, &item) != 0 || item != encode(1, r))
            break;
    }
    gm_mpsc_close(a); /* frees the partner if we stopped early */
    pthread_join(th, NULL);
    assert_int_equal(r, ROUNDS);
    assert_int_equal(pp.failed, 0);
    gm_mpsc_destroy(a);
    gm_mpsc_destroy(b);
}

static void test_no_lost_wakeup(void **state)
{
    (void)state;
    run_pingpong(true);
    run_pingpong(false);
}

static void test_close(void **state)
{
    (void)state;
    gm_mpsc *q = gm_mpsc_create(4, NULL);
    assert_non_null(q);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(gm_mpsc_push(q, encode(0, i)), 0);
    gm_mpsc_close(q);
    gm_mpsc_close(q); /* idempotent */
    /* Refused even though a slot will free up, and also when full. */
    assert_int_equal(gm_mpsc_push(q, encode(0, 9)), GM_ESHUTDOWN);
    void *out;
    assert_int_equal(gm_mpsc_pop(q, &out), 0);
    assert_ptr_equal(out, encode(0, 0));
    assert_int_equal(gm_mpsc_push(q, encode(0, 9)), GM_ESHUTDOWN);
    /* Items pushed before the close are still delivered, then shutdown is
       reported at once, even with no timeout. */
    for (uint32_t i = 1; i < 4; i++) {
        assert_int_equal(gm_mpsc_pop_wait(q, &out, -1), 0);
        assert_ptr_equal(out, encode(0, i));
    }
    assert_int_equal(gm_mpsc_pop_wait(q, &out, -1), GM_ESHUTDOWN);
    assert_int_equal(gm_mpsc_pop_wait(q, &out, 0), GM_ESHUTDOWN);
    assert_int_equal(gm_mpsc_pop(q, &out), GM_EAGAIN);
    gm_mpsc_destroy(q);

    /* A consumer asleep with no timeout is woken by a close from elsewhere. */
    q = gm_mpsc_create(4, NULL);
    assert_non_null(q);
    delayed d = {.q = q, .delay_ns = 30 * MS, .item = NULL, .close = true};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, delayed_main, &d), 0);
    assert_int_equal(gm_mpsc_pop_wait(q, &out, -1), GM_ESHUTDOWN);
    pthread_join(th, NULL);
    gm_mpsc_destroy(q);
}

/* Producers race a close: every push that returned 0 must be delivered and
   nothing else, and every push after the close must fail. The consumer
   closes the moment it finds the queue empty while producers are in full
   flight, which is when a push may have claimed its slot but not yet filled
   it: such an item must still be delivered before GM_ESHUTDOWN. */
typedef struct racer {
    gm_mpsc *q;
    unsigned id;
    uint32_t accepted; /* pushes that returned 0: sequences 0..accepted-1 */
    int bad_rc;
} racer;

static void *racer_main(void *arg)
{
    racer *r = arg;
    unsigned tries = 0;
    for (;;) {
        int rc = gm_mpsc_push(r->q, encode(r->id, r->accepted));
        if (rc == 0)
            r->accepted++;
        else if (rc == GM_ESHUTDOWN)
            break;
        else if (rc == GM_EAGAIN)
            backoff(&tries);
        else {
            r->bad_rc = rc;
            break;
        }
    }
    /* Once refused, always refused. */
    if (gm_mpsc_push(r->q, NULL) != GM_ESHUTDOWN)
        r->bad_rc = 1;
    return NULL;
}

static void test_close_races_push(void **state)
{
    (void)state;
    for (int round = 0; round < 200; round++) {
        gm_mpsc *q = gm_mpsc_create(4096, NULL);
        assert_non_null(q);
        racer rs[PRODUCERS];
        pthread_t th[PRODUCERS];
        for (unsigned i = 0; i < PRODUCERS; i++) {
            rs[i] = (racer){.q = q, .id = i, .accepted = 0, .bad_rc = 0};
            assert_int_equal(pthread_create(&th[i], NULL, racer_main, &rs[i]), 0);
        }
        uint32_t next[PRODUCERS] = {0};
        bool ok = true, closed = false;
        size_t got = 0;
        for (;;) {
            void *item;
            int rc = closed ? gm_mpsc_pop_wait(q, &item, -1) : gm_mpsc_pop(q, &item);
            if (rc == GM_EAGAIN && !closed) {
                if (got >= 1000) {
                    gm_mpsc_close(q);
                    closed = true;
                }
                continue;
            }
            if (rc == GM_ESHUTDOWN)
                break;
            unsigned pid;
            uint32_t seq;
            decode(item, &pid, &seq);
            if (rc != 0 || pid >= PRODUCERS || seq != next[pid]) {
                ok = false;
                gm_mpsc_close(q);
                break;
            }
            next[pid]++;
            got++;
            if (got == 100000 && !closed) {
                /* The queue never ran dry: close anyway, mid-stream. */
                gm_mpsc_close(q);
                closed = true;
            }
        }
        for (unsigned i = 0; i < PRODUCERS; i++)
            pthread_join(th[i], NULL);
        assert_true(ok);
        for (unsigned i = 0; i < PRODUCERS; i++) {
            assert_int_equal(rs[i].bad_rc, 0);
            assert_int_equal(next[i], rs[i].accepted);
        }
        gm_mpsc_destroy(q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rounding),
        cmocka_unit_test(test_full_empty),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_producers_large),
        cmocka_unit_test(test_producers_tiny),
        cmocka_unit_test(test_pop_wait_timeout),
        cmocka_unit_test(test_pop_wait_wakes),
        cmocka_unit_test(test_no_lost_wakeup),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_close_races_push),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
