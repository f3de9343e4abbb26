/* utxo.c — the split rule of UTXO pools (engine_int.h): a transaction takes all its
 * inputs and pays all its outputs at once. Pools are split once each, in tx-id order
 * (forward ascending: a spend always has a larger id than what it spends, so every
 * tainted input has arrived when a pool is split; backward descending), under the
 * policy of trace.h; under fifo/lifo taint travels as intervals of value units.
 *
 * Memory: one record per visited pool, one interval piece per tainted fifo/lifo payment,
 * one (hop, address) pair per tainted output for the per-hop address counts.
 */
#include <string.h>

#include "sleuth/util.h"
#include "trace/engine_int.h"

/* fifo/lifo: intervals chained per pool */
typedef struct ient {
    uint32_t idx;       /* input (forward) or output (backward) index within the pool */
    uint64_t a, b;      /* [a, b) relative to that input's/output's value */
    int64_t next;
} ient;

typedef struct pend {
    uint64_t tx;
    uint64_t taint;       /* forward: tainted input amount; backward: demanded output amount */
    uint64_t best_amt;    /* the strongest delivery, for paths: its amount, */
    uint64_t via;         /* its flow, */
    sl_tr_ref parent;     /* the pool that paid it */
    int64_t ivhead;
    uint32_t hop, via_addr; /* via_addr: its address (backward: the most demanded input's) */
} pend;

typedef struct piece { uint32_t idx; uint64_t a, b; } piece;

typedef struct ustate {
    pend *pd;
    size_t npd, cappd;
    sl_idmap map;         /* tx -> pd index */
    ient *iv;
    size_t niv, capiv;
    uint64_t *ha;         /* (hop << 32 | address id) of every tainted output, for per-hop counts */
    size_t nha, capha;
    /* scratch of one split */
    uint64_t *vin, *vout, *tin, *tout, *pin, *pout; /* values, taint, prefix sums */
    uint32_t *oaddr;
    uint8_t *ounsp;
    size_t capv;
    piece *pcs;
    size_t npc, cappc;
    /* the sources' txs, for paths */
    uint64_t *stx;
    size_t nstx, capstx;
} ustate;

static ustate *U(sl_tr_chain *c) { return c->rs; }
static bool lots(const sl_tr *t) { return t->p->policy == SL_POLICY_FIFO || t->p->policy == SL_POLICY_LIFO; }
static sl_tr_ref ref_of(sl_tr_chain *c, uint64_t tx) { sl_tr_ref r = {tx, c->v->chain}; return r; }

static int hop_stat(sl_tr *t, sl_tr_chain *c, uint32_t hop, uint64_t pools, uint64_t outs, uint64_t amount)
{
    return sl_tr_hop(t, c, 0, hop, pools, outs, 0, amount);
}

/* Notes that address addr holds taint at this hop (counted once per hop in finish). */
static int hop_addr(ustate *u, uint32_t hop, uint32_t addr)
{
    void *q = u->ha;
    if (!addr) return SL_OK;
    if (sl_grow(&q, &u->capha, u->nha + 1, sizeof *u->ha)) return SL_ENOMEM;
    u->ha = q;
    u->ha[u->nha++] = (uint64_t)hop << 32 | addr;
    return SL_OK;
}

static int add_end(sl_tr *t, sl_tr_chain *c, uint64_t flow, uint64_t amount, uint32_t addr, uint32_t hops,
                   uint64_t time, sl_end_reason why, uint64_t pool)
{
    sl_trace_end x = {.amount = amount, .pool = pool, .flow = flow, .time = time, .addr = addr, .hops = hops,
                      .reason = (uint8_t)why};
    return sl_tr_end(t, c, &x, ref_of(c, pool));
}

static int add_edge(sl_tr *t, sl_tr_chain *c, uint64_t from_tx, uint64_t to_tx, uint64_t flow, uint64_t amount,
                    uint32_t from_addr, uint32_t to_addr, bool entry)
{
    sl_trace_edge x = {.amount = amount, .from_pool = from_tx, .to_pool = to_tx, .flow = flow, .from_addr = from_addr,
                       .to_addr = to_addr, .flags = entry ? SL_TRACE_EDGE_SOURCE : 0};
    return sl_tr_edge(t, c, &x);
}

