/* xchain.c — crossings found in the chains' own data (xchain.h): the legs of THORChain
 * swaps matched across chains through their memos, and DEX swaps seen by their Swap
 * events, each turned into a trace link so `sleuth trace` continues through them.
 *
 * Rules (docs/LAUNDERING.md, "Cross-chain crossings"):
 *   inbound   a swap memo (thormemo.c) carried by a Bitcoin-family OP_RETURN (the payment:
 *             the output paid to a learned vault, else the first output that is not the
 *             OP_RETURN), by a THORChain router Deposit event (the payment: the tx's flow
 *             to the router in the deposited asset, the largest), or by an EVM tx input
 *             (the payment: the tx's native flow). One inbound per transaction.
 *   vaults    learned from the data, never listed: the senders of OUT:/REFUND: memos
 *             (a Bitcoin outbound's input addresses; an EVM outbound's sender and the
 *             TransferOut event's vault).
 *   outbound  every annotation whose ref is the inbound's txid (what sl_annot_by_ref answers,
 *             taken from the one pass over the rows: no query per inbound), one per
 *             transaction: on a Bitcoin-family chain the output paying the memo's
 *             destination, else the first output that is neither the OP_RETURN nor a
 *             vault; on an EVM chain the TransferOut event's `to` (TransferOutAndCall's
 *             aggregator `target`, which swaps and pays the user in the same tx) paid in
 *             that tx (the router's internal or token flow to it, the largest), or, for a memo in the
 *             input, the tx's native flow. OUT: is the swap's outbound, REFUND: its refund.
 *   amounts   from_amount = the inbound payment, to_amount = the outbound payment. A
 *             streaming swap paid by k outbounds gives k links leaving at the one inbound
 *             payment, the inbound amount split over them in proportion to their outbound
 *             amounts by cumulative floors (the engine splits the taint the same way).
 *   unmatched no outbound in the store: a link with to_flow SL_FLOW_NONE, to the chain the
 *             memo's asset names ("thorchain" for synth, trade and secured assets).
 *   DEX       a Uniswap V2/V3 Swap event by pool P: the largest flow into P and the largest
 *             flow out of P to the event's recipient in another asset, in the same tx.
 */
#include "sleuth/xchain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/hashtab.h"
#include "sleuth/util.h"
#include "trace/engine_int.h" /* sl_tr_muldiv: the engine's exact floor(a*b/d) */

/* What is kept of an annotation row (the row's pointers live only during the callback). */
typedef struct arow {
    uint64_t tx;
    uint32_t idx;
    uint16_t chain;
    uint8_t kind, event;
    uint8_t contract[20];
    uint8_t topic1[32], topic2[32];
    uint8_t payee[20];   /* router outbound events: who the router paid (TransferOut's `to`,
                          * TransferOutAndCall's aggregator `target`); zero otherwise */
    char text[251];
    char ref[65];        /* OUT:/REFUND: rows: the inbound txid they name (annot.h) */
} arow;

typedef struct arows {
    arow *v;
    size_t n, cap;
} arows;

typedef struct find_ctx {
    const sl_flow_set *fs;
    sl_annot *a;
    sl_xchain_list *out;
    arows in, outs, dex, legs;
    sl_ht vaults; /* (chain, address id) of learned vaults */
    sl_ht pool_in; /* (chain, flow) of the payments into pools already linked */
    sl_thornames names; /* the analyst's THORNames (thornames.c) */
    sl_error *e;
} find_ctx;

static int push_row(arows *l, const sl_annot_row *r)
{
    void *q = l->v;
    if (sl_grow(&q, &l->cap, l->n + 1, sizeof *l->v)) return SL_ENOMEM;
    l->v = q;
    arow *x = &l->v[l->n++];
    memset(x, 0, sizeof *x);
    x->tx = r->tx, x->idx = r->idx, x->chain = r->chain, x->kind = r->kind, x->event = r->event;
    memcpy(x->contract, r->contract, 20);
    if (r->n_topics > 1) memcpy(x->topic1, r->topics[1], 32);
    if (r->n_topics > 2) memcpy(x->topic2, r->topics[2], 32);
    /* TransferOut: `to`; TransferOutAndCall(V5): the aggregator `target`, which swaps and pays `to` */
    if (!sl_annot_router_payee(r, x->payee)) memset(x->payee, 0, sizeof x->payee);
    snprintf(x->text, sizeof x->text, "%s", r->text ? r->text : "");
    memcpy(x->ref, r->ref, sizeof x->ref);
    x->ref[64] = 0;
    return SL_OK;
}

