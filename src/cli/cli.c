#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* "gemel: [where: ]what[tail]" on stderr, what formatted from fmt. */
static void report(const char *where, const char *tail, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void report(const char *where, const char *tail, const char *fmt, va_list ap)
{
    char what[1024];
    vsnprintf(what, sizeof what, fmt, ap);
    fprintf(stderr, "gemel: %s%s%s%s\n", where ? where : "", where ? ": " : "", what, tail);
}

void gm_cli_error(const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(where && *where ? where : NULL, "", fmt, ap);
    va_end(ap);
}

int gm_cli_usage(const char *cmd, const char *fmt, ...)
{
    char tail[128];
    snprintf(tail, sizeof tail, " (see 'gemel%s%s --help')", cmd ? " " : "", cmd ? cmd : "");
    va_list ap;
    va_start(ap, fmt);
    report(cmd, tail, fmt, ap);
    va_end(ap);
    return GM_EXIT_USAGE;
}

int gm_cli_fail(const gm_err *err)
{
    char line[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 4];
    fprintf(stderr, "gemel: %s\n", gm_err_format(err, line, sizeof line));
    switch (err->code) {
    case GM_EINVAL:
    case GM_EPARSE:
    case GM_ELIMIT:
    case GM_ERANGE:
    case GM_ENOENT:
    case GM_EUNSUPPORTED:
        return GM_EXIT_USAGE;
    default:
        return GM_EXIT_FAIL;
    }
}

int gm_cli_getopt(const gm_cli_cmd *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts)
{
    /* Leading ':' makes getopt report a missing argument as ':' instead of
       printing its own message; opterr = 0 silences the rest. */
    char opts[64];
    snprintf(opts, sizeof opts, ":%s", shortopts);
    opterr = 0;
    int longindex = -1;
    int c = getopt_long(argc, argv, opts, longopts, &longindex);
    switch (c) {
    case 'h':
        cmd->help(stdout);
        return 'h';
    case ':':
        gm_cli_usage(cmd->name, "option '%s' needs a value", argv[optind - 1]);
        return '?';
    case '?':
        if (optopt)
            gm_cli_usage(cmd->name, "unknown option '-%c'", optopt);
        else
            gm_cli_usage(cmd->name, "unknown option '%s'", argv[optind - 1]);
        return '?';
    default:
        return c;
    }
}

int gm_cli_print_json(const json_t *j)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2)) != 0 || putchar('\n') == EOF)
        return -1;
    return 0;
}

/* "a, b or c": the names of subs, into buf. */
static const char *sub_names(const gm_cli_sub *subs, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + len, size - len, "%s%s", sep, subs[i].name);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return buf;
}

int gm_cli_run_sub(const char *what, const gm_cli_sub *subs, size_t n, int argc, char **argv,
                   void *opts)
{
    char names[512];
    if (argc < 1)
        return gm_cli_usage(what, "expected a sub-command: %s", sub_names(subs, n, names, sizeof names));
    for (size_t i = 0; i < n; i++) {
        const gm_cli_sub *s = &subs[i];
        if (strcmp(argv[0], s->name))
            continue;
        int nargs = argc - 1;
        if (nargs < s->min_args || (s->max_args >= 0 && nargs > s->max_args))
            return gm_cli_usage(what, "%s takes %s", s->name, s->args);
        return s->run(opts, nargs, argv + 1);
    }
    return gm_cli_usage(what, "unknown sub-command '%s' (expected %s)", argv[0],
                        sub_names(subs, n, names, sizeof names));
}

int gm_cli_dispatch(const gm_cli_cmd *cmd, int argc, char **argv, const gm_cli_sub *subs, size_t n,
                    const struct option *longopts, int (*opt)(void *opts, int c, const char *arg),
                    void *opts)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cmd->help(stdout);
        return GM_EXIT_OK;
    }
    if (argc < 2 || argv[1][0] == '-')
        return gm_cli_run_sub(cmd->name, subs, n, 0, argv + 1, opts);
    /* the options of the sub-command, anywhere after its name; getopt
       moves the positional arguments behind them */
    int c;
    optind = 0; /* a full reset of glibc's getopt */
    while ((c = gm_cli_getopt(cmd, argc - 1, argv + 1, "h", longopts)) != -1) {
        if (c == 'h')
            return GM_EXIT_OK;
        if (c == '?')
            return GM_EXIT_USAGE;
        int rc = opt(opts, c, optarg);
        if (rc)
            return rc;
    }
    /* argv[1] is the sub-command's name (getopt leaves the first element
       where it is); the positional arguments follow optind */
    int npos = argc - 1 - optind;
    char **pos = argv + 1 + optind;
    char **args = malloc(((size_t)npos + 1) * sizeof *args);
    if (!args) {
        gm_cli_error(cmd->name, "out of memory");
        return GM_EXIT_FAIL;
    }
    args[0] = argv[1];
    memcpy(args + 1, pos, (size_t)npos * sizeof *args);
    int rc = gm_cli_run_sub(cmd->name, subs, n, npos + 1, args, opts);
    free(args);
    return rc;
}
