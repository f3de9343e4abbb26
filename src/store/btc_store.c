/* btc_store.c — the Bitcoin-family backend of the store (format 3, layout and commit
 * protocol in include/sleuth/store.h): opening its files, the look-ups, the batch writer
 * the ingest layer drives, crash recovery, rollback.
 *
 * The writer's work per transaction is sequential appends plus probes of two tables kept
 * in memory: addr.map (address -> id, fpmap.h) and utxo.map (outpoint -> unspent output,
 * utxo.h). Everything else a transaction changes — the txid index, the addresses'
 * histories, the spent marks — is collected in memory and written at the commit in one
 * sorted pass (runs.h, spent.col). So the cost per transaction does not depend on how
 * large the store already is, as long as the two tables fit in memory.
 *
 * The address table has two tiers so that it need not fit: addr.map holds the ids from
 * `acold` on (the hot tier, random access), and the ids below it live in sorted checked key
 * runs (runs "a", runs.h's keyc kind, the cold tier: 48 bits of the address's fingerprint
 * h1 -> id and 32 bits of h2, with a Bloom filter each, read-only pages the kernel can drop
 * without writing anything back). A writer given
 * a budget for the table (sl_btc_set_budget) moves the hot tier into a new cold run at the
 * start of a batch when the next batch would take it past the budget (spill_addresses), in
 * a commit of its own; without a budget the hot tier holds every address (one tier).
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "fpmap.h"
#include "runs.h"
#include "sleuth/chains.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"
#include "store_int.h"
#include "utxo.h"

_Static_assert(sizeof(sl_btc_blockrec) == 160, "blocks.col record");
_Static_assert(sizeof(sl_btc_extin) == 64, "extins.col record");
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sleuth's on-disk records are little-endian and mapped directly"
#endif

/* bstart.col: the counts as they were when a block began; rollback reads them. */
typedef struct bstart_rec {
    uint64_t n_in, n_out, n_extin, n_wtx, n_abytes;
    uint32_t n_addr, reserved;
} bstart_rec;
_Static_assert(sizeof(bstart_rec) == 48, "bstart.col record");

enum { C_BLOCKS, C_BSTART, C_TXIDS, C_TXS, C_OUTS, C_INS, C_SPENT, C_EXTINS, C_WTX, C_ADDRS, C_ADDRX, C_N };
static const struct { const char *name; size_t rec; } COLS[C_N] = {
    {"blocks", 160}, {"bstart", 48}, {"txids", 32}, {"txs", 16}, {"outs", 12}, {"ins", 8},
    {"spent", 5},    {"extins", 64}, {"wtx", 37},   {"addrs", 1}, {"addrx", 8},
};
#define TXS_COINBASE 0x800000u /* bit 23 of the stripped size */
#define ADDRX_EVERY 16

typedef struct spend { uint64_t ref, tx; } spend; /* SL_REF(prev tx, vout) spent by tx */

typedef struct sl_btc_state {
    bool writer;
    MDB_dbi db_block, db_height;
    MDB_txn *wtxn;
    sl_col col[C_N];
    sl_fpmap amap;
    sl_utxo utxo;
    bool have_utxo;
    sl_runs truns, hruns, aruns;
    uint64_t acold;           /* committed: ids below it are in aruns, not in amap */
    uint64_t acap, abudget;   /* amap's bound (fixed), or the ingest's whole budget (0: none) */
    uint64_t abatch;          /* new addresses per batch */
    sl_btc_meta cm, m;        /* committed; working (= cm unless a batch is open) */
    const sl_btc_net *net;
    char bdir[512];
    uint8_t *man_t, *man_h, *man_a; /* the committed run lists */
    size_t man_tn, man_hn, man_an;
    /* the open batch */
    uint64_t tx0;
    uint64_t amap_gen0;       /* addr.map's growth count when the batch began */
    sl_runs_kv *kv;
    size_t nkv, capkv;
    sl_hist_ev *ev;
    size_t nev, capev;
    spend *sp;
    size_t nsp, capsp;
    bool spent_applied;
    sl_ht batch_txids;        /* txid -> tx id of the batch, made on its first unknown prevout */
    bool batch_ix;
    sl_btc_prep prep;         /* for appends given no preparation */
    sl_btc_prepkeys keys;
} sl_btc_state;

#define B(s) ((s)->btc)

static uint64_t *col_count(sl_btc_meta *m, int c)
{
    switch (c) {
    case C_BLOCKS: case C_BSTART: return &m->n_blocks;
    case C_TXIDS: case C_TXS: return &m->n_tx;
    case C_OUTS: case C_SPENT: return &m->n_out;
    case C_INS: return &m->n_in;
    case C_EXTINS: return &m->n_extin;
    case C_WTX: return &m->n_wtx;
    case C_ADDRS: return &m->n_abytes;
    default: return NULL; /* addrx: derived */
    }
}

static uint64_t col_records(const sl_btc_meta *m, int c)
{
    if (c == C_ADDRX) return (m->n_addr + ADDRX_EVERY - 1) / ADDRX_EVERY;
    return *col_count((sl_btc_meta *)m, c);
}

/* Record i of column c: through the mapping for a reader; for the writer from its append
 * buffer or the (re)mapped file. A writer must not keep the pointer across another call. */
static inline const uint8_t *R(const sl_store *s, int c, uint64_t i)
{
    sl_btc_state *b = B(s);
    if (__builtin_expect(b->writer, 0)) return sl_col_rec(&b->col[c], i);
    return sl_col_at(&b->col[c], i);
}
static inline const uint8_t *Rn(const sl_store *s, int c, uint64_t i, uint64_t n)
{
    sl_btc_state *b = B(s);
    if (__builtin_expect(b->writer, 0)) return sl_col_rec_n(&b->col[c], i, n);
    return sl_col_at(&b->col[c], i);
}

static inline uint32_t le24(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16; }
static inline void put_le24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16); }
static inline uint64_t le56(const uint8_t *p) { return sl_le32(p) | (uint64_t)le24(p + 4) << 32; }

/* ---------------- reading ---------------- */

const sl_btc_meta *sl_btc_meta_get(const sl_store *s) { return &B(s)->m; }
const sl_btc_net *sl_store_btc_net(const sl_store *s) { return B(s)->net; }

const sl_btc_blockrec *sl_btc_block_at(const sl_store *s, uint64_t i)
{
    return i < B(s)->m.n_blocks ? (const sl_btc_blockrec *)sl_col_at(&B(s)->col[C_BLOCKS], i) : NULL;
}

static MDB_txn *txn_of(const sl_store *s) { return B(s)->wtxn ? B(s)->wtxn : s->rtxn; }

static int get_u32(const sl_store *s, MDB_dbi db, const void *key, size_t klen, uint32_t *out)
{
    MDB_val k = {klen, (void *)key}, v;
    if (mdb_get(txn_of(s), db, &k, &v) || v.mv_size != 4) return SL_ENOTFOUND;
    memcpy(out, v.mv_data, 4);
    return SL_OK;
}

int sl_btc_block_by_hash(const sl_store *s, const sl_hash256 *h, uint32_t *idx)
{
    if (get_u32(s, B(s)->db_block, h->b, 32, idx) || *idx >= B(s)->m.n_blocks) return SL_ENOTFOUND;
    return SL_OK;
}

int sl_btc_block_by_height(const sl_store *s, uint32_t height, uint32_t *idx)
{
    if (get_u32(s, B(s)->db_height, &height, 4, idx) || *idx >= B(s)->m.n_blocks) return SL_ENOTFOUND;
    return SL_OK;
}

uint32_t sl_btc_tx_block(const sl_store *s, uint64_t id)
{
    const sl_btc_state *b = B(s);
    uint64_t lo = 0, hi = b->m.n_blocks; /* answer in [lo, hi): the last block with first_tx <= id */
    if (!hi) return 0;
    for (int step = 0; step < 3 && hi - lo > 8; step++) {
        uint64_t flo = sl_btc_block_at(s, lo)->first_tx, mid;
        uint64_t fhi = hi < b->m.n_blocks ? sl_btc_block_at(s, hi)->first_tx : b->m.n_tx;
        if (fhi <= flo) break;
        mid = lo + (uint64_t)((unsigned __int128)(id - flo) * (hi - lo) / (fhi - flo));
        if (mid <= lo) mid = lo + 1;
        if (mid >= hi) mid = hi - 1;
        if (sl_btc_block_at(s, mid)->first_tx <= id) lo = mid;
        else hi = mid;
    }
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (sl_btc_block_at(s, mid)->first_tx <= id) lo = mid;
        else hi = mid;
    }
    return (uint32_t)lo;
}

uint64_t sl_btc_tx_first_in(const sl_store *s, uint64_t id) { return sl_le40(R(s, C_TXS, id)); }
uint64_t sl_btc_tx_first_out(const sl_store *s, uint64_t id) { return sl_le40(R(s, C_TXS, id) + 5); }

uint32_t sl_btc_tx_n_in(const sl_store *s, uint64_t id)
{
    uint64_t a = sl_btc_tx_first_in(s, id);
    return (uint32_t)((id + 1 < B(s)->m.n_tx ? sl_btc_tx_first_in(s, id + 1) : B(s)->m.n_in) - a);
}

uint32_t sl_btc_tx_n_out(const sl_store *s, uint64_t id)
{
    uint64_t a = sl_btc_tx_first_out(s, id);
    return (uint32_t)((id + 1 < B(s)->m.n_tx ? sl_btc_tx_first_out(s, id + 1) : B(s)->m.n_out) - a);
}

bool sl_btc_tx_is_coinbase(const sl_store *s, uint64_t id) { return le24(R(s, C_TXS, id) + 10) & TXS_COINBASE; }
const sl_hash256 *sl_btc_txid(const sl_store *s, uint64_t id) { return (const sl_hash256 *)R(s, C_TXIDS, id); }

int sl_btc_tx_get(const sl_store *s, uint64_t id, sl_btc_txrec *t)
{
    const uint8_t *r;
    uint32_t base, wit;
    if (id >= B(s)->m.n_tx) return SL_ENOTFOUND;
    r = R(s, C_TXS, id);
    t->id = id;
    t->first_in = sl_le40(r);
    t->first_out = sl_le40(r + 5);
    base = le24(r + 10);
    wit = le24(r + 13);
    t->flags = (base & TXS_COINBASE ? SL_TX_COINBASE : 0) | (wit ? SL_TX_SEGWIT : 0);
    base &= ~TXS_COINBASE;
    t->size = base + wit;
    t->weight = 4 * base + wit;
    t->n_in = sl_btc_tx_n_in(s, id);
    t->n_out = sl_btc_tx_n_out(s, id);
    memcpy(t->txid.b, R(s, C_TXIDS, id), 32);
    t->block = sl_btc_tx_block(s, id);
    return SL_OK;
}

static uint64_t key48(const uint8_t *txid)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++) k = k << 8 | txid[i];
    return k;
}

typedef struct findctx {
    const sl_store *s;
    const uint8_t *txid;
    uint64_t below;
    uint64_t *ids;
    int n, cap;
} findctx;

static void find_cb(void *ctx, uint64_t id)
{
    findctx *f = ctx;
    if (id >= f->below || f->n >= f->cap || memcmp(R(f->s, C_TXIDS, id), f->txid, 32) != 0) return;
    for (int j = 0; j < f->n; j++)
        if (f->ids[j] == id) return;
    f->ids[f->n++] = id;
}

