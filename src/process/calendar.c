#include "process/calendar.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/checked.h"
#include "base/json.h"
#include "base/vec.h"

#define WEEK GM_CAL_WEEK_SECONDS
#define DAY_SECONDS 86400

/*
 * One piece of the weekly weight function: weight w > 0 on [start, end)
 * seconds since Monday 00:00. Only positive pieces are stored; the gaps
 * between them have weight 0. cum is the integral of w (seconds x weight)
 * from Monday 00:00 to start. run_end is where the stretch of positive
 * weight containing this piece ends, in seconds from the same Monday: it
 * exceeds one week when the stretch runs on past Sunday 24:00 into the
 * pieces that start at Monday 00:00.
 */
typedef struct seg {
    double start, end, w, cum, cend, run_end; /* cend: cum at end */
} seg;

struct gm_cal {
    seg *segs;
    size_t n;
    double total;    /* integral over one week, seconds x weight */
    bool always;     /* w > 0 everywhere */
    double flat_w;   /* > 0 when w is this one constant everywhere (fast path) */
    double unit;     /* seconds per time unit */
    double week0;    /* week position of t = 0, in [0, WEEK) */
};

/* ---- parsing ---------------------------------------------------------- */

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t len)
{
    if (len != 3)
        return -1;
    for (int d = 0; d < 7; d++)
        if (strncasecmp(s, day_names[d], 3) == 0)
            return d;
    return -1;
}

/* Sets bit d of *mask for each day d the text names. */
static int parse_days(const char *s, const char *where, unsigned *mask, gm_err *err)
{
    const char *dash = strchr(s, '-');
    size_t len1 = dash ? (size_t)(dash - s) : strlen(s);
    int a = day_index(s, len1);
    if (a < 0)
        return gm_err_set(err, GM_EINVAL, where,
                          "unknown day '%.*s'; expected mon..sun or a range like mon-fri",
                          (int)(len1 > 40 ? 40 : len1), s);
    int b = a;
    if (dash) {
        const char *s2 = dash + 1;
        size_t len2 = strlen(s2);
        b = day_index(s2, len2);
        if (b < 0)
            return gm_err_set(err, GM_EINVAL, where,
                              "unknown day '%.*s'; expected mon..sun or a range like mon-fri",
                              (int)(len2 > 40 ? 40 : len2), s2);
    }
    unsigned m = 0;
    for (int d = a;; d = (d + 1) % 7) {
        m |= 1u << d;
        if (d == b)
            break;
    }
    *mask = m;
    return 0;
}

static bool two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* "HH:MM" or "HH:MM:SS" to seconds since midnight; 24:00 gives 86400. */
static int parse_hms(const char *s, const char *where, int *out, gm_err *err)
{
    size_t len = strlen(s);
    int h = 0, m = 0, sec = 0;
    bool ok = (len == 5 || len == 8) && two_digits(s, &h) && s[2] == ':' &&
              two_digits(s + 3, &m);
    if (ok && len == 8)
        ok = s[5] == ':' && two_digits(s + 6, &sec);
    if (!ok)
        return gm_err_set(err, GM_EINVAL, where, "expected HH:MM or HH:MM:SS, got \"%.40s\"%s",
                          s, len > 40 ? "..." : "");
    if (m > 59 || sec > 59 || h > 24 || (h == 24 && (m != 0 || sec != 0)))
        return gm_err_set(err, GM_EINVAL, where,
                          "time of day %s out of range; expected 00:00..23:59:59 or 24:00", s);
    *out = h * 3600 + m * 60 + sec;
    return 0;
}

/* One entry after validation: [from, to) seconds on each day in mask. */
typedef struct entry {
    unsigned mask;
    int from, to;
    double w;
} entry;

