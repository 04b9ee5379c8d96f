/* suite.h: reading the DTDL conformance suite's files (test helper). */
#ifndef GM_TESTS_MODEL_SUITE_H
#define GM_TESTS_MODEL_SUITE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/file.h"

/* The JSON array of cases in one suite file (its UTF-8 BOM skipped), or
   NULL after printing why. */
static inline json_t *suite_cases(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    gm_err err;
    gm_err_clear(&err);
    if (gm_file_read(path, 16u << 20, &buf, &len, &err) != 0) {
        print_message("%s: %s\n", path, err.what);
        return NULL;
    }
    size_t bom = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    json_error_t je;
    json_t *cases = json_loadb(buf + bom, len - bom, 0, &je);
    free(buf);
    if (!cases)
        print_message("%s:%d:%d: %s\n", path, je.line, je.column, je.text);
    if (cases && !json_is_array(cases)) {
        print_message("%s: not an array of cases\n", path);
        json_decref(cases);
        return NULL;
    }
    return cases;
}

#endif
