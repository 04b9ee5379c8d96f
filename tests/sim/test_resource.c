/* Resources: Erlang C, priority and FIFO order, strict multi-unit order,
   preemption, capacity changes, cancel, stale handles, statistics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "num/rng.h"
#include "sim/kernel.h"
#include "sim/resource.h"

/* ------------------------------------------------------------------------ */
/* A scripted actor: requests at `at`, holds for `hold` once granted
   (hold < 0: until the test releases it), logs what happens to it. */

typedef struct script script;

typedef struct actor {
    script *sc;
    int id;
    uint32_t units;
    int32_t prio;
    bool preempt;
    bool preemptible;
    double at, hold;
    gm_res_req h;
    gm_sim_event rel_ev;
    int ngrant, npreempt;
    double t_grant, t_preempt;
} actor;

struct script {
    gm_sim *sim;
    gm_res *res;
    int order[64]; /* actor ids in grant order */
    int n;
};

static void on_release(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    actor *a = ctx;
    a->rel_ev = 0;
    assert_int_equal(gm_res_release(a->sc->res, a->h), 0);
}

static void on_grant(gm_sim *sim, void *ctx, uint64_t data)
{
    actor *a = ctx;
    assert_int_equal(data, (uint64_t)a->id);
    a->ngrant++;
    a->t_grant = gm_sim_now(sim);
    a->sc->order[a->sc->n++] = a->id;
    assert_int_equal(gm_res_query(a->sc->res, a->h), GM_RES_GRANTED);
    if (a->hold >= 0)
        a->rel_ev = gm_sim_schedule(sim, a->hold, on_release, a, 0);
}

static void on_preempt(gm_sim *sim, void *ctx, uint64_t data)
{
    actor *a = ctx;
    assert_int_equal(data, (uint64_t)a->id);
    a->npreempt++;
    a->t_preempt = gm_sim_now(sim);
    assert_int_equal(gm_res_query(a->sc->res, a->h), GM_RES_STALE);
    if (a->rel_ev)
        gm_sim_cancel(sim, a->rel_ev);
    a->rel_ev = 0;
}

static void on_start(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    actor *a = ctx;
    a->h = gm_res_request(a->sc->res, a->units, a->prio, a->preempt, on_grant,
                          a->preemptible ? on_preempt : NULL, a, (uint64_t)a->id, NULL);
    assert_true(a->h != 0);
}

static void script_init(script *sc, uint32_t capacity)
{
    sc->sim = gm_sim_create(GM_SIM_HEAP4, 0);
    assert_non_null(sc->sim);
    sc->res = gm_res_create(sc->sim, capacity, NULL);
    assert_non_null(sc->res);
    sc->n = 0;
}

static void script_add(script *sc, actor *a, int id, double at, uint32_t units, int32_t prio,
                       double hold)
{
    *a = (actor){.sc = sc, .id = id, .units = units, .prio = prio, .at = at, .hold = hold,
                 .preemptible = true, .t_grant = (double)NAN, .t_preempt = (double)NAN};
    assert_true(gm_sim_schedule(sc->sim, at, on_start, a, 0) != 0);
}

static void script_free(script *sc)
{
    gm_res_destroy(sc->res);
    gm_sim_destroy(sc->sim);
}

/* ------------------------------------------------------------------------ */
/* M/M/2 against Erlang C. */

typedef struct mmc {
    gm_sim *sim;
    gm_res *res;
    gm_rng arr, svc;
    double lambda, mu;
    uint64_t arrivals, limit;
} mmc;

static double expo(gm_rng *r, double rate)
{
    return -log(gm_rng_uniform_pos(r)) / rate;
}

static void mmc_done(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    mmc *m = ctx;
    assert_int_equal(gm_res_release(m->res, data), 0);
}

/* data is unused: the handle is not known when the request is made, so the
   customer's handle travels in a side table keyed by customer number. */
static gm_res_req *handles;

static void mmc_grant(gm_sim *sim, void *ctx, uint64_t data)
{
    mmc *m = ctx;
    gm_sim_schedule(sim, expo(&m->svc, m->mu), mmc_done, m, handles[data]);
}

