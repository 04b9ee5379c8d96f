#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "process/bpmn.h"

#ifndef GEMEL_SHARED_DATA
#define GEMEL_SHARED_DATA "../shared/data"
#endif

static gm_bpmn *load_ok(const char *doc)
{
    gm_bpmn *m = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_bpmn_load_mem(doc, strlen(doc), "t.bpmn", &m, &err);
    if (rc) {
        char buf[1200];
        print_error("unexpected error: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

static const gm_bpmn_node *node(const gm_bpmn *m, const char *id)
{
    size_t i = gm_bpmn_find_node(m, id);
    assert_true(i != GM_BPMN_NONE);
    return gm_bpmn_node_at(m, i);
}

static const char *flow_id(const gm_bpmn *m, size_t f)
{
    return gm_bpmn_flow_at(m, f)->id;
}

/* A prefixed document with a collaboration, lanes, a gateway with a default
   flow and a condition, a sub-process with a loop marker, a boundary timer. */
static const char prefixed[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                  /* 1 */
    "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n" /* 2 */
    "  xmlns:bpmndi=\"http://www.omg.org/spec/BPMN/20100524/DI\"\n"                 /* 3 */
    "  xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" id=\"d\">\n"            /* 4 */
    "<bpmn:collaboration id=\"c\">\n"                                               /* 5 */
    "  <bpmn:participant id=\"pool\" name=\"Shop\" processRef=\"P\"/>\n"            /* 6 */
    "  <bpmn:participant id=\"cust\" name=\"Customer\"/>\n"                         /* 7 */
    "  <bpmn:messageFlow id=\"mf\" sourceRef=\"cust\" targetRef=\"pool\"/>\n"       /* 8 */
    "</bpmn:collaboration>\n"                                                       /* 9 */
    "<bpmn:process id=\"P\" name=\"Orders\" isExecutable=\"true\">\n"               /* 10 */
    "  <bpmn:laneSet id=\"ls\">\n"                                                  /* 11 */
    "    <bpmn:lane id=\"L1\" name=\"Sales\">\n"                                    /* 12 */
    "      <bpmn:flowNodeRef>s</bpmn:flowNodeRef>\n"                                /* 13 */
    "      <bpmn:flowNodeRef>g</bpmn:flowNodeRef>\n"                                /* 14 */
    "      <bpmn:childLaneSet id=\"cls\"><bpmn:lane id=\"L3\" name=\"Desk\">"
    "<bpmn:flowNodeRef>g</bpmn:flowNodeRef></bpmn:lane></bpmn:childLaneSet>\n"      /* 15 */
    "    </bpmn:lane>\n"                                                            /* 16 */
    "    <bpmn:lane id=\"L2\">\n"                                                   /* 17 */
    "      <bpmn:flowNodeRef>sub</bpmn:flowNodeRef>\n"                              /* 18 */
    "      <bpmn:flowNodeRef> e </bpmn:flowNodeRef>\n"                              /* 19 */
    "      <bpmn:flowNodeRef>t2</bpmn:flowNodeRef>\n"                               /* 20 */
    "      <bpmn:flowNodeRef>b</bpmn:flowNodeRef>\n"                                /* 21 */
    "    </bpmn:lane>\n"                                                            /* 22 */
    "  </bpmn:laneSet>\n"                                                           /* 23 */
    "  <bpmn:startEvent id=\"s\" name=\"Order in\"><bpmn:outgoing>f1</bpmn:outgoing>"
    "<bpmn:messageEventDefinition/></bpmn:startEvent>\n"                            /* 24 */
    "  <bpmn:sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"g\"/>\n"            /* 25 */
    "  <bpmn:exclusiveGateway id=\"g\" name=\"ok?\" default=\"f3\"/>\n"             /* 26 */
    "  <bpmn:sequenceFlow id=\"f2\" name=\"yes\" sourceRef=\"g\" targetRef=\"sub\">\n" /* 27 */
    "    <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">${ok &amp;&amp; x &gt; 1}"
    "</bpmn:conditionExpression>\n"                                                 /* 28 */
    "  </bpmn:sequenceFlow>\n"                                                      /* 29 */
    "  <bpmn:sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"e\"/>\n"            /* 30 */
    "  <bpmn:subProcess id=\"sub\" name=\"Pack\">\n"                                /* 31 */
    "    <bpmn:multiInstanceLoopCharacteristics isSequential=\"true\"/>\n"          /* 32 */
    "    <bpmn:startEvent id=\"ss\"/>\n"                                            /* 33 */
    "    <bpmn:userTask id=\"t1\" name=\"Pick\">"
    "<bpmn:standardLoopCharacteristics/></bpmn:userTask>\n"                         /* 34 */
    "    <bpmn:endEvent id=\"se\"/>\n"                                              /* 35 */
    "    <bpmn:sequenceFlow id=\"sf1\" sourceRef=\"ss\" targetRef=\"t1\"/>\n"       /* 36 */
    "    <bpmn:sequenceFlow id=\"sf2\" sourceRef=\"t1\" targetRef=\"se\"/>\n"       /* 37 */
    "  </bpmn:subProcess>\n"                                                        /* 38 */
    "  <bpmn:boundaryEvent id=\"b\" attachedToRef=\"sub\" cancelActivity=\"false\">\n" /* 39 */
    "    <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
    "</bpmn:timerEventDefinition>\n"                                                /* 40 */
    "  </bpmn:boundaryEvent>\n"                                                     /* 41 */
    "  <bpmn:serviceTask id=\"t2\" camunda:class=\"x.Y\">"
    "<bpmn:multiInstanceLoopCharacteristics/></bpmn:serviceTask>\n"                 /* 42 */
    "  <bpmn:endEvent id=\"e\"><bpmn:terminateEventDefinition/></bpmn:endEvent>\n"  /* 43 */
    "  <bpmn:sequenceFlow id=\"f4\" sourceRef=\"sub\" targetRef=\"e\"/>\n"          /* 44 */
    "  <bpmn:sequenceFlow id=\"f5\" sourceRef=\"b\" targetRef=\"t2\"/>\n"           /* 45 */
    "  <bpmn:sequenceFlow id=\"f6\" sourceRef=\"t2\" targetRef=\"e\"/>\n"           /* 46 */
    "  <bpmn:textAnnotation id=\"ta\"><bpmn:text>note</bpmn:text></bpmn:textAnnotation>\n"
    "</bpmn:process>\n"
    "<bpmndi:BPMNDiagram id=\"dia\"><bpmndi:BPMNPlane id=\"pl\"/></bpmndi:BPMNDiagram>\n"
    "</bpmn:definitions>\n";

static void test_prefixed_structure(void **state)
{
    (void)state;
    gm_bpmn *m = load_ok(prefixed);
    assert_int_equal(gm_bpmn_nprocesses(m), 1);
    const gm_bpmn_process *p = gm_bpmn_process_at(m, 0);
    assert_string_equal(p->id, "P");
    assert_string_equal(p->name, "Orders");
    assert_string_equal(p->participant, "Shop");
    assert_true(p->executable);
    assert_int_equal(p->line, 10);
    /* s g sub ss t1 se b t2 e */
    assert_int_equal(gm_bpmn_nnodes(m), 9);
    assert_int_equal(gm_bpmn_nflows(m), 8);
    assert_null(gm_bpmn_node_at(m, 9));

    const gm_bpmn_node *s = node(m, "s");
    assert_int_equal(s->kind, GM_BPMN_START_EVENT);
    assert_int_equal(s->trigger, GM_BPMN_TRIGGER_MESSAGE);
    assert_string_equal(s->name, "Order in");
    assert_string_equal(s->lane, "Sales");
    assert_int_equal(s->line, 24);
    assert_int_equal(s->nin, 0);
    assert_int_equal(s->nout, 1);
    assert_string_equal(flow_id(m, s->out[0]), "f1");

    const gm_bpmn_node *g = node(m, "g");
    assert_int_equal(g->kind, GM_BPMN_EXCLUSIVE_GATEWAY);
    assert_string_equal(g->lane, "Desk"); /* innermost lane wins */
    assert_int_equal(g->nout, 2);
    assert_string_equal(flow_id(m, g->out[0]), "f2");
    assert_string_equal(flow_id(m, g->out[1]), "f3");
    assert_string_equal(flow_id(m, g->default_flow), "f3");
    const gm_bpmn_flow *f2 = gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "f2"));
    assert_string_equal(f2->condition, "${ok && x > 1}");
    assert_string_equal(f2->name, "yes");
    assert_false(f2->is_default);
    assert_int_equal(f2->line, 27);
    assert_true(gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "f3"))->is_default);
    assert_null(gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "f3"))->condition);

    const gm_bpmn_node *sub = node(m, "sub");
    size_t isub = gm_bpmn_find_node(m, "sub");
    assert_int_equal(sub->kind, GM_BPMN_SUBPROCESS);
    assert_int_equal(sub->loop, GM_BPMN_LOOP_MI_SEQUENTIAL);
    assert_int_equal(sub->parent, GM_BPMN_NONE);
    assert_string_equal(sub->lane, "L2"); /* unnamed lane: its id */
    const gm_bpmn_node *t1 = node(m, "t1");
    assert_int_equal(t1->kind, GM_BPMN_TASK);
    assert_int_equal(t1->task, GM_BPMN_TASK_USER);
    assert_string_equal(t1->element, "userTask");
    assert_int_equal(t1->loop, GM_BPMN_LOOP_STANDARD);
    assert_int_equal(t1->parent, isub);
    assert_string_equal(t1->lane, "L2"); /* inherited from the sub-process */
    assert_int_equal(node(m, "ss")->parent, isub);
    assert_int_equal(gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "sf1"))->parent, isub);
    assert_int_equal(gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "f2"))->parent, GM_BPMN_NONE);

    const gm_bpmn_node *b = node(m, "b");
    assert_int_equal(b->kind, GM_BPMN_BOUNDARY_EVENT);
    assert_int_equal(b->trigger, GM_BPMN_TRIGGER_TIMER);
    assert_int_equal(b->attached_to, isub);
    assert_false(b->cancel_activity);
    assert_string_equal(b->timer_kind, "timeDuration");
    assert_string_equal(b->timer, "PT1H");

    const gm_bpmn_node *t2 = node(m, "t2");
    assert_int_equal(t2->task, GM_BPMN_TASK_SERVICE);
    assert_int_equal(t2->loop, GM_BPMN_LOOP_MI_PARALLEL);
    const gm_bpmn_node *e = node(m, "e");
    assert_int_equal(e->trigger, GM_BPMN_TRIGGER_TERMINATE);
    assert_int_equal(e->nin, 3);
    assert_string_equal(flow_id(m, e->in[0]), "f3");
    assert_string_equal(flow_id(m, e->in[1]), "f4");
    assert_string_equal(flow_id(m, e->in[2]), "f6");
    assert_int_equal(gm_bpmn_find_node(m, "ta"), GM_BPMN_NONE);
    assert_int_equal(gm_bpmn_find_node(m, "f1"), GM_BPMN_NONE);
    assert_string_equal(gm_bpmn_kind_name(e->kind), "endEvent");
    assert_string_equal(gm_bpmn_loop_name(GM_BPMN_LOOP_MI_SEQUENTIAL), "sequential");
    gm_bpmn_free(m);
}

