/* store.h — sleuth's chain store: one data directory, memory-mapped fixed-width column
 * files for the bulk data, persistent hash indexes for the dictionaries, and a small LMDB
 * environment for the commit record and the per-block dictionaries. Bitcoin-family
 * chains here; the Ethereum family's columns sit beside them (eth_store.h).
 *
 * Layout of DIR (format version 2; all integers little-endian):
 *   DIR/index/          LMDB environment (named databases below)
 *   DIR/btc/<name>.col  column files: a 64-byte header, then fixed-width records
 *   DIR/btc/txid.idx    txid -> tx ids; DIR/btc/addr.idx  address -> address id: hash
 *                       indexes (src/store/hidx.h: SipHash with a per-file random key,
 *                       8-byte slots, every candidate checked against its column)
 *   DIR/btc/astat.wal   the address records of recent commits (the commit log, below)
 *
 * Column header (64 bytes):
 *   OFFSET SIZE MEANING
 *   0      8    magic "SLEUTHC\0"
 *   8      4    column format version (1: unchanged in store format 2)
 *   12     4    record size in bytes
 *   16     32   column name, NUL-padded
 *   48     16   reserved (0)
 *
 * Columns (record number = the dense id):
 *   blocks.col  160 B  sl_btc_blockrec, in ingest order (block index)
 *   bstart.col   48 B  per block: the input, output, extin, wtx, event and address counts
 *                      when it began (what a rollback to before it moves the counts to)
 *   txs.col      64 B  sl_btc_txrec: txid, block index, size, weight, flags, first input,
 *                      first output (a tx's inputs/outputs run to the next tx's first)
 *   outs.col     16 B  sl_btc_outrec: value (sat), address id (0 = none), script type
 *   ins.col       8 B  the spent output as SL_REF(tx id, vout), or SL_IN_EXT|k (k in
 *                      extins.col: the prevout is not in the store), or SL_IN_COINBASE
 *   spent.col     8 B  per output: the spender as SL_REF(tx id, vin), 0 = unspent (mutable)
 *                      (a (tx, index) pair, not a global number, so both directions of
 *                      the graph are one array access, no search)
 *   extins.col   64 B  sl_btc_extin: prev txid/vout and, when a prevout file gave it,
 *                      value, type and address of an input whose prevout is not stored
 *   wtx.col      40 B  (tx id, wtxid) for segwit transactions, ascending by tx id
 *   addrs.col    48 B  sl_btc_addr per address id (id 0 is reserved for "none")
 *   astat.col    48 B  per address id: totals, counts, first and last block, history head
 *                      and the commit that wrote it (mutable, written through the log)
 *   events.col   16 B  (tx id, previous event of the same address): per-address history
 *                      as a backward linked list, newest first
 *
 * LMDB databases:
 *   meta        "btc" -> sl_btc_meta: committed record counts of every column, commit
 *               number, network, chain tip. The counts are the commit point: column bytes
 *               past them are ignored (a crashed ingest's leftovers, a rolled-back
 *               branch) and overwritten by the next ingest.
 *   btc.block   block hash -> block index       btc.height  height -> block index
 *
 * Commit protocol: a batch appends column records through the mappings and keeps the
 * address records it changes in memory; the commit msyncs the new column ranges, appends
 * those records to astat.wal (fdatasync), commits the LMDB meta record, then writes them
 * into astat.col (each under a seqlock: readers never see half a record) and marks the log
 * applied. A kill -9 before the LMDB commit leaves the last commit (the log frame does
 * not count); after it, the next writer re-applies the frame and a reader overlays it.
 * Index slots are written in place; an aborted batch's are emptied again, and ids past
 * the committed counts are skipped by every reader. Checkpoints (at close, when the log
 * passes 512 MiB) msync astat.col, spent.col and the indexes and empty the log.
 * Mutable spent.col entries are validated on read (the spending input must exist and
 * point back at the output), so a rollback leaves them as they are. A store that never
 * committed reads as absent, so a kill during its creation leaves nothing a reader
 * refuses. Disk blocks are reserved (posix_fallocate) before records are written through
 * the mapping, so a full disk is an error at a known file, not a SIGBUS.
 *
 * Snapshots and threads: a handle sees the commit it was opened at (or last renewed to:
 * sl_store_snapshot); when a look-up meets an address record written by a newer commit
 * it moves the handle's snapshot on to that commit. One handle per thread; any number of
 * reader handles (threads or processes) may be open while one writer ingests. Readers
 * pin nothing a writer needs: the columns only grow, and a rebuilt index replaces the old
 * file by rename (a reader keeps its old mapping until its next snapshot).
 *
 * Ownership: record pointers returned by the look-ups point into the mapped files and
 * stay valid until sl_store_close (read-only stores never remap).
 */
