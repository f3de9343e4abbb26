/* runs.h — private to the store: the log-structured indexes of a chain, each a set of
 * immutable sorted run files that an ingest appends to and merges, so no index is ever
 * updated in place (format 2 updated a hash index and a per-address record per output,
 * random writes over the whole store; these only write sequentially).
 *
 * Three kinds of run set, each a folder of files DIR/<prefix><n>.run:
 *   keys (SL_RUNS_KEYS)  items (key, id) sorted by key: the txid index, key = the first 6
 *                        bytes of the txid as stored (big-endian: uniform, so a look-up is
 *                        an interpolation search), id = the tx id. 11 bytes an item.
 *   keyc (SL_RUNS_KEYC)  as keys, with an 8-byte value instead of the id: id | check << 32
 *                        (the address table's cold tier: key = 48 bits of the address's
 *                        fingerprint h1, check = 32 bits of its h2, so a look-up compares
 *                        80 bits and reads no dictionary record). 14 bytes an item; ranges
 *                        and cuts are about the id (the value's low 32 bits).
 *   hist (SL_RUNS_HIST)  per address id, the ids of the transactions it took part in
 *                        (received or spent) in ascending order, with the address's totals
 *                        in them (received, spent, outputs received, outputs spent). The
 *                        format lets an entry of fewer than SL_HIST_STATS_MIN txs leave its
 *                        totals out (the caller works them out: stats_fn); with the minimum
 *                        at 1 every entry keeps them (~9 bytes an entry: a look-up or a
 *                        merge then reads no transaction, which cost more than it saved).
 *   sums (SL_RUNS_SUMS)  per 64-bit key (the Ethereum store: account id << 32 | asset id),
 *                        two counts and two 256-bit sums (received, sent) and the least and
 *                        greatest of a value (block times) over the run's ids: a merge adds
 *                        the counts and sums and keeps the least and greatest, so a key's
 *                        totals are those of its entries in all runs.
 *
 * Every run covers a range [lo, hi) of tx ids; the runs of a set are ordered and their
 * ranges are adjacent (run i's hi is run i+1's lo), because a commit adds one run for its
 * own transactions and a merge joins runs next to each other (the newest ones, whenever a
 * run is less than SL_RUNS_FACTOR times the size of all newer runs together: the sizes
 * form a geometric series, so a set of N transactions written in batches of B holds about
 * log3(N / B) runs and each item is rewritten about as many times).
 *
 * Run file (little-endian; varints are LEB128), a 128-byte header:
 *   0  8 magic "SLEUTHR\0"   8  4 version (4)   12 4 kind (1 keys, 2 hist)
 *   16 8 lo                  24 8 hi            32 8 keys (addresses)   40 8 items
 *   48 8 payload offset      56 8 directory offset   64 4 directory kind (0 sparse, 1 dense)
 *   120 8 trailer: the magic again, written last (a short file is refused)
 * Hist runs: directory (dense: before the payload; sparse: after it):
 *         dense: u32 first address, u32 count, then count + 1 offsets (5 bytes each, into
 *         the payload; an address's entry runs to the next offset, empty when absent);
 *         sparse: u32 count, then count x (u32 address, 5-byte offset), then the end offset
 *   payload: per address, varint (n << 1 | has totals), varint (first tx - lo), n - 1
 *         varints (tx - previous tx - 1), then when it has totals: varints received,
 *         spent, outputs received, outputs spent
 * Keys runs: the payload is the items, a 6-byte key (big-endian) and a 5-byte id
 * (little-endian) each, ascending by key then id; no directory. Keyc runs: the same with
 * an 8-byte value (little-endian) instead of the id, ascending by key then value.
 * Sums runs (header: keys = entries, items = the sum of their counts):
 *   payload: per key in ascending order, varint (key - previous key; 0 before the first),
 *         varints na, nb (the counts), the sums a and b, each as a length byte n (0..32) and
 *         n bytes little-endian (no trailing zero bytes), varints vmin, vmax - vmin
 *   directory (after the payload): u32 blocks, then per block of 32 entries the key of
 *         the entry before it (u64, 0 for the first) and its offset (5 bytes), then the
 *         end offset (5 bytes): a look-up decodes from the block that can hold its key.
 *
 * The list of a set's runs (the manifest, sl_runs_manifest) is part of the chain's commit
 * record: a run file is written and fsynced before the commit that names it, and deleted
 * after the commit that stops naming it; files no commit names (a crash between the two)
 * are deleted by the next writer (sl_runs_collect).
 *
 * Threads: a set belongs to one handle. Readers' sets map the files read-only; a reader
 * keeps the files of its snapshot mapped until it moves on (sl_runs_load again).
 */
#ifndef SLEUTH_STORE_RUNS_H
#define SLEUTH_STORE_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"

#define SL_RUNS_MAX 48
#define SL_RUNS_FACTOR 3
#define SL_HIST_STATS_MIN 1 /* entries of at least this many txs keep their totals (1: all) */
enum { SL_RUNS_KEYS = 1, SL_RUNS_HIST = 2, SL_RUNS_SUMS = 3, SL_RUNS_KEYC = 4 };

