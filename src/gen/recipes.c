/* recipes.c — the thefts of the generated world and how their loot is laundered, tick by
 * tick, through the services of world.c (docs/WORLDS.md, "Recipes"):
 *
 * dmm (after DMM Bitcoin, 2024-05-31): 4,502.9 BTC leave the victim exchange's hot wallet
 * for a p2pkh exploiter address; it splits them over 10 bc1q addresses: 3 stay dormant
 * (moved once at the world's end, months later), 3 run peel chains whose peels are CoinJoin
 * tx0s (premix) or deposits at exchanges, 4 swap to ETH through THORChain in 3 inbounds
 * each; the CoinJoin postmix outputs go to THORChain too, 4 at a time. On Ethereum each
 * swap's ETH is sold for USDT on the DEX pool; a third of the swaps' USDT is paid to the
 * Ethereum OTC desk, two thirds cross the USDT bridge to Tron (as the real case's loot
 * went on to Tron): each release lands at a fresh Tron address, which passes it the next
 * tick to one of two hop addresses, which pay the Tron OTC desk the tick after.
 *
 * bybit (after Bybit, 2025-02-21): the exploiter drains ~401,346.76 ETH from the victim's
 * Safe (an internal transfer of the exploiter's call), fans it out in equal slices to 40
 * fresh addresses, each of which splits in two (80 second-level addresses): 16 sell ETH
 * for USDT on the DEX and pay the OTC desk, 40 swap to BTC through THORChain in 5 inbounds
 * each (the Bitcoin outputs then consolidated 10 at a time; a quarter of the consolidations
 * deposited at an exchange), 6 deposit 100 ETH ten times each into Tornado Cash with one
 * unusual gas price and withdraw to fresh addresses through relayers with the same price,
 * 6 deposit at exchanges, 12 stay dormant and move once at the world's end.
 */
#include <string.h>

#include "world_int.h"

#define T0 5 /* the theft's tick */
#define THIEF_GAS 3141592653ULL /* bybit's unusual gas price (wei) */

typedef struct eth_leg {
    uint32_t a, r; /* r: the Tron address its bridged USDT arrived at */
    int state;     /* 0 waiting for its THORChain outbound, 1 sold for USDT, 2 paid out,
                      3 bridged to Tron, 4 passed on to a Tron hop */
    bool tron;     /* its USDT crosses the bridge to Tron (dmm, two legs in three) */
    int hop;
} eth_leg;

typedef struct recipe_state {
    /* dmm */
    gb_utxo loot, split[10];
    uint32_t peel_addr[3];
    gb_utxo peel[3];
    int peel_hops[3];
    gb_utxo bridge[4];
    int bridge_left[4];
    utxo_list postmix;
    eth_leg *legs;
    size_t n_legs, cap_legs;
    uint32_t thop[2]; /* the thief's two Tron hop addresses (made when first needed) */
    size_t n_hopped;
    /* bybit */
    uint32_t safe, l1[40], l2[80];
    struct tc_pend { tc_note note; uint64_t due; uint32_t from; } *tcp;
    size_t n_tcp, cap_tcp;
    int tc_done[6];
    utxo_list consolidated;
} recipe_state;

/* ---------- bookkeeping of the thief's transactions ---------- */
static uint32_t thief_btc(gen_world *w, const char *role)
{
    uint32_t a = gb_new_addr(w, BT_P2WPKH, OWN_THIEF, role);
    thief_add(w, 0, a, role);
    return a;
}

static uint32_t thief_eth(gen_world *w, const char *role)
{
    uint32_t a = ge_new_acct(w, OWN_THIEF, role);
    thief_add(w, 1, a, role);
    return a;
}

static uint32_t thief_tron(gen_world *w, const char *role)
{
    uint32_t a = gt_new_acct(w, OWN_THIEF, role);
    thief_add(w, 2, a, role);
    return a;
}

/* The thief pays amount USDT on Tron (truth: a thief transaction of that stage). */
static void tron_pay(gen_world *w, uint32_t from, uint32_t to, uint64_t amount, const char *stage)
{
    gt_usdt(w, w->svc->t_usdt, from, from, to, amount);
    thief_tx(w, 2, gt_last_hash(w), stage);
}

