/* btc.c — the flow view (include/sleuth/flow.h) of a store's Bitcoin-family chain: a
 * pool is a transaction, a flow is an output, identified as SL_FLOW_UTXO(tx, vout).
 *
 * This file and acct.c are the only places where the analysis reads the store. The
 * format-3 store answers every step in O(1) reads: an input holds its spent output as
 * (tx id, vout) (sl_btc_in_prevout), an output's spender is found by that reference
 * (sl_btc_outpoint_spender), an address's history is one call (sl_btc_addr_txs). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sleuth/flow.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

typedef struct btc_view {
    sl_flow_view base;       /* first: the view is a btc_view */
    const sl_store *s;
    const sl_btc_net *net;
} btc_view;

static const btc_view *B(const sl_flow_view *v) { return (const btc_view *)v; }

/* ---- the store calls that the rest of the file builds on ---- */

static uint64_t tx_time(const sl_flow_view *v, uint64_t tx)
{
    const sl_store *s = B(v)->s;
    return sl_btc_block_at(s, sl_btc_tx_block(s, tx))->time;
}

/* The tx ids of an address's history, newest first: fn(ctx, tx) for each until it
 * returns non-zero (which is returned). */
static int addr_events(const btc_view *v, const sl_btc_addr *a, int (*fn)(void *ctx, uint64_t tx), void *ctx)
{
    uint32_t id;
    uint64_t total = 0, got, *txs;
    int rc = SL_OK;
    if (sl_btc_addr_id(v->s, a, &id)) return SL_ENOTFOUND;
    sl_btc_addr_txs(v->s, id, 0, NULL, 0, &total);
    if (!(txs = sl_malloc((total ? total : 1) * sizeof *txs))) return SL_ENOMEM;
    got = sl_btc_addr_txs(v->s, id, 0, txs, total, NULL);
    for (uint64_t i = 0; i < got && !rc; i++) rc = fn(ctx, txs[i]);
    sl_free(txs);
    return rc;
}

/* ---- naming ---- */

static int tx_find(const sl_flow_view *v, const char *text, uint64_t *tx)
{
    sl_hash256 h;
    uint64_t ids[8];
    int n;
    if (strlen(text) != 64 || !sl_hash_parse(&h, text)) return SL_EUSAGE;
    if (!(n = sl_btc_tx_find(B(v)->s, &h, ids, 8))) return SL_ENOTFOUND;
    *tx = ids[n - 1]; /* BIP-30: the newest, as the UTXO set has it */
    return SL_OK;
}

static void tx_name(const sl_flow_view *v, uint64_t tx, char out[SL_FLOW_NAME_MAX])
{
    sl_hash_hex(out, sl_btc_txid(B(v)->s, tx));
}

static int addr_find(const sl_flow_view *v, const char *text, uint32_t *addr, sl_error *e)
{
    sl_btc_addr a;
    if (!sl_btc_addr_decode(&a, B(v)->net, text)) {
        char why[200];
        sl_btc_addr_explain(why, sizeof why, B(v)->net, text);
        return sl_err(e, SL_EUSAGE, "%s", why);
    }
    if (sl_btc_addr_id(B(v)->s, &a, addr)) return sl_err(e, SL_ENOTFOUND, "address %s not found in the store", text);
    return SL_OK;
}

static void addr_name(const sl_flow_view *v, uint32_t addr, char out[SL_FLOW_NAME_MAX])
{
    sl_btc_addr a;
    snprintf(out, SL_FLOW_NAME_MAX, "(no address)");
    if (addr && sl_btc_addr_key(B(v)->s, addr, &a) == SL_OK) sl_btc_addr_encode(out, B(v)->net, &a);
}

static const char *coin(const btc_view *v) { return v->net->pow_scrypt ? "LTC" : "BTC"; }

static int asset_find(const sl_flow_view *v, const char *text, uint32_t *asset)
{
    if (strcasecmp(text, coin(B(v))) && strcasecmp(text, "native")) return SL_ENOTFOUND;
    *asset = 0;
    return SL_OK;
}

