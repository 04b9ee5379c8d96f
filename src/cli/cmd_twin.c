/*
 * gemel twin: twins and relationships in a local data directory: create,
 * get, patch, delete, query, the relationships one by one, the change
 * events, and bulk import/export in the Azure Digital Twins import format.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"
#include "base/strconv.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "engine/engine.h"
#include "engine/import.h"
#include "twin/query_exec.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel twin create ID FILE --data DIR [--if-none-match]\n"
            "       gemel twin get ID --data DIR\n"
            "       gemel twin patch ID PATCH.json --data DIR [--if-match ETAG]\n"
            "       gemel twin delete ID --data DIR [--if-match ETAG]\n"
            "       gemel twin rel add SOURCE REL-ID FILE --data DIR [--if-none-match]\n"
            "       gemel twin rel get SOURCE REL-ID --data DIR\n"
            "       gemel twin rel delete SOURCE REL-ID --data DIR [--if-match ETAG]\n"
            "       gemel twin rel list ID --data DIR [--incoming]\n"
            "       gemel twin query \"SELECT ...\" --data DIR [--page-size N] [--continuation T]\n"
            "       gemel twin import FILE --data DIR [--continue-on-error]\n"
            "       gemel twin export FILE --data DIR\n"
            "       gemel twin events --data DIR [--after SEQ] [--limit N]\n"
            "       (every sub-command also takes --json)\n"
            "\n"
            "Twins live in the data directory DIR: a SQLite change log with snapshots.\n"
            "create and import make DIR when it is missing; the other sub-commands need\n"
            "an existing one. A change is reported done only once it is on disk.\n"
            "\n"
            "create stores the twin JSON in FILE (- for standard input) as twin ID, or\n"
            "replaces it; its \"$metadata\": {\"$model\": DTMI} names a model already in DIR\n"
            "(add models with import). patch applies a JSON Patch (RFC 6902) atomically.\n"
            "Both print the twin as stored. delete refuses a twin that relationships\n"
            "leave or reach: delete those first (rel delete).\n"
            "\n"
            "rel add stores the relationship in FILE ({\"$relationshipName\": NAME,\n"
            "\"$targetId\": ID, properties...}) as REL-ID of twin SOURCE, or replaces it,\n"
            "and prints it as stored. rel list prints {\"value\": [...]}: the relationships\n"
            "leaving ID (or, with --incoming, reaching it), by $relationshipId.\n"
            "\n"
            "query runs an Azure Digital Twins query and prints {\"value\": [...],\n"
            "\"continuationToken\": ...}.\n"
            "\n"
            "import reads the Azure Digital Twins bulk import format (NDJSON): a\n"
            "{\"Section\": \"Header\"} line and a header object, then {\"Section\": \"Models\"},\n"
            "{\"Section\": \"Twins\"} and {\"Section\": \"Relationships\"} sections with one JSON\n"
            "object per line (a relationship names its source in \"$dtId\"). It stops at\n"
            "the first bad line (FILE:LINE: reason) and applies nothing after it, unless\n"
            "--continue-on-error; models are added together, all or none. export writes\n"
            "DIR's models, twins and relationships in the same format, twins by $dtId\n"
            "and relationships by source and id, so that two exports of one graph are\n"
            "the same file.\n"
            "\n"
            "events prints the change events after sequence number SEQ, one JSON object\n"
            "per line, oldest first: {\"seq\", \"kind\", \"time\", \"twin\", \"rel\", \"body\"}.\n"
            "Events folded into a snapshot are no longer kept: by default events starts\n"
            "after the newest snapshot; an --after before it is refused with the seq\n"
            "from which the log goes on.\n"
            "\n"
            "Options:\n"
            "  --data DIR           the data directory (required)\n"
            "  --if-match ETAG      refuse the change unless the current ETag is ETAG\n"
            "  --if-none-match      create, rel add: refuse to replace an existing one\n"
            "  --incoming           rel list: the relationships reaching ID\n"
            "  --page-size N        query rows per page (default 100)\n"
            "  --continuation T     query: the page after the one that returned T\n"
            "  --continue-on-error  import: report bad lines and import the rest\n"
            "  --after SEQ          events: start after this sequence number\n"
            "  --limit N            events: print at most N (default: all)\n"
            "  --json               one JSON object on stdout (delete: {\"deleted\": ID};\n"
            "                       import, export: what was done; events: {\"events\":\n"
            "                       [...], \"last\": SEQ})\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 success; 1 failure (the store, or a data directory in use by\n"
            "another process); 2 bad options or input: an invalid twin or patch, an\n"
            "unknown id or data directory, an ETag mismatch, a bad import line.\n"
            "docs/twins.md has the JSON shapes and examples.\n");
}

typedef struct twin_opts {
    const char *dir, *if_match, *cont;
    bool if_none, keep, json, incoming, after_set;
    uint64_t page, after, limit;
} twin_opts;

/* ---- helpers ---------------------------------------------------------------------- */

