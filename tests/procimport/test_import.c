#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/time.h"
#include "evlog/evlog.h"
#include "num/dist.h"
#include "process/bpmn.h"
#include "process/calendar.h"
#include "process/process.h"
#include "procimport/import_int.h"
#include "procimport/procimport.h"

#ifndef GEMEL_SHARED_DATA
#define GEMEL_SHARED_DATA "/work/shared/data"
#endif
#define SCYLLA GEMEL_SHARED_DATA "/bpmn/scylla/"

#define BPMN_NS "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define BSIM_NS "http://bsim.hpi.uni-potsdam.de/scylla/simModel"
#define SCY_NS "http://scy.hpi.uni-potsdam.de/scylla/simModel"
#define QBP_NS "http://www.qbp-simulator.com/Schema201212"

/* ---- temporary files ---- */

static char tmpdir[64];
static char made[64][128];
static size_t nmade;

static int setup_group(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gm_simparams_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_group(void **state)
{
    (void)state;
    for (size_t i = 0; i < nmade; i++)
        unlink(made[i]);
    rmdir(tmpdir);
    return 0;
}

/* Write text to a new file in the temporary directory; the path stays valid
   until the group ends. */
static const char *write_file(const char *name, const char *text)
{
    assert_true(nmade < sizeof made / sizeof made[0]);
    char *path = made[nmade++];
    snprintf(path, sizeof made[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Skips the calling test when the shared samples are absent. */
#define NEED_DATA()                                                                               \
    do {                                                                                          \
        if (access(SCYLLA "p2_normal_sim.xml", R_OK) != 0)                                        \
            GM_TEST_SKIP("shared data %s not found", SCYLLA);                                     \
    } while (0)

/* ---- JSON access ---- */

/* Follow a '/'-separated path of object keys and array indices. */
static json_t *at(json_t *root, const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = root;
    for (char *save = NULL, *k = strtok_r(buf, "/", &save); k && v;
         k = strtok_r(NULL, "/", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(k, NULL, 10)) : json_object_get(v, k);
    return v;
}

static void expect_num(json_t *root, const char *path, double want)
{
    json_t *v = at(root, path);
    if (!json_is_number(v) || fabs(json_number_value(v) - want) > 1e-12 * fmax(1, fabs(want))) {
        print_error("%s: expected %.17g, got %s %.17g\n", path, want,
                    v ? "number" : "nothing", v ? json_number_value(v) : 0.0);
        fail();
    }
}

static void expect_str(json_t *root, const char *path, const char *want)
{
    json_t *v = at(root, path);
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0) {
        print_error("%s: expected \"%s\", got %s\n", path, want,
                    json_is_string(v) ? json_string_value(v) : "no string");
        fail();
    }
}

/* The value at path equals the JSON text want (key order ignored). */
static void expect_json(json_t *root, const char *path, const char *want)
{
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    if (!w) {
        print_error("bad expected JSON: %s\n", je.text);
        fail();
    }
    json_t *v = path[0] ? at(root, path) : root;
    if (!json_equal(v, w)) {
        char *a = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *b = json_dumps(w, JSON_SORT_KEYS | JSON_ENCODE_ANY);
        print_error("%s:\n  got      %s\n  expected %s\n", path, a ? a : "nothing", b);
        free(a);
        free(b);
        json_decref(w);
        fail();
    }
    json_decref(w);
}

static void expect_absent(json_t *root, const char *path)
{
    if (at(root, path)) {
        print_error("%s: expected nothing\n", path);
        fail();
    }
}

/* ---- conformance to the process-simulation parameter format ---- */

static bool only_keys(json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0)
            i++;
        if (!allowed[i]) {
            print_error("unexpected key '%s'\n", k);
            return false;
        }
    }
    return true;
}

static bool good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || strcmp(s, "case") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
              (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* A DIST: accepted by gm_dist_from_json once its optional time unit is
   removed. */
static void check_dist(json_t *d, bool time)
{
    assert_true(json_is_object(d));
    json_t *c = json_copy(d);
    json_t *u = json_object_get(c, "unit");
    if (u) {
        assert_true(time);
        const char *s = json_string_value(u);
        assert_non_null(s);
        assert_true(strcmp(s, "seconds") == 0 || strcmp(s, "minutes") == 0 ||
                    strcmp(s, "hours") == 0 || strcmp(s, "days") == 0);
        json_object_del(c, "unit");
    }
    gm_dist g;
    memset(&g, 0, sizeof g);
    gm_err e;
    int rc = gm_dist_from_json(c, "", &g, &e);
    if (rc) {
        char buf[1200];
        print_error("DIST rejected: %s\n", gm_err_format(&e, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    gm_dist_free(&g);
    json_decref(c);
}

static const gm_bpmn_node *node(const gm_bpmn *m, const char *id)
{
    size_t i = gm_bpmn_find_node(m, id);
    if (i == GM_BPMN_NONE) {
        print_error("'%s' is not a node of the model\n", id);
        fail();
    }
    return gm_bpmn_node_at(m, i);
}

/* Everything in p is what the format allows, and refers to m correctly. */
static void check_format(const gm_bpmn *m, json_t *p)
{
    static const char *const top[] = {"type",     "time_unit", "start",        "cases",
                                      "horizon",  "warmup_cases", "warmup_time", "arrivals",
                                      "calendars", "resources", "tasks",        "gateways",
                                      "events",   NULL};
    static const char *const entry_keys[] = {"days", "from", "to", NULL};
    static const char *const pool_keys[] = {"name", "count", "units", "cost_per_hour",
                                            "calendar", NULL};
    static const char *const unit_keys[] = {"name", "calendar", "cost_per_hour", NULL};
    static const char *const task_keys[] = {"duration", "resource", "resources", "durations",
                                            "cost",     "loop",     "instances", NULL};
    static const char *const event_keys[] = {"probability", "after", "delay", NULL};
    const char *k, *k2;
    json_t *v, *v2;
    assert_true(json_is_object(p));
    assert_true(only_keys(p, top));
    expect_str(p, "type", "process-simulation");
    expect_str(p, "time_unit", "minutes");
    if (json_object_get(p, "start")) {
        const char *s = json_string_value(json_object_get(p, "start"));
        int64_t ns;
        assert_non_null(s);
        assert_int_equal(gm_time_parse_rfc3339(s, strlen(s), &ns, NULL, NULL), 0);
    }
    json_t *cases = json_object_get(p, "cases");
    assert_true(json_is_integer(cases) && json_integer_value(cases) >= 1);
    if (json_object_get(p, "horizon"))
        assert_true(json_number_value(json_object_get(p, "horizon")) > 0);

    json_t *arr = json_object_get(p, "arrivals");
    assert_true(json_is_object(arr));
    if (json_object_get(arr, "interarrival")) {
        assert_int_equal(json_object_size(arr), 1);
        check_dist(json_object_get(arr, "interarrival"), true);
    } else {
        json_object_foreach(arr, k, v)
        {
            assert_int_equal(node(m, k)->kind, GM_BPMN_START_EVENT);
            assert_int_equal(json_object_size(v), 1);
            check_dist(json_object_get(v, "interarrival"), true);
        }
    }

    json_t *cals = json_object_get(p, "calendars");
    json_object_foreach(cals, k, v)
    {
        assert_true(good_name(k));
        assert_true(json_is_array(v));
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            assert_true(only_keys(e, entry_keys));
            assert_int_equal(json_object_size(e), 3);
            const char *f = json_string_value(json_object_get(e, "from"));
            const char *t = json_string_value(json_object_get(e, "to"));
            assert_non_null(f);
            assert_non_null(t);
            assert_true(strlen(f) == strlen(t) ? strcmp(f, t) < 0 : strncmp(f, t, 5) <= 0);
        }
    }

    json_t *pools = json_object_get(p, "resources");
    for (size_t i = 0; i < json_array_size(pools); i++) {
        json_t *r = json_array_get(pools, i);
        assert_true(only_keys(r, pool_keys));
        assert_true(good_name(json_string_value(json_object_get(r, "name"))));
        assert_true(!json_object_get(r, "count") != !json_object_get(r, "units"));
        if (json_object_get(r, "calendar"))
            assert_non_null(json_object_get(cals, json_string_value(json_object_get(r, "calendar"))));
        if (json_object_get(r, "cost_per_hour"))
            assert_true(json_number_value(json_object_get(r, "cost_per_hour")) >= 0);
        json_t *units = json_object_get(r, "units");
        for (size_t u = 0; u < json_array_size(units); u++) {
            json_t *un = json_array_get(units, u);
            assert_true(only_keys(un, unit_keys));
            assert_true(good_name(json_string_value(json_object_get(un, "name"))));
            if (json_object_get(un, "calendar"))
                assert_non_null(
                    json_object_get(cals, json_string_value(json_object_get(un, "calendar"))));
        }
    }

    json_object_foreach(json_object_get(p, "tasks"), k, v)
    {
        const gm_bpmn_node *nd = node(m, k);
        assert_true(only_keys(v, task_keys));
        if (nd->kind == GM_BPMN_SUBPROCESS)
            assert_null(json_object_get(v, "duration"));
        else {
            assert_true(nd->kind == GM_BPMN_TASK || nd->kind == GM_BPMN_CALL_ACTIVITY);
            check_dist(json_object_get(v, "duration"), true);
        }
        json_t *rs = json_object_get(v, "resources");
        assert_true(!(json_object_get(v, "resource") && rs));
        for (size_t i = 0; i < json_array_size(rs); i++) {
            json_t *a = json_object_get(json_array_get(rs, i), "amount");
            assert_true(json_is_integer(a) && json_integer_value(a) >= 1);
        }
    }

    json_object_foreach(json_object_get(p, "gateways"), k, v)
    {
        const gm_bpmn_node *nd = node(m, k);
        assert_true(nd->kind == GM_BPMN_EXCLUSIVE_GATEWAY || nd->kind == GM_BPMN_INCLUSIVE_GATEWAY);
        double sum = 0;
        json_object_foreach(v, k2, v2)
        {
            size_t f = gm_bpmn_find_flow(m, k2);
            assert_true(f != GM_BPMN_NONE);
            assert_string_equal(gm_bpmn_node_at(m, gm_bpmn_flow_at(m, f)->source)->id, k);
            assert_true(json_number_value(v2) >= 0 && json_number_value(v2) <= 1);
            sum += json_number_value(v2);
        }
        if (nd->kind == GM_BPMN_EXCLUSIVE_GATEWAY)
            assert_true(fabs(sum - 1) < 1e-9);
    }

    json_object_foreach(json_object_get(p, "events"), k, v)
    {
        const gm_bpmn_node *nd = node(m, k);
        assert_true(only_keys(v, event_keys));
        if (nd->kind == GM_BPMN_BOUNDARY_EVENT) {
            assert_null(json_object_get(v, "delay"));
            if (json_object_get(v, "after"))
                check_dist(json_object_get(v, "after"), true);
        } else {
            assert_int_equal(nd->kind, GM_BPMN_CATCH_EVENT);
            assert_int_equal(json_object_size(v), 1);
            check_dist(json_object_get(v, "delay"), true);
        }
    }
}

/* ---- loading ---- */

static gm_bpmn *model(const char *path)
{
    gm_bpmn *m;
    gm_err e;
    char buf[1200];
    int rc = gm_bpmn_load_file(path, &m, &e);
    if (rc)
        print_error("%s\n", gm_err_format(&e, buf, sizeof buf));
    assert_int_equal(rc, 0);
    return m;
}

/* Convert a Scylla configuration that must convert, check it against the
   format, and return it (the model goes to *mp when not NULL). */
static json_t *bsim(const char *bpmn, const char *sim, const char *glob, gm_bpmn **mp)
{
    gm_bpmn *m = model(bpmn);
    json_t *out = NULL;
    gm_err e;
    char buf[1200];
    int rc = gm_scylla_load(m, sim, glob, &out, &e);
    if (rc)
        print_error("%s\n", gm_err_format(&e, buf, sizeof buf));
    assert_int_equal(rc, 0);
    check_format(m, out);
    if (mp)
        *mp = m;
    else
        gm_bpmn_free(m);
    return out;
}

static json_t *qbp(const char *bpmn)
{
    gm_bpmn *m = model(bpmn);
    json_t *out = NULL;
    gm_err e;
    char buf[1200];
    int rc = gm_bimp_load(m, bpmn, &out, &e);
    if (rc)
        print_error("%s\n", gm_err_format(&e, buf, sizeof buf));
    assert_int_equal(rc, 0);
    check_format(m, out);
    gm_bpmn_free(m);
    return out;
}

/* A conversion that must fail with code, at where_file:line (line 0: any
   line, -1: no line), with a message containing every string of what. */
static void expect_fail(int rc, const gm_err *e, int code, const char *where_file, long line,
                        const char *const *what)
{
    char buf[1200];
    if (rc != code || e->code != code)
        print_error("expected %s, got %s: %s\n", gm_strerror(code), gm_strerror(rc),
                    gm_err_format(e, buf, sizeof buf));
    assert_int_equal(rc, code);
    char want[512];
    if (line > 0) {
        snprintf(want, sizeof want, "%s:%ld", where_file, line);
        assert_string_equal(e->where, want);
    } else if (line == 0) {
        snprintf(want, sizeof want, "%s:", where_file);
        assert_true(strncmp(e->where, want, strlen(want)) == 0);
    } else {
        assert_string_equal(e->where, where_file);
    }
    for (; what && *what; what++)
        if (!strstr(e->what, *what)) {
            print_error("'%s' not in '%s'\n", *what, e->what);
            fail();
        }
}

static void bsim_fails(const char *bpmn, const char *sim, const char *glob, int code,
                       const char *where_file, long line, const char *const *what)
{
    gm_bpmn *m = model(bpmn);
    json_t *out = (json_t *)1;
    gm_err e;
    int rc = gm_scylla_load(m, sim, glob, &out, &e);
    assert_null(out);
    expect_fail(rc, &e, code, where_file, line, what);
    gm_bpmn_free(m);
}

/* ---- the real samples ---- */

static void test_p2_normal(void **state)
{
    (void)state;
    NEED_DATA();
    json_t *p = bsim(SCYLLA "p2_normal.bpmn", SCYLLA "p2_normal_sim.xml", SCYLLA "p0_globalconf.xml",
                     NULL);
    expect_num(p, "cases", 30);
    /* 09:00+02:00 read by Scylla in the global zone +00:00 */
    expect_str(p, "start", "2016-08-01T07:00:00Z");
    expect_num(p, "horizon", 4 * 1440 + 360);
    expect_json(p, "arrivals",
                "{\"interarrival\": {\"dist\": \"exponential\", \"mean\": 150.5, \"unit\": "
                "\"minutes\"}}");
    expect_json(p, "tasks/Task_1tvvo6w",
                "{\"duration\": {\"dist\": \"erlang\", \"k\": 10, \"mean\": 25, \"unit\": "
                "\"minutes\"}, \"resource\": \"Student\"}");
    expect_json(p, "tasks/Task_09drjvr",
                "{\"duration\": {\"dist\": \"triangular\", \"min\": 600, \"mode\": 1800, \"max\": "
                "2400, \"unit\": \"seconds\"}, \"resources\": [{\"name\": \"Student\", \"amount\": "
                "1}, {\"name\": \"Professor\", \"amount\": 1}]}");
    expect_json(p, "tasks/Task_16ibwbc/duration",
                "{\"dist\": \"binomial\", \"p\": 0.1, \"n\": 250, \"unit\": \"minutes\"}");
    expect_json(p, "tasks/Task_1nngha6/duration",
                "{\"dist\": \"empirical-discrete\", \"values\": [100, 300, 500], \"weights\": [20, "
                "5, 1], \"unit\": \"minutes\"}");
    expect_json(p, "gateways",
                "{\"ExclusiveGateway_0a6d35t\": {\"SequenceFlow_1237oxj\": 0.8, "
                "\"SequenceFlow_1dvtw6t\": 0.2}}");
    expect_absent(p, "events");

    /* p0_globalconf.xml: instances listed, so units; costs per MINUTES. */
    expect_str(p, "resources/0/name", "Student");
    expect_num(p, "resources/0/cost_per_hour", 600);
    expect_absent(p, "resources/0/count");
    expect_absent(p, "resources/0/calendar");
    expect_json(p, "resources/0/units/0",
                "{\"name\": \"Anna\", \"calendar\": \"Student_Hero\", \"cost_per_hour\": 1200}");
    expect_json(p, "resources/0/units/1", "{\"name\": \"Bernd\", \"calendar\": \"Student_Normal\"}");
    expect_json(p, "resources/0/units/3",
                "{\"name\": \"Dieter\", \"calendar\": \"Student_Lazy\", \"cost_per_hour\": 300}");
    assert_int_equal(json_array_size(at(p, "resources/0/units")), 5);
    expect_json(p, "resources/1",
                "{\"name\": \"Professor\", \"cost_per_hour\": 3000, \"units\": [{\"name\": "
                "\"Franz\", \"cost_per_hour\": 6000}, {\"name\": \"Gerd\", \"calendar\": "
                "\"Prof_Busy\"}]}");
    /* A timetableItem is one continuous span (Scylla's isWithin). */
    expect_json(p, "calendars/Student_Normal",
                "[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"24:00\"}, {\"days\": "
                "\"tue-thu\", \"from\": \"00:00\", \"to\": \"24:00\"}, {\"days\": \"fri\", "
                "\"from\": \"00:00\", \"to\": \"17:00\"}]");
    expect_json(p, "calendars/Student_Hero",
                "[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"24:00\"}, {\"days\": "
                "\"tue-sat\", \"from\": \"00:00\", \"to\": \"24:00\"}, {\"days\": \"sun\", "
                "\"from\": \"00:00\", \"to\": \"17:00\"}]");
    expect_json(p, "calendars/Student_Lazy",
                "[{\"days\": \"mon\", \"from\": \"09:00\", \"to\": \"24:00\"}, {\"days\": "
                "\"tue\", \"from\": \"00:00\", \"to\": \"24:00\"}, {\"days\": \"wed\", \"from\": "
                "\"00:00\", \"to\": \"13:00\"}, {\"days\": \"thu\", \"from\": \"17:00\", \"to\": "
                "\"24:00\"}, {\"days\": \"fri\", \"from\": \"00:00\", \"to\": \"19:00\"}]");
    assert_int_equal(json_object_size(at(p, "calendars")), 4);
    json_decref(p);
}

static void test_p4_parallel(void **state)
{
    (void)state;
    NEED_DATA();
    json_t *p = bsim(SCYLLA "p4_parallel.bpmn", SCYLLA "p4_parallel_sim.xml",
                     SCYLLA "p0_globalconf.xml", NULL);
    expect_num(p, "cases", 10);
    expect_str(p, "start", "2016-08-01T11:00:00Z");
    expect_num(p, "horizon", 120);
    expect_json(p, "arrivals/interarrival",
                "{\"dist\": \"exponential\", \"mean\": 2, \"unit\": \"minutes\"}");
    static const char *const tasks[] = {"Task_08g3sxo", "Task_02xic69", "Task_1g76snk",
                                        "Task_0i35kat", "Task_1gtxxf2"};
    for (size_t i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "tasks/%s", tasks[i]);
        expect_json(p, path,
                    "{\"duration\": {\"dist\": \"constant\", \"value\": 90, \"unit\": "
                    "\"seconds\"}, \"resource\": \"Professor\"}");
    }
    assert_int_equal(json_object_size(at(p, "tasks")), 5);
    expect_num(p, "gateways/ExclusiveGateway_0rr9f8n/SequenceFlow_0orm7zg", 0.99);
    expect_num(p, "gateways/ExclusiveGateway_0rr9f8n/SequenceFlow_0043gzj", 0.01);
    /* Only the pool the configuration uses. */
    assert_int_equal(json_array_size(at(p, "resources")), 1);
    expect_str(p, "resources/0/name", "Professor");
    expect_json(p, "calendars",
                "{\"Prof_Busy\": [{\"days\": \"mon\", \"from\": \"07:00\", \"to\": \"24:00\"}, "
                "{\"days\": \"tue-thu\", \"from\": \"00:00\", \"to\": \"24:00\"}, {\"days\": "
                "\"fri\", \"from\": \"00:00\", \"to\": \"09:00\"}]}");
    json_decref(p);
}

static void test_p3_subproc(void **state)
{
    (void)state;
    NEED_DATA();
    gm_bpmn *m;
    json_t *p = bsim(SCYLLA "p3_subproc.bpmn", SCYLLA "p3_subproc_sim.xml",
                     SCYLLA "p0_globalconf.xml", &m);
    /* Tasks nested in the sub-process are flattened into "tasks". */
    const gm_bpmn_node *read = node(m, "sid-D9FE1F5B-D0AD-4897-A2E5-F0234D8FC6EE");
    assert_string_equal(gm_bpmn_node_at(m, read->parent)->id, "SubProcess_3");
    expect_json(p, "tasks/sid-D9FE1F5B-D0AD-4897-A2E5-F0234D8FC6EE",
                "{\"duration\": {\"dist\": \"constant\", \"value\": 50, \"unit\": \"minutes\"}, "
                "\"resource\": \"Student\"}");
    expect_json(p, "tasks/sid-939FD59F-5F70-4261-9F8F-AC9F884E60B2",
                "{\"duration\": {\"dist\": \"constant\", \"value\": 70, \"unit\": \"minutes\"}, "
                "\"resources\": [{\"name\": \"Student\", \"amount\": 2}]}");
    expect_num(p, "tasks/sid-3E857BAC-EFB7-437D-BA3A-3F6FC6634DBD/duration/value", 40);
    expect_absent(p, "tasks/SubProcess_3");
    assert_int_equal(json_object_size(at(p, "tasks")), 8);
    /* 0.5 and 0.2 given; the default flow ("don't know") gets the rest. */
    const char *g = "gateways/sid-DE5D1777-B468-4B65-8C18-E2260A58673C/";
    char path[160];
    snprintf(path, sizeof path, "%ssid-91AF73BE-E60D-43E3-9A39-0FD956A7A94A", g);
    expect_num(p, path, 0.5);
    snprintf(path, sizeof path, "%ssid-D06D0191-B86B-4FA9-B5C7-5DF437A7993B", g);
    expect_num(p, path, 0.2);
    snprintf(path, sizeof path, "%ssid-688F0C73-4D71-4659-B64F-9747A3D67B46", g);
    expect_num(p, path, 0.3);
    /* The sub-process's own boundary events. */
    expect_json(p, "events",
                "{\"sid-7B837D24-6D92-4EAA-BECD-DA436E6853E5\": {\"probability\": 0.4, \"after\": "
                "{\"dist\": \"constant\", \"value\": 30, \"unit\": \"minutes\"}}, "
                "\"sid-17EFE732-CE01-4205-AC11-4AB5B52484D3\": {\"probability\": 0.4, \"after\": "
                "{\"dist\": \"constant\", \"value\": 40, \"unit\": \"minutes\"}}}");
    assert_string_equal(
        gm_bpmn_node_at(m, node(m, "sid-7B837D24-6D92-4EAA-BECD-DA436E6853E5")->attached_to)->id,
        "SubProcess_3");
    json_decref(p);
    gm_bpmn_free(m);
}

static void test_p1_boundary(void **state)
{
    (void)state;
    NEED_DATA();
    json_t *p = bsim(SCYLLA "p1_boundary.bpmn", SCYLLA "p1_boundary_sim.xml",
                     SCYLLA "p0_globalconf.xml", NULL);
    expect_json(p, "events",
                "{\"sid-71507C76-09EA-41FF-86AB-004A2447257A\": {\"probability\": 1, \"after\": "
                "{\"dist\": \"constant\", \"value\": 5, \"unit\": \"minutes\"}}, "
                "\"sid-7B837D24-6D92-4EAA-BECD-DA436E6853E5\": {\"probability\": 0, \"after\": "
                "{\"dist\": \"constant\", \"value\": 30, \"unit\": \"minutes\"}}, "
                "\"sid-17EFE732-CE01-4205-AC11-4AB5B52484D3\": {\"probability\": 0, \"after\": "
                "{\"dist\": \"constant\", \"value\": 40, \"unit\": \"minutes\"}}}");
    expect_json(p, "tasks/sid-10642FA7-3483-45AF-AC53-88080CD67FF9/duration",
                "{\"dist\": \"empirical-discrete\", \"values\": [10, 6, 12], \"weights\": [20, 5, "
                "1], \"unit\": \"minutes\"}");
    expect_json(p, "arrivals/interarrival",
                "{\"dist\": \"constant\", \"value\": 50, \"unit\": \"minutes\"}");
    expect_str(p, "start", "2016-08-01T06:00:00Z");
    expect_num(p, "horizon", 4 * 1440 + 8 * 60);
    json_decref(p);
}

/* Every real configuration either converts into the format or fails with
   the expected code and location. */
static void test_corpus(void **state)
{
    (void)state;
    NEED_DATA();
    static const struct {
        const char *bpmn, *sim, *glob;
        int code;
        long line;
        const char *what;
    } cases[] = {
        {"Kreditkarte_2.bpmn", "Kreditkarte_sim_2.xml", "p56_conf.xml", 0, 0, NULL},
        {"adminProcess.bpmn", "adminProcess_sim.xml", "adminProcess_global.xml", 0, 0, NULL},
        {"retailer_bpmn.bpmn", "retailer_sim.xml", "retailer_global.xml", 0, 0, NULL},
        {"test.bpmn", "test.xml", "Kreditkarte_global_1.xml", 0, 0, NULL},
        {"process_mining_mooc/claim_process_regular_events.bpmn",
         "process_mining_mooc/claim_process_regular_events_configuration.xml",
         "process_mining_mooc/InsuranceCompanyConfiguration.xml", 0, 0, NULL},
        {"process_mining_mooc/claim_process_with_noise.bpmn",
         "process_mining_mooc/claim_process_with_noise_configuration.xml",
         "process_mining_mooc/InsuranceCompanyConfiguration.xml", 0, 0, NULL},
        {"Kreditkarte_1.bpmn", "Kreditkarte_sim_1.xml", "Kreditkarte_global_1.xml", GM_EINVAL,
         92, "'SendTask_060ap9q' is configured twice"},
        {"adminProcess_batch_parallel.bpmn", "adminProcess_batch_sim.xml",
         "adminProcess_global.xml", GM_EUNSUPPORTED, 16, "<batchActivity>"},
        {"p61_return_batch.bpmn", "p61_return_batch_sim.xml", "p61_conf_batch.xml",
         GM_EUNSUPPORTED, 32, "<batchActivity>"},
        {"retailer_batch_bpmn.bpmn", "retailer_batch_sim.xml", "bimp_retailer_global.xml",
         GM_EUNSUPPORTED, 13, "<setUpDuration>"},
        {"p6_return.bpmn", "p6_return_sim.xml", "p56_conf.xml", GM_EUNSUPPORTED, 68,
         "<dataObject>"},
        {"p7_dmn.bpmn", "p7_dmn_sim.xml", "p0_globalconf_without.xml", GM_EUNSUPPORTED, 14,
         "<dataObject>"},
        {"p5_batch.bpmn", "p5_batch_sim.xml", "p56_conf.xml", GM_EINVAL, 44,
         "<exponentialDistribution> has no parameter <standardDeviation>"},
        {"test_normalDistr.bpmn", "test_normalDistr.xml", "Kreditkarte_global_1.xml", GM_EINVAL,
         16, "unknown distribution <unifomDistribution>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[256], s[256], g[256];
        snprintf(b, sizeof b, SCYLLA "%s", cases[i].bpmn);
        snprintf(s, sizeof s, SCYLLA "%s", cases[i].sim);
        snprintf(g, sizeof g, SCYLLA "%s", cases[i].glob);
        if (cases[i].code == 0) {
            json_decref(bsim(b, s, g, NULL));
        } else {
            const char *what[] = {cases[i].what, NULL};
            bsim_fails(b, s, g, cases[i].code, s, cases[i].line, what);
        }
    }
    /* The instances of p56_conf.xml name no timetable: Scylla gives them
       none (always available), although the pool has a default one. */
    json_t *p = bsim(SCYLLA "Kreditkarte_2.bpmn", SCYLLA "Kreditkarte_sim_2.xml",
                     SCYLLA "p56_conf.xml", NULL);
    expect_str(p, "resources/1/name", "Customer_Care");
    expect_json(p, "resources/1/units",
                "[{\"name\": \"Karl\"}, {\"name\": \"Lena\"}, {\"name\": \"Marc\"}]");
    expect_num(p, "resources/1/cost_per_hour", 8.5);
    expect_absent(p, "calendars");
    json_decref(p);
    /* A region after the offset: the offset is kept (fixed-offset
       approximation of Europe/Berlin). */
    p = bsim(SCYLLA "process_mining_mooc/claim_process_regular_events.bpmn",
             SCYLLA "process_mining_mooc/claim_process_regular_events_configuration.xml",
             SCYLLA "process_mining_mooc/InsuranceCompanyConfiguration.xml", NULL);
    expect_str(p, "start", "2020-12-18T14:01:13.117216200+01:00");
    expect_json(p, "events/IntermediateThrowEvent_1ka4kme",
                "{\"delay\": {\"dist\": \"triangular\", \"min\": 1, \"mode\": 3, \"max\": 14, "
                "\"unit\": \"days\"}}");
    expect_json(p, "calendars/8-to-5",
                "[{\"days\": \"mon-fri\", \"from\": \"08:00\", \"to\": \"12:00\"}, {\"days\": "
                "\"mon-thu\", \"from\": \"13:00\", \"to\": \"17:00\"}, {\"days\": \"fri\", "
                "\"from\": \"13:00\", \"to\": \"16:00\"}]");
    json_decref(p);
}

static void test_qbp_p5(void **state)
{
    (void)state;
    NEED_DATA();
    json_t *p = qbp(SCYLLA "p5_batch.bpmn");
    expect_num(p, "cases", 10);
    expect_str(p, "start", "2016-07-02T12:22:57Z");
    /* arg1="60" with <timeUnit>minutes</timeUnit>: QBP values are seconds. */
    expect_json(p, "arrivals",
                "{\"interarrival\": {\"dist\": \"exponential\", \"mean\": 60, \"unit\": "
                "\"seconds\"}}");
    expect_json(p, "tasks",
                "{\"Task_0zs8ai5\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 120, "
                "\"unit\": \"seconds\"}, \"resource\": \"Ordering_employee\"}, "
                "\"Task_0me73xw\": {\"duration\": {\"dist\": \"exponential\", \"mean\": 240, "
                "\"unit\": \"seconds\"}, \"resource\": \"Warehouse_employee\", \"cost\": 3}, "
                "\"Task_1nt4ran\": {\"duration\": {\"dist\": \"truncated-normal\", \"mean\": 120, "
                "\"sd\": 30, \"min\": 0, \"unit\": \"seconds\"}, \"resource\": \"Warehouse_employee\"}, "
                "\"Task_0ox3m1q\": {\"duration\": {\"dist\": \"constant\", \"value\": 1, "
                "\"unit\": \"seconds\"}, \"resource\": \"System\"}}");
    expect_json(p, "gateways",
                "{\"ExclusiveGateway_1\": {\"SequenceFlow_4\": 0.1, \"SequenceFlow_3\": 0.9}}");
    expect_json(p, "calendars",
                "{\"QBP_DEFAULT_TIMETABLE\": [{\"days\": \"mon-fri\", \"from\": \"09:00\", "
                "\"to\": \"17:00\"}]}");
    expect_json(p, "resources",
                "[{\"name\": \"Warehouse_employee\", \"count\": 10, \"cost_per_hour\": 8.5, "
                "\"calendar\": \"QBP_DEFAULT_TIMETABLE\"}, {\"name\": \"Ordering_employee\", "
                "\"count\": 3, \"cost_per_hour\": 8.5, \"calendar\": \"QBP_DEFAULT_TIMETABLE\"}, "
                "{\"name\": \"System\", \"count\": 1, \"cost_per_hour\": 1.5, \"calendar\": "
                "\"QBP_DEFAULT_TIMETABLE\"}]");
    expect_absent(p, "events");
    json_decref(p);

    /* A BPMN file without QBP parameters. */
    gm_bpmn *m = model(SCYLLA "p2_normal.bpmn");
    json_t *out = (json_t *)1;
    gm_err e;
    int rc = gm_bimp_load(m, SCYLLA "p2_normal.bpmn", &out, &e);
    assert_null(out);
    const char *what[] = {"processSimulationInfo", NULL};
    expect_fail(rc, &e, GM_ENOENT, SCYLLA "p2_normal.bpmn", -1, what);
    gm_bpmn_free(m);
}

/* ---- hand-written configurations: every mapping, exactly ---- */

static const char mini_bpmn[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"" BPMN_NS "\" id=\"d\">\n"
    " <process id=\"P\" isExecutable=\"true\">\n"
    "  <startEvent id=\"s1\"/>\n"
    "  <startEvent id=\"s2\"/>\n"
    "  <task id=\"a\"/>\n"
    "  <exclusiveGateway id=\"g\" default=\"f_g_b\"/>\n"
    "  <task id=\"b\"/>\n"
    "  <subProcess id=\"sp\">\n"
    "   <startEvent id=\"ss\"/>\n"
    "   <userTask id=\"c\"/>\n"
    "   <endEvent id=\"se\"/>\n"
    "   <sequenceFlow id=\"fs1\" sourceRef=\"ss\" targetRef=\"c\"/>\n"
    "   <sequenceFlow id=\"fs2\" sourceRef=\"c\" targetRef=\"se\"/>\n"
    "  </subProcess>\n"
    "  <boundaryEvent id=\"bt\" attachedToRef=\"sp\"><timerEventDefinition/></boundaryEvent>\n"
    "  <intermediateCatchEvent id=\"w\"><timerEventDefinition/></intermediateCatchEvent>\n"
    "  <endEvent id=\"e\"/>\n"
    "  <sequenceFlow id=\"f1\" sourceRef=\"s1\" targetRef=\"a\"/>\n"
    "  <sequenceFlow id=\"f2\" sourceRef=\"s2\" targetRef=\"a\"/>\n"
    "  <sequenceFlow id=\"f3\" sourceRef=\"a\" targetRef=\"g\"/>\n"
    "  <sequenceFlow id=\"f_g_b\" sourceRef=\"g\" targetRef=\"b\"/>\n"
    "  <sequenceFlow id=\"f_g_sp\" sourceRef=\"g\" targetRef=\"sp\"/>\n"
    "  <sequenceFlow id=\"f_g_w\" sourceRef=\"g\" targetRef=\"w\"/>\n"
    "  <sequenceFlow id=\"f4\" sourceRef=\"b\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"f5\" sourceRef=\"sp\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"f6\" sourceRef=\"w\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"f7\" sourceRef=\"bt\" targetRef=\"e\"/>\n"
    " </process>\n"
    "</definitions>\n";

static const char mini_global[] =
    "<?xml version=\"1.0\"?>\n"
    "<scy:globalConfiguration xmlns:scy=\"" SCY_NS "\" id=\"G\">\n"
    " <scy:randomSeed>7</scy:randomSeed>\n"
    " <scy:zoneOffset>+01:00</scy:zoneOffset>\n"
    " <scy:timetables>\n"
    "  <scy:timetable id=\"week end\">\n"
    "   <scy:timetableItem from=\"FRIDAY\" to=\"MONDAY\" beginTime=\"18:00\" "
    "endTime=\"06:00:30\"/>\n"
    "  </scy:timetable>\n"
    "  <scy:timetable id=\"late\">\n"
    "   <scy:timetableItem from=\"TUESDAY\" to=\"TUESDAY\" beginTime=\"22:00:00\" "
    "endTime=\"02:00:00\"/>\n"
    "  </scy:timetable>\n"
    "  <scy:timetable id=\"unused\">\n"
    "   <scy:timetableItem from=\"MONDAY\" to=\"MONDAY\" beginTime=\"08:00\" endTime=\"09:00\"/>\n"
    "  </scy:timetable>\n"
    " </scy:timetables>\n"
    " <scy:resourceData>\n"
    "  <scy:dynamicResource id=\"Customer Care\" defaultQuantity=\"3\" defaultCost=\"30\" "
    "defaultTimeUnit=\"HOURS\" defaultTimetableId=\"week end\">\n"
    "   <scy:instance name=\"Karl Heinz\" cost=\"1\" timeUnit=\"MINUTES\"/>\n"
    "   <scy:instance name=\"Lena\" timetableId=\"late\"/>\n"
    "  </scy:dynamicResource>\n"
    "  <scy:dynamicResource id=\"Night\" defaultQuantity=\"2\" defaultCost=\"48\" "
    "defaultTimeUnit=\"DAYS\" defaultTimetableId=\"late\"/>\n"
    "  <scy:dynamicResource id=\"Idle\" defaultQuantity=\"1\" defaultCost=\"1\" "
    "defaultTimeUnit=\"HOURS\"/>\n"
    " </scy:resourceData>\n"
    "</scy:globalConfiguration>\n";

static const char mini_sim[] =
    "<?xml version=\"1.0\"?>\n"
    "<scy:definitions xmlns:scy=\"" SCY_NS "\" xmlns:x=\"urn:other\">\n"
    " <x:note>ignored: another namespace</x:note>\n"
    " <scy:simulationConfiguration id=\"S\" processRef=\"P\" processInstances=\"100\" "
    "startDateTime=\"2024-03-04T08:00:00\" endDateTime=\"2024-03-05T08:00:00Z\" "
    "randomSeed=\"1\">\n"
    "  <scy:startEvent id=\"s1\"><scy:arrivalRate timeUnit=\"MINUTES\"><scy:exponentialDistribution>"
    "<scy:mean>10</scy:mean></scy:exponentialDistribution></scy:arrivalRate></scy:startEvent>\n"
    "  <scy:startEvent id=\"s2\"><scy:arrivalRate timeUnit=\"HOURS\"><scy:uniformDistribution>"
    "<scy:lower>1</scy:lower><scy:upper> 2 </scy:upper></scy:uniformDistribution>"
    "</scy:arrivalRate></scy:startEvent>\n"
    "  <scy:task id=\"a\"><scy:duration timeUnit=\"MINUTES\"><scy:normalDistribution>"
    "<scy:mean>5</scy:mean><scy:standardDeviation>1</scy:standardDeviation>"
    "</scy:normalDistribution></scy:duration>\n"
    "   <scy:resources><scy:resource id=\"Customer Care\" amount=\"2\"><scy:assignmentDefinition>"
    "<scy:priority>1</scy:priority></scy:assignmentDefinition></scy:resource></scy:resources>\n"
    "  </scy:task>\n"
    "  <scy:exclusiveGateway id=\"g\">\n"
    "   <scy:outgoingSequenceFlow id=\"f_g_sp\"><scy:branchingProbability>0.3"
    "</scy:branchingProbability></scy:outgoingSequenceFlow>\n"
    "   <scy:outgoingSequenceFlow id=\"f_g_w\"><scy:branchingProbability>0.2"
    "</scy:branchingProbability></scy:outgoingSequenceFlow>\n"
    "  </scy:exclusiveGateway>\n"
    "  <scy:Task id=\"b\"><scy:duration timeUnit=\"DAYS\"><scy:poissonDistribution>"
    "<scy:mean>3</scy:mean></scy:poissonDistribution></scy:duration>"
    "<scy:resources><scy:resource id=\"Customer Care\" amount=\"1\"/></scy:resources></scy:Task>\n"
    "  <scy:subProcess id=\"sp\">\n"
    "   <scy:resources><scy:resource id=\"Night\" amount=\"1\"/></scy:resources>\n"
    "   <scy:userTask id=\"c\"><scy:duration timeUnit=\"SECONDS\"><scy:constantDistribution>"
    "<scy:constantValue>30</scy:constantValue></scy:constantDistribution></scy:duration>"
    "</scy:userTask>\n"
    "   <scy:boundaryEvents><scy:boundaryEvent id=\"bt\"><scy:eventProbability>0.25"
    "</scy:eventProbability><scy:arrivalRate timeUnit=\"MINUTES\"><scy:constantDistribution>"
    "<scy:constantValue>45</scy:constantValue></scy:constantDistribution></scy:arrivalRate>"
    "</scy:boundaryEvent></scy:boundaryEvents>\n"
    "  </scy:subProcess>\n"
    "  <scy:catchEvent id=\"w\"><scy:arrivalRate timeUnit=\"DAYS\"><scy:erlangDistribution>"
    "<scy:order>2</scy:order><scy:mean>1</scy:mean></scy:erlangDistribution></scy:arrivalRate>"
    "</scy:catchEvent>\n"
    " </scy:simulationConfiguration>\n"
    "</scy:definitions>\n";

static const char mini_expected[] =
    "{\"type\": \"process-simulation\", \"time_unit\": \"minutes\", \"cases\": 100,"
    " \"start\": \"2024-03-04T08:00:00+01:00\", \"horizon\": 1500,"
    " \"arrivals\": {\"s1\": {\"interarrival\": {\"dist\": \"exponential\", \"mean\": 10,"
    "   \"unit\": \"minutes\"}},"
    "  \"s2\": {\"interarrival\": {\"dist\": \"uniform\", \"min\": 1, \"max\": 2, \"unit\": "
    "\"hours\"}}},"
    " \"calendars\": {\"week_end\": [{\"days\": \"fri\", \"from\": \"18:00\", \"to\": \"24:00\"},"
    "   {\"days\": \"sat-sun\", \"from\": \"00:00\", \"to\": \"24:00\"},"
    "   {\"days\": \"mon\", \"from\": \"00:00\", \"to\": \"06:00:30\"}],"
    "  \"late\": [{\"days\": \"tue\", \"from\": \"00:00\", \"to\": \"02:00\"},"
    "   {\"days\": \"tue\", \"from\": \"22:00\", \"to\": \"24:00\"}]},"
    " \"resources\": [{\"name\": \"Customer_Care\", \"cost_per_hour\": 30, \"units\": ["
    "   {\"name\": \"Karl_Heinz\", \"cost_per_hour\": 60}, {\"name\": \"Lena\", \"calendar\": "
    "\"late\"},"
    "   {\"name\": \"default-1\", \"calendar\": \"week_end\"}]},"
    "  {\"name\": \"Night\", \"count\": 2, \"cost_per_hour\": 2, \"calendar\": \"late\"}],"
    " \"tasks\": {\"a\": {\"duration\": {\"dist\": \"truncated-normal\", \"mean\": 5, \"sd\": 1, \"min\": 0, \"unit\": "
    "\"minutes\"},"
    "   \"resources\": [{\"name\": \"Customer_Care\", \"amount\": 2}]},"
    "  \"b\": {\"duration\": {\"dist\": \"poisson\", \"mean\": 3, \"unit\": \"days\"}, "
    "\"resource\": \"Customer_Care\"},"
    "  \"sp\": {\"resource\": \"Night\"},"
    "  \"c\": {\"duration\": {\"dist\": \"constant\", \"value\": 30, \"unit\": \"seconds\"}}},"
    " \"gateways\": {\"g\": {\"f_g_sp\": 0.3, \"f_g_w\": 0.2, \"f_g_b\": 0.5}},"
    " \"events\": {\"bt\": {\"probability\": 0.25, \"after\": {\"dist\": \"constant\", \"value\": "
    "45, \"unit\": \"minutes\"}},"
    "  \"w\": {\"delay\": {\"dist\": \"erlang\", \"k\": 2, \"mean\": 1, \"unit\": \"days\"}}}}";

static void test_bsim_golden(void **state)
{
    (void)state;
    const char *b = write_file("mini.bpmn", mini_bpmn);
    const char *s = write_file("mini_sim.xml", mini_sim);
    const char *g = write_file("mini_global.xml", mini_global);
    json_t *p = bsim(b, s, g, NULL);
    expect_json(p, "", mini_expected);
    /* Pools and calendars keep the global file's order; unused ones are
       left out. */
    expect_str(p, "resources/0/name", "Customer_Care");
    const char *first = json_object_iter_key(json_object_iter(at(p, "calendars")));
    assert_string_equal(first, "week_end");
    json_decref(p);
}

/* A configuration around one element, for the error cases. */
static const char *sim_with(const char *name, const char *body)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "<?xml version=\"1.0\"?>\n"
             "<bsim:definitions xmlns:bsim=\"" BSIM_NS "\">\n"
             "<bsim:simulationConfiguration processRef=\"P\" processInstances=\"5\" "
             "startDateTime=\"2024-01-01T00:00:00Z\">\n"
             "<bsim:startEvent id=\"s1\"><bsim:arrivalRate timeUnit=\"MINUTES\">"
             "<bsim:constantDistribution><bsim:constantValue>1</bsim:constantValue>"
             "</bsim:constantDistribution></bsim:arrivalRate></bsim:startEvent>\n"
             "%s\n"
             "</bsim:simulationConfiguration>\n"
             "</bsim:definitions>\n",
             body);
    return write_file(name, buf);
}

#define TASK_A(res, dist)                                                                    \
    "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">" dist "</bsim:duration>"         \
    "<bsim:resources><bsim:resource id=\"" res "\" amount=\"1\"/></bsim:resources></bsim:task>"
#define CONST5 "<bsim:constantDistribution><bsim:constantValue>5</bsim:constantValue></bsim:constantDistribution>"

static void test_bsim_errors(void **state)
{
    (void)state;
    const char *b = write_file("err.bpmn", mini_bpmn);
    const char *g = write_file("err_global.xml", mini_global);
    const char *s;

    /* Malformed XML: the parser's line. */
    s = write_file("bad.xml", "<?xml version=\"1.0\"?>\n<bsim:definitions xmlns:bsim=\"" BSIM_NS
                              "\">\n<bsim:simulationConfiguration>\n</bsim:definitions>\n");
    const char *w1[] = {"not well-formed XML", NULL};
    bsim_fails(b, s, g, GM_EPARSE, s, 0, w1);

    /* Wrong namespace (or none). */
    s = write_file("ns.xml", "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://example.com/x\">"
                             "<simulationConfiguration/></definitions>\n");
    const char *w2[] = {"namespace " BSIM_NS, "http://example.com/x", NULL};
    bsim_fails(b, s, g, GM_EPARSE, s, 2, w2);
    s = write_file("ns2.xml", "<definitions/>");
    const char *w2b[] = {"without namespace", NULL};
    bsim_fails(b, s, g, GM_EPARSE, s, 1, w2b);
    const char *w2c[] = {"<globalConfiguration>", NULL};
    bsim_fails(b, write_file("okns.xml", mini_sim), s, GM_EPARSE, s, 1, w2c);

    /* An id the model does not have, with its line. */
    s = sim_with("unknown.xml", "\n\n<bsim:task id=\"nope\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                                "</bsim:duration></bsim:task>");
    const char *w3[] = {"'nope'", "does not name an element", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 7, w3);

    /* An id of the wrong kind. */
    s = sim_with("kind.xml", "<bsim:task id=\"g\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                             "</bsim:duration></bsim:task>");
    const char *w4[] = {"'g'", "exclusiveGateway", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w4);

    /* A task configured at the top level that is inside the sub-process. */
    s = sim_with("nest.xml", "<bsim:task id=\"c\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                             "</bsim:duration></bsim:task>");
    const char *w5[] = {"'c' is inside sp", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w5);

    /* Bad number. */
    s = sim_with("num.xml", "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">"
                            "<bsim:exponentialDistribution>\n<bsim:mean>1.5x</bsim:mean>"
                            "</bsim:exponentialDistribution></bsim:duration></bsim:task>");
    const char *w6[] = {"<mean>", "'1.5x'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 6, w6);
    s = sim_with("amount.xml", "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                               "</bsim:duration><bsim:resources><bsim:resource id=\"Night\" "
                               "amount=\"1.5\"/></bsim:resources></bsim:task>");
    const char *w6b[] = {"amount", "'1.5'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w6b);

    /* A valid number that is not a valid parameter. */
    s = sim_with("neg.xml", "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">"
                            "<bsim:exponentialDistribution><bsim:mean>-2</bsim:mean>"
                            "</bsim:exponentialDistribution></bsim:duration></bsim:task>");
    const char *w7[] = {"invalid <exponentialDistribution>", "mean", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w7);

    /* Unknown distribution element. */
    s = sim_with("dist.xml", "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">"
                             "<bsim:gaussDistribution><bsim:mean>2</bsim:mean>"
                             "</bsim:gaussDistribution></bsim:duration></bsim:task>");
    const char *w8[] = {"unknown distribution <gaussDistribution>", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w8);

    /* Resource missing from the global configuration. */
    s = sim_with("res.xml", TASK_A("Ghost", CONST5));
    const char *w9[] = {"'Ghost'", "not defined in the global configuration", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w9);

    /* More units than the pool has. */
    s = sim_with("many.xml", "<bsim:task id=\"a\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                             "</bsim:duration><bsim:resources><bsim:resource id=\"Night\" "
                             "amount=\"3\"/></bsim:resources></bsim:task>");
    const char *w10[] = {"3 units", "'Night'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w10);

    /* Batch activity, set-up time, data object: refused by name. */
    s = sim_with("batch.xml", "<bsim:subProcess id=\"sp\"><bsim:batchActivity>"
                              "<bsim:maxBatchSize>3</bsim:maxBatchSize></bsim:batchActivity>"
                              "</bsim:subProcess>");
    const char *w11[] = {"<batchActivity>", NULL};
    bsim_fails(b, s, g, GM_EUNSUPPORTED, s, 5, w11);
    s = sim_with("setup.xml", "<bsim:task id=\"a\">\n<bsim:setUpDuration timeUnit=\"MINUTES\">" CONST5
                              "</bsim:setUpDuration></bsim:task>");
    const char *w12[] = {"<setUpDuration>", NULL};
    bsim_fails(b, s, g, GM_EUNSUPPORTED, s, 6, w12);
    s = sim_with("plugin.xml", "<bsim:dmnDecision id=\"a\"/>");
    const char *w13[] = {"<dmnDecision>", NULL};
    bsim_fails(b, s, g, GM_EUNSUPPORTED, s, 5, w13);

    /* Probabilities: above 1, a missing flow, a boundary event elsewhere. */
    s = sim_with("p1.xml", "<bsim:exclusiveGateway id=\"g\"><bsim:outgoingSequenceFlow id=\"f_g_w\">"
                           "<bsim:branchingProbability>0.7</bsim:branchingProbability>"
                           "</bsim:outgoingSequenceFlow><bsim:outgoingSequenceFlow id=\"f_g_sp\">"
                           "<bsim:branchingProbability>0.7</bsim:branchingProbability>"
                           "</bsim:outgoingSequenceFlow></bsim:exclusiveGateway>");
    const char *w14[] = {"add up to 1.4", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w14);
    s = sim_with("p2.xml", "<bsim:exclusiveGateway id=\"g\"><bsim:outgoingSequenceFlow id=\"f4\">"
                           "<bsim:branchingProbability>0.5</bsim:branchingProbability>"
                           "</bsim:outgoingSequenceFlow></bsim:exclusiveGateway>");
    const char *w15[] = {"'f4' is not an outgoing sequence flow of gateway 'g'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w15);
    s = sim_with("p3.xml", TASK_A("Night", CONST5)
                 "<bsim:task id=\"b\"><bsim:duration timeUnit=\"MINUTES\">" CONST5
                 "</bsim:duration><bsim:boundaryEvents><bsim:boundaryEvent id=\"bt\">"
                 "<bsim:eventProbability>0.5</bsim:eventProbability></bsim:boundaryEvent>"
                 "</bsim:boundaryEvents></bsim:task>");
    const char *w16[] = {"attached to 'sp'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 5, w16);

    /* Twice; no arrival rate; a missing timetable. */
    s = sim_with("twice.xml", TASK_A("Night", CONST5) "\n" TASK_A("Night", CONST5));
    const char *w17[] = {"'a' is configured twice", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 6, w17);
    const char *g2 = write_file("tt_global.xml",
                                "<g:globalConfiguration xmlns:g=\"" BSIM_NS "\"><g:resourceData>\n"
                                "<g:dynamicResource id=\"Night\" defaultQuantity=\"1\" "
                                "defaultCost=\"0\" defaultTimeUnit=\"HOURS\" "
                                "defaultTimetableId=\"nowhere\"/></g:resourceData>"
                                "</g:globalConfiguration>");
    s = sim_with("tt.xml", TASK_A("Night", CONST5));
    const char *w18[] = {"timetable 'nowhere' is not defined", NULL};
    bsim_fails(b, s, g2, GM_EINVAL, g2, 2, w18);

    /* A DTD is refused; a missing file is GM_ENOENT. */
    s = write_file("dtd.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY x \"y\">]>\n"
                              "<bsim:definitions xmlns:bsim=\"" BSIM_NS "\">&x;</bsim:definitions>");
    const char *w19[] = {"DTD", NULL};
    bsim_fails(b, s, g, GM_EPARSE, s, -1, w19);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.xml", tmpdir);
    bsim_fails(b, missing, g, GM_ENOENT, missing, -1, NULL);

    /* Nesting beyond the limit, even in another namespace. */
    char deep[8192] = "<bsim:definitions xmlns:bsim=\"" BSIM_NS "\">";
    for (int i = 0; i < 130; i++)
        strcat(deep, "<x:a xmlns:x=\"urn:x\">");
    for (int i = 0; i < 130; i++)
        strcat(deep, "</x:a>");
    strcat(deep, "</bsim:definitions>");
    s = write_file("deep.xml", deep);
    const char *w21[] = {"nested deeper than 128", NULL};
    bsim_fails(b, s, g, GM_ELIMIT, s, 1, w21);

    /* processRef naming no process. */
    s = write_file("ref.xml", "<bsim:definitions xmlns:bsim=\"" BSIM_NS "\">\n"
                              "<bsim:simulationConfiguration processRef=\"Q\" processInstances=\"1\" "
                              "startDateTime=\"2024-01-01T00:00:00Z\"/></bsim:definitions>");
    const char *w20[] = {"processRef 'Q'", NULL};
    bsim_fails(b, s, g, GM_EINVAL, s, 2, w20);
}

/* ---- QBP hand-written ---- */

static const char qbp_bpmn[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"" BPMN_NS "\" xmlns:qbp=\"" QBP_NS "\" id=\"d\">\n"
    " <process id=\"P\">\n"
    "  <startEvent id=\"s\"/>\n"
    "  <task id=\"t1\"/>\n"
    "  <inclusiveGateway id=\"og\"/>\n"
    "  <task id=\"t2\"/>\n"
    "  <task id=\"t3\"/>\n"
    "  <intermediateCatchEvent id=\"w\"><timerEventDefinition/></intermediateCatchEvent>\n"
    "  <subProcess id=\"sp\">\n"
    "   <startEvent id=\"ss\"/><task id=\"t4\"/><endEvent id=\"se\"/>\n"
    "   <sequenceFlow id=\"fs1\" sourceRef=\"ss\" targetRef=\"t4\"/>\n"
    "   <sequenceFlow id=\"fs2\" sourceRef=\"t4\" targetRef=\"se\"/>\n"
    "  </subProcess>\n"
    "  <boundaryEvent id=\"bt\" attachedToRef=\"t1\"><timerEventDefinition/></boundaryEvent>\n"
    "  <endEvent id=\"e\"/>\n"
    "  <sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t1\"/>\n"
    "  <sequenceFlow id=\"f2\" sourceRef=\"t1\" targetRef=\"og\"/>\n"
    "  <sequenceFlow id=\"f3\" sourceRef=\"og\" targetRef=\"t2\"/>\n"
    "  <sequenceFlow id=\"f4\" sourceRef=\"og\" targetRef=\"t3\"/>\n"
    "  <sequenceFlow id=\"f5\" sourceRef=\"t2\" targetRef=\"w\"/>\n"
    "  <sequenceFlow id=\"f6\" sourceRef=\"w\" targetRef=\"sp\"/>\n"
    "  <sequenceFlow id=\"f7\" sourceRef=\"sp\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"f8\" sourceRef=\"t3\" targetRef=\"e\"/>\n"
    "  <sequenceFlow id=\"f9\" sourceRef=\"bt\" targetRef=\"e\"/>\n"
    " </process>\n"
    " <qbp:processSimulationInfo processInstances=\"50\" "
    "startDateTime=\"2024-01-01T08:00:00.000+02:00\" currency=\"EUR\" id=\"x\">\n"
    "  <qbp:arrivalRateDistribution type=\"GAMMA\" mean=\"600\" arg1=\"3600\" arg2=\"0\">"
    "<qbp:timeUnit>minutes</qbp:timeUnit></qbp:arrivalRateDistribution>\n"
    "  <qbp:timetables>\n"
    "   <qbp:timetable id=\"NIGHT\" default=\"false\" name=\"night\"><qbp:rules>\n"
    "    <qbp:rule fromWeekDay=\"FRIDAY\" toWeekDay=\"SUNDAY\" fromTime=\"22:00:00.000+00:00\" "
    "toTime=\"06:00:00.000+00:00\"/>\n"
    "   </qbp:rules></qbp:timetable>\n"
    "   <qbp:timetable id=\"DAY\" default=\"true\"><qbp:rules>\n"
    "    <qbp:rule fromWeekDay=\"MONDAY\" toWeekDay=\"FRIDAY\" fromTime=\"09:00:00.000\" "
    "toTime=\"17:00:00.000\"/>\n"
    "    <qbp:rule fromWeekDay=\"SATURDAY\" fromTime=\"10:00\" toTime=\"23:59:59.999\"/>\n"
    "   </qbp:rules></qbp:timetable>\n"
    "  </qbp:timetables>\n"
    "  <qbp:resources>\n"
    "   <qbp:resource id=\"r1\" name=\"Clerk (senior)\" totalAmount=\"2\" costPerHour=\"25\" "
    "timetableId=\"DAY\"/>\n"
    "   <qbp:resource id=\"r2\" name=\"case\" totalAmount=\"1\" costPerHour=\"0\" "
    "timetableId=\"NIGHT\"/>\n"
    "   <qbp:resource id=\"r3\" name=\"\" totalAmount=\"4\" costPerHour=\"1\"/>\n"
    "  </qbp:resources>\n"
    "  <qbp:elements>\n"
    "   <qbp:element elementId=\"t1\" fixedCost=\"2.5\"><qbp:durationDistribution "
    "type=\"TRIANGULAR\" mean=\"60\" arg1=\"30\" arg2=\"120\"/><qbp:resourceIds>"
    "<qbp:resourceId>r1</qbp:resourceId></qbp:resourceIds></qbp:element>\n"
    "   <qbp:element elementId=\"t2\" fixedCost=\"0\"><qbp:durationDistribution "
    "type=\"LOGNORMAL\" mean=\"100\" arg1=\"400\"/><qbp:resourceIds><qbp:resourceId>r2"
    "</qbp:resourceId></qbp:resourceIds></qbp:element>\n"
    "   <qbp:element elementId=\"t3\"><qbp:durationDistribution type=\"HISTOGRAM\">"
    "<qbp:histogramDataBins><qbp:histogramData probability=\"70\"><qbp:distribution "
    "type=\"FIXED\" mean=\"10\"/></qbp:histogramData><qbp:histogramData probability=\"30\">"
    "<qbp:distribution type=\"FIXED\" mean=\"20\"/></qbp:histogramData></qbp:histogramDataBins>"
    "</qbp:durationDistribution></qbp:element>\n"
    "   <qbp:element elementId=\"t4\"><qbp:durationDistribution type=\"UNIFORM\" arg1=\"5\" "
    "arg2=\"15\"/></qbp:element>\n"
    "   <qbp:element elementId=\"w\"><qbp:durationDistribution type=\"NORMAL\" mean=\"30\" "
    "arg1=\"0\"/></qbp:element>\n"
    "   <qbp:element elementId=\"bt\"><qbp:durationDistribution type=\"FIXED\" mean=\"90\"/>"
    "</qbp:element>\n"
    "   <qbp:element elementId=\"sp\" fixedCost=\"4\"><qbp:durationDistribution type=\"FIXED\" "
    "mean=\"1\"/></qbp:element>\n"
    "  </qbp:elements>\n"
    "  <qbp:sequenceFlows>\n"
    "   <qbp:sequenceFlow elementId=\"f3\" executionProbability=\"0.6\"/>\n"
    "   <qbp:sequenceFlow elementId=\"f4\" executionProbability=\"0.7\"/>\n"
    "   <qbp:sequenceFlow elementId=\"f1\" executionProbability=\"1\"/>\n"
    "  </qbp:sequenceFlows>\n"
    "  <qbp:statsOptions trimStartProcessInstances=\"0\" trimEndProcessInstances=\"0\"/>\n"
    " </qbp:processSimulationInfo>\n"
    "</definitions>\n";

static const char qbp_expected[] =
    "{\"type\": \"process-simulation\", \"time_unit\": \"minutes\", \"cases\": 50,"
    " \"start\": \"2024-01-01T08:00:00+02:00\","
    " \"arrivals\": {\"interarrival\": {\"dist\": \"gamma\", \"mean\": 600, \"sd\": 60, \"unit\": "
    "\"seconds\"}},"
    " \"calendars\": {\"NIGHT\": [{\"days\": \"fri-sun\", \"from\": \"22:00\", \"to\": \"24:00\"},"
    "   {\"days\": \"sat-mon\", \"from\": \"00:00\", \"to\": \"06:00\"}],"
    "  \"DAY\": [{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\"},"
    "   {\"days\": \"sat\", \"from\": \"10:00\", \"to\": \"24:00\"}]},"
    " \"resources\": [{\"name\": \"Clerk_senior\", \"count\": 2, \"cost_per_hour\": 25, "
    "\"calendar\": \"DAY\"},"
    "  {\"name\": \"case_2\", \"count\": 1, \"cost_per_hour\": 0, \"calendar\": \"NIGHT\"}],"
    " \"tasks\": {\"t1\": {\"duration\": {\"dist\": \"triangular\", \"min\": 30, \"mode\": 60, "
    "\"max\": 120, \"unit\": \"seconds\"}, \"resource\": \"Clerk_senior\", \"cost\": 2.5},"
    "  \"t2\": {\"duration\": {\"dist\": \"lognormal\", \"mean\": 100, \"sd\": 20, \"unit\": "
    "\"seconds\"}, \"resource\": \"case_2\"},"
    "  \"t3\": {\"duration\": {\"dist\": \"empirical-discrete\", \"values\": [10, 20], "
    "\"weights\": [70, 30], \"unit\": \"seconds\"}},"
    "  \"t4\": {\"duration\": {\"dist\": \"uniform\", \"min\": 5, \"max\": 15, \"unit\": "
    "\"seconds\"}},"
    "  \"sp\": {\"cost\": 4}},"
    " \"gateways\": {\"og\": {\"f3\": 0.6, \"f4\": 0.7}},"
    " \"events\": {\"w\": {\"delay\": {\"dist\": \"constant\", \"value\": 30, \"unit\": "
    "\"seconds\"}},"
    "  \"bt\": {\"after\": {\"dist\": \"constant\", \"value\": 90, \"unit\": \"seconds\"}}}}";

static void test_qbp_golden(void **state)
{
    (void)state;
    const char *b = write_file("qbp.bpmn", qbp_bpmn);
    json_t *p = qbp(b);
    expect_json(p, "", qbp_expected);
    json_decref(p);
}

/* ---- time zones, end to end: converted, loaded and simulated ---- */

/* The start of the first row of replication 0's event log of m simulated
   with params: case 0's first task (gemel's first case arrives one
   interarrival time after the start). */
static void first_task_start(const gm_bpmn *m, const json_t *params, char *out, size_t n)
{
    gm_proc *p = NULL;
    gm_err e;
    char buf[1200];
    int rc = gm_proc_load(m, "tz.bpmn", params, &p, &e);
    if (rc)
        print_error("%s\n", gm_err_format(&e, buf, sizeof buf));
    assert_int_equal(rc, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/tz.csv", tmpdir);
    gm_evlog_clock clk;
    gm_proc_clock(p, &clk);
    gm_evlog *lg = NULL;
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_CSV, &clk, "P", &lg, &e), 0);
    gm_proc_set_log(p, lg);
    double *kpi = calloc(gm_proc_nkpi(p), sizeof *kpi);
    assert_non_null(kpi);
    assert_int_equal(gm_proc_replicate(p, 1, 0, kpi, NULL, NULL, &e), 0);
    assert_int_equal(gm_evlog_close(lg, &e), 0);
    free(kpi);
    gm_proc_free(p);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* case_id,activity,resource,start,end */
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(path);
    /* the fourth field */
    char *c = line;
    for (int k = 0; k < 3 && c; k++)
        c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL;
    assert_non_null(c);
    size_t len = strcspn(c, ",");
    assert_true(len < n);
    memcpy(out, c, len);
    out[len] = '\0';
}

static const char tz_bpmn[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"" BPMN_NS "\" id=\"d\">\n"
    " <process id=\"P\" isExecutable=\"true\">\n"
    "  <startEvent id=\"s\"/><task id=\"t\"/><endEvent id=\"e\"/>\n"
    "  <sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
    "  <sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n"
    " </process>\n"
    "</definitions>\n";

/* Scylla reads timetables in the global zoneOffset (Scylla's DateTimeUtils:
   the start is parsed with the zone as the formatter's override, and
   isWithin compares the wall clock of start + t in that zone; java.time,
   from Java 9 on, keeps the instant of a text with an offset). A case
   arriving at 08:00 local time (+02:00 in the zone +02:00, a Monday: an
   hour after a 07:00 start) is served from 09:00 local time by a clerk
   whose timetable opens at 09:00. With the zone +00:00, the same instants
   are 05:00 and 06:00 in the zone, and the timetable opens at 09:00 in
   that zone, three hours after the arrival, as in Scylla. */
static void test_scylla_zone(void **state)
{
    (void)state;
    const char *b = write_file("tz.bpmn", tz_bpmn);
    const char *s = write_file(
        "tz_sim.xml",
        "<bsim:definitions xmlns:bsim=\"" BSIM_NS "\">\n"
        "<bsim:simulationConfiguration processRef=\"P\" processInstances=\"1\" "
        "startDateTime=\"2024-01-01T07:00:00.000+02:00\">\n"
        "<bsim:startEvent id=\"s\"><bsim:arrivalRate timeUnit=\"MINUTES\"><bsim:constantDistribution>"
        "<bsim:constantValue>60</bsim:constantValue></bsim:constantDistribution></bsim:arrivalRate>"
        "</bsim:startEvent>\n"
        "<bsim:task id=\"t\"><bsim:duration timeUnit=\"MINUTES\"><bsim:constantDistribution>"
        "<bsim:constantValue>30</bsim:constantValue></bsim:constantDistribution></bsim:duration>"
        "<bsim:resources><bsim:resource id=\"clerk\" amount=\"1\"/></bsim:resources></bsim:task>\n"
        "</bsim:simulationConfiguration>\n"
        "</bsim:definitions>\n");
    static const struct {
        const char *zone, *start, *first;
    } cases[] = {
        {"+02:00", "2024-01-01T07:00:00+02:00", "2024-01-01T09:00:00.000+02:00"},
        {"+00:00", "2024-01-01T05:00:00Z", "2024-01-01T09:00:00.000Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char glob[1024];
        snprintf(glob, sizeof glob,
                 "<bsim:globalConfiguration xmlns:bsim=\"" BSIM_NS "\">\n"
                 "<bsim:zoneOffset>%s</bsim:zoneOffset>\n"
                 "<bsim:timetables><bsim:timetable id=\"office\">"
                 "<bsim:timetableItem from=\"MONDAY\" to=\"MONDAY\" beginTime=\"09:00\" "
                 "endTime=\"17:00\"/></bsim:timetable></bsim:timetables>\n"
                 "<bsim:resourceData><bsim:dynamicResource id=\"clerk\" defaultQuantity=\"1\" "
                 "defaultCost=\"0\" defaultTimeUnit=\"HOURS\" defaultTimetableId=\"office\"/>"
                 "</bsim:resourceData>\n"
                 "</bsim:globalConfiguration>\n",
                 cases[i].zone);
        const char *g = write_file(i ? "tz_global_utc.xml" : "tz_global.xml", glob);
        gm_bpmn *m = NULL;
        json_t *p = bsim(b, s, g, &m);
        expect_str(p, "start", cases[i].start);
        char first[64];
        first_task_start(m, p, first, sizeof first);
        assert_string_equal(first, cases[i].first);
        json_decref(p);
        gm_bpmn_free(m);
    }
}

/* BIMP: a rule's times are wall-clock times in the start's offset, the
   "+00:00" BIMP's editor writes after them whatever the modeller's zone
   not applied. A case arriving at 08:00+02:00 on a Monday (an hour after
   the start) is served at 09:00+02:00 by a resource whose timetable opens
   at "09:00:00.000+00:00" (it was served at 11:00+02:00: the rule was
   moved by the offset). */
static void test_bimp_zone(void **state)
{
    (void)state;
    static const char doc[] =
        "<?xml version=\"1.0\"?>\n"
        "<definitions xmlns=\"" BPMN_NS "\" xmlns:qbp=\"" QBP_NS "\" id=\"d\">\n"
        " <process id=\"P\" isExecutable=\"true\">\n"
        "  <startEvent id=\"s\"/><task id=\"t\"/><endEvent id=\"e\"/>\n"
        "  <sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
        "  <sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n"
        " </process>\n"
        " <qbp:processSimulationInfo processInstances=\"1\" "
        "startDateTime=\"2024-01-01T07:00:00.000+02:00\" currency=\"EUR\" id=\"x\">\n"
        "  <qbp:arrivalRateDistribution type=\"FIXED\" mean=\"3600\" arg1=\"0\" arg2=\"0\">"
        "<qbp:timeUnit>hours</qbp:timeUnit></qbp:arrivalRateDistribution>\n"
        "  <qbp:timetables><qbp:timetable id=\"DAY\" default=\"true\" name=\"Day\"><qbp:rules>"
        "<qbp:rule fromWeekDay=\"MONDAY\" toWeekDay=\"FRIDAY\" fromTime=\"09:00:00.000+00:00\" "
        "toTime=\"17:00:00.000+00:00\"/></qbp:rules></qbp:timetable></qbp:timetables>\n"
        "  <qbp:resources><qbp:resource id=\"r1\" name=\"clerk\" totalAmount=\"1\" "
        "costPerHour=\"0\" timetableId=\"DAY\"/></qbp:resources>\n"
        "  <qbp:elements><qbp:element elementId=\"t\"><qbp:durationDistribution type=\"FIXED\" "
        "mean=\"1800\" arg1=\"0\" arg2=\"0\"/><qbp:resourceIds><qbp:resourceId>r1"
        "</qbp:resourceId></qbp:resourceIds></qbp:element></qbp:elements>\n"
        " </qbp:processSimulationInfo>\n"
        "</definitions>\n";
    const char *b = write_file("tz_qbp.bpmn", doc);
    gm_bpmn *m = model(b);
    json_t *p = NULL;
    gm_err e;
    assert_int_equal(gm_bimp_load(m, b, &p, &e), 0);
    expect_str(p, "start", "2024-01-01T07:00:00+02:00");
    expect_json(p, "calendars/DAY", "[{\"days\": \"mon-fri\", \"from\": \"09:00\", \"to\": \"17:00\"}]");
    char first[64];
    first_task_start(m, p, first, sizeof first);
    assert_string_equal(first, "2024-01-01T09:00:00.000+02:00");
    json_decref(p);
    gm_bpmn_free(m);
}

/* qbp_bpmn with one substring replaced, written to name. */
static const char *qbp_variant(const char *name, const char *from, const char *to)
{
    static char buf[16384];
    const char *at_ = strstr(qbp_bpmn, from);
    assert_non_null(at_);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at_ - qbp_bpmn), qbp_bpmn, to,
             at_ + strlen(from));
    return write_file(name, buf);
}

static void qbp_fails(const char *path, int code, long line, const char *const *what)
{
    gm_bpmn *m = model(path);
    json_t *out = (json_t *)1;
    gm_err e;
    int rc = gm_bimp_load(m, path, &out, &e);
    assert_null(out);
    expect_fail(rc, &e, code, path, line, what);
    gm_bpmn_free(m);
}

static void test_qbp_errors(void **state)
{
    (void)state;
    const char *p;
    p = qbp_variant("q1.bpmn", "elementId=\"t4\"", "elementId=\"og\"");
    const char *w1[] = {"'og' names a BPMN inclusiveGateway", NULL};
    qbp_fails(p, GM_EINVAL, 47, w1);
    p = qbp_variant("q2.bpmn", "<qbp:resourceId>r1<", "<qbp:resourceId>r9<");
    const char *w2[] = {"resourceId 'r9'", NULL};
    qbp_fails(p, GM_EINVAL, 44, w2);
    p = qbp_variant("q3.bpmn", "type=\"UNIFORM\"", "type=\"WEIBULL\"");
    const char *w3[] = {"unknown distribution type 'WEIBULL'", NULL};
    qbp_fails(p, GM_EINVAL, 47, w3);
    p = qbp_variant("q4.bpmn", "arg1=\"5\"", "arg1=\"five\"");
    const char *w4[] = {"arg1", "'five'", NULL};
    qbp_fails(p, GM_EINVAL, 47, w4);
    p = qbp_variant("q5.bpmn", "<qbp:element elementId=\"sp\" fixedCost=\"4\">",
                    "<qbp:element elementId=\"sp\" fixedCost=\"4\" simulateAsTask=\"true\">");
    const char *w5[] = {"simulateAsTask", NULL};
    qbp_fails(p, GM_EUNSUPPORTED, 50, w5);
    p = qbp_variant("q6.bpmn", "elementId=\"f1\" executionProbability=\"1\"",
                    "elementId=\"f1\" executionProbability=\"0.5\"");
    const char *w6[] = {"'f1' leaves 's'", NULL};
    qbp_fails(p, GM_EINVAL, 55, w6);
    p = qbp_variant("q7.bpmn", "<qbp:sequenceFlow elementId=\"f4\" executionProbability=\"0.7\"/>",
                    "");
    const char *w7[] = {"no executionProbability for its outgoing flow 'f4'", NULL};
    qbp_fails(p, GM_EINVAL, 52, w7);
    p = qbp_variant("q8.bpmn", "timetableId=\"NIGHT\"", "timetableId=\"NOON\"");
    const char *w8[] = {"timetableId 'NOON'", NULL};
    qbp_fails(p, GM_EINVAL, 40, w8);
    p = qbp_variant("q9.bpmn", "trimStartProcessInstances=\"0\"",
                    "trimStartProcessInstances=\"0.1\"");
    const char *w9[] = {"trimStartProcessInstances", NULL};
    qbp_fails(p, GM_EUNSUPPORTED, 57, w9);
    p = qbp_variant("q10.bpmn", "<qbp:distribution type=\"FIXED\" mean=\"20\"/>",
                    "<qbp:distribution type=\"NORMAL\" mean=\"20\" arg1=\"2\"/>");
    const char *w10[] = {"HISTOGRAM bin must be FIXED", NULL};
    qbp_fails(p, GM_EUNSUPPORTED, 46, w10);
    p = qbp_variant("q11.bpmn", "processInstances=\"50\"", "processInstances=\"0\"");
    const char *w11[] = {"processInstances", NULL};
    qbp_fails(p, GM_EINVAL, 27, w11);
}

/* ---- helpers ---- */

static void test_names(void **state)
{
    (void)state;
    json_t *taken = json_object();
    char out[PROCIMPORT__NAME_MAX + 1];
    assert_int_equal(procimport__unique_name(taken, "Customer Care", "x", "case", out), 0);
    assert_string_equal(out, "Customer_Care");
    assert_int_equal(procimport__unique_name(taken, "Customer  Care!", "x", "case", out), 0);
    assert_string_equal(out, "Customer_Care_2");
    assert_int_equal(procimport__unique_name(taken, "  (Customer) Care ", "x", "case", out), 0);
    assert_string_equal(out, "Customer_Care_3");
    assert_int_equal(procimport__unique_name(taken, "case", "x", "case", out), 0);
    assert_string_equal(out, "case_2");
    assert_int_equal(procimport__unique_name(taken, "\xc3\xa4\xc3\xb6", "resource", NULL, out), 0);
    assert_string_equal(out, "resource");
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(procimport__unique_name(taken, longname, "x", NULL, out), 0);
    assert_int_equal(strlen(out), 64);
    assert_int_equal(procimport__unique_name(taken, longname, "x", NULL, out), 0);
    assert_int_equal(strlen(out), 64);
    assert_string_equal(out + 62, "_2");
    json_decref(taken);
}

static void test_week(void **state)
{
    (void)state;
    gm_cal_windows w = GM_CAL_WINDOWS_INIT;
    /* Sunday 20:00 to Tuesday 04:00, across the week's end. */
    assert_int_equal(gm_cal_windows_add(&w, 6 * 86400 + 72000, 8 * 86400 + 14400), 0);
    assert_int_equal(gm_cal_windows_add(&w, 0, 0), 0); /* empty: nothing added */
    assert_int_equal(w.n, 1);
    assert_int_equal(gm_cal_windows_add(&w, 0, 604801), GM_EINVAL);
    json_t *j = gm_cal_windows_json(&w);
    expect_json(j, "",
                "[{\"days\": \"sun\", \"from\": \"20:00\", \"to\": \"24:00\"}, {\"days\": \"mon\", "
                "\"from\": \"00:00\", \"to\": \"24:00\"}, {\"days\": \"tue\", \"from\": \"00:00\", "
                "\"to\": \"04:00\"}]");
    json_decref(j);
    gm_cal_windows_free(&w);
    /* Equal windows on fri, sat, sun, mon form one wrapping range; the whole
       week is mon-sun. */
    for (int d = 4; d < 8; d++)
        assert_int_equal(gm_cal_windows_add(&w, d * 86400 + 3600, d * 86400 + 7200), 0);
    assert_int_equal(gm_cal_windows_add(&w, 0, 604800), 0);
    j = gm_cal_windows_json(&w);
    expect_json(j, "",
                "[{\"days\": \"fri-mon\", \"from\": \"01:00\", \"to\": \"02:00\"}, {\"days\": "
                "\"mon-sun\", \"from\": \"00:00\", \"to\": \"24:00\"}]");
    json_decref(j);
    gm_cal_windows_free(&w);
    for (unsigned i = 0; i < GM_CAL_MAX_ENTRIES; i++)
        assert_int_equal(gm_cal_windows_add(&w, 0, 60), 0);
    assert_int_equal(gm_cal_windows_add(&w, 0, 60), GM_ELIMIT);
    gm_cal_windows_free(&w);
}

/* Windows written out read back, through the simulator's calendar, as
   weight 1 exactly inside some window and 0 elsewhere, second by second
   over a week. */
static void test_week_round_trip(void **state)
{
    (void)state;
    static const int64_t win[][2] = {
        {6 * 86400 + 72000, 8 * 86400 + 14400}, /* Sunday 20:00 .. Tuesday 04:00 */
        {-3600, 1800},                          /* Sunday 23:00 .. Monday 00:30 */
        {2 * 86400 + 30601, 2 * 86400 + 30659}, /* odd seconds: HH:MM:SS */
        {3 * 86400 + 32400, 3 * 86400 + 61200}, /* Thursday 09:00-17:00 */
        {4 * 86400 + 32400, 4 * 86400 + 61200}, /* Friday, the same: thu-fri */
        {5 * 86400 + 36000, 5 * 86400 + 36000}, /* empty */
    };
    gm_cal_windows w = GM_CAL_WINDOWS_INIT;
    for (size_t i = 0; i < sizeof win / sizeof win[0]; i++)
        assert_int_equal(gm_cal_windows_add(&w, win[i][0], win[i][1]), 0);
    json_t *j = gm_cal_windows_json(&w);
    assert_non_null(j);
    gm_cal *c = NULL;
    gm_err e;
    assert_int_equal(gm_cal_from_json(j, "c", false, &c, &e), 0);
    assert_int_equal(gm_cal_bind(c, 1, 0), 0); /* time unit: one second, t = 0 on Monday 00:00 */
    for (int64_t t = 0; t < 604800; t++) {
        bool in = false;
        for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
            int64_t a = ((win[i][0] % 604800) + 604800) % 604800, len = win[i][1] - win[i][0];
            int64_t d = ((t - a) % 604800 + 604800) % 604800;
            in |= d < len;
        }
        if (gm_cal_weight(c, (double)t + 0.5) != (in ? 1.0 : 0.0)) {
            print_error("second %lld: weight %g, expected %d\n", (long long)t,
                        gm_cal_weight(c, (double)t + 0.5), in);
            fail();
        }
    }
    gm_cal_free(c);
    json_decref(j);
    gm_cal_windows_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),       cmocka_unit_test(test_week),
        cmocka_unit_test(test_week_round_trip),
        cmocka_unit_test(test_bsim_golden),
        cmocka_unit_test(test_bsim_errors), cmocka_unit_test(test_qbp_golden),
        cmocka_unit_test(test_qbp_errors),  cmocka_unit_test(test_p2_normal),
        cmocka_unit_test(test_p4_parallel), cmocka_unit_test(test_p3_subproc),
        cmocka_unit_test(test_p1_boundary), cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_qbp_p5),
        cmocka_unit_test(test_scylla_zone), cmocka_unit_test(test_bimp_zone),
    };
    return gm_test_result(cmocka_run_group_tests(tests, setup_group, teardown_group));
}
