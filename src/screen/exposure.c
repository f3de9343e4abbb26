/* exposure.c — `sleuth exposure build` and its update: precomputes, for every address the
 * store's tagged sources reach, how much came from (direction in) or went to (direction
 * out) each source, so that a screen is a look-up (docs/SCREENING.md).
 *
 * Sources are the store's tags resolved to its chains: one source per tagged address or
 * transaction, its categories the union of its tags' (sl_cat_of_tag). From each source the
 * tracing engine (trace.h) runs forward (what the source received, followed to where it
 * went: the "in" exposure of the receivers) and, for address sources, backward (where what
 * the source received came from: the "out" exposure of the senders), under the policy,
 * max_hops deep for the risky categories and one hop for the services (direct exposure
 * only), ending at the first tagged service (Chainalysis' "indirect exposure stops at the
 * first service"), and, for a source with an incident, at the incident's other tagged
 * addresses (their own trace carries on from there, so one incident's taint is not counted
 * twice downstream). The traced subgraph's edges give each address's amount (the sum of
 * the tainted payments it received), its hop count (the least along the edges) and one
 * shortest example path; one record per (address, direction, source, asset).
 *
 * The index file (screen_int.h) is written to index.bin.tmp, synced and renamed; one
 * build at a time (flock on STORE/exposure/lock: a second gets SL_ECONFLICT). Beside it
 * the frontier file (frontier.c) says where each forward trace stopped while funds were
 * held; the update reads only the blocks appended since, traces again the sources they
 * touch and keeps every other record (docs/SCREENING.md, "Update"); tag changes and
 * rollbacks below the index's tips rebuild.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "screen/screen_int.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"

/* A source while building. */
typedef struct bsrc {
    uint16_t chain;
    uint8_t kind;
    uint32_t cats;
    uint64_t id;
    uint32_t label, incident, actor, name;   /* string offsets */
    int best;                                /* tag index of the best tag so far */
} bsrc;

/* One accumulated (address, direction, source, asset). */
typedef struct bacc {
    uint16_t chain;
    uint8_t dir, hops;
    uint32_t addr, source, asset;
    sl_u128 amount, received, raw;  /* raw: received before it is raised to amount */
    uint32_t path, path_n;
    bool fresh;                      /* traced in this run: its received is still to be read */
} bacc;

typedef struct bctx {
    sl_store *s;
    const sl_flow_set *fs;
    sl_tags *tags;
    sl_tag_list tl;
    bsrc *src;
    size_t n_src, cap_src;
    sl_ht src_of;          /* (chain, kind, id) -> source index */
    sl_ht addr_info;       /* (chain << 32 | addr) -> bit 0 service, >> 1: address source + 1 */
    sl_buf strings;
    sl_ht str_of;
    bacc *acc;
    size_t n_acc, cap_acc;
    sl_ht acc_of;          /* (chain, addr, dir, source, asset) -> acc index */
    uint64_t *paths;
    size_t n_paths, cap_paths;
    uint32_t cur;          /* the source being traced */
    uint32_t limit;        /* its hop limit: records beyond it are left out */
    uint32_t senders[64];  /* a tagged tx's paying addresses: its change to them is no exposure */
    size_t n_senders;
    uint64_t skipped;
    char skip_why[200];
    sl_expo_frontier fr;   /* the frontier the traces leave (flags: one per source) */
} bctx;

static int str_add(bctx *b, const char *s, uint32_t *off)
{
    uint64_t *slot;
    bool added;
    size_t n;
    if (!s || !*s) { *off = 0; return SL_OK; }
    n = strlen(s);
    if (sl_ht_upsert(&b->str_of, s, n, b->strings.len, &slot, &added)) return SL_ENOMEM;
    if (added && sl_buf_append(&b->strings, s, n + 1)) return SL_ENOMEM;
    *off = (uint32_t)*slot;
    return SL_OK;
}

/* The view a tag's chain names ("btc": the Bitcoin-family chain). */
static const sl_flow_view *view_of(const sl_flow_set *fs, const char *chain)
{
    for (size_t i = 0; chain && i < sl_flow_set_count(fs); i++) {
        const sl_flow_view *v = sl_flow_set_at(fs, i);
        if (v->model == SL_MODEL_UTXO ? !strcmp(chain, "btc") : !strcmp(chain, v->name)) return v;
    }
    return NULL;
}

static int add_source(bctx *b, const sl_tag *t, int ti, uint32_t cats)
{
    const sl_flow_view *v = view_of(b->fs, t->chain);
    uint8_t key[11];
    uint64_t id = 0, *slot;
    bool added;
    bsrc *x;
    sl_error e = {0};
    if (!v) return SL_OK;
    if (t->address) {
        uint32_t a;
        if (v->m->addr_find(v, t->address, &a, &e)) return SL_OK; /* not on the chains held */
        id = a;
    } else if (!t->tx_hash || v->m->tx_find(v, t->tx_hash, &id))
        return SL_OK;
    key[0] = (uint8_t)v->chain, key[1] = (uint8_t)(v->chain >> 8), key[2] = t->address ? 1 : 2;
    memcpy(key + 3, &id, 8);
    if (sl_ht_upsert(&b->src_of, key, sizeof key, b->n_src, &slot, &added)) return SL_ENOMEM;
    if (added) {
        char nm[SL_FLOW_NAME_MAX];
        void *q = b->src;
        if (sl_grow(&q, &b->cap_src, b->n_src + 1, sizeof *b->src)) return SL_ENOMEM;
        b->src = q;
        x = &b->src[b->n_src++];
        memset(x, 0, sizeof *x);
        x->chain = v->chain, x->kind = t->address ? 1 : 2, x->id = id, x->best = -1;
        if (t->address) v->m->addr_name(v, (uint32_t)id, nm);
        else v->m->tx_name(v, id, nm);
        if (str_add(b, nm, &x->name)) return SL_ENOMEM;
    }
    x = &b->src[*slot];
    x->cats |= cats;
    if (x->best < 0 || sl_tags_cmp(t, &b->tl.v[x->best]) < 0) {
        x->best = ti;
        if (str_add(b, t->label, &x->label) || str_add(b, t->actor_label ? t->actor_label : t->actor, &x->actor))
            return SL_ENOMEM;
    }
    if (t->incident && !x->incident && str_add(b, t->incident, &x->incident)) return SL_ENOMEM;
    if (x->kind == 1) {
        uint64_t k = (uint64_t)x->chain << 32 | x->id, *vs;
        if (sl_ht_upsert(&b->addr_info, &k, 8, 0, &vs, NULL)) return SL_ENOMEM;
        *vs = (*vs & 1) | (cats & SL_CAT_SERVICE_MASK ? 1 : 0) | (uint64_t)(*slot + 1) << 1;
    }
    return SL_OK;
}

