/* trace_acct.c — forward tracing on account chains (trace_acct.h). One sweep in chain
 * order over the flows of the tainted accounts: a min-heap holds each tainted account's
 * next flow (key = flow id * 2 + role, so a flow's sender is handled before its
 * receiver); an outflow's tainted part is delivered to the receiver, which joins the
 * sweep at that flow after replaying its earlier history (clean) to know its balance.
 * Memory is proportional to the accounts touched and their histories in the asset.
 */
#include "sleuth/trace_acct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq.h"
#include "sleuth/util.h"

typedef sl_u128 u128;

typedef struct lot { u128 amt; bool tainted; } lot;

typedef struct astate {
    uint32_t acct, hop;
    uint64_t *hist;       /* flow ids of this account in the asset, ascending */
    size_t nhist, cur;
    u128 bal, taint;      /* haircut, tiho, poison (taint = tainted balance / poison: taint in) */
    u128 marked_out;      /* poison */
    bool flagged;         /* poison */
    lot *lots;            /* fifo/lifo: a deque as [head, tail) over a growable array */
    size_t lhead, ltail, lcap;
    uint64_t last_time, best_flow;
    int64_t best_parent;  /* state index of the strongest delivery */
    u128 best_amt;
    bool done;
} astate;

typedef struct aeng {
    const sl_eth_chain *c;
    const sl_trace_params *p;
    sl_acct_result *r;
    uint32_t asset;
    astate *st;
    size_t nst, capst;
    sl_idmap map;         /* acct -> state */
    sl_pq heap;           /* next flow of each tainted account (forward) / flows to split (backward) */
    sl_ht dlmap;          /* deliveries: flow id -> index in dlamt */
    u128 *dlamt;          /* tainted amount delivered to the receiver of the flow */
    size_t capdl;
    size_t capends, capedges;
    uint64_t max_nodes;
} aeng;

static int add_edge(aeng *g, uint32_t from, uint32_t to, uint64_t flow, sl_u128 amt)
{
    sl_acct_result *r = g->r;
    void *q = r->edges;
    if (g->p->no_edges) return SL_OK;
    if (sl_grow(&q, &g->capedges, r->n_edges + 1, sizeof *r->edges)) return SL_ENOMEM;
    r->edges = q;
    r->edges[r->n_edges++] = (sl_acct_edge){from, to, flow, amt};
    return SL_OK;
}

void sl_u128_dec(char out[40], sl_u128 v)
{
    char t[40];
    int n = 0;
    do { t[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    for (int i = 0; i < n; i++) out[i] = t[n - 1 - i];
    out[n] = 0;
}

/* floor(a * b / d) for b <= d (so the result <= a), exact through a 256-bit product. */
static u128 muldiv(u128 a, u128 b, u128 d)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64), bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    u128 ll = (u128)al * bl, lh = (u128)al * bh, hl = (u128)ah * bl, hh = (u128)ah * bh;
    u128 mid = (ll >> 64) + (uint64_t)lh + (uint64_t)hl;
    u128 lo = (ll & (u128)UINT64_MAX) | (mid << 64);
    u128 hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    u128 q = 0, rem = 0;
    if (d == 0) return 0;
    if (hi == 0) return lo / d;
    for (int i = 255; i >= 0; i--) {
        int top = (int)(rem >> 127);
        rem = rem << 1 | (u128)((i >= 128 ? hi >> (i - 128) : lo >> i) & 1);
        if (top || rem >= d) { rem -= d; if (i < 128) q |= (u128)1 << i; }
    }
    return q;
}

/* deliveries: flow id -> tainted amount for the receiver */
static int dl_add(aeng *g, uint64_t flow, u128 amt)
{
    void *q = g->dlamt;
    uint64_t *k;
    bool added;
    size_t n = sl_ht_count(&g->dlmap);
    if (sl_grow(&q, &g->capdl, n + 1, sizeof *g->dlamt)) return SL_ENOMEM;
    g->dlamt = q;
    if (sl_ht_upsert(&g->dlmap, &flow, 8, n, &k, &added)) return SL_ENOMEM;
    if (added) g->dlamt[n] = amt;
    else g->dlamt[*k] += amt;
    return SL_OK;
}

static u128 dl_get(const aeng *g, uint64_t flow)
{
    uint64_t k;
    return sl_ht_get_u64(&g->dlmap, flow, &k) ? g->dlamt[k] : 0;
}

static int flow_amount(const aeng *g, const sl_eth_flowrec *f, u128 *out)
{
    sl_u256 v;
    sl_eth_flow_amount(g->c, f, &v);
    if (!sl_u256_fits(&v, 128)) return SL_EUSAGE;
    *out = (u128)v.w[1] << 64 | v.w[0];
    return SL_OK;
}

