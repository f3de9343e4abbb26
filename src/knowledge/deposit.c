/* deposit.c — deposit-address clustering on account chains (include/sleuth/deposit.h;
 * the rule, constants and confidence in docs/DEPOSIT.md). One pass over flows.col in
 * store order:
 *   - every value transfer u -> x is a *payment*: it goes into the receipt window of
 *     (x, asset), which keeps the last WIN_R payments per key over the last 2 tau blocks
 *     (two generations of hash table: the older one is dropped once the newer one spans
 *     tau + 1 blocks, so nothing older than tau is lost and nothing older than 2 tau kept);
 *   - every transfer d -> h is also tried as a *sweep*: the newest unused payment into
 *     (d, asset) of another transaction, at most tau blocks before and at most alpha more
 *     than the sweep, is its match; d becomes (or stays) a candidate deposit of h.
 * After the pass the candidates are judged (customers, destinations, purity), grouped by
 * hot wallet, and the groups with at least k deposits are reported.
 * Memory: the window (receivers of the last 2 tau blocks) and one record per candidate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/deposit.h"
#include "sleuth/eth_store.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"

#define WIN_R 4   /* payments kept per (address, asset) in the window */

typedef struct recv {
    uint64_t flow, tx, block;
    sl_u128 amount;
    uint32_t sender;
    uint8_t used, kind;
} recv;

typedef struct wslot {
    recv r[WIN_R];
    uint8_t n, next;
} wslot;

/* One generation of the window: (address << 32 | asset) -> slot index. */
typedef struct gen {
    sl_ht ht;
    wslot *s;
    size_t n, cap;
    uint64_t start;     /* block number of its first payment */
} gen;

typedef struct cand {
    uint32_t addr, hot;
    uint32_t n_fwd, n_other, n_snd, n_ev, n_assets;
    bool split, crowded, passthru, dropped;
    uint8_t kind;
    uint64_t first_block, last_block;
    double score;
    uint32_t snd[SL_DEPOSIT_SENDERS_MAX], snd_n[SL_DEPOSIT_SENDERS_MAX];
    uint64_t snd_tx[SL_DEPOSIT_SENDERS_MAX];
    uint8_t snd_kind[SL_DEPOSIT_SENDERS_MAX];
    uint32_t asset[SL_DEPOSIT_ASSETS_MAX];
    sl_u128 tot[SL_DEPOSIT_ASSETS_MAX];
    uint64_t ev_in[SL_DEPOSIT_EVIDENCE_MAX], ev_out[SL_DEPOSIT_EVIDENCE_MAX];  /* flow ids (the rest is read back) */
} cand;

/* The distinct addresses a candidate hot wallet paid since its first sweep (up to the
 * number the test needs). */
typedef struct hotrec {
    uint32_t n, to[SL_DEPOSIT_PAYEES_MAX];
} hotrec;

typedef struct scan {
    const sl_eth_chain *c;
    uint16_t chain;
    sl_deposit_params p;
    sl_u128 alpha;      /* p.alpha, or all ones when it passes 128 bits */
    gen g[2];           /* g[0] the newer */
    sl_ht acct;         /* address id -> (index in payees + 1) << 32 | (index in cands + 1):
                         * its candidate record, its record as a candidate's hot wallet */
    hotrec *payees;
    size_t n_hots, cap_hots;
    cand *cands;
    size_t n_cands, cap_cands;
    sl_deposit_stats st;
} scan;

bool sl_deposit_params_init(sl_deposit_params *p, const char *chain)
{
    const sl_chain_def *d = chain ? sl_chain_by_name(chain) : NULL;
    memset(p, 0, sizeof *p);
    p->tau = SL_DEPOSIT_TAU;
    p->alpha = sl_u256_from_u64(d && !strcmp(d->name, "tron") ? SL_DEPOSIT_ALPHA_TRX : SL_DEPOSIT_ALPHA_ETH);
    p->alpha_token_ppm = SL_DEPOSIT_ALPHA_TOKEN_PPM;
    p->min_deposits = SL_DEPOSIT_MIN_DEPOSITS;
    p->max_senders = SL_DEPOSIT_MAX_SENDERS;
    p->min_payees = SL_DEPOSIT_MIN_PAYEES;
    p->tokens = true;
    return d && d->model == SL_MODEL_ACCOUNT;
}

