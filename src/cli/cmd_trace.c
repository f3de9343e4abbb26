/* cmd_trace.c — `sleuth trace`: runs the tracing engine (include/sleuth/trace.h) and
 * prints the summary with its conservation line, the endpoints and still-held amounts by
 * address, per-hop statistics and the top paths; --json gives the same, --graph writes
 * the traced subgraph as JSON, GEXF (Gephi) or DOT (Graphviz). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "graph.h"
#include "sleuth/store.h"
#include "sleuth/text.h"
#include "sleuth/trace.h"
#include "sleuth/util.h"

/* What a source, a policy and --stop-at mean: in `sleuth --help` and `sleuth trace --help`. */
const char CLI_TRACE_HELP[] =
    "  --tx TXID:N traces output N. --tx TXID alone traces ALL the outputs of the transaction,\n"
    "    the sender's own change included; the report opens with the outputs it took.\n"
    "  --address ADDR traces all the address received (from --since TIME on). On account chains\n"
    "    --tx 0xHASH traces what the transaction moved in one asset (--asset, else its first).\n"
    "  --policy: how taint is split where tainted and clean value mix (default haircut)\n"
    "    poison   any taint taints every output whole: an upper bound (clean value: \"absorbed\")\n"
    "    haircut  each output carries the tainted fraction of what it was paid from\n"
    "    fifo     first in, first out: inputs pay outputs in order (accounts: oldest deposits)\n"
    "    lifo     last in, first out: the newest value leaves first\n"
    "    tiho     taint in, highest out: tainted value goes to the largest outputs first\n"
    "  --stop-at CATEGORY,...: tag categories (lower-case words joined by commas, no spaces:\n"
    "    exchange,mixer) whose addresses end the trace as endpoints. No tag store exists yet,\n"
    "    so nothing is tagged and the trace runs as without it; the report says so.\n";

static const char HELP[] =
    "usage: sleuth trace --store DIR (--tx TXID[:N] | --address ADDR [--since TIME])\n"
    "          [--policy poison|haircut|fifo|lifo|tiho] [--direction forward|backward]\n"
    "          [--max-hops N] [--min-amount SAT] [--until TIME] [--stop-at CATEGORY,...]\n"
    "          [--max-nodes N] [--top N] [--json] [--graph FILE.json|FILE.gexf|FILE.dot]\n"
    "  Account chains: --tx 0xHASH[:FLOW] | --address 0xADDR|T-ADDR [--asset ETH|USDT|0xCONTRACT]\n"
    "          [--chain NAME]; FLOW is a flow's number in `sleuth tx`, --min-amount in base units.\n"
    "  TIME: unix seconds or YYYY-MM-DD[THH:MM:SSZ]. Default: haircut, forward, 1,000,000 nodes.\n"
    "  --graph writes the traced subgraph (Gephi: .gexf, Graphviz: .dot) with amounts, times and\n"
    "  status on nodes and edges.\n\n";

static bool parse_time(const char *s, uint32_t *out)
{
    struct tm tm;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s && !*end && v <= UINT32_MAX) { *out = (uint32_t)v; return true; }
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end) return false;
    if (*end == 'T' || *end == ' ') {
        end = strptime(end + 1, "%H:%M:%S", &tm);
        if (!end) return false;
        if (*end == 'Z') end++;
    }
    if (*end) return false;
    *out = (uint32_t)timegm(&tm);
    return true;
}


static void addr_str(const sl_store *s, uint32_t id, char out[100])
{
    sl_btc_addr a;
    strcpy(out, "(no address)");
    if (id && sl_btc_addr_key(s, id, &a) == SL_OK) sl_btc_addr_encode(out, sl_store_btc_net(s), &a);
}

typedef struct agg { uint32_t addr; uint8_t reason; uint64_t amount, n; uint32_t hops, time; uint64_t pool; } agg;

static int cmp_agg(const void *a, const void *b)
{
    const agg *x = a, *y = b;
    return x->amount != y->amount ? (x->amount < y->amount ? 1 : -1) : (x->addr > y->addr) - (x->addr < y->addr);
}

static int cmp_addr_reason(const void *a, const void *b)
{
    const agg *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (int)x->reason - (int)y->reason;
}

/* Sums ends by (address, reason) — sort, then merge runs; outputs without an address stay
 * separate — and orders the sums by amount. */
