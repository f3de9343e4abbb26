/* test_cli.c — end to end through the real `sleuth` binary on the bundled mainnet
 * fixtures: ingest (blk framing, raw blocks, prevout views), the JSON contract of info,
 * block, tx and address, incremental ingest and resume, out-of-order blk files, xor.dat,
 * bad input (located errors, exit code, store unchanged) and kill -9 crash safety. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/util.h"

#define CONSEC FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat " FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"
#define TIP599 "0000000042844571bc6bce8e1c0fbec99466971eaff89fef8c0d123582181d4d"

static const char *store_with_consecutive(void)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " CONSEC, d);
    static char path[128];
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(path, sizeof path, "%s/s", d);
    return path;
}

Test(cli, info_heights_0_599)
{
    const char *s = store_with_consecutive();
    cJSON *j = sleuth_json("info --store %s --json", s), *b = cJSON_GetObjectItem(j, "btc");
    cr_assert_eq(jint(b, "blocks"), 600);
    cr_assert_eq(jint(b, "txs"), 616, "MANIFEST: 307 + 309 txs");
    cr_assert_eq(jint(b, "inputs"), 625);
    cr_assert_eq(jint(b, "outputs"), 627);
    cr_assert_eq(jint(b, "tip_height"), 599);
    cr_assert_str_eq(jstr(b, "tip_hash"), TIP599);
    cr_assert_gt(jint(b, "store_bytes"), 0);
    cr_assert_gt(jint(b, "addresses"), 600);
    cJSON_Delete(j);
}

Test(cli, block_170_and_the_first_transfer)
{
    const char *s = store_with_consecutive();
    cJSON *b = sleuth_json("block --store %s 170 --json", s), *t, *ins, *outs, *o;
    cr_assert_str_eq(jstr(b, "hash"), "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee");
    cr_assert_eq(jint(b, "height"), 170);
    cr_assert_eq(jint(b, "time"), 1231731025);
    cr_assert_str_eq(jstr(b, "prev_hash"), "000000002a22cfee1f2c846adbd12b3e183d4f97683f85dad08a79780a84bd55");
    cr_assert_str_eq(jstr(b, "merkle_root"), "7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff");
    cr_assert_eq(jint(b, "tx_count"), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "txids"), 1)->valuestring,
                     "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16");
    cJSON_Delete(b);
    /* by hash gives the same block */
    b = sleuth_json("block --store %s 00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee --json", s);
    cr_assert_eq(jint(b, "height"), 170);
    cJSON_Delete(b);

    t = sleuth_json("tx --store %s f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 --json", s);
    cr_assert_str_eq(jstr(t, "block_hash"), "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee");
    cr_assert_eq(jint(t, "height"), 170);
    cr_assert_eq(jint(t, "fee"), 0);
    cr_assert_eq(jint(t, "size"), 275);
    cr_assert_eq(jint(t, "vsize"), 275);
    cr_assert_str_eq(jstr(t, "wtxid"), "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16");
    ins = cJSON_GetObjectItem(t, "inputs");
    cr_assert_eq(cJSON_GetArraySize(ins), 1);
    o = cJSON_GetArrayItem(ins, 0);
    cr_assert_str_eq(jstr(o, "prev_txid"), "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9");
    cr_assert_eq(jint(o, "prev_vout"), 0);
    cr_assert_eq(jint(o, "value"), 5000000000ULL);
    cr_assert_str_eq(jstr(o, "address"), "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cr_assert_str_eq(jstr(o, "type"), "p2pk");
    outs = cJSON_GetObjectItem(t, "outputs");
    o = cJSON_GetArrayItem(outs, 0);
    cr_assert_eq(jint(o, "value"), 1000000000ULL);
    cr_assert_str_eq(jstr(o, "address"), "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "Hal Finney");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "spent_by")));
    o = cJSON_GetArrayItem(outs, 1);
    cr_assert_eq(jint(o, "value"), 4000000000ULL);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(o, "spent_by"), "txid"),
                     "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be");
    cr_assert_eq(jint(cJSON_GetObjectItem(o, "spent_by"), "vin"), 0);
    cJSON_Delete(t);
}

