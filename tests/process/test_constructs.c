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
#include <unistd.h>

#include "evlog/evlog.h"

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

/* A sub-process drawn collapsed, with nothing inside in the file, is a task
   with its own parameters, as a call of another file's process is. */
static void test_collapsed_subprocess(void **state)
{
    (void)state;
    static const char doc[] = HEAD
        "<startEvent id=\"s\"/>\n<subProcess id=\"folded\" name=\"Collapsed\"/>\n<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"folded\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"folded\" targetRef=\"e\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    expect_error(m, P0 "\"tasks\": {}}", GM_EINVAL, "tasks",
                 "subProcess 'folded' (t.bpmn:5) has no entry");
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 100,"
                            "\"arrivals\": {\"interarrival\": " CONST(10) "},"
                            "\"tasks\": {\"folded\": {\"duration\": " CONST(3) "}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 3.0, 1e-12);
    assert_near(kpi_of(p, &s, "case.processing_time_mean"), 3.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
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

/* ---- compensation --------------------------------------------------------- */

/* A (2) then B (3) complete; then a compensation throw event (DEF: its
   definition) runs their handlers, undoB (7) then undoA (5), and the case
   goes on to C (1). */
#define COMP_DOC(DEF)                                                                           \
    HEAD "<startEvent id=\"s\"/>\n"                                                             \
         "<task id=\"A\"/>\n<task id=\"B\"/>\n"                                                 \
         "<intermediateThrowEvent id=\"undo\">" DEF "</intermediateThrowEvent>\n"               \
         "<task id=\"C\"/>\n<endEvent id=\"e\"/>\n"                                             \
         "<boundaryEvent id=\"cA\" attachedToRef=\"A\"><compensateEventDefinition/></boundaryEvent>\n" \
         "<boundaryEvent id=\"cB\" attachedToRef=\"B\"><compensateEventDefinition/></boundaryEvent>\n" \
         "<task id=\"undoA\" isForCompensation=\"true\"/>\n"                                     \
         "<task id=\"undoB\" isForCompensation=\"true\"/>\n"                                     \
         "<association id=\"a1\" sourceRef=\"cA\" targetRef=\"undoA\"/>\n"                      \
         "<association id=\"a2\" sourceRef=\"cB\" targetRef=\"undoB\"/>\n"                      \
         "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"A\"/>\n"                          \
         "<sequenceFlow id=\"f2\" sourceRef=\"A\" targetRef=\"B\"/>\n"                          \
         "<sequenceFlow id=\"f3\" sourceRef=\"B\" targetRef=\"undo\"/>\n"                       \
         "<sequenceFlow id=\"f4\" sourceRef=\"undo\" targetRef=\"C\"/>\n"                       \
         "<sequenceFlow id=\"f5\" sourceRef=\"C\" targetRef=\"e\"/>\n" TAIL

#define COMP_PARAMS                                                                             \
    "{\"type\": \"process-simulation\", \"cases\": 100,"                                        \
    "\"arrivals\": {\"interarrival\": " CONST(30) "},"                                          \
    "\"resources\": [{\"name\": \"r\", \"count\": 1, \"cost_per_hour\": 60}],"                  \
    "\"tasks\": {\"A\": {\"duration\": " CONST(2) "}, \"B\": {\"duration\": " CONST(3) "},"     \
    "\"C\": {\"duration\": " CONST(1) "},"                                                      \
    "\"undoA\": {\"duration\": " CONST(5) ", \"resource\": \"r\", \"cost\": 1},"                \
    "\"undoB\": {\"duration\": " CONST(7) "}}}"

/* The activities of case 0 in the event log of replication 0, in order of
   completion, as "A,B,...". */
static void case0_trace(gm_proc *p, char *out, size_t cap)
{
    char path[] = "/tmp/gemel_comp_XXXXXX.csv";
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
    double kpi[256];
    assert_true(gm_proc_nkpi(p) <= 256);
    assert_int_equal(gm_proc_replicate(p, 1, 0, kpi, NULL, NULL, &err), 0);
    gm_proc_set_log(p, NULL);
    assert_int_equal(gm_evlog_close(lg, &err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    size_t o = 0;
    out[0] = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) { /* case_id,activity,... */
        char *c1 = strchr(line, ',');
        assert_non_null(c1);
        char *c2 = strchr(c1 + 1, ',');
        assert_non_null(c2);
        if (strncmp(line, "0,", 2) != 0)
            continue;
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? "," : "", (int)(c2 - c1 - 1), c1 + 1);
        assert_true(o < cap);
    }
    fclose(f);
    unlink(path);
}

static void test_comp_reverse(void **state)
{
    (void)state;
    char trace[512];
    gm_bpmn *m = load_bpmn(COMP_DOC("<compensateEventDefinition/>"));
    gm_proc *p = load_ok(m, COMP_PARAMS);
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2 + 3 + 7 + 5 + 1, 1e-12);
    assert_near(kpi_of(p, &s, "undoA.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "undoB.count"), 1.0, 0);
    /* undoA's 5 minutes of r at 60 an hour, and its fixed cost */
    assert_near(kpi_of(p, &s, "undoA.cost_mean"), 6.0, 1e-9);
    assert_near(kpi_of(p, &s, "case.cost_mean"), 6.0, 1e-9);
    assert_near(kpi_of(p, &s, "case.processing_time_mean"), 18.0, 1e-9);
    gm_exp_summary_free(&s);
    case0_trace(p, trace, sizeof trace);
    assert_string_equal(trace, "A,B,undoB,undoA,C"); /* the latest first */
    gm_proc_free(p);
    expect_error(m, P0 "\"tasks\": {\"A\": {\"duration\": " CONST(2) "}, \"B\": {\"duration\": " CONST(3) "},"
                       "\"C\": {\"duration\": " CONST(1) "}, \"undoB\": {\"duration\": " CONST(7) "}}}",
                 GM_EINVAL, "tasks", "task 'undoA' (t.bpmn:12) has no entry");
    expect_error(m, P0 "\"tasks\": {\"A\": {\"duration\": " CONST(2) "}, \"B\": {\"duration\": " CONST(3) "},"
                       "\"C\": {\"duration\": " CONST(1) "}, \"undoA\": {\"duration\": " CONST(7) "},"
                       "\"undoB\": {\"duration\": " CONST(7) "}}, \"events\": {\"cA\": {}}}",
                 GM_EINVAL, "events.cA", "'cA' is a compensation boundary event");
    gm_bpmn_free(m);

    /* without waiting: C (1) runs beside the handlers (12) */
    m = load_bpmn(COMP_DOC("<compensateEventDefinition waitForCompletion=\"false\"/>"));
    p = load_ok(m, COMP_PARAMS);
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2 + 3 + 7 + 5, 1e-12);
    gm_exp_summary_free(&s);
    case0_trace(p, trace, sizeof trace);
    assert_string_equal(trace, "A,B,C,undoB,undoA");
    gm_proc_free(p);
    gm_bpmn_free(m);

    /* only the activity named */
    m = load_bpmn(COMP_DOC("<compensateEventDefinition activityRef=\"A\"/>"));
    p = load_ok(m, COMP_PARAMS);
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2 + 3 + 5 + 1, 1e-12);
    assert_near(kpi_of(p, &s, "undoB.count"), 0.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* A booking sub-process books a hotel (2) and a flight (3); charging (1)
   fails with 0.4 and the case compensates the booking: with ESP, by the
   booking's compensation event sub-process, which cancels the flight (4)
   and then the hotel (1), each by name; without, by default, which cancels
   what completed inside, the latest first. */
#define BOOKING_DOC(ESP)                                                                        \
    HEAD "<startEvent id=\"s\"/>\n"                                                             \
         "<subProcess id=\"book\">\n"                                                           \
         "  <startEvent id=\"bs\"/>\n  <task id=\"hotel\"/>\n  <task id=\"flight\"/>\n"         \
         "  <endEvent id=\"be\"/>\n"                                                            \
         "  <boundaryEvent id=\"ch\" attachedToRef=\"hotel\"><compensateEventDefinition/></boundaryEvent>\n" \
         "  <boundaryEvent id=\"cf\" attachedToRef=\"flight\"><compensateEventDefinition/></boundaryEvent>\n" \
         "  <task id=\"cancelHotel\" isForCompensation=\"true\"/>\n"                              \
         "  <task id=\"cancelFlight\" isForCompensation=\"true\"/>\n"                             \
         "  <association id=\"a1\" sourceRef=\"ch\" targetRef=\"cancelHotel\"/>\n"              \
         "  <association id=\"a2\" sourceRef=\"cf\" targetRef=\"cancelFlight\"/>\n"             \
         "  <sequenceFlow id=\"b1\" sourceRef=\"bs\" targetRef=\"hotel\"/>\n"                   \
         "  <sequenceFlow id=\"b2\" sourceRef=\"hotel\" targetRef=\"flight\"/>\n"               \
         "  <sequenceFlow id=\"b3\" sourceRef=\"flight\" targetRef=\"be\"/>\n" ESP               \
         "</subProcess>\n"                                                                      \
         "<task id=\"charge\"/>\n"                                                              \
         "<boundaryEvent id=\"err\" attachedToRef=\"charge\"><errorEventDefinition/></boundaryEvent>\n" \
         "<endEvent id=\"paid\"><compensateEventDefinition activityRef=\"nothing\"/></endEvent>\n" \
         "<task id=\"nothing\"/>\n"                                                             \
         "<endEvent id=\"failed\"><compensateEventDefinition activityRef=\"book\"/></endEvent>\n" \
         "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"book\"/>\n"                       \
         "<sequenceFlow id=\"f2\" sourceRef=\"book\" targetRef=\"charge\"/>\n"                  \
         "<sequenceFlow id=\"f3\" sourceRef=\"charge\" targetRef=\"paid\"/>\n"                  \
         "<sequenceFlow id=\"f4\" sourceRef=\"err\" targetRef=\"failed\"/>\n" TAIL

#define BOOKING_ESP                                                                             \
    "  <subProcess id=\"undoBooking\" triggeredByEvent=\"true\">\n"                             \
    "    <startEvent id=\"us\"><compensateEventDefinition/></startEvent>\n"                     \
    "    <intermediateThrowEvent id=\"uf\"><compensateEventDefinition activityRef=\"flight\"/></intermediateThrowEvent>\n" \
    "    <intermediateThrowEvent id=\"uh\"><compensateEventDefinition activityRef=\"hotel\"/></intermediateThrowEvent>\n" \
    "    <endEvent id=\"ue\"/>\n"                                                               \
    "    <sequenceFlow id=\"u1\" sourceRef=\"us\" targetRef=\"uf\"/>\n"                         \
    "    <sequenceFlow id=\"u2\" sourceRef=\"uf\" targetRef=\"uh\"/>\n"                         \
    "    <sequenceFlow id=\"u3\" sourceRef=\"uh\" targetRef=\"ue\"/>\n"                         \
    "  </subProcess>\n"

#define BOOKING_PARAMS                                                                          \
    "{\"type\": \"process-simulation\", \"cases\": 20000,"                                      \
    "\"arrivals\": {\"interarrival\": " CONST(30) "},"                                          \
    "\"tasks\": {\"hotel\": {\"duration\": " CONST(2) "}, \"flight\": {\"duration\": " CONST(3) "}," \
    "\"charge\": {\"duration\": " CONST(1) "}, \"nothing\": {\"duration\": " CONST(1) "},"      \
    "\"cancelHotel\": {\"duration\": " CONST(1) "}, \"cancelFlight\": {\"duration\": " CONST(4) "}}," \
    "\"events\": {\"err\": {\"probability\": 0.4}}}"

static void test_comp_subprocess(void **state)
{
    (void)state;
    for (int with_esp = 1; with_esp >= 0; with_esp--) {
        char trace[512];
        gm_bpmn *m = load_bpmn(with_esp ? BOOKING_DOC(BOOKING_ESP) : BOOKING_DOC(""));
        gm_proc *p = load_ok(m, BOOKING_PARAMS);
        gm_exp_summary s;
        run_exp(p, 4, &s);
        double failed = kpi_of(p, &s, "cancelFlight.count");
        assert_near(failed, 0.4, 0.02);
        assert_near(kpi_of(p, &s, "cancelHotel.count"), failed, 1e-12);
        assert_near(kpi_of(p, &s, "charge.count"), 1.0, 0); /* done, then failed */
        if (with_esp)
            assert_near(kpi_of(p, &s, "undoBooking.count"), failed, 1e-12);
        /* 5 + 1, then 4 + 1 when it failed; the end event 'paid' names an
           activity that never completed: nothing to do */
        assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 6 + 5 * failed, 1e-9);
        assert_near(kpi_of(p, &s, "nothing.count"), 0.0, 0);
        gm_exp_summary_free(&s);
        gm_proc_free(p);
        /* every charge fails: the flight is cancelled first */
        p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 10,"
                       "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                       "\"tasks\": {\"hotel\": {\"duration\": " CONST(2) "}, \"flight\": {\"duration\": " CONST(3) "},"
                       "\"charge\": {\"duration\": " CONST(1) "}, \"nothing\": {\"duration\": " CONST(1) "},"
                       "\"cancelHotel\": {\"duration\": " CONST(1) "}, \"cancelFlight\": {\"duration\": " CONST(4) "}},"
                       "\"events\": {\"err\": {\"probability\": 1}}}");
        case0_trace(p, trace, sizeof trace);
        assert_string_equal(trace, "hotel,flight,charge,cancelFlight,cancelHotel");
        gm_proc_free(p);
        gm_bpmn_free(m);
    }
}

