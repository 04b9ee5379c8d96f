/*
 * query.h: the Azure Digital Twins (ADT) query language: lexer, parser, AST
 * and canonical printer.
 *
 * gemel's twin graph answers queries written in ADT's query language so that
 * existing queries keep working. This module only turns text into a tree and
 * back; resolving aliases, checking that a MATCH names a $dtId, planning and
 * running are the executor's job. The grammar (keywords case-insensitive,
 * identifiers and property names case-sensitive):
 *
 *   query   := SELECT (TOP '(' int ')')? select FROM source (WHERE cond)?
 *   select  := '*' | COUNT '(' ')' | proj (',' proj)*   -- after TOP, nothing also means '*'
 *   proj    := path (AS ident)?
 *   source  := DIGITALTWINS (AS? ident)? join*           -- at most 5 JOINs
 *            | DIGITALTWINS MATCH pattern
 *            | RELATIONSHIPS (AS? ident)?
 *   join    := JOIN ident RELATED ident '.' name (AS? ident)?
 *   pattern := node (rel node)*                           -- at most 10 conditions
 *   node    := '(' ident? ')'
 *   rel     := ('-' | '<' '-') '[' ident? (':' name ('|' name)*)? hops? ']' ('-' | '-' '>')
 *   hops    := '*' | '*' int | '*' int '..' int | '*' '..' int
 *   cond    := and (OR and)*;   and := not (AND not)*;   not := NOT not | pred
 *   pred    := '(' cond ')' | call | value (cmpop value | (IN | NIN | NOT IN) list)?
 *              -- a value standing alone must be TRUE or FALSE
 *   call    := IS_OF_MODEL '(' (ident ',')? string (',' exact)? ')'
 *            | (IS_DEFINED | IS_NULL | IS_NUMBER | IS_STRING | IS_BOOL | IS_PRIMITIVE
 *               | IS_OBJECT) '(' path ')'
 *            | (STARTSWITH | ENDSWITH | CONTAINS | ARRAY_CONTAINS) '(' value ',' value ')'
 *   value   := path | literal;   list := '[' (literal (',' literal)*)? ']'
 *   path    := ident ('.' name)*;   literal := '-'? number | string | TRUE | FALSE | NULL
 *   cmpop   := '=' | '!=' | '<' | '>' | '<=' | '>='
 *
 * Precedence, loosest first: OR, AND, NOT, comparison/IN. So
 * "NOT a = 1 AND b = 2" is (NOT (a = 1)) AND (b = 2), as in SQL and as ADT's
 * own example "WHERE NOT DT.Temperature < 80" means.
 *
 * Lexical rules. An ident is a letter, '_' or '$' followed by letters,
 * digits and '_' ($dtId, $metadata), and may not be a reserved word (ADT's
 * list plus DIGITALTWINS, RELATIONSHIPS, JOIN, RELATED, MATCH, NIN); a name
 * (after '.', ':' or '|') may be any word, so T.contains and Room.match
 * work. ADT's escape [[...]] turns any text without control characters or
 * "]]" into an ident or name: [[Group]], T.[[weird name]]. Strings are in '
 * or " with the escapes \' \" \\ \/ \b \f \n \r \t \uXXXX (surrogate pairs
 * joined; \u0000 refused; no raw control characters or line breaks).
 * Numbers are decimal integers or reals (1, 2.5, 1e-3); an integer too big
 * for int64 becomes a real. Whitespace is space, tab, CR, LF, FF, VT. The
 * text must be valid UTF-8.
 *
 * Errors are GM_EPARSE (syntax) or GM_ELIMIT (a limit below), with
 * err->where = "query:LINE:COL" (1-based; COL counts characters, not bytes)
 * and a one-line message saying what was found and what was expected:
 * "expected FROM, found 'WHERE'", "unterminated string",
 * "TOP needs a positive integer, found '0'", "unknown function 'IS_FOO'".
 */
#ifndef GM_TWIN_QUERY_H
#define GM_TWIN_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/sb.h"