/* After gb_end of a thief's Bitcoin transaction: balances and the truth's tx list. */
static void btc_done(gen_world *w, const char *stage)
{
    for (size_t i = 0; i < w->b.n_ins; i++) thief_debit(w, 0, w->b.ins[i].addr, ASSET_BTC, w->b.ins[i].value);
    for (size_t o = 0; o < w->b.n_made; o++)
        if (w->b.made[o].value) thief_credit(w, 0, w->b.made[o].addr, ASSET_BTC, w->b.made[o].value);
    thief_tx(w, 0, w->b.last_txid, stage);
}

/* After a thief's Ethereum transaction: ETH moved by it and its calls (USDT is counted
 * by the Transfer logs themselves). */
static void eth_done(gen_world *w, const char *stage)
{
    const ge_tx *t = &w->x.txs[w->x.n_txs - 1];
    thief_debit(w, 1, t->from, ASSET_ETH, t->value + (u128)t->gas_price * t->gas_used);
    thief_credit(w, 1, t->to, ASSET_ETH, t->value);
    for (uint32_t k = 0; k < t->ntr; k++) {
        const ge_call *c = &w->x.calls[t->tr0 + k];
        thief_debit(w, 1, c->from, ASSET_ETH, c->value);
        thief_credit(w, 1, c->to, ASSET_ETH, c->value);
    }
    thief_tx(w, 1, t->hash, stage);
}

static void leg_add(gen_world *w, uint32_t a, bool tron)
{
    recipe_state *rs = w->rs;
    gen_grow(w, &rs->legs, &rs->cap_legs, rs->n_legs + 1, sizeof *rs->legs);
    rs->legs[rs->n_legs++] = (eth_leg){.a = a, .tron = tron};
}

/* Ethereum legs: ETH arrived -> sold for USDT on the DEX -> USDT paid to the OTC desk, or
 * over the bridge to a fresh Tron address -> a Tron hop -> the Tron OTC desk. */
static void legs_step(gen_world *w, uint64_t gas)
{
    recipe_state *rs = w->rs;
    world_services *s = w->svc;
    for (size_t i = 0; i < rs->n_legs; i++) {
        eth_leg *l = &rs->legs[i];
        const ge_acct *a = &w->x.acct[l->a];
        if (l->state == 1 && l->tron && a->usdt >= BRIDGE_MIN) {
            uint64_t u = a->usdt;
            l->r = thief_tron(w, "bridge destination");
            bridge_deposit(w, l->a, u, l->r, gas, "swap-bridge");
            eth_done(w, "swap-bridge");
            l->state = 3;
        } else if (l->state == 3) { /* released last tick: on to a hop */
            if (!rs->n_hopped)
                for (int k = 0; k < 2; k++) rs->thop[k] = thief_tron(w, "hop");
            l->hop = (int)(rs->n_hopped++ % 2);
            tron_pay(w, l->r, rs->thop[l->hop], w->t.acct[l->r].usdt, "dispersal");
            l->state = 4;
        } else if (l->state == 4) { /* the hop pays the OTC desk all it holds */
            uint32_t h = rs->thop[l->hop];
            uint64_t u = w->t.acct[h].usdt;
            if (u) {
                tron_pay(w, h, s->t_otc, u, "cash-out");
                final_add(w, 2, s->t_otc, "USDT", u, "otc");
            }
            l->state = 2;
        } else if (l->state == 0 && a->bal > WEI_PER_ETH / 10) {
            u128 keep = WEI_PER_ETH / 20; /* gas for what follows */
            dex_eth_to_usdt(w, l->a, (a->bal - keep) / 1000000000ULL * 1000000000ULL, gas);
            eth_done(w, "swap-bridge");
            l->state = 1;
        } else if (l->state == 0 && a->usdt) { /* a USDT outbound of THORChain */
            l->state = 1;
        } else if (l->state == 1) {
            uint64_t u = a->usdt;
            usdt_send(w, l->a, s->otc, u, gas);
            eth_done(w, "cash-out");
            final_add(w, 1, s->otc, "USDT", u, "otc");
            l->state = 2;
        }
    }
}

/* ---------- dmm ---------- */
static void dmm_theft(gen_world *w)
{
    recipe_state *rs = w->rs;
    world_services *s = w->svc;
    uint64_t loot = (uint64_t)w->loot, fee = btc_fee(w, 5, 2), sum;
    gb_begin(w);
    sum = utxo_spend(w, &w->victim_utxo, loot + fee);
    gb_out(w, w->exploiter, loot);
    gb_out(w, s->bx_hot[0], sum - loot - fee);
    gb_end(w);
    memcpy(w->theft_tx, w->b.last_txid, 32);
    btc_done(w, "theft");
    rs->loot = w->b.made[0];
    utxo_push(w, &s->bhot_utxo[0], &w->b.made[1]);
}

