/* trace.c — the tracing engine of trace.h on the Bitcoin store: pools (transactions)
 * are split once each, in tx-id order (forward: ascending, since a spend always has a
 * larger id than what it spends; backward: descending), under the chosen policy, and
 * every unit of taint ends in exactly one category, so conservation is exact.
 *
 * Memory is proportional to what the trace touches: one record per visited pool, one
 * interval entry per tainted input/output piece (fifo/lifo), one edge per tainted flow.
 */
#include "sleuth/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq.h"
#include "sleuth/util.h"

typedef unsigned __int128 u128;

const char *sl_policy_name(sl_policy p)
{
    static const char *n[] = {"poison", "haircut", "fifo", "lifo", "tiho"};
    return (unsigned)p < 5 ? n[p] : "?";
}

int sl_policy_parse(const char *s, sl_policy *p)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, sl_policy_name((sl_policy)i))) { *p = (sl_policy)i; return SL_OK; }
    return SL_EUSAGE;
}

const char *sl_end_reason_name(sl_end_reason r)
{
    static const char *n[] = {"held", "max-hops", "truncated", "tagged", "unspendable", "coinbase", "unknown-origin"};
    return (unsigned)r < 7 ? n[r] : "?";
}

/* ---- interval lists (fifo/lifo): entries chained per pool ---- */
typedef struct ient {
    uint32_t idx;       /* input (forward) or output (backward) index within the pool */
    uint64_t a, b;      /* [a, b) relative to that input/output's value */
    int64_t next;
} ient;

typedef struct pend {
    uint64_t tx;
    uint32_t hop;
    uint64_t taint;       /* forward: tainted input amount; backward: demanded output amount */
    uint64_t best_parent, best_amt;
    int64_t ivhead;
} pend;

typedef struct eng {
    const sl_store *s;
    const sl_trace_params *p;
    sl_trace_result *r;
    pend *pd;
    size_t npd, cappd;
    sl_idmap map;         /* tx -> pd index */
    sl_pq heap;           /* pools to split, on tx (forward) or ~tx (backward) */
    ient *iv;
    size_t niv, capiv;
    size_t capends, capedges;
    uint64_t max_nodes;
    uint64_t *ha;         /* (hop << 32 | address id) of every tainted output, for per-hop counts */
    size_t nha, capha;
    /* scratch per pool */
    uint64_t *vin, *vout, *tin, *tout;
    size_t capv;
} eng;

static int oom(sl_error *e) { return sl_err(e, SL_ENOMEM, "out of memory"); }

static int add_end(eng *g, uint64_t out, uint64_t amount, uint32_t addr, uint32_t hops, uint32_t time,
                   sl_end_reason why, uint64_t pool)
{
    sl_trace_result *r = g->r;
    void *q = r->ends;
    if (sl_grow(&q, &g->capends, r->n_ends + 1, sizeof *r->ends)) return SL_ENOMEM;
    r->ends = q;
    r->ends[r->n_ends++] = (sl_trace_end){out, amount, addr, hops, time, (uint8_t)why, pool};
    if (why == SL_END_HELD) r->held += amount;
    else r->endpoints += amount;
    return SL_OK;
}

/* The node budget is spent: the amount stops here and the trace says why. */
static int add_truncated(eng *g, uint64_t out, uint64_t amount, uint32_t addr, uint32_t hops, uint32_t time,
                         uint64_t pool)
{
    g->r->truncated = true;
    snprintf(g->r->truncated_why, sizeof g->r->truncated_why, "--max-nodes %llu reached",
             (unsigned long long)g->max_nodes);
    return add_end(g, out, amount, addr, hops, time, SL_END_TRUNCATED, pool);
}

static int add_edge(eng *g, uint64_t from, uint64_t to, uint64_t out, uint64_t out_tx, uint64_t amount)
{
    sl_trace_result *r = g->r;
    void *q = r->edges;
    if (g->p->no_edges) return SL_OK;
    if (sl_grow(&q, &g->capedges, r->n_edges + 1, sizeof *r->edges)) return SL_ENOMEM;
    r->edges = q;
    r->edges[r->n_edges++] = (sl_trace_edge){from, to, out, out_tx, amount};
    return SL_OK;
}

