/*
 * test_registry.c: the model registry: references across files in any
 * order, all-or-nothing adds, delete protection, flattening across
 * multi-level extends, compiled schemas and units, instance validation,
 * loading files and directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/registry.h"

#include "text.h"

#define CTX "\"@context\": \"dtmi:dtdl:context;3\", "

static const char *base_if =
    "{" CTX "\"@id\": \"dtmi:ex:Asset;1\", \"@type\": \"Interface\", \"contents\": ["
    "{\"@type\": \"Property\", \"name\": \"serial\", \"schema\": \"string\"},"
    "{\"@type\": \"Relationship\", \"name\": \"locatedIn\", \"target\": \"dtmi:ex:Site;1\","
    " \"maxMultiplicity\": 1, \"properties\": [{\"@type\": \"Property\", \"name\": \"since\","
    " \"schema\": \"dateTime\"}]}]}";
static const char *machine_if =
    "{\"@context\": [\"dtmi:dtdl:context;3\", \"dtmi:dtdl:extension:quantitativeTypes;1\"],"
    " \"@id\": \"dtmi:ex:Machine;1\", \"@type\": \"Interface\", \"extends\": \"dtmi:ex:Asset;1\","
    " \"displayName\": {\"en\": \"Machine\", \"de\": \"Maschine\"},"
    " \"schemas\": [{\"@id\": \"dtmi:ex:Mode;1\", \"@type\": \"Enum\", \"valueSchema\": \"string\","
    " \"enumValues\": [{\"name\": \"run\", \"enumValue\": \"RUN\"}, {\"name\": \"stop\", \"enumValue\": \"STOP\"}]}],"
    " \"contents\": ["
    "{\"@type\": [\"Telemetry\", \"Temperature\"], \"name\": \"temp\", \"schema\": \"double\", \"unit\": \"degreeCelsius\"},"
    "{\"@type\": \"Property\", \"name\": \"mode\", \"schema\": \"dtmi:ex:Mode;1\", \"writable\": true},"
    "{\"@type\": \"Property\", \"name\": \"limits\", \"writable\": true, \"schema\": {\"@type\": \"Object\", \"fields\": ["
    "  {\"name\": \"high\", \"schema\": \"double\"},"
    "  {\"name\": \"alarms\", \"schema\": {\"@type\": \"Array\", \"elementSchema\": \"string\"}}]}},"
    "{\"@type\": \"Command\", \"name\": \"setSpeed\", \"request\": {\"name\": \"rpm\", \"schema\": \"integer\"},"
    " \"response\": {\"name\": \"ok\", \"schema\": \"boolean\"}},"
    "{\"@type\": \"Command\", \"name\": \"reset\"},"
    "{\"@type\": \"Component\", \"name\": \"motor\", \"schema\": \"dtmi:ex:Motor;1\"}]}";
static const char *press_if =
    "{" CTX "\"@id\": \"dtmi:ex:Press;1\", \"@type\": \"Interface\", \"extends\": \"dtmi:ex:Machine;1\","
    " \"contents\": [{\"@type\": \"Property\", \"name\": \"force\", \"schema\": {\"@type\": \"Map\","
    " \"mapKey\": {\"name\": \"stage\", \"schema\": \"string\"},"
    " \"mapValue\": {\"name\": \"kN\", \"schema\": \"double\"}}}]}";
static const char *motor_if =
    "{" CTX "\"@id\": \"dtmi:ex:Motor;1\", \"@type\": \"Interface\", \"contents\": ["
    "{\"@type\": \"Telemetry\", \"name\": \"rpm\", \"schema\": \"integer\"}]}";
static const char *site_if = "{" CTX "\"@id\": \"dtmi:ex:Site;1\", \"@type\": \"Interface\"}";

/* The five interfaces added in an order where each refers forward. */
static gm_model_registry *loaded(void)
{
    gm_model_registry *r = gm_model_registry_create(NULL);
    assert_non_null(r);
    json_t *docs[] = {J(press_if), J(machine_if), J(base_if), J(motor_if), J(site_if)};
    gm_dtdl_doc d[5];
    for (int i = 0; i < 5; i++)
        d[i] = (gm_dtdl_doc){"set.json", docs[i]};
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = gm_model_registry_add(r, d, 5, &rep);
    for (size_t i = 0; i < rep.nproblems; i++)
        print_message("  %s: %s\n", rep.problems[i].where, rep.problems[i].what);
    assert_int_equal(rc, 0);
    gm_dtdl_report_free(&rep);
    for (int i = 0; i < 5; i++)
        json_decref(docs[i]);
    return r;
}

