/* pq.h — private to the tracer: the data structures of its hot loop. A monotone priority
 * queue of (key, index) entries (a radix heap: the tracer only ever adds keys at or above
 * the last one it took, since a spend comes after what it spends, so entries move through
 * 65 buckets in sequential memory instead of sifting through a heap); a map from 64-bit ids to indexes with the key in its slot (open addressing,
 * linear probing, a per-process random multiplier: one cache line per look-up, no key
 * arena); and an in-place-order LSD radix sort of 64-bit keys. All grow geometrically
 * through the sl_malloc seam and return SL_ENOMEM on failure (leaving the structure as it
 * was). Not thread-safe: one trace, one thread. */
#ifndef SLEUTH_TRACE_PQ_H
#define SLEUTH_TRACE_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"

typedef struct sl_pq_ent { uint64_t key; size_t idx; } sl_pq_ent;
typedef struct sl_pq_bucket { sl_pq_ent *v; size_t n, cap; } sl_pq_bucket;
/* Bucket 0 holds the entries whose key is `last`, bucket i those whose highest bit that
 * differs from `last` is bit i - 1. A zeroed struct is an empty queue. */
typedef struct sl_pq { sl_pq_bucket b[65]; uint64_t last; size_t n; } sl_pq;

/* Adds (key, idx): SL_OK, SL_ENOMEM, or SL_ECORRUPT when key is below the last key taken
 * (the store's order broken: a spend before what it spends). */
int sl_pq_push(sl_pq *q, uint64_t key, size_t idx) SL_MUST_USE;
/* Takes an entry with the smallest key into *out; q->n must be > 0. SL_OK, or SL_ENOMEM
 * (the queue can then only be freed). */
int sl_pq_pop(sl_pq *q, sl_pq_ent *out) SL_MUST_USE;
void sl_pq_free(sl_pq *q);

/* id -> index. Keys are any uint64_t but UINT64_MAX; a zeroed struct is an empty map. */
typedef struct sl_idmap_slot { uint64_t kp1, val; } sl_idmap_slot; /* kp1 = key + 1, 0: empty */
typedef struct sl_idmap { sl_idmap_slot *s; size_t cap, n; } sl_idmap;

/* The value of key, or -1 when absent. */
int64_t sl_idmap_get(const sl_idmap *m, uint64_t key);
/* Sets key to val (adding it when absent): SL_OK or SL_ENOMEM. */
int sl_idmap_put(sl_idmap *m, uint64_t key, int64_t val) SL_MUST_USE;
void sl_idmap_free(sl_idmap *m);

/* Sorts v[0..n) ascending. Uses a scratch copy when it can get one (radix sort, a few
 * passes over the bytes that differ), qsort otherwise: it never fails. */
void sl_sort_u64(uint64_t *v, size_t n);

#endif
