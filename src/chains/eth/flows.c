/* flows.c — from typed records to the pools-and-flows model (DESIGN.md): merges the
 * records of each block (a transaction may be known from its own object, its receipt,
 * its top-level trace or only its logs), checks that they agree, and derives every value
 * flow in chain order.
 *
 * Order of flows inside a transaction (the `sub` field): 0 burnt base fee, 1 fee to the
 * block's fee recipient, 2 the native value, 0x100 + k internal transfers in trace order
 * (depth-first), 0x1000000 + log index token transfers. Block-level flows (rewards,
 * withdrawals) follow the block's transactions. Rules are documented in docs/ETH.md.
 * Beside the flows, each transaction that did not fail gets its annotations (annot.h:
 * known event logs, a text input), documented in docs/LAUNDERING.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/annot.h"
#include "sleuth/eth.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"

static const uint8_t TOPIC_TRANSFER[32] = {0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0,
                                           0x68, 0xfc, 0x37, 0x8d, 0xaa, 0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4,
                                           0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef};
static const uint8_t TOPIC_DEPOSIT[32] = {0xe1, 0xff, 0xfc, 0xc4, 0x92, 0x3d, 0x04, 0xb5, 0x59, 0xf4, 0xd2,
                                          0x9a, 0x8b, 0xfc, 0x6c, 0xda, 0x04, 0xeb, 0x5b, 0x0d, 0x3c, 0x46,
                                          0x07, 0x51, 0xc2, 0x40, 0x2c, 0x5c, 0x5c, 0xc9, 0x10, 0x9c};
static const uint8_t TOPIC_WITHDRAWAL[32] = {0x7f, 0xcf, 0x53, 0x2c, 0x15, 0xf0, 0xa6, 0xdb, 0x0b, 0xd6, 0xd0,
                                             0xe0, 0x38, 0xbe, 0xa7, 0x1d, 0x30, 0xd8, 0x08, 0xc7, 0xd9, 0x8c,
                                             0xb3, 0xbf, 0x72, 0x68, 0xa9, 0x5b, 0xf5, 0x08, 0x1b, 0x65};

const char *sl_eth_flow_kind_name(int kind)
{
    static const char *const N[] = {"?", "native", "internal", "token", "fee", "burn", "reward"};
    return kind >= 1 && kind <= SL_FLOW_REWARD ? N[kind] : "?";
}

const char *sl_eth_sink_name(int sink)
{
    static const char *const N[] = {"none", "burn", "fees", "mint"};
    return sink >= 0 && sink < SL_SINK_N ? N[sink] : "?";
}

/* Working view of one transaction while merging. */
typedef struct wtx {
    sl_hash256 hash;
    uint64_t block;
    uint32_t index, seen;
    int64_t tx, rc, top; /* record indexes, -1 none */
    bool has_bhash;      /* a record named the block's hash */
    sl_hash256 bhash;
} wtx;

typedef struct bctx {
    const sl_eth_set *s;
    sl_error *e;
    wtx *w;
    size_t nw, capw;
    sl_htid ht;    /* transaction hash -> wtx index (the keys are w[id].hash) */
} bctx;

static void hexs(char *out, const uint8_t *p, size_t n)
{
    out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + 2, p, n);
}

static const void *wkey(const void *ctx, uint64_t id, size_t *n)
{
    *n = 32;
    return ((const bctx *)ctx)->w[id].hash.b;
}

static int64_t wfind(const bctx *b, const sl_hash256 *h)
{
    uint64_t id;
    return sl_htid_find(&b->ht, h->b, 32, &id) ? (int64_t)id : -1;
}

/* Finds or adds the transaction `h` at (block, index) in the block with hash *bh (NULL:
 * not given); a different block, index or block hash is a conflict. */
