/* engine.c — the one tracing engine of trace.h: it resolves the source through the rule
 * of its pool kind, runs one heap of pool events for every chain the taint reaches
 * (utxo.c and acct.c split the pools), keeps the result (ends, edges, crossings, per-hop
 * statistics, a conservation line per asset) and, when declared links carry taint to
 * other chains, runs the trace again with the crossings of the previous pass fed in until
 * they settle. Everything the rules share that does not depend on the pool kind lives
 * here: dust, the endpoint hook, links, the node budget, the totals. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sleuth/util.h"
#include "trace/engine_int.h"

const char *sl_policy_name(sl_policy p)
{
    static const char *const n[] = {"poison", "haircut", "fifo", "lifo", "tiho"};
    return (unsigned)p < sizeof n / sizeof *n ? n[p] : "?";
}

int sl_trace_split_txspec(const char *arg, char *id, size_t cap, int64_t *index, sl_error *e)
{
    const char *colon = strrchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    *index = -1;
    if (n >= cap) return sl_err(e, SL_EUSAGE, "--tx: '%s' is not TXID or TXID:N", arg);
    memcpy(id, arg, n);
    id[n] = 0;
    if (colon) {
        char *end;
        unsigned long long v = strtoull(colon + 1, &end, 10);
        if (!colon[1] || *end || colon[1] < '0' || colon[1] > '9' || v > UINT32_MAX)
            return sl_err(e, SL_EUSAGE, "--tx: after ':' comes the output's (accounts: the flow's) number: '%s'", arg);
        *index = (int64_t)v;
    }
    return SL_OK;
}

int sl_policy_parse(const char *s, sl_policy *p)
{
    for (int i = SL_POLICY_POISON; i <= SL_POLICY_TIHO; i++)
        if (!strcmp(s, sl_policy_name((sl_policy)i))) { *p = (sl_policy)i; return SL_OK; }
    return SL_EUSAGE;
}

const char *sl_end_reason_name(sl_end_reason r)
{
    static const char *const n[] = {"held", "max-hops", "truncated", "tagged", "unspendable", "coinbase", "unknown-origin", "crossed"};
    return (unsigned)r < sizeof n / sizeof *n ? n[r] : "?";
}

bool sl_trace_balanced(const sl_trace_totals *t)
{
    return t->source + t->absorbed + t->linked_in == t->endpoints + t->held + t->fees + t->dropped + t->linked_out;
}

/* One quotient digit of (n2:n1:n0) / (d1:d0) in base 2^64, d normalised (top bit of d1
 * set) and (n2:n1) < (d1:d0), so the digit fits in 64 bits (Knuth, TAOCP 4.3.1 D3-D4). With
 * a two-digit divisor the test against d0 makes the estimate exact, and the remainder is
 * below d: it is computed modulo 2^128. */
static uint64_t div3by2(uint64_t n2, uint64_t n1, uint64_t n0, uint64_t d1, uint64_t d0, sl_u128 *rem)
{
    sl_u128 top = (sl_u128)n2 << 64 | n1, q = n2 >= d1 ? UINT64_MAX : top / d1, r = top - q * d1;
    while (!(r >> 64) && q * d0 > (r << 64 | n0)) q--, r += d1;
    *rem = ((sl_u128)n1 << 64 | n0) - (q * d0 + (q * d1 << 64));
    return (uint64_t)q;
}

