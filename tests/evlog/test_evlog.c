#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/err.h"
#include "base/time.h"
#include "evlog/evlog.h"

/* ---- helpers ---- */

static char g_dir[64];

/* A path in this run's temporary folder; four rotating buffers, so a few
   results can be in use at once. */
static const char *tmp(const char *name)
{
    static char buf[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static const char *const g_files[] = {"a.csv", "golden.xes", "cases.xes", "text.xes",
                                      "limits.xes", "abort.xes", "bad.csv", "order.xes",
                                      "full.csv"};

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/gm_evlog_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_files / sizeof g_files[0]; i++)
        unlink(tmp(g_files[i]));
    rmdir(g_dir);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int64_t instant(const char *text)
{
    int64_t ns = 0;
    assert_int_equal(gm_time_parse_rfc3339(text, strlen(text), &ns, NULL, NULL), 0);
    return ns;
}

static gm_evlog *open_ok(const char *path, gm_evlog_format fmt, const gm_evlog_clock *clk,
                         const char *name)
{
    gm_evlog *l = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_evlog_open(path, fmt, clk, name, &l, &err);
    if (rc) {
        char buf[1100];
        print_error("open: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    assert_non_null(l);
    return l;
}

static void act_ok(gm_evlog *l, uint64_t id, const char *a, const char *r, double s, double e)
{
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_evlog_activity(l, id, a, r, s, e, &err);
    if (rc) {
        char buf[1100];
        print_error("activity: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
}

static void close_ok(gm_evlog *l)
{
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_evlog_close(l, &err);
    if (rc) {
        char buf[1100];
        print_error("close: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
}

/* ---- libxml2 helpers ---- */

/* The element children of parent, in order: up to max of them into kids; the
   count of all of them. */
static size_t elements(xmlNode *parent, xmlNode **kids, size_t max)
{
    size_t n = 0;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (n < max)
                kids[n] = c;
            n++;
        }
    return n;
}

static bool named(const xmlNode *n, const char *name)
{
    return n && strcmp((const char *)n->name, name) == 0;
}

static void assert_prop(xmlNode *n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    assert_non_null(v);
    assert_string_equal((const char *)v, want);
    xmlFree(v);
}

static void assert_in_xes_ns(const xmlNode *n)
{
    assert_non_null(n->ns);
    assert_string_equal((const char *)n->ns->href, "http://www.xes-standard.org/");
}

/* The value of parent's <tag key="key" value=.../> child, or NULL when absent;
   a key present twice fails the test. Free with xmlFree. */
static char *child_value(xmlNode *parent, const char *tag, const char *key)
{
    char *found = NULL;
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !named(c, tag))
            continue;
        xmlChar *k = xmlGetProp(c, (const xmlChar *)"key");
        bool match = k && strcmp((const char *)k, key) == 0;
        xmlFree(k);
        if (!match)
            continue;
        assert_null(found);
        found = (char *)xmlGetProp(c, (const xmlChar *)"value");
        assert_non_null(found);
    }
    return found;
}

static void assert_child(xmlNode *parent, const char *tag, const char *key, const char *want)
{
    char *v = child_value(parent, tag, key);
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, want);
    xmlFree(v);
}

static size_t count_children(xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (xmlNode *c = parent->children; c; c = c->next)
        n += c->type == XML_ELEMENT_NODE && named(c, name);
    return n;
}

typedef struct want_event {
    const char *name, *transition, *timestamp, *resource; /* resource NULL: absent */
} want_event;

typedef struct want_trace {
    const char *id;
    size_t n;
    const want_event *ev;
} want_trace;

static void assert_trace(xmlNode *tr, const want_trace *w)
{
    assert_true(named(tr, "trace"));
    assert_in_xes_ns(tr);
    assert_child(tr, "string", "concept:name", w->id);
    assert_int_equal(count_children(tr, "event"), w->n);
    size_t i = 0;
    for (xmlNode *e = tr->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE || !named(e, "event"))
            continue;
        assert_in_xes_ns(e);
        const want_event *we = &w->ev[i++];
        assert_child(e, "string", "concept:name", we->name);
        assert_child(e, "string", "lifecycle:transition", we->transition);
        assert_child(e, "date", "time:timestamp", we->timestamp);
        assert_child(e, "string", "org:resource", we->resource);
        /* Nothing else: 3 or 4 attributes. */
        assert_int_equal(count_children(e, "string") + count_children(e, "date"),
                         we->resource ? 4 : 3);
    }
}

/* ---- tests ---- */

static void test_format_of(void **state)
{
    (void)state;
    gm_evlog_format f = GM_EVLOG_CSV;
    assert_int_equal(gm_evlog_format_of("run.xes", &f, NULL), 0);
    assert_int_equal(f, GM_EVLOG_XES);
    assert_int_equal(gm_evlog_format_of("out/RUN.XeS", &f, NULL), 0);
    assert_int_equal(f, GM_EVLOG_XES);
    assert_int_equal(gm_evlog_format_of("a.b.csv", &f, NULL), 0);
    assert_int_equal(f, GM_EVLOG_CSV);
    assert_int_equal(gm_evlog_format_of("logs.xes/run.CSV", &f, NULL), 0);
    assert_int_equal(f, GM_EVLOG_CSV);

    const char *bad[] = {"run.txt", "run", "run.xes.gz", "logs.xes/run", "run.xesx",
                         "run.cs", "", "run."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gm_err err;
        f = GM_EVLOG_XES;
        assert_int_equal(gm_evlog_format_of(bad[i], &f, &err), GM_EINVAL);
        assert_int_equal(f, GM_EVLOG_XES); /* untouched */
        assert_string_equal(err.where, bad[i]);
        assert_string_equal(err.what, "expected a .csv or .xes file name");
    }
    assert_int_equal(gm_evlog_format_of(NULL, &f, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_format_of("a.csv", NULL, NULL), GM_EINVAL);
}

static void test_csv_golden(void **state)
{
    (void)state;
    gm_evlog_clock clk = {instant("2016-08-01T08:00:00+02:00"), 120, 60.0};
    const char *path = tmp("a.csv");
    gm_evlog *l = open_ok(path, GM_EVLOG_CSV, &clk, "ignored in CSV");
    act_ok(l, 1, "check order", "clerk", 0, 1.5);
    act_ok(l, 2, "pack, \"fragile\"", NULL, 2.25, 10);
    assert_int_equal(gm_evlog_case_end(l, 2, NULL), 0); /* nothing to do in CSV */
    /* 1440.0005 min is 86400.03 s: the next day, 30 ms. */
    act_ok(l, 1, "ship", "dock\r\nA", 1.5, 1440.0005);
    /* 0.57 min * 60 * 1000 is 34199.99999999999 ms: rounded, not truncated. */
    act_ok(l, 3, "weigh", "scale", 0.57, 0.57);
    act_ok(l, UINT64_MAX, "x", "", 0, 0);
    close_ok(l);

    char *got = slurp(path);
    assert_string_equal(got,
                        "case_id,activity,resource,start,end\n"
                        "1,check order,clerk,2016-08-01T08:00:00.000+02:00,"
                        "2016-08-01T08:01:30.000+02:00\n"
                        "2,\"pack, \"\"fragile\"\"\",,2016-08-01T08:02:15.000+02:00,"
                        "2016-08-01T08:10:00.000+02:00\n"
                        "1,ship,\"dock\r\nA\",2016-08-01T08:01:30.000+02:00,"
                        "2016-08-02T08:00:00.030+02:00\n"
                        "3,weigh,scale,2016-08-01T08:00:34.200+02:00,"
                        "2016-08-01T08:00:34.200+02:00\n"
                        "18446744073709551615,x,,2016-08-01T08:00:00.000+02:00,"
                        "2016-08-01T08:00:00.000+02:00\n");
    free(got);
}

static void test_xes_golden(void **state)
{
    (void)state;
    gm_evlog_clock clk = {instant("2024-01-01T09:30:00Z"), 0, 60.0};
    const char *path = tmp("golden.xes");
    gm_evlog *l = open_ok(path, GM_EVLOG_XES, &clk, "P");
    act_ok(l, 7, "Check", "clerk", 0, 1.5);
    close_ok(l); /* case 7 never ended: written at close */
    char *got = slurp(path);
    assert_string_equal(
        got,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<log xes.version=\"2.0\" xes.features=\"nested-attributes\" "
        "xmlns=\"http://www.xes-standard.org/\">\n"
        "  <extension name=\"Concept\" prefix=\"concept\" "
        "uri=\"http://www.xes-standard.org/concept.xesext\"/>\n"
        "  <extension name=\"Time\" prefix=\"time\" "
        "uri=\"http://www.xes-standard.org/time.xesext\"/>\n"
        "  <extension name=\"Lifecycle\" prefix=\"lifecycle\" "
        "uri=\"http://www.xes-standard.org/lifecycle.xesext\"/>\n"
        "  <extension name=\"Organizational\" prefix=\"org\" "
        "uri=\"http://www.xes-standard.org/org.xesext\"/>\n"
        "  <global scope=\"trace\">\n"
        "    <string key=\"concept:name\" value=\"__INVALID__\"/>\n"
        "  </global>\n"
        "  <global scope=\"event\">\n"
        "    <string key=\"concept:name\" value=\"__INVALID__\"/>\n"
        "    <string key=\"lifecycle:transition\" value=\"complete\"/>\n"
        "    <date key=\"time:timestamp\" value=\"1970-01-01T00:00:00.000Z\"/>\n"
        "  </global>\n"
        "  <classifier name=\"Activity\" keys=\"concept:name\"/>\n"
        "  <classifier name=\"Activity_and_lifecycle\" keys=\"concept:name lifecycle:transition\"/>\n"
        "  <string key=\"lifecycle:model\" value=\"standard\"/>\n"
        "  <string key=\"concept:name\" value=\"P\"/>\n"
        "  <trace>\n"
        "    <string key=\"concept:name\" value=\"7\"/>\n"
        "    <event>\n"
        "      <string key=\"concept:name\" value=\"Check\"/>\n"
        "      <string key=\"org:resource\" value=\"clerk\"/>\n"
        "      <string key=\"lifecycle:transition\" value=\"start\"/>\n"
        "      <date key=\"time:timestamp\" value=\"2024-01-01T09:30:00.000Z\"/>\n"
        "    </event>\n"
        "    <event>\n"
        "      <string key=\"concept:name\" value=\"Check\"/>\n"
        "      <string key=\"org:resource\" value=\"clerk\"/>\n"
        "      <string key=\"lifecycle:transition\" value=\"complete\"/>\n"
        "      <date key=\"time:timestamp\" value=\"2024-01-01T09:31:30.000Z\"/>\n"
        "    </event>\n"
        "  </trace>\n"
        "</log>\n");
    free(got);
}

static void test_xes_cases(void **state)
{
    (void)state;
    gm_evlog_clock clk = {instant("2024-01-01T09:30:00Z"), 0, 1.0};
    const char *path = tmp("cases.xes");
    gm_evlog *l = open_ok(path, GM_EVLOG_XES, &clk, "Orders & <Co> \"q\" 'a'");
    /* Reported as a simulator would, at each activity's end; cases interleave. */
    act_ok(l, 10, "B", "robot", 1, 3); /* parallel to A below */
    act_ok(l, 20, "wait", "clerk", 1, 2);
    act_ok(l, 10, "A", "clerk", 0, 4);
    act_ok(l, 3, "A & B <x>", NULL, 2, 5);
    act_ok(l, 3, "it's \"q\"", "", 5, 5); /* zero length, no resource */
    assert_int_equal(gm_evlog_case_end(l, 3, NULL), 0);
    act_ok(l, 10, "C", "clerk", 4, 6);
    act_ok(l, 15, "late", "robot", 2.01, 7); /* 2009.9999999999998 ms -> .010 */
    assert_int_equal(gm_evlog_case_end(l, 10, NULL), 0);
    assert_int_equal(gm_evlog_case_end(l, 99, NULL), 0); /* no activities: no trace */
    close_ok(l); /* 15 and 20 still open: written in case-id order */

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc); /* well-formed */
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_true(named(root, "log"));
    assert_in_xes_ns(root);
    assert_prop(root, "xes.version", "2.0");
    assert_prop(root, "xes.features", "nested-attributes");

    static const char *const ext[4][3] = {
        {"Concept", "concept", "http://www.xes-standard.org/concept.xesext"},
        {"Time", "time", "http://www.xes-standard.org/time.xesext"},
        {"Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"},
        {"Organizational", "org", "http://www.xes-standard.org/org.xesext"},
    };
    /* Exactly: 4 extensions, 2 globals, 2 classifiers, 2 log attributes, then
       the traces; nothing else. */
    xmlNode *kid[16];
    assert_int_equal(elements(root, kid, 16), 14);
    for (int i = 0; i < 4; i++) {
        assert_true(named(kid[i], "extension"));
        assert_in_xes_ns(kid[i]);
        assert_prop(kid[i], "name", ext[i][0]);
        assert_prop(kid[i], "prefix", ext[i][1]);
        assert_prop(kid[i], "uri", ext[i][2]);
    }
    assert_true(named(kid[4], "global"));
    assert_prop(kid[4], "scope", "trace");
    assert_child(kid[4], "string", "concept:name", "__INVALID__");
    assert_true(named(kid[5], "global"));
    assert_prop(kid[5], "scope", "event");
    assert_child(kid[5], "string", "concept:name", "__INVALID__");
    assert_child(kid[5], "string", "lifecycle:transition", "complete");
    assert_child(kid[5], "date", "time:timestamp", "1970-01-01T00:00:00.000Z");
    assert_true(named(kid[6], "classifier"));
    assert_prop(kid[6], "name", "Activity");
    assert_prop(kid[6], "keys", "concept:name");
    assert_true(named(kid[7], "classifier"));
    assert_prop(kid[7], "name", "Activity_and_lifecycle");
    assert_prop(kid[7], "keys", "concept:name lifecycle:transition");
    assert_true(named(kid[8], "string"));
    assert_true(named(kid[9], "string"));
    assert_child(root, "string", "concept:name", "Orders & <Co> \"q\" 'a'");
    assert_child(root, "string", "lifecycle:model", "standard");

    static const want_event t3[] = {
        {"A & B <x>", "start", "2024-01-01T09:30:02.000Z", NULL},
        {"A & B <x>", "complete", "2024-01-01T09:30:05.000Z", NULL},
        {"it's \"q\"", "start", "2024-01-01T09:30:05.000Z", NULL},
        {"it's \"q\"", "complete", "2024-01-01T09:30:05.000Z", NULL},
    };
    /* B runs inside A: its events fall between A's start and complete; C
       starts the instant A completes, after it. */
    static const want_event t10[] = {
        {"A", "start", "2024-01-01T09:30:00.000Z", "clerk"},
        {"B", "start", "2024-01-01T09:30:01.000Z", "robot"},
        {"B", "complete", "2024-01-01T09:30:03.000Z", "robot"},
        {"A", "complete", "2024-01-01T09:30:04.000Z", "clerk"},
        {"C", "start", "2024-01-01T09:30:04.000Z", "clerk"},
        {"C", "complete", "2024-01-01T09:30:06.000Z", "clerk"},
    };
    static const want_event t15[] = {
        {"late", "start", "2024-01-01T09:30:02.010Z", "robot"},
        {"late", "complete", "2024-01-01T09:30:07.000Z", "robot"},
    };
    static const want_event t20[] = {
        {"wait", "start", "2024-01-01T09:30:01.000Z", "clerk"},
        {"wait", "complete", "2024-01-01T09:30:02.000Z", "clerk"},
    };
    const want_trace want[] = {{"3", 4, t3}, {"10", 6, t10}, {"15", 2, t15}, {"20", 2, t20}};
    assert_int_equal(count_children(root, "trace"), 4);
    for (size_t k = 0; k < 4; k++)
        assert_trace(kid[10 + k], &want[k]);
    xmlFreeDoc(doc);
}

static void test_xes_text(void **state)
{
    (void)state;
    gm_evlog_clock clk = {0, -90, 1.0};
    const char *path = tmp("text.xes");
    const char *names[] = {
        "tab\there\nnl\rcr",       /* kept, as character references */
        "ctl\x01x\x1f",            /* forbidden in XML 1.0 */
        "bad\xff\xfe",             /* not UTF-8 */
        "caf\xc3\xa9 \xf0\x9f\x98\x80", /* valid 2- and 4-byte UTF-8 */
        "\xef\xbf\xbf",            /* U+FFFF: UTF-8, but not an XML character */
        "\xc0\xaf",                /* overlong '/' */
        "\xe0\x80\xaf \xf0\x8f\xbf\xbf", /* overlong 3- and 4-byte forms */
        "\xf4\x90\x80\x80",        /* past U+10FFFF */
        "\xed\xa0\x80",            /* a surrogate */
        "trunc\xe2\x82",           /* sequence cut by the end */
    };
    const char *want[] = {
        "tab\there\nnl\rcr",
        "ctl\xef\xbf\xbdx\xef\xbf\xbd",
        "bad\xef\xbf\xbd\xef\xbf\xbd",
        "caf\xc3\xa9 \xf0\x9f\x98\x80",
        "\xef\xbf\xbd",
        "\xef\xbf\xbd\xef\xbf\xbd",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
        "trunc\xef\xbf\xbd\xef\xbf\xbd",
    };
    size_t n = sizeof names / sizeof names[0];
    gm_evlog *l = open_ok(path, GM_EVLOG_XES, &clk, "\x02");
    for (size_t i = 0; i < n; i++)
        act_ok(l, 1, names[i], names[i], (double)i, (double)i);
    close_ok(l);

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_child(root, "string", "concept:name", "\xef\xbf\xbd");
    xmlNode *kid[16];
    assert_int_equal(elements(root, kid, 16), 11); /* ..., lifecycle:model, concept:name, trace */
    xmlNode *tr = kid[10];
    assert_true(named(tr, "trace"));
    xmlNode *ev[2 * 16 + 1];
    assert_true(n <= 16);
    assert_int_equal(elements(tr, ev, 2 * 16 + 1), 1 + 2 * n); /* concept:name + events */
    for (size_t i = 0; i < 2 * n; i++) {
        xmlNode *e = ev[1 + i];
        assert_true(named(e, "event"));
        assert_child(e, "string", "concept:name", want[i / 2]);
        assert_child(e, "string", "org:resource", want[i / 2]);
        /* Offset -01:30: epoch 0 is 22:30 the day before. */
        char ts[64];
        snprintf(ts, sizeof ts, "1969-12-31T22:30:%02zu.000-01:30", i / 2);
        assert_child(e, "date", "time:timestamp", ts);
    }
    xmlFreeDoc(doc);
}

/* Files that stop taking bytes after limit: writes past it fail with EFBIG
   ("File too large") while SIGXFSZ is ignored. */
static struct rlimit g_fsize;
static void limit_file_size(rlim_t limit)
{
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &g_fsize), 0);
    struct rlimit r = g_fsize;
    r.rlim_cur = limit;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}
