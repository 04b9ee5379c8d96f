#include "model/schema.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"

/*
 * Decisions the DTDL text leaves open (it says only "ISO 8601, per RFC 3339"):
 *
 *   date      exactly YYYY-MM-DD, years 0000..9999 (RFC 3339 date-fullyear),
 *             the day must exist in that month of the proleptic Gregorian
 *             calendar.
 *   time      hh:mm:ss with an optional '.' and one or more fraction digits.
 *             No UTC offset and no 'Z' (RFC 3339 partial-time has none; a
 *             time with an offset is a different thing and is refused with a
 *             message saying so). Second 60 is refused: without a date a leap
 *             second cannot be checked, and gemel has no leap seconds.
 *   dateTime  what gm_time_parse_rfc3339 accepts, offset required. A
 *             well-formed value outside gemel's instant range (1677..2262),
 *             such as the common sentinel 0001-01-01T00:00:00Z, conforms: the
 *             check is about the schema, not about converting to nanoseconds.
 *             A leap second (:60) is refused, as base/time refuses it.
 *   duration  P[nY][nM][nW][nD][T[nH][nM][nS]]: designators upper case, in
 *             that order, each at most once, at least one component, a 'T'
 *             followed by at least one time component. A decimal fraction
 *             ('.' and at least one digit; no ',') is allowed on the last
 *             component only, whichever it is ("PT1.5H", "P0.5D", "PT0.5S"),
 *             as ISO 8601 allows on the lowest-order component. No sign, no
 *             alternative format (P0003-06-04T12:30:05).
 *   geometry  a GeoJSON (RFC 7946) geometry object: "type" exactly the
 *             GeoJSON name ("Point", "MultiPolygon", ...), "coordinates" of
 *             the right shape. A position is 2 or 3 numbers; their ranges are
 *             not checked (DTDL's own example writes latitude first). Point
 *             needs one position, LineString 2 or more, a linear ring 4 or
 *             more with the last equal to the first, Polygon at least one
 *             ring; MultiPoint, MultiLineString and MultiPolygon may be empty
 *             (RFC 7946 section 3.1). Optional "bbox": 4 or 6 numbers.
 *             Foreign members are allowed (section 6.1), except those section
 *             7.1 forbids on a geometry: geometries, geometry, properties,
 *             features. Ring orientation is not checked (section 3.1.6:
 *             parsers should not reject).
 *   null      conforms to no schema, including as an Object member: an
 *             optional field is left out, not set to null.
 *
 * Depth: each Array, Map or Object value is one level; a value that would
 * open level GM_SCHEMA_MAX_DEPTH + 1 is refused. Geometries are checked by
 * loops of fixed shape and count as leaves.
 *
 * Paths are built only when an error is reported: on the way down the
 * checker records each step (a key or an index) in a fixed array, so a
 * successful check does no string work at all. Everything that formats
 * text lives in noinline functions, so the frames of the recursion stay small.
 */

#define COLD __attribute__((noinline, cold))

/* Longest quote of a string value in a message, in bytes. */
#define SHOW_MAX 60
/* Budget for a list of enum values or object fields in a message. */
#define LIST_MAX 400

/* One step of the path below the caller's: an object key, or an array index
   when key is NULL. */
typedef struct step {
    const char *key;
    size_t index;
} step;

/* Containers give at most GM_SCHEMA_MAX_DEPTH steps; inside a geometry
   (a leaf) at most 5 more: "coordinates", three indices, a coordinate. */
#define MAX_STEPS (GM_SCHEMA_MAX_DEPTH + 8)

typedef struct checker {
    gm_err *err;
    const char *path;
    size_t nsteps;
    step steps[MAX_STEPS];
} checker;

static void push_key(checker *c, const char *key)
{
    c->steps[c->nsteps++] = (step){key, 0};
}

static void push_index(checker *c, size_t i)
{
    c->steps[c->nsteps++] = (step){NULL, i};
}

static void pop(checker *c)
{
    c->nsteps--;
}

/* Length of at most max bytes of s[0..len) that ends on a whole UTF-8
   character, so a shortened quote stays valid text. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The where of an error: the caller's path, then each recorded step. */