/* Pool record for tx, created on first sight: its index, -1 when the node budget is
 * spent (*rc SL_OK) or on failure (*rc). */
static int64_t pool_get(sl_tr *t, sl_tr_chain *c, uint64_t tx, uint32_t hop, int *rc)
{
    ustate *u = U(c);
    int64_t k = sl_idmap_get(&u->map, tx);
    void *q;
    *rc = SL_OK;
    if (k >= 0) {
        if (hop < u->pd[k].hop) u->pd[k].hop = hop;
        return k;
    }
    if (!sl_tr_take_node(t)) return -1;
    q = u->pd;
    if (sl_grow(&q, &u->cappd, u->npd + 1, sizeof *u->pd)) { *rc = SL_ENOMEM; return -1; }
    u->pd = q;
    u->pd[u->npd] = (pend){tx, 0, 0, SL_FLOW_NONE, sl_tr_noref(), -1, hop, 0};
    if ((*rc = sl_idmap_put(&u->map, tx, (int64_t)u->npd)) ||
        (*rc = sl_tr_schedule(t, c, t->p->backward ? ~tx : tx, u->npd)))
        return -1;
    return (int64_t)u->npd++;
}

/* Appends intervals to pool pk's list, tagged idx: the single [a,b) when head == -2, else
 * a copy of the chain in u->iv starting at head (read before the array may move). */
static int add_ivals(ustate *u, size_t pk, uint32_t idx, int64_t head, uint64_t a, uint64_t b)
{
    int64_t i = head;
    for (;;) {
        ient e;
        void *q;
        int64_t next = -1;
        if (head == -2) e = (ient){idx, a, b, -1};
        else if (i < 0) break;
        else e = (ient){idx, u->iv[i].a, u->iv[i].b, -1}, next = u->iv[i].next;
        q = u->iv;
        if (sl_grow(&q, &u->capiv, u->niv + 1, sizeof *u->iv)) return SL_ENOMEM;
        u->iv = q;
        e.next = u->pd[pk].ivhead;
        u->iv[u->niv] = e;
        u->pd[pk].ivhead = (int64_t)u->niv++;
        if (head == -2) break;
        i = next;
    }
    return SL_OK;
}

/* Taint t arrives in pool k through flow `flow` (address addr) from pool `from`. */
static void arrived(pend *p, uint64_t t, uint64_t flow, uint32_t addr, sl_tr_ref from)
{
    p->taint += t;
    if (t > p->best_amt) p->best_amt = t, p->parent = from, p->via = flow, p->via_addr = addr;
}

/* ---- allocation rules ---- */

/* Cumulative floors: shares of T over vals[0..n) proportional to value, summing to T. */
static void alloc_prop(uint64_t T, const uint64_t *vals, size_t n, uint64_t *out)
{
    sl_u128 V = 0, C = 0;
    uint64_t prev = 0;
    for (size_t k = 0; k < n; k++) V += vals[k];
    if (V == 0) { memset(out, 0, n * sizeof *out); if (n) out[n - 1] = T; return; }
    for (size_t k = 0; k < n; k++) {
        uint64_t cur, p;
        C += vals[k];
        /* 64-bit arithmetic when the product fits (most amounts): a 128-bit division is slow */
        if (!__builtin_mul_overflow(T, (uint64_t)C, &p) && V <= UINT64_MAX) cur = p / (uint64_t)V;
        else cur = (uint64_t)((sl_u128)T * C / V);
        out[k] = cur - prev;
        prev = cur;
    }
}

/* Highest value first (ties: lower index); returns what does not fit. */
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

/* Values of a pool's inputs and outputs into the scratch arrays; unknown inputs share
 * the gap to the outputs equally. Without inputs (forward tiho needs none: what does not
 * fit the outputs is the fee) the inputs are not read: a random read each. */
