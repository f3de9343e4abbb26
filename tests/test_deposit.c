/* test_deposit.c — deposit-address clustering (include/sleuth/deposit.h, `sleuth deposits`):
 * exact answers on a hand-checked account chain, and what it finds on the bundled real
 * Ethereum and Tron blocks.
 *
 * tests/data/deposit/chain.jsonl (made by make_fixture.py there; JSON-RPC responses, gas
 * price 0). Addresses are a tag byte repeated: C* customers, D* / E* deposit addresses,
 * H1 = 0xa1.., H2 = 0xa2.., F = 0xf0.. (the exchange's gas funder), R = 0xb0.. a router,
 * T = 0xb1.. its treasury, Q = 0xb2.. a relay. Tx hashes 0x..d001 on, in block order.
 *   block 1000  d001 C1 -> D1 1 ETH    d002 C6 -> D4 1 ETH    d003 C8 -> E1 3 ETH
 *   block 1001  d004 C2 -> D2 2 ETH    d005 C9 -> E2 4 ETH
 *   block 1002  d006 C3 -> D3 500 USDT (ERC-20)     block 1003  d007 F -> D3 0.001 ETH (gas)
 *   block 1005  d008 C7 -> D5 1 ETH    block 1006  d009 D5 -> H1 0.98 ETH (0.02 short: > alpha)
 *   block 1010  d00a D1 -> H1 0.99958 ETH                     (sweep of d001: 10 blocks, 0.00042 short)
 *   block 1020  d00b..d00f five users -> R 1 ETH, R -> T 1 ETH inside each tx (pass-through)
 *   block 1030  d010 E1 -> H2 2.9999 ETH   d011 E2 -> H2 3.9999 ETH   (H2: only 2 deposits < k = 3)
 *   block 1050  d012 D3 -> H1 500 USDT                        (sweep of d006: 48 blocks, exact)
 *   block 1100  d013 D2 -> H1 1.9995 ETH                      (sweep of d004: 99 blocks, 0.0005 short)
 *   block 1200  d014 C1 -> D1 0.5 ETH  block 1201  d015 D1 -> H1 0.4996 ETH (1 block, 0.0004 short)
 *   blocks 1300-1317  d016..: nine senders each pay Q 0.1 ETH, Q sweeps each to H1 (9 > 8 senders)
 *   block 1500  H1 and H2 pay three withdrawals each (an exchange pays out)
 *   block 1600  three users are paid 2 ETH; block 1610 each passes it on, less 0.001 ETH, to
 *               merchant M = 0xb3.., who never pays anyone (3 "deposits", rejected: no payees)
 *   block 4201  D4 -> H1 0.9996 ETH                           (3,201 blocks after d002: > tau)
 * Confidence = 20 + 60 * mean(score) * (1 - 2^-n) * purity, score = ((1 - delay/tau) +
 * (1 - shortfall/alpha)) / 2 (docs/DEPOSIT.md):
 *   D1: scores (0.996875 + 0.958)/2, (0.9996875 + 0.96)/2 -> mean 0.978640625, n 2 -> 64.04 -> 64
 *   D2: (0.9690625 + 0.95)/2 = 0.95953125, n 1 -> 48.79 -> 49
 *   D3: (0.985 + 1)/2 = 0.9925, n 1 -> 49.78 -> 50
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "helpers.h"
#include "sleuth/deposit.h"
#include "sleuth/store.h"

#define H1 "0xA1a1a1a1A1A1a1a1a1A1a1A1a1a1a1A1A1A1A100"
#define H2 "0xa2A2a2a2A2a2A2a2a2a2A2a2A2a2A2a2A2a2a200"
#define D1 "0xD1D1D1D1D1d1D1d1D1D1d1d1d1D1d1D1D1D1d100"
#define D2 "0xD2D2D2d2d2D2d2D2D2D2d2d2D2D2D2D2d2D2D200"
#define D3 "0xD3D3D3D3d3D3D3D3D3D3d3D3D3D3d3D3D3D3d300"
#define TX(n) "0x000000000000000000000000000000000000000000000000000000000000" n

static char FX[200];

static void build(void)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/fx tests/data/deposit/chain.jsonl", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(FX, sizeof FX, "%s/fx", d);
}

static const cJSON *find(const cJSON *arr, const char *addr)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (!strcasecmp(jstr(x, "address"), addr)) return x;
    return NULL;
}

static void check_sweep(const cJSON *dep, int i, const char *pay, uint64_t pb, const char *sweep, uint64_t sb)
{
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(dep, "evidence"), i);
    cr_assert(e, "evidence %d of %s", i, jstr(dep, "address"));
    cr_assert_str_eq(jstr(e, "payment_tx"), pay);
    cr_assert_eq(jint(e, "payment_block"), pb);
    cr_assert_str_eq(jstr(e, "sweep_tx"), sweep);
    cr_assert_eq(jint(e, "sweep_block"), sb);
}

TestSuite(deposit, .init = build);

Test(deposit, fixture_exact)
{
    cJSON *j = sleuth_json("deposits --store %s --chain ethereum --json", FX);
    const cJSON *hots = cJSON_GetObjectItem(j, "hot_wallets"), *st = cJSON_GetObjectItem(j, "stats"), *h, *deps, *d;
    cr_assert_eq(cJSON_GetArraySize(hots), 1, "one hot wallet (H2 has only 2 deposits)");
    h = cJSON_GetArrayItem(hots, 0);
    cr_assert_str_eq(jstr(h, "address"), H1);
    deps = cJSON_GetObjectItem(h, "deposits");
    cr_assert_eq(cJSON_GetArraySize(deps), 3, "D1, D2, D3; not D4 (after tau), D5 (outside alpha), Q (9 senders)");

    d = find(deps, D1);
    cr_assert(d);
    cr_assert_eq(jint(d, "confidence"), 64);
    cr_assert_eq(jint(d, "forwards"), 2);
    cr_assert_eq(jint(d, "first_block"), 1010);
    cr_assert_eq(jint(d, "last_block"), 1201);
    cr_assert_str_eq(jstr(d, "kind"), "eoa");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(d, "forwarded"), "ETH"), "1499180000000000000", "above 2^53: a string");
    check_sweep(d, 0, TX("d001"), 1000, TX("d00a"), 1010);
    check_sweep(d, 1, TX("d014"), 1200, TX("d015"), 1201);
    const cJSON *cu = cJSON_GetObjectItem(d, "customers");
    cr_assert_eq(cJSON_GetArraySize(cu), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cu, 0), "address"), "0xC1C1C1C1c1C1c1C1c1c1C1C1C1c1c1C1c1C1c100");
    cr_assert_eq(jint(cJSON_GetArrayItem(cu, 0), "payments"), 2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cu, 0), "kind"), "eoa");

    d = find(deps, D2);
    cr_assert(d);
    cr_assert_eq(jint(d, "confidence"), 49);
    check_sweep(d, 0, TX("d004"), 1001, TX("d013"), 1100);

    d = find(deps, D3);
    cr_assert(d, "the USDT deposit");
    cr_assert_eq(jint(d, "confidence"), 50);
    cr_assert_eq(jint(cJSON_GetObjectItem(d, "forwarded"), "USDT"), 500000000);
    check_sweep(d, 0, TX("d006"), 1002, TX("d012"), 1050);

    /* merge edges: deposit -> hot wallet only; customers are never merged */
    const cJSON *edges = cJSON_GetObjectItem(j, "edges"), *e;
    cr_assert_eq(cJSON_GetArraySize(edges), 3);
    cJSON_ArrayForEach(e, edges) {
        cr_assert_str_eq(jstr(e, "b"), H1);
        cr_assert_str_eq(jstr(e, "heuristic"), "deposit");
        cr_assert(strncasecmp(jstr(e, "a"), "0xd", 3) == 0, "an edge names a deposit address: %s", jstr(e, "a"));
    }
    cr_assert_eq(jint(st, "same_tx_forwards"), 5, "the router's five pass-throughs");
    cr_assert_eq(jint(st, "rejected_passthru"), 1, "R");
    cr_assert_eq(jint(st, "rejected_senders"), 1, "Q");
    cr_assert_eq(jint(st, "rejected_k"), 2, "E1, E2");
    cr_assert_eq(jint(st, "rejected_payees"), 3, "the merchant's three relays");
    cr_assert_eq(jint(st, "deposits"), 3);
    cr_assert_eq(jint(st, "customers"), 3);
    cJSON_Delete(j);
}