static void build_where(const checker *c, char *out, size_t n)
{
    const char *p = c->path ? c->path : "";
    size_t len = utf8_cut(p, strlen(p), n - 1);
    memcpy(out, p, len);
    out[len] = '\0';
    /* A path that no longer fits is kept as its longest prefix: still a
       useful pointer into the document. */
    for (size_t i = 0; i < c->nsteps; i++) {
        const step *s = &c->steps[i];
        int rc = s->key ? gm_json_path_key(out, n, out, s->key)
                        : gm_json_path_index(out, n, out, s->index);
        if (rc != GM_OK)
            break;
    }
}

static int fail(checker *c, const char *fmt, ...) COLD __attribute__((format(printf, 2, 3)));

static int fail(checker *c, const char *fmt, ...)
{
    if (!c->err)
        return GM_EINVAL;
    char where[GM_ERR_WHERE_MAX];
    build_where(c, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(c->err, GM_EINVAL, where, fmt, ap);
    va_end(ap);
    return GM_EINVAL;
}

/* s[0..len) quoted, shortened to SHOW_MAX bytes with "...". */
static void quote(char *buf, size_t n, const char *s, size_t len)
{
    size_t k = utf8_cut(s, len, SHOW_MAX);
    snprintf(buf, n, "'%.*s%s'", (int)k, s, k < len ? "..." : "");
}

/* Shortest text that reads back as d; integral reals keep a ".0" so that
   3.0 does not look like the integer 3. */
static void format_real(char *buf, size_t n, double d)
{
    if (!isfinite(d)) {
        snprintf(buf, n, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".en")) {
        size_t l = strlen(buf);
        if (l + 2 < n)
            memcpy(buf + l, ".0", 3);
    }
}

/* What was found, for "..., found X". */
static const char *describe(const json_t *v, char *buf, size_t n)
{
    if (!v)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: {
        char q[SHOW_MAX + 8];
        quote(q, sizeof q, json_string_value(v), json_string_length(v));
        snprintf(buf, n, "string %s", q);
        return buf;
    }
    case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); return buf;
    case JSON_REAL: format_real(buf, n, json_real_value(v)); return buf;
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "an unknown value";
}

/* "expected <what>, found <v>" */
static int COLD fail_found(checker *c, const char *what, const json_t *v)
{
    if (!c->err)
        return GM_EINVAL; /* nobody reads the words */
    char buf[SHOW_MAX + 32];
    return fail(c, "expected %s, found %s", what, describe(v, buf, sizeof buf));
}

/* "'<text>' is not a <kind>: <why>" for a string of the right type but the
   wrong content. */
static int COLD fail_content(checker *c, const json_t *v, const char *kind, const char *why)
{
    if (!c->err)
        return GM_EINVAL; /* nobody reads the words */
    char q[SHOW_MAX + 8];
    quote(q, sizeof q, json_string_value(v), json_string_length(v));
    return fail(c, "%s is not a %s: %s", q, kind, why);
}

static int COLD fail_schema(checker *c, const char *what)
{
    return fail(c, "invalid schema: %s", what);
}

/* ------------------------------------------------------------------------ */
/* Names                                                                     */

static const char *const kind_names[GM_SCHEMA_KIND_COUNT] = {
    [GM_SCHEMA_BOOLEAN] = "boolean",
    [GM_SCHEMA_DATE] = "date",
    [GM_SCHEMA_DATETIME] = "dateTime",
    [GM_SCHEMA_DOUBLE] = "double",
    [GM_SCHEMA_DURATION] = "duration",
    [GM_SCHEMA_FLOAT] = "float",
    [GM_SCHEMA_INTEGER] = "integer",
    [GM_SCHEMA_LONG] = "long",
    [GM_SCHEMA_STRING] = "string",
    [GM_SCHEMA_TIME] = "time",
    [GM_SCHEMA_POINT] = "point",
    [GM_SCHEMA_MULTIPOINT] = "multiPoint",
    [GM_SCHEMA_LINESTRING] = "lineString",
    [GM_SCHEMA_MULTILINESTRING] = "multiLineString",
    [GM_SCHEMA_POLYGON] = "polygon",
    [GM_SCHEMA_MULTIPOLYGON] = "multiPolygon",
    [GM_SCHEMA_ARRAY] = "Array",
    [GM_SCHEMA_ENUM] = "Enum",
    [GM_SCHEMA_MAP] = "Map",
    [GM_SCHEMA_OBJECT] = "Object",
};

