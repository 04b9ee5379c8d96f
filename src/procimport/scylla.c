/*
 * scylla.c: Scylla simulation and global configurations -> gemel
 * process-simulation JSON; also the XML, naming, calendar and date helpers
 * that bimp.c shares (declared in procimport.h).
 *
 * Scylla's semantics followed here come from its parsers and simulator
 * (SimulationConfigurationParser, GlobalConfigurationParser, the gateway and
 * boundary-event plugins, DateTimeUtils, DESMO-J's distributions).
 */
#include "procimport/procimport.h"
#include "process/xmlcheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/checked.h"
#include "base/file.h"
#include "base/map.h"
#include "base/strconv.h"
#include "base/time.h"
#include "base/vec.h"
#include "num/dist.h"

#define WEEK 604800
#define DAY 86400

/* ==== shared helpers ==== */

int sim__xml_load(const char *path, xmlDoc **out, gm_err *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    int rc = gm_file_read(path, GM_BPMN_MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    ctx = xmlNewParserCtxt();
    if (!ctx) {
        rc = gm_err_set(err, GM_ENOMEM, path, "out of memory");
        goto fail;
    }
    /* No network, no DTD loading, no entity substitution (XML_PARSE_NOENT is
       deliberately absent); a DTD is refused below altogether. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    doc = xmlCtxtReadMemory(ctx, buf, (int)len, path, NULL, opts);
    if (!doc || !ctx->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        char where[GM_ERR_WHERE_MAX];
        snprintf(where, sizeof where, "%s:%d", path, e ? e->line : 0);
        rc = gm_err_set(err, GM_EPARSE, where, "not well-formed XML: %s",
                        e && e->message ? e->message : "unknown error");
        goto fail;
    }
    if (doc->intSubset || doc->extSubset) {
        rc = gm_err_set(err, GM_EPARSE, path, "a document type declaration (DTD) is not allowed");
        goto fail;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        rc = gm_err_set(err, GM_EPARSE, path, "empty XML document");
        goto fail;
    }
    if ((rc = sim__xml_limits(path, root, true, err)))
        goto fail;
    free(buf);
    xmlFreeParserCtxt(ctx);
    *out = doc;
    return 0;
fail:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    free(buf);
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *sim__xml_text(const xmlNode *n)
{
    size_t len = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
            gm_size_add(len, strlen((const char *)c->content), &len))
            return NULL;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(s + k, c->content, l);
            k += l;
        }
    while (k && is_space(s[k - 1]))
        k--;
    s[k] = '\0';
    size_t i = 0;
    while (s[i] && is_space(s[i]))
        i++;
    memmove(s, s + i, k - i + 1);
    return s;
}

char *sim__xml_attr(const xmlNode *n, const char *name, bool *nomem)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    if (!s)
        *nomem = true;
    return s;
}

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

int sim__unique_name(json_t *taken, const char *raw, const char *fallback, const char *reserved,
                     char out[SIM__NAME_MAX + 1])
{
    char base[SIM__NAME_MAX + 1];
    size_t n = 0;
    bool gap = false;
    for (const unsigned char *p = (const unsigned char *)(raw ? raw : ""); *p; p++) {
        if (!name_char(*p)) {
            gap = true;
            continue;
        }
        /* A run of other bytes becomes one '_', except at the start. */
        if (gap && n > 0) {
            if (n == SIM__NAME_MAX)
                break;
            base[n++] = '_';
        }
        gap = false;
        if (n == SIM__NAME_MAX)
            break;
        base[n++] = (char)*p;
    }
    base[n] = '\0';
    if (n == 0)
        snprintf(base, sizeof base, "%s", fallback);
    json_t *next = json_object_get(taken, base);
    bool is_reserved = reserved && strcmp(base, reserved) == 0;
    if (!next && !is_reserved) {
        snprintf(out, SIM__NAME_MAX + 1, "%s", base);
        return json_object_set_new(taken, out, json_integer(2)) ? GM_ENOMEM : 0;
    }
    /* Each taken name remembers the next suffix to try, so n equal names
       cost O(n) lookups, not O(n^2). */
    json_int_t k = next ? json_integer_value(next) : 2;
    for (;; k++) {
        char suffix[32];
        int sl = snprintf(suffix, sizeof suffix, "_%lld", (long long)k);
        size_t keep = strlen(base);
        if (keep + (size_t)sl > SIM__NAME_MAX)
            keep = SIM__NAME_MAX - (size_t)sl;
        /* keep + sl <= SIM__NAME_MAX: the name always fits */
        memcpy(out, base, keep);
        memcpy(out + keep, suffix, (size_t)sl + 1);
        if (!json_object_get(taken, out) && !(reserved && strcmp(out, reserved) == 0))
            break;
    }
    if (json_object_set_new(taken, base, json_integer(k + 1)) ||
        json_object_set_new(taken, out, json_integer(2)))
        return GM_ENOMEM;
    return 0;
}

size_t sim__index_get(const gm_map *m, const char *id)
{
    void *v;
    if (!gm_map_sget(m, id, strlen(id), &v))
        return SIZE_MAX;
    return (size_t)(uintptr_t)v - 1;
}

int sim__index_put(gm_map *m, const char *id, size_t i)
{
    if (sim__index_get(m, id) != SIZE_MAX)
        return GM_EEXIST;
    return gm_map_sput(m, id, strlen(id), (void *)(uintptr_t)(i + 1)) ? GM_ENOMEM : 0;
}

int sim__weekday(const char *name)
{
    static const char *const names[7] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                         "FRIDAY", "SATURDAY", "SUNDAY"};
    for (int i = 0; i < 7; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

json_t *sim__num(double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        return json_integer((json_int_t)x);
    return json_real(x);
}

int sim__week_add(sim__week *w, int64_t from, int64_t to)
{
    if (to <= from)
        return 0; /* an empty window */
    if (to - from > WEEK)
        return GM_EINVAL;
    if (w->n >= SIM__MAX_CAL_ENTRIES)
        return GM_ELIMIT;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8, bytes;
        if (gm_size_mul(cap, 2 * sizeof *w->iv, &bytes))
            return GM_ENOMEM;
        int64_t *iv = realloc(w->iv, bytes);
        if (!iv)
            return GM_ENOMEM;
        w->iv = iv;
        w->cap = cap;
    }
    int64_t a = ((from % WEEK) + WEEK) % WEEK;
    w->iv[2 * w->n] = a;
    w->iv[2 * w->n + 1] = a + (to - from);
    w->n++;
    return 0;
}

int sim__week_add_xml(gm_err *err, const char *file, const xmlNode *n, sim__week *w, int64_t from,
                      int64_t to)
{
    int rc = sim__week_add(w, from, to);
    if (rc == GM_ELIMIT)
        return sim__xml_err(err, rc, file, n, "more than %u windows in one timetable",
                            SIM__MAX_CAL_ENTRIES);
    if (rc == GM_ENOMEM)
        return gm_err_set(err, GM_ENOMEM, file, "out of memory");
    if (rc)
        return sim__xml_err(err, GM_EINTERNAL, file, n, "window longer than a week");
    return 0;
}

void sim__week_free(sim__week *w)
{
    free(w->iv);
    w->iv = NULL;
    w->n = w->cap = 0;
}

int sim__add_calendar(json_t *cals, const char *name, const sim__week *w, const char *file,
                      const xmlNode *n, const char *id, gm_err *err)
{
    json_t *c = sim__week_json(w);
    if (!c || json_object_set_new(cals, name, c))
        return gm_err_set(err, GM_ENOMEM, file, "out of memory");
    if (json_array_size(c) > SIM__MAX_CAL_ENTRIES)
        return sim__xml_err(err, GM_ELIMIT, file, n,
                            "timetable '%s' becomes more than %u calendar entries", id,
                            SIM__MAX_CAL_ENTRIES);
    return 0;
}

int sim__finish(json_t *out, json_t *cals, json_t *pools, json_t *tasks, json_t *gateways,
                json_t *events, const char *file, gm_err *err)
{
    if ((json_object_size(cals) && json_object_set(out, "calendars", cals)) ||
        (json_array_size(pools) && json_object_set(out, "resources", pools)) ||
        json_object_set(out, "tasks", tasks) ||
        (json_object_size(gateways) && json_object_set(out, "gateways", gateways)) ||
        (json_object_size(events) && json_object_set(out, "events", events)))
        return gm_err_set(err, GM_ENOMEM, file, "out of memory");
    return 0;
}

