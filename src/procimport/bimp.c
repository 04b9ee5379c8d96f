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

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/strconv.h"
#include "base/time.h"
#include "base/vec.h"

#define QBP_NS "http://www.qbp-simulator.com/Schema201212"
#define DAY 86400

typedef struct qres {
    char *id;
    char pool[SIM__NAME_MAX + 1];
    int64_t amount;
    double cph;
    char *ttid;
    const xmlNode *node;
    bool used;
} qres;

typedef struct qtt {
    char *id;
    char cal[SIM__NAME_MAX + 1];
    const xmlNode *node;
    sim__week week;
    bool used;
} qtt;

typedef struct ql {
    const gm_bpmn *m;
    gm_err *err;
    const char *file;
    size_t proc;
    int start_off; /* minutes: calendars are local time at this offset */
    gm_vec res;    /* qres */
    gm_vec tt;     /* qtt */
    gm_map *res_idx, *tt_idx; /* ids -> indices into res, tt */
    json_t *pool_names, *cal_names, *tasks, *gateways, *events;
    bool *seen;
} ql;

static bool q_ns(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           xmlStrEqual(n->ns->href, (const xmlChar *)QBP_NS);
}

static bool named(const xmlNode *n, const char *name)
{
    return strcmp((const char *)n->name, name) == 0;
}

static int nomem(ql *L)
{
    return gm_err_set(L->err, GM_ENOMEM, L->file, "out of memory");
}

static int unsupported(ql *L, const xmlNode *n, const char *why)
{
    return sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                        "QBP element <%s> is not supported by gemel%s%s",
                        (const char *)n->name, why ? ": " : "", why ? why : "");
}

static int opt_attr(ql *L, const xmlNode *n, const char *name, char **out)
{
    bool oom = false;
    *out = sim__xml_attr(n, name, &oom);
    return oom ? nomem(L) : 0;
}

static int req_attr(ql *L, const xmlNode *n, const char *name, char **out)
{
    int rc = opt_attr(L, n, name, out);
    if (!rc && !*out)
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n, "<%s> needs the attribute %s",
                          (const char *)n->name, name);
    return rc;
}

/* Optional numeric attribute: *given false and *out untouched when absent. */
static int num_attr(ql *L, const xmlNode *n, const char *name, double lo, double hi,
                    double *out, bool *given)
{
    char *t;
    int rc = opt_attr(L, n, name, &t);
    *given = t != NULL;
    if (rc || !t)
        return rc;
    if (gm_parse_double(t, lo, hi, out, NULL, NULL)) {
        if (lo <= -1e300)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "%s: expected a number, got '%.40s'", name, t);
        else if (hi >= 1e300)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "%s: expected a number >= %g, got '%.40s'", name, lo, t);
        else
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "%s: expected a number in [%g, %g], got '%.40s'", name, lo, hi, t);
    }
    free(t);
    return rc;
}

static int int_attr(ql *L, const xmlNode *n, const char *name, int64_t lo, int64_t hi,
                    int64_t *out)
{
    char *t;
    int rc = req_attr(L, n, name, &t);
    if (rc)
        return rc;
    if (gm_parse_i64(t, lo, hi, out, NULL, NULL))
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "%s: expected an integer in [%lld, %lld], got '%.40s'", name,
                          (long long)lo, (long long)hi, t);
    free(t);
    return rc;
}

static bool attr_true(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    bool r = v && (xmlStrEqual(v, (const xmlChar *)"true") || xmlStrEqual(v, (const xmlChar *)"1"));
    xmlFree(v);
    return r;
}

/* ---- distributions ---- */

static int set_num(ql *L, json_t *d, const char *key, double v)
{
    if (json_object_set_new(d, key, sim__num(v)))
        return nomem(L);
    return 0;
}

