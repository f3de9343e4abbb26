/* trace_json.c — the JSON document of `sleuth trace --json` (report.h; keys in
 * docs/JSON.md), the same keys on every chain: what was traced, the parameters, the
 * conservation line of every asset, the endpoints, every tainted flow with the addresses
 * at both ends, the per-hop statistics and the top paths. Streamed (jw.c): nothing is
 * allocated, so memory does not grow with the number of flows. */
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/util.h"
#include "sleuth/text.h"

/* The address of (chain, addr) as a member, null for none. */
static void j_addr(sl_jw *w, const sl_trace_report *rep, const char *key, uint16_t chain, uint32_t addr)
{
    char a[SL_FLOW_NAME_MAX];
    if (!addr) { sl_jw_null(w, key); return; }
    sl_rt_addr(rep, chain, addr, a);
    sl_jw_id(w, key, a);
}

static void j_tx(sl_jw *w, const sl_trace_report *rep, const char *key, uint16_t chain, uint64_t tx)
{
    char t[SL_FLOW_NAME_MAX];
    sl_rt_tx(rep, chain, tx, t);
    sl_jw_id(w, key, t[0] ? t : NULL);
}

static void j_asset(sl_jw *w, const sl_trace_report *rep, const char *key, uint16_t chain, uint32_t asset)
{
    sl_flow_asset a;
    sl_rt_asset(rep, chain, asset, &a);
    sl_jw_str(w, key, a.symbol);
}

/* "vout" and "flow": a payment's number in its tx, the one its chain uses. */
static void j_index(sl_jw *w, const sl_flow_view *v, uint64_t flow)
{
    uint32_t k = flow == SL_FLOW_NONE ? UINT32_MAX : v->m->flow_index(v, flow);
    bool utxo = v->model == SL_MODEL_UTXO;
    sl_jw_u64_or_null(w, "vout", k, utxo && k != UINT32_MAX);
    sl_jw_u64_or_null(w, "flow", k, !utxo && k != UINT32_MAX);
}

/* A payment: {chain, asset, tx, vout, flow, from, to, amount, time}. */
static void j_payment(sl_jw *w, const sl_trace_report *rep, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    sl_flow f;
    v->m->flow_get(v, flow, &f);
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "chain", v->name);
    j_asset(w, rep, "asset", chain, f.asset);
    j_tx(w, rep, "tx", chain, f.tx);
    j_index(w, v, flow);
    j_addr(w, rep, "from", chain, v->model == SL_MODEL_UTXO ? sl_rt_payer(rep, chain, f.tx) : f.from);
    j_addr(w, rep, "to", chain, f.to);
    sl_jw_u128(w, "amount", f.amount);
    sl_jw_u64_or_null(w, "time", f.time, f.time != 0);
    sl_jw_end(w);
}

static void j_totals(sl_jw *w, const sl_trace_report *rep, const char *key, const sl_trace_totals *t, bool named)
{
    sl_jw_obj(w, key);
    if (named) {
        sl_flow_asset a;
        sl_rt_asset(rep, t->asset.chain, t->asset.id, &a);
        sl_jw_str(w, "chain", sl_rt_chain(rep, t->asset.chain));
        sl_jw_str(w, "asset", a.symbol);
        sl_jw_u64_or_null(w, "decimals", (uint64_t)a.decimals, a.decimals >= 0);
    }
    sl_jw_u128(w, "source", t->source);
    sl_jw_u128(w, "absorbed", t->absorbed);
    sl_jw_u128(w, "linked_in", t->linked_in);
    sl_jw_u128(w, "endpoints", t->endpoints);
    sl_jw_u128(w, "held", t->held);
    sl_jw_u128(w, "fees", t->fees);
    sl_jw_u128(w, "dropped", t->dropped);
    sl_jw_u128(w, "linked_out", t->linked_out);
    sl_jw_bool(w, "balanced", sl_trace_balanced(t));
    sl_jw_end(w);
}

