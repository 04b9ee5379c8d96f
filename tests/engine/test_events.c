/*
 * test_events.c: the engine's change events over a real SQLite store: read
 * after a sequence number (from memory and from the log, the same text),
 * events folded into a snapshot refused with GM_ERANGE, subscriptions that
 * get every durable event once, in order, from any starting point, and end
 * cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "helpers.h"

static const char *models_json =
    "[{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:e:Sensor;1\", \"@type\": \"Interface\","
    " \"contents\": [{\"@type\": \"Property\", \"name\": \"v\", \"schema\": \"long\"},"
    " {\"@type\": \"Relationship\", \"name\": \"next\", \"target\": \"dtmi:e:Sensor;1\"}]}]";

static int call(gm_engine *e, gm_engine_op op, const char *id, const char *rel, const char *body)
{
    json_t *b = body ? J(body) : NULL;
    gm_engine_req r;
    memset(&r, 0, sizeof r);
    r.op = op;
    r.id = id;
    r.rel_id = rel;
    r.body = b;
    int rc = gm_engine_call(e, &r);
    json_decref(r.value);
    json_decref(b);
    return rc;
}

static gm_engine *open_dir(const char *dir, size_t kept)
{
    /* no snapshot unless a test takes one: neither under way nor at close */
    gm_engine_opts o = {.dir = dir, .events_kept = kept, .snapshot_every = 1000000,
                        .close_snapshot_every = UINT64_MAX};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&o, &err);
    if (!e)
        fail_msg("open %s: %s: %s", dir, err.where, err.what);
    return e;
}

#define SENSOR(v) "{\"$metadata\": {\"$model\": \"dtmi:e:Sensor;1\"}, \"v\": " #v "}"
#define PATCH_V(v) "[{\"op\": \"replace\", \"path\": \"/v\", \"value\": " #v "}]"

/* Events collected as parsed JSON. */
typedef struct seen {
    json_t *evs; /* array */
    uint64_t first, last;
    size_t n;
} seen;

static int collect(void *ctx, const gm_engine_event *ev)
{
    seen *s = ctx;
    assert_int_equal(strlen(ev->json), ev->len);
    json_t *j = J(ev->json);
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), ev->seq);
    if (s->n)
        assert_int_equal(ev->seq, s->last + 1); /* gap-free, in order */
    else
        s->first = ev->seq;
    s->last = ev->seq;
    s->n++;
    json_array_append_new(s->evs, j);
    return 0;
}

static void seen_init(seen *s)
{
    memset(s, 0, sizeof *s);
    s->evs = json_array();
}

static const char *kind_at(const seen *s, size_t i)
{
    return json_string_value(json_object_get(json_array_get(s->evs, i), "kind"));
}

/* Six changes of every kind: models.add, twin.create x2, relationship.create,
   twin.patch, relationship.delete. */
static void six_changes(gm_engine *e)
{
    assert_int_equal(call(e, GM_OP_MODELS_ADD, NULL, NULL, models_json), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PUT, "a", NULL, SENSOR(1)), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PUT, "b", NULL, SENSOR(2)), 0);
    assert_int_equal(call(e, GM_OP_REL_PUT, "a", "r1",
                          "{\"$relationshipName\": \"next\", \"$targetId\": \"b\"}"),
                     0);
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, PATCH_V(7)), 0);
    assert_int_equal(call(e, GM_OP_REL_DELETE, "a", "r1", NULL), 0);
}

