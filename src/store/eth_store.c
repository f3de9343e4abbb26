/* eth_store.c — the Ethereum-family backend of the store (layout, commit protocol and
 * rollback in include/sleuth/eth_store.h): opening a chain's files, the look-ups, the
 * batch writer the ingest layer drives, crash recovery, rollback.
 *
 * As for Bitcoin (btc_store.c), the writer's work per flow is appends through buffers
 * plus probes of two tables kept in memory: acct.map and asset.map (fpmap.h). What a
 * batch changes elsewhere — the tx-hash index, the accounts' histories, their balances —
 * is collected in memory (the balances as one sum per (account, asset) touched) and
 * written at the commit as one run of each set (runs.h). Nothing is updated in place and
 * no record of an earlier batch is read, so neither the cost per flow nor the memory
 * grows with the store or the input.
 */
#include "sleuth/eth_store.h"

#include <errno.h>
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

_Static_assert(sizeof(sl_eth_blockrec) == 64, "blocks.col record");
_Static_assert(sizeof(sl_eth_txrec) == 96, "txs.col record");
_Static_assert(sizeof(sl_eth_flowrec) == 48, "flows.col record");
_Static_assert(sizeof(sl_eth_meta) == 88, "commit record");

/* bstart.col: the counts as they were when a block began; a rollback reads them. */
typedef struct bstart_rec {
    uint64_t n_flows, n_bigs;
    uint32_t n_accts, n_assets;
    uint64_t top_p1; /* highest block number stored before this block + 1; 0 = none */
} bstart_rec;
_Static_assert(sizeof(bstart_rec) == 32, "bstart.col record");

enum { E_BLOCKS, E_BSTART, E_TXS, E_FLOWS, E_BIGS, E_ACCTS, E_ASSETS, E_N };
static const struct { const char *name; size_t rec; } ECOLS[E_N] = {
    {"blocks", 64}, {"bstart", 32}, {"txs", 96}, {"flows", 48}, {"bigs", 32}, {"accts", 20}, {"assets", 20},
};
/* the run sets: tx-hash index, histories, balances */
enum { R_T, R_H, R_B, R_N };
static const struct { const char *prefix; int kind; } RUNS[R_N] = {
    {"t", SL_RUNS_KEYS}, {"h", SL_RUNS_HIST}, {"b", SL_RUNS_SUMS},
};
#define BATCH_MAX_FLOWS ((uint64_t)1 << 30) /* history items are 32-bit offsets within a batch */
#define MARK_EVERY 1024                     /* newest-first walks keep a mark this often */

struct sl_eth_chain {
    sl_store *s;
    const sl_eth_chain_info *info;
    bool writer;
    char dir[600], key[32];
    sl_col col[E_N];
    sl_fpmap amap, smap;          /* account and asset maps */
    sl_runs runs[R_N];
    uint8_t *man[R_N];            /* the committed run lists */
    size_t man_n[R_N];
    MDB_dbi db_block;
    MDB_txn *wtxn;
    sl_eth_meta cm, m;            /* committed; working (= cm unless a batch is open) */
    uint64_t ctop_p1, top_p1;     /* highest stored block number + 1 (0: none), committed and working */
    /* the open batch */
    uint64_t amap_gen0, smap_gen0;
    sl_runs_kv *kv;
    size_t nkv, capkv;
    sl_hist_ev *ev;
    size_t nev, capev;
    sl_ht bal;                    /* (account id << 32 | asset id) -> index in sums */
    sl_sum_item *sums;
    size_t nsums, capsums;
};

struct sl_eth_state {
    sl_eth_chain *chains[8];
    int n;
};

static int mdb_fail(sl_error *e, const char *what, int rc) { return sl_store_mdb_fail(e, what, rc); }

static uint64_t *ecount(sl_eth_meta *m, int c)
{
    switch (c) {
    case E_BLOCKS: case E_BSTART: return &m->n_blocks;
    case E_TXS: return &m->n_tx;
    case E_FLOWS: return &m->n_flows;
    case E_BIGS: return &m->n_bigs;
    case E_ACCTS: return &m->n_accts;
    default: return &m->n_assets;
    }
}

/* Record i of column col: through the mapping for a reader; for the writer from its
 * append buffer or the (re)mapped file. A writer must not keep the pointer across a call
 * that appends or commits. */
static inline const void *rec(const sl_eth_chain *c, int col, uint64_t i)
{
    if (c->writer) return sl_col_rec((sl_col *)&c->col[col], i);
    return sl_col_at(&c->col[col], i);
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) p[i] = (uint8_t)v, v >>= 8;
}

static uint64_t key48(const uint8_t *hash)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++) k = k << 8 | hash[i];
    return k;
}

/* ---------------- reading ---------------- */

const sl_eth_chain_info *sl_eth_chain_info_get(const sl_eth_chain *c) { return c->info; }
const sl_eth_meta *sl_eth_meta_get(const sl_eth_chain *c) { return &c->m; }

const sl_eth_blockrec *sl_eth_block_at(const sl_eth_chain *c, uint64_t i)
{
    return i < c->m.n_blocks ? rec(c, E_BLOCKS, i) : NULL;
}

int sl_eth_block_by_number(const sl_eth_chain *c, uint64_t number, uint32_t *idx)
{
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    be64(kb, number);
    if (mdb_get(c->wtxn ? c->wtxn : sl_store_rtxn(c->s), c->db_block, &k, &v) || v.mv_size != 4) return SL_ENOTFOUND;
    memcpy(idx, v.mv_data, 4);
    return *idx < c->m.n_blocks ? SL_OK : SL_ENOTFOUND;
}

const sl_eth_txrec *sl_eth_tx_at(const sl_eth_chain *c, uint64_t id)
{
    return id < c->m.n_tx ? rec(c, E_TXS, id) : NULL;
}

typedef struct findctx {
    const sl_eth_chain *c;
    const uint8_t *hash;
    uint64_t best;
} findctx;

static void find_cb(void *ctx, uint64_t id)
{
    findctx *f = ctx;
    const sl_eth_txrec *t;
    if (id >= f->c->cm.n_tx || (f->best != UINT64_MAX && id <= f->best)) return;
    if ((t = rec(f->c, E_TXS, id)) && !memcmp(t->hash.b, f->hash, 32)) f->best = id;
}

int sl_eth_tx_find(const sl_eth_chain *c, const sl_hash256 *h, uint64_t *id)
{
    findctx f = {c, h->b, UINT64_MAX};
    sl_runs_find_key(&c->runs[R_T], key48(h->b), find_cb, &f);
    if (f.best == UINT64_MAX) return SL_ENOTFOUND;
    *id = f.best;
    return SL_OK;
}

static void amount_get(const sl_eth_chain *c, const uint8_t a[16], bool big, sl_u256 *v)
{
    memset(v, 0, sizeof *v);
    if (big) {
        uint64_t k;
        const void *r;
        memcpy(&k, a, 8);
        if (k < c->m.n_bigs && (r = rec(c, E_BIGS, k))) memcpy(v->w, r, 32);
        return;
    }
    memcpy(&v->w[0], a, 8);
    memcpy(&v->w[1], a + 8, 8);
}

