/* fp.h — private to the store: the keyed fingerprints of the store's persistent tables
 * (address -> address id in fpmap.c, outpoint -> unspent output in utxo.c).
 *
 * Chain data is attacker-chosen (a miner grinds txids, anyone makes addresses), and these
 * tables keep only fingerprints, never the keys: two keys with one fingerprint would be
 * merged. So a fingerprint is two independent Carter-Wegman polynomial hashes over the
 * prime field of p = 2^61 - 1 under random keys drawn when the table is made (kept in its
 * file): for any two distinct inputs of at most L 7-byte chunks, each hash collides with
 * probability at most (L + 1) / p whatever the inputs, so the pair (h1, h2) collides with
 * probability below 2^-110 for the inputs here (L <= 7), and no input can be crafted to
 * collide without the key. Each hash is < 2^61; tables place entries with h1 and check
 * h1 and bits of h2 (include/sleuth/store.h gives how many bits each table keeps).
 *
 * Cost: ~2 x L multiplications mod p (a few ns for an outpoint), against ~30 ns for
 * SipHash on the same bytes — these hashes run several times per transaction of ingest.
 * Threads: pure functions of the key and the bytes.
 */
#ifndef SLEUTH_STORE_FP_H
#define SLEUTH_STORE_FP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sleuth/err.h"

#define SL_FP_P61 (((uint64_t)1 << 61) - 1)

/* The key of one table: two multipliers and two offsets, each below p. */
typedef struct sl_fpkey { uint64_t k1, k2, a1, a2; } sl_fpkey;
typedef struct sl_fp { uint64_t h1, h2; } sl_fp;

/* A new random key (getrandom). SL_OK, or SL_EIO when the kernel gives no randomness. */
int sl_fpkey_random(sl_fpkey *k) SL_MUST_USE;
/* Key to and from its 32-byte file form (little-endian u64s k1, k2, a1, a2); from_bytes
 * reduces each below p, so any bytes give a valid key. */
void sl_fpkey_to_bytes(const sl_fpkey *k, uint8_t out[32]);
void sl_fpkey_from_bytes(sl_fpkey *k, const uint8_t in[32]);

/* a * b mod p for a < 2^62, b < 2^61; the result is < 2^61 + 8 (not fully reduced). */
static inline uint64_t sl_fp_mulmod(uint64_t a, uint64_t b)
{
    unsigned __int128 x = (unsigned __int128)a * b;
    uint64_t r = ((uint64_t)x & SL_FP_P61) + (uint64_t)(x >> 61);
    return (r & SL_FP_P61) + (r >> 61);
}

static inline uint64_t sl_fp_reduce(uint64_t x)
{
    x = (x & SL_FP_P61) + (x >> 61);
    return x >= SL_FP_P61 ? x - SL_FP_P61 : x;
}

/* Fingerprint of n bytes (n < 2^32): Horner over the length, then 7-byte little-endian
 * chunks (the last one zero-padded), under both keys at once. */
static inline sl_fp sl_fp_bytes(const sl_fpkey *k, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t h1 = n, h2 = n;
    while (n >= 7) {
        uint64_t c = 0;
        memcpy(&c, p, 7);
        h1 = sl_fp_mulmod(h1, k->k1) + c;
        h2 = sl_fp_mulmod(h2, k->k2) + c;
        p += 7;
        n -= 7;
    }
    if (n) {
        uint64_t c = 0;
        memcpy(&c, p, n);
        h1 = sl_fp_mulmod(h1, k->k1) + c;
        h2 = sl_fp_mulmod(h2, k->k2) + c;
    }
    h1 = sl_fp_mulmod(h1, k->k1) + k->a1;
    h2 = sl_fp_mulmod(h2, k->k2) + k->a2;
    return (sl_fp){sl_fp_reduce(h1), sl_fp_reduce(h2)};
}

/* Fingerprint of an outpoint (32-byte txid as stored, then the output index as 4
 * little-endian bytes): the same as sl_fp_bytes over those 36 bytes. */
static inline sl_fp sl_fp_outpoint(const sl_fpkey *k, const uint8_t txid[32], uint32_t vout)
{
    uint8_t b[36];
    memcpy(b, txid, 32);
    b[32] = (uint8_t)vout, b[33] = (uint8_t)(vout >> 8), b[34] = (uint8_t)(vout >> 16), b[35] = (uint8_t)(vout >> 24);
    return sl_fp_bytes(k, b, 36);
}

/* Position of h (< 2^61) in a table of n slots or buckets: multiply-shift, uniform for a
 * uniform h and any n < 2^32 * 8. */
static inline uint64_t sl_fp_pos(uint64_t h, uint64_t n) { return (uint64_t)(((unsigned __int128)h * n) >> 61); }

#endif