static int load_pool(sl_tr_chain *c, const sl_utxo_pool *p, bool inputs, uint64_t *vin_sum, uint64_t *vout_sum)
{
    ustate *u = U(c);
    const sl_flow_view *v = c->v;
    uint32_t unknown = 0;
    uint64_t known = 0, outs = 0;
    size_t need = (size_t)(p->n_in > p->n_out ? p->n_in : p->n_out) + 2;
    if (need > u->capv) {
        size_t cap = need * 2;
        sl_free(u->vin), sl_free(u->vout), sl_free(u->tin), sl_free(u->tout), sl_free(u->oaddr), sl_free(u->ounsp);
        sl_free(u->pin), sl_free(u->pout);
        u->vin = sl_malloc(cap * 8), u->vout = sl_malloc(cap * 8), u->tin = sl_malloc(cap * 8), u->tout = sl_malloc(cap * 8);
        u->pin = sl_malloc(cap * 8), u->pout = sl_malloc(cap * 8);
        u->oaddr = sl_malloc(cap * 4), u->ounsp = sl_malloc(cap);
        u->capv = 0;
        if (!u->vin || !u->vout || !u->tin || !u->tout || !u->pin || !u->pout || !u->oaddr || !u->ounsp) return SL_ENOMEM;
        u->capv = cap;
    }
    for (uint32_t k = 0; k < p->n_out; k++) {
        bool unsp;
        v->m->utxo_out(v, p->first_out + k, &u->vout[k], &u->oaddr[k], &unsp);
        u->ounsp[k] = unsp;
        outs += u->vout[k];
    }
    for (uint32_t j = 0; j < p->n_in && inputs; j++) {
        uint32_t addr;
        uint64_t x = v->m->utxo_in_value(v, p->first_in + j, &addr);
        if (x == UINT64_MAX) { u->vin[j] = UINT64_MAX; unknown++; }
        else known += u->vin[j] = x;
    }
    if (unknown) {
        uint64_t gap = outs > known ? outs - known : 0, each = gap / unknown, rest = gap % unknown;
        for (uint32_t j = 0; j < p->n_in; j++)
            if (u->vin[j] == UINT64_MAX) { u->vin[j] = each + rest; rest = 0; known += u->vin[j]; }
    }
    *vin_sum = known, *vout_sum = outs;
    return SL_OK;
}

/* ---- forward ---- */

/* A tainted output (tx otx, index vout, global number o, address addr) of pool `from`
 * (noref: a source or a crossing's arrival) decides where it goes. */
typedef struct outref { uint64_t otx, o; uint32_t vout, addr, from_addr; bool unspendable; } outref;

static int route_fwd(sl_tr *t, sl_tr_chain *c, sl_tr_ref from, const outref *x, uint32_t hop, uint64_t taint, int64_t ivh,
                     uint64_t a, uint64_t b)
{
    const sl_flow_view *v = c->v;
    ustate *u = U(c);
    uint64_t stx, flow = SL_FLOW_UTXO(x->otx, x->vout);
    uint32_t j;
    int rc;
    int64_t k, link;
    if (taint == 0) return SL_OK;
    if ((rc = hop_stat(t, c, hop, 0, 1, 0))) return rc;
    if (taint < t->p->min_amount) return sl_tr_count(t, c, 0, SL_TR_DROPPED, taint);
    if ((rc = hop_addr(u, hop, x->addr))) return rc;
    if (x->unspendable) return add_end(t, c, flow, taint, x->addr, hop, v->m->tx_time(v, x->otx), SL_END_UNSPENDABLE, x->otx);
    if ((link = sl_tr_link_at(t, c, flow)) >= 0) return sl_tr_depart(t, c, (size_t)link, 0, taint, hop, ref_of(c, x->otx));
    if (sl_tr_endpoint(t, c, x->addr))
        return add_end(t, c, flow, taint, x->addr, hop, v->m->tx_time(v, x->otx), SL_END_TAGGED, x->otx);
    if (v->m->utxo_spender(v, x->otx, x->vout, x->o, &stx, &j) != SL_OK ||
        (t->p->until && v->m->tx_time(v, stx) > t->p->until))
        return add_end(t, c, flow, taint, x->addr, hop, v->m->tx_time(v, x->otx), SL_END_HELD, x->otx);
    if (t->p->max_hops && hop + 1 > t->p->max_hops)
        return add_end(t, c, flow, taint, x->addr, hop, v->m->tx_time(v, x->otx), SL_END_MAXHOPS, x->otx);
    k = pool_get(t, c, stx, hop + 1, &rc);
    if (rc) return rc;
    if (k < 0) return add_end(t, c, flow, taint, x->addr, hop, v->m->tx_time(v, x->otx), SL_END_TRUNCATED, x->otx);
    arrived(&u->pd[k], taint, flow, x->addr, from);
    if (lots(t) && (rc = add_ivals(u, (size_t)k, j, ivh, a, b))) return rc;
    return add_edge(t, c, x->otx, stx, flow, taint, x->from_addr, x->addr, !sl_tr_isref(from) || from.chain != c->v->chain);
}

