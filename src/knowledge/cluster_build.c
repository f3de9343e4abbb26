/* cluster_build.c — `sleuth cluster build`. Bitcoin family: reads the store's
 * transactions in tx id order, makes each one's sl_txv, asks the heuristics for merge
 * edges (multi-input unless sl_coinjoin_detect calls it a CoinJoin; the change heuristics
 * of the mask through sl_change_find), unions them in a union-find over the dense address
 * ids (path halving, union by size; the smallest id of each set is kept beside it and is
 * the cluster id), passes each merge through the supercluster guard, appends the merges
 * that joined two sets to the evidence file, and persists the arrays (formats in
 * cluster_int.h). Incremental: the persisted arrays are the union-find itself, mapped
 * copy-on-write, so only the pages the new transactions touch are read; the changed
 * entries of older addresses go through a journal, the new addresses' entries are
 * appended: the cost of a build follows what is new, not the size of the store.
 * Account chains (build_acct): the deposit scan's edges (deposit.h) go through the same
 * union-find, guard and evidence, from scratch every time, into the chain's own folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knowledge/cluster_int.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/util.h"
#include "store/store_int.h"

/* ---- shared helpers (also used by cluster.c) ---- */

bool cl_path(char *out, size_t cap, const sl_store *s, const sl_chain_def *d, const char *name)
{
    bool acct = d && d->model == SL_MODEL_ACCOUNT;
    int n = snprintf(out, cap, "%s/knowledge/cluster%s%s%s%s", sl_store_dir(s), acct ? "/" : "", acct ? d->name : "",
                     name[0] ? "/" : "", name);
    return n > 0 && (size_t)n < cap;
}

uint32_t cl_first_id(const sl_chain_def *d) { return d && d->model == SL_MODEL_ACCOUNT ? SL_SINK_N : 1; }

static uint64_t le48(const uint8_t *p) { return (uint64_t)sl_le32(p) | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40; }
static void put_le48(uint8_t *p, uint64_t v)
{
    sl_put_le32(p, (uint32_t)v);
    p[4] = (uint8_t)(v >> 32), p[5] = (uint8_t)(v >> 40);
}

void cl_edge_get(const uint8_t *p, uint16_t chain, sl_merge_edge *m)
{
    memset(m, 0, sizeof *m);
    m->a.chain = m->b.chain = m->tx.chain = chain;
    m->a.id = sl_le32(p), m->b.id = sl_le32(p + 4), m->tx.id = le48(p + 8);
    m->heuristic = p[14], m->confidence = p[15];
}

void cl_guard_put(uint8_t *p, const sl_cluster_guard_ev *g)
{
    memset(p, 0, CL_GUARD_SIZE);
    sl_put_le32(p, g->a), sl_put_le32(p + 4, g->b), put_le48(p + 8, g->tx);
    p[14] = g->heuristic, p[15] = g->confidence, p[16] = g->reason, p[17] = g->applied;
    sl_put_le32(p + 20, g->root_a), sl_put_le32(p + 24, g->root_b);
    sl_put_le32(p + 28, g->size_a), sl_put_le32(p + 32, g->size_b);
}

void cl_guard_get(const uint8_t *p, sl_cluster_guard_ev *g)
{
    g->a = sl_le32(p), g->b = sl_le32(p + 4), g->tx = le48(p + 8);
    g->heuristic = p[14], g->confidence = p[15], g->reason = p[16], g->applied = p[17];
    g->root_a = sl_le32(p + 20), g->root_b = sl_le32(p + 24);
    g->size_a = sl_le32(p + 28), g->size_b = sl_le32(p + 32);
}

void cl_state_encode(uint8_t o[CL_STATE_SIZE], const cl_state *st)
{
    memset(o, 0, CL_STATE_SIZE);
    memcpy(o, "SLCLUST", 8);
    sl_put_le32(o + 8, CL_VERSION), sl_put_le32(o + 12, st->heuristics);
    sl_put_le64(o + 16, st->gen), sl_put_le64(o + 24, st->tx_done), sl_put_le64(o + 32, st->n_addr);
    sl_put_le64(o + 40, st->hiwater), sl_put_le32(o + 48, st->tip_block), sl_put_le32(o + 52, st->guard_size);
    memcpy(o + 56, st->tip_hash.b, 32);
    o[88] = st->gsp, o[89] = st->gtp, o[90] = st->pending;
    sl_put_le64(o + 96, st->n_edges), sl_put_le64(o + 104, st->n_guard), sl_put_le64(o + 112, st->clusters);
    sl_put_le64(o + 120, st->multi), sl_put_le32(o + 128, st->largest_root), sl_put_le64(o + 136, st->n_journal);
}

int cl_root(const uint32_t *node, uint64_t n, uint32_t x, uint32_t *root)
{
    for (int steps = 0; steps < 64; steps++) {
        uint32_t p;
        if (!x || x > n) return SL_ECORRUPT;
        p = CL_F(node, x, CL_PARENT);
        if (p == x) {
            *root = x;
            return SL_OK;
        }
        x = p;
    }
    return SL_ECORRUPT;
}

int cl_state_read(const sl_store *s, const sl_chain_def *d, cl_state *st, sl_error *e)
{
    char p[512];
    uint8_t b[CL_STATE_SIZE];
    ssize_t got;
    int fd;
    memset(st, 0, sizeof *st);
    if (!cl_path(p, sizeof p, s, d, "state")) return sl_err(e, SL_EIO, "store path too long");
    if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT) return SL_ENOTFOUND;
        return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    }
    got = pread(fd, b, sizeof b, 0);
    close(fd);
    if (got != CL_STATE_SIZE || memcmp(b, "SLCLUST", 8))
        return sl_err(e, SL_ECORRUPT, "%s: not a cluster state file (run `sleuth cluster build --from-scratch`)", p);
    st->gen = sl_le64(b + 16); /* at this offset in every version: a rebuild numbers on from it */
    if (sl_le32(b + 8) != CL_VERSION)
        return sl_err(e, SL_EVERSION, "%s: cluster format %u, this sleuth reads %u (`sleuth cluster build` rebuilds it)", p,
                      sl_le32(b + 8), CL_VERSION);
    st->heuristics = sl_le32(b + 12);
    st->gen = sl_le64(b + 16), st->tx_done = sl_le64(b + 24), st->n_addr = sl_le64(b + 32);
    st->hiwater = sl_le64(b + 40), st->tip_block = sl_le32(b + 48), st->guard_size = sl_le32(b + 52);
    memcpy(st->tip_hash.b, b + 56, 32);
    st->gsp = b[88], st->gtp = b[89], st->pending = b[90];
    st->n_edges = sl_le64(b + 96), st->n_guard = sl_le64(b + 104), st->clusters = sl_le64(b + 112);
    st->multi = sl_le64(b + 120), st->largest_root = sl_le32(b + 128), st->n_journal = sl_le64(b + 136);
    return SL_OK;
}

/* ---- options ---- */