static int load_sources(bctx *b, sl_error *e)
{
    int rc;
    if ((rc = sl_tags_all(b->tags, NULL, &b->tl, e))) return rc;
    for (size_t i = 0; i < b->tl.n; i++) {
        uint32_t cats = sl_cat_of_tag(&b->tl.v[i]);
        if (cats && (rc = add_source(b, &b->tl.v[i], (int)i, cats))) return sl_err(e, rc, "out of memory");
    }
    return SL_OK;
}

/* Whether a is one of the payers of the tagged transaction being traced. */
static bool is_sender(const bctx *b, uint16_t chain, uint32_t a)
{
    if (b->src[b->cur].kind != 2 || chain != b->src[b->cur].chain) return false;
    for (size_t i = 0; i < b->n_senders; i++)
        if (b->senders[i] == a) return true;
    return false;
}

/* The endpoint hook: a tagged service, another tagged address of the traced source's
 * incident, or a payer of the traced tagged transaction (its change goes back there). */
static bool is_endpoint(void *ctx, sl_addr_ref a)
{
    bctx *b = ctx;
    uint64_t k = (uint64_t)a.chain << 32 | a.id, v;
    const bsrc *cur = &b->src[b->cur];
    if (is_sender(b, a.chain, a.id)) return true;
    if (!sl_ht_get(&b->addr_info, &k, 8, &v)) return false;
    if (v & 1) return true;
    if (v >> 1 && cur->incident) {
        const bsrc *o = &b->src[(v >> 1) - 1];
        return o != cur && o->incident == cur->incident;
    }
    return false;
}

/* Hop counts of the edges of r, the engine's: forward, the source payments (flagged) are
 * hop 0 and an edge is one hop past the least edge that brought taint into the pool it
 * leaves; backward, the pools that paid the source payments are hop 0 and an edge (a
 * payment demanded by the pool it enters) is one hop past that pool. Relaxed until nothing
 * changes; pred gets the edge one hop nearer the source (-1 none). */
static int edge_hops(const bctx *b, const sl_trace_result *r, bool backward, uint32_t *hop, int64_t *pred)
{
    sl_ht at = {0}; /* (chain, pool) -> hop << 32 | (edge + 1): how near the source it is */
    int rc = SL_OK;
    bool changed = true;
    const sl_flow_view *sv = sl_flow_set_chain(b->fs, r->chain);
    for (size_t i = 0; i < r->n_edges; i++) {
        hop[i] = !backward && r->edges[i].flags & SL_TRACE_EDGE_SOURCE ? 0 : UINT32_MAX;
        if (backward && r->edges[i].to_pool == SL_FLOW_NONE) hop[i] = 0;
        pred[i] = -1;
    }
    for (size_t i = 0; backward && sv && i < r->n_sources && !rc; i++) {
        uint8_t key[10];
        uint64_t pool;
        if (sv->model == SL_MODEL_UTXO) pool = SL_FLOW_UTXO_TX(r->sources[i]);
        else {
            sl_flow f;
            sv->m->flow_get(sv, r->sources[i], &f);
            pool = f.from;
        }
        memcpy(key, &r->chain, 2), memcpy(key + 2, &pool, 8);
        rc = sl_ht_set(&at, key, sizeof key, 0);
    }
    for (unsigned pass = 0; changed && pass < 300 && !rc; pass++) {
        changed = false;
        for (size_t i = 0; i < r->n_edges && !rc; i++) {
            const sl_trace_edge *x = &r->edges[i];
            uint8_t key[10];
            uint64_t near = backward ? x->to_pool : x->from_pool, far = backward ? x->from_pool : x->to_pool, v;
            if (hop[i] != 0 && near != SL_FLOW_NONE) {
                memcpy(key, &x->chain, 2), memcpy(key + 2, &near, 8);
                if (sl_ht_get(&at, key, sizeof key, &v) && (v >> 32) + 1 < hop[i]) {
                    hop[i] = (uint32_t)(v >> 32) + 1, pred[i] = (int64_t)(v & 0xffffffffu) - 1;
                    changed = true;
                }
            }
            if (hop[i] != UINT32_MAX && far != SL_FLOW_NONE) { /* the far pool is this near the source */
                uint64_t *slot, mine = (uint64_t)hop[i] << 32 | (uint64_t)(i + 1);
                bool added;
                memcpy(key, &x->chain, 2), memcpy(key + 2, &far, 8);
                if ((rc = sl_ht_upsert(&at, key, sizeof key, mine, &slot, &added))) break;
                if (!added && (*slot >> 32) > hop[i]) *slot = mine, changed = true;
            }
        }
    }
    sl_ht_free(&at);
    return rc;
}

/* The record of (who, chain, asset) of the source being traced, made on first sight. */
static int acc_get(bctx *b, uint8_t dir, uint16_t chain, uint32_t who, uint32_t asset, bacc **out)
{
    uint8_t key[15];
    uint64_t *slot;
    bool added;
    memcpy(key, &chain, 2), memcpy(key + 2, &who, 4), key[6] = dir;
    memcpy(key + 7, &b->cur, 4), memcpy(key + 11, &asset, 4);
    if (sl_ht_upsert(&b->acc_of, key, sizeof key, b->n_acc, &slot, &added)) return SL_ENOMEM;
    if (added) {
        void *q = b->acc;
        bacc *a;
        if (sl_grow(&q, &b->cap_acc, b->n_acc + 1, sizeof *b->acc)) return SL_ENOMEM;
        b->acc = q;
        a = &b->acc[b->n_acc++];
        memset(a, 0, sizeof *a);
        a->chain = chain, a->dir = dir, a->addr = who, a->source = b->cur, a->asset = asset, a->hops = 255;
        a->fresh = true;
    }
    *out = &b->acc[*slot];
    return SL_OK;
}

/* Room for n more path steps: the index of the first, or -1 when out of memory. */
static int64_t path_room(bctx *b, size_t n)
{
    void *q = b->paths;
    if (sl_grow(&q, &b->cap_paths, b->n_paths + n, sizeof *b->paths)) return -1;
    b->paths = q;
    b->n_paths += n;
    return (int64_t)(b->n_paths - n);
}

/* Taint (forward) or demand (backward) amount on a payment to `who` at hop: added to its
 * record; a shorter way than the record knew becomes its example path. */
static bool counts(const bctx *b, uint16_t chain, uint32_t who, uint32_t hop)
{
    const bsrc *cur = &b->src[b->cur];
    return who && hop && hop <= b->limit && hop <= 255 && !(cur->kind == 1 && chain == cur->chain && who == cur->id) &&
           !is_sender(b, chain, who);
}

/* The engine numbers the source payments hop 0. From an address that is what it received
 * (not exposure); from a tagged transaction it is what the transaction paid: its receivers
 * are its direct counterparties, hop 1. */
static uint32_t hop_of(const bctx *b, uint32_t engine_hop)
{
    return engine_hop == UINT32_MAX ? UINT32_MAX : engine_hop + (b->src[b->cur].kind == 2);
}