/* Where each slot of vals starts when they are laid end to end in visiting order (last
 * first when reverse): pre[q] for the q-th slot visited, pre[n] the total. */
static void prefix(uint64_t *pre, const uint64_t *vals, uint32_t n, bool reverse)
{
    pre[0] = 0;
    for (uint32_t q = 0; q < n; q++) pre[q + 1] = pre[q] + vals[reverse ? n - 1 - q : q];
}

/* Intersects [A,B) with the slots laid out by pre (prefix), adding the overlap to each
 * slot's total and appending it as a relative interval to u->pcs: a binary search finds
 * the first slot, so a pool with many inputs and many intervals costs no square. */
static int split_intervals(ustate *u, const uint64_t *pre, uint32_t n, bool reverse, uint64_t A, uint64_t B, uint64_t *tot)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) { /* the first slot that ends after A */
        uint32_t mid = lo + (hi - lo) / 2;
        if (pre[mid + 1] > A) hi = mid;
        else lo = mid + 1;
    }
    for (uint32_t q = lo; q < n && pre[q] < B; q++) {
        uint32_t k = reverse ? n - 1 - q : q;
        uint64_t x = A > pre[q] ? A : pre[q], y = B < pre[q + 1] ? B : pre[q + 1];
        void *p = u->pcs;
        tot[k] += y - x;
        if (sl_grow(&p, &u->cappc, u->npc + 1, sizeof *u->pcs)) return SL_ENOMEM;
        u->pcs = p;
        u->pcs[u->npc++] = (piece){k, x - pre[q], y - pre[q]};
    }
    return SL_OK;
}

/* The fifo/lifo split of pool P's input intervals over its outputs (then the fee). */
static int split_fwd_lots(sl_tr *t, ustate *u, const pend *P, uint32_t ni, uint32_t no)
{
    bool rev = t->p->policy == SL_POLICY_LIFO;
    int rc = SL_OK;
    prefix(u->pin, u->vin, ni, rev);
    prefix(u->pout, u->vout, no + 1, false);
    for (int64_t i = P->ivhead; i >= 0 && !rc; i = u->iv[i].next) {
        uint32_t j = u->iv[i].idx;
        uint64_t off = u->pin[rev ? ni - 1 - j : j]; /* where input j starts in the input concatenation */
        rc = split_intervals(u, u->pout, no + 1, false, off + u->iv[i].a, off + u->iv[i].b, u->tout);
    }
    return rc;
}

