/* xml.c: bounded XML documents over libxml2's tree, and strict value access. */
#include "base/xml.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/strconv.h"

struct gm_xml {
    xmlDoc *doc;     /* doc->_private points back here */
    char *name;      /* for error locations */
    gm_arena *arena; /* strings handed out that are not the tree's own */
};

const gm_xml_limits gm_xml_limits_default = {
    .max_bytes = GM_XML_MAX_BYTES,
    .max_elements = GM_XML_MAX_ELEMENTS,
    .max_depth = GM_XML_MAX_DEPTH,
    .allow_dtd = false,
};

static const gm_xml *doc_of(const xmlNode *n)
{
    return n->doc->_private;
}

/* Replace each byte that does not belong to well-formed UTF-8 by '?'.
   Documents are UTF-8 once parsed, but a message that quotes a value cut
   to a width ("%.40s") may cut a character in two, and messages end up in
   JSON, which must be valid UTF-8. */
static void fix_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        bool ok = n > 0 && p[1] >= lo && p[1] <= hi;
        for (size_t i = 2; ok && i < n; i++)
            ok = p[i] >= 0x80 && p[i] <= 0xBF;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int gm_xml_err(gm_err *err, int code, const xmlNode *n, const char *fmt, ...)
{
    char where[GM_ERR_WHERE_MAX];
    snprintf(where, sizeof where, "%s:%ld", doc_of(n)->name, xmlGetLineNo(n));
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    if (err)
        fix_utf8(err->what);
    return code;
}

int gm_xml_nomem(gm_err *err, const xmlNode *n)
{
    return gm_err_set(err, GM_ENOMEM, n ? doc_of(n)->name : NULL, "out of memory");
}

/* ---- loading ---- */

/* Count the elements under root and their depth, iteratively. */
static int check_limits(const xmlNode *root, const gm_xml_limits *lim, gm_err *err)
{
    size_t count = 0;
    unsigned depth = 1;
    const xmlNode *n = root;
    while (n) {
        if (++count > lim->max_elements)
            return gm_xml_err(err, GM_ELIMIT, n, "more than %zu XML elements", lim->max_elements);
        if (depth > lim->max_depth)
            return gm_xml_err(err, GM_ELIMIT, n, "XML elements nested deeper than %u",
                              lim->max_depth);
        const xmlNode *c = n->children;
        while (c && c->type != XML_ELEMENT_NODE)
            c = c->next;
        if (c) {
            n = c;
            depth++;
            continue;
        }
        /* No child element: the next sibling element, climbing as needed. */
        for (;;) {
            if (n == root)
                return 0;
            const xmlNode *s = n->next;
            while (s && s->type != XML_ELEMENT_NODE)
                s = s->next;
            if (s) {
                n = s;
                break;
            }
            n = n->parent;
            depth--;
        }
    }
    return 0;
}

/* The first error libxml2 reports (it goes on after it and its last error is
   often a consequence, "Premature end of data"). */
typedef struct first_error {
    bool set;
    int line;
    char what[GM_ERR_WHAT_MAX];
} first_error;

static void keep_first(void *data, xmlError *e)
{
    xmlParserCtxt *ctx = data;
    first_error *f = ctx->_private;
    if (f->set || !e || e->level < XML_ERR_ERROR)
        return;
    f->set = true;
    f->line = e->line;
    snprintf(f->what, sizeof f->what, "%s", e->message ? e->message : "unknown error");
    size_t k = strlen(f->what);
    while (k && (f->what[k - 1] == '\n' || f->what[k - 1] == ' '))
        f->what[--k] = '\0'; /* libxml2 ends its messages with a newline */
}

