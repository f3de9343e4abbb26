/* trace.h — the tracing engine: follows value forward ("where did it go") or backward
 * ("where did it come from") through the pools and flows of the flow view (flow.h), on
 * every chain and across chains, under the taint policies of the literature, with exact
 * integer conservation. One engine (src/trace/engine.c) drives the split rules of each
 * pool kind (src/trace/utxo.c, src/trace/acct.c) and gives one result type in which every
 * pool, flow and address carries its chain.
 *
 * Pools are split in each chain's own order (UTXO: tx-id order forward, reverse backward:
 * a spend always comes after what it spends, so every transaction is split once, when all
 * its tainted inputs are known; accounts: one sweep over the tainted accounts' flows in
 * chain order forward; backward, flows in descending order, each composed by replaying
 * its sender's history).
 *
 * Policies (forward; backward applies the same rule from outputs to inputs):
 *   poison   any tainted input marks every output fully (an account, once tainted, marks
 *            every later outflow); the clean value pulled in is reported as "absorbed".
 *   haircut  the tainted amount T of a UTXO pool is split over its outputs (then the fee)
 *            in proportion to value, by cumulative floors: share_k = floor(T*C_k/V) -
 *            floor(T*C_{k-1}/V), C_k the running value, so the shares sum to T exactly
 *            and no share exceeds its output; an account's outflow of a carries
 *            floor(a * tainted / balance). Rounding never creates taint.
 *   fifo     inputs, in order, pay outputs in order (then the fee): taint is a set of
 *            intervals of value carried exactly from pool to pool; an account's balance
 *            is a queue of lots by arrival and an outflow takes the oldest.
 *   lifo     as fifo with the inputs taken last first (accounts: the newest lot first).
 *   tiho     tainted value goes to the highest-value outputs first (ties: lower index),
 *            the fee last; an account's outflow carries min(amount, tainted balance).
 * Conservation, per asset (every trace): source + absorbed (poison) + linked_in =
 * endpoints + held + fees + dropped + linked_out, to the base unit. linked_in/out are
 * the amounts that crossed a declared link (below) into or out of the asset.
 *
 * Cross-chain links: an analyst declares that a payment left one chain and arrived as a
 * payment on another (a THORChain swap, a bridge; sl_trace_links). Forward, the taint of
 * the departing payment goes across, converted at to_amount / from_amount (floor),
 * instead of into whatever spends it; backward, the demand on the arriving payment goes
 * back the same way. A crossing is no hop. The engine runs the trace again with the
 * crossings of the previous pass fed in until the crossings no longer change (at most
 * links + 2 passes; a loop of links that never settles is SL_ELIMIT).
 * A link whose to_flow is SL_FLOW_NONE left its chain for a payment the store does not
 * hold (a THORChain inbound whose outbound is on a chain not ingested): forward, the
 * taint that reaches it ends there with the reason "crossed" (an endpoint: conservation
 * still balances); backward it is never reached. Several links may leave at one payment
 * (a streaming swap paid by several outbounds): the taint leaving there is split over
 * them in proportion to their amounts on the leaving side (from_amount forward,
 * to_amount backward) by cumulative floors, so the parts add up to it exactly.
 *
 * Hooks: params->endpoints answers "is this address an endpoint?" (--stop-at: a tagged
 * service ends the trace, status "tagged"); the default (all NULL) says no.
 *
 * Memory is proportional to what the trace touches: one record per pool, one interval
 * piece per tainted fifo/lifo payment, one edge per tainted flow (none with no_edges).
 * Threads: a trace reads through the flow set's views and follows their rule (one thread
 * per store handle); the result is plain memory any thread may read.
 */
#ifndef SLEUTH_TRACE_H
#define SLEUTH_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/flow.h"

typedef enum { SL_POLICY_POISON, SL_POLICY_HAIRCUT, SL_POLICY_FIFO, SL_POLICY_LIFO, SL_POLICY_TIHO } sl_policy;
/* Splits a --tx argument "TXID" or "TXID:N": the id into id (cap bytes with its NUL), N into
 * *index (-1 when there is no ':'). SL_OK, or SL_EUSAGE naming the argument (an id too long,
 * N not a decimal number up to 2^32 - 1). Pure function: any thread. */