static void fmt_tod(char *buf, size_t n, int64_t s)
{
    if (s % 60)
        snprintf(buf, n, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    else
        snprintf(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
}

static int add_entry(json_t *arr, int first, int last, int64_t from, int64_t to)
{
    static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    char d[16], f[16], t[16];
    if (first == last)
        snprintf(d, sizeof d, "%s", days[first]);
    else
        snprintf(d, sizeof d, "%s-%s", days[first], days[last]);
    fmt_tod(f, sizeof f, from);
    fmt_tod(t, sizeof t, to);
    json_t *e = json_pack("{s:s, s:s, s:s}", "days", d, "from", f, "to", t);
    if (!e || json_array_append_new(arr, e))
        return GM_ENOMEM;
    return 0;
}

/* One day's part of a window: [from, to) seconds after that day's midnight. */
typedef struct piece {
    int64_t from, to;
    unsigned mask; /* bit d: the part applies on day d (0 = Monday) */
    size_t first;  /* order of first appearance */
} piece;

static int by_window(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int by_first(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

json_t *sim__week_json(const sim__week *w)
{
    json_t *arr = json_array();
    gm_vec pieces = GM_VEC_INIT(piece);
    if (!arr)
        return NULL;
    for (size_t i = 0; i < w->n; i++) {
        int64_t t = w->iv[2 * i], b = w->iv[2 * i + 1];
        while (t < b) {
            int64_t d = t / DAY, end = (d + 1) * DAY < b ? (d + 1) * DAY : b;
            piece p = {t - d * DAY, end - d * DAY, 1u << (d % 7), pieces.len};
            if (gm_vec_push(&pieces, &p))
                goto fail;
            t = end;
        }
    }
    /* Gather equal windows of different days into one group (sorting, so
       that this stays O(n log n)), then list the groups in the order they
       first appear; consecutive days of a group become one "days" range. */
    piece *ps = pieces.data;
    size_t ng = 0;
    if (pieces.len)
        qsort(ps, pieces.len, sizeof *ps, by_window);
    for (size_t i = 0; i < pieces.len; i++) {
        if (ng && ps[ng - 1].from == ps[i].from && ps[ng - 1].to == ps[i].to)
            ps[ng - 1].mask |= ps[i].mask;
        else
            ps[ng++] = ps[i];
    }
    if (ng)
        qsort(ps, ng, sizeof *ps, by_first);
    for (size_t g = 0; g < ng; g++) {
        unsigned m = ps[g].mask;
        if (m == 0x7f) {
            if (add_entry(arr, 0, 6, ps[g].from, ps[g].to))
                goto fail;
            continue;
        }
        for (int st = 0; st < 7; st++) {
            if (!(m & 1u << st) || (m & 1u << ((st + 6) % 7)))
                continue;
            int e = st;
            while (m & 1u << ((e + 1) % 7))
                e = (e + 1) % 7;
            if (add_entry(arr, st, e, ps[g].from, ps[g].to))
                goto fail;
        }
    }
    gm_vec_free(&pieces);
    return arr;
fail:
    gm_vec_free(&pieces);
    json_decref(arr);
    return NULL;
}

/* n decimal digits at s; -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "Z" or "+hh:mm"/"-hh:mm" at *p (advanced past it); false if neither. */
static bool parse_offset(const char **p, int *off)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *off = 0;
        *p = s + 1;
        return true;
    }
    if ((*s != '+' && *s != '-') || strlen(s) < 6 || s[3] != ':')
        return false;
    int h = digits(s + 1, 2), m = digits(s + 4, 2);
    if (h < 0 || m < 0 || h > 23 || m > 59)
        return false;
    *off = (*s == '-' ? -1 : 1) * (h * 60 + m);
    *p = s + 6;
    return true;
}

int sim__time_of_day(const char *s, bool allow_offset, int64_t *sec, bool *has_off,
                     int *off_min)
{
    int h = digits(s, 2), m = h < 0 || s[2] != ':' ? -1 : digits(s + 3, 2), sc = 0;
    if (h < 0 || m < 0 || h > 23 || m > 59)
        return GM_EINVAL;
    const char *p = s + 5;
    int64_t round = 0;
    if (*p == ':') {
        sc = digits(p + 1, 2);
        if (sc < 0 || sc > 59)
            return GM_EINVAL;
        p += 3;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return GM_EINVAL;
            /* Calendars have whole seconds: round to the nearest one, so
               that "23:59:59.999" ends the day. */
            round = *p >= '5';
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    *has_off = false;
    *off_min = 0;
    if (allow_offset && *p) {
        if (!parse_offset(&p, off_min))
            return GM_EINVAL;
        *has_off = true;
    }
    if (*p)
        return GM_EINVAL;
    *sec = (int64_t)h * 3600 + m * 60 + sc + round;
    return 0;
}

int sim__datetime(const char *s, int dflt_off, int64_t *ns, bool *has_off, int *off_min,
                  bool *region, gm_err *err)
{
    size_t len = strlen(s);
    if (len < 16 || digits(s, 4) < 0 || s[4] != '-' || digits(s + 5, 2) < 0 || s[7] != '-' ||
        digits(s + 8, 2) < 0 || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
        digits(s + 11, 2) < 0 || s[13] != ':' || digits(s + 14, 2) < 0)
        return gm_err_set(err, GM_EPARSE, NULL,
                          "expected a date-time YYYY-MM-DDTHH:MM[:SS][offset], got '%.60s'", s);
    const char *p = s + 16, *sec = "00", *frac = "";
    int nfrac = 0;
    if (*p == ':') {
        if (digits(p + 1, 2) < 0)
            return gm_err_set(err, GM_EPARSE, NULL, "bad seconds in date-time '%.60s'", s);
        sec = p + 1;
        p += 3;
        if (*p == '.') {
            frac = p;
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
            nfrac = (int)(p - frac);
            if (nfrac < 2)
                return gm_err_set(err, GM_EPARSE, NULL, "bad fraction in date-time '%.60s'", s);
        }
    }
    *has_off = false;
    *region = false;
    int off = dflt_off;
    if (*p && *p != '[') {
        if (!parse_offset(&p, &off))
            return gm_err_set(err, GM_EPARSE, NULL,
                              "bad UTC offset in date-time '%.60s' (expected Z or +hh:mm)", s);
        *has_off = true;
    }
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1])
            return gm_err_set(err, GM_EPARSE, NULL, "bad time-zone region in '%.60s'", s);
        if (!*has_off)
            return gm_err_set(err, GM_EUNSUPPORTED, NULL,
                              "time-zone region without a UTC offset in '%.60s' is not "
                              "supported (gemel uses fixed offsets): give +hh:mm",
                              s);
        *region = true;
        p = close + 1;
    }
    if (*p)
        return gm_err_set(err, GM_EPARSE, NULL, "trailing characters in date-time '%.60s'", s);
    if (off < -GM_TIME_OFFSET_MAX || off > GM_TIME_OFFSET_MAX)
        return gm_err_set(err, GM_EINVAL, NULL, "UTC offset out of range");
    char norm[96];
    char offs[16];
    if (off == 0)
        snprintf(offs, sizeof offs, "Z");
    else
        snprintf(offs, sizeof offs, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                 abs(off) % 60);
    int n = snprintf(norm, sizeof norm, "%.16s:%.2s%.*s%s", s, sec, nfrac > 40 ? 40 : nfrac,
                     frac, offs);
    gm_err e;
    int64_t t;
    int rc = gm_time_parse_rfc3339(norm, (size_t)n, &t, NULL, &e);
    if (rc)
        return gm_err_set(err, rc, NULL, "date-time '%.60s': %s", s, e.what);
    *ns = t;
    *off_min = off;
    return 0;
}

int sim__check_dist(const json_t *dist, gm_err *err)
{
    json_t *copy = json_copy((json_t *)dist);
    if (!copy)
        return gm_err_set(err, GM_ENOMEM, NULL, "out of memory");
    json_object_del(copy, "unit");
    gm_dist d;
    memset(&d, 0, sizeof d);
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_dist_from_json(copy, "", &d, &e);
    gm_dist_free(&d);
    json_decref(copy);
    if (rc)
        gm_err_set(err, rc, NULL, "%s%s%s", e.where, e.where[0] ? ": " : "", e.what);
    return rc;
}

/* ==== Scylla ==== */

#define BSIM_NS "http://bsim.hpi.uni-potsdam.de/scylla/simModel"
#define SCY_NS "http://scy.hpi.uni-potsdam.de/scylla/simModel"

/* java.util.concurrent.TimeUnit names. gm is NULL where gemel has no time
   unit of that size (such distributions are refused; costs convert). */