static void dmm_disperse(gen_world *w)
{
    recipe_state *rs = w->rs;
    static const double SHARE[10] = {0.13, 0.12, 0.11, 0.02, 0.02, 0.02, 0.16, 0.15, 0.14, 0.13};
    uint64_t fee = btc_fee(w, 1, 10), left = rs->loot.value - fee;
    gb_begin(w);
    gb_in(w, &rs->loot);
    for (int i = 0; i < 10; i++) {
        double share = SHARE[i] * (0.97 + 0.06 * gen_unit(&w->r));
        uint64_t v = i == 9 ? left : (uint64_t)((double)(rs->loot.value - fee) * share);
        if (v > left) v = left;
        left -= v;
        gb_out(w, thief_btc(w, i < 3 ? "dormant" : i < 6 ? "peel chain" : "bridge"), v);
    }
    gb_end(w);
    btc_done(w, "dispersal");
    for (int i = 0; i < 10; i++) rs->split[i] = w->b.made[i];
    for (int i = 0; i < 3; i++) rs->peel[i] = rs->split[3 + i], rs->peel_hops[i] = 8;
    for (int i = 0; i < 4; i++) rs->bridge[i] = rs->split[6 + i], rs->bridge_left[i] = 3;
}

static void dmm_peel(gen_world *w, int i)
{
    recipe_state *rs = w->rs;
    world_services *s = w->svc;
    gb_utxo u = rs->peel[i];
    uint32_t next;
    bool tx0 = rs->peel_hops[i] % 3 != 0 && u.value > 4 * CJ_DENOM; /* small loot (--scale): no mixing */
    if (u.value < 1000000) { rs->peel_hops[i] = 0; return; } /* under 0.01 BTC: the chain ends */
    next = thief_btc(w, "peel chain");
    if (tx0) { /* the peel is a CoinJoin tx0: a premix output */
        cj_tx0(w, &u, thief_btc(w, "premix"), next, true);
        btc_done(w, "mixing");
        rs->peel[i] = w->b.made[2];
    } else { /* the peel is a deposit at an exchange */
        int ex = 1 + (int)gen_below(&w->r, N_BX - 1);
        uint32_t dep = btc_deposit_addr(w, ex);
        uint64_t peel = (uint64_t)gen_range(&w->r, 300, 800) * 1000000, fee = btc_fee(w, 1, 2);
        if (peel > u.value / 4) peel = u.value / 4;
        gb_begin(w);
        gb_in(w, &u);
        gb_out(w, dep, peel);
        gb_out(w, next, u.value - peel - fee);
        gb_end(w);
        btc_done(w, "cash-out");
        final_add(w, 0, dep, "BTC", peel, "exchange");
        utxo_push(w, &s->bdep_utxo[ex], &w->b.made[0]);
        rs->peel[i] = w->b.made[1];
    }
    rs->peel_hops[i]--;
}

/* A Bitcoin -> ETH swap of the thief: the open tx's inputs (in_sum) pay amount. */
static void dmm_swap(gen_world *w, uint64_t in_sum, uint64_t amount, uint32_t change)
{
    uint32_t dest = thief_eth(w, "swap destination");
    const gb_utxo *u = w->b.ins;
    for (size_t i = 0; i < w->b.n_ins; i++) thief_debit(w, 0, u[i].addr, ASSET_BTC, u[i].value);
    thor_btc_inbound(w, in_sum, amount, change, dest, (int)gen_below(&w->r, 3), false, 1, false, 0, "swap-bridge");
    for (size_t o = 0; o < w->b.n_made; o++)
        if (w->b.made[o].addr == change && w->b.made[o].value)
            thief_credit(w, 0, change, ASSET_BTC, w->b.made[o].value);
    leg_add(w, dest, w->rs->n_legs % 3 != 0); /* two in three go on to Tron */
}

