/* btc.c — the flow view (include/sleuth/flow.h) of a store's Bitcoin-family chain: a
 * pool is a transaction, a flow is an output, identified as SL_FLOW_UTXO(tx, vout).
 *
 * This file and acct.c are the only places where the analysis reads the store. It uses
 * exactly these store calls, which the next store keeps with the same meaning:
 * sl_btc_meta_get, sl_btc_block_at, sl_btc_tx_at, sl_btc_tx_n_in, sl_btc_tx_n_out,
 * sl_btc_tx_find, sl_btc_out_at, sl_btc_out_spender, sl_btc_in_value, sl_btc_in_view,
 * sl_btc_addr_key, sl_btc_addr_lookup (its statistics) and, inside addr_events only, the
 * walk of an address's history with sl_btc_event_at. What the view needs beyond them
 * is built here on top of them: tx_of_ref (a spent output's tx, from the input view and
 * the txid look-up) and addr_events. */
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
    return sl_btc_block_at(s, sl_btc_tx_at(s, tx)->block)->time;
}

/* The tx ids of an address's history, newest first: fn(ctx, tx) for each until it
 * returns non-zero (which is returned). The one walk of the store's event list. */
static int addr_events(const btc_view *v, const sl_btc_addr *a, int (*fn)(void *ctx, uint64_t tx), void *ctx)
{
    sl_btc_addrstat st;
    int rc = SL_OK;
    if (sl_btc_addr_lookup(v->s, a, &st)) return SL_ENOTFOUND;
    for (uint64_t ev = st.head; ev && !rc;) {
        const sl_btc_event *x = sl_btc_event_at(v->s, ev - 1);
        if (!x) break;
        rc = fn(ctx, x->tx);
        ev = x->prev;
    }
    return rc;
}

/* The tx that holds the output an input view resolved to: the txid's look-up gives the
 * candidates (more than one only for BIP-30 duplicates), the output number decides. */
static int tx_of_ref(const btc_view *v, const sl_btc_inview *iv, uint64_t *tx)
{
    uint64_t ids[8];
    int n = sl_btc_tx_find(v->s, &iv->prev_txid, ids, 8);
    for (int i = n - 1; i >= 0; i--)
        if (sl_btc_tx_at(v->s, ids[i])->first_out + iv->prev_vout == iv->out) { *tx = ids[i]; return SL_OK; }
    return SL_ENOTFOUND;
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
    sl_hash_hex(out, &sl_btc_tx_at(B(v)->s, tx)->txid);
}

static int addr_find(const sl_flow_view *v, const char *text, uint32_t *addr, sl_error *e)
{
    sl_btc_addr a;
    sl_btc_addrstat st;
    if (!sl_btc_addr_decode(&a, B(v)->net, text)) {
        char why[200];
        sl_btc_addr_explain(why, sizeof why, B(v)->net, text);
        return sl_err(e, SL_EUSAGE, "%s", why);
    }
    if (sl_btc_addr_lookup(B(v)->s, &a, &st)) return sl_err(e, SL_ENOTFOUND, "address %s not found in the store", text);
    *addr = st.id;
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
    const sl_btc_txrec *t = sl_btc_tx_at(s, tx);
    memset(f, 0, sizeof *f);
    f->id = flow, f->tx = tx, f->time = tx_time(v, tx);
    if (flow & SL_FLOW_UTXO_INPUT) { /* the output an input spends, as far as the store knows it */
        sl_btc_inview iv;
        sl_btc_in_view(s, t->first_in + k, &iv);
        f->origin = iv.coinbase ? SL_FLOW_ORIGIN_MINTED : iv.resolved ? SL_FLOW_ORIGIN_ADDR : SL_FLOW_ORIGIN_UNKNOWN;
        f->amount = iv.value == UINT64_MAX ? 0 : iv.value;
        f->to = iv.addr;
        return;
    }
    {
        const sl_btc_outrec *o = sl_btc_out_at(s, t->first_out + k);
        f->amount = o->value;
        f->to = o->addr;
        f->sink = o->type == SL_SCRIPT_OP_RETURN ? SL_FLOW_SINK_UNSPENDABLE : SL_FLOW_SINK_NONE;
        f->origin = t->flags & SL_TX_COINBASE ? SL_FLOW_ORIGIN_MINTED : SL_FLOW_ORIGIN_ADDR;
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
    const sl_btc_txrec *t = sl_btc_tx_at(c->v->s, tx);
    uint32_t no = sl_btc_tx_n_out(c->v->s, tx);
    if (c->since && tx_time(&c->v->base, tx) < c->since) return SL_OK;
    for (uint32_t k = no; k-- > 0;) /* newest first; reversed below */
        if (sl_btc_out_at(c->v->s, t->first_out + k)->addr == c->addr) {
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
    const sl_btc_txrec *t = sl_btc_tx_at(s, tx);
    p->tx = tx, p->first_in = t->first_in, p->first_out = t->first_out;
    p->n_in = sl_btc_tx_n_in(s, tx), p->n_out = sl_btc_tx_n_out(s, tx);
    p->coinbase = (t->flags & SL_TX_COINBASE) != 0;
}

static void utxo_out(const sl_flow_view *v, uint64_t out, uint64_t *value, uint32_t *addr, bool *unspendable)
{
    const sl_btc_outrec *o = sl_btc_out_at(B(v)->s, out);
    *value = o->value, *addr = o->addr, *unspendable = o->type == SL_SCRIPT_OP_RETURN;
}

static uint64_t utxo_in_value(const sl_flow_view *v, uint64_t in, uint32_t *addr)
{
    return sl_btc_in_value(B(v)->s, in, addr);
}

static int utxo_spender(const sl_flow_view *v, uint64_t out, uint64_t *tx, uint32_t *vin)
{
    return sl_btc_out_spender(B(v)->s, out, tx, vin);
}

static int utxo_origin(const sl_flow_view *v, uint64_t in, uint64_t *tx, uint32_t *vout, uint64_t *out)
{
    sl_btc_inview iv;
    sl_btc_in_view(B(v)->s, in, &iv);
    if (iv.coinbase || !iv.resolved || tx_of_ref(B(v), &iv, tx)) return SL_ENOTFOUND;
    *vout = iv.prev_vout, *out = iv.out;
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