static void mmc_arrive(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    mmc *m = ctx;
    uint64_t k = m->arrivals++;
    handles[k] = gm_res_request(m->res, 1, 0, false, mmc_grant, NULL, m, k, NULL);
    assert_true(handles[k] != 0);
    if (m->arrivals < m->limit)
        gm_sim_schedule(sim, expo(&m->arr, m->lambda), mmc_arrive, m, 0);
}

static void test_erlang_c(void **state)
{
    (void)state;
    const double lambda = 1.6, mu = 1.0;
    const unsigned c = 2;
    /* Erlang C: P(wait) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k/k! + same). */
    double a = lambda / mu;
    double top = a * a / 2.0 * (c / (c - a));
    double pw = top / (1.0 + a + top);
    double wq = pw / (c * mu - lambda);
    double lq = lambda * wq;

    mmc m = {.lambda = lambda, .mu = mu, .limit = 2000000};
    handles = malloc(m.limit * sizeof *handles);
    assert_non_null(handles);
    m.sim = gm_sim_create(GM_SIM_HEAP4, 0);
    m.res = gm_res_create(m.sim, c, NULL);
    gm_rng_seed(&m.arr, 2024, 0);
    gm_rng_seed(&m.svc, 2024, 1);
    gm_sim_schedule(m.sim, 0.0, mmc_arrive, &m, 0);
    gm_sim_run(m.sim, 5000.0, 0); /* warm-up */
    gm_res_stats_reset(m.res);
    gm_sim_run(m.sim, HUGE_VAL, 0);

    gm_res_stats st;
    gm_res_stats_get(m.res, &st);
    printf("  M/M/2 lambda=1.6 mu=1: Wq %.4f (Erlang C %.4f), Lq %.4f (%.4f), "
           "util %.4f (0.8), %llu grants\n",
           st.wait.mean, wq, st.queue_mean, lq, st.utilization,
           (unsigned long long)st.granted);
    assert_true(fabs(st.wait.mean / wq - 1) < 0.03);
    assert_true(fabs(st.queue_mean / lq - 1) < 0.03);
    assert_true(fabs(st.utilization - 0.8) < 0.01);
    assert_true(fabs(st.busy_mean - 1.6) < 0.02);
    assert_true(st.granted > 1900000);
    /* Those in service at the reset were granted before it. */
    assert_true(st.released >= st.granted && st.released - st.granted <= c);
    assert_int_equal(st.busy, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.preempted + st.cancelled, 0);
    gm_res_destroy(m.res);
    gm_sim_destroy(m.sim);
    free(handles);
}

/* ------------------------------------------------------------------------ */

/* Capacity 1. A holds [0, 10). B (p0) at 1, C (p1) at 2, D (p0) at 3,
   E (p1) at 4, each holding 1: order C, E, B, D at 10, 11, 12, 13. */
static void test_priority_then_fifo(void **state)
{
    (void)state;
    script sc;
    actor ac[5];
    script_init(&sc, 1);
    script_add(&sc, &ac[0], 0, 0, 1, 0, 10);
    script_add(&sc, &ac[1], 1, 1, 1, 0, 1);
    script_add(&sc, &ac[2], 2, 2, 1, 1, 1);
    script_add(&sc, &ac[3], 3, 3, 1, 0, 1);
    script_add(&sc, &ac[4], 4, 4, 1, 1, 1);
    gm_sim_run(sc.sim, 5.0, 0);
    assert_int_equal(gm_res_waiting(sc.res), 4);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    int want[5] = {0, 2, 4, 1, 3};
    double when[5] = {0, 12, 10, 13, 11};
    assert_int_equal(sc.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sc.order[i], want[i]);
        assert_true(ac[i].t_grant == when[i]);
        assert_int_equal(ac[i].ngrant, 1);
    }
    gm_res_stats st;
    gm_res_stats_get(sc.res, &st);
    assert_int_equal(st.granted, 5);
    assert_int_equal(st.released, 5);
    /* Waits 0, 11, 8, 10, 7: mean 36 / 5. Queue: 1 on [1,2), 2 on [2,3),
       3 on [3,4), 4 on [4,10), 3, 2, 1 on the next unit steps, 0 on
       [13,14): area 1+2+3+24+3+2+1 = 36 over 14. */
    assert_true(fabs(st.wait.mean - 36.0 / 5) < 1e-12);
    assert_true(st.wait.max == 11);
    assert_true(fabs(st.queue_mean - 36.0 / 14) < 1e-12);
    assert_true(st.queue_max == 4);
    assert_true(fabs(st.busy_mean - 1.0) < 1e-12);
    script_free(&sc);
}

