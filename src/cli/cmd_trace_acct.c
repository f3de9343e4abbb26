/* cmd_trace_acct.c — `sleuth trace` on account chains (Ethereum family, Tron): picks the
 * chain that holds the source, resolves --asset (ETH, a bundled token symbol such as
 * USDT, or a token contract), runs include/sleuth/trace_acct.h and prints the same report
 * as the Bitcoin trace: parameters, conservation line, where the money is by address, per
 * hop statistics, top paths; --json for programs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "graph.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/text.h"
#include "sleuth/trace_acct.h"
#include "sleuth/util.h"


static cJSON *jamount(cJSON *o, const char *key, sl_u128 v)
{
    sl_u256 u = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
    return ju256(o, key, &u);
}

/* asset id by name: "native", the chain's coin symbol, a token symbol, or a contract */
static bool find_asset(const sl_eth_chain *c, const char *name, uint32_t *id)
{
    const sl_eth_meta *m = sl_eth_meta_get(c);
    for (uint32_t a = 0; a < m->n_assets || a == 0; a++) {
        char n[48];
        sl_eth_asset_name(c, a, n);
        if (!strcasecmp(n, name) || (a == 0 && !strcasecmp(name, "native"))) { *id = a; return true; }
    }
    return false;
}

static void flow_tx(const sl_eth_chain *ch, uint64_t flow, char out[67])
{
    const sl_eth_flowrec *f = flow < sl_eth_meta_get(ch)->n_flows ? sl_eth_flow_at(ch, flow) : NULL;
    char hx[65];
    out[0] = 0;
    if (!f || f->tx == UINT64_MAX) return;
    sl_hex_encode(hx, sl_eth_tx_at(ch, f->tx)->hash.b, 32);
    snprintf(out, 67, "0x%s", hx);
}

/* An account node of the graph: when taint first arrived and last left, what ended there
 * and why (the largest part), whether it sent a source flow. */
typedef struct anode {
    uint32_t acct;
    uint64_t t_in, t_out; /* UINT64_MAX: none */
    sl_u128 ended, largest;
    int reason;           /* -1: nothing ended here */
    bool source;
} anode;

static int cmp_anode(const void *a, const void *b)
{
    const anode *x = a, *y = b;
    return (x->acct > y->acct) - (x->acct < y->acct);
}

static anode *node_of(anode *v, size_t n, uint32_t acct)
{
    anode key = {.acct = acct};
    return bsearch(&key, v, n, sizeof *v, cmp_anode);
}

static uint64_t flow_time_of(const sl_eth_chain *ch, uint64_t flow)
{
    return flow < sl_eth_meta_get(ch)->n_flows ? sl_eth_block_at(ch, sl_eth_flow_at(ch, flow)->block)->time : 0;
}

/* "source", "held", "endpoint:max-hops", "pass-through", or "pass-through+held" for an
 * account that passed taint on and kept some (graph.h). */
static const char *node_status(const anode *x, char buf[48])
{
    const char *on = x->t_out != UINT64_MAX ? "pass-through+" : "";
    if (x->source) return "source";
    if (x->reason == SL_END_HELD) return snprintf(buf, 48, "%sheld", on), buf;
    if (x->reason >= 0) return snprintf(buf, 48, "%sendpoint:%s", on, sl_end_reason_name((sl_end_reason)x->reason)), buf;
    return "pass-through";
}

static void amount_str(char out[140], const sl_eth_chain *ch, uint32_t asset, sl_u128 v, bool unit);

