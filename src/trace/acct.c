/* acct.c — the split rule of account pools (engine_int.h): a pool is an account's
 * balance in one asset, paid out over time.
 *
 * Forward: one sweep in chain order over the flows of the tainted accounts. Each tainted
 * account's next flow is on the heap (key = flow id * 2 + role, so a flow's sender is
 * handled before its receiver); an outflow's tainted part is delivered to the receiver,
 * which joins the sweep at that flow after replaying its earlier history (clean) to know
 * its balance. An account's balance before the traced range is what its ingested
 * history gives (a negative running balance, from history before the ingested blocks,
 * is taken as 0).
 *
 * Backward ("where did flow F's value come from"): flows are split in descending order;
 * the sender's history before F is replayed to get the composition of F by origin inflow
 * under the policy (fifo/lifo: exact unit intervals, the earliest/latest units of the
 * lots; haircut: proportional shares by cumulative floors; tiho: the largest lots first;
 * poison: every earlier inflow whole, the excess reported as absorbed), and the demand on
 * F goes to those origin flows. Sources: minted value ("coinbase"), value from before the
 * ingested history ("unknown-origin"), and the hop/node limits.
 *
 * Memory is proportional to the accounts touched and their histories in the asset.
 */
#include <string.h>

#include "sleuth/util.h"
#include "trace/engine_int.h"

typedef sl_u128 u128;

typedef struct lot { u128 amt; bool tainted; } lot;

typedef struct astate {
    uint32_t acct, asset, hop;
    uint64_t *hist;       /* flow ids of this account in the asset, ascending */
    size_t nhist, cur;
    u128 bal, taint;      /* haircut, tiho, poison (taint = tainted balance / poison: taint in) */
    u128 marked_out;      /* poison */
    bool flagged;         /* poison */
    bool done;
    lot *lots;            /* fifo/lifo: a deque as [head, tail) over a growable array */
    size_t lhead, ltail, lcap;
    uint64_t last_time, best_flow;
    sl_tr_ref parent;     /* the pool of the strongest delivery */
    u128 best_amt;
} astate;

/* backward: a piece of flow F's value: units [off, off+len) of F came from units [a, a+len)
 * of the origin flow (SL_FLOW_NONE: from before the ingested history, origin unknown) */
typedef struct piece { uint64_t origin; u128 off, a, len; } piece;
typedef struct bw_iv { u128 a, b; } bw_iv;
typedef struct bdem {
    uint64_t flow;
    uint32_t hop;
    u128 amt;             /* demanded amount (sum of ivs for fifo/lifo) */
    bw_iv *iv;            /* fifo/lifo: demanded unit intervals of the flow */
    size_t niv, capiv;
} bdem;

typedef struct aset {
    astate *st;
    size_t nst, capst;
    sl_idmap map;         /* (asset << 32 | acct) -> state */
    sl_idmap dlmap;       /* deliveries: flow id -> index in dlamt */
    u128 *dlamt;          /* tainted amount delivered to the receiver of the flow */
    size_t ndl, capdl;
    sl_flow_ids h;        /* history scratch */
    /* backward */
    bdem *d;
    size_t nd, capd;
    sl_idmap dmap;        /* flow -> d index */
    piece *pc;            /* composition scratch */
    size_t npc, cappc;
    piece *lots;          /* replay state: lots / components */
    size_t nlots, caplots;
} aset;

static aset *A(sl_tr_chain *c) { return c->rs; }
static bool lots_policy(const sl_tr *t) { return t->p->policy == SL_POLICY_FIFO || t->p->policy == SL_POLICY_LIFO; }
static uint64_t pool_key(uint32_t acct, uint32_t asset) { return (uint64_t)asset << 32 | acct; }
static sl_tr_ref pool_ref(sl_tr_chain *c, uint32_t acct, uint32_t asset)
{
    sl_tr_ref r = {pool_key(acct, asset), c->v->chain};
    return r;
}

