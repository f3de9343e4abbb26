/* detect_flow.c — the detectors of the laundering graph's shape, read from the traces'
 * edges, pools and ends (never a scan of the chain): fan-out into equal slices, peel
 * chains (BlockSci's rule: one input, two outputs, the next link spends one of them),
 * consolidation (many tainted senders into one), rapid hops (value passed on within
 * minutes, run after run), dormancy (idle for days, then moved) and still-dormant (idle as
 * of the tip). Thresholds, confidences and sources: docs/LAUNDERING.md "Detectors".
 */
#include <stdlib.h>
#include <string.h>

#include "laundering/detect_int.h"
#include "sleuth/report.h"
#include "sleuth/util.h"

/* ---- helpers ---- */

/* A one-time mark per (kind, chain, id), so overlapping traces report a pattern once. */
static bool first_time(det_ctx *c, sl_ht *seen, int kind, uint16_t chain, uint64_t id)
{
    uint64_t k[2] = {(uint64_t)kind << 16 | chain, id};
    if (sl_ht_get(seen, k, sizeof k, NULL)) return false;
    if (sl_ht_set(seen, k, sizeof k, 1)) {} /* no room to remember: may be reported twice */
    (void)c;
    return true;
}

static int cmp_u128(const void *x, const void *y)
{
    const sl_u128 *a = x, *b = y;
    return *a < *b ? -1 : *a > *b;
}

/* The largest set of values equal within 1% (max <= min * 1.01): sorts v, returns its
 * size and sets *lo, *hi to the bounds. */
static size_t equal_group(sl_u128 *v, size_t n, sl_u128 *lo, sl_u128 *hi)
{
    size_t best = 0, j = 0;
    if (n > 1) qsort(v, n, sizeof *v, cmp_u128);
    for (size_t i = 0; i < n; i++) {
        while (v[i] > v[j] + v[j] / 100) j++;
        if (i - j + 1 > best) best = i - j + 1, *lo = v[j], *hi = v[i];
    }
    return best;
}

/* Whether output `flow` is the first payment addr ever received (a fresh address). */
static bool fresh(const sl_flow_view *v, uint32_t addr, uint32_t asset, uint64_t flow)
{
    sl_flow_ids ids = {0};
    bool yes = false;
    if (!v->m->addr_received(v, addr, asset, 0, &ids) && ids.n) yes = ids.v[0] == flow;
    sl_flow_ids_free(&ids);
    return yes;
}

typedef struct edge_ix { const sl_trace_result *tr; size_t *o; size_t n; } edge_ix;

static int by_from(const void *x, const void *y, void *ctx)
{
    const sl_trace_result *tr = ctx;
    const sl_trace_edge *a = &tr->edges[*(const size_t *)x], *b = &tr->edges[*(const size_t *)y];
    if (a->chain != b->chain) return a->chain < b->chain ? -1 : 1;
    if (a->from_pool != b->from_pool) return a->from_pool < b->from_pool ? -1 : 1;
    if (a->asset != b->asset) return a->asset < b->asset ? -1 : 1;
    return a->flow < b->flow ? -1 : a->flow > b->flow;
}

static int by_to(const void *x, const void *y, void *ctx)
{
    const sl_trace_result *tr = ctx;
    const sl_trace_edge *a = &tr->edges[*(const size_t *)x], *b = &tr->edges[*(const size_t *)y];
    if (a->chain != b->chain) return a->chain < b->chain ? -1 : 1;
    if (a->to_pool != b->to_pool) return a->to_pool < b->to_pool ? -1 : 1;
    if (a->asset != b->asset) return a->asset < b->asset ? -1 : 1;
    return a->flow < b->flow ? -1 : a->flow > b->flow;
}

/* The edges of tr in the order cmp gives. */
static int order(const sl_trace_result *tr, int (*cmp)(const void *, const void *, void *), edge_ix *ix)
{
    ix->tr = tr, ix->n = tr->n_edges;
    if (!(ix->o = sl_malloc((tr->n_edges + 1) * sizeof *ix->o))) return SL_ENOMEM;
    for (size_t i = 0; i < tr->n_edges; i++) ix->o[i] = i;
    qsort_r(ix->o, ix->n, sizeof *ix->o, cmp, (void *)tr);
    return SL_OK;
}

/* ---- fan-out ---- */

typedef struct slice { sl_u128 amount; uint32_t to; uint64_t flow, time; } slice;

