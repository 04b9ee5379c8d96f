#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "twin/patch.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static json_t *J(const char *text)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str(text, strlen(text), NULL, "test", &e);
    if (!v) {
        char buf[1024];
        fail_msg("cannot load %s: %s", text, gm_err_format(&e, buf, sizeof buf));
    }
    return v;
}

/* Compact dump, member order as stored: stronger than json_equal. */
static char *dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return s;
}

static void assert_json(const json_t *v, const char *text)
{
    json_t *want = J(text);
    if (!json_equal(v, want)) {
        char *got = dump(v);
        fail_msg("got %s, expected %s", got, text);
    }
    json_decref(want);
}

/* Apply patch to doc and expect success with a result equal to expect. */
static void apply_ok(const char *doc, const char *patch, const char *expect)
{
    json_t *d = J(doc), *p = J(patch);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_patch_check(p, &e), GM_OK);
    int rc = gm_patch_apply(&d, p, &e);
    if (rc != GM_OK) {
        char buf[1024];
        fail_msg("%s on %s failed: %s", patch, doc, gm_err_format(&e, buf, sizeof buf));
    }
    json_decref(p);
    assert_json(d, expect);
    json_decref(d);
}

/* Apply patch to doc and expect failure with code and exactly msg, and the
   document unchanged: same pointer, same dump (member order included). */
static void apply_fails(const char *doc, const char *patch, int code, const char *msg)
{
    json_t *d = J(doc), *p = J(patch);
    json_t *before = d;
    char *s0 = dump(d);
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_patch_apply(&d, p, &e);
    char buf[1024];
    gm_err_format(&e, buf, sizeof buf);
    if (rc != code || strcmp(buf, msg) != 0)
        fail_msg("%s on %s: got %d '%s', expected %d '%s'", patch, doc, rc, buf, code, msg);
    assert_int_equal(e.code, code);
    assert_ptr_equal(d, before);
    char *s1 = dump(d);
    assert_string_equal(s1, s0);
    free(s0);
    free(s1);
    json_decref(p);
    json_decref(d);
}

static void check_fails(const char *patch, int code, const char *msg)
{
    json_t *p = J(patch);
    gm_err e;
    gm_err_clear(&e);
    char buf[1024];
    int rc = gm_patch_check(p, &e);
    gm_err_format(&e, buf, sizeof buf);
    if (rc != code || strcmp(buf, msg) != 0)
        fail_msg("check %s: got %d '%s', expected %d '%s'", patch, rc, buf, code, msg);
    /* apply reports the same shape error, and leaves the document alone */
    apply_fails("{\"a\":1}", patch, code, msg);
    json_decref(p);
}

static void get_fails(const char *doc, const char *ptr, int code, const char *msg)
{
    json_t *d = J(doc);
    gm_err e;
    gm_err_clear(&e);
    char buf[1024];
    const json_t *v = gm_pointer_get(d, ptr, &e);
    assert_null(v);
    gm_err_format(&e, buf, sizeof buf);
    if (e.code != code || strcmp(buf, msg) != 0)
        fail_msg("get %s: got %d '%s', expected %d '%s'", ptr, e.code, buf, code, msg);
    json_decref(d);
}

/* ------------------------------------------------------------------------ */
/* RFC 6902 Appendix A                                                       */

