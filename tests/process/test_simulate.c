#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/time.h"
#include "num/dist.h"
#include "num/rng.h"
#include "evlog/evlog.h"
#include "process/bpmn.h"
#include "des/experiment.h"
#include "process/process.h"
#include "procimport/procimport.h"
#include <sys/stat.h>

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

#define HEAD                                                                             \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                       \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\">\n"    \
    "<process id=\"P\">\n"
#define TAIL "</process>\n</definitions>\n"

static gm_bpmn *load_bpmn(const char *doc)
{
    gm_bpmn *m = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_bpmn_load_mem(doc, strlen(doc), "t.bpmn", &m, &err);
    if (rc) {
        char buf[1200];
        print_error("bpmn: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    return m;
}

/* Load model and parameters; returns the gm_err code, fills *out on success. */
static int load(const gm_bpmn *m, const char *params, gm_proc **out, gm_err *err)
{
    gm_err_clear(err);
    json_t *j = gm_json_load_str(params, strlen(params), NULL, "p.json", err);
    assert_non_null(j);
    int rc = gm_proc_load(m, "t.bpmn", j, out, err);
    json_decref(j);
    return rc;
}

static gm_proc *load_ok(const gm_bpmn *m, const char *params)
{
    gm_proc *p = NULL;
    gm_err err;
    int rc = load(m, params, &p, &err);
    if (rc) {
        char buf[1200];
        print_error("params: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    return p;
}

static void run_exp(const gm_proc *p, uint64_t reps, gm_exp_summary *s)
{
    gm_experiment e = {.reps = reps, .threads = 4, .seed = 12345, .nkpi = gm_proc_nkpi(p),
                       .nbatches = 0, .rep = gm_proc_replicate, .ctx = p};
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_experiment_run(&e, s, &err);
    if (rc) {
        char buf[1200];
        print_error("run: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
}

/* The KPI's interval contains theory and its mean is within rel of it. */
static void expect_kpi(const gm_proc *p, const gm_exp_summary *s, const char *name,
                       double theory, double rel)
{
    long i = gm_proc_kpi_index(p, name);
    if (i < 0)
        print_error("no KPI %s\n", name);
    assert_true(i >= 0);
    const gm_exp_kpi *k = &s->kpi[i];
    if (!(k->lo <= theory && theory <= k->hi) || fabs(k->mean - theory) > rel * fabs(theory))
        print_error("%s: mean %g [%g, %g], theory %g\n", name, k->mean, k->lo, k->hi, theory);
    assert_true(k->lo <= theory && theory <= k->hi);
    assert_true(fabs(k->mean - theory) <= rel * fabs(theory));
}

static const char mm1_doc[] = HEAD
    "<laneSet id=\"ls\"><lane id=\"L\" name=\"clerk\"><flowNodeRef>t</flowNodeRef></lane></laneSet>\n"
    "<startEvent id=\"s\"/>\n"
    "<userTask id=\"t\" name=\"Work\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n" TAIL;

/* M/M/1 with rho 0.8; the resource comes from the task's lane. */
static void test_mm1(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 40000, "
                            "\"warmup_cases\": 2000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"resources\": [{\"name\": \"clerk\", \"count\": 1}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.8}}}}");
    assert_int_equal(gm_proc_nkpi(p), 7 + 4 + 2);
    assert_string_equal(gm_proc_kpi_name(p, 0), "case.cycle_time_mean");
    assert_string_equal(gm_proc_kpi_name(p, 8), "t.wait_mean");
    assert_string_equal(gm_proc_kpi_name(p, 11), "clerk.utilization");
    gm_exp_summary s;
    run_exp(p, 20, &s);
    expect_kpi(p, &s, "t.wait_mean", 3.2, 0.05);
    expect_kpi(p, &s, "clerk.utilization", 0.8, 0.01);
    expect_kpi(p, &s, "t.duration_mean", 0.8, 0.01);
    expect_kpi(p, &s, "case.cycle_time_mean", 4.0, 0.05);
    expect_kpi(p, &s, "case.throughput", 1.0, 0.01);
    expect_kpi(p, &s, "t.count", 1.0, 1e-12 + 0.0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static const char par_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<parallelGateway id=\"split\"/>\n"
    "<task id=\"a\"/>\n"
    "<task id=\"b\"/>\n"
    "<parallelGateway id=\"join\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"split\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"split\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"join\" targetRef=\"e\"/>\n" TAIL;

/* E[max(Exp(1), Exp(2))] = 1 + 1/2 - 1/3. */
static void test_parallel(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(par_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 0.5}},"
                            "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"b\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.5}}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "case.cycle_time_mean", 1.0 + 0.5 - 1.0 / 3.0, 0.02);
    expect_kpi(p, &s, "a.wait_mean", 0, 0); /* no resource: no wait */
    expect_kpi(p, &s, "a.count", 1, 0);
    expect_kpi(p, &s, "b.count", 1, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* One long replication: intervals from batch means (as in the kernel). */
static void test_batch_means(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 400000, "
                            "\"warmup_cases\": 5000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"resources\": [{\"name\": \"clerk\", \"count\": 1}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.5}}}}");
    gm_experiment e = {.reps = 1, .threads = 1, .seed = 7, .nkpi = gm_proc_nkpi(p),
                       .nbatches = GM_PROC_BATCHES, .rep = gm_proc_replicate, .ctx = p};
    gm_exp_summary s;
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_experiment_run(&e, &s, &err), 0);
    assert_true(s.batch_means);
    /* M/M/1 with rho 0.5: Wq = 0.5, W = 1, L = 1 (Little). Batch means
       give approximate intervals (batches are not quite independent), so
       the check is the mean within a few half-widths and 3%. */
    static const struct {
        const char *kpi;
        double theory;
    } want[] = {{"t.wait_mean", 0.5},
                {"clerk.utilization", 0.5},
                {"case.cycle_time_mean", 1.0},
                {"case.wip_mean", 1.0}};
    for (size_t i = 0; i < 4; i++) {
        const gm_exp_kpi *k = &s.kpi[gm_proc_kpi_index(p, want[i].kpi)];
        double half = (k->hi - k->lo) / 2;
        if (!(half > 0 && fabs(k->mean - want[i].theory) <= 3 * half &&
              fabs(k->mean - want[i].theory) <= 0.03 * want[i].theory))
            print_error("%s: %g [%g, %g]\n", want[i].kpi, k->mean, k->lo, k->hi);
        assert_true(half > 0);
        assert_true(fabs(k->mean - want[i].theory) <= 3 * half);
        assert_true(fabs(k->mean - want[i].theory) <= 0.03 * want[i].theory);
    }
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static const char xor_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<task id=\"a\"/>\n"
    "<task id=\"b\"/>\n"
    "<exclusiveGateway id=\"m\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"ga\" sourceRef=\"g\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"gb\" sourceRef=\"g\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"m\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"m\" targetRef=\"e\"/>\n" TAIL;

static const char xor_params[] =
    "{\"type\": \"process-simulation\", \"cases\": 20000,"
    "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
    "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 3}}},"
    "\"gateways\": {\"g\": {\"ga\": 0.3, \"gb\": 0.7}}}";

static void test_exclusive(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(xor_doc);
    gm_proc *p = load_ok(m, xor_params);
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "a.count", 0.3, 0.02);
    expect_kpi(p, &s, "b.count", 0.7, 0.02);
    expect_kpi(p, &s, "case.cycle_time_mean", 0.3 * 1 + 0.7 * 3, 0.02);
    gm_exp_summary_free(&s);
    /* Same seed, different thread count: identical results. */
    gm_experiment e = {.reps = 3, .threads = 1, .seed = 12345, .nkpi = gm_proc_nkpi(p),
                       .rep = gm_proc_replicate, .ctx = p};
    gm_exp_summary s1, s2;
    assert_int_equal(gm_experiment_run(&e, &s1, NULL), 0);
    e.threads = 3;
    assert_int_equal(gm_experiment_run(&e, &s2, NULL), 0);
    assert_memory_equal(s1.values, s2.values, 3 * gm_proc_nkpi(p) * sizeof(double));
    gm_exp_summary_free(&s1);
    gm_exp_summary_free(&s2);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static const char loop_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<exclusiveGateway id=\"in\"/>\n"
    "<task id=\"t\"/>\n"
    "<exclusiveGateway id=\"again\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"in\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"in\" targetRef=\"t\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"t\" targetRef=\"again\"/>\n"
    "<sequenceFlow id=\"back\" sourceRef=\"again\" targetRef=\"in\"/>\n"
    "<sequenceFlow id=\"out\" sourceRef=\"again\" targetRef=\"e\"/>\n" TAIL;

static void test_loop(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(loop_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 5}},"
                            "\"resources\": [{\"name\": \"w\", \"count\": 2}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 1},"
                            "\"resource\": \"w\"}},"
                            "\"gateways\": {\"again\": {\"back\": 0.6, \"out\": 0.4}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "t.count", 2.5, 0.02);
    /* offered load 2.5 / 5 per unit time over 2 units */
    expect_kpi(p, &s, "w.utilization", 0.25, 0.02);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static const char term_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<parallelGateway id=\"split\"/>\n"
    "<task id=\"fast\"/>\n"
    "<task id=\"slow\"/>\n"
    "<endEvent id=\"kill\"><terminateEventDefinition/></endEvent>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"split\" targetRef=\"fast\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"split\" targetRef=\"slow\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"fast\" targetRef=\"kill\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"slow\" targetRef=\"e\"/>\n" TAIL;

/* The terminate end event withdraws the slow branch: its resource unit is
   released at once, and waiting requests are cancelled. */
static void test_terminate(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(term_doc);
    /* Deterministic: a case every 10, fast takes 1, slow 5 on resource r. */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 100,"
                            "\"warmup_cases\": 3,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 10}},"
                            "\"resources\": [{\"name\": \"r\", \"count\": 1}],"
                            "\"tasks\": {\"fast\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                            "\"slow\": {\"duration\": {\"dist\": \"constant\", \"value\": 5},"
                            "\"resource\": \"r\"}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    long i = gm_proc_kpi_index(p, "case.cycle_time_mean");
    assert_near(s.kpi[i].mean, 1.0, 1e-12);
    assert_near(s.kpi[gm_proc_kpi_index(p, "slow.count")].mean, 0.0, 0);
    assert_near(s.kpi[gm_proc_kpi_index(p, "fast.count")].mean, 1.0, 0);
    assert_near(s.kpi[gm_proc_kpi_index(p, "r.utilization")].mean, 0.1, 1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* Cases every 0.5 with slow holding r: most slow tokens are still queued
       when their case terminates; the queue must not grow, and every case
       takes exactly 1. */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 2000,"
                   "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 0.5}},"
                   "\"resources\": [{\"name\": \"r\", \"count\": 1}],"
                   "\"tasks\": {\"fast\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                   "\"slow\": {\"duration\": {\"dist\": \"constant\", \"value\": 5},"
                   "\"resource\": \"r\"}}}");
    run_exp(p, 2, &s);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.cycle_time_mean")].mean, 1.0, 1e-12);
    assert_near(s.kpi[gm_proc_kpi_index(p, "slow.count")].mean, 0.0, 0);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.throughput")].mean, 2.0, 1e-3);
    /* r is always busy: a slow token gets it each time the previous holder's
       case ends */
    assert_true(s.kpi[gm_proc_kpi_index(p, "r.utilization")].mean > 0.99);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static void expect_error(const gm_bpmn *m, const char *params, int code, const char *where,
                         const char *what_part)
{
    gm_proc *p = NULL;
    gm_err err;
    int rc = load(m, params, &p, &err);
    if (rc != code || strcmp(err.where, where) != 0 || !strstr(err.what, what_part))
        print_error("got %d '%s' '%s'\n", rc, err.where, err.what);
    assert_int_equal(rc, code);
    assert_null(p);
    assert_string_equal(err.where, where);
    assert_non_null(strstr(err.what, what_part));
}

#define P0 "{\"type\": \"process-simulation\", \"cases\": 10, " \
           "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
#define TASKS_AB "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}," \
                 "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}"

static void test_param_errors(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(xor_doc);
    expect_error(m, P0 TASKS_AB ", \"gateways\": {\"g\": {\"ga\": 0.3, \"gb\": 0.6}}}", GM_EINVAL,
                 "gateways.g", "sum to 0.9");
    expect_error(m, P0 TASKS_AB ", \"gateways\": {\"g\": {\"ga\": 0.3, \"f6\": 0.7}}}", GM_EINVAL,
                 "gateways.g.f6", "unknown flow 'f6'");
    expect_error(m, P0 TASKS_AB ", \"gateways\": {\"zz\": {}}}", GM_EINVAL, "gateways.zz",
                 "unknown gateway");
    expect_error(m, P0 TASKS_AB "}", GM_EINVAL, "gateways", "'g' (t.bpmn:5)");
    expect_error(m,
                 P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}},"
                    "\"gateways\": {\"g\": {\"ga\": 0.3, \"gb\": 0.7}}}",
                 GM_EINVAL, "tasks", "task 'b' (t.bpmn:7) has no entry");
    expect_error(m,
                 P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                    "\"nope\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.nope", "unknown task 'nope'");
    expect_error(m,
                 P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1},"
                    "\"resource\": \"ghost\"},"
                    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.a.resource", "unknown resource 'ghost'");
    expect_error(m, P0 "\"tasks\": {\"a\": {}, \"b\": {}}}", GM_EINVAL, "tasks.a.duration",
                 "");
    expect_error(m,
                 P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"exponential\", \"mean\": -1}},"
                    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.a.duration.mean", "");
    /* times that can be negative are refused at load, not at the first
       negative draw: a duration, a delay, an interarrival time */
    expect_error(m,
                 P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"normal\", \"mean\": 0.1, "
                    "\"sd\": 1}},"
                    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.a.duration", "can be negative; expected a distribution on [0, inf)");
    expect_error(m,
                 "{\"type\": \"process-simulation\", \"cases\": 10, \"arrivals\": "
                 "{\"interarrival\": {\"dist\": \"uniform\", \"min\": -1, \"max\": 3}}," TASKS_AB
                 ", \"gateways\": {\"g\": {\"ga\": 0.3, \"gb\": 0.7}}}",
                 GM_EINVAL, "arrivals.interarrival", "can be negative");
    expect_error(m, P0 "\"resources\": [{\"name\": \"x\", \"count\": 0}]}", GM_EINVAL,
                 "resources[0].count", "");
    expect_error(m, "{\"type\": \"qnet\", \"cases\": 1, \"arrivals\": {\"interarrival\": "
                    "{\"dist\": \"constant\", \"value\": 1}}}",
                 GM_EINVAL, "type", "process-simulation");
    expect_error(m, "{\"type\": \"process-simulation\", \"cases\": 0, \"arrivals\": {}}",
                 GM_EINVAL, "cases", "");
    gm_bpmn_free(m);
}

static void test_unsupported(void **state)
{
    (void)state;
    static const char ebg[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<eventBasedGateway id=\"eg\"/>\n"
        "<receiveTask id=\"r\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"eg\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"eg\" targetRef=\"r\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(ebg);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:5",
                 "eventBasedGateway 'eg' followed by receiveTask 'r'");
    gm_bpmn_free(m);

    /* markers and events need their parameters, named by element and line */
    static const char loopm[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"t\"><standardLoopCharacteristics/></task>\n"
        "<boundaryEvent id=\"msg\" attachedToRef=\"t\"><messageEventDefinition/></boundaryEvent>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n" TAIL;
    m = load_bpmn(loopm);
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.t", "'t' (t.bpmn:5) has a standard loop marker");
    expect_error(m,
                 P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1},"
                    "\"loop\": {\"repeat\": 0.5}}}}",
                 GM_EINVAL, "events", "boundaryEvent 'msg' (t.bpmn:6, message) has no entry");
    expect_error(m,
                 P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1},"
                    "\"loop\": {\"repeat\": 1.5}}}}",
                 GM_EINVAL, "tasks.t.loop.repeat", "");
    expect_error(m,
                 P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1, "
                    "\"unit\": \"fortnights\"}, \"loop\": {\"repeat\": 0.5}}}}",
                 GM_EINVAL, "tasks.t.duration.unit", "");
    gm_bpmn_free(m);

    static const char mi[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"t\"><multiInstanceLoopCharacteristics/></task>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n" TAIL;
    m = load_bpmn(mi);
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "tasks.t", "multi-instance marker");
    gm_bpmn_free(m);
}

/* Inclusive split and join: each branch is taken with probability 1/2
   (redrawn when none is); the join waits for exactly the branches taken. */
static const char or_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<inclusiveGateway id=\"split\"/>\n"
    "<task id=\"a\"/>\n<task id=\"b\"/>\n<task id=\"c\"/>\n"
    "<inclusiveGateway id=\"join\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"split\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"fb\" sourceRef=\"split\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"fc\" sourceRef=\"split\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"ja\" sourceRef=\"a\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jb\" sourceRef=\"b\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jc\" sourceRef=\"c\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"fe\" sourceRef=\"join\" targetRef=\"e\"/>\n" TAIL;

#define OR_TASKS                                                                             \
    "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"             \
    "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 2}},"                         \
    "\"c\": {\"duration\": {\"dist\": \"constant\", \"value\": 4}}}"

static void test_inclusive(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(or_doc);
    /* a and b always, c never: every case takes exactly max(1, 2) */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            OR_TASKS ", \"gateways\": {\"split\": {\"fa\": 1, \"fb\": 1, \"fc\": 0}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.cycle_time_mean")].mean, 2.0, 1e-12);
    assert_near(s.kpi[gm_proc_kpi_index(p, "c.count")].mean, 0.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* Each of a, b, c with 1/2, conditioned on at least one (7/8):
       E[max] = (4 * 1/2 + 2 * 1/4 + 1 * 1/8) / (7/8) = 3. A join firing on
       the first token would give the mean of the minimum (1.57...), one
       waiting for all three would never fire. */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                   "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                   OR_TASKS ", \"gateways\": {\"split\": {\"fa\": 0.5, \"fb\": 0.5, \"fc\": 0.5}}}");
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "case.cycle_time_mean", 3.0, 0.01);
    expect_kpi(p, &s, "c.count", 0.5 / 0.875, 0.01);
    expect_kpi(p, &s, "a.count", 0.5 / 0.875, 0.01);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A timer on a task with exponential duration (mean 10): at 5 it
   interrupts the task (P = e^-0.5) and the case takes the escalation. */
static const char bnd_doc_fmt[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<task id=\"t\"/>\n"
    "<boundaryEvent id=\"late\" attachedToRef=\"t\" cancelActivity=\"%s\">"
    "<timerEventDefinition><timeDuration>PT5M</timeDuration></timerEventDefinition>"
    "</boundaryEvent>\n"
    "<task id=\"esc\"/>\n"
    "<endEvent id=\"e1\"/>\n<endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"late\" targetRef=\"esc\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"esc\" targetRef=\"e2\"/>\n" TAIL;

#define BND_PARAMS                                                                           \
    "{\"type\": \"process-simulation\", \"cases\": 20000, \"time_unit\": \"minutes\","       \
    "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"             \
    "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 600, "         \
    "\"unit\": \"seconds\"}},"                                                               \
    "\"esc\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}"

static void test_boundary_timer(void **state)
{
    (void)state;
    char doc[2048];
    snprintf(doc, sizeof doc, bnd_doc_fmt, "true");
    gm_bpmn *m = load_bpmn(doc);
    gm_proc *p = load_ok(m, BND_PARAMS);
    gm_exp_summary s;
    run_exp(p, 10, &s);
    double q = exp(-0.5); /* P(duration > 5) */
    expect_kpi(p, &s, "esc.count", q, 0.01);
    expect_kpi(p, &s, "t.count", 1 - q, 0.02); /* interrupted runs do not complete */
    /* E[min(D, 5)] + P(D > 5) * 1 */
    expect_kpi(p, &s, "case.cycle_time_mean", 10 * (1 - q) + q, 0.01);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* non-interrupting: t always completes; the case waits for both */
    snprintf(doc, sizeof doc, bnd_doc_fmt, "false");
    m = load_bpmn(doc);
    p = load_ok(m, BND_PARAMS);
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "t.count", 1.0, 1e-12);
    expect_kpi(p, &s, "esc.count", q, 0.01);
    /* E[D; D <= 5] + E[max(D, 6); D > 5] = 10 - 9 e^-0.5 + 10 e^-0.6 */
    expect_kpi(p, &s, "case.cycle_time_mean", 10 - 9 * q + 10 * exp(-0.6), 0.01);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* An error end event inside a sub-process ends it and is caught by the
   sub-process's error boundary event. */
static const char sub_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<subProcess id=\"sp\">\n"
    "  <startEvent id=\"ss\"/>\n  <task id=\"w\"/>\n  <exclusiveGateway id=\"g\"/>\n"
    "  <endEvent id=\"bad\"><errorEventDefinition/></endEvent>\n  <endEvent id=\"ok\"/>\n"
    "  <sequenceFlow id=\"s1\" sourceRef=\"ss\" targetRef=\"w\"/>\n"
    "  <sequenceFlow id=\"s2\" sourceRef=\"w\" targetRef=\"g\"/>\n"
    "  <sequenceFlow id=\"s3\" sourceRef=\"g\" targetRef=\"bad\"/>\n"
    "  <sequenceFlow id=\"s4\" sourceRef=\"g\" targetRef=\"ok\"/>\n"
    "</subProcess>\n"
    "<boundaryEvent id=\"err\" attachedToRef=\"sp\"><errorEventDefinition/></boundaryEvent>\n"
    "<task id=\"fix\"/>\n<task id=\"after\"/>\n"
    "<endEvent id=\"e1\"/>\n<endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sp\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"sp\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"after\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"err\" targetRef=\"fix\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"fix\" targetRef=\"e2\"/>\n" TAIL;

static void test_subprocess_error(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(sub_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"tasks\": {\"w\": {\"duration\": {\"dist\": \"constant\", \"value\": 2}},"
                            "\"fix\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                            "\"after\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                            "\"sp\": {\"cost\": 10}},"
                            "\"gateways\": {\"g\": {\"s3\": 0.3, \"s4\": 0.7}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "fix.count", 0.3, 0.02);
    expect_kpi(p, &s, "after.count", 0.7, 0.01);
    expect_kpi(p, &s, "sp.count", 0.7, 0.01); /* failed runs do not complete */
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.cycle_time_mean")].mean, 3.0, 1e-9);
    assert_near(s.kpi[gm_proc_kpi_index(p, "sp.duration_mean")].mean, 2.0, 1e-9);
    expect_kpi(p, &s, "case.cost_mean", 7.0, 0.01); /* the sub-process's fixed cost */
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* Loop and multi-instance markers. */
static const char mark_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<task id=\"lp\"><standardLoopCharacteristics/></task>\n"
    "<task id=\"par\"><multiInstanceLoopCharacteristics/></task>\n"
    "<task id=\"seq\"><multiInstanceLoopCharacteristics isSequential=\"true\"/></task>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"lp\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"lp\" targetRef=\"par\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"par\" targetRef=\"seq\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"seq\" targetRef=\"e\"/>\n" TAIL;

static void test_markers(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mark_doc);
    /* lp repeats with 0.75 (exit 1/4: 4 runs on average); par runs 3
       instances at once, seq 3 one after another */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 100}},"
                            "\"tasks\": {\"lp\": {\"duration\": {\"dist\": \"constant\", \"value\": 0},"
                            "\"loop\": {\"repeat\": 0.75}},"
                            "\"par\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}, \"instances\": 3},"
                            "\"seq\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}, \"instances\": 3}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "lp.count", 4.0, 0.02);
    assert_near(s.kpi[gm_proc_kpi_index(p, "par.count")].mean, 3.0, 1e-12);
    assert_near(s.kpi[gm_proc_kpi_index(p, "seq.count")].mean, 3.0, 1e-12);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.cycle_time_mean")].mean, 1.0 + 3.0, 1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* An event-based gateway: the first of two exponential events wins. */
static const char ebg_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<eventBasedGateway id=\"g\"/>\n"
    "<intermediateCatchEvent id=\"msg\"><messageEventDefinition/></intermediateCatchEvent>\n"
    "<intermediateCatchEvent id=\"tmo\"><timerEventDefinition/></intermediateCatchEvent>\n"
    "<task id=\"a\"/>\n<task id=\"b\"/>\n<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"msg\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"tmo\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"msg\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"tmo\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"a\" targetRef=\"e\"/>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"b\" targetRef=\"e\"/>\n" TAIL;

static void test_event_gateway(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(ebg_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 0}},"
                            "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 0}}},"
                            "\"events\": {\"msg\": {\"delay\": {\"dist\": \"exponential\", \"mean\": 2}},"
                            "\"tmo\": {\"delay\": {\"dist\": \"exponential\", \"mean\": 3}}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "a.count", 0.6, 0.01); /* (1/2) / (1/2 + 1/3) */
    expect_kpi(p, &s, "b.count", 0.4, 0.02);
    expect_kpi(p, &s, "case.cycle_time_mean", 1.2, 0.01); /* 1 / (1/2 + 1/3) */
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* Costs: 60 per hour is 1 per minute of work; plus the fixed cost. Named
   units with their own durations, taken in turn (the longest idle first). */
static void test_costs_and_units(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 10}},"
                            "\"resources\": [{\"name\": \"clerk\", \"cost_per_hour\": 60,"
                            "\"units\": [{\"name\": \"Anna\"}, {\"name\": \"Bob\", \"cost_per_hour\": 120}]}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 3},"
                            "\"durations\": {\"Anna\": {\"dist\": \"constant\", \"value\": 1}}, \"cost\": 2}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    /* Anna (1 minute, 1 per minute) and Bob (3 minutes, 2 per minute) alternate */
    assert_near(s.kpi[gm_proc_kpi_index(p, "t.duration_mean")].mean, 2.0, 1e-9);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.cost_mean")].mean, 2 + (1 + 6) / 2.0, 1e-9);
    assert_near(s.kpi[gm_proc_kpi_index(p, "clerk.cost_per_case")].mean, 3.5, 1e-9);
    assert_near(s.kpi[gm_proc_kpi_index(p, "clerk.utilization")].mean, 2.0 / 20, 1e-3);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A horizon instead of a case count: the cases arriving before it. */
static void test_horizon(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"horizon\": 100.5,"
                            "\"warmup_time\": 10.5,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 1}},"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 0.5}}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    /* arrivals at 11, 12, ..., 100 */
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.count")].mean, 90, 0);
    assert_near(s.kpi[gm_proc_kpi_index(p, "case.wip_mean")].mean, 0.5, 0.01);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* Office hours: nobody works outside Monday to Friday 09:00-17:00, checked
   on every row of the event log; work pauses overnight. */
