#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/file.h"
#include "model/dtmi.h"
#include "suite.h"

#ifndef GEMEL_SHARED_DATA
#define GEMEL_SHARED_DATA "/work/shared/data"
#endif
#define SPEC_DIR GEMEL_SHARED_DATA "/dtdl/v3/spec"

#define WHERE "model.json:3:14"

static void expect_ok(const char *s, int version, bool iface)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_dtmi_check(s, version, iface, WHERE, &e);
    if (rc != 0)
        print_message("expected '%s' valid in DTDL v%d: %s\n", s, version, e.what);
    assert_int_equal(rc, 0);
    assert_int_equal(e.code, GM_OK);
}

/* s must be rejected under `version` with a message containing needle. */
static void expect_bad(const char *s, int version, bool iface, const char *needle)
{
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_dtmi_check(s, version, iface, WHERE, &e);
    if (rc != GM_EINVAL || !strstr(e.what, needle))
        print_message("'%s' in DTDL v%d: rc %d, message '%s', wanted '%s'\n", s, version, rc,
                      e.what, needle);
    assert_int_equal(rc, GM_EINVAL);
    assert_int_equal(e.code, GM_EINVAL);
    assert_non_null(strstr(e.what, needle));
    assert_string_equal(e.where, WHERE);
    assert_int_equal(strncmp(e.what, "DTMI '", 6), 0);
    /* Same verdict when the caller wants no message. */
    assert_int_equal(gm_dtmi_check(s, version, iface, NULL, NULL), GM_EINVAL);
}

static void expect_bad_both(const char *s, const char *needle)
{
    expect_bad(s, GM_DTDL_V2, false, needle);
    expect_bad(s, GM_DTDL_V3, false, needle);
}

static void test_valid_in_both(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "dtmi:com:example:Thermostat;1", "dtmi:a;1", "dtmi:foo_bar:baz33:qux;12",
        "dtmi:A1:b_2:C;999999999", "dtmi:a__b:x9;7", "dtmi:a:b:c:d:e:f;108675309",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        expect_ok(ok[i], GM_DTDL_V2, false);
        expect_ok(ok[i], GM_DTDL_V3, false);
        expect_ok(ok[i], GM_DTDL_V2, true);
        expect_ok(ok[i], GM_DTDL_V3, true);
    }
}

static void test_scheme(void **state)
{
    (void)state;
    expect_bad_both("DTMI:foo;1", "must start with \"dtmi:\"");
    expect_bad_both("urn:foo:bar:1", "must start with \"dtmi:\"");
    expect_bad_both("http://foo/bar/baz", "must start with \"dtmi:\"");
    expect_bad_both("dtmi", "must start with \"dtmi:\"");
    expect_bad_both("", "must start with \"dtmi:\"");
    expect_bad_both(" dtmi:foo;1", "must start with \"dtmi:\"");
}

static void test_segments(void **state)
{
    (void)state;
    expect_bad_both("dtmi:a:9b;1", "segment '9b' must start with a letter");
    expect_bad_both("dtmi:test:1seg;1", "segment '1seg' must start with a letter");
    expect_bad_both("dtmi:test:_invalidUserId;1",
                    "segment '_invalidUserId' must start with a letter");
    expect_bad_both("dtmi:_16:foo;1", "system DTMI");
    expect_bad_both("dtmi:foo:_;1", "segment '_' must start with a letter");
    expect_bad_both("dtmi:test:invalidId_;1", "segment 'invalidId_' must not end with '_'");
    expect_bad_both("dtmi:a_;1", "segment 'a_' must not end with '_'");
    expect_bad_both("dtmi:foo:bar.baz;1", "segment 'bar.baz' contains '.'");
    expect_bad_both("dtmi:foo:a-b;1", "segment 'a-b' contains '-'");
    expect_bad_both("dtmi:fo o;1", "contains byte 0x20");
    expect_bad_both("dtmi:caf\xc3\xa9;1", "contains byte 0xc3");
    expect_bad_both("dtmi:foo/bar;1", "only ASCII letters, digits and '_' are allowed");
    expect_bad_both("dtmi:foo::bar;1", "path segment 2 is empty");
    expect_bad_both("dtmi:;1", "path segment 1 is empty");
    expect_bad_both("dtmi:", "path segment 1 is empty");
    expect_bad_both("dtmi:foo:;1", "path segment 2 is empty");
    expect_bad_both("dtmi::foo;1", "path segment 1 is empty");
    /* Case is kept and checked: upper-case letters are letters. */
    expect_ok("dtmi:Com:EXAMPLE:x;1", GM_DTDL_V2, false);
}