static agg *aggregate(const sl_trace_result *r, size_t *n)
{
    agg *v = sl_calloc(r->n_ends + 1, sizeof *v);
    size_t m = 0;
    if (!v) return NULL;
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *e = &r->ends[i];
        v[i] = (agg){e->addr, e->reason, e->amount, 1, e->hops, e->time, e->pool};
    }
    qsort(v, r->n_ends, sizeof *v, cmp_addr_reason);
    for (size_t i = 0; i < r->n_ends; i++) {
        if (m && v[i].addr && v[m - 1].addr == v[i].addr && v[m - 1].reason == v[i].reason) {
            agg *k = &v[m - 1];
            k->amount += v[i].amount;
            k->n++;
            if (v[i].hops < k->hops) k->hops = v[i].hops;
            if (v[i].time < k->time) k->time = v[i].time;
        } else {
            v[m++] = v[i];
        }
    }
    qsort(v, m, sizeof *v, cmp_agg);
    *n = m;
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v and drops repeats; returns the new length. */
static size_t uniq_u64(uint64_t *v, size_t n)
{
    size_t m = 0;
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i]) v[m++] = v[i];
    return m;
}

static void tx_hex(const sl_store *s, uint64_t tx, char out[65]) { sl_hash_hex(out, sl_btc_txid(s, tx)); }

static uint32_t tx_time(const sl_store *s, uint64_t tx) { return sl_btc_block_at(s, sl_btc_tx_block(s, tx))->time; }

/* An address node of the graph: the ends at one address (or one address-less output,
 * key 1<<63 | output number), summed; its status is that of its largest part. */
typedef struct anode { uint64_t key, amount, largest; uint32_t time; uint8_t reason; } anode;

