/* hashtab.h — the one keyed hash table of sleuth. Chain data is attacker-chosen (txids,
 * addresses, flow ids all come from the input), so every table hashes with SipHash-2-4
 * under a per-process random 128-bit key (getrandom(2), drawn on first use): no input can
 * be crafted offline to collide. Two tables share one open-addressing core (linear
 * probing over 16-byte slots holding the full 64-bit hash and an id; capacity a power of
 * two, doubled when more than half full):
 *
 *   sl_ht    byte-string keys -> uint64_t values. The table copies the keys (into one
 *            arena) and keeps its entries in insertion order, so iterating it (by index,
 *            0 .. sl_ht_count-1) is deterministic although the hash key is random.
 *   sl_htid  the table holds only ids (uint64_t) and the key bytes of an id live with
 *            the caller (an array, a column file): a key-fetch function given the id
 *            returns them. Growth never fetches keys (the slots keep their hashes).
 *
 * No deletion: a table only grows, until sl_ht_clear/sl_htid_clear (keeps the memory)
 * or the _free call. A zero-initialised struct is an empty table (sl_ht t = {0}); an
 * sl_htid needs its key function (sl_htid_init) before the first lookup.
 *
 * Threads: the hash key is drawn once under pthread_once, so hashing is thread-safe. A
 * table is not: lookups may run concurrently with each other, anything that inserts,
 * clears or frees needs the table to itself.
 * Errors: inserting returns SL_ENOMEM when memory runs out (then the table is unchanged
 * and still usable); nothing else fails. Memory comes from the sl_malloc seam (util.h).
 */
#ifndef SLEUTH_HASHTAB_H
#define SLEUTH_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"

/* ---- hashing ---- */

/* SipHash-2-4 of p[0..n) under the 16-byte key `key` (the reference function: key bytes
 * k0 = key[0..8) and k1 = key[8..16) little-endian). For on-disk tables whose hash must
 * be the same in the next process: the caller draws the key (sl_hash_random_key), stores
 * it with the table and passes it back. p may be NULL when n is 0. */
uint64_t sl_hash_bytes_seeded(const uint8_t key[16], const void *p, size_t n);
/* SipHash-2-4 under this process's random key: the same bytes hash alike within one
 * process and differently in the next. For in-memory tables. */
uint64_t sl_hash_bytes(const void *p, size_t n);
/* Fills key with 16 random bytes from getrandom(2) (for a new on-disk table). Returns
 * SL_OK, or SL_EIO when the kernel gives no randomness. */
int sl_hash_random_key(uint8_t key[16]) SL_MUST_USE;

/* ---- the shared core (private: use the tables below) ---- */
typedef struct sl_ht_slot { uint64_t h, idp1; } sl_ht_slot; /* idp1 = id + 1, 0: empty */

/* ---- byte-string keys -> uint64_t values ---- */
typedef struct sl_ht_ent { uint64_t val, koff, klen; } sl_ht_ent;
typedef struct sl_ht {
    /* private */
    sl_ht_slot *slots;
    size_t cap;             /* slots: 0 or a power of two */
    sl_ht_ent *ents;        /* in insertion order */
    size_t n, capents;
    uint8_t *keys;          /* arena of key bytes */
    size_t nkeys, capkeys;
} sl_ht;

/* The value slot of key[0..n), or NULL when absent. The pointer stays valid until the
 * next insertion into t (which may move the entries). */
uint64_t *sl_ht_find(const sl_ht *t, const void *key, size_t n);
/* Like sl_ht_find, copying the value to *val (when not NULL); false when absent. */
bool sl_ht_get(const sl_ht *t, const void *key, size_t n, uint64_t *val);
/* Finds key[0..n), adding it with value `init` when absent. *slot (not NULL) gets the
 * pointer to its value slot (valid until the next insertion); *added (may be NULL) says
 * whether it was added. Returns SL_OK or SL_ENOMEM (then t is unchanged). */
int sl_ht_upsert(sl_ht *t, const void *key, size_t n, uint64_t init, uint64_t **slot, bool *added) SL_MUST_USE;
/* Sets the value of key[0..n), adding the key when absent. SL_OK or SL_ENOMEM. */
int sl_ht_set(sl_ht *t, const void *key, size_t n, uint64_t val) SL_MUST_USE;
/* How many keys t holds; entry i (0 <= i < count, insertion order): its key (*n gets the
 * length; the bytes stay valid until the next insertion) and its value. */
size_t sl_ht_count(const sl_ht *t);
const void *sl_ht_key_at(const sl_ht *t, size_t i, size_t *n);
uint64_t sl_ht_val_at(const sl_ht *t, size_t i);
/* Removes every key, keeping the memory for reuse. */
void sl_ht_clear(sl_ht *t);
/* Frees the memory; t is then an empty table again. */
void sl_ht_free(sl_ht *t);

/* uint64_t keys (8 bytes in host order): shorthands for the commonest tables. */
static inline bool sl_ht_get_u64(const sl_ht *t, uint64_t key, uint64_t *val) { return sl_ht_get(t, &key, 8, val); }
static inline int sl_ht_set_u64(sl_ht *t, uint64_t key, uint64_t val) { return sl_ht_set(t, &key, 8, val); }

/* ---- ids only; the caller keeps the keys ---- */

/* The key bytes of id: returns them (valid until the table calls again) and sets *n.
 * Called only by sl_htid_find/sl_htid_upsert, for ids whose hash matches the key sought
 * (so normally once per successful lookup). Must not touch the table. */
typedef const void *(*sl_htid_key_fn)(const void *ctx, uint64_t id, size_t *n);

typedef struct sl_htid {
    /* private */
    sl_ht_slot *slots;
    size_t cap, n;
    sl_htid_key_fn key;
    const void *ctx;
} sl_htid;

/* Makes t an empty table whose keys come from key(ctx, id, &n). */
void sl_htid_init(sl_htid *t, sl_htid_key_fn key, const void *ctx);
/* The id whose key is key[0..n), to *id (may be NULL); false when none. */
bool sl_htid_find(const sl_htid *t, const void *key, size_t n, uint64_t *id);
/* Adds `id` under key[0..n) (the bytes the key function will give for it; it is not
 * called for this id here, so the caller may store the key after). The key must be
 * absent (use sl_htid_find first, or sl_htid_upsert). Returns SL_OK, SL_ENOMEM (then
 * t is unchanged) or SL_EUSAGE for id UINT64_MAX (the one id a slot cannot hold). */
int sl_htid_add(sl_htid *t, const void *key, size_t n, uint64_t id) SL_MUST_USE;
/* Finds key[0..n); when absent adds it with id `new_id`. *id gets the id found or added,
 * *added (may be NULL) whether it was added. SL_OK, or as sl_htid_add. */
int sl_htid_upsert(sl_htid *t, const void *key, size_t n, uint64_t new_id, uint64_t *id, bool *added) SL_MUST_USE;
size_t sl_htid_count(const sl_htid *t);
void sl_htid_clear(sl_htid *t);
/* Frees the slots; the key function stays, so t is an empty table again. */
void sl_htid_free(sl_htid *t);

#endif
