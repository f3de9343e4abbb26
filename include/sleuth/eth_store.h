/* eth_store.h — the store of Ethereum-family chains (Ethereum, BSC, Polygon, Avalanche,
 * Arbitrum, Base, Tron) inside the same data directory and sl_store handle as Bitcoin, in
 * the flow model of DESIGN.md (an account's balance in one asset is a pool; a flow moves
 * an amount of one asset from one account to another, with its provenance). Built from
 * the format-3 blocks of store.h: appended columns, fingerprint maps that stay in memory,
 * and log-structured run sets, so an ingest's cost per flow does not grow with the store
 * and its memory does not grow with its input.
 *
 * Layout, DIR/eth/<chain>/ (store format version 3, Ethereum layout 2; little-endian;
 * column header as in store.h):
 *   blocks.col   64 B  sl_eth_blockrec, in ingest order (block index)
 *     OFFSET SIZE MEANING
 *     0      32   block hash (as printed; zero when the input did not give it)
 *     32     8    block number
 *     40     8    timestamp (unix seconds; 0 unknown)
 *     48     8    first tx id (a block's txs run to the next block's first)
 *     56     4    fee recipient (miner) account id, 0 unknown
 *     60     4    number of txs
 *   bstart.col   32 B  per block, the counts when it began: flows (8), bigs (8), accounts
 *                      (4), assets (4), and the highest block number stored before it + 1
 *                      (8; 0 = none): what a rollback moves the counts back to
 *   txs.col      96 B  sl_eth_txrec (tx id = record number, chain order within a batch)
 *     0      32   tx hash
 *     32     4    block index          36  4  index in the block (UINT32_MAX unknown)
 *     40     4    from account id      44  4  to account id (0 none / unknown)
 *     48     1    status: 0 failed, 1 ok, 2 unknown (pre-Byzantium without trace)
 *     49     1    flags SL_ETX_*       50  2  reserved
 *     52     4    number of flows      56  8  first flow id
 *     64     16   value, u128 (or, with SL_ETX_VALUE_BIG, a bigs.col index in the low 8 bytes)
 *     80     16   fee, u128 (SL_ETX_FEE_BIG likewise)
 *   flows.col    48 B  sl_eth_flowrec, in chain order: (block, tx index, sub)
 *     0      8    tx id (UINT64_MAX: block-level flow, e.g. a block reward)
 *     8      4    block index          12  4  sub: order inside the tx (see eth.h / flows.c)
 *     16     4    from account id      20  4  to account id (ids 1-3 are sinks)
 *     24     4    asset id (0 = the chain's native coin)
 *     28     1    kind (SL_FLOW_*)     29  1  flags: 1 = amount in bigs.col   30  2 reserved
 *     32     16   amount, u128 (or a bigs.col index in the low 8 bytes)
 *   bigs.col     32 B  u256 amounts that do not fit 128 bits
 *   accts.col    20 B  the address of each account id (ids 0-3 reserved: none, burn, fees, mint)
 *   assets.col   20 B  the token contract of each asset id (id 0 = the native coin)
 *   acct.map           address -> account id: fingerprints only (fpmap.h)
 *   asset.map          token contract -> asset id (fpmap.h)
 *   runs/t<n>.run      the tx-hash index: (first 6 bytes of the hash, tx id) (runs.h, keys)
 *   runs/h<n>.run      per-account histories (runs.h, hist): each account's items, item
 *                      2f for flow f sent and 2f + 1 for flow f received (a flow to itself
 *                      gives both), with totals (received = flows in, spent = flows out)
 *   runs/b<n>.run      balances (runs.h, sums): per (account id << 32 | asset id, sinks
 *                      included) the flows received and sent, the amounts received and
 *                      sent, and the least and greatest block time of those flows
 *
 * LMDB (DIR/index/): database "meta" holds "eth.<chain>" -> sl_eth_meta (the commit
 * point: counts, commit number, next run file number) and "eth.<chain>.runs.t", ".h",
 * ".b" (the run lists); database "eth.<chain>.block" maps a block number (8 B big-endian)
 * to its block index (4 B). Nothing else of a chain is in LMDB.
 *
 * Commit protocol (as Bitcoin's, store.h): a batch appends records through buffered
 * writes (pwrite), finds or adds accounts and assets in the two maps in place, and keeps
 * its tx-hash items, history items and balance changes in memory. The commit writes one
 * run of each (merging older runs when the geometric rule says so), fdatasyncs every file
 * it wrote, then commits the LMDB record naming the new counts and runs; run files merged
 * away are deleted after. A kill -9 anywhere leaves the last commit: readers ignore
 * records past the counts and runs no commit names; the next writer deletes those files
 * and drops map entries of uncommitted ids (the maps are checkpointed when a writer closes).
 *
 * Rollback (sl_eth_rollback, sl_eth_truncate): one commit moves the counts back to the
 * cut block's bstart record and names run sets cut at its first tx, item and flow (the
 * run holding the cut is rewritten without what the removed ids added: their flows are
 * still in the columns); only after that commit do the maps forget the removed accounts
 * and assets. A kill before the commit leaves the store before the rollback, after it the
 * store after it (the next writer purges the maps).
 *
 * Snapshots and threads: as store.h (one handle per thread; a chain handle belongs to its
 * store handle and moves with its snapshot, sl_store_snapshot).
 * Ownership: record pointers point into the mapped files (or, for the writer, into its
 * append buffers) and are valid until the next call that writes, commits or moves the
 * snapshot of the store handle; an sl_eth_chain handle belongs to its store.
 */
