#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

/* Load doc (len bytes) and expect failure with code and exactly msg as
   gm_err_format prints it. */
static void expect_load_fail(const char *doc, size_t len, const gm_json_limits *lim, int code,
                             const char *msg)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str(doc, len, lim, "doc", &e);
    char buf[1024];
    if (v) {
        json_decref(v);
        fail_msg("accepted %.*s, expected: %s", (int)len, doc, msg);
    }
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), msg);
    assert_int_equal(e.code, code);
}

#define FAILS(doc, lim, code, msg) expect_load_fail(doc, sizeof(doc) - 1, lim, code, msg)

static json_t *load_ok(const char *doc, const gm_json_limits *lim)
{
    gm_err e;
    gm_err_clear(&e);
    json_t *v = gm_json_load_str(doc, strlen(doc), lim, "doc", &e);
    if (!v) {
        char buf[1024];
        fail_msg("rejected %s: %s", doc, gm_err_format(&e, buf, sizeof buf));
    }
    return v;
}

/* n nested arrays around 0: "[[[0]]]" for n = 3. */
static char *nested_arrays(int n)
{
    size_t un = (size_t)n;
    char *s = malloc(2 * un + 2);
    assert_non_null(s);
    memset(s, '[', un);
    s[un] = '0';
    memset(s + un + 1, ']', un);
    s[2 * un + 1] = '\0';
    return s;
}

/* n nested objects: {"k":{"k":{}}} for n = 3. */
static char *nested_objects(int n)
{
    size_t un = (size_t)n;
    char *s = malloc(6 * un + 1);
    assert_non_null(s);
    char *p = s;
    for (size_t i = 0; i + 1 < un; i++) {
        memcpy(p, "{\"k\":", 5);
        p += 5;
    }
    memcpy(p, "{}", 2);
    p += 2;
    for (size_t i = 0; i + 1 < un; i++)
        *p++ = '}';
    *p = '\0';
    return s;
}

static const char *unpack_msg(const json_t *obj, const char *path, const gm_json_field *f,
                              size_t nf, unsigned flags, char *buf, size_t n)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_json_unpack(obj, path, f, nf, flags, &e);
    if (rc == GM_OK)
        return "OK";
    assert_int_equal(rc, e.code);
    return gm_err_format(&e, buf, n);
}

static char *write_temp(const char *content, size_t len)
{
    char *path = strdup("/tmp/gm_test_json_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ------------------------------------------------------------------------ */
/* loading                                                                   */

static void test_load_values(void **state)
{
    (void)state;
    json_t *v = load_ok(" 42 ", NULL);
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);

    v = load_ok("\"h\\u00e9\\n\"", NULL);
    assert_string_equal(json_string_value(v), "h\xc3\xa9\n");
    json_decref(v);

    v = load_ok("null", NULL);
    assert_true(json_is_null(v));
    json_decref(v);

    v = load_ok("{\"a\": [1, 2.5, true], \"b\": {\"a\": 3}}", NULL);
    assert_int_equal(json_array_size(json_object_get(v, "a")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "b"), "a")), 3);
    json_decref(v);

    /* Only len bytes are read: the buffer needs no terminator. */
    gm_err e;
    v = gm_json_load_str("[7]garbage", 3, NULL, "doc", &e);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_array_get(v, 0)), 7);
    json_decref(v);

    /* NULL buffer: empty is an error, with len > 0 a bad argument. */
    assert_null(gm_json_load_str(NULL, 0, NULL, "doc", &e));
    assert_int_equal(e.code, GM_EPARSE);
    assert_null(gm_json_load_str(NULL, 3, NULL, "doc", &e));
    assert_int_equal(e.code, GM_EINVAL);

    /* Default name and NULL err. */
    assert_null(gm_json_load_str("[", 1, NULL, NULL, &e));
    assert_string_equal(e.where, "<input>:1:2");
    assert_null(gm_json_load_str("[", 1, NULL, NULL, NULL));

    gm_json_limits bad = {100, -1};
    assert_null(gm_json_load_str("1", 1, &bad, "doc", &e));
    assert_int_equal(e.code, GM_EINVAL);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    FAILS("{\"a\":}", NULL, GM_EPARSE, "doc:1:6: unexpected token near '}'");
    FAILS("[1,2,]", NULL, GM_EPARSE, "doc:1:6: unexpected token near ']'");
    FAILS("[1,,2]", NULL, GM_EPARSE, "doc:1:4: unexpected token near ','");
    FAILS("{\"a\":1,\n \"b\" 2}", NULL, GM_EPARSE, "doc:2:6: ':' expected near '2'");
    FAILS("{1:2}", NULL, GM_EPARSE, "doc:1:2: string or '}' expected near '1'");
    /* A multi-character token is located at its first character. */
    FAILS("[tru]", NULL, GM_EPARSE, "doc:1:2: invalid token near 'tru'");
    FAILS("\n\n  nul", NULL, GM_EPARSE, "doc:3:3: invalid token near 'nul'");
    FAILS("[01]", NULL, GM_EPARSE, "doc:1:2: invalid token near '0'");
    FAILS("[1] [2]", NULL, GM_EPARSE, "doc:1:5: end of file expected near '['");
    FAILS("[\"\\x\"]", NULL, GM_EPARSE, "doc:1:2: invalid escape near '\"\\x'");
    /* A long token is not quoted by jansson; still located at its start. */
    FAILS("[1,\n  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\q\"]", NULL, GM_EPARSE,
          "doc:2:3: invalid escape");
    /* End of input: just past the last character. */
    FAILS("[1,2", NULL, GM_EPARSE, "doc:1:5: ']' expected near end of file");
    FAILS("[1,\n", NULL, GM_EPARSE, "doc:2:1: ']' expected near end of file");
    FAILS("", NULL, GM_EPARSE, "doc:1:1: empty document (expected a JSON value)");
    FAILS(" \n ", NULL, GM_EPARSE, "doc:2:2: empty document (expected a JSON value)");
    /* Columns count code points: the 'x' is the 7th character, the 8th byte. */
    FAILS("[\"\xc3\xa9\", x]", NULL, GM_EPARSE, "doc:1:7: invalid token near 'x'");
    FAILS("\xef\xbb\xbf[1]", NULL, GM_EPARSE,
          "doc:1:1: UTF-8 byte order mark (BOM) is not allowed; save the document without it");
    /* Numbers out of range. */
    FAILS("[-9223372036854775809]", NULL, GM_ERANGE,
          "doc:1:2: too big negative integer near '-9223372036854775809'");
    FAILS("{\"x\": 1e999}", NULL, GM_ERANGE, "doc:1:7: real number overflow near '1e999'");
    /* Control characters. */
    FAILS("[\"abc\ndef\"]", NULL, GM_EPARSE, "doc:1:6: unescaped newline in string (write \\n)");
    FAILS("[\"a\tb\"]", NULL, GM_EPARSE, "doc:1:4: unescaped control character U+0009 in string");
    FAILS("[1,\x01]", NULL, GM_EPARSE, "doc:1:4: unexpected control character U+0001");
}

static void test_first_error_wins(void **state)
{
    (void)state;
    /* A syntax error before an encoding error is reported first ... */
    FAILS("[1,]\xff", NULL, GM_EPARSE, "doc:1:4: unexpected token near ']'");
    FAILS("[1 2, \"\x01\"]", NULL, GM_EPARSE, "doc:1:4: ']' expected near '2'");
    /* ... and an encoding error before a syntax error too. */
    FAILS("[\"\xff\", ]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xFF)");
    /* But the depth limit is checked first of all. */
    gm_json_limits lim = {1000, 2};
    FAILS("[1,, [[2]]]", &lim, GM_ELIMIT,
          "doc:1:7: nesting deeper than 2 levels of arrays and objects");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    FAILS("{\"a\":1,\"a\":2}", NULL, GM_EPARSE, "doc:1:8: duplicate object key \"a\"");
    FAILS("{\"s\": [{\"x\": 1,\n        \"x\": 1}]}", NULL, GM_EPARSE,
          "doc:2:9: duplicate object key \"x\"");
    /* Same key after unescaping. */
    FAILS("{\"ab\":1,\"a\\u0062\":2}", NULL, GM_EPARSE,
          "doc:1:9: duplicate object key \"a\\u0062\"");
    /* Long keys (not quoted by jansson) are still found and shown. */
    FAILS("{\"k123456789012345678901234567890\":1,\"k123456789012345678901234567890\":2}",
          NULL, GM_EPARSE, "doc:1:38: duplicate object key \"k123456789012345678901234567890\"");
    /* The same key in different objects is fine. */
    json_t *v = load_ok("[{\"a\":1},{\"a\":2},{\"b\":{\"a\":3}}]", NULL);
    json_decref(v);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    FAILS("[\"\xff\"]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xFF)");
    FAILS("[\"ok\", \"\xc0\xaf\"]", NULL, GM_EPARSE, "doc:1:9: invalid UTF-8 (byte 0xC0)");
    FAILS("[\"\xed\xa0\x80\"]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xED)");   /* surrogate */
    FAILS("[\"\xe0\x80\xaf\"]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xE0)");   /* overlong */
    FAILS("[\"\xf4\x90\x80\x80\"]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xF4)"); /* > U+10FFFF */
    FAILS("[\"\xc3\"]", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xC3)");           /* truncated */
    FAILS("[\"\xc3", NULL, GM_EPARSE, "doc:1:3: invalid UTF-8 (byte 0xC3)");
    FAILS("{\"k\xe9y\": 1}", NULL, GM_EPARSE, "doc:1:4: invalid UTF-8 (byte 0xE9)");      /* latin-1 */
    FAILS("[1, \x80]", NULL, GM_EPARSE, "doc:1:5: invalid UTF-8 (byte 0x80)");
    /* Escaped lone surrogates are jansson's to reject. */
    FAILS("[\"\\ud800\"]", NULL, GM_EPARSE, "doc:1:2: invalid Unicode '\\uD800' near '\"\\ud800\"'");

    /* Valid multi-byte text of every length round-trips. */
    json_t *v = load_ok("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"\\ud83d\\ude00\"]", NULL);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "\xf0\x9f\x98\x80");
    json_decref(v);
}

