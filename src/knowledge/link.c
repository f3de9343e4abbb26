/* link.c — `sleuth link`'s engine (link.h): what two address sets share — common members,
 * common clusters, common counterparties and the payment paths between them — read through
 * the chain-neutral flow view, with the payments that are the evidence.
 *
 * An address's payments ("neighbours") are read the way each chain model keeps them:
 * on an account chain every flow the account sent or received (the store's per-account
 * history); on a UTXO chain every output paid to the address, with, as incoming, the
 * addresses of the inputs of the tx that paid it, and, as outgoing, the outputs of the tx
 * that spent it. A neighbour is (counterparty, the payment, direction).
 */
#include "sleuth/link.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/eth_store.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"

/* ---------- sets ---------- */

/* Appends one element of size sz to *v (n, cap). */
static int grow_push(void **v, size_t *n, size_t *cap, size_t sz, const void *x)
{
    if (sl_grow(v, cap, *n + 1, sz)) return SL_ENOMEM;
    memcpy((char *)*v + *n * sz, x, sz);
    (*n)++;
    return SL_OK;
}


static void canon(char *key, size_t cap, const char *addr)
{
    bool evm = addr[0] == '0' && (addr[1] == 'x' || addr[1] == 'X');
    size_t i = 0;
    for (; addr[i] && i + 1 < cap; i++) key[i] = evm ? (char)tolower((unsigned char)addr[i]) : addr[i];
    key[i] = 0;
}

int sl_link_set_add(sl_link_set *set, sl_store *s, const char *chain, const char *addr, const char *why, sl_error *e)
{
    const sl_chain_def *def;
    sl_link_member m = {0};
    if (!chain) chain = addr[0] == '0' && addr[1] == 'x' ? "ethereum" : addr[0] == 'T' ? "tron" : "btc";
    if (!(def = sl_chain_by_name(chain))) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", chain);
    if (strlen(addr) >= sizeof m.addr) return sl_err(e, SL_EUSAGE, "'%.40s...': too long for an address", addr);
    m.chain = def->id;
    snprintf(m.addr, sizeof m.addr, "%s", addr);
    canon(m.key, sizeof m.key, addr);
    snprintf(m.why, sizeof m.why, "%s", why ? why : "given");
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i].chain == m.chain && !strcmp(set->v[i].key, m.key)) return SL_OK;
    sl_error le = {0};
    int rc = sl_addr_resolve(s, def->name, addr, &m.ref, &le);
    if (rc == SL_OK) m.in_store = true;
    else if (rc == SL_EUSAGE) return sl_err(e, SL_EUSAGE, "%s", le.msg);
    else if (rc != SL_ENOTFOUND) return sl_err(e, rc, "%s", le.msg);
    if (grow_push((void **)&set->v, &set->n, &set->cap, sizeof m, &m)) return sl_err(e, SL_ENOMEM, "out of memory");
    return SL_OK;
}

bool sl_link_parse_line(char *line, const char **chain, const char **addr)
{
    char *p, *end;
    /* the line ends at a comment or at the first CR or LF: what follows a CR inside a line
     * (old Mac line ends) is not read as more of this line */
    line[strcspn(line, "#\r\n")] = 0;
    p = line + strspn(line, " \t");
    end = p + strcspn(p, " \t,");
    *chain = NULL, *addr = p;
    if (!*p) return false;
    if (*end) {
        char *q = end + 1 + strspn(end + 1, " \t,");
        if (*q) {
            *chain = p, *addr = q;
            q[strcspn(q, " \t,")] = 0;
        }
    }
    *end = 0;
    return true;
}

void sl_link_set_free(sl_link_set *set)
{
    sl_free(set->v);
    memset(set, 0, sizeof *set);
}

void sl_link_result_free(sl_link_result *r)
{
    sl_free(r->common);
    for (size_t i = 0; i < r->n_clusters; i++) sl_free(r->clusters[i].path);
    sl_free(r->clusters);
    sl_free(r->cparties);
    sl_free(r->paths);
    memset(r, 0, sizeof *r);
}

/* ---------- neighbours ---------- */

/* Called per neighbour: the counterparty's id, the payment, and whether the address sent
 * it. Returns SL_OK to go on, 1 to stop (not an error), or an error. */
