/* knowledge.h — the types the knowledge layer (tags, clusters, incidents, links; DESIGN.md
 * "knowledge") shares between its parts, so a heuristic written in one file feeds a
 * clustering written in another without either knowing the other's internals.
 *
 * Clustering is built from *merge edges*: "addresses a and b have one owner, because of
 * heuristic h applied to transaction tx, with confidence c". Every heuristic (multi-input,
 * the change heuristics, account-chain deposit clustering) only produces edges into a
 * sink; the cluster builder (cluster.h) unions them, keeps them as the evidence that
 * `sleuth cluster why` prints, and applies the supercluster guard. Addresses are the
 * chain-neutral sl_addr_ref of chains.h, transactions sl_tx_ref.
 *
 * Confidence is GraphSense's scale (0..100): 100 ownership/ledger-immanent, 50 "heuristic
 * the field trusts" (multi-input), lower for change heuristics; each rule documents its own
 * in docs/CLUSTERING.md with its source.
 */
#ifndef SLEUTH_KNOWLEDGE_H
#define SLEUTH_KNOWLEDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/chains.h"

/* The heuristics, by stable id (written into the evidence file: never renumber). */
typedef enum sl_heuristic {
    SL_H_NONE = 0,
    SL_H_MULTI_INPUT = 1,       /* common-input ownership (Bitcoin family) */
    SL_H_CHANGE_ADDR_TYPE = 2,  /* change: the only output of the inputs' script type */
    SL_H_CHANGE_ONE_TIME = 3,   /* change: the only fresh output address, never reused */
    SL_H_CHANGE_ROUND = 4,      /* change: the only non-round output amount */
    SL_H_CHANGE_OPTIMAL = 5,    /* change: the only output smaller than every input */
    SL_H_CHANGE_PEEL = 6,       /* change: the continuing output of a peel chain */
    SL_H_DEPOSIT = 7,           /* accounts: a deposit address forwarding to its exchange */
    SL_H_MANUAL = 8,            /* an analyst's assertion */
    SL_H_COUNT
} sl_heuristic;

/* The heuristic's name as options and output spell it ("multi-input", "change:addr-type",
 * "change:one-time", "change:round", "change:optimal", "change:peel", "deposit",
 * "manual"); NULL for an unknown id. sl_heuristic_by_name is its inverse (SL_H_NONE when
 * unknown). Defined in src/knowledge/heuristic.c. */
const char *sl_heuristic_name(sl_heuristic h);
sl_heuristic sl_heuristic_by_name(const char *name);

/* One merge edge (see the file comment). */
typedef struct sl_merge_edge {
    sl_addr_ref a, b;
    sl_tx_ref tx;          /* the transaction that is the evidence */
    uint16_t heuristic;    /* sl_heuristic */
    uint8_t confidence;    /* 0..100 */
} sl_merge_edge;

/* Where a heuristic sends its edges: returns SL_OK to go on, anything else stops the
 * producer, which returns that code. Called on the producer's thread. */
typedef int (*sl_edge_sink)(void *ctx, const sl_merge_edge *e);

/* One Bitcoin-family transaction as the pure detectors see it (coinjoin.c, change.c): what
 * the store knows of it, filled by the cluster builder (or a test, or a benchmark straight
 * from parsed blocks). Arrays belong to the caller and outlive the call. An address id 0
 * means "no address" (OP_RETURN, non-standard). */
typedef struct sl_txv_in {
    sl_addr_ref addr;
    uint64_t value;        /* satoshi */
    uint8_t script_type;   /* sl_script_type (btc.h) of the output it spends */
    bool from_peel;        /* the transaction that made this output had 1 input, 2 outputs */
} sl_txv_in;
typedef struct sl_txv_out {
    sl_addr_ref addr;
    uint64_t value;
    uint8_t script_type;
    bool fresh;            /* this transaction is the address's first appearance */
    bool reused;           /* the address received again in a later transaction (when known) */
    const char *text;      /* the address as the chain writes it, or NULL (not formatted);
                            * coinjoin.c compares it with known coordinator addresses */
    bool to_peel;          /* the transaction that spends this output has 1 input, 2 outputs
                            * (when known: false when unspent or not looked up); read by
                            * change:peel for "the child has the same shape" */
} sl_txv_out;
typedef struct sl_txv {
    sl_tx_ref tx;
    uint32_t version, locktime, height;
    int64_t time;
    const sl_txv_in *in;
    size_t n_in;
    const sl_txv_out *out;
    size_t n_out;
} sl_txv;

/* What a CoinJoin detector concluded (coinjoin.c). */
typedef enum sl_coinjoin_kind {
    SL_CJ_NONE = 0,
    SL_CJ_EQUAL_OUTPUT = 1,   /* the BlockSci/GraphSense generic equal-output rule */
    SL_CJ_WASABI1 = 2,
    SL_CJ_WASABI2 = 3,        /* WabiSabi */
    SL_CJ_WHIRLPOOL_TX0 = 4,
    SL_CJ_WHIRLPOOL_MIX = 5,
    SL_CJ_JOINMARKET = 6,
} sl_coinjoin_kind;

/* Classifies t: SL_CJ_NONE or the most specific protocol that matches. An exchange batch
 * payout (one or few inputs, many distinct output values) must answer SL_CJ_NONE, and so
 * does every t of fewer than 3 outputs (no rule matches one: callers may skip those).
 * Pure, thread-safe. docs/CLUSTERING.md states every rule with its constants and source. */
sl_coinjoin_kind sl_coinjoin_detect(const sl_txv *t);
const char *sl_coinjoin_name(sl_coinjoin_kind k);

/* The change heuristics enabled in `mask` (bit 1u << SL_H_CHANGE_*) applied to t, in the
 * order of the enum: the first that names exactly one output as change wins. Returns the
 * output index and sets *h and *confidence, or -1 when none names one (or t is a CoinJoin,
 * a coinbase, or has fewer than two outputs). Pure, thread-safe. */
int sl_change_find(const sl_txv *t, unsigned mask, sl_heuristic *h, uint8_t *confidence);

#endif