static int upsert(bctx *b, const sl_hash256 *h, uint64_t block, uint32_t index, const sl_hash256 *bh, int64_t *out)
{
    int64_t k = wfind(b, h);
    char hx[67], h1[67], h2[67];
    if (k < 0) {
        void *q = b->w;
        if (sl_grow(&q, &b->capw, b->nw + 1, sizeof *b->w)) return sl_err(b->e, SL_ENOMEM, "out of memory");
        b->w = q;
        if (sl_htid_add(&b->ht, h->b, 32, b->nw)) return sl_err(b->e, SL_ENOMEM, "out of memory");
        k = (int64_t)b->nw++;
        memset(&b->w[k], 0, sizeof b->w[k]);
        b->w[k].hash = *h;
        b->w[k].block = block;
        b->w[k].index = index;
        b->w[k].seen = (uint32_t)k;
        b->w[k].tx = b->w[k].rc = b->w[k].top = -1;
    } else {
        wtx *t = &b->w[k];
        if (t->block == UINT64_MAX) t->block = block;
        if (block != UINT64_MAX && t->block != block) {
            hexs(hx, h->b, 32);
            return sl_err(b->e, SL_ECORRUPT, "transaction %s appears in block %llu and in block %llu", hx,
                          (unsigned long long)t->block, (unsigned long long)block);
        }
        if (t->index == SL_ETH_NONE32) t->index = index;
        else if (index != SL_ETH_NONE32 && index != t->index) {
            hexs(hx, h->b, 32);
            return sl_err(b->e, SL_ECORRUPT, "transaction %s has index %u and index %u", hx, t->index, index);
        }
        if (bh && t->has_bhash && memcmp(bh->b, t->bhash.b, 32)) {
            hexs(hx, h->b, 32), hexs(h1, t->bhash.b, 32), hexs(h2, bh->b, 32);
            return sl_err(b->e, SL_ECORRUPT, "transaction %s is in the block with hash %s and in the block with hash %s", hx,
                          h1, h2);
        }
    }
    if (bh && !b->w[k].has_bhash) b->w[k].bhash = *bh, b->w[k].has_bhash = true;
    *out = k;
    return SL_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* chain order of the transaction table (qsort_r: ctx is the table) */
static int cmp_wtx(const void *a, const void *b, void *ctx)
{
    const wtx *w = ctx, *x = &w[*(const uint32_t *)a], *y = &w[*(const uint32_t *)b];
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->seen < y->seen ? -1 : x->seen > y->seen;
}

/* sort keys for per-tx lists */
typedef struct key { uint32_t tx, a, b, rec; } key;
typedef struct bkey { uint64_t a; uint32_t b, rec; } bkey;
static int cmp_bkey(const void *pa, const void *pb)
{
    const bkey *x = pa, *y = pb;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}
static int cmp_key(const void *pa, const void *pb)
{
    const key *x = pa, *y = pb;
    if (x->tx != y->tx) return x->tx < y->tx ? -1 : 1;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}
/* traces: by tx, then trace address in lexicographic order (a parent before its calls);
 * qsort_r: ctx is the record set */
static int cmp_trace_key(const void *pa, const void *pb, void *ctx)
{
    const key *x = pa, *y = pb;
    const sl_eth_set *set = ctx;
    const sl_eth_trace *s = &set->traces[x->rec], *t = &set->traces[y->rec];
    const uint32_t *as = sl_eth_trace_addr(set, s), *at = sl_eth_trace_addr(set, t);
    if (x->tx != y->tx) return x->tx < y->tx ? -1 : 1;
    for (uint32_t i = 0; i < s->addr_len && i < t->addr_len; i++)
        if (as[i] != at[i]) return as[i] < at[i] ? -1 : 1;
    if (s->addr_len != t->addr_len) return s->addr_len < t->addr_len ? -1 : 1;
    return s->order < t->order ? -1 : s->order > t->order;
}

static int push_flow(sl_eth_model *m, sl_error *e, sl_eth_flow **out)
{
    void *q = m->flows;
    if (sl_grow(&q, &m->cap_flows, m->n_flows + 1, sizeof *m->flows)) return sl_err(e, SL_ENOMEM, "out of memory");
    m->flows = q;
    *out = &m->flows[m->n_flows++];
    memset(*out, 0, sizeof **out);
    (*out)->native = true;
    return SL_OK;
}

static void addr_str(char *out, size_t cap, const sl_eth_set *s, const uint32_t *a, uint32_t n)
{
    size_t o = 0;
    out[o++] = '[';
    for (uint32_t i = 0; i < n && o + 12 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%s%u", i ? "," : "", a[i]);
    snprintf(out + o, cap - o, "]");
    (void)s;
}

void sl_eth_model_free(sl_eth_model *m)
{
    sl_free(m->blocks);
    sl_free(m->txs);
    sl_free(m->flows);
    sl_free(m->annots);
    sl_buf_free(&m->abytes);
    memset(m, 0, sizeof *m);
}

/* Index of the model block with this number (binary search). */
static int64_t block_of(const sl_eth_model *m, uint64_t number)
{
    size_t lo = 0, hi = m->n_blocks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->blocks[mid].number == number) return (int64_t)mid;
        if (m->blocks[mid].number < number) lo = mid + 1; else hi = mid;
    }
    return -1;
}

/* What the steps of sl_eth_model_build share: the transaction table (every record's tx,
 * by hash), the chain order, each record's place, the per-transaction and per-block
 * record lists in order, and the cursors and trace stack of the flow pass. */
typedef struct mbuild {
    bctx b;
    sl_eth_model *m;
    const sl_eth_set *s;
    sl_error *e;
    bool tron;
    uint32_t *ord, *pos;                  /* chain position -> table index, and back */
    uint32_t *trace_tx, *log_tx, *xfer_tx; /* record -> table index */
    const sl_eth_block **bref;            /* per model block: the record with its header */
    key *tk, *lk, *xk;                    /* traces, logs, transfers by (chain tx, ...) */
    size_t ntk, nlk, nxk;
    bkey *rk, *wk;                        /* block rewards, withdrawals by block */
    size_t nrk, nwk;
    size_t ti, li, xi, ri, wi, ai;        /* the flow pass's cursors in those lists */
    uint32_t *stack_rec;                  /* the trace walk's stack (records, reverted) */
    bool *stack_rev;
    size_t stack_cap;
} mbuild;

static int oom(sl_error *e) { return sl_err(e, SL_ENOMEM, "out of memory"); }