int gm_xml_load_mem(const char *buf, size_t len, const char *name, const gm_xml_limits *lim,
                    gm_xml **out, gm_err *err)
{
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (!lim)
        lim = &gm_xml_limits_default;
    if (!buf && len)
        return gm_err_set(err, GM_EINVAL, name, "no buffer");
    if (len > lim->max_bytes || len > INT_MAX)
        return gm_err_set(err, GM_ELIMIT, name, "document larger than %zu bytes",
                          lim->max_bytes < INT_MAX ? lim->max_bytes : (size_t)INT_MAX);
    int rc;
    xmlParserCtxt *ctx = NULL;
    gm_xml *x = calloc(1, sizeof *x);
    if (!x)
        return gm_err_set(err, GM_ENOMEM, name, "out of memory");
    x->name = strdup(name);
    x->arena = gm_arena_create(0, 0);
    ctx = xmlNewParserCtxt();
    if (!x->name || !x->arena || !ctx) {
        rc = gm_err_set(err, GM_ENOMEM, name, "out of memory");
        goto fail;
    }
    /* No network, no DTD loading, no entity substitution (XML_PARSE_NOENT
       and XML_PARSE_DTDLOAD are deliberately absent): external entities are
       never fetched. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    /* Errors go to keep_first (its data is the context: libxml2 passes
       ctx->userData, which is the context itself), never to stderr. The
       encoding and I/O layers report without a parser context, through this
       thread's structured handler, so that one points there too while the
       parse lasts. */
    first_error first = {.set = false};
    ctx->_private = &first;
    ctx->sax->serror = keep_first;
    xmlStructuredErrorFunc saved = xmlStructuredError;
    void *saved_data = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(ctx, keep_first);
    x->doc = xmlCtxtReadMemory(ctx, buf ? buf : "", (int)len, name, NULL, opts);
    xmlSetStructuredErrorFunc(saved_data, saved);
    if (!x->doc || !ctx->wellFormed) {
        char where[GM_ERR_WHERE_MAX];
        if (first.set && first.line > 0)
            snprintf(where, sizeof where, "%s:%d", name, first.line);
        else
            snprintf(where, sizeof where, "%s", name);
        rc = gm_err_set(err, GM_EPARSE, where, "not well-formed XML: %s",
                        first.set ? first.what : "unknown error");
        if (err)
            fix_utf8(err->what);
        goto fail;
    }
    x->doc->_private = x;
    if (!lim->allow_dtd && (x->doc->intSubset || x->doc->extSubset)) {
        rc = gm_err_set(err, GM_EPARSE, name, "a document type declaration (DTD) is not allowed");
        goto fail;
    }
    const xmlNode *root = xmlDocGetRootElement(x->doc);
    if (!root) {
        rc = gm_err_set(err, GM_EPARSE, name, "empty XML document");
        goto fail;
    }
    if ((rc = check_limits(root, lim, err)))
        goto fail;
    xmlFreeParserCtxt(ctx);
    *out = x;
    return 0;
fail:
    xmlFreeParserCtxt(ctx);
    gm_xml_free(x);
    return rc;
}

int gm_xml_load_file(const char *path, const gm_xml_limits *lim, gm_xml **out, gm_err *err)
{
    *out = NULL;
    if (!lim)
        lim = &gm_xml_limits_default;
    char *buf = NULL;
    size_t len = 0;
    int rc = gm_file_read(path, lim->max_bytes, &buf, &len, err);
    if (!rc)
        rc = gm_xml_load_mem(buf, len, path, lim, out, err);
    free(buf);
    return rc;
}

void gm_xml_free(gm_xml *x)
{
    if (!x)
        return;
    xmlFreeDoc(x->doc);
    gm_arena_destroy(x->arena);
    free(x->name);
    free(x);
}

const xmlNode *gm_xml_root(const gm_xml *x)
{
    return xmlDocGetRootElement(x->doc);
}

const char *gm_xml_doc_name(const gm_xml *x)
{
    return x->name;
}

/* ---- elements ---- */

const char *gm_xml_local(const xmlNode *n)
{
    return (const char *)n->name;
}

