/*
 * proc_load.c: check a BPMN model against what the process simulator runs
 * and bind gemel's "process-simulation" parameter JSON to it
 * (docs/processes.md, "Parameters"). The result is the flat model of
 * proc_int.h; nothing here runs a simulation.
 *
 * Order of the checks: the structure of the process first (an element the
 * simulator cannot run is refused before any parameter is read), then the
 * parameters from the top of the object down, each error naming its JSON
 * path, or the BPMN element and line when an element lacks its parameters.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "des/kpiname.h"
#include "process/proc_int.h"

#define NONE PROC_NONE

/* ---- small helpers ------------------------------------------------------ */

double proc__unit_seconds(const char *u)
{
    if (!u)
        return 0;
    if (strcmp(u, "seconds") == 0)
        return 1;
    if (strcmp(u, "minutes") == 0)
        return 60;
    if (strcmp(u, "hours") == 0)
        return 3600;
    if (strcmp(u, "days") == 0)
        return 86400;
    return 0;
}

int proc__iso_duration(const char *s, double *seconds)
{
    /* PnYnMnWnDTnHnMnS with optional fractions; years and months are
       refused: their length depends on the calendar date. */
    if (!s)
        return GM_EINVAL;
    while (isspace((unsigned char)*s))
        s++;
    if (*s++ != 'P')
        return GM_EINVAL;
    double total = 0;
    bool in_time = false, any = false;
    while (*s && !isspace((unsigned char)*s)) {
        if (*s == 'T') {
            if (in_time)
                return GM_EINVAL;
            in_time = true;
            s++;
            continue;
        }
        char *end;
        if (!isdigit((unsigned char)*s))
            return GM_EINVAL;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v) || v < 0)
            return GM_EINVAL;
        s = end;
        double mult;
        switch (*s) {
        case 'W': mult = in_time ? -1 : 604800; break;
        case 'D': mult = in_time ? -1 : 86400; break;
        case 'H': mult = in_time ? 3600 : -1; break;
        case 'M': mult = in_time ? 60 : -1; break; /* months: refused */
        case 'S': mult = in_time ? 1 : -1; break;
        default: mult = -1; break;
        }
        if (mult < 0)
            return GM_EINVAL;
        total += v * mult;
        any = true;
        s++;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (!any || *s)
        return GM_EINVAL;
    *seconds = total;
    return GM_OK;
}

static int at_node(const char *name, const gm_bpmn_node *n, int code, gm_err *err,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int at_node(const char *name, const gm_bpmn_node *n, int code, gm_err *err,
                   const char *fmt, ...)
{
    char where[GM_ERR_WHERE_MAX], what[GM_ERR_WHAT_MAX];
    snprintf(where, sizeof where, "%s:%ld", name, n->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gm_err_set(err, code, where, "%s", what);
}

/* A time distribution at path: a DIST object with an optional "unit". */
static int parse_time(const gm_proc *p, const json_t *v, const char *path, ptime *out,
                      gm_err *err)
{
    if (!json_is_object(v))
        return gm_err_set(err, GM_EINVAL, path, "expected a distribution object, got %s",
                          gm_json_type_name(v));
    double scale = 1;
    const json_t *u = json_object_get(v, "unit");
    json_t *copy = NULL;
    if (u) {
        char q[256];
        gm_json_path_key(q, sizeof q, path, "unit");
        double us = json_is_string(u) ? proc__unit_seconds(json_string_value(u)) : 0;
        if (us == 0)
            return gm_err_set(err, GM_EINVAL, q,
                              "expected \"seconds\", \"minutes\", \"hours\" or \"days\"");
        scale = us / p->unit_seconds;
        copy = json_copy((json_t *)v);
        if (!copy)
            return gm_err_set(err, GM_ENOMEM, path, "out of memory");
        json_object_del(copy, "unit");
        v = copy;
    }
    int rc = gm_dist_from_json(v, path, &out->d, err);
    json_decref(copy);
    if (rc)
        return rc;
    /* A time that can be negative would move the clock backwards: refuse it
       here, not when a run first draws one. */
    if (!gm_dist_nonnegative(&out->d)) {
        char d[128];
        gm_dist_describe(&out->d, d, sizeof d);
        gm_dist_free(&out->d);
        return gm_err_set(err, GM_EINVAL, path,
                          "the time %s can be negative; expected a distribution on [0, inf) "
                          "(e.g. truncated-normal with min 0, lognormal, gamma)",
                          d);
    }
    out->scale = scale;
    out->set = true;
    return GM_OK;
}

static void free_time(ptime *t)
{
    if (t->set)
        gm_dist_free(&t->d);
    t->set = false;
}

/* A constant time (a parsed timer duration). */
static int const_time(double value, ptime *out, gm_err *err)
{
    json_t *o = json_pack("{s:s, s:f}", "dist", "constant", "value", value);
    if (!o)
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    int rc = gm_dist_from_json(o, "", &out->d, err);
    json_decref(o);
    if (rc)
        return rc;
    out->scale = 1;
    out->set = true;
    return GM_OK;
}

/* The default of a timer event: its timeDuration, converted. 1 if it has
   one, 0 if not, <0 on error. */
static int timer_default(const gm_proc *p, const char *name, const gm_bpmn_node *n, ptime *out,
                         gm_err *err)
{
    if (n->trigger != GM_BPMN_TRIGGER_TIMER || !n->timer_kind ||
        strcmp(n->timer_kind, "timeDuration") != 0 || !n->timer)
        return 0;
    double sec;
    if (proc__iso_duration(n->timer, &sec))
        return at_node(name, n, GM_EINVAL, err,
                       "timer '%s': timeDuration '%s' is not an ISO 8601 duration such as "
                       "PT30M or P1DT2H (years and months are not fixed lengths)",
                       n->id, n->timer);
    int rc = const_time(sec / p->unit_seconds, out, err);
    return rc ? rc : 1;
}

/* The default of a timer start event's occurrences: a timeCycle "R<n>/<duration>"
   or "R/<duration>" (n unbounded: GM_PROC_MAX_CASE_STEPS) is n occurrences
   <duration> apart. 1 if it has one, 0 if not (other cycles, such as ones
   with a start date, need parameters), <0 on error. */
static int timer_cycle(const gm_proc *p, const char *name, const gm_bpmn_node *n, ptime *out,
                       uint32_t *count, gm_err *err)
{
    if (n->trigger != GM_BPMN_TRIGGER_TIMER || !n->timer_kind ||
        strcmp(n->timer_kind, "timeCycle") != 0 || !n->timer)
        return 0;
    const char *s = n->timer;
    while (isspace((unsigned char)*s))
        s++;
    if (*s++ != 'R')
        return 0;
    uint64_t c = 0;
    bool digits = false;
    for (; isdigit((unsigned char)*s); s++) {
        c = c * 10 + (uint64_t)(*s - '0');
        if (c > GM_PROC_MAX_CASE_STEPS)
            c = GM_PROC_MAX_CASE_STEPS;
        digits = true;
    }
    if (*s != '/' || s[1] != 'P')
        return 0;
    double sec;
    if (proc__iso_duration(s + 1, &sec))
        return at_node(name, n, GM_EINVAL, err,
                       "timer '%s': timeCycle '%s' does not end in an ISO 8601 duration such as "
                       "PT30M (years and months are not fixed lengths)",
                       n->id, n->timer);
    if (digits && c == 0)
        return 0;
    *count = digits ? (uint32_t)c : GM_PROC_MAX_CASE_STEPS;
    int rc = const_time(sec / p->unit_seconds, out, err);
    return rc ? rc : 1;
}

/* ---- structure ---------------------------------------------------------- */

/* Is n simulated: in the process, or in a process it calls? */
static bool in_process(const gm_proc *p, const gm_bpmn_node *n)
{
    return p->inproc[n->process];
}

/* Is n in the simulated process itself (where cases arrive)? */
static bool in_main(const gm_proc *p, const gm_bpmn_node *n)
{
    return n->process == p->process;
}

/* Pick the process to simulate: the "process" parameter, or the only one. */
static int pick_process(gm_proc *p, const char *name, const char *want, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t np = gm_bpmn_nprocesses(m);
    if (want) {
        for (size_t i = 0; i < np; i++)
            if (strcmp(gm_bpmn_process_at(m, i)->id, want) == 0) {
                p->process = i;
                return GM_OK;
            }
        return gm_err_set(err, GM_EINVAL, "process", "no process '%s' in %s", want, name);
    }
    if (np != 1) {
        /* The processes of the file that no call activity calls: when
           there is one, it is the one to simulate (the others are called
           from it, or from each other). */
        bool *called = calloc(np ? np : 1, sizeof *called);
        if (!called)
            return gm_err_set(err, GM_ENOMEM, "", "out of memory");
        for (size_t k = 0; k < gm_bpmn_nnodes(m); k++) {
            const gm_bpmn_node *n = gm_bpmn_node_at(m, k);
            if (n->called_process != GM_BPMN_NONE && n->called_process != n->process)
                called[n->called_process] = true;
        }
        size_t top = NONE, ntop = 0;
        for (size_t i = 0; i < np; i++)
            if (!called[i]) {
                top = i;
                ntop++;
            }
        free(called);
        if (ntop == 1) {
            p->process = top;
            return GM_OK;
        }
        char ids[400] = "";
        size_t o = 0;
        for (size_t i = 0; i < np && o < sizeof ids - 80; i++)
            o += (size_t)snprintf(ids + o, sizeof ids - o, "%s'%s'", i ? ", " : "",
                                  gm_bpmn_process_at(m, i)->id);
        return gm_err_set(err, GM_EINVAL, "process",
                          "%s has %zu processes (%s); expected \"process\": ID to choose one",
                          name, np, ids);
    }
    p->process = 0;
    return GM_OK;
}

/*
 * The processes simulated: the process and those its call activities call,
 * directly or through other called processes (p->inproc), and where a call
 * of each begins (p->pstart). A call that comes back to a process it is
 * inside of would nest scopes without end: it is refused, at the call
 * activity that closes the cycle. Linear in the size of the model.
 */
static int pick_calls(gm_proc *p, const char *name, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t np = gm_bpmn_nprocesses(m), nn = gm_bpmn_nnodes(m), n1 = np ? np : 1;
    p->inproc = calloc(n1, sizeof *p->inproc);
    p->pstart = malloc(n1 * sizeof *p->pstart);
    uint8_t *color = calloc(n1, 1);              /* 1 on the path, 2 done */
    size_t *stack = calloc(n1, sizeof *stack);
    size_t *next = calloc(n1, sizeof *next);     /* the next of its calls to follow */
    size_t *off = calloc(np + 1, sizeof *off);   /* the call activities of each process */
    size_t *calls = calloc(nn ? nn : 1, sizeof *calls);
    int rc = GM_OK;
    if (!p->inproc || !p->pstart || !color || !stack || !next || !off || !calls) {
        rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
        goto done;
    }
    for (size_t q = 0; q < np; q++)
        p->pstart[q] = NONE;
    for (size_t k = 0; k < nn; k++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, k);
        if (n->kind == GM_BPMN_CALL_ACTIVITY && n->called_process != GM_BPMN_NONE)
            off[n->process + 1]++;
        if (n->parent == GM_BPMN_NONE && n->kind == GM_BPMN_START_EVENT &&
            n->trigger == GM_BPMN_TRIGGER_NONE) /* a second one: none */
            p->pstart[n->process] = p->pstart[n->process] == NONE ? k : NONE - 1;
    }
    for (size_t q = 0; q < np; q++) {
        off[q + 1] += off[q];
        next[q] = off[q];
        if (p->pstart[q] == NONE - 1)
            p->pstart[q] = NONE;
    }
    for (size_t k = 0; k < nn; k++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, k);
        if (n->kind == GM_BPMN_CALL_ACTIVITY && n->called_process != GM_BPMN_NONE)
            calls[next[n->process]++] = k;
    }
    for (size_t q = 0; q < np; q++)
        next[q] = off[q];
    size_t top = 0;
    stack[top++] = p->process;
    color[p->process] = 1;
    p->inproc[p->process] = true;
    while (top && !rc) {
        size_t q = stack[top - 1];
        if (next[q] == off[q + 1]) {
            color[q] = 2;
            top--;
            continue;
        }
        const gm_bpmn_node *c = gm_bpmn_node_at(m, calls[next[q]++]);
        size_t r = c->called_process;
        if (color[r] == 2)
            continue;
        if (color[r] == 1) {
            rc = at_node(name, c, GM_EUNSUPPORTED, err,
                         "call activity '%s' calls process '%s', which it is part of (a "
                         "recursive call); simulation of recursion is not supported: every "
                         "call would start another",
                         c->id, gm_bpmn_process_at(m, r)->id);
            break;
        }
        color[r] = 1;
        p->inproc[r] = true;
        stack[top++] = r;
    }
done:
    free(color);
    free(stack);
    free(next);
    free(off);
    free(calls);
    return rc;
}

