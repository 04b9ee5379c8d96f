/*
 * process.c: BPMN process simulation. The first half checks a BPMN model
 * against the supported subset and binds the parameter JSON to it; the second
 * half runs one replication on the event kernel with resource pools.
 *
 * A case is a set of tokens. Tokens move through gateways and events at once
 * (a work list inside the current event) and only wait in tasks (for a
 * resource unit, then for the duration) and at parallel joins. The case
 * completes when its last token is consumed, or at a terminate end event,
 * which withdraws its tokens in tasks (pending events and resource requests
 * are cancelled, held units released) and forgets tokens parked at joins.
 */
#include "sim/process.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "num/dist.h"
#include "num/rng.h"
#include "sim/kernel.h"
#include "sim/resource.h"
#include "sim/kpiname.h"

#define NONE SIZE_MAX
#define NAME_MAX_LEN 64

typedef struct pnode {
    size_t task;      /* task index, or NONE */
    size_t gw;        /* exclusive gateway index (with a choice), or NONE */
    size_t join_base; /* parallel join: first counter of this node, else NONE */
} pnode;

typedef struct ptask {
    size_t node;
    gm_dist dur;
    size_t res; /* resource index or NONE */
} ptask;

typedef struct pgw {
    size_t node;
    size_t n;
    size_t *flow; /* outgoing flows */
    double *cum;  /* cumulative probabilities, cum[n-1] == 1 */
} pgw;

struct gm_proc {
    const gm_bpmn *m;
    size_t start;
    int64_t cases, warmup;
    gm_dist inter;
    size_t nres;
    char (*res_name)[NAME_MAX_LEN + 1];
    uint32_t *res_count;
    size_t ntasks, ngws;
    ptask *task;
    pgw *gw;
    pnode *node; /* per BPMN node */
    size_t njoin; /* join counters per case */
    size_t nkpi;
    char **kpi;
    FILE *log; /* event log of replication 0, or NULL (gm_proc_set_log) */
};

/* ======================================================================== */
/* Loading                                                                  */

void gm_proc_set_log(gm_proc *p, FILE *f)
{
    p->log = f;
}

void gm_proc_free(gm_proc *p)
{
    if (!p)
        return;
    gm_dist_free(&p->inter);
    if (p->task)
        for (size_t i = 0; i < p->ntasks; i++)
            gm_dist_free(&p->task[i].dur);
    if (p->gw)
        for (size_t i = 0; i < p->ngws; i++) {
            free(p->gw[i].flow);
            free(p->gw[i].cum);
        }
    if (p->kpi)
        for (size_t i = 0; i < p->nkpi; i++)
            free(p->kpi[i]);
    free(p->kpi);
    free(p->res_name);
    free(p->res_count);
    free(p->task);
    free(p->gw);
    free(p->node);
    free(p);
}

size_t gm_proc_nkpi(const gm_proc *p)
{
    return p ? p->nkpi : 0;
}

const char *gm_proc_kpi_name(const gm_proc *p, size_t i)
{
    return p && i < p->nkpi ? p->kpi[i] : NULL;
}

long gm_proc_kpi_index(const gm_proc *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->nkpi; i++)
        if (strcmp(p->kpi[i], name) == 0)
            return (long)i;
    return -1;
}

uint64_t gm_proc_nstreams(const gm_proc *p)
{
    return 1u + (uint64_t)p->ntasks + (uint64_t)p->ngws;
}

static int unsupported(const char *name, const gm_bpmn_node *n, const char *what, gm_err *err)
{
    char where[GM_ERR_WHERE_MAX];
    snprintf(where, sizeof where, "%s:%ld", name, n->line);
    return gm_err_set(err, GM_EUNSUPPORTED, where, "simulation of %s%s '%s' is not supported yet",
                      what, n->element, n->id);
}