int sl_btc_tx_find(const sl_store *s, const sl_hash256 *txid, uint64_t *ids, int cap)
{
    findctx f = {s, txid->b, B(s)->cm.n_tx, ids, 0, cap};
    sl_runs_find_key(&B(s)->truns, key48(txid->b), find_cb, &f);
    if (B(s)->batch_ix) { /* the writer's open batch */
        uint64_t id;
        if (sl_ht_get(&B(s)->batch_txids, txid->b, 32, &id) && f.n < cap) ids[f.n++] = id;
    }
    for (int i = 1; i < f.n; i++)
        for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint64_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    return f.n;
}

void sl_btc_tx_wtxid(const sl_store *s, uint64_t id, sl_hash256 *out)
{
    uint64_t lo = 0, hi = B(s)->m.n_wtx;
    memcpy(out->b, R(s, C_TXIDS, id), 32);
    if (!le24(R(s, C_TXS, id) + 13)) return;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, tid = sl_le40(R(s, C_WTX, mid));
        if (tid == id) {
            memcpy(out->b, R(s, C_WTX, mid) + 5, 32);
            return;
        }
        if (tid < id) lo = mid + 1;
        else hi = mid;
    }
}

/* Last tx whose first_{in,out} <= x: interpolation (first_in/first_out grow almost
 * linearly with the tx id), then bisection. */
static uint64_t tx_search(const sl_store *s, uint64_t x, bool outs)
{
    uint64_t lo = 0, hi = B(s)->m.n_tx, flo = 0, fhi = outs ? B(s)->m.n_out : B(s)->m.n_in;
    for (int step = 0; step < 4 && hi - lo > 16; step++) {
        uint64_t mid = lo + (uint64_t)((unsigned __int128)(x - flo) * (hi - lo) / (fhi - flo + 1)), fm;
        if (mid <= lo) mid = lo + 1;
        if (mid >= hi) mid = hi - 1;
        fm = outs ? sl_btc_tx_first_out(s, mid) : sl_btc_tx_first_in(s, mid);
        if (fm <= x) lo = mid, flo = fm;
        else hi = mid, fhi = fm;
    }
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((outs ? sl_btc_tx_first_out(s, mid) : sl_btc_tx_first_in(s, mid)) <= x) lo = mid;
        else hi = mid;
    }
    return lo;
}
uint64_t sl_btc_tx_of_out(const sl_store *s, uint64_t o) { return tx_search(s, o, true); }
uint64_t sl_btc_tx_of_in(const sl_store *s, uint64_t i) { return tx_search(s, i, false); }

void sl_btc_out_get(const sl_store *s, uint64_t o, sl_btc_outrec *r)
{
    const uint8_t *p = R(s, C_OUTS, o);
    r->value = le56(p);
    r->addr = sl_le32(p + 7);
    r->type = p[11];
}
uint64_t sl_btc_out_value(const sl_store *s, uint64_t o) { return le56(R(s, C_OUTS, o)); }
uint32_t sl_btc_out_addr(const sl_store *s, uint64_t o) { return sl_le32(R(s, C_OUTS, o) + 7); }
uint64_t sl_btc_in_at(const sl_store *s, uint64_t i) { return sl_le64(R(s, C_INS, i)); }

const sl_btc_extin *sl_btc_extin_at(const sl_store *s, uint64_t k)
{
    return k < B(s)->m.n_extin ? (const sl_btc_extin *)R(s, C_EXTINS, k) : NULL;
}

int sl_btc_in_prevout(const sl_store *s, uint64_t i, uint64_t *tx, uint32_t *vout)
{
    uint64_t r = sl_btc_in_at(s, i);
    if (r == SL_IN_COINBASE || (r & SL_IN_EXT)) return SL_ENOTFOUND;
    *tx = SL_REF_TX(r);
    *vout = SL_REF_IDX(r);
    return SL_OK;
}

static uint64_t ref_out(const sl_store *s, uint64_t r) { return sl_btc_tx_first_out(s, SL_REF_TX(r)) + SL_REF_IDX(r); }

/* The tx that spent output o, by its spent mark (a mark naming a tx past the committed
 * count is not believed). spent.col is written in place, never through the append
 * buffer; a writer's open batch has written no marks yet. */
static bool spent_mark(const sl_store *s, uint64_t o, uint64_t *t)
{
    if (o >= B(s)->cm.n_out || o >= sl_col_cap(&B(s)->col[C_SPENT])) return false;
    *t = sl_le40(sl_col_at(&B(s)->col[C_SPENT], o));
    if (!*t || *t - 1 >= B(s)->cm.n_tx) return false;
    (*t)--;
    return true;
}

int sl_btc_out_spender(const sl_store *s, uint64_t o, uint64_t *tx, uint32_t *vin)
{
    uint64_t t, first;
    uint32_t n;
    if (!spent_mark(s, o, &t)) return SL_ENOTFOUND;
    first = sl_btc_tx_first_in(s, t);
    n = sl_btc_tx_n_in(s, t);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t r = sl_btc_in_at(s, first + k);
        if (r != SL_IN_COINBASE && !(r & SL_IN_EXT) && SL_REF_TX(r) < B(s)->m.n_tx && ref_out(s, r) == o) {
            *tx = t;
            *vin = k;
            return SL_OK;
        }
    }
    return SL_ENOTFOUND;
}

int sl_btc_outpoint_spender(const sl_store *s, uint64_t tx, uint32_t vout, uint64_t *stx, uint32_t *vin)
{
    uint64_t o, t, first, want = SL_REF(tx, vout);
    uint32_t n;
    if (tx >= B(s)->m.n_tx || vout >= sl_btc_tx_n_out(s, tx)) return SL_ENOTFOUND;
    o = sl_btc_tx_first_out(s, tx) + vout;
    if (!spent_mark(s, o, &t)) return SL_ENOTFOUND;
    first = sl_btc_tx_first_in(s, t);
    n = sl_btc_tx_n_in(s, t);
    for (uint32_t k = 0; k < n; k++)
        if (sl_btc_in_at(s, first + k) == want) {
            *stx = t;
            *vin = k;
            return SL_OK;
        }
    return SL_ENOTFOUND;
}

int sl_btc_out_spent_by(const sl_store *s, uint64_t o, uint64_t *in)
{
    uint64_t t;
    uint32_t k;
    if (sl_btc_out_spender(s, o, &t, &k)) return SL_ENOTFOUND;
    *in = sl_btc_tx_first_in(s, t) + k;
    return SL_OK;
}

uint64_t sl_btc_in_value(const sl_store *s, uint64_t i, uint32_t *addr)
{
    uint64_t r = sl_btc_in_at(s, i);
    const uint8_t *p;
    *addr = 0;
    if (r == SL_IN_COINBASE) return UINT64_MAX;
    if (r & SL_IN_EXT) {
        const sl_btc_extin *x = sl_btc_extin_at(s, r & ~SL_IN_EXT);
        if (!x || !x->known) return UINT64_MAX;
        *addr = x->addr;
        return x->value;
    }
    p = R(s, C_OUTS, ref_out(s, r));
    *addr = sl_le32(p + 7);
    return le56(p);
}

void sl_btc_in_view(const sl_store *s, uint64_t i, sl_btc_inview *v)
{
    uint64_t r = sl_btc_in_at(s, i);
    memset(v, 0, sizeof *v);
    v->value = UINT64_MAX;
    if (r == SL_IN_COINBASE) {
        v->coinbase = true;
        v->prev_vout = 0xffffffff;
        return;
    }
    if (r & SL_IN_EXT) {
        const sl_btc_extin *x = sl_btc_extin_at(s, r & ~SL_IN_EXT);
        if (!x) return;
        v->prev_txid = x->prev_txid;
        v->prev_vout = x->prev_vout;
        if (x->known) {
            v->value = x->value;
            v->addr = x->addr;
            v->type = x->type;
        }
        return;
    }
    {
        sl_btc_outrec o;
        v->resolved = true;
        v->out = ref_out(s, r);
        memcpy(v->prev_txid.b, R(s, C_TXIDS, SL_REF_TX(r)), 32);
        v->prev_vout = SL_REF_IDX(r);
        sl_btc_out_get(s, v->out, &o);
        v->value = o.value;
        v->addr = o.addr;
        v->type = o.type;
    }
}

int sl_btc_tx_fee(const sl_store *s, uint64_t id, uint64_t *fee)
{
    uint64_t fi = sl_btc_tx_first_in(s, id), fo = sl_btc_tx_first_out(s, id), in = 0, out = 0;
    uint32_t nin = sl_btc_tx_n_in(s, id), nout = sl_btc_tx_n_out(s, id);
    if (sl_btc_tx_is_coinbase(s, id)) {
        *fee = 0;
        return SL_OK;
    }
    for (uint32_t k = 0; k < nin; k++) {
        uint32_t a;
        uint64_t v = sl_btc_in_value(s, fi + k, &a);
        if (v == UINT64_MAX) return SL_ENOTFOUND;
        in += v;
    }
    for (uint32_t k = 0; k < nout; k++) out += sl_btc_out_value(s, fo + k);
    *fee = in >= out ? in - out : 0;
    return in >= out ? SL_OK : SL_ENOTFOUND;
}

/* ---- addresses ---- */

/* The dictionary record of address id (kind, len, payload): a pointer valid until the
 * next store call; NULL for ids it does not hold. */
static const uint8_t *addr_rec_upto(const sl_store *s, uint32_t id, const sl_btc_meta *m)
{
    uint64_t off;
    if (id >= m->n_addr) return NULL;
    off = sl_le64(R(s, C_ADDRX, id / ADDRX_EVERY));
    for (uint32_t k = id - id % ADDRX_EVERY; k < id; k++) off += 2 + (uint64_t)R(s, C_ADDRS, off + 1)[0];
    if (off + 2 > m->n_abytes) return NULL;
    return Rn(s, C_ADDRS, off, 2 + (uint64_t)R(s, C_ADDRS, off + 1)[0]);
}
static const uint8_t *addr_rec(const sl_store *s, uint32_t id) { return addr_rec_upto(s, id, &B(s)->m); }

int sl_btc_addr_key(const sl_store *s, uint32_t id, sl_btc_addr *a)
{
    const uint8_t *r;
    if (id == 0 || !(r = addr_rec(s, id)) || r[1] > sizeof a->prog) return SL_ENOTFOUND;
    memset(a, 0, sizeof *a);
    a->kind = r[0];
    a->len = r[1];
    memcpy(a->prog, r + 2, r[1]);
    return SL_OK;
}

/* The dictionary's form of an address (kind, len, payload): what is hashed and stored. */
static size_t addr_bytes(uint8_t *k, const sl_btc_addr *a)
{
    k[0] = a->kind;
    k[1] = a->len;
    memcpy(k + 2, a->prog, a->len);
    return 2 + (size_t)a->len;
}

/* The cold tier's look-up: the id below acold whose fingerprint is f, compared on 48 bits
 * of h1 (the run's key) and 32 of h2 (the check in the value): 80 bits, so no dictionary
 * record is read (two of Bitcoin's ~1.7e9 addresses share them with probability ~1e-6
 * over all its look-ups; the hot tier compares h1's 61 bits and the probe range). */
typedef struct coldctx {
    uint64_t check, below;
    uint32_t id;
} coldctx;

static void cold_cb(void *ctx, uint64_t v)
{
    coldctx *c = ctx;
    if (!c->id && v >> 32 == c->check && (v & 0xffffffffu) && (v & 0xffffffffu) < c->below) c->id = (uint32_t)v;
}

static uint32_t cold_find(const sl_store *s, sl_fp f)
{
    coldctx c = {f.h2 & 0xffffffffu, B(s)->acold, 0};
    if (B(s)->aruns.n) sl_runs_find_key(&B(s)->aruns, f.h1 >> 13, cold_cb, &c);
    return c.id;
}