sl_u128 sl_tr_muldiv(sl_u128 a, sl_u128 b, sl_u128 d)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64), bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    sl_u128 ll = (sl_u128)al * bl, lh = (sl_u128)al * bh, hl = (sl_u128)ah * bl, hh = (sl_u128)ah * bh;
    sl_u128 mid = (ll >> 64) + (uint64_t)lh + (uint64_t)hl;
    sl_u128 lo = (ll & (sl_u128)UINT64_MAX) | (mid << 64);
    sl_u128 hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64), r;
    if (d == 0) return 0;
    if (hi == 0) return lo / d;
    if (hi >= d) return ~(sl_u128)0; /* the quotient needs more than 128 bits */
    if (!(d >> 64)) { /* a one-digit divisor: two 128-by-64 steps, hi < d < 2^64 */
        sl_u128 x = hi << 64 | (uint64_t)(lo >> 64), q1 = x / (uint64_t)d;
        x = (x % (uint64_t)d) << 64 | (uint64_t)lo;
        return q1 << 64 | x / (uint64_t)d;
    }
    { /* a two-digit divisor: normalise, then two digits of the quotient (hi < d: it fits) */
        int sh = __builtin_clzll((uint64_t)(d >> 64));
        uint64_t q1, q0;
        if (sh) d <<= sh, hi = hi << sh | lo >> (128 - sh), lo <<= sh;
        q1 = div3by2((uint64_t)(hi >> 64), (uint64_t)hi, (uint64_t)(lo >> 64), (uint64_t)(d >> 64), (uint64_t)d, &r);
        q0 = div3by2((uint64_t)(r >> 64), (uint64_t)r, (uint64_t)lo, (uint64_t)(d >> 64), (uint64_t)d, &r);
        return (sl_u128)q1 << 64 | q0;
    }
}

/* ---------------- what the rules call ---------------- */

int sl_tr_fail(sl_tr *t, int code, const char *fmt, ...)
{
    va_list ap;
    char msg[500];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_err(t->e, code, "%s", msg);
}

int sl_tr_too_big(sl_tr *t, sl_tr_chain *c, const sl_flow *f)
{
    char tx[SL_FLOW_NAME_MAX] = "a block-level flow";
    if (f->tx != SL_FLOW_NONE) c->v->m->tx_name(c->v, f->tx, tx);
    return sl_tr_fail(t, SL_EUNSUPPORTED, "%s: flow %u of %s moves more than 2^128 base units, beyond the tracer's exact "
                                          "128-bit arithmetic", c->v->name, c->v->m->flow_index(c->v, f->id), tx);
}

int sl_tr_chain_get(sl_tr *t, uint16_t chain, sl_tr_chain **out)
{
    const sl_flow_view *v;
    sl_tr_chain *c;
    int rc;
    for (size_t i = 0; i < t->nch; i++)
        if (t->ch[i].v->chain == chain) { *out = &t->ch[i]; return SL_OK; }
    if (!(v = sl_flow_set_chain(t->fs, chain))) return sl_tr_fail(t, SL_ENOTFOUND, "the store holds no chain %u", chain);
    if (t->nch >= SL_TR_MAX_CHAINS) return sl_tr_fail(t, SL_ELIMIT, "a trace reaches at most %d chains", SL_TR_MAX_CHAINS);
    c = &t->ch[t->nch];
    memset(c, 0, sizeof *c);
    c->v = v, c->slot = (uint8_t)t->nch;
    c->rule = v->model == SL_MODEL_UTXO ? &SL_TR_UTXO : &SL_TR_ACCT;
    if ((rc = c->rule->start(t, c))) return rc;
    t->nch++;
    *out = c;
    return SL_OK;
}

int sl_tr_schedule(sl_tr *t, sl_tr_chain *c, uint64_t key, size_t node)
{
    int rc = sl_pq_push(&t->heap, key, (size_t)c->slot << 56 | node);
    if (rc == SL_ECORRUPT)
        return sl_tr_fail(t, rc, "%s: the store's order is broken (a pool due before one already split)", c->v->name);
    return rc;
}

/* Whether the caller's deadline (params->deadline_ns) has passed. */
static bool past_deadline(const sl_tr *t)
{
    struct timespec ts;
    if (!t->p->deadline_ns) return false;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec > t->p->deadline_ns;
}

bool sl_tr_take_node(sl_tr *t)
{
    if (t->nodes < t->max_nodes && !((t->nodes & 63) == 63 && past_deadline(t))) { t->nodes++; return true; }
    t->r->truncated = true;
    if (t->nodes < t->max_nodes) snprintf(t->r->truncated_why, sizeof t->r->truncated_why, "the deadline was reached");
    else snprintf(t->r->truncated_why, sizeof t->r->truncated_why, "--max-nodes %llu reached", (unsigned long long)t->max_nodes);
    return false;
}

