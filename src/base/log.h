/*
 * log.h: structured logging in logfmt, one line per record, to stderr.
 *
 *     gm_log_info("listening", GM_LOG_STR("addr", "127.0.0.1"), GM_LOG_INT("port", 8080));
 *
 * writes
 *
 *     ts=2026-11-22T02:48:51.123Z level=info msg=listening addr=127.0.0.1 port=8080
 *
 * Values that contain spaces, quotes, '=' or control characters are quoted and
 * escaped, so every line parses back into the same fields. The level comes from
 * the GEMEL_LOG_LEVEL environment variable (trace, debug, info, warn, error,
 * off; default info) or gm_log_set_level(). Thread-safe: each record is formatted
 * privately and written with one call, so records never interleave.
 */
#ifndef GM_BASE_LOG_H
#define GM_BASE_LOG_H

#include <stdint.h>
#include <stdio.h>

typedef enum gm_log_level {
    GM_LOG_TRACE,
    GM_LOG_DEBUG,
    GM_LOG_INFO,
    GM_LOG_WARN,
    GM_LOG_ERROR,
    GM_LOG_OFF,
} gm_log_level;

typedef enum gm_log_type { GM_LOG_T_STR, GM_LOG_T_INT, GM_LOG_T_UINT, GM_LOG_T_DBL, GM_LOG_T_BOOL } gm_log_type;

/* One key=value field. Build with the GM_LOG_* macros below. */
typedef struct gm_log_field {
    const char *key;
    gm_log_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        double d;
        int b;
    } v;
} gm_log_field;

#define GM_LOG_STR(k, x) ((gm_log_field){.key = (k), .type = GM_LOG_T_STR, .v.s = (x)})
#define GM_LOG_INT(k, x) ((gm_log_field){.key = (k), .type = GM_LOG_T_INT, .v.i = (int64_t)(x)})
#define GM_LOG_UINT(k, x) ((gm_log_field){.key = (k), .type = GM_LOG_T_UINT, .v.u = (uint64_t)(x)})
#define GM_LOG_DBL(k, x) ((gm_log_field){.key = (k), .type = GM_LOG_T_DBL, .v.d = (double)(x)})
#define GM_LOG_BOOL(k, x) ((gm_log_field){.key = (k), .type = GM_LOG_T_BOOL, .v.b = !!(x)})

/*
 * Write one record if level is enabled. fields[0..n) may be NULL when n is 0.
 * A NULL string value is written as an empty quoted string.
 */
void gm_log_write(gm_log_level level, const char *msg, const gm_log_field *fields, size_t n);

/* The macros pass the fields as an array whose first element is a dummy, so that
   a call with no fields is still valid C. */
#define GM_LOG_(level, msg, ...)                                                                   \
    do {                                                                                           \
        if ((level) >= gm_log_level_get()) {                                                       \
            const gm_log_field gm_log_f_[] = {{0}, __VA_ARGS__};                                   \
            gm_log_write((level), (msg), gm_log_f_ + 1,                                            \
                         sizeof gm_log_f_ / sizeof gm_log_f_[0] - 1);                              \
        }                                                                                          \
    } while (0)
#define gm_log_trace(msg, ...) GM_LOG_(GM_LOG_TRACE, msg, __VA_ARGS__)
#define gm_log_debug(msg, ...) GM_LOG_(GM_LOG_DEBUG, msg, __VA_ARGS__)
#define gm_log_info(msg, ...) GM_LOG_(GM_LOG_INFO, msg, __VA_ARGS__)
#define gm_log_warn(msg, ...) GM_LOG_(GM_LOG_WARN, msg, __VA_ARGS__)
#define gm_log_error(msg, ...) GM_LOG_(GM_LOG_ERROR, msg, __VA_ARGS__)

/* Current threshold; the first call reads GEMEL_LOG_LEVEL. */
gm_log_level gm_log_level_get(void);
void gm_log_set_level(gm_log_level level);
/* Parse "trace".."error", "off" (case-insensitive). 0 or GM_EINVAL. */
int gm_log_level_parse(const char *s, gm_log_level *out);
const char *gm_log_level_name(gm_log_level level);
/* Send records to f instead of stderr (NULL restores stderr). For tests and daemons. */
void gm_log_set_output(FILE *f);

#endif