/* The traced subgraph: accounts as nodes, tainted flows as edges (graph.h). */
static int write_graph(const sl_eth_chain *ch, const sl_acct_result *r, const char *path, sl_error *e)
{
    cli_graph g;
    anode *v = sl_calloc(2 * r->n_edges + r->n_ends + 2 * r->n_sources + 1, sizeof *v);
    size_t n = 0, m = 0;
    int rc;
    if (!v) return sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_edges; i++) v[n++].acct = r->edges[i].from, v[n++].acct = r->edges[i].to;
    for (size_t i = 0; i < r->n_ends; i++) v[n++].acct = r->ends[i].acct;
    for (size_t i = 0; i < r->n_sources; i++) v[n++].acct = sl_eth_flow_at(ch, r->sources[i])->from;
    qsort(v, n, sizeof *v, cmp_anode);
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1].acct != v[i].acct) v[m++] = (anode){v[i].acct, UINT64_MAX, UINT64_MAX, 0, 0, -1, false};
    for (size_t i = 0; i < r->n_edges; i++) {
        uint64_t t = flow_time_of(ch, r->edges[i].flow);
        anode *a = node_of(v, m, r->edges[i].from), *b = node_of(v, m, r->edges[i].to);
        if (t && t < a->t_out) a->t_out = t;
        if (t && t < b->t_in) b->t_in = t;
    }
    for (size_t i = 0; i < r->n_ends; i++) {
        anode *a = node_of(v, m, r->ends[i].acct);
        a->ended += r->ends[i].amount;
        if (a->reason < 0 || r->ends[i].amount > a->largest) a->largest = r->ends[i].amount, a->reason = r->ends[i].reason;
    }
    for (size_t i = 0; i < r->n_sources; i++) node_of(v, m, sl_eth_flow_at(ch, r->sources[i])->from)->source = true;
    if ((rc = cli_graph_open(&g, path, e))) { sl_free(v); return rc; }
    for (size_t i = 0; i < m; i++) {
        char ad[48], st[48], d[40], l[140];
        cli_graph_node_info x = {ad, "account", ad, node_status(&v[i], st), v[i].t_in, NULL, NULL};
        if (x.time == UINT64_MAX) x.time = v[i].t_out == UINT64_MAX ? 0 : v[i].t_out; /* a source sends first */
        sl_eth_acct_name(ch, v[i].acct, ad);
        if (v[i].reason >= 0) {
            sl_u128_dec(d, v[i].ended);
            amount_str(l, ch, r->asset, v[i].ended, true);
            x.amount = d, x.amount_label = l;
        }
        cli_graph_node(&g, &x);
    }
    for (size_t i = 0; i < r->n_edges; i++) {
        char a[48], b[48], d[40], l[140], w[140], tx[67], st[48];
        cli_graph_edge_info x = {a, b, d, l, w, node_status(node_of(v, m, r->edges[i].to), st),
                                 flow_time_of(ch, r->edges[i].flow), tx, -1};
        sl_eth_acct_name(ch, r->edges[i].from, a);
        sl_eth_acct_name(ch, r->edges[i].to, b);
        sl_u128_dec(d, r->edges[i].amount);
        amount_str(l, ch, r->asset, r->edges[i].amount, true);
        amount_str(w, ch, r->asset, r->edges[i].amount, false);
        flow_tx(ch, r->edges[i].flow, tx);
        cli_graph_edge(&g, &x);
    }
    sl_free(v);
    return cli_graph_close(&g, e);
}

static sl_u256 u256_of(sl_u128 v)
{
    sl_u256 u = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
    return u;
}

/* An amount of the traced asset: "1.5 ETH" (with the unit) or just the number "1.5" (in a
 * column whose header names the unit); base units when the decimals are unknown. */
static void amount_str(char out[140], const sl_eth_chain *ch, uint32_t asset, sl_u128 v, bool unit)
{
    sl_u256 u = u256_of(v);
    char d[SL_U256_DEC_MAX];
    int dec = cli_eth_decimals(ch, asset);
    if (unit) { cli_eth_amount(out, ch, asset, &u); return; }
    sl_u256_dec(d, &u);
    cli_decimal(out, 140, d, dec < 0 ? 0 : (unsigned)dec);
}

/* Says what the trace started from: one flow, what a transaction moved in the asset, or
 * what an address received. In j: "source_kind", "source_description" and every flow in
 * "source_flows"; as text (j NULL): the sentence and the first `show` flows. */