sl_trace_totals *sl_tr_totals(sl_tr *t, sl_tr_chain *c, uint32_t asset)
{
    sl_trace_result *r = t->r;
    void *q = r->totals;
    for (size_t i = 0; i < r->n_totals; i++)
        if (r->totals[i].asset.chain == c->v->chain && r->totals[i].asset.id == asset) return &r->totals[i];
    if (sl_grow(&q, &t->cap_totals, r->n_totals + 1, sizeof *r->totals)) return NULL;
    r->totals = q;
    memset(&r->totals[r->n_totals], 0, sizeof *r->totals);
    r->totals[r->n_totals].asset = (sl_asset_ref){c->v->chain, asset};
    return &r->totals[r->n_totals++];
}

int sl_tr_count(sl_tr *t, sl_tr_chain *c, uint32_t asset, int what, sl_u128 amount)
{
    sl_trace_totals *x = sl_tr_totals(t, c, asset);
    if (!x) return SL_ENOMEM;
    switch (what) {
    case SL_TR_SOURCE: x->source += amount; break;
    case SL_TR_ABSORBED: x->absorbed += amount; break;
    case SL_TR_FEES: x->fees += amount; break;
    default: x->dropped += amount; break;
    }
    return SL_OK;
}

int sl_tr_end(sl_tr *t, sl_tr_chain *c, sl_trace_end *x, sl_tr_ref ref)
{
    sl_trace_result *r = t->r;
    sl_trace_totals *tot = sl_tr_totals(t, c, x->asset);
    void *q = r->ends, *q2 = t->end_refs;
    if (!tot) return SL_ENOMEM;
    if (x->reason == SL_END_HELD) tot->held += x->amount;
    else tot->endpoints += x->amount;
    if (sl_grow(&q, &t->cap_ends, r->n_ends + 1, sizeof *r->ends)) return SL_ENOMEM;
    r->ends = q;
    if (sl_grow(&q2, &t->cap_end_refs, r->n_ends + 1, sizeof *t->end_refs)) return SL_ENOMEM;
    t->end_refs = q2;
    x->chain = c->v->chain;
    x->path = -1;
    r->ends[r->n_ends] = *x;
    t->end_refs[r->n_ends++] = ref;
    return SL_OK;
}

int sl_tr_edge(sl_tr *t, sl_tr_chain *c, sl_trace_edge *x)
{
    sl_trace_result *r = t->r;
    void *q = r->edges;
    if (t->p->no_edges) return SL_OK;
    if (sl_grow(&q, &t->cap_edges, r->n_edges + 1, sizeof *r->edges)) return SL_ENOMEM;
    r->edges = q;
    x->chain = c->v->chain;
    r->edges[r->n_edges++] = *x;
    return SL_OK;
}

int sl_tr_hop(sl_tr *t, sl_tr_chain *c, uint32_t asset, uint32_t hop, uint64_t pools, uint64_t flows, uint64_t addresses,
              sl_u128 amount)
{
    sl_trace_result *r = t->r;
    sl_trace_hop *h;
    if (hop >= r->n_hops) {
        sl_trace_hop *n = sl_realloc(r->hops, ((size_t)hop + 1) * sizeof *n);
        if (!n) return SL_ENOMEM;
        memset(n + r->n_hops, 0, ((size_t)hop + 1 - r->n_hops) * sizeof *n);
        r->hops = n;
        r->n_hops = (size_t)hop + 1;
    }
    h = &r->hops[hop];
    h->pools += pools, h->flows += flows, h->addresses += addresses;
    if (amount && c->v->chain == t->src_asset.chain && asset == t->src_asset.id) h->amount += amount;
    return SL_OK;
}

bool sl_tr_endpoint(sl_tr *t, sl_tr_chain *c, uint32_t addr)
{
    const sl_trace_endpoints *h = &t->p->endpoints;
    sl_addr_ref a = {c->v->chain, addr};
    return h->is_endpoint && addr && h->is_endpoint(h->ctx, a);
}