/* Classify every node of the process; refuse what cannot run. */
static int classify(gm_proc *p, const char *name, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nn = gm_bpmn_nnodes(m);
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        pnode *pn = &p->node[i];
        pn->bn = n;
        pn->idx = pn->join = NONE;
        if (!in_process(p, n))
            continue;
        if (n->instantiate && (n->nin || n->parent != GM_BPMN_NONE))
            return at_node(name, n, GM_EUNSUPPORTED, err,
                           "simulation of eventBasedGateway '%s' with instantiate=\"true\" %s is "
                           "not supported: the specification gives it a meaning where it "
                           "starts a process, with no incoming sequence flow, at its top level",
                           n->id, n->nin ? "and incoming sequence flows" : "in a sub-process");
        if (n->parallel_events && !n->instantiate)
            return at_node(name, n, GM_EUNSUPPORTED, err,
                           "simulation of eventBasedGateway '%s' with eventGatewayType=\"Parallel\" "
                           "and no instantiate=\"true\" is not supported: the specification "
                           "defines a parallel event-based gateway only where it starts a process",
                           n->id);
        switch (n->kind) {
        case GM_BPMN_START_EVENT:
            pn->kind = PK_START;
            if (n->parent != GM_BPMN_NONE && n->trigger != GM_BPMN_TRIGGER_NONE &&
                !gm_bpmn_node_at(m, n->parent)->triggered_by_event)
                return at_node(name, n, GM_EUNSUPPORTED, err,
                               "simulation of a %s start event ('%s') inside a sub-process is "
                               "not supported; expected a none start event",
                               gm_bpmn_trigger_name(n->trigger), n->id);
            break;
        case GM_BPMN_END_EVENT:
            pn->kind = n->trigger == GM_BPMN_TRIGGER_TERMINATE  ? PK_TERMINATE
                       : n->trigger == GM_BPMN_TRIGGER_ERROR    ? PK_ERROR_END
                       : n->trigger == GM_BPMN_TRIGGER_COMPENSATE ? PK_COMP
                                                                : PK_END;
            break;
        case GM_BPMN_THROW_EVENT:
            pn->kind = n->trigger == GM_BPMN_TRIGGER_COMPENSATE ? PK_COMP : PK_PASS;
            if (n->trigger == GM_BPMN_TRIGGER_LINK) {
                if (n->link_target == GM_BPMN_NONE)
                    return at_node(name, n, GM_EINVAL, err,
                                   "link throw event '%s' leads nowhere: no link catch event "
                                   "named '%s' in its (sub-)process; expected a catch event "
                                   "with that link name, or a <target> naming one",
                                   n->id, n->link);
                pn->kind = PK_LINK;
                pn->idx = n->link_target;
            }
            break;
        case GM_BPMN_CATCH_EVENT:
            /* a link catch event starts a path: nothing to wait for */
            pn->kind = n->trigger == GM_BPMN_TRIGGER_LINK ? PK_PASS : PK_CATCH;
            break;
        case GM_BPMN_BOUNDARY_EVENT:
            pn->kind = PK_BOUNDARY;
            break;
        case GM_BPMN_TASK:
        case GM_BPMN_CALL_ACTIVITY:
        case GM_BPMN_SUBPROCESS:
            pn->kind = PK_ACTIVITY;
            break;
        case GM_BPMN_EXCLUSIVE_GATEWAY:
            pn->kind = n->nout > 1 ? PK_XOR : PK_PASS;
            break;
        case GM_BPMN_PARALLEL_GATEWAY:
            pn->kind = PK_AND;
            break;
        case GM_BPMN_INCLUSIVE_GATEWAY:
            pn->kind = PK_OR;
            break;
        case GM_BPMN_EVENT_GATEWAY:
            pn->kind = n->instantiate ? PK_INSTANTIATE : PK_EVENT_GW;
            if (n->parallel_events && n->nout > PROC_MAX_BOUNDARY)
                return at_node(name, n, GM_ELIMIT, err,
                               "eventBasedGateway '%s' has %zu events; expected at most %d",
                               n->id, n->nout, PROC_MAX_BOUNDARY);
            for (size_t k = 0; k < n->nout; k++) {
                const gm_bpmn_node *t = gm_bpmn_node_at(m, gm_bpmn_flow_at(m, n->out[k])->target);
                if (t->kind != GM_BPMN_CATCH_EVENT)
                    return at_node(name, n, GM_EUNSUPPORTED, err,
                                   "simulation of eventBasedGateway '%s' followed by %s '%s' is "
                                   "not supported yet; expected intermediate catch events",
                                   n->id, t->element, t->id);
            }
            if (n->nout == 0)
                return at_node(name, n, GM_EINVAL, err,
                               "eventBasedGateway '%s' has no outgoing flow", n->id);
            break;
        }
        if (n->kind == GM_BPMN_CALL_ACTIVITY && n->called_process != GM_BPMN_NONE &&
            p->pstart[n->called_process] == NONE)
            return at_node(name, n, GM_EUNSUPPORTED, err,
                           "call activity '%s' calls process '%s', which has not exactly one "
                           "none start event; simulation needs one (a call starts there)",
                           n->id, gm_bpmn_process_at(m, n->called_process)->id);
        if (n->triggered_by_event && n->loop != GM_BPMN_LOOP_NONE)
            return at_node(name, n, GM_EUNSUPPORTED, err,
                           "simulation of event sub-process '%s' with a %s loop marker is not "
                           "supported; expected none (each occurrence of its trigger runs it "
                           "once)",
                           n->id, gm_bpmn_loop_name(n->loop));
        if (n->kind == GM_BPMN_SUBPROCESS) {
            size_t start = NONE;
            bool inside = false; /* a sub-process drawn collapsed, its inside not in the
                                    file, is simulated as a task */
            for (size_t j = 0; j < nn; j++) {
                const gm_bpmn_node *c = gm_bpmn_node_at(m, j);
                inside = inside || c->parent == i;
                if (c->parent == i && c->kind == GM_BPMN_START_EVENT) {
                    if (start != NONE)
                        return at_node(name, n, GM_EUNSUPPORTED, err,
                                       "simulation of sub-process '%s' with several start events "
                                       "is not supported; expected one none start event",
                                       n->id);
                    start = j;
                }
            }
            if (start == NONE && inside)
                return at_node(name, n, GM_EINVAL, err,
                               "sub-process '%s' has no start event; expected one none start "
                               "event",
                               n->id);
        }
        if (n->kind == GM_BPMN_EXCLUSIVE_GATEWAY || n->kind == GM_BPMN_PARALLEL_GATEWAY ||
            n->kind == GM_BPMN_INCLUSIVE_GATEWAY) {
            if (n->nout == 0)
                return at_node(name, n, GM_EINVAL, err, "%s '%s' has no outgoing flow",
                               n->element, n->id);
        }
    }
    return GM_OK;
}

/* ---- calendars, resources ---------------------------------------------- */

static size_t find_cal(const gm_proc *p, const char *s)
{
    for (size_t i = 0; i < p->ncal; i++)
        if (strcmp(p->cal_name[i], s) == 0)
            return i;
    return NONE;
}

static int parse_calendars(gm_proc *p, const json_t *obj, double week0, gm_err *err)
{
    size_t n = obj ? json_object_size(obj) : 0;
    if (n > 1000)
        return gm_err_set(err, GM_ELIMIT, "calendars", "expected at most 1000 calendars");
    p->cal = calloc(n ? n : 1, sizeof *p->cal);
    p->cal_name = calloc(n ? n : 1, sizeof *p->cal_name);
    if (!p->cal || !p->cal_name)
        return gm_err_set(err, GM_ENOMEM, "calendars", "out of memory");
    const char *key;
    json_t *val;
    char path[256];
    json_object_foreach((json_t *)obj, key, val) {
        gm_json_path_key(path, sizeof path, "calendars", key);
        if (strlen(key) == 0 || strlen(key) > PROC_NAME_MAX)
            return gm_err_set(err, GM_EINVAL, path, "expected a name of 1 to %d bytes",
                              PROC_NAME_MAX);
        int rc = gm_cal_from_json(val, path, false, &p->cal[p->ncal], err);
        if (rc)
            return rc;
        gm_cal *c = p->cal[p->ncal];
        strcpy(p->cal_name[p->ncal++], key);
        if (gm_cal_bind(c, p->unit_seconds, week0))
            return gm_err_set(err, GM_EINTERNAL, path, "cannot bind the calendar");
        if (gm_cal_week_total(c) <= 0)
            return gm_err_set(err, GM_EINVAL, path,
                              "the calendar has no working time; expected at least one entry");
    }
    return GM_OK;
}

static int cal_ref(const gm_proc *p, const char *s, const char *path, size_t *out, gm_err *err)
{
    *out = find_cal(p, s);
    if (*out == NONE)
        return gm_err_set(err, GM_EINVAL, path, "unknown calendar '%s'; expected a key of "
                                                "\"calendars\"",
                          s);
    return GM_OK;
}

static size_t find_pool(const gm_proc *p, const char *s)
{
    for (size_t r = 0; r < p->npool; r++)
        if (strcmp(p->pool[r].name, s) == 0)
            return r;
    return NONE;
}