sl_cluster_opts sl_cluster_opts_default(void)
{
    sl_cluster_opts o;
    memset(&o, 0, sizeof o);
    o.heuristics = 1u << SL_H_MULTI_INPUT;
    o.guard_size = SL_CLUSTER_GUARD_SIZE_DEFAULT;
    o.guard_size_policy = SL_GUARD_APPLY;
    o.guard_tag_policy = SL_GUARD_SKIP;
    return o;
}

int sl_cluster_parse_heuristics(const char *list, unsigned *mask, sl_error *e)
{
    char item[64];
    const char *p = list;
    *mask = 0;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        sl_heuristic h;
        if (n >= sizeof item) return sl_err(e, SL_EUSAGE, "--heuristics: '%.*s' is not a heuristic", (int)n, p);
        memcpy(item, p, n), item[n] = 0;
        h = sl_heuristic_by_name(item);
        if (h == SL_H_NONE || h == SL_H_DEPOSIT || h == SL_H_MANUAL)
            return sl_err(e, SL_EUSAGE,
                          "--heuristics: '%s' is not a Bitcoin-family heuristic (multi-input, change:addr-type, "
                          "change:one-time, change:round, change:optimal, change:peel)", item);
        *mask |= 1u << h;
        p += n + (p[n] == ',');
    }
    if (!*mask) return sl_err(e, SL_EUSAGE, "--heuristics: empty list");
    return SL_OK;
}

/* ---- the build ---- */

/* Wasabi 1.x's coordinator addresses (the same list as coinjoin.c's, which compares the
 * output's text): the builder formats an output's address only when it is one of these. */
static const char *const WASABI1_COORD[2] = {
    "bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew",
    "bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw",
};

#define CHANGE_MASK ((1u << SL_H_CHANGE_ADDR_TYPE) | (1u << SL_H_CHANGE_ONE_TIME) | (1u << SL_H_CHANGE_ROUND) | \
                     (1u << SL_H_CHANGE_OPTIMAL) | (1u << SL_H_CHANGE_PEEL))

typedef struct builder {
    sl_store *s;
    uint16_t chain;                  /* the chain's id: the tagger's and the edges' refs */
    sl_error err;                    /* account chains: what stopped the deposit scan's sink */
    const sl_cluster_opts *o;
    sl_cluster_build_report *r;
    uint32_t *node;                  /* per address: parent, size, minid, next (cluster_int.h) */
    uint32_t *tagrep;                /* the member whose tag is the set's (tagger only) */
    uint64_t n, old_n;               /* addresses: ids 1..n; 1..old_n were persisted before */
    size_t maplen;                   /* incremental: the copy-on-write mapping's length */
    uint64_t *dirty;                 /* incremental: (array << 32 | id) of changed old entries */
    size_t n_dirty, cap_dirty;
    uint64_t multi;                  /* clusters of 2+ */
    uint32_t largest_root;
    sl_buf edges, guard;             /* records to append */
    int edges_fd;                    /* edges are written as they come, past the committed */
    uint64_t edges_at, n_new_edges;  /* records (readers ignore them until the state counts them) */
    uint64_t hiwater, n_tx;
    uint32_t coord[2];               /* address ids of the Wasabi 1.x coordinators (mainnet) */
    /* edges waiting for the union-find: the store is read for a batch of transactions,
     * then the batch is unioned, so the two random-access working sets (the store's
     * columns, the union-find's arrays) evict each other less (perf on the 5M-tx bench:
     * the union step fell from 26 % to 15 % of the build's cycles) */
    struct pend_edge *pend;
    size_t n_pend, cap_pend;
    /* the inputs of a batch of transactions, resolved in prevout order (resolve_batch) */
    uint64_t bt0, bt1;               /* the batch: tx ids [bt0, bt1) */
    uint32_t *first_slot;            /* per batch tx: where its inputs begin in res[] */
    sl_txv_in *res;                  /* per input slot */
    uint64_t (*keys)[2], (*tmp)[2];  /* (prevout reference, slot) to sort */
    size_t cap_first, cap_res, cap_keys;
    const sl_btc_blockrec *blk;      /* the block of the last tx viewed */
    /* the current tx's outputs */
    sl_txv_out *out;
    size_t cap_out;
} builder;

/* A merge edge waiting for the union-find, as compact as its evidence record (16 bytes,
 * not sl_merge_edge's 40: the batch is written once and read once): tx is the tx id
 * (below 2^48, as the file holds it) | heuristic << 48 | confidence << 56. */
typedef struct pend_edge {
    uint32_t a, b;
    uint64_t tx;
} pend_edge;
#define PE_TX(p) ((p)->tx & (((uint64_t)1 << 48) - 1))
#define PE_PACK(tx, h, c) (((tx) & (((uint64_t)1 << 48) - 1)) | (uint64_t)(uint8_t)(h) << 48 | (uint64_t)(c) << 56)

#define PAR(b, x) CL_F((b)->node, x, CL_PARENT)
#define SZ(b, x) CL_F((b)->node, x, CL_SIZE)
#define LO(b, x) CL_F((b)->node, x, CL_MINID)
#define NX(b, x) CL_F((b)->node, x, CL_NEXT)

static inline uint32_t uf_find(uint32_t *node, uint32_t x)
{
    while (CL_F(node, x, CL_PARENT) != x) { /* path halving */
        uint32_t p = CL_F(node, x, CL_PARENT);
        CL_F(node, x, CL_PARENT) = CL_F(node, p, CL_PARENT);
        x = CL_F(node, x, CL_PARENT);
    }
    return x;
}

static int tag_of(builder *b, uint32_t id, sl_cluster_tag *t)
{
    sl_addr_ref a = {b->chain, id};
    memset(t, 0, sizeof *t);
    return b->o->tagger->best(b->o->tagger->ctx, a, t);
}

/* Whether tag x names its cluster better than y (definers first, then confidence). */
static bool tag_better(const sl_cluster_tag *x, const sl_cluster_tag *y)
{
    if (x->is_cluster_definer != y->is_cluster_definer) return x->is_cluster_definer;
    return x->confidence > y->confidence;
}

static int log_guard(builder *b, const pend_edge *m, uint32_t ra, uint32_t rb, int reason, bool applied)
{
    sl_cluster_guard_ev g = {m->a, m->b, PE_TX(m), (uint8_t)(m->tx >> 48), (uint8_t)(m->tx >> 56), (uint8_t)reason,
                             applied, LO(b, ra), LO(b, rb), SZ(b, ra), SZ(b, rb)};
    uint8_t rec[CL_GUARD_SIZE];
    cl_guard_put(rec, &g);
    b->r->guard_events++;
    if (!applied) b->r->guard_skipped++;
    return sl_buf_append(&b->guard, rec, sizeof rec);
}

static int write_all(int fd, const void *p, size_t n, uint64_t off);

/* The edges found so far go to the file (one megabyte at a time: an evidence buffer of the
 * whole build cost a sixth of its time in page faults and copies as it grew). */