/* Default namespace, a different prefix for BPMN, and a foreign element
   called "task" that must not be taken for a BPMN task. */
static void test_default_namespace(void **state)
{
    (void)state;
    static const char doc[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:x=\"urn:other\" id=\"d\">\n"
        "<process id=\"A\"><startEvent id=\"a1\"/><x:task id=\"alien\"/>"
        "<intermediateCatchEvent id=\"w\"><timerEventDefinition><timeCycle>R3/PT10M"
        "</timeCycle></timerEventDefinition></intermediateCatchEvent>"
        "<callActivity id=\"ca\" calledElement=\"B\"/>"
        "<parallelGateway id=\"pg\"/><inclusiveGateway id=\"ig\"/><eventBasedGateway id=\"eg\"/>"
        "<intermediateThrowEvent id=\"ms\"/>"
        "<sequenceFlow id=\"a\" sourceRef=\"a1\" targetRef=\"w\"/></process>\n"
        "<y:process xmlns:y=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"B\">"
        "<y:startEvent id=\"b1\"><y:timerEventDefinition/></y:startEvent>"
        "<y:endEvent id=\"b2\"><y:errorEventDefinition errorRef=\"E\"/></y:endEvent>"
        "<y:sequenceFlow id=\"b\" sourceRef=\"b1\" targetRef=\"b2\"/></y:process>\n"
        "</definitions>\n";
    gm_bpmn *m = load_ok(doc);
    assert_int_equal(gm_bpmn_nprocesses(m), 2);
    assert_null(gm_bpmn_process_at(m, 0)->participant);
    assert_false(gm_bpmn_process_at(m, 0)->executable);
    assert_int_equal(gm_bpmn_nnodes(m), 9);
    assert_int_equal(gm_bpmn_find_node(m, "alien"), GM_BPMN_NONE);
    const gm_bpmn_node *w = node(m, "w");
    assert_int_equal(w->kind, GM_BPMN_CATCH_EVENT);
    assert_string_equal(w->timer_kind, "timeCycle");
    assert_string_equal(w->timer, "R3/PT10M");
    assert_int_equal(w->nin, 1);
    assert_string_equal(node(m, "ca")->called_element, "B");
    assert_int_equal(node(m, "pg")->kind, GM_BPMN_PARALLEL_GATEWAY);
    assert_int_equal(node(m, "ig")->kind, GM_BPMN_INCLUSIVE_GATEWAY);
    assert_int_equal(node(m, "eg")->kind, GM_BPMN_EVENT_GATEWAY);
    assert_int_equal(node(m, "ms")->kind, GM_BPMN_THROW_EVENT);
    assert_null(node(m, "ms")->lane);
    const gm_bpmn_node *b1 = node(m, "b1");
    assert_int_equal(b1->process, 1);
    assert_int_equal(b1->trigger, GM_BPMN_TRIGGER_TIMER);
    assert_null(b1->timer);
    assert_int_equal(node(m, "b2")->trigger, GM_BPMN_TRIGGER_ERROR);
    assert_int_equal(gm_bpmn_flow_at(m, gm_bpmn_find_flow(m, "b"))->process, 1);
    gm_bpmn_free(m);
}

/* doc must fail to load with code and exactly the one-line message msg. */
static void load_fails(const char *doc, int code, const char *msg)
{
    gm_bpmn *m = (gm_bpmn *)1;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_bpmn_load_mem(doc, strlen(doc), "t.bpmn", &m, &err);
    char buf[1200];
    gm_err_format(&err, buf, sizeof buf);
    if (rc != code || strcmp(buf, msg) != 0)
        print_error("got %d '%s'\nwant %d '%s'\n", rc, buf, code, msg);
    assert_int_equal(rc, code);
    assert_null(m);
    assert_string_equal(buf, msg);
}

/* Wrap body lines in a document whose body starts on line 4. */
static void expect_error(const char *body, int code, const char *msg)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?>\n"
             "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
             "<bpmn:process id=\"P\">\n"
             "%s"
             "</bpmn:process></bpmn:definitions>\n",
             body);
    load_fails(doc, code, msg);
}

