/* test_crypto.c — address encodings on the specs' vectors: BIP-173/BIP-350 segwit
 * addresses (valid ones decode to the listed scriptPubKey and re-encode; invalid ones are
 * rejected), Base58Check, and the hashes on known values. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/crypto.h"
#include "sleuth/util.h"

static const struct { const char *addr, *spk; } VALID[] = {
    {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
    {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
    {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
    {"BC1SW50QGDZ25J", "6002751e"},
    {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"},
    {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
    {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
    {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
};

static const char *INVALID[] = {
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",   /* invalid hrp */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",   /* bech32 instead of bech32m */
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",   /* bech32 instead of bech32m */
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",   /* bech32 instead of bech32m */
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",                      /* bech32m instead of bech32 */
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",   /* bech32m instead of bech32 */
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",   /* invalid character */
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",   /* invalid witness version */
    "bc1pw5dgrnzv",                                                      /* program length 1 */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", /* length 41 */
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",                             /* bad v0 length */
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",   /* mixed case */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", /* zero padding > 4 bits */
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",   /* non-zero padding */
    "bc1gmk9yu",                                                         /* empty data */
};

static const char *hrp_of(const char *a) { return (a[0] == 't' || a[0] == 'T') ? "tb" : "bc"; }

Test(crypto, bip173_bip350_valid_vectors)
{
    for (size_t i = 0; i < sizeof VALID / sizeof *VALID; i++) {
        uint8_t prog[40], spk[42];
        char enc[100], lower[100];
        int ver, n = sl_segwit_decode(&ver, prog, sizeof prog, hrp_of(VALID[i].addr), VALID[i].addr);
        size_t sl = strlen(VALID[i].spk) / 2;
        cr_assert(n > 0, "%s should decode", VALID[i].addr);
        cr_assert(sl_hex_decode(spk, sl, VALID[i].spk, 2 * sl));
        cr_assert_eq(spk[0], ver ? 0x50 + ver : 0, "%s version", VALID[i].addr);
        cr_assert_eq(spk[1], n);
        cr_assert_eq(memcmp(spk + 2, prog, (size_t)n), 0, "%s program", VALID[i].addr);
        cr_assert(sl_segwit_encode(enc, sizeof enc, hrp_of(VALID[i].addr), ver, prog, (size_t)n));
        for (size_t k = 0; k <= strlen(VALID[i].addr); k++) lower[k] = (char)tolower((unsigned char)VALID[i].addr[k]);
        cr_assert_str_eq(enc, lower);
        /* and the script classifier agrees with the address */
        {
            sl_btc_addr a;
            sl_script_type t = sl_btc_script_classify(spk, sl, &a);
            cr_assert_neq(t, SL_SCRIPT_NONSTANDARD, "%s", VALID[i].spk);
            cr_assert_eq(a.len, n);
        }
    }
}

Test(crypto, bip173_bip350_invalid_vectors)
{
    for (size_t i = 0; i < sizeof INVALID / sizeof *INVALID; i++) {
        uint8_t prog[40];
        int ver;
        cr_assert_lt(sl_segwit_decode(&ver, prog, sizeof prog, "bc", INVALID[i]), 0, "%s must be rejected", INVALID[i]);
        cr_assert_lt(sl_segwit_decode(&ver, prog, sizeof prog, "tb", INVALID[i]), 0, "%s must be rejected", INVALID[i]);
    }
}

Test(crypto, base58check)
{
    /* genesis coinbase key hash -> Satoshi's address; a known p2sh address */
    uint8_t h[20], out[40], ver = 0;
    char s[80];
    cr_assert(sl_hex_decode(h, 20, "62e907b15cbf27d5425399ebf6f0fb50ebb88f18", 40));
    sl_base58check_encode(s, &ver, 1, h, 20);
    cr_assert_str_eq(s, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    cr_assert_eq(sl_base58check_decode(out, sizeof out, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), 21);
    cr_assert_eq(memcmp(out + 1, h, 20), 0);
    cr_assert_lt(sl_base58check_decode(out, sizeof out, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), 0, "bad checksum");
    cr_assert_lt(sl_base58check_decode(out, sizeof out, "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a"), 0, "0 not base58");
    cr_assert(sl_hex_decode(h, 20, "e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a", 40));
    ver = 5;
    sl_base58check_encode(s, &ver, 1, h, 20);
    cr_assert_str_eq(s, "3P14159f73E4gFr7JterCCQh9QjiTjiZrG");
}

Test(crypto, hashes)
{
    uint8_t d[32], h[20];
    char hx[65];
    sl_sha256d(d, "hello", 5);
    sl_hex_encode(hx, d, 32);
    cr_assert_str_eq(hx, "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
    /* hash160 of the genesis coinbase public key */
    {
        uint8_t pk[65];
        cr_assert(sl_hex_decode(pk, 65,
                                "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f3"
                                "5504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f", 130));
        sl_hash160(h, pk, 65);
        sl_hex_encode(hx, h, 20);
        cr_assert_str_eq(hx, "62e907b15cbf27d5425399ebf6f0fb50ebb88f18");
    }
}

Test(crypto, nbits_target_and_work)
{
    uint8_t t[32];
    cr_assert(sl_btc_bits_target(t, 0x1d00ffff));
    cr_assert_eq(t[4], 0xff);
    cr_assert_eq(t[5], 0xff);
    cr_assert_eq(t[3], 0);
    cr_assert_eq(t[6], 0);
    /* difficulty-1 work = 2^256 / (0xffff * 2^208 + 1) = 0x100010001 */
    cr_assert(sl_btc_bits_work(0x1d00ffff) == (unsigned __int128)0x100010001ULL);
    cr_assert(sl_btc_bits_work(0x207fffff) == 2);
    cr_assert(!sl_btc_bits_target(t, 0x1d80ffff), "negative target");
    cr_assert(!sl_btc_bits_target(t, 0x23000001), "overflow");
}