#define EDGE_CHUNK ((size_t)1 << 20)
static int edges_out(builder *b)
{
    if (write_all(b->edges_fd, b->edges.p, b->edges.len, b->edges_at)) return SL_EIO;
    b->edges_at += b->edges.len, b->edges.len = 0;
    return SL_OK;
}

/* Writes one entry; an entry of an address persisted before is remembered for the
 * journal (the new addresses' entries are written whole at the end). */
static int set(builder *b, int a, uint32_t id, uint32_t v)
{
    CL_F(b->node, id, a) = v;
    if (id > b->old_n) return SL_OK;
    if (b->n_dirty == b->cap_dirty && sl_grow((void **)&b->dirty, &b->cap_dirty, b->n_dirty + 1, sizeof *b->dirty))
        return SL_ENOMEM;
    b->dirty[b->n_dirty++] = (uint64_t)a << 32 | id;
    return SL_OK;
}

/* Unions the two ends of m, through the guard; a merge that joined two sets becomes
 * evidence. */
static int merge(builder *b, const pend_edge *m)
{
    uint32_t ra, rb;
    int rc;
    b->r->edges++;
    if (!m->a || !m->b || m->a > b->n || m->b > b->n) return SL_OK;
    ra = uf_find(b->node, m->a), rb = uf_find(b->node, m->b);
    if (ra == rb) return SL_OK;
    if (SZ(b, ra) >= b->o->guard_size && SZ(b, rb) >= b->o->guard_size) {
        bool apply = b->o->guard_size_policy == SL_GUARD_APPLY;
        if ((rc = log_guard(b, m, ra, rb, SL_GUARD_SIZE, apply))) return rc;
        if (!apply) return SL_OK;
    }
    if (b->tagrep && b->tagrep[ra] && b->tagrep[rb]) {
        sl_cluster_tag x, y;
        if ((rc = tag_of(b, b->tagrep[ra], &x)) < 0 || (rc = tag_of(b, b->tagrep[rb], &y)) < 0) return SL_EIO;
        if (b->o->tagger->conflict(b->o->tagger->ctx, &x, &y)) {
            bool apply = b->o->guard_tag_policy == SL_GUARD_APPLY;
            if ((rc = log_guard(b, m, ra, rb, SL_GUARD_TAG, apply))) return rc;
            if (!apply) return SL_OK;
        }
        if (tag_better(&y, &x)) b->tagrep[ra] = b->tagrep[rb];
        b->tagrep[rb] = b->tagrep[ra];
    } else if (b->tagrep) {
        b->tagrep[ra] = b->tagrep[rb] = b->tagrep[ra] | b->tagrep[rb];
    }
    if (SZ(b, ra) < SZ(b, rb)) { uint32_t t = ra; ra = rb, rb = t; } /* union by size: rb under ra */
    b->multi += 1 - (SZ(b, ra) > 1) - (SZ(b, rb) > 1);
    if ((rc = set(b, CL_PARENT, rb, ra)) || (rc = set(b, CL_SIZE, ra, SZ(b, ra) + SZ(b, rb))) ||
        (rc = set(b, CL_MINID, ra, LO(b, rb) < LO(b, ra) ? LO(b, rb) : LO(b, ra))))
        return rc;
    { /* splice the two member lists */
        uint32_t na = NX(b, ra), nb = NX(b, rb);
        if ((rc = set(b, CL_NEXT, ra, nb)) || (rc = set(b, CL_NEXT, rb, na))) return rc;
    }
    if (SZ(b, ra) > SZ(b, b->largest_root)) b->largest_root = ra;
    b->r->merges++;
    b->n_new_edges++;
    { /* the evidence record (cluster_int.h), straight into the buffer */
        uint8_t rec[CL_EDGE_SIZE], *p = rec;
        bool room = b->edges.cap - b->edges.len >= CL_EDGE_SIZE;
        if (room) p = b->edges.p + b->edges.len;
        sl_put_le32(p, m->a), sl_put_le32(p + 4, m->b), sl_put_le64(p + 8, m->tx);
        if (room) b->edges.len += CL_EDGE_SIZE;
        else if ((rc = sl_buf_append(&b->edges, rec, sizeof rec))) return rc;
    }
    return b->edges.len >= EDGE_CHUNK ? edges_out(b) : SL_OK;
}

#define PEND_BATCH ((size_t)1 << 18)

/* Unions the waiting edges, in the order they were found. */
static int flush(builder *b, sl_error *e)
{
    int rc;
    for (size_t i = 0; i < b->n_pend; i++) {
        if (i + 16 < b->n_pend) { /* the finds are independent until a union: fetch ahead */
            const pend_edge *f = &b->pend[i + 16];
            if (f->a <= b->n && f->b <= b->n) {
                __builtin_prefetch(&PAR(b, f->a), 1);
                __builtin_prefetch(&PAR(b, f->b), 1);
            }
        }
        if ((rc = merge(b, &b->pend[i]))) return sl_err(e, rc, "cluster build: %s", sl_strerror(rc));
    }
    b->n_pend = 0;
    return SL_OK;
}

/* Queues the edge a ~ b (heuristic h, confidence c, evidence tx) for the union-find. */
static int push(builder *b, uint32_t a, uint32_t bb, uint64_t tx, unsigned h, uint8_t c, sl_error *e)
{
    if (b->n_pend == b->cap_pend && sl_grow((void **)&b->pend, &b->cap_pend, b->n_pend + 1, sizeof *b->pend))
        return sl_err(e, SL_ENOMEM, "out of memory");
    b->pend[b->n_pend++] = (pend_edge){a, bb, PE_PACK(tx, h, c)};
    return b->n_pend >= PEND_BATCH ? flush(b, e) : SL_OK;
}

#define RESOLVE_BATCH ((size_t)1 << 18) /* inputs per batch */

/* Orders n (key, slot) pairs by the top SORT_BITS bits of the key's tx id (LSD radix,
 * SORT_DIGIT bits a pass, at most two passes): exact up to 2^24 transactions, beyond that
 * each run of equal top bits spans a few transactions' outputs, which is the locality the
 * reads need. Returns the sorted array (b->keys or b->tmp). */
#define SORT_DIGIT 12
#define SORT_BITS (2 * SORT_DIGIT)
static uint64_t (*sort_refs(builder *b, size_t n, uint64_t max_tx))[2]
{
    uint64_t (*src)[2] = b->keys, (*dst)[2] = b->tmp;
    unsigned bits = max_tx ? 64 - (unsigned)__builtin_clzll(max_tx) : 1;
    const size_t mask = ((size_t)1 << SORT_DIGIT) - 1;
    if (!n) return src; /* nothing to sort (and maybe no arrays yet) */
    for (unsigned shift = bits > SORT_BITS ? bits - SORT_BITS : 0; shift < bits; shift += SORT_DIGIT) {
        size_t count[((size_t)1 << SORT_DIGIT) + 1] = {0};
        for (size_t i = 0; i < n; i++) count[((SL_REF_TX(src[i][0]) >> shift) & mask) + 1]++;
        for (size_t d = 0; d < mask + 1; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(SL_REF_TX(src[i][0]) >> shift) & mask]++;
            dst[at][0] = src[i][0], dst[at][1] = src[i][1];
        }
        uint64_t (*t)[2] = src;
        src = dst, dst = t;
    }
    return src;
}

