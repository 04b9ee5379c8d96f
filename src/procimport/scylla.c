/*
 * scylla.c: Scylla simulation and global configurations -> gemel
 * process-simulation JSON.
 *
 * Scylla's semantics followed here come from its parsers and simulator
 * (SimulationConfigurationParser, GlobalConfigurationParser, the gateway and
 * boundary-event plugins, DateTimeUtils, DESMO-J's distributions).
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

#define BSIM_NS "http://bsim.hpi.uni-potsdam.de/scylla/simModel"
#define SCY_NS "http://scy.hpi.uni-potsdam.de/scylla/simModel"
#define DAY PROCIMPORT__DAY
#define WEEK PROCIMPORT__WEEK

/* java.util.concurrent.TimeUnit names. gm is NULL where gemel has no time
   unit of that size (such distributions are refused; costs convert). */
static const struct {
    const char *java, *gm;
    double seconds;
} time_units[] = {
    {"NANOSECONDS", NULL, 1e-9}, {"MICROSECONDS", NULL, 1e-6}, {"MILLISECONDS", NULL, 1e-3},
    {"SECONDS", "seconds", 1},   {"MINUTES", "minutes", 60},   {"HOURS", "hours", 3600},
    {"DAYS", "days", 86400},
};

typedef struct binst {
    const char *name;
    const char *ttid; /* NULL: always available (Scylla gives such an instance no timetable) */
    double cph;       /* cost per hour */
    const gm_xml_node *node;
} binst;

typedef struct bres {
    const char *id;
    char pool[PROCIMPORT__NAME_MAX + 1];
    int64_t quantity;
    double cph;
    const char *ttid;
    const gm_xml_node *node;
    gm_vec inst; /* binst */
    bool used;
} bres;

typedef struct bl {
    const gm_bpmn *m;
    gm_err *err;
    const char *sfile, *gfile; /* the two documents' names */
    const char *sns, *gns;    /* namespace of each file's root */
    size_t proc;
    int zone_off;
    gm_vec res; /* bres */
    gm_vec tt;  /* procimport__tt */
    gm_map *res_idx, *tt_idx; /* ids -> indices into res, tt */
    json_t *pool_names, *cal_names;
    json_t *tasks, *gateways, *events, *starts; /* starts: start id -> {"interarrival"} */
    bool *seen;
} bl;

static bool scylla_ns(const gm_xml_node *n)
{
    return gm_xml_is(n, BSIM_NS, NULL) || gm_xml_is(n, SCY_NS, NULL);
}

static bool named(const gm_xml_node *n, const char *name)
{
    return strcmp(gm_xml_local(n), name) == 0;
}

static int nomem(bl *L)
{
    return gm_err_set(L->err, GM_ENOMEM, L->sfile, "out of memory");
}

static int unsupported(bl *L, const gm_xml_node *n, const char *why)
{
    return gm_xml_err(L->err, GM_EUNSUPPORTED, n,
                      "Scylla element <%s> is not supported by gemel%s%s", gm_xml_local(n),
                      why ? ": " : "", why ? why : "");
}

/* A timeUnit attribute; *gm is NULL for units finer than seconds. */
static int time_unit(bl *L, const gm_xml_node *n, const char *attr, const char **gm,
                     double *seconds)
{
    const char *t;
    int rc = gm_xml_attr_req(n, attr, &t, L->err);
    if (rc)
        return rc;
    for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
        if (strcmp(t, time_units[i].java) == 0) {
            *gm = time_units[i].gm;
            *seconds = time_units[i].seconds;
            return 0;
        }
    return gm_xml_err(L->err, GM_EINVAL, n,
                      "%s: unknown time unit '%.40s'; expected SECONDS, MINUTES, HOURS or DAYS",
                      attr, t);
}

/* ---- distributions ---- */

typedef struct bparam {
    const char *xml, *key;
    bool integer;
} bparam;

static const struct bkind {
    const char *xml, *dist;
    bparam p[3];
} dist_kinds[] = {
    {"constantDistribution", "constant", {{"constantValue", "value", false}}},
    {"exponentialDistribution", "exponential", {{"mean", "mean", false}}},
    {"erlangDistribution", "erlang", {{"order", "k", true}, {"mean", "mean", false}}},
    {"triangularDistribution",
     "triangular",
     {{"lower", "min", false}, {"peak", "mode", false}, {"upper", "max", false}}},
    /* Scylla samples through DESMO-J with negative samples refused and drawn
       again: a normal truncated at 0 */
    {"normalDistribution",
     "truncated-normal",
     {{"mean", "mean", false}, {"standardDeviation", "sd", false}}},
    {"uniformDistribution", "uniform", {{"lower", "min", false}, {"upper", "max", false}}},
    {"poissonDistribution", "poisson", {{"mean", "mean", false}}},
    {"binomialDistribution", "binomial", {{"probability", "p", false}, {"amount", "n", true}}},
};

#define EMPIRICAL "arbitraryFiniteProbabilityDistribution"

static int empirical(bl *L, const gm_xml_node *k, json_t *d)
{
    json_t *values = json_array(), *weights = json_array();
    int rc = 0;
    if (!values || !weights || json_object_set(d, "values", values) ||
        json_object_set(d, "weights", weights)) {
        rc = nomem(L);
        goto done;
    }
    for (const gm_xml_node *e = gm_xml_first(k, L->sns, NULL); e;
         e = gm_xml_next(e, L->sns, NULL)) {
        if (!named(e, "entry")) {
            rc = gm_xml_err(L->err, GM_EINVAL, e, "<" EMPIRICAL "> takes <entry> elements, got <%s>",
                            gm_xml_local(e));
            goto done;
        }
        double v, w;
        if ((rc = gm_xml_attr_double(e, "value", -HUGE_VAL, HUGE_VAL, &v, NULL, L->err)) ||
            (rc = gm_xml_attr_double(e, "frequency", 0, HUGE_VAL, &w, NULL, L->err)))
            goto done;
        if (json_array_append_new(values, procimport__num(v)) ||
            json_array_append_new(weights, procimport__num(w))) {
            rc = nomem(L);
            goto done;
        }
    }
    if (json_array_size(values) == 0)
        rc = gm_xml_err(L->err, GM_EINVAL, k, "<" EMPIRICAL "> has no <entry>");
done:
    json_decref(values);
    json_decref(weights);
    return rc;
}

