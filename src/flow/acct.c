/* acct.c — the flow view (include/sleuth/flow.h) of one account chain of a store (the
 * Ethereum family, Tron): a pool is an account's balance in one asset, a flow is one of
 * the store's flows (native, internal, token, fee, burn, reward), identified by its flow
 * id. With btc.c, the only place where the analysis reads the store: everything here
 * goes through include/sleuth/eth_store.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sleuth/eth_store.h"
#include "sleuth/flow.h"
#include "sleuth/util.h"

typedef struct acct_view {
    sl_flow_view base;       /* first: the view is an acct_view */
    const sl_eth_chain *c;
    const sl_eth_chain_info *info;
} acct_view;

static const acct_view *A(const sl_flow_view *v) { return (const acct_view *)v; }

static uint64_t block_time(const acct_view *v, uint32_t block) { return sl_eth_block_at(v->c, block)->time; }

static const char *skip_0x(const char *a) { return a + (a[0] == '0' && (a[1] == 'x' || a[1] == 'X') ? 2 : 0); }

/* ---- naming ---- */

static int tx_find(const sl_flow_view *v, const char *text, uint64_t *tx)
{
    const char *h = skip_0x(text);
    sl_hash256 hash;
    if (strlen(h) != 64 || !sl_hex_decode(hash.b, 32, h, 64)) return SL_EUSAGE;
    return sl_eth_tx_find(A(v)->c, &hash, tx) ? SL_ENOTFOUND : SL_OK;
}

static void tx_name(const sl_flow_view *v, uint64_t tx, char out[SL_FLOW_NAME_MAX])
{
    bool tron = A(v)->info->tron;
    if (!tron) out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + (tron ? 0 : 2), sl_eth_tx_at(A(v)->c, tx)->hash.b, 32);
}

static uint64_t tx_time(const sl_flow_view *v, uint64_t tx) { return block_time(A(v), sl_eth_tx_at(A(v)->c, tx)->block); }

/* A T-address names a Tron account only; 0x and 40 hex digits an account of any of them. */
static int addr_find(const sl_flow_view *v, const char *text, uint32_t *addr, sl_error *e)
{
    sl_eth_addr a;
    sl_eth_acctstat st;
    if (!sl_eth_addr_parse(&a, text) && !(A(v)->info->tron && sl_tron_addr_decode(&a, text)))
        return sl_err(e, SL_EUSAGE, "'%s' is not a%s address", text, A(v)->info->tron ? " Tron (T... or 0x)" : " 0x");
    if (sl_eth_acct_lookup(A(v)->c, &a, &st))
        return sl_err(e, SL_ENOTFOUND, "address %s not found on %s", text, A(v)->info->name);
    *addr = st.id;
    return SL_OK;
}

static void addr_name(const sl_flow_view *v, uint32_t addr, char out[SL_FLOW_NAME_MAX])
{
    char n[48];
    sl_eth_acct_name(A(v)->c, addr, n);
    snprintf(out, SL_FLOW_NAME_MAX, "%s", n);
}

/* "native", the coin's symbol, a token's name as the store names it (its bundled symbol
 * or its contract), or the contract in 0x or T form. */
static int asset_find(const sl_flow_view *v, const char *text, uint32_t *asset)
{
    const sl_eth_meta *m = sl_eth_meta_get(A(v)->c);
    sl_eth_addr want, a;
    bool by_contract = sl_eth_addr_parse(&want, text) || (A(v)->info->tron && sl_tron_addr_decode(&want, text));
    if (!strcasecmp(text, "native")) { *asset = 0; return SL_OK; }
    for (uint32_t id = 0; id < m->n_assets || id == 0; id++) {
        char n[48];
        sl_eth_asset_name(A(v)->c, id, n);
        if (!strcasecmp(n, text) ||
            (by_contract && sl_eth_asset_addr(A(v)->c, id, &a) && !memcmp(a.b, want.b, sizeof a.b))) {
            *asset = id;
            return SL_OK;
        }
    }
    return SL_ENOTFOUND;
}

static void asset_info(const sl_flow_view *v, uint32_t asset, sl_flow_asset *out)
{
    const sl_eth_token *t;
    sl_eth_addr a;
    sl_eth_asset_name(A(v)->c, asset, out->symbol);
    out->fixed = false;
    if (asset == 0) out->decimals = A(v)->info->decimals;
    else if (sl_eth_asset_addr(A(v)->c, asset, &a) && (t = sl_eth_token_find(A(v)->info->name, &a))) out->decimals = t->decimals;
    else out->decimals = -1;
}

/* ---- payments ---- */

static void tx_flows(const sl_flow_view *v, uint64_t tx, uint64_t *first, uint32_t *n)
{
    const sl_eth_txrec *t = sl_eth_tx_at(A(v)->c, tx);
    *first = t->first_flow, *n = t->n_flows;
}