/* The flow's record; SL_EUNSUPPORTED when its amount does not fit 128 bits. */
static int get(sl_tr *t, sl_tr_chain *c, uint64_t id, sl_flow *f)
{
    c->v->m->flow_get(c->v, id, f);
    return f->big ? sl_tr_too_big(t, c, f) : SL_OK;
}

static int add_end(sl_tr *t, sl_tr_chain *c, uint32_t acct, uint32_t asset, u128 amt, sl_end_reason why, uint32_t hops,
                   uint64_t time, uint64_t flow, sl_tr_ref path)
{
    sl_trace_end x = {.amount = amt, .pool = acct, .flow = flow, .time = time, .addr = acct, .asset = asset, .hops = hops,
                      .reason = (uint8_t)why};
    return sl_tr_end(t, c, &x, path);
}

static int add_edge(sl_tr *t, sl_tr_chain *c, const sl_flow *f, u128 amt, bool entry)
{
    sl_trace_edge x = {.amount = amt, .from_pool = f->from, .to_pool = f->to, .flow = f->id, .from_addr = f->from,
                       .to_addr = f->to, .asset = f->asset, .flags = entry ? SL_TRACE_EDGE_SOURCE : 0};
    return sl_tr_edge(t, c, &x);
}

/* ================= forward ================= */

/* deliveries: flow id -> tainted amount for the receiver */
static int dl_add(aset *a, uint64_t flow, u128 amt)
{
    int64_t k = sl_idmap_get(&a->dlmap, flow);
    void *q = a->dlamt;
    if (k >= 0) { a->dlamt[k] += amt; return SL_OK; }
    if (sl_grow(&q, &a->capdl, a->ndl + 1, sizeof *a->dlamt)) return SL_ENOMEM;
    a->dlamt = q;
    if (sl_idmap_put(&a->dlmap, flow, (int64_t)a->ndl)) return SL_ENOMEM;
    a->dlamt[a->ndl++] = amt;
    return SL_OK;
}