static bool thor_event(int ev)
{
    return ev == SL_EV_THOR_DEPOSIT || ev == SL_EV_THOR_TRANSFER_OUT || ev == SL_EV_THOR_TRANSFER_OUT_CALL ||
           ev == SL_EV_THOR_TRANSFER_OUT_CALL_V5;
}

/* A text that may be meant as a THORChain memo: a router event's, or a short function
 * name before a ':' (OP_RETURN payloads and inputs carry many other texts). */
static bool thor_looking(const sl_annot_row *r)
{
    const char *c = strchr(r->text, ':');
    return thor_event(r->event) || (c && c > r->text && c - r->text <= 12);
}

static int collect(void *vctx, const sl_annot_row *r)
{
    find_ctx *c = vctx;
    sl_thor_memo m;
    sl_error e2 = {0};
    if (r->kind == SL_ANNOT_EVENT && (r->event == SL_EV_UNI_V2_SWAP || r->event == SL_EV_UNI_V3_SWAP))
        return push_row(&c->dex, r);
    if (!r->text || !r->text[0] || !thor_looking(r)) return 0;
    c->out->memos_seen++;
    if (sl_thor_memo_parse(r->text, strlen(r->text), &m, &e2)) {
        c->out->unparsed++;
        return 0;
    }
    if (m.type == SL_THOR_OUT || m.type == SL_THOR_REFUND) return push_row(&c->outs, r);
    if (m.type != SL_THOR_SWAP) return 0;
    if (r->kind == SL_ANNOT_EVENT && r->event != SL_EV_THOR_DEPOSIT) return 0;
    return push_row(&c->in, r);
}

/* ---- addresses ---- */

static bool addr20(const sl_flow_view *v, const uint8_t b[20], uint32_t *id)
{
    char hex[43] = "0x";
    sl_error e = {0};
    sl_hex_encode(hex + 2, b, 20);
    return v->m->addr_find(v, hex, id, &e) == SL_OK;
}

static bool is_vault(const find_ctx *c, uint16_t chain, uint32_t addr)
{
    uint64_t k = sl_addr_ref_key((sl_addr_ref){chain, addr});
    return addr && sl_ht_get(&c->vaults, &k, sizeof k, NULL);
}

static int add_vault(find_ctx *c, uint16_t chain, uint32_t addr)
{
    uint64_t k = sl_addr_ref_key((sl_addr_ref){chain, addr});
    return addr ? sl_ht_set(&c->vaults, &k, sizeof k, 1) : SL_OK;
}

/* The tx's first flow that is not a fee: on an account chain, the call itself. */
static bool first_flow(const sl_flow_view *v, uint64_t tx, sl_flow *out)
{
    uint64_t first;
    uint32_t n;
    v->m->tx_flows(v, tx, &first, &n);
    for (uint32_t k = 0; k < n; k++) {
        v->m->flow_get(v, first + k, out);
        if (!out->fee && !out->sink) return true;
    }
    return false;
}

/* The senders of OUT:/REFUND: memos are THORChain's vaults. */
static int learn_vaults(find_ctx *c)
{
    for (size_t i = 0; i < c->outs.n; i++) {
        const arow *r = &c->outs.v[i];
        const sl_flow_view *v = sl_flow_set_chain(c->fs, r->chain);
        int rc = SL_OK;
        if (!v) continue;
        if (v->model == SL_MODEL_UTXO) {
            sl_utxo_pool p;
            v->m->utxo_pool(v, r->tx, &p);
            for (uint32_t k = 0; k < p.n_in && !rc; k++) {
                uint32_t addr = 0;
                v->m->utxo_in_value(v, p.first_in + k, &addr);
                rc = add_vault(c, r->chain, addr);
            }
        } else {
            sl_flow f;
            uint32_t vault;
            if (first_flow(v, r->tx, &f)) rc = add_vault(c, r->chain, f.from);
            if (!rc && r->kind == SL_ANNOT_EVENT && addr20(v, r->topic1 + 12, &vault)) rc = add_vault(c, r->chain, vault);
        }
        if (rc) return rc;
    }
    return SL_OK;
}