static int histogram(ql *L, const xmlNode *bins, json_t *d)
{
    json_t *values = json_array(), *weights = json_array();
    int rc = 0;
    if (!values || !weights || json_object_set(d, "values", values) ||
        json_object_set(d, "weights", weights)) {
        rc = nomem(L);
        goto done;
    }
    for (const xmlNode *b = bins->children; b && !rc; b = b->next) {
        if (!q_ns(b))
            continue;
        if (!named(b, "histogramData")) {
            rc = unsupported(L, b, "expected <histogramData>");
            break;
        }
        double p, v;
        bool given;
        if ((rc = num_attr(L, b, "probability", 0, 100, &p, &given)))
            break;
        if (!given) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, b,
                              "<histogramData> needs the attribute probability");
            break;
        }
        const xmlNode *dist = NULL;
        for (const xmlNode *c = b->children; c; c = c->next)
            if (q_ns(c) && named(c, "distribution"))
                dist = c;
        char *type = NULL;
        if (!dist) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, b,
                              "<histogramData> has no <distribution>");
            break;
        }
        if ((rc = req_attr(L, dist, "type", &type)))
            break;
        /* A bin of fixed values is an empirical distribution; gemel has no
           mixture of continuous distributions. */
        if (strcmp(type, "FIXED") != 0)
            rc = unsupported(L, dist, "a HISTOGRAM bin must be FIXED (gemel has no mixtures)");
        free(type);
        if (rc || (rc = num_attr(L, dist, "mean", -1e300, 1e300, &v, &given)))
            break;
        if (!given)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, dist,
                              "a FIXED distribution needs the attribute mean");
        else if (json_array_append_new(values, sim__num(v)) ||
                 json_array_append_new(weights, sim__num(p)))
            rc = nomem(L);
    }
    if (!rc && json_array_size(values) == 0)
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, bins, "HISTOGRAM without bins");
done:
    json_decref(values);
    json_decref(weights);
    return rc;
}

/* The distribution element n (durationDistribution, arrivalRateDistribution). */
static int q_dist(ql *L, const xmlNode *n, json_t **out)
{
    *out = NULL;
    char *type;
    double mean = 0, a1 = 0, a2 = 0;
    bool hm, h1, h2;
    int rc;
    if ((rc = req_attr(L, n, "type", &type)))
        return rc;
    json_t *d = json_object();
    const xmlNode *bins = NULL;
    if (!d) {
        rc = nomem(L);
        goto fail;
    }
    if ((rc = num_attr(L, n, "mean", -1e300, 1e300, &mean, &hm)) ||
        (rc = num_attr(L, n, "arg1", -1e300, 1e300, &a1, &h1)) ||
        (rc = num_attr(L, n, "arg2", -1e300, 1e300, &a2, &h2)))
        goto fail;
    for (const xmlNode *c = n->children; c && !rc; c = c->next) {
        if (!q_ns(c) || named(c, "timeUnit"))
            continue; /* timeUnit: a user-interface preference, values are seconds */
        if (named(c, "histogramDataBins"))
            bins = c;
        else
            rc = unsupported(L, c, NULL);
    }
    if (rc)
        goto fail;
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
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "arg1 (the variance of %s) must be >= 0, got %g", type, a1);
            goto fail;
        }
        if (!(rc = set_num(L, d, "mean", mean)))
            rc = set_num(L, d, "sd", sqrt(a1));
    } else if (strcmp(type, "HISTOGRAM") == 0) {
        dist = "empirical-discrete";
        if (!bins) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n, "HISTOGRAM without <histogramDataBins>");
            goto fail;
        }
        rc = histogram(L, bins, d);
    } else {
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "unknown distribution type '%.40s'; expected FIXED, EXPONENTIAL, "
                          "NORMAL, UNIFORM, TRIANGULAR, LOGNORMAL, GAMMA or HISTOGRAM",
                          type);
        goto fail;
    }
    if (rc)
        goto fail;
    if (need) {
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "a %s distribution needs the attribute %s", type, need);
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
    if ((rc = sim__check_dist(d, &e))) {
        rc = rc == GM_ENOMEM ? nomem(L)
                             : sim__xml_err(L->err, rc, L->file, n, "invalid %s distribution: %s",
                                            type, e.what);
        goto fail;
    }
    if (json_object_set_new(d, "unit", json_string("seconds"))) {
        rc = nomem(L);
        goto fail;
    }
    free(type);
    *out = d;
    return 0;
fail:
    free(type);
    json_decref(d);
    return rc;
}

/* ---- resources and timetables ---- */

static int weekday(ql *L, const xmlNode *n, const char *attr, const char *dflt, int *day)
{
    char *t;
    int rc = opt_attr(L, n, attr, &t);
    if (rc)
        return rc;
    const char *s = t ? t : dflt;
    if (!s)
        return sim__xml_err(L->err, GM_EINVAL, L->file, n, "<%s> needs the attribute %s",
                            (const char *)n->name, attr);
    if ((*day = sim__weekday(s)) >= 0) {
        free(t);
        return 0;
    }
    rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                      "%s: expected a day MONDAY..SUNDAY, got '%.40s'", attr, s);
    free(t);
    return rc;
}

