/* bpmn.c: BPMN 2.0 XML import (structure only), on base/xml. */
#include "process/bpmn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/checked.h"
#include "base/file.h"
#include "base/map.h"
#include "base/xml.h"

#define BPMN_NS "http://www.omg.org/spec/BPMN/20100524/MODEL"

struct gm_bpmn {
    gm_arena *arena; /* every string and in/out array */
    gm_map *nodes;   /* id -> node index + 1 */
    gm_map *flows;   /* id -> flow index + 1 */
    gm_bpmn_process *proc;
    size_t nproc, capproc;
    gm_bpmn_node *node;
    size_t nnode, capnode;
    gm_bpmn_flow *flow;
    size_t nflow, capflow;
    gm_map *globals; /* id -> global task index + 1 */
    gm_bpmn_global_task *glob;
    size_t nglob, capglob;
};

/* Load-time state. xml[i] is node i's element, kept to check its children
   (incoming, outgoing, default) once the whole container is known; def[i]
   its event definition element, read again once every node exists. */
typedef struct ld {
    gm_bpmn *m;
    const char *file;
    gm_err *err;
    const gm_xml_node **xml;
    size_t capxml;
    const gm_xml_node **def;
    size_t capdef;
    const gm_xml_node **fxml; /* flow i's element */
    size_t capfxml;
    const gm_xml_node **assoc; /* association elements, resolved at the end */
    size_t nassoc, capassoc;
    gm_map *evdefs; /* id -> top-level event definition element, for eventDefinitionRef */
    gm_map *others; /* ids that tools refer to where BPMN expects a sequence flow (message
                       flows in <incoming>) or a flow node (data references in lanes) */
} ld;

/* ---- small helpers ---- */

static bool named(const gm_xml_node *n, const char *name)
{
    return strcmp(gm_xml_local(n), name) == 0;
}

static bool in_list(const gm_xml_node *n, const char *const *list)
{
    for (; *list; list++)
        if (named(n, *list))
            return true;
    return false;
}

static int nomem(ld *L)
{
    return gm_err_set(L->err, GM_ENOMEM, L->file, "out of memory");
}

/* A copy in the model's arena of what get read (NULL stays NULL). */
static int keep(ld *L, const char *v, const char **out)
{
    if (v && !(v = gm_arena_strdup(L->m->arena, v)))
        return nomem(L);
    *out = v;
    return 0;
}

/* Attribute without namespace, copied into the arena; NULL when absent. */
static int attr(ld *L, const gm_xml_node *n, const char *name, const char **out)
{
    const char *v;
    int rc = gm_xml_attr(n, name, &v, L->err);
    return rc ? rc : keep(L, v, out);
}

/* Text content with surrounding white space trimmed, in the arena. */
static int text(ld *L, const gm_xml_node *n, const char **out)
{
    const char *v;
    int rc = gm_xml_text(n, &v, L->err);
    return rc ? rc : keep(L, v, out);
}

static const char *id_or(const char *id)
{
    return id ? id : "";
}