static void j_params(sl_jw *w, const sl_trace_report *rep)
{
    const sl_trace_params *p = &rep->params;
    sl_jw_obj(w, "params");
    sl_jw_str(w, "policy", sl_policy_name(p->policy));
    sl_jw_u64_or_null(w, "max_hops", p->max_hops, p->max_hops != 0);
    sl_jw_u64(w, "min_amount", p->min_amount);
    sl_jw_u64_or_null(w, "until", p->until, p->until != 0);
    sl_jw_u64_or_null(w, "since", p->since, p->since != 0);
    sl_jw_str(w, "stop_at", p->stop_at);
    sl_jw_str(w, "stop_at_status", sl_rt_stop_status(rep));
    sl_jw_u64(w, "max_nodes", p->max_nodes ? p->max_nodes : SL_TRACE_MAX_NODES_DEFAULT);
    sl_jw_str(w, "links", rep->n_declared ? rep->links.path : NULL);
    sl_jw_obj(w, "crossings");
    sl_jw_str(w, "status", rep->xc_status[0] ? rep->xc_status : "followed");
    sl_jw_u64(w, "txs_examined", rep->xc.txs_asked);
    sl_jw_u64(w, "passes_looked", rep->xc_rounds);
    sl_jw_bool(w, "whole_store", rep->xc_all);
    sl_jw_u64(w, "found", rep->xc.n);
    sl_jw_u64(w, "followed", rep->xc_used);
    sl_jw_u64(w, "left_out", rep->xc_skipped);
    sl_jw_u64(w, "memos_read", rep->xc.memos_seen);
    sl_jw_u64(w, "memos_unparsed", rep->xc.unparsed);
    sl_jw_end(w);
    sl_jw_end(w);
}

static const char *xc_kind(sl_xchain_kind k)
{
    return k == SL_XC_THOR_SWAP ? "thorchain-swap" : k == SL_XC_THOR_REFUND ? "thorchain-refund" : k == SL_XC_DEX_SWAP ? "dex-swap" : "bridge";
}

/* The crossings found in chain data that the trace used as links. */
static void j_xchains(sl_jw *w, const sl_trace_report *rep)
{
    sl_jw_arr(w, "crossings_used");
    for (size_t i = 0; i < rep->xc_used; i++) {
        const sl_xchain *x = &rep->xc.v[rep->xc_of_link[i]];
        const sl_trace_link *l = &x->link;
        const sl_flow_view *a = sl_rt_view(rep, l->from_chain), *b = x->matched ? sl_rt_view(rep, l->to_chain) : NULL;
        sl_flow f, g = {.tx = SL_FLOW_NONE};
        a->m->flow_get(a, l->from_flow, &f);
        if (b) b->m->flow_get(b, l->to_flow, &g);
        sl_jw_obj(w, NULL);
        sl_jw_str(w, "kind", xc_kind(x->kind));
        sl_jw_bool(w, "matched", x->matched);
        sl_jw_str(w, "note", l->note);
        sl_jw_str(w, "chain", a->name);
        j_tx(w, rep, "tx", l->from_chain, f.tx);
        j_index(w, a, l->from_flow);
        j_asset(w, rep, "asset", l->from_chain, f.asset);
        sl_jw_u128(w, "from_amount", l->from_amount);
        sl_jw_str(w, "to_chain", x->to_chain_name);
        if (b) {
            uint32_t k = b->m->flow_index(b, l->to_flow);
            j_tx(w, rep, "to_tx", l->to_chain, g.tx);
            sl_jw_u64_or_null(w, "to_index", k, k != UINT32_MAX);
            j_asset(w, rep, "to_asset", l->to_chain, g.asset);
            j_addr(w, rep, "to_address", l->to_chain, g.to);
            sl_jw_u128(w, "to_amount", l->to_amount);
        } else {
            sl_jw_null(w, "to_tx"), sl_jw_null(w, "to_index"), sl_jw_null(w, "to_asset");
            sl_jw_null(w, "to_address"), sl_jw_null(w, "to_amount");
        }
        sl_jw_str(w, "memo", x->memo[0] ? x->memo : NULL);
        sl_jw_str(w, "out_memo", x->out_memo[0] ? x->out_memo : NULL);
        sl_jw_u64(w, "legs", x->legs);
        sl_jw_end(w);
    }
    sl_jw_end(w);
}