static void test_rfc6902_appendix_a(void **state)
{
    (void)state;
    /* A.1 Adding an Object Member */
    apply_ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
             "{\"baz\":\"qux\",\"foo\":\"bar\"}");
    /* A.2 Adding an Array Element */
    apply_ok("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
             "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
    /* A.3 Removing an Object Member */
    apply_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
             "{\"foo\":\"bar\"}");
    /* A.4 Removing an Array Element */
    apply_ok("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
             "{\"foo\":[\"bar\",\"baz\"]}");
    /* A.5 Replacing a Value */
    apply_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}",
             "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
             "{\"baz\":\"boo\",\"foo\":\"bar\"}");
    /* A.6 Moving a Value */
    apply_ok("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
             "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
             "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
    /* A.7 Moving an Array Element */
    apply_ok("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
             "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
             "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
    /* A.8 Testing a Value: Success */
    apply_ok("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
             "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
             "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
             "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
    /* A.9 Testing a Value: Error */
    apply_fails("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
                GM_ECONFLICT, "[0] (test /baz): test failed: found \"qux\", expected \"bar\"");
    /* A.10 Adding a Nested Member Object */
    apply_ok("{\"foo\":\"bar\"}",
             "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
             "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
    /* A.11 Ignoring Unrecognized Elements */
    apply_ok("{\"foo\":\"bar\"}",
             "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
             "{\"foo\":\"bar\",\"baz\":\"qux\"}");
    /* A.12 Adding to a Nonexistent Target */
    apply_fails("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
                GM_EINVAL, "[0] (add /baz/bat): no member 'baz' in object at the root");
    /* A.13 Invalid JSON Patch Document: a repeated "op" never reaches the
       patch code, the strict loader refuses duplicate keys. */
    {
        const char *a13 = "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]";
        gm_err e;
        gm_err_clear(&e);
        json_t *p = gm_json_load_str(a13, strlen(a13), NULL, "patch", &e);
        assert_null(p);
        assert_int_equal(e.code, GM_EPARSE);
    }
    /* A.14 ~ Escape Ordering */
    apply_ok("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
             "{\"/\":9,\"~1\":10}");
    /* A.15 Comparing Strings and Numbers */
    apply_fails("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
                GM_ECONFLICT, "[0] (test /~01): test failed: found 10, expected \"10\"");
    /* A.16 Adding an Array Value */
    apply_ok("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
             "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer                                                              */

static void test_pointer_parse(void **state)
{
    (void)state;
    gm_pointer p;
    gm_err e;
    size_t len;

    assert_int_equal(gm_pointer_parse("", &p, &e), GM_OK);
    assert_int_equal(p.depth, 0);

    assert_int_equal(gm_pointer_parse("/a~1b/~0/~01/", &p, &e), GM_OK);
    assert_int_equal(p.depth, 4);
    assert_string_equal(gm_pointer_token(&p, 0, &len), "a/b");
    assert_int_equal(len, 3);
    assert_string_equal(gm_pointer_token(&p, 1, NULL), "~");
    assert_string_equal(gm_pointer_token(&p, 2, NULL), "~1"); /* not "/": ~0 first, then 1 */
    assert_string_equal(gm_pointer_token(&p, 3, &len), "");
    assert_int_equal(len, 0);

    assert_int_equal(gm_pointer_parse("//", &p, &e), GM_OK);
    assert_int_equal(p.depth, 2);

    assert_int_equal(gm_pointer_parse("a/b", &p, &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid JSON pointer 'a/b': expected \"\" or a string starting with '/'");
    assert_int_equal(gm_pointer_parse("/a~2", &p, &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid JSON pointer '/a~2': '~' at byte 2 must be followed by '0' or '1'");
    assert_int_equal(gm_pointer_parse("/a~", &p, &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid JSON pointer '/a~': '~' at byte 2 must be followed by '0' or '1'");
    assert_int_equal(gm_pointer_parse("/\xff", &p, &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid JSON pointer: invalid UTF-8 at byte 1");
    assert_int_equal(gm_pointer_parsen("/a\0b", 4, &p, &e), GM_EINVAL);
    assert_string_equal(e.what, "invalid JSON pointer: NUL character at byte 2");
    assert_int_equal(gm_pointer_parsen("/\xc3\xa9", 3, &p, &e), GM_OK);
    assert_string_equal(gm_pointer_token(&p, 0, NULL), "\xc3\xa9");
    assert_int_equal(gm_pointer_parse(NULL, &p, &e), GM_EINVAL);
    assert_int_equal(gm_pointer_parse("", NULL, NULL), GM_EINVAL);

    /* depth: 64 tokens fine, 65 refused */
    char deep[200];
    size_t o = 0;
    for (int i = 0; i < 65; i++) {
        deep[o++] = '/';
        deep[o++] = 'a';
    }
    deep[o] = '\0';
    assert_int_equal(gm_pointer_parse(deep, &p, &e), GM_ELIMIT);
    assert_string_equal(e.what, "JSON pointer has more than 64 tokens");
    deep[128] = '\0';
    assert_int_equal(gm_pointer_parse(deep, &p, &e), GM_OK);
    assert_int_equal(p.depth, 64);

    /* length: 4096 bytes fine, 4097 refused */
    char *longp = malloc(GM_POINTER_MAX_LEN + 2);
    assert_non_null(longp);
    longp[0] = '/';
    memset(longp + 1, 'x', GM_POINTER_MAX_LEN);
    longp[GM_POINTER_MAX_LEN + 1] = '\0';
    assert_int_equal(gm_pointer_parse(longp, &p, &e), GM_ELIMIT);
    assert_string_equal(e.what, "JSON pointer longer than 4096 bytes");
    longp[GM_POINTER_MAX_LEN] = '\0';
    assert_int_equal(gm_pointer_parse(longp, &p, NULL), GM_OK);
    assert_int_equal(p.len[0], GM_POINTER_MAX_LEN - 1);
    free(longp);
}

/* RFC 6901 section 5, every example. */
static void test_pointer_rfc6901(void **state)
{
    (void)state;
    json_t *d = J("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                  "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    gm_err e;
    assert_ptr_equal(gm_pointer_get(d, "", &e), d);
    assert_json(gm_pointer_get(d, "/foo", &e), "[\"bar\",\"baz\"]");
    assert_string_equal(json_string_value(gm_pointer_get(d, "/foo/0", &e)), "bar");
    static const struct {
        const char *ptr;
        int val;
    } cases[] = {{"/", 0},      {"/a~1b", 1}, {"/c%d", 2},  {"/e^f", 3},
                 {"/g|h", 4},   {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7}, {"/m~0n", 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const json_t *v = gm_pointer_get(d, cases[i].ptr, &e);
        assert_non_null(v);
        assert_int_equal(json_integer_value(v), cases[i].val);
    }
    json_decref(d);
}

static void test_pointer_errors(void **state)
{
    (void)state;
    const char *doc = "{\"a\":{\"b\":[1,2,3]},\"s\":\"str\"}";
    get_fails(doc, "/x", GM_ENOENT, "/x: no member 'x' in object at the root");
    get_fails(doc, "/a/c", GM_ENOENT, "/a/c: no member 'c' in object at /a");
    get_fails(doc, "/a/b/3", GM_ENOENT, "/a/b/3: index 3 is out of range for array of size 3 at /a/b");
    get_fails(doc, "/a/b/-", GM_ENOENT,
              "/a/b/-: '-' names the position past the end of array at /a/b (size 3); it is "
              "only valid as an add target");
    get_fails(doc, "/a/b/01", GM_EINVAL,
              "/a/b/01: invalid array index '01' for array at /a/b: leading zeros are not allowed");
    get_fails(doc, "/a/b/x", GM_EINVAL,
              "/a/b/x: expected an array index (digits) or '-' for array at /a/b, found 'x'");
    get_fails(doc, "/s/0", GM_EINVAL,
              "/s/0: expected object or array at /s, found string (looking up '0')");
    get_fails(doc, "x", GM_EINVAL, "x: invalid JSON pointer 'x': expected \"\" or a string starting with '/'");

    /* resolve on a parsed pointer, where stays empty */
    json_t *d = J(doc);
    gm_pointer p;
    gm_err e;
    assert_int_equal(gm_pointer_parse("/a/b/2", &p, &e), GM_OK);
    assert_int_equal(json_integer_value(gm_pointer_resolve(d, &p, &e)), 3);
    assert_int_equal(gm_pointer_parse("/a/z", &p, &e), GM_OK);
    assert_null(gm_pointer_resolve(d, &p, &e));
    assert_int_equal(e.code, GM_ENOENT);
    assert_string_equal(e.where, "");
    assert_null(gm_pointer_resolve(NULL, &p, NULL));
    assert_null(gm_pointer_get(d, "/nope", NULL));
    json_decref(d);
}

/* ------------------------------------------------------------------------ */
/* Patch shape                                                               */

static void test_check_messages(void **state)
{
    (void)state;
    gm_err e;
    assert_int_equal(gm_patch_check(NULL, &e), GM_EINVAL);
    assert_string_equal(e.what, "expected array of operations, found nothing");
    check_fails("{}", GM_EINVAL, "expected array of operations, found object");
    check_fails("[1]", GM_EINVAL, "[0]: expected object, found integer");
    check_fails("[{\"path\":\"/a\"}]", GM_EINVAL, "[0].op: missing required member");
    check_fails("[{\"op\":7,\"path\":\"/a\"}]", GM_EINVAL, "[0].op: expected string, found integer");
    check_fails("[{\"op\":\"test\",\"path\":\"/a\",\"value\":1},{\"op\":\"add\",\"path\":\"/b\","
                "\"value\":1},{\"op\":\"delete\",\"path\":\"/a\"}]",
                GM_EINVAL,
                "[2].op: expected one of add, remove, replace, move, copy, test, found 'delete'");
    check_fails("[{\"op\":\"ADD\",\"path\":\"/a\",\"value\":1}]", GM_EINVAL,
                "[0].op: expected one of add, remove, replace, move, copy, test, found 'ADD'");
    check_fails("[{\"op\":\"remove\"}]", GM_EINVAL, "[0].path: missing required member");
    check_fails("[{\"op\":\"remove\",\"path\":null}]", GM_EINVAL,
                "[0].path: expected string, found null");
    check_fails("[{\"op\":\"remove\",\"path\":\"a\"}]", GM_EINVAL,
                "[0].path: invalid JSON pointer 'a': expected \"\" or a string starting with '/'");
    check_fails("[{\"op\":\"remove\",\"path\":\"/~x\"}]", GM_EINVAL,
                "[0].path: invalid JSON pointer '/~x': '~' at byte 1 must be followed by '0' or '1'");
    check_fails("[{\"op\":\"add\",\"path\":\"/a\"}]", GM_EINVAL,
                "[0].value: missing required member for op 'add'");
    check_fails("[{\"op\":\"replace\",\"path\":\"/a\"}]", GM_EINVAL,
                "[0].value: missing required member for op 'replace'");
    check_fails("[{\"op\":\"test\",\"path\":\"/a\"}]", GM_EINVAL,
                "[0].value: missing required member for op 'test'");
    check_fails("[{\"op\":\"move\",\"path\":\"/a\"}]", GM_EINVAL, "[0].from: missing required member");
    check_fails("[{\"op\":\"copy\",\"path\":\"/a\",\"from\":[]}]", GM_EINVAL,
                "[0].from: expected string, found array");
    check_fails("[{\"op\":\"copy\",\"path\":\"/a\",\"from\":\"b\"}]", GM_EINVAL,
                "[0].from: invalid JSON pointer 'b': expected \"\" or a string starting with '/'");
    check_fails("[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", GM_EINVAL,
                "[0].from: cannot move '/a' into its own child '/a/b'");
    check_fails("[{\"op\":\"move\",\"from\":\"\",\"path\":\"/a\"}]", GM_EINVAL,
                "[0].from: cannot move '' into its own child '/a'");

    /* null is a value; unknown members are ignored; copy into a child is fine */
    json_t *ok = J("[{\"op\":\"add\",\"path\":\"/a\",\"value\":null,\"extra\":{}},"
                   "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/b\"},"
                   "{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a\"},"
                   "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]");
    assert_int_equal(gm_patch_check(ok, &e), GM_OK);
    assert_int_equal(gm_patch_check(ok, NULL), GM_OK);
    json_decref(ok);
    json_t *empty = J("[]");
    assert_int_equal(gm_patch_check(empty, NULL), GM_OK);
    json_decref(empty);
}

static json_t *many_tests(size_t n)
{
    json_t *p = json_array();
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(json_array_append_new(p, J("{\"op\":\"test\",\"path\":\"/a\",\"value\":1}")), 0);
    return p;
}

static void test_limits(void **state)
{
    (void)state;
    gm_err e;
    json_t *d = J("{\"a\":1}");
    json_t *p = many_tests(GM_PATCH_MAX_OPS);
    assert_int_equal(gm_patch_check(p, &e), GM_OK);
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_OK);
    assert_int_equal(json_array_append_new(p, J("{\"op\":\"test\",\"path\":\"/a\",\"value\":1}")), 0);
    assert_int_equal(gm_patch_check(p, &e), GM_ELIMIT);
    char buf[512];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "patch has 10001 operations, at most 10000 allowed");
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_ELIMIT);
    json_decref(p);

    /* a 65-token pointer in a patch */
    char deep[200];
    size_t o = 0;
    for (int i = 0; i < 65; i++) {
        deep[o++] = '/';
        deep[o++] = 'a';
    }
    deep[o] = '\0';
    p = json_pack("[{s:s,s:s}]", "op", "remove", "path", deep);
    assert_non_null(p);
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_ELIMIT);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "[0].path: JSON pointer has more than 64 tokens");
    json_decref(p);
    /* 64 tokens is a legal pointer: it fails only because /a is not there */
    deep[128] = '\0';
    p = json_pack("[{s:s,s:s}]", "op", "remove", "path", deep);
    assert_int_equal(gm_patch_check(p, &e), GM_OK);
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_EINVAL);
    assert_string_equal(e.what, "expected object or array at /a, found integer (looking up 'a')");
    json_decref(p);

    /* a 4097-byte pointer */
    char *longp = malloc(GM_POINTER_MAX_LEN + 2);
    assert_non_null(longp);
    longp[0] = '/';
    memset(longp + 1, 'x', GM_POINTER_MAX_LEN);
    longp[GM_POINTER_MAX_LEN + 1] = '\0';
    p = json_pack("[{s:s,s:s,s:i}]", "op", "add", "path", longp, "value", 1);
    assert_int_equal(gm_patch_check(p, &e), GM_ELIMIT);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "[0].path: JSON pointer longer than 4096 bytes");
    json_decref(p);
    /* 4096 bytes works, and the message about it stays short and one line */
    longp[GM_POINTER_MAX_LEN] = '\0';
    p = json_pack("[{s:s,s:s,s:i},{s:s,s:s,s:i}]", "op", "add", "path", longp, "value", 1, "op",
                  "test", "path", longp, "value", 2);
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_ECONFLICT);
    assert_true(strlen(e.where) < 160);
    assert_non_null(strstr(e.where, "xxx..."));
    assert_int_equal(strncmp(e.where, "[1] (test /xxx", 14), 0);
    assert_string_equal(e.what, "test failed: found 1, expected 2");
    assert_json(d, "{\"a\":1}");
    json_decref(p);
    free(longp);
    json_decref(d);
}

static json_t *nested(int levels)
{
    json_t *v = json_integer(7);
    for (int i = 0; i < levels; i++)
        v = i % 2 ? json_pack("[o]", v) : json_pack("{s:o}", "k", v);
    assert_non_null(v);
    return v;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:o}", "v", nested(100));
    json_t *p = json_pack("[{s:s,s:s,s:o}]", "op", "test", "path", "/v", "value", nested(100));
    gm_err e;
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_OK);
    json_decref(p);
    json_decref(d);

    d = json_pack("{s:o}", "v", nested(GM_PATCH_MAX_NEST + 10));
    p = json_pack("[{s:s,s:s,s:o}]", "op", "test", "path", "/v", "value",
                  nested(GM_PATCH_MAX_NEST + 10));
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_ELIMIT);
    char buf[512];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "[0] (test /v): values nested deeper than 2048 levels");
    json_decref(p);
    json_decref(d);
}

/* {"k":{"k":...7}} with levels objects. */
static json_t *chain(int levels)
{
    json_t *v = json_integer(7);
    for (int i = 0; i < levels; i++)
        v = json_pack("{s:o}", "k", v);
    assert_non_null(v);
    return v;
}

/* Apply p to d expecting failure with code, where and what, d unchanged. */
static void expect_fail(json_t *d, json_t *p, int code, const char *where, const char *what)
{
    json_t *saved = json_deep_copy(d), *root = d;
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_patch_apply(&d, p, &e), code);
    assert_string_equal(e.where, where);
    assert_string_equal(e.what, what);
    assert_ptr_equal(d, root);
    assert_true(json_equal(d, saved));
    json_decref(saved);
}

static void test_growth_limits(void **state)
{
    (void)state;
    /* add: the value's nesting plus the path's tokens */
    json_t *d = J("{\"w\":{\"x\":{}}}");
    json_t *p = json_pack("[{s:s,s:s,s:o}]", "op", "add", "path", "/w/x/v", "value",
                          chain(GM_PATCH_MAX_NEST - 3));
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    json_decref(p);
    p = json_pack("[{s:s,s:s,s:i},{s:s,s:s,s:o}]", "op", "add", "path", "/n", "value", 1, "op",
                  "replace", "path", "/w/x/v", "value", chain(GM_PATCH_MAX_NEST - 2));
    expect_fail(d, p, GM_ELIMIT, "[1] (replace /w/x/v)",
                "the document would be nested deeper than 2048 levels");
    json_decref(p);

    /* move: deeper is checked, up is free */
    p = J("[{\"op\":\"add\",\"path\":\"/w/x/y\",\"value\":{}},"
          "{\"op\":\"move\",\"from\":\"/w/x/v\",\"path\":\"/w/x/y/v\"}]");
    expect_fail(d, p, GM_ELIMIT, "[1] (move from /w/x/v to /w/x/y/v)",
                "the document would be nested deeper than 2048 levels");
    json_decref(p);
    p = J("[{\"op\":\"move\",\"from\":\"/w/x/v\",\"path\":\"/v\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    json_decref(p);
    json_decref(d);

    /* copy into a deep chain: the second copy would pass the limit */
    d = chain(2000);
    char path[256] = "";
    for (int i = 0; i < 39; i++)
        strcat(path, "/k");
    strcat(path, "/x");
    p = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "op", "copy", "from", "", "path", path, "op",
                  "copy", "from", "", "path", path);
    char where[300];
    snprintf(where, sizeof where, "[1] (copy from \"\" to %s)", path);
    expect_fail(d, p, GM_ELIMIT, where, "the document would be nested deeper than 2048 levels");
    json_decref(p);
    json_decref(d);

    /* copies that double the document: a short patch, a bounded cost */
    d = json_pack("{s:[]}", "a");
    for (int i = 0; i < 998; i++)
        json_array_append_new(json_object_get(d, "a"), json_integer(i));
    p = json_array();
    for (int i = 0; i < 40; i++) {
        char to[16];
        snprintf(to, sizeof to, "/c%d", i);
        json_array_append_new(p, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "", "path", to));
    }
    /* copy k copies 1000 * 2^k values: 0..8 use 511000, 9 needs 512000 more */
    expect_fail(d, p, GM_ELIMIT, "[9] (copy from \"\" to /c9)",
                "the copies in this patch would create more than 1000000 values");
    assert_int_equal(json_object_size(d), 1);
    json_decref(p);
    json_decref(d);
}

