/* pq.c — the heap and id map of pq.h. */
#include "pq.h"

#include <stdlib.h>
#include <string.h>

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
    free(q->v);
    memset(q, 0, sizeof *q);
}

static size_t slot(uint64_t key, size_t cap) { return (size_t)(key * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1); }

int64_t sl_idmap_get(const sl_idmap *m, uint64_t key)
{
    if (!m->cap) return -1;
    for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->vals[i] < 0) return -1;
        if (m->keys[i] == key) return m->vals[i];
    }
}

int sl_idmap_put(sl_idmap *m, uint64_t key, int64_t val)
{
    size_t i;
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 1024;
        uint64_t *nk = malloc(nc * sizeof *nk);
        int64_t *nv = malloc(nc * sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); return SL_ENOMEM; }
        memset(nv, 0xff, nc * sizeof *nv);
        for (size_t j = 0; j < m->cap; j++)
            if (m->vals[j] >= 0) {
                size_t k = slot(m->keys[j], nc);
                while (nv[k] >= 0) k = (k + 1) & (nc - 1);
                nk[k] = m->keys[j], nv[k] = m->vals[j];
            }
        free(m->keys), free(m->vals);
        m->keys = nk, m->vals = nv, m->cap = nc;
    }
    for (i = slot(key, m->cap); m->vals[i] >= 0; i = (i + 1) & (m->cap - 1)) {}
    m->keys[i] = key, m->vals[i] = val;
    m->n++;
    return SL_OK;
}

void sl_idmap_free(sl_idmap *m)
{
    free(m->keys), free(m->vals);
    memset(m, 0, sizeof *m);
}

int sl_hops_add(sl_trace_hop **hops, size_t *n, uint32_t hop, uint64_t pools, uint64_t outs, uint64_t amount)
{
    if (hop >= *n) {
        sl_trace_hop *h = realloc(*hops, (hop + 1) * sizeof *h);
        if (!h) return SL_ENOMEM;
        memset(h + *n, 0, (hop + 1 - *n) * sizeof *h);
        *hops = h;
        *n = hop + 1;
    }
    (*hops)[hop].pools += pools;
    (*hops)[hop].outputs += outs;
    (*hops)[hop].amount += amount;
    return SL_OK;
}