static void j_end(sl_jw *w, const sl_trace_report *rep, const sl_trace_end *x)
{
    const sl_flow_view *v = sl_rt_view(rep, x->chain);
    bool utxo = v->model == SL_MODEL_UTXO, input = utxo && (x->flow & SL_FLOW_UTXO_INPUT);
    char name[200];
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "chain", v->name);
    j_addr(w, rep, "address", x->chain, x->addr);
    sl_jw_str(w, "name", sl_rt_name(rep, x->chain, x->addr, name, sizeof name) ? name : NULL);
    {
        const sl_addr_tagger *tg = &rep->rq.tagger;
        sl_addr_ref a = {x->chain, x->addr};
        char *cj = tg->cluster_json && x->addr ? tg->cluster_json(tg->ctx, a) : NULL;
        char *tj = tg->tags_json && x->addr ? tg->tags_json(tg->ctx, a) : NULL;
        if (cj) sl_jw_raw(w, "cluster", cj);
        else sl_jw_null(w, "cluster");
        if (tj) sl_jw_raw(w, "tags", tj);
        else sl_jw_arr(w, "tags"), sl_jw_end(w);
        sl_free(cj);
        sl_free(tj);
    }
    sl_jw_u128(w, "amount", x->amount);
    j_asset(w, rep, "asset", x->chain, x->asset);
    sl_jw_str(w, "status", sl_end_reason_name((sl_end_reason)x->reason));
    {
        const sl_trace_link *l = sl_rt_crossed(rep, x);
        sl_jw_str(w, "crossed_to", l ? (l->to_chain_name[0] ? l->to_chain_name : "?") : NULL);
        sl_jw_str(w, "crossing", l ? l->note : NULL);
    }
    if (utxo) {
        j_tx(w, rep, "tx", x->chain, x->pool);
        sl_jw_u64_or_null(w, "vout", SL_FLOW_UTXO_IDX(x->flow), !input);
        sl_jw_u64_or_null(w, "vin", SL_FLOW_UTXO_IDX(x->flow), input);
        sl_jw_null(w, "flow");
    } else {
        sl_flow f = {.tx = SL_FLOW_NONE};
        if (x->flow != SL_FLOW_NONE) v->m->flow_get(v, x->flow, &f);
        j_tx(w, rep, "tx", x->chain, f.tx);
        sl_jw_null(w, "vout");
        sl_jw_null(w, "vin");
        sl_jw_u64_or_null(w, "flow", x->flow == SL_FLOW_NONE ? 0 : v->m->flow_index(v, x->flow),
                          x->flow != SL_FLOW_NONE && f.tx != SL_FLOW_NONE);
    }
    sl_jw_u64_or_null(w, "first_arrival", x->time, x->time != 0);
    sl_jw_u64(w, "hops", x->hops);
    sl_jw_end(w);
}

/* A pool as a person names it: a UTXO pool by its tx, an account pool by its address. */
static void j_pool(sl_jw *w, const sl_trace_report *rep, const char *key, uint16_t chain, uint64_t pool)
{
    if (pool == SL_FLOW_NONE) sl_jw_null(w, key);
    else if (sl_rt_view(rep, chain)->model == SL_MODEL_UTXO) j_tx(w, rep, key, chain, pool);
    else j_addr(w, rep, key, chain, (uint32_t)pool);
}

static void j_edge(sl_jw *w, const sl_trace_report *rep, const sl_trace_edge *x)
{
    const sl_flow_view *v = sl_rt_view(rep, x->chain);
    bool utxo = v->model == SL_MODEL_UTXO, entry = x->flags & SL_TRACE_EDGE_SOURCE;
    char tx[SL_FLOW_NAME_MAX];
    sl_flow f;
    v->m->flow_get(v, x->flow, &f);
    sl_rt_tx(rep, x->chain, f.tx, tx);
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "chain", v->name);
    j_asset(w, rep, "asset", x->chain, x->asset);
    sl_jw_id(w, "tx", tx[0] ? tx : NULL);
    j_index(w, v, x->flow);
    j_addr(w, rep, "from", x->chain, x->from_addr);
    j_addr(w, rep, "to", x->chain, x->to_addr);
    if (utxo && !entry) sl_jw_id(w, "from_pool", tx); /* a UTXO flow leaves the tx that makes it */
    else j_pool(w, rep, "from_pool", x->chain, entry ? SL_FLOW_NONE : x->from_pool);
    j_pool(w, rep, "to_pool", x->chain, x->to_pool);
    sl_jw_u128(w, "amount", x->amount);
    sl_jw_u64_or_null(w, "time", f.time, f.time != 0);
    sl_jw_null(w, "link");
    sl_jw_end(w);
}