static void test_calendar(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"horizon\": 40320,"
                            "\"start\": \"2024-01-01T00:00:00+01:00\","
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 120}},"
                            "\"calendars\": {\"office\": [{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\"}]},"
                            "\"resources\": [{\"name\": \"clerk\", \"count\": 1, \"calendar\": \"office\"}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 20}}}}");
    char path[] = "/tmp/gemel_cal_XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    gm_evlog_clock clk;
    gm_proc_clock(p, &clk);
    gm_evlog *lg = NULL;
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_CSV, &clk, "P", &lg, &err), 0);
    gm_proc_set_log(p, lg);
    gm_exp_summary s;
    run_exp(p, 4, &s);
    assert_int_equal(gm_evlog_close(lg, &err), 0);
    /* 84 cases a week of 20 minutes: 1680 of 2400 minutes on shift */
    expect_kpi(p, &s, "clerk.utilization", 0.7, 0.1);
    gm_exp_summary_free(&s);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    size_t rows = 0, overnight = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        /* case,activity,resource,start,end */
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        char *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
        assert_non_null(c3);
        int64_t t[2];
        int off;
        assert_int_equal(gm_time_parse_rfc3339(c3 + 1, 29, &t[0], &off, NULL), 0);
        assert_int_equal(gm_time_parse_rfc3339(c3 + 31, 29, &t[1], &off, NULL), 0);
        for (int k = 0; k < 2; k++) {
            gm_time_civil cv;
            assert_int_equal(gm_time_to_civil(t[k], off, &cv), 0);
            int minute = cv.hour * 60 + cv.min;
            assert_true(cv.wday >= 1 && cv.wday <= 5);
            if (k == 0)
                assert_true(minute >= 540 && minute < 1020);
            else
                assert_true(minute > 540 && minute <= 1020);
        }
        overnight += t[1] - t[0] > (int64_t)8 * 3600 * 1000000000;
        rows++;
    }
    fclose(f);
    remove(path);
    assert_true(rows > 300);
    assert_true(overnight > 0); /* some work paused overnight and went on */
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* The bottleneck ranking: the task waiting most, with its resource. */
static void test_bottlenecks(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(xor_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 5000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"resources\": [{\"name\": \"busy\", \"count\": 1}, {\"name\": \"calm\", \"count\": 1}],"
                            "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.1}, \"resource\": \"calm\"},"
                            "\"b\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 1.1}, \"resource\": \"busy\"}},"
                            "\"gateways\": {\"g\": {\"ga\": 0.3, \"gb\": 0.7}}}");
    gm_exp_summary s;
    run_exp(p, 4, &s);
    double mean[64];
    assert_true(gm_proc_nkpi(p) <= 64);
    for (size_t k = 0; k < gm_proc_nkpi(p); k++)
        mean[k] = s.kpi[k].mean;
    gm_proc_bottleneck b[4];
    size_t n = gm_proc_bottlenecks(p, mean, b, 4);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].task, "b");
    assert_string_equal(b[0].resource, "busy");
    assert_true(b[0].share > 0.95 && b[0].share <= 1);
    assert_near(b[0].share + b[1].share, 1.0, 1e-12);
    assert_near(b[0].utilization, 0.77, 0.03);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A join that never gets its second token: the run fails cleanly. */
