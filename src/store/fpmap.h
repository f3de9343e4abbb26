/* fpmap.h — private to the store: a persistent map from keys (Bitcoin addresses; any
 * byte string) to dense 32-bit ids, one memory-mapped file that holds only the keys'
 * fingerprints (fp.h), never the keys. 16 bytes per entry; with the fill kept between
 * 0.57 and 0.85 that is 19-28 bytes per key, so the whole map of a chain stays in memory
 * and an ingest finds an address with one cache-line read, with no key comparison: the
 * fingerprint is 61 bits of h1 plus 31 bits of h2 (92 bits; two different keys share one
 * with probability ~2^-92 each, ~1e-10 over the 1.5 billion addresses of Bitcoin). A
 * reader that must be certain compares the key of the id it got (the store does).
 *
 * File layout (little-endian):
 *   0   8  magic "SLEUTHF\0"        8  4  format version (3)      12 4  slot bytes (16)
 *   16 32  fingerprint key (fp.h; random, chosen when the file is made)
 *   48  8  buckets                  56 8  used slots (live + removed) at the last checkpoint
 *   64  8  covered: every id below it is in the map      72 4  dirty (a writer has it open)
 *   128 .. buckets of 64 bytes: 4 slots of {u64 h1 + 1 (0 = empty), u64 (h2 & 2^31-1) << 32
 *          | id}; id 0xFFFFFFFF marks a removed entry (its slot stays taken until the next
 *          rebuild, so probes run past it)
 * A key's probe starts at bucket sl_fp_pos(h1, buckets) and runs through the following
 * buckets (wrapping) until an empty slot. Growth rewrites the map into NAME.map.new with
 * 1.5x the buckets (from the entries' own h1: no key is re-read), fsyncs it and renames it
 * over the old file; a reader keeps its old mapping until it refreshes.
 *
 * Crash safety: slots are written in place without msync; the writer's checkpoint msyncs
 * them and records `covered`. A writer that opens a map left dirty calls sl_fpmap_purge
 * (drops the entries of ids past the committed count, which an interrupted batch may have
 * left) and re-inserts the committed ids from `covered` on (the caller has their keys).
 *
 * Threads: one writer; readers may probe while it inserts (a slot's id word is written
 * before its h1 word, both with 8-byte stores: a reader that sees h1 sees the id).
 */
#ifndef SLEUTH_STORE_FPMAP_H
#define SLEUTH_STORE_FPMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fp.h"
#include "sleuth/err.h"

#define SL_FPMAP_NONE UINT32_MAX /* "no id" from a look-up; also the removed mark */
#define SL_FPMAP_HEADER 128

typedef struct sl_fpmap {
    int fd;
    bool rw;
    uint8_t *map;
    size_t map_len;
    uint64_t *slots; /* 2 words per slot, 8 per bucket */
    uint64_t nb;     /* buckets */
    uint64_t used;   /* slots taken (live and removed) */
    uint64_t gen;    /* growths since opened (sl_fpmap_unadd is only for entries added since the last) */
    sl_fpkey key;
    ino_t ino;
    char path[512];
} sl_fpmap;

/* Opens DIR/NAME.map; a writer creates it (random key, 1024 buckets) when missing and
 * marks it dirty. Errors: SL_ENOTFOUND (reader, no file), SL_EIO, SL_ESTORE (not a map),
 * SL_EVERSION. */
int sl_fpmap_open(sl_fpmap *m, const char *dir, const char *name, bool rw, sl_error *e) SL_MUST_USE;
void sl_fpmap_close(sl_fpmap *m);
/* The map's fingerprint of n bytes. */
static inline sl_fp sl_fpmap_hash(const sl_fpmap *m, const void *k, size_t n) { return sl_fp_bytes(&m->key, k, n); }
/* Hints the CPU to load the bucket where h's probe starts (before a batch of look-ups). */
static inline void sl_fpmap_prefetch(const sl_fpmap *m, sl_fp h)
{
    __builtin_prefetch(m->slots + 8 * sl_fp_pos(h.h1, m->nb));
}
/* The id stored under fingerprint h, or SL_FPMAP_NONE. */
uint32_t sl_fpmap_find(const sl_fpmap *m, sl_fp h);
/* Writers: finds h; when absent stores it with id new_id. *added says which. The caller
 * made room first (sl_fpmap_reserve). */
uint32_t sl_fpmap_upsert(sl_fpmap *m, sl_fp h, uint32_t new_id, bool *added);
/* Writers: takes back the latest insertion (h, id) exactly, leaving the slot empty as it
 * was: valid only in reverse order of insertion and with no growth since (gen unchanged),
 * so an aborted batch leaves the file as it found it. False when there is none. */
bool sl_fpmap_unadd(sl_fpmap *m, sl_fp h, uint32_t id);
/* Writers: marks the entry (h, id) removed. False when there is none. */
bool sl_fpmap_remove(sl_fpmap *m, sl_fp h, uint32_t id);
/* Writers: room for `more` further insertions (grows the file when the fill would pass
 * 0.85). Errors: SL_EIO (disk full: said in words), SL_ENOMEM. */
int sl_fpmap_reserve(sl_fpmap *m, uint64_t more, sl_error *e) SL_MUST_USE;
/* Writers: marks every entry with id >= n removed (after a crash or an aborted batch);
 * returns how many. Reads the whole file. */
uint64_t sl_fpmap_purge(sl_fpmap *m, uint64_t n);
uint64_t sl_fpmap_covered(const sl_fpmap *m);
bool sl_fpmap_dirty(const sl_fpmap *m);
/* Writers: msyncs the slots, then records covered and (clean) not dirty. */
int sl_fpmap_checkpoint(sl_fpmap *m, uint64_t covered, bool clean, sl_error *e) SL_MUST_USE;
/* Readers: re-opens the file when a writer replaced it (growth). */
int sl_fpmap_refresh(sl_fpmap *m, sl_error *e) SL_MUST_USE;
/* Bytes of memory the map needs for n keys at the highest fill (for memory budgets). */
uint64_t sl_fpmap_bytes_for(uint64_t n);

#endif