/* Reports a fan-out from pool `pool` when at least fanout_min of the slices go to distinct
 * addresses, are equal within 1%, and most of the receivers are fresh. level2: the second
 * level of a dispersal — a slice of an earlier fan-out split again into >= 2 equal parts,
 * every payment of it one of them and every receiver fresh. */
static int fanout_of(det_ctx *c, sl_ht *seen, const sl_flow_view *v, uint64_t pool, uint32_t from_addr, uint32_t asset,
                     const slice *s, size_t n, bool level2)
{
    sl_u128 *vals, lo = 0, hi = 0;
    size_t g, nfresh = 0, nrecv = 0, need = level2 ? 2 : c->p->fanout_min;
    int rc = SL_OK;
    if (n < need) return SL_OK;
    if (level2) {
        const det_note *pn = det_note_get(c, (sl_addr_ref){v->chain, from_addr});
        if (!pn || !(pn->bits & DET_N_FANOUT) || n >= c->p->fanout_min) return SL_OK;
    }
    if (!(vals = sl_malloc(n * sizeof *vals))) return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) vals[i] = s[i].amount;
    g = equal_group(vals, n, &lo, &hi);
    sl_free(vals);
    if (g < need || (level2 && g != n) || !first_time(c, seen, SL_DET_FANOUT, v->chain, pool)) return SL_OK;
    sl_finding *f = det_finding(c, SL_DET_FANOUT, SL_STAGE_DISPERSAL, 0,
                                level2 ? "fan-out: a fan-out's slice split again into >= 2 equal parts (second level)"
                                       : "fan-out: >= N fresh receivers, equal slices within 1%");
    if (!f) return SL_ENOMEM;
    sl_u128 total = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (s[i].amount < lo || s[i].amount > hi) continue;
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) dup = s[k].to == s[i].to && s[k].amount >= lo && s[k].amount <= hi;
        if (dup) continue;
        nrecv++;
        nfresh += fresh(v, s[i].to, asset, s[i].flow);
        total += s[i].amount;
        det_f_time(f, s[i].time);
        if ((rc = det_f_addr(f, (sl_addr_ref){v->chain, s[i].to}))) return rc;
        if (v->model == SL_MODEL_ACCOUNT) {
            sl_flow fl;
            v->m->flow_get(v, s[i].flow, &fl);
            if ((rc = det_f_tx(f, (sl_tx_ref){v->chain, fl.tx}))) return rc;
        }
    }
    if (v->model == SL_MODEL_UTXO && (rc = det_f_tx(f, (sl_tx_ref){v->chain, pool}))) return rc;
    if (nrecv < need || nfresh * 2 < nrecv || (level2 && nfresh != nrecv)) { /* not distinct, or paid to old addresses */
        sl_free(f->addrs), sl_free(f->txs);
        c->r->n_findings--;
        return SL_OK;
    }
    char a[64], b[64], from[SL_FLOW_NAME_MAX];
    det_amount_str(c, a, sizeof a, v->chain, asset, lo);
    det_amount_str(c, b, sizeof b, v->chain, asset, hi);
    v->m->addr_name(v, from_addr, from);
    f->confidence = level2 ? 0.8 : 0.6 + 0.3 * (double)nfresh / (double)nrecv;
    f->amount = (sl_det_amount){v->chain, asset, total};
    det_f_ev(f, "from=%s", from);
    det_f_ev(f, "slices=%zu; fresh=%zu; slice=%s..%s; payments=%zu", nrecv, nfresh, a, b, n);
    for (size_t i = 0; i < n; i++)
        if (s[i].amount >= lo && s[i].amount <= hi && (rc = det_mark(c, (sl_addr_ref){v->chain, s[i].to}, DET_N_FANOUT))) break;
    return rc;
}

