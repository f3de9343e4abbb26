/* test_eth_cli.c — end to end through the real `sleuth` binary on the bundled Ethereum and
 * Tron fixtures: ingest eth|tron, the JSON contract of tx and address (EIP-55 out, any
 * case in, T-addresses, big amounts as strings, fee and burn flows), re-ingest skipping
 * stored blocks, and bad input: a located error, exit code 1 and the store unchanged; a
 * chain written in the earlier layout (same store version, accounts in LMDB) is refused. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define GS "tests/data/eth/graphsense"
#define TRON "tests/data/tron"

static const char *store_18000011(void)
{
    static char path[128];
    const char *d = temp_dir();
    run_result r;
    snprintf(path, sizeof path, "%s/s", d);
    r = run_sleuth("ingest eth --quiet --store %s " GS, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return path;
}

Test(eth_cli, tx_json_contract)
{
    const char *s = store_18000011();
    cJSON *t = sleuth_json("tx --store %s 0x94E2BB9266F73C24C406470617E89689ABD4917AF6EE63738B4663E6EA96DECD --json", s);
    cJSON *fl = cJSON_GetObjectItem(t, "flows"), *f;
    int kinds[8] = {0};
    cr_assert_str_eq(jstr(t, "hash"), "0x94e2bb9266f73c24c406470617e89689abd4917af6ee63738b4663e6ea96decd");
    cr_assert_str_eq(jstr(t, "chain"), "ethereum");
    cr_assert_eq(jint(t, "block"), 18000011);
    cr_assert_eq(jint(t, "time"), 1693067027);
    cr_assert_str_eq(jstr(t, "from"), "0xE58e214Bfd68887D5F1436c9fC3f839B8A96aE2f", "EIP-55");
    cr_assert_str_eq(jstr(t, "to"), "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D", "Uniswap V2 router");
    cr_assert_str_eq(jstr(t, "value"), "100000000000000000", "above 2^53: a string");
    cr_assert_eq(jint(t, "status"), 1);
    /* fee = 231,400 gas x 69,614,521,439 wei */
    cr_assert_str_eq(jstr(t, "fee"), "16108800260984600");
    cJSON_ArrayForEach(f, fl) {
        const char *k = jstr(f, "kind");
        if (!strcmp(k, "burn")) {
            kinds[0]++;
            cr_assert_str_eq(jstr(f, "to"), "burn");
            cr_assert_eq(jint(f, "amount"), 231400ULL * 19959704811ULL, "gas used x base fee");
        } else if (!strcmp(k, "fee")) {
            kinds[1]++;
            cr_assert_str_eq(jstr(f, "to"), "0xd2090025857B9C7B24387741f120538E928A3a59", "the block's fee recipient");
            cr_assert_str_eq(jstr(f, "amount"), "11490124567719200");
        } else if (!strcmp(k, "native")) {
            kinds[2]++;
        } else if (!strcmp(k, "internal")) {
            kinds[3]++;
            cr_assert_str_eq(jstr(f, "to"), "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
        } else if (!strcmp(k, "token")) {
            kinds[4]++;
        }
    }
    cr_assert_eq(kinds[0], 1);
    cr_assert_eq(kinds[1], 1);
    cr_assert_eq(kinds[2], 1);
    cr_assert_eq(kinds[3], 1, "router wraps the ETH: one internal transfer to WETH");
    cr_assert_geq(kinds[4], 2, "WETH minted, then swapped");
    cJSON_Delete(t);
}

/* An amount member: a JSON number, or decimal digits in a string above 2^53 (docs/JSON.md); 0
 * when absent. */
static unsigned __int128 jamount(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    unsigned __int128 x = 0;
    if (!v) return 0;
    if (cJSON_IsNumber(v)) return jint(o, key);
    cr_assert(cJSON_IsString(v), "%s is no amount", key);
    for (const char *p = v->valuestring; *p; p++) {
        cr_assert(*p >= '0' && *p <= '9', "%s: '%s'", key, v->valuestring);
        x = x * 10 + (unsigned)(*p - '0');
    }
    return x;
}