const char *gm_schema_kind_name(gm_schema_kind k)
{
    if ((unsigned)k >= (unsigned)GM_SCHEMA_KIND_COUNT)
        return "?";
    return kind_names[k];
}

#define INSTANCE_PREFIX "dtmi:dtdl:instance:Schema:"
#define GEO_PREFIX "dtmi:standard:schema:geospatial:"

/* The kind in [lo, hi] whose term is exactly s[0..len), or -1. */
static int term_kind(const char *s, size_t len, int lo, int hi)
{
    for (int k = lo; k <= hi; k++)
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], s, len) == 0)
            return k;
    return -1;
}

/* "<prefix><term>;<version>" with a term of a kind in [lo, hi] and one of
   the versions listed in versions. */
static int dtmi_kind(const char *s, const char *prefix, int lo, int hi, const char *versions)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0)
        return -1;
    const char *term = s + pl;
    const char *semi = strchr(term, ';');
    if (!semi || semi[1] == '\0' || semi[2] != '\0' || !strchr(versions, semi[1]))
        return -1;
    return term_kind(term, (size_t)(semi - term), lo, hi);
}

int gm_schema_primitive(const char *s)
{
    if (!s)
        return -1;
    int k = term_kind(s, strlen(s), GM_SCHEMA_BOOLEAN, GM_SCHEMA_MULTIPOLYGON);
    if (k >= 0)
        return k;
    /* The ten instance schemas exist in DTDL v2 and v3; the geospatial
       schemas are resolved here in their v3 form only. */
    k = dtmi_kind(s, INSTANCE_PREFIX, GM_SCHEMA_BOOLEAN, GM_SCHEMA_TIME, "23");
    if (k >= 0)
        return k;
    return dtmi_kind(s, GEO_PREFIX, GM_SCHEMA_POINT, GM_SCHEMA_MULTIPOLYGON, "3");
}

/* ------------------------------------------------------------------------ */
/* Dates, times, durations                                                   */

/* The parsers return 0 or -1; on -1 they write why the text is wrong into
   why (when not NULL), in words that say what was expected. */

static int bad(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t n, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* count digits at s as a number; false if any is not a digit. */
static bool digits(const char *s, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static const char *const month_names[12] = {"January", "February", "March",     "April",
                                             "May",     "June",     "July",      "August",
                                             "September", "October", "November", "December"};

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_date(const char *s, size_t len, char *why, size_t n)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d))
        return bad(why, n, "expected YYYY-MM-DD (RFC 3339 full-date)");
    if (m < 1 || m > 12)
        return bad(why, n, "month %d out of range 1..12", m);
    if (d < 1)
        return bad(why, n, "day %d out of range 1..31", d);
    if (d > days_in_month(y, m))
        return bad(why, n, "day %d does not exist in %s %04d", d, month_names[m - 1], y);
    return 0;
}

static int parse_time(const char *s, size_t len, char *why, size_t n)
{
    int h, m, sec;
    if (len < 8 || s[2] != ':' || s[5] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m) ||
        !digits(s + 6, 2, &sec))
        return bad(why, n, "expected hh:mm:ss or hh:mm:ss.fraction (RFC 3339 partial-time)");
    if (h > 23)
        return bad(why, n, "hour %d out of range 0..23", h);
    if (m > 59)
        return bad(why, n, "minute %d out of range 0..59", m);
    if (sec == 60)
        return bad(why, n, "second 60 is a leap second; leap seconds are not supported");
    if (sec > 59)
        return bad(why, n, "second %d out of range 0..59", sec);
    size_t i = 8;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return bad(why, n, "expected a digit after '.'");
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i == len)
        return 0;
    if (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' || s[i] == '-')
        return bad(why, n,
                   "a time carries no UTC offset (RFC 3339 partial-time); use a dateTime for "
                   "a time with an offset");
    return bad(why, n, "unexpected characters after the time (expected hh:mm:ss[.fraction])");
}