#ifndef SLEUTH_STORE_H
#define SLEUTH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/btc.h"
#include "sleuth/err.h"

#define SL_STORE_VERSION 2

typedef struct sl_store sl_store;

enum { SL_STORE_RDONLY = 0, SL_STORE_WRITE = 1 };

/* Opens the store in dir. SL_STORE_WRITE creates it when missing and holds DIR/LOCK
 * (flock, exclusive) until sl_store_close: one writer at a time, a second one gets
 * SL_ECONFLICT. A store that held no committed data when a writer opened it and to which
 * that writer commits nothing is removed again at close (a refused first ingest leaves no
 * empty store behind). Readers see the last commit; a store whose creation was
 * interrupted (kill -9 before its first commit) reads as "no sleuth store here". A
 * reader that may read the files but not write index/lock.mdb reads without LMDB's
 * reader table and holds a shared flock on DIR/LOCK instead, so no ingest runs while it
 * reads (see store.c). The LMDB map is sized from the file (plus room for the next
 * batches), not fixed. Errors: SL_ENOTFOUND (no store there, read-only), SL_EVERSION,
 * SL_ECONFLICT (another writer), SL_EIO (permissions, read-only file system, disk full:
 * said in words), SL_ESTORE, with the path. Threads: one handle per thread. */
int sl_store_open(sl_store **s, const char *dir, int mode, sl_error *e) SL_MUST_USE;
void sl_store_close(sl_store *s);
/* Closes a writer's store after rewriting its LMDB index without free pages when they
 * are more than min_free (0..1) of the file (LMDB's copy-on-write leaves the pages of
 * older batches free; later writes reuse them but they cost disk meanwhile). It runs
 * while the handle still holds the store's write lock, so no other writer can commit
 * between the copy and the rename that puts it in place (finding F2: a second ingest's
 * data was lost), and only when no other process has the index open (LMDB's exclusive
 * lock on index/lock.mdb); otherwise the free pages are kept. A crash leaves the old or
 * the new file. *saved gets the bytes reclaimed. s is closed in every case. */
int sl_store_close_compact(sl_store *s, double min_free, uint64_t *saved, sl_error *e) SL_MUST_USE;
/* Moves a reader's view to the latest commit (counts, mappings, indexes). Threads: the
 * handle's own thread. */
int sl_store_snapshot(sl_store *s, sl_error *e) SL_MUST_USE;
/* Grows a writer's LMDB map ahead of the file (called before every batch). */
int sl_store_grow_map(sl_store *s, sl_error *e) SL_MUST_USE;
/* Bytes on disk of the whole store directory. */
uint64_t sl_store_bytes(const sl_store *s);

/* ---- Bitcoin records (on-disk layouts; little-endian hosts) ---- */
#define SL_NONE32 UINT32_MAX
#define SL_IN_COINBASE UINT64_MAX
#define SL_IN_EXT ((uint64_t)1 << 63)
/* (tx id, index) in 64 bits: tx id + 1 in the high 40 bits (39 used: < 5.5e11 txs), the
 * input/output index (< 2^24) in the low 24; 0 is never a valid reference. */
#define SL_REF(tx, idx) ((((uint64_t)(tx) + 1) << 24) | (uint64_t)(idx))
#define SL_REF_TX(r) (((r) >> 24) - 1)
#define SL_REF_IDX(r) ((uint32_t)((r) & 0xffffff))

typedef struct sl_btc_blockrec {
    sl_hash256 hash, prev, merkle;   /*  0: 96 */
    uint32_t version, time, bits, nonce; /* 96 */
    uint32_t height;                 /* 112: SL_NONE32 when unknown */
    uint32_t flags;                  /* 116: SL_BLK_* */
    uint64_t first_tx;               /* 120 */
    uint32_t n_tx, size, weight;     /* 128 */
    uint32_t reserved0;              /* 140 */
    uint8_t chainwork[16];           /* 144: little-endian u128, 0 when not linked */
} sl_btc_blockrec;
enum { SL_BLK_LINKED = 1, /* on the chain linked from genesis */ SL_BLK_HEIGHT_GUESSED = 2 };