static uint64_t flow_time(const aeng *g, const sl_eth_flowrec *f) { return sl_eth_block_at(g->c, f->block)->time; }

static int add_end(aeng *g, uint32_t acct, u128 amt, sl_end_reason why, uint32_t hops, uint64_t time, uint64_t flow)
{
    sl_acct_result *r = g->r;
    void *q = r->ends;
    if (sl_grow(&q, &g->capends, r->n_ends + 1, sizeof *r->ends)) return SL_ENOMEM;
    r->ends = q;
    r->ends[r->n_ends++] = (sl_acct_end){acct, (uint8_t)why, hops, time, flow, amt};
    if (why == SL_END_HELD) r->held += amt; else r->endpoints += amt;
    return SL_OK;
}

static int hop_stat(aeng *g, uint32_t hop, uint64_t pools, uint64_t outs, u128 amount)
{
    /* the per-hop amount is for display: saturated at 2^64-1 */
    return sl_hops_add(&g->r->hops, &g->r->n_hops, hop, pools, outs, amount > UINT64_MAX ? UINT64_MAX : (uint64_t)amount);
}

static int lot_push(astate *s, u128 amt, bool tainted)
{
    if (!amt) return SL_OK;
    if (s->ltail == s->lcap) {
        size_t live = s->ltail - s->lhead, nc = live * 2 + 16;
        lot *n = sl_malloc(nc * sizeof *n);
        if (!n) return SL_ENOMEM;
        if (live) memcpy(n, s->lots + s->lhead, live * sizeof *n);
        sl_free(s->lots);
        s->lots = n, s->lhead = 0, s->ltail = live, s->lcap = nc;
    }
    s->lots[s->ltail++] = (lot){amt, tainted};
    return SL_OK;
}

/* Takes amt from the lots (front: fifo, back: lifo); returns the tainted part. */
static u128 lot_take(astate *s, u128 amt, bool back)
{
    u128 t = 0;
    while (amt && s->ltail > s->lhead) {
        lot *l = back ? &s->lots[s->ltail - 1] : &s->lots[s->lhead];
        u128 k = l->amt < amt ? l->amt : amt;
        if (l->tainted) t += k;
        l->amt -= k, amt -= k;
        if (!l->amt) { if (back) s->ltail--; else s->lhead++; }
    }
    return t; /* anything left over came from history before the ingested range: clean */
}

static bool lots_policy(const aeng *g) { return g->p->policy == SL_POLICY_FIFO || g->p->policy == SL_POLICY_LIFO; }

/* Applies one clean flow of the account's history (replay before it is tainted). */
static int replay(aeng *g, astate *s, const sl_eth_flowrec *f, u128 amt)
{
    if (f->from == f->to) return SL_OK;
    if (f->to == s->acct) {
        s->bal += amt;
        if (lots_policy(g)) return lot_push(s, amt, false);
    } else {
        s->bal = s->bal > amt ? s->bal - amt : 0;
        if (lots_policy(g)) (void)lot_take(s, amt, g->p->policy == SL_POLICY_LIFO);
    }
    return SL_OK;
}

/* A walk of an account's history (sl_eth_acct_each_flow) keeping some of its flows. */
typedef struct hwalk {
    const aeng *g;
    uint32_t acct;
    uint64_t before, since; /* acct_history: flows below before; sources: received since */
    uint64_t *v;
    size_t n, cap;
} hwalk;

static int hwalk_keep(hwalk *w, uint64_t flow)
{
    void *q = w->v;
    if (sl_grow(&q, &w->cap, w->n + 1, 8)) return SL_ENOMEM;
    w->v = q;
    w->v[w->n++] = flow;
    return 0;
}

static int history_flow(void *ctx, uint64_t flow)
{
    hwalk *w = ctx;
    const sl_eth_flowrec *f;
    if (flow >= w->before) return -1; /* oldest first: the rest come later too */
    f = sl_eth_flow_at(w->g->c, flow);
    return f && f->asset == w->g->asset && f->from != f->to ? hwalk_keep(w, flow) : 0;
}

/* The flows an account received in the traced asset (not from itself) since w->since:
 * what a trace from an address starts with. */
static int source_flow(void *ctx, uint64_t flow)
{
    hwalk *w = ctx;
    const sl_eth_flowrec *f = sl_eth_flow_at(w->g->c, flow);
    if (!f || f->to != w->acct || f->from == w->acct || f->asset != w->g->asset) return 0;
    return !w->since || flow_time(w->g, f) >= w->since ? hwalk_keep(w, flow) : 0;
}