static int split_fwd(sl_tr *t, sl_tr_chain *c, size_t pk)
{
    ustate *u = U(c);
    pend P = u->pd[pk];
    sl_utxo_pool p;
    uint64_t vin, vout, fee, tfee = 0;
    int rc;
    c->v->m->utxo_pool(c->v, P.tx, &p);
    if ((rc = load_pool(c, &p, t->p->policy != SL_POLICY_TIHO, &vin, &vout))) return rc;
    fee = vin > vout ? vin - vout : 0;
    if ((rc = hop_stat(t, c, P.hop, 1, 0, P.taint))) return rc;
    t->r->pools_visited++;
    memset(u->tout, 0, ((size_t)p.n_out + 1) * 8);
    u->npc = 0;
    switch (t->p->policy) {
    case SL_POLICY_POISON:
        for (uint32_t k = 0; k < p.n_out; k++) u->tout[k] = u->vout[k];
        tfee = fee;
        rc = sl_tr_count(t, c, 0, SL_TR_ABSORBED, vin + (vout + fee > vin ? vout + fee - vin : 0) - (P.taint < vin ? P.taint : vin));
        break;
    case SL_POLICY_HAIRCUT:
        u->vout[p.n_out] = fee;
        alloc_prop(P.taint, u->vout, (size_t)p.n_out + 1, u->tout);
        tfee = u->tout[p.n_out];
        break;
    case SL_POLICY_TIHO:
        tfee = alloc_tiho(P.taint, u->vout, p.n_out, u->tout);
        break;
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO:
        u->vout[p.n_out] = fee;
        rc = split_fwd_lots(t, u, &P, p.n_in, p.n_out);
        tfee = u->tout[p.n_out];
        break;
    }
    if (!rc) rc = sl_tr_count(t, c, 0, SL_TR_FEES, tfee);
    for (uint32_t k = 0; k < p.n_out && !rc; k++) {
        outref x = {P.tx, p.first_out + k, k, u->oaddr[k], P.via_addr, u->ounsp[k] != 0};
        if (!u->tout[k]) continue;
        if (lots(t)) {
            /* pass this output's pieces along as a chain in u->iv */
            int64_t head = -1;
            for (size_t q = 0; q < u->npc; q++)
                if (u->pcs[q].idx == k) {
                    void *pp = u->iv;
                    if (sl_grow(&pp, &u->capiv, u->niv + 1, sizeof *u->iv)) return SL_ENOMEM;
                    u->iv = pp;
                    u->iv[u->niv] = (ient){k, u->pcs[q].a, u->pcs[q].b, head};
                    head = (int64_t)u->niv++;
                }
            rc = route_fwd(t, c, ref_of(c, P.tx), &x, P.hop, u->tout[k], head, 0, 0);
        } else {
            rc = route_fwd(t, c, ref_of(c, P.tx), &x, P.hop, u->tout[k], -2, 0, u->vout[k]);
        }
    }
    return rc;
}

/* ---- backward ---- */

/* Demand t on output vout (global number o) of tx ptx, asked by pool `from` (its tx
 * from_tx; noref: a source or a crossing's arrival) at hop; ivals: the intervals of the
 * output demanded (NULL: [0, t) when intervals matter). */
static int demand_out(sl_tr *t, sl_tr_chain *c, sl_tr_ref from, uint64_t ptx, uint32_t vout, uint64_t o, uint32_t hop,
                      uint64_t taint, const piece *pcs, size_t npc, uint32_t idx)
{
    const sl_flow_view *v = c->v;
    ustate *u = U(c);
    uint64_t value, flow = SL_FLOW_UTXO(ptx, vout);
    uint32_t addr;
    bool unsp;
    int64_t k, link;
    int rc;
    v->m->utxo_out(v, o, &value, &addr, &unsp);
    if ((rc = hop_addr(u, hop, addr))) return rc;
    if ((link = sl_tr_link_at(t, c, flow)) >= 0) return sl_tr_depart(t, c, (size_t)link, 0, taint, hop, from);
    if (sl_tr_endpoint(t, c, addr)) return add_end(t, c, flow, taint, addr, hop, v->m->tx_time(v, ptx), SL_END_TAGGED, ptx);
    if (t->p->max_hops && hop + 1 > t->p->max_hops)
        return add_end(t, c, flow, taint, addr, hop, v->m->tx_time(v, ptx), SL_END_MAXHOPS, ptx);
    k = pool_get(t, c, ptx, hop + 1, &rc);
    if (rc) return rc;
    if (k < 0) return add_end(t, c, flow, taint, addr, hop, v->m->tx_time(v, ptx), SL_END_TRUNCATED, ptx);
    arrived(&u->pd[k], taint, flow, addr, from);
    if (lots(t)) {
        if (!pcs) return add_ivals(u, (size_t)k, vout, -2, 0, taint);
        for (size_t q = 0; q < npc; q++)
            if (pcs[q].idx == idx && (rc = add_ivals(u, (size_t)k, vout, -2, pcs[q].a, pcs[q].b))) return rc;
    }
    if (from.chain != c->v->chain) return SL_OK; /* a crossing's arrival: the crossing is the flow */
    return add_edge(t, c, ptx, from.id, flow, taint, 0, addr, false);
}

