/* gemel model: validate DTDL models (validate), print a flattened interface (show), and
   delete a model from a data directory (delete). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/sb.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "model/registry.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel model validate PATH... [--allow-undefined-extensions] [--json]\n"
            "       gemel model show DTMI --models PATH [--models PATH...]\n"
            "                       [--allow-undefined-extensions] [--json]\n"
            "       gemel model delete DTMI --data DIR [--json]\n"
            "\n"
            "validate reads DTDL v2/v3 models from files and directories (searched\n"
            "recursively for *.json). A file holds one document or a JSON array of them;\n"
            "all files are validated together as one set, so references between files\n"
            "resolve in any order. Each problem is printed as FILE: JSON-PATH: MESSAGE;\n"
            "identifiers referenced but defined nowhere are listed as unresolved.\n"
            "\n"
            "show loads the models under PATH and prints interface DTMI flattened: its\n"
            "own contents, then those inherited through extends, with each element's\n"
            "schema, semantic type and unit.\n"
            "\n"
            "delete removes model DTMI from the data directory DIR (models are added with\n"
            "'gemel twin import'). It is refused while twins use the model, or other\n"
            "models refer to it: delete or change those first.\n"
            "\n"
            "Options:\n"
            "  --allow-undefined-extensions\n"
            "                   accept contexts, co-types and members of DTDL extensions\n"
            "                   gemel does not define (the conformance suite's\n"
            "                   AllowUndefinedExtensions; by default they are refused)\n"
            "  --models PATH    (show) a model file or directory; may be repeated\n"
            "  --data DIR       (delete) the data directory\n"
            "  --json           one JSON object on stdout; validate: {\"valid\": bool,\n"
            "                   \"files\", \"interfaces\", \"errors\": [{\"file\", \"where\",\n"
            "                   \"message\"}], \"unresolved\": [DTMI, ...]}; show: the\n"
            "                   interface with \"contents\" and DTDL-shaped schemas\n"
            "  -h, --help       this help\n"
            "\n"
            "Exit status: 0 valid (validate), shown (show) or deleted (delete); 1 a model\n"
            "is invalid, or the data directory failed or is in use; 2 bad options, a path\n"
            "that cannot be read, an unknown DTMI, a model still in use.\n"
            "docs/models.md describes what gemel supports.\n");
}

/* ---- schema rendering ------------------------------------------------------------ */

static void schema_text(gm_sb *sb, const gm_schema *s, int depth)
{
    if (!s) {
        gm_sb_append(sb, "?");
        return;
    }
    if (depth > 6) {
        gm_sb_append(sb, "...");
        return;
    }
    switch (s->kind) {
    case GM_SCHEMA_ARRAY:
        gm_sb_append(sb, "Array<");
        schema_text(sb, s->element, depth + 1);
        gm_sb_append(sb, ">");
        break;
    case GM_SCHEMA_MAP:
        gm_sb_appendf(sb, "Map<%s: string, %s: ", s->key_name ? s->key_name : "key",
                      s->value_name ? s->value_name : "value");
        schema_text(sb, s->element, depth + 1);
        gm_sb_append(sb, ">");
        break;
    case GM_SCHEMA_OBJECT:
        gm_sb_append(sb, "Object{");
        for (size_t i = 0; i < s->n; i++) {
            gm_sb_appendf(sb, "%s%s: ", i ? ", " : "", s->fields[i].name);
            schema_text(sb, s->fields[i].schema, depth + 1);
        }
        gm_sb_append(sb, "}");
        break;
    case GM_SCHEMA_ENUM:
        if (s->unit_type) {
            /* a quantitativeTypes unit type ("TemperatureUnit"): its name is
               what the model wrote; its units are the extension's list */
            gm_sb_append(sb, s->unit_type);
            return;
        }
        gm_sb_appendf(sb, "Enum<%s>{", s->enum_strings ? "string" : "integer");
        for (size_t i = 0; i < s->n; i++) {
            if (s->enum_strings)
                gm_sb_appendf(sb, "%s%s=\"%s\"", i ? ", " : "", s->values[i].name,
                              s->values[i].str ? s->values[i].str : "");
            else
                gm_sb_appendf(sb, "%s%s=%lld", i ? ", " : "", s->values[i].name, s->values[i].num);
        }
        gm_sb_append(sb, "}");
        break;
    default: gm_sb_append(sb, gm_schema_kind_name(s->kind)); break;
    }
    if (s->id && depth == 0)
        gm_sb_appendf(sb, " (%s)", s->id);
}