static void test_dangling_references(void **state)
{
    (void)state;
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"nope\"/>\n",
                 GM_EINVAL, "t.bpmn:5: sequenceFlow 'f' targetRef 'nope' does not name a flow node");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"sp\">\n"
                 "  <bpmn:task id=\"in\"/>\n"
                 "</bpmn:subProcess>\n"
                 "<bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"in\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:8: sequenceFlow 'f' targetRef 'in' is not in the same (sub-)process");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:task id=\"t\"/>\n"
                 "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"s\"><bpmn:timerEventDefinition/>"
                 "</bpmn:boundaryEvent>\n",
                 GM_EINVAL,
                 "t.bpmn:6: boundaryEvent 'b' attachedToRef 's' does not name an activity in "
                 "the same (sub-)process");
    expect_error("<bpmn:startEvent id=\"s\">\n"
                 "  <bpmn:outgoing>ghost</bpmn:outgoing>\n"
                 "</bpmn:startEvent>\n",
                 GM_EINVAL, "t.bpmn:5: element 's' outgoing 'ghost' does not name a sequence flow");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:exclusiveGateway id=\"g\" default=\"zz\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: element 'g' default 'zz' does not name one of its outgoing sequence "
                 "flows");
    expect_error("<bpmn:laneSet><bpmn:lane id=\"L\" name=\"Ops\">\n"
                 "<bpmn:flowNodeRef>missing</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n"
                 "<bpmn:startEvent id=\"s\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: lane 'Ops' flowNodeRef 'missing' does not name a flow node of its "
                 "process");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:task id=\"s\"/>\n", GM_EINVAL,
                 "t.bpmn:5: duplicate id 's' (task)");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:task/>\n", GM_EINVAL,
                 "t.bpmn:5: element (task) has no id");
    expect_error("<bpmn:task id=\"t\"/>\n", GM_EINVAL, "t.bpmn:3: process 'P' has no start event");
}

static void test_unsupported(void **state)
{
    (void)state;
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:complexGateway id=\"cg\"/>\n",
                 GM_EUNSUPPORTED, "t.bpmn:5: element 'cg' (complexGateway) is not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n\n<bpmn:intermediateThrowEvent id=\"it\">"
                 "<bpmn:cancelEventDefinition/></bpmn:intermediateThrowEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:6: element 'it' (intermediateThrowEvent with cancelEventDefinition) is "
                 "not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:intermediateThrowEvent id=\"m\">"
                 "<bpmn:messageEventDefinition/><bpmn:signalEventDefinition/>"
                 "</bpmn:intermediateThrowEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'm' (intermediateThrowEvent with several event definitions) "
                 "is not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:transaction id=\"tx\"/>\n", GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'tx' (transaction) is not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:adHocSubProcess id=\"ah\"/>\n",
                 GM_EUNSUPPORTED, "t.bpmn:5: element 'ah' (adHocSubProcess) is not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"><bpmn:errorEventDefinition/></bpmn:startEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:4: element 's' (startEvent with errorEventDefinition) is not supported "
                 "yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:intermediateCatchEvent id=\"c\">"
                 "<bpmn:errorEventDefinition/></bpmn:intermediateCatchEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'c' (intermediateCatchEvent with errorEventDefinition) is "
                 "not supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:intermediateCatchEvent id=\"c\"/>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'c' (intermediateCatchEvent without event definition) is not "
                 "supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:task id=\"t\"/>\n"
                 "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"t\">"
                 "<bpmn:cancelEventDefinition/></bpmn:boundaryEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:6: element 'b' (boundaryEvent with cancelEventDefinition) is not "
                 "supported yet");
    /* Compensation and error starts belong to event sub-processes only. */
    expect_error("<bpmn:startEvent id=\"s\"><bpmn:compensateEventDefinition/></bpmn:startEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:4: element 's' (startEvent with compensateEventDefinition) is not "
                 "supported yet");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:endEvent id=\"e\">"
                 "<bpmn:cancelEventDefinition/></bpmn:endEvent>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'e' (endEvent with cancelEventDefinition) is not supported "
                 "yet");
    /* Inside a sub-process too. */
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:subProcess id=\"sp\">\n"
                 "<bpmn:startEvent id=\"s2\"/>\n<bpmn:complexGateway id=\"deep\"/>\n"
                 "</bpmn:subProcess>\n",
                 GM_EUNSUPPORTED, "t.bpmn:7: element 'deep' (complexGateway) is not supported yet");
}