/* Open the engine on o->dir; create: make the store when it is missing
   (else a missing store is an error: a read must not make an empty one).
   NULL with *rc the exit code after reporting. */
static gm_engine *open_engine(const twin_opts *o, bool create, int *rc)
{
    if (!o->dir) {
        *rc = gm_cli_usage("twin", "--data DIR is required");
        return NULL;
    }
    gm_engine_opts eo = {.dir = o->dir, .must_exist = !create};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&eo, &err);
    if (!e)
        *rc = gm_cli_fail(&err); /* a directory in use: 1; none there: 2 */
    return e;
}

static int close_engine(gm_engine *e, int rc)
{
    gm_err err;
    gm_err_clear(&err);
    if (gm_engine_close(e, &err)) {
        gm_cli_fail(&err);
        return GM_EXIT_FAIL;
    }
    return rc;
}

/* FILE's JSON; "-" is standard input, read whole (to one byte past the
   loader's size limit) and loaded like a file, so that it meets the same
   limits and checks and its errors read "<stdin>:LINE:COLUMN: what". */
static json_t *read_json(const char *path, gm_err *err)
{
    if (strcmp(path, "-") != 0)
        return gm_json_load_file(path, NULL, err);
    size_t max = gm_json_limits_default.max_bytes, len = 0, cap = 0;
    char *buf = NULL;
    json_t *j = NULL;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                gm_err_set(err, GM_ELIMIT, "<stdin>", "larger than the limit of %zu bytes", max);
                goto done;
            }
            size_t grown = cap ? (cap > max / 2 ? max + 1 : cap * 2) : 65536;
            char *b = realloc(buf, grown);
            if (!b) {
                gm_err_set(err, GM_ENOMEM, "<stdin>", "out of memory reading %zu bytes", grown);
                goto done;
            }
            buf = b;
            cap = grown;
        }
        size_t got = fread(buf + len, 1, cap - len, stdin);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin))
        gm_err_errno(err, GM_EIO, errno, "<stdin>", "cannot read");
    else
        j = gm_json_load_str(buf, len, NULL, "<stdin>", err);
done:
    free(buf);
    return j;
}

/*
 * Report a refused request on twin id (and relationship rel, or NULL) as
 * "gemel: ID[: REL][: PATH]: what", naming each once, and return its exit
 * code: 2 for the request's fault (invalid, unknown, an ETag or a
 * relationship in the way), 1 for the engine's (its store, memory).
 */
static int refused(const char *id, const char *rel, gm_engine_req *r)
{
    gm_err *e = &r->err;
    const char *inner = rel ? rel : id;
    char where[GM_ERR_WHERE_MAX];
    if (!e->where[0] || strcmp(e->where, inner) == 0)
        snprintf(where, sizeof where, "%s%s%s", id, rel ? ": " : "", rel ? rel : "");
    else if (strcmp(e->where, id) == 0)
        snprintf(where, sizeof where, "%s", id);
    else
        snprintf(where, sizeof where, "%s%s%s: %.200s", id, rel ? ": " : "", rel ? rel : "",
                 e->where);
    memcpy(e->where, where, sizeof where);
    gm_cli_fail(e);
    switch (r->status) {
    case GM_ENOMEM:
    case GM_EIO:
    case GM_ESHUTDOWN:
    case GM_EINTERNAL: return GM_EXIT_FAIL;
    default: return GM_EXIT_USAGE;
    }
}

