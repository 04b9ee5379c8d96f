/*
 * gemel twin: twins in a local data directory: create, get, patch, delete,
 * query, and bulk import/export in the Azure Digital Twins import format.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "engine/engine.h"
#include "twin/query_exec.h"

#define MAX_LINE_BYTES (16u << 20) /* one line of an import file */
#define IMPORT_IN_FLIGHT 4096      /* requests queued at once during an import */

static void help(FILE *out)
{
    fprintf(out,
            "Usage: gemel twin create ID FILE --data DIR [--if-none-match]\n"
            "       gemel twin get ID --data DIR\n"
            "       gemel twin patch ID PATCH.json --data DIR [--if-match ETAG]\n"
            "       gemel twin delete ID --data DIR [--if-match ETAG]\n"
            "       gemel twin query \"SELECT ...\" --data DIR [--page-size N] [--continuation T]\n"
            "       gemel twin import FILE --data DIR [--continue-on-error]\n"
            "       gemel twin export FILE --data DIR\n"
            "       gemel twin events --data DIR [--after SEQ] [--limit N]\n"
            "\n"
            "Twins live in the data directory DIR (created when missing): a SQLite change\n"
            "log with snapshots. A change is reported done only once it is on disk.\n"
            "\n"
            "create stores the twin JSON in FILE (- for standard input) as twin ID, or\n"
            "replaces it; its \"$metadata\": {\"$model\": DTMI} names a model already in DIR\n"
            "(add models with import). patch applies a JSON Patch (RFC 6902) atomically.\n"
            "Both print the twin as stored. query runs an Azure Digital Twins query and\n"
            "prints {\"value\": [...], \"continuationToken\": ...}.\n"
            "\n"
            "import reads the Azure Digital Twins bulk import format (NDJSON): a\n"
            "{\"Section\": \"Header\"} line and a header object, then {\"Section\": \"Models\"},\n"
            "{\"Section\": \"Twins\"} and {\"Section\": \"Relationships\"} sections with one JSON\n"
            "object per line (a relationship names its source in \"$dtId\"). It stops at\n"
            "the first bad line (FILE:LINE: reason) unless --continue-on-error; models\n"
            "are added together, all or none. export writes DIR's models, twins and\n"
            "relationships in the same format.\n"
            "\n"
            "events prints the change events after sequence number SEQ (default 0: from\n"
            "the start of the log), one JSON object per line, oldest first: {\"seq\",\n"
            "\"kind\", \"time\", \"twin\", \"rel\", \"body\"}. Events folded into a\n"
            "snapshot are no longer kept; the error says from where the log goes on.\n"
            "\n"
            "Options:\n"
            "  --data DIR           the data directory (required)\n"
            "  --if-match ETAG      refuse the change unless the current ETag is ETAG\n"
            "  --if-none-match      create only: refuse to replace an existing twin\n"
            "  --page-size N        query rows per page (default 100)\n"
            "  --continuation T     query: the page after the one that returned T\n"
            "  --continue-on-error  import: report bad lines and import the rest\n"
            "  --after SEQ          events: start after this sequence number (default 0)\n"
            "  --limit N            events: print at most N (default: all)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 success; 1 failure (the store); 2 bad options or input: an\n"
            "invalid twin or patch, an unknown id, an ETag mismatch, a bad import line.\n"
            "docs/twins.md has the JSON shapes and examples.\n");
}

/* ---- helpers ---------------------------------------------------------------------- */

static gm_engine *open_engine(const char *dir)
{
    gm_engine_opts o = {.dir = dir};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&o, &err);
    if (!e)
        gm_cli_fail(&err);
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

static json_t *read_json(const char *path, gm_err *err)
{
    if (strcmp(path, "-") == 0) {
        json_error_t je;
        json_t *j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
        if (!j)
            gm_err_set(err, GM_EPARSE, "<stdin>", "%d:%d: %s", je.line, je.column, je.text);
        return j;
    }
    return gm_json_load_file(path, NULL, err);
}