void sl_eth_tx_value(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v) { amount_get(c, t->value, t->flags & SL_ETX_VALUE_BIG, v); }
void sl_eth_tx_fee(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v) { amount_get(c, t->fee, t->flags & SL_ETX_FEE_BIG, v); }

const sl_eth_flowrec *sl_eth_flow_at(const sl_eth_chain *c, uint64_t id)
{
    return id < c->m.n_flows ? rec(c, E_FLOWS, id) : NULL;
}
void sl_eth_flow_amount(const sl_eth_chain *c, const sl_eth_flowrec *f, sl_u256 *v) { amount_get(c, f->amount, f->flags & 1, v); }

bool sl_eth_acct_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a)
{
    const void *r;
    if (id < SL_SINK_N || id >= c->m.n_accts || !(r = rec(c, E_ACCTS, id))) return false;
    memcpy(a->b, r, 20);
    return true;
}

bool sl_eth_asset_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a)
{
    const void *r;
    if (id == 0 || id >= c->m.n_assets || !(r = rec(c, E_ASSETS, id))) return false;
    memcpy(a->b, r, 20);
    return true;
}

/* The account id of a (committed, or the writer's), checked against its stored address:
 * the map holds fingerprints only. */
static int acct_id(const sl_eth_chain *c, const sl_eth_addr *a, uint32_t *id)
{
    sl_eth_addr got;
    uint32_t k;
    if (!c->amap.map) return SL_ENOTFOUND;
    k = sl_fpmap_find(&c->amap, sl_fpmap_hash(&c->amap, a->b, 20));
    if (k == SL_FPMAP_NONE || !sl_eth_acct_addr(c, k, &got) || memcmp(got.b, a->b, 20)) return SL_ENOTFOUND;
    *id = k;
    return SL_OK;
}

/* The totals of history items: odd items are flows received, even ones flows sent (the
 * hist set's stats function; it reads nothing). */
static int hist_counts(void *ctx, uint32_t acct, const uint64_t *items, size_t n, sl_hist_stats *st)
{
    (void)ctx, (void)acct;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < n; i++) {
        if (items[i] & 1) st->received++, st->n_out++;
        else st->spent++, st->n_spent++;
    }
    return SL_OK;
}

int sl_eth_acct_lookup(const sl_eth_chain *c, const sl_eth_addr *a, sl_eth_acctstat *st)
{
    sl_sum_item *v;
    size_t n;
    uint32_t id;
    int rc;
    memset(st, 0, sizeof *st);
    if (acct_id(c, a, &id)) return SL_ENOTFOUND;
    /* its balance entries hold its counts and span, asset by asset (the counts are right
     * even when an amount's total passes 2^256 - 1) */
    if ((rc = sl_runs_sums_get(&c->runs[R_B], id, &v, &n)) && rc != SL_ELIMIT) return rc;
    st->id = id;
    st->first_time = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        st->n_in += v[i].na;
        st->n_out += v[i].nb;
        if (v[i].vmin < st->first_time) st->first_time = v[i].vmin;
        if (v[i].vmax > st->last_time) st->last_time = v[i].vmax;
    }
    sl_free(v);
    return SL_OK;
}

/* Calls fn for the flows of one part newest first: a mark every MARK_EVERY items, then
 * each stretch decoded forward into a buffer and given backward. */
static int part_newest_first(const sl_hist_part *part, uint64_t *prev, int (*fn)(void *ctx, uint64_t flow), void *ctx)
{
    uint64_t nmarks = (part->n + MARK_EVERY - 1) / MARK_EVERY, buf[MARK_EVERY], x;
    sl_hist_iter one, *marks = nmarks <= 1 ? &one : sl_malloc(nmarks * sizeof *marks), it = sl_hist_iter_of(part);
    int rc = 0;
    if (!marks) return SL_ENOMEM;
    nmarks = 0;
    for (uint64_t k = 0; k < part->n; k++) {
        if (k % MARK_EVERY == 0) marks[nmarks++] = it;
        if (!sl_hist_iter_next(&it, &x)) break;
    }
    for (uint64_t m = nmarks; m-- > 0 && !rc;) {
        size_t n = 0;
        it = marks[m];
        while (n < MARK_EVERY && sl_hist_iter_next(&it, &buf[n])) n++;
        while (n-- > 0 && !rc) {
            uint64_t f = buf[n] >> 1;
            if (f == *prev) continue; /* a flow to itself: items 2f and 2f + 1 */
            *prev = f;
            rc = fn(ctx, f);
        }
    }
    if (marks != &one) sl_free(marks);
    return rc;
}

int sl_eth_acct_each_flow(const sl_eth_chain *c, uint32_t acct, bool newest_first, int (*fn)(void *ctx, uint64_t flow),
                          void *ctx)
{
    sl_hist_part parts[SL_RUNS_MAX];
    int np = acct >= SL_SINK_N && acct < c->m.n_accts ? sl_runs_hist_parts(&c->runs[R_H], acct, parts) : 0, rc = 0;
    uint64_t prev = UINT64_MAX, x;
    if (newest_first) {
        for (int i = np - 1; i >= 0 && !rc; i--) rc = part_newest_first(&parts[i], &prev, fn, ctx);
        return rc;
    }
    for (int i = 0; i < np && !rc; i++)
        for (sl_hist_iter it = sl_hist_iter_of(&parts[i]); !rc && sl_hist_iter_next(&it, &x);) {
            if (x >> 1 == prev) continue;
            prev = x >> 1;
            rc = fn(ctx, prev);
        }
    return rc;
}

int sl_eth_balances(const sl_eth_chain *c, uint32_t acct, sl_eth_balance_fn fn, void *ctx)
{
    sl_sum_item *v;
    size_t n;
    int rc = sl_runs_sums_get(&c->runs[R_B], acct, &v, &n);
    if (rc) {
        sl_free(v); /* a wrapped total is not shown */
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t asset = (uint32_t)v[i].key;
        sl_u256 in, out;
        if (asset >= c->m.n_assets) continue;
        memcpy(in.w, v[i].a, 32);
        memcpy(out.w, v[i].b, 32);
        fn(ctx, asset, &in, &out);
    }
    sl_free(v);
    return SL_OK;
}

void sl_eth_asset_name(const sl_eth_chain *c, uint32_t asset, char out[48])
{
    sl_eth_addr a;
    const sl_eth_token *t;
    if (asset == 0) { snprintf(out, 48, "%s", c->info->native); return; }
    if (!sl_eth_asset_addr(c, asset, &a)) { snprintf(out, 48, "?"); return; }
    if ((t = sl_eth_token_find(c->info->name, &a))) { snprintf(out, 48, "%s", t->symbol); return; }
    if (c->info->tron) sl_tron_addr_encode(out, &a);
    else sl_eth_addr_eip55(out, &a);
}

void sl_eth_acct_name(const sl_eth_chain *c, uint32_t id, char out[48])
{
    sl_eth_addr a;
    if (id < SL_SINK_N) { snprintf(out, 48, "%s", sl_eth_sink_name((int)id)); return; }
    if (!sl_eth_acct_addr(c, id, &a)) { snprintf(out, 48, "?"); return; }
    if (c->info->tron) sl_tron_addr_encode(out, &a);
    else sl_eth_addr_eip55(out, &a);
}