static void test_nul(void **state)
{
    (void)state;
    FAILS("[\"a\0b\"]", NULL, GM_EPARSE, "doc:1:4: NUL byte in string (not allowed)");
    FAILS("[1]\0", NULL, GM_EPARSE, "doc:1:4: NUL byte (not allowed in JSON text)");
    FAILS("[\0]", NULL, GM_EPARSE, "doc:1:2: NUL byte (not allowed in JSON text)");
    FAILS("[\"x\", \"a\\u0000b\"]", NULL, GM_EPARSE,
          "doc:1:7: string contains \\u0000 (NUL characters are not allowed)");
    FAILS("{\"a\\u0000\": 1}", NULL, GM_EPARSE,
          "doc:1:2: object key contains \\u0000 (NUL characters are not allowed)");
}

static void test_depth_limit(void **state)
{
    (void)state;
    gm_json_limits lim = {1 << 20, 5};

    /* Arrays: exactly at the limit is accepted, one more is rejected at the
       bracket that opens level 6. */
    char *s = nested_arrays(5);
    json_decref(load_ok(s, &lim));
    free(s);
    s = nested_arrays(6);
    expect_load_fail(s, strlen(s), &lim, GM_ELIMIT,
                     "doc:1:6: nesting deeper than 5 levels of arrays and objects");
    free(s);

    /* Objects: {"k": is 5 characters, so level 6 opens at column 26. */
    s = nested_objects(5);
    json_decref(load_ok(s, &lim));
    free(s);
    s = nested_objects(6);
    expect_load_fail(s, strlen(s), &lim, GM_ELIMIT,
                     "doc:1:26: nesting deeper than 5 levels of arrays and objects");
    free(s);

    /* Mixed, over several lines. */
    FAILS("[{\"a\":\n  [{\"b\":\n    [[1]]}]}]", &lim, GM_ELIMIT,
          "doc:3:6: nesting deeper than 5 levels of arrays and objects");

    /* Brackets inside strings do not count, nor do escaped quotes end a
       string; an escaped backslash does not escape the closing quote. */
    json_decref(load_ok("[[[[[\"[[[[[[{{{{{\"]]]]]", &lim));
    json_decref(load_ok("[[[[[\"\\\"[[[[[[\\\"{{{{\"]]]]]", &lim));
    json_decref(load_ok("{\"[[[[[[\": [[[[\"]]]]]]]]\"]]]]}", &lim));
    FAILS("[[[[[\"\\\\\",[1]]]]]]", &lim, GM_ELIMIT,
          "doc:1:11: nesting deeper than 5 levels of arrays and objects");

    /* Closing brackets make room again. */
    json_decref(load_ok("[[[[[1]]]],[[[[2]]]],{\"a\":[[{}]]}]", &lim));

    /* Default limit 64. */
    s = nested_arrays(64);
    json_decref(load_ok(s, NULL));
    free(s);
    s = nested_arrays(65);
    expect_load_fail(s, strlen(s), NULL, GM_ELIMIT,
                     "doc:1:65: nesting deeper than 64 levels of arrays and objects");
    free(s);

    /* Hostile depth far beyond jansson's own recursion limit is stopped by
       the scan. */
    size_t big = 1000000;
    char *deep = malloc(big);
    assert_non_null(deep);
    memset(deep, '[', big);
    expect_load_fail(deep, big, NULL, GM_ELIMIT,
                     "doc:1:65: nesting deeper than 64 levels of arrays and objects");
    free(deep);

    /* Depth 0: scalars only. */
    gm_json_limits flat = {100, 0};
    json_decref(load_ok("\"[{\"", &flat));
    FAILS("[]", &flat, GM_ELIMIT, "doc:1:1: nesting deeper than 0 levels of arrays and objects");
}

static void test_size_limit(void **state)
{
    (void)state;
    gm_json_limits lim = {8, 64};
    json_t *v = load_ok("[1,2,34]", &lim); /* exactly 8 bytes */
    assert_int_equal(json_array_size(v), 3);
    json_decref(v);
    FAILS("[1,2,345]", &lim, GM_ELIMIT, "doc: document is 9 bytes, larger than the limit of 8");
    /* Size is checked before anything else, even syntax. */
    FAILS("not json!", &lim, GM_ELIMIT, "doc: document is 9 bytes, larger than the limit of 8");
    assert_true(gm_json_limits_default.max_bytes == (size_t)64 * 1024 * 1024);
    assert_int_equal(gm_json_limits_default.max_depth, 64);
}

static void test_load_file(void **state)
{
    (void)state;
    gm_err e;
    char buf[1024];

    /* Missing file. */
    gm_err_clear(&e);
    assert_null(gm_json_load_file("/tmp/gm_test_json_no_such_file.json", NULL, &e));
    assert_int_equal(e.code, GM_ENOENT);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "/tmp/gm_test_json_no_such_file.json: cannot open: No such file or directory");

    /* A directory opens but cannot be read. */
    assert_null(gm_json_load_file("/tmp", NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "/tmp: cannot read: Is a directory");

    /* A good file. */
    const char good[] = "{\"stations\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}\n";
    char *path = write_temp(good, sizeof good - 1);
    json_t *v = gm_json_load_file(path, NULL, &e);
    assert_non_null(v);
    assert_int_equal(json_array_size(json_object_get(v, "stations")), 2);
    json_decref(v);

    /* The same file with a limit of exactly its size, then one byte less. */
    gm_json_limits lim = {sizeof good - 1, 64};
    v = gm_json_load_file(path, &lim, &e);
    assert_non_null(v);
    json_decref(v);
    lim.max_bytes = sizeof good - 2;
    assert_null(gm_json_load_file(path, &lim, &e));
    assert_int_equal(e.code, GM_ELIMIT);
    char expect[512];
    snprintf(expect, sizeof expect, "%s: file is larger than the limit of %zu bytes", path,
             sizeof good - 2);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), expect);
    unlink(path);
    free(path);

    /* A large file above a small limit. */
    size_t n = 3 * 1024 * 1024;
    char *blob = malloc(n);
    assert_non_null(blob);
    memset(blob, ' ', n);
    blob[0] = '1';
    path = write_temp(blob, n);
    free(blob);
    lim.max_bytes = 1000;
    assert_null(gm_json_load_file(path, &lim, &e));
    assert_int_equal(e.code, GM_ELIMIT);
    v = gm_json_load_file(path, NULL, &e); /* fine under the default */
    assert_non_null(v);
    assert_int_equal(json_integer_value(v), 1);
    json_decref(v);
    unlink(path);
    free(path);

    /* An empty file and a syntax error both name the file and position. */
    path = write_temp("", 0);
    assert_null(gm_json_load_file(path, NULL, &e));
    snprintf(expect, sizeof expect, "%s:1:1: empty document (expected a JSON value)", path);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), expect);
    unlink(path);
    free(path);

    const char bad[] = "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n";
    path = write_temp(bad, sizeof bad - 1);
    assert_null(gm_json_load_file(path, NULL, &e));
    assert_int_equal(e.code, GM_EPARSE);
    snprintf(expect, sizeof expect, "%s:3:14: unexpected token near ','", path);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), expect);
    unlink(path);
    free(path);

    assert_null(gm_json_load_file(NULL, NULL, &e));
    assert_int_equal(e.code, GM_EINVAL);
}

