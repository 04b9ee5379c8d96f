/*
 * The BPMN constructs beyond plain flows, simulated: link events, call
 * activities (of global tasks, of processes of the file), event
 * sub-processes, compensation, instantiating event-based gateways. Each
 * test checks an analytic answer (constant times give exact cycle times
 * and counts) or a refusal with its location.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"
#include "helpers.h"

#include <stdlib.h>
#include <sys/stat.h>

#define P0                                                                                      \
    "{\"type\": \"process-simulation\", \"cases\": 10, "                                        \
    "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 1}},"
#define CONST(v) "{\"dist\": \"constant\", \"value\": " #v "}"

/* ---- link events ---------------------------------------------------------- */

/* a, then a link to b; and a loop back to a through a second link, taken
   with probability 3/4 */
static const char link_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<task id=\"a\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<intermediateThrowEvent id=\"toB\"><linkEventDefinition name=\"B\"/></intermediateThrowEvent>\n"
    "<intermediateThrowEvent id=\"again\"><linkEventDefinition name=\"A\"/></intermediateThrowEvent>\n"
    "<intermediateCatchEvent id=\"atA\"><linkEventDefinition name=\"A\"/></intermediateCatchEvent>\n"
    "<intermediateCatchEvent id=\"atB\"><linkEventDefinition name=\"B\"/></intermediateCatchEvent>\n"
    "<task id=\"b\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"out\" sourceRef=\"g\" targetRef=\"toB\"/>\n"
    "<sequenceFlow id=\"back\" sourceRef=\"g\" targetRef=\"again\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"atA\" targetRef=\"a\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"atB\" targetRef=\"b\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"e\"/>\n" TAIL;

static void test_links(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(link_doc);
    /* straight through: a (2) then b (3), exactly 5 */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(10) "},"
                            "\"tasks\": {\"a\": {\"duration\": " CONST(2) "},"
                            "\"b\": {\"duration\": " CONST(3) "}},"
                            "\"gateways\": {\"g\": {\"out\": 1, \"back\": 0}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 5.0, 1e-12);
    assert_near(kpi_of(p, &s, "a.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "b.count"), 1.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* back to a with 3/4: a runs 4 times on average (geometric) */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                   "\"arrivals\": {\"interarrival\": " CONST(100) "},"
                   "\"tasks\": {\"a\": {\"duration\": " CONST(2) "},"
                   "\"b\": {\"duration\": " CONST(3) "}},"
                   "\"gateways\": {\"g\": {\"out\": 0.25, \"back\": 0.75}}}");
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "a.count", 4.0, 0.02);
    assert_near(kpi_of(p, &s, "b.count"), 1.0, 0);
    expect_kpi(p, &s, "case.cycle_time_mean", 4 * 2.0 + 3.0, 0.02);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* a loop closed only by a link, never left: refused at load */
    expect_error(m, P0 "\"tasks\": {\"a\": {\"duration\": " CONST(2) "},"
                       "\"b\": {\"duration\": " CONST(3) "}},"
                       "\"gateways\": {\"g\": {\"out\": 0, \"back\": 1}}}",
                 GM_EINVAL, "t.bpmn:5",
                 "task 'a': a token that reaches it can never reach an end");
    /* a link event takes no parameters */
    expect_error(m, P0 "\"tasks\": {\"a\": {\"duration\": " CONST(2) "},"
                       "\"b\": {\"duration\": " CONST(3) "}},"
                       "\"gateways\": {\"g\": {\"out\": 1, \"back\": 0}},"
                       "\"events\": {\"atB\": {\"delay\": " CONST(1) "}}}",
                 GM_EINVAL, "events.atB", "'atB' is a link intermediateCatchEvent");
    gm_bpmn_free(m);
}

/* A link on one branch of an inclusive split: the join waits for the token
   that goes through the link (x, 5) although its flow into the join comes
   from the link's catch event. */
