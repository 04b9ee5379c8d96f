/*
 * cli.h: what every `gemel` sub-command shares.
 *
 * A command is a row in the dispatch table (main.c): a name, a one-line
 * summary, a help printer and a run function taking the arguments after
 * `gemel` (argv[0] is the command name). Exit codes follow DESIGN.md: 0 success,
 * 1 failure, 2 usage or input error. Errors go to stderr as one line,
 * "gemel: <where>: <what>".
 */
#ifndef GM_CLI_CLI_H
#define GM_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "base/err.h"

enum { GM_EXIT_OK = 0, GM_EXIT_FAIL = 1, GM_EXIT_USAGE = 2 };

typedef struct gm_cli_cmd {
    const char *name;
    const char *summary;
    void (*help)(FILE *out);
    int (*run)(int argc, char **argv);
} gm_cli_cmd;

/* Print "gemel: <where>: <what>" (built from fmt) to stderr. */
void gm_cli_error(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print j to stdout as indented JSON and a newline. Returns 0, or -1 when
   stdout refused it. */
int gm_cli_print_json(const json_t *j);

/* Report a usage error for command cmd, with a pointer to its --help. Returns 2. */
int gm_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Report err as one line and return the exit code for it: 2 for bad input
 * (invalid, syntax, limit, range, not found, unsupported), 1 otherwise.
 */
int gm_cli_fail(const gm_err *err);

/*
 * Parse the options of a command with getopt_long, reporting unknown options
 * and missing arguments through gm_cli_usage. Handles --help itself (prints
 * help to stdout). Returns the option character, -1 at the end of options,
 * 'h' when help was printed (the caller returns 0), or '?' after an error (the
 * caller returns 2).
 */
struct option;
int gm_cli_getopt(const gm_cli_cmd *cmd, int argc, char **argv, const char *shortopts,
                  const struct option *longopts);

/*
 * Sub-commands: `gemel <command> <sub-command> [ARGS...] [options]`, options
 * anywhere after the sub-command's name.
 */
typedef struct gm_cli_sub {
    const char *name;
    int min_args, max_args; /* positional arguments (max_args < 0: no limit) */
    const char *args;       /* what they are, for the usage error "NAME takes ARGS":
                               "ID and FILE", "at least one PATH", "no arguments" */
    /* Run with the positional arguments (argv[0] is the first, not the
       sub-command's name) and the command's options; returns an exit code. */
    int (*run)(void *opts, int argc, char **argv);
} gm_cli_sub;

/*
 * Run the sub-command argv[0] (of command `what`, "twin" or "twin rel",
 * for messages) from subs[0..n) with the arguments after it: an unknown
 * name or a wrong number of arguments is a usage error (exit 2) that lists
 * what is expected.
 */
int gm_cli_run_sub(const char *what, const gm_cli_sub *subs, size_t n, int argc, char **argv,
                   void *opts);

/*
 * A command made of sub-commands: argv[0] is the command, argv[1] the
 * sub-command or --help. Parses the options (gm_cli_getopt, longopts)
 * after the sub-command's name, handing each to opt(opts, c, optarg),
 * which returns 0 or the exit code of a usage error it reported; then runs
 * the sub-command as gm_cli_run_sub does. Returns the exit code.
 */
int gm_cli_dispatch(const gm_cli_cmd *cmd, int argc, char **argv, const gm_cli_sub *subs, size_t n,
                    const struct option *longopts, int (*opt)(void *opts, int c, const char *arg),
                    void *opts);

/* The dispatch table, for `gemel help`. */
extern const gm_cli_cmd *const gm_cli_commands[];
extern const unsigned gm_cli_ncommands;

/* Commands. */
extern const gm_cli_cmd gm_cmd_version;
extern const gm_cli_cmd gm_cmd_demo;
extern const gm_cli_cmd gm_cmd_sim;
extern const gm_cli_cmd gm_cmd_twin;
extern const gm_cli_cmd gm_cmd_model;
extern const gm_cli_cmd gm_cmd_process;

#endif