static void dmm_tick(gen_world *w)
{
    recipe_state *rs = w->rs;
    world_services *s = w->svc;
    uint64_t t = w->tick;
    if (t == T0) dmm_theft(w);
    else if (t == T0 + 1) dmm_disperse(w);
    if (t >= T0 + 2)
        for (int i = 0; i < 3; i++)
            if (rs->peel_hops[i] > 0) dmm_peel(w, i);
    if (t >= T0 + 3 && (t - T0) % 3 == 0)
        for (int i = 0; i < 4; i++) {
            gb_utxo u = rs->bridge[i];
            uint64_t amount;
            uint32_t change = 0;
            if (rs->bridge_left[i] <= 0) continue;
            amount = rs->bridge_left[i] == 1 ? u.value - btc_fee(w, 1, 3)
                                             : u.value / (uint64_t)(rs->bridge_left[i] + 1);
            if (rs->bridge_left[i] > 1) change = thief_btc(w, "bridge");
            gb_begin(w);
            gb_in(w, &u);
            dmm_swap(w, u.value, amount, change);
            if (rs->bridge_left[i] > 1) rs->bridge[i] = w->b.made[2];
            rs->bridge_left[i]--;
        }
    /* CoinJoin rounds, up to 2 a tick: one premix of the thief's with 4 of ordinary users
     * (every input of a round has its own owner) */
    for (int round = 0; round < 2 && t >= T0 + 3 && s->premix_thief.n; round++) {
        size_t mine = 1, n_out;
        uint32_t outs[5];
        while (s->premix.n < 5 - mine) { /* remixers: users wait in the pool */
            gb_utxo u;
            if (!gb_pool_take(w, &u, CJ_DENOM + CJ_PREMIX_FEE + CJ_COORD_FEE + 100000)) break;
            cj_tx0(w, &u, gb_new_addr(w, BT_P2WPKH, OWN_USER, "user"), btc_user_addr(w), false);
        }
        if (s->premix.n >= 5 - mine) {
            for (size_t i = 0; i < mine; i++)
                thief_debit(w, 0, s->premix_thief.u[s->premix_thief.n - 1 - i].addr, ASSET_BTC,
                            CJ_DENOM + CJ_PREMIX_FEE);
            cj_round(w, mine, outs, &n_out);
            for (size_t i = 0; i < n_out; i++) {
                thief_credit(w, 0, w->b.made[outs[i]].addr, ASSET_BTC, CJ_DENOM);
                utxo_push(w, &rs->postmix, &w->b.made[outs[i]]);
            }
            thief_tx(w, 0, w->b.last_txid, "mixing");
        }
    }
    /* postmix outputs a tick old go to THORChain, 4 at a time (the rest at the end of the run) */
    if (rs->postmix.n >= 4 || (rs->postmix.n && t >= T0 + 30)) {
        size_t n = rs->postmix.n >= 4 ? 4 : rs->postmix.n;
        uint64_t sum = 0;
        gb_begin(w);
        rs->postmix.n -= n;
        for (size_t i = 0; i < n; i++) {
            gb_in(w, &rs->postmix.u[rs->postmix.n + i]);
            sum += rs->postmix.u[rs->postmix.n + i].value;
        }
        dmm_swap(w, sum, sum - btc_fee(w, n, 2), 0);
    }
    legs_step(w, gas_habit(w, 7));
    if (t == w->n_ticks) /* the dormant part wakes up months later */
        for (int i = 0; i < 3; i++) {
            uint64_t fee = btc_fee(w, 1, 1);
            uint32_t to = thief_btc(w, "dormant");
            gb_begin(w);
            gb_in(w, &rs->split[i]);
            gb_out(w, to, rs->split[i].value - fee);
            gb_end(w);
            btc_done(w, "dormancy");
        }
}

/* ---------- bybit ---------- */
static void bybit_theft(gen_world *w)
{
    recipe_state *rs = w->rs;
    abi_enc a = {0};
    uint8_t sel[4];
    abi_sel(sel, "sweepETH(address)");
    abi_word_addr(&a, w->x.acct[w->exploiter].a);
    abi_encode(w, &w->svc->scratch, sel, &a);
    ge_tx_add(w, w->exploiter, rs->safe, 0, THIEF_GAS, 48000, w->svc->scratch.p, w->svc->scratch.len);
    ge_call_add(w, rs->safe, w->exploiter, w->loot);
    memcpy(w->theft_tx, ge_last_hash(w), 32);
    eth_done(w, "theft");
}

static void eth_send(gen_world *w, uint32_t from, uint32_t to, u128 v, const char *stage)
{
    ge_tx_add(w, from, to, v, THIEF_GAS, 21000, NULL, 0);
    eth_done(w, stage);
}

