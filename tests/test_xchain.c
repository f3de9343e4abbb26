/* test_xchain.c — crossings found in chain data (xchain.h) and how the tracing engine
 * follows them (trace.h).
 *
 * Engine, on test_trace.c's hand chain (rt_hand_store; satoshi):
 *   C0: coinbase -> A 100;  C1: coinbase -> B 50
 *   T1: [C0:0 100, C1:0 50] -> D 90, E 50; fee 10;  T2: [T1:1 50] -> F 20, G 29; fee 1
 * Links built in code, as xchain.c builds them:
 *   L0  T1:0 (D, 90) left for "ethereum", arriving payment not in the store (to_flow NONE)
 *   L1  T1:1 (E, from_amount 30) left for "ethereum", not in the store
 *   L2  T1:1 (E, from_amount 20) arrived as T2:0 (F, 20): two links leave at one payment
 *       (a streaming swap's two outbounds), split 30:20
 * Forward from C0:0, haircut: T1 gives D 60, E 33, fee 7. D's 60 end "crossed" (L0). E's
 * 33 split over L1 and L2 by cumulative floors: L1 floor(33*30/50) = 19 crossed, L2 the
 * other 14, linked_out 14; the second pass brings them to T2:0 as floor(14*20/20) = 14,
 * held at F (T2's outputs are unspent). T2 is never split (E's output left through the
 * links). 100 + linked_in 14 = endpoints 60 + 19 + held 14 + fees 7 + linked_out 14.
 * Backward from T2:0 (F, 20): L2 is the only link arriving there: the 20 go back as
 * floor(20*20/20) = 20 demanded of T1:1; T1 draws floor(20*100/150) = 13 from C0 and 7
 * from C1 (coinbase). The unmatched links are never reached backward.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/btc.h"
#include "sleuth/flow.h"
#include "sleuth/hashtab.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"
#include "sleuth/util.h"
#include "sleuth/xchain.h"

enum { D = 0xd1, E = 0xe1, F = 0xf1 }; /* rt_hand_graph's tags */

static char ST[200], C0[65], T1[65], T2[65];

static void build(void)
{
    static rt_tx tx[6];
    rt_hand_store(ST, sizeof ST, tx);
    run_result r = run_sleuth("ingest eth --quiet --store %s tests/data/eth/trace/hand_chain.jsonl", ST);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    sl_hash_hex(C0, &tx[0].txid), sl_hash_hex(T1, &tx[4].txid), sl_hash_hex(T2, &tx[5].txid);
}

TestSuite(xchain_engine, .init = build);

/* The hand store opened, with C0's, T1's and T2's tx ids on its Bitcoin chain. */
static const sl_flow_view *open_hand(sl_store **s, sl_flow_set **fs, uint64_t *c0, uint64_t *t1, uint64_t *t2)
{
    sl_error e = {0};
    cr_assert_eq(sl_store_open(s, ST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(fs, *s, &e), SL_OK, "%s", e.msg);
    const sl_flow_view *bv = sl_flow_set_chain(*fs, SL_CHAIN_BTC);
    cr_assert_eq(bv->m->tx_find(bv, C0, c0), SL_OK);
    cr_assert_eq(bv->m->tx_find(bv, T1, t1), SL_OK);
    cr_assert_eq(bv->m->tx_find(bv, T2, t2), SL_OK);
    return bv;
}

static sl_trace_link unmatched(uint64_t flow, sl_u128 amount)
{
    sl_trace_link l = {.from_chain = SL_CHAIN_BTC, .from_flow = flow, .to_flow = SL_FLOW_NONE, .from_amount = amount,
                       .origin = SL_LINK_CHAIN_DATA};
    snprintf(l.to_chain_name, sizeof l.to_chain_name, "ethereum");
    snprintf(l.note, sizeof l.note, "THORChain swap, memo =:ETH.ETH:0x..., outbound not in the store");
    return l;
}

/* The sum of the ends with a status at the address tagged tag. */
static uint64_t at(const sl_flow_view *v, const sl_trace_result *r, uint8_t tag, sl_end_reason why)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n_ends; i++) {
        char t[SL_FLOW_NAME_MAX];
        v->m->addr_name(v, r->ends[i].addr, t);
        if (!strcmp(t, rt_addr(tag)) && r->ends[i].reason == why) sum += (uint64_t)r->ends[i].amount;
    }
    return sum;
}

Test(xchain_engine, a_link_without_an_arriving_payment_ends_the_taint_crossed)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_error e = {0};
    sl_trace_result r;
    uint64_t t1, t2;
    sl_trace_link v[3];
    sl_trace_links links = {.v = v, .n = 3, .cap = 3};
    sl_trace_params p = {.policy = SL_POLICY_HAIRCUT, .links = &links};
    sl_trace_source src = {.chain = SL_CHAIN_BTC, .kind = SL_SOURCE_TX, .index = 0};
    const sl_flow_view *bv = open_hand(&s, &fs, &src.tx, &t1, &t2);
    v[0] = unmatched(SL_FLOW_UTXO(t1, 0), 90);
    v[1] = unmatched(SL_FLOW_UTXO(t1, 1), 30);
    v[2] = (sl_trace_link){.from_chain = SL_CHAIN_BTC, .to_chain = SL_CHAIN_BTC, .from_flow = SL_FLOW_UTXO(t1, 1),
                           .to_flow = SL_FLOW_UTXO(t2, 0), .from_amount = 20, .to_amount = 20, .origin = SL_LINK_CHAIN_DATA};
    cr_assert_eq(sl_trace_run(fs, &src, &p, &r, &e), SL_OK, "%s", e.msg);
    cr_assert_str_eq(sl_end_reason_name(SL_END_CROSSED), "crossed");
    cr_assert_eq(at(bv, &r, D, SL_END_CROSSED), 60);
    cr_assert_eq(at(bv, &r, E, SL_END_CROSSED), 19);
    cr_assert_eq(at(bv, &r, F, SL_END_HELD), 14);
    cr_assert_eq(r.n_ends, 3);
    for (size_t i = 0; i < r.n_ends; i++)
        if (r.ends[i].reason == SL_END_CROSSED) {
            cr_assert_eq(r.ends[i].pool, t1);
            cr_assert(r.ends[i].flow == SL_FLOW_UTXO(t1, 0) || r.ends[i].flow == SL_FLOW_UTXO(t1, 1));
        }
    cr_assert_eq(r.n_totals, 1);
    const sl_trace_totals *x = &r.totals[0];
    cr_assert(x->source == 100 && x->linked_in == 14 && x->endpoints == 79 && x->held == 14 && x->fees == 7 &&
                  x->linked_out == 14 && x->dropped == 0,
              "source %llu in %llu endpoints %llu held %llu fees %llu out %llu", (unsigned long long)x->source,
              (unsigned long long)x->linked_in, (unsigned long long)x->endpoints, (unsigned long long)x->held,
              (unsigned long long)x->fees, (unsigned long long)x->linked_out);
    cr_assert(sl_trace_balanced(x));
    cr_assert_eq(r.n_crossings, 1, "only the matched link is a crossing");
    cr_assert_eq(r.crossings[0].link, 2);
    cr_assert(r.crossings[0].amount_out == 14 && r.crossings[0].amount_in == 14);
    cr_assert_eq(r.passes, 2);
    sl_trace_free(&r);

    /* backward from T2:0: only L2 arrives there */
    p.backward = true;
    src.tx = t2;
    cr_assert_eq(sl_trace_run(fs, &src, &p, &r, &e), SL_OK, "%s", e.msg);
    x = &r.totals[0];
    cr_assert(x->source == 20 && x->linked_out == 20 && x->linked_in == 20 && x->endpoints == 20,
              "source %llu out %llu in %llu endpoints %llu", (unsigned long long)x->source,
              (unsigned long long)x->linked_out, (unsigned long long)x->linked_in, (unsigned long long)x->endpoints);
    uint64_t coinbase = 0;
    for (size_t i = 0; i < r.n_ends; i++) {
        cr_assert_neq(r.ends[i].reason, SL_END_CROSSED);
        if (r.ends[i].reason == SL_END_COINBASE) coinbase += (uint64_t)r.ends[i].amount;
    }
    cr_assert_eq(coinbase, 20);
    cr_assert_eq(r.ends[0].amount, 13, "C0 gives floor(20*100/150)");
    sl_trace_free(&r);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

/* Two crossings arriving in one account, the later one listed first. The store also holds
 * test_trace_acct.c's Ethereum chain (wei): f001 X -> A 50, f002 S -> A 100, f003 A -> D' 90,
 * f004 A -> E' 40, f005 E' -> B' 30. Links: L0 T2:0 (F, from 20) -> f002 (to 100); L1 T1:0
 * (D, from 90) -> f001 (to 50). Forward from C0:0, haircut: T1 gives D 60, E 33, fee 7; T2 F
 * 13, G 19, fee 1. D's 60 arrive as floor(60*50/90) = 33 at f001, F's 13 as floor(13*100/20)
 * = 65 at f002. A: 150 with 98 tainted; f003 carries floor(90*98/150) = 58 (A: 60, 40
 * tainted), f004 floor(40*40/60) = 26 (A keeps 14), f005 floor(30*26/40) = 19 (E' keeps 7).
 * ethereum: linked_in 98 = held 58 + 14 + 7 + 19; bitcoin: 100 = held 19 + fees 8 + linked
 * out 73. Fed at the start of the pass in link order, f002's arrival opened A's state past
 * f001 and the 33 arriving there were lost to the sweep; they arrive in flow order now. */
Test(xchain_engine, crossings_arrive_in_their_chains_order)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_error e = {0};
    sl_trace_result r;
    uint64_t t1, t2, f1, f2;
    sl_trace_link v[2];
    sl_trace_links links = {.v = v, .n = 2, .cap = 2};
    sl_trace_params p = {.policy = SL_POLICY_HAIRCUT, .links = &links};
    sl_trace_source src = {.chain = SL_CHAIN_BTC, .kind = SL_SOURCE_TX, .index = 0};
    open_hand(&s, &fs, &src.tx, &t1, &t2);
    const sl_flow_view *ev = sl_flow_set_chain(fs, SL_CHAIN_ETHEREUM);
    cr_assert_not_null(ev);
    uint64_t first;
    uint32_t n;
    cr_assert_eq(ev->m->tx_find(ev, "0x000000000000000000000000000000000000000000000000000000000000f001", &f1), SL_OK);
    ev->m->tx_flows(ev, f1, &first, &n), f1 = first;
    cr_assert_eq(ev->m->tx_find(ev, "0x000000000000000000000000000000000000000000000000000000000000f002", &f2), SL_OK);
    ev->m->tx_flows(ev, f2, &first, &n), f2 = first;
    v[0] = (sl_trace_link){.from_chain = SL_CHAIN_BTC, .to_chain = SL_CHAIN_ETHEREUM, .from_flow = SL_FLOW_UTXO(t2, 0),
                           .to_flow = f2, .from_amount = 20, .to_amount = 100};
    v[1] = (sl_trace_link){.from_chain = SL_CHAIN_BTC, .to_chain = SL_CHAIN_ETHEREUM, .from_flow = SL_FLOW_UTXO(t1, 0),
                           .to_flow = f1, .from_amount = 90, .to_amount = 50};
    cr_assert_eq(sl_trace_run(fs, &src, &p, &r, &e), SL_OK, "%s", e.msg);
    const sl_trace_totals *b = sl_trace_totals_of(&r, SL_CHAIN_BTC, 0), *x = sl_trace_totals_of(&r, SL_CHAIN_ETHEREUM, 0);
    cr_assert(b && x);
    cr_assert(b->source == 100 && b->held == 19 && b->fees == 8 && b->linked_out == 73);
    cr_assert(x->linked_in == 98 && x->held == 98 && x->linked_out == 0,
              "in %llu held %llu", (unsigned long long)x->linked_in, (unsigned long long)x->held);
    uint64_t held[4] = {0}; /* D' A E' B' */
    static const char *const who[4] = {"0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1", "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
                                       "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", "0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"};
    for (size_t i = 0; i < r.n_ends; i++) {
        char t[SL_FLOW_NAME_MAX];
        if (r.ends[i].chain != SL_CHAIN_ETHEREUM) continue;
        ev->m->addr_name(ev, r.ends[i].addr, t);
        for (int k = 0; k < 4; k++)
            if (!strcasecmp(t, who[k])) held[k] += (uint64_t)r.ends[i].amount;
    }
    cr_assert(held[0] == 58 && held[1] == 14 && held[2] == 7 && held[3] == 19, "D' %llu A %llu E' %llu B' %llu",
              (unsigned long long)held[0], (unsigned long long)held[1], (unsigned long long)held[2],
              (unsigned long long)held[3]);
    sl_trace_free(&r);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

