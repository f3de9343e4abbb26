/* test_detect.c — `sleuth detect` (laundering.h) on real and hand-built Bitcoin blocks.
 *
 * Real: block 9's coinbase (Satoshi's 50 BTC, tests/data/btc/consecutive) is a real peel
 * chain: 12cbQLTF… pays 10 BTC to Hal Finney in block 170 and peels 10, 1, 10 and 1 BTC
 * off its own change in the next four transactions (five links, 1 input and 2 outputs
 * each), keeping 18 BTC.
 *
 * Hand-built (regtest, 600 s between blocks; tags name the p2pkh owners; satoshi):
 *   b0  coinbase -> V 100 BTC (the victim)
 *   b1  coinbase -> K1 10.5;  THEFT [b0:0] -> X 90, V 10 (change: not loot)
 *   b2  coinbase -> K2 10.5;  FAN [THEFT:0] -> S1..S6 14 each, X2 5.99 (fee 0.01)
 *   b3  coinbase -> K3 10.5;  P1 [FAN:0 S1] -> R1 1, Q1 12.999
 *   b4  coinbase -> K4 10.5;  P2 [P1:1] -> R2 1, Q2 11.998
 *   b5  coinbase;             P3 [P2:1] -> R3 1, Q3 10.997
 *   b6  coinbase;             CONS [FAN:1..5 S2..S6] -> M 69.99
 *   b7  (40 days later)       DEP [CONS:0] -> D 69.98     (D: an exchange's deposit address)
 *   b8  coinbase;             SWEEP [DEP:0] -> H 69.97    (H: tagged exchange)
 *   b9  coinbase;             CJ [P3:1, K1..K4] -> J1..J5 10 each, Q4 0.996, K1'..K4' 0.5
 * What the detectors must say: fan-out from X (6 fresh slices of 14 BTC), a peel chain of
 * three links (3 BTC peeled, 10.997 left), consolidation of 5 senders into M, rapid hops
 * FAN -> P1 -> P2 -> P3 (600 s each), M dormant 40 days, R1..R3 still dormant as of b9, a
 * CoinJoin, cash-out at H through deposit address D, which is no suspect.
 *
 * Ethereum (tests/data/detect/tornado_chain.jsonl, written by make_eth.py there, which
 * derives every value): a fan-out of 100 ETH into five 20 ETH slices, two of them deposited
 * into Tornado's 10 ETH pool with a gas price nobody else uses, and four withdrawals: one
 * linked by that gas price, one to a fan-out slice (address match), one to an address with 3
 * transactions to a depositor, one by amount and timing only (no lead).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/btc.h"

enum { V = 0x01, X = 0x11, X2 = 0x12, S1 = 0x21, R1 = 0x31, Q1 = 0x41, Q3 = 0x43, Q4 = 0x44, M = 0x50, D = 0x60,
       H = 0x70, K1 = 0x81, J1 = 0x91, K1C = 0xa1 };
#define BTC 100000000ull

static char STORE[512], THEFT[65], FAN[65], P1[65], P3[65], CONS[65], CJ[65], SWEEP[65];

static void hex(char out[65], const rt_tx *t) { sl_hash_hex(out, &t->txid); }

static void build(void)
{
    rt_chain c;
    rt_tx cb[10], theft, fan, p1, p2, p3, cons, dep, sweep, cj;
    const char *d = temp_dir();
    memset(&c, 0, sizeof c);
    /* b0 */
    rt_coinbase(&cb[0], 0, (rt_out[]){{V, 100 * BTC}}, 1);
    rt_block(&c, (rt_tx *[]){&cb[0]}, 1);
    /* b1 */
    rt_coinbase(&cb[1], 1, (rt_out[]){{K1, 1050000000}}, 1);
    rt_spend(&theft, (rt_in[]){{cb[0].txid, 0}}, 1, (rt_out[]){{X, 90 * BTC}, {V, 10 * BTC}}, 2);
    rt_block(&c, (rt_tx *[]){&cb[1], &theft}, 2);
    /* b2: the fan-out */
    rt_coinbase(&cb[2], 2, (rt_out[]){{K1 + 1, 1050000000}}, 1);
    rt_out fo[7];
    for (int i = 0; i < 6; i++) fo[i] = (rt_out){(uint8_t)(S1 + i), 14 * BTC};
    fo[6] = (rt_out){X2, 599000000};
    rt_spend(&fan, (rt_in[]){{theft.txid, 0}}, 1, fo, 7);
    rt_block(&c, (rt_tx *[]){&cb[2], &fan}, 2);
    /* b3..b5: the peel chain */
    rt_coinbase(&cb[3], 3, (rt_out[]){{K1 + 2, 1050000000}}, 1);
    rt_spend(&p1, (rt_in[]){{fan.txid, 0}}, 1, (rt_out[]){{R1, BTC}, {Q1, 1299900000}}, 2);
    rt_block(&c, (rt_tx *[]){&cb[3], &p1}, 2);
    rt_coinbase(&cb[4], 4, (rt_out[]){{K1 + 3, 1050000000}}, 1);
    rt_spend(&p2, (rt_in[]){{p1.txid, 1}}, 1, (rt_out[]){{R1 + 1, BTC}, {Q1 + 1, 1199800000}}, 2);
    rt_block(&c, (rt_tx *[]){&cb[4], &p2}, 2);
    rt_coinbase(&cb[5], 5, (rt_out[]){{0x05, BTC}}, 1);
    rt_spend(&p3, (rt_in[]){{p2.txid, 1}}, 1, (rt_out[]){{R1 + 2, BTC}, {Q3, 1099700000}}, 2);
    rt_block(&c, (rt_tx *[]){&cb[5], &p3}, 2);
    /* b6: consolidation of the other five slices */
    rt_coinbase(&cb[6], 6, (rt_out[]){{0x06, BTC}}, 1);
    rt_spend(&cons, (rt_in[]){{fan.txid, 1}, {fan.txid, 2}, {fan.txid, 3}, {fan.txid, 4}, {fan.txid, 5}}, 5,
             (rt_out[]){{M, 6999000000}}, 1);
    rt_block(&c, (rt_tx *[]){&cb[6], &cons}, 2);
    /* b7, 40 days later: M pays an exchange deposit address; b8: the exchange sweeps it */
    c.time += 40 * 86400;
    rt_coinbase(&cb[7], 7, (rt_out[]){{0x07, BTC}}, 1);
    rt_spend(&dep, (rt_in[]){{cons.txid, 0}}, 1, (rt_out[]){{D, 6998000000}}, 1);
    rt_block(&c, (rt_tx *[]){&cb[7], &dep}, 2);
    rt_coinbase(&cb[8], 8, (rt_out[]){{0x08, BTC}}, 1);
    rt_spend(&sweep, (rt_in[]){{dep.txid, 0}}, 1, (rt_out[]){{H, 6997000000}}, 1);
    rt_block(&c, (rt_tx *[]){&cb[8], &sweep}, 2);
    /* b9: a CoinJoin of the peel chain's remainder with four clean owners */
    rt_coinbase(&cb[9], 9, (rt_out[]){{0x09, BTC}}, 1);
    rt_out co[10];
    for (int i = 0; i < 5; i++) co[i] = (rt_out){(uint8_t)(J1 + i), 10 * BTC};
    co[5] = (rt_out){Q4, 99600000};
    for (int i = 0; i < 4; i++) co[6 + i] = (rt_out){(uint8_t)(K1C + i), 50000000};
    rt_spend(&cj, (rt_in[]){{p3.txid, 1}, {cb[1].txid, 0}, {cb[2].txid, 0}, {cb[3].txid, 0}, {cb[4].txid, 0}}, 5, co,
             10);
    rt_block(&c, (rt_tx *[]){&cb[9], &cj}, 2);
    run_result r = run_sleuth("ingest btc --network regtest --quiet --store %s/s %s", d, rt_write(&c, d));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    free(c.blk);
    snprintf(STORE, sizeof STORE, "%s/s", d);
    hex(THEFT, &theft), hex(FAN, &fan), hex(P1, &p1), hex(P3, &p3), hex(CONS, &cons), hex(CJ, &cj), hex(SWEEP, &sweep);
    r = run_sleuth("tags add --store %s %s --label 'Test exchange hot wallet' --category exchange --source test", STORE,
                   rt_addr(H));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* The finding of kind k (the n-th of that kind), or NULL. */
