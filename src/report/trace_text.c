/* trace_text.c — `sleuth trace` for people (report.h): what was traced and how, the
 * conservation line of every asset the taint reached, where the money is by address,
 * per-hop statistics, the top paths and the crossings of declared links, each marked as
 * the analyst's assertion. Every line fits SL_TEXT_COLS columns (sl_fmt_wrapf); amounts
 * are in each asset's unit. The same words on every chain. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

/* Ends summed by (chain, address, asset, status); an address-less end stays alone. */
typedef struct agg {
    sl_u128 amount;
    uint64_t n, time;
    uint32_t addr, asset, hops;
    uint16_t chain;
    uint8_t reason;
} agg;

static int cmp_key(const void *a, const void *b)
{
    const agg *x = a, *y = b;
    if (x->chain != y->chain) return x->chain < y->chain ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->asset != y->asset) return x->asset < y->asset ? -1 : 1;
    return (int)x->reason - (int)y->reason;
}

/* By share of their asset (trace.h, sl_trace_share), then amount: a trace that crossed a
 * swap holds several assets, whose base units do not compare. */
static int cmp_amount(const void *a, const void *b, void *ctx)
{
    const agg *x = a, *y = b;
    const sl_trace_result *r = ctx;
    if (x->chain != y->chain || x->asset != y->asset) {
        double sx = sl_trace_share(r, x->chain, x->asset, x->amount), sy = sl_trace_share(r, y->chain, y->asset, y->amount);
        if (sx != sy) return sx < sy ? 1 : -1;
    }
    if (x->amount != y->amount) return x->amount < y->amount ? 1 : -1;
    return cmp_key(a, b);
}

static agg *aggregate(const sl_trace_result *r, size_t *n)
{
    agg *v = sl_calloc(r->n_ends + 1, sizeof *v);
    size_t m = 0;
    if (!v) return NULL;
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *e = &r->ends[i];
        v[i] = (agg){e->amount, 1, e->time, e->addr, e->asset, e->hops, e->chain, e->reason};
    }
    qsort(v, r->n_ends, sizeof *v, cmp_key);
    for (size_t i = 0; i < r->n_ends; i++) {
        agg *k = m ? &v[m - 1] : NULL;
        if (k && v[i].addr && !cmp_key(k, &v[i])) {
            k->amount += v[i].amount;
            k->n++;
            if (v[i].hops < k->hops) k->hops = v[i].hops;
            if (v[i].time && (!k->time || v[i].time < k->time)) k->time = v[i].time;
        } else {
            v[m++] = v[i];
        }
    }
    qsort_r(v, m, sizeof *v, cmp_amount, (void *)r);
    *n = m;
    return v;
}

/* "ADDRESS", "ADDRESS (name)", with "chain:" before it when it is not the source's chain. */
static void who(const sl_trace_report *rep, uint16_t chain, uint32_t addr, char out[400])
{
    char a[SL_FLOW_NAME_MAX], name[200];
    bool named = sl_rt_name(rep, chain, addr, name, sizeof name);
    sl_rt_addr(rep, chain, addr, a);
    snprintf(out, 400, "%s%s%s%s%s%s", chain == rep->r.chain ? "" : sl_rt_chain(rep, chain), chain == rep->r.chain ? "" : ":",
             a, named ? " (" : "", named ? name : "", named ? ")" : "");
}

/* An amount with its unit, kept on one line. */
static void amt(const sl_trace_report *rep, uint16_t chain, uint32_t asset, sl_u128 v, char out[140])
{
    sl_rt_amount(rep, chain, asset, v, true, out);
    for (char *q = strchr(out, ' '); q; q = strchr(q, ' ')) *q = SL_TEXT_NBSP[0];
}

