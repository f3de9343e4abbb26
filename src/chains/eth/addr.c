/* addr.c — Ethereum addresses (hex in any case in, EIP-55 checksum case out) and Tron's
 * Base58Check T-addresses (version byte 0x41 + the same 20 bytes). */
#include <ctype.h>
#include <string.h>

#include "sleuth/crypto.h"
#include "sleuth/eth.h"
#include "sleuth/keccak.h"

bool sl_eth_addr_parse(sl_eth_addr *a, const char *s)
{
    if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || strlen(s) != 42) return false;
    return sl_hex_decode(a->b, 20, s + 2, 40);
}

void sl_eth_addr_eip55(char out[43], const sl_eth_addr *a)
{
    char lower[41];
    uint8_t h[32];
    sl_hex_encode(lower, a->b, 20);
    sl_keccak256(h, lower, 40);
    out[0] = '0', out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        char c = lower[i];
        out[2 + i] = (c >= 'a' && c <= 'f' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = 0;
}

bool sl_eth_addr_checksum_ok(const char *s)
{
    sl_eth_addr a;
    char want[43];
    bool upper = false, lower = false;
    if (!sl_eth_addr_parse(&a, s)) return false;
    for (int i = 2; i < 42; i++) {
        if (isupper((unsigned char)s[i])) upper = true;
        if (islower((unsigned char)s[i])) lower = true;
    }
    if (!(upper && lower)) return true;
    sl_eth_addr_eip55(want, &a);
    return strcmp(want + 2, s + 2) == 0;
}

void sl_tron_addr_encode(char out[40], const sl_eth_addr *a)
{
    static const uint8_t ver = 0x41;
    sl_base58check_encode(out, &ver, 1, a->b, 20);
}

bool sl_tron_addr_decode(sl_eth_addr *a, const char *s)
{
    uint8_t buf[32];
    if (!s || s[0] != 'T' || strlen(s) != 34) return false;
    if (sl_base58check_decode(buf, sizeof buf, s) != 21 || buf[0] != 0x41) return false;
    memcpy(a->b, buf + 1, 20);
    return true;
}
