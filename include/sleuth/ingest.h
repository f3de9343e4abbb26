/* ingest.h — reading chain data into the store. Sits between the parsers (chains/) and
 * the store: finds the files, orders blocks by their prev-hash chain, validates every
 * block before anything is written, then appends in crash-safe batches.
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
                                   * A batch of B block bytes holds about B/2 of address
                                   * records and index undo lists, so batches are budget/8,
                                   * between 8 and 256 MiB */
} sl_ingest_opts;

typedef struct sl_ingest_report {
    uint64_t files, blocks_seen, blocks_added, blocks_known, blocks_stale, blocks_orphan;
    uint64_t txs_added, inputs_added, outputs_added, bytes_added, commits;
    double seconds;
} sl_ingest_report;

/* Ingests blk*.dat files, Bitcoin Core blocks/ folders (blk*.dat + xor.dat) and raw block
 * files (.bin, .hex, .zst). Every block to be added is fully validated first: on any
 * bad input (SL_ECORRUPT, message naming the file and byte offset) nothing is written.
 * Blocks already stored are skipped, so running the same ingest again resumes. */
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