/* Seconds after midnight in the start's local time (may leave 0..86400). */
static int rule_time(ql *L, const xmlNode *n, const char *attr, int64_t *sec)
{
    char *t;
    int rc = req_attr(L, n, attr, &t);
    if (rc)
        return rc;
    bool has_off;
    int off;
    if (sim__time_of_day(t, true, sec, &has_off, &off))
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "%s: expected a time HH:MM[:SS[.fff]][+hh:mm], got '%.40s'", attr, t);
    else if (has_off)
        *sec += (int64_t)(L->start_off - off) * 60;
    free(t);
    return rc;
}

/* A rule is a daily window from fromTime to toTime on each day from
   fromWeekDay to toWeekDay (one day when toWeekDay is absent); a window
   whose end is before its start runs past midnight. */
static int parse_rule(ql *L, const xmlNode *n, sim__week *w)
{
    char *from_day;
    int d0, d1, rc;
    int64_t f, t;
    if ((rc = opt_attr(L, n, "fromWeekDay", &from_day)))
        return rc;
    rc = weekday(L, n, "fromWeekDay", NULL, &d0);
    if (!rc)
        rc = weekday(L, n, "toWeekDay", from_day, &d1);
    free(from_day);
    if (rc || (rc = rule_time(L, n, "fromTime", &f)) || (rc = rule_time(L, n, "toTime", &t)))
        return rc;
    int ndays = (d1 - d0 + 7) % 7 + 1;
    for (int k = 0; k < ndays && t != f; k++) {
        int64_t base = (int64_t)((d0 + k) % 7) * DAY;
        if ((rc = sim__week_add_xml(L->err, L->file, n, w, base + f,
                                    base + (t > f ? t : t + DAY))))
            return rc;
    }
    return 0;
}

static int parse_timetables(ql *L, const xmlNode *tts)
{
    int rc;
    for (const xmlNode *n = tts->children; n; n = n->next) {
        if (!q_ns(n))
            continue;
        if (!named(n, "timetable"))
            return unsupported(L, n, "expected <timetable>");
        qtt t;
        memset(&t, 0, sizeof t);
        t.node = n;
        if ((rc = req_attr(L, n, "id", &t.id)))
            return rc;
        if ((rc = sim__index_put(L->tt_idx, t.id, L->tt.len))) {
            rc = rc == GM_EEXIST ? sim__xml_err(L->err, GM_EINVAL, L->file, n,
                                                "duplicate timetable '%s'", t.id)
                                 : nomem(L);
            free(t.id);
            return rc;
        }
        if (gm_vec_push(&L->tt, &t)) {
            free(t.id);
            return nomem(L);
        }
        qtt *mine = (qtt *)L->tt.data + L->tt.len - 1;
        /* The "default" flag marks BIMP's default timetable; arrivals are
           not restricted by it here. */
        for (const xmlNode *rs = n->children; rs; rs = rs->next) {
            if (!q_ns(rs))
                continue;
            if (!named(rs, "rules"))
                return unsupported(L, rs, "expected <rules>");
            for (const xmlNode *r = rs->children; r; r = r->next) {
                if (!q_ns(r))
                    continue;
                if (!named(r, "rule"))
                    return unsupported(L, r, "expected <rule>");
                if ((rc = parse_rule(L, r, &mine->week)))
                    return rc;
            }
        }
    }
    return 0;
}

