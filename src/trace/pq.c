/* pq.c — the heap, the id map and the sort of pq.h. */
#include "pq.h"

#include <stdlib.h>
#include <string.h>

#include "sleuth/hashtab.h"
#include "sleuth/util.h"

int sl_pq_push(sl_pq *q, uint64_t key, size_t idx)
{
    void *p = q->v;
    size_t i;
    if (sl_grow(&p, &q->cap, q->n + 1, sizeof *q->v)) return SL_ENOMEM;
    q->v = p;
    i = q->n++;
    while (i && key < q->v[(i - 1) / 4].key) {
        q->v[i] = q->v[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    q->v[i] = (sl_pq_ent){key, idx};
    return SL_OK;
}

sl_pq_ent sl_pq_pop(sl_pq *q)
{
    sl_pq_ent top = q->v[0], x = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1, m = c;
        if (c >= q->n) break;
        for (size_t k = c + 1; k < c + 4 && k < q->n; k++)
            if (q->v[k].key < q->v[m].key) m = k;
        if (q->v[m].key >= x.key) break;
        q->v[i] = q->v[m];
        i = m;
    }
    if (q->n) q->v[i] = x;
    return top;
}

void sl_pq_free(sl_pq *q)
{
    sl_free(q->v);
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