int sl_tr_pool(sl_tr *t, const sl_trace_pool *p, sl_tr_ref parent)
{
    sl_trace_result *r = t->r;
    void *q = r->pools, *q2 = t->pool_refs;
    if (sl_grow(&q, &t->cap_pools, r->n_pools + 1, sizeof *r->pools)) return SL_ENOMEM;
    r->pools = q;
    if (sl_grow(&q2, &t->cap_pool_refs, r->n_pools + 1, sizeof *t->pool_refs)) return SL_ENOMEM;
    t->pool_refs = q2;
    t->pool_refs[r->n_pools] = parent;
    r->pools[r->n_pools++] = *p;
    return SL_OK;
}

/* ---------------- declared links ---------------- */

typedef struct sl_tr_dep {
    size_t link;
    sl_u128 amount;         /* in the departing side's asset */
    uint32_t hop;
    sl_tr_ref from;
} sl_tr_dep;

static const sl_trace_links *links_of(const sl_tr *t)
{
    return t->p->links && t->p->links->n ? t->p->links : NULL;
}

/* The (chain, flow) a link leaves at in this direction, and where it arrives. */
static void link_side(const sl_tr *t, const sl_trace_link *l, bool leaving, uint16_t *chain, uint64_t *flow)
{
    bool from = leaving != t->p->backward;
    *chain = from ? l->from_chain : l->to_chain;
    *flow = from ? l->from_flow : l->to_flow;
}

