#include "twin/query.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/checked.h"

/* ------------------------------------------------------------------------ */
/* Tokens and keywords                                                       */

enum tk {
    T_EOF,
    T_ERR, /* the lexer failed here; its message is in the parser */
    T_WORD,
    T_QIDENT, /* [[escaped]] */
    T_STRING,
    T_INT,
    T_REAL,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_DOT,
    T_DOTDOT,
    T_STAR,
    T_COLON,
    T_PIPE,
    T_MINUS,
    T_EQ,
    T_NE,
    T_LT,
    T_GT,
    T_LE,
    T_GE,
};

enum kw {
    KW_NONE,
    KW_SELECT,
    KW_FROM,
    KW_WHERE,
    KW_AS,
    KW_TOP,
    KW_COUNT,
    KW_DIGITALTWINS,
    KW_RELATIONSHIPS,
    KW_JOIN,
    KW_RELATED,
    KW_MATCH,
    KW_AND,
    KW_OR,
    KW_NOT,
    KW_IN,
    KW_NIN,
    KW_TRUE,
    KW_FALSE,
    KW_NULL,
    KW_FUNC,     /* a function name ADT reserves (IS_*) */
    KW_RESERVED, /* reserved by ADT, unused by its grammar (GROUP, ORDER, ...) */
};

/* ADT's reserved words, plus the clause words its grammar needs to tell an
   alias from the next clause. */
static const struct {
    const char *name;
    enum kw kw;
} kwtab[] = {
    {"SELECT", KW_SELECT},
    {"FROM", KW_FROM},
    {"WHERE", KW_WHERE},
    {"AS", KW_AS},
    {"TOP", KW_TOP},
    {"COUNT", KW_COUNT},
    {"DIGITALTWINS", KW_DIGITALTWINS},
    {"RELATIONSHIPS", KW_RELATIONSHIPS},
    {"JOIN", KW_JOIN},
    {"RELATED", KW_RELATED},
    {"MATCH", KW_MATCH},
    {"AND", KW_AND},
    {"OR", KW_OR},
    {"NOT", KW_NOT},
    {"IN", KW_IN},
    {"NIN", KW_NIN},
    {"TRUE", KW_TRUE},
    {"FALSE", KW_FALSE},
    {"NULL", KW_NULL},
    {"IS_OF_MODEL", KW_FUNC},
    {"IS_DEFINED", KW_FUNC},
    {"IS_NULL", KW_FUNC},
    {"IS_NUMBER", KW_FUNC},
    {"IS_STRING", KW_FUNC},
    {"IS_BOOL", KW_FUNC},
    {"IS_PRIMITIVE", KW_FUNC},
    {"IS_OBJECT", KW_FUNC},
    {"ALL", KW_RESERVED},
    {"ASC", KW_RESERVED},
    {"AVG", KW_RESERVED},
    {"BY", KW_RESERVED},
    {"DESC", KW_RESERVED},
    {"DEVICES", KW_RESERVED},
    {"DEVICES_JOBS", KW_RESERVED},
    {"DEVICES_MODULES", KW_RESERVED},
    {"ENDS_WITH", KW_RESERVED},
    {"GROUP", KW_RESERVED},
    {"MAX", KW_RESERVED},
    {"MIN", KW_RESERVED},
    {"NOT_IN", KW_RESERVED},
    {"ORDER", KW_RESERVED},
    {"STARTS_WITH", KW_RESERVED},
    {"SUM", KW_RESERVED},
};

#define FN_OF_MODEL (-1)

/* Functions by name; fn indexes gm_query_func, nargs its argument count. */
static const struct {
    const char *name;
    int fn;
    int nargs;
} functab[] = {
    {"IS_DEFINED", GM_QF_IS_DEFINED, 1},
    {"IS_NULL", GM_QF_IS_NULL, 1},
    {"IS_NUMBER", GM_QF_IS_NUMBER, 1},
    {"IS_STRING", GM_QF_IS_STRING, 1},
    {"IS_BOOL", GM_QF_IS_BOOL, 1},
    {"IS_PRIMITIVE", GM_QF_IS_PRIMITIVE, 1},
    {"IS_OBJECT", GM_QF_IS_OBJECT, 1},
    {"STARTSWITH", GM_QF_STARTSWITH, 2},
    {"ENDSWITH", GM_QF_ENDSWITH, 2},
    {"CONTAINS", GM_QF_CONTAINS, 2},
    {"ARRAY_CONTAINS", GM_QF_ARRAY_CONTAINS, 2},
    {"IS_OF_MODEL", FN_OF_MODEL, 0},
};

#define NFUNC (sizeof functab / sizeof functab[0])

/* ASCII only on purpose: keywords must not depend on the locale. */
static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool ieq(const char *s, size_t n, const char *upper_word)
{
    size_t i = 0;
    for (; i < n; i++)
        if (upper_word[i] == '\0' || upper(s[i]) != upper_word[i])
            return false;
    return upper_word[i] == '\0';
}

static enum kw kw_lookup(const char *s, size_t n)
{
    if (n > 16)
        return KW_NONE;
    for (size_t i = 0; i < sizeof kwtab / sizeof kwtab[0]; i++)
        if (ieq(s, n, kwtab[i].name))
            return kwtab[i].kw;
    return KW_NONE;
}

/* Index into functab, or -1. */
static int func_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < NFUNC; i++)
        if (ieq(s, n, functab[i].name))
            return (int)i;
    return -1;
}

const char *gm_query_func_name(gm_query_func fn)
{
    for (size_t i = 0; i < NFUNC; i++)
        if (functab[i].fn == (int)fn)
            return functab[i].name;
    return "?";
}

const char *gm_query_cmp_name(gm_query_cmp op)
{
    static const char *const names[] = {"=", "!=", "<", ">", "<=", ">="};
    if ((unsigned)op >= sizeof names / sizeof names[0])
        return "?";
    return names[op];
}

static bool is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
    return is_letter(c) || is_digit(c) || c == '_';
}

typedef struct token {
    enum tk kind;
    enum kw kw;        /* T_WORD: which keyword, if any */
    const char *start; /* source text of the token */
    size_t len;
    gm_query_pos pos;
    const char *text;  /* T_STRING, T_QIDENT: decoded value in the arena */
    size_t tlen;
    uint64_t u;        /* T_INT: the value; at most 2^63 so that -2^63 fits */
    double r;          /* T_INT and T_REAL: the value as a double */
} token;

typedef struct parser {
    const char *src;
    size_t len;
    size_t off; /* lexer position */
    gm_query_pos at;
    token la[3]; /* lookahead */
    int nla;
    gm_arena *a;
    gm_query_limits lim;
    gm_err *err;
    unsigned nest; /* open '(' and NOT in the current condition */
    /* A lexer failure becomes a T_ERR token; the error is reported only if
       the parser reaches it, so the first error in the text wins. */
    int lex_code;
    gm_query_pos lex_pos;
    char lex_msg[160];
} parser;

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

