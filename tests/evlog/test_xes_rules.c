/*
 * test_xes_rules: gemel's XES logs against the rules of IEEE Std 1849-2016,
 * read from the standard rather than from gemel's writer:
 *
 *   - the grammar of clause 5 (elements, their order, required attributes,
 *     the XML Schema datatype of every value), as tests/evlog/xes_grammar.xsd,
 *     which libxml2's validator applies;
 *   - rules a schema cannot state, checked here on the parsed document:
 *       R1 within one component (log, trace, event, global, or an attribute
 *          holding nested attributes) every key occurs at most once;
 *       R2 extension prefixes are unique, and a key "p:name" uses a declared
 *          prefix p;
 *       R3 an attribute of a standard extension, declared with the standard
 *          URI, has the type and sits on the level that extension defines:
 *          concept:name string (log, trace, event), lifecycle:model string
 *          (log), lifecycle:transition string (event), org:resource,
 *          org:role, org:group string (event), time:timestamp date (event);
 *       R4 under lifecycle:model "standard" a transition is one of the
 *          standard transactional model's: schedule, assign, withdraw,
 *          reassign, start, suspend, resume, pi_abort, ate_abort, complete,
 *          autoskip, manualskip, unknown;
 *       R5 at most one global element per scope;
 *       R6 every key a classifier lists is a global attribute of the
 *          classifier's scope (event when absent);
 *       R7 gemel's own choice: every element is in the XES namespace
 *          http://www.xes-standard.org/ (see xes_grammar.xsd).
 *
 * The logs come from simulations: the example order process and the
 * 10-task benchmark process through the process simulator (with and without
 * resources, at two clock offsets), and a stream of cases with awkward names
 * through the writer itself. Each rule is also shown to reject a document
 * that breaks it, so a checker that accepted everything would fail here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "base/json.h"
#include "evlog/evlog.h"
#include "process/bpmn.h"
#include "process/process.h"

#define XES_NS "http://www.xes-standard.org/"

static char g_dir[64];
static xmlSchemaPtr g_schema;

/* ---- the grammar ---- */

typedef struct msgs {
    char text[2048];
    size_t len;
    int n;
} msgs;

static void collect(void *ctx, xmlErrorPtr e)
{
    msgs *m = ctx;
    m->n++;
    if (m->len + 1 < sizeof m->text) {
        int w = snprintf(m->text + m->len, sizeof m->text - m->len, "line %d: %s", e->line,
                         e->message ? e->message : "?");
        if (w > 0)
            m->len += (size_t)w < sizeof m->text - m->len ? (size_t)w : sizeof m->text - m->len - 1;
    }
}

/* The schema errors of doc, "" when it is valid. */
static const char *grammar_errors(xmlDoc *doc, msgs *m)
{
    memset(m, 0, sizeof *m);
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(g_schema);
    assert_non_null(v);
    xmlSchemaSetValidStructuredErrors(v, collect, m);
    int rc = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    if (rc != 0 && m->n == 0)
        snprintf(m->text, sizeof m->text, "validation failed (%d)", rc);
    return m->text;
}

/* ---- the rules ---- */

typedef struct rules {
    char why[512];
    /* declared extensions */
    char prefix[16][64];
    bool standard_uri[16];
    int nprefix;
    /* keys of the global attributes, per scope (0 trace, 1 event) */
    char gkeys[2][32][128];
    int ngkeys[2];
    bool standard_lifecycle;
} rules;

