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

#endif
