/*
 * Queueing networks against queueing theory. Each check runs independent
 * replications with a fixed seed and asserts that the 95% interval contains
 * the analytical value and that the point estimate is within a small
 * relative error: a wrong model fails both, a right one passes for good
 * (the runs are deterministic).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "des/experiment.h"
#include "num/special.h"
#include "qnet/qnet.h"

static gm_qnet *load(const char *text)
{
    gm_err err;
    json_t *doc = gm_json_load_str(text, strlen(text), NULL, "<model>", &err);
    if (!doc)
        fail_msg("model JSON: %s: %s", err.where, err.what);
    gm_qnet *m = NULL;
    if (gm_qnet_load(doc, &m, &err))
        fail_msg("model: %s: %s", err.where, err.what);
    json_decref(doc);
    return m;
}

static int rep_fn(const void *ctx, uint64_t seed, uint64_t rep, double *kpi, double *batch,
                  uint64_t *events, gm_err *err)
{
    gm_qnet_result r = {.kpi = kpi, .batch = batch};
    int rc = gm_qnet_replicate(ctx, seed, rep, &r, err);
    *events = r.events;
    return rc;
}

static gm_exp_summary run(const gm_qnet *m, uint64_t reps, unsigned threads, uint64_t seed)
{
    gm_experiment e = {.reps = reps, .threads = threads, .seed = seed, .nkpi = gm_qnet_nkpi(m),
                       .nbatches = GM_QNET_BATCHES, .rep = rep_fn, .ctx = m};
    gm_exp_summary s;
    gm_err err;
    if (gm_experiment_run(&e, &s, &err))
        fail_msg("experiment: %s: %s", err.where, err.what);
    return s;
}

static const gm_exp_kpi *kpi(const gm_qnet *m, const gm_exp_summary *s, const char *name)
{
    for (size_t i = 0; i < gm_qnet_nkpi(m); i++)
        if (strcmp(gm_qnet_kpi_name(m, i), name) == 0)
            return &s->kpi[i];
    fail_msg("no KPI %s", name);
    return NULL;
}

/* The interval covers the theory and the estimate is within rel of it. */
static void expect(const gm_qnet *m, const gm_exp_summary *s, const char *name, double theory,
                   double rel)
{
    const gm_exp_kpi *k = kpi(m, s, name);
    if (!k)
        return;
    double err = fabs(k->mean - theory) / fabs(theory);
    printf("  %-28s theory %-10.6g mean %-10.6g ci [%.6g, %.6g] rel.err %.4f\n", name, theory,
           k->mean, k->lo, k->hi, err);
    if (!(k->lo <= theory && theory <= k->hi))
        fail_msg("%s: 95%% CI [%g, %g] misses the theoretical %g", name, k->lo, k->hi, theory);
    if (!(err <= rel))
        fail_msg("%s: relative error %g above %g", name, err, rel);
}

/* Erlang C: probability of waiting and mean wait in M/M/c. */
static void erlang_c(double lambda, double mu, int c, double *p_wait, double *wq)
{
    double a = lambda / mu, rho = a / c, term = 1, sum = 1;
    for (int k = 1; k < c; k++) {
        term *= a / k;
        sum += term;
    }
    double last = term * a / c / (1 - rho);
    *p_wait = last / (sum + last);
    *wq = *p_wait / (c * mu - lambda);
}

static void test_mmc_erlang_c(void **state)
{
    (void)state;
    double pw, wq;
    erlang_c(2.7, 1.0, 3, &pw, &wq);
    /* The figures. */
    assert_true(fabs(wq - 2.7235) < 1e-4);
    assert_true(fabs(pw - 0.8171) < 1e-4);
    gm_qnet *m = load("{\"type\": \"queueing-network\","
                      " \"stop\": {\"customers\": 200000}, \"warmup\": {\"customers\": 5000},"
                      " \"arrivals\": [{\"to\": \"desk\", \"interarrival\":"
                      "   {\"dist\": \"exponential\", \"rate\": 2.7}}],"
                      " \"stations\": [{\"name\": \"desk\", \"servers\": 3,"
                      "   \"service\": {\"dist\": \"exponential\", \"mean\": 1}}]}");
    gm_exp_summary s = run(m, 20, 2, 1);
    expect(m, &s, "desk.wait_mean", wq, 0.03);
    expect(m, &s, "desk.p_wait", pw, 0.01);
    expect(m, &s, "desk.utilization", 0.9, 0.01);
    expect(m, &s, "desk.sojourn_mean", wq + 1.0, 0.02);
    expect(m, &s, "desk.queue_len_mean", 2.7 * wq, 0.03); /* Little */
    expect(m, &s, "system.throughput", 2.7, 0.01);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
}

