/*
 * proc_int.h (internal to process/): the compiled process model shared by the
 * parameter loader (proc_load.c) and the simulator (proc_run.c).
 *
 * gm_proc_load turns a BPMN model plus parameter JSON into flat arrays
 * indexed by BPMN node: what each node does at run time, with every
 * distribution, probability and resource need resolved, so that the
 * simulator never looks at JSON or strings.
 */
#ifndef GM_PROCESS_PROC_INT_H
#define GM_PROCESS_PROC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "num/dist.h"
#include "process/bpmn.h"
#include "process/calendar.h"
#include "evlog/evlog.h"
#include "process/process.h"

#define PROC_NONE SIZE_MAX
#define PROC_NAME_MAX 64
#define PROC_MAX_NEEDS 8       /* resource pools one task holds at once */
#define PROC_MAX_BOUNDARY 64   /* boundary events on one activity */
#define PROC_MAX_AMOUNT 1000   /* units of one pool one task holds */

/* A time distribution: samples are multiplied by scale (its "unit" over the
   model's time unit). */
typedef struct ptime {
    gm_dist d;
    double scale;
    bool set;
} ptime;

/* What a node does when a token reaches it. */
typedef enum pkind {
    PK_START,     /* start event: pass on (cases and sub-processes begin here) */
    PK_END,       /* none/message/signal/escalation end: the token ends */
    PK_TERMINATE, /* terminate end: ends its scope */
    PK_ERROR_END, /* error end: ends its scope, raised to the enclosing activity */
    PK_PASS,      /* throw event, merge-only gateway: pass on */
    PK_ACTIVITY,  /* task, call activity or embedded sub-process */
    PK_XOR,       /* exclusive gateway with a choice */
    PK_AND,       /* parallel gateway (join when nin > 1) */
    PK_OR,        /* inclusive gateway */
    PK_EVENT_GW,  /* event-based gateway: the first of its catch events wins */
    PK_CATCH,     /* intermediate catch event: wait a delay */
    PK_BOUNDARY,  /* only reached through its activity */
    PK_LINK,      /* link throw event: the token goes on at its catch event
                     (idx: that node) */
    PK_START_ESP, /* start event of a scope that has event sub-processes:
                     arms their triggers, then passes on */
    PK_COMP,      /* compensation throw or end event: runs the compensation
                     handlers of completed activities of its scope */
    PK_INSTANTIATE, /* event-based gateway that starts the process (cases
                       arrive there): its first event starts the case */
} pkind;

typedef struct pneed {
    uint32_t pool;
    uint32_t amount;
} pneed;

typedef struct pact {
    size_t node;
    bool sub;            /* embedded sub-process (else task or call activity) */
    size_t sub_start;    /* sub: its none start event */
    ptime dur;           /* tasks: default duration */
    size_t nneed;
    pneed need[PROC_MAX_NEEDS];
    ptime *unit_dur;     /* [nunits_total] per-unit durations (NULL: none);
                            unset entries fall back to dur */
    double cost;         /* fixed cost per execution */
    /* markers */
    bool loop;           /* standard loop */
    double loop_p;       /* probability of another iteration */
    uint32_t loop_max;
    int mi;              /* 0 none, 1 parallel, 2 sequential */
    bool mi_fixed;
    uint64_t mi_n;
    gm_dist mi_dist;     /* when !mi_fixed */
    size_t nbnd;
    size_t *bnd;         /* indices into gm_proc.bnd */
    size_t error_bnd;    /* first error boundary event (index into bnd table) or NONE */
    size_t comp_handler; /* its compensation handler: the activity a
                            compensation boundary event leads to, or the
                            event sub-process with a compensation start
                            inside it; NONE: none */
    bool comp;           /* its completions are recorded for compensation:
                            it has a handler, or activities inside it have */
    bool plain;          /* no marker, no boundary, not compensable: the
                            fast path */
    bool fast_res;       /* one counted pool without calendar: no request
                            record when units are free */
    bool cyclic;         /* on a cycle of the process graph: a token may
                            come back to it (the run counts its steps) */
    uint64_t stream;     /* durations; stream + 1: markers and boundaries */
} pact;

typedef struct pbnd {
    size_t node;
    size_t act;          /* the activity it is attached to */
    bool interrupting;
    bool error;
    double prob;         /* chance it fires during one activation */
    ptime after;         /* time from activation; !set: error raised at completion */
} pbnd;

typedef struct pgw {
    size_t n;
    size_t *flow;        /* outgoing flows with a probability */
    double *p;           /* XOR: cumulative (last == 1); OR: independent */
    size_t dflt;         /* OR: default flow when none is taken, or NONE */
    uint64_t stream;
} pgw;

typedef struct pjoin {
    size_t slot;         /* first counter in a scope's join array */
    size_t nin;
    uint64_t **up;       /* OR joins: [nin] bitsets of nodes from which that
                            input can still be reached (NULL for AND) */
} pjoin;

typedef struct pnode {
    const gm_bpmn_node *bn; /* the BPMN node (cached: the hot path reads it) */
    pkind kind;
    size_t idx;          /* PK_ACTIVITY: pact; XOR/OR: pgw; CATCH: pcatch;
                            START (top level): arrival source; else NONE */
    size_t join;         /* AND/OR with nin > 1: pjoin index, else NONE */
    bool task;           /* a plain task: an activity with no marker and no
                            boundary event that is not a sub-process */
} pnode;