static int print_json(const json_t *j)
{
    if (gm_cli_print_json(j)) {
        gm_cli_error("stdout", "cannot write: %s", strerror(errno));
        return GM_EXIT_FAIL;
    }
    return GM_EXIT_OK;
}

/* Get twin id (rel NULL) or its relationship rel, and print it. */
static int get_and_print(gm_engine *e, const char *id, const char *rel)
{
    gm_engine_req r = {.op = rel ? GM_OP_REL_GET : GM_OP_TWIN_GET, .id = id, .rel_id = rel};
    if (gm_engine_call(e, &r))
        return refused(id, rel, &r);
    int rc = print_json(r.value);
    json_decref(r.value);
    return rc;
}

/* ---- create / get / patch / delete, of twins and of relationships ------------------ */

/* Apply op to twin id (or its relationship rel) with the JSON in file (or
   no body), then print what is stored (or, for a deletion, with --json,
   {"deleted": ...}). */
static int change(const twin_opts *o, gm_engine_op op, const char *id, const char *rel,
                  const char *file)
{
    gm_err err;
    gm_err_clear(&err);
    json_t *body = NULL;
    if (!o->dir)
        return gm_cli_usage("twin", "--data DIR is required");
    if (file && !(body = read_json(file, &err)))
        return gm_cli_fail(&err);
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, op == GM_OP_TWIN_PUT, &rc);
    if (!e) {
        json_decref(body);
        return rc;
    }
    bool put = op == GM_OP_TWIN_PUT || op == GM_OP_REL_PUT;
    gm_engine_req r = {.op = op, .id = id, .rel_id = rel, .body = body, .if_match = o->if_match,
                       .if_none_match = put && o->if_none ? "*" : NULL};
    if (gm_engine_call(e, &r))
        rc = refused(id, rel, &r);
    json_decref(body);
    if (rc == GM_EXIT_OK && op != GM_OP_TWIN_DELETE && op != GM_OP_REL_DELETE) {
        rc = get_and_print(e, id, rel);
    } else if (rc == GM_EXIT_OK && o->json) {
        json_t *out = rel ? json_pack("{s:s,s:s}", "deleted", rel, "source", id)
                          : json_pack("{s:s}", "deleted", id);
        rc = out ? print_json(out) : GM_EXIT_FAIL;
        json_decref(out);
    }
    return close_engine(e, rc);
}

static int sub_create(void *ctx, int argc, char **argv)
{
    (void)argc;
    return change(ctx, GM_OP_TWIN_PUT, argv[0], NULL, argv[1]);
}

static int sub_patch(void *ctx, int argc, char **argv)
{
    (void)argc;
    return change(ctx, GM_OP_TWIN_PATCH, argv[0], NULL, argv[1]);
}

static int sub_delete(void *ctx, int argc, char **argv)
{
    (void)argc;
    return change(ctx, GM_OP_TWIN_DELETE, argv[0], NULL, NULL);
}

static int sub_get(void *ctx, int argc, char **argv)
{
    (void)argc;
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(ctx, false, &rc);
    return e ? close_engine(e, get_and_print(e, argv[0], NULL)) : rc;
}

static int sub_rel_add(void *ctx, int argc, char **argv)
{
    (void)argc;
    return change(ctx, GM_OP_REL_PUT, argv[0], argv[1], argv[2]);
}

static int sub_rel_delete(void *ctx, int argc, char **argv)
{
    (void)argc;
    return change(ctx, GM_OP_REL_DELETE, argv[0], argv[1], NULL);
}

static int sub_rel_get(void *ctx, int argc, char **argv)
{
    (void)argc;
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(ctx, false, &rc);
    return e ? close_engine(e, get_and_print(e, argv[0], argv[1])) : rc;
}

/* ---- rel list ------------------------------------------------------------------------ */