/* M/G/1 at rho = 0.9, E[S] = 1: Pollaczek-Khinchine Wq = lambda E[S^2] / (2(1 - rho)). */
static void test_mg1_pollaczek_khinchine(void **state)
{
    (void)state;
    const struct {
        const char *service;
        double es2;
    } cases[] = {
        {"{\"dist\": \"constant\", \"value\": 1}", 1.0},            /* M/D/1: 4.5 */
        {"{\"dist\": \"erlang\", \"k\": 4, \"mean\": 1}", 1.25},    /* M/E4/1: 5.625 */
        {"{\"dist\": \"exponential\", \"mean\": 1}", 2.0},          /* M/M/1: 9.0 */
    };
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"type\": \"queueing-network\","
                 " \"stop\": {\"customers\": %d}, \"warmup\": {\"customers\": 10000},"
                 " \"arrivals\": [{\"to\": \"s\", \"interarrival\":"
                 "   {\"dist\": \"exponential\", \"rate\": 0.9}}],"
                 " \"stations\": [{\"name\": \"s\", \"service\": %s}]}",
                 i == 2 ? 600000 : 300000, cases[i].service);
        gm_qnet *m = load(text);
        gm_exp_summary s = run(m, 20, 2, 7);
        double wq = 0.9 * cases[i].es2 / (2 * (1 - 0.9));
        expect(m, &s, "s.wait_mean", wq, 0.04);
        expect(m, &s, "s.utilization", 0.9, 0.01);
        gm_exp_summary_free(&s);
        gm_qnet_free(m);
    }
}

/* A Jackson network with feedback: traffic equations, then each station is
   an independent M/M/c; the system sojourn follows from Little's law. */
static void test_jackson_network(void **state)
{
    (void)state;
    /* Routing matrix P (A, B, C) and external arrivals. */
    const double P[3][3] = {{0.0, 0.6, 0.4}, {0.2, 0.0, 0.0}, {0.3, 0.2, 0.0}};
    const double ext[3] = {1.0, 0.5, 0.0};
    const double mu[3] = {4.0, 1.5, 2.5};
    const int c[3] = {1, 2, 1};
    /* lambda = ext + lambda P, by fixed-point iteration (it converges: the
       network is open). */
    double lam[3] = {0, 0, 0};
    for (int it = 0; it < 10000; it++) {
        double nl[3];
        for (int j = 0; j < 3; j++) {
            nl[j] = ext[j];
            for (int i = 0; i < 3; i++)
                nl[j] += lam[i] * P[i][j];
        }
        memcpy(lam, nl, sizeof lam);
    }
    gm_qnet *m = load(
        "{\"type\": \"queueing-network\","
        " \"stop\": {\"customers\": 150000}, \"warmup\": {\"customers\": 5000},"
        " \"arrivals\": ["
        "  {\"to\": \"A\", \"interarrival\": {\"dist\": \"exponential\", \"rate\": 1.0}},"
        "  {\"to\": \"B\", \"interarrival\": {\"dist\": \"exponential\", \"rate\": 0.5}}],"
        " \"stations\": ["
        "  {\"name\": \"A\", \"servers\": 1, \"service\": {\"dist\": \"exponential\", \"rate\": 4},"
        "   \"routing\": [{\"to\": \"B\", \"p\": 0.6}, {\"to\": \"C\", \"p\": 0.4}]},"
        "  {\"name\": \"B\", \"servers\": 2, \"service\": {\"dist\": \"exponential\", \"rate\": 1.5},"
        "   \"routing\": [{\"to\": \"A\", \"p\": 0.2}, {\"to\": \"exit\", \"p\": 0.8}]},"
        "  {\"name\": \"C\", \"servers\": 1, \"service\": {\"dist\": \"exponential\", \"rate\": 2.5},"
        "   \"routing\": [{\"to\": \"A\", \"p\": 0.3}, {\"to\": \"B\", \"p\": 0.2},"
        "                 {\"to\": \"exit\", \"p\": 0.5}]}]}");
    /* the loader's traffic equations: the same arrival rates */
    for (uint32_t j = 0; j < 3; j++) {
        double rho = lam[j] / (c[j] * mu[j]);
        if (!(fabs(gm_qnet_offered_load(m, j) - rho) <= 1e-12 * rho))
            fail_msg("station %u: offered load %.17g, expected %.17g", j,
                     gm_qnet_offered_load(m, j), rho);
    }
    char why[256];
    assert_int_equal(gm_qnet_overloaded(m, why, sizeof why), 0);
    assert_string_equal(why, "");
    gm_exp_summary s = run(m, 20, 2, 3);
    const char *names[3] = {"A", "B", "C"};
    double total_L = 0;
    for (int j = 0; j < 3; j++) {
        double pw, wq;
        erlang_c(lam[j], mu[j], c[j], &pw, &wq);
        double w = wq + 1 / mu[j];
        total_L += lam[j] * w;
        char key[64];
        snprintf(key, sizeof key, "%s.wait_mean", names[j]);
        expect(m, &s, key, wq, 0.05);
        snprintf(key, sizeof key, "%s.throughput", names[j]);
        expect(m, &s, key, lam[j], 0.01);
        snprintf(key, sizeof key, "%s.utilization", names[j]);
        expect(m, &s, key, lam[j] / (c[j] * mu[j]), 0.01);
    }
    expect(m, &s, "system.sojourn_mean", total_L / 1.5, 0.03);
    expect(m, &s, "system.wip_mean", total_L, 0.03);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
}

/* A Jackson network read from a model file, independently of the loader:
   one class, exponential times, no capacities. */
