/*
 * workers.c: fixed thread pool over one mutex-protected FIFO task list.
 *
 * Tasks here are coarse (a replication, a model fit), so one mutex and a
 * linked list cost nothing measurable and are easy to get right. A small
 * free list of task nodes spares malloc on busy submit/run cycles.
 */
#include "base/workers.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Task nodes kept for reuse; beyond this they go back to malloc. */
#define FREE_NODES_MAX 1024

typedef struct pool_task {
    gm_workers_fn fn;
    void *arg;
    struct pool_task *next;
    /* false: the node is storage of a gm_workers_parallel_for call, which frees
       it; the worker must not touch it once the task has started. */
    bool owned;
} pool_task;

typedef struct pool_worker {
    gm_workers *pool;
    unsigned index;
    pthread_t thread;
} pool_worker;

struct gm_workers {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers: a task was queued, or stop */
    pthread_cond_t idle_cv; /* gm_workers_wait, destroy: pending reached 0 */
    pthread_cond_t pf_cv;   /* parallel_for callers: a job's helpers all ended */
    pool_task *head, *tail; /* queued, oldest first */
    pool_task *free_nodes;
    size_t nfree;
    size_t pending; /* queued + running tasks */
    bool closing;   /* destroy has begun: only p's own tasks may submit */
    bool stop;      /* workers exit once the queue is empty */
    unsigned nthreads;
    pool_worker *workers;
};

/* The worker record of the current thread, NULL on non-pool threads: lets the
   pool recognise calls from its own tasks and tell helpers their index. */
static _Thread_local const pool_worker *tls_worker;

static bool on_own_worker(const gm_workers *p)
{
    return tls_worker && tls_worker->pool == p;
}

/* Caller holds p->mu. */
static void recycle_node(gm_workers *p, pool_task *t)
{
    if (p->nfree < FREE_NODES_MAX) {
        t->next = p->free_nodes;
        p->free_nodes = t;
        p->nfree++;
    } else {
        free(t);
    }
}

/* Caller holds p->mu. */
static void enqueue(gm_workers *p, pool_task *t)
{
    t->next = NULL;
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    p->pending++;
}

static void *worker_main(void *arg)
{
    const pool_worker *w = arg;
    gm_workers *p = w->pool;
    tls_worker = w;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->work_cv, &p->mu);
        pool_task *t = p->head;
        if (!t)
            break; /* stop, and nothing left to run */
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        gm_workers_fn fn = t->fn;
        void *targ = t->arg;
        if (t->owned)
            recycle_node(p, t);
        pthread_mutex_unlock(&p->mu);

        fn(targ);

        pthread_mutex_lock(&p->mu);
        /* pending drops only after the task ran, and a task's own submissions
           raised it before that, so it reaches 0 only when the whole tree of
           tasks is done. */
        if (--p->pending == 0)
            pthread_cond_broadcast(&p->idle_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    if (n > (long)GM_WORKERS_MAX_THREADS)
        return GM_WORKERS_MAX_THREADS;
    return (unsigned)n;
}

/* Tell started workers to exit and join them. The queue must be empty. */
static void stop_and_join(gm_workers *p, unsigned started)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->workers[i].thread, NULL);
}