/* The account's flows in the traced asset with ids below `before`, ascending, without
 * self-transfers (they move nothing). *out is malloc'd (NULL when there are none). */
static int acct_history(const aeng *g, uint32_t acct, uint64_t before, uint64_t **out, size_t *n)
{
    hwalk w = {g, acct, before, 0, NULL, 0, 0};
    int rc = sl_eth_acct_each_flow(g->c, acct, false, history_flow, &w);
    *out = w.v;
    *n = w.n;
    if (rc > 0) {
        sl_free(w.v);
        *out = NULL, *n = 0;
        return SL_ENOMEM;
    }
    return SL_OK;
}

/* The state of acct, made on its first tainted delivery at flow `at`. */
static int64_t state_for(aeng *g, uint32_t acct, uint64_t at, uint32_t hop, int *rc)
{
    int64_t k = sl_idmap_get(&g->map, acct);
    astate *s;
    size_t n = 0;
    uint64_t *h = NULL;
    void *q;
    *rc = SL_OK;
    if (k >= 0) {
        if (hop < g->st[k].hop) g->st[k].hop = hop;
        return k;
    }
    if (g->nst >= g->max_nodes) return -1;
    if ((*rc = acct_history(g, acct, UINT64_MAX, &h, &n))) return -1;
    q = g->st;
    if (sl_grow(&q, &g->capst, g->nst + 1, sizeof *g->st)) { sl_free(h); *rc = SL_ENOMEM; return -1; }
    g->st = q;
    s = &g->st[g->nst];
    memset(s, 0, sizeof *s);
    s->acct = acct, s->hop = hop, s->hist = h, s->nhist = n, s->best_parent = -1;
    /* replay what came before `at` */
    while (s->cur < s->nhist && s->hist[s->cur] < at) {
        const sl_eth_flowrec *f = sl_eth_flow_at(g->c, s->hist[s->cur]);
        u128 amt;
        if (flow_amount(g, f, &amt) || (*rc = replay(g, s, f, amt))) { if (!*rc) *rc = SL_EUSAGE; return -1; }
        s->cur++;
    }
    if ((*rc = sl_idmap_put(&g->map, acct, (int64_t)g->nst))) return -1;
    if (s->cur < s->nhist && (*rc = sl_pq_push(&g->heap, s->hist[s->cur] * 2 + (sl_eth_flow_at(g->c, s->hist[s->cur])->to == acct), g->nst)))
        return -1;
    g->r->pools_visited++;
    if ((*rc = hop_stat(g, hop, 1, 0, 0))) return -1;
    return (int64_t)g->nst++;
}

static bool is_sink(uint32_t acct) { return acct >= 1 && acct <= 3; }

static bool hist_has(const astate *s, uint64_t f)
{
    size_t lo = s->cur, hi = s->nhist;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->hist[mid] == f) return true;
        if (s->hist[mid] < f) lo = mid + 1; else hi = mid;
    }
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The tainted part t of flow f (sent by state `from`) reaches f->to. */
static int deliver(aeng *g, int64_t from, uint64_t fid, const sl_eth_flowrec *f, u128 t, uint32_t hop)
{
    int rc;
    int64_t k;
    uint64_t time = flow_time(g, f);
    if (!t) return SL_OK;
    g->r->flows_routed++;
    if ((rc = hop_stat(g, hop, 0, 1, t))) return rc;
    if ((rc = add_edge(g, f->from, f->to, fid, t))) return rc;
    if (is_sink(f->to)) { g->r->fees += t; return SL_OK; }
    if (t < (u128)g->p->min_amount) { g->r->dropped += t; return SL_OK; }
    /* at the hop limit the amount stops in the receiving account: its later flows are not followed */
    if (g->p->max_hops && hop >= g->p->max_hops && sl_idmap_get(&g->map, f->to) < 0)
        return add_end(g, f->to, t, SL_END_MAXHOPS, hop, time, fid);
    k = state_for(g, f->to, fid, hop, &rc);
    if (rc) return rc;
    if (k < 0) {
        g->r->truncated = true;
        snprintf(g->r->truncated_why, sizeof g->r->truncated_why, "--max-nodes %llu reached",
                 (unsigned long long)g->max_nodes);
        return add_end(g, f->to, t, SL_END_TRUNCATED, hop, time, fid);
    }
    if (t > g->st[k].best_amt) g->st[k].best_amt = t, g->st[k].best_parent = from, g->st[k].best_flow = fid;
    /* the receiver's own history must hold this flow at or after its cursor, else the
     * delivery would never be seen (an account the store has no history for): the
     * amount then stays there, held */
    if (!hist_has(&g->st[k], fid)) return add_end(g, f->to, t, SL_END_HELD, hop, time, fid);
    return dl_add(g, fid, t);
}

