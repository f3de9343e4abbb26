/* trace.h — the tracing engine: follows value forward ("where did it go") or backward
 * ("where did it come from") through the store's pools and flows under the taint policies
 * of the literature, with exact integer conservation.
 *
 * Model (DESIGN.md): a pool holds value and pays it out; on Bitcoin a pool is a
 * transaction (all inputs -> all outputs at once), a flow is an output spent by a later
 * transaction's input. Pools are visited in transaction-id order (forward) or reverse
 * order (backward): a spend always comes after what it spends, so every pool is split
 * once, when all its tainted inputs are known.
 *
 * Policies (forward; backward applies the same rule from outputs to inputs):
 *   poison   any tainted input marks every output fully; the clean value pulled in is
 *            reported as "absorbed", so source + absorbed = the categories below.
 *   haircut  the tainted amount T of a pool is split over its outputs (then the fee) in
 *            proportion to value, by cumulative floors: share_k = floor(T*C_k/V) -
 *            floor(T*C_{k-1}/V) with C_k the running value; the shares sum to T exactly,
 *            no share exceeds its output, and rounding never creates taint.
 *   fifo     inputs, in order, pay outputs in order (then the fee): taint is a set of
 *            intervals of value carried exactly from pool to pool.
 *   lifo     as fifo with the inputs taken last first.
 *   tiho     tainted value goes to the highest-value outputs first (ties: lower index),
 *            the fee last.
 * Conservation (every trace): source (+ absorbed for poison) = endpoints + held + fees +
 * dropped, to the base unit.
 */
#ifndef SLEUTH_TRACE_H
#define SLEUTH_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/store.h"

typedef enum { SL_POLICY_POISON, SL_POLICY_HAIRCUT, SL_POLICY_FIFO, SL_POLICY_LIFO, SL_POLICY_TIHO } sl_policy;
const char *sl_policy_name(sl_policy p);
int sl_policy_parse(const char *s, sl_policy *p);

typedef struct sl_trace_params {
    sl_policy policy;
    bool backward;
    uint32_t max_hops;     /* 0 = unlimited */
    uint64_t min_amount;   /* dust: taint below this on an output is dropped, not followed */
    uint32_t until;        /* forward: spends after this time are not followed (0 = none) */
    uint32_t since;        /* --address sources: outputs received from this time (0 = all) */
    uint64_t max_nodes;    /* pools visited at most (0 = 1,000,000) */
    const char *stop_at;   /* comma list of tag categories (reported; needs a tag store) */
    bool no_edges;         /* do not keep the traced subgraph (r->edges): faster, less memory */
} sl_trace_params;

/* Why a tainted output is where the trace stopped. */
typedef enum {
    SL_END_HELD,       /* unspent (or not spent before --until): still held */
    SL_END_MAXHOPS,    /* spent, but the hop limit was reached */
    SL_END_TRUNCATED,  /* spent, but --max-nodes was reached */
    SL_END_TAGGED,     /* paid to a tagged service (--stop-at) */
    SL_END_UNSPENDABLE,/* op_return or other unspendable output: burnt */
    SL_END_COINBASE,   /* backward: newly minted coins */
    SL_END_UNKNOWN,    /* backward: the spent output is not in the store */
} sl_end_reason;
const char *sl_end_reason_name(sl_end_reason r);

typedef struct sl_trace_end {
    uint64_t out;        /* global output number (backward COINBASE/UNKNOWN: the input number) */
    uint64_t amount;     /* tainted base units */
    uint32_t addr;       /* address id, 0 = none */
    uint32_t hops;
    uint32_t time;       /* block time of the output (arrival) */
    uint8_t reason;      /* sl_end_reason */
    uint64_t pool;       /* tx id the amount arrived in (the output's tx) */
} sl_trace_end;

typedef struct sl_trace_hop {
    uint64_t pools, outputs, amount; /* pools split at this hop, tainted outputs, taint entering */
    uint64_t addresses;              /* distinct addresses of those outputs (accounts: the pools) */
} sl_trace_hop;

typedef struct sl_trace_edge {
    uint64_t from_tx, to_tx; /* from_tx = UINT64_MAX: the trace's source */
    uint64_t out, out_tx;    /* the output carrying the taint, and its tx */
    uint64_t amount;
} sl_trace_edge;

typedef struct sl_trace_result {
    uint64_t source_amount, absorbed, endpoints, held, fees, dropped;
    uint64_t pools_visited;
    bool truncated;
    char truncated_why[160];
    sl_trace_end *ends;      /* endpoints and held outputs, by amount descending */
    size_t n_ends;
    sl_trace_hop *hops;      /* index = hop */
    size_t n_hops;
    sl_trace_edge *edges;    /* the traced subgraph */
    size_t n_edges;
    uint64_t *parent;        /* per visited pool: best parent tx (for paths); see sl_trace_path */
    uint64_t *sources;       /* what the trace started from: global output numbers ... */
    uint64_t *source_txs;    /* ... and the tx of each, in the order taken */
    size_t n_sources;
    void *priv;
} sl_trace_result;

/* Source: one output (vout >= 0), all outputs of a tx (vout < 0), or every output an address
 * received (since params->since). Errors: SL_ENOTFOUND (unknown tx/address), SL_EUSAGE (vout
 * out of range, contradictory options). */
typedef struct sl_trace_source {
    bool by_address;
    sl_hash256 txid;
    int64_t vout;
    sl_btc_addr addr;
} sl_trace_source;

int sl_trace_run(const sl_store *s, const sl_trace_source *src, const sl_trace_params *p, sl_trace_result *r,
                 sl_error *e) SL_MUST_USE;
/* The path of pools (tx ids) from the source to the endpoint's pool, strongest parent
 * first; returns its length (at most cap). */
size_t sl_trace_path(const sl_trace_result *r, uint64_t pool, uint64_t *txs, size_t cap);
void sl_trace_free(sl_trace_result *r);

#endif
