/*
 * Crash test: a child process writes to a store as fast as it can, taking a
 * snapshot every SNAP_EVERY records, and reports every durable seq
 * (on_durable) through a pipe. The parent SIGKILLs it at a random moment,
 * then checks the store on disk: every acknowledged seq is there, the log is
 * gap-free from the snapshot to the end, every record is byte for byte what
 * was written, and the snapshot's state matches the records it replaced.
 * Each round starts a new child on the same directory, which recovers
 * (rebuilding its state from the snapshot and the records) and continues.
 *
 * The state is a fold of the records' digests, as an engine's state is a
 * fold of its events: a child that recovered wrongly would write a snapshot
 * the parent rejects. Set GEMEL_CRASH_SEED to replay a run's kill times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/time.h"
#include "store/store.h"

#define ROUNDS 7
/* A snapshot after about one record in SNAP_ODDS (at pseudo-random seqs, so
   that kills find snapshots, trims and plain batches in every phase). */
#define SNAP_ODDS 7919
#define PAYLOAD_MAX 320

/* ---- the deterministic history ------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    return x;
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* The state after one more record. */
static uint64_t fold(uint64_t state, const void *data, size_t len)
{
    return mix64(state + fnv1a(data, len));
}

#define STATE0 UINT64_C(0x6a09e667f3bcc908)

static uint32_t rec_kind(uint64_t seq)
{
    return (uint32_t)(seq % 11);
}

static size_t rec_key(uint64_t seq, char *buf, size_t n)
{
    return (size_t)snprintf(buf, n, "t%u", (unsigned)(seq % 97));
}

/* JSON with the seq, a filler of 16..175 letters and the filler's checksum. */
static size_t rec_payload(uint64_t seq, char *buf, size_t n)
{
    char filler[192];
    uint64_t r = mix64(seq);
    size_t flen = 16 + (size_t)(r % 160);
    for (size_t i = 0; i < flen; i++) {
        r = mix64(r + i);
        filler[i] = (char)('a' + r % 26);
    }
    filler[flen] = '\0';
    int k = snprintf(buf, n, "{\"seq\":%" PRIu64 ",\"v\":\"%s\",\"sum\":\"%016" PRIx64 "\"}", seq,
                     filler, fnv1a(filler, flen));
    return (size_t)k;
}

static size_t snap_payload(uint64_t seq, uint64_t state, char *buf, size_t n)
{
    return (size_t)snprintf(buf, n, "{\"seq\":%" PRIu64 ",\"state\":\"%016" PRIx64 "\"}", seq,
                            state);
}

static int snap_parse(const void *data, size_t len, uint64_t *seq, uint64_t *state)
{
    char buf[128];
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, data, len);
    buf[len] = '\0';
    return sscanf(buf, "{\"seq\":%" SCNu64 ",\"state\":\"%16" SCNx64 "\"}", seq, state) == 2 ? 0 : -1;
}

/* ---- the child ---------------------------------------------------------------- */

typedef struct child_ctx {
    int wfd;
    uint64_t state;
} child_ctx;

static void child_durable(void *ctx, uint64_t seq)
{
    child_ctx *c = ctx;
    /* 8 bytes < PIPE_BUF: atomic. The parent reads until it kills us. */
    if (write(c->wfd, &seq, sizeof seq) != (ssize_t)sizeof seq)
        _exit(5);
}

static int child_snapshot(void *ctx, uint64_t seq, const void *data, size_t len)
{
    child_ctx *c = ctx;
    uint64_t s;
    if (snap_parse(data, len, &s, &c->state) != 0 || s != seq)
        return GM_EPARSE;
    return 0;
}

static int child_record(void *ctx, const gm_store_rec *r)
{
    child_ctx *c = ctx;
    c->state = fold(c->state, r->data, r->len);
    return 0;
}

static void child_fail(const char *what, const gm_err *e)
{
    fprintf(stderr, "crash child: %s: %s: %s\n", what, e->where, e->what);
    _exit(3);
}