static const cJSON *finding(const cJSON *j, const char *k, int n)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "findings"))
        if (!strcmp(jstr(f, "kind"), k) && n-- == 0) return f;
    return NULL;
}

static bool names_addr(const cJSON *f, const char *a)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(f, "addresses"))
        if (!strcmp(jstr(x, "address"), a)) return true;
    return false;
}

static bool names_tx(const cJSON *f, const char *t)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(f, "txs"))
        if (!strcmp(jstr(x, "tx"), t)) return true;
    return false;
}

/* The finding of kind k that names address a, or NULL. */
static const cJSON *finding_of(const cJSON *j, const char *k, const char *a)
{
    const cJSON *f;
    for (int n = 0; (f = finding(j, k, n)); n++)
        if (names_addr(f, a)) return f;
    return NULL;
}

static const cJSON *suspect(const cJSON *j, const char *a)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, "suspect_addresses"))
        if (!strcmp(jstr(s, "address"), a)) return s;
    return NULL;
}

static const char *amount(const cJSON *f) { return jstr(cJSON_GetObjectItem(f, "amount"), "amount"); }
static double conf(const cJSON *f) { return cJSON_GetObjectItem(f, "confidence")->valuedouble; }

Test(detect_real, satoshi_peel_chain)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/*.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("detect --store %s/s --tx 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9:0 "
                           "--json",
                           d);
    const cJSON *f = finding(j, "peel-chain", 0);
    cr_assert(f, "no peel chain");
    cr_assert_str_eq(jstr(f, "evidence"), "links=5; peeled=32.00000000 BTC; remaining=18.00000000 BTC");
    cr_assert_str_eq(amount(f), "5000000000");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(f, "txs")), 5);
    cr_assert(names_tx(f, "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"), "block 170's tx");
    cr_assert(names_addr(f, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"));
    cr_assert_float_eq(conf(f), 0.6, 1e-9);
    /* suspects: the source first, then Hal Finney's 10 BTC among the 20% receivers */
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suspect_addresses"), 0);
    cr_assert_str_eq(jstr(s0, "address"), "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(s0, "received"), "amount"), "5000000000");
    const cJSON *hal = suspect(j, "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3");
    cr_assert(hal);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(hal, "received"), "amount"), "1000000000");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "suspect_addresses")), 9);
    cr_assert_null(finding(j, "fan-out", 0));
    cJSON_Delete(j);
    /* nothing idle for 30 days by block 599 (2009-01-15); with 1 day, Hal's 10 BTC is */
    j = sleuth_json("detect --store %s/s --tx 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9:0 "
                    "--json --kinds still-dormant --dormant-days 1",
                    d);
    cr_assert((f = finding_of(j, "still-dormant", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")), "Hal's output is still dormant");
    cr_assert_str_eq(amount(f), "1000000000");
    cr_assert_null(finding(j, "peel-chain", 0), "--kinds keeps only what it names");
    cJSON_Delete(j);
}

TestSuite(detect, .init = build);

Test(detect, every_detector_on_the_hand_built_chain)
{
    cJSON *j = sleuth_json("detect --store %s --tx %s --json", STORE, THEFT);
    const cJSON *f, *s;
    /* the victim's change is not loot */
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "loot")), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "loot"), 0), "amount"), "9000000000");
    /* fan-out */
    cr_assert((f = finding(j, "fan-out", 0)));
    cr_assert_str_eq(amount(f), "8400000000");
    cr_assert(strstr(jstr(f, "evidence"), "slices=6; fresh=6; slice=14.00000000 BTC..14.00000000 BTC"), "%s",
              jstr(f, "evidence"));
    cr_assert_float_eq(conf(f), 0.9, 1e-9);
    cr_assert(names_tx(f, FAN) && names_addr(f, rt_addr(S1)) && names_addr(f, rt_addr(S1 + 5)));
    /* peel chain */
    cr_assert((f = finding(j, "peel-chain", 0)));
    cr_assert_str_eq(jstr(f, "evidence"), "links=3; peeled=3.00000000 BTC; remaining=10.99700000 BTC");
    cr_assert(names_tx(f, P1) && names_tx(f, P3) && names_addr(f, rt_addr(Q3)));
    cr_assert_float_eq(conf(f), 0.5, 1e-9);
    /* consolidation */
    cr_assert((f = finding(j, "consolidation", 0)));
    cr_assert(strstr(jstr(f, "evidence"), "senders=5; payments=5; amount=70.00000000 BTC"), "%s", jstr(f, "evidence"));
    cr_assert(names_addr(f, rt_addr(M)) && names_tx(f, CONS));
    /* rapid hops: FAN -> P1 -> P2 -> P3, 600 s apart */
    cr_assert((f = finding(j, "rapid-hops", 0)));
    cr_assert(strstr(jstr(f, "evidence"), "hops=3; limit_minutes=60; span_seconds=1800"), "%s", jstr(f, "evidence"));
    /* dormancy: M, 40 days (and Q3, the peel chain's remainder, until the CoinJoin) */
    cr_assert((f = finding_of(j, "dormancy", rt_addr(M))));
    cr_assert(finding_of(j, "dormancy", rt_addr(Q3)));
    cr_assert(strstr(jstr(f, "evidence"), "idle_days=40.0"), "%s", jstr(f, "evidence"));
    cr_assert_str_eq(amount(f), "6999000000");
    /* still dormant as of b9: the peeled 1 BTC outputs and X's change */
    cr_assert(finding_of(j, "still-dormant", rt_addr(R1)) && finding_of(j, "still-dormant", rt_addr(R1 + 2)));
    cr_assert((f = finding_of(j, "still-dormant", rt_addr(X2))));
    cr_assert_str_eq(amount(f), "599000000");
    /* CoinJoin */
    cr_assert((f = finding(j, "coinjoin", 0)));
    cr_assert(names_tx(f, CJ) && names_addr(f, rt_addr(Q3)));
    cr_assert_str_eq(amount(f), "1099700000");
    /* cash-out at the tagged exchange through its deposit address */
    cr_assert((f = finding(j, "exchange-deposit", 0)));
    cr_assert(names_addr(f, rt_addr(H)) && names_addr(f, rt_addr(D)) && names_tx(f, SWEEP));
    cr_assert(strstr(jstr(f, "evidence"), "deposit_addresses=1"), "%s", jstr(f, "evidence"));
    cr_assert_str_eq(jstr(f, "stage"), "cash-out");
    /* suspects: the thief first; slices and the consolidation; never the exchange or its deposit address */
    s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suspect_addresses"), 0);
    cr_assert_str_eq(jstr(s, "address"), rt_addr(X));
    cr_assert((s = suspect(j, rt_addr(S1 + 3))));
    cr_assert(strstr(jstr(s, "reason"), "fan-out slice"), "%s", jstr(s, "reason"));
    cr_assert_float_eq(conf(s), 0.8, 1e-9);
    cr_assert((s = suspect(j, rt_addr(M))));
    cr_assert(strstr(jstr(s, "reason"), "consolidation") && strstr(jstr(s, "reason"), "dormant"));
    cr_assert_null(suspect(j, rt_addr(D)), "an exchange deposit address is not the thief's");
    cr_assert_null(suspect(j, rt_addr(H)));
    cr_assert_null(suspect(j, rt_addr(V)), "the victim's change");
    cr_assert_null(suspect(j, rt_addr(K1)), "a clean CoinJoin participant");
    /* a CoinJoin's outputs: diluted taint, lower confidence (2.075 BTC each by haircut) */
    cr_assert((s = suspect(j, rt_addr(J1))));
    cr_assert(strstr(jstr(s, "reason"), "CoinJoin"), "%s", jstr(s, "reason"));
    cr_assert_float_eq(conf(s), 0.25, 1e-9);
    cJSON_Delete(j);
}