static const struct {
    const char *java, *gm;
    double seconds;
} time_units[] = {
    {"NANOSECONDS", NULL, 1e-9}, {"MICROSECONDS", NULL, 1e-6}, {"MILLISECONDS", NULL, 1e-3},
    {"SECONDS", "seconds", 1},   {"MINUTES", "minutes", 60},   {"HOURS", "hours", 3600},
    {"DAYS", "days", 86400},
};

typedef struct binst {
    char *name;
    char *ttid; /* NULL: always available (Scylla gives such an instance no timetable) */
    double cph; /* cost per hour */
    const xmlNode *node;
} binst;

typedef struct bres {
    char *id;
    char pool[SIM__NAME_MAX + 1];
    int64_t quantity;
    double cph;
    char *ttid;
    const xmlNode *node;
    gm_vec inst; /* binst */
    bool used;
} bres;

typedef struct btt {
    char *id;
    char cal[SIM__NAME_MAX + 1];
    const xmlNode *node;
    sim__week week;
    bool used;
} btt;

typedef struct bl {
    const gm_bpmn *m;
    gm_err *err;
    const char *sfile, *gfile;
    const xmlChar *sns, *gns; /* namespace of each file's root */
    size_t proc;
    int zone_off;
    gm_vec res; /* bres */
    gm_vec tt;  /* btt */
    gm_map *res_idx, *tt_idx; /* ids -> indices into res, tt */
    json_t *pool_names, *cal_names;
    json_t *tasks, *gateways, *events, *starts; /* starts: start id -> {"interarrival"} */
    bool *seen;
} bl;

static bool in_ns(const xmlNode *n, const xmlChar *ns)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && xmlStrEqual(n->ns->href, ns);
}

static bool scylla_ns(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           (xmlStrEqual(n->ns->href, (const xmlChar *)BSIM_NS) ||
            xmlStrEqual(n->ns->href, (const xmlChar *)SCY_NS));
}

static bool named(const xmlNode *n, const char *name)
{
    return strcmp((const char *)n->name, name) == 0;
}

static int nomem(bl *L)
{
    return gm_err_set(L->err, GM_ENOMEM, L->sfile, "out of memory");
}

static int unsupported(bl *L, const char *file, const xmlNode *n, const char *why)
{
    return sim__xml_err(L->err, GM_EUNSUPPORTED, file, n,
                        "Scylla element <%s> is not supported by gemel%s%s",
                        (const char *)n->name, why ? ": " : "", why ? why : "");
}

/* Required attribute (malloc'd) or an error. */
static int req_attr(bl *L, const char *file, const xmlNode *n, const char *name, char **out)
{
    bool oom = false;
    *out = sim__xml_attr(n, name, &oom);
    if (oom)
        return nomem(L);
    if (!*out)
        return sim__xml_err(L->err, GM_EINVAL, file, n, "<%s> needs the attribute %s",
                            (const char *)n->name, name);
    return 0;
}

static int opt_attr(bl *L, const xmlNode *n, const char *name, char **out)
{
    bool oom = false;
    *out = sim__xml_attr(n, name, &oom);
    return oom ? nomem(L) : 0;
}

/* "a number", "a number >= 0", "a number in [0, 1]" (bounds of +-1e300
   stand for none). */
static const char *expected_number(char *buf, size_t n, double lo, double hi)
{
    if (lo <= -1e300 && hi >= 1e300)
        snprintf(buf, n, "a number");
    else if (hi >= 1e300)
        snprintf(buf, n, "a number >= %g", lo);
    else
        snprintf(buf, n, "a number in [%g, %g]", lo, hi);
    return buf;
}

static int parse_num(bl *L, const char *file, const xmlNode *n, const char *what, const char *s,
                     double lo, double hi, double *out)
{
    char ex[64];
    if (gm_parse_double(s, lo, hi, out, NULL, NULL))
        return sim__xml_err(L->err, GM_EINVAL, file, n, "%s: expected %s, got '%.40s'", what,
                            expected_number(ex, sizeof ex, lo, hi), s);
    return 0;
}

static int parse_int(bl *L, const char *file, const xmlNode *n, const char *what, const char *s,
                     int64_t lo, int64_t hi, int64_t *out)
{
    if (gm_parse_i64(s, lo, hi, out, NULL, NULL))
        return sim__xml_err(L->err, GM_EINVAL, file, n,
                            "%s: expected an integer in [%lld, %lld], got '%.40s'", what,
                            (long long)lo, (long long)hi, s);
    return 0;
}

/* Number in the text of element n. */
static int text_num(bl *L, const char *file, const xmlNode *n, double lo, double hi,
                    double *out)
{
    char *t = sim__xml_text(n);
    if (!t)
        return nomem(L);
    char what[96];
    snprintf(what, sizeof what, "<%s>", (const char *)n->name);
    int rc = parse_num(L, file, n, what, t, lo, hi, out);
    free(t);
    return rc;
}

static int attr_num(bl *L, const char *file, const xmlNode *n, const char *name, double lo,
                    double hi, double *out)
{
    char *t;
    int rc = req_attr(L, file, n, name, &t);
    if (rc)
        return rc;
    rc = parse_num(L, file, n, name, t, lo, hi, out);
    free(t);
    return rc;
}

static int attr_int(bl *L, const char *file, const xmlNode *n, const char *name, int64_t lo,
                    int64_t hi, int64_t *out)
{
    char *t;
    int rc = req_attr(L, file, n, name, &t);
    if (rc)
        return rc;
    rc = parse_int(L, file, n, name, t, lo, hi, out);
    free(t);
    return rc;
}

/* A timeUnit attribute; *gm is NULL for units finer than seconds. */
static int time_unit(bl *L, const char *file, const xmlNode *n, const char *attr,
                     const char **gm, double *seconds)
{
    char *t;
    int rc = req_attr(L, file, n, attr, &t);
    if (rc)
        return rc;
    for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
        if (strcmp(t, time_units[i].java) == 0) {
            *gm = time_units[i].gm;
            *seconds = time_units[i].seconds;
            free(t);
            return 0;
        }
    rc = sim__xml_err(L->err, GM_EINVAL, file, n,
                      "%s: unknown time unit '%.40s'; expected SECONDS, MINUTES, HOURS or DAYS",
                      attr, t);
    free(t);
    return rc;
}

/* ---- distributions ---- */

typedef struct bparam {
    const char *xml, *key;
    bool integer;
} bparam;

static const struct bkind {
    const char *xml, *dist;
    bparam p[3];
} dist_kinds[] = {
    {"constantDistribution", "constant", {{"constantValue", "value", false}}},
    {"exponentialDistribution", "exponential", {{"mean", "mean", false}}},
    {"erlangDistribution", "erlang", {{"order", "k", true}, {"mean", "mean", false}}},
    {"triangularDistribution",
     "triangular",
     {{"lower", "min", false}, {"peak", "mode", false}, {"upper", "max", false}}},
    /* Scylla samples through DESMO-J with negative samples refused and drawn
       again: a normal truncated at 0 */
    {"normalDistribution",
     "truncated-normal",
     {{"mean", "mean", false}, {"standardDeviation", "sd", false}}},
    {"uniformDistribution", "uniform", {{"lower", "min", false}, {"upper", "max", false}}},
    {"poissonDistribution", "poisson", {{"mean", "mean", false}}},
    {"binomialDistribution", "binomial", {{"probability", "p", false}, {"amount", "n", true}}},
};

#define EMPIRICAL "arbitraryFiniteProbabilityDistribution"

static int empirical(bl *L, const xmlNode *k, json_t *d)
{
    json_t *values = json_array(), *weights = json_array();
    int rc = 0;
    if (!values || !weights || json_object_set(d, "values", values) ||
        json_object_set(d, "weights", weights)) {
        rc = nomem(L);
        goto done;
    }
    for (const xmlNode *e = k->children; e; e = e->next) {
        if (!in_ns(e, L->sns))
            continue;
        if (!named(e, "entry")) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, e,
                              "<" EMPIRICAL "> takes <entry> elements, got <%s>",
                              (const char *)e->name);
            goto done;
        }
        double v, w;
        if ((rc = attr_num(L, L->sfile, e, "value", -1e300, 1e300, &v)) ||
            (rc = attr_num(L, L->sfile, e, "frequency", 0, 1e300, &w)))
            goto done;
        if (json_array_append_new(values, sim__num(v)) ||
            json_array_append_new(weights, sim__num(w))) {
            rc = nomem(L);
            goto done;
        }
    }
    if (json_array_size(values) == 0)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, k, "<" EMPIRICAL "> has no <entry>");