int sl_btc_addr_id(const sl_store *s, const sl_btc_addr *a, uint32_t *id)
{
    uint8_t k[48];
    size_t n = addr_bytes(k, a);
    uint32_t got;
    const uint8_t *r;
    sl_fp f;
    if (!B(s)->amap.map || a->kind == SL_ADDR_NONE) return SL_ENOTFOUND;
    f = sl_fpmap_hash(&B(s)->amap, k, n);
    got = sl_fpmap_find(&B(s)->amap, f);
    if (got == SL_FPMAP_NONE || got == 0 || !(r = addr_rec(s, got)) || memcmp(r, k, n) != 0) {
        /* a user's address is compared with its record in the cold tier too */
        got = cold_find(s, f);
        if (!got || !(r = addr_rec(s, got)) || memcmp(r, k, n) != 0) return SL_ENOTFOUND;
    }
    *id = got;
    return SL_OK;
}

/* The totals of address addr over txs (from the txs' outputs and spent inputs): the run
 * sets' stats function, and what a look-up uses for entries that keep none. */
static int tx_stats(void *ctx, uint32_t addr, const uint64_t *txs, size_t n, sl_hist_stats *st)
{
    const sl_store *s = ctx;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < n; i++) {
        uint64_t t = txs[i], fo, fi;
        uint32_t no, ni;
        if (t >= B(s)->m.n_tx) continue;
        fo = sl_btc_tx_first_out(s, t), fi = sl_btc_tx_first_in(s, t);
        no = sl_btc_tx_n_out(s, t), ni = sl_btc_tx_n_in(s, t);
        for (uint32_t k = 0; k < no; k++) {
            const uint8_t *p = R(s, C_OUTS, fo + k);
            if (sl_le32(p + 7) == addr) st->received += le56(p), st->n_out++;
        }
        for (uint32_t k = 0; k < ni; k++) {
            uint32_t a;
            uint64_t v = sl_btc_in_value(s, fi + k, &a);
            if (a == addr && v != UINT64_MAX) st->spent += v, st->n_spent++;
        }
    }
    return SL_OK;
}

int sl_btc_addr_stats(const sl_store *s, uint32_t id, sl_btc_addrstat *st)
{
    sl_hist_part parts[SL_RUNS_MAX];
    int np;
    uint64_t first = UINT64_MAX, last = 0;
    memset(st, 0, sizeof *st);
    if (id == 0 || id >= B(s)->m.n_addr) return SL_ENOTFOUND;
    st->id = id;
    np = sl_runs_hist_parts(&B(s)->hruns, id, parts);
    for (int i = 0; i < np; i++) {
        sl_hist_stats ps;
        uint64_t a, z;
        if (!parts[i].n) continue;
        if (!sl_hist_part_stats(&parts[i], &ps)) { /* an entry that keeps no totals */
            uint64_t *txs = sl_malloc(parts[i].n * sizeof *txs);
            int rc;
            if (!txs) return SL_ENOMEM;
            sl_hist_part_txs(&parts[i], txs);
            rc = tx_stats((void *)s, id, txs, parts[i].n, &ps);
            sl_free(txs);
            if (rc) return rc;
        }
        st->received += ps.received;
        st->spent += ps.spent;
        st->n_out += ps.n_out;
        st->n_spent += ps.n_spent;
        st->n_tx += parts[i].n;
        /* the first tx: the first of the oldest part; the newest: the last of the newest */
        if (first == UINT64_MAX || i == np - 1) {
            sl_hist_part_ends(&parts[i], &a, &z);
            if (first == UINT64_MAX) first = a;
            last = z;
        }
    }
    if (st->n_tx) {
        st->first_tx = first;
        st->last_tx = last;
        st->first_block = sl_btc_tx_block(s, first);
        st->last_block = sl_btc_tx_block(s, last);
        st->first_time = sl_btc_block_at(s, st->first_block)->time;
        st->last_time = sl_btc_block_at(s, st->last_block)->time;
    }
    return SL_OK;
}

int sl_btc_addr_lookup(const sl_store *s, const sl_btc_addr *a, sl_btc_addrstat *st)
{
    uint32_t id;
    int rc = sl_btc_addr_id(s, a, &id);
    return rc ? rc : sl_btc_addr_stats(s, id, st);
}

size_t sl_btc_addr_txs(const sl_store *s, uint32_t id, uint64_t skip, uint64_t *out, size_t cap, uint64_t *total)
{
    sl_hist_part parts[SL_RUNS_MAX];
    int np = id && id < B(s)->m.n_addr ? sl_runs_hist_parts(&B(s)->hruns, id, parts) : 0;
    uint64_t all = 0, *buf = NULL;
    size_t got = 0, bcap = 0;
    for (int i = 0; i < np; i++) all += parts[i].n;
    if (total) *total = all;
    for (int i = np - 1; i >= 0 && got < cap; i--) { /* newest run first */
        uint64_t n = parts[i].n;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        if (n > bcap) {
            void *q = sl_realloc(buf, n * sizeof *buf);
            if (!q) break;
            buf = q;
            bcap = n;
        }
        sl_hist_part_txs(&parts[i], buf);
        for (uint64_t k = n - skip; k-- > 0 && got < cap;) out[got++] = buf[k];
        skip = 0;
    }
    sl_free(buf);
    return got;
}

int sl_btc_addr_each_tx(const sl_store *s, uint32_t id, int (*fn)(void *ctx, uint64_t tx), void *ctx)
{
    sl_hist_part parts[SL_RUNS_MAX];
    int np = id && id < B(s)->m.n_addr ? sl_runs_hist_parts(&B(s)->hruns, id, parts) : 0, rc = 0;
    uint64_t *buf = NULL;
    size_t bcap = 0;
    for (int i = 0; i < np && !rc; i++) {
        if (parts[i].n > bcap) {
            void *q = sl_realloc(buf, parts[i].n * sizeof *buf);
            if (!q) {
                sl_free(buf);
                return SL_ENOMEM;
            }
            buf = q;
            bcap = parts[i].n;
        }
        sl_hist_part_txs(&parts[i], buf);
        for (uint64_t k = 0; k < parts[i].n && !rc; k++) rc = fn(ctx, buf[k]);
    }
    sl_free(buf);
    return rc;
}

/* ---------------- opening, snapshots, closing ---------------- */

static int mdb_fail(sl_error *e, const char *what, int rc) { return sl_store_mdb_fail(e, what, rc); }

static int get_manifest(const sl_store *s, MDB_txn *txn, const char *key, uint8_t **out, size_t *len, sl_error *e)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, s->db_meta, &k, &v);
    *len = 0;
    if (rc == MDB_NOTFOUND) return SL_OK;
    if (rc) return mdb_fail(e, "read run list", rc);
    if (v.mv_size > sl_runs_manifest_max()) return sl_err(e, SL_ESTORE, "%s: run list too long", s->dir);
    if (!*out && !(*out = sl_malloc(sl_runs_manifest_max()))) return sl_err(e, SL_ENOMEM, "out of memory");
    memcpy(*out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    return SL_OK;
}

/* Reads the commit record (counts, run lists) seen by txn into the handle. */
static int load_meta(sl_store *s, MDB_txn *txn, sl_error *e)
{
    sl_btc_state *b = B(s);
    MDB_val k = {3, "btc"}, v;
    int rc = mdb_get(txn, s->db_meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        memset(&b->cm, 0, sizeof b->cm);
        b->cm.version = SL_STORE_VERSION;
        b->cm.n_addr = 1;   /* id 0 = no address */
        b->cm.n_abytes = 2; /* its empty dictionary record */
        b->cm.next_run = 1;
        b->cm.chain_tip = b->cm.max_height_block = SL_NONE32;
    } else if (rc) {
        return mdb_fail(e, "read meta", rc);
    } else {
        if (v.mv_size >= 4 && sl_le32(v.mv_data) != SL_STORE_VERSION)
            return sl_store_version_error(e, s->dir, sl_le32(v.mv_data));
        if (v.mv_size != sizeof b->cm)
            return sl_err(e, SL_ESTORE, "%s: meta record has %zu bytes, expected %zu", s->dir, v.mv_size, sizeof b->cm);
        memcpy(&b->cm, v.mv_data, sizeof b->cm);
    }
    b->m = b->cm;
    b->net = sl_btc_net_by_name(b->cm.network[0] ? b->cm.network : "bitcoin");
    if (!b->net) b->net = sl_btc_net_default();
    if ((rc = get_manifest(s, txn, "btc.runs.t", &b->man_t, &b->man_tn, e)) ||
        (rc = get_manifest(s, txn, "btc.runs.h", &b->man_h, &b->man_hn, e)) ||
        (rc = get_manifest(s, txn, "btc.runs.a", &b->man_a, &b->man_an, e)))
        return rc;
    if ((rc = sl_runs_load(&b->truns, b->man_t, b->man_tn, e)) || (rc = sl_runs_load(&b->hruns, b->man_h, b->man_hn, e)) ||
        (rc = sl_runs_load(&b->aruns, b->man_a, b->man_an, e)))
        return rc;
    {   /* the address table's cold tier: absent in stores that never spilled (all hot) */
        MDB_val ak = {9, "btc.acold"}, av;
        int arc = mdb_get(txn, s->db_meta, &ak, &av);
        b->acold = 0;
        if (arc == 0 && av.mv_size == 16 && sl_le32(av.mv_data) == SL_STORE_VERSION_ACOLD)
            b->acold = sl_le64((const uint8_t *)av.mv_data + 8);
        else if (arc == 0)
            return sl_err(e, SL_ESTORE, "%s: btc.acold is not an address-table record (%zu bytes)", s->dir, av.mv_size);
        else if (arc != MDB_NOTFOUND) return mdb_fail(e, "read btc.acold", arc);
        if (b->acold > b->cm.n_addr)
            return sl_err(e, SL_ESTORE, "%s: the address table's cold tier ends at id %llu, past the %llu addresses",
                          s->dir, (unsigned long long)b->acold, (unsigned long long)b->cm.n_addr);
    }
    for (int c = 0; c < C_N; c++) {
        if ((rc = sl_col_refresh(&b->col[c], e))) return rc;
        if (b->col[c].fd >= 0 && col_records(&b->cm, c) > sl_col_cap(&b->col[c]) && !b->writer)
            return sl_err(e, SL_ESTORE, "%s: holds %llu records, the commit record says %llu (truncated store?)",
                          b->col[c].path, (unsigned long long)sl_col_cap(&b->col[c]),
                          (unsigned long long)col_records(&b->cm, c));
    }
    return SL_OK;
}