/* Demand t on input j (global number in) of pool P. */
static int route_back(sl_tr *t, sl_tr_chain *c, const pend *P, uint64_t in, uint32_t j, uint64_t taint)
{
    const sl_flow_view *v = c->v;
    ustate *u = U(c);
    uint64_t ptx, o;
    uint32_t vout;
    int rc;
    if (taint == 0) return SL_OK;
    if ((rc = hop_stat(t, c, P->hop, 0, 1, 0))) return rc;
    if (taint < t->p->min_amount) return sl_tr_count(t, c, 0, SL_TR_DROPPED, taint);
    if (v->m->utxo_origin(v, in, &ptx, &vout, &o) != SL_OK) {
        uint32_t addr;
        v->m->utxo_in_value(v, in, &addr);
        return add_end(t, c, SL_FLOW_UTXO_IN(P->tx, j), taint, addr, P->hop, v->m->tx_time(v, P->tx), SL_END_UNKNOWN, P->tx);
    }
    return demand_out(t, c, ref_of(c, P->tx), ptx, vout, o, P->hop, taint, u->pcs, u->npc, j);
}

static int split_back(sl_tr *t, sl_tr_chain *c, size_t pk)
{
    ustate *u = U(c);
    pend P = u->pd[pk];
    sl_utxo_pool p;
    uint64_t vin, vout, best = 0;
    int rc = SL_OK;
    c->v->m->utxo_pool(c->v, P.tx, &p);
    if ((rc = load_pool(c, &p, true, &vin, &vout))) return rc;
    if ((rc = hop_stat(t, c, P.hop, 1, 0, P.taint))) return rc;
    t->r->pools_visited++;
    if (p.coinbase) { /* everything here was minted */
        u->pd[pk].via_addr = 0; /* and came from no address */
        return add_end(t, c, SL_FLOW_UTXO_IN(P.tx, 0), P.taint, 0, P.hop, c->v->m->tx_time(c->v, P.tx), SL_END_COINBASE, P.tx);
    }
    memset(u->tin, 0, ((size_t)p.n_in + 1) * 8);
    u->npc = 0;
    switch (t->p->policy) {
    case SL_POLICY_POISON:
        for (uint32_t j = 0; j < p.n_in; j++) u->tin[j] = u->vin[j];
        rc = sl_tr_count(t, c, 0, SL_TR_ABSORBED, vin > P.taint ? vin - P.taint : 0);
        break;
    case SL_POLICY_HAIRCUT:
        alloc_prop(P.taint, u->vin, p.n_in, u->tin);
        break;
    case SL_POLICY_TIHO:
        u->tin[p.n_in - 1] += alloc_tiho(P.taint, u->vin, p.n_in, u->tin);
        break;
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO: {
        bool rev = t->p->policy == SL_POLICY_LIFO;
        prefix(u->pout, u->vout, p.n_out, false);
        prefix(u->pin, u->vin, p.n_in, rev);
        for (int64_t i = P.ivhead; i >= 0 && !rc; i = u->iv[i].next) {
            uint64_t off = u->pout[u->iv[i].idx]; /* where output idx starts */
            rc = split_intervals(u, u->pin, p.n_in, rev, off + u->iv[i].a, off + u->iv[i].b, u->tin);
        }
        break;
    }
    }
    /* the input that gives the most: the address this pool's outflows came from */
    for (uint32_t j = 0; j < p.n_in; j++)
        if (u->tin[j] > best) {
            uint32_t a;
            best = u->tin[j];
            c->v->m->utxo_in_value(c->v, p.first_in + j, &a);
            u->pd[pk].via_addr = a;
        }
    for (uint32_t j = 0; j < p.n_in && !rc; j++) rc = route_back(t, c, &P, p.first_in + j, j, u->tin[j]);
    return rc;
}

