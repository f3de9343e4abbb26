/* trace_graph.c — the traced subgraph of a trace result as a graph file (report.h,
 * `sleuth trace --graph`), one schema for every chain (docs/JSON.md): a node is a pool or
 * where taint ended — on a UTXO chain the transactions (type tx) and the addresses where
 * the taint is or where the trace stopped (type address; an output without an address
 * "a:out:TXID:N"; backward, a coinbase or an origin outside the store, type origin
 * "a:in:TXID:N"), on an account chain the accounts (type account). Nodes of a chain other
 * than the source's carry "chain:" before their id. Edges are the tainted flows, the
 * flows into the ends (UTXO) and the crossings of declared links (with the analyst's
 * note). Writing goes through graph.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/util.h"

enum { N_TX, N_ADDR, N_OUT, N_IN, N_ACCT };

typedef struct gnode {
    uint64_t key;          /* tx id, address id, flow id, account id */
    uint64_t t_in, t_out;  /* first arrival and first departure (UINT64_MAX: none) */
    sl_u128 ended, largest;
    uint32_t asset;
    int reason;            /* of the largest part that ended here; -1: nothing ended */
    uint16_t chain;
    uint8_t kind;
    bool source;
} gnode;

typedef struct gctx {
    const sl_trace_report *rep;
    gnode *v;
    size_t n, cap;
} gctx;

