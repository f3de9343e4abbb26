/* trace_acct.h — the tracing engine on account chains (Ethereum family, Tron): the pool
 * is an account's balance in one asset, a flow moves an amount of that asset from one
 * account to another at a position in chain order. Same policies and the same
 * conservation contract as trace.h, applied to balances over time:
 *   poison   once tainted, every later outflow of the account is wholly tainted; the
 *            clean value so marked is reported as "absorbed".
 *   haircut  an outflow of a carries floor(a * tainted / balance) (exact 256-bit product),
 *            so the account's tainted fraction is preserved; rounding never creates taint.
 *   fifo     the balance is a queue of lots by arrival (a delivery's tainted part first);
 *            an outflow takes the oldest lots. lifo takes the newest.
 *   tiho     taint leaves first: an outflow carries min(amount, tainted balance).
 * An account's balance before the traced range is what its ingested history gives (a
 * negative running balance, from history before the ingested blocks, is taken as 0).
 *
 * Backward ("where did flow F's value come from"), flows are split in descending order:
 * the sender's history before F is replayed to get the composition of F by origin
 * inflow under the policy (fifo/lifo: exact unit intervals, the earliest/latest units of
 * the lots; haircut: proportional shares by cumulative floors; tiho: the largest lots
 * first; poison: every earlier inflow whole, the excess reported as absorbed), and the
 * demand on F goes to those origin flows. Sources: minted value (block rewards,
 * withdrawals: "coinbase"), value from before the ingested history ("unknown-origin"),
 * and the hop/node limits.
 */
#ifndef SLEUTH_TRACE_ACCT_H
#define SLEUTH_TRACE_ACCT_H

#include "sleuth/eth_store.h"
#include "sleuth/trace.h"

typedef unsigned __int128 sl_u128;

typedef struct sl_acct_source {
    bool by_address;
    sl_hash256 tx;        /* by tx: its flows of `asset` (all, or flow number `flow`) */
    int64_t flow;         /* index in the tx's flow list, -1 = all of the asset */
    sl_eth_addr addr;     /* by address: what it received of `asset` since params->since */
    uint32_t asset;
    bool asset_given;     /* false: by tx, the asset of the tx's first non-fee flow */
} sl_acct_source;

typedef struct sl_acct_end {
    uint32_t acct;
    uint8_t reason;       /* sl_end_reason */
    uint32_t hops;
    uint64_t time;        /* last tainted arrival (held) or the flow's time */
    uint64_t flow;        /* the flow that brought it (UINT64_MAX: none) */
    sl_u128 amount;
} sl_acct_end;

typedef struct sl_acct_edge {
    uint32_t from, to;    /* accounts */
    uint64_t flow;
    sl_u128 amount;       /* tainted part of the flow (backward: demanded of it) */
} sl_acct_edge;

typedef struct sl_acct_result {
    sl_u128 source_amount, absorbed, endpoints, held, fees, dropped;
    uint64_t pools_visited, flows_routed;
    uint32_t asset;
    bool truncated;
    char truncated_why[160];
    sl_acct_end *ends;    /* by amount descending */
    size_t n_ends;
    sl_trace_hop *hops;
    size_t n_hops;
    sl_acct_edge *edges;  /* the traced subgraph (unless params->no_edges) */
    size_t n_edges;
    uint64_t *sources;    /* the flows the trace started from, in chain order */
    size_t n_sources;
    void *priv;
} sl_acct_result;

/* Errors: SL_ENOTFOUND (tx/address/asset unknown), SL_EUSAGE (flow out of range, a
 * backward trace, an amount above 2^128), SL_ENOMEM. */
int sl_trace_acct_run(const sl_eth_chain *c, const sl_acct_source *src, const sl_trace_params *p, sl_acct_result *r,
                      sl_error *e) SL_MUST_USE;
/* Path of accounts from the source to acct (strongest delivery first); returns its
 * length; flows[i] is the flow that brought the taint into accts[i]. */
size_t sl_trace_acct_path(const sl_acct_result *r, uint32_t acct, uint32_t *accts, uint64_t *flows, size_t cap);
void sl_trace_acct_free(sl_acct_result *r);
/* Decimal digits of a u128 (out: 40 bytes). */
void sl_u128_dec(char out[40], sl_u128 v);

#endif