/* ---------------- a tiny two-chain world, built here ----------------
 *
 * Bitcoin (regtest, satoshi; p2pkh(20 x tag) addresses):
 *   block 0  C0: coinbase -> A (a1) 100000                         the BTC thief's coins
 *   block 1  C1: coinbase -> VB (b7) 50000000                      the BTC vault's funds
 *   block 2  TIN: [C0:0] -> VB 90000, OP_RETURN "=:ETH.ETH:0xdede..de:0", A 9000; fee 1000
 *   block 3  TOUT: [C1:0] -> DB (d7) 27000000, OP_RETURN "OUT:<ETH deposit hash>", VB 22990000;
 *            fee 10000                                          (the ETH -> BTC outbound)
 *   block 4  TX: [TIN:2] -> VB 8000, OP_RETURN "=:d:DDogeDest:0"; fee 1000 (to Dogecoin: the
 *            store holds no Dogecoin, so this crossing is unmatched)
 *   block 5  C5: coinbase -> S (55) 200000
 *   block 6  TSTR: [C5:0] -> VB 199000, OP_RETURN "=:e:0xd2d2..d2:0/3/0"; fee 1000 (a streaming
 *            swap, paid by two outbounds)
 *   block 7  C7: coinbase -> R (66) 50000
 *   block 8  TR: [C7:0] -> VB 49000, OP_RETURN "=:e:0xdede..de:99999999999"; fee 1000 (its limit
 *            cannot be met: refunded)
 *   block 9  TRF: [TOUT:2] -> R 48000, OP_RETURN "REFUND:<TR>", VB 22941000; fee 1000
 * Ethereum (wei, gas price 0: no fees):
 *   block 1  h01: FUNDER -> THIEF 10 ETH
 *   block 2  h02: THIEF -> ROUTER 4 ETH (depositWithExpiry), internal ROUTER -> VE 4 ETH,
 *            router log Deposit(VE, asset 0; 4 ETH, "=:BTC.BTC:<DB>:0")
 *   block 3  h03: VE -> ROUTER 1.665 ETH (transferOut), internal ROUTER -> DEST 1.665 ETH,
 *            router log TransferOut(VE, DEST; asset 0, 1.665 ETH, "OUT:<TIN txid, upper case>")
 *   block 4  h04: DEST -> POOL 1 ETH; USDT log Transfer(POOL -> DEST, 2700 USDT); pool log
 *            Uniswap V2 Swap(sender DEST, 1 ETH in, 2700 USDT out, to DEST)
 *   block 5  h05: VE -> ROUTER 1 ETH, internal ROUTER -> DEST2 1 ETH, TransferOut "OUT:<TSTR>"
 *   block 6  h06: VE -> ROUTER 2 ETH, internal ROUTER -> DEST2 2 ETH, TransferOut "OUT:<TSTR>"
 * Crossings found: TIN:0 (90000 sat) -> h03's ROUTER -> DEST flow (1.665 ETH); h02's THIEF ->
 * ROUTER flow (4 ETH) -> TOUT:0 (27000000 sat); TX:0 (8000 sat) -> "doge", unmatched; h04's
 * DEST -> POOL (1 ETH) -> POOL -> DEST (2700 USDT); TSTR:0 (199000 sat) -> h05's 1 ETH and h06's
 * 2 ETH to DEST2, two links whose from_amounts split 199000 by 1:2 with cumulative floors:
 * floor(199000 / 3) = 66333 and 132667; TR:0 (49000 sat) -> TRF:0 (48000 sat), a refund.
 */
#define ROUTER "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146"
#define VE "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define DEST "0xdededededededededededededededededededede"
#define THIEF "0x7777777777777777777777777777777777777777"
#define FUNDER "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"
#define DEST2 "0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2"
#define POOL "0x9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"
#define USDT "0xdac17f958d2ee523a2206206994597c13d831ec7"
#define TOPIC_DEPOSIT "0xef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"
#define TOPIC_TRANSFER_OUT "0xa9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7"
#define TOPIC_TRANSFER_OUT_CALL "0x8e5841bcd195b858d53b38bcf91b38d47f3bc800469b6812d35451ab619c6f6c"
#define AGG "0xa9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9"
#define DEST3 "0xd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3"
#define TOPIC_V2_SWAP "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
#define TOPIC_ERC20 "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
#define H(n) "0x000000000000000000000000000000000000000000000000000000000000ac0" #n
enum { TA = 0xa1, VB = 0xb7, DB = 0xd7, TS = 0x55, TR = 0x66, TC = 0xac };

static char WST[300], TIN_ID[65], TOUT_ID[65], TX_ID[65], TSTR_ID[65], TR_ID[65], TRF_ID[65], TAC_ID[65], C0W[65], C5W[65], C7W[65];

/* ABI words as hex (no 0x): a number, an address, a string's length and padded bytes. */
static void w_num(char *o, uint64_t v) { sprintf(o + strlen(o), "%064llx", (unsigned long long)v); }
static void w_hex(char *o, const char *hex) /* a big number given as hex digits */
{
    sprintf(o + strlen(o), "%0*d%s", (int)(64 - strlen(hex)), 0, hex);
}
static void w_addr(char *o, const char *a) { sprintf(o + strlen(o), "000000000000000000000000%s", a + 2); }
static void w_str(char *o, const char *s)
{
    size_t n = strlen(s);
    w_num(o, n);
    for (size_t i = 0; i < (n + 31) / 32 * 32; i++) sprintf(o + strlen(o), "%02x", i < n ? (unsigned char)s[i] : 0);
}

static void eth_block(FILE *f, int num, const char *txs)
{
    fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"number\":\"0x%x\",\"hash\":\"0x%064x\",\"parentHash\":\"0x%064x\","
               "\"timestamp\":\"0x%x\",\"miner\":\"0x9999999999999999999999999999999999999999\",\"transactions\":[%s]}}\n",
            num, num, 0xb000 + num, 0xb000 + num - 1, 1600000000 + num * 600, txs);
}

static void eth_tx(char *o, int num, int n, const char *from, const char *to, const char *value, const char *input)
{
    sprintf(o, "{\"hash\":\"%s%d\",\"from\":\"%s\",\"to\":\"%s\",\"value\":\"%s\",\"gas\":\"0x30000\",\"gasPrice\":\"0x0\","
               "\"input\":\"%s\",\"nonce\":\"0x%x\",\"transactionIndex\":\"0x0\",\"blockNumber\":\"0x%x\","
               "\"blockHash\":\"0x%064x\"}",
            H(), n, from, to, value, input, n, num, 0xb000 + num);
}

static void eth_receipt(FILE *f, int num, int n, const char *from, const char *to, const char *logs)
{
    fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"transactionHash\":\"%s%d\",\"transactionIndex\":\"0x0\","
               "\"blockNumber\":\"0x%x\",\"blockHash\":\"0x%064x\",\"cumulativeGasUsed\":\"0x5208\",\"gasUsed\":\"0x5208\","
               "\"effectiveGasPrice\":\"0x0\",\"status\":\"0x1\",\"logs\":[%s],\"from\":\"%s\",\"to\":\"%s\","
               "\"contractAddress\":null}}\n",
            100 + n, H(), n, num, 0xb000 + num, logs, from, to);
}

static void eth_log(char *o, int num, int n, int idx, const char *addr, const char *topics, const char *data)
{
    sprintf(o + strlen(o), "%s{\"address\":\"%s\",\"topics\":[%s],\"data\":\"0x%s\",\"logIndex\":\"0x%x\","
                           "\"transactionHash\":\"%s%d\",\"transactionIndex\":\"0x0\",\"blockNumber\":\"0x%x\","
                           "\"blockHash\":\"0x%064x\",\"removed\":false}",
            o[0] ? "," : "", addr, topics, data, idx, H(), n, num, 0xb000 + num);
}

/* Parity traces of one tx: the top call and one internal call. */
static void eth_trace(FILE *f, int num, int n, const char *from, const char *to, const char *value, const char *ifrom,
                      const char *ito, const char *ivalue)
{
    const char *fmt = "{\"action\":{\"callType\":\"call\",\"from\":\"%s\",\"to\":\"%s\",\"value\":\"%s\",\"gas\":\"0x0\","
                      "\"input\":\"0x\"},\"blockHash\":\"0x%064x\",\"blockNumber\":%d,\"result\":{\"gasUsed\":\"0x0\","
                      "\"output\":\"0x\"},\"subtraces\":%d,\"traceAddress\":[%s],\"transactionHash\":\"%s%d\","
                      "\"transactionPosition\":0,\"type\":\"call\"}";
    fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":[", 200 + n);
    fprintf(f, fmt, from, to, value, 0xb000 + num, num, 1, "", H(), n);
    fputc(',', f);
    fprintf(f, fmt, ifrom, ito, ivalue, 0xb000 + num, num, 0, "0", H(), n);
    fprintf(f, "]}\n");
}

static void to_upper(char *s)
{
    for (; *s; s++) *s = (char)toupper((unsigned char)*s);
}

