/* laundering.h — the laundering analysis of issue 12: from a theft (an incident of the
 * library, an address, a transaction), follow the money over every chain of the store —
 * through matched THORChain swaps and DEX swaps (xchain.h) — and recognise the stages
 * analysts name: dispersal (fan-out in equal slices), peel chains, consolidation, rapid
 * hops, dormancy, mixing (CoinJoin, Tornado Cash with Tutela's linking rules), swaps and
 * bridges, cash-out at exchanges and OTC desks. Every finding carries the rule and the
 * values that triggered it; the result also answers "which addresses does the thief
 * control?" (suspects, every chain, each with its reason and a confidence).
 *
 * How: one forward trace (haircut by default) from the theft's sources with the store's
 * crossings as links gives the laundering graph (edges, pools, ends: trace.h); the
 * detectors read that graph and the flow view around it, never the whole store, so the
 * cost grows with the laundering graph, not with the chain (docs/LAUNDERING.md).
 *
 * Files: src/laundering/detect.c (driver, suspects), detect_*.c (one family of rules each).
 * Threads: the store handle's. Ownership: the result owns everything in it.
 */
#ifndef SLEUTH_LAUNDERING_H
#define SLEUTH_LAUNDERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/annot.h"
#include "sleuth/chains.h"
#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/tags.h"
#include "sleuth/trace.h"
#include "sleuth/xchain.h"

/* Finding kinds (names as --kinds and the JSON spell them: sl_det_kind_name). */
typedef enum sl_det_kind {
    SL_DET_FANOUT = 1,        /* "fan-out": one source into many fresh addresses, equal slices */
    SL_DET_PEEL,              /* "peel-chain" (BlockSci: 1 input, 2 outputs, parent or child alike) */
    SL_DET_CONSOLIDATION,     /* "consolidation": many into one */
    SL_DET_RAPID,             /* "rapid-hops": value passed on within minutes */
    SL_DET_DORMANT,           /* "dormancy": idle >= N days, then moved */
    SL_DET_STILL_DORMANT,     /* "still-dormant": idle >= N days as of the chain's tip */
    SL_DET_COINJOIN,          /* "coinjoin" */
    SL_DET_TORNADO,           /* "tornado": deposits/withdrawals by pool, with Tutela's leads */
    SL_DET_DEX_SWAP,          /* "dex-swap" */
    SL_DET_THOR_SWAP,         /* "thorchain-swap" (matched or not) */
    SL_DET_BRIDGE,            /* "bridge" */
    SL_DET_EXCHANGE,          /* "exchange-deposit": reached an exchange (tags, deposit clusters) */
    SL_DET_OTC,               /* "otc": reached an OTC desk / guarantee market */
    SL_DET_COUNT
} sl_det_kind;
const char *sl_det_kind_name(sl_det_kind k);
/* Parses a comma list of kind names into a bit mask (1u << kind); SL_EUSAGE names a bad one. */
int sl_det_kinds_parse(const char *list, uint32_t *mask, sl_error *e) SL_MUST_USE;

/* Laundering stages (the incident report's timeline). */
typedef enum sl_stage {
    SL_STAGE_THEFT = 0, SL_STAGE_DISPERSAL, SL_STAGE_SWAP, SL_STAGE_MIXING, SL_STAGE_DORMANCY,
    SL_STAGE_CASHOUT, SL_STAGE_COUNT
} sl_stage;
const char *sl_stage_name(sl_stage s); /* "theft", "dispersal", "swap-bridge", "mixing", "dormancy", "cash-out" */

/* An amount of one asset on one chain. */
typedef struct sl_det_amount {
    uint16_t chain;
    uint32_t asset;
    sl_u128 amount;
} sl_det_amount;

typedef struct sl_finding {
    sl_det_kind kind;
    sl_stage stage;
    double confidence;          /* 0..1 */
    char rule[96];              /* the rule's name, e.g. "fan-out: >= 5 fresh outputs, equal within 1%" */
    char evidence[512];         /* the values that triggered it, as "key=value; ..." */
    sl_addr_ref *addrs; size_t n_addrs;
    sl_tx_ref *txs; size_t n_txs;
    sl_det_amount amount;       /* the amount the finding is about (taint moved, held, swapped) */
    uint64_t time_first, time_last;
} sl_finding;