static int params(bl *L, const gm_xml_node *k, const struct bkind *kind, json_t *d)
{
    const gm_xml_node *given[3] = {NULL, NULL, NULL};
    for (const gm_xml_node *e = gm_xml_first(k, L->sns, NULL); e;
         e = gm_xml_next(e, L->sns, NULL)) {
        size_t i = 0;
        while (i < 3 && kind->p[i].xml && !named(e, kind->p[i].xml))
            i++;
        if (i == 3 || !kind->p[i].xml) {
            char expected[96] = "";
            for (size_t j = 0; j < 3 && kind->p[j].xml; j++)
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                         "%s<%s>", j ? ", " : "", kind->p[j].xml);
            return gm_xml_err(L->err, GM_EINVAL, e, "<%s> has no parameter <%s>; expected %s",
                              kind->xml, gm_xml_local(e), expected);
        }
        if (given[i])
            return gm_xml_err(L->err, GM_EINVAL, e, "<%s> given twice", kind->p[i].xml);
        given[i] = e;
    }
    for (size_t i = 0; i < 3 && kind->p[i].xml; i++) {
        if (!given[i])
            return gm_xml_err(L->err, GM_EINVAL, k, "<%s> needs <%s>", kind->xml,
                              kind->p[i].xml);
        json_t *v;
        int rc;
        if (kind->p[i].integer) {
            int64_t x;
            if ((rc = gm_xml_text_int(given[i], 0, 1000000000000000LL, &x, L->err)))
                return rc;
            v = json_integer((json_int_t)x);
        } else {
            double x;
            if ((rc = gm_xml_text_double(given[i], -HUGE_VAL, HUGE_VAL, &x, L->err)))
                return rc;
            v = procimport__num(x);
        }
        if (json_object_set_new(d, kind->p[i].key, v))
            return nomem(L);
    }
    return 0;
}

/* The distribution inside holder (<duration>, <arrivalRate>): one child
   element naming the kind, with holder's timeUnit. */
static int b_dist(bl *L, const gm_xml_node *holder, json_t **out)
{
    *out = NULL;
    const char *unit;
    double secs;
    int rc = time_unit(L, holder, "timeUnit", &unit, &secs);
    if (rc)
        return rc;
    if (!unit)
        return gm_xml_err(L->err, GM_EUNSUPPORTED, holder,
                          "<%s> timeUnit finer than SECONDS is not supported",
                          gm_xml_local(holder));
    const gm_xml_node *k = gm_xml_first(holder, L->sns, NULL);
    if (!k)
        return gm_xml_err(L->err, GM_EINVAL, holder, "<%s> holds no distribution",
                          gm_xml_local(holder));
    const gm_xml_node *more = gm_xml_next(k, L->sns, NULL);
    if (more)
        return gm_xml_err(L->err, GM_EINVAL, more, "<%s> holds more than one distribution",
                          gm_xml_local(holder));
    const struct bkind *kind = NULL;
    for (size_t i = 0; i < sizeof dist_kinds / sizeof dist_kinds[0]; i++)
        if (named(k, dist_kinds[i].xml))
            kind = &dist_kinds[i];
    if (!kind && !named(k, EMPIRICAL))
        return gm_xml_err(L->err, GM_EINVAL, k,
                          "unknown distribution <%s>; expected constantDistribution, "
                          "exponentialDistribution, erlangDistribution, "
                          "triangularDistribution, normalDistribution, uniformDistribution, "
                          "poissonDistribution, binomialDistribution or " EMPIRICAL,
                          gm_xml_local(k));
    json_t *d = json_pack("{s:s}", "dist", kind ? kind->dist : "empirical-discrete");
    if (!d)
        return nomem(L);
    rc = kind ? params(L, k, kind, d) : empirical(L, k, d);
    if (!rc && kind && strcmp(kind->dist, "truncated-normal") == 0 &&
        json_object_set_new(d, "min", procimport__num(0)))
        rc = nomem(L);
    if (rc)
        goto fail;
    gm_err e;
    if ((rc = procimport__check_dist(d, &e))) {
        rc = rc == GM_ENOMEM ? nomem(L)
                             : gm_xml_err(L->err, rc, k, "invalid <%s>: %s", gm_xml_local(k),
                                          e.what);
        goto fail;
    }
    if (json_object_set_new(d, "unit", json_string(unit))) {
        rc = nomem(L);
        goto fail;
    }
    *out = d;
    return 0;
fail:
    json_decref(d);
    return rc;
}

/* ---- global configuration ---- */

/* A digit's value; far below zero for anything else, so that a sum of
   digit values with one bad digit stays negative. */
static int digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : -1000;
}

