/*
 * bench_twins.c: the twin engine at scale, through its real path (the
 * engine's writer thread, validation against models, the SQLite change log
 * with group commit).
 *
 * A generated plant hierarchy: sites contain lines, lines contain machines,
 * machines contain sensors; machines feed the next machine on their line and
 * sensors are attachedTo their machine. Default: 1,000,000 twins and about
 * 2,000,000 relationships. Figures: load rates, durable patch throughput
 * with group commit, point reads, the latency of a model-and-property query,
 * memory per twin, and recovery time when the directory is opened again.
 *
 *   bench_twins [--twins N] [--patches P] [--snapshot-every E] [--dir DIR]
 *
 * No peer runs here: Azure Digital Twins is a cloud service, and nothing of
 * it can run on the same work on this machine. The last line compares the
 * patch rate with the goal, and puts it next to ADT's published
 * quota of 1,000 patches/s per instance: a service limit, not a measured
 * speed, so it is printed as a quota and never as a ratio to a peer.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/time.h"
#include "engine/engine.h"
#include "twin/query_exec.h"

static const char *models =
    "[{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:b:Site;1\", \"@type\": \"Interface\","
    "  \"contents\": [{\"@type\": \"Property\", \"name\": \"name\", \"schema\": \"string\"},"
    "   {\"@type\": \"Relationship\", \"name\": \"contains\", \"target\": \"dtmi:b:Line;1\"}]},"
    " {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:b:Line;1\", \"@type\": \"Interface\","
    "  \"contents\": [{\"@type\": \"Property\", \"name\": \"name\", \"schema\": \"string\"},"
    "   {\"@type\": \"Relationship\", \"name\": \"contains\", \"target\": \"dtmi:b:Machine;1\"}]},"
    " {\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:b:Machine;1\", \"@type\": \"Interface\","
    "  \"contents\": [{\"@type\": \"Property\", \"name\": \"state\", \"schema\": \"string\"},"
    "   {\"@type\": \"Property\", \"name\": \"rpm\", \"schema\": \"double\"},"
    "   {\"@type\": \"Relationship\", \"name\": \"contains\", \"target\": \"dtmi:b:Sensor;1\"},"
    "   {\"@type\": \"Relationship\", \"name\": \"feeds\", \"target\": \"dtmi:b:Machine;1\"}]},"
    " {\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
    "  \"@id\": \"dtmi:b:Sensor;1\", \"@type\": \"Interface\","
    "  \"contents\": [{\"@type\": [\"Property\", \"Temperature\"], \"name\": \"temperature\","
    "   \"schema\": \"double\", \"unit\": \"degreeCelsius\"},"
    "   {\"@type\": \"Property\", \"name\": \"kind\", \"schema\": \"string\"},"
    "   {\"@type\": \"Relationship\", \"name\": \"attachedTo\", \"target\": \"dtmi:b:Machine;1\"}]}]";

/* ---- pipelined requests ---- */

#define RING 8192

typedef struct slot {
    gm_engine_req req;
    json_t *body;
    char id[128], rel[160];
    atomic_int busy;
} slot;

static slot *ring;
static size_t ring_next;
static atomic_ulong failures;

static void slot_done(void *ctx, gm_engine_req *r)
{
    slot *s = ctx;
    if (r->status) {
        if (atomic_fetch_add(&failures, 1) < 5)
            fprintf(stderr, "request failed: %s: %s\n", r->err.where, r->err.what);
    }
    atomic_store(&s->busy, 0);
}

static slot *next_slot(void)
{
    slot *s = &ring[ring_next++ % RING];
    while (atomic_load(&s->busy))
        usleep(10);
    json_decref(s->body);
    s->body = NULL;
    return s;
}

static void submit(gm_engine *e, slot *s, gm_engine_op op, json_t *body)
{
    memset(&s->req, 0, sizeof s->req);
    s->req.op = op;
    s->req.id = s->id;
    s->req.rel_id = s->rel[0] ? s->rel : NULL;
    s->req.body = body;
    s->req.done = slot_done;
    s->req.ctx = s;
    s->body = body;
    atomic_store(&s->busy, 1);
    while (gm_engine_submit(e, &s->req) == GM_EAGAIN)
        usleep(20);
}