static const char link_or_doc[] = HEAD
    "<startEvent id=\"s\"/>\n"
    "<inclusiveGateway id=\"split\"/>\n"
    "<task id=\"x\"/>\n<task id=\"y\"/>\n"
    "<intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"L\"/></intermediateThrowEvent>\n"
    "<intermediateCatchEvent id=\"come\"><linkEventDefinition name=\"L\"/></intermediateCatchEvent>\n"
    "<inclusiveGateway id=\"join\"/>\n"
    "<task id=\"after\"/>\n"
    "<endEvent id=\"e\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"fx\" sourceRef=\"split\" targetRef=\"x\"/>\n"
    "<sequenceFlow id=\"fy\" sourceRef=\"split\" targetRef=\"y\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"x\" targetRef=\"go\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"come\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"y\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"join\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"after\" targetRef=\"e\"/>\n" TAIL;

static void test_link_join(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(link_or_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(10) "},"
                            "\"tasks\": {\"x\": {\"duration\": " CONST(5) "},"
                            "\"y\": {\"duration\": " CONST(1) "},"
                            "\"after\": {\"duration\": " CONST(0) "}},"
                            "\"gateways\": {\"split\": {\"fx\": 1, \"fy\": 1}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "after.count"), 1.0, 0); /* one firing, not two */
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 5.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A link throw event whose name no catch event has: refused at load, at
   the throw event's line. */
static void test_link_nowhere(void **state)
{
    (void)state;
    static const char doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<task id=\"a\"/>\n"
        "<intermediateThrowEvent id=\"lost\"><linkEventDefinition name=\"Z\"/></intermediateThrowEvent>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"a\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"a\" targetRef=\"lost\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    expect_error(m, P0 "\"tasks\": {\"a\": {\"duration\": " CONST(1) "}}}", GM_EINVAL,
                 "t.bpmn:6",
                 "link throw event 'lost' leads nowhere: no link catch event named 'Z' in its "
                 "(sub-)process");
    gm_bpmn_free(m);
}

/* ---- call activities ------------------------------------------------------ */

#define DEFS                                                                                    \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\">\n"

/* A call activity calling a global user task is that task: its parameters
   under the call activity's id; one calling an element of another file too. */
static void test_call_task(void **state)
{
    (void)state;
    static const char doc[] = DEFS
        "<globalUserTask id=\"approve\" name=\"Approve\"/>\n"
        "<process id=\"P\">\n"
        "<laneSet id=\"ls\"><lane id=\"L\" name=\"clerk\"><flowNodeRef>c</flowNodeRef></lane></laneSet>\n"
        "<startEvent id=\"s\"/>\n"
        "<callActivity id=\"c\" calledElement=\"approve\"/>\n"
        "<callActivity id=\"x\" calledElement=\"other:elsewhere\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"c\" targetRef=\"x\"/>\n"
        "<sequenceFlow id=\"f3\" sourceRef=\"x\" targetRef=\"e\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    const gm_bpmn_node *c = gm_bpmn_node_at(m, gm_bpmn_find_node(m, "c"));
    assert_int_not_equal(c->called_task, GM_BPMN_NONE);
    /* one clerk (the lane), 3 per call, a case every 4: the clerk is busy
       3/4 of the time; the other call takes 1 */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(4) "},"
                            "\"resources\": [{\"name\": \"clerk\", \"count\": 1}],"
                            "\"tasks\": {\"c\": {\"duration\": " CONST(3) "},"
                            "\"x\": {\"duration\": " CONST(1) "}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 4.0, 1e-12);
    assert_near(kpi_of(p, &s, "c.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "clerk.utilization"), 0.75, 1e-3);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    expect_error(m, P0 "\"tasks\": {\"c\": {\"duration\": " CONST(3) "}}}", GM_EINVAL, "tasks",
                 "callActivity 'x' (t.bpmn:8) has no entry");
    gm_bpmn_free(m);
}

/* P calls Q (twice in parallel, a multi-instance call): each call runs Q's
   body in a scope of its own. Q holds an inclusive join (that must find its
   tokens in the call's scope) and an error end event, caught by the call
   activity's error boundary event. */
static const char call_doc[] = DEFS
    "<process id=\"P\">\n"
    "<startEvent id=\"s\"/>\n"
    "<callActivity id=\"c\" calledElement=\"Q\"><multiInstanceLoopCharacteristics/></callActivity>\n"
    "<boundaryEvent id=\"err\" attachedToRef=\"c\"><errorEventDefinition/></boundaryEvent>\n"
    "<task id=\"after\"/>\n<task id=\"fix\"/>\n"
    "<endEvent id=\"e1\"/>\n<endEvent id=\"e2\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"c\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"c\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"after\" targetRef=\"e1\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"err\" targetRef=\"fix\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"fix\" targetRef=\"e2\"/>\n"
    "</process>\n"
    "<process id=\"Q\">\n"
    "<startEvent id=\"qs\"/>\n"
    "<inclusiveGateway id=\"split\"/>\n<task id=\"x\"/>\n<task id=\"y\"/>\n"
    "<inclusiveGateway id=\"join\"/>\n"
    "<exclusiveGateway id=\"g\"/>\n"
    "<endEvent id=\"bad\"><errorEventDefinition/></endEvent>\n<endEvent id=\"ok\"/>\n"
    "<sequenceFlow id=\"q1\" sourceRef=\"qs\" targetRef=\"split\"/>\n"
    "<sequenceFlow id=\"fx\" sourceRef=\"split\" targetRef=\"x\"/>\n"
    "<sequenceFlow id=\"fy\" sourceRef=\"split\" targetRef=\"y\"/>\n"
    "<sequenceFlow id=\"jx\" sourceRef=\"x\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"jy\" sourceRef=\"y\" targetRef=\"join\"/>\n"
    "<sequenceFlow id=\"q2\" sourceRef=\"join\" targetRef=\"g\"/>\n"
    "<sequenceFlow id=\"toBad\" sourceRef=\"g\" targetRef=\"bad\"/>\n"
    "<sequenceFlow id=\"toOk\" sourceRef=\"g\" targetRef=\"ok\"/>\n"
    "</process>\n</definitions>\n";

static void test_call_process(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(call_doc);
    /* no error: two instances of Q at once, each waiting for x (1) and y (3)
       at its own inclusive join; then after (1). No "process" key: P is the
       process no call activity calls. */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(10) "},"
                            "\"tasks\": {\"c\": {\"instances\": 2, \"cost\": 5},"
                            "\"x\": {\"duration\": " CONST(1) "}, \"y\": {\"duration\": " CONST(3) "},"
                            "\"after\": {\"duration\": " CONST(1) "}, \"fix\": {\"duration\": " CONST(2) "}},"
                            "\"gateways\": {\"split\": {\"fx\": 1, \"fy\": 1},"
                            "\"g\": {\"toBad\": 0, \"toOk\": 1}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 4.0, 1e-12);
    assert_near(kpi_of(p, &s, "c.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "c.duration_mean"), 3.0, 1e-12);
    assert_near(kpi_of(p, &s, "c.cost_mean"), 5.0, 1e-12);
    assert_near(kpi_of(p, &s, "x.count"), 2.0, 0);
    assert_near(kpi_of(p, &s, "y.count"), 2.0, 0);
    assert_near(kpi_of(p, &s, "fix.count"), 0.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* each instance fails with 0.3: the first failure (at 3) ends the call
       and the case takes fix (2); P(no failure) = 0.49 */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                   "\"arrivals\": {\"interarrival\": " CONST(10) "},"
                   "\"tasks\": {\"c\": {\"instances\": 2},"
                   "\"x\": {\"duration\": " CONST(1) "}, \"y\": {\"duration\": " CONST(3) "},"
                   "\"after\": {\"duration\": " CONST(1) "}, \"fix\": {\"duration\": " CONST(2) "}},"
                   "\"gateways\": {\"split\": {\"fx\": 1, \"fy\": 1},"
                   "\"g\": {\"toBad\": 0.3, \"toOk\": 0.7}}}");
    run_exp(p, 10, &s);
    /* 200 000 cases: the standard deviation of the share is 0.0011 */
    assert_near(kpi_of(p, &s, "fix.count"), 0.51, 0.005);
    assert_near(kpi_of(p, &s, "after.count"), 0.49, 0.005);
    assert_near(kpi_of(p, &s, "c.count"), kpi_of(p, &s, "after.count"), 1e-12);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"),
                kpi_of(p, &s, "fix.count") * 5 + kpi_of(p, &s, "after.count") * 4, 1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* a call activity of a process takes no duration */
    expect_error(m, P0 "\"tasks\": {\"c\": {\"duration\": " CONST(1) "}}}", GM_EINVAL, "tasks.c",
                 "'c' calls process Q: its tasks have the durations and resources");
    gm_bpmn_free(m);
}

/* A call that comes back to a process it runs in is refused, at the call
   that closes the cycle; so is a call of a process without a none start. */
static void test_call_refusals(void **state)
{
    (void)state;
    static const char rec_doc[] = DEFS
        "<process id=\"P\">\n"
        "<startEvent id=\"s\"/>\n<callActivity id=\"toQ\" calledElement=\"Q\"/>\n<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"toQ\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"toQ\" targetRef=\"e\"/>\n"
        "</process>\n"
        "<process id=\"Q\">\n"
        "<startEvent id=\"qs\"/>\n<callActivity id=\"toR\" calledElement=\"R\"/>\n<endEvent id=\"qe\"/>\n"
        "<sequenceFlow id=\"q1\" sourceRef=\"qs\" targetRef=\"toR\"/>\n"
        "<sequenceFlow id=\"q2\" sourceRef=\"toR\" targetRef=\"qe\"/>\n"
        "</process>\n"
        "<process id=\"R\">\n"
        "<startEvent id=\"rs\"/>\n<callActivity id=\"backToQ\" calledElement=\"Q\"/>\n<endEvent id=\"re\"/>\n"
        "<sequenceFlow id=\"r1\" sourceRef=\"rs\" targetRef=\"backToQ\"/>\n"
        "<sequenceFlow id=\"r2\" sourceRef=\"backToQ\" targetRef=\"re\"/>\n"
        "</process>\n</definitions>\n";
    gm_bpmn *m = load_bpmn(rec_doc);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:19",
                 "call activity 'backToQ' calls process 'Q', which it is part of (a recursive "
                 "call)");
    gm_bpmn_free(m);

    static const char nostart_doc[] = DEFS
        "<process id=\"P\">\n"
        "<startEvent id=\"s\"/>\n<callActivity id=\"toQ\" calledElement=\"Q\"/>\n<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"toQ\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"toQ\" targetRef=\"e\"/>\n"
        "</process>\n"
        "<process id=\"Q\">\n"
        "<startEvent id=\"qs\"><messageEventDefinition/></startEvent>\n<endEvent id=\"qe\"/>\n"
        "<sequenceFlow id=\"q1\" sourceRef=\"qs\" targetRef=\"qe\"/>\n"
        "</process>\n</definitions>\n";
    m = load_bpmn(nostart_doc);
    expect_error(m, P0 "\"tasks\": {}}", GM_EUNSUPPORTED, "t.bpmn:5",
                 "call activity 'toQ' calls process 'Q', which has not exactly one none start "
                 "event");
    gm_bpmn_free(m);
}

/* ---- event sub-processes -------------------------------------------------- */

/* A task t of the process, and an event sub-process E whose start event
   (START_DEF, isInterrupting INTR) leads to its task h. */
#define ESP_DOC(START_DEF, INTR)                                                                \
    HEAD "<startEvent id=\"s\"/>\n"                                                             \
         "<task id=\"t\"/>\n"                                                                   \
         "<endEvent id=\"e\"/>\n"                                                               \
         "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"                          \
         "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n"                          \
         "<subProcess id=\"E\" triggeredByEvent=\"true\">\n"                                    \
         "  <startEvent id=\"es\" isInterrupting=\"" INTR "\">" START_DEF "</startEvent>\n"     \
         "  <task id=\"h\"/>\n"                                                                 \
         "  <endEvent id=\"ee\"/>\n"                                                            \
         "  <sequenceFlow id=\"g1\" sourceRef=\"es\" targetRef=\"h\"/>\n"                       \
         "  <sequenceFlow id=\"g2\" sourceRef=\"h\" targetRef=\"ee\"/>\n"                       \
         "</subProcess>\n" TAIL

#define TIMER(d) "<timerEventDefinition><timeDuration>" d "</timeDuration></timerEventDefinition>"

/* An interrupting timer (4 minutes) on a task of 10 holding a resource: the
   task is withdrawn at 4, its unit released, and the case ends with the
   handler (2): exactly 6. A timer of 12 never occurs. */
static void test_esp_interrupting(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(ESP_DOC(TIMER("PT4M"), "true"));
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(20) "},"
                            "\"resources\": [{\"name\": \"r\", \"count\": 1}],"
                            "\"tasks\": {\"t\": {\"duration\": " CONST(10) ", \"resource\": \"r\"},"
                            "\"h\": {\"duration\": " CONST(2) "}, \"E\": {\"cost\": 7}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 6.0, 1e-12);
    assert_near(kpi_of(p, &s, "t.count"), 0.0, 0);
    assert_near(kpi_of(p, &s, "h.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "E.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "E.duration_mean"), 2.0, 1e-12);
    assert_near(kpi_of(p, &s, "case.cost_mean"), 7.0, 1e-12);
    assert_near(kpi_of(p, &s, "r.utilization"), 4.0 / 20.0, 1e-3); /* released at 4 */
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    m = load_bpmn(ESP_DOC(TIMER("PT12M"), "true"));
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                   "\"arrivals\": {\"interarrival\": " CONST(20) "},"
                   "\"tasks\": {\"t\": {\"duration\": " CONST(10) "},"
                   "\"h\": {\"duration\": " CONST(2) "}}}");
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 10.0, 1e-12);
    assert_near(kpi_of(p, &s, "h.count"), 0.0, 0);
    assert_near(kpi_of(p, &s, "t.count"), 1.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A non-interrupting message start: with probability 1/2, after an
   exponential time of mean 5, while t (10) runs. It occurs when its time
   comes before 10: P = (1 - e^-2) / 2; the handler (8) runs beside t and
   the case waits for it: E[cycle] = 10 + 1/2 E[(D - 2)+; D < 10]. */
static void test_esp_non_interrupting(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(ESP_DOC("<messageEventDefinition/>", "false"));
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                            "\"tasks\": {\"t\": {\"duration\": " CONST(10) "},"
                            "\"h\": {\"duration\": " CONST(8) "}},"
                            "\"events\": {\"es\": {\"probability\": 0.5,"
                            "\"after\": {\"dist\": \"exponential\", \"mean\": 5}}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    double lambda = 0.2;
    double tail = exp(-2 * lambda) / lambda * (1 - exp(-8 * lambda) * (1 + 8 * lambda));
    expect_kpi(p, &s, "h.count", 0.5 * (1 - exp(-2)), 0.01);
    assert_near(kpi_of(p, &s, "t.count"), 1.0, 0);
    expect_kpi(p, &s, "case.cycle_time_mean", 10 + 0.5 * tail, 0.002);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    /* repeating every 3: at 3, 6 and 9 while t runs; the one due at 12
       comes after t ended and does not start; the case waits for the
       handler begun at 9 (3 long): exactly 12 */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                   "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                   "\"tasks\": {\"t\": {\"duration\": " CONST(10) "},"
                   "\"h\": {\"duration\": " CONST(3) "}},"
                   "\"events\": {\"es\": {\"after\": " CONST(3) ", \"repeat\": 100}}}");
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "h.count"), 3.0, 0);
    assert_near(kpi_of(p, &s, "E.count"), 3.0, 0);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 12.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);

    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                       "\"h\": {\"duration\": " CONST(1) "}}}",
                 GM_EINVAL, "events",
                 "startEvent 'es' (t.bpmn:10, message) of event sub-process 'E' has no entry");
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                       "\"h\": {\"duration\": " CONST(1) "}},"
                       "\"events\": {\"es\": {\"probability\": 0.5}}}",
                 GM_EINVAL, "events.es", "missing \"after\"");
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                       "\"h\": {\"duration\": " CONST(1) "}},"
                       "\"events\": {\"es\": {\"after\": " CONST(0) ", \"repeat\": 2}}}",
                 GM_EINVAL, "events.es.repeat", "a mean time apart of 0");
    gm_bpmn_free(m);

    /* a timeCycle R2/PT3M: twice, 3 apart, by default */
    m = load_bpmn(ESP_DOC("<timerEventDefinition><timeCycle>R2/PT3M</timeCycle>"
                          "</timerEventDefinition>", "false"));
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                   "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                   "\"tasks\": {\"t\": {\"duration\": " CONST(10) "},"
                   "\"h\": {\"duration\": " CONST(1) "}}}");
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "h.count"), 2.0, 0);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 10.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* an interrupting start occurs once */
    m = load_bpmn(ESP_DOC("<signalEventDefinition/>", "true"));
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                       "\"h\": {\"duration\": " CONST(1) "}},"
                       "\"events\": {\"es\": {\"after\": " CONST(2) ", \"repeat\": 2}}}",
                 GM_EINVAL, "events.es.repeat", "'es' interrupts its scope: it occurs once");
    gm_bpmn_free(m);
}

