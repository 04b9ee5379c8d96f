/* The gemel program: dispatch, help, version, exit codes and error lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "base/version.h"
#include "run.h"

#define RUN(...) cli_run((const char *const[]){"gemel", __VA_ARGS__, NULL})

static void test_help_and_version(void **state)
{
    (void)state;
    cli_result r = RUN("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: gemel <command>"));
    assert_non_null(strstr(r.out, "demo"));
    assert_non_null(strstr(r.out, "version"));
    assert_string_equal(r.err, "");
    cli_free(&r);

    r = RUN("--version");
    assert_int_equal(r.status, 0);
    char want[64];
    snprintf(want, sizeof want, "gemel %s ", GM_VERSION);
    assert_memory_equal(r.out, want, strlen(want));
    assert_int_equal(count_lines(r.out), 1);
    cli_free(&r);

    r = RUN("version", "--json");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *v = json_loads(r.out, 0, &je);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "version")), GM_VERSION);
    json_decref(v);
    cli_free(&r);

    /* Every command answers --help on stdout with exit 0, and `help CMD` agrees. */
    const char *cmds[] = {"demo", "process", "sim", "version", NULL};
    for (int i = 0; cmds[i]; i++) {
        cli_result a = RUN(cmds[i], "--help");
        cli_result b = RUN("help", cmds[i]);
        assert_int_equal(a.status, 0);
        assert_int_equal(b.status, 0);
        assert_non_null(strstr(a.out, "Usage: gemel "));
        assert_string_equal(a.out, b.out);
        cli_free(&a);
        cli_free(&b);
    }

    /* Help on help is the overview, like `gemel --help`. */
    cli_result top = RUN("--help");
    const char *const asks[][2] = {{"help", "--help"}, {"help", "-h"}, {"help", "help"}};
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        cli_result h = RUN(asks[i][0], asks[i][1]);
        if (h.status != 0 || strcmp(h.out, top.out) != 0 || h.err[0])
            fail_msg("gemel %s %s: exit %d, stderr '%s'", asks[i][0], asks[i][1], h.status,
                     h.err);
        cli_free(&h);
    }
    cli_free(&top);
}