typedef struct pcatch {
    ptime delay;
    uint64_t stream;
} pcatch;

/* An event sub-process: a handler of the scope it is in (its home), run in
   a scope of its own when its start event's trigger occurs. */
typedef struct pesp {
    size_t node;         /* the event sub-process (an activity: KPIs, cost) */
    size_t start;        /* its start event */
    size_t home;         /* the key of the scope it belongs to (gm_proc.home) */
    size_t key;          /* proc__key_index of home */
    bool interrupting;   /* ends the rest of its scope when it starts */
    bool error;          /* error start: started by an error end event of its
                            scope, not by a delay */
    bool comp;           /* compensation start: the compensation handler of
                            the activity whose scope it is in */
    const char *ref;     /* error start: the errorRef it catches, NULL: any */
    double prob;         /* delayed starts: chance it occurs in one activation */
    ptime after;         /* time from the scope's start to the occurrence */
    uint32_t repeat;     /* non-interrupting: occurrences per activation at
                            most, each `after` after the one before */
    uint64_t stream;
} pesp;

typedef struct parr {
    size_t node;         /* the start event */
    ptime inter;         /* or */
    gm_cal *rate;        /* a rate calendar */
    uint64_t stream;
} parr;

typedef struct punitdef {
    char name[PROC_NAME_MAX + 1];
    size_t cal;          /* index into gm_proc.cal, or NONE */
    double cost;         /* per time unit busy */
} punitdef;

typedef struct ppooldef {
    char name[PROC_NAME_MAX + 1];
    uint32_t nunits;
    bool named;          /* "units" form: units tracked one by one */
    size_t first_unit;   /* named: index of its first unit in gm_proc.unit */
    size_t cal;          /* count form: the pool's calendar, or NONE */
    double cost;         /* count form: per unit per time unit busy */
} ppooldef;

struct gm_proc {
    const gm_bpmn *m;
    size_t process;      /* the simulated process */
    bool *inproc;        /* [nprocesses] simulated: the process and those it
                            calls (call activities run them as sub-processes) */
    size_t *pstart;      /* [nprocesses] its one none start event (where a
                            call of it begins), or NONE */
    /* Scopes are told apart by a key: NONE for the process instance, the
       sub-process node for a sub-process, nnodes + q for a call of process
       q. */
    size_t *home;        /* [nnodes] the key of the scope each node runs in */
    size_t *inner;       /* [nnodes] activities: the key of the scope they
                            open (a sub-process: itself; a call: its process's) */
    /* clock */
    double unit_seconds;
    int64_t start_ns;
    int offset_min;
    /* run length */
    int64_t cases;       /* 0: no case limit */
    double horizon;      /* HUGE_VAL: none */
    bool terminating;    /* no arrivals after the measured cases (or the
                            horizon); measured up to their last completion */
    int64_t warmup_cases;
    double warmup_time;
    /* model */
    pnode *node;         /* [nnodes] */
    size_t *flow_tgt;    /* [nflows] target node of each flow */
    size_t *flow_in;     /* [nflows] its position among the target's incoming
                            flows (a join's counter) */
    pact *act;
    size_t nact;
    pgw *gw;
    size_t ngw;
    pbnd *bnd;
    size_t nbnd;
    pjoin *join;
    size_t njoin, njoin_slots;
    pcatch *catch_;
    size_t ncatch;
    parr *arr;
    size_t narr;
    pesp *esp;           /* by scope: those of the scope of key k are
                            esp[esp_off[proc__key_index(p, k)] .. esp_off[... + 1]) */
    size_t nesp;
    size_t *esp_off;     /* [proc__nkeys + 1] */
    gm_cal **cal;
    char (*cal_name)[PROC_NAME_MAX + 1];
    size_t ncal;
    ppooldef *pool;
    size_t npool;
    punitdef *unit;
    size_t nunit;
    size_t nbitwords;    /* words of a node bitset */
    uint64_t nstreams;
    bool cancels;        /* a run may withdraw a task in service: interrupting
                            or error boundary events, terminate or error ends */
    bool or_joins;       /* inclusive joins: they look at where tokens rest */
    /* KPIs */
    size_t nkpi;
    char **kpi;
    size_t kpi_task0, kpi_pool0; /* first task and pool KPI */
    /* replication 0 outputs */
    gm_evlog *log;
    double *wip;
    size_t nwip;
};

#define PROC_KPI_PER_TASK 4
#define PROC_KPI_PER_POOL 3 /* utilization, offered_load, cost_per_case */
#define PROC_KPI_CASE 7

/* Scope keys (gm_proc.home) numbered from 0: a sub-process node, nnodes +
   a called process, and the process instance (NONE) last. */
static inline size_t proc__nkeys(const gm_proc *p)
{
    return gm_bpmn_nnodes(p->m) + gm_bpmn_nprocesses(p->m) + 1;
}

static inline size_t proc__key_index(const gm_proc *p, size_t key)
{
    return key == PROC_NONE ? proc__nkeys(p) - 1 : key;
}

/* Parse an ISO 8601 duration ("PT30M", "P1DT2H", "PT1.5S", "P2W") into
   seconds. 0 or GM_EINVAL. */
int proc__iso_duration(const char *s, double *seconds);

/* Seconds in a time unit name ("seconds", "minutes", "hours", "days"), or 0. */
double proc__unit_seconds(const char *unit);

#endif
