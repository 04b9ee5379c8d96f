/*
 * The official DTDL v3 conformance suite (../shared/data/dtdl/v3/spec): every
 * case's verdict from gm_dtdl_validate against the suite's "valid", and the
 * unresolved identifiers against "expect.unresolvedIdentifiers". Prints
 * "N of M cases agree" and fails when N drops below the best reached so far
 * (BEST_AGREE: raise it as the validator improves, never lower it).
 * GEMEL_DTDL_VERBOSE=1 lists every disagreeing case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skip.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "model/dtdl.h"
#include "suite.h"

#define BEST_AGREE 6760
#define SUITE_CASES 6760

#ifdef GEMEL_SHARED_DATA
#define SUITE GEMEL_SHARED_DATA "/dtdl/v3/spec"
#else
#define SUITE "../shared/data/dtdl/v3/spec"
#endif

typedef struct tally {
    char file[256];
    size_t bad, cases;
} tally;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_bad(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    return x->bad < y->bad ? 1 : x->bad > y->bad ? -1 : strcmp(x->file, y->file);
}

/* The report's unresolved identifiers equal the expected list (as sets). */
static bool same_unresolved(const gm_dtdl_report *r, const json_t *want)
{
    if (!want)
        return true;
    if (json_array_size(want) != r->nunresolved)
        return false;
    for (size_t i = 0; i < json_array_size(want); i++) {
        const char *w = json_string_value(json_array_get(want, i));
        bool found = false;
        for (size_t j = 0; j < r->nunresolved && !found; j++)
            found = w && strcmp(w, r->unresolved[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static void test_suite(void **state)
{
    (void)state;
    DIR *dir = opendir(SUITE);
    if (!dir) {
        GM_TEST_SKIP("%s not found", SUITE);
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (nn == cap) {
            cap = cap ? 2 * cap : 1024;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[nn] = strdup(de->d_name);
        assert_non_null(names[nn]);
        nn++;
    }
    closedir(dir);
    qsort(names, nn, sizeof *names, cmp_name);
    tally *t = calloc(nn ? nn : 1, sizeof *t);
    assert_non_null(t);
    bool verbose = getenv("GEMEL_DTDL_VERBOSE") != NULL;
    size_t total = 0, agree = 0, valid_missed = 0, invalid_missed = 0;
    for (size_t f = 0; f < nn; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SUITE, names[f]);
        json_t *cases = suite_cases(path);
        assert_non_null(cases);
        snprintf(t[f].file, sizeof t[f].file, "%s", names[f]);
        for (size_t c = 0; c < json_array_size(cases); c++) {
            const json_t *cs = json_array_get(cases, c);
            const json_t *input = json_object_get(cs, "input");
            bool valid = json_is_true(json_object_get(cs, "valid"));
            gm_dtdl_opts o = {false};
            const json_t *opt;
            size_t oi;
            json_array_foreach(json_object_get(cs, "options"), oi, opt)
                if (strcmp(json_string_value(opt), "AllowUndefinedExtensions") == 0)
                    o.allow_undefined_extensions = true;
            size_t nd = json_array_size(input);
            gm_dtdl_doc *docs = calloc(nd ? nd : 1, sizeof *docs);
            assert_non_null(docs);
            for (size_t d = 0; d < nd; d++)
                docs[d] = (gm_dtdl_doc){names[f], json_array_get(input, d)};
            gm_dtdl_report rep;
            memset(&rep, 0, sizeof rep);
            int rc = gm_dtdl_validate(docs, nd, &o, &rep);
            assert_true(rc == 0 || rc == GM_EINVAL);
            const json_t *want = json_object_get(json_object_get(cs, "expect"),
                                                 "unresolvedIdentifiers");
            bool ok = (rc == 0) == valid && same_unresolved(&rep, want);
            total++;
            t[f].cases++;
            if (ok) {
                agree++;
            } else {
                t[f].bad++;
                if (valid)
                    valid_missed++;
                else
                    invalid_missed++;
                if (verbose) {
                    print_message("DISAGREE %s case %zu: expected %s, got %s%s%s%s\n", names[f], c,
                                  valid ? "valid" : "invalid", rc == 0 ? "valid" : "invalid",
                                  rep.nproblems ? " (" : "",
                                  rep.nproblems ? rep.problems[0].what : "",
                                  rep.nproblems ? ")" : "");
                }
            }
            gm_dtdl_report_free(&rep);
            free(docs);
        }
        json_decref(cases);
    }
    qsort(t, nn, sizeof *t, cmp_bad);
    for (size_t f = 0; f < nn && f < 12 && t[f].bad; f++)
        print_message("  %4zu of %4zu disagree: %s\n", t[f].bad, t[f].cases, t[f].file);
    print_message("%zu of %zu cases agree (valid judged invalid: %zu, invalid judged valid: "
                  "%zu; best so far %d)\n",
                  agree, total, valid_missed, invalid_missed, BEST_AGREE);
    for (size_t f = 0; f < nn; f++)
        free(names[f]);
    free(names);
    free(t);
    assert_int_equal(total, SUITE_CASES);
    assert_true(agree >= BEST_AGREE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_suite)};
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