static int accumulate(bctx *b, const sl_trace_result *r, uint8_t dir, sl_error *e)
{
    uint32_t *hop = NULL;
    int64_t *pred = NULL;
    const sl_trace_pool *steps[SL_EXPO_MAX_PATH];
    int rc = SL_OK;
    if (r->n_edges && (!(hop = sl_malloc(r->n_edges * sizeof *hop)) || !(pred = sl_malloc(r->n_edges * sizeof *pred)))) {
        rc = SL_ENOMEM;
        goto done;
    }
    if (r->n_edges && (rc = edge_hops(b, r, dir == SL_SCREEN_OUT, hop, pred))) goto done;
    /* payments that went on: the edges (forward: to the receiver; backward: to the owner of
     * the coins that were spent toward the source) */
    for (size_t i = 0; i < r->n_edges; i++) {
        const sl_trace_edge *x = &r->edges[i];
        uint32_t h = hop_of(b, hop[i]), who = x->to_addr;
        bacc *a;
        if (h == UINT32_MAX || !x->amount || !counts(b, x->chain, who, h)) continue;
        if ((rc = acc_get(b, dir, x->chain, who, x->asset, &a))) goto done;
        a->amount += x->amount;
        if (h < a->hops) {
            size_t n = h > SL_EXPO_MAX_PATH ? SL_EXPO_MAX_PATH : h;
            int64_t k = (int64_t)i, at = path_room(b, n);
            if (at < 0) { rc = SL_ENOMEM; goto done; }
            a->hops = (uint8_t)h, a->path = (uint32_t)at, a->path_n = (uint32_t)n;
            for (size_t s = n; s-- > 0 && k >= 0; k = pred[k]) b->paths[at + (int64_t)s] = r->edges[k].flow;
        }
    }
    /* UTXO payments where it stopped (held, a service, the hop limit) are no edge; on an
     * account chain every payment taint reached is one, and an end is what a pool kept */
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_trace_end *x = &r->ends[i];
        const sl_flow_view *v = sl_flow_set_chain(b->fs, x->chain);
        uint32_t h = hop_of(b, x->hops);
        bacc *a;
        if (!v || (v->model != SL_MODEL_UTXO && dir == SL_SCREEN_IN)) continue;
        if (x->reason != SL_END_TAGGED && x->reason != SL_END_MAXHOPS && x->reason != SL_END_TRUNCATED &&
            (x->reason != SL_END_HELD || v->model != SL_MODEL_UTXO))
            continue;
        /* backward on an account chain the end is the account whose demand was not followed:
         * it paid the account of the last edge, one hop further */
        if (v->model != SL_MODEL_UTXO && h != UINT32_MAX) h++;
        if (!x->amount || !counts(b, x->chain, x->addr, h)) continue;
        if ((rc = acc_get(b, dir, x->chain, x->addr, x->asset, &a))) goto done;
        a->amount += x->amount;
        if (h < a->hops) {
            size_t np = sl_trace_path(r, x, steps, SL_EXPO_MAX_PATH), n = 0, k = 0;
            uint64_t fl[SL_EXPO_MAX_PATH + 1];
            int64_t at;
            for (size_t s = 0; s < np; s++) /* the steps on the end's chain: a path names its flows there */
                if (steps[s]->via != SL_FLOW_NONE && steps[s]->chain == x->chain) fl[n++] = steps[s]->via;
            fl[n++] = x->flow;
            if (n > h) k = n - h;      /* from the source's first hop on */
            if (n - k > SL_EXPO_MAX_PATH) k = n - SL_EXPO_MAX_PATH;
            if ((at = path_room(b, n - k)) < 0) { rc = SL_ENOMEM; goto done; }
            memcpy(b->paths + at, fl + k, (n - k) * sizeof *fl);
            a->hops = (uint8_t)h, a->path = (uint32_t)at, a->path_n = (uint32_t)(n - k);
        }
    }
done:
    sl_free(hop), sl_free(pred);
    return rc ? sl_err(e, rc, "out of memory") : SL_OK;
}

/* Direct exposure to a service address on an account chain, without the engine: its own
 * payments in the chain's coin (forward: to whom it paid; backward: who paid it), each one
 * hop, the whole payment (what the service pays out is what it received). The engine's
 * backward pass replays every sender's history, quadratic on an exchange's account; this
 * is one read of the service's history. */
static int direct_acct(bctx *b, const sl_flow_view *v, uint32_t si, bool backward, sl_error *e)
{
    const bsrc *x = &b->src[si];
    sl_flow_ids ids = {0};
    int rc;
    b->cur = si, b->limit = 1, b->n_senders = 0;
    if ((rc = v->m->acct_history(v, (uint32_t)x->id, 0, SL_FLOW_NONE, &ids))) return sl_err(e, rc, "out of memory");
    for (size_t i = 0; i < ids.n && !rc; i++) {
        sl_flow f;
        bacc *a;
        uint32_t who;
        int64_t at;
        v->m->flow_get(v, ids.v[i], &f);
        if (f.fee || f.sink || f.big || !f.amount) continue;
        if (backward ? f.to != x->id || f.origin != SL_FLOW_ORIGIN_ADDR : f.from != x->id) continue;
        who = backward ? f.from : f.to;
        if (!counts(b, x->chain, who, 1)) continue;
        if ((rc = acc_get(b, backward ? SL_SCREEN_OUT : SL_SCREEN_IN, x->chain, who, f.asset, &a))) break;
        a->amount += f.amount;
        if (a->hops > 1) {
            if ((at = path_room(b, 1)) < 0) { rc = SL_ENOMEM; break; }
            b->paths[at] = f.id, a->hops = 1, a->path = (uint32_t)at, a->path_n = 1;
        }
    }
    sl_flow_ids_free(&ids);
    return rc ? sl_err(e, rc, "out of memory") : SL_OK;
}

/* Where the forward trace r of source si stopped while the funds could still move on:
 * UTXO, the unspent tainted outputs below the hop limit (spent in a later block, they take
 * the taint further; at the limit they are a record either way); accounts, every tainted
 * account that is no endpoint (a later payment out of it carries taint on). A trace the
 * node budget cut short is run again at every update. */
static int keep_frontier(bctx *b, const sl_trace_result *r, uint32_t si, uint32_t max_hops, bool backward)
{
    int rc = SL_OK;
    if (r->truncated) b->fr.flags[si] |= backward ? SL_SCREEN_OUT : SL_SCREEN_IN;
    if (backward) return SL_OK; /* what it received is all before: only new receipts change it */
    for (size_t i = 0; i < r->n_ends && !rc; i++) {
        const sl_trace_end *x = &r->ends[i];
        const sl_flow_view *v = sl_flow_set_chain(b->fs, x->chain);
        if (!v || x->reason != SL_END_HELD) continue;
        if (v->model == SL_MODEL_UTXO) {
            if (x->hops < max_hops && x->flow != SL_FLOW_NONE)
                rc = sl_expo_frontier_add(&b->fr, x->chain, SL_FRONT_SPENT, x->flow, si);
        } else if (x->addr)
            rc = sl_expo_frontier_add(&b->fr, x->chain, SL_FRONT_PAYS, x->addr, si);
    }
    for (size_t i = 0; i < r->n_edges && !rc; i++) {
        const sl_trace_edge *x = &r->edges[i];
        const sl_flow_view *v = sl_flow_set_chain(b->fs, x->chain);
        if (v && v->model != SL_MODEL_UTXO && x->to_addr && !is_endpoint(b, (sl_addr_ref){.chain = x->chain, .id = x->to_addr}))
            rc = sl_expo_frontier_add(&b->fr, x->chain, SL_FRONT_PAYS, x->to_addr, si);
    }
    return rc;
}