/* ---------------- opening, snapshots, closing ---------------- */

static int get_manifest(sl_eth_chain *c, MDB_txn *txn, int i, sl_error *e)
{
    char key[64];
    MDB_val k = {0, key}, v;
    int rc;
    snprintf(key, sizeof key, "%s.runs.%s", c->key, RUNS[i].prefix);
    k.mv_size = strlen(key);
    c->man_n[i] = 0;
    if ((rc = mdb_get(txn, c->s->db_meta, &k, &v)) == MDB_NOTFOUND) return SL_OK;
    if (rc) return mdb_fail(e, "read run list", rc);
    if (v.mv_size > sl_runs_manifest_max()) return sl_err(e, SL_ESTORE, "%s: run list %s too long", c->dir, key);
    if (!c->man[i] && !(c->man[i] = sl_malloc(sl_runs_manifest_max()))) return sl_err(e, SL_ENOMEM, "out of memory");
    memcpy(c->man[i], v.mv_data, v.mv_size);
    c->man_n[i] = v.mv_size;
    return SL_OK;
}

/* The commit record of the chain as txn sees it, checked (*found: whether there is one). */
static int read_meta(sl_eth_chain *c, MDB_txn *txn, sl_eth_meta *out, bool *found, sl_error *e)
{
    MDB_val k = {strlen(c->key), c->key}, v;
    int rc = mdb_get(txn, c->s->db_meta, &k, &v);
    *found = rc == 0;
    if (rc == MDB_NOTFOUND) {
        memset(out, 0, sizeof *out);
        out->version = SL_STORE_VERSION;
        out->layout = SL_ETH_LAYOUT;
        out->n_accts = SL_SINK_N; /* ids 0-3: none, burn, fees, mint */
        out->n_assets = 1;        /* id 0: the native coin */
        out->next_run = 1;
        snprintf(out->chain, sizeof out->chain, "%s", c->info->name);
        return SL_OK;
    }
    if (rc) return mdb_fail(e, "read meta", rc);
    if (v.mv_size >= 4 && sl_le32(v.mv_data) != SL_STORE_VERSION)
        return sl_store_version_error(e, sl_store_dir(c->s), sl_le32(v.mv_data));
    if (!sl_eth_layout_ok(v.mv_data, v.mv_size)) return sl_eth_layout_error(e, sl_store_dir(c->s), c->info->name);
    memcpy(out, v.mv_data, sizeof *out);
    return SL_OK;
}

bool sl_eth_layout_ok(const void *v, size_t n)
{
    return n == sizeof(sl_eth_meta) && sl_le32((const uint8_t *)v + 4) == SL_ETH_LAYOUT;
}

int sl_eth_layout_error(sl_error *e, const char *dir, const char *chain)
{
    return sl_err(e, SL_EVERSION, "%s: its %s data was written by an earlier sleuth (accounts, balances and tx hashes "
                  "in LMDB), which this sleuth does not read: ingest the chain again into a new store (sleuth ingest "
                  "%s --store NEWDIR ...)", dir, chain, strcmp(chain, "tron") ? "eth" : "tron");
}

/* The highest stored block number + 1 among blocks [0, n) (0: none). */
static uint64_t top_of(const sl_eth_chain *c, uint64_t n)
{
    const bstart_rec *bs;
    const sl_eth_blockrec *br;
    uint64_t t;
    if (!n || !(bs = rec(c, E_BSTART, n - 1))) return 0;
    t = bs->top_p1;
    if (!(br = rec(c, E_BLOCKS, n - 1))) return t;
    return br->number + 1 > t ? br->number + 1 : t;
}

/* Reads the commit record (counts, run lists) seen by txn into the handle. */
static int load_meta(sl_eth_chain *c, MDB_txn *txn, sl_error *e)
{
    bool found;
    int rc = read_meta(c, txn, &c->cm, &found, e);
    if (rc) return rc;
    c->m = c->cm;
    for (int i = 0; i < R_N; i++)
        if ((rc = get_manifest(c, txn, i, e)) || (rc = sl_runs_load(&c->runs[i], c->man[i], c->man_n[i], e))) return rc;
    for (int i = 0; i < E_N; i++) {
        if ((rc = sl_col_refresh(&c->col[i], e))) return rc;
        if (!c->writer && *ecount(&c->cm, i) > sl_col_cap(&c->col[i]) && found)
            return sl_err(e, SL_ESTORE, "%s: holds %llu records, the commit record says %llu (truncated store?)",
                          c->col[i].path, (unsigned long long)sl_col_cap(&c->col[i]),
                          (unsigned long long)*ecount(&c->cm, i));
    }
    if (!c->writer) {
        if ((rc = sl_fpmap_refresh(&c->amap, e)) && rc != SL_ENOTFOUND) return rc;
        if ((rc = sl_fpmap_refresh(&c->smap, e)) && rc != SL_ENOTFOUND) return rc;
    }
    c->ctop_p1 = c->top_p1 = top_of(c, c->cm.n_blocks);
    return SL_OK;
}

/* Writers: re-inserts ids [from, n) of column col into map mp (after a purge). */
/* The key sources of the two maps (fpmap.h: growth re-reads the keys): the 20-byte
 * address of an account or token contract by id; the reserved ids have none. */
static uint64_t acct_count(void *ctx) { return ((const sl_eth_chain *)ctx)->m.n_accts; }
static const void *acct_key(void *ctx, uint32_t id, size_t *len)
{
    const sl_eth_chain *c = ctx;
    *len = 20;
    return id < SL_SINK_N ? NULL : rec(c, E_ACCTS, id);
}
static uint64_t asset_count(void *ctx) { return ((const sl_eth_chain *)ctx)->m.n_assets; }
static const void *asset_key(void *ctx, uint32_t id, size_t *len)
{
    const sl_eth_chain *c = ctx;
    *len = 20;
    return id == 0 ? NULL : rec(c, E_ASSETS, id);
}

static int map_refill(sl_eth_chain *c, sl_fpmap *mp, int col, uint64_t from, uint64_t n, sl_error *e)
{
    for (uint64_t id = from; id < n; id++) {
        const void *r;
        bool added;
        int rc;
        if ((rc = sl_fpmap_reserve(mp, 1, e))) return rc;
        if (!(r = rec(c, col, id))) return sl_err(e, SL_ESTORE, "%s: record %llu missing", c->col[col].path, (unsigned long long)id);
        sl_fpmap_upsert(mp, sl_fpmap_hash(mp, r, 20), (uint32_t)id, &added);
    }
    return SL_OK;
}

