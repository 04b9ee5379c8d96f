/*
 * snapshot.c: snapshots of the engine's state, stored by the store.
 *
 * A snapshot is newline-delimited JSON, one value per line, so that it can
 * be written as a stream and read back one twin at a time:
 *
 *   {"gemel":"snapshot","format":1,"seq":n,"models":m,"twins":t,"relationships":r}
 *   m model documents, t twins, r relationships
 *
 * The counts in the header let recovery tell a complete snapshot from a cut
 * one. Stores written before snapshot files hold the older format, one
 * object {"seq", "models", "twins", "relationships"} with no newline in it;
 * recovery still reads it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time.h"
#include "engine/engine_internal.h"

typedef struct snap_out {
    int fd;
    gm_err *err;
    bool io_failed; /* err says why */
    uint64_t bytes; /* written so far */
} snap_out;

static int snap_write(void *ctx, const char *text, size_t len)
{
    snap_out *o = ctx;
    int rc = gm_file_write_all(o->fd, text, len, "snapshot", o->err);
    o->io_failed = rc != 0;
    o->bytes += len;
    return rc;
}

/* The header and model lines of a snapshot of dump d (on the writer). */
static int snapshot_head(gm_engine *e, const gm_twin_dump *d, gm_sb *sb)
{
    size_t nmodels = gm_model_registry_documents(e->models);
    gm_sb_appendf(sb,
                  "{\"gemel\":\"snapshot\",\"format\":%d,\"seq\":%llu,\"models\":%zu,"
                  "\"twins\":%zu,\"relationships\":%zu}\n",
                  ENGINE__SNAP_FORMAT, (unsigned long long)gm_twin_dump_seq(d), nmodels,
                  gm_twin_dump_twins(d), gm_twin_dump_relationships(d));
    for (size_t i = 0; i < nmodels && !gm_sb_error(sb); i++) {
        gm_json_write(sb, gm_model_registry_document(e->models, i));
        gm_sb_append_char(sb, '\n');
    }
    return gm_sb_error(sb);
}

/* A snapshot under way: the graph's dump, the header and model lines,
   and the file the store opened for it. */
typedef struct snap_job {
    gm_twin_dump *d;
    gm_sb head;
    uint64_t seq;
    int fd;
    engine__snap_rels from; /* known: the relationships are copied from there */
    engine__snap_rels rels; /* where they are in this one (known once written) */
    int64_t t0, t1; /* monotonic ns: begun, written */
} snap_job;

/* Whether the newest stored snapshot is of the graph as it is now. */
static bool snapshot_current(gm_engine *e)
{
    gm_store_counts c;
    gm_store_counts_get(e->store, &c);
    return c.snapshot_bytes > 0 && c.snapshot_seq == gm_twin_graph_seq(e->graph);
}

/* Begin a snapshot of the graph as it is now (writer thread). On error
   nothing is left begun. No relationship changed since the newest stored
   snapshot: this one copies them from its file instead of writing them
   again (most changes are to twins' properties, and relationships can be
   half of a snapshot). */
static int snapshot_begin(gm_engine *e, snap_job *j, gm_err *err)
{
    uint64_t version = gm_twin_graph_rels_version(e->graph);
    bool copy = e->rels_at.known && e->rels_at.version == version;
    *j = (snap_job){NULL, GM_SB_INIT, 0, -1, copy ? e->rels_at : (engine__snap_rels){0},
                    {false, 0, version, 0, 0}, gm_time_mono_ns(), 0};
    int rc = gm_twin_dump_begin(e->graph, !copy, &j->d);
    if (rc)
        return gm_err_set(err, rc, "snapshot", "cannot begin: %s", gm_strerror(rc));
    j->seq = j->rels.seq = gm_twin_dump_seq(j->d);
    if ((rc = snapshot_head(e, j->d, &j->head)))
        gm_err_set(err, rc, "snapshot", "out of memory");
    else
        rc = gm_store_snapshot_open(e->store, j->seq, &j->fd, err);
    if (rc) {
        gm_sb_free(&j->head);
        gm_twin_dump_end(j->d);
        j->d = NULL;
    }
    return rc;
}

/* Write the header, then the twins and relationships, into the job's
   file (any thread); on failure the file is abandoned. Returns 0 or an
   error in err: GM_EIO from write(2), GM_ENOMEM, GM_EINTERNAL (the
   engine never cancels a dump: closing waits for it). */
static int snapshot_write(gm_engine *e, snap_job *j, gm_err *err)
{
    snap_out o = {j->fd, err, false, 0};
    int rc = snap_write(&o, j->head.buf, j->head.len);
    if (!rc)
        rc = gm_twin_dump_run_twins(j->d, snap_write, &o);
    j->rels.off = o.bytes;
    if (!rc && j->from.known) {
        rc = gm_store_snapshot_copy(e->store, j->from.seq, j->from.off, j->from.len, j->fd, err);
        o.io_failed = rc != 0; /* err says why */
        o.bytes += j->from.len;
    } else if (!rc) {
        rc = gm_twin_dump_run_relationships(j->d, snap_write, &o);
    }
    j->rels.len = o.bytes - j->rels.off;
    j->rels.known = !rc;
    j->t1 = gm_time_mono_ns();
    if (rc && !o.io_failed)
        gm_err_set(err, rc, "snapshot", "cannot write the twins: %s", gm_strerror(rc));
    if (rc)
        gm_store_snapshot_abandon(e->store, j->seq, j->fd);
    return rc;
}

