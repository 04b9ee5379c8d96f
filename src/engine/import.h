/*
 * import.h: bulk import in the Azure Digital Twins import format, into an
 * engine (`gemel twin import`, and the server's import jobs).
 *
 * The format is NDJSON, one JSON value per line, in sections:
 *
 *   {"Section": "Header"}
 *   {"fileVersion": "1.0.0", "author": "...", "organization": "..."}
 *   {"Section": "Models"}
 *   {DTDL interface}  ...one document a line
 *   {"Section": "Twins"}
 *   {"$dtId": "line-1", "$metadata": {"$model": DTMI}, ...}  ...one twin a line
 *   {"Section": "Relationships"}
 *   {"$dtId": SOURCE, "$relationshipId": ID, "$targetId": ..., "$relationshipName": ...}
 *
 * The Header section comes first, with at most one object; the others
 * follow in that order, each at most once, any of them may be left out.
 * Empty lines are skipped. The models are added together when their
 * section ends, all or none. Twins and relationships are put one a line
 * (an existing one is replaced), many in flight at once: the import keeps
 * up to `in_flight` requests queued and waits on a condition variable for
 * their completions, so it runs at the engine's group-commit speed.
 *
 * Bad lines. A line that is not JSON, lacks its ids, is too long, or that
 * the engine refuses is a bad line, reported through on_error with its
 * number. Without keep_going the import stops at the first bad line and
 * applies nothing after it: requests already in flight behind a refused
 * one are not applied (they form a group that stops at its first refusal,
 * gm_engine_req.stop), and a line found bad before the engine has answered
 * for the lines in flight waits for those answers first, so the first bad
 * line reported is the first in the file. With keep_going every bad line is
 * reported, in line order, and every good one applied. A section line that
 * is unknown or out of order, and a Models section the engine refuses
 * (reported at the line where the section ends), stop the import in either
 * case: nothing after them would mean what the file says.
 *
 * Limits (untrusted input): each line at most max_line bytes (checked while
 * reading: a longer line is never held in memory), JSON nested at most 64
 * deep, the Models section at most 64 MiB in all.
 */
#ifndef GM_ENGINE_IMPORT_H
#define GM_ENGINE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "engine/engine.h"

typedef struct gm_engine_import_opts {
    const char *name;   /* the input in messages (a file name); NULL: "<input>" */
    bool keep_going;    /* report each bad line and import the others */
    size_t in_flight;   /* requests queued at once; 0: 4096 */
    size_t max_line;    /* longest line in bytes; 0: 16 MiB */
    /* Each bad line, in line order, one call at a time (the import
       serialises them), from the calling thread or one of the engine's:
       err->where is "NAME:LINE", or "NAME:LINE:COLUMN" for a line that is
       not JSON (the column, from 1 and in characters, where the parser
       found the problem), and err->what says why ("not valid JSON: ...";
       for a refused line, "WHERE: WHAT" of the engine's error). May be
       NULL. */
    void (*on_error)(void *ctx, const gm_err *err);
    /* Lines read so far, from the calling thread, now and then (every 1024
       lines). May be NULL. */
    void (*on_progress)(void *ctx, unsigned long lines);
    void *ctx;
} gm_engine_import_opts;

typedef struct gm_engine_import_result {
    unsigned long lines;     /* lines read */
    size_t models;           /* model documents added */
    size_t twins;            /* twin lines applied */
    size_t relationships;    /* relationship lines applied */
    size_t refused;          /* bad lines reported */
    unsigned long first_bad; /* the first bad line's number; 0: none */
    bool stopped;            /* the import stopped before the end of the input */
} gm_engine_import_result;

/*
 * Import the file in (read to its end, or to where the import stops) into
 * e, as above. o may be NULL (defaults, no callbacks); *res is filled in
 * every case. Returns 0 when every line was imported; GM_EINVAL when a line
 * was bad (err: the first bad line, located and explained as for on_error;
 * res says how many and what was applied); GM_EIO when in cannot be read;
 * GM_ENOMEM; the engine's error (GM_ESHUTDOWN, or its store's failure)
 * when it stopped taking requests. Never returns while a request it
 * submitted is still in flight. Any thread but the engine's own.
 */
int gm_engine_import(gm_engine *e, FILE *in, const gm_engine_import_opts *o,
                     gm_engine_import_result *res, gm_err *err);

#endif