static void test_type_name(void **state)
{
    (void)state;
    json_t *v = load_ok("[{}, [], \"s\", 1, 1.5, true, false, null]", NULL);
    const char *names[] = {"object", "array", "string", "integer",
                           "number", "boolean", "boolean", "null"};
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(gm_json_type_name(json_array_get(v, i)), names[i]);
    assert_string_equal(gm_json_type_name(NULL), "nothing");
    json_decref(v);
}

/* ------------------------------------------------------------------------ */
/* paths                                                                     */

static void test_paths(void **state)
{
    (void)state;
    char p[64];

    assert_int_equal(gm_json_path_key(p, sizeof p, "", "stations"), GM_OK);
    assert_string_equal(p, "stations");
    assert_int_equal(gm_json_path_key(p, sizeof p, NULL, "stations"), GM_OK);
    assert_string_equal(p, "stations");
    assert_int_equal(gm_json_path_index(p, sizeof p, "", 3), GM_OK);
    assert_string_equal(p, "[3]");

    /* Build in place: parent == out. */
    gm_json_path_key(p, sizeof p, "", "stations");
    gm_json_path_index(p, sizeof p, p, 2);
    gm_json_path_key(p, sizeof p, p, "service");
    gm_json_path_key(p, sizeof p, p, "mean");
    assert_string_equal(p, "stations[2].service.mean");

    static const struct {
        const char *key, *path;
    } cases[] = {
        {"my key", "s[0][\"my key\"]"},
        {"a.b", "s[0][\"a.b\"]"},
        {"", "s[0][\"\"]"},
        {"9lives", "s[0][\"9lives\"]"},
        {"say \"hi\"", "s[0][\"say \\\"hi\\\"\"]"},
        {"back\\slash", "s[0][\"back\\\\slash\"]"},
        {"tab\there\n", "s[0][\"tab\\there\\n\"]"},
        {"\x01\x7f", "s[0][\"\\u0001\\u007f\"]"},
        {"caf\xc3\xa9", "s[0][\"caf\xc3\xa9\"]"},
        {"bad\xff", "s[0][\"bad\\ufffd\"]"},
        {"a[0]", "s[0][\"a[0]\"]"},
        {"dtmi:x;1", "s[0][\"dtmi:x;1\"]"},
        /* plain identifiers */
        {"@type", "s[0].@type"},
        {"$ref", "s[0].$ref"},
        {"_x-y:z9", "s[0]._x-y:z9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(gm_json_path_key(p, sizeof p, "s[0]", cases[i].key), GM_OK);
        assert_string_equal(p, cases[i].path);
    }
    /* Quoted key at the root. */
    gm_json_path_key(p, sizeof p, "", "my key");
    assert_string_equal(p, "[\"my key\"]");
}

static void test_path_truncation(void **state)
{
    (void)state;
    char p[8];
    memset(p, 'x', sizeof p);
    assert_int_equal(gm_json_path_key(p, sizeof p, "abc", "defgh"), GM_ELIMIT);
    assert_string_equal(p, "abc.def");
    assert_int_equal(gm_json_path_key(p, 8, "", "1234567"), GM_ELIMIT); /* ["1234567"] */
    assert_string_equal(p, "[\"12345");
    /* An escape or a character is written whole or not at all. */
    assert_int_equal(gm_json_path_key(p, 8, "abcd", "\"x"), GM_ELIMIT); /* abcd["\"x"] */
    assert_string_equal(p, "abcd[\"");
    assert_int_equal(gm_json_path_key(p, 8, "", " \xe2\x82\xac\xe2\x82\xac"), GM_ELIMIT);
    assert_string_equal(p, "[\" \xe2\x82\xac");
    /* A long parent is cut on a character boundary. */
    assert_int_equal(gm_json_path_index(p, 8, "abcde\xe2\x82\xac", 1), GM_ELIMIT);
    assert_string_equal(p, "abcde");
    assert_int_equal(gm_json_path_index(p, 8, "abc", 12345), GM_ELIMIT);
    assert_string_equal(p, "abc");
    assert_int_equal(gm_json_path_index(p, 8, "ab", 123), GM_OK);
    assert_string_equal(p, "ab[123]");
    char one[1];
    assert_int_equal(gm_json_path_key(one, 1, "", "a"), GM_ELIMIT);
    assert_string_equal(one, "");
    assert_int_equal(gm_json_path_key(p, 0, "", "a"), GM_ELIMIT);
    assert_int_equal(gm_json_path_key(NULL, 8, "", "a"), GM_EINVAL);
    assert_int_equal(gm_json_path_key(p, 8, "", NULL), GM_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* unpack                                                                    */

static void test_unpack_kinds(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"name\": \"pump\", \"n\": -7, \"x\": 2, \"y\": 0.25, \"on\": true,"
                        " \"off\": false, \"cfg\": {\"a\": 1}, \"list\": [1, 2], \"any\": \"z\"}",
                        NULL);
    const char *name = NULL;
    int64_t n = 0;
    double x = 0, y = 0;
    bool on = false, off = true, have_name = false;
    const json_t *cfg = NULL, *list = NULL, *any = NULL;
    gm_json_field f[] = {
        GM_JF_P("name", GM_JK_STRING, GM_JF_REQUIRED, (void *)&name, &have_name),
        GM_JF("n", GM_JK_INT, GM_JF_REQUIRED, &n),
        GM_JF("x", GM_JK_NUMBER, 0, &x),
        GM_JF("y", GM_JK_NUMBER, 0, &y),
        GM_JF("on", GM_JK_BOOL, 0, &on),
        GM_JF("off", GM_JK_BOOL, 0, &off),
        GM_JF("cfg", GM_JK_OBJECT, 0, (void *)&cfg),
        GM_JF("list", GM_JK_ARRAY, 0, (void *)&list),
        GM_JF("any", GM_JK_ANY, 0, (void *)&any),
    };
    gm_err e;
    assert_int_equal(gm_json_unpack(o, "", f, sizeof f / sizeof f[0], 0, &e), GM_OK);
    assert_string_equal(name, "pump");
    assert_true(have_name);
    assert_int_equal(n, -7);
    assert_true(x == 2.0);
    assert_true(y == 0.25);
    assert_true(on);
    assert_false(off);
    assert_ptr_equal(cfg, json_object_get(o, "cfg"));
    assert_ptr_equal(list, json_object_get(o, "list"));
    assert_ptr_equal(any, json_object_get(o, "any"));

    /* out NULL: validate only. */
    gm_json_field v[] = {GM_JF("name", GM_JK_STRING, GM_JF_REQUIRED, NULL)};
    assert_int_equal(gm_json_unpack(o, "", v, 1, GM_JSON_ALLOW_EXTRA, &e), GM_OK);
    json_decref(o);
}

static void test_unpack_type_errors(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"s\": 1, \"i\": 2.0, \"j\": \"3\", \"d\": \"x\", \"b\": 1,"
                        " \"o\": [], \"a\": {}, \"n\": null, \"r\": 2.5}", NULL);
    char buf[512];
    static const struct {
        const char *key;
        gm_json_kind kind;
        unsigned flags;
        const char *msg;
    } cases[] = {
        {"s", GM_JK_STRING, 0, "obj.s: expected string, got integer"},
        {"i", GM_JK_INT, 0, "obj.i: expected integer, got number 2.0"},
        {"r", GM_JK_INT, GM_JF_NULLABLE, "obj.r: expected integer or null, got number 2.5"},
        {"j", GM_JK_INT, 0, "obj.j: expected integer, got string"},
        {"d", GM_JK_NUMBER, 0, "obj.d: expected number, got string"},
        {"d", GM_JK_NUMBER, GM_JF_NULLABLE, "obj.d: expected number or null, got string"},
        {"b", GM_JK_BOOL, 0, "obj.b: expected boolean, got integer"},
        {"o", GM_JK_OBJECT, 0, "obj.o: expected object, got array"},
        {"a", GM_JK_ARRAY, 0, "obj.a: expected array, got object"},
        {"n", GM_JK_NUMBER, 0, "obj.n: expected number, got null"},
        {"n", GM_JK_ANY, 0, "obj.n: expected a value, got null"},
        {"i", GM_JK_NUMBER, 0, "OK"},
        {"s", GM_JK_NUMBER, 0, "OK"},
        {"n", GM_JK_ANY, GM_JF_NULLABLE, "OK"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_json_field f[] = {GM_JF(cases[i].key, cases[i].kind, cases[i].flags, NULL)};
        assert_string_equal(unpack_msg(o, "obj", f, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf),
                            cases[i].msg);
    }
    json_decref(o);
}

static void test_unpack_int_bounds(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"zero\": 0, \"one\": 1, \"ten\": 10, \"max\": 9223372036854775807,"
                        " \"min\": -9223372036854775808, \"p53\": 9007199254740993}", NULL);
    char buf[512];
    static const struct {
        const char *key;
        unsigned flags;
        double min, max;
        const char *msg;
    } cases[] = {
        {"zero", GM_JF_MIN, 1, 0, "o.zero: expected integer >= 1, got 0"},
        {"one", GM_JF_MIN, 1, 0, "OK"},
        {"zero", GM_JF_MIN | GM_JF_MIN_EXCL, 0, 0, "o.zero: expected integer > 0, got 0"},
        {"one", GM_JF_MIN | GM_JF_MIN_EXCL, 0, 0, "OK"},
        {"ten", GM_JF_MAX, 0, 9, "o.ten: expected integer <= 9, got 10"},
        {"ten", GM_JF_MAX, 0, 10, "OK"},
        {"ten", GM_JF_MIN | GM_JF_MAX, 1, 9, "o.ten: expected integer in [1, 9], got 10"},
        {"zero", GM_JF_MIN | GM_JF_MIN_EXCL | GM_JF_MAX, 0, 9,
         "o.zero: expected integer in (0, 9], got 0"},
        /* Fractional bounds. */
        {"zero", GM_JF_MIN, 0.5, 0, "o.zero: expected integer >= 0.5, got 0"},
        {"one", GM_JF_MIN, 0.5, 0, "OK"},
        {"one", GM_JF_MAX, 0, 0.5, "o.one: expected integer <= 0.5, got 1"},
        {"one", GM_JF_MIN | GM_JF_MIN_EXCL, 0.999, 0, "OK"},
        /* int64 extremes: bounds at +-2^63 (the doubles nearest INT64_MAX/MIN). */
        {"max", GM_JF_MAX, 0, 9223372036854775807.0, "OK"},
        {"max", GM_JF_MIN | GM_JF_MAX, -9223372036854775808.0, 9223372036854775807.0, "OK"},
        {"min", GM_JF_MIN, -9223372036854775808.0, 0, "OK"},
        {"min", GM_JF_MIN | GM_JF_MIN_EXCL, -9223372036854775808.0, 0,
         "o.min: expected integer > -9223372036854775808, got -9223372036854775808"},
        {"max", GM_JF_MAX, 0, 9223372036854774784.0, /* largest double below 2^63 */
         "o.max: expected integer <= 9223372036854774784, got 9223372036854775807"},
        {"max", GM_JF_MAX, 0, (double)INFINITY, "OK"},
        {"min", GM_JF_MIN, -(double)INFINITY, 0, "OK"},
        {"min", GM_JF_MAX, 0, -1e300, "o.min: expected integer <= -1e+300, got -9223372036854775808"},
        /* 2^53 + 1 is not a double: converting the value would wrongly pass. */
        {"p53", GM_JF_MAX, 0, 9007199254740992.0,
         "o.p53: expected integer <= 9007199254740992, got 9007199254740993"},
        {"p53", GM_JF_MIN | GM_JF_MIN_EXCL, 9007199254740992.0, 0, "OK"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t out = 42;
        gm_json_field f[] = {GM_JF_RANGE(cases[i].key, GM_JK_INT, cases[i].flags, &out,
                                         cases[i].min, cases[i].max)};
        const char *got = unpack_msg(o, "o", f, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf);
        if (strcmp(got, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].msg);
        if (strcmp(got, "OK") == 0)
            assert_int_equal(out, json_integer_value(json_object_get(o, cases[i].key)));
        else
            assert_int_equal(out, 42);
    }
    int64_t big = 0;
    gm_json_field f[] = {GM_JF("max", GM_JK_INT, 0, &big), GM_JF("min", GM_JK_INT, 0, NULL)};
    assert_int_equal(gm_json_unpack(o, "", f, 2, GM_JSON_ALLOW_EXTRA, NULL), GM_OK);
    assert_true(big == INT64_MAX);
    json_decref(o);
}

static void test_unpack_number_bounds(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"zero\": 0, \"neg\": -1.5, \"half\": 0.5, \"tiny\": 1e-300,"
                        " \"one\": 1.0}", NULL);
    char buf[512];
    static const struct {
        const char *key;
        unsigned flags;
        double min, max;
        const char *msg;
    } cases[] = {
        {"zero", GM_JF_MIN | GM_JF_MIN_EXCL, 0, 0, "o.zero: expected number > 0, got 0"},
        {"neg", GM_JF_MIN, 0, 0, "o.neg: expected number >= 0, got -1.5"},
        {"tiny", GM_JF_MIN | GM_JF_MIN_EXCL, 0, 0, "OK"},
        {"half", GM_JF_MIN | GM_JF_MAX, 0, 1, "OK"},
        {"one", GM_JF_MIN | GM_JF_MIN_EXCL | GM_JF_MAX, 0, 1, "OK"},
        {"half", GM_JF_MIN | GM_JF_MIN_EXCL | GM_JF_MAX, 0.5, 1,
         "o.half: expected number in (0.5, 1], got 0.5"},
        {"one", GM_JF_MAX, 0, 0.1, "o.one: expected number <= 0.1, got 1"},
        {"neg", GM_JF_MIN | GM_JF_MAX, -1, 1, "o.neg: expected number in [-1, 1], got -1.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double out = 42;
        gm_json_field f[] = {GM_JF_RANGE(cases[i].key, GM_JK_NUMBER, cases[i].flags, &out,
                                         cases[i].min, cases[i].max)};
        const char *got = unpack_msg(o, "o", f, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf);
        if (strcmp(got, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].msg);
        if (strcmp(got, "OK") == 0)
            assert_true(out == json_number_value(json_object_get(o, cases[i].key)));
        else
            assert_true(out == 42);
    }
    json_decref(o);
}

static void test_unpack_lengths(void **state)
{
    (void)state;
    /* "h\u00e9llo" is 5 code points in 6 bytes; lengths count code points. */
    json_t *o = load_ok("{\"s\": \"h\xc3\xa9llo\", \"e\": \"\", \"a\": [1, 2, 3], \"o\": {\"k\": 1},"
                        " \"emoji\": \"\xf0\x9f\x98\x80\"}", NULL);
    char buf[512];
    static const struct {
        const char *key;
        gm_json_kind kind;
        unsigned flags;
        double min, max;
        const char *msg;
    } cases[] = {
        {"s", GM_JK_STRING, GM_JF_MAX, 0, 5, "OK"},
        {"s", GM_JK_STRING, GM_JF_MAX, 0, 4, "o.s: expected string of length <= 4, got length 5"},
        {"s", GM_JK_STRING, GM_JF_MIN | GM_JF_MAX, 5, 5, "OK"},
        {"e", GM_JK_STRING, GM_JF_MIN, 1, 0, "o.e: expected string of length >= 1, got length 0"},
        {"emoji", GM_JK_STRING, GM_JF_MIN | GM_JF_MAX, 1, 1, "OK"},
        {"a", GM_JK_ARRAY, GM_JF_MAX, 0, 2, "o.a: expected array of size <= 2, got size 3"},
        {"a", GM_JK_ARRAY, GM_JF_MIN | GM_JF_MIN_EXCL, 2, 0, "OK"},
        {"a", GM_JK_ARRAY, GM_JF_MIN | GM_JF_MAX, 4, 8,
         "o.a: expected array of size in [4, 8], got size 3"},
        {"o", GM_JK_OBJECT, GM_JF_MIN, 1, 0, "OK"},
        {"o", GM_JK_OBJECT, GM_JF_MIN, 2, 0, "o.o: expected object of size >= 2, got size 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gm_json_field f[] = {GM_JF_RANGE(cases[i].key, cases[i].kind, cases[i].flags, NULL,
                                         cases[i].min, cases[i].max)};
        const char *got = unpack_msg(o, "o", f, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf);
        if (strcmp(got, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].msg);
    }
    json_decref(o);
}

static void test_nullable_present(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"sd\": null, \"mean\": 3, \"name\": null}", NULL);
    double sd = -1, mean = -1, cap = -1;
    const char *name = "keep";
    bool have_sd = true, have_mean = false, have_cap = true, have_name = true;
    gm_json_field f[] = {
        GM_JF_FULL("sd", GM_JK_NUMBER, GM_JF_NULLABLE | GM_JF_MIN, &sd, &have_sd, 0, 0),
        GM_JF_P("mean", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_NULLABLE, &mean, &have_mean),
        GM_JF_P("cap", GM_JK_NUMBER, 0, &cap, &have_cap),
        GM_JF_P("name", GM_JK_STRING, GM_JF_REQUIRED | GM_JF_NULLABLE, (void *)&name,
                &have_name),
    };
    gm_err e;
    assert_int_equal(gm_json_unpack(o, "", f, 4, 0, &e), GM_OK);
    /* null: out untouched, present false (even though "name" is required). */
    assert_true(sd == -1);
    assert_false(have_sd);
    assert_string_equal(name, "keep");
    assert_false(have_name);
    /* present and non-null */
    assert_true(mean == 3);
    assert_true(have_mean);
    /* absent */
    assert_true(cap == -1);
    assert_false(have_cap);

    /* Without NULLABLE, null is a type error; a required nullable field must
       still be present. */
    char buf[256];
    gm_json_field g[] = {GM_JF("sd", GM_JK_NUMBER, 0, NULL)};
    assert_string_equal(unpack_msg(o, "", g, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf),
                        "sd: expected number, got null");
    gm_json_field h[] = {GM_JF("cap", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_NULLABLE, NULL)};
    assert_string_equal(unpack_msg(o, "", h, 1, GM_JSON_ALLOW_EXTRA, buf, sizeof buf),
                        "cap: missing required field (number or null)");
    json_decref(o);
}