/* Usage errors: exit 2 and exactly one line on stderr starting "gemel: ". */
static void expect_usage_error(cli_result r, const char *fragment)
{
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    assert_memory_equal(r.err, "gemel: ", 7);
    if (!strstr(r.err, fragment))
        fail_msg("stderr '%s' lacks '%s'", r.err, fragment);
    assert_string_equal(r.out, "");
    cli_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_usage_error(RUN("frobnicate"), "unknown command 'frobnicate'");
    expect_usage_error(RUN("--frob"), "unknown option '--frob'");
    expect_usage_error(RUN("help", "frobnicate"), "gemel: help: unknown command 'frobnicate'");
    expect_usage_error(RUN("help", "sim", "extra"), "gemel: help: unexpected argument 'extra'");
    expect_usage_error(RUN("demo", "--config", ""), "gemel: --config: expected a file name, got ''");
    expect_usage_error(RUN("version", "--bogus"), "version: unknown option '--bogus'");
    expect_usage_error(RUN("version", "extra"), "unexpected argument 'extra'");
    expect_usage_error(RUN("demo", "--threads"), "option '--threads' needs a value");
    expect_usage_error(RUN("demo", "--threads", "0"), "--threads: expected an integer in 1..1024");
    expect_usage_error(RUN("demo", "--threads", "two"), "--threads: expected a non-negative");
    expect_usage_error(RUN("demo", "--config", "/nonexistent/demo.json"), "/nonexistent/demo.json");
    expect_usage_error(RUN("demo", "--reps", "1"), "--reps: expected an integer in 2..");

    /* No command at all: usage on stderr, exit 2. */
    cli_result r = cli_run((const char *const[]){"gemel", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "Usage: gemel"));
    cli_free(&r);
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

#define SMALL_MODEL                                                                               \
    "{\"type\": \"queueing-network\", \"stop\": {\"customers\": 20000},"                          \
    " \"warmup\": {\"customers\": 1000},"                                                         \
    " \"arrivals\": [{\"to\": \"desk\", \"interarrival\": {\"dist\": \"exponential\", \"mean\": 0.5}}]," \
    " \"stations\": [{\"name\": \"desk\", \"servers\": 1,"                                        \
    "   \"service\": {\"dist\": \"exponential\", \"mean\": 0.4}}]}"

/* A bad model names the file, the JSON path and what was expected; exit 2. */
static void test_bad_models(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-model-XXXXXX";
    close(mkstemp(path));
    write_file(path, "{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100},"
                     " \"arrivals\": [{\"to\": \"desk\", \"interarrival\":"
                     " {\"dist\": \"exponential\", \"mean\": 1}}],"
                     " \"stations\": [{\"name\": \"desk\", \"service\":"
                     " {\"dist\": \"exponential\", \"mean\": \"x\"}}]}");
    char want[256];
    snprintf(want, sizeof want, "gemel: %s: stations[0].service.mean: expected number", path);
    for (int cmd = 0; cmd < 2; cmd++) {
        cli_result r = cmd ? RUN("sim", path) : RUN("demo", "--config", path);
        if (!strstr(r.err, want))
            fail_msg("stderr '%s' lacks '%s'", r.err, want);
        expect_usage_error(r, "gemel: ");
    }
    write_file(path, "{\"type\": \"queueing-network\",\n \"stop\": {\"customers\": 100},,}");
    snprintf(want, sizeof want, "%s:2:", path); /* line 2 */
    expect_usage_error(RUN("sim", path), want);
    unlink(path);
    expect_usage_error(RUN("sim", "/nonexistent/model.json"), "/nonexistent/model.json");
    expect_usage_error(RUN("sim"), "missing MODEL.json");
    expect_usage_error(RUN("sim", "a.json", "b.json"), "unexpected argument 'b.json'");
    expect_usage_error(RUN("sim", "a.json", "--reps", "0"), "--reps: expected an integer in 1..");
    expect_usage_error(RUN("sim", ""), "gemel: sim: MODEL.json: expected a file name, got ''");
}

/* Exactly this on stderr, nothing on stdout, exit status. */
static void expect_error(cli_result r, int status, const char *line)
{
    if (r.status != status || strcmp(r.err, line) != 0 || r.out[0])
        fail_msg("exit %d, stderr '%s', stdout '%.80s'; expected exit %d, stderr '%s'", r.status,
                 r.err, r.out, status, line);
    cli_free(&r);
}

/* A stop rule the kernel cannot reach is refused at once, with the largest
   value it would take. */
static void test_sim_unreachable_stop(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-model-XXXXXX";
    close(mkstemp(path));
    write_file(path, "{\"type\": \"queueing-network\", \"stop\": {\"time\": 1e308},"
                     " \"arrivals\": [{\"to\": \"desk\", \"interarrival\": {\"dist\": \"exponential\", \"mean\": 0.37037037}}],"
                     " \"stations\": [{\"name\": \"desk\", \"servers\": 3, \"service\": {\"dist\": \"exponential\", \"mean\": 1}}]}");
    char want[512];
    snprintf(want, sizeof want,
             "gemel: %s: stop.time: expected at most 1.01e+11: the model makes at least 5.4 "
             "events per unit of time (arrivals and service completions) and one run holds at "
             "most 2^39; got 1e+308\n",
             path);
    expect_error(RUN("sim", path), 2, want);
    unlink(path);
}

/* An overloaded network: the warning names the station and its load, on
   stderr and in the output; batch-means intervals are withheld; utilization
   intervals never leave [0, 1]. */
static void test_sim_overload(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-model-XXXXXX";
    close(mkstemp(path));
    write_file(path, "{\"type\": \"queueing-network\", \"stop\": {\"customers\": 20000},"
                     " \"arrivals\": [{\"to\": \"desk\", \"interarrival\": {\"dist\": \"exponential\", \"mean\": 0.2}}],"
                     " \"stations\": [{\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1}}]}");
    const char *why = "no steady state: station 'desk': offered load 5 >= 1 (5 arrivals per "
                      "unit of time x mean service 1 / 1 server). The queue there grows without "
                      "bound, so these KPIs describe this run only and grow with its length";
    char want[1024];
    snprintf(want, sizeof want, "gemel: %s: warning: %s\n", path, why);
    for (int reps = 1; reps <= 8; reps += 7) {
        char nreps[8];
        snprintf(nreps, sizeof nreps, "%d", reps);
        cli_result r = RUN("sim", path, "--json", "--reps", nreps);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, want);
        json_error_t je;
        json_t *j = json_loads(r.out, 0, &je);
        assert_non_null(j);
        const char *w = json_string_value(json_array_get(json_object_get(j, "warnings"), 0));
        assert_non_null(w);
        assert_memory_equal(w, why, strlen(why));
        json_t *u = json_object_get(json_object_get(j, "kpis"), "desk.utilization");
        json_t *ci = json_object_get(u, "ci95");
        if (reps == 1) {
            /* batch means need a steady state: no interval */
            assert_true(json_is_null(json_array_get(ci, 0)) && json_is_null(json_array_get(ci, 1)));
            assert_non_null(strstr(w, "batch-means intervals need a steady state"));
        } else {
            double lo = json_number_value(json_array_get(ci, 0));
            double hi = json_number_value(json_array_get(ci, 1));
            assert_true(0 <= lo && lo <= hi && hi <= 1);
        }
        json_decref(j);
        cli_free(&r);
    }
    cli_result t = RUN("sim", path, "--reps", "3");
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.out, "Warning: no steady state: station 'desk'"));
    cli_free(&t);
    unlink(path);
}