/* The payments the trace started from (the first `show`). */
static void sources(const sl_trace_report *rep, FILE *out, uint64_t show)
{
    const sl_trace_result *r = &rep->r;
    const sl_flow_view *v = sl_rt_view(rep, r->chain);
    bool utxo = v->model == SL_MODEL_UTXO, by_addr = rep->src.kind == SL_SOURCE_ADDRESS;
    char kind[16], desc[600];
    sl_rt_source(rep, true, kind, desc);
    sl_fmt_wrapf(out, 4, "  source: %s%s", desc,
                 by_addr || rep->src.index >= 0 ? ""
                 : utxo ? " - --tx TXID takes every output, the sender's change included; TXID:N takes one"
                        : " - TX:FLOW traces one flow (numbered as in `sleuth tx`)");
    for (size_t i = 0; i < r->n_sources && i < show; i++) {
        sl_flow f;
        char tx[SL_FLOW_NAME_MAX], a[140], from[SL_FLOW_NAME_MAX], to[SL_FLOW_NAME_MAX];
        uint32_t k = v->m->flow_index(v, r->sources[i]);
        v->m->flow_get(v, r->sources[i], &f);
        sl_rt_tx(rep, r->chain, f.tx, tx);
        sl_rt_addr(rep, r->chain, f.to, to);
        if (utxo && by_addr) {
            sl_rt_amount(rep, r->chain, f.asset, f.amount, true, a);
            sl_fmt_wrapf(out, 8, "      %s:%u  %s", tx, k, a);
        } else if (utxo) {
            sl_flow_asset as;
            sl_rt_asset(rep, r->chain, f.asset, &as);
            sl_rt_amount(rep, r->chain, f.asset, f.amount, false, a);
            sl_fmt_wrapf(out, 8, "      #%-4u %16s %s  %s", k, a, as.symbol, to);
        } else {
            sl_rt_amount(rep, r->chain, f.asset, f.amount, true, a);
            sl_rt_addr(rep, r->chain, f.from, from);
            if (by_addr) sl_fmt_wrapf(out, 8, "      %s:%u  %s from %s", tx, k, a, from);
            else sl_fmt_wrapf(out, 8, "      #%-4u %s  %s -> %s", k, a, from, to);
        }
    }
    if (r->n_sources > show) fprintf(out, "      ... %zu more (--top, --json)\n", r->n_sources - (size_t)show);
}

static void params(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_params *p = &rep->params;
    char hops[24] = "unlimited", until[40] = "-";
    if (p->max_hops) snprintf(hops, sizeof hops, "%u", p->max_hops);
    if (p->until) sl_fmt_time(until, p->until);
    sl_fmt_wrapf(out, 4, "  policy %s, max hops %s, min amount %" PRIu64 " base units, until %s, max nodes %" PRIu64,
                 sl_policy_name(p->policy), hops, p->min_amount, until,
                 p->max_nodes ? p->max_nodes : (uint64_t)SL_TRACE_MAX_NODES_DEFAULT);
    sl_fmt_wrapf(out, 4, "  stop at: %s (%s)", p->stop_at ? p->stop_at : "-", sl_rt_stop_status(rep));
    size_t declared = 0;
    for (size_t i = 0; i < rep->r.n_crossings; i++) declared += rep->r.crossings[i].link < rep->n_declared;
    if (rep->n_declared)
        sl_fmt_wrapf(out, 4, "  links: %zu pairs declared in %s (the analyst's assertion, not chain data): %zu crossed, "
                             "%u passes", rep->n_declared, rep->links.path, declared, rep->r.passes);
    if (rep->xc_status[0]) sl_fmt_wrapf(out, 4, "  crossings in chain data: %s", rep->xc_status);
    else if (rep->xc_all)
        sl_fmt_wrapf(out, 4, "  crossings in chain data: %zu found in the store (THORChain swaps matched by memo, DEX swaps "
                             "by their Swap event, bridges by their rules; %" PRIu64 " memos read, %" PRIu64 " not parsed), %zu followed%s%s",
                     rep->xc.n, rep->xc.memos_seen, rep->xc.unparsed, rep->xc_used,
                     rep->xc_skipped ? ", the others' payments declared in the link file" : "",
                     rep->xc.n ? " (--no-crossings: off)" : "");
    else
        sl_fmt_wrapf(out, 4, "  crossings in chain data: %zu found in the %" PRIu64 " txs the trace reached, looked for "
                             "after %u passes (THORChain swaps matched by memo, DEX swaps by their Swap event, bridges by their rules; %" PRIu64
                             " memos read, %" PRIu64 " not parsed), %zu followed%s%s",
                     rep->xc.n, rep->xc.txs_asked, rep->xc_rounds, rep->xc.memos_seen, rep->xc.unparsed, rep->xc_used,
                     rep->xc_skipped ? ", the others' payments declared in the link file" : "",
                     rep->xc.n ? " (--no-crossings: off)" : "");
}