typedef struct sl_btc_txrec {
    sl_hash256 txid;
    uint32_t block, size, weight, flags; /* flags: SL_TX_* */
    uint64_t first_in, first_out;
} sl_btc_txrec;
enum { SL_TX_COINBASE = 1, SL_TX_SEGWIT = 2 };

typedef struct sl_btc_outrec {
    uint64_t value;
    uint32_t addr;  /* address id, 0 = none */
    uint8_t type;   /* sl_script_type */
    uint8_t reserved[3];
} sl_btc_outrec;

typedef struct sl_btc_extin {
    sl_hash256 prev_txid;
    uint32_t prev_vout;
    uint32_t addr;      /* address id when known, else 0 */
    uint64_t value;     /* UINT64_MAX when unknown */
    uint8_t type;       /* sl_script_type when known */
    uint8_t known;      /* 1: value/type/addr came from a prevout file */
    uint8_t reserved[14];
} sl_btc_extin;

typedef struct sl_btc_addrstat {
    uint32_t id, n_tx;
    uint64_t received, spent;  /* satoshi */
    uint32_t n_out, n_spent;   /* outputs received, outputs spent */
    uint32_t first_time, last_time;
    uint32_t first_block, last_block;
    uint64_t head;             /* newest event + 1; 0 = none */
    uint64_t last_tx;          /* tx id + 1 of the newest event (dedup within a tx) */
} sl_btc_addrstat;

typedef struct sl_btc_event {
    uint64_t tx;
    uint64_t prev;  /* previous event + 1 of the same address, 0 = none */
} sl_btc_event;

typedef struct sl_btc_meta {
    uint32_t version, reserved;
    uint64_t n_blocks, n_tx, n_in, n_out, seq, n_extin, n_wtx, n_addr, n_events;
    uint32_t chain_tip;     /* block index of the linked chain's tip, SL_NONE32 if none */
    uint32_t max_height_block; /* block index with the greatest height, SL_NONE32 if none */
    char network[32];
} sl_btc_meta;

/* ---- reading ---- */
const sl_btc_meta *sl_btc_meta_get(const sl_store *s);
const sl_btc_net *sl_store_btc_net(const sl_store *s);

const sl_btc_blockrec *sl_btc_block_at(const sl_store *s, uint64_t idx);
/* SL_OK with *idx, or SL_ENOTFOUND. */
int sl_btc_block_by_hash(const sl_store *s, const sl_hash256 *h, uint32_t *idx);
int sl_btc_block_by_height(const sl_store *s, uint32_t height, uint32_t *idx);

const sl_btc_txrec *sl_btc_tx_at(const sl_store *s, uint64_t id);
uint32_t sl_btc_tx_n_in(const sl_store *s, uint64_t id);
uint32_t sl_btc_tx_n_out(const sl_store *s, uint64_t id);
/* Finds the tx ids with this txid (more than one only for the BIP-30 duplicates), newest
 * last. Returns how many were found (0: not found), at most cap stored in ids. */
int sl_btc_tx_find(const sl_store *s, const sl_hash256 *txid, uint64_t *ids, int cap);
/* wtxid of a tx (equals the txid for non-segwit txs). */
void sl_btc_tx_wtxid(const sl_store *s, uint64_t id, sl_hash256 *out);
/* The tx holding global output o / global input i (binary search). */
uint64_t sl_btc_tx_of_out(const sl_store *s, uint64_t o);
uint64_t sl_btc_tx_of_in(const sl_store *s, uint64_t i);

const sl_btc_outrec *sl_btc_out_at(const sl_store *s, uint64_t o);
uint64_t sl_btc_in_at(const sl_store *s, uint64_t i);
const sl_btc_extin *sl_btc_extin_at(const sl_store *s, uint64_t k);
/* SL_OK with the spending input, or SL_ENOTFOUND when unspent (as far as the store knows). */
int sl_btc_out_spent_by(const sl_store *s, uint64_t o, uint64_t *in);
/* The same as (spending tx id, input index within it). */
int sl_btc_out_spender(const sl_store *s, uint64_t o, uint64_t *tx, uint32_t *vin);
/* Input i's spent output as (tx id, vout) when it is in the store (SL_OK), else SL_ENOTFOUND. */
int sl_btc_in_prevout(const sl_store *s, uint64_t i, uint64_t *tx, uint32_t *vout);