/* Long non-ASCII names are cut on a character boundary in messages. */
static void test_messages_utf8(void **state)
{
    (void)state;
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (int c = 0; c < 3; c++) {
        size_t w = strlen(chars[c]);
        char name[256] = "", ptr[300], want_key[128] = "", want[512];
        for (int i = 0; i < 60; i++) /* 120 to 240 bytes */
            strcat(name, chars[c]);
        /* QUOTE_MAX is 64 bytes: as many whole characters as fit */
        for (size_t i = 0; i + w <= 64; i += w)
            strcat(want_key, chars[c]);
        snprintf(ptr, sizeof ptr, "/%s", name);
        snprintf(want, sizeof want, "no member '%s...' in object at the root", want_key);
        json_t *d = J("{}");
        gm_err e;
        assert_null(gm_pointer_get(d, ptr, &e));
        assert_string_equal(e.what, want);
        /* the location (the pointer) is cut at 100 bytes, also on a boundary */
        size_t wl = strlen(e.where);
        assert_int_equal(strcmp(e.where + wl - 3, "..."), 0);
        assert_true(wl - 3 <= 100 && wl - 3 > 100 - w);
        assert_int_equal((wl - 4) % w, 0);
        json_decref(d);

        /* in a patch: the pointer prefix in the message is cut at 120 bytes */
        char patch[1024];
        snprintf(patch, sizeof patch,
                 "[{\"op\":\"add\",\"path\":\"/%s\",\"value\":{}},"
                 "{\"op\":\"remove\",\"path\":\"/%s/%s/x\"}]", name, name, name);
        char at[256] = "/";
        while (strlen(at) + w <= 120)
            strcat(at, chars[c]);
        snprintf(want, sizeof want, "no member '%s...' in object at %s...", want_key, at);
        json_t *p = J(patch);
        d = J("{}");
        assert_int_equal(gm_patch_apply(&d, p, &e), GM_EINVAL);
        assert_string_equal(e.what, want);
        json_decref(p);
        json_decref(d);
    }
}

/* ------------------------------------------------------------------------ */
/* Semantics                                                                 */