/* The exit code for a refused request. */
static int refused(const gm_engine_req *r)
{
    return gm_cli_fail(&r->err) == GM_EXIT_USAGE || r->status == GM_ECONFLICT ||
                   r->status == GM_EEXIST
               ? GM_EXIT_USAGE
               : GM_EXIT_FAIL;
}

static int get_and_print(gm_engine *e, const char *id)
{
    gm_engine_req r = {.op = GM_OP_TWIN_GET, .id = id};
    if (gm_engine_call(e, &r))
        return refused(&r);
    gm_cli_print_json(r.value);
    json_decref(r.value);
    return GM_EXIT_OK;
}

/* ---- create / get / patch / delete ---------------------------------------------------- */

static int change(gm_engine_op op, const char *id, const char *file, const char *dir,
                  const char *if_match, bool if_none_match)
{
    gm_err err;
    gm_err_clear(&err);
    json_t *body = NULL;
    if (file && !(body = read_json(file, &err)))
        return gm_cli_fail(&err);
    gm_engine *e = open_engine(dir);
    if (!e) {
        json_decref(body);
        return GM_EXIT_USAGE;
    }
    gm_engine_req r = {.op = op, .id = id, .body = body, .if_match = if_match,
                       .if_none_match = if_none_match ? "*" : NULL};
    int rc = GM_EXIT_OK;
    if (gm_engine_call(e, &r)) {
        /* name the twin when the error points inside it */
        if (strcmp(r.err.where, id) != 0)
            gm_err_prefix(&r.err, "%s", id);
        rc = refused(&r);
    }
    json_decref(body);
    if (rc == GM_EXIT_OK && op != GM_OP_TWIN_DELETE)
        rc = get_and_print(e, id);
    return close_engine(e, rc);
}

