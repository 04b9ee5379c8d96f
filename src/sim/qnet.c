/*
 * qnet.c: queueing networks. The first half loads and checks a model; the
 * second half simulates one replication of it on the event kernel.
 */
#include "sim/qnet.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/vec.h"
#include "num/dist.h"
#include "num/rng.h"
#include "sim/kernel.h"
#include "sim/kpiname.h"

#define EXIT_NODE UINT32_MAX
#define NONE UINT32_MAX

/* ======================================================================== */
/* The model                                                                */

typedef struct route_table {
    uint32_t n;
    uint32_t *to;  /* station index or EXIT_NODE */
    double *cum;   /* cumulative probabilities; cum[n-1] is exactly 1 */
} route_table;

typedef struct station {
    char name[GM_QNET_NAME_MAX + 1];
    uint32_t servers;
    uint64_t capacity;  /* customers present at most; 0 = unlimited */
    bool block;         /* when full: block the sender (internal moves) instead of loss */
    bool preemptive;
    gm_dist *service;   /* [nclasses] */
    route_table *route; /* [nclasses] */
    uint32_t *level;    /* [nclasses]: queue level, 0 served first */
    uint32_t nlevels;
} station;

typedef struct arrival {
    uint32_t to;
    uint32_t cls;
    gm_dist interarrival;
} arrival;

struct gm_qnet {
    uint32_t nclasses, nstations, narrivals;
    char (*class_name)[GM_QNET_NAME_MAX + 1];
    int64_t *class_prio; /* larger is served first */
    station *st;
    arrival *arr;
    bool stop_by_time, warm_by_time;
    double stop_time, warm_time;
    uint64_t stop_customers, warm_customers;
    uint64_t max_wip;
    bool any_finite, any_block;
    /* KPI table */
    size_t nkpi;
    char **kpi_name;
    uint8_t *kpi_kind;   /* what to compute */
    uint32_t *kpi_a;     /* station or class index */
    uint32_t *kpi_b;     /* class index for per-class station KPIs */
};

/* ---- accumulators: a flat array of sums, so snapshots are memcpy and a
   period's statistics are the difference of two snapshots ---- */

enum {
    A_ARRIVED,  /* arrivals at the station (incl. lost) */
    A_LOST,
    A_DEPARTED, /* left the station after service */
    A_WAIT,     /* sum of waiting times (queue, incl. preempted time) */
    A_WAITED,   /* departures that waited at all */
    A_SOJOURN,  /* sum of times at the station (incl. blocking) */
    A_BUSY,     /* area: servers serving */
    A_BLOCKED,  /* area: servers held by a blocked customer */
    A_QUEUE,    /* area: customers waiting */
    ST_FIELDS
};
enum { SC_DEPARTED, SC_WAIT, SC_FIELDS };           /* per station and class */
enum { S_ARRIVED, S_LOST, S_EXITS, S_SOJOURN, S_WIP, SYS_FIELDS };
enum { C_EXITS, C_SOJOURN, CL_FIELDS };              /* per class, system-wide */

enum {
    K_WAIT, K_SOJOURN, K_UTIL, K_QLEN, K_PWAIT, K_THRU, K_PLOSS, K_BLOCKED, K_CLS_WAIT,
    K_SYS_SOJOURN, K_SYS_THRU, K_SYS_WIP, K_SYS_PLOSS, K_CL_SOJOURN, K_CL_THRU
};

static size_t acc_size(const gm_qnet *m)
{
    return (size_t)m->nstations * ST_FIELDS + (size_t)m->nstations * m->nclasses * SC_FIELDS +
           SYS_FIELDS + (size_t)m->nclasses * CL_FIELDS;
}
static inline size_t a_st(uint32_t s, int f)
{
    return (size_t)s * ST_FIELDS + (size_t)f;
}
static inline size_t a_sc(const gm_qnet *m, uint32_t s, uint32_t c, int f)
{
    return (size_t)m->nstations * ST_FIELDS + ((size_t)s * m->nclasses + c) * SC_FIELDS +
           (size_t)f;
}
static inline size_t a_sys(const gm_qnet *m, int f)
{
    return (size_t)m->nstations * (ST_FIELDS + (size_t)m->nclasses * SC_FIELDS) + (size_t)f;
}
static inline size_t a_cl(const gm_qnet *m, uint32_t c, int f)
{
    return a_sys(m, SYS_FIELDS) + (size_t)c * CL_FIELDS + (size_t)f;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : (double)NAN;
}

/* KPI values of a period: d holds end - start sums, dt its length. */
static void compute_kpis(const gm_qnet *m, const double *d, double dt, double *out)
{
    for (size_t i = 0; i < m->nkpi; i++) {
        uint32_t a = m->kpi_a[i], b = m->kpi_b[i];
        double v = (double)NAN;
        switch (m->kpi_kind[i]) {
        case K_WAIT: v = ratio(d[a_st(a, A_WAIT)], d[a_st(a, A_DEPARTED)]); break;
        case K_SOJOURN: v = ratio(d[a_st(a, A_SOJOURN)], d[a_st(a, A_DEPARTED)]); break;
        case K_UTIL: v = ratio(d[a_st(a, A_BUSY)], dt * m->st[a].servers); break;
        case K_QLEN: v = ratio(d[a_st(a, A_QUEUE)], dt); break;
        case K_PWAIT: v = ratio(d[a_st(a, A_WAITED)], d[a_st(a, A_DEPARTED)]); break;
        case K_THRU: v = ratio(d[a_st(a, A_DEPARTED)], dt); break;
        case K_PLOSS: v = ratio(d[a_st(a, A_LOST)], d[a_st(a, A_ARRIVED)]); break;
        case K_BLOCKED: v = ratio(d[a_st(a, A_BLOCKED)], dt * m->st[a].servers); break;
        case K_CLS_WAIT:
            v = ratio(d[a_sc(m, a, b, SC_WAIT)], d[a_sc(m, a, b, SC_DEPARTED)]);
            break;
        case K_SYS_SOJOURN: v = ratio(d[a_sys(m, S_SOJOURN)], d[a_sys(m, S_EXITS)]); break;
        case K_SYS_THRU: v = ratio(d[a_sys(m, S_EXITS)], dt); break;
        case K_SYS_WIP: v = ratio(d[a_sys(m, S_WIP)], dt); break;
        case K_SYS_PLOSS: v = ratio(d[a_sys(m, S_LOST)], d[a_sys(m, S_ARRIVED)]); break;
        case K_CL_SOJOURN: v = ratio(d[a_cl(m, a, C_SOJOURN)], d[a_cl(m, a, C_EXITS)]); break;
        case K_CL_THRU: v = ratio(d[a_cl(m, a, C_EXITS)], dt); break;
        default: break;
        }
        out[i] = v;
    }
}

/* ---- loading ----------------------------------------------------------- */

static void free_station(station *s, uint32_t nclasses)
{
    if (s->service)
        for (uint32_t c = 0; c < nclasses; c++)
            gm_dist_free(&s->service[c]);
    if (s->route)
        for (uint32_t c = 0; c < nclasses; c++) {
            free(s->route[c].to);
            free(s->route[c].cum);
        }
    free(s->service);
    free(s->route);
    free(s->level);
}