Test(deposit, parameters_move_the_negatives)
{
    cJSON *j = sleuth_json("deposits --store %s --chain ethereum --json --min-deposits 2", FX);
    const cJSON *hots = cJSON_GetObjectItem(j, "hot_wallets");
    cr_assert_eq(cJSON_GetArraySize(hots), 2, "k = 2 admits H2");
    cr_assert(find(hots, H2));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(find(hots, H2), "deposits")), 2);
    cJSON_Delete(j);

    j = sleuth_json("deposits --store %s --chain ethereum --json --tau 3201 --alpha 0.02 --max-senders 9", FX);
    const cJSON *deps = cJSON_GetObjectItem(find(cJSON_GetObjectItem(j, "hot_wallets"), H1), "deposits");
    cr_assert_eq(cJSON_GetArraySize(deps), 6, "D4 (tau 3201), D5 (alpha 0.02) and Q (9 senders allowed) join");
    cr_assert(find(deps, "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d400"));
    cr_assert(find(deps, "0xd5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d500"));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(find(deps, "0xb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b200"),
                                                        "customers")), 9);
    cJSON_Delete(j);

    j = sleuth_json("deposits --store %s --chain ethereum --json --min-payees 0", FX);
    hots = cJSON_GetObjectItem(j, "hot_wallets");
    cr_assert_eq(cJSON_GetArraySize(hots), 2, "without the payee test the merchant passes for an exchange");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(find(hots, "0xb3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b300"),
                                                        "deposits")), 3);
    cJSON_Delete(j);

    run_result r = run_sleuth("deposits --store %s --chain ethereum", FX);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "hot wallet " H1 "\n"), "%s", r.out);
    cr_assert(strstr(r.out, "customer 0xC1C1C1C1c1C1c1C1c1c1C1C1C1c1c1C1c1C1c100 (eoa, 2 payments; not the exchange)"));
    run_free(&r);
}