static int unsupported(ld *L, const gm_xml_node *n, const char *type)
{
    const char *id = NULL;
    gm_xml_attr(n, "id", &id, NULL); /* an unreadable id reads as none here */
    return gm_xml_err(L->err, GM_EUNSUPPORTED, n, "element '%s' (%s) is not supported yet",
                      id ? id : "", type);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16, bytes;
    while (ncap < need)
        if (gm_size_mul(ncap, 2, &ncap))
            return GM_ENOMEM;
    if (gm_size_mul(ncap, elem, &bytes))
        return GM_ENOMEM;
    void *q = realloc(*p, bytes);
    if (!q)
        return GM_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

/* The id a QName reference names: BPMN writes references to root elements
   (calledElement, messageRef, ...) as QNames, "tns:Order"; ids have no
   colon, so the part after the last one. */
static const char *local_ref(const char *ref)
{
    const char *colon = ref ? strrchr(ref, ':') : NULL;
    return colon ? colon + 1 : ref;
}

static size_t map_find(const gm_map *map, const char *id)
{
    void *v;
    if (!id || !gm_map_sget(map, id, strlen(id), &v))
        return GM_BPMN_NONE;
    return (size_t)(uintptr_t)v - 1;
}

/* Register a new id; BPMN ids are document-wide XML IDs, so nodes, flows
   and global tasks share one name space. */
static int add_id(ld *L, const gm_xml_node *n, gm_map *map, const char *id, size_t index)
{
    if (map_find(L->m->nodes, id) != GM_BPMN_NONE || map_find(L->m->flows, id) != GM_BPMN_NONE ||
        map_find(L->m->globals, id) != GM_BPMN_NONE)
        return gm_xml_err(L->err, GM_EINVAL, n, "duplicate id '%s' (%s)", id, gm_xml_local(n));
    if (gm_map_sput(map, id, strlen(id), (void *)(uintptr_t)(index + 1)))
        return nomem(L);
    return 0;
}

/* ---- flow nodes ---- */

/* Elements without execution semantics, wherever they appear in a container
   (process or sub-process) or a flow node. */
static const char *const ignored[] = {
    "documentation", "extensionElements", "textAnnotation", "dataObject",
    "dataObjectReference", "dataStoreReference", "dataInputAssociation",
    "dataOutputAssociation", "group", "ioSpecification", "property", "auditing", "monitoring",
    "incoming", "outgoing", "ioBinding", "dataInput", "dataOutput", "inputSet", "outputSet",
    "script", "rendering", "performer", "humanPerformer", "potentialOwner", "resourceRole",
    "categoryValueRef", "supports", "correlationSubscription", "laneSet", NULL};

static const struct {
    const char *element;
    gm_bpmn_task_type type;
} task_types[] = {
    {"task", GM_BPMN_TASK_PLAIN},          {"userTask", GM_BPMN_TASK_USER},
    {"serviceTask", GM_BPMN_TASK_SERVICE}, {"scriptTask", GM_BPMN_TASK_SCRIPT},
    {"manualTask", GM_BPMN_TASK_MANUAL},   {"businessRuleTask", GM_BPMN_TASK_BUSINESS_RULE},
    {"sendTask", GM_BPMN_TASK_SEND},       {"receiveTask", GM_BPMN_TASK_RECEIVE},
};

static const struct {
    const char *element;
    gm_bpmn_kind kind;
} node_kinds[] = {
    {"startEvent", GM_BPMN_START_EVENT},
    {"endEvent", GM_BPMN_END_EVENT},
    {"intermediateCatchEvent", GM_BPMN_CATCH_EVENT},
    {"intermediateThrowEvent", GM_BPMN_THROW_EVENT},
    {"boundaryEvent", GM_BPMN_BOUNDARY_EVENT},
    {"subProcess", GM_BPMN_SUBPROCESS},
    {"callActivity", GM_BPMN_CALL_ACTIVITY},
    {"exclusiveGateway", GM_BPMN_EXCLUSIVE_GATEWAY},
    {"parallelGateway", GM_BPMN_PARALLEL_GATEWAY},
    {"inclusiveGateway", GM_BPMN_INCLUSIVE_GATEWAY},
    {"eventBasedGateway", GM_BPMN_EVENT_GATEWAY},
};

static bool node_kind(const gm_xml_node *n, gm_bpmn_kind *kind, gm_bpmn_task_type *type)
{
    *type = GM_BPMN_TASK_PLAIN;
    for (size_t i = 0; i < sizeof task_types / sizeof task_types[0]; i++)
        if (named(n, task_types[i].element)) {
            *kind = GM_BPMN_TASK;
            *type = task_types[i].type;
            return true;
        }
    for (size_t i = 0; i < sizeof node_kinds / sizeof node_kinds[0]; i++)
        if (named(n, node_kinds[i].element)) {
            *kind = node_kinds[i].kind;
            return true;
        }
    return false;
}

static bool is_event(gm_bpmn_kind k)
{
    return k <= GM_BPMN_BOUNDARY_EVENT;
}

static bool is_activity(gm_bpmn_kind k)
{
    return k == GM_BPMN_TASK || k == GM_BPMN_SUBPROCESS || k == GM_BPMN_CALL_ACTIVITY;
}

/* Which triggers each event kind may have (bit per gm_bpmn_trigger); a
   start event of an event sub-process has more. */
static unsigned allowed_triggers(gm_bpmn_kind k, bool in_event_sub)
{
#define T(x) (1u << GM_BPMN_TRIGGER_##x)
    switch (k) {
    case GM_BPMN_START_EVENT:
        if (in_event_sub)
            return T(TIMER) | T(MESSAGE) | T(SIGNAL) | T(CONDITIONAL) | T(ERROR) |
                   T(ESCALATION) | T(COMPENSATE);
        return T(NONE) | T(TIMER) | T(MESSAGE) | T(SIGNAL) | T(CONDITIONAL);
    case GM_BPMN_END_EVENT:
        return T(NONE) | T(TERMINATE) | T(ERROR) | T(MESSAGE) | T(SIGNAL) | T(ESCALATION) |
               T(COMPENSATE);
    case GM_BPMN_CATCH_EVENT:
        return T(TIMER) | T(MESSAGE) | T(SIGNAL) | T(CONDITIONAL) | T(LINK);
    case GM_BPMN_THROW_EVENT:
        return T(NONE) | T(MESSAGE) | T(SIGNAL) | T(ESCALATION) | T(COMPENSATE) | T(LINK);
    case GM_BPMN_BOUNDARY_EVENT:
        return T(TIMER) | T(ERROR) | T(MESSAGE) | T(SIGNAL) | T(CONDITIONAL) | T(ESCALATION) |
               T(COMPENSATE);
    default:
        return T(NONE);
    }
#undef T
}

static const struct {
    const char *element;
    gm_bpmn_trigger trigger;
    const char *ref; /* the attribute naming what it throws or catches */
} event_defs[] = {
    {"timerEventDefinition", GM_BPMN_TRIGGER_TIMER, NULL},
    {"messageEventDefinition", GM_BPMN_TRIGGER_MESSAGE, "messageRef"},
    {"errorEventDefinition", GM_BPMN_TRIGGER_ERROR, "errorRef"},
    {"terminateEventDefinition", GM_BPMN_TRIGGER_TERMINATE, NULL},
    {"signalEventDefinition", GM_BPMN_TRIGGER_SIGNAL, "signalRef"},
    {"conditionalEventDefinition", GM_BPMN_TRIGGER_CONDITIONAL, NULL},
    {"escalationEventDefinition", GM_BPMN_TRIGGER_ESCALATION, "escalationRef"},
    {"compensateEventDefinition", GM_BPMN_TRIGGER_COMPENSATE, NULL},
    {"linkEventDefinition", GM_BPMN_TRIGGER_LINK, NULL},
};

static int parse_timer(ld *L, const gm_xml_node *def, gm_bpmn_node *nd)
{
    for (const gm_xml_node *c = gm_xml_first(def, BPMN_NS, NULL); c;
         c = gm_xml_next(c, BPMN_NS, NULL)) {
        if (named(c, "timeDuration") || named(c, "timeDate") || named(c, "timeCycle")) {
            nd->timer_kind = named(c, "timeDuration") ? "timeDuration"
                             : named(c, "timeDate")   ? "timeDate"
                                                      : "timeCycle";
            int rc = text(L, c, &nd->timer);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* What event definition def (a child of n, or a top-level definition n
   refers to) gives node nd, whose index is idx. */
static int parse_event_def(ld *L, const gm_xml_node *n, const gm_xml_node *def, size_t idx)
{
    gm_bpmn_node *nd = &L->m->node[idx];
    char type[160];
    size_t k = 0;
    while (k < sizeof event_defs / sizeof event_defs[0] && !named(def, event_defs[k].element))
        k++;
    if (k == sizeof event_defs / sizeof event_defs[0]) {
        snprintf(type, sizeof type, "%s with %s", nd->element, gm_xml_local(def));
        return unsupported(L, n, type);
    }
    gm_bpmn_trigger t = event_defs[k].trigger;
    bool in_event_sub = nd->parent != GM_BPMN_NONE && L->m->node[nd->parent].triggered_by_event;
    if (!(allowed_triggers(nd->kind, in_event_sub) & 1u << t)) {
        snprintf(type, sizeof type, "%s with %s", nd->element, gm_xml_local(def));
        return unsupported(L, n, type);
    }
    nd->trigger = t;
    L->def[idx] = def;
    int rc;
    const char *v;
    if (event_defs[k].ref) {
        if ((rc = gm_xml_attr(def, event_defs[k].ref, &v, L->err)) ||
            (rc = keep(L, v && *v ? local_ref(v) : NULL, &nd->event_ref)))
            return rc;
    }
    if (t == GM_BPMN_TRIGGER_TIMER)
        return parse_timer(L, def, nd);
    if (t == GM_BPMN_TRIGGER_LINK) {
        if ((rc = attr(L, def, "name", &nd->link)))
            return rc;
        if (!nd->link)
            nd->link = "";
    }
    if (t == GM_BPMN_TRIGGER_COMPENSATE && nd->kind != GM_BPMN_BOUNDARY_EVENT &&
        nd->kind != GM_BPMN_START_EVENT)
        return gm_xml_attr_bool(def, "waitForCompletion", true, &nd->wait_for_completion,
                                L->err);
    return 0;
}

/* The children of a flow node: event definitions, loop markers; everything
   else must be known to carry no semantics. */
static int parse_node_children(ld *L, const gm_xml_node *n, size_t idx)
{
    gm_bpmn_node *nd = &L->m->node[idx];
    char type[160];
    unsigned ndefs = 0;
    int rc;
    for (const gm_xml_node *c = gm_xml_first(n, BPMN_NS, NULL); c;
         c = gm_xml_next(c, BPMN_NS, NULL)) {
        const char *cname = gm_xml_local(c);
        bool is_def = strstr(cname, "EventDefinition") != NULL;
        if (is_event(nd->kind) && (is_def || named(c, "eventDefinitionRef"))) {
            if (++ndefs > 1) {
                snprintf(type, sizeof type, "%s with several event definitions", nd->element);
                return unsupported(L, n, type);
            }
            const gm_xml_node *def = c;
            if (!is_def) {
                /* A definition shared at the top of the file, by id. */
                const char *ref;
                void *v;
                if ((rc = gm_xml_text(c, &ref, L->err)))
                    return rc;
                if (!gm_map_sget(L->evdefs, local_ref(ref), strlen(local_ref(ref)), &v))
                    return gm_xml_err(L->err, GM_EINVAL, c,
                                      "element '%s' eventDefinitionRef '%s' does not name an "
                                      "event definition of the definitions",
                                      nd->id, ref);
                def = v;
            }
            if ((rc = parse_event_def(L, n, def, idx)))
                return rc;
            nd = &L->m->node[idx];
            continue;
        }
        if (is_activity(nd->kind) && named(c, "standardLoopCharacteristics")) {
            nd->loop = GM_BPMN_LOOP_STANDARD;
            continue;
        }
        if (is_activity(nd->kind) && named(c, "multiInstanceLoopCharacteristics")) {
            bool seq;
            if ((rc = gm_xml_attr_bool(c, "isSequential", false, &seq, L->err)))
                return rc;
            nd->loop = seq ? GM_BPMN_LOOP_MI_SEQUENTIAL : GM_BPMN_LOOP_MI_PARALLEL;
            continue;
        }
        /* A sub-process's flow elements are parsed as a container. */
        if (nd->kind == GM_BPMN_SUBPROCESS || in_list(c, ignored))
            continue;
        snprintf(type, sizeof type, "%s with %s", nd->element, cname);
        return unsupported(L, n, type);
    }
    bool in_event_sub = nd->parent != GM_BPMN_NONE && L->m->node[nd->parent].triggered_by_event;
    if (!(allowed_triggers(nd->kind, in_event_sub) & 1u << nd->trigger)) {
        if (nd->kind == GM_BPMN_START_EVENT && in_event_sub)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "start event '%s' of event sub-process '%s' has no event "
                              "definition; expected the trigger that starts the sub-process",
                              nd->id, L->m->node[nd->parent].id);
        snprintf(type, sizeof type, "%s without event definition", nd->element);
        return unsupported(L, n, type);
    }
    if (nd->kind == GM_BPMN_START_EVENT && !nd->interrupting &&
        (nd->trigger == GM_BPMN_TRIGGER_ERROR || nd->trigger == GM_BPMN_TRIGGER_COMPENSATE))
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "%s start event '%s' has isInterrupting=\"false\"; an error or "
                          "compensation start event always interrupts",
                          gm_bpmn_trigger_name(nd->trigger), nd->id);
    return 0;
}

static int parse_container(ld *L, const gm_xml_node *c, size_t proc, size_t parent);

static int add_node(ld *L, const gm_xml_node *n, gm_bpmn_kind kind, gm_bpmn_task_type type,
                    size_t proc, size_t parent)
{
    gm_bpmn *m = L->m;
    const char *id;
    int rc = attr(L, n, "id", &id);
    if (rc)
        return rc;
    if (!id || !*id)
        return gm_xml_err(L->err, GM_EINVAL, n, "element (%s) has no id", gm_xml_local(n));
    if (grow((void **)&m->node, &m->capnode, m->nnode + 1, sizeof *m->node) ||
        grow((void **)&L->xml, &L->capxml, m->nnode + 1, sizeof *L->xml) ||
        grow((void **)&L->def, &L->capdef, m->nnode + 1, sizeof *L->def))
        return nomem(L);
    size_t idx = m->nnode;
    gm_bpmn_node *nd = &m->node[idx];
    memset(nd, 0, sizeof *nd);
    nd->id = id;
    if ((rc = attr(L, n, "name", &nd->name)) || (rc = keep(L, gm_xml_local(n), &nd->element)))
        return rc;
    if (!nd->name)
        nd->name = "";
    nd->line = gm_xml_line(n);
    nd->kind = kind;
    nd->task = type;
    nd->process = proc;
    nd->parent = parent;
    nd->attached_to = GM_BPMN_NONE;
    nd->default_flow = GM_BPMN_NONE;
    nd->compensation = GM_BPMN_NONE;
    nd->compensate = GM_BPMN_NONE;
    nd->link_target = GM_BPMN_NONE;
    nd->called_process = GM_BPMN_NONE;
    nd->called_task = GM_BPMN_NONE;
    if (kind == GM_BPMN_BOUNDARY_EVENT) {
        if ((rc = gm_xml_attr_bool(n, "cancelActivity", true, &nd->cancel_activity, L->err)))
            return rc;
        nd->interrupting = nd->cancel_activity;
    }
    if (kind == GM_BPMN_START_EVENT &&
        (rc = gm_xml_attr_bool(n, "isInterrupting", true, &nd->interrupting, L->err)))
        return rc;
    if (is_activity(kind) &&
        (rc = gm_xml_attr_bool(n, "isForCompensation", false, &nd->for_compensation, L->err)))
        return rc;
    if (kind == GM_BPMN_SUBPROCESS &&
        (rc = gm_xml_attr_bool(n, "triggeredByEvent", false, &nd->triggered_by_event, L->err)))
        return rc;
    if (kind == GM_BPMN_CALL_ACTIVITY && (rc = attr(L, n, "calledElement", &nd->called_element)))
        return rc;
    if (kind == GM_BPMN_EVENT_GATEWAY) {
        const char *gt;
        if ((rc = gm_xml_attr_bool(n, "instantiate", false, &nd->instantiate, L->err)) ||
            (rc = gm_xml_attr(n, "eventGatewayType", &gt, L->err)))
            return rc;
        if (gt && strcmp(gt, "Exclusive") != 0 && strcmp(gt, "Parallel") != 0)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "eventGatewayType: expected Exclusive or Parallel, got '%.40s'", gt);
        nd->parallel_events = gt && strcmp(gt, "Parallel") == 0;
    }
    L->xml[idx] = n;
    L->def[idx] = NULL;
    m->nnode++;
    if ((rc = add_id(L, n, m->nodes, id, idx)))
        return rc;
    if ((rc = parse_node_children(L, n, idx)))
        return rc;
    if (kind == GM_BPMN_SUBPROCESS)
        return parse_container(L, n, proc, idx);
    return 0;
}

/* ---- sequence flows ---- */

static int add_flow(ld *L, const gm_xml_node *n, size_t proc, size_t parent)
{
    gm_bpmn *m = L->m;
    const char *id, *src, *dst, *name;
    int rc;
    if ((rc = attr(L, n, "id", &id)) || (rc = attr(L, n, "sourceRef", &src)) ||
        (rc = attr(L, n, "targetRef", &dst)) || (rc = attr(L, n, "name", &name)))
        return rc;
    if (!id || !*id)
        return gm_xml_err(L->err, GM_EINVAL, n, "element (sequenceFlow) has no id");
    const char *refs[2] = {src, dst};
    const char *ref_names[2] = {"sourceRef", "targetRef"};
    size_t ends[2];
    for (int i = 0; i < 2; i++) {
        if (!refs[i])
            return gm_xml_err(L->err, GM_EINVAL, n, "sequenceFlow '%s' has no %s", id,
                              ref_names[i]);
        ends[i] = map_find(m->nodes, refs[i]);
        if (ends[i] == GM_BPMN_NONE)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "sequenceFlow '%s' %s '%s' does not name a flow node", id,
                              ref_names[i], refs[i]);
        if (m->node[ends[i]].process != proc || m->node[ends[i]].parent != parent)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "sequenceFlow '%s' %s '%s' is not in the same (sub-)process", id,
                              ref_names[i], refs[i]);
    }
    if (grow((void **)&m->flow, &m->capflow, m->nflow + 1, sizeof *m->flow) ||
        grow((void **)&L->fxml, &L->capfxml, m->nflow + 1, sizeof *L->fxml))
        return nomem(L);
    size_t idx = m->nflow;
    gm_bpmn_flow *f = &m->flow[idx];
    memset(f, 0, sizeof *f);
    f->id = id;
    f->name = name ? name : "";
    f->line = gm_xml_line(n);
    f->source = ends[0];
    f->target = ends[1];
    f->process = proc;
    f->parent = parent;
    for (const gm_xml_node *c = gm_xml_first(n, BPMN_NS, "conditionExpression"); c;
         c = gm_xml_next(c, BPMN_NS, "conditionExpression"))
        if ((rc = text(L, c, &f->condition)))
            return rc;
    L->fxml[idx] = n;
    m->nflow++;
    return add_id(L, n, m->flows, id, idx);
}