/* source (+ absorbed) (+ linked in) = endpoints + held + fees + dropped (+ linked out), per asset. */
static void conservation(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_result *r = &rep->r;
    for (size_t i = 0; i < r->n_totals; i++) {
        const sl_trace_totals *t = &r->totals[i];
        sl_flow_asset a;
        char b[8][140], on[160] = "";
        const sl_u128 v[8] = {t->source, t->absorbed, t->linked_in, t->endpoints, t->held, t->fees, t->dropped, t->linked_out};
        bool poison = rep->params.policy == SL_POLICY_POISON;
        sl_rt_asset(rep, t->asset.chain, t->asset.id, &a);
        for (int k = 0; k < 8; k++) sl_rt_amount(rep, t->asset.chain, t->asset.id, v[k], false, b[k]);
        if (r->n_totals > 1) snprintf(on, sizeof on, " on %s, %s", sl_rt_chain(rep, t->asset.chain), a.symbol);
        sl_fmt_wrapf(out, 4, "  conservation%s: source %s%s%s%s%s%s = %s %s + held %s + fees %s + dropped %s%s%s"
                             SL_TEXT_NBSP "%s %s", on, b[0], poison ? " + absorbed " : "", poison ? b[1] : "",
                     poison ? " (poison marks whole outputs)" : "", t->linked_in ? " + linked in " : "", t->linked_in ? b[2] : "",
                     rep->params.backward ? "sources" : "endpoints", b[3], b[4], b[5], b[6],
                     t->linked_out ? " + linked out " : "", t->linked_out ? b[7] : "", a.decimals < 0 ? "base units" : a.symbol,
                     sl_trace_balanced(t) ? "(balanced to the base unit)" : "(NOT BALANCED: a bug, please report)");
    }
    sl_fmt_wrapf(out, 4, "  pools visited %" PRIu64 ", flows routed %" PRIu64 "%s%s", r->pools_visited, r->flows_routed,
                 r->truncated ? "  TRUNCATED: " : "", r->truncated ? r->truncated_why : "");
}

static int ends(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_result *r = &rep->r;
    uint64_t top = rep->rq.top;
    size_t na = 0;
    agg *ag = aggregate(r, &na);
    bool utxo = sl_rt_view(rep, r->chain)->model == SL_MODEL_UTXO, one = r->n_totals == 1;
    sl_flow_asset as;
    if (!ag) return SL_ENOMEM;
    sl_rt_asset(rep, r->chain, r->asset, &as);
    if (one) fprintf(out, "\n%s by address (amounts in %s, times UTC)\n", rep->params.backward ? "where it came from" : "where it is",
                     as.decimals < 0 ? "base units" : as.symbol);
    else fprintf(out, "\n%s by address\n", rep->params.backward ? "where it came from" : "where it is");
    fprintf(out, "  %12s  %-14s %4s  %-23s  %s\n", "amount", "status", "hops", "first arrival", "address");
    for (size_t i = 0; i < na && i < top * 2; i++) {
        char a[140], w[400], tm[32], n[40] = "";
        if (one) sl_rt_amount(rep, ag[i].chain, ag[i].asset, ag[i].amount, false, a);
        else amt(rep, ag[i].chain, ag[i].asset, ag[i].amount, a);
        who(rep, ag[i].chain, ag[i].addr, w);
        sl_fmt_time(tm, ag[i].time);
        if (ag[i].n > 1) snprintf(n, sizeof n, "  (%" PRIu64 " %s)", ag[i].n, utxo ? "outputs" : "flows");
        sl_fmt_wrapf(out, 8, "  %12s  %-14s %4u  %-23s  %s%s", a, sl_end_reason_name((sl_end_reason)ag[i].reason), ag[i].hops,
                     tm, w, n);
    }
    if (na > top * 2) fprintf(out, "  ... %zu more (--top, --json)\n", na - (size_t)top * 2);
    sl_free(ag);
    return SL_OK;
}