static bool broken(rules *r, const xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool broken(rules *r, const xmlNode *n, const char *fmt, ...)
{
    if (r->why[0])
        return false; /* the first violation is kept */
    int w = snprintf(r->why, sizeof r->why, "line %ld: ", n ? xmlGetLineNo(n) : 0L);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why + w, sizeof r->why - (size_t)w, fmt, ap);
    va_end(ap);
    return false;
}

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool is_attribute(const xmlNode *n)
{
    static const char *const kinds[] = {"string", "date", "int", "float", "boolean", "id", "list"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (is(n, kinds[i]))
            return true;
    return false;
}

/* A property's value copied into buf ("" when absent). */
static const char *prop(const xmlNode *n, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    snprintf(buf, size, "%s", v ? (const char *)v : "");
    xmlFree(v);
    return buf;
}

/* The standard extensions: name, prefix and URI as the standard defines them. */
static const char *const std_ext[][3] = {
    {"Concept", "concept", XES_NS "concept.xesext"},
    {"Lifecycle", "lifecycle", XES_NS "lifecycle.xesext"},
    {"Organizational", "org", XES_NS "org.xesext"},
    {"Time", "time", XES_NS "time.xesext"},
};

/* The attributes the standard extensions define: key, type, levels. */
static const struct {
    const char *key, *type, *levels;
} std_attr[] = {
    {"concept:name", "string", "log trace event"},
    {"concept:instance", "string", "event"},
    {"lifecycle:model", "string", "log"},
    {"lifecycle:transition", "string", "event"},
    {"org:resource", "string", "event"},
    {"org:role", "string", "event"},
    {"org:group", "string", "event"},
    {"time:timestamp", "date", "event"},
};

static const char *const std_transitions[] = {
    "schedule", "assign", "withdraw", "reassign", "start", "suspend", "resume",
    "pi_abort", "ate_abort", "complete", "autoskip", "manualskip", "unknown",
};

static bool level_has(const char *levels, const char *level)
{
    size_t n = strlen(level);
    for (const char *p = levels; (p = strstr(p, level)) != NULL; p += n)
        if ((p == levels || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

/*
 * The attributes among the children of component (R1-R4). level is "log",
 * "trace", "event", "global-trace", "global-event", or "nested" (below
 * another attribute, or in a list's values, where keys may repeat).
 */
static bool check_attributes(rules *r, const xmlNode *component, const char *level,
                             bool keys_unique)
{
    char keys[256][128];
    int nkeys = 0;
    for (const xmlNode *a = component->children; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE || !is_attribute(a))
            continue;
        char key[128], value[256];
        prop(a, "key", key, sizeof key);
        prop(a, "value", value, sizeof value);
        if (keys_unique) {
            for (int i = 0; i < nkeys; i++)
                if (strcmp(keys[i], key) == 0)
                    return broken(r, a, "R1: key '%s' twice in one %s", key, level);
            if (nkeys < 256)
                snprintf(keys[nkeys++], sizeof keys[0], "%s", key);
        }
        const char *colon = strchr(key, ':');
        if (colon) {
            int k = -1;
            for (int i = 0; i < r->nprefix; i++)
                if (strlen(r->prefix[i]) == (size_t)(colon - key) &&
                    strncmp(r->prefix[i], key, (size_t)(colon - key)) == 0)
                    k = i;
            if (k < 0)
                return broken(r, a, "R2: key '%s' uses an undeclared prefix", key);
            /* The levels of the standard attributes; a global of scope s
               stands for the attributes of every s. */
            const char *lv = strncmp(level, "global-", 7) == 0 ? level + 7 : level;
            for (size_t i = 0; r->standard_uri[k] && i < sizeof std_attr / sizeof std_attr[0];
                 i++) {
                if (strcmp(std_attr[i].key, key) != 0)
                    continue;
                if (!is(a, std_attr[i].type))
                    return broken(r, a, "R3: %s must be a %s attribute, not %s", key,
                                  std_attr[i].type, (const char *)a->name);
                if (strcmp(lv, "nested") != 0 && !level_has(std_attr[i].levels, lv))
                    return broken(r, a, "R3: %s belongs on the %s level, not %s", key,
                                  std_attr[i].levels, lv);
            }
            if (r->standard_lifecycle && strcmp(key, "lifecycle:transition") == 0) {
                bool known = false;
                for (size_t i = 0; i < sizeof std_transitions / sizeof std_transitions[0]; i++)
                    known |= strcmp(value, std_transitions[i]) == 0;
                if (!known)
                    return broken(r, a,
                                  "R4: transition '%s' is not in the standard lifecycle model",
                                  value);
            }
        }
        /* nested attributes: unique keys again; list values may repeat */
        if (!check_attributes(r, a, "nested", true) && r->why[0])
            return false;
        for (const xmlNode *v = a->children; v; v = v->next)
            if (is(v, "values") && !check_attributes(r, v, "nested", false) && r->why[0])
                return false;
    }
    return true;
}

/* R1-R7 on doc. Returns NULL when every rule holds, else the first violation. */
static const char *rule_errors(xmlDoc *doc, rules *r)
{
    memset(r, 0, sizeof *r);
    xmlNode *log = xmlDocGetRootElement(doc);
    char buf[512];
    for (xmlNode *n = log; n;) {
        if (n->type == XML_ELEMENT_NODE && (!n->ns || strcmp((const char *)n->ns->href, XES_NS)))
            return broken(r, n, "R7: <%s> outside the XES namespace", (const char *)n->name),
                   r->why;
        /* depth-first walk */
        if (n->children)
            n = n->children;
        else {
            while (n && !n->next)
                n = n->parent == (xmlNode *)doc ? NULL : n->parent;
            if (n)
                n = n->next;
        }
    }
    for (xmlNode *n = log->children; n; n = n->next) {
        if (is(n, "extension")) {
            char name[64], prefix[64], uri[256];
            prop(n, "name", name, sizeof name);
            prop(n, "prefix", prefix, sizeof prefix);
            prop(n, "uri", uri, sizeof uri);
            for (int i = 0; i < r->nprefix; i++)
                if (strcmp(r->prefix[i], prefix) == 0)
                    return broken(r, n, "R2: prefix '%s' declared twice", prefix), r->why;
            if (r->nprefix == 16)
                return broken(r, n, "too many extensions for this checker"), r->why;
            snprintf(r->prefix[r->nprefix], sizeof r->prefix[0], "%s", prefix);
            for (size_t i = 0; i < sizeof std_ext / sizeof std_ext[0]; i++)
                if (strcmp(uri, std_ext[i][2]) == 0) {
                    if (strcmp(prefix, std_ext[i][1]) != 0)
                        return broken(r, n, "R2: %s declared with prefix '%s', not '%s'",
                                      std_ext[i][0], prefix, std_ext[i][1]),
                               r->why;
                    r->standard_uri[r->nprefix] = true;
                }
            r->nprefix++;
        }
    }
    /* lifecycle:model among the log's attributes */
    for (xmlNode *n = log->children; n; n = n->next)
        if (is(n, "string") && strcmp(prop(n, "key", buf, sizeof buf), "lifecycle:model") == 0)
            r->standard_lifecycle = strcmp(prop(n, "value", buf, sizeof buf), "standard") == 0;
    bool seen[2] = {false, false};
    for (xmlNode *n = log->children; n; n = n->next) {
        if (!is(n, "global"))
            continue;
        int s = strcmp(prop(n, "scope", buf, sizeof buf), "trace") == 0 ? 0 : 1;
        if (seen[s])
            return broken(r, n, "R5: two globals of scope %s", s ? "event" : "trace"), r->why;
        seen[s] = true;
        if (!check_attributes(r, n, s ? "global-event" : "global-trace", true))
            return r->why;
        for (xmlNode *a = n->children; a; a = a->next)
            if (a->type == XML_ELEMENT_NODE && r->ngkeys[s] < 32)
                prop(a, "key", r->gkeys[s][r->ngkeys[s]++], sizeof r->gkeys[0][0]);
    }
    for (xmlNode *n = log->children; n; n = n->next) {
        if (!is(n, "classifier"))
            continue;
        int s = strcmp(prop(n, "scope", buf, sizeof buf), "trace") == 0 ? 0 : 1;
        char keys[512];
        prop(n, "keys", keys, sizeof keys);
        for (char *save = NULL, *k = strtok_r(keys, " \t\n", &save); k;
             k = strtok_r(NULL, " \t\n", &save)) {
            bool global = false;
            for (int i = 0; i < r->ngkeys[s]; i++)
                global |= strcmp(r->gkeys[s][i], k) == 0;
            if (!global)
                return broken(r, n, "R6: classifier key '%s' is not a global %s attribute", k,
                              s ? "event" : "trace"),
                       r->why;
        }
    }
    if (!check_attributes(r, log, "log", true))
        return r->why;
    for (xmlNode *n = log->children; n; n = n->next) {
        if (is(n, "event") && !check_attributes(r, n, "event", true))
            return r->why;
        if (!is(n, "trace"))
            continue;
        if (!check_attributes(r, n, "trace", true))
            return r->why;
        for (xmlNode *e = n->children; e; e = e->next)
            if (is(e, "event") && !check_attributes(r, e, "event", true))
                return r->why;
    }
    return NULL;
}

/* Parse path and expect it to follow the grammar and every rule; returns
   the number of events in it. */
static size_t assert_conforms(const char *path)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!doc)
        fail_msg("%s is not well-formed XML", path);
    msgs m;
    const char *g = grammar_errors(doc, &m);
    if (g[0])
        fail_msg("%s breaks the XES grammar: %s", path, g);
    rules r;
    const char *why = rule_errors(doc, &r);
    if (why)
        fail_msg("%s breaks an XES rule: %s", path, why);
    size_t events = 0;
    for (xmlNode *t = xmlDocGetRootElement(doc)->children; t; t = t->next)
        if (is(t, "trace"))
            for (xmlNode *e = t->children; e; e = e->next)
                events += is(e, "event");
    xmlFreeDoc(doc);
    return events;
}

/* ---- set-up ---- */

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/gm_xes_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    xmlSchemaParserCtxtPtr pc =
        xmlSchemaNewParserCtxt(GEMEL_SOURCE_DIR "/tests/evlog/xes_grammar.xsd");
    if (!pc)
        return -1;
    g_schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return g_schema ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    xmlSchemaFree(g_schema);
    static const char *const files[] = {"orders1.xes", "orders2.xes", "process10.xes",
                                        "stream.xes"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s/%s", g_dir, files[i]);
        unlink(p);
    }
    rmdir(g_dir);
    return 0;
}