static u128 dl_get(const aset *a, uint64_t flow)
{
    int64_t k = sl_idmap_get(&a->dlmap, flow);
    return k >= 0 ? a->dlamt[k] : 0;
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

/* Applies one clean flow of the account's history (replay before it is tainted). */
static int replay(const sl_tr *t, astate *s, const sl_flow *f)
{
    if (f->from == f->to) return SL_OK;
    if (f->to == s->acct) {
        s->bal += f->amount;
        if (lots_policy(t)) return lot_push(s, f->amount, false);
    } else {
        s->bal = s->bal > f->amount ? s->bal - f->amount : 0;
        if (lots_policy(t)) (void)lot_take(s, f->amount, t->p->policy == SL_POLICY_LIFO);
    }
    return SL_OK;
}

/* Puts state si's next flow on the heap (the receiver's role sorts after the sender's). */
static int schedule_next(sl_tr *t, sl_tr_chain *c, size_t si)
{
    astate *s = &A(c)->st[si];
    uint64_t nf = s->hist[s->cur];
    uint32_t from, to;
    c->v->m->flow_parties(c->v, nf, &from, &to);
    return sl_tr_schedule(t, c, nf * 2 + (to == s->acct), si);
}

/* The state of (acct, asset), made on its first tainted delivery at flow `at`: its index,
 * -1 when the node budget is spent (*rc SL_OK) or on failure (*rc). */
static int64_t state_for(sl_tr *t, sl_tr_chain *c, uint32_t acct, uint32_t asset, uint64_t at, uint32_t hop, int *rc)
{
    aset *a = A(c);
    int64_t k = sl_idmap_get(&a->map, pool_key(acct, asset));
    astate *s;
    void *q;
    *rc = SL_OK;
    if (k >= 0) {
        if (hop < a->st[k].hop) a->st[k].hop = hop;
        return k;
    }
    if (!sl_tr_take_node(t)) return -1;
    a->h.n = 0;
    if ((*rc = c->v->m->acct_history(c->v, acct, asset, SL_FLOW_NONE, &a->h))) return -1;
    q = a->st;
    if (sl_grow(&q, &a->capst, a->nst + 1, sizeof *a->st)) { *rc = SL_ENOMEM; return -1; }
    a->st = q;
    s = &a->st[a->nst];
    memset(s, 0, sizeof *s);
    s->acct = acct, s->asset = asset, s->hop = hop, s->parent = sl_tr_noref(), s->best_flow = SL_FLOW_NONE;
    s->hist = a->h.v, s->nhist = a->h.n; /* the state takes the list */
    a->h = (sl_flow_ids){0};
    a->nst++; /* owned from here: freed with the state array */
    /* replay what came before `at` */
    while (s->cur < s->nhist && s->hist[s->cur] < at) {
        sl_flow f;
        if ((*rc = get(t, c, s->hist[s->cur], &f)) || (*rc = replay(t, s, &f))) return -1;
        s->cur++;
    }
    if ((*rc = sl_idmap_put(&a->map, pool_key(acct, asset), (int64_t)(a->nst - 1)))) return -1;
    if (s->cur < s->nhist && (*rc = schedule_next(t, c, a->nst - 1))) return -1;
    t->r->pools_visited++;
    if ((*rc = sl_tr_hop(t, c, asset, hop, 1, 0, 1, 0))) return -1;
    return (int64_t)(a->nst - 1);
}

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

/* The tainted part x of flow f (paid by pool `from`; noref: a source) reaches f->to. */
static int deliver(sl_tr *t, sl_tr_chain *c, sl_tr_ref from, const sl_flow *f, u128 x, uint32_t hop)
{
    aset *a = A(c);
    int rc;
    int64_t k, link;
    if (!x) return SL_OK;
    if ((rc = sl_tr_hop(t, c, f->asset, hop, 0, 1, 0, x))) return rc;
    if (!f->sink && x >= (u128)t->p->min_amount && (link = sl_tr_link_at(t, c, f->id)) >= 0)
        return sl_tr_depart(t, c, (size_t)link, f->asset, x, hop, pool_ref(c, f->from, f->asset));
    if ((rc = add_edge(t, c, f, x, !sl_tr_isref(from) || from.chain != c->v->chain))) return rc;
    if (f->sink) return sl_tr_count(t, c, f->asset, SL_TR_FEES, x);
    if (x < (u128)t->p->min_amount) return sl_tr_count(t, c, f->asset, SL_TR_DROPPED, x);
    if (sl_tr_endpoint(t, c, f->to)) return add_end(t, c, f->to, f->asset, x, SL_END_TAGGED, hop, f->time, f->id, from);
    /* at the hop limit the amount stops in the receiving account: its later flows are not followed */
    if (t->p->max_hops && hop >= t->p->max_hops && sl_idmap_get(&a->map, pool_key(f->to, f->asset)) < 0)
        return add_end(t, c, f->to, f->asset, x, SL_END_MAXHOPS, hop, f->time, f->id, from);
    k = state_for(t, c, f->to, f->asset, f->id, hop, &rc);
    if (rc) return rc;
    if (k < 0) return add_end(t, c, f->to, f->asset, x, SL_END_TRUNCATED, hop, f->time, f->id, from);
    if (x > a->st[k].best_amt) a->st[k].best_amt = x, a->st[k].parent = from, a->st[k].best_flow = f->id;
    /* the receiver's own history must hold this flow at or after its cursor, else the
     * delivery would never be seen (an account the store has no history for): the
     * amount then stays there, held */
    if (!hist_has(&a->st[k], f->id))
        return add_end(t, c, f->to, f->asset, x, SL_END_HELD, hop, f->time, f->id, pool_ref(c, f->to, f->asset));
    return dl_add(a, f->id, x);
}

static int finish_state(sl_tr *t, sl_tr_chain *c, astate *s)
{
    u128 left = 0;
    if (s->done) return SL_OK;
    s->done = true;
    switch (t->p->policy) {
    case SL_POLICY_POISON: {
        int rc;
        left = s->flagged ? s->bal : 0;
        if ((rc = sl_tr_count(t, c, s->asset, SL_TR_ABSORBED, s->marked_out + left - s->taint))) return rc;
        break;
    }
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO:
        for (size_t i = s->lhead; i < s->ltail; i++)
            if (s->lots[i].tainted) left += s->lots[i].amt;
        break;
    default:
        left = s->taint;
    }
    return left ? add_end(t, c, s->acct, s->asset, left, SL_END_HELD, s->hop, s->last_time, s->best_flow,
                          pool_ref(c, s->acct, s->asset))
                : SL_OK;
}

/* The incoming flow f (amount amt) of state si: the tainted part its sender delivered. */
static int step_in(sl_tr *t, sl_tr_chain *c, size_t si, const sl_flow *f)
{
    astate *s = &A(c)->st[si];
    u128 d = dl_get(A(c), f->id), amt = f->amount;
    int rc;
    if (d > amt) { /* cannot happen with distinct sources; keep the books exact anyway */
        if ((rc = add_end(t, c, s->acct, s->asset, d - amt, SL_END_HELD, s->hop, f->time, f->id, pool_ref(c, s->acct, s->asset))))
            return rc;
        s = &A(c)->st[si];
        d = amt;
    }
    s->bal += amt;
    if (d) s->last_time = f->time;
    switch (t->p->policy) {
    case SL_POLICY_POISON:
        if (d) s->flagged = true;
        s->taint += d;
        return SL_OK;
    case SL_POLICY_FIFO:
    case SL_POLICY_LIFO:
        if ((rc = lot_push(s, d, true))) return rc;
        return lot_push(s, amt - d, false);
    default:
        s->taint += d;
        return SL_OK;
    }
}

/* The outgoing flow f of state si: its tainted part under the policy goes on. */
static int step_out(sl_tr *t, sl_tr_chain *c, size_t si, const sl_flow *f)
{
    astate *s = &A(c)->st[si];
    u128 amt = f->amount, x = 0;
    switch (t->p->policy) {
    case SL_POLICY_POISON:
        x = s->flagged ? amt : 0;
        s->marked_out += x;
        break;
    case SL_POLICY_HAIRCUT:
        x = amt >= s->bal ? s->taint : sl_tr_muldiv(amt, s->taint, s->bal);
        s->taint -= x;
        break;
    case SL_POLICY_TIHO:
        x = amt < s->taint ? amt : s->taint;
        s->taint -= x;
        break;
    default:
        x = lot_take(s, amt, t->p->policy == SL_POLICY_LIFO);
    }
    s->bal = s->bal > amt ? s->bal - amt : 0;
    return x ? deliver(t, c, pool_ref(c, s->acct, s->asset), f, x, s->hop + 1) : SL_OK;
}

/* One flow of a tainted account. */
static int step_fwd(sl_tr *t, sl_tr_chain *c, size_t si)
{
    astate *s = &A(c)->st[si];
    sl_flow f;
    int rc;
    if ((rc = get(t, c, s->hist[s->cur], &f))) return rc;
    if (t->p->until && f.time > t->p->until) return finish_state(t, c, s);
    s->cur++;
    if (f.from != f.to) {
        if ((rc = f.to == s->acct ? step_in(t, c, si, &f) : step_out(t, c, si, &f))) return rc;
        s = &A(c)->st[si]; /* deliver may have grown the state array */
    }
    if (s->cur < s->nhist) return schedule_next(t, c, si);
    return finish_state(t, c, s);
}

/* ================= backward ================= */

static int push_piece(piece **v, size_t *n, size_t *cap, piece p)
{
    void *q = *v;
    if (!p.len) return SL_OK;
    if (sl_grow(&q, cap, *n + 1, sizeof **v)) return SL_ENOMEM;
    *v = q;
    (*v)[(*n)++] = p;
    return SL_OK;
}

/* Takes amt from the replay lots proportionally (haircut: cumulative floors over the
 * components); returns what the lots could not give. */
static u128 take_haircut(aset *b, u128 amt, bool record, u128 *off, int *rc)
{
    u128 bal = 0, C = 0, prev = 0, want;
    for (size_t i = 0; i < b->nlots; i++) bal += b->lots[i].len;
    want = amt < bal ? amt : bal;
    for (size_t i = 0; i < b->nlots && want && !*rc; i++) {
        u128 cur, share;
        C += b->lots[i].len;
        cur = sl_tr_muldiv(want, C, bal);
        share = cur - prev;
        prev = cur;
        if (!share) continue;
        if (record) *rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){b->lots[i].origin, *off, b->lots[i].a, share});
        b->lots[i].len -= share;
        *off += share;
    }
    { /* drop emptied components */
        size_t w = 0;
        for (size_t i = 0; i < b->nlots; i++)
            if (b->lots[i].len) b->lots[w++] = b->lots[i];
        b->nlots = w;
    }
    return amt - want;
}