/* 1. The transaction table from every kind of record: a hash given twice must agree. */
static int index_txs(mbuild *B)
{
    const sl_eth_set *s = B->s;
    sl_error *e = B->e;
    bctx *b = &B->b;
    char hx[67];
    int rc = SL_OK;
    for (size_t i = 0; i < s->n_txs && !rc; i++) {
        int64_t k;
        const sl_eth_tx *t = &s->txs[i];
        if ((rc = upsert(b, &t->hash, t->block, t->index, t->has_block_hash ? &t->block_hash : NULL, &k))) break;
        if (b->w[k].tx >= 0) {
            const sl_eth_tx *o = &s->txs[b->w[k].tx];
            if (memcmp(o->from.b, t->from.b, 20) || sl_u256_cmp(&o->value, &t->value) || o->has_to != t->has_to ||
                memcmp(o->to.b, t->to.b, 20)) {
                hexs(hx, t->hash.b, 32);
                rc = sl_err(e, SL_ECORRUPT, "transaction %s is given twice with different contents", hx);
            }
        } else {
            b->w[k].tx = (int64_t)i;
        }
    }
    for (size_t i = 0; i < s->n_receipts && !rc; i++) {
        int64_t k;
        const sl_eth_receipt *r = &s->receipts[i];
        if ((rc = upsert(b, &r->tx_hash, r->block, r->has_index ? r->index : SL_ETH_NONE32,
                         r->has_block_hash ? &r->block_hash : NULL, &k)))
            break;
        if (b->w[k].rc >= 0) {
            const sl_eth_receipt *o = &s->receipts[b->w[k].rc];
            if (o->gas_used != r->gas_used ||
                (o->status != r->status && o->status != SL_ETH_STATUS_UNKNOWN && r->status != SL_ETH_STATUS_UNKNOWN)) {
                hexs(hx, r->tx_hash.b, 32);
                rc = sl_err(e, SL_ECORRUPT, "receipt of %s is given twice with different contents", hx);
            } else if (o->status == SL_ETH_STATUS_UNKNOWN || (!o->has_eff_price && r->has_eff_price)) {
                b->w[k].rc = (int64_t)i; /* keep the fuller receipt */
            }
        } else {
            b->w[k].rc = (int64_t)i;
        }
    }
    if (rc) return rc;
    B->trace_tx = sl_malloc((s->n_traces + 1) * sizeof *B->trace_tx);
    B->log_tx = sl_malloc((s->n_logs + 1) * sizeof *B->log_tx);
    B->xfer_tx = sl_malloc((s->n_xfers + 1) * sizeof *B->xfer_tx);
    if (!B->trace_tx || !B->log_tx || !B->xfer_tx) return oom(e);
    for (size_t i = 0; i < s->n_traces && !rc; i++) {
        const sl_eth_trace *t = &s->traces[i];
        int64_t k = -1;
        B->trace_tx[i] = SL_ETH_NONE32;
        if (t->type == SL_TRACE_REWARD) continue;
        if (t->has_tx) {
            if ((rc = upsert(b, &t->tx_hash, t->block, t->has_tx_index ? t->tx_index : SL_ETH_NONE32, NULL, &k))) break;
            B->trace_tx[i] = (uint32_t)k;
        }
    }
    for (size_t i = 0; i < s->n_logs && !rc; i++) {
        const sl_eth_log *l = &s->logs[i];
        int64_t k;
        if ((rc = upsert(b, &l->tx_hash, l->block, l->has_tx_index ? l->tx_index : SL_ETH_NONE32,
                         l->has_block_hash ? &l->block_hash : NULL, &k)))
            break;
        B->log_tx[i] = (uint32_t)k;
    }
    for (size_t i = 0; i < s->n_xfers && !rc; i++) {
        int64_t k;
        if ((rc = upsert(b, &s->xfers[i].tx_hash, s->xfers[i].block, SL_ETH_NONE32, NULL, &k))) break;
        B->xfer_tx[i] = (uint32_t)k;
    }
    if (rc) return rc;
    for (size_t k = 0; k < b->nw; k++)
        if (b->w[k].block == UINT64_MAX) {
            hexs(hx, b->w[k].hash.b, 32);
            return sl_err(e, SL_ECORRUPT, "transaction %s: no record says which block it is in", hx);
        }
    return SL_OK;
}

/* 2. The blocks: every number any record mentions, with the header fields the records
 * give (a hash given twice must agree, and so must a transaction's block hash). */
static int make_blocks(mbuild *B)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    sl_error *e = B->e;
    const bctx *b = &B->b;
    uint64_t *nums;
    size_t nn = 0;
    char hx[67];
    nums = sl_malloc((s->n_blocks + b->nw + s->n_traces + s->n_wds + 1) * sizeof *nums);
    if (!nums) return oom(e);
    for (size_t i = 0; i < s->n_blocks; i++) nums[nn++] = s->blocks[i].number;
    for (size_t i = 0; i < b->nw; i++) nums[nn++] = b->w[i].block;
    for (size_t i = 0; i < s->n_traces; i++)
        if (s->traces[i].block != UINT64_MAX) nums[nn++] = s->traces[i].block;
    for (size_t i = 0; i < s->n_wds; i++) nums[nn++] = s->wds[i].block;
    qsort(nums, nn, sizeof *nums, cmp_u64);
    {
        size_t u = 0;
        for (size_t i = 0; i < nn; i++)
            if (!u || nums[u - 1] != nums[i]) nums[u++] = nums[i];
        nn = u;
    }
    m->blocks = sl_calloc(nn + 1, sizeof *m->blocks);
    B->bref = sl_calloc(nn + 1, sizeof *B->bref);
    if (!m->blocks || !B->bref) {
        sl_free(nums);
        return oom(e);
    }
    m->n_blocks = nn;
    for (size_t i = 0; i < nn; i++) m->blocks[i].number = nums[i];
    sl_free(nums);
    for (size_t i = 0; i < s->n_blocks; i++) {
        const sl_eth_block *r = &s->blocks[i];
        sl_eth_mblock *mb = &m->blocks[block_of(m, r->number)];
        size_t bi = (size_t)(mb - m->blocks);
        if (r->has_hash) {
            if (mb->has_hash && memcmp(mb->hash.b, r->hash.b, 32))
                return sl_err(e, SL_ECORRUPT, "block %llu is given with two different hashes", (unsigned long long)r->number);
            mb->hash = r->hash, mb->has_hash = true;
        }
        if (r->has_miner && !mb->has_miner) mb->miner = r->miner, mb->has_miner = true;
        if (r->has_time && !mb->time) mb->time = r->time;
        if (r->has_base_fee && (!B->bref[bi] || !B->bref[bi]->has_base_fee)) B->bref[bi] = r;
        else if (!B->bref[bi]) B->bref[bi] = r;
    }
    for (size_t k = 0; k < b->nw; k++) { /* the block hash a transaction's records name is its block's */
        const sl_eth_mblock *mb = &m->blocks[block_of(m, b->w[k].block)];
        if (b->w[k].has_bhash && mb->has_hash && memcmp(b->w[k].bhash.b, mb->hash.b, 32)) {
            char h1[67], h2[67];
            hexs(hx, b->w[k].hash.b, 32), hexs(h1, b->w[k].bhash.b, 32), hexs(h2, mb->hash.b, 32);
            return sl_err(e, SL_ECORRUPT, "transaction %s names block hash %s, but block %llu is %s", hx, h1,
                          (unsigned long long)mb->number, h2);
        }
    }
    for (size_t i = 0; i < s->n_txs; i++) { /* flat exports carry the block time on the tx */
        sl_eth_mblock *mb = &m->blocks[block_of(m, s->txs[i].block)];
        if (s->txs[i].has_time && !mb->time) mb->time = s->txs[i].time;
    }
    return SL_OK;
}