static void test_all_or_nothing(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"a\": \"x\", \"b\": 5, \"c\": 1.5, \"d\": true, \"e\": {}, \"f\": 0}",
                        NULL);
    const char *a = "sentinel";
    int64_t b = -1;
    double c = -1;
    bool d = false, pa = false, pb = false, pf = true;
    const json_t *ev = NULL;
    int64_t fv = 99;
    gm_json_field f[] = {
        GM_JF_P("a", GM_JK_STRING, GM_JF_REQUIRED, (void *)&a, &pa),
        GM_JF_P("b", GM_JK_INT, GM_JF_REQUIRED, &b, &pb),
        GM_JF("c", GM_JK_NUMBER, 0, &c),
        GM_JF("d", GM_JK_BOOL, 0, &d),
        GM_JF("e", GM_JK_OBJECT, 0, (void *)&ev),
        GM_JF_FULL("f", GM_JK_INT, GM_JF_MIN, &fv, &pf, 1, 0), /* last field fails */
    };
    gm_err e;
    char buf[256];
    assert_int_equal(gm_json_unpack(o, "cfg", f, 6, 0, &e), GM_EINVAL);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "cfg.f: expected integer >= 1, got 0");
    assert_string_equal(a, "sentinel");
    assert_int_equal(b, -1);
    assert_true(c == -1);
    assert_false(d);
    assert_null(ev);
    assert_int_equal(fv, 99);
    assert_false(pa);
    assert_false(pb);
    assert_true(pf);

    /* An unknown key also leaves everything untouched. */
    gm_json_field g[] = {
        GM_JF_P("a", GM_JK_STRING, GM_JF_REQUIRED, (void *)&a, &pa),
        GM_JF_P("b", GM_JK_INT, GM_JF_REQUIRED, &b, &pb),
    };
    assert_int_equal(gm_json_unpack(o, "cfg", g, 2, 0, &e), GM_EINVAL);
    assert_string_equal(a, "sentinel");
    assert_false(pa);

    /* Once valid, everything is written. */
    assert_int_equal(gm_json_unpack(o, "cfg", g, 2, GM_JSON_ALLOW_EXTRA, &e), GM_OK);
    assert_string_equal(a, "x");
    assert_int_equal(b, 5);
    assert_true(pa && pb);
    json_decref(o);
}