static void test_bad_documents(void **state)
{
    (void)state;
    gm_bpmn *m = NULL;
    gm_err err;
    const char *bad = "<a>\n<b></a>";
    assert_int_equal(gm_bpmn_load_mem(bad, strlen(bad), "x.bpmn", &m, &err), GM_EPARSE);
    assert_null(m);
    assert_string_equal(err.where, "x.bpmn:2");
    const char *other = "<definitions xmlns=\"urn:not-bpmn\"/>";
    assert_int_equal(gm_bpmn_load_mem(other, strlen(other), "x.bpmn", &m, &err), GM_EPARSE);
    const char *none =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"></definitions>";
    assert_int_equal(gm_bpmn_load_mem(none, strlen(none), "x.bpmn", &m, &err), GM_EINVAL);
    assert_string_equal(err.what, "no process in the definitions");
    /* External entities are never loaded: the reference stays unexpanded and
       the file is not read (so its id never appears). */
    const char *xxe =
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
        "<process id=\"P\"><startEvent id=\"s\" name=\"a\"/><task id=\"t\">"
        "<documentation>&x;</documentation></task></process></definitions>";
    m = NULL;
    int rc = gm_bpmn_load_mem(xxe, strlen(xxe), "x.bpmn", &m, &err);
    assert_int_equal(rc, 0);
    gm_bpmn_free(m);
    /* Depth limit. */
    size_t depth = GM_BPMN_MAX_DEPTH + 10, len = depth * 7 + 200;
    char *deep = malloc(len);
    assert_non_null(deep);
    size_t o = (size_t)snprintf(deep, len,
                                "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">");
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(deep + o, len - o, "<a>");
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(deep + o, len - o, "</a>");
    o += (size_t)snprintf(deep + o, len - o, "</definitions>");
    m = NULL;
    rc = gm_bpmn_load_mem(deep, o, "x.bpmn", &m, &err);
    free(deep);
    assert_int_equal(rc, GM_ELIMIT);
    assert_null(m);
    assert_int_equal(gm_bpmn_load_file("/nonexistent/x.bpmn", &m, &err), GM_ENOENT);
}

/* ---- the BPMN 2.0 Analytic and Common Executable constructs ---- */

#define DEFS_OPEN                                                                                  \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "                          \
    "xmlns:tns=\"urn:t\" targetNamespace=\"urn:t\" id=\"d\">\n"

static size_t idx(const gm_bpmn *m, const char *id)
{
    size_t i = gm_bpmn_find_node(m, id);
    assert_true(i != GM_BPMN_NONE);
    return i;
}

/* Global tasks of every kind, and call activities calling them, a process
   of the file (by a QName) and an element of another file. */
static void test_global_tasks(void **state)
{
    (void)state;
    static const char doc[] = DEFS_OPEN
        "<globalTask id=\"g0\" name=\"Check\"/>\n"                                   /* 2 */
        "<globalUserTask id=\"g1\"><rendering/><humanPerformer/></globalUserTask>\n" /* 3 */
        "<globalManualTask id=\"g2\"/>\n"
        "<globalScriptTask id=\"g3\"><script>x = 1</script></globalScriptTask>\n"
        "<globalBusinessRuleTask id=\"g4\"/>\n"
        "<process id=\"Main\"><startEvent id=\"s\"/>\n"
        "<callActivity id=\"c0\" calledElement=\"g0\"/><callActivity id=\"c1\" "
        "calledElement=\"tns:g1\"/>\n"
        "<callActivity id=\"c2\" calledElement=\"g2\"/><callActivity id=\"c3\" "
        "calledElement=\"g3\"/>\n"
        "<callActivity id=\"c4\" calledElement=\"g4\"/><callActivity id=\"cp\" "
        "calledElement=\"tns:Sub\"/>\n"
        "<callActivity id=\"cx\" calledElement=\"other:Elsewhere\"/><callActivity id=\"cn\"/>\n"
        "</process>\n"
        "<process id=\"Sub\"><startEvent id=\"s2\"/></process>\n"
        "</definitions>\n";
    gm_bpmn *m = load_ok(doc);
    assert_int_equal(gm_bpmn_nglobal_tasks(m), 5);
    assert_null(gm_bpmn_global_task_at(m, 5));
    static const char *const elements[] = {"globalTask", "globalUserTask", "globalManualTask",
                                           "globalScriptTask", "globalBusinessRuleTask"};
    static const gm_bpmn_task_type types[] = {GM_BPMN_TASK_PLAIN, GM_BPMN_TASK_USER,
                                              GM_BPMN_TASK_MANUAL, GM_BPMN_TASK_SCRIPT,
                                              GM_BPMN_TASK_BUSINESS_RULE};
    for (size_t k = 0; k < 5; k++) {
        const gm_bpmn_global_task *g = gm_bpmn_global_task_at(m, k);
        char id[8], call[8];
        snprintf(id, sizeof id, "g%zu", k);
        snprintf(call, sizeof call, "c%zu", k);
        assert_string_equal(g->id, id);
        assert_string_equal(g->element, elements[k]);
        assert_int_equal(g->task, types[k]);
        assert_int_equal(g->line, (long)k + 2);
        const gm_bpmn_node *c = node(m, call);
        assert_int_equal(c->kind, GM_BPMN_CALL_ACTIVITY);
        assert_int_equal(c->called_task, k);
        assert_int_equal(c->called_process, GM_BPMN_NONE);
    }
    assert_string_equal(gm_bpmn_global_task_at(m, 0)->name, "Check");
    assert_string_equal(gm_bpmn_global_task_at(m, 1)->name, "");
    assert_string_equal(node(m, "c1")->called_element, "tns:g1"); /* kept as written */
    assert_int_equal(node(m, "cp")->called_process, 1);
    assert_int_equal(node(m, "cp")->called_task, GM_BPMN_NONE);
    assert_int_equal(node(m, "cx")->called_process, GM_BPMN_NONE);
    assert_int_equal(node(m, "cx")->called_task, GM_BPMN_NONE);
    assert_null(node(m, "cn")->called_element);
    assert_int_equal(node(m, "cn")->called_task, GM_BPMN_NONE);
    /* A non-call node has no call. */
    assert_int_equal(node(m, "s")->called_process, GM_BPMN_NONE);
    gm_bpmn_free(m);

    /* A global task's id is one of the document's ids. */
    static const char dup[] = DEFS_OPEN "<globalTask id=\"x\"/>\n"
                              "<process id=\"P\"><startEvent id=\"s\"/>\n<task id=\"x\"/></process>"
                              "</definitions>";
    load_fails(dup, GM_EINVAL, "t.bpmn:4: duplicate id 'x' (task)");
    load_fails(DEFS_OPEN "<globalUserTask/>\n<process id=\"P\"/></definitions>", GM_EINVAL,
               "t.bpmn:2: element (globalUserTask) has no id");
}

/* Compensation: a handler reached by association from a boundary event
   (written either way round, in the process or in the collaboration), and
   the events that throw compensation. */
static const char compensation_doc[] = DEFS_OPEN
    "<collaboration id=\"co\"><participant id=\"pa\" processRef=\"P\"/>"
    "<association id=\"a2\" sourceRef=\"undoShip\" targetRef=\"cb2\"/></collaboration>\n"
    "<process id=\"P\">\n"                                                             /* 3 */
    "<startEvent id=\"s\"/>\n"
    "<task id=\"book\"/>\n"                                                            /* 5 */
    "<boundaryEvent id=\"cb\" attachedToRef=\"book\"><compensateEventDefinition/></boundaryEvent>\n"
    "<serviceTask id=\"undo\" isForCompensation=\"true\"/>\n"
    "<association id=\"a1\" sourceRef=\"cb\" targetRef=\"undo\" associationDirection=\"One\"/>\n"
    "<subProcess id=\"ship\"><startEvent id=\"ss\"/></subProcess>\n"                   /* 9 */
    "<boundaryEvent id=\"cb2\" attachedToRef=\"ship\"><compensateEventDefinition/></boundaryEvent>\n"
    "<subProcess id=\"undoShip\" isForCompensation=\"true\"><startEvent id=\"us\"/></subProcess>\n"
    "<intermediateThrowEvent id=\"t1\"><compensateEventDefinition activityRef=\"book\" "
    "waitForCompletion=\"false\"/></intermediateThrowEvent>\n"
    "<endEvent id=\"e\"><compensateEventDefinition/></endEvent>\n"
    "<textAnnotation id=\"note\"/><association id=\"a3\" sourceRef=\"book\" targetRef=\"note\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"book\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"book\" targetRef=\"ship\"/>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"ship\" targetRef=\"t1\"/>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"t1\" targetRef=\"e\"/>\n"
    "</process></definitions>\n";

static void test_compensation(void **state)
{
    (void)state;
    gm_bpmn *m = load_ok(compensation_doc);
    const gm_bpmn_node *cb = node(m, "cb");
    assert_int_equal(cb->kind, GM_BPMN_BOUNDARY_EVENT);
    assert_int_equal(cb->trigger, GM_BPMN_TRIGGER_COMPENSATE);
    assert_string_equal(gm_bpmn_trigger_name(cb->trigger), "compensate");
    assert_int_equal(cb->attached_to, idx(m, "book"));
    assert_int_equal(cb->compensation, idx(m, "undo"));
    assert_int_equal(node(m, "cb2")->compensation, idx(m, "undoShip"));
    assert_true(node(m, "undo")->for_compensation);
    assert_int_equal(node(m, "undo")->task, GM_BPMN_TASK_SERVICE);
    assert_true(node(m, "undoShip")->for_compensation);
    assert_false(node(m, "book")->for_compensation);
    assert_int_equal(node(m, "undo")->nin + node(m, "undo")->nout, 0);
    const gm_bpmn_node *t1 = node(m, "t1");
    assert_int_equal(t1->kind, GM_BPMN_THROW_EVENT);
    assert_int_equal(t1->trigger, GM_BPMN_TRIGGER_COMPENSATE);
    assert_int_equal(t1->compensate, idx(m, "book"));
    assert_false(t1->wait_for_completion);
    const gm_bpmn_node *e = node(m, "e");
    assert_int_equal(e->trigger, GM_BPMN_TRIGGER_COMPENSATE);
    assert_int_equal(e->compensate, GM_BPMN_NONE); /* every completed activity */
    assert_true(e->wait_for_completion);
    assert_int_equal(node(m, "book")->compensation, GM_BPMN_NONE);
    gm_bpmn_free(m);
}

/* A variant of compensation_doc with one substring replaced must fail with
   code and exactly msg. */
static void compensation_fails(const char *from, const char *to, int code, const char *msg)
{
    char doc[4096];
    const char *at = strstr(compensation_doc, from);
    assert_non_null(at);
    snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - compensation_doc), compensation_doc, to,
             at + strlen(from));
    load_fails(doc, code, msg);
}