done:
    json_decref(values);
    json_decref(weights);
    return rc;
}

static int params(bl *L, const xmlNode *k, const struct bkind *kind, json_t *d)
{
    const xmlNode *given[3] = {NULL, NULL, NULL};
    for (const xmlNode *e = k->children; e; e = e->next) {
        if (!in_ns(e, L->sns))
            continue;
        size_t i = 0;
        while (i < 3 && kind->p[i].xml && !named(e, kind->p[i].xml))
            i++;
        if (i == 3 || !kind->p[i].xml) {
            char expected[96] = "";
            for (size_t j = 0; j < 3 && kind->p[j].xml; j++)
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                         "%s<%s>", j ? ", " : "", kind->p[j].xml);
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, e,
                                "<%s> has no parameter <%s>; expected %s", kind->xml,
                                (const char *)e->name, expected);
        }
        if (given[i])
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, e, "<%s> given twice",
                                kind->p[i].xml);
        given[i] = e;
    }
    for (size_t i = 0; i < 3 && kind->p[i].xml; i++) {
        if (!given[i])
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, k, "<%s> needs <%s>", kind->xml,
                                kind->p[i].xml);
        json_t *v;
        if (kind->p[i].integer) {
            char *t = sim__xml_text(given[i]);
            if (!t)
                return nomem(L);
            int64_t x;
            char what[64];
            snprintf(what, sizeof what, "<%s>", kind->p[i].xml);
            int rc = parse_int(L, L->sfile, given[i], what, t, 0, 1000000000000000LL, &x);
            free(t);
            if (rc)
                return rc;
            v = json_integer((json_int_t)x);
        } else {
            double x;
            int rc = text_num(L, L->sfile, given[i], -1e300, 1e300, &x);
            if (rc)
                return rc;
            v = sim__num(x);
        }
        if (json_object_set_new(d, kind->p[i].key, v))
            return nomem(L);
    }
    return 0;
}

/* The distribution inside holder (<duration>, <arrivalRate>): one child
   element naming the kind, with holder's timeUnit. */
static int b_dist(bl *L, const xmlNode *holder, json_t **out)
{
    *out = NULL;
    const char *unit;
    double secs;
    int rc = time_unit(L, L->sfile, holder, "timeUnit", &unit, &secs);
    if (rc)
        return rc;
    if (!unit)
        return sim__xml_err(L->err, GM_EUNSUPPORTED, L->sfile, holder,
                            "<%s> timeUnit finer than SECONDS is not supported",
                            (const char *)holder->name);
    const xmlNode *k = NULL;
    for (const xmlNode *e = holder->children; e; e = e->next) {
        if (!in_ns(e, L->sns))
            continue;
        if (k)
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, e,
                                "<%s> holds more than one distribution",
                                (const char *)holder->name);
        k = e;
    }
    if (!k)
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, holder, "<%s> holds no distribution",
                            (const char *)holder->name);
    const struct bkind *kind = NULL;
    for (size_t i = 0; i < sizeof dist_kinds / sizeof dist_kinds[0]; i++)
        if (named(k, dist_kinds[i].xml))
            kind = &dist_kinds[i];
    if (!kind && !named(k, EMPIRICAL))
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, k,
                            "unknown distribution <%s>; expected constantDistribution, "
                            "exponentialDistribution, erlangDistribution, "
                            "triangularDistribution, normalDistribution, uniformDistribution, "
                            "poissonDistribution, binomialDistribution or " EMPIRICAL,
                            (const char *)k->name);
    json_t *d = json_pack("{s:s}", "dist", kind ? kind->dist : "empirical-discrete");
    if (!d)
        return nomem(L);
    rc = kind ? params(L, k, kind, d) : empirical(L, k, d);
    if (!rc && kind && strcmp(kind->dist, "truncated-normal") == 0 &&
        json_object_set_new(d, "min", sim__num(0)))
        rc = nomem(L);
    if (rc)
        goto fail;
    gm_err e;
    if ((rc = sim__check_dist(d, &e))) {
        rc = rc == GM_ENOMEM ? nomem(L)
                             : sim__xml_err(L->err, rc, L->sfile, k, "invalid <%s>: %s",
                                            (const char *)k->name, e.what);
        goto fail;
    }
    if (json_object_set_new(d, "unit", json_string(unit))) {
        rc = nomem(L);
        goto fail;
    }
    *out = d;
    return 0;
fail:
    json_decref(d);
    return rc;
}

/* ---- global configuration ---- */

static int parse_zone(bl *L, const xmlNode *n)
{
    char *t = sim__xml_text(n);
    if (!t)
        return nomem(L);
    /* Scylla builds ZoneId.of("GMT" + text): +h, +hh or +hh:mm. */
    int rc = 0, h = -1, m = 0;
    size_t len = strlen(t);
    if (len == 0)
        goto done; /* Scylla skips an empty element */
    if ((t[0] == '+' || t[0] == '-') && (len == 2 || len == 3 || len == 6)) {
        h = len == 2 ? digits(t + 1, 1) : digits(t + 1, 2);
        if (len == 6)
            m = t[3] == ':' ? digits(t + 4, 2) : -1;
    }
    if (h < 0 || h > 18 || m < 0 || m > 59) {
        rc = sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                          "<zoneOffset>: expected +hh:mm, got '%.40s'", t);
        goto done;
    }
    L->zone_off = (t[0] == '-' ? -1 : 1) * (h * 60 + m);
done:
    free(t);
    return rc;
}

static int weekday(bl *L, const xmlNode *n, const char *attr, int *day)
{
    char *t;
    int rc = req_attr(L, L->gfile, n, attr, &t);
    if (rc)
        return rc;
    if ((*day = sim__weekday(t)) >= 0) {
        free(t);
        return 0;
    }
    rc = sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                      "%s: expected a day MONDAY..SUNDAY, got '%.40s'", attr, t);
    free(t);
    return rc;
}

static int tod_attr(bl *L, const xmlNode *n, const char *attr, int64_t *sec)
{
    char *t;
    int rc = req_attr(L, L->gfile, n, attr, &t);
    if (rc)
        return rc;
    bool has_off;
    int off;
    if (sim__time_of_day(t, false, sec, &has_off, &off))
        rc = sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                          "%s: expected a time HH:MM or HH:MM:SS, got '%.40s'", attr, t);
    free(t);
    return rc;
}

static int week_add(bl *L, const xmlNode *n, sim__week *w, int64_t from, int64_t to)
{
    return sim__week_add_xml(L->err, L->gfile, n, w, from, to);
}

/* A timetableItem is the continuous span from (from, beginTime) to (to,
   endTime), wrapping over the week's end when from is after to (Scylla's
   DateTimeUtils.isWithin). On one day with beginTime after endTime, Scylla
   counts that day before endTime and after beginTime. Equal ends: empty. */
static int parse_item(bl *L, const xmlNode *n, sim__week *w)
{
    int d0, d1;
    int64_t b, e;
    int rc;
    if ((rc = weekday(L, n, "from", &d0)) || (rc = weekday(L, n, "to", &d1)) ||
        (rc = tod_attr(L, n, "beginTime", &b)) || (rc = tod_attr(L, n, "endTime", &e)))
        return rc;
    int64_t f = (int64_t)d0 * DAY + b, t = (int64_t)d1 * DAY + e;
    if (d0 == d1) {
        if (b < e)
            return week_add(L, n, w, f, t);
        if (b > e) {
            if (e > 0 && (rc = week_add(L, n, w, (int64_t)d0 * DAY, t)))
                return rc;
            if (b < DAY && (rc = week_add(L, n, w, f, (int64_t)(d0 + 1) * DAY)))
                return rc;
        }
        return 0;
    }
    return week_add(L, n, w, f, d0 < d1 ? t : t + WEEK);
}

static int parse_timetables(bl *L, const xmlNode *tts)
{
    int rc;
    for (const xmlNode *n = tts->children; n; n = n->next) {
        if (!in_ns(n, L->gns))
            continue;
        if (!named(n, "timetable"))
            return unsupported(L, L->gfile, n, "expected <timetable>");
        btt t;
        memset(&t, 0, sizeof t);
        t.node = n;
        if ((rc = req_attr(L, L->gfile, n, "id", &t.id)))
            return rc;
        if ((rc = sim__index_put(L->tt_idx, t.id, L->tt.len))) {
            rc = rc == GM_EEXIST ? sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                                                "duplicate timetable '%s'", t.id)
                                 : nomem(L);
            free(t.id);
            return rc;
        }
        if (gm_vec_push(&L->tt, &t)) {
            free(t.id);
            return nomem(L);
        }
        btt *mine = (btt *)L->tt.data + L->tt.len - 1;
        for (const xmlNode *it = n->children; it; it = it->next) {
            if (!in_ns(it, L->gns))
                continue;
            if (!named(it, "timetableItem"))
                return unsupported(L, L->gfile, it, "expected <timetableItem>");
            if ((rc = parse_item(L, it, &mine->week)))
                return rc;
        }
    }
    return 0;
}