/* Default limits: ADT's service limits where it has one. */
#define GM_QUERY_MAX_CHARS 8000  /* characters of query text (ADT's limit) */
#define GM_QUERY_MAX_DEPTH 64    /* height of a WHERE tree; also nested '(' and NOT */
#define GM_QUERY_MAX_LIST 100    /* values in an IN/NIN list (ADT's limit); names in [:a|b] */
#define GM_QUERY_MAX_IDENT 1024  /* bytes of one identifier or name (ADT: property name 1 KB) */
#define GM_QUERY_MAX_JOINS 5     /* JOINs in one query (ADT's limit) */
#define GM_QUERY_MAX_HOPS 10     /* hop bound, and relationship conditions in a MATCH (ADT) */

/* Hard caps on what gm_query_limits may raise the defaults to (stack depth,
   32-bit positions). */
#define GM_QUERY_DEPTH_CAP 256
#define GM_QUERY_CHARS_CAP ((size_t)1 << 24)

/* Limits for one parse; a field left 0 takes the default above. ADT calls
   its own limits adjustable, and a canonical reprint can be longer than its
   input (it adds spaces), hence this knob. */
typedef struct gm_query_limits {
    size_t max_chars;
    unsigned max_depth;
    unsigned max_list;
    unsigned max_ident;
    unsigned max_joins;
    unsigned max_hops;
} gm_query_limits;

/* Where a construct starts in the query text, both 1-based; col counts
   characters. An executor reports its own errors as "query:%u:%u". */
typedef struct gm_query_pos {
    uint32_t line;
    uint32_t col;
} gm_query_pos;

/* A property path: T.name, T.$metadata.$model, $dtId, name. The parser
   cannot tell whether seg[0] is a collection alias or a property of the
   default collection ("SELECT name FROM DIGITALTWINS"): the executor
   resolves it against the FROM/JOIN/MATCH aliases. */
typedef struct gm_query_path {
    size_t n;              /* segments, >= 1 */
    const char *const *seg; /* names as written, escapes removed; NUL-terminated */
    gm_query_pos pos;
} gm_query_path;

typedef enum gm_query_value_kind {
    GM_QV_NULL,
    GM_QV_BOOL,
    GM_QV_INT,    /* an integer literal that fits int64 */
    GM_QV_REAL,   /* any other number (always finite) */
    GM_QV_STRING,
} gm_query_value_kind;

typedef struct gm_query_value {
    gm_query_value_kind kind;
    union {
        bool b;
        int64_t i;
        double r;
        struct {
            const char *s; /* decoded UTF-8, NUL-terminated, no NUL inside */
            size_t len;    /* bytes */
        } str;
    };
} gm_query_value;

typedef enum gm_query_cmp {
    GM_QCMP_EQ, /* = */
    GM_QCMP_NE, /* != */
    GM_QCMP_LT, /* < */
    GM_QCMP_GT, /* > */
    GM_QCMP_LE, /* <= */
    GM_QCMP_GE, /* >= */
} gm_query_cmp;

/* Functions other than IS_OF_MODEL (which has its own node). */
typedef enum gm_query_func {
    GM_QF_IS_DEFINED,    /* (path): the property exists */
    GM_QF_IS_NULL,       /* (path): type checks */
    GM_QF_IS_NUMBER,
    GM_QF_IS_STRING,
    GM_QF_IS_BOOL,
    GM_QF_IS_PRIMITIVE,  /* string, bool, number or null */
    GM_QF_IS_OBJECT,
    GM_QF_STARTSWITH,    /* (value, value): string tests */
    GM_QF_ENDSWITH,
    GM_QF_CONTAINS,
    GM_QF_ARRAY_CONTAINS, /* (value, value): array holds the value */
} gm_query_func;

typedef enum gm_query_expr_kind {
    GM_QX_VALUE,    /* literal: .value */
    GM_QX_PATH,     /* property path: .path */
    GM_QX_CMP,      /* .cmp: lhs op rhs, each a GM_QX_VALUE or GM_QX_PATH */
    GM_QX_IN,       /* .in: operand IN/NIN [values] */
    GM_QX_NOT,      /* .operand: a condition */
    GM_QX_AND,      /* .list: n >= 2 conditions, none itself an AND */
    GM_QX_OR,       /* .list: n >= 2 conditions, none itself an OR */
    GM_QX_CALL,     /* .call: a function of GM_QX_VALUE/GM_QX_PATH arguments */
    GM_QX_OF_MODEL, /* .of_model: IS_OF_MODEL */
} gm_query_expr_kind;