static int fail(parser *p, int code, gm_query_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(parser *p, int code, gm_query_pos pos, const char *fmt, ...)
{
    char where[48];
    snprintf(where, sizeof where, "query:%u:%u", (unsigned)pos.line, (unsigned)pos.col);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(p->err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

/* Longest piece of source text quoted in a message. */
#define SHOW_MAX 40

/* Quote text [s, s+n) for a message, shortened on a character boundary
   (the text is valid UTF-8, so the message stays valid too). */
static void show_text(const char *s, size_t n, bool quote, char *buf, size_t size)
{
    size_t k = n;
    bool cut = false;
    if (k > SHOW_MAX) {
        k = SHOW_MAX;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        cut = true;
    }
    snprintf(buf, size, "%s%.*s%s%s", quote ? "'" : "", (int)k, s, cut ? "..." : "",
             quote ? "'" : "");
}

static void describe(const token *t, char *buf, size_t size)
{
    if (t->kind == T_EOF)
        snprintf(buf, size, "end of query");
    else /* a string token already carries its quotes */
        show_text(t->start, t->len, t->kind != T_STRING, buf, size);
}

static int lex_fail(parser *p)
{
    return fail(p, p->lex_code, p->lex_pos, "%s", p->lex_msg);
}

/* "<expected>, found <t>" at t, or the lexer's error when t is where it failed. */
static int syntax(parser *p, const token *t, const char *expected)
{
    if (t->kind == T_ERR)
        return lex_fail(p);
    char found[SHOW_MAX + 16];
    describe(t, found, sizeof found);
    if (t->kind == T_WORD && t->kw == KW_RESERVED)
        return fail(p, GM_EPARSE, t->pos, "%s, found %s (a reserved word: escape it as [[%.*s]])",
                    expected, found, (int)t->len, t->start);
    return fail(p, GM_EPARSE, t->pos, "%s, found %s", expected, found);
}

static int nomem(parser *p, gm_query_pos pos)
{
    int code = gm_arena_last_error(p->a);
    if (code == GM_ELIMIT)
        return fail(p, GM_ELIMIT, pos, "query needs too much memory to parse");
    return fail(p, GM_ENOMEM, pos, "out of memory while parsing the query");
}

/* ------------------------------------------------------------------------ */
/* Lexer                                                                     */

/* Move the lexer n bytes on, keeping line and character column. */
static void advance(parser *p, size_t n)
{
    for (size_t i = 0; i < n && p->off < p->len; i++) {
        unsigned char c = (unsigned char)p->src[p->off++];
        if (c == '\n') {
            p->at.line++;
            p->at.col = 1;
        } else if ((c & 0xC0) != 0x80) {
            p->at.col++;
        }
    }
}

static void lex_error(parser *p, token *t, int code, gm_query_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void lex_error(parser *p, token *t, int code, gm_query_pos pos, const char *fmt, ...)
{
    p->lex_code = code;
    p->lex_pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->lex_msg, sizeof p->lex_msg, fmt, ap);
    va_end(ap);
    t->kind = T_ERR;
    t->pos = pos;
}

static void lex_nomem(parser *p, token *t, gm_query_pos pos)
{
    if (gm_arena_last_error(p->a) == GM_ELIMIT)
        lex_error(p, t, GM_ELIMIT, pos, "query needs too much memory to parse");
    else
        lex_error(p, t, GM_ENOMEM, pos, "out of memory while parsing the query");
}

/* Code point of the (valid) UTF-8 sequence at s, for messages. */
static unsigned decode_cp(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c < 0x80 || avail < 2)
        return c;
    if (c < 0xE0)
        return ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    if (c < 0xF0 || avail < 4)
        return avail < 3 ? c : ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    return ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

static void show_char(const parser *p, size_t off, char *buf, size_t size)
{
    unsigned char c = (unsigned char)p->src[off];
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "U+%04X", decode_cp((const unsigned char *)p->src + off, p->len - off));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at src[off..]; -1 when they are not there. */
static long hex4(const parser *p, size_t off)
{
    if (p->len - off < 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hexval(p->src[off + i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A quoted string at p->off. Escapes only shrink text, so the decoded value
   fits in as many bytes as the source. */
static void lex_string(parser *p, token *t)
{
    const char q = p->src[p->off];
    gm_query_pos start = p->at;
    size_t scan = p->off + 1;
    /* Find the closing quote first, so that an unterminated string is
       reported at its start whatever is inside. */
    while (scan < p->len && p->src[scan] != q && p->src[scan] != '\n') {
        if (p->src[scan] == '\\' && scan + 1 < p->len && p->src[scan + 1] != '\n')
            scan++;
        scan++;
    }
    if (scan >= p->len || p->src[scan] != q) {
        lex_error(p, t, GM_EPARSE, start, "unterminated string");
        return;
    }
    char *out = gm_arena_alloc(p->a, scan - p->off, 1);
    if (!out) {
        lex_nomem(p, t, start);
        return;
    }
    size_t n = 0;
    advance(p, 1);
    while (p->src[p->off] != q) {
        unsigned char c = (unsigned char)p->src[p->off];
        if (c < 0x20) {
            char cb[16];
            show_char(p, p->off, cb, sizeof cb);
            lex_error(p, t, GM_EPARSE, p->at,
                      "control character %s in string: write it as an escape", cb);
            return;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            advance(p, 1);
            continue;
        }
        gm_query_pos epos = p->at;
        char e = p->src[p->off + 1];
        const char *simple = strchr("'\"\\/bfnrt", e);
        if (e != '\0' && simple) {
            static const char map[] = "'\"\\/\b\f\n\r\t";
            out[n++] = map[simple - "'\"\\/bfnrt"];
            advance(p, 2);
            continue;
        }
        if (e != 'u') {
            if (e > 0x20 && e < 0x7f) {
                lex_error(p, t, GM_EPARSE, epos, "unknown escape '\\%c' in string", e);
            } else {
                char cb[16];
                show_char(p, p->off + 1, cb, sizeof cb);
                lex_error(p, t, GM_EPARSE, epos, "unknown escape: '\\' followed by %s in string",
                          cb);
            }
            return;
        }
        long cp = hex4(p, p->off + 2);
        if (cp < 0) {
            lex_error(p, t, GM_EPARSE, epos, "\\u must be followed by 4 hex digits");
            return;
        }
        size_t used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = (p->len - p->off >= 12 && p->src[p->off + 6] == '\\' &&
                       p->src[p->off + 7] == 'u')
                          ? hex4(p, p->off + 8)
                          : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                lex_error(p, t, GM_EPARSE, epos, "unpaired surrogate in \\u escape");
                return;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            lex_error(p, t, GM_EPARSE, epos, "unpaired surrogate in \\u escape");
            return;
        } else if (cp == 0) {
            /* Values are C strings all the way to the executor. */
            lex_error(p, t, GM_EPARSE, epos, "\\u0000 is not allowed in a string");
            return;
        }
        n += put_utf8(out + n, (unsigned long)cp);
        advance(p, used);
    }
    advance(p, 1);
    out[n] = '\0';
    t->kind = T_STRING;
    t->text = out;
    t->tlen = n;
}

/* [[escaped identifier]]: anything up to the first "]]" on the same line. */
static void lex_qident(parser *p, token *t)
{
    gm_query_pos start = p->at;
    size_t b = p->off + 2, e = b;
    while (e < p->len && !(p->src[e] == ']' && e + 1 < p->len && p->src[e + 1] == ']')) {
        unsigned char c = (unsigned char)p->src[e];
        if (c == '\n')
            break;
        if (c < 0x20) {
            char cb[16];
            advance(p, e - p->off);
            show_char(p, e, cb, sizeof cb);
            lex_error(p, t, GM_EPARSE, p->at, "control character %s in [[...]] identifier", cb);
            return;
        }
        e++;
    }
    if (e >= p->len || p->src[e] == '\n') {
        lex_error(p, t, GM_EPARSE, start, "unterminated [[...]] identifier");
        return;
    }
    if (e == b) {
        lex_error(p, t, GM_EPARSE, start, "empty [[]] identifier");
        return;
    }
    if (e - b > p->lim.max_ident) {
        lex_error(p, t, GM_ELIMIT, start, "identifier longer than %u bytes", p->lim.max_ident);
        return;
    }
    char *s = gm_arena_strndup(p->a, p->src + b, e - b);
    if (!s) {
        lex_nomem(p, t, start);
        return;
    }
    t->kind = T_QIDENT;
    t->text = s;
    t->tlen = e - b;
    advance(p, e + 2 - p->off);
}

static void lex_number(parser *p, token *t)
{
    gm_query_pos start = p->at;
    size_t b = p->off, e = b;
    bool real = false;
    while (e < p->len && is_digit(p->src[e]))
        e++;
    if (e + 1 < p->len && p->src[e] == '.' && is_digit(p->src[e + 1])) {
        real = true;
        e++;
        while (e < p->len && is_digit(p->src[e]))
            e++;
    }
    if (e < p->len && (p->src[e] == 'e' || p->src[e] == 'E')) {
        size_t x = e + 1;
        if (x < p->len && (p->src[x] == '+' || p->src[x] == '-'))
            x++;
        if (x < p->len && is_digit(p->src[x])) {
            real = true;
            e = x;
            while (e < p->len && is_digit(p->src[e]))
                e++;
        }
    }
    if (e < p->len && (is_word_char(p->src[e]) || p->src[e] == '$')) {
        size_t x = e;
        while (x < p->len && (is_word_char(p->src[x]) || p->src[x] == '$'))
            x++;
        char shown[SHOW_MAX + 8];
        show_text(p->src + b, x - b, true, shown, sizeof shown);
        lex_error(p, t, GM_EPARSE, start, "malformed number %s", shown);
        return;
    }
    char *copy = gm_arena_strndup(p->a, p->src + b, e - b);
    if (!copy) {
        lex_nomem(p, t, start);
        return;
    }
    t->r = strtod(copy, NULL);
    if (isinf(t->r)) {
        char shown[SHOW_MAX + 8];
        show_text(p->src + b, e - b, true, shown, sizeof shown);
        lex_error(p, t, GM_EPARSE, start, "number %s is out of range", shown);
        return;
    }
    t->kind = T_REAL;
    if (!real) {
        /* Keep integers exact up to 2^63 (the magnitude of INT64_MIN). */
        uint64_t u = 0;
        bool fits = true;
        for (size_t i = b; i < e && fits; i++) {
            unsigned d = (unsigned)(p->src[i] - '0');
            if (u > (UINT64_C(1) << 63) / 10 ||
                (u = u * 10 + d) > (UINT64_C(1) << 63))
                fits = false;
        }
        if (fits) {
            t->kind = T_INT;
            t->u = u;
        }
    }
    advance(p, e - b);
}

static void lex(parser *p, token *t)
{
    memset(t, 0, sizeof *t);
    while (p->off < p->len && p->src[p->off] != '\0' && strchr(" \t\r\n\f\v", p->src[p->off]))
        advance(p, 1);
    t->pos = p->at;
    t->start = p->src + p->off;
    if (p->lex_code) { /* sticky: nothing after a lexer error is read */
        t->kind = T_ERR;
        t->pos = p->lex_pos;
        return;
    }
    if (p->off >= p->len) {
        t->kind = T_EOF;
        return;
    }
    size_t b = p->off;
    char c = p->src[b];
    char c1 = b + 1 < p->len ? p->src[b + 1] : '\0';
    char c2 = b + 2 < p->len ? p->src[b + 2] : '\0';

    if (is_letter(c) || c == '_' || (c == '$' && is_word_char(c1))) {
        size_t e = b + 1;
        while (e < p->len && is_word_char(p->src[e]))
            e++;
        if (e - b > p->lim.max_ident) {
            lex_error(p, t, GM_ELIMIT, p->at, "identifier longer than %u bytes", p->lim.max_ident);
            return;
        }
        t->kind = T_WORD;
        t->kw = kw_lookup(p->src + b, e - b);
        advance(p, e - b);
    } else if (is_digit(c)) {
        lex_number(p, t);
    } else if (c == '\'' || c == '"') {
        lex_string(p, t);
    } else if (c == '[' && c1 == '[' && c2 != '[') {
        /* "[[[" is '[' then an escaped identifier: MATCH's -[[[r]]]-> */
        lex_qident(p, t);
    } else {
        size_t n = 1;
        switch (c) {
        case '(': t->kind = T_LPAREN; break;
        case ')': t->kind = T_RPAREN; break;
        case '[': t->kind = T_LBRACK; break;
        case ']': t->kind = T_RBRACK; break;
        case ',': t->kind = T_COMMA; break;
        case '*': t->kind = T_STAR; break;
        case ':': t->kind = T_COLON; break;
        case '|': t->kind = T_PIPE; break;
        case '-': t->kind = T_MINUS; break;
        case '=': t->kind = T_EQ; break;
        case '.':
            t->kind = c1 == '.' ? T_DOTDOT : T_DOT;
            n = c1 == '.' ? 2 : 1;
            break;
        case '<':
            t->kind = c1 == '=' ? T_LE : T_LT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '>':
            t->kind = c1 == '=' ? T_GE : T_GT;
            n = c1 == '=' ? 2 : 1;
            break;
        case '!': /* only as "!=" */
            t->kind = T_NE;
            n = c1 == '=' ? 2 : 0;
            break;
        default: n = 0; break;
        }
        if (n == 0) {
            char cb[16];
            show_char(p, b, cb, sizeof cb);
            lex_error(p, t, GM_EPARSE, p->at, "unexpected character %s%s", cb,
                      (unsigned char)c >= 0x80 ? ": write such names as [[...]]" : "");
            return;
        }
        advance(p, n);
    }
    t->len = p->off - b;
}

/* ------------------------------------------------------------------------ */
/* Parser plumbing                                                           */

static const token *peek(parser *p, int k)
{
    while (p->nla <= k)
        lex(p, &p->la[p->nla++]);
    return &p->la[k];
}

static token take(parser *p)
{
    peek(p, 0);
    token t = p->la[0];
    p->nla--;
    memmove(&p->la[0], &p->la[1], (size_t)p->nla * sizeof p->la[0]);
    return t;
}

static bool at_kind(parser *p, enum tk kind)
{
    return peek(p, 0)->kind == kind;
}

static bool at_kw(parser *p, enum kw kw)
{
    const token *t = peek(p, 0);
    return t->kind == T_WORD && t->kw == kw;
}

static int expect(parser *p, enum tk kind, const char *expected)
{
    if (!at_kind(p, kind))
        return syntax(p, peek(p, 0), expected);
    take(p);
    return GM_OK;
}

static int expect_kw(parser *p, enum kw kw, const char *expected)
{
    if (!at_kw(p, kw))
        return syntax(p, peek(p, 0), expected);
    take(p);
    return GM_OK;
}

static void *alloc(parser *p, size_t size)
{
    return gm_arena_calloc(p->a, 1, size);
}

/* A growable array in the arena; outgrown copies stay there until the end. */
typedef struct vec {
    void *v;
    size_t n, cap;
} vec;

static int vpush(parser *p, vec *x, const void *item, size_t size, gm_query_pos pos)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 4;
        void *nv = gm_arena_calloc(p->a, cap, size);
        if (!nv)
            return nomem(p, pos);
        if (x->n)
            memcpy(nv, x->v, x->n * size);
        x->v = nv;
        x->cap = cap;
    }
    memcpy((char *)x->v + x->n * size, item, size);
    x->n++;
    return GM_OK;
}

/* An alias or the first segment of a path: a word that is not reserved. */
static bool is_ident(const token *t)
{
    return (t->kind == T_WORD && t->kw == KW_NONE) || t->kind == T_QIDENT;
}

/* After '.', ':' or '|' any word is a name (T.contains, [:match]). */
static bool is_name(const token *t)
{
    return t->kind == T_WORD || t->kind == T_QIDENT;
}

static int name_of(parser *p, const token *t, const char **out)
{
    if (t->kind == T_QIDENT) {
        *out = t->text;
        return GM_OK;
    }
    char *s = gm_arena_strndup(p->a, t->start, t->len);
    if (!s)
        return nomem(p, t->pos);
    *out = s;
    return GM_OK;
}

static int take_ident(parser *p, const char *expected, const char **out)
{
    if (!is_ident(peek(p, 0)))
        return syntax(p, peek(p, 0), expected);
    token t = take(p);
    return name_of(p, &t, out);
}

static int take_name(parser *p, const char *expected, const char **out)
{
    if (!is_name(peek(p, 0)))
        return syntax(p, peek(p, 0), expected);
    token t = take(p);
    return name_of(p, &t, out);
}

/* ------------------------------------------------------------------------ */
/* Expressions                                                               */

static int parse_or(parser *p, gm_query_expr **out);

static int new_expr(parser *p, gm_query_expr_kind kind, gm_query_pos pos, unsigned height,
                    gm_query_expr **out)
{
    if (height > p->lim.max_depth)
        return fail(p, GM_ELIMIT, pos, "expression nested deeper than %u levels",
                    p->lim.max_depth);
    gm_query_expr *e = alloc(p, sizeof *e);
    if (!e)
        return nomem(p, pos);
    e->kind = kind;
    e->pos = pos;
    e->height = height;
    *out = e;
    return GM_OK;
}

static int parse_path(parser *p, const char *expected, gm_query_path *out)
{
    vec segs = {0};
    const char *s;
    out->pos = peek(p, 0)->pos;
    int rc = take_ident(p, expected, &s);
    if (rc)
        return rc;
    if ((rc = vpush(p, &segs, &s, sizeof s, out->pos)))
        return rc;
    while (at_kind(p, T_DOT)) {
        take(p);
        gm_query_pos pos = peek(p, 0)->pos;
        if ((rc = take_name(p, "expected a property name after '.'", &s)) ||
            (rc = vpush(p, &segs, &s, sizeof s, pos)))
            return rc;
    }
    if (at_kind(p, T_LBRACK) && peek(p, 1)->kind == T_STRING)
        return fail(p, GM_EPARSE, peek(p, 0)->pos,
                    "property access with ['...'] is not supported: write .[[name]] instead");
    out->n = segs.n;
    out->seg = segs.v;
    return GM_OK;
}

static bool at_number(parser *p, int k)
{
    enum tk kind = peek(p, k)->kind;
    return kind == T_INT || kind == T_REAL;
}

static bool at_literal(parser *p)
{
    const token *t = peek(p, 0);
    if (t->kind == T_INT || t->kind == T_REAL || t->kind == T_STRING)
        return true;
    if (t->kind == T_WORD && (t->kw == KW_TRUE || t->kw == KW_FALSE || t->kw == KW_NULL))
        return true;
    return t->kind == T_MINUS && at_number(p, 1);
}

/* Call only when at_literal(p). */
static void take_literal(parser *p, gm_query_value *v)
{
    bool neg = false;
    if (at_kind(p, T_MINUS)) {
        take(p);
        neg = true;
    }
    token t = take(p);
    memset(v, 0, sizeof *v);
    switch (t.kind) {
    case T_INT:
        if (neg) {
            v->kind = GM_QV_INT;
            v->i = t.u == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)t.u;
        } else if (t.u <= (uint64_t)INT64_MAX) {
            v->kind = GM_QV_INT;
            v->i = (int64_t)t.u;
        } else {
            v->kind = GM_QV_REAL;
            v->r = t.r;
        }
        break;
    case T_REAL:
        v->kind = GM_QV_REAL;
        v->r = neg ? -t.r : t.r;
        break;
    case T_STRING:
        v->kind = GM_QV_STRING;
        v->str.s = t.text;
        v->str.len = t.tlen;
        break;
    default:
        if (t.kw == KW_NULL) {
            v->kind = GM_QV_NULL;
        } else {
            v->kind = GM_QV_BOOL;
            v->b = t.kw == KW_TRUE;
        }
        break;
    }
}

/* A word followed by '(' is a call; one that is not a function is an error
   worth naming. */
static int unknown_function(parser *p)
{
    const token *t = peek(p, 0);
    if (t->kind == T_WORD && peek(p, 1)->kind == T_LPAREN &&
        func_lookup(t->start, t->len) < 0) {
        char shown[SHOW_MAX + 8];
        show_text(t->start, t->len, true, shown, sizeof shown);
        return fail(p, GM_EPARSE, t->pos, "unknown function %s", shown);
    }
    return GM_OK;
}

/* A path or a literal. */
static int parse_operand(parser *p, const char *expected, gm_query_expr **out)
{
    const token *t = peek(p, 0);
    gm_query_pos pos = t->pos;
    int rc;
    if (at_literal(p)) {
        if ((rc = new_expr(p, GM_QX_VALUE, pos, 1, out)))
            return rc;
        take_literal(p, &(*out)->value);
        return GM_OK;
    }
    if ((rc = unknown_function(p)))
        return rc;
    if (!is_ident(t) || peek(p, 1)->kind == T_LPAREN)
        return syntax(p, t, expected);
    if ((rc = new_expr(p, GM_QX_PATH, pos, 1, out)))
        return rc;
    return parse_path(p, expected, &(*out)->path);
}

static int parse_of_model(parser *p, gm_query_expr **out)
{
    token name = take(p);
    int rc = expect(p, T_LPAREN, "expected '(' after IS_OF_MODEL");
    if (rc || (rc = new_expr(p, GM_QX_OF_MODEL, name.pos, 1, out)))
        return rc;
    gm_query_expr *e = *out;
    if (is_ident(peek(p, 0)) && peek(p, 1)->kind == T_COMMA) {
        if ((rc = take_ident(p, "expected a collection alias", &e->of_model.alias)))
            return rc;
        take(p);
    }
    if (!at_kind(p, T_STRING))
        return syntax(p, peek(p, 0), "expected a model id string");
    token model = take(p);
    e->of_model.model = model.text;
    if (at_kind(p, T_COMMA)) {
        take(p);
        const token *t = peek(p, 0);
        if (!(t->kind == T_WORD && ieq(t->start, t->len, "EXACT")))
            return syntax(p, t, "expected exact");
        take(p);
        e->of_model.exact = true;
        return expect(p, T_RPAREN, "expected ')'");
    }
    return expect(p, T_RPAREN, "expected ',' or ')'");
}

static int parse_call(parser *p, int fi, gm_query_expr **out)
{
    if (functab[fi].fn == FN_OF_MODEL)
        return parse_of_model(p, out);
    const char *fname = functab[fi].name;
    token name = take(p);
    int rc = expect(p, T_LPAREN, "expected '('");
    if (rc || (rc = new_expr(p, GM_QX_CALL, name.pos, 2, out)))
        return rc;
    gm_query_expr *e = *out;
    int nargs = functab[fi].nargs;
    gm_query_expr **args = alloc(p, (size_t)nargs * sizeof *args);
    if (!args)
        return nomem(p, name.pos);
    e->call.fn = (gm_query_func)functab[fi].fn;
    e->call.nargs = (size_t)nargs;
    e->call.args = args;
    char expected[64];
    if (nargs == 1) {
        const token *t = peek(p, 0);
        if (!is_ident(t) || peek(p, 1)->kind == T_LPAREN) {
            snprintf(expected, sizeof expected, "%s needs a property path", fname);
            return syntax(p, t, expected);
        }
        if ((rc = new_expr(p, GM_QX_PATH, t->pos, 1, &args[0])) ||
            (rc = parse_path(p, "expected a property path", &args[0]->path)))
            return rc;
        snprintf(expected, sizeof expected, "expected ')': %s takes one argument", fname);
        return expect(p, T_RPAREN, expected);
    }
    if ((rc = parse_operand(p, "expected a property path or a value", &args[0])))
        return rc;
    snprintf(expected, sizeof expected, "expected ',': %s takes two arguments", fname);
    if ((rc = expect(p, T_COMMA, expected)) ||
        (rc = parse_operand(p, "expected a property path or a value", &args[1])))
        return rc;
    snprintf(expected, sizeof expected, "expected ')': %s takes two arguments", fname);
    return expect(p, T_RPAREN, expected);
}

static int cmp_of(enum tk kind)
{
    switch (kind) {
    case T_EQ: return GM_QCMP_EQ;
    case T_NE: return GM_QCMP_NE;
    case T_LT: return GM_QCMP_LT;
    case T_GT: return GM_QCMP_GT;
    case T_LE: return GM_QCMP_LE;
    case T_GE: return GM_QCMP_GE;
    default: return -1;
    }
}

static int parse_in_list(parser *p, gm_query_expr *e)
{
    int rc = expect(p, T_LBRACK, "expected '[' and a list of values");
    if (rc)
        return rc;
    vec vals = {0};
    if (!at_kind(p, T_RBRACK)) {
        for (;;) {
            const token *t = peek(p, 0);
            if (!at_literal(p))
                return syntax(p, t, "expected a literal value");
            if (vals.n >= p->lim.max_list)
                return fail(p, GM_ELIMIT, t->pos, "IN list has more than %u values",
                            p->lim.max_list);
            gm_query_value v;
            gm_query_pos pos = t->pos;
            take_literal(p, &v);
            if ((rc = vpush(p, &vals, &v, sizeof v, pos)))
                return rc;
            if (!at_kind(p, T_COMMA))
                break;
            take(p);
        }
    }
    if ((rc = expect(p, T_RBRACK, "expected ',' or ']'")))
        return rc;
    e->in.n = vals.n;
    e->in.values = vals.v;
    return GM_OK;
}

static int parse_pred(parser *p, gm_query_expr **out)
{
    const token *t = peek(p, 0);
    int rc;
    if (t->kind == T_LPAREN) {
        if (++p->nest > p->lim.max_depth)
            return fail(p, GM_ELIMIT, t->pos, "expression nested deeper than %u levels",
                        p->lim.max_depth);
        take(p);
        if ((rc = parse_or(p, out)) || (rc = expect(p, T_RPAREN, "expected AND, OR or ')'")))
            return rc;
        p->nest--;
        return GM_OK;
    }
    if ((rc = unknown_function(p)))
        return rc;
    if (t->kind == T_WORD && peek(p, 1)->kind == T_LPAREN)
        return parse_call(p, func_lookup(t->start, t->len), out);
    if (t->kind == T_WORD && t->kw == KW_FUNC) {
        char expected[64];
        snprintf(expected, sizeof expected, "expected '(' after %.*s", (int)t->len, t->start);
        return syntax(p, peek(p, 1), expected);
    }
    gm_query_expr *lhs;
    if ((rc = parse_operand(p, "expected a condition", &lhs)))
        return rc;
    t = peek(p, 0);
    int op = cmp_of(t->kind);
    if (op >= 0) {
        take(p);
        if ((rc = new_expr(p, GM_QX_CMP, lhs->pos, 2, out)))
            return rc;
        (*out)->cmp.op = (gm_query_cmp)op;
        (*out)->cmp.lhs = lhs;
        return parse_operand(p, "expected a value to compare with", &(*out)->cmp.rhs);
    }
    bool in = t->kind == T_WORD && t->kw == KW_IN;
    bool nin = t->kind == T_WORD && t->kw == KW_NIN;
    if (t->kind == T_WORD && t->kw == KW_NOT && peek(p, 1)->kind == T_WORD &&
        peek(p, 1)->kw == KW_IN) {
        take(p);
        nin = true;
    }
    if (in || nin) {
        take(p);
        if ((rc = new_expr(p, GM_QX_IN, lhs->pos, 2, out)))
            return rc;
        (*out)->in.negated = nin;
        (*out)->in.operand = lhs;
        return parse_in_list(p, *out);
    }
    if (lhs->kind == GM_QX_VALUE && lhs->value.kind == GM_QV_BOOL) {
        *out = lhs;
        return GM_OK;
    }
    return syntax(p, t, "expected a comparison operator, IN or NIN");
}

static int parse_not(parser *p, gm_query_expr **out)
{
    if (!at_kw(p, KW_NOT))
        return parse_pred(p, out);
    token t = take(p);
    if (++p->nest > p->lim.max_depth)
        return fail(p, GM_ELIMIT, t.pos, "expression nested deeper than %u levels",
                    p->lim.max_depth);
    gm_query_expr *operand;
    int rc = parse_not(p, &operand);
    if (rc || (rc = new_expr(p, GM_QX_NOT, t.pos, operand->height + 1, out)))
        return rc;
    (*out)->operand = operand;
    p->nest--;
    return GM_OK;
}

/* One level of AND or OR: operands joined by kw, flattened into one node. */
static int parse_chain(parser *p, enum kw kw, gm_query_expr_kind kind,
                       int (*sub)(parser *, gm_query_expr **), gm_query_expr **out)
{
    gm_query_expr *first;
    int rc = sub(p, &first);
    if (rc)
        return rc;
    if (!at_kw(p, kw)) {
        *out = first;
        return GM_OK;
    }
    vec items = {0};
    unsigned tallest = 0;
    gm_query_expr *e = first;
    for (;;) {
        /* (a AND b) AND c is one AND: a planner then sees every conjunct. */
        size_t n = e->kind == kind ? e->list.n : 1;
        gm_query_expr *const *src = e->kind == kind ? e->list.items : &e;
        for (size_t i = 0; i < n; i++) {
            if (src[i]->height > tallest)
                tallest = src[i]->height;
            if ((rc = vpush(p, &items, &src[i], sizeof src[i], src[i]->pos)))
                return rc;
        }
        if (!at_kw(p, kw))
            break;
        take(p);
        if ((rc = sub(p, &e)))
            return rc;
    }
    if ((rc = new_expr(p, kind, first->pos, tallest + 1, out)))
        return rc;
    (*out)->list.n = items.n;
    (*out)->list.items = items.v;
    return GM_OK;
}

static int parse_and(parser *p, gm_query_expr **out)
{
    return parse_chain(p, KW_AND, GM_QX_AND, parse_not, out);
}

static int parse_or(parser *p, gm_query_expr **out)
{
    return parse_chain(p, KW_OR, GM_QX_OR, parse_and, out);
}

/* ------------------------------------------------------------------------ */
/* Clauses                                                                   */

static int parse_select(parser *p, gm_query *q)
{
    int rc = expect_kw(p, KW_SELECT, "expected SELECT");
    if (rc)
        return rc;
    if (at_kw(p, KW_TOP)) {
        take(p);
        if ((rc = expect(p, T_LPAREN, "expected '(' after TOP")))
            return rc;
        const token *t = peek(p, 0);
        if (t->kind != T_INT || t->u == 0 || t->u > (uint64_t)INT64_MAX) {
            if (t->kind == T_ERR)
                return lex_fail(p);
            char shown[SHOW_MAX + 8];
            const token *t1 = peek(p, 1);
            if (t->kind == T_MINUS && (t1->kind == T_INT || t1->kind == T_REAL))
                show_text(t->start, (size_t)(t1->start + t1->len - t->start), true, shown,
                          sizeof shown);
            else
                describe(t, shown, sizeof shown);
            return fail(p, GM_EPARSE, t->pos, "TOP needs a positive integer, found %s", shown);
        }
        q->top = (int64_t)take(p).u;
        if ((rc = expect(p, T_RPAREN, "expected ')' after the TOP count")))
            return rc;
    }
    const token *t = peek(p, 0);
    if (t->kind == T_STAR) {
        take(p);
        q->select = GM_QSEL_STAR;
        return GM_OK;
    }
    if (t->kind == T_WORD && t->kw == KW_COUNT) {
        if (q->top)
            return fail(p, GM_EPARSE, t->pos, "COUNT() cannot be combined with TOP");
        take(p);
        if ((rc = expect(p, T_LPAREN, "expected '(' after COUNT")))
            return rc;
        if ((rc = expect(p, T_RPAREN, "COUNT() takes no arguments")))
            return rc;
        q->select = GM_QSEL_COUNT;
        return GM_OK;
    }
    if (q->top && t->kind == T_WORD && t->kw == KW_FROM) {
        q->select = GM_QSEL_STAR; /* ADT's own form: SELECT TOP(5) FROM ... */
        return GM_OK;
    }
    if (!is_ident(t))
        return syntax(p, t,
                      q->top ? "expected '*', a projection or FROM"
                             : "expected '*', COUNT() or a projection");
    vec projs = {0};
    for (;;) {
        gm_query_proj pr = {0};
        if ((rc = parse_path(p, "expected a projection", &pr.path)))
            return rc;
        if (at_kw(p, KW_AS)) {
            take(p);
            if ((rc = take_ident(p, "expected a name after AS", &pr.as)))
                return rc;
        }
        if ((rc = vpush(p, &projs, &pr, sizeof pr, pr.path.pos)))
            return rc;
        if (!at_kind(p, T_COMMA))
            break;
        take(p);
    }
    q->select = GM_QSEL_LIST;
    q->nproj = projs.n;
    q->proj = projs.v;
    return GM_OK;
}

/* "[AS] alias" after a collection; the alias is optional. */
static int parse_opt_alias(parser *p, const char *after, const char **out)
{
    if (at_kw(p, KW_AS)) {
        take(p);
        char expected[64];
        snprintf(expected, sizeof expected, "expected an alias after AS in %s", after);
        return take_ident(p, expected, out);
    }
    if (is_ident(peek(p, 0)))
        return take_ident(p, "expected an alias", out);
    return GM_OK;
}

static int parse_join(parser *p, vec *joins)
{
    gm_query_join j = {0};
    token kw = take(p);
    j.pos = kw.pos;
    int rc;
    if ((rc = take_ident(p, "expected the alias of the JOIN's twins", &j.target)) ||
        (rc = expect_kw(p, KW_RELATED, "expected RELATED")) ||
        (rc = take_ident(p, "expected a collection alias after RELATED", &j.source)) ||
        (rc = expect(p, T_DOT, "expected '.' and a relationship name")) ||
        (rc = take_name(p, "expected a relationship name after '.'", &j.rel)) ||
        (rc = parse_opt_alias(p, "JOIN", &j.rel_alias)))
        return rc;
    return vpush(p, joins, &j, sizeof j, j.pos);
}

static int parse_hop_count(parser *p, uint32_t *out)
{
    const token *t = peek(p, 0);
    if (t->kind != T_INT)
        return syntax(p, t, "expected a hop count");
    if (t->u > p->lim.max_hops)
        return fail(p, GM_ELIMIT, t->pos, "hop count %.*s is above the maximum of %u",
                    (int)(t->len > SHOW_MAX ? SHOW_MAX : t->len), t->start, p->lim.max_hops);
    *out = (uint32_t)take(p).u;
    return GM_OK;
}

static int parse_hops(parser *p, gm_query_rel *r)
{
    take(p);
    int rc;
    if (at_kind(p, T_REAL)) /* "*1.5": say what is wrong with it */
        return parse_hop_count(p, &r->lo);
    if (at_kind(p, T_INT)) {
        gm_query_pos lo_pos = peek(p, 0)->pos;
        if ((rc = parse_hop_count(p, &r->lo)))
            return rc;
        if (!at_kind(p, T_DOTDOT)) {
            if (r->lo == 0)
                return fail(p, GM_EPARSE, lo_pos, "hop count must be at least 1");
            r->hops = GM_QHOPS_EXACT;
            r->min_hops = r->max_hops = r->lo;
            return GM_OK;
        }
        take(p);
        if ((rc = parse_hop_count(p, &r->hi)))
            return rc;
        if (r->lo >= r->hi)
            return fail(p, GM_EPARSE, lo_pos,
                        "empty hop range %u..%u: the lower bound is exclusive, so it must be "
                        "below the upper one",
                        (unsigned)r->lo, (unsigned)r->hi);
        r->hops = GM_QHOPS_RANGE;
        r->min_hops = r->lo + 1;
        r->max_hops = r->hi;
        return GM_OK;
    }
    if (at_kind(p, T_DOTDOT)) {
        take(p);
        gm_query_pos hi_pos = peek(p, 0)->pos;
        if ((rc = parse_hop_count(p, &r->hi)))
            return rc;
        if (r->hi == 0)
            return fail(p, GM_EPARSE, hi_pos, "hop count must be at least 1");
        r->hops = GM_QHOPS_UPTO;
        r->min_hops = 1;
        r->max_hops = r->hi;
        return GM_OK;
    }
    r->hops = GM_QHOPS_ANY;
    r->min_hops = 1;
    r->max_hops = p->lim.max_hops;
    return GM_OK;
}

/* -[alias:name|name*hops]-> and its variants. */
static int parse_rel(parser *p, gm_query_rel *r)
{
    int rc;
    r->pos = peek(p, 0)->pos;
    r->dir = GM_QDIR_ANY;
    if (at_kind(p, T_LT)) {
        take(p);
        r->dir = GM_QDIR_LEFT;
    }
    if ((rc = expect(p, T_MINUS, "expected '-'")) ||
        (rc = expect(p, T_LBRACK, "expected '[' to start a relationship condition")))
        return rc;
    const char *expected = "expected an alias, ':', '*' or ']'";
    if (is_ident(peek(p, 0))) {
        if ((rc = take_ident(p, expected, &r->alias)))
            return rc;
        if (at_kind(p, T_PIPE))
            return fail(p, GM_EPARSE, peek(p, 0)->pos,
                        "relationship names follow ':', as in [:name1|name2]");
        expected = "expected ':', '*' or ']'";
    }
    if (at_kind(p, T_COLON)) {
        take(p);
        vec names = {0};
        for (;;) {
            const char *s;
            gm_query_pos pos = peek(p, 0)->pos;
            if (names.n >= p->lim.max_list)
                return fail(p, GM_ELIMIT, pos, "more than %u relationship names",
                            p->lim.max_list);
            if ((rc = take_name(p, "expected a relationship name", &s)) ||
                (rc = vpush(p, &names, &s, sizeof s, pos)))
                return rc;
            if (!at_kind(p, T_PIPE))
                break;
            take(p);
        }
        r->nnames = names.n;
        r->names = names.v;
        expected = "expected '|', '*' or ']'";
    }
    r->hops = GM_QHOPS_ONE;
    r->min_hops = r->max_hops = 1;
    if (at_kind(p, T_STAR)) {
        if ((rc = parse_hops(p, r)))
            return rc;
        expected = "expected ']'";
    }
    if ((rc = expect(p, T_RBRACK, expected)) ||
        (rc = expect(p, T_MINUS, "expected '-' after ']'")))
        return rc;
    if (at_kind(p, T_GT)) {
        if (r->dir == GM_QDIR_LEFT)
            return fail(p, GM_EPARSE, peek(p, 0)->pos,
                        "a relationship condition cannot point both ways: chain two instead");
        take(p);
        r->dir = GM_QDIR_RIGHT;
    }
    return GM_OK;
}

static int parse_node(parser *p, vec *nodes)
{
    gm_query_node n = {0};
    n.pos = peek(p, 0)->pos;
    int rc = expect(p, T_LPAREN, "expected '(' to start a MATCH node");
    if (rc)
        return rc;
    if (!at_kind(p, T_RPAREN) &&
        (rc = take_ident(p, "expected a twin alias or ')'", &n.alias)))
        return rc;
    if ((rc = expect(p, T_RPAREN, "expected ')'")))
        return rc;
    return vpush(p, nodes, &n, sizeof n, n.pos);
}

static int parse_match(parser *p, gm_query *q)
{
    gm_query_match *m = alloc(p, sizeof *m);
    if (!m)
        return nomem(p, peek(p, 0)->pos);
    m->pos = take(p).pos;
    vec nodes = {0}, rels = {0};
    int rc = parse_node(p, &nodes);
    if (rc)
        return rc;
    while (at_kind(p, T_MINUS) || at_kind(p, T_LT)) {
        gm_query_rel r = {0};
        if (rels.n >= p->lim.max_hops)
            return fail(p, GM_ELIMIT, peek(p, 0)->pos,
                        "MATCH has more than %u relationship conditions", p->lim.max_hops);
        if ((rc = parse_rel(p, &r)) || (rc = vpush(p, &rels, &r, sizeof r, r.pos)) ||
            (rc = parse_node(p, &nodes)))
            return rc;
    }
    m->nnodes = nodes.n;
    m->nodes = nodes.v;
    m->rels = rels.v;
    q->match = m;
    return GM_OK;
}

static int parse_from(parser *p, gm_query *q)
{
    int rc = expect_kw(p, KW_FROM,
                       q->select == GM_QSEL_LIST
                           ? (q->proj[q->nproj - 1].as ? "expected ',' or FROM"
                                                       : "expected AS, ',' or FROM")
                           : "expected FROM");
    if (rc)
        return rc;
    const token *t = peek(p, 0);
    if (t->kind == T_WORD && t->kw == KW_DIGITALTWINS)
        q->from = GM_QFROM_DIGITALTWINS;
    else if (t->kind == T_WORD && t->kw == KW_RELATIONSHIPS)
        q->from = GM_QFROM_RELATIONSHIPS;
    else
        return syntax(p, t, "expected DIGITALTWINS or RELATIONSHIPS");
    take(p);
    if ((rc = parse_opt_alias(p, "FROM", &q->from_alias)))
        return rc;
    bool rels = q->from == GM_QFROM_RELATIONSHIPS;
    vec joins = {0};
    for (;;) {
        t = peek(p, 0);
        if (t->kind == T_WORD && t->kw == KW_JOIN) {
            if (rels)
                return fail(p, GM_EPARSE, t->pos, "JOIN cannot be used with FROM RELATIONSHIPS");
            if (q->match)
                return fail(p, GM_EPARSE, t->pos, "JOIN cannot be combined with MATCH");
            if (q->select == GM_QSEL_STAR)
                return fail(p, GM_EPARSE, t->pos,
                            "%s cannot be used with JOIN: name the collections to return",
                            q->top ? "SELECT TOP(n) without projections" : "SELECT *");
            if (joins.n >= p->lim.max_joins)
                return fail(p, GM_ELIMIT, t->pos, "more than %u JOINs", p->lim.max_joins);
            if ((rc = parse_join(p, &joins)))
                return rc;
        } else if (t->kind == T_WORD && t->kw == KW_MATCH) {
            if (rels)
                return fail(p, GM_EPARSE, t->pos, "MATCH cannot be used with FROM RELATIONSHIPS");
            if (q->match)
                return fail(p, GM_EPARSE, t->pos, "only one MATCH is allowed");
            if (joins.n)
                return fail(p, GM_EPARSE, t->pos, "MATCH cannot be combined with JOIN");
            if (q->from_alias)
                return fail(p, GM_EPARSE, t->pos,
                            "MATCH must follow FROM DIGITALTWINS without an alias: name the "
                            "twins in the pattern");
            if ((rc = parse_match(p, q)))
                return rc;
        } else {
            break;
        }
    }
    q->njoins = joins.n;
    q->joins = joins.v;
    return GM_OK;
}

static int parse_query(parser *p, gm_query *q)
{
    int rc;
    if ((rc = parse_select(p, q)) || (rc = parse_from(p, q)))
        return rc;
    const char *expected;
    if (at_kw(p, KW_WHERE)) {
        take(p);
        gm_query_expr *w;
        if ((rc = parse_or(p, &w)))
            return rc;
        q->where = w;
        expected = "expected AND, OR or end of query";
    } else if (q->from == GM_QFROM_RELATIONSHIPS || q->match) {
        expected = q->from_alias || q->match ? "expected WHERE or end of query"
                                             : "expected an alias, WHERE or end of query";
    } else if (q->from_alias || q->njoins) {
        expected = "expected JOIN, WHERE or end of query";
    } else {
        expected = "expected an alias, JOIN, MATCH, WHERE or end of query";
    }
    if (!at_kind(p, T_EOF))
        return syntax(p, peek(p, 0), expected);
    return GM_OK;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */

/* Valid UTF-8 and at most max_chars characters, checked before lexing so
   that columns can count characters and messages can quote the text. */
static int check_text(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    size_t i = 0, chars = 0;
    gm_query_pos at = {1, 1};
    while (i < p->len) {
        unsigned c = s[i];
        size_t n = 1;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0x80) {
            if (c >= 0xC2 && c <= 0xDF)
                n = 2;
            else if (c >= 0xE0 && c <= 0xEF)
                n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            else if (c >= 0xF0 && c <= 0xF4)
                n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            else
                n = 0;
            bool ok = n && p->len - i >= n && s[i + 1] >= lo && s[i + 1] <= hi;
            for (size_t k = 2; ok && k < n; k++)
                ok = s[i + k] >= 0x80 && s[i + k] <= 0xBF;
            if (!ok)
                return fail(p, GM_EPARSE, at, "invalid UTF-8 byte 0x%02x", c);
        }
        if (++chars > p->lim.max_chars)
            return fail(p, GM_ELIMIT, at, "query is longer than %zu characters", p->lim.max_chars);
        if (c == '\n') {
            at.line++;
            at.col = 1;
        } else {
            at.col++;
        }
        i += n;
    }
    return GM_OK;
}

int gm_query_parse(const char *text, size_t len, const gm_query_limits *limits, gm_query **out,
                   gm_err *err)
{
    if (!out)
        return gm_err_set(err, GM_EINVAL, "", "gm_query_parse: out is NULL");
    *out = NULL;
    if (!text && len)
        return gm_err_set(err, GM_EINVAL, "", "gm_query_parse: text is NULL");
    gm_query_limits lim = limits ? *limits : (gm_query_limits){0};
    if (!lim.max_chars)
        lim.max_chars = GM_QUERY_MAX_CHARS;
    if (!lim.max_depth)
        lim.max_depth = GM_QUERY_MAX_DEPTH;
    if (!lim.max_list)
        lim.max_list = GM_QUERY_MAX_LIST;
    if (!lim.max_ident)
        lim.max_ident = GM_QUERY_MAX_IDENT;
    if (!lim.max_joins)
        lim.max_joins = GM_QUERY_MAX_JOINS;
    if (!lim.max_hops)
        lim.max_hops = GM_QUERY_MAX_HOPS;
    if (lim.max_depth > GM_QUERY_DEPTH_CAP || lim.max_chars > GM_QUERY_CHARS_CAP ||
        lim.max_hops > UINT32_MAX / 2)
        return gm_err_set(err, GM_EINVAL, "", "gm_query_parse: a limit is above its cap");

    parser p = {.src = text ? text : "", .len = len, .at = {1, 1}, .lim = lim, .err = err};
    int rc = check_text(&p);
    if (rc)
        return rc;
    /* The tree takes a few dozen bytes per character at worst; the cap only
       stops a bug from eating memory. */
    size_t cap = 0;
    if (gm_size_mul(len, 256, &cap) || gm_size_add(cap, (size_t)1 << 20, &cap))
        cap = 0;
    p.a = gm_arena_create(16 * 1024, cap);
    if (!p.a)
        return fail(&p, GM_ENOMEM, p.at, "out of memory while parsing the query");
    gm_query *q = alloc(&p, sizeof *q);
    if (!q) {
        rc = nomem(&p, p.at);
        goto fail;
    }
    if ((rc = parse_query(&p, q)))
        goto fail;
    q->arena = p.a;
    *out = q;
    return GM_OK;
fail:
    gm_arena_destroy(p.a);
    return rc;
}

void gm_query_free(gm_query *q)
{
    if (q)
        gm_arena_destroy(q->arena);
}

/* ------------------------------------------------------------------------ */
/* Canonical printer                                                         */

/* True when s lexes as one plain word: it needs no [[escape]]. */
static bool plain_word(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || !(is_letter(s[0]) || s[0] == '_' || (s[0] == '$' && n > 1)))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word_char(s[i]))
            return false;
    return true;
}

/* An alias or first path segment must also avoid keywords; names after '.',
   ':' and '|' need not. */
static void put_ident(gm_sb *sb, const char *s, bool alias)
{
    if (plain_word(s) && !(alias && kw_lookup(s, strlen(s)) != KW_NONE)) {
        gm_sb_append(sb, s);
    } else {
        gm_sb_append(sb, "[[");
        gm_sb_append(sb, s);
        gm_sb_append(sb, "]]");
    }
}

static void put_path(gm_sb *sb, const gm_query_path *path)
{
    for (size_t i = 0; i < path->n; i++) {
        if (i)
            gm_sb_append_char(sb, '.');
        put_ident(sb, path->seg[i], i == 0);
    }
}

static void put_string(gm_sb *sb, const char *s, size_t n)
{
    gm_sb_append_char(sb, '\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\'': gm_sb_append(sb, "\\'"); break;
        case '\\': gm_sb_append(sb, "\\\\"); break;
        case '\b': gm_sb_append(sb, "\\b"); break;
        case '\f': gm_sb_append(sb, "\\f"); break;
        case '\n': gm_sb_append(sb, "\\n"); break;
        case '\r': gm_sb_append(sb, "\\r"); break;
        case '\t': gm_sb_append(sb, "\\t"); break;
        default:
            if (c < 0x20)
                gm_sb_appendf(sb, "\\u%04x", c);
            else
                gm_sb_append_char(sb, (char)c);
        }
    }
    gm_sb_append_char(sb, '\'');
}

