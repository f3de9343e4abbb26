/* trace_names.c — how the trace reports (text, JSON, graph) name what a trace result
 * holds: addresses, txs, amounts and assets of any chain through the flow views, the
 * namer hook, the source as a sentence and the note on --stop-at. One place, so the three
 * reports say the same thing. */
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

const sl_flow_view *sl_rt_view(const sl_trace_report *rep, uint16_t chain) { return sl_flow_set_chain(rep->fs, chain); }

/* A direct-mapped cache of names: (chain, address or tx) -> the name as the chain writes it. */
#define CACHE_BITS 14
enum { NAME_ADDR = 0, NAME_TX = 1 };
typedef struct centry { uint64_t id; uint16_t chain; uint8_t kind, used; char s[SL_FLOW_NAME_MAX]; } centry;
struct sl_rt_cache { centry e[1 << CACHE_BITS]; };

struct sl_rt_cache *sl_rt_cache_new(void) { return sl_calloc(1, sizeof(struct sl_rt_cache)); }

/* The cache entry of (chain, kind, id): *hit says whether it holds the name already;
 * NULL when the report keeps no cache. */
static centry *cached(const sl_trace_report *rep, uint16_t chain, uint8_t kind, uint64_t id, bool *hit)
{
    centry *x;
    if (!rep->names) return NULL;
    x = &rep->names->e[((id * 0x9e3779b97f4a7c15ULL) >> (64 - CACHE_BITS)) ^ (uint64_t)(chain + kind)];
    *hit = x->used && x->id == id && x->chain == chain && x->kind == kind;
    if (!*hit) x->used = 1, x->id = id, x->chain = chain, x->kind = kind;
    return x;
}

const char *sl_rt_chain(const sl_trace_report *rep, uint16_t chain)
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    return v ? v->name : "?";
}

void sl_rt_addr(const sl_trace_report *rep, uint16_t chain, uint32_t addr, char out[SL_FLOW_NAME_MAX])
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    bool hit = false;
    centry *c;
    if (!v || !addr) { snprintf(out, SL_FLOW_NAME_MAX, "(no address)"); return; }
    if ((c = cached(rep, chain, NAME_ADDR, addr, &hit)) && hit) { strcpy(out, c->s); return; }
    v->m->addr_name(v, addr, out);
    if (c) snprintf(c->s, sizeof c->s, "%s", out);
}

bool sl_rt_name(const sl_trace_report *rep, uint16_t chain, uint32_t addr, char *out, size_t cap)
{
    sl_addr_ref a = {chain, addr};
    out[0] = 0;
    return rep->rq.namer.name && addr && rep->rq.namer.name(rep->rq.namer.ctx, a, out, cap) && out[0];
}

void sl_rt_tx(const sl_trace_report *rep, uint16_t chain, uint64_t tx, char out[SL_FLOW_NAME_MAX])
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    bool hit = false;
    centry *c;
    out[0] = 0;
    if (!v || tx == SL_FLOW_NONE) return;
    if ((c = cached(rep, chain, NAME_TX, tx, &hit)) && hit) { strcpy(out, c->s); return; }
    v->m->tx_name(v, tx, out);
    if (c) snprintf(c->s, sizeof c->s, "%s", out);
}

void sl_rt_asset(const sl_trace_report *rep, uint16_t chain, uint32_t asset, sl_flow_asset *a)
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    memset(a, 0, sizeof *a);
    if (v) v->m->asset_info(v, asset, a);
    else snprintf(a->symbol, sizeof a->symbol, "?"), a->decimals = -1;
}

void sl_rt_amount(const sl_trace_report *rep, uint16_t chain, uint32_t asset, sl_u128 v, bool symbol, char out[140])
{
    sl_flow_asset a;
    sl_rt_asset(rep, chain, asset, &a);
    sl_flow_amount_str(out, 140, &a, v, symbol);
}

/* Replaces the spaces of s by no-break spaces (the text wraps at spaces only). */
static void keep_together(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < cap; s++) {
        if (*s == ' ') memcpy(out + o, SL_TEXT_NBSP, strlen(SL_TEXT_NBSP)), o += strlen(SL_TEXT_NBSP);
        else out[o++] = *s;
    }
    out[o] = 0;
}