/* Resolved view of one input: prevout, value (UINT64_MAX unknown), address id, type. */
typedef struct sl_btc_inview {
    sl_hash256 prev_txid;
    uint32_t prev_vout;
    bool coinbase, resolved; /* resolved: the spent output is in the store (out = its number) */
    uint64_t out;
    uint64_t value;
    uint32_t addr;
    uint8_t type;
} sl_btc_inview;
void sl_btc_in_view(const sl_store *s, uint64_t i, sl_btc_inview *v);
/* Just the value (UINT64_MAX: coinbase or unknown) and address id of input i's spent
 * output: no search for the previous txid, for the hot loops of tracing. */
uint64_t sl_btc_in_value(const sl_store *s, uint64_t i, uint32_t *addr);
/* Fee of a tx: SL_OK with *fee, SL_ENOTFOUND when an input value is unknown. Coinbase: 0. */
int sl_btc_tx_fee(const sl_store *s, uint64_t id, uint64_t *fee);

/* Addresses: id -> address; address -> stats. */
int sl_btc_addr_key(const sl_store *s, uint32_t id, sl_btc_addr *a);
int sl_btc_addr_lookup(const sl_store *s, const sl_btc_addr *a, sl_btc_addrstat *st);
const sl_btc_event *sl_btc_event_at(const sl_store *s, uint64_t ev);

/* ---- writing (one writer at a time; used by the ingest layer) ---- */
/* A prevout supplied from outside the store (a prevout file): NULL script = unknown. */
typedef struct sl_btc_prevout {
    uint64_t value;
    const uint8_t *script;
    uint32_t script_len;
    bool found;
} sl_btc_prevout;
/* Called for an input whose prevout is not in the store: block input number k (0-based
 * over the whole block, coinbase included). */
typedef void (*sl_btc_prevout_fn)(void *ctx, const sl_btc_block *b, uint32_t k, sl_btc_prevout *out);

int sl_btc_begin(sl_store *s, const char *network, sl_error *e) SL_MUST_USE;
/* Appends a parsed, validated block. height: SL_NONE32 when unknown; flags SL_BLK_*;
 * chainwork as u128 (0 when not linked). */
int sl_btc_append_block(sl_store *s, const sl_btc_block *b, uint32_t height, uint32_t flags,
                        unsigned __int128 chainwork, sl_btc_prevout_fn pf, void *pctx, sl_error *e) SL_MUST_USE;
/* Makes everything appended since sl_btc_begin durable and visible. */
int sl_btc_commit(sl_store *s, sl_error *e) SL_MUST_USE;
/* Drops everything appended since sl_btc_begin. */
void sl_btc_abort(sl_store *s);

/* ---- rollback (reorgs; the watcher) ---- */
typedef struct sl_btc_rollback_report {
    uint32_t from_height, to_height; /* highest stored height before and after */
    uint64_t blocks_removed, txs_removed;
    bool emptied;                    /* no block with a height is left (to_height: none) */
} sl_btc_rollback_report;
/* Removes every block above height `height`, exactly: balances, histories, spends, the
 * txid and address look-ups and the block dictionaries are as they were before those
 * blocks were added. The store is cut in its ingest order at the first block above
 * height: blocks of unknown height stored after it go too, and when a block at or below
 * height was stored after it the rollback is refused (SL_ECONFLICT, nothing changed).
 * Any depth (the store keeps every block's records; nothing is pruned). One commit: a
 * kill -9 leaves the store before or after the rollback. Nothing to do (SL_OK, 0
 * removed) when no block is above height. Errors: SL_ECONFLICT, SL_ENOTFOUND (no
 * Bitcoin-family blocks), SL_EUSAGE (read-only handle), and the commit's. Writer handle
 * only, no batch open. */
int sl_btc_rollback(sl_store *s, uint32_t height, sl_btc_rollback_report *r, sl_error *e) SL_MUST_USE;

#endif
