/* gemel process: import a BPMN 2.0 process model; for now only --check. */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/sb.h"
#include "cli/cli.h"
#include "sim/bpmn.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel process MODEL.bpmn --check [--json]\n"
            "\n"
            "Import a BPMN 2.0 process model and print its structure: processes, flow\n"
            "nodes by kind (ids, names, lanes, loop markers, boundary attachment) and\n"
            "sequence flows with their conditions. Elements gemel cannot execute yet are\n"
            "reported as errors, never skipped; docs/processes.md lists what is supported.\n"
            "Simulation of processes is not implemented yet.\n"
            "\n"
            "Options:\n"
            "  --check      import and print the structure (required for now)\n"
            "  --json       one JSON object on stdout: {\"processes\": [{\"id\", \"name\",\n"
            "               \"participant\", \"nodes\": [...], \"flows\": [...]}]}\n"
            "  -h, --help   this help\n"
            "\n"
            "Exit status: 0 the model imports, 2 bad options or model (the error names\n"
            "FILE:LINE and the element).\n");
}

static void json_str(gm_sb *sb, const char *s)
{
    if (!s) {
        gm_sb_append(sb, "null");
        return;
    }
    gm_sb_append_char(sb, '"');
    gm_sb_append_json_escaped(sb, s, strlen(s));
    gm_sb_append_char(sb, '"');
}

static void json_flow_ids(gm_sb *sb, const gm_bpmn *m, const size_t *f, size_t n)
{
    gm_sb_append_char(sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            gm_sb_append(sb, ", ");
        json_str(sb, gm_bpmn_flow_at(m, f[i])->id);
    }
    gm_sb_append_char(sb, ']');
}

static void json_node(gm_sb *sb, const gm_bpmn *m, const gm_bpmn_node *n)
{
    gm_sb_append(sb, "{\"id\": ");
    json_str(sb, n->id);
    gm_sb_append(sb, ", \"name\": ");
    json_str(sb, n->name);
    gm_sb_appendf(sb, ", \"kind\": \"%s\", \"element\": ", gm_bpmn_kind_name(n->kind));
    json_str(sb, n->element);
    gm_sb_appendf(sb, ", \"line\": %ld, \"lane\": ", n->line);
    json_str(sb, n->lane);
    gm_sb_append(sb, ", \"parent\": ");
    json_str(sb, n->parent == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(m, n->parent)->id);
    gm_sb_appendf(sb, ", \"trigger\": \"%s\", \"loop\": \"%s\"", gm_bpmn_trigger_name(n->trigger),
                  gm_bpmn_loop_name(n->loop));
    if (n->kind == GM_BPMN_BOUNDARY_EVENT) {
        gm_sb_append(sb, ", \"attached_to\": ");
        json_str(sb, gm_bpmn_node_at(m, n->attached_to)->id);
        gm_sb_appendf(sb, ", \"cancel_activity\": %s", n->cancel_activity ? "true" : "false");
    }
    if (n->timer) {
        gm_sb_appendf(sb, ", \"%s\": ", n->timer_kind);
        json_str(sb, n->timer);
    }
    if (n->called_element) {
        gm_sb_append(sb, ", \"called_element\": ");
        json_str(sb, n->called_element);
    }
    gm_sb_append(sb, ", \"incoming\": ");
    json_flow_ids(sb, m, n->in, n->nin);
    gm_sb_append(sb, ", \"outgoing\": ");
    json_flow_ids(sb, m, n->out, n->nout);
    gm_sb_append_char(sb, '}');
}

static void print_json(const gm_bpmn *m)
{
    gm_sb sb = GM_SB_INIT;
    gm_sb_append(&sb, "{\"processes\": [");
    for (size_t p = 0; p < gm_bpmn_nprocesses(m); p++) {
        const gm_bpmn_process *pr = gm_bpmn_process_at(m, p);
        gm_sb_append(&sb, p ? ", {\"id\": " : "{\"id\": ");
        json_str(&sb, pr->id);
        gm_sb_append(&sb, ", \"name\": ");
        json_str(&sb, pr->name);
        gm_sb_append(&sb, ", \"participant\": ");
        json_str(&sb, pr->participant);
        gm_sb_appendf(&sb, ", \"executable\": %s, \"nodes\": [", pr->executable ? "true" : "false");
        bool first = true;
        for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
            const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
            if (n->process != p)
                continue;
            if (!first)
                gm_sb_append(&sb, ", ");
            first = false;
            json_node(&sb, m, n);
        }
        gm_sb_append(&sb, "], \"flows\": [");
        first = true;
        for (size_t i = 0; i < gm_bpmn_nflows(m); i++) {
            const gm_bpmn_flow *f = gm_bpmn_flow_at(m, i);
            if (f->process != p)
                continue;
            gm_sb_append(&sb, first ? "{\"id\": " : ", {\"id\": ");
            first = false;
            json_str(&sb, f->id);
            gm_sb_append(&sb, ", \"name\": ");
            json_str(&sb, f->name);
            gm_sb_append(&sb, ", \"source\": ");
            json_str(&sb, gm_bpmn_node_at(m, f->source)->id);
            gm_sb_append(&sb, ", \"target\": ");
            json_str(&sb, gm_bpmn_node_at(m, f->target)->id);
            gm_sb_append(&sb, ", \"condition\": ");
            json_str(&sb, f->condition);
            gm_sb_appendf(&sb, ", \"default\": %s, \"line\": %ld}", f->is_default ? "true" : "false",
                          f->line);
        }
        gm_sb_append(&sb, "]}");
    }
    gm_sb_append(&sb, "]}\n");
    fputs(gm_sb_str(&sb), stdout);
    gm_sb_free(&sb);
}

