/* eth_store.c — the Ethereum-family part of the store (format in
 * include/sleuth/eth_store.h): per-chain columns and LMDB databases, the look-ups, and the
 * batch writer. Accounts, balances and tx hashes touched by a batch live in memory hash
 * tables and reach LMDB once, sorted by key, at commit (as the Bitcoin address cache).
 */
#include "sleuth/eth_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "column.h"
#include "store_int.h"

_Static_assert(sizeof(sl_eth_blockrec) == 64, "blocks.col record");
_Static_assert(sizeof(sl_eth_txrec) == 96, "txs.col record");
_Static_assert(sizeof(sl_eth_flowrec) == 48, "flows.col record");
_Static_assert(sizeof(sl_eth_acctstat) == 48, "acct value");
_Static_assert(sizeof(sl_eth_event) == 16, "events.col record");

enum { E_BLOCKS, E_TXS, E_FLOWS, E_BIGS, E_ACCTS, E_ASSETS, E_EVENTS, E_N };
static const struct { const char *name; size_t rec; } ECOLS[E_N] = {
    {"blocks", 64}, {"txs", 96}, {"flows", 48}, {"bigs", 32}, {"accts", 24}, {"assets", 24}, {"events", 16},
};

/* in-batch caches (open addressing, seeded) */
typedef struct acache { sl_eth_addr a; bool used; sl_eth_acctstat st; } acache;
typedef struct bcache { uint32_t acct, asset; bool used; sl_u256 in, out; } bcache;
typedef struct scache { sl_eth_addr a; bool used; uint32_t id; } scache;

struct sl_eth_chain {
    sl_store *s;
    const sl_eth_chain_info *info;
    sl_col col[E_N];
    MDB_dbi db_meta, db_txh, db_block, db_acct, db_asset, db_bal;
    MDB_txn *wtxn;
    sl_eth_meta cm, m;
    char key[32];
    uint64_t seed;
    acache *ac; size_t ac_cap, ac_n;
    bcache *bc; size_t bc_cap, bc_n;
    scache *sc; size_t sc_cap, sc_n;
    uint8_t *th; size_t th_n, th_cap; /* (hash prefix 8, tx id 8) of the batch */
};

struct sl_eth_state {
    sl_eth_chain *chains[8];
    int n;
};

#define ETXN(c) ((c)->wtxn ? (c)->wtxn : sl_store_rtxn((c)->s))

static int mdb_fail(sl_error *e, const char *what, int rc)
{
    return sl_err(e, rc == MDB_MAP_FULL ? SL_ELIMIT : SL_ESTORE, "lmdb %s: %s", what, mdb_strerror(rc));
}

static uint64_t *ecount(sl_eth_meta *m, int c)
{
    switch (c) {
    case E_BLOCKS: return &m->n_blocks;
    case E_TXS: return &m->n_tx;
    case E_FLOWS: return &m->n_flows;
    case E_BIGS: return &m->n_bigs;
    case E_ACCTS: return &m->n_accts;
    case E_ASSETS: return &m->n_assets;
    default: return &m->n_events;
    }
}

static void chain_close(sl_eth_chain *c)
{
    if (!c) return;
    sl_eth_abort(c);
    for (int i = 0; i < E_N; i++) {
        sl_col_trim(&c->col[i], *ecount(&c->cm, i));
        sl_col_close(&c->col[i]);
    }
    sl_free(c);
}

void sl_eth_state_free(struct sl_eth_state *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) chain_close(st->chains[i]);
    sl_free(st);
}

static int load_meta(sl_eth_chain *c, MDB_txn *txn, sl_error *e)
{
    MDB_val k = {strlen(c->key), c->key}, v;
    int rc = mdb_get(txn, c->db_meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        memset(&c->cm, 0, sizeof c->cm);
        c->cm.version = SL_STORE_VERSION;
        c->cm.n_accts = SL_SINK_N; /* ids 0-3: none, burn, fees, mint */
        c->cm.n_assets = 1;        /* id 0: the native coin */
        snprintf(c->cm.chain, sizeof c->cm.chain, "%s", c->info->name);
    } else if (rc) {
        return mdb_fail(e, "read meta", rc);
    } else {
        if (v.mv_size != sizeof c->cm)
            return sl_err(e, SL_ESTORE, "%s: meta record %s has %zu bytes, expected %zu", sl_store_dir(c->s), c->key,
                          v.mv_size, sizeof c->cm);
        memcpy(&c->cm, v.mv_data, sizeof c->cm);
        if (c->cm.version != SL_STORE_VERSION)
            return sl_store_version_error(e, sl_store_dir(c->s), c->cm.version);
    }
    c->m = c->cm;
    for (int i = 0; i < E_N; i++) {
        int r = sl_col_refresh(&c->col[i], e);
        if (r) return r;
        if (*ecount(&c->cm, i) > sl_col_cap(&c->col[i]) && !(rc == MDB_NOTFOUND))
            return sl_err(e, SL_ESTORE, "%s: holds %llu records, the commit record says %llu (truncated store?)",
                          c->col[i].path, (unsigned long long)sl_col_cap(&c->col[i]),
                          (unsigned long long)*ecount(&c->cm, i));
    }
    return SL_OK;
}