/* Refuse every element outside the supported subset, before any parameter. */
static int check_model(gm_proc *p, const char *name, gm_err *err)
{
    const gm_bpmn *m = p->m;
    if (gm_bpmn_nprocesses(m) != 1) {
        const gm_bpmn_process *pr = gm_bpmn_process_at(m, gm_bpmn_nprocesses(m) > 1 ? 1 : 0);
        char where[GM_ERR_WHERE_MAX];
        snprintf(where, sizeof where, "%s:%ld", name, pr ? pr->line : 0L);
        return gm_err_set(err, GM_EUNSUPPORTED, where,
                          "simulation of %zu processes in one model is not supported yet; "
                          "expected one process",
                          gm_bpmn_nprocesses(m));
    }
    p->start = NONE;
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        bool ok = false;
        switch (n->kind) {
        case GM_BPMN_START_EVENT:
            if (n->trigger != GM_BPMN_TRIGGER_NONE) {
                char where[GM_ERR_WHERE_MAX];
                snprintf(where, sizeof where, "%s:%ld", name, n->line);
                return gm_err_set(err, GM_EUNSUPPORTED, where,
                                  "simulation of startEvent '%s' with a %s trigger is not "
                                  "supported yet",
                                  n->id, gm_bpmn_trigger_name(n->trigger));
            }
            ok = true;
            if (p->start != NONE) {
                char where[GM_ERR_WHERE_MAX];
                snprintf(where, sizeof where, "%s:%ld", name, n->line);
                return gm_err_set(err, GM_EUNSUPPORTED, where,
                                  "simulation of a process with several start events "
                                  "('%s', '%s') is not supported yet",
                                  gm_bpmn_node_at(m, p->start)->id, n->id);
            }
            p->start = i;
            break;
        case GM_BPMN_END_EVENT:
            ok = n->trigger == GM_BPMN_TRIGGER_NONE || n->trigger == GM_BPMN_TRIGGER_TERMINATE;
            if (!ok) {
                char where[GM_ERR_WHERE_MAX];
                snprintf(where, sizeof where, "%s:%ld", name, n->line);
                return gm_err_set(err, GM_EUNSUPPORTED, where,
                                  "simulation of endEvent '%s' with a %s trigger is not "
                                  "supported yet",
                                  n->id, gm_bpmn_trigger_name(n->trigger));
            }
            break;
        case GM_BPMN_TASK:
            if (n->loop != GM_BPMN_LOOP_NONE) {
                char where[GM_ERR_WHERE_MAX];
                snprintf(where, sizeof where, "%s:%ld", name, n->line);
                return gm_err_set(err, GM_EUNSUPPORTED, where,
                                  "simulation of %s loop markers ('%s') is not supported yet",
                                  gm_bpmn_loop_name(n->loop), n->id);
            }
            ok = true;
            break;
        case GM_BPMN_EXCLUSIVE_GATEWAY:
        case GM_BPMN_PARALLEL_GATEWAY:
            ok = true;
            break;
        default:
            break;
        }
        if (!ok)
            return unsupported(name, n, "", err);
    }
    if (p->start == NONE)
        return gm_err_set(err, GM_EUNSUPPORTED, name,
                          "simulation needs exactly one none start event; the process has none");
    return GM_OK;
}

/* Resource names become KPI keys ("clerk.utilization"); "case" is taken. */
static int check_res_name(const char *s, const char *path, gm_err *err)
{
    static const char *const reserved[] = {"case", NULL};
    return sim__check_kpi_name(s, NAME_MAX_LEN, reserved, path, err);
}

static size_t find_res(const gm_proc *p, const char *s)
{
    for (size_t r = 0; r < p->nres; r++)
        if (strcmp(p->res_name[r], s) == 0)
            return r;
    return NONE;
}

static int parse_resources(gm_proc *p, const json_t *arr, gm_err *err)
{
    size_t n = arr ? json_array_size(arr) : 0;
    if (n > GM_PROC_MAX_RESOURCES)
        return gm_err_set(err, GM_ELIMIT, "resources", "expected at most %u resources, got %zu",
                          GM_PROC_MAX_RESOURCES, n);
    p->res_name = calloc(n ? n : 1, sizeof *p->res_name);
    p->res_count = calloc(n ? n : 1, sizeof *p->res_count);
    if (!p->res_name || !p->res_count)
        return gm_err_set(err, GM_ENOMEM, "resources", "out of memory");
    char path[256], q[256];
    for (size_t i = 0; i < n; i++) {
        const char *rname = "";
        int64_t count = 1;
        const gm_json_field f[] = {
            GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &rname),
            GM_JF_RANGE("count", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &count, 1,
                        GM_PROC_MAX_UNITS),
        };
        gm_json_path_index(path, sizeof path, "resources", i);
        int rc = gm_json_unpack(json_array_get(arr, i), path, f, 2, 0, err);
        if (rc)
            return rc;
        gm_json_path_key(q, sizeof q, path, "name");
        if ((rc = check_res_name(rname, q, err)))
            return rc;
        if (find_res(p, rname) != NONE)
            return gm_err_set(err, GM_EINVAL, q, "duplicate resource '%s'", rname);
        strcpy(p->res_name[p->nres], rname);
        p->res_count[p->nres++] = (uint32_t)count;
    }
    return GM_OK;
}