static int fanout(det_ctx *c, sl_ht *seen, const sl_trace_result *tr, const edge_ix *from, bool level2)
{
    slice *s = NULL;
    size_t cap = 0, n;
    int rc = SL_OK;
    /* UTXO: every tainted tx's outputs */
    for (size_t i = 0; i < tr->n_pools && !rc; i++) {
        const sl_flow_view *v = sl_flow_set_chain(c->fs, tr->pools[i].chain);
        sl_utxo_pool p;
        if (!v || v->model != SL_MODEL_UTXO) continue;
        v->m->utxo_pool(v, tr->pools[i].id, &p);
        if (p.n_out < (level2 ? 2u : c->p->fanout_min)) continue;
        uint64_t t = v->m->tx_time(v, p.tx);
        n = 0;
        for (uint32_t k = 0; k < p.n_out; k++) {
            uint64_t val;
            uint32_t addr;
            bool unsp;
            v->m->utxo_out(v, p.first_out + k, &val, &addr, &unsp);
            if (unsp || !addr || !val || det_service(c, (sl_addr_ref){v->chain, addr}, NULL, 0)) continue;
            if (sl_grow((void **)&s, &cap, n + 1, sizeof *s)) { rc = SL_ENOMEM; break; }
            s[n++] = (slice){val, addr, SL_FLOW_UTXO(p.tx, k), t};
        }
        /* one owner pays a fan-out: inputs from at most two addresses (else a CoinJoin's shape) */
        uint32_t a0 = 0, a1 = 0, ia;
        bool many = false;
        for (uint32_t k = 0; k < p.n_in && !many; k++) {
            if (v->m->utxo_in_value(v, p.first_in + k, &ia) == UINT64_MAX || !ia) continue;
            if (!a0 || ia == a0) a0 = ia;
            else if (!a1 || ia == a1) a1 = ia;
            else many = true;
        }
        if (!rc && !many) rc = fanout_of(c, seen, v, p.tx, a0, 0, s, n, level2);
    }
    /* accounts: the tainted flows out of each account, per asset */
    for (size_t i = 0; i < from->n && !rc;) {
        const sl_trace_edge *x = &tr->edges[from->o[i]];
        const sl_flow_view *v = sl_flow_set_chain(c->fs, x->chain);
        size_t j = i;
        n = 0;
        while (j < from->n && tr->edges[from->o[j]].chain == x->chain && tr->edges[from->o[j]].from_pool == x->from_pool &&
               tr->edges[from->o[j]].asset == x->asset)
            j++;
        if (v && v->model == SL_MODEL_ACCOUNT && j - i >= (level2 ? 2u : c->p->fanout_min) && x->from_addr) {
            for (size_t k = i; k < j && !rc; k++) {
                const sl_trace_edge *y = &tr->edges[from->o[k]];
                sl_flow fl;
                v->m->flow_get(v, y->flow, &fl);
                if (fl.sink || fl.fee || !y->to_addr || det_service(c, (sl_addr_ref){v->chain, y->to_addr}, NULL, 0)) continue;
                if (sl_grow((void **)&s, &cap, n + 1, sizeof *s)) rc = SL_ENOMEM;
                else s[n++] = (slice){fl.amount, y->to_addr, y->flow, fl.time};
            }
            if (!rc) rc = fanout_of(c, seen, v, x->from_pool, x->from_addr, x->asset, s, n, level2);
        }
        i = j;
    }
    sl_free(s);
    return rc;
}

/* Whether amount is at least suspect_min_share of what entered its asset: less is the
 * haircut's dust spread over others' coins, not the thief's money waiting. */
static bool enough(const det_ctx *c, uint16_t chain, uint32_t asset, sl_u128 amount)
{
    sl_u128 in = det_entered(c, chain, asset);
    return !in || (double)amount >= c->p->suspect_min_share * (double)in;
}

/* ---- peel chains (UTXO) ---- */

typedef struct peel { uint64_t tx, parent, next; uint64_t small, big; uint32_t in_addr, big_addr; bool cont; } peel;