/* ---- containers: process and embedded sub-process ---- */

/* Once a container's nodes and flows exist: boundary attachment, `default`
   and the <incoming>/<outgoing> references of its nodes. */
static int resolve_container(ld *L, size_t first, size_t proc, size_t parent)
{
    gm_bpmn *m = L->m;
    int rc;
    for (size_t i = first; i < m->nnode; i++) {
        gm_bpmn_node *nd = &m->node[i];
        if (nd->process != proc || nd->parent != parent)
            continue;
        const gm_xml_node *n = L->xml[i];
        if (nd->kind == GM_BPMN_BOUNDARY_EVENT) {
            const char *ref;
            if ((rc = gm_xml_attr(n, "attachedToRef", &ref, L->err)))
                return rc;
            size_t a = map_find(m->nodes, local_ref(ref));
            if (a == GM_BPMN_NONE || !is_activity(m->node[a].kind) ||
                m->node[a].process != proc || m->node[a].parent != parent)
                return gm_xml_err(L->err, GM_EINVAL, n,
                                  "boundaryEvent '%s' attachedToRef '%s' does not name an "
                                  "activity in the same (sub-)process",
                                  nd->id, id_or(ref));
            if (m->node[a].triggered_by_event)
                return gm_xml_err(L->err, GM_EINVAL, n,
                                  "boundaryEvent '%s' is attached to event sub-process '%s'; an "
                                  "event sub-process has no boundary events",
                                  nd->id, m->node[a].id);
            nd->attached_to = a;
        }
        const char *dflt;
        if ((rc = gm_xml_attr(n, "default", &dflt, L->err)))
            return rc;
        if (dflt) {
            size_t f = map_find(m->flows, dflt);
            if (f == GM_BPMN_NONE || m->flow[f].source != i)
                return gm_xml_err(L->err, GM_EINVAL, n,
                                  "element '%s' default '%s' does not name one of its outgoing "
                                  "sequence flows",
                                  nd->id, dflt);
            nd->default_flow = f;
            m->flow[f].is_default = true;
        }
        for (const gm_xml_node *c = gm_xml_first(n, BPMN_NS, NULL); c;
             c = gm_xml_next(c, BPMN_NS, NULL)) {
            if (!named(c, "incoming") && !named(c, "outgoing"))
                continue;
            const char *ref;
            if ((rc = gm_xml_text(c, &ref, L->err)))
                return rc;
            /* Some tools list the message flows of a node there too. */
            if (map_find(m->flows, ref) == GM_BPMN_NONE && map_find(L->others, ref) == GM_BPMN_NONE)
                return gm_xml_err(L->err, GM_EINVAL, c,
                                  "element '%s' %s '%s' does not name a sequence flow", nd->id,
                                  gm_xml_local(c), ref);
        }
    }
    return 0;
}

