/*
 * import.c: bulk import in the Azure Digital Twins format (import.h).
 *
 * The calling thread reads and parses lines and submits a request per twin
 * or relationship into a ring of in_flight slots; the engine completes them
 * (refusals from its writer thread, in order; acceptances from its
 * committer, once durable). A slot is reused once its request has
 * completed: the reader waits on a condition variable that every
 * completion signals. The requests of an import that stops at its first
 * bad line share a stop flag (gm_engine_req.stop), so that the writer
 * applies none of those behind a refused one.
 */
#include "engine/import.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/time.h"

#define DEFAULT_IN_FLIGHT ((size_t)4096)
#define DEFAULT_MAX_LINE ((size_t)16 << 20)
#define MAX_DEPTH 64
#define MAX_MODELS_BYTES ((size_t)64 << 20)
#define PROGRESS_EVERY 1024

enum { SEC_NONE, SEC_HEADER, SEC_MODELS, SEC_TWINS, SEC_RELS };

static const char *const section_names[] = {"", "Header", "Models", "Twins", "Relationships"};

typedef struct importer importer;

typedef struct slot {
    gm_engine_req req;
    importer *im;
    json_t *body;
    char *id, *rel_id;
    unsigned long line;
    bool busy; /* between submit and completion (im->mu) */
} slot;

struct importer {
    gm_engine *e;
    const gm_engine_import_opts *o;
    const char *name;
    slot *slots;
    size_t nslots, next;
    atomic_bool stop; /* the requests' group flag (without keep_going) */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a request completed */
    /* under mu: */
    size_t busy;
    gm_engine_import_result res;
    gm_err first; /* the first bad line's error */
};

/* ---- bad lines ------------------------------------------------------------------ */

/* With mu held: report bad line `line` (why: err, or fmt), count it, keep
   the first. col is the column the problem is at (from 1), 0 when none is
   known: where is "NAME:LINE:COL" or "NAME:LINE". */