static int parse_duration(const char *s, size_t len, char *why, size_t n)
{
    /* Ranks in order: Y M W D, then after 'T': H M S. */
    static const char date_des[] = "YMWD", time_des[] = "HMS";
    if (len == 0 || s[0] != 'P')
        return bad(why, n, "expected 'P' first (ISO 8601 duration such as P1DT2H)");
    bool in_time = false, any = false, any_time = false, had_fraction = false;
    int last_rank = -1;
    size_t i = 1;
    while (i < len) {
        if (s[i] == 'T') {
            if (in_time)
                return bad(why, n, "a second 'T'");
            if (had_fraction)
                return bad(why, n, "a fraction is allowed only on the last component");
            in_time = true;
            i++;
            continue;
        }
        if (!is_digit(s[i]))
            return bad(why, n, "expected a digit at character %zu", i + 1);
        while (i < len && is_digit(s[i]))
            i++;
        bool fraction = false;
        if (i < len && s[i] == '.') {
            i++;
            if (i >= len || !is_digit(s[i]))
                return bad(why, n, "expected a digit after '.'");
            while (i < len && is_digit(s[i]))
                i++;
            fraction = true;
        }
        if (i >= len)
            return bad(why, n, "a number at the end without a designator (%s)",
                       in_time ? "H, M or S" : "Y, M, W or D");
        const char *des = in_time ? time_des : date_des;
        const char *p = s[i] ? strchr(des, s[i]) : NULL;
        if (!p)
            return bad(why, n, "expected a designator (%s) at character %zu",
                       in_time ? "H, M or S after 'T'" : "Y, M, W or D, or 'T'", i + 1);
        int rank = (int)(p - des) + (in_time ? 4 : 0);
        if (rank <= last_rank)
            return bad(why, n, "'%c' out of order or repeated (expected the order %s)", s[i],
                       in_time ? "H, M, S" : "Y, M, W, D");
        if (had_fraction)
            return bad(why, n, "a fraction is allowed only on the last component");
        had_fraction = fraction;
        last_rank = rank;
        any = true;
        any_time = any_time || in_time;
        i++;
    }
    if (in_time && !any_time)
        return bad(why, n, "'T' must be followed by hours, minutes or seconds");
    if (!any)
        return bad(why, n, "no component (expected at least one, as in P1D or PT0S)");
    return 0;
}

/* base/time says what is wrong and at which character. */
static int COLD fail_datetime(checker *c, const json_t *v)
{
    if (!c->err)
        return GM_EINVAL; /* nobody reads the words */
    gm_err te;
    int64_t ns;
    gm_time_parse_rfc3339(json_string_value(v), json_string_length(v), &ns, NULL, &te);
    char q[SHOW_MAX + 8];
    quote(q, sizeof q, json_string_value(v), json_string_length(v));
    return fail(c, "%s is not a dateTime: %s (at %s)", q, te.what, te.where);
}

/* The string kinds: type check, then the content. */
static int check_text(checker *c, const gm_schema *s, const json_t *v)
{
    const char *kind = kind_names[s->kind];
    if (!json_is_string(v)) {
        switch (s->kind) {
        case GM_SCHEMA_DATE: return fail_found(c, "a date (a string YYYY-MM-DD)", v);
        case GM_SCHEMA_TIME: return fail_found(c, "a time (a string hh:mm:ss[.fraction])", v);
        case GM_SCHEMA_DATETIME:
            return fail_found(c, "a dateTime (an RFC 3339 string such as 2024-02-29T13:45:00Z)",
                              v);
        default:
            return fail_found(c, "a duration (an ISO 8601 string such as P1DT2H)", v);
        }
    }
    const char *str = json_string_value(v);
    size_t len = json_string_length(v);
    char why[200];
    char *w = c->err ? why : NULL;
    int rc;
    switch (s->kind) {
    case GM_SCHEMA_DATE: rc = parse_date(str, len, w, sizeof why); break;
    case GM_SCHEMA_TIME: rc = parse_time(str, len, w, sizeof why); break;
    case GM_SCHEMA_DURATION: rc = parse_duration(str, len, w, sizeof why); break;
    default: {
        int64_t ns;
        rc = gm_time_parse_rfc3339(str, len, &ns, NULL, NULL);
        if (rc == GM_ERANGE)
            return GM_OK; /* well-formed; see the top of this file */
        return rc == GM_OK ? GM_OK : fail_datetime(c, v);
    }
    }
    if (rc == 0)
        return GM_OK;
    return fail_content(c, v, kind, why);
}