static void test_unknown_and_missing(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"dist\": \"exp\", \"maen\": 2, \"sd\": 1}", NULL);
    char buf[512];
    /* Table order mean, sd, dist; the list is sorted. */
    gm_json_field f[] = {
        GM_JF("mean", GM_JK_NUMBER, GM_JF_REQUIRED, NULL),
        GM_JF("sd", GM_JK_NUMBER, 0, NULL),
        GM_JF("dist", GM_JK_STRING, GM_JF_REQUIRED, NULL),
    };
    assert_string_equal(unpack_msg(o, "stations[0].service", f, 3, 0, buf, sizeof buf),
                        "stations[0].service.maen: unknown field; expected one of: dist, mean, sd");
    /* With extras allowed the missing field is what is left. */
    assert_string_equal(unpack_msg(o, "stations[0].service", f, 3, GM_JSON_ALLOW_EXTRA, buf,
                                   sizeof buf),
                        "stations[0].service.mean: missing required field (number)");
    /* At the root the path has no leading dot. */
    assert_string_equal(unpack_msg(o, "", f, 3, GM_JSON_ALLOW_EXTRA, buf, sizeof buf),
                        "mean: missing required field (number)");
    json_decref(o);

    /* Odd unknown keys are quoted in the location. */
    o = load_ok("{\"my key\": 1}", NULL);
    assert_string_equal(unpack_msg(o, "s[1]", f, 3, 0, buf, sizeof buf),
                        "s[1][\"my key\"]: unknown field; expected one of: dist, mean, sd");
    assert_string_equal(unpack_msg(o, "", NULL, 0, 0, buf, sizeof buf),
                        "[\"my key\"]: unknown field; this object takes no fields");
    json_decref(o);

    /* An empty object passes an empty strict table. */
    o = load_ok("{}", NULL);
    assert_string_equal(unpack_msg(o, "", NULL, 0, 0, buf, sizeof buf), "OK");
    json_decref(o);
}

static void test_not_object(void **state)
{
    (void)state;
    char buf[256];
    gm_json_field f[] = {GM_JF("a", GM_JK_ANY, 0, NULL)};
    json_t *v = load_ok("[1]", NULL);
    assert_string_equal(unpack_msg(v, "stations[2].service", f, 1, 0, buf, sizeof buf),
                        "stations[2].service: expected object, got array");
    /* The root value has the empty path: only the message remains, and a
       caller adds the document name with gm_err_prefix. */
    gm_err e;
    assert_int_equal(gm_json_unpack(v, "", f, 1, 0, &e), GM_EINVAL);
    assert_string_equal(gm_err_format(&e, buf, sizeof buf), "expected object, got array");
    gm_err_prefix(&e, "model.json");
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "model.json: expected object, got array");
    assert_string_equal(unpack_msg(NULL, NULL, f, 1, 0, buf, sizeof buf),
                        "expected object, got nothing");
    json_decref(v);
}

/* The brief's example, unpacked level by level. */
static void test_nested_path_message(void **state)
{
    (void)state;
    json_t *root = load_ok("{\"stations\":[{},{},{\"service\":{\"mean\":\"x\"}}]}", NULL);
    gm_err e;
    gm_err_clear(&e);
    const json_t *stations = NULL;
    gm_json_field rf[] = {GM_JF("stations", GM_JK_ARRAY, GM_JF_REQUIRED, (void *)&stations)};
    assert_int_equal(gm_json_unpack(root, "", rf, 1, 0, &e), GM_OK);

    char sp[GM_ERR_WHERE_MAX];
    assert_int_equal(gm_json_path_key(sp, sizeof sp, "", "stations"), GM_OK);
    int rc = GM_OK;
    for (size_t i = 0; i < json_array_size(stations) && rc == GM_OK; i++) {
        char ip[GM_ERR_WHERE_MAX];
        assert_int_equal(gm_json_path_index(ip, sizeof ip, sp, i), GM_OK);
        const json_t *service = NULL;
        bool has_service = false;
        gm_json_field sf[] = {
            GM_JF_P("service", GM_JK_OBJECT, 0, (void *)&service, &has_service)};
        rc = gm_json_unpack(json_array_get(stations, i), ip, sf, 1, 0, &e);
        assert_int_equal(rc, GM_OK);
        if (!has_service)
            continue;
        char vp[GM_ERR_WHERE_MAX];
        assert_int_equal(gm_json_path_key(vp, sizeof vp, ip, "service"), GM_OK);
        double mean = 0;
        gm_json_field mf[] = {
            GM_JF_RANGE("mean", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MIN_EXCL,
                        &mean, 0, 0)};
        rc = gm_json_unpack(service, vp, mf, 1, 0, &e);
        assert_int_equal(i, 2);
    }
    assert_int_equal(rc, GM_EINVAL);
    char buf[512];
    assert_string_equal(gm_err_format(&e, buf, sizeof buf),
                        "stations[2].service.mean: expected number, got string");
    json_decref(root);
}