/* Associations are resolved once every node exists: one may connect a
   compensation boundary event to its handler. */
static int keep_assoc(ld *L, const gm_xml_node *n)
{
    if (grow((void **)&L->assoc, &L->capassoc, L->nassoc + 1, sizeof *L->assoc))
        return nomem(L);
    L->assoc[L->nassoc++] = n;
    return 0;
}

/* Remember the id of n, an element that is neither a flow node nor a
   sequence flow but that tools refer to as one. */
static int keep_other(ld *L, const gm_xml_node *n)
{
    const char *id;
    int rc = gm_xml_attr(n, "id", &id, L->err);
    if (rc || !id)
        return rc;
    if (gm_map_sput(L->others, id, strlen(id), (void *)(uintptr_t)1))
        return nomem(L);
    return 0;
}

static int parse_container(ld *L, const gm_xml_node *c, size_t proc, size_t parent)
{
    gm_bpmn *m = L->m;
    size_t first = m->nnode;
    int rc;
    /* Other namespaces carry no BPMN semantics. */
    for (const gm_xml_node *n = gm_xml_first(c, BPMN_NS, NULL); n;
         n = gm_xml_next(n, BPMN_NS, NULL)) {
        gm_bpmn_kind kind;
        gm_bpmn_task_type type;
        if (node_kind(n, &kind, &type)) {
            if ((rc = add_node(L, n, kind, type, proc, parent)))
                return rc;
        } else if (named(n, "association")) {
            if ((rc = keep_assoc(L, n)))
                return rc;
        } else if (named(n, "dataObjectReference") || named(n, "dataStoreReference") ||
                   named(n, "dataObject")) {
            if ((rc = keep_other(L, n)))
                return rc;
        } else if (named(n, "sequenceFlow") || in_list(n, ignored) ||
                   (parent != GM_BPMN_NONE && (named(n, "standardLoopCharacteristics") ||
                                               named(n, "multiInstanceLoopCharacteristics")))) {
            continue;
        } else {
            return unsupported(L, n, gm_xml_local(n));
        }
    }
    /* Flows after all nodes, since a flow may precede its ends in the file. */
    for (const gm_xml_node *n = gm_xml_first(c, BPMN_NS, "sequenceFlow"); n;
         n = gm_xml_next(n, BPMN_NS, "sequenceFlow"))
        if ((rc = add_flow(L, n, proc, parent)))
            return rc;
    return resolve_container(L, first, proc, parent);
}

