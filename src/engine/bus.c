/*
 * bus.c: recent events in a ring, older ones from the change log, and the
 * delivery thread for subscriptions.
 *
 * Locks, never nested except as noted:
 *   ring_mu   the ring (the writer appends, readers copy out). Held only
 *             for a memcpy, never during a callback.
 *   mu        durable, stop, the wake-up generation and its condition
 *             variable. The committer takes it once per commit batch.
 *   subs_mu   the list of subscriptions; the delivery thread holds it for
 *             a whole pass (callbacks included), so that unsubscribe, which
 *             takes it too, returns only between two callbacks.
 */
#include "engine/bus.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events one subscription gets per pass before the next one's turn. */
#define BUS_PASS_EVENTS 1024
/* Events read from the log or the ring in one go. */
#define BUS_READ_BATCH 256

typedef struct ring_ent {
    uint64_t seq;
    char *text;
    size_t len;
} ring_ent;

struct gm_engine_sub {
    gm_engine_event_fn on_event;
    gm_engine_end_fn on_end;
    void *ctx;
    uint64_t cursor; /* last seq delivered */
    bool ended;
    gm_engine_sub *next;
};

struct engine__bus {
    gm_store *store;
    /* ring: cap entries, the oldest at head, n of them, seqs consecutive */
    pthread_mutex_t ring_mu;
    ring_ent *ring;
    size_t cap, head, n, bytes, max_bytes;
    /* wake-ups */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t durable;
    uint64_t gen; /* bumped by every reason to look again */
    bool stop;
    /* subscriptions */
    pthread_mutex_t subs_mu;
    gm_engine_sub *subs;
    pthread_t thread;
    bool joined;
};

/* ---- the ring ----------------------------------------------------------- */

static void ring_drop_oldest(engine__bus *b)
{
    ring_ent *r = &b->ring[b->head];
    b->bytes -= r->len;
    free(r->text);
    r->text = NULL;
    b->head = (b->head + 1) % b->cap;
    b->n--;
}

void engine__bus_append(engine__bus *b, uint64_t seq, char *text, size_t len)
{
    pthread_mutex_lock(&b->ring_mu);
    /* a seq that does not follow (never expected) restarts the ring */
    if (b->n && b->ring[(b->head + b->n - 1) % b->cap].seq + 1 != seq)
        while (b->n)
            ring_drop_oldest(b);
    while (b->n && (b->n == b->cap || b->bytes + len > b->max_bytes))
        ring_drop_oldest(b);
    if (len > b->max_bytes) { /* too big to keep: readers go to the log */
        while (b->n)
            ring_drop_oldest(b);
        free(text);
    } else {
        b->ring[(b->head + b->n) % b->cap] = (ring_ent){seq, text, len};
        b->n++;
        b->bytes += len;
    }
    pthread_mutex_unlock(&b->ring_mu);
}

/* A batch of events copied out, texts packed in one buffer. */
typedef struct batch {
    gm_engine_event ev[BUS_READ_BATCH];
    size_t off[BUS_READ_BATCH];
    size_t n;
    char *buf;
    size_t len, cap;
} batch;

static int batch_add(batch *t, uint64_t seq, const void *text, size_t len)
{
    if (len + 1 > t->cap - t->len) {
        size_t nc = t->cap ? t->cap : 65536;
        while (nc - t->len < len + 1) {
            if (nc > SIZE_MAX / 2)
                return GM_ENOMEM;
            nc *= 2;
        }
        char *nb = realloc(t->buf, nc);
        if (!nb)
            return GM_ENOMEM;
        t->buf = nb;
        t->cap = nc;
    }
    memcpy(t->buf + t->len, text, len);
    t->buf[t->len + len] = '\0';
    t->ev[t->n] = (gm_engine_event){seq, NULL, len};
    t->off[t->n] = t->len;
    t->n++;
    t->len += len + 1;
    return GM_OK;
}

/* Copy the events after `after` (up to upto, at most max) out of the ring.
   Returns 1 when the ring had event after + 1 (t filled), 0 when it did not,
   or GM_ENOMEM. */