static void test_deadlock(void **state)
{
    (void)state;
    static const char doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<exclusiveGateway id=\"g\"/>\n"
        "<parallelGateway id=\"j\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"a\" sourceRef=\"s\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"b\" sourceRef=\"g\" targetRef=\"j\"/>\n"
        "<sequenceFlow id=\"c\" sourceRef=\"g\" targetRef=\"j\"/>\n"
        "<sequenceFlow id=\"d\" sourceRef=\"j\" targetRef=\"e\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    gm_proc *p = load_ok(m, P0 "\"gateways\": {\"g\": {\"b\": 0.5, \"c\": 0.5}}}");
    double kpi[8];
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_proc_replicate(p, 1, 0, kpi, NULL, NULL, &err), GM_EINVAL);
    assert_non_null(strstr(err.what, "never completed"));
    gm_proc_free(p);
    gm_bpmn_free(m);
}

static double kpi_of(const gm_proc *p, const gm_exp_summary *s, const char *name);

/* Found in review: an inclusive join followed by a task merges its tokens;
   an inclusive split with tiny probabilities still sends at least one
   token; a request waiting for two pools wakes when the off-shift one comes
   on; inputs that could never run are refused. */
static const char or_task_doc[] = HEAD
    "<startEvent id=\"s\"/>\n<inclusiveGateway id=\"split\"/>\n"
    "<task id=\"a\"/>\n<task id=\"b\"/>\n<inclusiveGateway id=\"join\"/>\n<task id=\"d\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"fa\" sourceRef=\"split\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"fb\" sourceRef=\"split\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"ja\" sourceRef=\"a\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jb\" sourceRef=\"b\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jd\" sourceRef=\"join\" targetRef=\"d\"/>\n"
    "<sequenceFlow id=\"fe\" sourceRef=\"d\" targetRef=\"e\"/>\n" TAIL;

