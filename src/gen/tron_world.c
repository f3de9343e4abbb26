/* tron_world.c — Tron in the generated world and the USDT bridge that reaches it
 * (docs/WORLDS.md, "Tron" and "The USDT bridge"): the services on Tron (the TRC-20 USDT
 * contract at its mainnet address, Tether's treasury, exchange G with per-customer deposit
 * addresses forwarding to a tagged hot wallet, an OTC desk in the manner of a guarantee
 * market), block 0 (TRX created by reward withdrawals, USDT issued to the treasury and paid
 * out), the background traffic of ordinary Tron users, and a bridge that takes USDT at a
 * deposit address on Ethereum and pays it out, less its fee, from a release address on Tron
 * in the same tick (minutes later), first in, first out — so the pairing rule the world ships
 * (tags/bridges.yaml: window, fee) pairs every deposit with its own release. Ordinary
 * Ethereum users bridge too, so the thief's deposits are among look-alikes.
 */
#include <string.h>

#include "world_int.h"

static const char USDT_TRON[] = "a614f803b6fd780986a42c78ec9c7f77e6ded13c"; /* TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t */
static const char *const TEX_DEP_ROLE = "Exchange G: deposit address";

void tron_setup(gen_world *w)
{
    world_services *s = w->svc;
    w->t.miner = gt_new_acct(w, OWN_MINER, "block producer");
    s->t_usdt = gt_fixed_acct(w, USDT_TRON, OWN_TOKEN, "USDT token (TRC-20)");
    s->t_tether = gt_new_acct(w, OWN_TOKEN, "USDT treasury (Tron)");
    s->t_hot = gt_new_acct(w, OWN_EXCHANGE, "Exchange G: hot wallet");
    s->t_otc = gt_new_acct(w, OWN_OTC, "OTC desk (Tron, guarantee market)");
    s->bridge_rel = gt_new_acct(w, OWN_BRIDGE, "USDT bridge: release address (Tron)");
    s->bridge_dep = ge_new_acct(w, OWN_BRIDGE, "USDT bridge: deposit address (Ethereum)");
}

void tron_free(gen_world *w)
{
    world_services *s = w->svc;
    sl_free(s->tdep.a), sl_free(s->tusers), sl_free(s->bq);
}

/* A random ordinary Tron user, often a new one. */
uint32_t tron_user(gen_world *w, bool fresh)
{
    world_services *s = w->svc;
    uint32_t a;
    if (!fresh && s->n_tusers > 50 && gen_chance(&w->r, 0.7)) return s->tusers[gen_below(&w->r, (uint32_t)s->n_tusers)];
    a = gt_new_acct(w, OWN_USER, "user");
    gen_grow(w, &s->tusers, &s->cap_tusers, s->n_tusers + 1, sizeof *s->tusers);
    s->tusers[s->n_tusers++] = a;
    return a;
}

/* A user holding at least min of USDT (usdt) or TRX (a few tries; UINT32_MAX: none found). */
static uint32_t tron_rich_user(gen_world *w, bool usdt, uint64_t min)
{
    world_services *s = w->svc;
    for (int k = 0; k < 16 && s->n_tusers; k++) {
        uint32_t a = s->tusers[gen_below(&w->r, (uint32_t)s->n_tusers)];
        if ((usdt ? w->t.acct[a].usdt : w->t.acct[a].trx) >= min) return a;
    }
    return UINT32_MAX;
}

static uint32_t tron_deposit_addr(gen_world *w)
{
    world_services *s = w->svc;
    addr_list *l = &s->tdep;
    uint32_t a;
    if (l->n > 20 && gen_chance(&w->r, 0.5)) return l->a[gen_below(&w->r, (uint32_t)l->n)];
    a = gt_new_acct(w, OWN_EXCHANGE, TEX_DEP_ROLE);
    gen_grow(w, &l->a, &l->cap, l->n + 1, sizeof *l->a);
    l->a[l->n++] = a;
    return a;
}

/* from pays amount USDT on Tron (a transfer called by its owner). */
static void tusdt(gen_world *w, uint32_t from, uint32_t to, uint64_t amount)
{
    gt_usdt(w, w->svc->t_usdt, from, from, to, amount);
}

/* Block 0 on Tron: TRX by reward withdrawals to the exchange, the OTC desk and the first
 * users; USDT issued to Tether's treasury and paid to the exchange's hot wallet, the bridge's
 * release address (a float larger than any day's releases) and 50 users. */
void tron_premine(gen_world *w, uint64_t n_users, double loot_usdt)
{
    world_services *s = w->svc;
    uint64_t float_usdt = (uint64_t)(3e9 + loot_usdt * 1.3) * 1000000ULL, hot_usdt = 500000000ULL * 1000000ULL;
    uint64_t n = n_users / 4 < 100 ? 100 : n_users / 4, users_usdt = 0;
    uint64_t pay[50];
    size_t np = 0;
    gt_reward(w, s->t_hot, 50000000ULL * SUN_PER_TRX);
    gt_reward(w, s->t_otc, 100000ULL * SUN_PER_TRX);
    gt_reward(w, s->bridge_rel, 100000ULL * SUN_PER_TRX);
    for (uint64_t k = 0; k < n; k++) gt_reward(w, tron_user(w, true), (uint64_t)gen_range(&w->r, 10, 50000) * SUN_PER_TRX);
    for (; np < 50 && np < s->n_tusers; np++) users_usdt += pay[np] = (uint64_t)gen_range(&w->r, 100, 100000) * 1000000ULL;
    gt_usdt(w, s->t_usdt, s->t_tether, UINT32_MAX, s->t_tether, float_usdt + hot_usdt + users_usdt);
    tusdt(w, s->t_tether, s->bridge_rel, float_usdt);
    tusdt(w, s->t_tether, s->t_hot, hot_usdt);
    for (size_t k = 0; k < np; k++) tusdt(w, s->t_tether, s->tusers[k], pay[k]);
    gt_block(w, w->now + 300);
}

