/* fuzz_check.h: checks the fuzz targets share. */
#ifndef GM_FUZZ_CHECK_H
#define GM_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* True when s (NUL-terminated) is well-formed UTF-8: no overlong forms,
   surrogates or code points above U+10FFFF. Messages must always be. */
static inline bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else
            return false;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (size_t i = 2; i < n; i++)
            if (p[i] < 0x80 || p[i] > 0xBF)
                return false;
        p += n;
    }
    return true;
}

/* A refusal with status rc must be recorded in err as one non-empty line
   of UTF-8 (these targets include base/err.h before this header). */
#ifdef GM_BASE_ERR_H
static inline void check_refusal(int rc, const gm_err *err)
{
    if (rc >= 0 || err->code != rc || strchr(err->what, '\n') || strchr(err->where, '\n') ||
        !valid_utf8(err->what) || !err->what[0])
        abort();
}
#endif

/* What an importer of simulation parameters returns: a process-simulation
   object with arrivals and tasks, whose strings are all UTF-8 (jansson
   refuses to write them otherwise). */
#ifdef JANSSON_H
static inline void check_params(json_t *out)
{
    const json_t *type = json_object_get(out, "type");
    if (!json_is_object(out) || !json_is_string(type) ||
        strcmp(json_string_value(type), "process-simulation") != 0 ||
        !json_object_get(out, "arrivals") || !json_object_get(out, "tasks"))
        abort();
    char *text = json_dumps(out, JSON_COMPACT);
    if (!text)
        abort();
    free(text);
}
#endif

#endif
