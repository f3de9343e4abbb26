/* script.c — scriptPubKey classification (as Bitcoin Core's Solver does), the standard
 * address encodings per network, and address parsing for look-ups. */
#include <stdio.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/util.h"

#define LIMIT_BTC {0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
#define LIMIT_REG {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
#define LIMIT_SIG {0x00, 0x00, 0x03, 0x77, 0xae, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, \
                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
#define LIMIT_LTC {0x00, 0x00, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

static const sl_btc_net NETS[] = {
    {"bitcoin", {0xf9, 0xbe, 0xb4, 0xd9}, 0x00, 0x05, "bc", LIMIT_BTC, 0},
    {"testnet", {0x0b, 0x11, 0x09, 0x07}, 0x6f, 0xc4, "tb", LIMIT_BTC, 0},
    {"testnet4", {0x1c, 0x16, 0x3f, 0x28}, 0x6f, 0xc4, "tb", LIMIT_BTC, 0},
    {"signet", {0x0a, 0x03, 0xcf, 0x40}, 0x6f, 0xc4, "tb", LIMIT_SIG, 0},
    {"regtest", {0xfa, 0xbf, 0xb5, 0xda}, 0x6f, 0xc4, "bcrt", LIMIT_REG, 0},
    {"litecoin", {0xfb, 0xc0, 0xb6, 0xdb}, 0x30, 0x32, "ltc", LIMIT_LTC, 1},
    {"litecoin-regtest", {0xfa, 0xbf, 0xb5, 0xda}, 0x6f, 0x3a, "rltc", LIMIT_REG, 1},
};

const sl_btc_net *sl_btc_net_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof NETS / sizeof NETS[0]; i++)
        if (strcmp(NETS[i].name, name) == 0) return &NETS[i];
    return NULL;
}

const sl_btc_net *sl_btc_net_default(void) { return &NETS[0]; }

const char *sl_script_type_name(int t)
{
    switch (t) {
#define SL_X(n, v, s) case v: return s;
        SL_SCRIPT_TYPES(SL_X)
#undef SL_X
    }
    return "nonstandard";
}

static bool valid_pubkey(const uint8_t *k, size_t n)
{
    if (n == 33) return k[0] == 2 || k[0] == 3;
    if (n == 65) return k[0] == 4 || k[0] == 6 || k[0] == 7;
    return false;
}

/* Walks a script's pushes; false when an opcode above OP_16 appears or a push overruns. */
static bool push_only(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t op = s[i++];
        size_t len = 0;
        if (op > 0x60) return false;
        if (op >= 1 && op <= 75) len = op;
        else if (op == 76) { if (i + 1 > n) return false; len = s[i]; i += 1; }
        else if (op == 77) { if (i + 2 > n) return false; len = (size_t)s[i] | (size_t)s[i + 1] << 8; i += 2; }
        else if (op == 78) { if (i + 4 > n) return false; len = sl_le32(s + i); i += 4; }
        if (len > n - i) return false;
        i += len;
    }
    return true;
}

static bool match_multisig(const uint8_t *s, size_t n)
{
    size_t i = 1;
    int m, keys = 0;
    if (n < 3 || s[n - 1] != 0xae) return false;
    if (s[0] < 0x51 || s[0] > 0x60) return false;
    m = s[0] - 0x50;
    while (i < n - 2) {
        uint8_t len = s[i];
        if ((len != 33 && len != 65) || i + 1 + len > n - 2 || !valid_pubkey(s + i + 1, len)) return false;
        i += 1 + (size_t)len;
        keys++;
    }
    if (i != n - 2 || s[i] < 0x51 || s[i] > 0x60) return false;
    return keys == s[i] - 0x50 && m <= keys;
}

sl_script_type sl_btc_script_classify(const uint8_t *s, size_t n, sl_btc_addr *a)
{
    memset(a, 0, sizeof *a);
    if (n == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 20 && s[23] == 0x88 && s[24] == 0xac) {
        a->kind = SL_ADDR_P2PKH; a->len = 20; memcpy(a->prog, s + 3, 20);
        return SL_SCRIPT_P2PKH;
    }
    if (n == 23 && s[0] == 0xa9 && s[1] == 20 && s[22] == 0x87) {
        a->kind = SL_ADDR_P2SH; a->len = 20; memcpy(a->prog, s + 2, 20);
        return SL_SCRIPT_P2SH;
    }
    if (n >= 4 && n <= 42 && (s[0] == 0 || (s[0] >= 0x51 && s[0] <= 0x60)) && s[1] + 2u == n) {
        int ver = s[0] ? s[0] - 0x50 : 0;
        size_t pl = s[1];
        if (ver == 0 && pl != 20 && pl != 32) return SL_SCRIPT_NONSTANDARD;
        a->kind = (uint8_t)(SL_ADDR_WIT0 + ver); a->len = (uint8_t)pl; memcpy(a->prog, s + 2, pl);
        if (ver == 0) return pl == 20 ? SL_SCRIPT_P2WPKH : SL_SCRIPT_P2WSH;
        if (ver == 1 && pl == 32) return SL_SCRIPT_P2TR;
        return SL_SCRIPT_WITNESS_UNKNOWN;
    }
    if ((n == 35 || n == 67) && s[0] == n - 2 && s[n - 1] == 0xac && valid_pubkey(s + 1, n - 2)) {
        a->kind = SL_ADDR_P2PKH; a->len = 20; sl_hash160(a->prog, s + 1, n - 2);
        return SL_SCRIPT_P2PK;
    }
    if (n >= 1 && s[0] == 0x6a && push_only(s + 1, n - 1)) return SL_SCRIPT_OP_RETURN;
    if (match_multisig(s, n)) return SL_SCRIPT_MULTISIG;
    return SL_SCRIPT_NONSTANDARD;
}