void gm_qnet_free(gm_qnet *m)
{
    if (!m)
        return;
    if (m->st)
        for (uint32_t s = 0; s < m->nstations; s++)
            free_station(&m->st[s], m->nclasses);
    if (m->arr)
        for (uint32_t a = 0; a < m->narrivals; a++)
            gm_dist_free(&m->arr[a].interarrival);
    if (m->kpi_name)
        for (size_t i = 0; i < m->nkpi; i++)
            free(m->kpi_name[i]);
    free(m->kpi_name);
    free(m->kpi_kind);
    free(m->kpi_a);
    free(m->kpi_b);
    free(m->class_name);
    free(m->class_prio);
    free(m->st);
    free(m->arr);
    free(m);
}

/* Names become KPI keys ("desk.wait_mean"); these words are taken by others. */
static int check_name(const char *name, const char *path, gm_err *err)
{
    static const char *const reserved[] = {"exit", "system", "class", NULL};
    return sim__check_kpi_name(name, GM_QNET_NAME_MAX, reserved, path, err);
}

static int find_class(const gm_qnet *m, const char *name, uint32_t *out)
{
    for (uint32_t c = 0; c < m->nclasses; c++)
        if (strcmp(m->class_name[c], name) == 0) {
            *out = c;
            return GM_OK;
        }
    return GM_ENOENT;
}

static int find_station(const gm_qnet *m, const char *name, uint32_t *out)
{
    if (strcmp(name, "exit") == 0) {
        *out = EXIT_NODE;
        return GM_OK;
    }
    for (uint32_t s = 0; s < m->nstations; s++)
        if (strcmp(m->st[s].name, name) == 0) {
            *out = s;
            return GM_OK;
        }
    return GM_ENOENT;
}

static int class_ref(const gm_qnet *m, const char *name, const char *path, uint32_t *out,
                     gm_err *err)
{
    if (find_class(m, name, out) == GM_OK)
        return GM_OK;
    return gm_err_set(err, GM_EINVAL, path, "unknown class '%s'%s", name,
                      m->nclasses == 1 && strcmp(m->class_name[0], "default") == 0
                          ? "; the model declares no \"classes\""
                          : "");
}

static int station_ref(const gm_qnet *m, const char *name, const char *path, uint32_t *out,
                       gm_err *err)
{
    if (find_station(m, name, out) == GM_OK)
        return GM_OK;
    return gm_err_set(err, GM_EINVAL, path,
                      "unknown station '%s'; expected a station name or \"exit\"", name);
}

/* "stop" and "warmup": exactly one of customers / time. */
static int parse_rule(const json_t *obj, const char *path, bool required, bool *by_time,
                      double *time, uint64_t *customers, gm_err *err)
{
    int64_t n = 0;
    double t = 0;
    bool has_n = false, has_t = false;
    const gm_json_field f[] = {
        GM_JF_FULL("customers", GM_JK_INT, GM_JF_MIN, &n, &has_n, 0, 0),
        GM_JF_FULL("time", GM_JK_NUMBER, GM_JF_MIN, &t, &has_t, 0, 0),
    };
    int rc = gm_json_unpack(obj, path, f, 2, 0, err);
    if (rc)
        return rc;
    if (has_n == has_t && (required || has_n))
        return gm_err_set(err, GM_EINVAL, path, "expected exactly one of \"customers\" or \"time\"");
    *by_time = has_t;
    *time = t;
    *customers = (uint64_t)n;
    return GM_OK;
}

static int parse_routes(gm_qnet *m, uint32_t s, const json_t *routes, const char *path,
                        gm_err *err)
{
    station *st = &m->st[s];
    char p[256], q[256];
    size_t n = routes ? json_array_size(routes) : 0;
    /* Which entries apply to each class: class-specific ones if any exist
       for that class, else the ones without "class". */
    bool *has_specific = calloc(m->nclasses, sizeof *has_specific);
    uint32_t *to = calloc(n ? n : 1, sizeof *to);
    uint32_t *cls = calloc(n ? n : 1, sizeof *cls);
    double *prob = calloc(n ? n : 1, sizeof *prob);
    int rc;
    if (!has_specific || !to || !cls || !prob)
        goto fail_nomem;
    for (size_t i = 0; i < n; i++) {
        gm_json_path_index(p, sizeof p, path, i);
        const char *dest = "", *cname = NULL;
        double pr;
        bool has_cls = false;
        const gm_json_field f[] = {
            GM_JF("to", GM_JK_STRING, GM_JF_REQUIRED, &dest),
            GM_JF_RANGE("p", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &pr, 0, 1),
            GM_JF_P("class", GM_JK_STRING, 0, &cname, &has_cls),
        };
        if ((rc = gm_json_unpack(json_array_get(routes, i), p, f, 3, 0, err)))
            goto fail;
        gm_json_path_key(q, sizeof q, p, "to");
        if ((rc = station_ref(m, dest, q, &to[i], err)))
            goto fail;
        cls[i] = NONE;
        if (has_cls) {
            gm_json_path_key(q, sizeof q, p, "class");
            if ((rc = class_ref(m, cname, q, &cls[i], err)))
                goto fail;
            has_specific[cls[i]] = true;
        }
        prob[i] = pr;
    }
    for (uint32_t c = 0; c < m->nclasses; c++) {
        route_table *rt = &st->route[c];
        uint32_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (has_specific[c] ? cls[i] == c : cls[i] == NONE)
                k++;
        if (k == 0) { /* no routing: leave the network */
            rt->n = 1;
            rt->to = malloc(sizeof *rt->to);
            rt->cum = malloc(sizeof *rt->cum);
            if (!rt->to || !rt->cum)
                goto fail_nomem;
            rt->to[0] = EXIT_NODE;
            rt->cum[0] = 1.0;
            if (n > 0 && !has_specific[c] && m->nclasses > 1) {
                rc = gm_err_set(err, GM_EINVAL, path,
                                "no route for class '%s': add entries with \"class\": \"%s\" "
                                "or entries without \"class\"",
                                m->class_name[c], m->class_name[c]);
                goto fail;
            }
            continue;
        }
        rt->n = k;
        rt->to = malloc(sizeof *rt->to * k);
        rt->cum = malloc(sizeof *rt->cum * k);
        if (!rt->to || !rt->cum)
            goto fail_nomem;
        double sum = 0;
        k = 0;
        for (size_t i = 0; i < n; i++)
            if (has_specific[c] ? cls[i] == c : cls[i] == NONE) {
                sum += prob[i];
                rt->to[k] = to[i];
                rt->cum[k++] = sum;
            }
        if (fabs(sum - 1.0) > 1e-9) {
            if (m->nclasses > 1)
                rc = gm_err_set(err, GM_EINVAL, path,
                                "probabilities for class '%s' sum to %.12g; expected 1",
                                m->class_name[c], sum);
            else
                rc = gm_err_set(err, GM_EINVAL, path, "probabilities sum to %.12g; expected 1",
                                sum);
            goto fail;
        }
        rt->cum[k - 1] = 1.0; /* so that u < 1 always finds a route */
    }
    rc = GM_OK;
    goto done;
fail_nomem:
    rc = gm_err_set(err, GM_ENOMEM, path, "out of memory");
fail:
done:
    free(has_specific);
    free(to);
    free(cls);
    free(prob);
    return rc;
}

