/* test_trace_acct.c — tracing on an account chain through `sleuth trace`, on JSON-RPC
 * responses (tests/data/eth/trace/hand_chain.jsonl: three blocks, gas price 0 so fees do
 * not blur the numbers) with every expected number derived by hand below, and on the 36
 * real mev-inspect blocks (conservation and determinism for many sources and all policies).
 *
 * Accounts S, A, X, D, E, B (0x5151.., 0xa1a1.., 0xc1c1.., 0xd1d1.., 0xe1e1.., 0xb1b1..):
 *   block 1  tx 0x..f001: X -> A 50 (clean money arrives first)
 *            tx 0x..f002: S -> A 100 (the source)
 *   block 2  tx 0x..f003: A -> D 90;  tx 0x..f004: A -> E 40
 *   block 3  tx 0x..f005: E -> B 30
 * Forward from f002 (100 wei into A, whose balance was 50 clean):
 *   haircut A: 90 out of 150 carries floor(90*100/150)=60 -> D; left bal 60, taint 40;
 *           40 out carries floor(40*40/60)=26 -> E; A keeps 14. E: 30 of 40 carries
 *           floor(30*26/40)=19 -> B; E keeps 7.            D 60, B 19, A 14, E 7.
 *   fifo    A lots [50 clean][100 tainted]: 90 takes 50c+40t -> D 40; 40 takes 40t -> E 40;
 *           A keeps 20t. E: 30 of [40t] -> B 30; E keeps 10.  D 40, B 30, A 20, E 10.
 *   lifo    90 from the back: 90t -> D; 40 takes 10t+30c -> E 10 (E's lots [10t][30c]);
 *           E sends 30 from the back: clean.                D 90, E 10.
 *   tiho    taint leaves first: D 90, then E 10; E sends its 10 first -> B 10.  D 90, B 10.
 *   poison  A is marked once tainted: D 90, E 40 marked, A keeps 20 marked (absorbing 50);
 *           E: B 30, keeps 10.                              D 90, B 30, A 20, E 10; absorbed 50.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define SRC_TX "0x000000000000000000000000000000000000000000000000000000000000f002"
static char ST[200];

static void build(void)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/s tests/data/eth/trace/hand_chain.jsonl", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(ST, sizeof ST, "%s/s", d);
}

static uint64_t at(const cJSON *j, const char *prefix, const char *status)
{
    const cJSON *e;
    uint64_t sum = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "endpoints"))
        if (!strncasecmp(jstr(e, "address"), prefix, strlen(prefix)) && (!status || !strcmp(jstr(e, "status"), status)))
            sum += jint(e, "amount");
    return sum;
}

/* An amount: a JSON integer below 2^53, a decimal string above (docs/ETH.md). */
static unsigned __int128 big(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    unsigned __int128 x = 0;
    if (cJSON_IsNumber(v)) return (unsigned __int128)jint(o, key);
    cr_assert(cJSON_IsString(v), "%s is neither a number nor a decimal string", key);
    for (const char *p = v->valuestring; *p; p++) {
        cr_assert(*p >= '0' && *p <= '9', "%s: not decimal", key);
        x = x * 10 + (unsigned)(*p - '0');
    }
    return x;
}

static cJSON *trace(const char *args)
{
    cJSON *j = sleuth_json("trace --store %s --json %s", ST, args), *c = cJSON_GetObjectItem(j, "conservation");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "balanced")), "unbalanced: %s", args);
    cr_assert(big(c, "source") + big(c, "absorbed") == big(c, "endpoints") + big(c, "held") + big(c, "fees") + big(c, "dropped"),
              "conservation: %s", args);
    return j;
}

TestSuite(trace_acct, .init = build);

