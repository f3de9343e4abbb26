/* pq.h — private to the tracers: a 4-ary min-heap of (key, index) entries (the key sits in
 * the entry so sifting never touches the caller's records) and the map from 64-bit ids to
 * indexes (an sl_ht of hashtab.h). Both grow geometrically; both return SL_ENOMEM on
 * failure. */
#ifndef SLEUTH_TRACE_PQ_H
#define SLEUTH_TRACE_PQ_H

#include <stddef.h>
#include <stdint.h>

#include "sleuth/hashtab.h"
#include "sleuth/trace.h"

typedef struct sl_pq_ent { uint64_t key; size_t idx; } sl_pq_ent;
typedef struct sl_pq { sl_pq_ent *v; size_t n, cap; } sl_pq;

int sl_pq_push(sl_pq *q, uint64_t key, size_t idx);
sl_pq_ent sl_pq_pop(sl_pq *q);   /* q->n must be > 0 */
void sl_pq_free(sl_pq *q);

/* id -> index maps: an sl_ht with 8-byte keys (hashtab.h, the one keyed table). */
typedef sl_ht sl_idmap;
static inline int64_t sl_idmap_get(const sl_idmap *m, uint64_t key) /* -1 when absent */
{
    uint64_t v;
    return sl_ht_get_u64(m, key, &v) ? (int64_t)v : -1;
}
static inline int sl_idmap_put(sl_idmap *m, uint64_t key, int64_t val) { return sl_ht_set_u64(m, key, (uint64_t)val); }
static inline void sl_idmap_free(sl_idmap *m) { sl_ht_free(m); }

/* Adds to the statistics of one hop, growing the array to reach it. */
int sl_hops_add(sl_trace_hop **hops, size_t *n, uint32_t hop, uint64_t pools, uint64_t outs, uint64_t amount);

#endif