static void source_report(const sl_eth_chain *ch, const sl_acct_result *r, const sl_acct_source *src,
                          const sl_trace_params *p, const char *arg, cJSON *j, uint64_t show)
{
    char desc[400], am[140], an[48], tx[67] = "";
    const char *kind, *many = r->n_sources == 1 ? "" : "s";
    const sl_eth_flowrec *f0 = r->n_sources ? sl_eth_flow_at(ch, r->sources[0]) : NULL;
    sl_eth_asset_name(ch, r->asset, an);
    amount_str(am, ch, r->asset, r->source_amount, true);
    for (char *q = strchr(am, ' '); q; q = strchr(q, ' ')) *q = SL_TEXT_NBSP[0]; /* the amount stays with its unit */
    if (f0) flow_tx(ch, r->sources[0], tx);
    if (src->by_address) {
        char since[32] = "";
        if (p->since) cli_time(since, p->since);
        kind = "address";
        snprintf(desc, sizeof desc, "%zu inflow%s of %s received by %s%s%s, %s", r->n_sources, many, an, arg,
                 p->since ? " since " : "", since, am);
    } else if (src->flow >= 0) {
        kind = "flow";
        snprintf(desc, sizeof desc, "flow %lld of %s, %s", (long long)src->flow, tx, am);
    } else {
        kind = "tx_flows";
        snprintf(desc, sizeof desc, "the %s that %s moved: %zu" SL_TEXT_NBSP "flow%s, %s", an, tx, r->n_sources, many, am);
    }
    if (j) {
        cJSON *arr;
        cJSON_AddStringToObject(j, "source_kind", kind);
        for (char *q = strchr(desc, SL_TEXT_NBSP[0]); q; q = strchr(q, SL_TEXT_NBSP[0])) *q = ' ';
        cJSON_AddStringToObject(j, "source_description", desc);
        arr = cJSON_AddArrayToObject(j, "source_flows");
        for (size_t i = 0; i < r->n_sources; i++) {
            const sl_eth_flowrec *f = sl_eth_flow_at(ch, r->sources[i]);
            cJSON *x = cJSON_CreateObject();
            char ad[48];
            sl_u256 v;
            flow_tx(ch, r->sources[i], tx);
            jstr_or_null(x, "tx", tx[0] ? tx : NULL);
            if (f->tx != UINT64_MAX) jnum(x, "flow", r->sources[i] - sl_eth_tx_at(ch, f->tx)->first_flow);
            else cJSON_AddNullToObject(x, "flow");
            sl_eth_acct_name(ch, f->from, ad);
            cJSON_AddStringToObject(x, "from", ad);
            sl_eth_acct_name(ch, f->to, ad);
            cJSON_AddStringToObject(x, "to", ad);
            sl_eth_flow_amount(ch, f, &v);
            ju256(x, "amount", &v);
            jnum_or_null(x, "time", sl_eth_block_at(ch, f->block)->time, sl_eth_block_at(ch, f->block)->time != 0);
            cJSON_AddItemToArray(arr, x);
        }
        return;
    }
    cli_wrapf(4, "  source: %s%s", desc,
              src->by_address || src->flow >= 0 ? "" : " - TX:FLOW traces one flow (numbered as in `sleuth tx`)");
    for (size_t i = 0; i < r->n_sources && i < show; i++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(ch, r->sources[i]);
        char from[48], to[48];
        sl_u256 v;
        uint64_t k = f->tx != UINT64_MAX ? r->sources[i] - sl_eth_tx_at(ch, f->tx)->first_flow : 0;
        sl_eth_flow_amount(ch, f, &v);
        cli_eth_amount(am, ch, f->asset, &v);
        sl_eth_acct_name(ch, f->from, from);
        sl_eth_acct_name(ch, f->to, to);
        flow_tx(ch, r->sources[i], tx);
        if (src->by_address) cli_wrapf(8, "      %s:%" PRIu64 "  %s from %s", tx, k, am, from);
        else cli_wrapf(8, "      #%-4" PRIu64 " %s  %s -> %s", k, am, from, to);
    }
    if (r->n_sources > show) printf("      ... %zu more (--top, --json)\n", r->n_sources - (size_t)show);
}