static void test_flatten(void **state)
{
    (void)state;
    gm_model_registry *r = loaded();
    /* 5 interfaces; the inline Enum is a schema, not an interface */
    assert_int_equal(gm_model_registry_count(r), 5);
    const gm_model_iface *p = gm_model_registry_get(r, "dtmi:ex:Press;1");
    assert_non_null(p);
    /* own first, then Machine's six, then Asset's two */
    assert_int_equal(p->ncontents, 1 + 6 + 2);
    assert_string_equal(p->contents[0].name, "force");
    assert_string_equal(p->contents[1].name, "temp");
    assert_string_equal(p->contents[7].name, "serial");
    assert_string_equal(p->contents[7].defined_in, "dtmi:ex:Asset;1");
    assert_int_equal(p->nextends, 1);
    assert_string_equal(p->extends[0], "dtmi:ex:Machine;1");
    assert_true(gm_model_registry_is_a(r, "dtmi:ex:Press;1", "dtmi:ex:Asset;1"));
    assert_false(gm_model_registry_is_a(r, "dtmi:ex:Asset;1", "dtmi:ex:Press;1"));
    assert_false(gm_model_registry_is_a(r, "dtmi:ex:Press;1", "dtmi:ex:Site;1"));

    const gm_model_content *t = gm_model_iface_find(p, "temp");
    assert_non_null(t);
    assert_int_equal(t->kind, GM_CONTENT_TELEMETRY);
    assert_string_equal(t->defined_in, "dtmi:ex:Machine;1");
    assert_string_equal(t->semantic_type, "Temperature");
    assert_string_equal(t->unit, "degreeCelsius");
    assert_int_equal(t->schema->kind, GM_SCHEMA_DOUBLE);
    assert_null(gm_model_iface_find(p, "nothing"));

    const gm_model_content *mode = gm_model_iface_find(p, "mode");
    assert_true(mode->writable);
    assert_int_equal(mode->schema->kind, GM_SCHEMA_ENUM);
    assert_string_equal(mode->schema->id, "dtmi:ex:Mode;1");
    assert_int_equal(mode->schema->n, 2);
    assert_string_equal(mode->schema->values[1].str, "STOP");

    const gm_model_content *lim = gm_model_iface_find(p, "limits");
    assert_int_equal(lim->schema->kind, GM_SCHEMA_OBJECT);
    assert_int_equal(lim->schema->n, 2);
    assert_string_equal(lim->schema->fields[1].name, "alarms");
    assert_int_equal(lim->schema->fields[1].schema->kind, GM_SCHEMA_ARRAY);
    assert_int_equal(lim->schema->fields[1].schema->element->kind, GM_SCHEMA_STRING);

    const gm_model_content *force = gm_model_iface_find(p, "force");
    assert_int_equal(force->schema->kind, GM_SCHEMA_MAP);
    assert_string_equal(force->schema->key_name, "stage");
    assert_int_equal(force->schema->element->kind, GM_SCHEMA_DOUBLE);

    const gm_model_content *rel = gm_model_iface_find(p, "locatedIn");
    assert_int_equal(rel->kind, GM_CONTENT_RELATIONSHIP);
    assert_string_equal(rel->target, "dtmi:ex:Site;1");
    assert_int_equal(rel->max_multiplicity, 1);
    assert_int_equal(rel->nproperties, 1);
    assert_string_equal(rel->properties[0].name, "since");
    assert_int_equal(rel->properties[0].schema->kind, GM_SCHEMA_DATETIME);

    const gm_model_content *motor = gm_model_iface_find(p, "motor");
    assert_int_equal(motor->kind, GM_CONTENT_COMPONENT);
    assert_string_equal(motor->component, "dtmi:ex:Motor;1");

    const gm_model_iface *m = gm_model_registry_get(r, "dtmi:ex:Machine;1");
    assert_string_equal(m->display_name, "Machine");
    gm_model_registry_destroy(r);
}

