#include "twin/patch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/err.h"
#include "base/json.h"
#include "base/map.h"
#include "base/vec.h"

/* Longest quoted key, value or pointer inside a message, in bytes; keeps every
   message well inside GM_ERR_WHAT_MAX and every location inside
   GM_ERR_WHERE_MAX, so gm_err never cuts a UTF-8 character in half. */
#define QUOTE_MAX 64
#define SHOW_MAX 120
#define WHERE_PTR_MAX 100

#define NIL SIZE_MAX

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes available), or
   0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/*
 * Copy s[0..n) into out (cap bytes, cap > 4) as valid UTF-8 of at most max
 * bytes plus "..." when cut. Bytes that are not UTF-8 (or NUL) become '?'.
 * Messages quote untrusted keys and pointers; this keeps them valid and
 * short.
 */
static void clip(char *out, size_t cap, const char *s, size_t n, size_t max)
{
    if (max > cap - 4)
        max = cap - 4;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t m = s[i] ? utf8_seq((const unsigned char *)s + i, n - i) : 0;
        size_t w = m ? m : 1;
        if (o + w > max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (m)
            memcpy(out + o, s + i, m);
        else
            out[o] = '?';
        o += w;
        i += w;
    }
    out[o] = '\0';
}

/* Tokens [0, n) of p written back as a pointer ("/a~1b/0"), or "the root"
   when n is 0, clipped to SHOW_MAX. */
static void show_prefix(char *out, size_t cap, const gm_pointer *p, size_t n)
{
    if (n == 0) {
        snprintf(out, cap, "the root");
        return;
    }
    /* Enough past SHOW_MAX that clip sees the cut and ends on a whole character. */
    char tmp[SHOW_MAX + 16];
    size_t o = 0;
    for (size_t t = 0; t < n && o < SHOW_MAX + 8; t++) {
        size_t len;
        const char *tok = gm_pointer_token(p, t, &len);
        tmp[o++] = '/';
        for (size_t i = 0; i < len && o < SHOW_MAX + 8; i++) {
            if (tok[i] == '~' || tok[i] == '/') {
                tmp[o++] = '~';
                tmp[o++] = tok[i] == '~' ? '0' : '1';
            } else {
                tmp[o++] = tok[i];
            }
        }
    }
    clip(out, cap, tmp, o, SHOW_MAX);
}

/* Token t of p, quoted for a message. */
static void show_token(char *out, size_t cap, const gm_pointer *p, size_t t)
{
    size_t len;
    const char *tok = gm_pointer_token(p, t, &len);
    clip(out, cap, tok, len, QUOTE_MAX);
}

typedef struct dump_sink {
    char buf[QUOTE_MAX + 16];
    size_t len;
    bool cut;
} dump_sink;

/* json_dump_callback sink that stops the dump once the buffer is full, so a
   failed test on a large document costs a few bytes, not a full dump. */
