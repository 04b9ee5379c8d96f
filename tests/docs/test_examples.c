/*
 * test_examples.c: every example in the docs/ pages runs as written (issue 18:
 * "Docs that differ from what the program does"). One cmocka test per page.
 *
 * The conventions a page follows are in docs/development.md ("Examples in
 * the docs"); in short, by the fenced block's info string:
 *
 *   console, sh   `$ ` lines are commands, the lines after one its expected
 *                 output (stdout and stderr), `[exit N]` its exit status;
 *                 an sh block with no `$ ` line is a script that must exit 0
 *   c             a whole program (has main): compiled against libgemel.a
 *                 and run; a block marked <!-- output --> after it is what
 *                 it must print
 *   json          one JSON value, or one per line
 *   xml           well-formed XML
 *   sql           one query a line, run on the example plant; a
 *                 `-- returns: ROW, ROW` line after one is what it returns
 *   (none), text  prose, never run (but a `$ ` line makes it an error)
 *
 * An HTML comment on the line before a fence qualifies the block:
 * <!-- not run: REASON --> skips it (the reason is required, and printed),
 * <!-- file: NAME --> says the block is the file NAME (a shipped
 * examples/ file must equal it; any other is written into the working
 * directory for the page's later blocks), <!-- output --> is described
 * above.
 *
 * Each page runs in a scratch directory of its own: work/ is the working
 * directory (a copy of examples/, src/ and build/release/ linked to the
 * sources and to this build), `gemel` on PATH is this build's program, and
 * /tmp/ in a command is the page's own tmp/, written back as /tmp/ in the
 * output. The blocks of a page run in order and share both, as they would
 * for a reader following the page in one terminal. ../shared is linked as
 * it is beside the sources; where it is not, blocks that need it are not
 * run and the page is a skip (GM_TEST_SKIP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/sb.h"
#include "base/xml.h"

#define DOCS GEMEL_SOURCE_DIR "/docs"
#define MAX_FILE (4u << 20) /* a docs page or a command's output */

/* --- small helpers ----------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* sb as a C string the caller owns. */
static char *sb_take(gm_sb *sb)
{
    assert_int_equal(gm_sb_error(sb), 0);
    char *s = gm_sb_take(sb);
    assert_non_null(s);
    return s;
}

/* A copy of s with every occurrence of from replaced by to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    gm_sb sb = GM_SB_INIT;
    size_t fl = strlen(from);
    for (const char *hit; (hit = strstr(s, from)) != NULL; s = hit + fl) {
        gm_sb_append_n(&sb, s, (size_t)(hit - s));
        gm_sb_append(&sb, to);
    }
    gm_sb_append(&sb, s);
    return sb_take(&sb);
}

/* s quoted for the shell, in single quotes. */
static void sb_shell_quote(gm_sb *sb, const char *s)
{
    gm_sb_append_char(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            gm_sb_append(sb, "'\\''");
        else
            gm_sb_append_char(sb, *s);
    }
    gm_sb_append_char(sb, '\'');
}

static char *read_file(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    gm_err err;
    if (gm_file_read(path, MAX_FILE, &buf, &len, &err) != 0)
        return NULL;
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    gm_sb cmd = GM_SB_INIT;
    va_list ap;
    va_start(ap, fmt);
    gm_sb_vappendf(&cmd, fmt, ap);
    va_end(ap);
    int st = system(gm_sb_str(&cmd));
    if (st != 0)
        fail_msg("'%s' failed (status %d)", gm_sb_str(&cmd), st);
    gm_sb_free(&cmd);
}

/* Lines of text without their '\n', trailing spaces and trailing empty
   lines (neither is compared). */
typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void lines_push(lines *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    l->v[l->n++] = xstrndup(s, n);
}

static void lines_trim(lines *l)
{
    while (l->n && l->v[l->n - 1][0] == '\0')
        free(l->v[--l->n]);
}

static lines lines_split(const char *text)
{
    lines l = {0};
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        lines_push(&l, text, n);
        text += n + (nl != NULL);
    }
    lines_trim(&l);
    return l;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (lines){0};
}

/* --- volatile fields ----------------------------------------------------- */

/* What differs from run to run or machine to machine, masked as '#' in both
   the expected and the actual output (docs/development.md lists them):
   group 1 of each pattern is the volatile part. */