static int cmp_link_side(const void *a, const void *b, void *ctx)
{
    const sl_tr *t = ctx;
    const sl_trace_link *v = links_of(t)->v;
    uint16_t ca, cb;
    uint64_t fa, fb;
    link_side(t, &v[*(const size_t *)a], true, &ca, &fa);
    link_side(t, &v[*(const size_t *)b], true, &cb, &fb);
    if (ca != cb) return ca < cb ? -1 : 1;
    if (fa != fb) return fa < fb ? -1 : 1;
    /* links leaving at one payment in their given order: the split over them is fixed */
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* The links sorted by where they leave (a binary search per routed payment). */
static int links_index(sl_tr *t)
{
    const sl_trace_links *L = links_of(t);
    if (!L) return SL_OK;
    if (!(t->link_from = sl_malloc(L->n * sizeof *t->link_from))) return SL_ENOMEM;
    for (size_t i = 0; i < L->n; i++) t->link_from[i] = i;
    qsort_r(t->link_from, L->n, sizeof *t->link_from, cmp_link_side, t);
    return SL_OK;
}

/* The first position in t->link_from of the links that leave at (chain, flow). */
static size_t link_lower(const sl_tr *t, uint16_t chain, uint64_t flow)
{
    const sl_trace_links *L = links_of(t);
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t ch;
        uint64_t fl;
        link_side(t, &L->v[t->link_from[mid]], true, &ch, &fl);
        if (ch < chain || (ch == chain && fl < flow)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int64_t sl_tr_link_at(sl_tr *t, sl_tr_chain *c, uint64_t flow)
{
    const sl_trace_links *L = links_of(t);
    size_t k;
    uint16_t ch;
    uint64_t fl;
    if (!L || flow == SL_FLOW_NONE) return -1;
    if ((k = link_lower(t, c->v->chain, flow)) == L->n) return -1;
    link_side(t, &L->v[t->link_from[k]], true, &ch, &fl);
    return ch == c->v->chain && fl == flow ? (int64_t)t->link_from[k] : -1;
}

/* Taint that left through a link whose arriving payment the store does not hold: an end
 * ("crossed") at the departing payment. */
static int depart_crossed(sl_tr *t, sl_tr_chain *c, uint64_t flow, uint32_t asset, sl_u128 amount, uint32_t hop,
                          sl_tr_ref from)
{
    sl_flow f;
    c->v->m->flow_get(c->v, flow, &f);
    sl_trace_end x = {.amount = amount, .pool = c->v->model == SL_MODEL_UTXO ? f.tx : f.to, .flow = flow, .time = f.time,
                      .addr = f.to, .asset = asset, .hops = hop, .reason = SL_END_CROSSED};
    return sl_tr_end(t, c, &x, from);
}

static int depart_one(sl_tr *t, size_t link, sl_u128 amount, uint32_t hop, sl_tr_ref from)
{
    void *q = t->deps;
    for (size_t i = 0; i < t->n_deps; i++) /* one crossing per link: demands on it add up */
        if (t->deps[i].link == link) {
            t->deps[i].amount += amount;
            if (hop < t->deps[i].hop) t->deps[i].hop = hop;
            return SL_OK;
        }
    if (sl_grow(&q, &t->cap_deps, t->n_deps + 1, sizeof *t->deps)) return SL_ENOMEM;
    t->deps = q;
    t->deps[t->n_deps++] = (sl_tr_dep){link, amount, hop, from};
    return SL_OK;
}

int sl_tr_depart(sl_tr *t, sl_tr_chain *c, size_t link, uint32_t asset, sl_u128 amount, uint32_t hop, sl_tr_ref from)
{
    const sl_trace_links *L = links_of(t);
    uint16_t chain;
    uint64_t flow;
    size_t first, end;
    sl_u128 weight = 0, cum = 0, given = 0;
    int rc = SL_OK;
    link_side(t, &L->v[link], true, &chain, &flow);
    first = link_lower(t, chain, flow);
    for (end = first; end < L->n; end++) { /* every link leaving at this payment: split by their amounts */
        const sl_trace_link *l = &L->v[t->link_from[end]];
        uint16_t ch;
        uint64_t fl;
        link_side(t, l, true, &ch, &fl);
        if (ch != chain || fl != flow) break;
        weight += t->p->backward ? l->to_amount : l->from_amount;
    }
    for (size_t k = first; k < end && !rc; k++) {
        size_t i = t->link_from[k];
        const sl_trace_link *l = &L->v[i];
        sl_u128 part;
        cum += t->p->backward ? l->to_amount : l->from_amount;
        part = k + 1 == end ? amount - given : sl_tr_muldiv(amount, cum, weight) - given;
        given += part;
        if (!part) continue;
        if (!t->p->backward && l->to_flow == SL_FLOW_NONE) {
            rc = depart_crossed(t, c, flow, asset, part, hop, from);
            continue;
        }
        sl_trace_totals *tot = sl_tr_totals(t, c, asset);
        if (!tot) return SL_ENOMEM;
        tot->linked_out += part;
        rc = depart_one(t, i, part, hop, from);
    }
    return rc;
}

/* What a crossing brings to the other side: floor(amount * to / from) (backward the
 * inverse), never more than the arriving payment's declared amount. */
static sl_u128 converted(const sl_tr *t, const sl_trace_link *l, sl_u128 amount)
{
    sl_u128 num = t->p->backward ? l->from_amount : l->to_amount, den = t->p->backward ? l->to_amount : l->from_amount;
    return sl_tr_muldiv(amount, num, den);
}

/* A heap entry that is the arrival of seed k, not a pool's event (pool nodes stay far below). */
#define ARRIVAL_NODE ((size_t)1 << 55)

/* Feeds one crossing of the previous pass to the chain it arrives on. */
static int arrive_one(sl_tr *t, const sl_tr_dep *seed)
{
    const sl_trace_link *l = &links_of(t)->v[seed->link];
    sl_u128 in = converted(t, l, seed->amount);
    sl_tr_chain *c;
    uint16_t chain;
    uint64_t flow;
    sl_flow f;
    sl_trace_totals *tot;
    int rc;
    link_side(t, l, false, &chain, &flow);
    if ((rc = sl_tr_chain_get(t, chain, &c))) return rc;
    c->v->m->flow_get(c->v, flow, &f);
    if (!(tot = sl_tr_totals(t, c, f.asset))) return SL_ENOMEM;
    tot->linked_in += in;
    return c->rule->arrive(t, c, &f, in, seed->hop, seed->from);
}

/* The crossings of the previous pass. Backward, demands on a payment add up until its pool
 * is split, so they are fed at once. Forward, each arrives in its chain's order (an entry on
 * the heap at its payment's place: UTXO the paying tx, accounts the flow's sender role), so
 * an account that many crossings reach is still swept once, in order: fed all at once, a
 * late arrival would open the account's state past an earlier delivery, and the result
 * would depend on the order of the seeds (and passes might never settle). */
static int arrive_all(sl_tr *t, const sl_tr_dep *seeds, size_t n)
{
    int rc = SL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        sl_tr_chain *c;
        uint16_t chain;
        uint64_t flow;
        if (t->p->backward) { rc = arrive_one(t, &seeds[i]); continue; }
        link_side(t, &links_of(t)->v[seeds[i].link], false, &chain, &flow);
        if ((rc = sl_tr_chain_get(t, chain, &c))) break;
        rc = sl_tr_schedule(t, c, c->v->model == SL_MODEL_UTXO ? SL_FLOW_UTXO_TX(flow) : flow * 2, ARRIVAL_NODE | i);
    }
    return rc;
}

static int cmp_dep(const void *a, const void *b)
{
    const sl_tr_dep *x = a, *y = b;
    return (x->link > y->link) - (x->link < y->link);
}

static bool deps_same(const sl_tr_dep *a, size_t na, const sl_tr_dep *b, size_t nb)
{
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].link != b[i].link || a[i].amount != b[i].amount || a[i].hop != b[i].hop) return false;
    return true;
}

