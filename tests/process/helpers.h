/*
 * helpers.h: what the process simulator's tests share (include after
 * cmocka.h): models written inline (HEAD ... TAIL), loading a model and its
 * parameters, running replications, checking KPIs and load errors.
 */
#ifndef GM_TESTS_PROCESS_HELPERS_H
#define GM_TESTS_PROCESS_HELPERS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "des/experiment.h"
#include "process/bpmn.h"
#include "process/process.h"

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

#define HEAD                                                                             \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                       \
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\">\n"    \
    "<process id=\"P\">\n"
#define TAIL "</process>\n</definitions>\n"

/* The model in doc (named t.bpmn), which must import. */
static inline gm_bpmn *load_bpmn(const char *doc)
{
    gm_bpmn *m = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_bpmn_load_mem(doc, strlen(doc), "t.bpmn", &m, &err);
    if (rc) {
        char buf[1200];
        print_error("bpmn: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    return m;
}

/* Load model and parameters; returns the gm_err code, fills *out on success. */
static inline int load(const gm_bpmn *m, const char *params, gm_proc **out, gm_err *err)
{
    gm_err_clear(err);
    json_t *j = gm_json_load_str(params, strlen(params), NULL, "p.json", err);
    assert_non_null(j);
    int rc = gm_proc_load(m, "t.bpmn", j, out, err);
    json_decref(j);
    return rc;
}

/* The model with these parameters, which must load. */
static inline gm_proc *load_ok(const gm_bpmn *m, const char *params)
{
    gm_proc *p = NULL;
    gm_err err;
    int rc = load(m, params, &p, &err);
    if (rc) {
        char buf[1200];
        print_error("params: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    return p;
}

/* reps replications on 4 threads, seed 12345. */
static inline void run_exp(const gm_proc *p, uint64_t reps, gm_exp_summary *s)
{
    gm_experiment e = {.reps = reps, .threads = 4, .seed = 12345, .nkpi = gm_proc_nkpi(p),
                       .nbatches = 0, .rep = gm_proc_replicate, .ctx = p};
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_experiment_run(&e, s, &err);
    if (rc) {
        char buf[1200];
        print_error("run: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
}

/* The KPI's interval contains theory and its mean is within rel of it. */
static inline void expect_kpi(const gm_proc *p, const gm_exp_summary *s, const char *name,
                              double theory, double rel)
{
    long i = gm_proc_kpi_index(p, name);
    if (i < 0)
        print_error("no KPI %s\n", name);
    assert_true(i >= 0);
    const gm_exp_kpi *k = &s->kpi[i];
    if (!(k->lo <= theory && theory <= k->hi) || fabs(k->mean - theory) > rel * fabs(theory))
        print_error("%s: mean %g [%g, %g], theory %g\n", name, k->mean, k->lo, k->hi, theory);
    assert_true(k->lo <= theory && theory <= k->hi);
    assert_true(fabs(k->mean - theory) <= rel * fabs(theory));
}

/* Loading fails with code, at where, with a message holding what_part. */
static inline void expect_error(const gm_bpmn *m, const char *params, int code, const char *where,
                                const char *what_part)
{
    gm_proc *p = NULL;
    gm_err err;
    int rc = load(m, params, &p, &err);
    if (rc != code || strcmp(err.where, where) != 0 || !strstr(err.what, what_part))
        print_error("got %d '%s' '%s'\n", rc, err.where, err.what);
    assert_int_equal(rc, code);
    assert_null(p);
    assert_string_equal(err.where, where);
    assert_non_null(strstr(err.what, what_part));
}

/* The mean of KPI name. */
static inline double kpi_of(const gm_proc *p, const gm_exp_summary *s, const char *name)
{
    long i = gm_proc_kpi_index(p, name);
    if (i < 0)
        print_error("no KPI %s\n", name);
    assert_true(i >= 0);
    return s->kpi[i].mean;
}

#endif