static const char *const volatile_patterns[] = {
    "in ([0-9][0-9.]*) s\\b",                         /* elapsed: "in 0.173 s" */
    "([0-9][0-9.]*( [kMG])?) events/s",               /* rates: "11.59 M events/s" */
    "\"wall_seconds\": ?([0-9][0-9.e+-]*)",           /* the same in --json */
    "\\b([0-9]+) threads?\\b",                        /* one per CPU by default */
    "\"threads\": ?([0-9]+)",
    "\\bts=([^ ]+)",                                  /* log record times */
    "\"time\": ?([0-9]+)",                            /* change events' wall clock */
    "[lL]astUpdateTime\": ?\"([^\"]+)\"",             /* twins' metadata stamps */
};
#define N_VOLATILE (sizeof volatile_patterns / sizeof *volatile_patterns)
static regex_t volatile_re[N_VOLATILE];

static void volatile_compile(void)
{
    static bool done;
    if (done)
        return;
    for (size_t i = 0; i < N_VOLATILE; i++)
        if (regcomp(&volatile_re[i], volatile_patterns[i], REG_EXTENDED) != 0)
            fail_msg("bad pattern %s", volatile_patterns[i]);
    done = true;
}

static char *mask(const char *line)
{
    char *s = xstrdup(line);
    for (size_t i = 0; i < N_VOLATILE; i++) {
        gm_sb out = GM_SB_INIT;
        const char *p = s;
        regmatch_t m[2];
        int flags = 0;
        while (*p && regexec(&volatile_re[i], p, 2, m, flags) == 0 && m[0].rm_eo > 0) {
            gm_sb_append_n(&out, p, (size_t)m[1].rm_so);
            gm_sb_append_char(&out, '#');
            gm_sb_append_n(&out, p + m[1].rm_eo, (size_t)(m[0].rm_eo - m[1].rm_eo));
            p += m[0].rm_eo;
            flags = REG_NOTBOL;
        }
        gm_sb_append(&out, p);
        free(s);
        s = sb_take(&out);
    }
    return s;
}

/* --- comparing output ---------------------------------------------------- */

/* want matches got, where "..." in want matches any run of characters. */
static bool glob_line(const char *want, const char *got)
{
    const char *dots = strstr(want, "...");
    if (!dots)
        return strcmp(want, got) == 0;
    size_t lead = (size_t)(dots - want);
    if (strncmp(want, got, lead) != 0)
        return false;
    for (const char *g = got + lead;; g++) {
        if (glob_line(dots + 3, g))
            return true;
        if (!*g)
            return false;
    }
}

/* want matches got: a line "..." (indented or not) matches any number of
   lines. */
static bool match_lines(char **want, size_t nw, char **got, size_t ng)
{
    if (nw == 0)
        return ng == 0;
    if (strcmp(want[0] + strspn(want[0], " "), "...") == 0) {
        for (size_t k = 0; k <= ng; k++)
            if (match_lines(want + 1, nw - 1, got + k, ng - k))
                return true;
        return false;
    }
    return ng > 0 && glob_line(want[0], got[0]) && match_lines(want + 1, nw - 1, got + 1, ng - 1);
}

static bool output_matches(const lines *want, const lines *got)
{
    lines w = {0}, g = {0};
    for (size_t i = 0; i < want->n; i++) {
        char *m = mask(want->v[i]);
        lines_push(&w, m, strlen(m));
        free(m);
    }
    for (size_t i = 0; i < got->n; i++) {
        char *m = mask(got->v[i]);
        lines_push(&g, m, strlen(m));
        free(m);
    }
    bool ok = match_lines(w.v, w.n, g.v, g.n);
    lines_free(&w);
    lines_free(&g);
    return ok;
}

/* --- a page and its blocks ------------------------------------------------ */

typedef struct block {
    int line;      /* of the opening fence, from 1 */
    char lang[32]; /* the info string's first word; "" when none */
    char *marker;  /* the HTML comment on the line before the fence, inside; or NULL */
    lines body;    /* the block's lines, the fence's indentation removed */
} block;

typedef struct page {
    const char *name; /* "twins.md" */
    char root[64];    /* the scratch directory */
    char work[128], tmp[128], run[128], bin[128];
    char plant[128];  /* the example plant the sql blocks query; "" until made */
    gm_sb failures;   /* one line each */
    int failed, ran, skipped;
    bool have_shared; /* ../shared is beside the sources */
    int no_shared;    /* blocks that need it, skipped because it is not */
} page;