static int parse_zone(bl *L, const gm_xml_node *n)
{
    const char *t;
    int rc = gm_xml_text(n, &t, L->err);
    if (rc)
        return rc;
    /* Scylla builds ZoneId.of("GMT" + text): +h, +hh or +hh:mm. */
    size_t len = strlen(t);
    if (len == 0)
        return 0; /* Scylla skips an empty element */
    int h = -1, m = 0;
    if ((t[0] == '+' || t[0] == '-') && len == 2) {
        h = digit(t[1]);
    } else if ((t[0] == '+' || t[0] == '-') && (len == 3 || len == 6)) {
        h = digit(t[1]) * 10 + digit(t[2]);
        if (len == 6)
            m = t[3] == ':' ? digit(t[4]) * 10 + digit(t[5]) : -1;
    }
    if (h < 0 || h > 18 || m < 0 || m > 59)
        return gm_xml_err(L->err, GM_EINVAL, n, "<zoneOffset>: expected +hh:mm, got '%.40s'", t);
    L->zone_off = (t[0] == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

static int weekday(bl *L, const gm_xml_node *n, const char *attr, int *day)
{
    const char *t;
    int rc = gm_xml_attr_req(n, attr, &t, L->err);
    return rc ? rc : procimport__weekday(n, attr, t, day, L->err);
}

static int tod_attr(bl *L, const gm_xml_node *n, const char *attr, int64_t *sec)
{
    const char *t;
    int rc = gm_xml_attr_req(n, attr, &t, L->err);
    if (rc)
        return rc;
    bool has_off;
    int off;
    if (gm_time_parse_time_of_day(t, false, sec, &has_off, &off, NULL))
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "%s: expected a time HH:MM or HH:MM:SS, got '%.40s'", attr, t);
    return 0;
}

/* A timetableItem is the continuous span from (from, beginTime) to (to,
   endTime), wrapping over the week's end when from is after to (Scylla's
   DateTimeUtils.isWithin). On one day with beginTime after endTime, Scylla
   counts that day before endTime and after beginTime. Equal ends: empty. */
static int parse_item(bl *L, const gm_xml_node *n, procimport__tt *tt)
{
    int d0, d1;
    int64_t b, e;
    int rc;
    if ((rc = weekday(L, n, "from", &d0)) || (rc = weekday(L, n, "to", &d1)) ||
        (rc = tod_attr(L, n, "beginTime", &b)) || (rc = tod_attr(L, n, "endTime", &e)))
        return rc;
    int64_t f = (int64_t)d0 * DAY + b, t = (int64_t)d1 * DAY + e;
    if (d0 == d1) {
        if (b < e)
            return procimport__tt_window(tt, n, f, t, L->err);
        if (b > e) {
            if (e > 0 && (rc = procimport__tt_window(tt, n, (int64_t)d0 * DAY, t, L->err)))
                return rc;
            if (b < DAY && (rc = procimport__tt_window(tt, n, f, (int64_t)(d0 + 1) * DAY, L->err)))
                return rc;
        }
        return 0;
    }
    return procimport__tt_window(tt, n, f, d0 < d1 ? t : t + WEEK, L->err);
}

static int parse_timetables(bl *L, const gm_xml_node *tts)
{
    int rc;
    for (const gm_xml_node *n = gm_xml_first(tts, L->gns, NULL); n;
         n = gm_xml_next(n, L->gns, NULL)) {
        if (!named(n, "timetable"))
            return unsupported(L, n, "expected <timetable>");
        const char *id;
        procimport__tt *mine;
        if ((rc = gm_xml_attr_req(n, "id", &id, L->err)) ||
            (rc = procimport__tt_add(&L->tt, L->tt_idx, n, id, &mine, L->err)))
            return rc;
        for (const gm_xml_node *it = gm_xml_first(n, L->gns, NULL); it;
             it = gm_xml_next(it, L->gns, NULL)) {
            if (!named(it, "timetableItem"))
                return unsupported(L, it, "expected <timetableItem>");
            if ((rc = parse_item(L, it, mine)))
                return rc;
        }
    }
    return 0;
}

static int parse_instances(bl *L, const gm_xml_node *n, bres *me, gm_map *names, double cost,
                           double secs)
{
    int rc;
    const char *tu;
    for (const gm_xml_node *c = gm_xml_first(n, L->gns, NULL); c;
         c = gm_xml_next(c, L->gns, NULL)) {
        if (!named(c, "instance"))
            return unsupported(L, c, "expected <instance>");
        binst in = {.node = c};
        if ((rc = gm_xml_attr_req(c, "name", &in.name, L->err)) ||
            (rc = gm_xml_attr(c, "timetableId", &in.ttid, L->err)))
            return rc;
        if ((rc = procimport__index_put(names, in.name, me->inst.len)))
            return rc == GM_EEXIST
                       ? gm_xml_err(L->err, GM_EINVAL, c,
                                    "duplicate instance '%s' of resource '%s'", in.name, me->id)
                       : nomem(L);
        /* An instance's cost is per its own timeUnit, else the default one. */
        double icost = cost, isecs = secs;
        if ((gm_xml_has_attr(c, "cost") &&
             (rc = gm_xml_attr_double(c, "cost", 0, HUGE_VAL, &icost, NULL, L->err))) ||
            (gm_xml_has_attr(c, "timeUnit") &&
             (rc = time_unit(L, c, "timeUnit", &tu, &isecs))))
            return rc;
        in.cph = icost * 3600 / isecs;
        if (gm_vec_push(&me->inst, &in))
            return nomem(L);
    }
    return 0;
}

/* A dynamicResource: defaultQuantity is the pool's size; listed instances
   are that many of its units at most, the others are default units
   (GlobalConfigurationParser). */
static int parse_resource(bl *L, const gm_xml_node *n)
{
    bres r = {.node = n};
    gm_vec_init(&r.inst, sizeof(binst));
    int rc;
    const char *tu;
    double secs, cost;
    if ((rc = gm_xml_attr_req(n, "id", &r.id, L->err)))
        return rc;
    if ((rc = procimport__index_put(L->res_idx, r.id, L->res.len)))
        return rc == GM_EEXIST
                   ? gm_xml_err(L->err, GM_EINVAL, n, "duplicate resource '%s'", r.id)
                   : nomem(L);
    if (gm_vec_push(&L->res, &r))
        return nomem(L);
    bres *me = (bres *)L->res.data + L->res.len - 1;
    if ((rc = gm_xml_attr_int(n, "defaultQuantity", 0, 1000000, &me->quantity, NULL, L->err)) ||
        (rc = gm_xml_attr_double(n, "defaultCost", 0, HUGE_VAL, &cost, NULL, L->err)) ||
        (rc = time_unit(L, n, "defaultTimeUnit", &tu, &secs)) ||
        (rc = gm_xml_attr(n, "defaultTimetableId", &me->ttid, L->err)))
        return rc;
    me->cph = cost * 3600 / secs;
    gm_map *names = gm_map_create(GM_MAP_STR);
    if (!names)
        return nomem(L);
    rc = parse_instances(L, n, me, names, cost, secs);
    gm_map_destroy(names);
    if (rc)
        return rc;
    if ((int64_t)me->inst.len > me->quantity)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "resource '%s' lists %zu instances but defaultQuantity is %lld", me->id,
                          me->inst.len, (long long)me->quantity);
    if (me->inst.len && me->quantity > PROCIMPORT__MAX_UNITS)
        return gm_xml_err(L->err, GM_ELIMIT, n,
                          "resource '%s' lists instances and has more than %d units", me->id,
                          PROCIMPORT__MAX_UNITS);
    return 0;
}