/* ---- payments ---- */

/* The largest non-fee flow of tx to `to` (from `from` when given, else anyone) whose asset
 * is `asset` (want_native) or anything but the native coin (!want_native); any asset when
 * any_asset. */
static bool largest_to(const sl_flow_view *v, uint64_t tx, uint32_t to, uint32_t from, bool any_asset, bool want_native,
                       sl_flow *out)
{
    uint64_t first;
    uint32_t n;
    bool found = false;
    v->m->tx_flows(v, tx, &first, &n);
    for (uint32_t k = 0; k < n; k++) {
        sl_flow f;
        v->m->flow_get(v, first + k, &f);
        if (f.fee || f.sink || f.to != to || (from && f.from != from)) continue;
        if (!any_asset && (f.asset == 0) != want_native) continue;
        if (!found || f.amount > out->amount) *out = f, found = true;
    }
    return found;
}

/* A Bitcoin-family tx's payment: the output to `dest` (0: none), else to a vault when
 * prefer_vault, else the first that is neither the OP_RETURN at skip nor (when
 * !prefer_vault) a vault; output 0 as the last resort. */
static bool utxo_payment(const find_ctx *c, const sl_flow_view *v, uint64_t tx, uint32_t skip, uint32_t dest,
                         bool prefer_vault, sl_flow *out)
{
    sl_utxo_pool p;
    int64_t pick = -1, first = -1;
    v->m->utxo_pool(v, tx, &p);
    for (uint32_t k = 0; k < p.n_out; k++) {
        uint64_t value;
        uint32_t addr;
        bool unsp;
        v->m->utxo_out(v, p.first_out + k, &value, &addr, &unsp);
        if (k == skip || unsp) continue;
        bool vault = is_vault(c, v->chain, addr);
        if (dest && addr == dest) { pick = k; break; }
        if (prefer_vault && vault && pick < 0) pick = k;
        if (first < 0 && (prefer_vault || !vault)) first = k;
    }
    if (pick < 0) pick = first >= 0 ? first : 0;
    if (!p.n_out) return false;
    v->m->flow_get(v, SL_FLOW_UTXO(tx, (uint32_t)pick), out);
    return true;
}

static bool inbound_payment(const find_ctx *c, const sl_flow_view *v, const arow *r, sl_flow *out)
{
    if (v->model == SL_MODEL_UTXO) return r->kind == SL_ANNOT_OPRETURN && utxo_payment(c, v, r->tx, r->idx, 0, true, out);
    if (r->kind == SL_ANNOT_EVENT) { /* router Deposit: sender -> router in the deposited asset */
        uint32_t router;
        static const uint8_t zero[20];
        bool native = !memcmp(r->topic2 + 12, zero, 20);
        return addr20(v, r->contract, &router) && largest_to(v, r->tx, router, 0, false, native, out);
    }
    sl_flow f; /* a memo in the input: the call's native value */
    if (!first_flow(v, r->tx, &f)) return false;
    return largest_to(v, r->tx, f.to, f.from, false, true, out);
}

/* Where a swap's outbound must pay: the memo's destination as an address of the outbound's
 * chain, or the address its THORName has there in the analyst's names file (then `strict`:
 * an outbound paying elsewhere is not this swap's). */
typedef struct dest_t {
    const char *text;          /* the address to look for ("" none) */
    const sl_thorname *name;   /* the names entry it came from, NULL none */
} dest_t;