#define JN_MAX 16
typedef struct jnet {
    int n;
    char name[JN_MAX][GM_QNET_NAME_MAX];
    double gamma[JN_MAX], mu[JN_MAX], P[JN_MAX][JN_MAX];
    int c[JN_MAX];
} jnet;

static double exp_rate(const json_t *spec)
{
    assert_string_equal(json_string_value(json_object_get(spec, "dist")), "exponential");
    const json_t *mean = json_object_get(spec, "mean");
    return mean ? 1 / json_number_value(mean) : json_number_value(json_object_get(spec, "rate"));
}

static int jn_index(const jnet *j, const char *name)
{
    for (int i = 0; i < j->n; i++)
        if (strcmp(j->name[i], name) == 0)
            return i;
    fail_msg("no station %s", name);
    return -1;
}

static void jn_read(const char *path, jnet *j)
{
    gm_err err;
    json_t *doc = gm_json_load_file(path, NULL, &err);
    if (!doc)
        fail_msg("%s: %s: %s", path, err.where, err.what);
    memset(j, 0, sizeof *j);
    const json_t *sts = json_object_get(doc, "stations"), *st;
    size_t i;
    assert_true(json_array_size(sts) <= JN_MAX);
    json_array_foreach(sts, i, st) {
        snprintf(j->name[i], sizeof j->name[i], "%s",
                 json_string_value(json_object_get(st, "name")));
        const json_t *servers = json_object_get(st, "servers");
        j->c[i] = servers ? (int)json_integer_value(servers) : 1;
        j->mu[i] = exp_rate(json_object_get(st, "service"));
        assert_null(json_object_get(st, "capacity"));
    }
    j->n = (int)json_array_size(sts);
    json_array_foreach(sts, i, st) {
        const json_t *r;
        size_t k;
        json_array_foreach(json_object_get(st, "routing"), k, r) {
            const char *to = json_string_value(json_object_get(r, "to"));
            if (strcmp(to, "exit") != 0)
                j->P[i][jn_index(j, to)] += json_number_value(json_object_get(r, "p"));
        }
    }
    const json_t *a;
    json_array_foreach(json_object_get(doc, "arrivals"), i, a)
        j->gamma[jn_index(j, json_string_value(json_object_get(a, "to")))] +=
            exp_rate(json_object_get(a, "interarrival"));
    json_decref(doc);
}

/* As expect, for one of k checks made together: the interval is the
   Bonferroni one, Student-t at 1 - 0.05 / k, so that all k cover their
   values with probability at least 95% (k 95% intervals would miss one of
   63 checks 96% of the time). */
static void expect_joint(const gm_qnet *m, const gm_exp_summary *s, const char *name,
                         double theory, double rel, int k)
{
    const gm_exp_kpi *v = kpi(m, s, name);
    if (!v)
        return;
    double df = (double)v->n - 1;
    double half = gm_t_quantile(1 - 0.025 / k, df) * v->sd / sqrt((double)v->n);
    double lo = v->mean - half, hi = v->mean + half, err = fabs(v->mean - theory) / fabs(theory);
    printf("  %-28s theory %-10.6g mean %-10.6g ci [%.6g, %.6g] rel.err %.4f\n", name, theory,
           v->mean, lo, hi, err);
    if (!(lo <= theory && theory <= hi))
        fail_msg("%s: joint interval [%g, %g] (1 of %d) misses the theoretical %g", name, lo, hi,
                 k, theory);
    if (!(err <= rel))
        fail_msg("%s: relative error %g above %g", name, err, rel);
}

/* The benchmark networks that bench/qnet_vs_simpy.sh runs against SimPy,
   as their files stand: by Jackson's theorem each station is an
   independent M/M/c at its arrival rate from the traffic equations
   lambda = gamma + lambda P, so Erlang C gives its KPIs, and Little's law
   the system's. */
static void check_product_form(const char *file, uint64_t reps, uint64_t seed)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GEMEL_SOURCE_DIR, file);
    printf("%s\n", file);
    jnet j;
    jn_read(path, &j);
    double lam[JN_MAX] = {0}, nl[JN_MAX];
    for (int it = 0; it < 100000; it++) { /* converges: the network is open */
        for (int s = 0; s < j.n; s++) {
            nl[s] = j.gamma[s];
            for (int r = 0; r < j.n; r++)
                nl[s] += lam[r] * j.P[r][s];
        }
        memcpy(lam, nl, sizeof lam);
    }
    gm_qnet *m = NULL;
    gm_err err;
    if (gm_qnet_load_file(path, &m, &err))
        fail_msg("%s: %s", err.where, err.what);
    gm_exp_summary sum = run(m, reps, 2, seed);
    const int k = 6 * j.n + 3; /* the checks below */
    double total_L = 0, total_gamma = 0;
    for (int s = 0; s < j.n; s++) {
        double rho = lam[s] / (j.c[s] * j.mu[s]);
        assert_true(rho >= 0.6 && rho <= 0.9); /* busy, and stable */
        double pw, wq;
        erlang_c(lam[s], j.mu[s], j.c[s], &pw, &wq);
        total_L += lam[s] * (wq + 1 / j.mu[s]);
        total_gamma += j.gamma[s];
        char key[2 * GM_QNET_NAME_MAX];
        snprintf(key, sizeof key, "%s.wait_mean", j.name[s]);
        expect_joint(m, &sum, key, wq, 0.05, k);
        snprintf(key, sizeof key, "%s.p_wait", j.name[s]);
        expect_joint(m, &sum, key, pw, 0.02, k);
        snprintf(key, sizeof key, "%s.queue_len_mean", j.name[s]);
        expect_joint(m, &sum, key, lam[s] * wq, 0.05, k); /* Little */
        snprintf(key, sizeof key, "%s.sojourn_mean", j.name[s]);
        expect_joint(m, &sum, key, wq + 1 / j.mu[s], 0.03, k);
        snprintf(key, sizeof key, "%s.utilization", j.name[s]);
        expect_joint(m, &sum, key, rho, 0.01, k);
        snprintf(key, sizeof key, "%s.throughput", j.name[s]);
        expect_joint(m, &sum, key, lam[s], 0.01, k);
    }
    expect_joint(m, &sum, "system.wip_mean", total_L, 0.03, k);
    expect_joint(m, &sum, "system.sojourn_mean", total_L / total_gamma, 0.03, k);
    expect_joint(m, &sum, "system.throughput", total_gamma, 0.01, k);
    gm_exp_summary_free(&sum);
    gm_qnet_free(m);
}

