/* keccak.c — the Keccak-256 sponge (rate 136 bytes, Keccak padding 0x01..0x80) over
 * nettle's Keccak-f[1600] permutation. nettle's own sha3_256_* functions cannot be used:
 * they apply the FIPS-202 domain byte 0x06, which Ethereum's hash predates.
 */
#include "sleuth/keccak.h"

#include <nettle/sha3.h>
#include <string.h>

/* nettle stores lane i as a native uint64_t read little-endian from the message. */
static void absorb_block(sl_keccak *k, const uint8_t *b)
{
    for (size_t i = 0; i < SL_KECCAK256_RATE / 8; i++) {
        uint64_t w = 0;
        for (int j = 7; j >= 0; j--)
            w = w << 8 | b[8 * i + (size_t)j];
        k->a[i] ^= w;
    }
    sha3_permute((struct sha3_state *)k->a);
}

void sl_keccak_init(sl_keccak *k) { memset(k, 0, sizeof *k); }

void sl_keccak_update(sl_keccak *k, const void *p, size_t n)
{
    const uint8_t *s = p;
    if (k->fill) {
        size_t take = SL_KECCAK256_RATE - k->fill;
        if (take > n)
            take = n;
        memcpy(k->block + k->fill, s, take);
        k->fill += take;
        s += take;
        n -= take;
        if (k->fill < SL_KECCAK256_RATE)
            return;
        absorb_block(k, k->block);
        k->fill = 0;
    }
    while (n >= SL_KECCAK256_RATE) {
        absorb_block(k, s);
        s += SL_KECCAK256_RATE;
        n -= SL_KECCAK256_RATE;
    }
    if (n) {
        memcpy(k->block, s, n);
        k->fill = n;
    }
}

void sl_keccak_final(sl_keccak *k, uint8_t out[32])
{
    memset(k->block + k->fill, 0, SL_KECCAK256_RATE - k->fill);
    k->block[k->fill] ^= 0x01; /* Keccak padding, not SHA3's 0x06 */
    k->block[SL_KECCAK256_RATE - 1] ^= 0x80;
    absorb_block(k, k->block);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 8; j++)
            out[8 * i + j] = (uint8_t)(k->a[i] >> (8 * j));
    k->fill = 0;
}

void sl_keccak256(uint8_t out[32], const void *p, size_t n)
{
    sl_keccak k;
    sl_keccak_init(&k);
    sl_keccak_update(&k, p, n);
    sl_keccak_final(&k, out);
}
