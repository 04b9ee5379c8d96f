/*
 * mpsc.c: bounded MPSC ring after Dmitry Vyukov's bounded MPMC queue,
 * specialised for one consumer.
 *
 * Each slot carries a sequence number that says whose turn it is:
 *   seq == pos            free, waiting for the producer of position pos;
 *   seq == pos + 1        holds the item of position pos, waiting for the
 *                         consumer;
 *   seq == pos + capacity consumed, free for position pos + capacity.
 * Producers claim positions by compare-and-swap on `tail`; the single
 * consumer walks `head` alone and needs no read-modify-write at all.
 *
 * Positions and sequence numbers are 64-bit: at 10^9 pushes a second they
 * would take centuries to reach the top bit, which `tail` uses as the
 * "closed" flag. Putting the flag in the same word as the claim counter makes
 * close and claim one atomic decision: a push either claimed its slot before
 * the close (and will be delivered) or sees the flag and fails.
 */
#include "base/mpsc.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/checked.h"
#include "base/time.h"

/* Separate cache lines keep producers' CAS traffic on `tail` from evicting
   the consumer's `head`, and both from the read-only ring description. */
#define CACHE_LINE 64
#define CLOSED_BIT ((uint64_t)1 << 63)
/* Checks of the head slot before pop_wait sleeps: with pause at roughly
   10-150 cycles each, a few microseconds, less than a futex sleep and wake.
   Producers that keep up a stream then rarely pay for a wake-up: 800k items
   through a capacity-2 queue from 4 producers on 2 CPUs took ~9 s without
   the spin and ~0.1 s with it. */
#define SPIN_CHECKS 100

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
               "gm_mpsc needs lock-free 64-bit atomics");

typedef struct slot {
    _Atomic uint64_t seq;
    void *item; /* written only by the slot's owner, handed over by seq */
} slot;

struct gm_mpsc {
    /* Read-only after create. */
    alignas(CACHE_LINE) slot *slots;
    uint64_t mask;
    size_t capacity;

    /* Next position to claim, plus CLOSED_BIT. Producers' line. */
    alignas(CACHE_LINE) _Atomic uint64_t tail;

    /* Next position to consume. Consumer only, so a plain integer. */
    alignas(CACHE_LINE) uint64_t head;

    /* Sleeping consumer: 1 while it is (about to be) in pthread_cond_wait. */
    alignas(CACHE_LINE) _Atomic int sleeping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

gm_mpsc *gm_mpsc_create(size_t capacity, gm_err *err)
{
    gm_mpsc *q = NULL;
    bool have_mu = false;
    int rc;

    if (capacity == 0 || capacity > GM_MPSC_MAX_CAPACITY) {
        gm_err_set(err, GM_EINVAL, "capacity", "expected 1 to %zu items, got %zu",
                   GM_MPSC_MAX_CAPACITY, capacity);
        return NULL;
    }
    /* Two slots at least: with one, "holds position p" (p + 1) and "free for
       position p + 1" (p + capacity) would be the same sequence number. */
    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    size_t bytes;
    if (gm_size_mul(cap, sizeof(slot), &bytes) != GM_OK) {
        gm_err_set(err, GM_ENOMEM, "capacity", "%zu slots do not fit in memory", cap);
        return NULL;
    }

    void *mem = NULL;
    if (posix_memalign(&mem, CACHE_LINE, sizeof *q) != 0) {
        gm_err_set(err, GM_ENOMEM, "gm_mpsc_create", "out of memory for the queue");
        goto fail;
    }
    q = mem;
    memset(q, 0, sizeof *q);
    mem = NULL;
    if (posix_memalign(&mem, CACHE_LINE, bytes) != 0) {
        gm_err_set(err, GM_ENOMEM, "capacity", "out of memory for %zu slots (%zu bytes)", cap,
                   bytes);
        goto fail;
    }
    q->slots = mem;
    q->capacity = cap;
    q->mask = (uint64_t)cap - 1;
    for (size_t i = 0; i < cap; i++) {
        atomic_init(&q->slots[i].seq, (uint64_t)i);
        q->slots[i].item = NULL;
    }
    atomic_init(&q->tail, 0);
    q->head = 0;
    atomic_init(&q->sleeping, 0);

    if ((rc = pthread_mutex_init(&q->mu, NULL)) != 0) {
        gm_err_errno(err, GM_ENOMEM, rc, "gm_mpsc_create", "cannot create mutex");
        goto fail;
    }
    have_mu = true;
    /* timed waits on the monotonic clock */
    if ((rc = gm_time_cond_init(&q->cv)) != 0) {
        gm_err_errno(err, GM_ENOMEM, rc, "gm_mpsc_create", "cannot create condition variable");
        goto fail;
    }
    return q;

fail:
    if (q) {
        if (have_mu)
            pthread_mutex_destroy(&q->mu);
        free(q->slots);
        free(q);
    }
    return NULL;
}

void gm_mpsc_destroy(gm_mpsc *q)
{
    if (!q)
        return;
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->slots);
    free(q);
}