static int parse_tasks(gm_proc *p, const char *name, const json_t *tasks, gm_err *err)
{
    const gm_bpmn *m = p->m;
    char path[256], q[256];
    const char *key;
    json_t *val;
    /* Every key must name a task of the model. */
    json_object_foreach((json_t *)tasks, key, val) {
        gm_json_path_key(path, sizeof path, "tasks", key);
        size_t ni = gm_bpmn_find_node(m, key);
        if (ni == NONE || gm_bpmn_node_at(m, ni)->kind != GM_BPMN_TASK)
            return gm_err_set(err, GM_EINVAL, path, "unknown task '%s'; expected a task id of %s",
                              key, name);
    }
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (n->kind != GM_BPMN_TASK)
            continue;
        const json_t *spec = json_object_get(tasks, n->id);
        if (!spec)
            return gm_err_set(err, GM_EINVAL, "tasks",
                              "task '%s' (%s:%ld) has no entry; expected \"%s\": "
                              "{\"duration\": {...}}",
                              n->id, name, n->line, n->id);
        gm_json_path_key(path, sizeof path, "tasks", n->id);
        const json_t *dur = NULL;
        const char *res = NULL;
        bool has_res = false;
        const gm_json_field f[] = {
            GM_JF("duration", GM_JK_OBJECT, GM_JF_REQUIRED, &dur),
            GM_JF_P("resource", GM_JK_STRING, GM_JF_NULLABLE, &res, &has_res),
        };
        int rc = gm_json_unpack(spec, path, f, 2, 0, err);
        if (rc)
            return rc;
        ptask *t = &p->task[p->ntasks];
        t->node = i;
        t->res = NONE;
        gm_json_path_key(q, sizeof q, path, "duration");
        if ((rc = gm_dist_from_json(dur, q, &t->dur, err)))
            return rc;
        p->ntasks++;
        if (has_res) {
            t->res = find_res(p, res);
            if (t->res == NONE) {
                gm_json_path_key(q, sizeof q, path, "resource");
                return gm_err_set(err, GM_EINVAL, q, "unknown resource '%s'", res);
            }
        } else if (n->lane) {
            t->res = find_res(p, n->lane); /* the lane's staff, when declared */
        }
        p->node[i].task = p->ntasks - 1;
    }
    return GM_OK;
}

static int parse_gateways(gm_proc *p, const char *name, const json_t *gws, gm_err *err)
{
    const gm_bpmn *m = p->m;
    char path[256], q[256];
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)gws, key, val) {
        gm_json_path_key(path, sizeof path, "gateways", key);
        size_t ni = gm_bpmn_find_node(m, key);
        if (ni == NONE || gm_bpmn_node_at(m, ni)->kind != GM_BPMN_EXCLUSIVE_GATEWAY)
            return gm_err_set(err, GM_EINVAL, path,
                              "unknown gateway '%s'; expected an exclusiveGateway id of %s", key,
                              name);
        if (!json_is_object(val))
            return gm_err_set(err, GM_EINVAL, path, "expected object, got %s",
                              gm_json_type_name(val));
    }
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (n->kind != GM_BPMN_EXCLUSIVE_GATEWAY)
            continue;
        const json_t *spec = json_object_get(gws, n->id);
        if (n->nout <= 1 && !spec)
            continue;
        if (!spec)
            return gm_err_set(err, GM_EINVAL, "gateways",
                              "exclusiveGateway '%s' (%s:%ld) has %zu outgoing flows and no "
                              "entry; expected \"%s\": {\"FLOW_ID\": probability, ...}",
                              n->id, name, n->line, n->nout, n->id);
        gm_json_path_key(path, sizeof path, "gateways", n->id);
        pgw *g = &p->gw[p->ngws];
        g->node = i;
        g->flow = calloc(n->nout ? n->nout : 1, sizeof *g->flow);
        g->cum = calloc(n->nout ? n->nout : 1, sizeof *g->cum);
        if (!g->flow || !g->cum) {
            free(g->flow);
            free(g->cum);
            g->flow = NULL;
            g->cum = NULL;
            return gm_err_set(err, GM_ENOMEM, path, "out of memory");
        }
        p->ngws++;
        json_object_foreach((json_t *)spec, key, val) {
            gm_json_path_key(q, sizeof q, path, key);
            size_t fi = gm_bpmn_find_flow(m, key);
            bool mine = false;
            for (size_t k = 0; fi != NONE && k < n->nout; k++)
                mine = mine || n->out[k] == fi;
            if (!mine)
                return gm_err_set(err, GM_EINVAL, q,
                                  "unknown flow '%s'; expected an outgoing sequence flow of "
                                  "'%s'",
                                  key, n->id);
            if (!json_is_number(val))
                return gm_err_set(err, GM_EINVAL, q, "expected number, got %s",
                                  gm_json_type_name(val));
            double pr = json_number_value(val);
            if (!(pr >= 0 && pr <= 1))
                return gm_err_set(err, GM_EINVAL, q, "expected a probability in [0, 1], got %g",
                                  pr);
        }
        double sum = 0;
        for (size_t k = 0; k < n->nout; k++) {
            const json_t *v = json_object_get(spec, gm_bpmn_flow_at(m, n->out[k])->id);
            sum += v ? json_number_value(v) : 0.0; /* a flow left out is never taken */
            g->flow[g->n] = n->out[k];
            g->cum[g->n++] = sum;
        }
        if (fabs(sum - 1.0) > 1e-9)
            return gm_err_set(err, GM_EINVAL, path, "probabilities sum to %.12g; expected 1", sum);
        g->cum[g->n - 1] = 1.0;
        p->node[i].gw = p->ngws - 1;
    }
    return GM_OK;
}

