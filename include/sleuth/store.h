/* store.h — sleuth's chain store: one data directory holding every chain ingested into
 * it. The generic core (store.c) owns the folder, the write lock, the commit record (a
 * small LMDB environment: per chain, the committed counts of its files and the lists of
 * its run files), snapshots for readers, and the chain registry (chains.h). Each chain
 * family is a backend beside the others: Bitcoin-family chains here (btc_store.c), the
 * Ethereum family in eth_store.h. Building blocks (private, src/store/): column files
 * (column.h), the fingerprint map (fpmap.h), the unspent-output map (utxo.h), run sets
 * (runs.h), all written so that an ingest's cost per transaction does not grow with the
 * store: appends are sequential, and what must be random (finding an address, the output
 * an input spends) hits tables sized to stay in memory.
 *
 * Bitcoin layout, DIR/btc/ (format version 3; little-endian; column header below):
 *   blocks.col  160 B  sl_btc_blockrec, in ingest order (block index)
 *   bstart.col   48 B  per block: the counts when it began (inputs, outputs, external
 *                      inputs, segwit txs, address bytes, addresses): what a rollback
 *                      moves the counts back to
 *   txids.col    32 B  per tx id: the txid
 *   txs.col      16 B  per tx id: first input (5 B), first output (5 B), stripped size
 *                      (3 B, bit 23 set for a coinbase), witness bytes (3 B; weight =
 *                      4 x stripped + witness); a tx's inputs/outputs run to the next tx's
 *   outs.col     12 B  per output id: value (7 B, satoshi), address id (4 B, 0 = none),
 *                      script type (1 B)
 *   ins.col       8 B  per input: the spent output as SL_REF(tx id, vout), SL_IN_EXT | k
 *                      (k in extins.col: the prevout is not in the store), or SL_IN_COINBASE
 *   spent.col     5 B  per output id: the spending tx id + 1, 0 = unspent (written in
 *                      place at commit, sorted by output; a mark naming a tx id at or past
 *                      the committed count is not believed)
 *   extins.col   64 B  sl_btc_extin: prev txid/vout and, when a prevout file gave it,
 *                      value, type and address of an input whose prevout is not stored
 *   wtx.col      37 B  (tx id (5 B), wtxid) for segwit txs, ascending by tx id
 *   addrs.col     1 B  the address dictionary's bytes: per address id (from 1), kind (1 B),
 *                      payload length (1 B), payload
 *   addrx.col     8 B  offset in addrs.col of every 16th address id (16k, 16k+1... follow)
 *   addr.map           address -> address id: fingerprints only (fpmap.h)
 *   utxo.map           the writer's map of unspent outputs (utxo.h); readers never open it
 *   runs/t<n>.run      the txid index: sorted runs of (6-byte txid prefix, tx id) (runs.h)
 *   runs/h<n>.run      address histories: per address id its txs and totals (runs.h)
 *
 * Column header (64 bytes): magic "SLEUTHC\0" (8), column format version 1 (4), record
 * size (4), column name NUL-padded (32), reserved (16).
 *
 * LMDB (DIR/index/), database "meta":
 *   "btc"          sl_btc_meta: committed counts of every column, commit number, next run
 *                  file number, network, chain tip. The counts are the commit point: bytes
 *                  past them are ignored (a crashed ingest's leftovers, a rolled-back
 *                  branch) and overwritten by the next ingest.
 *   "btc.runs.t", "btc.runs.h"   the run lists (runs.h manifests)
 *   "btc.runs.a", "btc.acold"    the address table's cold tier: its key runs (48 bits of
 *                  an address's fingerprint -> address id, for ids below acold) and acold
 *                  (u32 SL_STORE_VERSION_ACOLD, u32 0, u64 acold); absent until an ingest with a budget first spills addr.map,
 *                  which then holds only the ids from acold on (btc_store.c)
 *   databases btc.block (block hash -> block index), btc.height (height -> block index)
 *
 * Commit protocol: a batch appends records (buffered, pwrite), finds and adds addresses in
 * addr.map and moves outputs in and out of utxo.map in place, and keeps its txid items,
 * address events and spends in memory. The commit writes them: spent marks into
 * spent.col, one txid run and one history run (merging older runs when the geometric rule
 * says so), fdatasyncs every file it wrote, then commits the LMDB record naming the new
 * counts and runs; run files merged away are deleted after. A kill -9 anywhere leaves the
 * last commit: readers ignore records past the counts and files no commit names; the next
 * writer deletes those files, drops addr.map entries of uncommitted ids, clears spent
 * marks of uncommitted txs and rebuilds utxo.map from the columns when it was left
 * mid-change (it is checkpointed when a writer closes). Disk blocks of files written in
 * place are reserved (posix_fallocate) first, so a full disk is an error at a known file.
 *
 * Snapshots and threads: a handle sees the commit it was opened at or last renewed to
 * (sl_store_snapshot). One handle per thread; any number of reader handles (threads or
 * processes) may be open while one writer ingests. Readers pin nothing a writer needs:
 * run files and rebuilt maps are replaced by rename, and a reader keeps its mapping of the
 * old file until its next snapshot.
 *
 * Ownership: pointers returned by the look-ups (blocks, txids) point into mapped files
 * and stay valid until the next sl_store_snapshot or sl_store_close of the handle.
 */