static void unlimit_file_size(void)
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &g_fsize), 0);
    signal(SIGXFSZ, SIG_DFL);
}

static void test_write_errors(void **state)
{
    (void)state;
    gm_evlog_clock clk = {0, 0, 1.0};
    gm_err err;
    gm_evlog *l;

    /* A log whose opening cannot reach the file fails at open, before the
       caller simulates anything. */
    if (access("/dev/full", W_OK) != 0) {
        GM_TEST_SKIP("/dev/full is not writable here");
    }
    for (int fmt = 0; fmt < 2; fmt++) {
        l = (gm_evlog *)&err; /* must become NULL */
        gm_err_clear(&err);
        assert_int_equal(gm_evlog_open("/dev/full", fmt ? GM_EVLOG_XES : GM_EVLOG_CSV, &clk, "p",
                                       &l, &err),
                         GM_EIO);
        assert_null(l);
        assert_string_equal(err.where, "/dev/full");
        assert_string_equal(err.what, "cannot write the event log: No space left on device");
    }

    /* Past the opening, a few rows fit stdio's buffer: the failure shows at
       close. */
    const char *path = tmp("full.csv");
    limit_file_size(8192);
    l = open_ok(path, GM_EVLOG_CSV, &clk, NULL);
    act_ok(l, 1, "a", "r", 0, 1);
    gm_err_clear(&err);
    for (int i = 0; i < 200; i++) /* about 10 kB of rows: past the limit */
        gm_evlog_activity(l, 2, "activity", "resource", 0, 1, NULL);
    assert_int_equal(gm_evlog_close(l, &err), GM_EIO);
    assert_int_equal(err.code, GM_EIO);
    assert_string_equal(err.where, path);
    assert_non_null(strstr(err.what, "File too large"));

    l = open_ok(path, GM_EVLOG_XES, &clk, "p");
    act_ok(l, 1, "a", "r", 0, 1);
    assert_int_equal(gm_evlog_case_end(l, 1, NULL), 0); /* one trace fits the buffer */
    for (uint64_t c = 2; c <= 100; c++) { /* 50 kB of traces: the failure is sticky */
        gm_evlog_activity(l, c, "a", "r", 0, 1, NULL);
        gm_evlog_case_end(l, c, NULL);
    }
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_close(l, &err), GM_EIO);
    assert_string_equal(err.where, path);
    assert_non_null(strstr(err.what, "File too large"));

    /* Streaming: once the buffer goes out, the next call reports it, so a
       long simulation stops early instead of running on for nothing. */
    l = open_ok(path, GM_EVLOG_CSV, &clk, NULL);
    int rc = 0;
    size_t i;
    for (i = 0; i < 100000 && rc == 0; i++)
        rc = gm_evlog_activity(l, i, "activity", "resource", 0, 1, NULL);
    assert_int_equal(rc, GM_EIO);
    assert_true(i < 100000);
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 0, 1, &err), GM_EIO); /* sticky */
    assert_non_null(strstr(err.what, "File too large"));
    assert_int_equal(gm_evlog_case_end(l, 1, NULL), GM_EIO);
    assert_int_equal(gm_evlog_close(l, NULL), GM_EIO);
    unlimit_file_size();

    /* A file that cannot be created. */
    l = (gm_evlog *)&err; /* must become NULL */
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_open("/nonexistent-gm-dir/x.csv", GM_EVLOG_CSV, &clk, NULL, &l,
                                   &err),
                     GM_EIO);
    assert_null(l);
    assert_string_equal(err.where, "/nonexistent-gm-dir/x.csv");
    assert_non_null(strstr(err.what, "No such file or directory"));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    gm_evlog *l = NULL;
    gm_err err;
    const char *path = tmp("bad.csv");
    gm_evlog_clock ok = {0, 0, 1.0};
    const gm_evlog_clock bad_clk[] = {
        {0, 0, 0.0}, {0, 0, -1.0}, {0, 0, (double)NAN}, {0, 0, (double)INFINITY}, {0, 1440, 1.0}, {0, -1440, 1.0},
    };
    for (size_t i = 0; i < sizeof bad_clk / sizeof bad_clk[0]; i++) {
        assert_int_equal(gm_evlog_open(path, GM_EVLOG_CSV, &bad_clk[i], NULL, &l, &err),
                         GM_EINVAL);
        assert_null(l);
        assert_string_equal(err.where, path);
    }
    assert_int_equal(gm_evlog_open(path, (gm_evlog_format)7, &ok, NULL, &l, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_open(NULL, GM_EVLOG_CSV, &ok, NULL, &l, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_CSV, NULL, NULL, &l, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_open(path, GM_EVLOG_CSV, &ok, NULL, NULL, NULL), GM_EINVAL);
    assert_null(l);

    /* Bad activities change nothing: only the good row reaches the file. */
    l = open_ok(path, GM_EVLOG_CSV, &ok, NULL);
    assert_int_equal(gm_evlog_activity(l, 1, NULL, "r", 0, 1, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", (double)NAN, 1, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 0, (double)INFINITY, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", -1, 1, NULL), GM_EINVAL);
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 2, 1, &err), GM_EINVAL);
    assert_non_null(strstr(err.what, "case 1 activity 'a'"));
    /* 1e11 s after 1970 is past 2262. */
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 0, 1e11, &err), GM_ERANGE);
    assert_non_null(strstr(err.what, GM_TIME_MAX_TEXT));
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 1e300, 1e300, NULL), GM_ERANGE);
    act_ok(l, 1, "a", "r", 0, 1);
    close_ok(l);
    char *got = slurp(path);
    assert_string_equal(got, "case_id,activity,resource,start,end\n"
                             "1,a,r,1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.000Z\n");
    free(got);

    /* Near the end of the int64 range, a few seconds more do not fit. */
    gm_evlog_clock late = {instant("2262-04-11T23:47:15Z"), 0, 1.0};
    l = open_ok(path, GM_EVLOG_XES, &late, NULL);
    act_ok(l, 1, "a", "r", 0, 1);
    assert_int_equal(gm_evlog_activity(l, 1, "a", "r", 0, 2, NULL), GM_ERANGE);
    close_ok(l);

    assert_int_equal(gm_evlog_activity(NULL, 1, "a", "r", 0, 1, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_case_end(NULL, 1, NULL), GM_EINVAL);
    assert_int_equal(gm_evlog_close(NULL, NULL), GM_EINVAL);
    gm_evlog_abort(NULL);
    gm_evlog_set_limits(NULL, 1, 1, 1);
}