static int cmp_node(const void *a, const void *b)
{
    const gnode *x = a, *y = b;
    if (x->chain != y->chain) return x->chain < y->chain ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static int add(gctx *g, uint16_t chain, uint8_t kind, uint64_t key)
{
    void *q = g->v;
    if (sl_grow(&q, &g->cap, g->n + 1, sizeof *g->v)) return SL_ENOMEM;
    g->v = q;
    g->v[g->n++] = (gnode){key, UINT64_MAX, UINT64_MAX, 0, 0, 0, -1, chain, kind, false};
    return SL_OK;
}

static gnode *find(const gctx *g, uint16_t chain, uint8_t kind, uint64_t key)
{
    gnode k = {.key = key, .chain = chain, .kind = kind};
    return bsearch(&k, g->v, g->n, sizeof *g->v, cmp_node);
}

/* An amount in the asset's unit as graph tools show it: trailing zeros dropped ("10 BTC"). */
static void label(const gctx *g, uint16_t chain, uint32_t asset, sl_u128 v, bool symbol, char out[140])
{
    sl_flow_asset a;
    sl_rt_asset(g->rep, chain, asset, &a);
    a.fixed = false;
    sl_flow_amount_str(out, 140, &a, v, symbol);
}

static bool utxo(const gctx *g, uint16_t chain) { return sl_rt_view(g->rep, chain)->model == SL_MODEL_UTXO; }

/* The node a UTXO end is at: its address, or the output / input itself when it has none. */
static void end_node(const sl_trace_end *x, uint8_t *kind, uint64_t *key)
{
    if (x->reason == SL_END_COINBASE || x->reason == SL_END_UNKNOWN) *kind = N_IN, *key = x->flow;
    else if (x->addr) *kind = N_ADDR, *key = x->addr;
    else *kind = N_OUT, *key = x->flow;
}

/* The nodes at both ends of a declared link's payments: the paying tx / the sender on the
 * from side, the tx / the receiver of the arriving payment. */
static void link_nodes(const gctx *g, const sl_trace_link *l, uint8_t *ka, uint64_t *a, uint8_t *kb, uint64_t *b)
{
    const sl_flow_view *va = sl_rt_view(g->rep, l->from_chain), *vb = sl_rt_view(g->rep, l->to_chain);
    sl_flow f;
    va->m->flow_get(va, l->from_flow, &f);
    *ka = va->model == SL_MODEL_UTXO ? N_TX : N_ACCT, *a = va->model == SL_MODEL_UTXO ? f.tx : f.from;
    vb->m->flow_get(vb, l->to_flow, &f);
    *kb = vb->model == SL_MODEL_UTXO ? N_TX : N_ACCT, *b = vb->model == SL_MODEL_UTXO ? f.tx : f.to;
}

/* Every node once, sorted. */
static int collect(gctx *g)
{
    const sl_trace_result *r = &g->rep->r;
    int rc = SL_OK;
    size_t m = 0;
    for (size_t i = 0; i < r->n_edges && !rc; i++) {
        const sl_trace_edge *x = &r->edges[i];
        uint8_t k = utxo(g, x->chain) ? N_TX : N_ACCT;
        if (!(rc = add(g, x->chain, k, x->from_pool))) rc = add(g, x->chain, k, x->to_pool);
    }
    for (size_t i = 0; i < r->n_ends && !rc; i++) {
        const sl_trace_end *x = &r->ends[i];
        uint8_t k;
        uint64_t key;
        if (!utxo(g, x->chain)) { rc = add(g, x->chain, N_ACCT, x->addr); continue; }
        end_node(x, &k, &key);
        if (!(rc = add(g, x->chain, N_TX, x->pool))) rc = add(g, x->chain, k, key);
    }
    for (size_t i = 0; i < r->n_sources && !rc; i++) {
        const sl_flow_view *v = sl_rt_view(g->rep, r->chain);
        sl_flow f;
        v->m->flow_get(v, r->sources[i], &f);
        rc = add(g, r->chain, utxo(g, r->chain) ? N_TX : N_ACCT, utxo(g, r->chain) ? f.tx : f.from);
    }
    for (size_t i = 0; i < r->n_crossings && !rc; i++) {
        const sl_trace_link *l = sl_rt_link(g->rep, &r->crossings[i]);
        uint8_t ka, kb;
        uint64_t a, b;
        link_nodes(g, l, &ka, &a, &kb, &b);
        if (!(rc = add(g, l->from_chain, ka, a))) rc = add(g, l->to_chain, kb, b);
    }
    if (rc) return rc;
    if (g->n) qsort(g->v, g->n, sizeof *g->v, cmp_node);
    for (size_t i = 0; i < g->n; i++)
        if (!m || cmp_node(&g->v[m - 1], &g->v[i])) g->v[m++] = g->v[i];
    g->n = m;
    return SL_OK;
}

/* First arrivals and departures, what ended where, which nodes are sources. */
static void annotate(gctx *g)
{
    const sl_trace_result *r = &g->rep->r;
    for (size_t i = 0; i < r->n_edges; i++) {
        const sl_trace_edge *x = &r->edges[i];
        const sl_flow_view *v = sl_rt_view(g->rep, x->chain);
        uint8_t k = v->model == SL_MODEL_UTXO ? N_TX : N_ACCT;
        gnode *a = find(g, x->chain, k, x->from_pool), *b = find(g, x->chain, k, x->to_pool);
        sl_flow f;
        v->m->flow_get(v, x->flow, &f);
        if (f.time && f.time < a->t_out) a->t_out = f.time;
        if (f.time && f.time < b->t_in) b->t_in = f.time;
    }
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *x = &r->ends[i];
        uint8_t k = N_ACCT;
        uint64_t key = x->addr;
        gnode *a;
        if (utxo(g, x->chain)) end_node(x, &k, &key);
        a = find(g, x->chain, k, key);
        a->ended += x->amount, a->asset = x->asset;
        if (k != N_ACCT && x->time && x->time < a->t_in) a->t_in = x->time;
        if (a->reason < 0 || x->amount > a->largest) a->largest = x->amount, a->reason = x->reason;
    }
    for (size_t i = 0; i < r->n_sources; i++) {
        const sl_flow_view *v = sl_rt_view(g->rep, r->chain);
        sl_flow f;
        v->m->flow_get(v, r->sources[i], &f);
        find(g, r->chain, v->model == SL_MODEL_UTXO ? N_TX : N_ACCT, v->model == SL_MODEL_UTXO ? f.tx : f.from)->source = true;
    }
}

/* "source", "held", "endpoint:max-hops", "pass-through", or "pass-through+held" for an
 * account that passed taint on and kept some. */
static const char *status_of(const gnode *x, char buf[48])
{
    const char *on = x->kind == N_ACCT && x->t_out != UINT64_MAX ? "pass-through+" : "";
    if (x->source) return "source";
    if (x->kind == N_TX) return "pass-through";
    if (x->reason == SL_END_HELD) return snprintf(buf, 48, "%sheld", on), buf;
    if (x->reason >= 0) return snprintf(buf, 48, "%sendpoint:%s", on, sl_end_reason_name((sl_end_reason)x->reason)), buf;
    return "pass-through";
}