static void build_world(void)
{
    static rt_tx c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, tin, tout, tx, tstr, tr, trf, tac;
    rt_chain c;
    rt_out o;
    char memo_in[100], memo_out[100], memo_dep[100], tin_up[65];
    const char *d = temp_dir();
    memset(&c, 0, sizeof c);
    /* the deposit's hash, as the BTC outbound's memo names it */
    snprintf(memo_out, sizeof memo_out, "OUT:%s", H(2) + 2);
    to_upper(memo_out + 4);
    snprintf(memo_in, sizeof memo_in, "=:ETH.ETH:%s:0", DEST);
    o = (rt_out){TA, 100000}, rt_coinbase(&c0, 0, &o, 1), rt_block(&c, (rt_tx *[]){&c0}, 1);
    o = (rt_out){VB, 50000000}, rt_coinbase(&c1, 1, &o, 1), rt_block(&c, (rt_tx *[]){&c1}, 1);
    rt_spend_memo(&tin, (rt_in[]){{c0.txid, 0}}, 1, (rt_out[]){{VB, 90000}, {TA, 9000}}, 2, 1, memo_in);
    o = (rt_out){0x01, 0}, rt_coinbase(&c2, 2, &o, 1), rt_block(&c, (rt_tx *[]){&c2, &tin}, 2);
    rt_spend_memo(&tout, (rt_in[]){{c1.txid, 0}}, 1, (rt_out[]){{DB, 27000000}, {VB, 22990000}}, 2, 1, memo_out);
    rt_coinbase(&c3, 3, &o, 1), rt_block(&c, (rt_tx *[]){&c3, &tout}, 2);
    rt_spend_memo(&tx, (rt_in[]){{tin.txid, 2}}, 1, (rt_out[]){{VB, 8000}}, 1, 1, "=:d:DDogeDestAddr:0");
    rt_coinbase(&c4, 4, &o, 1), rt_block(&c, (rt_tx *[]){&c4, &tx}, 2);
    sl_hash_hex(C0W, &c0.txid), sl_hash_hex(TIN_ID, &tin.txid), sl_hash_hex(TOUT_ID, &tout.txid);
    o = (rt_out){TS, 200000}, rt_coinbase(&c5, 5, &o, 1), rt_block(&c, (rt_tx *[]){&c5}, 1);
    rt_spend_memo(&tstr, (rt_in[]){{c5.txid, 0}}, 1, (rt_out[]){{VB, 199000}}, 1, 1, "=:e:" DEST2 ":0/3/0");
    o = (rt_out){0x01, 0}, rt_coinbase(&c6, 6, &o, 1), rt_block(&c, (rt_tx *[]){&c6, &tstr}, 2);
    sl_hash_hex(TX_ID, &tx.txid), sl_hash_hex(TSTR_ID, &tstr.txid), sl_hash_hex(C5W, &c5.txid);
    o = (rt_out){TR, 50000}, rt_coinbase(&c7, 7, &o, 1), rt_block(&c, (rt_tx *[]){&c7}, 1);
    rt_spend_memo(&tr, (rt_in[]){{c7.txid, 0}}, 1, (rt_out[]){{VB, 49000}}, 1, 1, "=:e:" DEST ":99999999999");
    o = (rt_out){0x01, 0}, rt_coinbase(&c8, 8, &o, 1), rt_block(&c, (rt_tx *[]){&c8, &tr}, 2);
    sl_hash_hex(TR_ID, &tr.txid), sl_hash_hex(C7W, &c7.txid);
    char memo_rf[100];
    snprintf(memo_rf, sizeof memo_rf, "REFUND:%s", TR_ID);
    to_upper(memo_rf + 7);
    rt_spend_memo(&trf, (rt_in[]){{tout.txid, 2}}, 1, (rt_out[]){{TR, 48000}, {VB, 22941000}}, 2, 1, memo_rf);
    rt_coinbase(&c9, 9, &o, 1), rt_block(&c, (rt_tx *[]){&c9, &trf}, 2);
    sl_hash_hex(TRF_ID, &trf.txid);
    o = (rt_out){TC, 60000}, rt_coinbase(&c10, 10, &o, 1), rt_block(&c, (rt_tx *[]){&c10}, 1);
    rt_spend_memo(&tac, (rt_in[]){{c10.txid, 0}}, 1, (rt_out[]){{VB, 59000}}, 1, 1, "=:ETH.USDT:" DEST3 ":0");
    o = (rt_out){0x01, 0}, rt_coinbase(&c11, 11, &o, 1), rt_block(&c, (rt_tx *[]){&c11, &tac}, 2);
    sl_hash_hex(TAC_ID, &tac.txid);

    char dir[600], path[700], t[2000], logs[4000], data[2000];
    snprintf(dir, sizeof dir, "%s/eth", d);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/world.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* block 1: the thief is funded */
    eth_tx(t, 1, 1, FUNDER, THIEF, "0x8ac7230489e80000", "0x"), eth_block(f, 1, t);
    eth_receipt(f, 1, 1, FUNDER, THIEF, "");
    /* block 2: the deposit into the router */
    snprintf(memo_dep, sizeof memo_dep, "=:BTC.BTC:%s:0", rt_addr(DB));
    eth_tx(t, 2, 2, THIEF, ROUTER, "0x3782dace9d900000", "0x44bc937b0000000000000000000000000000000000000000"), eth_block(f, 2, t);
    data[0] = logs[0] = 0;
    w_hex(data, "3782dace9d900000"), w_num(data, 0x40), w_str(data, memo_dep);
    eth_log(logs, 2, 2, 0, ROUTER, "\"" TOPIC_DEPOSIT "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                                   "\"0x0000000000000000000000000000000000000000000000000000000000000000\"", data);
    eth_receipt(f, 2, 2, THIEF, ROUTER, logs);
    eth_trace(f, 2, 2, THIEF, ROUTER, "0x3782dace9d900000", ROUTER, VE, "0x3782dace9d900000");
    /* block 3: the outbound of the BTC inbound */
    memcpy(tin_up, TIN_ID, 65), to_upper(tin_up);
    snprintf(memo_in, sizeof memo_in, "OUT:%s", tin_up);
    eth_tx(t, 3, 3, VE, ROUTER, "0x171b44adaf068000", "0x574da7170000000000000000000000000000000000000000"), eth_block(f, 3, t);
    data[0] = logs[0] = 0;
    w_addr(data, "0x0000000000000000000000000000000000000000"), w_hex(data, "171b44adaf068000"), w_num(data, 0x60);
    w_str(data, memo_in);
    eth_log(logs, 3, 3, 0, ROUTER, "\"" TOPIC_TRANSFER_OUT "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                                   "\"0x000000000000000000000000dededededededededededededededededededede\"", data);
    eth_receipt(f, 3, 3, VE, ROUTER, logs);
    eth_trace(f, 3, 3, VE, ROUTER, "0x171b44adaf068000", ROUTER, DEST, "0x171b44adaf068000");
    /* block 4: ETH -> USDT in a Uniswap V2 pool */
    eth_tx(t, 4, 4, DEST, POOL, "0xde0b6b3a7640000", "0x"), eth_block(f, 4, t);
    data[0] = logs[0] = 0;
    w_num(data, 2700000000ULL);
    eth_log(logs, 4, 4, 0, USDT, "\"" TOPIC_ERC20 "\",\"0x0000000000000000000000009a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a\","
                                 "\"0x000000000000000000000000dededededededededededededededededededede\"", data);
    data[0] = 0;
    w_hex(data, "de0b6b3a7640000"), w_num(data, 0), w_num(data, 0), w_num(data, 2700000000ULL);
    eth_log(logs, 4, 4, 1, POOL, "\"" TOPIC_V2_SWAP "\",\"0x000000000000000000000000dededededededededededededededededededede\","
                                 "\"0x000000000000000000000000dededededededededededededededededededede\"", data);
    eth_receipt(f, 4, 4, DEST, POOL, logs);
    /* blocks 5 and 6: the streaming swap's two outbounds */
    memcpy(tin_up, TSTR_ID, 65), to_upper(tin_up);
    snprintf(memo_in, sizeof memo_in, "OUT:%s", tin_up);
    static const char *const value[2] = {"0xde0b6b3a7640000", "0x1bc16d674ec80000"},
                             *word[2] = {"de0b6b3a7640000", "1bc16d674ec80000"};
    for (int b = 5; b <= 6; b++) {
        eth_tx(t, b, b, VE, ROUTER, value[b - 5], "0x574da7170000000000000000000000000000000000000000"), eth_block(f, b, t);
        data[0] = logs[0] = 0;
        w_addr(data, "0x0000000000000000000000000000000000000000"), w_hex(data, word[b - 5]), w_num(data, 0x60);
        w_str(data, memo_in);
        eth_log(logs, b, b, 0, ROUTER, "\"" TOPIC_TRANSFER_OUT "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                                       "\"0x000000000000000000000000d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2\"", data);
        eth_receipt(f, b, b, VE, ROUTER, logs);
        eth_trace(f, b, b, VE, ROUTER, value[b - 5], ROUTER, DEST2, value[b - 5]);
    }
    /* block 7: the outbound of TAC through an aggregator: VE -> ROUTER 0.5 ETH, internal
     * ROUTER -> AGG 0.5 ETH, TransferOutAndCall(VE; target AGG, 0.5 ETH, USDT, DEST3, 0, memo) */
    snprintf(memo_in, sizeof memo_in, "OUT:%s", TAC_ID);
    eth_tx(t, 7, 7, VE, ROUTER, "0x6f05b59d3b20000", "0x3a6e2e3c0000000000000000000000000000000000000000"), eth_block(f, 7, t);
    data[0] = logs[0] = 0;
    w_addr(data, AGG), w_hex(data, "6f05b59d3b20000"), w_addr(data, USDT), w_addr(data, DEST3), w_num(data, 0);
    w_num(data, 0xc0), w_str(data, memo_in);
    eth_log(logs, 7, 7, 0, ROUTER, "\"" TOPIC_TRANSFER_OUT_CALL "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"", data);
    eth_receipt(f, 7, 7, VE, ROUTER, logs);
    eth_trace(f, 7, 7, VE, ROUTER, "0x6f05b59d3b20000", ROUTER, AGG, "0x6f05b59d3b20000");
    fclose(f);

    snprintf(WST, sizeof WST, "%s/s", d);
    run_result r = run_sleuth("ingest btc --network regtest --quiet --store %s %s", WST, rt_write(&c, d));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s --chain ethereum %s", WST, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    free(c.blk);
}

TestSuite(xchain, .init = build_world);

static const sl_xchain *find_kind(const sl_xchain_list *l, sl_xchain_kind k, bool matched, const char *to_chain)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == k && l->v[i].matched == matched && !strcmp(l->v[i].to_chain_name, to_chain)) return &l->v[i];
    return NULL;
}

static void flow_tx(const sl_flow_set *fs, uint16_t chain, uint64_t flow, char out[SL_FLOW_NAME_MAX], uint32_t *index)
{
    const sl_flow_view *v = sl_flow_set_chain(fs, chain);
    sl_flow f;
    cr_assert_not_null(v);
    v->m->flow_get(v, flow, &f);
    v->m->tx_name(v, f.tx, out);
    *index = v->m->flow_index(v, flow);
}