typedef struct sl_suspect {
    sl_addr_ref addr;
    double confidence;          /* 0..1 */
    char reason[160];           /* e.g. "received 12% of the loot through fan-out; no service tag" */
    sl_det_amount received;     /* tainted amount it received (its chain's asset) */
    uint64_t first_seen;
} sl_suspect;

typedef struct sl_detect_params {
    uint32_t kinds;             /* mask of 1u << sl_det_kind; 0 = all */
    sl_policy policy;           /* haircut by default */
    uint32_t max_hops;          /* 0 = engine default of detect (64) */
    uint32_t dormant_days;      /* default 30 */
    uint32_t rapid_minutes;     /* default 60 */
    uint32_t fanout_min;        /* default 5 outputs */
    double suspect_min_share;   /* a suspect received at least this share of the loot (default 0.001) */
    uint64_t tip_time;          /* "as of" for still-dormant (0: the newest block time in the store) */
    const sl_trace_links *extra_links; /* declared links to add to the store's crossings */
    /* Added (detect): the store the flow set reads (clusters of services, the tip time);
     * NULL: no clusters, the tip is the newest time the traces saw. */
    sl_store *store;
    bool no_crossings;          /* do not look for crossings in the store (extra_links only) */
    /* Added (issue 13, the HTTP server's limits): each trace's node budget (0: the engine's
     * default) and the deadline of sl_trace_params (CLOCK_MONOTONIC ns, 0: none). */
    uint64_t max_nodes, deadline_ns;
} sl_detect_params;
void sl_detect_params_default(sl_detect_params *p);

/* What a detect starts from: trace sources (an incident gives its theft transactions, or
 * its exploiter addresses when no tx is tagged). */
typedef struct sl_detect_input {
    sl_trace_source *src; size_t n_src;
    char label[128];            /* "incident dmm-bitcoin-2024", "address 1B6r...", ... */
} sl_detect_input;

typedef struct sl_detect_result {
    sl_trace_result *traces; size_t n_traces;   /* one per source, same order */
    sl_xchain_list crossings;                   /* every crossing the store holds (the links used) */
    sl_finding *findings; size_t n_findings;    /* by time, then kind */
    sl_suspect *suspects; size_t n_suspects;    /* by confidence, then amount */
    sl_det_amount *loot; size_t n_loot;         /* the amount each source took */
    uint64_t tip_time;                          /* the "as of" time used */
    unsigned rounds;                            /* added: trace rounds run (crossings taken in between) */
    double seconds;                             /* wall time of the run */
} sl_detect_result;

/* Resolves what --incident NAME, --address A and --tx TXID[:N] name into sources. tags may
 * be NULL (then --incident is an error). SL_ENOTFOUND / SL_EUSAGE with the reason. */
int sl_detect_input_incident(const sl_flow_set *fs, sl_tags *tags, const char *name, sl_detect_input *in,
                             sl_error *e) SL_MUST_USE;
int sl_detect_input_address(const sl_flow_set *fs, const char *chain, const char *addr, sl_detect_input *in,
                            sl_error *e) SL_MUST_USE;
int sl_detect_input_tx(const sl_flow_set *fs, const char *chain, const char *txspec, sl_detect_input *in,
                       sl_error *e) SL_MUST_USE;
void sl_detect_input_free(sl_detect_input *in);

/* Runs the detectors. a and tags may be NULL (no crossings / no service tags: said in the
 * findings' evidence). SL_OK with *r (free with sl_detect_free), or the trace's errors. */
int sl_detect_run(const sl_flow_set *fs, sl_annot *a, sl_tags *tags, const sl_detect_input *in,
                  const sl_detect_params *p, sl_detect_result *r, sl_error *e) SL_MUST_USE;
void sl_detect_free(sl_detect_result *r);

/* JSON of a result: {"input", "params", "loot", "findings": [...], "suspect_addresses":
 * [{chain, address, confidence, reason, received}], "crossings", "tip_time"} (docs/JSON.md).
 * Returns a cJSON * (declared void *), NULL when out of memory. */
void *sl_detect_json(const sl_detect_result *r, const sl_detect_input *in, const sl_flow_set *fs, sl_store *s);
/* The text report (fits 100 columns). SL_OK or SL_EIO. */
int sl_detect_text(FILE *f, const sl_detect_result *r, const sl_detect_input *in, const sl_flow_set *fs, sl_store *s);

#endif
