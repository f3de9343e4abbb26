/* test_chain.c — chain selection and the store's linking rules on small regtest chains
 * built here (nBits 0x207fffff, nonce ground until the header meets it): out-of-order
 * forks (the branch with the most work wins, the rest are stale), extending a stored tip
 * later, in-chain spends linked both ways, and BIP-30 style duplicate txids. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/btc.h"
#include "sleuth/util.h"

typedef struct blk {
    uint8_t b[2000];
    size_t n;
    sl_hash256 hash;
    sl_hash256 cb_txid;
} blk;

static size_t put_varint(uint8_t *p, uint64_t v) { p[0] = (uint8_t)v; return 1; }

/* A coinbase paying `value` to a p2pkh of `tag`; extra: optional second tx spending
 * (spend_txid, 0) to another p2pkh. cbtag makes the coinbase unique (or not). */
static void make_block(blk *k, const sl_hash256 *prev, uint32_t time, uint8_t cbtag, uint64_t value,
                       const sl_hash256 *spend_txid, uint64_t spend_value)
{
    uint8_t tx[2][200], *p;
    size_t tl[2];
    sl_hash256 ids[2], root;
    int ntx = spend_txid ? 2 : 1;
    for (int t = 0; t < ntx; t++) {
        p = tx[t];
        sl_put_le32(p, 1), p += 4;
        p += put_varint(p, 1);
        if (t == 0) { memset(p, 0, 32); p += 32; sl_put_le32(p, 0xffffffff); p += 4; *p++ = 2; *p++ = 0x51; *p++ = cbtag; }
        else { memcpy(p, spend_txid->b, 32); p += 32; sl_put_le32(p, 0); p += 4; *p++ = 1; *p++ = 0x51; }
        sl_put_le32(p, 0xffffffff), p += 4;
        p += put_varint(p, 1);
        sl_put_le64(p, t == 0 ? value : spend_value), p += 8;
        *p++ = 25; *p++ = 0x76; *p++ = 0xa9; *p++ = 20;
        memset(p, t == 0 ? 0x11 : 0x22, 20); p += 20;
        *p++ = 0x88; *p++ = 0xac;
        sl_put_le32(p, 0), p += 4;
        tl[t] = (size_t)(p - tx[t]);
        sl_sha256d(ids[t].b, tx[t], tl[t]);
    }
    if (ntx == 1) root = ids[0];
    else { uint8_t cat[64]; memcpy(cat, ids[0].b, 32); memcpy(cat + 32, ids[1].b, 32); sl_sha256d(root.b, cat, 64); }
    p = k->b;
    sl_put_le32(p, 1);
    memcpy(p + 4, prev ? prev->b : (uint8_t[32]){0}, 32);
    memcpy(p + 36, root.b, 32);
    sl_put_le32(p + 68, time);
    sl_put_le32(p + 72, 0x207fffff);
    for (uint32_t nonce = 0;; nonce++) {
        sl_put_le32(p + 76, nonce);
        sl_btc_header_hash(&k->hash, p);
        if (sl_btc_check_pow(p, &k->hash, sl_btc_net_by_name("regtest"))) break;
    }
    p += 80;
    *p++ = (uint8_t)ntx;
    for (int t = 0; t < ntx; t++) { memcpy(p, tx[t], tl[t]); p += tl[t]; }
    k->n = (size_t)(p - k->b);
    k->cb_txid = ids[0];
}

static void write_blk(const char *path, blk **bs, int n)
{
    FILE *f = fopen(path, "wb");
    const uint8_t magic[4] = {0xfa, 0xbf, 0xb5, 0xda};
    for (int i = 0; i < n; i++) {
        uint8_t len[4];
        sl_put_le32(len, (uint32_t)bs[i]->n);
        fwrite(magic, 1, 4, f);
        fwrite(len, 1, 4, f);
        fwrite(bs[i]->b, 1, bs[i]->n, f);
    }
    fclose(f);
}

static void hex(char out[65], const blk *b) { sl_hash_hex(out, &b->hash); }