Test(cli, address_history_and_p2pk_link)
{
    const char *s = store_with_consecutive();
    /* Satoshi's block-9 key: its p2pkh address and the raw public key are one owner */
    cJSON *a = sleuth_json("address --store %s 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --json", s), *b, *txs;
    cr_assert_str_eq(jstr(a, "type"), "p2pkh");
    cr_assert_eq(jint(a, "received"), 19500000000ULL);
    cr_assert_eq(jint(a, "spent"), 17700000000ULL);
    cr_assert_eq(jint(a, "balance"), 1800000000ULL);
    cr_assert_eq(jint(a, "tx_count"), 6);
    cr_assert_eq(jint(a, "first_seen_height"), 9);
    cr_assert_eq(jint(a, "last_seen_height"), 248);
    txs = cJSON_GetObjectItem(a, "txs");
    cr_assert_eq(cJSON_GetArraySize(txs), 6);
    cr_assert_str_eq(cJSON_GetArrayItem(txs, 5)->valuestring,
                     "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9", "oldest last");
    b = sleuth_json("address --store %s 0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3 --json", s);
    cr_assert_str_eq(jstr(b, "address"), "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cr_assert_eq(jint(b, "balance"), 1800000000ULL);
    cJSON_Delete(b);
    /* paging */
    b = sleuth_json("address --store %s 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --json --limit 2 --offset 4", s);
    txs = cJSON_GetObjectItem(b, "txs");
    cr_assert_eq(cJSON_GetArraySize(txs), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(txs, 1)->valuestring, "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9");
    cJSON_Delete(b);
    cJSON_Delete(a);
}

Test(cli, lookups_not_found_and_bad_arguments)
{
    const char *s = store_with_consecutive();
    run_result r = run_sleuth("tx --store %s 0000000000000000000000000000000000000000000000000000000000000001", s);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "not found"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("tx --store %s nothex --json", s);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.out, "\"EUSAGE\""), "%s", r.out);
    run_free(&r);
    r = run_sleuth("address --store %s bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", s);
    cr_assert_eq(r.status, 2, "bech32m checksum on a v0 address is not an address");
    run_free(&r);
    r = run_sleuth("block --store %s 600", s);
    cr_assert_eq(r.status, 1);
    run_free(&r);
    r = run_sleuth("info --store /nonexistent/x");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no sleuth store"), "%s", r.err);
    run_free(&r);
}

/* Checks every block of INDEX.csv that the store holds: height, size, tx/input/output
 * counts, time, P2TR outputs; and the MANIFEST's fee totals (coinbase = subsidy + fees).
 * Returns how many blocks were checked. */
int check_index(const char *store, const char *index_csv)
{
    static const struct { const char *h; uint64_t fees; } FEES[] = {
        {"367891", 14001930}, {"388381", 15227937}, {"419328", 55670839}, {"481824", 212514269},
        {"692261", 28269308}, {"709632", 10380137}, {"866342", 5026183},
    };
    FILE *f = fopen(index_csv, "r");
    char line[1024];
    int checked = 0;
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        char *fld[20];
        int n = 0;
        cJSON *b;
        for (char *p = strtok(line, ","); p && n < 20; p = strtok(NULL, ",")) fld[n++] = p;
        {
            run_result q = run_sleuth("block --store %s %s --json", store, fld[1]);
            if (q.status == 1) { run_free(&q); continue; } /* not in this store */
            cr_assert_eq(q.status, 0, "%s", q.err);
            b = cJSON_Parse(q.out);
            run_free(&q);
        }
        cr_assert_eq(jint(b, "height"), strtoull(fld[0], NULL, 10), "height of %s", fld[1]);
        cr_assert_eq(jint(b, "size"), strtoull(fld[3], NULL, 10));
        cr_assert_eq(jint(b, "tx_count"), strtoull(fld[4], NULL, 10));
        cr_assert_eq(jint(b, "inputs"), strtoull(fld[5], NULL, 10));
        cr_assert_eq(jint(b, "outputs"), strtoull(fld[6], NULL, 10));
        cr_assert_eq(jint(b, "time"), strtoull(fld[9], NULL, 10));
        {
            const cJSON *p2tr = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "output_types"), "p2tr");
            cr_assert_eq(p2tr ? (uint64_t)p2tr->valuedouble : 0, strtoull(fld[8], NULL, 10), "p2tr outputs of %s", fld[0]);
        }
        for (size_t k = 0; k < sizeof FEES / sizeof *FEES; k++)
            if (strtoull(FEES[k].h, NULL, 10) == strtoull(fld[0], NULL, 10)) {
                uint64_t subsidy = 5000000000ULL >> (strtoull(fld[0], NULL, 10) / 210000);
                cr_assert_eq(jint(b, "fees"), FEES[k].fees, "fees of block %s", FEES[k].h);
                cr_assert_eq(jint(b, "coinbase_value"), subsidy + FEES[k].fees, "coinbase = subsidy + fees");
            }
        checked++;
        cJSON_Delete(b);
    }
    fclose(f);
    return checked;
}