Test(xchain, finds_every_crossing_of_the_world_with_its_payments)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_annot *a;
    sl_error e = {0};
    sl_xchain_list l = {0};
    char tx[SL_FLOW_NAME_MAX];
    uint32_t k;
    cr_assert_eq(sl_store_open(&s, WST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
    double t0 = sl_now();
    cr_assert_eq(sl_xchain_find(fs, a, &l, &e), SL_OK, "%s", e.msg);
    fprintf(stderr, "xchain: sl_xchain_find on the tiny world: %.3f ms, %zu crossings\n", (sl_now() - t0) * 1e3, l.n);
    cr_assert_eq(l.n, 8);
    /* memos: TIN's, TX's, TSTR's, TR's and TAC's swaps, TOUT's OUT: and TRF's REFUND: (OP_RETURN),
     * the Deposit, three TransferOut events and a TransferOutAndCall */
    cr_assert_eq(l.memos_seen, 12, "%llu", (unsigned long long)l.memos_seen);
    cr_assert_eq(l.unparsed, 0);

    /* BTC -> ETH: TIN:0 (90000 sat to the vault) -> h03's router -> DEST (1.665 ETH) */
    const sl_xchain *x = find_kind(&l, SL_XC_THOR_SWAP, true, "ethereum");
    cr_assert_not_null(x);
    flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
    cr_assert_str_eq(tx, TIN_ID);
    cr_assert_eq(k, 0);
    cr_assert(x->link.from_amount == 90000);
    flow_tx(fs, x->link.to_chain, x->link.to_flow, tx, &k);
    cr_assert_str_eq(tx, H(3));
    cr_assert(x->link.to_amount == (sl_u128)1665000000000000000ULL);
    cr_assert_str_eq(x->memo, "=:ETH.ETH:" DEST ":0");
    cr_assert_eq(strncmp(x->out_memo, "OUT:", 4), 0);
    cr_assert_eq(strcasecmp(x->out_memo + 4, TIN_ID), 0);
    cr_assert_eq(x->legs, 1);
    cr_assert_eq(x->link.origin, SL_LINK_CHAIN_DATA);
    cr_assert(strstr(x->link.note, "THORChain swap, memo =:ETH.ETH:0xdede"), "%s", x->link.note);
    cr_assert(strstr(x->link.note, "matched by OUT:"), "%s", x->link.note);

    /* ETH -> BTC: h02's THIEF -> ROUTER (4 ETH) -> TOUT:0 (27000000 sat to DB) */
    x = find_kind(&l, SL_XC_THOR_SWAP, true, "bitcoin");
    cr_assert_not_null(x);
    flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
    cr_assert_str_eq(tx, H(2));
    cr_assert(x->link.from_amount == (sl_u128)4000000000000000000ULL);
    flow_tx(fs, x->link.to_chain, x->link.to_flow, tx, &k);
    cr_assert_str_eq(tx, TOUT_ID);
    cr_assert_eq(k, 0);
    cr_assert(x->link.to_amount == 27000000);

    /* to Dogecoin, which the store does not hold */
    x = find_kind(&l, SL_XC_THOR_SWAP, false, "doge");
    cr_assert_not_null(x);
    flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
    cr_assert_str_eq(tx, TX_ID);
    cr_assert_eq(k, 0);
    cr_assert(x->link.from_amount == 8000);
    cr_assert_eq(x->link.to_flow, SL_FLOW_NONE);
    cr_assert_str_eq(x->link.to_chain_name, "doge");

    /* the DEX swap: DEST -> POOL 1 ETH, POOL -> DEST 2700 USDT */
    x = find_kind(&l, SL_XC_DEX_SWAP, true, "ethereum");
    cr_assert_not_null(x);
    flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
    cr_assert_str_eq(tx, H(4));
    cr_assert(x->link.from_amount == (sl_u128)1000000000000000000ULL && x->link.to_amount == 2700000000u);
    cr_assert_eq(x->link.from_chain, x->link.to_chain);
    cr_assert_str_eq(x->link.note, "DEX swap (Uniswap V2 Swap event)");

    /* the streaming swap: two legs from TSTR:0, 199000 split 66333 + 132667 by their 1:2 outbounds */
    size_t legs = 0;
    for (size_t i = 0; i < l.n; i++) {
        x = &l.v[i];
        flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
        if (strcmp(tx, TSTR_ID)) continue;
        legs++;
        cr_assert_eq(x->legs, 2);
        cr_assert(x->matched);
        flow_tx(fs, x->link.to_chain, x->link.to_flow, tx, &k);
        if (!strcmp(tx, H(5))) cr_assert(x->link.from_amount == 66333 && x->link.to_amount == (sl_u128)1000000000000000000ULL);
        else {
            cr_assert_str_eq(tx, H(6));
            cr_assert(x->link.from_amount == 132667 && x->link.to_amount == (sl_u128)2000000000000000000ULL);
        }
    }
    cr_assert_eq(legs, 2);

    /* an aggregator swap-out: TAC:0 (59000 sat) -> h07's ROUTER -> AGG flow (0.5 ETH; flow 1, the
     * internal call, not the vault's call of the router, flow 0, of the same amount) */
    size_t tacs = 0;
    for (size_t i = 0; i < l.n; i++) {
        x = &l.v[i];
        flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
        if (strcmp(tx, TAC_ID)) continue;
        tacs++;
        cr_assert(x->matched && x->kind == SL_XC_THOR_SWAP);
        cr_assert_eq(k, 0);
        cr_assert(x->link.from_amount == 59000 && x->link.to_amount == (sl_u128)500000000000000000ULL);
        flow_tx(fs, x->link.to_chain, x->link.to_flow, tx, &k);
        cr_assert_str_eq(tx, H(7));
        cr_assert_eq(k, 1);
        cr_assert_str_eq(x->memo, "=:ETH.USDT:" DEST3 ":0");
    }
    cr_assert_eq(tacs, 1);

    /* the refund: TR:0 (49000 to the vault) -> TRF:0 (48000 back to R), on the source chain */
    x = find_kind(&l, SL_XC_THOR_REFUND, true, "bitcoin");
    cr_assert_not_null(x);
    flow_tx(fs, x->link.from_chain, x->link.from_flow, tx, &k);
    cr_assert_str_eq(tx, TR_ID);
    cr_assert(x->link.from_amount == 49000 && x->link.to_amount == 48000);
    flow_tx(fs, x->link.to_chain, x->link.to_flow, tx, &k);
    cr_assert_str_eq(tx, TRF_ID);
    cr_assert_eq(k, 0);
    cr_assert_eq(strncmp(x->link.note, "THORChain refund, memo =:e:", 27), 0, "%s", x->link.note);

    sl_trace_links links = {0};
    cr_assert_eq(sl_xchain_links(&l, &links), SL_OK);
    cr_assert_eq(links.n, 8);
    sl_trace_links_free(&links);
    sl_xchain_list_free(&l);
    sl_annot_close(a);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

/* An amount of the JSON as decimal text: a number below 2^53 or a string. */
static void amount_is(const cJSON *o, const char *key, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char got[64];
    cr_assert(cJSON_IsNumber(v) || cJSON_IsString(v), "%s: no amount", key);
    if (cJSON_IsString(v)) snprintf(got, sizeof got, "%s", v->valuestring);
    else snprintf(got, sizeof got, "%.0f", v->valuedouble);
    cr_assert_str_eq(got, want, "%s", key);
}

/* The conservation line of (chain, asset) in a trace document. */
static const cJSON *asset_line(const cJSON *j, const char *chain, const char *asset)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "assets"))
        if (!strcmp(jstr(x, "chain"), chain) && !strcmp(jstr(x, "asset"), asset)) return x;
    cr_assert_fail("no %s %s line", chain, asset);
    return NULL;
}

static void line_is(const cJSON *j, const char *chain, const char *asset, const char *source, const char *linked_in,
                    const char *endpoints, const char *held, const char *fees, const char *linked_out)
{
    const cJSON *x = asset_line(j, chain, asset);
    amount_is(x, "source", source), amount_is(x, "linked_in", linked_in), amount_is(x, "endpoints", endpoints);
    amount_is(x, "held", held), amount_is(x, "fees", fees), amount_is(x, "linked_out", linked_out);
    amount_is(x, "dropped", "0");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(x, "balanced")));
}

/* The endpoint with this address, asset and status (asserted present). */
static const cJSON *end_at(const cJSON *j, const char *addr, const char *asset, const char *status)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "endpoints"))
        if (!strcasecmp(jstr(x, "address"), addr) && !strcmp(jstr(x, "asset"), asset) && !strcmp(jstr(x, "status"), status))
            return x;
    cr_assert_fail("no %s end at %s in %s", status, addr, asset);
    return NULL;
}

/* BTC -> ETH, then ETH -> USDT, and the change sent to Dogecoin, forward from C0:0 (haircut):
 *   TIN: C0:0's 100000 over [VB 90000, OP_RETURN 0, A 9000] + fee 1000 of 100000: all of each.
 *        VB's 90000 is the THORChain inbound: it crosses (linked_out 90000) and arrives at h03's
 *        ROUTER -> DEST flow as floor(90000 * 1665000000000000000 / 90000) = 1.665 ETH.
 *   TX:  A's 9000 over [VB 8000, OP_RETURN 0] + fee 1000: VB's 8000 is an inbound to Dogecoin
 *        the store does not hold: it ends there, "crossed" (an endpoint).
 *        bitcoin: 100000 = endpoints 8000 + fees 1000 + 1000 + linked_out 90000.
 *   DEST holds 1.665 ETH, all tainted; h04 sends 1 ETH of it to POOL: floor(1e18 * 1.665e18 /
 *        1.665e18) = 1 ETH, the DEX swap's departing payment: it arrives as floor(1e18 * 2.7e9 /
 *        1e18) = 2700 USDT at POOL -> DEST. ETH: linked_in 1.665 = held 0.665 + linked_out 1;
 *        USDT: linked_in 2700 = held 2700. Three passes (each crossing brings a new one).
 */
Test(xchain, btc_to_eth_then_a_dex_swap_traced_end_to_end)
{
    cJSON *j = sleuth_json("trace --store %s --json --tx %s:0", WST, C0W);
    line_is(j, "bitcoin", "BTC", "100000", "0", "8000", "0", "2000", "90000");
    line_is(j, "ethereum", "ETH", "0", "1665000000000000000", "0", "665000000000000000", "0", "1000000000000000000");
    line_is(j, "ethereum", "USDT", "0", "2700000000", "0", "2700000000", "0", "0");
    /* 3 passes to settle, 2 more while the crossings were being found (TIN's, then h04's swap) */
    cr_assert_eq(jint(j, "passes"), 5);
    amount_is(end_at(j, DEST, "ETH", "held"), "amount", "665000000000000000");
    amount_is(end_at(j, DEST, "USDT", "held"), "amount", "2700000000");
    const cJSON *x = end_at(j, rt_addr(VB), "BTC", "crossed");
    amount_is(x, "amount", "8000");
    cr_assert_str_eq(jstr(x, "crossed_to"), "doge");
    cr_assert_str_eq(jstr(x, "tx"), TX_ID);
    cr_assert_eq(jint(x, "vout"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "endpoints")), 3);
    /* the two crossings the taint took, as chain data, with their payments */
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "flows")) {
        const cJSON *l = cJSON_GetObjectItem(x, "link");
        if (cJSON_IsNull(l)) continue;
        n++;
        cr_assert_str_eq(jstr(l, "asserted_by"), "chain-data");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(l, "file")));
        if (!strcmp(jstr(x, "chain"), "bitcoin")) {
            cr_assert_str_eq(jstr(x, "tx"), TIN_ID);
            amount_is(x, "amount", "90000");
            cr_assert_str_eq(jstr(l, "to_tx"), H(3));
            amount_is(l, "arrived", "1665000000000000000");
            char want[200];
            snprintf(want, sizeof want, "THORChain swap, memo =:ETH.ETH:%s:0, matched by OUT:", DEST);
            cr_assert_eq(strncmp(jstr(l, "note"), want, strlen(want)), 0, "%s", jstr(l, "note"));
        } else {
            cr_assert_str_eq(jstr(x, "tx"), H(4));
            amount_is(x, "amount", "1000000000000000000");
            cr_assert_str_eq(jstr(l, "note"), "DEX swap (Uniswap V2 Swap event)");
            cr_assert_str_eq(jstr(l, "to_asset"), "USDT");
            amount_is(l, "arrived", "2700000000");
        }
    }
    cr_assert_eq(n, 2);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "params"), "crossings");
    cr_assert_str_eq(jstr(c, "status"), "followed");
    /* the crossings of the txs the trace reached (TIN's swap, h04's DEX swap, TX's unmatched
     * swap), not the store's 7 */
    cr_assert_eq(jint(c, "txs_examined"), 5);
    cr_assert_eq(jint(c, "found"), 3);
    cr_assert_eq(jint(c, "followed"), 3);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "crossings_used")), 3);
    cJSON_Delete(j);
}

/* ETH -> BTC, forward from h01 (FUNDER -> THIEF 10 ETH): THIEF's outflow h02 (4 ETH to the
 * router) carries floor(4e18 * 1e19 / 1e19) = 4 ETH: the inbound of the swap paid by TOUT:0,
 * where it arrives as floor(4e18 * 27000000 / 4e18) = 27000000 sat, held at DB. THIEF keeps 6.
 * Backward from TOUT:0: the 27000000 sat go back as floor(27000000 * 4e18 / 27000000) = 4 ETH
 * demanded of h02's flow; THIEF got it from h01, whose sender has no history in the store:
 * 4 ETH of unknown origin at FUNDER. */
Test(xchain, eth_to_btc_traced_end_to_end_both_ways)
{
    cJSON *j = sleuth_json("trace --store %s --json --tx %s", WST, H(1));
    line_is(j, "ethereum", "ETH", "10000000000000000000", "0", "0", "6000000000000000000", "0", "4000000000000000000");
    line_is(j, "bitcoin", "BTC", "0", "27000000", "0", "27000000", "0", "0");
    amount_is(end_at(j, THIEF, "ETH", "held"), "amount", "6000000000000000000");
    const cJSON *x = end_at(j, rt_addr(DB), "BTC", "held");
    amount_is(x, "amount", "27000000");
    cr_assert_str_eq(jstr(x, "tx"), TOUT_ID);
    cr_assert_eq(jint(x, "vout"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "endpoints")), 2);
    cJSON_Delete(j);

    j = sleuth_json("trace --store %s --json --direction backward --tx %s:0", WST, TOUT_ID);
    line_is(j, "bitcoin", "BTC", "27000000", "0", "0", "0", "0", "27000000");
    line_is(j, "ethereum", "ETH", "0", "4000000000000000000", "4000000000000000000", "0", "0", "0");
    x = end_at(j, FUNDER, "ETH", "unknown-origin");
    amount_is(x, "amount", "4000000000000000000");
    cJSON_Delete(j);
}