static void test_bench_networks_product_form(void **state)
{
    (void)state;
    check_product_form("bench/jackson4.json", 10, 41);
    check_product_form("bench/tandem10.json", 10, 42);
}

/* M/M/1/K: arrivals finding K customers present are lost. */
static void test_mm1k_loss(void **state)
{
    (void)state;
    const double rho = 0.9;
    const int K = 5;
    double pk = (1 - rho) * pow(rho, K) / (1 - pow(rho, K + 1));
    gm_qnet *m = load("{\"type\": \"queueing-network\","
                      " \"stop\": {\"time\": 200000}, \"warmup\": {\"time\": 1000},"
                      " \"arrivals\": [{\"to\": \"s\", \"interarrival\":"
                      "   {\"dist\": \"exponential\", \"rate\": 0.9}}],"
                      " \"stations\": [{\"name\": \"s\", \"capacity\": 5,"
                      "   \"service\": {\"dist\": \"exponential\", \"mean\": 1}}]}");
    gm_exp_summary s = run(m, 20, 2, 5);
    expect(m, &s, "s.p_loss", pk, 0.02);
    expect(m, &s, "system.p_loss", pk, 0.02);
    expect(m, &s, "system.throughput", 0.9 * (1 - pk), 0.01);
    /* Mean number present: sum n p_n. */
    double L = 0, norm = 0;
    for (int n = 0; n <= K; n++) {
        L += n * pow(rho, n);
        norm += pow(rho, n);
    }
    expect(m, &s, "system.wip_mean", L / norm, 0.02);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
}

/* Same seed, 1 and 2 threads: every KPI of every replication identical. */
static void test_threads_identical(void **state)
{
    (void)state;
    gm_qnet *m = load("{\"type\": \"queueing-network\", \"stop\": {\"customers\": 20000},"
                      " \"arrivals\": [{\"to\": \"a\", \"interarrival\":"
                      "   {\"dist\": \"exponential\", \"mean\": 1}}],"
                      " \"stations\": [{\"name\": \"a\", \"servers\": 2,"
                      "   \"service\": {\"dist\": \"gamma\", \"shape\": 2, \"scale\": 0.8},"
                      "   \"routing\": [{\"to\": \"a\", \"p\": 0.1}, {\"to\": \"exit\", \"p\": 0.9}]}]}");
    gm_exp_summary a = run(m, 8, 1, 99), b = run(m, 8, 2, 99), c = run(m, 8, 2, 100);
    size_t n = 8 * gm_qnet_nkpi(m);
    assert_memory_equal(a.values, b.values, n * sizeof(double));
    assert_true(a.events == b.events);
    assert_memory_not_equal(a.values, c.values, n * sizeof(double)); /* the seed matters */
    gm_exp_summary_free(&a);
    gm_exp_summary_free(&b);
    gm_exp_summary_free(&c);
    gm_qnet_free(m);
}


/* Two classes at one exponential server (mu = 1), lambda_hi = 0.3 and
   lambda_lo = 0.5. Non-preemptive (Cobham): W_k = W0 / ((1 - s_{k-1})(1 - s_k))
   with W0 = sum lambda_i E[S_i^2] / 2. Preemptive-resume: the high class
   sees an M/M/1 of its own; the low class T = E[S]/(1 - s1) + W0/((1 - s1)(1 - s2)). */