/* Error start events catch the error end events of their scope: in a
   sub-process (which then completes normally, with the handler), and at
   the top, by errorRef first. */
static const char esp_err_doc[] = DEFS
    "<error id=\"late\"/>\n<error id=\"broken\"/>\n"
    "<process id=\"P\">\n"
    "<startEvent id=\"s\"/>\n"
    "<subProcess id=\"sp\">\n"
    "  <startEvent id=\"ss\"/>\n  <task id=\"w\"/>\n  <exclusiveGateway id=\"g\"/>\n"
    "  <endEvent id=\"bad\"><errorEventDefinition/></endEvent>\n  <endEvent id=\"ok\"/>\n"
    "  <sequenceFlow id=\"s1\" sourceRef=\"ss\" targetRef=\"w\"/>\n"
    "  <sequenceFlow id=\"s2\" sourceRef=\"w\" targetRef=\"g\"/>\n"
    "  <sequenceFlow id=\"toBad\" sourceRef=\"g\" targetRef=\"bad\"/>\n"
    "  <sequenceFlow id=\"toOk\" sourceRef=\"g\" targetRef=\"ok\"/>\n"
    "  <subProcess id=\"onErr\" triggeredByEvent=\"true\">\n"
    "    <startEvent id=\"es\"><errorEventDefinition/></startEvent>\n"
    "    <task id=\"fix\"/>\n    <endEvent id=\"fe\"/>\n"
    "    <sequenceFlow id=\"e1\" sourceRef=\"es\" targetRef=\"fix\"/>\n"
    "    <sequenceFlow id=\"e2\" sourceRef=\"fix\" targetRef=\"fe\"/>\n"
    "  </subProcess>\n"
    "</subProcess>\n"
    "<task id=\"after\"/>\n"
    "<exclusiveGateway id=\"g2\"/>\n"
    "<endEvent id=\"fine\"/>\n"
    "<endEvent id=\"isLate\"><errorEventDefinition errorRef=\"late\"/></endEvent>\n"
    "<endEvent id=\"isBroken\"><errorEventDefinition errorRef=\"broken\"/></endEvent>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"sp\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"sp\" targetRef=\"after\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"after\" targetRef=\"g2\"/>\n"
    "<sequenceFlow id=\"toFine\" sourceRef=\"g2\" targetRef=\"fine\"/>\n"
    "<sequenceFlow id=\"toLate\" sourceRef=\"g2\" targetRef=\"isLate\"/>\n"
    "<sequenceFlow id=\"toBroken\" sourceRef=\"g2\" targetRef=\"isBroken\"/>\n"
    "<subProcess id=\"anyErr\" triggeredByEvent=\"true\">\n"
    "  <startEvent id=\"as\"><errorEventDefinition/></startEvent>\n"
    "  <task id=\"log\"/>\n  <endEvent id=\"ae\"/>\n"
    "  <sequenceFlow id=\"a1\" sourceRef=\"as\" targetRef=\"log\"/>\n"
    "  <sequenceFlow id=\"a2\" sourceRef=\"log\" targetRef=\"ae\"/>\n"
    "</subProcess>\n"
    "<subProcess id=\"lateErr\" triggeredByEvent=\"true\">\n"
    "  <startEvent id=\"ls\"><errorEventDefinition errorRef=\"late\"/></startEvent>\n"
    "  <task id=\"apologise\"/>\n  <endEvent id=\"le\"/>\n"
    "  <sequenceFlow id=\"l1\" sourceRef=\"ls\" targetRef=\"apologise\"/>\n"
    "  <sequenceFlow id=\"l2\" sourceRef=\"apologise\" targetRef=\"le\"/>\n"
    "</subProcess>\n"
    "</process>\n</definitions>\n";