/* "expected ... in namespace NS, got <x> (without namespace | in NS2)". */
static int wrong_root(bl *L, const gm_xml_node *root, const char *expected)
{
    const char *ns = gm_xml_ns(root);
    return gm_xml_err(L->err, GM_EPARSE, root, "expected %s in namespace %s, got <%s>%s%s",
                      expected, BSIM_NS, gm_xml_local(root), ns ? " in " : " without namespace",
                      ns ? ns : "");
}

static int parse_global(bl *L, const gm_xml_node *root)
{
    int rc;
    if (!scylla_ns(root) || !named(root, "globalConfiguration"))
        return wrong_root(L, root, "a Scylla <globalConfiguration>");
    L->gns = gm_xml_ns(root);
    for (const gm_xml_node *n = gm_xml_first(root, L->gns, NULL); n;
         n = gm_xml_next(n, L->gns, NULL)) {
        if (named(n, "randomSeed") || named(n, "resourceAssignmentOrder"))
            continue; /* gemel has its own seeds; resources are served first come first served */
        if (named(n, "zoneOffset"))
            rc = parse_zone(L, n);
        else if (named(n, "timetables"))
            rc = parse_timetables(L, n);
        else if (named(n, "resourceData")) {
            rc = 0;
            for (const gm_xml_node *c = gm_xml_first(n, L->gns, NULL); c && !rc;
                 c = gm_xml_next(c, L->gns, NULL))
                rc = named(c, "dynamicResource") ? parse_resource(L, c)
                                                  : unsupported(L, c, "only dynamicResource is");
        } else
            rc = unsupported(L, n, NULL);
        if (rc)
            return rc;
    }
    /* Names in document order, so they do not depend on which are used. */
    bres *res = L->res.data;
    for (size_t i = 0; i < L->res.len; i++)
        if (procimport__unique_name(L->pool_names, res[i].id, "resource", "case", res[i].pool))
            return nomem(L);
    if (procimport__tt_names(&L->tt, L->cal_names))
        return nomem(L);
    return 0;
}

/* ---- simulation configuration ---- */

static const char *where_name(bl *L, size_t parent)
{
    return parent == GM_BPMN_NONE ? "at the top level" : gm_bpmn_node_at(L->m, parent)->id;
}

/* The node named by n's id: it must exist, be of one of the kinds, belong to
   the configured process inside parent, and be configured once. */
static int lookup(bl *L, const gm_xml_node *n, const gm_bpmn_kind *kinds, size_t nkinds,
                  size_t parent, size_t *idx)
{
    const char *id;
    int rc = gm_xml_attr_req(n, "id", &id, L->err);
    if (rc)
        return rc;
    size_t i = gm_bpmn_find_node(L->m, id);
    const gm_bpmn_node *nd = i == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(L->m, i);
    size_t k = 0;
    while (nd && k < nkinds && nd->kind != kinds[k])
        k++;
    if (!nd)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "<%s> '%s' does not name an element of the BPMN model",
                          gm_xml_local(n), id);
    if (k == nkinds)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "<%s> '%s' names an element of type %s in the BPMN model (line %ld)",
                          gm_xml_local(n), id, nd->element, nd->line);
    if (nd->process != L->proc)
        return gm_xml_err(L->err, GM_EINVAL, n,
                          "'%s' belongs to process '%s', not to the configured process '%s'", id,
                          gm_bpmn_process_at(L->m, nd->process)->id,
                          gm_bpmn_process_at(L->m, L->proc)->id);
    if (nd->kind != GM_BPMN_BOUNDARY_EVENT && nd->parent != parent)
        return gm_xml_err(L->err, GM_EINVAL, n, "'%s' is %s%s in the BPMN model but configured %s%s",
                          id, nd->parent == GM_BPMN_NONE ? "" : "inside ",
                          where_name(L, nd->parent), parent == GM_BPMN_NONE ? "" : "inside ",
                          where_name(L, parent));
    if (L->seen[i])
        return gm_xml_err(L->err, GM_EINVAL, n, "'%s' is configured twice", id);
    L->seen[i] = true;
    *idx = i;
    return 0;
}

static int set_dist(bl *L, json_t *obj, const char *key, const gm_xml_node *holder)
{
    if (json_object_get(obj, key))
        return gm_xml_err(L->err, GM_EINVAL, holder, "<%s> given twice", gm_xml_local(holder));
    json_t *d;
    int rc = b_dist(L, holder, &d);
    if (rc)
        return rc;
    if (json_object_set_new(obj, key, d))
        return nomem(L);
    return 0;
}

static int parse_resources(bl *L, const gm_xml_node *rs, json_t *task)
{
    if (json_object_get(task, "resource") || json_object_get(task, "resources"))
        return gm_xml_err(L->err, GM_EINVAL, rs, "<resources> given twice");
    json_t *list = json_array(), *pools = json_object();
    int rc = 0;
    if (!list || !pools) {
        json_decref(list);
        json_decref(pools);
        return nomem(L);
    }
    for (const gm_xml_node *r = gm_xml_first(rs, L->sns, NULL); r && !rc;
         r = gm_xml_next(r, L->sns, NULL)) {
        if (!named(r, "resource")) {
            rc = unsupported(L, r, "expected <resource>");
            break;
        }
        const char *id;
        int64_t amount;
        if ((rc = gm_xml_attr_req(r, "id", &id, L->err)) ||
            (rc = gm_xml_attr_int(r, "amount", 1, 1000000, &amount, NULL, L->err)))
            break;
        size_t ri = procimport__index_get(L->res_idx, id);
        bres *p = ri == SIZE_MAX ? NULL : (bres *)L->res.data + ri;
        if (!p)
            rc = gm_xml_err(L->err, GM_EINVAL, r,
                            "resource '%s' is not defined in the global configuration %s", id,
                            L->gfile);
        else if (amount > p->quantity)
            rc = gm_xml_err(L->err, GM_EINVAL, r, "needs %lld units of resource '%s', which has %lld",
                            (long long)amount, id, (long long)p->quantity);
        else if (json_object_get(pools, p->pool))
            rc = gm_xml_err(L->err, GM_EINVAL, r, "resource '%s' listed twice for one task", id);
        else if (json_object_set_new(pools, p->pool, json_true()))
            rc = nomem(L);
        if (rc)
            break;
        /* assignmentDefinition (priorities) is accepted and not used:
           gemel serves a pool's queue first come, first served. */
        for (const gm_xml_node *c = gm_xml_first(r, L->sns, NULL); c && !rc;
             c = gm_xml_next(c, L->sns, NULL))
            if (!named(c, "assignmentDefinition"))
                rc = unsupported(L, c, NULL);
        if (rc)
            break;
        p->used = true;
        json_t *e = json_pack("{s:s, s:I}", "name", p->pool, "amount", (json_int_t)amount);
        if (!e || json_array_append_new(list, e))
            rc = nomem(L);
    }
    if (!rc && json_array_size(list) == 1 &&
        json_integer_value(json_object_get(json_array_get(list, 0), "amount")) == 1) {
        if (json_object_set(task, "resource", json_object_get(json_array_get(list, 0), "name")))
            rc = nomem(L);
    } else if (!rc && json_array_size(list) > 0) {
        if (json_object_set(task, "resources", list))
            rc = nomem(L);
    }
    json_decref(list);
    json_decref(pools);
    return rc;
}