size_t gm_mpsc_capacity(const gm_mpsc *q)
{
    return q->capacity;
}

static void wake_consumer(gm_mpsc *q)
{
    /* Taking the mutex matters: the consumer holds it from announcing that it
       sleeps until pthread_cond_wait releases it, so by the time we hold it
       the consumer is either waiting (and the signal wakes it) or has not
       gone to sleep at all. */
    pthread_mutex_lock(&q->mu);
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

int gm_mpsc_push(gm_mpsc *q, void *item)
{
    /* relaxed: the value is only a guess at the next free position; the CAS
       below checks it, and the slot's seq (acquire) carries the data. */
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    slot *s;
    for (;;) {
        if (pos & CLOSED_BIT)
            return GM_ESHUTDOWN;
        s = &q->slots[(size_t)(pos & q->mask)];
        /* acquire: pairs with the consumer's release in gm_mpsc_pop, so its
           read of the slot's previous item happens before we overwrite it. */
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        int64_t diff = (int64_t)(seq - pos);
        if (diff == 0) {
            /* relaxed on both outcomes: the CAS only decides which producer
               owns position pos; ownership of the slot's contents was already
               ordered by the acquire above. On failure pos is refreshed. */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (diff < 0) {
            /* The slot still holds the item from one lap ago, so capacity
               positions are claimed and not yet consumed: full. */
            return GM_EAGAIN;
        } else {
            /* Another producer claimed pos already; catch up. relaxed for the
               same reason as the first load. */
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }

    s->item = item;
    /* release: publishes the item to the consumer's acquire load of seq. */
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);

    /*
     * Why no wake-up is lost. The consumer, before sleeping, does
     *     sleeping = 1; fence(seq_cst); look at the slot's seq;
     * and we do
     *     store seq (above); fence(seq_cst); look at sleeping.
     * The two seq_cst fences are totally ordered. If the consumer's fence
     * comes first, our load of `sleeping` sees its 1 (or a later 0, which the
     * consumer writes only after waking, before it looks again); if ours comes
     * first, the consumer's look at seq sees our item and it does not sleep.
     * So at least one side sees the other (store-load ordering, which release
     * and acquire alone do not give). The consumer checks under the mutex and
     * keeps it until pthread_cond_wait, and we signal under the same mutex,
     * so a signal cannot slip in between its check and its wait.
     *
     * The plain load first keeps the common case (consumer awake) free of a
     * read-modify-write; the exchange lets only one of several producers that
     * saw the flag pay for the mutex and the signal. relaxed suffices for
     * both: the fence supplies the ordering and the mutex the hand-over.
     */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->sleeping, memory_order_relaxed) &&
        atomic_exchange_explicit(&q->sleeping, 0, memory_order_relaxed))
        wake_consumer(q);
    return 0;
}

