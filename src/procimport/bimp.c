/*
 * bimp.c: BIMP / QBP Simulator parameters (qbp:processSimulationInfo embedded
 * in a BPMN file) -> gemel process-simulation JSON.
 *
 * The QBP schema (Schema201212) fixes the meaning of the numbers: every
 * duration and interarrival value is in seconds (a distribution's
 * <qbp:timeUnit> only records what the BIMP user interface shows); arg1 is
 * the mean of EXPONENTIAL, the standard deviation of NORMAL, the variance of
 * GAMMA and LOGNORMAL, the minimum of UNIFORM and TRIANGULAR; arg2 their
 * maximum; mean is the value of FIXED and the mode of TRIANGULAR.
 */
#include "procimport/procimport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/vec.h"
#include "base/xml.h"
#include "procimport/import_int.h"

#define QBP_NS "http://www.qbp-simulator.com/Schema201212"
#define DAY PROCIMPORT__DAY

typedef struct qres {
    const char *id;
    char pool[PROCIMPORT__NAME_MAX + 1];
    int64_t amount;
    double cph;
    const char *ttid;
    const gm_xml_node *node;
    bool used;
} qres;

typedef struct ql {
    const gm_bpmn *m;
    gm_err *err;
    const char *file;
    size_t proc;
    int start_off; /* minutes: calendars are local time at this offset */
    gm_vec res;    /* qres */
    gm_vec tt;     /* procimport__tt */
    gm_map *res_idx, *tt_idx; /* ids -> indices into res, tt */
    json_t *pool_names, *cal_names, *tasks, *gateways, *events;
    bool *seen;
} ql;

/* The QBP elements under n. */
#define FOR_QBP(c, n) for (const gm_xml_node *c = gm_xml_first(n, QBP_NS, NULL); c; \
                           c = gm_xml_next(c, QBP_NS, NULL))

static bool named(const gm_xml_node *n, const char *name)
{
    return strcmp(gm_xml_local(n), name) == 0;
}

static int nomem(ql *L)
{
    return gm_err_set(L->err, GM_ENOMEM, L->file, "out of memory");
}

static int unsupported(ql *L, const gm_xml_node *n, const char *why)
{
    return gm_xml_err(L->err, GM_EUNSUPPORTED, n, "QBP element <%s> is not supported by gemel%s%s",
                      gm_xml_local(n), why ? ": " : "", why ? why : "");
}

/* ---- distributions ---- */

static int set_num(ql *L, json_t *d, const char *key, double v)
{
    if (json_object_set_new(d, key, procimport__num(v)))
        return nomem(L);
    return 0;
}

static int histogram(ql *L, const gm_xml_node *bins, json_t *d)
{
    json_t *values = json_array(), *weights = json_array();
    int rc = 0;
    if (!values || !weights || json_object_set(d, "values", values) ||
        json_object_set(d, "weights", weights)) {
        rc = nomem(L);
        goto done;
    }
    FOR_QBP(b, bins)
    {
        if (!named(b, "histogramData")) {
            rc = unsupported(L, b, "expected <histogramData>");
            break;
        }
        double p, v;
        if ((rc = gm_xml_attr_double(b, "probability", 0, 100, &p, NULL, L->err)))
            break;
        const gm_xml_node *dist = NULL;
        FOR_QBP(c, b)
        {
            if (named(c, "distribution"))
                dist = c;
        }
        const char *type;
        if (!dist) {
            rc = gm_xml_err(L->err, GM_EINVAL, b, "<histogramData> has no <distribution>");
            break;
        }
        if ((rc = gm_xml_attr_req(dist, "type", &type, L->err)))
            break;
        /* A bin of fixed values is an empirical distribution; gemel has no
           mixture of continuous distributions. */
        if (strcmp(type, "FIXED") != 0) {
            rc = unsupported(L, dist, "a HISTOGRAM bin must be FIXED (gemel has no mixtures)");
            break;
        }
        bool given;
        if ((rc = gm_xml_attr_double(dist, "mean", -HUGE_VAL, HUGE_VAL, &v, &given, L->err)))
            break;
        if (!given) {
            rc = gm_xml_err(L->err, GM_EINVAL, dist, "a FIXED distribution needs the attribute mean");
            break;
        }
        if (json_array_append_new(values, procimport__num(v)) ||
            json_array_append_new(weights, procimport__num(p))) {
            rc = nomem(L);
            break;
        }
    }
    if (!rc && json_array_size(values) == 0)
        rc = gm_xml_err(L->err, GM_EINVAL, bins, "HISTOGRAM without bins");
done:
    json_decref(values);
    json_decref(weights);
    return rc;
}

