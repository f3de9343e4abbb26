/* test_parse.c — the block and transaction parser on real mainnet bytes (golden values:
 * hashes, counts, txids, wtxids, weights) and on corrupted copies of them (each corruption
 * must give a located SL_ECORRUPT, never a crash). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/btc.h"
#include "sleuth/util.h"

static sl_btc_block B;
static sl_file F;
static sl_error E;

static void load(const char *prefix)
{
    memset(&E, 0, sizeof E);
    cr_assert_eq(sl_file_open(&F, fixture(FIX "/blocks", prefix), &E), 0, "%s", E.msg);
}

static int parse_copy(const uint8_t *p, size_t n)
{
    memset(&E, 0, sizeof E);
    return sl_btc_block_parse(&B, p, n, sl_btc_net_default(), SL_BTC_CHECK_ALL, &E);
}

static void done(void)
{
    sl_file_close(&F);
    sl_btc_block_free(&B);
}

TestSuite(parse, .fini = done);

Test(parse, genesis)
{
    char h[65];
    load("0000000_");
    cr_assert_eq(parse_copy(F.data, F.len), 0, "%s", E.msg);
    sl_hash_hex(h, &B.hash);
    cr_assert_str_eq(h, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    sl_hash_hex(h, &B.tx[0].txid);
    cr_assert_str_eq(h, "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    cr_assert_eq(B.n_tx, 1);
    cr_assert_eq(B.out[0].value, 5000000000ULL);
    cr_assert_eq(B.size, 285);
}

Test(parse, segwit_block_481824_wtxids_and_weight)
{
    char h[65];
    uint32_t segwit = 0;
    load("0481824_");
    cr_assert_eq(parse_copy(F.data, F.len), 0, "%s", E.msg);
    cr_assert_eq(B.n_tx, 1866);
    for (uint32_t i = 0; i < B.n_tx; i++) segwit += B.tx[i].segwit;
    cr_assert_eq(segwit, 7, "INDEX.csv: 7 segwit txs in the activation block");
    for (uint32_t i = 0; i < B.n_tx; i++)
        if (!B.tx[i].segwit) cr_assert_eq(memcmp(B.tx[i].txid.b, B.tx[i].wtxid.b, 32), 0);
        else {
            cr_assert_neq(memcmp(B.tx[i].txid.b, B.tx[i].wtxid.b, 32), 0);
            cr_assert_lt(B.tx[i].weight, B.tx[i].size * 4, "witness bytes are discounted");
        }
    sl_hash_hex(h, &B.hash);
    cr_assert_str_eq(h, "0000000000000000001c8018d9cb3b742ef25114f27563e3fc4a1902167f9893");
    cr_assert_leq(B.weight, 4000000);
}

Test(parse, bip34_height)
{
    load("0227931_");
    cr_assert_eq(parse_copy(F.data, F.len), 0, "%s", E.msg);
    cr_assert_eq(B.bip34_height, 227931);
}

static void stress_tx(const char *name, uint32_t nin, uint32_t nout)
{
    char path[600], h[65];
    snprintf(path, sizeof path, FIX "/txs/%s.bin.zst", name);
    memset(&E, 0, sizeof E);
    cr_assert_eq(sl_file_open(&F, path, &E), 0, "%s", E.msg);
    cr_assert_eq(sl_btc_tx_parse(&B, F.data, F.len, &E), 0, "%s", E.msg);
    sl_hash_hex(h, &B.tx[0].txid);
    cr_assert_str_eq(h, name);
    cr_assert_eq(B.tx[0].n_in, nin);
    cr_assert_eq(B.tx[0].n_out, nout);
    cr_assert_eq(B.tx[0].size, F.len);
}

Test(parse, stress_megatx_5569_inputs) { stress_tx("bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08", 5569, 1); }
Test(parse, stress_500kb_taproot_witness)
{
    stress_tx("73be398c4bdc43709db7398106609eea2a7841aaf3a4fa2000dc18184faa2a7e", 1, 1);
    cr_assert(B.tx[0].segwit);
    cr_assert_gt(B.tx[0].size - B.tx[0].weight / 4, 300000, "most of the tx is witness");
}
Test(parse, stress_large_witness) { stress_tx("7393096d97bfee8660f4100ffd61874d62f9a65de9fb6acf740c4c386990ef73", 1, 1); }

/* ---- corruption: each must be a located ECORRUPT ---- */

