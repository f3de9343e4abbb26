/* hash.c — SHA-256, SHA-256d and HASH160 through OpenSSL's low-level interfaces (the
 * fastest path into its SHA-NI/AVX code: no EVP fetch per call). */
#include "sleuth/crypto.h"

#include <openssl/ripemd.h>
#include <openssl/sha.h>

void sl_sha256(uint8_t out[32], const void *p, size_t n) { SHA256(p, n, out); }

void sl_sha256d(uint8_t out[32], const void *p, size_t n)
{
    uint8_t t[32];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, p, n);
    SHA256_Final(t, &c);
    SHA256_Init(&c);
    SHA256_Update(&c, t, 32);
    SHA256_Final(out, &c);
}

void sl_sha256d3(uint8_t out[32], const void *a, size_t na, const void *b, size_t nb, const void *cc,
                 size_t nc)
{
    uint8_t t[32];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, a, na);
    if (nb) SHA256_Update(&c, b, nb);
    if (nc) SHA256_Update(&c, cc, nc);
    SHA256_Final(t, &c);
    SHA256_Init(&c);
    SHA256_Update(&c, t, 32);
    SHA256_Final(out, &c);
}

void sl_hash160(uint8_t out[20], const void *p, size_t n)
{
    uint8_t t[32];
    SHA256(p, n, t);
    RIPEMD160(t, 32, out);
}