/* The distribution element n (durationDistribution, arrivalRateDistribution). */
static int q_dist(ql *L, const gm_xml_node *n, json_t **out)
{
    *out = NULL;
    const char *type;
    double mean = 0, a1 = 0, a2 = 0;
    bool hm, h1, h2;
    int rc;
    if ((rc = gm_xml_attr_req(n, "type", &type, L->err)))
        return rc;
    json_t *d = json_object();
    const gm_xml_node *bins = NULL;
    if (!d)
        return nomem(L);
    if ((rc = gm_xml_attr_double(n, "mean", -HUGE_VAL, HUGE_VAL, &mean, &hm, L->err)) ||
        (rc = gm_xml_attr_double(n, "arg1", -HUGE_VAL, HUGE_VAL, &a1, &h1, L->err)) ||
        (rc = gm_xml_attr_double(n, "arg2", -HUGE_VAL, HUGE_VAL, &a2, &h2, L->err)))
        goto fail;
    FOR_QBP(c, n)
    {
        if (named(c, "timeUnit"))
            continue; /* a user-interface preference, values are seconds */
        if (!named(c, "histogramDataBins")) {
            rc = unsupported(L, c, NULL);
            goto fail;
        }
        bins = c;
    }
    const char *need = NULL;
    const char *dist;
    if (strcmp(type, "FIXED") == 0) {
        dist = "constant";
        need = hm ? NULL : "mean";
        rc = set_num(L, d, "value", mean);
    } else if (strcmp(type, "EXPONENTIAL") == 0) {
        dist = "exponential";
        need = h1 ? NULL : "arg1";
        rc = set_num(L, d, "mean", a1);
    } else if (strcmp(type, "NORMAL") == 0) {
        /* A zero standard deviation is a fixed value. Durations are never
           negative: a normal truncated at 0 (negative draws drawn again). */
        dist = h1 && a1 == 0 ? "constant" : "truncated-normal";
        need = !hm ? "mean" : !h1 ? "arg1" : NULL;
        if (a1 == 0)
            rc = set_num(L, d, "value", mean);
        else if (!(rc = set_num(L, d, "mean", mean)) && !(rc = set_num(L, d, "sd", a1)))
            rc = set_num(L, d, "min", 0);
    } else if (strcmp(type, "UNIFORM") == 0) {
        dist = "uniform";
        need = !h1 ? "arg1" : !h2 ? "arg2" : NULL;
        if (!(rc = set_num(L, d, "min", a1)))
            rc = set_num(L, d, "max", a2);
    } else if (strcmp(type, "TRIANGULAR") == 0) {
        dist = "triangular";
        need = !hm ? "mean" : !h1 ? "arg1" : !h2 ? "arg2" : NULL;
        if (!(rc = set_num(L, d, "min", a1)) && !(rc = set_num(L, d, "mode", mean)))
            rc = set_num(L, d, "max", a2);
    } else if (strcmp(type, "LOGNORMAL") == 0 || strcmp(type, "GAMMA") == 0) {
        /* mean and variance of the variable itself */
        dist = type[0] == 'L' ? "lognormal" : "gamma";
        need = !hm ? "mean" : !h1 ? "arg1" : NULL;
        if (a1 < 0) {
            rc = gm_xml_err(L->err, GM_EINVAL, n, "arg1 (the variance of %s) must be >= 0, got %g",
                            type, a1);
            goto fail;
        }
        if (!(rc = set_num(L, d, "mean", mean)))
            rc = set_num(L, d, "sd", sqrt(a1));
    } else if (strcmp(type, "HISTOGRAM") == 0) {
        dist = "empirical-discrete";
        if (!bins) {
            rc = gm_xml_err(L->err, GM_EINVAL, n, "HISTOGRAM without <histogramDataBins>");
            goto fail;
        }
        rc = histogram(L, bins, d);
    } else {
        rc = gm_xml_err(L->err, GM_EINVAL, n,
                        "unknown distribution type '%.40s'; expected FIXED, EXPONENTIAL, "
                        "NORMAL, UNIFORM, TRIANGULAR, LOGNORMAL, GAMMA or HISTOGRAM",
                        type);
        goto fail;
    }
    if (rc)
        goto fail;
    if (need) {
        rc = gm_xml_err(L->err, GM_EINVAL, n, "a %s distribution needs the attribute %s", type,
                        need);
        goto fail;
    }
    /* "dist" first, then the parameters in the order set above. */
    json_t *ordered = json_pack("{s:s}", "dist", dist);
    if (!ordered || json_object_update(ordered, d)) {
        json_decref(ordered);
        rc = nomem(L);
        goto fail;
    }
    json_decref(d);
    d = ordered;
    gm_err e;
    if ((rc = procimport__check_dist(d, &e))) {
        rc = rc == GM_ENOMEM ? nomem(L)
                             : gm_xml_err(L->err, rc, n, "invalid %s distribution: %s", type,
                                          e.what);
        goto fail;
    }
    if (json_object_set_new(d, "unit", json_string("seconds"))) {
        rc = nomem(L);
        goto fail;
    }
    *out = d;
    return 0;
fail:
    json_decref(d);
    return rc;
}