const char *sl_deposit_kind_name(sl_deposit_kind k)
{
    return k == SL_DEPOSIT_KIND_EOA ? "eoa" : k == SL_DEPOSIT_KIND_CONTRACT ? "contract" : "unknown";
}

/* Room for element n of the growable array *p of *cap elements of `size` bytes. */
static int room(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return SL_OK;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = sl_realloc(*p, c * size);
    if (!q) return SL_ENOMEM;
    *p = q, *cap = c;
    return SL_OK;
}

/* ---- the receipt window ---- */

static void gen_clear(gen *g, uint64_t start)
{
    sl_ht_clear(&g->ht);
    g->n = 0;
    g->start = start;
}

static void gen_free(gen *g)
{
    sl_ht_free(&g->ht);
    sl_free(g->s);
}

/* Moves the window on to block `block`: once the newer generation spans tau + 1 blocks
 * the older one holds only payments more than tau blocks old, and is reused. */
static void window_advance(scan *S, uint64_t block)
{
    if (block < S->g[0].start || block - S->g[0].start <= S->p.tau) return;
    gen t = S->g[1];
    S->g[1] = S->g[0];
    S->g[0] = t;
    gen_clear(&S->g[0], block);
}

static int window_add(scan *S, uint32_t to, uint32_t asset, const recv *r)
{
    gen *g = &S->g[0];
    uint64_t key = (uint64_t)to << 32 | asset, *slot;
    bool added;
    int rc;
    if ((rc = room((void **)&g->s, &g->cap, g->n, sizeof *g->s))) return rc;
    if ((rc = sl_ht_upsert(&g->ht, &key, sizeof key, g->n, &slot, &added))) return rc;
    wslot *w = &g->s[*slot];
    if (added) {
        memset(w, 0, sizeof *w);
        g->n++;
        if (S->g[0].n + S->g[1].n > S->st.window_peak) S->st.window_peak = S->g[0].n + S->g[1].n;
    }
    w->r[w->next] = *r;
    w->next = (uint8_t)((w->next + 1) % WIN_R);
    if (w->n < WIN_R) w->n++;
    return SL_OK;
}

static sl_u128 u128_of(const sl_u256 *v) { return (sl_u128)v->w[1] << 64 | v->w[0]; }

/* The most allowed shortfall of a sweep of a payment of `amount`. */
static sl_u128 alpha_for(const scan *S, uint32_t asset, sl_u128 amount)
{
    if (asset == 0) return S->alpha;
    if (!S->p.alpha_token_ppm) return 0;
    return amount / 1000000 * S->p.alpha_token_ppm + amount % 1000000 * S->p.alpha_token_ppm / 1000000;
}

/* The payment a sweep from -> to of `amount` in tx `tx` at `block` forwards: the newest
 * unused one into (from, asset) that fits and was not paid by `to` (money going back where
 * it came from is a refund or a round trip, not a deposit); NULL when none. When one that
 * fits was made in the sweep's own transaction, that is the payment passed on (a router
 * or forwarder contract at work, not a sweep): NULL, and *same_tx is set. */
static recv *window_match(scan *S, uint32_t from, uint32_t to, uint32_t asset, uint64_t tx, uint64_t block,
                          sl_u128 amount, bool *same_tx)
{
    uint64_t key = (uint64_t)from << 32 | asset, idx;
    recv *best = NULL;
    *same_tx = false;
    for (int gi = 0; gi < 2; gi++) {
        gen *g = &S->g[gi];
        if (!g->n || !sl_ht_get(&g->ht, &key, sizeof key, &idx)) continue;
        wslot *w = &g->s[idx];
        for (int i = 0; i < w->n; i++) {
            recv *r = &w->r[i];
            if (r->used || r->sender == to || r->block > block || block - r->block > S->p.tau || r->amount < amount ||
                r->amount - amount > alpha_for(S, asset, r->amount))
                continue;
            if (r->tx == tx) { *same_tx = true; continue; }
            if (!best || r->flow > best->flow) best = r;
        }
        /* the older generation holds only older payments (and never this tx's) */
        if (best && !*same_tx) break;
    }
    return *same_tx ? NULL : best;
}