/* Resolves the inputs of the transactions from `start` on (as many as make about
 * RESOLVE_BATCH inputs) into b->res: the spent outputs are read in the order of their
 * transactions, not of the spending inputs, so the store's txs and outs columns are read
 * forward instead of at random (the prevout reads were half of the build). Transactions
 * the builder skips (coinbases, one input without change heuristics) get no slots; the
 * inputs of every other transaction are counted into r->inputs here. */
static int resolve_batch(builder *b, uint64_t start, bool full, sl_error *e)
{
    const sl_store *s = b->s;
    size_t m = 0, nk = 0;
    uint64_t t = start, max_tx = 0, last = UINT64_MAX, fo = 0;
    bool peel = false;
    for (; t < b->n_tx && (m < RESOLVE_BATCH || t == start); t++) {
        uint32_t ni;
        uint64_t fi;
        if (sl_grow((void **)&b->first_slot, &b->cap_first, t - start + 2, sizeof *b->first_slot))
            return sl_err(e, SL_ENOMEM, "out of memory");
        b->first_slot[t - start] = (uint32_t)m;
        if (sl_btc_tx_is_coinbase(s, t)) continue;
        b->r->inputs += ni = sl_btc_tx_n_in(s, t);
        if (ni < (full ? 1u : 2u)) continue;
        fi = sl_btc_tx_first_in(s, t);
        if (sl_grow((void **)&b->res, &b->cap_res, m + ni, sizeof *b->res) ||
            sl_grow((void **)&b->keys, &b->cap_keys, m + ni, sizeof *b->keys))
            return sl_err(e, SL_ENOMEM, "out of memory");
        for (uint32_t k = 0; k < ni; k++, m++) {
            uint64_t ref = sl_btc_in_at(s, fi + k);
            sl_txv_in *in = &b->res[m];
            memset(in, 0, sizeof *in);
            in->addr.chain = SL_CHAIN_BTC;
            if (ref == SL_IN_COINBASE) continue;
            if (ref & SL_IN_EXT) {
                const sl_btc_extin *x = sl_btc_extin_at(s, ref & ~SL_IN_EXT);
                if (x && x->known) in->addr.id = x->addr, in->value = x->value, in->script_type = x->type;
                continue;
            }
            b->keys[nk][0] = ref, b->keys[nk][1] = m, nk++;
            if (SL_REF_TX(ref) > max_tx) max_tx = SL_REF_TX(ref);
        }
    }
    b->first_slot[t - start] = (uint32_t)m;
    b->bt0 = start, b->bt1 = t;
    { /* the scratch half of the sort, as large as the keys */
        void *tmp = sl_realloc(b->tmp, (nk ? nk : 1) * sizeof *b->tmp);
        if (!tmp) return sl_err(e, SL_ENOMEM, "out of memory");
        b->tmp = tmp;
    }
    uint64_t (*keys)[2] = sort_refs(b, nk, max_tx);
    for (size_t i = 0; i < nk; i++) {
        uint64_t ref = keys[i][0], ptx = SL_REF_TX(ref);
        sl_txv_in *in = &b->res[keys[i][1]];
        sl_btc_outrec o;
        if (ptx != last) {
            last = ptx, fo = sl_btc_tx_first_out(s, ptx);
            if (full) peel = sl_btc_tx_n_in(s, ptx) == 1 && sl_btc_tx_n_out(s, ptx) == 2;
        }
        sl_btc_out_get(s, fo + SL_REF_IDX(ref), &o);
        in->addr.id = o.addr, in->value = o.value, in->script_type = o.type, in->from_peel = peel;
    }
    return SL_OK;
}

/* Fills t with tx's view: its ni inputs from the resolved batch, its outputs read here
 * when needed (every one with change heuristics; else only for a CoinJoin check, which
 * needs two input addresses and at least 3 outputs: t->n_out is 0 when not read);
 * *n_addr_in gets the number of inputs with an address. */
static int tx_view(builder *b, uint64_t tx, uint32_t ni, sl_txv *t, bool full, size_t *n_addr_in, sl_error *e)
{
    const sl_store *s = b->s;
    uint64_t fo = sl_btc_tx_first_out(s, tx);
    uint32_t no = sl_btc_tx_n_out(s, tx);
    const sl_txv_in *in = b->res + b->first_slot[tx - b->bt0];
    size_t na = 0;
    bool outs;
    for (uint32_t k = 0; k < ni; k++) na += in[k].addr.id != 0;
    outs = full || (na >= 2 && no >= 3);
    if (outs && sl_grow((void **)&b->out, &b->cap_out, no, sizeof *b->out)) return sl_err(e, SL_ENOMEM, "out of memory");
    if (outs)
        for (uint32_t k = 0; k < no; k++) {
            sl_btc_outrec o;
            sl_txv_out *out = &b->out[k];
            sl_btc_out_get(s, fo + k, &o);
            memset(out, 0, sizeof *out);
            out->addr.chain = SL_CHAIN_BTC, out->addr.id = o.addr, out->value = o.value, out->script_type = o.type;
            out->fresh = o.addr > b->hiwater;
            if (o.addr && (o.addr == b->coord[0] || o.addr == b->coord[1]))
                out->text = o.addr == b->coord[0] ? WASABI1_COORD[0] : WASABI1_COORD[1];
            if (!full) continue;
            if (out->fresh && o.addr && (b->o->heuristics & (1u << SL_H_CHANGE_ONE_TIME))) {
                sl_btc_addrstat as;
                out->reused = sl_btc_addr_stats(s, o.addr, &as) == SL_OK && as.n_out > 1;
            }
            if (b->o->heuristics & (1u << SL_H_CHANGE_PEEL)) {
                uint64_t stx;
                uint32_t vin;
                out->to_peel = sl_btc_outpoint_spender(s, tx, k, &stx, &vin) == SL_OK && stx < b->n_tx &&
                               sl_btc_tx_n_in(s, stx) == 1 && sl_btc_tx_n_out(s, stx) == 2;
            }
        }
    memset(t, 0, sizeof *t);
    t->tx.chain = SL_CHAIN_BTC, t->tx.id = tx;
    if (outs) {
        const sl_btc_blockrec *blk = b->blk;
        if (!blk || tx < blk->first_tx || tx >= blk->first_tx + blk->n_tx) /* txs come in order: rarely searched */
            b->blk = blk = sl_btc_block_at(s, sl_btc_tx_block(s, tx));
        t->height = blk->height, t->time = blk->time;
        t->out = b->out, t->n_out = no;
    }
    t->in = in, t->n_in = ni;
    *n_addr_in = na;
    return SL_OK;
}