static int parse_resources(ql *L, const xmlNode *rs)
{
    int rc;
    for (const xmlNode *n = rs->children; n; n = n->next) {
        if (!q_ns(n))
            continue;
        if (!named(n, "resource"))
            return unsupported(L, n, "expected <resource>");
        qres r;
        memset(&r, 0, sizeof r);
        r.node = n;
        if ((rc = req_attr(L, n, "id", &r.id)))
            return rc;
        if ((rc = sim__index_put(L->res_idx, r.id, L->res.len))) {
            rc = rc == GM_EEXIST ? sim__xml_err(L->err, GM_EINVAL, L->file, n,
                                                "duplicate resource '%s'", r.id)
                                 : nomem(L);
            free(r.id);
            return rc;
        }
        if (gm_vec_push(&L->res, &r)) {
            free(r.id);
            return nomem(L);
        }
        qres *me = (qres *)L->res.data + L->res.len - 1;
        char *name;
        bool given;
        if ((rc = int_attr(L, n, "totalAmount", 1, 1000000, &me->amount)) ||
            (rc = num_attr(L, n, "costPerHour", 0, 1e300, &me->cph, &given)) ||
            (rc = opt_attr(L, n, "timetableId", &me->ttid)) ||
            (rc = opt_attr(L, n, "name", &name)))
            return rc;
        rc = sim__unique_name(L->pool_names, name && *name ? name : me->id, "resource", "case",
                              me->pool);
        free(name);
        if (rc)
            return nomem(L);
        for (const xmlNode *c = n->children; c; c = c->next)
            if (q_ns(c))
                return unsupported(L, c, NULL);
    }
    return 0;
}

/* ---- elements and sequence flows ---- */

static int parse_element(ql *L, const xmlNode *n)
{
    char *id;
    int rc = req_attr(L, n, "elementId", &id);
    if (rc)
        return rc;
    size_t i = gm_bpmn_find_node(L->m, id);
    const gm_bpmn_node *nd = i == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(L->m, i);
    if (!nd)
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "elementId '%s' does not name an element of the BPMN model", id);
    else if (nd->process != L->proc)
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                          "elementId '%s' belongs to process '%s', not to the simulated one", id,
                          gm_bpmn_process_at(L->m, nd->process)->id);
    else if (L->seen[i])
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n, "elementId '%s' is configured twice",
                          id);
    free(id);
    if (rc)
        return rc;
    L->seen[i] = true;
    bool task = nd->kind == GM_BPMN_TASK || nd->kind == GM_BPMN_CALL_ACTIVITY;
    bool sub = nd->kind == GM_BPMN_SUBPROCESS;
    bool catch = nd->kind == GM_BPMN_CATCH_EVENT;
    bool timer = nd->kind == GM_BPMN_BOUNDARY_EVENT && nd->trigger == GM_BPMN_TRIGGER_TIMER;
    if (!task && !sub && !catch && !timer) {
        if (nd->kind == GM_BPMN_BOUNDARY_EVENT)
            return sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                                "a QBP duration for the %s boundary event '%s' is not supported "
                                "(only timer boundary events)",
                                gm_bpmn_trigger_name(nd->trigger), nd->id);
        return sim__xml_err(L->err, GM_EINVAL, L->file, n,
                            "elementId '%s' names a BPMN %s; expected a task, sub-process or "
                            "intermediate catch event",
                            nd->id, nd->element);
    }
    double cost = 0;
    bool given;
    if ((rc = num_attr(L, n, "fixedCost", 0, 1e300, &cost, &given)))
        return rc;
    if (sub && attr_true(n, "simulateAsTask"))
        return sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                            "simulateAsTask on sub-process '%s' is not supported (gemel runs "
                            "a sub-process's contents)",
                            nd->id);
    json_t *dur = NULL, *entry = json_object();
    const xmlNode *rid = NULL;
    if (!entry)
        return nomem(L);
    for (const xmlNode *c = n->children; c && !rc; c = c->next) {
        if (!q_ns(c) || named(c, "durationThresholdTimeUnit"))
            continue;
        if (named(c, "durationDistribution")) {
            if (dur)
                rc = sim__xml_err(L->err, GM_EINVAL, L->file, c,
                                  "<durationDistribution> given twice");
            else if (!sub) /* BIMP ignores it unless simulateAsTask */
                rc = q_dist(L, c, &dur);
        } else if (named(c, "resourceIds")) {
            for (const xmlNode *r = c->children; r && !rc; r = r->next) {
                if (!q_ns(r))
                    continue;
                if (!named(r, "resourceId"))
                    rc = unsupported(L, r, "expected <resourceId>");
                else if (rid)
                    rc = unsupported(L, r, "BIMP assigns one resource per element");
                rid = r;
            }
        } else {
            rc = unsupported(L, c, NULL);
        }
    }
    if (rc)
        goto done;
    if (task && !dur) {
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, n, "task '%s' has no <durationDistribution>",
                          nd->id);
        goto done;
    }
    if (rid && !task) {
        rc = unsupported(L, rid, "resources are assigned to tasks only");
        goto done;
    }
    if (cost > 0 && !task && !sub) {
        rc = sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                          "a fixedCost on event '%s' is not supported", nd->id);
        goto done;
    }
    const char *pool = NULL;
    if (rid) {
        char *t = sim__xml_text(rid);
        if (!t) {
            rc = nomem(L);
            goto done;
        }
        size_t ri = sim__index_get(L->res_idx, t);
        if (ri != SIZE_MAX) {
            qres *r = (qres *)L->res.data + ri;
            r->used = true;
            pool = r->pool;
        }
        if (!pool)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, rid,
                              "resourceId '%.80s' does not name a <resource>", t);
        free(t);
        if (rc)
            goto done;
    }
    if (catch || timer) {
        if (dur && json_object_set_new(L->events, nd->id,
                                       json_pack("{s:O}", catch ? "delay" : "after", dur)))
            rc = nomem(L);
        goto done;
    }
    if ((dur && json_object_set(entry, "duration", dur)) ||
        (pool && json_object_set_new(entry, "resource", json_string(pool))) ||
        (cost > 0 && json_object_set_new(entry, "cost", sim__num(cost))) ||
        (json_object_size(entry) && json_object_set(L->tasks, nd->id, entry)))
        rc = nomem(L);