/* ---------------- one pass ---------------- */

/* Ends by share of their asset (sl_trace_share; one asset: by amount), then by place. */
static int cmp_end(const void *a, const void *b, void *ctx)
{
    const sl_trace_end *x = a, *y = b;
    const sl_trace_result *r = ctx;
    if (x->chain != y->chain || x->asset != y->asset) {
        double sx = sl_trace_share(r, x->chain, x->asset, x->amount), sy = sl_trace_share(r, y->chain, y->asset, y->amount);
        if (sx != sy) return sx < sy ? 1 : -1;
    }
    if (x->amount != y->amount) return x->amount < y->amount ? 1 : -1;
    if (x->chain != y->chain) return x->chain < y->chain ? -1 : 1;
    if (x->chain == SL_CHAIN_BTC) return (x->flow > y->flow) - (x->flow < y->flow);
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (x->flow > y->flow) - (x->flow < y->flow);
}

/* The index in r->pools of the pool ref names, -1 when no rule gave it. */
static int64_t pool_at(const sl_tr *t, sl_tr_ref ref)
{
    if (!sl_tr_isref(ref)) return -1;
    for (size_t i = 0; i < t->nch; i++)
        if (t->ch[i].v->chain == ref.chain) {
            int64_t k = t->ch[i].rule->pool_index(&t->ch[i], ref.id);
            return k < 0 ? -1 : (int64_t)t->ch[i].pool_base + k;
        }
    return -1;
}

/* The rules' pools for paths, with their parents and the ends' last pools as indexes. */
static int export_paths(sl_tr *t)
{
    sl_trace_result *r = t->r;
    int rc = SL_OK;
    for (size_t i = 0; i < t->nch && !rc; i++) {
        t->ch[i].pool_base = r->n_pools;
        rc = t->ch[i].rule->finish(t, &t->ch[i]);
    }
    for (size_t i = 0; i < r->n_pools && !rc; i++) {
        int64_t k = pool_at(t, t->pool_refs[i]);
        r->pools[i].parent = k == (int64_t)i ? -1 : k;
    }
    for (size_t i = 0; i < r->n_ends && !rc; i++) r->ends[i].path = pool_at(t, t->end_refs[i]);
    return rc;
}

static void pass_reset(sl_tr *t)
{
    for (size_t i = 0; i < t->nch; i++) t->ch[i].rule->free(&t->ch[i]);
    t->nch = 0;
    sl_pq_free(&t->heap);
    sl_trace_free(t->r);
    sl_free(t->end_refs), sl_free(t->pool_refs);
    t->end_refs = NULL, t->pool_refs = NULL;
    t->cap_ends = t->cap_edges = t->cap_totals = t->cap_pools = t->cap_end_refs = t->cap_pool_refs = 0;
    t->n_deps = 0;
    t->nodes = 0;
}

