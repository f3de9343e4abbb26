/* report_int.h — private to src/report/: the one signature every chain's look-up report
 * has (lookup.c picks the chain model, runs it and checks memory and writes), and where it
 * writes: text to a FILE, or a JSON document it hands over. */
#ifndef SLEUTH_REPORT_INT_H
#define SLEUTH_REPORT_INT_H

#include "sleuth/report.h"

/* Exactly one of text (write the lines there) and json (set *json to the document, which
 * the caller then owns) is used: text when it is not NULL. */
typedef struct sl_report_sink {
    FILE *text;
    cJSON **json;
} sl_report_sink;

/* A report on one chain model: resolves rq->arg (SL_EUSAGE, SL_ENOTFOUND with a message)
 * and then writes to k. Writes and allocations are checked by the caller (lookup.c). */
typedef int (*sl_report_fn)(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);

/* btc_lookup.c */
int sl_report_btc_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_btc_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_btc_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
/* eth_lookup.c */
int sl_report_eth_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_eth_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_eth_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
/* annot_view.c: transaction tx of chain's memos and known events (annot.h), as the JSON
 * members "memos" and "events" added to j (null when the store keeps no annotations), or
 * as text lines (nothing when it has none). Errors: the annotation db's (SL_ESTORE...). */
int sl_report_annot_json(sl_store *s, uint16_t chain, uint64_t tx, cJSON *j, sl_error *e);
int sl_report_annot_text(FILE *out, sl_store *s, uint16_t chain, uint64_t tx, sl_error *e);
/* info.c */
int sl_report_info(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);

#endif

/* ---------------- trace reports (trace_*.c, jw.c, graph.c) ---------------- */

#include "sleuth/flow.h"
#include "sleuth/trace.h"

/* A streaming JSON writer (jw.c): members and elements go straight to a FILE, so a
 * document of millions of flows costs no memory. Compact output, strings escaped, amounts
 * exact (JSON integers below 2^53, decimal strings above, as every report has them).
 * Nesting up to 32 levels. Writes are checked once, with ferror, by the caller. */
typedef struct sl_jw {
    FILE *f;
    int depth;
    bool first[32];
    char close[32];
    size_t n;
    char buf[1 << 14];
} sl_jw;
void sl_jw_init(sl_jw *w, FILE *f);
/* Writes what the buffer holds to the FILE (call it once the document is complete). */
void sl_jw_flush(sl_jw *w);
/* key: the member's name inside an object; NULL for an element of an array or the top. */
void sl_jw_obj(sl_jw *w, const char *key);
void sl_jw_arr(sl_jw *w, const char *key);
void sl_jw_end(sl_jw *w);                                     /* closes the innermost object or array */
void sl_jw_str(sl_jw *w, const char *key, const char *s);     /* NULL s: null */
/* A string known to need no escaping (a hash, an address as a view writes it); NULL: null. */
void sl_jw_id(sl_jw *w, const char *key, const char *s);
void sl_jw_u64(sl_jw *w, const char *key, uint64_t v);
void sl_jw_u64_or_null(sl_jw *w, const char *key, uint64_t v, bool known);
void sl_jw_u128(sl_jw *w, const char *key, sl_u128 v);
void sl_jw_bool(sl_jw *w, const char *key, bool v);
void sl_jw_null(sl_jw *w, const char *key);
/* A value that is already JSON text (a whole, valid document: the tag hook's array). */
void sl_jw_raw(sl_jw *w, const char *key, const char *json);

/* The one graph writer (graph.c): JSON, GEXF 1.3 or DOT, the same nodes and edges in
 * each, nodes first. Amounts come as base-unit digits (exact, any size) and as a label in
 * the coin's unit. The schema is the same for every chain (docs/JSON.md). */
