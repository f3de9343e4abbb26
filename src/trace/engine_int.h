/* engine_int.h — private to src/trace/: what the one tracing engine (engine.c) and the
 * split rules of each pool kind (utxo.c, acct.c) say to each other.
 *
 * The engine owns the run: the chains the taint reaches (a slot each, with its view and
 * its rule's state), one heap of pool events for all of them, the node budget, the stop
 * rules that do not depend on the pool kind (dust, the endpoint hook, declared links),
 * the result (ends, edges, crossings, hops, one conservation line per asset) and the
 * passes that links need. A rule owns its pools: what a pool is, when it is split, how
 * taint leaves it; it reads its chain only through the view (flow.h) and reports through
 * the sl_tr_* calls below. Every call returns an sl_ code and passes codes on unchanged;
 * the message goes to t->e where the failure is known (sl_tr_fail).
 */
#ifndef SLEUTH_TRACE_ENGINE_INT_H
#define SLEUTH_TRACE_ENGINE_INT_H

#include "pq.h"
#include "sleuth/trace.h"

#define SL_TR_MAX_CHAINS 16

typedef struct sl_tr sl_tr;
typedef struct sl_tr_chain sl_tr_chain;

/* A pool: its chain id and its id there (what paths point at; a parent may sit on
 * another chain, and chain ids, unlike slots, mean the same in every pass). */
typedef struct sl_tr_ref { uint64_t id; uint16_t chain; } sl_tr_ref;
static inline sl_tr_ref sl_tr_noref(void) { sl_tr_ref r = {SL_FLOW_NONE, 0}; return r; }
static inline bool sl_tr_isref(sl_tr_ref r) { return r.id != SL_FLOW_NONE; }

/* The split rule of one pool kind. */
typedef struct sl_tr_rule {
    /* Makes the rule's state of chain c (c->rs). */
    int (*start)(sl_tr *t, sl_tr_chain *c);
    /* The payments src takes, appended to *out ascending. SL_ENOTFOUND / SL_EUSAGE with a
     * message for what the source cannot take. */
    int (*select)(sl_tr *t, sl_tr_chain *c, const sl_trace_source *src, sl_flow_ids *out);
    /* Feeds the source payment f (its amount fits 128 bits). */
    int (*source)(sl_tr *t, sl_tr_chain *c, const sl_flow *f);
    /* A crossing brings `amount` to payment f at `hop` (forward: taint arriving with it;
     * backward: demand on it); parent is the pool on the other side. */
    int (*arrive)(sl_tr *t, sl_tr_chain *c, const sl_flow *f, sl_u128 amount, uint32_t hop, sl_tr_ref parent);
    /* Node `node` of this chain came off the heap. */
    int (*step)(sl_tr *t, sl_tr_chain *c, size_t node);
    /* The heap is empty: what is still held, per-hop counts, and the pools for paths
     * (sl_tr_pool, in the rule's own order). */
    int (*finish)(sl_tr *t, sl_tr_chain *c);
    /* After finish: the place of pool `id` among the pools this rule gave sl_tr_pool
     * (0 = its first), -1 when it gave none with that id. */
    int64_t (*pool_index)(const sl_tr_chain *c, uint64_t id);
    void (*free)(sl_tr_chain *c);
} sl_tr_rule;

extern const sl_tr_rule SL_TR_UTXO, SL_TR_ACCT;

struct sl_tr_chain {
    const sl_flow_view *v;
    const sl_tr_rule *rule;
    void *rs;               /* the rule's state */
    size_t pool_base;       /* where its pools start in r->pools */
    uint8_t slot;
};

/* The run. Rules read p and the counters; they change the rest through the calls below. */
struct sl_tr {
    const sl_flow_set *fs;
    const sl_trace_params *p;
    sl_trace_result *r;
    sl_error *e;
    sl_tr_chain ch[SL_TR_MAX_CHAINS];
    size_t nch;
    sl_pq heap;
    uint64_t max_nodes, nodes;
    sl_asset_ref src_asset;
    /* private to engine.c */
    size_t cap_ends, cap_edges, cap_totals, cap_pools;
    sl_tr_ref *end_refs;    /* per end: the pool its path ends at */
    size_t cap_end_refs;
    sl_tr_ref *pool_refs;   /* per r->pools entry: its parent, resolved at the end */
    size_t cap_pool_refs;
    struct sl_tr_dep *deps; /* the crossings of this pass */
    size_t n_deps, cap_deps;
    size_t *link_from;      /* link indexes sorted by (chain, flow) of the side they leave at */
};

