#include "evlog/evlog.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/checked.h"
#include "base/err.h"
#include "base/map.h"
#include "base/sb.h"
#include "base/time.h"
#include "base/vec.h"

/* Staged output is handed to stdio in pieces of about this size, so a long
   trace never needs one big buffer. */
#define STAGE_BYTES 65536u

/* One buffered activity of an open XES case. Names are interned and already
   XML-escaped, so each is escaped once however often it occurs. */
typedef struct rec {
    double start, end;
    const char *act;
    const char *res; /* NULL: no resource */
} rec;

/* A trace's event while sorting: ord = 2 * index of its activity in report
   order + (0 start, 1 complete). */
typedef struct ev {
    double t;
    size_t ord;
} ev;

struct gm_evlog {
    FILE *f;
    char *path;
    gm_evlog_format fmt;
    gm_evlog_clock clk;
    gm_sb out;      /* text staged before it goes to f */
    gm_map *open;   /* XES: case id -> gm_vec * of rec */
    gm_map *names;  /* XES: name -> its escaped copy (owned) */
    gm_vec evs;     /* XES: scratch for sorting one trace */
    size_t max_open, max_case, max_buffered;
    size_t buffered; /* activities in all open cases */
    int fail;        /* first output failure (GM_EIO, GM_ENOMEM), sticky */
    int fail_errno;
};

/* ---- output ---- */

static void mark_fail(gm_evlog *l, int code, int errnum)
{
    if (l->fail)
        return;
    l->fail = code;
    l->fail_errno = errnum ? errnum : EIO;
}

/* Move the staged text to the file. A failed write leaves the file short, so
   the failure is sticky: nothing written after it could make it whole. */
static void flush_out(gm_evlog *l)
{
    if (gm_sb_error(&l->out)) {
        mark_fail(l, GM_ENOMEM, ENOMEM);
    } else if (l->out.len && !l->fail) {
        errno = 0;
        if (fwrite(l->out.buf, 1, l->out.len, l->f) != l->out.len)
            mark_fail(l, GM_EIO, errno);
    }
    gm_sb_reset(&l->out);
}

static int report_fail(const gm_evlog *l, gm_err *err)
{
    if (l->fail == GM_EIO)
        return gm_err_errno(err, GM_EIO, l->fail_errno, l->path,
                            "cannot write the event log (it is incomplete)");
    return gm_err_set(err, l->fail, l->path,
                      "out of memory while writing the event log (it is incomplete)");
}

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when p does not start
   one: overlong forms, surrogates and code points past U+10FFFF are invalid.
   Stops at the first bad byte, so it never reads past the terminating NUL. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Append s as XML attribute text. TAB, LF and CR become character references
   because a parser would otherwise normalise them to spaces; characters XML
   1.0 forbids, and bytes that are not UTF-8, become U+FFFD rather than an
   error, since a log is worth more with one odd name than not at all. */
static void xml_text(gm_sb *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '&' && *p != '<' && *p != '>' && *p != '"' &&
               *p != '\'')
            p++;
        if (p > run)
            gm_sb_append_n(sb, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': gm_sb_append(sb, "&amp;"); break;
            case '<': gm_sb_append(sb, "&lt;"); break;
            case '>': gm_sb_append(sb, "&gt;"); break;
            case '"': gm_sb_append(sb, "&quot;"); break;
            case '\'': gm_sb_append(sb, "&apos;"); break;
            case '\t': gm_sb_append(sb, "&#9;"); break;
            case '\n': gm_sb_append(sb, "&#10;"); break;
            case '\r': gm_sb_append(sb, "&#13;"); break;
            default: gm_sb_append(sb, REPLACEMENT); break;
            }
            p++;
            continue;
        }
        size_t n = utf8_len(p);
        if (n == 0) {
            gm_sb_append(sb, REPLACEMENT);
            p++;
            continue;
        }
        /* U+FFFE and U+FFFF are valid UTF-8 but not XML characters. */
        if (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE)
            gm_sb_append(sb, REPLACEMENT);
        else
            gm_sb_append_n(sb, (const char *)p, n);
        p += n;
    }
}

/* RFC 4180: quote a field holding a separator, a quote or a line break, and
   double the quotes inside. */
static void csv_field(gm_sb *sb, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        gm_sb_append(sb, s);
        return;
    }
    gm_sb_append_char(sb, '"');
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        gm_sb_append_n(sb, s, (size_t)(q - s + 1));
        gm_sb_append_char(sb, '"');
    }
    gm_sb_append(sb, s);
    gm_sb_append_char(sb, '"');
}