static int add_kpi(gm_proc *p, size_t cap, const char *a, const char *b, gm_err *err)
{
    if (p->nkpi >= cap)
        return gm_err_set(err, GM_EINTERNAL, "kpi", "KPI table overflow");
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (!s)
        return gm_err_set(err, GM_ENOMEM, "kpi", "out of memory");
    snprintf(s, n, "%s.%s", a, b);
    p->kpi[p->nkpi++] = s;
    return GM_OK;
}

int gm_proc_load(const gm_bpmn *m, const char *name, const json_t *params, gm_proc **out,
                 gm_err *err)
{
    if (!out)
        return gm_err_set(err, GM_EINVAL, "", "out is NULL");
    *out = NULL;
    if (!m || !params)
        return gm_err_set(err, GM_EINVAL, "", "model or parameters NULL");
    if (!name)
        name = "<model>";
    int rc;
    gm_proc *p = calloc(1, sizeof *p);
    if (!p)
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    p->m = m;
    if ((rc = check_model(p, name, err)))
        goto fail;

    const char *type = "";
    int64_t cases = 0, warm = 0;
    const json_t *arrivals = NULL, *resources = NULL, *tasks = NULL, *gws = NULL;
    const gm_json_field f[] = {
        GM_JF("type", GM_JK_STRING, GM_JF_REQUIRED, &type),
        GM_JF_RANGE("cases", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &cases, 1,
                    GM_PROC_MAX_CASES),
        GM_JF_RANGE("warmup_cases", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &warm, 0,
                    GM_PROC_MAX_CASES),
        GM_JF("arrivals", GM_JK_OBJECT, GM_JF_REQUIRED, &arrivals),
        GM_JF("resources", GM_JK_ARRAY, 0, &resources),
        GM_JF("tasks", GM_JK_OBJECT, 0, &tasks),
        GM_JF("gateways", GM_JK_OBJECT, 0, &gws),
    };
    if ((rc = gm_json_unpack(params, "", f, sizeof f / sizeof f[0], 0, err)))
        goto fail;
    if (strcmp(type, "process-simulation") != 0) {
        rc = gm_err_set(err, GM_EINVAL, "type", "expected \"process-simulation\", got \"%s\"",
                        type);
        goto fail;
    }
    p->cases = cases;
    p->warmup = warm;
    const json_t *inter = NULL;
    const gm_json_field fa[] = {GM_JF("interarrival", GM_JK_OBJECT, GM_JF_REQUIRED, &inter)};
    if ((rc = gm_json_unpack(arrivals, "arrivals", fa, 1, 0, err)) ||
        (rc = gm_dist_from_json(inter, "arrivals.interarrival", &p->inter, err)) ||
        (rc = parse_resources(p, resources, err)))
        goto fail;

    size_t nn = gm_bpmn_nnodes(m);
    p->node = calloc(nn ? nn : 1, sizeof *p->node);
    p->task = calloc(nn ? nn : 1, sizeof *p->task);
    p->gw = calloc(nn ? nn : 1, sizeof *p->gw);
    if (!p->node || !p->task || !p->gw)
        goto nomem;
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        p->node[i].task = p->node[i].gw = p->node[i].join_base = NONE;
        if (n->kind == GM_BPMN_PARALLEL_GATEWAY && n->nin > 1) {
            p->node[i].join_base = p->njoin;
            p->njoin += n->nin; /* nin <= flows, so no overflow */
        }
    }
    json_t *empty = json_object();
    if (!empty)
        goto nomem;
    rc = parse_tasks(p, name, tasks ? tasks : empty, err);
    if (!rc)
        rc = parse_gateways(p, name, gws ? gws : empty, err);
    json_decref(empty);
    if (rc)
        goto fail;

    size_t cap = 2 + 3 * p->ntasks + p->nres;
    p->kpi = calloc(cap, sizeof *p->kpi);
    if (!p->kpi)
        goto nomem;
    if ((rc = add_kpi(p, cap, "case", "cycle_time_mean", err)) ||
        (rc = add_kpi(p, cap, "case", "throughput", err)))
        goto fail;
    for (size_t t = 0; t < p->ntasks; t++) {
        const char *id = gm_bpmn_node_at(m, p->task[t].node)->id;
        if ((rc = add_kpi(p, cap, id, "wait_mean", err)) ||
            (rc = add_kpi(p, cap, id, "duration_mean", err)) ||
            (rc = add_kpi(p, cap, id, "count", err)))
            goto fail;
    }
    for (size_t r = 0; r < p->nres; r++)
        if ((rc = add_kpi(p, cap, p->res_name[r], "utilization", err)))
            goto fail;
    *out = p;
    return GM_OK;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