static int parse_station(gm_qnet *m, uint32_t s, const json_t *obj, const char *path, gm_err *err)
{
    station *st = &m->st[s];
    const char *name = "", *when_full = "loss", *discipline = "fifo";
    int64_t servers = 1, capacity = 0;
    bool preemptive = false, has_cap = false, has_service = false, has_by_class = false;
    const json_t *service = NULL, *by_class = NULL, *routes = NULL;
    const gm_json_field f[] = {
        GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &name),
        GM_JF_RANGE("servers", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &servers, 1, GM_QNET_MAX_SERVERS),
        GM_JF_P("service", GM_JK_OBJECT, 0, &service, &has_service),
        GM_JF_P("service_by_class", GM_JK_OBJECT, 0, &by_class, &has_by_class),
        GM_JF_FULL("capacity", GM_JK_INT, GM_JF_MIN, &capacity, &has_cap, 1, 0),
        GM_JF("when_full", GM_JK_STRING, 0, &when_full),
        GM_JF("discipline", GM_JK_STRING, 0, &discipline),
        GM_JF("preemptive", GM_JK_BOOL, 0, &preemptive),
        GM_JF("routing", GM_JK_ARRAY, 0, &routes),
    };
    int rc = gm_json_unpack(obj, path, f, sizeof f / sizeof f[0], 0, err);
    if (rc)
        return rc;
    char p[256];
    gm_json_path_key(p, sizeof p, path, "name");
    if ((rc = check_name(name, p, err)))
        return rc;
    for (uint32_t o = 0; o < s; o++)
        if (strcmp(m->st[o].name, name) == 0)
            return gm_err_set(err, GM_EINVAL, p, "duplicate station name '%s'", name);
    snprintf(st->name, sizeof st->name, "%s", name);
    st->servers = (uint32_t)servers;
    if (has_cap && capacity < servers) {
        gm_json_path_key(p, sizeof p, path, "capacity");
        return gm_err_set(err, GM_EINVAL, p,
                          "expected capacity >= servers (%lld): capacity counts customers in "
                          "service and waiting",
                          (long long)servers);
    }
    st->capacity = has_cap ? (uint64_t)capacity : 0;
    gm_json_path_key(p, sizeof p, path, "when_full");
    if (strcmp(when_full, "loss") == 0)
        st->block = false;
    else if (strcmp(when_full, "block") == 0)
        st->block = true;
    else
        return gm_err_set(err, GM_EINVAL, p, "expected \"loss\" or \"block\", got '%s'", when_full);
    gm_json_path_key(p, sizeof p, path, "discipline");
    bool priority;
    if (strcmp(discipline, "fifo") == 0)
        priority = false;
    else if (strcmp(discipline, "priority") == 0)
        priority = true;
    else
        return gm_err_set(err, GM_EINVAL, p, "expected \"fifo\" or \"priority\", got '%s'",
                          discipline);
    if (preemptive && !priority) {
        gm_json_path_key(p, sizeof p, path, "preemptive");
        return gm_err_set(err, GM_EINVAL, p, "preemption needs \"discipline\": \"priority\"");
    }
    st->preemptive = preemptive;
    m->any_finite |= st->capacity > 0;
    m->any_block |= st->block && st->capacity > 0;

    st->service = calloc(m->nclasses, sizeof *st->service);
    st->route = calloc(m->nclasses, sizeof *st->route);
    st->level = calloc(m->nclasses, sizeof *st->level);
    if (!st->service || !st->route || !st->level)
        return gm_err_set(err, GM_ENOMEM, path, "out of memory");

    /* Service: one distribution for all classes, and/or one per class name. */
    if (has_service == has_by_class && !(has_service && m->nclasses > 1))
        return gm_err_set(err, GM_EINVAL, path,
                          has_service ? "give \"service\" or \"service_by_class\", not both"
                                      : "missing required field \"service\" (a distribution)");
    gm_dist common;
    memset(&common, 0, sizeof common);
    if (has_service) {
        gm_json_path_key(p, sizeof p, path, "service");
        if ((rc = gm_dist_from_json(service, p, &common, err)))
            return rc;
    }
    bool *set = calloc(m->nclasses, sizeof *set);
    if (!set) {
        gm_dist_free(&common);
        return gm_err_set(err, GM_ENOMEM, path, "out of memory");
    }
    if (has_by_class) {
        char bp[256], cp[256];
        gm_json_path_key(bp, sizeof bp, path, "service_by_class");
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)by_class, key, val)
        {
            gm_json_path_key(cp, sizeof cp, bp, key);
            uint32_t c = 0;
            if ((rc = class_ref(m, key, cp, &c, err)) ||
                (rc = gm_dist_from_json(val, cp, &st->service[c], err)))
                goto fail_service;
            set[c] = true;
        }
    }
    for (uint32_t c = 0; c < m->nclasses; c++) {
        if (set[c])
            continue;
        if (!has_service) {
            rc = gm_err_set(err, GM_EINVAL, path,
                            "no service time for class '%s': add it to \"service_by_class\" or "
                            "give a common \"service\"",
                            m->class_name[c]);
            goto fail_service;
        }
        if ((rc = gm_dist_copy(&st->service[c], &common))) {
            rc = gm_err_set(err, rc, path, "out of memory");
            goto fail_service;
        }
    }
    for (uint32_t c = 0; c < m->nclasses; c++) {
        double mean = gm_dist_mean(&st->service[c]);
        char d[128];
        gm_dist_describe(&st->service[c], d, sizeof d);
        /* Service times are durations: a distribution that can go negative
           would move the clock backwards. */
        if (gm_dist_cdf(&st->service[c], -1e-300) > 0 || !(mean >= 0)) {
            rc = gm_err_set(err, GM_EINVAL, path,
                            "service time %s can be negative; use a distribution on [0, inf) "
                            "(e.g. truncated-normal with min 0, lognormal, gamma)",
                            d);
            goto fail_service;
        }
    }
    gm_dist_free(&common);
    free(set);
    set = NULL;

    /* Queue levels: FIFO is one level; priority orders classes by priority,
       higher first, classes of equal priority sharing a level (FIFO among
       them). */
    st->nlevels = 1;
    if (priority) {
        for (uint32_t c = 0; c < m->nclasses; c++) {
            uint32_t above = 0; /* distinct priorities higher than c's */
            for (uint32_t o = 0; o < m->nclasses; o++) {
                bool first_of_its_value = true;
                for (uint32_t k = 0; k < o; k++)
                    if (m->class_prio[k] == m->class_prio[o])
                        first_of_its_value = false;
                if (first_of_its_value && m->class_prio[o] > m->class_prio[c])
                    above++;
            }
            st->level[c] = above;
            if (above + 1 > st->nlevels)
                st->nlevels = above + 1;
        }
    }
    gm_json_path_key(p, sizeof p, path, "routing");
    return parse_routes(m, s, routes, p, err);

fail_service:
    gm_dist_free(&common);
    free(set);
    return rc;
}

static int parse_classes(gm_qnet *m, const json_t *classes, gm_err *err)
{
    size_t n = classes ? json_array_size(classes) : 0;
    if (n > GM_QNET_MAX_CLASSES)
        return gm_err_set(err, GM_ELIMIT, "classes", "expected at most %d classes, got %zu",
                          GM_QNET_MAX_CLASSES, n);
    m->nclasses = n ? (uint32_t)n : 1;
    m->class_name = calloc(m->nclasses, sizeof *m->class_name);
    m->class_prio = calloc(m->nclasses, sizeof *m->class_prio);
    if (!m->class_name || !m->class_prio)
        return gm_err_set(err, GM_ENOMEM, "classes", "out of memory");
    if (n == 0) {
        strcpy(m->class_name[0], "default");
        return GM_OK;
    }
    char p[256], q[256];
    for (size_t i = 0; i < n; i++) {
        gm_json_path_index(p, sizeof p, "classes", i);
        const char *name = "";
        int64_t prio = 0;
        const gm_json_field f[] = {
            GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, &name),
            GM_JF_RANGE("priority", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &prio, -1000000, 1000000),
        };
        int rc = gm_json_unpack(json_array_get(classes, i), p, f, 2, 0, err);
        if (rc)
            return rc;
        gm_json_path_key(q, sizeof q, p, "name");
        if ((rc = check_name(name, q, err)))
            return rc;
        for (size_t o = 0; o < i; o++)
            if (strcmp(m->class_name[o], name) == 0)
                return gm_err_set(err, GM_EINVAL, q, "duplicate class name '%s'", name);
        snprintf(m->class_name[i], sizeof m->class_name[i], "%s", name);
        m->class_prio[i] = prio;
    }
    return GM_OK;
}