static void test_read_after(void **state)
{
    (void)state;
    char *dir = temp_dir("events");
    gm_engine *e = open_dir(dir, 0);
    six_changes(e);
    /* refused changes make no event */
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, "[{\"op\": \"add\", \"path\": \"/x\", \"value\": 1}]"),
                     GM_EINVAL);
    seen s;
    seen_init(&s);
    uint64_t last = 99;
    assert_int_equal(gm_engine_events(e, 0, 100, collect, &s, &last, NULL), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.first, 1);
    assert_int_equal(last, 6);
    const char *kinds[] = {"models.add", "twin.create", "twin.create", "relationship.create",
                           "twin.patch", "relationship.delete"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(kind_at(&s, i), kinds[i]);
    json_t *patch = json_array_get(s.evs, 4);
    assert_string_equal(json_string_value(json_object_get(patch, "twin")), "a");
    json_t *want = J(PATCH_V(7));
    assert_true(json_equal(json_object_get(patch, "body"), want));
    json_decref(want);
    json_t *del = json_array_get(s.evs, 5);
    assert_string_equal(json_string_value(json_object_get(del, "rel")), "r1");
    assert_true(json_integer_value(json_object_get(del, "time")) > 0);

    /* a window: after 3, at most 2 */
    seen w;
    seen_init(&w);
    assert_int_equal(gm_engine_events(e, 3, 2, collect, &w, &last, NULL), 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.first, 4);
    assert_int_equal(last, 5);
    assert_true(json_equal(json_array_get(w.evs, 0), json_array_get(s.evs, 3)));
    /* nothing after the last: 0, last unchanged */
    seen none;
    seen_init(&none);
    assert_int_equal(gm_engine_events(e, 6, 10, collect, &none, &last, NULL), 0);
    assert_int_equal(none.n, 0);
    assert_int_equal(last, 6);
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_engine_events(e, 0, 0, collect, &none, NULL, &err), GM_EINVAL);
    assert_int_equal(gm_engine_events(e, 0, 1, NULL, NULL, NULL, &err), GM_EINVAL);
    assert_int_equal(gm_engine_close(e, NULL), 0);

    /* after a restart the same events come from the log, text for text */
    e = open_dir(dir, 0);
    seen r;
    seen_init(&r);
    assert_int_equal(gm_engine_events(e, 0, 100, collect, &r, NULL, NULL), 0);
    assert_true(json_equal(r.evs, s.evs));
    assert_int_equal(gm_engine_close(e, NULL), 0);
    json_decref(s.evs);
    json_decref(w.evs);
    json_decref(none.evs);
    json_decref(r.evs);
    remove_dir(dir);
}

/* A ring of 4: older events come from the log, newer from memory, one
   sequence either way. */
static void test_ring_and_log(void **state)
{
    (void)state;
    char *dir = temp_dir("events");
    gm_engine *e = open_dir(dir, 4);
    assert_int_equal(call(e, GM_OP_MODELS_ADD, NULL, NULL, models_json), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PUT, "a", NULL, SENSOR(0)), 0);
    for (int i = 1; i <= 40; i++) {
        char body[128];
        snprintf(body, sizeof body, "[{\"op\": \"replace\", \"path\": \"/v\", \"value\": %d}]", i);
        assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, body), 0);
    }
    seen s;
    seen_init(&s);
    assert_int_equal(gm_engine_events(e, 0, 1000, collect, &s, NULL, NULL), 0);
    assert_int_equal(s.n, 42);
    for (int i = 1; i <= 40; i++) {
        json_t *ev = json_array_get(s.evs, (size_t)i + 1);
        json_t *op = json_array_get(json_object_get(ev, "body"), 0);
        assert_int_equal(json_integer_value(json_object_get(op, "value")), i);
    }
    /* starting inside the ring and just before it */
    for (uint64_t after = 30; after <= 42; after++) {
        seen t;
        seen_init(&t);
        assert_int_equal(gm_engine_events(e, after, 1000, collect, &t, NULL, NULL), 0);
        assert_int_equal(t.n, 42 - after);
        for (size_t i = 0; i < t.n; i++)
            assert_true(json_equal(json_array_get(t.evs, i), json_array_get(s.evs, after + i)));
        json_decref(t.evs);
    }
    assert_int_equal(gm_engine_close(e, NULL), 0);
    json_decref(s.evs);
    remove_dir(dir);
}

/* Events folded into a snapshot and trimmed from the log: GM_ERANGE, with
   the place to go on from; reading and subscribing from there work. */