static void test_compensation_errors(void **state)
{
    (void)state;
    /* A handler is outside the normal flow. */
    compensation_fails("<sequenceFlow id=\"f4\"", "<sequenceFlow id=\"f5\" sourceRef=\"undo\" "
                       "targetRef=\"e\"/><sequenceFlow id=\"f4\"",
                       GM_EINVAL,
                       "t.bpmn:7: compensation handler 'undo' (isForCompensation) has sequence "
                       "flows; expected none (it runs when its activity is compensated)");
    /* A compensation boundary event leads to its handler by association. */
    compensation_fails("<sequenceFlow id=\"f4\"", "<sequenceFlow id=\"f5\" sourceRef=\"cb\" "
                       "targetRef=\"e\"/><sequenceFlow id=\"f4\"",
                       GM_EINVAL,
                       "t.bpmn:6: compensation boundary event 'cb' has outgoing sequence flows; "
                       "expected an association to its compensation handler");
    /* The association must lead to a compensation handler... */
    compensation_fails("targetRef=\"undo\" associationDirection", "targetRef=\"e\" "
                       "associationDirection",
                       GM_EINVAL,
                       "t.bpmn:8: association links compensation boundary event 'cb' to 'e' "
                       "(endEvent); expected an activity with isForCompensation=\"true\"");
    compensation_fails("<serviceTask id=\"undo\" isForCompensation=\"true\"/>",
                       "<serviceTask id=\"undo\"/>", GM_EINVAL,
                       "t.bpmn:8: association links compensation boundary event 'cb' to 'undo' "
                       "(serviceTask); expected an activity with isForCompensation=\"true\"");
    /* ... one only ... */
    compensation_fails("<startEvent id=\"ss\"/>", "<startEvent id=\"ss\"/><task id=\"deep\" "
                       "isForCompensation=\"true\"/><association id=\"a4\" sourceRef=\"cb\" "
                       "targetRef=\"deep\"/>",
                       GM_EINVAL,
                       "t.bpmn:9: compensation handler 'deep' of boundary event 'cb' is not in the "
                       "(sub-)process of 'book'");
    compensation_fails("<association id=\"a3\"", "<serviceTask id=\"undo2\" "
                       "isForCompensation=\"true\"/><association id=\"a4\" sourceRef=\"cb\" "
                       "targetRef=\"undo2\"/><association id=\"a3\"",
                       GM_EINVAL,
                       "t.bpmn:14: compensation boundary event 'cb' has two handlers, 'undo' and "
                       "'undo2'");
    /* activityRef names an activity of the process. */
    compensation_fails("activityRef=\"book\"", "activityRef=\"e\"", GM_EINVAL,
                       "t.bpmn:12: compensation event 't1' activityRef 'e' does not name an "
                       "activity of its process");
    compensation_fails("waitForCompletion=\"false\"", "waitForCompletion=\"no\"", GM_EINVAL,
                       "t.bpmn:12: waitForCompletion: expected true or false, got 'no'");
    compensation_fails("<serviceTask id=\"undo\" isForCompensation=\"true\"/>",
                       "<serviceTask id=\"undo\" isForCompensation=\"yes\"/>", GM_EINVAL,
                       "t.bpmn:7: isForCompensation: expected true or false, got 'yes'");
}