static int dump_cb(const char *data, size_t n, void *arg)
{
    dump_sink *s = arg;
    size_t room = sizeof s->buf - 1 - s->len;
    if (n > room) {
        memcpy(s->buf + s->len, data, room);
        s->len += room;
        s->cut = true;
        return -1;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return 0;
}

/* A short one-line rendering of v for a message ("{\"a\":1,...}"). */
static void show_value(char *out, size_t cap, const json_t *v)
{
    dump_sink s = {.len = 0, .cut = false};
    if (json_dump_callback(v, dump_cb, &s, JSON_COMPACT | JSON_ENCODE_ANY) != 0 && !s.cut)
        s.len = 0;
    /* A cut dump is longer than QUOTE_MAX, so clip marks it with "...". */
    clip(out, cap, s.buf, s.len, QUOTE_MAX);
}

static int nomem(char *msg)
{
    snprintf(msg, GM_ERR_WHAT_MAX, "out of memory");
    return GM_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer                                                              */

static int parse_pointer(const char *s, size_t n, gm_pointer *out, gm_err *err)
{
    out->depth = 0;
    out->buf[0] = '\0';
    if (n > GM_POINTER_MAX_LEN)
        return gm_err_set(err, GM_ELIMIT, "", "JSON pointer longer than %d bytes",
                          GM_POINTER_MAX_LEN);
    if (n == 0)
        return GM_OK;
    char q[QUOTE_MAX + 8];
    if (s[0] != '/') {
        clip(q, sizeof q, s, n, QUOTE_MAX);
        return gm_err_set(err, GM_EINVAL, "",
                          "invalid JSON pointer '%s': expected \"\" or a string starting with '/'",
                          q);
    }
    /* Unescaping never lengthens a token and each token's '/' pays for its
       NUL, so the tokens always fit in buf (n <= GM_POINTER_MAX_LEN). */
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (out->depth == GM_POINTER_MAX_DEPTH)
            return gm_err_set(err, GM_ELIMIT, "", "JSON pointer has more than %d tokens",
                              GM_POINTER_MAX_DEPTH);
        i++; /* the '/' */
        size_t start = o;
        while (i < n && s[i] != '/') {
            unsigned char c = (unsigned char)s[i];
            if (c == '~') {
                if (i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
                    out->buf[o++] = s[i + 1] == '0' ? '~' : '/';
                    i += 2;
                    continue;
                }
                clip(q, sizeof q, s, n, QUOTE_MAX);
                return gm_err_set(err, GM_EINVAL, "",
                                  "invalid JSON pointer '%s': '~' at byte %zu must be followed "
                                  "by '0' or '1'",
                                  q, i);
            }
            if (c == 0)
                return gm_err_set(err, GM_EINVAL, "",
                                  "invalid JSON pointer: NUL character at byte %zu", i);
            size_t m = utf8_seq((const unsigned char *)s + i, n - i);
            if (m == 0)
                return gm_err_set(err, GM_EINVAL, "",
                                  "invalid JSON pointer: invalid UTF-8 at byte %zu", i);
            memcpy(out->buf + o, s + i, m);
            o += m;
            i += m;
        }
        out->off[out->depth] = (uint16_t)start;
        out->len[out->depth] = (uint16_t)(o - start);
        out->buf[o++] = '\0';
        out->depth++;
    }
    return GM_OK;
}

int gm_pointer_parsen(const char *ptr, size_t len, gm_pointer *out, gm_err *err)
{
    if (!out || (!ptr && len))
        return gm_err_set(err, GM_EINVAL, "", "no JSON pointer given");
    return parse_pointer(ptr ? ptr : "", len, out, err);
}

int gm_pointer_parse(const char *ptr, gm_pointer *out, gm_err *err)
{
    if (!ptr || !out)
        return gm_err_set(err, GM_EINVAL, "", "no JSON pointer given");
    size_t n = strnlen(ptr, GM_POINTER_MAX_LEN + 1);
    return parse_pointer(ptr, n, out, err);
}

/*
 * Token t of p as an index into an array of size elements. add allows the
 * position just past the end (size itself, or "-"). 0 and *idx, or GM_ENOENT
 * (no such element) or GM_EINVAL (not an index) with msg filled.
 */
static int array_index(const gm_pointer *p, size_t t, size_t size, bool add, size_t *idx,
                       char *msg)
{
    size_t len;
    const char *tok = gm_pointer_token(p, t, &len);
    char at[SHOW_MAX + 8], q[QUOTE_MAX + 8];
    if (len == 1 && tok[0] == '-') {
        if (add) {
            *idx = size;
            return GM_OK;
        }
        show_prefix(at, sizeof at, p, t);
        snprintf(msg, GM_ERR_WHAT_MAX,
                 "'-' names the position past the end of array at %s (size %zu); it is only "
                 "valid as an add target",
                 at, size);
        return GM_ENOENT;
    }
    bool digits = len > 0;
    for (size_t i = 0; i < len; i++)
        if (tok[i] < '0' || tok[i] > '9')
            digits = false;
    if (!digits || (len > 1 && tok[0] == '0')) {
        show_prefix(at, sizeof at, p, t);
        show_token(q, sizeof q, p, t);
        if (digits)
            snprintf(msg, GM_ERR_WHAT_MAX,
                     "invalid array index '%s' for array at %s: leading zeros are not allowed",
                     q, at);
        else
            snprintf(msg, GM_ERR_WHAT_MAX,
                     "expected an array index (digits) or '-' for array at %s, found '%s'", at,
                     q);
        return GM_EINVAL;
    }
    size_t v = 0;
    bool big = false;
    for (size_t i = 0; i < len && !big; i++)
        if (gm_size_mul(v, 10, &v) != GM_OK || gm_size_add(v, (size_t)(tok[i] - '0'), &v) != GM_OK)
            big = true;
    if (big || v > size || (!add && v == size)) {
        show_prefix(at, sizeof at, p, t);
        show_token(q, sizeof q, p, t);
        if (add)
            snprintf(msg, GM_ERR_WHAT_MAX,
                     "index %s is out of range for array of size %zu at %s (add accepts 0 to "
                     "%zu, or '-')",
                     q, size, at, size);
        else
            snprintf(msg, GM_ERR_WHAT_MAX, "index %s is out of range for array of size %zu at %s",
                     q, size, at);
        return GM_ENOENT;
    }
    *idx = v;
    return GM_OK;
}

/* What to say when token t must step into cur, which is not a container. */
static int not_container(const gm_pointer *p, size_t t, const json_t *cur, const char *doing,
                         char *msg)
{
    char at[SHOW_MAX + 8], q[QUOTE_MAX + 8];
    show_prefix(at, sizeof at, p, t);
    show_token(q, sizeof q, p, t);
    snprintf(msg, GM_ERR_WHAT_MAX, "expected object or array at %s, found %s (%s '%s')", at,
             gm_json_type_name(cur), doing, q);
    return GM_EINVAL;
}

static int no_member(const gm_pointer *p, size_t t, char *msg)
{
    char at[SHOW_MAX + 8], q[QUOTE_MAX + 8];
    show_prefix(at, sizeof at, p, t);
    show_token(q, sizeof q, p, t);
    snprintf(msg, GM_ERR_WHAT_MAX, "no member '%s' in object at %s", q, at);
    return GM_ENOENT;
}

/* Follow tokens [0, n) of p from root. The value, or NULL with *rc and msg. */
static json_t *walk(const json_t *root, const gm_pointer *p, size_t n, int *rc, char *msg)
{
    json_t *cur = (json_t *)root;
    for (size_t t = 0; t < n; t++) {
        size_t len;
        const char *tok = gm_pointer_token(p, t, &len);
        if (json_is_object(cur)) {
            json_t *v = json_object_getn(cur, tok, len);
            if (!v) {
                *rc = no_member(p, t, msg);
                return NULL;
            }
            cur = v;
        } else if (json_is_array(cur)) {
            size_t i;
            int r = array_index(p, t, json_array_size(cur), false, &i, msg);
            if (r != GM_OK) {
                *rc = r;
                return NULL;
            }
            cur = json_array_get(cur, i);
        } else {
            *rc = not_container(p, t, cur, "looking up", msg);
            return NULL;
        }
    }
    return cur;
}

const json_t *gm_pointer_resolve(const json_t *doc, const gm_pointer *p, gm_err *err)
{
    if (!doc || !p) {
        gm_err_set(err, GM_EINVAL, "", "no document or pointer given");
        return NULL;
    }
    char msg[GM_ERR_WHAT_MAX];
    int rc = GM_OK;
    json_t *v = walk(doc, p, p->depth, &rc, msg);
    if (!v)
        gm_err_set(err, rc, "", "%s", msg);
    return v;
}

const json_t *gm_pointer_get(const json_t *doc, const char *ptr, gm_err *err)
{
    gm_pointer p;
    const json_t *v = NULL;
    if (gm_pointer_parse(ptr, &p, err) == GM_OK)
        v = gm_pointer_resolve(doc, &p, err);
    if (!v && err && ptr) {
        char w[WHERE_PTR_MAX + 8];
        clip(w, sizeof w, ptr, strlen(ptr), WHERE_PTR_MAX);
        gm_err_prefix(err, "%s", ptr[0] ? w : "\"\"");
    }
    return v;
}

/* ------------------------------------------------------------------------ */
/* Patch shape                                                               */

enum { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"add", "remove", "replace", "move", "copy", "test"};

typedef struct op_desc {
    int kind;
    const json_t *value;  /* add, replace, test: borrowed from the patch */
    const char *path_s;   /* raw pointers, borrowed, for messages */
    size_t path_n;
    const char *from_s;
    size_t from_n;
    gm_pointer path;
    gm_pointer from;
} op_desc;

/* Member name of operation o, a pointer string: borrowed into *s and *n and
   parsed into *p. Errors have no location; the caller adds it. */
static int op_pointer(const json_t *o, const char *name, gm_pointer *p, const char **s,
                      size_t *n, gm_err *err)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return gm_err_set(err, GM_EINVAL, NULL, "missing required member");
    if (!json_is_string(v))
        return gm_err_set(err, GM_EINVAL, NULL, "expected string, found %s",
                          gm_json_type_name(v));
    *s = json_string_value(v);
    *n = json_string_length(v);
    return parse_pointer(*s, *n, p, err);
}