/* An error handler compensates its scope: the error end event withdraws
   the tokens, not what completed; the handler's compensation end event
   undoes A. */
static void test_comp_error_handler(void **state)
{
    (void)state;
    static const char doc[] = HEAD
        "<startEvent id=\"s\"/>\n<task id=\"A\"/>\n<exclusiveGateway id=\"g\"/>\n"
        "<endEvent id=\"bad\"><errorEventDefinition/></endEvent>\n<endEvent id=\"ok\"/>\n"
        "<boundaryEvent id=\"cA\" attachedToRef=\"A\"><compensateEventDefinition/></boundaryEvent>\n"
        "<subProcess id=\"undoA\" isForCompensation=\"true\">\n"
        "  <startEvent id=\"us\"/>\n  <task id=\"u1\"/>\n  <task id=\"u2\"/>\n  <endEvent id=\"ue\"/>\n"
        "  <sequenceFlow id=\"x1\" sourceRef=\"us\" targetRef=\"u1\"/>\n"
        "  <sequenceFlow id=\"x2\" sourceRef=\"u1\" targetRef=\"u2\"/>\n"
        "  <sequenceFlow id=\"x3\" sourceRef=\"u2\" targetRef=\"ue\"/>\n"
        "</subProcess>\n"
        "<association id=\"a1\" sourceRef=\"undoA\" targetRef=\"cA\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"A\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"A\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"toBad\" sourceRef=\"g\" targetRef=\"bad\"/>\n"
        "<sequenceFlow id=\"toOk\" sourceRef=\"g\" targetRef=\"ok\"/>\n"
        "<subProcess id=\"onErr\" triggeredByEvent=\"true\">\n"
        "  <startEvent id=\"es\"><errorEventDefinition/></startEvent>\n"
        "  <endEvent id=\"all\"><compensateEventDefinition/></endEvent>\n"
        "  <sequenceFlow id=\"e1\" sourceRef=\"es\" targetRef=\"all\"/>\n"
        "</subProcess>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 20000,"
                            "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                            "\"tasks\": {\"A\": {\"duration\": " CONST(2) "},"
                            "\"u1\": {\"duration\": " CONST(2) "}, \"u2\": {\"duration\": " CONST(3) "}},"
                            "\"gateways\": {\"g\": {\"toBad\": 0.25, \"toOk\": 0.75}}}");
    gm_exp_summary s;
    run_exp(p, 4, &s);
    double bad = kpi_of(p, &s, "onErr.count");
    assert_near(bad, 0.25, 0.015);
    assert_near(kpi_of(p, &s, "undoA.count"), bad, 1e-12);
    assert_near(kpi_of(p, &s, "u2.count"), bad, 1e-12);
    assert_near(kpi_of(p, &s, "undoA.duration_mean"), 5.0, 1e-12);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2 + 5 * bad, 1e-9);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* An error inside a compensation handler fails the scope that compensates:
   here the process, whose error event sub-process catches it. */