static int ring_copy(engine__bus *b, uint64_t after, uint64_t upto, size_t max, batch *t)
{
    int rc = 0;
    pthread_mutex_lock(&b->ring_mu);
    uint64_t first = b->n ? b->ring[b->head].seq : 0;
    if (b->n && after + 1 >= first && after + 1 < first + b->n) {
        rc = 1;
        for (uint64_t s = after + 1; s <= upto && s < first + b->n && t->n < max; s++) {
            const ring_ent *r = &b->ring[(b->head + (s - first)) % b->cap];
            if (batch_add(t, r->seq, r->text, r->len)) {
                rc = GM_ENOMEM;
                break;
            }
        }
    }
    pthread_mutex_unlock(&b->ring_mu);
    return rc;
}

static int log_rec(void *ctx, const gm_store_rec *r)
{
    return batch_add(ctx, r->seq, r->data, r->len);
}

/* Fill t with up to max (<= BUS_READ_BATCH) durable events after `after`,
   from the ring or else the log. */
static int fill(engine__bus *b, uint64_t after, size_t max, batch *t, gm_err *err)
{
    t->n = t->len = 0;
    pthread_mutex_lock(&b->mu);
    uint64_t upto = b->durable;
    pthread_mutex_unlock(&b->mu);
    if (after >= upto)
        return GM_OK;
    if (upto - after < max) /* the store may know of more already: not yet */
        max = (size_t)(upto - after);
    int rc = ring_copy(b, after, upto, max, t);
    if (rc == GM_ENOMEM)
        return gm_err_set(err, GM_ENOMEM, "events", "out of memory");
    if (rc == 0) {
        uint64_t last;
        rc = gm_store_read(b->store, after, max, log_rec, t, &last, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < t->n; i++)
        t->ev[i].json = t->buf + t->off[i];
    return GM_OK;
}

int engine__bus_read(engine__bus *b, uint64_t after, size_t max, gm_engine_event_fn fn, void *ctx,
                     uint64_t *last, gm_err *err)
{
    if (last)
        *last = after;
    if (!fn || max == 0)
        return gm_err_set(err, GM_EINVAL, "events", "callback NULL or max 0");
    batch *t = calloc(1, sizeof *t);
    if (!t)
        return gm_err_set(err, GM_ENOMEM, "events", "out of memory");
    int rc = GM_OK;
    size_t done = 0;
    while (done < max) {
        size_t want = max - done < BUS_READ_BATCH ? max - done : BUS_READ_BATCH;
        if ((rc = fill(b, after, want, t, err)) || t->n == 0)
            break;
        for (size_t i = 0; i < t->n && !rc; i++) {
            rc = fn(ctx, &t->ev[i]);
            if (rc) {
                gm_err_set(err, rc < 0 ? rc : GM_EINVAL, "events",
                           "stopped by the callback at seq %llu",
                           (unsigned long long)t->ev[i].seq);
                rc = rc < 0 ? rc : GM_EINVAL;
                break;
            }
            after = t->ev[i].seq;
            done++;
            if (last)
                *last = after;
        }
        if (rc)
            break;
    }
    free(t->buf);
    free(t);
    return rc;
}

/* ---- delivery ----------------------------------------------------------------------- */

static void end_sub(gm_engine_sub *s, int status, const gm_err *err)
{
    s->ended = true;
    if (s->on_end)
        s->on_end(s->ctx, status, err);
}

/* Deliver up to BUS_PASS_EVENTS events to s; true when it has more. */
static bool deliver(engine__bus *b, gm_engine_sub *s, batch *t)
{
    size_t sent = 0;
    while (sent < BUS_PASS_EVENTS) {
        gm_err err;
        gm_err_clear(&err);
        int rc = fill(b, s->cursor, BUS_READ_BATCH, t, &err);
        if (rc) {
            end_sub(s, rc, &err);
            return false;
        }
        if (t->n == 0)
            return false;
        for (size_t i = 0; i < t->n; i++) {
            rc = s->on_event(s->ctx, &t->ev[i]);
            if (rc) {
                gm_err_set(&err, rc < 0 ? rc : GM_EINVAL, "subscription",
                           "ended by its callback at seq %llu", (unsigned long long)t->ev[i].seq);
                end_sub(s, rc < 0 ? rc : GM_EINVAL, &err);
                return false;
            }
            s->cursor = t->ev[i].seq;
        }
        sent += t->n;
    }
    return true;
}

static void *bus_main(void *arg)
{
    engine__bus *b = arg;
    pthread_setname_np(pthread_self(), "gemel-events");
    batch *t = calloc(1, sizeof *t);
    uint64_t seen = 0;
    bool more = false;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->stop && !more && b->gen == seen)
            pthread_cond_wait(&b->cv, &b->mu);
        bool stop = b->stop;
        seen = b->gen;
        uint64_t durable = b->durable;
        pthread_mutex_unlock(&b->mu);
        more = false;
        pthread_mutex_lock(&b->subs_mu);
        for (gm_engine_sub *s = b->subs; s; s = s->next) {
            if (s->ended || s->cursor >= durable)
                continue;
            if (!t) {
                gm_err err;
                gm_err_set(&err, GM_ENOMEM, "subscription", "out of memory");
                end_sub(s, GM_ENOMEM, &err);
                continue;
            }
            more |= deliver(b, s, t);
        }
        pthread_mutex_unlock(&b->subs_mu);
        if (stop && !more)
            break; /* stopping: every subscriber has had every durable event */
    }
    if (t)
        free(t->buf);
    free(t);
    return NULL;
}