/* Writer at open: what a crash may have left is put right (eth_store.h, commit protocol). */
static int writer_recover(sl_eth_chain *c, sl_error *e)
{
    static const uint8_t zero[SL_SINK_N * 20];
    uint64_t a0, s0;
    int rc;
    for (int i = 0; i < R_N; i++) sl_runs_collect(&c->runs[i]);
    /* the reserved records (account ids 0-3, asset 0) exist from the start */
    if (sl_col_cap(&c->col[E_ACCTS]) < SL_SINK_N &&
        pwrite(c->col[E_ACCTS].fd, zero, sizeof zero, SL_COL_HEADER) != (ssize_t)sizeof zero)
        return sl_col_io_error(e, c->col[E_ACCTS].path, "writing", errno ? errno : ENOSPC);
    if (sl_col_cap(&c->col[E_ASSETS]) < 1 && pwrite(c->col[E_ASSETS].fd, zero, 20, SL_COL_HEADER) != 20)
        return sl_col_io_error(e, c->col[E_ASSETS].path, "writing", errno ? errno : ENOSPC);
    for (int i = 0; i < E_N; i++) {
        if ((rc = sl_col_refresh(&c->col[i], e))) return rc;
        sl_col_append_start(&c->col[i], *ecount(&c->cm, i));
    }
    a0 = sl_fpmap_covered(&c->amap), s0 = sl_fpmap_covered(&c->smap);
    if (sl_fpmap_dirty(&c->amap)) {
        sl_fpmap_purge(&c->amap, c->cm.n_accts);
        if ((rc = map_refill(c, &c->amap, E_ACCTS, a0 > SL_SINK_N ? a0 : SL_SINK_N, c->cm.n_accts, e))) return rc;
    }
    if (sl_fpmap_dirty(&c->smap)) {
        sl_fpmap_purge(&c->smap, c->cm.n_assets);
        if ((rc = map_refill(c, &c->smap, E_ASSETS, s0 > 1 ? s0 : 1, c->cm.n_assets, e))) return rc;
    }
    c->ctop_p1 = c->top_p1 = top_of(c, c->cm.n_blocks); /* the records are readable now */
    return SL_OK;
}

static void batch_clear(sl_eth_chain *c)
{
    c->nkv = c->nev = c->nsums = 0;
    sl_ht_clear(&c->bal);
}

static void chain_close(sl_eth_chain *c)
{
    if (!c) return;
    if (c->writer) {
        sl_eth_abort(c);
        /* checkpoints: the maps become clean for the committed state */
        if (c->amap.map && sl_fpmap_checkpoint(&c->amap, c->cm.n_accts, true, NULL)) { /* stays dirty: recovery */ }
        if (c->smap.map && sl_fpmap_checkpoint(&c->smap, c->cm.n_assets, true, NULL)) { /* likewise */ }
        if (!sl_store_shared(c->s)) /* as the Bitcoin columns (btc_store.c) */
            for (int i = 0; i < E_N; i++) sl_col_trim(&c->col[i], *ecount(&c->cm, i));
    }
    for (int i = 0; i < E_N; i++) sl_col_close(&c->col[i]);
    sl_fpmap_close(&c->amap);
    sl_fpmap_close(&c->smap);
    for (int i = 0; i < R_N; i++) {
        sl_runs_close(&c->runs[i]);
        sl_free(c->man[i]);
    }
    sl_free(c->kv);
    sl_free(c->ev);
    sl_free(c->sums);
    sl_ht_free(&c->bal);
    sl_free(c);
}

void sl_eth_state_free(struct sl_eth_state *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) chain_close(st->chains[i]);
    sl_free(st);
}

int sl_eth_state_renew(sl_store *s, sl_error *e)
{
    struct sl_eth_state *st = *sl_store_eth_slot(s);
    int rc;
    for (int i = 0; st && i < st->n; i++) {
        sl_eth_chain *c = st->chains[i];
        if (c->wtxn) continue;
        if (!c->writer) {
            /* a reader opened the chain's block database in the store's read txn, and LMDB closes
             * a handle opened in a read txn when that txn is reset (mdb_txn_reset, before the
             * renew): open it again in the renewed txn, or every look-up by number fails */
            char dbn[64];
            snprintf(dbn, sizeof dbn, "eth.%s.block", c->info->name);
            if ((rc = mdb_dbi_open(sl_store_rtxn(s), dbn, 0, &c->db_block))) return mdb_fail(e, "open databases", rc);
        }
        if ((rc = load_meta(c, sl_store_rtxn(s), e))) return rc;
    }
    return SL_OK;
}

void sl_eth_state_remove_files(const char *dir)
{
    size_t n;
    const sl_chain_def *defs = sl_chain_defs(&n);
    char p[700], q[800];
    for (size_t i = 0; i < n; i++) {
        if (defs[i].model != SL_MODEL_ACCOUNT) continue;
        snprintf(p, sizeof p, "%s/eth/%s", dir, defs[i].name);
        /* the columns, then the maps (and a map's growth left half done) */
        for (int k = 0; k < E_N + 4; k++) {
            static const char *const maps[] = {"acct.map", "acct.map.new", "asset.map", "asset.map.new"};
            if (k < E_N) snprintf(q, sizeof q, "%s/%s.col", p, ECOLS[k].name);
            else snprintf(q, sizeof q, "%s/%s", p, maps[k - E_N]);
            unlink(q);
        }
        snprintf(q, sizeof q, "%s/runs", p);
        for (int k = 0; k < R_N; k++) {
            sl_runs rs;
            sl_runs_init(&rs, q, RUNS[k].prefix, RUNS[k].kind);
            sl_runs_collect(&rs);
        }
        rmdir(q);
        rmdir(p);
    }
    snprintf(p, sizeof p, "%s/eth", dir);
    rmdir(p);
}

static int mkdir_ok(const char *p) { return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : errno; }