static int open_dbis(sl_eth_chain *c, MDB_txn *txn, unsigned cf)
{
    char n[64];
    int rc;
    const char *ch = c->info->name;
    if ((rc = mdb_dbi_open(txn, "meta", cf, &c->db_meta))) return rc;
    snprintf(n, sizeof n, "eth.%s.txh", ch);
    if ((rc = mdb_dbi_open(txn, n, cf | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, &c->db_txh))) return rc;
    snprintf(n, sizeof n, "eth.%s.block", ch);
    if ((rc = mdb_dbi_open(txn, n, cf, &c->db_block))) return rc;
    snprintf(n, sizeof n, "eth.%s.acct", ch);
    if ((rc = mdb_dbi_open(txn, n, cf, &c->db_acct))) return rc;
    snprintf(n, sizeof n, "eth.%s.asset", ch);
    if ((rc = mdb_dbi_open(txn, n, cf, &c->db_asset))) return rc;
    snprintf(n, sizeof n, "eth.%s.bal", ch);
    return mdb_dbi_open(txn, n, cf, &c->db_bal);
}

int sl_eth_chain_open(sl_store *s, const char *name, sl_eth_chain **out, sl_error *e)
{
    struct sl_eth_state **slot = sl_store_eth_slot(s), *st;
    const sl_eth_chain_info *info = sl_eth_chain_by_name(name);
    sl_eth_chain *c;
    char dir[700];
    bool rw = sl_store_writable(s);
    int rc;
    *out = NULL;
    if (!info) return sl_err(e, SL_EUSAGE, "unknown chain '%s' (ethereum, bsc, polygon, avalanche, arbitrum, base, tron)", name ? name : "");
    if (!*slot && !(*slot = sl_calloc(1, sizeof **slot))) return sl_err(e, SL_ENOMEM, "out of memory");
    st = *slot;
    for (int i = 0; i < st->n; i++)
        if (st->chains[i]->info == info) { *out = st->chains[i]; return SL_OK; }
    if (st->n >= 8) return sl_err(e, SL_ELIMIT, "too many chains open");
    snprintf(dir, sizeof dir, "%s/eth/%s", sl_store_dir(s), info->name);
    if (!rw) {
        struct stat sb;
        if (stat(dir, &sb) != 0) return sl_err(e, SL_ENOTFOUND, "the store holds no %s data", info->name);
    }
    if (!(c = sl_calloc(1, sizeof *c))) return sl_err(e, SL_ENOMEM, "out of memory");
    c->s = s;
    c->info = info;
    c->seed = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ULL;
    snprintf(c->key, sizeof c->key, "eth.%s", info->name);
    for (int i = 0; i < E_N; i++) c->col[i].fd = -1;
    if (rw) {
        char p[720];
        snprintf(p, sizeof p, "%s/eth", sl_store_dir(s));
        mkdir(p, 0755);
        mkdir(dir, 0755);
    }
    if (!rw) {
        /* a chain is there once it has committed: before that (an ingest killed while it
         * created the chain) its files may be incomplete, and the store holds no data of it */
        MDB_val k = {strlen(c->key), c->key}, v;
        if ((rc = open_dbis(c, sl_store_rtxn(s), 0)) || (rc = mdb_get(sl_store_rtxn(s), c->db_meta, &k, &v))) {
            rc = rc == MDB_NOTFOUND ? sl_err(e, SL_ENOTFOUND, "the store holds no %s data", info->name)
                                    : mdb_fail(e, "open databases", rc);
            goto fail;
        }
    }
    for (int i = 0; i < E_N; i++) {
        if ((rc = sl_col_open(&c->col[i], dir, ECOLS[i].name, ECOLS[i].rec, rw, e))) goto fail;
        if (i == 1) sl_test_point("eth-open:some-columns");
    }
    if (rw) {
        MDB_txn *txn;
        /* the reserved records (account ids 0-3, asset 0) exist from the start */
        if ((rc = sl_col_reserve(&c->col[E_ACCTS], SL_SINK_N, e)) || (rc = sl_col_reserve(&c->col[E_ASSETS], 1, e))) goto fail;
        if ((rc = mdb_txn_begin(sl_store_env(s), NULL, 0, &txn))) { rc = mdb_fail(e, "txn_begin", rc); goto fail; }
        if ((rc = open_dbis(c, txn, MDB_CREATE))) { mdb_txn_abort(txn); rc = mdb_fail(e, "open databases", rc); goto fail; }
        if ((rc = mdb_txn_commit(txn))) { rc = mdb_fail(e, "commit", rc); goto fail; }
        if ((rc = sl_store_renew(s, e))) goto fail;
    }
    if ((rc = load_meta(c, sl_store_rtxn(s), e))) goto fail;
    st->chains[st->n++] = c;
    *out = c;
    return SL_OK;
fail:
    chain_close(c);
    return rc;
}