static void test_versions_common(void **state)
{
    (void)state;
    expect_bad_both("dtmi:foo:bar;0", "version '0' must not start with 0");
    expect_bad_both("dtmi:foo:bar;01", "version '01' must not start with 0");
    expect_bad_both("dtmi:foo:bar;", "version after ';' is empty");
    expect_bad_both("dtmi:foo:bar;1a", "version '1a' contains 'a'");
    expect_bad_both("dtmi:foo:bar;a", "version 'a' must start with a digit 1-9, not 'a'");
    expect_bad_both("dtmi:foo:bar;-1", "must start with a digit 1-9, not '-'");
    expect_bad_both("dtmi:foo:bar;1234567890", "version '1234567890' has more than 9 digits");
    expect_bad_both("dtmi:foo:bar;1;2", "contains ';'");
    expect_bad_both("dtmi:foo:bar;1:baz", "contains ':'");
    expect_ok("dtmi:foo:bar;999999999", GM_DTDL_V2, false);
    expect_ok("dtmi:foo:bar;999999999", GM_DTDL_V3, false);
    expect_ok("dtmi:foo:bar;100000000", GM_DTDL_V2, false);
}

static void test_versions_v2_v3_differ(void **state)
{
    (void)state;
    /* Version optional in v3, required in v2. */
    expect_ok("dtmi:foo:bar", GM_DTDL_V3, false);
    expect_ok("dtmi:foo:bar", GM_DTDL_V3, true);
    expect_bad("dtmi:foo:bar", GM_DTDL_V2, false, "version is required in DTDL v2");
    expect_bad("dtmi:foo:bar", GM_DTDL_V2, true, "version is required in DTDL v2");

    /* Two-part versions only in v3. */
    static const char *const two[] = {"dtmi:foo:bar;3.14", "dtmi:foo:bar;3.141592",
                                      "dtmi:foo:bar;1.2", "dtmi:a;999999999.999999"};
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
        expect_ok(two[i], GM_DTDL_V3, false);
        expect_bad(two[i], GM_DTDL_V2, false, "must be a single integer in DTDL v2");
    }

    /* v3 minor part: 1-6 digits, no leading zero (so never 0). */
    expect_bad("dtmi:foo:bar;3.0", GM_DTDL_V3, false,
               "minor part of version '3.0' must not start with 0");
    expect_bad("dtmi:foo:bar;6.02", GM_DTDL_V3, false, "must not start with 0");
    expect_bad("dtmi:foo:bar;1.01", GM_DTDL_V3, false, "must not start with 0");
    expect_bad("dtmi:foo:bar;3.1415926", GM_DTDL_V3, false,
               "minor part of version '3.1415926' has more than 6 digits");
    expect_bad("dtmi:foo:bar;3.", GM_DTDL_V3, false, "minor part of version after '.' is empty");
    expect_bad("dtmi:foo:bar;3.x", GM_DTDL_V3, false, "must start with a digit 1-9, not 'x'");
    expect_bad("dtmi:foo:bar;1.2.3", GM_DTDL_V3, false, "version '1.2.3' contains '.'");
    expect_bad("dtmi:foo:bar;1.2a", GM_DTDL_V3, false, "MAJOR or MAJOR.MINOR");
    /* The major part keeps its rules in a two-part version. */
    expect_bad("dtmi:foo:bar;0.1", GM_DTDL_V3, false, "version '0.1' must not start with 0");
    expect_bad("dtmi:foo:bar;0.0", GM_DTDL_V3, false, "must not start with 0");
    expect_bad("dtmi:foo:bar;1234567890.1", GM_DTDL_V3, false, "has more than 9 digits");
}