static const char two_pool_doc[] = HEAD
    "<startEvent id=\"s\"/>\n<parallelGateway id=\"split\"/>\n<task id=\"Y\"/>\n<task id=\"X\"/>\n"
    "<parallelGateway id=\"join\"/>\n<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"fy\" sourceRef=\"split\" targetRef=\"Y\"/>\n"
    "<sequenceFlow id=\"fx\" sourceRef=\"split\" targetRef=\"X\"/>\n"
    "<sequenceFlow id=\"jy\" sourceRef=\"Y\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jx\" sourceRef=\"X\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"fe\" sourceRef=\"join\" targetRef=\"e\"/>\n" TAIL;

static void test_review_regressions(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(or_task_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                            "\"b\": {\"duration\": {\"dist\": \"constant\", \"value\": 2}},"
                            "\"d\": {\"duration\": {\"dist\": \"constant\", \"value\": 0}}},"
                            "\"gateways\": {\"split\": {\"fa\": 0.001, \"fb\": 0.001}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    assert_near(kpi_of(p, &s, "d.count"), 1.0, 1e-12); /* one token leaves the join */
    /* conditioned on at least one: each 1/(2 - 0.001), both 0.001/(2 - 0.001) */
    expect_kpi(p, &s, "a.count", 1 / 1.999, 0.02);
    expect_kpi(p, &s, "b.count", 1 / 1.999, 0.02);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* The case arrives Tuesday 10:00; X holds B until Wednesday 06:00; Y
       needs B and A (office hours): it starts Wednesday 09:00, woken by A's
       shift, not whenever something else happens */
    m = load_bpmn(two_pool_doc);
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1, \"time_unit\": \"hours\","
                   "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 34}},"
                   "\"calendars\": {\"office\": [{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\"}]},"
                   "\"resources\": [{\"name\": \"A\", \"count\": 1, \"calendar\": \"office\"},"
                   "{\"name\": \"B\", \"count\": 1}],"
                   "\"tasks\": {\"X\": {\"duration\": {\"dist\": \"constant\", \"value\": 20}, \"resource\": \"B\"},"
                   "\"Y\": {\"duration\": {\"dist\": \"constant\", \"value\": 1},"
                   "\"resources\": [{\"name\": \"A\"}, {\"name\": \"B\"}]}}}");
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "Y.wait_mean"), 23.0, 1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    expect_error(m, "{\"type\": \"process-simulation\", \"horizon\": 10,"
                    "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 0}},"
                    "\"tasks\": {\"X\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                    "\"Y\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "arrivals.interarrival", "mean interarrival time is 0");
    expect_error(m, "{\"type\": \"process-simulation\", \"cases\": 10,"
                    "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 1}},"
                    "\"calendars\": {\"never\": []}}",
                 GM_EINVAL, "calendars.never", "no working time");
    expect_error(m, "{\"type\": \"process-simulation\", \"cases\": 10,"
                    "\"arrivals\": {\"interarrival\": {\"dist\": \"constant\", \"value\": 1}},"
                    "\"resources\": [{\"name\": \"r\", \"units\": [{\"name\": \"Al\"}, {\"name\": \"Al\"}]}]}",
                 GM_EINVAL, "resources[0].units[1].name", "duplicate unit 'Al'");
    gm_bpmn_free(m);
}