/* Writer at open: what a crash may have left is put right (store.h, commit protocol). */
static int writer_recover(sl_store *s, sl_error *e)
{
    sl_btc_state *b = B(s);
    int rc;
    sl_runs_collect(&b->truns);
    sl_runs_collect(&b->hruns);
    sl_runs_collect(&b->aruns);
    for (int c = 0; c < C_N; c++)
        if (c != C_BLOCKS && c != C_BSTART && c != C_SPENT) sl_col_append_start(&b->col[c], col_records(&b->cm, c));
    if (b->cm.n_tx == 0 && b->cm.n_addr == 1) {
        /* a new chain: address id 0's empty record, and its index entry */
        uint8_t z[8] = {0};
        if (pwrite(b->col[C_ADDRS].fd, z, 2, SL_COL_HEADER) != 2 || pwrite(b->col[C_ADDRX].fd, z, 8, SL_COL_HEADER) != 8)
            return sl_col_io_error(e, b->col[C_ADDRS].path, "writing", errno ? errno : ENOSPC);
    }
    /* a kill between a spill's commit and addr.map's new start leaves the old hot tier:
     * it is started anew at the committed boundary and refilled below */
    if (b->amap.base != b->acold &&
        (rc = sl_fpmap_reset(&b->amap, b->acold, b->cm.n_addr - b->acold, e)))
        return rc;
    if (sl_fpmap_dirty(&b->amap)) {
        sl_fpmap_purge(&b->amap, b->cm.n_addr);
        uint64_t from = sl_fpmap_covered(&b->amap);
        if (from < b->acold) from = b->acold;
        for (uint64_t id = from ? from : 1; id < b->cm.n_addr; id++) {
            const uint8_t *r = addr_rec(s, (uint32_t)id);
            bool added;
            if (!r) return sl_err(e, SL_ESTORE, "%s: address %llu has no dictionary record", s->dir, (unsigned long long)id);
            if ((rc = sl_fpmap_reserve(&b->amap, 1, e))) return rc;
            r = addr_rec(s, (uint32_t)id);
            sl_fpmap_upsert(&b->amap, sl_fpmap_hash(&b->amap, r, 2 + (size_t)r[1]), (uint32_t)id, &added);
        }
    }
    if (!sl_utxo_valid_for(&b->utxo, b->cm.seq)) {
        /* spent.col is not synced at every commit (its marks are the inverse of ins.col, so
         * derivable): the marks of txs since the last checkpoint are written again, those
         * of txs that never committed cleared; then utxo.map is rebuilt from the columns */
        sl_col *sp = &b->col[C_SPENT];
        uint64_t from = sl_utxo_marks_synced(&b->utxo);
        if ((rc = sl_col_reserve(sp, b->cm.n_out, e))) return rc;
        if (from > b->cm.n_tx) from = 0;
        for (uint64_t t = from; t < b->cm.n_tx; t++) {
            uint64_t fi = sl_btc_tx_first_in(s, t);
            uint32_t ni = sl_btc_tx_n_in(s, t);
            for (uint32_t k = 0; k < ni; k++) {
                uint64_t r = sl_btc_in_at(s, fi + k), o;
                if (r == SL_IN_COINBASE || (r & SL_IN_EXT) || SL_REF_TX(r) >= b->cm.n_tx) continue;
                if ((o = ref_out(s, r)) < b->cm.n_out) sl_put_le40(sl_col_at(sp, o), t + 1);
            }
        }
        if ((rc = sl_utxo_reset(&b->utxo, b->cm.n_tx / 3 + 1024, e))) return rc;
        for (uint64_t t = 0; t < b->cm.n_tx; t++) {
            uint64_t fo = sl_btc_tx_first_out(s, t);
            uint32_t no = sl_btc_tx_n_out(s, t);
            const uint8_t *txid = R(s, C_TXIDS, t);
            uint8_t id[32];
            memcpy(id, txid, 32);
            for (uint32_t k = 0; k < no; k++) {
                uint8_t *m = sl_col_at(sp, fo + k);
                uint64_t sp_by = sl_le40(m);
                sl_btc_outrec o;
                if (sp_by && sp_by - 1 >= b->cm.n_tx) sl_put_le40(m, 0), sp_by = 0;
                if (sp_by) continue;
                sl_btc_out_get(s, fo + k, &o);
                if (o.type == SL_SCRIPT_OP_RETURN) continue;
                if ((rc = sl_utxo_reserve(&b->utxo, 1, e))) return rc;
                sl_utxo_put(&b->utxo, sl_utxo_hash(&b->utxo, id, k),
                            &(sl_utxo_ent){t, k, o.value, o.addr, o.type});
            }
        }
        if ((rc = sl_col_sync(sp, 0, b->cm.n_out, e)) || (rc = sl_utxo_checkpoint(&b->utxo, b->cm.seq, b->cm.n_tx, e)))
            return rc;
    }
    return SL_OK;
}

/* addr.map's key source (fpmap.h): the address count and an address's dictionary bytes. */
static uint64_t amap_count(void *ctx) { return B((const sl_store *)ctx)->m.n_addr; }
static const void *amap_key(void *ctx, uint32_t id, size_t *len)
{
    const uint8_t *r = id ? addr_rec((const sl_store *)ctx, id) : NULL;
    *len = r ? 2 + (size_t)r[1] : 0;
    return r;
}

int sl_btc_state_open(sl_store *s, MDB_txn *txn, sl_error *e)
{
    sl_btc_state *b = sl_calloc(1, sizeof *b);
    bool rw = s->mode == SL_STORE_WRITE;
    unsigned cf = rw ? MDB_CREATE : 0;
    char rdir[600];
    int rc;
    MDB_val k = {3, "btc"}, v;
    bool have_meta;
    if (!b) return sl_err(e, SL_ENOMEM, "out of memory");
    s->btc = b;
    b->writer = rw;
    for (int c = 0; c < C_N; c++) b->col[c].fd = -1;
    b->amap.fd = -1;
    b->utxo.fd = -1;
    snprintf(b->bdir, sizeof b->bdir, "%s/btc", s->dir);
    snprintf(rdir, sizeof rdir, "%s/runs", b->bdir);
    sl_runs_init(&b->truns, rdir, "t", SL_RUNS_KEYS);
    sl_runs_init(&b->hruns, rdir, "h", SL_RUNS_HIST);
    sl_runs_init(&b->aruns, rdir, "a", SL_RUNS_KEYC);
    if ((rc = mdb_dbi_open(txn, "btc.block", cf, &b->db_block)) ||
        (rc = mdb_dbi_open(txn, "btc.height", cf | MDB_INTEGERKEY, &b->db_height))) {
        if (!rw && rc == MDB_NOTFOUND) return SL_ENOTFOUND; /* created, never committed */
        return sl_err(e, SL_ESTORE, "%s: index databases: %s", s->dir, mdb_strerror(rc));
    }
    have_meta = mdb_get(txn, s->db_meta, &k, &v) == 0;
    if (rw && ((mkdir(b->bdir, 0755) != 0 && errno != EEXIST) || (mkdir(rdir, 0755) != 0 && errno != EEXIST)))
        return sl_col_io_error(e, b->bdir, "create", errno);
    for (int c = 0; c < C_N; c++) {
        rc = sl_col_open(&b->col[c], b->bdir, COLS[c].name, COLS[c].rec, rw, e);
        /* a reader of a store without Bitcoin data: the columns may be missing */
        if (rc == SL_ENOTFOUND && !rw && !have_meta) {
            sl_col_close(&b->col[c]);
            if (e) sl_err_clear(e);
            continue;
        }
        if (rc) return rc;
        if (c == C_SPENT) sl_test_point("open:some-columns");
    }
    rc = sl_fpmap_open(&b->amap, b->bdir, "addr", rw, e);
    if (rc == SL_ENOTFOUND && !rw) {
        if (e) sl_err_clear(e);
        rc = SL_OK;
    }
    if (rc) return rc;
    if (rw) {
        sl_fpmap_set_keys(&b->amap, amap_count, amap_key, s);
        if ((rc = sl_utxo_open(&b->utxo, b->bdir, e))) return rc;
        b->have_utxo = true;
    }
    if ((rc = load_meta(s, txn, e))) return rc;
    if (rw) {
        if ((rc = writer_recover(s, e))) return rc;
        sl_btc_prep_keys(s, &b->keys);
    }
    return SL_OK;
}

bool sl_btc_torn(const sl_store *s)
{
    const sl_btc_state *b = B(s);
    return b && !b->writer && b->amap.map && b->amap.base > b->acold;
}

int sl_btc_state_renew(sl_store *s, sl_error *e)
{
    int rc;
    if (!B(s) || B(s)->wtxn) return SL_OK;
    if ((rc = load_meta(s, s->rtxn, e))) return rc;
    if (B(s)->amap.map || !B(s)->writer) {
        rc = sl_fpmap_refresh(&B(s)->amap, e);
        if (rc == SL_ENOTFOUND) rc = SL_OK;
    }
    return rc;
}

void sl_btc_state_close(sl_store *s)
{
    sl_btc_state *b = B(s);
    if (!b) return;
    if (b->wtxn) sl_btc_abort(s);
    if (b->writer) {
        /* checkpoints: the maps become clean for the committed state */
        if (b->amap.map && sl_fpmap_checkpoint(&b->amap, b->cm.n_addr, true, NULL)) { /* stays dirty: recovery */ }
        /* spent.col's marks first (the checkpoint says they are on disk), then utxo.map */
        if (b->have_utxo && b->utxo.marked && sl_col_sync(&b->col[C_SPENT], 0, b->cm.n_out, NULL) == SL_OK &&
            sl_utxo_checkpoint(&b->utxo, b->cm.seq, b->cm.n_tx, NULL)) { /* rebuilt next time */ }
        /* the space reserved past the counts goes back, unless a reader elsewhere may still
         * map records a rollback removed (sl_store_shared) */
        if (!sl_store_shared(s))
            for (int c = 0; c < C_N; c++) sl_col_trim(&b->col[c], col_records(&b->cm, c));
    }
    for (int c = 0; c < C_N; c++) sl_col_close(&b->col[c]);
    sl_fpmap_close(&b->amap);
    if (b->have_utxo) sl_utxo_close(&b->utxo);
    sl_runs_close(&b->truns);
    sl_runs_close(&b->hruns);
    sl_runs_close(&b->aruns);
    sl_free(b->man_t);
    sl_free(b->man_h);
    sl_free(b->man_a);
    sl_free(b->kv);
    sl_free(b->ev);
    sl_free(b->sp);
    sl_ht_free(&b->batch_txids);
    sl_btc_prep_free(&b->prep);
    sl_free(b);
    s->btc = NULL;
}

void sl_btc_state_remove_files(const char *dir)
{
    char p[700];
    for (int c = 0; c < C_N; c++) {
        snprintf(p, sizeof p, "%s/btc/%s.col", dir, COLS[c].name);
        unlink(p);
    }
    static const char *const other[] = {"addr.map", "addr.map.new", "utxo.map", "utxo.map.new"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        snprintf(p, sizeof p, "%s/btc/%s", dir, other[i]);
        unlink(p);
    }
    {
        sl_runs rs;
        snprintf(p, sizeof p, "%s/btc/runs", dir);
        sl_runs_init(&rs, p, "t", SL_RUNS_KEYS);
        sl_runs_collect(&rs);
        sl_runs_init(&rs, p, "h", SL_RUNS_HIST);
        sl_runs_collect(&rs);
        sl_runs_init(&rs, p, "a", SL_RUNS_KEYC);
        sl_runs_collect(&rs);
        rmdir(p);
    }
    snprintf(p, sizeof p, "%s/btc", dir);
    rmdir(p);
}

/* ---------------- preparing a block (any thread) ---------------- */

void sl_btc_prep_keys(const sl_store *s, sl_btc_prepkeys *k)
{
    const sl_btc_state *b = B(s);
    memset(k, 0, sizeof *k);
    k->k[0] = b->amap.key.k1, k->k[1] = b->amap.key.k2, k->k[2] = b->amap.key.a1, k->k[3] = b->amap.key.a2;
    if (b->have_utxo) k->k[4] = b->utxo.key.k1, k->k[5] = b->utxo.key.k2, k->k[6] = b->utxo.key.a1, k->k[7] = b->utxo.key.a2;
}