done:
    json_decref(dur);
    json_decref(entry);
    return rc;
}

static int parse_flows(ql *L, const xmlNode *sfs)
{
    int rc = 0;
    for (const xmlNode *n = sfs->children; n && !rc; n = n->next) {
        if (!q_ns(n))
            continue;
        if (!named(n, "sequenceFlow"))
            return unsupported(L, n, "expected <sequenceFlow>");
        char *id;
        double p = 0;
        bool given;
        if ((rc = req_attr(L, n, "elementId", &id)))
            return rc;
        size_t f = gm_bpmn_find_flow(L->m, id);
        const gm_bpmn_flow *fl = f == GM_BPMN_NONE ? NULL : gm_bpmn_flow_at(L->m, f);
        const gm_bpmn_node *src = fl ? gm_bpmn_node_at(L->m, fl->source) : NULL;
        if (!fl)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "elementId '%s' does not name a sequence flow of the BPMN model",
                              id);
        else if (fl->process != L->proc)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "sequence flow '%s' is not in the simulated process", id);
        else if (!(rc = num_attr(L, n, "executionProbability", 0, 1, &p, &given)) && !given)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                              "<sequenceFlow> needs the attribute executionProbability");
        if (!rc && src->kind != GM_BPMN_EXCLUSIVE_GATEWAY &&
            src->kind != GM_BPMN_INCLUSIVE_GATEWAY) {
            /* A probability of 1 on a flow that is always taken says nothing. */
            if (src->kind == GM_BPMN_EVENT_GATEWAY && p != 1)
                rc = sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                                  "probabilities on the flows of event-based gateway '%s' are "
                                  "not supported (the first event wins)",
                                  src->id);
            else if (p != 1)
                rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                                  "sequence flow '%s' leaves '%s' (%s), not an exclusive or "
                                  "inclusive gateway",
                                  id, src->id, src->element);
            free(id);
            continue;
        }
        json_t *g = rc ? NULL : json_object_get(L->gateways, src->id);
        if (!rc && !g) {
            g = json_object();
            if (!g || json_object_set_new(L->gateways, src->id, g))
                rc = nomem(L);
        }
        if (!rc && json_object_get(g, id))
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, n, "sequence flow '%s' given twice",
                              id);
        if (!rc && json_object_set_new(g, id, sim__num(p)))
            rc = nomem(L);
        free(id);
    }
    if (rc)
        return rc;
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
                return sim__xml_err(L->err, GM_EINVAL, L->file, sfs,
                                    "gateway '%s' has no executionProbability for its outgoing "
                                    "flow '%s'",
                                    gid, fid);
            sum += json_number_value(v);
        }
        if (gw->kind == GM_BPMN_EXCLUSIVE_GATEWAY && fabs(sum - 1) > 1e-6)
            return sim__xml_err(L->err, GM_EINVAL, L->file, sfs,
                                "the executionProbability values of exclusive gateway '%s' add "
                                "up to %g, expected 1",
                                gid, sum);
    }
    return 0;
}

/* ---- the whole ---- */