const sl_eth_chain_info *sl_eth_chain_info_get(const sl_eth_chain *c) { return c->info; }
const sl_eth_meta *sl_eth_meta_get(const sl_eth_chain *c) { return &c->m; }

/* ---------------- reading ---------------- */
const sl_eth_blockrec *sl_eth_block_at(const sl_eth_chain *c, uint64_t i)
{
    return i < c->m.n_blocks ? sl_col_at(&c->col[E_BLOCKS], i) : NULL;
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) p[i] = (uint8_t)v, v >>= 8;
}
static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) p[i] = (uint8_t)v, v >>= 8;
}

int sl_eth_block_by_number(const sl_eth_chain *c, uint64_t number, uint32_t *idx)
{
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    be64(kb, number);
    if (mdb_get(ETXN(c), c->db_block, &k, &v) || v.mv_size != 4) return SL_ENOTFOUND;
    memcpy(idx, v.mv_data, 4);
    return *idx < c->m.n_blocks ? SL_OK : SL_ENOTFOUND;
}

const sl_eth_txrec *sl_eth_tx_at(const sl_eth_chain *c, uint64_t id)
{
    return id < c->m.n_tx ? sl_col_at(&c->col[E_TXS], id) : NULL;
}

int sl_eth_tx_find(const sl_eth_chain *c, const sl_hash256 *h, uint64_t *id)
{
    MDB_cursor *cur;
    MDB_val k = {8, (void *)h->b}, v;
    int rc, found = SL_ENOTFOUND;
    if (mdb_cursor_open(ETXN(c), c->db_txh, &cur)) return SL_ENOTFOUND;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    while (rc == 0) {
        uint64_t t;
        memcpy(&t, v.mv_data, 8);
        if (t < c->m.n_tx && memcmp(((const sl_eth_txrec *)sl_col_at(&c->col[E_TXS], t))->hash.b, h->b, 32) == 0) {
            *id = t;
            found = SL_OK;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
    }
    mdb_cursor_close(cur);
    return found;
}

static void amount_get(const sl_eth_chain *c, const uint8_t a[16], bool big, sl_u256 *v)
{
    memset(v, 0, sizeof *v);
    if (big) {
        uint64_t k;
        memcpy(&k, a, 8);
        if (k < c->m.n_bigs) memcpy(v->w, sl_col_at(&c->col[E_BIGS], k), 32);
        return;
    }
    memcpy(&v->w[0], a, 8);
    memcpy(&v->w[1], a + 8, 8);
}

void sl_eth_tx_value(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v) { amount_get(c, t->value, t->flags & SL_ETX_VALUE_BIG, v); }
void sl_eth_tx_fee(const sl_eth_chain *c, const sl_eth_txrec *t, sl_u256 *v) { amount_get(c, t->fee, t->flags & SL_ETX_FEE_BIG, v); }

const sl_eth_flowrec *sl_eth_flow_at(const sl_eth_chain *c, uint64_t id)
{
    return id < c->m.n_flows ? sl_col_at(&c->col[E_FLOWS], id) : NULL;
}
void sl_eth_flow_amount(const sl_eth_chain *c, const sl_eth_flowrec *f, sl_u256 *v) { amount_get(c, f->amount, f->flags & 1, v); }

const sl_eth_event *sl_eth_event_at(const sl_eth_chain *c, uint64_t ev)
{
    return ev < c->m.n_events ? sl_col_at(&c->col[E_EVENTS], ev) : NULL;
}

bool sl_eth_acct_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a)
{
    if (id < SL_SINK_N || id >= c->m.n_accts) return false;
    memcpy(a->b, sl_col_at(&c->col[E_ACCTS], id), 20);
    return true;
}