static int finish(aeng *g, astate *s)
{
    u128 left = 0;
    if (s->done) return SL_OK;
    s->done = true;
    switch (g->p->policy) {
    case SL_POLICY_POISON:
        left = s->flagged ? s->bal : 0;
        g->r->absorbed += s->marked_out + left - s->taint;
        break;
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO:
        for (size_t i = s->lhead; i < s->ltail; i++)
            if (s->lots[i].tainted) left += s->lots[i].amt;
        break;
    default:
        left = s->taint;
    }
    return left ? add_end(g, s->acct, left, SL_END_HELD, s->hop, s->last_time, s->best_flow) : SL_OK;
}

/* One flow of a tainted account. */
static int step(aeng *g, size_t si)
{
    astate *s = &g->st[si];
    uint64_t fid = s->hist[s->cur];
    const sl_eth_flowrec *f = sl_eth_flow_at(g->c, fid);
    u128 amt, t = 0;
    int rc;
    bool lifo = g->p->policy == SL_POLICY_LIFO;
    if (flow_amount(g, f, &amt)) return SL_EUSAGE;
    if (g->p->until && flow_time(g, f) > g->p->until) return finish(g, s);
    s->cur++;
    if (f->from != f->to) {
        if (f->to == s->acct) { /* incoming: tainted part delivered by the sender */
            u128 d = dl_get(g, fid);
            if (d > amt) { /* cannot happen with distinct sources; keep the books exact anyway */
                if ((rc = add_end(g, s->acct, d - amt, SL_END_HELD, s->hop, flow_time(g, f), fid))) return rc;
                s = &g->st[si];
                d = amt;
            }
            s->bal += amt;
            if (d) s->last_time = flow_time(g, f);
            switch (g->p->policy) {
            case SL_POLICY_POISON:
                if (d) s->flagged = true;
                s->taint += d;
                break;
            case SL_POLICY_FIFO:
            case SL_POLICY_LIFO:
                if ((rc = lot_push(s, d, true)) || (rc = lot_push(s, amt - d, false))) return rc;
                break;
            default:
                s->taint += d;
            }
        } else { /* outgoing */
            switch (g->p->policy) {
            case SL_POLICY_POISON:
                t = s->flagged ? amt : 0;
                s->marked_out += t;
                break;
            case SL_POLICY_HAIRCUT:
                t = amt >= s->bal ? s->taint : muldiv(amt, s->taint, s->bal);
                s->taint -= t;
                break;
            case SL_POLICY_TIHO:
                t = amt < s->taint ? amt : s->taint;
                s->taint -= t;
                break;
            default:
                t = lot_take(s, amt, lifo);
            }
            s->bal = s->bal > amt ? s->bal - amt : 0;
            if (t && (rc = deliver(g, (int64_t)si, fid, f, t, s->hop + 1))) return rc;
            s = &g->st[si]; /* deliver may have grown the state array */
        }
    }
    if (s->cur < s->nhist) {
        uint64_t nf = s->hist[s->cur];
        return sl_pq_push(&g->heap, nf * 2 + (sl_eth_flow_at(g->c, nf)->to == s->acct), si);
    }
    return finish(g, s);
}


/* ================= backward ================= */

/* A piece of flow F's value: units [off, off+len) of F came from units [a, a+len) of the
 * origin flow (UINT64_MAX: from before the ingested history, origin unknown). */
typedef struct piece { uint64_t origin; u128 off, a, len; } piece;
typedef struct bw_iv { u128 a, b; } bw_iv;
typedef struct bdem {
    uint64_t flow;
    uint32_t hop;
    u128 amt;          /* demanded amount (sum of ivs for fifo/lifo) */
    bw_iv *iv;         /* fifo/lifo: demanded unit intervals of the flow */
    size_t niv, capiv;
} bdem;

typedef struct bctx {
    bdem *d;
    size_t nd, capd;
    sl_idmap map;      /* flow -> d index */
    piece *pc;         /* composition scratch */
    size_t npc, cappc;
    piece *lots;       /* replay state: lots / components */
    size_t nlots, caplots;
} bctx;

static int push_piece(piece **v, size_t *n, size_t *cap, piece p)
{
    void *q = *v;
    if (!p.len) return SL_OK;
    if (sl_grow(&q, cap, *n + 1, sizeof **v)) return SL_ENOMEM;
    *v = q;
    (*v)[(*n)++] = p;
    return SL_OK;
}