static void test_esp_error(void **state)
{
    (void)state;
    gm_bpmn *m = load_bpmn(esp_err_doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": " CONST(20) "},"
                            "\"tasks\": {\"w\": {\"duration\": " CONST(2) "},"
                            "\"fix\": {\"duration\": " CONST(1) "},"
                            "\"after\": {\"duration\": " CONST(1) "},"
                            "\"log\": {\"duration\": " CONST(4) "},"
                            "\"apologise\": {\"duration\": " CONST(8) "}},"
                            "\"gateways\": {\"g\": {\"toBad\": 0.3, \"toOk\": 0.7},"
                            "\"g2\": {\"toFine\": 0.5, \"toLate\": 0.25, \"toBroken\": 0.25}}}");
    gm_exp_summary s;
    run_exp(p, 10, &s);
    /* the sub-process's handler: sp always completes, 2 or 2 + 1 */
    assert_near(kpi_of(p, &s, "sp.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "after.count"), 1.0, 0);
    expect_kpi(p, &s, "fix.count", 0.3, 0.02);
    assert_near(kpi_of(p, &s, "onErr.count"), kpi_of(p, &s, "fix.count"), 1e-12);
    assert_near(kpi_of(p, &s, "sp.duration_mean"), 2 + kpi_of(p, &s, "fix.count"), 1e-9);
    /* at the top: 'late' goes to its own handler (8), 'broken' to the one
       for any error (4) */
    expect_kpi(p, &s, "apologise.count", 0.25, 0.02);
    expect_kpi(p, &s, "log.count", 0.25, 0.02);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"),
                3 + kpi_of(p, &s, "fix.count") + 8 * kpi_of(p, &s, "apologise.count") +
                    4 * kpi_of(p, &s, "log.count"),
                1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    expect_error(m, P0 "\"tasks\": {\"w\": {\"duration\": " CONST(2) "},"
                       "\"fix\": {\"duration\": " CONST(1) "}, \"after\": {\"duration\": " CONST(1) "},"
                       "\"log\": {\"duration\": " CONST(4) "}, \"apologise\": {\"duration\": " CONST(8) "}},"
                       "\"gateways\": {\"g\": {\"toBad\": 0.3, \"toOk\": 0.7},"
                       "\"g2\": {\"toFine\": 0.5, \"toLate\": 0.25, \"toBroken\": 0.25}},"
                       "\"events\": {\"es\": {\"after\": " CONST(1) "}}}",
                 GM_EINVAL, "events.es", "'es' is an error start event");
    gm_bpmn_free(m);
}

/* An event sub-process inside a sub-process and in a called process
   belongs to that scope: it arms when that scope starts and ends with it.
   A task that loops for ever is ended by an interrupting timer, so the
   model loads. */
static void test_esp_scopes(void **state)
{
    (void)state;
    static const char doc[] = DEFS
        "<process id=\"P\">\n"
        "<startEvent id=\"s\"/>\n<task id=\"first\"/>\n<callActivity id=\"c\" calledElement=\"Q\"/>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"first\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"first\" targetRef=\"c\"/>\n"
        "<sequenceFlow id=\"f3\" sourceRef=\"c\" targetRef=\"e\"/>\n"
        "</process>\n"
        "<process id=\"Q\">\n"
        "<startEvent id=\"qs\"/>\n<task id=\"spin\"/>\n"
        "<sequenceFlow id=\"q1\" sourceRef=\"qs\" targetRef=\"spin\"/>\n"
        "<sequenceFlow id=\"q2\" sourceRef=\"spin\" targetRef=\"spin\"/>\n"
        "<subProcess id=\"stop\" triggeredByEvent=\"true\">\n"
        "  <startEvent id=\"ts\">" TIMER("PT5M") "</startEvent>\n"
        "  <task id=\"h\"/>\n  <endEvent id=\"he\"/>\n"
        "  <sequenceFlow id=\"h1\" sourceRef=\"ts\" targetRef=\"h\"/>\n"
        "  <sequenceFlow id=\"h2\" sourceRef=\"h\" targetRef=\"he\"/>\n"
        "</subProcess>\n"
        "</process>\n</definitions>\n";
    gm_bpmn *m = load_bpmn(doc);
    /* first (3), then the call: spin runs 1.5 at a time until the timer
       at 5 after the call began (3 runs complete), then h (2): 3 + 5 + 2 */
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 1000,"
                            "\"arrivals\": {\"interarrival\": " CONST(20) "},"
                            "\"tasks\": {\"first\": {\"duration\": " CONST(3) "},"
                            "\"spin\": {\"duration\": " CONST(1.5) "},"
                            "\"h\": {\"duration\": " CONST(2) "}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 10.0, 1e-12);
    assert_near(kpi_of(p, &s, "spin.count"), 3.0, 0);
    assert_near(kpi_of(p, &s, "c.duration_mean"), 7.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* the body of an event sub-process that cannot end is refused where it
       gets stuck, as a process's would be */
    static const char stuck_doc[] = HEAD
        "<startEvent id=\"s\"/>\n<task id=\"t\"/>\n<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n"
        "<subProcess id=\"E\" triggeredByEvent=\"true\">\n"
        "  <startEvent id=\"es\" isInterrupting=\"false\"><signalEventDefinition/></startEvent>\n"
        "  <task id=\"again\"/>\n"
        "  <sequenceFlow id=\"g1\" sourceRef=\"es\" targetRef=\"again\"/>\n"
        "  <sequenceFlow id=\"g2\" sourceRef=\"again\" targetRef=\"again\"/>\n"
        "</subProcess>\n" TAIL;
    m = load_bpmn(stuck_doc);
    expect_error(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                       "\"again\": {\"duration\": " CONST(1) "}},"
                       "\"events\": {\"es\": {\"after\": " CONST(2) "}}}",
                 GM_EINVAL, "t.bpmn:11",
                 "task 'again': a token that reaches it can never reach an end event");
    /* ... unless it never occurs */
    p = load_ok(m, P0 "\"tasks\": {\"t\": {\"duration\": " CONST(1) "},"
                      "\"again\": {\"duration\": " CONST(1) "}},"
                      "\"events\": {\"es\": {\"probability\": 0, \"after\": " CONST(2) "}}}");
    gm_proc_free(p);
    gm_bpmn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_link_join),
        cmocka_unit_test(test_link_nowhere),
        cmocka_unit_test(test_call_task),
        cmocka_unit_test(test_call_process),
        cmocka_unit_test(test_call_refusals),
        cmocka_unit_test(test_esp_interrupting),
        cmocka_unit_test(test_esp_non_interrupting),
        cmocka_unit_test(test_esp_error),
        cmocka_unit_test(test_esp_scopes),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