static void report_json(const sl_eth_chain *ch, const sl_acct_result *r, const sl_acct_source *src,
                        const sl_trace_params *p, const char *arg, const char *tags, uint64_t top)
{
    cJSON *j = cJSON_CreateObject(), *arr, *paths;
    char an[48];
    sl_eth_asset_name(ch, r->asset, an);
    cJSON_AddStringToObject(j, "source", arg);
    source_report(ch, r, src, p, arg, j, 0);
    cJSON_AddStringToObject(j, "direction", p->backward ? "backward" : "forward");
    cJSON_AddStringToObject(j, "chain", sl_eth_meta_get(ch)->chain);
    cJSON_AddStringToObject(j, "asset", an);
    jnum_or_null(j, "asset_decimals", (uint64_t)cli_eth_decimals(ch, r->asset), cli_eth_decimals(ch, r->asset) >= 0);
    cli_trace_params_json(j, p, tags);
    {
        const sl_u128 tot[6] = {r->source_amount, r->absorbed, r->endpoints, r->held, r->fees, r->dropped};
        cli_trace_totals_json(j, tot, true, r->pools_visited, r->truncated, r->truncated_why);
    }
    jnum(j, "flows_routed", r->flows_routed);
    arr = cJSON_AddArrayToObject(j, "endpoints");
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_acct_end *x = &r->ends[i];
        cJSON *o = cJSON_CreateObject();
        char ad[48], t[67];
        sl_eth_acct_name(ch, x->acct, ad);
        cJSON_AddStringToObject(o, "address", ad);
        cJSON_AddNullToObject(o, "cluster");
        cJSON_AddArrayToObject(o, "tags");
        jamount(o, "amount", x->amount);
        cJSON_AddStringToObject(o, "status", sl_end_reason_name((sl_end_reason)x->reason));
        jnum_or_null(o, "first_arrival", x->time, x->time != 0);
        jnum(o, "hops", x->hops);
        flow_tx(ch, x->flow, t);
        if (t[0]) cJSON_AddStringToObject(o, "via_tx", t);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(j, "flows");
    for (size_t i = 0; i < r->n_edges; i++) {
        cJSON *o = cJSON_CreateObject();
        char ad[48], tx[67];
        sl_eth_acct_name(ch, r->edges[i].from, ad);
        cJSON_AddStringToObject(o, "from", ad);
        sl_eth_acct_name(ch, r->edges[i].to, ad);
        cJSON_AddStringToObject(o, "to", ad);
        flow_tx(ch, r->edges[i].flow, tx);
        jstr_or_null(o, "tx", tx[0] ? tx : NULL);
        jamount(o, "amount", r->edges[i].amount);
        cJSON_AddItemToArray(arr, o);
    }
    cli_trace_hops_json(j, r->hops, r->n_hops, true);
    paths = cJSON_AddArrayToObject(j, "top_paths");
    for (size_t i = 0; i < r->n_ends && i < top; i++) {
        uint32_t accts[64];
        uint64_t flows[64];
        size_t n = sl_trace_acct_path(r, r->ends[i].acct, accts, flows, 64);
        cJSON *o = cJSON_CreateObject(), *steps;
        jamount(o, "amount", r->ends[i].amount);
        steps = cJSON_AddArrayToObject(o, "steps");
        for (size_t k = n; k-- > 0;) {
            cJSON *st = cJSON_CreateObject();
            char ad[48], t[67];
            sl_eth_acct_name(ch, accts[k], ad);
            cJSON_AddStringToObject(st, "address", ad);
            flow_tx(ch, flows[k], t);
            if (t[0]) {
                cJSON_AddStringToObject(st, "tx", t);
                jnum_or_null(st, "time", flow_time_of(ch, flows[k]), flow_time_of(ch, flows[k]) != 0);
            }
            cJSON_AddItemToArray(steps, st);
        }
        cJSON_AddItemToArray(paths, o);
    }
    cli_print_json(j);
}