int sl_eth_chain_open(sl_store *s, const char *name, sl_eth_chain **out, sl_error *e)
{
    struct sl_eth_state **slot = sl_store_eth_slot(s), *st;
    const sl_eth_chain_info *info = sl_eth_chain_by_name(name);
    sl_eth_chain *c;
    char rdir[700];
    bool rw = sl_store_writable(s), found;
    sl_eth_meta m;
    int rc;
    *out = NULL;
    if (!info) return sl_err(e, SL_EUSAGE, "unknown chain '%s' (ethereum, bsc, polygon, avalanche, arbitrum, base, tron)", name ? name : "");
    if (!*slot && !(*slot = sl_calloc(1, sizeof **slot))) return sl_err(e, SL_ENOMEM, "out of memory");
    st = *slot;
    for (int i = 0; i < st->n; i++)
        if (st->chains[i]->info == info) { *out = st->chains[i]; return SL_OK; }
    if (st->n >= 8) return sl_err(e, SL_ELIMIT, "too many chains open");
    if (!(c = sl_calloc(1, sizeof *c))) return sl_err(e, SL_ENOMEM, "out of memory");
    c->s = s;
    c->info = info;
    c->writer = rw;
    snprintf(c->dir, sizeof c->dir, "%s/eth/%s", sl_store_dir(s), info->name);
    snprintf(rdir, sizeof rdir, "%s/runs", c->dir);
    snprintf(c->key, sizeof c->key, "eth.%s", info->name);
    for (int i = 0; i < E_N; i++) c->col[i].fd = -1;
    c->amap.fd = c->smap.fd = -1;
    for (int i = 0; i < R_N; i++) sl_runs_init(&c->runs[i], rdir, RUNS[i].prefix, RUNS[i].kind);
    {
        char dbn[64];
        snprintf(dbn, sizeof dbn, "eth.%s.block", info->name);
        if (rw) {
            MDB_txn *txn;
            if ((rc = mdb_txn_begin(sl_store_env(s), NULL, 0, &txn))) { rc = mdb_fail(e, "txn_begin", rc); goto fail; }
            if ((rc = mdb_dbi_open(txn, dbn, MDB_CREATE, &c->db_block))) { mdb_txn_abort(txn); rc = mdb_fail(e, "open databases", rc); goto fail; }
            if ((rc = mdb_txn_commit(txn))) { rc = mdb_fail(e, "commit", rc); goto fail; }
            if ((rc = sl_store_renew(s, e))) goto fail;
        } else if ((rc = mdb_dbi_open(sl_store_rtxn(s), dbn, 0, &c->db_block))) {
            /* a chain is there once it has committed: before that (an ingest killed while it
             * created the chain) its files may be incomplete, and the store holds no data of it */
            rc = rc == MDB_NOTFOUND ? sl_err(e, SL_ENOTFOUND, "the store holds no %s data", info->name)
                                    : mdb_fail(e, "open databases", rc);
            goto fail;
        }
    }
    /* the commit record first: an older layout is refused before anything is made */
    if ((rc = read_meta(c, sl_store_rtxn(s), &m, &found, e))) goto fail;
    if (!found && !rw) { rc = sl_err(e, SL_ENOTFOUND, "the store holds no %s data", info->name); goto fail; }
    if (rw) {
        char p[720];
        snprintf(p, sizeof p, "%s/eth", sl_store_dir(s));
        if ((rc = mkdir_ok(p)) || (rc = mkdir_ok(c->dir)) || (rc = mkdir_ok(rdir))) {
            rc = sl_col_io_error(e, c->dir, "create", rc);
            goto fail;
        }
    }
    for (int i = 0; i < E_N; i++) {
        if ((rc = sl_col_open(&c->col[i], c->dir, ECOLS[i].name, ECOLS[i].rec, rw, e))) goto fail;
        if (i == 1) sl_test_point("eth-open:some-columns");
    }
    if ((rc = sl_fpmap_open(&c->amap, c->dir, "acct", rw, e)) || (rc = sl_fpmap_open(&c->smap, c->dir, "asset", rw, e)))
        goto fail;
    sl_fpmap_set_keys(&c->amap, acct_count, acct_key, c);
    sl_fpmap_set_keys(&c->smap, asset_count, asset_key, c);
    if ((rc = load_meta(c, sl_store_rtxn(s), e))) goto fail;
    if (rw && (rc = writer_recover(c, e))) goto fail;
    st->chains[st->n++] = c;
    *out = c;
    return SL_OK;
fail:
    c->writer = false; /* nothing to checkpoint or trim */
    chain_close(c);
    return rc;
}

/* ---------------- writing ---------------- */

int sl_eth_begin(sl_eth_chain *c, sl_error *e)
{
    int rc;
    if (!c->writer) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (c->wtxn) return sl_err(e, SL_EUSAGE, "a batch is already open");
    if ((rc = sl_store_grow_map(c->s, e))) return rc;
    if ((rc = mdb_txn_begin(sl_store_env(c->s), NULL, 0, &c->wtxn))) return mdb_fail(e, "txn_begin", rc);
    c->amap_gen0 = c->amap.gen;
    c->smap_gen0 = c->smap.gen;
    batch_clear(c);
    return SL_OK;
}

/* The id of address a in map mp (column col, whose count is *n), added when new. The
 * caller reserved room in the map. */
static int dict_id(sl_eth_chain *c, sl_fpmap *mp, int col, uint64_t *n, const sl_eth_addr *a, uint32_t *id, sl_error *e)
{
    sl_fp h;
    bool added;
    uint8_t *r;
    if (*n >= UINT32_MAX - 1)
        return sl_err(e, SL_ELIMIT, "more than 2^32-2 %s on %s", col == E_ACCTS ? "accounts" : "assets", c->info->name);
    h = sl_fpmap_hash(mp, a->b, 20);
    *id = sl_fpmap_upsert(mp, h, (uint32_t)*n, &added);
    if (!added) return SL_OK;
    if (!(r = sl_col_add(&c->col[col], e))) {
        sl_fpmap_unadd(mp, h, *id);
        return e ? e->code : SL_EIO;
    }
    memcpy(r, a->b, 20);
    (*n)++;
    return SL_OK;
}

static int grow_arr(void **p, size_t *cap, size_t need, size_t elt, sl_error *e)
{
    if (need <= *cap) return SL_OK;
    if (sl_grow(p, cap, need, elt)) return sl_err(e, SL_ENOMEM, "out of memory");
    return SL_OK;
}

/* The batch's entry of (account, asset), made when new (the caller made room for one). */
static int bal_entry(sl_eth_chain *c, uint32_t acct, uint32_t asset, sl_sum_item **out, sl_error *e)
{
    uint64_t key = (uint64_t)acct << 32 | asset, *slot;
    bool added;
    if (sl_ht_upsert(&c->bal, &key, 8, c->nsums, &slot, &added)) return sl_err(e, SL_ENOMEM, "out of memory");
    if (added) {
        *out = &c->sums[c->nsums++];
        memset(*out, 0, sizeof **out);
        (*out)->key = key;
        (*out)->vmin = UINT64_MAX;
    } else {
        *out = &c->sums[*slot];
    }
    return SL_OK;
}

/* Adds a flow of amount v at block time `time` to what account acct received (in) or
 * sent in asset `asset` in this batch (or, for a rollback, in the removed flows). The
 * caller made room for one more entry. */
static int bal_add(sl_eth_chain *c, uint32_t acct, uint32_t asset, const sl_u256 *v, bool in, uint64_t time, sl_error *e)
{
    sl_sum_item *it = NULL;
    sl_u256 t;
    int rc = bal_entry(c, acct, asset, &it, e);
    if (rc) return rc;
    if (in) it->na++;
    else it->nb++;
    if (time < it->vmin) it->vmin = time;
    if (time > it->vmax) it->vmax = time;
    memcpy(t.w, in ? it->a : it->b, 32);
    if (!sl_u256_add(&t, &t, v))
        return sl_err(e, SL_ELIMIT, "%s account %u: total %s of asset %u above 2^256-1", c->info->name, acct,
                      in ? "received" : "sent", asset);
    memcpy(in ? it->a : it->b, t.w, 32);
    return SL_OK;
}

/* Stores an amount inline (u128) or in bigs.col; *big says which. */
static int amount_put(sl_eth_chain *c, uint8_t out[16], const sl_u256 *v, bool *big, sl_error *e)
{
    uint8_t *r;
    *big = !sl_u256_fits(v, 128);
    if (!*big) {
        memcpy(out, &v->w[0], 8);
        memcpy(out + 8, &v->w[1], 8);
        return SL_OK;
    }
    if (!(r = sl_col_add(&c->col[E_BIGS], e))) return e ? e->code : SL_EIO;
    memcpy(r, v->w, 32);
    memset(out, 0, 16);
    memcpy(out, &c->m.n_bigs, 8);
    c->m.n_bigs++;
    return SL_OK;
}