static void test_instances(void **state)
{
    (void)state;
    gm_model_registry *r = loaded();
    const gm_model_iface *p = gm_model_registry_get(r, "dtmi:ex:Press;1");
    gm_err e;
    json_t *v;

    v = J("{\"high\": 80.5, \"alarms\": [\"hot\", \"cold\"]}");
    assert_int_equal(gm_model_check_property(p, "limits", v, "limits", NULL), 0);
    json_decref(v);
    gm_err_clear(&e);
    v = J("{\"high\": 80.5, \"alarms\": [\"hot\", 7]}");
    assert_int_equal(gm_model_check_property(p, "limits", v, "limits", &e), GM_EINVAL);
    assert_string_equal(e.where, "limits.alarms[1]");
    json_decref(v);

    gm_err_clear(&e);
    v = J("\"PAUSE\"");
    assert_int_equal(gm_model_check_property(p, "mode", v, "mode", &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "RUN"));
    json_decref(v);

    /* a telemetry is not a property, and unknown names are not found */
    gm_err_clear(&e);
    v = J("20");
    assert_int_equal(gm_model_check_property(p, "temp", v, "temp", &e), GM_EINVAL);
    assert_non_null(strstr(e.what, "is a Telemetry"));
    assert_int_equal(gm_model_check_property(p, "nope", v, "nope", NULL), GM_ENOENT);
    json_decref(v);

    v = J("{\"temp\": 21.5}");
    assert_int_equal(gm_model_check_telemetry(p, v, "", NULL), 0);
    json_decref(v);
    gm_err_clear(&e);
    v = J("{\"temp\": \"warm\"}");
    assert_int_equal(gm_model_check_telemetry(p, v, "", &e), GM_EINVAL);
    assert_string_equal(e.where, "temp");
    json_decref(v);
    v = J("[21.5]");
    assert_int_equal(gm_model_check_telemetry(p, v, "", NULL), GM_EINVAL);
    json_decref(v);

    v = J("1500");
    assert_int_equal(gm_model_check_command(p, "setSpeed", v, "request", NULL), 0);
    json_decref(v);
    v = J("1500.5");
    assert_int_equal(gm_model_check_command(p, "setSpeed", v, "request", NULL), GM_EINVAL);
    assert_int_equal(gm_model_check_command(p, "reset", v, "request", NULL), GM_EINVAL);
    json_decref(v);
    assert_int_equal(gm_model_check_command(p, "reset", NULL, "request", NULL), 0);
    assert_int_equal(gm_model_check_command(p, "setSpeed", NULL, "request", NULL), GM_EINVAL);

    v = J("{\"stage1\": 12.5, \"stage2\": 3}");
    assert_int_equal(gm_model_check_property(p, "force", v, "force", NULL), 0);
    json_decref(v);
    gm_model_registry_destroy(r);
}

static bool uses_motor(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "dtmi:ex:Motor;1") == 0;
}

static void test_add_and_remove(void **state)
{
    (void)state;
    gm_model_registry *r = gm_model_registry_create(NULL);
    /* a reference to a model not yet held is refused; nothing is added */
    assert_int_equal(registry_add_text(r, "machine.json", machine_if), GM_EINVAL);
    assert_int_equal(gm_model_registry_count(r), 0);
    /* in dependency order, one call each */
    assert_int_equal(registry_add_text(r, "site.json", site_if), 0);
    assert_int_equal(registry_add_text(r, "asset.json", base_if), 0);
    assert_int_equal(registry_add_text(r, "motor.json", motor_if), 0);
    assert_int_equal(registry_add_text(r, "machine.json", machine_if), 0);
    assert_int_equal(gm_model_registry_count(r), 4);
    /* again: already held */
    assert_int_equal(registry_add_text(r, "machine2.json", machine_if), GM_EEXIST);
    /* an invalid add leaves the registry as it was */
    assert_int_equal(registry_add_text(r, "bad.json", "{" CTX "\"@id\": \"dtmi:ex:Bad;1\", \"@type\": \"Interface\","
                                        " \"extends\": \"dtmi:ex:Machine;1\", \"contents\": [{\"@type\":"
                                        " \"Property\", \"name\": \"temp\", \"schema\": \"double\"}]}"),
                     GM_EINVAL);
    assert_int_equal(gm_model_registry_count(r), 4);
    assert_null(gm_model_registry_get(r, "dtmi:ex:Bad;1"));

    gm_err e;
    /* Machine extends Asset; Asset's relationship targets Site */
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Asset;1", &e), GM_ECONFLICT);
    assert_non_null(strstr(e.what, "dtmi:ex:Machine;1"));
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Site;1", &e), GM_ECONFLICT);
    assert_non_null(strstr(e.what, "dtmi:ex:Asset;1"));
    /* Machine's component uses Motor */
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Motor;1", NULL), GM_ECONFLICT);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Nothing;1", NULL), GM_ENOENT);
    /* the inline Enum is not a top-level interface */
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Mode;1", NULL), GM_ENOENT);
    assert_int_equal(gm_model_registry_count(r), 4);

    /* remove in reverse dependency order; twins block Motor */
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Machine;1", NULL), 0);
    assert_null(gm_model_registry_get(r, "dtmi:ex:Machine;1"));
    gm_model_registry_set_in_use(r, uses_motor, NULL);
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Motor;1", &e), GM_ECONFLICT);
    /* where names the model; what does not repeat it */
    assert_string_equal(e.where, "dtmi:ex:Motor;1");
    assert_string_equal(e.what, "twins use it; delete them first");
    gm_model_registry_set_in_use(r, NULL, NULL);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Motor;1", NULL), 0);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Asset;1", NULL), 0);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Site;1", NULL), 0);
    assert_int_equal(gm_model_registry_count(r), 0);
    /* and back */
    assert_int_equal(registry_add_text(r, "site.json", site_if), 0);
    assert_non_null(gm_model_registry_get(r, "dtmi:ex:Site;1"));
    gm_model_registry_destroy(r);
}

