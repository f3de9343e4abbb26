/* fuzz_script.c — libFuzzer target for script classification and the address encodings
 * (src/chains/btc/script.c, src/crypto/base58.c, src/crypto/bech32.c).
 *
 * The first input byte picks a network; the rest is used three ways:
 *   - as a scriptPubKey: sl_btc_script_classify, then for an address sl_btc_addr_encode
 *     and the round trip decode(encode(a)) == a;
 *   - as a string: sl_btc_addr_decode, sl_segwit_decode (every network's hrp) and
 *     sl_base58check_decode; whatever decodes must re-encode to the same text (Base58Check
 *     exactly, Bech32 up to case), since both encodings are canonical;
 *   - as a payload: sl_base58check_encode / sl_segwit_encode of raw bytes, then decode back.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/crypto.h"
#include "sleuth/util.h"

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_script: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static const char *const NETS[] = {"bitcoin", "testnet", "testnet4", "signet", "regtest", "litecoin",
                                   "litecoin-regtest"};
enum { NNETS = sizeof NETS / sizeof NETS[0] };

static bool addr_eq(const sl_btc_addr *a, const sl_btc_addr *b)
{
    return a->kind == b->kind && a->len == b->len && memcmp(a->prog, b->prog, a->len) == 0;
}

static bool is_hex_key(const char *s)
{
    size_t n = strlen(s);
    if (n != 66 && n != 130) return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return false;
    return true;
}

static bool eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

static void check_script(const sl_btc_net *net, const uint8_t *s, size_t n)
{
    sl_btc_addr a, back;
    char enc[100];
    sl_script_type t = sl_btc_script_classify(s, n, &a);
    CHECK((int)t >= SL_SCRIPT_NONSTANDARD && (int)t <= SL_SCRIPT_WITNESS_UNKNOWN);
    CHECK(sl_script_type_name(t) != NULL);
    (void)sl_btc_addr_type(&a);
    switch (t) {
    case SL_SCRIPT_P2PKH: case SL_SCRIPT_P2PK: CHECK(a.kind == SL_ADDR_P2PKH && a.len == 20); break;
    case SL_SCRIPT_P2SH: CHECK(a.kind == SL_ADDR_P2SH && a.len == 20); break;
    case SL_SCRIPT_P2WPKH: CHECK(a.kind == SL_ADDR_WIT0 && a.len == 20); break;
    case SL_SCRIPT_P2WSH: CHECK(a.kind == SL_ADDR_WIT0 && a.len == 32); break;
    case SL_SCRIPT_P2TR: CHECK(a.kind == SL_ADDR_WIT0 + 1 && a.len == 32); break;
    case SL_SCRIPT_WITNESS_UNKNOWN: CHECK(a.kind > SL_ADDR_WIT0 + 0 && a.kind <= SL_ADDR_WIT0 + 16); break;
    default: CHECK(a.kind == SL_ADDR_NONE); break;
    }
    if (a.kind == SL_ADDR_NONE) {
        CHECK(!sl_btc_addr_encode(enc, net, &a));
        return;
    }
    CHECK(a.len >= 2 && a.len <= 40);
    CHECK(sl_btc_addr_encode(enc, net, &a));
    CHECK(strlen(enc) < 100);
    CHECK(sl_btc_addr_decode(&back, net, enc));
    CHECK(addr_eq(&a, &back));
}

static void check_string(const sl_btc_net *net, const char *s)
{
    sl_btc_addr a, again;
    char enc[100];
    uint8_t buf[128];
    int ver, n;
    if (sl_btc_addr_decode(&a, net, s)) {
        CHECK(a.kind != SL_ADDR_NONE && a.len >= 2 && a.len <= 40);
        CHECK(sl_btc_addr_encode(enc, net, &a));
        CHECK(sl_btc_addr_decode(&again, net, enc));
        CHECK(addr_eq(&a, &again));
        if (!is_hex_key(s)) CHECK(a.kind >= SL_ADDR_WIT0 ? eq_nocase(enc, s) : strcmp(enc, s) == 0);
    }
    for (int i = 0; i < NNETS; i++) {
        const char *hrp = sl_btc_net_by_name(NETS[i])->hrp;
        n = sl_segwit_decode(&ver, buf, sizeof buf, hrp, s);
        if (n < 0) continue;
        CHECK(n >= 2 && n <= 40 && ver >= 0 && ver <= 16);
        CHECK(sl_segwit_encode(enc, sizeof enc, hrp, ver, buf, (size_t)n));
        CHECK(eq_nocase(enc, s));
    }
    n = sl_base58check_decode(buf, sizeof buf, s);
    if (n >= 1) {
        size_t m = sl_base58check_encode(enc, buf, 1, buf + 1, (size_t)n - 1);
        CHECK(m == strlen(s) && strcmp(enc, s) == 0);
    }
    /* a short output buffer must be refused, not overrun */
    {
        uint8_t small[21];
        int k = sl_base58check_decode(small, sizeof small, s);
        CHECK(k <= (int)sizeof small);
        if (n >= 0 && n <= (int)sizeof small) CHECK(k == n && memcmp(small, buf, (size_t)n) == 0);
    }
}

static void check_payload(const sl_btc_net *net, const uint8_t *p, size_t n)
{
    char enc[300];
    uint8_t back[128];
    int ver, k;
    if (n >= 1 && n <= 100) {
        size_t m = sl_base58check_encode(enc, p, 1, p + 1, n - 1);
        CHECK(m > 0 && m < sizeof enc);
        k = sl_base58check_decode(back, sizeof back, enc);
        if (m <= 120) CHECK(k == (int)n && memcmp(back, p, n) == 0); /* decode's input limit */
    }
    if (n >= 1) {
        int wv = p[0] % 17;
        size_t pl = n - 1;
        if (sl_segwit_encode(enc, 100, net->hrp, wv, p + 1, pl)) {
            k = sl_segwit_decode(&ver, back, sizeof back, net->hrp, enc);
            if (strlen(enc) <= 90) { /* BIP-173's length limit applies to decoding */
                CHECK(k == (int)pl && ver == wv && memcmp(back, p + 1, pl) == 0);
            }
        } else {
            CHECK(pl < 2 || pl > 40 || (wv == 0 && pl != 20 && pl != 32));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const sl_btc_net *net;
    char *str;
    if (size < 1) return 0;
    net = sl_btc_net_by_name(NETS[data[0] % NNETS]);
    data++, size--;

    check_script(net, data, size);

    str = malloc(size + 1);
    if (!str) return 0;
    memcpy(str, data, size);
    str[size] = 0; /* strings end at the first NUL, as a C caller's would */
    check_string(net, str);
    free(str);

    check_payload(net, data, size);
    return 0;
}