static void test_comp_handler_error(void **state)
{
    (void)state;
    static const char doc[] = HEAD
        "<startEvent id=\"s\"/>\n<task id=\"A\"/>\n"
        "<intermediateThrowEvent id=\"undo\"><compensateEventDefinition/></intermediateThrowEvent>\n"
        "<task id=\"never\"/>\n<endEvent id=\"e\"/>\n"
        "<boundaryEvent id=\"cA\" attachedToRef=\"A\"><compensateEventDefinition/></boundaryEvent>\n"
        "<subProcess id=\"undoA\" isForCompensation=\"true\">\n"
        "  <startEvent id=\"us\"/>\n  <task id=\"try\"/>\n"
        "  <endEvent id=\"fails\"><errorEventDefinition/></endEvent>\n"
        "  <sequenceFlow id=\"x1\" sourceRef=\"us\" targetRef=\"try\"/>\n"
        "  <sequenceFlow id=\"x2\" sourceRef=\"try\" targetRef=\"fails\"/>\n"
        "</subProcess>\n"
        "<association id=\"a1\" sourceRef=\"cA\" targetRef=\"undoA\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"A\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"A\" targetRef=\"undo\"/>\n"
        "<sequenceFlow id=\"f3\" sourceRef=\"undo\" targetRef=\"never\"/>\n"
        "<sequenceFlow id=\"f4\" sourceRef=\"never\" targetRef=\"e\"/>\n"
        "<subProcess id=\"onErr\" triggeredByEvent=\"true\">\n"
        "  <startEvent id=\"es\"><errorEventDefinition/></startEvent>\n"
        "  <task id=\"fix\"/>\n  <endEvent id=\"fe\"/>\n"
        "  <sequenceFlow id=\"e1\" sourceRef=\"es\" targetRef=\"fix\"/>\n"
        "  <sequenceFlow id=\"e2\" sourceRef=\"fix\" targetRef=\"fe\"/>\n"
        "</subProcess>\n" TAIL;
    gm_bpmn *m = load_bpmn(doc);
    gm_proc *p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 100,"
                            "\"arrivals\": {\"interarrival\": " CONST(30) "},"
                            "\"tasks\": {\"A\": {\"duration\": " CONST(2) "},"
                            "\"try\": {\"duration\": " CONST(1) "}, \"never\": {\"duration\": " CONST(1) "},"
                            "\"fix\": {\"duration\": " CONST(3) "}}}");
    gm_exp_summary s;
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2 + 1 + 3, 1e-12);
    assert_near(kpi_of(p, &s, "never.count"), 0.0, 0);
    assert_near(kpi_of(p, &s, "undoA.count"), 0.0, 0); /* it failed */
    assert_near(kpi_of(p, &s, "fix.count"), 1.0, 0);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
}