#ifndef SLEUTH_ETH_STORE_H
#define SLEUTH_ETH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/eth.h"
#include "sleuth/store.h"

typedef struct sl_eth_chain sl_eth_chain;

typedef struct sl_eth_blockrec {
    sl_hash256 hash;
    uint64_t number, time, first_tx;
    uint32_t miner, n_tx;
} sl_eth_blockrec;

enum {
    SL_ETX_VALUE_BIG = 1, SL_ETX_FEE_BIG = 2, SL_ETX_FEE_KNOWN = 4, SL_ETX_CREATED = 8,
};

typedef struct sl_eth_txrec {
    sl_hash256 hash;
    uint32_t block, index, from, to;
    uint8_t status, flags;
    uint16_t reserved;
    uint32_t n_flows;
    uint64_t first_flow;
    uint8_t value[16], fee[16];
} sl_eth_txrec;

typedef struct sl_eth_flowrec {
    uint64_t tx;
    uint32_t block, sub, from, to, asset;
    uint8_t kind, flags;
    uint16_t reserved;
    uint8_t amount[16];
} sl_eth_flowrec;

/* An account's totals and span (sl_eth_acct_lookup: from its balance entries). */
typedef struct sl_eth_acctstat {
    uint32_t id, reserved;
    uint64_t n_in, n_out;           /* flows received, flows sent (a flow to itself: one each) */
    uint64_t first_time, last_time; /* least and greatest block time of its flows (0 when a
                                     * block's time is unknown); UINT64_MAX and 0 when none */
} sl_eth_acctstat;

typedef struct sl_eth_meta {
    uint32_t version;              /* SL_STORE_VERSION */
    uint32_t layout;               /* SL_ETH_LAYOUT */
    uint64_t n_blocks, n_tx, n_flows, n_bigs, n_accts, n_assets;
    uint64_t seq, next_run;        /* commit number; next run file number */
    char chain[16];
} sl_eth_meta;
#define SL_ETH_LAYOUT 2

/* Opens the chain's part of the store (creating its folder when the store is writable;
 * a writer puts right what a kill left: store.h). Errors: SL_ENOTFOUND when a read-only
 * store holds nothing of that chain; SL_EUSAGE for an unknown chain name;
 * SL_ESTORE/SL_EIO/SL_EVERSION (a chain written in an older layout: with the command that
 * rebuilds it). Threads: the store handle's. */
int sl_eth_chain_open(sl_store *s, const char *name, sl_eth_chain **c, sl_error *e) SL_MUST_USE;
const sl_eth_chain_info *sl_eth_chain_info_get(const sl_eth_chain *c);
const sl_eth_meta *sl_eth_meta_get(const sl_eth_chain *c);

/* ---- reading (the handle's snapshot; ids past its counts are not found) ---- */
const sl_eth_blockrec *sl_eth_block_at(const sl_eth_chain *c, uint64_t idx);
int sl_eth_block_by_number(const sl_eth_chain *c, uint64_t number, uint32_t *idx);
const sl_eth_txrec *sl_eth_tx_at(const sl_eth_chain *c, uint64_t id);
/* SL_OK with *id (the latest if a hash repeats), or SL_ENOTFOUND. */
int sl_eth_tx_find(const sl_eth_chain *c, const sl_hash256 *hash, uint64_t *id);
void sl_eth_tx_value(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v);
void sl_eth_tx_fee(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v);
const sl_eth_flowrec *sl_eth_flow_at(const sl_eth_chain *c, uint64_t id);
void sl_eth_flow_amount(const sl_eth_chain *c, const sl_eth_flowrec *f, sl_u256 *v);
/* Address of an account id (false for the reserved sink ids and unknown ids). */
bool sl_eth_acct_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a);
/* SL_OK with the account's totals, SL_ENOTFOUND, or SL_ENOMEM. */
int sl_eth_acct_lookup(const sl_eth_chain *c, const sl_eth_addr *a, sl_eth_acctstat *st);
/* Calls fn for each flow account acct sent or received (a flow to itself once), oldest
 * first or newest first, until fn returns non-zero, which is returned; 0 at the end. The
 * sinks (ids 1-3) have no history. SL_ENOMEM when the history cannot be walked for want
 * of memory (newest first keeps a mark every 1024 flows). Threads: the handle's. */