/* The streaming swap, forward from C5:0 (S 200000): TSTR gives VB 199000 (fee 1000), which
 * leaves through the two legs: floor(199000 * 66333 / 199000) = 66333 and the other 132667,
 * arriving as floor(66333 * 1e18 / 66333) = 1 ETH and 2 ETH at DEST2. */
Test(xchain, a_streaming_swap_is_followed_through_each_outbound)
{
    cJSON *j = sleuth_json("trace --store %s --json --tx %s:0", WST, C5W);
    line_is(j, "bitcoin", "BTC", "200000", "0", "0", "0", "1000", "199000");
    line_is(j, "ethereum", "ETH", "0", "3000000000000000000", "0", "3000000000000000000", "0", "0");
    amount_is(end_at(j, DEST2, "ETH", "held"), "amount", "3000000000000000000");
    const cJSON *x;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "flows")) {
        const cJSON *l = cJSON_GetObjectItem(x, "link");
        if (cJSON_IsNull(l)) continue;
        bool first = !strcmp(jstr(l, "to_tx"), H(5));
        n++;
        cr_assert_str_eq(jstr(x, "tx"), TSTR_ID);
        amount_is(x, "amount", first ? "66333" : "132667");
        amount_is(l, "arrived", first ? "1000000000000000000" : "2000000000000000000");
    }
    cr_assert_eq(n, 2);
    cJSON_Delete(j);
}

/* The refund, forward from C7:0 (R 50000): TR gives VB 49000 (fee 1000), the inbound that was
 * refunded: it comes back as floor(49000 * 48000 / 49000) = 48000 at TRF:0, held by R.
 * 50000 + linked_in 48000 = held 48000 + fees 1000 + linked_out 49000. */
Test(xchain, a_refund_brings_the_taint_back_on_the_source_chain)
{
    cJSON *j = sleuth_json("trace --store %s --json --tx %s:0", WST, C7W);
    line_is(j, "bitcoin", "BTC", "50000", "48000", "0", "48000", "1000", "49000");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "assets")), 1);
    const cJSON *x = end_at(j, rt_addr(TR), "BTC", "held");
    amount_is(x, "amount", "48000");
    cr_assert_str_eq(jstr(x, "tx"), TRF_ID);
    const cJSON *u;
    bool seen = false;
    cJSON_ArrayForEach(u, cJSON_GetObjectItem(j, "crossings_used")) seen |= !strcmp(jstr(u, "kind"), "thorchain-refund");
    cr_assert(seen);
    cJSON_Delete(j);
}

/* --no-crossings: the trace stops at the vault as before issue 12 (TIN:0 and TX:0 unspent). */
Test(xchain, no_crossings_follows_only_declared_links)
{
    cJSON *j = sleuth_json("trace --store %s --json --no-crossings --tx %s:0", WST, C0W);
    line_is(j, "bitcoin", "BTC", "100000", "0", "0", "98000", "2000", "0");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "assets")), 1);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "params"), "crossings");
    cr_assert_str_eq(jstr(c, "status"), "off (--no-crossings)");
    cr_assert_eq(jint(c, "found"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "crossings_used")), 0);
    cJSON_Delete(j);
}

/* A --link line for a payment a crossing leaves at wins: the crossing is left out. Here the
 * analyst says TIN:0 arrived as h03's payment to DEST at 1 ETH (not 1.665). */
Test(xchain, a_declared_link_wins_over_the_crossing_of_the_same_payment)
{
    char path[600];
    snprintf(path, sizeof path, "%s/links.csv", temp_dir());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note\n"
               "bitcoin,%s,%s,90000,ethereum,%s,%s,1000000000000000000,analyst\n",
            TIN_ID, rt_addr(VB), H(3), DEST);
    fclose(f);
    cJSON *j = sleuth_json("trace --store %s --json --link %s --tx %s:0", WST, path, C0W);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "params"), "crossings");
    /* found: the crossings of the 5 txs the trace reached (C0W, TIN, h03's, h04's, TX), not
     * the store's 7 (sl_xchain_find_at) */
    cr_assert_eq(jint(c, "txs_examined"), 5);
    cr_assert_eq(jint(c, "found"), 3);
    cr_assert_eq(jint(c, "followed"), 2);
    cr_assert_eq(jint(c, "left_out"), 1);
    /* 1 ETH arrives at DEST (the analyst's rate) with the 1.665 ETH payment; h04 sends 1 ETH of
     * DEST's 1.665: floor(1e18 * 1e18 / 1.665e18) = 600600600600600600 tainted to the pool, which
     * comes back as floor(600600600600600600 * 2.7e9 / 1e18) = 1621621621 USDT (base units) */
    line_is(j, "ethereum", "ETH", "0", "1000000000000000000", "0", "399399399399399400", "0", "600600600600600600");
    line_is(j, "ethereum", "USDT", "0", "1621621621", "0", "1621621621", "0", "0");
    const cJSON *x;
    int analyst = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "flows")) {
        const cJSON *l = cJSON_GetObjectItem(x, "link");
        if (cJSON_IsNull(l) || strcmp(jstr(l, "asserted_by"), "analyst")) continue;
        analyst++;
        cr_assert_eq(jint(l, "line"), 2);
    }
    cr_assert_eq(analyst, 1);
    cJSON_Delete(j);
}