static int parse_instances(bl *L, const xmlNode *n, bres *me, gm_map *names, double cost,
                           double secs)
{
    int rc;
    const char *tu;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!in_ns(c, L->gns))
            continue;
        if (!named(c, "instance"))
            return unsupported(L, L->gfile, c, "expected <instance>");
        binst in;
        memset(&in, 0, sizeof in);
        in.node = c;
        if ((rc = req_attr(L, L->gfile, c, "name", &in.name)))
            return rc;
        if ((rc = sim__index_put(names, in.name, me->inst.len))) {
            rc = rc == GM_EEXIST ? sim__xml_err(L->err, GM_EINVAL, L->gfile, c,
                                                "duplicate instance '%s' of resource '%s'",
                                                in.name, me->id)
                                 : nomem(L);
            free(in.name);
            return rc;
        }
        if (gm_vec_push(&me->inst, &in)) {
            free(in.name);
            return nomem(L);
        }
        binst *mi = (binst *)me->inst.data + me->inst.len - 1;
        if ((rc = opt_attr(L, c, "timetableId", &mi->ttid)))
            return rc;
        /* An instance's cost is per its own timeUnit, else the default one. */
        bool has_cost = xmlHasProp(c, (const xmlChar *)"cost") != NULL;
        bool has_tu = xmlHasProp(c, (const xmlChar *)"timeUnit") != NULL;
        double icost = cost, isecs = secs;
        if ((has_cost && (rc = attr_num(L, L->gfile, c, "cost", 0, 1e300, &icost))) ||
            (has_tu && (rc = time_unit(L, L->gfile, c, "timeUnit", &tu, &isecs))))
            return rc;
        mi->cph = icost * 3600 / isecs;
    }
    return 0;
}

/* A dynamicResource: defaultQuantity is the pool's size; listed instances
   are that many of its units at most, the others are default units
   (GlobalConfigurationParser). */
static int parse_resource(bl *L, const xmlNode *n)
{
    bres r;
    memset(&r, 0, sizeof r);
    gm_vec_init(&r.inst, sizeof(binst));
    r.node = n;
    int rc;
    const char *tu;
    double secs, cost;
    if ((rc = req_attr(L, L->gfile, n, "id", &r.id)))
        return rc;
    if ((rc = sim__index_put(L->res_idx, r.id, L->res.len))) {
        rc = rc == GM_EEXIST ? sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                                            "duplicate resource '%s'", r.id)
                             : nomem(L);
        free(r.id);
        return rc;
    }
    if (gm_vec_push(&L->res, &r)) {
        free(r.id);
        return nomem(L);
    }
    bres *me = (bres *)L->res.data + L->res.len - 1;
    if ((rc = attr_int(L, L->gfile, n, "defaultQuantity", 0, 1000000, &me->quantity)) ||
        (rc = attr_num(L, L->gfile, n, "defaultCost", 0, 1e300, &cost)) ||
        (rc = time_unit(L, L->gfile, n, "defaultTimeUnit", &tu, &secs)) ||
        (rc = opt_attr(L, n, "defaultTimetableId", &me->ttid)))
        return rc;
    me->cph = cost * 3600 / secs;
    gm_map *names = gm_map_create(GM_MAP_STR);
    if (!names)
        return nomem(L);
    rc = parse_instances(L, n, me, names, cost, secs);
    gm_map_destroy(names);
    if (rc)
        return rc;
    if ((int64_t)me->inst.len > me->quantity)
        return sim__xml_err(L->err, GM_EINVAL, L->gfile, n,
                            "resource '%s' lists %zu instances but defaultQuantity is %lld",
                            me->id, me->inst.len, (long long)me->quantity);
    if (me->inst.len && me->quantity > SIM__MAX_UNITS)
        return sim__xml_err(L->err, GM_ELIMIT, L->gfile, n,
                            "resource '%s' lists instances and has more than %d units", me->id,
                            SIM__MAX_UNITS);
    return 0;
}

static int parse_global(bl *L, const xmlNode *root)
{
    int rc;
    if (!scylla_ns(root) || !named(root, "globalConfiguration"))
        return sim__xml_err(L->err, GM_EPARSE, L->gfile, root,
                            "expected a Scylla <globalConfiguration> in namespace %s, got <%s>%s%s",
                            BSIM_NS, (const char *)root->name,
                            root->ns && root->ns->href ? " in " : " without namespace",
                            root->ns && root->ns->href ? (const char *)root->ns->href : "");
    L->gns = root->ns->href;
    for (const xmlNode *n = root->children; n; n = n->next) {
        if (!in_ns(n, L->gns))
            continue;
        if (named(n, "randomSeed") || named(n, "resourceAssignmentOrder"))
            continue; /* gemel has its own seeds; resources are served first come first served */
        if (named(n, "zoneOffset"))
            rc = parse_zone(L, n);
        else if (named(n, "timetables"))
            rc = parse_timetables(L, n);
        else if (named(n, "resourceData")) {
            rc = 0;
            for (const xmlNode *c = n->children; c && !rc; c = c->next)
                if (in_ns(c, L->gns))
                    rc = named(c, "dynamicResource")
                             ? parse_resource(L, c)
                             : unsupported(L, L->gfile, c, "only dynamicResource is");
        } else
            rc = unsupported(L, L->gfile, n, NULL);
        if (rc)
            return rc;
    }
    /* Names in document order, so they do not depend on which are used. */
    bres *res = L->res.data;
    for (size_t i = 0; i < L->res.len; i++)
        if (sim__unique_name(L->pool_names, res[i].id, "resource", "case", res[i].pool))
            return nomem(L);
    btt *tt = L->tt.data;
    for (size_t i = 0; i < L->tt.len; i++)
        if (sim__unique_name(L->cal_names, tt[i].id, "calendar", NULL, tt[i].cal))
            return nomem(L);
    return 0;
}

/* ---- simulation configuration ---- */

static const char *where_name(bl *L, size_t parent)
{
    return parent == GM_BPMN_NONE ? "at the top level" : gm_bpmn_node_at(L->m, parent)->id;
}

/* The node named by n's id: it must exist, be of one of the kinds, belong to
   the configured process inside parent, and be configured once. */
static int lookup(bl *L, const xmlNode *n, const gm_bpmn_kind *kinds, size_t nkinds,
                  size_t parent, size_t *idx)
{
    char *id;
    int rc = req_attr(L, L->sfile, n, "id", &id);
    if (rc)
        return rc;
    size_t i = gm_bpmn_find_node(L->m, id);
    const gm_bpmn_node *nd = i == GM_BPMN_NONE ? NULL : gm_bpmn_node_at(L->m, i);
    size_t k = 0;
    while (nd && k < nkinds && nd->kind != kinds[k])
        k++;
    if (!nd)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                          "<%s> '%s' does not name an element of the BPMN model",
                          (const char *)n->name, id);
    else if (k == nkinds)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                          "<%s> '%s' names an element of type %s in the BPMN model (line %ld)",
                          (const char *)n->name, id, nd->element, nd->line);
    else if (nd->process != L->proc)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                          "'%s' belongs to process '%s', not to the configured process '%s'",
                          id, gm_bpmn_process_at(L->m, nd->process)->id,
                          gm_bpmn_process_at(L->m, L->proc)->id);
    else if (nd->kind != GM_BPMN_BOUNDARY_EVENT && nd->parent != parent)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                          "'%s' is %s%s in the BPMN model but configured %s%s", id,
                          nd->parent == GM_BPMN_NONE ? "" : "inside ",
                          where_name(L, nd->parent), parent == GM_BPMN_NONE ? "" : "inside ",
                          where_name(L, parent));
    else if (L->seen[i])
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n, "'%s' is configured twice", id);
    free(id);
    if (rc)
        return rc;
    L->seen[i] = true;
    *idx = i;
    return 0;
}

static int set_dist(bl *L, json_t *obj, const char *key, const xmlNode *holder)
{
    if (json_object_get(obj, key))
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, holder, "<%s> given twice",
                            (const char *)holder->name);
    json_t *d;
    int rc = b_dist(L, holder, &d);
    if (rc)
        return rc;
    if (json_object_set_new(obj, key, d))
        return nomem(L);
    return 0;
}

