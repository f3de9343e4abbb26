/* cluster_int.h — private to the clustering (cluster_build.c writes, cluster.c reads):
 * the on-disk layouts of a chain's cluster folder (STORE_DIR/knowledge/cluster/ for the
 * Bitcoin-family chain, STORE_DIR/knowledge/cluster/<chain>/ for an account chain: the
 * same files; ids in them are that chain's) and the helpers both sides share.
 * docs/CLUSTERING.md "Files" repeats these tables for readers of the folder.
 *
 * state (160 bytes, little-endian; replaced atomically: the commit point)
 *   OFFSET SIZE MEANING
 *        0    8 magic "SLCLUST\0"
 *        8    4 format version (3)
 *       12    4 heuristics mask (1u << sl_heuristic)
 *       16    8 generation: the arrays are in gen.<generation>/
 *       24    8 transactions processed (tx ids 0..n-1)
 *       32    8 addresses covered (ids 1..n)
 *       40    8 highest address id seen in the processed transactions (for "fresh")
 *       48    4 block index of the store's newest block when built
 *       52    4 guard size threshold
 *       56   32 that block's hash
 *       88    1 guard policy for size (0 apply, 1 skip)
 *       89    1 guard policy for tag conflicts
 *       90    1 journal pending: 1 while `journal` is not yet applied to the arrays
 *       91    5 reserved
 *       96    8 edges: records of `edges` that count
 *      104    8 guard: records of `guard` that count
 *      112    8 clusters
 *      120    8 clusters of two or more addresses
 *      128    4 a root of the largest cluster
 *      132    4 reserved
 *      136    8 journal records
 *      144   16 reserved
 *
 * gen.<g>/nodes: one 16-byte record per address id (record 0 unused; the file may run
 *   past n+1 records: the tail is not committed), four little-endian u32 fields, so one
 *   cache line holds everything a union or a look-up reads of an address:
 *   0 parent  the union-find forest (a root is its own parent); union by size keeps every
 *             path below log2(n) steps, and a full build writes it compressed (depth 1)
 *   4 size    at a root: its cluster's size
 *   8 minid   at a root: its cluster's id (the smallest member)
 *  12 next    the members of a cluster as a circular list (a union splices two lists)
 *   A full build writes a new generation; an incremental one writes the records of new
 *   addresses (past the committed count) directly, and the few changed fields of older
 *   addresses through the journal, so its cost follows the new block, not the store.
 *
 * journal: 12-byte records: field (u8: 0 parent, 1 size, 2 minid, 3 next), 3 reserved,
 *   address id u32, value u32. Written and fsynced before the state that counts it;
 *   applied after; a build that finds a pending journal applies it again (idempotent).
 *
 * edges: 16-byte records, the spanning forest of applied merges in the order they were
 *   made: a u32, b u32, tx id u48, heuristic u8, confidence u8.
 * guard: 40-byte records: a u32, b u32, tx id u48, heuristic u8, confidence u8, reason
 *   u8, applied u8, 2 reserved, cluster id of a u32, of b u32, size of a u32, of b u32,
 *   4 reserved.
 */
#ifndef SLEUTH_CLUSTER_INT_H
#define SLEUTH_CLUSTER_INT_H

#include <stdint.h>

#include "sleuth/cluster.h"

#define CL_STATE_SIZE 160
#define CL_JOURNAL_SIZE 12
#define CL_EDGE_SIZE 16
#define CL_GUARD_SIZE 40
#define CL_VERSION 3

enum { CL_PARENT, CL_SIZE, CL_MINID, CL_NEXT, CL_FIELDS };
#define CL_NODE_SIZE 16
/* Field f of address id's record in a nodes array. */
#define CL_F(node, id, f) ((node)[(size_t)(id) * CL_FIELDS + (f)])

typedef struct cl_state {
    unsigned heuristics;
    uint64_t gen, tx_done, n_addr, hiwater;
    uint32_t tip_block, guard_size;
    sl_hash256 tip_hash;
    uint8_t gsp, gtp, pending;
    uint64_t n_edges, n_guard, clusters, multi;
    uint32_t largest_root;
    uint64_t n_journal;
} cl_state;

/* The cluster folder of chain d (NULL or the Bitcoin-family chain: STORE_DIR/knowledge/
 * cluster; an account chain: .../knowledge/cluster/<name>), then "/name" unless name is
 * "", into out (cap bytes); false when it does not fit. */
bool cl_path(char *out, size_t cap, const sl_store *s, const sl_chain_def *d, const char *name);
/* Reads chain d's state file: SL_OK, SL_ENOTFOUND (no build), SL_ECORRUPT/SL_EIO (with e). */
int cl_state_read(const sl_store *s, const sl_chain_def *d, cl_state *st, sl_error *e) SL_MUST_USE;
/* The smallest address id of chain d that is an address (Bitcoin family 1; account
 * chains SL_SINK_N: ids below are the burn, fee and mint sinks). */
uint32_t cl_first_id(const sl_chain_def *d);
void cl_state_encode(uint8_t out[CL_STATE_SIZE], const cl_state *st);
/* The root of x in a mapped nodes array of n+1 records: SL_OK, or SL_ECORRUPT for a path
 * out of range or longer than 64 steps (union by size keeps paths below 32). */
int cl_root(const uint32_t *node, uint64_t n, uint32_t x, uint32_t *root);

/* One evidence record out of its 16 bytes (the chain is the folder's: get sets it; the
 * builder writes them in merge()). */
void cl_edge_get(const uint8_t *p, uint16_t chain, sl_merge_edge *m);
void cl_guard_put(uint8_t *p, const sl_cluster_guard_ev *g);
void cl_guard_get(const uint8_t *p, sl_cluster_guard_ev *g);

#endif