/* ---- resources and timetables ---- */

static int weekday(ql *L, const gm_xml_node *n, const char *attr, const char *dflt, int *day)
{
    const char *t;
    int rc = gm_xml_attr(n, attr, &t, L->err);
    if (rc)
        return rc;
    const char *s = t ? t : dflt;
    if (!s)
        return gm_xml_err(L->err, GM_EINVAL, n, "<%s> needs the attribute %s", gm_xml_local(n),
                          attr);
    return procimport__weekday(n, attr, s, day, L->err);
}

/* Seconds after midnight, a wall-clock time in the start's local time.
   An offset written after the time is not applied: BIMP's simulation
   editor writes the time the modeller typed followed by a constant
   "+00:00", whatever the modeller's zone (its startDateTime carries the
   real offset), and Prosimos, the same group's successor of the QBP
   simulator, reads these times as wall-clock times too. Applying the
   offset moved a 09:00 shift to 12:00 for a start at +03:00. */
static int rule_time(ql *L, const gm_xml_node *n, const char *attr, int64_t *sec)
{
    const char *t;
    int rc = gm_xml_attr_req(n, attr, &t, L->err);
    if (rc)
        return rc;
    bool has_off;
    int off;
    if (gm_time_parse_time_of_day(t, true, sec, &has_off, &off, NULL))
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "%s: expected a time HH:MM[:SS[.fff]][+hh:mm], got '%.40s'", attr, t);
    return 0;
}

/* A rule is a daily window from fromTime to toTime on each day from
   fromWeekDay to toWeekDay (one day when toWeekDay is absent); a window
   whose end is before its start runs past midnight. */
static int parse_rule(ql *L, const gm_xml_node *n, procimport__tt *tt)
{
    const char *from_day;
    int d0, d1, rc;
    int64_t f, t;
    if ((rc = gm_xml_attr(n, "fromWeekDay", &from_day, L->err)) ||
        (rc = weekday(L, n, "fromWeekDay", NULL, &d0)) ||
        (rc = weekday(L, n, "toWeekDay", from_day, &d1)) ||
        (rc = rule_time(L, n, "fromTime", &f)) || (rc = rule_time(L, n, "toTime", &t)))
        return rc;
    int ndays = (d1 - d0 + 7) % 7 + 1;
    for (int k = 0; k < ndays && t != f; k++) {
        int64_t base = (int64_t)((d0 + k) % 7) * DAY;
        if ((rc = procimport__tt_window(tt, n, base + f, base + (t > f ? t : t + DAY), L->err)))
            return rc;
    }
    return 0;
}