static int cal_ref(ql *L, const xmlNode *n, const char *ttid, const char **cal)
{
    size_t i = sim__index_get(L->tt_idx, ttid);
    if (i != SIZE_MAX) {
        qtt *t = (qtt *)L->tt.data + i;
        t->used = true;
        *cal = t->cal;
        return 0;
    }
    return sim__xml_err(L->err, GM_EINVAL, L->file, n, "timetableId '%s' does not name a "
                                                        "<timetable>", ttid);
}

static int finish(ql *L, json_t *out)
{
    json_t *pools = json_array(), *cals = json_object();
    int rc = 0;
    if (!pools || !cals) {
        rc = nomem(L);
        goto done;
    }
    const qres *res = L->res.data;
    for (size_t i = 0; i < L->res.len && !rc; i++) {
        if (!res[i].used)
            continue;
        const char *cal = NULL;
        if (res[i].ttid && (rc = cal_ref(L, res[i].node, res[i].ttid, &cal)))
            break;
        json_t *p = json_pack("{s:s, s:I, s:o}", "name", res[i].pool, "count",
                              (json_int_t)res[i].amount, "cost_per_hour", sim__num(res[i].cph));
        if (!p || json_array_append_new(pools, p) ||
            (cal && json_object_set_new(p, "calendar", json_string(cal))))
            rc = nomem(L);
    }
    const qtt *tt = L->tt.data;
    for (size_t i = 0; i < L->tt.len && !rc; i++)
        if (tt[i].used)
            rc = sim__add_calendar(cals, tt[i].cal, &tt[i].week, L->file, tt[i].node, tt[i].id,
                                   L->err);
    if (!rc)
        rc = sim__finish(out, cals, pools, L->tasks, L->gateways, L->events, L->file, L->err);
done:
    json_decref(pools);
    json_decref(cals);
    return rc;
}

/* Scenario attributes: process, cases, start. */
static int scenario(ql *L, const xmlNode *psi, json_t *out)
{
    char *pid, *start = NULL;
    int64_t cases;
    int rc;
    if ((rc = opt_attr(L, psi, "processId", &pid)))
        return rc;
    L->proc = GM_BPMN_NONE;
    if (pid) {
        for (size_t i = 0; i < gm_bpmn_nprocesses(L->m); i++)
            if (strcmp(gm_bpmn_process_at(L->m, i)->id, pid) == 0)
                L->proc = i;
        if (L->proc == GM_BPMN_NONE)
            rc = sim__xml_err(L->err, GM_EINVAL, L->file, psi,
                              "processId '%s' does not name a process of the BPMN model", pid);
        free(pid);
        if (rc)
            return rc;
    } else if (gm_bpmn_nprocesses(L->m) == 1) {
        L->proc = 0;
    } else {
        return sim__xml_err(L->err, GM_EINVAL, L->file, psi,
                            "the model has %zu processes and processSimulationInfo names none "
                            "(processId)",
                            gm_bpmn_nprocesses(L->m));
    }
    if ((rc = int_attr(L, psi, "processInstances", 1, 1000000000, &cases)) ||
        (rc = opt_attr(L, psi, "startDateTime", &start)))
        return rc;
    if (json_object_set_new(out, "cases", json_integer((json_int_t)cases))) {
        free(start);
        return nomem(L);
    }
    if (start) {
        int64_t ns;
        bool has_off, region;
        gm_err e;
        char text[GM_TIME_RFC3339_MAX];
        if ((rc = sim__datetime(start, 0, &ns, &has_off, &L->start_off, &region, &e)))
            rc = sim__xml_err(L->err, rc, L->file, psi, "startDateTime: %s", e.what);
        else if (gm_time_format_rfc3339(ns, L->start_off, GM_TIME_FRAC_AUTO, text, sizeof text) < 0)
            rc = sim__xml_err(L->err, GM_ERANGE, L->file, psi, "startDateTime out of range");
        else if (json_object_set_new(out, "start", json_string(text)))
            rc = nomem(L);
        free(start);
    }
    return rc;
}

static int stats_options(ql *L, const xmlNode *n)
{
    static const char *const trims[] = {"trimStartProcessInstances", "trimEndProcessInstances"};
    for (size_t i = 0; i < 2; i++) {
        double v = 0;
        bool given;
        int rc = num_attr(L, n, trims[i], -1e300, 1e300, &v, &given);
        if (rc)
            return rc;
        if (v != 0)
            return sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, n,
                                "%s is not supported (use warmup_cases)", trims[i]);
    }
    return 0;
}