/* Takes amt from the replay lots: front (fifo), back (lifo), largest first (tiho), or
 * proportionally (haircut, cumulative floors over the components). The pieces taken are
 * appended to out (when out is not NULL), with off running from 0; a shortfall is an
 * unknown-origin piece. */
static int take(const aeng *g, bctx *b, u128 amt, bool record)
{
    u128 off = 0;
    int rc = SL_OK;
    b->npc = 0;
    if (g->p->policy == SL_POLICY_HAIRCUT) {
        u128 bal = 0, C = 0, prev = 0, want;
        for (size_t i = 0; i < b->nlots; i++) bal += b->lots[i].len;
        want = amt < bal ? amt : bal;
        for (size_t i = 0; i < b->nlots && want; i++) {
            u128 cur, share;
            C += b->lots[i].len;
            cur = muldiv(want, C, bal);
            share = cur - prev;
            prev = cur;
            if (!share) continue;
            if (record && (rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){b->lots[i].origin, off, b->lots[i].a, share}))) return rc;
            b->lots[i].len -= share;
            off += share;
        }
        amt -= want;
    } else {
        while (amt && b->nlots) {
            size_t k;
            piece *l;
            u128 t;
            if (g->p->policy == SL_POLICY_FIFO) k = 0;
            else if (g->p->policy == SL_POLICY_LIFO) k = b->nlots - 1;
            else { /* tiho: the largest lot first */
                k = 0;
                for (size_t i = 1; i < b->nlots; i++)
                    if (b->lots[i].len > b->lots[k].len) k = i;
            }
            l = &b->lots[k];
            t = l->len < amt ? l->len : amt;
            /* fifo takes a lot's earliest units, lifo its latest */
            {
                u128 a = g->p->policy == SL_POLICY_LIFO ? l->a + l->len - t : l->a;
                if (record && (rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){l->origin, off, a, t}))) return rc;
                if (g->p->policy != SL_POLICY_LIFO) l->a += t;
            }
            l->len -= t, amt -= t, off += t;
            if (!l->len) {
                memmove(&b->lots[k], &b->lots[k + 1], (b->nlots - k - 1) * sizeof *b->lots);
                b->nlots--;
            }
        }
    }
    if (amt && record) rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){UINT64_MAX, off, 0, amt});
    if (g->p->policy == SL_POLICY_HAIRCUT) { /* drop emptied components */
        size_t w = 0;
        for (size_t i = 0; i < b->nlots; i++) if (b->lots[i].len) b->lots[w++] = b->lots[i];
        b->nlots = w;
    }
    return rc;
}

/* The composition of flow F (sent by account x) into b->pc, by replaying x's history. */
static int compose(aeng *g, bctx *b, uint32_t x, uint64_t fid, u128 famt)
{
    uint64_t *h;
    size_t n;
    int rc = acct_history(g, x, fid, &h, &n);
    if (rc) return rc;
    b->nlots = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(g->c, h[i]);
        u128 amt;
        if (flow_amount(g, f, &amt)) { rc = SL_EUSAGE; break; }
        if (f->to == x) rc = push_piece(&b->lots, &b->nlots, &b->caplots, (piece){h[i], 0, 0, amt});
        else rc = take(g, b, amt, false);
    }
    sl_free(h);
    return rc ? rc : take(g, b, famt, true);
}

static int bdem_add(aeng *g, bctx *b, uint64_t flow, uint32_t hop, u128 amt, u128 a, bool iv, int *made)
{
    int64_t k = sl_idmap_get(&b->map, flow);
    bdem *d;
    *made = 0;
    if (k < 0) {
        void *q = b->d;
        if (b->nd >= g->max_nodes) return SL_ELIMIT;
        if (sl_grow(&q, &b->capd, b->nd + 1, sizeof *b->d)) return SL_ENOMEM;
        b->d = q;
        b->d[b->nd] = (bdem){flow, hop, 0, NULL, 0, 0};
        if (sl_idmap_put(&b->map, flow, (int64_t)b->nd) || sl_pq_push(&g->heap, ~flow, b->nd)) return SL_ENOMEM;
        k = (int64_t)b->nd++;
        *made = 1;
    }
    d = &b->d[k];
    if (hop < d->hop) d->hop = hop;
    d->amt += amt;
    if (iv) {
        void *q = d->iv;
        if (sl_grow(&q, &d->capiv, d->niv + 1, sizeof *d->iv)) return SL_ENOMEM;
        d->iv = q;
        d->iv[d->niv++] = (bw_iv){a, a + amt};
    }
    return SL_OK;
}