static int trace_one(bctx *b, const sl_exposure_build_opts *o, uint32_t si, bool backward, sl_error *e)
{
    const bsrc *x = &b->src[si];
    sl_trace_source src = {.chain = x->chain, .kind = x->kind == 1 ? SL_SOURCE_ADDRESS : SL_SOURCE_TX,
                           .tx = x->id, .index = -1, .addr = (uint32_t)x->id};
    sl_trace_params p = {.policy = o->policy, .backward = backward,
                         .max_hops = x->cats & SL_CAT_RISKY_MASK ? o->max_hops : 1,
                         .endpoints = {is_endpoint, b, "tagged services end it"}};
    sl_trace_result r;
    sl_error te = {0};
    const sl_flow_view *sv = sl_flow_set_chain(b->fs, x->chain);
    int rc;
    /* an account source's own payments out carry its taint on: a key of its frontier */
    if (sv && sv->model != SL_MODEL_UTXO && x->kind == 1 && !backward &&
        sl_expo_frontier_add(&b->fr, x->chain, SL_FRONT_PAYS, x->id, si))
        return sl_err(e, SL_ENOMEM, "out of memory");
    if (sv && sv->model != SL_MODEL_UTXO && x->kind == 1 && p.max_hops == 1) return direct_acct(b, sv, si, backward, e);
    b->cur = si, b->limit = p.max_hops, b->n_senders = 0;
    if (x->kind == 2) { /* who paid the tagged tx (a theft's victim): its change goes back to it */
        const sl_flow_view *v = sl_flow_set_chain(b->fs, x->chain);
        if (v->model == SL_MODEL_UTXO) {
            sl_utxo_pool up;
            v->m->utxo_pool(v, x->id, &up);
            for (uint32_t i = 0; i < up.n_in && b->n_senders < 64; i++) {
                uint32_t a = 0;
                if (v->m->utxo_in_value(v, up.first_in + i, &a) != UINT64_MAX && a) b->senders[b->n_senders++] = a;
            }
        } else {
            uint64_t first;
            uint32_t n, from, to;
            v->m->tx_flows(v, x->id, &first, &n);
            for (uint32_t i = 0; i < n && b->n_senders < 64; i++) {
                v->m->flow_parties(v, first + i, &from, &to);
                if (from) b->senders[b->n_senders++] = from;
            }
        }
    }
    rc = sl_trace_run(b->fs, &src, &p, &r, &te);
    if (rc == SL_ENOMEM) return sl_err(e, rc, "out of memory");
    if (rc) { /* nothing received, an amount too big, links: that source adds nothing */
        if (rc != SL_ENOTFOUND) b->fr.flags[si] |= backward ? SL_SCREEN_OUT : SL_SCREEN_IN;
        if (rc != SL_ENOTFOUND && !b->skipped++) snprintf(b->skip_why, sizeof b->skip_why, "%.190s", te.msg);
        return SL_OK;
    }
    if (keep_frontier(b, &r, si, p.max_hops, backward)) {
        sl_trace_free(&r);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    rc = accumulate(b, &r, backward ? SL_SCREEN_OUT : SL_SCREEN_IN, e);
    sl_trace_free(&r);
    return rc;
}

/* What each freshly traced address received in its asset (the share's denominator),
 * raised to the record's amount where taint was counted twice round a loop. */
static int fill_received(bctx *b, sl_error *e)
{
    sl_ht memo = {0};
    sl_flow_ids ids = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < b->n_acc && !rc; i++) {
        bacc *a = &b->acc[i];
        uint8_t key[10];
        uint64_t cached;
        const sl_flow_view *v = sl_flow_set_chain(b->fs, a->chain);
        if (!a->fresh) continue;
        memcpy(key, &a->chain, 2), memcpy(key + 2, &a->addr, 4), memcpy(key + 6, &a->asset, 4);
        if (sl_ht_get(&memo, key, sizeof key, &cached)) a->raw = b->acc[cached].raw;
        else {
            ids.n = 0;
            if (v && (rc = v->m->addr_received(v, a->addr, a->asset, 0, &ids))) break;
            for (size_t k = 0; k < ids.n; k++) {
                sl_flow f;
                v->m->flow_get(v, ids.v[k], &f);
                a->raw += f.amount;
            }
            rc = sl_ht_set(&memo, key, sizeof key, i);
        }
        a->received = a->raw < a->amount ? a->amount : a->raw;
    }
    sl_flow_ids_free(&ids);
    sl_ht_free(&memo);
    return rc ? sl_err(e, rc, "out of memory") : SL_OK;
}