static void test_trimmed(void **state)
{
    (void)state;
    char *dir = temp_dir("events");
    gm_engine *e = open_dir(dir, 2);
    six_changes(e);
    assert_int_equal(gm_engine_snapshot(e, NULL), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, PATCH_V(8)), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, PATCH_V(9)), 0);
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, PATCH_V(10)), 0);
    /* the log is trimmed in the background: wait for it (5 s at most) */
    gm_err err;
    int rc = 0;
    for (int i = 0; i < 500; i++) {
        seen s;
        seen_init(&s);
        gm_err_clear(&err);
        rc = gm_engine_events(e, 0, 100, collect, &s, NULL, &err);
        json_decref(s.evs);
        if (rc)
            break;
        usleep(10000);
    }
    assert_int_equal(rc, GM_ERANGE);
    assert_non_null(strstr(err.what, "snapshot at seq 6"));
    assert_null(gm_engine_subscribe(e, 2, collect, NULL, NULL, &err));
    assert_int_equal(err.code, GM_ERANGE);
    seen s;
    seen_init(&s);
    assert_int_equal(gm_engine_events(e, 6, 100, collect, &s, NULL, NULL), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.first, 7);
    assert_int_equal(gm_engine_close(e, NULL), 0);
    json_decref(s.evs);
    remove_dir(dir);
}

/* ---- subscriptions ------------------------------------------------------- */

typedef struct sub_state {
    gm_engine *e;
    pthread_mutex_t mu;
    uint64_t expect; /* next seq expected */
    uint64_t got;
    uint64_t stop_at; /* return GM_ECONFLICT at this seq (0: never) */
    int bad;          /* out of order, or not durable yet */
    int ends;
    int end_status;
} sub_state;