fail:
    gm_proc_free(p);
    return rc;
}

/* ======================================================================== */
/* One replication                                                          */

typedef struct pcase {
    uint32_t gen;
    bool alive;
    uint64_t seq;      /* arrival number */
    double t_arrive;
    uint64_t ntokens;  /* in tasks, parked at joins, or on the work list */
    size_t head;       /* first task token of the case, or NONE */
    uint32_t *joins;   /* [njoin] tokens parked per join input */
    size_t next_free;
} pcase;

typedef struct ttok {
    size_t cs;         /* case slot */
    size_t task;
    size_t prev, next; /* in the case's list */
    gm_res_req req;    /* while waiting or holding */
    gm_sim_event ev;   /* pending completion */
    double t_req, t_start, dur;
    size_t next_free;
} ttok;

typedef struct witem {
    size_t cs;
    uint32_t gen;
    size_t node;
    size_t flow; /* arrived via, or NONE (start) */
} witem;

typedef struct run {
    const gm_proc *p;
    gm_sim *sim;
    gm_rng arr_rng;
    gm_rng *task_rng, *gw_rng;
    gm_res **res;
    pcase *cs;
    size_t ncs, capcs, free_cs;
    ttok *tok;
    size_t ntok, captok, free_tok;
    witem *work;
    size_t nwork, capwork;
    uint64_t arrived, measured_done, arrival_cap;
    bool window_open, window_closed;
    double t_w0, t_w1;
    uint64_t window_completions;
    double sum_cycle;
    double *t_wait, *t_dur, *t_count; /* per task, measured cases */
    double *util;
    FILE *log; /* this replication's event log, or NULL */
    int error;
    char msg[GM_ERR_WHAT_MAX];
} run;

static void fail_run(run *R, int code, const char *msg)
{
    if (!R->error) {
        R->error = code;
        snprintf(R->msg, sizeof R->msg, "%s", msg);
    }
    gm_sim_stop(R->sim);
}

static bool measured(const run *R, uint64_t seq)
{
    return seq >= (uint64_t)R->p->warmup && seq < (uint64_t)(R->p->warmup + R->p->cases);
}

static void maybe_stop(run *R)
{
    if (R->window_closed && R->measured_done == (uint64_t)R->p->cases)
        gm_sim_stop(R->sim);
}

static void case_done(run *R, size_t ci)
{
    pcase *c = &R->cs[ci];
    double now = gm_sim_now(R->sim);
    if (R->window_open && !R->window_closed)
        R->window_completions++;
    if (measured(R, c->seq)) {
        R->sum_cycle += now - c->t_arrive;
        R->measured_done++;
    }
    c->alive = false;
    c->gen++;
    c->next_free = R->free_cs;
    R->free_cs = ci;
    maybe_stop(R);
}

static void consume(run *R, size_t ci)
{
    if (--R->cs[ci].ntokens == 0)
        case_done(R, ci);
}

static bool push_work(run *R, size_t ci, size_t node, size_t flow)
{
    if (R->nwork == R->capwork) {
        size_t nc = R->capwork ? 2 * R->capwork : 64;
        witem *w = realloc(R->work, nc * sizeof *w);
        if (!w) {
            fail_run(R, GM_ENOMEM, "out of memory");
            return false;
        }
        R->work = w;
        R->capwork = nc;
    }
    R->work[R->nwork++] = (witem){ci, R->cs[ci].gen, node, flow};
    return true;
}

/* Send one token of case ci along each flow in out[n] (the caller's token is
   consumed: the case gains n - 1 tokens). */
static void emit(run *R, size_t ci, const size_t *out, size_t n)
{
    pcase *c = &R->cs[ci];
    if (n == 0) {
        consume(R, ci);
        return;
    }
    if (c->ntokens + n - 1 > GM_PROC_MAX_CASE_TOKENS) {
        fail_run(R, GM_ELIMIT, "a case holds too many tokens (a parallel split in a cycle?)");
        return;
    }
    c->ntokens += n - 1;
    for (size_t k = 0; k < n; k++)
        if (!push_work(R, ci, gm_bpmn_flow_at(R->p->m, out[k])->target, out[k]))
            return;
}

static void tok_unlink(run *R, size_t ti)
{
    ttok *t = &R->tok[ti];
    pcase *c = &R->cs[t->cs];
    if (t->prev != NONE)
        R->tok[t->prev].next = t->next;
    else
        c->head = t->next;
    if (t->next != NONE)
        R->tok[t->next].prev = t->prev;
    t->next_free = R->free_tok;
    R->free_tok = ti;
}