static int parse_boundary(bl *L, const gm_xml_node *bes, size_t act)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_BOUNDARY_EVENT};
    double sum = 0;
    int rc;
    for (const gm_xml_node *b = gm_xml_first(bes, L->sns, NULL); b;
         b = gm_xml_next(b, L->sns, NULL)) {
        if (!named(b, "boundaryEvent"))
            return unsupported(L, b, "expected <boundaryEvent>");
        size_t i;
        if ((rc = lookup(L, b, kind, 1, GM_BPMN_NONE, &i)))
            return rc;
        const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, i);
        if (nd->attached_to != act)
            return gm_xml_err(L->err, GM_EINVAL, b,
                              "boundary event '%s' is attached to '%s' in the BPMN model, not to "
                              "'%s'",
                              nd->id, gm_bpmn_node_at(L->m, nd->attached_to)->id,
                              gm_bpmn_node_at(L->m, act)->id);
        json_t *ev = json_object();
        if (!ev || json_object_set_new(L->events, nd->id, ev))
            return nomem(L);
        for (const gm_xml_node *c = gm_xml_first(b, L->sns, NULL); c;
             c = gm_xml_next(c, L->sns, NULL)) {
            if (named(c, "eventProbability")) {
                double p;
                if (json_object_get(ev, "probability"))
                    return gm_xml_err(L->err, GM_EINVAL, c, "<eventProbability> given twice");
                if ((rc = gm_xml_text_double(c, 0, 1, &p, L->err)))
                    return rc;
                if (json_object_set_new(ev, "probability", procimport__num(p)))
                    return nomem(L);
                /* Scylla draws one of the events or the normal flow, so the
                   probabilities of one activity's events add up to at most 1. */
                sum += p;
                if (sum > 1 + 1e-9)
                    return gm_xml_err(L->err, GM_EINVAL, c,
                                      "the event probabilities of '%s' add up to %g, more than 1",
                                      gm_bpmn_node_at(L->m, act)->id, sum);
            } else if (named(c, "arrivalRate")) {
                if ((rc = set_dist(L, ev, "after", c)))
                    return rc;
            } else {
                return unsupported(L, c, NULL);
            }
        }
    }
    return 0;
}

/* task, *Task, callActivity and subProcess. A sub-process's own children
   (resources, boundaryEvents) are read here, its contents by
   parse_container. */
static int parse_activity(bl *L, const gm_xml_node *n, size_t parent, bool sub, size_t *idx)
{
    static const gm_bpmn_kind task_kinds[] = {GM_BPMN_TASK, GM_BPMN_CALL_ACTIVITY};
    static const gm_bpmn_kind sub_kinds[] = {GM_BPMN_SUBPROCESS};
    int rc = lookup(L, n, sub ? sub_kinds : task_kinds, sub ? 1 : 2, parent, idx);
    if (rc)
        return rc;
    const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, *idx);
    json_t *task = json_object();
    if (!task)
        return nomem(L);
    for (const gm_xml_node *c = gm_xml_first(n, L->sns, NULL); c && !rc;
         c = gm_xml_next(c, L->sns, NULL)) {
        if (named(c, "duration"))
            rc = sub ? unsupported(L, c, "a sub-process takes the time of its contents")
                     : set_dist(L, task, "duration", c);
        else if (named(c, "resources"))
            rc = parse_resources(L, c, task);
        else if (named(c, "boundaryEvents"))
            rc = parse_boundary(L, c, *idx);
        else if (named(c, "setUpDuration"))
            rc = unsupported(L, c, "set-up times are not simulated");
        else if (named(c, "batchActivity"))
            rc = unsupported(L, c, "batch activities are not simulated");
        else if (!sub)
            rc = unsupported(L, c, NULL);
    }
    if (!rc && !sub && !json_object_get(task, "duration"))
        rc = gm_xml_err(L->err, GM_EINVAL, n, "task '%s' has no <duration>", nd->id);
    if (!rc && json_object_size(task) && json_object_set(L->tasks, nd->id, task))
        rc = nomem(L);
    json_decref(task);
    return rc;
}

static int parse_start(bl *L, const gm_xml_node *n, size_t parent)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_START_EVENT};
    size_t i;
    int rc = lookup(L, n, kind, 1, parent, &i);
    if (rc)
        return rc;
    for (const gm_xml_node *c = gm_xml_first(n, L->sns, NULL); c;
         c = gm_xml_next(c, L->sns, NULL)) {
        if (!named(c, "arrivalRate"))
            return unsupported(L, c, NULL);
        if (parent != GM_BPMN_NONE)
            return gm_xml_err(L->err, GM_EINVAL, c,
                              "an arrivalRate on the start event of a sub-process has no "
                              "meaning");
        json_t *a = json_object();
        if (!a || json_object_set_new(L->starts, gm_bpmn_node_at(L->m, i)->id, a))
            return nomem(L);
        if ((rc = set_dist(L, a, "interarrival", c)))
            return rc;
    }
    return 0;
}