/* ---- time ---- */

/* Largest offset from the start, in ms, whose ns count fits in int64. */
#define MAX_REL_MS 9.2e12

/* Simulated time t -> instant. The offset is rounded to the millisecond the
   text shows, so a time computed as 0.29999999 s prints as .300, and the
   mapping stays monotone: sorting by t sorts the timestamps. */
static int to_ns(const gm_evlog *l, double t, int64_t *ns)
{
    double ms = t * l->clk.unit_seconds * 1e3;
    if (!(ms >= 0 && ms <= MAX_REL_MS))
        return GM_ERANGE;
    int64_t rel = (int64_t)(ms + 0.5), r;
    if (__builtin_mul_overflow(rel, (int64_t)1000000, &rel) ||
        __builtin_add_overflow(l->clk.start_ns, rel, &r))
        return GM_ERANGE;
    *ns = r;
    return GM_OK;
}

static int check_time(const gm_evlog *l, double t, const char *which, gm_err *err)
{
    int64_t ns;
    if (to_ns(l, t, &ns))
        return gm_err_set(err, GM_ERANGE, l->path,
                          "%s time %.17g is past the last timestamp that can be written (%s)",
                          which, t, GM_TIME_MAX_TEXT);
    return GM_OK;
}

static void append_time(gm_evlog *l, double t)
{
    int64_t ns = 0;
    char buf[GM_TIME_RFC3339_MAX];
    /* Both cannot fail: t was checked when reported and the offset at open. */
    if (to_ns(l, t, &ns) || gm_time_format_rfc3339(ns, l->clk.offset_min, 3, buf, sizeof buf) < 0)
        buf[0] = '\0';
    gm_sb_append(&l->out, buf);
}

/* ---- XES ---- */

/* The standard's schema types xes.version as xs:decimal and a classifier's
   name as xs:NCName (no spaces): IEEE 1849-2016 is XES 2.0. The elements
   are in the XES namespace, as OpenXES, ProM and pm4py write them. */
static const char XES_HEAD[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<log xes.version=\"2.0\" xes.features=\"nested-attributes\""
    " xmlns=\"http://www.xes-standard.org/\">\n"
    "  <extension name=\"Concept\" prefix=\"concept\""
    " uri=\"http://www.xes-standard.org/concept.xesext\"/>\n"
    "  <extension name=\"Time\" prefix=\"time\""
    " uri=\"http://www.xes-standard.org/time.xesext\"/>\n"
    "  <extension name=\"Lifecycle\" prefix=\"lifecycle\""
    " uri=\"http://www.xes-standard.org/lifecycle.xesext\"/>\n"
    "  <extension name=\"Organizational\" prefix=\"org\""
    " uri=\"http://www.xes-standard.org/org.xesext\"/>\n"
    "  <global scope=\"trace\">\n"
    "    <string key=\"concept:name\" value=\"__INVALID__\"/>\n"
    "  </global>\n"
    "  <global scope=\"event\">\n"
    "    <string key=\"concept:name\" value=\"__INVALID__\"/>\n"
    "    <string key=\"lifecycle:transition\" value=\"complete\"/>\n"
    "    <date key=\"time:timestamp\" value=\"1970-01-01T00:00:00.000Z\"/>\n"
    "  </global>\n"
    "  <classifier name=\"Activity\" keys=\"concept:name\"/>\n"
    "  <classifier name=\"Activity_and_lifecycle\" keys=\"concept:name lifecycle:transition\"/>\n"
    "  <string key=\"lifecycle:model\" value=\"standard\"/>\n";

/* The escaped copy of name, made on first use and kept until close. */
static int intern(gm_evlog *l, const char *name, const char **out, gm_err *err)
{
    size_t n = strlen(name);
    void *v;
    if (gm_map_sget(l->names, name, n, &v)) {
        *out = v;
        return GM_OK;
    }
    if (gm_map_len(l->names) >= GM_EVLOG_MAX_NAMES)
        return gm_err_set(err, GM_ELIMIT, l->path,
                          "more than %u distinct activity and resource names; the XES writer "
                          "keeps each one (write a .csv log instead)",
                          GM_EVLOG_MAX_NAMES);
    gm_sb sb = GM_SB_INIT;
    xml_text(&sb, name);
    char *x = gm_sb_take(&sb);
    if (!x)
        goto fail;
    if (gm_map_sput(l->names, name, n, x) != GM_OK) {
        free(x);
        goto fail;
    }
    *out = x;
    return GM_OK;
fail:
    gm_sb_free(&sb);
    return gm_err_set(err, GM_ENOMEM, l->path, "out of memory");
}

static int cmp_ev(const void *pa, const void *pb)
{
    const ev *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->ord > b->ord) - (a->ord < b->ord);
}

