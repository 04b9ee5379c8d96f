/*
 * sb.h: string builder. A growable, always NUL-terminated byte string.
 *
 *     gm_sb sb = GM_SB_INIT;
 *     gm_sb_append(&sb, "x=");
 *     gm_sb_appendf(&sb, "%d", 42);
 *     puts(gm_sb_str(&sb));
 *     gm_sb_free(&sb);
 *
 * An optional size limit (gm_sb_set_limit) bounds output built from untrusted
 * input. Errors are sticky: after the first failure every append is a no-op
 * returning the same code, so callers may append freely and check once with
 * gm_sb_error(). A failed append leaves the contents as before that append.
 */
#ifndef GM_BASE_SB_H
#define GM_BASE_SB_H

#include <stdarg.h>
#include <stddef.h>

typedef struct gm_sb {
    char *buf;    /* NULL until the first append; gm_sb_str never returns NULL */
    size_t len;   /* bytes, excluding the NUL */
    size_t cap;   /* bytes allocated, including the NUL */
    size_t limit; /* maximum len; 0 = none */
    int err;      /* first error, sticky */
} gm_sb;

#define GM_SB_INIT ((gm_sb){NULL, 0, 0, 0, 0})

void gm_sb_init(gm_sb *sb);
void gm_sb_free(gm_sb *sb);
/* Cap the length at limit bytes (0 = unlimited); an append past it fails with GM_ELIMIT. */
void gm_sb_set_limit(gm_sb *sb, size_t limit);

int gm_sb_append(gm_sb *sb, const char *s);
int gm_sb_append_n(gm_sb *sb, const char *s, size_t n);
int gm_sb_append_char(gm_sb *sb, char c);
int gm_sb_appendf(gm_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gm_sb_vappendf(gm_sb *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append s as the body of a JSON string (no surrounding quotes): escapes ", \ and
   control characters; bytes >= 0x80 are copied as they are. */
int gm_sb_append_json_escaped(gm_sb *sb, const char *s, size_t n);

/* The contents, NUL-terminated; "" when empty. Owned by sb. */
const char *gm_sb_str(const gm_sb *sb);
/* First error recorded (GM_OK if none). */
int gm_sb_error(const gm_sb *sb);
/* Empty the string (keeping storage) and clear the error. */
void gm_sb_reset(gm_sb *sb);
/* Shorten to len bytes (no-op if already shorter). */
void gm_sb_truncate(gm_sb *sb, size_t len);
/* Hand the buffer to the caller (who free()s it); sb becomes empty. When nothing
   was appended this is a malloc'd "". After an error (or when that allocation
   fails) it returns NULL and sb keeps its contents: gm_sb_free it. */
char *gm_sb_take(gm_sb *sb);

#endif