static int cmp_acc(const void *pa, const void *pb)
{
    const bacc *a = pa, *b = pb;
    uint64_t ka = (uint64_t)a->chain << 32 | a->addr, kb = (uint64_t)b->chain << 32 | b->addr;
    if (ka != kb) return ka < kb ? -1 : 1;
    if (a->dir != b->dir) return a->dir < b->dir ? -1 : 1;
    if (a->amount != b->amount) return a->amount > b->amount ? -1 : 1;
    return (a->source > b->source) - (a->source < b->source);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put128(uint8_t *p, sl_u128 v) { sl_put_le64(p, (uint64_t)v), sl_put_le64(p + 8, (uint64_t)(v >> 64)); }

/* Appends n bytes (zero when p is NULL) and pads to 16. */
static int put(sl_buf *o, const void *p, size_t n)
{
    static const uint8_t z[64];
    while (n) {
        size_t k = n > sizeof z ? sizeof z : n;
        if (sl_buf_append(o, p ? p : z, k)) return SL_ENOMEM;
        if (p) p = (const uint8_t *)p + k;
        n -= k;
    }
    return SL_OK;
}
static int pad(sl_buf *o) { return put(o, NULL, (16 - o->len % 16) % 16); }

typedef struct bentry { uint16_t chain; uint32_t addr, first, n, self; } bentry;
static int cmp_entry(const void *pa, const void *pb)
{
    const bentry *a = pa, *b = pb;
    uint64_t ka = (uint64_t)a->chain << 32 | a->addr, kb = (uint64_t)b->chain << 32 | b->addr;
    return (ka > kb) - (ka < kb);
}

/* The entries: one per address with records or with tags of its own. */
static int entries_of(bctx *b, bentry **out, size_t *n_out)
{
    bentry *v = sl_malloc((b->n_acc + b->n_src + 1) * sizeof *v);
    size_t n = 0, m = 0;
    if (!v) return SL_ENOMEM;
    for (size_t i = 0; i < b->n_acc; i++) {
        if (!n || v[n - 1].chain != b->acc[i].chain || v[n - 1].addr != b->acc[i].addr)
            v[n++] = (bentry){b->acc[i].chain, b->acc[i].addr, (uint32_t)i, 0, UINT32_MAX};
        v[n - 1].n++;
    }
    m = n;
    for (size_t i = 0; i < b->n_src; i++) { /* tagged addresses: their own source */
        bentry key = {b->src[i].chain, (uint32_t)b->src[i].id, 0, 0, UINT32_MAX}, *hit;
        if (b->src[i].kind != 1) continue;
        if ((hit = bsearch(&key, v, m, sizeof *v, cmp_entry))) hit->self = (uint32_t)i;
        else key.self = (uint32_t)i, key.first = 0, v[n++] = key;
    }
    if (n) qsort(v, n, sizeof *v, cmp_entry);
    *out = v, *n_out = n;
    return SL_OK;
}

static int write_index(bctx *b, const sl_exposure_build_opts *o, const char *dir, uint64_t tcount, uint64_t tmtime,
                       uint64_t stamp, uint64_t *bytes, sl_error *e)
{
    sl_buf out = {0};
    bentry *ent = NULL;
    size_t n_ent = 0, n_ch;
    sl_expo_chain ch[64];
    uint8_t h[SL_EXPO_HDR] = {0};
    int rc;
    if (b->n_acc) qsort(b->acc, b->n_acc, sizeof *b->acc, cmp_acc);
    if ((rc = entries_of(b, &ent, &n_ent))) goto oom;
    n_ch = sl_expo_tips(b->s, b->fs, ch, 64);
    memcpy(h, SL_EXPO_MAGIC, 8);
    sl_put_le32(h + 8, SL_EXPO_VERSION), sl_put_le32(h + 12, (uint32_t)o->policy), sl_put_le32(h + 16, o->max_hops);
    sl_put_le32(h + 20, (uint32_t)n_ch), sl_put_le64(h + 24, n_ent), sl_put_le64(h + 32, b->n_acc);
    sl_put_le64(h + 40, b->n_src), sl_put_le64(h + 48, b->n_paths), sl_put_le64(h + 56, b->strings.len);
    sl_put_le64(h + 64, tcount), sl_put_le64(h + 72, tmtime), sl_put_le64(h + 80, (uint64_t)time(NULL));
    sl_put_le64(h + 88, stamp);
    if (put(&out, h, sizeof h)) goto oom;
    for (size_t i = 0; i < n_ch; i++) {
        uint8_t c[SL_EXPO_CHAIN] = {0};
        put16(c, ch[i].chain), sl_put_le32(c + 4, ch[i].height), memcpy(c + 8, ch[i].hash, 32);
        memcpy(c + 40, ch[i].name, strnlen(ch[i].name, 23));
        if (put(&out, c, sizeof c)) goto oom;
    }
    if (pad(&out)) goto oom;
    for (size_t i = 0; i < n_ent; i++) {
        uint8_t c[SL_EXPO_ENTRY] = {0};
        put16(c, ent[i].chain), sl_put_le32(c + 4, ent[i].addr), sl_put_le32(c + 8, ent[i].first);
        sl_put_le32(c + 12, ent[i].n);
        if (put(&out, c, sizeof c)) goto oom;
    }
    if (pad(&out)) goto oom;
    for (size_t i = 0; i < n_ent; i++) {
        uint8_t c[4];
        sl_put_le32(c, ent[i].self);
        if (put(&out, c, 4)) goto oom;
    }
    if (pad(&out)) goto oom;
    for (size_t i = 0; i < b->n_acc; i++) {
        const bacc *a = &b->acc[i];
        uint8_t c[SL_EXPO_RECORD] = {0};
        put128(c, a->amount), put128(c + 16, a->received), sl_put_le32(c + 32, a->source);
        sl_put_le32(c + 36, a->asset), sl_put_le32(c + 40, a->path);
        c[44] = a->dir, c[45] = a->hops, c[46] = (uint8_t)a->path_n;
        put128(c + 48, a->raw);
        if (put(&out, c, sizeof c)) goto oom;
    }
    if (pad(&out)) goto oom;
    for (size_t i = 0; i < b->n_src; i++) {
        const bsrc *x = &b->src[i];
        uint8_t c[SL_EXPO_SOURCE] = {0};
        put16(c, x->chain), c[2] = x->kind, sl_put_le32(c + 4, x->cats), sl_put_le64(c + 8, x->id);
        sl_put_le32(c + 16, x->label), sl_put_le32(c + 20, x->incident), sl_put_le32(c + 24, x->actor);
        sl_put_le32(c + 28, x->name);
        if (put(&out, c, sizeof c)) goto oom;
    }
    if (pad(&out)) goto oom;
    for (size_t i = 0; i < b->n_paths; i++) {
        uint8_t c[8];
        sl_put_le64(c, b->paths[i]);
        if (put(&out, c, 8)) goto oom;
    }
    if (pad(&out) || put(&out, b->strings.p, b->strings.len)) goto oom;
    if ((rc = sl_expo_write_file(dir, "index.bin", &out, e)) == SL_OK) *bytes = out.len;
    goto done;
oom:
    rc = sl_err(e, SL_ENOMEM, "out of memory");
done:
    sl_free(ent);
    sl_buf_free(&out);
    return rc;
}

static void bctx_free(bctx *b)
{
    if (b->fs) sl_flow_set_close((sl_flow_set *)b->fs);
    if (b->tags) sl_tags_close(b->tags);
    sl_tag_list_free(&b->tl);
    sl_free(b->src), sl_free(b->acc), sl_free(b->paths);
    sl_ht_free(&b->src_of), sl_ht_free(&b->addr_info), sl_ht_free(&b->str_of), sl_ht_free(&b->acc_of);
    sl_buf_free(&b->strings);
    sl_expo_frontier_free(&b->fr);
}

/* Takes STORE/exposure/lock (made with its folder when missing): the fd, or -1 with e. */
static int lock_dir(const char *dir, sl_error *e)
{
    char p[4096];
    int fd;
    snprintf(p, sizeof p, "%s/exposure", dir);
    if (mkdir(p, 0755) && errno != EEXIST) { sl_err(e, SL_EIO, "%s: %s", p, strerror(errno)); return -1; }
    snprintf(p, sizeof p, "%s/exposure/lock", dir);
    if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) { sl_err(e, SL_EIO, "%s: %s", p, strerror(errno)); return -1; }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        close(fd);
        sl_err(e, SL_ECONFLICT, "%s: another exposure build is running", p);
        return -1;
    }
    return fd;
}

/* Opens what a build reads, in this order: the tag store's version (before the build's own
 * reads), the tags, the chains, the sources; the frontier's flags sized to them. */