/* ---- candidates ---- */

/* addr's candidate record, made (with hot as its hot wallet, which gets a payee record)
 * when it has none. */
static int cand_get(scan *S, uint32_t addr, uint32_t hot, cand **out)
{
    uint64_t *slot;
    int rc;
    if ((rc = room((void **)&S->cands, &S->cap_cands, S->n_cands, sizeof *S->cands)) ||
        (rc = room((void **)&S->payees, &S->cap_hots, S->n_hots, sizeof *S->payees)) ||
        (rc = sl_ht_upsert(&S->acct, &addr, sizeof addr, 0, &slot, NULL)))
        return rc;
    if ((uint32_t)*slot) { *out = &S->cands[(uint32_t)*slot - 1]; return SL_OK; }
    *slot |= S->n_cands + 1;
    *out = &S->cands[S->n_cands++];
    memset(*out, 0, sizeof **out);
    (*out)->addr = addr, (*out)->hot = hot;
    if ((rc = sl_ht_upsert(&S->acct, &hot, sizeof hot, 0, &slot, NULL))) return rc;
    if (!(*slot >> 32)) {
        *slot |= (uint64_t)(S->n_hots + 1) << 32;
        memset(&S->payees[S->n_hots++], 0, sizeof *S->payees);
    }
    return SL_OK;
}

/* What one flow says of its sender: it signed the tx (an EOA), or it is a contract (an
 * internal transfer is made by executing code), or nothing (a token transfer whose
 * sender did not sign the tx: a contract, or an EOA whose tokens were moved by an
 * approved spender). */
static uint8_t sender_kind(const sl_eth_flowrec *f, const sl_eth_txrec *t)
{
    if (t->from == f->from) return SL_DEPOSIT_KIND_EOA;
    return f->kind == SL_FLOW_INTERNAL ? SL_DEPOSIT_KIND_CONTRACT : SL_DEPOSIT_KIND_UNKNOWN;
}

static uint8_t kind_merge(uint8_t a, uint8_t b) { return a > b ? a : b; }

/* Records a matched sweep f (d -> h) of payment r into d's candidate record. */
static int record_sweep(scan *S, const sl_eth_flowrec *f, uint64_t fid, const sl_eth_txrec *t, uint64_t block,
                        sl_u128 amount, const recv *r)
{
    cand *c;
    int rc;
    if ((rc = cand_get(S, f->from, f->to, &c))) return rc;
    if (c->hot != f->to) { c->split = true, c->n_other++; return SL_OK; }
    if (!c->n_fwd) c->first_block = block;
    c->n_fwd++;
    c->last_block = block;
    c->kind = kind_merge(c->kind, sender_kind(f, t));
    double tconf = S->p.tau ? 1.0 - (double)(block - r->block) / (double)S->p.tau : 1.0;
    sl_u128 a = alpha_for(S, f->asset, r->amount), diff = r->amount - amount;
    double aconf = a ? 1.0 - (double)diff / (double)a : 1.0;
    c->score += (tconf + aconf) / 2;
    uint32_t i;
    for (i = 0; i < c->n_assets && i < SL_DEPOSIT_ASSETS_MAX && c->asset[i] != f->asset; i++) {}
    if (i == c->n_assets) c->n_assets++;
    if (i < SL_DEPOSIT_ASSETS_MAX) c->asset[i] = f->asset, c->tot[i] += amount;
    for (i = 0; i < c->n_snd && c->snd[i] != r->sender; i++) {}
    if (i == c->n_snd) {
        if (c->n_snd == SL_DEPOSIT_SENDERS_MAX || c->n_snd == S->p.max_senders) c->crowded = true;
        else c->snd[i] = r->sender, c->snd_tx[i] = r->tx, c->snd_kind[i] = r->kind, c->snd_n[i] = 1, c->n_snd++;
    } else {
        c->snd_n[i]++;
        c->snd_kind[i] = kind_merge(c->snd_kind[i], r->kind);
    }
    if (c->n_ev < SL_DEPOSIT_EVIDENCE_MAX) c->ev_in[c->n_ev] = r->flow, c->ev_out[c->n_ev++] = fid;
    return SL_OK;
}