/* ---- logs from simulations ---- */

/* Simulate model with params (cases set to ncases, extra settings merged
   in) and write replication 0's log to g_dir/out. */
static void simulate(const char *model, const char *params, long ncases, const char *extra,
                     uint64_t seed, const char *out)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", g_dir, out);
    gm_err err;
    gm_err_clear(&err);
    gm_bpmn *m = NULL;
    char buf[1024];
    if (gm_bpmn_load_file(model, &m, &err))
        fail_msg("%s", gm_err_format(&err, buf, sizeof buf));
    json_t *p = gm_json_load_file(params, NULL, &err);
    if (!p)
        fail_msg("%s", gm_err_format(&err, buf, sizeof buf));
    json_object_set_new(p, "cases", json_integer(ncases));
    json_object_set_new(p, "warmup_cases", json_integer(ncases / 10));
    if (extra) {
        json_t *x = json_loads(extra, 0, NULL);
        assert_non_null(x);
        json_object_update(p, x);
        json_decref(x);
    }
    gm_proc *sim = NULL;
    if (gm_proc_load(m, model, p, &sim, &err))
        fail_msg("%s", gm_err_format(&err, buf, sizeof buf));
    gm_evlog_clock clk;
    gm_proc_clock(sim, &clk);
    gm_evlog *log = NULL;
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_XES, &clk, gm_proc_process_name(sim), &log,
                                   &err),
                     0);
    gm_proc_set_log(sim, log);
    double *kpi = calloc(gm_proc_nkpi(sim), sizeof *kpi);
    assert_non_null(kpi);
    if (gm_proc_replicate(sim, seed, 0, kpi, NULL, NULL, &err))
        fail_msg("%s", gm_err_format(&err, buf, sizeof buf));
    assert_int_equal(gm_evlog_close(log, &err), 0);
    free(kpi);
    gm_proc_free(sim);
    json_decref(p);
    gm_bpmn_free(m);
    /* two events per executed task, and at least one task per case */
    assert_true(assert_conforms(path) >= 2 * (size_t)ncases);
}