static int parse_resources(gm_proc *p, const json_t *arr, gm_err *err)
{
    static const char *const reserved[] = {"case", NULL};
    size_t n = arr ? json_array_size(arr) : 0;
    if (n > GM_PROC_MAX_RESOURCES)
        return gm_err_set(err, GM_ELIMIT, "resources", "expected at most %u resources, got %zu",
                          GM_PROC_MAX_RESOURCES, n);
    p->pool = calloc(n ? n : 1, sizeof *p->pool);
    if (!p->pool)
        return gm_err_set(err, GM_ENOMEM, "resources", "out of memory");
    char path[256], q[256];
    for (size_t i = 0; i < n; i++) {
        const char *rname = "", *cal = NULL;
        int64_t count = 0;
        bool has_count = false;
        double cost = 0;
        const json_t *units = NULL;
        const gm_json_field f[] = {
            GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &rname),
            GM_JF_FULL("count", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &count, &has_count, 1,
                       GM_PROC_MAX_UNITS),
            GM_JF_RANGE("cost_per_hour", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &cost, 0, 1e15),
            GM_JF("calendar", GM_JK_STRING, 0, &cal),
            GM_JF_RANGE("units", GM_JK_ARRAY, GM_JF_MIN | GM_JF_MAX, &units, 1, 10000),
        };
        gm_json_path_index(path, sizeof path, "resources", i);
        int rc = gm_json_unpack(json_array_get(arr, i), path, f, sizeof f / sizeof f[0], 0, err);
        if (rc)
            return rc;
        gm_json_path_key(q, sizeof q, path, "name");
        if ((rc = gm_kpi_check_name(rname, PROC_NAME_MAX, reserved, q, err)))
            return rc;
        if (find_pool(p, rname) != NONE)
            return gm_err_set(err, GM_EINVAL, q, "duplicate resource '%s'", rname);
        if (has_count == (units != NULL))
            return gm_err_set(err, GM_EINVAL, path, "expected exactly one of \"count\" and "
                                                    "\"units\"");
        ppooldef *pd = &p->pool[p->npool];
        strcpy(pd->name, rname);
        pd->cal = NONE;
        double per_unit = cost * p->unit_seconds / 3600.0; /* cost per busy time unit */
        pd->cost = per_unit;
        if (cal) {
            gm_json_path_key(q, sizeof q, path, "calendar");
            if ((rc = cal_ref(p, cal, q, &pd->cal, err)))
                return rc;
        }
        if (has_count) {
            pd->nunits = (uint32_t)count;
        } else {
            size_t nu = json_array_size(units);
            punitdef *nu_arr = realloc(p->unit, (p->nunit + nu) * sizeof *p->unit);
            if (!nu_arr)
                return gm_err_set(err, GM_ENOMEM, path, "out of memory");
            p->unit = nu_arr;
            pd->named = true;
            pd->first_unit = p->nunit;
            pd->nunits = (uint32_t)nu;
            for (size_t u = 0; u < nu; u++) {
                const char *uname = "", *ucal = NULL;
                double ucost = cost;
                bool has_ucost = false;
                const gm_json_field fu[] = {
                    GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &uname),
                    GM_JF("calendar", GM_JK_STRING, 0, &ucal),
                    GM_JF_FULL("cost_per_hour", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &ucost,
                               &has_ucost, 0, 1e15),
                };
                char up[256];
                gm_json_path_key(q, sizeof q, path, "units");
                gm_json_path_index(up, sizeof up, q, u);
                if ((rc = gm_json_unpack(json_array_get(units, u), up, fu, 3, 0, err)))
                    return rc;
                punitdef *ud = &p->unit[p->nunit];
                if (strlen(uname) == 0 || strlen(uname) > PROC_NAME_MAX) {
                    gm_json_path_key(q, sizeof q, up, "name");
                    return gm_err_set(err, GM_EINVAL, q, "expected a name of 1 to %d bytes",
                                      PROC_NAME_MAX);
                }
                for (size_t o = pd->first_unit; o < p->nunit; o++)
                    if (strcmp(p->unit[o].name, uname) == 0) {
                        gm_json_path_key(q, sizeof q, up, "name");
                        return gm_err_set(err, GM_EINVAL, q, "duplicate unit '%s' in '%s'", uname,
                                          rname);
                    }
                strcpy(ud->name, uname);
                ud->cost = ucost * p->unit_seconds / 3600.0;
                ud->cal = pd->cal;
                if (ucal) {
                    gm_json_path_key(q, sizeof q, up, "calendar");
                    if ((rc = cal_ref(p, ucal, q, &ud->cal, err)))
                        return rc;
                }
                p->nunit++;
            }
        }
        p->npool++;
    }
    return GM_OK;
}

/* ---- activities --------------------------------------------------------- */

static int pool_ref(const gm_proc *p, const char *s, const char *path, uint32_t *out, gm_err *err)
{
    size_t r = find_pool(p, s);
    if (r == NONE)
        return gm_err_set(err, GM_EINVAL, path, "unknown resource '%s'", s);
    *out = (uint32_t)r;
    return GM_OK;
}

static int parse_needs(gm_proc *p, pact *a, const char *path, const char *res, const json_t *arr,
                       gm_err *err)
{
    char q[256], e[256];
    if (res && arr) {
        return gm_err_set(err, GM_EINVAL, path, "expected \"resource\" or \"resources\", not "
                                                "both");
    }
    if (res) {
        gm_json_path_key(q, sizeof q, path, "resource");
        a->nneed = 1;
        a->need[0].amount = 1;
        return pool_ref(p, res, q, &a->need[0].pool, err);
    }
    if (!arr)
        return GM_OK;
    gm_json_path_key(q, sizeof q, path, "resources");
    size_t n = json_array_size(arr);
    if (n > PROC_MAX_NEEDS)
        return gm_err_set(err, GM_ELIMIT, q, "expected at most %d resources", PROC_MAX_NEEDS);
    for (size_t i = 0; i < n; i++) {
        const char *nm = "";
        int64_t amount = 1;
        const gm_json_field f[] = {
            GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &nm),
            GM_JF_RANGE("amount", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &amount, 1, PROC_MAX_AMOUNT),
        };
        gm_json_path_index(e, sizeof e, q, i);
        int rc = gm_json_unpack(json_array_get(arr, i), e, f, 2, 0, err);
        if (rc)
            return rc;
        char en[256];
        gm_json_path_key(en, sizeof en, e, "name");
        uint32_t pool = 0;
        if ((rc = pool_ref(p, nm, en, &pool, err)))
            return rc;
        for (size_t k = 0; k < a->nneed; k++)
            if (a->need[k].pool == pool)
                return gm_err_set(err, GM_EINVAL, en, "resource '%s' listed twice", nm);
        if ((uint64_t)amount > p->pool[pool].nunits) {
            gm_json_path_key(en, sizeof en, e, "amount");
            return gm_err_set(err, GM_EINVAL, en,
                              "resource '%s' has %u units; the task can never get %lld", nm,
                              p->pool[pool].nunits, (long long)amount);
        }
        a->need[a->nneed++] = (pneed){pool, (uint32_t)amount};
    }
    return GM_OK;
}

/* "durations": unit name -> DIST, for units of the task's named pools. */
static int parse_unit_durations(gm_proc *p, pact *a, const char *path, const json_t *obj,
                                gm_err *err)
{
    char q[256], e[256];
    gm_json_path_key(q, sizeof q, path, "durations");
    a->unit_dur = calloc(p->nunit ? p->nunit : 1, sizeof *a->unit_dur);
    if (!a->unit_dur)
        return gm_err_set(err, GM_ENOMEM, q, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        gm_json_path_key(e, sizeof e, q, key);
        size_t found = NONE;
        for (size_t k = 0; k < a->nneed && found == NONE; k++) {
            const ppooldef *pd = &p->pool[a->need[k].pool];
            for (size_t u = 0; pd->named && u < pd->nunits; u++)
                if (strcmp(p->unit[pd->first_unit + u].name, key) == 0) {
                    found = pd->first_unit + u;
                    break;
                }
        }
        if (found == NONE)
            return gm_err_set(err, GM_EINVAL, e,
                              "unknown unit '%s'; expected the name of a unit (\"units\") of "
                              "one of the task's resources",
                              key);
        int rc = parse_time(p, val, e, &a->unit_dur[found], err);
        if (rc)
            return rc;
    }
    return GM_OK;
}

static int parse_activity(gm_proc *p, const char *name, size_t ni, const json_t *spec,
                          gm_err *err)
{
    const gm_bpmn_node *n = gm_bpmn_node_at(p->m, ni);
    pact *a = &p->act[p->nact];
    memset(a, 0, sizeof *a);
    a->node = ni;
    /* a call of a process of this file runs its body as a sub-process's; a
       sub-process with nothing inside (drawn collapsed) is a task */
    a->sub = n->kind == GM_BPMN_CALL_ACTIVITY && n->called_process != GM_BPMN_NONE;
    for (size_t j = 0; j < gm_bpmn_nnodes(p->m) && n->kind == GM_BPMN_SUBPROCESS && !a->sub; j++)
        a->sub = gm_bpmn_node_at(p->m, j)->parent == ni;
    a->sub_start = NONE;
    a->error_bnd = NONE;
    a->comp_handler = NONE;
    p->nact++;
    p->node[ni].idx = p->nact - 1;
    char path[256], q[256];
    gm_json_path_key(path, sizeof path, "tasks", n->id);
    if (!spec && !a->sub)
        return gm_err_set(err, GM_EINVAL, "tasks",
                          "%s '%s' (%s:%ld) has no entry; expected \"%s\": "
                          "{\"duration\": {...}}",
                          n->element, n->id, name, n->line, n->id);
    const json_t *dur = NULL, *resources = NULL, *durations = NULL, *loop = NULL,
                 *instances = NULL;
    const char *res = NULL;
    double cost = 0;
    if (spec) {
        const gm_json_field f[] = {
            GM_JF("duration", GM_JK_OBJECT, 0, &dur),
            GM_JF("resource", GM_JK_STRING, 0, &res),
            GM_JF("resources", GM_JK_ARRAY, 0, &resources),
            GM_JF("durations", GM_JK_OBJECT, 0, &durations),
            GM_JF_RANGE("cost", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &cost, 0, 1e15),
            GM_JF("loop", GM_JK_OBJECT, 0, &loop),
            GM_JF("instances", GM_JK_ANY, 0, &instances),
        };
        int rc = gm_json_unpack(spec, path, f, sizeof f / sizeof f[0], 0, err);
        if (rc)
            return rc;
    }
    int rc;
    a->cost = cost;
    if (a->sub) {
        bool call = n->kind == GM_BPMN_CALL_ACTIVITY;
        if (dur || res || resources || durations)
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' %s%s: its tasks have the durations and resources; expected "
                              "only \"loop\", \"instances\" or \"cost\"",
                              n->id, call ? "calls process " : "is a sub-process",
                              call ? gm_bpmn_process_at(p->m, n->called_process)->id : "");
        if (call)
            a->sub_start = p->pstart[n->called_process];
        for (size_t j = 0; j < gm_bpmn_nnodes(p->m) && !call; j++) {
            const gm_bpmn_node *c = gm_bpmn_node_at(p->m, j);
            if (c->parent == ni && c->kind == GM_BPMN_START_EVENT)
                a->sub_start = j;
        }
    } else {
        gm_json_path_key(q, sizeof q, path, "duration");
        if (!dur)
            return gm_err_set(err, GM_EINVAL, q, "missing required field (a distribution)");
        if ((rc = parse_time(p, dur, q, &a->dur, err)))
            return rc;
        if ((rc = parse_needs(p, a, path, res, resources, err)))
            return rc;
        if (!res && !resources && n->lane) {
            size_t r = find_pool(p, n->lane); /* the lane's staff, when declared */
            if (r != NONE) {
                a->nneed = 1;
                a->need[0] = (pneed){(uint32_t)r, 1};
            }
        }
        if (durations && (rc = parse_unit_durations(p, a, path, durations, err)))
            return rc;
    }
    /* markers: parameters only where the model has the marker */
    if (n->loop == GM_BPMN_LOOP_STANDARD) {
        if (!loop)
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' (%s:%ld) has a standard loop marker; expected \"loop\": "
                              "{\"repeat\": PROBABILITY}",
                              n->id, name, n->line);
        double rep = 0;
        int64_t max = 1000;
        const gm_json_field f[] = {
            GM_JF_RANGE("repeat", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &rep, 0,
                        1),
            GM_JF_RANGE("max", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &max, 1, 1000000),
        };
        gm_json_path_key(q, sizeof q, path, "loop");
        if ((rc = gm_json_unpack(loop, q, f, 2, 0, err)))
            return rc;
        a->loop = true;
        a->loop_p = rep;
        a->loop_max = (uint32_t)max;
    } else if (loop) {
        gm_json_path_key(q, sizeof q, path, "loop");
        return gm_err_set(err, GM_EINVAL, q, "'%s' has no standard loop marker in the model",
                          n->id);
    }
    if (n->loop == GM_BPMN_LOOP_MI_PARALLEL || n->loop == GM_BPMN_LOOP_MI_SEQUENTIAL) {
        gm_json_path_key(q, sizeof q, path, "instances");
        if (!instances)
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' (%s:%ld) has a multi-instance marker; expected "
                              "\"instances\": a count or a distribution",
                              n->id, name, n->line);
        a->mi = n->loop == GM_BPMN_LOOP_MI_PARALLEL ? 1 : 2;
        if (json_is_integer(instances)) {
            json_int_t v = json_integer_value(instances);
            if (v < 0 || v > 100000)
                return gm_err_set(err, GM_EINVAL, q, "expected a count in [0, 100000], got %lld",
                                  (long long)v);
            a->mi_fixed = true;
            a->mi_n = (uint64_t)v;
        } else if ((rc = gm_dist_from_json(instances, q, &a->mi_dist, err))) {
            return rc;
        }
    } else if (instances) {
        gm_json_path_key(q, sizeof q, path, "instances");
        return gm_err_set(err, GM_EINVAL, q, "'%s' has no multi-instance marker in the model",
                          n->id);
    }
    return GM_OK;
}