static void append_event(gm_evlog *l, const rec *r, int complete)
{
    gm_sb *o = &l->out;
    gm_sb_append(o, "    <event>\n      <string key=\"concept:name\" value=\"");
    gm_sb_append(o, r->act);
    if (r->res) {
        gm_sb_append(o, "\"/>\n      <string key=\"org:resource\" value=\"");
        gm_sb_append(o, r->res);
    }
    gm_sb_append(o, complete ? "\"/>\n      <string key=\"lifecycle:transition\" value=\"complete"
                             : "\"/>\n      <string key=\"lifecycle:transition\" value=\"start");
    gm_sb_append(o, "\"/>\n      <date key=\"time:timestamp\" value=\"");
    append_time(l, complete ? r->end : r->start);
    gm_sb_append(o, "\"/>\n    </event>\n");
}

/*
 * Write the trace of case id. Events are ordered by time; at equal times by
 * activity in report order, a start before its own complete. So a complete
 * and a start at the same instant keep the order the simulation produced
 * them in (the earlier-reported activity first), and a zero-length activity
 * still starts before it completes. GM_ENOMEM before anything was written
 * leaves no trace behind; failures while writing are sticky (mark_fail).
 */
static int write_trace(gm_evlog *l, uint64_t id, const gm_vec *v)
{
    const rec *recs = v->data;
    size_t nev;
    if (gm_size_mul(v->len, 2, &nev) || gm_vec_reserve(&l->evs, nev))
        return GM_ENOMEM;
    ev *evs = l->evs.data;
    for (size_t i = 0; i < v->len; i++) {
        evs[2 * i] = (ev){recs[i].start, 2 * i};
        evs[2 * i + 1] = (ev){recs[i].end, 2 * i + 1};
    }
    qsort(evs, nev, sizeof *evs, cmp_ev);

    gm_sb_appendf(&l->out, "  <trace>\n    <string key=\"concept:name\" value=\"%" PRIu64 "\"/>\n",
                  id);
    for (size_t i = 0; i < nev; i++) {
        append_event(l, &recs[evs[i].ord / 2], (int)(evs[i].ord % 2));
        if (l->out.len >= STAGE_BYTES)
            flush_out(l);
    }
    gm_sb_append(&l->out, "  </trace>\n");
    flush_out(l);
    return l->fail;
}

static void free_case(gm_vec *v)
{
    if (v) {
        gm_vec_free(v);
        free(v);
    }
}

static int xes_activity(gm_evlog *l, uint64_t id, const char *activity, const char *resource,
                        double start, double end, gm_err *err)
{
    const char *act, *res = NULL;
    int rc = intern(l, activity, &act, err);
    if (rc == GM_OK && resource && resource[0])
        rc = intern(l, resource, &res, err);
    if (rc)
        return rc;

    void *pv = NULL;
    gm_vec *v = NULL;
    bool created = false;
    if (gm_map_iget(l->open, id, &pv)) {
        v = pv;
        if (v->len >= l->max_case)
            return gm_err_set(err, GM_ELIMIT, l->path,
                              "case %" PRIu64 " has more than %zu activities; the XES writer keeps "
                              "a case in memory until it ends (write a .csv log instead)",
                              id, l->max_case);
    } else if (gm_map_len(l->open) >= l->max_open) {
        return gm_err_set(err, GM_ELIMIT, l->path,
                          "more than %zu cases in progress at once; the XES writer keeps "
                          "unfinished cases in memory (write a .csv log instead)",
                          l->max_open);
    }
    if (l->buffered >= l->max_buffered)
        return gm_err_set(err, GM_ELIMIT, l->path,
                          "more than %zu activities of unfinished cases; the XES writer keeps "
                          "them in memory (write a .csv log instead)",
                          l->max_buffered);
    if (!v) {
        v = malloc(sizeof *v);
        if (!v)
            goto nomem;
        gm_vec_init(v, sizeof(rec));
        if (gm_map_iput(l->open, id, v) != GM_OK) {
            free(v);
            goto nomem;
        }
        created = true;
    }
    rec r = {start, end, act, res};
    if (gm_vec_push(v, &r) != GM_OK) {
        if (created) {
            gm_map_idel(l->open, id, NULL);
            free_case(v);
        }
        goto nomem;
    }
    l->buffered++;
    return GM_OK;
nomem:
    return gm_err_set(err, GM_ENOMEM, l->path, "out of memory");
}