/* gemel sim --json: the documented shape, and identical numbers for any
   thread count. */
static void test_sim_json(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-model-XXXXXX";
    close(mkstemp(path));
    write_file(path, SMALL_MODEL);
    cli_result a = RUN("sim", path, "--json", "--reps", "4", "--threads", "1");
    cli_result b = RUN("sim", path, "--json", "--reps", "4", "--threads", "2");
    cli_result t = RUN("sim", path, "--reps", "4");
    unlink(path);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.out, "desk.wait_mean"));
    json_error_t je;
    json_t *ja = json_loads(a.out, 0, &je), *jb = json_loads(b.out, 0, &je);
    assert_non_null(ja);
    assert_non_null(jb);
    assert_int_equal(json_integer_value(json_object_get(ja, "replications")), 4);
    assert_true(json_integer_value(json_object_get(ja, "events")) > 80000);
    assert_true(json_is_number(json_object_get(ja, "wall_seconds")));
    json_t *ka = json_object_get(ja, "kpis"), *kb = json_object_get(jb, "kpis");
    const char *keys[] = {"desk.wait_mean", "desk.sojourn_mean", "desk.utilization",
                          "desk.queue_len_mean", "desk.p_wait", "desk.throughput",
                          "system.sojourn_mean", "system.throughput", NULL};
    for (int i = 0; keys[i]; i++) {
        json_t *k = json_object_get(ka, keys[i]);
        if (!k)
            fail_msg("missing KPI %s", keys[i]);
        double mean = json_number_value(json_object_get(k, "mean"));
        json_t *ci = json_object_get(k, "ci95");
        assert_int_equal(json_array_size(ci), 2);
        double lo = json_number_value(json_array_get(ci, 0)), hi = json_number_value(json_array_get(ci, 1));
        assert_true(lo <= mean && mean <= hi);
        /* Same numbers whatever the thread count. */
        assert_true(json_equal(k, json_object_get(kb, keys[i])));
    }
    /* M/M/1 with rho = 0.8: utilization 0.8 within its interval's reach. */
    double u = json_number_value(json_object_get(json_object_get(ka, "desk.utilization"), "mean"));
    assert_true(fabs(u - 0.8) < 0.03);
    json_decref(ja);
    json_decref(jb);
    cli_free(&a);
    cli_free(&b);
    cli_free(&t);
}

/* gemel process: --check prints the structure (as JSON with --json); no
   --check, a missing file or an unsupported element exit 2 with one line. */
static void test_process_check(void **state)
{
    (void)state;
    const char *seed = GEMEL_SOURCE_DIR "/fuzz/seeds/bpmn/small.bpmn";
    cli_result r = RUN("process", seed, "--check", "--json");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("process --check --json printed '%s'", r.out);
    json_decref(j);
    assert_non_null(strstr(r.out, "\"check order\""));
    cli_free(&r);
    expect_usage_error(RUN("process", seed), "use --check");
    expect_usage_error(RUN("process", "/nonexistent/x.bpmn", "--check"), "/nonexistent/x.bpmn");
    char path[] = "/tmp/gemel-bpmn-XXXXXX";
    close(mkstemp(path));
    write_file(path, "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
                     "<process id=\"p\"><startEvent id=\"s\"/>\n"
                     "<complexGateway id=\"cg\"/></process></definitions>\n");
    char want[256];
    snprintf(want, sizeof want, "%s:3: element 'cg' (complexGateway) is not supported yet", path);
    expect_usage_error(RUN("process", path, "--check"), want);
    unlink(path);
}

/* gemel process --params on the shipped example: the clerks' utilization
   is what the arrival rate and the work they do imply, lambda * E[work] / c =
   (1/6) * (6 + 0.15 * 2 + 0.85 * 2) / 2 = 2/3; the warehouse's (1/6) * 0.85 * 4.4. */
static void test_process_simulate(void **state)
{
    (void)state;
    cli_result r = RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--params",
                       GEMEL_SOURCE_DIR "/examples/orders.params.json", "--json", "--reps", "4");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("process --params --json printed '%s'", r.out);
    json_t *k = json_object_get(j, "kpis");
    double clerk = json_number_value(json_object_get(json_object_get(k, "clerk.utilization"), "mean"));
    double wh = json_number_value(json_object_get(json_object_get(k, "warehouse.utilization"), "mean"));
    double rej = json_number_value(json_object_get(json_object_get(k, "reject.count"), "mean"));
    assert_true(fabs(clerk - 2.0 / 3.0) < 0.01);
    assert_true(fabs(wh - 0.85 * 4.4 / 6) < 0.01);
    assert_true(fabs(rej - 0.15) < 0.01);
    json_decref(j);
    cli_free(&r);
    expect_usage_error(RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--params",
                           "/nonexistent/p.json"),
                       "/nonexistent/p.json");
}