static void child_run(const char *dir, int wfd)
{
    child_ctx c = {.wfd = wfd, .state = STATE0};
    gm_store_opts o = {.on_durable = child_durable, .ctx = &c};
    gm_err e;
    gm_store *s = gm_store_open(dir, &o, &e);
    if (!s)
        child_fail("open", &e);
    uint64_t last = 0;
    if (gm_store_recover(s, child_snapshot, child_record, &c, &last, &e) != GM_OK)
        child_fail("recover", &e);
    if (last != gm_store_last_seq(s))
        _exit(4);
    for (uint64_t seq = last + 1;; seq++) {
        char data[PAYLOAD_MAX], key[16];
        gm_store_rec r = {.seq = seq, .kind = rec_kind(seq), .key = key};
        r.key_len = rec_key(seq, key, sizeof key);
        r.len = rec_payload(seq, data, sizeof data);
        r.data = data;
        int rc;
        while ((rc = gm_store_submit(s, &r, &e)) == GM_EAGAIN)
            sched_yield();
        if (rc != GM_OK)
            child_fail("submit", &e);
        c.state = fold(c.state, data, r.len);
        /* Now and then a pause, as a real engine has, so that batches come
           in all sizes. */
        if (seq % 512 == 0)
            usleep((useconds_t)(mix64(seq) % 400));
        if (mix64(seq ^ 0x5eed) % SNAP_ODDS == 0) {
            char snap[128];
            size_t n = snap_payload(seq, c.state, snap, sizeof snap);
            if (gm_store_snapshot(s, seq, snap, n, &e) != GM_OK)
                child_fail("snapshot", &e);
        }
    }
}

/* ---- the parent's check ---------------------------------------------------------- */

typedef struct check {
    int has_snap;
    uint64_t snap_seq, snap_state;
    uint64_t next;      /* the seq the next record must have */
    uint64_t records;
    char bad[256];      /* first problem found, "" if none */
} check;

static int check_snapshot(void *ctx, uint64_t seq, const void *data, size_t len)
{
    check *k = ctx;
    uint64_t s;
    k->has_snap = 1;
    k->snap_seq = seq;
    k->next = seq + 1;
    if (snap_parse(data, len, &s, &k->snap_state) != 0 || s != seq) {
        snprintf(k->bad, sizeof k->bad, "snapshot at %" PRIu64 " is damaged", seq);
        return GM_EPARSE;
    }
    return 0;
}

static int check_record(void *ctx, const gm_store_rec *r)
{
    check *k = ctx;
    char want[PAYLOAD_MAX], key[16];
    size_t wlen = rec_payload(r->seq, want, sizeof want);
    size_t klen = rec_key(r->seq, key, sizeof key);
    if (r->seq != k->next)
        snprintf(k->bad, sizeof k->bad, "expected seq %" PRIu64 ", found %" PRIu64, k->next, r->seq);
    else if (r->kind != rec_kind(r->seq) || r->key_len != klen || memcmp(r->key, key, klen) != 0)
        snprintf(k->bad, sizeof k->bad, "record %" PRIu64 ": wrong kind or key", r->seq);
    else if (r->len != wlen || memcmp(r->data, want, wlen) != 0)
        snprintf(k->bad, sizeof k->bad, "record %" PRIu64 ": payload is not what was written",
                 r->seq);
    if (k->bad[0])
        return GM_EINVAL;
    k->next++;
    k->records++;
    return 0;
}

/* Snapshot files in dir: after an open, only the newest snapshot's is left,
   whatever step of a snapshot the kill interrupted. */
static int snapshot_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        n += strncmp(ent->d_name, "snapshot-", 9) == 0;
    closedir(d);
    return n;
}

/* Recover dir and check it against the history; returns the last seq and
   sets *snap_seq to the snapshot's seq (0 if none). */