static int bctx_open(bctx *b, sl_store *s, const char *dir, uint64_t *tcount, uint64_t *tmtime, sl_error *e)
{
    sl_flow_set *fs = NULL;
    int rc;
    b->s = s;
    if ((rc = sl_expo_tags_version(dir, tcount, tmtime, e))) return rc;
    if (sl_buf_append(&b->strings, "", 1)) return sl_err(e, SL_ENOMEM, "out of memory"); /* offset 0: "" */
    if ((rc = sl_tags_open(&b->tags, dir, SL_TAGS_RDONLY, e))) return rc;
    if ((rc = sl_flow_set_open(&fs, s, e))) return rc;
    b->fs = fs;
    if ((rc = load_sources(b, e))) return rc;
    if (!(b->fr.flags = sl_calloc(b->n_src + 1, 1))) return sl_err(e, SL_ENOMEM, "out of memory");
    b->fr.n_sources = b->n_src;
    return SL_OK;
}

/* The shares' denominators, then the frontier (with what each chain holds now) and the
 * index, one fresh stamp in both: the frontier first, so that a kill between the two
 * renames leaves files whose stamps differ (the next update rebuilds). */
static int bctx_write(bctx *b, const sl_exposure_build_opts *o, const char *dir, uint64_t tcount, uint64_t tmtime,
                      uint64_t *bytes, sl_error *e)
{
    int rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->fr.stamp = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40 | 1);
    b->fr.n_chains = 0;
    for (size_t i = 0; i < sl_flow_set_count(b->fs) && i < 64; i++) {
        const sl_flow_view *v = sl_flow_set_at(b->fs, i);
        b->fr.chains[b->fr.n_chains++] = (sl_expo_count){v->chain, sl_expo_chain_count(b->s, v)};
    }
    if ((rc = fill_received(b, e)) || (rc = sl_expo_frontier_write(dir, &b->fr, e))) return rc;
    return write_index(b, o, dir, tcount, tmtime, b->fr.stamp, bytes, e);
}

/* The build, with the lock held. */
static int build_locked(sl_store *s, const char *store_dir, const sl_exposure_build_opts *opt,
                        sl_exposure_build_report *r, sl_error *e)
{
    bctx b = {0};
    sl_progress pg;
    uint64_t tcount, tmtime;
    int rc;
    if ((rc = bctx_open(&b, s, store_dir, &tcount, &tmtime, e))) goto done;
    sl_progress_start(&pg, b.n_src, "sources", opt->quiet);
    for (uint32_t i = 0; i < b.n_src && !rc; i++) {
        rc = trace_one(&b, opt, i, false, e);
        if (!rc && b.src[i].kind == 1) rc = trace_one(&b, opt, i, true, e);
        sl_progress_update(&pg, i + 1, 0);
    }
    sl_progress_end(&pg);
    if (rc || (rc = bctx_write(&b, opt, store_dir, tcount, tmtime, &r->bytes, e))) goto done;
    r->sources = b.n_src;
    for (size_t i = 0; i < b.n_acc; i++)
        if (!i || b.acc[i].chain != b.acc[i - 1].chain || b.acc[i].addr != b.acc[i - 1].addr) r->entities++;
    r->skipped = b.skipped;
    memcpy(r->skip_why, b.skip_why, sizeof r->skip_why);
    r->max_hops = opt->max_hops, r->policy = opt->policy;
done:
    bctx_free(&b);
    return rc;
}

int sl_exposure_build(sl_store *s, const char *store_dir, const sl_exposure_build_opts *o,
                      sl_exposure_build_report *r, sl_error *e)
{
    sl_exposure_build_opts opt = o ? *o : (sl_exposure_build_opts){.policy = SL_POLICY_HAIRCUT};
    double t0 = sl_now();
    int rc, lk;
    memset(r, 0, sizeof *r);
    if (!opt.max_hops) opt.max_hops = SL_EXPO_DEFAULT_HOPS;
    if (opt.max_hops > 255) return sl_err(e, SL_EUSAGE, "--max-hops: at most 255");
    if (!sl_tags_exists(store_dir))
        return sl_err(e, SL_ENOTFOUND, "%s: the store has no tags: import tags first (sleuth tags import)", store_dir);
    if ((lk = lock_dir(store_dir, e)) < 0) return e->code;
    rc = build_locked(s, store_dir, &opt, r, e);
    close(lk);
    r->seconds = sl_now() - t0;
    return rc;
}

/* ---------------- the update ---------------- */

/* What the update knows of the blocks that came after the index. */
typedef struct upd {
    const sl_expo *x;
    const sl_expo_frontier *of;
    uint32_t *new_of_old;  /* old source -> new (UINT32_MAX: gone) */
    uint8_t *dirty;        /* per new source: the directions traced again */
    uint64_t old_count[64], since[64]; /* per view (fs order): the index's count, the least new time */
    sl_ht receivers;       /* (chain << 32 | addr) of every new receipt */
    sl_ht gained;          /* (chain, addr, asset) -> index in more: what came in since the index */
    sl_u128 *more;
    size_t n_more, cap_more;
} upd;

/* Whether the chains only grew since the index: every chain the index recorded, at its
 * recorded tip the same block, and at least the transactions (flows) it had read. NULL
 * when so, else why not. */
static const char *only_appended(bctx *b, upd *u)
{
    if (u->x->n_chains != sl_flow_set_count(b->fs) || u->of->n_chains != u->x->n_chains) return "the store's chains changed";
    for (size_t i = 0; i < sl_flow_set_count(b->fs); i++) {
        const sl_flow_view *v = sl_flow_set_at(b->fs, i);
        sl_expo_chain c = {0};
        const uint8_t *hash = NULL;
        uint32_t k, idx;
        bool found = false;
        for (k = 0; k < u->x->n_chains && !found; k++) sl_expo_chain_at(u->x, k, &c), found = c.chain == v->chain;
        for (k = 0; found && k < u->of->n_chains && u->of->chains[k].chain != v->chain; k++) {}
        if (!found || k == u->of->n_chains) return "the store's chains changed";
        u->old_count[i] = u->of->chains[k].count;
        if (sl_expo_chain_count(b->s, v) < u->old_count[i]) return "a rollback below the index's tips";
        if (v->model == SL_MODEL_UTXO) {
            if (!sl_btc_block_by_height(b->s, c.height, &idx)) hash = sl_btc_block_at(b->s, idx)->hash.b;
        } else {
            sl_eth_chain *ch;
            sl_error e = {0};
            if (!sl_eth_chain_open(b->s, v->name, &ch, &e) && !sl_eth_block_by_number(ch, c.height, &idx))
                hash = sl_eth_block_at(ch, idx)->hash.b;
        }
        if (u->old_count[i] && (!hash || memcmp(hash, c.hash, 32))) return "a rollback below the index's tips";
    }
    return NULL;
}