/* ---- gateways ------------------------------------------------------------ */

static int parse_gateway(gm_proc *p, const char *name, size_t ni, const json_t *spec,
                         gm_err *err)
{
    const gm_bpmn *m = p->m;
    const gm_bpmn_node *n = gm_bpmn_node_at(m, ni);
    bool xor = n->kind == GM_BPMN_EXCLUSIVE_GATEWAY;
    char path[256], q[256];
    gm_json_path_key(path, sizeof path, "gateways", n->id);
    if (!spec)
        return gm_err_set(err, GM_EINVAL, "gateways",
                          "%s '%s' (%s:%ld) has %zu outgoing flows and no entry; expected "
                          "\"%s\": {\"FLOW_ID\": probability, ...}",
                          n->element, n->id, name, n->line, n->nout, n->id);
    if (!json_is_object(spec))
        return gm_err_set(err, GM_EINVAL, path, "expected object, got %s",
                          gm_json_type_name(spec));
    pgw *g = &p->gw[p->ngw++];
    g->dflt = NONE;
    g->flow = calloc(n->nout, sizeof *g->flow);
    g->p = calloc(n->nout, sizeof *g->p);
    if (!g->flow || !g->p)
        return gm_err_set(err, GM_ENOMEM, path, "out of memory");
    p->node[ni].idx = p->ngw - 1;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)spec, key, val) {
        gm_json_path_key(q, sizeof q, path, key);
        size_t fi = gm_bpmn_find_flow(m, key);
        bool mine = false;
        for (size_t k = 0; fi != NONE && k < n->nout; k++)
            mine = mine || n->out[k] == fi;
        if (!mine)
            return gm_err_set(err, GM_EINVAL, q,
                              "unknown flow '%s'; expected an outgoing sequence flow of '%s'", key,
                              n->id);
        if (!json_is_number(val))
            return gm_err_set(err, GM_EINVAL, q, "expected number, got %s",
                              gm_json_type_name(val));
        double pr = json_number_value(val);
        if (!(pr >= 0 && pr <= 1))
            return gm_err_set(err, GM_EINVAL, q, "expected a probability in [0, 1], got %g", pr);
    }
    double sum = 0;
    for (size_t k = 0; k < n->nout; k++) {
        const gm_bpmn_flow *fl = gm_bpmn_flow_at(m, n->out[k]);
        const json_t *v = json_object_get(spec, fl->id);
        double pr = v ? json_number_value(v) : 0.0; /* a flow left out is never taken */
        if (!xor && !v && n->default_flow == n->out[k]) {
            g->dflt = n->out[k];
            continue;
        }
        sum += pr;
        g->flow[g->n] = n->out[k];
        g->p[g->n++] = xor ? sum : pr;
    }
    if (xor) {
        if (fabs(sum - 1.0) > 1e-9)
            return gm_err_set(err, GM_EINVAL, path, "probabilities sum to %.12g; expected 1",
                              sum);
        g->p[g->n - 1] = 1.0;
    } else if (sum <= 0 && g->dflt == NONE) {
        return gm_err_set(err, GM_EINVAL, path,
                          "no outgoing flow has a positive probability and the gateway has no "
                          "default flow");
    }
    return GM_OK;
}

/* ---- events -------------------------------------------------------------- */

/* The start event i of an event sub-process, and its entry spec at path. */
static int parse_esp(gm_proc *p, const char *name, size_t i, const json_t *spec,
                     const char *path, gm_err *err)
{
    const gm_bpmn *m = p->m;
    const gm_bpmn_node *n = gm_bpmn_node_at(m, i), *sp = gm_bpmn_node_at(m, n->parent);
    pesp *e = &p->esp[p->nesp++];
    e->node = n->parent;
    e->start = i;
    e->home = p->home[n->parent];
    e->interrupting = n->interrupting;
    e->error = n->trigger == GM_BPMN_TRIGGER_ERROR;
    e->comp = n->trigger == GM_BPMN_TRIGGER_COMPENSATE;
    e->ref = n->event_ref;
    e->prob = 1;
    e->repeat = 1;
    if (e->error || e->comp) {
        if (spec)
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' is %s start event: %s start '%s'; expected no entry", n->id,
                              e->error ? "an error" : "a compensation",
                              e->error ? "error end events of its scope"
                                       : "compensation throw events naming its sub-process",
                              sp->id);
        return GM_OK;
    }
    const json_t *after = NULL;
    int64_t repeat = 0;
    bool has_repeat = false;
    char q[256];
    int rc;
    if (spec) {
        const gm_json_field f[] = {
            GM_JF_RANGE("probability", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &e->prob, 0, 1),
            GM_JF("after", GM_JK_OBJECT, 0, &after),
            GM_JF_FULL("repeat", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &repeat, &has_repeat, 1,
                       GM_PROC_MAX_CASE_STEPS),
        };
        if ((rc = gm_json_unpack(spec, path, f, 3, 0, err)))
            return rc;
    }
    if (after) {
        gm_json_path_key(q, sizeof q, path, "after");
        if ((rc = parse_time(p, after, q, &e->after, err)))
            return rc;
    } else if ((rc = timer_default(p, name, n, &e->after, err)) < 0 ||
               (rc == 0 && (rc = timer_cycle(p, name, n, &e->after, &e->repeat, err)) < 0)) {
        return rc;
    }
    if (!e->after.set) {
        if (spec)
            return gm_err_set(err, GM_EINVAL, path,
                              "missing \"after\": the time from the start of '%s''s scope at "
                              "which '%s' occurs",
                              sp->id, n->id);
        return gm_err_set(err, GM_EINVAL, "events",
                          "startEvent '%s' (%s:%ld, %s) of event sub-process '%s' has no entry; "
                          "expected \"%s\": {\"probability\": p, \"after\": {...}}",
                          n->id, name, n->line, gm_bpmn_trigger_name(n->trigger), sp->id, n->id);
    }
    if (has_repeat)
        e->repeat = (uint32_t)repeat;
    gm_json_path_key(q, sizeof q, path, "repeat");
    if (e->repeat > 1 && e->interrupting)
        return gm_err_set(err, GM_EINVAL, has_repeat ? q : path,
                          "'%s' interrupts its scope: it occurs once; expected \"repeat\" only "
                          "on a non-interrupting start event",
                          n->id);
    if (e->repeat > 1 && !(gm_dist_mean(&e->after.d) > 0))
        return gm_err_set(err, GM_EINVAL, has_repeat ? q : path,
                          "'%s' repeats with a mean time apart of 0; expected > 0 (it would "
                          "occur without end at one instant)",
                          n->id);
    return GM_OK;
}

static int parse_events(gm_proc *p, const char *name, const json_t *events, gm_err *err)
{
    const gm_bpmn *m = p->m;
    char path[256], q[256];
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!in_process(p, n))
            continue;
        const json_t *spec = events ? json_object_get(events, n->id) : NULL;
        gm_json_path_key(path, sizeof path, "events", n->id);
        int rc;
        if (p->node[i].kind == PK_CATCH) {
            pcatch *c = &p->catch_[p->ncatch++];
            p->node[i].idx = p->ncatch - 1;
            const json_t *delay = NULL;
            if (spec) {
                const gm_json_field f[] = {GM_JF("delay", GM_JK_OBJECT, GM_JF_REQUIRED, &delay)};
                if ((rc = gm_json_unpack(spec, path, f, 1, 0, err)))
                    return rc;
                gm_json_path_key(q, sizeof q, path, "delay");
                if ((rc = parse_time(p, delay, q, &c->delay, err)))
                    return rc;
            } else if ((rc = timer_default(p, name, n, &c->delay, err)) <= 0) {
                if (rc < 0)
                    return rc;
                return gm_err_set(err, GM_EINVAL, "events",
                                  "%s '%s' (%s:%ld, %s) has no entry; expected \"%s\": "
                                  "{\"delay\": {...}}",
                                  n->element, n->id, name, n->line,
                                  gm_bpmn_trigger_name(n->trigger), n->id);
            }
        } else if (n->kind == GM_BPMN_BOUNDARY_EVENT) {
            pbnd *b = &p->bnd[p->nbnd++];
            b->node = i;
            b->act = p->node[n->attached_to].idx;
            b->interrupting = n->cancel_activity;
            b->error = n->trigger == GM_BPMN_TRIGGER_ERROR;
            b->prob = 1;
            p->node[i].idx = p->nbnd - 1;
            if (n->trigger == GM_BPMN_TRIGGER_COMPENSATE) {
                /* never fires: it names the activity's compensation handler */
                b->interrupting = false;
                b->prob = 0;
                if (spec)
                    return gm_err_set(err, GM_EINVAL, path,
                                      "'%s' is a compensation boundary event: it leads to the "
                                      "compensation handler of '%s'; expected no entry",
                                      n->id, gm_bpmn_node_at(m, n->attached_to)->id);
                p->act[b->act].comp_handler = n->compensation;
            } else if (spec) {
                const json_t *after = NULL;
                const gm_json_field f[] = {
                    GM_JF_RANGE("probability", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &b->prob, 0,
                                1),
                    GM_JF("after", GM_JK_OBJECT, 0, &after),
                };
                if ((rc = gm_json_unpack(spec, path, f, 2, 0, err)))
                    return rc;
                if (after) {
                    gm_json_path_key(q, sizeof q, path, "after");
                    if ((rc = parse_time(p, after, q, &b->after, err)))
                        return rc;
                } else if ((rc = timer_default(p, name, n, &b->after, err)) < 0) {
                    return rc;
                }
                if (!b->after.set && !b->error)
                    return gm_err_set(err, GM_EINVAL, path,
                                      "missing \"after\": the time from the start of '%s' at "
                                      "which '%s' fires",
                                      gm_bpmn_node_at(m, n->attached_to)->id, n->id);
                if (!b->after.set && p->act[b->act].sub)
                    return gm_err_set(err, GM_EINVAL, path,
                                      "an error boundary event on sub-process '%s' is raised "
                                      "by its error end events; expected \"after\" or no "
                                      "entry",
                                      gm_bpmn_node_at(m, n->attached_to)->id);
            } else if ((rc = timer_default(p, name, n, &b->after, err)) <= 0) {
                if (rc < 0)
                    return rc;
                if (!b->error)
                    return gm_err_set(err, GM_EINVAL, "events",
                                      "boundaryEvent '%s' (%s:%ld, %s) has no entry; expected "
                                      "\"%s\": {\"probability\": p, \"after\": {...}}",
                                      n->id, name, n->line, gm_bpmn_trigger_name(n->trigger),
                                      n->id);
                /* an error boundary without parameters: raised only by
                   error end events inside its sub-process */
                b->prob = p->act[b->act].sub ? 1 : 0;
            }
        } else if (n->kind == GM_BPMN_START_EVENT && n->parent != GM_BPMN_NONE &&
                   gm_bpmn_node_at(m, n->parent)->triggered_by_event) {
            if ((rc = parse_esp(p, name, i, spec, path, err)))
                return rc;
        } else if (spec) {
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' is a %s%s; expected the id of a boundary or intermediate "
                              "catch event, or of the start event of an event sub-process",
                              n->id, n->trigger == GM_BPMN_TRIGGER_LINK ? "link " : "",
                              n->element);
        }
    }
    if (events) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)events, key, val) {
            size_t ni = gm_bpmn_find_node(m, key);
            if (ni == NONE || !in_process(p, gm_bpmn_node_at(m, ni))) {
                gm_json_path_key(path, sizeof path, "events", key);
                return gm_err_set(err, GM_EINVAL, path, "unknown event '%s' in the process",
                                  key);
            }
        }
    }
    return GM_OK;
}