int sl_trace_split_txspec(const char *arg, char *id, size_t cap, int64_t *index, sl_error *e) SL_MUST_USE;
/* "poison", "haircut", ...; "?" for a value outside the enum. */
const char *sl_policy_name(sl_policy p);
/* The policy named s: SL_OK with *p, or SL_EUSAGE. */
int sl_policy_parse(const char *s, sl_policy *p);

/* Pools a trace may visit when params->max_nodes is 0. */
#define SL_TRACE_MAX_NODES_DEFAULT 1000000u

/* The hook "is this address an endpoint?" (tagged services, --stop-at). is_endpoint is
 * called with every address taint reaches (forward: the receiving address; backward: the
 * sending one) and returns true when the trace must stop there (status "tagged"). It must
 * not call the engine. NULL is_endpoint: nothing is an endpoint. `status` is what the
 * reports say of the request (e.g. "requested; no tag store is loaded, so nothing is
 * tagged yet"); NULL lets them say so. */
typedef struct sl_trace_endpoints {
    bool (*is_endpoint)(void *ctx, sl_addr_ref a);
    void *ctx;
    const char *status;
} sl_trace_endpoints;

/* One declared crossing: the payment `from` (on its chain: UTXO the output, accounts the
 * flow) left its chain and arrived as the payment `to`. Amounts in base units on each
 * side; line is the CSV line it came from (0 when built in code), note the analyst's. */
typedef struct sl_trace_link {
    uint16_t from_chain, to_chain;
    uint64_t from_flow, to_flow;          /* flow ids (flow.h) */
    sl_u128 from_amount, to_amount;       /* from_amount > 0 */
    uint32_t line;
    char note[200];
    /* added (issue 12): where a link comes from and where an unmatched one goes */
    uint8_t origin;                       /* SL_LINK_DECLARED (0, a --link file), SL_LINK_CHAIN_DATA
                                           * (found in the chains' own data: xchain.h) or SL_LINK_RULE
                                           * (paired by a bridge rule: note names it) */
    char to_chain_name[16];               /* to_flow SL_FLOW_NONE: the chain it crossed to ("" unknown) */
} sl_trace_link;
enum { SL_LINK_DECLARED = 0, SL_LINK_CHAIN_DATA = 1, SL_LINK_RULE = 2 };
typedef struct sl_trace_links {
    sl_trace_link *v;
    size_t n, cap;
    char path[256];                       /* the file they came from ("" when none) */
} sl_trace_links;
/* Reads a CSV of declared pairs with the header
 *   from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note
 * (chains named as `ingest` names them; quoted fields as RFC 4180) and resolves every line
 * through fs: the payment in from_txid to from_address, of exactly from_amount (on a UTXO
 * chain the output; on an account chain the flow, native or token), and the one in
 * to_txid to to_address of at most to_amount. Appends to *l. Errors, each naming the
 * file and line: SL_ENOTFOUND for a line that names nothing in the store (a chain, tx,
 * address or payment it does not hold); SL_ECORRUPT for a bad header, field or amount,
 * a from_amount that is not the payment's, a payment that leaves twice, arrivals that add
 * up to more than their payment; SL_EIO when the file cannot be read; SL_ENOMEM. */
int sl_trace_links_load(sl_trace_links *l, const sl_flow_set *fs, const char *path, sl_error *e) SL_MUST_USE;
void sl_trace_links_free(sl_trace_links *l);

