/* import_shared.c: what the Scylla and BIMP importers share (import_int.h). */
#include "procimport/import_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "num/dist.h"

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

int procimport__unique_name(json_t *taken, const char *raw, const char *fallback,
                            const char *reserved, char out[PROCIMPORT__NAME_MAX + 1])
{
    char base[PROCIMPORT__NAME_MAX + 1];
    size_t n = 0;
    bool gap = false;
    for (const unsigned char *p = (const unsigned char *)(raw ? raw : ""); *p; p++) {
        if (!name_char(*p)) {
            gap = true;
            continue;
        }
        /* A run of other bytes becomes one '_', except at the start. */
        if (gap && n > 0) {
            if (n == PROCIMPORT__NAME_MAX)
                break;
            base[n++] = '_';
        }
        gap = false;
        if (n == PROCIMPORT__NAME_MAX)
            break;
        base[n++] = (char)*p;
    }
    base[n] = '\0';
    if (n == 0)
        snprintf(base, sizeof base, "%s", fallback);
    json_t *next = json_object_get(taken, base);
    bool is_reserved = reserved && strcmp(base, reserved) == 0;
    if (!next && !is_reserved) {
        snprintf(out, PROCIMPORT__NAME_MAX + 1, "%s", base);
        return json_object_set_new(taken, out, json_integer(2)) ? GM_ENOMEM : 0;
    }
    /* Each taken name remembers the next suffix to try, so n equal names
       cost O(n) lookups, not O(n^2). */
    json_int_t k = next ? json_integer_value(next) : 2;
    for (;; k++) {
        char suffix[32];
        int sl = snprintf(suffix, sizeof suffix, "_%lld", (long long)k);
        size_t keep = strlen(base);
        if (keep + (size_t)sl > PROCIMPORT__NAME_MAX)
            keep = PROCIMPORT__NAME_MAX - (size_t)sl;
        /* keep + sl <= PROCIMPORT__NAME_MAX: the name always fits */
        memcpy(out, base, keep);
        memcpy(out + keep, suffix, (size_t)sl + 1);
        if (!json_object_get(taken, out) && !(reserved && strcmp(out, reserved) == 0))
            break;
    }
    if (json_object_set_new(taken, base, json_integer(k + 1)) ||
        json_object_set_new(taken, out, json_integer(2)))
        return GM_ENOMEM;
    return 0;
}

size_t procimport__index_get(const gm_map *m, const char *id)
{
    void *v;
    if (!gm_map_sget(m, id, strlen(id), &v))
        return SIZE_MAX;
    return (size_t)(uintptr_t)v - 1;
}

int procimport__index_put(gm_map *m, const char *id, size_t i)
{
    if (procimport__index_get(m, id) != SIZE_MAX)
        return GM_EEXIST;
    return gm_map_sput(m, id, strlen(id), (void *)(uintptr_t)(i + 1)) ? GM_ENOMEM : 0;
}

json_t *procimport__num(double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        return json_integer((json_int_t)x);
    return json_real(x);
}

int procimport__check_dist(const json_t *dist, gm_err *err)
{
    json_t *copy = json_copy((json_t *)dist);
    if (!copy)
        return gm_err_set(err, GM_ENOMEM, NULL, "out of memory");
    json_object_del(copy, "unit");
    gm_dist d;
    memset(&d, 0, sizeof d);
    gm_err e;
    gm_err_clear(&e);
    int rc = gm_dist_from_json(copy, "", &d, &e);
    gm_dist_free(&d);
    json_decref(copy);
    if (rc)
        gm_err_set(err, rc, NULL, "%s%s%s", e.where, e.where[0] ? ": " : "", e.what);
    return rc;
}

/* ---- timetables ---- */

int procimport__weekday(const gm_xml_node *n, const char *attr, const char *s, int *day,
                        gm_err *err)
{
    if (gm_time_parse_weekday(s, day, NULL))
        return gm_xml_err(err, GM_EINVAL, n, "%s: expected a day MONDAY..SUNDAY, got '%.40s'",
                          attr, s);
    return 0;
}

int procimport__tt_add(gm_vec *tts, gm_map *idx, const gm_xml_node *n, const char *id,
                       procimport__tt **out, gm_err *err)
{
    int rc = procimport__index_put(idx, id, tts->len);
    if (rc == GM_EEXIST)
        return gm_xml_err(err, GM_EINVAL, n, "duplicate timetable '%s'", id);
    procimport__tt t = {.id = id, .node = n, .week = GM_CAL_WINDOWS_INIT};
    if (rc || gm_vec_push(tts, &t))
        return gm_xml_nomem(err, n);
    *out = (procimport__tt *)tts->data + tts->len - 1;
    return 0;
}

int procimport__tt_window(procimport__tt *tt, const gm_xml_node *n, int64_t from, int64_t to,
                          gm_err *err)
{
    int rc = gm_cal_windows_add(&tt->week, from, to);
    if (rc == GM_ELIMIT)
        return gm_xml_err(err, rc, n, "more than %u windows in one timetable",
                          GM_CAL_MAX_ENTRIES);
    if (rc == GM_ENOMEM)
        return gm_xml_nomem(err, n);
    if (rc) /* the callers never make a window longer than a week */
        return gm_xml_err(err, GM_EINTERNAL, n, "window longer than a week");
    return 0;
}

int procimport__tt_names(gm_vec *tts, json_t *taken)
{
    procimport__tt *tt = tts->data;
    for (size_t i = 0; i < tts->len; i++)
        if (procimport__unique_name(taken, tt[i].id, "calendar", NULL, tt[i].cal))
            return GM_ENOMEM;
    return 0;
}

void procimport__tt_free(gm_vec *tts)
{
    procimport__tt *tt = tts->data;
    for (size_t i = 0; i < tts->len; i++)
        gm_cal_windows_free(&tt[i].week);
    gm_vec_free(tts);
}

int procimport__finish(json_t *out, const gm_vec *tts, json_t *pools, json_t *tasks,
                       json_t *gateways, json_t *events, const char *file, gm_err *err)
{
    json_t *cals = json_object();
    int rc = 0;
    if (!cals)
        return gm_err_set(err, GM_ENOMEM, file, "out of memory");
    const procimport__tt *tt = tts->data;
    for (size_t i = 0; i < tts->len && !rc; i++) {
        if (!tt[i].used)
            continue;
        json_t *c = gm_cal_windows_json(&tt[i].week);
        if (!c || json_object_set_new(cals, tt[i].cal, c))
            rc = gm_err_set(err, GM_ENOMEM, file, "out of memory");
        else if (json_array_size(c) > GM_CAL_MAX_ENTRIES)
            rc = gm_xml_err(err, GM_ELIMIT, tt[i].node,
                            "timetable '%s' becomes more than %u calendar entries", tt[i].id,
                            GM_CAL_MAX_ENTRIES);
    }
    if (!rc && ((json_object_size(cals) && json_object_set(out, "calendars", cals)) ||
                (json_array_size(pools) && json_object_set(out, "resources", pools)) ||
                json_object_set(out, "tasks", tasks) ||
                (json_object_size(gateways) && json_object_set(out, "gateways", gateways)) ||
                (json_object_size(events) && json_object_set(out, "events", events))))
        rc = gm_err_set(err, GM_ENOMEM, file, "out of memory");
    json_decref(cals);
    return rc;
}