/* ---- event sub-processes by scope ------------------------------------------ */

static int esp_cmp(const void *a, const void *b)
{
    const pesp *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->node < y->node ? -1 : x->node > y->node;
}

/*
 * Order the event sub-processes by the scope they belong to (p->esp_off:
 * those of scope key k are esp[esp_off[proc__key_index(p, k)] ..
 * esp_off[... + 1])), and make the start events of scopes with delayed
 * starts arm them (PK_START_ESP).
 */
static int index_esps(gm_proc *p, gm_err *err)
{
    size_t nk = proc__nkeys(p);
    p->esp_off = calloc(nk + 1, sizeof *p->esp_off);
    bool *armed = calloc(nk, sizeof *armed);
    if (!p->esp_off || !armed) {
        free(armed);
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    }
    for (size_t k = 0; k < p->nesp; k++) {
        pesp *e = &p->esp[k];
        e->key = proc__key_index(p, e->home);
        p->esp_off[e->key + 1]++;
        armed[e->key] = armed[e->key] || (!e->error && !e->comp);
    }
    for (size_t k = 0; k < nk; k++)
        p->esp_off[k + 1] += p->esp_off[k];
    qsort(p->esp, p->nesp, sizeof *p->esp, esp_cmp);
    for (size_t i = 0; i < gm_bpmn_nnodes(p->m); i++)
        if (p->node[i].kind == PK_START && in_process(p, p->node[i].bn) &&
            armed[proc__key_index(p, p->home[i])])
            p->node[i].kind = PK_START_ESP;
    free(armed);
    return GM_OK;
}

/* ---- compensation ---------------------------------------------------------- */

/*
 * Which activities record their completions for compensation (pact.comp):
 * those with a handler (a compensation boundary event's, set by
 * parse_events, or an event sub-process with a compensation start inside
 * them), and the sub-processes and calls around them, whose compensation
 * without a handler of their own compensates what completed inside. Linear:
 * each activity is marked once, and the calls of each process are listed
 * once.
 */
static int mark_compensable(gm_proc *p, gm_err *err)
{
    size_t nn = gm_bpmn_nnodes(p->m), np = gm_bpmn_nprocesses(p->m);
    size_t *off = calloc(np + 1, sizeof *off);       /* the calls of each process */
    size_t *calls = calloc(p->nact ? p->nact : 1, sizeof *calls);
    size_t *work = calloc(p->nact ? p->nact : 1, sizeof *work);
    if (!off || !calls || !work) {
        free(off);
        free(calls);
        free(work);
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    }
    size_t nw = 0;
    for (size_t i = 0; i < p->nact; i++) {
        pact *a = &p->act[i];
        const gm_bpmn_node *n = gm_bpmn_node_at(p->m, a->node);
        if (n->kind == GM_BPMN_CALL_ACTIVITY && a->sub)
            off[n->called_process + 1]++;
        /* a sub-process's or call's compensation event sub-process (an event
           sub-process at the top of the process handles nothing: no case
           compensates its process) */
        if (a->sub && !n->triggered_by_event && a->comp_handler == NONE) {
            size_t key = proc__key_index(p, p->inner[a->node]);
            for (size_t k = p->esp_off[key]; k < p->esp_off[key + 1]; k++)
                if (p->esp[k].comp) {
                    a->comp_handler = p->esp[k].node;
                    break;
                }
        }
        a->comp = a->comp_handler != NONE;
        if (a->comp)
            work[nw++] = i;
    }
    for (size_t q = 0; q < np; q++)
        off[q + 1] += off[q];
    for (size_t i = 0; i < p->nact; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(p->m, p->act[i].node);
        if (n->kind == GM_BPMN_CALL_ACTIVITY && p->act[i].sub)
            calls[off[n->called_process]++] = i;
    }
    for (size_t q = np; q > 0; q--) /* each off[q] moved to the end of its list */
        off[q] = off[q - 1];
    off[0] = 0;
    /* outwards: the activity whose scope holds a compensable one */
    while (nw) {
        size_t h = p->home[p->act[work[--nw]].node];
        size_t from = 0, to = 0; /* the activities opening scope h */
        size_t one = NONE;
        if (h != NONE && h < nn) {
            one = p->node[h].idx; /* a sub-process (or an event sub-process: not it) */
            if (gm_bpmn_node_at(p->m, h)->triggered_by_event)
                one = NONE;
        } else if (h != NONE) {
            from = off[h - nn];
            to = off[h - nn + 1];
        }
        for (size_t k = from; k < to + (one != NONE); k++) {
            size_t j = k < to ? calls[k] : one;
            if (!p->act[j].comp) {
                p->act[j].comp = true;
                work[nw++] = j;
            }
        }
    }
    free(off);
    free(calls);
    free(work);
    return GM_OK;
}

/* ---- arrivals -------------------------------------------------------------- */

static int parse_arrival(gm_proc *p, parr *a, const json_t *spec, const char *path, gm_err *err)
{
    const json_t *inter = NULL, *cal = NULL;
    const gm_json_field f[] = {
        GM_JF("interarrival", GM_JK_OBJECT, 0, &inter),
        GM_JF("calendar", GM_JK_ARRAY, 0, &cal),
    };
    int rc = gm_json_unpack(spec, path, f, 2, 0, err);
    if (rc)
        return rc;
    if (!inter == !cal)
        return gm_err_set(err, GM_EINVAL, path,
                          "expected exactly one of \"interarrival\" and \"calendar\"");
    char q[256];
    if (inter) {
        gm_json_path_key(q, sizeof q, path, "interarrival");
        if ((rc = parse_time(p, inter, q, &a->inter, err)))
            return rc;
        if (!(gm_dist_mean(&a->inter.d) > 0))
            return gm_err_set(err, GM_EINVAL, q,
                              "the mean interarrival time is %g; expected > 0 (cases would "
                              "arrive without end at one instant)",
                              gm_dist_mean(&a->inter.d));
        return GM_OK;
    }
    gm_json_path_key(q, sizeof q, path, "calendar");
    if ((rc = gm_cal_from_json(cal, q, true, &a->rate, err)))
        return rc;
    if (gm_cal_bind(a->rate, p->unit_seconds, gm_cal_week_position(p->start_ns, p->offset_min)))
        return gm_err_set(err, GM_EINTERNAL, q, "cannot bind the calendar");
    if (gm_cal_week_total(a->rate) <= 0)
        return gm_err_set(err, GM_EINVAL, q, "no window has a positive rate: no case would "
                                             "ever arrive");
    return GM_OK;
}

/* Do cases arrive at node i: a start event at the top of the process, or an
   event-based gateway that instantiates it? */
static bool arrives_at(const gm_proc *p, size_t i)
{
    const gm_bpmn_node *n = gm_bpmn_node_at(p->m, i);
    return in_main(p, n) && n->parent == GM_BPMN_NONE &&
           (n->kind == GM_BPMN_START_EVENT || p->node[i].kind == PK_INSTANTIATE);
}

static int parse_arrivals(gm_proc *p, const char *name, const json_t *arr, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nstart = 0;
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++)
        nstart += arrives_at(p, i);
    p->arr = calloc(nstart ? nstart : 1, sizeof *p->arr);
    if (!p->arr)
        return gm_err_set(err, GM_ENOMEM, "arrivals", "out of memory");
    bool keyed = nstart > 1 || (!json_object_get(arr, "interarrival") &&
                                !json_object_get(arr, "calendar"));
    char path[256];
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!arrives_at(p, i))
            continue;
        parr *a = &p->arr[p->narr++];
        a->node = i;
        p->node[i].idx = p->narr - 1;
        const json_t *spec = arr;
        snprintf(path, sizeof path, "arrivals");
        if (keyed) {
            spec = json_object_get(arr, n->id);
            gm_json_path_key(path, sizeof path, "arrivals", n->id);
            if (!spec)
                return gm_err_set(err, GM_EINVAL, "arrivals",
                                  "%s '%s' (%s:%ld) has no entry; with %zu start "
                                  "events expected \"arrivals\": {\"%s\": {\"interarrival\": "
                                  "{...}}, ...}",
                                  n->kind == GM_BPMN_START_EVENT ? "start event"
                                                                 : "instantiating gateway",
                                  n->id, name, n->line, nstart, n->id);
        }
        int rc = parse_arrival(p, a, spec, path, err);
        if (rc)
            return rc;
    }
    if (keyed) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)arr, key, val) {
            size_t ni = gm_bpmn_find_node(m, key);
            if (ni == NONE || !arrives_at(p, ni)) {
                gm_json_path_key(path, sizeof path, "arrivals", key);
                return gm_err_set(err, GM_EINVAL, path,
                                  "unknown start event '%s'; expected \"interarrival\", "
                                  "\"calendar\" or the id of a top-level start event or "
                                  "instantiating event-based gateway",
                                  key);
            }
        }
    }
    return GM_OK;
}

/* ---- ways on besides sequence flows --------------------------------------- */

/* What a token passes along that is not a sequence flow, for the load-time
   analyses (inclusive joins, endings): a link throw event goes on at its
   catch event, a call at the called process's start event. 'any': one such way on that ends is enough for its source
   to end (else it is needed, as each flow of a parallel split is). 'local':
   the token stays in its scope (the inclusive joins look only there). */
typedef struct xedge {
    size_t from, to;
    bool any, local;
} xedge;

typedef struct xgraph {
    xedge *e;
    size_t n, cap;
    size_t *out_off, *out; /* edge indices by source: out[out_off[i] .. out_off[i + 1]) */
    size_t *in_off, *in;   /* by target */
} xgraph;

static void xgraph_free(xgraph *g)
{
    free(g->e);
    free(g->out_off);
    free(g->out);
    free(g->in_off);
    free(g->in);
    memset(g, 0, sizeof *g);
}

static int xgraph_add(xgraph *g, size_t from, size_t to, bool any, bool local)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 16;
        xedge *e = realloc(g->e, nc * sizeof *e);
        if (!e)
            return GM_ENOMEM;
        g->e = e;
        g->cap = nc;
    }
    g->e[g->n++] = (xedge){from, to, any, local};
    return GM_OK;
}