#ifndef SLEUTH_STORE_H
#define SLEUTH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/btc.h"
#include "sleuth/err.h"

#define SL_STORE_VERSION 3
/* The version word of the "btc.acold" record (the address table's cold tier): a sleuth that
 * predates the cold tier would not find the addresses in it, so it must refuse such a
 * store, and it does: its check wants every commit-record value to start with 3. */
#define SL_STORE_VERSION_ACOLD 4

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

/* ---- Bitcoin records ---- */
#define SL_NONE32 UINT32_MAX
#define SL_IN_COINBASE UINT64_MAX
#define SL_IN_EXT ((uint64_t)1 << 63)
/* (tx id, index) in 64 bits: tx id + 1 in the high 40 bits (39 used: < 5.5e11 txs), the
 * input/output index (< 2^24) in the low 24; 0 is never a valid reference. */
#define SL_REF(tx, idx) ((((uint64_t)(tx) + 1) << 24) | (uint64_t)(idx))
#define SL_REF_TX(r) (((r) >> 24) - 1)
#define SL_REF_IDX(r) ((uint32_t)((r) & 0xffffff))
/* Largest value an output may hold in the store (7 bytes; MAX_MONEY of every supported
 * network is far below). */
#define SL_BTC_MAX_VALUE ((((uint64_t)1) << 56) - 1)

/* blocks.col record (mapped: sl_btc_block_at returns a pointer into the file). */
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

/* A transaction as read from the store: a copy (sl_btc_tx_get). */
typedef struct sl_btc_txrec {
    uint64_t id;        /* the tx id it was read at */
    sl_hash256 txid;
    uint32_t block, size, weight, flags; /* flags: SL_TX_* */
    uint64_t first_in, first_out;
    uint32_t n_in, n_out;
} sl_btc_txrec;
enum { SL_TX_COINBASE = 1, SL_TX_SEGWIT = 2 };