Test(eth_cli, address_balances_any_case)
{
    const char *s = store_18000011();
    /* WETH: the router's ETH went in (internal), so WETH holds it; asks in lower case */
    cJSON *a = sleuth_json("address --store %s 0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2 --json", s), *b, *txs;
    cr_assert_str_eq(jstr(a, "address"), "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2");
    cr_assert_str_eq(jstr(a, "chain"), "ethereum");
    b = cJSON_GetObjectItem(a, "balances");
    cr_assert(cJSON_IsObject(b));
    cr_assert_not_null(cJSON_GetObjectItem(b, "ETH"));
    cr_assert_gt(jint(a, "flows_in"), 0);
    txs = cJSON_GetObjectItem(a, "txs");
    cr_assert_gt(cJSON_GetArraySize(txs), 0);
    cr_assert_eq(jint(a, "first_seen"), 1693067027);
    cJSON_Delete(a);
    /* the fee recipient's ETH balance is exactly the sum of the block's tips */
    a = sleuth_json("address --store %s 0xD2090025857B9C7B24387741F120538E928A3A59 --json --limit 100000", s);
    cr_assert_gt(jint(a, "flows_in"), 100);
    /* its history: one row per tx (as txs, in the same order; the block-level flow is no row).
     * The builder's own tx passes on to the proposer exactly the tips it received, to the wei */
    {
        const cJSON *row, *hist = cJSON_GetObjectItem(a, "history"), *ids = cJSON_GetObjectItem(a, "txs");
        unsigned __int128 in = 0, out = 0;
        int i = 0, senders = 0;
        cr_assert_eq(cJSON_GetArraySize(hist), cJSON_GetArraySize(ids));
        cJSON_ArrayForEach(row, hist) {
            cr_assert_str_eq(jstr(row, "tx"), cJSON_GetArrayItem(ids, i++)->valuestring);
            cr_assert_eq(jint(row, "height"), 18000011);
            in += jamount(cJSON_GetObjectItem(row, "received"), "ETH");
            if (cJSON_GetObjectItem(cJSON_GetObjectItem(row, "sent"), "ETH"))
                out += jamount(cJSON_GetObjectItem(row, "sent"), "ETH"), senders++;
        }
        cr_assert_eq(senders, 1, "it made one tx itself");
        cr_assert(in == out && in == (unsigned __int128)36481993057688620ULL, "in %llu, out %llu", (unsigned long long)in,
                  (unsigned long long)out);
    }
    cJSON_Delete(a);
    /* the burn sink is not an address; an unknown address is "not found", exit 1 */
    {
        run_result r = run_sleuth("address --store %s 0x0000000000000000000000000000000000000001 --json", s);
        cr_assert_eq(r.status, 1);
        cr_assert(strstr(r.out, "ENOTFOUND"));
        run_free(&r);
        r = run_sleuth("address --store %s 0xZZ00000000000000000000000000000000000001", s);
        cr_assert_neq(r.status, 0);
        run_free(&r);
    }
}

Test(eth_cli, reingest_skips_stored_blocks)
{
    const char *s = store_18000011();
    cJSON *j = sleuth_json("ingest eth --store %s " GS " --json", s);
    cr_assert_eq(jint(j, "blocks_added"), 0);
    cr_assert_eq(jint(j, "blocks_already_stored"), 1);
    cJSON_Delete(j);
}