/* Capacity 3. A holds 2 on [0, 10). B wants 2 at 1: blocked. C wants 1 at
   2: fits, but B is ahead (strict order), so it waits. D wants 1 at
   priority 1 at 3: nobody of its priority waits, it fits: granted at once.
   At 5 D leaves (1 free, still not enough for B). At 10: B then C. */
static void test_multi_unit_strict_order(void **state)
{
    (void)state;
    script sc;
    actor ac[4];
    script_init(&sc, 3);
    script_add(&sc, &ac[0], 0, 0, 2, 0, 10);
    script_add(&sc, &ac[1], 1, 1, 2, 0, 5);
    script_add(&sc, &ac[2], 2, 2, 1, 0, 5);
    script_add(&sc, &ac[3], 3, 3, 1, 1, 2);
    gm_sim_run(sc.sim, 6.0, 0);
    assert_true(isnan(ac[1].t_grant));
    assert_true(isnan(ac[2].t_grant));
    assert_int_equal(gm_res_busy(sc.res), 2);
    assert_int_equal(gm_res_query(sc.res, ac[2].h), GM_RES_WAITING);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_true(ac[3].t_grant == 3);
    assert_true(ac[1].t_grant == 10);
    assert_true(ac[2].t_grant == 10);
    int want[4] = {0, 3, 1, 2};
    for (int i = 0; i < 4; i++)
        assert_int_equal(sc.order[i], want[i]);
    script_free(&sc);
}

/* Capacity 3. L1 (p0) at 0, M (p1) at 1, L3 (p0) at 2 hold for long.
   At 5 H (p2, preempt, not preemptible itself) takes L3's unit: lowest
   priority, most recently granted. At 8 X (p9, preempt, 3 units) finds only
   2 preemptible units below it (L1, M; H has no on_preempt), so it preempts
   nobody and waits (then reneges at 9). At 10 H2 (p2, preempt, 2 units)
   takes L1 (p0) then M (p1), never H (same priority). */
static void test_preemption(void **state)
{
    (void)state;
    script sc;
    actor ac[8];
    script_init(&sc, 3);
    script_add(&sc, &ac[0], 0, 0, 1, 0, 100); /* L1 */
    script_add(&sc, &ac[1], 1, 1, 1, 1, 100); /* M */
    script_add(&sc, &ac[2], 2, 2, 1, 0, 100); /* L3 */
    script_add(&sc, &ac[3], 3, 5, 1, 2, 20);  /* H: holds [5, 25) */
    ac[3].preempt = true;
    ac[3].preemptible = false;
    gm_sim_run(sc.sim, 5.5, 0);
    assert_int_equal(ac[2].npreempt, 1);
    assert_true(ac[2].t_preempt == 5);
    assert_true(ac[3].t_grant == 5);
    assert_int_equal(ac[0].npreempt + ac[1].npreempt, 0);
    assert_int_equal(gm_res_busy(sc.res), 3);
    /* A stale handle after preemption is refused. */
    assert_int_equal(gm_res_release(sc.res, ac[2].h), GM_EINVAL);

    /* X (p9, preempt, 3 units): only L1 and M (2 units) are below it and
       preemptible, so nobody is preempted and X waits. */
    script_add(&sc, &ac[4], 4, 2.5, 3, 9, 1); /* at 5.5 + 2.5 = 8 */
    ac[4].preempt = true;
    gm_sim_run(sc.sim, 9, 0);
    assert_int_equal(ac[0].npreempt + ac[1].npreempt, 0);
    assert_int_equal(gm_res_waiting(sc.res), 1);
    assert_int_equal(gm_res_cancel(sc.res, ac[4].h), 0);

    /* H2 (p2, preempt, 2 units) at 10: takes L1 (p0) then M (p1). */
    script_add(&sc, &ac[5], 5, 1, 2, 2, 3);
    ac[5].preempt = true;
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_true(ac[0].t_preempt == 10);
    assert_true(ac[1].t_preempt == 10);
    assert_true(ac[5].t_grant == 10);
    assert_int_equal(ac[3].npreempt, 0);
    gm_res_stats st;
    gm_res_stats_get(sc.res, &st);
    assert_int_equal(st.preempted, 3);
    assert_int_equal(st.cancelled, 1);
    assert_int_equal(st.busy, 0);
    /* The grant order: L1, M, L3, H, H2 (X never). */
    int want[5] = {0, 1, 2, 3, 5};
    assert_int_equal(sc.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sc.order[i], want[i]);
    script_free(&sc);
}