const char *gm_xml_ns(const xmlNode *n)
{
    return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

long gm_xml_line(const xmlNode *n)
{
    return xmlGetLineNo(n);
}

bool gm_xml_is(const xmlNode *n, const char *ns, const char *local)
{
    if (!n || n->type != XML_ELEMENT_NODE)
        return false;
    if (ns) {
        const char *href = gm_xml_ns(n);
        if (!href || strcmp(href, ns) != 0)
            return false;
    }
    return !local || strcmp((const char *)n->name, local) == 0;
}

static const xmlNode *match_from(const xmlNode *c, const char *ns, const char *local)
{
    while (c && !gm_xml_is(c, ns, local))
        c = c->next;
    return c;
}

const xmlNode *gm_xml_first(const xmlNode *parent, const char *ns, const char *local)
{
    return match_from(parent->children, ns, local);
}

const xmlNode *gm_xml_next(const xmlNode *n, const char *ns, const char *local)
{
    return match_from(n->next, ns, local);
}

const xmlNode *gm_xml_walk(const xmlNode *root, const xmlNode *n)
{
    const xmlNode *c = match_from(n->children, NULL, NULL);
    if (c)
        return c;
    for (; n && n != root; n = n->parent) {
        const xmlNode *s = match_from(n->next, NULL, NULL);
        if (s)
            return s;
    }
    return NULL;
}

/* ---- values ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The text and CDATA pieces of the node list first, joined (attribute values
   are lists of text and entity references too). *out borrows the single
   piece when there is one and trimming changes nothing. */
static int join_text(const xmlNode *n, const xmlNode *first, bool trim, const char **out,
                     gm_err *err)
{
    size_t len = 0, pieces = 0;
    const char *only = "";
    for (const xmlNode *c = first; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            return gm_xml_err(err, GM_EPARSE, n, "entity references are not allowed (&%s;)",
                              (const char *)c->name);
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            only = (const char *)c->content;
            len += strlen(only);
            pieces++;
        }
    }
    const char *s = only;
    if (pieces > 1) {
        char *buf = gm_arena_alloc(doc_of(n)->arena, len + 1, 1);
        if (!buf)
            return gm_xml_nomem(err, n);
        size_t k = 0;
        for (const xmlNode *c = first; c; c = c->next)
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
                size_t l = strlen((const char *)c->content);
                memcpy(buf + k, c->content, l);
                k += l;
            }
        buf[k] = '\0';
        s = buf;
    }
    if (trim) {
        size_t b = 0, e = strlen(s);
        while (b < e && is_space(s[b]))
            b++;
        while (e > b && is_space(s[e - 1]))
            e--;
        if (b > 0 || s[e]) {
            char *t = gm_arena_strndup(doc_of(n)->arena, s + b, e - b);
            if (!t)
                return gm_xml_nomem(err, n);
            s = t;
        }
    }
    *out = s;
    return 0;
}

static const xmlAttr *find_attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0)
            return a;
    return NULL;
}

bool gm_xml_has_attr(const xmlNode *n, const char *name)
{
    return find_attr(n, name) != NULL;
}

int gm_xml_attr(const xmlNode *n, const char *name, const char **out, gm_err *err)
{
    /* The attributes as parsed: a DTD's default values are never consulted. */
    const xmlAttr *a = find_attr(n, name);
    if (!a) {
        *out = NULL;
        return 0;
    }
    return join_text(n, a->children, false, out, err);
}

int gm_xml_attr_req(const xmlNode *n, const char *name, const char **out, gm_err *err)
{
    const char *v;
    int rc = gm_xml_attr(n, name, &v, err);
    if (rc)
        return rc;
    if (!v)
        return gm_xml_err(err, GM_EINVAL, n, "<%s> needs the attribute %s",
                          (const char *)n->name, name);
    *out = v;
    return 0;
}

int gm_xml_attr_bool(const xmlNode *n, const char *name, bool dflt, bool *out, gm_err *err)
{
    const char *v;
    int rc = gm_xml_attr(n, name, &v, err);
    if (rc)
        return rc;
    if (!v) {
        *out = dflt;
        return 0;
    }
    size_t b = 0, e = strlen(v);
    while (b < e && is_space(v[b]))
        b++;
    while (e > b && is_space(v[e - 1]))
        e--;
    if ((e - b == 4 && memcmp(v + b, "true", 4) == 0) || (e - b == 1 && v[b] == '1'))
        *out = true;
    else if ((e - b == 5 && memcmp(v + b, "false", 5) == 0) || (e - b == 1 && v[b] == '0'))
        *out = false;
    else
        return gm_xml_err(err, GM_EINVAL, n, "%s: expected true or false, got '%.40s'", name, v);
    return 0;
}

