/* cluster.h — address clustering of every chain of a store: per chain, a union-find over
 * that chain's dense address ids fed by the merge edges of its heuristics (knowledge.h:
 * Bitcoin family: multi-input with CoinJoins excluded, the change heuristics as options;
 * account chains — the Ethereum family, Tron: deposit addresses merged with their
 * exchange's hot wallet, deposit.h), persisted so that "which cluster is this address in"
 * is a few reads of mapped arrays, with the evidence of every merge (`sleuth cluster why`)
 * and a guard against supercluster collapse. The Bitcoin-family chain's files are in
 * STORE_DIR/knowledge/cluster/, an account chain's in STORE_DIR/knowledge/cluster/<chain>/
 * (e.g. knowledge/cluster/ethereum/), in the same formats; a handle covers one chain.
 *
 * The cluster id is the smallest address id of the cluster (GraphSense's rule): it does
 * not change when a cluster absorbs younger addresses, only when two old clusters merge
 * (then the merged cluster keeps the smaller of the two ids). Ids are the chain's own, so
 * a cluster id means something only with its chain.
 *
 * Files (cluster_int.h has the byte layouts, docs/CLUSTERING.md explains them): `state`
 * (the commit point: what was processed, the store's tip then, the options, the counts),
 * `gen.<g>/nodes` (the union-find itself: parent, size, min id, next member per address
 * id), `journal`
 * (the changed entries of an incremental build), `edges` (the spanning forest of applied
 * merges, append-only), `guard` (every merge the guard flagged, append-only). A full build
 * writes a new generation; an incremental one appends the new addresses' entries and
 * patches the older ones through the journal (written and fsynced before the state that
 * counts it, applied after), so its cost follows the new blocks. `state` is replaced by
 * temp + rename + fsync of the folder: a crash leaves the previous build or a pending
 * journal the next build applies; records past the counts in `state` are ignored.
 * An account chain is rebuilt from scratch by every build (its deposit scan is one pass
 * over the chain's flows: docs/CLUSTERING.md "Account chains").
 *
 * Threads: a build holds the chain's folder's LOCK (flock) so two builds do not interleave;
 * an open sl_cluster is read-only and may be shared by threads (no state changes after
 * sl_cluster_open).
 */
#ifndef SLEUTH_CLUSTER_H
#define SLEUTH_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/chains.h"
#include "sleuth/deposit.h"
#include "sleuth/err.h"
#include "sleuth/knowledge.h"
#include "sleuth/store.h"

/* ---- the tag hook (the tag store plugs in here; tests use a small table) ---- */
typedef struct sl_cluster_tag {
    char label[96];
    char category[48];
    char source[96];
    uint8_t confidence;       /* 0..100 (GraphSense confidence levels) */
    bool is_cluster_definer;  /* the tag names the whole cluster, not just this address */
} sl_cluster_tag;

typedef struct sl_cluster_tagger {
    /* The best tag of address a: 1 with *out filled, 0 when a has none, <0 on error.
     * Called on the caller's thread; must be cheap (constant time): a build calls it once
     * per address when a tagger is given. */
    int (*best)(void *ctx, sl_addr_ref a, sl_cluster_tag *out);
    /* Whether two tags cannot describe one owner (two different exchanges, an exchange
     * and a thief). */
    bool (*conflict)(void *ctx, const sl_cluster_tag *x, const sl_cluster_tag *y);
    void *ctx;
} sl_cluster_tagger;

/* ---- building ---- */
enum { SL_GUARD_APPLY = 0, SL_GUARD_SKIP = 1 };
#define SL_CLUSTER_GUARD_SIZE_DEFAULT 100000u

typedef struct sl_cluster_opts {
    const char *chain;         /* the chain to cluster: NULL (or a Bitcoin-family name) the
                                * Bitcoin-family chain; "ethereum", "tron", ...: an account chain */
    unsigned heuristics;       /* Bitcoin family: bits 1u << SL_H_*; 0 means multi-input only.
                                * Account chains: ignored (deposit clustering) */
    const sl_deposit_params *deposit; /* account chains: NULL = sl_deposit_params_init's */
    uint32_t guard_size;       /* 0: SL_CLUSTER_GUARD_SIZE_DEFAULT */
    uint8_t guard_size_policy; /* SL_GUARD_APPLY (default) or SL_GUARD_SKIP */
    uint8_t guard_tag_policy;  /* SL_GUARD_SKIP (default: set explicitly) or SL_GUARD_APPLY */
    const sl_cluster_tagger *tagger; /* NULL: no tag-conflict guard */
    bool quiet;                /* no progress line on stderr */
    bool from_scratch;         /* ignore what was built before */
} sl_cluster_opts;
/* The defaults above in a struct (multi-input, guard size 100,000 applied, tag conflicts
 * skipped, no tagger). */