static void test_simulated_orders(void **state)
{
    (void)state;
    simulate(GEMEL_SOURCE_DIR "/examples/orders.bpmn",
             GEMEL_SOURCE_DIR "/examples/orders.params.json", 300, NULL, 1, "orders1.xes");
    /* another seed, a clock with a UTC offset and hours as the unit */
    simulate(GEMEL_SOURCE_DIR "/examples/orders.bpmn",
             GEMEL_SOURCE_DIR "/examples/orders.params.json", 300,
             "{\"start\": \"2024-03-30T23:30:00-09:30\", \"time_unit\": \"hours\"}", 7,
             "orders2.xes");
}

static void test_simulated_process10(void **state)
{
    (void)state;
    /* three resource pools: every event carries org:resource */
    simulate(GEMEL_SOURCE_DIR "/bench/process10.bpmn",
             GEMEL_SOURCE_DIR "/bench/process10.params.json", 500, NULL, 3, "process10.xes");
}

static void test_stream_of_awkward_cases(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/stream.xes", g_dir);
    static const char *const names[] = {
        "Check & <approve>", "it's \"quoted\"", "tab\there", "caf\xc3\xa9", "bad\xff",
        "ctl\x01", ":colon", "x", "",
    };
    gm_evlog_clock clk = {1700000000LL * 1000000000LL, 330, 0.001};
    gm_evlog *l = NULL;
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_XES, &clk, "Proc <&> \"x\"", &l, &err), 0);
    uint64_t s = 12345;
    for (uint64_t c = 0; c < 400; c++) {
        double t = (double)c * 3.5;
        for (int a = 0; a < 1 + (int)(c % 5); a++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *act = names[(s >> 33) % 8];
            const char *res = (s >> 40) % 3 ? names[(s >> 45) % 9] : NULL;
            double d = (double)((s >> 50) % 100) / 7.0; /* zero-length ones too */
            assert_int_equal(gm_evlog_activity(l, c, act, res, t, t + d, &err), 0);
            t += d / 2;
        }
        if (c % 3) /* the others stay open until close */
            assert_int_equal(gm_evlog_case_end(l, c, &err), 0);
    }
    assert_int_equal(gm_evlog_close(l, &err), 0);
    assert_true(assert_conforms(path) > 400);
}