bool sl_btc_addr_encode(char *out, const sl_btc_net *net, const sl_btc_addr *a)
{
    out[0] = 0;
    if (a->kind == SL_ADDR_P2PKH) return sl_base58check_encode(out, &net->p2pkh, 1, a->prog, 20) > 0;
    if (a->kind == SL_ADDR_P2SH) return sl_base58check_encode(out, &net->p2sh, 1, a->prog, 20) > 0;
    if (a->kind >= SL_ADDR_WIT0 && a->kind <= SL_ADDR_WIT0 + 16)
        return sl_segwit_encode(out, 100, net->hrp, a->kind - SL_ADDR_WIT0, a->prog, a->len);
    return false;
}

bool sl_btc_addr_decode(sl_btc_addr *a, const sl_btc_net *net, const char *s)
{
    uint8_t buf[80];
    int n, ver;
    size_t sl = strlen(s);
    memset(a, 0, sizeof *a);
    if ((sl == 66 || sl == 130) && sl_hex_decode(buf, sl / 2, s, sl) && valid_pubkey(buf, sl / 2)) {
        a->kind = SL_ADDR_P2PKH; a->len = 20; sl_hash160(a->prog, buf, sl / 2);
        return true;
    }
    n = sl_segwit_decode(&ver, buf, sizeof buf, net->hrp, s);
    if (n > 0) {
        a->kind = (uint8_t)(SL_ADDR_WIT0 + ver); a->len = (uint8_t)n; memcpy(a->prog, buf, (size_t)n);
        return true;
    }
    n = sl_base58check_decode(buf, sizeof buf, s);
    if (n == 21 && (buf[0] == net->p2pkh || buf[0] == net->p2sh)) {
        a->kind = buf[0] == net->p2pkh ? SL_ADDR_P2PKH : SL_ADDR_P2SH; a->len = 20; memcpy(a->prog, buf + 1, 20);
        return true;
    }
    return false;
}

void sl_btc_addr_explain(char *out, size_t cap, const sl_btc_net *net, const char *s)
{
    static const char *const nets[] = {"bitcoin", "testnet", "signet", "regtest", "litecoin", "litecoin-regtest"};
    uint8_t buf[80];
    int ver, n;
    if (sl_segwit_decode(&ver, buf, sizeof buf, net->hrp, s) == -2) {
        snprintf(out, cap, "'%s': its bech32 checksum is wrong (a mistyped or missing character?)", s);
        return;
    }
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        const sl_btc_net *o = sl_btc_net_by_name(nets[i]);
        if (o && strcmp(o->hrp, net->hrp) != 0 && sl_segwit_decode(&ver, buf, sizeof buf, o->hrp, s) > 0) {
            snprintf(out, cap, "'%s' is a %s address (prefix %s1), the store's network is %s (%s1)", s, o->name,
                     o->hrp, net->name, net->hrp);
            return;
        }
    }
    n = sl_base58check_decode(buf, sizeof buf, s);
    if (n == -2) {
        snprintf(out, cap, "'%s': its Base58Check checksum is wrong (a mistyped or missing character?)", s);
        return;
    }
    if (n == 21) {
        for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
            const sl_btc_net *o = sl_btc_net_by_name(nets[i]);
            if (o && (buf[0] == o->p2pkh || buf[0] == o->p2sh)) {
                snprintf(out, cap, "'%s' is a %s address (version byte %u), the store's network is %s", s, o->name,
                         buf[0], net->name);
                return;
            }
        }
        snprintf(out, cap, "'%s': Base58Check version byte %u is no known network's", s, buf[0]);
        return;
    }
    snprintf(out, cap, "'%s' is not a %s address (Base58Check, bech32/bech32m) or a hex public key", s, net->name);
}

const char *sl_btc_addr_type(const sl_btc_addr *a)
{
    switch (a->kind) {
    case SL_ADDR_P2PKH: return "p2pkh";
    case SL_ADDR_P2SH: return "p2sh";
    case SL_ADDR_WIT0: return a->len == 20 ? "p2wpkh" : "p2wsh";
    case SL_ADDR_WIT0 + 1: if (a->len == 32) return "p2tr"; /* fall through */
    default: return a->kind > SL_ADDR_WIT0 ? "witness_unknown" : "none";
    }
}