struct sl_trace_result;
typedef struct sl_trace_params {
    sl_policy policy;
    bool backward;
    uint32_t max_hops;               /* 0 = unlimited */
    uint64_t min_amount;             /* dust: taint below this on a payment is dropped, not followed */
    uint64_t until;                  /* forward: spends after this time are not followed (0 = none) */
    uint64_t since;                  /* address sources: what arrived from this time (0 = all) */
    uint64_t max_nodes;              /* pools visited at most (0 = SL_TRACE_MAX_NODES_DEFAULT) */
    const char *stop_at;             /* comma list of tag categories (reported; the hook decides) */
    sl_trace_endpoints endpoints;    /* the endpoint hook; all zero: none */
    const sl_trace_links *links;     /* declared crossings; NULL: none */
    bool no_edges;                   /* do not keep the traced subgraph (edges): faster, less memory */
    /* Added (issue 13, the HTTP server's per-request deadline): CLOCK_MONOTONIC time in ns
     * past which the trace stops as if its node budget were spent (truncated, "the deadline
     * was reached"); 0: none. Checked every 64 pools. */
    uint64_t deadline_ns;
    /* Links found as the trace goes (NULL: none; forward traces). Called after every pass
     * with that pass's result r (read only during the call) and more_ctx; it may append
     * links to the list `links` points to (the caller's, so `links` must then be set, also
     * when empty) and sets *added to how many; the engine then indexes them and runs
     * another pass even if the crossings did not change, with a fresh budget of links + 2
     * passes. Links already in the list must not change. The passes keep their edges for the
     * hook even with no_edges (the result then has none). Returns SL_OK or an error code
     * (with its message in the sl_error the callback holds), which ends the trace. */
    int (*more_links)(void *more_ctx, const struct sl_trace_result *r, size_t *added);
    void *more_ctx;
} sl_trace_params;

/* What a trace starts from, on one chain: the payments of a tx (index -1: every one:
 * UTXO all outputs, the sender's change included; accounts what the tx moved in the
 * asset, i.e. its flows of the asset but the fee and burn ones and those that only pass
 * on what an earlier flow of the same tx delivered), one payment (index), or what an
 * address received (from params->since on; accounts: in the asset). */
enum { SL_SOURCE_TX = 1, SL_SOURCE_ADDRESS = 2 };
typedef struct sl_trace_source {
    uint16_t chain;
    int kind;
    uint64_t tx;
    int64_t index;
    uint32_t addr;
    uint32_t asset;
    bool asset_given;                /* false: a tx's first non-fee asset (accounts) */
} sl_trace_source;

/* Why taint is where the trace stopped. */
typedef enum {
    SL_END_HELD,        /* unspent (or not spent before --until): still held */
    SL_END_MAXHOPS,     /* spent, but the hop limit was reached */
    SL_END_TRUNCATED,   /* spent, but --max-nodes was reached */
    SL_END_TAGGED,      /* reached an endpoint address (the endpoint hook, --stop-at) */
    SL_END_UNSPENDABLE, /* an unspendable output: burnt */
    SL_END_COINBASE,    /* backward: newly minted coins */
    SL_END_UNKNOWN,     /* backward: the origin is not in the store */
    SL_END_CROSSED,     /* forward: left its chain through a link whose arriving payment the
                         * store does not hold (flow: the departing payment) */
} sl_end_reason;
const char *sl_end_reason_name(sl_end_reason r);

/* One asset's conservation line. */
typedef struct sl_trace_totals {
    sl_asset_ref asset;
    sl_u128 source, absorbed, linked_in, endpoints, held, fees, dropped, linked_out;
} sl_trace_totals;
/* source + absorbed + linked_in == endpoints + held + fees + dropped + linked_out. */
bool sl_trace_balanced(const sl_trace_totals *t);

/* Where an amount stopped. */
typedef struct sl_trace_end {
    sl_u128 amount;
    uint64_t pool;       /* UTXO: the tx that paid the output (backward coinbase/unknown-origin:
                          * the tx of the input); accounts: the account */
    uint64_t flow;       /* UTXO: the output, or the input for coinbase/unknown-origin
                          * (SL_FLOW_UTXO_IN); accounts: the flow that brought it, SL_FLOW_NONE */
    uint64_t time;       /* arrival (UTXO: the output's time; accounts: the last tainted arrival
                          * for held, else the flow's time) */
    int64_t path;        /* index in r->pools of the last pool on its way, -1 none (sl_trace_path) */
    uint32_t addr;       /* address id on its chain, 0 none */
    uint32_t asset;
    uint32_t hops;
    uint16_t chain;
    uint8_t reason;      /* sl_end_reason */
} sl_trace_end;

enum { SL_TRACE_EDGE_SOURCE = 1 }; /* the payment is a source: from_pool paid it but was not traced */

/* A tainted flow between two pools of one chain (forward; backward, the demanded part,
 * still pointing the way the money went). UTXO: from_pool and to_pool are txs, the flow an
 * output; accounts: they are accounts (pools in the asset). */