static void page_fail(page *pg, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void page_fail(page *pg, int line, const char *fmt, ...)
{
    gm_sb_appendf(&pg->failures, "docs/%s:%d: ", pg->name, line);
    va_list ap;
    va_start(ap, fmt);
    gm_sb_vappendf(&pg->failures, fmt, ap);
    va_end(ap);
    gm_sb_append_char(&pg->failures, '\n');
    pg->failed++;
}

/* The marker text between "<!--" and "-->" of a line that is only that. */
static char *marker_of(const char *line)
{
    while (*line == ' ')
        line++;
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        n--;
    if (n < 7 || strncmp(line, "<!--", 4) != 0 || strncmp(line + n - 3, "-->", 3) != 0)
        return NULL;
    const char *b = line + 4, *e = line + n - 3;
    while (b < e && *b == ' ')
        b++;
    while (e > b && e[-1] == ' ')
        e--;
    return xstrndup(b, (size_t)(e - b));
}

/* Split a page into its fenced blocks. */
static block *page_blocks(const char *text, size_t *count)
{
    lines all = lines_split(text);
    block *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < all.n; i++) {
        const char *l = all.v[i];
        size_t indent = strspn(l, " ");
        if (strncmp(l + indent, "```", 3) != 0)
            continue;
        v = realloc(v, (n + 1) * sizeof *v);
        assert_non_null(v);
        block *b = &v[n++];
        *b = (block){.line = (int)i + 1};
        const char *info = l + indent + 3;
        size_t wl = strcspn(info, " \t{");
        snprintf(b->lang, sizeof b->lang, "%.*s", (int)wl, info);
        b->marker = i > 0 ? marker_of(all.v[i - 1]) : NULL;
        for (i++; i < all.n; i++) {
            const char *c = all.v[i];
            size_t ci = strspn(c, " ");
            if (strncmp(c + ci, "```", 3) == 0 && c[ci + 3 + strspn(c + ci + 3, " ")] == '\0')
                break;
            lines_push(&b->body, c + (ci < indent ? ci : indent), strlen(c + (ci < indent ? ci : indent)));
        }
        if (i == all.n)
            fail_msg("docs: a block at line %d is never closed", b->line);
    }
    lines_free(&all);
    *count = n;
    return v;
}

static void blocks_free(block *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].marker);
        lines_free(&v[i].body);
    }
    free(v);
}

/* --- running commands ------------------------------------------------------ */

typedef struct command {
    int line;      /* where it is written */
    char *text;    /* as written */
    lines want;    /* expected output */
    bool check;    /* compare the output (false: only the status) */
    int status;    /* expected exit status */
} command;

/* /tmp/ in a command is the page's private tmp. */
static char *localise(const page *pg, const char *text)
{
    char to[160];
    snprintf(to, sizeof to, "%s/", pg->tmp);
    return replace_all(text, "/tmp/", to);
}

/* Run the commands in order in one bash, in the working directory, each
   one's stdout and stderr captured together; compare each with what the
   page shows. */
static void run_commands(page *pg, command *cmds, size_t n)
{
    gm_sb script = GM_SB_INIT;
    gm_sb_appendf(&script,
                  "export PATH='%s':\"$PATH\" GEMEL_NO_PROGRESS=1 LC_ALL=C.UTF-8\n"
                  "unset GEMEL_LOG_LEVEL\n"
                  "cd '%s' || exit 99\n"
                  "exec </dev/null\n",
                  pg->bin, pg->work);
    for (size_t i = 0; i < n; i++) {
        char *text = localise(pg, cmds[i].text);
        gm_sb_appendf(&script, "{\n%s\n} >'%s/out.%zu' 2>&1; echo $? >'%s/status.%zu'\n", text,
                      pg->run, i, pg->run, i);
        free(text);
    }
    char path[192];
    snprintf(path, sizeof path, "%s/script.sh", pg->run);
    write_file(path, gm_sb_str(&script));
    gm_sb_free(&script);
    sh("rm -f '%s'/out.* '%s'/status.*", pg->run, pg->run);
    gm_sb cmd = GM_SB_INIT;
    gm_sb_append(&cmd, "bash --noprofile --norc ");
    sb_shell_quote(&cmd, path);
    if (system(gm_sb_str(&cmd)) == -1)
        fail_msg("cannot run bash");
    gm_sb_free(&cmd);

    char back[160];
    snprintf(back, sizeof back, "%s/", pg->tmp);
    for (size_t i = 0; i < n; i++) {
        command *c = &cmds[i];
        pg->ran++;
        char file[192];
        snprintf(file, sizeof file, "%s/status.%zu", pg->run, i);
        char *status = read_file(file);
        if (!status) {
            page_fail(pg, c->line, "'%s' did not finish (the shell stopped before it)", c->text);
            continue;
        }
        int got = atoi(status);
        free(status);
        snprintf(file, sizeof file, "%s/out.%zu", pg->run, i);
        char *raw = read_file(file);
        char *out = replace_all(raw ? raw : "", back, "/tmp/");
        free(raw);
        lines actual = lines_split(out);
        bool same = !c->check || output_matches(&c->want, &actual);
        if (got != c->status || !same) {
            gm_sb why = GM_SB_INIT;
            gm_sb_appendf(&why, "'%s': ", c->text);
            if (got != c->status)
                gm_sb_appendf(&why, "exit status %d, expected %d; ", got, c->status);
            if (!same) {
                gm_sb_append(&why, "the output differs; expected:");
                for (size_t k = 0; k < c->want.n; k++)
                    gm_sb_appendf(&why, "\n    | %s", c->want.v[k]);
                gm_sb_append(&why, "\n  got:");
            } else {
                gm_sb_append(&why, "it printed:");
            }
            for (size_t k = 0; k < actual.n && k < 60; k++)
                gm_sb_appendf(&why, "\n    | %s", actual.v[k]);
            if (actual.n > 60)
                gm_sb_appendf(&why, "\n    | (%zu more lines)", actual.n - 60);
            page_fail(pg, c->line, "%s", gm_sb_str(&why));
            gm_sb_free(&why);
        }
        lines_free(&actual);
        free(out);
    }
}