static int parse_timetables(ql *L, const gm_xml_node *tts)
{
    int rc;
    FOR_QBP(n, tts)
    {
        if (!named(n, "timetable"))
            return unsupported(L, n, "expected <timetable>");
        const char *id;
        procimport__tt *mine;
        if ((rc = gm_xml_attr_req(n, "id", &id, L->err)) ||
            (rc = procimport__tt_add(&L->tt, L->tt_idx, n, id, &mine, L->err)))
            return rc;
        /* The "default" flag marks BIMP's default timetable; arrivals are
           not restricted by it here. */
        FOR_QBP(rs, n)
        {
            if (!named(rs, "rules"))
                return unsupported(L, rs, "expected <rules>");
            FOR_QBP(r, rs)
            {
                if (!named(r, "rule"))
                    return unsupported(L, r, "expected <rule>");
                if ((rc = parse_rule(L, r, mine)))
                    return rc;
            }
        }
    }
    return 0;
}

static int parse_resources(ql *L, const gm_xml_node *rs)
{
    int rc;
    FOR_QBP(n, rs)
    {
        if (!named(n, "resource"))
            return unsupported(L, n, "expected <resource>");
        qres r = {.node = n};
        if ((rc = gm_xml_attr_req(n, "id", &r.id, L->err)))
            return rc;
        if ((rc = procimport__index_put(L->res_idx, r.id, L->res.len)))
            return rc == GM_EEXIST
                       ? gm_xml_err(L->err, GM_EINVAL, n, "duplicate resource '%s'", r.id)
                       : nomem(L);
        const char *name;
        bool given;
        if ((rc = gm_xml_attr_int(n, "totalAmount", 1, 1000000, &r.amount, NULL, L->err)) ||
            (rc = gm_xml_attr_double(n, "costPerHour", 0, HUGE_VAL, &r.cph, &given, L->err)) ||
            (rc = gm_xml_attr(n, "timetableId", &r.ttid, L->err)) ||
            (rc = gm_xml_attr(n, "name", &name, L->err)))
            return rc;
        if (procimport__unique_name(L->pool_names, name && *name ? name : r.id, "resource",
                                    "case", r.pool) ||
            gm_vec_push(&L->res, &r))
            return nomem(L);
        const gm_xml_node *c = gm_xml_first(n, QBP_NS, NULL);
        if (c)
            return unsupported(L, c, NULL);
    }
    return 0;
}

/* ---- elements and sequence flows ---- */

/* The one <resourceId> of an element's <resourceIds> (BIMP assigns one). */
static int resource_id(ql *L, const gm_xml_node *ids, const gm_xml_node **rid)
{
    FOR_QBP(r, ids)
    {
        if (!named(r, "resourceId"))
            return unsupported(L, r, "expected <resourceId>");
        if (*rid)
            return unsupported(L, r, "BIMP assigns one resource per element");
        *rid = r;
    }
    return 0;
}

/* The pool named by <resourceId> rid. */
static int pool_of(ql *L, const gm_xml_node *rid, const char **pool)
{
    const char *t;
    int rc = gm_xml_text(rid, &t, L->err);
    if (rc)
        return rc;
    size_t ri = procimport__index_get(L->res_idx, t);
    if (ri == SIZE_MAX)
        return gm_xml_err(L->err, GM_EINVAL, rid, "resourceId '%.80s' does not name a <resource>",
                          t);
    qres *r = (qres *)L->res.data + ri;
    r->used = true;
    *pool = r->pool;
    return 0;
}

/* The node elementId names: of the simulated process, configured once. */
static int element_node(ql *L, const gm_xml_node *n, const gm_bpmn_node **out)
{
    const char *id;
    int rc = gm_xml_attr_req(n, "elementId", &id, L->err);
    if (rc)
        return rc;
    size_t i = gm_bpmn_find_node(L->m, id);
    const gm_bpmn_node *nd = i == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(L->m, i);
    if (!nd)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "elementId '%s' does not name an element of the BPMN model", id);
    if (nd->process != L->proc)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "elementId '%s' belongs to process '%s', not to the simulated one", id,
                          gm_bpmn_process_at(L->m, nd->process)->id);
    if (L->seen[i])
        return gm_xml_err(L->err, GM_EINVAL, n, "elementId '%s' is configured twice", id);
    L->seen[i] = true;
    *out = nd;
    return 0;
}