static void test_bad_table(void **state)
{
    (void)state;
    json_t *o = load_ok("{\"a\": true}", NULL);
    char buf[256];
    gm_json_field t1[] = {GM_JF_RANGE("a", GM_JK_BOOL, GM_JF_MIN, NULL, 0, 0)};
    assert_string_equal(unpack_msg(o, "", t1, 1, 0, buf, sizeof buf),
                        "a: invalid field table: bounds on a boolean field");
    gm_json_field t2[] = {GM_JF("a", GM_JK_NUMBER, GM_JF_MIN_EXCL, NULL)};
    assert_string_equal(unpack_msg(o, "x", t2, 1, 0, buf, sizeof buf),
                        "x.a: invalid field table: GM_JF_MIN_EXCL without GM_JF_MIN");
    gm_json_field t3[] = {GM_JF_RANGE("a", GM_JK_NUMBER, GM_JF_MAX, NULL, 0, NAN)};
    assert_string_equal(unpack_msg(o, "", t3, 1, 0, buf, sizeof buf),
                        "a: invalid field table: NaN bound");
    gm_json_field t4[] = {GM_JF("a", GM_JK_BOOL, 0, NULL), GM_JF("a", GM_JK_ANY, 0, NULL)};
    assert_string_equal(unpack_msg(o, "", t4, 2, 0, buf, sizeof buf),
                        "a: invalid field table: key listed twice");
    gm_json_field t5[] = {GM_JF(NULL, GM_JK_BOOL, 0, NULL)};
    assert_string_equal(unpack_msg(o, "x", t5, 1, 0, buf, sizeof buf),
                        "x: invalid field table: entry 0 has no key");
    gm_json_field t6[] = {GM_JF("a", GM_JK_BOOL, 1u << 9, NULL)};
    assert_string_equal(unpack_msg(o, "", t6, 1, 0, buf, sizeof buf),
                        "a: invalid field table: unknown flags 0x200");
    gm_json_field ok[] = {GM_JF("a", GM_JK_BOOL, 0, NULL)};
    assert_string_equal(unpack_msg(o, "", ok, 1, 1u << 5, buf, sizeof buf),
                        "invalid field table: unknown flags 0x20");
    assert_int_equal(gm_json_unpack(o, "", NULL, 1, 0, NULL), GM_EINVAL);
    json_decref(o);
}

/* ---- writing ---- */

static char *written(const json_t *v)
{
    gm_sb sb = GM_SB_INIT;
    assert_int_equal(gm_json_write(&sb, v), 0);
    char *t = gm_sb_take(&sb);
    assert_non_null(t);
    return t;
}

static void expect_real(double x, const char *text)
{
    gm_sb sb = GM_SB_INIT;
    assert_int_equal(gm_json_write_real(&sb, x), 0);
    assert_string_equal(gm_sb_str(&sb), text);
    gm_sb_free(&sb);
}

/*
 * Python 3.11's repr() of these doubles: the shortest decimal that reads back
 * as the same double, the nearest to it among those, laid out positionally
 * for exponents -4 to 15 and as 1e+300 beyond. Computed outside gemel with
 *   import struct, random; random.seed(18)
 *   bits = lambda x: struct.unpack('<Q', struct.pack('<d', x))[0]
 *   print('{0x%016xULL, "%s"},' % (bits(x), repr(x)))
 * over hand-picked values, powers of two 2^e for e = -1074, -1037, ... (the
 * gap below them is half the gap above), random bit patterns, random
 * magnitudes and random short decimals, and the powers of two whose nearest
 * 16-digit decimal does not read back while another 16-digit one does.
 */