static void commands_free(command *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(cmds[i].text);
        lines_free(&cmds[i].want);
    }
    free(cmds);
}

/* A block of `$ ` commands and their output. */
static void run_session(page *pg, const block *b)
{
    command *cmds = NULL;
    size_t n = 0;
    for (size_t i = 0; i < b->body.n;) {
        const char *l = b->body.v[i];
        if (strncmp(l, "$ ", 2) != 0) {
            page_fail(pg, b->line + 1 + (int)i, "'%s': output before any command (a command starts with '$ ')", l);
            break;
        }
        cmds = realloc(cmds, (n + 1) * sizeof *cmds);
        assert_non_null(cmds);
        command *c = &cmds[n++];
        *c = (command){.line = b->line + 1 + (int)i, .check = true};
        gm_sb text = GM_SB_INIT;
        gm_sb_append(&text, l + 2);
        for (i++; text.len && gm_sb_str(&text)[text.len - 1] == '\\' && i < b->body.n; i++) {
            gm_sb_append_char(&text, '\n');
            gm_sb_append(&text, b->body.v[i]);
        }
        c->text = sb_take(&text);
        for (; i < b->body.n && strncmp(b->body.v[i], "$ ", 2) != 0; i++)
            lines_push(&c->want, b->body.v[i], strlen(b->body.v[i]));
        lines_trim(&c->want);
        int code;
        char extra;
        if (c->want.n && sscanf(c->want.v[c->want.n - 1], "[exit %d]%c", &code, &extra) == 1) {
            c->status = code;
            free(c->want.v[--c->want.n]);
            lines_trim(&c->want);
        }
    }
    run_commands(pg, cmds, n);
    commands_free(cmds, n);
}

/* An sh block without `$ `: one script, every command must succeed. */
static void run_script(page *pg, const block *b)
{
    gm_sb text = GM_SB_INIT;
    gm_sb_append(&text, "(\nset -e\n");
    for (size_t i = 0; i < b->body.n; i++)
        gm_sb_appendf(&text, "%s\n", b->body.v[i]);
    gm_sb_append(&text, ")");
    command c = {.line = b->line, .text = sb_take(&text)};
    run_commands(pg, &c, 1);
    free(c.text);
}

/* A C program: compiled as docs/base.md says (with this build's sanitizers
   and -Wall -Wextra -Werror), run, its output compared with out if given. */
static void run_program(page *pg, const block *b, const char *file, const block *out)
{
    char src[192];
    snprintf(src, sizeof src, "%s/%s", pg->work, file);
    gm_sb body = GM_SB_INIT;
    for (size_t i = 0; i < b->body.n; i++)
        gm_sb_appendf(&body, "%s\n", b->body.v[i]);
    write_file(src, gm_sb_str(&body));
    gm_sb_free(&body);
    char prog[64];
    snprintf(prog, sizeof prog, "%.*s", (int)strcspn(file, "."), file);
    command c[2] = {{.line = b->line, .check = true}, {.line = b->line, .check = out != NULL}};
    gm_sb cc = GM_SB_INIT;
    gm_sb_appendf(&cc, "%s -std=gnu11 -Wall -Wextra -Werror%s%s -Isrc -Ibuild/release/generated %s "
                       "build/release/libgemel.a $(pkg-config --cflags --libs jansson libxml-2.0 sqlite3) "
                       "-lpthread -lm -o %s",
                  GEMEL_CC, GEMEL_SANITIZE[0] ? " -fsanitize=" : "", GEMEL_SANITIZE, file, prog);
    c[0].text = sb_take(&cc);
    gm_sb run = GM_SB_INIT;
    gm_sb_appendf(&run, "./%s", prog);
    c[1].text = sb_take(&run);
    if (out)
        for (size_t i = 0; i < out->body.n; i++)
            lines_push(&c[1].want, out->body.v[i], strlen(out->body.v[i]));
    run_commands(pg, c, 2);
    for (int i = 0; i < 2; i++) {
        free(c[i].text);
        lines_free(&c[i].want);
    }
}

