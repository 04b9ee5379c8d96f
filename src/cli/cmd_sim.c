/* gemel sim: run a simulation model file and report its KPIs with 95% intervals. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sb.h"
#include "cli/cli.h"
#include "cli/simrun.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel sim MODEL.json [--reps R] [--threads T] [--seed S] [--json]\n"
            "\n"
            "Simulate a model and print its KPIs, each with a 95%% confidence interval.\n"
            "Models: \"type\": \"queueing-network\" (stations, servers, service-time\n"
            "distributions, finite buffers with loss or blocking, routing with feedback,\n"
            "customer classes with priorities). The format, the distributions and every\n"
            "KPI are described in docs/simulation.md; examples/ has models to start from.\n"
            "\n"
            "With R >= 2 replications the interval is Student-t over replications; with\n"
            "one, it comes from %d batch means of the single run. Results do not depend\n"
            "on the number of threads: replication r always uses random streams\n"
            "r*S .. r*S+S-1 of the seed (S = the model's random sources).\n"
            "\n"
            "Options:\n"
            "  --reps R     replications (default 1, at most %d)\n"
            "  --threads T  worker threads (default: one per CPU)\n"
            "  --seed S     random seed (default 1)\n"
            "  --json       one JSON object on stdout:\n"
            "               {\"replications\", \"events\", \"wall_seconds\", \"kpis\": {NAME:\n"
            "               {\"mean\", \"ci95\": [lo, hi]}}} (null where undefined)\n"
            "  -h, --help   this help\n"
            "\n"
            "Exit status: 0 done, 1 the simulation failed, 2 bad options or model file\n"
            "(the error names the JSON path and what was expected).\n",
            GM_QNET_BATCHES, GM_EXP_MAX_REPS);
}

static const char *kpi_name(const void *m, size_t k)
{
    return gm_qnet_kpi_name(m, k);
}

static int run(int argc, char **argv)
{
    gm_cli_simopts o = {.reps = 1, .threads = 0, .seed = 1, .json = false};
    const char *path;
    int rc = gm_cli_parse_simopts(&gm_cmd_sim, argc, argv, NULL, NULL, NULL, 1, &o, "MODEL.json",
                                  &path);
    if (rc >= 0)
        return rc;
    gm_err err;
    gm_err_clear(&err);
    gm_qnet *m = NULL;
    if (gm_qnet_load_file(path, &m, &err))
        return gm_cli_fail(&err);
    char warning[1400];
    bool unsteady = gm_cli_steady_state_warning(path, m, warning, sizeof warning);
    gm_exp_summary s;
    if (gm_cli_run_qnet(m, o.reps, (unsigned)o.threads, o.seed, &s, &err)) {
        gm_qnet_free(m);
        gm_cli_fail(&err);
        return GM_EXIT_FAIL;
    }
    if (unsteady)
        gm_cli_unsteady_batches(&s, gm_qnet_nkpi(m), warning, sizeof warning);
    gm_cli_print_summary(path, kpi_name, m, gm_qnet_nkpi(m), &s, o.seed, o.json, NULL,
                         unsteady ? warning : NULL);
    gm_exp_summary_free(&s);
    gm_qnet_free(m);
    return GM_EXIT_OK;
}

const gm_cli_cmd gm_cmd_sim = {"sim", "simulate a model (queueing network) with confidence intervals",
                               help, run};