static int do_tx(builder *b, uint64_t tx, sl_error *e)
{
    const sl_store *s = b->s;
    bool change = (b->o->heuristics & CHANGE_MASK) != 0, multi = (b->o->heuristics & (1u << SL_H_MULTI_INPUT)) != 0;
    uint32_t a0 = 0, ni = b->first_slot[tx - b->bt0 + 1] - b->first_slot[tx - b->bt0];
    size_t na = 0;
    sl_txv t;
    int rc;
    if (!ni) goto seen; /* a coinbase; without change heuristics, one input: no edge (resolve_batch) */
    if ((rc = tx_view(b, tx, ni, &t, change, &na, e))) return rc;
    for (size_t k = 0; k < t.n_in && !a0; k++) a0 = t.in[k].addr.id;
    if (na >= 2) {
        bool distinct = false;
        for (size_t k = 0; k < t.n_in && !distinct; k++) distinct = t.in[k].addr.id && t.in[k].addr.id != a0;
        if (distinct && sl_coinjoin_detect(&t) != SL_CJ_NONE) {
            b->r->coinjoins++;
            goto seen;
        }
        for (size_t k = 0; multi && distinct && k < t.n_in; k++) {
            uint32_t a = t.in[k].addr.id;
            if (!a || a == a0) continue;
            if ((rc = push(b, a0, a, tx, SL_H_MULTI_INPUT, 50, e))) return rc;
        }
    }
    if (change && a0) {
        sl_heuristic h = SL_H_NONE;
        uint8_t conf = 0;
        int k = sl_change_find(&t, b->o->heuristics & CHANGE_MASK, &h, &conf);
        if (k >= 0 && (size_t)k < t.n_out && t.out[k].addr.id && t.out[k].addr.id != a0) {
            b->r->change_edges++;
            if ((rc = push(b, a0, t.out[k].addr.id, tx, h, conf, e))) return rc;
        }
    }
seen: /* the highest address id seen so far (for "fresh"; only the change heuristics read
       * it): every output address of this tx (inputs' addresses are older, except
       * prevout-file ones, which come with their tx's outputs) */
    if (change) {
        uint64_t fo = sl_btc_tx_first_out(s, tx);
        uint32_t no = sl_btc_tx_n_out(s, tx);
        for (uint32_t k = 0; k < no; k++) {
            uint32_t a = sl_btc_out_addr(s, fo + k);
            if (a > b->hiwater) b->hiwater = a;
        }
    }
    return SL_OK;
}

/* ---- writing ---- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
    if (fd < 0) return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = pwrite(fd, q, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n, (off_t)off);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        q += w, n -= (size_t)w, off += (uint64_t)w;
    }
    return 0;
}

/* Writes dir/name as a whole: name.tmp, fsync, rename, fsync of the folder. */
static int write_atomic(const char *dir, const char *name, const void *p, size_t n, sl_error *e)
{
    char tmp[1100], fin[1100];
    int fd;
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(fin, sizeof fin, "%s/%s", dir, name);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) goto fail;
    if (write_all(fd, p, n, 0) || fdatasync(fd)) {
        close(fd);
        goto fail;
    }
    close(fd);
    if (rename(tmp, fin) || fsync_dir(dir)) goto fail;
    return SL_OK;
fail:
    {
        int er = errno;
        unlink(tmp);
        return sl_err(e, SL_EIO, "%s: %s", fin, strerror(er));
    }
}

/* Writes n bytes at offset off of path, then fdatasync; with truncate the file ends there
 * (records past a state's count are dropped). A file this call creates has its folder
 * fsynced too (its name must last as long as its data). */
static int put_file(const char *path, const void *p, size_t n, uint64_t off, bool truncate, sl_error *e)
{
    bool created = false;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644), created = true;
    if (fd < 0) return sl_err(e, SL_EIO, "%s: %s", path, strerror(errno));
    if (write_all(fd, p, n, off) || (truncate && ftruncate(fd, (off_t)(off + n))) || fdatasync(fd)) {
        int er = errno;
        close(fd);
        return sl_err(e, SL_EIO, "%s: %s", path, strerror(er));
    }
    close(fd);
    if (created) {
        char dir[1100];
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        if (fsync_dir(dir)) return sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    }
    return SL_OK;
}

/* Appends buf to dir/name at byte offset `at`, dropping what was past it. */
static int append_at(const char *dir, const char *name, const sl_buf *buf, uint64_t at, sl_error *e)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return put_file(p, buf->p, buf->len, at, true, e);
}

static void gen_path(char *out, size_t cap, const char *dir, uint64_t gen, const char *name)
{
    snprintf(out, cap, "%s/gen.%" PRIu64 "%s%s", dir, gen, name[0] ? "/" : "", name);
}

static void remove_gen(const char *dir, uint64_t gen)
{
    char p[1100], f[1400];
    DIR *d;
    struct dirent *de;
    gen_path(p, sizeof p, dir, gen, "");
    if ((d = opendir(p))) { /* every file: older formats had other names */
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(f, sizeof f, "%s/%s", p, de->d_name);
                unlink(f);
            }
        closedir(d);
    }
    rmdir(p);
}

static int write_state(const char *dir, const cl_state *st, sl_error *e)
{
    uint8_t enc[CL_STATE_SIZE];
    cl_state_encode(enc, st);
    return write_atomic(dir, "state", enc, sizeof enc, e);
}

/* Applies journal records (cluster_int.h) to the nodes of generation gen through a
 * shared writable mapping (one store per record: thousands of 4-byte pwrites cost more
 * than the rest of a one-block build), then fsyncs them. */