/* A crossing of a declared link, as a flow from the departing payment with the link
 * (the analyst's assertion) and the arriving payment in "link". */
static void j_crossing(sl_jw *w, const sl_trace_report *rep, const sl_trace_crossing *x)
{
    const sl_trace_link *l = sl_rt_link(rep, x);
    const sl_flow_view *a = sl_rt_view(rep, l->from_chain), *b = sl_rt_view(rep, l->to_chain);
    bool back = rep->params.backward;
    sl_flow f, g;
    a->m->flow_get(a, l->from_flow, &f);
    b->m->flow_get(b, l->to_flow, &g);
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "chain", a->name);
    j_asset(w, rep, "asset", l->from_chain, f.asset);
    j_tx(w, rep, "tx", l->from_chain, f.tx);
    j_index(w, a, l->from_flow);
    j_addr(w, rep, "from", l->from_chain, a->model == SL_MODEL_UTXO ? sl_rt_payer(rep, l->from_chain, f.tx) : f.from);
    j_addr(w, rep, "to", l->from_chain, f.to);
    j_pool(w, rep, "from_pool", l->from_chain, a->model == SL_MODEL_UTXO ? f.tx : f.from);
    sl_jw_null(w, "to_pool");
    sl_jw_u128(w, "amount", back ? x->amount_in : x->amount_out);
    sl_jw_u64_or_null(w, "time", f.time, f.time != 0);
    sl_jw_obj(w, "link");
    sl_jw_str(w, "asserted_by", l->origin == SL_LINK_CHAIN_DATA ? "chain-data" : l->origin == SL_LINK_RULE ? "rule" : "analyst");
    sl_jw_str(w, "file", l->origin == SL_LINK_DECLARED ? rep->links.path : NULL); /* a rule's file: in note */
    sl_jw_u64_or_null(w, "line", l->line, l->origin != SL_LINK_CHAIN_DATA);
    sl_jw_str(w, "note", l->note);
    sl_jw_u128(w, "from_amount", l->from_amount);
    sl_jw_u128(w, "to_amount", l->to_amount);
    sl_jw_str(w, "to_chain", b->name);
    j_asset(w, rep, "to_asset", l->to_chain, g.asset);
    j_tx(w, rep, "to_tx", l->to_chain, g.tx);
    {
        uint32_t k = b->m->flow_index(b, l->to_flow);
        sl_jw_u64_or_null(w, "to_vout", k, b->model == SL_MODEL_UTXO);
        sl_jw_u64_or_null(w, "to_flow", k, b->model != SL_MODEL_UTXO && k != UINT32_MAX);
    }
    j_addr(w, rep, "to_address", l->to_chain, g.to);
    sl_jw_u128(w, "arrived", back ? x->amount_out : x->amount_in);
    sl_jw_u64_or_null(w, "to_time", g.time, g.time != 0);
    sl_jw_end(w);
    sl_jw_end(w);
}

static void j_step(sl_jw *w, const sl_trace_report *rep, const sl_trace_pool *p)
{
    const sl_flow_view *v = sl_rt_view(rep, p->chain);
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "chain", v->name);
    j_pool(w, rep, "pool", p->chain, p->id);
    j_addr(w, rep, "address", p->chain, p->addr);
    if (v->model == SL_MODEL_UTXO) {
        uint64_t t = v->m->tx_time(v, p->id);
        j_tx(w, rep, "tx", p->chain, p->id);
        sl_jw_u64_or_null(w, "time", t, t != 0);
    } else {
        sl_flow f = {.tx = SL_FLOW_NONE};
        if (p->via != SL_FLOW_NONE) v->m->flow_get(v, p->via, &f);
        j_tx(w, rep, "tx", p->chain, f.tx);
        sl_jw_u64_or_null(w, "time", f.time, f.time != 0);
    }
    sl_jw_end(w);
}