static int cmp_anode(const void *a, const void *b)
{
    const anode *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* Backward, a coinbase or unknown-origin end is an input (x->out is the input number). */
static bool end_is_input(const sl_trace_end *x) { return x->reason == SL_END_COINBASE || x->reason == SL_END_UNKNOWN; }

static uint64_t end_key(const sl_trace_end *x)
{
    if (end_is_input(x)) return (uint64_t)3 << 62 | x->out;
    return x->addr ? x->addr : ((uint64_t)1 << 63 | x->out);
}

static void end_status(char out[40], uint8_t reason)
{
    if (reason == SL_END_HELD) snprintf(out, 40, "held");
    else snprintf(out, 40, "endpoint:%s", sl_end_reason_name((sl_end_reason)reason));
}

static void node_id(const sl_store *s, uint64_t key, char out[104])
{
    char ad[100];
    if (key >> 62 == 3) snprintf(ad, sizeof ad, "in:%" PRIu64, key & ~((uint64_t)3 << 62));
    else if (key >> 63) snprintf(ad, sizeof ad, "out:%" PRIu64, key & ~((uint64_t)1 << 63));
    else addr_str(s, (uint32_t)key, ad);
    snprintf(out, 104, "a:%s", ad);
}

/* "1.5 BTC" and its weight "1.5" from an amount in satoshi. */
static void btc_label(uint64_t sat, char digits[24], char weight[32], char label[40])
{
    snprintf(digits, 24, "%" PRIu64, sat);
    cli_decimal(weight, 32, digits, 8);
    snprintf(label, 40, "%s BTC", weight);
}

/* The traced subgraph: the source, the transactions the taint went through and the
 * addresses where it is or where the trace stopped (graph.h). */
static int write_graph(const sl_store *s, const sl_trace_result *r, bool backward, const char *path, sl_error *e)
{
    cli_graph g;
    uint64_t *ids = sl_malloc((2 * r->n_edges + r->n_ends + 1) * sizeof *ids);
    anode *an = sl_calloc(r->n_ends + 1, sizeof *an);
    size_t n = 0, m = 0;
    char a[65], b[65], d[24], w[32], l[40], st[40], id[104];
    int rc;
    if (!ids || !an) { sl_free(ids), sl_free(an); return sl_err(e, SL_ENOMEM, "out of memory"); }
    if ((rc = cli_graph_open(&g, path, e))) { sl_free(ids), sl_free(an); return rc; }
    /* transactions, each once (sorted and de-duplicated: traces can have millions of flows);
     * the source outputs' transactions are the "source" nodes */
    for (size_t i = 0; i < r->n_edges; i++)
        ids[n++] = r->edges[i].from_tx != UINT64_MAX ? r->edges[i].from_tx : r->edges[i].out_tx, ids[n++] = r->edges[i].to_tx;
    for (size_t i = 0; i < r->n_ends; i++) ids[n++] = r->ends[i].pool;
    n = uniq_u64(ids, n);
    for (size_t i = 0; i < n; i++) {
        char label[40];
        cli_graph_node_info x = {a, "tx", label, "pass-through", tx_time(s, ids[i]), NULL, NULL};
        for (size_t k = 0; k < r->n_sources; k++)
            if (r->source_txs[k] == ids[i]) x.status = "source";
        tx_hex(s, ids[i], a);
        snprintf(label, sizeof label, "tx %.12s", a);
        cli_graph_node(&g, &x);
    }
    /* addresses */
    for (size_t i = 0; i < r->n_ends; i++)
        an[i] = (anode){end_key(&r->ends[i]), r->ends[i].amount, r->ends[i].amount, r->ends[i].time, r->ends[i].reason};
    qsort(an, r->n_ends, sizeof *an, cmp_anode);
    for (size_t i = 0; i < r->n_ends; i++) {
        if (m && an[m - 1].key == an[i].key) {
            anode *k = &an[m - 1];
            k->amount += an[i].amount;
            if (an[i].time < k->time) k->time = an[i].time;
            if (an[i].largest > k->largest) k->largest = an[i].largest, k->reason = an[i].reason;
        } else {
            an[m++] = an[i];
        }
    }
    for (size_t i = 0; i < m; i++) {
        cli_graph_node_info x = {id, "address", id + 2, st, an[i].time, d, l};
        node_id(s, an[i].key, id);
        if (an[i].key >> 62 == 3) /* an input: newly minted coins, or spent coins the store does not hold */
            x.type = "origin", x.label = an[i].reason == SL_END_COINBASE ? "coinbase (new coins)" : "origin not in the store";
        end_status(st, an[i].reason);
        btc_label(an[i].amount, d, w, l);
        cli_graph_node(&g, &x);
    }
    /* flows between transactions, then into the addresses */
    for (size_t i = 0; i < r->n_edges; i++) {
        const sl_trace_edge *x = &r->edges[i];
        cli_graph_edge_info ed = {a, b, d, l, w, "pass-through", tx_time(s, x->out_tx), b, 0};
        tx_hex(s, x->from_tx != UINT64_MAX ? x->from_tx : x->out_tx, a);
        tx_hex(s, x->to_tx, b);
        btc_label(x->amount, d, w, l);
        ed.vout = (int64_t)(x->out - sl_btc_tx_first_out(s, x->out_tx));
        {
            char otx[65];
            tx_hex(s, x->out_tx, otx);
            ed.tx = otx;
            cli_graph_edge(&g, &ed);
        }
    }
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *x = &r->ends[i];
        cli_graph_edge_info ed = {a, id, d, l, w, st, x->time, a, -1};
        tx_hex(s, x->pool, a);
        node_id(s, end_key(x), id);
        end_status(st, x->reason);
        btc_label(x->amount, d, w, l);
        if (!end_is_input(x)) ed.vout = (int64_t)(x->out - sl_btc_tx_first_out(s, x->pool));
        if (backward) ed.from = id, ed.to = a, ed.status = "pass-through"; /* value flows from an origin into its tx */
        cli_graph_edge(&g, &ed);
    }
    sl_free(ids);
    sl_free(an);
    return cli_graph_close(&g, e);
}

/* A --stop-at list: categories of lower-case letters, digits, '_' and '-' (as tag packs
 * name them), separated by single commas. A space or an empty item is a typo to report,
 * not a category that silently matches nothing. */
static bool stop_at_ok(const char *s)
{
    size_t run = 0;
    for (; *s; s++) {
        if (*s == ',') { if (!run) return false; run = 0; continue; }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) return false;
        run++;
    }
    return run > 0;
}

/* One output a trace started from: its global number and its tx. */
typedef struct srcout { uint64_t out, tx; } srcout;

static int cmp_srcout(const void *a, const void *b)
{
    const srcout *x = a, *y = b;
    return (x->out > y->out) - (x->out < y->out);
}

/* Says what the trace started from: one output, all the outputs of a transaction (the
 * sender's change included, which a user giving --tx TXID may not expect) or what an
 * address received. In j: "source_kind", "source_description" and every output in
 * "source_outputs"; as text (j NULL): the sentence and the first `show` outputs. */