typedef struct rel_list {
    const char *id;
    bool incoming;
    json_t *value; /* the relationships, copied */
} rel_list;

static int add_rel(void *ctx, const json_t *rel)
{
    rel_list *l = ctx;
    return json_array_append_new(l->value, json_deep_copy(rel)) ? GM_ENOMEM : 0;
}

static int cmp_rel_id(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "$relationshipId")),
                   json_string_value(json_object_get(y, "$relationshipId")));
    /* incoming ones of one id may come from several sources */
    return c ? c
             : strcmp(json_string_value(json_object_get(x, "$sourceId")),
                      json_string_value(json_object_get(y, "$sourceId")));
}

/* On the writer thread: the relationships leaving (or reaching) l->id. */
static int list_rels(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    (void)m;
    rel_list *l = ctx;
    if (!gm_twin_get(g, l->id))
        return GM_ENOENT;
    return l->incoming ? gm_rel_each_in(g, l->id, add_rel, l)
                       : gm_rel_each_out(g, l->id, NULL, add_rel, l);
}

/* Sort the array a by cmp, in place. */
static int sort_array(json_t *a, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(a);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return GM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(a, i));
    qsort(v, n, sizeof *v, cmp);
    json_array_clear(a);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, v[i]))
            rc = GM_ENOMEM;
    free(v);
    return rc;
}

static int sub_rel_list(void *ctx, int argc, char **argv)
{
    (void)argc;
    const twin_opts *o = ctx;
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, false, &rc);
    if (!e)
        return rc;
    rel_list l = {argv[0], o->incoming, json_array()};
    gm_engine_req r = {.op = GM_OP_READ, .read = list_rels, .read_ctx = &l};
    int st = l.value ? gm_engine_call(e, &r) : GM_ENOMEM;
    if (st == GM_ENOENT) {
        gm_cli_error(argv[0], "no such twin");
        rc = GM_EXIT_USAGE;
    } else if (st || sort_array(l.value, cmp_rel_id)) {
        gm_cli_error(argv[0], "cannot list the relationships: %s", gm_strerror(st ? st : GM_ENOMEM));
        rc = GM_EXIT_FAIL;
    } else {
        json_t *out = json_pack("{s:O,s:n}", "value", l.value, "nextLink");
        rc = out ? print_json(out) : GM_EXIT_FAIL;
        json_decref(out);
    }
    json_decref(l.value);
    return close_engine(e, rc);
}

static const gm_cli_sub rel_subs[] = {
    {"add", 3, 3, "SOURCE, REL-ID and FILE", sub_rel_add},
    {"get", 2, 2, "SOURCE and REL-ID", sub_rel_get},
    {"delete", 2, 2, "SOURCE and REL-ID", sub_rel_delete},
    {"list", 1, 1, "one twin ID", sub_rel_list},
};

static int sub_rel(void *ctx, int argc, char **argv)
{
    return gm_cli_run_sub("twin rel", rel_subs, sizeof rel_subs / sizeof rel_subs[0], argc, argv,
                          ctx);
}

/* ---- query ------------------------------------------------------------------------------- */

typedef struct query_ctx {
    const char *text;
    const char *continuation;
    size_t page_size;
    gm_query_page page;
    gm_err err;
} query_ctx;

static int run_query(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    query_ctx *q = ctx;
    return gm_query_run(g, m, q->text, strlen(q->text), q->continuation, q->page_size, &q->page,
                        &q->err);
}

static int sub_query(void *ctx, int argc, char **argv)
{
    (void)argc;
    const twin_opts *o = ctx;
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, false, &rc);
    if (!e)
        return rc;
    query_ctx q = {.text = argv[0], .continuation = o->cont, .page_size = (size_t)o->page};
    gm_err_clear(&q.err);
    gm_engine_req r = {.op = GM_OP_READ, .read = run_query, .read_ctx = &q};
    if (gm_engine_call(e, &r)) {
        rc = gm_cli_fail(q.err.code ? &q.err : &r.err);
    } else {
        json_t *out = gm_query_page_json(&q.page);
        rc = out ? print_json(out) : GM_EXIT_FAIL;
        json_decref(out);
    }
    gm_query_page_free(&q.page);
    return close_engine(e, rc);
}