Test(deposit, usage_errors)
{
    run_result r = run_sleuth("deposits --store %s --chain bitcoin", FX);
    cr_assert_eq(r.status, 2, "a UTXO chain: %s", r.err);
    run_free(&r);
    r = run_sleuth("deposits --store %s --chain ethereum --alpha 0.0000000000000000001", FX);
    cr_assert_eq(r.status, 2, "more decimals than ETH has");
    run_free(&r);
    r = run_sleuth("deposits --store %s --chain ethereum --max-senders 17", FX);
    cr_assert_eq(r.status, 2);
    run_free(&r);
    r = run_sleuth("deposits --store %s --chain tron", FX);
    cr_assert_eq(r.status, 1, "the store holds no Tron block");
    run_free(&r);
}

/* The library: edges through a sink, a sink that stops the scan. */
typedef struct edges_seen {
    int n, stop_after;
    sl_merge_edge last;
} edges_seen;

static int count_edge(void *ctx, const sl_merge_edge *e)
{
    edges_seen *s = ctx;
    s->last = *e;
    return ++s->n == s->stop_after ? SL_ECONFLICT : SL_OK;
}

Test(deposit, library_edges)
{
    sl_store *s = NULL;
    sl_error e = {0};
    sl_deposit_stats st;
    edges_seen seen = {0, 0, {{0, 0}, {0, 0}, {0, 0}, 0, 0}};
    char a[100], b[100];
    cr_assert_eq(sl_store_open(&s, FX, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_deposit_edges(s, "ethereum", NULL, count_edge, &seen, &st, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(seen.n, 3);
    cr_assert_eq(st.deposits, 3);
    cr_assert_eq(seen.last.heuristic, SL_H_DEPOSIT);
    cr_assert_eq(seen.last.a.chain, SL_CHAIN_ETHEREUM);
    cr_assert_eq(seen.last.tx.chain, SL_CHAIN_ETHEREUM);
    cr_assert_eq(sl_addr_format(s, seen.last.a, a, sizeof a), SL_OK);
    cr_assert_eq(sl_addr_format(s, seen.last.b, b, sizeof b), SL_OK);
    cr_assert_str_eq(b, H1);
    cr_assert(!strcmp(a, D1) || !strcmp(a, D2) || !strcmp(a, D3), "%s", a);
    cr_assert(seen.last.confidence >= 49 && seen.last.confidence <= 64);

    edges_seen stop = {0, 2, {{0, 0}, {0, 0}, {0, 0}, 0, 0}};
    cr_assert_eq(sl_deposit_edges(s, "ethereum", NULL, count_edge, &stop, NULL, &e), SL_ECONFLICT);
    cr_assert_eq(stop.n, 2, "the sink's code stops the scan");
    cr_assert_eq(sl_deposit_edges(s, "btc", NULL, count_edge, &stop, NULL, &e), SL_EUSAGE);
    sl_store_close(s);
}

/* The bundled real blocks (tests/data/eth, tests/data/tron) are scattered single blocks:
 * none holds an exchange's sweep together with the customer payment it forwards (the
 * sweeps into Binance, Kraken, Poloniex... there were paid in blocks not bundled). So the
 * defaults find no hot wallet on any of them; with k = 1 and no payee test the two one-off
 * relays that are left are listed exactly, and the lookalikes are rejected for the
 * documented reasons. */
Test(deposit, real_blocks, .timeout = 240)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/m tests/data/eth/mev", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s/g tests/data/eth/graphsense", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest tron --quiet --store %s/t tests/data/tron", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);

    cJSON *j = sleuth_json("deposits --store %s/m --chain ethereum --json", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "hot_wallets")), 0);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "stats"), "flows"), 15652);
    cJSON_Delete(j);

    j = sleuth_json("deposits --store %s/m --chain ethereum --json --min-deposits 1", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "hot_wallets")), 0);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "stats"), "rejected_payees"), 2, "neither destination paid 3 addresses");
    cJSON_Delete(j);
    j = sleuth_json("deposits --store %s/m --chain ethereum --json --min-deposits 1 --min-payees 0", d);
    const cJSON *hots = cJSON_GetObjectItem(j, "hot_wallets"), *st = cJSON_GetObjectItem(j, "stats"), *h, *dep;
    cr_assert_eq(cJSON_GetArraySize(hots), 2);
    h = find(hots, "0x4E05316061E93d79F688869f470ebe199dca7022");
    cr_assert(h);
    dep = cJSON_GetArrayItem(cJSON_GetObjectItem(h, "deposits"), 0);
    cr_assert_str_eq(jstr(dep, "address"), "0x84FEc603F1E9Ed0e6De06061459BE72A737FfC71");
    check_sweep(dep, 0, "0x4bd2fe3891cae833ab9661d07a4ef8940df6d98021e9de3a9d33d917176e615e", 11473321,
                "0x8484b985a3af0296953397f6ebc8e1cb2a94b4d4a50c11727b36c485fa0189dc", 11473321);
    h = find(hots, "0xeb5b69c5f93acE94EC36352C1467a540fF167F02");
    cr_assert(h);
    dep = cJSON_GetArrayItem(cJSON_GetObjectItem(h, "deposits"), 0);
    cr_assert_str_eq(jstr(dep, "address"), "0x811213d2D0E26eCF65714074CEF59119dd7f36D9");
    cr_assert_str_eq(jstr(dep, "kind"), "contract", "it swept by an internal transfer");
    check_sweep(dep, 0, "0x3fa965ce5c01c33881a6b9b92cc0e39edfc4ad68c1ae1beb2bb1b813d4642470", 14422990,
                "0xb7b6192174289b765f318d18ad8dbd2e51a55fa359fd580ffa59d9e4693a4b9f", 14422990);
    /* Binance 20 -> 0x5e7f...7d44 (0xe9347e21...), then 0.032 ETH into WETH (0x4b168253...): a
     * withdrawal then a wrap, rejected because WETH is a token contract. 0xD048...7347 passes
     * Binance 15's payment on to Poloniex 4 inside tx 0x1c533e66...: a forwarder, rejected. */
    cr_assert_eq(jint(st, "rejected_token"), 1);
    cr_assert_eq(jint(st, "rejected_passthru"), 142);
    cr_assert_eq(jint(st, "same_tx_forwards"), 1100);
    cr_assert_eq(jint(st, "matched_sweeps"), 44);
    cJSON_Delete(j);

    j = sleuth_json("deposits --store %s/g --chain ethereum --json --min-deposits 1", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "hot_wallets")), 0);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "stats"), "same_tx_forwards"), 41);
    cJSON_Delete(j);
    j = sleuth_json("deposits --store %s/t --chain tron --json --min-deposits 1", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "hot_wallets")), 0);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "stats"), "considered"), 269, "TRX and TRC-20 transfers of a non-zero amount");
    cJSON_Delete(j);
}

