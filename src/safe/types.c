/* types.c — the Safe module's value types: EIP-55 addresses, 256-bit unsigned integers
 * in decimal and hex, and the mapping from a Safe version number to its hashing scheme.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/keccak.h"
#include "sleuth/safe.h"

static const char HEXL[] = "0123456789abcdef";

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void sl_safe_addr_hex(char out[43], const sl_safe_addr *a)
{
    char low[40];
    uint8_t h[32];
    for (int i = 0; i < 20; i++) {
        low[2 * i] = HEXL[a->b[i] >> 4];
        low[2 * i + 1] = HEXL[a->b[i] & 15];
    }
    sl_keccak256(h, low, 40);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (i & 1) ? h[i / 2] & 15 : h[i / 2] >> 4;
        char c = low[i];
        out[2 + i] = (c >= 'a' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = 0;
}

int sl_safe_addr_parse(sl_safe_addr *a, const char *s, sl_error *e)
{
    size_t n;
    bool lower = false, upper = false;
    if (!s)
        return sl_err(e, SL_ECORRUPT, "expected an address string");
    n = strlen(s);
    if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return sl_err(e, SL_ECORRUPT, "address must start with 0x");
    if (n != 42)
        return sl_err(e, SL_ECORRUPT, "address must have 40 hex digits, not %zu", n - 2);
    for (int i = 0; i < 20; i++) {
        int hi = hexval(s[2 + 2 * i]), lo = hexval(s[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return sl_err(e, SL_ECORRUPT, "address: not a hex digit at character %d", 2 + 2 * i + (hi >= 0));
        a->b[i] = (uint8_t)(hi << 4 | lo);
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] >= 'a' && s[i] <= 'f') lower = true;
        if (s[i] >= 'A' && s[i] <= 'F') upper = true;
    }
    if (lower && upper) {
        char want[43];
        sl_safe_addr_hex(want, a);
        if (strcmp(want + 2, s + 2) != 0)
            return sl_err(e, SL_ECORRUPT, "address %s fails its EIP-55 checksum (expected %s)", s, want);
    }
    return SL_OK;
}

bool sl_safe_addr_eq(const sl_safe_addr *a, const sl_safe_addr *b) { return memcmp(a->b, b->b, 20) == 0; }

bool sl_safe_addr_is_zero(const sl_safe_addr *a)
{
    for (int i = 0; i < 20; i++)
        if (a->b[i]) return false;
    return true;
}

void sl_safe_u256_dec(char out[79], const sl_safe_u256 *v)
{
    uint8_t t[32];
    char rev[79];
    size_t n = 0;
    memcpy(t, v->b, 32);
    for (;;) {
        unsigned rem = 0;
        bool zero = true;
        for (int i = 0; i < 32; i++) { /* t /= 10, big-endian long division */
            unsigned cur = rem << 8 | t[i];
            t[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (t[i]) zero = false;
        }
        rev[n++] = (char)('0' + rem);
        if (zero) break;
    }
    for (size_t i = 0; i < n; i++) out[i] = rev[n - 1 - i];
    out[n] = 0;
}

int sl_safe_u256_parse(sl_safe_u256 *v, const char *s, sl_error *e)
{
    memset(v->b, 0, 32);
    if (!s || !*s)
        return sl_err(e, SL_ECORRUPT, "expected a number, got an empty string");
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        size_t n = strlen(s + 2);
        if (n == 0)
            return sl_err(e, SL_ECORRUPT, "expected hex digits after 0x");
        if (n > 64)
            return sl_err(e, SL_ECORRUPT, "number does not fit 256 bits (%zu hex digits)", n);
        for (size_t i = 0; i < n; i++) {
            int d = hexval(s[2 + i]);
            size_t nib = n - 1 - i; /* nibble index from the least significant end */
            if (d < 0)
                return sl_err(e, SL_ECORRUPT, "not a hex digit at character %zu", 2 + i);
            v->b[31 - nib / 2] |= (uint8_t)(nib & 1 ? d << 4 : d);
        }
        return SL_OK;
    }
    for (size_t i = 0; s[i]; i++) {
        unsigned carry;
        if (s[i] < '0' || s[i] > '9')
            return sl_err(e, SL_ECORRUPT, "not a decimal digit at character %zu", i);
        carry = (unsigned)(s[i] - '0');
        for (int j = 31; j >= 0; j--) { /* v = v * 10 + digit */
            unsigned cur = v->b[j] * 10u + carry;
            v->b[j] = (uint8_t)cur;
            carry = cur >> 8;
        }
        if (carry)
            return sl_err(e, SL_ECORRUPT, "number does not fit 256 bits");
    }
    return SL_OK;
}

void sl_safe_u256_from_u64(sl_safe_u256 *v, uint64_t x)
{
    memset(v->b, 0, 32);
    for (int i = 0; i < 8; i++) v->b[31 - i] = (uint8_t)(x >> (8 * i));
}

bool sl_safe_u256_is_zero(const sl_safe_u256 *v)
{
    for (int i = 0; i < 32; i++)
        if (v->b[i]) return false;
    return true;
}

bool sl_safe_u256_to_u64(const sl_safe_u256 *v, uint64_t *x)
{
    uint64_t r = 0;
    for (int i = 0; i < 24; i++)
        if (v->b[i]) return false;
    for (int i = 24; i < 32; i++) r = r << 8 | v->b[i];
    *x = r;
    return true;
}

int sl_safe_u256_cmp(const sl_safe_u256 *a, const sl_safe_u256 *b) { return memcmp(a->b, b->b, 32); }

int sl_safe_version_parse(sl_safe_version *v, const char *s, sl_error *e)
{
    unsigned long maj, min, pat = 0;
    char *end;
    const char *p = s;
    if (!p || !*p)
        return sl_err(e, SL_EUSAGE, "empty Safe version");
    if (*p == 'v' || *p == 'V') p++;
    if (*p < '0' || *p > '9')
        return sl_err(e, SL_EUSAGE, "Safe version '%s' is not a number like 1.3.0", s);
    maj = strtoul(p, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return sl_err(e, SL_EUSAGE, "Safe version '%s' is not a number like 1.3.0", s);
    min = strtoul(end + 1, &end, 10);
    if (*end == '.') {
        if (end[1] < '0' || end[1] > '9')
            return sl_err(e, SL_EUSAGE, "Safe version '%s' is not a number like 1.3.0", s);
        pat = strtoul(end + 1, &end, 10);
    }
    /* "+L2" (the L2 singleton) hashes like its base version */
    if (*end && strcmp(end, "+L2") != 0 && strcmp(end, "+l2") != 0)
        return sl_err(e, SL_EUSAGE, "Safe version '%s' has trailing text '%s'", s, end);
    (void)pat;
    if (maj == 0 && min == 1)
        *v = SL_SAFE_V0_1;
    else if (maj == 1 && min <= 2)
        *v = SL_SAFE_V1_0;
    else if (maj == 1)
        *v = SL_SAFE_V1_3;
    else
        return sl_err(e, SL_EUNSUPPORTED, "Safe version '%s' is not supported (0.1.0 to 1.x)", s);
    return SL_OK;
}

const char *sl_safe_version_name(sl_safe_version v)
{
    switch (v) {
    case SL_SAFE_V0_1: return "0.1.0";
    case SL_SAFE_V1_0: return "1.0.0-1.2.x";
    case SL_SAFE_V1_3: return "1.3.0+";
    case SL_SAFE_VAUTO: break;
    }
    return "auto";
}