static int parse_entry(const json_t *e, const char *where, bool with_rate, entry *out,
                       gm_err *err)
{
    char sub[GM_ERR_WHERE_MAX];
    if (!with_rate && json_is_object(e) && json_object_get(e, "rate")) {
        (void)gm_json_path_key(sub, sizeof sub, where, "rate");
        return gm_err_set(err, GM_EINVAL, sub,
                          "a rate is allowed only in an arrival-rate calendar; an availability "
                          "entry has days, from and to");
    }
    const char *days = "", *from = "", *to = ""; /* written: the fields are required */
    double rate = 1.0;
    const gm_json_field fields[] = {
        GM_JF("days", GM_JK_STRING, GM_JF_REQUIRED, &days),
        GM_JF("from", GM_JK_STRING, GM_JF_REQUIRED, &from),
        GM_JF("to", GM_JK_STRING, GM_JF_REQUIRED, &to),
        GM_JF_RANGE("rate", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &rate, 0,
                    GM_CAL_MAX_RATE),
    };
    int rc = gm_json_unpack(e, where, fields, with_rate ? 4 : 3, 0, err);
    if (rc)
        return rc;
    (void)gm_json_path_key(sub, sizeof sub, where, "days");
    if ((rc = parse_days(days, sub, &out->mask, err)))
        return rc;
    (void)gm_json_path_key(sub, sizeof sub, where, "from");
    if ((rc = parse_hms(from, sub, &out->from, err)))
        return rc;
    (void)gm_json_path_key(sub, sizeof sub, where, "to");
    if ((rc = parse_hms(to, sub, &out->to, err)))
        return rc;
    if (out->from >= out->to)
        return gm_err_set(err, GM_EINVAL, where, "from %s is not before to %s", from, to);
    out->w = rate;
    return 0;
}

/* ---- normalisation ---------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void push_seg(gm_cal *c, double start, double end, double w)
{
    if (w <= 0.0)
        return;
    if (c->n > 0) {
        seg *p = &c->segs[c->n - 1];
        if (p->end == start && p->w == w) {
            p->end = end;
            return;
        }
    }
    c->segs[c->n++] = (seg){.start = start, .end = end, .w = w};
}

/*
 * Cut each day at every from/to of the entries that list it; each piece
 * between two cuts has one weight. A rate piece's weight is the sum of the
 * covering entries' rates added in entry order, so two pieces covered by the
 * same entries get bit-identical weights and merge, and a piece covered by
 * one entry has exactly its rate (no running sum that could leave rounding
 * residue after an entry ends). Windows never cross midnight, so the work is
 * O(days x cuts x entries) with at most 1000 entries per day.
 */
static void build_segments(gm_cal *c, const entry *es, size_t ne, bool with_rate, int *cuts)
{
    for (int d = 0; d < 7; d++) {
        size_t nc = 0;
        for (size_t i = 0; i < ne; i++)
            if (es[i].mask & (1u << d)) {
                cuts[nc++] = es[i].from;
                cuts[nc++] = es[i].to;
            }
        if (nc == 0)
            continue;
        qsort(cuts, nc, sizeof *cuts, cmp_int);
        size_t nu = 1;
        for (size_t i = 1; i < nc; i++)
            if (cuts[i] != cuts[nu - 1])
                cuts[nu++] = cuts[i];
        double base = (double)d * DAY_SECONDS;
        for (size_t j = 0; j + 1 < nu; j++) {
            double w = 0.0;
            for (size_t i = 0; i < ne; i++) {
                const entry *e = &es[i];
                if ((e->mask & (1u << d)) && e->from <= cuts[j] && cuts[j + 1] <= e->to) {
                    if (!with_rate) {
                        w = 1.0;
                        break;
                    }
                    w += e->w;
                }
            }
            push_seg(c, base + cuts[j], base + cuts[j + 1], w);
        }
    }
}

static void finish(gm_cal *c)
{
    double cum = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        c->segs[i].cum = cum;
        cum += c->segs[i].w * (c->segs[i].end - c->segs[i].start);
        c->segs[i].cend = cum; /* bit-identical to the next piece's cum */
    }
    c->total = cum;
    if (c->n == 0)
        return;
    /* The stretch that starts at Monday 00:00, if any, continues every stretch
       that reaches Sunday 24:00. */
    double head_end = 0.0;
    if (c->segs[0].start == 0.0) {
        size_t j = 0;
        while (j + 1 < c->n && c->segs[j].end == c->segs[j + 1].start)
            j++;
        head_end = c->segs[j].end;
        c->always = j + 1 == c->n && head_end == WEEK;
    }
    if (c->always && c->n == 1)
        c->flat_w = c->segs[0].w;
    size_t last = c->n - 1;
    c->segs[last].run_end =
        c->segs[last].end == WEEK && c->segs[0].start == 0.0 ? WEEK + head_end : c->segs[last].end;
    for (size_t i = last; i-- > 0;)
        c->segs[i].run_end =
            c->segs[i].end == c->segs[i + 1].start ? c->segs[i + 1].run_end : c->segs[i].end;
}