static int append_txs(sl_eth_chain *c, const sl_eth_model *m, const sl_eth_mblock *mb, uint32_t bidx, uint64_t first_flow,
                      sl_error *e)
{
    int rc;
    for (uint32_t j = 0; mb->first_tx != SL_ETH_NONE32 && j < mb->n_tx; j++) {
        const sl_eth_mtx *t = &m->txs[mb->first_tx + j];
        sl_eth_txrec r, *w;
        bool big;
        memset(&r, 0, sizeof r);
        r.hash = t->hash;
        r.block = bidx;
        r.index = t->index;
        r.status = t->status;
        if (t->has_from && (rc = dict_id(c, &c->amap, E_ACCTS, &c->m.n_accts, &t->from, &r.from, e))) return rc;
        if (t->has_to && (rc = dict_id(c, &c->amap, E_ACCTS, &c->m.n_accts, &t->to, &r.to, e))) return rc;
        if (t->created) r.flags |= SL_ETX_CREATED;
        if ((rc = amount_put(c, r.value, &t->value, &big, e))) return rc;
        if (big) r.flags |= SL_ETX_VALUE_BIG;
        if (t->fee_known) {
            r.flags |= SL_ETX_FEE_KNOWN;
            if ((rc = amount_put(c, r.fee, &t->fee, &big, e))) return rc;
            if (big) r.flags |= SL_ETX_FEE_BIG;
        }
        r.first_flow = first_flow + (t->first_flow - mb->first_flow);
        r.n_flows = t->n_flows;
        if (!(w = sl_col_add(&c->col[E_TXS], e))) return e ? e->code : SL_EIO;
        *w = r;
        c->kv[c->nkv++] = (sl_runs_kv){key48(t->hash.b), c->m.n_tx++};
    }
    return SL_OK;
}

static int append_flows(sl_eth_chain *c, const sl_eth_model *m, const sl_eth_mblock *mb, uint32_t bidx, uint64_t first_tx,
                        sl_error *e)
{
    uint64_t base = 2 * c->cm.n_flows; /* the batch's first history item */
    int rc;
    for (uint32_t k = 0; k < mb->n_flows; k++) {
        const sl_eth_flow *f = &m->flows[mb->first_flow + k];
        uint64_t fid = c->m.n_flows;
        sl_eth_flowrec r, *w;
        bool big;
        memset(&r, 0, sizeof r);
        r.tx = f->tx == SL_ETH_NONE32 ? UINT64_MAX : first_tx + (f->tx - mb->first_tx);
        r.block = bidx;
        r.sub = f->sub;
        r.kind = f->kind;
        if (f->from_sink) r.from = f->from_sink;
        else if ((rc = dict_id(c, &c->amap, E_ACCTS, &c->m.n_accts, &f->from, &r.from, e))) return rc;
        if (f->to_sink) r.to = f->to_sink;
        else if ((rc = dict_id(c, &c->amap, E_ACCTS, &c->m.n_accts, &f->to, &r.to, e))) return rc;
        if (!f->native && (rc = dict_id(c, &c->smap, E_ASSETS, &c->m.n_assets, &f->asset, &r.asset, e))) return rc;
        if ((rc = amount_put(c, r.amount, &f->amount, &big, e))) return rc;
        if (big) r.flags |= 1;
        if (!(w = sl_col_add(&c->col[E_FLOWS], e))) return e ? e->code : SL_EIO;
        *w = r;
        c->m.n_flows++;
        /* balances for every endpoint, sinks included; histories for accounts only */
        if ((rc = bal_add(c, r.from, r.asset, &f->amount, false, mb->time, e)) ||
            (rc = bal_add(c, r.to, r.asset, &f->amount, true, mb->time, e)))
            return rc;
        if (!f->from_sink) c->ev[c->nev++] = (sl_hist_ev){r.from, (uint32_t)(2 * fid - base), 1 | SL_HIST_SPENT};
        if (!f->to_sink) c->ev[c->nev++] = (sl_hist_ev){r.to, (uint32_t)(2 * fid + 1 - base), 1};
    }
    return SL_OK;
}