/* Index the edges by source and by target. */
static int xgraph_index(xgraph *g, size_t nn)
{
    g->out_off = calloc(nn + 1, sizeof *g->out_off);
    g->in_off = calloc(nn + 1, sizeof *g->in_off);
    g->out = calloc(g->n ? g->n : 1, sizeof *g->out);
    g->in = calloc(g->n ? g->n : 1, sizeof *g->in);
    size_t *po = calloc(nn + 1, sizeof *po), *pi = calloc(nn + 1, sizeof *pi);
    int rc = GM_ENOMEM;
    if (!g->out_off || !g->in_off || !g->out || !g->in || !po || !pi)
        goto done;
    for (size_t k = 0; k < g->n; k++) {
        g->out_off[g->e[k].from + 1]++;
        g->in_off[g->e[k].to + 1]++;
    }
    for (size_t i = 0; i < nn; i++) {
        g->out_off[i + 1] += g->out_off[i];
        g->in_off[i + 1] += g->in_off[i];
    }
    memcpy(po, g->out_off, (nn + 1) * sizeof *po);
    memcpy(pi, g->in_off, (nn + 1) * sizeof *pi);
    for (size_t k = 0; k < g->n; k++) {
        g->out[po[g->e[k].from]++] = k;
        g->in[pi[g->e[k].to]++] = k;
    }
    rc = GM_OK;
done:
    free(po);
    free(pi);
    return rc;
}

static int build_xgraph(const gm_proc *p, xgraph *g, gm_err *err)
{
    size_t nn = gm_bpmn_nnodes(p->m);
    int rc = GM_OK;
    for (size_t i = 0; i < nn && !rc; i++) {
        const pnode *pn = &p->node[i];
        if (!in_process(p, pn->bn))
            continue;
        if (pn->kind == PK_LINK)
            rc = xgraph_add(g, i, pn->idx, false, true);
        else if (pn->kind == PK_ACTIVITY && pn->bn->kind == GM_BPMN_CALL_ACTIVITY &&
                 p->act[pn->idx].sub)
            rc = xgraph_add(g, i, p->act[pn->idx].sub_start, false, false);
    }
    if (rc || (rc = xgraph_index(g, nn)))
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    return GM_OK;
}

/* ---- joins: which inputs can still receive a token ------------------------ */

static int build_joins(gm_proc *p, const xgraph *g, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nn = gm_bpmn_nnodes(m);
    p->nbitwords = (nn + 63) / 64;
    size_t nj = 0;
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (in_process(p, n) && (p->node[i].kind == PK_AND || p->node[i].kind == PK_OR) &&
            n->nin > 1)
            nj++;
    }
    p->join = calloc(nj ? nj : 1, sizeof *p->join);
    size_t *stack = calloc(nn ? nn : 1, sizeof *stack);
    if (!p->join || !stack) {
        free(stack);
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    }
    int rc = GM_OK;
    for (size_t i = 0; i < nn && !rc; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!in_process(p, n) || !(p->node[i].kind == PK_AND || p->node[i].kind == PK_OR) ||
            n->nin <= 1)
            continue;
        pjoin *j = &p->join[p->njoin];
        p->node[i].join = p->njoin++;
        j->slot = p->njoin_slots;
        j->nin = n->nin;
        p->njoin_slots += n->nin;
        if (p->node[i].kind != PK_OR)
            continue;
        j->up = calloc(n->nin, sizeof *j->up);
        if (!j->up) {
            rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
            break;
        }
        for (size_t k = 0; k < n->nin; k++) {
            uint64_t *bits = calloc(p->nbitwords, sizeof *bits);
            if (!bits) {
                rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
                break;
            }
            j->up[k] = bits;
            /* Reverse search from the input's source, never through the join
               itself; a boundary event is reached from its activity. */
            size_t sp = 0, src = gm_bpmn_flow_at(m, n->in[k])->source;
            if (src != i) {
                bits[src / 64] |= 1ull << (src % 64);
                stack[sp++] = src;
            }
            while (sp) {
                size_t xi = stack[--sp];
                const gm_bpmn_node *x = gm_bpmn_node_at(m, xi);
                size_t np = x->kind == GM_BPMN_BOUNDARY_EVENT;
                size_t nx = g->in_off[xi + 1] - g->in_off[xi];
                for (size_t e = 0; e < np + x->nin + nx; e++) {
                    size_t y;
                    if (e < np) {
                        y = x->attached_to;
                    } else if (e < np + x->nin) {
                        y = gm_bpmn_flow_at(m, x->in[e - np])->source;
                    } else {
                        const xedge *xe = &g->e[g->in[g->in_off[xi] + e - np - x->nin]];
                        if (!xe->local)
                            continue;
                        y = xe->from;
                    }
                    if (y == i || (bits[y / 64] >> (y % 64) & 1))
                        continue;
                    bits[y / 64] |= 1ull << (y % 64);
                    stack[sp++] = y;
                }
            }
        }
    }
    free(stack);
    return rc;
}

/* ---- KPIs ---------------------------------------------------------------- */

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

static int build_kpis(gm_proc *p, gm_err *err)
{
    size_t cap = PROC_KPI_CASE + PROC_KPI_PER_TASK * p->nact + PROC_KPI_PER_POOL * p->npool;
    p->kpi = calloc(cap, sizeof *p->kpi);
    if (!p->kpi)
        return gm_err_set(err, GM_ENOMEM, "kpi", "out of memory");
    static const char *const cases[PROC_KPI_CASE] = {
        "cycle_time_mean", "processing_time_mean", "waiting_time_mean", "cost_mean",
        "throughput",      "wip_mean",             "count"};
    int rc;
    for (size_t k = 0; k < PROC_KPI_CASE; k++)
        if ((rc = add_kpi(p, cap, "case", cases[k], err)))
            return rc;
    p->kpi_task0 = p->nkpi;
    static const char *const tk[PROC_KPI_PER_TASK] = {"count", "wait_mean", "duration_mean",
                                                      "cost_mean"};
    for (size_t t = 0; t < p->nact; t++) {
        const char *id = gm_bpmn_node_at(p->m, p->act[t].node)->id;
        for (size_t k = 0; k < PROC_KPI_PER_TASK; k++)
            if ((rc = add_kpi(p, cap, id, tk[k], err)))
                return rc;
    }
    p->kpi_pool0 = p->nkpi;
    for (size_t r = 0; r < p->npool; r++)
        if ((rc = add_kpi(p, cap, p->pool[r].name, "utilization", err)) ||
            (rc = add_kpi(p, cap, p->pool[r].name, "offered_load", err)) ||
            (rc = add_kpi(p, cap, p->pool[r].name, "cost_per_case", err)))
            return rc;
    return GM_OK;
}

/* ---- the whole ------------------------------------------------------------ */

void gm_proc_free(gm_proc *p)
{
    if (!p)
        return;
    if (p->act)
        for (size_t i = 0; i < p->nact; i++) {
            free_time(&p->act[i].dur);
            if (p->act[i].unit_dur)
                for (size_t u = 0; u < p->nunit; u++)
                    free_time(&p->act[i].unit_dur[u]);
            free(p->act[i].unit_dur);
            if (p->act[i].mi && !p->act[i].mi_fixed)
                gm_dist_free(&p->act[i].mi_dist);
            free(p->act[i].bnd);
        }
    if (p->gw)
        for (size_t i = 0; i < p->ngw; i++) {
            free(p->gw[i].flow);
            free(p->gw[i].p);
        }
    if (p->bnd)
        for (size_t i = 0; i < p->nbnd; i++)
            free_time(&p->bnd[i].after);
    if (p->join)
        for (size_t i = 0; i < p->njoin; i++) {
            if (p->join[i].up)
                for (size_t k = 0; k < p->join[i].nin; k++)
                    free(p->join[i].up[k]);
            free(p->join[i].up);
        }
    if (p->catch_)
        for (size_t i = 0; i < p->ncatch; i++)
            free_time(&p->catch_[i].delay);
    if (p->esp)
        for (size_t i = 0; i < p->nesp; i++)
            free_time(&p->esp[i].after);
    free(p->esp);
    free(p->esp_off);
    if (p->arr)
        for (size_t i = 0; i < p->narr; i++) {
            free_time(&p->arr[i].inter);
            gm_cal_free(p->arr[i].rate);
        }
    if (p->cal)
        for (size_t i = 0; i < p->ncal; i++)
            gm_cal_free(p->cal[i]);
    if (p->kpi)
        for (size_t i = 0; i < p->nkpi; i++)
            free(p->kpi[i]);
    free(p->kpi);
    free(p->cal);
    free(p->cal_name);
    free(p->pool);
    free(p->unit);
    free(p->node);
    free(p->flow_tgt);
    free(p->flow_in);
    free(p->home);
    free(p->inner);
    free(p->inproc);
    free(p->pstart);
    free(p->act);
    free(p->gw);
    free(p->bnd);
    free(p->join);
    free(p->catch_);
    free(p->arr);
    free(p);
}

/* ---- every token can end ------------------------------------------------ */

/* Is flow k of node n ever taken (a gateway flow of probability 0 is not)? */
static bool flow_taken(const gm_proc *p, size_t n, size_t flow)
{
    const pnode *pn = &p->node[n];
    if ((pn->kind != PK_XOR && pn->kind != PK_OR) || pn->idx == NONE)
        return true;
    const pgw *g = &p->gw[pn->idx];
    if (flow == g->dflt)
        return true;
    for (size_t k = 0; k < g->n; k++)
        if (g->flow[k] == flow)
            return pn->kind == PK_XOR ? g->p[k] > (k ? g->p[k - 1] : 0) : g->p[k] > 0;
    return false;
}

/* Nodes a token must pass all of (a parallel split: every outgoing flow,
   and for a sub-process its inner start too) or one of (an exclusive,
   inclusive or event-based choice, a boundary event leaving an activity). */
static bool choice(const pnode *pn)
{
    return pn->kind == PK_XOR || pn->kind == PK_OR || pn->kind == PK_EVENT_GW ||
           (pn->kind == PK_INSTANTIATE && !pn->bn->parallel_events);
}

/*
 * A token that can never reach an end hangs its case, and a run waiting for
 * its cases never ends: refuse such a model at load. A node is "live" when a
 * token there can reach an end of its scope with positive probability: an
 * end event, or a node with no outgoing flow. A choice is live when one of
 * its taken flows leads to a live node, any other node when all of them do
 * (and, for a sub-process, its start event; for a call, the called
 * process's; for a link throw event, its catch event); an activity is also
 * live when one of its boundary events is and can fire, and any node when
 * an interrupting event sub-process of its scope is and can occur (it ends
 * them all). Computed backwards from the ends, each node once.
 * A token of a start event (of the process, or of an event sub-process that
 * can occur) that is not live names the first node of its path whose every
 * way on is dead.
 */