typedef struct sl_trace_edge {
    sl_u128 amount;
    uint64_t from_pool, to_pool, flow;
    uint32_t from_addr, to_addr;     /* the addresses at both ends (UTXO from: the address that
                                      * brought the paying tx most of its taint) */
    uint32_t asset;
    uint16_t chain;
    uint8_t flags;                   /* SL_TRACE_EDGE_* */
} sl_trace_edge;

/* Taint that followed a declared link (r->links is the list given in the params). */
typedef struct sl_trace_crossing {
    size_t link;                     /* index in params->links */
    sl_u128 amount_out, amount_in;   /* in the from and the to asset */
    uint64_t from_pool;              /* the pool that paid the departing payment (SL_FLOW_NONE: a source) */
    uint32_t hops;
} sl_trace_crossing;

/* A pool the taint went through (for paths): on its chain, the flow that brought it the
 * most taint and the pool that sent it. */
typedef struct sl_trace_pool {
    uint64_t id;         /* UTXO: the tx; accounts: the account */
    uint64_t via;        /* the flow that brought it the most (SL_FLOW_NONE: a source pool) */
    int64_t parent;      /* index in r->pools of the pool that paid `via`, -1 none */
    uint32_t addr;       /* UTXO: the address of `via`; accounts: the account */
    uint16_t chain;
} sl_trace_pool;

typedef struct sl_trace_hop {
    uint64_t pools, flows, addresses; /* pools split at this hop, tainted flows routed, their distinct addresses */
    sl_u128 amount;                   /* taint entering the hop, in the source asset */
} sl_trace_hop;

typedef struct sl_trace_result {
    uint16_t chain;                  /* the source's chain and asset */
    uint32_t asset;
    sl_trace_totals *totals;         /* one per asset the taint reached; [0]: the source asset */
    size_t n_totals;
    uint64_t pools_visited, flows_routed;
    bool truncated;
    char truncated_why[160];
    unsigned passes;                 /* runs the links needed (1 without links) */
    sl_trace_end *ends;              /* endpoints and held amounts, by amount descending */
    size_t n_ends;
    sl_trace_hop *hops;              /* index = hop */
    size_t n_hops;
    sl_trace_edge *edges;            /* the traced subgraph (none with params->no_edges) */
    size_t n_edges;
    sl_trace_crossing *crossings;
    size_t n_crossings;
    sl_trace_pool *pools;
    size_t n_pools;
    uint64_t *sources;               /* the payments it started from (flow ids), ascending */
    size_t n_sources;
} sl_trace_result;

/* Runs a trace. The source's payments must exist (SL_ENOTFOUND: a tx or address the
 * chain does not hold, or nothing of the asset to trace; SL_EUSAGE: an index out of range,
 * an unknown policy, --until with backward). SL_EUNSUPPORTED: an amount above 2^128 on
 * the way; SL_ELIMIT: links that never settle; SL_ENOMEM. Errors are passed on as the
 * code that happened, with a message in e. *r is filled on success and empty (nothing to
 * free) on failure; free it with sl_trace_free. */
int sl_trace_run(const sl_flow_set *fs, const sl_trace_source *src, const sl_trace_params *p,
                 sl_trace_result *r, sl_error *e) SL_MUST_USE;
/* The share of its asset that the amount `amount` of (chain, asset) is: amount divided by what
 * entered that asset in the trace (source + absorbed + linked in), 0 when nothing did. Ends of
 * several assets (a trace that crossed a swap) are ranked by it: their base units do not
 * compare (a wei is not a satoshi). */
double sl_trace_share(const sl_trace_result *r, uint16_t chain, uint32_t asset, sl_u128 amount);
/* The pools from the source to the end x (source first), at most cap of the last ones,
 * into steps; returns how many. */
size_t sl_trace_path(const sl_trace_result *r, const sl_trace_end *x, const sl_trace_pool **steps, size_t cap);
/* The conservation line of an asset, NULL when the taint never reached it. */
const sl_trace_totals *sl_trace_totals_of(const sl_trace_result *r, uint16_t chain, uint32_t asset);
void sl_trace_free(sl_trace_result *r);

#endif