static void test_priority_classes(void **state)
{
    (void)state;
#define PRIO_MODEL                                                                                 \
        "{\"type\": \"queueing-network\", \"stop\": {\"customers\": 400000}," \
        " \"warmup\": {\"customers\": 10000}," \
        " \"classes\": [{\"name\": \"hi\", \"priority\": 2}, {\"name\": \"lo\", \"priority\": 1}]," \
        " \"arrivals\": [" \
        "  {\"to\": \"s\", \"class\": \"hi\", \"interarrival\": {\"dist\": \"exponential\", \"rate\": 0.3}}," \
        "  {\"to\": \"s\", \"class\": \"lo\", \"interarrival\": {\"dist\": \"exponential\", \"rate\": 0.5}}]," \
        " \"stations\": [{\"name\": \"s\", \"discipline\": \"priority\", \"preemptive\": %s," \
        "   \"service\": {\"dist\": \"exponential\", \"mean\": 1}}]}"
    char text[1024];
    double w0 = (0.3 * 2 + 0.5 * 2) / 2, s1 = 0.3, s2 = 0.8;

    snprintf(text, sizeof text, PRIO_MODEL, "false");
    gm_qnet *m = load(text);
    gm_exp_summary s = run(m, 20, 2, 11);
    expect(m, &s, "s.hi.wait_mean", w0 / (1 - s1), 0.03);
    expect(m, &s, "s.lo.wait_mean", w0 / ((1 - s1) * (1 - s2)), 0.04);
    expect(m, &s, "class.hi.throughput", 0.3, 0.01);
    expect(m, &s, "class.lo.throughput", 0.5, 0.01);
    /* Work conservation: the overall wait is the M/M/1 one, 0.8 / 0.2 * 1 = 4. */
    expect(m, &s, "s.wait_mean", 4.0, 0.04);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);

    snprintf(text, sizeof text, PRIO_MODEL, "true");
    m = load(text);
    s = run(m, 20, 2, 12);
    expect(m, &s, "class.hi.sojourn_mean", 1 / (1 - 0.3), 0.02);
    expect(m, &s, "class.lo.sojourn_mean", 1 / (1 - s1) + w0 / ((1 - s1) * (1 - s2)), 0.04);
    expect(m, &s, "s.utilization", 0.8, 0.01);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
}

/* Tandem A -> B with B holding at most K = 2 and blocking A when full,
   against the stationary distribution of its Markov chain, computed here:
   states (n1, n2, b) with b = 1 when A's finished customer is blocked. */
#define N1 80
#define K2 2
static int idx(int n1, int n2, int b)
{
    return (n1 * (K2 + 1) + n2) * 2 + b;
}

static void tandem_ctmc(double lam, double mu1, double mu2, double *L, double *p_blocked,
                        double *util_a)
{
    enum { NS = (N1 + 1) * (K2 + 1) * 2 };
    static double pi[NS], nx[NS];
    const double unif = lam + mu1 + mu2;
    for (int i = 0; i < NS; i++)
        pi[i] = 0;
    pi[idx(0, 0, 0)] = 1;
    for (int it = 0; it < 200000; it++) {
        for (int i = 0; i < NS; i++)
            nx[i] = 0;
        for (int n1 = 0; n1 <= N1; n1++)
            for (int n2 = 0; n2 <= K2; n2++)
                for (int b = 0; b <= 1; b++) {
                    double p = pi[idx(n1, n2, b)];
                    if (p == 0)
                        continue;
                    double stay = unif;
                    if (n1 < N1) { /* arrival */
                        nx[idx(n1 + 1, n2, b)] += p * lam / unif;
                        stay -= lam;
                    }
                    if (n1 > 0 && !b) { /* A finishes */
                        if (n2 < K2)
                            nx[idx(n1 - 1, n2 + 1, 0)] += p * mu1 / unif;
                        else
                            nx[idx(n1, n2, 1)] += p * mu1 / unif;
                        stay -= mu1;
                    }
                    if (n2 > 0) { /* B finishes; a blocked customer moves in */
                        if (b)
                            nx[idx(n1 - 1, n2, 0)] += p * mu2 / unif;
                        else
                            nx[idx(n1, n2 - 1, 0)] += p * mu2 / unif;
                        stay -= mu2;
                    }
                    nx[idx(n1, n2, b)] += p * stay / unif;
                }
        double diff = 0;
        for (int i = 0; i < NS; i++) {
            diff += fabs(nx[i] - pi[i]);
            pi[i] = nx[i];
        }
        if (diff < 1e-14)
            break;
    }
    *L = *p_blocked = *util_a = 0;
    for (int n1 = 0; n1 <= N1; n1++)
        for (int n2 = 0; n2 <= K2; n2++)
            for (int b = 0; b <= 1; b++) {
                double p = pi[idx(n1, n2, b)];
                *L += (n1 + n2) * p;
                if (b)
                    *p_blocked += p;
                else if (n1 > 0)
                    *util_a += p;
            }
}

static void test_tandem_blocking(void **state)
{
    (void)state;
    double L, pb, ua;
    tandem_ctmc(0.5, 1.0, 0.7, &L, &pb, &ua);
    assert_true(pb > 0.02); /* blocking matters in this configuration */
    gm_qnet *m = load(
        "{\"type\": \"queueing-network\","
        " \"stop\": {\"time\": 100000}, \"warmup\": {\"time\": 500},"
        " \"arrivals\": [{\"to\": \"A\", \"interarrival\": {\"dist\": \"exponential\", \"rate\": 0.5}}],"
        " \"stations\": ["
        "  {\"name\": \"A\", \"service\": {\"dist\": \"exponential\", \"rate\": 1},"
        "   \"routing\": [{\"to\": \"B\", \"p\": 1}]},"
        "  {\"name\": \"B\", \"capacity\": 2, \"when_full\": \"block\","
        "   \"service\": {\"dist\": \"exponential\", \"rate\": 0.7}}]}");
    gm_exp_summary s = run(m, 20, 2, 21);
    expect(m, &s, "system.wip_mean", L, 0.03);
    expect(m, &s, "system.sojourn_mean", L / 0.5, 0.03);
    expect(m, &s, "A.blocked", pb, 0.03);
    expect(m, &s, "A.utilization", ua, 0.01);
    expect(m, &s, "B.utilization", 0.5 / 0.7, 0.01);
    /* Blocking loses nobody. */
    const gm_exp_kpi *loss = kpi(m, &s, "system.p_loss");
    if (loss)
        assert_true(loss->mean == 0.0);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
}

