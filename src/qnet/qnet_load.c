/*
 * qnet_load.c: load and check a queueing-network model (qnet.h).
 */
#include "qnet/qnet.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/vec.h"
#include "des/kernel.h"
#include "des/kpiname.h"
#include "num/dist.h"
#include "qnet/qnet_int.h"

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
    free(m->load);
    free(m->rate);
    free(m);
}

/* Names become KPI keys ("desk.wait_mean"); these words are taken by others. */
static int check_name(const char *name, const char *path, gm_err *err)
{
    static const char *const reserved[] = {"exit", "system", "class", NULL};
    return gm_kpi_check_name(name, GM_QNET_NAME_MAX, reserved, path, err);
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
        *out = QNET_EXIT;
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
        cls[i] = QNET_NONE;
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
            if (has_specific[c] ? cls[i] == c : cls[i] == QNET_NONE)
                k++;
        if (k == 0) { /* no routing: leave the network */
            rt->n = 1;
            rt->to = malloc(sizeof *rt->to);
            rt->cum = malloc(sizeof *rt->cum);
            if (!rt->to || !rt->cum)
                goto fail_nomem;
            rt->to[0] = QNET_EXIT;
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
            if (has_specific[c] ? cls[i] == c : cls[i] == QNET_NONE) {
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

/* x rounded down to 3 significant digits, for "at most" in messages. */
static double floor3(double x)
{
    if (!(x > 0) || !isfinite(x))
        return x;
    double unit = pow(10, floor(log10(x)) - 2);
    double v = floor(x / unit) * unit;
    while (v > x)
        v -= unit;
    return v;
}

/*
 * A stop rule must be within the kernel's reach: one run holds at most
 * GM_SIM_MAX_SCHEDULED events, and the model makes at least event_rate of
 * them per unit of time (arrivals and service completions), event_rate /
 * arrival_rate per customer. Past that the run could only end at the
 * kernel's limit, after hours, with nothing to show.
 */
static int check_event_budget(const gm_qnet *m, gm_err *err)
{
    const double cap = (double)GM_SIM_MAX_SCHEDULED;
    if (m->stop_by_time) {
        double tmax = cap / m->event_rate;
        if (m->stop_time > tmax)
            return gm_err_set(err, GM_ELIMIT, "stop.time",
                              "expected at most %.3g: the model makes at least %.4g events per "
                              "unit of time (arrivals and service completions) and one run holds "
                              "at most 2^39; got %g",
                              floor3(tmax), m->event_rate, m->stop_time);
        return GM_OK;
    }
    double nmax = floor(cap / (m->event_rate / m->arrival_rate));
    if ((double)m->stop_customers > nmax)
        return gm_err_set(err, GM_ELIMIT, "stop.customers",
                          "expected at most %.0f: each customer makes at least %.4g events "
                          "(arrival and service completions) and one run holds at most 2^39; "
                          "got %llu",
                          nmax, m->event_rate / m->arrival_rate,
                          (unsigned long long)m->stop_customers);
    return GM_OK;
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
        if (m->arr[a].to == QNET_EXIT) {
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
    if ((rc = qnet__traffic(m))) {
        rc = gm_err_set(err, rc, "", "out of memory");
        goto fail;
    }
    if ((rc = check_event_budget(m, err)))
        goto fail;
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

bool gm_qnet_kpi_is_fraction(const gm_qnet *m, size_t i)
{
    if (i >= m->nkpi)
        return false;
    switch (m->kpi_kind[i]) {
    case K_UTIL: case K_PWAIT: case K_PLOSS: case K_BLOCKED: case K_SYS_PLOSS: return true;
    default: return false;
    }
}

uint64_t gm_qnet_nstreams(const gm_qnet *m)
{
    return (uint64_t)m->narrivals + 2u * (uint64_t)m->nstations;
}