/* --- JSON, XML and query blocks ----------------------------------------- */

static char *block_text(const block *b)
{
    gm_sb t = GM_SB_INIT;
    for (size_t i = 0; i < b->body.n; i++)
        gm_sb_appendf(&t, "%s\n", b->body.v[i]);
    return sb_take(&t);
}

/* One JSON value, or one a line; NULL and a message if neither. */
static json_t *parse_json(const char *text, char *why, size_t n)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j)
        return j;
    snprintf(why, n, "line %d: %s", je.line, je.text);
    lines l = lines_split(text);
    json_t *arr = json_array();
    for (size_t i = 0; i < l.n; i++) {
        if (!l.v[i][0])
            continue;
        json_t *v = json_loads(l.v[i], JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            json_decref(arr);
            arr = NULL;
            break;
        }
        json_array_append_new(arr, v);
    }
    lines_free(&l);
    return arr;
}

static void check_json(page *pg, const block *b, const char *shipped)
{
    char *text = block_text(b);
    char why[256];
    json_t *j = parse_json(text, why, sizeof why);
    if (!j) {
        page_fail(pg, b->line, "not JSON, nor JSON lines: %s (mark it <!-- not run: why --> if it "
                               "is abbreviated)", why);
    } else if (shipped) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", GEMEL_SOURCE_DIR, shipped);
        json_error_t je;
        json_t *f = json_load_file(path, JSON_DECODE_ANY, &je);
        if (!f)
            page_fail(pg, b->line, "%s: %s", shipped, je.text);
        else if (!json_equal(j, f))
            page_fail(pg, b->line, "the block is not the JSON of %s", shipped);
        json_decref(f);
    }
    json_decref(j);
    free(text);
    pg->ran++;
}

static void check_xml(page *pg, const block *b)
{
    char *text = block_text(b);
    gm_xml *x = NULL;
    gm_err err;
    gm_xml_limits lim = gm_xml_limits_default;
    lim.allow_dtd = true;
    if (gm_xml_load_mem(text, strlen(text), "block", &lim, &x, &err) != 0) {
        char msg[1100];
        page_fail(pg, b->line, "not well-formed XML: %s", gm_err_format(&err, msg, sizeof msg));
    }
    gm_xml_free(x);
    free(text);
    pg->ran++;
}

/* A result row as the `-- returns:` line writes it: a twin by its $dtId;
   otherwise each member's value, a twin by its $dtId, a string bare, any
   other value as JSON, separated by spaces. */
static void sb_row(gm_sb *sb, json_t *row)
{
    if (json_object_get(row, "$metadata")) {
        gm_sb_append(sb, json_string_value(json_object_get(row, "$dtId")));
        return;
    }
    const char *key;
    json_t *v;
    bool first = true;
    json_object_foreach(row, key, v) {
        if (!first)
            gm_sb_append_char(sb, ' ');
        first = false;
        if (json_is_object(v) && json_object_get(v, "$dtId")) {
            gm_sb_append(sb, json_string_value(json_object_get(v, "$dtId")));
        } else if (json_is_string(v)) {
            gm_sb_append(sb, json_string_value(v));
        } else {
            char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            gm_sb_append(sb, d);
            free(d);
        }
    }
}

/* Each query of an sql block runs on the example plant; where a
   `-- returns:` line follows it, its rows must be those. */