Test(trace_acct, every_policy_by_hand)
{
    static const struct { const char *pol; uint64_t d, b, a, e, absorbed; } X[] = {
        {"haircut", 60, 19, 14, 7, 0}, {"fifo", 40, 30, 20, 10, 0}, {"lifo", 90, 0, 0, 10, 0},
        {"tiho", 90, 10, 0, 0, 0},     {"poison", 90, 30, 20, 10, 50},
    };
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) {
        char a[200];
        cJSON *j;
        snprintf(a, sizeof a, "--tx " SRC_TX " --policy %s", X[i].pol);
        j = trace(a);
        cr_assert_str_eq(jstr(j, "asset"), "ETH");
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "source"), 100);
        cr_assert_eq(at(j, "0xd1d1", "held"), X[i].d, "%s: D", X[i].pol);
        cr_assert_eq(at(j, "0xb1b1", "held"), X[i].b, "%s: B", X[i].pol);
        cr_assert_eq(at(j, "0xa1a1", "held"), X[i].a, "%s: A", X[i].pol);
        cr_assert_eq(at(j, "0xe1e1", "held"), X[i].e, "%s: E", X[i].pol);
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "absorbed"), X[i].absorbed, "%s", X[i].pol);
        cJSON_Delete(j);
    }
}

Test(trace_acct, stop_rules_and_sources)
{
    cJSON *j;
    char a[200];
    /* one hop: D and E are where the trace stops (haircut: 60 and 26), A keeps 14 */
    j = trace("--tx " SRC_TX " --max-hops 1");
    cr_assert_eq(at(j, "0xd1d1", "max-hops"), 60);
    cr_assert_eq(at(j, "0xe1e1", "max-hops"), 26);
    cr_assert_eq(at(j, "0xa1a1", "held"), 14);
    cJSON_Delete(j);
    /* until block 2's time: E's payment to B (block 3) is not followed */
    snprintf(a, sizeof a, "--tx " SRC_TX " --until %u", 1700000000u + 2 * 600);
    j = trace(a);
    cr_assert_eq(at(j, "0xe1e1", "held"), 26);
    cr_assert_eq(at(j, "0xb1b1", NULL), 0);
    cJSON_Delete(j);
    /* dust: E's 26 and the 19 to B are under 30: E's delivery is dropped */
    j = trace("--tx " SRC_TX " --min-amount 30");
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "dropped"), 26);
    cJSON_Delete(j);
    /* by address: what A received of ETH (both deliveries: 150, the clean 50 included) */
    j = trace("--address 0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 --asset ETH --policy fifo");
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "source"), 150);
    cJSON_Delete(j);
    /* a flow by its number in `sleuth tx` */
    j = trace("--tx 0x000000000000000000000000000000000000000000000000000000000000f004:0 --policy fifo");
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "source"), 40);
    cr_assert_eq(at(j, "0xb1b1", "held"), 30);
    cJSON_Delete(j);
}

/* Backward from tx f005 (E -> B 30), derived by hand:
 *   fifo    E's 30 are f004's units [0,30); A paid f003's 90 with f001's 50 and f002's first
 *           40, so f004 = f002 units [40,80): [0,30) of f004 is f002's -> S 30 (S has no
 *           earlier history: unknown origin).
 *   lifo    E pays from f004's last units [10,40); A paid f003 from its newest lots (f002
 *           [10,100)), so f004 = f002 [0,10) then f001 [20,50): [10,40) is f001's -> X 30.
 *   haircut A's balance before f003: f001 50, f002 100; f003 takes 30 and 60, leaving 20
 *           and 40; f004 (40) = 13 + 27; E's 30 of f004's 40 = floor(30*13/40) = 9 from
 *           f001, 21 from f002 -> X 9, S 21.
 *   tiho    f003 took the largest lot (f002) first, so f004 came from f001: X 30.
 *   poison  E's inflow f004 whole (40, absorbing 10), A's inflows f001 and f002 whole
 *           (150, absorbing 110): X 50, S 100, absorbed 120. */