static int parse_catch(bl *L, const gm_xml_node *n, size_t parent)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_CATCH_EVENT};
    size_t i;
    int rc = lookup(L, n, kind, 1, parent, &i);
    if (rc)
        return rc;
    json_t *ev = json_object();
    if (!ev)
        return nomem(L);
    for (const gm_xml_node *c = gm_xml_first(n, L->sns, NULL); c && !rc;
         c = gm_xml_next(c, L->sns, NULL))
        rc = named(c, "arrivalRate") ? set_dist(L, ev, "delay", c) : unsupported(L, c, NULL);
    if (!rc && json_object_size(ev) &&
        json_object_set(L->events, gm_bpmn_node_at(L->m, i)->id, ev))
        rc = nomem(L);
    json_decref(ev);
    return rc;
}

/* The outgoingSequenceFlow elements of gateway n (node g) into probs. */
static int branching(bl *L, const gm_xml_node *n, size_t g, json_t *probs, double *sum)
{
    const gm_bpmn_node *gw = gm_bpmn_node_at(L->m, g);
    int rc;
    for (const gm_xml_node *c = gm_xml_first(n, L->sns, NULL); c;
         c = gm_xml_next(c, L->sns, NULL)) {
        if (!named(c, "outgoingSequenceFlow"))
            return unsupported(L, c, "expected <outgoingSequenceFlow>");
        const char *id;
        if ((rc = gm_xml_attr_req(c, "id", &id, L->err)))
            return rc;
        size_t f = gm_bpmn_find_flow(L->m, id);
        if (f == GM_BPMN_NONE || gm_bpmn_flow_at(L->m, f)->source != g)
            return gm_xml_err(L->err, GM_EINVAL, c,
                              "'%s' is not an outgoing sequence flow of gateway '%s'", id, gw->id);
        if (json_object_get(probs, id))
            return gm_xml_err(L->err, GM_EINVAL, c, "sequence flow '%s' given twice", id);
        const gm_xml_node *bp = gm_xml_first(c, L->sns, NULL);
        if (!bp)
            return gm_xml_err(L->err, GM_EINVAL, c,
                              "sequence flow '%s' has no <branchingProbability>", id);
        const gm_xml_node *more = gm_xml_next(bp, L->sns, NULL);
        if (!named(bp, "branchingProbability") || more)
            return gm_xml_err(L->err, GM_EINVAL, named(bp, "branchingProbability") ? more : bp,
                              "<outgoingSequenceFlow> takes one <branchingProbability>");
        double p;
        if ((rc = gm_xml_text_double(bp, 0, 1, &p, L->err)))
            return rc;
        *sum += p;
        if (json_object_set_new(probs, id, procimport__num(p)))
            return nomem(L);
    }
    return 0;
}

static int parse_gateway(bl *L, const gm_xml_node *n, size_t parent, gm_bpmn_kind kind)
{
    size_t g;
    int rc = lookup(L, n, &kind, 1, parent, &g);
    if (rc)
        return rc;
    const gm_bpmn_node *gw = gm_bpmn_node_at(L->m, g);
    json_t *probs = json_object();
    if (!probs)
        return nomem(L);
    double sum = 0;
    if ((rc = branching(L, n, g, probs, &sum)) || json_object_size(probs) == 0)
        goto done;
    if (kind == GM_BPMN_EXCLUSIVE_GATEWAY) {
        if (sum > 1 + 1e-9) {
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "the branching probabilities of gateway '%s' add up to %g, more "
                            "than 1",
                            gw->id, sum);
            goto done;
        }
        /* Scylla gives the default flow what the others leave... */
        if (gw->default_flow != GM_BPMN_NONE) {
            const char *fid = gm_bpmn_flow_at(L->m, gw->default_flow)->id;
            json_t *old = json_object_get(probs, fid);
            double p = (old ? json_number_value(old) : 0) + (1 - sum);
            if (json_object_set_new(probs, fid, procimport__num(p))) {
                rc = nomem(L);
                goto done;
            }
            sum += 1 - sum;
        }
    }
    for (size_t k = 0; k < gw->nout; k++) {
        const char *fid = gm_bpmn_flow_at(L->m, gw->out[k])->id;
        if (!json_object_get(probs, fid)) {
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "gateway '%s' has no branchingProbability for its outgoing flow '%s'",
                            gw->id, fid);
            goto done;
        }
    }
    if (kind == GM_BPMN_EXCLUSIVE_GATEWAY) {
        if (sum <= 0) {
            rc = gm_xml_err(L->err, GM_EINVAL, n,
                            "the branching probabilities of gateway '%s' add up to 0", gw->id);
            goto done;
        }
        /* ... and its sampler (DESMO-J's DiscreteDistEmpirical) divides by
           the sum, so a sum below 1 is a set of relative weights. */
        if (fabs(sum - 1) > 1e-12) {
            json_t *norm = json_object();
            const char *key;
            json_t *v;
            if (!norm) {
                rc = nomem(L);
                goto done;
            }
            json_object_foreach(probs, key, v)
            {
                if (json_object_set_new(norm, key, procimport__num(json_number_value(v) / sum))) {
                    json_decref(norm);
                    rc = nomem(L);
                    goto done;
                }
            }
            json_decref(probs);
            probs = norm;
        }
    }
    if (json_object_set(L->gateways, gw->id, probs))
        rc = nomem(L);
done:
    json_decref(probs);
    return rc;
}

static int parse_container(bl *L, const gm_xml_node *el, size_t parent, bool sub)
{
    int rc = 0;
    for (const gm_xml_node *c = gm_xml_first(el, L->sns, NULL); c && !rc;
         c = gm_xml_next(c, L->sns, NULL)) {
        const char *name = gm_xml_local(c);
        size_t len = strlen(name), idx;
        if (named(c, "task") || (len >= 4 && strcmp(name + len - 4, "Task") == 0) ||
            named(c, "callActivity"))
            rc = parse_activity(L, c, parent, false, &idx);
        else if (named(c, "subProcess")) {
            if (!(rc = parse_activity(L, c, parent, true, &idx)))
                rc = parse_container(L, c, idx, true);
        } else if (named(c, "startEvent"))
            rc = parse_start(L, c, parent);
        else if (named(c, "exclusiveGateway"))
            rc = parse_gateway(L, c, parent, GM_BPMN_EXCLUSIVE_GATEWAY);
        else if (named(c, "inclusiveGateway"))
            rc = parse_gateway(L, c, parent, GM_BPMN_INCLUSIVE_GATEWAY);
        else if (named(c, "catchEvent"))
            rc = parse_catch(L, c, parent);
        else if (sub && (named(c, "resources") || named(c, "boundaryEvents") ||
                         named(c, "duration") || named(c, "setUpDuration") ||
                         named(c, "batchActivity")))
            continue; /* the sub-process's own, read by parse_activity */
        else if (named(c, "dataObject") || named(c, "dataInput"))
            rc = unsupported(L, c, "data objects are not simulated");
        else
            rc = unsupported(L, c, NULL);
    }
    return rc;
}