typedef int (*nb_fn)(void *ctx, uint32_t cp, const sl_link_flow *f, bool sent);

typedef struct nb_walk {
    const sl_flow_view *v;
    uint32_t addr;
    size_t left;
    bool truncated;
    nb_fn fn;
    void *ctx;
} nb_walk;

static void to_link_flow(const sl_flow_view *v, const sl_flow *f, sl_link_flow *o)
{
    o->chain = v->chain, o->flow = f->id, o->tx = f->tx, o->from = f->from, o->to = f->to;
    o->asset = f->asset, o->amount = f->amount, o->time = f->time;
}

/* One neighbour through the budget: 1 once it is spent. */
static int nb_emit(nb_walk *w, uint32_t cp, const sl_link_flow *f, bool sent)
{
    if (!w->left) {
        w->truncated = true;
        return 1;
    }
    w->left--;
    return w->fn(w->ctx, cp, f, sent);
}

static int acct_flow_cb(void *ctx, uint64_t flow)
{
    nb_walk *w = ctx;
    sl_flow f;
    sl_link_flow lf;
    w->v->m->flow_get(w->v, flow, &f);
    if (f.fee || f.sink || f.from == f.to || f.origin != SL_FLOW_ORIGIN_ADDR) return SL_OK;
    bool sent = f.from == w->addr;
    uint32_t cp = sent ? f.to : f.from;
    if (!cp) return SL_OK;
    to_link_flow(w->v, &f, &lf);
    return nb_emit(w, cp, &lf, sent);
}

/* The UTXO side of one output o paid to w->addr: the payers (incoming) and where the
 * spender sent it (outgoing). */
static int utxo_output(nb_walk *w, uint64_t o)
{
    const sl_flow_view *v = w->v;
    sl_flow f;
    sl_utxo_pool p;
    sl_link_flow lf;
    int rc;
    v->m->flow_get(v, o, &f);
    v->m->utxo_pool(v, f.tx, &p);
    to_link_flow(v, &f, &lf);
    for (uint32_t i = 0; i < p.n_in && !p.coinbase; i++) {
        uint32_t ia = 0;
        if (v->m->utxo_in_value(v, p.first_in + i, &ia) == UINT64_MAX || !ia || ia == w->addr) continue;
        lf.from = ia;
        if ((rc = nb_emit(w, ia, &lf, false))) return rc;
    }
    uint32_t vout = SL_FLOW_UTXO_IDX(o);
    uint64_t stx;
    uint32_t vin;
    if (v->m->utxo_spender(v, f.tx, vout, p.first_out + vout, &stx, &vin) != SL_OK) return SL_OK;
    sl_utxo_pool sp;
    v->m->utxo_pool(v, stx, &sp);
    uint64_t t = v->m->tx_time(v, stx);
    for (uint32_t j = 0; j < sp.n_out; j++) {
        uint64_t val;
        uint32_t oa;
        bool unsp;
        v->m->utxo_out(v, sp.first_out + j, &val, &oa, &unsp);
        if (!oa || oa == w->addr) continue;
        sl_link_flow of = {v->chain, SL_FLOW_UTXO(stx, j), stx, w->addr, oa, 0, val, t};
        if ((rc = nb_emit(w, oa, &of, true))) return rc;
    }
    return SL_OK;
}

/* Every neighbour of addr on v, at most max; *truncated when there were more. */
static int each_neighbour(sl_store *s, const sl_flow_view *v, uint32_t addr, size_t max, bool *truncated, nb_fn fn,
                          void *ctx, sl_error *e)
{
    nb_walk w = {v, addr, max, false, fn, ctx};
    int rc = SL_OK;
    if (v->model == SL_MODEL_ACCOUNT) {
        sl_eth_chain *c;
        if ((rc = sl_eth_chain_open(s, v->name, &c, e))) return rc;
        rc = sl_eth_acct_each_flow(c, addr, false, acct_flow_cb, &w);
        if (rc == SL_ENOMEM) return sl_err(e, rc, "out of memory reading the history of an account");
    } else {
        sl_flow_ids ids = {0};
        if (v->m->addr_received(v, addr, 0, 0, &ids)) return sl_err(e, SL_ENOMEM, "out of memory");
        for (size_t i = 0; i < ids.n && !rc; i++) rc = utxo_output(&w, ids.v[i]);
        sl_flow_ids_free(&ids);
    }
    *truncated = w.truncated;
    if (rc == 1) rc = SL_OK;
    if (rc && !e->code) sl_err(e, rc, "reading the payments of an address failed");
    return rc;
}

