/*
 * bpmn.h: import BPMN 2.0 process models (XML) into a read-only process graph.
 *
 * This is the structural import only: flow nodes, sequence flows, lanes,
 * sub-process nesting (event sub-processes included), boundary attachment,
 * loop markers, compensation (handlers and what throws compensation), link
 * events, and global tasks with the call activities calling them and
 * processes. It covers the BPMN 2.0 Descriptive and Analytic process
 * modelling conformance classes and the flow elements of the Common
 * Executable one. Elements are matched by the BPMN model namespace
 * (http://www.omg.org/spec/BPMN/20100524/MODEL), whatever prefix is used.
 * Elements without execution semantics (annotations, data objects, diagram
 * interchange, other namespaces) are ignored; every element with execution
 * semantics that gemel cannot run yet is rejected with GM_EUNSUPPORTED and
 * "FILE:LINE: element 'ID' (TYPE) is not supported yet", never skipped.
 * docs/processes.md lists what is supported.
 *
 * Indices: nodes, flows and processes of one model are numbered from 0 in
 * document order; GM_BPMN_NONE stands for "no such index".
 */
#ifndef GM_PROCESS_BPMN_H
#define GM_PROCESS_BPMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/xml.h"

#define GM_BPMN_NONE SIZE_MAX

/* Limits on untrusted input: base/xml's defaults. */
#define GM_BPMN_MAX_FILE GM_XML_MAX_BYTES        /* bytes */
#define GM_BPMN_MAX_ELEMENTS GM_XML_MAX_ELEMENTS /* XML elements in the document */
#define GM_BPMN_MAX_DEPTH GM_XML_MAX_DEPTH       /* XML element nesting */

typedef enum gm_bpmn_kind {
    GM_BPMN_START_EVENT,
    GM_BPMN_END_EVENT,
    GM_BPMN_CATCH_EVENT,    /* intermediateCatchEvent (timer, message, signal, conditional) */
    GM_BPMN_THROW_EVENT,    /* intermediateThrowEvent (none, message, signal, escalation) */
    GM_BPMN_BOUNDARY_EVENT, /* attached_to names the activity */
    GM_BPMN_TASK,           /* task and every task type, see gm_bpmn_task_type */
    GM_BPMN_SUBPROCESS,     /* embedded; its nodes have parent == this node */
    GM_BPMN_CALL_ACTIVITY,
    GM_BPMN_EXCLUSIVE_GATEWAY,
    GM_BPMN_PARALLEL_GATEWAY,
    GM_BPMN_INCLUSIVE_GATEWAY,
    GM_BPMN_EVENT_GATEWAY,
} gm_bpmn_kind;

/* The event definition of an event node (NONE for non-events). */
typedef enum gm_bpmn_trigger {
    GM_BPMN_TRIGGER_NONE,
    GM_BPMN_TRIGGER_TIMER,
    GM_BPMN_TRIGGER_MESSAGE,
    GM_BPMN_TRIGGER_ERROR,
    GM_BPMN_TRIGGER_TERMINATE,
    GM_BPMN_TRIGGER_SIGNAL,
    GM_BPMN_TRIGGER_CONDITIONAL,
    GM_BPMN_TRIGGER_ESCALATION,
    GM_BPMN_TRIGGER_COMPENSATE, /* compensateEventDefinition */
    GM_BPMN_TRIGGER_LINK,       /* linkEventDefinition: a go-to inside one (sub-)process */
} gm_bpmn_trigger;

typedef enum gm_bpmn_task_type {
    GM_BPMN_TASK_PLAIN, /* task, and every non-task node */
    GM_BPMN_TASK_USER,
    GM_BPMN_TASK_SERVICE,
    GM_BPMN_TASK_SCRIPT,
    GM_BPMN_TASK_MANUAL,
    GM_BPMN_TASK_BUSINESS_RULE,
    GM_BPMN_TASK_SEND,
    GM_BPMN_TASK_RECEIVE,
} gm_bpmn_task_type;

/* Where a node's field does not apply it is 0, false, NULL or
   GM_BPMN_NONE, as below. */

