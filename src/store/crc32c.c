/*
 * crc32c.c: CRC-32C (crc32c.h): the reflected polynomial 0x82F63B78, initial
 * value and final xor all ones, as iSCSI (RFC 3720) and ext4 use it.
 *
 * Software: slicing by 8 (eight 256-entry tables, eight bytes per step).
 * x86-64 with SSE 4.2: the crc32 instruction, eight bytes at a time, chosen
 * once at run time, so the program runs on any x86-64.
 */
#include "store/crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define POLY 0x82f63b78u

static uint32_t table[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool hardware;

static void init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[0][i] = c;
    }
    /* table[k][i]: the CRC of byte i followed by k zero bytes */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
#if defined(__x86_64__)
    __builtin_cpu_init();
    hardware = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t software(uint32_t c, const unsigned char *p, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (n && ((uintptr_t)p & 7)) {
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c; /* little-endian: the first four bytes meet the CRC */
        c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
            table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^
            table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
        p += 8;
        n -= 8;
    }
#endif
    while (n--)
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t sse42(uint32_t c, const unsigned char *p,
                                                         size_t n)
{
    uint64_t c64 = c;
    while (n && ((uintptr_t)p & 7)) {
        c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++);
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    while (n--)
        c64 = __builtin_ia32_crc32qi((uint32_t)c64, *p++);
    return (uint32_t)c64;
}
#endif

uint32_t store__crc32c_portable(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init);
    return ~software(~crc, p, n);
}

uint32_t store__crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&once, init);
    uint32_t c = ~crc;
#if defined(__x86_64__)
    if (hardware)
        return ~sse42(c, p, n);
#endif
    return ~software(c, p, n);
}

uint32_t store__record_crc(uint64_t seq, uint32_t kind, const void *key, size_t key_len,
                           const void *data, size_t len)
{
    /* the header fixes where the key ends, so that no two records (one
       byte moved from key to data, say) share their bytes */
    unsigned char h[20];
    for (int i = 0; i < 8; i++) {
        h[i] = (unsigned char)(seq >> (8 * i));
        h[12 + i] = (unsigned char)((uint64_t)key_len >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        h[8 + i] = (unsigned char)(kind >> (8 * i));
    uint32_t c = store__crc32c(0, h, sizeof h);
    c = store__crc32c(c, key, key_len);
    return store__crc32c(c, data, len);
}