/* The schema as DTDL would write it: a term, or an object. */
static json_t *schema_json(const gm_schema *s, int depth)
{
    if (!s)
        return json_null();
    if (s->kind < GM_SCHEMA_ARRAY)
        return json_string(gm_schema_kind_name(s->kind));
    if (s->kind == GM_SCHEMA_ENUM && s->unit_type)
        return json_string(s->unit_type); /* a unit type is a term in DTDL too */
    json_t *o = json_object();
    if (s->id)
        json_object_set_new(o, "@id", json_string(s->id));
    json_object_set_new(o, "@type", json_string(gm_schema_kind_name(s->kind)));
    if (depth > 16)
        return o;
    switch (s->kind) {
    case GM_SCHEMA_ARRAY: json_object_set_new(o, "elementSchema", schema_json(s->element, depth + 1)); break;
    case GM_SCHEMA_MAP:
        json_object_set_new(o, "mapKey", json_pack("{s:s?,s:s}", "name", s->key_name, "schema", "string"));
        json_object_set_new(o, "mapValue", json_pack("{s:s?,s:o}", "name", s->value_name, "schema",
                                                     schema_json(s->element, depth + 1)));
        break;
    case GM_SCHEMA_OBJECT: {
        json_t *f = json_array();
        for (size_t i = 0; i < s->n; i++)
            json_array_append_new(f, json_pack("{s:s?,s:o}", "name", s->fields[i].name, "schema",
                                               schema_json(s->fields[i].schema, depth + 1)));
        json_object_set_new(o, "fields", f);
        break;
    }
    case GM_SCHEMA_ENUM: {
        json_object_set_new(o, "valueSchema", json_string(s->enum_strings ? "string" : "integer"));
        json_t *v = json_array();
        for (size_t i = 0; i < s->n; i++)
            json_array_append_new(v, json_pack("{s:s?,s:o}", "name", s->values[i].name, "enumValue",
                                               s->enum_strings ? json_string(s->values[i].str)
                                                               : json_integer(s->values[i].num)));
        json_object_set_new(o, "enumValues", v);
        break;
    }
    default: break;
    }
    return o;
}

/* ---- validate -------------------------------------------------------------------- */

static void print_problems(FILE *out, const gm_dtdl_report *rep)
{
    for (size_t i = 0; i < rep->nproblems; i++) {
        const gm_dtdl_problem *p = &rep->problems[i];
        if (p->where[0])
            fprintf(out, "%s: %s: %s\n", p->file, p->where, p->what);
        else
            fprintf(out, "%s: %s\n", p->file, p->what);
    }
    if (rep->dropped)
        fprintf(out, "(%zu more problems not shown)\n", rep->dropped);
    for (size_t i = 0; i < rep->nunresolved; i++)
        fprintf(out, "unresolved: %s\n", rep->unresolved[i]);
}

static json_t *report_json(const gm_dtdl_report *rep, size_t files, size_t interfaces, bool valid)
{
    json_t *errors = json_array(), *unres = json_array();
    for (size_t i = 0; i < rep->nproblems; i++)
        json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "file", rep->problems[i].file,
                                                "where", rep->problems[i].where, "message",
                                                rep->problems[i].what));
    for (size_t i = 0; i < rep->nunresolved; i++)
        json_array_append_new(unres, json_string(rep->unresolved[i]));
    return json_pack("{s:b,s:I,s:I,s:o,s:I,s:o}", "valid", valid, "files", (json_int_t)files,
                     "interfaces", (json_int_t)interfaces, "errors", errors, "dropped",
                     (json_int_t)rep->dropped, "unresolved", unres);
}

/* Load paths into a fresh registry. Returns an exit code; *r is set when
   the models are valid. docs (freed by the caller, after rep: the problems
   name its files) receives what was read. */