static void test_dash_append(void **state)
{
    (void)state;
    apply_ok("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]", "{\"a\":[1,2]}");
    apply_ok("{\"a\":[]}",
             "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":1},{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]",
             "{\"a\":[1,2]}");
    apply_ok("[]", "[{\"op\":\"add\",\"path\":\"/-\",\"value\":{}}]", "[{}]");
    apply_ok("{\"a\":[1],\"b\":3}", "[{\"op\":\"move\",\"from\":\"/b\",\"path\":\"/a/-\"}]",
             "{\"a\":[1,3]}");
    apply_ok("{\"a\":[1],\"b\":3}", "[{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/a/-\"}]",
             "{\"a\":[1,3],\"b\":3}");
    /* "-" in an object is an ordinary key */
    apply_ok("{\"-\":1}", "[{\"op\":\"replace\",\"path\":\"/-\",\"value\":2}]", "{\"-\":2}");
    apply_ok("{}", "[{\"op\":\"add\",\"path\":\"/-\",\"value\":2}]", "{\"-\":2}");
    apply_fails("{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", GM_EINVAL,
                "[0] (remove /a/-): '-' names the position past the end of array at /a (size 1); "
                "it is only valid as an add target");
    apply_fails("{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":0}]", GM_EINVAL,
                "[0] (replace /a/-): '-' names the position past the end of array at /a (size 1); "
                "it is only valid as an add target");
    apply_fails("{\"a\":[1]}", "[{\"op\":\"test\",\"path\":\"/a/-\",\"value\":1}]", GM_EINVAL,
                "[0] (test /a/-): '-' names the position past the end of array at /a (size 1); "
                "it is only valid as an add target");
    apply_fails("{\"a\":[1]}", "[{\"op\":\"copy\",\"from\":\"/a/-\",\"path\":\"/b\"}]", GM_EINVAL,
                "[0] (copy from /a/- to /b): '-' names the position past the end of array at /a "
                "(size 1); it is only valid as an add target");
    apply_fails("{\"a\":[[1]]}", "[{\"op\":\"add\",\"path\":\"/a/-/0\",\"value\":1}]", GM_EINVAL,
                "[0] (add /a/-/0): '-' names the position past the end of array at /a (size 1); "
                "it is only valid as an add target");
}

static void test_array_bounds(void **state)
{
    (void)state;
    const char *doc = "{\"a\":[10,20]}";
    apply_ok(doc, "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":5}]", "{\"a\":[5,10,20]}");
    apply_ok(doc, "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":30}]", "{\"a\":[10,20,30]}");
    apply_ok(doc, "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", "{\"a\":[10]}");
    apply_ok(doc, "[{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":1}]", "{\"a\":[1,20]}");
    apply_fails(doc, "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":30}]", GM_EINVAL,
                "[0] (add /a/3): index 3 is out of range for array of size 2 at /a (add accepts "
                "0 to 2, or '-')");
    apply_fails(doc, "[{\"op\":\"remove\",\"path\":\"/a/2\"}]", GM_EINVAL,
                "[0] (remove /a/2): index 2 is out of range for array of size 2 at /a");
    apply_fails(doc, "[{\"op\":\"replace\",\"path\":\"/a/2\",\"value\":1}]", GM_EINVAL,
                "[0] (replace /a/2): index 2 is out of range for array of size 2 at /a");
    apply_fails("[]", "[{\"op\":\"remove\",\"path\":\"/0\"}]", GM_EINVAL,
                "[0] (remove /0): index 0 is out of range for array of size 0 at the root");
    apply_fails(doc, "[{\"op\":\"remove\",\"path\":\"/a/01\"}]", GM_EINVAL,
                "[0] (remove /a/01): invalid array index '01' for array at /a: leading zeros are "
                "not allowed");
    apply_fails(doc, "[{\"op\":\"add\",\"path\":\"/a/00\",\"value\":1}]", GM_EINVAL,
                "[0] (add /a/00): invalid array index '00' for array at /a: leading zeros are not "
                "allowed");
    static const char *const bad[] = {"+1", "-1", "1e0", " 1", "1 ", "0x1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char patch[128], msg[256];
        snprintf(patch, sizeof patch, "[{\"op\":\"remove\",\"path\":\"/a/%s\"}]", bad[i]);
        snprintf(msg, sizeof msg,
                 "[0] (remove /a/%s): expected an array index (digits) or '-' for array at /a, "
                 "found '%s'",
                 bad[i], bad[i]);
        apply_fails(doc, patch, GM_EINVAL, msg);
    }
    apply_fails(doc, "[{\"op\":\"remove\",\"path\":\"/a/99999999999999999999999\"}]", GM_EINVAL,
                "[0] (remove /a/99999999999999999999999): index 99999999999999999999999 is out "
                "of range for array of size 2 at /a");
    apply_fails(doc, "[{\"op\":\"add\",\"path\":\"/a/18446744073709551616\",\"value\":1}]",
                GM_EINVAL,
                "[0] (add /a/18446744073709551616): index 18446744073709551616 is out of range "
                "for array of size 2 at /a (add accepts 0 to 2, or '-')");
    /* "0" itself is fine, and so are plain keys that look like indexes on objects */
    apply_ok("{\"01\":1,\"0\":2}",
             "[{\"op\":\"remove\",\"path\":\"/01\"},{\"op\":\"replace\",\"path\":\"/0\",\"value\":3}]",
             "{\"0\":3}");
}

static void test_move(void **state)
{
    (void)state;
    const char *doc = "{\"a\":{\"b\":{\"c\":1}},\"l\":[1,2,3]}";
    apply_fails(doc, "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/x\"}]", GM_EINVAL,
                "[0].from: cannot move '/a' into its own child '/a/b/x'");
    apply_fails(doc,
                "[{\"op\":\"add\",\"path\":\"/n\",\"value\":1},"
                "{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a/b/c/d\"}]",
                GM_EINVAL, "[1].from: cannot move '/a/b' into its own child '/a/b/c/d'");
    /* a sibling whose name starts the same is not a child */
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]",
             "{\"ab\":{\"b\":{\"c\":1}},\"l\":[1,2,3]}");
    /* to itself: nothing changes, but it must exist */
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a/b\"}]", doc);
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"\",\"path\":\"\"}]", doc);
    apply_fails(doc, "[{\"op\":\"move\",\"from\":\"/q\",\"path\":\"/q\"}]", GM_EINVAL,
                "[0] (move from /q to /q): no member 'q' in object at the root");
    /* up: a child replaces its parent */
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a\"}]",
             "{\"a\":{\"c\":1},\"l\":[1,2,3]}");
    /* within an array, both directions */
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"/l/0\",\"path\":\"/l/2\"}]",
             "{\"a\":{\"b\":{\"c\":1}},\"l\":[2,3,1]}");
    apply_ok(doc, "[{\"op\":\"move\",\"from\":\"/l/2\",\"path\":\"/l/0\"}]",
             "{\"a\":{\"b\":{\"c\":1}},\"l\":[3,1,2]}");
    /* the target index is checked after the removal: size 2 then */
    apply_fails(doc, "[{\"op\":\"move\",\"from\":\"/l/0\",\"path\":\"/l/3\"}]", GM_EINVAL,
                "[0] (move from /l/0 to /l/3): index 3 is out of range for array of size 2 at /l "
                "(add accepts 0 to 2, or '-')");
    /* the moved value keeps its identity */
    json_t *d = J(doc);
    json_t *b = json_object_get(json_object_get(d, "a"), "b");
    json_t *p = J("[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/z\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    assert_ptr_equal(json_object_get(d, "z"), b);
    assert_int_equal(b->refcount, 1);
    json_decref(p);
    json_decref(d);
}

static void test_copy_no_alias(void **state)
{
    (void)state;
    apply_ok("{\"a\":{\"x\":[1]}}",
             "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"},"
             "{\"op\":\"add\",\"path\":\"/b/y\",\"value\":2},"
             "{\"op\":\"add\",\"path\":\"/b/x/-\",\"value\":3}]",
             "{\"a\":{\"x\":[1]},\"b\":{\"x\":[1,3],\"y\":2}}");
    /* copy into its own child is allowed: the copy is taken first */
    apply_ok("{\"a\":{\"x\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/self\"}]",
             "{\"a\":{\"x\":1,\"self\":{\"x\":1}}}");

    /* values from the patch are copies: change the patch, free it, doc stays */
    json_t *d = J("{}");
    json_t *p = J("[{\"op\":\"add\",\"path\":\"/v\",\"value\":{\"k\":[1,2]}},"
                  "{\"op\":\"add\",\"path\":\"/w\",\"value\":5}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    json_t *pv = json_object_get(json_array_get(p, 0), "value");
    assert_ptr_not_equal(json_object_get(d, "v"), pv);
    json_array_append_new(json_object_get(pv, "k"), json_integer(3));
    json_integer_set(json_object_get(json_array_get(p, 1), "value"), 6);
    json_decref(p);
    assert_json(d, "{\"v\":{\"k\":[1,2]},\"w\":5}");
    assert_int_equal(json_object_get(d, "v")->refcount, 1);
    json_decref(d);

    /* a copied value is a new tree */
    d = J("{\"a\":{\"x\":1}}");
    p = J("[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    assert_ptr_not_equal(json_object_get(d, "a"), json_object_get(d, "b"));
    json_decref(p);
    json_decref(d);
}

static void test_root(void **state)
{
    (void)state;
    apply_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1,2]}]", "[1,2]");
    apply_ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":5}]", "5");
    apply_ok("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":1.0}}]", "{\"a\":1}");
    apply_ok("{\"a\":{\"b\":2}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]", "{\"b\":2}");
    apply_ok("{\"a\":{\"b\":2}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"\"}]", "{\"b\":2}");
    apply_ok("{\"a\":1}",
             "[{\"op\":\"replace\",\"path\":\"\",\"value\":[]},{\"op\":\"add\",\"path\":\"/-\",\"value\":1}]",
             "[1]");
    apply_fails("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", GM_EINVAL,
                "[0] (remove \"\"): cannot remove the root of the document");
    apply_fails("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":2}}]", GM_ECONFLICT,
                "[0] (test \"\"): test failed: found {\"a\":1}, expected {\"a\":2}");
    /* the root replaced, edited, then a failure: the very same root object returns */
    apply_fails("{\"a\":1}",
                "[{\"op\":\"replace\",\"path\":\"\",\"value\":[]},{\"op\":\"add\",\"path\":\"/-\","
                "\"value\":1},{\"op\":\"test\",\"path\":\"/0\",\"value\":2}]",
                GM_ECONFLICT, "[2] (test /0): test failed: found 1, expected 2");
    apply_fails("{\"a\":{\"b\":2}}",
                "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"},{\"op\":\"remove\",\"path\":\"/b\"},"
                "{\"op\":\"remove\",\"path\":\"/b\"}]",
                GM_EINVAL, "[2] (remove /b): no member 'b' in object at the root");

    /* *doc changes on success only, and the old root is released */
    json_t *d = J("{\"a\":{\"b\":2}}");
    json_t *a = json_object_get(d, "a");
    json_incref(a);
    json_t *p = J("[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    assert_ptr_equal(d, a);
    assert_int_equal(a->refcount, 2);
    json_decref(a);
    json_decref(p);
    json_decref(d);

    gm_err e;
    assert_int_equal(gm_patch_apply(NULL, p, &e), GM_EINVAL);
    d = NULL;
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_EINVAL);
}