static void test_limits(void **state)
{
    (void)state;
    gm_evlog_clock clk = {0, 0, 1.0};
    gm_err err;

    /* The default per-case bound, for real (written to /dev/null). */
    gm_evlog *l = open_ok("/dev/null", GM_EVLOG_XES, &clk, NULL);
    for (size_t i = 0; i < GM_EVLOG_MAX_CASE_EVENTS; i++)
        act_ok(l, 1, "step", "clerk", (double)i, (double)i + 1);
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 1, "step", "clerk", 0, 1, &err), GM_ELIMIT);
    assert_string_equal(err.where, "/dev/null");
    assert_non_null(strstr(err.what, "case 1 has more than 100000 activities"));
    assert_non_null(strstr(err.what, ".csv"));
    act_ok(l, 2, "step", "clerk", 0, 1); /* other cases go on */
    assert_int_equal(gm_evlog_case_end(l, 1, NULL), 0);
    act_ok(l, 1, "step", "clerk", 0, 1); /* ended: a new trace may begin */
    close_ok(l);

    /* Distinct names: interned up to the bound, known names still pass. */
    l = open_ok("/dev/null", GM_EVLOG_XES, &clk, NULL);
    char name[32];
    for (unsigned i = 0; i < GM_EVLOG_MAX_NAMES; i++) {
        snprintf(name, sizeof name, "n%u", i);
        act_ok(l, i / 1000, name, NULL, 0, 1);
    }
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 5, "one too many", NULL, 0, 1, &err), GM_ELIMIT);
    assert_non_null(strstr(err.what, "distinct activity and resource names"));
    act_ok(l, 5, "n7", NULL, 0, 1);
    close_ok(l);

    /* Lowered bounds; then check what reached the file. */
    const char *path = tmp("limits.xes");
    l = open_ok(path, GM_EVLOG_XES, &clk, NULL);
    gm_evlog_set_limits(l, 2, 3, 5);
    act_ok(l, 1, "a", NULL, 0, 1);
    act_ok(l, 2, "a", NULL, 0, 1);
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 3, "a", NULL, 0, 1, &err), GM_ELIMIT);
    assert_non_null(strstr(err.what, "more than 2 cases in progress"));
    act_ok(l, 1, "a", NULL, 1, 2);
    act_ok(l, 1, "a", NULL, 2, 3);
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 1, "a", NULL, 3, 4, &err), GM_ELIMIT);
    assert_non_null(strstr(err.what, "case 1 has more than 3 activities"));
    act_ok(l, 2, "a", NULL, 1, 2); /* 5 buffered */
    gm_err_clear(&err);
    assert_int_equal(gm_evlog_activity(l, 2, "a", NULL, 2, 3, &err), GM_ELIMIT);
    assert_non_null(strstr(err.what, "more than 5 activities of unfinished cases"));
    assert_int_equal(gm_evlog_case_end(l, 1, NULL), 0); /* frees 3 */
    act_ok(l, 3, "a", NULL, 0, 1);
    act_ok(l, 2, "a", NULL, 2, 3);
    close_ok(l);

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_int_equal(count_children(root, "trace"), 3);
    const char *ids[] = {"1", "2", "3"};
    const size_t nev[] = {6, 6, 2};
    xmlNode *kid[16];
    assert_int_equal(elements(root, kid, 16), 12);
    for (size_t k = 0; k < 3; k++) {
        assert_true(named(kid[9 + k], "trace"));
        assert_child(kid[9 + k], "string", "concept:name", ids[k]);
        assert_int_equal(count_children(kid[9 + k], "event"), nev[k]);
    }
    xmlFreeDoc(doc);
}