/* Lanes: the innermost lane naming a node wins, hence parents first. */
static int parse_laneset(ld *L, const gm_xml_node *ls, size_t proc, unsigned depth)
{
    gm_bpmn *m = L->m;
    int rc;
    if (depth > GM_BPMN_MAX_DEPTH)
        return gm_xml_err(L->err, GM_ELIMIT, ls, "lanes nested deeper than %u", GM_BPMN_MAX_DEPTH);
    for (const gm_xml_node *lane = gm_xml_first(ls, BPMN_NS, "lane"); lane;
         lane = gm_xml_next(lane, BPMN_NS, "lane")) {
        const char *name;
        if ((rc = attr(L, lane, "name", &name)))
            return rc;
        if ((!name || !*name) && (rc = attr(L, lane, "id", &name)))
            return rc;
        if (!name)
            name = "";
        for (const gm_xml_node *r = gm_xml_first(lane, BPMN_NS, "flowNodeRef"); r;
             r = gm_xml_next(r, BPMN_NS, "flowNodeRef")) {
            const char *ref;
            if ((rc = gm_xml_text(r, &ref, L->err)))
                return rc;
            size_t i = map_find(m->nodes, ref);
            if (i == GM_BPMN_NONE && map_find(L->others, ref) != GM_BPMN_NONE)
                continue; /* a data object or store reference some tools list */
            if (i == GM_BPMN_NONE || m->node[i].process != proc)
                return gm_xml_err(L->err, GM_EINVAL, r,
                                  "lane '%s' flowNodeRef '%s' does not name a flow node of its "
                                  "process",
                                  name, ref);
            m->node[i].lane = name;
        }
        for (const gm_xml_node *r = gm_xml_first(lane, BPMN_NS, "childLaneSet"); r;
             r = gm_xml_next(r, BPMN_NS, "childLaneSet"))
            if ((rc = parse_laneset(L, r, proc, depth + 1)))
                return rc;
    }
    return 0;
}

static int parse_process(ld *L, const gm_xml_node *p)
{
    gm_bpmn *m = L->m;
    int rc;
    if (grow((void **)&m->proc, &m->capproc, m->nproc + 1, sizeof *m->proc))
        return nomem(L);
    size_t idx = m->nproc;
    gm_bpmn_process *pr = &m->proc[idx];
    memset(pr, 0, sizeof *pr);
    if ((rc = attr(L, p, "id", &pr->id)) || (rc = attr(L, p, "name", &pr->name)))
        return rc;
    if (!pr->id || !*pr->id)
        return gm_xml_err(L->err, GM_EINVAL, p, "element (process) has no id");
    if (!pr->name)
        pr->name = "";
    pr->line = gm_xml_line(p);
    if ((rc = gm_xml_attr_bool(p, "isExecutable", false, &pr->executable, L->err)))
        return rc;
    m->nproc++;
    size_t first = m->nnode;
    if ((rc = parse_container(L, p, idx, GM_BPMN_NONE)))
        return rc;
    for (const gm_xml_node *n = gm_xml_first(p, BPMN_NS, "laneSet"); n;
         n = gm_xml_next(n, BPMN_NS, "laneSet"))
        if ((rc = parse_laneset(L, n, idx, 0)))
            return rc;
    bool start = false;
    for (size_t i = first; i < m->nnode; i++) {
        gm_bpmn_node *nd = &m->node[i];
        /* an instantiating event-based gateway starts a process in place of
           a start event (BPMN 2.0.2, 13.5.1) */
        if ((nd->kind == GM_BPMN_START_EVENT ||
             (nd->kind == GM_BPMN_EVENT_GATEWAY && nd->instantiate)) &&
            nd->parent == GM_BPMN_NONE)
            start = true;
        /* A sub-process node precedes its contents, so one pass inherits. */
        if (!nd->lane && nd->parent != GM_BPMN_NONE)
            nd->lane = m->node[nd->parent].lane;
    }
    /* An empty process (a pool drawn without its inside, as many tools
       export one) starts nothing and needs no start event. */
    if (!start && m->nnode > first)
        return gm_xml_err(L->err, GM_EINVAL, p, "process '%s' has no start event", m->proc[idx].id);
    return 0;
}

/* Definitions-level elements that define no behaviour of their own (event
   definitions are read where events refer to them). */
static const char *const root_ignored[] = {
    "documentation", "extensionElements", "import", "extension", "message", "error", "signal",
    "escalation", "itemDefinition", "dataStore", "resource", "interface", "category",
    "correlationProperty", "partnerEntity", "partnerRole", "endPoint", "relationship",
    "eventDefinition", "textAnnotation", "group", "dataObject", NULL};

static const struct {
    const char *element;
    gm_bpmn_task_type type;
} global_tasks[] = {
    {"globalTask", GM_BPMN_TASK_PLAIN},
    {"globalUserTask", GM_BPMN_TASK_USER},
    {"globalManualTask", GM_BPMN_TASK_MANUAL},
    {"globalScriptTask", GM_BPMN_TASK_SCRIPT},
    {"globalBusinessRuleTask", GM_BPMN_TASK_BUSINESS_RULE},
};

/* A global task, if n is one (1), else 0; < 0 on error. Its children
   (resource roles, I/O, a script, a rendering) define no flow. */