static void j_paths(sl_jw *w, const sl_trace_report *rep)
{
    const sl_trace_result *r = &rep->r;
    sl_jw_arr(w, "top_paths");
    for (size_t i = 0; i < r->n_ends && i < rep->rq.top; i++) {
        const sl_trace_end *x = &r->ends[i];
        const sl_trace_pool *steps[64];
        size_t n = sl_trace_path(r, x, steps, 64);
        sl_jw_obj(w, NULL);
        sl_jw_u128(w, "amount", x->amount);
        j_asset(w, rep, "asset", x->chain, x->asset);
        sl_jw_str(w, "chain", sl_rt_chain(rep, x->chain));
        j_addr(w, rep, "address", x->chain, x->addr);
        sl_jw_str(w, "status", sl_end_reason_name((sl_end_reason)x->reason));
        sl_jw_arr(w, "steps");
        for (size_t k = 0; k < n; k++) j_step(w, rep, steps[k]);
        sl_jw_end(w);
        sl_jw_end(w);
    }
    sl_jw_end(w);
}

int sl_report_trace_json(const sl_trace_report *rep, FILE *out, sl_error *e)
{
    const sl_trace_result *r = &rep->r;
    sl_jw w;
    char kind[16], desc[600];
    sl_flow_asset a;
    sl_rt_asset(rep, r->chain, r->asset, &a);
    sl_rt_source(rep, false, kind, desc);
    sl_jw_init(&w, out);
    sl_jw_obj(&w, NULL);
    sl_jw_str(&w, "source", rep->arg);
    sl_jw_str(&w, "source_kind", kind);
    sl_jw_str(&w, "source_description", desc);
    sl_jw_arr(&w, "sources");
    for (size_t i = 0; i < r->n_sources; i++) j_payment(&w, rep, r->chain, r->sources[i]);
    sl_jw_end(&w);
    sl_jw_str(&w, "chain", sl_rt_chain(rep, r->chain));
    sl_jw_str(&w, "direction", rep->params.backward ? "backward" : "forward");
    sl_jw_str(&w, "asset", a.symbol);
    sl_jw_u64_or_null(&w, "asset_decimals", (uint64_t)a.decimals, a.decimals >= 0);
    j_params(&w, rep);
    j_totals(&w, rep, "conservation", &r->totals[0], false);
    sl_jw_arr(&w, "assets");
    for (size_t i = 0; i < r->n_totals; i++) j_totals(&w, rep, NULL, &r->totals[i], true);
    sl_jw_end(&w);
    sl_jw_u64(&w, "pools_visited", r->pools_visited);
    sl_jw_u64(&w, "flows_routed", r->flows_routed);
    sl_jw_u64(&w, "passes", r->passes);
    sl_jw_bool(&w, "truncated", r->truncated);
    sl_jw_str(&w, "truncated_why", r->truncated ? r->truncated_why : NULL);
    sl_jw_arr(&w, "endpoints");
    for (size_t i = 0; i < r->n_ends; i++) j_end(&w, rep, &r->ends[i]);
    sl_jw_end(&w);
    sl_jw_arr(&w, "flows");
    for (size_t i = 0; i < r->n_edges && !rep->rq.json_crossings_only; i++) j_edge(&w, rep, &r->edges[i]);
    for (size_t i = 0; i < r->n_crossings; i++) j_crossing(&w, rep, &r->crossings[i]);
    sl_jw_end(&w);
    j_xchains(&w, rep);
    sl_jw_arr(&w, "hops");
    for (size_t h = 0; h < r->n_hops; h++) {
        sl_jw_obj(&w, NULL);
        sl_jw_u64(&w, "hop", h);
        sl_jw_u64(&w, "pools", r->hops[h].pools);
        sl_jw_u64(&w, "flows", r->hops[h].flows);
        sl_jw_u64(&w, "addresses", r->hops[h].addresses);
        sl_jw_u128(&w, "amount", r->hops[h].amount);
        sl_jw_end(&w);
    }
    sl_jw_end(&w);
    j_paths(&w, rep);
    sl_jw_end(&w);
    sl_jw_flush(&w);
    fputc('\n', out);
    if (ferror(out)) return sl_err(e, SL_EIO, "could not write the report");
    return SL_OK;
}