/* Names may hold line breaks (BPMN modelers wrap labels); keep one line. */
static void put_oneline(const char *s)
{
    for (; *s; s++)
        putchar(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
}

static void print_text(const char *path, const gm_bpmn *m)
{
    printf("%s: %zu process%s, %zu flow nodes, %zu sequence flows\n", path,
           gm_bpmn_nprocesses(m), gm_bpmn_nprocesses(m) == 1 ? "" : "es", gm_bpmn_nnodes(m),
           gm_bpmn_nflows(m));
    for (size_t p = 0; p < gm_bpmn_nprocesses(m); p++) {
        const gm_bpmn_process *pr = gm_bpmn_process_at(m, p);
        printf("\nprocess %s", pr->id);
        if (*pr->name) {
            printf(" \"");
            put_oneline(pr->name);
            putchar('"');
        }
        if (pr->participant) {
            printf(" (participant \"");
            put_oneline(pr->participant);
            printf("\")");
        }
        printf("\n");
        for (int k = GM_BPMN_START_EVENT; k <= GM_BPMN_EVENT_GATEWAY; k++) {
            bool header = false;
            for (size_t i = 0; i < gm_bpmn_nnodes(m); i++) {
                const gm_bpmn_node *n = gm_bpmn_node_at(m, i);
                if (n->process != p || (int)n->kind != k)
                    continue;
                if (!header)
                    printf("  %s:\n", gm_bpmn_kind_name(n->kind));
                header = true;
                printf("    %-24s", n->id);
                if (*n->name) {
                    printf(" \"");
                    put_oneline(n->name);
                    putchar('"');
                }
                if (strcmp(n->element, gm_bpmn_kind_name(n->kind)) != 0)
                    printf(" [%s]", n->element);
                if (n->trigger != GM_BPMN_TRIGGER_NONE)
                    printf(" %s", gm_bpmn_trigger_name(n->trigger));
                if (n->timer)
                    printf(" %s=%s", n->timer_kind, n->timer);
                if (n->loop != GM_BPMN_LOOP_NONE)
                    printf(" loop=%s", gm_bpmn_loop_name(n->loop));
                if (n->kind == GM_BPMN_BOUNDARY_EVENT)
                    printf(" on %s%s", gm_bpmn_node_at(m, n->attached_to)->id,
                           n->cancel_activity ? "" : " (non-interrupting)");
                if (n->called_element)
                    printf(" calls %s", n->called_element);
                if (n->parent != GM_BPMN_NONE)
                    printf(" in %s", gm_bpmn_node_at(m, n->parent)->id);
                if (n->lane) {
                    printf(" lane \"");
                    put_oneline(n->lane);
                    putchar('"');
                }
                printf("  (line %ld)\n", n->line);
            }
        }
        printf("  sequence flows:\n");
        for (size_t i = 0; i < gm_bpmn_nflows(m); i++) {
            const gm_bpmn_flow *f = gm_bpmn_flow_at(m, i);
            if (f->process != p)
                continue;
            printf("    %-24s %s -> %s", f->id, gm_bpmn_node_at(m, f->source)->id,
                   gm_bpmn_node_at(m, f->target)->id);
            if (f->is_default)
                printf(" (default)");
            if (f->condition) {
                printf(" [");
                put_oneline(f->condition);
                putchar(']');
            }
            printf("\n");
        }
    }
}

static int run(int argc, char **argv)
{
    enum { OPT_CHECK = 1000, OPT_JSON };
    static const struct option longopts[] = {
        {"check", no_argument, NULL, OPT_CHECK},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool check = false, json = false;
    int c;
    while ((c = gm_cli_getopt(&gm_cmd_process, argc, argv, "h", longopts)) != -1) {
        if (c == OPT_CHECK)
            check = true;
        else if (c == OPT_JSON)
            json = true;
        else
            return c == 'h' ? GM_EXIT_OK : GM_EXIT_USAGE;
    }
    if (optind >= argc)
        return gm_cli_usage("process", "missing MODEL.bpmn");
    if (optind + 1 < argc)
        return gm_cli_usage("process", "unexpected argument '%s'", argv[optind + 1]);
    if (!check) {
        gm_cli_error("process", "simulation of processes is not implemented yet; use --check");
        return GM_EXIT_USAGE;
    }
    const char *path = argv[optind];
    gm_err err;
    gm_err_clear(&err);
    gm_bpmn *m = NULL;
    if (gm_bpmn_load_file(path, &m, &err))
        return gm_cli_fail(&err);
    if (json)
        print_json(m);
    else
        print_text(path, m);
    gm_bpmn_free(m);
    return GM_EXIT_OK;
}

const gm_cli_cmd gm_cmd_process = {"process", "import a BPMN 2.0 process model (--check)", help,
                                   run};