static bool outbound_payment(const find_ctx *c, const sl_flow_view *v, const arow *r, const dest_t *d, sl_flow *out)
{
    uint32_t want = 0;
    sl_error e = {0};
    /* the address is needed by a UTXO outbound (its paying output) and by a named one */
    if (d->text[0] && (d->name || v->model == SL_MODEL_UTXO) && v->m->addr_find(v, d->text, &want, &e)) want = 0;
    if (d->name && !want) return false; /* the named address never appears on this chain */
    if (v->model == SL_MODEL_UTXO) {
        if (r->kind != SL_ANNOT_OPRETURN || !utxo_payment(c, v, r->tx, r->idx, want, false, out)) return false;
        return !d->name || out->to == want;
    }
    if (r->kind == SL_ANNOT_EVENT) { /* TransferOut / TransferOutAndCall(V5): the router's payment to the payee */
        uint32_t to, router = 0;
        if (!addr20(v, r->payee, &to)) return false;
        /* a named destination binds TransferOut's `to`; an aggregator call pays its target, which pays the user */
        if (d->name && r->event == SL_EV_THOR_TRANSFER_OUT && to != want) return false;
        if (!addr20(v, r->contract, &router)) router = 0;
        return largest_to(v, r->tx, to, router, true, false, out) || largest_to(v, r->tx, to, 0, true, false, out);
    }
    sl_flow f;
    if (!first_flow(v, r->tx, &f) || (d->name && f.to != want)) return false;
    return largest_to(v, r->tx, f.to, f.from, false, true, out);
}

/* ---- building the list ---- */

static int add_xc(find_ctx *c, const sl_xchain *x)
{
    void *q = c->out->v;
    if (sl_grow(&q, &c->out->cap, c->out->n + 1, sizeof *c->out->v)) return SL_ENOMEM;
    c->out->v = q;
    c->out->v[c->out->n++] = *x;
    return SL_OK;
}

static int cmp_row(const void *a, const void *b)
{
    const arow *x = a, *y = b;
    if (x->chain != y->chain) return x->chain < y->chain ? -1 : 1;
    if (x->tx != y->tx) return x->tx < y->tx ? -1 : 1;
    return (y->kind > x->kind) - (y->kind < x->kind); /* events first: they say the most */
}

static int cmp_ref(const void *a, const void *b)
{
    const arow *x = a, *y = b;
    int d = strcmp(x->ref, y->ref);
    return d ? d : cmp_row(a, b);
}

/* The outbound rows naming txid (sl_annot_by_ref's answer, from the rows already read:
 * one pass over the annotations instead of a query per inbound) into c->legs. */
static int legs_of(find_ctx *c, const char *txid)
{
    char key[65];
    size_t lo = 0, hi = c->outs.n, n = 0;
    if (txid[0] == '0' && (txid[1] == 'x' || txid[1] == 'X')) txid += 2;
    for (; txid[n] && n < 64; n++) key[n] = (char)tolower((unsigned char)txid[n]);
    key[n] = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->outs.v[mid].ref, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    c->legs.n = 0;
    for (; lo < c->outs.n && !strcmp(c->outs.v[lo].ref, key); lo++) {
        void *q = c->legs.v;
        if (sl_grow(&q, &c->legs.cap, c->legs.n + 1, sizeof *c->legs.v)) return SL_ENOMEM;
        c->legs.v = q;
        c->legs.v[c->legs.n++] = c->outs.v[lo];
    }
    return SL_OK;
}

/* The chain a swap's asset is paid on, as xchain.h names it. */
static void dest_chain(const sl_thor_memo *m, char *out, size_t cap)
{
    const char *name = sl_thor_chain_name(m->asset_chain);
    size_t n = strlen(m->asset_chain);
    if (m->asset[n] != '.') name = "thorchain"; /* synth, trade and secured assets stay there */
    if (name) { snprintf(out, cap, "%s", name); return; }
    for (size_t i = 0; i < n && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)m->asset_chain[i]), out[i + 1] = 0;
}

static void memo_note(char *out, size_t cap, const char *what, const char *memo, const char *tail)
{
    int n = snprintf(out, cap, "%s, memo %.96s%s, %s", what, memo, strlen(memo) > 96 ? "..." : "", tail);
    if (n >= (int)cap && cap > 4) memcpy(out + cap - 4, "...", 4); /* a note is read, not parsed: cut it visibly */
}

/* A destination written as a THORName rather than an address of the outbound's chain. */
static bool unnamed_thorname(const sl_flow_view *v, const char *dest)
{
    uint32_t id;
    sl_error e = {0};
    return sl_thorname_syntax(dest) && v->m->addr_find(v, dest, &id, &e) == SL_EUSAGE;
}

