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
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/trace_acct.h"
#include "sleuth/util.h"

static const char *const CHAINS[] = {"ethereum", "bsc", "polygon", "avalanche", "arbitrum", "base", "tron"};

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

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The traced subgraph: accounts as nodes, tainted flows as edges (JSON, GEXF or DOT). */
static int write_graph(const sl_eth_chain *ch, const sl_acct_result *r, const char *path, sl_error *e)
{
    const char *ext = strrchr(path, '.');
    int kind = !strcmp(ext, ".gexf") ? 1 : !strcmp(ext, ".dot") ? 2 : 0;
    FILE *f = fopen(path, "w");
    if (!f) return sl_err(e, SL_EIO, "%s: cannot write", path);
    if (kind == 1)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
              "<graph defaultedgetype=\"directed\">\n<nodes>\n", f);
    else if (kind == 2) fputs("digraph trace {\n  rankdir=LR;\n", f);
    else fputs("{\"nodes\":[", f);
    {
        uint32_t *ids = malloc((2 * r->n_edges + 1) * sizeof *ids);
        size_t n = 0, m = 0;
        if (!ids) { fclose(f); return sl_err(e, SL_ENOMEM, "out of memory"); }
        for (size_t i = 0; i < r->n_edges; i++) ids[n++] = r->edges[i].from, ids[n++] = r->edges[i].to;
        qsort(ids, n, sizeof *ids, cmp_u32);
        for (size_t i = 0; i < n; i++) {
            char ad[48];
            if (i && ids[i] == ids[i - 1]) continue;
            sl_eth_acct_name(ch, ids[i], ad);
            if (kind == 1) fprintf(f, "<node id=\"%s\" label=\"%s\"/>\n", ad, ad);
            else if (kind == 2) fprintf(f, "  \"%s\" [shape=ellipse];\n", ad);
            else fprintf(f, "%s{\"id\":\"%s\",\"type\":\"account\"}", m++ ? "," : "", ad);
        }
        free(ids);
    }
    if (kind == 1) fputs("</nodes>\n<edges>\n", f);
    else if (kind == 0) fputs("],\"edges\":[", f);
    for (size_t i = 0; i < r->n_edges; i++) {
        char a[48], b[48], amt[40], tx[67];
        sl_eth_acct_name(ch, r->edges[i].from, a);
        sl_eth_acct_name(ch, r->edges[i].to, b);
        sl_u128_dec(amt, r->edges[i].amount);
        flow_tx(ch, r->edges[i].flow, tx);
        if (kind == 1) fprintf(f, "<edge id=\"%zu\" source=\"%s\" target=\"%s\" label=\"%s %s\"/>\n", i, a, b, amt, tx);
        else if (kind == 2) fprintf(f, "  \"%s\" -> \"%s\" [label=\"%s\"];\n", a, b, amt);
        else fprintf(f, "%s{\"source\":\"%s\",\"target\":\"%s\",\"amount\":\"%s\",\"tx\":\"%s\"}", i ? "," : "", a, b, amt, tx);
    }
    if (kind == 1) fputs("</edges>\n</graph>\n</gexf>\n", f);
    else if (kind == 2) fputs("}\n", f);
    else fputs("]}\n", f);
    if (fclose(f)) return sl_err(e, SL_EIO, "%s: write failed", path);
    return SL_OK;
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
    for (size_t i = 0; i < sizeof CHAINS / sizeof *CHAINS; i++) {
        sl_eth_chain *cand;
        uint64_t id;
        sl_eth_acctstat st;
        if (chain && strcmp(chain, CHAINS[i])) continue;
        if (sl_eth_chain_open(s, CHAINS[i], &cand, &e)) { sl_err_clear(&e); continue; }
        if (txarg ? sl_eth_tx_find(cand, &src.tx, &id) == SL_OK : sl_eth_acct_lookup(cand, &src.addr, &st) == SL_OK) {
            ch = cand;
            break;
        }
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
        sl_u128 lhs = r.source_amount + r.absorbed, rhs = r.endpoints + r.held + r.fees + r.dropped;
        char an[48], b1[40], b2[40], b3[40], b4[40], b5[40], b6[40];
        const char *tags = p->stop_at ? "requested; no tag store is loaded, so nothing is tagged yet" : "none";
        sl_eth_asset_name(ch, r.asset, an);
        if (c.json) {
            cJSON *j = cJSON_CreateObject(), *arr, *hops, *paths;
            cJSON_AddStringToObject(j, "source", txarg ? txarg : addrarg);
            cJSON_AddStringToObject(j, "direction", p->backward ? "backward" : "forward");
            cJSON_AddStringToObject(j, "chain", sl_eth_meta_get(ch)->chain);
            cJSON_AddStringToObject(j, "asset", an);
            cli_trace_params_json(j, p, tags);
            {
                const sl_u128 tot[6] = {r.source_amount, r.absorbed, r.endpoints, r.held, r.fees, r.dropped};
                cli_trace_totals_json(j, tot, true, r.pools_visited, r.truncated, r.truncated_why);
            }
            jnum(j, "flows_routed", r.flows_routed);
            arr = cJSON_AddArrayToObject(j, "endpoints");
            for (size_t i = 0; i < r.n_ends; i++) {
                const sl_acct_end *x = &r.ends[i];
                cJSON *o = cJSON_CreateObject();
                char ad[48];
                sl_eth_acct_name(ch, x->acct, ad);
                cJSON_AddStringToObject(o, "address", ad);
                cJSON_AddNullToObject(o, "cluster");
                cJSON_AddArrayToObject(o, "tags");
                jamount(o, "amount", x->amount);
                cJSON_AddStringToObject(o, "status", sl_end_reason_name((sl_end_reason)x->reason));
                jnum(o, "first_arrival", x->time);
                jnum(o, "hops", x->hops);
                if (x->flow != UINT64_MAX && x->flow < sl_eth_meta_get(ch)->n_flows) {
                    const sl_eth_flowrec *f = sl_eth_flow_at(ch, x->flow);
                    char hx[65], t[67];
                    if (f->tx != UINT64_MAX) {
                        sl_hex_encode(hx, sl_eth_tx_at(ch, f->tx)->hash.b, 32);
                        snprintf(t, sizeof t, "0x%s", hx);
                        cJSON_AddStringToObject(o, "via_tx", t);
                    }
                }
                cJSON_AddItemToArray(arr, o);
            }
            arr = cJSON_AddArrayToObject(j, "flows");
            for (size_t i = 0; i < r.n_edges; i++) {
                cJSON *o = cJSON_CreateObject();
                char ad[48], tx[67];
                sl_eth_acct_name(ch, r.edges[i].from, ad);
                cJSON_AddStringToObject(o, "from", ad);
                sl_eth_acct_name(ch, r.edges[i].to, ad);
                cJSON_AddStringToObject(o, "to", ad);
                flow_tx(ch, r.edges[i].flow, tx);
                jstr_or_null(o, "tx", tx[0] ? tx : NULL);
                jamount(o, "amount", r.edges[i].amount);
                cJSON_AddItemToArray(arr, o);
            }
            hops = cJSON_AddArrayToObject(j, "hops");
            for (size_t h = 0; h < r.n_hops; h++) {
                cJSON *o = cJSON_CreateObject();
                jnum(o, "hop", h);
                jnum(o, "accounts", r.hops[h].pools);
                jnum(o, "flows", r.hops[h].outputs);
                cJSON_AddItemToArray(hops, o);
            }
            paths = cJSON_AddArrayToObject(j, "top_paths");
            for (size_t i = 0; i < r.n_ends && i < top; i++) {
                uint32_t accts[64];
                uint64_t flows[64];
                size_t n = sl_trace_acct_path(&r, r.ends[i].acct, accts, flows, 64);
                cJSON *o = cJSON_CreateObject(), *steps;
                jamount(o, "amount", r.ends[i].amount);
                steps = cJSON_AddArrayToObject(o, "steps");
                for (size_t k = n; k-- > 0;) {
                    cJSON *st = cJSON_CreateObject();
                    char ad[48], hx[65], t[67];
                    const sl_eth_flowrec *f = flows[k] < sl_eth_meta_get(ch)->n_flows ? sl_eth_flow_at(ch, flows[k]) : NULL;
                    sl_eth_acct_name(ch, accts[k], ad);
                    cJSON_AddStringToObject(st, "address", ad);
                    if (f && f->tx != UINT64_MAX) {
                        sl_hex_encode(hx, sl_eth_tx_at(ch, f->tx)->hash.b, 32);
                        snprintf(t, sizeof t, "0x%s", hx);
                        cJSON_AddStringToObject(st, "tx", t);
                        jnum(st, "time", sl_eth_block_at(ch, f->block)->time);
                    }
                    cJSON_AddItemToArray(steps, st);
                }
                cJSON_AddItemToArray(paths, o);
            }
            cli_print_json(j);
        } else {
            sl_u128_dec(b1, r.source_amount), sl_u128_dec(b2, r.endpoints), sl_u128_dec(b3, r.held);
            sl_u128_dec(b4, r.fees), sl_u128_dec(b5, r.dropped), sl_u128_dec(b6, r.absorbed);
            printf("trace %s from %s on %s, asset %s (base units)\n", p->backward ? "backward" : "forward",
                   txarg ? txarg : addrarg, sl_eth_meta_get(ch)->chain, an);
            {
                char hops[24] = "unlimited";
                if (p->max_hops) snprintf(hops, sizeof hops, "%u", p->max_hops);
                printf("  policy %s, max hops %s, min amount %" PRIu64 ", max nodes %" PRIu64 ", stop at: %s (%s)\n",
                       sl_policy_name(p->policy), hops, p->min_amount, p->max_nodes ? p->max_nodes : 1000000,
                       p->stop_at ? p->stop_at : "-", tags);
            }
            if (p->policy == SL_POLICY_POISON) printf("  conservation: source %s + absorbed %s = ", b1, b6);
            else printf("  conservation: source %s = ", b1);
            printf("%s %s + held %s + fees/burn %s + dropped %s  %s\n", p->backward ? "sources" : "endpoints", b2, b3, b4, b5,
                   lhs == rhs ? "(balanced to the base unit)" : "(NOT BALANCED: a bug, please report)");
            printf("  accounts visited %" PRIu64 ", flows routed %" PRIu64 "%s%s\n\n%s\n", r.pools_visited,
                   r.flows_routed, r.truncated ? "  TRUNCATED: " : "", r.truncated ? r.truncated_why : "",
                   p->backward ? "where it came from" : "where it is");
            for (size_t i = 0; i < r.n_ends && i < top * 2; i++) {
                char ad[48], tm[32];
                sl_eth_acct_name(ch, r.ends[i].acct, ad);
                sl_u128_dec(b1, r.ends[i].amount);
                cli_time(tm, (uint32_t)r.ends[i].time);
                printf("  %30s  %-42s %-10s hops %-3u %s\n", b1, ad, sl_end_reason_name((sl_end_reason)r.ends[i].reason),
                       r.ends[i].hops, tm);
            }
            if (r.n_ends > top * 2) printf("  ... %zu more (--top, --json)\n", r.n_ends - top * 2);
            printf("\nper hop\n  hop  accounts  flows\n");
            for (size_t h = 0; h < r.n_hops; h++)
                printf("  %3zu  %8" PRIu64 "  %5" PRIu64 "\n", h, r.hops[h].pools, r.hops[h].outputs);
        }
        sl_trace_acct_free(&r);
    }
    return EXIT_OK;
}
