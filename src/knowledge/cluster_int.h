/* cluster_int.h — private to the clustering (cluster_build.c writes, cluster.c reads):
 * the on-disk layouts of STORE_DIR/knowledge/cluster/ and the helpers both sides share.
 * docs/CLUSTERING.md "Files" repeats these tables for readers of the folder.
 *
 * state (128 bytes, little-endian; replaced atomically: the commit point)
 *   OFFSET SIZE MEANING
 *        0    8 magic "SLCLUST\0"
 *        8    4 format version (1)
 *       12    4 heuristics mask (1u << sl_heuristic)
 *       16    8 generation: the map file is map.<generation>
 *       24    8 transactions processed (tx ids 0..n-1)
 *       32    8 addresses covered (ids 1..n)
 *       40    8 highest address id seen in the processed transactions (for "fresh")
 *       48    4 block index of the store's newest block when built
 *       52    4 guard size threshold
 *       56   32 that block's hash
 *       88    1 guard policy for size (0 apply, 1 skip)
 *       89    1 guard policy for tag conflicts
 *       90    6 reserved
 *       96    8 edges: records of `edges` that count
 *      104    8 guard: records of `guard` that count
 *      112    8 clusters
 *      120    8 reserved
 *
 * map.<gen>: a 64-byte header (magic "SLCLMAP\0", version u32, reserved u32, entries
 * n+1 as u64, generation u64, 32 reserved) then four u32 arrays of n+1 entries, index =
 * address id (entry 0 unused):
 *   root[x]    the cluster id (smallest member) of address x
 *   size[c]    the size of cluster c (0 when c is not a cluster id)
 *   start[c]   where cluster c's members begin in members[] (ids ascending)
 *   members[]  every address id grouped by cluster, clusters in id order (from index 1)
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

#define CL_STATE_SIZE 128
#define CL_MAP_HDR 64
#define CL_EDGE_SIZE 16
#define CL_GUARD_SIZE 40
#define CL_VERSION 1

typedef struct cl_state {
    unsigned heuristics;
    uint64_t gen, tx_done, n_addr, hiwater;
    uint32_t tip_block, guard_size;
    sl_hash256 tip_hash;
    uint8_t gsp, gtp;
    uint64_t n_edges, n_guard, clusters;
} cl_state;

/* STORE_DIR/knowledge/cluster/name into out (cap bytes); false when it does not fit. */
bool cl_path(char *out, size_t cap, const sl_store *s, const char *name);
/* Reads the state file: SL_OK, SL_ENOTFOUND (no build), SL_ECORRUPT/SL_EIO (with e). */
int cl_state_read(const sl_store *s, cl_state *st, sl_error *e) SL_MUST_USE;
void cl_state_encode(uint8_t out[CL_STATE_SIZE], const cl_state *st);

/* One evidence record in and out of its 16 bytes. */
void cl_edge_put(uint8_t *p, const sl_merge_edge *m);
void cl_edge_get(const uint8_t *p, sl_merge_edge *m);
void cl_guard_put(uint8_t *p, const sl_cluster_guard_ev *g);
void cl_guard_get(const uint8_t *p, sl_cluster_guard_ev *g);

#endif