static int add_kpi(gm_qnet *m, size_t *cap, uint8_t kind, uint32_t a, uint32_t b,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int add_kpi(gm_qnet *m, size_t *cap, uint8_t kind, uint32_t a, uint32_t b,
                   const char *fmt, ...)
{
    if (m->nkpi == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        char **names = realloc(m->kpi_name, nc * sizeof *names);
        if (names)
            m->kpi_name = names;
        uint8_t *kinds = realloc(m->kpi_kind, nc * sizeof *kinds);
        if (kinds)
            m->kpi_kind = kinds;
        uint32_t *as = realloc(m->kpi_a, nc * sizeof *as);
        if (as)
            m->kpi_a = as;
        uint32_t *bs = realloc(m->kpi_b, nc * sizeof *bs);
        if (bs)
            m->kpi_b = bs;
        if (!names || !kinds || !as || !bs)
            return GM_ENOMEM;
        *cap = nc;
    }
    char buf[3 * GM_QNET_NAME_MAX + 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *name = strdup(buf);
    if (!name)
        return GM_ENOMEM;
    m->kpi_name[m->nkpi] = name;
    m->kpi_kind[m->nkpi] = kind;
    m->kpi_a[m->nkpi] = a;
    m->kpi_b[m->nkpi] = b;
    m->nkpi++;
    return GM_OK;
}

/* The KPI list: per station, then per class, then the whole system. Loss and
   blocking KPIs appear only when the model can lose or block customers. */
static int build_kpis(gm_qnet *m)
{
    size_t cap = 0;
    int rc = GM_OK;
    for (uint32_t s = 0; s < m->nstations && !rc; s++) {
        const char *n = m->st[s].name;
        rc = add_kpi(m, &cap, K_WAIT, s, 0, "%s.wait_mean", n);
        if (!rc) rc = add_kpi(m, &cap, K_SOJOURN, s, 0, "%s.sojourn_mean", n);
        if (!rc) rc = add_kpi(m, &cap, K_UTIL, s, 0, "%s.utilization", n);
        if (!rc) rc = add_kpi(m, &cap, K_QLEN, s, 0, "%s.queue_len_mean", n);
        if (!rc) rc = add_kpi(m, &cap, K_PWAIT, s, 0, "%s.p_wait", n);
        if (!rc) rc = add_kpi(m, &cap, K_THRU, s, 0, "%s.throughput", n);
        if (!rc && m->st[s].capacity)
            rc = add_kpi(m, &cap, K_PLOSS, s, 0, "%s.p_loss", n);
        if (!rc && m->any_block)
            rc = add_kpi(m, &cap, K_BLOCKED, s, 0, "%s.blocked", n);
        for (uint32_t c = 0; c < m->nclasses && !rc && m->nclasses > 1; c++)
            rc = add_kpi(m, &cap, K_CLS_WAIT, s, c, "%s.%s.wait_mean", n, m->class_name[c]);
    }
    for (uint32_t c = 0; c < m->nclasses && !rc && m->nclasses > 1; c++) {
        rc = add_kpi(m, &cap, K_CL_SOJOURN, c, 0, "class.%s.sojourn_mean", m->class_name[c]);
        if (!rc) rc = add_kpi(m, &cap, K_CL_THRU, c, 0, "class.%s.throughput", m->class_name[c]);
    }
    if (!rc) rc = add_kpi(m, &cap, K_SYS_SOJOURN, 0, 0, "system.sojourn_mean");
    if (!rc) rc = add_kpi(m, &cap, K_SYS_THRU, 0, 0, "system.throughput");
    if (!rc) rc = add_kpi(m, &cap, K_SYS_WIP, 0, 0, "system.wip_mean");
    if (!rc && m->any_finite)
        rc = add_kpi(m, &cap, K_SYS_PLOSS, 0, 0, "system.p_loss");
    return rc;
}

int gm_qnet_load(const json_t *doc, gm_qnet **out, gm_err *err)
{
    const char *type = "";
    /* The type first: it says what the rest of the document should be. */
    const gm_json_field tf[] = {GM_JF("type", GM_JK_STRING, GM_JF_REQUIRED, &type)};
    int rc = gm_json_unpack(doc, "", tf, 1, GM_JSON_ALLOW_EXTRA, err);
    if (rc)
        return rc;
    if (strcmp(type, "queueing-network") != 0)
        return gm_err_set(err, GM_EINVAL, "type", "expected \"queueing-network\", got '%s'", type);
    const json_t *stop, *warmup = NULL, *classes = NULL, *arrivals, *stations;
    int64_t max_wip = GM_QNET_MAX_WIP;
    const gm_json_field top[] = {
        GM_JF("type", GM_JK_STRING, GM_JF_REQUIRED, &type),
        GM_JF("stop", GM_JK_OBJECT, GM_JF_REQUIRED, &stop),
        GM_JF("warmup", GM_JK_OBJECT, 0, &warmup),
        GM_JF("classes", GM_JK_ARRAY, 0, &classes),
        GM_JF_RANGE("arrivals", GM_JK_ARRAY, GM_JF_REQUIRED | GM_JF_MIN, &arrivals, 1, 0),
        GM_JF_RANGE("stations", GM_JK_ARRAY, GM_JF_REQUIRED | GM_JF_MIN, &stations, 1, 0),
        GM_JF("name", GM_JK_STRING, 0, NULL),
        GM_JF("description", GM_JK_STRING, 0, NULL),
        GM_JF_RANGE("max_in_system", GM_JK_INT, GM_JF_MIN | GM_JF_MAX, &max_wip, 1, 2e9),
    };
    rc = gm_json_unpack(doc, "", top, sizeof top / sizeof top[0], 0, err);
    if (rc)
        return rc;
    size_t nst = json_array_size(stations), narr = json_array_size(arrivals);
    if (nst > GM_QNET_MAX_STATIONS)
        return gm_err_set(err, GM_ELIMIT, "stations", "expected at most %d stations, got %zu",
                          GM_QNET_MAX_STATIONS, nst);
    if (narr > GM_QNET_MAX_ARRIVALS)
        return gm_err_set(err, GM_ELIMIT, "arrivals", "expected at most %d arrival streams, got %zu",
                          GM_QNET_MAX_ARRIVALS, narr);

    gm_qnet *m = calloc(1, sizeof *m);
    if (!m)
        return gm_err_set(err, GM_ENOMEM, "", "out of memory");
    m->max_wip = (uint64_t)max_wip;
    if ((rc = parse_rule(stop, "stop", true, &m->stop_by_time, &m->stop_time, &m->stop_customers,
                         err)))
        goto fail;
    if (warmup && (rc = parse_rule(warmup, "warmup", false, &m->warm_by_time, &m->warm_time,
                                   &m->warm_customers, err)))
        goto fail;
    if (!m->stop_by_time && m->stop_customers == 0) {
        rc = gm_err_set(err, GM_EINVAL, "stop.customers", "expected an integer >= 1, got 0");
        goto fail;
    }
    if (m->stop_by_time && !(m->stop_time > 0)) {
        rc = gm_err_set(err, GM_EINVAL, "stop.time", "expected a number > 0, got 0");
        goto fail;
    }
    /* Same units: the warm-up must end before the stop rule, leaving room for
       the batches of the batch-means interval. */
    if (!m->stop_by_time && !m->warm_by_time &&
        m->stop_customers < m->warm_customers + GM_QNET_BATCHES) {
        rc = gm_err_set(err, GM_EINVAL, "stop.customers",
                        "expected at least warmup.customers + %d = %llu, got %llu",
                        GM_QNET_BATCHES, (unsigned long long)m->warm_customers + GM_QNET_BATCHES,
                        (unsigned long long)m->stop_customers);
        goto fail;
    }
    if (m->stop_by_time && m->warm_by_time && !(m->stop_time > m->warm_time)) {
        rc = gm_err_set(err, GM_EINVAL, "stop.time", "expected more than warmup.time (%g), got %g",
                        m->warm_time, m->stop_time);
        goto fail;
    }
    if ((rc = parse_classes(m, classes, err)))
        goto fail;

    /* Stations first (names), then their contents (routes refer to names). */
    m->nstations = (uint32_t)nst;
    m->st = calloc(nst, sizeof *m->st);
    if (!m->st) {
        rc = gm_err_set(err, GM_ENOMEM, "stations", "out of memory");
        goto fail;
    }
    char p[256];
    for (size_t s = 0; s < nst; s++) {
        const json_t *obj = json_array_get(stations, s);
        const json_t *name = json_is_object(obj) ? json_object_get(obj, "name") : NULL;
        if (json_is_string(name))
            snprintf(m->st[s].name, sizeof m->st[s].name, "%s", json_string_value(name));
    }
    /* Routing may name stations defined later: their names were taken
       above as given, and each is checked when its own turn comes. */
    for (uint32_t s = 0; s < m->nstations; s++) {
        gm_json_path_index(p, sizeof p, "stations", s);
        if ((rc = parse_station(m, s, json_array_get(stations, s), p, err)))
            goto fail;
    }

    m->narrivals = (uint32_t)narr;
    m->arr = calloc(narr, sizeof *m->arr);
    if (!m->arr) {
        rc = gm_err_set(err, GM_ENOMEM, "arrivals", "out of memory");
        goto fail;
    }
    for (uint32_t a = 0; a < m->narrivals; a++) {
        char q[256];
        gm_json_path_index(p, sizeof p, "arrivals", a);
        const char *to = "", *cname = NULL;
        const json_t *ia;
        const gm_json_field f[] = {
            GM_JF("to", GM_JK_STRING, GM_JF_REQUIRED, &to),
            GM_JF("interarrival", GM_JK_OBJECT, GM_JF_REQUIRED, &ia),
            GM_JF("class", GM_JK_STRING, 0, &cname),
        };
        if ((rc = gm_json_unpack(json_array_get(arrivals, a), p, f, 3, 0, err)))
            goto fail;
        gm_json_path_key(q, sizeof q, p, "to");
        if ((rc = station_ref(m, to, q, &m->arr[a].to, err)))
            goto fail;
        if (m->arr[a].to == EXIT_NODE) {
            rc = gm_err_set(err, GM_EINVAL, q, "arrivals must go to a station, not \"exit\"");
            goto fail;
        }
        m->arr[a].cls = 0;
        if (cname) {
            gm_json_path_key(q, sizeof q, p, "class");
            if ((rc = class_ref(m, cname, q, &m->arr[a].cls, err)))
                goto fail;
        } else if (m->nclasses > 1) {
            rc = gm_err_set(err, GM_EINVAL, p,
                            "missing \"class\": the model declares classes, say which one arrives");
            goto fail;
        }
        gm_json_path_key(q, sizeof q, p, "interarrival");
        if ((rc = gm_dist_from_json(ia, q, &m->arr[a].interarrival, err)))
            goto fail;
        gm_dist *d = &m->arr[a].interarrival;
        char desc[128];
        gm_dist_describe(d, desc, sizeof desc);
        if (gm_dist_cdf(d, -1e-300) > 0 || !(gm_dist_mean(d) > 0)) {
            rc = gm_err_set(err, GM_EINVAL, q,
                            "interarrival time %s must be >= 0 with a positive mean", desc);
            goto fail;
        }
    }
    if ((rc = build_kpis(m))) {
        rc = gm_err_set(err, rc, "", "out of memory");
        goto fail;
    }
    *out = m;
    return GM_OK;
fail:
    gm_qnet_free(m);
    return rc;
}

int gm_qnet_load_file(const char *path, gm_qnet **out, gm_err *err)
{
    json_t *doc = gm_json_load_file(path, NULL, err);
    if (!doc)
        return err ? err->code : GM_EINVAL;
    int rc = gm_qnet_load(doc, out, err);
    json_decref(doc);
    if (rc)
        gm_err_prefix(err, "%s", path);
    return rc;
}

size_t gm_qnet_nkpi(const gm_qnet *m)
{
    return m->nkpi;
}

const char *gm_qnet_kpi_name(const gm_qnet *m, size_t i)
{
    return i < m->nkpi ? m->kpi_name[i] : NULL;
}

uint64_t gm_qnet_nstreams(const gm_qnet *m)
{
    return (uint64_t)m->narrivals + 2u * (uint64_t)m->nstations;
}

/* ======================================================================== */
/* One replication                                                          */

typedef struct cust {
    double t_sys;       /* entered the system */
    double t_st;        /* entered the current station */
    double t_enq;       /* last joined a queue */
    double wait;        /* time waiting at the current station so far */
    double remaining;   /* service left after a preemption, or < 0 */
    double t_end;       /* end of the current service */
    gm_sim_event dep;
    uint32_t cls, station;
    uint32_t pos;       /* index in its station's server array */
    uint32_t next_free;
    bool waited, blocked;
} cust;

/* FIFO ring of customer indices; capacity a power of two; grows. */
typedef struct ring {
    uint32_t *buf;
    uint32_t cap, head, len;
} ring;

typedef struct st_state {
    uint32_t *svc;      /* customers holding a server: serving or blocked */
    uint32_t nsvc, svc_cap, nblocked;
    ring *q;            /* [nlevels] */
    uint64_t nwait;
    ring blockq;        /* customers elsewhere, blocked until this station has room */
    uint64_t present;   /* waiting + holding a server */
    double last_t;      /* areas are integrated up to here */
    gm_rng svc_rng, route_rng;
} st_state;

typedef struct run {
    const gm_qnet *m;
    gm_sim *sim;
    cust *c;
    uint32_t ncust, cust_cap, free_cust;
    st_state *st;
    gm_rng *arr_rng;
    size_t nacc;
    double *acc, *snap_warm, *snap_prev, *snap_now;
    double now;        /* the kernel's clock, cached at each event */
    double sys_last_t;
    uint64_t wip, exits, arrivals, arrival_guard;
    bool warm_done, finished;
    double t_warm, t_prev;
    uint64_t exits_at_warm, batch_next_exit;
    uint64_t next_check; /* see set_next_check */
    unsigned batch_i;
    double *batch_out; /* may be NULL */
    double *kpi_out;
    uint32_t *work; /* stations with room to hand out (station_freed) */
    bool *in_work;
    uint32_t nwork;
    int error;
    char error_msg[200];
} run;

static void fail_run(run *R, int code, const char *msg)
{
    if (!R->error) {
        R->error = code;
        snprintf(R->error_msg, sizeof R->error_msg, "%s", msg);
    }
    gm_sim_stop(R->sim);
}

static int ring_grow(ring *r)
{
    uint32_t cap = r->cap ? r->cap * 2 : 16;
    if (cap <= r->cap)
        return GM_ELIMIT;
    uint32_t *b = malloc(sizeof *b * cap);
    if (!b)
        return GM_ENOMEM;
    for (uint32_t i = 0; i < r->len; i++)
        b[i] = r->buf[(r->head + i) & (r->cap - 1)];
    free(r->buf);
    r->buf = b;
    r->cap = cap;
    r->head = 0;
    return GM_OK;
}

static inline int ring_push_back(ring *r, uint32_t v)
{
    if (r->len == r->cap && ring_grow(r))
        return GM_ENOMEM;
    r->buf[(r->head + r->len++) & (r->cap - 1)] = v;
    return GM_OK;
}

static inline int ring_push_front(ring *r, uint32_t v)
{
    if (r->len == r->cap && ring_grow(r))
        return GM_ENOMEM;
    r->head = (r->head - 1) & (r->cap - 1);
    r->buf[r->head] = v;
    r->len++;
    return GM_OK;
}

static inline uint32_t ring_pop(ring *r)
{
    uint32_t v = r->buf[r->head];
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    return v;
}

/* Integrate the station's levels up to now before they change. */
static inline void touch(run *R, uint32_t s)
{
    st_state *S = &R->st[s];
    double now = R->now, dt = now - S->last_t;
    if (dt > 0) {
        R->acc[a_st(s, A_BUSY)] += (double)(S->nsvc - S->nblocked) * dt;
        R->acc[a_st(s, A_BLOCKED)] += (double)S->nblocked * dt;
        R->acc[a_st(s, A_QUEUE)] += (double)S->nwait * dt;
    }
    S->last_t = now;
}

static inline void sys_touch(run *R)
{
    double now = R->now, dt = now - R->sys_last_t;
    if (dt > 0)
        R->acc[a_sys(R->m, S_WIP)] += (double)R->wip * dt;
    R->sys_last_t = now;
}

static uint32_t new_cust(run *R)
{
    if (R->free_cust != NONE) {
        uint32_t i = R->free_cust;
        R->free_cust = R->c[i].next_free;
        return i;
    }
    if (R->ncust == R->cust_cap) {
        uint32_t cap = R->cust_cap ? R->cust_cap * 2 : 1024;
        cust *c = cap > R->cust_cap ? realloc(R->c, sizeof *c * cap) : NULL;
        if (!c)
            return NONE;
        R->c = c;
        R->cust_cap = cap;
    }
    return R->ncust++;
}

static void free_cust(run *R, uint32_t i)
{
    R->c[i].next_free = R->free_cust;
    R->free_cust = i;
}

/* ---- statistics periods ---- */

static void take_snapshot(run *R, double *dst)
{
    for (uint32_t s = 0; s < R->m->nstations; s++)
        touch(R, s);
    sys_touch(R);
    memcpy(dst, R->acc, R->nacc * sizeof *dst);
}

static void period_kpis(run *R, const double *from, double t_from, double *out)
{
    double *d = R->snap_now; /* holds the end snapshot; turned into the difference */
    double *delta = R->snap_now + R->nacc;
    for (size_t i = 0; i < R->nacc; i++)
        delta[i] = d[i] - from[i];
    compute_kpis(R->m, delta, R->now - t_from, out);
}

static void batch_boundary(run *R)
{
    take_snapshot(R, R->snap_now);
    if (R->batch_out && R->batch_i < GM_QNET_BATCHES)
        period_kpis(R, R->snap_prev, R->t_prev, R->batch_out + (size_t)R->batch_i * R->m->nkpi);
    R->batch_i++;
    memcpy(R->snap_prev, R->snap_now, R->nacc * sizeof *R->snap_prev);
    R->t_prev = R->now;
}

static void on_batch_time(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    R->now = gm_sim_now(sim);
    batch_boundary(R);
}

/* The next number of exits at which the warm-up, a batch or the run ends,
   so that most exits cost one comparison. */
static void set_next_check(run *R)
{
    const gm_qnet *m = R->m;
    uint64_t n = UINT64_MAX;
    if (!R->warm_done && !m->warm_by_time)
        n = m->warm_customers;
    if (!m->stop_by_time) {
        if (m->stop_customers < n)
            n = m->stop_customers;
        if (R->warm_done && R->batch_i < GM_QNET_BATCHES - 1 && R->batch_next_exit < n)
            n = R->batch_next_exit;
    }
    R->next_check = n;
}

/* Warm-up ends: statistics restart here, and the batches are laid out. */
static void end_warmup(run *R)
{
    const gm_qnet *m = R->m;
    take_snapshot(R, R->snap_warm);
    memcpy(R->snap_prev, R->snap_warm, R->nacc * sizeof *R->snap_prev);
    R->t_warm = R->t_prev = R->now;
    R->warm_done = true;
    R->exits_at_warm = R->exits;
    if (m->stop_by_time) {
        double len = (m->stop_time - R->t_warm) / GM_QNET_BATCHES;
        for (unsigned k = 1; k < GM_QNET_BATCHES; k++)
            if (!gm_sim_schedule_at(R->sim, R->t_warm + len * k, on_batch_time, R, k))
                fail_run(R, gm_sim_error(R->sim), "cannot schedule a batch boundary");
    } else {
        R->batch_next_exit =
            R->exits_at_warm + (m->stop_customers - R->exits_at_warm) / GM_QNET_BATCHES;
    }
    set_next_check(R);
}

static void on_warm_time(gm_sim *sim, void *ctx, uint64_t data)
{
    (void)data;
    run *R = ctx;
    R->now = gm_sim_now(sim);
    end_warmup(R);
}

static void finish(run *R)
{
    if (!R->warm_done) {
        fail_run(R, GM_ELIMIT, "the run ended before its warm-up did: lengthen \"stop\" or "
                               "shorten \"warmup\"");
        return;
    }
    take_snapshot(R, R->snap_now);
    if (R->batch_out)
        while (R->batch_i < GM_QNET_BATCHES) {
            period_kpis(R, R->snap_prev, R->t_prev,
                        R->batch_out + (size_t)R->batch_i * R->m->nkpi);
            memcpy(R->snap_prev, R->snap_now, R->nacc * sizeof *R->snap_prev);
            R->t_prev = R->now;
            R->batch_i++;
        }
    period_kpis(R, R->snap_warm, R->t_warm, R->kpi_out);
    R->finished = true;
}

/* ---- customer flow ---- */

static void on_departure(gm_sim *sim, void *ctx, uint64_t data);

static void start_service(run *R, uint32_t ci, uint32_t s)
{
    const station *st = &R->m->st[s];
    st_state *S = &R->st[s];
    cust *c = &R->c[ci];
    touch(R, s);
    if (S->nsvc == S->svc_cap) {
        uint32_t cap = S->svc_cap ? S->svc_cap * 2 : 4;
        if (cap > st->servers)
            cap = st->servers;
        uint32_t *v = realloc(S->svc, sizeof *v * cap);
        if (!v) {
            fail_run(R, GM_ENOMEM, "out of memory");
            return;
        }
        S->svc = v;
        S->svc_cap = cap;
    }
    c->pos = S->nsvc;
    S->svc[S->nsvc++] = ci;
    double d = c->remaining >= 0 ? c->remaining : gm_dist_sample(&st->service[c->cls], &S->svc_rng);
    c->remaining = -1;
    c->t_end = R->now + d;
    c->dep = gm_sim_schedule(R->sim, d, on_departure, R, ci);
    if (!c->dep)
        fail_run(R, gm_sim_error(R->sim), "cannot schedule a departure");
}

static void enqueue(run *R, uint32_t ci, uint32_t s, bool front)
{
    const station *st = &R->m->st[s];
    st_state *S = &R->st[s];
    cust *c = &R->c[ci];
    touch(R, s);
    ring *q = &S->q[st->level[c->cls]];
    if ((front ? ring_push_front(q, ci) : ring_push_back(q, ci)) != GM_OK) {
        fail_run(R, GM_ENOMEM, "out of memory");
        return;
    }
    c->t_enq = R->now;
    S->nwait++;
}

static void remove_from_server(run *R, uint32_t ci, uint32_t s)
{
    st_state *S = &R->st[s];
    cust *c = &R->c[ci];
    touch(R, s);
    if (c->blocked) {
        c->blocked = false;
        S->nblocked--;
    }
    uint32_t last = S->svc[--S->nsvc];
    S->svc[c->pos] = last;
    R->c[last].pos = c->pos;
}

/* Take the in-service customer of lowest priority below ci's, if any. */
static bool try_preempt(run *R, uint32_t ci, uint32_t s)
{
    const station *st = &R->m->st[s];
    st_state *S = &R->st[s];
    uint32_t my = st->level[R->c[ci].cls], victim = NONE, worst = my;
    for (uint32_t k = 0; k < S->nsvc; k++) {
        const cust *v = &R->c[S->svc[k]];
        if (!v->blocked && st->level[v->cls] > worst) {
            worst = st->level[v->cls];
            victim = S->svc[k];
        }
    }
    if (victim == NONE)
        return false;
    cust *v = &R->c[victim];
    gm_sim_cancel(R->sim, v->dep);
    v->dep = 0;
    v->remaining = v->t_end - R->now;
    if (v->remaining < 0)
        v->remaining = 0;
    remove_from_server(R, victim, s);
    enqueue(R, victim, s, true); /* resumes first among its class */
    return true;
}

/* Customer ci leaves the system: lost at entry or done. */
static void leave_system(run *R, uint32_t ci, bool lost)
{
    const gm_qnet *m = R->m;
    cust *c = &R->c[ci];
    sys_touch(R);
    R->wip--;
    if (lost) {
        R->acc[a_sys(m, S_LOST)] += 1;
    } else {
        double soj = R->now - c->t_sys;
        R->acc[a_sys(m, S_EXITS)] += 1;
        R->acc[a_sys(m, S_SOJOURN)] += soj;
        if (m->nclasses > 1) {
            R->acc[a_cl(m, c->cls, C_EXITS)] += 1;
            R->acc[a_cl(m, c->cls, C_SOJOURN)] += soj;
        }
    }
    free_cust(R, ci);
    if (lost)
        return;
    if (++R->exits < R->next_check)
        return;
    if (!R->warm_done && !m->warm_by_time && R->exits >= m->warm_customers)
        end_warmup(R);
    if (!m->stop_by_time && R->warm_done) {
        while (R->batch_i < GM_QNET_BATCHES - 1 && R->exits >= R->batch_next_exit) {
            batch_boundary(R);
            R->batch_next_exit = R->exits_at_warm + (m->stop_customers - R->exits_at_warm) *
                                                        (R->batch_i + 1) / GM_QNET_BATCHES;
        }
        if (R->exits >= m->stop_customers) {
            finish(R);
            gm_sim_stop(R->sim);
        }
    } else if (!m->stop_by_time && R->exits >= m->stop_customers) {
        finish(R); /* reports that the warm-up never ended */
    }
    set_next_check(R);
}

/* ci arrives at station s (from outside or another station). exempt: it
   already holds a place there (feedback to the same station). */
static void enter_station(run *R, uint32_t ci, uint32_t s, bool exempt)
{
    const station *st = &R->m->st[s];
    st_state *S = &R->st[s];
    cust *c = &R->c[ci];
    R->acc[a_st(s, A_ARRIVED)] += 1;
    if (!exempt && st->capacity && S->present >= st->capacity) {
        R->acc[a_st(s, A_LOST)] += 1;
        leave_system(R, ci, true);
        return;
    }
    S->present++;
    c->station = s;
    c->t_st = R->now;
    c->wait = 0;
    c->waited = false;
    c->remaining = -1;
    c->blocked = false;
    if (S->nsvc < st->servers)
        start_service(R, ci, s);
    else if (st->preemptive && try_preempt(R, ci, s))
        start_service(R, ci, s);
    else
        enqueue(R, ci, s, false);
}

/* Record ci's visit to s and release its server. */
static void leave_station(run *R, uint32_t ci, uint32_t s)
{
    const gm_qnet *m = R->m;
    cust *c = &R->c[ci];
    double soj = R->now - c->t_st;
    R->acc[a_st(s, A_DEPARTED)] += 1;
    R->acc[a_st(s, A_WAIT)] += c->wait;
    R->acc[a_st(s, A_WAITED)] += c->waited ? 1.0 : 0.0;
    R->acc[a_st(s, A_SOJOURN)] += soj;
    if (m->nclasses > 1) {
        R->acc[a_sc(m, s, c->cls, SC_DEPARTED)] += 1;
        R->acc[a_sc(m, s, c->cls, SC_WAIT)] += c->wait;
    }
    remove_from_server(R, ci, s);
    R->st[s].present--;
}

/* Give free servers to waiting customers, highest priority level first. */
static void fill_servers(run *R, uint32_t s)
{
    const station *st = &R->m->st[s];
    st_state *S = &R->st[s];
    while (S->nsvc < st->servers && S->nwait > 0) {
        uint32_t l = 0;
        while (S->q[l].len == 0)
            l++;
        touch(R, s);
        uint32_t ci = ring_pop(&S->q[l]);
        S->nwait--;
        cust *c = &R->c[ci];
        double now = R->now;
        if (now > c->t_enq) {
            c->wait += now - c->t_enq;
            c->waited = true;
        }
        start_service(R, ci, s);
    }
}

/* Room appeared at s0: fill its servers, admit customers blocked upstream,
   and follow the chain of stations those customers free in turn. */
static void station_freed(run *R, uint32_t s0)
{
    const gm_qnet *m = R->m;
    if (!m->any_block) { /* nobody can be waiting to get in: just serve the queue */
        fill_servers(R, s0);
        return;
    }
    R->nwork = 0;
    R->work[R->nwork++] = s0;
    R->in_work[s0] = true;
    while (R->nwork) {
        uint32_t s = R->work[--R->nwork];
        R->in_work[s] = false;
        fill_servers(R, s);
        st_state *S = &R->st[s];
        while (S->blockq.len && (m->st[s].capacity == 0 || S->present < m->st[s].capacity)) {
            uint32_t bi = ring_pop(&S->blockq);
            uint32_t u = R->c[bi].station;
            leave_station(R, bi, u);
            enter_station(R, bi, s, false);
            /* Each station is on the stack at most once, so it needs at
               most one slot per station. */
            if (!R->in_work[u]) {
                R->in_work[u] = true;
                R->work[R->nwork++] = u;
            }
        }
    }
}

static uint32_t route(run *R, uint32_t s, uint32_t cls)
{
    const route_table *rt = &R->m->st[s].route[cls];
    if (rt->n == 1)
        return rt->to[0];
    double u = gm_rng_uniform(&R->st[s].route_rng);
    uint32_t i = 0;
    while (u >= rt->cum[i])
        i++;
    return rt->to[i];
}

/* The two handlers below are the whole per-customer path: flatten inlines
   every helper into them (measured ~8% faster on M/M/3, bench/mm3_vs_simpy). */
__attribute__((flatten)) static void on_departure(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    R->now = gm_sim_now(sim);
    const gm_qnet *m = R->m;
    uint32_t ci = (uint32_t)data;
    cust *c = &R->c[ci];
    uint32_t s = c->station;
    c->dep = 0;
    uint32_t next = route(R, s, c->cls);
    if (next == s) { /* back into the same queue, behind those waiting */
        leave_station(R, ci, s);
        fill_servers(R, s);
        enter_station(R, ci, s, true); /* it kept its place in the capacity */
        station_freed(R, s);
        return;
    }
    if (next != EXIT_NODE && m->st[next].block && m->st[next].capacity &&
        R->st[next].present >= m->st[next].capacity) {
        /* Blocking after service: hold the server until next has room. */
        touch(R, s);
        c->blocked = true;
        R->st[s].nblocked++;
        if (ring_push_back(&R->st[next].blockq, ci) != GM_OK)
            fail_run(R, GM_ENOMEM, "out of memory");
        return;
    }
    leave_station(R, ci, s);
    if (next == EXIT_NODE)
        leave_system(R, ci, false);
    else
        enter_station(R, ci, next, false);
    station_freed(R, s);
}

__attribute__((flatten)) static void on_arrival(gm_sim *sim, void *ctx, uint64_t data)
{
    run *R = ctx;
    R->now = gm_sim_now(sim);
    const gm_qnet *m = R->m;
    uint32_t a = (uint32_t)data;
    const arrival *ar = &m->arr[a];
    double d = gm_dist_sample(&ar->interarrival, &R->arr_rng[a]);
    if (!gm_sim_schedule(sim, d, on_arrival, R, a)) {
        fail_run(R, gm_sim_error(sim), "cannot schedule an arrival");
        return;
    }
    if (++R->arrivals > R->arrival_guard) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "after %llu arrivals only %llu customers have left the system (of the %llu the "
                 "stop rule needs): customers are lost or stuck; stop by time instead",
                 (unsigned long long)R->arrivals, (unsigned long long)R->exits,
                 (unsigned long long)m->stop_customers);
        fail_run(R, GM_ELIMIT, msg);
        return;
    }
    if (R->wip >= m->max_wip) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "more than %llu customers in the system at time %g (max_in_system): is it "
                 "overloaded (arrivals faster than it can serve)?",
                 (unsigned long long)m->max_wip, R->now);
        fail_run(R, GM_ELIMIT, msg);
        return;
    }
    uint32_t ci = new_cust(R);
    if (ci == NONE) {
        fail_run(R, GM_ENOMEM, "out of memory for customers");
        return;
    }
    cust *c = &R->c[ci];
    c->cls = ar->cls;
    c->t_sys = R->now;
    c->dep = 0;
    c->blocked = false;
    sys_touch(R);
    R->wip++;
    R->acc[a_sys(m, S_ARRIVED)] += 1;
    enter_station(R, ci, ar->to, false);
}