static int check_endings(const gm_proc *p, const xgraph *g, const char *name, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nn = gm_bpmn_nnodes(m);
    size_t *need = calloc(nn ? nn : 1, sizeof *need);
    size_t *queue = calloc(nn ? nn : 1, sizeof *queue);
    bool *live = calloc(nn ? nn : 1, sizeof *live);
    uint8_t *color = calloc(nn ? nn : 1, 1);
    /* the nodes of each scope (by key), and the event sub-process at each
       node: an interrupting one that can occur ends every token of its
       scope, a way out for all of them once it can end itself */
    size_t nk = proc__nkeys(p);
    size_t *hoff = calloc(nk + 1, sizeof *hoff), *hnodes = calloc(nn ? nn : 1, sizeof *hnodes);
    size_t *hpos = calloc(nk, sizeof *hpos);
    size_t *esp_at = malloc((nn ? nn : 1) * sizeof *esp_at);
    bool *rescued = calloc(nk, sizeof *rescued);
    int rc = GM_OK;
    if (!need || !queue || !live || !color || !hoff || !hnodes || !hpos || !esp_at ||
        !rescued) {
        rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nn; i++) {
        esp_at[i] = NONE;
        if (in_process(p, gm_bpmn_node_at(m, i)) && p->node[i].kind != PK_BOUNDARY)
            hoff[proc__key_index(p, p->home[i]) + 1]++;
    }
    for (size_t k = 0; k < nk; k++) {
        hoff[k + 1] += hoff[k];
        hpos[k] = hoff[k];
    }
    for (size_t i = 0; i < nn; i++)
        if (in_process(p, gm_bpmn_node_at(m, i)) && p->node[i].kind != PK_BOUNDARY)
            hnodes[hpos[proc__key_index(p, p->home[i])]++] = i;
    for (size_t k = 0; k < p->nesp; k++)
        esp_at[p->esp[k].node] = k;
    size_t qh = 0, qt = 0;
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        const pnode *pn = &p->node[i];
        if (!in_process(p, n) || pn->kind == PK_BOUNDARY)
            continue;
        size_t taken = 0;
        for (size_t k = 0; k < n->nout; k++)
            taken += flow_taken(p, i, n->out[k]);
        need[i] = choice(pn) ? (taken ? 1 : SIZE_MAX) : taken;
        if (pn->kind == PK_ACTIVITY && n->kind == GM_BPMN_SUBPROCESS && p->act[pn->idx].sub)
            need[i]++; /* its inner start (a call's is a way on of the graph) */
        for (size_t k = g->out_off[i]; k < g->out_off[i + 1] && need[i] != SIZE_MAX; k++)
            need[i] += !g->e[g->out[k]].any;
        if (need[i] == 0) {
            live[i] = true;
            queue[qt++] = i;
        }
    }
    for (size_t i = 0; i < p->nbnd; i++) { /* a boundary event: its flows, all of them */
        const pbnd *b = &p->bnd[i];
        const gm_bpmn_node *n = gm_bpmn_node_at(m, b->node);
        if (!(b->after.set || b->prob > 0) || !b->interrupting)
            need[b->node] = SIZE_MAX; /* never takes the activity's token away */
        else
            need[b->node] = n->nout;
        if (need[b->node] == 0) {
            live[b->node] = true;
            queue[qt++] = b->node;
        }
    }
    while (qh < qt) {
        size_t x = queue[qh++];
        const gm_bpmn_node *n = gm_bpmn_node_at(m, x);
        const pesp *es = esp_at[x] != NONE ? &p->esp[esp_at[x]] : NULL;
        if (es && es->interrupting && !es->error && !es->comp && es->prob > 0 &&
            !rescued[es->key]) {
            rescued[es->key] = true; /* once a scope */
            for (size_t j = hoff[es->key]; j < hoff[es->key + 1]; j++)
                if (!live[hnodes[j]]) {
                    live[hnodes[j]] = true;
                    queue[qt++] = hnodes[j];
                }
        }
        /* what becoming live does to the nodes before x: by its flows, as
           a boundary event, as a sub-process's start, by other ways on */
        size_t special = (size_t)(n->kind == GM_BPMN_BOUNDARY_EVENT) +
                         (size_t)(n->kind == GM_BPMN_START_EVENT && n->parent != GM_BPMN_NONE);
        size_t nx = g->in_off[x + 1] - g->in_off[x];
        for (size_t e = 0; e < n->nin + special + nx; e++) {
            size_t y;
            bool any = false;
            if (e < n->nin) {
                y = gm_bpmn_flow_at(m, n->in[e])->source;
                if (!flow_taken(p, y, n->in[e]))
                    continue;
                any = choice(&p->node[y]);
            } else if (e < n->nin + special) {
                if (n->kind == GM_BPMN_BOUNDARY_EVENT) {
                    y = n->attached_to; /* a way out of its activity */
                    any = true;
                } else {
                    y = n->parent; /* the sub-process this start begins */
                }
            } else {
                const xedge *xe = &g->e[g->in[g->in_off[x] + e - n->nin - special]];
                y = xe->from;
                any = xe->any;
            }
            if (y == GM_BPMN_NONE || live[y] || need[y] == SIZE_MAX)
                continue;
            if (any || --need[y] == 0) {
                live[y] = true;
                queue[qt++] = y;
            }
        }
    }
    /* Where does a token of a start event get stuck? A depth-first search
       forward through nodes that are not live (color: 1 on the path, 2 done)
       names the first node of a cycle it cannot leave; failing that, a node
       whose every way on is dead (a sub-process whose inside cannot end). */
    size_t *edge = need; /* reused: the next way on to try, per node on the path */
    for (size_t a = 0; a < p->narr + p->nesp + p->nact && !rc; a++) {
        /* tokens begin at the start events where cases arrive, at those of
           the event sub-processes that can occur, and in compensation
           handlers */
        size_t st;
        if (a < p->narr) {
            st = p->arr[a].node;
            if (live[st])
                continue;
        } else if (a < p->narr + p->nesp) {
            const pesp *e = &p->esp[a - p->narr];
            if (live[e->node] || (!e->error && !e->comp && !(e->prob > 0)))
                continue;
            st = e->start;
        } else {
            st = p->act[a - p->narr - p->nesp].node;
            if (live[st] || !gm_bpmn_node_at(m, st)->for_compensation)
                continue;
        }
        memset(color, 0, nn);
        size_t top = 0, stuck = NONE, dead_end = NONE;
        queue[top++] = st;
        color[st] = 1;
        edge[st] = 0;
        while (top && stuck == NONE) {
            size_t x = queue[top - 1];
            const gm_bpmn_node *n = gm_bpmn_node_at(m, x);
            size_t nx = g->out_off[x + 1] - g->out_off[x];
            if (edge[x] == n->nout + nx) {
                color[x] = 2;
                top--;
                continue;
            }
            size_t k = edge[x]++, t;
            if (k < n->nout) {
                size_t f = n->out[k];
                t = gm_bpmn_flow_at(m, f)->target;
                if (!flow_taken(p, x, f))
                    continue;
            } else {
                t = g->e[g->out[g->out_off[x] + k - n->nout]].to;
            }
            if (live[t])
                continue;
            if (color[t] == 1)
                stuck = t; /* back on the path: a cycle */
            else if (color[t] == 0) {
                color[t] = 1;
                edge[t] = 0;
                queue[top++] = t;
            }
        }
        for (size_t i = 0; stuck == NONE && dead_end == NONE && i < nn; i++) {
            if (!color[i])
                continue;
            const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
            bool way_on = false;
            for (size_t k = 0; k < n->nout && !way_on; k++)
                way_on = flow_taken(p, i, n->out[k]) &&
                         !live[gm_bpmn_flow_at(m, n->out[k])->target];
            for (size_t k = g->out_off[i]; k < g->out_off[i + 1] && !way_on; k++)
                way_on = !live[g->e[g->out[k]].to];
            if (!way_on)
                dead_end = i;
        }
        if (stuck == NONE)
            stuck = dead_end != NONE ? dead_end : st;
        const gm_bpmn_node *sn = gm_bpmn_node_at(m, stuck);
        rc = at_node(name, sn, GM_EINVAL, err,
                     "%s '%s': a token that reaches it can never reach an end event (a cycle "
                     "without a way out, or only by flows of probability 0); the cases would "
                     "never end",
                     sn->element, sn->id);
    }
done:
    free(need);
    free(queue);
    free(live);
    free(color);
    free(hoff);
    free(hnodes);
    free(hpos);
    free(esp_at);
    free(rescued);
    return rc;
}

/* ---- activities on cycles ------------------------------------------------ */

/*
 * Mark the activities a token may come back to (pact.cyclic): the run
 * counts their steps, which bounds cycles left with a tiny probability, and
 * no other activity pays for it. Node i is two vertices, in(i) = i and
 * out(i) = nn + i, so that a sub-process's inside lies between its in and
 * its out: in(i) -> out(i); a flow: out(source) -> in(target); a link
 * throw: out -> in of its catch event; an activity: in -> in of its
 * boundary events; a sub-process: in -> in of its start
 * events, and out of each inner node without outgoing flows -> its out. An
 * activity is cyclic when its in vertex is in a strongly connected component
 * of more than one vertex (Tarjan's algorithm, iteratively). A call activity
 * and an event sub-process hold their bodies as a sub-process does: a cycle
 * through one counts it (in -> out), and a cycle inside one its activities.
 */
static int mark_cycles(gm_proc *p, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nn = gm_bpmn_nnodes(m), nv = 2 * nn;
    size_t *first = calloc(nv + 1, sizeof *first), *adj = NULL;
    size_t *idx = calloc(nv ? nv : 1, sizeof *idx), *low = calloc(nv ? nv : 1, sizeof *low);
    size_t *stk = calloc(nv ? nv : 1, sizeof *stk), *call = calloc(nv ? nv : 1, sizeof *call);
    size_t *next = calloc(nv ? nv : 1, sizeof *next);
    bool *on = calloc(nv ? nv : 1, sizeof *on), *cyc = calloc(nv ? nv : 1, sizeof *cyc);
    int rc = GM_OK;
    if (!first || !idx || !low || !stk || !call || !next || !on || !cyc) {
        rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
        goto done;
    }
    /* Edges, counted then placed (pass 0 counts into first[v + 1]). */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t v = 0; v < nv; v++)
                first[v + 1] += first[v];
            memcpy(next, first, nv * sizeof *next); /* where v's next edge goes */
            adj = calloc(first[nv] ? first[nv] : 1, sizeof *adj);
            if (!adj) {
                rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
                goto done;
            }
        }
#define EDGE(a, b)                                                                            \
    do {                                                                                      \
        if (pass == 0)                                                                        \
            first[(a) + 1]++;                                                                 \
        else                                                                                  \
            adj[next[a]++] = (b);                                                             \
    } while (0)
        for (size_t i = 0; i < nn; i++) {
            const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
            if (!in_process(p, n))
                continue;
            EDGE(i, nn + i);
            for (size_t k = 0; k < n->nout; k++)
                EDGE(nn + i, gm_bpmn_flow_at(m, n->out[k])->target);
            if (p->node[i].kind == PK_LINK) /* a link throw goes on at its catch */
                EDGE(nn + i, p->node[i].idx);
            if (n->kind == GM_BPMN_BOUNDARY_EVENT && n->attached_to != GM_BPMN_NONE)
                EDGE(n->attached_to, i);
            if (n->parent != GM_BPMN_NONE && n->kind == GM_BPMN_START_EVENT)
                EDGE(n->parent, i);
            else if (n->parent != GM_BPMN_NONE && n->nout == 0)
                EDGE(nn + i, nn + n->parent);
        }
