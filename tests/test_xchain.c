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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/btc.h"
#include "sleuth/flow.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"

enum { D = 0xd1, E = 0xe1, F = 0xf1 }; /* rt_hand_graph's tags */

static char ST[200], C0[65], T1[65], T2[65];

static void build(void)
{
    static rt_tx tx[6];
    rt_hand_store(ST, sizeof ST, tx);
    sl_hash_hex(C0, &tx[0].txid), sl_hash_hex(T1, &tx[4].txid), sl_hash_hex(T2, &tx[5].txid);
}

TestSuite(xchain_engine, .init = build);

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
    cr_assert_eq(sl_store_open(&s, ST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
    const sl_flow_view *bv = sl_flow_set_chain(fs, SL_CHAIN_BTC);
    cr_assert_eq(bv->m->tx_find(bv, C0, &src.tx), SL_OK);
    cr_assert_eq(bv->m->tx_find(bv, T1, &t1), SL_OK);
    cr_assert_eq(bv->m->tx_find(bv, T2, &t2), SL_OK);
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