/* ---- the rule ---- */

static int start(sl_tr *t, sl_tr_chain *c)
{
    (void)t;
    return (c->rs = sl_calloc(1, sizeof(ustate))) ? SL_OK : SL_ENOMEM;
}

static int select_src(sl_tr *t, sl_tr_chain *c, const sl_trace_source *src, sl_flow_ids *out)
{
    const sl_flow_view *v = c->v;
    uint64_t first;
    uint32_t n;
    if (src->kind == SL_SOURCE_ADDRESS) {
        int rc = v->m->addr_received(v, src->addr, 0, t->p->since, out);
        if (rc) return rc;
        if (!out->n) return sl_tr_fail(t, SL_ENOTFOUND, "the address received nothing in the chosen time window");
        return SL_OK;
    }
    v->m->tx_flows(v, src->tx, &first, &n);
    if (src->index >= (int64_t)n)
        return sl_tr_fail(t, SL_EUSAGE, "output %lld out of range: the transaction has %u outputs", (long long)src->index, n);
    for (uint32_t k = 0; k < n; k++)
        if (src->index < 0 || (int64_t)k == src->index) {
            int rc = sl_flow_ids_push(out, first + k);
            if (rc) return rc;
        }
    return SL_OK;
}

static int note_source_tx(ustate *u, uint64_t tx)
{
    void *q = u->stx;
    if (u->nstx && u->stx[u->nstx - 1] == tx) return SL_OK;
    if (sl_grow(&q, &u->capstx, u->nstx + 1, sizeof *u->stx)) return SL_ENOMEM;
    u->stx = q;
    u->stx[u->nstx++] = tx;
    return SL_OK;
}

/* Output f enters the trace with amount (all of f's value for a source). */
static int enter(sl_tr *t, sl_tr_chain *c, const sl_flow *f, uint64_t amount, uint32_t hop, sl_tr_ref parent)
{
    ustate *u = U(c);
    const sl_flow_view *v = c->v;
    uint32_t vout = SL_FLOW_UTXO_IDX(f->id);
    sl_utxo_pool p;
    int rc;
    v->m->utxo_pool(v, f->tx, &p);
    if (!t->p->backward) {
        outref x = {f->tx, p.first_out + vout, vout, f->to, sl_flow_utxo_payer(c->v, f->tx), f->sink == SL_FLOW_SINK_UNSPENDABLE};
        if ((rc = note_source_tx(u, f->tx))) return rc;
        return route_fwd(t, c, parent, &x, hop, amount, -2, 0, amount);
    }
    if (!sl_tr_isref(parent)) { /* a backward source: the tx that made the output is its first pool */
        int64_t link = sl_tr_link_at(t, c, f->id), k;
        if (link >= 0) return sl_tr_depart(t, c, (size_t)link, 0, amount, hop, ref_of(c, f->tx));
        k = pool_get(t, c, f->tx, hop + 1, &rc);
        if (rc) return rc;
        if (k < 0) return add_end(t, c, f->id, amount, f->to, hop, f->time, SL_END_TRUNCATED, f->tx);
        u->pd[k].taint += amount;
        return lots(t) ? add_ivals(u, (size_t)k, vout, -2, 0, amount) : SL_OK;
    }
    return demand_out(t, c, parent, f->tx, vout, p.first_out + vout, hop, amount, NULL, 0, 0);
}