#undef EDGE
    }
    /* Tarjan: idx[v] is v's visit number + 1 (0: not visited yet). */
    size_t counter = 0, sp = 0;
    for (size_t root = 0; root < nv; root++) {
        if (idx[root])
            continue;
        size_t depth = 0;
        call[depth++] = root;
        idx[root] = low[root] = ++counter;
        next[root] = first[root];
        stk[sp++] = root;
        on[root] = true;
        while (depth) {
            size_t v = call[depth - 1];
            if (next[v] < first[v + 1]) {
                size_t w = adj[next[v]++];
                if (!idx[w]) {
                    idx[w] = low[w] = ++counter;
                    next[w] = first[w];
                    stk[sp++] = w;
                    on[w] = true;
                    call[depth++] = w;
                } else if (on[w] && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            depth--;
            if (depth && low[v] < low[call[depth - 1]])
                low[call[depth - 1]] = low[v];
            if (low[v] == idx[v]) { /* v roots a component: pop it */
                size_t top = sp;
                do
                    on[stk[--sp]] = false;
                while (stk[sp] != v);
                for (size_t k = sp; top - sp > 1 && k < top; k++)
                    cyc[stk[k]] = true;
            }
        }
    }
    for (size_t t = 0; t < p->nact; t++)
        p->act[t].cyclic = cyc[p->act[t].node];
done:
    free(first);
    free(adj);
    free(idx);
    free(low);
    free(stk);
    free(call);
    free(next);
    free(on);
    free(cyc);
    return rc;
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
    xgraph xg = {0};
    gm_proc *p = calloc(1, sizeof *p);
    if (!p)
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    p->m = m;

    const char *type = "", *unit = "minutes", *start = "2024-01-01T00:00:00Z", *process = NULL;
    int64_t cases = 0, warm = 0;
    bool has_cases = false, has_horizon = false, has_wc = false, has_wt = false;
    bool terminating = false;
    double horizon = 0, warm_t = 0;
    const json_t *arrivals = NULL, *calendars = NULL, *resources = NULL, *tasks = NULL,
                 *gws = NULL, *events = NULL;
    const gm_json_field f[] = {
        GM_JF("type", GM_JK_STRING, GM_JF_REQUIRED, &type),
        GM_JF("process", GM_JK_STRING, 0, &process),
        GM_JF("time_unit", GM_JK_STRING, 0, &unit),
        GM_JF("start", GM_JK_STRING, 0, &start),
        GM_JF_FULL("cases", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &cases, &has_cases, 1,
                   GM_PROC_MAX_CASES),
        GM_JF_FULL("horizon", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MIN_EXCL | GM_JF_MAX, &horizon,
                   &has_horizon, 0, 1e15),
        GM_JF("terminating", GM_JK_BOOL, 0, &terminating),
        GM_JF_FULL("warmup_cases", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &warm, &has_wc, 0,
                   GM_PROC_MAX_CASES),
        GM_JF_FULL("warmup_time", GM_JK_NUMBER, GM_JF_MIN | GM_JF_MAX, &warm_t, &has_wt, 0,
                   1e15),
        GM_JF("arrivals", GM_JK_OBJECT, GM_JF_REQUIRED, &arrivals),
        GM_JF("calendars", GM_JK_OBJECT, 0, &calendars),
        GM_JF("resources", GM_JK_ARRAY, 0, &resources),
        GM_JF("tasks", GM_JK_OBJECT, 0, &tasks),
        GM_JF("gateways", GM_JK_OBJECT, 0, &gws),
        GM_JF("events", GM_JK_OBJECT, 0, &events),
    };
    if ((rc = gm_json_unpack(params, "", f, sizeof f / sizeof f[0], 0, err)))
        goto fail;
    if (strcmp(type, "process-simulation") != 0) {
        rc = gm_err_set(err, GM_EINVAL, "type", "expected \"process-simulation\", got \"%s\"",
                        type);
        goto fail;
    }
    if (!has_cases && !has_horizon) {
        rc = gm_err_set(err, GM_EINVAL, "", "expected \"cases\" or \"horizon\" (or both)");
        goto fail;
    }
    if (has_wc && has_wt) {
        rc = gm_err_set(err, GM_EINVAL, "warmup_time",
                        "expected at most one of \"warmup_cases\" and \"warmup_time\"");
        goto fail;
    }
    if (has_horizon && warm_t >= horizon) {
        rc = gm_err_set(err, GM_EINVAL, "warmup_time", "expected less than the horizon %g",
                        horizon);
        goto fail;
    }
    p->unit_seconds = proc__unit_seconds(unit);
    if (p->unit_seconds == 0) {
        rc = gm_err_set(err, GM_EINVAL, "time_unit",
                        "expected \"seconds\", \"minutes\", \"hours\" or \"days\", got \"%s\"",
                        unit);
        goto fail;
    }
    if (gm_time_parse_rfc3339(start, strlen(start), &p->start_ns, &p->offset_min, err)) {
        rc = gm_err_prefix(err, "start");
        rc = rc ? rc : GM_EINVAL;
        goto fail;
    }
    p->cases = has_cases ? cases : 0;
    p->horizon = has_horizon ? horizon : HUGE_VAL;
    p->terminating = terminating;
    p->warmup_cases = warm;
    p->warmup_time = warm_t;
    if ((rc = pick_process(p, name, process, err)) || (rc = pick_calls(p, name, err)))
        goto fail;
    size_t nn = gm_bpmn_nnodes(m);
    p->node = calloc(nn ? nn : 1, sizeof *p->node);
    p->act = calloc(nn ? nn : 1, sizeof *p->act);
    p->gw = calloc(nn ? nn : 1, sizeof *p->gw);
    p->bnd = calloc(nn ? nn : 1, sizeof *p->bnd);
    p->catch_ = calloc(nn ? nn : 1, sizeof *p->catch_);
    p->esp = calloc(nn ? nn : 1, sizeof *p->esp);
    p->flow_tgt = calloc(gm_bpmn_nflows(m) ? gm_bpmn_nflows(m) : 1, sizeof *p->flow_tgt);
    p->flow_in = calloc(gm_bpmn_nflows(m) ? gm_bpmn_nflows(m) : 1, sizeof *p->flow_in);
    p->home = calloc(nn ? nn : 1, sizeof *p->home);
    p->inner = calloc(nn ? nn : 1, sizeof *p->inner);
    if (!p->node || !p->act || !p->gw || !p->bnd || !p->catch_ || !p->flow_tgt || !p->flow_in ||
        !p->home || !p->inner || !p->esp)
        goto nomem;
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        p->home[i] = n->parent != GM_BPMN_NONE ? n->parent
                     : in_main(p, n)           ? NONE
                                               : nn + n->process;
        p->inner[i] = n->kind == GM_BPMN_CALL_ACTIVITY && n->called_process != GM_BPMN_NONE
                          ? nn + n->called_process
                          : i;
    }
    for (size_t fi = 0; fi < gm_bpmn_nflows(m); fi++)
        p->flow_tgt[fi] = gm_bpmn_flow_at(m, fi)->target;
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        for (size_t k = 0; k < n->nin; k++)
            p->flow_in[n->in[k]] = k;
    }
    if ((rc = classify(p, name, err)) ||
        (rc = parse_calendars(p, calendars,
                              gm_cal_week_position(p->start_ns, p->offset_min), err)) ||
        (rc = parse_resources(p, resources, err)))
        goto fail;

    /* tasks: every key names an activity of the process */
    if (tasks) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)tasks, key, val) {
            size_t ni = gm_bpmn_find_node(m, key);
            if (ni == NONE || !in_process(p, gm_bpmn_node_at(m, ni)) ||
                p->node[ni].kind != PK_ACTIVITY) {
                char path[256];
                gm_json_path_key(path, sizeof path, "tasks", key);
                rc = gm_err_set(err, GM_EINVAL, path,
                                "unknown task '%s'; expected the id of a task, call activity or "
                                "sub-process of %s",
                                key, name);
                goto fail;
            }
        }
    }
    if (gws) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)gws, key, val) {
            size_t ni = gm_bpmn_find_node(m, key);
            const gm_bpmn_node *n = ni == NONE ? NULL : gm_bpmn_node_at(m, ni);
            if (!n || !in_process(p, n) ||
                (n->kind != GM_BPMN_EXCLUSIVE_GATEWAY && n->kind != GM_BPMN_INCLUSIVE_GATEWAY)) {
                char path[256];
                gm_json_path_key(path, sizeof path, "gateways", key);
                rc = gm_err_set(err, GM_EINVAL, path,
                                "unknown gateway '%s'; expected an exclusiveGateway or "
                                "inclusiveGateway id of %s",
                                key, name);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!in_process(p, n))
            continue;
        if (p->node[i].kind == PK_ACTIVITY &&
            (rc = parse_activity(p, name, i, tasks ? json_object_get(tasks, n->id) : NULL, err)))
            goto fail;
    }
    for (size_t i = 0; i < nn; i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!in_process(p, n))
            continue;
        if ((p->node[i].kind == PK_XOR || p->node[i].kind == PK_OR) &&
                   (n->nout > 1 || (gws && json_object_get(gws, n->id)))) {
            if ((rc = parse_gateway(p, name, i, gws ? json_object_get(gws, n->id) : NULL, err)))
                goto fail;
        } else if (p->node[i].kind == PK_OR && n->nin <= 1) {
            p->node[i].kind = PK_PASS; /* one way in and out: nothing to do */
        }
    }
    if ((rc = parse_events(p, name, events, err)) || (rc = parse_arrivals(p, name, arrivals, err)))
        goto fail;
    if ((rc = index_esps(p, err)) || (rc = mark_compensable(p, err)))
        goto fail;
    /* boundary lists per activity */
    for (size_t b = 0; b < p->nbnd; b++) {
        pact *a = &p->act[p->bnd[b].act];
        if (a->nbnd >= PROC_MAX_BOUNDARY) {
            rc = at_node(name, gm_bpmn_node_at(m, a->node), GM_ELIMIT, err,
                         "'%s' has more than %d boundary events",
                         gm_bpmn_node_at(m, a->node)->id, PROC_MAX_BOUNDARY);
            goto fail;
        }
        size_t *nb = realloc(a->bnd, (a->nbnd + 1) * sizeof *nb);
        if (!nb)
            goto nomem;
        a->bnd = nb;
        a->bnd[a->nbnd++] = b;
        if (p->bnd[b].error && a->error_bnd == NONE)
            a->error_bnd = b;
    }
    for (size_t i = 0; i < p->nact; i++) {
        pact *a = &p->act[i];
        a->plain = !a->loop && !a->mi && a->nbnd == 0 && !a->comp;
        a->fast_res = a->nneed == 1 && !p->pool[a->need[0].pool].named &&
                      p->pool[a->need[0].pool].cal == NONE;
        p->node[a->node].task = a->plain && !a->sub;
    }
    if ((rc = build_xgraph(p, &xg, err)) || (rc = build_joins(p, &xg, err)) ||
        (rc = build_kpis(p, err)) || (rc = check_endings(p, &xg, name, err)) ||
        (rc = mark_cycles(p, err)))
        goto fail;
    xgraph_free(&xg);
    /* What the run must be ready for (proc_run.c skips the rest). */
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const pnode *pn = &p->node[i];
        if (!in_process(p, pn->bn))
            continue;
        p->cancels = p->cancels || pn->kind == PK_TERMINATE || pn->kind == PK_ERROR_END;
        p->or_joins = p->or_joins || (pn->kind == PK_OR && pn->join != NONE);
    }
    for (size_t i = 0; i < p->nbnd; i++)
        p->cancels = p->cancels || p->bnd[i].interrupting || p->bnd[i].error;
    for (size_t i = 0; i < p->nesp; i++)
        p->cancels = p->cancels || p->esp[i].interrupting || p->esp[i].error;
    /* Streams: arrivals, then two per activity, then gateways, then catch
       events, then event sub-processes; boundary events draw from their
       activity's second stream. */
    uint64_t s = 0;
    for (size_t i = 0; i < p->narr; i++)
        p->arr[i].stream = s++;
    for (size_t i = 0; i < p->nact; i++) {
        p->act[i].stream = s;
        s += 2;
    }
    for (size_t i = 0; i < p->ngw; i++)
        p->gw[i].stream = s++;
    for (size_t i = 0; i < p->ncatch; i++)
        p->catch_[i].stream = s++;
    for (size_t i = 0; i < p->nesp; i++)
        p->esp[i].stream = s++;
    p->nstreams = s ? s : 1;
    *out = p;
    return GM_OK;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
fail:
    xgraph_free(&xg);
    gm_proc_free(p);
    return rc;
}