/* what: expected a number ..., got 's'. */
static int bad_double(gm_err *err, const xmlNode *n, const char *what, double lo, double hi,
                      const char *s)
{
    char ex[96];
    bool has_lo = lo > -HUGE_VAL, has_hi = hi < HUGE_VAL;
    if (has_lo && has_hi)
        snprintf(ex, sizeof ex, "a number in [%g, %g]", lo, hi);
    else if (has_lo)
        snprintf(ex, sizeof ex, "a number >= %g", lo);
    else if (has_hi)
        snprintf(ex, sizeof ex, "a number <= %g", hi);
    else
        snprintf(ex, sizeof ex, "a number");
    return gm_xml_err(err, GM_EINVAL, n, "%s: expected %s, got '%.40s'", what, ex, s);
}

static int parse_double(const xmlNode *n, const char *what, const char *s, double lo, double hi,
                        double *out, gm_err *err)
{
    double v;
    if (gm_parse_double(s, lo, hi, &v, NULL, NULL))
        return bad_double(err, n, what, lo, hi, s);
    *out = v;
    return 0;
}

static int parse_int(const xmlNode *n, const char *what, const char *s, int64_t lo, int64_t hi,
                     int64_t *out, gm_err *err)
{
    int64_t v;
    if (gm_parse_i64(s, lo, hi, &v, NULL, NULL))
        return gm_xml_err(err, GM_EINVAL, n, "%s: expected an integer in [%lld, %lld], got '%.40s'",
                          what, (long long)lo, (long long)hi, s);
    *out = v;
    return 0;
}

/* The attribute for a number: required when given is NULL. *s NULL: absent. */
static int num_attr(const xmlNode *n, const char *name, bool *given, const char **s, gm_err *err)
{
    int rc = given ? gm_xml_attr(n, name, s, err) : gm_xml_attr_req(n, name, s, err);
    if (!rc && given)
        *given = *s != NULL;
    return rc;
}

int gm_xml_attr_double(const xmlNode *n, const char *name, double lo, double hi, double *out,
                       bool *given, gm_err *err)
{
    const char *s;
    int rc = num_attr(n, name, given, &s, err);
    if (rc || !s)
        return rc;
    return parse_double(n, name, s, lo, hi, out, err);
}

int gm_xml_attr_int(const xmlNode *n, const char *name, int64_t lo, int64_t hi, int64_t *out,
                    bool *given, gm_err *err)
{
    const char *s;
    int rc = num_attr(n, name, given, &s, err);
    if (rc || !s)
        return rc;
    return parse_int(n, name, s, lo, hi, out, err);
}

int gm_xml_text(const xmlNode *n, const char **out, gm_err *err)
{
    return join_text(n, n->children, true, out, err);
}

/* n's text for a number, and "<name>" to say what it is in errors. */
static int text_for_number(const xmlNode *n, const char **s, char what[96], gm_err *err)
{
    snprintf(what, 96, "<%.80s>", (const char *)n->name);
    return gm_xml_text(n, s, err);
}

int gm_xml_text_double(const xmlNode *n, double lo, double hi, double *out, gm_err *err)
{
    const char *s;
    char what[96];
    int rc = text_for_number(n, &s, what, err);
    return rc ? rc : parse_double(n, what, s, lo, hi, out, err);
}

int gm_xml_text_int(const xmlNode *n, int64_t lo, int64_t hi, int64_t *out, gm_err *err)
{
    const char *s;
    char what[96];
    int rc = text_for_number(n, &s, what, err);
    return rc ? rc : parse_int(n, what, s, lo, hi, out, err);
}