static int parse_psi(ql *L, const xmlNode *psi, json_t *out)
{
    int rc;
    if ((rc = scenario(L, psi, out)))
        return rc;
    /* Resources and timetables first: elements refer to them. */
    for (const xmlNode *n = psi->children; n; n = n->next) {
        if (!q_ns(n))
            continue;
        if (named(n, "resources"))
            rc = parse_resources(L, n);
        else if (named(n, "timetables"))
            rc = parse_timetables(L, n);
        if (rc)
            return rc;
    }
    qtt *tt = L->tt.data;
    for (size_t i = 0; i < L->tt.len; i++)
        if (sim__unique_name(L->cal_names, tt[i].id, "calendar", NULL, tt[i].cal))
            return nomem(L);
    json_t *arrival = NULL;
    for (const xmlNode *n = psi->children; n && !rc; n = n->next) {
        if (!q_ns(n) || named(n, "resources") || named(n, "timetables"))
            continue;
        if (named(n, "arrivalRateDistribution")) {
            if (arrival)
                rc = sim__xml_err(L->err, GM_EINVAL, L->file, n,
                                  "<arrivalRateDistribution> given twice");
            else
                rc = q_dist(L, n, &arrival);
        } else if (named(n, "elements")) {
            for (const xmlNode *e = n->children; e && !rc; e = e->next)
                if (q_ns(e))
                    rc = named(e, "element") ? parse_element(L, e)
                                             : unsupported(L, e, "expected <element>");
        } else if (named(n, "sequenceFlows")) {
            rc = parse_flows(L, n);
        } else if (named(n, "statsOptions")) {
            rc = stats_options(L, n);
        } else {
            rc = unsupported(L, n, NULL);
        }
    }
    if (rc)
        goto done;
    if (!arrival) {
        rc = sim__xml_err(L->err, GM_EINVAL, L->file, psi, "no <arrivalRateDistribution>");
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
        rc = sim__xml_err(L->err, GM_EUNSUPPORTED, L->file, psi,
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

/* The processSimulationInfo elements, searched iteratively (limits already
   checked). */
static size_t find_psi(const xmlNode *root, const xmlNode **first)
{
    size_t count = 0;
    const xmlNode *n = root;
    *first = NULL;
    while (n) {
        if (q_ns(n) && named(n, "processSimulationInfo") && count++ == 0)
            *first = n;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next)
            n = n->parent;
        if (!n || n == root)
            break;
        n = n->next;
    }
    return count;
}

int gm_qbp_load(const gm_bpmn *m, const char *bpmn_path, json_t **out, gm_err *err)
{
    *out = NULL;
    ql L;
    memset(&L, 0, sizeof L);
    L.m = m;
    L.err = err;
    L.file = bpmn_path;
    gm_vec_init(&L.res, sizeof(qres));
    gm_vec_init(&L.tt, sizeof(qtt));
    xmlDoc *doc = NULL;
    json_t *res = NULL;
    int rc;
    if ((rc = sim__xml_load(bpmn_path, &doc, err)))
        goto fail;
    const xmlNode *psi;
    size_t n = find_psi(xmlDocGetRootElement(doc), &psi);
    if (n == 0) {
        rc = gm_err_set(err, GM_ENOENT, bpmn_path,
                        "no <qbp:processSimulationInfo> (BIMP simulation parameters, namespace "
                        "%s) in this file",
                        QBP_NS);
        goto fail;
    }
    if (n > 1) {
        rc = sim__xml_err(err, GM_EUNSUPPORTED, bpmn_path, psi,
                          "%zu processSimulationInfo elements; gemel converts one", n);
        goto fail;
    }
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
    qres *r = L.res.data;
    for (size_t i = 0; i < L.res.len; i++) {
        free(r[i].id);
        free(r[i].ttid);
    }
    gm_vec_free(&L.res);
    qtt *t = L.tt.data;
    for (size_t i = 0; i < L.tt.len; i++) {
        free(t[i].id);
        sim__week_free(&t[i].week);
    }
    gm_vec_free(&L.tt);
    json_decref(L.pool_names);
    json_decref(L.cal_names);
    json_decref(L.tasks);
    json_decref(L.gateways);
    json_decref(L.events);
    gm_map_destroy(L.res_idx);
    gm_map_destroy(L.tt_idx);
    free(L.seen);
    xmlFreeDoc(doc);
    return rc;
}
