/* The progress bar: rendering, and drawing only on a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"

static void test_render(void **state)
{
    (void)state;
    gm_progress p;
    gm_progress_start_fd(&p, "replications", 200, -1);
    char buf[256];
    /* 50 of 200 after 10 s: 25%, 30 s left. */
    gm_progress_render(&p, 50, 10000000000LL, buf, sizeof buf, 80);
    assert_non_null(strstr(buf, "replications ["));
    assert_non_null(strstr(buf, "]  25% 50/200 eta 30s"));
    /* A quarter of the bar is filled. */
    const char *open = strchr(buf, '['), *close = strchr(buf, ']');
    int width = (int)(close - open - 1), hashes = 0;
    for (const char *c = open + 1; c < close; c++)
        hashes += *c == '#';
    assert_int_equal(hashes, width / 4);
    assert_true((int)strlen(buf) <= 80);
    /* Large counts are abbreviated; long ETAs in minutes and hours. */
    gm_progress_start_fd(&p, "customers", 2000000000ULL, -1);
    gm_progress_render(&p, 1000000, 75000000000LL, buf, sizeof buf, 100);
    assert_non_null(strstr(buf, "1.00M/2.00G eta 41h"));
    gm_progress_render(&p, 500000000, 60000000000LL, buf, sizeof buf, 100);
    assert_non_null(strstr(buf, " 25% 500M/2.00G eta 3m00s"));
    /* Complete: 100%, no ETA. Narrow terminal: no bar, still informative. */
    gm_progress_render(&p, 2000000000ULL, 1, buf, sizeof buf, 100);
    assert_non_null(strstr(buf, "100%"));
    assert_null(strstr(buf, "eta"));
    gm_progress_render(&p, 1, 1, buf, sizeof buf, 20);
    assert_null(strchr(buf, '['));
    /* Unknown total: a count only. */
    gm_progress_start_fd(&p, "events", 0, -1);
    assert_string_equal(gm_progress_render(&p, 12345, 1, buf, sizeof buf, 80), "events 12.3k");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* On a pipe nothing is ever drawn, however long the work takes. */
static void test_silent_when_not_a_terminal(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    gm_progress p;
    gm_progress_start_fd(&p, "work", 10, fds[1]);
    assert_false(p.enabled);
    p.start_ns -= 5000000000LL; /* pretend it has run for 5 s */
    for (int i = 0; i <= 10; i++)
        gm_progress_update(&p, (uint64_t)i);
    gm_progress_finish(&p);
    close(fds[1]);
    char buf[16];
    assert_int_equal(read(fds[0], buf, sizeof buf), 0);
    close(fds[0]);
}

/* On a pseudo-terminal: quiet during the first second, then a bar, then cleared. */
static void test_draws_on_a_terminal(void **state)
{
    (void)state;
    unsetenv("GEMEL_NO_PROGRESS");
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    gm_progress p;
    gm_progress_start_fd(&p, "work", 10, slave);
    assert_true(p.enabled);
    gm_progress_update(&p, 1); /* too early: nothing */
    assert_false(p.drawn);
    p.start_ns -= 2000000000LL; /* now it has "run" for 2 s */
    gm_progress_update(&p, 5);
    assert_true(p.drawn);
    gm_progress_finish(&p);
    sleep_ms(50);
    fcntl(master, F_SETFL, O_NONBLOCK);
    char buf[512];
    ssize_t n = read(master, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\rwork ["));
    assert_non_null(strstr(buf, " 50% 5/10"));
    /* finish returns to column 0 and erases the line */
    assert_non_null(strstr(buf, "\r\033[K"));
    close(master);
    close(slave);

    /* GEMEL_NO_PROGRESS switches it off even on a terminal. */
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    setenv("GEMEL_NO_PROGRESS", "1", 1);
    gm_progress_start_fd(&p, "work", 10, slave);
    assert_false(p.enabled);
    unsetenv("GEMEL_NO_PROGRESS");
    close(master);
    close(slave);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_silent_when_not_a_terminal),
        cmocka_unit_test(test_draws_on_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