/* ---- event-based gateways that start the process -------------------------- */

/* No start event: cases arrive at the gateway; a message (exponential,
   mean 2) or a letter (mean 3), whichever comes first, starts the case.
   Parallel (TYPE): both paths run, the second when its event comes. */
#define INST_DOC(TYPE)                                                                          \
    HEAD "<eventBasedGateway id=\"g\" instantiate=\"true\"" TYPE "/>\n"                          \
         "<intermediateCatchEvent id=\"msg\"><messageEventDefinition/></intermediateCatchEvent>\n" \
         "<intermediateCatchEvent id=\"letter\"><messageEventDefinition/></intermediateCatchEvent>\n" \
         "<task id=\"a\"/>\n<task id=\"b\"/>\n<parallelGateway id=\"j\"/>\n<endEvent id=\"e\"/>\n" \
         "<sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"msg\"/>\n"                        \
         "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"letter\"/>\n"                     \
         "<sequenceFlow id=\"f3\" sourceRef=\"msg\" targetRef=\"a\"/>\n"                        \
         "<sequenceFlow id=\"f4\" sourceRef=\"letter\" targetRef=\"b\"/>\n"                     \
         "<sequenceFlow id=\"f5\" sourceRef=\"a\" targetRef=\"" JOIN "\"/>\n"                   \
         "<sequenceFlow id=\"f6\" sourceRef=\"b\" targetRef=\"" JOIN "\"/>\n"                   \
         "<sequenceFlow id=\"f7\" sourceRef=\"j\" targetRef=\"e\"/>\n" TAIL