static int pass(scan *S)
{
    const sl_eth_meta *m = sl_eth_meta_get(S->c);
    uint32_t cur_bi = UINT32_MAX, miner = 0;
    uint64_t bn = 0;
    int rc;
    for (uint64_t id = 0; id < m->n_flows; id++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(S->c, id);
        S->st.flows++;
        if (!f || f->tx == UINT64_MAX || f->from < SL_SINK_N || f->to < SL_SINK_N || f->from == f->to ||
            (f->kind != SL_FLOW_NATIVE && f->kind != SL_FLOW_INTERNAL && f->kind != SL_FLOW_TOKEN) ||
            (f->kind == SL_FLOW_TOKEN && !S->p.tokens) || (f->flags & 1))
            continue;
        if (f->block != cur_bi) {
            const sl_eth_blockrec *b = sl_eth_block_at(S->c, f->block);
            cur_bi = f->block, bn = b->number, miner = b->miner;
            window_advance(S, bn);
        }
        sl_u256 a256;
        sl_eth_flow_amount(S->c, f, &a256);
        sl_u128 amount = u128_of(&a256);
        if (!amount) continue;
        S->st.considered++;
        uint64_t av = 0;
        if (S->n_cands) (void)sl_ht_get(&S->acct, &f->from, sizeof f->from, &av);
        if (av >> 32) {
            hotrec *h = &S->payees[(av >> 32) - 1];
            uint32_t i;
            for (i = 0; i < h->n && h->to[i] != f->to; i++) {}
            if (i == h->n && h->n < S->p.min_payees) h->to[h->n++] = f->to;
        }
        const sl_eth_txrec *t = sl_eth_tx_at(S->c, f->tx);
        bool same_tx;
        recv *r = window_match(S, f->from, f->to, f->asset, f->tx, bn, amount, &same_tx);
        if (r) {
            r->used = 1;
            S->st.matches++;
            if ((rc = record_sweep(S, f, id, t, bn, amount, r))) return rc;
        } else {
            cand *c = (uint32_t)av ? &S->cands[(uint32_t)av - 1] : NULL;
            if (same_tx) {
                /* it passes payments on in their own transaction: a contract at work for
                 * whoever calls it, never a deposit address */
                S->st.same_tx++;
                if (!c && (rc = cand_get(S, f->from, f->to, &c))) return rc;
                c->passthru = true;
            }
            if (c) c->n_other++;
        }
        /* Tutela leaves out payments by miners (pool payouts look like customers). */
        if (f->from == miner) continue;
        recv p = {id, f->tx, bn, amount, f->from, 0, sender_kind(f, t)};
        if ((rc = window_add(S, f->to, f->asset, &p))) return rc;
    }
    return SL_OK;
}

/* ---- judging and reporting ---- */

static uint8_t confidence(const cand *c)
{
    double mean = c->score / c->n_fwd, rep = 1.0 - ldexp(1.0, -(int)(c->n_fwd < 60 ? c->n_fwd : 60));
    double purity = (double)c->n_fwd / (double)(c->n_fwd + c->n_other);
    double v = 20.0 + 60.0 * mean * rep * purity;
    return (uint8_t)(v < 0 ? 0 : v > 100 ? 100 : lround(v));
}

/* A token contract is where a token lives, not a wallet: a "sweep" to it is a call
 * (wrapping ETH into WETH, a purchase), so candidates swept into one are dropped. */
static int drop_token_hots(scan *S)
{
    const sl_eth_meta *m = sl_eth_meta_get(S->c);
    sl_ht tok = {0};
    int rc = SL_OK;
    for (uint64_t a = 1; a < m->n_assets; a++) {
        sl_eth_addr ad;
        sl_eth_acctstat st;
        if (!sl_eth_asset_addr(S->c, (uint32_t)a, &ad) || sl_eth_acct_lookup(S->c, &ad, &st)) continue;
        if ((rc = sl_ht_set(&tok, &st.id, sizeof st.id, 1))) goto out;
    }
    for (size_t i = 0; i < S->n_cands; i++) {
        cand *c = &S->cands[i];
        if (!c->dropped && sl_ht_get(&tok, &c->hot, sizeof c->hot, NULL)) { c->dropped = true; S->st.rejected_token++; }
    }
out:
    sl_ht_free(&tok);
    return rc;
}