int gm_cal_from_json(const json_t *arr, const char *path, bool with_rate, gm_cal **out,
                     gm_err *err)
{
    entry *es = NULL;
    int *cuts = NULL;
    gm_cal *c = NULL;
    int rc;
    if (!out || !arr) {
        rc = gm_err_set(err, GM_EINVAL, path, "no calendar array given");
        goto fail;
    }
    if (!json_is_array(arr)) {
        rc = gm_err_set(err, GM_EINVAL, path, "expected array of calendar entries, got %s",
                        gm_json_type_name(arr));
        goto fail;
    }
    size_t ne = json_array_size(arr);
    if (ne > GM_CAL_MAX_ENTRIES) {
        rc = gm_err_set(err, GM_ELIMIT, path, "too many calendar entries: %zu; at most %u", ne,
                        GM_CAL_MAX_ENTRIES);
        goto fail;
    }
    /* ne <= 1000 keeps every product below small bounds, but check anyway. */
    size_t es_bytes, ncuts, cuts_bytes, nsegs, seg_bytes;
    if (gm_size_mul(ne, sizeof *es, &es_bytes) || gm_size_mul(ne, 2, &ncuts) ||
        gm_size_mul(ncuts, sizeof *cuts, &cuts_bytes) || gm_size_mul(ncuts, 7, &nsegs) ||
        gm_size_mul(nsegs, sizeof(seg), &seg_bytes)) {
        rc = gm_err_set(err, GM_ELIMIT, path, "calendar too large");
        goto fail;
    }
    c = calloc(1, sizeof *c);
    es = malloc(es_bytes ? es_bytes : 1);
    cuts = malloc(cuts_bytes ? cuts_bytes : 1);
    /* At most 2 * ne - 1 pieces per day. */
    if (c)
        c->segs = malloc(seg_bytes ? seg_bytes : 1);
    if (!c || !es || !cuts || !c->segs) {
        rc = gm_err_set(err, GM_ENOMEM, path, "out of memory reading a calendar");
        goto fail;
    }
    c->unit = 60.0;
    c->week0 = 0.0;
    for (size_t i = 0; i < ne; i++) {
        char where[GM_ERR_WHERE_MAX];
        (void)gm_json_path_index(where, sizeof where, path, i);
        if ((rc = parse_entry(json_array_get(arr, i), where, with_rate, &es[i], err)))
            goto fail;
    }
    build_segments(c, es, ne, with_rate, cuts);
    finish(c);
    if (c->n > 0 && c->n < nsegs) { /* give back the worst-case reserve */
        seg *fit = realloc(c->segs, c->n * sizeof *fit);
        if (fit)
            c->segs = fit;
    }
    free(es);
    free(cuts);
    *out = c;
    return 0;
fail:
    free(es);
    free(cuts);
    gm_cal_free(c);
    return rc;
}

void gm_cal_free(gm_cal *c)
{
    if (!c)
        return;
    free(c->segs);
    free(c);
}

int gm_cal_bind(gm_cal *c, double unit_seconds, double week0_seconds)
{
    if (!c || !isfinite(unit_seconds) || !(unit_seconds > 0.0) || !isfinite(week0_seconds))
        return GM_EINVAL;
    double w0 = fmod(week0_seconds, WEEK); /* exact */
    if (w0 < 0.0)
        w0 += WEEK;
    if (w0 >= WEEK) /* a tiny negative w0 rounds up to WEEK */
        w0 = 0.0;
    c->unit = unit_seconds;
    c->week0 = w0;
    return 0;
}