int sl_eth_acct_each_flow(const sl_eth_chain *c, uint32_t acct, bool newest_first, int (*fn)(void *ctx, uint64_t flow),
                          void *ctx);
/* Token contract of an asset id (false for 0, the native coin). */
bool sl_eth_asset_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a);
/* Calls fn for every asset the account has received or sent, in asset-id order (amounts
 * received and sent, exact). SL_OK, SL_ENOMEM, or SL_ELIMIT when a total passes 2^256 - 1. */
typedef void (*sl_eth_balance_fn)(void *ctx, uint32_t asset, const sl_u256 *received, const sl_u256 *sent);
int sl_eth_balances(const sl_eth_chain *c, uint32_t acct, sl_eth_balance_fn fn, void *ctx);
/* Printable name of an asset: the chain's coin ("ETH"), a bundled token's symbol
 * ("USDT"), or the contract (EIP-55, or a T-address on Tron). out needs 48 bytes. */
void sl_eth_asset_name(const sl_eth_chain *c, uint32_t asset, char out[48]);
/* Printable account: EIP-55 / T-address, or the sink name ("burn", "fees", "mint"). */
void sl_eth_acct_name(const sl_eth_chain *c, uint32_t id, char out[48]);

/* ---- writing (one writer; used by the ingest layer) ---- */
/* Opens a batch. Errors: SL_EUSAGE (read-only store, a batch already open), LMDB's. */
int sl_eth_begin(sl_eth_chain *c, sl_error *e) SL_MUST_USE;
/* Appends model block bi with its transactions and flows (the caller skips blocks already
 * stored: sl_eth_block_by_number). Errors: SL_ELIMIT (2^32 - 2 accounts or assets, a
 * batch of 2^30 flows, a balance change above 2^256 - 1), SL_EIO, SL_ENOMEM; after an
 * error the batch must be aborted. */
int sl_eth_append_block(sl_eth_chain *c, const sl_eth_model *m, size_t bi, sl_error *e) SL_MUST_USE;
/* Makes everything appended since sl_eth_begin durable and visible (store.h's protocol);
 * on failure the batch is aborted. */
int sl_eth_commit(sl_eth_chain *c, sl_error *e) SL_MUST_USE;
/* Drops everything appended since sl_eth_begin (the maps are put back). */
void sl_eth_abort(sl_eth_chain *c);

/* ---- rollback (reorgs; the watcher) ---- */
typedef struct sl_eth_rollback_report {
    uint64_t from_number, to_number; /* highest stored block number before and after */
    uint64_t blocks_removed, txs_removed, flows_removed;
    bool emptied;                    /* no block is left (to_number: none) */
} sl_eth_rollback_report;
/* Removes every block numbered above `number`, exactly: histories, balances, account
 * and asset ids, the tx-hash and block-number look-ups are as they were before those
 * blocks were added. The chain is cut in its ingest order at the first block above
 * number; when a block at or below number was stored after it the rollback is refused
 * (SL_ECONFLICT, nothing changed). Any depth, in one commit: a kill -9 leaves the store
 * before or after the rollback. Nothing to do (SL_OK, 0 removed) when no block is above
 * number. Errors: SL_ECONFLICT, SL_ENOTFOUND (the chain holds no blocks), SL_EUSAGE
 * (read-only store, a batch open), SL_ENOMEM, and the commit's. Writer handle only. */
int sl_eth_rollback(sl_eth_chain *c, uint64_t number, sl_eth_rollback_report *r, sl_error *e) SL_MUST_USE;
/* Removes every block stored at or after block index `cut` (ingest order), as
 * sl_eth_rollback does. Writer handle, no batch open. */
int sl_eth_truncate(sl_eth_chain *c, uint32_t cut, sl_error *e) SL_MUST_USE;

#endif