/* Takes amt from the replay lots: front (fifo), back (lifo), largest first (tiho), or
 * proportionally (haircut). With record, the pieces taken go to b->pc, off running from
 * 0; a shortfall is an unknown-origin piece. */
static int take(const sl_tr *t, aset *b, u128 amt, bool record)
{
    u128 off = 0;
    int rc = SL_OK;
    b->npc = 0;
    if (t->p->policy == SL_POLICY_HAIRCUT) {
        amt = take_haircut(b, amt, record, &off, &rc);
    } else {
        while (amt && b->nlots && !rc) {
            size_t k;
            piece *l;
            u128 x, a;
            if (t->p->policy == SL_POLICY_FIFO) k = 0;
            else if (t->p->policy == SL_POLICY_LIFO) k = b->nlots - 1;
            else { /* tiho: the largest lot first */
                k = 0;
                for (size_t i = 1; i < b->nlots; i++)
                    if (b->lots[i].len > b->lots[k].len) k = i;
            }
            l = &b->lots[k];
            x = l->len < amt ? l->len : amt;
            /* fifo takes a lot's earliest units, lifo its latest */
            a = t->p->policy == SL_POLICY_LIFO ? l->a + l->len - x : l->a;
            if (record) rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){l->origin, off, a, x});
            if (t->p->policy != SL_POLICY_LIFO) l->a += x;
            l->len -= x, amt -= x, off += x;
            if (!l->len) {
                memmove(&b->lots[k], &b->lots[k + 1], (b->nlots - k - 1) * sizeof *b->lots);
                b->nlots--;
            }
        }
    }
    if (amt && record && !rc) rc = push_piece(&b->pc, &b->npc, &b->cappc, (piece){SL_FLOW_NONE, off, 0, amt});
    return rc;
}

