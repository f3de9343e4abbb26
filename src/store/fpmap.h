/* fpmap.h — private to the store: a persistent map from keys (Bitcoin addresses,
 * Ethereum accounts; any byte string) to dense 32-bit ids, one memory-mapped file that
 * holds only the keys' fingerprints (fp.h), never the keys.
 *
 * 12 bytes an entry, in 64-byte buckets of five; with the fill kept between 0.6 and 0.9
 * that is 13-20 bytes a key, so a chain's whole map stays in memory (Bitcoin's 1.5
 * billion addresses: ~24 GB) and an ingest finds an address with one cache-line read and
 * no key comparison. A key's bucket comes from h2 and the slot keeps h1 (61 bits): two
 * different keys are taken for one only if their h1 agree and one lies in the other's
 * probe range, probability ~2^-61 per compared entry (~1e-8 over all of Bitcoin's
 * look-ups). A reader that must be certain compares the key of the id it got (the store
 * does). The slot does not hold h2, so growing the map re-reads the keys (ids in
 * ascending order) through the key function its owner registers (sl_fpmap_set_keys).
 *
 * File layout (little-endian):
 *   0   8  magic "SLEUTHF\0"        8  4  format version (4)      12 4  slot bytes (12)
 *   16 32  fingerprint key (fp.h; random, chosen when the file is made)
 *   48  8  buckets                  56 8  used slots (live + removed) at the last checkpoint
 *   64  8  covered: every id below it is in the map      72 4  dirty (a writer has it open)
 *   80  8  base: the map holds ids from base on only (0 in maps older than the field: all);
 *          the ids below it live in the owner's sorted runs (btc_store.c's cold tier)
 *   128 .. buckets of 64 bytes: five u64 h1 + 1 (0 = empty), then five u32 ids
 *          (0xFFFFFFFF marks a removed entry: its slot stays taken until the next growth,
 *          so probes run past it), then 4 bytes of padding
 * A key's probe starts at bucket sl_fp_pos(h2, buckets) and runs through the following
 * buckets (wrapping) until an empty slot. Growth writes the map anew into NAME.map.new
 * with 1.5x the buckets, fsyncs it and renames it over the old one; a reader keeps its old
 * mapping until it refreshes.
 *
 * Crash safety: slots are written in place without msync; the writer's checkpoint msyncs
 * them and records `covered`. A writer that opens a map left dirty calls sl_fpmap_purge
 * (drops the entries of ids past the committed count, which an interrupted batch may have
 * left) and re-inserts the committed ids from `covered` on (the caller has their keys).
 *
 * Threads: one writer; readers may probe while it inserts (a slot's id is written before
 * its h1 word, both aligned stores: a reader that sees h1 sees the id).
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

/* The owner's keys, for growth: the number of ids (every id below it that has a key is
 * in the map), and the key bytes of id (asked in ascending order; NULL and *len 0 for an
 * id that has none, such as reserved ids). The bytes must stay valid until the next call. */
typedef uint64_t (*sl_fpmap_count_fn)(void *ctx);
typedef const void *(*sl_fpmap_key_fn)(void *ctx, uint32_t id, size_t *len);

typedef struct sl_fpmap {
    int fd;
    bool rw;
    uint8_t *map;
    size_t map_len;
    uint8_t *buckets;
    uint64_t nb;     /* buckets */
    uint64_t used;   /* slots taken (live and removed) */
    uint64_t base;   /* the first id the map holds (header) */
    uint64_t gen;    /* growths since opened (sl_fpmap_unadd is only for entries added since the last) */
    sl_fpkey key;
    ino_t ino;
    sl_fpmap_count_fn count;
    sl_fpmap_key_fn keyof;
    void *kctx;
    char path[512];
} sl_fpmap;

/* Opens DIR/NAME.map; a writer creates it (random key, 1024 buckets) when missing and
 * marks it dirty. Errors: SL_ENOTFOUND (reader, no file), SL_EIO, SL_ESTORE (not a map),
 * SL_EVERSION. */
int sl_fpmap_open(sl_fpmap *m, const char *dir, const char *name, bool rw, sl_error *e) SL_MUST_USE;
void sl_fpmap_close(sl_fpmap *m);
/* Writers: the key source growth reads from (must be set before sl_fpmap_reserve grows). */
void sl_fpmap_set_keys(sl_fpmap *m, sl_fpmap_count_fn count, sl_fpmap_key_fn keyof, void *ctx);
/* The map's fingerprint of n bytes. */
static inline sl_fp sl_fpmap_hash(const sl_fpmap *m, const void *k, size_t n) { return sl_fp_bytes(&m->key, k, n); }
/* Hints the CPU to load the bucket where h's probe starts (before a batch of look-ups). */
static inline void sl_fpmap_prefetch(const sl_fpmap *m, sl_fp h)
{
    __builtin_prefetch(m->buckets + 64 * sl_fp_pos(h.h2, m->nb));
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
/* Writers: room for `more` further insertions (grows the file, from the keys, when the
 * fill would pass 0.9). Errors: SL_EIO (disk full: said in words), SL_ENOMEM, SL_ESTORE
 * (no key source set, or it lacks a key the map holds). */
int sl_fpmap_reserve(sl_fpmap *m, uint64_t more, sl_error *e) SL_MUST_USE;
/* Writers: replaces the map by an empty one (same key) holding ids from base on, sized
 * for `more` insertions; written whole and renamed over the old file, so a kill leaves
 * one or the other and a reader keeps its mapping of the old one until it refreshes.
 * covered becomes base; the map stays dirty. Errors: SL_EIO (disk full: said in words). */
int sl_fpmap_reset(sl_fpmap *m, uint64_t base, uint64_t more, sl_error *e) SL_MUST_USE;
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