/* Open cases are written at close by increasing id, whatever the map's
   (randomly keyed) order; ended cases in the order they ended. */
static void test_xes_order(void **state)
{
    (void)state;
    gm_evlog_clock clk = {0, 0, 1.0};
    const char *path = tmp("order.xes");
    gm_evlog *l = open_ok(path, GM_EVLOG_XES, &clk, NULL);
    enum { N = 200 };
    uint64_t id = 12345;
    for (int i = 0; i < N; i++) {
        id = id * 6364136223846793005u + 1442695040888963407u; /* scattered ids */
        act_ok(l, id >> 1, "a", NULL, 0, 1);
    }
    assert_int_equal(gm_evlog_case_end(l, UINT64_MAX, NULL), 0); /* unknown: no-op */
    act_ok(l, UINT64_MAX, "a", NULL, 0, 1);
    act_ok(l, 0, "a", NULL, 0, 1);
    assert_int_equal(gm_evlog_case_end(l, UINT64_MAX, NULL), 0); /* written first */
    close_ok(l);

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *kid[9 + N + 2];
    assert_int_equal(elements(root, kid, 9 + N + 2), 9 + N + 2);
    uint64_t prev = 0;
    for (size_t k = 0; k < N + 2; k++) {
        assert_true(named(kid[9 + k], "trace"));
        char *v = child_value(kid[9 + k], "string", "concept:name");
        assert_non_null(v);
        uint64_t cur = strtoull(v, NULL, 10);
        xmlFree(v);
        if (k == 0)
            assert_true(cur == UINT64_MAX);
        else if (k == 1)
            assert_true(cur == 0);
        else
            assert_true(cur > prev);
        prev = cur;
    }
    xmlFreeDoc(doc);
}

static void test_abort(void **state)
{
    (void)state;
    gm_evlog_clock clk = {0, 0, 1.0};
    gm_evlog *l = open_ok(tmp("abort.xes"), GM_EVLOG_XES, &clk, "p");
    for (uint64_t c = 0; c < 50; c++)
        for (int i = 0; i < 3; i++)
            act_ok(l, c, i ? "b" : "a", "r", i, i + 1);
    assert_int_equal(gm_evlog_case_end(l, 4, NULL), 0);
    gm_evlog_abort(l); /* ASan's leak check proves every buffer is freed */
    char *got = slurp(tmp("abort.xes"));
    assert_non_null(strstr(got, "<trace>")); /* case 4 was written ... */
    assert_null(strstr(got, "</log>"));      /* ... but the log is unfinished */
    free(got);
}

int main(void)
{
    LIBXML_TEST_VERSION
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_of),   cmocka_unit_test(test_csv_golden),
        cmocka_unit_test(test_xes_golden),  cmocka_unit_test(test_xes_cases),
        cmocka_unit_test(test_xes_text),    cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_xes_order),   cmocka_unit_test(test_abort),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    xmlCleanupParser();
    return gm_test_result(rc);
}
