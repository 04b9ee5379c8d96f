/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of the store's log records
 * and snapshot files (module-internal: only src/store and its tests include
 * it).
 *
 * CRC-32C detects every burst error up to 32 bits and every error of up to
 * 5 bits in a record of the sizes the store writes; x86-64 computes it in
 * hardware (SSE 4.2), at several GB/s, so verifying a snapshot at open costs
 * a fraction of reading it. Elsewhere a table-driven version runs.
 */
#ifndef GM_STORE_CRC32C_H
#define GM_STORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of n more bytes at p, continuing from crc (0 to begin):
   store__crc32c(store__crc32c(0, a, na), b, nb) is the CRC of a then b.
   The check value: store__crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t store__crc32c(uint32_t crc, const void *p, size_t n);

/* The checksum of a log record: the CRC-32C of its seq (8 bytes), kind (4)
   and key length (8), little-endian, then its key and data bytes. */
uint32_t store__record_crc(uint64_t seq, uint32_t kind, const void *key, size_t key_len,
                           const void *data, size_t len);

/* The same, always in software (for the tests, which compare the two). */
uint32_t store__crc32c_portable(uint32_t crc, const void *p, size_t n);

#endif