static int parse_element(ql *L, const gm_xml_node *n)
{
    const gm_bpmn_node *nd = NULL;
    int rc = element_node(L, n, &nd);
    if (rc || !nd) /* element_node sets nd whenever it succeeds */
        return rc ? rc : GM_EINTERNAL;
    bool task = nd->kind == GM_BPMN_TASK || nd->kind == GM_BPMN_CALL_ACTIVITY;
    bool sub = nd->kind == GM_BPMN_SUBPROCESS;
    bool catch = nd->kind == GM_BPMN_CATCH_EVENT;
    bool timer = nd->kind == GM_BPMN_BOUNDARY_EVENT && nd->trigger == GM_BPMN_TRIGGER_TIMER;
    if (!task && !sub && !catch && !timer) {
        if (nd->kind == GM_BPMN_BOUNDARY_EVENT)
            return gm_xml_err(L->err, GM_EUNSUPPORTED, n,
                              "a QBP duration for the %s boundary event '%s' is not supported "
                              "(only timer boundary events)",
                              gm_bpmn_trigger_name(nd->trigger), nd->id);
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "elementId '%s' names a BPMN %s; expected a task, sub-process or "
                          "intermediate catch event",
                          nd->id, nd->element);
    }
    double cost = 0;
    bool given, as_task;
    if ((rc = gm_xml_attr_double(n, "fixedCost", 0, HUGE_VAL, &cost, &given, L->err)) ||
        (rc = gm_xml_attr_bool(n, "simulateAsTask", false, &as_task, L->err)))
        return rc;
    if (sub && as_task)
        return gm_xml_err(L->err, GM_EUNSUPPORTED, n,
                          "simulateAsTask on sub-process '%s' is not supported (gemel runs a "
                          "sub-process's contents)",
                          nd->id);
    json_t *dur = NULL, *entry = json_object();
    const gm_xml_node *rid = NULL;
    if (!entry)
        return nomem(L);
    FOR_QBP(c, n)
    {
        if (named(c, "durationThresholdTimeUnit"))
            continue;
        if (named(c, "durationDistribution")) {
            if (dur)
                rc = gm_xml_err(L->err, GM_EINVAL, c, "<durationDistribution> given twice");
            else if (!sub) /* BIMP ignores it unless simulateAsTask */
                rc = q_dist(L, c, &dur);
        } else if (named(c, "resourceIds")) {
            rc = resource_id(L, c, &rid);
        } else {
            rc = unsupported(L, c, NULL);
        }
        if (rc)
            goto done;
    }
    if (task && !dur) {
        rc = gm_xml_err(L->err, GM_EINVAL, n, "task '%s' has no <durationDistribution>", nd->id);
        goto done;
    }
    if (rid && !task) {
        rc = unsupported(L, rid, "resources are assigned to tasks only");
        goto done;
    }
    if (cost > 0 && !task && !sub) {
        rc = gm_xml_err(L->err, GM_EUNSUPPORTED, n, "a fixedCost on event '%s' is not supported",
                        nd->id);
        goto done;
    }
    const char *pool = NULL;
    if (rid && (rc = pool_of(L, rid, &pool)))
        goto done;
    if (catch || timer) {
        if (dur && json_object_set_new(L->events, nd->id,
                                       json_pack("{s:O}", catch ? "delay" : "after", dur)))
            rc = nomem(L);
        goto done;
    }
    if ((dur && json_object_set(entry, "duration", dur)) ||
        (pool && json_object_set_new(entry, "resource", json_string(pool))) ||
        (cost > 0 && json_object_set_new(entry, "cost", procimport__num(cost))) ||
        (json_object_size(entry) && json_object_set(L->tasks, nd->id, entry)))
        rc = nomem(L);
done:
    json_decref(dur);
    json_decref(entry);
    return rc;
}

