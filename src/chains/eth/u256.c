/* u256.c — exact unsigned 256-bit integers for wei and token amounts: parsing from
 * JSON-RPC hex quantities and decimal strings, add/sub/multiply with overflow checks,
 * comparison and decimal printing. No floating point anywhere. */
#include <string.h>

#include "sleuth/eth.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool sl_u256_parse_hex(sl_u256 *r, const char *s, size_t n)
{
    size_t i;
    memset(r, 0, sizeof *r);
    if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    s += 2, n -= 2;
    while (n > 0 && *s == '0') s++, n--; /* leading zeros do not count against the width */
    if (n > 64) return false;
    for (i = 0; i < n; i++) {
        int v = hexval((unsigned char)s[n - 1 - i]);
        if (v < 0) return false;
        r->w[i / 16] |= (uint64_t)v << (4 * (i % 16));
    }
    return true;
}

bool sl_u256_mul64(sl_u256 *r, const sl_u256 *a, uint64_t m)
{
    unsigned __int128 carry = 0;
    sl_u256 t;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 p = (unsigned __int128)a->w[i] * m + carry;
        t.w[i] = (uint64_t)p;
        carry = p >> 64;
    }
    *r = t;
    return carry == 0;
}

static bool add64(sl_u256 *r, uint64_t v)
{
    for (int i = 0; i < 4 && v; i++) {
        uint64_t o = r->w[i];
        r->w[i] += v;
        v = r->w[i] < o;
    }
    return v == 0;
}

bool sl_u256_parse_dec(sl_u256 *r, const char *s, size_t n)
{
    memset(r, 0, sizeof *r);
    if (n == 0 || n > 78) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        if (!sl_u256_mul64(r, r, 10) || !add64(r, (uint64_t)(s[i] - '0'))) return false;
    }
    return true;
}

bool sl_u256_add(sl_u256 *r, const sl_u256 *a, const sl_u256 *b)
{
    uint64_t c = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], s = x + b->w[i];
        uint64_t c1 = s < x;
        uint64_t s2 = s + c;
        c = c1 | (s2 < s);
        r->w[i] = s2;
    }
    return c == 0;
}

bool sl_u256_sub(sl_u256 *r, const sl_u256 *a, const sl_u256 *b)
{
    uint64_t br = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y;
        uint64_t b1 = x < y;
        uint64_t d2 = d - br;
        br = b1 | (d < br);
        r->w[i] = d2;
    }
    return br == 0;
}

int sl_u256_cmp(const sl_u256 *a, const sl_u256 *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

size_t sl_u256_dec(char out[SL_U256_DEC_MAX], const sl_u256 *a)
{
    char tmp[SL_U256_DEC_MAX];
    size_t n = 0;
    sl_u256 v = *a;
    do { /* divide by 10^19 limb-wise, 19 digits at a time */
        unsigned __int128 rem = 0;
        uint64_t chunk;
        for (int i = 3; i >= 0; i--) {
            unsigned __int128 cur = (rem << 64) | v.w[i];
            v.w[i] = (uint64_t)(cur / 10000000000000000000ULL);
            rem = cur % 10000000000000000000ULL;
        }
        chunk = (uint64_t)rem;
        for (int d = 0; d < 19; d++) {
            tmp[n++] = (char)('0' + chunk % 10);
            chunk /= 10;
            if (sl_u256_is_zero(&v) && chunk == 0) break;
        }
    } while (!sl_u256_is_zero(&v));
    while (n > 1 && tmp[n - 1] == '0') n--;
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

void sl_u256_from_be(sl_u256 *r, const uint8_t be[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++) w = w << 8 | be[(3 - i) * 8 + k];
        r->w[i] = w;
    }
}

bool sl_u256_fits(const sl_u256 *a, int bits)
{
    if (bits <= 64) return !(a->w[1] | a->w[2] | a->w[3]);
    return !(a->w[2] | a->w[3]);
}