int sl_btc_prepare(const sl_btc_prepkeys *k, const sl_btc_block *blk, sl_btc_prep *p, sl_error *e)
{
    sl_fpkey ak = {k->k[0], k->k[1], k->k[2], k->k[3]}, uk = {k->k[4], k->k[5], k->k[6], k->k[7]};
    if (blk->n_out > p->cap_out) {
        size_t cap = blk->n_out + blk->n_out / 2;
        void *a = sl_realloc(p->type, cap), *b2 = sl_realloc(p->addr, cap * sizeof *p->addr);
        if (a) p->type = a;
        if (b2) p->addr = b2;
        void *c = sl_realloc(p->afp, cap * sizeof *p->afp), *d = sl_realloc(p->ofp, cap * sizeof *p->ofp);
        if (c) p->afp = c;
        if (d) p->ofp = d;
        if (!a || !b2 || !c || !d) return sl_err(e, SL_ENOMEM, "out of memory");
        p->cap_out = cap;
    }
    if (blk->n_in > p->cap_in) {
        size_t cap = blk->n_in + blk->n_in / 2;
        void *a = sl_realloc(p->ifp, cap * sizeof *p->ifp);
        if (!a) return sl_err(e, SL_ENOMEM, "out of memory");
        p->ifp = a;
        p->cap_in = cap;
    }
    for (uint32_t t = 0; t < blk->n_tx; t++) {
        const sl_btc_tx *tx = &blk->tx[t];
        for (uint32_t o = 0; o < tx->n_out; o++) {
            uint32_t j = tx->first_out + o;
            const sl_btc_txout *out = &blk->out[j];
            sl_fp f;
            p->type[j] = (uint8_t)sl_btc_script_classify(out->script, out->script_len, &p->addr[j]);
            if (p->addr[j].kind != SL_ADDR_NONE) {
                uint8_t kb[48];
                f = sl_fp_bytes(&ak, kb, addr_bytes(kb, &p->addr[j]));
                p->afp[j][0] = f.h1, p->afp[j][1] = f.h2;
            }
            f = sl_fp_outpoint(&uk, tx->txid.b, o);
            p->ofp[j][0] = f.h1, p->ofp[j][1] = f.h2;
        }
        if (t == 0) continue;
        for (uint32_t i = 0; i < tx->n_in; i++) {
            uint32_t j = tx->first_in + i;
            sl_fp f = sl_fp_outpoint(&uk, blk->in[j].prev_txid.b, blk->in[j].prev_vout);
            p->ifp[j][0] = f.h1, p->ifp[j][1] = f.h2;
        }
    }
    return SL_OK;
}

void sl_btc_prep_free(sl_btc_prep *p)
{
    sl_free(p->type);
    sl_free(p->addr);
    sl_free(p->afp);
    sl_free(p->ofp);
    sl_free(p->ifp);
    memset(p, 0, sizeof *p);
}

/* ---------------- writing ---------------- */

static void batch_clear(sl_btc_state *b)
{
    b->nkv = b->nev = b->nsp = 0;
    b->spent_applied = false;
    if (b->batch_ix) sl_ht_clear(&b->batch_txids);
    b->batch_ix = false;
}

static void runs_back(sl_btc_state *b);
static int commit_record(sl_store *s, const uint64_t *dropped_t, int ndt, const uint64_t *dropped_h, int ndh,
                         const uint64_t *dropped_a, int nda, uint64_t acold, sl_error *e);

/* Cold items while spilling: by the run's key, then the value (id | check << 32). */
static int kv_cmp(const void *a, const void *b)
{
    const sl_runs_kv *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* spill_addresses' source of the cold run: the hot tier's ids [from, to) as (48 bits of
 * h1, id | 32 bits of h2 << 32) in (key, value) order, one quarter of the key space at a
 * time (addr.map keeps no h2: each pass reads the ids' dictionary records in order and
 * fingerprints them again), so the spill holds a quarter of the items in memory. */
#define SPILL_PARTS 4
typedef struct spillsrc {
    const sl_store *s;
    uint64_t from, to;
    sl_runs_kv *kv;
    size_t n, cap, at;
    int part;  /* the key range in kv (-1: none yet) */
    int rc;    /* SL_ESTORE: a record missing, or a range past cap */
} spillsrc;
static size_t spill_next(void *ctx, sl_runs_kv *out, size_t cap)
{
    spillsrc *c = ctx;
    size_t m;
    while (c->at == c->n) {
        if (c->rc || c->part + 1 >= SPILL_PARTS) return 0;
        c->part++;
        c->n = c->at = 0;
        for (uint64_t id = c->from; id < c->to; id++) {
            const uint8_t *r = addr_rec(c->s, (uint32_t)id);
            sl_fp f;
            if (!r) {
                c->rc = SL_ESTORE;
                return 0;
            }
            f = sl_fpmap_hash(&B(c->s)->amap, r, 2 + (size_t)r[1]);
            if ((int)(f.h1 >> (61 - 2)) != c->part) continue;
            if (c->n == c->cap) {
                c->rc = SL_ESTORE;
                return 0;
            }
            c->kv[c->n++] = (sl_runs_kv){f.h1 >> 13, id | (f.h2 & 0xffffffffu) << 32};
        }
        qsort(c->kv, c->n, sizeof *c->kv, kv_cmp);
    }
    m = c->n - c->at < cap ? c->n - c->at : cap;
    memcpy(out, c->kv + c->at, m * sizeof *out);
    c->at += m;
    return m;
}

/* Moves the hot tier of the address table (ids [acold, n_addr), all committed) into a new
 * cold run, commits that on its own (the counts do not change), then starts addr.map anew
 * from n_addr. A kill before the commit leaves the old tiers; after it, the next writer
 * starts addr.map anew (writer_recover). Called between batches. */
static int spill_addresses(sl_store *s, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint64_t file = b->m.next_run, da[SL_RUNS_MAX + 1], acold = b->m.n_addr, from = b->acold ? b->acold : 1;
    int nda = 0, rc;
    /* a quarter of the key space holds a quarter of the ids, give or take a few hundred:
     * room for 1/4 + 1/16 of them */
    spillsrc c = {s, from, acold, NULL, 0, (acold - from) / 4 + (acold - from) / 16 + 4096, 0, -1, SL_OK};
    if (!(c.kv = sl_malloc(c.cap * sizeof *c.kv))) return sl_err(e, SL_ENOMEM, "out of memory");
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &b->wtxn))) {
        sl_free(c.kv);
        return mdb_fail(e, "txn_begin", rc);
    }
    rc = sl_runs_add_keys_from(&b->aruns, b->acold, acold, (size_t)(acold - from), spill_next, &c, &file, e);
    sl_free(c.kv);
    if (c.rc && !rc)
        rc = sl_err(e, SL_ESTORE, "%s: spilling the address table: a dictionary record is missing", s->dir);
    if (rc || (rc = sl_runs_maintain(&b->aruns, &file, NULL, NULL, da, &nda, e))) {
        mdb_txn_abort(b->wtxn);
        b->wtxn = NULL;
        runs_back(b);
        return rc;
    }
    b->m.next_run = file;
    sl_test_point("spill:written");
    if ((rc = commit_record(s, NULL, 0, NULL, 0, da, nda, acold, e))) {
        if (b->wtxn) mdb_txn_abort(b->wtxn);
        b->wtxn = NULL;
        b->m = b->cm;
        runs_back(b);
        return rc;
    }
    sl_test_point("spill:committed");
    if ((rc = sl_fpmap_reset(&b->amap, acold, b->abatch, e))) return rc;
    return sl_fpmap_checkpoint(&b->amap, acold, false, e);
}

/* addr.map's bound now: the fixed one, else what half the ingest's budget leaves beside
 * utxo.map (the other half: the batch, the parse ring, the pages of the columns, blocks and
 * cold runs), at least an eighth of the budget; 0: none. */
static uint64_t hot_cap(const sl_btc_state *b)
{
    uint64_t half = b->abudget / 2, u = b->have_utxo ? b->utxo.map_len : 0;
    if (b->acap || !b->abudget) return b->acap;
    return half > u + b->abudget / 8 ? half - u : b->abudget / 8;
}

/* Whether the next batch would take addr.map past its bound: it would need more than the
 * bound at the highest fill, or a growth (by 1.5x) of a file already past 2/3 of it. */
static bool spill_due(const sl_btc_state *b)
{
    uint64_t need = sl_fpmap_bytes_for(b->amap.used + b->abatch), cap = hot_cap(b);
    return need > cap || (need > b->amap.map_len && b->amap.map_len / 2 * 3 > cap);
}


int sl_btc_begin(sl_store *s, const char *network_arg, sl_error *e)
{
    sl_btc_state *b = B(s);
    char network[32];
    int rc;
    if (network_arg) snprintf(network, sizeof network, "%s", network_arg);
    if (s->mode != SL_STORE_WRITE) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (b->wtxn) return sl_err(e, SL_EUSAGE, "a batch is already open");
    if ((rc = sl_store_grow_map(s, e))) return rc;
    if (hot_cap(b) && b->m.n_addr > b->acold + 1 && spill_due(b) && (rc = spill_addresses(s, e))) return rc;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &b->wtxn))) return mdb_fail(e, "txn_begin", rc);
    if (network_arg) {
        if (b->m.n_blocks && strcmp(b->m.network, network) != 0) {
            sl_btc_abort(s);
            return sl_err(e, SL_ECONFLICT, "%s: store holds %s blocks, cannot add %s blocks", s->dir, b->m.network,
                          network);
        }
        snprintf(b->m.network, sizeof b->m.network, "%s", network);
        b->net = sl_btc_net_by_name(network);
    }
    if ((rc = sl_utxo_mark_changing(&b->utxo, e))) {
        sl_btc_abort(s);
        return rc;
    }
    b->tx0 = b->m.n_tx;
    b->amap_gen0 = b->amap.gen;
    batch_clear(b);
    return SL_OK;
}

int sl_btc_expect(sl_store *s, uint64_t txs, sl_error *e)
{
    int rc;
    if (!B(s)->writer) return SL_OK;
    /* ~1.25 new addresses a tx on mainnet (1.4 on the generated chain); the unspent
     * outputs grow by ~0.15-0.3 a tx */
    uint64_t more = txs + txs / 4, cap = hot_cap(B(s));
    if (cap) /* with a budget the hot tier grows only as far as the budget allows */
        while (more > 1024 && sl_fpmap_bytes_for(B(s)->amap.used + more) / 2 * 3 > cap) more /= 2;
    if ((rc = sl_fpmap_reserve(&B(s)->amap, more, e))) return rc;
    return sl_utxo_reserve(&B(s)->utxo, txs / 4, e);
}

void sl_btc_set_budget(sl_store *s, uint64_t budget, uint64_t addr_bytes_max, uint64_t batch_txs)
{
    uint64_t more = batch_txs + batch_txs / 4, least;
    B(s)->acap = addr_bytes_max;
    B(s)->abudget = budget;
    least = addr_bytes_max ? addr_bytes_max : budget / 8;
    /* a batch larger than the bound itself: the bound decides (a spill before each batch) */
    while (least && more > 1024 && sl_fpmap_bytes_for(more) > least) more /= 2;
    B(s)->abatch = more;
}

uint64_t sl_btc_table_bytes(const sl_store *s)
{
    const sl_btc_state *b = B(s);
    return b->writer ? (uint64_t)b->amap.map_len + (b->have_utxo ? b->utxo.map_len : 0) : 0;
}

static int grow_arr(void **p, size_t *cap, size_t need, size_t elt, sl_error *e)
{
    if (need <= *cap) return SL_OK;
    if (sl_grow(p, cap, need, elt)) return sl_err(e, SL_ENOMEM, "out of memory");
    return SL_OK;
}

static int push_ev(sl_btc_state *b, uint32_t addr, uint64_t tx, uint64_t amt, sl_error *e)
{
    void *q = b->ev;
    int rc;
    if (b->nev == b->capev && (rc = grow_arr(&q, &b->capev, b->nev + 1, sizeof *b->ev, e))) return rc;
    b->ev = q;
    b->ev[b->nev++] = (sl_hist_ev){addr, (uint32_t)(tx - b->tx0), amt};
    return SL_OK;
}