/* tests/data/deposit/tron_*.json (make_tron_fixture.py; GraphSense's Tron schema), blocks
 * 60,000,100-170. H = 0xa1.. (TQhqRHgEonKEYqudomS8243o3beRakUYYr):
 *   block 100  d001 C1 -> D1 100 TRX   d002 C2 -> D2 250 TRX   d003 C3 -> D3 1000 USDT (TRC-20)
 *              d004 C4 -> D4 50 TRX
 *   block 130  d005 D1 -> H 99 TRX (1 TRX short)      block 140  d006 D2 -> H 249.5 TRX
 *   block 150  d007 D3 -> H 1000 USDT                 block 160  d008 D4 -> H 45 TRX (5 short: > 2 TRX)
 *   block 170  H pays three withdrawals
 * Confidence: D1 ((1 - 30/3200) + (1 - 1/2))/2 = 0.7453125 -> 20 + 30 * 0.7453125 = 42.36 -> 42;
 * D2 ((1 - 40/3200) + (1 - 0.5/2))/2 = 0.86875 -> 46.06 -> 46; D3 (0.984375 + 1)/2 -> 49.77 -> 50. */
Test(deposit, tron_fixture)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest tron --quiet --store %s/t tests/data/deposit/tron_blocks.json "
                              "tests/data/deposit/tron_transactions.json tests/data/deposit/tron_logs.json", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("deposits --store %s/t --chain tron --json", d);
    const cJSON *hots = cJSON_GetObjectItem(j, "hot_wallets"), *deps, *x;
    cr_assert_eq(cJSON_GetArraySize(hots), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(hots, 0), "address"), "TQhqRHgEonKEYqudomS8243o3beRakUYYr");
    deps = cJSON_GetObjectItem(cJSON_GetArrayItem(hots, 0), "deposits");
    cr_assert_eq(cJSON_GetArraySize(deps), 3, "D4's sweep is 5 TRX short");
    cr_assert((x = find(deps, "TV6dag1sPTpB9hg9QqLCs21JndjscST5PU")));
    cr_assert_eq(jint(x, "confidence"), 42);
    check_sweep(x, 0, "000000000000000000000000000000000000000000000000000000000000d001", 60000100,
                "000000000000000000000000000000000000000000000000000000000000d005", 60000130);
    cr_assert((x = find(deps, "TVBwTcrcSagKYBJ7cSTLDNWFnKf9q2YvNa")));
    cr_assert_eq(jint(x, "confidence"), 46);
    cr_assert((x = find(deps, "TVHFLZhMVhYTvev5p3aTZj1Cn1aS2btivH")));
    cr_assert_eq(jint(x, "confidence"), 50);
    cr_assert_eq(jint(cJSON_GetObjectItem(x, "forwarded"), "USDT"), 1000000000);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "params"), "alpha"), 2000000, "Tron's alpha: 2 TRX in sun");
    cJSON_Delete(j);
    j = sleuth_json("deposits --store %s/t --chain tron --json --alpha 5", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "hot_wallets"), 0),
                                                        "deposits")), 4, "--alpha 5 (TRX) admits D4");
    cJSON_Delete(j);
}

/* Out of memory (util.h's seam, $SLEUTH_TEST_ALLOC_FAIL=N: the Nth allocation and every
 * later one fail) at every N until the command succeeds, in text and JSON: each failing
 * run exits 1 by itself with one line on stderr that says "out of memory". */
Test(deposit, out_of_memory, .timeout = 120)
{
    static const char *const modes[] = {"", "--json"};
    for (int m = 0; m < 2; m++) {
        unsigned long n = 1;
        for (;; n = n < 150 ? n + 1 : n + n / 8) {
            run_result r = run_sh("SLEUTH_TEST_ALLOC_FAIL=%lu %s deposits --store %s --chain ethereum %s", n, sleuth_bin(),
                                  FX, modes[m]);
            if (r.status == 0) { run_free(&r); break; }
            const char *nl = strchr(r.err, '\n');
            cr_assert_eq(r.status, 1, "N=%lu %s: exit %d: %s", n, modes[m], r.status, r.err);
            cr_assert(strstr(r.err, "out of memory") && nl && !nl[1], "N=%lu %s: %s", n, modes[m], r.err);
            run_free(&r);
            cr_assert_lt(n, 100000, "never succeeds");
        }
    }
}