static int one_inbound(find_ctx *c, const arow *r)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, r->chain);
    sl_thor_memo m, om;
    sl_error e2 = {0};
    sl_flow in;
    char txid[SL_FLOW_NAME_MAX];
    int rc;
    if (!v || sl_thor_memo_parse(r->text, strlen(r->text), &m, &e2) || !inbound_payment(c, v, r, &in) || !in.amount)
        return SL_OK;
    v->m->tx_name(v, r->tx, txid);
    if ((rc = legs_of(c, txid))) return rc; /* sorted by (chain, tx, kind) within the ref */

    sl_xchain base = {.kind = SL_XC_THOR_SWAP, .time_in = v->m->tx_time(v, r->tx)};
    base.link = (sl_trace_link){.from_chain = r->chain, .from_flow = in.id, .to_flow = SL_FLOW_NONE,
                                .from_amount = in.amount, .origin = SL_LINK_CHAIN_DATA};
    snprintf(base.memo, sizeof base.memo, "%s", r->text);
    dest_chain(&m, base.to_chain_name, sizeof base.to_chain_name);

    /* the destination: an address, or a THORName the analyst's names file resolves */
    dest_t dest = {m.dest, sl_thornames_find(&c->names, m.dest, m.asset_chain)};
    char dnote[200] = "";
    if (dest.name) {
        const char *base = strrchr(dest.name->file, '/');
        dest.text = dest.name->address;
        snprintf(dnote, sizeof dnote, "to THORName %s = %.70s (%.40s line %u), ", dest.name->name, dest.name->address,
                 base ? base + 1 : dest.name->file, dest.name->line);
    }
    /* the outbound legs, one per tx: their payments */
    size_t first = c->out->n;
    sl_u128 total = 0;
    for (size_t i = 0; i < c->legs.n; i++) {
        const arow *o = &c->legs.v[i];
        const sl_flow_view *ov = sl_flow_set_chain(c->fs, o->chain);
        sl_flow f;
        if (i && o->chain == c->legs.v[i - 1].chain && o->tx == c->legs.v[i - 1].tx) continue;
        if (!ov || sl_thor_memo_parse(o->text, strlen(o->text), &om, &e2) || !outbound_payment(c, ov, o, &dest, &f) || !f.amount)
            continue;
        if (!dest.name && om.type == SL_THOR_OUT && unnamed_thorname(ov, m.dest))
            snprintf(dnote, sizeof dnote, "to THORName %s, not in the names file: %s, ", m.dest,
                     ov->model == SL_MODEL_UTXO ? "first non-vault output" : "the payee the outbound names");
        sl_xchain x = base;
        x.kind = om.type == SL_THOR_REFUND ? SL_XC_THOR_REFUND : SL_XC_THOR_SWAP;
        x.matched = true;
        x.link.to_chain = o->chain, x.link.to_flow = f.id, x.link.to_amount = f.amount;
        snprintf(x.link.to_chain_name, sizeof x.link.to_chain_name, "%s", ov->name);
        snprintf(x.to_chain_name, sizeof x.to_chain_name, "%s", ov->name);
        snprintf(x.out_memo, sizeof x.out_memo, "%s", o->text);
        x.time_out = ov->m->tx_time(ov, o->tx);
        char tail[320];
        snprintf(tail, sizeof tail, "%smatched by %.100s", om.type == SL_THOR_REFUND ? "" : dnote, o->text);
        memo_note(x.link.note, sizeof x.link.note, x.kind == SL_XC_THOR_REFUND ? "THORChain refund" : "THORChain swap",
                  r->text, tail);
        if ((rc = add_xc(c, &x))) return rc;
        total += f.amount;
    }
    size_t legs = c->out->n - first;
    if (!legs) {
        sl_xchain x = base;
        snprintf(x.link.to_chain_name, sizeof x.link.to_chain_name, "%s", x.to_chain_name);
        const sl_chain_def *d = sl_chain_by_name(x.to_chain_name);
        x.link.to_chain = d ? d->id : 0;
        char tail[200];
        if (dest.name && c->legs.n) /* legs name it, but none pays the named address */
            snprintf(tail, sizeof tail, "%sno outbound in the store pays it", dnote);
        else
            snprintf(tail, sizeof tail, "outbound on %s not in the store", x.to_chain_name);
        memo_note(x.link.note, sizeof x.link.note, "THORChain swap", r->text, tail);
        return add_xc(c, &x);
    }
    /* several legs: the inbound split over them by their outbound amounts (cumulative floors) */
    sl_u128 cum = 0, given = 0;
    for (size_t i = first; i < c->out->n; i++) {
        sl_xchain *x = &c->out->v[i];
        x->legs = (uint32_t)legs;
        cum += x->link.to_amount;
        sl_u128 upto = sl_tr_muldiv(in.amount, cum, total);
        x->link.from_amount = upto - given;
        given = upto;
    }
    /* a leg whose share rounds to nothing cannot carry taint: dropped */
    size_t k = first;
    for (size_t i = first; i < c->out->n; i++)
        if (c->out->v[i].link.from_amount) c->out->v[k++] = c->out->v[i];
    c->out->n = k;
    return SL_OK;
}