/* ---------- the comparison ---------- */

typedef struct linker {
    sl_store *s;
    const sl_flow_set *fs;
    const sl_link_set *a, *b;
    const sl_link_params *p;
    sl_link_result *r;
    sl_ht amemb, bmemb;     /* addr ref key -> member index + 1 */
    sl_ht acp;              /* counterparty key -> index into acp_ev */
    sl_ht seen_cp;          /* counterparties reported */
    struct cp_ev {
        size_t m;
        sl_link_flow f;
    } *acp_ev;
    size_t acp_n, acp_cap, cur;
    size_t cp_cap, path_cap, common_cap, cl_cap;
    sl_error *e;
} linker;

static uint64_t key_of(uint16_t chain, uint32_t id) { return sl_addr_ref_key((sl_addr_ref){chain, id}); }

static int index_members(const sl_link_set *set, sl_ht *t, size_t *in_store)
{
    for (size_t i = 0; i < set->n; i++) {
        if (!set->v[i].in_store) continue;
        (*in_store)++;
        if (sl_ht_set_u64(t, sl_addr_ref_key(set->v[i].ref), i + 1)) return SL_ENOMEM;
    }
    return SL_OK;
}

static bool is_member(const linker *L, uint64_t k)
{
    uint64_t x;
    return sl_ht_get_u64(&L->amemb, k, &x) || sl_ht_get_u64(&L->bmemb, k, &x);
}

static int a_cp_cb(void *ctx, uint32_t cp, const sl_link_flow *f, bool sent)
{
    linker *L = ctx;
    uint64_t k = key_of(f->chain, cp), *slot;
    bool added;
    (void)sent;
    if (is_member(L, k)) return SL_OK;
    if (sl_ht_upsert(&L->acp, &k, 8, L->acp_n, &slot, &added)) return SL_ENOMEM;
    if (!added) return SL_OK;
    struct cp_ev ev = {L->cur, *f};
    return grow_push((void **)&L->acp_ev, &L->acp_n, &L->acp_cap, sizeof ev, &ev);
}

static int b_cp_cb(void *ctx, uint32_t cp, const sl_link_flow *f, bool sent)
{
    linker *L = ctx;
    uint64_t k = key_of(f->chain, cp), ai, *slot;
    bool added;
    (void)sent;
    if (!sl_ht_get_u64(&L->acp, k, &ai)) return SL_OK;
    if (sl_ht_upsert(&L->seen_cp, &k, 8, 0, &slot, &added)) return SL_ENOMEM;
    if (!added) return SL_OK;
    sl_link_cparty c = {{f->chain, cp}, L->acp_ev[ai].m, L->cur, L->acp_ev[ai].f, *f};
    return grow_push((void **)&L->r->cparties, &L->r->n_cparties, &L->cp_cap, sizeof c, &c);
}

static int counterparties(linker *L)
{
    int rc;
    for (int side = 0; side < 2; side++) {
        const sl_link_set *set = side ? L->b : L->a;
        for (size_t i = 0; i < set->n; i++) {
            const sl_link_member *m = &set->v[i];
            const sl_flow_view *v;
            bool tr;
            if (!m->in_store || !(v = sl_flow_set_chain(L->fs, m->chain))) continue;
            L->cur = i;
            rc = each_neighbour(L->s, v, m->ref.id, L->p->max_flows, &tr, side ? b_cp_cb : a_cp_cb, L, L->e);
            if (rc) return rc == SL_ENOMEM && !L->e->code ? sl_err(L->e, rc, "out of memory") : rc;
            L->r->truncated += tr;
        }
    }
    return SL_OK;
}

/* ---- paths: breadth first over outgoing payments, time never going back ---- */

typedef struct pnode {
    uint16_t chain;
    uint32_t id;
    uint32_t parent;        /* index of the node it came from; UINT32_MAX for a source */
    unsigned depth;
    size_t member;          /* the source member it descends from */
    sl_link_flow via;       /* the payment that reached it */
} pnode;