/* The text report: the crossings as chain data, what crossed, distinct from declared links. */
Test(xchain, the_text_report_marks_chain_data_and_what_crossed)
{
    run_result r = run_sleuth("trace --store %s --tx %s:0", WST, C0W);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* read it with its wrapping undone */
    char *t = r.out, *o = r.out;
    for (; *t; t++) {
        if (*t == '\n' || *t == ' ') {
            while (t[1] == ' ' || t[1] == '\n') t++;
            *o++ = ' ';
        } else *o++ = *t;
    }
    *o = 0;
    char want[300], up[65];
    memcpy(up, TIN_ID, 65), to_upper(up);
    snprintf(want, sizeof want, "chain data: THORChain swap, memo =:ETH.ETH:%s:0, matched by OUT:%s: bitcoin %s:0 -> "
                                "ethereum %s:1, 0.00090000 BTC -> 1.665 ETH", DEST, up, TIN_ID, H(3));
    cr_assert(strstr(r.out, want), "%s", r.out);
    cr_assert(strstr(r.out, "chain data: DEX swap (Uniswap V2 Swap event): ethereum"), "%s", r.out);
    snprintf(want, sizeof want, "0.00008000 BTC at %s: crossed to doge, outbound not in the store", rt_addr(VB));
    cr_assert(strstr(r.out, want), "%s", r.out);
    cr_assert(strstr(r.out, "crossings in chain data: 3 found in the 5 txs the trace reached"), "%s", r.out);
    cr_assert_null(strstr(r.out, "analyst's assertion, not chain data"), "no link file: no declared links");
    run_free(&r);
    /* the graph: crossing edges say they are chain data, the crossed end where it went */
    const char *d = temp_dir();
    r = run_sleuth("trace --store %s --tx %s:0 --graph %s/x.dot", WST, C0W, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sh("grep -c 'chain data: ' %s/x.dot; grep -c 'crossed to doge, outbound not in the store' %s/x.dot", d, d);
    cr_assert_str_eq(r.out, "2\n1\n", "%s", r.out);
    run_free(&r);
}

/* ---- sl_xchain_find_at: the crossings of given txs, by indexed look-ups ---- */

typedef struct txset {
    sl_tx_ref *v;
    size_t n, cap;
    sl_ht seen;
} txset;

static int note_tx(void *ctx, const sl_annot_row *r)
{
    txset *t = ctx;
    size_t had = t->n;
    cr_assert_eq(sl_xchain_reached(NULL, &(sl_trace_source){.kind = SL_SOURCE_TX, .chain = r->chain, .tx = r->tx}, NULL,
                                   &t->seen, &t->v, &t->n, &t->cap),
                 SL_OK);
    cr_assert_leq(t->n, had + 1);
    return 0;
}

/* A crossing as one comparable line. */
static void xc_line(const sl_xchain *x, char *out, size_t cap)
{
    const sl_trace_link *l = &x->link;
    char fa[40], ta[40];
    sl_u128_dec(fa, l->from_amount), sl_u128_dec(ta, l->to_amount);
    snprintf(out, cap, "%d %d %u %llu %u %llu %s %s %u %s|%s|%s|%s", (int)x->kind, x->matched, l->from_chain,
             (unsigned long long)l->from_flow, l->to_chain, (unsigned long long)l->to_flow, fa, ta, x->legs,
             x->to_chain_name, l->note, x->memo, x->out_memo);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lines of l (keep: only those whose departing tx is in *only, NULL: all), sorted. */
static char **xc_lines(const sl_flow_set *fs, const sl_xchain_list *l, sl_ht *only, size_t *n)
{
    char **v = calloc(l->n + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (only) {
            sl_ht probe = {0};
            sl_tx_ref *t = NULL;
            size_t tn = 0, tc = 0;
            sl_trace_edge ed = {.chain = l->v[i].link.from_chain, .flow = l->v[i].link.from_flow};
            sl_trace_result r = {.edges = &ed, .n_edges = 1};
            cr_assert_eq(sl_xchain_reached(fs, NULL, &r, &probe, &t, &tn, &tc), SL_OK);
            cr_assert_eq(tn, 1);
            uint64_t k[2] = {t[0].chain, t[0].id};
            bool in = sl_ht_get(only, k, sizeof k, NULL);
            free(t), sl_ht_free(&probe);
            if (!in) continue;
        }
        v[*n] = malloc(1024);
        xc_line(&l->v[i], v[*n], 1024);
        (*n)++;
    }
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void same_lines(char **a, size_t na, char **b, size_t nb, const char *what)
{
    cr_assert_eq(na, nb, "%s: %zu crossings against %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) cr_assert_str_eq(a[i], b[i], "%s: crossing %zu", what, i);
    for (size_t i = 0; i < na; i++) free(a[i]), free(b[i]);
    free(a), free(b);
}

/* On a generated world: find_at over every tx with annotations gives sl_xchain_find's list,
 * and over a third of them the full list restricted to those txs. */
static void find_at_matches(const char *recipe, unsigned seed)
{
    const char *d = gen_world_store(recipe, seed, 2000);

    sl_store *s;
    sl_flow_set *fs;
    sl_annot *a;
    sl_error e = {0};
    sl_xchain_list all = {0}, at = {0}, part = {0};
    txset txs = {0};
    cr_assert_eq(sl_store_open(&s, path_in(d, "s"), SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_find(fs, a, &all, &e), SL_OK, "%s", e.msg);
    cr_assert_gt(all.n, 20, "%s: a world with crossings (%zu)", recipe, all.n);
    cr_assert_eq(sl_annot_each(a, 0, 0, 0, note_tx, &txs, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_find_at(fs, a, txs.v, txs.n, &at, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(at.txs_asked, txs.n);
    size_t na, nb;
    char **la = xc_lines(fs, &all, NULL, &na), **lb = xc_lines(fs, &at, NULL, &nb);
    same_lines(la, na, lb, nb, "every tx");

    /* a third of the txs, asked in two calls (repeats examined once) */
    sl_ht third = {0};
    sl_tx_ref *sub = calloc(txs.n + 1, sizeof *sub);
    size_t ns = 0;
    for (size_t i = 0; i < txs.n; i += 3) {
        uint64_t k[2] = {txs.v[i].chain, txs.v[i].id};
        cr_assert_eq(sl_ht_set(&third, k, sizeof k, 1), SL_OK);
        sub[ns++] = txs.v[i];
    }
    cr_assert_eq(sl_xchain_find_at(fs, a, sub, ns / 2, &part, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_find_at(fs, a, sub + ns / 2, ns - ns / 2, &part, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(part.txs_asked, ns);
    la = xc_lines(fs, &all, &third, &na), lb = xc_lines(fs, &part, NULL, &nb);
    cr_assert_gt(na, 3);
    same_lines(la, na, lb, nb, "a third of the txs");

    free(sub);
    sl_ht_free(&third), sl_ht_free(&txs.seen), free(txs.v);
    sl_xchain_list_free(&all), sl_xchain_list_free(&at), sl_xchain_list_free(&part);
    sl_annot_close(a);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

Test(xchain, find_at_gives_find_s_crossings_of_the_txs_dmm, .timeout = 300) { find_at_matches("dmm", 3); }
Test(xchain, find_at_gives_find_s_crossings_of_the_txs_bybit, .timeout = 300) { find_at_matches("bybit", 2); }

/* ---- bridges by their pairing rule (tests/data/bridge/README.md) ---- */

#define BD "tests/data/bridge"
#define U1 "0x1111111111111111111111111111111111111111"
#define U2 "0x2222222222222222222222222222222222222222"
#define DEP1 "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee04" /* U1's deposit */
#define DEP3 "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee06" /* U3's */

/* The bridge fixture's store with its rules imported. */
static const char *bridge_store(const char *rules)
{
    const char *d = temp_dir(), *s = path_in(d, "s");
    expect_ok(run_sleuth("ingest eth --quiet --store %s --chain ethereum " BD "/eth.jsonl", s));
    expect_ok(run_sleuth("ingest eth --quiet --store %s --chain arbitrum " BD "/arb.jsonl", s));
    run_result r = run_sleuth("tags import --store %s %s", s, rules);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "bridge rules, 1 rule (kept in"), "%s", r.out);
    run_free(&r);
    return s;
}

/* The one flow of the trace's JSON that crossed through a link: its link object. */
static const cJSON *crossing_link(const cJSON *j)
{
    const cJSON *f, *found = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "flows")) {
        const cJSON *l = cJSON_GetObjectItem(f, "link");
        if (cJSON_IsObject(l)) {
            cr_assert_null(found, "one crossing expected");
            found = l;
        }
    }
    cr_assert_not_null(found, "no crossing in the trace");
    return found;
}

Test(xchain_bridge, a_deposit_crosses_to_its_release_by_the_rule)
{
    const char *s = bridge_store(BD "/rules.yaml");
    /* U1's deposit: paired with the 0.998 paid to U1 (same address), not the earlier 0.999 to U2 */
    cJSON *j = sleuth_json("trace --store %s --chain ethereum --tx " DEP1 ":0 --json", s);
    const cJSON *l = crossing_link(j);
    cr_assert_str_eq(jstr(l, "asserted_by"), "rule");
    cr_assert_str_eq(jstr(l, "to_chain"), "arbitrum");
    cr_assert_str_eq(jstr(l, "to_tx"), "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa03");
    cr_assert_str_eq(jstr(l, "to_address"), U1);
    cr_assert_str_eq(jstr(l, "from_amount"), "1000000000000000000"); /* above 2^53: text */
    cr_assert_str_eq(jstr(l, "to_amount"), "998000000000000000");
    cr_assert(strstr(jstr(l, "note"), "bridge fixture-bridge: deposit paired with its release by rule (rules.yaml line"),
              "%s", jstr(l, "note"));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "conservation"), "balanced")));
    cJSON_Delete(j);
    /* U3's 5 ETH: no release fits (4 ETH is too small and too late): it ends, crossed */
    run_result r = run_sleuth("trace --store %s --chain ethereum --tx " DEP3 ":0", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "crossed"), "%s", r.out);
    cr_assert(strstr(r.out, "bridge fixture-bridge: no release fits the rule"), "%s", r.out);
    run_free(&r);
}

Test(xchain_bridge, without_same_address_chain_order_decides_and_bad_rules_are_located)
{
    const char *d = temp_dir(), *rules = path_in(d, "loose.yaml"), *bad = path_in(d, "bad.yaml");
    write_text(rules, "bridges:\n  - name: loose\n    from: {chain: ethereum, address: \"0xb1d9e000000000000000000000000000000000d1\"}\n"
                      "    to: {chain: arbitrum, address: \"0xb1d9e000000000000000000000000000000000e1\"}\n");
    const char *s = bridge_store(rules);
    cJSON *j = sleuth_json("trace --store %s --chain ethereum --tx " DEP1 ":0 --json", s);
    const cJSON *l = crossing_link(j);
    cr_assert_str_eq(jstr(l, "to_address"), U2); /* the first release after it that fits */
    cr_assert_str_eq(jstr(l, "to_amount"), "999000000000000000");
    cJSON_Delete(j);
    /* a key given twice, an unknown key, a missing side: located errors, nothing kept */
    write_text(bad, "bridges:\n  - name: x\n    name: y\n");
    sleuth_fails(1, "bad.yaml:3: name", "tags import --store %s %s", s, bad);
    write_text(bad, "bridges:\n  - name: x\n    windw: 60\n");
    sleuth_fails(1, "bad.yaml:3: windw: unknown key", "tags import --store %s %s", s, bad);
    write_text(bad, "bridges:\n  - name: x\n    from: {chain: ethereum, address: \"0xb1\"}\n");
    sleuth_fails(1, "bad.yaml:2: to: missing (mandatory)", "tags import --store %s %s", s, bad);
    write_text(bad, "bridges:\n  - name: x\n    from: {chain: ethereum, address: a}\n    to: {chain: arbitrum, address: b}\n"
                    "    max_fee_bps: 20000\n");
    sleuth_fails(1, "bad.yaml:5: max_fee_bps: too large", "tags import --store %s %s", s, bad);
}

/* ---- issue 12's cross-chain gaps: TransferOutAndCallV5, THORNames, bridges releasing and
 * depositing on the Bitcoin chain, the bridge pairs cached per store commit ----
 * A second two-chain world (times: block k of either chain at t0 + 600 k, t0 = 1600000000):
 *   bitcoin (regtest; satoshi)
 *     b0  C0 -> TA2 100000                   b1  C1 -> VB 50000000 (the THORChain vault)
 *     b2  C2 -> R 10000000 (the bridge's release address)
 *         TIN5: [C0:0] -> VB 90000, OP_RETURN "=:ETH.USDT:DEST4:0", TA2 9000   (fee 1000)
 *     b3  TNAME: [C1:0] -> X 30000, OP_RETURN "OUT:<h02>", DN 27000000, VB 22960000 (fee 10000)
 *     b4  REL: [C2:0] -> R 5000000, U6 1994000, U5 1995000, U7 998000          (fee 13000)
 *     b5  C5 -> TU 5000000;  DEP2: [C5:0] -> D6 3000000, TU 1999000            (fee 1000)
 *     b6  CHG: [DEP2:0] -> Y 1000000, D6 1999000 (D6 spends and pays itself change; fee 1000)
 *   ethereum (wei)
 *     e1  FUNDER -> THIEF 10 ETH
 *     e2  THIEF -> ROUTER 4 ETH, Deposit memo "=:BTC.BTC:myname" (a THORName), ROUTER -> VE
 *     e3  THIEF -> BD 0.02 ETH (bridge deposit A)     e4  THIEF -> BD 0.01 ETH (deposit B)
 *     e5  VE -> ROUTER 0.5 ETH, ROUTER -> AGG 0.5 ETH, TransferOutAndCallV5(vault VE, target
 *         AGG, 0.5 ETH, USDT, to DEST4, 0, "OUT:<TIN5>", payload 0xdeadbeef, origin TA2's address)
 *     e6  FUNDER -> R2 1 ETH    e7  R2 -> U8 0.0299 ETH    e8  R2 -> U9 0.01999 ETH
 * Rules (x2rules.yaml): eth-to-btc BD (ethereum) -> R (bitcoin) and btc-to-eth D6 (bitcoin) ->
 * R2 (ethereum), both window 3600 s and fee <= 50 bps. By hand:
 *   A 2e16 wei = 2000000 sat after the decimals, so a release of 1990000..2000000 sat fits:
 *     REL's outputs in order: R (change back: not a release), U6 1994000 fits: A -> REL:1
 *     (U5's 1995000 fits too, but comes later in output order);
 *   B 1e16 wei = 1000000 sat, 995000..1000000: U5 is too large, U7 998000 fits: B -> REL:3;
 *   DEP2:0 3000000 sat = 3e16 wei, 2.985e16..3e16: e7's 2.99e16 fits: DEP2:0 -> e7;
 *   CHG:1 (D6's change) is not a deposit, so e8 (which would fit it) stays unpaired.
 * THORNames (x2names.yaml): myname on BTC = DN. Without it the outbound of h02 is TNAME's first
 * output that is neither the OP_RETURN nor the vault (X, vout 0); with it, DN (vout 2). */
#define DEST4 "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
#define BDEP "0xb1d9e000000000000000000000000000000000d5"
#define R2 "0xb1d9e000000000000000000000000000000000e6"
#define U8 "0x8181818181818181818181818181818181818181"
#define U9 "0x8282828282828282828282828282828282828282"
#define TOPIC_V5 "0x2eddeef6502e331d0dc63580be72ace0371d4f7ba4b164aa6b0f1565b53584da"
enum { TA2 = 0xa2, RR = 0xe5, XX = 0xc9, DN = 0xd9, U5 = 0xc5, U6 = 0xc6, U7 = 0xc7, TU = 0xa5, D6 = 0xd6, YY = 0x59 };

static char X2[300], X2N[300], X2DIR[300], TIN5_ID[65], TNAME_ID[65], REL_ID[65], DEP2_ID[65], CHG_ID[65];

static void x2_write_rules(const char *dir)
{
    char path[400], text[2000];
    snprintf(path, sizeof path, "%s/x2rules.yaml", dir);
    snprintf(text, sizeof text,
             "bridges:\n"
             "  - name: eth-to-btc\n    from: {chain: ethereum, address: \"" BDEP "\"}\n"
             "    to: {chain: bitcoin, address: \"%s\"}\n    window: 3600\n    max_fee_bps: 50\n",
             rt_addr(RR));
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "  - name: btc-to-eth\n    from: {chain: bitcoin, address: \"%s\"}\n"
             "    to: {chain: ethereum, address: \"" R2 "\"}\n    window: 3600\n    max_fee_bps: 50\n",
             rt_addr(D6));
    write_text(path, text);
    snprintf(path, sizeof path, "%s/x2names.yaml", dir);
    snprintf(text, sizeof text, "# exported from thornode: thorname myname\nthornames:\n"
                                "  - {name: MyName, chain: btc, address: \"%s\"}\n"
                                "  - {name: myname, chain: ETH, address: \"" DEST4 "\"}\n",
             rt_addr(DN));
    write_text(path, text);
}

/* A block holding one plain transfer and its receipt. */
static void eth_plain(FILE *f, int num, const char *from, const char *to, const char *value)
{
    char t[2000];
    eth_tx(t, num, num, from, to, value, "0x"), eth_block(f, num, t);
    eth_receipt(f, num, num, from, to, "");
}

/* A block holding one call of the router that logs one event (topics, data) and passes the
 * value on to ito in an internal call. */
static void eth_router_call(FILE *f, int num, const char *from, const char *value, const char *input, const char *topics,
                            const char *data, const char *ito)
{
    char t[2000], logs[4000] = "";
    eth_tx(t, num, num, from, ROUTER, value, input), eth_block(f, num, t);
    eth_log(logs, num, num, 0, ROUTER, topics, data);
    eth_receipt(f, num, num, from, ROUTER, logs);
    eth_trace(f, num, num, from, ROUTER, value, ROUTER, ito, value);
}

static void build_x2(void)
{
    static rt_tx c0, c1, c2, c3, c4, c5, c6, tin5, tname, rel, dep2, chg;
    rt_chain c;
    rt_out o;
    char memo[120];
    const char *d = temp_dir();
    memset(&c, 0, sizeof c);
    snprintf(X2DIR, sizeof X2DIR, "%s", d);
    o = (rt_out){TA2, 100000}, rt_coinbase(&c0, 0, &o, 1), rt_block(&c, (rt_tx *[]){&c0}, 1);
    o = (rt_out){VB, 50000000}, rt_coinbase(&c1, 1, &o, 1), rt_block(&c, (rt_tx *[]){&c1}, 1);
    rt_spend_memo(&tin5, (rt_in[]){{c0.txid, 0}}, 1, (rt_out[]){{VB, 90000}, {TA2, 9000}}, 2, 1, "=:ETH.USDT:" DEST4 ":0");
    o = (rt_out){RR, 10000000}, rt_coinbase(&c2, 2, &o, 1), rt_block(&c, (rt_tx *[]){&c2, &tin5}, 2);
    snprintf(memo, sizeof memo, "OUT:%s", H(2) + 2);
    rt_spend_memo(&tname, (rt_in[]){{c1.txid, 0}}, 1, (rt_out[]){{XX, 30000}, {DN, 27000000}, {VB, 22960000}}, 3, 1, memo);
    o = (rt_out){0x01, 0}, rt_coinbase(&c3, 3, &o, 1), rt_block(&c, (rt_tx *[]){&c3, &tname}, 2);
    rt_spend(&rel, (rt_in[]){{c2.txid, 0}}, 1, (rt_out[]){{RR, 5000000}, {U6, 1994000}, {U5, 1995000}, {U7, 998000}}, 4);
    rt_coinbase(&c4, 4, &o, 1), rt_block(&c, (rt_tx *[]){&c4, &rel}, 2);
    o = (rt_out){TU, 5000000}, rt_coinbase(&c5, 5, &o, 1);
    rt_spend(&dep2, (rt_in[]){{c5.txid, 0}}, 1, (rt_out[]){{D6, 3000000}, {TU, 1999000}}, 2);
    rt_block(&c, (rt_tx *[]){&c5, &dep2}, 2);
    rt_spend(&chg, (rt_in[]){{dep2.txid, 0}}, 1, (rt_out[]){{YY, 1000000}, {D6, 1999000}}, 2);
    o = (rt_out){0x01, 0}, rt_coinbase(&c6, 6, &o, 1), rt_block(&c, (rt_tx *[]){&c6, &chg}, 2);
    sl_hash_hex(TIN5_ID, &tin5.txid), sl_hash_hex(TNAME_ID, &tname.txid), sl_hash_hex(REL_ID, &rel.txid);
    sl_hash_hex(DEP2_ID, &dep2.txid), sl_hash_hex(CHG_ID, &chg.txid);

    char dir[600], path[700], data[2000];
    snprintf(dir, sizeof dir, "%s/eth", d);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/world.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    eth_plain(f, 1, FUNDER, THIEF, "0x8ac7230489e80000");
    /* e2: the THORChain deposit whose memo names a THORName */
    data[0] = 0;
    w_hex(data, "3782dace9d900000"), w_num(data, 0x40), w_str(data, "=:BTC.BTC:myname");
    eth_router_call(f, 2, THIEF, "0x3782dace9d900000", "0x44bc937b0000000000000000000000000000000000000000",
                    "\"" TOPIC_DEPOSIT "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                    "\"0x0000000000000000000000000000000000000000000000000000000000000000\"", data, VE);
    /* e3, e4: the bridge deposits */
    eth_plain(f, 3, THIEF, BDEP, "0x470de4df820000");
    eth_plain(f, 4, THIEF, BDEP, "0x2386f26fc10000");
    /* e5: TransferOutAndCallV5: topics vault, to; data target, amount, finalAsset, amountOutMin,
     * then the offsets of memo (0xe0), payload (0x160) and originAddress (0x1a0) */
    data[0] = 0;
    snprintf(memo, sizeof memo, "OUT:%s", TIN5_ID);
    w_addr(data, AGG), w_hex(data, "6f05b59d3b20000"), w_addr(data, USDT), w_num(data, 0);
    w_num(data, 0xe0), w_num(data, 0x160), w_num(data, 0x1a0);
    w_str(data, memo);
    w_num(data, 4), strcat(data, "deadbeef00000000000000000000000000000000000000000000000000000000");
    w_str(data, rt_addr(TA2));
    eth_router_call(f, 5, VE, "0x6f05b59d3b20000", "0x3a6e2e3c0000000000000000000000000000000000000000",
                    "\"" TOPIC_V5 "\",\"0x000000000000000000000000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                    "\"0x000000000000000000000000d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4\"", data, AGG);
    /* e6..e8: the release address R2 funded, then its two payments */
    eth_plain(f, 6, FUNDER, R2, "0xde0b6b3a7640000");
    eth_plain(f, 7, R2, U8, "0x6a39e43ec8c000");
    eth_plain(f, 8, R2, U9, "0x4704cc910f6000");
    fclose(f);

    x2_write_rules(d);
    const char *blk = rt_write(&c, d);
    for (int k = 0; k < 2; k++) {
        char *st = k ? X2N : X2;
        snprintf(st, sizeof X2, "%s/%s", d, k ? "sn" : "s");
        expect_ok(run_sleuth("ingest btc --network regtest --quiet --store %s %s", st, blk));
        expect_ok(run_sleuth("ingest eth --quiet --store %s --chain ethereum %s", st, dir));
        expect_ok(run_sleuth("tags import --store %s %s/x2rules.yaml", st, d));
    }
    run_result r = run_sleuth("tags import --store %s %s/x2names.yaml", X2N, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "THORNames, 2 names (kept in"), "%s", r.out);
    run_free(&r);
    free(c.blk);
}

TestSuite(xchain2, .init = build_x2);

/* A store opened with its views and annotations, and every crossing found in it. */
typedef struct x2_open {
    sl_store *s;
    sl_flow_set *fs;
    sl_annot *a;
    sl_xchain_list l;
} x2_open;

static void x2_find(const char *path, x2_open *w)
{
    sl_error e = {0};
    memset(w, 0, sizeof *w);
    cr_assert_eq(sl_store_open(&w->s, path, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&w->fs, w->s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_open(&w->a, w->s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_find(w->fs, w->a, &w->l, &e), SL_OK, "%s", e.msg);
}

static void x2_close(x2_open *w)
{
    sl_xchain_list_free(&w->l);
    sl_annot_close(w->a);
    sl_flow_set_close(w->fs);
    sl_store_close(w->s);
}

/* The crossing leaving from (tx, index) on chain `chain`, NULL when none; *count how many. */
static const sl_xchain *leaving(const sl_flow_set *fs, const sl_xchain_list *l, const char *chain, const char *tx, uint32_t index,
                                int *count)
{
    const sl_xchain *found = NULL;
    *count = 0;
    for (size_t i = 0; i < l->n; i++) {
        const sl_flow_view *v = sl_flow_set_chain(fs, l->v[i].link.from_chain);
        char t[SL_FLOW_NAME_MAX];
        uint32_t k;
        if (strcmp(v->name, chain)) continue;
        flow_tx(fs, l->v[i].link.from_chain, l->v[i].link.from_flow, t, &k);
        if (!strcmp(t, tx) && k == index) found = &l->v[i], ++*count;
    }
    return found;
}

/* The one crossing leaving from (tx, index) on chain (asserted to be one). */
static const sl_xchain *one_leaving(const x2_open *w, const char *chain, const char *tx, uint32_t index)
{
    int count;
    const sl_xchain *x = leaving(w->fs, &w->l, chain, tx, index, &count);
    cr_assert_eq(count, 1, "%s %s:%u: %d crossings", chain, tx, index, count);
    return x;
}

static void arrives_at(const sl_flow_set *fs, const sl_xchain *x, const char *tx, uint32_t index)
{
    char t[SL_FLOW_NAME_MAX];
    uint32_t k;
    cr_assert(x->matched);
    flow_tx(fs, x->link.to_chain, x->link.to_flow, t, &k);
    cr_assert_str_eq(t, tx);
    cr_assert_eq(k, index);
}

Test(xchain2, transfer_out_and_call_v5_is_an_outbound_paying_its_aggregator)
{
    /* the event as a row: topic0 known, the payee is data word 0, the memo is at word 4 */
    uint8_t t0[32], d[32 * 8] = {0};
    const uint8_t *s;
    size_t n;
    cr_assert(sl_hex_decode(t0, 32, TOPIC_V5 + 2, 64));
    cr_assert_eq(sl_annot_event_of(t0), SL_EV_THOR_TRANSFER_OUT_CALL_V5);
    cr_assert_str_eq(sl_annot_event_name(SL_EV_THOR_TRANSFER_OUT_CALL_V5), "thorchain-transfer-out-and-call-v5");
    cr_assert_eq(sl_annot_event_memo_word(SL_EV_THOR_TRANSFER_OUT_CALL_V5), 4);
    memset(d + 12, 0xa9, 20);          /* target */
    d[4 * 32 + 31] = 0xe0;             /* memo at 0xe0 = word 7 */
    d[7 * 32 + 31] = 3;
    sl_annot_row r = {.kind = SL_ANNOT_EVENT, .event = SL_EV_THOR_TRANSFER_OUT_CALL_V5, .n_topics = 3, .data = d, .len = sizeof d};
    uint8_t payee[20], want[20];
    memset(want, 0xa9, 20);
    cr_assert(sl_annot_router_payee(&r, payee));
    cr_assert_eq(memcmp(payee, want, 20), 0);
    cr_assert_not(sl_annot_abi_string(d, sizeof d, 4, &s, &n)); /* 3 bytes announced, none there */
    r.len = 31;                                                 /* a log too short for its target */
    cr_assert_not(sl_annot_router_payee(&r, payee));
    r.len = sizeof d, d[0] = 1;                                 /* a dirty address word */
    cr_assert_not(sl_annot_router_payee(&r, payee));

    /* in the world: TIN5:0 (90000 sat to the vault) -> e5's ROUTER -> AGG flow (0.5 ETH, flow 1) */
    x2_open w;
    x2_find(X2, &w);
    const sl_xchain *x = one_leaving(&w, "bitcoin", TIN5_ID, 0);
    cr_assert_eq(x->kind, SL_XC_THOR_SWAP);
    arrives_at(w.fs, x, H(5), 1);
    cr_assert(x->link.from_amount == 90000 && x->link.to_amount == (sl_u128)500000000000000000ULL);
    cr_assert_str_eq(x->memo, "=:ETH.USDT:" DEST4 ":0");
    cr_assert_eq(strcasecmp(x->out_memo + 4, TIN5_ID), 0);
    x2_close(&w);
    /* `sleuth tx` decodes it field by field */
    cJSON *j = sleuth_json("tx --store %s --json %s5", X2, H());
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0);
    cr_assert_not_null(ev);
    char *txt = cJSON_PrintUnformatted(ev);
    cr_assert(strstr(txt, "thorchain-transfer-out-and-call-v5"), "%s", txt);
    char want_memo[120], want_origin[120];
    snprintf(want_memo, sizeof want_memo, "\"memo\":\"OUT:%s\"", TIN5_ID);
    snprintf(want_origin, sizeof want_origin, "\"origin_address\":\"%s\"", rt_addr(TA2));
    cr_assert(strstr(txt, want_memo), "%s", txt);
    cr_assert(strstr(txt, want_origin), "%s", txt);
    cr_assert(strcasestr(txt, "\"target\":\"" AGG "\""), "%s", txt);
    cr_assert(strcasestr(txt, "\"to\":\"" DEST4 "\""), "%s", txt);
    free(txt);
    cJSON_Delete(j);
}

Test(xchain2, a_thorname_destination_is_resolved_by_the_names_file)
{
    x2_open w;
    /* without a names file: today's fallback, the first output neither OP_RETURN nor vault (X),
     * and the note says so */
    x2_find(X2, &w);
    const sl_xchain *x = one_leaving(&w, "ethereum", H(2), 0);
    arrives_at(w.fs, x, TNAME_ID, 0);
    cr_assert(x->link.to_amount == 30000);
    cr_assert(strstr(x->link.note, "memo =:BTC.BTC:myname, to THORName myname, not in the names file: first non-vault "
                                   "output, matched by OUT:"),
              "%s", x->link.note);
    x2_close(&w);
    /* with it: the named address DN, TNAME:2 (27000000 sat) */
    x2_find(X2N, &w);
    x = one_leaving(&w, "ethereum", H(2), 0);
    arrives_at(w.fs, x, TNAME_ID, 2);
    cr_assert(x->link.from_amount == (sl_u128)4000000000000000000ULL && x->link.to_amount == 27000000);
    char want[300];
    snprintf(want, sizeof want, "memo =:BTC.BTC:myname, to THORName myname = %s (x2names.yaml line 3), matched by OUT:",
             rt_addr(DN));
    cr_assert(strstr(x->link.note, want), "%s", x->link.note);
    /* the ETH entry of the same name does not change the V5 outbound (its payee is the aggregator) */
    x = one_leaving(&w, "bitcoin", TIN5_ID, 0);
    arrives_at(w.fs, x, H(5), 1);
    x2_close(&w);
    /* the trace follows it: 4 ETH arrive as 27000000 sat held at DN */
    cJSON *j = sleuth_json("trace --store %s --chain ethereum --tx %s2:0 --json", X2N, H());
    const cJSON *lk = crossing_link(j);
    cr_assert_str_eq(jstr(lk, "to_address"), rt_addr(DN));
    cr_assert_str_eq(jstr(lk, "asserted_by"), "chain-data");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "conservation"), "balanced")));
    cJSON_Delete(j);
}