static const struct {
    uint64_t bits;
    const char *repr;
} python_repr[] = {
    {0x7e37e43c8800759cULL, "1e+300"},
    {0x3e7ad7f29abcaf48ULL, "1e-07"},
    {0x3ee4f8b588e368f1ULL, "1e-05"},
    {0x3f1a36e2eb1c432dULL, "0.0001"},
    {0x3f0a36e2eb1c432dULL, "5e-05"},
    {0x430c6bf526340000ULL, "1000000000000000.0"},
    {0x4341c37937e08000ULL, "1e+16"},
    {0x4480f0cf064dd592ULL, "1e+22"},
    {0x44b52d02c7e14af6ULL, "1e+23"},
    {0x3fd3333333333334ULL, "0.30000000000000004"},
    {0x0000000000000001ULL, "5e-324"},
    {0x0000000000000002ULL, "1e-323"},
    {0x0010000000000000ULL, "2.2250738585072014e-308"},
    {0x000fffffffffffffULL, "2.225073858507201e-308"},
    {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
    {0x4340000000000000ULL, "9007199254740992.0"},
    {0x0028000000000000ULL, "6.675221575521604e-308"},
    {0x43b0000000000000ULL, "1.152921504606847e+18"},
    {0x3d30000000000000ULL, "5.684341886080802e-14"},
    {0x4580000000000000ULL, "6.189700196426902e+26"},
    {0x7c90000000000000ULL, "9.9792015476736e+291"},
    {0x437b69b4ba630f35ULL, "1.2345678901234568e+17"},
    {0x43118b54f22aeb00ULL, "1234567890123456.0"},
    {0x3fd3333333333333ULL, "0.3"},
    {0x3fe5555555555555ULL, "0.6666666666666666"},
    {0x3fd5555555555555ULL, "0.3333333333333333"},
    {0x4059000000000000ULL, "100.0"},
    {0x444b1ae4d6e2ef50ULL, "1e+21"},
    {0x4011666666666666ULL, "4.35"},
    {0x3ff0147ae147ae14ULL, "1.005"},
    {0x41b1de784a000000ULL, "299792458.0"},
    {0x44dfe185ca57c517ULL, "6.02214076e+23"},
    {0x3c07a4da290c1653ULL, "1.602176634e-19"},
    {0x3eb0000000000000ULL, "9.5367431640625e-07"},
    {0x00005c0ab9347ed7ULL, "5e-310"},
    {0x006bbdff3a920287ULL, "1.2345678e-306"},
    {0x000000000000000aULL, "5e-323"},
    {0x0000002000000000ULL, "6.7903865311e-313"},
    {0x0170000000000000ULL, "9.332636185032189e-302"},
    {0x03c0000000000000ULL, "1.2826677504057426e-290"},
    {0x0610000000000000ULL, "1.7628851326804976e-279"},
    {0x0860000000000000ULL, "2.4228908772695546e-268"},
    {0x0ab0000000000000ULL, "3.329995865487836e-257"},
    {0x0d00000000000000ULL, "4.5767114681873503e-246"},
    {0x0f50000000000000ULL, "6.290184345309701e-235"},
    {0x11a0000000000000ULL, "8.645163535653227e-224"},
    {0x13f0000000000000ULL, "1.188182228934475e-212"},
    {0x1640000000000000ULL, "1.6330252207878255e-201"},
    {0x1890000000000000ULL, "2.2444127733846047e-190"},
    {0x1ae0000000000000ULL, "3.084697427331692e-179"},
    {0x1d30000000000000ULL, "4.239575861902385e-168"},
    {0x1f80000000000000ULL, "5.826828696250162e-157"},
    {0x21d0000000000000ULL, "8.008332380732404e-146"},
    {0x2420000000000000ULL, "1.1006568214637918e-134"},
    {0x2670000000000000ULL, "1.512731216738015e-123"},
    {0x28c0000000000000ULL, "2.07908195312898e-112"},
    {0x2b10000000000000ULL, "2.8574684782056875e-101"},
    {0x2d60000000000000ULL, "3.9272747722381812e-90"},
    {0x2fb0000000000000ULL, "5.397605346934028e-79"},
    {0x3200000000000000ULL, "7.418412301374843e-68"},
    {0x3450000000000000ULL, "1.0195788231247695e-56"},
    {0x36a0000000000000ULL, "1.401298464324817e-45"},
    {0x38f0000000000000ULL, "1.925929944387236e-34"},
    {0x3b40000000000000ULL, "2.6469779601696886e-23"},
    {0x3d90000000000000ULL, "3.637978807091713e-12"},
    {0x3fe0000000000000ULL, "0.5"},
    {0x4230000000000000ULL, "68719476736.0"},
    {0x4480000000000000ULL, "9.44473296573929e+21"},
    {0x46d0000000000000ULL, "1.298074214633707e+33"},
    {0x4920000000000000ULL, "1.78405961588245e+44"},
    {0x4b70000000000000ULL, "2.4519928653854222e+55"},
    {0x4dc0000000000000ULL, "3.36999333339383e+66"},
    {0x5010000000000000ULL, "4.631683569492648e+77"},
    {0x5260000000000000ULL, "6.365737426045269e+88"},
    {0x54b0000000000000ULL, "8.749002899132048e+99"},
    {0x5700000000000000ULL, "1.2024538023802026e+111"},
    {0x5950000000000000ULL, "1.6526399219756215e+122"},
    {0x5ba0000000000000ULL, "2.2713710134237715e+133"},
    {0x5df0000000000000ULL, "3.1217485503159922e+144"},
    {0x6040000000000000ULL, "4.290498537581631e+155"},
    {0x6290000000000000ULL, "5.896816288783659e+166"},
    {0x64e0000000000000ULL, "8.10452259547069e+177"},
    {0x6730000000000000ULL, "1.1138771039116688e+189"},
    {0x6980000000000000ULL, "1.5309010345804195e+200"},
    {0x6bd0000000000000ULL, "2.1040543606193494e+211"},
    {0x6e20000000000000ULL, "2.891790293717215e+222"},
    {0x7070000000000000ULL, "3.974446316289815e+233"},
    {0x72c0000000000000ULL, "5.462437423415177e+244"},
    {0x7510000000000000ULL, "7.5075168288047e+255"},
    {0x7760000000000000ULL, "1.0318252561243462e+267"},
    {0x79b0000000000000ULL, "1.418129833677085e+278"},
    {0x7c00000000000000ULL, "1.94906280228e+289"},
    {0x7e50000000000000ULL, "2.6787715179656683e+300"},
    {0x0fb86aee2e675fc7ULL, "6.143672580907663e-233"},
    {0x39731d63a9538322ULL, "5.890203116973621e-32"},
    {0x1ea7d04255a5b465ULL, "5.293169256529841e-161"},
    {0x79d847b432ac2b62ULL, "8.608081186857985e+278"},
    {0x506874da7d50e092ULL, "2.2654915757520867e+79"},
    {0x176bb2597e790e8bULL, "7.410380606886194e-196"},
    {0x25d20b807ad25f92ULL, "1.66608445423799e-126"},
    {0x71844e3d75553000ULL, "6.611240353210924e+238"},
    {0x191a649e43b84218ULL, "9.47790014980935e-188"},
    {0x731a160e40f91904ULL, "2.849879785634967e+246"},
    {0x0f1a9f94b11f0de6ULL, "6.5416351053342825e-236"},
    {0x42d45dcd530e60cbULL, "89572437145987.17"},
    {0x6197ca92acc10a6cULL, "1.3379376296268822e+162"},
    {0x16508376c9843faaULL, "3.370876636826588e-201"},
    {0x7bcb77b7ddae9b60ULL, "2.091256779646702e+288"},
    {0x67d17cfaf1abd893ULL, "1.2467014488158402e+192"},
    {0x15a2b6c83c0bfc13ULL, "1.8652601491864217e-204"},
    {0x19a0fef33cc60842ULL, "3.1249049869516086e-185"},
    {0x2ec9dfbcbc1d8977ULL, "2.663755385020871e-83"},
    {0x40fdac499356cc2eULL, "121540.5984714485"},
    {0x67bee94133adb83cULL, "5.5089957637264334e+191"},
    {0x722537e4ad7785adULL, "7.074207565401575e+241"},
    {0x60c7eb1fdf8d53b0ULL, "1.6419535458521105e+158"},
    {0x3f306f98d5f61954ULL, "0.0002507923254245943"},
    {0x5baf67da3752145cULL, "4.458371022611086e+133"},
    {0x21eb62254c87f36aULL, "2.7411902731994154e-145"},
    {0x2bdf065f01b4a96cULL, "2.269507511697419e-97"},
    {0x33e3f759f9c6245aULL, "9.940005710238165e-59"},
    {0x62ca2abd386eca73ULL, "7.715084782987811e+167"},
    {0x33f56ff8ba23814cULL, "2.134483190662505e-58"},
    {0x2c46f89189b3a309ULL, "2.150853010413675e-95"},
    {0x495edcc797ed2981ULL, "2.753019907987067e+45"},
    {0x22d5c30a86d827ecULL, "7.138359839389007e-141"},
    {0x22816f9bd355dd53ULL, "1.7873031017426912e-142"},
    {0x5ab7a4c1999505b9ULL, "1.0243099255077411e+129"},
    {0x46a3051b4d9dc8f8ULL, "1.9288518660481255e+32"},
    {0x2402842e1d658320ULL, "3.1843942881571234e-135"},
    {0x48b0c8af7a373571ULL, "1.4620862977715973e+42"},
    {0x4018cbfcec46ac5cULL, "6.1992070119987055"},
    {0x3f7e0303252bfa45ULL, "0.007327091489740816"},
    {0x65a4a61aaf164bb5ULL, "4.284135120741463e+181"},
    {0x658a517fa1908d8aULL, "1.3651052327154614e+181"},
    {0x184cf8452906e32cULL, "1.2699258019904935e-191"},
    {0x52d907d934f351cfULL, "1.2747087746577607e+91"},
    {0x673fd1aaafadd3efULL, "2.2151542190645608e+189"},
    {0x10d0ad3b6fde6870ULL, "1.099950383033661e-227"},
    {0x41b9b7016831c2e8ULL, "431423848.1943803"},
    {0x4970528e7af79dcaULL, "5.824057826728164e+45"},
    {0x74c6964b19e9ae0dULL, "3.3119708816854747e+254"},
    {0x19c22962b460a8eaULL, "1.3356979648159404e-184"},
    {0x213449d896a00a92ULL, "9.916793224716405e-149"},
    {0x6c0a200688c22115ULL, "2.7484314977082134e+212"},
    {0x6535a87256f25271ULL, "3.510554145841632e+179"},
    {0x6a9ef840cfc41a9aULL, "3.8839587138443278e+205"},
    {0x54205292d2ef67a9ULL, "1.7432380646688758e+97"},
    {0x3c1315718b7c227bULL, "2.58633227235889e-19"},
    {0x3eef2eb516b40cf9ULL, "1.4868951174756914e-05"},
    {0x3d20a9a925dd8d1bULL, "2.959896726350189e-14"},
    {0x3ea7ef9126f5d760ULL, "7.133426844069348e-07"},
    {0x1ff1d1bd142f0372ULL, "8.306396661407953e-155"},
    {0x42cd7b4ece865886ULL, "64830880681137.05"},
    {0x43fe919129274e26ULL, "3.5243220779200045e+19"},
    {0x436177817c18424cULL, "3.93317809642584e+16"},
    {0x429dc29edd38d030ULL, "8180431539764.047"},
    {0x3cfc6b77e327a0ddULL, "6.3104628379172525e-15"},
    {0x3ccbd9cf89154011ULL, "7.730156234597714e-16"},
    {0x40e75bdeb979cfe1ULL, "47838.96014109231"},
    {0x4106236e5efd00ceULL, "181357.7963810027"},
    {0x40c93e56b2ed04caULL, "12924.677335383738"},
    {0x40853f83d19de009ULL, "679.9393646558757"},
    {0x3ff6f6fca6b637e8ULL, "1.4352995407275504"},
    {0x43d955cf912779daULL, "7.302373785232435e+18"},
    {0x3d5535c453927a26ULL, "3.01412611548047e-13"},
    {0x42c3bb536aeaa9bbULL, "43390558655827.46"},
    {0x433eae1f572805d6ULL, "8635698930779606.0"},
    {0x3dc749b675a009ddULL, "4.236051674636599e-11"},
    {0x415779bf27e0c3feULL, "6153980.623093603"},
    {0x4294c4b746611d33ULL, "5708780247111.3"},
    {0x41c0a63dc93b9ff1ULL, "558660498.4658185"},
    {0x3bb9e718f4ff6a4aULL, "5.4851152823274685e-21"},
    {0x3f142671c976df36ULL, "7.686681271123767e-05"},
    {0x40e49af8a53a9b55ULL, "42199.770169547446"},
    {0x42fb439a85169469ULL, "479634706753862.56"},
    {0x411ccec204c9c6b1ULL, "471984.5046759649"},
    {0x3da2636fb2b473c4ULL, "8.362086704086101e-12"},
    {0x3deeede9217e9bf9ULL, "2.2504055628293541e-10"},
    {0x4414c40fa6be184fULL, "9.576564384141435e+19"},
    {0x3c4b6259640ae92aULL, "2.968998364785638e-18"},
    {0x3ccc19a8a1a881dfULL, "7.799380408775029e-16"},
    {0x42d5260f2716dfb6ULL, "93012828642174.84"},
    {0x407d7ec96aad1d04ULL, "471.924174"},
    {0x4047b33333333333ULL, "47.4"},
    {0xc07db00000000000ULL, "-475.0"},
    {0xc0850cb67a0f9097ULL, "-673.5891"},
    {0x4078d4b215fcc187ULL, "397.293478"},
    {0xc080d5ae147ae148ULL, "-538.71"},
    {0xc0889af5c28f5c29ULL, "-787.37"},
    {0xc08b366666666666ULL, "-870.8"},
    {0xc089b30a3d70a3d7ULL, "-822.38"},
    {0x408b4d6d330941c8ULL, "873.67832"},
    {0xc084932e1ef73c0cULL, "-658.39752"},
    {0xc067057dbf487fccULL, "-184.1716"},
    {0xc066aad916872b02ULL, "-181.339"},
    {0x408ef80000000000ULL, "991.0"},
    {0xc07c595810624dd3ULL, "-453.584"},
    {0x4082e80000000000ULL, "605.0"},
    {0x40604322d0e56042ULL, "130.098"},
    {0xc07c500000000000ULL, "-453.0"},
    {0xc07afdeb851eb852ULL, "-431.87"},
    {0xc086ba43126e978dULL, "-727.28275"},
    {0x0060000000000000ULL, "7.120236347223045e-307"},
    {0x0100000000000000ULL, "7.291122019556398e-304"},
    {0x0420000000000000ULL, "8.209073602596753e-289"},
    {0x0660000000000000ULL, "5.641232424577593e-278"},
    {0x0d70000000000000ULL, "5.858190679279809e-244"},
    {0x0e80000000000000ULL, "7.678447687145631e-239"},
    {0x0eb0000000000000ULL, "6.142758149716505e-238"},
};

static void test_write_reals(void **state)
{
    (void)state;
    expect_real(15.1, "15.1");
    expect_real(20.0, "20.0");
    expect_real(-0.0, "-0.0");
    expect_real(0.0, "0.0");
    expect_real(-3.25, "-3.25");
    expect_real(0.001, "0.001");
    expect_real(123456.789, "123456.789");
    expect_real(9007199254740993.0, "9007199254740992.0"); /* not representable: the double */
    for (size_t i = 0; i < sizeof python_repr / sizeof python_repr[0]; i++) {
        double d;
        memcpy(&d, &python_repr[i].bits, sizeof d);
        expect_real(d, python_repr[i].repr);
        /* the sign only adds or takes off a minus */
        const char *r = python_repr[i].repr;
        char neg[48];
        snprintf(neg, sizeof neg, "-%s", r);
        expect_real(-d, r[0] == '-' ? r + 1 : neg);
    }
    gm_sb sb = GM_SB_INIT;
    assert_int_equal(gm_json_write_real(&sb, (double)NAN), GM_EINVAL);
    assert_int_equal(gm_json_write_real(&sb, (double)INFINITY), GM_EINVAL);
    assert_int_equal(sb.len, 0);
    gm_sb_free(&sb);
}

/* Significant digits of a written real ("0.00120" has 3, "1e+300" 1, "100.0" 1). */
static int significant_digits(const char *s)
{
    char digits[64];
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && n < 63)
            digits[n++] = *s;
    int first = 0;
    while (first < n && digits[first] == '0')
        first++;
    while (n > first && digits[n - 1] == '0')
        n--;
    return n > first ? n - first : 1;
}