Test(eth_cli, tron_trc20_t_addresses)
{
    const char *d = temp_dir();
    cJSON *j = sleuth_json("ingest tron --store %s/s " TRON " --json", d), *a, *b, *t, *f;
    bool seen = false;
    cr_assert_eq(jint(j, "token_transfers"), 75);
    cJSON_Delete(j);
    t = sleuth_json("tx --store %s/s 0x2b24564fa78ed4a6e555c9cd26f4d3e791b1efc9f2654c31d4feb97d8853e03f --json", d);
    cr_assert_str_eq(jstr(t, "chain"), "tron");
    cr_assert_str_eq(jstr(t, "hash"), "2b24564fa78ed4a6e555c9cd26f4d3e791b1efc9f2654c31d4feb97d8853e03f", "Tron ids without 0x");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(t, "flows"))
        if (!strcmp(jstr(f, "kind"), "token")) {
            cr_assert_str_eq(jstr(f, "asset"), "USDT");
            cr_assert_str_eq(jstr(f, "from"), "TQy9yHe4cWMVAyVEx3QJdtd1CsCSUP6Yip");
            cr_assert_str_eq(jstr(f, "to"), "TMfLoEE32pew3B6evUyhaF4BhzLAT3K3KF");
            cr_assert_eq(jint(f, "amount"), 100000000);
            seen = true;
        }
    cr_assert(seen);
    cJSON_Delete(t);
    a = sleuth_json("address --store %s/s TMfLoEE32pew3B6evUyhaF4BhzLAT3K3KF --json", d);
    b = cJSON_GetObjectItem(a, "balances");
    cr_assert_eq(jint(b, "USDT"), 100000000);
    b = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "history"), 0);
    cr_assert_str_eq(jstr(b, "tx"), "2b24564fa78ed4a6e555c9cd26f4d3e791b1efc9f2654c31d4feb97d8853e03f");
    cr_assert_eq(jint(cJSON_GetObjectItem(b, "received"), "USDT"), 100000000);
    cJSON_Delete(a);
}

/* Every bad input: exit 1, a message naming the file and JSON path, the store as it was. */
Test(eth_cli, bad_input_leaves_store_unchanged)
{
    static const struct { const char *json, *want; } B[] = {
        {"{\"number\":\"0x1\",\"transactions\":[", "byte offset"},
        {"{\"number\":\"0x1\",\"transactions\":[{\"hash\":\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\","
         "\"from\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"to\":null,\"nonce\":\"0x1\",\"transactionIndex\":\"0x0\","
         "\"value\":\"de0b6b3a7640000\"}]}", "bad.json: $.transactions[0].value: hex without 0x"},
        {"{\"number\":\"0x1\",\"transactions\":[{\"hash\":\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\","
         "\"to\":null,\"nonce\":\"0x1\",\"transactionIndex\":\"0x0\",\"value\":\"0x1\"}]}", "bad.json: $.transactions[0].from: missing"},
        {"{\"number\":\"0x1\",\"transactions\":[{\"hash\":\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\","
         "\"from\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"nonce\":\"0x1\",\"transactionIndex\":\"0x0\","
         "\"value\":\"0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"}]}", "number above 2^256-1"},
        {"[{\"action\":{\"callType\":\"call\",\"from\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"to\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\","
         "\"value\":\"0x1\",\"gas\":\"0x0\"},\"blockNumber\":5,\"subtraces\":0,\"traceAddress\":[2,0],"
         "\"transactionHash\":\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\",\"transactionPosition\":0,\"type\":\"call\"}]",
         "has no parent trace [2]"},
        {"{\"number\":\"0x1\",\"transactions\":[{\"hash\":1}]}", "bad.json: $.transactions[0].hash: expected a hash string"},
    };
    const char *s = store_18000011();
    char *before = tree_digest(s);
    for (size_t i = 0; i < sizeof B / sizeof *B; i++) {
        char path[256];
        FILE *f;
        run_result r;
        char *after;
        snprintf(path, sizeof path, "%s/../bad.json", s);
        f = fopen(path, "w");
        fputs(B[i].json, f);
        fclose(f);
        /* the good block 18,000,011 first: nothing of it may be written either */
        r = run_sleuth("ingest eth --store %s " GS "/eth_blocks.json.zst %s", s, path);
        cr_assert_eq(r.status, 1, "case %zu: exit %d", i, r.status);
        cr_assert(strstr(r.err, B[i].want), "case %zu: \"%s\" lacks \"%s\"", i, r.err, B[i].want);
        run_free(&r);
        after = tree_digest(s);
        cr_assert_str_eq(before, after, "case %zu changed the store", i);
        free(after);
    }
    free(before);
}