static void bad_locked(importer *im, unsigned long line, unsigned long col, const gm_err *why,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void bad_locked(importer *im, unsigned long line, unsigned long col, const gm_err *why,
                       const char *fmt, ...)
{
    gm_err e;
    char where[GM_ERR_WHERE_MAX];
    if (col)
        snprintf(where, sizeof where, "%s:%lu:%lu", im->name, line, col);
    else
        snprintf(where, sizeof where, "%s:%lu", im->name, line);
    if (why) {
        char text[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 4];
        gm_err_set(&e, why->code ? why->code : GM_EINVAL, where, "%s",
                   gm_err_format(why, text, sizeof text));
    } else {
        va_list ap;
        va_start(ap, fmt);
        gm_err_vset(&e, GM_EINVAL, where, fmt, ap);
        va_end(ap);
    }
    if (im->res.refused++ == 0) {
        im->res.first_bad = line;
        im->first = e;
    }
    if (im->o->on_error)
        im->o->on_error(im->o->ctx, &e);
}

/* ---- requests in flight ----------------------------------------------------------- */

static void slot_clear(slot *s)
{
    json_decref(s->body);
    free(s->id);
    free(s->rel_id);
    s->body = NULL;
    s->id = s->rel_id = NULL;
}

/* The engine's completion (writer or committer thread). */
static void done(void *ctx, gm_engine_req *r)
{
    slot *s = ctx;
    importer *im = s->im;
    pthread_mutex_lock(&im->mu);
    if (r->status == 0) {
        if (r->op == GM_OP_TWIN_PUT)
            im->res.twins++;
        else
            im->res.relationships++;
    } else if (im->o->keep_going || im->res.first_bad == 0) {
        /* without keep_going, a refusal after the first is a request the
           writer skipped (the group stopped): not a line of its own to
           report. Refusals complete on the writer in order, so the first
           comes first. */
        bad_locked(im, s->line, 0, &r->err, NULL);
    }
    s->busy = false;
    im->busy--;
    pthread_cond_broadcast(&im->cv);
    pthread_mutex_unlock(&im->mu);
}

/* Wait until no request is in flight. */
static void drain(importer *im)
{
    pthread_mutex_lock(&im->mu);
    while (im->busy)
        pthread_cond_wait(&im->cv, &im->mu);
    pthread_mutex_unlock(&im->mu);
}

/* The next slot of the ring, once its request has completed. */
static slot *take_slot(importer *im)
{
    slot *s = &im->slots[im->next++ % im->nslots];
    pthread_mutex_lock(&im->mu);
    while (s->busy)
        pthread_cond_wait(&im->cv, &im->mu);
    pthread_mutex_unlock(&im->mu);
    slot_clear(s);
    return s;
}

/* Submit s's request; while the engine's queue is full (other clients
   fill it), wait for one of ours to complete, or a millisecond. */
static int submit(importer *im, slot *s, gm_err *err)
{
    pthread_mutex_lock(&im->mu);
    s->busy = true;
    im->busy++;
    pthread_mutex_unlock(&im->mu);
    int rc;
    while ((rc = gm_engine_submit(im->e, &s->req)) == GM_EAGAIN) {
        struct timespec until;
        pthread_mutex_lock(&im->mu);
        if (im->busy > 1 || !gm_time_deadline(1000000, &until))
            pthread_cond_wait(&im->cv, &im->mu);
        else
            pthread_cond_timedwait(&im->cv, &im->mu, &until);
        pthread_mutex_unlock(&im->mu);
    }
    if (rc) {
        pthread_mutex_lock(&im->mu);
        s->busy = false;
        im->busy--;
        pthread_mutex_unlock(&im->mu);
        return gm_err_set(err, rc, "import", "the engine takes no more requests: %s",
                          gm_strerror(rc));
    }
    return 0;
}

/* ---- reading lines ----------------------------------------------------------------- */

typedef struct line_reader {
    FILE *in;
    char *buf;
    size_t cap, max;
} line_reader;

/* The next line into r->buf (without its end of line, NUL-terminated, NUL
   bytes in it kept), its length in *len; 1 at the end of the input,
   GM_ELIMIT for a line longer than r->max (read past, never held), GM_EIO,
   GM_ENOMEM. */
static int read_line(line_reader *r, size_t *len, gm_err *err)
{
    size_t n = 0;
    bool any = false, too_long = false;
    for (;;) {
        int c = getc_unlocked(r->in);
        if (c == EOF) {
            if (ferror(r->in))
                return gm_err_errno(err, GM_EIO, errno, "import", "cannot read the input");
            if (!any)
                return 1;
            break; /* the last line has no newline */
        }
        any = true;
        if (c == '\n')
            break;
        if (n == r->max) {
            too_long = true;
            continue;
        }
        if (n + 1 >= r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 65536;
            if (cap > r->max + 1)
                cap = r->max + 1;
            char *b = realloc(r->buf, cap);
            if (!b)
                return gm_err_set(err, GM_ENOMEM, "import", "out of memory for a line");
            r->buf = b;
            r->cap = cap;
        }
        r->buf[n++] = (char)c;
    }
    if (too_long)
        return gm_err_set(err, GM_ELIMIT, "import", "longer than %zu bytes", r->max);
    while (n && r->buf[n - 1] == '\r')
        n--;
    if (r->buf)
        r->buf[n] = '\0';
    *len = n;
    return 0;
}

/* ---- sections ----------------------------------------------------------------------- */

/* Whether j is a section line; its section in *sec (-1: an unknown name). */
static bool section_line(const json_t *j, int *sec)
{
    const char *name = json_string_value(json_object_get(j, "Section"));
    if (!name || json_object_size(j) != 1)
        return false;
    *sec = -1;
    for (int i = SEC_HEADER; i <= SEC_RELS; i++)
        if (strcmp(name, section_names[i]) == 0)
            *sec = i;
    return true;
}

/* Add the Models section's documents (its heading at line first), at line
   at, where the section ends: the next section's heading, or the last
   line. GM_EINVAL (reported at line at, so that bad lines keep their
   order) when the engine refuses them. */
static int add_models(importer *im, json_t *models, unsigned long first, unsigned long at)
{
    if (!json_array_size(models))
        return 0;
    json_t *docs = json_pack("[O]", models);
    if (!docs)
        return GM_ENOMEM;
    gm_engine_req r = {.op = GM_OP_MODELS_ADD, .body = docs};
    int rc = gm_engine_call(im->e, &r);
    json_decref(docs);
    pthread_mutex_lock(&im->mu);
    if (rc == 0) {
        im->res.models += json_array_size(models);
    } else if (rc != GM_ESHUTDOWN) {
        gm_err why;
        char text[GM_ERR_WHERE_MAX + GM_ERR_WHAT_MAX + 4];
        gm_err_set(&why, r.err.code ? r.err.code : rc, "",
                   "the Models section from line %lu is refused: %s", first,
                   gm_err_format(&r.err, text, sizeof text));
        bad_locked(im, at, 0, &why, NULL);
        rc = GM_EINVAL;
    }
    pthread_mutex_unlock(&im->mu);
    return rc;
}

/* ---- the import ----------------------------------------------------------------------- */

/* What is wrong with a line, as the reader sees it. */
enum {
    BAD_NONE,
    BAD_JSON,        /* not JSON, or too long */
    BAD_SECTION,     /* an unknown section, or one out of order */
    BAD_NO_HEADER,   /* a line before {"Section": "Header"} */
    BAD_HEADER,      /* a second header object */
    BAD_MODEL,       /* a model that is not an object */
    BAD_MODELS_SIZE, /* the Models section is too big */
    BAD_TWIN_ID,     /* a twin without $dtId */
    BAD_REL_IDS,     /* a relationship without $dtId or $relationshipId */
};

/* The column of a line's JSON error: the line is parsed alone, without a
   name, so the parser's location is ":1:COLUMN" (none when it knows no
   position). 0 when there is none. */
static unsigned long json_column(const gm_err *lerr)
{
    if (strncmp(lerr->where, ":1:", 3) != 0)
        return 0;
    char *end;
    unsigned long col = strtoul(lerr->where + 3, &end, 10);
    return *end == '\0' ? col : 0;
}

/* With mu held: report line `line` (j: its JSON, or NULL when it is not
   JSON: r and lerr say why) as bad. */
static void report_bad(importer *im, int bad, unsigned long line, const json_t *j, int sec, int r,
                       const gm_err *lerr)
{
    switch (bad) {
    case BAD_JSON:
        if (r == GM_ELIMIT)
            bad_locked(im, line, 0, NULL, "%s", lerr->what);
        else
            bad_locked(im, line, json_column(lerr), NULL, "not valid JSON: %s", lerr->what);
        break;
    case BAD_SECTION:
        bad_locked(im, line, 0, NULL,
                   "section '%s' %s (expected Header, Models, Twins, Relationships in that "
                   "order, each once)",
                   json_string_value(json_object_get(j, "Section")),
                   sec < 0 ? "is unknown" : "is out of order");
        break;
    case BAD_NO_HEADER: bad_locked(im, line, 0, NULL, "expected {\"Section\": \"Header\"} first"); break;
    case BAD_HEADER: bad_locked(im, line, 0, NULL, "the Header section holds one object"); break;
    case BAD_MODEL:
        bad_locked(im, line, 0, NULL, "a model is a JSON object (a DTDL interface), found %s",
                   gm_json_type_name(j));
        break;
    case BAD_MODELS_SIZE:
        bad_locked(im, line, 0, NULL, "the Models section is over %zu bytes", MAX_MODELS_BYTES);
        break;
    case BAD_TWIN_ID: bad_locked(im, line, 0, NULL, "a twin needs \"$dtId\""); break;
    default:
        bad_locked(im, line, 0, NULL,
                   "a relationship needs \"$dtId\" (its source) and \"$relationshipId\"");
        break;
    }
}

int gm_engine_import(gm_engine *e, FILE *in, const gm_engine_import_opts *o,
                     gm_engine_import_result *res, gm_err *err)
{
    static const gm_engine_import_opts none;
    if (!o)
        o = &none;
    importer im = {.e = e, .o = o, .name = o->name ? o->name : "<input>"};
    im.nslots = o->in_flight ? o->in_flight : DEFAULT_IN_FLIGHT;
    line_reader lr = {.in = in, .max = o->max_line ? o->max_line : DEFAULT_MAX_LINE};
    json_t *models = json_array();
    size_t models_bytes = 0;
    unsigned long line = 0, models_line = 0;
    int section = SEC_NONE, rc = 0;
    bool header_seen = false, stop = false;
    pthread_mutex_init(&im.mu, NULL);
    pthread_cond_init(&im.cv, NULL);
    atomic_init(&im.stop, false);
    memset(res, 0, sizeof *res);
    if (!e || !in || !models || !(im.slots = calloc(im.nslots, sizeof *im.slots))) {
        rc = gm_err_set(err, e && in ? GM_ENOMEM : GM_EINVAL, "import",
                        e && in ? "out of memory" : "engine and input are required");
        goto done;
    }
    while (!stop) {
        size_t len = 0;
        gm_err lerr;
        gm_err_clear(&lerr);
        int r = read_line(&lr, &len, &lerr);
        if (r == 1)
            break;
        line++;
        if (o->on_progress && line % PROGRESS_EVERY == 0)
            o->on_progress(o->ctx, line);
        if (r == GM_EIO || r == GM_ENOMEM) {
            rc = r;
            if (err)
                *err = lerr;
            break;
        }
        /* the group stopped at a refusal: nothing after it is applied */
        if (!o->keep_going && atomic_load(&im.stop))
            break;
        json_t *j = NULL;
        if (r == 0 && len > 0) {
            gm_json_limits lim = {len + 1, MAX_DEPTH};
            j = gm_json_load_str(lr.buf, len, &lim, "", &lerr);
        } else if (r == 0) {
            continue; /* an empty line */
        }
        int sec = SEC_NONE;
        bool is_section = j && section_line(j, &sec);
        const char *dtid = NULL, *relid = NULL;
        if (j && !is_section && section >= SEC_TWINS) {
            dtid = json_string_value(json_object_get(j, "$dtId"));
            relid = json_string_value(json_object_get(j, "$relationshipId"));
        }
        int bad = !j                                                     ? BAD_JSON
                  : is_section && (sec < 0 || sec <= section)           ? BAD_SECTION
                  : is_section                                          ? BAD_NONE
                  : section == SEC_NONE                                 ? BAD_NO_HEADER
                  : section == SEC_HEADER && header_seen                ? BAD_HEADER
                  : section == SEC_MODELS && !json_is_object(j)         ? BAD_MODEL
                  : section == SEC_MODELS &&
                          models_bytes + len > MAX_MODELS_BYTES         ? BAD_MODELS_SIZE
                  : section == SEC_TWINS && !dtid                       ? BAD_TWIN_ID
                  : section == SEC_RELS && (!dtid || !relid)            ? BAD_REL_IDS
                                                                        : BAD_NONE;
        if (bad != BAD_NONE) {
            /* found here, ahead of the engine's answers for the lines in
               flight: those come first (line order; and without
               keep_going, an earlier refused line is the one to stop at) */
            drain(&im);
            pthread_mutex_lock(&im.mu);
            if (o->keep_going || im.res.refused == 0)
                report_bad(&im, bad, line, j, sec, r, &lerr);
            pthread_mutex_unlock(&im.mu);
            json_decref(j);
            /* a wrong structure stops the import even with keep_going:
               nothing after it would mean what the file says */
            if (!o->keep_going || bad == BAD_SECTION || bad == BAD_NO_HEADER ||
                bad == BAD_MODELS_SIZE)
                stop = true;
            continue;
        }
        if (is_section) {
            json_decref(j);
            if (section == SEC_MODELS) {
                drain(&im); /* (nothing is in flight before the models) */
                if ((rc = add_models(&im, models, models_line, line)))
                    break;
            }
            section = sec;
            models_line = line;
            continue;
        }
        switch (section) {
        case SEC_HEADER:
            header_seen = true;
            json_decref(j);
            continue;
        case SEC_MODELS:
            models_bytes += len;
            if (json_array_append_new(models, j)) {
                rc = gm_err_set(err, GM_ENOMEM, "import", "out of memory");
                stop = true;
            }
            continue;
        default:
            break;
        }
        /* a twin or a relationship: in flight until the engine answers */
        slot *s = take_slot(&im);
        s->id = strdup(dtid);
        s->rel_id = relid && section == SEC_RELS ? strdup(relid) : NULL;
        if (!s->id || (section == SEC_RELS && !s->rel_id)) {
            json_decref(j);
            rc = gm_err_set(err, GM_ENOMEM, "import", "out of memory");
            break;
        }
        if (section == SEC_RELS)
            json_object_del(j, "$dtId"); /* the source is the request's, not a member */
        s->body = j;
        s->line = line;
        s->im = &im;
        memset(&s->req, 0, sizeof s->req);
        s->req.op = section == SEC_TWINS ? GM_OP_TWIN_PUT : GM_OP_REL_PUT;
        s->req.id = s->id;
        s->req.rel_id = s->rel_id;
        s->req.body = s->body;
        s->req.done = done;
        s->req.ctx = s;
        s->req.stop = o->keep_going ? NULL : &im.stop;
        if ((rc = submit(&im, s, err)))
            break;
    }
    if (!rc && !stop && section == SEC_MODELS) {
        drain(&im);
        rc = add_models(&im, models, models_line, line);
    }
done:
    drain(&im);
    for (size_t i = 0; im.slots && i < im.nslots; i++)
        slot_clear(&im.slots[i]);
    free(im.slots);
    free(lr.buf);
    json_decref(models);
    /* stopped: at a bad line or an error, before the end of the input */
    bool at_end = rc == 0 && !stop && !(!o->keep_going && atomic_load(&im.stop)) &&
                  !ferror(in) && feof(in);
    im.res.lines = line;
    im.res.stopped = !at_end;
    *res = im.res;
    if (rc == 0 && im.res.refused) {
        if (err)
            *err = im.first;
        rc = GM_EINVAL;
    } else if (rc == GM_EINVAL && err) { /* the Models section, refused */
        *err = im.first;
    }
    pthread_cond_destroy(&im.cv);
    pthread_mutex_destroy(&im.mu);
    return rc;
}