/* The double read from a decimal with ndig significant digits: a rounded
   toward rounding (FE_DOWNWARD, FE_UPWARD) by printf, read back to nearest. */
static double read_rounded(double a, int ndig, int rounding)
{
    char buf[64];
    fesetround(rounding);
    snprintf(buf, sizeof buf, "%.*e", ndig - 1, a);
    fesetround(FE_TONEAREST);
    return strtod(buf, NULL);
}

/*
 * Every written real reads back as the very same double, a real, and no
 * decimal with fewer significant digits does. The check for "fewer" needs no
 * shortest-digit algorithm: the decimals that read back as a form an interval
 * around a, so if any of n-1 digits does, then one of the two nearest, a
 * rounded down or up to n-1 digits (which glibc's printf does exactly under
 * fesetround), does too.
 */
static void check_real(gm_sb *sb, double d)
{
    gm_sb_reset(sb);
    assert_int_equal(gm_json_write_real(sb, d), 0);
    const char *s = gm_sb_str(sb);
    json_error_t je;
    json_t *back = json_loads(s, JSON_DECODE_ANY, &je);
    assert_non_null(back);
    assert_true(json_is_real(back));
    double r = json_real_value(back);
    if (memcmp(&r, &d, sizeof d) != 0)
        fail_msg("%.17g written as %s reads back as %.17g", d, s, r);
    json_decref(back);
    int n = significant_digits(s);
    if (n > 1) {
        double a = fabs(d);
        if (read_rounded(a, n - 1, FE_DOWNWARD) == a || read_rounded(a, n - 1, FE_UPWARD) == a)
            fail_msg("%.17g written as %s, but %d digits read back too", d, s, n - 1);
    }
}

static void test_write_reals_shortest(void **state)
{
    (void)state;
    gm_sb sb = GM_SB_INIT;
    for (int e = -1074; e <= 1023; e++) {
        check_real(&sb, ldexp(1.0, e));
        check_real(&sb, nextafter(ldexp(1.0, e), 0));
        check_real(&sb, nextafter(ldexp(1.0, e), INFINITY));
    }
    for (int e = -30; e <= 30; e++)
        check_real(&sb, pow(10.0, e));
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        switch (i % 5) {
        case 0: { /* any finite bit pattern */
            uint64_t bits = x;
            memcpy(&d, &bits, sizeof d);
            if (!isfinite(d))
                continue;
            break;
        }
        case 1: d = (double)(int64_t)(x % 2000001) / 10.0 - 100000.0; break; /* sensor-like */
        case 2: d = (double)(x >> 11) * 0x1.0p-53 * 1e6; break;
        case 3: { /* subnormals */
            uint64_t bits = x & 0x800fffffffffffffULL;
            memcpy(&d, &bits, sizeof d);
            break;
        }
        default: d = (double)(int64_t)(x % 100000) / 1000.0; break;
        }
        check_real(&sb, d);
    }
    gm_sb_free(&sb);
}

static void test_write_documents(void **state)
{
    (void)state;
    /* without reals, byte for byte what json_dumps writes */
    const char *docs[] = {
        "{\"$dtId\":\"a\\\"b\\\\c\\n\\u0001/é\",\"n\":-9223372036854775808,\"m\":9223372036854775807,"
        "\"t\":true,\"f\":false,\"z\":null,\"arr\":[1,[],{},[{\"x\":[\"y\"]}]],\"\":\"\"}",
        "[]", "\"plain\"", "0", "-17",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        char *a = written(v), *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(v);
    }
    /* with reals: equal after a round trip, member order kept */
    json_t *v = json_pack("{s:f,s:[f,i,s],s:{s:f}}", "temperature", 15.1, "arr", 1e-300, 3, "x",
                          "obj", "p", -2.5);
    char *t = written(v);
    assert_string_equal(t, "{\"temperature\":15.1,\"arr\":[1e-300,3,\"x\"],"
                           "\"obj\":{\"p\":-2.5}}");
    json_t *back = json_loads(t, 0, NULL);
    assert_true(json_equal(back, v));
    json_decref(back);
    free(t);
    json_decref(v);
}

static void test_write_limits(void **state)
{
    (void)state;
    /* deeper than 1024 levels: refused, nothing left behind */
    json_t *root = json_array(), *cur = root;
    for (int i = 0; i < 1100; i++) {
        json_t *a = json_array();
        json_array_append_new(cur, a);
        cur = a;
    }
    gm_sb sb = GM_SB_INIT;
    gm_sb_append(&sb, "before");
    assert_int_equal(gm_json_write(&sb, root), GM_ELIMIT);
    assert_string_equal(gm_sb_str(&sb), "before");
    assert_int_equal(gm_json_write(&sb, NULL), GM_EINVAL);
    json_decref(root);
    /* the builder's size limit */
    gm_sb_reset(&sb);
    gm_sb_set_limit(&sb, 10);
    json_t *s = json_string("a string longer than ten bytes");
    assert_int_equal(gm_json_write(&sb, s), GM_ELIMIT);
    assert_int_equal(sb.len, 0);
    json_decref(s);
    gm_sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_values),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_type_name),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_path_truncation),
        cmocka_unit_test(test_unpack_kinds),
        cmocka_unit_test(test_unpack_type_errors),
        cmocka_unit_test(test_unpack_int_bounds),
        cmocka_unit_test(test_unpack_number_bounds),
        cmocka_unit_test(test_unpack_lengths),
        cmocka_unit_test(test_nullable_present),
        cmocka_unit_test(test_all_or_nothing),
        cmocka_unit_test(test_unknown_and_missing),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_nested_path_message),
        cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_write_reals),
        cmocka_unit_test(test_write_reals_shortest),
        cmocka_unit_test(test_write_documents),
        cmocka_unit_test(test_write_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
