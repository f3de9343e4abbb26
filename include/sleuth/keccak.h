/* keccak.h — Keccak-256 as Ethereum uses it: the original Keccak padding (0x01 ... 0x80),
 * not the FIPS-202 SHA3-256 padding (0x06 ... 0x80), so keccak256("") is
 * c5d24601...5d85a470 and not SHA3-256's a7ffc6f8.... The permutation is nettle's
 * (nettle_sha3_permute); only the sponge (absorb, pad, squeeze) is written here.
 */
#ifndef SLEUTH_KECCAK_H
#define SLEUTH_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define SL_KECCAK256_RATE 136 /* bytes: 1600-bit state minus 2*256-bit capacity */

/* Incremental state; a small value type callers keep on the stack. */
typedef struct sl_keccak {
    uint64_t a[25];
    uint8_t block[SL_KECCAK256_RATE];
    size_t fill; /* bytes buffered in block */
} sl_keccak;

void sl_keccak_init(sl_keccak *k);
void sl_keccak_update(sl_keccak *k, const void *p, size_t n);
/* Pads, permutes and writes the 32-byte digest; k must be re-initialised to be reused. */
void sl_keccak_final(sl_keccak *k, uint8_t out[32]);

/* One-shot Keccak-256 of p[0..n). */
void sl_keccak256(uint8_t out[32], const void *p, size_t n);

#endif
