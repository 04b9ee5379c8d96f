/*
 * The official DTDL conformance suites, v3 (../shared/data/dtdl/v3/spec) and
 * v2 (../shared/data/dtdl/v2/spec), through one runner: every case's verdict
 * from gm_dtdl_validate against the suite's "valid", and the unresolved
 * identifiers against "expect.unresolvedIdentifiers". Prints "N of M cases
 * agree" per suite and fails when N drops below the best reached so far
 * (BEST_AGREE_V3, BEST_AGREE_V2: raise them as the validator improves, never
 * lower them). GEMEL_DTDL_VERBOSE=1 lists every disagreeing case.
 *
 * A case's "options" are the reference parser's: AllowUndefinedExtensions
 * and DisallowUndefinedExtensions (its default) are the only ones the suites
 * use, and map to gm_dtdl_opts.allow_undefined_extensions.
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

#define BEST_AGREE_V3 6760
#define CASES_V3 6760
#define BEST_AGREE_V2 6624
#define CASES_V2 6624

#ifndef GEMEL_SHARED_DATA
#define GEMEL_SHARED_DATA "../shared/data"
#endif
#define SUITE_V3 GEMEL_SHARED_DATA "/dtdl/v3/spec"
#define SUITE_V2 GEMEL_SHARED_DATA "/dtdl/v2/spec"

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

/* Run every case of the suite in directory suite; fail unless it holds
   ncases cases and at least best of them agree. */
static void run_suite(const char *suite, size_t ncases, size_t best)
{
    DIR *dir = opendir(suite);
    if (!dir) {
        GM_TEST_SKIP("%s not found", suite);
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
        snprintf(path, sizeof path, "%s/%s", suite, names[f]);
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
            json_array_foreach(json_object_get(cs, "options"), oi, opt) {
                const char *os = json_string_value(opt);
                if (os && strcmp(os, "AllowUndefinedExtensions") == 0)
                    o.allow_undefined_extensions = true;
                else if (!os || strcmp(os, "DisallowUndefinedExtensions") != 0)
                    fail_msg("%s case %zu: option '%s' is not one gemel maps", names[f], c,
                             os ? os : "(not a string)");
            }
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
    print_message("%s: %zu of %zu cases agree (valid judged invalid: %zu, invalid judged valid: "
                  "%zu; best so far %zu)\n",
                  suite, agree, total, valid_missed, invalid_missed, best);
    for (size_t f = 0; f < nn; f++)
        free(names[f]);
    free(names);
    free(t);
    assert_int_equal(total, ncases);
    assert_true(agree >= best);
}

static void test_v3(void **state)
{
    (void)state;
    run_suite(SUITE_V3, CASES_V3, BEST_AGREE_V3);
}

static void test_v2(void **state)
{
    (void)state;
    run_suite(SUITE_V2, CASES_V2, BEST_AGREE_V2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_v3), cmocka_unit_test(test_v2)};
    return gm_test_result(cmocka_run_group_tests(tests, NULL, NULL));
}
