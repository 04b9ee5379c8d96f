/*
 * workers.h: a fixed set of worker threads (a thread pool).
 *
 * Heavy work runs off the engine's writer thread (DESIGN.md section 2):
 * simulation replications, model training, large queries. The pool keeps a
 * fixed set of threads and a FIFO task list; gm_workers_parallel_for spreads an
 * index range over the workers and tells each call which worker runs it, so
 * callers can keep per-worker scratch (random streams, buffers) without
 * locks.
 *
 * Worker threads start with every signal blocked, so process signals
 * (SIGINT, SIGTERM, ...) go to the program's own threads.
 */
#ifndef GM_BASE_WORKERS_H
#define GM_BASE_WORKERS_H

#include <stddef.h>

#include "base/err.h"

/* Most threads a pool may have. */
#define GM_WORKERS_MAX_THREADS 1024u

typedef struct gm_workers gm_workers;
typedef void (*gm_workers_fn)(void *arg);

/*
 * Start a pool of nthreads workers; 0 means one per online CPU (at least 1,
 * at most GM_WORKERS_MAX_THREADS). Returns NULL and fills err (may be NULL)
 * with GM_EINVAL when nthreads exceeds GM_WORKERS_MAX_THREADS, GM_ENOMEM when
 * memory, a thread or a synchronisation object could not be had (any
 * threads already started are stopped). The caller owns the pool:
 * gm_workers_destroy.
 */
gm_workers *gm_workers_create(unsigned nthreads, gm_err *err);

/* Number of worker threads. */
unsigned gm_workers_size(const gm_workers *p);

/*
 * Queue fn(arg) to run once on some worker; tasks start in submission order.
 * The pool does not own arg. Any thread, including the pool's own tasks.
 * Returns 0, GM_EINVAL when p or fn is NULL, GM_ENOMEM (nothing queued),
 * GM_ESHUTDOWN once gm_workers_destroy has begun (except from the pool's own
 * tasks: work that running tasks spawn while the pool drains still runs).
 */
int gm_workers_submit(gm_workers *p, gm_workers_fn fn, void *arg);

/*
 * Block until every task submitted so far, and every task those tasks
 * submit, has finished; the pool stays usable. Everything the tasks wrote is
 * visible to the caller afterwards. Must not be called from one of p's own
 * tasks (it would wait for itself): that is detected and the call returns at
 * once without waiting. NULL does nothing.
 */
void gm_workers_wait(gm_workers *p);

/*
 * Run fn(ctx, i, worker) once for each i in [0, n) on p's workers and return
 * when all calls have finished (their writes are then visible to the
 * caller). Indices are handed out one at a time from an atomic counter, so
 * uneven work balances itself; there is no ordering between indices.
 * worker is in [0, gm_workers_size(p)) and identifies the pool thread running
 * the call: no two calls running at the same time share a worker index,
 * even across concurrent gm_workers_parallel_for calls, so ctx may hold
 * per-worker scratch indexed by it. The calling thread only waits; it runs no
 * indices itself. At most min(n, gm_workers_size(p)) workers take part, and
 * they queue behind tasks submitted earlier.
 *
 * May be called from any thread that is not one of p's workers (a task of
 * another pool is fine). Calling it from one of p's own tasks could deadlock
 * the pool, so it is refused with GM_EINVAL.
 * Returns 0 (n == 0: at once, fn never called), GM_EINVAL (p NULL, fn NULL
 * with n > 0, or called from p's task), GM_ERANGE (n within
 * GM_WORKERS_MAX_THREADS of SIZE_MAX), GM_ENOMEM, GM_ESHUTDOWN (destroy has
 * begun). On any error fn was not called.
 */
int gm_workers_parallel_for(gm_workers *p, size_t n,
                         void (*fn)(void *ctx, size_t i, unsigned worker), void *ctx);

/*
 * Run every queued task (and the tasks they submit) to completion, then stop
 * and join the workers and free the pool. No other thread may use p once
 * this is called, apart from p's running tasks submitting more work. NULL
 * does nothing. Must not be called from one of p's own tasks (a thread
 * cannot join itself): that is detected and the call does nothing, leaving
 * the pool running.
 */
void gm_workers_destroy(gm_workers *p);

#endif