static int parse_global_task(ld *L, const gm_xml_node *n)
{
    gm_bpmn *m = L->m;
    size_t k = 0;
    while (k < sizeof global_tasks / sizeof global_tasks[0] && !named(n, global_tasks[k].element))
        k++;
    if (k == sizeof global_tasks / sizeof global_tasks[0])
        return 0;
    if (grow((void **)&m->glob, &m->capglob, m->nglob + 1, sizeof *m->glob))
        return nomem(L);
    gm_bpmn_global_task *g = &m->glob[m->nglob];
    memset(g, 0, sizeof *g);
    int rc;
    if ((rc = attr(L, n, "id", &g->id)) || (rc = attr(L, n, "name", &g->name)) ||
        (rc = keep(L, gm_xml_local(n), &g->element)))
        return rc;
    if (!g->id || !*g->id)
        return gm_xml_err(L->err, GM_EINVAL, n, "element (%s) has no id", gm_xml_local(n));
    if (!g->name)
        g->name = "";
    g->line = gm_xml_line(n);
    g->task = global_tasks[k].type;
    if ((rc = add_id(L, n, m->globals, g->id, m->nglob)))
        return rc;
    m->nglob++;
    return 1;
}

/* True when n is a global task (parsed in the first pass). */
static bool map_find_global(const ld *L, const gm_xml_node *n)
{
    (void)L;
    for (size_t k = 0; k < sizeof global_tasks / sizeof global_tasks[0]; k++)
        if (named(n, global_tasks[k].element))
            return true;
    return false;
}

/* ---- references across containers, once every node exists ---- */

/* A call activity's calledElement: a process or a global task of this file,
   or neither (an element of another file). */
static void resolve_calls(gm_bpmn *m)
{
    for (size_t i = 0; i < m->nnode; i++) {
        gm_bpmn_node *nd = &m->node[i];
        if (nd->kind != GM_BPMN_CALL_ACTIVITY || !nd->called_element)
            continue;
        const char *ref = local_ref(nd->called_element);
        for (size_t k = 0; k < m->nproc && nd->called_process == GM_BPMN_NONE; k++)
            if (strcmp(m->proc[k].id, ref) == 0)
                nd->called_process = k;
        if (nd->called_process == GM_BPMN_NONE)
            nd->called_task = map_find(m->globals, ref);
    }
}

/* The activity a compensation throw or end event names (activityRef): an
   activity of the same process. */
static int resolve_compensate(ld *L)
{
    gm_bpmn *m = L->m;
    int rc;
    for (size_t i = 0; i < m->nnode; i++) {
        gm_bpmn_node *nd = &m->node[i];
        if (nd->trigger != GM_BPMN_TRIGGER_COMPENSATE ||
            (nd->kind != GM_BPMN_THROW_EVENT && nd->kind != GM_BPMN_END_EVENT))
            continue;
        const char *ref;
        if ((rc = gm_xml_attr(L->def[i], "activityRef", &ref, L->err)))
            return rc;
        if (!ref || !*ref)
            continue;
        size_t a = map_find(m->nodes, local_ref(ref));
        if (a == GM_BPMN_NONE || !is_activity(m->node[a].kind) ||
            m->node[a].process != nd->process)
            return gm_xml_err(L->err, GM_EINVAL, L->def[i],
                              "compensation event '%s' activityRef '%s' does not name an "
                              "activity of its process",
                              nd->id, ref);
        nd->compensate = a;
    }
    return 0;
}

/* A link throw event goes to the link catch event its definition's
   <target> names (by the catch's linkEventDefinition id) or else to the one
   of the same name in the same (sub-)process. Some tools leave the names
   empty: such a throw event goes nowhere (link_target GM_BPMN_NONE) and it
   is the simulator that refuses it, if a case reaches it. */
static int resolve_links(ld *L)
{
    gm_bpmn *m = L->m;
    gm_map *catches = gm_map_create(GM_MAP_STR); /* "process parent name" -> node + 1 */
    gm_map *defs = gm_map_create(GM_MAP_STR);    /* catch definition id -> node + 1 */
    char key[512];
    int rc = 0;
    if (!catches || !defs) {
        rc = nomem(L);
        goto done;
    }
    for (size_t i = 0; i < m->nnode && !rc; i++) {
        const gm_bpmn_node *nd = &m->node[i];
        if (nd->kind != GM_BPMN_CATCH_EVENT || nd->trigger != GM_BPMN_TRIGGER_LINK)
            continue;
        const char *did;
        if ((rc = gm_xml_attr(L->def[i], "id", &did, L->err)))
            break;
        if (did && gm_map_sput(defs, did, strlen(did), (void *)(uintptr_t)(i + 1))) {
            rc = nomem(L);
            break;
        }
        if (!*nd->link)
            continue;
        int k = snprintf(key, sizeof key, "%zu %zu %s", nd->process, nd->parent, nd->link);
        size_t klen = k < (int)sizeof key ? (size_t)k : sizeof key - 1;
        void *v;
        if (gm_map_sget(catches, key, klen, &v))
            rc = gm_xml_err(L->err, GM_EINVAL, L->xml[i],
                            "link catch events '%s' and '%s' have the same link name '%s' in "
                            "one (sub-)process",
                            m->node[(uintptr_t)v - 1].id, nd->id, nd->link);
        else if (gm_map_sput(catches, key, klen, (void *)(uintptr_t)(i + 1)))
            rc = nomem(L);
    }
    for (size_t i = 0; i < m->nnode && !rc; i++) {
        gm_bpmn_node *nd = &m->node[i];
        if (nd->kind != GM_BPMN_THROW_EVENT || nd->trigger != GM_BPMN_TRIGGER_LINK)
            continue;
        void *v;
        const gm_xml_node *t = gm_xml_first(L->def[i], BPMN_NS, "target");
        const char *tid = NULL;
        if (t && (rc = gm_xml_text(t, &tid, L->err)))
            break;
        if (tid && gm_map_sget(defs, local_ref(tid), strlen(local_ref(tid)), &v)) {
            size_t c = (uintptr_t)v - 1;
            if (m->node[c].process != nd->process || m->node[c].parent != nd->parent)
                rc = gm_xml_err(L->err, GM_EINVAL, t,
                                "link throw event '%s' targets '%s', which is not in the same "
                                "(sub-)process",
                                nd->id, m->node[c].id);
            nd->link_target = c;
            continue;
        }
        int k = snprintf(key, sizeof key, "%zu %zu %s", nd->process, nd->parent, nd->link);
        size_t klen = k < (int)sizeof key ? (size_t)k : sizeof key - 1;
        if (*nd->link && gm_map_sget(catches, key, klen, &v))
            nd->link_target = (uintptr_t)v - 1;
    }
done:
    gm_map_destroy(catches);
    gm_map_destroy(defs);
    return rc;
}

/* Associations between a compensation boundary event and its handler (in
   either direction: some tools draw it from the handler). Others connect
   annotations and data, and mean nothing here. */