static int get(const char *id, const char *dir)
{
    gm_engine *e = open_engine(dir);
    if (!e)
        return GM_EXIT_USAGE;
    return close_engine(e, get_and_print(e, id));
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

static int query(const char *text, const char *dir, size_t page_size, const char *continuation)
{
    gm_engine *e = open_engine(dir);
    if (!e)
        return GM_EXIT_USAGE;
    query_ctx q = {.text = text, .continuation = continuation, .page_size = page_size};
    gm_err_clear(&q.err);
    gm_engine_req r = {.op = GM_OP_READ, .read = run_query, .read_ctx = &q};
    int rc = GM_EXIT_OK;
    if (gm_engine_call(e, &r)) {
        rc = gm_cli_fail(q.err.code ? &q.err : &r.err);
    } else {
        json_t *out = gm_query_page_json(&q.page);
        gm_cli_print_json(out);
        json_decref(out);
    }
    gm_query_page_free(&q.page);
    return close_engine(e, rc);
}

/* ---- import ------------------------------------------------------------------------------ */

typedef struct importer importer;

typedef struct import_slot {
    gm_engine_req req;
    importer *im;
    json_t *body;
    char *id, *rel_id;
    unsigned long line;
    atomic_int busy;
} import_slot;

struct importer {
    const char *file;
    bool keep_going;
    atomic_ulong refused;
    atomic_ulong first_bad_line; /* 0: none */
    atomic_ulong accepted_twins, accepted_rels;
    import_slot *slots;
    size_t next;
    size_t models;
};

static void import_done(void *ctx, gm_engine_req *r)
{
    import_slot *s = ctx;
    importer *im = s->im;
    if (r->status) {
        char line[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 64];
        fprintf(stderr, "gemel: %s:%lu: %s\n", im->file, s->line,
                gm_err_format(&r->err, line, sizeof line));
        atomic_fetch_add(&im->refused, 1);
        unsigned long zero = 0;
        atomic_compare_exchange_strong(&im->first_bad_line, &zero, s->line);
    } else if (r->op == GM_OP_TWIN_PUT) {
        atomic_fetch_add(&im->accepted_twins, 1);
    } else {
        atomic_fetch_add(&im->accepted_rels, 1);
    }
    atomic_store(&s->busy, 0);
}

static void slot_clear(import_slot *s)
{
    json_decref(s->body);
    free(s->id);
    free(s->rel_id);
    s->body = NULL;
    s->id = s->rel_id = NULL;
}

/* A free slot, waiting for one when all are in flight. */
static import_slot *take_slot(importer *im)
{
    import_slot *s = &im->slots[im->next++ % IMPORT_IN_FLIGHT];
    while (atomic_load(&s->busy))
        usleep(20);
    slot_clear(s);
    return s;
}

static void line_error(const importer *im, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line_error(const importer *im, unsigned long line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gemel: %s:%lu: %s\n", im->file, line, msg);
}

enum { SEC_NONE, SEC_HEADER, SEC_MODELS, SEC_TWINS, SEC_RELS };

static int add_models(gm_engine *e, importer *im, json_t *models, unsigned long line)
{
    if (!json_array_size(models))
        return 0;
    json_t *docs = json_pack("[O]", models);
    gm_engine_req r = {.op = GM_OP_MODELS_ADD, .body = docs};
    int rc = gm_engine_call(e, &r);
    json_decref(docs);
    if (rc) {
        char buf[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 4];
        line_error(im, line, "the Models section is refused: %s",
                   gm_err_format(&r.err, buf, sizeof buf));
        return rc;
    }
    im->models += json_array_size(models);
    return 0;
}

static int import(const char *file, const char *dir, bool keep_going)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        gm_cli_error(file, "cannot open: %s", strerror(errno));
        return GM_EXIT_USAGE;
    }
    gm_engine *e = open_engine(dir);
    if (!e) {
        if (f != stdin)
            fclose(f);
        return GM_EXIT_USAGE;
    }
    importer im = {.file = file, .keep_going = keep_going};
    im.slots = calloc(IMPORT_IN_FLIGHT, sizeof *im.slots);
    json_t *models = json_array();
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long line = 0, models_line = 0;
    int section = SEC_NONE, rc = GM_EXIT_OK;
    bool header_seen = false;
    gm_progress prog;
    gm_progress_start(&prog, "lines", 0);
    if (!im.slots || !models) {
        gm_cli_error("import", "out of memory");
        rc = GM_EXIT_FAIL;
        goto done;
    }
    while ((n = getline(&buf, &cap, f)) >= 0) {
        line++;
        gm_progress_update(&prog, line);
        if (!keep_going && atomic_load(&im.first_bad_line))
            break;
        size_t len = (size_t)n;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (len > MAX_LINE_BYTES) {
            line_error(&im, line, "longer than %u bytes", MAX_LINE_BYTES);
            goto bad;
        }
        gm_err err;
        gm_err_clear(&err);
        json_t *j = gm_json_load_str(buf, len, NULL, "", &err);
        if (!j) {
            char m[GM_ERR_WHAT_MAX + GM_ERR_WHERE_MAX + 4];
            line_error(&im, line, "not valid JSON: %s", gm_err_format(&err, m, sizeof m));
            goto bad;
        }
        const char *sec = json_string_value(json_object_get(j, "Section"));
        if (sec && json_object_size(j) == 1) {
            int next = strcmp(sec, "Header") == 0          ? SEC_HEADER
                       : strcmp(sec, "Models") == 0        ? SEC_MODELS
                       : strcmp(sec, "Twins") == 0         ? SEC_TWINS
                       : strcmp(sec, "Relationships") == 0 ? SEC_RELS
                                                           : -1;
            json_decref(j);
            if (next < 0 || next <= section) {
                line_error(&im, line, "section '%s' %s (expected Header, Models, Twins, "
                                      "Relationships in that order)", sec,
                           next < 0 ? "is unknown" : "is out of order");
                rc = GM_EXIT_USAGE;
                break; /* the file's structure is wrong: nothing after makes sense */
            }
            if (section == SEC_MODELS && add_models(e, &im, models, models_line)) {
                rc = GM_EXIT_USAGE;
                break;
            }
            section = next;
            models_line = line;
            continue;
        }
        switch (section) {
        case SEC_NONE:
            json_decref(j);
            line_error(&im, line, "expected {\"Section\": \"Header\"} first");
            rc = GM_EXIT_USAGE;
            goto done;
        case SEC_HEADER:
            if (header_seen)
                line_error(&im, line, "a second header object; ignored");
            header_seen = true;
            json_decref(j);
            continue;
        case SEC_MODELS:
            if (json_array_append_new(models, j)) {
                rc = GM_EXIT_FAIL;
                goto done;
            }
            continue;
        default: break;
        }
        /* twins and relationships: queued, answered when durable */
        const char *id = json_string_value(json_object_get(j, "$dtId"));
        const char *rid = json_string_value(json_object_get(j, "$relationshipId"));
        if (!id || (section == SEC_RELS && !rid)) {
            json_decref(j);
            line_error(&im, line, "%s needs %s", section == SEC_TWINS ? "a twin" : "a relationship",
                       section == SEC_TWINS ? "\"$dtId\"" : "\"$dtId\" (its source) and "
                                                            "\"$relationshipId\"");
            goto bad;
        }
        import_slot *s = take_slot(&im);
        s->id = strdup(id);
        s->rel_id = rid ? strdup(rid) : NULL;
        s->line = line;
        if (section == SEC_RELS)
            json_object_del(j, "$dtId"); /* the source is the URL's, not a member */
        s->body = j;
        memset(&s->req, 0, sizeof s->req);
        s->req.op = section == SEC_TWINS ? GM_OP_TWIN_PUT : GM_OP_REL_PUT;
        s->req.id = s->id;
        s->req.rel_id = s->rel_id;
        s->req.body = s->body;
        s->req.done = import_done;
        s->req.ctx = s;
        s->im = &im;
        atomic_store(&s->busy, 1);
        int sr;
        while ((sr = gm_engine_submit(e, &s->req)) == GM_EAGAIN)
            usleep(50);
        if (sr) {
            atomic_store(&s->busy, 0);
            gm_cli_error("import", "the engine stopped");
            rc = GM_EXIT_FAIL;
            goto done;
        }
        continue;
    bad:
        atomic_fetch_add(&im.refused, 1);
        unsigned long zero = 0;
        atomic_compare_exchange_strong(&im.first_bad_line, &zero, line);
    }
    if (rc == GM_EXIT_OK && section == SEC_MODELS && add_models(e, &im, models, models_line))
        rc = GM_EXIT_USAGE;
done:
    gm_progress_finish(&prog);
    /* wait for every queued request */
    for (size_t i = 0; im.slots && i < IMPORT_IN_FLIGHT; i++) {
        while (atomic_load(&im.slots[i].busy))
            usleep(50);
        slot_clear(&im.slots[i]);
    }
    if (rc == GM_EXIT_OK && atomic_load(&im.refused))
        rc = GM_EXIT_USAGE;
    fprintf(stderr, "gemel: %s: imported %zu models, %lu twins, %lu relationships; %lu line%s "
                    "refused%s\n",
            file, im.models, atomic_load(&im.accepted_twins), atomic_load(&im.accepted_rels),
            atomic_load(&im.refused), atomic_load(&im.refused) == 1 ? "" : "s",
            !keep_going && atomic_load(&im.refused) ? " (stopped at the first)" : "");
    free(buf);
    free(im.slots);
    json_decref(models);
    if (f != stdin)
        fclose(f);
    return close_engine(e, rc);
}