/* Turns this pass's departures into the result's crossings. */
static int crossings(sl_tr *t)
{
    sl_trace_result *r = t->r;
    const sl_trace_links *L = links_of(t);
    if (!t->n_deps) return SL_OK;
    if (!(r->crossings = sl_calloc(t->n_deps, sizeof *r->crossings))) return SL_ENOMEM;
    for (size_t i = 0; i < t->n_deps; i++) {
        const sl_tr_dep *d = &t->deps[i];
        const sl_flow_view *v = sl_flow_set_chain(t->fs, d->from.chain);
        uint64_t from = v && v->model == SL_MODEL_ACCOUNT && sl_tr_isref(d->from) ? (uint32_t)d->from.id : d->from.id;
        r->crossings[i] = (sl_trace_crossing){d->link, d->amount, converted(t, &L->v[d->link], d->amount), from, d->hop};
    }
    r->n_crossings = t->n_deps;
    return SL_OK;
}

static int run_pass(sl_tr *t, const sl_trace_source *src, const sl_tr_dep *seeds, size_t nseeds)
{
    sl_trace_result *r = t->r;
    sl_flow_ids ids = {0};
    sl_tr_chain *c;
    int rc;
    pass_reset(t);
    if ((rc = sl_tr_chain_get(t, src->chain, &c))) return rc;
    if ((rc = c->rule->select(t, c, src, &ids))) goto out;
    if (!ids.n) { rc = sl_tr_fail(t, SL_ENOTFOUND, "nothing to trace from: the source holds no payment of the asset"); goto out; }
    for (size_t i = 0; i < ids.n && !rc; i++) {
        sl_flow f;
        c->v->m->flow_get(c->v, ids.v[i], &f);
        if (f.big) { rc = sl_tr_too_big(t, c, &f); break; }
        if (i == 0) {
            t->src_asset = (sl_asset_ref){c->v->chain, f.asset};
            r->chain = c->v->chain, r->asset = f.asset;
        }
        if (!(rc = sl_tr_count(t, c, f.asset, SL_TR_SOURCE, f.amount))) rc = c->rule->source(t, c, &f);
    }
    if (!rc) rc = arrive_all(t, seeds, nseeds);
    while (!rc && t->heap.n) {
        sl_pq_ent x;
        size_t node;
        if ((rc = sl_pq_pop(&t->heap, &x))) break;
        node = x.idx & (((size_t)1 << 56) - 1);
        if (node & ARRIVAL_NODE) rc = arrive_one(t, &seeds[node & (ARRIVAL_NODE - 1)]);
        else rc = t->ch[x.idx >> 56].rule->step(t, &t->ch[x.idx >> 56], node);
    }
    if (!rc) rc = export_paths(t);
    if (!rc) rc = crossings(t);
    if (rc) goto out;
    if (r->n_ends) qsort_r(r->ends, r->n_ends, sizeof *r->ends, cmp_end, r);
    for (size_t h = 0; h < r->n_hops; h++) r->flows_routed += r->hops[h].flows;
    r->sources = ids.v, r->n_sources = ids.n; /* the report names them */
    ids.v = NULL;
out:
    sl_flow_ids_free(&ids);
    return rc;
}

/* ---------------- the entry point ---------------- */

static int check_params(const sl_trace_source *src, const sl_trace_params *p, sl_error *e)
{
    if ((unsigned)p->policy > SL_POLICY_TIHO) return sl_err(e, SL_EUSAGE, "unknown policy %d", (int)p->policy);
    if (p->until && p->backward) return sl_err(e, SL_EUSAGE, "--until limits a forward trace; a backward trace goes back to the sources");
    if (p->since && src->kind != SL_SOURCE_ADDRESS)
        return sl_err(e, SL_EUSAGE, "--since selects what an address received; with a tx it means nothing");
    if (src->kind != SL_SOURCE_TX && src->kind != SL_SOURCE_ADDRESS) return sl_err(e, SL_EUSAGE, "no source to trace from");
    return SL_OK;
}

