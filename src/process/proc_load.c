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

/* ---- structure ---------------------------------------------------------- */

static bool in_process(const gm_proc *p, const gm_bpmn_node *n)
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
        if (n->trigger == GM_BPMN_TRIGGER_COMPENSATE || n->trigger == GM_BPMN_TRIGGER_LINK ||
            n->for_compensation || n->instantiate || n->parallel_events)
            return at_node(name, n, GM_EUNSUPPORTED, err,
                           "simulation of %s '%s' (%s) is not supported yet", n->element, n->id,
                           n->for_compensation ? "a compensation handler"
                           : n->instantiate    ? "instantiate"
                           : n->parallel_events
                               ? "parallel event gateway"
                               : gm_bpmn_trigger_name(n->trigger));
        switch (n->kind) {
        case GM_BPMN_START_EVENT:
            pn->kind = PK_START;
            if (n->parent != GM_BPMN_NONE && n->trigger != GM_BPMN_TRIGGER_NONE)
                return at_node(name, n, GM_EUNSUPPORTED, err,
                               "simulation of a %s start event ('%s') inside a sub-process is "
                               "not supported; expected a none start event",
                               gm_bpmn_trigger_name(n->trigger), n->id);
            break;
        case GM_BPMN_END_EVENT:
            pn->kind = n->trigger == GM_BPMN_TRIGGER_TERMINATE ? PK_TERMINATE
                       : n->trigger == GM_BPMN_TRIGGER_ERROR   ? PK_ERROR_END
                                                               : PK_END;
            break;
        case GM_BPMN_THROW_EVENT:
            pn->kind = PK_PASS;
            break;
        case GM_BPMN_CATCH_EVENT:
            pn->kind = PK_CATCH;
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
            pn->kind = PK_EVENT_GW;
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
        if (n->kind == GM_BPMN_SUBPROCESS) {
            size_t start = NONE;
            for (size_t j = 0; j < nn; j++) {
                const gm_bpmn_node *c = gm_bpmn_node_at(m, j);
                if (c->parent == i && c->kind == GM_BPMN_START_EVENT) {
                    if (start != NONE)
                        return at_node(name, n, GM_EUNSUPPORTED, err,
                                       "simulation of sub-process '%s' with several start events "
                                       "is not supported; expected one none start event",
                                       n->id);
                    start = j;
                }
            }
            if (start == NONE)
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
    a->sub = n->kind == GM_BPMN_SUBPROCESS;
    a->sub_start = NONE;
    a->error_bnd = NONE;
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
        if (dur || res || resources || durations)
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' is a sub-process: its tasks have the durations and "
                              "resources; expected only \"loop\", \"instances\" or \"cost\"",
                              n->id);
        for (size_t j = 0; j < gm_bpmn_nnodes(p->m); j++) {
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
        if (n->kind == GM_BPMN_CATCH_EVENT) {
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
            if (spec) {
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
        } else if (spec) {
            return gm_err_set(err, GM_EINVAL, path,
                              "'%s' is a %s; expected the id of a boundary or intermediate "
                              "catch event",
                              n->id, n->element);
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

static int parse_arrivals(gm_proc *p, const char *name, const json_t *arr, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nstart = 0;
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (in_process(p, n) && n->kind == GM_BPMN_START_EVENT && n->parent == GM_BPMN_NONE)
            nstart++;
    }
    p->arr = calloc(nstart ? nstart : 1, sizeof *p->arr);
    if (!p->arr)
        return gm_err_set(err, GM_ENOMEM, "arrivals", "out of memory");
    bool keyed = nstart > 1 || (!json_object_get(arr, "interarrival") &&
                                !json_object_get(arr, "calendar"));
    char path[256];
    for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
        const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
        if (!in_process(p, n) || n->kind != GM_BPMN_START_EVENT || n->parent != GM_BPMN_NONE)
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
                                  "start event '%s' (%s:%ld) has no entry; with %zu start "
                                  "events expected \"arrivals\": {\"%s\": {\"interarrival\": "
                                  "{...}}, ...}",
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
            if (ni == NONE || gm_bpmn_node_at(m, ni)->kind != GM_BPMN_START_EVENT ||
                !in_process(p, gm_bpmn_node_at(m, ni)) ||
                gm_bpmn_node_at(m, ni)->parent != GM_BPMN_NONE) {
                gm_json_path_key(path, sizeof path, "arrivals", key);
                return gm_err_set(err, GM_EINVAL, path,
                                  "unknown start event '%s'; expected \"interarrival\", "
                                  "\"calendar\" or a top-level start event id",
                                  key);
            }
        }
    }
    return GM_OK;
}

/* ---- joins: which inputs can still receive a token ------------------------ */

static int build_joins(gm_proc *p, gm_err *err)
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
                const gm_bpmn_node *x = gm_bpmn_node_at(m, stack[--sp]);
                size_t preds[1 + 1];
                size_t np = 0;
                if (x->kind == GM_BPMN_BOUNDARY_EVENT)
                    preds[np++] = x->attached_to;
                for (size_t e = 0; e < x->nin + np; e++) {
                    size_t y = e < np ? preds[e] : gm_bpmn_flow_at(m, x->in[e - np])->source;
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
    return pn->kind == PK_XOR || pn->kind == PK_OR || pn->kind == PK_EVENT_GW;
}

/*
 * A token that can never reach an end hangs its case, and a run waiting for
 * its cases never ends: refuse such a model at load. A node is "live" when a
 * token there can reach an end of its scope with positive probability: an
 * end event, or a node with no outgoing flow. A choice is live when one of
 * its taken flows leads to a live node, any other node when all of them do
 * (and, for a sub-process, its start event); an activity is also live when
 * one of its boundary events is and can fire. Computed backwards from the
 * ends, each node once. A token of the process's start that is not live
 * names the first node of its path whose every way on is dead.
 */
static int check_endings(const gm_proc *p, const char *name, gm_err *err)
{
    const gm_bpmn *m = p->m;
    size_t nn = gm_bpmn_nnodes(m);
    size_t *need = calloc(nn ? nn : 1, sizeof *need);
    size_t *queue = calloc(nn ? nn : 1, sizeof *queue);
    bool *live = calloc(nn ? nn : 1, sizeof *live);
    uint8_t *color = calloc(nn ? nn : 1, 1);
    int rc = GM_OK;
    if (!need || !queue || !live || !color) {
        rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
        goto done;
    }
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
        if (pn->kind == PK_ACTIVITY && p->act[pn->idx].sub)
            need[i]++; /* its inner start */
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
        /* what becoming live does to the nodes before x */
        size_t preds = n->nin + (n->kind == GM_BPMN_BOUNDARY_EVENT) +
                       (n->kind == GM_BPMN_START_EVENT && n->parent != GM_BPMN_NONE);
        for (size_t e = 0; e < preds; e++) {
            size_t y;
            bool any = false;
            if (e < n->nin) {
                y = gm_bpmn_flow_at(m, n->in[e])->source;
                if (!flow_taken(p, y, n->in[e]))
                    continue;
                any = choice(&p->node[y]);
            } else if (n->kind == GM_BPMN_BOUNDARY_EVENT) {
                y = n->attached_to; /* a way out of its activity */
                any = true;
            } else {
                y = n->parent; /* the sub-process this start begins */
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
    size_t *edge = need; /* reused: the next outgoing flow to try, per node on the path */
    for (size_t a = 0; a < p->narr && !rc; a++) {
        size_t st = p->arr[a].node;
        if (live[st])
            continue;
        memset(color, 0, nn);
        size_t top = 0, stuck = NONE, dead_end = NONE;
        queue[top++] = st;
        color[st] = 1;
        edge[st] = 0;
        while (top && stuck == NONE) {
            size_t x = queue[top - 1];
            const gm_bpmn_node *n = gm_bpmn_node_at(m, x);
            if (edge[x] == n->nout) {
                color[x] = 2;
                top--;
                continue;
            }
            size_t f = n->out[edge[x]++];
            size_t t = gm_bpmn_flow_at(m, f)->target;
            if (!flow_taken(p, x, f) || live[t])
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
    gm_proc *p = calloc(1, sizeof *p);
    if (!p)
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    p->m = m;

    const char *type = "", *unit = "minutes", *start = "2024-01-01T00:00:00Z", *process = NULL;
    int64_t cases = 0, warm = 0;
    bool has_cases = false, has_horizon = false, has_wc = false, has_wt = false;
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
    p->warmup_cases = warm;
    p->warmup_time = warm_t;
    if ((rc = pick_process(p, name, process, err)))
        goto fail;
    size_t nn = gm_bpmn_nnodes(m);
    p->node = calloc(nn ? nn : 1, sizeof *p->node);
    p->act = calloc(nn ? nn : 1, sizeof *p->act);
    p->gw = calloc(nn ? nn : 1, sizeof *p->gw);
    p->bnd = calloc(nn ? nn : 1, sizeof *p->bnd);
    p->catch_ = calloc(nn ? nn : 1, sizeof *p->catch_);
    p->flow_tgt = calloc(gm_bpmn_nflows(m) ? gm_bpmn_nflows(m) : 1, sizeof *p->flow_tgt);
    p->flow_in = calloc(gm_bpmn_nflows(m) ? gm_bpmn_nflows(m) : 1, sizeof *p->flow_in);
    if (!p->node || !p->act || !p->gw || !p->bnd || !p->catch_ || !p->flow_tgt || !p->flow_in)
        goto nomem;
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
        a->plain = !a->loop && !a->mi && a->nbnd == 0;
        a->fast_res = a->nneed == 1 && !p->pool[a->need[0].pool].named &&
                      p->pool[a->need[0].pool].cal == NONE;
        p->node[a->node].task = a->plain && !a->sub;
    }
    if ((rc = build_joins(p, err)) || (rc = build_kpis(p, err)) ||
        (rc = check_endings(p, name, err)))
        goto fail;
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
    /* Streams: arrivals, then two per activity, then gateways, then catch
       events; boundary events draw from their activity's second stream. */
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
    p->nstreams = s ? s : 1;
    *out = p;
    return GM_OK;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "", "out of memory");
fail:
    gm_proc_free(p);
    return rc;
}
