#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sim/bpmn.h"
#include "sim/experiment.h"
#include "sim/process.h"

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
    assert_int_equal(gm_proc_nkpi(p), 6);
    assert_string_equal(gm_proc_kpi_name(p, 0), "case.cycle_time_mean");
    assert_string_equal(gm_proc_kpi_name(p, 2), "t.wait_mean");
    assert_string_equal(gm_proc_kpi_name(p, 5), "clerk.utilization");
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
    static const char incl[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<inclusiveGateway id=\"og\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"og\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"og\" targetRef=\"e\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(incl);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:5",
                 "simulation of inclusiveGateway 'og' is not supported yet");
    gm_bpmn_free(m);

    static const char loopm[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"t\"><standardLoopCharacteristics/></task>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n" TAIL;
    m = load_bpmn(loopm);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:5", "loop markers ('t')");
    gm_bpmn_free(m);

    static const char timer[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"t\"/>\n"
        "<boundaryEvent id=\"late\" attachedToRef=\"t\"><timerEventDefinition>"
        "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n" TAIL;
    m = load_bpmn(timer);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:6", "boundaryEvent 'late'");
    gm_bpmn_free(m);

    static const char sub[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<subProcess id=\"sp\"><startEvent id=\"s2\"/></subProcess>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sp\"/>\n" TAIL;
    m = load_bpmn(sub);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:5", "subProcess 'sp'");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1),         cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_exclusive),   cmocka_unit_test(test_loop),
        cmocka_unit_test(test_terminate),   cmocka_unit_test(test_param_errors),
        cmocka_unit_test(test_unsupported), cmocka_unit_test(test_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