/* Scylla's samples simulate with their own configuration files. */
static gm_proc *load_scylla(const char *name, gm_bpmn **m)
{
    char bpmn[512], sim[512];
    snprintf(bpmn, sizeof bpmn, GEMEL_SHARED_DATA "/bpmn/scylla/%s.bpmn", name);
    snprintf(sim, sizeof sim, GEMEL_SHARED_DATA "/bpmn/scylla/%s_sim.xml", name);
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_bpmn_load_file(bpmn, m, &err), 0);
    json_t *j = NULL;
    int rc = gm_scylla_load(*m, sim, GEMEL_SHARED_DATA "/bpmn/scylla/p0_globalconf.xml", &j, &err);
    char buf[1200];
    if (rc)
        print_error("%s: %s\n", name, gm_err_format(&err, buf, sizeof buf));
    assert_int_equal(rc, 0);
    gm_proc *p = NULL;
    rc = gm_proc_load(*m, bpmn, j, &p, &err);
    if (rc)
        print_error("%s: %s\n", name, gm_err_format(&err, buf, sizeof buf));
    assert_int_equal(rc, 0);
    json_decref(j);
    return p;
}

static double kpi_of(const gm_proc *p, const gm_exp_summary *s, const char *name)
{
    long i = gm_proc_kpi_index(p, name);
    if (i < 0)
        print_error("no KPI %s\n", name);
    assert_true(i >= 0);
    return s->kpi[i].mean;
}