/* A node's id, its chain's name first when it is not the source's chain. */
static void node_id(const gctx *g, const gnode *x, char out[300])
{
    char s[SL_FLOW_NAME_MAX], t[SL_FLOW_NAME_MAX + 40];
    const char *chain = sl_rt_chain(g->rep, x->chain);
    switch (x->kind) {
    case N_TX: sl_rt_tx(g->rep, x->chain, x->key, t); break;
    case N_ACCT: sl_rt_addr(g->rep, x->chain, (uint32_t)x->key, t); break;
    case N_ADDR: sl_rt_addr(g->rep, x->chain, (uint32_t)x->key, s), snprintf(t, sizeof t, "a:%s", s); break;
    default:
        sl_rt_tx(g->rep, x->chain, SL_FLOW_UTXO_TX(x->key), s);
        snprintf(t, sizeof t, "a:%s:%s:%u", x->kind == N_IN ? "in" : "out", s, SL_FLOW_UTXO_IDX(x->key));
    }
    snprintf(out, 300, "%s%s%s", x->chain == g->rep->r.chain ? "" : chain, x->chain == g->rep->r.chain ? "" : ":", t);
}

static void put_node(const gctx *g, sl_graph *gr, const gnode *x)
{
    char id[300], lab[300], st[48], d[40], l[140], name[200];
    const sl_flow_view *v = sl_rt_view(g->rep, x->chain);
    sl_graph_node n = {id, "tx", lab, v->name, status_of(x, st), 0, NULL, NULL};
    node_id(g, x, id);
    if (x->kind == N_TX) {
        char tx[SL_FLOW_NAME_MAX];
        sl_rt_tx(g->rep, x->chain, x->key, tx);
        snprintf(lab, sizeof lab, "tx %.12s", tx);
        n.time = v->m->tx_time(v, x->key);
    } else {
        n.type = x->kind == N_ACCT ? "account" : x->kind == N_IN ? "origin" : "address";
        if (x->kind == N_IN) snprintf(lab, sizeof lab, "%s", x->reason == SL_END_COINBASE ? "coinbase (new coins)" : "origin not in the store");
        else if (x->kind != N_OUT && sl_rt_name(g->rep, x->chain, (uint32_t)x->key, name, sizeof name)) snprintf(lab, sizeof lab, "%s", name);
        else snprintf(lab, sizeof lab, "%s", id + (x->kind == N_ADDR && x->chain == g->rep->r.chain ? 2 : 0));
        n.time = x->t_in != UINT64_MAX ? x->t_in : x->t_out != UINT64_MAX ? x->t_out : 0; /* a source sends first */
    }
    if (x->reason >= 0) {
        sl_u128_dec(d, x->ended);
        label(g, x->chain, x->asset, x->ended, true, l);
        n.amount = d, n.amount_label = l;
    }
    sl_graph_node_put(gr, &n);
}

/* An edge between two nodes of the table. */
typedef struct gedge {
    const gnode *a, *b;
    uint16_t chain;
    uint32_t asset;
    sl_u128 amount;
    uint64_t flow, time, tx;
    const char *status, *link;
} gedge;

static void put_edge(const gctx *g, sl_graph *gr, const gedge *x)
{
    char from[300], to[300], d[40], l[140], w[140], tx[SL_FLOW_NAME_MAX] = "", st[48];
    const sl_flow_view *v = sl_rt_view(g->rep, x->chain);
    sl_flow_asset as;
    uint32_t k = x->flow == SL_FLOW_NONE ? UINT32_MAX : v->m->flow_index(v, x->flow);
    bool u = v->model == SL_MODEL_UTXO;
    sl_graph_edge e = {from, to, v->name, as.symbol, d, l, w, x->status ? x->status : status_of(x->b, st), x->time, tx,
                       u && k != UINT32_MAX ? (int64_t)k : -1, !u && k != UINT32_MAX ? (int64_t)k : -1, x->link};
    sl_rt_asset(g->rep, x->chain, x->asset, &as);
    node_id(g, x->a, from);
    node_id(g, x->b, to);
    sl_u128_dec(d, x->amount);
    label(g, x->chain, x->asset, x->amount, true, l);
    label(g, x->chain, x->asset, x->amount, false, w);
    sl_rt_tx(g->rep, x->chain, x->tx, tx);
    sl_graph_edge_put(gr, &e);
}