Test(chain, fork_most_work_wins_and_stale_blocks_are_kept_aside)
{
    const char *d = temp_dir();
    static blk g, a1, a2, a3, b2, b3, b4, b5;
    char path[256], h[65];
    cJSON *j;
    run_result r;
    make_block(&g, NULL, 1000, 0, 5000000000ULL, NULL, 0);
    make_block(&a1, &g.hash, 1010, 1, 5000000000ULL, NULL, 0);
    make_block(&a2, &a1.hash, 1020, 2, 5000000000ULL, NULL, 0);
    make_block(&a3, &a2.hash, 1030, 3, 5000000000ULL, NULL, 0);
    make_block(&b2, &a1.hash, 1021, 12, 5000000000ULL, NULL, 0);
    make_block(&b3, &b2.hash, 1031, 13, 5000000000ULL, NULL, 0);
    make_block(&b4, &b3.hash, 1041, 14, 5000000000ULL, NULL, 0);
    make_block(&b5, &b4.hash, 1051, 15, 5000000000ULL, NULL, 0);
    {
        blk *order[] = {&b4, &a3, &g, &b2, &a1, &a2, &b3}; /* scrambled, as in real blk files */
        snprintf(path, sizeof path, "%s/blk00000.dat", d);
        write_blk(path, order, 7);
    }
    r = run_sleuth("ingest btc --network regtest --json --quiet --store %s/s %s", d, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"blocks_added\":5") && strstr(r.out, "\"blocks_stale\":2"), "%s", r.out);
    run_free(&r);
    j = sleuth_json("info --store %s/s --json", d);
    hex(h, &b4);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "tip_height"), 4);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "btc"), "tip_hash"), h);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "btc"), "network"), "regtest");
    cJSON_Delete(j);
    /* stale a2 is not stored; height 2 is b2 */
    hex(h, &a2);
    r = run_sleuth("block --store %s/s %s", d, h);
    cr_assert_eq(r.status, 1);
    run_free(&r);
    j = sleuth_json("block --store %s/s 2 --json", d);
    hex(h, &b2);
    cr_assert_str_eq(jstr(j, "hash"), h);
    cJSON_Delete(j);
    /* later, the next block extends the stored tip */
    {
        blk *order[] = {&b5};
        snprintf(path, sizeof path, "%s/blk00001.dat", d);
        write_blk(path, order, 1);
    }
    r = run_sleuth("ingest btc --quiet --store %s/s %s", d, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("info --store %s/s --json", d);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "linked_tip_height"), 5);
    cJSON_Delete(j);
    /* a regtest store refuses mainnet blk files, naming the network */
    r = run_sleuth("ingest btc --store %s/s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", d);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "bitcoin") && strstr(r.err, "--network"), "%s", r.err);
    run_free(&r);
}

Test(chain, spends_linked_both_ways_and_duplicate_txids)
{
    const char *d = temp_dir();
    static blk g, b1, b2, b3;
    char path[256], h[65], t[65];
    cJSON *j, *o;
    run_result r;
    make_block(&g, NULL, 2000, 7, 5000000000ULL, NULL, 0);
    /* b1's coinbase is byte-identical to g's: the same txid twice (as mainnet 91842/91880) */
    make_block(&b1, &g.hash, 2010, 7, 5000000000ULL, NULL, 0);
    cr_assert_eq(memcmp(b1.cb_txid.b, g.cb_txid.b, 32), 0);
    make_block(&b2, &b1.hash, 2020, 9, 5000000000ULL, &b1.cb_txid, 4999990000ULL);
    make_block(&b3, &b2.hash, 2030, 10, 5000000000ULL, NULL, 0);
    {
        blk *order[] = {&g, &b1, &b2, &b3};
        snprintf(path, sizeof path, "%s/blk00000.dat", d);
        write_blk(path, order, 4);
    }
    r = run_sleuth("ingest btc --network regtest --quiet --store %s/s %s", d, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    sl_hash_hex(t, &g.cb_txid);
    j = sleuth_json("tx --store %s/s %s --json", d, t);
    hex(h, &b1);
    cr_assert_str_eq(jstr(j, "block_hash"), h, "the latest of the duplicates is shown");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "duplicate_of_earlier_blocks")), 1);
    o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outputs"), 0);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(o, "spent_by")), "the spend resolves to the latest duplicate");
    cJSON_Delete(j);
    /* the spend: fee 10000, input linked to the coinbase output, address balances */
    j = sleuth_json("block --store %s/s 2 --json", d);
    cr_assert_eq(jint(j, "fees"), 10000);
    sl_hash_hex(t, &b2.hash);
    cJSON_Delete(j);
    {
        char spend[65];
        cJSON *b = sleuth_json("block --store %s/s %s --json", d, t);
        snprintf(spend, sizeof spend, "%s", cJSON_GetArrayItem(cJSON_GetObjectItem(b, "txids"), 1)->valuestring);
        cJSON_Delete(b);
        j = sleuth_json("tx --store %s/s %s --json", d, spend);
        o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "inputs"), 0);
        cr_assert_eq(jint(o, "value"), 5000000000ULL);
        cr_assert_eq(jint(j, "fee"), 10000);
        cJSON_Delete(j);
    }
    /* 0x11.. key hash received 4 coinbases (one of them shadowed by its duplicate but still
     * an output on chain), spent one; 0x22.. received the spend */
    {
        uint8_t h20[20], ver = 0x6f;
        char a[64];
        memset(h20, 0x22, 20);
        sl_base58check_encode(a, &ver, 1, h20, 20);
        j = sleuth_json("address --store %s/s %s --json", d, a);
        cr_assert_eq(jint(j, "balance"), 4999990000ULL);
        cJSON_Delete(j);
        memset(h20, 0x11, 20);
        sl_base58check_encode(a, &ver, 1, h20, 20);
        j = sleuth_json("address --store %s/s %s --json", d, a);
        cr_assert_eq(jint(j, "received"), 4 * 5000000000ULL);
        cr_assert_eq(jint(j, "spent"), 5000000000ULL);
        cr_assert_eq(jint(j, "tx_count"), 5, "4 coinbases (g and b1 share a txid but are two txs) + the spend");
        cJSON_Delete(j);
    }
}