int sl_eth_append_block(sl_eth_chain *c, const sl_eth_model *m, size_t bi, sl_error *e)
{
    const sl_eth_mblock *mb = &m->blocks[bi];
    uint32_t bidx = (uint32_t)c->m.n_blocks;
    uint64_t first_tx = c->m.n_tx, first_flow = c->m.n_flows;
    bstart_rec bs = {c->m.n_flows, c->m.n_bigs, (uint32_t)c->m.n_accts, (uint32_t)c->m.n_assets, c->top_p1};
    sl_eth_blockrec br;
    void *q;
    int rc;
    if (!c->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    if (c->m.n_blocks >= UINT32_MAX - 1) return sl_err(e, SL_ELIMIT, "more than 2^32-2 blocks on %s", c->info->name);
    if (c->m.n_flows + mb->n_flows - c->cm.n_flows >= BATCH_MAX_FLOWS)
        return sl_err(e, SL_ELIMIT, "a batch of more than 2^30 flows: commit more often (--batch-flows)");
    /* room in the maps and the batch's lists for everything this block can add */
    if ((rc = sl_fpmap_reserve(&c->amap, 2 * ((uint64_t)mb->n_tx + mb->n_flows) + 1, e)) ||
        (rc = sl_fpmap_reserve(&c->smap, mb->n_flows, e)))
        return rc;
    q = c->kv;
    if ((rc = grow_arr(&q, &c->capkv, c->nkv + mb->n_tx, sizeof *c->kv, e))) return rc;
    c->kv = q;
    q = c->ev;
    if ((rc = grow_arr(&q, &c->capev, c->nev + 2 * (size_t)mb->n_flows, sizeof *c->ev, e))) return rc;
    c->ev = q;
    q = c->sums;
    if ((rc = grow_arr(&q, &c->capsums, c->nsums + 2 * (size_t)mb->n_flows, sizeof *c->sums, e))) return rc;
    c->sums = q;

    memset(&br, 0, sizeof br);
    br.hash = mb->hash;
    br.number = mb->number;
    br.time = mb->time;
    br.first_tx = first_tx;
    br.n_tx = mb->n_tx;
    if (mb->has_miner && (rc = dict_id(c, &c->amap, E_ACCTS, &c->m.n_accts, &mb->miner, &br.miner, e))) return rc;
    if ((rc = append_txs(c, m, mb, bidx, first_flow, e)) || (rc = append_flows(c, m, mb, bidx, first_tx, e))) return rc;
    {
        sl_eth_blockrec *w = sl_col_add(&c->col[E_BLOCKS], e);
        bstart_rec *ws;
        if (!w) return e ? e->code : SL_EIO;
        *w = br;
        if (!(ws = sl_col_add(&c->col[E_BSTART], e))) return e ? e->code : SL_EIO;
        *ws = bs;
        c->m.n_blocks++;
    }
    {
        uint8_t kb[8];
        MDB_val k = {8, kb}, v = {4, &bidx};
        be64(kb, mb->number);
        if ((rc = mdb_put(c->wtxn, c->db_block, &k, &v, 0))) return mdb_fail(e, "put block", rc);
    }
    if (mb->number + 1 > c->top_p1) c->top_p1 = mb->number + 1;
    return SL_OK;
}

/* Takes ids [from, upto) of column col out of map mp again: exactly as if never added
 * when `exact` (an aborted batch with no growth of the map since it began; newest first),
 * else marked removed. Reads their keys, which must still be readable. */
static void map_forget(sl_eth_chain *c, sl_fpmap *mp, int col, uint64_t from, uint64_t upto, bool exact)
{
    for (uint64_t id = upto; id-- > from;) {
        const void *r = rec(c, col, id);
        sl_fp h;
        if (!r) continue;
        h = sl_fpmap_hash(mp, r, 20);
        if (exact) sl_fpmap_unadd(mp, h, (uint32_t)id);
        else sl_fpmap_remove(mp, h, (uint32_t)id);
    }
}

/* Puts the committed run lists back into the run sets (dropping runs a failed commit or
 * an abort added) and deletes the files of runs no list names. */
static void runs_back(sl_eth_chain *c)
{
    for (int i = 0; i < R_N; i++)
        if (sl_runs_load(&c->runs[i], c->man[i], c->man_n[i], NULL) == SL_OK) sl_runs_collect(&c->runs[i]);
}

void sl_eth_abort(sl_eth_chain *c)
{
    if (c->wtxn) mdb_txn_abort(c->wtxn);
    c->wtxn = NULL;
    if (!c->writer) return;
    map_forget(c, &c->amap, E_ACCTS, c->cm.n_accts, c->m.n_accts, c->amap.gen == c->amap_gen0);
    map_forget(c, &c->smap, E_ASSETS, c->cm.n_assets, c->m.n_assets, c->smap.gen == c->smap_gen0);
    runs_back(c);
    for (int i = 0; i < E_N; i++) sl_col_append_start(&c->col[i], *ecount(&c->cm, i));
    batch_clear(c);
    c->m = c->cm;
    c->top_p1 = c->ctop_p1;
}

static int put_manifest(sl_eth_chain *c, int i, uint8_t **keep, size_t *keepn, sl_error *e)
{
    char key[64];
    size_t n;
    MDB_val k = {0, key}, v;
    int rc;
    snprintf(key, sizeof key, "%s.runs.%s", c->key, RUNS[i].prefix);
    k.mv_size = strlen(key);
    if (!*keep && !(*keep = sl_malloc(sl_runs_manifest_max()))) return sl_err(e, SL_ENOMEM, "out of memory");
    sl_runs_manifest(&c->runs[i], *keep, &n);
    v.mv_size = n;
    v.mv_data = *keep;
    if ((rc = mdb_put(c->wtxn, c->s->db_meta, &k, &v, 0))) return mdb_fail(e, "put run list", rc);
    *keepn = n;
    return SL_OK;
}

/* The commit's last step, shared by ingest batches and rollbacks: writes and syncs the
 * columns, commits the record (counts and run lists), then deletes the runs merged away.
 * On failure the caller aborts. */
static int commit_record(sl_eth_chain *c, uint64_t dropped[R_N][SL_RUNS_MAX + 1], const int *nd, sl_error *e)
{
    MDB_val k = {strlen(c->key), c->key}, v = {sizeof c->m, &c->m};
    uint8_t *man[R_N] = {NULL};
    size_t man_n[R_N] = {0};
    int rc = SL_OK;
    for (int i = 0; i < E_N && !rc; i++)
        if (!(rc = sl_col_flush(&c->col[i], e)) && *ecount(&c->m, i) > *ecount(&c->cm, i)) rc = sl_col_datasync(&c->col[i], e);
    if (!rc) sl_test_point("eth-commit:logged");
    for (int i = 0; i < R_N && !rc; i++) rc = put_manifest(c, i, &man[i], &man_n[i], e);
    if (!rc && (rc = mdb_put(c->wtxn, c->s->db_meta, &k, &v, 0))) rc = mdb_fail(e, "put meta", rc);
    if (!rc) {
        rc = mdb_txn_commit(c->wtxn);
        c->wtxn = NULL;
        if (rc) rc = mdb_fail(e, "commit", rc);
    }
    if (rc) {
        for (int i = 0; i < R_N; i++) sl_free(man[i]);
        return rc;
    }
    for (int i = 0; i < R_N; i++) {
        sl_free(c->man[i]);
        c->man[i] = man[i], c->man_n[i] = man_n[i];
    }
    c->cm = c->m;
    c->ctop_p1 = c->top_p1;
    sl_test_point("eth-commit:committed");
    for (int i = 0; i < R_N; i++) sl_runs_unlink(&c->runs[i], dropped[i], nd[i]);
    batch_clear(c);
    for (int i = 0; i < E_N; i++)
        if ((rc = sl_col_refresh(&c->col[i], e))) return rc;
    if (c->cm.n_blocks) sl_store_mark_written(c->s);
    /* readers of this process (and the other chains' views) see the new state */
    return sl_store_renew(c->s, e);
}

int sl_eth_commit(sl_eth_chain *c, sl_error *e)
{
    uint64_t dropped[R_N][SL_RUNS_MAX + 1], file;
    int nd[R_N] = {0}, rc;
    if (!c->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    c->m.seq = c->cm.seq + 1;
    file = c->m.next_run;
    if ((rc = sl_runs_add_keys(&c->runs[R_T], c->cm.n_tx, c->m.n_tx, c->kv, c->nkv, &file, e)) ||
        (rc = sl_runs_add_hist(&c->runs[R_H], 2 * c->cm.n_flows, 2 * c->m.n_flows, c->ev, c->nev, &file, e)) ||
        (rc = sl_runs_add_sums(&c->runs[R_B], c->cm.n_flows, c->m.n_flows, c->sums, c->nsums, &file, e)) ||
        (rc = sl_runs_maintain(&c->runs[R_T], &file, NULL, NULL, dropped[R_T], &nd[R_T], e)) ||
        (rc = sl_runs_maintain(&c->runs[R_H], &file, hist_counts, NULL, dropped[R_H], &nd[R_H], e)) ||
        (rc = sl_runs_maintain(&c->runs[R_B], &file, NULL, NULL, dropped[R_B], &nd[R_B], e)))
        goto fail;
    c->m.next_run = file;
    if ((rc = commit_record(c, dropped, nd, e))) goto fail;
    return SL_OK;
fail:
    if (c->cm.seq != c->m.seq) sl_eth_abort(c); /* else committed: only refreshing the views failed */
    return rc;
}

/* ---------------- rollback ---------------- */

/* Flow f's record (a copy) and its block's time; false past the flows. */
static bool flow_read(const sl_eth_chain *c, uint64_t f, sl_eth_flowrec *fr, uint64_t *time)
{
    const sl_eth_flowrec *r = sl_eth_flow_at(c, f);
    const sl_eth_blockrec *b;
    if (!r) return false;
    *fr = *r;
    b = sl_eth_block_at(c, fr->block);
    *time = b ? b->time : 0;
    return true;
}

/* What flows [lo, hi) added to the balances (the sums set's cut function): read back from
 * the columns, folded in the handle's batch table. */
static int removed_sums(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item **items, size_t *n)
{
    sl_eth_chain *c = ctx;
    void *q = c->sums;
    batch_clear(c);
    if (grow_arr(&q, &c->capsums, 2 * (size_t)(hi - lo), sizeof *c->sums, NULL)) return SL_ENOMEM;
    c->sums = q;
    for (uint64_t f = lo; f < hi; f++) {
        sl_eth_flowrec fr;
        uint64_t t;
        sl_u256 v;
        int rc;
        if (!flow_read(c, f, &fr, &t)) return SL_ESTORE;
        sl_eth_flow_amount(c, &fr, &v);
        if ((rc = bal_add(c, fr.from, fr.asset, &v, false, t, NULL)) || (rc = bal_add(c, fr.to, fr.asset, &v, true, t, NULL)))
            return rc;
    }
    *items = c->sums;
    *n = c->nsums;
    return SL_OK;
}

/* The least and greatest block time of items' keys over flows [lo, hi) (the sums set's
 * span function): one pass over those flows. */
static int kept_spans(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item *items, size_t n)
{
    sl_eth_chain *c = ctx;
    sl_ht at = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        items[i].vmin = UINT64_MAX, items[i].vmax = 0;
        rc = sl_ht_set(&at, &items[i].key, 8, i);
    }
    for (uint64_t f = lo; f < hi && !rc; f++) {
        sl_eth_flowrec fr;
        uint64_t t, i, keys[2];
        if (!flow_read(c, f, &fr, &t)) {
            rc = SL_ESTORE;
            break;
        }
        keys[0] = (uint64_t)fr.from << 32 | fr.asset, keys[1] = (uint64_t)fr.to << 32 | fr.asset;
        for (int k = 0; k < 2; k++)
            if (sl_ht_get(&at, &keys[k], 8, &i)) {
                if (t < items[i].vmin) items[i].vmin = t;
                if (t > items[i].vmax) items[i].vmax = t;
            }
    }
    sl_ht_free(&at);
    return rc;
}

int sl_eth_truncate(sl_eth_chain *c, uint32_t cut, sl_error *e)
{
    uint64_t dropped[R_N][SL_RUNS_MAX + 1], file;
    int nd[R_N] = {0}, rc;
    sl_eth_meta old, nm;
    bstart_rec bs;
    if (!c->writer) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (c->wtxn) return sl_err(e, SL_EUSAGE, "a batch is open");
    if (cut >= c->cm.n_blocks) return SL_OK;
    if ((rc = sl_eth_begin(c, e))) return rc;
    old = nm = c->m;
    memcpy(&bs, rec(c, E_BSTART, cut), sizeof bs);
    nm.n_blocks = cut;
    nm.n_tx = sl_eth_block_at(c, cut)->first_tx;
    nm.n_flows = bs.n_flows;
    nm.n_bigs = bs.n_bigs;
    nm.n_accts = bs.n_accts;
    nm.n_assets = bs.n_assets;
    nm.seq = c->cm.seq + 1;
    file = c->m.next_run;
    /* the run sets lose the removed ids while their records are still readable */
    if ((rc = sl_runs_cut(&c->runs[R_T], nm.n_tx, &file, NULL, NULL, dropped[R_T], &nd[R_T], e)) ||
        (rc = sl_runs_cut(&c->runs[R_H], 2 * nm.n_flows, &file, hist_counts, NULL, dropped[R_H], &nd[R_H], e)) ||
        (rc = sl_runs_cut_sums(&c->runs[R_B], nm.n_flows, &file, removed_sums, kept_spans, c, dropped[R_B], &nd[R_B], e)))
        goto fail;
    batch_clear(c);
    for (uint64_t i = cut; i < old.n_blocks; i++) {
        uint8_t kb[8];
        MDB_val k = {8, kb};
        be64(kb, sl_eth_block_at(c, i)->number);
        if ((rc = mdb_del(c->wtxn, c->db_block, &k, NULL)) && rc != MDB_NOTFOUND) {
            rc = mdb_fail(e, "delete block", rc);
            goto fail;
        }
    }
    nm.next_run = file;
    c->m = nm;
    c->top_p1 = bs.top_p1;
    sl_test_point("eth-rollback:computed");
    /* the commit first: a kill before it leaves the store as it was; nothing in place has
     * changed yet */
    if ((rc = commit_record(c, dropped, nd, e))) goto fail;
    /* then the maps forget the removed accounts and assets (their records are still in the
     * files; a kill here is put right by the next writer, which purges ids past the counts) */
    map_forget(c, &c->amap, E_ACCTS, c->cm.n_accts, old.n_accts, false);
    map_forget(c, &c->smap, E_ASSETS, c->cm.n_assets, old.n_assets, false);
    for (int i = 0; i < E_N; i++) sl_col_append_start(&c->col[i], *ecount(&c->cm, i));
    if (!c->cm.n_blocks) sl_store_mark_unwritten(c->s);
    /* the removed txs' annotations: past the counts already (invisible), deleted now; a
     * failure or a kill leaves them to the next writer, which deletes them on opening */
    {
        const sl_chain_def *d = sl_chain_by_name(c->info->name);
        sl_error ae = {0};
        if (d && sl_annot_cut_store(c->s, d->id, c->cm.n_tx, &ae)) { /* see above */ }
    }
    return SL_OK;
fail:
    if (c->cm.seq != nm.seq) sl_eth_abort(c);
    return rc;
}

int sl_eth_rollback(sl_eth_chain *c, uint64_t number, sl_eth_rollback_report *r, sl_error *e)
{
    uint64_t cut;
    bstart_rec bs;
    int rc;
    memset(r, 0, sizeof *r);
    if (!c->writer) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (!c->cm.n_blocks) return sl_err(e, SL_ENOTFOUND, "%s: holds no %s blocks", sl_store_dir(c->s), c->info->name);
    r->from_number = r->to_number = c->ctop_p1 - 1;
    if (c->ctop_p1 <= number + 1) return SL_OK; /* nothing above it */
    /* the cut: the blocks above number stored last; every block before them must be at or
     * below number (bstart's top of the cut block says so at once) */
    for (cut = c->cm.n_blocks; cut > 0 && sl_eth_block_at(c, cut - 1)->number > number;) cut--;
    if (cut < c->cm.n_blocks) memcpy(&bs, rec(c, E_BSTART, cut), sizeof bs);
    if (cut == c->cm.n_blocks || bs.top_p1 > number + 1) {
        uint64_t above = 0, below = sl_eth_block_at(c, cut - 1)->number;
        for (uint64_t i = 0; i < cut && !above; i++)
            if (sl_eth_block_at(c, i)->number > number) above = sl_eth_block_at(c, i)->number;
        return sl_err(e, SL_ECONFLICT, "%s: %s block %llu (above %llu) was ingested before block %llu (at or below "
                      "it); a rollback removes everything stored after its cut, so it would remove blocks at or below "
                      "%llu too: nothing was changed", sl_store_dir(c->s), c->info->name, (unsigned long long)above,
                      (unsigned long long)number, (unsigned long long)below, (unsigned long long)number);
    }
    r->blocks_removed = c->cm.n_blocks - cut;
    r->txs_removed = c->cm.n_tx - sl_eth_block_at(c, cut)->first_tx;
    r->flows_removed = c->cm.n_flows - bs.n_flows;
    if ((rc = sl_eth_truncate(c, (uint32_t)cut, e))) return rc;
    r->emptied = c->cm.n_blocks == 0;
    r->to_number = r->emptied ? 0 : c->ctop_p1 - 1;
    return SL_OK;
}