/*
 * A WHERE expression. Conditions (what WHERE, NOT, AND and OR hold) are
 * CMP, IN, NOT, AND, OR, CALL, OF_MODEL, or a boolean VALUE (WHERE true);
 * operands (what CMP, IN and CALL hold) are VALUE or PATH. Parentheses leave
 * no node; AND and OR are n-ary and flattened ("a AND (b AND c)" is one AND
 * of three), so a planner sees a conjunction as one list.
 */
typedef struct gm_query_expr gm_query_expr;
struct gm_query_expr {
    gm_query_expr_kind kind;
    gm_query_pos pos;  /* where the construct starts */
    unsigned height;   /* 1 for a leaf; 1 + the tallest child otherwise */
    union {
        gm_query_value value;
        gm_query_path path;
        struct {
            gm_query_cmp op;
            gm_query_expr *lhs, *rhs;
        } cmp;
        struct {
            bool negated;            /* NIN (or NOT IN) */
            gm_query_expr *operand;
            size_t n;                /* may be 0: IN [] */
            const gm_query_value *values;
        } in;
        gm_query_expr *operand;      /* GM_QX_NOT */
        struct {
            size_t n;
            gm_query_expr *const *items;
        } list;
        struct {
            gm_query_func fn;
            size_t nargs;            /* 1 for the IS_* checks (a PATH), 2 for the others */
            gm_query_expr *const *args;
        } call;
        struct {
            const char *alias; /* NULL when the collection is implied */
            const char *model; /* the model id string as written (not validated) */
            bool exact;        /* "exact": no inherited models */
        } of_model;
    };
};

typedef enum gm_query_select_kind {
    GM_QSEL_STAR,  /* SELECT *, or SELECT TOP(n) with nothing after it */
    GM_QSEL_COUNT, /* SELECT COUNT() */
    GM_QSEL_LIST,  /* SELECT proj, ... */
} gm_query_select_kind;

typedef struct gm_query_proj {
    gm_query_path path; /* a collection (n == 1, an alias) or a property */
    const char *as;     /* AS name, or NULL */
} gm_query_proj;

typedef enum gm_query_collection {
    GM_QFROM_DIGITALTWINS,
    GM_QFROM_RELATIONSHIPS,
} gm_query_collection;

/* JOIN target RELATED source.rel [rel_alias]: target is bound to the twins
   that source's relationships named rel point to. */
typedef struct gm_query_join {
    const char *target;
    const char *source;    /* the FROM alias or an earlier JOIN's target */
    const char *rel;       /* relationship name */
    const char *rel_alias; /* NULL when the relationships are not named */
    gm_query_pos pos;      /* of the JOIN keyword */
} gm_query_join;

typedef enum gm_query_dir {
    GM_QDIR_ANY,   /* (a)-[]-(b): either direction */
    GM_QDIR_RIGHT, /* (a)-[]->(b): a is the source, b the target */
    GM_QDIR_LEFT,  /* (a)<-[]-(b): b is the source, a the target */
} gm_query_dir;

/* How the hop count of a relationship condition was written. */
typedef enum gm_query_hops {
    GM_QHOPS_ONE,   /* no '*': exactly one hop */
    GM_QHOPS_ANY,   /* '*': 1 .. the hop limit */
    GM_QHOPS_EXACT, /* '*n': exactly n */
    GM_QHOPS_RANGE, /* '*n..m': ADT documents the lower bound as exclusive, so n+1 .. m */
    GM_QHOPS_UPTO,  /* '*..m': 1 .. m */
} gm_query_hops;

/* One relationship condition, between nodes[i] and nodes[i + 1]. ADT allows
   an alias only on a single-hop condition; the parser accepts both and
   leaves that rule to the executor. */