static void drain(void)
{
    for (size_t i = 0; i < RING; i++) {
        while (atomic_load(&ring[i].busy))
            usleep(10);
        json_decref(ring[i].body);
        ring[i].body = NULL;
    }
}

static double now_s(void)
{
    return (double)gm_time_mono_ns() / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the plant ---- */

typedef struct plant {
    long sites, lines_per, machines_per, sensors_per;
} plant;

static void twin(gm_engine *e, const char *id, const char *model, json_t *props)
{
    slot *s = next_slot();
    snprintf(s->id, sizeof s->id, "%s", id);
    s->rel[0] = '\0';
    json_object_set_new(props, "$metadata", json_pack("{s:s}", "$model", model));
    submit(e, s, GM_OP_TWIN_PUT, props);
}

static void rel(gm_engine *e, const char *src, const char *rid, const char *name, const char *tgt)
{
    slot *s = next_slot();
    snprintf(s->id, sizeof s->id, "%s", src);
    snprintf(s->rel, sizeof s->rel, "%s", rid);
    submit(e, s, GM_OP_REL_PUT, json_pack("{s:s,s:s}", "$relationshipName", name, "$targetId", tgt));
}

static void load(gm_engine *e, const plant *p, long *ntwins, long *nrels)
{
    char id[32], id2[96], rid[160];
    *ntwins = *nrels = 0;
    for (long s = 0; s < p->sites; s++) {
        snprintf(id, sizeof id, "s%ld", s);
        twin(e, id, "dtmi:b:Site;1", json_pack("{s:s}", "name", id));
        ++*ntwins;
        for (long l = 0; l < p->lines_per; l++) {
            char lid[64];
            snprintf(lid, sizeof lid, "s%ld.l%ld", s, l);
            twin(e, lid, "dtmi:b:Line;1", json_pack("{s:s}", "name", lid));
            snprintf(rid, sizeof rid, "c.%s", lid);
            rel(e, id, rid, "contains", lid);
            ++*ntwins;
            ++*nrels;
            for (long m = 0; m < p->machines_per; m++) {
                char mid[96];
                snprintf(mid, sizeof mid, "%s.m%ld", lid, m);
                twin(e, mid, "dtmi:b:Machine;1",
                     json_pack("{s:s,s:f}", "state", m % 7 ? "RUNNING" : "IDLE", "rpm", 1000.0 + (double)m));
                snprintf(rid, sizeof rid, "c.%s", mid);
                rel(e, lid, rid, "contains", mid);
                ++*ntwins;
                ++*nrels;
                if (m > 0) {
                    snprintf(id2, sizeof id2, "%s.m%ld", lid, m - 1);
                    snprintf(rid, sizeof rid, "f.%s", mid);
                    rel(e, id2, rid, "feeds", mid);
                    ++*nrels;
                }
                for (long k = 0; k < p->sensors_per; k++) {
                    char sid[128];
                    snprintf(sid, sizeof sid, "%s.x%ld", mid, k);
                    twin(e, sid, "dtmi:b:Sensor;1",
                         json_pack("{s:f,s:s}", "temperature", 20.0 + (double)((s * 7 + l * 3 + m + k) % 20),
                                   "kind", k % 2 ? "vibration" : "thermal"));
                    snprintf(rid, sizeof rid, "c.%s", sid);
                    rel(e, mid, rid, "contains", sid);
                    snprintf(rid, sizeof rid, "a.%s", sid);
                    rel(e, sid, rid, "attachedTo", mid);
                    ++*ntwins;
                    *nrels += 2;
                }
            }
        }
    }
    drain();
}

typedef struct qctx {
    const char *text;
    gm_query_page page;
    gm_err err;
} qctx;

static int run_query(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    qctx *q = ctx;
    return gm_query_run(g, m, q->text, strlen(q->text), NULL, 100, &q->page, &q->err);
}

static double time_query(gm_engine *e, const char *text, size_t *rows, int runs)
{
    double t[16];
    for (int i = 0; i < runs; i++) {
        qctx q = {.text = text};
        gm_err_clear(&q.err);
        gm_engine_req r = {.op = GM_OP_READ, .read = run_query, .read_ctx = &q};
        double t0 = now_s();
        if (gm_engine_call(e, &r)) {
            fprintf(stderr, "query failed: %s: %s\n", q.err.where, q.err.what);
            exit(1);
        }
        t[i] = now_s() - t0;
        *rows = json_array_size(q.page.value);
        gm_query_page_free(&q.page);
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_d);
    return t[runs / 2];
}

typedef struct reads {
    const char **ids;
    long n;
    long found;
} reads;

static int read_direct(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    (void)m;
    reads *r = ctx;
    for (long i = 0; i < r->n; i++)
        r->found += gm_twin_get(g, r->ids[i]) != NULL;
    return 0;
}

int main(int argc, char **argv)
{
    long twins_goal = 1000000, patches = 1000000, snap_every = 0;
    const char *dir_opt = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--twins") == 0 && i + 1 < argc)
            twins_goal = atol(argv[++i]);
        else if (strcmp(argv[i], "--patches") == 0 && i + 1 < argc)
            patches = atol(argv[++i]);
        else if (strcmp(argv[i], "--snapshot-every") == 0 && i + 1 < argc)
            snap_every = atol(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir_opt = argv[++i];
        else {
            fprintf(stderr, "usage: bench_twins [--twins N] [--patches P] [--snapshot-every E] "
                            "[--dir DIR]\n");
            return 2;
        }
    }
    if (twins_goal < 1000 || patches < 1000) {
        fprintf(stderr, "bench_twins: --twins and --patches need at least 1000\n");
        return 2;
    }
    /* 1 site : 10 lines : 100 machines : 9 sensors ~ 10,011 twins per site */
    plant p = {twins_goal / 10011 > 0 ? twins_goal / 10011 : 1, 10, 100, 9};
    if (twins_goal < 10011) {
        p.lines_per = 1;
        p.machines_per = twins_goal / 11;
    }
    char tmpl[] = "/tmp/gemel-bench-twins-XXXXXX";
    const char *dir = dir_opt ? dir_opt : mkdtemp(tmpl);
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    ring = calloc(RING, sizeof *ring);
    long rss0 = rss_kb();
    gm_engine_opts o = {.dir = dir, .snapshot_every = snap_every > 0 ? (uint64_t)snap_every : 0};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&o, &err);
    if (!e || !ring) {
        fprintf(stderr, "open: %s: %s\n", err.where, err.what);
        return 1;
    }
    json_t *m = json_loads(models, 0, NULL);
    gm_engine_req mr = {.op = GM_OP_MODELS_ADD, .body = m};
    if (gm_engine_call(e, &mr)) {
        fprintf(stderr, "models: %s: %s\n", mr.err.where, mr.err.what);
        return 1;
    }
    json_decref(m);

    /* 1. load */
    long nt, nr;
    double t0 = now_s();
    load(e, &p, &nt, &nr);
    double tl = now_s() - t0;
    long rss1 = rss_kb();
    printf("plant: %ld sites, %ld lines, %ld machines, %ld sensors\n", p.sites, p.sites * p.lines_per,
           p.sites * p.lines_per * p.machines_per,
           p.sites * p.lines_per * p.machines_per * p.sensors_per);
    printf("load: %ld twins + %ld relationships in %.1f s: %.0f durable changes/s (%lu failed)\n", nt,
           nr, tl, (double)(nt + nr) / tl, atomic_load(&failures));
    printf("memory: %.0f bytes per twin (RSS %ld -> %ld MB, relationships included)\n",
           (double)(rss1 - rss0) * 1024.0 / (double)nt, rss0 / 1024, rss1 / 1024);

    /* 2. durable patches, pipelined: each acknowledged once on disk */
    long nsensors = p.sites * p.lines_per * p.machines_per * p.sensors_per;
    uint64_t seq0 = gm_engine_seq(e);
    gm_store_counts c0, c1;
    gm_engine_store_counts(e, &c0);
    t0 = now_s();
    uint64_t x = 88172645463325252ULL;
    for (long i = 0; i < patches; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long k = (long)(x % (uint64_t)nsensors);
        long per_site = p.lines_per * p.machines_per * p.sensors_per;
        long s = k / per_site, rem = k % per_site;
        long l = rem / (p.machines_per * p.sensors_per);
        rem %= p.machines_per * p.sensors_per;
        slot *sl = next_slot();
        snprintf(sl->id, sizeof sl->id, "s%ld.l%ld.m%ld.x%ld", s, l, rem / p.sensors_per,
                 rem % p.sensors_per);
        sl->rel[0] = '\0';
        submit(e, sl, GM_OP_TWIN_PATCH,
               json_pack("[{s:s,s:s,s:f}]", "op", "replace", "path", "/temperature", "value",
                         15.0 + (double)(i % 300) / 10.0));
    }
    drain();
    double tp = now_s() - t0;
    double patch_rate = (double)patches / tp;
    printf("patches: %ld durable JSON Patches in %.2f s: %.0f patches/s (%lu failed, seq %llu -> %llu)\n",
           patches, tp, patch_rate, atomic_load(&failures), (unsigned long long)seq0,
           (unsigned long long)gm_engine_seq(e));
    gm_engine_store_counts(e, &c1);
    printf("  meanwhile: %llu commits (%.0f patches each), %llu fsyncs, %llu snapshots finished "
           "(newest %.0f MB)\n",
           (unsigned long long)(c1.batches - c0.batches),
           (double)(c1.records - c0.records) / (double)(c1.batches - c0.batches + !(c1.batches - c0.batches)),
           (unsigned long long)(c1.fsyncs - c0.fsyncs),
           (unsigned long long)(c1.snapshots - c0.snapshots), (double)c1.snapshot_bytes / 1e6);

    /* 3. point reads: through the engine's queue (a round trip each), and
       on the writer thread directly */
    enum { NREAD = 20000 };
    const char **ids = calloc(NREAD * 10, sizeof *ids);
    char (*idbuf)[72] = calloc(NREAD * 10, sizeof *idbuf);
    for (long i = 0; i < NREAD * 10; i++) {
        long mi = i % (p.sites * p.lines_per * p.machines_per);
        snprintf(idbuf[i], sizeof idbuf[i], "s%ld.l%ld.m%ld", mi / (p.lines_per * p.machines_per),
                 (mi / p.machines_per) % p.lines_per, mi % p.machines_per);
        ids[i] = idbuf[i];
    }
    t0 = now_s();
    for (long i = 0; i < NREAD; i++) {
        gm_engine_req r = {.op = GM_OP_TWIN_GET, .id = ids[i]};
        if (gm_engine_call(e, &r) == 0)
            json_decref(r.value);
    }
    double tr = now_s() - t0;
    reads rd = {ids, NREAD * 10, 0};
    gm_engine_req rr = {.op = GM_OP_READ, .read = read_direct, .read_ctx = &rd};
    t0 = now_s();
    gm_engine_call(e, &rr);
    double td = now_s() - t0;
    printf("point reads: %.0f/s as engine requests (a copy each), %.1f M/s on the writer thread (%ld found)\n",
           (double)NREAD / tr, (double)rd.n / td / 1e6, rd.found);
    free(ids);
    free(idbuf);

    /* 4. queries */
    size_t rows;
    const char *q1 = "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:b:Sensor;1') AND T.temperature > 30";
    double ql = time_query(e, q1, &rows, 7);
    printf("query (first page of 100): %.1f ms median of 7, %zu rows: %s\n", ql * 1e3, rows, q1);
    const char *q2 = "SELECT COUNT() FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:b:Sensor;1') AND T.temperature > 30";
    double qc = time_query(e, q2, &rows, 7);
    printf("query (all matches counted): %.1f ms median of 7: %s\n", qc * 1e3, q2);

    /* 5. recovery: open the directory again (the newest snapshot plus the log after it);
       closing finishes a snapshot under way first */
    gm_err_clear(&err);
    t0 = now_s();
    if (gm_engine_close(e, &err)) {
        fprintf(stderr, "close: %s\n", err.what);
        return 1;
    }
    printf("close: %.1f s (a snapshot under way is finished, not cancelled)\n", now_s() - t0);
    t0 = now_s();
    e = gm_engine_open(&o, &err);
    double tv = now_s() - t0;
    if (!e) {
        fprintf(stderr, "reopen: %s: %s\n", err.where, err.what);
        return 1;
    }
    printf("recovery: %.1f s to open %ld twins and %ld relationships (snapshot + log replay)\n", tv,
           nt, nr);
    gm_engine_close(e, NULL);
    if (!dir_opt) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    free(ring);
    printf("goal: 200000 durable patches/s: %.0f/s; query < 100 ms: %.1f ms "
           "(no peer: Azure Digital Twins' quota, a service limit, is 1000 patches/s per "
           "instance)\n",
           patch_rate, ql * 1e3);
    return 0;
}