/* A holder granted at this very instant, not yet told, is put back in the
   queue rather than preempted: it never sees on_preempt, only a later
   on_grant with its full wait. */
static void test_preempt_before_notice(void **state)
{
    (void)state;
    script sc;
    actor lo, hi;
    script_init(&sc, 1);
    script_add(&sc, &lo, 0, 0, 1, 0, 1);
    script_add(&sc, &hi, 1, 0, 1, 5, 4);
    hi.preempt = true;
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_true(hi.t_grant == 0);
    assert_true(lo.t_grant == 4);
    assert_int_equal(lo.ngrant, 1);
    assert_int_equal(lo.npreempt, 0);
    assert_int_equal(sc.order[0], 1);
    gm_res_stats st;
    gm_res_stats_get(sc.res, &st);
    assert_int_equal(st.preempted, 0);
    assert_int_equal(st.granted, 2);
    assert_true(st.wait.max == 4);
    script_free(&sc);
}

static void set_cap(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    assert_int_equal(gm_res_set_capacity(ctx, (uint32_t)data), 0);
}

/* Capacity 2: A holds [0,10), B [0,20). C waits from 1. At 5 capacity
   drops to 1: nobody is preempted. At 10 A leaves: 1 held, capacity 1, C
   still waits. At 12 capacity 3: C is granted at once. */
static void test_capacity_change(void **state)
{
    (void)state;
    script sc;
    actor ac[3];
    script_init(&sc, 2);
    script_add(&sc, &ac[0], 0, 0, 1, 0, 10);
    script_add(&sc, &ac[1], 1, 0, 1, 0, 20);
    script_add(&sc, &ac[2], 2, 1, 1, 0, 5);
    gm_sim_schedule(sc.sim, 5, set_cap, sc.res, 1);
    gm_sim_schedule(sc.sim, 12, set_cap, sc.res, 3);
    gm_sim_run(sc.sim, 11, 0);
    assert_int_equal(gm_res_capacity(sc.res), 1);
    assert_int_equal(gm_res_busy(sc.res), 1);
    assert_int_equal(gm_res_waiting(sc.res), 1);
    assert_int_equal(ac[0].npreempt + ac[1].npreempt, 0);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_true(ac[0].t_grant == 0 && ac[1].t_grant == 0);
    assert_true(ac[2].t_grant == 12);
    /* Capacity 2 on [0,5), 1 on [5,12), 3 on [12,20]: 10 + 7 + 24 = 41 / 20.
       Busy 2 on [0,10), 1 on [10,12), 2 on [12,17), 1 on [17,20]: 20+2+10+3 = 35. */
    gm_res_stats st;
    gm_res_stats_get(sc.res, &st);
    assert_true(gm_sim_now(sc.sim) == 20);
    assert_true(fabs(st.capacity_mean - 41.0 / 20) < 1e-12);
    assert_true(fabs(st.busy_mean - 35.0 / 20) < 1e-12);
    assert_true(fabs(st.utilization - 35.0 / 41) < 1e-12);
    /* Requests up to the largest capacity so far are accepted even while
       the capacity is lower (shift closed): they wait. */
    assert_int_equal(gm_res_set_capacity(sc.res, 0), 0);
    gm_res_req h = gm_res_request(sc.res, 3, 0, false, on_grant, NULL, &ac[0], 0, NULL);
    assert_true(h != 0);
    gm_err e;
    assert_int_equal(gm_res_request(sc.res, 4, 0, false, on_grant, NULL, &ac[0], 0, &e), 0);
    assert_int_equal(e.code, GM_EINVAL);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_int_equal(gm_res_query(sc.res, h), GM_RES_WAITING);
    script_free(&sc); /* destroy with a waiting request: no leak (ASan) */
}