static void on_task_done(gm_sim *sim, void *ctx, uint64_t data);

static void start_service(run *R, size_t ti)
{
    ttok *t = &R->tok[ti];
    t->t_start = gm_sim_now(R->sim);
    t->dur = gm_dist_sample(&R->p->task[t->task].dur, &R->task_rng[t->task]);
    if (!(t->dur >= 0) || !isfinite(t->dur)) {
        char m[200];
        snprintf(m, sizeof m, "task '%s' drew the duration %g; durations must not be negative",
                 gm_bpmn_node_at(R->p->m, R->p->task[t->task].node)->id, t->dur);
        fail_run(R, GM_EINVAL, m);
        return;
    }
    t->ev = gm_sim_schedule(R->sim, t->dur, on_task_done, R, ti);
    if (!t->ev)
        fail_run(R, gm_sim_error(R->sim), "cannot schedule a task completion");
}

static void on_grant(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    start_service(ctx, (size_t)data);
}

static void process_work(run *R);

/* A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* One row of the event log: case_id,activity,resource,start,end. */
static void log_task(run *R, const ttok *t)
{
    const ptask *pt = &R->p->task[t->task];
    const gm_bpmn_node *n = gm_bpmn_node_at(R->p->m, pt->node);
    fprintf(R->log, "%llu,", (unsigned long long)R->cs[t->cs].seq);
    csv_field(R->log, n->name[0] ? n->name : n->id);
    fputc(',', R->log);
    csv_field(R->log, pt->res == NONE ? "" : R->p->res_name[pt->res]);
    fprintf(R->log, ",%.17g,%.17g\n", t->t_start, t->t_start + t->dur);
}

static void on_task_done(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)sim;
    run *R = ctx;
    size_t ti = (size_t)data;
    ttok *t = &R->tok[ti];
    size_t ci = t->cs, task = t->task;
    const ptask *pt = &R->p->task[task];
    if (t->req && gm_res_release(R->res[pt->res], t->req) && !R->error) {
        fail_run(R, GM_EINTERNAL, "resource release failed");
        return;
    }
    if (measured(R, R->cs[ci].seq)) {
        R->t_wait[task] += t->t_start - t->t_req;
        R->t_dur[task] += t->dur;
        R->t_count[task] += 1;
    }
    if (R->log)
        log_task(R, t);
    tok_unlink(R, ti);
    const gm_bpmn_node *n = gm_bpmn_node_at(R->p->m, pt->node);
    emit(R, ci, n->out, n->nout);
    process_work(R);
}

static void enter_task(run *R, size_t ci, size_t task)
{
    if (R->free_tok == NONE) {
        if (R->ntok == R->captok) {
            size_t nc = R->captok ? 2 * R->captok : 64;
            ttok *tt = realloc(R->tok, nc * sizeof *tt);
            if (!tt) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return;
            }
            R->tok = tt;
            R->captok = nc;
        }
        R->tok[R->ntok].next_free = NONE;
        R->free_tok = R->ntok++;
    }
    size_t ti = R->free_tok;
    ttok *t = &R->tok[ti];
    R->free_tok = t->next_free;
    pcase *c = &R->cs[ci];
    *t = (ttok){.cs = ci, .task = task, .prev = NONE, .next = c->head, .next_free = NONE};
    if (c->head != NONE)
        R->tok[c->head].prev = ti;
    c->head = ti;
    t->t_req = gm_sim_now(R->sim);
    size_t r = R->p->task[task].res;
    if (r == NONE) {
        start_service(R, ti);
        return;
    }
    gm_err e;
    gm_err_clear(&e);
    t->req = gm_res_request(R->res[r], 1, 0, false, on_grant, NULL, R, ti, &e);
    if (!t->req)
        fail_run(R, e.code, e.what);
}

/* Terminate end event: withdraw every token of the case. */
static void terminate_case(run *R, size_t ci)
{
    pcase *c = &R->cs[ci];
    while (c->head != NONE) {
        size_t ti = c->head;
        ttok *t = &R->tok[ti];
        if (t->ev)
            gm_sim_cancel(R->sim, t->ev);
        if (t->req) {
            gm_res *res = R->res[R->p->task[t->task].res];
            if (!t->ev) {
                /* waiting, or granted at this instant with on_grant pending */
                if (gm_res_cancel(res, t->req))
                    fail_run(R, GM_EINTERNAL, "cannot withdraw a resource request");
            } else if (gm_res_release(res, t->req)) {
                fail_run(R, GM_EINTERNAL, "cannot release a resource");
            }
        }
        tok_unlink(R, ti);
    }
    if (R->p->njoin)
        memset(c->joins, 0, R->p->njoin * sizeof *c->joins);
    c->ntokens = 0;
    case_done(R, ci); /* work items of the case go stale with its generation */
}

