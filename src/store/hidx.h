/* hidx.h — private to the store: a persistent hash index, one memory-mapped file of
 * 8-byte slots mapping a key's keyed hash to the dense ids whose records hold the key
 * (txids -> tx ids, addresses -> address ids). The key bytes are not in the index: a
 * caller checks every candidate id against its column, so a slot that points at an id
 * which no longer holds that key (an aborted batch, a rollback) is merely skipped.
 *
 * File layout (little-endian):
 *   0   8  magic "SLEUTHH\0"       8  4  format version (2)     12 4  reserved
 *   16 16  SipHash key (random, chosen when the file is created: chain data is attacker-
 *          chosen, so slot positions must not be predictable)
 *   32  8  slots (a power of two)  40 8  covered: every id below it is certainly indexed
 *   48  8  used slots at the last checkpoint   56 4  dirty (a writer has it open)
 *   64 ..  slots: 0 = empty, else tag (24 bits of the hash) << 40 | (id + 1)
 *
 * Linear probing; at most half the slots are used (the writer rebuilds into a file of
 * twice the slots, from the columns, and renames it over the old one). Writers insert in
 * place without msync; a checkpoint msyncs and moves `covered`, and a writer that opens a
 * file left dirty re-inserts the ids from `covered` on (they are derivable from the
 * columns, so the index is never the only copy of anything).
 *
 * Threads: one writer; readers may probe while the writer inserts (slots are written
 * with single aligned 8-byte stores). */
#ifndef SLEUTH_STORE_HIDX_H
#define SLEUTH_STORE_HIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sleuth/err.h"

#define SL_HIDX_HEADER 64

typedef struct sl_hidx {
    int fd;
    bool rw;
    uint8_t *map;
    size_t map_len;
    uint64_t *slot, mask, used;
    uint8_t key[16];
    ino_t ino;
    uint64_t *undo; /* slots filled since sl_hidx_mark (writers) */
    size_t nundo, capundo;
    char path[512];
} sl_hidx;

/* Opens DIR/NAME.idx; a writer creates it (random key, 2^16 slots) when missing and
 * marks it dirty. Errors: SL_ENOTFOUND (reader, no file), SL_EIO, SL_ESTORE/SL_EVERSION. */
int sl_hidx_open(sl_hidx *h, const char *dir, const char *name, bool rw, sl_error *e) SL_MUST_USE;
void sl_hidx_close(sl_hidx *h);
/* The file's keyed hash of n bytes (SipHash-2-4 with the file's key). */
uint64_t sl_hidx_hash(const sl_hidx *h, const void *k, size_t n);
/* Inserts (hash, id) unless that very pair is there. The caller grows the index first
 * (sl_hidx_need_grow). */
void sl_hidx_insert(sl_hidx *h, uint64_t hash, uint64_t id);
static inline bool sl_hidx_need_grow(const sl_hidx *h, uint64_t more) { return (h->used + more) * 2 > h->mask + 1; }
/* Rewrites the index with at least 2 * (n + more) slots from ids 0..n-1, hash_of giving
 * each id's hash; crash-safe (a temporary file renamed over the old one). */
int sl_hidx_rebuild(sl_hidx *h, uint64_t n, uint64_t more, uint64_t (*hash_of)(void *ctx, uint64_t id), void *ctx,
                    sl_error *e) SL_MUST_USE;
/* Writers: sl_hidx_mark starts a batch; sl_hidx_undo empties the slots filled since, so an
 * aborted batch leaves the file as it was (unless the batch rebuilt the index: the new
 * file then keeps the batch's ids, which readers skip as past the committed counts). */
void sl_hidx_mark(sl_hidx *h);
void sl_hidx_undo(sl_hidx *h);
/* Header fields. */
uint64_t sl_hidx_covered(const sl_hidx *h);
bool sl_hidx_dirty(const sl_hidx *h);
/* Writers: msyncs the slots, then records covered and clean (at close and checkpoints). */
int sl_hidx_checkpoint(sl_hidx *h, uint64_t covered, bool clean, sl_error *e) SL_MUST_USE;
/* Readers: re-opens the file when a writer replaced it (rebuild). */
int sl_hidx_refresh(sl_hidx *h, sl_error *e) SL_MUST_USE;

/* Probing: for (uint64_t i = sl_hidx_first(h, hash), id; sl_hidx_next(h, hash, &i, &id);) */
static inline uint64_t sl_hidx_first(const sl_hidx *h, uint64_t hash) { return hash & h->mask; }
static inline bool sl_hidx_next(const sl_hidx *h, uint64_t hash, uint64_t *i, uint64_t *id)
{
    uint64_t tag = hash >> 40;
    for (;;) {
        uint64_t v = __atomic_load_n(&h->slot[*i], __ATOMIC_ACQUIRE);
        if (!v) return false;
        *i = (*i + 1) & h->mask;
        if ((v >> 40) == tag) { *id = (v & (((uint64_t)1 << 40) - 1)) - 1; return true; }
    }
}

#endif