Test(xchain2, a_names_file_with_errors_is_refused_with_its_line)
{
    const char *d = temp_dir(), *bad = path_in(d, "names.yaml");
    write_text(bad, "thornames:\n  - {name: a, chain: BTC, address: x}\n  - {name: A, chain: btc, address: y}\n");
    sleuth_fails(1, "names.yaml:3: name: a on BTC given twice (line 2)", "tags import --store %s %s", X2, bad);
    write_text(bad, "thornames:\n  - {name: \"my name\", chain: BTC, address: x}\n");
    sleuth_fails(1, "names.yaml:2: name: a THORName is 1 to 30", "tags import --store %s %s", X2, bad);
    write_text(bad, "thornames:\n  - {name: a, chain: BTC, adress: x}\n");
    sleuth_fails(1, "names.yaml:2: adress: unknown key", "tags import --store %s %s", X2, bad);
    write_text(bad, "thornames:\n  - {name: a, chain: B.TC, address: x}\n");
    sleuth_fails(1, "names.yaml:2: chain: a THORChain chain prefix", "tags import --store %s %s", X2, bad);
    write_text(bad, "thornames:\n  - {name: a, chain: BTC}\n");
    sleuth_fails(1, "names.yaml:2: address: missing", "tags import --store %s %s", X2, bad);
    write_text(bad, "thornames: []\n");
    sleuth_fails(2, "the list `thornames:` is empty", "tags import --store %s %s", X2, bad);
    /* nothing was kept */
    char kept[400];
    snprintf(kept, sizeof kept, "%s/knowledge/thornames.d/names.yaml", X2);
    cr_assert_neq(access(kept, F_OK), 0);
}