static void asset_info(const sl_flow_view *v, uint32_t asset, sl_flow_asset *a)
{
    (void)asset;
    snprintf(a->symbol, sizeof a->symbol, "%s", coin(B(v)));
    a->decimals = 8;
    a->fixed = true;
}

/* ---- payments ---- */

static void tx_flows(const sl_flow_view *v, uint64_t tx, uint64_t *first, uint32_t *n)
{
    *first = SL_FLOW_UTXO(tx, 0);
    *n = sl_btc_tx_n_out(B(v)->s, tx);
}

static void flow_get(const sl_flow_view *v, uint64_t flow, sl_flow *f)
{
    const sl_store *s = B(v)->s;
    uint64_t tx = SL_FLOW_UTXO_TX(flow);
    uint32_t k = SL_FLOW_UTXO_IDX(flow);
    memset(f, 0, sizeof *f);
    f->id = flow, f->tx = tx, f->time = tx_time(v, tx);
    if (flow & SL_FLOW_UTXO_INPUT) { /* the output an input spends, as far as the store knows it */
        sl_btc_inview iv;
        sl_btc_in_view(s, sl_btc_tx_first_in(s, tx) + k, &iv);
        f->origin = iv.coinbase ? SL_FLOW_ORIGIN_MINTED : iv.resolved ? SL_FLOW_ORIGIN_ADDR : SL_FLOW_ORIGIN_UNKNOWN;
        f->amount = iv.value == UINT64_MAX ? 0 : iv.value;
        f->to = iv.addr;
        return;
    }
    {
        sl_btc_outrec o;
        sl_btc_out_get(s, sl_btc_tx_first_out(s, tx) + k, &o);
        f->amount = o.value;
        f->to = o.addr;
        f->sink = o.type == SL_SCRIPT_OP_RETURN ? SL_FLOW_SINK_UNSPENDABLE : SL_FLOW_SINK_NONE;
        f->origin = sl_btc_tx_is_coinbase(s, tx) ? SL_FLOW_ORIGIN_MINTED : SL_FLOW_ORIGIN_ADDR;
    }
}

static void flow_parties(const sl_flow_view *v, uint64_t flow, uint32_t *from, uint32_t *to)
{
    sl_flow f;
    flow_get(v, flow, &f);
    *from = f.from, *to = f.to;
}

static uint32_t flow_index(const sl_flow_view *v, uint64_t flow)
{
    (void)v;
    return SL_FLOW_UTXO_IDX(flow);
}

static int flow_exact(const sl_flow_view *v, uint64_t flow, sl_u256 *amount)
{
    sl_flow f;
    flow_get(v, flow, &f);
    *amount = sl_u256_from_u64((uint64_t)f.amount);
    return SL_OK;
}

typedef struct recv_ctx {
    const btc_view *v;
    uint32_t addr;
    uint64_t since;
    sl_flow_ids *out;
} recv_ctx;

static int recv_one(void *ctx, uint64_t tx)
{
    recv_ctx *c = ctx;
    uint64_t fo = sl_btc_tx_first_out(c->v->s, tx);
    uint32_t no = sl_btc_tx_n_out(c->v->s, tx);
    if (c->since && tx_time(&c->v->base, tx) < c->since) return SL_OK;
    for (uint32_t k = no; k-- > 0;) /* newest first; reversed below */
        if (sl_btc_out_addr(c->v->s, fo + k) == c->addr) {
            int rc = sl_flow_ids_push(c->out, SL_FLOW_UTXO(tx, k));
            if (rc) return rc;
        }
    return SL_OK;
}

