/* gemel version: the version, commit and library versions. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "base/version.h"
#include "cli/cli.h"

static void help(FILE *out)
{
    fprintf(out, "Usage: gemel version [--json]\n"
                 "\n"
                 "Print gemel's version, the git commit it was built from and the versions\n"
                 "of the libraries it uses. 'gemel --version' is the same.\n"
                 "\n"
                 "Options:\n"
                 "  --json      one JSON object on stdout\n"
                 "  -h, --help  this help\n");
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c;
    while ((c = gm_cli_getopt(&gm_cmd_version, argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': return GM_EXIT_OK;
        default: return GM_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return gm_cli_usage("version", "unexpected argument '%s'", argv[optind]);
    const char *commit = GM_GIT_COMMIT[0] ? GM_GIT_COMMIT : "unknown";
    if (json)
        printf("{\"version\": \"%s\", \"commit\": \"%s\", \"jansson\": \"%s\"}\n", GM_VERSION,
               commit, JANSSON_VERSION);
    else
        printf("gemel %s (commit %s; jansson %s)\n", GM_VERSION, commit, JANSSON_VERSION);
    return GM_EXIT_OK;
}

const gm_cli_cmd gm_cmd_version = {"version", "print the version", help, run};