Test(xchain2, a_bridge_releases_and_takes_deposits_on_the_bitcoin_chain)
{
    x2_open w;
    int count;
    x2_find(X2, &w);
    /* A: 2e16 wei -> REL:1 (U6 1994000 sat, the first output that fits; U5's 1995000 fits too) */
    const sl_xchain *x = one_leaving(&w, "ethereum", H(3), 0);
    cr_assert_eq(x->kind, SL_XC_BRIDGE);
    arrives_at(w.fs, x, REL_ID, 1);
    cr_assert(x->link.from_amount == (sl_u128)20000000000000000ULL && x->link.to_amount == 1994000);
    cr_assert_eq(x->link.origin, SL_LINK_RULE);
    cr_assert(strstr(x->link.note, "bridge eth-to-btc: deposit paired with its release by rule (x2rules.yaml line 2"), "%s",
              x->link.note);
    /* B: 1e16 wei -> REL:3 (U7 998000; U5's 1995000 is too large) */
    x = one_leaving(&w, "ethereum", H(4), 0);
    arrives_at(w.fs, x, REL_ID, 3);
    cr_assert(x->link.to_amount == 998000);
    /* a deposit on the Bitcoin chain: DEP2:0 (3000000 sat) -> e7 (2.99e16 wei to U8) */
    x = one_leaving(&w, "bitcoin", DEP2_ID, 0);
    arrives_at(w.fs, x, H(7), 0);
    cr_assert(x->link.from_amount == 3000000 && x->link.to_amount == (sl_u128)29900000000000000ULL);
    /* D6's change to itself is not a deposit: e8 stays unpaired */
    x = leaving(w.fs, &w.l, "bitcoin", CHG_ID, 1, &count);
    cr_assert_eq(count, 0);
    size_t bridges = 0;
    for (size_t i = 0; i < w.l.n; i++) bridges += w.l.v[i].kind == SL_XC_BRIDGE;
    cr_assert_eq(bridges, 3);
    x2_close(&w);
    /* traced: deposit A's 0.02 ETH arrive as 1994000 sat held at U6 */
    cJSON *j = sleuth_json("trace --store %s --chain ethereum --tx %s3:0 --json", X2, H());
    const cJSON *lk = crossing_link(j);
    cr_assert_str_eq(jstr(lk, "asserted_by"), "rule");
    cr_assert_str_eq(jstr(lk, "to_chain"), "bitcoin");
    cr_assert_str_eq(jstr(lk, "to_tx"), REL_ID);
    cr_assert_str_eq(jstr(lk, "to_address"), rt_addr(U6));
    amount_is(lk, "to_amount", "1994000");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "conservation"), "balanced")));
    amount_is(end_at(j, rt_addr(U6), "BTC", "held"), "amount", "1994000");
    cJSON_Delete(j);
    /* and from the Bitcoin side: DEP2:0's 3000000 sat arrive as 0.0299 ETH held at U8 */
    j = sleuth_json("trace --store %s --tx %s:0 --json", X2, DEP2_ID);
    lk = crossing_link(j);
    cr_assert_str_eq(jstr(lk, "asserted_by"), "rule");
    cr_assert_str_eq(jstr(lk, "to_chain"), "ethereum");
    cr_assert_str_eq(jstr(lk, "to_address"), U8);
    amount_is(lk, "to_amount", "29900000000000000");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "conservation"), "balanced")));
    cJSON_Delete(j);
    /* same_address cannot compare a Bitcoin payee with an Ethereum depositor: refused, located */
    const char *d = temp_dir(), *r = path_in(d, "same.yaml");
    char text[600];
    snprintf(text, sizeof text, "bridges:\n  - name: same\n    from: {chain: ethereum, address: \"" BDEP "\"}\n"
                                "    to: {chain: bitcoin, address: \"%s\"}\n    same_address: true\n", rt_addr(RR));
    write_text(r, text);
    sleuth_fails(1, "same.yaml:5: same_address: needs both sides on account chains", "tags import --store %s %s", X2, r);
}

/* The bridge crossings of the store at path by both entries: paired on every call, and cached. */
static void bridges_both(const char *path, const sl_tx_ref *txs, size_t n, char ***plain, size_t *np, char ***cached,
                         size_t *nc)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_annot *a;
    sl_error e = {0};
    sl_bridge_rules r = {0};
    sl_xchain_list l1 = {0}, l2 = {0};
    cr_assert_eq(sl_store_open(&s, path, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_bridge_rules_load(path, &r, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_bridges(fs, &r, txs, n, &l1, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_xchain_bridges_cached(fs, a, &r, txs, n, &l2, &e), SL_OK, "%s", e.msg);
    *plain = xc_lines(fs, &l1, NULL, np);
    *cached = xc_lines(fs, &l2, NULL, nc);
    sl_bridge_rules_free(&r);
    sl_xchain_list_free(&l1), sl_xchain_list_free(&l2);
    sl_annot_close(a);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

/* Lines of xc_line that are unmatched bridge crossings (kind 4, matched 0). */
static size_t unmatched_lines(char **v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += !strncmp(v[i], "4 0 ", 4);
    return k;
}

/* The cache files of a store (one per rule). */
static void cache_files(const char *store, char out[][900], size_t *n)
{
    char dir[500];
    snprintf(dir, sizeof dir, "%s/knowledge/bridges.cache", store);
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *x; (x = readdir(d));)
        if (strstr(x->d_name, ".pairs") && !strstr(x->d_name, ".tmp")) snprintf(out[(*n)++], 900, "%s/%s", dir, x->d_name);
    closedir(d);
}

Test(xchain2, bridge_pairs_are_cached_per_store_commit_and_rebuilt_when_it_changes)
{
    const char *d = temp_dir();
    char st[400], files[4][900];
    size_t nf, np, nc;
    char **p, **c;
    snprintf(st, sizeof st, "%s/s", d);
    /* a store of its own (its cache files are changed below) */
    expect_ok(run_sleuth("ingest btc --network regtest --quiet --store %s %s/blk00000.dat", st, X2DIR));
    expect_ok(run_sleuth("ingest eth --quiet --store %s --chain ethereum %s/eth", st, X2DIR));
    expect_ok(run_sleuth("tags import --store %s %s/x2rules.yaml", st, X2DIR));
    /* first call: computed and written; the same crossings as without the cache */
    bridges_both(st, NULL, 0, &p, &np, &c, &nc);
    cache_files(st, files, &nf);
    cr_assert_eq(nf, 2, "one file per rule");
    cr_assert_eq(np, 3);
    same_lines(p, np, c, nc, "cold cache");
    /* second: read back (the files keep their time), the same */
    struct stat sb0, sb1;
    cr_assert_eq(stat(files[0], &sb0), 0);
    bridges_both(st, NULL, 0, &p, &np, &c, &nc);
    same_lines(p, np, c, nc, "warm cache");
    cr_assert_eq(stat(files[0], &sb1), 0);
    cr_assert_eq(sb0.st_ino, sb1.st_ino, "a valid cache is read, not rewritten");
    /* asked about some transactions only: the deposits they make, from the cache */
    {
        sl_store *s;
        sl_flow_set *fs;
        sl_error e = {0};
        cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
        const sl_flow_view *ev = sl_flow_set_chain(fs, sl_chain_by_name("ethereum")->id), *bv;
        cr_assert_eq(sl_flow_set_find(fs, "bitcoin", &bv, &e), SL_OK);
        sl_tx_ref txs[3];
        uint64_t id;
        char h4[80];
        snprintf(h4, sizeof h4, "%s4", H());
        cr_assert_eq(ev->m->tx_find(ev, h4, &id), SL_OK);
        txs[0] = (sl_tx_ref){ev->chain, id};
        cr_assert_eq(bv->m->tx_find(bv, DEP2_ID, &id), SL_OK);
        txs[1] = (sl_tx_ref){bv->chain, id};
        txs[2] = txs[0];
        sl_flow_set_close(fs);
        sl_store_close(s);
        bridges_both(st, txs, 3, &p, &np, &c, &nc);
        cr_assert_eq(np, 2);
        same_lines(p, np, c, nc, "two txs");
    }
    /* a damaged cache file is not believed: rebuilt, the same crossings */
    FILE *f = fopen(files[0], "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    fputc(0x55, f);
    fclose(f);
    bridges_both(st, NULL, 0, &p, &np, &c, &nc);
    same_lines(p, np, c, nc, "damaged cache");
    /* a rollback changes the chain's commit: e7 and e8 are gone, so DEP2:0 crosses unmatched */
    expect_ok(run_sleuth("rollback --store %s --chain ethereum --to 6", st));
    bridges_both(st, NULL, 0, &p, &np, &c, &nc);
    cr_assert_eq(np, 3);
    cr_assert_eq(unmatched_lines(c, nc), 1);
    same_lines(p, np, c, nc, "after the rollback");
    /* ingested again: the pair is back */
    expect_ok(run_sleuth("ingest eth --quiet --store %s --chain ethereum %s/eth", st, X2DIR));
    bridges_both(st, NULL, 0, &p, &np, &c, &nc);
    cr_assert_eq(unmatched_lines(c, nc), 0);
    same_lines(p, np, c, nc, "re-ingested");
}