double gm_cal_week_position(int64_t utc_ns, int offset_min)
{
    /* Floor division keeps instants before 1970 on the right day. */
    int64_t sec = utc_ns / 1000000000;
    int64_t ns = utc_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec -= 1;
    }
    /* 1970-01-01 was a Thursday, 3 days after Monday 00:00. The sums cannot
       overflow: |sec| < 9.3e9 and |offset_min * 60| < 1.3e11. */
    int64_t local = sec + (int64_t)offset_min * 60 + 3 * DAY_SECONDS;
    int64_t w = local % 604800;
    if (w < 0)
        w += 604800;
    return (double)w + (double)ns * 1e-9;
}

/* ---- queries ---------------------------------------------------------- */

/*
 * Split the position of t into a week index k (a whole number, kept as a
 * double so nothing can overflow) and the seconds within that week. p - k *
 * WEEK is exact (k * WEEK is an exact integer below 2^53 and close to p), so
 * the split agrees with p itself and is monotone in t: a later t never maps
 * to an earlier (k, within).
 */
static inline double position(const gm_cal *c, double t)
{
    return c->week0 + t * c->unit;
}

static inline void split(double p, double *k, double *within)
{
    /* The reciprocal may put q one week off; the correction below fixes
       that, and a multiplication is much cheaper than a division. */
    double q = floor(p * (1.0 / WEEK));
    double r = p - q * WEEK;
    if (r < 0.0) {
        q -= 1.0;
        r += WEEK;
    } else if (r >= WEEK) {
        q += 1.0;
        r -= WEEK;
    }
    if (!(r >= 0.0 && r < WEEK)) /* only beyond 2^53 s, where seconds are not exact */
        r = 0.0;
    *k = q;
    *within = r;
}

/* Index of the last piece starting at or before x, or -1. */
static inline ptrdiff_t find(const gm_cal *c, double x)
{
    size_t lo = 0, hi = c->n; /* answer + 1 lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->segs[mid].start <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

/*
 * The time whose position is the week-k boundary b (seconds from that
 * week's Monday), rounded so that position(result) >= the boundary: the
 * queries then agree with gm_cal_weight at their own results. The division
 * is exact whenever the boundary is representable in time units, and the
 * nudge loop then never runs.
 */
static double time_at_or_after(const gm_cal *c, double k, double b)
{
    double target = k * WEEK + b;
    double t = (target - c->week0) / c->unit;
    for (int i = 0; i < 64 && position(c, t) < target; i++)
        t = nextafter(t, HUGE_VAL);
    return t;
}

double gm_cal_weight(const gm_cal *c, double t)
{
    if (c->flat_w > 0.0)
        return isfinite(t) ? c->flat_w : 0.0;
    if (!isfinite(t) || c->n == 0)
        return 0.0;
    double k, x;
    split(position(c, t), &k, &x);
    ptrdiff_t i = find(c, x);
    return i >= 0 && x < c->segs[i].end ? c->segs[i].w : 0.0;
}

double gm_cal_next_on(const gm_cal *c, double t)
{
    if (c->always || !isfinite(t))
        return t;
    if (c->n == 0)
        return HUGE_VAL;
    double k, x;
    split(position(c, t), &k, &x);
    ptrdiff_t i = find(c, x);
    if (i >= 0 && x < c->segs[i].end)
        return t;
    size_t j = (size_t)(i + 1);
    if (j == c->n) {
        j = 0;
        k += 1.0;
    }
    double r = time_at_or_after(c, k, c->segs[j].start);
    return r > t ? r : t;
}

double gm_cal_on_until(const gm_cal *c, double t)
{
    if (!isfinite(t) || c->n == 0)
        return t;
    if (c->always)
        return HUGE_VAL;
    double k, x;
    split(position(c, t), &k, &x);
    ptrdiff_t i = find(c, x);
    if (i < 0 || x >= c->segs[i].end)
        return t;
    double r = time_at_or_after(c, k, c->segs[i].run_end);
    return r > t ? r : t;
}

/* Smallest x in [0, WEEK] with (integral of w from Monday 00:00 to x) == r,
   for 0 < r <= total. */
static inline double pos_of_cum(const gm_cal *c, double r)
{
    size_t lo = 0, hi = c->n - 1; /* first piece whose end cumulates to >= r */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->segs[mid].cend >= r)
            hi = mid;
        else
            lo = mid + 1;
    }
    const seg *s = &c->segs[lo];
    if (r >= s->cend)
        return s->end; /* exactly on the boundary, not an ulp off it */
    double x = s->start + (r - s->cum) / s->w;
    if (x > s->end)
        x = s->end;
    if (x < s->start)
        x = s->start;
    return x;
}