/* ------------------------------------------------------------------------ */
/* Geospatial                                                                */

static const char *const geo_types[] = {
    [GM_SCHEMA_POINT - GM_SCHEMA_POINT] = "Point",
    [GM_SCHEMA_MULTIPOINT - GM_SCHEMA_POINT] = "MultiPoint",
    [GM_SCHEMA_LINESTRING - GM_SCHEMA_POINT] = "LineString",
    [GM_SCHEMA_MULTILINESTRING - GM_SCHEMA_POINT] = "MultiLineString",
    [GM_SCHEMA_POLYGON - GM_SCHEMA_POINT] = "Polygon",
    [GM_SCHEMA_MULTIPOLYGON - GM_SCHEMA_POINT] = "MultiPolygon",
};

static bool is_finite_number(const json_t *v)
{
    return json_is_integer(v) || (json_is_real(v) && isfinite(json_real_value(v)));
}

static int check_position(checker *c, const json_t *v)
{
    static const char *const names[3] = {"longitude", "latitude", "altitude"};
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n < 2 || n > 3) {
        if (!json_is_array(v))
            return fail_found(c, "a position (an array of 2 or 3 numbers)", v);
        return fail(c,
                    "expected a position (an array of 2 or 3 numbers: longitude, latitude and "
                    "optionally altitude), found an array of %zu",
                    n);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        if (!is_finite_number(x)) {
            push_index(c, i);
            char what[40];
            snprintf(what, sizeof what, "a number (%s)", names[i]);
            return fail_found(c, what, x);
        }
    }
    return GM_OK;
}

static bool same_number(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

static bool same_position(const json_t *a, const json_t *b)
{
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!same_number(json_array_get(a, i), json_array_get(b, i)))
            return false;
    return true;
}

/* An array of at least min positions; what names it in messages. A linear
   ring is also closed. */
static int check_positions(checker *c, const json_t *v, size_t min, bool ring, const char *what)
{
    if (!json_is_array(v)) {
        char exp[80];
        snprintf(exp, sizeof exp, "%s (an array of positions)", what);
        return fail_found(c, exp, v);
    }
    /* Positions first: a wrong position says more than a wrong count. */
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        push_index(c, i);
        int rc = check_position(c, json_array_get(v, i));
        if (rc)
            return rc;
        pop(c);
    }
    if (n < min)
        return fail(c, "%s needs at least %zu positions, found %zu", what, min, n);
    if (ring && !same_position(json_array_get(v, 0), json_array_get(v, n - 1)))
        return fail(c, "a linear ring must be closed: its last position must equal its first");
    return GM_OK;
}

/* Polygon coordinates: one or more linear rings. */
static int check_rings(checker *c, const json_t *v)
{
    if (!json_is_array(v))
        return fail_found(c, "polygon coordinates (an array of linear rings)", v);
    size_t n = json_array_size(v);
    if (n == 0)
        return fail(c, "a polygon needs at least one linear ring (its exterior), found none");
    for (size_t i = 0; i < n; i++) {
        push_index(c, i);
        int rc = check_positions(c, json_array_get(v, i), 4, true, "a linear ring");
        if (rc)
            return rc;
        pop(c);
    }
    return GM_OK;
}

static int check_coordinates(checker *c, gm_schema_kind k, const json_t *v)
{
    switch (k) {
    case GM_SCHEMA_POINT: return check_position(c, v);
    case GM_SCHEMA_MULTIPOINT: return check_positions(c, v, 0, false, "a MultiPoint");
    case GM_SCHEMA_LINESTRING: return check_positions(c, v, 2, false, "a LineString");
    case GM_SCHEMA_POLYGON: return check_rings(c, v);
    default: break;
    }
    bool lines = k == GM_SCHEMA_MULTILINESTRING;
    if (!json_is_array(v))
        return fail_found(c,
                          lines ? "MultiLineString coordinates (an array of LineString "
                                  "coordinate arrays)"
                                : "MultiPolygon coordinates (an array of Polygon coordinate "
                                  "arrays)",
                          v);
    for (size_t i = 0; i < json_array_size(v); i++) {
        push_index(c, i);
        const json_t *x = json_array_get(v, i);
        int rc = lines ? check_positions(c, x, 2, false, "a LineString") : check_rings(c, x);
        if (rc)
            return rc;
        pop(c);
    }
    return GM_OK;
}