static int apply_journal(const char *dir, uint64_t gen, const uint8_t *j, uint64_t n, sl_error *e)
{
    uint32_t *m = NULL;
    size_t len = 0;
    int fd, rc = SL_OK;
    char p[1100];
    struct stat sb;
    gen_path(p, sizeof p, dir, gen, "nodes");
    if ((fd = open(p, O_RDWR | O_CLOEXEC)) < 0 || fstat(fd, &sb)) {
        rc = sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    len = (size_t)sb.st_size;
    if (len && (m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        m = NULL;
        rc = sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    }
    for (uint64_t i = 0; i < n && !rc; i++) {
        const uint8_t *r = j + i * CL_JOURNAL_SIZE;
        uint32_t id = sl_le32(r + 4);
        if (r[0] >= CL_FIELDS || (uint64_t)id * CL_NODE_SIZE + CL_NODE_SIZE > len)
            rc = sl_err(e, SL_ECORRUPT, "%s/journal: record %" PRIu64 " is out of range", dir, i);
        else CL_F(m, id, r[0]) = sl_le32(r + 8);
    }
    if (m) {
        if (!rc && msync(m, len, MS_SYNC)) rc = sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
        munmap(m, len);
    }
    close(fd);
    return rc;
}

/* A build that was interrupted after its commit but before its journal reached the
 * arrays: apply the journal again (idempotent), then mark it applied. */
static int replay_journal(const char *dir, cl_state *st, sl_error *e)
{
    char p[1100];
    sl_file f;
    int rc;
    if (!st->pending) return SL_OK;
    snprintf(p, sizeof p, "%s/journal", dir);
    if ((rc = sl_file_open(&f, p, e))) return rc;
    if (f.len < st->n_journal * CL_JOURNAL_SIZE) rc = sl_err(e, SL_ECORRUPT, "%s: shorter than its state says", p);
    else rc = apply_journal(dir, st->gen, f.data, st->n_journal, e);
    sl_file_close(&f);
    if (rc) return rc;
    st->pending = 0;
    return write_state(dir, st, e);
}

/* The nodes of generation gen mapped copy-on-write, grown to n+1 records (the file is
 * extended first: the new tail is past the committed count, so no reader believes it). */
static int map_nodes(builder *b, const char *dir, uint64_t gen, sl_error *e)
{
    size_t len = (size_t)(b->n + 1) * CL_NODE_SIZE;
    char p[1100];
    struct stat sb;
    void *m;
    int fd;
    gen_path(p, sizeof p, dir, gen, "nodes");
    if ((fd = open(p, O_RDWR | O_CLOEXEC)) < 0) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    if (fstat(fd, &sb) || (uint64_t)sb.st_size < (b->old_n + 1) * CL_NODE_SIZE) {
        close(fd);
        return sl_err(e, SL_ECORRUPT, "%s: shorter than its state says (run `sleuth cluster build --from-scratch`)", p);
    }
    if ((uint64_t)sb.st_size < len && ftruncate(fd, (off_t)len)) {
        int er = errno;
        close(fd);
        return sl_err(e, SL_EIO, "%s: %s", p, strerror(er));
    }
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    b->node = m, b->maplen = len;
    return SL_OK;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;
    return a < c ? -1 : a > c;
}

/* Incremental: the new addresses' entries appended to each array, then the journal of
 * the changed older entries, the state that counts it (the commit), the journal applied,
 * the state again saying so. */
static int write_incremental(builder *b, const char *dir, cl_state *st, sl_error *e)
{
    char p[1100];
    uint8_t *j = NULL;
    size_t nj = 0;
    int rc = SL_OK;
    gen_path(p, sizeof p, dir, st->gen, "nodes");
    if (b->n > b->old_n)
        rc = put_file(p, &CL_F(b->node, b->old_n + 1, 0), (size_t)(b->n - b->old_n) * CL_NODE_SIZE,
                      (b->old_n + 1) * CL_NODE_SIZE, false, e);
    if (rc) return rc;
    if (b->n_dirty) qsort(b->dirty, b->n_dirty, sizeof *b->dirty, cmp_u64);
    if (!(j = sl_malloc((b->n_dirty ? b->n_dirty : 1) * CL_JOURNAL_SIZE))) return sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n_dirty; i++) {
        uint8_t *r = j + nj * CL_JOURNAL_SIZE;
        uint32_t a = (uint32_t)(b->dirty[i] >> 32), id = (uint32_t)b->dirty[i];
        if (i && b->dirty[i] == b->dirty[i - 1]) continue;
        memset(r, 0, CL_JOURNAL_SIZE);
        r[0] = (uint8_t)a, sl_put_le32(r + 4, id), sl_put_le32(r + 8, CL_F(b->node, id, a));
        nj++;
    }
    st->n_journal = nj, st->pending = nj > 0;
    /* The journal is rewritten in place, without a rename: it is read only under a pending
     * state, and the state on disk is not pending now (the last build's final state, or
     * replay_journal's, both fsynced), so a crash while it is written leaves it unread. */
    snprintf(p, sizeof p, "%s/journal", dir);
    if (!nj) rc = write_state(dir, st, e); /* no older entry changed: nothing to journal */
    else if (!(rc = put_file(p, j, nj * CL_JOURNAL_SIZE, 0, true, e)) && !(rc = write_state(dir, st, e)) &&
             (sl_test_point("cluster-journal"), !(rc = apply_journal(dir, st->gen, j, nj, e)))) {
        st->pending = 0;
        rc = write_state(dir, st, e);
    }
    sl_free(j);
    return rc;
}

/* From scratch: the parent array compressed (every address points at its root), the four
 * arrays written as a new generation. */
static int write_full(builder *b, const char *dir, uint64_t gen, sl_error *e)
{
    char p[1100];
    int rc = SL_OK;
    for (uint64_t x = 1; x <= b->n; x++) {
        if (x + 16 <= b->n) __builtin_prefetch(&PAR(b, PAR(b, x + 16)), 1); /* the parents are at random */
        PAR(b, x) = uf_find(b->node, (uint32_t)x);
    }
    gen_path(p, sizeof p, dir, gen, "");
    remove_gen(dir, gen); /* leftovers of a build that died before its commit */
    if (mkdir(p, 0755)) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    rc = write_atomic(p, "nodes", b->node, (size_t)(b->n + 1) * CL_NODE_SIZE, e);
    if (!rc && fsync_dir(dir)) rc = sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    return rc;
}

static int open_lock(const char *dir, int *fd, sl_error *e)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/LOCK", dir);
    if ((*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB)) {
        close(*fd), *fd = -1;
        return sl_err(e, SL_ECONFLICT, "another `sleuth cluster build` is running on this store (%s)", p);
    }
    return SL_OK;
}

static int mkdirs(const sl_store *s, const sl_chain_def *d, char *dir, size_t cap, sl_error *e)
{
    char k[1100];
    snprintf(k, sizeof k, "%s/knowledge", sl_store_dir(s));
    if (mkdir(k, 0755) && errno != EEXIST) return sl_err(e, SL_EIO, "%s: %s", k, strerror(errno));
    if (!cl_path(dir, cap, s, NULL, "")) return sl_err(e, SL_EIO, "store path too long");
    if (mkdir(dir, 0755) && errno != EEXIST) return sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    if (d->model != SL_MODEL_ACCOUNT) return SL_OK;
    if (!cl_path(dir, cap, s, d, "")) return sl_err(e, SL_EIO, "store path too long");
    if (mkdir(dir, 0755) && errno != EEXIST) return sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    return SL_OK;
}

/* Whether the last build can be continued: the store still holds its tip block and the
 * options are the same; else r->why says why not. */
static bool can_continue(const sl_store *s, const sl_btc_meta *m, const cl_state *old, const sl_cluster_opts *o,
                         sl_cluster_build_report *r)
{
    const sl_btc_blockrec *tb = old->tip_block < m->n_blocks ? sl_btc_block_at(s, old->tip_block) : NULL;
    if (!tb || memcmp(tb->hash.b, old->tip_hash.b, 32) || old->tx_done > m->n_tx || old->n_addr > m->n_addr) {
        char h[65];
        sl_hash_hex(h, &old->tip_hash);
        snprintf(r->why, sizeof r->why, "the store was rolled back below the last build's tip (block %.16s...): rebuilt", h);
        return false;
    }
    if (old->heuristics != o->heuristics || old->guard_size != o->guard_size || old->gsp != o->guard_size_policy ||
        old->gtp != o->guard_tag_policy) {
        snprintf(r->why, sizeof r->why, "the heuristics or guard options changed since the last build: rebuilt");
        return false;
    }
    return true;
}