Test(eth_cli, mev_inspect_blocks_ingest)
{
    const char *d = temp_dir();
    cJSON *j = sleuth_json("ingest eth --store %s/s tests/data/eth/mev --json", d), *t;
    cr_assert_eq(jint(j, "blocks_added"), 35, "36 files, block 12,914,944 twice");
    cr_assert_gt(jint(j, "internal_transfers"), 2000);
    cJSON_Delete(j);
    /* a tx known only from its traces and a stripped receipt */
    t = sleuth_json("tx --store %s/s 0xccf4b3b295025030bd829068bb11258ff31842b40e70e7eef7f88fd82b9f92c7 --json", d);
    cr_assert_eq(jint(t, "block"), 13666326);
    cr_assert_str_eq(jstr(t, "fee"), "20761749858511620", "136,626 gas x 151,960,460,370");
    cJSON_Delete(t);
}

/* kill -9 after the 3rd commit (one block per commit), then resume: the result equals a
 * clean ingest, account by account */
Test(eth_cli, crash_after_commit_then_resume)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --batch-flows 1 --store %s/a tests/data/eth/mev", d);
    cJSON *j;
    run_result x, y;
    (void)r;
    run_free(&r);
    r = run_sh("SLEUTH_TEST_KILL_AFTER_COMMITS=3 %s ingest eth --quiet --batch-flows 1 --store %s/b tests/data/eth/mev",
               getenv("SLEUTH_BIN") ? getenv("SLEUTH_BIN") : "build/sleuth", d);
    cr_assert_eq(r.status, 128 + 9, "killed: %d", r.status);
    run_free(&r);
    j = sleuth_json("ingest eth --store %s/b tests/data/eth/mev --json", d);
    cr_assert_eq(jint(j, "blocks_already_stored"), 3);
    cr_assert_eq(jint(j, "blocks_added"), 32);
    cJSON_Delete(j);
    x = run_sleuth("address --store %s/a 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 --json --limit 1000", d);
    y = run_sleuth("address --store %s/b 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 --json --limit 1000", d);
    cr_assert_eq(x.status, 0);
    cr_assert_str_eq(x.out, y.out);
    run_free(&x);
    run_free(&y);
    x = run_sleuth("address --store %s/a 0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c --json", d);
    y = run_sleuth("address --store %s/b 0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c --json", d);
    cr_assert_eq(x.status, 0, "%s", x.err);
    cr_assert_str_eq(x.out, y.out);
    run_free(&x);
    run_free(&y);
}

/* Segmented ingest (issue 9): with one block per segment (SLEUTH_ETH_SEGMENT_BYTES=1) the
 * 35 mev-inspect blocks are committed one segment at a time, so a kill after 5 commits
 * leaves exactly 5 blocks; resuming gives the same store as one command in one segment.
 * A bad record in the last segment (a trace whose parent is missing, found only when its
 * block's records are merged) is refused before the first segment is written. */