void sl_rt_source(const sl_trace_report *rep, bool nbsp, char kind[16], char desc[600])
{
    const sl_trace_result *r = &rep->r;
    const sl_flow_view *v = sl_rt_view(rep, rep->src.chain);
    const char *many = r->n_sources == 1 ? "" : "s";
    char am[140], amt[200], tx[SL_FLOW_NAME_MAX] = "", since[40] = "";
    sl_flow_asset a;
    bool utxo = v->model == SL_MODEL_UTXO;
    sl_rt_asset(rep, r->chain, r->asset, &a);
    sl_rt_amount(rep, r->chain, r->asset, r->n_sources ? sl_trace_totals_of(r, r->chain, r->asset)->source : 0, true, am);
    if (nbsp) keep_together(amt, sizeof amt, am);
    else snprintf(amt, sizeof amt, "%s", am);
    if (r->n_sources) {
        sl_flow f;
        v->m->flow_get(v, r->sources[0], &f);
        sl_rt_tx(rep, r->chain, f.tx, tx);
    }
    if (rep->params.since) sl_fmt_time(since, rep->params.since);
    if (rep->src.kind == SL_SOURCE_ADDRESS) {
        snprintf(kind, 16, "address");
        if (utxo) snprintf(desc, 600, "%zu output%s received by %s%s%s, %s", r->n_sources, many, rep->arg,
                           since[0] ? " since " : "", since, amt);
        else snprintf(desc, 600, "%zu inflow%s of %s received by %s%s%s, %s", r->n_sources, many, a.symbol, rep->arg,
                      since[0] ? " since " : "", since, amt);
    } else if (rep->src.index >= 0) {
        snprintf(kind, 16, utxo ? "output" : "flow");
        snprintf(desc, 600, "%s %lld of %s, %s", utxo ? "output" : "flow", (long long)rep->src.index, tx, amt);
    } else if (utxo) {
        snprintf(kind, 16, "all_outputs");
        snprintf(desc, 600, "all %zu output%s of %s, %s", r->n_sources, many, tx, amt);
    } else {
        snprintf(kind, 16, "tx_flows");
        snprintf(desc, 600, "the %s that %s moved: %zu%sflow%s, %s", a.symbol, tx, r->n_sources, nbsp ? SL_TEXT_NBSP : " ",
                 many, amt);
    }
}

const char *sl_rt_stop_status(const sl_trace_report *rep)
{
    if (!rep->params.stop_at) return "none";
    if (rep->params.endpoints.status) return rep->params.endpoints.status;
    if (rep->params.endpoints.is_endpoint) return "requested; tagged addresses end the trace";
    return "requested; no tag store is loaded, so nothing is tagged yet";
}

uint32_t sl_rt_payer(const sl_trace_report *rep, uint16_t chain, uint64_t tx)
{
    const sl_flow_view *v = sl_rt_view(rep, chain);
    return v && tx != SL_FLOW_NONE ? sl_flow_utxo_payer(v, tx) : 0;
}

const sl_trace_link *sl_rt_link(const sl_trace_report *rep, const sl_trace_crossing *x)
{
    return x->link < rep->links.n ? &rep->links.v[x->link] : NULL;
}

const sl_xchain *sl_rt_xc(const sl_trace_report *rep, size_t link)
{
    if (link < rep->n_declared || link - rep->n_declared >= rep->xc_used) return NULL;
    return &rep->xc.v[rep->xc_of_link[link - rep->n_declared]];
}

const sl_trace_link *sl_rt_crossed(const sl_trace_report *rep, const sl_trace_end *x)
{
    if (x->reason != SL_END_CROSSED) return NULL;
    for (size_t i = 0; i < rep->links.n; i++) {
        const sl_trace_link *l = &rep->links.v[i];
        if (l->to_flow == SL_FLOW_NONE && l->from_chain == x->chain && l->from_flow == x->flow) return l;
    }
    return NULL;
}

void sl_rt_crossed_text(const sl_trace_report *rep, const sl_trace_end *x, char *out, size_t cap)
{
    const sl_trace_link *l = sl_rt_crossed(rep, x);
    snprintf(out, cap, "crossed to %s, outbound not in the store", l && l->to_chain_name[0] ? l->to_chain_name : "another chain");
}