static void test_numeric_equality(void **state)
{
    (void)state;
    const char *pass[][2] = {
        {"1", "1.0"},
        {"1.0", "1"},
        {"0", "-0.0"},
        {"-3", "-3.0"},
        {"2.5", "2.5"},
        {"9007199254740992", "9007199254740992.0"},
        {"{\"a\":[1,{\"b\":2.0}],\"c\":null}", "{\"c\":null,\"a\":[1.0,{\"b\":2}]}"},
        {"[true,false,null,\"x\"]", "[true,false,null,\"x\"]"},
        {"\"\\u00e9\"", "\"\xc3\xa9\""},
        {"{}", "{}"},
        {"-9223372036854775808", "-9223372036854775808.0"}, /* -2^63 is exact as a real */
    };
    const char *fail[][2] = {
        {"1", "1.5"},
        {"9007199254740993", "9007199254740992.0"},
        {"9223372036854775807", "9223372036854775808.0"},
        {"1", "\"1\""},
        {"1", "true"},
        {"true", "false"},
        {"null", "0"},
        {"[1,2]", "[2,1]"},
        {"[1]", "[1,1]"},
        {"{\"a\":1}", "{\"a\":1,\"b\":1}"},
        {"{\"a\":1}", "{\"b\":1}"},
        {"\"a\"", "\"a \""},
    };
    char doc[256], patch[256];
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        snprintf(doc, sizeof doc, "{\"v\":%s}", pass[i][0]);
        snprintf(patch, sizeof patch, "[{\"op\":\"test\",\"path\":\"/v\",\"value\":%s}]", pass[i][1]);
        apply_ok(doc, patch, doc);
    }
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++) {
        snprintf(doc, sizeof doc, "{\"v\":%s}", fail[i][0]);
        snprintf(patch, sizeof patch, "[{\"op\":\"test\",\"path\":\"/v\",\"value\":%s}]", fail[i][1]);
        json_t *d = J(doc), *p = J(patch);
        int rc = gm_patch_apply(&d, p, NULL);
        if (rc != GM_ECONFLICT)
            fail_msg("%s vs %s: expected a failed test, got %d", fail[i][0], fail[i][1], rc);
        json_decref(p);
        json_decref(d);
    }
    /* a long value is shown shortened, on one line */
    apply_fails("{\"v\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                "[{\"op\":\"test\",\"path\":\"/v\",\"value\":\"\\n\"}]", GM_ECONFLICT,
                "[0] (test /v): test failed: found \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..., expected \"\\n\"");
}

static void test_messages(void **state)
{
    (void)state;
    const char *doc = "{\"properties\":{\"y\":1},\"s\":\"x\",\"a/b\":{}}";
    apply_fails(doc,
                "[{\"op\":\"test\",\"path\":\"/properties/y\",\"value\":1},"
                "{\"op\":\"remove\",\"path\":\"/properties/x\"}]",
                GM_EINVAL, "[1] (remove /properties/x): no member 'x' in object at /properties");
    apply_fails(doc, "[{\"op\":\"replace\",\"path\":\"/properties/x\",\"value\":1}]", GM_EINVAL,
                "[0] (replace /properties/x): no member 'x' in object at /properties");
    apply_fails(doc, "[{\"op\":\"add\",\"path\":\"/s/t\",\"value\":1}]", GM_EINVAL,
                "[0] (add /s/t): expected object or array at /s, found string (adding 't')");
    apply_fails(doc, "[{\"op\":\"remove\",\"path\":\"/s/t\"}]", GM_EINVAL,
                "[0] (remove /s/t): expected object or array at /s, found string (removing 't')");
    apply_fails(doc, "[{\"op\":\"replace\",\"path\":\"/s/t\",\"value\":1}]", GM_EINVAL,
                "[0] (replace /s/t): expected object or array at /s, found string (replacing 't')");
    apply_fails(doc, "[{\"op\":\"test\",\"path\":\"/s/t/u\",\"value\":1}]", GM_EINVAL,
                "[0] (test /s/t/u): expected object or array at /s, found string (looking up 't')");
    apply_fails(doc, "[{\"op\":\"copy\",\"from\":\"/nope\",\"path\":\"/x\"}]", GM_EINVAL,
                "[0] (copy from /nope to /x): no member 'nope' in object at the root");
    apply_fails(doc, "[{\"op\":\"move\",\"from\":\"/s\",\"path\":\"/a~1b/c~0d/e\"}]", GM_EINVAL,
                "[0] (move from /s to /a~1b/c~0d/e): no member 'c~d' in object at /a~1b");
    apply_fails(doc, "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/x\"}]", GM_EINVAL,
                "[0].from: cannot move '' into its own child '/x'");

    /* a bad shape anywhere wins over an operation that would fail earlier */
    apply_fails(doc,
                "[{\"op\":\"remove\",\"path\":\"/nope\"},{\"op\":\"remove\",\"path\":\"/s\"},"
                "{\"op\":\"tset\",\"path\":\"/s\",\"value\":1}]",
                GM_EINVAL,
                "[2].op: expected one of add, remove, replace, move, copy, test, found 'tset'");

    /* err may be NULL everywhere */
    json_t *d = J(doc), *p = J("[{\"op\":\"remove\",\"path\":\"/zz\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_EINVAL);
    json_decref(p);
    p = J("[{\"op\":\"test\",\"path\":\"/s\",\"value\":\"y\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_ECONFLICT);
    assert_int_equal(gm_patch_check(p, NULL), GM_OK);
    json_decref(p);
    p = J("[{\"op\":\"remove\",\"path\":\"/s\"}]");
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
    assert_null(json_object_get(d, "s"));
    json_decref(p);
    p = J("[{\"op\":\"nope\"}]");
    assert_int_equal(gm_patch_check(p, NULL), GM_EINVAL);
    assert_int_equal(gm_patch_apply(&d, p, NULL), GM_EINVAL);
    json_decref(p);
    json_decref(d);
}

/* ------------------------------------------------------------------------ */
/* Atomicity                                                                 */

#define ATOM_DOC                                                                                \
    "{\"name\":\"pump\",\"props\":{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":true}},"                  \
    "\"list\":[10,20,30,40],\"tags\":{\"x\":\"1\",\"y\":\"2\",\"z\":\"3\"}}"

/* One valid operation of each kind, independent of each other on ATOM_DOC. */
static const char *const atom_ok[6] = {
    "{\"op\":\"add\",\"path\":\"/props/new\",\"value\":{\"n\":[1]}}",
    "{\"op\":\"remove\",\"path\":\"/tags/x\"}",
    "{\"op\":\"replace\",\"path\":\"/list/1\",\"value\":\"twenty\"}",
    "{\"op\":\"move\",\"from\":\"/props/b/0\",\"path\":\"/list/-\"}",
    "{\"op\":\"copy\",\"from\":\"/props/c\",\"path\":\"/copied\"}",
    "{\"op\":\"test\",\"path\":\"/name\",\"value\":\"pump\"}",
};

/* All six applied, in any order. */
#define ATOM_AFTER                                                                              \
    "{\"name\":\"pump\",\"props\":{\"a\":1,\"b\":[2,3],\"c\":{\"d\":true},\"new\":{\"n\":[1]}}," \
    "\"list\":[10,\"twenty\",30,40,1],\"tags\":{\"y\":\"2\",\"z\":\"3\"},\"copied\":{\"d\":true}}"

/* One failing operation of each kind, plus a bad shape. */
static const struct {
    const char *op;
    int code;
} atom_bad[7] = {
    {"{\"op\":\"add\",\"path\":\"/missing/x\",\"value\":1}", GM_EINVAL},
    {"{\"op\":\"remove\",\"path\":\"/list/99\"}", GM_EINVAL},
    {"{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}", GM_EINVAL},
    {"{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/x\"}", GM_EINVAL},
    {"{\"op\":\"copy\",\"from\":\"/props/zz\",\"path\":\"/x\"}", GM_EINVAL},
    {"{\"op\":\"test\",\"path\":\"/name\",\"value\":\"pumps\"}", GM_ECONFLICT},
    {"{\"op\":\"delete\",\"path\":\"/name\"}", GM_EINVAL},
};

static void test_atomic_every_kind_every_position(void **state)
{
    (void)state;
    /* each valid op alone changes the document (test excepted), so undoing
       it is observable */
    for (int k = 0; k < 6; k++) {
        json_t *d = J(ATOM_DOC), *orig = J(ATOM_DOC);
        char patch[512];
        snprintf(patch, sizeof patch, "[%s]", atom_ok[k]);
        json_t *p = J(patch);
        assert_int_equal(gm_patch_apply(&d, p, NULL), GM_OK);
        assert_true(k == 5 ? json_equal(d, orig) : !json_equal(d, orig));
        json_decref(p);
        json_decref(d);
        json_decref(orig);
    }
    int runs = 0;
    for (int rot = 0; rot < 6; rot++) {
        /* rotation rot puts kind k at position (k + rot) % 6 */
        const char *seq[6];
        for (int k = 0; k < 6; k++)
            seq[(k + rot) % 6] = atom_ok[k];
        char prefix[2048];
        snprintf(prefix, sizeof prefix, "%s,%s,%s,%s,%s,%s", seq[0], seq[1], seq[2], seq[3], seq[4],
                 seq[5]);
        char patch[2560];
        snprintf(patch, sizeof patch, "[%s]", prefix);
        apply_ok(ATOM_DOC, patch, ATOM_AFTER);
        for (int f = 0; f < 7; f++) {
            snprintf(patch, sizeof patch, "[%s,%s]", prefix, atom_bad[f].op);
            json_t *d = J(ATOM_DOC), *p = J(patch);
            json_t *saved = json_deep_copy(d);
            char *s0 = dump(d);
            json_t *root = d, *props = json_object_get(d, "props"),
                   *list = json_object_get(d, "list"), *tags = json_object_get(d, "tags");
            gm_err e;
            gm_err_clear(&e);
            int rc = gm_patch_apply(&d, p, &e);
            assert_int_equal(rc, atom_bad[f].code);
            if (f < 6)
                assert_int_equal(strncmp(e.where, "[6] (", 5), 0);
            else
                assert_string_equal(e.where, "[6].op");
            assert_true(json_equal(d, saved));
            char *s1 = dump(d);
            assert_string_equal(s1, s0);
            /* the same containers, not look-alikes */
            assert_ptr_equal(d, root);
            assert_ptr_equal(json_object_get(d, "props"), props);
            assert_ptr_equal(json_object_get(d, "list"), list);
            assert_ptr_equal(json_object_get(d, "tags"), tags);
            assert_int_equal(root->refcount, 1);
            assert_int_equal(props->refcount, 1);
            free(s0);
            free(s1);
            json_decref(saved);
            json_decref(p);
            json_decref(d);
            runs++;
        }
    }
    assert_int_equal(runs, 42);
}

static void test_atomic_member_order(void **state)
{
    (void)state;
    /* removals, re-adds and moves among the same keys, then a failure: the
       dump (member order included) is the original's */
    apply_fails("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":{\"f\":1,\"g\":2}}",
                "[{\"op\":\"remove\",\"path\":\"/b\"},{\"op\":\"remove\",\"path\":\"/a\"},"
                "{\"op\":\"add\",\"path\":\"/b\",\"value\":5},"
                "{\"op\":\"move\",\"from\":\"/c\",\"path\":\"/a\"},"
                "{\"op\":\"replace\",\"path\":\"/d\",\"value\":0},"
                "{\"op\":\"move\",\"from\":\"/e/f\",\"path\":\"/e/h\"},"
                "{\"op\":\"remove\",\"path\":\"/e/g\"},{\"op\":\"add\",\"path\":\"/e/g\",\"value\":1},"
                "{\"op\":\"move\",\"from\":\"/e\",\"path\":\"/b\"},"
                "{\"op\":\"remove\",\"path\":\"/d\"},"
                "{\"op\":\"test\",\"path\":\"/a\",\"value\":4}]",
                GM_ECONFLICT, "[10] (test /a): test failed: found 3, expected 4");
    /* a member removed and re-added several times */
    apply_fails("{\"x\":0,\"k\":1,\"y\":2}",
                "[{\"op\":\"remove\",\"path\":\"/k\"},{\"op\":\"add\",\"path\":\"/k\",\"value\":2},"
                "{\"op\":\"remove\",\"path\":\"/k\"},{\"op\":\"remove\",\"path\":\"/y\"},"
                "{\"op\":\"add\",\"path\":\"/k\",\"value\":3},{\"op\":\"add\",\"path\":\"/y\",\"value\":3},"
                "{\"op\":\"remove\",\"path\":\"/x\"},{\"op\":\"remove\",\"path\":\"/nope\"}]",
                GM_EINVAL, "[7] (remove /nope): no member 'nope' in object at the root");
    /* the empty member name ("/" points at it) is a name like any other */
    apply_fails("{\"\":1,\"x\":2}",
                "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2},"
                "{\"op\":\"remove\",\"path\":\"/\"},{\"op\":\"add\",\"path\":\"/\",\"value\":3},"
                "{\"op\":\"test\",\"path\":\"/x\",\"value\":0}]",
                GM_ECONFLICT, "[3] (test /x): test failed: found 2, expected 0");
    apply_fails("{\"\":1}", "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2},"
                "{\"op\":\"test\",\"path\":\"/\",\"value\":0}]",
                GM_ECONFLICT, "[1] (test /): test failed: found 2, expected 0");
    /* an object created by the patch, edited, then dropped by the rollback */
    apply_fails("{\"x\":0}",
                "[{\"op\":\"add\",\"path\":\"/n\",\"value\":{\"p\":1,\"q\":2}},"
                "{\"op\":\"remove\",\"path\":\"/n/p\"},{\"op\":\"remove\",\"path\":\"/x\"},"
                "{\"op\":\"test\",\"path\":\"/n\",\"value\":{}}]",
                GM_ECONFLICT, "[3] (test /n): test failed: found {\"q\":2}, expected {}");

    /* many removals from a big object, then a failure: order is rebuilt in
       one pass (this would take minutes if each undo re-appended the tail) */
    json_t *d = json_object();
    json_t *p = json_array();
    for (int i = 0; i < 9999; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(d, k, json_integer(i));
        char ptr[20];
        snprintf(ptr, sizeof ptr, "/k%d", i);
        json_array_append_new(p, json_pack("{s:s,s:s}", "op", "remove", "path", ptr));
    }
    json_array_append_new(p, json_pack("{s:s,s:s}", "op", "remove", "path", "/k0"));
    char *s0 = dump(d);
    json_t *root = d;
    gm_err e;
    assert_int_equal(gm_patch_apply(&d, p, &e), GM_EINVAL);
    assert_string_equal(e.where, "[9999] (remove /k0)");
    assert_ptr_equal(d, root);
    char *s1 = dump(d);
    assert_string_equal(s0, s1);
    free(s0);
    free(s1);
    json_decref(p);
    json_decref(d);
}

/* jansson allocations fail at the nth call from now (0 = the next one); once
   only, or for good when sticky. -1: never. */
static long alloc_countdown = -1;
static bool alloc_sticky;

static void *failing_malloc(size_t n)
{
    if (alloc_countdown == 0) {
        if (!alloc_sticky)
            alloc_countdown = -1;
        return NULL;
    }
    if (alloc_countdown > 0)
        alloc_countdown--;
    return malloc(n);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    /* the six kinds plus removals and re-adds in one object */
    char patch[2048];
    snprintf(patch, sizeof patch,
             "[%s,%s,%s,%s,%s,%s,{\"op\":\"remove\",\"path\":\"/tags/y\"},"
             "{\"op\":\"add\",\"path\":\"/tags/y\",\"value\":[1,{\"k\":2}]},"
             "{\"op\":\"remove\",\"path\":\"/tags/z\"}]",
             atom_ok[0], atom_ok[1], atom_ok[2], atom_ok[3], atom_ok[4], atom_ok[5]);
    json_t *expect = J(ATOM_AFTER);
    json_object_set_new(json_object_get(expect, "tags"), "y", J("[1,{\"k\":2}]"));
    json_object_del(json_object_get(expect, "tags"), "z");

    /* one allocation fails: a clean ENOMEM with the document restored, or
       (once the failure comes too late to matter) success */
    int nomem = 0, done = 0;
    for (long n = 0; n < 1000 && !done; n++) {
        json_t *d = J(ATOM_DOC), *p = J(patch), *root = d;
        char *s0 = dump(d);
        gm_err e;
        gm_err_clear(&e);
        json_set_alloc_funcs(failing_malloc, free);
        alloc_sticky = false;
        alloc_countdown = n;
        int rc = gm_patch_apply(&d, p, &e);
        alloc_countdown = -1;
        json_set_alloc_funcs(malloc, free);
        if (rc == GM_OK) {
            assert_true(json_equal(d, expect));
            done = 1;
        } else {
            assert_int_equal(rc, GM_ENOMEM);
            assert_string_equal(e.what, "out of memory");
            assert_ptr_equal(d, root);
            char *s1 = dump(d);
            assert_string_equal(s0, s1);
            free(s1);
            nomem++;
        }
        free(s0);
        json_decref(p);
        json_decref(d);
    }
    assert_int_equal(done, 1);
    assert_true(nomem >= 10);

    /* every allocation from the nth on fails, the rollback's too: either a
       clean ENOMEM or GM_EINTERNAL saying the document may be damaged; never
       a crash or a leak */
    int internal = 0;
    done = 0;
    for (long n = 0; n < 1000 && !done; n++) {
        json_t *d = J(ATOM_DOC), *p = J(patch);
        gm_err e;
        gm_err_clear(&e);
        json_set_alloc_funcs(failing_malloc, free);
        alloc_sticky = true;
        alloc_countdown = n;
        int rc = gm_patch_apply(&d, p, &e);
        alloc_countdown = -1;
        json_set_alloc_funcs(malloc, free);
        if (rc == GM_OK) {
            done = 1;
        } else if (rc == GM_EINTERNAL) {
            internal++;
            assert_int_equal(strncmp(e.what, "out of memory while rolling back", 32), 0);
        } else {
            assert_int_equal(rc, GM_ENOMEM);
        }
        json_decref(p);
        json_decref(d);
    }
    assert_int_equal(done, 1);
    assert_true(internal > 0);
    json_decref(expect);
}

/* ------------------------------------------------------------------------ */
/* Diff                                                                      */

static void diff_is(const char *from, const char *to, const char *expect)
{
    json_t *a = J(from), *b = J(to), *p = NULL;
    gm_err e;
    assert_int_equal(gm_patch_diff(a, b, &p, &e), GM_OK);
    assert_json(p, expect);
    assert_int_equal(gm_patch_check(p, &e), GM_OK);
    assert_int_equal(gm_patch_apply(&a, p, &e), GM_OK);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(p);
}

static void test_diff(void **state)
{
    (void)state;
    diff_is("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}", "[]");
    diff_is("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":3}",
            "[{\"op\":\"remove\",\"path\":\"/b\"},{\"op\":\"add\",\"path\":\"/c\",\"value\":3}]");
    diff_is("{\"a\":{\"x\":1,\"y\":2}}", "{\"a\":{\"x\":1,\"y\":3}}",
            "[{\"op\":\"replace\",\"path\":\"/a/y\",\"value\":3}]");
    diff_is("[1,2,3]", "[1,4,2,3]", "[{\"op\":\"add\",\"path\":\"/1\",\"value\":4}]");
    diff_is("[1,2,3]", "[1,3]", "[{\"op\":\"remove\",\"path\":\"/1\"}]");
    diff_is("[1,2,3,4]", "[1,4]",
            "[{\"op\":\"remove\",\"path\":\"/2\"},{\"op\":\"remove\",\"path\":\"/1\"}]");
    diff_is("[1,2]", "[1,2,3,4]",
            "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3},{\"op\":\"add\",\"path\":\"/3\",\"value\":4}]");
    diff_is("[1,{\"a\":1},3]", "[1,{\"a\":2},3]", "[{\"op\":\"replace\",\"path\":\"/1/a\",\"value\":2}]");
    diff_is("1", "\"x\"", "[{\"op\":\"replace\",\"path\":\"\",\"value\":\"x\"}]");
    diff_is("{\"a\":[]}", "[]", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[]}]");
    diff_is("{\"v\":1}", "{\"v\":1.0}", "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":1.0}]");
    diff_is("{\"a/b\":1,\"m~n\":{\"\":1}}", "{\"a/b\":2,\"m~n\":{\"\":2}}",
            "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2},"
            "{\"op\":\"replace\",\"path\":\"/m~0n/\",\"value\":2}]");

    /* the patch holds copies */
    json_t *a = J("{}"), *b = J("{\"o\":{\"k\":1}}"), *p = NULL;
    assert_int_equal(gm_patch_diff(a, b, &p, NULL), GM_OK);
    assert_ptr_not_equal(json_object_get(json_array_get(p, 0), "value"), json_object_get(b, "o"));
    json_decref(p);
    assert_int_equal(gm_patch_diff(NULL, b, &p, NULL), GM_EINVAL);
    json_decref(a);
    json_decref(b);

    /* deeper than a pointer may go: the subtree at depth 64 is replaced */
    a = json_integer(1);
    b = json_integer(2);
    for (int i = 0; i < 80; i++) {
        a = json_pack("{s:o}", "d", a);
        b = json_pack("{s:o}", "d", b);
    }
    assert_int_equal(gm_patch_diff(a, b, &p, NULL), GM_OK);
    assert_int_equal(json_array_size(p), 1);
    gm_pointer ptr;
    const char *path = json_string_value(json_object_get(json_array_get(p, 0), "path"));
    assert_int_equal(gm_pointer_parse(path, &ptr, NULL), GM_OK);
    assert_int_equal(ptr.depth, 64);
    assert_int_equal(gm_patch_check(p, NULL), GM_OK);
    assert_int_equal(gm_patch_apply(&a, p, NULL), GM_OK);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(p);

    /* a member name that leaves no room for an index below it: the array is
       replaced whole, and the pointer stays within GM_POINTER_MAX_LEN */
    char *name = malloc(GM_POINTER_MAX_LEN + 1);
    assert_non_null(name);
    memset(name, 'k', GM_POINTER_MAX_LEN - 2);
    name[GM_POINTER_MAX_LEN - 2] = '\0';
    a = json_pack("{s:[i]}", name, 1);
    b = json_pack("{s:[i]}", name, 2);
    assert_int_equal(gm_patch_diff(a, b, &p, NULL), GM_OK);
    assert_int_equal(json_array_size(p), 1);
    assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(p, 0), "path"))),
                     GM_POINTER_MAX_LEN - 1);
    assert_json(json_object_get(json_array_get(p, 0), "value"), "[2]");
    assert_int_equal(gm_patch_apply(&a, p, NULL), GM_OK);
    assert_true(json_equal(a, b));
    json_decref(p);
    json_decref(a);
    /* a name of GM_POINTER_MAX_LEN bytes cannot be named at all: the root is replaced */
    memset(name, 'k', GM_POINTER_MAX_LEN);
    name[GM_POINTER_MAX_LEN] = '\0';
    a = json_pack("{s:i}", name, 1);
    json_decref(b);
    b = json_pack("{s:i}", name, 2);
    assert_int_equal(gm_patch_diff(a, b, &p, NULL), GM_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "path")), "");
    assert_int_equal(gm_patch_apply(&a, p, NULL), GM_OK);
    assert_true(json_equal(a, b));
    json_decref(p);
    json_decref(a);
    json_decref(b);
    free(name);

    /* more edits than a patch may hold: one replacement of the root */
    a = json_array();
    b = json_array();
    for (int i = 0; i < 20000; i++) {
        json_array_append_new(a, json_integer(i));
        json_array_append_new(b, json_integer(i + 1000000));
    }
    assert_int_equal(gm_patch_diff(a, b, &p, NULL), GM_OK);
    assert_int_equal(json_array_size(p), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "path")), "");
    assert_int_equal(gm_patch_apply(&a, p, NULL), GM_OK);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(p);
}

