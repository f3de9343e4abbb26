/* ingest.h — reading chain data into the store. Sits between the parsers (chains/) and
 * the store: finds the files, orders blocks by their prev-hash chain, then parses,
 * validates and appends each block once, in crash-safe batches (a refused block makes
 * the ingest take back what it had committed).
 */
#ifndef SLEUTH_INGEST_H
#define SLEUTH_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/store.h"

typedef struct sl_ingest_opts {
    const char *network;          /* NULL: the store's, else "bitcoin" */
    const char *const *prevouts;  /* prevout files (see docs/INGEST.md) */
    int n_prevouts;
    bool quiet;                   /* no progress line */
    uint64_t batch_bytes;         /* block bytes per commit; 0 = from memory_bytes */
    uint64_t memory_bytes;        /* budget for the ingest's own memory; 0 = a quarter of RAM.
                                   * A batch of B block bytes holds about B/2 of txid items,
                                   * address events and spends (and as much sort scratch),
                                   * so batches are budget/16, between 8 and 512 MiB. The
                                   * writer's two tables (addr.map, utxo.map) are mapped
                                   * files beside it: see table_bytes */
    uint64_t addr_table_bytes;    /* bound of addr.map, the address table's in-memory tier
                                   * (sl_btc_set_budget); 0 = what half of memory_bytes
                                   * leaves beside utxo.map, at least an eighth */
} sl_ingest_opts;

typedef struct sl_ingest_report {
    uint64_t files, blocks_seen, blocks_added, blocks_known, blocks_stale, blocks_orphan;
    uint64_t txs_added, inputs_added, outputs_added, bytes_added, commits;
    uint64_t table_bytes;         /* the writer's tables after the ingest (addr.map + utxo.map):
                                   * what must stay in memory for the cost per transaction
                                   * not to grow; above the budget, probes go to the disk */
    uint64_t budget_bytes;        /* the memory budget in force */
    double seconds;
} sl_ingest_report;

/* Ingests blk*.dat files, Bitcoin Core blocks/ folders (blk*.dat + xor.dat) and raw block
 * files (.bin, .hex, .zst). Each block is parsed and fully validated once, on every core,
 * then written in order. On bad input (SL_ECORRUPT, message naming the file and byte
 * offset) the blocks this call had already committed are removed again, so the store
 * holds what it held before (its files may be laid out anew: docs/DECISIONS.md); a kill
 * -9 leaves the last commit. Blocks already stored are skipped, so running the same
 * ingest again resumes. */
int sl_ingest_btc(sl_store *s, const char *const *paths, int npaths, const sl_ingest_opts *o,
                  sl_ingest_report *r, sl_error *e) SL_MUST_USE;

/* ---- Ethereum-family chains and Tron (eth_ingest.c) ---- */
typedef struct sl_eth_ingest_opts {
    const char *chain;            /* "ethereum" (default), "bsc", ..., "tron" */
    bool quiet;
    uint64_t batch_flows;         /* flows + txs per commit; 0 = 4 million */
    const char *rpc_url;          /* live ingest: the node's JSON-RPC URL */
    uint64_t from, to;            /* live ingest: block range, inclusive */
} sl_eth_ingest_opts;

typedef struct sl_eth_ingest_report {
    uint64_t files, bytes, blocks_seen, blocks_added, blocks_known, txs_added, flows_added;
    uint64_t internal, token, commits;
    double seconds, parse_seconds;
} sl_eth_ingest_report;

/* Ingests JSON-RPC responses, JSON-lines dumps, ethereum-etl / GraphSense exports (files
 * or folders; .zst read transparently). Everything is parsed and checked before anything
 * is written: on bad input (SL_ECORRUPT naming the file and JSON path) the store is
 * unchanged. Blocks already stored are skipped. */
int sl_ingest_eth(sl_store *s, const char *const *paths, int npaths, const sl_eth_ingest_opts *o,
                  sl_eth_ingest_report *r, sl_error *e) SL_MUST_USE;
/* Same, reading blocks o->from..o->to from a node's JSON-RPC (o->rpc_url). */
int sl_ingest_eth_rpc(sl_store *s, const sl_eth_ingest_opts *o, sl_eth_ingest_report *r, sl_error *e) SL_MUST_USE;

#endif