static void report_text(const sl_eth_chain *ch, const sl_acct_result *r, const sl_acct_source *src,
                        const sl_trace_params *p, const char *arg, const char *tags, uint64_t top, const char *graph)
{
    sl_u128 lhs = r->source_amount + r->absorbed, rhs = r->endpoints + r->held + r->fees + r->dropped;
    char an[48], b[6][140], hops[24] = "unlimited";
    const sl_u128 tot[6] = {r->source_amount, r->endpoints, r->held, r->fees, r->dropped, r->absorbed};
    int dec = cli_eth_decimals(ch, r->asset);
    sl_eth_asset_name(ch, r->asset, an);
    cli_wrapf(4, "trace %s from %s", p->backward ? "backward" : "forward", arg);
    if (dec < 0) cli_wrapf(4, "  on %s, asset %s (amounts in base units: its decimals are unknown)", sl_eth_meta_get(ch)->chain, an);
    else printf("  on %s, asset %s (%d decimals)\n", sl_eth_meta_get(ch)->chain, an, dec);
    source_report(ch, r, src, p, arg, NULL, top * 2);
    if (p->max_hops) snprintf(hops, sizeof hops, "%u", p->max_hops);
    cli_wrapf(4, "  policy %s, max hops %s, min amount %" PRIu64 " base units, max nodes %" PRIu64,
              sl_policy_name(p->policy), hops, p->min_amount, p->max_nodes ? p->max_nodes : 1000000);
    cli_wrapf(4, "  stop at: %s (%s)", p->stop_at ? p->stop_at : "-", tags);
    for (int i = 0; i < 6; i++) amount_str(b[i], ch, r->asset, tot[i], false);
    cli_wrapf(4, "  conservation: source %s%s%s = %s %s + held %s + fees/burn %s + dropped %s" SL_TEXT_NBSP "%s %s", b[0],
              p->policy == SL_POLICY_POISON ? " + absorbed " : "", p->policy == SL_POLICY_POISON ? b[5] : "",
              p->backward ? "sources" : "endpoints", b[1], b[2], b[3], b[4], dec < 0 ? "base units" : an,
              lhs == rhs ? "(balanced to the base unit)" : "(NOT BALANCED: a bug, please report)");
    cli_wrapf(4, "  accounts visited %" PRIu64 ", flows routed %" PRIu64 "%s%s", r->pools_visited, r->flows_routed,
              r->truncated ? "  TRUNCATED: " : "", r->truncated ? r->truncated_why : "");
    printf("\n");
    /* two lines an account: 42-character addresses and 18-decimal amounts share no row */
    printf("%s (by account)\n", p->backward ? "where it came from" : "where it is");
    for (size_t i = 0; i < r->n_ends && i < top * 2; i++) {
        char ad[48], tm[32];
        sl_eth_acct_name(ch, r->ends[i].acct, ad);
        amount_str(b[0], ch, r->asset, r->ends[i].amount, true);
        cli_time(tm, r->ends[i].time);
        cli_wrapf(6, "  %-42s  %s", ad, b[0]);
        cli_wrapf(6, "      %s, %u hop%s, %s %s", sl_end_reason_name((sl_end_reason)r->ends[i].reason), r->ends[i].hops,
                  r->ends[i].hops == 1 ? "" : "s", r->ends[i].reason == SL_END_HELD ? "last tainted arrival" : "flow at", tm);
    }
    if (r->n_ends > top * 2) printf("  ... %zu more (--top, --json)\n", r->n_ends - top * 2);
    printf("\nper hop\n  hop  accounts  flows\n");
    for (size_t h = 0; h < r->n_hops; h++)
        printf("  %3zu  %8" PRIu64 "  %5" PRIu64 "\n", h, r->hops[h].pools, r->hops[h].outputs);
    printf("\ntop paths (each account with the flow that brought the most, and its time, UTC)\n");
    for (size_t i = 0; i < r->n_ends && i < top; i++) {
        uint32_t accts[64];
        uint64_t flows[64];
        size_t n = sl_trace_acct_path(r, r->ends[i].acct, accts, flows, 64);
        char ad[48];
        sl_eth_acct_name(ch, r->ends[i].acct, ad);
        amount_str(b[0], ch, r->asset, r->ends[i].amount, true);
        cli_wrapf(7, "  #%zu %s -> %s (%s)", i + 1, b[0], ad, sl_end_reason_name((sl_end_reason)r->ends[i].reason));
        for (size_t k = n; k-- > 0;) {
            char tx[67], tm[32] = "";
            sl_eth_acct_name(ch, accts[k], ad);
            flow_tx(ch, flows[k], tx);
            if (tx[0]) cli_time(tm, flow_time_of(ch, flows[k])), tm[19] = 0;
            cli_wrapf(9, "       %-19s  %s  %s", tm, ad, tx);
        }
    }
    if (graph) cli_wrapf(4, "\ngraph written to %s", graph);
}

