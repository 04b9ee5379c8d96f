/* The gemel program: dispatch, help, version, exit codes and error lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "base/version.h"
#include "run.h"

#define RUN(...) cli_run((const char *const[]){"gemel", __VA_ARGS__, NULL})

static void test_help_and_version(void **state)
{
    (void)state;
    cli_result r = RUN("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: gemel <command>"));
    assert_non_null(strstr(r.out, "demo"));
    assert_non_null(strstr(r.out, "version"));
    assert_string_equal(r.err, "");
    cli_free(&r);

    r = RUN("--version");
    assert_int_equal(r.status, 0);
    char want[64];
    snprintf(want, sizeof want, "gemel %s ", GM_VERSION);
    assert_memory_equal(r.out, want, strlen(want));
    assert_int_equal(count_lines(r.out), 1);
    cli_free(&r);

    r = RUN("version", "--json");
    assert_int_equal(r.status, 0);
    json_error_t je;
    json_t *v = json_loads(r.out, 0, &je);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "version")), GM_VERSION);
    json_decref(v);
    cli_free(&r);

    /* Every command answers --help on stdout with exit 0, and `help CMD` agrees. */
    const char *cmds[] = {"demo", "version", NULL};
    for (int i = 0; cmds[i]; i++) {
        cli_result a = RUN(cmds[i], "--help");
        cli_result b = RUN("help", cmds[i]);
        assert_int_equal(a.status, 0);
        assert_int_equal(b.status, 0);
        assert_non_null(strstr(a.out, "Usage: gemel "));
        assert_string_equal(a.out, b.out);
        cli_free(&a);
        cli_free(&b);
    }
}

/* Usage errors: exit 2 and exactly one line on stderr starting "gemel: ". */
static void expect_usage_error(cli_result r, const char *fragment)
{
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    assert_memory_equal(r.err, "gemel: ", 7);
    if (!strstr(r.err, fragment))
        fail_msg("stderr '%s' lacks '%s'", r.err, fragment);
    assert_string_equal(r.out, "");
    cli_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_usage_error(RUN("frobnicate"), "unknown command 'frobnicate'");
    expect_usage_error(RUN("--frob"), "unknown option '--frob'");
    expect_usage_error(RUN("help", "frobnicate"), "unknown command 'frobnicate'");
    expect_usage_error(RUN("version", "--bogus"), "version: unknown option '--bogus'");
    expect_usage_error(RUN("version", "extra"), "unexpected argument 'extra'");
    expect_usage_error(RUN("demo", "--threads"), "option '--threads' needs a value");
    expect_usage_error(RUN("demo", "--threads", "0"), "--threads: expected an integer in 1..1024");
    expect_usage_error(RUN("demo", "--threads", "two"), "--threads: expected a non-negative");
    expect_usage_error(RUN("demo", "--config", "/nonexistent/demo.json"), "/nonexistent/demo.json");

    /* No command at all: usage on stderr, exit 2. */
    cli_result r = cli_run((const char *const[]){"gemel", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "Usage: gemel"));
    cli_free(&r);
}

/* A bad configuration names the JSON path and what was expected; exit 2. */
static void test_demo_bad_config(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-demo-cfg-XXXXXX";
    int fd = mkstemp(path);
    const char *doc = "{\"replications\": 4, \"samples\": \"many\"}";
    assert_true(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    cli_result r = RUN("demo", "--config", path);
    char want[128];
    snprintf(want, sizeof want, "%s: samples: expected integer, got string", path);
    if (!strstr(r.err, want))
        fail_msg("stderr '%s' lacks '%s'", r.err, want);
    expect_usage_error(r, "gemel: ");

    fd = open(path, O_WRONLY | O_TRUNC);
    doc = "{\"replications\": 4,\n \"samples\": 10,\n \"sed\": 1}";
    assert_true(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    expect_usage_error(RUN("demo", "--config", path), "sed: unknown field");

    fd = open(path, O_WRONLY | O_TRUNC);
    doc = "{\"replications\": 4,\n \"samples\": 10,,}";
    assert_true(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    snprintf(want, sizeof want, "%s:2:", path); /* line 2 */
    expect_usage_error(RUN("demo", "--config", path), want);
    unlink(path);
}

/* The demo runs to completion and reports a sensible, reproducible result. */
static void test_demo_runs(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-demo-cfg-XXXXXX";
    int fd = mkstemp(path);
    const char *doc = "{\"replications\": 20, \"samples\": 20000, \"seed\": 7}";
    assert_true(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    cli_result a = RUN("demo", "--config", path, "--json", "--threads", "2");
    cli_result b = RUN("demo", "--config", path, "--json", "--threads", "3");
    unlink(path);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    json_error_t je;
    json_t *ja = json_loads(a.out, 0, &je), *jb = json_loads(b.out, 0, &je);
    assert_non_null(ja);
    assert_non_null(jb);
    assert_true(json_is_true(json_object_get(ja, "same_with_one_thread")));
    double ma = json_real_value(json_object_get(json_object_get(ja, "estimate"), "mean"));
    double mb = json_real_value(json_object_get(json_object_get(jb, "estimate"), "mean"));
    assert_true(ma == mb); /* thread count does not change the answer */
    assert_true(ma > 3.1 && ma < 3.2);
    json_decref(ja);
    json_decref(jb);
    cli_free(&a);
    cli_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_demo_bad_config),
        cmocka_unit_test(test_demo_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