static void edges(const gctx *g, sl_graph *gr)
{
    const sl_trace_result *r = &g->rep->r;
    bool back = g->rep->params.backward;
    for (size_t i = 0; i < r->n_edges; i++) { /* tainted flows between pools */
        const sl_trace_edge *x = &r->edges[i];
        const sl_flow_view *v = sl_rt_view(g->rep, x->chain);
        uint8_t k = v->model == SL_MODEL_UTXO ? N_TX : N_ACCT;
        sl_flow f;
        gedge e = {find(g, x->chain, k, x->from_pool), find(g, x->chain, k, x->to_pool), x->chain, x->asset, x->amount,
                   x->flow, 0, 0, k == N_TX ? "pass-through" : NULL, NULL};
        v->m->flow_get(v, x->flow, &f);
        e.time = f.time, e.tx = f.tx;
        put_edge(g, gr, &e);
    }
    for (size_t i = 0; i < r->n_ends; i++) { /* UTXO: into the addresses where it ended */
        const sl_trace_end *x = &r->ends[i];
        char st[48], why[120];
        uint8_t k;
        uint64_t key;
        gedge e;
        if (!utxo(g, x->chain)) continue;
        end_node(x, &k, &key);
        e = (gedge){find(g, x->chain, N_TX, x->pool), find(g, x->chain, k, key), x->chain, x->asset, x->amount,
                    k == N_IN ? SL_FLOW_NONE : x->flow, x->time, x->pool, NULL, NULL};
        e.status = x->reason == SL_END_HELD ? "held" : (snprintf(st, sizeof st, "endpoint:%s", sl_end_reason_name((sl_end_reason)x->reason)), st);
        if (x->reason == SL_END_CROSSED) sl_rt_crossed_text(g->rep, x, why, sizeof why), e.link = why;
        if (back) { /* value flows from an origin into its tx */
            const gnode *t = e.a;
            e.a = e.b, e.b = t, e.status = "pass-through";
        }
        put_edge(g, gr, &e);
    }
    for (size_t i = 0; i < r->n_crossings; i++) { /* declared links: the analyst's assertion */
        const sl_trace_crossing *x = &r->crossings[i];
        const sl_trace_link *l = sl_rt_link(g->rep, x);
        const sl_flow_view *va = sl_rt_view(g->rep, l->from_chain);
        char note[520];
        uint8_t ka, kb;
        uint64_t a, b;
        sl_flow f;
        gedge e;
        link_nodes(g, l, &ka, &a, &kb, &b);
        va->m->flow_get(va, l->from_flow, &f);
        if (l->origin != SL_LINK_DECLARED)
            snprintf(note, sizeof note, "%s: %s", l->origin == SL_LINK_RULE ? "rule" : "chain data", l->note);
        else
            snprintf(note, sizeof note, "declared by the analyst (%s line %u)%s%s", g->rep->links.path, l->line,
                     l->note[0] ? ": " : "", l->note);
        e = (gedge){find(g, l->from_chain, ka, a), find(g, l->to_chain, kb, b), l->from_chain, f.asset,
                    back ? x->amount_in : x->amount_out, l->from_flow, f.time, f.tx, NULL, note};
        put_edge(g, gr, &e);
    }
}

int sl_report_trace_graph(const sl_trace_report *rep, FILE *out, int format, sl_error *e)
{
    gctx g = {rep, NULL, 0, 0};
    sl_graph gr;
    if (format < SL_GRAPH_JSON || format > SL_GRAPH_DOT) return sl_err(e, SL_EUSAGE, "unknown graph format %d", format);
    if (collect(&g)) { sl_free(g.v); return sl_err(e, SL_ENOMEM, "out of memory"); }
    annotate(&g);
    sl_graph_open(&gr, out, format);
    for (size_t i = 0; i < g.n; i++) put_node(&g, &gr, &g.v[i]);
    edges(&g, &gr);
    sl_graph_close(&gr);
    sl_free(g.v);
    if (ferror(out)) return sl_err(e, SL_EIO, "could not write the graph");
    return SL_OK;
}