/* Adds the dictionary record of a new address id (== m.n_addr). */
static int addr_append(sl_store *s, const sl_btc_addr *a, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint8_t *r;
    if (b->m.n_addr % ADDRX_EVERY == 0) {
        uint8_t *x = sl_col_add(&b->col[C_ADDRX], e);
        if (!x) return e ? e->code : SL_EIO;
        sl_put_le64(x, b->m.n_abytes);
    }
    if (!(r = sl_col_add_n(&b->col[C_ADDRS], 2 + (size_t)a->len, e))) return e ? e->code : SL_EIO;
    addr_bytes(r, a);
    b->m.n_abytes += 2 + (uint64_t)a->len;
    b->m.n_addr++;
    return SL_OK;
}

/* The id of address a (fingerprint f), added to the dictionary when new. */
static int addr_id_of(sl_store *s, const sl_btc_addr *a, sl_fp f, uint32_t *id, sl_error *e)
{
    sl_btc_state *b = B(s);
    bool added;
    int rc;
    if (b->m.n_addr >= UINT32_MAX - 1) return sl_err(e, SL_ELIMIT, "more than 2^32-2 addresses on one chain");
    if (b->acold > 1) { /* two tiers: the hot one, then the cold runs, before adding */
        uint32_t got = sl_fpmap_find(&b->amap, f);
        if (got != SL_FPMAP_NONE) {
            *id = got;
            return SL_OK;
        }
        if ((got = cold_find(s, f))) {
            *id = got;
            return SL_OK;
        }
    }
    *id = sl_fpmap_upsert(&b->amap, f, (uint32_t)b->m.n_addr, &added);
    if (added && (rc = addr_append(s, a, e))) {
        sl_fpmap_remove(&b->amap, f, *id);
        return rc;
    }
    return SL_OK;
}

/* The latest tx id with this txid, committed or in the batch. */
static bool find_latest(sl_store *s, const sl_hash256 *txid, uint64_t *id)
{
    uint64_t ids[8];
    int n = sl_btc_tx_find(s, txid, ids, 8);
    if (!n) return false;
    *id = ids[n - 1];
    return true;
}

/* The batch's txid index, made on the batch's first unknown prevout. */
static int batch_index(sl_store *s, sl_error *e)
{
    sl_btc_state *b = B(s);
    if (b->batch_ix) return SL_OK;
    for (uint64_t t = b->tx0; t < b->m.n_tx; t++)
        if (sl_ht_set(&b->batch_txids, R(s, C_TXIDS, t), 32, t)) return sl_err(e, SL_ENOMEM, "out of memory");
    b->batch_ix = true;
    return SL_OK;
}

/* An input whose prevout is not unspent in the store: a double spend or an unspendable
 * output (errors), or a prevout the store does not hold (an external input). */
static int unknown_prevout(sl_store *s, const sl_btc_block *blk, const sl_btc_tx *tx, uint32_t t, uint32_t i,
                           uint64_t id, uint32_t g, sl_btc_prevout_fn pf, void *pctx, uint64_t *ref, sl_error *e)
{
    sl_btc_state *b = B(s);
    const sl_btc_txin *in = &blk->in[tx->first_in + i];
    uint64_t pid;
    int rc;
    if ((rc = batch_index(s, e))) return rc;
    if (find_latest(s, &in->prev_txid, &pid) && in->prev_vout < sl_btc_tx_n_out(s, pid)) {
        uint64_t o = sl_btc_tx_first_out(s, pid) + in->prev_vout, st = UINT64_MAX;
        uint32_t sv = 0;
        char a[65], b2[65] = "?";
        sl_btc_outrec orec;
        sl_hash_hex(a, &in->prev_txid);
        sl_btc_out_get(s, o, &orec);
        sl_err_offset(e, tx->offset);
        if (orec.type == SL_SCRIPT_OP_RETURN)
            return sl_err(e, SL_ECORRUPT, "byte offset %u: tx %u input %u spends %s:%u, an OP_RETURN output, which "
                          "cannot be spent", tx->offset, t, i, a, in->prev_vout);
        if (sl_btc_out_spender(s, o, &st, &sv) != SL_OK) {
            /* spent in this batch: the spend list says by whom */
            uint64_t want = SL_REF(pid, in->prev_vout);
            for (size_t k = 0; k < b->nsp; k++)
                if (b->sp[k].ref == want) {
                    st = b->sp[k].tx;
                    uint64_t fi = sl_btc_tx_first_in(s, st);
                    for (uint32_t v = 0; v < sl_btc_tx_n_in(s, st); v++)
                        if (sl_btc_in_at(s, fi + v) == want) sv = v;
                }
        }
        if (st != UINT64_MAX) sl_hash_hex(b2, sl_btc_txid(s, st));
        return sl_err(e, SL_ECORRUPT, "byte offset %u: tx %u input %u spends %s:%u, which %s:%u already spent: a "
                      "double spend, invalid by consensus", tx->offset, t, i, a, in->prev_vout, b2, sv);
    }
    {
        sl_btc_prevout pv = {0, NULL, 0, false};
        sl_btc_extin *x;
        sl_btc_addr a;
        uint32_t aid = 0;
        uint8_t type = 0;
        if (pf) pf(pctx, blk, g, &pv);
        if (pv.found) {
            type = (uint8_t)sl_btc_script_classify(pv.script, pv.script_len, &a);
            if (a.kind != SL_ADDR_NONE) {
                uint8_t kb[48];
                if ((rc = sl_fpmap_reserve(&b->amap, 1, e)) ||
                    (rc = addr_id_of(s, &a, sl_fpmap_hash(&b->amap, kb, addr_bytes(kb, &a)), &aid, e)) ||
                    (pv.value != UINT64_MAX && (rc = push_ev(b, aid, id, pv.value | SL_HIST_SPENT, e))))
                    return rc;
            }
        }
        if (!(x = sl_col_add(&b->col[C_EXTINS], e))) return e ? e->code : SL_EIO;
        memset(x, 0, sizeof *x);
        x->prev_txid = in->prev_txid;
        x->prev_vout = in->prev_vout;
        x->value = pv.found ? pv.value : UINT64_MAX;
        x->known = pv.found;
        x->type = type;
        x->addr = aid;
        *ref = SL_IN_EXT | b->m.n_extin++;
    }
    return SL_OK;
}

#define PF_AHEAD 8

int sl_btc_append_block(sl_store *s, const sl_btc_block *blk, const sl_btc_prep *prep, uint32_t height,
                        uint32_t flags, unsigned __int128 chainwork, sl_btc_prevout_fn pf, void *pctx, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint32_t bidx = (uint32_t)b->m.n_blocks, g = 0;
    sl_btc_blockrec *br;
    bstart_rec *bs;
    MDB_val k, v;
    int rc;
    void *q;
    if (!b->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    if (!prep) {
        if ((rc = sl_btc_prepare(&b->keys, blk, &b->prep, e))) return rc;
        prep = &b->prep;
    }
    if ((rc = sl_fpmap_reserve(&b->amap, blk->n_out + blk->n_in, e)) ||
        (rc = sl_utxo_reserve(&b->utxo, blk->n_out, e)))
        return rc;
    q = b->kv;
    if ((rc = grow_arr(&q, &b->capkv, b->nkv + blk->n_tx, sizeof *b->kv, e))) return rc;
    b->kv = q;
    q = b->sp;
    if ((rc = grow_arr(&q, &b->capsp, b->nsp + blk->n_in, sizeof *b->sp, e))) return rc;
    b->sp = q;
    q = b->ev;
    if ((rc = grow_arr(&q, &b->capev, b->nev + blk->n_in + blk->n_out, sizeof *b->ev, e))) return rc;
    b->ev = q;
    /* blocks.col and bstart.col run in parallel, through the mapping (one record a block) */
    if ((rc = sl_col_reserve(&b->col[C_BSTART], b->m.n_blocks + 1, e)) ||
        (rc = sl_col_reserve(&b->col[C_BLOCKS], b->m.n_blocks + 1, e)))
        return rc;
    bs = sl_col_at(&b->col[C_BSTART], b->m.n_blocks);
    *bs = (bstart_rec){b->m.n_in, b->m.n_out, b->m.n_extin, b->m.n_wtx, b->m.n_abytes, (uint32_t)b->m.n_addr, 0};
    br = sl_col_at(&b->col[C_BLOCKS], b->m.n_blocks++);
    memset(br, 0, sizeof *br);
    br->hash = blk->hash;
    br->prev = blk->hdr.prev;
    br->merkle = blk->hdr.merkle;
    br->version = blk->hdr.version;
    br->time = blk->hdr.time;
    br->bits = blk->hdr.bits;
    br->nonce = blk->hdr.nonce;
    br->height = height;
    br->flags = flags;
    br->first_tx = b->m.n_tx;
    br->n_tx = blk->n_tx;
    br->size = blk->size;
    br->weight = blk->weight;
    memcpy(br->chainwork, &chainwork, 16);

    /* the tables' cache lines are fetched ahead of their use */
    for (uint32_t j = 0; j < PF_AHEAD && j < blk->n_out; j++) {
        sl_utxo_prefetch(&b->utxo, (sl_fp){prep->ofp[j][0], prep->ofp[j][1]});
        if (prep->addr[j].kind) sl_fpmap_prefetch(&b->amap, (sl_fp){prep->afp[j][0], prep->afp[j][1]});
    }
    for (uint32_t t = 0; t < blk->n_tx; t++) {
        const sl_btc_tx *tx = &blk->tx[t];
        uint64_t id = b->m.n_tx;
        uint8_t *tr = sl_col_add(&b->col[C_TXS], e), *ti;
        uint32_t base = (tx->weight - tx->size) / 3; /* weight = 3 x stripped + total */
        if (!tr || !(ti = sl_col_add(&b->col[C_TXIDS], e))) return e ? e->code : SL_EIO;
        sl_put_le40(tr, b->m.n_in);
        sl_put_le40(tr + 5, b->m.n_out);
        put_le24(tr + 10, base | (t == 0 ? TXS_COINBASE : 0));
        put_le24(tr + 13, tx->size - base);
        memcpy(ti, tx->txid.b, 32);
        b->m.n_tx++;
        b->kv[b->nkv++] = (sl_runs_kv){key48(tx->txid.b), id};
        if (b->batch_ix && sl_ht_set(&b->batch_txids, tx->txid.b, 32, id)) return sl_err(e, SL_ENOMEM, "out of memory");
        if (tx->segwit) {
            uint8_t *w = sl_col_add(&b->col[C_WTX], e);
            if (!w) return e ? e->code : SL_EIO;
            sl_put_le40(w, id);
            memcpy(w + 5, tx->wtxid.b, 32);
            b->m.n_wtx++;
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            uint32_t j = tx->first_out + o, aid = 0;
            uint64_t value = blk->out[j].value;
            uint8_t *orec;
            if (j + PF_AHEAD < blk->n_out) {
                uint32_t a = j + PF_AHEAD;
                sl_utxo_prefetch(&b->utxo, (sl_fp){prep->ofp[a][0], prep->ofp[a][1]});
                if (prep->addr[a].kind) sl_fpmap_prefetch(&b->amap, (sl_fp){prep->afp[a][0], prep->afp[a][1]});
            }
            if (value > SL_BTC_MAX_VALUE && (sl_err_offset(e, tx->offset), true))
                return sl_err(e, SL_ELIMIT, "byte offset %u: tx %u output %u has a value of %llu satoshi, above any "
                              "network's supply", tx->offset, t, o, (unsigned long long)value);
            if (prep->addr[j].kind != SL_ADDR_NONE) {
                if ((rc = addr_id_of(s, &prep->addr[j], (sl_fp){prep->afp[j][0], prep->afp[j][1]}, &aid, e)) ||
                    (rc = push_ev(b, aid, id, value, e)))
                    return rc;
            }
            if (!(orec = sl_col_add(&b->col[C_OUTS], e))) return e ? e->code : SL_EIO;
            sl_put_le32(orec, (uint32_t)value);
            put_le24(orec + 4, (uint32_t)(value >> 32));
            sl_put_le32(orec + 7, aid);
            orec[11] = prep->type[j];
            b->m.n_out++;
            if (prep->type[j] != SL_SCRIPT_OP_RETURN)
                sl_utxo_put(&b->utxo, (sl_fp){prep->ofp[j][0], prep->ofp[j][1]},
                            &(sl_utxo_ent){id, o, value, aid, prep->type[j]});
        }
        for (uint32_t i = 0; i < tx->n_in; i++, g++) {
            uint32_t j = tx->first_in + i;
            uint64_t ref = SL_IN_COINBASE;
            uint8_t *irec;
            sl_utxo_ent ent;
            if (t > 0 && j + PF_AHEAD < blk->n_in) sl_utxo_prefetch(&b->utxo, (sl_fp){prep->ifp[j + PF_AHEAD][0], prep->ifp[j + PF_AHEAD][1]});
            if (t == 0) {
                ref = SL_IN_COINBASE;
            } else if (sl_utxo_take(&b->utxo, (sl_fp){prep->ifp[j][0], prep->ifp[j][1]}, &ent)) {
                ref = SL_REF(ent.tx, ent.vout);
                b->sp[b->nsp++] = (spend){ref, id};
                if (ent.addr && (rc = push_ev(b, ent.addr, id, ent.value | SL_HIST_SPENT, e))) {
                    sl_utxo_put(&b->utxo, (sl_fp){prep->ifp[j][0], prep->ifp[j][1]}, &ent);
                    b->nsp--;
                    return rc;
                }
                if (!(irec = sl_col_add(&b->col[C_INS], e))) {
                    sl_utxo_put(&b->utxo, (sl_fp){prep->ifp[j][0], prep->ifp[j][1]}, &ent);
                    b->nsp--;
                    return e ? e->code : SL_EIO;
                }
                sl_put_le64(irec, ref);
                b->m.n_in++;
                continue;
            } else if ((rc = unknown_prevout(s, blk, tx, t, i, id, g, pf, pctx, &ref, e))) {
                return rc;
            }
            if (!(irec = sl_col_add(&b->col[C_INS], e))) return e ? e->code : SL_EIO;
            sl_put_le64(irec, ref);
            b->m.n_in++;
        }
    }
    k.mv_size = 32;
    k.mv_data = (void *)blk->hash.b;
    v.mv_size = 4;
    v.mv_data = &bidx;
    if ((rc = mdb_put(b->wtxn, b->db_block, &k, &v, 0))) return mdb_fail(e, "put block", rc);
    if (height != SL_NONE32) {
        const sl_btc_blockrec *mx = b->m.max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, b->m.max_height_block);
        k.mv_size = 4;
        k.mv_data = &height;
        if ((rc = mdb_put(b->wtxn, b->db_height, &k, &v, 0))) return mdb_fail(e, "put height", rc);
        if (!mx || height > mx->height) b->m.max_height_block = bidx;
    }
    if (flags & SL_BLK_LINKED) b->m.chain_tip = bidx;
    return SL_OK;
}