Test(cli, raw_blocks_with_prevouts_match_manifest, .timeout = 120)
{
    const char *d = temp_dir();
    char st[128];
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/blocks/* $(for f in " FIX
                              "/prevouts/*; do printf -- '--prevouts %%s ' $f; done)", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    cr_assert_eq(check_index(st, FIX "/INDEX.csv"), 14, "every bundled block was checked");
    /* BIP-30: the coinbases of 91842 and 91880 repeat the txids of 91812's and 91722's */
    {
        cJSON *b = sleuth_json("block --store %s 91842 --json", st), *t;
        cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "txids"), 0)->valuestring,
                         "d5d27987d2a3dfc724e359870c6644b40e497bdc0589a033220fe15429d88599");
        cJSON_Delete(b);
        b = sleuth_json("block --store %s 91880 --json", st);
        cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "txids"), 0)->valuestring,
                         "e3bf3d07d4b0375638d5f1db5255fe07ba2c4cb067cd81b84ee974b6585fb468");
        cJSON_Delete(b);
        t = sleuth_json("tx --store %s e3bf3d07d4b0375638d5f1db5255fe07ba2c4cb067cd81b84ee974b6585fb468 --json", st);
        cr_assert_eq(jint(t, "height"), 91880);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(t, "coinbase")));
        cJSON_Delete(t);
    }
}

/* When ../shared/data is present (developers, CI), all 81 shared blocks too. */
Test(cli, shared_all_81_blocks, .timeout = 300)
{
    const char *sh = "../shared/data/bitcoin";
    const char *d;
    char st[128];
    run_result r;
    if (access(sh, R_OK) != 0) cr_skip_test("../shared/data not present");
    d = temp_dir();
    r = run_sleuth("ingest btc --quiet --store %s/s %s/blocks/*.bin $(for f in %s/prevouts/0*.json; do printf -- "
                   "'--prevouts %%s ' $f; done)", d, sh, sh);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    cr_assert_eq(check_index(st, "../shared/data/bitcoin/blocks/INDEX.csv"), 81);
}

Test(cli, taproot_and_segwit_addresses_round_trip, .timeout = 60)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s %s --prevouts %s", d, fixture(FIX "/blocks", "0866342_"),
                              fixture(FIX "/prevouts", "0866342_"));
    cJSON *b, *t, *o, *a;
    int found_tr = 0;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    b = sleuth_json("block --store %s/s 866342 --json", d);
    /* find a p2tr output, look its address up, and check the address knows the tx */
    for (int i = (int)jint(b, "tx_count") - 1; i > 0 && !found_tr; i -= 7) {
        t = sleuth_json("tx --store %s/s %s --json", d, cJSON_GetArrayItem(cJSON_GetObjectItem(b, "txids"), i)->valuestring);
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(t, "outputs")) {
            if (strcmp(jstr(o, "type"), "p2tr") == 0) {
                cr_assert_eq(strncmp(jstr(o, "address"), "bc1p", 4), 0);
                a = sleuth_json("address --store %s/s %s --json", d, jstr(o, "address"));
                cr_assert_str_eq(jstr(a, "type"), "p2tr");
                cr_assert_geq(jint(a, "received"), jint(o, "value"));
                cJSON_Delete(a);
                found_tr = 1;
                break;
            }
        }
        cJSON_Delete(t);
    }
    cr_assert(found_tr);
    cJSON_Delete(b);
}