/* The shortest %g form that reads back as the same double, and that still
   reads as a real rather than an integer. */
static void put_real(gm_sb *sb, double r)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, r);
        if (strtod(buf, NULL) == r)
            break;
    }
    gm_sb_append(sb, buf);
    if (!strpbrk(buf, ".eE"))
        gm_sb_append(sb, ".0");
}

static void put_value(gm_sb *sb, const gm_query_value *v)
{
    switch (v->kind) {
    case GM_QV_NULL: gm_sb_append(sb, "NULL"); break;
    case GM_QV_BOOL: gm_sb_append(sb, v->b ? "TRUE" : "FALSE"); break;
    case GM_QV_INT: gm_sb_appendf(sb, "%lld", (long long)v->i); break;
    case GM_QV_REAL: put_real(sb, v->r); break;
    case GM_QV_STRING: put_string(sb, v->str.s, v->str.len); break;
    }
}

/* ctx: 0 where OR may stand bare, 1 inside AND, 2 inside NOT. */
static void put_cond(gm_sb *sb, const gm_query_expr *e, int ctx)
{
    bool paren = (e->kind == GM_QX_OR && ctx >= 1) || (e->kind == GM_QX_AND && ctx >= 2);
    if (paren)
        gm_sb_append_char(sb, '(');
    switch (e->kind) {
    case GM_QX_VALUE: put_value(sb, &e->value); break;
    case GM_QX_PATH: put_path(sb, &e->path); break;
    case GM_QX_CMP:
        put_cond(sb, e->cmp.lhs, 2);
        gm_sb_appendf(sb, " %s ", gm_query_cmp_name(e->cmp.op));
        put_cond(sb, e->cmp.rhs, 2);
        break;
    case GM_QX_IN:
        put_cond(sb, e->in.operand, 2);
        gm_sb_append(sb, e->in.negated ? " NIN [" : " IN [");
        for (size_t i = 0; i < e->in.n; i++) {
            if (i)
                gm_sb_append(sb, ", ");
            put_value(sb, &e->in.values[i]);
        }
        gm_sb_append_char(sb, ']');
        break;
    case GM_QX_NOT:
        gm_sb_append(sb, "NOT ");
        put_cond(sb, e->operand, 2);
        break;
    case GM_QX_AND:
    case GM_QX_OR:
        for (size_t i = 0; i < e->list.n; i++) {
            if (i)
                gm_sb_append(sb, e->kind == GM_QX_AND ? " AND " : " OR ");
            put_cond(sb, e->list.items[i], e->kind == GM_QX_AND ? 1 : 0);
        }
        break;
    case GM_QX_CALL:
        gm_sb_append(sb, gm_query_func_name(e->call.fn));
        gm_sb_append_char(sb, '(');
        for (size_t i = 0; i < e->call.nargs; i++) {
            if (i)
                gm_sb_append(sb, ", ");
            put_cond(sb, e->call.args[i], 2);
        }
        gm_sb_append_char(sb, ')');
        break;
    case GM_QX_OF_MODEL:
        gm_sb_append(sb, "IS_OF_MODEL(");
        if (e->of_model.alias) {
            put_ident(sb, e->of_model.alias, true);
            gm_sb_append(sb, ", ");
        }
        put_string(sb, e->of_model.model, strlen(e->of_model.model));
        if (e->of_model.exact)
            gm_sb_append(sb, ", exact");
        gm_sb_append_char(sb, ')');
        break;
    }
    if (paren)
        gm_sb_append_char(sb, ')');
}