/* One sweep's evidence, read back from the flows. */
static void evidence(const scan *S, uint64_t in, uint64_t out, sl_deposit_forward *e)
{
    const sl_eth_flowrec *fi = sl_eth_flow_at(S->c, in), *fo = sl_eth_flow_at(S->c, out);
    sl_u256 a;
    e->in_tx = (sl_tx_ref){S->chain, fi->tx}, e->out_tx = (sl_tx_ref){S->chain, fo->tx};
    e->in_flow = in, e->out_flow = out;
    e->in_block = sl_eth_block_at(S->c, fi->block)->number, e->out_block = sl_eth_block_at(S->c, fo->block)->number;
    e->sender = fi->from, e->asset = fo->asset;
    sl_eth_flow_amount(S->c, fi, &a);
    e->received = u128_of(&a);
    sl_eth_flow_amount(S->c, fo, &a);
    e->forwarded = u128_of(&a);
}

static int by_hot(const void *a, const void *b, void *ctx)
{
    const cand *C = ctx, *x = &C[*(const uint32_t *)a], *y = &C[*(const uint32_t *)b];
    if (x->hot != y->hot) return x->hot < y->hot ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int report(scan *S, const sl_deposit_out *out)
{
    uint32_t *ord = NULL, n = 0;
    sl_ht hots = {0};
    int rc = SL_OK;
    bool changed;
    for (size_t i = 0; i < S->n_cands; i++) {
        cand *c = &S->cands[i];
        if (c->passthru) { S->st.rejected_passthru++; c->dropped = true; }
        else if (c->crowded) { S->st.rejected_senders++; c->dropped = true; }
        else if (c->split || c->n_other > c->n_fwd) { S->st.rejected_split++; c->dropped = true; }
    }
    if ((rc = drop_token_hots(S))) return rc;
    if (S->n_cands && !(ord = sl_malloc(S->n_cands * sizeof *ord))) return SL_ENOMEM;
    /* Groups below k fall away; a "deposit" that is itself a hot wallet (its sweep to cold
     * storage) is not one: repeat until nothing changes. */
    do {
        changed = false;
        n = 0;
        for (size_t i = 0; i < S->n_cands; i++)
            if (!S->cands[i].dropped) ord[n++] = (uint32_t)i;
        if (n) qsort_r(ord, n, sizeof *ord, by_hot, S->cands); /* no candidates: ord is NULL */
        sl_ht_clear(&hots);
        for (uint32_t i = 0, j; i < n; i = j) {
            for (j = i; j < n && S->cands[ord[j]].hot == S->cands[ord[i]].hot; j++) {}
            if (j - i >= S->p.min_deposits && (rc = sl_ht_set(&hots, &S->cands[ord[i]].hot, 4, 1))) goto out;
        }
        for (uint32_t i = 0; i < n; i++) {
            cand *c = &S->cands[ord[i]];
            if (sl_ht_get(&hots, &c->addr, 4, NULL)) { c->dropped = true, changed = true; S->st.rejected_split++; }
        }
    } while (changed);
    for (uint32_t i = 0, j; i < n; i = j) {
        const cand *h = &S->cands[ord[i]];
        for (j = i; j < n && S->cands[ord[j]].hot == h->hot; j++) {}
        if (j - i < S->p.min_deposits) { S->st.rejected_k += j - i; continue; }
        uint64_t av = 0;
        (void)sl_ht_get(&S->acct, &h->hot, sizeof h->hot, &av);
        if (S->p.min_payees && (!(av >> 32) || S->payees[(av >> 32) - 1].n < S->p.min_payees)) {
            S->st.rejected_payees += j - i;
            continue;
        }
        S->st.hot_wallets++;
        for (uint32_t x = i; x < j; x++) {
            const cand *c = &S->cands[ord[x]];
            sl_deposit d;
            memset(&d, 0, sizeof d);
            d.deposit = (sl_addr_ref){S->chain, c->addr}, d.hot = (sl_addr_ref){S->chain, c->hot};
            d.n_forwards = c->n_fwd, d.n_other = c->n_other, d.n_senders = c->n_snd;
            d.first_block = c->first_block, d.last_block = c->last_block;
            d.kind = c->kind, d.confidence = confidence(c);
            d.n_assets = c->n_assets;
            memcpy(d.asset, c->asset, sizeof d.asset);
            memcpy(d.forwarded, c->tot, sizeof d.forwarded);
            d.n_evidence = c->n_ev;
            for (uint32_t k = 0; k < c->n_ev; k++) evidence(S, c->ev_in[k], c->ev_out[k], &d.evidence[k]);
            S->st.deposits++;
            if (out->deposit && (rc = out->deposit(out->ctx, &d))) goto out;
            sl_merge_edge e = {d.deposit, d.hot, d.evidence[0].out_tx, SL_H_DEPOSIT, d.confidence};
            if (out->edge && (rc = out->edge(out->ctx, &e))) goto out;
            for (uint32_t k = 0; k < c->n_snd; k++) {
                sl_deposit_customer cu = {{S->chain, c->snd[k]}, d.deposit, d.hot, {S->chain, c->snd_tx[k]},
                                          c->snd_n[k], c->snd_kind[k]};
                S->st.customers++;
                if (out->customer && (rc = out->customer(out->ctx, &cu))) goto out;
            }
        }
    }
out:
    sl_ht_free(&hots);
    sl_free(ord);
    return rc;
}

int sl_deposit_scan(sl_store *s, const char *chain, const sl_deposit_params *p, const sl_deposit_out *out,
                    sl_deposit_stats *st, sl_error *e)
{
    const sl_chain_def *def = chain ? sl_chain_by_name(chain) : NULL;
    static const sl_deposit_out none = {0};
    sl_eth_chain *c;
    scan S;
    int rc;
    if (st) memset(st, 0, sizeof *st);
    if (!def || def->model != SL_MODEL_ACCOUNT)
        return sl_err(e, SL_EUSAGE, "'%s' is not an account chain (deposit clustering is for the Ethereum family and Tron)",
                      chain ? chain : "(none)");
    memset(&S, 0, sizeof S);
    if (p) S.p = *p;
    else sl_deposit_params_init(&S.p, def->name);
    if (!S.p.min_deposits || !S.p.max_senders || S.p.max_senders > SL_DEPOSIT_SENDERS_MAX ||
        S.p.min_payees > SL_DEPOSIT_PAYEES_MAX)
        return sl_err(e, SL_EUSAGE, "deposit parameters: k must be at least 1, max senders 1 to %d, min payees 0 to %d",
                      SL_DEPOSIT_SENDERS_MAX, SL_DEPOSIT_PAYEES_MAX);
    if ((rc = sl_eth_chain_open(s, def->name, &c, e))) return rc;
    if (!sl_eth_meta_get(c)->n_blocks) return sl_err(e, SL_ENOTFOUND, "the store holds no %s blocks", def->name);
    S.c = c, S.chain = def->id;
    S.alpha = sl_u256_fits(&S.p.alpha, 128) ? u128_of(&S.p.alpha) : ~(sl_u128)0;
    if (!out) out = &none;
    if (!(rc = pass(&S))) {
        S.st.candidates = S.n_cands;
        rc = report(&S, out);
    }
    if (rc == SL_ENOMEM) sl_err(e, rc, "out of memory (deposit clustering)");
    else if (rc) sl_err(e, rc, "deposit clustering stopped by its consumer");
    if (st) *st = S.st;
    gen_free(&S.g[0]);
    gen_free(&S.g[1]);
    sl_ht_free(&S.acct);
    sl_free(S.payees);
    sl_free(S.cands);
    return rc;
}

int sl_deposit_edges(sl_store *s, const char *chain, const sl_deposit_params *p, sl_edge_sink sink, void *ctx,
                     sl_deposit_stats *st, sl_error *e)
{
    sl_deposit_out out = {sink, NULL, NULL, ctx};
    return sl_deposit_scan(s, chain, p, &out, st, e);
}