/* Loop marker of an activity. */
typedef enum gm_bpmn_loop {
    GM_BPMN_LOOP_NONE,
    GM_BPMN_LOOP_STANDARD,      /* standardLoopCharacteristics */
    GM_BPMN_LOOP_MI_PARALLEL,   /* multiInstanceLoopCharacteristics */
    GM_BPMN_LOOP_MI_SEQUENTIAL, /* multiInstanceLoopCharacteristics isSequential="true" */
} gm_bpmn_loop;

/* A flow node. Strings are owned by the model; name is "" when absent. */
typedef struct gm_bpmn_node {
    const char *id;
    const char *name;
    const char *element; /* XML local name: "userTask", "startEvent", ... */
    const char *lane;    /* innermost lane's name (or id), inherited inside
                            sub-processes; NULL when the process has no lanes */
    long line;           /* source line of the element */
    gm_bpmn_kind kind;
    gm_bpmn_trigger trigger;
    gm_bpmn_task_type task;
    gm_bpmn_loop loop;
    size_t process;      /* index of the process */
    size_t parent;       /* enclosing subProcess node, or GM_BPMN_NONE at top level */
    size_t attached_to;  /* boundary events: the activity; else GM_BPMN_NONE */
    bool cancel_activity; /* boundary events: cancelActivity (default true) */
    const char *timer_kind; /* timer events: "timeDuration", "timeDate",
                               "timeCycle", or NULL when not given */
    const char *timer;      /* its expression text, or NULL */
    const char *called_element; /* callActivity: calledElement, or NULL */
    size_t default_flow; /* the `default` outgoing flow, or GM_BPMN_NONE */
    size_t nin, nout;    /* incoming and outgoing sequence flows ... */
    const size_t *in;    /* ... as flow indices, in document order */
    const size_t *out;

    /* Event sub-processes. */
    bool triggered_by_event; /* subProcess triggeredByEvent="true": an event
                                sub-process. It has no sequence flows, no
                                boundary events and exactly one start event,
                                which has a trigger; it runs when that start
                                event's trigger occurs while its parent (the
                                process or sub-process) runs */
    bool interrupting;       /* start events: isInterrupting (default true;
                                always true for error and compensation
                                starts); boundary events: cancel_activity */
    /* Compensation. */
    bool for_compensation;   /* activities: isForCompensation="true", a
                                compensation handler (no sequence flows) */
    size_t compensation;     /* compensation boundary events: the handler their
                                association leads to (an activity with
                                for_compensation, beside the activity they are
                                attached to), or GM_BPMN_NONE */
    size_t compensate;       /* compensation throw and end events: the activity
                                activityRef names, or GM_BPMN_NONE for every
                                completed activity of the enclosing scope */
    bool wait_for_completion; /* compensation throw and end events:
                                waitForCompletion (default true) */
    /* References of event definitions. */
    const char *event_ref;   /* messageRef, signalRef, errorRef or escalationRef
                                of the event definition (the id it names, any
                                QName prefix dropped), or NULL */
    const char *link;        /* link events: the link's name ("" when the file
                                has none) */
    size_t link_target;      /* link throw events: the link catch event that
                                the definition's <target> names, else the one
                                of the same name in the same (sub-)process;
                                GM_BPMN_NONE when there is none (a link that
                                leads nowhere, which only simulation refuses) */
    /* Calls. */
    size_t called_process;   /* callActivity: the process of this file that
                                calledElement names, or GM_BPMN_NONE */
    size_t called_task;      /* callActivity: the global task of this file that
                                calledElement names, or GM_BPMN_NONE (both
                                NONE: the called element is in another file) */
    /* Event-based gateways. */
    bool instantiate;        /* instantiate="true": starts a process instance */
    bool parallel_events;    /* eventGatewayType="Parallel" (default Exclusive) */
} gm_bpmn_node;

