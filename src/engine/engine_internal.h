/*
 * engine_internal.h: what the files of the engine share (module-internal:
 * only src/engine includes it). The public contract is engine.h.
 *
 *   engine.c    the writer thread, requests, events, completion, open/close
 *   snapshot.c  snapshots: written by a thread while the writer goes on
 *   recover.c   recovery at open: the newest snapshot, then the log
 *   import.c    the bulk import (import.h), through requests as any client
 *   bus.c       the event bus (bus.h)
 */
#ifndef GM_ENGINE_ENGINE_INTERNAL_H
#define GM_ENGINE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "base/mpsc.h"
#include "base/sb.h"
#include "base/vec.h"
#include "engine/bus.h"
#include "engine/engine.h"
#include "model/registry.h"
#include "store/store.h"
#include "twin/graph.h"

/* Where a snapshot file holds its relationships, and the graph's
   relationship version they are of (gm_twin_graph_rels_version). */
typedef struct engine__snap_rels {
    bool known;
    uint64_t seq, version, off, len;
} engine__snap_rels;

struct gm_engine {
    gm_engine_opts opts;
    gm_store *store;
    engine__bus *bus;
    gm_model_registry *models;
    gm_twin_graph *graph;
    gm_mpsc *q;
    pthread_t writer;
    bool writer_started;
    uint64_t since_snapshot;       /* events logged since the last snapshot began */
    uint64_t log_bytes;            /* ...and their bytes */
    _Atomic uint64_t snap_bytes;   /* size of the newest snapshot */
    gm_twin_dump *dump;            /* the background snapshot's, until engine__join_snapshot */
    engine__snap_rels rels_at;             /* the newest stored snapshot's relationships */
    atomic_bool snapshot_running;
    pthread_t snapshot_thread;
    bool snapshot_thread_started;
    _Atomic uint64_t seq;
    _Atomic uint64_t durable;
    pthread_mutex_t mu;     /* guards pending */
    pthread_mutex_t done_mu; /* one completer at a time, in order */
    gm_vec pending;         /* gm_engine_req *, in sequence order */
    size_t pending_head;
    int failed;             /* the store's error: no more changes */
    gm_err fail_err;
    gm_sb ev;               /* writer: the text of the event being logged */
};

/* The snapshot file format snapshot.c writes and recover.c reads (see
   snapshot.c). */
#define ENGINE__SNAP_FORMAT 1

/* ---- engine.c ---- */

/* Add a set of DTDL documents (a JSON array) to the registry; GM_EINVAL or
   GM_EEXIST with err naming the first problem. */
int engine__models_add(gm_engine *e, const json_t *docs, gm_err *err);

/* ---- snapshot.c (writer thread) ---- */

/* Store a snapshot of the graph as it is now, and wait for it. */
int engine__snapshot(gm_engine *e, gm_err *err);
/* Begin a snapshot that a thread of its own writes while the writer goes
   on (one at a time: none when one is running). */
void engine__snapshot_in_background(gm_engine *e);
/* Wait for the background snapshot thread, if one was started, and end
   its dump. */
void engine__join_snapshot(gm_engine *e);

/* ---- recover.c ---- */

/* Load the store's newest snapshot and replay the log after it into the
   engine's registry and graph (at open, before the writer starts). err
   names the snapshot line or the event that could not be applied. */
int engine__recover(gm_engine *e, gm_err *err);

#endif