/* Loading text must fail with exactly this location and a message containing what. */
static void expect_load_error(const char *text, const char *where, const char *what)
{
    gm_err err;
    json_t *doc = gm_json_load_str(text, strlen(text), NULL, "<model>", &err);
    assert_non_null(doc);
    gm_qnet *m = NULL;
    int rc = gm_qnet_load(doc, &m, &err);
    json_decref(doc);
    if (rc == 0)
        fail_msg("accepted: %s", text);
    assert_null(m);
    if (strcmp(err.where, where) != 0 || !strstr(err.what, what))
        fail_msg("got '%s: %s', expected '%s: ...%s...'", err.where, err.what, where, what);
}

/* Bad models: the error names the JSON path and says what was expected. */
static void test_model_errors(void **state)
{
    (void)state;
    const char *head = "{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100},"
                       " \"arrivals\": [{\"to\": \"desk\", \"interarrival\":"
                       " {\"dist\": \"exponential\", \"mean\": 1}}], \"stations\": [";
    const struct {
        const char *stations;
        const char *where;
        const char *what;
    } cases[] = {
        {"{\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": \"x\"}}",
         "stations[0].service.mean", "expected number"},
        {"{\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1},"
         " \"routing\": [{\"to\": \"dsk\", \"p\": 1}]}",
         "stations[0].routing[0].to", "unknown station 'dsk'"},
        {"{\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1},"
         " \"routing\": [{\"to\": \"exit\", \"p\": 0.9}]}",
         "stations[0].routing", "probabilities sum to 0.9; expected 1"},
        {"{\"name\": \"desk\", \"servers\": 3, \"capacity\": 2,"
         " \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].capacity", "expected capacity >= servers"},
        {"{\"name\": \"desk\", \"service\": {\"dist\": \"normal\", \"mean\": 1, \"sd\": 1}}",
         "stations[0]", "can be negative"},
        {"{\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1}},"
         " {\"name\": \"desk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[1].name", "duplicate station name 'desk'"},
        {"{\"name\": \"de sk\", \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].name", "invalid name"},
        {"{\"name\": \"desk\", \"servers\": 0, \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].servers", "expected integer"},
        {"{\"name\": \"desk\", \"when_full\": \"drop\", \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].when_full", "expected \"loss\" or \"block\""},
        {"{\"name\": \"desk\", \"preemptive\": true, \"service\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].preemptive", "needs \"discipline\": \"priority\""},
        {"{\"name\": \"desk\", \"srvice\": {\"dist\": \"exponential\", \"mean\": 1}}",
         "stations[0].srvice", "unknown field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%s%s]}", head, cases[i].stations);
        expect_load_error(text, cases[i].where, cases[i].what);
    }
    /* Top-level rules. */
    const struct {
        const char *text;
        const char *where;
        const char *what;
    } top[] = {
        {"{\"type\": \"petri-net\"}", "type", "expected \"queueing-network\""},
        {"{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100, \"time\": 5},"
         " \"arrivals\": [{}], \"stations\": [{}]}",
         "stop", "exactly one of"},
        {"{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100},"
         " \"warmup\": {\"customers\": 90}, \"arrivals\": [{}], \"stations\": [{}]}",
         "stop.customers", "expected at least warmup.customers + 20"},
        {"{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100},"
         " \"arrivals\": [{\"to\": \"exit\", \"interarrival\": {\"dist\": \"constant\", \"value\": 1}}],"
         " \"stations\": [{\"name\": \"a\", \"service\": {\"dist\": \"constant\", \"value\": 1}}]}",
         "arrivals[0].to", "not \"exit\""},
        {"{\"type\": \"queueing-network\", \"stop\": {\"customers\": 100},"
         " \"arrivals\": [{\"to\": \"a\", \"interarrival\": {\"dist\": \"constant\", \"value\": 0}}],"
         " \"stations\": [{\"name\": \"a\", \"service\": {\"dist\": \"constant\", \"value\": 1}}]}",
         "arrivals[0].interarrival", "positive mean"},
    };
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        expect_load_error(top[i].text, top[i].where, top[i].what);
}

/* Replication 0 of m must fail with code and a message containing what. */
static void expect_run_error(const gm_qnet *m, int code, const char *what)
{
    double kpis[64];
    gm_qnet_result r = {.kpi = kpis};
    gm_err err;
    assert_int_equal(gm_qnet_replicate(m, 1, 0, &r, &err), code);
    if (!strstr(err.what, what))
        fail_msg("got '%s', expected '...%s...'", err.what, what);
}