Test(detect, incident_text_and_usage)
{
    char pack[600];
    FILE *f;
    snprintf(pack, sizeof pack, "%s/heist.tagpack.yaml", temp_dir());
    cr_assert((f = fopen(pack, "w")));
    fprintf(f,
            "title: test heist\ncreator: test\ndescription: test\nis_public: true\nlastmod: 2025-01-01\ntags:\n"
            "- tx_hash: '%s'\n  network: 'BTC'\n  currency: 'BTC'\n  label: 'test heist theft'\n"
            "  category: 'perpetrator'\n  source: 'test'\n  confidence: 'forensic'\n"
            "  context: '{\"incident\": \"test-heist\", \"role\": \"theft_tx\"}'\n",
            THEFT);
    fclose(f);
    run_result r = run_sleuth("tags import --store %s %s", STORE, pack);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    run_free(&r);
    cJSON *j = sleuth_json("detect --store %s --incident test-heist --json", STORE);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "input"), "label"), "incident test-heist");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "loot"), 0), "amount"), "9000000000");
    cr_assert(finding(j, "fan-out", 0));
    cJSON_Delete(j);
    /* the text report fits 100 columns */
    r = run_sleuth("detect --store %s --incident test-heist", STORE);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "fan-out"));
    for (const char *p = r.out; *p;) {
        size_t n = strcspn(p, "\n");
        cr_assert_leq(n, 100, "line too long: %.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
    run_free(&r);
    r = run_sleuth("detect --store %s --incident no-such-heist", STORE);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no-such-heist"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("detect --store %s --tx %s --kinds fan-out,bogus", STORE, THEFT);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bogus"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("detect --store %s --tx %s --address %s", STORE, THEFT, rt_addr(X));
    cr_assert_eq(r.status, 2);
    run_free(&r);
}

Test(detect, address_source_and_kinds)
{
    cJSON *j = sleuth_json("detect --store %s --address %s --kinds fan-out,exchange-deposit --json", STORE, rt_addr(X));
    const cJSON *f;
    cr_assert((f = finding(j, "fan-out", 0)));
    cr_assert((f = finding(j, "exchange-deposit", 0)));
    cr_assert_null(finding(j, "peel-chain", 0));
    /* the address itself received the whole loot */
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suspect_addresses"), 0);
    cr_assert_str_eq(jstr(s, "address"), rt_addr(X));
    cr_assert(strstr(jstr(s, "reason"), "paid by the theft"));
    cJSON_Delete(j);
}

Test(detect_eth, fanout_and_tornado_leads_by_tutelas_rules)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/s --chain ethereum tests/data/detect/tornado_chain.jsonl", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("detect --store %s/s --tx 0x%064x --json", d, 0xf001);
    const cJSON *f, *s;
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "loot"), 0), "amount"), "100000000000000000000");
    cr_assert((f = finding(j, "fan-out", 0)));
    cr_assert(strstr(jstr(f, "evidence"), "slices=5; fresh=5; slice=20 ETH..20 ETH"), "%s", jstr(f, "evidence"));
    cr_assert_str_eq(amount(f), "100000000000000000000");
    /* the deposits: F1 and F2's, into the 10 ETH pool */
    cr_assert((f = finding(j, "tornado", 0)));
    cr_assert_str_eq(jstr(f, "rule"), "tornado: tainted deposits into a pool");
    cr_assert(strstr(jstr(f, "evidence"), "deposits=2; denomination=10 ETH"), "%s", jstr(f, "evidence"));
    cr_assert(strstr(jstr(f, "evidence"), "withdrawals_after=4; leads=3; timing_only=1"), "%s", jstr(f, "evidence"));
    cr_assert(names_addr(f, "0x910Cbd523D972eb0a6f4cAe4618aD62622b39DbF"));
    /* the leads, one rule each; amount and timing alone (U3) is none */
    const char *w1 = "0xB1B1B1B1b1B1b1b1b1B1B1B1B1b1b1B1b1b1B1B1", *w2 = "0xb2b2b2b2b2B2b2B2B2b2b2B2B2b2B2B2b2b2b2b2";
    const char *f3 = "0xF3F3f3F3F3F3F3f3f3F3F3F3f3f3f3F3f3F3f3F3", *u3 = "0xa3A3a3a3a3A3a3A3A3a3A3A3a3a3a3a3A3a3A3a3";
    cr_assert((f = finding_of(j, "tornado", w1)));
    cr_assert(strstr(jstr(f, "evidence"), "rules=unique gas price; withdrawn=9.9 ETH"), "%s", jstr(f, "evidence"));
    cr_assert_float_eq(conf(f), 0.7, 1e-9);
    cr_assert((f = finding_of(j, "tornado", f3)));
    cr_assert(strstr(jstr(f, "evidence"), "rules=address match"), "%s", jstr(f, "evidence"));
    cr_assert_float_eq(conf(f), 0.9, 1e-9);
    cr_assert((f = finding_of(j, "tornado", w2)));
    cr_assert(strstr(jstr(f, "evidence"), "rules=>= 3 linking txs"), "%s", jstr(f, "evidence"));
    cr_assert_float_eq(conf(f), 0.5, 1e-9);
    cr_assert_null(finding_of(j, "tornado", u3), "amount and timing alone are no lead");
    cr_assert_null(suspect(j, u3));
    /* leads are suspects with their own confidence and say what they withdrew */
    cr_assert((s = suspect(j, w1)));
    cr_assert_float_eq(conf(s), 0.7, 1e-9);
    cr_assert(strstr(jstr(s, "reason"), "Tornado withdrawal lead: unique gas price; withdrew 9.9 ETH"), "%s",
              jstr(s, "reason"));
    cr_assert_null(suspect(j, "0x910Cbd523D972eb0a6f4cAe4618aD62622b39DbF"), "the pool is a service");
    cJSON_Delete(j);
}