static int check_bbox(checker *c, const json_t *v)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || (n != 4 && n != 6))
        return fail_found(c, "a bounding box (an array of 4 or 6 numbers)", v);
    for (size_t i = 0; i < n; i++) {
        if (!is_finite_number(json_array_get(v, i))) {
            push_index(c, i);
            return fail_found(c, "a number", json_array_get(v, i));
        }
    }
    return GM_OK;
}

static int check_geo(checker *c, const gm_schema *s, const json_t *v)
{
    const char *type = geo_types[s->kind - GM_SCHEMA_POINT];
    if (!json_is_object(v)) {
        char exp[48];
        snprintf(exp, sizeof exp, "a GeoJSON %s object", type);
        return fail_found(c, exp, v);
    }
    static const char *const forbidden[] = {"geometries", "geometry", "properties", "features"};
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        if (json_object_get(v, forbidden[i])) {
            push_key(c, forbidden[i]);
            return fail(c, "member '%s' is not allowed in a GeoJSON %s (RFC 7946 section 7.1)",
                        forbidden[i], type);
        }
    }
    const json_t *t = json_object_get(v, "type");
    if (!t)
        return fail(c, "missing member 'type' (expected \"%s\")", type);
    if (!json_is_string(t) || strcmp(json_string_value(t), type) != 0) {
        push_key(c, "type");
        char exp[48];
        snprintf(exp, sizeof exp, "\"%s\"", type);
        return fail_found(c, exp, t);
    }
    const json_t *coords = json_object_get(v, "coordinates");
    if (!coords)
        return fail(c, "missing member 'coordinates' of a GeoJSON %s", type);
    push_key(c, "coordinates");
    int rc = check_coordinates(c, s->kind, coords);
    if (rc)
        return rc;
    pop(c);
    const json_t *bbox = json_object_get(v, "bbox");
    if (bbox) {
        push_key(c, "bbox");
        if ((rc = check_bbox(c, bbox)))
            return rc;
        pop(c);
    }
    return GM_OK;
}

/* ------------------------------------------------------------------------ */
/* Enum, Object messages                                                     */

/* Append item to a list in buf (len used so far) if it fits within LIST_MAX
   with room for the closing note; false when it did not. */
static bool list_add(char *buf, size_t *len, const char *item)
{
    const char *sep = *len ? ", " : "";
    size_t need = strlen(sep) + strlen(item);
    if (*len + need + 24 > LIST_MAX)
        return false;
    snprintf(buf + *len, LIST_MAX - *len, "%s%s", sep, item);
    *len += need;
    return true;
}

static void list_end(char *buf, size_t len, size_t left)
{
    if (left)
        snprintf(buf + len, LIST_MAX - len, "%s... (%zu more)", len ? ", " : "", left);
}

static void enum_list(const gm_schema *s, char *buf)
{
    size_t len = 0, i;
    buf[0] = '\0';
    for (i = 0; i < s->n; i++) {
        const gm_schema_enum_value *ev = &s->values[i];
        char item[SHOW_MAX + 8];
        if (s->enum_strings) {
            const char *str = ev->str ? ev->str : "";
            size_t l = strlen(str), k = utf8_cut(str, l, SHOW_MAX);
            snprintf(item, sizeof item, "%.*s%s", (int)k, str, k < l ? "..." : "");
        } else {
            snprintf(item, sizeof item, "%lld", ev->num);
        }
        if (!list_add(buf, &len, item))
            break;
    }
    list_end(buf, len, s->n - i);
}