static void test_scylla_samples(void **state)
{
    (void)state;
    struct stat st;
    if (stat(GEMEL_SHARED_DATA "/bpmn/scylla/p0_globalconf.xml", &st) != 0) {
        GM_TEST_SKIP("%s/bpmn/scylla not found", GEMEL_SHARED_DATA);
    }
    static const char *const names[] = {"p2_normal", "p4_parallel", "p3_subproc",
                                        "p1_boundary"};
    for (size_t i = 0; i < 4; i++) {
        gm_bpmn *m = NULL;
        gm_proc *p = load_scylla(names[i], &m);
        gm_exp_summary s;
        run_exp(p, 10, &s);
        double cyc = kpi_of(p, &s, "case.cycle_time_mean");
        assert_true(kpi_of(p, &s, "case.count") >= 10);
        assert_true(isfinite(cyc) && cyc > 0);
        if (i == 0) {
            /* sequential: cycle = processing + waiting + time off shift */
            assert_true(cyc >= kpi_of(p, &s, "case.processing_time_mean") +
                                   kpi_of(p, &s, "case.waiting_time_mean") - 1e-9);
            /* the exclusive gateway: one of the two branches per case */
            assert_near(kpi_of(p, &s, "Task_16ibwbc.count") + kpi_of(p, &s, "Task_1nngha6.count"),
                        1.0, 1e-12);
        }
        if (i == 1) /* the two tasks of one parallel branch run as often */
            assert_near(kpi_of(p, &s, "Task_02xic69.count"), kpi_of(p, &s, "Task_1g76snk.count"),
                        1e-12);
        if (i == 3) {
            /* the error boundary event fires after 5 minutes, always, and
               "write thesis" takes at least 6: every case reports an error */
            assert_near(kpi_of(p, &s, "sid-3D1F54AF-5FEF-464D-B45A-9C05224FAC1D.count"), 1.0,
                        1e-12);
            assert_near(kpi_of(p, &s, "sid-10642FA7-3483-45AF-AC53-88080CD67FF9.count"), 0.0,
                        1e-12);
        }
        gm_exp_summary_free(&s);
        gm_proc_free(p);
        gm_bpmn_free(m);
    }
}

/* An activity's durations are the draws of its own stream, in order
   (docs/processes.md: stream 1 is the first activity's, after the one
   arrival stream), on both paths, though they are drawn several at a time:
   with one unit serving first come first served, the measured cases' tasks
   are the first 200 to start, so their mean duration is the mean of the
   stream's first 200 draws, summed in the same order. */