/* Errors in the parameters name their file and JSON path; a log that cannot
   be written stops the command before it simulates. */
static void test_process_messages(void **state)
{
    (void)state;
    const char *model = GEMEL_SOURCE_DIR "/examples/orders.bpmn";
    char path[] = "/tmp/gemel-params-XXXXXX";
    close(mkstemp(path));
    char want[512];
    write_file(path, "[]");
    snprintf(want, sizeof want, "gemel: %s: expected object, got array\n", path);
    expect_error(RUN("process", model, "--params", path), 2, want);
#define PARAMS(start, check)                                                                     \
    "{\"type\": \"process-simulation\", \"cases\": 100, " start                                   \
    " \"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 6}},"                   \
    " \"resources\": [{\"name\": \"clerk\", \"count\": 2}],"                                         \
    " \"tasks\": {\"check\": " check ", \"reject\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"  \
    "  \"ship\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"                         \
    "  \"invoice\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}},"                     \
    " \"gateways\": {\"accepted\": {\"f-yes\": 0.85, \"f-no\": 0.15}}}"
#define CHECK_OK "{\"duration\": {\"dist\": \"constant\", \"value\": 5}}"
    write_file(path, PARAMS("\"start\": \"2024-01-01T08:00:00+0x:00\",", CHECK_OK));
    snprintf(want, sizeof want,
             "gemel: %s: start: offset 21: expected a digit in offset hour, got 'x'\n", path);
    expect_error(RUN("process", model, "--params", path), 2, want);
    write_file(path, PARAMS("", "{\"duration\": 5}"));
    snprintf(want, sizeof want, "gemel: %s: tasks.check.duration: expected object, got integer\n",
             path);
    expect_error(RUN("process", model, "--params", path), 2, want);
    write_file(path, PARAMS("", CHECK_OK));
    cli_result ok = RUN("process", model, "--params", path, "--reps", "2");
    assert_int_equal(ok.status, 0); /* the base of the broken ones is sound */
    cli_free(&ok);
#undef PARAMS
#undef CHECK_OK
    unlink(path);
    expect_error(RUN("process", model, "--params", ""), 2,
                 "gemel: --params: expected a file name, got ''\n");
    expect_error(RUN("process", model, "--params", GEMEL_SOURCE_DIR "/examples/orders.params.json",
                     "--log", ""),
                 2, "gemel: --log: expected a file name, got ''\n");

    struct stat st;
    if (stat("/dev/full", &st) != 0)
        GM_TEST_SKIP("no /dev/full here");
    char full[] = "/tmp/gemel-full-XXXXXX.csv";
    close(mkstemps(full, 4));
    unlink(full);
    assert_int_equal(symlink("/dev/full", full), 0);
    snprintf(want, sizeof want,
             "gemel: %s: cannot write the event log: No space left on device\n", full);
    expect_error(RUN("process", model, "--params", GEMEL_SOURCE_DIR "/examples/orders.params.json",
                     "--log", full),
                 1, want);
    unlink(full);
}

/* --log: replication 0's event log as CSV, the same for any thread count;
   shipping follows 85% of the checks, and no task ends before it starts.
   The same run as XES has one trace per case. */