static void source_report(const sl_store *s, const sl_trace_result *r, const sl_trace_source *src,
                          const sl_trace_params *p, const char *arg, cJSON *j, uint64_t show)
{
    srcout *v = sl_malloc((r->n_sources + 1) * sizeof *v);
    char desc[400], c1[32], tx[65], ad[100];
    const char *kind, *many = r->n_sources == 1 ? "" : "s";
    if (!v) return;
    for (size_t i = 0; i < r->n_sources; i++) v[i] = (srcout){r->sources[i], r->source_txs[i]};
    qsort(v, r->n_sources, sizeof *v, cmp_srcout);
    cli_coins(c1, r->source_amount);
    tx_hex(s, r->n_sources ? v[0].tx : 0, tx);
    if (src->by_address) {
        char since[32] = "";
        if (p->since) cli_time(since, p->since);
        kind = "address";
        snprintf(desc, sizeof desc, "%zu output%s received by %s%s%s, %s" SL_TEXT_NBSP "BTC", r->n_sources, many, arg,
                 p->since ? " since " : "", since, c1);
    } else if (src->vout >= 0) {
        kind = "output";
        snprintf(desc, sizeof desc, "output %lld of %s, %s" SL_TEXT_NBSP "BTC", (long long)src->vout, tx, c1);
    } else {
        kind = "all_outputs";
        snprintf(desc, sizeof desc, "all %zu output%s of %s, %s" SL_TEXT_NBSP "BTC", r->n_sources, many, tx, c1);
    }
    if (j) {
        cJSON *arr;
        cJSON_AddStringToObject(j, "source_kind", kind);
        cJSON_AddStringToObject(j, "source_description", desc);
        arr = cJSON_AddArrayToObject(j, "source_outputs");
        for (size_t i = 0; i < r->n_sources; i++) {
            sl_btc_outrec ov, *o = &ov;
            sl_btc_out_get(s, v[i].out, o);
            cJSON *x = cJSON_CreateObject();
            tx_hex(s, v[i].tx, tx);
            addr_str(s, o->addr, ad);
            cJSON_AddStringToObject(x, "txid", tx);
            jnum(x, "vout", v[i].out - sl_btc_tx_first_out(s, v[i].tx));
            jnum(x, "amount", o->value);
            jstr_or_null(x, "address", o->addr ? ad : NULL);
            cJSON_AddItemToArray(arr, x);
        }
    } else {
        cli_wrapf(4, "  source: %s%s", desc,
                  src->by_address || src->vout >= 0 ? ""
                      : " - --tx TXID takes every output, the sender's change included; TXID:N takes one");
        for (size_t i = 0; i < r->n_sources && i < show; i++) {
            sl_btc_outrec ov, *o = &ov;
            sl_btc_out_get(s, v[i].out, o);
            uint64_t vout = v[i].out - sl_btc_tx_first_out(s, v[i].tx);
            addr_str(s, o->addr, ad);
            cli_coins(c1, o->value);
            if (src->by_address) tx_hex(s, v[i].tx, tx), cli_wrapf(8, "      %s:%" PRIu64 "  %s BTC", tx, vout, c1);
            else cli_wrapf(8, "      #%-4" PRIu64 " %16s BTC  %s", vout, c1, ad);
        }
        if (r->n_sources > show) printf("      ... %zu more (--top, --json)\n", r->n_sources - (size_t)show);
    }
    sl_free(v);
}