typedef struct gm_query_rel {
    gm_query_dir dir;
    const char *alias;          /* NULL when none */
    size_t nnames;              /* 0: any relationship name */
    const char *const *names;   /* [:a|b|c] */
    gm_query_hops hops;         /* as written */
    uint32_t lo, hi;            /* as written: EXACT lo; RANGE lo, hi; UPTO hi; else 0 */
    uint32_t min_hops, max_hops; /* what it means: inclusive, 1 <= min <= max <= hop limit */
    gm_query_pos pos;           /* of the '-' or '<' that starts it */
} gm_query_rel;

typedef struct gm_query_node {
    const char *alias; /* NULL for an anonymous node "()" */
    gm_query_pos pos;
} gm_query_node;

typedef struct gm_query_match {
    size_t nnodes;              /* >= 1 */
    const gm_query_node *nodes;
    const gm_query_rel *rels;   /* nnodes - 1 of them (NULL when 0) */
    gm_query_pos pos;           /* of the MATCH keyword */
} gm_query_match;

/* A parsed query. Everything it points to lives in one arena and stays valid
   until gm_query_free; treat it as read-only. */
typedef struct gm_query {
    int64_t top;                  /* TOP(n), or 0 when there is none */
    gm_query_select_kind select;
    size_t nproj;                 /* GM_QSEL_LIST: >= 1 projections */
    const gm_query_proj *proj;
    gm_query_collection from;
    const char *from_alias;       /* NULL when the collection is not named */
    size_t njoins;                /* DIGITALTWINS only; never with a MATCH */
    const gm_query_join *joins;
    const gm_query_match *match;  /* NULL when there is no MATCH */
    const gm_query_expr *where;   /* NULL when there is no WHERE */
    struct gm_arena *arena;       /* private: owns all of the above */
} gm_query;

/*
 * Parse len bytes of text (not necessarily NUL-terminated; text may be NULL
 * when len is 0) under limits (NULL = the defaults). On success *out owns a
 * new query (gm_query_free). On failure *out is NULL and err (may be NULL)
 * holds where and what: GM_EPARSE for bad syntax or UTF-8, GM_ELIMIT for a
 * limit, GM_ENOMEM; GM_EINVAL (where "") when out is NULL, text is NULL
 * with len > 0, or a limit is above its cap. Never reads past len bytes.
 *
 * Besides the grammar the parser enforces ADT's rules that are plainly about
 * the text: no COUNT() with TOP, no SELECT * with JOIN, no JOIN or MATCH
 * with FROM RELATIONSHIPS, no MATCH after a FROM alias or with JOIN, one
 * MATCH, no empty hop range. Whether aliases exist, and ADT's rules that
 * depend on them (a $dtId filter with JOIN and MATCH), are for the executor.
 */
int gm_query_parse(const char *text, size_t len, const gm_query_limits *limits, gm_query **out,
                   gm_err *err);

/* Free a query and everything it points to. NULL is ignored. */
void gm_query_free(gm_query *q);

/*
 * Append q as canonical text to sb: keywords and function names upper case,
 * one space between tokens and around operators, strings in single quotes,
 * no redundant parentheses or AS, ident escapes only where needed, e.g.
 * "SELECT TOP(5) T.name, R AS rel FROM DIGITALTWINS T JOIN C RELATED
 * T.contains R WHERE T.$dtId IN ['a', 'b'] AND NOT IS_NULL(T.x)".
 * Parsing the result gives the same tree (with the length limit raised if
 * the text grew past it: the output can be longer than the input), so
 * printing is idempotent. Returns gm_sb_error(sb) (GM_OK, GM_ENOMEM or
 * GM_ELIMIT from the builder's limit).
 */
int gm_query_format(const gm_query *q, gm_sb *sb);

/* Append one expression (or operand) in the same canonical form. */
int gm_query_format_expr(const gm_query_expr *e, gm_sb *sb);

/* "IS_DEFINED", "STARTSWITH", ...; "?" for a value out of range. */
const char *gm_query_func_name(gm_query_func fn);

/* "=", "!=", "<", ">", "<=", ">="; "?" for a value out of range. */
const char *gm_query_cmp_name(gm_query_cmp op);

#endif
