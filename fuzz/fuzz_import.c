/*
 * fuzz_import.c: libFuzzer target for the bulk import (engine/import.h).
 *
 * The first byte chooses the options (bit 0: keep_going; bit 1: two
 * requests in flight instead of 4096, so that the ring is reused); the
 * rest is the import file. Each input is imported into a fresh engine in a
 * new data directory (under $TMPDIR, /dev/shm when there is one: no disk
 * syncs), and what must always hold is checked:
 *   - the import returns 0 when no line was bad, GM_EINVAL when some were
 *     (err: the first, "NAME:LINE", or "NAME:LINE:COLUMN" for a line that
 *     is not JSON), nothing else;
 *   - bad lines are reported in line order, each with a one-line, valid
 *     UTF-8 message; without keep_going, at most one;
 *   - the engine applied exactly the accepted requests: its sequence number
 *     is the models' one event plus the twins and relationships counted,
 *     so nothing was applied in part or behind a refused line;
 *   - the graph holds at most the twins and relationships accepted.
 *
 * Build with the fuzz preset (make fuzz); seeds in fuzz/seeds/import.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"

#include "engine/engine.h"
#include "engine/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    size_t n;
    unsigned long last;
} seen;

static unsigned long line_of(const char *where)
{
    /* "<fuzz>:LINE" or "<fuzz>:LINE:COLUMN", both from 1 */
    if (strncmp(where, "<fuzz>:", 7))
        abort();
    char *end;
    unsigned long line = strtoul(where + 7, &end, 10);
    if (line == 0 || end == where + 7)
        abort();
    if (*end == ':') {
        const char *col = end + 1;
        if (strtoul(col, &end, 10) == 0 || end == col)
            abort();
    }
    if (*end)
        abort();
    return line;
}

static void check_msg(const gm_err *e)
{
    if (e->code >= 0 || !e->what[0] || !valid_utf8(e->where) || !valid_utf8(e->what))
        abort();
    for (const char *p = e->what; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
}

static void on_error(void *ctx, const gm_err *e)
{
    seen *s = ctx;
    check_msg(e);
    unsigned long line = line_of(e->where);
    /* in line order (a refused Models section is reported where it ends,
       which may be a bad line of its own) */
    if (line < s->last)
        abort();
    s->last = line;
    s->n++;
}

typedef struct counts {
    size_t twins, rels;
} counts;

static int count(void *ctx, const gm_twin_graph *g, const gm_model_registry *m)
{
    (void)m;
    counts *c = ctx;
    c->twins = gm_twin_graph_twins(g);
    c->rels = gm_twin_graph_relationships(g);
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    char path[512];
    while ((ent = readdir(d))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool keep = data[0] & 1;
    size_t in_flight = data[0] & 2 ? 2 : 0;
    FILE *in = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "rb");
    if (!in)
        return 0;
    if (size == 1)
        fgetc(in); /* fmemopen needs a byte: read it, the input is empty */

    char dir[256];
    struct stat st;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/gemel-fuzz-import-XXXXXX",
             tmp ? tmp : stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    gm_engine_opts eo = {.dir = dir};
    gm_err err;
    gm_err_clear(&err);
    gm_engine *e = gm_engine_open(&eo, &err);
    if (!e)
        abort();

    seen s = {0, 0};
    gm_engine_import_opts o = {.name = "<fuzz>", .keep_going = keep, .in_flight = in_flight,
                               .on_error = on_error, .ctx = &s};
    gm_engine_import_result res;
    gm_err_clear(&err);
    int rc = gm_engine_import(e, in, &o, &res, &err);
    fclose(in);

    if (rc != 0 && rc != GM_EINVAL)
        abort();
    if ((rc == 0) != (res.refused == 0) || s.n != res.refused)
        abort();
    if (rc) {
        check_msg(&err);
        if (line_of(err.where) != res.first_bad)
            abort();
    }
    if (!keep && res.refused > 1)
        abort();
    if (res.twins + res.relationships + res.refused > res.lines)
        abort();
    uint64_t events = (res.models ? 1 : 0) + res.twins + res.relationships;
    if (gm_engine_seq(e) != events)
        abort();
    counts c = {0, 0};
    gm_engine_req r = {.op = GM_OP_READ, .read = count, .read_ctx = &c};
    if (gm_engine_call(e, &r) || c.twins > res.twins || c.rels > res.relationships)
        abort();
    if (gm_engine_close(e, NULL))
        abort();
    remove_dir(dir);
    return 0;
}