/* ------------------------------------------------------------------------ */
/* Randomized properties                                                     */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rn(size_t n)
{
    return (size_t)(rnd() % n);
}

static const char *const keys[] = {"a", "b", "c", "~", "/", "-", "0", "1", "a/b", "~1", ""};
#define NKEYS (sizeof keys / sizeof keys[0])

static json_t *rand_value(int depth)
{
    size_t kind = depth >= 3 ? 2 + rn(7) : rn(9);
    switch (kind) {
    case 0: {
        json_t *o = json_object();
        size_t n = rn(5);
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, keys[rn(NKEYS)], rand_value(depth + 1));
        return o;
    }
    case 1: {
        json_t *a = json_array();
        size_t n = rn(5);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, rand_value(depth + 1));
        return a;
    }
    case 2: return json_integer((json_int_t)rn(5) - 2);
    case 3: {
        static const double reals[] = {1.0, 0.5, -1.0, 2.0, 0.0};
        return json_real(reals[rn(5)]);
    }
    case 4: return json_string(keys[rn(NKEYS)]);
    case 5: return json_true();
    case 6: return json_false();
    case 7: return json_null();
    default: return json_integer(1);
    }
}

/* Append escaped key to a pointer. */
static void ptr_push(char *out, size_t cap, const char *parent, const char *key)
{
    size_t o = (size_t)snprintf(out, cap, "%s/", parent);
    for (const char *k = key; *k && o + 3 < cap; k++) {
        if (*k == '~' || *k == '/') {
            out[o++] = '~';
            out[o++] = *k == '~' ? '0' : '1';
        } else {
            out[o++] = *k;
        }
    }
    out[o] = '\0';
}

