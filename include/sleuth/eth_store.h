/* eth_store.h — the store of Ethereum-family chains (Ethereum, BSC, Polygon, Avalanche,
 * Arbitrum, Base, Tron) inside the same data directory and sl_store handle as Bitcoin:
 * fixed-width column files per chain plus LMDB named databases, in the flow model of
 * DESIGN.md (an account's balance in one asset is a pool; a flow moves an amount of one
 * asset from one account to another, with its provenance).
 *
 * Layout (format version 1; little-endian; column header as in store.h):
 *   DIR/eth/<chain>/<name>.col
 *
 *   blocks.col   64 B  sl_eth_blockrec, in ingest order (block index)
 *     OFFSET SIZE MEANING
 *     0      32   block hash (as printed; zero when the input did not give it)
 *     32     8    block number
 *     40     8    timestamp (unix seconds; 0 unknown)
 *     48     8    first tx id (a block's txs run to the next block's first)
 *     56     4    fee recipient (miner) account id, 0 unknown
 *     60     4    number of txs
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
 *   accts.col    24 B  20-byte address per account id (ids 0-3 reserved: none, burn,
 *                      fees, mint), 4 reserved
 *   assets.col   24 B  20-byte token contract per asset id (id 0 = native), 4 reserved
 *   events.col   16 B  (flow id, previous event + 1 of the same account): per-account
 *                      history as a backward linked list, newest first
 *
 * LMDB databases (keys in big-endian where order matters):
 *   meta              "eth.<chain>" -> sl_eth_meta: committed record counts (the commit point)
 *   eth.<chain>.txh   first 8 bytes of a tx hash -> tx ids (dupsort; full hash checked)
 *   eth.<chain>.block block number (8 B BE) -> block index (4 B)
 *   eth.<chain>.acct  20-byte address -> sl_eth_acctstat (id, counts, times, history head)
 *   eth.<chain>.asset 20-byte contract -> asset id (4 B)
 *   eth.<chain>.bal   (account id BE, asset id BE) -> received u256, sent u256 (64 B)
 *
 * Crash safety as for Bitcoin: a batch appends column records through the mappings and
 * updates accounts and balances in memory; commit msyncs the new column ranges, writes
 * the touched accounts, balances and tx hashes to LMDB in key order, then commits the
 * LMDB transaction that moves the counts. A kill at any point leaves the last commit.
 *
 * Ownership: record pointers point into the mapped files and are valid until
 * sl_store_close; an sl_eth_chain handle belongs to its store.
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

typedef struct sl_eth_acctstat {
    uint32_t id, reserved;
    uint64_t n_in, n_out;          /* flows received, flows sent */
    uint64_t first_time, last_time;
    uint64_t head;                 /* newest event + 1; 0 = none */
} sl_eth_acctstat;

typedef struct sl_eth_event {
    uint64_t flow;
    uint64_t prev;                 /* previous event + 1 of the same account, 0 = none */
} sl_eth_event;

typedef struct sl_eth_meta {
    uint32_t version, reserved;
    uint64_t n_blocks, n_tx, n_flows, n_bigs, n_accts, n_assets, n_events;
    char chain[16];
} sl_eth_meta;

/* Opens the chain's part of the store (creating it when the store is writable).
 * Errors: SL_ENOTFOUND when a read-only store holds nothing of that chain; SL_EUSAGE for
 * an unknown chain name; SL_ESTORE/SL_EIO/SL_EVERSION. */
int sl_eth_chain_open(sl_store *s, const char *name, sl_eth_chain **c, sl_error *e) SL_MUST_USE;
const sl_eth_chain_info *sl_eth_chain_info_get(const sl_eth_chain *c);
const sl_eth_meta *sl_eth_meta_get(const sl_eth_chain *c);

/* ---- reading ---- */
const sl_eth_blockrec *sl_eth_block_at(const sl_eth_chain *c, uint64_t idx);
int sl_eth_block_by_number(const sl_eth_chain *c, uint64_t number, uint32_t *idx);
const sl_eth_txrec *sl_eth_tx_at(const sl_eth_chain *c, uint64_t id);
/* SL_OK with *id (the latest if a hash repeats), or SL_ENOTFOUND. */
int sl_eth_tx_find(const sl_eth_chain *c, const sl_hash256 *hash, uint64_t *id);
void sl_eth_tx_value(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v);
void sl_eth_tx_fee(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v);
const sl_eth_flowrec *sl_eth_flow_at(const sl_eth_chain *c, uint64_t id);
void sl_eth_flow_amount(const sl_eth_chain *c, const sl_eth_flowrec *f, sl_u256 *v);
const sl_eth_event *sl_eth_event_at(const sl_eth_chain *c, uint64_t ev);
/* Address of an account id (false for the reserved sink ids and unknown ids). */
bool sl_eth_acct_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a);
int sl_eth_acct_lookup(const sl_eth_chain *c, const sl_eth_addr *a, sl_eth_acctstat *st);
/* Token contract of an asset id (false for 0, the native coin). */
bool sl_eth_asset_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a);
/* Calls fn for every asset the account has received or sent, in asset-id order. */
typedef void (*sl_eth_balance_fn)(void *ctx, uint32_t asset, const sl_u256 *received, const sl_u256 *sent);
int sl_eth_balances(const sl_eth_chain *c, uint32_t acct, sl_eth_balance_fn fn, void *ctx);
/* Printable name of an asset: the chain's coin ("ETH"), a bundled token's symbol
 * ("USDT"), or the contract (EIP-55, or a T-address on Tron). out needs 48 bytes. */
void sl_eth_asset_name(const sl_eth_chain *c, uint32_t asset, char out[48]);
/* Printable account: EIP-55 / T-address, or the sink name ("burn", "fees", "mint"). */
void sl_eth_acct_name(const sl_eth_chain *c, uint32_t id, char out[48]);

/* ---- writing (one writer; used by the ingest layer) ---- */
int sl_eth_begin(sl_eth_chain *c, sl_error *e) SL_MUST_USE;
/* Appends model block bi with its transactions and flows (the caller skips blocks already
 * stored: sl_eth_block_by_number). */
int sl_eth_append_block(sl_eth_chain *c, const sl_eth_model *m, size_t bi, sl_error *e) SL_MUST_USE;
int sl_eth_commit(sl_eth_chain *c, sl_error *e) SL_MUST_USE;
void sl_eth_abort(sl_eth_chain *c);

#endif
