/* bech32.c — Bech32 (BIP-173) and Bech32m (BIP-350) segwit addresses. */
#include "sleuth/crypto.h"

#include <ctype.h>
#include <string.h>

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
enum { BECH32 = 1, BECH32M = 0x2bc830a3 };

static uint32_t polymod_step(uint32_t pre)
{
    uint8_t b = (uint8_t)(pre >> 25);
    return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^ (-((b >> 1) & 1) & 0x26508e6dUL) ^
           (-((b >> 2) & 1) & 0x1ea119faUL) ^ (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t hrp_checksum_start(const char *hrp)
{
    uint32_t chk = 1;
    size_t n = strlen(hrp);
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
    chk = polymod_step(chk);
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
    return chk;
}

/* Regroups bits; pad=1 when encoding. Returns false on invalid padding. */
static bool convert_bits(uint8_t *out, size_t *outlen, int outbits, const uint8_t *in, size_t inlen, int inbits,
                         int pad)
{
    uint32_t val = 0, maxv = (1u << outbits) - 1;
    int bits = 0;
    for (size_t i = 0; i < inlen; i++) {
        val = (val << inbits) | in[i];
        bits += inbits;
        while (bits >= outbits) {
            bits -= outbits;
            out[(*outlen)++] = (uint8_t)((val >> bits) & maxv);
        }
    }
    if (pad) {
        if (bits) out[(*outlen)++] = (uint8_t)((val << (outbits - bits)) & maxv);
    } else if (((val << (outbits - bits)) & maxv) || bits >= inbits) {
        return false;
    }
    return true;
}

bool sl_segwit_encode(char *out, size_t outcap, const char *hrp, int wver, const uint8_t *prog, size_t n)
{
    uint8_t data[80];
    size_t dl = 0, hl = strlen(hrp), o = 0;
    uint32_t chk;
    if (wver < 0 || wver > 16 || n < 2 || n > 40 || (wver == 0 && n != 20 && n != 32)) return false;
    if (hl + 1 + 1 + (n * 8 + 4) / 5 + 6 + 1 > outcap) return false;
    data[dl++] = (uint8_t)wver;
    convert_bits(data, &dl, 5, prog, n, 8, 1);
    chk = hrp_checksum_start(hrp);
    memcpy(out, hrp, hl);
    o = hl;
    out[o++] = '1';
    for (size_t i = 0; i < dl; i++) {
        chk = polymod_step(chk) ^ data[i];
        out[o++] = CHARSET[data[i]];
    }
    for (int i = 0; i < 6; i++) chk = polymod_step(chk);
    chk ^= wver == 0 ? BECH32 : BECH32M;
    for (int i = 0; i < 6; i++) out[o++] = CHARSET[(chk >> ((5 - i) * 5)) & 31];
    out[o] = 0;
    return true;
}

int sl_segwit_decode(int *wver, uint8_t *prog, size_t progcap, const char *hrp, const char *addr)
{
    size_t len = strlen(addr), hl = strlen(hrp), sep, dl;
    int lower = 0, upper = 0;
    uint8_t data[90];
    uint32_t chk;
    size_t pl = 0;
    if (len < 8 || len > 90) return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c < 33 || c > 126) return -1;
        if (islower(c)) lower = 1;
        if (isupper(c)) upper = 1;
    }
    if (lower && upper) return -1;
    sep = len;
    while (sep > 0 && addr[sep - 1] != '1') sep--;
    if (sep == 0) return -1;
    sep--; /* index of '1' */
    if (sep != hl || sep + 7 > len) return -1;
    for (size_t i = 0; i < hl; i++)
        if (tolower((unsigned char)addr[i]) != hrp[i]) return -1;
    chk = hrp_checksum_start(hrp);
    dl = len - sep - 1;
    for (size_t i = 0; i < dl; i++) {
        const char *q = strchr(CHARSET, tolower((unsigned char)addr[sep + 1 + i]));
        if (!q || !*q) return -1;
        data[i] = (uint8_t)(q - CHARSET);
        chk = polymod_step(chk) ^ data[i];
    }
    if (dl < 7) return -1;
    *wver = data[0];
    if (*wver > 16) return -1;
    if (chk != (uint32_t)BECH32 && chk != (uint32_t)BECH32M) return -2; /* wrong checksum (a typo) */
    if (chk != (*wver == 0 ? (uint32_t)BECH32 : (uint32_t)BECH32M)) return -1;
    {
        uint8_t tmp[64];
        if (!convert_bits(tmp, &pl, 8, data + 1, dl - 7, 5, 0)) return -1;
        if (pl < 2 || pl > 40 || (*wver == 0 && pl != 20 && pl != 32) || pl > progcap) return -1;
        memcpy(prog, tmp, pl);
    }
    return (int)pl;
}