/* Marks the sources (old numbering) of the frontier keys (chain, kind, id): traced again. */
static void touch(upd *u, uint16_t chain, uint8_t kind, uint64_t id)
{
    size_t lo, hi;
    sl_expo_frontier_find(u->of, chain, kind, id, &lo, &hi);
    for (size_t k = lo; k < hi; k++)
        if (u->new_of_old[u->of->keys[k].source] != UINT32_MAX) u->dirty[u->new_of_old[u->of->keys[k].source]] |= SL_SCREEN_IN;
}

/* The address source at (chain, addr), or UINT32_MAX. */
static uint32_t addr_source(const bctx *b, uint16_t chain, uint32_t addr)
{
    uint64_t k = (uint64_t)chain << 32 | addr, v;
    return sl_ht_get(&b->addr_info, &k, 8, &v) && v >> 1 ? (uint32_t)((v >> 1) - 1) : UINT32_MAX;
}

/* A new receipt of addr: remembered for the shares; an address source that receives is
 * traced again backward (what it received grew). Forward a receipt is hop 0, no record,
 * until it is spent: on a UTXO chain a new input that spends from the source marks it
 * (scan_new), on an account chain the source's own account is a key of its frontier. */
static int received_new(bctx *b, upd *u, uint16_t chain, uint32_t addr)
{
    uint64_t k = (uint64_t)chain << 32 | addr;
    uint32_t si = addr_source(b, chain, addr);
    if (si != UINT32_MAX) u->dirty[si] |= SL_SCREEN_OUT;
    return sl_ht_set(&u->receivers, &k, 8, 1);
}

/* Reads what came after the index on every chain: the frontier keys it touches, the
 * addresses that received. *read: how many transactions (UTXO) and flows (accounts). */
static int scan_new(bctx *b, upd *u, uint64_t *read)
{
    int rc = SL_OK;
    for (size_t i = 0; i < sl_flow_set_count(b->fs) && !rc; i++) {
        const sl_flow_view *v = sl_flow_set_at(b->fs, i);
        uint64_t n = sl_expo_chain_count(b->s, v);
        u->since[i] = UINT64_MAX;
        for (uint64_t t = u->old_count[i]; t < n && !rc; t++, (*read)++) {
            if (v->model == SL_MODEL_UTXO) {
                sl_utxo_pool up;
                uint64_t tm = v->m->tx_time(v, t);
                v->m->utxo_pool(v, t, &up);
                if (tm < u->since[i]) u->since[i] = tm;
                for (uint32_t k = 0; k < up.n_in && !up.coinbase; k++) {
                    uint64_t otx, out;
                    uint32_t vout, from = 0, si;
                    if (v->m->utxo_origin(v, up.first_in + k, &otx, &vout, &out) == SL_OK)
                        touch(u, v->chain, SL_FRONT_SPENT, SL_FLOW_UTXO(otx, vout));
                    if (v->m->utxo_in_value(v, up.first_in + k, &from) != UINT64_MAX && from &&
                        (si = addr_source(b, v->chain, from)) != UINT32_MAX)
                        u->dirty[si] |= SL_SCREEN_IN; /* the source spends what it received */
                }
                for (uint32_t k = 0; k < up.n_out && !rc; k++) {
                    uint64_t value;
                    uint32_t addr;
                    bool unspendable;
                    v->m->utxo_out(v, up.first_out + k, &value, &addr, &unspendable);
                    if (addr) rc = received_new(b, u, v->chain, addr);
                }
            } else {
                sl_flow f;
                v->m->flow_get(v, t, &f);
                if (f.time < u->since[i]) u->since[i] = f.time;
                if (f.from) touch(u, v->chain, SL_FRONT_PAYS, f.from);
                if (f.to) rc = received_new(b, u, v->chain, f.to);
            }
        }
    }
    return rc;
}

/* What (chain, addr) received in asset after the index: the new flows of addr_received. */
static int gained(bctx *b, upd *u, uint16_t chain, uint32_t addr, uint32_t asset, sl_u128 *out)
{
    uint8_t key[10];
    uint64_t *slot;
    bool added;
    size_t vi = 0;
    sl_flow_ids ids = {0};
    const sl_flow_view *v = NULL;
    void *q = u->more;
    int rc;
    memcpy(key, &chain, 2), memcpy(key + 2, &addr, 4), memcpy(key + 6, &asset, 4);
    if ((rc = sl_ht_upsert(&u->gained, key, sizeof key, u->n_more, &slot, &added))) return rc;
    if (!added) { *out = u->more[*slot]; return SL_OK; }
    if (sl_grow(&q, &u->cap_more, u->n_more + 1, sizeof *u->more)) return SL_ENOMEM;
    u->more = q;
    u->more[u->n_more] = 0;
    for (; vi < sl_flow_set_count(b->fs); vi++)
        if ((v = sl_flow_set_at(b->fs, vi))->chain == chain) break;
    if (vi < sl_flow_set_count(b->fs) && (rc = v->m->addr_received(v, addr, asset, u->since[vi], &ids)) == SL_OK)
        for (size_t k = 0; k < ids.n; k++) {
            sl_flow f;
            if ((v->model == SL_MODEL_UTXO ? SL_FLOW_UTXO_TX(ids.v[k]) : ids.v[k]) < u->old_count[vi]) continue;
            v->m->flow_get(v, ids.v[k], &f);
            u->more[u->n_more] += f.amount;
        }
    sl_flow_ids_free(&ids);
    *out = u->more[u->n_more++];
    return rc;
}

/* The index's records of the sources not traced again, each with its path, what its
 * address received grown by the new receipts; and their frontier. */
static int keep_records(bctx *b, upd *u)
{
    const sl_expo *x = u->x;
    int rc = SL_OK;
    for (uint64_t j = 0; j < x->n_entries && !rc; j++) {
        const uint8_t *en = x->entries + j * SL_EXPO_ENTRY;
        uint16_t chain = (uint16_t)(en[0] | en[1] << 8);
        uint32_t addr = sl_le32(en + 4), first = sl_le32(en + 8), n = sl_le32(en + 12);
        uint64_t k = (uint64_t)chain << 32 | addr, one;
        bool more = sl_ht_get(&u->receivers, &k, 8, &one);
        for (uint32_t i = first; i < first + n && !rc; i++) {
            sl_expo_rec rec;
            bacc *a;
            sl_u128 add = 0;
            int64_t at;
            sl_expo_rec_at(x, i, &rec);
            b->cur = u->new_of_old[rec.source];
            if (b->cur == UINT32_MAX || u->dirty[b->cur] & rec.dir) continue;
            if ((rc = acc_get(b, rec.dir, chain, addr, rec.asset, &a))) break;
            if (more && (rc = gained(b, u, chain, addr, rec.asset, &add))) break;
            a->fresh = false, a->amount = rec.amount, a->hops = rec.hops, a->raw = rec.received_all + add;
            a->received = a->raw < a->amount ? a->amount : a->raw;
            if ((at = path_room(b, rec.path_n)) < 0) { rc = SL_ENOMEM; break; }
            a->path = (uint32_t)at, a->path_n = rec.path_n;
            for (uint32_t p = 0; p < rec.path_n; p++) b->paths[at + p] = sl_expo_path_at(x, rec.path + p);
        }
    }
    for (size_t i = 0; i < u->of->n_keys && !rc; i++) {
        const sl_expo_key *key = &u->of->keys[i];
        uint32_t ns = u->new_of_old[key->source];
        if (ns != UINT32_MAX && !(u->dirty[ns] & SL_SCREEN_IN)) rc = sl_expo_frontier_add(&b->fr, key->chain, key->kind, key->id, ns);
    }
    for (uint64_t i = 0; i < u->of->n_sources; i++)
        if (u->new_of_old[i] != UINT32_MAX) b->fr.flags[u->new_of_old[i]] |= u->of->flags[i] & ~u->dirty[u->new_of_old[i]];
    return rc;
}

