/* Run the gemel program as a child process and capture what it prints. */
#ifndef GM_TESTS_CLI_RUN_H
#define GM_TESTS_CLI_RUN_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct cli_result {
    int status;   /* exit code, or 128 + signal */
    char *out;    /* stdout, NUL-terminated, malloc'd */
    char *err;    /* stderr */
} cli_result;

static char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* argv[0] is ignored (replaced by the gemel binary); argv ends with NULL.
   Standard input is the file in (NULL: /dev/null). */
static cli_result cli_run_in(const char *const *argv, const char *in)
{
    char outname[] = "/tmp/gemel-cli-out-XXXXXX", errname[] = "/tmp/gemel-cli-err-XXXXXX";
    int ofd = mkstemp(outname), efd = mkstemp(errname);
    unlink(outname);
    unlink(errname);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        int ifd = open(in ? in : "/dev/null", O_RDONLY);
        if (ifd < 0)
            _exit(126);
        dup2(ifd, 0);
        execv(GEMEL_BIN, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    cli_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    r.out = slurp_fd(ofd);
    r.err = slurp_fd(efd);
    close(ofd);
    close(efd);
    return r;
}

static cli_result cli_run(const char *const *argv)
{
    return cli_run_in(argv, NULL);
}

static void cli_free(cli_result *r)
{
    free(r->out);
    free(r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#endif