/* `sleuth info --json` without its sizes (more commits take more LMDB pages) */
static char *info_without_sizes(const char *store)
{
    cJSON *j = sleuth_json("info --store %s --json", store), *ch = cJSON_GetObjectItem(j, "chains");
    char *s;
    cJSON_DeleteItemFromObject(j, "store");
    cJSON_DeleteItemFromObject(j, "store_bytes");
    cJSON_DeleteItemFromObject(j, "btc"); /* store_bytes again; nothing of Bitcoin here */
    cr_assert_eq(cJSON_GetArraySize(ch), 1);
    s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

Test(eth_cli, segments_commit_as_they_go)
{
    const char *d = temp_dir(), *bin = getenv("SLEUTH_BIN") ? getenv("SLEUTH_BIN") : "build/sleuth";
    static const char *addrs[] = {"0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c"};
    run_result r = run_sleuth("ingest eth --quiet --store %s/one tests/data/eth/mev", d), x, y;
    cJSON *j;
    char *a, *b, *before, *after, bad[256];
    FILE *f;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sh("SLEUTH_ETH_SEGMENT_BYTES=1 SLEUTH_TEST_KILL_AFTER_COMMITS=5 %s ingest eth --quiet --store %s/seg tests/data/eth/mev",
               bin, d);
    cr_assert_eq(r.status, 128 + 9, "killed: %d %s", r.status, r.err);
    run_free(&r);
    j = sleuth_json("info --store %s/seg --json", d);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0), "blocks"), 5, "one block per commit");
    cJSON_Delete(j);
    r = run_sh("SLEUTH_ETH_SEGMENT_BYTES=1 %s ingest eth --quiet --json --store %s/seg tests/data/eth/mev", bin, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = cJSON_Parse(r.out);
    cr_assert_eq(jint(j, "blocks_already_stored"), 5);
    cr_assert_eq(jint(j, "blocks_added"), 30);
    cr_assert_eq(jint(j, "commits"), 30, "a commit per segment");
    cJSON_Delete(j);
    run_free(&r);
    a = info_without_sizes(path_in(d, "one"));
    b = info_without_sizes(path_in(d, "seg"));
    cr_assert_str_eq(a, b);
    cr_assert(strstr(a, "\"blocks\":35") && strstr(a, "\"flows\":15652"), "%s", a);
    free(a), free(b);
    for (size_t i = 0; i < 2; i++) {
        x = run_sleuth("address --store %s/one %s --json --limit 100000", d, addrs[i]);
        y = run_sleuth("address --store %s/seg %s --json --limit 100000", d, addrs[i]);
        cr_assert_eq(x.status, 0, "%s", x.err);
        cr_assert(strstr(x.out, "\"balances\""));
        cr_assert_str_eq(x.out, y.out);
        run_free(&x), run_free(&y);
    }
    /* a store holding the first block; then all 35 blocks and, above them, a bad block */
    r = run_sleuth("ingest eth --quiet --store %s/part tests/data/eth/mev/10384319.json.zst", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(bad, sizeof bad, "%s/zz-bad.json", d);
    f = fopen(bad, "w");
    fputs("[{\"action\":{\"callType\":\"call\",\"from\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"to\":"
          "\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"value\":\"0x1\",\"gas\":\"0x0\"},\"blockNumber\":99000000,"
          "\"subtraces\":0,\"traceAddress\":[2,0],\"transactionHash\":"
          "\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\",\"transactionPosition\":0,\"type\":\"call\"}]",
          f);
    fclose(f);
    before = tree_digest(path_in(d, "part"));
    r = run_sh("SLEUTH_ETH_SEGMENT_BYTES=1 %s ingest eth --quiet --store %s/part tests/data/eth/mev %s", bin, d, bad);
    cr_assert_eq(r.status, 1, "refused: %d", r.status);
    cr_assert(strstr(r.err, "has no parent trace [2]"), "%s", r.err);
    run_free(&r);
    after = tree_digest(path_in(d, "part"));
    cr_assert_str_eq(before, after, "34 good segments came first: none of them may be written");
    free(before), free(after);
}

/* A store whose ethereum commit record has the earlier layout's size (80 bytes, store
 * version 3: what sleuth wrote before its account chains moved onto run sets) is refused by
 * readers and writers alike, with the command that rebuilds it; nothing is misread. */
Test(eth_cli, earlier_layout_is_refused)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    char idx[400], *before, *after;
    uint8_t rec[80] = {3};
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {12, "eth.ethereum"}, v = {sizeof rec, rec};
    run_result r = run_sleuth("ingest eth --quiet --store %s tests/data/eth/trace", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(idx, sizeof idx, "%s/index", st);
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 64);
    cr_assert_eq(mdb_env_open(env, idx, 0, 0644), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    before = tree_digest(st);
    static const char *const cmds[] = {"info", "address 0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1", "ingest eth --quiet"};
    for (size_t i = 0; i < 3; i++) {
        r = run_sleuth("%s --store %s%s", cmds[i], st, i == 2 ? " tests/data/eth/graphsense" : "");
        cr_assert_eq(r.status, 1, "%s: exit %d", cmds[i], r.status);
        cr_assert(strstr(r.err, "its ethereum data was written by an earlier sleuth") &&
                      strstr(r.err, "sleuth ingest eth --store NEWDIR"),
                  "%s: %s", cmds[i], r.err);
        run_free(&r);
    }
    after = tree_digest(st);
    cr_assert_str_eq(before, after, "a refused command changed the store");
    free(before), free(after);
}