/* ---- public ---- */

int gm_evlog_format_of(const char *path, gm_evlog_format *fmt, gm_err *err)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    const char *dot = path ? strrchr(base ? base : path, '.') : NULL;
    if (dot && fmt && strcasecmp(dot, ".xes") == 0) {
        *fmt = GM_EVLOG_XES;
        return GM_OK;
    }
    if (dot && fmt && strcasecmp(dot, ".csv") == 0) {
        *fmt = GM_EVLOG_CSV;
        return GM_OK;
    }
    return gm_err_set(err, GM_EINVAL, path ? path : "", "expected a .csv or .xes file name");
}

static void destroy(gm_evlog *l)
{
    gm_map_item it;
    size_t pos = 0;
    if (l->open)
        while (gm_map_next(l->open, &pos, &it))
            free_case(it.val);
    pos = 0;
    if (l->names)
        while (gm_map_next(l->names, &pos, &it))
            free(it.val);
    gm_map_destroy(l->open);
    gm_map_destroy(l->names);
    gm_vec_free(&l->evs);
    gm_sb_free(&l->out);
    free(l->path);
    free(l);
}

int gm_evlog_open(const char *path, gm_evlog_format fmt, const gm_evlog_clock *clk,
                  const char *process_name, gm_evlog **out, gm_err *err)
{
    if (out)
        *out = NULL;
    if (!path || !clk || !out)
        return gm_err_set(err, GM_EINVAL, "", "event log: path, clock and result are required");
    if (fmt != GM_EVLOG_CSV && fmt != GM_EVLOG_XES)
        return gm_err_set(err, GM_EINVAL, path, "unknown event log format %d", (int)fmt);
    if (clk->offset_min < -GM_TIME_OFFSET_MAX || clk->offset_min > GM_TIME_OFFSET_MAX)
        return gm_err_set(err, GM_EINVAL, path,
                          "UTC offset %d minutes out of range -1439..1439", clk->offset_min);
    if (!isfinite(clk->unit_seconds) || !(clk->unit_seconds > 0))
        return gm_err_set(err, GM_EINVAL, path,
                          "time unit %g seconds: expected a finite number > 0", clk->unit_seconds);

    int rc;
    gm_evlog *l = calloc(1, sizeof *l);
    if (!l)
        return gm_err_set(err, GM_ENOMEM, path, "out of memory");
    l->fmt = fmt;
    l->clk = *clk;
    l->max_open = GM_EVLOG_MAX_OPEN;
    l->max_case = GM_EVLOG_MAX_CASE_EVENTS;
    l->max_buffered = GM_EVLOG_MAX_BUFFERED;
    gm_vec_init(&l->evs, sizeof(ev));
    l->path = strdup(path);
    if (!l->path)
        goto nomem;
    if (fmt == GM_EVLOG_XES) {
        l->open = gm_map_create(GM_MAP_INT);
        l->names = gm_map_create(GM_MAP_STR);
        if (!l->open || !l->names)
            goto nomem;
    }
    l->f = fopen(path, "w");
    if (!l->f) {
        rc = gm_err_errno(err, GM_EIO, errno, path, "cannot create the event log");
        goto fail;
    }

    if (fmt == GM_EVLOG_CSV) {
        gm_sb_append(&l->out, "case_id,activity,resource,start,end\n");
    } else {
        gm_sb_append(&l->out, XES_HEAD);
        if (process_name) {
            gm_sb_append(&l->out, "  <string key=\"concept:name\" value=\"");
            xml_text(&l->out, process_name);
            gm_sb_append(&l->out, "\"/>\n");
        }
    }
    flush_out(l);
    /* Through to the file now: a log that cannot be written (a full disk, a
       device that refuses writes) fails here, before any simulation, not
       when the first few kilobytes of events leave the stdio buffer. */
    errno = 0;
    if (!l->fail && fflush(l->f) != 0) {
        rc = gm_err_errno(err, GM_EIO, errno ? errno : EIO, path, "cannot write the event log");
        goto fail;
    }
    if (l->fail) {
        rc = report_fail(l, err);
        goto fail;
    }
    *out = l;
    return GM_OK;
nomem:
    rc = gm_err_set(err, GM_ENOMEM, path, "out of memory");
fail:
    if (l->f)
        fclose(l->f);
    destroy(l);
    return rc;
}