static char *info_without_bytes(const char *store)
{
    run_result r = run_sleuth("info --store %s --json", store);
    char *p;
    cr_assert_eq(r.status, 0, "%s", r.err);
    p = strstr(r.out, ",\"store_bytes\"");
    if (p) *p = 0;
    free(r.err);
    return r.out;
}

Test(cli, incremental_and_resume)
{
    const char *d = temp_dir(), *ref = store_with_consecutive();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", d);
    char st[128], *a, *b;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --json --store %s/s " CONSEC, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"blocks_added\":300") && strstr(r.out, "\"blocks_already_stored\":300"), "%s", r.out);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    a = info_without_bytes(st);
    b = info_without_bytes(ref);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    /* and again: nothing to add */
    r = run_sleuth("ingest btc --json --store %s/s " CONSEC, d);
    cr_assert(strstr(r.out, "\"blocks_added\":0"), "%s", r.out);
    run_free(&r);
}

Test(cli, orphans_alone_are_an_error)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --store %s/s " FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", d);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "connects"), "%s", r.err);
    run_free(&r);
}

/* Writes the frames of the first n blocks (heights 0..n-1) of the two consecutive files into
 * one blk file, in height order or reversed. */
static void write_frames(const char *out, size_t n, bool reversed)
{
    sl_file a, b;
    sl_error e = {0};
    const uint8_t *fr[700];
    size_t nf = 0;
    FILE *f = fopen(out, "wb");
    cr_assert_not_null(f, "%s", out);
    cr_assert_eq(sl_file_open(&a, FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", &e), 0);
    cr_assert_eq(sl_file_open(&b, FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", &e), 0);
    for (int k = 0; k < 2; k++) {
        const sl_file *x = k ? &b : &a;
        for (size_t off = 0; off + 8 <= x->len; off += 8 + sl_le32(x->data + off + 4)) fr[nf++] = x->data + off;
    }
    cr_assert_leq(n, nf);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = fr[reversed ? n - 1 - i : i];
        fwrite(p, 1, 8 + sl_le32(p + 4), f);
    }
    fclose(f);
    sl_file_close(&a);
    sl_file_close(&b);
}

Test(cli, out_of_order_blocks_and_xor_dat)
{
    const char *d = temp_dir(), *ref = store_with_consecutive();
    char path[256], st[128], *a, *b;
    run_result r;
    snprintf(path, sizeof path, "%s/blk00000.dat", d);
    write_frames(path, 600, true);
    r = run_sleuth("ingest btc --quiet --store %s/s %s", d, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    a = info_without_bytes(st);
    b = info_without_bytes(ref);
    cr_assert_str_eq(a, b);
    free(a);
    /* a Bitcoin Core 28 blocks/ folder: xor.dat key, every byte i XOR key[i %% 8] */
    {
        const uint8_t key[8] = {0x3a, 0x91, 0x07, 0xc4, 0x55, 0xee, 0x10, 0x7b};
        sl_file f;
        sl_error e = {0};
        FILE *o;
        char dir[200], p2[260];
        snprintf(dir, sizeof dir, "%s/blocks", d);
        mkdir(dir, 0755);
        snprintf(p2, sizeof p2, "%s/xor.dat", dir);
        o = fopen(p2, "wb");
        fwrite(key, 1, 8, o);
        fclose(o);
        cr_assert_eq(sl_file_open(&f, path, &e), 0);
        snprintf(p2, sizeof p2, "%s/blk00000.dat", dir);
        o = fopen(p2, "wb");
        for (size_t i = 0; i < f.len; i++) fputc(f.data[i] ^ key[i % 8], o);
        fclose(o);
        sl_file_close(&f);
        r = run_sleuth("ingest btc --quiet --store %s/x %s", d, dir);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        snprintf(st, sizeof st, "%s/x", d);
        a = info_without_bytes(st);
        cr_assert_str_eq(a, b);
        free(a);
        /* without the key the same folder is garbage: a located error */
        snprintf(p2, sizeof p2, "%s/xor.dat", dir);
        unlink(p2);
        r = run_sleuth("ingest btc --quiet --store %s/y %s", d, dir);
        cr_assert_eq(r.status, 1);
        cr_assert(strstr(r.err, "blk00000.dat: byte offset 0: wrong magic") && strstr(r.err, "xor.dat"), "%s", r.err);
        run_free(&r);
    }
    free(b);
}

/* Each bad input: exit 1, the file and byte offset named, the store byte-for-byte as it was. */
static void bad_input(const char *name, const uint8_t *data, size_t n, const char *expect)
{
    const char *d = temp_dir();
    char s[128], path[256], *before, *after;
    FILE *f;
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(s, sizeof s, "%s/s", d);
    snprintf(path, sizeof path, "%s/../%s", s, name);
    f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    before = tree_digest(s);
    r = run_sleuth("ingest btc --quiet --store %s " FIX "/blocks/0000000_000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f.bin %s", s, path);
    cr_assert_eq(r.status, 1, "%s: exit %d", name, r.status);
    cr_assert(strstr(r.err, name), "%s: error names the file: %s", name, r.err);
    cr_assert(strstr(r.err, "byte offset"), "%s: error names the offset: %s", name, r.err);
    cr_assert(strstr(r.err, expect), "%s: expected '%s' in: %s", name, expect, r.err);
    run_free(&r);
    after = tree_digest(s);
    cr_assert_str_eq(before, after, "%s: store changed", name);
    free(before);
    free(after);
}

static uint8_t *consec_copy(size_t *n)
{
    sl_file f;
    sl_error e = {0};
    uint8_t *p;
    cr_assert_eq(sl_file_open(&f, FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", &e), 0);
    p = malloc(f.len + 16);
    memcpy(p, f.data, f.len);
    *n = f.len;
    sl_file_close(&f);
    return p;
}

Test(cli, bad_wrong_magic)
{
    size_t n;
    uint8_t *p = consec_copy(&n);
    size_t second = 8 + sl_le32(p + 4);
    p[second] = 0xfa;
    bad_input("wrongmagic.dat", p, n, "wrong magic");
    free(p);
}

Test(cli, bad_length_past_end)
{
    size_t n;
    uint8_t *p = consec_copy(&n);
    bad_input("pastend.dat", p, n - 100, "past the end");
    free(p);
}

Test(cli, bad_truncated_block)
{
    size_t n;
    uint8_t *p = consec_copy(&n);
    size_t second = 8 + sl_le32(p + 4);
    /* shrink the second frame's declared length by 10: its transactions run short */
    sl_put_le32(p + second + 4, sl_le32(p + second + 4) - 10);
    memmove(p + second + 8 + sl_le32(p + second + 4), p + second + 8 + sl_le32(p + second + 4) + 10,
            n - (second + 8 + sl_le32(p + second + 4) + 10));
    bad_input("truncated.dat", p, n - 10, "truncated");
    free(p);
}

/* What a store holds, as look-ups answer it: info (without byte counts), the first
 * transfer, a few addresses with their whole histories. */
static char *store_contents(const char *st)
{
    static const char *const cmds[] = {
        "info --json", "tx --json f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
        "address --json --limit 1000 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S",
        "address --json --limit 1000 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "block --json 299",
        "address --json 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK" /* block 450's coinbase */};
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        run_result r = run_sleuth("%s --store %s", cmds[i], st);
        cJSON *j = cJSON_Parse(r.out);
        char *t;
        if (j && cJSON_GetObjectItem(j, "btc")) cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "btc"), "store_bytes");
        if (j) cJSON_DeleteItemFromObject(j, "store_bytes");
        if (j && cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0))
            cJSON_DeleteItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0), "store_bytes");
        t = j ? cJSON_PrintUnformatted(j) : strdup(r.out);
        while (len + strlen(t) + 32 > cap) out = realloc(out, cap *= 2);
        len += (size_t)sprintf(out + len, "%d %s\n", r.status, t);
        free(t);
        cJSON_Delete(j);
        run_free(&r);
    }
    return out;
}