static void visit(run *R, const witem *w)
{
    const gm_proc *p = R->p;
    const gm_bpmn_node *n = gm_bpmn_node_at(p->m, w->node);
    const pnode *pn = &p->node[w->node];
    size_t ci = w->cs;
    switch (n->kind) {
    case GM_BPMN_START_EVENT:
        emit(R, ci, n->out, n->nout);
        break;
    case GM_BPMN_END_EVENT:
        if (n->trigger == GM_BPMN_TRIGGER_TERMINATE)
            terminate_case(R, ci);
        else
            consume(R, ci);
        break;
    case GM_BPMN_TASK:
        enter_task(R, ci, pn->task);
        break;
    case GM_BPMN_EXCLUSIVE_GATEWAY:
        if (pn->gw == NONE) {
            emit(R, ci, n->out, n->nout);
        } else {
            const pgw *g = &p->gw[pn->gw];
            double u = gm_rng_uniform(&R->gw_rng[pn->gw]);
            size_t k = 0;
            while (k + 1 < g->n && u >= g->cum[k])
                k++;
            emit(R, ci, &g->flow[k], 1);
        }
        break;
    case GM_BPMN_PARALLEL_GATEWAY:
        if (pn->join_base == NONE) {
            emit(R, ci, n->out, n->nout);
        } else {
            uint32_t *cnt = R->cs[ci].joins + pn->join_base;
            bool ready = true;
            for (size_t k = 0; k < n->nin; k++) {
                if (n->in[k] == w->flow)
                    cnt[k]++;
                ready = ready && cnt[k] > 0;
            }
            if (!ready)
                break; /* the token stays parked */
            for (size_t k = 0; k < n->nin; k++)
                cnt[k]--;
            R->cs[ci].ntokens -= n->nin - 1;
            emit(R, ci, n->out, n->nout);
        }
        break;
    default:
        fail_run(R, GM_EINTERNAL, "unsupported node reached");
        break;
    }
}

static void process_work(run *R)
{
    uint64_t steps = 0;
    while (R->nwork > 0 && !R->error) {
        witem w = R->work[--R->nwork];
        if (!R->cs[w.cs].alive || R->cs[w.cs].gen != w.gen)
            continue; /* its case was terminated */
        if (++steps > 10000000u) {
            fail_run(R, GM_ELIMIT, "tokens cycle through gateways without reaching a task");
            return;
        }
        visit(R, &w);
    }
    R->nwork = 0;
}

static void on_arrival(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    const gm_proc *p = R->p;
    double now = gm_sim_now(sim);
    uint64_t seq = R->arrived++;
    if (seq == (uint64_t)p->warmup) {
        R->window_open = true;
        R->t_w0 = now;
        for (size_t r = 0; r < p->nres; r++)
            gm_res_stats_reset(R->res[r]);
    }
    if (seq == (uint64_t)(p->warmup + p->cases)) {
        R->window_closed = true;
        R->t_w1 = now;
        for (size_t r = 0; r < p->nres; r++) {
            gm_res_stats st;
            gm_res_stats_get(R->res[r], &st);
            R->util[r] = st.utilization;
        }
        maybe_stop(R);
    }
    /* Arrivals go on past the measured cases so that they finish under load,
       up to a cap that lets a run whose cases never finish end. */
    if (R->arrived < R->arrival_cap) {
        double d = gm_dist_sample(&p->inter, &R->arr_rng);
        if (!gm_sim_schedule(sim, d, on_arrival, R, 0)) {
            fail_run(R, gm_sim_error(sim),
                     d < 0 ? "an interarrival time was negative" : "cannot schedule an arrival");
            return;
        }
    }
    if (R->window_closed && seq >= (uint64_t)(p->warmup + p->cases) &&
        R->measured_done == (uint64_t)p->cases)
        return;
    size_t ci;
    if (R->free_cs != NONE) {
        ci = R->free_cs;
        R->free_cs = R->cs[ci].next_free;
    } else {
        if (R->ncs == R->capcs) {
            size_t nc = R->capcs ? 2 * R->capcs : 64;
            pcase *cc = realloc(R->cs, nc * sizeof *cc);
            if (!cc) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return;
            }
            R->cs = cc;
            R->capcs = nc;
        }
        ci = R->ncs;
        memset(&R->cs[ci], 0, sizeof R->cs[ci]);
        if (p->njoin) {
            R->cs[ci].joins = calloc(p->njoin, sizeof *R->cs[ci].joins);
            if (!R->cs[ci].joins) {
                fail_run(R, GM_ENOMEM, "out of memory");
                return;
            }
        }
        R->ncs++;
    }
    pcase *c = &R->cs[ci];
    c->alive = true;
    c->seq = seq;
    c->t_arrive = now;
    c->ntokens = 1;
    c->head = NONE;
    if (p->njoin)
        memset(c->joins, 0, p->njoin * sizeof *c->joins);
    if (push_work(R, ci, p->start, NONE))
        process_work(R);
}