static int peel_chains(det_ctx *c, sl_ht *seen, const sl_trace_result *tr)
{
    peel *p = NULL;
    size_t n = 0, cap = 0;
    sl_ht ix = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < tr->n_pools && !rc; i++) {
        const sl_flow_view *v = sl_flow_set_chain(c->fs, tr->pools[i].chain);
        sl_utxo_pool u;
        uint64_t v0, v1, ptx, pout;
        uint32_t a0, a1, pv, ia;
        bool x0, x1;
        if (!v || v->model != SL_MODEL_UTXO || v->chain != tr->pools[i].chain) continue;
        v->m->utxo_pool(v, tr->pools[i].id, &u);
        if (u.n_in != 1 || u.n_out < 2 || u.n_out > 3 || u.coinbase) continue;
        /* two outputs; sleuth's extension: a third paying a tagged service (a coordinator's fee) */
        uint32_t k0 = UINT32_MAX, k1 = UINT32_MAX, nsvc = 0;
        for (uint32_t k = 0; k < u.n_out; k++) {
            uint64_t val;
            uint32_t a;
            bool x;
            v->m->utxo_out(v, u.first_out + k, &val, &a, &x);
            if (!x && a && u.n_out == 3 && det_service(c, (sl_addr_ref){v->chain, a}, NULL, 0)) nsvc++;
            else if (k0 == UINT32_MAX) k0 = k;
            else k1 = k;
        }
        if (k1 == UINT32_MAX || nsvc != u.n_out - 2u) continue;
        v->m->utxo_out(v, u.first_out + k0, &v0, &a0, &x0);
        v->m->utxo_out(v, u.first_out + k1, &v1, &a1, &x1);
        if (x0 || x1) continue;
        if (v->m->utxo_origin(v, u.first_in, &ptx, &pv, &pout)) ptx = SL_FLOW_NONE;
        v->m->utxo_in_value(v, u.first_in, &ia);
        if (sl_grow((void **)&p, &cap, n + 1, sizeof *p) || sl_ht_set_u64(&ix, u.tx, n + 1)) { rc = SL_ENOMEM; break; }
        p[n++] = (peel){u.tx, ptx, SL_FLOW_NONE, v0 < v1 ? v0 : v1, v0 < v1 ? v1 : v0, ia, v0 < v1 ? a1 : a0, false};
    }
    const sl_flow_view *v = sl_flow_set_chain(c->fs, SL_CHAIN_BTC);
    /* each link continues with the child that spends its larger output (the one peeled from) */
    for (size_t i = 0; i < n && !rc && v; i++) {
        uint64_t k;
        if (p[i].parent == SL_FLOW_NONE || !sl_ht_get_u64(&ix, p[i].parent, &k)) continue;
        peel *par = &p[k - 1];
        uint64_t otx, oo;
        uint32_t vout;
        sl_utxo_pool u;
        v->m->utxo_pool(v, p[i].tx, &u);
        if (v->m->utxo_origin(v, u.first_in, &otx, &vout, &oo)) continue;
        uint64_t val;
        uint32_t a;
        bool x;
        v->m->utxo_out(v, oo, &val, &a, &x);
        if (val == par->big && par->next == SL_FLOW_NONE) par->next = i, p[i].cont = true;
    }
    for (size_t i = 0; i < n && !rc && v; i++) {
        size_t len = 0;
        sl_u128 peeled = 0;
        uint64_t last = i;
        if (p[i].cont) continue;
        for (uint64_t k = i; k != SL_FLOW_NONE; k = p[k].next) len++, peeled += p[k].small, last = k;
        if (len < 3) continue;
        sl_u128 in = 0; /* the taint that entered the chain: a haircut's dust is not someone's peel chain */
        for (size_t q = 0; q < tr->n_edges; q++)
            if (tr->edges[q].chain == v->chain && tr->edges[q].to_pool == p[i].tx) in += tr->edges[q].amount;
        if (!enough(c, v->chain, 0, in) || !first_time(c, seen, SL_DET_PEEL, v->chain, p[i].tx)) continue;
        double conf = 0.5 + 0.05 * (double)(len - 3);
        sl_finding *f = det_finding(c, SL_DET_PEEL, SL_STAGE_DISPERSAL, conf > 0.85 ? 0.85 : conf,
                                    "peel-chain: >= 3 links of 1 input, 2 outputs, each spending the larger (BlockSci)");
        if (!f) { rc = SL_ENOMEM; break; }
        for (uint64_t k = i; k != SL_FLOW_NONE && !rc; k = p[k].next) {
            det_f_time(f, v->m->tx_time(v, p[k].tx));
            if (!(rc = det_f_tx(f, (sl_tx_ref){v->chain, p[k].tx})) && !(rc = det_f_addr(f, (sl_addr_ref){v->chain, p[k].in_addr})))
                rc = det_mark(c, (sl_addr_ref){v->chain, p[k].in_addr}, DET_N_PEEL);
        }
        if (!rc) rc = det_mark(c, (sl_addr_ref){v->chain, p[last].big_addr}, DET_N_PEEL);
        if (!rc) rc = det_f_addr(f, (sl_addr_ref){v->chain, p[last].big_addr});
        f = &c->r->findings[c->r->n_findings - 1];
        char a[64], b[64];
        det_amount_str(c, a, sizeof a, v->chain, 0, peeled);
        det_amount_str(c, b, sizeof b, v->chain, 0, p[last].big);
        f->amount = (sl_det_amount){v->chain, 0, peeled + p[last].big};
        det_f_ev(f, "links=%zu; peeled=%s; remaining=%s", len, a, b);
    }
    sl_ht_free(&ix);
    sl_free(p);
    return rc;
}