/* 3. The transactions in chain order, each with what its records say (two at one index
 * of one block are an error), and each block's range of them. */
static int order_txs(mbuild *B)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    const bctx *b = &B->b;
    B->ord = sl_malloc((b->nw + 1) * sizeof *B->ord);
    B->pos = sl_malloc((b->nw + 1) * sizeof *B->pos);
    m->txs = sl_calloc(b->nw + 1, sizeof *m->txs);
    if (!B->ord || !B->pos || !m->txs) return oom(B->e);
    for (size_t i = 0; i < b->nw; i++) B->ord[i] = (uint32_t)i;
    qsort_r(B->ord, b->nw, sizeof *B->ord, cmp_wtx, b->w);
    m->n_txs = b->nw;
    for (size_t i = 0; i < b->nw; i++) {
        const wtx *w = &b->w[B->ord[i]];
        sl_eth_mtx *t = &m->txs[i];
        B->pos[B->ord[i]] = (uint32_t)i;
        if (i && w->index != SL_ETH_NONE32 && b->w[B->ord[i - 1]].block == w->block && b->w[B->ord[i - 1]].index == w->index)
            return sl_err(B->e, SL_ECORRUPT, "block %llu: two different transactions at index %u",
                          (unsigned long long)w->block, w->index);
        t->hash = w->hash;
        t->block = (uint32_t)block_of(m, w->block);
        t->index = w->index;
        t->status = SL_ETH_STATUS_UNKNOWN;
        if (w->tx >= 0) {
            const sl_eth_tx *r = &s->txs[w->tx];
            t->from = r->from, t->has_from = r->has_from;
            t->to = r->to, t->has_to = r->has_to;
            t->value = r->value;
            if (r->has_receipt) t->status = r->status;
        }
        if (w->rc >= 0) {
            const sl_eth_receipt *r = &s->receipts[w->rc];
            if (r->status != SL_ETH_STATUS_UNKNOWN) t->status = r->status;
            if (!t->has_from && r->has_from) t->from = r->from, t->has_from = true;
            if (!t->has_to && r->has_contract) t->to = r->contract, t->has_to = true, t->created = true;
        }
    }
    for (size_t k = 0; k < m->n_blocks; k++) m->blocks[k].first_tx = SL_ETH_NONE32;
    for (size_t i = 0; i < m->n_txs; i++) {
        sl_eth_mblock *mb = &m->blocks[m->txs[i].block];
        if (mb->first_tx == SL_ETH_NONE32) mb->first_tx = (uint32_t)i;
        mb->n_tx++;
    }
    return SL_OK;
}

/* 4. Every record in the order the flow pass reads them: traces (placed by hash, or by
 * block and position) by transaction and call address, logs and transfers by
 * transaction and log index, rewards and withdrawals by block. A top-level trace
 * completes a transaction known only from traces (mev-inspect). */