static int one_dex(find_ctx *c, const arow *r)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, r->chain);
    uint32_t pool, to;
    uint64_t first;
    uint32_t n;
    sl_flow fin = {0}, fout = {0};
    bool have_in = false, have_out = false;
    if (!v || v->model != SL_MODEL_ACCOUNT || !addr20(v, r->contract, &pool) || !addr20(v, r->topic2 + 12, &to)) return SL_OK;
    v->m->tx_flows(v, r->tx, &first, &n);
    for (uint32_t k = 0; k < n; k++) { /* the largest flow into the pool */
        sl_flow f;
        v->m->flow_get(v, first + k, &f);
        if (f.fee || f.sink || f.to != pool || f.from == pool) continue;
        if (!have_in || f.amount > fin.amount) fin = f, have_in = true;
    }
    if (!have_in) return SL_OK;
    for (uint32_t k = 0; k < n; k++) { /* the largest out of it to the recipient, in another asset */
        sl_flow f;
        v->m->flow_get(v, first + k, &f);
        if (f.fee || f.sink || f.from != pool || f.to != to || f.asset == fin.asset) continue;
        if (!have_out || f.amount > fout.amount) fout = f, have_out = true;
    }
    if (!have_out || !fin.amount) return SL_OK;
    uint64_t key[2] = {r->chain, fin.id};
    uint64_t *slot;
    bool added;
    if (sl_ht_upsert(&c->pool_in, key, sizeof key, 1, &slot, &added)) return SL_ENOMEM;
    if (!added) return SL_OK; /* one link per payment into a pool (V3 routes emit several Swap events) */
    sl_xchain x = {.kind = SL_XC_DEX_SWAP, .matched = true, .legs = 1};
    x.link = (sl_trace_link){.from_chain = r->chain, .to_chain = r->chain, .from_flow = fin.id, .to_flow = fout.id,
                             .from_amount = fin.amount, .to_amount = fout.amount, .origin = SL_LINK_CHAIN_DATA};
    snprintf(x.link.note, sizeof x.link.note, "DEX swap (Uniswap %s Swap event)", r->event == SL_EV_UNI_V2_SWAP ? "V2" : "V3");
    snprintf(x.link.to_chain_name, sizeof x.link.to_chain_name, "%s", v->name);
    snprintf(x.to_chain_name, sizeof x.to_chain_name, "%s", v->name);
    x.time_in = x.time_out = v->m->tx_time(v, r->tx);
    return add_xc(c, &x);
}

/* The bridge crossings by the rules kept in a's store (bridges.c). */
static int store_bridges(const sl_flow_set *fs, sl_annot *a, const sl_tx_ref *txs, size_t n, sl_xchain_list *out,
                         sl_error *e)
{
    sl_bridge_rules r = {0};
    int rc = sl_bridge_rules_load(sl_annot_store_dir(a), &r, e);
    const char *off = getenv("SLEUTH_BRIDGE_CACHE"); /* "off": pair on every call (bench/bench_bridge.sh) */
    if (!rc) rc = sl_xchain_bridges_cached(fs, off && !strcmp(off, "off") ? NULL : a, &r, txs, n, out, e);
    sl_bridge_rules_free(&r);
    return rc;
}