/* "dtmi:aaa...a;1" (or without ";1") of exactly len characters. */
static char *make_id(size_t len, bool with_version)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, "dtmi:", 5);
    memset(s + 5, 'a', len - 5);
    if (with_version)
        memcpy(s + len - 2, ";1", 2);
    s[len] = '\0';
    return s;
}

static void test_length_limits(void **state)
{
    (void)state;
    for (int v = GM_DTDL_V2; v <= GM_DTDL_V3; v++) {
        /* Interface @id: 128 in both versions. */
        char *s = make_id(GM_DTMI_INTERFACE_MAX_LEN, true);
        expect_ok(s, v, true);
        free(s);
        s = make_id(GM_DTMI_INTERFACE_MAX_LEN + 1, true);
        expect_bad(s, v, true,
                   "129 characters, longer than 128 characters (the limit for an Interface @id)");
        expect_ok(s, v, false); /* other elements may be longer */
        free(s);
        /* Any other DTMI: 2048. */
        s = make_id(GM_DTMI_MAX_LEN, true);
        expect_ok(s, v, false);
        free(s);
        s = make_id(GM_DTMI_MAX_LEN + 1, true);
        expect_bad(s, v, false,
                   "2049 characters, longer than 2048 characters (the limit for a DTMI)");
        free(s);
    }
    /* v3 without a version: the limit counts the same. */
    char *s = make_id(GM_DTMI_MAX_LEN, false);
    expect_ok(s, GM_DTDL_V3, false);
    free(s);
    s = make_id(GM_DTMI_MAX_LEN + 1, false);
    expect_bad(s, GM_DTDL_V3, false, "longer than 2048 characters");
    free(s);

    /* The conformance suite's own pair (ClassInterfaceIdLong). */
    const char *at = "dtmi:When:in:the:Course:of:human:events:it:becomes:necessary:for:one:"
                     "people:to:dissolve:the:political:bands:which:have:connect;1";
    assert_int_equal(strlen(at), 128);
    expect_ok(at, GM_DTDL_V3, true);
    const char *over = "dtmi:When:in:the:Course:of:human:events:it:becomes:necessary:for:one:"
                       "people:to:dissolve:the:political:bands:which:have:connecte;1";
    expect_bad(over, GM_DTDL_V3, true, "longer than 128 characters");

    /* A huge input: rejected, and the message quotes only a short prefix. */
    s = make_id(100000, true);
    gm_err e;
    assert_int_equal(gm_dtmi_check(s, GM_DTDL_V3, false, WHERE, &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "aaa...': 100000 characters"));
    assert_true(strlen(e.what) < 200);
    free(s);
}

static void test_reserved(void **state)
{
    (void)state;
    assert_true(gm_dtmi_reserved("dtmi:dtdl:example;1"));
    assert_true(gm_dtmi_reserved("dtmi:standard:example;1"));
    assert_true(gm_dtmi_reserved("dtmi:dtdl:context;3"));
    assert_true(gm_dtmi_reserved("dtmi:standard:schema:geospatial:point;3"));
    assert_false(gm_dtmi_reserved("dtmi:dtdlx:foo;1"));
    assert_false(gm_dtmi_reserved("dtmi:standardize:foo;1"));
    assert_false(gm_dtmi_reserved("dtmi:com:dtdl:foo;1"));
    assert_false(gm_dtmi_reserved("dtmi:dtdl;1")); /* the prefix includes the colon */
    assert_false(gm_dtmi_reserved("DTMI:dtdl:x;1"));
    assert_false(gm_dtmi_reserved("dtmi:Dtdl:x;1")); /* DTMIs are case-sensitive */
    assert_false(gm_dtmi_reserved("dtmi:com:example:Thermostat;1"));
    assert_false(gm_dtmi_reserved(""));
    assert_false(gm_dtmi_reserved(NULL));
    /* Reserved identifiers are still syntactically valid DTMIs. */
    expect_ok("dtmi:dtdl:context;3", GM_DTDL_V3, false);
    expect_ok("dtmi:standard:schema:geospatial:point;2", GM_DTDL_V2, false);
}