static void free_run(run *R)
{
    if (R->st)
        for (uint32_t s = 0; s < R->m->nstations; s++) {
            st_state *S = &R->st[s];
            free(S->svc);
            if (S->q)
                for (uint32_t l = 0; l < R->m->st[s].nlevels; l++)
                    free(S->q[l].buf);
            free(S->q);
            free(S->blockq.buf);
        }
    free(R->st);
    free(R->c);
    free(R->arr_rng);
    free(R->acc);
    free(R->snap_warm);
    free(R->snap_prev);
    free(R->snap_now);
    free(R->work);
    free(R->in_work);
    gm_sim_destroy(R->sim);
}

int gm_qnet_replicate(const gm_qnet *m, uint64_t seed, uint64_t rep, gm_qnet_result *res,
                      gm_err *err)
{
    run R;
    memset(&R, 0, sizeof R);
    R.m = m;
    R.free_cust = NONE;
    R.nacc = acc_size(m);
    R.kpi_out = res->kpi;
    R.batch_out = res->batch;
    R.sim = gm_sim_create(GM_SIM_HEAP4, 64);
    R.st = calloc(m->nstations, sizeof *R.st);
    R.arr_rng = calloc(m->narrivals, sizeof *R.arr_rng);
    R.acc = calloc(R.nacc, sizeof *R.acc);
    R.snap_warm = calloc(R.nacc, sizeof *R.snap_warm);
    R.snap_prev = calloc(R.nacc, sizeof *R.snap_prev);
    R.snap_now = calloc(2 * R.nacc, sizeof *R.snap_now);
    R.work = malloc(sizeof *R.work * m->nstations);
    R.in_work = calloc(m->nstations, sizeof *R.in_work);
    int rc = GM_ENOMEM;
    if (!R.sim || !R.st || !R.arr_rng || !R.acc || !R.snap_warm || !R.snap_prev || !R.snap_now ||
        !R.work || !R.in_work)
        goto nomem;

    /* Streams: rep * S + k, k over arrivals, then (service, routing) per station. */
    uint64_t base = rep * gm_qnet_nstreams(m);
    for (uint32_t a = 0; a < m->narrivals; a++)
        gm_rng_seed(&R.arr_rng[a], seed, base + a);
    for (uint32_t s = 0; s < m->nstations; s++) {
        st_state *S = &R.st[s];
        gm_rng_seed(&S->svc_rng, seed, base + m->narrivals + 2u * s);
        gm_rng_seed(&S->route_rng, seed, base + m->narrivals + 2u * s + 1);
        S->q = calloc(m->st[s].nlevels, sizeof *S->q);
        if (!S->q)
            goto nomem;
    }
    /* 100 N + 10^6 arrivals without N exits means customers are lost or stuck. */
    R.arrival_guard = m->stop_by_time || m->stop_customers > (UINT64_MAX - 1000000) / 100
                          ? UINT64_MAX
                          : 100 * m->stop_customers + 1000000;
    set_next_check(&R);

    for (uint32_t a = 0; a < m->narrivals; a++) {
        double d = gm_dist_sample(&m->arr[a].interarrival, &R.arr_rng[a]);
        if (!gm_sim_schedule(R.sim, d, on_arrival, &R, a))
            goto nomem;
    }
    if (m->warm_by_time) {
        if (m->warm_time > 0) {
            if (!gm_sim_schedule_at(R.sim, m->warm_time, on_warm_time, &R, 0))
                goto nomem;
        } else {
            end_warmup(&R);
        }
    } else if (m->warm_customers == 0) {
        end_warmup(&R);
    }

    if (m->stop_by_time) {
        gm_sim_run(R.sim, m->stop_time, 0);
        R.now = gm_sim_now(R.sim);
        if (!R.error)
            finish(&R);
    } else {
        gm_sim_run(R.sim, HUGE_VAL, 0);
        if (!R.error && !R.finished)
            fail_run(&R, GM_EINTERNAL, "the calendar ran empty before the stop rule");
    }
    if (R.error) {
        rc = gm_err_set(err, R.error, "simulation", "replication %llu: %s",
                        (unsigned long long)rep, R.error_msg);
        goto done;
    }
    res->events = gm_sim_events(R.sim);
    res->customers = R.exits;
    rc = GM_OK;
    goto done;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, "simulation", "out of memory");
done:
    free_run(&R);
    return rc;
}