static void hops(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_result *r = &rep->r;
    sl_flow_asset a;
    sl_rt_asset(rep, r->chain, r->asset, &a);
    fprintf(out, "\nper hop\n  hop  pools  flows  addresses  amount entering (%s)\n", a.decimals < 0 ? "base units" : a.symbol);
    for (size_t h = 0; h < r->n_hops; h++) {
        char x[140];
        sl_rt_amount(rep, r->chain, r->asset, r->hops[h].amount, false, x);
        fprintf(out, "  %3zu  %5" PRIu64 "  %5" PRIu64 "  %9" PRIu64 "  %s\n", h, r->hops[h].pools, r->hops[h].flows,
                r->hops[h].addresses, x);
    }
    if (r->n_totals > 1) /* swapped or crossed: the other assets' amounts are in the conservation lines */
        fprintf(out, "  (the amount column counts %s only; hops in the other assets count their pools and flows)\n",
                a.decimals < 0 ? "the source asset" : a.symbol);
}

/* One pool of a path: a tx with its time (UTXO), an account with the tx that brought the
 * taint and its time. */
static void step(const sl_trace_report *rep, FILE *out, const sl_trace_pool *p)
{
    const sl_flow_view *v = sl_rt_view(rep, p->chain);
    char tm[32] = "", tx[SL_FLOW_NAME_MAX] = "", w[400] = "";
    const char *chain = p->chain == rep->r.chain ? "" : v->name;
    if (v->model == SL_MODEL_UTXO) {
        sl_fmt_time(tm, v->m->tx_time(v, p->id));
        sl_rt_tx(rep, p->chain, p->id, tx);
    } else {
        sl_flow f = {.tx = SL_FLOW_NONE};
        if (p->via != SL_FLOW_NONE) v->m->flow_get(v, p->via, &f), sl_fmt_time(tm, f.time);
        sl_rt_tx(rep, p->chain, f.tx, tx);
        who(rep, p->chain, p->addr, w);
    }
    tm[19] = 0;
    sl_fmt_wrapf(out, 9, "       %-19s  %s%s%s%s%s", tm, v->model == SL_MODEL_UTXO ? chain : "",
                 v->model == SL_MODEL_UTXO && chain[0] ? " " : "", w, w[0] ? "  " : "", tx);
}

static void paths(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_result *r = &rep->r;
    fprintf(out, "\ntop paths (each pool with the time taint entered it, UTC)\n");
    for (size_t i = 0; i < r->n_ends && i < rep->rq.top; i++) {
        const sl_trace_end *x = &r->ends[i];
        const sl_trace_pool *steps[64];
        size_t n = sl_trace_path(r, x, steps, 64);
        char a[140], w[400];
        amt(rep, x->chain, x->asset, x->amount, a);
        who(rep, x->chain, x->addr, w);
        sl_fmt_wrapf(out, 7, "  #%zu %s -> %s (%s)", i + 1, a, w, sl_end_reason_name((sl_end_reason)x->reason));
        for (size_t k = 0; k < n; k++) step(rep, out, steps[k]);
    }
}

/* One crossing: a declared link with its file and line, one found in chain data with what
 * it is and what matched it. */
static void crossing(const sl_trace_report *rep, FILE *out, const sl_trace_crossing *x, const sl_trace_link *l)
{
    const sl_flow_view *a = sl_rt_view(rep, l->from_chain), *b = sl_rt_view(rep, l->to_chain);
    sl_flow f, g;
    char ta[SL_FLOW_NAME_MAX], tb[SL_FLOW_NAME_MAX], out_a[140], in_b[140];
    bool back = rep->params.backward;
    a->m->flow_get(a, l->from_flow, &f);
    b->m->flow_get(b, l->to_flow, &g);
    sl_rt_tx(rep, l->from_chain, f.tx, ta);
    sl_rt_tx(rep, l->to_chain, g.tx, tb);
    amt(rep, l->from_chain, f.asset, back ? x->amount_in : x->amount_out, out_a);
    amt(rep, l->to_chain, g.asset, back ? x->amount_out : x->amount_in, in_b);
    if (l->origin != SL_LINK_DECLARED)
        sl_fmt_wrapf(out, 6, "  %s: %s: %s %s:%u -> %s %s:%u, %s -> %s", l->origin == SL_LINK_RULE ? "rule" : "chain data",
                     l->note, a->name, ta,
                     a->m->flow_index(a, l->from_flow), b->name, tb, b->m->flow_index(b, l->to_flow), out_a, in_b);
    else
        sl_fmt_wrapf(out, 6, "  %s line %u: %s %s:%u -> %s %s:%u, %s -> %s%s%s%s", rep->links.path, l->line, a->name, ta,
                     a->m->flow_index(a, l->from_flow), b->name, tb, b->m->flow_index(b, l->to_flow), out_a, in_b,
                     l->note[0] ? " (\"" : "", l->note, l->note[0] ? "\")" : "");
}