/* Demand t on origin flow o (units [a, a+t) when intervals matter). */
static int route_origin(aeng *g, bctx *b, uint32_t x, uint64_t o, u128 t, u128 a, uint32_t hop, uint64_t when)
{
    const sl_eth_flowrec *f;
    int made, rc;
    if (!t) return SL_OK;
    g->r->flows_routed++;
    if ((rc = hop_stat(g, hop, 0, 1, t))) return rc;
    if (t < (u128)g->p->min_amount) { g->r->dropped += t; return SL_OK; }
    if (o == UINT64_MAX) return add_end(g, x, t, SL_END_UNKNOWN, hop, when, UINT64_MAX);
    f = sl_eth_flow_at(g->c, o);
    if ((rc = add_edge(g, f->from, f->to, o, t))) return rc;
    if (f->from == 3 /* mint: block rewards, withdrawals */ || f->from == 0)
        return add_end(g, f->from, t, f->from ? SL_END_COINBASE : SL_END_UNKNOWN, hop, flow_time(g, f), o);
    if (g->p->max_hops && hop + 1 > g->p->max_hops) return add_end(g, f->from, t, SL_END_MAXHOPS, hop, flow_time(g, f), o);
    rc = bdem_add(g, b, o, hop + 1, t, a, lots_policy(g), &made);
    if (rc == SL_ELIMIT) {
        g->r->truncated = true;
        snprintf(g->r->truncated_why, sizeof g->r->truncated_why, "--max-nodes %llu reached",
                 (unsigned long long)g->max_nodes);
        return add_end(g, f->from, t, SL_END_TRUNCATED, hop, flow_time(g, f), o);
    }
    if (!rc && made) g->r->pools_visited++;
    return rc;
}

static int split_demand(aeng *g, bctx *b, size_t di)
{
    bdem d = b->d[di];
    const sl_eth_flowrec *f = sl_eth_flow_at(g->c, d.flow);
    u128 famt;
    int rc;
    uint64_t when = flow_time(g, f);
    if (flow_amount(g, f, &famt)) return SL_EUSAGE;
    if ((rc = hop_stat(g, d.hop, 1, 0, d.amt))) return rc;
    if (d.amt > famt) { /* more asked of a flow than it carried (overlapping sources): keep the books exact */
        if ((rc = add_end(g, f->from, d.amt - famt, SL_END_UNKNOWN, d.hop, when, d.flow))) return rc;
        d.amt = famt;
        for (size_t i = 0; i < d.niv; i++) if (d.iv[i].b > famt) d.iv[i].b = famt > d.iv[i].a ? famt : d.iv[i].a;
    }
    if (g->p->policy == SL_POLICY_POISON) {
        /* every earlier inflow of the sender, whole */
        u128 sum = 0;
        uint64_t *h;
        size_t n;
        if ((rc = acct_history(g, f->from, d.flow, &h, &n))) return rc;
        for (size_t i = 0; i < n && !rc; i++) {
            const sl_eth_flowrec *in = sl_eth_flow_at(g->c, h[i]);
            u128 amt;
            if (in->to == f->from && !flow_amount(g, in, &amt)) {
                sum += amt;
                rc = route_origin(g, b, f->from, h[i], amt, 0, d.hop, when);
            }
        }
        sl_free(h);
        if (sum < d.amt) { /* more left than ever came in: from before the ingested range */
            if (!rc) rc = add_end(g, f->from, d.amt - sum, SL_END_UNKNOWN, d.hop, when, UINT64_MAX);
            sum = d.amt;
        }
        g->r->absorbed += sum - d.amt;
        return rc;
    }
    if ((rc = compose(g, b, f->from, d.flow, famt))) return rc;
    if (lots_policy(g)) {
        for (size_t i = 0; i < d.niv && !rc; i++)
            for (size_t k = 0; k < b->npc && !rc; k++) {
                piece *pc = &b->pc[k];
                u128 x = d.iv[i].a > pc->off ? d.iv[i].a : pc->off;
                u128 y = d.iv[i].b < pc->off + pc->len ? d.iv[i].b : pc->off + pc->len;
                if (x < y) rc = route_origin(g, b, f->from, pc->origin, y - x, pc->a + (x - pc->off), d.hop, when);
            }
    } else if (g->p->policy == SL_POLICY_HAIRCUT) {
        u128 C = 0, prev = 0;
        for (size_t k = 0; k < b->npc && !rc; k++) {
            u128 cur;
            C += b->pc[k].len;
            cur = muldiv(d.amt, C, famt);
            rc = route_origin(g, b, f->from, b->pc[k].origin, cur - prev, 0, d.hop, when);
            prev = cur;
        }
    } else { /* tiho: the demand drawn from the pieces in the order they were taken */
        u128 left = d.amt;
        for (size_t k = 0; k < b->npc && left && !rc; k++) {
            u128 t = b->pc[k].len < left ? b->pc[k].len : left;
            rc = route_origin(g, b, f->from, b->pc[k].origin, t, 0, d.hop, when);
            left -= t;
        }
    }
    return rc;
}