static int parse_resources(bl *L, const xmlNode *rs, json_t *task)
{
    if (json_object_get(task, "resource") || json_object_get(task, "resources"))
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, rs, "<resources> given twice");
    json_t *list = json_array(), *pools = json_object();
    int rc = 0;
    if (!list || !pools) {
        json_decref(list);
        json_decref(pools);
        return nomem(L);
    }
    for (const xmlNode *r = rs->children; r && !rc; r = r->next) {
        if (!in_ns(r, L->sns))
            continue;
        if (!named(r, "resource")) {
            rc = unsupported(L, L->sfile, r, "expected <resource>");
            break;
        }
        char *id = NULL;
        int64_t amount;
        if ((rc = req_attr(L, L->sfile, r, "id", &id)) ||
            (rc = attr_int(L, L->sfile, r, "amount", 1, 1000000, &amount))) {
            free(id);
            break;
        }
        size_t ri = sim__index_get(L->res_idx, id);
        bres *p = ri == SIZE_MAX ? NULL : (bres *)L->res.data + ri;
        if (!p)
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, r,
                              "resource '%s' is not defined in the global configuration %s", id,
                              L->gfile);
        else if (amount > p->quantity)
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, r,
                              "needs %lld units of resource '%s', which has %lld",
                              (long long)amount, id, (long long)p->quantity);
        else if (json_object_get(pools, p->pool))
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, r,
                              "resource '%s' listed twice for one task", id);
        else if (json_object_set_new(pools, p->pool, json_true()))
            rc = nomem(L);
        free(id);
        if (rc)
            break;
        for (const xmlNode *c = r->children; c && !rc; c = c->next)
            if (in_ns(c, L->sns) && !named(c, "assignmentDefinition"))
                rc = unsupported(L, L->sfile, c, NULL);
        /* assignmentDefinition (priorities) is accepted and not used:
           gemel serves a pool's queue first come, first served. */
        if (rc)
            break;
        p->used = true;
        json_t *e = json_pack("{s:s, s:I}", "name", p->pool, "amount", (json_int_t)amount);
        if (!e || json_array_append_new(list, e))
            rc = nomem(L);
    }
    if (!rc && json_array_size(list) == 1 &&
        json_integer_value(json_object_get(json_array_get(list, 0), "amount")) == 1) {
        if (json_object_set(task, "resource", json_object_get(json_array_get(list, 0), "name")))
            rc = nomem(L);
    } else if (!rc && json_array_size(list) > 0) {
        if (json_object_set(task, "resources", list))
            rc = nomem(L);
    }
    json_decref(list);
    json_decref(pools);
    return rc;
}

static int parse_boundary(bl *L, const xmlNode *bes, size_t act)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_BOUNDARY_EVENT};
    double sum = 0;
    int rc;
    for (const xmlNode *b = bes->children; b; b = b->next) {
        if (!in_ns(b, L->sns))
            continue;
        if (!named(b, "boundaryEvent"))
            return unsupported(L, L->sfile, b, "expected <boundaryEvent>");
        size_t i;
        if ((rc = lookup(L, b, kind, 1, GM_BPMN_NONE, &i)))
            return rc;
        const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, i);
        if (nd->attached_to != act)
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, b,
                                "boundary event '%s' is attached to '%s' in the BPMN model, "
                                "not to '%s'",
                                nd->id, gm_bpmn_node_at(L->m, nd->attached_to)->id,
                                gm_bpmn_node_at(L->m, act)->id);
        json_t *ev = json_object();
        if (!ev || json_object_set_new(L->events, nd->id, ev))
            return nomem(L);
        for (const xmlNode *c = b->children; c; c = c->next) {
            if (!in_ns(c, L->sns))
                continue;
            if (named(c, "eventProbability")) {
                double p;
                if (json_object_get(ev, "probability"))
                    return sim__xml_err(L->err, GM_EINVAL, L->sfile, c,
                                        "<eventProbability> given twice");
                if ((rc = text_num(L, L->sfile, c, 0, 1, &p)))
                    return rc;
                if (json_object_set_new(ev, "probability", sim__num(p)))
                    return nomem(L);
                /* Scylla draws one of the events or the normal flow, so the
                   probabilities of one activity's events add up to at most 1. */
                sum += p;
                if (sum > 1 + 1e-9)
                    return sim__xml_err(L->err, GM_EINVAL, L->sfile, c,
                                        "the event probabilities of '%s' add up to %g, more "
                                        "than 1",
                                        gm_bpmn_node_at(L->m, act)->id, sum);
            } else if (named(c, "arrivalRate")) {
                if ((rc = set_dist(L, ev, "after", c)))
                    return rc;
            } else {
                return unsupported(L, L->sfile, c, NULL);
            }
        }
    }
    return 0;
}

/* task, *Task, callActivity and subProcess. A sub-process's own children
   (resources, boundaryEvents) are read here, its contents by
   parse_container. */
static int parse_activity(bl *L, const xmlNode *n, size_t parent, bool sub, size_t *idx)
{
    static const gm_bpmn_kind task_kinds[] = {GM_BPMN_TASK, GM_BPMN_CALL_ACTIVITY};
    static const gm_bpmn_kind sub_kinds[] = {GM_BPMN_SUBPROCESS};
    int rc = lookup(L, n, sub ? sub_kinds : task_kinds, sub ? 1 : 2, parent, idx);
    if (rc)
        return rc;
    const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, *idx);
    json_t *task = json_object();
    if (!task)
        return nomem(L);
    for (const xmlNode *c = n->children; c && !rc; c = c->next) {
        if (!in_ns(c, L->sns))
            continue;
        if (named(c, "duration"))
            rc = sub ? unsupported(L, L->sfile, c,
                                   "a sub-process takes the time of its contents")
                     : set_dist(L, task, "duration", c);
        else if (named(c, "resources"))
            rc = parse_resources(L, c, task);
        else if (named(c, "boundaryEvents"))
            rc = parse_boundary(L, c, *idx);
        else if (named(c, "setUpDuration"))
            rc = unsupported(L, L->sfile, c, "set-up times are not simulated");
        else if (named(c, "batchActivity"))
            rc = unsupported(L, L->sfile, c, "batch activities are not simulated");
        else if (!sub)
            rc = unsupported(L, L->sfile, c, NULL);
    }
    if (!rc && !sub && !json_object_get(task, "duration"))
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n, "task '%s' has no <duration>",
                          nd->id);
    if (!rc && json_object_size(task) && json_object_set(L->tasks, nd->id, task))
        rc = nomem(L);
    json_decref(task);
    return rc;
}

static int parse_start(bl *L, const xmlNode *n, size_t parent)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_START_EVENT};
    size_t i;
    int rc = lookup(L, n, kind, 1, parent, &i);
    if (rc)
        return rc;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!in_ns(c, L->sns))
            continue;
        if (!named(c, "arrivalRate"))
            return unsupported(L, L->sfile, c, NULL);
        if (parent != GM_BPMN_NONE)
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, c,
                                "an arrivalRate on the start event of a sub-process has no "
                                "meaning");
        json_t *a = json_object();
        if (!a || json_object_set_new(L->starts, gm_bpmn_node_at(L->m, i)->id, a))
            return nomem(L);
        if ((rc = set_dist(L, a, "interarrival", c)))
            return rc;
    }
    return 0;
}

static int parse_catch(bl *L, const xmlNode *n, size_t parent)
{
    static const gm_bpmn_kind kind[] = {GM_BPMN_CATCH_EVENT};
    size_t i;
    int rc = lookup(L, n, kind, 1, parent, &i);
    if (rc)
        return rc;
    json_t *ev = json_object();
    if (!ev)
        return nomem(L);
    for (const xmlNode *c = n->children; c && !rc; c = c->next)
        if (in_ns(c, L->sns))
            rc = named(c, "arrivalRate") ? set_dist(L, ev, "delay", c)
                                         : unsupported(L, L->sfile, c, NULL);
    if (!rc && json_object_size(ev) &&
        json_object_set(L->events, gm_bpmn_node_at(L->m, i)->id, ev))
        rc = nomem(L);
    json_decref(ev);
    return rc;
}