/* ---- export --------------------------------------------------------------------------- */

typedef struct exporter {
    FILE *out;
    size_t twins, rels;
} exporter;

static int write_line(FILE *out, const json_t *j)
{
    if (json_dumpf(j, out, JSON_COMPACT) || fputc('\n', out) == EOF)
        return GM_EIO;
    return 0;
}

static int export_twin(void *ctx, const json_t *t)
{
    exporter *x = ctx;
    x->twins++;
    return write_line(x->out, t);
}

static int export_rel(void *ctx, const json_t *r)
{
    exporter *x = ctx;
    json_t *line = json_deep_copy(r);
    if (!line)
        return GM_ENOMEM;
    /* the import format names the source "$dtId" */
    json_object_set(line, "$dtId", json_object_get(r, "$sourceId"));
    json_object_del(line, "$sourceId");
    json_object_del(line, "$etag");
    int rc = write_line(x->out, line);
    json_decref(line);
    x->rels++;
    return rc;
}

static int export_all(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    exporter *x = ctx;
    json_t *sec = json_object(), *hdr = json_pack("{s:s,s:s,s:s}", "fileVersion", "1.0.0", "author",
                                                 "gemel", "organization", "");
    int rc = sec && hdr ? 0 : GM_ENOMEM;
    const char *names[] = {"Header", "Models", "Twins", "Relationships"};
    for (int i = 0; i < 4 && !rc; i++) {
        json_object_set_new(sec, "Section", json_string(names[i]));
        rc = write_line(x->out, sec);
        if (rc)
            break;
        if (i == 0)
            rc = write_line(x->out, hdr);
        for (size_t k = 0; i == 1 && !rc && k < gm_model_registry_documents(m); k++)
            rc = write_line(x->out, gm_model_registry_document(m, k));
        if (i == 2)
            rc = gm_twin_each(g, export_twin, x);
        if (i == 3)
            rc = gm_rel_each(g, export_rel, x);
    }
    json_decref(sec);
    json_decref(hdr);
    return rc;
}