static bool uses_inner(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "dtmi:ex:Inner;1") == 0;
}

/* A model whose inner interface (a component's inline schema) twins use:
   the refusal names the model as where and the inner one in what. */
static void test_remove_inner_in_use(void **state)
{
    (void)state;
    gm_model_registry *r = gm_model_registry_create(NULL);
    assert_non_null(r);
    assert_int_equal(registry_add_text(r, "outer.json",
                                       "{" CTX "\"@id\": \"dtmi:ex:Outer;1\", \"@type\": \"Interface\","
                                       " \"contents\": [{\"@type\": \"Component\", \"name\": \"m\","
                                       " \"schema\": {\"@id\": \"dtmi:ex:Inner;1\", \"@type\": \"Interface\","
                                       " \"contents\": [{\"@type\": \"Property\", \"name\": \"p\","
                                       " \"schema\": \"double\"}]}}]}"),
                     0);
    gm_model_registry_set_in_use(r, uses_inner, NULL);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Outer;1", &e), GM_ECONFLICT);
    assert_string_equal(e.where, "dtmi:ex:Outer;1");
    assert_string_equal(e.what, "twins use 'dtmi:ex:Inner;1', defined in it; delete them first");
    gm_model_registry_set_in_use(r, NULL, NULL);
    assert_int_equal(gm_model_registry_remove(r, "dtmi:ex:Outer;1", NULL), 0);
    gm_model_registry_destroy(r);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_paths(void **state)
{
    (void)state;
    char dir[] = "/tmp/gemel_models_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512], sub[512];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    /* an array document, a BOM, a nested directory, a file that is not JSON,
       a file that is not *.json */
    snprintf(p, sizeof p, "%s/b.json", dir);
    char both[4096];
    snprintf(both, sizeof both, "[%s, %s]", base_if, site_if);
    write_file(p, both);
    snprintf(p, sizeof p, "%s/sub/motor.json", dir);
    char bom[2048];
    snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", motor_if);
    write_file(p, bom);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    write_file(p, "not a model");
    snprintf(p, sizeof p, "%s/a.json", dir);
    write_file(p, "{\n  \"@id\": \"dtmi:ex:X;1\",\n  oops\n}");

    const char *paths[] = {dir};
    gm_model_docs docs;
    gm_dtdl_report rep;
    memset(&rep, 0, sizeof rep);
    gm_err e;
    gm_err_clear(&e);
    assert_int_equal(gm_model_load_paths(paths, 1, &docs, &rep, &e), 0);
    assert_int_equal(docs.nfiles, 3);
    assert_int_equal(docs.n, 2);
    assert_int_equal(rep.nproblems, 1);
    assert_non_null(strstr(rep.problems[0].file, "a.json"));
    assert_string_equal(rep.problems[0].where, "3:3");
    gm_dtdl_report_free(&rep);

    gm_model_registry *r = gm_model_registry_create(NULL);
    assert_int_equal(gm_model_registry_add(r, docs.docs, docs.n, &rep), 0);
    assert_int_equal(gm_model_registry_count(r), 3);
    gm_model_docs_free(&docs);
    /* the registry holds its own references */
    assert_non_null(gm_model_iface_find(gm_model_registry_get(r, "dtmi:ex:Asset;1"), "serial"));
    gm_model_registry_destroy(r);

    const char *missing[] = {"/nonexistent/models"};
    gm_err_clear(&e);
    assert_int_equal(gm_model_load_paths(missing, 1, &docs, &rep, &e), GM_ENOENT);
    assert_string_equal(e.where, "/nonexistent/models");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_add_and_remove),
        cmocka_unit_test(test_remove_inner_in_use),
        cmocka_unit_test(test_load_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