static int list_records(mbuild *B)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    sl_error *e = B->e;
    B->tk = sl_malloc((s->n_traces + 1) * sizeof *B->tk);
    B->lk = sl_malloc((s->n_logs + 1) * sizeof *B->lk);
    B->xk = sl_malloc((s->n_xfers + 1) * sizeof *B->xk);
    B->rk = sl_malloc((s->n_traces + 1) * sizeof *B->rk);
    B->wk = sl_malloc((s->n_wds + 1) * sizeof *B->wk);
    if (!B->tk || !B->lk || !B->xk || !B->rk || !B->wk) return oom(e);
    for (size_t i = 0; i < s->n_traces; i++) {
        const sl_eth_trace *t = &s->traces[i];
        uint32_t tx = B->trace_tx[i];
        key *k;
        if (t->type == SL_TRACE_REWARD) continue;
        if (tx == SL_ETH_NONE32) {
            int64_t bi = t->block == UINT64_MAX ? -1 : block_of(m, t->block);
            const sl_eth_mblock *mb = bi >= 0 ? &m->blocks[bi] : NULL;
            if (!mb || t->tx_index == SL_ETH_NONE32)
                return sl_err(e, SL_ECORRUPT, "a call trace names neither its transaction hash nor its block and position "
                              "(give debug_traceBlockByNumber results with txHash, or the block's transactions too)");
            for (uint32_t j = 0; mb->first_tx != SL_ETH_NONE32 && j < mb->n_tx; j++)
                if (m->txs[mb->first_tx + j].index == t->tx_index) tx = mb->first_tx + j;
            if (tx == SL_ETH_NONE32)
                return sl_err(e, SL_ECORRUPT, "block %llu: a trace of transaction position %u, which is not in the input",
                              (unsigned long long)t->block, t->tx_index);
        } else {
            tx = B->pos[tx];
        }
        k = &B->tk[B->ntk++];
        k->tx = tx, k->a = k->b = 0, k->rec = (uint32_t)i;
    }
    qsort_r(B->tk, B->ntk, sizeof *B->tk, cmp_trace_key, (void *)s);
    for (size_t i = 0; i < s->n_logs; i++)
        B->lk[B->nlk++] = (key){B->pos[B->log_tx[i]], s->logs[i].log_index, 0, (uint32_t)i};
    qsort(B->lk, B->nlk, sizeof *B->lk, cmp_key);
    for (size_t i = 0; i < s->n_xfers; i++)
        B->xk[B->nxk++] = (key){B->pos[B->xfer_tx[i]], s->xfers[i].log_index, 0, (uint32_t)i};
    qsort(B->xk, B->nxk, sizeof *B->xk, cmp_key);
    for (size_t i = 0; i < B->ntk; i++) {
        const sl_eth_trace *t = &s->traces[B->tk[i].rec];
        sl_eth_mtx *mt = &m->txs[B->tk[i].tx];
        if (t->addr_len != 0) continue;
        if (t->failed && mt->status == SL_ETH_STATUS_UNKNOWN) mt->status = SL_ETH_STATUS_FAIL;
        if (!mt->has_from && (t->type == SL_TRACE_CALL || t->type == SL_TRACE_CREATE)) {
            mt->from = t->from, mt->has_from = true;
            mt->value = t->value;
            if (t->has_to) mt->to = t->to, mt->has_to = true, mt->created = t->type == SL_TRACE_CREATE;
        } else if (!mt->has_to && t->type == SL_TRACE_CREATE && t->has_to) {
            mt->to = t->to, mt->has_to = true, mt->created = true;
        }
    }
    for (size_t i = 0; i < s->n_traces; i++)
        if (s->traces[i].type == SL_TRACE_REWARD)
            B->rk[B->nrk++] = (bkey){s->traces[i].block, s->traces[i].order, (uint32_t)i};
    for (size_t i = 0; i < s->n_wds; i++) B->wk[B->nwk++] = (bkey){s->wds[i].block, (uint32_t)i, (uint32_t)i};
    qsort(B->rk, B->nrk, sizeof *B->rk, cmp_bkey);
    qsort(B->wk, B->nwk, sizeof *B->wk, cmp_bkey);
    return SL_OK;
}

/* 5a. The fee of transaction txi (block bi) and its flows: the base fee burnt, the tip
 * to the miner (or the fee sink). Tron's fees are energy, not a price: unknown. */
static int fee_flows(mbuild *B, size_t bi, uint32_t txi, const sl_eth_tx *tr, const sl_eth_receipt *rr)
{
    sl_eth_model *m = B->m;
    sl_error *e = B->e;
    sl_eth_mtx *mt = &m->txs[txi];
    const sl_eth_mblock *mb = &m->blocks[bi];
    const sl_eth_block *br = B->bref[bi];
    bool gas_known = false, price_known = false;
    uint64_t gas_used = 0;
    sl_u256 price = {{0}}, fee, burn = {{0}}, tip;
    sl_eth_flow *f;
    char hx[67];
    int rc;
    if (rr) gas_used = rr->gas_used, gas_known = true;
    else if (tr && tr->has_receipt) gas_used = tr->gas_used, gas_known = true;
    if (rr && rr->has_eff_price) price = rr->eff_price, price_known = true;
    else if (tr && tr->has_eff_price) price = tr->eff_price, price_known = true;
    else if (tr && tr->type == 2 && tr->has_max_fee && br && br->has_base_fee) {
        sl_u256 p;
        if (!sl_u256_add(&p, &br->base_fee, &tr->max_prio)) p = tr->max_fee;
        price = sl_u256_cmp(&p, &tr->max_fee) < 0 ? p : tr->max_fee;
        price_known = true;
    } else if (tr) {
        price = tr->gas_price, price_known = true;
    }
    if (price_known && !B->tron) mt->gas_price = price;
    if (gas_known && B->tron) mt->fee_known = false;
    if (!gas_known || !price_known || B->tron) return SL_OK;
    if (!sl_u256_mul64(&fee, &price, gas_used)) {
        hexs(hx, mt->hash.b, 32);
        return sl_err(e, SL_ECORRUPT, "transaction %s: fee above 2^256-1", hx);
    }
    mt->fee = fee, mt->fee_known = true;
    if (br && br->has_base_fee && !sl_u256_mul64(&burn, &br->base_fee, gas_used)) burn = fee;
    if (!sl_u256_sub(&tip, &fee, &burn)) {
        hexs(hx, mt->hash.b, 32);
        return sl_err(e, SL_ECORRUPT, "transaction %s: gas price below the block's base fee", hx);
    }
    if (mt->has_from && !sl_u256_is_zero(&burn)) {
        if ((rc = push_flow(m, e, &f))) return rc;
        f->tx = txi, f->block = (uint32_t)bi, f->sub = 0, f->kind = SL_FLOW_BURN;
        f->from = mt->from, f->to_sink = SL_SINK_BURN, f->amount = burn;
    }
    if (mt->has_from && !sl_u256_is_zero(&tip)) {
        if ((rc = push_flow(m, e, &f))) return rc;
        f->tx = txi, f->block = (uint32_t)bi, f->sub = 1, f->kind = SL_FLOW_FEE;
        f->from = mt->from, f->amount = tip;
        if (mb->has_miner) f->to = mb->miner;
        else f->to_sink = SL_SINK_FEES;
    }
    return SL_OK;
}