static uint8_t *dup_block(const char *prefix, size_t *n)
{
    uint8_t *p;
    load(prefix);
    p = malloc(F.len);
    memcpy(p, F.data, F.len);
    *n = F.len;
    return p;
}

Test(parse, truncated_block_every_length)
{
    size_t n;
    uint8_t *p = dup_block("0482683_", &n);
    for (size_t cut = 0; cut < n; cut += (cut < 200 ? 1 : 97)) {
        int rc = parse_copy(p, cut);
        cr_assert_eq(rc, SL_ECORRUPT, "cut at %zu: rc %d", cut, rc);
        cr_assert(strstr(E.msg, "truncated") || strstr(E.msg, "larger than") || strstr(E.msg, "past the end") ||
                      strstr(E.msg, "no transactions") || strstr(E.msg, "no inputs"),
                  "cut at %zu: %s", cut, E.msg);
    }
    free(p);
}

Test(parse, merkle_mismatch)
{
    size_t n;
    uint8_t *p = dup_block("0091880_", &n);
    p[n - 5] ^= 1; /* a byte of the last tx's output script */
    cr_assert_eq(parse_copy(p, n), SL_ECORRUPT);
    cr_assert(strstr(E.msg, "merkle root"), "%s", E.msg);
    free(p);
}

Test(parse, proof_of_work)
{
    size_t n;
    uint8_t *p = dup_block("0170060_", &n);
    p[76] ^= 0x55; /* nonce */
    cr_assert_eq(parse_copy(p, n), SL_ECORRUPT);
    cr_assert(strstr(E.msg, "proof of work") && strstr(E.msg, "byte offset 0"), "%s", E.msg);
    free(p);
}

Test(parse, witness_tampered)
{
    size_t n;
    uint8_t *p = dup_block("0482683_", &n);
    /* flip a byte inside the last segwit tx's witness: txid and merkle root stay valid */
    cr_assert_eq(parse_copy(p, n), 0, "%s", E.msg);
    {
        int k = -1;
        for (uint32_t i = 0; i < B.n_tx; i++) if (B.tx[i].segwit) k = (int)i;
        cr_assert_geq(k, 1);
        p[B.tx[k].offset + B.tx[k].size - 4 - 10] ^= 1;
    }
    cr_assert_eq(parse_copy(p, n), SL_ECORRUPT);
    cr_assert(strstr(E.msg, "witness commitment"), "%s", E.msg);
    free(p);
}

Test(parse, absurd_varint_and_trailing_bytes)
{
    size_t n;
    uint8_t *p = dup_block("0000001_", &n), *q = malloc(n + 9);
    memcpy(q, p, 80);
    q[80] = 0xff; /* tx count 2^64-1 */
    memset(q + 81, 0xff, 8);
    cr_assert_eq(parse_copy(q, 89), SL_ECORRUPT);
    cr_assert(strstr(E.msg, "byte offset 89") && strstr(E.msg, "transaction count"), "%s", E.msg);
    memcpy(q, p, n);
    q[n] = 0;
    cr_assert_eq(parse_copy(q, n + 1), SL_ECORRUPT);
    cr_assert(strstr(E.msg, "trailing"), "%s", E.msg);
    free(p);
    free(q);
}

Test(parse, garbage_is_rejected)
{
    uint8_t g[4096];
    srand(7);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof g; i++) g[i] = (uint8_t)rand();
        cr_assert_eq(parse_copy(g, sizeof g), SL_ECORRUPT);
    }
}