static void kick(engine__bus *b)
{
    pthread_mutex_lock(&b->mu);
    b->gen++;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

void engine__bus_durable(engine__bus *b, uint64_t seq)
{
    pthread_mutex_lock(&b->mu);
    if (seq > b->durable) {
        b->durable = seq;
        b->gen++;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
}

gm_engine_sub *engine__bus_subscribe(engine__bus *b, uint64_t after, gm_engine_event_fn on_event,
                                     gm_engine_end_fn on_end, void *ctx, gm_err *err)
{
    gm_engine_sub *s = calloc(1, sizeof *s);
    if (!s) {
        gm_err_set(err, GM_ENOMEM, "subscription", "out of memory");
        return NULL;
    }
    *s = (gm_engine_sub){on_event, on_end, ctx, after, false, NULL};
    pthread_mutex_lock(&b->subs_mu);
    s->next = b->subs;
    b->subs = s;
    pthread_mutex_unlock(&b->subs_mu);
    kick(b);
    return s;
}

void engine__bus_unsubscribe(engine__bus *b, gm_engine_sub *sub)
{
    if (!sub)
        return;
    pthread_mutex_lock(&b->subs_mu);
    for (gm_engine_sub **p = &b->subs; *p; p = &(*p)->next) {
        if (*p == sub) {
            *p = sub->next;
            break;
        }
    }
    pthread_mutex_unlock(&b->subs_mu);
    free(sub);
}

/* ---- lifecycle ----------------------------------------------------------------------- */

engine__bus *engine__bus_create(gm_store *store, size_t ring_events, size_t ring_bytes,
                                uint64_t durable)
{
    engine__bus *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->store = store;
    b->cap = ring_events ? ring_events : 1;
    b->max_bytes = ring_bytes;
    b->durable = durable;
    b->ring = calloc(b->cap, sizeof *b->ring);
    if (!b->ring) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->ring_mu, NULL);
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->subs_mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    /* the delivery thread takes no signals: they go to the application's */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&b->thread, NULL, bus_main, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->subs_mu);
        pthread_mutex_destroy(&b->mu);
        pthread_mutex_destroy(&b->ring_mu);
        free(b->ring);
        free(b);
        return NULL;
    }
    return b;
}

void engine__bus_stop(engine__bus *b)
{
    if (!b || b->joined)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    b->joined = true;
    gm_err err;
    gm_err_set(&err, GM_ESHUTDOWN, "subscription", "the engine is closing");
    while (b->subs) {
        gm_engine_sub *s = b->subs;
        b->subs = s->next;
        if (!s->ended)
            end_sub(s, GM_ESHUTDOWN, &err);
        free(s);
    }
}

void engine__bus_destroy(engine__bus *b)
{
    if (!b)
        return;
    engine__bus_stop(b);
    while (b->n)
        ring_drop_oldest(b);
    free(b->ring);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->subs_mu);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->ring_mu);
    free(b);
}