/* 5b. The native value of transaction txi, unless it failed (on Tron, a transaction with
 * no sender is a reward withdrawal: from the mint sink). */
static int native_flow(mbuild *B, size_t bi, uint32_t txi, const sl_eth_tx *tr)
{
    sl_eth_mtx *mt = &B->m->txs[txi];
    sl_eth_flow *f;
    int rc;
    if (mt->status == SL_ETH_STATUS_FAIL || !(mt->has_from || (B->tron && tr)) || sl_u256_is_zero(&mt->value))
        return SL_OK;
    if ((rc = push_flow(B->m, B->e, &f))) return rc;
    f->tx = txi, f->block = (uint32_t)bi, f->sub = 2, f->kind = SL_FLOW_NATIVE;
    f->from = mt->from, f->amount = mt->value;
    if (!mt->has_from) f->from_sink = SL_SINK_MINT, f->kind = SL_FLOW_REWARD;
    if (mt->has_to) f->to = mt->to;
    else f->to_sink = SL_SINK_NONE, f->to_sink = 0, memset(f->to.b, 0, 20);
    return SL_OK;
}

/* 5c. Transaction txi's internal transfers: its call traces depth-first, skipping
 * everything under a failed call (a duplicate of the same trace is read once). */
static int internal_flows(mbuild *B, size_t bi, uint32_t txi)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    sl_error *e = B->e;
    sl_eth_mtx *mt = &m->txs[txi];
    size_t sp = 0;
    uint32_t k = 0;
    char hx[67], ax[64];
    int rc;
    while (B->ti < B->ntk && B->tk[B->ti].tx < txi) B->ti++;
    for (; B->ti < B->ntk && B->tk[B->ti].tx == txi; B->ti++) {
        const sl_eth_trace *t = &s->traces[B->tk[B->ti].rec];
        const uint32_t *a = sl_eth_trace_addr(s, t);
        sl_eth_flow *f;
        bool reverted;
        while (sp > 0) { /* pop to the parent */
            const sl_eth_trace *p = &s->traces[B->stack_rec[sp - 1]];
            const uint32_t *pa = sl_eth_trace_addr(s, p);
            if (p->addr_len < t->addr_len && memcmp(pa, a, p->addr_len * 4) == 0) break;
            if (p->addr_len == t->addr_len && memcmp(pa, a, p->addr_len * 4) == 0 && p->type == t->type &&
                !sl_u256_cmp(&p->value, &t->value))
                break; /* an identical duplicate (same block given twice) */
            sp--;
        }
        if (sp > 0 && s->traces[B->stack_rec[sp - 1]].addr_len == t->addr_len) continue;
        if (t->addr_len >= 2 && (sp == 0 || s->traces[B->stack_rec[sp - 1]].addr_len != t->addr_len - 1)) {
            hexs(hx, mt->hash.b, 32);
            addr_str(ax, sizeof ax, s, a, t->addr_len - 1);
            return sl_err(e, SL_ECORRUPT, "transaction %s: trace at address [%u...] has no parent trace %s", hx, a[0], ax);
        }
        reverted = t->failed || (sp > 0 && B->stack_rev[sp - 1]) || mt->status == SL_ETH_STATUS_FAIL;
        if (sp + 1 > B->stack_cap) {
            size_t nc = B->stack_cap ? B->stack_cap * 2 : 64;
            uint32_t *a1 = sl_realloc(B->stack_rec, nc * sizeof *a1);
            bool *a2;
            if (!a1) return oom(e);
            B->stack_rec = a1;
            if (!(a2 = sl_realloc(B->stack_rev, nc * sizeof *a2))) return oom(e);
            B->stack_rev = a2;
            B->stack_cap = nc;
        }
        B->stack_rec[sp] = B->tk[B->ti].rec;
        B->stack_rev[sp] = reverted;
        sp++;
        if (t->addr_len >= 1 && !reverted && !sl_u256_is_zero(&t->value) &&
            ((t->type == SL_TRACE_CALL && (t->call_type == SL_CALL_CALL || t->call_type == SL_CALL_NONE)) ||
             t->type == SL_TRACE_CREATE || t->type == SL_TRACE_SUICIDE)) {
            if ((rc = push_flow(m, e, &f))) return rc;
            f->tx = txi, f->block = (uint32_t)bi, f->sub = 0x100 + k++, f->kind = SL_FLOW_INTERNAL;
            f->from = t->from, f->amount = t->value;
            if (t->has_to) f->to = t->to;
            m->n_internal++;
        }
    }
    return SL_OK;
}

/* 5d. Transaction txi's token flows: Transfer events and wrapped-native Deposit /
 * Withdrawal events from its logs, else the transfers an export lists (one per log). */
