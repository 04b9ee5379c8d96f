/*
 * fuzz_procparams.c: libFuzzer target for process-simulation parameters.
 *
 * A fixed BPMN model with every construct the simulator runs (inclusive
 * split and join, a sub-process with an error end event and an error
 * boundary, an interrupting timer, markers, an event-based gateway, lanes)
 * and fuzzed parameter JSON: gm_proc_load must accept it or refuse it with
 * a located one-line error; an accepted model with at most 200 cases and no
 * horizon is simulated for one replication, which must finish (or fail
 * cleanly) without crashing, leaking or looping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "process/bpmn.h"
#include "process/process.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char model[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\">"
    "<process id=\"P\"><laneSet><lane id=\"clerk\" name=\"clerk\"><flowNodeRef>a</flowNodeRef>"
    "</lane></laneSet>"
    "<startEvent id=\"s\"/><inclusiveGateway id=\"or\"/><task id=\"a\"/>"
    "<task id=\"b\"><standardLoopCharacteristics/></task>"
    "<task id=\"c\"><multiInstanceLoopCharacteristics/></task>"
    "<boundaryEvent id=\"late\" attachedToRef=\"b\"><timerEventDefinition><timeDuration>PT5M"
    "</timeDuration></timerEventDefinition></boundaryEvent>"
    "<subProcess id=\"sp\"><startEvent id=\"ss\"/><task id=\"w\"/><exclusiveGateway id=\"x\"/>"
    "<endEvent id=\"bad\"><errorEventDefinition/></endEvent><endEvent id=\"ok\"/>"
    "<sequenceFlow id=\"s1\" sourceRef=\"ss\" targetRef=\"w\"/>"
    "<sequenceFlow id=\"s2\" sourceRef=\"w\" targetRef=\"x\"/>"
    "<sequenceFlow id=\"s3\" sourceRef=\"x\" targetRef=\"bad\"/>"
    "<sequenceFlow id=\"s4\" sourceRef=\"x\" targetRef=\"ok\"/></subProcess>"
    "<boundaryEvent id=\"err\" attachedToRef=\"sp\"><errorEventDefinition/></boundaryEvent>"
    "<inclusiveGateway id=\"join\"/><eventBasedGateway id=\"eg\"/>"
    "<intermediateCatchEvent id=\"m\"><messageEventDefinition/></intermediateCatchEvent>"
    "<intermediateCatchEvent id=\"t\"><timerEventDefinition><timeDuration>PT1M</timeDuration>"
    "</timerEventDefinition></intermediateCatchEvent>"
    "<endEvent id=\"e\"/><endEvent id=\"e2\"/><endEvent id=\"e3\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"or\"/>"
    "<sequenceFlow id=\"fa\" sourceRef=\"or\" targetRef=\"a\"/>"
    "<sequenceFlow id=\"fb\" sourceRef=\"or\" targetRef=\"b\"/>"
    "<sequenceFlow id=\"fc\" sourceRef=\"or\" targetRef=\"c\"/>"
    "<sequenceFlow id=\"ja\" sourceRef=\"a\" targetRef=\"join\"/>"
    "<sequenceFlow id=\"jb\" sourceRef=\"b\" targetRef=\"join\"/>"
    "<sequenceFlow id=\"jc\" sourceRef=\"c\" targetRef=\"sp\"/>"
    "<sequenceFlow id=\"jd\" sourceRef=\"sp\" targetRef=\"join\"/>"
    "<sequenceFlow id=\"fl\" sourceRef=\"late\" targetRef=\"e2\"/>"
    "<sequenceFlow id=\"fe\" sourceRef=\"err\" targetRef=\"e3\"/>"
    "<sequenceFlow id=\"fj\" sourceRef=\"join\" targetRef=\"eg\"/>"
    "<sequenceFlow id=\"g1\" sourceRef=\"eg\" targetRef=\"m\"/>"
    "<sequenceFlow id=\"g2\" sourceRef=\"eg\" targetRef=\"t\"/>"
    "<sequenceFlow id=\"g3\" sourceRef=\"m\" targetRef=\"e\"/>"
    "<sequenceFlow id=\"g4\" sourceRef=\"t\" targetRef=\"e\"/>"
    "</process></definitions>";

static gm_bpmn *bpmn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gm_err err;
    if (!bpmn && gm_bpmn_load_mem(model, sizeof model - 1, "fuzz.bpmn", &bpmn, &err))
        abort();
    const gm_json_limits lim = {.max_bytes = 8192, .max_depth = 8};
    json_t *j = gm_json_load_str((const char *)data, size, &lim, "p.json", &err);
    if (!j)
        return 0;
    gm_proc *p = NULL;
    int rc = gm_proc_load(bpmn, "fuzz.bpmn", j, &p, &err);
    if (rc != 0) {
        if (p || err.code != rc || strchr(err.what, '\n') || strchr(err.where, '\n'))
            abort();
    } else {
        const json_t *cases = json_object_get(j, "cases");
        if (!json_object_get(j, "horizon") && json_is_integer(cases) &&
            json_integer_value(cases) <= 200 && !json_object_get(j, "warmup_time")) {
            double kpi[256];
            if (gm_proc_nkpi(p) <= 256)
                (void)gm_proc_replicate(p, 1, 0, kpi, NULL, NULL, &err);
        }
        gm_proc_free(p);
    }
    json_decref(j);
    return 0;
}