static int parse_gateway(bl *L, const xmlNode *n, size_t parent, gm_bpmn_kind kind)
{
    size_t g;
    int rc = lookup(L, n, &kind, 1, parent, &g);
    if (rc)
        return rc;
    const gm_bpmn_node *gw = gm_bpmn_node_at(L->m, g);
    json_t *probs = json_object();
    if (!probs)
        return nomem(L);
    double sum = 0;
    for (const xmlNode *c = n->children; c && !rc; c = c->next) {
        if (!in_ns(c, L->sns))
            continue;
        if (!named(c, "outgoingSequenceFlow")) {
            rc = unsupported(L, L->sfile, c, "expected <outgoingSequenceFlow>");
            break;
        }
        char *id;
        if ((rc = req_attr(L, L->sfile, c, "id", &id)))
            break;
        size_t f = gm_bpmn_find_flow(L->m, id);
        if (f == GM_BPMN_NONE || gm_bpmn_flow_at(L->m, f)->source != g)
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, c,
                              "'%s' is not an outgoing sequence flow of gateway '%s'", id,
                              gw->id);
        else if (json_object_get(probs, id))
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, c, "sequence flow '%s' given twice",
                              id);
        const xmlNode *bp = NULL;
        for (const xmlNode *e = c->children; e && !rc; e = e->next) {
            if (!in_ns(e, L->sns))
                continue;
            if (!named(e, "branchingProbability") || bp)
                rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, e,
                                  "<outgoingSequenceFlow> takes one <branchingProbability>");
            bp = e;
        }
        if (!rc && !bp)
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, c,
                              "sequence flow '%s' has no <branchingProbability>", id);
        double p;
        if (!rc && !(rc = text_num(L, L->sfile, bp, 0, 1, &p))) {
            sum += p;
            if (json_object_set_new(probs, id, sim__num(p)))
                rc = nomem(L);
        }
        free(id);
    }
    if (rc || json_object_size(probs) == 0)
        goto done;
    if (kind == GM_BPMN_EXCLUSIVE_GATEWAY) {
        if (sum > 1 + 1e-9) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                              "the branching probabilities of gateway '%s' add up to %g, more "
                              "than 1",
                              gw->id, sum);
            goto done;
        }
        /* Scylla gives the default flow what the others leave... */
        if (gw->default_flow != GM_BPMN_NONE) {
            const char *fid = gm_bpmn_flow_at(L->m, gw->default_flow)->id;
            json_t *old = json_object_get(probs, fid);
            double p = (old ? json_number_value(old) : 0) + (1 - sum);
            if (json_object_set_new(probs, fid, sim__num(p))) {
                rc = nomem(L);
                goto done;
            }
            sum += 1 - sum;
        }
    }
    for (size_t k = 0; k < gw->nout; k++) {
        const char *fid = gm_bpmn_flow_at(L->m, gw->out[k])->id;
        if (!json_object_get(probs, fid)) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                              "gateway '%s' has no branchingProbability for its outgoing flow "
                              "'%s'",
                              gw->id, fid);
            goto done;
        }
    }
    if (kind == GM_BPMN_EXCLUSIVE_GATEWAY) {
        if (sum <= 0) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                              "the branching probabilities of gateway '%s' add up to 0", gw->id);
            goto done;
        }
        /* ... and its sampler (DESMO-J's DiscreteDistEmpirical) divides by
           the sum, so a sum below 1 is a set of relative weights. */
        if (fabs(sum - 1) > 1e-12) {
            json_t *norm = json_object();
            const char *key;
            json_t *v;
            if (!norm) {
                rc = nomem(L);
                goto done;
            }
            json_object_foreach(probs, key, v)
            {
                if (json_object_set_new(norm, key, sim__num(json_number_value(v) / sum))) {
                    json_decref(norm);
                    rc = nomem(L);
                    goto done;
                }
            }
            json_decref(probs);
            probs = norm;
        }
    }
    if (json_object_set(L->gateways, gw->id, probs))
        rc = nomem(L);
done:
    json_decref(probs);
    return rc;
}

static int parse_container(bl *L, const xmlNode *el, size_t parent, bool sub)
{
    int rc = 0;
    for (const xmlNode *c = el->children; c && !rc; c = c->next) {
        if (!in_ns(c, L->sns))
            continue;
        const char *name = (const char *)c->name;
        size_t len = strlen(name), idx;
        if (named(c, "task") || (len >= 4 && strcmp(name + len - 4, "Task") == 0) ||
            named(c, "callActivity"))
            rc = parse_activity(L, c, parent, false, &idx);
        else if (named(c, "subProcess")) {
            if (!(rc = parse_activity(L, c, parent, true, &idx)))
                rc = parse_container(L, c, idx, true);
        } else if (named(c, "startEvent"))
            rc = parse_start(L, c, parent);
        else if (named(c, "exclusiveGateway"))
            rc = parse_gateway(L, c, parent, GM_BPMN_EXCLUSIVE_GATEWAY);
        else if (named(c, "inclusiveGateway"))
            rc = parse_gateway(L, c, parent, GM_BPMN_INCLUSIVE_GATEWAY);
        else if (named(c, "catchEvent"))
            rc = parse_catch(L, c, parent);
        else if (sub && (named(c, "resources") || named(c, "boundaryEvents") ||
                         named(c, "duration") || named(c, "setUpDuration") ||
                         named(c, "batchActivity")))
            continue; /* the sub-process's own, read by parse_activity */
        else if (named(c, "dataObject") || named(c, "dataInput"))
            rc = unsupported(L, L->sfile, c, "data objects are not simulated");
        else
            rc = unsupported(L, L->sfile, c, NULL);
    }
    return rc;
}

/* ---- output ---- */

static int cal_ref(bl *L, const xmlNode *n, const char *ttid, const char **cal)
{
    size_t i = sim__index_get(L->tt_idx, ttid);
    if (i != SIZE_MAX) {
        btt *t = (btt *)L->tt.data + i;
        t->used = true;
        *cal = t->cal;
        return 0;
    }
    return sim__xml_err(L->err, GM_EINVAL, L->gfile, n, "timetable '%s' is not defined", ttid);
}

static int emit_pool(bl *L, const bres *r, json_t *pools)
{
    json_t *p = json_pack("{s:s}", "name", r->pool), *names = json_object();
    const char *cal = NULL;
    int rc = 0;
    if (!p || !names || json_array_append(pools, p)) {
        rc = nomem(L);
        goto done;
    }
    if (r->inst.len == 0) {
        if (r->quantity < 1) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->gfile, r->node,
                              "resource '%s' has defaultQuantity 0 and no instances", r->id);
            goto done;
        }
        if (json_object_set_new(p, "count", json_integer((json_int_t)r->quantity)) ||
            json_object_set_new(p, "cost_per_hour", sim__num(r->cph))) {
            rc = nomem(L);
            goto done;
        }
        if (r->ttid) {
            if ((rc = cal_ref(L, r->node, r->ttid, &cal)))
                goto done;
            if (json_object_set_new(p, "calendar", json_string(cal)))
                rc = nomem(L);
        }
        goto done;
    }
    /* Listed instances keep their own timetable (none: always available,
       as in Scylla); the remaining defaultQuantity - n instances are Scylla's
       default instances, with the default timetable and cost. */
    json_t *units = json_array();
    if (!units || json_object_set_new(p, "cost_per_hour", sim__num(r->cph)) ||
        json_object_set_new(p, "units", units)) {
        rc = nomem(L);
        goto done;
    }
    const binst *in = r->inst.data;
    int64_t total = r->quantity;
    for (int64_t k = 0; k < total; k++) {
        const binst *b = k < (int64_t)r->inst.len ? &in[k] : NULL;
        char name[SIM__NAME_MAX + 1], dflt[32];
        snprintf(dflt, sizeof dflt, "default-%lld", (long long)(k - (int64_t)r->inst.len + 1));
        json_t *u = json_object();
        if (!u || json_array_append_new(units, u) ||
            sim__unique_name(names, b ? b->name : dflt, "unit", NULL, name) ||
            json_object_set_new(u, "name", json_string(name))) {
            rc = nomem(L);
            goto done;
        }
        const char *ttid = b ? b->ttid : r->ttid;
        if (ttid) {
            if ((rc = cal_ref(L, b ? b->node : r->node, ttid, &cal)))
                goto done;
            if (json_object_set_new(u, "calendar", json_string(cal))) {
                rc = nomem(L);
                goto done;
            }
        }
        if (b && b->cph != r->cph && json_object_set_new(u, "cost_per_hour", sim__num(b->cph))) {
            rc = nomem(L);
            goto done;
        }
    }
done:
    json_decref(p);
    json_decref(names);
    return rc;
}