/* ---- the checker rejects what breaks a rule ---- */

#define HEAD \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<log xes.version=\"%s\" xmlns=\"" XES_NS "\">\n" \
    "<extension name=\"Concept\" prefix=\"concept\" uri=\"" XES_NS "concept.xesext\"/>\n" \
    "<extension name=\"Time\" prefix=\"time\" uri=\"" XES_NS "time.xesext\"/>\n" \
    "<extension name=\"Lifecycle\" prefix=\"lifecycle\" uri=\"" XES_NS "lifecycle.xesext\"/>\n" \
    "<global scope=\"event\"><string key=\"concept:name\" value=\"?\"/></global>\n" \
    "%s</log>\n"

static void expect_broken(const char *version, const char *body, const char *grammar,
                          const char *rule)
{
    char text[4096];
    snprintf(text, sizeof text, HEAD, version, body);
    xmlDoc *doc = xmlReadMemory(text, (int)strlen(text), "bad.xes", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    msgs m;
    const char *g = grammar_errors(doc, &m);
    if (grammar) {
        if (!strstr(g, grammar))
            fail_msg("grammar: expected '%s' in '%s' for:\n%s", grammar, g, text);
    } else if (g[0]) {
        fail_msg("grammar: unexpected '%s' for:\n%s", g, text);
    }
    rules r;
    const char *why = rule_errors(doc, &r);
    if (rule) {
        if (!why || !strstr(why, rule))
            fail_msg("rules: expected '%s', got '%s' for:\n%s", rule, why ? why : "nothing",
                     text);
    } else if (why) {
        fail_msg("rules: unexpected '%s' for:\n%s", why, text);
    }
    xmlFreeDoc(doc);
}

static void test_checker_rejects(void **state)
{
    (void)state;
    /* a conforming document first */
    expect_broken("2.0",
                  "<classifier name=\"Activity\" keys=\"concept:name\"/>"
                  "<string key=\"lifecycle:model\" value=\"standard\"/>"
                  "<trace><string key=\"concept:name\" value=\"1\"/><event>"
                  "<string key=\"concept:name\" value=\"a\"/>"
                  "<string key=\"lifecycle:transition\" value=\"ate_abort\"/>"
                  "<date key=\"time:timestamp\" value=\"2024-01-01T00:00:00.000+05:30\"/>"
                  "<list key=\"l\"><values><int key=\"v\" value=\"1\"/><int key=\"v\" "
                  "value=\"2\"/></values></list></event></trace>",
                  NULL, NULL);
    /* the grammar */
    expect_broken("1849-2016", "", "'1849-2016' is not a valid value of the atomic type 'xs:decimal'",
                  NULL);
    expect_broken("2.0", "<classifier name=\"Activity and lifecycle\" keys=\"concept:name\"/>",
                  "is not a valid value of the atomic type 'xs:NCName'", NULL);
    expect_broken("2.0",
                  "<trace><event><date key=\"time:timestamp\" value=\"2024-13-01T00:00:00Z\"/>"
                  "</event></trace>",
                  "is not a valid value of the atomic type 'xs:dateTime'", NULL);
    expect_broken("2.0", "<trace><event><int key=\"n\" value=\"9223372036854775808\"/></event></trace>",
                  "is not a valid value of the atomic type 'xs:long'", NULL);
    expect_broken("2.0", "<trace><event><float key=\"x\" value=\"1,5\"/></event></trace>",
                  "is not a valid value of the atomic type 'xs:double'", NULL);
    expect_broken("2.0", "<trace><event><boolean key=\"b\" value=\"yes\"/></event></trace>",
                  "is not a valid value of the atomic type 'xs:boolean'", NULL);
    expect_broken("2.0", "<trace><event/></trace><string key=\"late\" value=\"x\"/>",
                  "This element is not expected", NULL);
    expect_broken("2.0", "<trace><string value=\"no key\"/></trace>",
                  "The attribute 'key' is required but missing", NULL);
    /* the rules */
    expect_broken("2.0",
                  "<trace><event><string key=\"concept:name\" value=\"a\"/>"
                  "<string key=\"concept:name\" value=\"b\"/></event></trace>",
                  NULL, "R1: key 'concept:name' twice in one event");
    expect_broken("2.0", "<trace><event><string key=\"org:resource\" value=\"r\"/></event></trace>",
                  NULL, "R2: key 'org:resource' uses an undeclared prefix");
    expect_broken("2.0",
                  "<trace><event><string key=\"time:timestamp\" value=\"2024-01-01\"/>"
                  "</event></trace>",
                  NULL, "R3: time:timestamp must be a date attribute, not string");
    expect_broken("2.0",
                  "<trace><date key=\"time:timestamp\" value=\"2024-01-01T00:00:00Z\"/></trace>",
                  NULL, "R3: time:timestamp belongs on the event level, not trace");
    expect_broken("2.0",
                  "<string key=\"lifecycle:model\" value=\"standard\"/><trace><event>"
                  "<string key=\"lifecycle:transition\" value=\"begin\"/></event></trace>",
                  NULL, "R4: transition 'begin' is not in the standard lifecycle model");
    expect_broken("2.0", "<global scope=\"event\"/>", NULL, "R5: two globals of scope event");
    expect_broken("2.0", "<classifier name=\"When\" keys=\"concept:name time:timestamp\"/>", NULL,
                  "R6: classifier key 'time:timestamp' is not a global event attribute");

    /* R7: outside the namespace (the grammar, which takes it, rejects it too) */
    const char *plain = "<?xml version=\"1.0\"?><log xes.version=\"2.0\"><trace/></log>";
    xmlDoc *doc = xmlReadMemory(plain, (int)strlen(plain), "plain.xes", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    rules r;
    const char *why = rule_errors(doc, &r);
    assert_non_null(why);
    assert_non_null(strstr(why, "R7: <log> outside the XES namespace"));
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_rejects),
        cmocka_unit_test(test_simulated_orders),
        cmocka_unit_test(test_simulated_process10),
        cmocka_unit_test(test_stream_of_awkward_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