/* The incremental update, lock held: *why set (nothing written) when it cannot continue
 * from the index and a full rebuild is needed. */
static int continue_index(sl_store *s, const char *dir, const sl_expo *x, sl_exposure_update_report *r,
                          const char **why, sl_error *e)
{
    bctx b = {0};
    upd u = {.x = x};
    sl_expo_frontier of = {0};
    sl_exposure_build_opts o = {.policy = (sl_policy)x->policy, .max_hops = x->max_hops, .quiet = true};
    uint64_t tcount, tmtime, bytes;
    int rc;
    *why = NULL;
    if ((rc = sl_expo_frontier_read(dir, &of, e)) == SL_ENOTFOUND || rc == SL_ECORRUPT) {
        *why = rc == SL_ENOTFOUND ? "no frontier beside the index" : "the frontier file does not check out";
        rc = SL_OK;
        memset(e, 0, sizeof *e);
        goto done;
    }
    if (rc) goto done;
    u.of = &of;
    if (!x->stamp || of.stamp != x->stamp || of.n_sources != x->n_sources) { *why = "the frontier is not the index's"; goto done; }
    if ((rc = bctx_open(&b, s, dir, &tcount, &tmtime, e))) goto done;
    if (tcount != x->tags_count || tmtime != x->tags_mtime) { *why = "the tags changed"; goto done; }
    if ((*why = only_appended(&b, &u))) goto done;
    if (!(u.new_of_old = sl_malloc((x->n_sources + 1) * sizeof *u.new_of_old)) || !(u.dirty = sl_calloc(b.n_src + 1, 1))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < b.n_src; i++) u.dirty[i] = SL_SCREEN_IN | (b.src[i].kind == 1 ? SL_SCREEN_OUT : 0); /* new ones */
    for (uint64_t i = 0; i < x->n_sources; i++) {
        sl_expo_src os;
        uint8_t key[11];
        uint64_t ns;
        sl_expo_src_at(x, (uint32_t)i, &os);
        key[0] = (uint8_t)os.chain, key[1] = (uint8_t)(os.chain >> 8), key[2] = os.kind;
        memcpy(key + 3, &os.id, 8);
        u.new_of_old[i] = sl_ht_get(&b.src_of, key, sizeof key, &ns) ? (uint32_t)ns : UINT32_MAX;
        if (u.new_of_old[i] != UINT32_MAX) u.dirty[ns] = of.flags[i];
    }
    if ((rc = scan_new(&b, &u, &r->read)) || (rc = keep_records(&b, &u))) {
        rc = sl_err(e, rc, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < b.n_src && !rc; i++) {
        if (u.dirty[i] & SL_SCREEN_IN) rc = trace_one(&b, &o, i, false, e);
        if (!rc && b.src[i].kind == 1 && u.dirty[i] & SL_SCREEN_OUT) rc = trace_one(&b, &o, i, true, e);
        r->retraced += u.dirty[i] != 0;
    }
    if (rc || (rc = bctx_write(&b, &o, dir, tcount, tmtime, &bytes, e))) goto done;
    r->sources = b.n_src;
done:
    bctx_free(&b);
    sl_expo_frontier_free(&of);
    sl_free(u.new_of_old), sl_free(u.dirty), sl_free(u.more);
    sl_ht_free(&u.receivers), sl_ht_free(&u.gained);
    return rc;
}

int sl_exposure_update(sl_store *s, const char *store_dir, sl_exposure_update_report *r, sl_error *e)
{
    char p[4096];
    sl_expo x;
    sl_flow_set *fs = NULL;
    sl_expo_chain now[64];
    size_t n;
    uint64_t tc, tm;
    bool same, corrupt = false;
    int rc, lk;
    double t0 = sl_now();
    const char *why = NULL;
    sl_exposure_build_opts o = {0};
    sl_exposure_build_report br;
    memset(r, 0, sizeof *r);
    snprintf(p, sizeof p, "%s/exposure/index.bin", store_dir);
    if ((rc = sl_expo_open(&x, p, e)) == SL_ENOTFOUND) { memset(e, 0, sizeof *e); return SL_OK; }
    if (rc == SL_ECORRUPT) {
        memset(e, 0, sizeof *e);
        x.policy = SL_POLICY_HAIRCUT, x.max_hops = 0, x.n_chains = UINT32_MAX, corrupt = true;
    } else if (rc) return rc;
    if ((rc = sl_flow_set_open(&fs, s, e))) { sl_expo_close(&x); return rc; }
    n = sl_expo_tips(s, fs, now, 64);
    sl_flow_set_close(fs);
    same = n == x.n_chains;
    for (size_t i = 0; same && i < n; i++) {
        sl_expo_chain c;
        sl_expo_chain_at(&x, (uint32_t)i, &c);
        same = c.chain == now[i].chain && c.height == now[i].height && !memcmp(c.hash, now[i].hash, 32);
    }
    if (same && (rc = sl_expo_tags_version(store_dir, &tc, &tm, e)) == SL_OK) same = tc == x.tags_count && tm == x.tags_mtime;
    o.policy = (sl_policy)x.policy, o.max_hops = x.max_hops ? x.max_hops : SL_EXPO_DEFAULT_HOPS, o.quiet = true;
    sl_expo_close(&x);
    if (rc || same) return rc;
    if (!sl_tags_exists(store_dir))
        return sl_err(e, SL_ENOTFOUND, "%s: the store has no tags: import tags first (sleuth tags import)", store_dir);
    if ((lk = lock_dir(store_dir, e)) < 0) return e->code;
    /* under the lock, the index as it is now (a build may have replaced it meanwhile) */
    if (corrupt || (rc = sl_expo_open(&x, p, e))) why = "the index does not check out", rc = SL_OK, memset(e, 0, sizeof *e);
    else {
        rc = continue_index(s, store_dir, &x, r, &why, e);
        sl_expo_close(&x);
    }
    if (!rc && why) {
        r->full = true;
        snprintf(r->why, sizeof r->why, "%s", why);
        r->retraced = 0, r->read = 0;
        if ((rc = build_locked(s, store_dir, &o, &br, e)) == SL_OK) r->sources = br.sources;
    }
    close(lk);
    r->changed = rc == SL_OK;
    r->seconds = sl_now() - t0;
    return rc;
}