static void cancel_it(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)data;
    actor *a = ctx;
    assert_int_equal(gm_res_cancel(a->sc->res, a->h), 0);
    assert_int_equal(gm_res_query(a->sc->res, a->h), GM_RES_STALE);
}

/* Capacity 2. A holds 1 on [0,10). B wants 2 at 1 (blocked), C wants 1 at 2
   (blocked behind B). At 3 B reneges: C, no longer blocked, starts at 3.
   D waits from 4 and is cancelled at 6: it never starts. */
static void test_cancel(void **state)
{
    (void)state;
    script sc;
    actor ac[5];
    script_init(&sc, 2);
    script_add(&sc, &ac[0], 0, 0, 1, 0, 10);
    script_add(&sc, &ac[1], 1, 1, 2, 0, 1);
    script_add(&sc, &ac[2], 2, 2, 1, 0, 10);
    script_add(&sc, &ac[3], 3, 4, 1, 0, 1);
    gm_sim_schedule(sc.sim, 3, cancel_it, &ac[1], 0);
    gm_sim_schedule(sc.sim, 6, cancel_it, &ac[3], 0);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_int_equal(ac[1].ngrant, 0);
    assert_int_equal(ac[3].ngrant, 0);
    assert_true(ac[2].t_grant == 3);
    gm_res_stats st;
    gm_res_stats_get(sc.res, &st);
    assert_int_equal(st.cancelled, 2);
    assert_int_equal(st.granted, 2);

    /* Cancel of a grant decided but not delivered: the units go back and
       on_grant never runs; after delivery, cancel is refused. */
    actor x = {.sc = &sc, .id = 7, .hold = -1, .t_grant = (double)NAN};
    x.h = gm_res_request(sc.res, 2, 0, false, on_grant, on_preempt, &x, 7, NULL);
    assert_int_equal(gm_res_query(sc.res, x.h), GM_RES_GRANTED);
    assert_int_equal(gm_res_busy(sc.res), 2);
    assert_int_equal(gm_res_cancel(sc.res, x.h), 0);
    assert_int_equal(gm_res_busy(sc.res), 0);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_int_equal(x.ngrant, 0);
    x.h = gm_res_request(sc.res, 2, 0, false, on_grant, on_preempt, &x, 7, NULL);
    gm_sim_run(sc.sim, HUGE_VAL, 0);
    assert_int_equal(x.ngrant, 1);
    assert_int_equal(gm_res_cancel(sc.res, x.h), GM_ECONFLICT);
    assert_int_equal(gm_res_release(sc.res, x.h), 0);
    script_free(&sc);
}

static void never(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    (void)ctx;
    (void)data;
    fail_msg("callback must not run");
}