/* The nodes of the addresses past b->old_n as one-address sets, then (with a tagger)
 * each set's defining tag: one constant-time look-up per address from `first` on. */
static int init_nodes(builder *b, uint32_t first, sl_error *e)
{
    for (uint64_t x = b->old_n + 1; x <= b->n; x++)
        PAR(b, x) = LO(b, x) = NX(b, x) = (uint32_t)x, SZ(b, x) = 1;
    PAR(b, 0) = LO(b, 0) = NX(b, 0) = SZ(b, 0) = 0;
    if (!b->o->tagger) return SL_OK;
    if (!(b->tagrep = sl_calloc(b->n + 1, sizeof *b->tagrep)))
        return sl_err(e, SL_ENOMEM, "out of memory for %" PRIu64 " addresses", b->n);
    for (uint64_t x = first; x <= b->n; x++) {
        sl_cluster_tag t, cur;
        uint32_t root = uf_find(b->node, (uint32_t)x);
        int got = tag_of(b, (uint32_t)x, &t);
        if (got < 0) return sl_err(e, SL_EIO, "the tagger failed on address id %" PRIu64, x);
        if (!got) continue;
        if (!b->tagrep[root]) { b->tagrep[root] = (uint32_t)x; continue; }
        if (tag_of(b, b->tagrep[root], &cur) > 0 && tag_better(&t, &cur)) b->tagrep[root] = (uint32_t)x;
    }
    return SL_OK;
}

/* Opens the evidence file, to be written from the first record past the committed ones. */
static int open_edges(builder *b, const char *dir, uint64_t committed, sl_error *e)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/edges", dir);
    if ((b->edges_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    b->edges_at = committed * CL_EDGE_SIZE;
    return SL_OK;
}

/* The end of a build: the counts into r (n_real: the chain's addresses, sinks left out),
 * then the evidence, the guard log, the arrays and the state (st holds the chain's part:
 * heuristics, transactions, tip; the rest is filled here). */
static int commit(builder *b, const char *dir, bool have_old, const cl_state *old, cl_state *st, uint64_t n_real,
                  sl_error *e)
{
    sl_cluster_build_report *r = b->r;
    uint64_t e0 = have_old ? old->n_edges : 0, g0 = have_old ? old->n_guard : 0;
    uint32_t big = b->largest_root ? uf_find(b->node, b->largest_root) : 0;
    int rc;
    r->n_addr = n_real;
    r->clusters = (have_old ? old->clusters + (b->n - b->old_n) : n_real) - r->merges;
    r->multi_clusters = b->multi;
    r->largest_id = big ? LO(b, big) : 0, r->largest_size = big ? SZ(b, big) : 0;
    if (edges_out(b) || ftruncate(b->edges_fd, (off_t)b->edges_at) || (b->n_new_edges && fdatasync(b->edges_fd)))
        return sl_err(e, SL_EIO, "%s/edges: %s", dir, strerror(errno));
    if (b->guard.len) {
        if ((rc = append_at(dir, "guard", &b->guard, g0 * CL_GUARD_SIZE, e))) return rc;
    } else { /* nothing new to log: the file is made or cut to its count, no fsync (records
              * past the state's count are ignored; a full build fsyncs the folder after) */
        char p[1100];
        int fd;
        snprintf(p, sizeof p, "%s/guard", dir);
        if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 || ftruncate(fd, (off_t)(g0 * CL_GUARD_SIZE))) {
            rc = sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
            if (fd >= 0) close(fd);
            return rc;
        }
        close(fd);
    }
    st->n_addr = b->n;
    st->hiwater = b->n; /* every address id up to n first appeared in a tx before n_tx */
    st->guard_size = b->o->guard_size, st->gsp = b->o->guard_size_policy, st->gtp = b->o->guard_tag_policy;
    st->n_edges = e0 + b->n_new_edges, st->n_guard = g0 + b->guard.len / CL_GUARD_SIZE;
    st->clusters = r->clusters, st->multi = b->multi, st->largest_root = big;
    if (have_old) return write_incremental(b, dir, st, e);
    st->n_journal = 0, st->pending = 0;
    if (!(rc = write_full(b, dir, st->gen, e)) && !(rc = write_state(dir, st, e)) && st->gen > 1)
        remove_gen(dir, st->gen - 1); /* no state names it any more */
    return rc;
}

static void builder_free(builder *b, bool mapped)
{
    if (mapped && b->node) munmap(b->node, b->maplen);
    else if (!mapped) sl_free(b->node);
    sl_free(b->tagrep), sl_free(b->dirty);
    sl_free(b->out), sl_free(b->pend);
    sl_free(b->first_slot), sl_free(b->res), sl_free(b->keys), sl_free(b->tmp);
    sl_buf_free(&b->edges), sl_buf_free(&b->guard);
    if (b->edges_fd > 0) close(b->edges_fd);
}