static void test_process_event_log(void **state)
{
    (void)state;
    char a[] = "/tmp/gemel-log-a-XXXXXX.csv", b[] = "/tmp/gemel-log-b-XXXXXX.csv";
    char x[] = "/tmp/gemel-log-x-XXXXXX.xes";
    close(mkstemps(a, 4));
    close(mkstemps(b, 4));
    close(mkstemps(x, 4));
    cli_result r1 = RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--params",
                        GEMEL_SOURCE_DIR "/examples/orders.params.json", "--reps", "2",
                        "--threads", "1", "--log", a);
    cli_result r2 = RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--params",
                        GEMEL_SOURCE_DIR "/examples/orders.params.json", "--reps", "3",
                        "--threads", "2", "--log", b);
    cli_result r3 = RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--params",
                        GEMEL_SOURCE_DIR "/examples/orders.params.json", "--reps", "2",
                        "--cases", "100", "--log", x);
    assert_int_equal(r1.status, 0);
    assert_int_equal(r2.status, 0);
    assert_int_equal(r3.status, 0);
    cli_free(&r1);
    cli_free(&r2);
    cli_free(&r3);
    int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY), fx = open(x, O_RDONLY);
    char *ta = slurp_fd(fa), *tb = slurp_fd(fb), *tx = slurp_fd(fx);
    close(fa);
    close(fb);
    close(fx);
    unlink(a);
    unlink(b);
    unlink(x);
    assert_string_equal(ta, tb);
    assert_memory_equal(ta, "case_id,activity,resource,start,end\n", 36);
    long checks = 0, ships = 0, rows = 0;
    for (char *line = strtok(ta + 36, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long id;
        char act[64], res[64], start[40], end[40];
        if (sscanf(line, "%llu,%63[^,],%63[^,],%39[^,],%39s", &id, act, res, start, end) != 5)
            fail_msg("bad row '%s'", line);
        /* RFC 3339 in one offset: the text orders like the time */
        assert_int_equal(strlen(start), strlen("2024-01-01T00:23:24.966Z"));
        assert_true(strcmp(end, start) >= 0);
        checks += strcmp(act, "check order") == 0;
        ships += strcmp(act, "pick and ship") == 0;
        rows++;
    }
    assert_true(rows > 50000);
    assert_true(fabs((double)ships / (double)checks - 0.85) < 0.01);
    /* XES: 100 measured cases plus the warm-up and the cases arriving while
       they finish; every trace has its case id and start/complete pairs */
    assert_non_null(strstr(tx, "<log xes.version=\"2.0\""));
    size_t traces = 0, starts = 0, completes = 0;
    for (const char *q = tx; (q = strstr(q, "<trace>")); q++)
        traces++;
    for (const char *q = tx; (q = strstr(q, "value=\"start\"")); q++)
        starts++;
    for (const char *q = tx; (q = strstr(q, "value=\"complete\"")); q++)
        completes++;
    assert_true(traces >= 1100);
    assert_int_equal(starts + 1, completes); /* + the global default "complete" */
    assert_true(starts >= 2 * traces);
    free(ta);
    free(tb);
    free(tx);
    expect_usage_error(RUN("process", GEMEL_SOURCE_DIR "/examples/orders.bpmn", "--check",
                           "--log", "/tmp/x.csv"),
                       "--log, --cases and --print-params need a simulation");
}

/* --scylla and --bimp on the shared samples: the translated parameters
   print as gemel JSON, and the runs give the bottleneck ranking and the WIP
   profile. */
static void test_process_foreign_params(void **state)
{
    (void)state;
    struct stat st;
    if (stat(GEMEL_SHARED_DATA "/bpmn/scylla/p0_globalconf.xml", &st) != 0) {
        GM_TEST_SKIP("%s/bpmn/scylla not found", GEMEL_SHARED_DATA);
    }
#define SC GEMEL_SHARED_DATA "/bpmn/scylla/"
    cli_result r = RUN("process", SC "p4_parallel.bpmn", "--scylla", SC "p4_parallel_sim.xml",
                       SC "p0_globalconf.xml", "--print-params");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "process-simulation");
    assert_int_equal(json_integer_value(json_object_get(j, "cases")), 10);
    json_decref(j);
    cli_free(&r);

    r = RUN("process", SC "p4_parallel.bpmn", "--scylla", SC "p4_parallel_sim.xml",
            SC "p0_globalconf.xml", "--json", "--reps", "4");
    assert_int_equal(r.status, 0);
    j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("--scylla --json printed '%s'", r.out);
    /* one pool (Professor) serves every task: it is every task's cause */
    json_t *b = json_object_get(j, "bottlenecks");
    assert_true(json_array_size(b) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "resource")),
                        "Professor");
    assert_int_equal(json_array_size(json_object_get(j, "wip_profile")), 20);
    json_decref(j);
    cli_free(&r);

    /* BIMP: the case arrives on Saturday 12:22; the staff works Monday to
       Friday from 09:00, so the first task waits until Monday morning */
    r = RUN("process", SC "p5_batch.bpmn", "--bimp", "--json", "--reps", "2");
    assert_int_equal(r.status, 0);
    j = json_loads(r.out, 0, &je);
    assert_non_null(j);
    double wait = json_number_value(
        json_object_get(json_object_get(json_object_get(j, "kpis"), "case.waiting_time_mean"),
                        "mean"));
    assert_true(wait > 2600 && wait < 2800); /* minutes: about 44 h */
    json_decref(j);
    cli_free(&r);
    /* its pools work only after the weekend of the arrivals, outside the
       window utilization is measured in: shown as "-", never "nan" */
    r = RUN("process", SC "p5_batch.bpmn", "--bimp", "--reps", "2");
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "nan"));
    assert_non_null(strstr(r.out, "for Ordering_employee (utilization -)"));
    cli_free(&r);

    expect_usage_error(RUN("process", SC "p4_parallel.bpmn", "--scylla", SC "p4_parallel_sim.xml"),
                       "--scylla needs SIM.xml GLOBAL.xml");