static int token_flows(mbuild *B, size_t bi, uint32_t txi)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    sl_error *e = B->e;
    bool any_log = false;
    uint32_t last_li = SL_ETH_NONE32;
    sl_eth_flow *f;
    int rc;
    while (B->li < B->nlk && B->lk[B->li].tx < txi) B->li++;
    for (; B->li < B->nlk && B->lk[B->li].tx == txi; B->li++) {
        const sl_eth_log *l = &s->logs[B->lk[B->li].rec];
        const uint8_t *d = sl_eth_arena(s, l->data_off);
        any_log = true;
        if (l->log_index == last_li) continue; /* duplicate (e.g. receipts and logs) */
        last_li = l->log_index;
        if (l->n_topics == 3 && l->data_len == 32 && !memcmp(l->topics[0].b, TOPIC_TRANSFER, 32)) {
            if ((rc = push_flow(m, e, &f))) return rc;
            f->kind = SL_FLOW_TOKEN;
            memcpy(f->from.b, l->topics[1].b + 12, 20);
            memcpy(f->to.b, l->topics[2].b + 12, 20);
        } else if (l->n_topics == 2 && l->data_len == 32 &&
                   (!memcmp(l->topics[0].b, TOPIC_DEPOSIT, 32) || !memcmp(l->topics[0].b, TOPIC_WITHDRAWAL, 32))) {
            const sl_eth_token *tok = sl_eth_token_find(s->chain->name, &l->address);
            if (!tok || !tok->wrapped) continue;
            if ((rc = push_flow(m, e, &f))) return rc;
            f->kind = SL_FLOW_TOKEN;
            if (!memcmp(l->topics[0].b, TOPIC_DEPOSIT, 32)) {
                f->from_sink = SL_SINK_MINT;
                memcpy(f->to.b, l->topics[1].b + 12, 20);
            } else {
                memcpy(f->from.b, l->topics[1].b + 12, 20);
                f->to_sink = SL_SINK_BURN;
            }
        } else {
            continue;
        }
        f->tx = txi, f->block = (uint32_t)bi, f->sub = 0x1000000 + l->log_index;
        f->native = false;
        f->asset = l->address;
        sl_u256_from_be(&f->amount, d);
        m->n_token++;
    }
    while (B->xi < B->nxk && B->xk[B->xi].tx < txi) B->xi++;
    for (; B->xi < B->nxk && B->xk[B->xi].tx == txi; B->xi++) {
        const sl_eth_xfer *x = &s->xfers[B->xk[B->xi].rec];
        size_t xi = B->xi;
        if (any_log || (xi > 0 && B->xk[xi - 1].tx == txi && B->xk[xi - 1].a == B->xk[xi].a)) continue;
        if ((rc = push_flow(m, e, &f))) return rc;
        f->tx = txi, f->block = (uint32_t)bi, f->sub = 0x1000000 + x->log_index;
        f->kind = SL_FLOW_TOKEN;
        f->native = false;
        f->asset = x->token, f->from = x->from, f->to = x->to, f->amount = x->value;
        m->n_token++;
    }
    return SL_OK;
}

/* One annotation of transaction txi with bytes p[0..n). */
static int push_annot(mbuild *B, uint32_t txi, const uint8_t *p, size_t n, sl_eth_mannot **out)
{
    sl_eth_model *m = B->m;
    void *q = m->annots;
    sl_eth_mannot *a;
    if (m->abytes.len + n > UINT32_MAX)
        return sl_err(B->e, SL_ELIMIT, "a segment's annotation bytes pass 4 GiB");
    if (sl_grow(&q, &m->cap_annots, m->n_annots + 1, sizeof *m->annots)) return oom(B->e);
    m->annots = q;
    a = &m->annots[m->n_annots++];
    memset(a, 0, sizeof *a);
    a->tx = txi;
    a->data_off = (uint32_t)m->abytes.len;
    a->data_len = (uint32_t)n;
    if (n && sl_buf_append(&m->abytes, p, n)) return oom(B->e);
    *out = a;
    return SL_OK;
}

/* 5e'. Transaction txi's annotations (annot.h): its input when it reads as a text memo
 * (THORChain's memo in calldata), then its logs of known events; none for a failed tx. */
static int tx_annots(mbuild *B, uint32_t txi, const sl_eth_tx *tr)
{
    const sl_eth_set *s = B->s;
    sl_eth_mtx *mt = &B->m->txs[txi];
    uint32_t last_li = SL_ETH_NONE32;
    sl_eth_mannot *a;
    int rc;
    mt->first_annot = (uint32_t)B->m->n_annots;
    while (B->ai < B->nlk && B->lk[B->ai].tx < txi) B->ai++;
    if (mt->status == SL_ETH_STATUS_FAIL) goto done;
    if (tr && tr->input_len >= 1 && tr->input_len <= 250 &&
        sl_annot_printable(sl_eth_arena(s, tr->input_off), tr->input_len)) {
        if ((rc = push_annot(B, txi, sl_eth_arena(s, tr->input_off), tr->input_len, &a))) return rc;
        a->kind = SL_ANNOT_INPUT;
    }
    for (; B->ai < B->nlk && B->lk[B->ai].tx == txi; B->ai++) {
        const sl_eth_log *l = &s->logs[B->lk[B->ai].rec];
        int ev;
        if (l->log_index == last_li) continue; /* duplicate (e.g. receipts and logs) */
        last_li = l->log_index;
        if (!l->n_topics || (ev = sl_annot_event_of(l->topics[0].b)) == SL_EV_NONE) continue;
        if ((rc = push_annot(B, txi, sl_eth_arena(s, l->data_off), l->data_len, &a))) return rc;
        a->kind = SL_ANNOT_EVENT, a->event = (uint8_t)ev, a->idx = l->log_index;
        a->contract = l->address;
        a->n_topics = l->n_topics;
        memcpy(a->topics, l->topics, sizeof a->topics);
    }
done:
    mt->n_annots = (uint32_t)B->m->n_annots - mt->first_annot;
    return SL_OK;
}