/* The slot of chain id `chain`, made (and its rule started) when the taint first reaches
 * it: SL_OK with *c, SL_ENOTFOUND (the store holds none of it), SL_ELIMIT, SL_ENOMEM. */
int sl_tr_chain_get(sl_tr *t, uint16_t chain, sl_tr_chain **c);
/* Schedules node `node` of c at `key` in the chain's own order (the engine pops the
 * smallest first; chains never compare their keys with each other within a pass). */
int sl_tr_schedule(sl_tr *t, sl_tr_chain *c, uint64_t key, size_t node);
/* Takes one node of the budget (params->max_nodes): true, or false when it is spent
 * (the run is then marked truncated). */
bool sl_tr_take_node(sl_tr *t);
/* Records a message for code and returns code. */
int sl_tr_fail(sl_tr *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* SL_EUNSUPPORTED for a flow whose amount does not fit 128 bits, naming it. */
int sl_tr_too_big(sl_tr *t, sl_tr_chain *c, const sl_flow *f);

/* The conservation line of (c's chain, asset), made on first use: NULL when out of memory.
 * The pointer is valid until the next call. */
sl_trace_totals *sl_tr_totals(sl_tr *t, sl_tr_chain *c, uint32_t asset);
/* Adds amount to one category of that line (fees, dropped, absorbed, source). */
enum { SL_TR_SOURCE, SL_TR_ABSORBED, SL_TR_FEES, SL_TR_DROPPED };
int sl_tr_count(sl_tr *t, sl_tr_chain *c, uint32_t asset, int what, sl_u128 amount);
/* An end: amount, where and why (x->chain, x->path are set here; ref is the pool its
 * path ends at, sl_tr_noref() for none). Adds it to endpoints or held. */
int sl_tr_end(sl_tr *t, sl_tr_chain *c, sl_trace_end *x, sl_tr_ref ref);
/* An edge of the traced subgraph (nothing when params->no_edges). */
int sl_tr_edge(sl_tr *t, sl_tr_chain *c, sl_trace_edge *x);
/* Per-hop statistics; amount counts only when (c's chain, asset) is the source asset. */
int sl_tr_hop(sl_tr *t, sl_tr_chain *c, uint32_t asset, uint32_t hop, uint64_t pools, uint64_t flows, uint64_t addresses,
              sl_u128 amount);
/* Is address addr of c an endpoint (the hook)? */
bool sl_tr_endpoint(sl_tr *t, sl_tr_chain *c, uint32_t addr);
/* The declared link that leaves at payment `flow` of c (forward: its from side; backward:
 * its to side): its index (the first of them when several leave there: sl_tr_depart splits
 * over all), or -1 (cheap when there are no links). */
int64_t sl_tr_link_at(sl_tr *t, sl_tr_chain *c, uint64_t flow);
/* Taint (forward) or demand (backward) `amount` of asset leaves through link `link` (and
 * every other link leaving at the same payment, split by their amounts) at hop; from is
 * the pool that paid (forward) or asked (backward). Counted as linked_out, but forward
 * through a link without an arriving payment, which ends there ("crossed"). */
int sl_tr_depart(sl_tr *t, sl_tr_chain *c, size_t link, uint32_t asset, sl_u128 amount, uint32_t hop, sl_tr_ref from);
/* floor(a * b / d) through a 256-bit product, exact; UINT128 max when the quotient does
 * not fit (never for b <= d); 0 for d == 0. */
sl_u128 sl_tr_muldiv(sl_u128 a, sl_u128 b, sl_u128 d);
/* A pool for paths (finish): p with its parent's ref, resolved at the end. */
int sl_tr_pool(sl_tr *t, const sl_trace_pool *p, sl_tr_ref parent);

#endif