/* Tokens [0, n) of a and b are equal (both have at least n). */
static bool same_tokens(const gm_pointer *a, const gm_pointer *b, size_t n)
{
    for (size_t t = 0; t < n; t++)
        if (a->len[t] != b->len[t] || memcmp(a->buf + a->off[t], b->buf + b->off[t], a->len[t]))
            return false;
    return true;
}

static bool is_proper_prefix(const gm_pointer *a, const gm_pointer *b)
{
    return a->depth < b->depth && same_tokens(a, b, a->depth);
}

static bool same_pointer(const gm_pointer *a, const gm_pointer *b)
{
    return a->depth == b->depth && same_tokens(a, b, a->depth);
}

/* Record an error about member of operation i ("[i]" when member is NULL).
   The location is formatted here, only on failure: parse_op runs twice per
   operation on the hot path. */
static int op_err(gm_err *err, int code, size_t i, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int op_err(gm_err *err, int code, size_t i, const char *member, const char *fmt, ...)
{
    if (!err)
        return code;
    char where[64];
    snprintf(where, sizeof where, "[%zu]%s%s", i, member ? "." : "", member ? member : "");
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

/* Check operation i (object o) and describe it in *d. Errors are located at
   "[i]" or "[i].member". */
static int parse_op(const json_t *o, size_t i, op_desc *d, gm_err *err)
{
    char q[QUOTE_MAX + 8];
    int rc;
    if (!json_is_object(o))
        return op_err(err, GM_EINVAL, i, NULL, "expected object, found %s", gm_json_type_name(o));
    const json_t *op = json_object_get(o, "op");
    if (!op)
        return op_err(err, GM_EINVAL, i, "op", "missing required member");
    if (!json_is_string(op))
        return op_err(err, GM_EINVAL, i, "op", "expected string, found %s", gm_json_type_name(op));
    const char *name = json_string_value(op);
    size_t nlen = json_string_length(op);
    d->kind = -1;
    for (int k = 0; k < OP_COUNT; k++)
        if (strlen(op_names[k]) == nlen && memcmp(op_names[k], name, nlen) == 0)
            d->kind = k;
    if (d->kind < 0) {
        clip(q, sizeof q, name, nlen, QUOTE_MAX);
        return op_err(err, GM_EINVAL, i, "op",
                      "expected one of add, remove, replace, move, copy, test, found '%s'", q);
    }

    rc = op_pointer(o, "path", &d->path, &d->path_s, &d->path_n, err);
    if (rc != GM_OK) {
        gm_err_prefix(err, "[%zu].path", i);
        return rc;
    }

    d->value = NULL;
    if (d->kind == OP_ADD || d->kind == OP_REPLACE || d->kind == OP_TEST) {
        d->value = json_object_get(o, "value");
        if (!d->value)
            return op_err(err, GM_EINVAL, i, "value", "missing required member for op '%s'",
                          op_names[d->kind]);
    }

    d->from_s = NULL;
    d->from_n = 0;
    if (d->kind == OP_MOVE || d->kind == OP_COPY) {
        rc = op_pointer(o, "from", &d->from, &d->from_s, &d->from_n, err);
        if (rc != GM_OK) {
            gm_err_prefix(err, "[%zu].from", i);
            return rc;
        }
        if (d->kind == OP_MOVE && is_proper_prefix(&d->from, &d->path)) {
            char f[QUOTE_MAX + 8], pth[QUOTE_MAX + 8];
            clip(f, sizeof f, d->from_s, d->from_n, QUOTE_MAX);
            clip(pth, sizeof pth, d->path_s, d->path_n, QUOTE_MAX);
            return op_err(err, GM_EINVAL, i, "from", "cannot move '%s' into its own child '%s'",
                          f, pth);
        }
    }
    return GM_OK;
}

static int check_array(const json_t *patch, gm_err *err)
{
    if (!json_is_array(patch))
        return gm_err_set(err, GM_EINVAL, "", "expected array of operations, found %s",
                          gm_json_type_name(patch));
    size_t n = json_array_size(patch);
    if (n > GM_PATCH_MAX_OPS)
        return gm_err_set(err, GM_ELIMIT, "", "patch has %zu operations, at most %d allowed", n,
                          GM_PATCH_MAX_OPS);
    return GM_OK;
}

int gm_patch_check(const json_t *patch, gm_err *err)
{
    int rc = check_array(patch, err);
    if (rc != GM_OK)
        return rc;
    op_desc d;
    for (size_t i = 0; i < json_array_size(patch); i++) {
        rc = parse_op(json_array_get(patch, i), i, &d, err);
        if (rc != GM_OK)
            return rc;
    }
    return GM_OK;
}

/* ------------------------------------------------------------------------ */
/* test: RFC 6902 equality                                                   */

/* Numeric equality of an integer and a real, exact (no rounding of i). */
static bool int_real_equal(json_int_t i, double d)
{
    /* [-2^63, 2^63) is exactly the doubles that convert to int64 without UB. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
    int64_t k = (int64_t)d;
    return (double)k == d && k == (int64_t)i;
}

/* 1 when a equals b, 0 when not, GM_ELIMIT when nested too deep to tell. */
static int values_equal(const json_t *a, const json_t *b, int depth)
{
    if (depth > GM_PATCH_MAX_NEST)
        return GM_ELIMIT;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        if (json_is_real(a) && json_is_real(b))
            return json_real_value(a) == json_real_value(b);
        if (json_is_integer(a))
            return int_real_equal(json_integer_value(a), json_real_value(b));
        return int_real_equal(json_integer_value(b), json_real_value(a));
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        size_t klen;
        json_t *av;
        json_object_keylen_foreach((json_t *)a, k, klen, av) {
            const json_t *bv = json_object_getn(b, k, klen);
            if (!bv)
                return 0;
            int r = values_equal(av, bv, depth + 1);
            if (r != 1)
                return r;
        }
        return 1;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++) {
            int r = values_equal(json_array_get(a, i), json_array_get(b, i), depth + 1);
            if (r != 1)
                return r;
        }
        return 1;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
    case JSON_REAL:
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The undo log                                                              */

/*
 * Every change to the document pushes one record saying how to take it back.
 * Records are undone strictly in reverse, so when record i is undone the
 * document is exactly as it was right after record i was made: its container
 * (box, borrowed) is alive then, either in the document or held by a later
 * record's old value. Records are reserved before the document changes, so
 * once a change is made, logging it cannot fail.
 */
enum {
    U_ROOT,    /* *doc was old */
    U_OBJ_NEW, /* member key added to box (appended last) */
    U_OBJ_SET, /* member key of box was old (replaced in place) */
    U_OBJ_DEL, /* member key of box was old, before member succ (removed) */
    U_ARR_INS, /* box[index] inserted */
    U_ARR_SET, /* box[index] was old */
    U_ARR_DEL, /* box[index] was old (removed) */
};

typedef struct undo_rec {
    int kind;
    json_t *box;
    json_t *old;        /* owned reference, or NULL */
    size_t index;
    size_t key, klen;   /* member name: offset and length in txn.keys */
    size_t succ, slen;  /* U_OBJ_DEL: the member that came next, succ NIL if none */
} undo_rec;

typedef struct txn {
    json_t **doc;
    gm_vec log;         /* undo_rec */
    gm_vec keys;        /* char: member names of the records */
    size_t copy_budget; /* values copy operations may still create */
} txn;

static int txn_reserve(txn *t, size_t keybytes)
{
    size_t need;
    if (gm_vec_reserve(&t->log, t->log.len + 1) != GM_OK ||
        gm_size_add(t->keys.len, keybytes, &need) != GM_OK ||
        gm_vec_reserve(&t->keys, need) != GM_OK)
        return GM_ENOMEM;
    return GM_OK;
}

/* Store key bytes in the reserved room; returns their offset. */
static size_t txn_key(txn *t, const char *k, size_t n)
{
    size_t at = t->keys.len;
    if (n)
        memcpy((char *)t->keys.data + at, k, n);
    t->keys.len += n;
    return at;
}

static void txn_push(txn *t, const undo_rec *r)
{
    ((undo_rec *)t->log.data)[t->log.len++] = *r;
}

/* Member names may be empty, and then keys.data may still be NULL; jansson
   wants a non-NULL name even of length 0. */
static const char *txn_keyp(const txn *t, size_t off)
{
    return t->keys.data ? (const char *)t->keys.data + off : "";
}

static void txn_free(txn *t)
{
    gm_vec_free(&t->log);
    gm_vec_free(&t->keys);
}

/* Success: drop the displaced values. */
static void txn_commit(txn *t)
{
    undo_rec *r = t->log.data;
    for (size_t i = 0; i < t->log.len; i++)
        json_decref(r[i].old);
    txn_free(t);
}

/*
 * Member order. jansson keeps objects in insertion order and json_dumps shows
 * it, so re-inserting a removed member at the end would make a failed patch
 * visible. Rather than snapshot every object a patch touches (a cost on every
 * success), a removal records the member that followed it; a rollback replays
 * the log backwards on a linked list of each affected object's keys, which
 * yields the original order, and then rebuilds the order it differs in. The
 * cost is linear in the size of those objects plus the log, and paid only on
 * failure.
 */
typedef struct onode {
    const char *key; /* into a jansson key or txn.keys; see order_apply */
    size_t klen;
    size_t prev, next;
} onode;

typedef struct oobj {
    json_t *obj; /* own reference: it may leave the document during the undo */
    size_t head, tail, count;
} oobj;

typedef struct order_plan {
    gm_map *objs;   /* object address -> oobj index + 1 */
    gm_map *names;  /* oobj index (8 bytes) + key -> onode index + 1 */
    gm_vec objv;    /* oobj */
    gm_vec nodes;   /* onode */
    gm_vec scratch; /* char */
} order_plan;

static void plan_free(order_plan *pl)
{
    oobj *o = pl->objv.data;
    for (size_t i = 0; i < pl->objv.len; i++)
        json_decref(o[i].obj);
    gm_map_destroy(pl->objs);
    gm_map_destroy(pl->names);
    gm_vec_free(&pl->objv);
    gm_vec_free(&pl->nodes);
    gm_vec_free(&pl->scratch);
}

/* The map key for (object oi, member name): oi's bytes then the name. */
static const char *plan_name(order_plan *pl, size_t oi, const char *k, size_t n, size_t *len)
{
    size_t total;
    if (gm_size_add(n, sizeof oi, &total) != GM_OK ||
        gm_vec_reserve(&pl->scratch, total) != GM_OK)
        return NULL;
    char *s = pl->scratch.data;
    memcpy(s, &oi, sizeof oi);
    if (n)
        memcpy(s + sizeof oi, k, n);
    *len = total;
    return s;
}

static int plan_link(order_plan *pl, size_t oi, const char *k, size_t n, size_t before)
{
    onode nd = {.key = k, .klen = n, .prev = NIL, .next = NIL};
    size_t ni = pl->nodes.len;
    size_t mlen;
    const char *mk = plan_name(pl, oi, k, n, &mlen);
    if (!mk || gm_vec_push(&pl->nodes, &nd) != GM_OK ||
        gm_map_sput(pl->names, mk, mlen, (void *)(uintptr_t)(ni + 1)) != GM_OK)
        return GM_ENOMEM;
    onode *nodes = pl->nodes.data;
    oobj *o = (oobj *)pl->objv.data + oi;
    if (before == NIL) {
        nodes[ni].prev = o->tail;
        if (o->tail != NIL)
            nodes[o->tail].next = ni;
        else
            o->head = ni;
        o->tail = ni;
    } else {
        nodes[ni].next = before;
        nodes[ni].prev = nodes[before].prev;
        if (nodes[before].prev != NIL)
            nodes[nodes[before].prev].next = ni;
        else
            o->head = ni;
        nodes[before].prev = ni;
    }
    o->count++;
    return GM_OK;
}

/* Node index of (oi, key), or NIL. */
static size_t plan_find(order_plan *pl, size_t oi, const char *k, size_t n, bool remove)
{
    size_t mlen;
    const char *mk = plan_name(pl, oi, k, n, &mlen);
    void *v = NULL;
    if (!mk)
        return NIL;
    bool found = remove ? gm_map_sdel(pl->names, mk, mlen, &v) : gm_map_sget(pl->names, mk, mlen, &v);
    return found ? (size_t)(uintptr_t)v - 1 : NIL;
}

static void plan_unlink(order_plan *pl, size_t oi, size_t ni)
{
    onode *nodes = pl->nodes.data;
    oobj *o = (oobj *)pl->objv.data + oi;
    if (nodes[ni].prev != NIL)
        nodes[nodes[ni].prev].next = nodes[ni].next;
    else
        o->head = nodes[ni].next;
    if (nodes[ni].next != NIL)
        nodes[nodes[ni].next].prev = nodes[ni].prev;
    else
        o->tail = nodes[ni].prev;
    o->count--;
}

/*
 * Work out the original key order of every object that lost a member during
 * the patch. Runs before any undo, while the document is in its final state.
 * GM_ENOMEM, or GM_EINTERNAL when the log and the objects disagree.
 */
static int plan_build(const txn *t, order_plan *pl)
{
    const undo_rec *r = t->log.data;
    size_t n = t->log.len;
    pl->objs = gm_map_create(GM_MAP_INT);
    pl->names = gm_map_create(GM_MAP_STR);
    if (!pl->objs || !pl->names)
        return GM_ENOMEM;

    for (size_t i = 0; i < n; i++) {
        if (r[i].kind != U_OBJ_DEL)
            continue;
        bool created;
        void **slot = gm_map_islot(pl->objs, (uint64_t)(uintptr_t)r[i].box, &created);
        if (!slot)
            return GM_ENOMEM;
        if (!created)
            continue;
        size_t oi = pl->objv.len;
        oobj o = {.obj = r[i].box, .head = NIL, .tail = NIL, .count = 0};
        if (gm_vec_push(&pl->objv, &o) != GM_OK) {
            gm_map_idel(pl->objs, (uint64_t)(uintptr_t)r[i].box, NULL);
            return GM_ENOMEM;
        }
        *slot = (void *)(uintptr_t)(oi + 1);
        json_incref(r[i].box);
        const char *k;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach(r[i].box, k, klen, v) {
            (void)v;
            if (plan_link(pl, oi, k, klen, NIL) != GM_OK)
                return GM_ENOMEM;
        }
    }

    for (size_t i = n; i-- > 0;) {
        if (r[i].kind != U_OBJ_NEW && r[i].kind != U_OBJ_DEL)
            continue;
        void *v;
        if (!gm_map_iget(pl->objs, (uint64_t)(uintptr_t)r[i].box, &v))
            continue;
        size_t oi = (size_t)(uintptr_t)v - 1;
        const char *k = txn_keyp(t, r[i].key);
        if (r[i].kind == U_OBJ_NEW) {
            size_t ni = plan_find(pl, oi, k, r[i].klen, true);
            if (ni == NIL)
                return GM_EINTERNAL;
            plan_unlink(pl, oi, ni);
        } else {
            size_t before = NIL;
            if (r[i].succ != NIL) {
                before = plan_find(pl, oi, txn_keyp(t, r[i].succ), r[i].slen, false);
                if (before == NIL)
                    return GM_EINTERNAL;
            }
            if (plan_link(pl, oi, k, r[i].klen, before) != GM_OK)
                return GM_ENOMEM;
        }
    }
    return GM_OK;
}

/*
 * Put the members of each planned object back in their planned order: keep
 * the longest prefix that already matches, move every later member to the end.
 * A node's key may point into the jansson key being deleted, hence the copy.
 */
static int plan_apply(order_plan *pl)
{
    int rc = GM_OK;
    const onode *nodes = pl->nodes.data;
    const oobj *objs = pl->objv.data;
    for (size_t oi = 0; oi < pl->objv.len; oi++) {
        json_t *obj = objs[oi].obj;
        if (json_object_size(obj) != objs[oi].count) {
            rc = GM_EINTERNAL;
            continue;
        }
        size_t ni = objs[oi].head;
        for (void *it = json_object_iter(obj); it && ni != NIL; it = json_object_iter_next(obj, it)) {
            if (json_object_iter_key_len(it) != nodes[ni].klen ||
                memcmp(json_object_iter_key(it), nodes[ni].key, nodes[ni].klen) != 0)
                break;
            ni = nodes[ni].next;
        }
        for (; ni != NIL; ni = nodes[ni].next) {
            size_t klen = nodes[ni].klen;
            if (gm_vec_reserve(&pl->scratch, klen + 1) != GM_OK) {
                rc = GM_EINTERNAL;
                break;
            }
            char *k = pl->scratch.data;
            memcpy(k, nodes[ni].key, klen);
            json_t *v = json_object_getn(obj, k, klen);
            if (!v) {
                rc = GM_EINTERNAL;
                continue;
            }
            json_incref(v);
            json_object_deln(obj, k, klen);
            if (json_object_setn_new_nocheck(obj, k, klen, v) != 0)
                rc = GM_EINTERNAL;
        }
    }
    return rc;
}

/*
 * Failure: undo every record, newest first, then restore member order.
 * Returns GM_OK, or GM_EINTERNAL when memory ran out (or the log made no
 * sense) and the document could not be fully restored.
 */
static int txn_rollback(txn *t)
{
    int rc = GM_OK;
    undo_rec *r = t->log.data;
    order_plan pl = {NULL, NULL, GM_VEC_INIT(oobj), GM_VEC_INIT(onode), GM_VEC_INIT(char)};
    bool need_order = false;
    for (size_t i = 0; i < t->log.len && !need_order; i++)
        need_order = r[i].kind == U_OBJ_DEL;
    int prc = need_order ? plan_build(t, &pl) : GM_OK;
    if (prc != GM_OK)
        rc = GM_EINTERNAL;

    for (size_t i = t->log.len; i-- > 0;) {
        const char *k = txn_keyp(t, r[i].key);
        switch (r[i].kind) {
        case U_ROOT:
            json_decref(*t->doc);
            *t->doc = r[i].old;
            break;
        case U_OBJ_NEW:
            json_object_deln(r[i].box, k, r[i].klen);
            break;
        case U_OBJ_SET:
        case U_OBJ_DEL:
            /* U_OBJ_SET finds its key and does not allocate; U_OBJ_DEL needs
               one jansson pair. Neither rehashes: the size is back to one the
               table already held. */
            if (json_object_setn_new_nocheck(r[i].box, k, r[i].klen, r[i].old) != 0)
                rc = GM_EINTERNAL;
            break;
        case U_ARR_INS:
            json_array_remove(r[i].box, r[i].index);
            break;
        case U_ARR_SET:
            json_array_set_new(r[i].box, r[i].index, r[i].old);
            break;
        case U_ARR_DEL:
            /* jansson never shrinks an array's storage: no allocation here. */
            if (json_array_insert_new(r[i].box, r[i].index, r[i].old) != 0)
                rc = GM_EINTERNAL;
            break;
        }
        r[i].old = NULL;
    }

    if (need_order && prc == GM_OK && plan_apply(&pl) != GM_OK)
        rc = GM_EINTERNAL;
    if (need_order)
        plan_free(&pl);
    txn_free(t);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Operations. Each fills msg on failure; those taking v always consume it. */

static int set_root(txn *t, json_t *v, char *msg)
{
    if (txn_reserve(t, 0) != GM_OK) {
        json_decref(v);
        return nomem(msg);
    }
    undo_rec r = {.kind = U_ROOT, .old = *t->doc, .succ = NIL};
    *t->doc = v;
    txn_push(t, &r);
    return GM_OK;
}

/* Set member tok[0..len) of object box to v (taken), logging the undo: the
   old value goes back in place, or a new member is removed again. The
   caller has reserved room for the key (txn_reserve). */
static int obj_set(txn *t, json_t *box, const char *tok, size_t len, json_t *v, char *msg)
{
    json_t *old = json_incref(json_object_getn(box, tok, len));
    undo_rec r = {.kind = old ? U_OBJ_SET : U_OBJ_NEW, .box = box, .old = old, .succ = NIL};
    if (json_object_setn_new_nocheck(box, tok, len, v) != 0) {
        json_decref(old);
        return nomem(msg);
    }
    r.key = txn_key(t, tok, len);
    r.klen = len;
    txn_push(t, &r);
    return GM_OK;
}

static int do_add(txn *t, const gm_pointer *p, json_t *v, char *msg)
{
    if (p->depth == 0)
        return set_root(t, v, msg);
    int rc = GM_OK;
    size_t last = p->depth - 1, len;
    const char *tok = gm_pointer_token(p, last, &len);
    json_t *box = walk(*t->doc, p, last, &rc, msg);
    if (!box)
        goto fail;
    if (json_is_object(box)) {
        if (txn_reserve(t, len) != GM_OK) {
            rc = nomem(msg);
            goto fail;
        }
        return obj_set(t, box, tok, len, v, msg);
    }
    if (json_is_array(box)) {
        size_t idx;
        rc = array_index(p, last, json_array_size(box), true, &idx, msg);
        if (rc != GM_OK)
            goto fail;
        if (txn_reserve(t, 0) != GM_OK) {
            rc = nomem(msg);
            goto fail;
        }
        if (json_array_insert_new(box, idx, v) != 0)
            return nomem(msg);
        undo_rec r = {.kind = U_ARR_INS, .box = box, .index = idx, .succ = NIL};
        txn_push(t, &r);
        return GM_OK;
    }
    rc = not_container(p, last, box, "adding", msg);
fail:
    json_decref(v);
    return rc;
}

/* Remove the value p names; *removed borrows it (the log holds a reference
   until commit or rollback). */
static int do_remove(txn *t, const gm_pointer *p, json_t **removed, char *msg)
{
    if (p->depth == 0) {
        snprintf(msg, GM_ERR_WHAT_MAX, "cannot remove the root of the document");
        return GM_EINVAL;
    }
    int rc = GM_OK;
    size_t last = p->depth - 1, len;
    const char *tok = gm_pointer_token(p, last, &len);
    json_t *box = walk(*t->doc, p, last, &rc, msg);
    if (!box)
        return rc;
    if (json_is_object(box)) {
        /* Tokens hold no NUL (the parser refuses it), so the NUL-terminated
           lookup of json_object_iter_at sees the whole name. */
        void *it = json_object_iter_at(box, tok);
        if (!it)
            return no_member(p, last, msg);
        void *next = json_object_iter_next(box, it);
        size_t slen = next ? json_object_iter_key_len(next) : 0;
        size_t bytes;
        if (gm_size_add(len, slen, &bytes) != GM_OK || txn_reserve(t, bytes) != GM_OK)
            return nomem(msg);
        json_t *old = json_incref(json_object_iter_value(it));
        undo_rec r = {.kind = U_OBJ_DEL, .box = box, .old = old, .succ = NIL};
        r.key = txn_key(t, tok, len);
        r.klen = len;
        if (next) {
            r.succ = txn_key(t, json_object_iter_key(next), slen);
            r.slen = slen;
        }
        json_object_deln(box, tok, len);
        txn_push(t, &r);
        *removed = old;
        return GM_OK;
    }
    if (json_is_array(box)) {
        size_t idx;
        rc = array_index(p, last, json_array_size(box), false, &idx, msg);
        if (rc != GM_OK)
            return rc;
        if (txn_reserve(t, 0) != GM_OK)
            return nomem(msg);
        json_t *old = json_incref(json_array_get(box, idx));
        json_array_remove(box, idx);
        undo_rec r = {.kind = U_ARR_DEL, .box = box, .old = old, .index = idx, .succ = NIL};
        txn_push(t, &r);
        *removed = old;
        return GM_OK;
    }
    return not_container(p, last, box, "removing", msg);
}

static int do_replace(txn *t, const gm_pointer *p, json_t *v, char *msg)
{
    if (p->depth == 0)
        return set_root(t, v, msg);
    int rc = GM_OK;
    size_t last = p->depth - 1, len;
    const char *tok = gm_pointer_token(p, last, &len);
    json_t *box = walk(*t->doc, p, last, &rc, msg);
    if (!box)
        goto fail;
    if (json_is_object(box)) {
        if (!json_object_getn(box, tok, len)) {
            rc = no_member(p, last, msg);
            goto fail;
        }
        if (txn_reserve(t, len) != GM_OK) {
            rc = nomem(msg);
            goto fail;
        }
        return obj_set(t, box, tok, len, v, msg);
    }
    if (json_is_array(box)) {
        size_t idx;
        rc = array_index(p, last, json_array_size(box), false, &idx, msg);
        if (rc != GM_OK)
            goto fail;
        if (txn_reserve(t, 0) != GM_OK) {
            rc = nomem(msg);
            goto fail;
        }
        json_t *old = json_incref(json_array_get(box, idx));
        if (json_array_set_new(box, idx, v) != 0) {
            json_decref(old);
            return nomem(msg);
        }
        undo_rec r = {.kind = U_ARR_SET, .box = box, .old = old, .index = idx, .succ = NIL};
        txn_push(t, &r);
        return GM_OK;
    }
    rc = not_container(p, last, box, "replacing", msg);
fail:
    json_decref(v);
    return rc;
}

/*
 * Would v, placed at depth tokens, keep the document within GM_PATCH_MAX_NEST
 * levels, and is v at most *budget values (containers and scalars)? The budget
 * is spent. Both walks stop at the limit, so the cost is bounded by it.
 * Returns 0, or the limit broken with msg filled.
 */
enum { FIT_OK, FIT_DEEP, FIT_BIG };

static int fits_rec(const json_t *v, size_t room, size_t *budget)
{
    if (*budget == 0)
        return FIT_BIG;
    (*budget)--;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            if (room == 0)
                return FIT_DEEP;
            int r = fits_rec(c, room - 1, budget);
            if (r != FIT_OK)
                return r;
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (room == 0)
                return FIT_DEEP;
            int r = fits_rec(json_array_get(v, i), room - 1, budget);
            if (r != FIT_OK)
                return r;
        }
    }
    return FIT_OK;
}

static int fits(const json_t *v, size_t depth, size_t *budget, char *msg)
{
    size_t room = depth < GM_PATCH_MAX_NEST ? GM_PATCH_MAX_NEST - depth : 0;
    switch (fits_rec(v, room, budget)) {
    case FIT_DEEP:
        snprintf(msg, GM_ERR_WHAT_MAX,
                 "the document would be nested deeper than %d levels", GM_PATCH_MAX_NEST);
        return GM_ELIMIT;
    case FIT_BIG:
        snprintf(msg, GM_ERR_WHAT_MAX,
                 "the copies in this patch would create more than %d values",
                 GM_PATCH_MAX_COPIED);
        return GM_ELIMIT;
    default:
        return GM_OK;
    }
}

static int apply_op(txn *t, const op_desc *d, char *msg)
{
    int rc = GM_OK;
    size_t unlimited = SIZE_MAX;
    json_t *v;
    switch (d->kind) {
    case OP_ADD:
    case OP_REPLACE:
        rc = fits(d->value, d->path.depth, &unlimited, msg);
        if (rc != GM_OK)
            return rc;
        /* A deep copy: the document must share nothing with the patch. */
        v = json_deep_copy(d->value);
        if (!v)
            return nomem(msg);
        return d->kind == OP_ADD ? do_add(t, &d->path, v, msg) : do_replace(t, &d->path, v, msg);
    case OP_REMOVE:
        return do_remove(t, &d->path, &v, msg);
    case OP_MOVE:
        if (same_pointer(&d->from, &d->path))
            return walk(*t->doc, &d->from, d->from.depth, &rc, msg) ? GM_OK : rc;
        rc = do_remove(t, &d->from, &v, msg);
        if (rc != GM_OK)
            return rc;
        /* Moving up or sideways cannot deepen the document: skip the walk. */
        if (d->path.depth > d->from.depth) {
            rc = fits(v, d->path.depth, &unlimited, msg);
            if (rc != GM_OK)
                return rc;
        }
        return do_add(t, &d->path, json_incref(v), msg);
    case OP_COPY: {
        const json_t *src = walk(*t->doc, &d->from, d->from.depth, &rc, msg);
        if (!src)
            return rc;
        /* Copy is the one operation that multiplies: each may double the
           document, so copies share a budget per patch. */
        rc = fits(src, d->path.depth, &t->copy_budget, msg);
        if (rc != GM_OK)
            return rc;
        v = json_deep_copy(src);
        if (!v)
            return nomem(msg);
        return do_add(t, &d->path, v, msg);
    }
    case OP_TEST: {
        const json_t *cur = walk(*t->doc, &d->path, d->path.depth, &rc, msg);
        if (!cur)
            return rc;
        int eq = values_equal(cur, d->value, 0);
        if (eq == 1)
            return GM_OK;
        if (eq < 0) {
            snprintf(msg, GM_ERR_WHAT_MAX, "values nested deeper than %d levels",
                     GM_PATCH_MAX_NEST);
            return eq;
        }
        char found[QUOTE_MAX + 8], want[QUOTE_MAX + 8];
        show_value(found, sizeof found, cur);
        show_value(want, sizeof want, d->value);
        snprintf(msg, GM_ERR_WHAT_MAX, "test failed: found %s, expected %s", found, want);
        return GM_ECONFLICT;
    }
    }
    snprintf(msg, GM_ERR_WHAT_MAX, "unknown operation");
    return GM_EINTERNAL;
}

/* "[k] (op path)" or "[k] (op from F to P)"; "" shows as "". */
static void op_where(char *out, size_t cap, size_t k, const op_desc *d)
{
    char pth[WHERE_PTR_MAX + 8], from[WHERE_PTR_MAX + 8];
    clip(pth, sizeof pth, d->path_s, d->path_n, WHERE_PTR_MAX);
    if (d->kind == OP_MOVE || d->kind == OP_COPY) {
        clip(from, sizeof from, d->from_s, d->from_n, WHERE_PTR_MAX);
        snprintf(out, cap, "[%zu] (%s from %s to %s)", k, op_names[d->kind],
                 d->from_n ? from : "\"\"", d->path_n ? pth : "\"\"");
    } else {
        snprintf(out, cap, "[%zu] (%s %s)", k, op_names[d->kind], d->path_n ? pth : "\"\"");
    }
}

struct gm_patch_undo {
    txn t;
};

int gm_patch_apply(json_t **doc, const json_t *patch, gm_err *err)
{
    return gm_patch_apply_undo(doc, patch, NULL, err);
}

int gm_patch_revert(gm_patch_undo *u)
{
    if (!u)
        return GM_OK;
    int rc = txn_rollback(&u->t);
    free(u);
    return rc;
}

void gm_patch_undo_free(gm_patch_undo *u)
{
    if (!u)
        return;
    txn_commit(&u->t);
    free(u);
}

int gm_patch_apply_undo(json_t **doc, const json_t *patch, gm_patch_undo **undo, gm_err *err)
{
    if (undo)
        *undo = NULL;
    if (!doc || !*doc)
        return gm_err_set(err, GM_EINVAL, "", "no document given");
    /* Shape first, so a malformed patch is refused the same way whatever the
       document holds, without touching it. Parsing twice costs far less than
       keeping 9 KiB of parsed pointers per operation. */
    int rc = gm_patch_check(patch, err);
    if (rc != GM_OK)
        return rc;
    txn t = {doc, GM_VEC_INIT(undo_rec), GM_VEC_INIT(char), GM_PATCH_MAX_COPIED};
    op_desc d;
    char msg[GM_ERR_WHAT_MAX];
    size_t n = json_array_size(patch);
    for (size_t i = 0; i < n; i++) {
        rc = parse_op(json_array_get(patch, i), i, &d, err);
        if (rc != GM_OK)
            goto fail;
        msg[0] = '\0';
        rc = apply_op(&t, &d, msg);
        if (rc != GM_OK) {
            /* Which step of the walk failed is in the message; for callers
               only "could not apply" (or a failed test) matters. */
            if (rc == GM_ENOENT)
                rc = GM_EINVAL;
            char where[GM_ERR_WHERE_MAX];
            op_where(where, sizeof where, i, &d);
            gm_err_set(err, rc, where, "%s", msg);
            goto fail;
        }
    }
    if (undo) {
        /* the caller decides: keep (gm_patch_undo_free) or revert */
        gm_patch_undo *u = malloc(sizeof *u);
        if (!u) {
            rc = GM_ENOMEM;
            goto fail;
        }
        u->t = t;
        *undo = u;
        return GM_OK;
    }
    txn_commit(&t);
    return GM_OK;

fail:
    if (txn_rollback(&t) != GM_OK) {
        rc = GM_EINTERNAL;
        if (err) {
            char safe[224], where[GM_ERR_WHERE_MAX];
            clip(safe, sizeof safe, err->what, strlen(err->what), 200);
            memcpy(where, err->where, sizeof where);
            gm_err_set(err, rc, where,
                       "out of memory while rolling back, the document may be damaged (the "
                       "patch failed: %s)",
                       safe);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Diff                                                                      */

enum { DIFF_FULL = 1 }; /* internal: the patch reached GM_PATCH_MAX_OPS */

typedef struct diff_ctx {
    json_t *ops;
    size_t depth; /* tokens in path */
    size_t plen;
    char path[GM_POINTER_MAX_LEN + 1];
} diff_ctx;

static int emit(diff_ctx *c, const char *op, const json_t *value)
{
    if (json_array_size(c->ops) >= GM_PATCH_MAX_OPS)
        return DIFF_FULL;
    json_t *o = json_object();
    json_t *vv = value ? json_deep_copy(value) : NULL;
    if (!o || (value && !vv))
        goto fail;
    if (json_object_set_new(o, "op", json_string(op)) != 0 ||
        json_object_set_new(o, "path", json_stringn(c->path, c->plen)) != 0)
        goto fail;
    if (vv) {
        int r = json_object_set_new(o, "value", vv);
        vv = NULL;
        if (r != 0)
            goto fail;
    }
    if (json_array_append_new(c->ops, o) != 0)
        return GM_ENOMEM;
    return GM_OK;
fail:
    json_decref(vv);
    json_decref(o);
    return GM_ENOMEM;
}

/* Escaped length of a key as a pointer token, or NIL when no pointer can
   name it (a NUL or invalid UTF-8, possible in objects built by hand). */
static size_t token_len(const char *k, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        if (k[i] == '\0')
            return NIL;
        size_t m = utf8_seq((const unsigned char *)k + i, n - i);
        if (!m)
            return NIL;
        out += (k[i] == '~' || k[i] == '/') ? 2 : m;
        i += m;
    }
    return out;
}

static size_t push_token(diff_ctx *c, const char *k, size_t n)
{
    size_t saved = c->plen;
    c->path[c->plen++] = '/';
    for (size_t i = 0; i < n; i++) {
        if (k[i] == '~' || k[i] == '/') {
            c->path[c->plen++] = '~';
            c->path[c->plen++] = k[i] == '~' ? '0' : '1';
        } else {
            c->path[c->plen++] = k[i];
        }
    }
    c->path[c->plen] = '\0';
    c->depth++;
    return saved;
}

static void pop_token(diff_ctx *c, size_t saved)
{
    c->plen = saved;
    c->path[saved] = '\0';
    c->depth--;
}

static size_t push_index(diff_ctx *c, size_t i)
{
    char num[32];
    int w = snprintf(num, sizeof num, "%zu", i);
    return push_token(c, num, w > 0 ? (size_t)w : 0);
}

static int diff_value(diff_ctx *c, const json_t *a, const json_t *b);

/* Can every child of a and b be named below the current path? */
static bool children_fit(const diff_ctx *c, const json_t *a, const json_t *b)
{
    if (c->depth >= GM_POINTER_MAX_DEPTH)
        return false;
    size_t room = GM_POINTER_MAX_LEN - c->plen;
    if (json_is_array(a))
        return room > 24; /* '/' and at most 20 digits */
    const json_t *both[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        const char *k;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach((json_t *)both[s], k, klen, v) {
            (void)v;
            size_t tl = token_len(k, klen);
            if (tl == NIL || tl + 1 > room)
                return false;
        }
    }
    return true;
}

static int diff_object(diff_ctx *c, const json_t *a, const json_t *b)
{
    const char *k;
    size_t klen;
    json_t *v;
    int rc;
    json_object_keylen_foreach((json_t *)a, k, klen, v) {
        if (json_object_getn(b, k, klen))
            continue;
        size_t saved = push_token(c, k, klen);
        rc = emit(c, "remove", NULL);
        pop_token(c, saved);
        if (rc != GM_OK)
            return rc;
    }
    json_object_keylen_foreach((json_t *)b, k, klen, v) {
        const json_t *av = json_object_getn(a, k, klen);
        size_t saved = push_token(c, k, klen);
        rc = av ? diff_value(c, av, v) : emit(c, "add", v);
        pop_token(c, saved);
        if (rc != GM_OK)
            return rc;
    }
    return GM_OK;
}

static int diff_array(diff_ctx *c, const json_t *a, const json_t *b)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    size_t p = 0, s = 0;
    while (p < na && p < nb && json_equal(json_array_get(a, p), json_array_get(b, p)))
        p++;
    while (s < na - p && s < nb - p &&
           json_equal(json_array_get(a, na - 1 - s), json_array_get(b, nb - 1 - s)))
        s++;
    size_t ma = na - p - s, mb = nb - p - s, k = ma < mb ? ma : mb;
    int rc;
    for (size_t i = 0; i < k; i++) {
        size_t saved = push_index(c, p + i);
        rc = diff_value(c, json_array_get(a, p + i), json_array_get(b, p + i));
        pop_token(c, saved);
        if (rc != GM_OK)
            return rc;
    }
    /* Remove from the highest index down so the lower ones stay valid. */
    for (size_t j = ma; j-- > k;) {
        size_t saved = push_index(c, p + j);
        rc = emit(c, "remove", NULL);
        pop_token(c, saved);
        if (rc != GM_OK)
            return rc;
    }
    for (size_t j = k; j < mb; j++) {
        size_t saved = push_index(c, p + j);
        rc = emit(c, "add", json_array_get(b, p + j));
        pop_token(c, saved);
        if (rc != GM_OK)
            return rc;
    }
    return GM_OK;
}

static int diff_value(diff_ctx *c, const json_t *a, const json_t *b)
{
    bool objs = json_is_object(a) && json_is_object(b);
    bool arrs = json_is_array(a) && json_is_array(b);
    if (!objs && !arrs)
        return json_equal(a, b) ? GM_OK : emit(c, "replace", b);
    if (!children_fit(c, a, b))
        return json_equal(a, b) ? GM_OK : emit(c, "replace", b);
    return objs ? diff_object(c, a, b) : diff_array(c, a, b);
}

int gm_patch_diff(const json_t *from, const json_t *to, json_t **patch, gm_err *err)
{
    if (!from || !to || !patch)
        return gm_err_set(err, GM_EINVAL, "", "no document or result given");
    diff_ctx *c = malloc(sizeof *c);
    json_t *ops = json_array();
    if (!c || !ops)
        goto nomem;
    c->ops = ops;
    c->depth = 0;
    c->plen = 0;
    c->path[0] = '\0';
    int rc = diff_value(c, from, to);
    if (rc == DIFF_FULL) {
        /* Too many edits to list: one replacement says it all. */
        json_array_clear(ops);
        rc = emit(c, "replace", to);
    }
    if (rc != GM_OK)
        goto nomem;
    free(c);
    *patch = ops;
    return GM_OK;
nomem:
    free(c);
    json_decref(ops);
    return gm_err_set(err, GM_ENOMEM, "", "out of memory building the patch");
}
