#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"

/* Capture log records in a temporary file and return them as one string. */
static FILE *cap;

static void cap_start(void)
{
    cap = tmpfile();
    assert_non_null(cap);
    gm_log_set_output(cap);
}

static char *cap_take(void)
{
    gm_log_set_output(NULL);
    long n = ftell(cap);
    char *buf = malloc((size_t)n + 1);
    rewind(cap);
    size_t got = fread(buf, 1, (size_t)n, cap);
    buf[got] = '\0';
    fclose(cap);
    return buf;
}

static void test_format(void **state)
{
    (void)state;
    gm_log_set_level(GM_LOG_INFO);
    cap_start();
    gm_log_info("server started", GM_LOG_STR("addr", "127.0.0.1"), GM_LOG_INT("port", 8080),
                GM_LOG_UINT("seq", 18446744073709551615u), GM_LOG_DBL("ratio", 0.1),
                GM_LOG_BOOL("tls", 0), GM_LOG_STR("path", "a b=\"c\"\n"), GM_LOG_STR("empty", ""),
                GM_LOG_STR("null", NULL));
    gm_log_warn("no fields");
    char *out = cap_take();
    /* ts first, an RFC 3339 UTC time with milliseconds that parses back. */
    assert_memory_equal(out, "ts=", 3);
    char *sp = strchr(out, ' ');
    int64_t ns;
    assert_int_equal(gm_time_parse_rfc3339(out + 3, (size_t)(sp - out - 3), &ns, NULL, NULL), 0);
    int64_t now = gm_time_wall_ns();
    assert_true(ns <= now && now - ns < 60LL * 1000000000);
    char *nl = strchr(sp, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(sp, " level=info msg=\"server started\" addr=127.0.0.1 port=8080"
                            " seq=18446744073709551615 ratio=0.1 tls=false"
                            " path=\"a b=\\\"c\\\"\\n\" empty=\"\" null=\"\"");
    /* The record without fields is the second and last line. */
    char *second = nl + 1;
    assert_memory_equal(second, "ts=", 3);
    assert_string_equal(strchr(second, ' '), " level=warn msg=\"no fields\"\n");
    free(out);
}

static void test_second_record_and_levels(void **state)
{
    (void)state;
    gm_log_set_level(GM_LOG_WARN);
    cap_start();
    gm_log_debug("hidden");
    gm_log_info("hidden too", GM_LOG_INT("x", 1));
    gm_log_warn("shown");
    gm_log_error("also shown", GM_LOG_STR("k", "v"));
    gm_log_set_level(GM_LOG_OFF);
    gm_log_error("silenced");
    char *out = cap_take();
    assert_null(strstr(out, "hidden"));
    assert_null(strstr(out, "silenced"));
    assert_non_null(strstr(out, " level=warn msg=shown\n"));
    assert_non_null(strstr(out, " level=error msg=\"also shown\" k=v\n"));
    free(out);
    gm_log_set_level(GM_LOG_INFO);
}

static void test_level_parse(void **state)
{
    (void)state;
    gm_log_level lv;
    assert_int_equal(gm_log_level_parse("DEBUG", &lv), 0);
    assert_int_equal(lv, GM_LOG_DEBUG);
    assert_int_equal(gm_log_level_parse("warning", &lv), 0);
    assert_int_equal(lv, GM_LOG_WARN);
    assert_int_equal(gm_log_level_parse("off", &lv), 0);
    assert_int_equal(lv, GM_LOG_OFF);
    assert_int_not_equal(gm_log_level_parse("loud", &lv), 0);
    assert_string_equal(gm_log_level_name(GM_LOG_TRACE), "trace");
}

/* Records from many threads never interleave: every line is whole. */
static void *spam(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < 2000; i++)
        gm_log_info("tick", GM_LOG_INT("thread", id), GM_LOG_INT("i", i),
                    GM_LOG_STR("pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    return NULL;
}

static void test_threads_whole_lines(void **state)
{
    (void)state;
    gm_log_set_level(GM_LOG_INFO);
    cap_start();
    pthread_t th[4];
    for (long t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, spam, (void *)(intptr_t)t);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    char *out = cap_take();
    int lines = 0, seen[4] = {0};
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        long id;
        int i;
        const char *p = strstr(line, " level=info msg=tick thread=");
        assert_non_null(p);
        assert_int_equal(sscanf(p, " level=info msg=tick thread=%ld i=%d", &id, &i), 2);
        assert_int_equal(i, seen[id]); /* in order per thread, none lost */
        seen[id]++;
        assert_non_null(strstr(line, " pad=xxxxxxxx"));
        lines++;
    }
    assert_int_equal(lines, 8000);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_second_record_and_levels),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_threads_whole_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