static int hop_stat(eng *g, uint32_t hop, uint64_t pools, uint64_t outs, uint64_t amount)
{
    return sl_hops_add(&g->r->hops, &g->r->n_hops, hop, pools, outs, amount);
}

/* Notes that address addr holds taint at this hop (counted once per hop at the end). */
static int hop_addr(eng *g, uint32_t hop, uint32_t addr)
{
    void *q = g->ha;
    if (!addr) return SL_OK;
    if (sl_grow(&q, &g->capha, g->nha + 1, sizeof *g->ha)) return SL_ENOMEM;
    g->ha = q;
    g->ha[g->nha++] = (uint64_t)hop << 32 | addr;
    return SL_OK;
}

static int cmp_u64_(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void hop_addr_count(eng *g)
{
    qsort(g->ha, g->nha, sizeof *g->ha, cmp_u64_);
    for (size_t i = 0; i < g->nha; i++)
        if (!i || g->ha[i] != g->ha[i - 1]) {
            uint32_t h = (uint32_t)(g->ha[i] >> 32);
            if (h < g->r->n_hops) g->r->hops[h].addresses++;
        }
}

/* Pool record for tx, created on first sight; -1 when --max-nodes is reached. */
static int64_t pool_get(eng *g, uint64_t tx, uint32_t hop, int *rc)
{
    int64_t k = sl_idmap_get(&g->map, tx);
    void *q;
    *rc = SL_OK;
    if (k >= 0) {
        if (hop < g->pd[k].hop) g->pd[k].hop = hop;
        return k;
    }
    if (g->npd >= g->max_nodes) return -1;
    q = g->pd;
    if (sl_grow(&q, &g->cappd, g->npd + 1, sizeof *g->pd)) { *rc = SL_ENOMEM; return -1; }
    g->pd = q;
    g->pd[g->npd] = (pend){tx, hop, 0, UINT64_MAX, 0, -1};
    if ((*rc = sl_idmap_put(&g->map, tx, (int64_t)g->npd)) ||
        (*rc = sl_pq_push(&g->heap, g->p->backward ? ~tx : tx, g->npd)))
        return -1;
    return (int64_t)g->npd++;
}

/* Appends intervals to pool pk's list, tagged idx: the single [a,b) when head == -2, else
 * a copy of the chain in g->iv starting at head (read before the array may move). */
static int add_ivals(eng *g, size_t pk, uint32_t idx, int64_t head, uint64_t a, uint64_t b)
{
    int64_t i = head;
    for (;;) {
        ient e;
        void *q;
        int64_t next = -1;
        if (head == -2) e = (ient){idx, a, b, -1};
        else if (i < 0) break;
        else e = (ient){idx, g->iv[i].a, g->iv[i].b, -1}, next = g->iv[i].next;
        q = g->iv;
        if (sl_grow(&q, &g->capiv, g->niv + 1, sizeof *g->iv)) return SL_ENOMEM;
        g->iv = q;
        e.next = g->pd[pk].ivhead;
        g->iv[g->niv] = e;
        g->pd[pk].ivhead = (int64_t)g->niv++;
        if (head == -2) break;
        i = next;
    }
    return SL_OK;
}

/* ---- allocation rules ---- */

/* Cumulative floors: shares of T over vals[0..n) proportional to value, summing to T. */
static void alloc_prop(uint64_t T, const uint64_t *vals, size_t n, uint64_t *out)
{
    u128 V = 0, C = 0;
    uint64_t prev = 0;
    for (size_t k = 0; k < n; k++) V += vals[k];
    if (V == 0) { memset(out, 0, n * sizeof *out); if (n) out[n - 1] = T; return; }
    for (size_t k = 0; k < n; k++) {
        uint64_t cur;
        C += vals[k];
        cur = (uint64_t)((u128)T * C / V);
        out[k] = cur - prev;
        prev = cur;
    }
}

/* Highest value first (ties: lower index); what does not fit stays in out[n-1] if
 * last_takes_rest, else is returned. */
static uint64_t alloc_tiho(uint64_t T, const uint64_t *vals, size_t n, uint64_t *out)
{
    memset(out, 0, n * sizeof *out);
    while (T) {
        size_t best = n;
        for (size_t k = 0; k < n; k++)
            if (out[k] == 0 && vals[k] > 0 && (best == n || vals[k] > vals[best])) best = k;
        if (best == n) break;
        out[best] = T < vals[best] ? T : vals[best];
        T -= out[best];
    }
    return T;
}

/* Values of a pool's inputs; unknown ones share the gap to the outputs equally. */
static int load_pool(eng *g, uint64_t tx, uint32_t *nin, uint32_t *nout, uint64_t *vin_sum, uint64_t *vout_sum)
{
    const sl_store *s = g->s;
    uint64_t t_first_out = sl_btc_tx_first_out(s, tx), t_first_in = sl_btc_tx_first_in(s, tx);
    uint32_t ni = sl_btc_tx_n_in(s, tx), no = sl_btc_tx_n_out(s, tx), unknown = 0;
    uint64_t known = 0, outs = 0;
    size_t need = (size_t)(ni > no ? ni : no) + 2;
    if (need > g->capv) {
        sl_free(g->vin), sl_free(g->vout), sl_free(g->tin), sl_free(g->tout);
        g->vin = sl_malloc(need * 8), g->vout = sl_malloc(need * 8), g->tin = sl_malloc(need * 8), g->tout = sl_malloc(need * 8);
        if (!g->vin || !g->vout || !g->tin || !g->tout) return SL_ENOMEM;
        g->capv = need;
    }
    for (uint32_t k = 0; k < no; k++) outs += g->vout[k] = sl_btc_out_value(s, t_first_out + k);
    for (uint32_t j = 0; j < ni; j++) {
        uint32_t addr;
        uint64_t v = sl_btc_in_value(s, t_first_in + j, &addr);
        if (v == UINT64_MAX) { g->vin[j] = UINT64_MAX; unknown++; }
        else known += g->vin[j] = v;
    }
    if (unknown) {
        uint64_t gap = outs > known ? outs - known : 0, each = gap / unknown, rest = gap % unknown;
        for (uint32_t j = 0; j < ni; j++)
            if (g->vin[j] == UINT64_MAX) { g->vin[j] = each + rest; rest = 0; known += g->vin[j]; }
    }
    *nin = ni, *nout = no, *vin_sum = known, *vout_sum = outs;
    return SL_OK;
}

/* ---- forward ---- */

static uint32_t tx_time(const sl_store *s, uint64_t tx) { return sl_btc_block_at(s, sl_btc_tx_block(s, tx))->time; }

/* A tainted output of pool `from` (UINT64_MAX: the source) decides where it goes. */
static int route_fwd(eng *g, uint64_t from, uint64_t otx, uint32_t hop, uint64_t o, uint64_t t, int64_t ivh,
                     uint64_t a, uint64_t b)
{
    const sl_store *s = g->s;
    sl_btc_outrec orec_v, *orec = &orec_v;
    uint64_t stx;
    uint32_t j, time = tx_time(s, otx);
    int rc;
    int64_t k;
    if (t == 0) return SL_OK;
    sl_btc_out_get(s, o, orec);
    if ((rc = hop_stat(g, hop, 0, 1, 0))) return rc;
    if (t < g->p->min_amount) { g->r->dropped += t; return SL_OK; }
    if ((rc = hop_addr(g, hop, orec->addr))) return rc;
    if (orec->type == SL_SCRIPT_OP_RETURN) return add_end(g, o, t, orec->addr, hop, time, SL_END_UNSPENDABLE, otx);
    if (sl_btc_outpoint_spender(s, otx, (uint32_t)(o - sl_btc_tx_first_out(s, otx)), &stx, &j) != SL_OK)
        return add_end(g, o, t, orec->addr, hop, time, SL_END_HELD, otx);
    if (g->p->until && tx_time(s, stx) > g->p->until) return add_end(g, o, t, orec->addr, hop, time, SL_END_HELD, otx);
    if (g->p->max_hops && hop + 1 > g->p->max_hops) return add_end(g, o, t, orec->addr, hop, time, SL_END_MAXHOPS, otx);
    k = pool_get(g, stx, hop + 1, &rc);
    if (rc) return rc;
    if (k < 0) return add_truncated(g, o, t, orec->addr, hop, time, otx);
    g->pd[k].taint += t;
    if (t > g->pd[k].best_amt) g->pd[k].best_amt = t, g->pd[k].best_parent = from;
    if (g->p->policy == SL_POLICY_FIFO || g->p->policy == SL_POLICY_LIFO) {
        if ((rc = add_ivals(g, (size_t)k, j, ivh, a, b))) return rc;
    }
    return add_edge(g, from, stx, o, otx, t);
}

/* Intersects [a,b) with the consecutive slots of `vals` (in `order`), adding the overlap to
 * each slot's total and, when keep, as a relative interval to out list `dst`. */
typedef struct piece { uint32_t idx; uint64_t a, b; } piece;

static int split_intervals(eng *g, const uint64_t *vals, uint32_t n, bool reverse, uint64_t A, uint64_t B,
                           uint64_t *tot, piece **pcs, size_t *npc, size_t *cap)
{
    uint64_t off = 0;
    for (uint32_t q = 0; q < n; q++) {
        uint32_t k = reverse ? n - 1 - q : q;
        uint64_t lo = off, hi = off + vals[k];
        off = hi;
        if (hi <= A || lo >= B) continue;
        {
            uint64_t x = A > lo ? A : lo, y = B < hi ? B : hi;
            void *p = *pcs;
            tot[k] += y - x;
            if (sl_grow(&p, cap, *npc + 1, sizeof **pcs)) return SL_ENOMEM;
            *pcs = p;
            (*pcs)[(*npc)++] = (piece){k, x - lo, y - lo};
        }
    }
    (void)g;
    return SL_OK;
}

static int split_fwd(eng *g, size_t pk)
{
    const sl_store *s = g->s;
    pend P = g->pd[pk];
    uint64_t t_first_out = sl_btc_tx_first_out(s, P.tx);
    uint32_t ni, no;
    uint64_t vin, vout, fee, tfee = 0;
    int rc;
    piece *pcs = NULL;
    size_t npc = 0, cap = 0;
    if ((rc = load_pool(g, P.tx, &ni, &no, &vin, &vout))) return rc;
    fee = vin > vout ? vin - vout : 0;
    if ((rc = hop_stat(g, P.hop, 1, 0, P.taint))) return rc;
    g->r->pools_visited++;
    memset(g->tout, 0, (no + 1) * 8);
    switch (g->p->policy) {
    case SL_POLICY_POISON:
        for (uint32_t k = 0; k < no; k++) g->tout[k] = g->vout[k];
        tfee = fee;
        g->r->absorbed += vin + (vout + fee > vin ? vout + fee - vin : 0) - (P.taint < vin ? P.taint : vin);
        break;
    case SL_POLICY_HAIRCUT:
        g->vout[no] = fee;
        alloc_prop(P.taint, g->vout, no + 1, g->tout);
        tfee = g->tout[no];
        break;
    case SL_POLICY_TIHO:
        tfee = alloc_tiho(P.taint, g->vout, no, g->tout);
        break;
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO: {
        bool rev = g->p->policy == SL_POLICY_LIFO;
        g->vout[no] = fee;
        for (int64_t i = P.ivhead; i >= 0; i = g->iv[i].next) {
            /* absolute position of input idx in the input concatenation */
            uint64_t off = 0;
            uint32_t j = g->iv[i].idx;
            for (uint32_t q = 0; q < ni; q++) {
                uint32_t k = rev ? ni - 1 - q : q;
                if (k == j) break;
                off += g->vin[k];
            }
            if ((rc = split_intervals(g, g->vout, no + 1, false, off + g->iv[i].a, off + g->iv[i].b, g->tout, &pcs,
                                      &npc, &cap)))
                goto out;
        }
        tfee = g->tout[no];
        break;
    }
    }
    g->r->fees += tfee;
    for (uint32_t k = 0; k < no; k++) {
        uint64_t o = t_first_out + k;
        if (!g->tout[k]) continue;
        if (g->p->policy == SL_POLICY_FIFO || g->p->policy == SL_POLICY_LIFO) {
            /* pass this output's pieces along as a chain in g->iv */
            int64_t head = -1;
            for (size_t q = 0; q < npc; q++)
                if (pcs[q].idx == k) {
                    void *p = g->iv;
                    if (sl_grow(&p, &g->capiv, g->niv + 1, sizeof *g->iv)) { rc = SL_ENOMEM; goto out; }
                    g->iv = p;
                    g->iv[g->niv] = (ient){k, pcs[q].a, pcs[q].b, head};
                    head = (int64_t)g->niv++;
                }
            rc = route_fwd(g, P.tx, P.tx, P.hop, o, g->tout[k], head, 0, 0);
        } else {
            rc = route_fwd(g, P.tx, P.tx, P.hop, o, g->tout[k], -2, 0, g->vout[k]);
        }
        if (rc) goto out;
    }
out:
    sl_free(pcs);
    return rc;
}

/* ---- backward ---- */

static int route_back(eng *g, uint64_t from, uint32_t hop, uint64_t in, uint64_t t, const piece *pcs, size_t npc,
                      uint32_t idx)
{
    const sl_store *s = g->s;
    uint64_t ptx, r, o;
    uint32_t vout;
    sl_btc_outrec orec_v, *orec = &orec_v;
    int64_t k;
    int rc;
    uint32_t time = tx_time(s, from);
    if (t == 0) return SL_OK;
    if ((rc = hop_stat(g, hop, 0, 1, 0))) return rc;
    if (t < g->p->min_amount) { g->r->dropped += t; return SL_OK; }
    r = sl_btc_in_at(s, in);
    if (r == SL_IN_COINBASE) return add_end(g, in, t, 0, hop, time, SL_END_COINBASE, from);
    if (sl_btc_in_prevout(s, in, &ptx, &vout) != SL_OK) {
        uint32_t addr;
        sl_btc_in_value(s, in, &addr);
        return add_end(g, in, t, addr, hop, time, SL_END_UNKNOWN, from);
    }
    o = sl_btc_tx_first_out(s, ptx) + vout;
    sl_btc_out_get(s, o, orec);
    if ((rc = hop_addr(g, hop, orec->addr))) return rc;
    if (g->p->max_hops && hop + 1 > g->p->max_hops)
        return add_end(g, o, t, orec->addr, hop, tx_time(s, ptx), SL_END_MAXHOPS, ptx);
    k = pool_get(g, ptx, hop + 1, &rc);
    if (rc) return rc;
    if (k < 0) return add_truncated(g, o, t, orec->addr, hop, tx_time(s, ptx), ptx);
    g->pd[k].taint += t;
    if (t > g->pd[k].best_amt) g->pd[k].best_amt = t, g->pd[k].best_parent = from;
    if (g->p->policy == SL_POLICY_FIFO || g->p->policy == SL_POLICY_LIFO) {
        for (size_t q = 0; q < npc; q++)
            if (pcs[q].idx == idx && (rc = add_ivals(g, (size_t)k, vout, -2, pcs[q].a, pcs[q].b))) return rc;
    }
    return add_edge(g, ptx, from, o, ptx, t);
}

static int split_back(eng *g, size_t pk)
{
    const sl_store *s = g->s;
    pend P = g->pd[pk];
    uint64_t t_first_in = sl_btc_tx_first_in(s, P.tx);
    uint32_t ni, no;
    uint64_t vin, vout;
    int rc = SL_OK;
    piece *pcs = NULL;
    size_t npc = 0, cap = 0;
    if ((rc = load_pool(g, P.tx, &ni, &no, &vin, &vout))) return rc;
    if ((rc = hop_stat(g, P.hop, 1, 0, P.taint))) return rc;
    g->r->pools_visited++;
    if (sl_btc_tx_is_coinbase(s, P.tx)) /* everything here was minted */
        return add_end(g, t_first_in, P.taint, 0, P.hop, tx_time(s, P.tx), SL_END_COINBASE, P.tx);
    memset(g->tin, 0, (ni + 1) * 8);
    switch (g->p->policy) {
    case SL_POLICY_POISON:
        for (uint32_t j = 0; j < ni; j++) g->tin[j] = g->vin[j];
        g->r->absorbed += vin > P.taint ? vin - P.taint : 0;
        break;
    case SL_POLICY_HAIRCUT:
        alloc_prop(P.taint, g->vin, ni, g->tin);
        break;
    case SL_POLICY_TIHO: {
        uint64_t rest = alloc_tiho(P.taint, g->vin, ni, g->tin);
        g->tin[ni - 1] += rest;
        break;
    }
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO: {
        bool rev = g->p->policy == SL_POLICY_LIFO;
        for (int64_t i = P.ivhead; i >= 0; i = g->iv[i].next) {
            uint64_t off = 0;
            for (uint32_t k = 0; k < g->iv[i].idx; k++) off += g->vout[k];
            if ((rc = split_intervals(g, g->vin, ni, rev, off + g->iv[i].a, off + g->iv[i].b, g->tin, &pcs, &npc, &cap)))
                goto out;
        }
        break;
    }
    }
    for (uint32_t j = 0; j < ni && !rc; j++)
        rc = route_back(g, P.tx, P.hop, t_first_in + j, g->tin[j], pcs, npc, j);
out:
    sl_free(pcs);
    return rc;
}

/* ---- driver ---- */

static int cmp_end(const void *a, const void *b)
{
    const sl_trace_end *x = a, *y = b;
    if (x->amount != y->amount) return x->amount < y->amount ? 1 : -1;
    return x->out < y->out ? -1 : x->out > y->out;
}

typedef struct priv { uint64_t *tx, *parent; size_t n; sl_idmap map; } priv;

int sl_trace_run(const sl_store *s, const sl_trace_source *src, const sl_trace_params *p, sl_trace_result *r,
                 sl_error *e)
{
    eng g;
    int rc = SL_OK;
    uint64_t *srcs = NULL, *stxs = NULL;
    size_t nsrc = 0, capsrc = 0, capstx = 0;
    memset(r, 0, sizeof *r);
    memset(&g, 0, sizeof g);
    g.s = s, g.p = p, g.r = r;
    g.max_nodes = p->max_nodes ? p->max_nodes : 1000000;
    if ((unsigned)p->policy > SL_POLICY_TIHO) return sl_err(e, SL_EUSAGE, "unknown policy");

    /* sources: global output numbers */
    if (src->by_address) {
        sl_btc_addrstat st;
        if (sl_btc_addr_lookup(s, &src->addr, &st)) return sl_err(e, SL_ENOTFOUND, "address not found in the store");
        uint64_t total = 0, got, *txs;
        /* the address's txs, newest first (as the sources are listed) */
        sl_btc_addr_txs(s, st.id, 0, NULL, 0, &total);
        if (!(txs = sl_malloc((total ? total : 1) * sizeof *txs))) { rc = oom(e); goto out; }
        got = sl_btc_addr_txs(s, st.id, 0, txs, total, NULL);
        for (uint64_t q = 0; q < got; q++) {
            uint64_t tx = txs[q], fo = sl_btc_tx_first_out(s, tx);
            uint32_t no = sl_btc_tx_n_out(s, tx);
            if (p->since && tx_time(s, tx) < p->since) continue;
            for (uint32_t k = 0; k < no; k++)
                if (sl_btc_out_addr(s, fo + k) == st.id) {
                    void *q1 = srcs, *q2 = stxs;
                    if (sl_grow(&q1, &capsrc, nsrc + 1, 8) || (srcs = q1, sl_grow(&q2, &capstx, nsrc + 1, 8))) {
                        sl_free(txs);
                        rc = oom(e);
                        goto out;
                    }
                    srcs = q1, stxs = q2;
                    stxs[nsrc] = tx;
                    srcs[nsrc++] = fo + k;
                }
        }
        sl_free(txs);
        if (!nsrc) { rc = sl_err(e, SL_ENOTFOUND, "the address received nothing in the chosen time window"); goto out; }
    } else {
        uint64_t ids[8], t_first_out;
        int n = sl_btc_tx_find(s, &src->txid, ids, 8);
        uint32_t no;
        if (!n) return sl_err(e, SL_ENOTFOUND, "transaction not found in the store");
        t_first_out = sl_btc_tx_first_out(s, ids[n - 1]);
        no = sl_btc_tx_n_out(s, ids[n - 1]);
        if (src->vout >= (int64_t)no)
            return sl_err(e, SL_EUSAGE, "output %lld out of range: the transaction has %u outputs", (long long)src->vout, no);
        srcs = sl_malloc((no ? no : 1) * 8);
        stxs = sl_malloc((no ? no : 1) * 8);
        if (!srcs || !stxs) { rc = oom(e); goto out; }
        for (uint32_t k = 0; k < no; k++)
            if (src->vout < 0 || (int64_t)k == src->vout) stxs[nsrc] = ids[n - 1], srcs[nsrc++] = t_first_out + k;
    }
    for (size_t i = 0; i < nsrc && !rc; i++) {
        uint64_t value = sl_btc_out_value(s, srcs[i]);
        r->source_amount += value;
        if (!p->backward) {
            rc = route_fwd(&g, UINT64_MAX, stxs[i], 0, srcs[i], value, -2, 0, value);
        } else {
            uint64_t tx = stxs[i];
            int64_t k = pool_get(&g, tx, 1, &rc);
            if (!rc && k >= 0) {
                g.pd[k].taint += value;
                rc = add_ivals(&g, (size_t)k, (uint32_t)(srcs[i] - sl_btc_tx_first_out(s, tx)), -2, 0, value);
            }
        }
    }
    if (rc) { rc = oom(e); goto out; }
    while (g.heap.n && !rc) {
        size_t pk = sl_pq_pop(&g.heap).idx;
        rc = p->backward ? split_back(&g, pk) : split_fwd(&g, pk);
    }
    if (rc) { rc = rc == SL_ENOMEM ? oom(e) : rc; goto out; }
    hop_addr_count(&g);
    qsort(r->ends, r->n_ends, sizeof *r->ends, cmp_end);
    {
        priv *pv = sl_calloc(1, sizeof *pv);
        if (!pv) { rc = oom(e); goto out; }
        pv->n = g.npd;
        pv->tx = sl_malloc((g.npd + 1) * 8);
        pv->parent = sl_malloc((g.npd + 1) * 8);
        for (size_t i = 0; i < g.npd && pv->tx && pv->parent; i++) pv->tx[i] = g.pd[i].tx, pv->parent[i] = g.pd[i].best_parent;
        pv->map = g.map; /* tx -> index, for sl_trace_path */
        memset(&g.map, 0, sizeof g.map);
        r->priv = pv; /* freed with r, also when incomplete */
        if (!pv->tx || !pv->parent) { rc = oom(e); goto out; }
    }
    r->sources = srcs, r->source_txs = stxs, r->n_sources = nsrc; /* the report names them */
    srcs = stxs = NULL;
out:
    sl_free(srcs);
    sl_free(stxs);
    sl_free(g.pd), sl_free(g.iv);
    sl_idmap_free(&g.map);
    sl_pq_free(&g.heap);
    sl_free(g.vin), sl_free(g.vout), sl_free(g.tin), sl_free(g.tout), sl_free(g.ha);
    if (rc) sl_trace_free(r);
    return rc;
}

size_t sl_trace_path(const sl_trace_result *r, uint64_t pool, uint64_t *txs, size_t cap)
{
    const priv *pv = r->priv;
    size_t n = 0;
    while (pv && pv->tx && pool != UINT64_MAX && n < cap) {
        int64_t i = sl_idmap_get(&pv->map, pool);
        txs[n++] = pool;
        if (i < 0) break;
        pool = pv->parent[i];
    }
    return n;
}

void sl_trace_free(sl_trace_result *r)
{
    priv *pv = r->priv;
    if (pv) sl_free(pv->tx), sl_free(pv->parent), sl_idmap_free(&pv->map), sl_free(pv);
    sl_free(r->ends), sl_free(r->hops), sl_free(r->edges), sl_free(r->sources), sl_free(r->source_txs);
    memset(r, 0, sizeof *r);
}