typedef struct sl_run {
    uint64_t file;          /* the n of <prefix><n>.run */
    uint64_t lo, hi;        /* tx ids covered */
    uint64_t keys, items, bytes;
    /* mapping (open runs) */
    int fd;
    const uint8_t *map;
    size_t len;
    const uint8_t *dir, *payload;
    uint32_t amin, dcount;  /* hist directory: dense first address / count, or sparse count */
    bool dense;
    uint64_t bloom_blocks;  /* keys runs: 64-byte blocks of the filter at dir (0: none) */
} sl_run;

typedef struct sl_runs {
    char dir[512];
    char prefix[8];
    int kind;
    sl_run r[SL_RUNS_MAX];
    int n;
    void *tmp;      /* the writer's sort scratch, kept from commit to commit */
    size_t tmpcap;
} sl_runs;

/* An address's totals in some transactions. */
typedef struct sl_hist_stats {
    uint64_t received, spent, n_out, n_spent;
} sl_hist_stats;
/* The caller's totals of address `addr` over the transactions txs[0..n) (the columns
 * hold them). Returns SL_OK or an error code. */
typedef int (*sl_hist_stats_fn)(void *ctx, uint32_t addr, const uint64_t *txs, size_t n, sl_hist_stats *st);

/* One event of a batch (hist sets): address addr received (spent = false) or spent
 * `amount` in tx id `tx`. */
typedef struct sl_hist_ev {
    uint32_t addr;
    uint32_t txrel;     /* tx id - the batch's first tx id */
    uint64_t amt;       /* amount | SL_HIST_SPENT */
} sl_hist_ev;
#define SL_HIST_SPENT ((uint64_t)1 << 63)

/* ---- the set and its manifest ---- */
/* An empty set of the given kind over folder dir (file names prefix<n>.run). */
void sl_runs_init(sl_runs *rs, const char *dir, const char *prefix, int kind);
/* The manifest in its commit-record form: u32 format version, u32 count, then count x 48
 * bytes (file, lo, hi, keys, items, bytes). *len gets its size (at most
 * sl_runs_manifest_max()). */
size_t sl_runs_manifest_max(void);
void sl_runs_manifest(const sl_runs *rs, uint8_t *out, size_t *len);
/* Makes rs the set a manifest names, opening (mapping) its files; runs already open in
 * rs are kept. Errors: SL_ESTORE (malformed manifest, a named file missing or short), SL_EIO. */
int sl_runs_load(sl_runs *rs, const uint8_t *m, size_t len, sl_error *e) SL_MUST_USE;
void sl_runs_close(sl_runs *rs);
/* Writers: deletes the set's files that no run of rs names (after a crash). */
void sl_runs_collect(const sl_runs *rs);
/* Bytes of all runs. */
uint64_t sl_runs_bytes(const sl_runs *rs);

/* ---- writing (one writer; the caller commits the manifest) ---- */
/* An item of a keys set: key (< 2^48) and id (< 2^40); of a keyc set: key and the value
 * id | check << 32 (id < 2^32). */
typedef struct sl_runs_kv { uint64_t key, id; } sl_runs_kv;
/* Adds a keys run for tx ids [lo, hi) from items in ascending id order, sorted here by key
 * (stable; the array is reordered); n may be 0 (an empty run is not added). *file_no is
 * the next file number (advanced). Errors: SL_EIO (disk full, in words), SL_ENOMEM. */
int sl_runs_add_keys(sl_runs *rs, uint64_t lo, uint64_t hi, sl_runs_kv *items, size_t n, uint64_t *file_no,
                     sl_error *e) SL_MUST_USE;
/* The same from a source that gives the n items already in ascending (key, value) order,
 * in chunks: next(ctx, out, cap) writes up to cap items into out and returns how many (0:
 * none left); no memory of the run's size is needed (the address table's spill). Errors as
 * sl_runs_add_keys; SL_ESTORE when the source gives fewer than n. */
int sl_runs_add_keys_from(sl_runs *rs, uint64_t lo, uint64_t hi, size_t n,
                          size_t (*next)(void *ctx, sl_runs_kv *out, size_t cap), void *ctx, uint64_t *file_no,
                          sl_error *e) SL_MUST_USE;
/* Adds a hist run for tx ids [lo, hi) from the batch's events (reordered: sorted by address,
 * stable, so each address's events stay in tx order). */
int sl_runs_add_hist(sl_runs *rs, uint64_t lo, uint64_t hi, sl_hist_ev *ev, size_t n, uint64_t *file_no,
                     sl_error *e) SL_MUST_USE;
/* Merges the newest runs while the geometric rule asks for it (hist sets may call
 * stats_fn for entries that cross SL_HIST_STATS_MIN). *dropped gets the file numbers of the
 * runs merged away (delete them after the commit: sl_runs_unlink), *ndropped their count. */
int sl_runs_maintain(sl_runs *rs, uint64_t *file_no, sl_hist_stats_fn fn, void *ctx, uint64_t *dropped,
                     int *ndropped, sl_error *e) SL_MUST_USE;