static int build_btc(sl_store *s, const sl_chain_def *d, const sl_cluster_opts *op, sl_cluster_build_report *r, sl_error *e)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    const sl_cluster_opts o = *op;
    builder b;
    cl_state st, old;
    char dir[600];
    int lockfd = -1, rc;
    bool have_old = false, mapped = false;
    sl_progress pg;
    double t0 = sl_now();
    uint64_t tx0 = 0;

    memset(&b, 0, sizeof b);
    memset(&old, 0, sizeof old);
    if (!m || !m->n_blocks) return sl_err(e, SL_ENOTFOUND, "the store holds no Bitcoin-family blocks");
    if (m->n_addr >= UINT32_MAX) return sl_err(e, SL_ELIMIT, "too many addresses for 32-bit cluster ids");
    if ((rc = mkdirs(s, d, dir, sizeof dir, e)) || (rc = open_lock(dir, &lockfd, e))) return rc;
    b.s = s, b.chain = SL_CHAIN_BTC, b.o = &o, b.r = r, b.n = m->n_addr, b.n_tx = m->n_tx;
    for (int k = 0; k < 2; k++) {
        sl_btc_addr a;
        const sl_btc_net *net = sl_store_btc_net(s);
        if (net && !strcmp(net->name, "bitcoin") && sl_btc_addr_decode(&a, net, WASABI1_COORD[k]) &&
            sl_btc_addr_id(s, &a, &b.coord[k]) != SL_OK)
            b.coord[k] = 0;
    }

    rc = cl_state_read(s, d, &old, e);
    if (rc && rc != SL_ENOTFOUND && rc != SL_EVERSION && !o.from_scratch) goto out;
    if (rc == SL_OK && !o.from_scratch) {
        have_old = can_continue(s, m, &old, &o, r) && (rc = replay_journal(dir, &old, e)) == SL_OK;
        if (rc) goto out;
    } else {
        snprintf(r->why, sizeof r->why, "%s", o.from_scratch ? "asked to start from scratch"
                                              : rc == SL_EVERSION ? "the cluster files are of another format version: rebuilt"
                                                                  : "first build");
    }
    sl_err_clear(e);
    rc = SL_OK;
    st = old;
    st.gen = have_old ? old.gen : old.gen + 1;
    r->from_scratch = !have_old;
    if (have_old) {
        b.old_n = old.n_addr, tx0 = old.tx_done, b.hiwater = old.hiwater;
        b.multi = old.multi, b.largest_root = old.largest_root;
        if ((rc = map_nodes(&b, dir, old.gen, e))) goto out;
        mapped = true;
    } else {
        if (!(b.node = sl_malloc((b.n + 1) * CL_NODE_SIZE))) {
            rc = sl_err(e, SL_ENOMEM, "out of memory for %" PRIu64 " addresses", b.n);
            goto out;
        }
        b.largest_root = b.n ? 1 : 0;
    }
    if ((rc = init_nodes(&b, 1, e)) || (rc = open_edges(&b, dir, have_old ? old.n_edges : 0, e))) goto out;
    r->tx_from = tx0, r->tx_to = m->n_tx;
    sl_progress_start(&pg, m->n_tx - tx0, "txs", o.quiet);
    for (uint64_t tx = tx0; tx < m->n_tx;) {
        if ((rc = resolve_batch(&b, tx, (o.heuristics & CHANGE_MASK) != 0, e))) goto out;
        for (; tx < b.bt1; tx++)
            if ((rc = do_tx(&b, tx, e))) goto out;
        sl_progress_update(&pg, tx - tx0, tx - tx0);
    }
    if ((rc = flush(&b, e))) goto out;
    sl_progress_update(&pg, m->n_tx - tx0, m->n_tx - tx0);
    sl_progress_end(&pg);
    st.heuristics = o.heuristics, st.tx_done = m->n_tx;
    st.tip_block = (uint32_t)(m->n_blocks - 1);
    st.tip_hash = sl_btc_block_at(s, st.tip_block)->hash;
    rc = commit(&b, dir, have_old, &old, &st, b.n, e);
out:
    r->seconds = sl_now() - t0;
    builder_free(&b, mapped);
    if (lockfd >= 0) close(lockfd);
    return rc;
}

/* The deposit scan's sink: each edge into the union-find's batch. */
static int acct_edge(void *ctx, const sl_merge_edge *m)
{
    builder *b = ctx;
    return push(b, m->a.id, m->b.id, m->tx.id, m->heuristic, m->confidence, &b->err);
}

/* An account chain, from scratch: the deposit scan's SL_H_DEPOSIT edges unioned over the
 * chain's account ids (the sinks, ids below SL_SINK_N, stay alone and are not counted). */
static int build_acct(sl_store *s, const sl_chain_def *d, const sl_cluster_opts *op, sl_cluster_build_report *r, sl_error *e)
{
    const sl_cluster_opts o = *op;
    builder b;
    cl_state st, old;
    sl_eth_chain *c;
    const sl_eth_meta *m;
    char dir[600];
    int lockfd = -1, rc;
    double t0 = sl_now();

    memset(&b, 0, sizeof b);
    memset(&old, 0, sizeof old);
    b.edges_fd = -1;
    if ((rc = sl_eth_chain_open(s, d->name, &c, e))) return rc;
    m = sl_eth_meta_get(c);
    if (!m->n_blocks) return sl_err(e, SL_ENOTFOUND, "the store holds no %s blocks", d->name);
    if (m->n_accts >= UINT32_MAX) return sl_err(e, SL_ELIMIT, "too many addresses for 32-bit cluster ids");
    if ((rc = mkdirs(s, d, dir, sizeof dir, e)) || (rc = open_lock(dir, &lockfd, e))) return rc;
    b.s = s, b.chain = d->id, b.o = &o, b.r = r, b.n = m->n_accts - 1, b.n_tx = m->n_tx;
    /* whatever is there is replaced: only its generation number is kept, to number on */
    rc = cl_state_read(s, d, &old, e);
    snprintf(r->why, sizeof r->why, "%s", rc == SL_ENOTFOUND ? "first build" : "an account chain is rebuilt from scratch by every build");
    sl_err_clear(e);
    st = old;
    st.gen = old.gen + 1;
    r->from_scratch = true;
    if (!(b.node = sl_malloc((b.n + 1) * CL_NODE_SIZE))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory for %" PRIu64 " addresses", b.n);
        goto out;
    }
    b.largest_root = b.n >= SL_SINK_N ? SL_SINK_N : 0;
    if ((rc = init_nodes(&b, SL_SINK_N, e)) || (rc = open_edges(&b, dir, 0, e))) goto out;
    r->tx_from = 0, r->tx_to = m->n_tx;
    if ((rc = sl_deposit_edges(s, d->name, o.deposit, acct_edge, &b, &r->deposit, e))) {
        if (b.err.code) *e = b.err; /* the sink's own error, not "stopped by its consumer" */
        goto out;
    }
    if ((rc = flush(&b, e))) goto out;
    r->inputs = r->deposit.flows;
    st.heuristics = 1u << SL_H_DEPOSIT, st.tx_done = m->n_tx;
    st.tip_block = (uint32_t)(m->n_blocks - 1);
    st.tip_hash = sl_eth_block_at(c, st.tip_block)->hash;
    rc = commit(&b, dir, false, &old, &st, b.n >= SL_SINK_N ? b.n - (SL_SINK_N - 1) : 0, e);
out:
    r->seconds = sl_now() - t0;
    builder_free(&b, false);
    if (lockfd >= 0) close(lockfd);
    return rc;
}

int sl_cluster_build(sl_store *s, const sl_cluster_opts *o_in, sl_cluster_build_report *r, sl_error *e)
{
    sl_cluster_opts o = o_in ? *o_in : sl_cluster_opts_default();
    const sl_chain_def *d = o.chain ? sl_chain_by_name(o.chain) : sl_chain_by_id(SL_CHAIN_BTC);
    memset(r, 0, sizeof *r);
    if (!d) return sl_err(e, SL_EUSAGE, "unknown chain '%s' (btc or a Bitcoin-family network, ethereum, bsc, polygon, "
                                        "avalanche, arbitrum, base, tron)", o.chain);
    snprintf(r->chain, sizeof r->chain, "%s", d->name);
    if (!o.heuristics) o.heuristics = 1u << SL_H_MULTI_INPUT;
    if (!o.guard_size) o.guard_size = SL_CLUSTER_GUARD_SIZE_DEFAULT;
    if (o.tagger && (!o.tagger->best || !o.tagger->conflict)) return sl_err(e, SL_EUSAGE, "a tagger needs best and conflict");
    return d->model == SL_MODEL_ACCOUNT ? build_acct(s, d, &o, r, e) : build_btc(s, d, &o, r, e);
}