static void free_run(run *R)
{
    if (R->res)
        for (size_t r = 0; r < R->p->nres; r++)
            gm_res_destroy(R->res[r]);
    for (size_t i = 0; i < R->ncs; i++)
        free(R->cs[i].joins);
    free(R->res);
    free(R->cs);
    free(R->tok);
    free(R->work);
    free(R->task_rng);
    free(R->gw_rng);
    free(R->t_wait);
    free(R->t_dur);
    free(R->t_count);
    free(R->util);
    gm_sim_destroy(R->sim);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : (double)NAN;
}

int gm_proc_replicate(const void *ctx, uint64_t seed, uint64_t rep, double *kpi, double *batch,
                      uint64_t *events, gm_err *err)
{
    (void)batch;
    const gm_proc *p = ctx;
    if (!p || !kpi)
        return gm_err_set(err, GM_EINVAL, "simulation", "model or KPI vector NULL");
    run R;
    memset(&R, 0, sizeof R);
    R.p = p;
    R.free_cs = R.free_tok = NONE;
    size_t nt = p->ntasks ? p->ntasks : 1, nr = p->nres ? p->nres : 1;
    R.sim = gm_sim_create(GM_SIM_HEAP4, 64);
    /* Only replication 0 writes the log: one stream, whatever the threads. */
    R.log = rep == 0 ? p->log : NULL;
    if (R.log)
        fputs("case_id,activity,resource,start,end\n", R.log);
    R.task_rng = calloc(nt, sizeof *R.task_rng);
    R.gw_rng = calloc(p->ngws ? p->ngws : 1, sizeof *R.gw_rng);
    R.res = calloc(nr, sizeof *R.res);
    R.t_wait = calloc(nt, sizeof *R.t_wait);
    R.t_dur = calloc(nt, sizeof *R.t_dur);
    R.t_count = calloc(nt, sizeof *R.t_count);
    R.util = calloc(nr, sizeof *R.util);
    int rc;
    if (!R.sim || !R.task_rng || !R.gw_rng || !R.res || !R.t_wait || !R.t_dur || !R.t_count ||
        !R.util)
        goto nomem;
    for (size_t r = 0; r < p->nres; r++)
        if (!(R.res[r] = gm_res_create(R.sim, p->res_count[r], err)))
            goto fail_err;
    /* Streams: rep * S + k; k = 0 arrivals, then one per task, one per gateway. */
    uint64_t base = rep * gm_proc_nstreams(p);
    gm_rng_seed(&R.arr_rng, seed, base);
    for (size_t t = 0; t < p->ntasks; t++)
        gm_rng_seed(&R.task_rng[t], seed, base + 1 + t);
    for (size_t g = 0; g < p->ngws; g++)
        gm_rng_seed(&R.gw_rng[g], seed, base + 1 + p->ntasks + g);
    uint64_t total = (uint64_t)(p->warmup + p->cases);
    R.arrival_cap = total + 10 * total + 1000;
    if (!gm_sim_schedule(R.sim, gm_dist_sample(&p->inter, &R.arr_rng), on_arrival, &R, 0))
        goto nomem;
    gm_sim_run(R.sim, HUGE_VAL, 0);
    if (!R.error && (!R.window_closed || R.measured_done < (uint64_t)p->cases)) {
        char m[200];
        snprintf(m, sizeof m,
                 "%llu of %lld measured cases never completed (a parallel join waiting for a "
                 "token that never comes?)",
                 (unsigned long long)((uint64_t)p->cases - R.measured_done), (long long)p->cases);
        fail_run(&R, GM_EINVAL, m);
    }
    if (R.error) {
        rc = gm_err_set(err, R.error, "simulation", "replication %llu: %s",
                        (unsigned long long)rep, R.msg);
        goto done;
    }
    double n = (double)p->cases;
    size_t k = 0;
    kpi[k++] = R.sum_cycle / n;
    kpi[k++] = ratio((double)R.window_completions, R.t_w1 - R.t_w0);
    for (size_t t = 0; t < p->ntasks; t++) {
        kpi[k++] = ratio(R.t_wait[t], R.t_count[t]);
        kpi[k++] = ratio(R.t_dur[t], R.t_count[t]);
        kpi[k++] = R.t_count[t] / n;
    }
    for (size_t r = 0; r < p->nres; r++)
        kpi[k++] = R.util[r];
    if (events)
        *events += gm_sim_events(R.sim);
    rc = GM_OK;
    goto done;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "simulation", "out of memory");
    goto done;
fail_err:
    rc = err ? err->code : GM_ENOMEM;
done:
    free_run(&R);
    return rc;
}