sl_cluster_opts sl_cluster_opts_default(void);

typedef struct sl_cluster_build_report {
    char chain[16];             /* the chain's name ("btc", "ethereum", "tron", ...) */
    bool from_scratch;          /* the whole chain was (re)processed */
    char why[160];              /* why from scratch: "first build", "the store was rolled back ..." */
    uint64_t tx_from, tx_to;    /* tx ids processed: [tx_from, tx_to) */
    uint64_t inputs;            /* inputs read (Bitcoin family); account chains: flows read */
    uint64_t edges;             /* merge edges the heuristics produced */
    uint64_t merges;            /* edges that joined two clusters (added to the evidence) */
    uint64_t coinjoins;         /* multi-input transactions left out as CoinJoins */
    uint64_t change_edges;      /* edges from change heuristics */
    uint64_t guard_events, guard_skipped; /* guard log records added; merges not applied */
    uint64_t n_addr, clusters, multi_clusters; /* after the build; multi: size >= 2 */
    uint32_t largest_id;
    uint64_t largest_size;
    sl_deposit_stats deposit;   /* account chains: the deposit scan's counts */
    double seconds;
} sl_cluster_build_report;

/* Brings the clustering of the chain o->chain of s up to the store's snapshot.
 * Bitcoin family: only the transactions added since the last build, or everything when
 * there was none, when the options changed, or when the store was rolled back below the
 * last build's tip (then r->why says so). Account chains: from scratch every time, from
 * the SL_H_DEPOSIT edges of sl_deposit_edges (o->deposit, or the chain's defaults), with
 * the same guard and tagger; r->deposit gets the scan's counts. Errors: SL_ENOTFOUND (the
 * store holds no block of that chain), SL_ECONFLICT (another build of that chain holds the
 * lock), SL_EIO (with the path), SL_ENOMEM, SL_ECORRUPT (a damaged cluster file: run with
 * from_scratch), SL_EUSAGE (an unknown chain, bad deposit parameters), a tagger's error.
 * The store handle may be read-only. Memory: a full build 16 bytes per address (plus 4
 * with a tagger) and its batches (about 25 MB; account chains: the deposit scan's window
 * instead); an incremental one maps the nodes copy-on-write and touches only the pages of
 * the addresses the new transactions reach. */
int sl_cluster_build(sl_store *s, const sl_cluster_opts *o, sl_cluster_build_report *r, sl_error *e) SL_MUST_USE;

/* ---- reading ---- */
typedef struct sl_cluster sl_cluster;

typedef struct sl_cluster_info {
    uint16_t chain;             /* the chain's id (chains.h) */
    uint64_t tx_done;           /* transactions covered */
    uint64_t n_addr;            /* addresses covered (ids 1..n_addr; account chains 4..n_addr) */
    uint32_t tip_block;         /* block index of the store's newest block then */
    sl_hash256 tip_hash;
    unsigned heuristics;
    uint32_t guard_size;
    uint8_t guard_size_policy, guard_tag_policy;
    uint64_t n_edges, n_guard, clusters;
} sl_cluster_info;

/* Opens the last build of the clustering of chain `chain` of s (mapped read-only): NULL
 * or a Bitcoin-family name for the Bitcoin-family chain, "ethereum", "tron", ... for an
 * account chain. Errors: SL_EUSAGE (an unknown chain name), SL_ENOTFOUND (no build of that
 * chain yet: run `sleuth cluster build`), SL_ECONFLICT (a build is applying its journal or
 * died doing so: the next build finishes it), SL_EVERSION (files of another format: the
 * next build rebuilds them), SL_ECORRUPT, SL_EIO, SL_ENOMEM. A build that commits while
 * the handle is open is not seen by it (open again). The handle does not keep s: s may be
 * closed first. Free with sl_cluster_close. */