static void run_queries(page *pg, const block *b)
{
    if (!pg->plant[0]) {
        snprintf(pg->plant, sizeof pg->plant, "%s/plant", pg->root);
        sh("cd '%s' && '%s' twin import examples/twins/factory.ndjson --data '%s' >/dev/null 2>&1",
           pg->work, GEMEL_BIN, pg->plant);
    }
    for (size_t i = 0; i < b->body.n; i++) {
        const char *q = b->body.v[i];
        if (strncmp(q, "-- returns:", 11) == 0 &&
            (i == 0 || !b->body.v[i - 1][0] || strncmp(b->body.v[i - 1], "--", 2) == 0))
            page_fail(pg, b->line + 1 + (int)i, "a '-- returns:' line belongs right after its query");
        if (!q[0] || strncmp(q, "--", 2) == 0)
            continue;
        int line = b->line + 1 + (int)i;
        const char *want = NULL;
        if (i + 1 < b->body.n && strncmp(b->body.v[i + 1], "-- returns: ", 12) == 0)
            want = b->body.v[i + 1] + 12;
        gm_sb cmd = GM_SB_INIT;
        gm_sb_appendf(&cmd, "'%s' twin query ", GEMEL_BIN);
        sb_shell_quote(&cmd, q);
        gm_sb_appendf(&cmd, " --page-size 1000 --data '%s' 2>&1", pg->plant);
        FILE *p = popen(gm_sb_str(&cmd), "r");
        assert_non_null(p);
        gm_sb out = GM_SB_INIT;
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, p)) > 0)
            gm_sb_append_n(&out, buf, got);
        int st = pclose(p);
        gm_sb_free(&cmd);
        pg->ran++;
        json_error_t je;
        json_t *j = st == 0 ? json_loads(gm_sb_str(&out), 0, &je) : NULL;
        json_t *rows = json_object_get(j, "value");
        if (!json_is_array(rows)) {
            page_fail(pg, line, "'%s' failed: %s", q, gm_sb_str(&out));
        } else if (want) {
            gm_sb have = GM_SB_INIT;
            size_t k;
            json_t *row;
            json_array_foreach(rows, k, row) {
                if (k)
                    gm_sb_append(&have, ", ");
                sb_row(&have, row);
            }
            if (strcmp(gm_sb_str(&have), want) != 0)
                page_fail(pg, line, "'%s' returns %s; the page says %s", q, gm_sb_str(&have), want);
            gm_sb_free(&have);
        }
        json_decref(j);
        gm_sb_free(&out);
    }
}

/* --- one page ------------------------------------------------------------ */

static bool has_main(const block *b)
{
    for (size_t i = 0; i < b->body.n; i++)
        if (strstr(b->body.v[i], "int main("))
            return true;
    return false;
}

static bool has_session(const block *b)
{
    for (size_t i = 0; i < b->body.n; i++)
        if (strncmp(b->body.v[i], "$ ", 2) == 0)
            return true;
    return false;
}

/* NAME of a "file: NAME" marker, or NULL. */
static const char *file_marker(const block *b)
{
    return b->marker && strncmp(b->marker, "file:", 5) == 0 ? b->marker + 5 + strspn(b->marker + 5, " ")
                                                              : NULL;
}

static void page_setup(page *pg)
{
    snprintf(pg->root, sizeof pg->root, "/tmp/gemel-docs-XXXXXX");
    assert_non_null(mkdtemp(pg->root));
    snprintf(pg->work, sizeof pg->work, "%s/work", pg->root);
    snprintf(pg->tmp, sizeof pg->tmp, "%s/tmp", pg->root);
    snprintf(pg->run, sizeof pg->run, "%s/run", pg->root);
    snprintf(pg->bin, sizeof pg->bin, "%s/bin", pg->root);
    /* the program sits at the top of its build directory, beside libgemel.a
       and generated/: that directory stands for build/release */
    char bindir[512];
    snprintf(bindir, sizeof bindir, "%s", GEMEL_BIN);
    *strrchr(bindir, '/') = '\0';
    sh("cd '%s' && mkdir work tmp run bin work/build && cp -R '%s/examples' work/ && "
       "ln -s '%s/src' work/src && ln -s '%s' work/build/release && ln -s '%s' bin/gemel",
       pg->root, GEMEL_SOURCE_DIR, GEMEL_SOURCE_DIR, bindir, GEMEL_BIN);
    /* ../shared beside the working directory, as beside the sources */
    char shared[512];
    snprintf(shared, sizeof shared, "%s/../shared", GEMEL_SOURCE_DIR);
    struct stat st;
    pg->have_shared = stat(shared, &st) == 0;
    if (pg->have_shared)
        sh("ln -s '%s' '%s/shared'", shared, pg->root);
}

static bool mentions(const block *b, const char *what)
{
    for (size_t i = 0; i < b->body.n; i++)
        if (strstr(b->body.v[i], what))
            return true;
    return false;
}

static double seconds_since(struct timespec t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9;
}