/* ---- consolidation ---- */

static int consolidation(det_ctx *c, sl_ht *seen, const sl_trace_result *tr, const edge_ix *to)
{
    int rc = SL_OK;
    for (size_t i = 0; i < to->n && !rc;) {
        const sl_trace_edge *x = &tr->edges[to->o[i]];
        const sl_flow_view *v = sl_flow_set_chain(c->fs, x->chain);
        size_t j = i, senders = 0;
        sl_u128 sum = 0;
        while (j < to->n && tr->edges[to->o[j]].chain == x->chain && tr->edges[to->o[j]].to_pool == x->to_pool &&
               tr->edges[to->o[j]].asset == x->asset)
            j++;
        if (!v || x->to_pool == SL_FLOW_NONE || j - i < c->p->fanout_min) { i = j; continue; }
        if (v->model == SL_MODEL_ACCOUNT) { /* gas paid to the burn or fee sink gathers nothing */
            sl_flow fl;
            v->m->flow_get(v, x->flow, &fl);
            if (fl.fee || fl.sink) { i = j; continue; }
        }
        /* distinct senders: UTXO, the addresses of the spent outputs; accounts, the paying accounts */
        for (size_t k = i; k < j; k++) {
            const sl_trace_edge *y = &tr->edges[to->o[k]];
            uint32_t who = v->model == SL_MODEL_UTXO ? y->to_addr : y->from_addr;
            bool again = false;
            for (size_t q = i; q < k && !again; q++) {
                const sl_trace_edge *z = &tr->edges[to->o[q]];
                again = (v->model == SL_MODEL_UTXO ? z->to_addr : z->from_addr) == who;
            }
            senders += !again;
            sum += y->amount;
        }
        /* the receiver: UTXO, the consolidating tx's largest output; accounts, the account */
        uint32_t target = x->to_addr;
        if (v->model == SL_MODEL_UTXO) {
            sl_utxo_pool u;
            uint64_t best = 0, val;
            uint32_t a;
            bool unsp;
            v->m->utxo_pool(v, x->to_pool, &u);
            target = 0;
            for (uint32_t k = 0; k < u.n_out; k++) {
                v->m->utxo_out(v, u.first_out + k, &val, &a, &unsp);
                if (!unsp && val > best) best = val, target = a;
            }
        }
        if (senders < c->p->fanout_min || !target || !enough(c, v->chain, x->asset, sum) ||
            det_service(c, (sl_addr_ref){v->chain, target}, NULL, 0) ||
            !first_time(c, seen, SL_DET_CONSOLIDATION, v->chain, x->to_pool)) {
            i = j;
            continue;
        }
        sl_finding *f = det_finding(c, SL_DET_CONSOLIDATION, SL_STAGE_DISPERSAL, 0.6,
                                    "consolidation: >= N distinct tainted senders into one receiver");
        if (!f) return SL_ENOMEM;
        f->amount = (sl_det_amount){v->chain, x->asset, sum};
        if ((rc = det_f_addr(f, (sl_addr_ref){v->chain, target}))) return rc;
        for (size_t k = i; k < j && !rc; k++) {
            const sl_trace_edge *y = &tr->edges[to->o[k]];
            det_f_time(f, det_flow_time(c, v->chain, y->flow));
            if (v->model == SL_MODEL_UTXO) rc = det_f_tx(f, (sl_tx_ref){v->chain, x->to_pool});
            else {
                sl_flow fl;
                v->m->flow_get(v, y->flow, &fl);
                rc = det_f_tx(f, (sl_tx_ref){v->chain, fl.tx});
            }
        }
        char a[64], name[SL_FLOW_NAME_MAX];
        det_amount_str(c, a, sizeof a, v->chain, x->asset, sum);
        v->m->addr_name(v, target, name);
        det_f_ev(f, "senders=%zu; payments=%zu; amount=%s; into=%s", senders, j - i, a, name);
        if (!rc) rc = det_mark(c, (sl_addr_ref){v->chain, target}, DET_N_CONSOL);
        i = j;
    }
    return rc;
}

/* ---- rapid hops: runs of pools that passed the taint on within rapid_minutes ---- */

static uint64_t via_time(const det_ctx *c, const sl_trace_pool *p)
{
    return p->via == SL_FLOW_NONE ? 0 : det_flow_time(c, p->chain, p->via);
}