/* One <sequenceFlow> of sequenceFlows. */
static int parse_flow(ql *L, const gm_xml_node *n)
{
    const char *id;
    double p = 0;
    int rc = gm_xml_attr_req(n, "elementId", &id, L->err);
    if (rc)
        return rc;
    size_t f = gm_bpmn_find_flow(L->m, id);
    const gm_bpmn_flow *fl = f == GM_BPMN_NONE ? NULL : gm_bpmn_flow_at(L->m, f);
    if (!fl)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "elementId '%s' does not name a sequence flow of the BPMN model", id);
    if (fl->process != L->proc)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "sequence flow '%s' is not in the simulated process", id);
    if ((rc = gm_xml_attr_double(n, "executionProbability", 0, 1, &p, NULL, L->err)))
        return rc;
    const gm_bpmn_node *src = gm_bpmn_node_at(L->m, fl->source);
    if (src->kind != GM_BPMN_EXCLUSIVE_GATEWAY && src->kind != GM_BPMN_INCLUSIVE_GATEWAY) {
        /* A probability of 1 on a flow that is always taken says nothing. */
        if (src->kind == GM_BPMN_EVENT_GATEWAY && p != 1)
            return gm_xml_err(L->err, GM_EUNSUPPORTED, n,
                              "probabilities on the flows of event-based gateway '%s' are not "
                              "supported (the first event wins)",
                              src->id);
        if (p != 1)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "sequence flow '%s' leaves '%s' (%s), not an exclusive or "
                              "inclusive gateway",
                              id, src->id, src->element);
        return 0;
    }
    json_t *g = json_object_get(L->gateways, src->id);
    if (!g) {
        g = json_object();
        if (!g || json_object_set_new(L->gateways, src->id, g))
            return nomem(L);
    }
    if (json_object_get(g, id))
        return gm_xml_err(L->err, GM_EINVAL, n, "sequence flow '%s' given twice", id);
    if (json_object_set_new(g, id, procimport__num(p)))
        return nomem(L);
    return 0;
}

static int parse_flows(ql *L, const gm_xml_node *sfs)
{
    int rc;
    FOR_QBP(n, sfs)
    {
        if (!named(n, "sequenceFlow"))
            return unsupported(L, n, "expected <sequenceFlow>");
        if ((rc = parse_flow(L, n)))
            return rc;
    }
    const char *gid;
    json_t *g;
    json_object_foreach(L->gateways, gid, g)
    {
        const gm_bpmn_node *gw = gm_bpmn_node_at(L->m, gm_bpmn_find_node(L->m, gid));
        double sum = 0;
        for (size_t k = 0; k < gw->nout; k++) {
            const char *fid = gm_bpmn_flow_at(L->m, gw->out[k])->id;
            json_t *v = json_object_get(g, fid);
            if (!v)
                return gm_xml_err(L->err, GM_EINVAL, sfs,
                                  "gateway '%s' has no executionProbability for its outgoing "
                                  "flow '%s'",
                                  gid, fid);
            sum += json_number_value(v);
        }
        if (gw->kind == GM_BPMN_EXCLUSIVE_GATEWAY && fabs(sum - 1) > 1e-6)
            return gm_xml_err(L->err, GM_EINVAL, sfs,
                              "the executionProbability values of exclusive gateway '%s' add up "
                              "to %g, expected 1",
                              gid, sum);
    }
    return 0;
}

/* ---- the whole ---- */

static int cal_ref(ql *L, const gm_xml_node *n, const char *ttid, const char **cal)
{
    size_t i = procimport__index_get(L->tt_idx, ttid);
    if (i == SIZE_MAX)
        return gm_xml_err(L->err, GM_EINVAL, n, "timetableId '%s' does not name a <timetable>",
                          ttid);
    procimport__tt *t = (procimport__tt *)L->tt.data + i;
    t->used = true;
    *cal = t->cal;
    return 0;
}

static int finish(ql *L, json_t *out)
{
    json_t *pools = json_array();
    int rc = 0;
    if (!pools)
        return nomem(L);
    const qres *res = L->res.data;
    for (size_t i = 0; i < L->res.len && !rc; i++) {
        if (!res[i].used)
            continue;
        const char *cal = NULL;
        if (res[i].ttid && (rc = cal_ref(L, res[i].node, res[i].ttid, &cal)))
            break;
        json_t *p = json_pack("{s:s, s:I, s:o}", "name", res[i].pool, "count",
                              (json_int_t)res[i].amount, "cost_per_hour",
                              procimport__num(res[i].cph));
        if (!p || json_array_append_new(pools, p) ||
            (cal && json_object_set_new(p, "calendar", json_string(cal))))
            rc = nomem(L);
    }
    if (!rc)
        rc = procimport__finish(out, &L->tt, pools, L->tasks, L->gateways, L->events, L->file,
                                L->err);
    json_decref(pools);
    return rc;
}