static void report_json(const sl_store *s, const sl_trace_result *r, const sl_trace_source *src,
                        const sl_trace_params *p, const char *arg, const char *tags, uint64_t top)
{
    cJSON *j = cJSON_CreateObject(), *arr, *paths;
    cJSON_AddStringToObject(j, "source", arg);
    source_report(s, r, src, p, arg, j, 0);
    cJSON_AddStringToObject(j, "direction", p->backward ? "backward" : "forward");
    cJSON_AddStringToObject(j, "asset", "BTC");
    cli_trace_params_json(j, p, tags);
    {
        const unsigned __int128 tot[6] = {r->source_amount, r->absorbed, r->endpoints, r->held, r->fees, r->dropped};
        cli_trace_totals_json(j, tot, false, r->pools_visited, r->truncated, r->truncated_why);
    }
    arr = cJSON_AddArrayToObject(j, "endpoints");
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *x = &r->ends[i];
        cJSON *o = cJSON_CreateObject();
        char ad[100], tx[65];
        addr_str(s, x->addr, ad);
        jstr_or_null(o, "address", x->addr ? ad : NULL);
        jstr_or_null(o, "cluster", NULL);
        cJSON_AddArrayToObject(o, "tags");
        jnum(o, "amount", x->amount);
        cJSON_AddStringToObject(o, "status", sl_end_reason_name((sl_end_reason)x->reason));
        tx_hex(s, x->pool, tx);
        cJSON_AddStringToObject(o, "txid", tx);
        if (end_is_input(x)) jnum(o, "vin", x->out - sl_btc_tx_first_in(s, x->pool));
        else jnum(o, "vout", x->out - sl_btc_tx_first_out(s, x->pool));
        jnum(o, "first_arrival", x->time);
        jnum(o, "hops", x->hops);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(j, "flows");
    for (size_t i = 0; i < r->n_edges; i++) {
        const sl_trace_edge *x = &r->edges[i];
        cJSON *o = cJSON_CreateObject();
        char tx[65];
        tx_hex(s, x->out_tx, tx);
        cJSON_AddStringToObject(o, "txid", tx);
        jnum(o, "vout", x->out - sl_btc_tx_first_out(s, x->out_tx));
        if (x->from_tx == UINT64_MAX) cJSON_AddNullToObject(o, "from_txid");
        else tx_hex(s, x->from_tx, tx), cJSON_AddStringToObject(o, "from_txid", tx);
        tx_hex(s, x->to_tx, tx);
        cJSON_AddStringToObject(o, "to_txid", tx);
        jnum(o, "amount", x->amount);
        cJSON_AddItemToArray(arr, o);
    }
    cli_trace_hops_json(j, r->hops, r->n_hops, false);
    paths = cJSON_AddArrayToObject(j, "top_paths");
    for (size_t i = 0; i < r->n_ends && i < top; i++) {
        uint64_t txs[64];
        size_t n = sl_trace_path(r, r->ends[i].pool, txs, 64);
        cJSON *o = cJSON_CreateObject(), *steps;
        jnum(o, "amount", r->ends[i].amount);
        steps = cJSON_AddArrayToObject(o, "txs");
        for (size_t k = n; k-- > 0;) {
            cJSON *st = cJSON_CreateObject();
            char tx[65];
            tx_hex(s, txs[k], tx);
            cJSON_AddStringToObject(st, "txid", tx);
            jnum(st, "time", tx_time(s, txs[k]));
            cJSON_AddItemToArray(steps, st);
        }
        cJSON_AddItemToArray(paths, o);
    }
    cli_print_json(j);
}