static void expect_split(const char *s, const char *path, long major, long minor)
{
    gm_dtmi_parts p;
    assert_int_equal(gm_dtmi_split(s, &p), 0);
    assert_int_equal(p.path_len, strlen(path));
    assert_memory_equal(p.path, path, p.path_len);
    assert_ptr_equal(p.path, s + 5);
    assert_int_equal(p.major, major);
    assert_int_equal(p.minor, minor);
    /* Round trip: the parts rebuild the identifier. */
    char buf[256];
    int n = snprintf(buf, sizeof buf, "dtmi:%.*s", (int)p.path_len, p.path);
    if (p.major >= 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ";%ld", p.major);
    if (p.minor >= 0)
        snprintf(buf + n, sizeof buf - (size_t)n, ".%ld", p.minor);
    assert_string_equal(buf, s);
}

static void test_split(void **state)
{
    (void)state;
    expect_split("dtmi:com:example:Thermostat;1", "com:example:Thermostat", 1, -1);
    expect_split("dtmi:foo:bar;3.14", "foo:bar", 3, 14);
    expect_split("dtmi:foo:bar", "foo:bar", -1, -1);
    expect_split("dtmi:a;999999999.999999", "a", 999999999, 999999);
    expect_split("dtmi:x_1:Y;108675309", "x_1:Y", 108675309, -1);

    gm_dtmi_parts p = {.path_len = 77, .path = NULL, .major = 5, .minor = 6};
    static const char *const bad[] = {"dtmi:foo:bar;0", "dtmi:foo:bar;3.0", "dtmi:_x;1",
                                      "urn:a:b", "dtmi:", "dtmi:a;1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(gm_dtmi_split(bad[i], &p), GM_EINVAL);
    /* Failure leaves *out alone. */
    assert_int_equal(p.path_len, 77);
    assert_null(p.path);
    assert_int_equal(p.major, 5);
    assert_int_equal(p.minor, 6);
    assert_int_equal(gm_dtmi_split(NULL, &p), GM_EINVAL);
    assert_int_equal(gm_dtmi_split("dtmi:a;1", NULL), GM_EINVAL);
    /* Longer than the 2048 a DTMI may have: not a DTMI. */
    char *s = make_id(GM_DTMI_MAX_LEN + 1, true);
    assert_int_equal(gm_dtmi_split(s, &p), GM_EINVAL);
    free(s);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    gm_err e;
    assert_int_equal(gm_dtmi_check(NULL, GM_DTDL_V3, false, WHERE, &e), GM_EINVAL);
    assert_string_equal(e.what, "expected a DTMI string, got NULL");
    assert_string_equal(e.where, WHERE);
    assert_int_equal(gm_dtmi_check("dtmi:a;1", 4, false, "x", &e), GM_EINVAL);
    assert_string_equal(e.what, "unknown DTDL version 4 (expected 2 or 3)");
    assert_int_equal(gm_dtmi_check("dtmi:a;1", 1, false, NULL, NULL), GM_EINVAL);
    /* NULL where gives an empty location. */
    assert_int_equal(gm_dtmi_check("dtmi:a;0", GM_DTDL_V2, false, NULL, &e), GM_EINVAL);
    assert_string_equal(e.where, "");
    assert_string_equal(e.what, "DTMI 'dtmi:a;0': version '0' must not start with 0");
}

/* ---- the official DTDL v3 conformance suite ---- */

/* Does t (an "@type" value) name cls, alone or in an array? */
static bool has_type(const json_t *t, const char *cls)
{
    if (json_is_string(t))
        return strcmp(json_string_value(t), cls) == 0;
    size_t i;
    const json_t *x;
    json_array_foreach(t, i, x)
        if (json_is_string(x) && strcmp(json_string_value(x), cls) == 0)
            return true;
    return false;
}

/*
 * Judge every DTMI-valued member below v: the "@id" of each element (a DTMI
 * under the Interface limit when the element is an Interface, and not in a
 * reserved namespace) and the "target" of each Relationship (one string;
 * two or more values are themselves an error). "@context"
 * values are DTMIs that name the language itself, so they are skipped.
 * Returns false when any of them is not acceptable.
 */
static bool dtmis_ok(const json_t *v, size_t *n)
{
    bool ok = true;
    if (json_is_object(v)) {
        const json_t *type = json_object_get(v, "@type");
        const json_t *id = json_object_get(v, "@id");
        if (id) {
            ++*n;
            ok = json_is_string(id) && !gm_dtmi_reserved(json_string_value(id)) &&
                 gm_dtmi_check(json_string_value(id), GM_DTDL_V3,
                               has_type(type, "Interface"), "@id", NULL) == 0;
        }
        const json_t *target = json_object_get(v, "target");
        /* DTDL lets a single value also be written as an array of at most one. */
        if (json_is_array(target) && json_array_size(target) == 1)
            target = json_array_get(target, 0);
        if (target && has_type(type, "Relationship") &&
            !(json_is_array(target) && json_array_size(target) == 0)) {
            ++*n;
            ok = ok && json_is_string(target) &&
                 gm_dtmi_check(json_string_value(target), GM_DTDL_V3, false, "target", NULL) == 0;
        }
        const char *key;
        json_t *x;
        json_object_foreach((json_t *)v, key, x)
            if (strcmp(key, "@context") != 0)
                ok = dtmis_ok(x, n) && ok;
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x)
            ok = dtmis_ok(x, n) && ok;
    }
    return ok;
}