static void test_handles_and_errors(void **state)
{
    (void)state;
    gm_err e;
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    assert_null(gm_res_create(sim, 0, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_null(gm_res_create(NULL, 1, &e));
    assert_int_equal(e.code, GM_EINVAL);
    gm_res *res = gm_res_create(sim, 2, &e);
    assert_non_null(res);

    assert_int_equal(gm_res_request(res, 0, 0, false, never, NULL, NULL, 0, &e), 0);
    assert_int_equal(e.code, GM_EINVAL);
    assert_int_equal(gm_res_request(res, 3, 0, false, never, NULL, NULL, 0, &e), 0);
    assert_int_equal(e.code, GM_EINVAL);
    assert_int_equal(gm_res_request(res, 1, 0, false, NULL, NULL, NULL, 0, &e), 0);
    assert_int_equal(gm_res_request(NULL, 1, 0, false, never, NULL, NULL, 0, NULL), 0);
    assert_int_equal(gm_res_release(res, 0), GM_EINVAL);
    assert_int_equal(gm_res_cancel(res, 0), GM_EINVAL);
    assert_int_equal(gm_res_release(res, 12345), GM_EINVAL);
    assert_int_equal(gm_res_release(NULL, 1), GM_EINVAL);
    assert_int_equal(gm_res_set_capacity(NULL, 1), GM_EINVAL);
    assert_int_equal(gm_res_query(res, 99), GM_RES_STALE);

    /* Two holders, one waiter; release twice; the reused slot's new
       handle differs and the old one stays refused. */
    gm_res_req a = gm_res_request(res, 2, 0, false, never, NULL, NULL, 0, NULL);
    gm_res_req b = gm_res_request(res, 1, 0, false, never, NULL, NULL, 0, NULL);
    assert_true(a && b && a != b);
    assert_int_equal(gm_res_release(res, b), GM_ECONFLICT); /* waiting */
    assert_int_equal(gm_res_release(res, a), 0); /* before delivery: on_grant never runs */
    assert_int_equal(gm_res_release(res, a), GM_EINVAL);
    assert_int_equal(gm_res_cancel(res, a), GM_EINVAL);
    assert_int_equal(gm_res_query(res, b), GM_RES_GRANTED);
    assert_int_equal(gm_res_cancel(res, b), 0);
    gm_res_req c = gm_res_request(res, 1, 0, false, never, NULL, NULL, 0, NULL);
    assert_true(c != a && c != b);
    assert_int_equal(gm_res_release(res, a), GM_EINVAL);
    assert_int_equal(gm_res_cancel(res, b), GM_EINVAL);
    assert_int_equal(gm_res_query(res, c), GM_RES_GRANTED);
    /* Destroying withdraws c's pending grant: never must not run. */
    gm_res_destroy(res);
    assert_int_equal(gm_sim_run(sim, HUGE_VAL, 0), 0);
    gm_res_destroy(NULL);
    gm_sim_destroy(sim);
}

/* Many live requests: the slot array grows and handles stay right. */
static void count_grant(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    uint64_t *sum = ctx;
    *sum += data;
}

static void test_many_requests_and_reset(void **state)
{
    (void)state;
    gm_sim *sim = gm_sim_create(GM_SIM_HEAP4, 0);
    gm_res *res = gm_res_create(sim, 1, NULL);
    enum { N = 5000 };
    static gm_res_req h[N];
    uint64_t sum = 0;
    for (uint64_t i = 0; i < N; i++) {
        h[i] = gm_res_request(res, 1, 0, false, count_grant, NULL, &sum, i + 1, NULL);
        assert_true(h[i] != 0);
    }
    gm_sim_run(sim, HUGE_VAL, 0);
    assert_int_equal(sum, 1);
    assert_int_equal(gm_res_waiting(res), N - 1);
    gm_res_stats_reset(res);
    gm_res_stats st;
    gm_res_stats_get(res, &st);
    assert_int_equal(st.granted, 0);
    assert_int_equal(st.wait.n, 0);
    assert_int_equal(st.waiting, N - 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(gm_res_release(res, h[i]), 0);
        gm_sim_run(sim, HUGE_VAL, 0);
    }
    assert_int_equal(sum, (uint64_t)N * (N + 1) / 2);
    gm_res_stats_get(res, &st);
    assert_int_equal(st.granted, N - 1);
    assert_int_equal(st.released, N);
    gm_res_destroy(res);
    gm_sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erlang_c),
        cmocka_unit_test(test_priority_then_fifo),
        cmocka_unit_test(test_multi_unit_strict_order),
        cmocka_unit_test(test_preemption),
        cmocka_unit_test(test_preempt_before_notice),
        cmocka_unit_test(test_capacity_change),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_handles_and_errors),
        cmocka_unit_test(test_many_requests_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