static void report_text(const sl_store *s, const sl_trace_result *r, const sl_trace_source *src,
                        const sl_trace_params *p, const char *arg, const char *tags, uint64_t top, const char *graph)
{
    uint64_t rhs = r->endpoints + r->held + r->fees + r->dropped, lhs = r->source_amount + r->absorbed;
    char c1[32], c2[32], c3[32], c4[32], c5[32], c6[32], hops[24] = "unlimited", until[40] = "-";
    size_t na = 0;
    agg *ag = aggregate(r, &na);
    cli_wrapf(4, "trace %s from %s", p->backward ? "backward" : "forward", arg);
    source_report(s, r, src, p, arg, NULL, top * 2);
    if (p->max_hops) snprintf(hops, sizeof hops, "%u", p->max_hops);
    if (p->until) cli_time(until, p->until);
    cli_wrapf(4, "  policy %s, max hops %s, min amount %" PRIu64 " sat, until %s, max nodes %" PRIu64,
              sl_policy_name(p->policy), hops, p->min_amount, until, p->max_nodes ? p->max_nodes : 1000000);
    cli_wrapf(4, "  stop at: %s (%s)", p->stop_at ? p->stop_at : "-", tags);
    cli_coins(c1, r->source_amount), cli_coins(c2, r->endpoints), cli_coins(c3, r->held), cli_coins(c4, r->fees);
    cli_coins(c5, r->dropped), cli_coins(c6, r->absorbed);
    cli_wrapf(4, "  conservation: source %s%s%s%s = %s %s + held %s + fees %s + dropped %s" SL_TEXT_NBSP "BTC %s", c1,
              p->policy == SL_POLICY_POISON ? " + absorbed " : "", p->policy == SL_POLICY_POISON ? c6 : "",
              p->policy == SL_POLICY_POISON ? " (poison marks whole outputs)" : "", p->backward ? "sources" : "endpoints",
              c2, c3, c4, c5, lhs == rhs ? "(balanced to the satoshi)" : "(NOT BALANCED: a bug, please report)");
    cli_wrapf(4, "  pools visited %" PRIu64 "%s%s", r->pools_visited, r->truncated ? "  TRUNCATED: " : "",
              r->truncated ? r->truncated_why : "");
    printf("\n%s by address (amounts in BTC, times UTC)\n", p->backward ? "sources" : "endpoints and holdings");
    printf("  %12s  %-14s %4s  %-19s  %s\n", "amount", "status", "hops", "first arrival", "address");
    for (size_t i = 0; i < na && i < top * 2; i++) {
        char ad[100], tm[32], n[40] = "";
        addr_str(s, ag[i].addr, ad);
        cli_coins(c1, ag[i].amount);
        cli_time(tm, ag[i].time);
        tm[19] = 0;
        if (ag[i].n > 1) snprintf(n, sizeof n, "  (%" PRIu64 " outputs)", ag[i].n);
        cli_wrapf(8, "  %12s  %-14s %4u  %-19s  %s%s", c1, sl_end_reason_name((sl_end_reason)ag[i].reason), ag[i].hops,
                  tm, ad, n);
    }
    if (na > top * 2) printf("  ... %zu more (--top, --json)\n", na - top * 2);
    printf("\nper hop\n  hop  pools  tainted outputs  addresses  amount entering (BTC)\n");
    for (size_t h = 0; h < r->n_hops; h++) {
        cli_coins(c1, r->hops[h].amount);
        printf("  %3zu  %5" PRIu64 "  %15" PRIu64 "  %9" PRIu64 "  %s\n", h, r->hops[h].pools, r->hops[h].outputs,
               r->hops[h].addresses, c1);
    }
    printf("\ntop paths (each transaction with its block time, UTC)\n");
    for (size_t i = 0; i < r->n_ends && i < top; i++) {
        uint64_t txs[64];
        size_t n = sl_trace_path(r, r->ends[i].pool, txs, 64);
        char ad[100];
        addr_str(s, r->ends[i].addr, ad);
        cli_coins(c1, r->ends[i].amount);
        cli_wrapf(7, "  #%zu %s" SL_TEXT_NBSP "BTC -> %s (%s)", i + 1, c1, ad, sl_end_reason_name((sl_end_reason)r->ends[i].reason));
        for (size_t k = n; k-- > 0;) {
            char tx[65], tm[32];
            tx_hex(s, txs[k], tx);
            cli_time(tm, tx_time(s, txs[k]));
            tm[19] = 0;
            printf("       %s  %s\n", tm, tx);
        }
    }
    if (graph) cli_wrapf(4, "\ngraph written to %s", graph);
    sl_free(ag);
}

