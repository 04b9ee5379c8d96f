#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
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