/* Event sub-processes: interrupting and not, on each trigger, nested in a
   sub-process too. */
static void test_event_subprocess(void **state)
{
    (void)state;
    static const char doc[] = DEFS_OPEN
        "<message id=\"Cancel\"/><error id=\"Late\" errorCode=\"E1\"/><escalation id=\"Esc\"/>"
        "<signal id=\"Stop\"/>\n"
        "<process id=\"P\"><startEvent id=\"s\"/><task id=\"work\"/>"
        "<sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"work\"/>\n"
        "<subProcess id=\"onTimer\" triggeredByEvent=\"true\"><startEvent id=\"st\">"
        "<timerEventDefinition><timeDuration>PT2H</timeDuration></timerEventDefinition>"
        "</startEvent></subProcess>\n"
        "<subProcess id=\"onMsg\" triggeredByEvent=\"true\"><startEvent id=\"sm\" "
        "isInterrupting=\"false\"><messageEventDefinition messageRef=\"tns:Cancel\"/>"
        "</startEvent><task id=\"note\"/><endEvent id=\"me\"/>"
        "<sequenceFlow id=\"mf1\" sourceRef=\"sm\" targetRef=\"note\"/>"
        "<sequenceFlow id=\"mf2\" sourceRef=\"note\" targetRef=\"me\"/></subProcess>\n"
        "<subProcess id=\"onErr\" triggeredByEvent=\"true\"><startEvent id=\"se\">"
        "<errorEventDefinition errorRef=\"Late\"/></startEvent></subProcess>\n"
        "<subProcess id=\"onEsc\" triggeredByEvent=\"true\"><startEvent id=\"sx\" "
        "isInterrupting=\"false\"><escalationEventDefinition escalationRef=\"Esc\"/>"
        "</startEvent></subProcess>\n"
        "<subProcess id=\"onSig\" triggeredByEvent=\"true\"><startEvent id=\"ss\">"
        "<signalEventDefinition signalRef=\"Stop\"/></startEvent></subProcess>\n"
        "<subProcess id=\"onCond\" triggeredByEvent=\"true\"><startEvent id=\"sc\" "
        "isInterrupting=\"false\"><conditionalEventDefinition><condition>x</condition>"
        "</conditionalEventDefinition></startEvent></subProcess>\n"
        "<subProcess id=\"inner\"><startEvent id=\"is\"/>"
        "<subProcess id=\"onComp\" triggeredByEvent=\"true\"><startEvent id=\"sk\">"
        "<compensateEventDefinition/></startEvent></subProcess></subProcess>\n"
        "</process></definitions>\n";
    gm_bpmn *m = load_ok(doc);
    static const struct {
        const char *sub, *start;
        gm_bpmn_trigger t;
        bool interrupting;
        const char *ref;
    } want[] = {
        {"onTimer", "st", GM_BPMN_TRIGGER_TIMER, true, NULL},
        {"onMsg", "sm", GM_BPMN_TRIGGER_MESSAGE, false, "Cancel"},
        {"onErr", "se", GM_BPMN_TRIGGER_ERROR, true, "Late"},
        {"onEsc", "sx", GM_BPMN_TRIGGER_ESCALATION, false, "Esc"},
        {"onSig", "ss", GM_BPMN_TRIGGER_SIGNAL, true, "Stop"},
        {"onCond", "sc", GM_BPMN_TRIGGER_CONDITIONAL, false, NULL},
        {"onComp", "sk", GM_BPMN_TRIGGER_COMPENSATE, true, NULL},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const gm_bpmn_node *sub = node(m, want[k].sub), *st = node(m, want[k].start);
        assert_int_equal(sub->kind, GM_BPMN_SUBPROCESS);
        assert_true(sub->triggered_by_event);
        assert_int_equal(sub->nin + sub->nout, 0);
        assert_int_equal(st->kind, GM_BPMN_START_EVENT);
        assert_int_equal(st->parent, idx(m, want[k].sub));
        assert_int_equal(st->trigger, want[k].t);
        assert_int_equal(st->interrupting, want[k].interrupting);
        if (want[k].ref)
            assert_string_equal(st->event_ref, want[k].ref);
        else
            assert_null(st->event_ref);
    }
    assert_string_equal(node(m, "st")->timer, "PT2H");
    assert_int_equal(node(m, "onComp")->parent, idx(m, "inner"));
    assert_false(node(m, "inner")->triggered_by_event);
    assert_true(node(m, "s")->interrupting); /* the default */
    assert_int_equal(node(m, "note")->parent, idx(m, "onMsg"));
    assert_int_equal(node(m, "onMsg")->process, 0);
    gm_bpmn_free(m);
}

static void test_event_subprocess_errors(void **state)
{
    (void)state;
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">\n"
                 "<bpmn:startEvent id=\"e1\"/></bpmn:subProcess>\n",
                 GM_EINVAL,
                 "t.bpmn:6: start event 'e1' of event sub-process 'es' has no event definition; "
                 "expected the trigger that starts the sub-process");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: event sub-process 'es' has 0 start events; expected one, with the "
                 "trigger that starts it");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">"
                 "<bpmn:startEvent id=\"e1\"><bpmn:signalEventDefinition/></bpmn:startEvent>"
                 "<bpmn:startEvent id=\"e2\"><bpmn:timerEventDefinition/></bpmn:startEvent>"
                 "</bpmn:subProcess>\n",
                 GM_EINVAL,
                 "t.bpmn:5: event sub-process 'es' has 2 start events; expected one, with the "
                 "trigger that starts it");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">"
                 "<bpmn:startEvent id=\"e1\"><bpmn:signalEventDefinition/></bpmn:startEvent>"
                 "</bpmn:subProcess>\n"
                 "<bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"es\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: event sub-process 'es' has sequence flows; expected none (it starts "
                 "on the trigger of its start event)");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">"
                 "<bpmn:startEvent id=\"e1\" isInterrupting=\"false\"><bpmn:errorEventDefinition/>"
                 "</bpmn:startEvent></bpmn:subProcess>\n",
                 GM_EINVAL,
                 "t.bpmn:5: error start event 'e1' has isInterrupting=\"false\"; an error or "
                 "compensation start event always interrupts");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">"
                 "<bpmn:startEvent id=\"e1\"><bpmn:signalEventDefinition/></bpmn:startEvent>"
                 "</bpmn:subProcess>\n"
                 "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"es\"><bpmn:timerEventDefinition/>"
                 "</bpmn:boundaryEvent>\n",
                 GM_EINVAL,
                 "t.bpmn:6: boundaryEvent 'b' is attached to event sub-process 'es'; an event "
                 "sub-process has no boundary events");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"maybe\"/>\n",
                 GM_EINVAL, "t.bpmn:5: triggeredByEvent: expected true or false, got 'maybe'");
    /* A terminate start is no trigger, even in an event sub-process. */
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"es\" triggeredByEvent=\"true\">"
                 "<bpmn:startEvent id=\"e1\"><bpmn:terminateEventDefinition/></bpmn:startEvent>"
                 "</bpmn:subProcess>\n",
                 GM_EUNSUPPORTED,
                 "t.bpmn:5: element 'e1' (startEvent with terminateEventDefinition) is not "
                 "supported yet");
}