static int COLD fail_enum(checker *c, const gm_schema *s, const json_t *v)
{
    if (!c->err)
        return GM_EINVAL; /* nobody reads the words */
    char list[LIST_MAX + 16];
    if (s->n) {
        memcpy(list, "one of: ", 9);
        enum_list(s, list + 8);
    } else {
        snprintf(list, sizeof list, "the enum has no values");
    }
    if (s->enum_strings ? !json_is_string(v) : !json_is_integer(v)) {
        char buf[SHOW_MAX + 32];
        if (s->unit_type)
            return fail(c, "expected a unit of %s (a string, %s), found %s", s->unit_type, list,
                        describe(v, buf, sizeof buf));
        return fail(c, "expected %s value of the enum (%s), found %s",
                    s->enum_strings ? "a string" : "an integer", list,
                    describe(v, buf, sizeof buf));
    }
    char shown[SHOW_MAX + 32];
    if (s->enum_strings)
        quote(shown, sizeof shown, json_string_value(v), json_string_length(v));
    else
        snprintf(shown, sizeof shown, "%lld", (long long)json_integer_value(v));
    if (!s->n)
        return fail(c, "%s is not a value of the enum (%s)", shown, list);
    if (s->unit_type)
        return fail(c, "%s is not a unit of %s (expected %s)", shown, s->unit_type, list);
    return fail(c, "%s is not a value of the enum (expected %s)", shown, list);
}

static int check_enum(checker *c, const gm_schema *s, const json_t *v)
{
    if (s->n && !s->values)
        return fail_schema(c, "Enum with values but no value table");
    if (s->enum_strings && json_is_string(v)) {
        const char *str = json_string_value(v);
        size_t len = json_string_length(v);
        for (size_t i = 0; i < s->n; i++) {
            const char *e = s->values[i].str;
            if (e && strlen(e) == len && memcmp(e, str, len) == 0)
                return GM_OK;
        }
    } else if (!s->enum_strings && json_is_integer(v)) {
        long long x = (long long)json_integer_value(v);
        for (size_t i = 0; i < s->n; i++)
            if (s->values[i].num == x)
                return GM_OK;
    }
    return fail_enum(c, s, v);
}

/* The unknown member's step is already pushed. */
static int COLD fail_member(checker *c, const gm_schema *s, const char *key)
{
    if (!c->err)
        return GM_EINVAL; /* nobody reads the words */
    char list[LIST_MAX];
    size_t len = 0, i;
    list[0] = '\0';
    for (i = 0; i < s->n; i++) {
        const char *name = s->fields[i].name;
        if (!name)
            continue;
        char item[SHOW_MAX + 8];
        size_t l = strlen(name), k = utf8_cut(name, l, SHOW_MAX);
        snprintf(item, sizeof item, "%.*s%s", (int)k, name, k < l ? "..." : "");
        if (!list_add(list, &len, item))
            break;
    }
    list_end(list, len, s->n - i);
    char q[SHOW_MAX + 8];
    quote(q, sizeof q, key, strlen(key));
    if (!len && i == s->n)
        return fail(c, "%s is not a field of the object (the object has no fields)", q);
    return fail(c, "%s is not a field of the object (fields: %s)", q, list);
}

static int COLD fail_depth(checker *c)
{
    return fail(c, "value nested deeper than %d levels of arrays and objects",
                GM_SCHEMA_MAX_DEPTH);
}

/* ------------------------------------------------------------------------ */
/* The walk                                                                  */

/* Every kind without children. noinline: its buffers stay out of the
   recursion's frames. */