#define INST_PARAMS                                                                             \
    "{\"type\": \"process-simulation\", \"cases\": 20000,"                                      \
    "\"arrivals\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 5}},"               \
    "\"tasks\": {\"a\": {\"duration\": " CONST(1) "}, \"b\": {\"duration\": " CONST(1) "}},"    \
    "\"events\": {\"msg\": {\"delay\": {\"dist\": \"exponential\", \"mean\": 2}},"              \
    "\"letter\": {\"delay\": {\"dist\": \"exponential\", \"mean\": 3}}}}"

static void test_instantiate(void **state)
{
    (void)state;
    /* exclusive: the first event starts the case and the other is dropped;
       the case then takes just its task (both paths end at e) */
#define JOIN "e"
    gm_bpmn *m = load_bpmn(INST_DOC(""));
    gm_proc *p = load_ok(m, INST_PARAMS);
    gm_exp_summary s;
    run_exp(p, 10, &s);
    expect_kpi(p, &s, "a.count", 0.6, 0.01); /* (1/2) / (1/2 + 1/3) */
    expect_kpi(p, &s, "b.count", 0.4, 0.015);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 1.0, 1e-12);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
#undef JOIN
    /* parallel: both paths, joined; the later event comes |Dm - Dl| after
       the first: E = E[max] - E[min] = (2 + 3 - 1.2) - 1.2 = 2.6 */