int sl_cluster_open_chain(sl_store *s, const char *chain, sl_cluster **cl, sl_error *e) SL_MUST_USE;
/* sl_cluster_open_chain of the Bitcoin-family chain. */
int sl_cluster_open(sl_store *s, sl_cluster **cl, sl_error *e) SL_MUST_USE;
void sl_cluster_close(sl_cluster *cl);
const sl_cluster_info *sl_cluster_get_info(const sl_cluster *cl);

/* The cluster of address a: its id and size, following a's parent pointers to its root
 * (one step after a full build; union by size bounds every path by log2(addresses)).
 * SL_OK, SL_ENOTFOUND when a is not an address of the handle's chain that the build
 * covered (another chain's address included), SL_ECORRUPT for a damaged parent array.
 * Thread-safe. */
int sl_cluster_of(const sl_cluster *cl, sl_addr_ref a, uint32_t *id, uint64_t *size);
/* Whether id is a cluster id (the smallest address of its cluster) of the handle's chain;
 * *size gets its size. */
bool sl_cluster_exists(const sl_cluster *cl, uint32_t id, uint64_t *size);
/* Members of cluster id in ascending address id: skips `offset`, writes at most cap to
 * out, returns how many were written (0 when id is not a cluster id, or out of memory).
 * Cost: the whole cluster's member list is walked and sorted (O(size log size)). */
size_t sl_cluster_members(const sl_cluster *cl, uint32_t id, uint64_t offset, uint32_t *out, size_t cap);

/* One guard record (the `guard` file). Ids are of the handle's chain. */
typedef struct sl_cluster_guard_ev {
    uint32_t a, b;             /* the merge edge's addresses */
    uint64_t tx;               /* its transaction id */
    uint8_t heuristic, confidence;
    uint8_t reason;            /* 1 size, 2 tag conflict */
    uint8_t applied;           /* 1: merged anyway (policy apply) */
    uint32_t root_a, root_b;   /* the two cluster ids then */
    uint32_t size_a, size_b;   /* their sizes then (saturated at 2^32-1) */
} sl_cluster_guard_ev;
enum { SL_GUARD_SIZE = 1, SL_GUARD_TAG = 2 };
/* Calls fn for each guard record that concerns cluster id now (either address in it),
 * oldest first, until fn returns non-zero (returned). id 0: every record. */
int sl_cluster_guard_each(const sl_cluster *cl, uint32_t id, int (*fn)(void *ctx, const sl_cluster_guard_ev *g),
                          void *ctx);

/* The evidence path between addresses a and b: the merge edges of the spanning forest
 * that join them, in order from a to b (edge i links path node i to i+1; each edge is
 * oriented so that .a is the node nearer to a). The forest holds exactly one path between
 * two members of a cluster, which is the one returned; its refs carry the handle's chain.
 * *path is allocated (sl_free); *n = 0 when a == b. Errors: SL_ENOTFOUND (not in one
 * cluster, or not of the handle's chain: e says so), SL_ENOMEM,
 * SL_EIO. Cost: one pass over the edges file plus O(cluster size) memory. */
int sl_cluster_why(const sl_cluster *cl, sl_addr_ref a, sl_addr_ref b, sl_merge_edge **path, size_t *n,
                   sl_error *e) SL_MUST_USE;

/* The best tag of cluster id by GraphSense's rule: among the tags of its members that are
 * cluster definers, the highest confidence (the first seen on ties); a one-address cluster
 * takes its address's tag whatever its definer mark. Bounded: looks at most at
 * max_members members (0: 10,000), walking the cluster's member list from the cluster id
 * (so the id's own tag is always seen); *looked gets how many. Returns 1 (found), 0
 * (none), <0 the tagger's error. */
int sl_cluster_best_tag(const sl_cluster *cl, uint32_t id, const sl_cluster_tagger *t, uint64_t max_members,
                        sl_cluster_tag *out, uint64_t *looked);

/* Parses a --heuristics list ("multi-input,change:round") into a mask; SL_EUSAGE naming
 * the unknown item. */
int sl_cluster_parse_heuristics(const char *list, unsigned *mask, sl_error *e) SL_MUST_USE;

#endif