#undef SC
}

/* The demo runs end to end and finds the bottleneck and a what-if. */
/* gemel model validate and show on the shipped example, a broken model and
   a suite case that needs --allow-undefined-extensions. */
#define FACTORY GEMEL_SOURCE_DIR "/examples/models/factory"
static void test_model_validate(void **state)
{
    (void)state;
    cli_result r = RUN("model", "validate", FACTORY);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "3 files, 3 interfaces: valid\n");
    cli_free(&r);

    char dir[] = "/tmp/gemel-models-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s/pump.json", dir);
    write_file(path, "{\"@context\": \"dtmi:dtdl:context;3\", \"@id\": \"dtmi:ex:Pump;1\","
                     " \"@type\": \"Interface\", \"extends\": \"dtmi:ex:Base;1\", \"contents\":"
                     " [{\"@type\": \"Property\", \"name\": \"flow\", \"schema\": \"decimal\"}]}");
    r = RUN("model", "validate", "--json", dir);
    assert_int_equal(r.status, 1);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("model validate --json printed '%s'", r.out);
    assert_true(json_is_false(json_object_get(j, "valid")));
    json_t *u = json_object_get(j, "unresolved");
    assert_int_equal(json_array_size(u), 1);
    assert_string_equal(json_string_value(json_array_get(u, 0)), "dtmi:ex:Base;1");
    json_t *errs = json_object_get(j, "errors");
    bool schema_error = false;
    for (size_t i = 0; i < json_array_size(errs); i++) {
        json_t *e = json_array_get(errs, i);
        assert_string_equal(json_string_value(json_object_get(e, "file")), path);
        schema_error |= strcmp(json_string_value(json_object_get(e, "where")),
                               "contents[0].schema") == 0 &&
                        strstr(json_string_value(json_object_get(e, "message")), "'decimal'");
    }
    assert_true(schema_error);
    json_decref(j);
    cli_free(&r);
    /* text: one line per problem, FILE: PATH: MESSAGE */
    r = RUN("model", "validate", path);
    assert_int_equal(r.status, 1);
    char want[700];
    snprintf(want, sizeof want, "%s: contents[0].schema: 'decimal' is not a schema", path);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "unresolved: dtmi:ex:Base;1\n"));
    cli_free(&r);
    /* a file that is not JSON: its line and column */
    write_file(path, "{\n  \"@id\": oops\n}");
    r = RUN("model", "validate", path);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof want, "%s: 2:", path);
    assert_non_null(strstr(r.out, want));
    cli_free(&r);
    /* undefined extensions: refused by default, accepted when allowed */
    write_file(path, "{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:com:acme:ext;1\"],"
                     " \"@id\": \"dtmi:ex:Pump;1\", \"@type\": \"Interface\", \"contents\":"
                     " [{\"@type\": [\"Telemetry\", \"dtmi:com:acme:Special;1\"], \"name\": \"flow\","
                     " \"schema\": \"double\", \"dtmi:com:acme:level;1\": 3}]}");
    r = RUN("model", "validate", path);
    assert_int_equal(r.status, 1);
    cli_free(&r);
    r = RUN("model", "validate", "--allow-undefined-extensions", path);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    unlink(path);
    rmdir(dir);

    expect_usage_error(RUN("model", "validate", "/nonexistent/models"), "/nonexistent/models");
    expect_usage_error(RUN("model", "frobnicate"), "unknown sub-command");
    expect_usage_error(RUN("model", "validate"), "at least one PATH");
}

static void test_model_show(void **state)
{
    (void)state;
    cli_result r = RUN("model", "show", "dtmi:com:example:factory:Machine;1", "--models", FACTORY);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "contents: 7 (5 own, 2 inherited)"));
    assert_non_null(strstr(r.out, "double  Temperature [degreeCelsius]"));
    assert_non_null(strstr(r.out, "(from dtmi:com:example:factory:Asset;1)"));
    cli_free(&r);
    r = RUN("model", "show", "--json", "--models", FACTORY, "dtmi:com:example:factory:Machine;1");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("model show --json printed '%s'", r.out);
    json_t *c = json_object_get(j, "contents");
    assert_int_equal(json_array_size(c), 7);
    json_t *inst = json_array_get(c, 6);
    assert_string_equal(json_string_value(json_object_get(inst, "name")), "installed");
    assert_string_equal(json_string_value(json_object_get(inst, "definedIn")),
                        "dtmi:com:example:factory:Asset;1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(inst, "schema"), "@type")),
                        "Object");
    json_decref(j);
    cli_free(&r);
    expect_usage_error(RUN("model", "show", "dtmi:ex:Nope;1", "--models", FACTORY), "no such interface");
    expect_usage_error(RUN("model", "show", "dtmi:ex:Nope;1"), "needs --models");
}