static int run_backward(aeng *g, const uint64_t *fl, size_t nf, sl_error *e)
{
    bctx b;
    int rc = SL_OK;
    memset(&b, 0, sizeof b);
    for (size_t i = 0; i < nf && !rc; i++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(g->c, fl[i]);
        u128 amt;
        int made;
        if (flow_amount(g, f, &amt)) return sl_err(e, SL_EUSAGE, "a source amount above 2^128 is not supported");
        g->r->source_amount += amt;
        rc = bdem_add(g, &b, fl[i], 1, amt, 0, lots_policy(g), &made);
        if (made) g->r->pools_visited++;
    }
    while (!rc && g->heap.n) rc = split_demand(g, &b, sl_pq_pop(&g->heap).idx);
    for (size_t i = 0; i < b.nd; i++) sl_free(b.d[i].iv);
    sl_free(b.d), sl_free(b.pc), sl_free(b.lots);
    sl_idmap_free(&b.map);
    if (rc) return sl_err(e, rc, rc == SL_EUSAGE ? "an amount above 2^128 is not supported" : "out of memory");
    return SL_OK;
}

static int cmp_end(const void *a, const void *b)
{
    const sl_acct_end *x = a, *y = b;
    if (x->amount != y->amount) return x->amount < y->amount ? 1 : -1;
    return (x->acct > y->acct) - (x->acct < y->acct);
}

typedef struct apriv { uint32_t *acct; int64_t *parent; uint64_t *flow; size_t n; sl_idmap map; } apriv;