/* Scenario attributes: process, cases, start. */
static int scenario(ql *L, const gm_xml_node *psi, json_t *out)
{
    const char *pid, *start;
    int64_t cases;
    int rc;
    if ((rc = gm_xml_attr(psi, "processId", &pid, L->err)))
        return rc;
    L->proc = GM_BPMN_NONE;
    if (pid) {
        for (size_t i = 0; i < gm_bpmn_nprocesses(L->m); i++)
            if (strcmp(gm_bpmn_process_at(L->m, i)->id, pid) == 0)
                L->proc = i;
        if (L->proc == GM_BPMN_NONE)
            return gm_xml_err(L->err, GM_EINVAL, psi,
                              "processId '%s' does not name a process of the BPMN model", pid);
    } else if (gm_bpmn_nprocesses(L->m) == 1) {
        L->proc = 0;
    } else {
        return gm_xml_err(L->err, GM_EINVAL, psi,
                          "the model has %zu processes and processSimulationInfo names none "
                          "(processId)",
                          gm_bpmn_nprocesses(L->m));
    }
    if ((rc = gm_xml_attr_int(psi, "processInstances", 1, 1000000000, &cases, NULL, L->err)) ||
        (rc = gm_xml_attr(psi, "startDateTime", &start, L->err)))
        return rc;
    if (json_object_set_new(out, "cases", json_integer((json_int_t)cases)))
        return nomem(L);
    if (!start)
        return 0;
    int64_t ns;
    bool has_off, region;
    gm_err e;
    char text[GM_TIME_RFC3339_MAX];
    if ((rc = gm_time_parse_datetime(start, 0, &ns, &has_off, &L->start_off, &region, &e)))
        return gm_xml_err(L->err, rc, psi, "startDateTime: %s", e.what);
    if (gm_time_format_rfc3339(ns, L->start_off, GM_TIME_FRAC_AUTO, text, sizeof text) < 0)
        return gm_xml_err(L->err, GM_ERANGE, psi, "startDateTime out of range");
    if (json_object_set_new(out, "start", json_string(text)))
        return nomem(L);
    return 0;
}

static int stats_options(ql *L, const gm_xml_node *n)
{
    static const char *const trims[] = {"trimStartProcessInstances", "trimEndProcessInstances"};
    for (size_t i = 0; i < 2; i++) {
        double v = 0;
        bool given;
        int rc = gm_xml_attr_double(n, trims[i], -HUGE_VAL, HUGE_VAL, &v, &given, L->err);
        if (rc)
            return rc;
        if (v != 0)
            return gm_xml_err(L->err, GM_EUNSUPPORTED, n,
                              "%s is not supported (use warmup_cases)", trims[i]);
    }
    return 0;
}

static int parse_psi(ql *L, const gm_xml_node *psi, json_t *out)
{
    int rc;
    if ((rc = scenario(L, psi, out)))
        return rc;
    /* Resources and timetables first: elements refer to them. */
    FOR_QBP(n, psi)
    {
        if (named(n, "resources"))
            rc = parse_resources(L, n);
        else if (named(n, "timetables"))
            rc = parse_timetables(L, n);
        if (rc)
            return rc;
    }
    if (procimport__tt_names(&L->tt, L->cal_names))
        return nomem(L);
    json_t *arrival = NULL;
    FOR_QBP(n, psi)
    {
        if (named(n, "resources") || named(n, "timetables"))
            continue;
        if (named(n, "arrivalRateDistribution")) {
            if (arrival)
                rc = gm_xml_err(L->err, GM_EINVAL, n, "<arrivalRateDistribution> given twice");
            else
                rc = q_dist(L, n, &arrival);
        } else if (named(n, "elements")) {
            FOR_QBP(e, n)
            {
                if ((rc = named(e, "element") ? parse_element(L, e)
                                              : unsupported(L, e, "expected <element>")))
                    break;
            }
        } else if (named(n, "sequenceFlows")) {
            rc = parse_flows(L, n);
        } else if (named(n, "statsOptions")) {
            rc = stats_options(L, n);
        } else {
            rc = unsupported(L, n, NULL);
        }
        if (rc)
            goto done;
    }
    if (!arrival) {
        rc = gm_xml_err(L->err, GM_EINVAL, psi, "no <arrivalRateDistribution>");
        goto done;
    }
    size_t nstarts = 0;
    for (size_t i = 0; i < gm_bpmn_nnodes(L->m); i++) {
        const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, i);
        nstarts += nd->process == L->proc && nd->parent == GM_BPMN_NONE &&
                   nd->kind == GM_BPMN_START_EVENT;
    }
    /* BIMP starts every start event of a new instance together; gemel's
       several start events are independent arrival streams. */
    if (nstarts > 1) {
        rc = gm_xml_err(L->err, GM_EUNSUPPORTED, psi,
                        "process '%s' has %zu start events; BIMP starts them all in one "
                        "instance, which gemel does not simulate",
                        gm_bpmn_process_at(L->m, L->proc)->id, nstarts);
        goto done;
    }
    if (json_object_set_new(out, "arrivals", json_pack("{s:O}", "interarrival", arrival))) {
        rc = nomem(L);
        goto done;
    }
    rc = finish(L, out);