/* 5e. Block bi's own flows: rewards (a reward given twice is read once) and withdrawals,
 * from the mint sink. */
static int block_flows(mbuild *B, size_t bi)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    sl_eth_mblock *mb = &m->blocks[bi];
    uint32_t k = 0;
    sl_eth_flow *f;
    int rc;
    while (B->ri < B->nrk && B->rk[B->ri].a < mb->number) B->ri++;
    for (; B->ri < B->nrk && B->rk[B->ri].a == mb->number; B->ri++) {
        const sl_eth_trace *t = &s->traces[B->rk[B->ri].rec];
        bool dup = false;
        if (sl_u256_is_zero(&t->value)) continue;
        for (size_t q = mb->first_flow; q < m->n_flows; q++)
            if (m->flows[q].kind == SL_FLOW_REWARD && m->flows[q].tx == SL_ETH_NONE32 && m->flows[q].sub >= 0x40000000 &&
                !memcmp(m->flows[q].to.b, t->to.b, 20) && !sl_u256_cmp(&m->flows[q].amount, &t->value) &&
                (m->flows[q].sub & 0xff000000) == (uint32_t)(0x40000000 + ((uint32_t)t->reward_type << 24)))
                dup = true;
        if (dup) continue;
        if ((rc = push_flow(m, B->e, &f))) return rc;
        f->tx = SL_ETH_NONE32, f->block = (uint32_t)bi, f->kind = SL_FLOW_REWARD;
        f->sub = 0x40000000 + ((uint32_t)t->reward_type << 24) + k++;
        f->from_sink = SL_SINK_MINT, f->to = t->to, f->amount = t->value;
    }
    while (B->wi < B->nwk && B->wk[B->wi].a < mb->number) B->wi++;
    for (; B->wi < B->nwk && B->wk[B->wi].a == mb->number; B->wi++) {
        const sl_eth_withdrawal *w = &s->wds[B->wk[B->wi].rec];
        if (sl_u256_is_zero(&w->amount)) continue;
        if ((rc = push_flow(m, B->e, &f))) return rc;
        f->tx = SL_ETH_NONE32, f->block = (uint32_t)bi, f->kind = SL_FLOW_REWARD;
        f->sub = 0x70000000 + k++;
        f->from_sink = SL_SINK_MINT, f->to = w->address, f->amount = w->amount;
    }
    return SL_OK;
}

/* 5. The flows, block by block, transaction by transaction (fees, native value, internal
 * transfers, tokens), then the block's own. */
static int make_flows(mbuild *B)
{
    const sl_eth_set *s = B->s;
    sl_eth_model *m = B->m;
    int rc = SL_OK;
    for (size_t bi = 0; bi < m->n_blocks && !rc; bi++) {
        sl_eth_mblock *mb = &m->blocks[bi];
        mb->first_flow = (uint32_t)m->n_flows;
        for (uint32_t j = 0; mb->first_tx != SL_ETH_NONE32 && j < mb->n_tx && !rc; j++) {
            uint32_t txi = mb->first_tx + j;
            sl_eth_mtx *mt = &m->txs[txi];
            const wtx *w = &B->b.w[B->ord[txi]];
            const sl_eth_tx *tr = w->tx >= 0 ? &s->txs[w->tx] : NULL;
            const sl_eth_receipt *rr = w->rc >= 0 ? &s->receipts[w->rc] : NULL;
            mt->first_flow = (uint32_t)m->n_flows;
            if ((rc = fee_flows(B, bi, txi, tr, rr)) || (rc = native_flow(B, bi, txi, tr)) ||
                (rc = internal_flows(B, bi, txi)) || (rc = token_flows(B, bi, txi)) || (rc = tx_annots(B, txi, tr)))
                break;
            mt->n_flows = (uint32_t)m->n_flows - mt->first_flow;
        }
        if (!rc) rc = block_flows(B, bi);
        mb->n_flows = (uint32_t)m->n_flows - mb->first_flow;
    }
    return rc;
}

int sl_eth_model_build(sl_eth_model *m, const sl_eth_set *s, sl_error *e)
{
    mbuild B;
    int rc;
    memset(m, 0, sizeof *m);
    memset(&B, 0, sizeof B);
    B.m = m, B.s = s, B.e = e;
    B.b.s = s, B.b.e = e;
    B.tron = s->chain && s->chain->tron;
    sl_htid_init(&B.b.ht, wkey, &B.b);
    if (!(rc = index_txs(&B)) && !(rc = make_blocks(&B)) && !(rc = order_txs(&B)) && !(rc = list_records(&B)))
        rc = make_flows(&B);
    sl_free(B.b.w);
    sl_htid_free(&B.b.ht);
    sl_free(B.ord);
    sl_free(B.pos);
    sl_free(B.trace_tx);
    sl_free(B.log_tx);
    sl_free(B.xfer_tx);
    sl_free(B.tk);
    sl_free(B.lk);
    sl_free(B.xk);
    sl_free(B.rk);
    sl_free(B.wk);
    sl_free(B.bref);
    sl_free(B.stack_rec);
    sl_free(B.stack_rev);
    if (rc) sl_eth_model_free(m);
    return rc;
}