static int load(const char *const *paths, size_t n, const gm_dtdl_opts *o, gm_dtdl_report *rep,
                gm_model_registry **r, gm_model_docs *docs)
{
    gm_err err;
    gm_err_clear(&err);
    *r = NULL;
    int rc = gm_model_load_paths(paths, n, docs, rep, &err);
    if (rc) {
        gm_cli_fail(&err);
        return rc == GM_ENOMEM ? GM_EXIT_FAIL : GM_EXIT_USAGE;
    }
    if (docs->nfiles == 0) {
        gm_cli_error(paths[0], "no model files (*.json) found");
        return GM_EXIT_USAGE;
    }
    gm_model_registry *reg = gm_model_registry_create(o);
    rc = reg ? gm_model_registry_add(reg, docs->docs, docs->n, rep) : GM_ENOMEM;
    if (rc == GM_ENOMEM) {
        gm_model_registry_destroy(reg);
        gm_cli_error("model", "out of memory");
        return GM_EXIT_FAIL;
    }
    if (rc || rep->nproblems) { /* problems: invalid models, or files that are not JSON */
        gm_model_registry_destroy(reg);
        return GM_EXIT_FAIL;
    }
    *r = reg;
    return GM_EXIT_OK;
}

static int cmd_validate(int argc, char **argv, const gm_dtdl_opts *o, bool json)
{
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    gm_model_registry *r;
    gm_model_docs docs;
    int rc = load((const char *const *)argv, (size_t)argc, o, &rep, &r, &docs);
    size_t nfiles = docs.nfiles;
    if (rc == GM_EXIT_USAGE || (rc == GM_EXIT_FAIL && !rep.nproblems && !rep.nunresolved)) {
        gm_dtdl_report_free(&rep);
        gm_model_docs_free(&docs);
        return rc;
    }
    size_t nif = r ? gm_model_registry_count(r) : 0;
    if (json) {
        json_t *out = report_json(&rep, nfiles, nif, rc == GM_EXIT_OK);
        gm_cli_print_json(out);
        json_decref(out);
    } else {
        print_problems(stdout, &rep);
        if (rc == GM_EXIT_OK)
            printf("%zu file%s, %zu interface%s: valid\n", nfiles, nfiles == 1 ? "" : "s", nif,
                   nif == 1 ? "" : "s");
        else
            printf("%zu file%s: invalid (%zu problem%s, %zu unresolved)\n", nfiles,
                   nfiles == 1 ? "" : "s", rep.nproblems + rep.dropped,
                   rep.nproblems + rep.dropped == 1 ? "" : "s", rep.nunresolved);
    }
    gm_model_registry_destroy(r);
    gm_dtdl_report_free(&rep);
    gm_model_docs_free(&docs);
    return rc;
}

/* ---- show ------------------------------------------------------------------------ */

static json_t *content_json(const gm_model_content *c, const char *owner)
{
    json_t *o = json_pack("{s:s,s:s?}", "kind", gm_content_kind_name(c->kind), "name", c->name);
    if (c->defined_in && owner && strcmp(c->defined_in, owner))
        json_object_set_new(o, "definedIn", json_string(c->defined_in));
    if (c->display_name)
        json_object_set_new(o, "displayName", json_string(c->display_name));
    switch (c->kind) {
    case GM_CONTENT_TELEMETRY:
    case GM_CONTENT_PROPERTY:
        json_object_set_new(o, "schema", schema_json(c->schema, 0));
        if (c->kind == GM_CONTENT_PROPERTY)
            json_object_set_new(o, "writable", json_boolean(c->writable));
        if (c->semantic_type)
            json_object_set_new(o, "semanticType", json_string(c->semantic_type));
        if (c->unit)
            json_object_set_new(o, "unit", json_string(c->unit));
        break;
    case GM_CONTENT_COMMAND:
        if (c->request)
            json_object_set_new(o, "request", json_pack("{s:s?,s:o}", "name", c->request_name,
                                                        "schema", schema_json(c->request, 0)));
        if (c->response)
            json_object_set_new(o, "response", json_pack("{s:s?,s:o}", "name", c->response_name,
                                                         "schema", schema_json(c->response, 0)));
        break;
    case GM_CONTENT_RELATIONSHIP: {
        if (c->target)
            json_object_set_new(o, "target", json_string(c->target));
        if (c->max_multiplicity >= 0)
            json_object_set_new(o, "maxMultiplicity", json_integer(c->max_multiplicity));
        json_object_set_new(o, "writable", json_boolean(c->writable));
        json_t *p = json_array();
        for (size_t i = 0; i < c->nproperties; i++)
            json_array_append_new(p, content_json(&c->properties[i], NULL));
        json_object_set_new(o, "properties", p);
        break;
    }
    case GM_CONTENT_COMPONENT:
        json_object_set_new(o, "schema", json_string(c->component ? c->component : ""));
        break;
    }
    return o;
}