/* Loss everywhere and a customers stop rule: the run reports why it cannot
   finish instead of spinning forever. */
static void test_unreachable_stop_rule(void **state)
{
    (void)state;
    gm_qnet *m = load("{\"type\": \"queueing-network\", \"stop\": {\"customers\": 1000},"
                      " \"arrivals\": [{\"to\": \"a\", \"interarrival\":"
                      "   {\"dist\": \"exponential\", \"mean\": 1}}],"
                      " \"stations\": [{\"name\": \"a\", \"service\": {\"dist\": \"constant\", \"value\": 1},"
                      "   \"routing\": [{\"to\": \"a\", \"p\": 1}]}]}");
    expect_run_error(m, GM_ELIMIT, "customers are lost or stuck");
    gm_qnet_free(m);
}

/* An overloaded station (arrivals twice as fast as service) stopping by
   time: the run stops with a clear error before memory runs out. */
static void test_overload_is_reported(void **state)
{
    (void)state;
    gm_qnet *m = load("{\"type\": \"queueing-network\", \"stop\": {\"time\": 1e11},"
                      " \"max_in_system\": 1000, \"arrivals\": [{\"to\": \"a\", \"interarrival\":"
                      "   {\"dist\": \"constant\", \"value\": 1}}],"
                      " \"stations\": [{\"name\": \"a\", \"service\": {\"dist\": \"constant\", \"value\": 2}}]}");
    expect_run_error(m, GM_ELIMIT, "is it overloaded");
    gm_qnet_free(m);
}

/* A stop rule past the kernel's 2^39 events is refused, with the largest
   value accepted, which itself loads. */
static void test_stop_rule_within_kernel(void **state)
{
    (void)state;
    /* M/M/3 at 2.7 arrivals per unit of time: 2.7 arrivals + 2.7 service
       completions, 2^39 / 5.4 = 1.018e11 */
#define FMT "{\"type\": \"queueing-network\", \"stop\": {%s}," \
                      " \"arrivals\": [{\"to\": \"desk\", \"interarrival\":" \
                      "   {\"dist\": \"exponential\", \"rate\": 2.7}}]," \
                      " \"stations\": [{\"name\": \"desk\", \"servers\": 3," \
                      "   \"service\": {\"dist\": \"exponential\", \"mean\": 1}%s}]}"
    char text[1024];
    snprintf(text, sizeof text, FMT, "\"time\": 1e308", "");
    expect_load_error(text, "stop.time",
                      "expected at most 1.01e+11: the model makes at least 5.4 events per unit of "
                      "time (arrivals and service completions) and one run holds at most 2^39; "
                      "got 1e+308");
    snprintf(text, sizeof text, FMT, "\"time\": 1.01e11", "");
    gm_qnet_free(load(text));
    /* each customer: an arrival and a completion, 2^39 / 2 = 2^38 */
    snprintf(text, sizeof text, FMT, "\"customers\": 274877906945", "");
    expect_load_error(text, "stop.customers", "expected at most 274877906944: each customer makes at least 2 events");
    snprintf(text, sizeof text, FMT, "\"customers\": 274877906944", "");
    gm_qnet_free(load(text));
    /* feedback: half the customers come back, so 2 visits each; and an
       overloaded station completes at most servers / mean service per unit
       of time: 2.7 + min(5.4, 3) = 5.7 events per unit of time */
    snprintf(text, sizeof text, FMT, "\"time\": 1e12",
             ", \"routing\": [{\"to\": \"desk\", \"p\": 0.5}, {\"to\": \"exit\", \"p\": 0.5}]");
    expect_load_error(text, "stop.time", "expected at most 9.64e+10: the model makes at least 5.7 events");
#undef FMT
}

static void expect_overload(const char *stations, const char *arrivals, size_t count,
                            const char *why)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"type\": \"queueing-network\", \"stop\": {\"time\": 1000},"
             " \"classes\": [{\"name\": \"a\"}, {\"name\": \"b\"}],"
             " \"arrivals\": [%s], \"stations\": [%s]}",
             arrivals, stations);
    gm_qnet *m = load(text);
    char msg[512];
    size_t n = gm_qnet_overloaded(m, msg, sizeof msg);
    if (n != count || strcmp(msg, why) != 0)
        fail_msg("model %s\n got %zu: '%s'\n expected %zu: '%s'", text, n, msg, count, why);
    gm_qnet_free(m);
}

#define EXP(mean) "{\"dist\": \"exponential\", \"mean\": " #mean "}"
#define ARR(to, cls, mean) "{\"to\": \"" to "\", \"class\": \"" cls "\", \"interarrival\": " EXP(mean) "}"