/* A block refused after this ingest already committed earlier batches (one block a commit
 * here): those batches are removed again, so the store holds what it held (its LMDB file
 * and merged run files are laid out anew: docs/DECISIONS.md), and the same blocks without
 * the bad one then go in as usual. */
Test(cli, refused_after_earlier_commits_leaves_the_store_as_it_was)
{
    const char *d = temp_dir();
    char s[128], path[256], *before, *after;
    size_t n, off = 0;
    uint8_t *p = consec_copy(&n);
    FILE *f;
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    /* block 450 (the 151st frame of the second file): flip a bit of its last tx */
    for (int k = 0; k < 150; k++) off += 8 + sl_le32(p + off + 4);
    p[off + 8 + sl_le32(p + off + 4) - 6] ^= 0x01;
    snprintf(s, sizeof s, "%s/s", d);
    snprintf(path, sizeof path, "%s/late.dat", d);
    f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
    before = store_contents(s);
    r = run_sleuth("ingest btc --quiet --batch-mb 0 --store %s %s", s, path);
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "merkle root") && strstr(r.err, "late.dat"), "%s", r.err);
    run_free(&r);
    after = store_contents(s);
    cr_assert_str_eq(before, after, "the refused ingest left something of blocks 300-449 behind");
    r = run_sh("ls %s/btc/runs | wc -l", s);
    cr_assert_eq(atoi(r.out), 2, "one txid run and one history run, no leftovers: %s", r.out);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --batch-mb 0 --store %s " FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    {
        cJSON *j = sleuth_json("address --store %s --json 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK", s);
        cr_assert_eq(jint(j, "received"), 5000000000ULL);
        cJSON_Delete(j);
    }
    free(before);
    free(after);
    free(p);
}