int gm_query_format_expr(const gm_query_expr *e, gm_sb *sb)
{
    put_cond(sb, e, 0);
    return gm_sb_error(sb);
}

static void put_rel(gm_sb *sb, const gm_query_rel *r)
{
    gm_sb_append(sb, r->dir == GM_QDIR_LEFT ? "<-[" : "-[");
    if (r->alias)
        put_ident(sb, r->alias, true);
    for (size_t i = 0; i < r->nnames; i++) {
        gm_sb_append_char(sb, i ? '|' : ':');
        put_ident(sb, r->names[i], false);
    }
    switch (r->hops) {
    case GM_QHOPS_ONE: break;
    case GM_QHOPS_ANY: gm_sb_append_char(sb, '*'); break;
    case GM_QHOPS_EXACT: gm_sb_appendf(sb, "*%u", (unsigned)r->lo); break;
    case GM_QHOPS_RANGE: gm_sb_appendf(sb, "*%u..%u", (unsigned)r->lo, (unsigned)r->hi); break;
    case GM_QHOPS_UPTO: gm_sb_appendf(sb, "*..%u", (unsigned)r->hi); break;
    }
    gm_sb_append(sb, r->dir == GM_QDIR_RIGHT ? "]->" : "]-");
}

int gm_query_format(const gm_query *q, gm_sb *sb)
{
    gm_sb_append(sb, "SELECT ");
    if (q->top)
        gm_sb_appendf(sb, "TOP(%lld) ", (long long)q->top);
    switch (q->select) {
    case GM_QSEL_STAR:
        if (!q->top)
            gm_sb_append(sb, "* ");
        break;
    case GM_QSEL_COUNT: gm_sb_append(sb, "COUNT() "); break;
    case GM_QSEL_LIST:
        for (size_t i = 0; i < q->nproj; i++) {
            if (i)
                gm_sb_append(sb, ", ");
            put_path(sb, &q->proj[i].path);
            if (q->proj[i].as) {
                gm_sb_append(sb, " AS ");
                put_ident(sb, q->proj[i].as, true);
            }
        }
        gm_sb_append_char(sb, ' ');
        break;
    }
    gm_sb_append(sb, q->from == GM_QFROM_RELATIONSHIPS ? "FROM RELATIONSHIPS"
                                                       : "FROM DIGITALTWINS");
    if (q->from_alias) {
        gm_sb_append_char(sb, ' ');
        put_ident(sb, q->from_alias, true);
    }
    for (size_t i = 0; i < q->njoins; i++) {
        const gm_query_join *j = &q->joins[i];
        gm_sb_append(sb, " JOIN ");
        put_ident(sb, j->target, true);
        gm_sb_append(sb, " RELATED ");
        put_ident(sb, j->source, true);
        gm_sb_append_char(sb, '.');
        put_ident(sb, j->rel, false);
        if (j->rel_alias) {
            gm_sb_append_char(sb, ' ');
            put_ident(sb, j->rel_alias, true);
        }
    }
    if (q->match) {
        gm_sb_append(sb, " MATCH ");
        for (size_t i = 0; i < q->match->nnodes; i++) {
            if (i)
                put_rel(sb, &q->match->rels[i - 1]);
            gm_sb_append_char(sb, '(');
            if (q->match->nodes[i].alias)
                put_ident(sb, q->match->nodes[i].alias, true);
            gm_sb_append_char(sb, ')');
        }
    }
    if (q->where) {
        gm_sb_append(sb, " WHERE ");
        put_cond(sb, q->where, 0);
    }
    return gm_sb_error(sb);
}