static int export(const char *file, const char *dir)
{
    gm_engine *e = open_engine(dir);
    if (!e)
        return GM_EXIT_USAGE;
    FILE *out = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
    if (!out) {
        gm_cli_error(file, "cannot create: %s", strerror(errno));
        return close_engine(e, GM_EXIT_USAGE);
    }
    exporter x = {out, 0, 0};
    gm_engine_req r = {.op = GM_OP_READ, .read = export_all, .read_ctx = &x};
    int rc = GM_EXIT_OK;
    bool failed = gm_engine_call(e, &r) != 0;
    failed |= out == stdout ? fflush(out) != 0 : fclose(out) != 0;
    if (failed) {
        gm_cli_error(file, "cannot write the export");
        rc = GM_EXIT_FAIL;
    } else {
        fprintf(stderr, "gemel: %s: exported %zu twins, %zu relationships\n", file, x.twins, x.rels);
    }
    return close_engine(e, rc);
}

/* ---- events ------------------------------------------------------------------------------- */

static int print_event(void *ctx, const gm_engine_event *ev)
{
    (void)ctx;
    return fwrite(ev->json, 1, ev->len, stdout) == ev->len && putchar('\n') != EOF ? 0 : GM_EIO;
}

static int events(const char *dir, uint64_t after, uint64_t limit)
{
    gm_engine *e = open_engine(dir);
    if (!e)
        return GM_EXIT_USAGE;
    gm_err err;
    gm_err_clear(&err);
    /* in chunks, so that a long log is streamed, not held */
    int rc = 0;
    while (limit > 0) {
        size_t chunk = limit < 4096 ? (size_t)limit : 4096;
        uint64_t last = after;
        if ((rc = gm_engine_events(e, after, chunk, print_event, NULL, &last, &err)) || last == after)
            break;
        limit -= last - after;
        after = last;
    }
    if (!rc && fflush(stdout) != 0)
        rc = gm_err_set(&err, GM_EIO, "stdout", "cannot write: %s", strerror(errno));
    if (rc) {
        gm_cli_fail(&err);
        return close_engine(e, rc == GM_ERANGE ? GM_EXIT_USAGE : GM_EXIT_FAIL);
    }
    return close_engine(e, GM_EXIT_OK);
}

