#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"

static void test_read(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-file-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc\0def", 7), 7);
    close(fd);
    char *buf = NULL;
    size_t len = 0;
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_file_read(path, 7, &buf, &len, &err), 0);
    assert_int_equal(len, 7); /* embedded NUL kept; terminated after */
    assert_memory_equal(buf, "abc\0def", 8);
    free(buf);
    /* one byte over the limit: refused, nothing returned */
    assert_int_equal(gm_file_read(path, 6, &buf, &len, &err), GM_ELIMIT);
    assert_null(buf);
    assert_string_equal(err.where, path);
    assert_non_null(strstr(err.what, "larger than 6 bytes"));
    unlink(path);
    assert_int_equal(gm_file_read(path, 100, &buf, &len, &err), GM_ENOENT);
    assert_null(buf);
    assert_int_equal(gm_file_read("/tmp", 100, &buf, &len, &err), GM_EIO);
    assert_non_null(strstr(err.what, "not a regular file"));
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_read)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