#define MAXPATHS 256
typedef struct paths {
    char p[MAXPATHS][128];
    size_t n;
} paths;

static void collect(const json_t *v, const char *at, paths *ps)
{
    if (ps->n < MAXPATHS)
        snprintf(ps->p[ps->n++], sizeof ps->p[0], "%s", at);
    char child[128];
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            ptr_push(child, sizeof child, at, k);
            collect(c, child, ps);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            ptr_push(child, sizeof child, at, idx);
            collect(json_array_get(v, i), child, ps);
        }
    }
}

/* A pointer: mostly one that exists in the original, sometimes a new child
   of one, "-", or garbage. */
static void rand_path(const paths *ps, char *out, size_t cap)
{
    size_t r = rn(10);
    const char *base = ps->p[rn(ps->n)];
    if (r < 6)
        snprintf(out, cap, "%s", base);
    else if (r < 8)
        ptr_push(out, cap, base, keys[rn(NKEYS)]);
    else if (r < 9)
        ptr_push(out, cap, base, rn(2) ? "-" : "3");
    else
        snprintf(out, cap, "%s", rn(2) ? "/zz/q" : "/0/0/0");
}

static json_t *rand_patch(const json_t *doc)
{
    static const char *const ops[] = {"add", "remove", "replace", "move", "copy", "test"};
    paths *ps = malloc(sizeof *ps);
    assert_non_null(ps);
    ps->n = 0;
    collect(doc, "", ps);
    json_t *p = json_array();
    size_t n = 1 + rn(6);
    for (size_t i = 0; i < n; i++) {
        const char *op = ops[rn(6)];
        char path[128], from[128];
        rand_path(ps, path, sizeof path);
        json_t *o = json_pack("{s:s,s:s}", "op", op, "path", path);
        if (!strcmp(op, "move") || !strcmp(op, "copy")) {
            rand_path(ps, from, sizeof from);
            json_object_set_new(o, "from", json_string(from));
        }
        if (!strcmp(op, "add") || !strcmp(op, "replace") || !strcmp(op, "test")) {
            const json_t *cur = gm_pointer_get(doc, path, NULL);
            json_t *v;
            if (!strcmp(op, "test") && cur && rn(3)) {
                v = json_deep_copy(cur);
                if (json_is_integer(v) && rn(2)) { /* same number, as a real */
                    json_t *r = json_real((double)json_integer_value(v));
                    json_decref(v);
                    v = r;
                }
            } else {
                v = rand_value(1);
            }
            json_object_set_new(o, "value", v);
        }
        if (rn(20) == 0)
            json_object_set_new(o, "op", json_string("nope"));
        json_array_append_new(p, o);
    }
    free(ps);
    return p;
}