/* The composition of flow fid (amount famt, sent by account x in asset) into b->pc, by
 * replaying x's history. */
static int compose(sl_tr *t, sl_tr_chain *c, uint32_t x, uint32_t asset, uint64_t fid, u128 famt)
{
    aset *b = A(c);
    int rc;
    b->h.n = 0;
    if ((rc = c->v->m->acct_history(c->v, x, asset, fid, &b->h))) return rc;
    b->nlots = 0;
    for (size_t i = 0; i < b->h.n && !rc; i++) {
        sl_flow f;
        if ((rc = get(t, c, b->h.v[i], &f))) break;
        if (f.to == x) rc = push_piece(&b->lots, &b->nlots, &b->caplots, (piece){f.id, 0, 0, f.amount});
        else rc = take(t, b, f.amount, false);
    }
    return rc ? rc : take(t, b, famt, true);
}

/* Adds demand amt (units [a, a+amt) when iv) on flow at hop. *made: a new node. SL_ELIMIT:
 * the node budget is spent. */
static int bdem_add(sl_tr *t, sl_tr_chain *c, uint64_t flow, uint32_t hop, u128 amt, u128 a, bool iv, int *made)
{
    aset *b = A(c);
    int64_t k = sl_idmap_get(&b->dmap, flow);
    bdem *d;
    int rc;
    *made = 0;
    if (k < 0) {
        void *q = b->d;
        if (!sl_tr_take_node(t)) return SL_ELIMIT;
        if (sl_grow(&q, &b->capd, b->nd + 1, sizeof *b->d)) return SL_ENOMEM;
        b->d = q;
        b->d[b->nd] = (bdem){flow, hop, 0, NULL, 0, 0};
        if ((rc = sl_idmap_put(&b->dmap, flow, (int64_t)b->nd)) || (rc = sl_tr_schedule(t, c, ~flow, b->nd))) return rc;
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

/* Demand amt on origin flow o (units [a, a+amt) when intervals matter) of account x's
 * inflows in asset, at hop; o SL_FLOW_NONE: value from before the ingested history. */
static int route_origin(sl_tr *t, sl_tr_chain *c, uint32_t x, uint32_t asset, uint64_t o, u128 amt, u128 a, uint32_t hop,
                        uint64_t when, sl_tr_ref asker)
{
    sl_flow f;
    int made, rc;
    int64_t link;
    if (!amt) return SL_OK;
    if ((rc = sl_tr_hop(t, c, asset, hop, 0, 1, 0, 0))) return rc;
    if (amt < (u128)t->p->min_amount) return sl_tr_count(t, c, asset, SL_TR_DROPPED, amt);
    if (o == SL_FLOW_NONE) return add_end(t, c, x, asset, amt, SL_END_UNKNOWN, hop, when, SL_FLOW_NONE, sl_tr_noref());
    if ((rc = get(t, c, o, &f))) return rc;
    if ((link = sl_tr_link_at(t, c, o)) >= 0) return sl_tr_depart(t, c, (size_t)link, asset, amt, hop, asker);
    if ((rc = add_edge(t, c, &f, amt, false))) return rc;
    if (f.origin != SL_FLOW_ORIGIN_ADDR) /* minted: block rewards, withdrawals; or no sender known */
        return add_end(t, c, f.from, asset, amt, f.origin == SL_FLOW_ORIGIN_MINTED ? SL_END_COINBASE : SL_END_UNKNOWN, hop,
                       f.time, o, sl_tr_noref());
    if (sl_tr_endpoint(t, c, f.from)) return add_end(t, c, f.from, asset, amt, SL_END_TAGGED, hop, f.time, o, sl_tr_noref());
    if (t->p->max_hops && hop + 1 > t->p->max_hops)
        return add_end(t, c, f.from, asset, amt, SL_END_MAXHOPS, hop, f.time, o, sl_tr_noref());
    rc = bdem_add(t, c, o, hop + 1, amt, a, lots_policy(t), &made);
    if (rc == SL_ELIMIT) return add_end(t, c, f.from, asset, amt, SL_END_TRUNCATED, hop, f.time, o, sl_tr_noref());
    if (!rc && made) t->r->pools_visited++;
    return rc;
}

/* Poison backward: every earlier inflow of the sender, whole. */
static int split_poison(sl_tr *t, sl_tr_chain *c, const bdem *d, const sl_flow *f)
{
    u128 sum = 0;
    sl_flow_ids h = {0};
    int rc = c->v->m->acct_history(c->v, f->from, f->asset, d->flow, &h);
    for (size_t i = 0; i < h.n && !rc; i++) {
        sl_flow in;
        if ((rc = get(t, c, h.v[i], &in))) break;
        if (in.to == f->from) {
            sum += in.amount;
            rc = route_origin(t, c, f->from, f->asset, h.v[i], in.amount, 0, d->hop, f->time, pool_ref(c, f->from, f->asset));
        }
    }
    sl_flow_ids_free(&h);
    if (sum < d->amt) { /* more left than ever came in: from before the ingested range */
        if (!rc) rc = add_end(t, c, f->from, f->asset, d->amt - sum, SL_END_UNKNOWN, d->hop, f->time, SL_FLOW_NONE, sl_tr_noref());
        sum = d->amt;
    }
    return rc ? rc : sl_tr_count(t, c, f->asset, SL_TR_ABSORBED, sum - d->amt);
}

static int split_demand(sl_tr *t, sl_tr_chain *c, size_t di)
{
    aset *b = A(c);
    bdem d = b->d[di];
    sl_flow f;
    sl_tr_ref me;
    int rc;
    if ((rc = get(t, c, d.flow, &f))) return rc;
    me = pool_ref(c, f.from, f.asset);
    if ((rc = sl_tr_hop(t, c, f.asset, d.hop, 1, 0, 1, d.amt))) return rc;
    if (d.amt > f.amount) { /* more asked of a flow than it carried (overlapping sources): keep the books exact */
        if ((rc = add_end(t, c, f.from, f.asset, d.amt - f.amount, SL_END_UNKNOWN, d.hop, f.time, d.flow, sl_tr_noref())))
            return rc;
        d.amt = f.amount;
        for (size_t i = 0; i < d.niv; i++)
            if (d.iv[i].b > f.amount) d.iv[i].b = f.amount > d.iv[i].a ? f.amount : d.iv[i].a;
    }
    if (t->p->policy == SL_POLICY_POISON) return split_poison(t, c, &d, &f);
    if ((rc = compose(t, c, f.from, f.asset, d.flow, f.amount))) return rc;
    if (lots_policy(t)) {
        for (size_t i = 0; i < d.niv && !rc; i++)
            for (size_t k = 0; k < b->npc && !rc; k++) {
                piece *pc = &b->pc[k];
                u128 x = d.iv[i].a > pc->off ? d.iv[i].a : pc->off;
                u128 y = d.iv[i].b < pc->off + pc->len ? d.iv[i].b : pc->off + pc->len;
                if (x < y) rc = route_origin(t, c, f.from, f.asset, pc->origin, y - x, pc->a + (x - pc->off), d.hop, f.time, me);
            }
    } else if (t->p->policy == SL_POLICY_HAIRCUT) {
        u128 C = 0, prev = 0;
        for (size_t k = 0; k < b->npc && !rc; k++) {
            u128 cur;
            C += b->pc[k].len;
            cur = sl_tr_muldiv(d.amt, C, f.amount);
            rc = route_origin(t, c, f.from, f.asset, b->pc[k].origin, cur - prev, 0, d.hop, f.time, me);
            prev = cur;
        }
    } else { /* tiho: the demand drawn from the pieces in the order they were taken */
        u128 left = d.amt;
        for (size_t k = 0; k < b->npc && left && !rc; k++) {
            u128 x = b->pc[k].len < left ? b->pc[k].len : left;
            rc = route_origin(t, c, f.from, f.asset, b->pc[k].origin, x, 0, d.hop, f.time, me);
            left -= x;
        }
    }
    return rc;
}

/* Demand amt on flow f from its receiver's side (a source: hop 0). */
static int demand(sl_tr *t, sl_tr_chain *c, const sl_flow *f, u128 amt, uint32_t hop)
{
    int made, rc = bdem_add(t, c, f->id, hop + 1, amt, 0, lots_policy(t), &made);
    if (rc == SL_ELIMIT) return add_end(t, c, f->from, f->asset, amt, SL_END_TRUNCATED, hop, f->time, f->id, sl_tr_noref());
    if (!rc && made) t->r->pools_visited++;
    return rc;
}

/* ================= the rule ================= */

static int start(sl_tr *t, sl_tr_chain *c)
{
    (void)t;
    return (c->rs = sl_calloc(1, sizeof(aset))) ? SL_OK : SL_ENOMEM;
}

/* The asset a tx source takes when none is given: its first flow that is not a fee. */
static uint32_t tx_asset(sl_tr_chain *c, uint64_t first, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        sl_flow f;
        c->v->m->flow_get(c->v, first + k, &f);
        if (!f.fee) return f.asset;
    }
    return 0;
}

/* The value a tx moved in asset: its flows of the asset whose sender did not receive the
 * asset earlier in the same tx (those only pass it on: they are traced as the
 * continuation, not counted as a second source). */
static int tx_moved(sl_tr_chain *c, uint64_t first, uint32_t n, uint32_t asset, sl_flow_ids *out)
{
    for (uint32_t k = 0; k < n; k++) {
        sl_flow f;
        bool downstream = false;
        c->v->m->flow_get(c->v, first + k, &f);
        if (f.asset != asset || f.fee) continue;
        for (uint32_t q = 0; q < k && !downstream; q++) {
            sl_flow pf;
            c->v->m->flow_get(c->v, first + q, &pf);
            downstream = pf.asset == asset && pf.to == f.from;
        }
        if (!downstream) {
            int rc = sl_flow_ids_push(out, first + k);
            if (rc) return rc;
        }
    }
    return SL_OK;
}

static int select_src(sl_tr *t, sl_tr_chain *c, const sl_trace_source *src, sl_flow_ids *out)
{
    const sl_flow_view *v = c->v;
    uint64_t first;
    uint32_t n, asset = src->asset;
    if (src->kind == SL_SOURCE_ADDRESS) return v->m->addr_received(v, src->addr, asset, t->p->since, out);
    v->m->tx_flows(v, src->tx, &first, &n);
    if (src->index >= (int64_t)n)
        return sl_tr_fail(t, SL_EUSAGE, "flow %lld out of range: the transaction has %u flows", (long long)src->index, n);
    if (src->index >= 0) return sl_flow_ids_push(out, first + (uint64_t)src->index);
    if (!src->asset_given) asset = tx_asset(c, first, n);
    return tx_moved(c, first, n, asset, out);
}

static int source(sl_tr *t, sl_tr_chain *c, const sl_flow *f)
{
    int64_t link;
    if (!t->p->backward) return deliver(t, c, sl_tr_noref(), f, f->amount, 0);
    if ((link = sl_tr_link_at(t, c, f->id)) >= 0)
        return sl_tr_depart(t, c, (size_t)link, f->asset, f->amount, 0, pool_ref(c, f->to, f->asset));
    return demand(t, c, f, f->amount, 0);
}

static int arrive(sl_tr *t, sl_tr_chain *c, const sl_flow *f, sl_u128 amount, uint32_t hop, sl_tr_ref parent)
{
    if (!t->p->backward) return deliver(t, c, parent, f, amount, hop);
    return route_origin(t, c, f->to, f->asset, f->id, amount, 0, hop, f->time, parent);
}

static int step(sl_tr *t, sl_tr_chain *c, size_t node)
{
    return t->p->backward ? split_demand(t, c, node) : step_fwd(t, c, node);
}

static int finish(sl_tr *t, sl_tr_chain *c)
{
    aset *a = A(c);
    int rc = SL_OK;
    for (size_t i = 0; i < a->nst && !rc; i++) rc = finish_state(t, c, &a->st[i]);
    for (size_t i = 0; i < a->nst && !rc; i++) {
        const astate *s = &a->st[i];
        sl_trace_pool x = {s->acct, s->best_flow, -1, s->acct, c->v->chain};
        rc = sl_tr_pool(t, &x, s->parent);
    }
    return rc;
}

static int64_t pool_index(const sl_tr_chain *c, uint64_t id) { return sl_idmap_get(&((const aset *)c->rs)->map, id); }

static void free_state(sl_tr_chain *c)
{
    aset *a = A(c);
    if (!a) return;
    for (size_t i = 0; i < a->nst; i++) sl_free(a->st[i].hist), sl_free(a->st[i].lots);
    for (size_t i = 0; i < a->nd; i++) sl_free(a->d[i].iv);
    sl_free(a->st), sl_free(a->dlamt), sl_free(a->d), sl_free(a->pc), sl_free(a->lots);
    sl_flow_ids_free(&a->h);
    sl_idmap_free(&a->map), sl_idmap_free(&a->dlmap), sl_idmap_free(&a->dmap);
    sl_free(a);
    c->rs = NULL;
}

const sl_tr_rule SL_TR_ACCT = {start, select_src, source, arrive, step, finish, pool_index, free_state};
