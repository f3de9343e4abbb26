/* pq.c — the heap of pq.h and the per-hop statistics. */
#include "pq.h"

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
    sl_free(q->v);
    memset(q, 0, sizeof *q);
}

int sl_hops_add(sl_trace_hop **hops, size_t *n, uint32_t hop, uint64_t pools, uint64_t outs, uint64_t amount)
{
    if (hop >= *n) {
        sl_trace_hop *h = sl_realloc(*hops, (hop + 1) * sizeof *h);
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