int cmd_trace(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'},   {"tx", 1, 0, 't'},        {"address", 1, 0, 'a'},  {"asset", 1, 0, 'A'},
        {"since", 1, 0, 'S'},   {"policy", 1, 0, 'p'},    {"direction", 1, 0, 'd'}, {"max-hops", 1, 0, 'H'},
        {"min-amount", 1, 0, 'm'}, {"until", 1, 0, 'u'}, {"stop-at", 1, 0, 'x'},  {"max-nodes", 1, 0, 'n'},
        {"json", 0, 0, 'j'},    {"graph", 1, 0, 'g'},     {"top", 1, 0, 'T'},      {"help", 0, 0, 'h'},
        {"quiet", 0, 0, 'q'},   {"chain", 1, 0, 'C'},     {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_trace_params p = {0};
    sl_trace_source src = {0};
    sl_trace_result r;
    sl_error e = {0};
    sl_store *s = NULL;
    const char *txarg = NULL, *addrarg = NULL, *graph = NULL, *asset = NULL, *chain = NULL;
    uint64_t top = 10, v;
    int ch, rc;
    p.policy = SL_POLICY_HAIRCUT;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 't': txarg = optarg; break;
        case 'a': addrarg = optarg; break;
        case 'A': asset = optarg; break;
        case 'S': if (!parse_time(optarg, &p.since)) return cli_usage("--since: not a time: %s", optarg); break;
        case 'u': if (!parse_time(optarg, &p.until)) return cli_usage("--until: not a time: %s", optarg); break;
        case 'p': if (sl_policy_parse(optarg, &p.policy)) return cli_usage("unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", optarg); break;
        case 'd':
            if (!strcmp(optarg, "backward")) p.backward = true;
            else if (strcmp(optarg, "forward")) return cli_usage("--direction is forward or backward");
            break;
        case 'H': if (!cli_parse_u64(optarg, &v) || v > UINT32_MAX) return cli_usage("--max-hops takes a whole number"); p.max_hops = (uint32_t)v; break;
        case 'm': if (!cli_parse_u64(optarg, &p.min_amount)) return cli_usage("--min-amount takes an amount in base units (satoshi)"); break;
        case 'n': if (!cli_parse_u64(optarg, &p.max_nodes) || !p.max_nodes) return cli_usage("--max-nodes takes a positive number"); break;
        case 'x':
            if (!stop_at_ok(optarg))
                return cli_usage("--stop-at takes tag categories separated by commas (exchange,mixer,...): '%s'", optarg);
            p.stop_at = optarg;
            break;
        case 'j': c.json = true; break;
        case 'g': graph = optarg; break;
        case 'T': if (!cli_parse_u64(optarg, &top)) return cli_usage("--top takes a number"); break;
        case 'q': c.quiet = true; break;
        case 'C': chain = optarg; break;
        case 'h': fputs(HELP, stdout), fputs(CLI_TRACE_HELP, stdout); return EXIT_OK;
        default: fputs(HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) { fputs(HELP, stderr); return cli_usage("unexpected argument '%s'", argv[optind]); }
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (!!txarg == !!addrarg) return cli_usage("give exactly one source: --tx TXID[:VOUT] or --address ADDR");
    if (p.since && !addrarg) return cli_usage("--since selects what an --address received; with --tx it means nothing");
    if (p.until && p.backward) return cli_usage("--until limits a forward trace; a backward trace goes back to the sources");
    if ((txarg && (!strncmp(txarg, "0x", 2) || !strncmp(txarg, "0X", 2))) || (addrarg && cli_is_eth_arg(addrarg))) {
        /* an account chain */
        if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
        rc = cmd_trace_acct(&c, s, chain, txarg, addrarg, asset, &p, top, graph);
        sl_store_close(s);
        return rc;
    }
    if (chain && strcmp(chain, "bitcoin")) return cli_usage("--chain %s: a Bitcoin source (txid or address) was given", chain);
    if (asset && strcasecmp(asset, "BTC")) return cli_usage("--asset %s: a Bitcoin store holds one asset, BTC", asset);
    if (graph) {
        const char *x = strrchr(graph, '.');
        if (!x || (strcmp(x, ".json") && strcmp(x, ".gexf") && strcmp(x, ".dot")))
            return cli_usage("--graph FILE must end in .json, .gexf or .dot");
    }
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
    if (txarg) {
        char h[65];
        const char *colon = strchr(txarg, ':');
        size_t hl = colon ? (size_t)(colon - txarg) : strlen(txarg);
        src.vout = -1;
        if (hl != 64) { sl_store_close(s); return cli_usage("--tx: '%s' is not TXID or TXID:VOUT", txarg); }
        memcpy(h, txarg, 64);
        h[64] = 0;
        if (!sl_hash_parse(&src.txid, h) || (colon && (!cli_parse_u64(colon + 1, &v) || v > UINT32_MAX))) {
            sl_store_close(s);
            return cli_usage("--tx: '%s' is not TXID or TXID:VOUT", txarg);
        }
        if (colon) src.vout = (int64_t)v;
    } else {
        src.by_address = true;
        if (!sl_btc_addr_decode(&src.addr, sl_store_btc_net(s), addrarg)) {
            sl_store_close(s);
            return cli_usage("--address: '%s' is not a %s address", addrarg, sl_store_btc_net(s)->name);
        }
    }
    p.no_edges = !c.json && !graph; /* text output does not list flows */
    if ((rc = sl_trace_run(s, &src, &p, &r, &e))) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    if (graph && (rc = write_graph(s, &r, p.backward, graph, &e))) {
        sl_trace_free(&r);
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    {
        const char *tags = p.stop_at ? "requested; no tag store is loaded, so nothing is tagged yet" : "none";
        const char *arg = txarg ? txarg : addrarg;
        if (c.json) report_json(s, &r, &src, &p, arg, tags, top);
        else report_text(s, &r, &src, &p, arg, tags, top, graph);
    }
    sl_trace_free(&r);
    sl_store_close(s);
    return EXIT_OK;
}