static void run_page(void **state)
{
    page pg = {.name = *state};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile_compile();
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DOCS, pg.name);
    char *text = read_file(path);
    assert_non_null(text);
    size_t n;
    block *blocks = page_blocks(text, &n);
    free(text);
    page_setup(&pg);

    for (size_t i = 0; i < n; i++) {
        block *b = &blocks[i];
        const char *file = file_marker(b);
        if (b->marker && strncmp(b->marker, "not run:", 8) == 0) {
            if (!b->marker[8 + strspn(b->marker + 8, " ")])
                page_fail(&pg, b->line, "'not run:' needs a reason");
            printf("docs/%s:%d: not run: %s\n", pg.name, b->line,
                   b->marker + 8 + strspn(b->marker + 8, " "));
            pg.skipped++;
            continue;
        }
        if (!pg.have_shared && mentions(b, "../shared")) {
            printf("docs/%s:%d: not run here: it needs ../shared\n", pg.name, b->line);
            pg.no_shared++;
            continue;
        }
        if (b->marker && strcmp(b->marker, "output") == 0) {
            /* taken with the program before it */
            if (i == 0 || strcmp(blocks[i - 1].lang, "c") != 0 || !has_main(&blocks[i - 1]) ||
                (blocks[i - 1].marker && strncmp(blocks[i - 1].marker, "not run:", 8) == 0))
                page_fail(&pg, b->line, "an <!-- output --> block must follow a C program that runs");
            continue;
        }
        if (b->marker && !file)
            page_fail(&pg, b->line, "unknown marker '<!-- %s -->' (expected not run: REASON, file: "
                                    "NAME or output)", b->marker);
        bool shipped = file && strncmp(file, "examples/", 9) == 0;
        if (file && !shipped) {
            if (strstr(file, "..") || file[0] == '/')
                page_fail(&pg, b->line, "file: '%s' must be a name inside the working directory", file);
            char dst[512];
            snprintf(dst, sizeof dst, "%s/%s", pg.work, file);
            char *body = block_text(b);
            write_file(dst, body);
            free(body);
        }
        const char *lang = b->lang;
        if (strcmp(lang, "console") == 0 || ((strcmp(lang, "sh") == 0 || strcmp(lang, "bash") == 0) &&
                                             has_session(b))) {
            run_session(&pg, b);
        } else if (strcmp(lang, "sh") == 0 || strcmp(lang, "bash") == 0) {
            run_script(&pg, b);
        } else if (strcmp(lang, "c") == 0) {
            if (!has_main(b)) {
                page_fail(&pg, b->line, "a C fragment: make it a whole program (with main), or mark "
                                        "it <!-- not run: why -->");
                continue;
            }
            const block *out = i + 1 < n && blocks[i + 1].marker &&
                                       strcmp(blocks[i + 1].marker, "output") == 0
                                   ? &blocks[i + 1]
                                   : NULL;
            run_program(&pg, b, file ? file : "example.c", out);
        } else if (strcmp(lang, "json") == 0) {
            check_json(&pg, b, shipped ? file : NULL);
        } else if (strcmp(lang, "xml") == 0) {
            check_xml(&pg, b);
        } else if (strcmp(lang, "sql") == 0) {
            run_queries(&pg, b);
        } else if (lang[0] == '\0' || strcmp(lang, "text") == 0) {
            if (has_session(b))
                page_fail(&pg, b->line, "a block of '$ ' commands without a tag: tag it ```console "
                                        "to run it, or mark it <!-- not run: why -->");
        } else {
            page_fail(&pg, b->line, "unknown block type '%s' (mark it <!-- not run: why -->)", lang);
        }
        if (shipped && strcmp(lang, "json") != 0) {
            char src[512];
            snprintf(src, sizeof src, "%s/%s", GEMEL_SOURCE_DIR, file);
            char *want = read_file(src), *have = block_text(b);
            if (!want || strcmp(want, have) != 0)
                page_fail(&pg, b->line, "the block is not the text of %s", file);
            free(want);
            free(have);
        }
    }
    blocks_free(blocks, n);
    sh("rm -rf '%s'", pg.root);

    /* cmocka's messages are cut at a few hundred bytes: these are longer */
    char *failures = sb_take(&pg.failures);
    printf("%sdocs/%s: %d examples run, %d not run, %d failed, %.1f s\n", failures, pg.name, pg.ran,
           pg.skipped, pg.failed, seconds_since(t0));
    fflush(stdout);
    free(failures);
    if (pg.failed)
        fail_msg("docs/%s: %d examples fail (above)", pg.name, pg.failed);
    if (pg.no_shared)
        GM_TEST_SKIP("docs/%s: %d blocks need ../shared, which is not beside the sources", pg.name,
                     pg.no_shared);
}

/* The comparison rules themselves, on output whose answer is known: a rule
   that matched too much would let every page pass. */
static bool matches(const char *want, const char *got)
{
    lines w = lines_split(want), g = lines_split(got);
    bool ok = output_matches(&w, &g);
    lines_free(&w);
    lines_free(&g);
    return ok;
}