/* Sorts the batch's spends by the output they spend (radix over the 64-bit reference). */
static int sort_spends(sl_btc_state *b, sl_error *e)
{
    spend *t = sl_malloc(b->nsp * sizeof *t + 1), *src = b->sp, *dst = t;
    size_t *cnt = sl_calloc(65536, sizeof *cnt);
    if (!t || !cnt) {
        sl_free(t);
        sl_free(cnt);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    for (int pass = 0; pass < 4; pass++) {
        int sh = 16 * pass;
        size_t sum = 0;
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < b->nsp; i++) cnt[(src[i].ref >> sh) & 0xffff]++;
        for (size_t k = 0; k < 65536; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < b->nsp; i++) dst[cnt[(src[i].ref >> sh) & 0xffff]++] = src[i];
        spend *x = src;
        src = dst;
        dst = x;
    }
    /* four passes: the sorted data is back in b->sp */
    sl_free(t);
    sl_free(cnt);
    return SL_OK;
}

/* Writes the batch's spent marks into spent.col (new outputs' marks zeroed first). */
static int apply_spends(sl_store *s, sl_error *e)
{
    sl_btc_state *b = B(s);
    sl_col *c = &b->col[C_SPENT];
    int rc;
    if ((rc = sl_col_reserve(c, b->m.n_out, e))) return rc;
    if (b->m.n_out > b->cm.n_out) memset(sl_col_at(c, b->cm.n_out), 0, (b->m.n_out - b->cm.n_out) * 5);
    if ((rc = sort_spends(b, e))) return rc;
    b->spent_applied = true;
    for (size_t i = 0; i < b->nsp; i++) {
        uint64_t o = sl_btc_tx_first_out(s, SL_REF_TX(b->sp[i].ref)) + SL_REF_IDX(b->sp[i].ref);
        sl_put_le40(sl_col_at(c, o), b->sp[i].tx + 1);
    }
    return SL_OK;
}

/* Puts the committed run lists back into the run sets (dropping runs a failed commit or
 * an abort added) and deletes the files of runs no list names. */
static void runs_back(sl_btc_state *b)
{
    if (sl_runs_load(&b->truns, b->man_t, b->man_tn, NULL) == SL_OK) sl_runs_collect(&b->truns);
    if (sl_runs_load(&b->hruns, b->man_h, b->man_hn, NULL) == SL_OK) sl_runs_collect(&b->hruns);
    if (sl_runs_load(&b->aruns, b->man_a, b->man_an, NULL) == SL_OK) sl_runs_collect(&b->aruns);
}

/* Undoes, in the writer's tables, everything txs [from, upto->n_tx) did: their outputs
 * leave utxo.map, the outputs they spent return to it (and lose their spent marks when
 * clear_marks), and the addresses [addr_from, upto->n_addr) leave addr.map (exactly, as if
 * never added, when `exact`: an aborted batch with no growth of the map since it began;
 * else marked removed). Reads the txs' records, which must still be readable. */
static void undo_txs(sl_store *s, const sl_btc_meta *upto, uint64_t from, uint64_t addr_from, bool clear_marks,
                     bool exact)
{
    sl_btc_state *b = B(s);
    for (uint64_t t = upto->n_tx; t-- > from;) {
        uint64_t fo = sl_btc_tx_first_out(s, t), fi = sl_btc_tx_first_in(s, t);
        uint64_t no = (t + 1 < upto->n_tx ? sl_btc_tx_first_out(s, t + 1) : upto->n_out) - fo;
        uint64_t ni = (t + 1 < upto->n_tx ? sl_btc_tx_first_in(s, t + 1) : upto->n_in) - fi;
        uint8_t txid[32];
        memcpy(txid, R(s, C_TXIDS, t), 32);
        for (uint64_t k = 0; k < no; k++) {
            sl_utxo_ent ent;
            sl_utxo_take(&b->utxo, sl_utxo_hash(&b->utxo, txid, (uint32_t)k), &ent);
        }
        for (uint64_t k = ni; k-- > 0;) {
            uint64_t r = sl_btc_in_at(s, fi + k), o;
            uint8_t ptx[32];
            sl_btc_outrec orec;
            if (r == SL_IN_COINBASE || (r & SL_IN_EXT) || SL_REF_TX(r) >= upto->n_tx) continue;
            o = sl_btc_tx_first_out(s, SL_REF_TX(r)) + SL_REF_IDX(r);
            if (o >= upto->n_out) continue;
            memcpy(ptx, R(s, C_TXIDS, SL_REF_TX(r)), 32);
            sl_btc_out_get(s, o, &orec);
            if (sl_utxo_reserve(&b->utxo, 1, NULL) == SL_OK)
                sl_utxo_put(&b->utxo, sl_utxo_hash(&b->utxo, ptx, SL_REF_IDX(r)),
                            &(sl_utxo_ent){SL_REF_TX(r), SL_REF_IDX(r), orec.value, orec.addr, orec.type});
            if (clear_marks && o < sl_col_cap(&b->col[C_SPENT])) {
                uint8_t *m = sl_col_at(&b->col[C_SPENT], o);
                if (sl_le40(m) == t + 1) sl_put_le40(m, 0);
            }
        }
    }
    for (uint64_t id = upto->n_addr; id-- > addr_from;) {
        const uint8_t *r = addr_rec_upto(s, (uint32_t)id, upto);
        sl_fp f;
        if (!r) continue;
        f = sl_fpmap_hash(&b->amap, r, 2 + (size_t)r[1]);
        if (exact) sl_fpmap_unadd(&b->amap, f, (uint32_t)id);
        else sl_fpmap_remove(&b->amap, f, (uint32_t)id);
    }
}

void sl_btc_abort(sl_store *s)
{
    sl_btc_state *b = B(s);
    if (b->wtxn) {
        undo_txs(s, &b->m, b->cm.n_tx, b->cm.n_addr, false, b->amap.gen == b->amap_gen0);
        if (b->spent_applied) /* a failed commit wrote marks for txs that did not commit */
            for (size_t i = 0; i < b->nsp; i++) {
                uint64_t o = sl_btc_tx_first_out(s, SL_REF_TX(b->sp[i].ref)) + SL_REF_IDX(b->sp[i].ref);
                if (o < sl_col_cap(&b->col[C_SPENT]) && sl_le40(sl_col_at(&b->col[C_SPENT], o)) == b->sp[i].tx + 1)
                    sl_put_le40(sl_col_at(&b->col[C_SPENT], o), 0);
            }
        runs_back(b);
        mdb_txn_abort(b->wtxn);
        b->wtxn = NULL;
    }
    for (int c = 0; c < C_N; c++)
        if (c != C_BLOCKS && c != C_BSTART && c != C_SPENT) sl_col_append_start(&b->col[c], col_records(&b->cm, c));
    batch_clear(b);
    b->m = b->cm;
    b->net = sl_btc_net_by_name(b->cm.network[0] ? b->cm.network : "bitcoin");
    if (!b->net) b->net = sl_btc_net_default();
}

static int put_manifest(sl_store *s, const char *key, const sl_runs *rs, uint8_t **keep, size_t *keepn, sl_error *e)
{
    sl_btc_state *b = B(s);
    size_t n;
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc;
    if (!*keep && !(*keep = sl_malloc(sl_runs_manifest_max()))) return sl_err(e, SL_ENOMEM, "out of memory");
    sl_runs_manifest(rs, *keep, &n);
    v.mv_size = n;
    v.mv_data = *keep;
    if ((rc = mdb_put(b->wtxn, s->db_meta, &k, &v, 0))) return mdb_fail(e, "put run list", rc);
    *keepn = n;
    return SL_OK;
}

/* The commit's last step, shared by ingest batches and rollbacks: syncs the files, commits
 * the record (counts and run lists), then deletes the runs merged away. */
