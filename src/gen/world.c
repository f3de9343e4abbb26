/* world.c — the world generator's main loop and its services: the clock (one Bitcoin block,
 * one Ethereum block and one Tron block a tick; Tron's services and traffic are in
 * tron_world.c), the premine (block 0's coinbase on Bitcoin, beacon
 * withdrawals on Ethereum), and the background traffic of ordinary users: payments,
 * exchanges (per-customer deposit addresses swept or forwarded to a hot wallet, withdrawals
 * from it), a Whirlpool-like CoinJoin (tx0 premix outputs, rounds of 5 inputs of distinct
 * owners and 5 equal outputs), THORChain swaps both ways (inbound with a memo, outbound
 * with OUT:, some REFUND:, one streaming swap paid in 3 parts), a Uniswap-V2-style ETH/USDT
 * pool, USDT transfers (some to the OTC desk, some over the bridge to Tron) and Tornado Cash
 * deposits and withdrawals by users with gas-price habits. The recipes (recipes.c) act through the same services.
 */
#include "gen_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "sleuth/crypto.h"
#include "world_int.h"

/* ---------- random numbers ---------- */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
void gen_rng_seed(gen_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
uint64_t gen_rnd(gen_rng *r)
{
    uint64_t *s = r->s, v = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return v;
}
uint32_t gen_below(gen_rng *r, uint32_t n) { return (uint32_t)(((gen_rnd(r) >> 32) * (uint64_t)n) >> 32); }
uint32_t gen_range(gen_rng *r, uint32_t lo, uint32_t hi) { return lo + gen_below(r, hi - lo + 1); }
double gen_unit(gen_rng *r) { return (double)(gen_rnd(r) >> 11) * 0x1.0p-53; }
bool gen_chance(gen_rng *r, double p) { return gen_unit(r) < p; }
void gen_bytes(gen_rng *r, uint8_t *p, size_t n)
{
    while (n >= 8) { uint64_t v = gen_rnd(r); memcpy(p, &v, 8); p += 8, n -= 8; }
    if (n) { uint64_t v = gen_rnd(r); memcpy(p, &v, n); }
}

/* ---------- failure and memory ---------- */
void gen_fail(gen_world *w, int code, const char *fmt, ...)
{
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    sl_err(w->e, code, "gen world: %s", m);
    longjmp(w->jb, code ? code : SL_EIO);
}

void gen_close_file(gen_world *w, FILE **f, const char *sub)
{
    FILE *x = *f;
    *f = NULL;
    if (x && fclose(x) != 0) gen_fail(w, SL_EIO, "%s/%s: cannot write a block file: %s", w->dir, sub, strerror(errno));
}

void gen_grow(gen_world *w, void *arr, size_t *cap, size_t need, size_t elt)
{
    if (sl_grow((void **)arr, cap, need, elt) != SL_OK) gen_fail(w, SL_ENOMEM, "out of memory");
}

void gen_buf_put(gen_world *w, sl_buf *b, const void *p, size_t n)
{
    if (sl_buf_append(b, p, n) != SL_OK) gen_fail(w, SL_ENOMEM, "out of memory");
}

/* ---------- truth-addresses.csv and the thief's bookkeeping ---------- */
const char *gen_owner_name(int owner)
{
    static const char *const N[OWN_N] = {"user", "exchange", "victim", "thief", "thorchain", "dex", "mixer",
                                         "otc", "coinjoin", "miner", "relayer", "token", "bridge"};
    return owner >= 0 && owner < OWN_N ? N[owner] : "?";
}

void gen_addr_row(gen_world *w, const char *chain, const char *addr, int owner, const char *role)
{
    if (fprintf(w->csv, "%s,%s,%s,%s\n", chain, addr, gen_owner_name(owner), role) < 0)
        gen_fail(w, SL_EIO, "%s/truth-addresses.csv: write failed: %s", w->dir, strerror(errno));
}

thief_addr *thief_find(gen_world *w, int chain, uint32_t idx)
{
    for (size_t i = w->n_thieves; i-- > 0;)
        if (w->thieves[i].chain == chain && w->thieves[i].idx == idx) return &w->thieves[i];
    return NULL;
}

thief_addr *thief_add(gen_world *w, int chain, uint32_t idx, const char *role)
{
    thief_addr *t = thief_find(w, chain, idx);
    if (t) return t;
    gen_grow(w, &w->thieves, &w->cap_thieves, w->n_thieves + 1, sizeof *w->thieves);
    t = &w->thieves[w->n_thieves++];
    memset(t, 0, sizeof *t);
    t->chain = chain, t->idx = idx, t->role = role;
    return t;
}

/* The value of a thief address's holdings in units of the loot's asset. */
static double share_of(gen_world *w, const thief_addr *t)
{
    double btc = (double)t->sat / SAT_PER_BTC, eth = (double)t->wei / 1e18, usdt = (double)t->usdt / 1e6;
    double in_eth = btc * PRICE_BTC_ETH + eth + usdt / PRICE_ETH_USDT;
    double loot = w->dmm ? (double)w->loot / SAT_PER_BTC * PRICE_BTC_ETH : (double)w->loot / 1e18;
    return loot > 0 ? in_eth / loot : 0;
}

static bool is_thief(gen_world *w, int chain, uint32_t idx)
{
    if (chain == 2) return w->t.acct[idx].owner == OWN_THIEF;
    return chain ? w->x.acct[idx].owner == OWN_THIEF : w->b.addrs[idx].owner == OWN_THIEF;
}

void thief_credit(gen_world *w, int chain, uint32_t idx, int asset, u128 amount)
{
    thief_addr *t;
    double s;
    if (!is_thief(w, chain, idx) || !(t = thief_find(w, chain, idx))) return;
    if (asset == ASSET_BTC) t->sat += (uint64_t)amount;
    else if (asset == ASSET_ETH) t->wei += amount;
    else t->usdt += (uint64_t)amount;
    s = share_of(w, t);
    if (s > t->max_share) t->max_share = s;
}

void thief_debit(gen_world *w, int chain, uint32_t idx, int asset, u128 amount)
{
    thief_addr *t;
    if (!is_thief(w, chain, idx) || !(t = thief_find(w, chain, idx))) return;
    if (asset == ASSET_BTC) t->sat -= t->sat < amount ? t->sat : (uint64_t)amount;
    else if (asset == ASSET_ETH) t->wei -= t->wei < amount ? t->wei : amount;
    else t->usdt -= t->usdt < amount ? t->usdt : (uint64_t)amount;
}

void thief_tx(gen_world *w, int chain, const uint8_t h[32], const char *stage)
{
    gen_grow(w, &w->ttx, &w->cap_ttx, w->n_ttx + 1, sizeof *w->ttx);
    w->ttx[w->n_ttx].chain = chain;
    memcpy(w->ttx[w->n_ttx].h, h, 32);
    w->ttx[w->n_ttx++].stage = stage;
}

void final_add(gen_world *w, int chain, uint32_t idx, const char *asset, u128 amount, const char *kind)
{
    for (size_t i = 0; i < w->n_fin; i++) {
        struct final_ent *f = &w->fin[i];
        if (f->chain == chain && f->idx == idx && !strcmp(f->asset, asset) && !strcmp(f->kind, kind)) {
            f->amount += amount;
            return;
        }
    }
    gen_grow(w, &w->fin, &w->cap_fin, w->n_fin + 1, sizeof *w->fin);
    w->fin[w->n_fin++] = (struct final_ent){chain, idx, asset, amount, kind};
}

/* ---------- small helpers ---------- */
u128 eth_amount(gen_world *w, double lo, double hi)
{
    double v = lo + (hi - lo) * gen_unit(&w->r);
    return (u128)(uint64_t)(v * 1000.0) * (WEI_PER_ETH / 1000); /* 0.001 ETH granularity */
}

uint64_t gas_habit(gen_world *w, uint32_t acct)
{
    static const uint64_t G[] = {2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30};
    (void)w;
    return G[(acct * 2654435761u >> 7) % (sizeof G / sizeof *G)] * 1000000000ULL;
}

/* A random ordinary Ethereum user, often a new one. */
static uint32_t eth_user(gen_world *w, bool fresh)
{
    world_services *s = w->svc;
    if (!fresh && s->n_eusers > 50 && gen_chance(&w->r, 0.7)) return s->eusers[gen_below(&w->r, (uint32_t)s->n_eusers)];
    uint32_t a = ge_new_acct(w, OWN_USER, "user");
    gen_grow(w, &s->eusers, &s->cap_eusers, s->n_eusers + 1, sizeof *s->eusers);
    s->eusers[s->n_eusers++] = a;
    return a;
}

/* A user with at least min wei (a few tries; 0: none found). */
static uint32_t eth_rich_user(gen_world *w, u128 min)
{
    world_services *s = w->svc;
    for (int t = 0; t < 16 && s->n_eusers; t++) {
        uint32_t a = s->eusers[gen_below(&w->r, (uint32_t)s->n_eusers)];
        if (w->x.acct[a].bal >= min) return a;
    }
    return UINT32_MAX;
}

uint32_t btc_user_addr(gen_world *w)
{
    world_services *s = w->svc;
    if (s->n_busers > 100 && gen_chance(&w->r, 0.3)) return s->busers[gen_below(&w->r, (uint32_t)s->n_busers)];
    uint32_t a = gb_new_addr(w, gen_chance(&w->r, 0.8) ? BT_P2WPKH : BT_P2PKH, OWN_USER, "user");
    if (s->n_busers < 100000) {
        gen_grow(w, &s->busers, &s->cap_busers, s->n_busers + 1, sizeof *s->busers);
        s->busers[s->n_busers++] = a;
    }
    return a;
}

void utxo_push(gen_world *w, utxo_list *l, const gb_utxo *u)
{
    gen_grow(w, &l->u, &l->cap, l->n + 1, sizeof *l->u);
    l->u[l->n++] = *u;
}

/* Takes outputs of l, largest first... simply from the end, until they cover need;
 * returns their sum (less than need when l runs dry). The inputs go to the open tx. */
uint64_t utxo_spend(gen_world *w, utxo_list *l, uint64_t need)
{
    uint64_t sum = 0;
    while (sum < need && l->n) {
        /* prefer one output big enough when there is one */
        size_t pick = l->n - 1;
        for (size_t i = 0; i < l->n; i++)
            if (l->u[i].value >= need - sum) { pick = i; break; }
        gb_in(w, &l->u[pick]);
        sum += l->u[pick].value;
        l->u[pick] = l->u[--l->n];
    }
    return sum;
}

uint64_t btc_fee(gen_world *w, size_t nin, size_t nout)
{
    return (uint64_t)(11 + 68 * nin + 31 * nout) * gen_range(&w->r, 2, 25);
}

/* ---------- USDT ---------- */
void usdt_transfer_log(gen_world *w, uint32_t from, uint32_t to, uint64_t amount)
{
    world_services *s = w->svc;
    uint8_t top[3][32], d[32];
    memcpy(top[0], s->t_transfer, 32);
    if (from == UINT32_MAX) memset(top[1], 0, 32);
    else abi_addr(top[1], w->x.acct[from].a);
    abi_addr(top[2], w->x.acct[to].a);
    abi_u128(d, amount);
    ge_log_add(w, s->usdt, 3, (const uint8_t(*)[32])top, d, 32);
    if (from != UINT32_MAX) {
        w->x.acct[from].usdt -= w->x.acct[from].usdt < amount ? w->x.acct[from].usdt : amount;
        thief_debit(w, 1, from, ASSET_USDT, amount);
    }
    w->x.acct[to].usdt += amount;
    thief_credit(w, 1, to, ASSET_USDT, amount);
}

/* from -> to, amount USDT: a transfer(address,uint256) call on the token. */
void usdt_send(gen_world *w, uint32_t from, uint32_t to, uint64_t amount, uint64_t gas_price)
{
    world_services *s = w->svc;
    abi_enc a = {0};
    abi_word_addr(&a, w->x.acct[to].a);
    abi_word_u(&a, amount);
    abi_encode(w, &s->scratch, s->sel_transfer, &a);
    ge_tx_add(w, from, s->usdt, 0, gas_price, 52000, s->scratch.p, s->scratch.len);
    usdt_transfer_log(w, from, to, amount);
}

/* ---------- DEX: the constant-product pool, 0.3% fee ---------- */
static void swap_log(gen_world *w, uint32_t who, u128 a0in, u128 a1in, u128 a0out, u128 a1out)
{
    world_services *s = w->svc;
    uint8_t top[3][32];
    abi_enc a = {0};
    memcpy(top[0], s->t_swap_v2, 32);
    abi_addr(top[1], w->x.acct[s->router_v2].a);
    abi_addr(top[2], w->x.acct[who].a);
    abi_word_u(&a, a0in), abi_word_u(&a, a1in), abi_word_u(&a, a0out), abi_word_u(&a, a1out);
    abi_encode(w, &s->scratch, NULL, &a);
    ge_log_add(w, s->pool, 3, (const uint8_t(*)[32])top, s->scratch.p, s->scratch.len);
}

uint64_t dex_eth_to_usdt(gen_world *w, uint32_t who, u128 wei, uint64_t gas_price)
{
    world_services *s = w->svc;
    double in = (double)wei, rin = (double)s->pool_eth, rout = (double)s->pool_usdt;
    uint64_t out = (uint64_t)(rout * in * 997 / (rin * 1000 + in * 997));
    uint8_t sel[4];
    abi_sel(sel, "swapExactETHForTokens(uint256,address[],address,uint256)");
    ge_tx_add(w, who, s->pool, wei, gas_price, 120000, sel, 4);
    usdt_transfer_log(w, s->pool, who, out);
    swap_log(w, who, wei, 0, 0, out);
    s->pool_eth += wei;
    s->pool_usdt -= out;
    return out;
}

u128 dex_usdt_to_eth(gen_world *w, uint32_t who, uint64_t usdt, uint64_t gas_price)
{
    world_services *s = w->svc;
    double in = (double)usdt, rin = (double)s->pool_usdt, rout = (double)s->pool_eth;
    u128 out = (u128)(rout * in * 997 / (rin * 1000 + in * 997));
    abi_enc a = {0};
    out -= out % 1000000000ULL; /* whole gwei */
    abi_word_addr(&a, w->x.acct[s->pool].a);
    abi_word_u(&a, usdt);
    abi_encode(w, &s->scratch, s->sel_transfer, &a);
    ge_tx_add(w, who, s->usdt, 0, gas_price, 130000, s->scratch.p, s->scratch.len);
    usdt_transfer_log(w, who, s->pool, usdt);
    ge_call_add(w, s->pool, who, out);
    swap_log(w, who, 0, usdt, out, 0);
    s->pool_eth -= out;
    s->pool_usdt += usdt;
    return out;
}

/* ---------- Tornado Cash ---------- */
static const double TC_DENOM[4] = {0.1, 1, 10, 100};

u128 tc_denom(int pool) { return (u128)(TC_DENOM[pool] * 1000) * (WEI_PER_ETH / 1000); }

void tc_deposit(gen_world *w, uint32_t who, int pool, uint64_t gas_price, tc_note *note)
{
    world_services *s = w->svc;
    uint8_t top[2][32], sel[4];
    abi_enc a = {0}, d = {0};
    gen_bytes(&w->r, note->commitment, 32);
    note->pool = pool;
    abi_sel(sel, "deposit(bytes32)");
    abi_word_raw(&a, note->commitment);
    abi_encode(w, &s->scratch, sel, &a);
    ge_tx_add(w, who, s->tc[pool], tc_denom(pool), gas_price, 1000000, s->scratch.p, s->scratch.len);
    memcpy(note->dep_tx, ge_last_hash(w), 32);
    memcpy(top[0], s->t_tc_deposit, 32);
    memcpy(top[1], note->commitment, 32);
    abi_word_u(&d, s->tc_leaf[pool]++);
    abi_word_u(&d, w->now);
    abi_encode(w, &s->scratch, NULL, &d);
    ge_log_add(w, s->tc[pool], 2, (const uint8_t(*)[32])top, s->scratch.p, s->scratch.len);
}

/* The withdrawal of a note to `to` through relayer (or the recipient itself when relayer is
 * UINT32_MAX: fee 0). Returns the amount to receives. */
u128 tc_withdraw(gen_world *w, const tc_note *note, uint32_t to, uint32_t relayer, uint64_t gas_price)
{
    world_services *s = w->svc;
    uint8_t top[2][32], proof[256], root[32], nullifier[32];
    u128 denom = tc_denom(note->pool), fee = relayer == UINT32_MAX ? 0 : denom / 400; /* 0.25% */
    uint32_t sender = relayer == UINT32_MAX ? to : relayer;
    abi_enc a = {0}, d = {0};
    gen_bytes(&w->r, proof, sizeof proof);
    gen_bytes(&w->r, root, 32);
    gen_bytes(&w->r, nullifier, 32);
    abi_word_bytes(&a, proof, sizeof proof);
    abi_word_raw(&a, root);
    abi_word_raw(&a, nullifier);
    abi_word_addr(&a, w->x.acct[to].a);
    abi_word_addr(&a, w->x.acct[sender].a);
    abi_word_u(&a, fee);
    abi_word_u(&a, 0);
    abi_encode(w, &s->scratch, s->sel_tc_withdraw, &a);
    ge_tx_add(w, sender, s->tc[note->pool], 0, gas_price, 350000, s->scratch.p, s->scratch.len);
    ge_call_add(w, s->tc[note->pool], to, denom - fee);
    if (fee) ge_call_add(w, s->tc[note->pool], relayer, fee);
    memcpy(top[0], s->t_tc_withdrawal, 32);
    abi_addr(top[1], w->x.acct[sender].a);
    abi_word_addr(&d, w->x.acct[to].a);
    abi_word_raw(&d, nullifier);
    abi_word_u(&d, fee);
    abi_encode(w, &s->scratch, NULL, &d);
    ge_log_add(w, s->tc[note->pool], 2, (const uint8_t(*)[32])top, s->scratch.p, s->scratch.len);
    return denom - fee;
}

/* ---------- THORChain ---------- */
static void upper_hex(char *out, const uint8_t *h, bool rev)
{
    if (rev) sl_hex_encode_rev(out, h, 32);
    else sl_hex_encode(out, h, 32);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
}

static void swap_push(gen_world *w, const gen_swap *sw)
{
    world_services *s = w->svc;
    gen_grow(w, &s->swaps, &s->cap_swaps, s->n_swaps + 1, sizeof *s->swaps);
    s->swaps[s->n_swaps++] = *sw;
}

/* Bitcoin inbound: the inputs already added by the caller cover in_sum; pays the vault
 * `amount` in output 0, the memo, change to change_addr. Queues the outbound. */
void thor_btc_inbound(gen_world *w, uint64_t in_sum, uint64_t amount, uint32_t change_addr, uint32_t dest_eth,
                      int form, bool usdt, int parts, bool refund, uint32_t refund_to, const char *stage)
{
    world_services *s = w->svc;
    char memo[200], dest[43], lim[40];
    uint64_t fee = btc_fee(w, w->b.n_ins, 3);
    gen_swap sw = {0};
    double out_eth;
    if (amount + fee > in_sum) amount = in_sum - fee; /* the caller's estimate of the fee was low */
    out_eth = (double)amount / SAT_PER_BTC * PRICE_BTC_ETH * (1 - (0.003 + 0.002 * gen_unit(&w->r)));
    dest[0] = '0', dest[1] = 'x';
    sl_hex_encode(dest + 2, w->x.acct[dest_eth].a, 20);
    snprintf(lim, sizeof lim, "%llu%s", (unsigned long long)(out_eth * 0.98 * 1e8),
             parts > 1 ? "/3/0" : "");
    if (usdt)
        snprintf(memo, sizeof memo, "=:ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7:%s:%s", dest, lim);
    else if (form == 1) snprintf(memo, sizeof memo, "SWAP:ETH.ETH:%s:%s", dest, lim);
    else if (form == 2) snprintf(memo, sizeof memo, "s:e:%s:%s", dest, lim);
    else snprintf(memo, sizeof memo, "=:ETH.ETH:%s:%s", dest, lim);
    gb_out(w, s->btc_vault, amount);
    gb_opret(w, memo);
    if (in_sum > amount + fee + 1000) gb_out(w, change_addr, in_sum - amount - fee);
    gb_end(w);
    utxo_push(w, &s->vault_utxo, &w->b.made[0]);
    if (w->b.n_made > 2 && !thief_find(w, 0, change_addr)) gb_pool_add(w, &w->b.made[2]);
    sw.due = w->tick + gen_range(&w->r, 1, 3);
    sw.dir = 0;
    memcpy(sw.in_id, w->b.last_txid, 32);
    sw.dest = dest_eth;
    sw.out = (u128)(out_eth * 1e6) * 1000000000000ULL;
    sw.usdt_out = usdt ? (uint64_t)(out_eth * PRICE_ETH_USDT * 1e6) : 0;
    sw.parts = parts;
    sw.refund = refund;
    sw.refund_to = refund_to;
    sw.refund_amount = amount - amount / 200;
    sw.stage = stage;
    swap_push(w, &sw);
    if (stage) thief_tx(w, 0, w->b.last_txid, stage);
}

/* Ethereum inbound: who deposits wei through the router for a Bitcoin destination. */
void thor_eth_inbound(gen_world *w, uint32_t who, u128 wei, uint32_t dest_btc, uint64_t gas_price, const char *stage)
{
    world_services *s = w->svc;
    char memo[160], dest[96];
    uint8_t top[3][32], zero[20] = {0};
    abi_enc a = {0}, d = {0};
    gen_swap sw = {0};
    double out_btc = (double)wei / 1e18 / PRICE_BTC_ETH * (1 - (0.003 + 0.002 * gen_unit(&w->r)));
    gb_addr_str(w, dest_btc, dest);
    snprintf(memo, sizeof memo, "=:BTC.BTC:%s:0/1/0", dest);
    abi_word_addr(&a, w->x.acct[s->eth_vault].a);
    abi_word_addr(&a, zero);
    abi_word_u(&a, wei);
    abi_word_str(&a, memo);
    abi_word_u(&a, w->now + 900);
    abi_encode(w, &s->scratch, s->sel_deposit_exp, &a);
    ge_tx_add(w, who, s->router, wei, gas_price, 70000, s->scratch.p, s->scratch.len);
    ge_call_add(w, s->router, s->eth_vault, wei);
    memcpy(top[0], s->t_thor_deposit, 32);
    abi_addr(top[1], w->x.acct[s->eth_vault].a);
    memset(top[2], 0, 32);
    abi_word_u(&d, wei);
    abi_word_str(&d, memo);
    abi_encode(w, &s->scratch, NULL, &d);
    ge_log_add(w, s->router, 3, (const uint8_t(*)[32])top, s->scratch.p, s->scratch.len);
    sw.due = w->tick + gen_range(&w->r, 1, 3);
    sw.dir = 1;
    memcpy(sw.in_id, ge_last_hash(w), 32);
    sw.dest = dest_btc;
    sw.out = (u128)(uint64_t)(out_btc * SAT_PER_BTC);
    sw.parts = 1;
    sw.stage = stage;
    swap_push(w, &sw);
    if (stage) thief_tx(w, 1, ge_last_hash(w), stage);
}

static void thor_eth_out(gen_world *w, const gen_swap *sw, u128 value)
{
    world_services *s = w->svc;
    char memo[80];
    uint8_t top[3][32], zero[20] = {0};
    abi_enc a = {0}, d = {0};
    bool usdt = sw->usdt_out != 0;
    uint64_t tok = sw->parts ? sw->usdt_out / (uint64_t)sw->parts : 0;
    memcpy(memo, "OUT:", 4);
    upper_hex(memo + 4, sw->in_id, true);
    abi_word_addr(&a, w->x.acct[sw->dest].a);
    abi_word_addr(&a, usdt ? w->x.acct[s->usdt].a : zero);
    abi_word_u(&a, usdt ? tok : value);
    abi_word_str(&a, memo);
    abi_encode(w, &s->scratch, s->sel_transfer_out, &a);
    ge_tx_add(w, s->eth_vault, s->router, usdt ? 0 : value, 30000000000ULL, 60000, s->scratch.p, s->scratch.len);
    if (usdt) usdt_transfer_log(w, s->router, sw->dest, tok);
    else ge_call_add(w, s->router, sw->dest, value);
    memcpy(top[0], s->t_thor_transfer_out, 32);
    abi_addr(top[1], w->x.acct[s->eth_vault].a);
    abi_addr(top[2], w->x.acct[sw->dest].a);
    abi_word_addr(&d, usdt ? w->x.acct[s->usdt].a : zero);
    abi_word_u(&d, usdt ? tok : value);
    abi_word_str(&d, memo);
    abi_encode(w, &s->scratch, NULL, &d);
    ge_log_add(w, s->router, 3, (const uint8_t(*)[32])top, s->scratch.p, s->scratch.len);
    if (sw->stage) {
        thief_tx(w, 1, ge_last_hash(w), sw->stage);
        thief_credit(w, 1, sw->dest, usdt ? ASSET_USDT : ASSET_ETH, usdt ? tok : value);
    }
}

/* A Bitcoin payment out of the vault with memo (OUT:/REFUND:), change back to the vault. */
static void thor_btc_out(gen_world *w, uint32_t dest, uint64_t amount, const char *memo, const char *stage)
{
    world_services *s = w->svc;
    uint64_t fee = btc_fee(w, 2, 3), sum;
    gb_begin(w);
    sum = utxo_spend(w, &s->vault_utxo, amount + fee);
    if (sum < amount + fee) gen_fail(w, SL_EUSAGE, "generator bug: the THORChain vault ran dry");
    gb_out(w, dest, amount);
    gb_opret(w, memo);
    if (sum - amount - fee > 1000) gb_out(w, s->btc_vault, sum - amount - fee);
    gb_end(w);
    if (w->b.n_made > 2) utxo_push(w, &s->vault_utxo, &w->b.made[2]);
    if (stage) {
        thief_tx(w, 0, w->b.last_txid, stage);
        thief_credit(w, 0, dest, ASSET_BTC, amount);
        utxo_push(w, &w->loot_utxo, &w->b.made[0]);
    } else {
        gb_pool_add(w, &w->b.made[0]);
    }
}

static void swaps_due(gen_world *w)
{
    world_services *s = w->svc;
    size_t k = 0;
    for (size_t i = 0; i < s->n_swaps; i++) {
        gen_swap *sw = &s->swaps[i];
        char memo[80];
        if (sw->due > w->tick) { s->swaps[k++] = *sw; continue; }
        if (sw->dir == 0 && sw->refund) {
            memcpy(memo, "REFUND:", 7);
            upper_hex(memo + 7, sw->in_id, true);
            thor_btc_out(w, sw->refund_to, sw->refund_amount, memo, NULL);
        } else if (sw->dir == 0) {
            /* a streaming swap is paid in parts, each with the same OUT: memo */
            u128 part = sw->out / (u128)sw->parts;
            thor_eth_out(w, sw, part);
            if (--sw->parts > 0) {
                sw->out -= part;
                sw->due = w->tick + 1;
                s->swaps[k++] = *sw;
            }
        } else {
            memcpy(memo, "OUT:", 4);
            upper_hex(memo + 4, sw->in_id, false);
            thor_btc_out(w, sw->dest, (uint64_t)sw->out, memo, sw->stage);
        }
    }
    s->n_swaps = k;
}

/* ---------- background: Bitcoin ---------- */
static void bg_btc_payment(gen_world *w)
{
    gb_utxo u, v;
    uint64_t in, fee, pay;
    if (!gb_pool_take(w, &u, 20000)) return;
    gb_begin(w);
    gb_in(w, &u);
    in = u.value;
    if (gen_chance(&w->r, 0.3) && gb_pool_take(w, &v, 1)) { gb_in(w, &v); in += v.value; }
    fee = btc_fee(w, w->b.n_ins, 2);
    pay = (uint64_t)((double)(in - fee) * (0.05 + 0.9 * gen_unit(&w->r)));
    gb_out(w, btc_user_addr(w), pay);
    gb_out(w, btc_user_addr(w), in - fee - pay);
    gb_end(w);
    gb_pool_add(w, &w->b.made[0]);
    gb_pool_add(w, &w->b.made[1]);
}

uint32_t btc_deposit_addr(gen_world *w, int ex)
{
    world_services *s = w->svc;
    addr_list *l = &s->bdep[ex];
    if (l->n > 20 && gen_chance(&w->r, 0.5)) return l->a[gen_below(&w->r, (uint32_t)l->n)];
    uint32_t a = gb_new_addr(w, BT_P2WPKH, OWN_EXCHANGE, s->bx_dep_role[ex]);
    gen_grow(w, &l->a, &l->cap, l->n + 1, sizeof *l->a);
    l->a[l->n++] = a;
    return a;
}

static void bg_btc_exchange(gen_world *w)
{
    world_services *s = w->svc;
    int ex = (int)gen_below(&w->r, N_BX);
    uint32_t r = gen_below(&w->r, 3);
    if (r == 0) { /* a customer deposits */
        gb_utxo u;
        uint64_t fee, pay;
        if (!gb_pool_take(w, &u, 50000)) return;
        fee = btc_fee(w, 1, 2);
        pay = (uint64_t)((double)(u.value - fee) * (0.2 + 0.8 * gen_unit(&w->r)));
        gb_begin(w);
        gb_in(w, &u);
        gb_out(w, btc_deposit_addr(w, ex), pay);
        if (u.value - fee - pay > 1000) gb_out(w, btc_user_addr(w), u.value - fee - pay);
        gb_end(w);
        utxo_push(w, &s->bdep_utxo[ex], &w->b.made[0]);
        if (w->b.n_made > 1) gb_pool_add(w, &w->b.made[1]);
    } else if (r == 1 && s->bdep_utxo[ex].n >= 3) { /* the exchange sweeps deposits to its hot wallet */
        utxo_list *l = &s->bdep_utxo[ex];
        size_t n = l->n < 20 ? l->n : 20;
        uint64_t sum = 0, fee = btc_fee(w, n, 1);
        gb_begin(w);
        for (size_t i = 0; i < n; i++) { gb_in(w, &l->u[l->n - 1 - i]); sum += l->u[l->n - 1 - i].value; }
        l->n -= n;
        if (sum <= fee + 1000) return; /* nothing serialized: the inputs stay spent, harmless */
        gb_out(w, s->bx_hot[ex], sum - fee);
        gb_end(w);
        utxo_push(w, &s->bhot_utxo[ex], &w->b.made[0]);
    } else { /* a withdrawal from the hot wallet */
        utxo_list *l = &s->bhot_utxo[ex];
        uint64_t pay = (uint64_t)gen_range(&w->r, 100000, 300000000), fee = btc_fee(w, 1, 2), sum;
        if (!l->n) return;
        gb_begin(w);
        sum = utxo_spend(w, l, pay + fee + 1000);
        if (sum < fee + 4000) return; /* dust left in the hot wallet: not spent after all */
        if (sum < pay + fee + 1000) pay = (sum - fee) / 2;
        gb_out(w, btc_user_addr(w), pay);
        gb_out(w, s->bx_hot[ex], sum - pay - fee);
        gb_end(w);
        gb_pool_add(w, &w->b.made[0]);
        utxo_push(w, l, &w->b.made[1]);
    }
}

/* tx0 of the CoinJoin: a premix output of the pool's denomination plus its mining share. */
void cj_tx0(gen_world *w, const gb_utxo *u, uint32_t premix_addr, uint32_t change_addr, bool thief)
{
    world_services *s = w->svc;
    uint64_t fee = btc_fee(w, 1, 3), need = CJ_DENOM + CJ_PREMIX_FEE + CJ_COORD_FEE + fee;
    if (u->value < need) gen_fail(w, SL_EUSAGE, "generator bug: tx0 input too small");
    gb_begin(w);
    gb_in(w, u);
    gb_out(w, premix_addr, CJ_DENOM + CJ_PREMIX_FEE);
    gb_out(w, s->coord, CJ_COORD_FEE);
    if (u->value - need > 1000) gb_out(w, change_addr, u->value - need);
    gb_end(w);
    utxo_push(w, thief ? &s->premix_thief : &s->premix, &w->b.made[0]);
    if (w->b.n_made > 2 && !thief) gb_pool_add(w, &w->b.made[2]);
}

/* A round: up to `mine` premix outputs of the thief (0 for a background round) and the
 * rest from users, 5 in all; 5 outputs of CJ_DENOM. Thief outputs go to thief postmix
 * addresses (returned in out_thief). Returns false when there are not enough premixes. */
bool cj_round(gen_world *w, size_t mine, uint32_t *thief_out, size_t *n_thief_out)
{
    world_services *s = w->svc;
    bool is_thief[5];
    if (s->premix.n < 5 - mine || s->premix_thief.n < mine) return false;
    gb_begin(w);
    for (size_t i = 0; i < 5; i++) {
        utxo_list *l = i < mine ? &s->premix_thief : &s->premix;
        is_thief[i] = i < mine;
        gb_in(w, &l->u[--l->n]);
    }
    /* outputs in random order: a round's outputs do not say which input they belong to */
    for (size_t i = 4; i > 0; i--) {
        size_t j = gen_below(&w->r, (uint32_t)i + 1);
        bool t = is_thief[i];
        is_thief[i] = is_thief[j], is_thief[j] = t;
    }
    *n_thief_out = 0;
    for (size_t i = 0; i < 5; i++) {
        uint32_t a = gb_new_addr(w, BT_P2WPKH, is_thief[i] ? OWN_THIEF : OWN_USER, is_thief[i] ? "postmix" : "user");
        if (is_thief[i]) {
            thief_add(w, 0, a, "postmix");
            thief_out[(*n_thief_out)++] = (uint32_t)i;
        }
        gb_out(w, a, CJ_DENOM);
    }
    gb_end(w);
    for (size_t i = 0; i < 5; i++)
        if (!is_thief[i]) gb_pool_add(w, &w->b.made[i]);
    return true;
}

static void bg_btc_coinjoin(gen_world *w)
{
    world_services *s = w->svc;
    gb_utxo u;
    size_t n;
    uint32_t t[5];
    if (s->premix.n >= 5 && gen_chance(&w->r, 0.5)) { cj_round(w, 0, t, &n); return; }
    if (!gb_pool_take(w, &u, CJ_DENOM + CJ_PREMIX_FEE + CJ_COORD_FEE + 100000)) return;
    cj_tx0(w, &u, gb_new_addr(w, BT_P2WPKH, OWN_USER, "user"), btc_user_addr(w), false);
}

static void bg_btc_thor(gen_world *w)
{
    world_services *s = w->svc;
    gb_utxo u;
    uint64_t amount;
    int parts = 1;
    bool refund = gen_chance(&w->r, 0.08), usdt = !refund && gen_chance(&w->r, 0.1);
    if (!gb_pool_take(w, &u, 200000)) return;
    amount = (uint64_t)((double)u.value * (0.3 + 0.6 * gen_unit(&w->r)));
    if (!s->streamed && !refund && !usdt) parts = 3, s->streamed = true;
    gb_begin(w);
    gb_in(w, &u);
    thor_btc_inbound(w, u.value, amount, btc_user_addr(w), eth_user(w, false), (int)gen_below(&w->r, 3), usdt, parts,
                     refund, btc_user_addr(w), NULL);
}

static void bg_btc(gen_world *w)
{
    uint32_t r = gen_below(&w->r, 100);
    if (r < 55) bg_btc_payment(w);
    else if (r < 80) bg_btc_exchange(w);
    else if (r < 90) bg_btc_coinjoin(w);
    else bg_btc_thor(w);
}

/* ---------- background: Ethereum ---------- */
uint32_t eth_deposit_addr(gen_world *w, int ex)
{
    world_services *s = w->svc;
    addr_list *l = &s->edep[ex];
    if (l->n > 20 && gen_chance(&w->r, 0.5)) return l->a[gen_below(&w->r, (uint32_t)l->n)];
    uint32_t a = ge_new_acct(w, OWN_EXCHANGE, s->ex_dep_role[ex]);
    gen_grow(w, &l->a, &l->cap, l->n + 1, sizeof *l->a);
    l->a[l->n++] = a;
    return a;
}

/* A deposit address forwards what it holds to its exchange's hot wallet. */
static void eth_forward(gen_world *w, int ex)
{
    world_services *s = w->svc;
    addr_list *l = &s->edep[ex];
    uint32_t d;
    u128 gas = (u128)21000 * 20000000000ULL;
    if (!l->n) return;
    d = l->a[gen_below(&w->r, (uint32_t)l->n)];
    if (w->x.acct[d].bal <= gas + WEI_PER_ETH / 1000) return;
    ge_tx_add(w, d, s->ex_hot[ex], w->x.acct[d].bal - gas, 20000000000ULL, 21000, NULL, 0);
}

static void bg_eth_tornado(gen_world *w)
{
    world_services *s = w->svc;
    int pool = (int)gen_below(&w->r, 4);
    uint32_t who = pool == 3 ? s->whales[gen_below(&w->r, N_WHALES)] : eth_rich_user(w, tc_denom(pool) + WEI_PER_ETH / 10);
    tc_pending *p;
    if (who == UINT32_MAX || w->x.acct[who].bal < tc_denom(pool) + WEI_PER_ETH / 10) return;
    gen_grow(w, &s->tcq, &s->cap_tcq, s->n_tcq + 1, sizeof *s->tcq);
    p = &s->tcq[s->n_tcq++];
    tc_deposit(w, who, pool, gas_habit(w, who), &p->note);
    p->due = w->tick + gen_range(&w->r, 1, 30);
    p->gas = gas_habit(w, who);
}

static void tornado_due(gen_world *w)
{
    world_services *s = w->svc;
    size_t k = 0;
    for (size_t i = 0; i < s->n_tcq; i++) {
        tc_pending *p = &s->tcq[i];
        if (p->due > w->tick) { s->tcq[k++] = *p; continue; }
        uint32_t to = eth_user(w, true);
        uint32_t rel = gen_chance(&w->r, 0.7) ? s->relayer[gen_below(&w->r, N_RELAYER)] : UINT32_MAX;
        tc_withdraw(w, &p->note, to, rel, p->gas);
    }
    s->n_tcq = k;
}

static void bg_eth(gen_world *w)
{
    world_services *s = w->svc;
    uint32_t r = gen_below(&w->r, 100), who;
    int ex = (int)gen_below(&w->r, N_EX);
    if (r < 30) { /* a payment between users */
        who = eth_rich_user(w, WEI_PER_ETH / 20);
        if (who == UINT32_MAX) r = 45;
        else ge_tx_add(w, who, eth_user(w, false), w->x.acct[who].bal / gen_range(&w->r, 2, 20), gas_habit(w, who),
                       21000, NULL, 0);
    }
    if (r >= 30 && r < 42) { /* a customer deposits to an exchange */
        who = eth_rich_user(w, WEI_PER_ETH / 20);
        if (who == UINT32_MAX) r = 45;
        else ge_tx_add(w, who, eth_deposit_addr(w, ex), w->x.acct[who].bal / gen_range(&w->r, 2, 5),
                       gas_habit(w, who), 21000, NULL, 0);
    }
    if (r >= 42 && r < 50) eth_forward(w, ex);
    else if (r >= 50 && r < 62) /* a withdrawal from the hot wallet */
        ge_tx_add(w, s->ex_hot[ex], eth_user(w, false), eth_amount(w, 0.05, 40), 25000000000ULL, 21000, NULL, 0);
    else if (r >= 62 && r < 70) {
        who = eth_rich_user(w, WEI_PER_ETH / 5);
        if (who != UINT32_MAX) dex_eth_to_usdt(w, who, w->x.acct[who].bal / 4, gas_habit(w, who));
    } else if (r >= 70 && r < 78) {
        who = s->eusers[gen_below(&w->r, (uint32_t)s->n_eusers)];
        if (w->x.acct[who].usdt > 1000000) {
            uint64_t amt = w->x.acct[who].usdt / 2;
            uint32_t c = gen_below(&w->r, 4);
            if (c == 0) dex_usdt_to_eth(w, who, amt, gas_habit(w, who));
            else if (c == 3 && amt >= BRIDGE_MIN) /* to Tron, over the bridge */
                bridge_deposit(w, who, amt, tron_user(w, gen_chance(&w->r, 0.5)), gas_habit(w, who), NULL);
            else usdt_send(w, who, c == 1 ? s->otc : eth_user(w, false), amt, gas_habit(w, who));
        }
    } else if (r >= 78 && r < 88) {
        bg_eth_tornado(w);
    } else if (r >= 88) {
        who = eth_rich_user(w, WEI_PER_ETH / 2);
        if (who != UINT32_MAX)
            thor_eth_inbound(w, who, w->x.acct[who].bal / 3 / 1000000000ULL * 1000000000ULL, btc_user_addr(w),
                             gas_habit(w, who), NULL);
    }
}

/* ---------- setup and the loop ---------- */
static const char ROUTER[] = "d37bbe5744d730a1d98d8dc97c42f0ca46ad7146";
static const char USDT[] = "dac17f958d2ee523a2206206994597c13d831ec7";
static const char *const TC_ADDR[4] = {"12d66f87a04a9e220743712ce6d9bb1b5616b8fc", "47ce0c6ed5b0ce3d3a51fdb1c52dc66a7c3c2936",
                                       "910cbd523d972eb0a6f4cae4618ad62622b39dbf", "a160cdab225685da1d56aa342ad8841c3b53f291"};
static const char *const TC_NAME[4] = {"Tornado.Cash 0.1 ETH", "Tornado.Cash 1 ETH", "Tornado.Cash 10 ETH",
                                       "Tornado.Cash 100 ETH"};

static void services_setup(gen_world *w)
{
    world_services *s = w->svc;
    static const char *const BX[N_BX] = {"Exchange A", "Exchange B", "Exchange C"};
    static const char *const EX[N_EX] = {"Exchange D", "Exchange E", "Exchange F"};
    static const char *const BX_HOT[N_BX] = {"Exchange A: hot wallet", "Exchange B: hot wallet", "Exchange C: hot wallet"};
    static const char *const EX_HOT[N_EX] = {"Exchange D: hot wallet", "Exchange E: hot wallet", "Exchange F: hot wallet"};
    static const char *const BX_DEP[N_BX] = {"Exchange A: deposit address", "Exchange B: deposit address",
                                             "Exchange C: deposit address"};
    static const char *const EX_DEP[N_EX] = {"Exchange D: deposit address", "Exchange E: deposit address",
                                             "Exchange F: deposit address"};
    abi_topic(s->t_transfer, "Transfer(address,address,uint256)");
    abi_topic(s->t_swap_v2, "Swap(address,uint256,uint256,uint256,uint256,address)");
    abi_topic(s->t_tc_deposit, "Deposit(bytes32,uint32,uint256)");
    abi_topic(s->t_tc_withdrawal, "Withdrawal(address,bytes32,address,uint256)");
    abi_topic(s->t_thor_deposit, "Deposit(address,address,uint256,string)");
    abi_topic(s->t_thor_transfer_out, "TransferOut(address,address,address,uint256,string)");
    abi_sel(s->sel_transfer, "transfer(address,uint256)");
    abi_sel(s->sel_transfer_out, "transferOut(address,address,uint256,string)");
    abi_sel(s->sel_deposit_exp, "depositWithExpiry(address,address,uint256,string,uint256)");
    abi_sel(s->sel_tc_withdraw, "withdraw(bytes,bytes32,bytes32,address,address,uint256,uint256)");
    for (int i = 0; i < N_BX; i++) {
        s->bx_name[i] = BX[i];
        s->bx_dep_role[i] = BX_DEP[i];
        s->bx_hot[i] = gb_new_addr(w, BT_P2WPKH, w->dmm && i == 0 ? OWN_VICTIM : OWN_EXCHANGE,
                                   w->dmm && i == 0 ? "Exchange A: hot wallet (the victim)" : BX_HOT[i]);
    }
    s->btc_vault = gb_new_addr(w, BT_P2WPKH, OWN_THOR, "THORChain BTC vault");
    s->coord = gb_new_addr(w, BT_P2WPKH, OWN_COORD, "CoinJoin coordinator");
    w->x.miner = ge_new_acct(w, OWN_MINER, "fee recipient");
    for (int i = 0; i < N_EX; i++) {
        s->ex_name[i] = EX[i];
        s->ex_dep_role[i] = EX_DEP[i];
        s->ex_hot[i] = ge_new_acct(w, OWN_EXCHANGE, EX_HOT[i]);
    }
    s->eth_vault = ge_new_acct(w, OWN_THOR, "THORChain ETH vault");
    s->router = ge_fixed_acct(w, ROUTER, OWN_THOR, "THORChain router");
    s->usdt = ge_fixed_acct(w, USDT, OWN_TOKEN, "USDT token");
    s->pool = ge_new_acct(w, OWN_DEX, "ETH/USDT pool");
    s->router_v2 = ge_new_acct(w, OWN_DEX, "DEX router");
    s->tether = ge_new_acct(w, OWN_TOKEN, "USDT treasury");
    for (int i = 0; i < 4; i++) s->tc[i] = ge_fixed_acct(w, TC_ADDR[i], OWN_MIXER, TC_NAME[i]);
    for (int i = 0; i < N_RELAYER; i++) s->relayer[i] = ge_new_acct(w, OWN_RELAYER, "Tornado relayer");
    s->otc = ge_new_acct(w, OWN_OTC, "OTC desk");
    tron_setup(w);
}

/* Block 0 of both chains: the Bitcoin premine and the Ethereum funding withdrawals. */
static void premine(gen_world *w, uint64_t n_users)
{
    world_services *s = w->svc;
    size_t n = 0;
    uint64_t loot_btc = w->dmm ? (uint64_t)w->loot : 0;
    double loot_eth = w->dmm ? 0 : (double)w->loot / 1e18;
#define PM(addr_, sat_)                                                         \
    do {                                                                        \
        gen_grow(w, &s->pm, &s->cap_pm, n + 1, sizeof *s->pm);                  \
        s->pm[n++] = (struct gb_out){(uint64_t)(sat_), (addr_), NULL};          \
    } while (0)
    for (int i = 0; i < N_BX; i++)
        for (int k = 0; k < 10; k++) PM(s->bx_hot[i], 200 * SAT_PER_BTC);
    if (w->dmm)
        for (int k = 0; k < 5; k++) PM(s->bx_hot[0], loot_btc / 4);
    for (int k = 0; k < 40; k++) PM(s->btc_vault, (uint64_t)((500 + loot_eth / PRICE_BTC_ETH * 1.3 / 40) * SAT_PER_BTC));
    for (uint64_t k = 0; k < n_users; k++)
        PM(btc_user_addr(w), (uint64_t)gen_range(&w->r, 1000, 200000) * 10000); /* 0.1-20 BTC */
#undef PM
    gb_block(w, (uint32_t)w->now, s->pm, n);
    for (size_t k = 0; k < w->b.n_made; k++) {
        const gb_utxo *u = &w->b.made[k];
        if (u->addr == s->btc_vault) utxo_push(w, &s->vault_utxo, u);
        else if (u->addr == s->bx_hot[0] && w->dmm && u->value == loot_btc / 4) utxo_push(w, &w->victim_utxo, u);
        else {
            int ex = -1;
            for (int i = 0; i < N_BX; i++)
                if (u->addr == s->bx_hot[i]) ex = i;
            if (ex >= 0) utxo_push(w, &s->bhot_utxo[ex], u);
            else gb_pool_add(w, u);
        }
    }
    /* Ethereum: withdrawals to the services and the first users; USDT minted to the pool */
    for (int i = 0; i < N_EX; i++) ge_withdrawal(w, s->ex_hot[i], 50000ULL * 1000000000ULL);
    ge_withdrawal(w, s->eth_vault, (uint64_t)(20000 + (double)loot_btc / SAT_PER_BTC * PRICE_BTC_ETH * 1.3) * 1000000000ULL);
    ge_withdrawal(w, s->pool, 1000000ULL * 1000000000ULL);
    for (int i = 0; i < N_RELAYER; i++) ge_withdrawal(w, s->relayer[i], 10ULL * 1000000000ULL);
    ge_withdrawal(w, s->tether, 10ULL * 1000000000ULL);
    for (uint64_t k = 0; k < n_users / 2; k++)
        ge_withdrawal(w, eth_user(w, true), (uint64_t)gen_range(&w->r, 100, 50000) * 1000000ULL); /* 0.1-50 ETH */
    /* whales: users of the 100 ETH Tornado pool, so the thief's deposits are not alone */
    for (int k = 0; k < N_WHALES; k++) {
        s->whales[k] = eth_user(w, true);
        ge_withdrawal(w, s->whales[k], (uint64_t)gen_range(&w->r, 2000, 20000) * 1000000000ULL);
    }
    recipe_premine_eth(w);
    ge_tx_add(w, s->tether, s->usdt, 0, 20000000000ULL, 60000, NULL, 0);
    s->pool_eth = w->x.acct[s->pool].bal;
    s->pool_usdt = (uint64_t)((double)s->pool_eth / 1e18 * PRICE_ETH_USDT * 1e6);
    usdt_transfer_log(w, UINT32_MAX, s->pool, s->pool_usdt);
    for (size_t k = 0; k < 50 && k < s->n_eusers; k++)
        usdt_transfer_log(w, UINT32_MAX, s->eusers[k], (uint64_t)gen_range(&w->r, 100, 100000) * 1000000ULL);
    ge_block(w, w->now);
    tron_premine(w, n_users, (w->dmm ? (double)loot_btc / SAT_PER_BTC * PRICE_BTC_ETH : loot_eth) * PRICE_ETH_USDT);
}

static void mkdirs(gen_world *w)
{
    static const char *const SUB[] = {"", "/btc", "/eth", "/tron", "/tags"};
    for (size_t i = 0; i < sizeof SUB / sizeof *SUB; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", w->dir, SUB[i]);
        if (mkdir(p, 0755) != 0 && errno != EEXIST) gen_fail(w, SL_EIO, "%s: cannot create: %s", p, strerror(errno));
    }
    {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/btc/blk00000.dat", w->dir);
        if (stat(p, &st) == 0) gen_fail(w, SL_EUSAGE, "%s: a world is already there (remove it first)", w->dir);
    }
}

static void world_free(gen_world *w)
{
    world_services *s = w->svc;
    if (w->csv) fclose(w->csv);
    gb_free(w);
    ge_free(w);
    gt_free(w);
    if (s) {
        tron_free(w);
        for (int i = 0; i < N_BX; i++) sl_free(s->bdep[i].a), sl_free(s->bdep_utxo[i].u), sl_free(s->bhot_utxo[i].u);
        for (int i = 0; i < N_EX; i++) sl_free(s->edep[i].a);
        sl_free(s->vault_utxo.u), sl_free(s->premix.u), sl_free(s->premix_thief.u);
        sl_free(s->eusers), sl_free(s->busers), sl_free(s->pm), sl_free(s->swaps), sl_free(s->tcq);
        sl_buf_free(&s->scratch);
        sl_free(s);
    }
    sl_free(w->loot_utxo.u), sl_free(w->victim_utxo.u);
    recipe_free(w);
    sl_free(w->thieves), sl_free(w->ttx), sl_free(w->fin), sl_free(w->tl), sl_free(w->bl);
    sl_free(w->dir);
}

int sl_gen_world(const sl_gen_opts *opts, sl_gen_stats *st, sl_error *e)
{
    gen_world *w = sl_calloc(1, sizeof *w);
    volatile int rc = SL_OK;
    if (!w) return sl_err(e, SL_ENOMEM, "out of memory");
    w->o = *opts;
    w->e = e;
    if (!w->o.background_txs) w->o.background_txs = 20000;
    if (w->o.scale <= 0) w->o.scale = 1.0;
    if (!opts->recipe || (strcmp(opts->recipe, "dmm") && strcmp(opts->recipe, "bybit"))) {
        sl_free(w);
        return sl_err(e, SL_EUSAGE, "gen world: unknown recipe '%s' (dmm or bybit)", opts->recipe ? opts->recipe : "");
    }
    if ((rc = setjmp(w->jb)) != 0) goto out;
    w->dmm = !strcmp(opts->recipe, "dmm");
    if (!(w->dir = sl_strdup(opts->out))) gen_fail(w, SL_ENOMEM, "out of memory");
    if (!(w->svc = sl_calloc(1, sizeof *w->svc))) gen_fail(w, SL_ENOMEM, "out of memory");
    gen_rng_seed(&w->r, opts->seed ^ (w->dmm ? 0x646d6dULL : 0x6279626974ULL));
    snprintf(w->incident, sizeof w->incident, "world-%s-%llu", opts->recipe, (unsigned long long)opts->seed);
    mkdirs(w);
    {
        char p[4200];
        snprintf(p, sizeof p, "%s/truth-addresses.csv", w->dir);
        if (!(w->csv = fopen(p, "wb"))) gen_fail(w, SL_EIO, "%s: cannot create: %s", p, strerror(errno));
        fputs("chain,address,owner,role\n", w->csv);
    }
    gb_init(w);
    recipe_init(w); /* sets loot, start time, first Ethereum block */
    services_setup(w);
    recipe_setup(w);
    {
        /* a fifth of the background on Tron, the rest half each on Bitcoin and Ethereum */
        uint64_t tron = w->o.background_txs / 5, per_chain = (w->o.background_txs - tron) / 2, per_tick;
        w->n_ticks = per_chain / 400 + 1;
        if (w->n_ticks < 90) w->n_ticks = 90;
        per_tick = per_chain / w->n_ticks;
        w->bg_per_tick_btc = w->bg_per_tick_eth = per_tick;
        w->bg_per_tick_tron = tron / w->n_ticks;
        w->bg_left_btc = w->o.background_txs - tron - per_chain;
        w->bg_left_eth = per_chain;
        w->bg_left_tron = tron;
        premine(w, per_chain / 10 < 300 ? 300 : (per_chain / 10 > 20000 ? 20000 : per_chain / 10));
    }
    sl_progress_start(&w->pg, w->n_ticks, "ticks", w->o.quiet);
    for (w->tick = 1; w->tick <= w->n_ticks; w->tick++) {
        bool last = w->tick == w->n_ticks;
        uint64_t nb = last ? w->bg_left_btc : (w->bg_per_tick_btc < w->bg_left_btc ? w->bg_per_tick_btc : w->bg_left_btc);
        uint64_t ne = last ? w->bg_left_eth : (w->bg_per_tick_eth < w->bg_left_eth ? w->bg_per_tick_eth : w->bg_left_eth);
        uint64_t nt = last ? w->bg_left_tron
                           : (w->bg_per_tick_tron < w->bg_left_tron ? w->bg_per_tick_tron : w->bg_left_tron);
        /* ten minutes a tick while the laundering runs, then months pass in the rest */
        if (w->launder_end && w->tick > w->launder_end)
            w->now += (uint64_t)(120 * 86400) / (w->n_ticks - w->launder_end + 1);
        else
            w->now += 600;
        swaps_due(w);
        tornado_due(w);
        recipe_tick(w);
        for (uint64_t i = 0; i < nb; i++) bg_btc(w);
        for (uint64_t i = 0; i < ne; i++) bg_eth(w);
        w->bg_left_btc -= nb, w->bg_left_eth -= ne, w->bg_left_tron -= nt;
        gb_block(w, (uint32_t)w->now, NULL, 0);
        {
            const gb_utxo *m = &w->b.made[0];
            gb_pool_add(w, m);
        }
        ge_block(w, w->now + 7);
        tron_tick_end(w, nt);
        sl_progress_update(&w->pg, w->tick, w->b.total_txs + w->x.c.total_txs + w->t.c.total_txs);
    }
    sl_progress_end(&w->pg);
    gb_close(w);
    ge_close(w);
    gt_close(w);
    recipe_finish(w);
    truth_write(w);
    tags_write(w);
    if (fclose(w->csv) != 0) { w->csv = NULL; gen_fail(w, SL_EIO, "%s/truth-addresses.csv: write failed", w->dir); }
    w->csv = NULL;
    if (st) {
        st->btc_blocks = w->b.height;
        st->btc_txs = w->b.total_txs;
        st->eth_blocks = w->x.c.blocks;
        st->eth_txs = w->x.c.total_txs;
        st->tron_blocks = w->t.c.blocks;
        st->tron_txs = w->t.c.total_txs;
        st->thief_txs = w->n_ttx;
        st->addresses = w->b.n_addrs + w->x.n_acct + w->t.n_acct;
    }
out:
    world_free(w);
    sl_free(w);
    return rc;
}