/* A property whose schema is a quantitativeTypes unit type shows the unit
   type's name, as the model wrote it, not the Enum of its units. */
static void test_model_show_unit_type(void **state)
{
    (void)state;
    char dir[] = "/tmp/gemel-units-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s/Sensor.json", dir);
    write_file(path, "{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
                     " \"@id\": \"dtmi:ex:Sensor;1\", \"@type\": \"Interface\", \"contents\": ["
                     "{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"t\","
                     " \"schema\": \"double\", \"unit\": \"degreeCelsius\"},"
                     "{\"@type\": \"Property\", \"name\": \"tUnit\", \"schema\": \"TemperatureUnit\","
                     " \"writable\": true}]}");
    cli_result r = RUN("model", "show", "dtmi:ex:Sensor;1", "--models", path);
    assert_int_equal(r.status, 0);
    if (!strstr(r.out, "\n  Property     tUnit  TemperatureUnit  writable\n") || strstr(r.out, "Enum"))
        fail_msg("model show printed '%s'", r.out);
    cli_free(&r);
    r = RUN("model", "show", "--json", "--models", path, "dtmi:ex:Sensor;1");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j)
        fail_msg("model show --json printed '%s'", r.out);
    json_t *c = json_array_get(json_object_get(j, "contents"), 1);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "tUnit");
    assert_string_equal(json_string_value(json_object_get(c, "schema")), "TemperatureUnit");
    json_decref(j);
    cli_free(&r);
    unlink(path);
    rmdir(dir);
}

/* gemel twin: import the example, change and query it, export it and import
   the export elsewhere: the same graph. */