done:
    json_decref(arrival);
    return rc;
}

static int convert(const gm_bpmn *m, const gm_xml *doc, json_t **out, gm_err *err)
{
    ql L = {.m = m, .err = err, .file = gm_xml_doc_name(doc)};
    gm_vec_init(&L.res, sizeof(qres));
    gm_vec_init(&L.tt, sizeof(procimport__tt));
    json_t *res = NULL;
    int rc;
    const gm_xml_node *root = gm_xml_root(doc), *psi = NULL;
    size_t n = 0;
    for (const gm_xml_node *e = root; e; e = gm_xml_walk(root, e))
        if (gm_xml_is(e, QBP_NS, "processSimulationInfo") && n++ == 0)
            psi = e;
    if (n == 0)
        return gm_err_set(err, GM_ENOENT, L.file,
                          "no <qbp:processSimulationInfo> (BIMP simulation parameters, namespace "
                          "%s) in this file",
                          QBP_NS);
    if (n > 1)
        return gm_xml_err(err, GM_EUNSUPPORTED, psi,
                          "%zu processSimulationInfo elements; gemel converts one", n);
    L.pool_names = json_object();
    L.cal_names = json_object();
    L.tasks = json_object();
    L.gateways = json_object();
    L.events = json_object();
    L.res_idx = gm_map_create(GM_MAP_STR);
    L.tt_idx = gm_map_create(GM_MAP_STR);
    L.seen = calloc(gm_bpmn_nnodes(m) + 1, sizeof *L.seen);
    res = json_pack("{s:s, s:s}", "type", "process-simulation", "time_unit", "minutes");
    if (!L.pool_names || !L.cal_names || !L.tasks || !L.gateways || !L.events || !L.res_idx ||
        !L.tt_idx || !L.seen || !res) {
        rc = nomem(&L);
        goto fail;
    }
    if ((rc = parse_psi(&L, psi, res)))
        goto fail;
    *out = res;
    res = NULL;
fail:
    json_decref(res);
    gm_vec_free(&L.res);
    procimport__tt_free(&L.tt);
    json_decref(L.pool_names);
    json_decref(L.cal_names);
    json_decref(L.tasks);
    json_decref(L.gateways);
    json_decref(L.events);
    gm_map_destroy(L.res_idx);
    gm_map_destroy(L.tt_idx);
    free(L.seen);
    return rc;
}

int gm_bimp_load(const gm_bpmn *m, const char *bpmn_path, json_t **out, gm_err *err)
{
    *out = NULL;
    gm_xml *doc = NULL;
    int rc = gm_xml_load_file(bpmn_path, NULL, &doc, err);
    if (!rc)
        rc = convert(m, doc, out, err);
    gm_xml_free(doc);
    return rc;
}

int gm_bimp_load_mem(const gm_bpmn *m, const char *buf, size_t len, const char *name,
                     json_t **out, gm_err *err)
{
    *out = NULL;
    gm_xml *doc = NULL;
    int rc = gm_xml_load_mem(buf, len, name, NULL, &doc, err);
    if (!rc)
        rc = convert(m, doc, out, err);
    gm_xml_free(doc);
    return rc;
}