void gm_evlog_set_limits(gm_evlog *l, size_t max_open, size_t max_case, size_t max_buffered)
{
    if (!l)
        return;
    if (max_open)
        l->max_open = max_open;
    if (max_case)
        l->max_case = max_case;
    if (max_buffered)
        l->max_buffered = max_buffered;
}

int gm_evlog_activity(gm_evlog *l, uint64_t case_id, const char *activity, const char *resource,
                      double start, double end, gm_err *err)
{
    if (!l || !activity)
        return gm_err_set(err, GM_EINVAL, l ? l->path : "",
                          "event log: log and activity name are required");
    if (l->fail)
        return report_fail(l, err);
    if (!isfinite(start) || !isfinite(end) || start < 0 || end < start)
        return gm_err_set(err, GM_EINVAL, l->path,
                          "case %" PRIu64 " activity '%s': times %g..%g, expected 0 <= start <= "
                          "end, both finite",
                          case_id, activity, start, end);
    int rc = check_time(l, start, "start", err);
    if (rc == GM_OK)
        rc = check_time(l, end, "end", err);
    if (rc)
        return rc;

    if (l->fmt == GM_EVLOG_XES)
        return xes_activity(l, case_id, activity, resource, start, end, err);

    gm_sb *o = &l->out;
    gm_sb_appendf(o, "%" PRIu64 ",", case_id);
    csv_field(o, activity);
    gm_sb_append_char(o, ',');
    csv_field(o, resource ? resource : "");
    gm_sb_append_char(o, ',');
    append_time(l, start);
    gm_sb_append_char(o, ',');
    append_time(l, end);
    gm_sb_append_char(o, '\n');
    flush_out(l);
    return l->fail ? report_fail(l, err) : GM_OK;
}

int gm_evlog_case_end(gm_evlog *l, uint64_t case_id, gm_err *err)
{
    if (!l)
        return gm_err_set(err, GM_EINVAL, "", "event log: log is required");
    if (l->fail)
        return report_fail(l, err);
    void *pv;
    if (l->fmt != GM_EVLOG_XES || !gm_map_iget(l->open, case_id, &pv))
        return GM_OK;
    gm_vec *v = pv;
    int rc = write_trace(l, case_id, v);
    if (rc == GM_ENOMEM && !l->fail)
        return gm_err_set(err, GM_ENOMEM, l->path, "out of memory");
    if (rc)
        return report_fail(l, err);
    gm_map_idel(l->open, case_id, NULL);
    l->buffered -= v->len;
    free_case(v);
    return GM_OK;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

/* Traces of the cases still open, by increasing case id, so the file does
   not depend on the map's (random) iteration order. */
static void write_open_cases(gm_evlog *l)
{
    size_t n = gm_map_len(l->open), bytes;
    if (n == 0)
        return;
    uint64_t *ids = NULL;
    if (gm_size_mul(n, sizeof *ids, &bytes) == GM_OK)
        ids = malloc(bytes);
    if (!ids) {
        mark_fail(l, GM_ENOMEM, ENOMEM);
        return;
    }
    size_t pos = 0, k = 0;
    gm_map_item it;
    while (k < n && gm_map_next(l->open, &pos, &it))
        ids[k++] = it.ikey;
    qsort(ids, k, sizeof *ids, cmp_u64);
    for (size_t i = 0; i < k && !l->fail; i++) {
        void *pv;
        if (gm_map_iget(l->open, ids[i], &pv) && write_trace(l, ids[i], pv) == GM_ENOMEM)
            mark_fail(l, GM_ENOMEM, ENOMEM);
    }
    free(ids);
}

int gm_evlog_close(gm_evlog *l, gm_err *err)
{
    if (!l)
        return gm_err_set(err, GM_EINVAL, "", "event log: log is required");
    if (l->fmt == GM_EVLOG_XES && !l->fail) {
        write_open_cases(l);
        gm_sb_append(&l->out, "</log>\n");
        flush_out(l);
    }
    /* stdio reports a full disk only when its buffer goes out: at fflush or
       fclose, long after the fwrite that filled it. */
    errno = 0;
    if (fflush(l->f) != 0 || ferror(l->f))
        mark_fail(l, GM_EIO, errno);
    errno = 0;
    if (fclose(l->f) != 0)
        mark_fail(l, GM_EIO, errno);
    l->f = NULL;
    int rc = l->fail ? report_fail(l, err) : GM_OK;
    destroy(l);
    return rc;
}

void gm_evlog_abort(gm_evlog *l)
{
    if (!l)
        return;
    if (l->f)
        fclose(l->f);
    destroy(l);
}
