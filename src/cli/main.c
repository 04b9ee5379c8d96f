/*
 * gemel: the command-line program. main() finds the sub-command in the
 * dispatch table and hands it the remaining arguments.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/version.h"
#include "cli/cli.h"

const gm_cli_cmd *const gm_cli_commands[] = {
    /* sorted by name; `gemel --help` lists them in this order */
    &gm_cmd_demo,
    &gm_cmd_model,
    &gm_cmd_process,
    &gm_cmd_sim,
    &gm_cmd_twin,
    &gm_cmd_version,
};
const unsigned gm_cli_ncommands = sizeof gm_cli_commands / sizeof gm_cli_commands[0];

static void usage(FILE *out)
{
    fprintf(out,
            "gemel %s: a digital twin engine\n"
            "\n"
            "Usage: gemel <command> [options]\n"
            "       gemel --help | --version\n"
            "\n"
            "Commands:\n",
            GM_VERSION);
    for (unsigned i = 0; i < gm_cli_ncommands; i++)
        fprintf(out, "  %-12s %s\n", gm_cli_commands[i]->name, gm_cli_commands[i]->summary);
    fprintf(out,
            "  %-12s %s\n"
            "\n"
            "Run 'gemel <command> --help' for a command's options.\n"
            "Exit status: 0 success, 1 failure, 2 usage or input error.\n"
            "Environment: GEMEL_LOG_LEVEL (trace|debug|info|warn|error|off),\n"
            "             GEMEL_NO_PROGRESS=1 (no progress bar on a terminal).\n"
            "Documentation: docs/ in the source tree, starting with README.md.\n",
            "help", "show help for gemel or for one command");
}

static const gm_cli_cmd *find(const char *name)
{
    for (unsigned i = 0; i < gm_cli_ncommands; i++)
        if (strcmp(gm_cli_commands[i]->name, name) == 0)
            return gm_cli_commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GM_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return GM_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        return gm_cmd_version.run(1, (char *[]){(char *)"version", NULL});
    if (strcmp(name, "help") == 0) {
        /* gemel help [COMMAND]; help on help, in any spelling, is the
           overview */
        const char *topic = argc > 2 ? argv[2] : "help";
        if (argc > 3)
            return gm_cli_usage("help", "unexpected argument '%s'", argv[3]);
        if (strcmp(topic, "help") == 0 || strcmp(topic, "--help") == 0 ||
            strcmp(topic, "-h") == 0) {
            usage(stdout);
            return GM_EXIT_OK;
        }
        const gm_cli_cmd *c = find(topic);
        if (!c)
            return gm_cli_usage("help", "unknown command '%s'", topic);
        c->help(stdout);
        return GM_EXIT_OK;
    }
    if (name[0] == '-')
        return gm_cli_usage(NULL, "unknown option '%s'", name);
    const gm_cli_cmd *cmd = find(name);
    if (!cmd)
        return gm_cli_usage(NULL, "unknown command '%s'", name);
    optind = 0; /* GNU getopt: full re-initialisation for the command's parse */
    return cmd->run(argc - 1, argv + 1);
}