int sl_trace_acct_run(const sl_eth_chain *c, const sl_acct_source *src, const sl_trace_params *p, sl_acct_result *r,
                      sl_error *e)
{
    aeng g;
    int rc = SL_OK;
    memset(r, 0, sizeof *r);
    memset(&g, 0, sizeof g);
    g.c = c, g.p = p, g.r = r;
    g.max_nodes = p->max_nodes ? p->max_nodes : 1000000;
    /* source flows */
    {
        uint64_t *fl = NULL;
        size_t nf = 0;
        if (src->by_address) {
            sl_eth_acctstat st;
            hwalk w = {&g, 0, UINT64_MAX, p->since, NULL, 0, 0};
            if (sl_eth_acct_lookup(c, &src->addr, &st)) return sl_err(e, SL_ENOTFOUND, "address not found in the store");
            g.asset = src->asset;
            w.acct = st.id;
            if (sl_eth_acct_each_flow(c, st.id, false, source_flow, &w)) { sl_free(w.v); return sl_err(e, SL_ENOMEM, "out of memory"); }
            fl = w.v, nf = w.n;
        } else {
            uint64_t id;
            const sl_eth_txrec *t;
            if (sl_eth_tx_find(c, &src->tx, &id)) return sl_err(e, SL_ENOTFOUND, "transaction not found in the store");
            t = sl_eth_tx_at(c, id);
            if (src->flow >= (int64_t)t->n_flows)
                return sl_err(e, SL_EUSAGE, "flow %lld out of range: the transaction has %u flows", (long long)src->flow,
                              t->n_flows);
            g.asset = src->asset;
            if (!src->asset_given) {
                for (uint32_t k = 0; k < t->n_flows; k++) {
                    const sl_eth_flowrec *f = sl_eth_flow_at(c, t->first_flow + k);
                    if (f->kind != SL_FLOW_FEE && f->kind != SL_FLOW_BURN) { g.asset = f->asset; break; }
                }
                if (src->flow >= 0) g.asset = sl_eth_flow_at(c, t->first_flow + (uint64_t)src->flow)->asset;
            }
            fl = sl_malloc((t->n_flows + 1) * 8);
            if (!fl) return sl_err(e, SL_ENOMEM, "out of memory");
            /* the value the tx moved: its flows of the asset whose sender did not receive the
             * asset earlier in the same tx (those flows only pass it on: they are traced as
             * the continuation, not counted as a second source) */
            for (uint32_t k = 0; k < t->n_flows; k++) {
                const sl_eth_flowrec *f = sl_eth_flow_at(c, t->first_flow + k);
                bool downstream = false;
                if (src->flow >= 0) {
                    if ((int64_t)k == src->flow) fl[nf++] = t->first_flow + k;
                    continue;
                }
                if (f->asset != g.asset || f->kind == SL_FLOW_FEE || f->kind == SL_FLOW_BURN) continue;
                for (uint32_t q = 0; q < k && !downstream; q++) {
                    const sl_eth_flowrec *pf = sl_eth_flow_at(c, t->first_flow + q);
                    downstream = pf->asset == g.asset && pf->to == f->from;
                }
                if (!downstream) fl[nf++] = t->first_flow + k;
            }
        }
        r->asset = g.asset;
        if (!nf) { sl_free(fl); return sl_err(e, SL_ENOTFOUND, "no flow of that asset to trace from"); }
        qsort(fl, nf, sizeof *fl, cmp_u64); /* in chain order: a receiver replays only what came before */
        r->sources = fl, r->n_sources = nf; /* the report names them; freed with r */
        if (p->backward) {
            if ((rc = run_backward(&g, fl, nf, e))) goto out;
            goto sorted;
        }
        for (size_t i = 0; i < nf && !rc; i++) {
            const sl_eth_flowrec *f = sl_eth_flow_at(c, fl[i]);
            u128 amt;
            if (flow_amount(&g, f, &amt)) { rc = sl_err(e, SL_EUSAGE, "a source amount above 2^128 is not supported"); break; }
            r->source_amount += amt;
            rc = deliver(&g, -1, fl[i], f, amt, 0);
        }
    }
    while (g.heap.n && !rc) rc = step(&g, sl_pq_pop(&g.heap).idx);
    for (size_t i = 0; i < g.nst && !rc; i++) rc = finish(&g, &g.st[i]);
    if (rc) { rc = rc == SL_EUSAGE ? sl_err(e, rc, "an amount above 2^128 is not supported") : sl_err(e, rc, "out of memory"); goto out; }
sorted:
    for (size_t h = 0; h < r->n_hops; h++) r->hops[h].addresses = r->hops[h].pools; /* one pool per account */
    qsort(r->ends, r->n_ends, sizeof *r->ends, cmp_end);
    {
        apriv *pv = sl_calloc(1, sizeof *pv);
        if (pv) {
            pv->n = g.nst;
            pv->acct = sl_malloc((g.nst + 1) * sizeof *pv->acct);
            pv->parent = sl_malloc((g.nst + 1) * sizeof *pv->parent);
            pv->flow = sl_malloc((g.nst + 1) * sizeof *pv->flow);
            for (size_t i = 0; i < g.nst && pv->acct && pv->parent && pv->flow; i++)
                pv->acct[i] = g.st[i].acct, pv->parent[i] = g.st[i].best_parent, pv->flow[i] = g.st[i].best_flow;
            pv->map = g.map; /* acct -> index, for sl_trace_acct_path */
            memset(&g.map, 0, sizeof g.map);
        }
        r->priv = pv; /* freed with r, also when incomplete */
        if (!pv || !pv->acct || !pv->parent || !pv->flow) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
    }
out:
    if (rc && e && !e->code) sl_err(e, rc, "%s", sl_strerror(rc)); /* every failure says what it was */
    for (size_t i = 0; i < g.nst; i++) sl_free(g.st[i].hist), sl_free(g.st[i].lots);
    sl_free(g.st), sl_free(g.dlamt);
    sl_ht_free(&g.dlmap);
    sl_idmap_free(&g.map);
    sl_pq_free(&g.heap);
    if (rc) sl_trace_acct_free(r);
    return rc;
}

size_t sl_trace_acct_path(const sl_acct_result *r, uint32_t acct, uint32_t *accts, uint64_t *flows, size_t cap)
{
    const apriv *pv = r->priv;
    size_t n = 0, i;
    int64_t k;
    if (!pv || !pv->acct || (k = sl_idmap_get(&pv->map, acct)) < 0) return 0;
    i = (size_t)k;
    while (i < pv->n && n < cap) {
        accts[n] = pv->acct[i];
        flows[n++] = pv->flow[i];
        if (pv->parent[i] < 0) break;
        i = (size_t)pv->parent[i];
    }
    return n;
}

void sl_trace_acct_free(sl_acct_result *r)
{
    apriv *pv = r->priv;
    if (pv) sl_free(pv->acct), sl_free(pv->parent), sl_free(pv->flow), sl_idmap_free(&pv->map), sl_free(pv);
    sl_free(r->ends), sl_free(r->hops), sl_free(r->edges), sl_free(r->sources);
    memset(r, 0, sizeof *r);
}