static int rapid(det_ctx *c, sl_ht *seen, const sl_trace_result *tr)
{
    uint32_t *run = NULL;
    bool *ext = NULL;
    uint64_t lim = (uint64_t)c->p->rapid_minutes * 60;
    int rc = SL_OK;
    size_t reported = 0;
    if (!tr->n_pools) return SL_OK;
    if (!(run = sl_calloc(tr->n_pools, sizeof *run)) || !(ext = sl_calloc(tr->n_pools, sizeof *ext))) {
        sl_free(run);
        return SL_ENOMEM;
    }
    /* parents come before their children (a pool is recorded when taint first reaches it) */
    for (size_t i = 0; i < tr->n_pools; i++) {
        const sl_trace_pool *p = &tr->pools[i];
        if (p->parent < 0 || (size_t)p->parent >= i) continue;
        const sl_trace_pool *q = &tr->pools[p->parent];
        uint64_t tq = via_time(c, q), tp = via_time(c, p);
        /* a source pool's hold is the victim's, not a hop of the thief's */
        if (q->parent >= 0 && tq && tp && tp >= tq && tp - tq <= lim && q->chain == p->chain) run[i] = run[p->parent] + 1;
    }
    for (size_t i = 0; i < tr->n_pools; i++)
        if (tr->pools[i].parent >= 0 && run[i] && run[i] == run[tr->pools[i].parent] + 1) ext[tr->pools[i].parent] = true;
    /* the longest runs first; a run whose pools a reported run mostly covers is the same path */
    size_t *ord = sl_malloc(tr->n_pools * sizeof *ord), nord = 0;
    bool *cov = sl_calloc(tr->n_pools, sizeof *cov);
    if (!ord || !cov) rc = SL_ENOMEM;
    for (size_t i = 0; i < tr->n_pools && !rc; i++)
        if (run[i] >= 3 && !ext[i]) ord[nord++] = i;
    for (size_t a = 1; a < nord; a++) /* insertion sort by run length, descending: runs are few */
        for (size_t b = a; b > 0 && run[ord[b]] > run[ord[b - 1]]; b--) {
            size_t t = ord[b];
            ord[b] = ord[b - 1], ord[b - 1] = t;
        }
    for (size_t o = 0; o < nord && !rc && reported < 20; o++) {
        size_t i = ord[o], fresh_pools = 0;
        int64_t k0 = (int64_t)i;
        for (uint32_t s = 0; s <= run[i] && k0 >= 0; s++, k0 = tr->pools[k0].parent) fresh_pools += !cov[k0];
        if (fresh_pools * 2 <= run[i] + 1u || !first_time(c, seen, SL_DET_RAPID, tr->pools[i].chain, tr->pools[i].id))
            continue;
        k0 = (int64_t)i;
        for (uint32_t s = 0; s <= run[i] && k0 >= 0; s++, k0 = tr->pools[k0].parent) cov[k0] = true;
        double conf = 0.5 + 0.05 * (double)(run[i] - 3);
        sl_finding *f = det_finding(c, SL_DET_RAPID, SL_STAGE_DISPERSAL, conf > 0.75 ? 0.75 : conf,
                                    "rapid-hops: >= 3 hops in a row, each passed on within the limit");
        if (!f) { rc = SL_ENOMEM; break; }
        const sl_flow_view *v = sl_flow_set_chain(c->fs, tr->pools[i].chain);
        int64_t k = (int64_t)i;
        for (uint32_t s = 0; s <= run[i] && k >= 0 && !rc; s++, k = tr->pools[k].parent) {
            const sl_trace_pool *p = &tr->pools[k];
            sl_addr_ref a = {p->chain, p->addr};
            det_f_time(f, via_time(c, p));
            if (!(rc = det_f_addr(f, a))) rc = det_mark(c, a, DET_N_RAPID);
            if (!rc && v) {
                uint64_t tx = p->via == SL_FLOW_NONE ? SL_FLOW_NONE : v->model == SL_MODEL_UTXO ? SL_FLOW_UTXO_TX(p->via) : 0;
                if (p->via != SL_FLOW_NONE) {
                    sl_flow fl;
                    v->m->flow_get(v, p->via, &fl);
                    if (v->model == SL_MODEL_ACCOUNT) tx = fl.tx;
                    /* the amount: the payment that entered the run (its oldest pool's) */
                    f->amount = (sl_det_amount){p->chain, fl.asset, fl.amount};
                }
                rc = det_f_tx(f, (sl_tx_ref){p->chain, tx});
            }
        }
        f = &c->r->findings[c->r->n_findings - 1];
        det_f_ev(f, "hops=%u; limit_minutes=%u; span_seconds=%llu", run[i], c->p->rapid_minutes,
                 (unsigned long long)(f->time_last - f->time_first));
        reported++;
    }
    sl_free(ord);
    sl_free(cov);
    sl_free(run);
    sl_free(ext);
    return rc;
}