/* An output as read from the store: a copy (sl_btc_out_get). */
typedef struct sl_btc_outrec {
    uint64_t value;
    uint32_t addr;  /* address id, 0 = none */
    uint8_t type;   /* sl_script_type */
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

/* An address's totals and span, worked out from its history (sl_btc_addr_lookup). */
typedef struct sl_btc_addrstat {
    uint32_t id;
    uint64_t n_tx;             /* transactions it took part in */
    uint64_t received, spent;  /* satoshi */
    uint64_t n_out, n_spent;   /* outputs received, outputs spent */
    uint32_t first_time, last_time;
    uint32_t first_block, last_block;
    uint64_t first_tx, last_tx; /* tx ids of its oldest and newest transaction */
} sl_btc_addrstat;

typedef struct sl_btc_meta {
    uint32_t version, reserved;
    uint64_t n_blocks, n_tx, n_in, n_out, seq, n_extin, n_wtx, n_addr, n_abytes, next_run;
    uint32_t chain_tip;     /* block index of the linked chain's tip, SL_NONE32 if none */
    uint32_t max_height_block; /* block index with the greatest height, SL_NONE32 if none */
    char network[32];
} sl_btc_meta;

/* ---- reading (a handle's snapshot; ids past its counts are not found) ---- */
const sl_btc_meta *sl_btc_meta_get(const sl_store *s);
const sl_btc_net *sl_store_btc_net(const sl_store *s);

const sl_btc_blockrec *sl_btc_block_at(const sl_store *s, uint64_t idx);
/* SL_OK with *idx, or SL_ENOTFOUND. */
int sl_btc_block_by_hash(const sl_store *s, const sl_hash256 *h, uint32_t *idx);
int sl_btc_block_by_height(const sl_store *s, uint32_t height, uint32_t *idx);
/* The block index holding tx id (interpolation search over blocks.col). */
uint32_t sl_btc_tx_block(const sl_store *s, uint64_t id);

/* Transaction id (0 <= id < n_tx): the whole record (SL_OK; SL_ENOTFOUND past the
 * snapshot), or one field cheaply. */
int sl_btc_tx_get(const sl_store *s, uint64_t id, sl_btc_txrec *t);
const sl_hash256 *sl_btc_txid(const sl_store *s, uint64_t id);
uint64_t sl_btc_tx_first_in(const sl_store *s, uint64_t id);
uint64_t sl_btc_tx_first_out(const sl_store *s, uint64_t id);
uint32_t sl_btc_tx_n_in(const sl_store *s, uint64_t id);
uint32_t sl_btc_tx_n_out(const sl_store *s, uint64_t id);
bool sl_btc_tx_is_coinbase(const sl_store *s, uint64_t id);
/* Finds the tx ids with this txid (more than one only for the BIP-30 duplicates),
 * ascending. Returns how many were found (0: not found), at most cap stored in ids. */
int sl_btc_tx_find(const sl_store *s, const sl_hash256 *txid, uint64_t *ids, int cap);
/* wtxid of a tx (equals the txid for non-segwit txs). */
void sl_btc_tx_wtxid(const sl_store *s, uint64_t id, sl_hash256 *out);
/* The tx holding global output o / global input i (interpolation search). */
uint64_t sl_btc_tx_of_out(const sl_store *s, uint64_t o);
uint64_t sl_btc_tx_of_in(const sl_store *s, uint64_t i);

/* Output o (< n_out). */
void sl_btc_out_get(const sl_store *s, uint64_t o, sl_btc_outrec *r);
uint64_t sl_btc_out_value(const sl_store *s, uint64_t o);
uint32_t sl_btc_out_addr(const sl_store *s, uint64_t o);
/* Input i (< n_in): the reference as stored (SL_REF, SL_IN_EXT | k, SL_IN_COINBASE). */
uint64_t sl_btc_in_at(const sl_store *s, uint64_t i);
const sl_btc_extin *sl_btc_extin_at(const sl_store *s, uint64_t k);
/* SL_OK with the spending input, or SL_ENOTFOUND when unspent (as far as the store knows). */
int sl_btc_out_spent_by(const sl_store *s, uint64_t o, uint64_t *in);
/* The same as (spending tx id, input index within it). */
int sl_btc_out_spender(const sl_store *s, uint64_t o, uint64_t *tx, uint32_t *vin);
/* The same for output vout of tx id `tx`, given as such: the spending input is found by
 * its stored reference, with no read of other transactions (the fast form). */
int sl_btc_outpoint_spender(const sl_store *s, uint64_t tx, uint32_t vout, uint64_t *stx, uint32_t *vin);
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

/* Addresses: id -> address; address -> totals; an address's transactions. */
int sl_btc_addr_key(const sl_store *s, uint32_t id, sl_btc_addr *a);
/* SL_OK with the id of a (no totals worked out), or SL_ENOTFOUND. */
int sl_btc_addr_id(const sl_store *s, const sl_btc_addr *a, uint32_t *id);
/* SL_OK with a's totals, SL_ENOTFOUND, or an error reading its history. */
int sl_btc_addr_lookup(const sl_store *s, const sl_btc_addr *a, sl_btc_addrstat *st);
/* The same by address id. */
int sl_btc_addr_stats(const sl_store *s, uint32_t id, sl_btc_addrstat *st);
/* The transactions address id took part in (received or spent), newest first: skips the
 * newest `skip`, writes at most cap tx ids to out, returns how many it wrote; *total (may
 * be NULL) gets how many there are. */
size_t sl_btc_addr_txs(const sl_store *s, uint32_t id, uint64_t skip, uint64_t *out, size_t cap, uint64_t *total);
/* Calls fn for each of them, oldest first, until fn returns non-zero (which is returned).
 * SL_ENOMEM when a history cannot be decoded for want of memory. */
int sl_btc_addr_each_tx(const sl_store *s, uint32_t id, int (*fn)(void *ctx, uint64_t tx), void *ctx);

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

/* What the writer needs of a block besides the parse, worked out on any thread
 * (sl_btc_prepare): each output's script type, address and fingerprints, each input's
 * prevout fingerprint. Arrays owned by the struct, reused from block to block. */
typedef struct sl_btc_prep {
    uint8_t *type;          /* per output */
    sl_btc_addr *addr;      /* per output (kind SL_ADDR_NONE: no address) */
    uint64_t (*afp)[2];     /* per output: address fingerprint */
    uint64_t (*ofp)[2];     /* per output: its outpoint's fingerprint */
    uint64_t (*ifp)[2];     /* per input: the prevout's fingerprint */
    size_t cap_out, cap_in;
} sl_btc_prep;
/* The keys the fingerprints are made under (copied from a writer handle by
 * sl_btc_prep_keys, so other threads need not touch the store). */
typedef struct sl_btc_prepkeys { uint64_t k[8]; } sl_btc_prepkeys;
void sl_btc_prep_keys(const sl_store *s, sl_btc_prepkeys *k);
/* Fills p for block b. Thread-safe (reads only k and b). Errors: SL_ENOMEM. */
int sl_btc_prepare(const sl_btc_prepkeys *k, const sl_btc_block *b, sl_btc_prep *p, sl_error *e) SL_MUST_USE;
void sl_btc_prep_free(sl_btc_prep *p);

int sl_btc_begin(sl_store *s, const char *network, sl_error *e) SL_MUST_USE;
/* Makes room in the writer's tables for about `txs` more transactions (an ingest that
 * knows its input's size says so once, instead of growing the tables as it goes). */
int sl_btc_expect(sl_store *s, uint64_t txs, sl_error *e) SL_MUST_USE;
/* Appends a parsed, validated block. prep: from sl_btc_prepare with this store's keys, or
 * NULL (prepared here). height: SL_NONE32 when unknown; flags SL_BLK_*; chainwork as u128
 * (0 when not linked). Errors: SL_ECORRUPT (a double spend, an output spent that cannot
 * be: with the byte offset), SL_ELIMIT (2^32 addresses, a value over SL_BTC_MAX_VALUE),
 * SL_EIO, SL_ENOMEM. After an error the batch must be aborted. */
int sl_btc_append_block(sl_store *s, const sl_btc_block *b, const sl_btc_prep *prep, uint32_t height, uint32_t flags,
                        unsigned __int128 chainwork, sl_btc_prevout_fn pf, void *pctx, sl_error *e) SL_MUST_USE;
/* Bytes of the writer's two tables (addr.map + utxo.map): what an ingest needs in memory
 * for a flat cost per transaction. Writer handles; 0 for readers. */
uint64_t sl_btc_table_bytes(const sl_store *s);
/* Writers: bounds addr.map, the address table's hot tier: to addr_bytes_max bytes when it
 * is not 0, else to what half the ingest's memory budget leaves beside utxo.map (at least
 * an eighth of the budget; budget 0 and addr_bytes_max 0: no bound, every address stays in
 * it). At the start of a batch whose ~batch_txs transactions (~1.25 new addresses each)
 * would take it past the bound, its addresses move into a sorted cold run (a commit of its
 * own) and it starts empty. The cold tier's pages are read-only, so a machine short of
 * memory drops them instead of writing them back; a look-up of an address there costs a
 * Bloom probe per run and, when it is there, a search of one run (no dictionary read). */
void sl_btc_set_budget(sl_store *s, uint64_t budget, uint64_t addr_bytes_max, uint64_t batch_txs);
/* Makes everything appended since sl_btc_begin durable and visible. */
int sl_btc_commit(sl_store *s, sl_error *e) SL_MUST_USE;
/* Drops everything appended since sl_btc_begin (the writer's tables are undone). */
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
 * Any depth (the store keeps every block's records; nothing is pruned): the in-place
 * structures are inverted from the removed blocks' own records, the run sets are cut
 * (runs.h). One commit: a kill -9 leaves the store before or after the rollback. Nothing to do (SL_OK, 0
 * removed) when no block is above height. Errors: SL_ECONFLICT, SL_ENOTFOUND (no
 * Bitcoin-family blocks), SL_EUSAGE (read-only handle), and the commit's. Writer handle
 * only, no batch open. */
int sl_btc_rollback(sl_store *s, uint32_t height, sl_btc_rollback_report *r, sl_error *e) SL_MUST_USE;
/* Removes every block stored at or after block index `cut` (in ingest order), exactly as
 * sl_btc_rollback does: what an ingest that fails part-way uses to leave the store as it
 * found it. Writer handle, no batch open. */
int sl_btc_truncate(sl_store *s, uint32_t cut, sl_error *e) SL_MUST_USE;

#endif