double gm_cal_advance(const gm_cal *c, double t, double amount)
{
    if (!(amount > 0.0) || !isfinite(t))
        return t;
    if (c->flat_w > 0.0) {
        double r = t + amount / c->flat_w;
        return r > t ? r : t;
    }
    if (c->total <= 0.0)
        return HUGE_VAL;
    double k, x, C;
    split(position(c, t), &k, &x);
    ptrdiff_t i = find(c, x);
    bool in_gap = i < 0 || x >= c->segs[i].end;
    if (!in_gap) {
        C = c->segs[i].cum + c->segs[i].w * (x - c->segs[i].start);
    } else {
        /* Count from the start of the next window: every t in one gap then
           gives the same result, also across the end of the week. */
        size_t j = (size_t)(i + 1);
        if (j == c->n) {
            j = 0;
            k += 1.0;
        }
        x = c->segs[j].start;
        C = c->segs[j].cum;
    }
    double target = C + amount * c->unit;
    if (!isfinite(target))
        return HUGE_VAL;
    if (!(target > C)) /* the amount vanished in rounding against C */
        return in_gap ? fmax(t, time_at_or_after(c, k, x)) : t;
    /*
     * Whole weeks by division. The quotient can round up to an integer q
     * while target < q * total (never down: target >= q * total implies
     * target / total >= q, as q is representable); fma gives the exact sign
     * of target - q * total, so q becomes the exact floor and the result is
     * monotone in amount. A target that is an exact multiple of the total is
     * reached at the end of the last window of the week before, not at the
     * start of the next one.
     */
    double q = floor(target / c->total);
    double r = fma(-q, c->total, target);
    if (r < 0.0) {
        q -= 1.0;
        r = fma(-q, c->total, target);
    }
    if (r <= 0.0) {
        q -= 1.0; /* q >= 1 here, as target > 0 */
        r = c->total;
    }
    if (r > c->total)
        r = c->total;
    double res = ((k + q) * WEEK + pos_of_cum(c, r) - c->week0) / c->unit;
    return res > t ? res : t;
}

double gm_cal_week_total(const gm_cal *c)
{
    return c->total / c->unit;
}

bool gm_cal_always(const gm_cal *c)
{
    return c->always;
}

/* ---- building from windows ---------------------------------------------- */

#define WEEK_INT 604800

int gm_cal_windows_add(gm_cal_windows *w, int64_t from, int64_t to)
{
    if (to <= from)
        return 0; /* an empty window */
    if (to - from > WEEK_INT)
        return GM_EINVAL;
    if (w->n >= GM_CAL_MAX_ENTRIES)
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
    int64_t a = ((from % WEEK_INT) + WEEK_INT) % WEEK_INT;
    w->iv[2 * w->n] = a;
    w->iv[2 * w->n + 1] = a + (to - from);
    w->n++;
    return 0;
}

void gm_cal_windows_free(gm_cal_windows *w)
{
    free(w->iv);
    w->iv = NULL;
    w->n = w->cap = 0;
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
    char d[16], f[16], t[16];
    if (first == last)
        snprintf(d, sizeof d, "%s", day_names[first]);
    else
        snprintf(d, sizeof d, "%s-%s", day_names[first], day_names[last]);
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

json_t *gm_cal_windows_json(const gm_cal_windows *w)
{
    json_t *arr = json_array();
    gm_vec pieces = GM_VEC_INIT(piece);
    if (!arr)
        return NULL;
    for (size_t i = 0; i < w->n; i++) {
        int64_t t = w->iv[2 * i], b = w->iv[2 * i + 1];
        while (t < b) {
            int64_t d = t / DAY_SECONDS;
            int64_t end = (d + 1) * DAY_SECONDS < b ? (d + 1) * DAY_SECONDS : b;
            piece p = {t - d * DAY_SECONDS, end - d * DAY_SECONDS, 1u << (d % 7), pieces.len};
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