typedef struct pwalk {
    linker *L;
    pnode *nodes;
    size_t n, cap;
    sl_ht visited;          /* key -> node index */
    const sl_ht *targets;   /* key -> member index + 1 of the other set */
    sl_ht reached;          /* target keys already reported */
    bool a_to_b;
    uint32_t cur;
} pwalk;

static int path_record(pwalk *w, uint32_t last, size_t target)
{
    sl_link_path pa = {0};
    pa.a_to_b = w->a_to_b, pa.to = target;
    unsigned d = w->nodes[last].depth;
    pa.hops = d;
    for (uint32_t i = last; w->nodes[i].parent != UINT32_MAX; i = w->nodes[i].parent) pa.flows[--d] = w->nodes[i].via;
    for (uint32_t i = last;; i = w->nodes[i].parent)
        if (w->nodes[i].parent == UINT32_MAX) {
            pa.from = w->nodes[i].member;
            break;
        }
    return grow_push((void **)&w->L->r->paths, &w->L->r->n_paths, &w->L->path_cap, sizeof pa, &pa);
}

static int path_cb(void *ctx, uint32_t cp, const sl_link_flow *f, bool sent)
{
    pwalk *w = ctx;
    const pnode *from = &w->nodes[w->cur];
    uint64_t k = key_of(f->chain, cp), tgt, *slot;
    bool added;
    if (!sent) return SL_OK;
    if (from->parent != UINT32_MAX && f->time && from->via.time && f->time < from->via.time) return SL_OK;
    bool target = sl_ht_get_u64(w->targets, k, &tgt), seen;
    uint64_t x;
    seen = sl_ht_get_u64(&w->visited, k, &x);
    /* a target is reported once, by the first path that reaches it — also when it is a
     * source itself (a member of both sets); anything else is visited once */
    if (target) {
        if (sl_ht_upsert(&w->reached, &k, 8, 0, &slot, &added)) return SL_ENOMEM;
        if (!added) return SL_OK;
    } else if (seen) {
        return SL_OK;
    }
    if (w->n >= w->L->p->max_nodes) {
        w->L->r->path_limit = true;
        return 1;
    }
    pnode nd = {f->chain, cp, w->cur, from->depth + 1, from->member, *f};
    if (!seen && sl_ht_set_u64(&w->visited, k, w->n)) return SL_ENOMEM;
    if (grow_push((void **)&w->nodes, &w->n, &w->cap, sizeof nd, &nd)) return SL_ENOMEM;
    return target ? path_record(w, (uint32_t)(w->n - 1), (size_t)(tgt - 1)) : SL_OK;
}

static int paths_one_way(linker *L, const sl_link_set *from, const sl_ht *targets, bool a_to_b)
{
    pwalk w = {.L = L, .targets = targets, .a_to_b = a_to_b};
    int rc = SL_OK;
    for (size_t i = 0; i < from->n && !rc; i++) {
        const sl_link_member *m = &from->v[i];
        uint64_t k, x;
        if (!m->in_store) continue;
        k = sl_addr_ref_key(m->ref);
        if (sl_ht_get_u64(&w.visited, k, &x)) continue;
        pnode nd = {m->chain, m->ref.id, UINT32_MAX, 0, i, {0}};
        if (sl_ht_set_u64(&w.visited, k, w.n) || grow_push((void **)&w.nodes, &w.n, &w.cap, sizeof nd, &nd))
            rc = SL_ENOMEM;
    }
    /* the nodes array is the BFS queue: sources first, then depth 1, 2, ... */
    for (size_t q = 0; q < w.n && !rc; q++) {
        const sl_flow_view *v;
        bool tr;
        uint64_t tgt;
        if (w.nodes[q].depth >= L->p->max_hops) continue;
        if (w.nodes[q].depth > 0 && sl_ht_get_u64(targets, key_of(w.nodes[q].chain, w.nodes[q].id), &tgt)) continue;
        if (!(v = sl_flow_set_chain(L->fs, w.nodes[q].chain))) continue;
        w.cur = (uint32_t)q;
        rc = each_neighbour(L->s, v, w.nodes[q].id, L->p->max_flows, &tr, path_cb, &w, L->e);
        if (L->r->path_limit) break;
    }
    sl_free(w.nodes);
    sl_ht_free(&w.visited);
    sl_ht_free(&w.reached);
    if (rc == SL_ENOMEM && !L->e->code) sl_err(L->e, rc, "out of memory");
    return rc;
}