static int addr_received(const sl_flow_view *v, uint32_t addr, uint32_t asset, uint64_t since, sl_flow_ids *out)
{
    sl_btc_addr a;
    recv_ctx c = {B(v), addr, since, out};
    size_t n0 = out->n;
    int rc;
    (void)asset;
    if (sl_btc_addr_key(B(v)->s, addr, &a)) return SL_OK;
    rc = addr_events(B(v), &a, recv_one, &c);
    if (rc == SL_ENOTFOUND) rc = SL_OK;
    for (size_t i = n0, j = out->n; i + 1 < j; i++, j--) { /* ascending */
        uint64_t x = out->v[i];
        out->v[i] = out->v[j - 1], out->v[j - 1] = x;
    }
    return rc;
}

/* ---- UTXO pools ---- */

static void utxo_pool(const sl_flow_view *v, uint64_t tx, sl_utxo_pool *p)
{
    const sl_store *s = B(v)->s;
    p->tx = tx, p->first_in = sl_btc_tx_first_in(s, tx), p->first_out = sl_btc_tx_first_out(s, tx);
    p->n_in = sl_btc_tx_n_in(s, tx), p->n_out = sl_btc_tx_n_out(s, tx);
    p->coinbase = sl_btc_tx_is_coinbase(s, tx);
}

static void utxo_out(const sl_flow_view *v, uint64_t out, uint64_t *value, uint32_t *addr, bool *unspendable)
{
    sl_btc_outrec o;
    sl_btc_out_get(B(v)->s, out, &o);
    *value = o.value, *addr = o.addr, *unspendable = o.type == SL_SCRIPT_OP_RETURN;
}

static uint64_t utxo_in_value(const sl_flow_view *v, uint64_t in, uint32_t *addr)
{
    return sl_btc_in_value(B(v)->s, in, addr);
}

static int utxo_spender(const sl_flow_view *v, uint64_t tx, uint32_t vout, uint64_t out, uint64_t *stx, uint32_t *vin)
{
    (void)out;
    return sl_btc_outpoint_spender(B(v)->s, tx, vout, stx, vin);
}

static int utxo_origin(const sl_flow_view *v, uint64_t in, uint64_t *tx, uint32_t *vout, uint64_t *out)
{
    if (sl_btc_in_prevout(B(v)->s, in, tx, vout) != SL_OK) return SL_ENOTFOUND;
    *out = sl_btc_tx_first_out(B(v)->s, *tx) + *vout;
    return SL_OK;
}

static const sl_flow_methods BTC_METHODS = {
    .tx_find = tx_find,
    .tx_name = tx_name,
    .tx_time = tx_time,
    .addr_find = addr_find,
    .addr_name = addr_name,
    .asset_find = asset_find,
    .asset_info = asset_info,
    .tx_flows = tx_flows,
    .flow_get = flow_get,
    .flow_parties = flow_parties,
    .flow_index = flow_index,
    .flow_exact = flow_exact,
    .addr_received = addr_received,
    .utxo_pool = utxo_pool,
    .utxo_out = utxo_out,
    .utxo_in_value = utxo_in_value,
    .utxo_spender = utxo_spender,
    .utxo_origin = utxo_origin,
    .acct_history = NULL,
};

int sl_flow_btc_open(sl_store *s, sl_flow_view **out, sl_error *e)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    btc_view *v;
    *out = NULL;
    if (!m || !m->n_blocks) return sl_err(e, SL_ENOTFOUND, "the store holds no Bitcoin-family blocks");
    if (!(v = sl_calloc(1, sizeof *v))) return sl_err(e, SL_ENOMEM, "out of memory");
    v->s = s;
    v->net = sl_btc_net_by_name(m->network[0] ? m->network : "bitcoin");
    if (!v->net) v->net = sl_btc_net_default();
    v->base.m = &BTC_METHODS;
    v->base.chain = SL_CHAIN_BTC;
    v->base.model = SL_MODEL_UTXO;
    v->base.name = v->net->pow_scrypt ? "litecoin" : "bitcoin"; /* a regtest or testnet chain is still bitcoin */
    *out = &v->base;
    return SL_OK;
}