int sl_xchain_find(const sl_flow_set *fs, sl_annot *a, sl_xchain_list *out, sl_error *e)
{
    find_ctx c = {.fs = fs, .a = a, .out = out, .e = e};
    int rc = sl_thornames_load(sl_annot_store_dir(a), &c.names, e);
    if (!rc) rc = sl_annot_each(a, 0, 0, 0, collect, &c, e);
    if (rc == SL_ENOMEM) sl_err(e, rc, "out of memory reading the annotations");
    if (!rc && (rc = learn_vaults(&c))) sl_err(e, rc, "out of memory");
    if (!rc && c.outs.n > 1) qsort(c.outs.v, c.outs.n, sizeof *c.outs.v, cmp_ref);
    if (!rc && c.in.n > 1) qsort(c.in.v, c.in.n, sizeof *c.in.v, cmp_row);
    for (size_t i = 0; i < c.in.n && !rc; i++) {
        if (i && c.in.v[i].chain == c.in.v[i - 1].chain && c.in.v[i].tx == c.in.v[i - 1].tx) continue;
        if ((rc = one_inbound(&c, &c.in.v[i])) == SL_ENOMEM) sl_err(e, rc, "out of memory");
    }
    for (size_t i = 0; i < c.dex.n && !rc; i++)
        if ((rc = one_dex(&c, &c.dex.v[i]))) sl_err(e, rc, "out of memory");
    sl_free(c.in.v), sl_free(c.outs.v), sl_free(c.dex.v), sl_free(c.legs.v);
    sl_ht_free(&c.vaults), sl_ht_free(&c.pool_in), sl_thornames_free(&c.names);
    return rc ? rc : store_bridges(fs, a, NULL, 0, out, e);
}

/* ---- by transaction (the rows of the asked txs only) ---- */

/* sl_annot_by_ref's rows: the OUT:/REFUND: legs, filtered as collect() files them. */
static int collect_leg(void *vctx, const sl_annot_row *r)
{
    find_ctx *c = vctx;
    sl_thor_memo m;
    sl_error e2 = {0};
    if (!r->text || !r->text[0] || !thor_looking(r) || sl_thor_memo_parse(r->text, strlen(r->text), &m, &e2)) return 0;
    return m.type == SL_THOR_OUT || m.type == SL_THOR_REFUND ? push_row(&c->outs, r) : 0;
}

/* The crossings departing in one tx: its inbound (the first of its inbound rows, events
 * first, as sl_xchain_find takes it) with the legs naming it and the vaults they show, then
 * its Swap events. */
static int find_one_tx(find_ctx *c, uint16_t chain, uint64_t tx)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    int rc;
    c->in.n = c->outs.n = c->dex.n = 0;
    if (!v) return SL_OK;
    if ((rc = sl_annot_of_tx(c->a, chain, tx, collect, c, c->e))) return rc == SL_ENOMEM ? sl_err(c->e, rc, "out of memory") : rc;
    if (c->in.n) {
        char txid[SL_FLOW_NAME_MAX];
        if (c->in.n > 1) qsort(c->in.v, c->in.n, sizeof *c->in.v, cmp_row);
        v->m->tx_name(v, tx, txid);
        c->outs.n = 0; /* collect() filed this tx's own OUT: rows there: the legs are by ref */
        if ((rc = sl_annot_by_ref(c->a, txid, collect_leg, c, c->e))) return rc == SL_ENOMEM ? sl_err(c->e, rc, "out of memory") : rc;
        sl_ht_clear(&c->vaults); /* this inbound's vaults: the senders of the legs naming it */
        if ((rc = learn_vaults(c))) return sl_err(c->e, rc, "out of memory");
        if (c->outs.n > 1) qsort(c->outs.v, c->outs.n, sizeof *c->outs.v, cmp_ref);
        if ((rc = one_inbound(c, &c->in.v[0]))) return sl_err(c->e, rc, "out of memory");
    }
    for (size_t i = 0; i < c->dex.n; i++)
        if ((rc = one_dex(c, &c->dex.v[i]))) return sl_err(c->e, rc, "out of memory");
    return SL_OK;
}

