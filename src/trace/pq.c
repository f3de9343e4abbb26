/* pq.c — the heap, the id map and the sort of pq.h. */
#include "pq.h"

#include <stdlib.h>
#include <string.h>

#include "sleuth/hashtab.h"
#include "sleuth/util.h"

static int bucket_of(const sl_pq *q, uint64_t key) { return key == q->last ? 0 : 64 - __builtin_clzll(key ^ q->last); }

static int put(sl_pq_bucket *b, sl_pq_ent e)
{
    void *p = b->v;
    if (sl_grow(&p, &b->cap, b->n + 1, sizeof *b->v)) return SL_ENOMEM;
    b->v = p;
    b->v[b->n++] = e;
    return SL_OK;
}

int sl_pq_push(sl_pq *q, uint64_t key, size_t idx)
{
    int rc;
    sl_pq_ent e = {key, idx};
    if (key < q->last) return SL_ECORRUPT;
    if ((rc = put(&q->b[bucket_of(q, key)], e))) return rc;
    q->n++;
    return SL_OK;
}

int sl_pq_pop(sl_pq *q, sl_pq_ent *out)
{
    if (!q->b[0].n) {
        /* the first bucket with entries: its smallest key becomes `last`, and its entries
         * move to lower buckets (a key moves at most once per bit it has in common with
         * the keys taken before it) */
        int i = 1;
        sl_pq_bucket *b;
        uint64_t m;
        while (!q->b[i].n) i++;
        b = &q->b[i];
        m = b->v[0].key;
        for (size_t k = 1; k < b->n; k++)
            if (b->v[k].key < m) m = b->v[k].key;
        q->last = m;
        for (size_t k = 0; k < b->n; k++)
            if (put(&q->b[bucket_of(q, b->v[k].key)], b->v[k])) return SL_ENOMEM;
        b->n = 0;
    }
    *out = q->b[0].v[--q->b[0].n];
    q->n--;
    return SL_OK;
}

void sl_pq_free(sl_pq *q)
{
    for (int i = 0; i < 65; i++) sl_free(q->b[i].v);
    memset(q, 0, sizeof *q);
}

/* ---- id map ---- */

/* An odd multiplier drawn once per process (from the keyed hash of hashtab.h), so the
 * slot order of a map cannot be planned offline; the high bits of the product spread
 * dense ids over the table. */
static uint64_t mult(void)
{
    static uint64_t m;
    if (!m) {
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        m = sl_hash_bytes(&seed, sizeof seed) | 1;
    }
    return m;
}

static size_t slot_of(uint64_t key, size_t cap) { return (size_t)((key * mult()) >> 32) & (cap - 1); }

int64_t sl_idmap_get(const sl_idmap *m, uint64_t key)
{
    size_t i;
    if (!m->cap) return -1;
    for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->s[i].kp1 == key + 1) return (int64_t)m->s[i].val;
        if (!m->s[i].kp1) return -1;
    }
}

static void place(sl_idmap_slot *s, size_t cap, uint64_t kp1, uint64_t val)
{
    size_t i = slot_of(kp1 - 1, cap);
    while (s[i].kp1) i = (i + 1) & (cap - 1);
    s[i].kp1 = kp1, s[i].val = val;
}

int sl_idmap_put(sl_idmap *m, uint64_t key, int64_t val)
{
    size_t i;
    if ((m->n + 1) * 2 > m->cap) { /* at most half full */
        size_t nc = m->cap ? m->cap * 2 : 64;
        sl_idmap_slot *ns = sl_calloc(nc, sizeof *ns);
        if (!ns) return SL_ENOMEM;
        for (size_t k = 0; k < m->cap; k++)
            if (m->s[k].kp1) place(ns, nc, m->s[k].kp1, m->s[k].val);
        sl_free(m->s);
        m->s = ns, m->cap = nc;
    }
    for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->s[i].kp1 == key + 1) { m->s[i].val = (uint64_t)val; return SL_OK; }
        if (!m->s[i].kp1) break;
    }
    m->s[i].kp1 = key + 1, m->s[i].val = (uint64_t)val;
    m->n++;
    return SL_OK;
}

void sl_idmap_free(sl_idmap *m)
{
    sl_free(m->s);
    memset(m, 0, sizeof *m);
}

/* ---- sort ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void sl_sort_u64(uint64_t *v, size_t n)
{
    size_t cnt[8][256];
    uint64_t *tmp, *src = v, *dst, first;
    if (n < 2) return;
    if (n < 256 || !(tmp = sl_malloc(n * sizeof *v))) { qsort(v, n, sizeof *v, cmp_u64); return; }
    memset(cnt, 0, sizeof cnt);
    first = v[0];
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) cnt[b][(v[i] >> (8 * b)) & 0xff]++;
    dst = tmp;
    for (int b = 0; b < 8; b++) {
        size_t sum = 0;
        if (cnt[b][(first >> (8 * b)) & 0xff] == n) continue; /* every key has this byte: nothing to move */
        for (int d = 0; d < 256; d++) {
            size_t c = cnt[b][d];
            cnt[b][d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[b][(src[i] >> (8 * b)) & 0xff]++] = src[i];
        {
            uint64_t *t = src;
            src = dst, dst = t;
        }
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    sl_free(tmp);
}