static void test_random_properties(void **state)
{
    (void)state;
    int ok = 0, failed = 0, conflicts = 0, shape_errors = 0;
    for (int iter = 0; iter < 4000; iter++) {
        json_t *doc = rn(8) ? json_object() : json_array();
        json_t *seed = rand_value(0);
        /* keep the root a container with something in it most of the time */
        if (json_is_object(doc)) {
            json_object_set_new(doc, "a", seed);
            json_object_set_new(doc, "b", rand_value(1));
        } else {
            json_array_append_new(doc, seed);
        }
        json_t *orig = json_deep_copy(doc);
        char *s0 = dump(doc);
        json_t *patch = rand_patch(doc);
        json_t *root = doc;
        gm_err e;
        gm_err_clear(&e);
        int rc = gm_patch_apply(&doc, patch, &e);

        /* the same ops one at a time on a copy */
        json_t *step = json_deep_copy(orig);
        size_t n = json_array_size(patch);
        int first_rc = GM_OK;
        size_t first_bad = n;
        for (size_t i = 0; i < n; i++) {
            json_t *one = json_array();
            json_array_append(one, json_array_get(patch, i));
            int r = gm_patch_apply(&step, one, NULL);
            json_decref(one);
            if (r != GM_OK) {
                first_rc = r;
                first_bad = i;
                break;
            }
        }

        if (rc == GM_OK) {
            ok++;
            assert_int_equal(first_rc, GM_OK);
            assert_true(json_equal(doc, step));
            char *a = dump(doc), *b = dump(step);
            assert_string_equal(a, b);
            free(a);
            free(b);
            /* diff round trip, and the diff is a valid patch */
            json_t *dp = NULL;
            assert_int_equal(gm_patch_diff(orig, doc, &dp, NULL), GM_OK);
            assert_int_equal(gm_patch_check(dp, NULL), GM_OK);
            json_t *again = json_deep_copy(orig);
            assert_int_equal(gm_patch_apply(&again, dp, NULL), GM_OK);
            assert_true(json_equal(again, doc));
            json_decref(again);
            json_decref(dp);
        } else {
            failed++;
            if (rc == GM_ECONFLICT)
                conflicts++;
            if (rc != GM_EINVAL && rc != GM_ECONFLICT) {
                char buf[1024];
                fail_msg("rc %d: %s on %s", rc, gm_err_format(&e, buf, sizeof buf), s0);
            }
            assert_int_equal(e.code, rc);
            assert_ptr_equal(doc, root);
            assert_true(json_equal(doc, orig));
            char *s1 = dump(doc);
            assert_string_equal(s0, s1);
            free(s1);
            gm_err ce;
            gm_err_clear(&ce);
            if (gm_patch_check(patch, &ce) != GM_OK) {
                /* a bad shape is refused as a whole, as check says */
                shape_errors++;
                assert_int_equal(ce.code, rc);
                assert_string_equal(ce.where, e.where);
                assert_string_equal(ce.what, e.what);
            } else {
                /* the one-by-one run stops at the same op with the same code */
                size_t at = 0;
                assert_int_equal(sscanf(e.where, "[%zu] (", &at), 1);
                assert_int_equal(at, first_bad);
                assert_int_equal(first_rc, rc);
            }
        }
        /* diff between unrelated values round-trips too */
        json_t *x = rand_value(0), *y = rand_value(0), *dp = NULL;
        assert_int_equal(gm_patch_diff(x, y, &dp, NULL), GM_OK);
        assert_int_equal(gm_patch_apply(&x, dp, NULL), GM_OK);
        assert_true(json_equal(x, y));
        json_decref(x);
        json_decref(y);
        json_decref(dp);

        free(s0);
        json_decref(step);
        json_decref(patch);
        json_decref(orig);
        json_decref(doc);
    }
    /* both branches were exercised for real */
    assert_true(ok > 400);
    assert_true(failed > 400);
    assert_true(conflicts > 50);
    assert_true(shape_errors > 50);
    assert_true(failed - conflicts - shape_errors > 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6902_appendix_a),
        cmocka_unit_test(test_pointer_parse),
        cmocka_unit_test(test_pointer_rfc6901),
        cmocka_unit_test(test_pointer_errors),
        cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_growth_limits),
        cmocka_unit_test(test_messages_utf8),
        cmocka_unit_test(test_dash_append),
        cmocka_unit_test(test_array_bounds),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_copy_no_alias),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_numeric_equality),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_atomic_every_kind_every_position),
        cmocka_unit_test(test_atomic_member_order),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_random_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
