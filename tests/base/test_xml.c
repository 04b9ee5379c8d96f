#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xml.h"

/* Load a document that must load. */
static gm_xml *load(const char *doc, const gm_xml_limits *lim)
{
    gm_xml *x = NULL;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_xml_load_mem(doc, strlen(doc), "t.xml", lim, &x, &err);
    if (rc) {
        char buf[1200];
        print_error("unexpected: %s\n", gm_err_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    assert_non_null(x);
    return x;
}

/* A load that must fail with code and exactly the one-line message msg. */
static void load_fails(const char *doc, size_t len, const gm_xml_limits *lim, int code,
                       const char *msg)
{
    gm_xml *x = (gm_xml *)1;
    gm_err err;
    gm_err_clear(&err);
    int rc = gm_xml_load_mem(doc, len, "t.xml", lim, &x, &err);
    char buf[1200];
    gm_err_format(&err, buf, sizeof buf);
    if (rc != code || strcmp(buf, msg) != 0)
        print_error("got %d '%s'\nwant %d '%s'\n", rc, buf, code, msg);
    assert_int_equal(rc, code);
    assert_null(x);
    assert_string_equal(buf, msg);
}

static void expect_msg(const gm_err *err, const char *msg)
{
    char buf[1200];
    assert_string_equal(gm_err_format(err, buf, sizeof buf), msg);
}

#define NS_A "urn:a"
#define NS_B "urn:b"

static const char nav_doc[] =
    "<?xml version=\"1.0\"?>\n"                                   /* 1 */
    "<a:root xmlns:a=\"urn:a\" xmlns=\"urn:b\">\n"               /* 2 */
    "  <a:x id=\"1\"/><!-- c --><y id=\"2\">text</y>\n"           /* 3 */
    "  <x id=\"3\"><a:x id=\"4\"/></x>\n"                         /* 4 */
    "  <q:x xmlns:q=\"urn:a\" id=\"5\"/>\n"                       /* 5 */
    "  <plain xmlns=\"\" id=\"6\"/>\n"                            /* 6 */
    "</a:root>\n";

static const char *id_of(const gm_xml_node *n)
{
    const char *v = NULL;
    assert_int_equal(gm_xml_attr(n, "id", &v, NULL), 0);
    return v;
}

static void test_navigation(void **state)
{
    (void)state;
    gm_xml *x = load(nav_doc, NULL);
    const gm_xml_node *r = gm_xml_root(x);
    assert_string_equal(gm_xml_doc_name(x), "t.xml");
    assert_string_equal(gm_xml_local(r), "root");
    assert_string_equal(gm_xml_ns(r), NS_A);
    assert_int_equal(gm_xml_line(r), 2);
    assert_true(gm_xml_is(r, NS_A, "root"));
    assert_true(gm_xml_is(r, NULL, "root"));
    assert_true(gm_xml_is(r, NS_A, NULL));
    assert_false(gm_xml_is(r, NS_B, "root"));
    assert_false(gm_xml_is(r, NS_A, "x"));

    /* <x> in urn:a, whatever the prefix: ids 1 and 5 (4 is a grandchild). */
    const gm_xml_node *c = gm_xml_first(r, NS_A, "x");
    assert_string_equal(id_of(c), "1");
    assert_int_equal(gm_xml_line(c), 3);
    c = gm_xml_next(c, NS_A, "x");
    assert_string_equal(id_of(c), "5");
    assert_null(gm_xml_next(c, NS_A, "x"));
    /* Any element of urn:b: y, x. */
    c = gm_xml_first(r, NS_B, NULL);
    assert_string_equal(id_of(c), "2");
    c = gm_xml_next(c, NS_B, NULL);
    assert_string_equal(id_of(c), "3");
    assert_null(gm_xml_next(c, NS_B, NULL));
    /* Any element at all: six children, the un-namespaced one last. */
    size_t k = 0;
    const gm_xml_node *last = NULL;
    for (c = gm_xml_first(r, NULL, NULL); c; c = gm_xml_next(c, NULL, NULL), k++)
        last = c;
    assert_int_equal(k, 5);
    assert_null(gm_xml_ns(last));
    assert_string_equal(gm_xml_local(last), "plain");
    assert_null(gm_xml_first(last, NULL, NULL));

    /* Document order, without recursion. */
    char order[64] = "";
    for (const gm_xml_node *n = r; n; n = gm_xml_walk(r, n)) {
        const char *id = n == r ? "r" : id_of(n);
        strcat(order, id);
    }
    assert_string_equal(order, "r123456");
    /* A walk from a subtree stays in it. */
    const gm_xml_node *x3 = gm_xml_next(gm_xml_first(r, NS_B, NULL), NS_B, NULL);
    order[0] = '\0';
    for (const gm_xml_node *n = x3; n; n = gm_xml_walk(x3, n))
        strcat(order, id_of(n));
    assert_string_equal(order, "34");
    gm_xml_free(x);
}

static const char val_doc[] =
    "<r a=\"x &amp; y &#233;\" e=\"\" s=\"  sp  \" b1=\" true \" b2=\"0\" b3=\"yes\" "  /* 1 */
    "n=\"2.5\" m=\"-1\" i=\"42\" f=\"1.5\" big=\"1e999\" xmlns:o=\"urn:o\" o:k=\"v\">\n" /* 2 */
    "<t>  hello\n world \t</t>\n"                                                 /* 3 */
    "<u> a <!-- c --> b <![CDATA[ <c> ]]> <w>not me</w> </u>\n"                  /* 4 */
    "<v/>\n"                                                                      /* 5 */
    "<mean> 1.5x </mean>\n"                                                       /* 6 */
    "<k>7</k>\n"                                                                  /* 7 */
    "</r>\n";

static void test_values(void **state)
{
    (void)state;
    gm_xml *x = load(val_doc, NULL);
    const gm_xml_node *r = gm_xml_root(x);
    gm_err err;
    const char *s = (const char *)1;
    assert_int_equal(gm_xml_attr(r, "a", &s, &err), 0);
    assert_string_equal(s, "x & y \xc3\xa9");
    assert_int_equal(gm_xml_attr(r, "e", &s, &err), 0);
    assert_string_equal(s, "");
    assert_int_equal(gm_xml_attr(r, "s", &s, &err), 0);
    assert_string_equal(s, "  sp  "); /* attributes are not trimmed */
    assert_int_equal(gm_xml_attr(r, "none", &s, &err), 0);
    assert_null(s);
    /* Only attributes without a namespace. */
    assert_int_equal(gm_xml_attr(r, "k", &s, &err), 0);
    assert_null(s);
    assert_false(gm_xml_has_attr(r, "k"));
    assert_true(gm_xml_has_attr(r, "e"));
    s = "untouched";
    assert_int_equal(gm_xml_attr_req(r, "id", &s, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: <r> needs the attribute id");
    assert_string_equal(s, "untouched");

    bool b = false;
    assert_int_equal(gm_xml_attr_bool(r, "b1", false, &b, &err), 0);
    assert_true(b);
    assert_int_equal(gm_xml_attr_bool(r, "b2", true, &b, &err), 0);
    assert_false(b);
    assert_int_equal(gm_xml_attr_bool(r, "absent", true, &b, &err), 0);
    assert_true(b);
    assert_int_equal(gm_xml_attr_bool(r, "b3", false, &b, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: b3: expected true or false, got 'yes'");

    double d = 0;
    bool given = false;
    assert_int_equal(gm_xml_attr_double(r, "n", 0, 10, &d, NULL, &err), 0);
    assert_true(d == 2.5);
    assert_int_equal(gm_xml_attr_double(r, "m", -HUGE_VAL, HUGE_VAL, &d, &given, &err), 0);
    assert_true(d == -1 && given);
    d = 9;
    assert_int_equal(gm_xml_attr_double(r, "none", 0, 1, &d, &given, &err), 0);
    assert_true(d == 9 && !given);
    assert_int_equal(gm_xml_attr_double(r, "none", 0, 1, &d, NULL, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: <r> needs the attribute none");
    assert_int_equal(gm_xml_attr_double(r, "m", 0, HUGE_VAL, &d, NULL, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: m: expected a number >= 0, got '-1'");
    assert_int_equal(gm_xml_attr_double(r, "n", 0, 1, &d, NULL, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: n: expected a number in [0, 1], got '2.5'");
    assert_int_equal(gm_xml_attr_double(r, "n", -HUGE_VAL, 2, &d, NULL, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: n: expected a number <= 2, got '2.5'");
    assert_int_equal(gm_xml_attr_double(r, "big", -HUGE_VAL, HUGE_VAL, &d, NULL, &err),
                     GM_EINVAL);
    expect_msg(&err, "t.xml:1: big: expected a number, got '1e999'");
    assert_true(d == 9); /* untouched by the failures */

    int64_t i = 0;
    assert_int_equal(gm_xml_attr_int(r, "i", 1, 100, &i, NULL, &err), 0);
    assert_int_equal(i, 42);
    assert_int_equal(gm_xml_attr_int(r, "f", 1, 100, &i, &given, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: f: expected an integer in [1, 100], got '1.5'");
    assert_int_equal(gm_xml_attr_int(r, "i", 1, 10, &i, NULL, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:1: i: expected an integer in [1, 10], got '42'");
    assert_int_equal(i, 42);

    const gm_xml_node *t = gm_xml_first(r, NULL, "t");
    assert_int_equal(gm_xml_text(t, &s, &err), 0);
    assert_string_equal(s, "hello\n world");
    /* Text and CDATA pieces join (a comment between them is not text);
       a child element's text is not n's. */
    assert_int_equal(gm_xml_text(gm_xml_first(r, NULL, "u"), &s, &err), 0);
    assert_string_equal(s, "a  b  <c>");
    assert_int_equal(gm_xml_text(gm_xml_first(r, NULL, "v"), &s, &err), 0);
    assert_string_equal(s, "");
    const gm_xml_node *mean = gm_xml_first(r, NULL, "mean");
    assert_int_equal(gm_xml_text_double(mean, -HUGE_VAL, HUGE_VAL, &d, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:6: <mean>: expected a number, got '1.5x'");
    const gm_xml_node *k = gm_xml_first(r, NULL, "k");
    assert_int_equal(gm_xml_text_double(k, 0, HUGE_VAL, &d, &err), 0);
    assert_true(d == 7);
    assert_int_equal(gm_xml_text_int(k, 0, 5, &i, &err), GM_EINVAL);
    expect_msg(&err, "t.xml:7: <k>: expected an integer in [0, 5], got '7'");
    assert_int_equal(gm_xml_text_int(k, 0, 9, &i, &err), 0);
    assert_int_equal(i, 7);

    assert_int_equal(gm_xml_err(&err, GM_EUNSUPPORTED, k, "no <%s> here", "k"),
                     GM_EUNSUPPORTED);
    expect_msg(&err, "t.xml:7: no <k> here");
    /* A value cut to a width inside a character: the message stays UTF-8. */
    assert_int_equal(gm_xml_err(&err, GM_EINVAL, k, "got '%.7s'", "x & y \xc3\xa9"), GM_EINVAL);
    expect_msg(&err, "t.xml:7: got 'x & y ?'");
    assert_int_equal(gm_xml_nomem(&err, k), GM_ENOMEM);
    expect_msg(&err, "t.xml: out of memory");
    gm_xml_free(x);
}

static void test_bad_documents(void **state)
{
    (void)state;
    const char *bad = "<a>\n<b></a>";
    load_fails(bad, strlen(bad), NULL, GM_EPARSE,
               "t.xml:2: not well-formed XML: Opening and ending tag mismatch: b line 2 and a");
    load_fails("", 0, NULL, GM_EPARSE, "t.xml:1: not well-formed XML: Document is empty");
    /* An encoding error: reported as the one error, and libxml2 writes
       nothing on stderr (the CLI's errors must stay one line). */
    const char *enc = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>\n<a>\x9c\x8f\xc5\x8c</a>";
    char errpath[] = "/tmp/gemel-xml-stderr-XXXXXX";
    int errfd = mkstemp(errpath);
    assert_true(errfd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0 && dup2(errfd, 2) == 2);
    load_fails(enc, strlen(enc), NULL, GM_EPARSE,
               "t.xml: not well-formed XML: input conversion failed due to input error, bytes "
               "0x8F 0xC5 0x8C 0x3C");
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    off_t written = lseek(errfd, 0, SEEK_END);
    close(errfd);
    unlink(errpath);
    assert_int_equal(written, 0);
    load_fails(NULL, 0, NULL, GM_EPARSE, "t.xml:1: not well-formed XML: Document is empty");
    gm_xml *x = NULL;
    gm_err err;
    assert_int_equal(gm_xml_load_file("/nonexistent/t.xml", NULL, &x, &err), GM_ENOENT);
    assert_null(x);
    assert_string_equal(err.where, "/nonexistent/t.xml");

    /* A file loads under its path as name. */
    char path[] = "/tmp/gemel-xml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "<a>\n<b/></a>", 12), 12);
    close(fd);
    assert_int_equal(gm_xml_load_file(path, NULL, &x, &err), 0);
    assert_string_equal(gm_xml_doc_name(x), path);
    const gm_xml_node *b = gm_xml_first(gm_xml_root(x), NULL, "b");
    const char *v;
    assert_int_equal(gm_xml_attr_req(b, "id", &v, &err), GM_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s:2: <b> needs the attribute id", path);
    expect_msg(&err, want);
    gm_xml_free(x);
    gm_xml_limits small = gm_xml_limits_default;
    small.max_bytes = 11;
    assert_int_equal(gm_xml_load_file(path, &small, &x, &err), GM_ELIMIT);
    assert_null(x);
    unlink(path);
}

static void test_limits(void **state)
{
    (void)state;
    gm_xml_limits lim = gm_xml_limits_default;
    const char *doc = "<a>\n<b/>\n<c><d/></c>\n<e/></a>";
    lim.max_bytes = strlen(doc) - 1; /* 28 */
    load_fails(doc, strlen(doc), &lim, GM_ELIMIT, "t.xml: document larger than 28 bytes");
    lim.max_bytes = strlen(doc);
    gm_xml_free(load(doc, &lim));
    /* Five elements: the fifth is one too many. */
    lim.max_elements = 4;
    load_fails(doc, strlen(doc), &lim, GM_ELIMIT, "t.xml:4: more than 4 XML elements");
    lim.max_elements = 5;
    gm_xml_free(load(doc, &lim));
    /* d is at depth 3. */
    lim.max_depth = 2;
    load_fails(doc, strlen(doc), &lim, GM_ELIMIT, "t.xml:3: XML elements nested deeper than 2");
    lim.max_depth = 3;
    gm_xml_free(load(doc, &lim));

    /* The default depth, in any namespace; iteratively, so a document at
       libxml2's own limit still gets our message. */
    size_t depth = GM_XML_MAX_DEPTH + 1, len = depth * 40 + 64;
    char *deep = malloc(len);
    assert_non_null(deep);
    size_t o = 0;
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(deep + o, len - o, "<x:a xmlns:x=\"urn:x\">");
    for (size_t i = 0; i < depth; i++)
        o += (size_t)snprintf(deep + o, len - o, "</x:a>");
    load_fails(deep, o, NULL, GM_ELIMIT, "t.xml:1: XML elements nested deeper than 128");
    free(deep);
}

static void test_dtd_and_entities(void **state)
{
    (void)state;
    const char *dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x \"y\">]>\n<r>&x;</r>";
    load_fails(dtd, strlen(dtd), NULL, GM_EPARSE,
               "t.xml: a document type declaration (DTD) is not allowed");
    const char *ext = "<!DOCTYPE r SYSTEM \"http://example.com/r.dtd\"><r/>";
    load_fails(ext, strlen(ext), NULL, GM_EPARSE,
               "t.xml: a document type declaration (DTD) is not allowed");
    /* Without a DTD an entity cannot even be declared. */
    const char *undeclared = "<r>&x;</r>";
    gm_xml *x = NULL;
    gm_err err;
    assert_int_equal(gm_xml_load_mem(undeclared, strlen(undeclared), "t.xml", NULL, &x, &err),
                     GM_EPARSE);

    /* Allowed, the DTD is never loaded and its entities never substituted:
       reading a value that holds one is an error, reading others is not, and
       the external file's content never appears. */
    gm_xml_limits lim = gm_xml_limits_default;
    lim.allow_dtd = true;
    const char *doc =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\"><!ENTITY y \"why\">"
        "<!ATTLIST r d CDATA \"from-dtd\">]>\n"
        "<r a=\"ok\" b=\"1&y;2\">\n<t>&x;</t>\n<u>a&y;b</u>\n<v>fine</v></r>";
    x = load(doc, &lim);
    const gm_xml_node *r = gm_xml_root(x);
    const char *s;
    assert_int_equal(gm_xml_attr(r, "a", &s, &err), 0);
    assert_string_equal(s, "ok");
    assert_int_equal(gm_xml_attr(r, "d", &s, &err), 0);
    assert_null(s); /* DTD default values are not consulted */
    assert_int_equal(gm_xml_attr(r, "b", &s, &err), GM_EPARSE);
    expect_msg(&err, "t.xml:3: entity references are not allowed (&y;)");
    assert_int_equal(gm_xml_text(gm_xml_first(r, NULL, "t"), &s, &err), GM_EPARSE);
    expect_msg(&err, "t.xml:4: entity references are not allowed (&x;)");
    assert_int_equal(gm_xml_text(gm_xml_first(r, NULL, "u"), &s, &err), GM_EPARSE);
    assert_int_equal(gm_xml_text(gm_xml_first(r, NULL, "v"), &s, &err), 0);
    assert_string_equal(s, "fine");
    gm_xml_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_navigation), cmocka_unit_test(test_values),
        cmocka_unit_test(test_bad_documents), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_dtd_and_entities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