static int commit_record(sl_store *s, const uint64_t *dropped_t, int ndt, const uint64_t *dropped_h, int ndh,
                         const uint64_t *dropped_a, int nda, uint64_t acold, sl_error *e)
{
    sl_btc_state *b = B(s);
    MDB_val k = {3, "btc"}, v = {sizeof b->m, &b->m}, ak = {9, "btc.acold"}, av;
    uint8_t *mt = NULL, *mh = NULL, *ma = NULL, acb[16] = {0};
    size_t mtn = 0, mhn = 0, man = 0;
    int rc;
    for (int c = 0; c < C_N; c++) {
        if (c == C_BLOCKS || c == C_BSTART) {
            if ((rc = sl_col_sync(&b->col[c], b->cm.n_blocks < b->m.n_blocks ? b->cm.n_blocks : b->m.n_blocks,
                                  b->m.n_blocks, e)))
                return rc;
        } else if (c != C_SPENT && ((rc = sl_col_flush(&b->col[c], e)) || (rc = sl_col_datasync(&b->col[c], e)))) {
            /* spent.col is not synced here: its marks are derivable from ins.col, and the
             * next writer rewrites those of txs past the last checkpoint after a crash */
            return rc;
        }
    }
    sl_test_point("commit:logged");
    sl_put_le32(acb, SL_STORE_VERSION_ACOLD); /* older sleuths refuse the store (store.h) */
    sl_put_le64(acb + 8, acold);
    av = (MDB_val){16, acb};
    if ((rc = put_manifest(s, "btc.runs.t", &b->truns, &mt, &mtn, e)) ||
        (rc = put_manifest(s, "btc.runs.h", &b->hruns, &mh, &mhn, e)) ||
        (acold && (rc = put_manifest(s, "btc.runs.a", &b->aruns, &ma, &man, e))) ||
        (acold && (rc = mdb_put(b->wtxn, s->db_meta, &ak, &av, 0)) && (rc = mdb_fail(e, "put btc.acold", rc))) ||
        (!acold && b->acold && (rc = mdb_del(b->wtxn, s->db_meta, &ak, NULL)) && rc != MDB_NOTFOUND &&
         (rc = mdb_fail(e, "delete btc.acold", rc)))) {
        sl_free(mt);
        sl_free(mh);
        sl_free(ma);
        return rc;
    }
    if ((rc = mdb_put(b->wtxn, s->db_meta, &k, &v, 0))) {
        sl_free(mt);
        sl_free(mh);
        sl_free(ma);
        return mdb_fail(e, "put meta", rc);
    }
    rc = mdb_txn_commit(b->wtxn);
    b->wtxn = NULL;
    if (rc) {
        sl_free(mt);
        sl_free(mh);
        sl_free(ma);
        return mdb_fail(e, "commit", rc);
    }
    sl_free(b->man_t);
    sl_free(b->man_h);
    b->man_t = mt, b->man_tn = mtn, b->man_h = mh, b->man_hn = mhn;
    if (acold || b->acold) {
        sl_free(b->man_a);
        b->man_a = ma, b->man_an = man;
    }
    b->acold = acold;
    /* the batch's appends are on disk; the writer does not read them back soon */
    for (int c = 0; c < C_N; c++)
        if (c != C_BLOCKS && c != C_BSTART && c != C_SPENT && c != C_ADDRX)
            sl_col_drop_cache(&b->col[c], col_records(&b->cm, c), col_records(&b->m, c));
    b->cm = b->m;
    sl_test_point("commit:committed");
    sl_runs_unlink(&b->truns, dropped_t, ndt);
    sl_runs_unlink(&b->hruns, dropped_h, ndh);
    sl_runs_unlink(&b->aruns, dropped_a, nda);
    batch_clear(b);
    for (int c = 0; c < C_N; c++)
        if (sl_col_refresh(&b->col[c], e)) return e ? e->code : SL_EIO;
    /* readers in this process see the new state */
    mdb_txn_reset(s->rtxn);
    if ((rc = mdb_txn_renew(s->rtxn))) return mdb_fail(e, "renew", rc);
    return SL_OK;
}

int sl_btc_commit(sl_store *s, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint64_t dt[SL_RUNS_MAX + 1], dh[SL_RUNS_MAX + 1], file;
    int ndt = 0, ndh = 0, rc;
    if (!b->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    b->m.seq = b->cm.seq + 1;
    file = b->m.next_run;
    for (int c = 0; c < C_N; c++)
        if (c != C_BLOCKS && c != C_BSTART && c != C_SPENT && (rc = sl_col_flush(&b->col[c], e))) goto fail;
    if ((rc = apply_spends(s, e))) goto fail;
    if ((rc = sl_runs_add_keys(&b->truns, b->tx0, b->m.n_tx, b->kv, b->nkv, &file, e)) ||
        (rc = sl_runs_add_hist(&b->hruns, b->tx0, b->m.n_tx, b->ev, b->nev, &file, e)) ||
        (rc = sl_runs_maintain(&b->truns, &file, NULL, NULL, dt, &ndt, e)) ||
        (rc = sl_runs_maintain(&b->hruns, &file, tx_stats, s, dh, &ndh, e)))
        goto fail;
    b->m.next_run = file;
    if ((rc = commit_record(s, dt, ndt, dh, ndh, NULL, 0, b->acold, e))) goto fail;
    sl_store_mark_written(s);
    return SL_OK;
fail:
    sl_btc_abort(s);
    return rc;
}

/* ---------------- rollback ---------------- */

/* Undoes every block stored at or after block index cut; the caller commits. */
static int rollback_to(sl_store *s, uint32_t cut, uint64_t *dt, int *ndt, uint64_t *dh, int *ndh, uint64_t *da,
                       int *nda, uint64_t *acold, sl_error *e)
{
    sl_btc_state *b = B(s);
    const bstart_rec *bs = sl_col_at(&b->col[C_BSTART], cut);
    sl_btc_meta nm = b->m;
    uint64_t file = b->m.next_run;
    int rc;
    nm.n_blocks = cut;
    nm.n_tx = sl_btc_block_at(s, cut)->first_tx;
    nm.n_in = bs->n_in;
    nm.n_out = bs->n_out;
    nm.n_extin = bs->n_extin;
    nm.n_wtx = bs->n_wtx;
    nm.n_abytes = bs->n_abytes;
    nm.n_addr = bs->n_addr;
    /* the run sets lose the removed txs while their records are still readable */
    if ((rc = sl_runs_cut(&b->truns, nm.n_tx, &file, NULL, NULL, dt, ndt, e)) ||
        (rc = sl_runs_cut(&b->hruns, nm.n_tx, &file, tx_stats, s, dh, ndh, e)))
        return rc;
    /* addresses the cut removes that were moved to the cold tier leave it too */
    *acold = b->acold;
    if (nm.n_addr < b->acold) {
        if ((rc = sl_runs_cut(&b->aruns, nm.n_addr, &file, NULL, NULL, da, nda, e))) return rc;
        *acold = nm.n_addr;
    }
    for (uint64_t i = nm.n_blocks; i < b->m.n_blocks; i++) {
        const sl_btc_blockrec *br = sl_btc_block_at(s, i);
        MDB_val k = {32, (void *)br->hash.b};
        uint32_t idx;
        mdb_del(b->wtxn, b->db_block, &k, NULL);
        if (br->height != SL_NONE32 && get_u32(s, b->db_height, &br->height, 4, &idx) == SL_OK && idx >= cut) {
            MDB_val hk = {4, (void *)&br->height};
            mdb_del(b->wtxn, b->db_height, &hk, NULL);
        }
    }
    nm.chain_tip = nm.max_height_block = SL_NONE32;
    for (uint64_t i = 0; i < nm.n_blocks; i++) {
        const sl_btc_blockrec *br = sl_btc_block_at(s, i);
        if (br->flags & SL_BLK_LINKED) nm.chain_tip = (uint32_t)i;
        if (br->height != SL_NONE32 &&
            (nm.max_height_block == SL_NONE32 || br->height > sl_btc_block_at(s, nm.max_height_block)->height))
            nm.max_height_block = (uint32_t)i;
    }
    nm.next_run = file;
    nm.seq = b->cm.seq + 1;
    b->m = nm;
    return SL_OK;
}

int sl_btc_truncate(sl_store *s, uint32_t cut, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint64_t dt[SL_RUNS_MAX + 1], dh[SL_RUNS_MAX + 1], da[SL_RUNS_MAX + 1], acold, acold0 = b->acold;
    int ndt = 0, ndh = 0, nda = 0, rc;
    if (s->mode != SL_STORE_WRITE) return sl_err(e, SL_EUSAGE, "store opened read-only");
    sl_btc_meta old;
    if (cut >= b->cm.n_blocks) return SL_OK;
    if ((rc = sl_btc_begin(s, NULL, e))) return rc;
    old = b->m;
    if ((rc = rollback_to(s, cut, dt, &ndt, dh, &ndh, da, &nda, &acold, e))) {
        sl_btc_abort(s);
        return rc;
    }
    sl_test_point("rollback:computed");
    /* the commit first: a kill before it leaves the store as it was; nothing in place has
     * changed yet */
    if ((rc = commit_record(s, dt, ndt, dh, ndh, da, nda, acold, e))) {
        sl_btc_abort(s);
        return rc;
    }
    /* then the writer's tables forget the removed txs (their records are still in the
     * files; a kill here is put right by the next writer's recovery: addr.map is purged of
     * ids past the counts, utxo.map rebuilt with stale spent marks cleared) */
    undo_txs(s, &old, b->cm.n_tx, b->cm.n_addr, true, false);
    /* the cut went into the cold tier: the hot one, now empty, starts at the new end (a
     * failure or a kill leaves that to the next writer's recovery) */
    if (acold != acold0 && sl_fpmap_reset(&b->amap, acold, 0, NULL)) { /* see above */ }
    for (int c = 0; c < C_N; c++)
        if (c != C_BLOCKS && c != C_BSTART && c != C_SPENT) sl_col_append_start(&b->col[c], col_records(&b->cm, c));
    if (!b->cm.n_blocks) sl_store_mark_unwritten(s);
    /* the removed txs' annotations: past the counts already (invisible), deleted now; a
     * failure or a kill leaves them to the next writer, which deletes them on opening */
    {
        sl_error ae = {0};
        if (sl_annot_cut_store(s, SL_CHAIN_BTC, b->cm.n_tx, &ae)) { /* see above */ }
    }
    return SL_OK;
}

int sl_btc_rollback(sl_store *s, uint32_t height, sl_btc_rollback_report *r, sl_error *e)
{
    sl_btc_state *b = B(s);
    uint32_t cut;
    const sl_btc_blockrec *tip;
    int rc;
    memset(r, 0, sizeof *r);
    if (s->mode != SL_STORE_WRITE) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (!b->cm.n_blocks) return sl_err(e, SL_ENOTFOUND, "%s: holds no Bitcoin-family blocks", s->dir);
    tip = b->cm.max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, b->cm.max_height_block);
    r->from_height = tip ? tip->height : 0;
    /* the cut: the first block (in ingest order) above height; everything stored from it
     * on goes, so no block at or below height may come after it */
    for (cut = 0; cut < b->cm.n_blocks; cut++) {
        uint32_t h = sl_btc_block_at(s, cut)->height;
        if (h != SL_NONE32 && h > height) break;
    }
    if (cut == b->cm.n_blocks) return SL_OK; /* nothing above it */
    for (uint64_t i = cut + 1; i < b->cm.n_blocks; i++) {
        uint32_t h = sl_btc_block_at(s, i)->height;
        if (h != SL_NONE32 && h <= height)
            return sl_err(e, SL_ECONFLICT, "%s: the block at height %u was ingested after a block above height %u "
                          "(height %u); a rollback removes everything stored after its cut, so it would remove "
                          "blocks at or below %u too: nothing was changed", s->dir, h, height,
                          sl_btc_block_at(s, cut)->height, height);
    }
    r->blocks_removed = b->cm.n_blocks - cut;
    r->txs_removed = b->cm.n_tx - sl_btc_block_at(s, cut)->first_tx;
    if ((rc = sl_btc_truncate(s, cut, e))) return rc;
    tip = b->cm.max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, b->cm.max_height_block);
    r->to_height = tip ? tip->height : 0;
    r->emptied = tip == NULL;
    return SL_OK;
}