/* Removes every item of a tx id >= cut: runs starting at or after it are dropped, the run
 * holding it is rewritten (hist: each total loses what fn says the removed txs gave the
 * address). Dropped file numbers as for sl_runs_maintain. */
int sl_runs_cut(sl_runs *rs, uint64_t cut, uint64_t *file_no, sl_hist_stats_fn fn, void *ctx, uint64_t *dropped,
                int *ndropped, sl_error *e) SL_MUST_USE;
void sl_runs_unlink(const sl_runs *rs, const uint64_t *files, int n);

/* ---- reading ---- */
/* Keys: calls fn(ctx, id) for every item whose key is key48 (candidates: the caller checks
 * the full key), in every run; keyc sets give the value (id | check << 32). */
void sl_runs_find_key(const sl_runs *rs, uint64_t key48, void (*fn)(void *ctx, uint64_t id), void *ctx);

/* Hist: the transactions of address addr. */
typedef struct sl_hist_part {
    const uint8_t *p, *end; /* the entry after its header */
    uint64_t n, lo;
    bool has_stats;
} sl_hist_part;
/* The address's entry in each run, oldest run first, into parts (at most SL_RUNS_MAX);
 * returns how many runs hold it. */
int sl_runs_hist_parts(const sl_runs *rs, uint32_t addr, sl_hist_part *parts);
/* Decodes a part's tx ids into out[0..part->n) (the caller sized it), and its totals when
 * it has them. */
void sl_hist_part_txs(const sl_hist_part *part, uint64_t *out);
bool sl_hist_part_stats(const sl_hist_part *part, sl_hist_stats *st);
/* The part's first and last tx id (decoding it once, without storing its txs). */
void sl_hist_part_ends(const sl_hist_part *part, uint64_t *first, uint64_t *last);
/* Decodes a part one id at a time without a buffer (for histories too long to copy):
 * it = sl_hist_iter_of(part); while (sl_hist_iter_next(&it, &tx)) ...; a copy of an
 * iterator resumes from where the copy was made. */
typedef struct sl_hist_iter {
    const uint8_t *p, *end;
    uint64_t left, t, lo;
    bool started;
} sl_hist_iter;
sl_hist_iter sl_hist_iter_of(const sl_hist_part *part);
bool sl_hist_iter_next(sl_hist_iter *it, uint64_t *tx);

/* ---- sums sets ---- */
/* One key's entry (a run's, or a batch's item): two counts, two 256-bit sums
 * (little-endian words), the least and greatest value seen (vmin > vmax: none). A key is
 * present while na + nb > 0. */
typedef struct sl_sum_item {
    uint64_t key, na, nb;
    uint64_t a[4], b[4];
    uint64_t vmin, vmax;
} sl_sum_item;
/* Folds x into r (counts and sums added, span widened); false when a sum passes 2^256 - 1. */
bool sl_sum_add(sl_sum_item *r, const sl_sum_item *x) SL_MUST_USE;
/* A rollback cut's helpers. removed: the items ids [lo, hi) gave (what the run holding the
 * cut loses): *items belongs to the caller and stays valid until the cut returns (which may
 * reorder it); any order, keys may repeat. span: sets vmin and vmax of each of the n items
 * (ascending keys) to the least and greatest value over ids [lo, hi) (vmin = UINT64_MAX,
 * vmax = 0 when none), which the cut cannot work out from what it takes off. Both return
 * SL_OK or an error code. */
typedef int (*sl_sums_removed_fn)(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item **items, size_t *n);
typedef int (*sl_sums_span_fn)(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item *items, size_t n);
/* Adds a sums run for ids [lo, hi) from a batch's items (reordered: sorted by key; items
 * with one key are folded). Errors: SL_ELIMIT (a sum above 2^256 - 1), SL_EIO, SL_ENOMEM. */
int sl_runs_add_sums(sl_runs *rs, uint64_t lo, uint64_t hi, sl_sum_item *items, size_t n, uint64_t *file_no,
                     sl_error *e) SL_MUST_USE;
/* As sl_runs_cut for a sums set: the run holding cut is rewritten less what `removed`
 * says its ids >= cut added (keys whose counts fall to 0 disappear), with the spans of the
 * keys they touched given by `span` over its ids below cut. */
int sl_runs_cut_sums(sl_runs *rs, uint64_t cut, uint64_t *file_no, sl_sums_removed_fn removed, sl_sums_span_fn span,
                     void *ctx, uint64_t *dropped, int *ndropped, sl_error *e) SL_MUST_USE;
/* Every key whose high 32 bits are hi32, its entries folded over the runs, in ascending
 * key order: *out allocated (sl_malloc; NULL when *n is 0), freed by the caller. SL_OK,
 * SL_ENOMEM (*out NULL), or SL_ELIMIT when a sum over the runs passes 2^256 - 1 (the
 * entries are given all the same, counts and spans right, that sum wrapped). */
int sl_runs_sums_get(const sl_runs *rs, uint32_t hi32, sl_sum_item **out, size_t *n) SL_MUST_USE;

#endif