int gm_mpsc_pop(gm_mpsc *q, void **item)
{
    slot *s = &q->slots[(size_t)(q->head & q->mask)];
    /* acquire: pairs with the producer's release, making its item visible. */
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (seq != q->head + 1)
        return GM_EAGAIN; /* empty, or the push of head is still in flight */
    *item = s->item;
    /* release: our read of item must happen before the next lap's producer,
       which acquires this seq, overwrites it. */
    atomic_store_explicit(&s->seq, q->head + q->capacity, memory_order_release);
    q->head++;
    return 0;
}

bool gm_mpsc_peek(const gm_mpsc *q, size_t k, void **item)
{
    if (k >= q->capacity)
        return false;
    const slot *s = &q->slots[(size_t)((q->head + k) & q->mask)];
    /* acquire: pairs with the producer's release, as in gm_mpsc_pop */
    if (atomic_load_explicit(&s->seq, memory_order_acquire) != q->head + k + 1)
        return false;
    *item = s->item;
    return true;
}

/* The head slot holds an item (a hint: gm_mpsc_pop re-reads with acquire). */
static bool head_published(const gm_mpsc *q)
{
    const slot *s = &q->slots[(size_t)(q->head & q->mask)];
    return atomic_load_explicit(&s->seq, memory_order_relaxed) == q->head + 1;
}

/* Closed, and every position claimed before the close has been consumed. */
static bool closed_and_drained(const gm_mpsc *q)
{
    /* acquire: pairs with the seq_cst read-modify-write in gm_mpsc_close, so
       whatever the closing thread did before closing is visible to a consumer
       that returns GM_ESHUTDOWN. */
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    return (t & CLOSED_BIT) && (t & ~CLOSED_BIT) == q->head;
}

/* Busy-wait briefly for an item (or the end), without sleeping. */
static bool spin_for_item(const gm_mpsc *q)
{
    for (int i = 0; i < SPIN_CHECKS; i++) {
        if (head_published(q) || closed_and_drained(q))
            return true;
        cpu_relax();
    }
    return false;
}

int gm_mpsc_pop_wait(gm_mpsc *q, void **item, int64_t timeout_ns)
{
    struct timespec deadline = {0, 0};
    bool forever = timeout_ns < 0;
    if (timeout_ns > 0 && !gm_time_deadline(timeout_ns, &deadline))
        forever = true;
    bool timed_out = false, spun = false;

    for (;;) {
        if (gm_mpsc_pop(q, item) == 0)
            return 0;
        if (closed_and_drained(q))
            return GM_ESHUTDOWN;
        if (timeout_ns == 0 || timed_out)
            return GM_EAGAIN;
        if (!spun) {
            spun = true;
            if (spin_for_item(q))
                continue;
        }

        pthread_mutex_lock(&q->mu);
        /* relaxed store: the seq_cst fence after it orders it before our
           look at the slot (see the proof in gm_mpsc_push). */
        atomic_store_explicit(&q->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        /* Not "closed" alone: closed with a push still in flight must wait
           for that push, whose completion wakes us like any other. A close
           signals under the mutex, so checking it here cannot miss one. */
        if (!head_published(q) && !closed_and_drained(q)) {
            int rc = forever ? pthread_cond_wait(&q->cv, &q->mu)
                             : pthread_cond_timedwait(&q->cv, &q->mu, &deadline);
            if (rc != 0)
                timed_out = true; /* ETIMEDOUT; any other error: give up, not loop */
        }
        /* relaxed: only this thread sets it to 1, and producers that read a
           stale 1 merely send a harmless extra signal. */
        atomic_store_explicit(&q->sleeping, 0, memory_order_relaxed);
        pthread_mutex_unlock(&q->mu);
        /* Loop: pop once more even after a timeout, so an item that arrived
           at the last moment is not reported as a timeout. */
    }
}

void gm_mpsc_close(gm_mpsc *q)
{
    /* seq_cst read-modify-write on the claim counter: every claim is ordered
       before or after it, which is what makes "pushed before close" exact. */
    atomic_fetch_or_explicit(&q->tail, CLOSED_BIT, memory_order_seq_cst);
    /* Always signal (close is rare): done under the mutex, a consumer checking
       before sleeping either sees the flag or is already waiting. */
    pthread_mutex_lock(&q->mu);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