int cmd_trace_acct(const cli_common *cc, sl_store *s, const char *chain, const char *txarg, const char *addrarg,
                   const char *asset, sl_trace_params *p, uint64_t top, const char *graph)
{
    cli_common c = *cc;
    sl_error e = {0};
    sl_acct_source src;
    sl_acct_result r;
    sl_eth_chain *ch = NULL;
    int rc = SL_ENOTFOUND;
    memset(&src, 0, sizeof src);
    src.flow = -1;
    if (txarg) {
        const char *colon = strchr(txarg, ':');
        char h[67];
        size_t hl = colon ? (size_t)(colon - txarg) : strlen(txarg);
        if (hl != 66 || (memcpy(h, txarg + 2, 64), h[64] = 0, !sl_hex_decode(src.tx.b, 32, h, 64)))
            return cli_usage("--tx: '%s' is not 0xHASH or 0xHASH:FLOW", txarg);
        if (colon) {
            char *end;
            long long v = strtoll(colon + 1, &end, 10);
            if (*end || v < 0 || !colon[1]) return cli_usage("--tx: FLOW after ':' is the flow's number in `sleuth tx`");
            src.flow = v;
        }
    } else {
        src.by_address = true;
        if (!sl_eth_addr_parse(&src.addr, addrarg) && !sl_tron_addr_decode(&src.addr, addrarg))
            return cli_usage("--address: '%s' is not a 0x address or a Tron T-address", addrarg);
    }
    /* the chain that knows the source */
    {
        uint64_t id;
        sl_eth_acctstat st;
        ch = txarg ? cli_eth_find_tx(s, chain, &src.tx, &id) : cli_eth_find_acct(s, chain, &src.addr, false, &st);
    }
    if (!ch) {
        sl_err(&e, SL_ENOTFOUND, "%s not found in any chain of the store%s%s", txarg ? "transaction" : "address",
               chain ? " for --chain " : "", chain ? chain : "");
        return cli_fail(&c, &e);
    }
    if (asset) {
        if (!find_asset(ch, asset, &src.asset)) {
            sl_err(&e, SL_ENOTFOUND, "asset '%s' not seen on %s (a coin, a token symbol or a 0x contract)", asset,
                   sl_eth_meta_get(ch)->chain);
            return cli_fail(&c, &e);
        }
        src.asset_given = true;
    }
    p->no_edges = !c.json && !graph;
    if ((rc = sl_trace_acct_run(ch, &src, p, &r, &e))) return cli_fail(&c, &e);
    if (graph && (rc = write_graph(ch, &r, graph, &e))) {
        sl_trace_acct_free(&r);
        return cli_fail(&c, &e);
    }
    {
        const char *tags = p->stop_at ? "requested; no tag store is loaded, so nothing is tagged yet" : "none";
        const char *arg = txarg ? txarg : addrarg;
        if (c.json) report_json(ch, &r, &src, p, arg, tags, top);
        else report_text(ch, &r, &src, p, arg, tags, top, graph);
        sl_trace_acct_free(&r);
    }
    return EXIT_OK;
}
