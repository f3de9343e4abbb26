/* utxo.h — private to the store: the Bitcoin writer's map of unspent outputs, outpoint
 * (txid, vout) -> (output id, value, address id, script type), in one memory-mapped file
 * (DIR/btc/utxo.map) that lives across ingests.
 *
 * Why: an ingest resolves every input to the output it spends. Asking the txid index and
 * the columns for it costs several random reads over the whole store per input, which is
 * what made format 2's cost grow with the chain. This map holds only what is unspent
 * (~180 million outputs at Bitcoin's peak, ~0.3 per transaction of the generated chain),
 * 32 bytes each, so a spend is one probe of a table that stays in memory, and the output's
 * value and address come with it (the store's columns are not read).
 *
 * Entries are keyed by a 93-bit fingerprint of the outpoint (fp.h: h1 whole, 32 bits of
 * h2: two live outpoints share one with probability ~2^-93 each); linear probing over 32-byte slots from sl_fp_pos(h1, slots), fill at most 0.75,
 * grown by 1.5x into a new file (renamed over the old one); a taken entry is deleted by
 * shifting its successors back (no tombstones).
 *
 * File layout (little-endian):
 *   0   8  magic "SLEUTHU\0"      8  4  format version (3)     12 4  slot bytes (32)
 *   16 32  fingerprint key        48 8  slots                  56 8  entries
 *   64  8  the commit (meta seq) whose state the file holds    72 4  valid
 *   80  8  txs whose spent marks (spent.col) were synced with the last checkpoint
 *   128 .. slots {h1 + 1 (0 = empty), value | type << 56, tx id | vout << 40,
 *          address id | (h2 & 2^32-1) << 32}
 *
 * Crash safety: the writer marks the file invalid (synced) before its first change of a
 * session, and valid for commit seq after msync at close. A writer that finds it invalid,
 * or valid for another commit, rebuilds it from the columns (a scan of every output's
 * spent mark: seconds per 100 million outputs). An aborted batch or a rollback undoes its
 * changes entry by entry (the store's rollback code), so only a crash costs a rebuild.
 * Threads: the writer's thread only; readers never open it.
 */
#ifndef SLEUTH_STORE_UTXO_H
#define SLEUTH_STORE_UTXO_H

#include <stdbool.h>
#include <stdint.h>

#include "fp.h"
#include "sleuth/err.h"

#define SL_UTXO_HEADER 128

typedef struct sl_utxo_ent {
    uint64_t tx;    /* tx id of the output (< 2^40) */
    uint32_t vout;  /* its index in the tx (< 2^24) */
    uint64_t value; /* satoshi (< 2^56) */
    uint32_t addr;  /* address id, 0 = none */
    uint8_t type;   /* sl_script_type */
} sl_utxo_ent;

typedef struct sl_utxo {
    int fd;
    uint8_t *map;
    size_t map_len;
    uint64_t *slots; /* 4 words per slot */
    uint64_t n, used;
    bool marked;     /* invalid mark written this session */
    sl_fpkey key;
    char path[512];
} sl_utxo;

/* Opens (creating when missing) DIR/utxo.map. Errors: SL_EIO, SL_ESTORE, SL_EVERSION. */
int sl_utxo_open(sl_utxo *u, const char *dir, sl_error *e) SL_MUST_USE;
void sl_utxo_close(sl_utxo *u);
/* True when the file holds the state of commit seq. */
bool sl_utxo_valid_for(const sl_utxo *u, uint64_t seq);
/* Empties the map (sized for `expect` entries), for a rebuild. */
int sl_utxo_reset(sl_utxo *u, uint64_t expect, sl_error *e) SL_MUST_USE;
/* Before the first change of a session: records "invalid" on disk (fdatasync). */
int sl_utxo_mark_changing(sl_utxo *u, sl_error *e) SL_MUST_USE;
/* msyncs the map, then records it valid for commit seq, whose first n_tx txs' spent marks
 * the caller has synced. */
int sl_utxo_checkpoint(sl_utxo *u, uint64_t seq, uint64_t n_tx, sl_error *e) SL_MUST_USE;
/* The n_tx of the last checkpoint: spent marks of txs below it are on disk. */
uint64_t sl_utxo_marks_synced(const sl_utxo *u);

static inline sl_fp sl_utxo_hash(const sl_utxo *u, const uint8_t txid[32], uint32_t vout)
{
    return sl_fp_outpoint(&u->key, txid, vout);
}
static inline void sl_utxo_prefetch(const sl_utxo *u, sl_fp h) { __builtin_prefetch(u->slots + 4 * sl_fp_pos(h.h1, u->n)); }
/* Room for `more` insertions (grows the file). Errors: SL_EIO (disk full, in words). */
int sl_utxo_reserve(sl_utxo *u, uint64_t more, sl_error *e) SL_MUST_USE;
/* Inserts the entry under h, replacing one already there (a BIP-30 duplicate txid). */
void sl_utxo_put(sl_utxo *u, sl_fp h, const sl_utxo_ent *v);
/* Finds h: copies the entry to *v and deletes it. False when absent. */
bool sl_utxo_take(sl_utxo *u, sl_fp h, sl_utxo_ent *v);
/* Finds h without deleting it. */
bool sl_utxo_get(const sl_utxo *u, sl_fp h, sl_utxo_ent *v);

#endif