/* ---- dormancy ---- */

typedef struct idle { uint64_t key, arrived, moved, gap; sl_u128 amount; uint32_t asset; uint64_t tx; } idle;

static int idle_add(idle **v, size_t *n, size_t *cap, sl_ht *ix, const idle *x)
{
    uint64_t k[2] = {x->key, x->asset}, i;
    if (sl_ht_get(ix, k, sizeof k, &i)) {
        idle *y = &(*v)[i - 1];
        y->amount += x->amount;
        if (x->gap > y->gap) y->gap = x->gap, y->arrived = x->arrived, y->moved = x->moved, y->tx = x->tx;
        return SL_OK;
    }
    if (sl_grow((void **)v, cap, *n + 1, sizeof **v) || sl_ht_set(ix, k, sizeof k, *n + 1)) return SL_ENOMEM;
    (*v)[(*n)++] = *x;
    return SL_OK;
}

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    return *a < *b ? -1 : *a > *b;
}

static int dormancy(det_ctx *c, sl_ht *seen, const sl_trace_result *tr, const edge_ix *to, const edge_ix *from)
{
    uint64_t lim = (uint64_t)c->p->dormant_days * 86400;
    idle *v = NULL;
    size_t n = 0, cap = 0;
    sl_ht ix = {0};
    int rc = SL_OK;
    /* UTXO: an output that waited before its spend */
    for (size_t i = 0; i < tr->n_edges && !rc; i++) {
        const sl_trace_edge *x = &tr->edges[i];
        const sl_flow_view *w = sl_flow_set_chain(c->fs, x->chain);
        if (!w || w->model != SL_MODEL_UTXO || x->to_pool == SL_FLOW_NONE) continue;
        uint64_t ta = w->m->tx_time(w, SL_FLOW_UTXO_TX(x->flow)), tb = w->m->tx_time(w, x->to_pool);
        if (!ta || tb < ta || tb - ta < lim) continue;
        idle d = {sl_addr_ref_key((sl_addr_ref){x->chain, x->to_addr}), ta, tb, tb - ta, x->amount, 0, x->to_pool};
        rc = idle_add(&v, &n, &cap, &ix, &d);
    }
    /* accounts: a tainted outflow long after the account's last tainted arrival */
    for (size_t i = 0; i < from->n && !rc;) {
        const sl_trace_edge *x = &tr->edges[from->o[i]];
        const sl_flow_view *w = sl_flow_set_chain(c->fs, x->chain);
        size_t j = i;
        while (j < from->n && tr->edges[from->o[j]].chain == x->chain && tr->edges[from->o[j]].from_pool == x->from_pool &&
               tr->edges[from->o[j]].asset == x->asset)
            j++;
        if (w && w->model == SL_MODEL_ACCOUNT) {
            /* arrivals: the edges into the same account (to is sorted by to_pool) */
            uint64_t *arr = NULL;
            size_t na = 0, acap = 0;
            for (size_t k = 0; k < to->n && !rc; k++) { /* binary search would do; pools are few */
                const sl_trace_edge *y = &tr->edges[to->o[k]];
                if (y->chain != x->chain || y->to_pool != x->from_pool || y->asset != x->asset) continue;
                if (sl_grow((void **)&arr, &acap, na + 1, sizeof *arr)) rc = SL_ENOMEM;
                else arr[na++] = det_flow_time(c, y->chain, y->flow);
            }
            if (na > 1) qsort(arr, na, sizeof *arr, cmp_u64);
            for (size_t k = i; k < j && !rc && na; k++) {
                const sl_trace_edge *y = &tr->edges[from->o[k]];
                sl_flow fl;
                w->m->flow_get(w, y->flow, &fl);
                if (fl.fee || fl.sink) continue; /* its gas */
                uint64_t ta = 0;
                for (size_t q = 0; q < na && arr[q] <= fl.time; q++) ta = arr[q];
                if (!ta || fl.time - ta < lim) continue;
                idle d = {sl_addr_ref_key((sl_addr_ref){x->chain, x->from_addr}), ta, fl.time, fl.time - ta, y->amount,
                          x->asset, fl.tx};
                rc = idle_add(&v, &n, &cap, &ix, &d);
            }
            sl_free(arr);
        }
        i = j;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        sl_addr_ref a = sl_addr_ref_of(v[i].key);
        if (!a.id || !enough(c, a.chain, v[i].asset, v[i].amount) || det_service(c, a, NULL, 0) ||
            !first_time(c, seen, SL_DET_DORMANT, a.chain, v[i].key))
            continue;
        sl_finding *f = det_finding(c, SL_DET_DORMANT, SL_STAGE_DORMANCY, 0.7, "dormancy: idle >= N days, then moved");
        if (!f) { rc = SL_ENOMEM; break; }
        f->amount = (sl_det_amount){a.chain, v[i].asset, v[i].amount};
        det_f_time(f, v[i].arrived);
        det_f_time(f, v[i].moved);
        char amt[64];
        det_amount_str(c, amt, sizeof amt, a.chain, v[i].asset, v[i].amount);
        det_f_ev(f, "idle_days=%.1f; threshold_days=%u; moved=%s", (double)v[i].gap / 86400, c->p->dormant_days, amt);
        if (!(rc = det_f_addr(f, a)) && !(rc = det_f_tx(f, (sl_tx_ref){a.chain, v[i].tx}))) rc = det_mark(c, a, DET_N_DORMANT);
    }
    /* still dormant: held as of the tip */
    n = 0;
    sl_ht_clear(&ix);
    for (size_t i = 0; i < tr->n_ends && !rc; i++) {
        const sl_trace_end *x = &tr->ends[i];
        if (x->reason != SL_END_HELD || !x->time || c->r->tip_time < x->time || c->r->tip_time - x->time < lim) continue;
        idle d = {sl_addr_ref_key((sl_addr_ref){x->chain, x->addr}), x->time, c->r->tip_time, c->r->tip_time - x->time,
                  x->amount, x->asset, x->pool};
        rc = idle_add(&v, &n, &cap, &ix, &d);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        sl_addr_ref a = sl_addr_ref_of(v[i].key);
        const sl_flow_view *w = sl_flow_set_chain(c->fs, a.chain);
        if (!a.id || !enough(c, a.chain, v[i].asset, v[i].amount) || det_service(c, a, NULL, 0) ||
            !first_time(c, seen, SL_DET_STILL_DORMANT, a.chain, v[i].key))
            continue;
        sl_finding *f = det_finding(c, SL_DET_STILL_DORMANT, SL_STAGE_DORMANCY, 0.8,
                                    "still-dormant: held, untouched >= N days as of the tip");
        if (!f) { rc = SL_ENOMEM; break; }
        f->amount = (sl_det_amount){a.chain, v[i].asset, v[i].amount};
        det_f_time(f, v[i].arrived);
        char amt[64], tip[32];
        det_amount_str(c, amt, sizeof amt, a.chain, v[i].asset, v[i].amount);
        sl_fmt_time(tip, c->r->tip_time);
        det_f_ev(f, "idle_days=%.1f; threshold_days=%u; held=%s; as_of=%s", (double)v[i].gap / 86400, c->p->dormant_days,
                 amt, tip);
        if (!(rc = det_f_addr(f, a)) && w && w->model == SL_MODEL_UTXO) rc = det_f_tx(f, (sl_tx_ref){a.chain, v[i].tx});
        if (!rc) rc = det_mark(c, a, DET_N_DORMANT);
    }
    sl_ht_free(&ix);
    sl_free(v);
    return rc;
}

int det_flow(det_ctx *c)
{
    sl_ht seen = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < c->r->n_traces && !rc; i++) {
        const sl_trace_result *tr = &c->r->traces[i];
        edge_ix from = {0}, to = {0};
        if (!(rc = order(tr, by_from, &from)) && !(rc = order(tr, by_to, &to)) && !(rc = fanout(c, &seen, tr, &from, false)) &&
            !(rc = fanout(c, &seen, tr, &from, true)) &&
            !(rc = peel_chains(c, &seen, tr)) && !(rc = consolidation(c, &seen, tr, &to)) && !(rc = rapid(c, &seen, tr)))
            rc = dormancy(c, &seen, tr, &to, &from);
        sl_free(from.o);
        sl_free(to.o);
    }
    sl_ht_free(&seen);
    return rc;
}