/* ---- output ---- */

static int cal_ref(bl *L, const gm_xml_node *n, const char *ttid, const char **cal)
{
    size_t i = procimport__index_get(L->tt_idx, ttid);
    if (i == SIZE_MAX)
        return gm_xml_err(L->err, GM_EINVAL, n, "timetable '%s' is not defined", ttid);
    procimport__tt *t = (procimport__tt *)L->tt.data + i;
    t->used = true;
    *cal = t->cal;
    return 0;
}

/* The pool of a resource with listed instances: named units. Listed
   instances keep their own timetable (none: always available, as in
   Scylla); the remaining defaultQuantity - n instances are Scylla's default
   instances, with the default timetable and cost. */
static int emit_units(bl *L, const bres *r, json_t *p, json_t *names)
{
    json_t *units = json_array();
    if (!units || json_object_set_new(p, "cost_per_hour", procimport__num(r->cph)) ||
        json_object_set_new(p, "units", units))
        return nomem(L);
    const binst *in = r->inst.data;
    for (int64_t k = 0; k < r->quantity; k++) {
        const binst *b = k < (int64_t)r->inst.len ? &in[k] : NULL;
        char name[PROCIMPORT__NAME_MAX + 1], dflt[32];
        snprintf(dflt, sizeof dflt, "default-%lld", (long long)(k - (int64_t)r->inst.len + 1));
        json_t *u = json_object();
        if (!u || json_array_append_new(units, u) ||
            procimport__unique_name(names, b ? b->name : dflt, "unit", NULL, name) ||
            json_object_set_new(u, "name", json_string(name)))
            return nomem(L);
        const char *ttid = b ? b->ttid : r->ttid, *cal;
        int rc;
        if (ttid) {
            if ((rc = cal_ref(L, b ? b->node : r->node, ttid, &cal)))
                return rc;
            if (json_object_set_new(u, "calendar", json_string(cal)))
                return nomem(L);
        }
        if (b && b->cph != r->cph &&
            json_object_set_new(u, "cost_per_hour", procimport__num(b->cph)))
            return nomem(L);
    }
    return 0;
}

static int emit_pool(bl *L, const bres *r, json_t *pools)
{
    json_t *p = json_pack("{s:s}", "name", r->pool), *names = json_object();
    const char *cal = NULL;
    int rc = 0;
    if (!p || !names || json_array_append(pools, p)) {
        rc = nomem(L);
        goto done;
    }
    if (r->inst.len) {
        rc = emit_units(L, r, p, names);
        goto done;
    }
    if (r->quantity < 1) {
        rc = gm_xml_err(L->err, GM_EINVAL, r->node,
                        "resource '%s' has defaultQuantity 0 and no instances", r->id);
        goto done;
    }
    if (json_object_set_new(p, "count", json_integer((json_int_t)r->quantity)) ||
        json_object_set_new(p, "cost_per_hour", procimport__num(r->cph))) {
        rc = nomem(L);
        goto done;
    }
    if (r->ttid && !(rc = cal_ref(L, r->node, r->ttid, &cal)) &&
        json_object_set_new(p, "calendar", json_string(cal)))
        rc = nomem(L);
done:
    json_decref(p);
    json_decref(names);
    return rc;
}

static int build(bl *L, const gm_xml_node *sc, json_t *out)
{
    int rc;
    const char *s, *e;
    gm_err te;
    int64_t cases, t0, t1;
    bool has_off, region;
    int off, off1;
    if ((rc = gm_xml_attr_int(sc, "processInstances", 1, 1000000000, &cases, NULL, L->err)) ||
        (rc = gm_xml_attr_req(sc, "startDateTime", &s, L->err)) ||
        (rc = gm_xml_attr(sc, "endDateTime", &e, L->err)))
        return rc;
    if ((rc = gm_time_parse_datetime(s, L->zone_off, &t0, &has_off, &off, &region, &te)))
        return gm_xml_err(L->err, rc, sc, "startDateTime: %s", te.what);
    /* Scylla parses with the global zone as override: the instant comes from
       the text's offset, timetables are read in the global zone (or in the
       text's region when it names one). */
    int cal_off = region ? off : L->zone_off;
    char start[GM_TIME_RFC3339_MAX];
    if (gm_time_format_rfc3339(t0, cal_off, GM_TIME_FRAC_AUTO, start, sizeof start) < 0)
        return gm_xml_err(L->err, GM_ERANGE, sc, "startDateTime out of range");
    /* Scylla simulates processInstances cases (up to the end date) and no
       more */
    if (json_object_set_new(out, "cases", json_integer((json_int_t)cases)) ||
        json_object_set_new(out, "terminating", json_true()) ||
        json_object_set_new(out, "start", json_string(start)))
        return nomem(L);
    if (!e)
        return 0;
    if ((rc = gm_time_parse_datetime(e, L->zone_off, &t1, &has_off, &off1, &region, &te)))
        return gm_xml_err(L->err, rc, sc, "endDateTime: %s", te.what);
    if (t1 <= t0)
        return gm_xml_err(L->err, GM_EINVAL, sc,
                          "endDateTime '%s' is not after startDateTime '%s'", e, s);
    if (json_object_set_new(out, "horizon", procimport__num((double)(t1 - t0) / 60e9)))
        return nomem(L);
    return 0;
}