static uint64_t verify(const char *dir, uint64_t max_acked, uint64_t *snap_seq)
{
    gm_err e;
    gm_store *s = gm_store_open(dir, NULL, &e);
    if (!s)
        fail_msg("open %s: %s: %s", dir, e.where, e.what);
    check k = {.next = 1};
    uint64_t last = 0;
    int rc = gm_store_recover(s, check_snapshot, check_record, &k, &last, &e);
    if (rc != GM_OK)
        fail_msg("recover: %s (%s: %s)", k.bad, e.where, e.what);
    assert_int_equal(snapshot_files(dir), k.has_snap ? 1 : 0);
    assert_int_equal(gm_store_close(s, &e), GM_OK);
    if (last < max_acked)
        fail_msg("acknowledged seq %" PRIu64 " lost: the store ends at %" PRIu64, max_acked, last);
    if (k.has_snap) {
        /* The snapshot must be the fold of exactly the records 1..S. */
        uint64_t st = STATE0;
        for (uint64_t q = 1; q <= k.snap_seq; q++) {
            char buf[PAYLOAD_MAX];
            size_t n = rec_payload(q, buf, sizeof buf);
            st = fold(st, buf, n);
        }
        if (st != k.snap_state)
            fail_msg("snapshot at %" PRIu64 ": state %016" PRIx64 ", expected %016" PRIx64,
                     k.snap_seq, k.snap_state, st);
    }
    assert_int_equal(last, k.has_snap ? k.snap_seq + k.records : k.records);
    *snap_seq = k.has_snap ? k.snap_seq : 0;
    return last;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static uint64_t next_rand(uint64_t *r)
{
    *r = mix64(*r + 0x9e3779b97f4a7c15u);
    return *r;
}

static void test_kill_and_recover(void **state)
{
    (void)state;
    char root[64], dir[96];
    snprintf(root, sizeof root, "/tmp/gemel-crash-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof dir, "%s/store", root);

    uint64_t seed = (uint64_t)gm_time_wall_ns() ^ (uint64_t)getpid();
    const char *env = getenv("GEMEL_CRASH_SEED");
    if (env)
        seed = strtoull(env, NULL, 0);
    print_message("    seed %" PRIu64 " (GEMEL_CRASH_SEED replays it)\n", seed);
    uint64_t rnd = seed;

    uint64_t max_acked = 0, last = 0, snap_seq = 0;
    int rounds_with_acks = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_run(dir, fds[1]);
            _exit(6);
        }
        close(fds[1]);

        /* Most rounds wait for the first acknowledgement and kill somewhere
           in the stream; some kill at any time, even during open or
           recovery. */
        int armed = round % 3 == 2;
        int64_t delay_ns = (int64_t)(next_rand(&rnd) % 300) * 1000000;
        /* Unarmed, the deadline is only a guard against a child that never
           acknowledges anything. */
        int64_t deadline = gm_time_mono_ns() + (armed ? delay_ns : INT64_C(10000000000));
        uint64_t round_max = 0, acks = 0;
        unsigned char carry[8];
        size_t have = 0;
        int eof = 0, killed = 0;
        while (!eof) {
            int64_t now = gm_time_mono_ns();
            if (!killed && now >= deadline) {
                assert_int_equal(kill(pid, SIGKILL), 0);
                killed = 1;
            }
            int timeout_ms = killed ? -1 : (int)((deadline - now) / 1000000) + 1;
            struct pollfd p = {.fd = fds[0], .events = POLLIN};
            int pr = poll(&p, 1, timeout_ms);
            if (pr < 0 && errno == EINTR)
                continue;
            assert_true(pr >= 0);
            if (pr == 0)
                continue;
            unsigned char buf[4096];
            ssize_t k = read(fds[0], buf, sizeof buf);
            if (k < 0 && errno == EINTR)
                continue;
            assert_true(k >= 0);
            if (k == 0) {
                eof = 1;
                break;
            }
            for (ssize_t i = 0; i < k; i++) {
                carry[have++] = buf[i];
                if (have < sizeof carry)
                    continue;
                uint64_t seq;
                memcpy(&seq, carry, sizeof seq);
                have = 0;
                /* on_durable reports strictly increasing seqs, continuing
                   past what earlier children made durable. */
                if (seq <= round_max || seq <= last)
                    fail_msg("round %d: durable seq %" PRIu64 " after %" PRIu64, round, seq,
                             round_max > last ? round_max : last);
                round_max = seq;
                acks++;
                if (!armed) {
                    deadline = gm_time_mono_ns() + delay_ns;
                    armed = 1;
                }
            }
        }
        assert_int_equal(have, 0);
        close(fds[0]);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %d: the child ended by itself (status 0x%x)", round, status);
        if (round_max > max_acked)
            max_acked = round_max;
        rounds_with_acks += acks > 0;

        uint64_t before = last;
        last = verify(dir, max_acked, &snap_seq);
        assert_true(last >= before); /* nothing that was there disappears */
        print_message("    round %d: killed after %3" PRId64 " ms, %6" PRIu64
                      " acknowledgements, acknowledged up to %7" PRIu64 ", recovered up to %7" PRIu64
                      ", snapshot at %7" PRIu64 "\n",
                      round, delay_ns / 1000000, acks, max_acked, last, snap_seq);
    }
    /* The test is only worth something if the children got work done. */
    assert_true(rounds_with_acks >= ROUNDS - 3);
    assert_true(snap_seq > 0); /* snapshots were taken, and recovered */
    assert_int_equal(nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_and_recover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
