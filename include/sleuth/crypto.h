/* crypto.h — hashing (OpenSSL's SHA-256 and RIPEMD-160) and the address encodings no
 * package offers: Base58Check (Bitcoin's legacy addresses) and Bech32/Bech32m
 * (BIP-173 / BIP-350 segwit addresses), written by hand and tested on the specs' vectors.
 */
#ifndef SLEUTH_CRYPTO_H
#define SLEUTH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_hash256 {
    uint8_t b[32]; /* internal byte order; printed reversed, as Bitcoin does */
} sl_hash256;

void sl_sha256(uint8_t out[32], const void *p, size_t n);
void sl_sha256d(uint8_t out[32], const void *p, size_t n);
/* SHA-256d over the concatenation of up to three pieces (a segwit txid skips the
 * marker, flag and witnesses without copying). */
void sl_sha256d3(uint8_t out[32], const void *a, size_t na, const void *b, size_t nb, const void *c,
                 size_t nc);
void sl_hash160(uint8_t out[20], const void *p, size_t n);

/* Base58Check of version byte(s) + payload. out needs 2*(nver+n)+8 bytes; returns length. */
size_t sl_base58check_encode(char *out, const uint8_t *ver, size_t nver, const uint8_t *p, size_t n);
/* Decodes and verifies the checksum; returns the decoded length (version + payload), -2
 * when the text is well-formed Base58 but its checksum is wrong, -1 otherwise. */
int sl_base58check_decode(uint8_t *out, size_t outcap, const char *s);

/* Segwit address for witness version `wver` (0: bech32, 1-16: bech32m) and program.
 * Returns false when the program is not encodable (length 2..40, v0 only 20 or 32). */
bool sl_segwit_encode(char *out, size_t outcap, const char *hrp, int wver, const uint8_t *prog, size_t n);
/* Decodes a segwit address with the given human-readable part (case-insensitive, not
 * mixed); checks the bech32/bech32m constant matches the version. Returns program length,
 * -2 when the prefix and characters are right but the checksum is wrong, or -1. */
int sl_segwit_decode(int *wver, uint8_t *prog, size_t progcap, const char *hrp, const char *addr);

#endif
