#include "base/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/sb.h"
#include "base/time.h"

static atomic_int log_level = -1; /* -1: not read from the environment yet */
static _Atomic(FILE *) log_out = NULL;

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

const char *gm_log_level_name(gm_log_level level)
{
    if ((int)level < 0 || (int)level > (int)GM_LOG_OFF)
        return "?";
    return level_names[level];
}

int gm_log_level_parse(const char *s, gm_log_level *out)
{
    for (int i = 0; i <= (int)GM_LOG_OFF; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (gm_log_level)i;
            return GM_OK;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = GM_LOG_WARN;
        return GM_OK;
    }
    return GM_EINVAL;
}

gm_log_level gm_log_level_get(void)
{
    int lv = atomic_load_explicit(&log_level, memory_order_relaxed);
    if (lv >= 0)
        return (gm_log_level)lv;
    gm_log_level parsed = GM_LOG_INFO;
    const char *env = getenv("GEMEL_LOG_LEVEL");
    bool bad = env && *env && gm_log_level_parse(env, &parsed) != GM_OK;
    int expected = -1;
    /* Only the first reader installs the environment's level and warns. */
    if (atomic_compare_exchange_strong(&log_level, &expected, (int)parsed) && bad)
        gm_log_warn("unknown GEMEL_LOG_LEVEL, using info", GM_LOG_STR("value", env),
                    GM_LOG_STR("expected", "trace|debug|info|warn|error|off"));
    return (gm_log_level)atomic_load(&log_level);
}

void gm_log_set_level(gm_log_level level)
{
    atomic_store(&log_level, (int)level);
}

void gm_log_set_output(FILE *f)
{
    atomic_store(&log_out, f);
}

/* logfmt needs quotes when a value is empty or holds space, '"', '=' or a control. */
static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '"' || c == '=' || c == 0x7f)
            return true;
    }
    return false;
}

static void put_str(gm_sb *sb, const char *s)
{
    if (!s)
        s = "";
    if (!needs_quotes(s)) {
        gm_sb_append(sb, s);
        return;
    }
    gm_sb_append_char(sb, '"');
    gm_sb_append_json_escaped(sb, s, strlen(s));
    gm_sb_append_char(sb, '"');
}

/* Shortest of %.15g / %.17g that reads back as the same double. */
static void put_double(gm_sb *sb, double d)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, sizeof buf, "%.17g", d);
    gm_sb_append(sb, buf);
}

void gm_log_write(gm_log_level level, const char *msg, const gm_log_field *fields, size_t n)
{
    if (level < gm_log_level_get() || level >= GM_LOG_OFF)
        return;
    gm_sb sb = GM_SB_INIT;
    gm_sb_set_limit(&sb, 64 * 1024); /* a record must stay a readable line */

    char ts[GM_TIME_RFC3339_MAX];
    if (gm_time_format_rfc3339(gm_time_wall_ns(), 0, 3, ts, sizeof ts) < 0)
        strcpy(ts, "?");
    gm_sb_appendf(&sb, "ts=%s level=%s msg=", ts, gm_log_level_name(level));
    put_str(&sb, msg);
    for (size_t i = 0; i < n; i++) {
        const gm_log_field *f = &fields[i];
        gm_sb_append_char(&sb, ' ');
        gm_sb_append(&sb, f->key ? f->key : "?");
        gm_sb_append_char(&sb, '=');
        switch (f->type) {
        case GM_LOG_T_STR: put_str(&sb, f->v.s); break;
        case GM_LOG_T_INT: gm_sb_appendf(&sb, "%lld", (long long)f->v.i); break;
        case GM_LOG_T_UINT: gm_sb_appendf(&sb, "%llu", (unsigned long long)f->v.u); break;
        case GM_LOG_T_DBL: put_double(&sb, f->v.d); break;
        case GM_LOG_T_BOOL: gm_sb_append(&sb, f->v.b ? "true" : "false"); break;
        }
    }
    gm_sb_append_char(&sb, '\n');

    FILE *out = atomic_load(&log_out);
    if (!out)
        out = stderr;
    if (gm_sb_error(&sb) == GM_OK) {
        fwrite(gm_sb_str(&sb), 1, sb.len, out);
    } else {
        /* Over the record size limit or out of memory: say so rather than lose it. */
        fprintf(out, "ts=%s level=%s msg=\"log record dropped\" reason=%s\n", ts,
                gm_log_level_name(level), gm_strerror(gm_sb_error(&sb)));
    }
    fflush(out);
    gm_sb_free(&sb);
}