static int commons(linker *L)
{
    sl_ht keys = {0};
    int rc = SL_OK;
    char k[SL_FLOW_NAME_MAX + 4];
    for (size_t i = 0; i < L->a->n && !rc; i++) {
        int n = snprintf(k, sizeof k, "%u:%s", L->a->v[i].chain, L->a->v[i].key);
        rc = sl_ht_set(&keys, k, (size_t)n, i + 1);
    }
    for (size_t j = 0; j < L->b->n && !rc; j++) {
        uint64_t ai;
        int n = snprintf(k, sizeof k, "%u:%s", L->b->v[j].chain, L->b->v[j].key);
        if (!sl_ht_get(&keys, k, (size_t)n, &ai)) continue;
        sl_link_common c = {(size_t)ai - 1, j};
        rc = grow_push((void **)&L->r->common, &L->r->n_common, &L->common_cap, sizeof c, &c);
    }
    sl_ht_free(&keys);
    if (rc || !L->p->clusters.of) return rc;
    /* clusters: cluster key -> a member of a */
    sl_ht cl = {0}, done = {0};
    for (int side = 0; side < 2 && !rc; side++) {
        const sl_link_set *set = side ? L->b : L->a;
        for (size_t i = 0; i < set->n && !rc; i++) {
            uint64_t cid, size, ai, *slot;
            bool added;
            if (!set->v[i].in_store || L->p->clusters.of(L->p->clusters.ctx, set->v[i].ref, &cid, &size)) continue;
            uint64_t ck = (uint64_t)set->v[i].chain << 48 ^ cid;
            if (!side) {
                rc = sl_ht_upsert(&cl, &ck, 8, i, &slot, &added);
                continue;
            }
            if (!sl_ht_get_u64(&cl, ck, &ai)) continue;
            /* the same address on both sides is a common address, not news of a cluster */
            if (L->a->v[ai].chain == set->v[i].chain && !strcmp(L->a->v[ai].key, set->v[i].key)) continue;
            if ((rc = sl_ht_upsert(&done, &ck, 8, 0, &slot, &added)) || !added) continue;
            sl_link_cluster c = {set->v[i].chain, cid, size, (size_t)ai, i, NULL, 0};
            if (L->p->clusters.why &&
                L->p->clusters.why(L->p->clusters.ctx, L->a->v[ai].ref, set->v[i].ref, &c.path, &c.n_path)) {
                c.path = NULL, c.n_path = 0;
            }
            rc = grow_push((void **)&L->r->clusters, &L->r->n_clusters, &L->cl_cap, sizeof c, &c);
        }
    }
    sl_ht_free(&cl);
    sl_ht_free(&done);
    return rc;
}

int sl_link_run(sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                const sl_link_params *p, sl_link_result *r, sl_error *e)
{
    sl_link_params dp = *p;
    if (!dp.max_hops) dp.max_hops = 3;
    if (dp.max_hops > 8) dp.max_hops = 8;
    if (!dp.max_nodes) dp.max_nodes = 100000;
    if (!dp.max_flows) dp.max_flows = 10000;
    memset(r, 0, sizeof *r);
    r->max_hops = dp.max_hops;
    linker L = {.s = s, .fs = fs, .a = a, .b = b, .p = &dp, .r = r, .e = e};
    int rc = index_members(a, &L.amemb, &r->a_in_store);
    if (!rc) rc = index_members(b, &L.bmemb, &r->b_in_store);
    if (rc) rc = sl_err(e, rc, "out of memory");
    if (!rc) rc = commons(&L);
    if (rc == SL_ENOMEM && !e->code) rc = sl_err(e, rc, "out of memory");
    if (!rc) rc = counterparties(&L);
    if (!rc) rc = paths_one_way(&L, a, &L.bmemb, true);
    if (!rc) rc = paths_one_way(&L, b, &L.amemb, false);
    sl_ht_free(&L.amemb);
    sl_ht_free(&L.bmemb);
    sl_ht_free(&L.acp);
    sl_ht_free(&L.seen_cp);
    sl_free(L.acp_ev);
    return rc;
}