int sl_trace_run(const sl_flow_set *fs, const sl_trace_source *src, const sl_trace_params *p, sl_trace_result *r,
                 sl_error *e)
{
    sl_tr t;
    sl_tr_dep *seeds = NULL;
    size_t nseeds = 0;
    unsigned max_passes;
    int rc;
    memset(r, 0, sizeof *r);
    if ((rc = check_params(src, p, e))) return rc;
    sl_trace_params pp = *p; /* the more_links hook reads the edges of every pass */
    if (p->more_links && !p->backward) pp.no_edges = false;
    memset(&t, 0, sizeof t);
    t.fs = fs, t.p = &pp, t.r = r, t.e = e;
    t.max_nodes = p->max_nodes ? p->max_nodes : SL_TRACE_MAX_NODES_DEFAULT;
    max_passes = links_of(&t) ? (unsigned)links_of(&t)->n + 2 : 1;
    if ((rc = links_index(&t))) { rc = sl_err(e, rc, "out of memory"); goto out; }
    for (unsigned pass = 1;; pass++) {
        if ((rc = run_pass(&t, src, seeds, nseeds))) break;
        r->passes = pass;
        if (t.n_deps) qsort(t.deps, t.n_deps, sizeof *t.deps, cmp_dep);
        if (p->more_links && !p->backward) { /* links found where this pass went: index them, pass again */
            size_t added = 0;
            if ((rc = p->more_links(p->more_ctx, r, &added))) break;
            if (added) {
                sl_free(t.link_from), t.link_from = NULL;
                if ((rc = links_index(&t))) { rc = sl_err(e, rc, "out of memory"); break; }
                max_passes = pass + (unsigned)links_of(&t)->n + 2;
                goto again;
            }
        }
        if (!links_of(&t) || deps_same(t.deps, t.n_deps, seeds, nseeds)) break;
        if (pass == max_passes) {
            rc = sl_err(e, SL_ELIMIT, "the declared links do not settle after %u passes: they form a loop through which "
                                      "taint keeps coming back", pass);
            break;
        }
    again:
        sl_free(seeds);
        if (!(seeds = sl_malloc((t.n_deps + 1) * sizeof *seeds))) { rc = SL_ENOMEM; break; }
        if (t.n_deps) memcpy(seeds, t.deps, t.n_deps * sizeof *seeds);
        nseeds = t.n_deps;
    }
    if (!rc && p->no_edges && r->edges) { /* kept for the hook only: the caller asked for none */
        sl_free(r->edges), r->edges = NULL;
        r->n_edges = 0;
    }
out:
    if (rc && e && !e->code) sl_err(e, rc, "%s", sl_strerror(rc)); /* every failure says what it was */
    for (size_t i = 0; i < t.nch; i++) t.ch[i].rule->free(&t.ch[i]);
    sl_pq_free(&t.heap);
    sl_free(t.end_refs), sl_free(t.pool_refs), sl_free(t.deps), sl_free(t.link_from), sl_free(seeds);
    if (rc) sl_trace_free(r);
    return rc;
}

size_t sl_trace_path(const sl_trace_result *r, const sl_trace_end *x, const sl_trace_pool **steps, size_t cap)
{
    size_t n = 0;
    /* from the end back towards the source: the cap pools nearest the end */
    for (int64_t i = x->path; i >= 0 && (size_t)i < r->n_pools && n < cap; i = r->pools[i].parent) steps[n++] = &r->pools[i];
    for (size_t i = 0; i < n / 2; i++) {
        const sl_trace_pool *tmp = steps[i];
        steps[i] = steps[n - 1 - i], steps[n - 1 - i] = tmp;
    }
    return n;
}

double sl_trace_share(const sl_trace_result *r, uint16_t chain, uint32_t asset, sl_u128 amount)
{
    const sl_trace_totals *t = sl_trace_totals_of(r, chain, asset);
    sl_u128 in = t ? t->source + t->absorbed + t->linked_in : 0;
    return in ? (double)amount / (double)in : 0;
}

const sl_trace_totals *sl_trace_totals_of(const sl_trace_result *r, uint16_t chain, uint32_t asset)
{
    for (size_t i = 0; i < r->n_totals; i++)
        if (r->totals[i].asset.chain == chain && r->totals[i].asset.id == asset) return &r->totals[i];
    return NULL;
}

void sl_trace_free(sl_trace_result *r)
{
    sl_free(r->totals), sl_free(r->ends), sl_free(r->hops), sl_free(r->edges), sl_free(r->crossings);
    sl_free(r->pools), sl_free(r->sources);
    memset(r, 0, sizeof *r);
}