Test(cli, bad_merkle_mismatch)
{
    size_t n;
    uint8_t *p = consec_copy(&n);
    size_t second = 8 + sl_le32(p + 4);
    p[second + 8 + sl_le32(p + second + 4) - 6] ^= 0x01; /* inside the coinbase output script */
    bad_input("merkle.dat", p, n, "merkle root");
    free(p);
}

Test(cli, bad_garbage_file)
{
    uint8_t g[5000];
    for (size_t i = 0; i < sizeof g; i++) g[i] = (uint8_t)(i * 2654435761u >> 13);
    bad_input("garbage.bin", g, sizeof g, "block");
}

Test(cli, bad_prevouts_json)
{
    const char *s = store_with_consecutive();
    char path[256], *before, *after;
    FILE *f;
    run_result r;
    snprintf(path, sizeof path, "%s/../bad_prevouts.json", s);
    f = fopen(path, "w");
    fputs("[{\"txid\":\"00\",\"vout\":0,\"value_sats\":1,\"script_pubkey\":\"\"}]", f);
    fclose(f);
    before = tree_digest(s);
    r = run_sleuth("ingest btc --store %s --prevouts %s %s", s, path, fixture(FIX "/blocks", "0091880_"));
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "$[0].txid"), "%s", r.err);
    run_free(&r);
    after = tree_digest(s);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
}

/* kill -9 right after the 3rd commit: the store holds exactly 3 blocks and works; running
 * the ingest again resumes to the same store as a clean run. */
Test(cli, crash_after_commit_then_resume)
{
    const char *d = temp_dir(), *ref = store_with_consecutive();
    char st[128], *a, *b;
    cJSON *j;
    run_result r = run_sh("SLEUTH_TEST_KILL_AFTER_COMMITS=3 %s ingest btc --quiet --batch-mb 0 --store %s/k " CONSEC,
                          sleuth_bin(), d);
    cr_assert_eq(r.status, 128 + 9, "killed by SIGKILL, got %d: %s", r.status, r.err);
    run_free(&r);
    j = sleuth_json("info --store %s/k --json", d);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "blocks"), 3);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "tip_height"), 2);
    cJSON_Delete(j);
    r = run_sleuth("ingest btc --quiet --store %s/k " CONSEC, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/k", d);
    a = info_without_bytes(st);
    b = info_without_bytes(ref);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    j = sleuth_json("tx --store %s/k f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 --json", d);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outputs"), 1), "spent_by"), "txid"),
                     "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be");
    cJSON_Delete(j);
}

/* The info of a clean ingest of exactly heights 0..n-1 (a blk file of their frames, into d/refN):
 * what a store holding n blocks must be. */