static int on_ev(void *ctx, const gm_engine_event *ev)
{
    sub_state *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (ev->seq != s->expect || ev->seq > gm_engine_durable_seq(s->e)) {
        if (!s->bad)
            print_message("event %llu: expected %llu, durable %llu\n", (unsigned long long)ev->seq,
                          (unsigned long long)s->expect,
                          (unsigned long long)gm_engine_durable_seq(s->e));
        s->bad++;
    }
    s->expect = ev->seq + 1;
    s->got++;
    int rc = s->stop_at && ev->seq == s->stop_at ? GM_ECONFLICT : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void on_end(void *ctx, int status, const gm_err *err)
{
    sub_state *s = ctx;
    assert_non_null(err);
    pthread_mutex_lock(&s->mu);
    s->ends++;
    s->end_status = status;
    pthread_mutex_unlock(&s->mu);
}

static void sub_init(sub_state *s, gm_engine *e, uint64_t after)
{
    memset(s, 0, sizeof *s);
    s->e = e;
    s->expect = after + 1;
    pthread_mutex_init(&s->mu, NULL);
}

static uint64_t got(sub_state *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t g = s->got;
    pthread_mutex_unlock(&s->mu);
    return g;
}

static void wait_got(sub_state *s, uint64_t n)
{
    for (int i = 0; i < 1000 && got(s) < n; i++)
        usleep(5000);
    assert_int_equal(got(s), n);
}

static void nop_done(void *ctx, gm_engine_req *r)
{
    (void)ctx;
    (void)r;
}

static void test_subscribe(void **state)
{
    (void)state;
    char *dir = temp_dir("events");
    gm_engine *e = open_dir(dir, 64); /* a small ring: backlogs come from the log */
    gm_err err;
    gm_err_clear(&err);
    sub_state all, later, quitter, gone;
    sub_init(&all, e, 0);
    gm_engine_sub *s_all = gm_engine_subscribe(e, 0, on_ev, on_end, &all, &err);
    assert_non_null(s_all);
    six_changes(e);
    wait_got(&all, 6);
    /* from now on: only what comes next */
    sub_init(&later, e, 6);
    gm_engine_sub *s_later = gm_engine_subscribe(e, GM_ENGINE_NOW, on_ev, on_end, &later, &err);
    assert_non_null(s_later);
    sub_init(&quitter, e, 3);
    quitter.stop_at = 100;
    gm_engine_sub *s_quit = gm_engine_subscribe(e, 3, on_ev, on_end, &quitter, &err);
    assert_non_null(s_quit);
    sub_init(&gone, e, 0);
    gm_engine_sub *s_gone = gm_engine_subscribe(e, 0, on_ev, on_end, &gone, &err);
    assert_non_null(s_gone);
    /* refused: a start beyond the last event, NULL callback */
    assert_null(gm_engine_subscribe(e, 7, on_ev, on_end, &gone, &err));
    assert_int_equal(err.code, GM_EINVAL);
    assert_null(gm_engine_subscribe(e, 0, NULL, on_end, &gone, &err));

    /* a burst of pipelined patches */
    enum { N = 3000 };
    gm_engine_req *reqs = calloc(N, sizeof *reqs);
    json_t **bodies = calloc(N, sizeof *bodies);
    for (int i = 0; i < N; i++) {
        bodies[i] = json_pack("[{s:s,s:s,s:i}]", "op", "replace", "path", "/v", "value", i);
        reqs[i] = (gm_engine_req){.op = GM_OP_TWIN_PATCH, .id = "b", .body = bodies[i],
                                  .done = nop_done};
        while (gm_engine_submit(e, &reqs[i]) == GM_EAGAIN)
            usleep(100);
        if (i == N / 2) {
            /* unsubscribed halfway: nothing arrives after it returns */
            gm_engine_unsubscribe(e, s_gone);
            s_gone = NULL;
        }
    }
    uint64_t gone_got = got(&gone);
    assert_int_equal(call(e, GM_OP_TWIN_GET, "b", NULL, NULL), 0);
    wait_got(&all, 6 + N);
    wait_got(&later, N);
    wait_got(&quitter, 100 - 3);
    assert_int_equal(got(&gone), gone_got);
    assert_int_equal(gone.ends, 0);
    pthread_mutex_lock(&quitter.mu);
    assert_int_equal(quitter.ends, 1);
    assert_int_equal(quitter.end_status, GM_ECONFLICT);
    pthread_mutex_unlock(&quitter.mu);
    gm_engine_unsubscribe(e, s_quit);
    gm_engine_unsubscribe(e, s_later);

    /* close: the remaining subscription is ended once, with GM_ESHUTDOWN,
       after every event */
    assert_int_equal(call(e, GM_OP_TWIN_PATCH, "a", NULL, PATCH_V(11)), 0);
    assert_int_equal(gm_engine_close(e, NULL), 0);
    (void)s_all; /* freed by close */
    assert_int_equal(all.got, 6 + N + 1);
    assert_int_equal(all.bad, 0);
    assert_int_equal(later.bad, 0);
    assert_int_equal(quitter.bad, 0);
    assert_int_equal(gone.bad, 0);
    assert_int_equal(all.ends, 1);
    assert_int_equal(all.end_status, GM_ESHUTDOWN);
    assert_int_equal(later.ends, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(reqs[i].status, 0);
        json_decref(bodies[i]);
    }
    free(reqs);
    free(bodies);

    /* after a restart: a subscription from 0 replays the whole log */
    e = open_dir(dir, 64);
    sub_state again;
    sub_init(&again, e, 0);
    gm_engine_sub *s_again = gm_engine_subscribe(e, 0, on_ev, on_end, &again, &err);
    assert_non_null(s_again);
    wait_got(&again, 6 + N + 1);
    gm_engine_unsubscribe(e, s_again);
    assert_int_equal(gm_engine_close(e, NULL), 0);
    assert_int_equal(again.bad, 0);
    assert_int_equal(again.ends, 0);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_after),
        cmocka_unit_test(test_ring_and_log),
        cmocka_unit_test(test_trimmed),
        cmocka_unit_test(test_subscribe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