static int build(bl *L, const xmlNode *sc, json_t *out)
{
    int rc;
    char *s = NULL, *e = NULL, *pi = NULL;
    gm_err te;
    int64_t cases, t0, t1;
    bool has_off, region;
    int off, off1;
    if ((rc = req_attr(L, L->sfile, sc, "processInstances", &pi)) ||
        (rc = parse_int(L, L->sfile, sc, "processInstances", pi, 1, 1000000000, &cases)) ||
        (rc = req_attr(L, L->sfile, sc, "startDateTime", &s)) ||
        (rc = opt_attr(L, sc, "endDateTime", &e)))
        goto done;
    if ((rc = sim__datetime(s, L->zone_off, &t0, &has_off, &off, &region, &te))) {
        rc = sim__xml_err(L->err, rc, L->sfile, sc, "startDateTime: %s", te.what);
        goto done;
    }
    /* Scylla parses with the global zone as override: the instant comes from
       the text's offset, timetables are read in the global zone (or in the
       text's region when it names one). */
    int cal_off = region ? off : L->zone_off;
    char start[GM_TIME_RFC3339_MAX];
    if (gm_time_format_rfc3339(t0, cal_off, GM_TIME_FRAC_AUTO, start, sizeof start) < 0) {
        rc = sim__xml_err(L->err, GM_ERANGE, L->sfile, sc, "startDateTime out of range");
        goto done;
    }
    if (json_object_set_new(out, "cases", json_integer((json_int_t)cases)) ||
        json_object_set_new(out, "start", json_string(start))) {
        rc = nomem(L);
        goto done;
    }
    if (e) {
        if ((rc = sim__datetime(e, L->zone_off, &t1, &has_off, &off1, &region, &te))) {
            rc = sim__xml_err(L->err, rc, L->sfile, sc, "endDateTime: %s", te.what);
            goto done;
        }
        if (t1 <= t0) {
            rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, sc,
                              "endDateTime '%s' is not after startDateTime '%s'", e, s);
            goto done;
        }
        if (json_object_set_new(out, "horizon", sim__num((double)(t1 - t0) / 60e9))) {
            rc = nomem(L);
            goto done;
        }
    }
done:
    free(s);
    free(e);
    free(pi);
    return rc;
}

static int finish(bl *L, const xmlNode *sc, json_t *out)
{
    int rc;
    const gm_bpmn_process *pr = gm_bpmn_process_at(L->m, L->proc);
    size_t nstarts = 0;
    for (size_t i = 0; i < gm_bpmn_nnodes(L->m); i++) {
        const gm_bpmn_node *nd = gm_bpmn_node_at(L->m, i);
        nstarts += nd->process == L->proc && nd->parent == GM_BPMN_NONE &&
                   nd->kind == GM_BPMN_START_EVENT;
    }
    if (json_object_size(L->starts) == 0)
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, sc,
                            "no start event of process '%s' has an <arrivalRate>", pr->id);
    json_t *arrivals = nstarts > 1 ? json_incref(L->starts)
                                   : json_incref(json_object_iter_value(
                                         json_object_iter(L->starts)));
    if (json_object_set_new(out, "arrivals", arrivals))
        return nomem(L);

    json_t *pools = json_array(), *cals = json_object();
    if (!pools || !cals) {
        json_decref(pools);
        json_decref(cals);
        return nomem(L);
    }
    rc = 0;
    const bres *res = L->res.data;
    for (size_t i = 0; i < L->res.len && !rc; i++)
        if (res[i].used)
            rc = emit_pool(L, &res[i], pools);
    const btt *tt = L->tt.data;
    for (size_t i = 0; i < L->tt.len && !rc; i++)
        if (tt[i].used)
            rc = sim__add_calendar(cals, tt[i].cal, &tt[i].week, L->gfile, tt[i].node, tt[i].id,
                                   L->err);
    if (!rc)
        rc = sim__finish(out, cals, pools, L->tasks, L->gateways, L->events, L->sfile, L->err);
    json_decref(pools);
    json_decref(cals);
    return rc;
}

static int parse_sim(bl *L, const xmlNode *root, json_t *out)
{
    if (!scylla_ns(root) || !named(root, "definitions"))
        return sim__xml_err(L->err, GM_EPARSE, L->sfile, root,
                            "expected a Scylla simulation <definitions> in namespace %s, got "
                            "<%s>%s%s",
                            BSIM_NS, (const char *)root->name,
                            root->ns && root->ns->href ? " in " : " without namespace",
                            root->ns && root->ns->href ? (const char *)root->ns->href : "");
    L->sns = root->ns->href;
    const xmlNode *sc = NULL;
    for (const xmlNode *n = root->children; n; n = n->next) {
        if (!in_ns(n, L->sns))
            continue;
        if (!named(n, "simulationConfiguration"))
            return unsupported(L, L->sfile, n, NULL);
        if (sc)
            return sim__xml_err(L->err, GM_EINVAL, L->sfile, n,
                                "more than one <simulationConfiguration> in one file");
        sc = n;
    }
    if (!sc)
        return sim__xml_err(L->err, GM_EINVAL, L->sfile, root, "no <simulationConfiguration>");
    char *ref;
    int rc = req_attr(L, L->sfile, sc, "processRef", &ref);
    if (rc)
        return rc;
    L->proc = GM_BPMN_NONE;
    for (size_t i = 0; i < gm_bpmn_nprocesses(L->m); i++)
        if (strcmp(gm_bpmn_process_at(L->m, i)->id, ref) == 0)
            L->proc = i;
    if (L->proc == GM_BPMN_NONE)
        rc = sim__xml_err(L->err, GM_EINVAL, L->sfile, sc,
                          "processRef '%s' does not name a process of the BPMN model", ref);
    free(ref);
    if (rc || (rc = build(L, sc, out)) || (rc = parse_container(L, sc, GM_BPMN_NONE, false)))
        return rc;
    return finish(L, sc, out);
}

int gm_bsim_load(const gm_bpmn *m, const char *sim_path, const char *global_path, json_t **out,
                 gm_err *err)
{
    *out = NULL;
    bl L;
    memset(&L, 0, sizeof L);
    L.m = m;
    L.err = err;
    L.sfile = sim_path;
    L.gfile = global_path;
    gm_vec_init(&L.res, sizeof(bres));
    gm_vec_init(&L.tt, sizeof(btt));
    xmlDoc *sdoc = NULL, *gdoc = NULL;
    json_t *res = NULL;
    int rc;
    if ((rc = sim__xml_load(global_path, &gdoc, err)) ||
        (rc = sim__xml_load(sim_path, &sdoc, err)))
        goto fail;
    L.pool_names = json_object();
    L.cal_names = json_object();
    L.tasks = json_object();
    L.gateways = json_object();
    L.events = json_object();
    L.starts = json_object();
    L.res_idx = gm_map_create(GM_MAP_STR);
    L.tt_idx = gm_map_create(GM_MAP_STR);
    L.seen = calloc(gm_bpmn_nnodes(m) + 1, sizeof *L.seen);
    res = json_pack("{s:s, s:s}", "type", "process-simulation", "time_unit", "minutes");
    if (!L.pool_names || !L.cal_names || !L.tasks || !L.gateways || !L.events || !L.starts ||
        !L.res_idx || !L.tt_idx || !L.seen || !res) {
        rc = nomem(&L);
        goto fail;
    }
    if ((rc = parse_global(&L, xmlDocGetRootElement(gdoc))) ||
        (rc = parse_sim(&L, xmlDocGetRootElement(sdoc), res)))
        goto fail;
    *out = res;
    res = NULL;
fail:
    json_decref(res);
    bres *r = L.res.data;
    for (size_t i = 0; i < L.res.len; i++) {
        binst *in = r[i].inst.data;
        for (size_t k = 0; k < r[i].inst.len; k++) {
            free(in[k].name);
            free(in[k].ttid);
        }
        gm_vec_free(&r[i].inst);
        free(r[i].id);
        free(r[i].ttid);
    }
    gm_vec_free(&L.res);
    btt *t = L.tt.data;
    for (size_t i = 0; i < L.tt.len; i++) {
        free(t[i].id);
        sim__week_free(&t[i].week);
    }
    gm_vec_free(&L.tt);
    json_decref(L.pool_names);
    json_decref(L.cal_names);
    json_decref(L.tasks);
    json_decref(L.gateways);
    json_decref(L.events);
    json_decref(L.starts);
    gm_map_destroy(L.res_idx);
    gm_map_destroy(L.tt_idx);
    free(L.seen);
    xmlFreeDoc(sdoc);
    xmlFreeDoc(gdoc);
    return rc;
}