static int source(sl_tr *t, sl_tr_chain *c, const sl_flow *f) { return enter(t, c, f, (uint64_t)f->amount, 0, sl_tr_noref()); }

static int arrive(sl_tr *t, sl_tr_chain *c, const sl_flow *f, sl_u128 amount, uint32_t hop, sl_tr_ref parent)
{
    /* never more than the output holds (the link loader checks the declared amounts; a
     * backward demand on a partly declared payment can still ask more): the excess stays
     * where it arrived, with no origin or destination of its own */
    uint64_t a = amount > f->amount ? (uint64_t)f->amount : (uint64_t)amount;
    int rc = SL_OK;
    if (amount > a) {
        sl_trace_end x = {.amount = amount - a, .pool = f->tx, .flow = f->id, .time = f->time, .addr = f->to, .hops = hop,
                          .reason = (uint8_t)(t->p->backward ? SL_END_UNKNOWN : SL_END_HELD)};
        rc = sl_tr_end(t, c, &x, ref_of(c, f->tx));
    }
    return rc || !a ? rc : enter(t, c, f, a, hop, parent);
}

static int step(sl_tr *t, sl_tr_chain *c, size_t node) { return t->p->backward ? split_back(t, c, node) : split_fwd(t, c, node); }

/* Per-hop distinct addresses, the from-addresses of backward edges, and the pools. */
static int finish(sl_tr *t, sl_tr_chain *c)
{
    ustate *u = U(c);
    sl_trace_result *r = t->r;
    int rc = SL_OK;
    sl_sort_u64(u->ha, u->nha);
    for (size_t i = 0; i < u->nha; i++)
        if (!i || u->ha[i] != u->ha[i - 1]) {
            uint32_t h = (uint32_t)(u->ha[i] >> 32);
            if (h < r->n_hops) r->hops[h].addresses++;
        }
    for (size_t i = 0; i < r->n_edges && t->p->backward; i++) {
        sl_trace_edge *x = &r->edges[i];
        int64_t k;
        if (x->chain != c->v->chain || x->from_addr) continue;
        k = sl_idmap_get(&u->map, x->from_pool);
        x->from_addr = k >= 0 && u->pd[k].via_addr ? u->pd[k].via_addr : sl_flow_utxo_payer(c->v, x->from_pool);
    }
    for (size_t i = 0; i < u->npd && !rc; i++) {
        const pend *p = &u->pd[i];
        sl_trace_pool x = {p->tx, p->via, -1, p->via_addr, c->v->chain};
        rc = sl_tr_pool(t, &x, p->parent);
    }
    for (size_t i = 0, n = u->npd; i < u->nstx && !rc; i++) /* a source tx is where paths start */
        if (sl_idmap_get(&u->map, u->stx[i]) < 0) {
            sl_trace_pool x = {u->stx[i], SL_FLOW_NONE, -1, 0, c->v->chain};
            if (!(rc = sl_idmap_put(&u->map, u->stx[i], (int64_t)n++))) rc = sl_tr_pool(t, &x, sl_tr_noref());
        }
    return rc;
}

static int64_t pool_index(const sl_tr_chain *c, uint64_t id) { return sl_idmap_get(&((const ustate *)c->rs)->map, id); }

static void free_state(sl_tr_chain *c)
{
    ustate *u = U(c);
    if (!u) return;
    sl_free(u->pd), sl_free(u->iv), sl_free(u->ha), sl_free(u->pcs), sl_free(u->stx);
    sl_free(u->vin), sl_free(u->vout), sl_free(u->tin), sl_free(u->tout), sl_free(u->oaddr), sl_free(u->ounsp);
    sl_free(u->pin), sl_free(u->pout);
    sl_idmap_free(&u->map);
    sl_free(u);
    c->rs = NULL;
}

const sl_tr_rule SL_TR_UTXO = {start, select_src, source, arrive, step, finish, pool_index, free_state};