/* ---- import ------------------------------------------------------------------------------ */

static void import_error(void *ctx, const gm_err *err)
{
    (void)ctx;
    gm_cli_fail(err);
}

static void import_progress(void *ctx, unsigned long lines)
{
    gm_progress_update(ctx, lines);
}

static int sub_import(void *ctx, int argc, char **argv)
{
    (void)argc;
    const twin_opts *o = ctx;
    const char *file = argv[0];
    if (!o->dir)
        return gm_cli_usage("twin", "--data DIR is required");
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        gm_cli_error(file, "cannot open: %s", strerror(errno));
        return GM_EXIT_USAGE;
    }
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, true, &rc);
    if (!e) {
        if (f != stdin)
            fclose(f);
        return rc;
    }
    gm_progress prog;
    gm_progress_start(&prog, "lines", 0);
    /* messages name the input as they would a file: "<stdin>:LINE: ..." */
    const char *name = f == stdin ? "<stdin>" : file;
    gm_engine_import_opts io = {.name = name, .keep_going = o->keep, .on_error = import_error,
                                .on_progress = import_progress, .ctx = &prog};
    gm_engine_import_result res;
    gm_err err;
    gm_err_clear(&err);
    int st = gm_engine_import(e, f, &io, &res, &err);
    gm_progress_finish(&prog);
    if (f != stdin)
        fclose(f);
    if (st && st != GM_EINVAL) /* not a bad line (those are reported): the engine, or reading */
        gm_cli_fail(&err);
    rc = !st ? GM_EXIT_OK : st == GM_EINVAL ? GM_EXIT_USAGE : GM_EXIT_FAIL;
    fprintf(stderr,
            "gemel: %s: imported %zu models, %zu twins, %zu relationships; %zu line%s refused%s\n",
            name, res.models, res.twins, res.relationships, res.refused,
            res.refused == 1 ? "" : "s",
            !o->keep && res.refused ? " (stopped at the first)" : "");
    if (o->json) {
        json_t *out = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "file", file, "lines",
                                (json_int_t)res.lines, "models", (json_int_t)res.models, "twins",
                                (json_int_t)res.twins, "relationships",
                                (json_int_t)res.relationships, "refused",
                                (json_int_t)res.refused, "first_bad_line",
                                (json_int_t)res.first_bad, "stopped", res.stopped);
        int prc = out ? print_json(out) : GM_EXIT_FAIL;
        json_decref(out);
        if (rc == GM_EXIT_OK)
            rc = prc;
    }
    return close_engine(e, rc);
}

/* ---- export --------------------------------------------------------------------------- */

typedef struct exporter {
    FILE *out;
    json_t *lines; /* the twins, then the relationships, to sort */
    size_t twins, rels;
} exporter;

static int write_line(FILE *out, const json_t *j)
{
    if (json_dumpf(j, out, JSON_COMPACT) || fputc('\n', out) == EOF)
        return GM_EIO;
    return 0;
}

static int collect_twin(void *ctx, const json_t *t)
{
    exporter *x = ctx;
    return json_array_append(x->lines, (json_t *)t) ? GM_ENOMEM : 0;
}

static int collect_rel(void *ctx, const json_t *r)
{
    exporter *x = ctx;
    json_t *line = json_deep_copy(r);
    /* the import format names the source "$dtId" */
    if (!line || json_object_set(line, "$dtId", json_object_get(r, "$sourceId")) ||
        json_array_append_new(x->lines, line))
        return GM_ENOMEM;
    json_object_del(line, "$sourceId");
    json_object_del(line, "$etag");
    return 0;
}

static int cmp_dtid(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "$dtId")),
                  json_string_value(json_object_get(y, "$dtId")));
}

static int cmp_source_rel(const void *a, const void *b)
{
    int c = cmp_dtid(a, b);
    return c ? c : cmp_rel_id(a, b);
}

