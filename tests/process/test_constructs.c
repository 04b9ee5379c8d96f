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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_link_join),
        cmocka_unit_test(test_link_nowhere),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