static void test_duration_stream(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mm1_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 200,"
                            "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                            "\"resources\": [{\"name\": \"clerk\", \"count\": 1}],"
                            "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"triangular\", "
                            "\"min\": 0.2, \"mode\": 0.5, \"max\": 1.4}}}}");
    gm_dist d;
    assert_int_equal(gm_dist_triangular(&d, 0.2, 0.5, 1.4, NULL), 0);
    gm_rng r;
    gm_rng_seed(&r, 31, 1);
    double sum = 0;
    for (int i = 0; i < 200; i++)
        sum += gm_dist_sample(&d, &r);
    long ki = gm_proc_kpi_index(p, "t.duration_mean");
    assert_true(ki >= 0);
    double *kpi = calloc(gm_proc_nkpi(p), sizeof *kpi);
    assert_non_null(kpi);
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_proc_replicate(p, 31, 0, kpi, NULL, NULL, &err), 0);
    assert_true(kpi[ki] == sum / 200);
    free(kpi);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* ---- the general model: amounts, loops, walks --------------------------- */

/* Amounts above one (a big request lets small ones pass), a task without a
   resource, a task with two outgoing flows joined again, a throw event, an
   exclusive gateway looping back, fixed and resource costs. */
static const char mixed_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<task id=\"a\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<task id=\"b\"/>\n"
    "<task id=\"c\"/>\n"
    "<task id=\"d\"/>\n"
    "<parallelGateway id=\"j\"/>\n"
    "<intermediateThrowEvent id=\"n\"/>\n"
    "<task id=\"z\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"again\" sourceRef=\"g\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"on\" sourceRef=\"g\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"b\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"b\" targetRef=\"d\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"c\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"d\" targetRef=\"j\"/>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"j\" targetRef=\"n\"/>\n"
    "<sequenceFlow id=\"f8\" sourceRef=\"n\" targetRef=\"z\"/>\n"
    "<sequenceFlow id=\"f9\" sourceRef=\"z\" targetRef=\"e\"/>\n" TAIL;

#define MIXED_PARAMS(extra)                                                                   \
    "{\"type\": \"process-simulation\"," extra                                               \
    "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"             \
    "\"resources\": [{\"name\": \"crew\", \"count\": 3, \"cost_per_hour\": 12},"              \
    "                {\"name\": \"desk\", \"count\": 1, \"cost_per_hour\": 5}],"              \
    "\"tasks\": {"                                                                           \
    "  \"a\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.5},"                     \
    "          \"resources\": [{\"name\": \"crew\", \"amount\": 2}], \"cost\": 1},"           \
    "  \"b\": {\"duration\": {\"dist\": \"triangular\", \"min\": 0.1, \"mode\": 0.3, "         \
    "          \"max\": 0.9}, \"resource\": \"crew\"},"                                       \
    "  \"c\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.4}, \"resource\": \"crew\"}," \
    "  \"d\": {\"duration\": {\"dist\": \"uniform\", \"min\": 0.2, \"max\": 1.4},"           \
    "          \"resource\": \"desk\"},"                                                      \
    "  \"z\": {\"duration\": {\"dist\": \"constant\", \"value\": 0.25}, \"cost\": 2}},"       \
    "\"gateways\": {\"g\": {\"again\": 0.2, \"on\": 0.8}}}"

/* Outcomes any correct simulator gives, from the model alone (10
   replications, each KPI's interval must hold the value): visits per case,
   utilisation = work offered / units, fixed durations and costs, and
   Little's law. */
static void test_amounts_and_loops(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(mixed_doc);
    /* a repeats with probability 0.2: 1 / 0.8 visits. crew: a holds 2 units
       for 0.5, b (triangular 0.1, 0.3, 0.9: mean 13/30) and c (0.4) one;
       desk: d (uniform 0.2 to 1.4: mean 0.8). One arrival per unit time. */
    const double crew = (1.25 * 2 * 0.5 + 13.0 / 30 + 0.4) / 3, desk = 0.8;
    for (int run = 0; run < 2; run++) {
        gm_proc *p = load_ok(m, run == 0 ? MIXED_PARAMS("\"cases\": 20000, \"warmup_cases\": 500,")
                                         : MIXED_PARAMS("\"horizon\": 20000, \"warmup_time\": 100,"));
        gm_exp_summary s;
        run_exp(p, 10, &s);
        expect_kpi(p, &s, "a.count", 1.25, 0.02);
        expect_kpi(p, &s, "b.count", 1, 1e-12);
        expect_kpi(p, &s, "z.count", 1, 1e-12);
        expect_kpi(p, &s, "crew.utilization", crew, 0.02);
        expect_kpi(p, &s, "desk.utilization", desk, 0.02);
        expect_kpi(p, &s, "d.duration_mean", 0.8, 0.02);
        expect_kpi(p, &s, "z.duration_mean", 0.25, 1e-12);
        expect_kpi(p, &s, "z.cost_mean", 2, 1e-12);
        expect_kpi(p, &s, "z.wait_mean", 0, 0);
        /* Little: cases in the system = throughput x cycle time */
        long w = gm_proc_kpi_index(p, "case.wip_mean"), t = gm_proc_kpi_index(p, "case.throughput"),
             c = gm_proc_kpi_index(p, "case.cycle_time_mean");
        assert_true(w >= 0 && t >= 0 && c >= 0);
        assert_near(s.kpi[w].mean, s.kpi[t].mean * s.kpi[c].mean, 0.02 * s.kpi[w].mean);
        gm_exp_summary_free(&s);
        gm_proc_free(p);
    }
    gm_bpmn_free(m);

    /* long walks through gateways alone, after a task and after the start
       event: every case does a and b once */
    static const char gwloop_doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<exclusiveGateway id=\"g0\"/>\n"
        "<exclusiveGateway id=\"h0\"/>\n"
        "<task id=\"a\"/>\n"
        "<exclusiveGateway id=\"g\"/>\n"
        "<exclusiveGateway id=\"h\"/>\n"
        "<task id=\"b\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g0\"/>\n"
        "<sequenceFlow id=\"back0\" sourceRef=\"g0\" targetRef=\"h0\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"h0\" targetRef=\"g0\"/>\n"
        "<sequenceFlow id=\"out0\" sourceRef=\"g0\" targetRef=\"a\"/>\n"
        "<sequenceFlow id=\"f3\" sourceRef=\"a\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"back\" sourceRef=\"g\" targetRef=\"h\"/>\n"
        "<sequenceFlow id=\"f4\" sourceRef=\"h\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"out\" sourceRef=\"g\" targetRef=\"b\"/>\n"
        "<sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"e\"/>\n" TAIL;
    m = load_bpmn(gwloop_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 3000,"
                   "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
                   "\"resources\": [{\"name\": \"crew\", \"count\": 1}],"
                   "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.3},"
                   "\"resource\": \"crew\"},"
                   "\"b\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 0.4},"
                   "\"resource\": \"crew\"}},"
                   "\"gateways\": {\"g0\": {\"back0\": 0.97, \"out0\": 0.03},"
                   "\"g\": {\"back\": 0.97, \"out\": 0.03}}}");
    gm_exp_summary s;
    run_exp(p, 4, &s);
    expect_kpi(p, &s, "a.count", 1, 1e-12);
    expect_kpi(p, &s, "b.count", 1, 1e-12);
    expect_kpi(p, &s, "crew.utilization", 0.7, 0.03);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* the benchmark's model, shortened: branch shares and utilisations */
    char path[1024];
    snprintf(path, sizeof path, "%s/bench/process10.bpmn", GEMEL_SOURCE_DIR);
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_bpmn_load_file(path, &m, &err), 0);
    snprintf(path, sizeof path, "%s/bench/process10.params.json", GEMEL_SOURCE_DIR);
    json_t *j = gm_json_load_file(path, NULL, &err);
    assert_non_null(j);
    assert_int_equal(json_object_set_new(j, "cases", json_integer(30000)), 0);
    assert_int_equal(gm_proc_load(m, "process10.bpmn", j, &p, &err), 0);
    json_decref(j);
    run_exp(p, 8, &s);
    expect_kpi(p, &s, "t2.count", 0.7, 0.02);
    expect_kpi(p, &s, "t4.count", 0.3, 0.03);
    expect_kpi(p, &s, "t10.count", 1, 1e-12);
    expect_kpi(p, &s, "clerk.utilization", (0.5 + 0.7 * 1.0 + 0.6 + 0.4) / 3, 0.02);
    expect_kpi(p, &s, "expert.utilization", (0.7 * 1.0 + 1.2 + 1.1) / 4, 0.02);
    expect_kpi(p, &s, "manager.utilization", (0.3 * 2.0 + 0.6 + 1.0) / 3, 0.02);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* The work-in-progress profile is the time average of the cases in the
   system over equal slices of the measured window, so the slices' mean is
   the window's mean, case.wip_mean; on the orders example (cases all along
   the window) no slice is empty. A rounding at a slice edge once left every
   later slice at 0. */