/* Link events: a go-to inside one (sub-)process, paired by name or by the
   definition's <target>. */
static void test_links(void **state)
{
    (void)state;
    static const char doc[] = DEFS_OPEN
        "<process id=\"P\"><startEvent id=\"s\"/>\n"
        "<intermediateThrowEvent id=\"go\"><linkEventDefinition name=\"A\"/>"
        "</intermediateThrowEvent>\n"
        "<intermediateThrowEvent id=\"go2\"><linkEventDefinition name=\"A\"/>"
        "</intermediateThrowEvent>\n"
        "<intermediateCatchEvent id=\"here\"><linkEventDefinition name=\"A\"/>"
        "</intermediateCatchEvent>\n"
        "<intermediateCatchEvent id=\"there\"><linkEventDefinition id=\"L2\" name=\"B\"/>"
        "</intermediateCatchEvent>\n"
        "<intermediateThrowEvent id=\"jump\"><linkEventDefinition name=\"other\">"
        "<target>L2</target></linkEventDefinition></intermediateThrowEvent>\n"
        "<intermediateThrowEvent id=\"lost\"><linkEventDefinition name=\"\"/>"
        "</intermediateThrowEvent>\n"
        "<subProcess id=\"sp\"><startEvent id=\"ss\"/><intermediateThrowEvent id=\"inner\">"
        "<linkEventDefinition name=\"A\"/></intermediateThrowEvent></subProcess>\n"
        "<endEvent id=\"e\"/>\n"
        "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"go\"/>\n"
        "<sequenceFlow id=\"f2\" sourceRef=\"here\" targetRef=\"e\"/>\n"
        "</process></definitions>\n";
    gm_bpmn *m = load_ok(doc);
    const gm_bpmn_node *go = node(m, "go");
    assert_int_equal(go->kind, GM_BPMN_THROW_EVENT);
    assert_int_equal(go->trigger, GM_BPMN_TRIGGER_LINK);
    assert_string_equal(gm_bpmn_trigger_name(go->trigger), "link");
    assert_string_equal(go->link, "A");
    assert_int_equal(go->link_target, idx(m, "here"));
    assert_int_equal(node(m, "go2")->link_target, idx(m, "here"));
    assert_int_equal(node(m, "jump")->link_target, idx(m, "there"));
    assert_int_equal(node(m, "here")->kind, GM_BPMN_CATCH_EVENT);
    assert_int_equal(node(m, "here")->link_target, GM_BPMN_NONE);
    /* No name, or no catch event of that name in its own sub-process: the
       link leads nowhere, which only simulation can refuse. */
    assert_string_equal(node(m, "lost")->link, "");
    assert_int_equal(node(m, "lost")->link_target, GM_BPMN_NONE);
    assert_int_equal(node(m, "inner")->link_target, GM_BPMN_NONE);
    gm_bpmn_free(m);

    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:intermediateCatchEvent id=\"c1\"><bpmn:linkEventDefinition name=\"A\"/>"
                 "</bpmn:intermediateCatchEvent>\n"
                 "<bpmn:intermediateCatchEvent id=\"c2\"><bpmn:linkEventDefinition name=\"A\"/>"
                 "</bpmn:intermediateCatchEvent>\n",
                 GM_EINVAL,
                 "t.bpmn:6: link catch events 'c1' and 'c2' have the same link name 'A' in one "
                 "(sub-)process");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:intermediateThrowEvent id=\"t\"><bpmn:linkEventDefinition name=\"A\"/>"
                 "</bpmn:intermediateThrowEvent>\n"
                 "<bpmn:intermediateCatchEvent id=\"c\"><bpmn:linkEventDefinition name=\"A\"/>"
                 "</bpmn:intermediateCatchEvent>\n"
                 "<bpmn:sequenceFlow id=\"f\" sourceRef=\"t\" targetRef=\"s\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: link throw event 't' has outgoing sequence flows; expected none (it "
                 "continues at its link catch event)");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:intermediateCatchEvent id=\"c\"><bpmn:linkEventDefinition name=\"A\"/>"
                 "</bpmn:intermediateCatchEvent>\n"
                 "<bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"c\"/>\n",
                 GM_EINVAL,
                 "t.bpmn:5: link catch event 'c' has incoming sequence flows; expected none (its "
                 "link throw events lead to it)");
    expect_error("<bpmn:startEvent id=\"s\"/>\n"
                 "<bpmn:subProcess id=\"sp\"><bpmn:startEvent id=\"ss\"/>"
                 "<bpmn:intermediateCatchEvent id=\"c\"><bpmn:linkEventDefinition id=\"D\" "
                 "name=\"A\"/></bpmn:intermediateCatchEvent></bpmn:subProcess>\n"
                 "<bpmn:intermediateThrowEvent id=\"t\"><bpmn:linkEventDefinition name=\"A\">\n"
                 "<bpmn:target>D</bpmn:target></bpmn:linkEventDefinition>"
                 "</bpmn:intermediateThrowEvent>\n",
                 GM_EINVAL,
                 "t.bpmn:7: link throw event 't' targets 'c', which is not in the same "
                 "(sub-)process");
}

/* Event definitions name what they throw or catch; a definition may be
   shared at the top of the file (eventDefinitionRef). Event-based gateways
   keep their type. */