int sl_xchain_find_at(const sl_flow_set *fs, sl_annot *a, const sl_tx_ref *txs, size_t n, sl_xchain_list *out, sl_error *e)
{
    find_ctx c = {.fs = fs, .a = a, .out = out, .e = e};
    sl_ht asked = {0};
    bool began = false;
    int rc = n ? sl_thornames_load(sl_annot_store_dir(a), &c.names, e) : SL_OK;
    if (!rc && n) rc = sl_annot_read_begin(a, &began, e); /* one shared lock for the batch, not one a query */
    for (size_t i = 0; i < n && !rc; i++) {
        uint64_t k[2] = {txs[i].chain, txs[i].id}, *slot;
        bool added;
        if ((rc = sl_ht_upsert(&asked, k, sizeof k, 1, &slot, &added))) {
            sl_err(e, rc, "out of memory");
            break;
        }
        if (!added) continue;
        out->txs_asked++;
        rc = find_one_tx(&c, txs[i].chain, txs[i].id);
    }
    if (began) sl_annot_read_end(a);
    sl_free(c.in.v), sl_free(c.outs.v), sl_free(c.dex.v), sl_free(c.legs.v);
    sl_ht_free(&c.vaults), sl_ht_free(&c.pool_in), sl_ht_free(&asked), sl_thornames_free(&c.names);
    return rc ? rc : store_bridges(fs, a, txs, n, out, e);
}

/* The tx that made payment flow on chain (SL_FLOW_NONE: none, or an input). */
static uint64_t paying_tx(const sl_flow_set *fs, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_flow_set_chain(fs, chain);
    sl_flow f;
    if (!v || flow == SL_FLOW_NONE) return SL_FLOW_NONE;
    if (v->model == SL_MODEL_UTXO) return flow & SL_FLOW_UTXO_INPUT ? SL_FLOW_NONE : SL_FLOW_UTXO_TX(flow);
    v->m->flow_get(v, flow, &f);
    return f.tx;
}

static int reach_add(sl_ht *asked, sl_tx_ref t, sl_tx_ref **v, size_t *n, size_t *cap)
{
    uint64_t k[2] = {t.chain, t.id}, *slot;
    bool added;
    if (t.id == SL_FLOW_NONE) return SL_OK;
    if (sl_ht_upsert(asked, k, sizeof k, 1, &slot, &added)) return SL_ENOMEM;
    if (!added) return SL_OK;
    void *q = *v;
    if (sl_grow(&q, cap, *n + 1, sizeof **v)) return SL_ENOMEM;
    *v = q;
    (*v)[(*n)++] = t;
    return SL_OK;
}

int sl_xchain_reached(const sl_flow_set *fs, const sl_trace_source *src, const sl_trace_result *r, sl_ht *asked,
                      sl_tx_ref **v, size_t *n, size_t *cap)
{
    int rc = SL_OK;
    if (src && src->kind == SL_SOURCE_TX) rc = reach_add(asked, (sl_tx_ref){src->chain, src->tx}, v, n, cap);
    for (size_t i = 0; r && i < r->n_edges && !rc; i++)
        rc = reach_add(asked, (sl_tx_ref){r->edges[i].chain, paying_tx(fs, r->edges[i].chain, r->edges[i].flow)}, v, n, cap);
    for (size_t i = 0; r && i < r->n_ends && !rc; i++)
        rc = reach_add(asked, (sl_tx_ref){r->ends[i].chain, paying_tx(fs, r->ends[i].chain, r->ends[i].flow)}, v, n, cap);
    return rc;
}

int sl_xchain_links(const sl_xchain_list *l, sl_trace_links *links)
{
    void *q = links->v;
    if (!l->n) return SL_OK;
    if (sl_grow(&q, &links->cap, links->n + l->n, sizeof *links->v)) return SL_ENOMEM;
    links->v = q;
    for (size_t i = 0; i < l->n; i++) links->v[links->n++] = l->v[i].link;
    return SL_OK;
}

void sl_xchain_list_free(sl_xchain_list *l)
{
    sl_free(l->v);
    memset(l, 0, sizeof *l);
}