typedef struct sl_graph {
    FILE *f;
    int kind;              /* SL_GRAPH_* */
    bool in_edges;
    uint64_t n_nodes, n_edges;
} sl_graph;
typedef struct sl_graph_node {
    const char *id, *type, *label; /* type: "tx", "address", "origin" or "account" */
    const char *chain;             /* as `ingest` names it */
    const char *status;            /* "source", "pass-through", "held", "endpoint:max-hops", ... */
    uint64_t time;                 /* first arrival (unix seconds), 0 unknown */
    const char *amount, *amount_label; /* what ended there (NULL: nothing) */
} sl_graph_node;
typedef struct sl_graph_edge {
    const char *from, *to;
    const char *chain, *asset;
    const char *amount, *amount_label, *weight; /* base-unit digits; "1.5 BTC"; "1.5" */
    const char *status;            /* the status of the target node */
    uint64_t time;                 /* of the transaction that moved it, 0 unknown */
    const char *tx;                /* that transaction (NULL: none) */
    int64_t vout, flow;            /* the payment: UTXO output, account flow number; -1 none */
    const char *link;              /* a declared link: the analyst's note (NULL: chain data) */
} sl_graph_edge;
void sl_graph_open(sl_graph *g, FILE *f, int kind);
void sl_graph_node_put(sl_graph *g, const sl_graph_node *n);
void sl_graph_edge_put(sl_graph *g, const sl_graph_edge *x);
void sl_graph_close(sl_graph *g);

/* Names the trace reports share (trace_names.c). The names of addresses and txs are kept
 * in a cache of the report (sl_rt_cache_new; NULL: no cache, every name made again): a
 * trace's JSON names most addresses and txs three times. */
struct sl_rt_cache *sl_rt_cache_new(void);
const sl_flow_view *sl_rt_view(const sl_trace_report *rep, uint16_t chain);
/* An address as its chain writes it; "(no address)" for 0. */
void sl_rt_addr(const sl_trace_report *rep, uint16_t chain, uint32_t addr, char out[SL_FLOW_NAME_MAX]);
/* What the namer hook calls it: true with the name in out. */
bool sl_rt_name(const sl_trace_report *rep, uint16_t chain, uint32_t addr, char *out, size_t cap);
/* A tx as its chain writes it; "" for SL_FLOW_NONE. */
void sl_rt_tx(const sl_trace_report *rep, uint16_t chain, uint64_t tx, char out[SL_FLOW_NAME_MAX]);
/* An amount of (chain, asset) in its unit, with or without the symbol. */
void sl_rt_amount(const sl_trace_report *rep, uint16_t chain, uint32_t asset, sl_u128 v, bool symbol, char out[140]);
/* The asset's symbol and decimals. */
void sl_rt_asset(const sl_trace_report *rep, uint16_t chain, uint32_t asset, sl_flow_asset *a);
/* "source_kind" and the sentence saying what the trace took ("all 2 outputs of ..."),
 * amounts joined to their unit by a no-break space (nbsp false: a space). */
void sl_rt_source(const sl_trace_report *rep, bool nbsp, char kind[16], char desc[600]);
/* What the report says of --stop-at. */
const char *sl_rt_stop_status(const sl_trace_report *rep);
/* The chain's name as `ingest` names it. */
const char *sl_rt_chain(const sl_trace_report *rep, uint16_t chain);
/* The address a UTXO tx paid from (its largest input's; 0: none, a coinbase), for flows
 * whose paying tx the taint did not come through (a source). 0 on account chains. */
uint32_t sl_rt_payer(const sl_trace_report *rep, uint16_t chain, uint64_t tx);
/* The declared link of a crossing. */
const sl_trace_link *sl_rt_link(const sl_trace_report *rep, const sl_trace_crossing *x);
/* The crossing found in chain data that link index `link` is, NULL for a declared link. */
const sl_xchain *sl_rt_xc(const sl_trace_report *rep, size_t link);
/* The link without an arriving payment through which end x left ("crossed"), NULL none. */
const sl_trace_link *sl_rt_crossed(const sl_trace_report *rep, const sl_trace_end *x);
/* "crossed to CHAIN, outbound not in the store" for a crossed end, into out. */
void sl_rt_crossed_text(const sl_trace_report *rep, const sl_trace_end *x, char *out, size_t cap);