/* The crossings: a declared link said to be the analyst's, with its line; one found in
 * chain data said to be so, with what matched it. Then what left through a crossing
 * whose outbound the store does not hold. */
static void crossings(const sl_trace_report *rep, FILE *out)
{
    const sl_trace_result *r = &rep->r;
    bool crossed = false;
    for (size_t i = 0; i < r->n_ends && !crossed; i++) crossed = r->ends[i].reason == SL_END_CROSSED;
    if (crossed) fprintf(out, "\ncrossed (left through a crossing found in chain data; its other leg is not in the store)\n");
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *x = &r->ends[i];
        const sl_trace_link *l = sl_rt_crossed(rep, x);
        char a[140], w[400], why[120];
        if (x->reason != SL_END_CROSSED) continue;
        amt(rep, x->chain, x->asset, x->amount, a);
        who(rep, x->chain, x->addr, w);
        sl_rt_crossed_text(rep, x, why, sizeof why);
        sl_fmt_wrapf(out, 6, "  %s at %s: %s%s%s%s", a, w, why, l && l->note[0] ? " (" : "", l ? l->note : "",
                     l && l->note[0] ? ")" : "");
    }
    bool rules = false; /* a bridge rule's pair among the found ones: the heading says so */
    for (size_t i = 0; i < r->n_crossings && !rules; i++) rules = sl_rt_link(rep, &r->crossings[i])->origin == SL_LINK_RULE;
    for (int pass = 0; pass < 2; pass++) { /* the analyst's links, then those found in chain data or by rules */
        bool head = false;
        for (size_t i = 0; i < r->n_crossings; i++) {
            const sl_trace_crossing *x = &r->crossings[i];
            const sl_trace_link *l = sl_rt_link(rep, x);
            if ((l->origin != SL_LINK_DECLARED) != (pass == 1)) continue;
            if (!head)
                fprintf(out, !pass ? "\ncrossings (declared links: the analyst's assertion, not chain data)\n"
                             : rules ? "\ncrossings found in chain data or paired by bridge rules (not an assertion)\n"
                                     : "\ncrossings found in chain data (THORChain memos, Swap events: not an assertion)\n");
            head = true;
            crossing(rep, out, x, l);
        }
    }
}


int sl_report_trace_text(const sl_trace_report *rep, FILE *out, sl_error *e)
{
    const sl_trace_result *r = &rep->r;
    uint64_t fails0 = sl_alloc_failures();
    sl_flow_asset a;
    int rc;
    sl_rt_asset(rep, r->chain, r->asset, &a);
    sl_fmt_wrapf(out, 4, "trace %s from %s", rep->params.backward ? "backward" : "forward", rep->arg);
    if (a.decimals < 0)
        sl_fmt_wrapf(out, 4, "  on %s, asset %s (amounts in base units: its decimals are unknown)", sl_rt_chain(rep, r->chain),
                     a.symbol);
    else sl_fmt_wrapf(out, 4, "  on %s, asset %s (%d decimals)", sl_rt_chain(rep, r->chain), a.symbol, a.decimals);
    sources(rep, out, rep->rq.top * 2);
    params(rep, out);
    conservation(rep, out);
    if ((rc = ends(rep, out))) return sl_err(e, rc, "out of memory");
    hops(rep, out);
    paths(rep, out);
    crossings(rep, out);
    if (rep->rq.graph_path) sl_fmt_wrapf(out, 4, "\ngraph written to %s", rep->rq.graph_path);
    if (sl_alloc_failures() != fails0) return sl_err(e, SL_ENOMEM, "out of memory: the report is incomplete");
    if (ferror(out)) return sl_err(e, SL_EIO, "could not write the report");
    return SL_OK;
}