static int resolve_assocs(ld *L)
{
    gm_bpmn *m = L->m;
    int rc;
    for (size_t k = 0; k < L->nassoc; k++) {
        const gm_xml_node *n = L->assoc[k];
        const char *src, *dst;
        if ((rc = gm_xml_attr(n, "sourceRef", &src, L->err)) ||
            (rc = gm_xml_attr(n, "targetRef", &dst, L->err)))
            return rc;
        size_t a = map_find(m->nodes, src), b = map_find(m->nodes, dst);
        if (a == GM_BPMN_NONE || b == GM_BPMN_NONE)
            continue;
        size_t ev = a, h = b;
        if (m->node[b].kind == GM_BPMN_BOUNDARY_EVENT &&
            m->node[b].trigger == GM_BPMN_TRIGGER_COMPENSATE) {
            ev = b;
            h = a;
        }
        gm_bpmn_node *e = &m->node[ev];
        if (e->kind != GM_BPMN_BOUNDARY_EVENT || e->trigger != GM_BPMN_TRIGGER_COMPENSATE)
            continue;
        const gm_bpmn_node *hn = &m->node[h], *act = &m->node[e->attached_to];
        if (!is_activity(hn->kind) || !hn->for_compensation)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "association links compensation boundary event '%s' to '%s' "
                              "(%s); expected an activity with isForCompensation=\"true\"",
                              e->id, hn->id, hn->element);
        if (hn->process != act->process || hn->parent != act->parent)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "compensation handler '%s' of boundary event '%s' is not in the "
                              "(sub-)process of '%s'",
                              hn->id, e->id, act->id);
        if (e->compensation != GM_BPMN_NONE && e->compensation != h)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "compensation boundary event '%s' has two handlers, '%s' and '%s'",
                              e->id, m->node[e->compensation].id, hn->id);
        e->compensation = h;
    }
    return 0;
}

/* What the specification forbids of sequence flows, once they are counted:
   event sub-processes and compensation handlers are outside the normal
   flow, a compensation boundary event leads to its handler by association,
   a link throw event ends its path and a link catch event starts one; an
   event sub-process starts on the trigger of its one start event. */
static int check_flows(ld *L)
{
    gm_bpmn *m = L->m;
    size_t *starts = calloc(m->nnode + 1, sizeof *starts); /* start events per parent */
    if (!starts)
        return nomem(L);
    for (size_t i = 0; i < m->nnode; i++)
        if (m->node[i].kind == GM_BPMN_START_EVENT && m->node[i].parent != GM_BPMN_NONE)
            starts[m->node[i].parent]++;
    int rc = 0;
    for (size_t i = 0; i < m->nnode && !rc; i++) {
        const gm_bpmn_node *nd = &m->node[i];
        const gm_xml_node *n = L->xml[i];
        bool is_link = nd->trigger == GM_BPMN_TRIGGER_LINK;
        if (nd->triggered_by_event && nd->nin + nd->nout)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "event sub-process '%s' has sequence flows; expected none (it "
                            "starts on the trigger of its start event)",
                            nd->id);
        else if (nd->for_compensation && nd->nin + nd->nout)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "compensation handler '%s' (isForCompensation) has sequence flows; "
                            "expected none (it runs when its activity is compensated)",
                            nd->id);
        else if (nd->kind == GM_BPMN_BOUNDARY_EVENT &&
                 nd->trigger == GM_BPMN_TRIGGER_COMPENSATE && nd->nout)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "compensation boundary event '%s' has outgoing sequence flows; "
                            "expected an association to its compensation handler",
                            nd->id);
        else if (is_link && nd->kind == GM_BPMN_THROW_EVENT && nd->nout)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "link throw event '%s' has outgoing sequence flows; expected none "
                            "(it continues at its link catch event)",
                            nd->id);
        else if (is_link && nd->kind == GM_BPMN_CATCH_EVENT && nd->nin)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "link catch event '%s' has incoming sequence flows; expected none "
                            "(its link throw events lead to it)",
                            nd->id);
        else if (nd->triggered_by_event && starts[i] != 1)
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "event sub-process '%s' has %zu start events; expected one, with the "
                            "trigger that starts it",
                            nd->id, starts[i]);
    }
    free(starts);
    return rc;
}

static int parse_definitions(ld *L, const gm_xml_node *root)
{
    gm_bpmn *m = L->m;
    int rc;
    if (!gm_xml_is(root, BPMN_NS, "definitions"))
        return gm_xml_err(L->err, GM_EPARSE, root,
                          "expected BPMN 2.0 <definitions> in namespace %s, got <%s>", BPMN_NS,
                          gm_xml_local(root));
    /* Event definitions shared by id (eventDefinitionRef), global tasks and
       message flows first: processes refer to them. */
    for (const gm_xml_node *n = gm_xml_first(root, BPMN_NS, NULL); n;
         n = gm_xml_next(n, BPMN_NS, NULL)) {
        const char *id;
        if (named(n, "collaboration")) {
            for (const gm_xml_node *f = gm_xml_first(n, BPMN_NS, "messageFlow"); f;
                 f = gm_xml_next(f, BPMN_NS, "messageFlow"))
                if ((rc = keep_other(L, f)))
                    return rc;
        } else if (strstr(gm_xml_local(n), "EventDefinition")) {
            if ((rc = gm_xml_attr(n, "id", &id, L->err)))
                return rc;
            if (id && gm_map_sput(L->evdefs, id, strlen(id), (void *)n))
                return nomem(L);
        } else if ((rc = parse_global_task(L, n)) < 0) {
            return rc;
        }
    }
    for (const gm_xml_node *n = gm_xml_first(root, BPMN_NS, NULL); n;
         n = gm_xml_next(n, BPMN_NS, NULL)) {
        if (named(n, "process")) {
            if ((rc = parse_process(L, n)))
                return rc;
        } else if (named(n, "association")) {
            if ((rc = keep_assoc(L, n)))
                return rc;
        } else if (!named(n, "collaboration") && !in_list(n, root_ignored) &&
                   !strstr(gm_xml_local(n), "EventDefinition") && !map_find_global(L, n)) {
            return unsupported(L, n, gm_xml_local(n));
        }
    }
    /* Participants (pools) name processes; message flows between them are
       ignored for now. A collaboration's associations may be a compensation
       boundary event's. */
    for (const gm_xml_node *co = gm_xml_first(root, BPMN_NS, "collaboration"); co;
         co = gm_xml_next(co, BPMN_NS, "collaboration")) {
        for (const gm_xml_node *a = gm_xml_first(co, BPMN_NS, "association"); a;
             a = gm_xml_next(a, BPMN_NS, "association"))
            if ((rc = keep_assoc(L, a)))
                return rc;
        for (const gm_xml_node *p = gm_xml_first(co, BPMN_NS, "participant"); p;
             p = gm_xml_next(p, BPMN_NS, "participant")) {
            const char *ref, *name, *pid;
            if ((rc = gm_xml_attr(p, "processRef", &ref, L->err)) ||
                (rc = attr(L, p, "name", &name)) || (rc = attr(L, p, "id", &pid)))
                return rc;
            if (!ref)
                continue; /* a black-box pool */
            size_t k = 0;
            while (k < m->nproc && strcmp(m->proc[k].id, local_ref(ref)) != 0)
                k++;
            if (k == m->nproc && local_ref(ref) != ref)
                continue; /* a prefixed QName: a process of an imported file */
            if (k == m->nproc)
                return gm_xml_err(L->err, GM_EINVAL, p,
                                  "participant '%s' processRef '%s' does not name a process",
                                  id_or(pid), ref);
            m->proc[k].participant = name && *name ? name : pid ? pid : "";
        }
    }
    if (m->nproc == 0)
        return gm_xml_err(L->err, GM_EINVAL, root, "no process in the definitions");
    resolve_calls(m);
    if ((rc = resolve_compensate(L)) || (rc = resolve_links(L)) || (rc = resolve_assocs(L)))
        return rc;
    return 0;
}