/* Job j's snapshot is stored (ok) or is not. */
static void snapshot_done(gm_engine *e, const snap_job *j, bool ok)
{
    /* a failed one may have failed because of where the relationships
       were to come from: the next one writes them */
    e->rels_at = ok ? j->rels : (engine__snap_rels){0};
    if (!ok)
        return;
    gm_store_counts c;
    gm_store_counts_get(e->store, &c);
    atomic_store(&e->snap_bytes, c.snapshot_bytes);
    gm_log_info("engine: snapshot stored", GM_LOG_UINT("seq", j->seq),
                GM_LOG_UINT("bytes", c.snapshot_bytes),
                GM_LOG_STR("relationships", j->from.known ? "copied" : "written"),
                GM_LOG_UINT("set_aside", gm_twin_dump_set_aside(j->d)),
                GM_LOG_DBL("write_s", (double)(j->t1 - j->t0) / 1e9),
                GM_LOG_DBL("sync_s", (double)(gm_time_mono_ns() - j->t1) / 1e9));
}

/* A snapshot now, on the writer thread (gm_engine_snapshot). */
int engine__snapshot(gm_engine *e, gm_err *err)
{
    if (snapshot_current(e)) { /* the store would keep the one it has */
        e->since_snapshot = e->log_bytes = 0;
        return 0;
    }
    snap_job j;
    int rc = snapshot_begin(e, &j, err);
    if (rc)
        return rc;
    rc = snapshot_write(e, &j, err);
    if (!rc)
        rc = gm_store_snapshot_commit(e->store, j.seq, j.fd, err);
    snapshot_done(e, &j, !rc);
    gm_sb_free(&j.head);
    gm_twin_dump_end(j.d);
    if (rc)
        return rc;
    e->since_snapshot = e->log_bytes = 0;
    return 0;
}

/* Wait for the background snapshot thread, if one was started, and end
   its dump (writer thread only). */
void engine__join_snapshot(gm_engine *e)
{
    if (e->snapshot_thread_started) {
        pthread_join(e->snapshot_thread, NULL);
        e->snapshot_thread_started = false;
    }
    gm_twin_dump_end(e->dump);
    e->dump = NULL;
}

/*
 * Background snapshots. The writer begins a dump of the graph (twin/graph.h)
 * and writes the header and models; a thread writes the twins and
 * relationships into the file the store opened for it, while the writer
 * goes on, and hands the file to the store, which records it in a short
 * transaction, so commits never wait for a snapshot. A change to a twin
 * the dump has not reached yet first writes that twin aside, as it was:
 * the file holds the graph exactly as at the snapshot's seq. Once the
 * thread is done, the writer ends the dump (join_snapshot).
 */
typedef struct bg_snapshot {
    gm_engine *e;
    snap_job j;
} bg_snapshot;

static void *bg_snapshot_main(void *arg)
{
    bg_snapshot *b = arg;
    pthread_setname_np(pthread_self(), "gemel-snapshot");
    gm_engine *e = b->e;
    gm_err err;
    gm_err_clear(&err);
    snap_job *j = &b->j;
    int rc = snapshot_write(e, j, &err);
    if (rc) {
        snapshot_done(e, j, false);
        gm_log_warn("engine: a background snapshot failed; the next one will retry",
                    GM_LOG_UINT("seq", j->seq), GM_LOG_STR("error", err.what));
    } else {
        rc = gm_store_snapshot_commit(e->store, j->seq, j->fd, &err);
        if (rc)
            gm_log_warn("engine: the snapshot could not be stored", GM_LOG_STR("error", err.what));
        snapshot_done(e, j, !rc);
    }
    gm_sb_free(&j->head);
    free(b); /* the dump stays: the writer ends it (join_snapshot) */
    atomic_store(&e->snapshot_running, false);
    return NULL;
}

void engine__snapshot_in_background(gm_engine *e)
{
    if (atomic_load(&e->snapshot_running))
        return; /* one at a time; the next event will try again */
    engine__join_snapshot(e);
    if (snapshot_current(e))
        return;
    gm_err err;
    gm_err_clear(&err);
    bg_snapshot *b = calloc(1, sizeof *b);
    int rc = b ? snapshot_begin(e, &b->j, &err)
               : gm_err_set(&err, GM_ENOMEM, "snapshot", "out of memory");
    gm_twin_dump *d = NULL;
    uint64_t seq = 0;
    int64_t t0 = 0;
    if (!rc) {
        b->e = e;
        d = b->j.d;
        seq = b->j.seq;
        t0 = b->j.t0;
        atomic_store(&e->snapshot_running, true);
        if (pthread_create(&e->snapshot_thread, NULL, bg_snapshot_main, b)) {
            atomic_store(&e->snapshot_running, false);
            gm_store_snapshot_abandon(e->store, seq, b->j.fd);
            gm_sb_free(&b->j.head);
            gm_twin_dump_end(d);
            rc = gm_err_set(&err, GM_ENOMEM, "snapshot", "cannot start its thread");
        }
    }
    if (rc) {
        gm_log_warn("engine: cannot start a snapshot", GM_LOG_STR("error", err.what));
        free(b);
        return;
    }
    /* b is the thread's now */
    e->dump = d;
    e->snapshot_thread_started = true;
    e->since_snapshot = e->log_bytes = 0;
    gm_log_info("engine: snapshot started", GM_LOG_UINT("seq", seq),
                GM_LOG_DBL("begin_ms", (double)(gm_time_mono_ns() - t0) / 1e6));
}
