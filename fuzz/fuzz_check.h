/* fuzz_check.h: checks the fuzz targets share. */
#ifndef GM_FUZZ_CHECK_H
#define GM_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