/* Suite files whose cases are decided by DTMI syntax, length or reserved prefixes. */
static bool dtmi_file(const char *name)
{
    static const char *const keys[] = {"IdIsDtmi", "DtmiRegex", "TargetIsDtmi", "IdLong",
                                       "DtmiReservedPrefixes"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strstr(name, keys[i]) && strstr(name, ".json"))
            return true;
    return false;
}

static void test_conformance_suite(void **state)
{
    (void)state;
    struct stat st;
    if (stat(SPEC_DIR, &st) != 0) {
        GM_TEST_SKIP("%s not found", SPEC_DIR);
    }
    DIR *d = opendir(SPEC_DIR);
    assert_non_null(d);
    size_t files = 0, valid = 0, invalid = 0, idisdtmi_valid = 0, judged = 0, wrong = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!dtmi_file(de->d_name))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SPEC_DIR, de->d_name);
        json_t *cases = suite_cases(path);
        assert_non_null(cases);
        files++;
        size_t i;
        json_t *c;
        json_array_foreach(cases, i, c) {
            bool want = json_is_true(json_object_get(c, "valid"));
            bool got = dtmis_ok(json_object_get(c, "input"), &judged);
            if (want)
                valid++;
            else
                invalid++;
            if (want && strstr(de->d_name, "IdIsDtmi"))
                idisdtmi_valid++;
            if (want != got) {
                wrong++;
                print_message("%s case %zu: suite says %s, gemel says %s\n", de->d_name, i,
                              want ? "valid" : "invalid", got ? "valid" : "invalid");
            }
        }
        json_decref(cases);
    }
    closedir(d);
    print_message("DTDL v3 suite: %zu files, %zu valid and %zu invalid cases, %zu DTMIs judged\n",
                  files, valid, invalid, judged);
    assert_int_equal(wrong, 0);
    /* The suite has 16 IdIsDtmi files with 7 valid cases each, and 4 more DTMI files. */
    assert_true(files >= 20);
    assert_true(idisdtmi_valid >= 100);
    assert_true(invalid >= 800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_in_both),
        cmocka_unit_test(test_scheme),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_versions_common),
        cmocka_unit_test(test_versions_v2_v3_differ),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_reserved),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_conformance_suite),
    };
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
