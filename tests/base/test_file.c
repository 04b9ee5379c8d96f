#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
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

/* Every byte arrives, across many pipe-sized writes; a descriptor open
   for reading only gives GM_EIO naming the path and the bytes written. */
static void test_write_all(void **state)
{
    (void)state;
    char path[] = "/tmp/gemel-file-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    enum { N = 3 << 20 };
    char *data = malloc(N);
    assert_non_null(data);
    for (size_t i = 0; i < N; i++)
        data[i] = (char)(i * 7 + i / 251);
    gm_err err;
    gm_err_clear(&err);
    assert_int_equal(gm_file_write_all(fd, data, N, path, &err), GM_OK);
    assert_int_equal(close(fd), 0);
    char *back;
    size_t len;
    assert_int_equal(gm_file_read(path, N, &back, &len, &err), GM_OK);
    assert_int_equal(len, N);
    assert_memory_equal(back, data, N);
    free(back);

    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(gm_file_write_all(fd, data, 10, path, &err), GM_EIO);
    assert_string_equal(err.where, path);
    assert_non_null(strstr(err.what, "0 of 10 bytes written"));
    assert_int_equal(gm_file_write_all(fd, data, 0, path, &err), GM_OK);
    close(fd);
    unlink(path);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_read),
                                       cmocka_unit_test(test_write_all)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