typedef struct gm_bpmn_flow {
    const char *id;
    const char *name;      /* "" when absent */
    const char *condition; /* conditionExpression text, or NULL */
    long line;
    size_t source, target; /* node indices (same process and parent) */
    size_t process;
    size_t parent;         /* enclosing subProcess node, or GM_BPMN_NONE */
    bool is_default;       /* named by its source's `default` attribute */
} gm_bpmn_flow;

typedef struct gm_bpmn_process {
    const char *id;
    const char *name;        /* "" when absent */
    const char *participant; /* name of the collaboration participant whose
                                processRef names it, or NULL */
    long line;
    bool executable;         /* isExecutable="true" */
} gm_bpmn_process;

/* A global task (globalTask, globalUserTask, globalManualTask,
   globalScriptTask, globalBusinessRuleTask): a task defined once at the
   top of the file, which call activities call. */
typedef struct gm_bpmn_global_task {
    const char *id;
    const char *name;    /* "" when absent */
    const char *element; /* XML local name: "globalUserTask", ... */
    long line;
    gm_bpmn_task_type task; /* the task type it stands for: USER for
                               globalUserTask, PLAIN for globalTask, ... */
} gm_bpmn_global_task;

typedef struct gm_bpmn gm_bpmn;

/*
 * Load a BPMN 2.0 file (at most GM_BPMN_MAX_FILE bytes). No network access,
 * no DTD loading, no entity substitution. On success *out owns the model
 * (free with gm_bpmn_free). On failure *out is NULL and err says where
 * ("FILE:LINE") and what. Errors: GM_EIO/GM_ENOENT (file), GM_ELIMIT (size,
 * element count or depth), GM_EPARSE (not well-formed XML, not BPMN
 * definitions, an entity reference in a value read), GM_EINVAL (missing ids,
 * duplicate ids, dangling references, a process without a start event (or
 * an event-based gateway with instantiate="true", which starts it too), an
 * attribute that does not parse, a construct the BPMN 2.0 specification
 * forbids: sequence flows on an event sub-process, a compensation handler
 * or a compensation boundary event, a link throw event without its catch
 * event, ...), GM_EUNSUPPORTED (an element with execution semantics gemel
 * cannot import yet), GM_ENOMEM.
 */
int gm_bpmn_load_file(const char *path, gm_bpmn **out, gm_err *err);

/*
 * As gm_bpmn_load_file, from len bytes at buf; name stands for the file name
 * in error locations. buf is not retained.
 */
int gm_bpmn_load_mem(const char *buf, size_t len, const char *name, gm_bpmn **out,
                     gm_err *err);

/* Free a model and everything it owns. NULL is ignored. */
void gm_bpmn_free(gm_bpmn *m);

/* Counts, and elements by index (i below the count, else NULL; pointers
   live as long as m). */
size_t gm_bpmn_nprocesses(const gm_bpmn *m);
size_t gm_bpmn_nnodes(const gm_bpmn *m);
size_t gm_bpmn_nflows(const gm_bpmn *m);
size_t gm_bpmn_nglobal_tasks(const gm_bpmn *m);
const gm_bpmn_process *gm_bpmn_process_at(const gm_bpmn *m, size_t i);
const gm_bpmn_node *gm_bpmn_node_at(const gm_bpmn *m, size_t i);
const gm_bpmn_flow *gm_bpmn_flow_at(const gm_bpmn *m, size_t i);
const gm_bpmn_global_task *gm_bpmn_global_task_at(const gm_bpmn *m, size_t i);

/* Index of the node with this id, or GM_BPMN_NONE. */
size_t gm_bpmn_find_node(const gm_bpmn *m, const char *id);

/* Index of the sequence flow with this id, or GM_BPMN_NONE. */
size_t gm_bpmn_find_flow(const gm_bpmn *m, const char *id);

/* Stable names: "startEvent", "task", "exclusiveGateway", ...; "timer", ...,
   "compensate", "link"; "standard", "parallel", "sequential" ("none" for the
   zero values). */
const char *gm_bpmn_kind_name(gm_bpmn_kind k);
const char *gm_bpmn_trigger_name(gm_bpmn_trigger t);
const char *gm_bpmn_loop_name(gm_bpmn_loop l);

#endif