/* A declared link (--link) from the hand-built Bitcoin chain into the Ethereum fixture: the
 * peel chain's remainder Q3 (10.997 BTC, P3:1) is said to have arrived as the 100 ETH of
 * 0x..f001, so the detect continues on Ethereum: a bridge finding, then the fan-out there. */
Test(detect, declared_link_into_ethereum)
{
    char csv[600];
    FILE *f;
    run_result r = run_sleuth("ingest eth --quiet --store %s --chain ethereum tests/data/detect/tornado_chain.jsonl", STORE);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(csv, sizeof csv, "%s/links.csv", temp_dir());
    cr_assert((f = fopen(csv, "w")));
    fprintf(f, "from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note\n"
               "regtest,%s,%s,1099700000,ethereum,0x%064x,0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e,"
               "100000000000000000000,test bridge\n",
            P3, rt_addr(Q3), 0xf001);
    fclose(f);
    cJSON *j = sleuth_json("detect --store %s --tx %s --link %s --json", STORE, THEFT, csv);
    const cJSON *x;
    cr_assert((x = finding(j, "bridge", 0)));
    cr_assert_str_eq(jstr(x, "stage"), "swap-bridge");
    cr_assert(strstr(jstr(x, "evidence"), "tainted_out=10.99700000 BTC; arrived=100 ETH; to_chain=ethereum"), "%s",
              jstr(x, "evidence"));
    cr_assert(strstr(jstr(x, "evidence"), "note=test bridge"), "%s", jstr(x, "evidence"));
    cr_assert(names_addr(x, rt_addr(Q1 + 1)) && names_addr(x, rt_addr(Q3)) && names_tx(x, P3));
    cr_assert((x = finding(j, "fan-out", 1)), "the second fan-out, on Ethereum");
    cr_assert(strstr(jstr(x, "evidence"), "slices=5"), "%s", jstr(x, "evidence"));
    cr_assert_null(finding(j, "coinjoin", 0), "Q3 crossed instead of entering the CoinJoin");
    cJSON_Delete(j);
}