static int fill_edges(gm_bpmn *m)
{
    for (size_t f = 0; f < m->nflow; f++) {
        m->node[m->flow[f].source].nout++;
        m->node[m->flow[f].target].nin++;
    }
    for (size_t i = 0; i < m->nnode; i++) {
        gm_bpmn_node *nd = &m->node[i];
        size_t *in = nd->nin ? gm_arena_calloc(m->arena, nd->nin, sizeof *in) : NULL;
        size_t *out = nd->nout ? gm_arena_calloc(m->arena, nd->nout, sizeof *out) : NULL;
        if ((nd->nin && !in) || (nd->nout && !out))
            return GM_ENOMEM;
        nd->in = in;
        nd->out = out;
        nd->nin = nd->nout = 0;
    }
    for (size_t f = 0; f < m->nflow; f++) {
        gm_bpmn_node *s = &m->node[m->flow[f].source], *t = &m->node[m->flow[f].target];
        ((size_t *)s->out)[s->nout++] = f;
        ((size_t *)t->in)[t->nin++] = f;
    }
    return 0;
}

int gm_bpmn_load_mem(const char *buf, size_t len, const char *name, gm_bpmn **out,
                     gm_err *err)
{
    *out = NULL;
    if (!name)
        name = "(memory)";
    ld L = {.file = name, .err = err};
    gm_xml *doc = NULL;
    int rc;
    /* BPMN files from modelling tools may carry a DTD: it is tolerated,
       never loaded, and its entities never expanded. */
    gm_xml_limits lim = gm_xml_limits_default;
    lim.max_bytes = GM_BPMN_MAX_FILE;
    lim.max_elements = GM_BPMN_MAX_ELEMENTS;
    lim.max_depth = GM_BPMN_MAX_DEPTH;
    lim.allow_dtd = true;
    gm_bpmn *m = calloc(1, sizeof *m);
    if (!m)
        return nomem(&L);
    L.m = m;
    m->arena = gm_arena_create(0, 0);
    m->nodes = gm_map_create(GM_MAP_STR);
    m->flows = gm_map_create(GM_MAP_STR);
    m->globals = gm_map_create(GM_MAP_STR);
    L.evdefs = gm_map_create(GM_MAP_STR);
    L.others = gm_map_create(GM_MAP_STR);
    if (!m->arena || !m->nodes || !m->flows || !m->globals || !L.evdefs || !L.others) {
        rc = nomem(&L);
        goto fail;
    }
    if ((rc = gm_xml_load_mem(buf, len, name, &lim, &doc, err)) ||
        (rc = parse_definitions(&L, gm_xml_root(doc))))
        goto fail;
    if ((rc = fill_edges(m))) {
        nomem(&L);
        goto fail;
    }
    if ((rc = check_flows(&L)))
        goto fail;
    *out = m;
    m = NULL;
fail:
    free(L.xml);
    free(L.def);
    free(L.fxml);
    free(L.assoc);
    gm_map_destroy(L.evdefs);
    gm_map_destroy(L.others);
    gm_xml_free(doc);
    gm_bpmn_free(m);
    return rc;
}

int gm_bpmn_load_file(const char *path, gm_bpmn **out, gm_err *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = gm_file_read(path, GM_BPMN_MAX_FILE, &buf, &len, err);
    if (!rc)
        rc = gm_bpmn_load_mem(buf, len, path, out, err);
    free(buf);
    return rc;
}

void gm_bpmn_free(gm_bpmn *m)
{
    if (!m)
        return;
    gm_arena_destroy(m->arena);
    gm_map_destroy(m->nodes);
    gm_map_destroy(m->flows);
    gm_map_destroy(m->globals);
    free(m->glob);
    free(m->proc);
    free(m->node);
    free(m->flow);
    free(m);
}

size_t gm_bpmn_nprocesses(const gm_bpmn *m) { return m->nproc; }
size_t gm_bpmn_nnodes(const gm_bpmn *m) { return m->nnode; }
size_t gm_bpmn_nflows(const gm_bpmn *m) { return m->nflow; }
size_t gm_bpmn_nglobal_tasks(const gm_bpmn *m) { return m->nglob; }

const gm_bpmn_global_task *gm_bpmn_global_task_at(const gm_bpmn *m, size_t i)
{
    return i < m->nglob ? &m->glob[i] : NULL;
}

const gm_bpmn_process *gm_bpmn_process_at(const gm_bpmn *m, size_t i)
{
    return i < m->nproc ? &m->proc[i] : NULL;
}

const gm_bpmn_node *gm_bpmn_node_at(const gm_bpmn *m, size_t i)
{
    return i < m->nnode ? &m->node[i] : NULL;
}

const gm_bpmn_flow *gm_bpmn_flow_at(const gm_bpmn *m, size_t i)
{
    return i < m->nflow ? &m->flow[i] : NULL;
}

size_t gm_bpmn_find_node(const gm_bpmn *m, const char *id) { return map_find(m->nodes, id); }
size_t gm_bpmn_find_flow(const gm_bpmn *m, const char *id) { return map_find(m->flows, id); }

const char *gm_bpmn_kind_name(gm_bpmn_kind k)
{
    static const char *const names[] = {
        "startEvent",    "endEvent",         "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "task",             "subProcess",             "callActivity",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway",     "eventBasedGateway"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *gm_bpmn_trigger_name(gm_bpmn_trigger t)
{
    static const char *const names[] = {"none",        "timer",      "message",    "error",
                                        "terminate",   "signal",     "conditional", "escalation",
                                        "compensate",  "link"};
    return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *gm_bpmn_loop_name(gm_bpmn_loop l)
{
    static const char *const names[] = {"none", "standard", "parallel", "sequential"};
    return (size_t)l < sizeof names / sizeof names[0] ? names[l] : "?";
}