static void test_wip_profile(void **state)
{
    (void)state;
    gm_err err;
    gm_err_clear(&err);
    gm_bpmn *m = NULL;
    assert_int_equal(gm_bpmn_load_file(GEMEL_SOURCE_DIR "/examples/orders.bpmn", &m, &err), 0);
    json_t *j = gm_json_load_file(GEMEL_SOURCE_DIR "/examples/orders.params.json", NULL, &err);
    assert_non_null(j);
    gm_proc *p = NULL;
    assert_int_equal(gm_proc_load(m, "orders.bpmn", j, &p, &err), 0);
    json_decref(j);
    for (size_t nbins = 1; nbins <= 64; nbins = nbins * 3 + 1) {
        double bins[64], *kpi = calloc(gm_proc_nkpi(p), sizeof *kpi);
        assert_non_null(kpi);
        gm_proc_set_wip(p, bins, nbins);
        for (uint64_t seed = 1; seed <= 3; seed++) {
            assert_int_equal(gm_proc_replicate(p, seed, 0, kpi, NULL, NULL, &err), 0);
            double sum = 0;
            for (size_t b = 0; b < nbins; b++) {
                if (!(bins[b] > 0))
                    fail_msg("seed %llu, %zu slices: slice %zu holds %g",
                             (unsigned long long)seed, nbins, b, bins[b]);
                sum += bins[b];
            }
            double wip = kpi[gm_proc_kpi_index(p, "case.wip_mean")];
            assert_near(sum / (double)nbins, wip, 1e-9 * wip);
        }
        gm_proc_set_wip(p, NULL, 0);
        free(kpi);
    }
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A token that can never reach an end is refused at load, naming where it
   gets stuck: a task whose only flow leads back to itself, a gateway loop
   left with probability 0. A loop left with a tiny probability loads (it
   ends in theory) and is stopped by the per-case step budget. */
static void test_endings(void **state)
{
    (void)state;
    static const char self_doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"t\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"t\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(self_doc);
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "t.bpmn:5", "task 't': a token that reaches it can never reach an end");
    gm_bpmn_free(m);

    m = load_bpmn(loop_doc); /* 'again' goes back with probability 1 */
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}},"
                       "\"gateways\": {\"again\": {\"back\": 1, \"out\": 0}}}",
                 GM_EINVAL, "t.bpmn:5",
                 "exclusiveGateway 'in': a token that reaches it can never reach an end");
    /* the same loop with a way out loads, however small */
    gm_proc *p = load_ok(m, P0 "\"tasks\": {\"t\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}},"
                              "\"gateways\": {\"again\": {\"back\": 0.999999999, \"out\": 1e-9}}}");
    double kpi[64];
    gm_err err;
    gm_err_clear(&err);
    assert_true(gm_proc_nkpi(p) <= 64);
    assert_int_equal(gm_proc_replicate(p, 1, 0, kpi, NULL, NULL, &err), GM_ELIMIT);
    if (!strstr(err.what, "more than 1000000 tasks and waits without ending"))
        fail_msg("%s", err.what);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* a parallel split with one dead branch: the join never fires */
    static const char split_doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<parallelGateway id=\"fork\"/>\n"
        "<task id=\"a\"/>\n"
        "<task id=\"spin\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"fork\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"fork\" targetRef=\"a\"/>\n"
        "<sequenceFlow id=\"f3\" sourceRef=\"fork\" targetRef=\"spin\"/>\n"
        "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"e\"/>\n"
        "<sequenceFlow id=\"f5\" sourceRef=\"spin\" targetRef=\"spin\"/>\n" TAIL;
    m = load_bpmn(split_doc);
    expect_error(m, P0 "\"tasks\": {\"a\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}},"
                       "\"spin\": {\"duration\": {\"dist\": \"constant\", \"value\": 1}}}}",
                 GM_EINVAL, "t.bpmn:7",
                 "task 'spin': a token that reaches it can never reach an end");
    gm_bpmn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1),         cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_exclusive),   cmocka_unit_test(test_loop),
        cmocka_unit_test(test_terminate),   cmocka_unit_test(test_param_errors),
        cmocka_unit_test(test_unsupported), cmocka_unit_test(test_deadlock),
        cmocka_unit_test(test_inclusive),   cmocka_unit_test(test_boundary_timer),
        cmocka_unit_test(test_subprocess_error), cmocka_unit_test(test_markers),
        cmocka_unit_test(test_event_gateway), cmocka_unit_test(test_costs_and_units),
        cmocka_unit_test(test_horizon),     cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_bottlenecks), cmocka_unit_test(test_scylla_samples),
        cmocka_unit_test(test_review_regressions),
        cmocka_unit_test(test_batch_means), cmocka_unit_test(test_amounts_and_loops),
        cmocka_unit_test(test_duration_stream),
        cmocka_unit_test(test_wip_profile), cmocka_unit_test(test_endings),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