static void test_event_refs_and_gateways(void **state)
{
    (void)state;
    static const char doc[] = DEFS_OPEN
        "<message id=\"Order\"/>\n"
        "<timerEventDefinition id=\"daily\"><timeCycle>R/P1D</timeCycle></timerEventDefinition>\n"
        "<signalEventDefinition id=\"alarm\" signalRef=\"Fire\"/>\n"
        "<process id=\"P\"><startEvent id=\"s\"><messageEventDefinition messageRef=\"tns:Order\"/>"
        "</startEvent>\n"
        "<startEvent id=\"s2\"><eventDefinitionRef>daily</eventDefinitionRef></startEvent>\n"
        "<intermediateCatchEvent id=\"c\"><eventDefinitionRef>tns:alarm</eventDefinitionRef>"
        "</intermediateCatchEvent>\n"
        "<endEvent id=\"e\"><errorEventDefinition errorRef=\"Bad\"/></endEvent>\n"
        "<intermediateThrowEvent id=\"x\"><escalationEventDefinition escalationRef=\"\"/>"
        "</intermediateThrowEvent>\n"
        "<eventBasedGateway id=\"g1\"/>\n"
        "<eventBasedGateway id=\"g2\" instantiate=\"true\" eventGatewayType=\"Parallel\"/>\n"
        "<eventBasedGateway id=\"g3\" eventGatewayType=\"Exclusive\"/>\n"
        "</process></definitions>\n";
    gm_bpmn *m = load_ok(doc);
    assert_string_equal(node(m, "s")->event_ref, "Order");
    assert_int_equal(node(m, "s2")->trigger, GM_BPMN_TRIGGER_TIMER);
    assert_string_equal(node(m, "s2")->timer_kind, "timeCycle");
    assert_string_equal(node(m, "s2")->timer, "R/P1D");
    assert_int_equal(node(m, "c")->trigger, GM_BPMN_TRIGGER_SIGNAL);
    assert_string_equal(node(m, "c")->event_ref, "Fire");
    assert_string_equal(node(m, "e")->event_ref, "Bad");
    assert_null(node(m, "x")->event_ref); /* empty: none */
    assert_false(node(m, "g1")->instantiate);
    assert_false(node(m, "g1")->parallel_events);
    assert_true(node(m, "g2")->instantiate);
    assert_true(node(m, "g2")->parallel_events);
    assert_false(node(m, "g3")->parallel_events);
    gm_bpmn_free(m);

    expect_error("<bpmn:startEvent id=\"s\">\n<bpmn:eventDefinitionRef>nope"
                 "</bpmn:eventDefinitionRef></bpmn:startEvent>\n",
                 GM_EINVAL,
                 "t.bpmn:5: element 's' eventDefinitionRef 'nope' does not name an event "
                 "definition of the definitions");
    expect_error("<bpmn:startEvent id=\"s\"/>\n<bpmn:eventBasedGateway id=\"g\" "
                 "eventGatewayType=\"Both\"/>\n",
                 GM_EINVAL, "t.bpmn:5: eventGatewayType: expected Exclusive or Parallel, got 'Both'");
}

/* What modelling tools write around the constructs: an empty pool's
   process, message flows listed as a node's incoming and outgoing flows,
   data references listed in lanes, QName references to processes and
   activities. */
static void test_tool_tolerance(void **state)
{
    (void)state;
    static const char doc[] = DEFS_OPEN
        "<collaboration id=\"co\"><participant id=\"p1\" name=\"Shop\" processRef=\"tns:P\"/>"
        "<participant id=\"p2\" name=\"Bank\" processRef=\"Empty\"/>"
        "<participant id=\"p3\" processRef=\"lib:Remote\"/>"
        "<messageFlow id=\"mf\" sourceRef=\"t\" targetRef=\"p2\"/></collaboration>\n"
        "<process id=\"Empty\"/>\n"
        "<process id=\"P\"><laneSet><lane id=\"L\"><flowNodeRef>t</flowNodeRef>"
        "<flowNodeRef>dr</flowNodeRef></lane></laneSet>\n"
        "<startEvent id=\"s\"/><task id=\"t\"><outgoing>mf</outgoing></task>"
        "<dataStoreReference id=\"dr\"/>\n"
        "<boundaryEvent id=\"b\" attachedToRef=\"tns:t\"><timerEventDefinition/></boundaryEvent>\n"
        "</process></definitions>\n";
    gm_bpmn *m = load_ok(doc);
    assert_int_equal(gm_bpmn_nprocesses(m), 2);
    assert_string_equal(gm_bpmn_process_at(m, 0)->id, "Empty");
    assert_string_equal(gm_bpmn_process_at(m, 0)->participant, "Bank");
    assert_string_equal(gm_bpmn_process_at(m, 1)->participant, "Shop");
    assert_int_equal(node(m, "b")->attached_to, idx(m, "t"));
    assert_string_equal(node(m, "t")->lane, "L");
    assert_int_equal(gm_bpmn_find_node(m, "dr"), GM_BPMN_NONE);
    gm_bpmn_free(m);
}

/* ---- the shared corpus ---- */

/* Every file of the corpus imports: the list of expected failures this test
   kept while message, signal, conditional and escalation events were refused
   has shrunk to nothing, and a new failure is a regression. */
static struct {
    size_t files, imported;
    bool bad;
} corpus;

static const char *corpus_root = GEMEL_SHARED_DATA "/bpmn/";

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".bpmn") != 0)
        return 0;
    const char *rel = path + strlen(corpus_root);
    corpus.files++;
    gm_bpmn *m = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_bpmn_load_file(path, &m, &err);
    if (rc == 0) {
        corpus.imported++;
        /* Every flow's ends are in the same container. */
        for (size_t f = 0; f < gm_bpmn_nflows(m); f++) {
            const gm_bpmn_flow *fl = gm_bpmn_flow_at(m, f);
            const gm_bpmn_node *s = gm_bpmn_node_at(m, fl->source);
            const gm_bpmn_node *t = gm_bpmn_node_at(m, fl->target);
            if (s->parent != fl->parent || t->parent != fl->parent || s->process != fl->process)
                corpus.bad = true;
        }
        gm_bpmn_free(m);
        return 0;
    }
    char buf[1200];
    gm_err_format(&err, buf, sizeof buf);
    print_error("%s does not import: %s\n", rel, buf);
    corpus.bad = true;
    return 0;
}

static void test_shared_corpus(void **state)
{
    (void)state;
    struct stat st;
    if (stat(GEMEL_SHARED_DATA "/bpmn/camunda", &st) != 0 ||
        stat(GEMEL_SHARED_DATA "/bpmn/scylla", &st) != 0) {
        GM_TEST_SKIP("%s/bpmn/{camunda,scylla} not found", GEMEL_SHARED_DATA);
    }
    assert_int_equal(nftw(GEMEL_SHARED_DATA "/bpmn/camunda", visit, 16, FTW_PHYS), 0);
    assert_int_equal(nftw(GEMEL_SHARED_DATA "/bpmn/scylla", visit, 16, FTW_PHYS), 0);
    print_message("BPMN corpus: %zu files, %zu import\n", corpus.files, corpus.imported);
    assert_false(corpus.bad);
    assert_int_equal(corpus.imported, corpus.files);
    assert_true(corpus.files >= 81);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixed_structure),  cmocka_unit_test(test_default_namespace),
        cmocka_unit_test(test_dangling_references), cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_bad_documents),       cmocka_unit_test(test_shared_corpus),
        cmocka_unit_test(test_global_tasks),        cmocka_unit_test(test_compensation),
        cmocka_unit_test(test_compensation_errors), cmocka_unit_test(test_event_subprocess),
        cmocka_unit_test(test_event_subprocess_errors), cmocka_unit_test(test_links),
        cmocka_unit_test(test_event_refs_and_gateways), cmocka_unit_test(test_tool_tolerance),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