static void test_twin_commands(void **state)
{
    (void)state;
    char dir[] = "/tmp/gemel-twin-XXXXXX", dir2[] = "/tmp/gemel-twin2-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(dir2));
    char data[600], data2[600], exp1[600], exp2[600], patch[600], bad[600];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(data2, sizeof data2, "%s/data", dir2);
    snprintf(exp1, sizeof exp1, "%s/export.ndjson", dir);
    snprintf(exp2, sizeof exp2, "%s/export.ndjson", dir2);
    snprintf(patch, sizeof patch, "%s/patch.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.ndjson", dir);
    cli_result r = RUN("twin", "import", GEMEL_SOURCE_DIR "/examples/twins/factory.ndjson", "--data", data);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "imported 3 models, 10 twins, 14 relationships; 0 lines refused"));
    cli_free(&r);

    write_file(patch, "[{\"op\": \"replace\", \"path\": \"/state\", \"value\": \"IDLE\"}]");
    r = RUN("twin", "patch", "press-2", patch, "--data", data);
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *t = json_loads(r.out, 0, &je);
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "state")), "IDLE");
    char etag[64];
    snprintf(etag, sizeof etag, "%s", json_string_value(json_object_get(t, "$etag")));
    json_decref(t);
    cli_free(&r);
    /* a stale ETag, an invalid value: exit 2, one line naming the twin and the path */
    expect_usage_error(RUN("twin", "patch", "press-2", patch, "--data", data, "--if-match", "W/\"1\""),
                       "does not match the current ETag");
    write_file(patch, "[{\"op\": \"replace\", \"path\": \"/state\", \"value\": \"BROKEN\"}]");
    expect_usage_error(RUN("twin", "patch", "press-2", patch, "--data", data, "--if-match", etag),
                       "press-2: state: 'BROKEN' is not a value of the enum");
    expect_usage_error(RUN("twin", "get", "press-99", "--data", data), "press-99");
    expect_usage_error(RUN("twin", "delete", "press-1", "--data", data), "delete them first");
    expect_usage_error(RUN("twin", "get", "press-1"), "--data DIR is required");

    r = RUN("twin", "query", "SELECT COUNT() FROM DIGITALTWINS T WHERE T.state = 'IDLE'", "--data", data);
    assert_int_equal(r.status, 0);
    json_t *q = json_loads(r.out, 0, &je);
    assert_non_null(q);
    /* press-1 and press-5 were IDLE in the file, press-2 is now */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(q, "value"), 0),
                                                        "COUNT")), 3);
    assert_true(json_is_null(json_object_get(q, "continuationToken")));
    json_decref(q);
    cli_free(&r);
    expect_usage_error(RUN("twin", "query", "SELECT * FROM DIGITALTWINS WHERE", "--data", data),
                       "query:1:");

    /* the change events: the import's 1 + 10 + 14, then the patch */
    r = RUN("twin", "events", "--data", data, "--after", "25");
    assert_int_equal(r.status, 0);
    json_t *ev = json_loads(r.out, 0, &je); /* exactly one line */
    if (!ev)
        fail_msg("twin events printed '%s'", r.out);
    assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 26);
    assert_string_equal(json_string_value(json_object_get(ev, "kind")), "twin.patch");
    assert_string_equal(json_string_value(json_object_get(ev, "twin")), "press-2");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(ev, "body"), 0), "value")),
                        "IDLE");
    json_decref(ev);
    cli_free(&r);
    r = RUN("twin", "events", "--data", data, "--limit", "2");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "{\"seq\":1,\"kind\":\"models.add\""));
    assert_non_null(strstr(r.out, "\n{\"seq\":2,\"kind\":\"twin.create\""));
    assert_null(strstr(r.out, "\"seq\":3"));
    cli_free(&r);
    r = RUN("twin", "events", "--data", data, "--after", "26");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    cli_free(&r);
    expect_usage_error(RUN("twin", "events", "--data", data, "--after", "-1"),
                       "gemel: --after: expected a non-negative integer, got '-1'");
    expect_usage_error(RUN("twin", "events", "--data", data, "--limit", "0"),
                       "gemel: --limit: expected an integer in 1..");

    /* export, import elsewhere, export again: the same lines */
    r = RUN("twin", "export", exp1, "--data", data);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    r = RUN("twin", "import", exp1, "--data", data2);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    r = RUN("twin", "export", exp2, "--data", data2);
    assert_int_equal(r.status, 0);
    cli_free(&r);
    r = RUN("twin", "get", "press-2", "--data", data2);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"IDLE\""));
    cli_free(&r);

    /* a bad line stops the import there, with its number; or is skipped */
    write_file(bad, "{\"Section\": \"Header\"}\n{}\n{\"Section\": \"Twins\"}\n"
                    "{\"$dtId\": \"a\", \"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"}}\n"
                    "{\"$dtId\": \"b\", \"$metadata\": {\"$model\": \"dtmi:nope;1\"}}\n"
                    "not json\n"
                    "{\"$dtId\": \"c\", \"$metadata\": {\"$model\": \"dtmi:com:example:factory:Line;1\"}}\n");
    r = RUN("twin", "import", bad, "--data", data, "--continue-on-error");
    assert_int_equal(r.status, 2);
    char want[700];
    snprintf(want, sizeof want, "%s:5: ", bad);
    assert_non_null(strstr(r.err, want));
    snprintf(want, sizeof want, "%s:6:1: not valid JSON: invalid token near 'not'\n", bad);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, "2 twins, 0 relationships; 2 lines refused"));
    cli_free(&r);
    r = RUN("twin", "get", "c", "--data", data);
    assert_int_equal(r.status, 0);
    cli_free(&r);

    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, dir2);
    assert_int_equal(system(cmd), 0);
}

static void test_demo_runs(void **state)
{
    (void)state;
    cli_result a = RUN("demo", "--json", "--threads", "2", "--reps", "4");
    assert_int_equal(a.status, 0);
    json_error_t je;
    json_t *ja = json_loads(a.out, 0, &je);
    if (!ja)
        fail_msg("demo --json printed '%s'", a.out);
    assert_true(json_is_true(json_object_get(ja, "same_with_one_thread")));
    assert_string_equal(json_string_value(json_object_get(ja, "bottleneck")), "welding");
    json_t *d = json_object_get(json_object_get(ja, "what_if"), "difference");
    /* A second welder shortens order-to-shipment, clearly. */
    assert_true(json_number_value(json_object_get(d, "mean")) < 0);
    assert_true(json_number_value(json_array_get(json_object_get(d, "ci95"), 1)) < 0);
    json_decref(ja);
    cli_free(&a);
    cli_result t = RUN("demo", "--reps", "3");
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.out, "bottleneck: welding"));
    assert_non_null(strstr(t.out, "reproducible: yes"));
    cli_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_sim_json),
        cmocka_unit_test(test_sim_unreachable_stop),
        cmocka_unit_test(test_sim_overload),
        cmocka_unit_test(test_process_check),
        cmocka_unit_test(test_process_simulate),
        cmocka_unit_test(test_process_messages),
        cmocka_unit_test(test_process_event_log),
        cmocka_unit_test(test_process_foreign_params),
        cmocka_unit_test(test_model_validate),
        cmocka_unit_test(test_model_show),
        cmocka_unit_test(test_model_show_unit_type),
        cmocka_unit_test(test_twin_commands),
        cmocka_unit_test(test_demo_runs),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