Test(trace_acct, backward_every_policy_by_hand)
{
    static const struct { const char *pol; uint64_t s, x, absorbed; } X[] = {
        {"fifo", 30, 0, 0}, {"lifo", 0, 30, 0}, {"haircut", 21, 9, 0}, {"tiho", 0, 30, 0}, {"poison", 100, 50, 120},
    };
    for (size_t i = 0; i < sizeof X / sizeof *X; i++) {
        char a[200];
        cJSON *j;
        snprintf(a, sizeof a, "--tx 0x000000000000000000000000000000000000000000000000000000000000f005 "
                              "--direction backward --policy %s", X[i].pol);
        j = trace(a);
        cr_assert_str_eq(jstr(j, "direction"), "backward");
        cr_assert_eq(at(j, "0x5151", "unknown-origin"), X[i].s, "%s: S", X[i].pol);
        cr_assert_eq(at(j, "0xc1c1", "unknown-origin"), X[i].x, "%s: X", X[i].pol);
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "absorbed"), X[i].absorbed, "%s", X[i].pol);
        cJSON_Delete(j);
    }
    /* one hop back: the demand stops at A's deposit flows (haircut: the 30 of f004 from A) */
    {
        cJSON *j = trace("--tx 0x000000000000000000000000000000000000000000000000000000000000f005 --direction backward "
                         "--max-hops 1");
        cr_assert_eq(at(j, "0xa1a1", "max-hops"), 30);
        cJSON_Delete(j);
    }
}

Test(trace_acct, graph_files)
{
    for (int k = 0; k < 3; k++) {
        const char *ext[] = {"json", "gexf", "dot"};
        run_result r = run_sleuth("trace --store %s --tx " SRC_TX " --graph %s/../g.%s", ST, ST, ext[k]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        r = run_sh("grep -ci 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1' %s/../g.%s", ST, ext[k]);
        cr_assert_eq(r.status, 0, "%s names B", ext[k]);
        run_free(&r);
    }
    {
        /* haircut subgraph: S->A 100, A->D 60, A->E 26, E->B 19 */
        run_result r = run_sh("python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); "
                              "assert len(g[\"nodes\"])==5, g; assert sorted(int(e[\"amount\"]) for e in g[\"edges\"])==[19,26,60,100], g' "
                              "%s/../g.json", ST);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
    }
}

Test(trace_acct, bad_requests)
{
    run_result r = run_sleuth("trace --store %s --tx " SRC_TX ":5", ST);
    cr_assert_eq(r.status, 2);
    run_free(&r);
    r = run_sleuth("trace --store %s --tx " SRC_TX " --asset DOGE", ST);
    cr_assert_eq(r.status, 1);
    run_free(&r);
    r = run_sleuth("trace --store %s --tx 0x00000000000000000000000000000000000000000000000000000000000000aa", ST);
    cr_assert_eq(r.status, 1);
    run_free(&r);
}

/* Real data: the 36 mev-inspect blocks. Every token and native flow source of a few
 * transactions, under every policy: balanced, and the same answer twice. */
Test(trace_acct, real_blocks_conserve, .timeout = 240)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/m tests/data/eth/mev", d);
    cJSON *b, *txs;
    int n = 0;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(ST, sizeof ST, "%s/m", d);
    b = sleuth_json("address --store %s/m 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 --json --limit 40", d); /* WETH */
    txs = cJSON_GetObjectItem(b, "txs");
    for (int i = 0; i < cJSON_GetArraySize(txs) && n < 8; i += 5, n++) {
        const cJSON *t = cJSON_GetArrayItem(txs, i);
        const char *h = cJSON_IsString(t) ? t->valuestring : jstr(t, "hash");
        for (int p = 0; p < 5; p++) {
            const char *pol[] = {"poison", "haircut", "fifo", "lifo", "tiho"};
            char a[300], *x, *y;
            cJSON *j1, *j2;
            for (int dir = 0; dir < 2; dir++) {
                snprintf(a, sizeof a, "--tx %s --policy %s%s", h, pol[p], dir ? " --direction backward" : "");
                j1 = trace(a);
                j2 = trace(a);
                x = cJSON_PrintUnformatted(j1), y = cJSON_PrintUnformatted(j2);
                cr_assert_str_eq(x, y, "deterministic");
                if (p) cr_assert(big(cJSON_GetObjectItem(j1, "conservation"), "absorbed") == 0);
                free(x), free(y);
                cJSON_Delete(j1), cJSON_Delete(j2);
            }
        }
    }
    cr_assert_gt(n, 0);
    cJSON_Delete(b);
}