static void test_matching(void **state)
{
    (void)state;
    volatile_compile();
    assert_true(matches("a\nb\n", "a\nb\n"));
    assert_true(matches("a\nb", "a  \nb\n\n")); /* trailing spaces and empty lines */
    assert_false(matches("a\nb\n", "a\nc\n"));
    assert_false(matches("a\n", "a\nb\n"));
    assert_false(matches("a\nb\n", "a\n"));
    assert_false(matches(" a\n", "a\n")); /* leading spaces count */
    /* "..." lines: any number of lines, none included */
    assert_true(matches("a\n...\nd\n", "a\nb\nc\nd\n"));
    assert_true(matches("a\n...\nd\n", "a\nd\n"));
    assert_true(matches("a\n  ...\n", "a\nb\n"));
    assert_false(matches("a\n...\nd\n", "a\nb\nc\n"));
    assert_false(matches("...\nb\n...\nd\n", "a\nd\nb\n"));
    /* "..." inside a line: any run of characters in that line only */
    assert_true(matches("gemel: ...: expected number\n", "gemel: x.json: expected number\n"));
    assert_true(matches("a...b...c\n", "abc\n"));
    assert_false(matches("a...c\n", "ab\nc\n"));
    assert_false(matches("x: ...!\n", "x: y\n"));
    /* volatile fields, and nothing else */
    assert_true(matches("2000015 events in 0.173 s (11.59 M events/s)\n",
                        "2000015 events in 12.5 s (950.2 k events/s)\n"));
    assert_false(matches("2000015 events in 0.173 s (11.59 M events/s)\n",
                         "2000016 events in 0.173 s (11.59 M events/s)\n"));
    assert_true(matches("10 replications, seed 1, 2 threads: 1.02 M events in 0.06 s\n",
                        "10 replications, seed 1, 8 threads: 1.02 M events in 1.5 s\n"));
    assert_false(matches("10 replications, seed 1, 2 threads\n", "10 replications, seed 2, 2 threads\n"));
    assert_true(matches("ts=2026-11-22T03:00:00.000Z level=info msg=x\n",
                        "ts=2026-12-07T22:27:01.534Z level=info msg=x\n"));
    assert_false(matches("ts=2026-11-22T03:00:00.000Z level=info msg=x\n",
                         "ts=2026-12-07T22:27:01.534Z level=warn msg=x\n"));
    assert_true(matches("{\"seq\":26,\"time\":1763800000000000000}\n", "{\"seq\":26,\"time\":17}\n"));
    assert_false(matches("{\"seq\":26,\"time\":1763800000000000000}\n", "{\"seq\":27,\"time\":17}\n"));
    assert_true(matches("\"$lastUpdateTime\": \"2026-11-22T07:00:00.000000000Z\",\n",
                        "\"$lastUpdateTime\": \"2026-12-07T22:32:44.457071446Z\",\n"));
    assert_true(matches("{\"threads\": 2, \"wall_seconds\": 1.23}\n", "{\"threads\": 1, \"wall_seconds\": 0.0007}\n"));
    assert_false(matches("in 3 s\n", "in 3 h\n"));
}

/* How a query row reads in a `-- returns:` line. */
static void test_rows(void **state)
{
    (void)state;
    const char *rows[][2] = {
        {"{\"$dtId\": \"press-1\", \"$metadata\": {}, \"state\": \"IDLE\"}", "press-1"},
        {"{\"$dtId\": \"press-1\", \"s\": \"IDLE\"}", "press-1 IDLE"},
        {"{\"L\": {\"$dtId\": \"line-1\", \"$metadata\": {}}, \"M\": {\"$dtId\": \"press-1\"}}", "line-1 press-1"},
        {"{\"COUNT\": 8}", "8"},
        {"{\"v\": [1, 2], \"b\": true}", "[1,2] true"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *row = json_loads(rows[i][0], JSON_PRESERVE_ORDER, NULL);
        assert_non_null(row);
        gm_sb sb = GM_SB_INIT;
        sb_row(&sb, row);
        assert_string_equal(gm_sb_str(&sb), rows[i][1]);
        gm_sb_free(&sb);
        json_decref(row);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    DIR *d = opendir(DOCS);
    if (!d) {
        fprintf(stderr, "SKIP: %s is not there\n", DOCS);
        return GM_TEST_SKIP_CODE;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l > 3 && strcmp(e->d_name + l - 3, ".md") == 0) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    struct CMUnitTest *tests = calloc(n + 2, sizeof *tests);
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_matching);
    tests[1] = (struct CMUnitTest)cmocka_unit_test(test_rows);
    for (size_t i = 0; i < n; i++)
        tests[i + 2] = (struct CMUnitTest){.name = names[i], .test_func = run_page, .initial_state = names[i]};
    int failed = _cmocka_run_group_tests("docs_examples", tests, n + 2, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return gm_test_result(failed);
}