static int finish(bl *L, const gm_xml_node *sc, json_t *out)
{
    int rc;
    const gm_bpmn_process *pr = gm_bpmn_process_at(L->m, L->proc);
    size_t nstarts = 0;
    for (size_t i = 0; i < gm_bpmn_nnodes(L->m); i++) {
        const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, i);
        nstarts += nd->process == L->proc && nd->parent == GM_BPMN_NONE &&
                   nd->kind == GM_BPMN_START_EVENT;
    }
    if (json_object_size(L->starts) == 0)
        return gm_xml_err(L->err, GM_EINVAL, sc,
                          "no start event of process '%s' has an <arrivalRate>", pr->id);
    json_t *arrivals = nstarts > 1 ? json_incref(L->starts)
                                   : json_incref(json_object_iter_value(
                                         json_object_iter(L->starts)));
    if (json_object_set_new(out, "arrivals", arrivals))
        return nomem(L);
    json_t *pools = json_array();
    if (!pools)
        return nomem(L);
    rc = 0;
    const bres *res = L->res.data;
    for (size_t i = 0; i < L->res.len && !rc; i++)
        if (res[i].used)
            rc = emit_pool(L, &res[i], pools);
    if (!rc)
        rc = procimport__finish(out, &L->tt, pools, L->tasks, L->gateways, L->events, L->sfile,
                                L->err);
    json_decref(pools);
    return rc;
}

static int parse_sim(bl *L, const gm_xml_node *root, json_t *out)
{
    if (!scylla_ns(root) || !named(root, "definitions"))
        return wrong_root(L, root, "a Scylla simulation <definitions>");
    L->sns = gm_xml_ns(root);
    const gm_xml_node *sc = NULL;
    for (const gm_xml_node *n = gm_xml_first(root, L->sns, NULL); n;
         n = gm_xml_next(n, L->sns, NULL)) {
        if (!named(n, "simulationConfiguration"))
            return unsupported(L, n, NULL);
        if (sc)
            return gm_xml_err(L->err, GM_EINVAL, n,
                              "more than one <simulationConfiguration> in one file");
        sc = n;
    }
    if (!sc)
        return gm_xml_err(L->err, GM_EINVAL, root, "no <simulationConfiguration>");
    const char *ref;
    int rc = gm_xml_attr_req(sc, "processRef", &ref, L->err);
    if (rc)
        return rc;
    L->proc = GM_BPMN_NONE;
    for (size_t i = 0; i < gm_bpmn_nprocesses(L->m); i++)
        if (strcmp(gm_bpmn_process_at(L->m, i)->id, ref) == 0)
            L->proc = i;
    if (L->proc == GM_BPMN_NONE)
        return gm_xml_err(L->err, GM_EINVAL, sc,
                          "processRef '%s' does not name a process of the BPMN model", ref);
    if ((rc = build(L, sc, out)) || (rc = parse_container(L, sc, GM_BPMN_NONE, false)))
        return rc;
    return finish(L, sc, out);
}

/* Both documents loaded: the conversion. */
static int convert(const gm_bpmn *m, const gm_xml *sim, const gm_xml *glob, json_t **out,
                   gm_err *err)
{
    bl L = {.m = m, .err = err, .sfile = gm_xml_doc_name(sim), .gfile = gm_xml_doc_name(glob)};
    gm_vec_init(&L.res, sizeof(bres));
    gm_vec_init(&L.tt, sizeof(procimport__tt));
    json_t *res = NULL;
    int rc;
    L.pool_names = json_object();
    L.cal_names = json_object();
    L.tasks = json_object();
    L.gateways = json_object();
    L.events = json_object();
    L.starts = json_object();
    L.res_idx = gm_map_create(GM_MAP_STR);
    L.tt_idx = gm_map_create(GM_MAP_STR);
    L.seen = calloc(gm_bpmn_nnodes(m) + 1, sizeof *L.seen);
    res = json_pack("{s:s, s:s}", "type", "process-simulation", "time_unit", "minutes");
    if (!L.pool_names || !L.cal_names || !L.tasks || !L.gateways || !L.events || !L.starts ||
        !L.res_idx || !L.tt_idx || !L.seen || !res) {
        rc = nomem(&L);
        goto fail;
    }
    if ((rc = parse_global(&L, gm_xml_root(glob))) || (rc = parse_sim(&L, gm_xml_root(sim), res)))
        goto fail;
    *out = res;
    res = NULL;
fail:
    json_decref(res);
    bres *r = L.res.data;
    for (size_t i = 0; i < L.res.len; i++)
        gm_vec_free(&r[i].inst);
    gm_vec_free(&L.res);
    procimport__tt_free(&L.tt);
    json_decref(L.pool_names);
    json_decref(L.cal_names);
    json_decref(L.tasks);
    json_decref(L.gateways);
    json_decref(L.events);
    json_decref(L.starts);
    gm_map_destroy(L.res_idx);
    gm_map_destroy(L.tt_idx);
    free(L.seen);
    return rc;
}

int gm_scylla_load(const gm_bpmn *m, const char *sim_path, const char *global_path,
                   json_t **out, gm_err *err)
{
    *out = NULL;
    gm_xml *sim = NULL, *glob = NULL;
    int rc;
    if (!(rc = gm_xml_load_file(global_path, NULL, &glob, err)) &&
        !(rc = gm_xml_load_file(sim_path, NULL, &sim, err)))
        rc = convert(m, sim, glob, out, err);
    gm_xml_free(sim);
    gm_xml_free(glob);
    return rc;
}

int gm_scylla_load_mem(const gm_bpmn *m, const char *sim_buf, size_t sim_len,
                       const char *global_buf, size_t global_len, const char *sim_name,
                       const char *global_name, json_t **out, gm_err *err)
{
    *out = NULL;
    gm_xml *sim = NULL, *glob = NULL;
    int rc;
    if (!(rc = gm_xml_load_mem(global_buf, global_len,
                               global_name ? global_name : "(global configuration)", NULL,
                               &glob, err)) &&
        !(rc = gm_xml_load_mem(sim_buf, sim_len,
                               sim_name ? sim_name : "(simulation configuration)", NULL, &sim,
                               err)))
        rc = convert(m, sim, glob, out, err);
    gm_xml_free(sim);
    gm_xml_free(glob);
    return rc;
}