int sl_eth_acct_lookup(const sl_eth_chain *c, const sl_eth_addr *a, sl_eth_acctstat *st)
{
    MDB_val k = {20, (void *)a->b}, v;
    if (mdb_get(ETXN(c), c->db_acct, &k, &v) || v.mv_size != sizeof *st) return SL_ENOTFOUND;
    memcpy(st, v.mv_data, sizeof *st);
    return st->id < c->m.n_accts ? SL_OK : SL_ENOTFOUND;
}

bool sl_eth_asset_addr(const sl_eth_chain *c, uint32_t id, sl_eth_addr *a)
{
    if (id == 0 || id >= c->m.n_assets) return false;
    memcpy(a->b, sl_col_at(&c->col[E_ASSETS], id), 20);
    return true;
}

int sl_eth_balances(const sl_eth_chain *c, uint32_t acct, sl_eth_balance_fn fn, void *ctx)
{
    MDB_cursor *cur;
    uint8_t kb[8];
    MDB_val k = {8, kb}, v;
    int rc;
    be32(kb, acct);
    be32(kb + 4, 0);
    if ((rc = mdb_cursor_open(ETXN(c), c->db_bal, &cur))) return SL_ESTORE;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == 8 && memcmp(k.mv_data, kb, 4) == 0) {
        const uint8_t *p = k.mv_data;
        uint32_t asset = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        sl_u256 in, out;
        if (v.mv_size == 64 && asset < c->m.n_assets) {
            memcpy(in.w, v.mv_data, 32);
            memcpy(out.w, (const uint8_t *)v.mv_data + 32, 32);
            fn(ctx, asset, &in, &out);
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
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

/* ---------------- writing ---------------- */
static void caches_clear(sl_eth_chain *c)
{
    sl_free(c->ac); c->ac = NULL; c->ac_cap = c->ac_n = 0;
    sl_free(c->bc); c->bc = NULL; c->bc_cap = c->bc_n = 0;
    sl_free(c->sc); c->sc = NULL; c->sc_cap = c->sc_n = 0;
    sl_free(c->th); c->th = NULL; c->th_cap = c->th_n = 0;
}

void sl_eth_abort(sl_eth_chain *c)
{
    caches_clear(c);
    if (c->wtxn) mdb_txn_abort(c->wtxn);
    c->wtxn = NULL;
    c->m = c->cm;
}

int sl_eth_begin(sl_eth_chain *c, sl_error *e)
{
    int rc;
    if (!sl_store_writable(c->s)) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (c->wtxn) return sl_err(e, SL_EUSAGE, "a batch is already open");
    if ((rc = sl_store_grow_map(c->s, e))) return rc;
    if ((rc = mdb_txn_begin(sl_store_env(c->s), NULL, 0, &c->wtxn))) return mdb_fail(e, "txn_begin", rc);
    if ((rc = load_meta(c, c->wtxn, e))) { sl_eth_abort(c); return rc; }
    c->seed ^= c->m.n_tx * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    return SL_OK;
}

static void *push(sl_eth_chain *c, int col, sl_error *e)
{
    uint64_t *n = ecount(&c->m, col);
    if (sl_col_reserve(&c->col[col], *n + 1, e)) return NULL;
    return sl_col_at(&c->col[col], (*n)++);
}

static uint64_t mix(uint64_t h)
{
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 31);
}

static uint64_t addr_hash(const sl_eth_chain *c, const sl_eth_addr *a)
{
    uint64_t w;
    memcpy(&w, a->b + 4, 8);
    return mix(w ^ c->seed ^ ((uint64_t)a->b[0] << 56));
}

/* Account id of an address in this batch (loads or creates it). */
/* Grows the account cache so `more` new entries fit without moving it. */
static int ac_reserve(sl_eth_chain *c, size_t more, sl_error *e)
{
    if ((c->ac_n + more) * 2 >= c->ac_cap) {
        size_t nc = c->ac_cap ? c->ac_cap * 2 : 4096;
        while ((c->ac_n + more) * 2 >= nc) nc *= 2;
        acache *n = sl_calloc(nc, sizeof *n);
        if (!n) return sl_err(e, SL_ENOMEM, "out of memory");
        for (size_t j = 0; j < c->ac_cap; j++)
            if (c->ac[j].used) {
                size_t q = addr_hash(c, &c->ac[j].a) & (nc - 1);
                while (n[q].used) q = (q + 1) & (nc - 1);
                n[q] = c->ac[j];
            }
        sl_free(c->ac);
        c->ac = n;
        c->ac_cap = nc;
    }
    return SL_OK;
}

/* Account of an address in this batch (loads or creates it). The pointer stays valid
 * until the next ac_reserve. */
static int acct_get(sl_eth_chain *c, const sl_eth_addr *a, acache **out, sl_error *e)
{
    size_t i;
    int rc0 = ac_reserve(c, 1, e);
    if (rc0) return rc0;
    for (i = addr_hash(c, a) & (c->ac_cap - 1);; i = (i + 1) & (c->ac_cap - 1)) {
        acache *x = &c->ac[i];
        if (x->used && memcmp(x->a.b, a->b, 20) == 0) { *out = x; return SL_OK; }
        if (!x->used) {
            MDB_val k = {20, (void *)a->b}, v;
            int rc = mdb_get(c->wtxn, c->db_acct, &k, &v);
            x->used = true;
            x->a = *a;
            c->ac_n++;
            /* LMDB values are only 2-byte aligned: copy, never cast */
            if (rc == 0 && v.mv_size == sizeof x->st) memcpy(&x->st, v.mv_data, sizeof x->st);
            if (rc == 0 && v.mv_size == sizeof x->st && x->st.id < c->m.n_accts) {
                /* known account: x->st holds it */
            } else if (rc == 0 || rc == MDB_NOTFOUND) {
                uint8_t *r;
                memset(&x->st, 0, sizeof x->st);
                if (c->m.n_accts >= UINT32_MAX) return sl_err(e, SL_ELIMIT, "more than 2^32-1 accounts on %s", c->info->name);
                x->st.id = (uint32_t)c->m.n_accts;
                x->st.first_time = UINT64_MAX;
                if (!(r = push(c, E_ACCTS, e))) return e ? e->code : SL_EIO;
                memset(r, 0, 24);
                memcpy(r, a->b, 20);
            } else {
                return mdb_fail(e, "get account", rc);
            }
            *out = x;
            return SL_OK;
        }
    }
}

static int asset_get(sl_eth_chain *c, const sl_eth_addr *a, uint32_t *id, sl_error *e)
{
    size_t i;
    if (c->sc_n * 2 >= c->sc_cap) {
        size_t nc = c->sc_cap ? c->sc_cap * 2 : 256;
        scache *n = sl_calloc(nc, sizeof *n);
        if (!n) return sl_err(e, SL_ENOMEM, "out of memory");
        for (size_t j = 0; j < c->sc_cap; j++)
            if (c->sc[j].used) {
                size_t q = addr_hash(c, &c->sc[j].a) & (nc - 1);
                while (n[q].used) q = (q + 1) & (nc - 1);
                n[q] = c->sc[j];
            }
        sl_free(c->sc);
        c->sc = n;
        c->sc_cap = nc;
    }
    for (i = addr_hash(c, a) & (c->sc_cap - 1);; i = (i + 1) & (c->sc_cap - 1)) {
        scache *x = &c->sc[i];
        if (x->used && memcmp(x->a.b, a->b, 20) == 0) { *id = x->id; return SL_OK; }
        if (!x->used) {
            MDB_val k = {20, (void *)a->b}, v;
            int rc = mdb_get(c->wtxn, c->db_asset, &k, &v);
            x->used = true;
            x->a = *a;
            c->sc_n++;
            uint32_t vid = UINT32_MAX;
            if (rc == 0 && v.mv_size == 4) memcpy(&vid, v.mv_data, 4);
            if (rc == 0 && v.mv_size == 4 && vid < c->m.n_assets) {
                memcpy(&x->id, v.mv_data, 4);
            } else if (rc == 0 || rc == MDB_NOTFOUND) {
                uint8_t *r;
                if (c->m.n_assets >= UINT32_MAX) return sl_err(e, SL_ELIMIT, "more than 2^32-1 assets");
                x->id = (uint32_t)c->m.n_assets;
                if (!(r = push(c, E_ASSETS, e))) return e ? e->code : SL_EIO;
                memset(r, 0, 24);
                memcpy(r, a->b, 20);
                {
                    MDB_val d = {4, &x->id};
                    if ((rc = mdb_put(c->wtxn, c->db_asset, &k, &d, 0))) return mdb_fail(e, "put asset", rc);
                }
            } else {
                return mdb_fail(e, "get asset", rc);
            }
            *id = x->id;
            return SL_OK;
        }
    }
}

static int bal_add(sl_eth_chain *c, uint32_t acct, uint32_t asset, const sl_u256 *amt, bool incoming, sl_error *e)
{
    size_t i;
    uint64_t h = mix(((uint64_t)acct << 32 | asset) ^ c->seed);
    if (c->bc_n * 2 >= c->bc_cap) {
        size_t nc = c->bc_cap ? c->bc_cap * 2 : 8192;
        bcache *n = sl_calloc(nc, sizeof *n);
        if (!n) return sl_err(e, SL_ENOMEM, "out of memory");
        for (size_t j = 0; j < c->bc_cap; j++)
            if (c->bc[j].used) {
                size_t q = mix(((uint64_t)c->bc[j].acct << 32 | c->bc[j].asset) ^ c->seed) & (nc - 1);
                while (n[q].used) q = (q + 1) & (nc - 1);
                n[q] = c->bc[j];
            }
        sl_free(c->bc);
        c->bc = n;
        c->bc_cap = nc;
    }
    for (i = h & (c->bc_cap - 1);; i = (i + 1) & (c->bc_cap - 1)) {
        bcache *x = &c->bc[i];
        if (!x->used) {
            uint8_t kb[8];
            MDB_val k = {8, kb}, v;
            int rc;
            be32(kb, acct);
            be32(kb + 4, asset);
            rc = mdb_get(c->wtxn, c->db_bal, &k, &v);
            x->used = true;
            x->acct = acct;
            x->asset = asset;
            c->bc_n++;
            if (rc == 0 && v.mv_size == 64) {
                memcpy(x->in.w, v.mv_data, 32);
                memcpy(x->out.w, (const uint8_t *)v.mv_data + 32, 32);
            } else if (rc == 0 || rc == MDB_NOTFOUND) {
                memset(&x->in, 0, 32);
                memset(&x->out, 0, 32);
            } else {
                return mdb_fail(e, "get balance", rc);
            }
        }
        if (x->acct == acct && x->asset == asset) {
            sl_u256 *t = incoming ? &x->in : &x->out;
            if (!sl_u256_add(t, t, amt))
                return sl_err(e, SL_ELIMIT, "account %u: total %s above 2^256-1", acct, incoming ? "received" : "sent");
            return SL_OK;
        }
    }
}

/* Stores an amount inline (u128) or in bigs.col; returns the flag bit to set. */
static int amount_put(sl_eth_chain *c, uint8_t out[16], const sl_u256 *v, bool *big, sl_error *e)
{
    *big = !sl_u256_fits(v, 128);
    if (!*big) {
        memcpy(out, &v->w[0], 8);
        memcpy(out + 8, &v->w[1], 8);
        return SL_OK;
    }
    {
        uint64_t k = c->m.n_bigs;
        uint8_t *r = push(c, E_BIGS, e);
        if (!r) return e ? e->code : SL_EIO;
        memcpy(r, v->w, 32);
        memset(out, 0, 16);
        memcpy(out, &k, 8);
    }
    return SL_OK;
}

static int event_add(sl_eth_chain *c, acache *a, uint64_t flow, uint64_t time, bool incoming, sl_error *e)
{
    sl_eth_event *ev = push(c, E_EVENTS, e);
    if (!ev) return e ? e->code : SL_EIO;
    ev->flow = flow;
    ev->prev = a->st.head;
    a->st.head = c->m.n_events;
    if (incoming) a->st.n_in++; else a->st.n_out++;
    if (a->st.first_time == UINT64_MAX || time < a->st.first_time) a->st.first_time = time;
    if (time > a->st.last_time) a->st.last_time = time;
    return SL_OK;
}

int sl_eth_append_block(sl_eth_chain *c, const sl_eth_model *m, size_t bi, sl_error *e)
{
    const sl_eth_mblock *mb = &m->blocks[bi];
    uint32_t bidx = (uint32_t)c->m.n_blocks;
    uint64_t first_tx = c->m.n_tx, first_flow = c->m.n_flows;
    sl_eth_blockrec *br;
    int rc;
    if (!c->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    if (!(br = push(c, E_BLOCKS, e))) return e ? e->code : SL_EIO;
    memset(br, 0, sizeof *br);
    br->hash = mb->hash;
    br->number = mb->number;
    br->time = mb->time;
    br->first_tx = first_tx;
    br->n_tx = mb->n_tx;
    if (mb->has_miner) {
        acache *a;
        if ((rc = acct_get(c, &mb->miner, &a, e))) return rc;
        br = sl_col_at(&c->col[E_BLOCKS], bidx); /* the mapping may have moved */
        br->miner = a->st.id;
    }
    /* transactions */
    for (uint32_t j = 0; mb->first_tx != SL_ETH_NONE32 && j < mb->n_tx; j++) {
        const sl_eth_mtx *t = &m->txs[mb->first_tx + j];
        uint64_t id = c->m.n_tx;
        sl_eth_txrec rec;
        bool big;
        memset(&rec, 0, sizeof rec);
        rec.hash = t->hash;
        rec.block = bidx;
        rec.index = t->index;
        rec.status = t->status;
        if (t->has_from) {
            acache *a;
            if ((rc = acct_get(c, &t->from, &a, e))) return rc;
            rec.from = a->st.id;
        }
        if (t->has_to) {
            acache *a;
            if ((rc = acct_get(c, &t->to, &a, e))) return rc;
            rec.to = a->st.id;
        }
        if (t->created) rec.flags |= SL_ETX_CREATED;
        if ((rc = amount_put(c, rec.value, &t->value, &big, e))) return rc;
        if (big) rec.flags |= SL_ETX_VALUE_BIG;
        if (t->fee_known) {
            rec.flags |= SL_ETX_FEE_KNOWN;
            if ((rc = amount_put(c, rec.fee, &t->fee, &big, e))) return rc;
            if (big) rec.flags |= SL_ETX_FEE_BIG;
        }
        rec.first_flow = first_flow + (t->first_flow - mb->first_flow);
        rec.n_flows = t->n_flows;
        {
            sl_eth_txrec *r = push(c, E_TXS, e);
            if (!r) return e ? e->code : SL_EIO;
            *r = rec;
        }
        {
            void *q = c->th;
            if (sl_grow(&q, &c->th_cap, (c->th_n + 1) * 16, 1)) return sl_err(e, SL_ENOMEM, "out of memory");
            c->th = q;
            memcpy(c->th + 16 * c->th_n, t->hash.b, 8);
            memcpy(c->th + 16 * c->th_n + 8, &id, 8);
            c->th_n++;
        }
    }
    /* flows */
    for (uint32_t k = 0; k < mb->n_flows; k++) {
        const sl_eth_flow *f = &m->flows[mb->first_flow + k];
        sl_eth_flowrec rec;
        acache *fa = NULL, *ta = NULL;
        uint64_t fid = c->m.n_flows;
        bool big;
        if ((rc = ac_reserve(c, 2, e))) return rc;
        memset(&rec, 0, sizeof rec);
        rec.tx = f->tx == SL_ETH_NONE32 ? UINT64_MAX : first_tx + (f->tx - mb->first_tx);
        rec.block = bidx;
        rec.sub = f->sub;
        rec.kind = f->kind;
        if (f->from_sink) rec.from = f->from_sink;
        else { if ((rc = acct_get(c, &f->from, &fa, e))) return rc; rec.from = fa->st.id; }
        if (f->to_sink) rec.to = f->to_sink;
        else { if ((rc = acct_get(c, &f->to, &ta, e))) return rc; rec.to = ta->st.id; }
        if (!f->native && (rc = asset_get(c, &f->asset, &rec.asset, e))) return rc;
        if ((rc = amount_put(c, rec.amount, &f->amount, &big, e))) return rc;
        if (big) rec.flags |= 1;
        {
            sl_eth_flowrec *r = push(c, E_FLOWS, e);
            if (!r) return e ? e->code : SL_EIO;
            *r = rec;
        }
        if ((rc = bal_add(c, rec.from, rec.asset, &f->amount, false, e)) ||
            (rc = bal_add(c, rec.to, rec.asset, &f->amount, true, e)))
            return rc;
        /* history: one event per account side (sinks keep balances, not histories) */
        if (fa && (rc = event_add(c, fa, fid, mb->time, false, e))) return rc;
        if (ta && ta != fa && (rc = event_add(c, ta, fid, mb->time, true, e))) return rc;
        if (ta && ta == fa) ta->st.n_in++;
    }
    {
        uint8_t kb[8];
        MDB_val k = {8, kb}, v = {4, &bidx};
        be64(kb, mb->number);
        if ((rc = mdb_put(c->wtxn, c->db_block, &k, &v, 0))) return mdb_fail(e, "put block", rc);
    }
    return SL_OK;
}

static int cmp_acct(const void *a, const void *b)
{
    return memcmp((*(acache *const *)a)->a.b, (*(acache *const *)b)->a.b, 20);
}
static int cmp_bal(const void *a, const void *b)
{
    const bcache *x = *(bcache *const *)a, *y = *(bcache *const *)b;
    if (x->acct != y->acct) return x->acct < y->acct ? -1 : 1;
    return x->asset < y->asset ? -1 : x->asset > y->asset;
}
static int cmp_th(const void *a, const void *b)
{
    int c = memcmp(a, b, 8);
    uint64_t x, y;
    if (c) return c;
    memcpy(&x, (const uint8_t *)a + 8, 8);
    memcpy(&y, (const uint8_t *)b + 8, 8);
    return x < y ? -1 : x > y;
}

static int flush(sl_eth_chain *c, sl_error *e)
{
    int rc = SL_OK;
    size_t n = 0;
    void **v = sl_malloc((c->ac_n + c->bc_n + 1) * sizeof *v);
    if (!v) return sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->ac_cap; i++)
        if (c->ac[i].used) v[n++] = &c->ac[i];
    qsort(v, n, sizeof *v, cmp_acct);
    for (size_t i = 0; i < n && !rc; i++) {
        acache *a = v[i];
        MDB_val k = {20, a->a.b}, d = {sizeof a->st, &a->st};
        int r = mdb_put(c->wtxn, c->db_acct, &k, &d, 0);
        if (r) rc = mdb_fail(e, "put account", r);
    }
    n = 0;
    for (size_t i = 0; i < c->bc_cap; i++)
        if (c->bc[i].used) v[n++] = &c->bc[i];
    qsort(v, n, sizeof *v, cmp_bal);
    for (size_t i = 0; i < n && !rc; i++) {
        bcache *b = v[i];
        uint8_t kb[8], val[64];
        MDB_val k = {8, kb}, d = {64, val};
        int r;
        be32(kb, b->acct);
        be32(kb + 4, b->asset);
        memcpy(val, b->in.w, 32);
        memcpy(val + 32, b->out.w, 32);
        if ((r = mdb_put(c->wtxn, c->db_bal, &k, &d, 0))) rc = mdb_fail(e, "put balance", r);
    }
    sl_free(v);
    if (rc) return rc;
    if (c->th_n) qsort(c->th, c->th_n, 16, cmp_th); /* a block of no transactions: th is NULL */
    for (size_t i = 0; i < c->th_n && !rc; i++) {
        MDB_val k = {8, c->th + 16 * i}, d = {8, c->th + 16 * i + 8};
        int r = mdb_put(c->wtxn, c->db_txh, &k, &d, 0);
        if (r) rc = mdb_fail(e, "put tx hash", r);
    }
    return rc;
}

int sl_eth_commit(sl_eth_chain *c, sl_error *e)
{
    MDB_val k = {strlen(c->key), c->key}, v = {sizeof c->m, &c->m};
    int rc;
    if (!c->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    if ((rc = flush(c, e))) goto fail;
    for (int i = 0; i < E_N; i++)
        if ((rc = sl_col_sync(&c->col[i], *ecount(&c->cm, i), *ecount(&c->m, i), e))) goto fail;
    if ((rc = mdb_put(c->wtxn, c->db_meta, &k, &v, 0))) { rc = mdb_fail(e, "put meta", rc); goto fail; }
    rc = mdb_txn_commit(c->wtxn);
    c->wtxn = NULL;
    caches_clear(c);
    if (rc) { c->m = c->cm; return mdb_fail(e, "commit", rc); }
    c->cm = c->m;
    sl_store_mark_written(c->s);
    return sl_store_renew(c->s, e);
fail:
    sl_eth_abort(c);
    return rc;
}