static void content_text(gm_sb *sb, const gm_model_content *c)
{
    switch (c->kind) {
    case GM_CONTENT_TELEMETRY:
    case GM_CONTENT_PROPERTY:
        schema_text(sb, c->schema, 0);
        if (c->semantic_type)
            gm_sb_appendf(sb, "  %s", c->semantic_type);
        if (c->unit)
            gm_sb_appendf(sb, " [%s]", c->unit);
        if (c->kind == GM_CONTENT_PROPERTY && c->writable)
            gm_sb_append(sb, "  writable");
        break;
    case GM_CONTENT_COMMAND:
        if (c->request) {
            gm_sb_appendf(sb, "(%s: ", c->request_name ? c->request_name : "request");
            schema_text(sb, c->request, 0);
            gm_sb_append(sb, ")");
        } else {
            gm_sb_append(sb, "()");
        }
        if (c->response) {
            gm_sb_appendf(sb, " -> %s: ", c->response_name ? c->response_name : "response");
            schema_text(sb, c->response, 0);
        }
        break;
    case GM_CONTENT_RELATIONSHIP:
        gm_sb_appendf(sb, "-> %s", c->target ? c->target : "any interface");
        if (c->max_multiplicity >= 0)
            gm_sb_appendf(sb, " (at most %ld)", c->max_multiplicity);
        for (size_t i = 0; i < c->nproperties; i++) {
            gm_sb_appendf(sb, "%s%s: ", i ? ", " : " {", c->properties[i].name);
            schema_text(sb, c->properties[i].schema, 1);
            if (i + 1 == c->nproperties)
                gm_sb_append(sb, "}");
        }
        break;
    case GM_CONTENT_COMPONENT: gm_sb_append(sb, c->component ? c->component : "?"); break;
    }
}

static int cmd_show(char **argv, const char *const *models, size_t nmodels, const gm_dtdl_opts *o,
                    bool json)
{
    if (nmodels == 0)
        return gm_cli_usage("model", "show needs --models PATH");
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    gm_model_registry *r;
    gm_model_docs docs;
    int rc = load(models, nmodels, o, &rep, &r, &docs);
    size_t nfiles = docs.nfiles;
    if (rc) {
        print_problems(stderr, &rep);
        if (rc == GM_EXIT_FAIL && (rep.nproblems || rep.nunresolved))
            gm_cli_error(models[0], "the models are invalid (run 'gemel model validate')");
    }
    gm_dtdl_report_free(&rep);
    gm_model_docs_free(&docs);
    if (rc)
        return rc;
    const gm_model_iface *i = gm_model_registry_get(r, argv[0]);
    if (!i) {
        gm_cli_error(argv[0], "no such interface in %zu model file%s", nfiles, nfiles == 1 ? "" : "s");
        gm_model_registry_destroy(r);
        return GM_EXIT_USAGE;
    }
    size_t own = 0;
    while (own < i->ncontents && strcmp(i->contents[own].defined_in, i->id) == 0)
        own++;
    if (json) {
        json_t *ext = json_array(), *cs = json_array();
        for (size_t k = 0; k < i->nextends; k++)
            json_array_append_new(ext, json_string(i->extends[k]));
        for (size_t k = 0; k < i->ncontents; k++)
            json_array_append_new(cs, content_json(&i->contents[k], i->id));
        json_t *out = json_pack("{s:s,s:i,s:s,s:s?,s:s?,s:o,s:o}", "@id", i->id, "version",
                                i->version, "file", i->file, "displayName", i->display_name,
                                "description", i->description, "extends", ext, "contents", cs);
        gm_cli_print_json(out);
        json_decref(out);
    } else {
        printf("%s  (DTDL v%d, %s)\n", i->id, i->version, i->file);
        if (i->display_name)
            printf("  display name: %s\n", i->display_name);
        for (size_t k = 0; k < i->nextends; k++)
            printf("  extends %s\n", i->extends[k]);
        printf("contents: %zu (%zu own, %zu inherited)\n", i->ncontents, own, i->ncontents - own);
        size_t w = 4;
        for (size_t k = 0; k < i->ncontents; k++)
            if (i->contents[k].name && strlen(i->contents[k].name) > w)
                w = strlen(i->contents[k].name);
        for (size_t k = 0; k < i->ncontents; k++) {
            const gm_model_content *c = &i->contents[k];
            gm_sb sb = GM_SB_INIT;
            content_text(&sb, c);
            printf("  %-12s %-*s  %s", gm_content_kind_name(c->kind), (int)w, c->name,
                   gm_sb_str(&sb));
            if (k >= own)
                printf("  (from %s)", c->defined_in);
            putchar('\n');
            gm_sb_free(&sb);
        }
    }
    gm_model_registry_destroy(r);
    return GM_EXIT_OK;
}