/* Write x->lines sorted by cmp, and empty it. */
static int write_sorted(exporter *x, int (*cmp)(const void *, const void *))
{
    int rc = sort_array(x->lines, cmp);
    size_t i;
    json_t *v;
    json_array_foreach(x->lines, i, v) {
        if (rc)
            break;
        rc = write_line(x->out, v);
    }
    json_array_clear(x->lines);
    return rc;
}

/* On the writer thread: the graph in the import format, twins by $dtId and
   relationships by source and id, so that exports diff. */
static int export_all(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    exporter *x = ctx;
    json_t *sec = json_object(), *hdr = json_pack("{s:s,s:s,s:s}", "fileVersion", "1.0.0", "author",
                                                 "gemel", "organization", "");
    int rc = sec && hdr ? 0 : GM_ENOMEM;
    const char *names[] = {"Header", "Models", "Twins", "Relationships"};
    for (int i = 0; i < 4 && !rc; i++) {
        if (json_object_set_new(sec, "Section", json_string(names[i])) ||
            (rc = write_line(x->out, sec)))
            rc = rc ? rc : GM_ENOMEM;
        if (!rc && i == 0)
            rc = write_line(x->out, hdr);
        for (size_t k = 0; i == 1 && !rc && k < gm_model_registry_documents(m); k++)
            rc = write_line(x->out, gm_model_registry_document(m, k));
        if (!rc && i == 2 && !(rc = gm_twin_each(g, collect_twin, x))) {
            x->twins = json_array_size(x->lines);
            rc = write_sorted(x, cmp_dtid);
        }
        if (!rc && i == 3 && !(rc = gm_rel_each(g, collect_rel, x))) {
            x->rels = json_array_size(x->lines);
            rc = write_sorted(x, cmp_source_rel);
        }
    }
    json_decref(sec);
    json_decref(hdr);
    return rc;
}

static int sub_export(void *ctx, int argc, char **argv)
{
    (void)argc;
    const twin_opts *o = ctx;
    const char *file = argv[0];
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, false, &rc);
    if (!e)
        return rc;
    FILE *out = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
    if (!out) {
        gm_cli_error(file, "cannot create: %s", strerror(errno));
        return close_engine(e, GM_EXIT_USAGE);
    }
    exporter x = {out, json_array(), 0, 0};
    gm_engine_req r = {.op = GM_OP_READ, .read = export_all, .read_ctx = &x};
    bool failed = !x.lines || gm_engine_call(e, &r) != 0;
    failed |= out == stdout ? fflush(out) != 0 : fclose(out) != 0;
    json_decref(x.lines);
    if (failed) {
        gm_cli_error(file, "cannot write the export");
        rc = GM_EXIT_FAIL;
    } else if (o->json && out != stdout) {
        json_t *j = json_pack("{s:s,s:I,s:I}", "file", file, "twins", (json_int_t)x.twins,
                              "relationships", (json_int_t)x.rels);
        rc = j ? print_json(j) : GM_EXIT_FAIL;
        json_decref(j);
    } else {
        fprintf(stderr, "gemel: %s: exported %zu twins, %zu relationships\n", file, x.twins, x.rels);
    }
    return close_engine(e, rc);
}

/* ---- events ------------------------------------------------------------------------------- */

/* Each event: a line on stdout, or (--json) an element of events. */
static int print_event(void *ctx, const gm_engine_event *ev)
{
    json_t *events = ctx;
    if (events) {
        json_t *j = json_loadb(ev->json, ev->len, 0, NULL);
        return j && !json_array_append_new(events, j) ? 0 : GM_ENOMEM;
    }
    return fwrite(ev->json, 1, ev->len, stdout) == ev->len && putchar('\n') != EOF ? 0 : GM_EIO;
}