#define JOIN "j"
    m = load_bpmn(INST_DOC(" eventGatewayType=\"Parallel\""));
    p = load_ok(m, INST_PARAMS);
    run_exp(p, 10, &s);
    assert_near(kpi_of(p, &s, "a.count"), 1.0, 0);
    assert_near(kpi_of(p, &s, "b.count"), 1.0, 0);
    expect_kpi(p, &s, "case.cycle_time_mean", 2.6 + 1, 0.01);
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    /* keyed by the gateway's id, as a start event's */
    p = load_ok(m, "{\"type\": \"process-simulation\", \"cases\": 10,"
                   "\"arrivals\": {\"g\": {\"interarrival\": " CONST(5) "}},"
                   "\"tasks\": {\"a\": {\"duration\": " CONST(1) "}, \"b\": {\"duration\": " CONST(1) "}},"
                   "\"events\": {\"msg\": {\"delay\": " CONST(2) "}, \"letter\": {\"delay\": " CONST(3) "}}}");
    run_exp(p, 2, &s);
    assert_near(kpi_of(p, &s, "case.cycle_time_mean"), 2.0, 1e-12); /* 3 - 2, then 1 */
    gm_exp_summary_free(&s);
    gm_proc_free(p);
    gm_bpmn_free(m);
#undef JOIN
}

/* Where the specification gives no meaning, a precise refusal. */
static void test_instantiate_refusals(void **state)
{
    (void)state;
    static const char inner_doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<eventBasedGateway id=\"g\" instantiate=\"true\"/>\n"
        "<intermediateCatchEvent id=\"msg\"><messageEventDefinition/></intermediateCatchEvent>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"msg\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"msg\" targetRef=\"e\"/>\n" TAIL;
    gm_bpmn *m = load_bpmn(inner_doc);
    expect_error(m, P0 "\"events\": {\"msg\": {\"delay\": " CONST(1) "}}}", GM_EUNSUPPORTED,
                 "t.bpmn:5",
                 "simulation of eventBasedGateway 'g' with instantiate=\"true\" and incoming "
                 "sequence flows is not supported");
    gm_bpmn_free(m);

    static const char par_doc[] = HEAD
        "<startEvent id=\"s\"/>\n"
        "<eventBasedGateway id=\"g\" eventGatewayType=\"Parallel\"/>\n"
        "<intermediateCatchEvent id=\"msg\"><messageEventDefinition/></intermediateCatchEvent>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"g\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"msg\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"msg\" targetRef=\"e\"/>\n" TAIL;
    m = load_bpmn(par_doc);
    expect_error(m, P0 "\"events\": {\"msg\": {\"delay\": " CONST(1) "}}}", GM_EUNSUPPORTED,
                 "t.bpmn:5",
                 "eventGatewayType=\"Parallel\" and no instantiate=\"true\" is not supported");
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
        cmocka_unit_test(test_collapsed_subprocess),
        cmocka_unit_test(test_esp_interrupting),
        cmocka_unit_test(test_esp_non_interrupting),
        cmocka_unit_test(test_esp_error),
        cmocka_unit_test(test_esp_scopes),
        cmocka_unit_test(test_comp_reverse),
        cmocka_unit_test(test_comp_subprocess),
        cmocka_unit_test(test_comp_error_handler),
        cmocka_unit_test(test_comp_handler_error),
        cmocka_unit_test(test_instantiate),
        cmocka_unit_test(test_instantiate_refusals),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