/* No steady state: offered load >= 1 somewhere, from the traffic equations. */
static void test_steady_state(void **state)
{
    (void)state;
    /* rho = 5 */
    expect_overload("{\"name\": \"desk\", \"service\": " EXP(1) "}", ARR("desk", "a", 0.2), 1,
                    "station 'desk': offered load 5 >= 1 (5 arrivals per unit of time x mean "
                    "service 1 / 1 server)");
    /* exactly 1 (constant times): null recurrent, no steady state either */
    expect_overload("{\"name\": \"desk\", \"servers\": 2, \"service\": {\"dist\": \"constant\", \"value\": 2}}",
                    "{\"to\": \"desk\", \"class\": \"a\", \"interarrival\": {\"dist\": \"constant\", \"value\": 1}}",
                    1, "station 'desk': offered load 1 >= 1 (1 arrivals per unit of time x mean service 2 / 2 servers)");
    /* 0.9 feedback: 0.2 external arrivals make 2 visits per unit of time */
    expect_overload("{\"name\": \"desk\", \"service\": " EXP(0.6) ", \"routing\": [{\"to\": \"desk\", \"p\": 0.9}, {\"to\": \"exit\", \"p\": 0.1}]}",
                    ARR("desk", "a", 5), 1,
                    "station 'desk': offered load 1.2 >= 1 (2 arrivals per unit of time x mean "
                    "service 0.6 / 1 server)");
    /* stable: 0.9 */
    expect_overload("{\"name\": \"desk\", \"service\": " EXP(0.45) ", \"routing\": [{\"to\": \"desk\", \"p\": 0.9}, {\"to\": \"exit\", \"p\": 0.1}]}",
                    ARR("desk", "a", 5), 0, "");
    /* two classes with their own service times and routes: at 'back' only
       class b arrives, 0.5 of it, 1 per unit of time x 3 / 2 servers */
    expect_overload("{\"name\": \"front\", \"servers\": 4, \"service_by_class\": {\"a\": " EXP(1) ", \"b\": " EXP(0.5) "},"
                    " \"routing\": [{\"to\": \"back\", \"p\": 0.5, \"class\": \"b\"}, {\"to\": \"exit\", \"p\": 0.5, \"class\": \"b\"},"
                    "               {\"to\": \"exit\", \"p\": 1, \"class\": \"a\"}]},"
                    " {\"name\": \"back\", \"servers\": 2, \"service\": " EXP(3) "}",
                    ARR("front", "a", 0.5) ", " ARR("front", "b", 0.5), 1,
                    "station 'back': offered load 1.5 >= 1 (1 arrivals per unit of time x mean "
                    "service 3 / 2 servers)");
    /* a loop without exit */
    expect_overload("{\"name\": \"p\", \"service\": " EXP(0.01) ", \"routing\": [{\"to\": \"q\", \"p\": 1}]},"
                    " {\"name\": \"q\", \"service\": " EXP(0.01) ", \"routing\": [{\"to\": \"p\", \"p\": 1}]}",
                    ARR("p", "a", 100), 2,
                    "station 'p': customers that reach it can never leave (no route to \"exit\"); "
                    "station 'q': customers that reach it can never leave (no route to \"exit\")");
    /* a finite buffer has a steady state whatever it is offered, and its
       losses make the load behind it unknown: nothing to report */
    expect_overload("{\"name\": \"gate\", \"capacity\": 5, \"service\": " EXP(1) ", \"routing\": [{\"to\": \"desk\", \"p\": 1}]},"
                    " {\"name\": \"desk\", \"service\": " EXP(2) "}",
                    ARR("gate", "a", 0.2), 0, "");
    /* ... but a station before it is told */
    expect_overload("{\"name\": \"desk\", \"service\": " EXP(2) ", \"routing\": [{\"to\": \"gate\", \"p\": 1}]},"
                    " {\"name\": \"gate\", \"capacity\": 5, \"service\": " EXP(1) "}",
                    ARR("desk", "a", 1), 1,
                    "station 'desk': offered load 2 >= 1 (1 arrivals per unit of time x mean "
                    "service 2 / 1 server)");
}

/* Fractions: their intervals may be cut to [0, 1]. */
static void test_fraction_kpis(void **state)
{
    (void)state;
    gm_qnet *m = load("{\"type\": \"queueing-network\", \"stop\": {\"time\": 10},"
                      " \"arrivals\": [{\"to\": \"a\", \"interarrival\": " EXP(1) "}],"
                      " \"stations\": [{\"name\": \"a\", \"capacity\": 3, \"service\": " EXP(1) "}]}");
    for (size_t k = 0; k < gm_qnet_nkpi(m); k++) {
        const char *n = gm_qnet_kpi_name(m, k);
        bool frac = strstr(n, "utilization") || strstr(n, "p_wait") || strstr(n, "p_loss");
        if (gm_qnet_kpi_is_fraction(m, k) != frac)
            fail_msg("%s: is_fraction %d", n, gm_qnet_kpi_is_fraction(m, k));
    }
    assert_false(gm_qnet_kpi_is_fraction(m, gm_qnet_nkpi(m)));
    gm_qnet_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmc_erlang_c),
        cmocka_unit_test(test_mg1_pollaczek_khinchine),
        cmocka_unit_test(test_jackson_network),
        cmocka_unit_test(test_bench_networks_product_form),
        cmocka_unit_test(test_mm1k_loss),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_priority_classes),
        cmocka_unit_test(test_tandem_blocking),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_unreachable_stop_rule),
        cmocka_unit_test(test_overload_is_reported),
        cmocka_unit_test(test_stop_rule_within_kernel),
        cmocka_unit_test(test_steady_state),
        cmocka_unit_test(test_fraction_kpis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