static int sub_events(void *ctx, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const twin_opts *o = ctx;
    int rc = GM_EXIT_OK;
    gm_engine *e = open_engine(o, false, &rc);
    if (!e)
        return rc;
    uint64_t after = o->after, limit = o->limit;
    if (!o->after_set) {
        /* from the oldest event kept: those up to the newest snapshot are
           folded into it */
        gm_store_counts c;
        gm_engine_store_counts(e, &c);
        after = c.snapshot_seq;
    }
    json_t *events = o->json ? json_array() : NULL;
    gm_err err;
    gm_err_clear(&err);
    /* in chunks, so that a long log is streamed, not held */
    int st = o->json && !events ? gm_err_set(&err, GM_ENOMEM, "events", "out of memory") : 0;
    while (!st && limit > 0) {
        size_t chunk = limit < 4096 ? (size_t)limit : 4096;
        uint64_t last = after;
        if ((st = gm_engine_events(e, after, chunk, print_event, events, &last, &err)) ||
            last == after)
            break;
        limit -= last - after;
        after = last;
    }
    if (!st && events) {
        json_t *out = json_pack("{s:O,s:I}", "events", events, "last", (json_int_t)after);
        st = out && !gm_cli_print_json(out) ? 0 : GM_EIO;
        json_decref(out);
    }
    json_decref(events);
    if (!st && fflush(stdout) != 0)
        st = gm_err_set(&err, GM_EIO, "stdout", "cannot write: %s", strerror(errno));
    if (st)
        rc = gm_cli_fail(&err);
    return close_engine(e, rc);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

enum { OPT_DATA = 1000, OPT_IF_MATCH, OPT_IF_NONE, OPT_PAGE, OPT_CONT, OPT_KEEP, OPT_AFTER,
       OPT_LIMIT, OPT_JSON, OPT_INCOMING };

static int option(void *ctx, int c, const char *arg)
{
    twin_opts *o = ctx;
    gm_err err;
    gm_err_clear(&err);
    int rc = 0;
    switch (c) {
    case OPT_DATA: o->dir = arg; break;
    case OPT_IF_MATCH: o->if_match = arg; break;
    case OPT_IF_NONE: o->if_none = true; break;
    case OPT_CONT: o->cont = arg; break;
    case OPT_KEEP: o->keep = true; break;
    case OPT_JSON: o->json = true; break;
    case OPT_INCOMING: o->incoming = true; break;
    case OPT_AFTER:
        o->after_set = true;
        rc = gm_parse_u64(arg, 0, (uint64_t)INT64_MAX, &o->after, "--after", &err);
        break;
    case OPT_LIMIT: rc = gm_parse_u64(arg, 1, (uint64_t)INT64_MAX, &o->limit, "--limit", &err); break;
    case OPT_PAGE: rc = gm_parse_u64(arg, 1, 100000, &o->page, "--page-size", &err); break;
    default: break;
    }
    return rc ? gm_cli_fail(&err) : 0;
}

static const gm_cli_sub subs[] = {
    {"create", 2, 2, "ID and FILE", sub_create},
    {"get", 1, 1, "one ID", sub_get},
    {"patch", 2, 2, "ID and PATCH.json", sub_patch},
    {"delete", 1, 1, "one ID", sub_delete},
    {"rel", 1, 4, "add, get, delete or list and their arguments", sub_rel},
    {"query", 1, 1, "one query", sub_query},
    {"import", 1, 1, "one FILE", sub_import},
    {"export", 1, 1, "one FILE", sub_export},
    {"events", 0, 0, "no arguments", sub_events},
};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"if-match", required_argument, NULL, OPT_IF_MATCH},
        {"if-none-match", no_argument, NULL, OPT_IF_NONE},
        {"page-size", required_argument, NULL, OPT_PAGE},
        {"continuation", required_argument, NULL, OPT_CONT},
        {"continue-on-error", no_argument, NULL, OPT_KEEP},
        {"after", required_argument, NULL, OPT_AFTER},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"incoming", no_argument, NULL, OPT_INCOMING},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    twin_opts o = {.page = 100, .limit = UINT64_MAX};
    return gm_cli_dispatch(&gm_cmd_twin, argc, argv, subs, sizeof subs / sizeof subs[0], longopts,
                           option, &o);
}

const gm_cli_cmd gm_cmd_twin = {"twin", "twins in a data directory: create, patch, query, import",
                                help, run};