static int __attribute__((noinline)) check_leaf(checker *c, const gm_schema *s, const json_t *v)
{
    switch (s->kind) {
    case GM_SCHEMA_BOOLEAN:
        return json_is_boolean(v) ? GM_OK : fail_found(c, "a boolean", v);
    case GM_SCHEMA_INTEGER:
        if (json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
            json_integer_value(v) <= INT32_MAX)
            return GM_OK;
        return fail_found(c, "an integer in [-2147483648, 2147483647]", v);
    case GM_SCHEMA_LONG:
        /* json_int_t is long long: every JSON integer jansson holds fits. */
        if (json_is_integer(v))
            return GM_OK;
        return fail_found(c, "a long (an integer in [-9223372036854775808, 9223372036854775807])",
                          v);
    case GM_SCHEMA_DOUBLE:
        if (is_finite_number(v))
            return GM_OK;
        return fail_found(c, "a double (a finite number)", v);
    case GM_SCHEMA_FLOAT:
        /* Every int64 is far below FLT_MAX. */
        if (json_is_integer(v) || (json_is_real(v) && fabs(json_real_value(v)) <= (double)FLT_MAX))
            return GM_OK;
        return fail_found(c, "a float (a number of magnitude at most 3.40282347e+38)", v);
    case GM_SCHEMA_STRING:
        return json_is_string(v) ? GM_OK : fail_found(c, "a string", v);
    case GM_SCHEMA_DATE:
    case GM_SCHEMA_TIME:
    case GM_SCHEMA_DATETIME:
    case GM_SCHEMA_DURATION:
        return check_text(c, s, v);
    case GM_SCHEMA_POINT:
    case GM_SCHEMA_MULTIPOINT:
    case GM_SCHEMA_LINESTRING:
    case GM_SCHEMA_MULTILINESTRING:
    case GM_SCHEMA_POLYGON:
    case GM_SCHEMA_MULTIPOLYGON:
        return check_geo(c, s, v);
    case GM_SCHEMA_ENUM:
        return check_enum(c, s, v);
    default: {
        char what[48];
        snprintf(what, sizeof what, "unknown kind %d", (int)s->kind);
        return fail_schema(c, what);
    }
    }
}

static const gm_schema_field *find_field(const gm_schema *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->fields[i].name && strcmp(s->fields[i].name, key) == 0)
            return &s->fields[i];
    return NULL;
}

/* depth: how many arrays and objects enclose v. */
static int check_value(checker *c, const gm_schema *s, const json_t *v, int depth)
{
    int rc;
    const char *key;
    json_t *m;

    if (!s)
        return fail_schema(c, "no schema");
    switch (s->kind) {
    case GM_SCHEMA_ARRAY:
        if (!json_is_array(v))
            return fail_found(c, "an array", v);
        if (depth >= GM_SCHEMA_MAX_DEPTH)
            return fail_depth(c);
        if (!s->element)
            return fail_schema(c, "Array without an element schema");
        for (size_t i = 0; i < json_array_size(v); i++) {
            push_index(c, i);
            if ((rc = check_value(c, s->element, json_array_get(v, i), depth + 1)))
                return rc;
            pop(c);
        }
        return GM_OK;

    case GM_SCHEMA_MAP:
        if (!json_is_object(v))
            return fail_found(c, "an object (a Map)", v);
        if (depth >= GM_SCHEMA_MAX_DEPTH)
            return fail_depth(c);
        if (!s->element)
            return fail_schema(c, "Map without a value schema");
        /* jansson's iteration wants a non-const object; nothing is changed. */
        json_object_foreach((json_t *)v, key, m) {
            push_key(c, key);
            if (key[0] == '\0')
                return fail(c, "a key of the map%s%s%s must be a non-empty string",
                            s->key_name ? " (" : "", s->key_name ? s->key_name : "",
                            s->key_name ? ")" : "");
            if ((rc = check_value(c, s->element, m, depth + 1)))
                return rc;
            pop(c);
        }
        return GM_OK;

    case GM_SCHEMA_OBJECT:
        if (!json_is_object(v))
            return fail_found(c, "an object", v);
        if (depth >= GM_SCHEMA_MAX_DEPTH)
            return fail_depth(c);
        if (s->n && !s->fields)
            return fail_schema(c, "Object with fields but no field table");
        json_object_foreach((json_t *)v, key, m) {
            push_key(c, key);
            const gm_schema_field *f = find_field(s, key);
            if (!f)
                return fail_member(c, s, key);
            if ((rc = check_value(c, f->schema, m, depth + 1)))
                return rc;
            pop(c);
        }
        return GM_OK;

    default:
        return check_leaf(c, s, v);
    }
}

int gm_schema_check(const gm_schema *s, const json_t *v, const char *path, gm_err *err)
{
    checker c;
    c.err = err;
    c.path = path;
    c.nsteps = 0;
    return check_value(&c, s, v, 0);
}