static void bybit_tick(gen_world *w)
{
    recipe_state *rs = w->rs;
    world_services *s = w->svc;
    uint64_t t = w->tick;
    u128 slice = w->loot / 40 / WEI_PER_ETH * WEI_PER_ETH; /* whole ETH */
    if (slice > WEI_PER_ETH) slice -= WEI_PER_ETH;
    if (t == T0) bybit_theft(w);
    if (t == T0 + 1 || t == T0 + 2)
        for (int i = 0; i < 20; i++) {
            int k = (int)(t - T0 - 1) * 20 + i;
            rs->l1[k] = thief_eth(w, "fan-out level 1");
            eth_send(w, w->exploiter, rs->l1[k], slice, "dispersal");
        }
    if (t == T0 + 3 || t == T0 + 4)
        for (int i = 0; i < 20; i++) {
            int k = (int)(t - T0 - 3) * 20 + i;
            u128 half = (w->x.acct[rs->l1[k]].bal - WEI_PER_ETH / 100) / 2 / 1000000000ULL * 1000000000ULL;
            static const char *const ROLE[] = {"dex", "thorchain", "tornado", "exchange", "dormant"};
            for (int j = 0; j < 2; j++) {
                int m = 2 * k + j;
                int role = m < 16 ? 0 : m < 56 ? 1 : m < 62 ? 2 : m < 68 ? 3 : 4;
                rs->l2[m] = thief_eth(w, ROLE[role]);
                eth_send(w, rs->l1[k], rs->l2[m], half, "dispersal");
            }
        }
    if (t == T0 + 5)
        for (int m = 0; m < 16; m++) leg_add(w, rs->l2[m], false);
    if (t >= T0 + 5) legs_step(w, THIEF_GAS);
    if (t >= T0 + 5 && t < T0 + 10) /* THORChain: 5 inbounds from each of 40 addresses */
        for (int m = 16; m < 56; m++) {
            u128 bal = w->x.acct[rs->l2[m]].bal - WEI_PER_ETH / 100;
            u128 v = (t == T0 + 9 ? bal : bal / (u128)(T0 + 10 - t)) / 1000000000ULL * 1000000000ULL;
            thor_eth_inbound(w, rs->l2[m], v, thief_btc(w, "swap destination"), THIEF_GAS, NULL);
            eth_done(w, "swap-bridge");
            /* the outbound is the thief's too */
            w->svc->swaps[w->svc->n_swaps - 1].stage = "swap-bridge";
        }
    if (t >= T0 + 5 && t < T0 + 15) /* Tornado: ten 100 ETH deposits from each of 6 addresses */
        for (int m = 56; m < 62; m++) {
            struct tc_pend *p;
            gen_grow(w, &rs->tcp, &rs->cap_tcp, rs->n_tcp + 1, sizeof *rs->tcp);
            p = &rs->tcp[rs->n_tcp++];
            tc_deposit(w, rs->l2[m], 3, THIEF_GAS, &p->note);
            eth_done(w, "mixing");
            p->due = t + gen_range(&w->r, 3, 15);
            p->from = rs->l2[m];
        }
    for (size_t i = 0; i < rs->n_tcp; i++) {
        struct tc_pend *p = &rs->tcp[i];
        if (p->due != t) continue;
        uint32_t to = thief_eth(w, "mixer withdrawal");
        tc_withdraw(w, &p->note, to, s->relayer[gen_below(&w->r, N_RELAYER)], THIEF_GAS);
        eth_done(w, "mixing");
        gen_grow(w, &w->tl, &w->cap_tl, w->n_tl + 1, sizeof *w->tl);
        memcpy(w->tl[w->n_tl].dep, p->note.dep_tx, 32);
        memcpy(w->tl[w->n_tl++].wd, ge_last_hash(w), 32);
    }
    if (t == T0 + 6) /* exchanges */
        for (int m = 62; m < 68; m++) {
            int ex = (int)gen_below(&w->r, N_EX);
            uint32_t dep = eth_deposit_addr(w, ex);
            u128 v = w->x.acct[rs->l2[m]].bal - WEI_PER_ETH / 100;
            eth_send(w, rs->l2[m], dep, v, "cash-out");
            final_add(w, 1, dep, "ETH", v, "exchange");
        }
    /* Bitcoin: the swaps' outputs consolidated 10 at a time once they have arrived */
    if (t >= T0 + 7 && (w->loot_utxo.n >= 10 || (w->loot_utxo.n && t >= T0 + 16))) {
        size_t n = w->loot_utxo.n >= 10 ? 10 : w->loot_utxo.n;
        uint64_t sum = 0, fee = btc_fee(w, n, 1);
        uint32_t to = thief_btc(w, "consolidation");
        gb_begin(w);
        w->loot_utxo.n -= n;
        for (size_t i = 0; i < n; i++) {
            gb_in(w, &w->loot_utxo.u[w->loot_utxo.n + i]);
            sum += w->loot_utxo.u[w->loot_utxo.n + i].value;
        }
        gb_out(w, to, sum - fee);
        gb_end(w);
        btc_done(w, "swap-bridge");
        utxo_push(w, &rs->consolidated, &w->b.made[0]);
    }
    if (t == T0 + 20) /* a quarter of the consolidations go to an exchange */
        for (size_t i = 0; i < rs->consolidated.n; i += 4) {
            gb_utxo u = rs->consolidated.u[i];
            int ex = (int)gen_below(&w->r, N_BX);
            uint32_t dep = btc_deposit_addr(w, ex);
            uint64_t fee = btc_fee(w, 1, 1);
            gb_begin(w);
            gb_in(w, &u);
            gb_out(w, dep, u.value - fee);
            gb_end(w);
            btc_done(w, "cash-out");
            final_add(w, 0, dep, "BTC", u.value - fee, "exchange");
            utxo_push(w, &s->bdep_utxo[ex], &w->b.made[0]);
        }
    if (t == w->n_ticks) /* the dormant part wakes up months later */
        for (int m = 68; m < 80; m++) {
            uint32_t to = thief_eth(w, "dormant");
            eth_send(w, rs->l2[m], to, w->x.acct[rs->l2[m]].bal - WEI_PER_ETH / 100, "dormancy");
        }
}