/* ---- delete ---------------------------------------------------------------------- */

typedef struct model_opts {
    gm_dtdl_opts dtdl;
    bool json;
    const char *dir;
    const char **models; /* --models, argc of them at most */
    size_t nmodels;
} model_opts;

static int sub_delete(void *ctx, int argc, char **argv)
{
    (void)argc;
    const model_opts *o = ctx;
    if (!o->dir)
        return gm_cli_usage("model", "delete needs --data DIR");
    gm_engine_opts eo = {.dir = o->dir, .must_exist = true};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&eo, &err);
    if (!e)
        return gm_cli_fail(&err);
    gm_engine_req r = {.op = GM_OP_MODEL_DELETE, .id = argv[0]};
    int rc = GM_EXIT_OK;
    if (gm_engine_call(e, &r)) {
        /* the registry names the model as where */
        if (strcmp(r.err.where, argv[0]))
            gm_err_prefix(&r.err, "%s", argv[0]);
        gm_cli_fail(&r.err);
        rc = r.status == GM_ENOMEM || r.status == GM_EIO ? GM_EXIT_FAIL : GM_EXIT_USAGE;
    } else if (o->json) {
        json_t *out = json_pack("{s:s}", "deleted", argv[0]);
        if (!out || gm_cli_print_json(out))
            rc = GM_EXIT_FAIL;
        json_decref(out);
    }
    gm_err_clear(&err);
    if (gm_engine_close(e, &err)) {
        gm_cli_fail(&err);
        rc = GM_EXIT_FAIL;
    }
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static int sub_validate(void *ctx, int argc, char **argv)
{
    const model_opts *o = ctx;
    if (o->nmodels)
        return gm_cli_usage("model", "--models belongs to 'show'; give validate its PATHs");
    return cmd_validate(argc, argv, &o->dtdl, o->json);
}

static int sub_show(void *ctx, int argc, char **argv)
{
    const model_opts *o = ctx;
    (void)argc;
    return cmd_show(argv, o->models, o->nmodels, &o->dtdl, o->json);
}

enum { OPT_ALLOW = 1000, OPT_MODELS, OPT_JSON, OPT_DATA };

static int option(void *ctx, int c, const char *arg)
{
    model_opts *o = ctx;
    if (c == OPT_ALLOW)
        o->dtdl.allow_undefined_extensions = true;
    else if (c == OPT_JSON)
        o->json = true;
    else if (c == OPT_MODELS)
        o->models[o->nmodels++] = arg;
    else if (c == OPT_DATA)
        o->dir = arg;
    return 0;
}

static const gm_cli_sub subs[] = {
    {"validate", 1, -1, "at least one PATH", sub_validate},
    {"show", 1, 1, "one DTMI", sub_show},
    {"delete", 1, 1, "one DTMI", sub_delete},
};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"allow-undefined-extensions", no_argument, NULL, OPT_ALLOW},
        {"models", required_argument, NULL, OPT_MODELS},
        {"json", no_argument, NULL, OPT_JSON},
        {"data", required_argument, NULL, OPT_DATA},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    model_opts o = {.models = calloc((size_t)argc + 1, sizeof *o.models)};
    if (!o.models) {
        gm_cli_error("model", "out of memory");
        return GM_EXIT_FAIL;
    }
    int rc = gm_cli_dispatch(&gm_cmd_model, argc, argv, subs, sizeof subs / sizeof subs[0],
                             longopts, option, &o);
    free(o.models);
    return rc;
}

const gm_cli_cmd gm_cmd_model = {"model",
                                 "validate DTDL models; show an interface; delete one from a data "
                                 "directory",
                                 help, run};