uint64_t bridge_deposit(gen_world *w, uint32_t who, uint64_t amount, uint32_t to, uint64_t gas_price,
                        const char *stage)
{
    world_services *s = w->svc;
    uint64_t out = amount - amount / 10000 * BRIDGE_FEE_BPS - amount % 10000 * BRIDGE_FEE_BPS / 10000 - BRIDGE_FEE_UNITS;
    if (amount < BRIDGE_MIN) gen_fail(w, SL_EUSAGE, "generator bug: a bridge deposit under 10 USDT");
    usdt_send(w, who, s->bridge_dep, amount, gas_price);
    gen_grow(w, &s->bq, &s->cap_bq, s->n_bq + 1, sizeof *s->bq);
    s->bq[s->n_bq] = (struct bridge_release){to, out, amount, stage, {0}};
    memcpy(s->bq[s->n_bq++].dep, ge_last_hash(w), 32);
    return out;
}

/* The bridge pays this tick's deposits in the order they came. */
static void bridge_releases(gen_world *w)
{
    world_services *s = w->svc;
    for (size_t i = 0; i < s->n_bq; i++) {
        const struct bridge_release *q = &s->bq[i];
        struct blink *l;
        tusdt(w, s->bridge_rel, q->to, q->amount);
        if (!q->stage) continue;
        thief_tx(w, 2, gt_last_hash(w), q->stage);
        gen_grow(w, &w->bl, &w->cap_bl, w->n_bl + 1, sizeof *w->bl);
        l = &w->bl[w->n_bl++];
        memcpy(l->dep, q->dep, 32);
        memcpy(l->rel, gt_last_hash(w), 32);
        l->dep_amount = q->dep_amount, l->rel_amount = q->amount, l->to = q->to;
    }
    s->n_bq = 0;
}

/* Background, per transaction drawn: 30% TRX payments, 25% USDT payments, 10% deposits at
 * exchange G (USDT 70%, TRX 30%), 8% deposit addresses forwarding to the hot wallet, 12%
 * withdrawals, 8% USDT paid to the OTC desk, 7% USDT paid to a new user. */
static void bg_tron(gen_world *w)
{
    world_services *s = w->svc;
    uint32_t r = gen_below(&w->r, 100), who;
    if (r < 30) {
        if ((who = tron_rich_user(w, false, 20 * SUN_PER_TRX)) != UINT32_MAX)
            gt_trx(w, who, tron_user(w, false), w->t.acct[who].trx / gen_range(&w->r, 2, 20));
    } else if (r < 55 || r >= 93) {
        if ((who = tron_rich_user(w, true, 2000000)) != UINT32_MAX)
            tusdt(w, who, tron_user(w, r >= 93), w->t.acct[who].usdt / gen_range(&w->r, 2, 10));
    } else if (r < 65) {
        bool usdt = gen_chance(&w->r, 0.7);
        if ((who = tron_rich_user(w, usdt, usdt ? 5000000 : 20 * SUN_PER_TRX)) == UINT32_MAX) return;
        if (usdt) tusdt(w, who, tron_deposit_addr(w), w->t.acct[who].usdt / gen_range(&w->r, 1, 4));
        else gt_trx(w, who, tron_deposit_addr(w), w->t.acct[who].trx / gen_range(&w->r, 2, 5));
    } else if (r < 73) {
        uint32_t d;
        if (!s->tdep.n) return;
        d = s->tdep.a[gen_below(&w->r, (uint32_t)s->tdep.n)];
        if (w->t.acct[d].usdt) tusdt(w, d, s->t_hot, w->t.acct[d].usdt);
        else if (w->t.acct[d].trx > SUN_PER_TRX) gt_trx(w, d, s->t_hot, w->t.acct[d].trx - SUN_PER_TRX);
    } else if (r < 85) {
        if (gen_chance(&w->r, 0.75)) {
            uint64_t v = (uint64_t)gen_range(&w->r, 10, 50000) * 1000000ULL;
            if (w->t.acct[s->t_hot].usdt >= v) tusdt(w, s->t_hot, tron_user(w, false), v);
        } else {
            uint64_t v = (uint64_t)gen_range(&w->r, 10, 200000) * SUN_PER_TRX;
            if (w->t.acct[s->t_hot].trx >= v) gt_trx(w, s->t_hot, tron_user(w, false), v);
        }
    } else {
        if ((who = tron_rich_user(w, true, 20000000)) != UINT32_MAX)
            tusdt(w, who, s->t_otc, w->t.acct[who].usdt / gen_range(&w->r, 1, 3));
    }
}

void tron_tick_end(gen_world *w, uint64_t n)
{
    bridge_releases(w);
    for (uint64_t i = 0; i < n; i++) bg_tron(w);
    gt_block(w, w->now + 300);
}