static void flow_get(const sl_flow_view *v, uint64_t flow, sl_flow *f)
{
    const sl_eth_flowrec *r = sl_eth_flow_at(A(v)->c, flow);
    sl_u256 amt;
    memset(f, 0, sizeof *f);
    f->id = flow, f->tx = r->tx, f->from = r->from, f->to = r->to, f->asset = r->asset;
    if (r->tx == UINT64_MAX) f->tx = SL_FLOW_NONE;
    f->fee = r->kind == SL_FLOW_FEE || r->kind == SL_FLOW_BURN;
    f->sink = r->to >= SL_SINK_BURN && r->to < SL_SINK_N ? SL_FLOW_SINK_FEE : SL_FLOW_SINK_NONE;
    f->origin = r->from == SL_SINK_MINT ? SL_FLOW_ORIGIN_MINTED : r->from == SL_SINK_NONE ? SL_FLOW_ORIGIN_UNKNOWN
                                                                                           : SL_FLOW_ORIGIN_ADDR;
    sl_eth_flow_amount(A(v)->c, r, &amt);
    f->big = !sl_u256_fits(&amt, 128);
    f->amount = (sl_u128)amt.w[1] << 64 | amt.w[0];
    f->time = block_time(A(v), r->block);
}

static void flow_parties(const sl_flow_view *v, uint64_t flow, uint32_t *from, uint32_t *to)
{
    const sl_eth_flowrec *r = sl_eth_flow_at(A(v)->c, flow);
    *from = r->from, *to = r->to;
}

static uint32_t flow_index(const sl_flow_view *v, uint64_t flow)
{
    const sl_eth_flowrec *r = sl_eth_flow_at(A(v)->c, flow);
    return r->tx == UINT64_MAX ? UINT32_MAX : (uint32_t)(flow - sl_eth_tx_at(A(v)->c, r->tx)->first_flow);
}

static int flow_exact(const sl_flow_view *v, uint64_t flow, sl_u256 *amount)
{
    sl_eth_flow_amount(A(v)->c, sl_eth_flow_at(A(v)->c, flow), amount);
    return SL_OK;
}

/* The flows of account acct in its history for which keep() holds, ascending. */
typedef bool (*keep_fn)(const acct_view *v, const sl_eth_flowrec *f, uint64_t id, uint32_t acct, const void *arg);

typedef struct hist_walk {
    const acct_view *v;
    uint32_t acct;
    keep_fn keep;
    const void *arg;
    sl_flow_ids *out;
} hist_walk;

static int hist_one(void *ctx, uint64_t flow)
{
    hist_walk *w = ctx;
    const sl_eth_flowrec *f = sl_eth_flow_at(w->v->c, flow);
    return f && w->keep(w->v, f, flow, w->acct, w->arg) ? sl_flow_ids_push(w->out, flow) : SL_OK;
}

static int history(const acct_view *v, uint32_t acct, keep_fn keep, const void *arg, sl_flow_ids *out)
{
    hist_walk w = {v, acct, keep, arg, out};
    return sl_eth_acct_each_flow(v->c, acct, false, hist_one, &w);
}

typedef struct recv_arg { uint32_t asset; uint64_t since; } recv_arg;

static bool keep_received(const acct_view *v, const sl_eth_flowrec *f, uint64_t id, uint32_t acct, const void *arg)
{
    const recv_arg *r = arg;
    (void)id;
    return f->to == acct && f->from != acct && f->asset == r->asset && (!r->since || block_time(v, f->block) >= r->since);
}

static int addr_received(const sl_flow_view *v, uint32_t addr, uint32_t asset, uint64_t since, sl_flow_ids *out)
{
    recv_arg r = {asset, since};
    return history(A(v), addr, keep_received, &r, out);
}

typedef struct hist_arg { uint32_t asset; uint64_t before; } hist_arg;

static bool keep_pool(const acct_view *v, const sl_eth_flowrec *f, uint64_t id, uint32_t acct, const void *arg)
{
    const hist_arg *h = arg;
    (void)v, (void)acct;
    return id < h->before && f->asset == h->asset && f->from != f->to;
}

static int acct_history(const sl_flow_view *v, uint32_t acct, uint32_t asset, uint64_t before, sl_flow_ids *out)
{
    hist_arg h = {asset, before};
    return history(A(v), acct, keep_pool, &h, out);
}

static const sl_flow_methods ACCT_METHODS = {
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
    .acct_history = acct_history,
};

int sl_flow_acct_open(sl_store *s, const char *chain, sl_flow_view **out, sl_error *e)
{
    const sl_chain_def *def = sl_chain_by_name(chain);
    sl_eth_chain *c = NULL;
    acct_view *v;
    int rc;
    *out = NULL;
    if (!def || def->model != SL_MODEL_ACCOUNT) return sl_err(e, SL_EUSAGE, "'%s' is not an account chain", chain);
    if ((rc = sl_eth_chain_open(s, def->name, &c, e))) return rc;
    if (!sl_eth_meta_get(c)->n_blocks) return sl_err(e, SL_ENOTFOUND, "the store holds no %s blocks", def->name);
    if (!(v = sl_calloc(1, sizeof *v))) return sl_err(e, SL_ENOMEM, "out of memory");
    v->c = c;
    v->info = sl_eth_chain_info_get(c);
    v->base.m = &ACCT_METHODS;
    v->base.chain = def->id;
    v->base.model = SL_MODEL_ACCOUNT;
    v->base.name = def->name;
    *out = &v->base;
    return SL_OK;
}