static char *info_of_first(const char *d, uint64_t n)
{
    char blk[160], st[160];
    run_result r;
    snprintf(blk, sizeof blk, "%s/first%llu.dat", d, (unsigned long long)n);
    snprintf(st, sizeof st, "%s/ref%llu", d, (unsigned long long)n);
    write_frames(blk, n, false);
    r = run_sleuth("ingest btc --quiet --store %s %s", st, blk);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return info_without_bytes(st);
}

/* Blocks in a store, or 0 when it does not open (yet). */
static uint64_t stored_blocks(const char *store)
{
    run_result r = run_sleuth("info --store %s --json", store);
    cJSON *j = r.status == 0 ? cJSON_Parse(r.out) : NULL;
    uint64_t n = j ? jint(cJSON_GetObjectItem(j, "btc"), "blocks") : 0;
    cJSON_Delete(j);
    run_free(&r);
    return n;
}

/* kill -9 at random moments of an ingest that commits every block: after every kill the store
 * opens and is exactly a clean ingest of the blocks it holds (what some commit left: a
 * previous one, or the complete store), never fewer than before the kill; resuming reaches
 * the clean result. A moment is chosen by progress, not by the clock, so it falls inside the
 * work however loaded the machine is: a random block count the store must reach (or none:
 * the kill lands before the run's first commit), then a random 0-20 ms more, into the next
 * commit. What is asserted holds for any moment. $SLEUTH_KILL_SEED replays a run's choices.
 * The first rounds start from no store at all, so a kill may land while the store is being
 * created (F10): readers must then see no store or an empty one, never one they refuse. */
Test(cli, kill9_at_random_moments, .timeout = 240)
{
    const char *d = temp_dir(), *seed_env = getenv("SLEUTH_KILL_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
    char *clean, *got, st[128];
    uint64_t held = 0;
    run_result r;
    srand(seed);
    snprintf(st, sizeof st, "%s/k", d);
    for (int round = 0; round < 6 && held < 600; round++) {
        /* rounds 0 and 1: a moment 0-20 ms from the start, while the store is created or filled */
        uint64_t target = round < 2 ? held : held + (uint64_t)rand() % (600 - held + 1), blocks;
        int us = rand() % 20000, status;
        pid_t pid = spawn_sh("%s ingest btc --quiet --batch-mb 0 --store %s " CONSEC " 2>%s/ingest.err", sleuth_bin(), st, d);
        char *want;
        pid_t ended = 0; /* the ingest, once it finished before its moment came (then reaped here) */
        while (target > held && stored_blocks(st) < target && !(ended = waitpid(pid, &status, WNOHANG))) {}
        cr_assert_geq(ended, 0, "waitpid: %s", strerror(errno));
        if (!ended) {
            usleep((useconds_t)us);
            status = stop_group(pid, 0);
        }
        if (!((WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))) {
            run_result er = run_sh("cat %s/ingest.err", d);
            cr_assert(false, "seed %u round %d (kill %d us after block %llu): ingest ended with status 0x%x: %s", seed,
                      round, us, (unsigned long long)target, status, er.out);
        }
        blocks = stored_blocks(st);
        cr_assert(blocks >= held && blocks <= 600, "seed %u round %d (kill %d us after block %llu): %llu blocks after "
                  "%llu (0: the store does not open)", seed, round, us, (unsigned long long)target,
                  (unsigned long long)blocks, (unsigned long long)held);
        if (blocks == 0) { /* killed before the first commit: no store, or an empty one */
            r = run_sleuth("info --store %s --json", st);
            cr_assert(r.status == 0 || (r.status == 1 && strstr(r.err, "no sleuth store here")),
                      "seed %u round %d (kill %d us before the first commit): %s", seed, round, us, r.err);
            run_free(&r);
            continue;
        }
        got = info_without_bytes(st);
        want = info_of_first(d, blocks);
        cr_assert_str_eq(got, want, "seed %u round %d (kill %d us after block %llu): not the store of commit %llu",
                         seed, round, us, (unsigned long long)target, (unsigned long long)blocks);
        free(got);
        free(want);
        held = blocks;
    }
    r = run_sleuth("ingest btc --quiet --store %s " CONSEC, st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    got = info_without_bytes(st);
    clean = info_of_first(d, 600);
    cr_assert_str_eq(got, clean, "seed %u: resumed store differs from a clean ingest", seed);
    free(got);
    free(clean);
}