/* ---------- the recipe interface ---------- */
void recipe_init(gen_world *w)
{
    if (!(w->rs = sl_calloc(1, sizeof *w->rs))) gen_fail(w, SL_ENOMEM, "out of memory");
    if (w->dmm) {
        w->loot = (u128)(uint64_t)(4502.9 * w->o.scale * 1e4) * 10000; /* 0.0001 BTC granularity */
        w->now = 1717113600 - T0 * 600;                                  /* 2024-05-31 00:00 UTC */
        ge_init(w, 20000000);
        gt_init(w, 62166000);
    } else {
        w->loot = (u128)(uint64_t)(401346.76 * w->o.scale * 100) * (WEI_PER_ETH / 100);
        w->now = 1740146400 - T0 * 600; /* 2025-02-21 14:00 UTC */
        ge_init(w, 21895000);
        gt_init(w, 69844000);
    }
    w->launder_end = T0 + 40;
}

void recipe_setup(gen_world *w)
{
    if (w->dmm) {
        w->exploiter = gb_new_addr(w, BT_P2PKH, OWN_THIEF, "exploiter");
        thief_add(w, 0, w->exploiter, "exploiter");
    } else {
        w->rs->safe = ge_new_acct(w, OWN_VICTIM, "victim Safe (cold wallet)");
        w->exploiter = thief_eth(w, "exploiter");
    }
}

void recipe_premine_eth(gen_world *w)
{
    if (w->dmm) return;
    ge_withdrawal(w, w->rs->safe, (uint64_t)(w->loot / 1000000000ULL) + 1000ULL * 1000000000ULL);
    ge_withdrawal(w, w->exploiter, 2ULL * 1000000000ULL); /* gas money, from earlier activity */
}

void recipe_tick(gen_world *w)
{
    if (w->dmm) dmm_tick(w);
    else bybit_tick(w);
}

/* What every thief address still holds is "held"; the rest was recorded as it left. */
void recipe_finish(gen_world *w)
{
    for (size_t i = 0; i < w->n_thieves; i++) {
        const thief_addr *t = &w->thieves[i];
        if (t->sat) final_add(w, 0, t->idx, "BTC", t->sat, "held");
        if (t->wei >= WEI_PER_ETH / 10) final_add(w, 1, t->idx, "ETH", t->wei, "held");
        if (t->usdt) final_add(w, t->chain, t->idx, "USDT", t->usdt, "held");
    }
    /* premix outputs that were never mixed belong to the thief's premix addresses: held */
}

void recipe_free(gen_world *w)
{
    recipe_state *rs = w->rs;
    if (!rs) return;
    sl_free(rs->postmix.u), sl_free(rs->legs), sl_free(rs->tcp), sl_free(rs->consolidated.u);
    sl_free(rs);
    w->rs = NULL;
}