/* A sequence number or count option: decimal digits, at most INT64_MAX. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v > (unsigned long long)INT64_MAX)
        return false;
    *out = v;
    return true;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int run(int argc, char **argv)
{
    enum { OPT_DATA = 1000, OPT_IF_MATCH, OPT_IF_NONE, OPT_PAGE, OPT_CONT, OPT_KEEP, OPT_AFTER,
           OPT_LIMIT };
    static const struct option longopts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"if-match", required_argument, NULL, OPT_IF_MATCH},
        {"if-none-match", no_argument, NULL, OPT_IF_NONE},
        {"page-size", required_argument, NULL, OPT_PAGE},
        {"continuation", required_argument, NULL, OPT_CONT},
        {"continue-on-error", no_argument, NULL, OPT_KEEP},
        {"after", required_argument, NULL, OPT_AFTER},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return GM_EXIT_OK;
    }
    if (argc < 2)
        return gm_cli_usage("twin", "expected a sub-command: create, get, patch, delete, query, "
                                    "import, export or events");
    const char *sub = argv[1];
    const char *dir = NULL, *if_match = NULL, *cont = NULL;
    bool if_none = false, keep = false;
    size_t page = 100;
    uint64_t after = 0, limit = UINT64_MAX;
    int c;
    optind = 0;
    while ((c = gm_cli_getopt(&gm_cmd_twin, argc - 1, argv + 1, "h", longopts)) != -1) {
        switch (c) {
        case 'h': return GM_EXIT_OK;
        case '?': return GM_EXIT_USAGE;
        case OPT_DATA: dir = optarg; break;
        case OPT_IF_MATCH: if_match = optarg; break;
        case OPT_IF_NONE: if_none = true; break;
        case OPT_CONT: cont = optarg; break;
        case OPT_KEEP: keep = true; break;
        case OPT_AFTER:
            if (!parse_u64(optarg, &after))
                return gm_cli_usage("twin", "--after takes a sequence number, not '%s'", optarg);
            break;
        case OPT_LIMIT:
            if (!parse_u64(optarg, &limit) || limit == 0)
                return gm_cli_usage("twin", "--limit takes a count of at least 1, not '%s'",
                                    optarg);
            break;
        case OPT_PAGE: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100000)
                return gm_cli_usage("twin", "--page-size takes 1 to 100000, not '%s'", optarg);
            page = (size_t)v;
            break;
        }
        default: break;
        }
    }
    int npos = argc - 1 - optind;
    char **pos = argv + 1 + optind;
    if (!dir)
        return gm_cli_usage("twin", "--data DIR is required");
    struct {
        const char *name;
        int args;
    } subs[] = {{"create", 2}, {"get", 1}, {"patch", 2}, {"delete", 1},
                {"query", 1},  {"import", 1}, {"export", 1}, {"events", 0}};
    int want = -1;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i].name) == 0)
            want = subs[i].args;
    if (want < 0)
        return gm_cli_usage("twin", "unknown sub-command '%s'", sub);
    if (npos != want)
        return gm_cli_usage("twin", "%s takes %d argument%s", sub, want, want == 1 ? "" : "s");
    if (strcmp(sub, "create") == 0)
        return change(GM_OP_TWIN_PUT, pos[0], pos[1], dir, if_match, if_none);
    if (strcmp(sub, "patch") == 0)
        return change(GM_OP_TWIN_PATCH, pos[0], pos[1], dir, if_match, false);
    if (strcmp(sub, "delete") == 0)
        return change(GM_OP_TWIN_DELETE, pos[0], NULL, dir, if_match, false);
    if (strcmp(sub, "get") == 0)
        return get(pos[0], dir);
    if (strcmp(sub, "query") == 0)
        return query(pos[0], dir, page, cont);
    if (strcmp(sub, "import") == 0)
        return import(pos[0], dir, keep);
    if (strcmp(sub, "events") == 0)
        return events(dir, after, limit);
    return export(pos[0], dir);
}

const gm_cli_cmd gm_cmd_twin = {"twin", "twins in a data directory: create, patch, query, import",
                                help, run};
