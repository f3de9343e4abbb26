/* base58.c — Base58Check encoding and decoding (Bitcoin's legacy address format).
 * Quadratic big-number conversion, fine for the ≤ 25-byte payloads it is used for. */
#include "sleuth/crypto.h"

#include <string.h>

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

size_t sl_base58check_encode(char *out, const uint8_t *ver, size_t nver, const uint8_t *p, size_t n)
{
    uint8_t buf[128], h[32], digits[200];
    size_t len = nver + n + 4, zeros = 0, nd = 0, o = 0;
    if (len > sizeof buf) { out[0] = 0; return 0; }
    memcpy(buf, ver, nver);
    memcpy(buf + nver, p, n);
    sl_sha256d(h, buf, nver + n);
    memcpy(buf + nver + n, h, 4);
    while (zeros < len && buf[zeros] == 0) zeros++;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = buf[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) { digits[nd++] = (uint8_t)(carry % 58); carry /= 58; }
    }
    for (size_t i = 0; i < zeros; i++) out[o++] = '1';
    while (nd) out[o++] = B58[digits[--nd]];
    out[o] = 0;
    return o;
}

int sl_base58check_decode(uint8_t *out, size_t outcap, const char *s)
{
    uint8_t bytes[128], h[32];
    size_t nb = 0, zeros = 0, slen = strlen(s);
    if (slen == 0 || slen > 120) return -1;
    while (s[zeros] == '1') zeros++;
    for (size_t i = zeros; i < slen; i++) {
        const char *q = strchr(B58, s[i]);
        unsigned carry;
        if (!q || !s[i]) return -1;
        carry = (unsigned)(q - B58);
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (nb >= sizeof bytes) return -1;
            bytes[nb++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + nb < 4 || zeros + nb > sizeof bytes) return -1;
    {
        uint8_t full[128];
        size_t n = zeros + nb;
        memset(full, 0, zeros);
        for (size_t i = 0; i < nb; i++) full[zeros + i] = bytes[nb - 1 - i];
        sl_sha256d(h, full, n - 4);
        if (memcmp(h, full + n - 4, 4) != 0) return -2; /* well-formed, wrong checksum */
        if (n - 4 > outcap) return -1;
        memcpy(out, full, n - 4);
        return (int)(n - 4);
    }
}