gm_workers *gm_workers_create(unsigned nthreads, gm_err *err)
{
    gm_workers *p = NULL;
    int stage = 0; /* synchronisation objects initialised so far */
    unsigned started = 0;
    int rc;

    if (nthreads > GM_WORKERS_MAX_THREADS) {
        gm_err_set(err, GM_EINVAL, "nthreads",
                   "expected 0 (one per online CPU) to %u threads, got %u",
                   GM_WORKERS_MAX_THREADS, nthreads);
        return NULL;
    }
    unsigned n = nthreads ? nthreads : online_cpus();

    p = calloc(1, sizeof *p);
    if (!p) {
        gm_err_set(err, GM_ENOMEM, "gm_workers_create", "out of memory for the pool");
        goto fail;
    }
    if ((rc = pthread_mutex_init(&p->mu, NULL)) != 0)
        goto fail_sync;
    stage = 1;
    if ((rc = pthread_cond_init(&p->work_cv, NULL)) != 0)
        goto fail_sync;
    stage = 2;
    if ((rc = pthread_cond_init(&p->idle_cv, NULL)) != 0)
        goto fail_sync;
    stage = 3;
    if ((rc = pthread_cond_init(&p->pf_cv, NULL)) != 0)
        goto fail_sync;
    stage = 4;

    p->workers = calloc(n, sizeof *p->workers);
    if (!p->workers) {
        gm_err_set(err, GM_ENOMEM, "nthreads", "out of memory for %u workers", n);
        goto fail;
    }
    p->nthreads = n;

    /* Workers inherit the creator's signal mask: block everything while
       creating them so that signals are left to the program's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (; started < n; started++) {
        p->workers[started].pool = p;
        p->workers[started].index = started;
        rc = pthread_create(&p->workers[started].thread, NULL, worker_main,
                            &p->workers[started]);
        if (rc != 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < n) {
        gm_err_errno(err, GM_ENOMEM, rc, "nthreads", "cannot start worker %u of %u", started,
                     n);
        goto fail;
    }
    return p;

fail_sync:
    gm_err_errno(err, GM_ENOMEM, rc, "gm_workers_create", "cannot create synchronisation object");
fail:
    if (p) {
        if (started > 0)
            stop_and_join(p, started);
        free(p->workers);
        if (stage >= 4)
            pthread_cond_destroy(&p->pf_cv);
        if (stage >= 3)
            pthread_cond_destroy(&p->idle_cv);
        if (stage >= 2)
            pthread_cond_destroy(&p->work_cv);
        if (stage >= 1)
            pthread_mutex_destroy(&p->mu);
        free(p);
    }
    return NULL;
}

unsigned gm_workers_size(const gm_workers *p)
{
    return p->nthreads;
}

int gm_workers_submit(gm_workers *p, gm_workers_fn fn, void *arg)
{
    if (!p || !fn)
        return GM_EINVAL;
    int rc = GM_OK;
    pthread_mutex_lock(&p->mu);
    if (p->stop || (p->closing && !on_own_worker(p))) {
        rc = GM_ESHUTDOWN;
        goto out;
    }
    pool_task *t = p->free_nodes;
    if (t) {
        p->free_nodes = t->next;
        p->nfree--;
    } else if (!(t = malloc(sizeof *t))) {
        rc = GM_ENOMEM;
        goto out;
    }
    t->fn = fn;
    t->arg = arg;
    t->owned = true;
    enqueue(p, t);
    pthread_cond_signal(&p->work_cv);
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void gm_workers_wait(gm_workers *p)
{
    if (!p || on_own_worker(p))
        return;
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->idle_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* One gm_workers_parallel_for call; lives on the caller's stack. */
typedef struct pf_job {
    void (*fn)(void *ctx, size_t i, unsigned worker);
    void *ctx;
    size_t n;
    _Atomic size_t next;   /* next index to hand out */
    unsigned helpers_left; /* guarded by pool->mu */
    gm_workers *pool;
} pf_job;

static void pf_helper(void *arg)
{
    pf_job *job = arg;
    gm_workers *p = job->pool;
    unsigned worker = tls_worker->index;
    for (;;) {
        /* relaxed: the counter only hands out distinct indices; the data the
           calls use was published by the mutex when the helpers were queued,
           and their results are published by the mutex below. */
        size_t i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->n)
            break;
        job->fn(job->ctx, i, worker);
    }
    pthread_mutex_lock(&p->mu);
    /* After this decrement the caller may return and free job and our task
       node, so neither is touched again. */
    if (--job->helpers_left == 0)
        pthread_cond_broadcast(&p->pf_cv);
    pthread_mutex_unlock(&p->mu);
}

int gm_workers_parallel_for(gm_workers *p, size_t n,
                         void (*fn)(void *ctx, size_t i, unsigned worker), void *ctx)
{
    if (!p || (!fn && n > 0))
        return GM_EINVAL;
    /* Helpers would queue behind the calling task; if every worker did this
       at once, none would be left to run them. */
    if (on_own_worker(p))
        return GM_EINVAL;
    if (n == 0)
        return GM_OK;
    /* Each helper overshoots the counter once when it finds no work left;
       keep that from wrapping around to index 0. */
    if (n > SIZE_MAX - GM_WORKERS_MAX_THREADS)
        return GM_ERANGE;

    unsigned k = n < p->nthreads ? (unsigned)n : p->nthreads;
    /* All helper nodes up front, so that the call either runs entirely or not
       at all. */
    pool_task *nodes = calloc(k, sizeof *nodes);
    if (!nodes)
        return GM_ENOMEM;
    pf_job job = {.fn = fn, .ctx = ctx, .n = n, .helpers_left = k, .pool = p};
    atomic_init(&job.next, 0);

    int rc = GM_OK;
    pthread_mutex_lock(&p->mu);
    if (p->stop || p->closing) {
        rc = GM_ESHUTDOWN;
        goto out;
    }
    for (unsigned i = 0; i < k; i++) {
        nodes[i].fn = pf_helper;
        nodes[i].arg = &job;
        nodes[i].owned = false;
        enqueue(p, &nodes[i]);
    }
    pthread_cond_broadcast(&p->work_cv);
    while (job.helpers_left > 0)
        pthread_cond_wait(&p->pf_cv, &p->mu);
out:
    pthread_mutex_unlock(&p->mu);
    free(nodes);
    return rc;
}

void gm_workers_destroy(gm_workers *p)
{
    if (!p || on_own_worker(p))
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    while (p->pending > 0)
        pthread_cond_wait(&p->idle_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    stop_and_join(p, p->nthreads);

    while (p->free_nodes) {
        pool_task *t = p->free_nodes;
        p->free_nodes = t->next;
        free(t);
    }
    pthread_cond_destroy(&p->pf_cv);
    pthread_cond_destroy(&p->idle_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
}
