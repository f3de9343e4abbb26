/* store.c — the chain store (format and commit protocol in include/sleuth/store.h):
 * opening and creating a data directory, the Bitcoin look-ups, the batch writer the
 * ingest layer drives (with its commit log for the in-place address records), recovery
 * after a crash, and rollback.
 *
 * Writes go through the column mappings and one LMDB write transaction per batch (the
 * counts); the txid and address dictionaries are hash indexes (hidx.c) written in place.
 * Readers hold one read transaction, renewed by sl_store_snapshot.
 */
#include "sleuth/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "hidx.h"
#include "sleuth/hashtab.h"
#include "store_int.h"
#include "sleuth/util.h"

_Static_assert(sizeof(sl_btc_blockrec) == 160, "blocks.col record");
_Static_assert(sizeof(sl_btc_txrec) == 64, "txs.col record");
_Static_assert(sizeof(sl_btc_outrec) == 16, "outs.col record");
_Static_assert(sizeof(sl_btc_extin) == 64, "extins.col record");
_Static_assert(sizeof(sl_btc_addrstat) == 64, "btc.addr value");
_Static_assert(sizeof(sl_btc_event) == 16, "events.col record");
_Static_assert(sizeof(sl_btc_addr) == 42, "addrs.col payload");

/* astat.col: an address's statistics, by address id. seq is the commit that wrote the
 * record (SEQ_BUSY while the writer rewrites it: readers retry, a seqlock); the times
 * shown are those of first_block and last_block (the blocks of the first and the newest
 * event, in chain order); last_tx is the newest event's tx. */
typedef struct astat_rec {
    uint32_t seq, n_tx;
    uint64_t received, spent;
    uint32_t n_out, n_spent, first_block, last_block;
    uint64_t head; /* newest event + 1; 0 = none */
} astat_rec;
_Static_assert(sizeof(astat_rec) == 48, "astat.col record");
#define SEQ_BUSY UINT32_MAX

/* bstart.col: the record counts as they were when a block began; rollback reads them. */
typedef struct bstart_rec {
    uint64_t n_in, n_out, n_extin, n_wtx, n_events;
    uint32_t n_addr, reserved;
} bstart_rec;
_Static_assert(sizeof(bstart_rec) == 48, "bstart.col record");
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sleuth's on-disk records are little-endian and mapped directly"
#endif

enum { C_BLOCKS, C_TXS, C_OUTS, C_INS, C_SPENT, C_EXTINS, C_WTX, C_ADDRS, C_EVENTS, C_ASTAT, C_BSTART, C_N };
static const struct { const char *name; size_t rec; } COLS[C_N] = {
    {"blocks", 160}, {"txs", 64}, {"outs", 16}, {"ins", 8}, {"spent", 8}, {"extins", 64},
    {"wtx", 40}, {"addrs", 48}, {"events", 16}, {"astat", 48}, {"bstart", 48},
};

/* The addresses a batch changed: their new records, kept in memory until the commit
 * writes them to astat.wal and then into astat.col (open addressing on the id, which the
 * store assigns densely: not attacker-chosen). Readers use one for a WAL not yet applied. */
typedef struct dirty_set {
    struct dirty { uint32_t id; astat_rec r; uint64_t last_tx; /* newest event's tx + 1 */ } *v;
    size_t n, capv;
    sl_htid ix; /* address id -> entry (sleuth/hashtab.h; keys: the entries' id fields) */
} dirty_set;

struct sl_store {
    char dir[400];
    int mode, lockfd;
    bool fresh;     /* writer: the store held no committed data when this handle opened it */
    bool wrote;     /* writer: this handle committed data (a chain's records) */
    bool made_dir;  /* writer: this handle created DIR itself */
    bool nolock;    /* reader without write access to LMDB's lock file (MDB_NOLOCK + LOCK_SH) */
    size_t mapsize; /* LMDB map size in force (writers grow it between batches) */
    MDB_env *env;
    MDB_txn *rtxn, *wtxn;
    MDB_dbi db_meta, db_block, db_height;
    sl_col col[C_N];
    sl_hidx txidx, addridx; /* txid -> tx ids, address -> address id (hidx.h) */
    int walfd;              /* astat.wal */
    uint64_t wal_end;       /* writer: end of the last frame that belongs to a commit */
    dirty_set dirty;        /* writer: the open batch's address records; reader: unapplied WAL */
    struct pf_out { sl_btc_addr a; uint8_t type; uint64_t hash; } *pf_out; /* prefetch_block's */
    uint64_t *pf_in, *pf_o; /* per input: its txid's hash; a candidate tx, then output */
    size_t pf_capo, pf_capi, pf_capoi;
    sl_btc_meta cm;  /* committed */
    sl_btc_meta m;   /* working (= cm unless a batch is open) */
    const sl_btc_net *net;
    uint64_t spent_lo, spent_hi; /* spent.col range written in this batch */
    struct sl_eth_state *eth; /* Ethereum-family chains (eth_store.c), made on first use */
};

static int wal_open(sl_store *s, bool rw, sl_error *e);
static int writer_recover(sl_store *s, sl_error *e);
static int reader_overlay(sl_store *s, sl_error *e);
static int checkpoint(sl_store *s, bool clean, sl_error *e);
static void dirty_clear(dirty_set *d);

#define TXN(s) ((s)->wtxn ? (s)->wtxn : (s)->rtxn)
#define MAIN_DBI_FOR_STAT 1 /* LMDB's MAIN_DBI: the database of named databases */

static int mdb_fail(sl_error *e, const char *what, int rc)
{
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG) return sl_col_io_error(e, "index/data.mdb", what, rc);
    if (rc == MDB_MAP_FULL)
        return sl_err(e, SL_ELIMIT, "lmdb %s: the index outgrew the address space reserved for it (is `ulimit -v` "
                      "set?)", what);
    return sl_err(e, SL_ESTORE, "lmdb %s: %s", what, mdb_strerror(rc));
}

static uint64_t *col_count(sl_btc_meta *m, int c)
{
    switch (c) {
    case C_BLOCKS: case C_BSTART: return &m->n_blocks;
    case C_TXS: return &m->n_tx;
    case C_OUTS: case C_SPENT: return &m->n_out;
    case C_INS: return &m->n_in;
    case C_EXTINS: return &m->n_extin;
    case C_WTX: return &m->n_wtx;
    case C_ADDRS: case C_ASTAT: return &m->n_addr;
    default: return &m->n_events;
    }
}

static int check_cols(sl_store *s, sl_error *e);

static int load_meta(sl_store *s, MDB_txn *txn, sl_error *e)
{
    MDB_val k = {3, "btc"}, v;
    int rc = mdb_get(txn, s->db_meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        memset(&s->cm, 0, sizeof s->cm);
        s->cm.version = SL_STORE_VERSION;
        s->cm.n_addr = 1; /* id 0 = no address */
        s->cm.chain_tip = s->cm.max_height_block = SL_NONE32;
    } else if (rc) {
        return mdb_fail(e, "read meta", rc);
    } else {
        if (v.mv_size != sizeof s->cm)
            return sl_err(e, SL_ESTORE, "%s: meta record has %zu bytes, expected %zu", s->dir, v.mv_size, sizeof s->cm);
        memcpy(&s->cm, v.mv_data, sizeof s->cm);
        if (s->cm.version != SL_STORE_VERSION) return sl_store_version_error(e, s->dir, s->cm.version);
    }
    s->m = s->cm;
    s->net = sl_btc_net_by_name(s->cm.network[0] ? s->cm.network : "bitcoin");
    if (!s->net) s->net = sl_btc_net_default();
    return check_cols(s, e);
}

/* Every committed record must be inside its file. */
static int check_cols(sl_store *s, sl_error *e)
{
    for (int c = 0; c < C_N; c++) {
        int r = sl_col_refresh(&s->col[c], e);
        if (r) return r;
        if (*col_count(&s->cm, c) > sl_col_cap(&s->col[c]))
            return sl_err(e, SL_ESTORE, "%s: holds %llu records, the commit record says %llu (truncated store?)",
                          s->col[c].path, (unsigned long long)sl_col_cap(&s->col[c]),
                          (unsigned long long)*col_count(&s->cm, c));
    }
    return SL_OK;
}

/* ---- opening ---- */

static size_t index_bytes(const char *dir)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/index/data.mdb", dir);
    return stat(p, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The map size a writer asks LMDB for: the file plus room for the next batches, so the
 * address space reserved stays proportional to the store (not a fixed 1 TiB, which fails
 * under `ulimit -v` and valgrind). Grown between batches by sl_store_grow_map. */
static size_t map_want(const char *dir)
{
    char p[512];
    struct stat st;
    size_t have = 0, want;
    snprintf(p, sizeof p, "%s/index/data.mdb", dir);
    if (stat(p, &st) == 0) have = (size_t)st.st_size;
    want = have + (have > ((size_t)4 << 30) ? have : ((size_t)4 << 30));
    return (want + ((size_t)1 << 30) - 1) & ~(((size_t)1 << 30) - 1);
}

/* Creates and opens the LMDB environment at path. Writers ask for map_want(); a process
 * whose address space is limited (`ulimit -v`, valgrind) gets the largest map it may have
 * that still holds the file. Readers take LMDB's default, which is the file's size. */
static int open_env(sl_store *s, const char *path, unsigned flags)
{
    /* the smallest map worth trying holds the file and 64 MiB of growth */
    size_t sz = map_want(s->dir), floor = index_bytes(s->dir) + ((size_t)64 << 20);
    int rc;
    for (;;) {
        if ((rc = mdb_env_create(&s->env))) { s->env = NULL; return rc; }
        mdb_env_set_maxdbs(s->env, 128); /* btc + 5 per Ethereum-family chain */
        /* a reader maps what the file holds (LMDB would take the writer's size from the
         * meta page, which a limited address space may not allow) */
        mdb_env_set_mapsize(s->env, flags & MDB_RDONLY ? index_bytes(s->dir) : sz);
        rc = mdb_env_open(s->env, path, flags, 0644);
        if (rc == 0) {
            MDB_envinfo info;
            mdb_env_info(s->env, &info);
            s->mapsize = info.me_mapsize;
            return 0;
        }
        mdb_env_close(s->env);
        s->env = NULL;
        if (rc != ENOMEM || (flags & MDB_RDONLY) || sz / 2 < floor) return rc;
        sz /= 2;
    }
}

int sl_store_grow_map(sl_store *s, sl_error *e)
{
    size_t want;
    int rc;
    if (s->mode != SL_STORE_WRITE || s->wtxn) return SL_OK;
    if (index_bytes(s->dir) <= s->mapsize / 2) return SL_OK; /* room for the next batches */
    want = map_want(s->dir);
    if (want <= s->mapsize) return SL_OK;
    mdb_txn_reset(s->rtxn); /* no transaction may be active while the map moves */
    if ((rc = mdb_env_set_mapsize(s->env, want)) == 0) s->mapsize = want;
    else if (rc == ENOMEM && (rc = mdb_env_set_mapsize(s->env, s->mapsize)) == 0) { /* keep the map it had */ }
    else return mdb_fail(e, "growing the map", rc);
    if ((rc = mdb_txn_renew(s->rtxn))) return mdb_fail(e, "renew", rc);
    return SL_OK;
}

static bool store_is_empty(sl_store *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v;
    bool empty = true;
    if (mdb_cursor_open(txn, s->db_meta, &cur) == 0) {
        empty = mdb_cursor_get(cur, &k, &v, MDB_FIRST) != 0;
        mdb_cursor_close(cur);
    }
    return empty;
}

static int make_dir(const char *p, bool *made, sl_error *e)
{
    if (mkdir(p, 0755) == 0) {
        if (made) *made = true;
        return SL_OK;
    }
    if (errno == EEXIST) {
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) return SL_OK;
        return sl_err(e, SL_EUSAGE, "%s: exists and is not a folder", p);
    }
    return sl_err(e, SL_EIO, "cannot create the store at %s: %s", p, strerror(errno));
}

/* Every chain's meta record starts with the store format version: a store of another
 * version is refused before any of its files is read as this version's. */
static int check_version(sl_store *s, MDB_txn *txn, sl_error *e)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = SL_OK;
    if (mdb_cursor_open(txn, s->db_meta, &cur)) return SL_OK;
    for (int op = MDB_FIRST; !rc && mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0; op = MDB_NEXT) {
        uint32_t ver;
        if (v.mv_size < 4) continue;
        memcpy(&ver, v.mv_data, 4);
        if (ver != SL_STORE_VERSION) rc = sl_store_version_error(e, s->dir, ver);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Readers: why DIR holds no readable store, in words (missing, permissions, interrupted). */
static int no_store(const char *dir, sl_error *e)
{
    char p[512];
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == EACCES)
            return sl_err(e, SL_EIO, "%s: permission denied (cannot look into the folder)", dir);
        return sl_err(e, SL_ENOTFOUND, "%s: no sleuth store here (the folder does not exist; run `sleuth ingest` "
                      "first)", dir);
    }
    if (!S_ISDIR(st.st_mode)) return sl_err(e, SL_ENOTFOUND, "%s: not a folder, so not a sleuth store", dir);
    snprintf(p, sizeof p, "%s/index/data.mdb", dir);
    if (stat(p, &st) != 0 && errno == EACCES)
        return sl_err(e, SL_EIO, "%s: permission denied (cannot read the store's files)", dir);
    if (stat(p, &st) == 0 && st.st_size == 0)
        return sl_err(e, SL_ENOTFOUND, "%s: no sleuth store here yet (its creation was interrupted before the "
                      "first commit; run the ingest again)", dir);
    return sl_err(e, SL_ENOTFOUND, "%s: no sleuth store here (run `sleuth ingest` first)", dir);
}

/* Writers: the LOCK file, held (flock, exclusive) for the handle's whole life. */
static int take_write_lock(sl_store *s, sl_error *e)
{
    char p[512];
    snprintf(p, sizeof p, "%s/LOCK", s->dir);
    s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lockfd < 0) return sl_err(e, SL_EIO, "cannot write the store at %s: %s", s->dir, strerror(errno));
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0)
        return sl_err(e, SL_ECONFLICT, "%s: the store is in use: another sleuth process is writing it (or reading "
                      "it without access to its lock file)", s->dir);
    return SL_OK;
}

/* Readers that may not write LMDB's lock file read without it (MDB_NOLOCK). LMDB then
 * cannot protect their snapshot from a writer's page reuse, so the rule is: such a
 * reader holds a shared flock on DIR/LOCK for its whole life, and a writer (which takes
 * it exclusively) refuses to start meanwhile; a reader that finds a writer at work
 * refuses too. Readers with access to the lock file read during an ingest as usual. */
static int take_read_lock(sl_store *s, sl_error *e)
{
    char p[512];
    snprintf(p, sizeof p, "%s/LOCK", s->dir);
    s->lockfd = open(p, O_RDONLY | O_CLOEXEC);
    if (s->lockfd < 0) return sl_err(e, SL_EIO, "%s: cannot open %s: %s", s->dir, p, strerror(errno));
    if (flock(s->lockfd, LOCK_SH | LOCK_NB) != 0)
        return sl_err(e, SL_ECONFLICT, "%s: an ingest is writing this store, and without write access to "
                      "index/lock.mdb you can read it only when no ingest runs", s->dir);
    return SL_OK;
}

int sl_store_open(sl_store **out, const char *dir, int mode, sl_error *e)
{
    sl_store *s;
    char p[512];
    int rc;
    MDB_txn *txn = NULL;
    bool rw = mode == SL_STORE_WRITE;
    struct stat st;
    *out = NULL;
    if (strlen(dir) > 300) return sl_err(e, SL_EUSAGE, "store path too long");
    snprintf(p, sizeof p, "%s/index/data.mdb", dir);
    if (!rw && (stat(p, &st) != 0 || st.st_size == 0)) return no_store(dir, e);
    s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->mode = mode;
    s->lockfd = -1;
    for (int c = 0; c < C_N; c++) s->col[c].fd = -1;
    s->txidx.fd = s->addridx.fd = s->walfd = -1;
    if (rw) {
        if ((rc = make_dir(dir, &s->made_dir, e))) goto fail;
        sl_test_point("open:dir");
        if ((rc = take_write_lock(s, e))) goto fail;
        sl_test_point("open:lock");
        snprintf(p, sizeof p, "%s/index", dir);
        if ((rc = make_dir(p, NULL, e))) goto fail;
        snprintf(p, sizeof p, "%s/btc", dir);
        if ((rc = make_dir(p, NULL, e))) goto fail;
        sl_test_point("open:dirs");
    }
    snprintf(p, sizeof p, "%s/index", dir);
    rc = open_env(s, p, rw ? 0 : MDB_RDONLY);
    if (!rw && rc == EACCES) { /* may read the store but not write its lock file */
        if ((rc = take_read_lock(s, e))) goto fail;
        rc = open_env(s, p, MDB_RDONLY | MDB_NOLOCK);
        s->nolock = true;
    }
    if (rc) {
        if (rc == EACCES) rc = sl_err(e, SL_EIO, "%s: permission denied: %s", p, mdb_strerror(rc));
        else if (rc == ENOENT && !rw) rc = no_store(dir, e);
        else if (rw) rc = mdb_fail(e, "creating or opening the index", rc);
        else rc = sl_err(e, SL_ESTORE, "%s: cannot open index: %s", p, mdb_strerror(rc));
        goto fail;
    }
    sl_test_point("open:env");
    rc = mdb_txn_begin(s->env, NULL, rw ? 0 : MDB_RDONLY, &txn);
    if (rc) { rc = mdb_fail(e, "txn_begin", rc); goto fail; }
    {
        unsigned cf = rw ? MDB_CREATE : 0;
        if ((rc = mdb_dbi_open(txn, "meta", cf, &s->db_meta)) ||
            (rc = mdb_dbi_open(txn, "btc.block", cf, &s->db_block)) ||
            (rc = mdb_dbi_open(txn, "btc.height", cf | MDB_INTEGERKEY, &s->db_height))) {
            if (!rw && rc == MDB_NOTFOUND) { rc = no_store(dir, e); goto fail; } /* created, never committed */
            rc = sl_err(e, SL_ESTORE, "%s: index databases: %s", dir, mdb_strerror(rc));
            goto fail;
        }
    }
    if ((rc = check_version(s, txn, e))) goto fail;
    if (rw) s->fresh = store_is_empty(s, txn);
    snprintf(p, sizeof p, "%s/btc", dir);
    for (int c = 0; c < C_N; c++) {
        rc = sl_col_open(&s->col[c], p, COLS[c].name, COLS[c].rec, rw, e);
        /* a reader of a store whose creation was interrupted: Bitcoin columns that were
         * never committed may be missing or headerless; they are empty */
        if (rc == SL_ENOTFOUND && !rw) {
            MDB_val k = {3, "btc"}, v;
            if (mdb_get(txn, s->db_meta, &k, &v) == MDB_NOTFOUND) {
                sl_col_close(&s->col[c]);
                if (e) sl_err_clear(e);
                rc = SL_OK;
                continue;
            }
        }
        if (rc) goto fail;
        if (c == C_SPENT) sl_test_point("open:some-columns");
    }
    /* address id 0 means "no address": its (zero) record exists from the start */
    if (rw && ((rc = sl_col_reserve(&s->col[C_ADDRS], 1, e)) || (rc = sl_col_reserve(&s->col[C_ASTAT], 1, e)))) goto fail;
    if ((rc = load_meta(s, txn, e))) goto fail;
    {
        int r1 = sl_hidx_open(&s->txidx, p, "txid", rw, e);
        if (r1 == SL_ENOTFOUND && !s->cm.n_tx) { sl_err_clear(e); r1 = SL_OK; }
        if (r1 || ((r1 = sl_hidx_open(&s->addridx, p, "addr", rw, e)) && !(r1 == SL_ENOTFOUND && s->cm.n_addr <= 1))) {
            rc = r1;
            goto fail;
        }
        if (e && e->code == SL_ENOTFOUND) sl_err_clear(e);
    }
    if ((rc = wal_open(s, rw, e))) goto fail;
    if ((rc = rw ? writer_recover(s, e) : reader_overlay(s, e))) goto fail;
    if (rw) {
        sl_test_point("open:columns");
        if ((rc = mdb_txn_commit(txn))) { txn = NULL; rc = mdb_fail(e, "commit", rc); goto fail; }
        txn = NULL;
        sl_test_point("open:committed");
        if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn))) { rc = mdb_fail(e, "txn_begin", rc); goto fail; }
    } else {
        /* committing the read transaction that opened the databases keeps their handles
         * for the environment (a reset would close them); the snapshot is a new one */
        rc = mdb_txn_commit(txn);
        txn = NULL;
        if (rc || (rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn))) { rc = mdb_fail(e, "txn_begin", rc); goto fail; }
    }
    *out = s;
    return SL_OK;
fail:
    if (txn) mdb_txn_abort(txn);
    sl_store_close(s);
    return rc ? rc : SL_ESTORE;
}


/* Removes the store's files (*.col, *.idx, *.wal) of folder p, then p itself if that leaves it empty. */
static void remove_cols(const char *p)
{
    DIR *d = opendir(p);
    struct dirent *de;
    char f[1024];
    if (!d) return;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if ((l > 4 && (!strcmp(de->d_name + l - 4, ".col") || !strcmp(de->d_name + l - 4, ".idx") ||
                       !strcmp(de->d_name + l - 4, ".wal"))) || (l > 8 && !strcmp(de->d_name + l - 8, ".idx.new"))) {
            snprintf(f, sizeof f, "%s/%s", p, de->d_name);
            unlink(f);
        }
    }
    closedir(d);
    rmdir(p);
}

/* Removes what sl_store_open and the chains made for a new store: the LMDB files, the
 * column files, then the folders they leave empty, LOCK, and DIR itself when this handle
 * made it. Only the store's own files are unlinked and folders are only rmdir'ed, so
 * nothing else a user keeps in DIR (even a folder named index/) is ever deleted. */
static void remove_empty_store(sl_store *s)
{
    static const char *const lmdb[] = {"index/data.mdb", "index/lock.mdb"};
    char p[512];
    DIR *d;
    struct dirent *de;
    for (size_t i = 0; i < sizeof lmdb / sizeof *lmdb; i++) {
        snprintf(p, sizeof p, "%s/%s", s->dir, lmdb[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/index", s->dir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/btc", s->dir);
    remove_cols(p);
    snprintf(p, sizeof p, "%s/eth", s->dir);
    if ((d = opendir(p))) {
        while ((de = readdir(d))) {
            char q[1024];
            if (de->d_name[0] == '.') continue;
            snprintf(q, sizeof q, "%s/%s", p, de->d_name);
            remove_cols(q);
        }
        closedir(d);
        rmdir(p);
    }
    snprintf(p, sizeof p, "%s/LOCK", s->dir);
    unlink(p);
    if (s->made_dir) rmdir(s->dir);
}

void sl_store_mark_written(sl_store *s) { s->wrote = true; }

void sl_store_close(sl_store *s)
{
    if (!s) return;
    if (s->wtxn) sl_btc_abort(s);
    if (s->mode == SL_STORE_WRITE && s->walfd >= 0 && s->col[C_ASTAT].map && s->cm.seq && checkpoint(s, true, NULL)) {
        /* not durable yet: the next writer's recovery redoes it from the log */
    }
    dirty_clear(&s->dirty);
    sl_free(s->pf_out);
    sl_free(s->pf_in);
    sl_free(s->pf_o);
    sl_hidx_close(&s->txidx);
    sl_hidx_close(&s->addridx);
    if (s->walfd >= 0) close(s->walfd);
    sl_eth_state_free(s->eth);
    if (s->rtxn) mdb_txn_abort(s->rtxn);
    for (int c = 0; c < C_N; c++) {
        if (s->mode == SL_STORE_WRITE) sl_col_trim(&s->col[c], *col_count(&s->cm, c));
        sl_col_close(&s->col[c]);
    }
    if (s->env) mdb_env_close(s->env);
    /* a store this handle found empty and never committed to is removed again, still
     * under the write lock: a refused first ingest leaves nothing behind */
    if (s->mode == SL_STORE_WRITE && s->fresh && !s->wrote && s->lockfd >= 0) remove_empty_store(s);
    if (s->lockfd >= 0) close(s->lockfd);
    sl_free(s);
}

static uint64_t dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    uint64_t n = 0;
    if (!d) return 0;
    while ((de = readdir(d))) {
        char p[1024];
        struct stat st;
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) n += dir_bytes(p);
        else if (S_ISREG(st.st_mode)) n += (uint64_t)st.st_blocks * 512;
    }
    closedir(d);
    return n;
}

uint64_t sl_store_bytes(const sl_store *s) { return dir_bytes(s->dir); }

/* Takes LMDB's exclusive lock of index/lock.mdb (the byte every process with the
 * environment open holds shared), so no other process reads the index while its file is
 * replaced. Returns the open lock fd, or -1 when another process has the index open. */
static int lmdb_exclusive(const char *dir)
{
    char p[512];
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int fd;
    snprintf(p, sizeof p, "%s/index/lock.mdb", dir);
    if ((fd = open(p, O_RDWR | O_CLOEXEC)) < 0) return -1;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sl_store_close_compact(sl_store *s, double min_free, uint64_t *saved, sl_error *e)
{
    MDB_txn *txn = NULL;
    MDB_envinfo info;
    MDB_stat st;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    char p[512], tmp[512], from[600], to[600];
    uint64_t used = 0, total;
    int rc = SL_OK, xfd;
    *saved = 0;
    if (!s) return SL_OK;
    if (s->mode != SL_STORE_WRITE || s->wtxn || !s->wrote) { sl_store_close(s); return SL_OK; }
    snprintf(p, sizeof p, "%s/index", s->dir);
    snprintf(tmp, sizeof tmp, "%s/index.compact", s->dir);
    snprintf(from, sizeof from, "%s/data.mdb", p);
    snprintf(to, sizeof to, "%s/data.mdb", tmp);
    mdb_txn_reset(s->rtxn);
    mdb_env_info(s->env, &info);
    total = (uint64_t)info.me_last_pgno + 1;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) { rc = mdb_fail(e, "txn", rc); goto out; }
    /* pages in use: the main DB plus every named DB */
    mdb_stat(txn, MAIN_DBI_FOR_STAT, &st);
    used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages + 2;
    if ((rc = mdb_cursor_open(txn, MAIN_DBI_FOR_STAT, &cur))) { rc = mdb_fail(e, "cursor", rc); goto out; }
    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        MDB_dbi dbi;
        char name[64];
        if (k.mv_size >= sizeof name) continue;
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = 0;
        if (mdb_dbi_open(txn, name, 0, &dbi) == 0 && mdb_stat(txn, dbi, &st) == 0)
            used += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    mdb_txn_abort(txn);
    txn = NULL;
    rc = SL_OK;
    if ((double)(total - (used < total ? used : total)) <= min_free * (double)total) goto out;
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) goto out; /* no room for a copy: keep the free pages */
    unlink(to);
    sl_test_point("compact:copying");
    if ((rc = mdb_env_copy2(s->env, tmp, MDB_CP_COMPACT))) {
        unlink(to);
        rmdir(tmp);
        rc = rc == ENOSPC ? SL_OK : mdb_fail(e, "compacting copy", rc); /* a full disk: just keep the pages */
        goto out;
    }
    /* the copy replaces the file only while this process holds both the store's write
     * lock (no writer can commit meanwhile: the copy is the last commit) and LMDB's
     * exclusive lock (no reader has the index open); otherwise the free pages stay */
    mdb_txn_abort(s->rtxn);
    s->rtxn = NULL;
    mdb_env_close(s->env);
    s->env = NULL;
    sl_test_point("compact:copied");
    if ((xfd = lmdb_exclusive(s->dir)) >= 0) {
        struct stat a, b;
        if (stat(from, &a) == 0 && stat(to, &b) == 0 && b.st_size < a.st_size) *saved = (uint64_t)(a.st_size - b.st_size);
        if (rename(to, from) != 0) { rc = sl_err(e, SL_EIO, "%s: %s", from, strerror(errno)); *saved = 0; }
        else {
            int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) { fsync(dfd); close(dfd); }
        }
        close(xfd);
    }
    unlink(to);
    rmdir(tmp);
out:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    sl_store_close(s);
    return rc;
}

int sl_store_version_error(sl_error *e, const char *dir, uint32_t v)
{
    if (v == 1)
        return sl_err(e, SL_EVERSION, "%s: this store has format version 1 (written by sleuth 0.1); this sleuth "
                      "reads format %u. There is no in-place upgrade (version 2 moved the txid and address "
                      "dictionaries out of LMDB into hash indexes and per-address columns): ingest the same blocks "
                      "into a new folder (`sleuth ingest btc --store NEWDIR ...`), then remove this one",
                      dir, SL_STORE_VERSION);
    return sl_err(e, SL_EVERSION, "%s: store format version %u, this sleuth reads %u", dir, v, SL_STORE_VERSION);
}

/* ---- for the per-chain stores (store_int.h) ---- */
MDB_env *sl_store_env(sl_store *s) { return s->env; }
MDB_txn *sl_store_rtxn(sl_store *s) { return s->rtxn; }
const char *sl_store_dir(const sl_store *s) { return s->dir; }
bool sl_store_writable(const sl_store *s) { return s->mode == SL_STORE_WRITE; }
struct sl_eth_state **sl_store_eth_slot(sl_store *s) { return &s->eth; }
int sl_store_snapshot(sl_store *s, sl_error *e) { return sl_store_renew(s, e); }

int sl_store_renew(sl_store *s, sl_error *e)
{
    int rc;
    mdb_txn_reset(s->rtxn);
    rc = mdb_txn_renew(s->rtxn);
    if (rc == MDB_MAP_RESIZED && !(rc = mdb_env_set_mapsize(s->env, index_bytes(s->dir)))) /* a writer grew it */
        rc = mdb_txn_renew(s->rtxn);
    if (rc) return mdb_fail(e, "renew", rc);
    if (s->wtxn) return SL_OK;
    /* the Bitcoin view moves to the new snapshot: counts, mappings, indexes, overlay */
    if ((rc = load_meta(s, s->rtxn, e))) return rc;
    if ((rc = sl_hidx_refresh(&s->txidx, e)) || (rc = sl_hidx_refresh(&s->addridx, e))) return rc;
    if (s->mode != SL_STORE_WRITE && (rc = reader_overlay(s, e))) return rc;
    return SL_OK;
}

/* ---------------- reading ---------------- */

const sl_btc_meta *sl_btc_meta_get(const sl_store *s) { return &s->m; }
const sl_btc_net *sl_store_btc_net(const sl_store *s) { return s->net; }

const sl_btc_blockrec *sl_btc_block_at(const sl_store *s, uint64_t i)
{
    return i < s->m.n_blocks ? sl_col_at(&s->col[C_BLOCKS], i) : NULL;
}

static int get_u32(const sl_store *s, MDB_dbi db, const void *key, size_t klen, uint32_t *out)
{
    MDB_val k = {klen, (void *)key}, v;
    if (mdb_get(TXN(s), db, &k, &v) || v.mv_size != 4) return SL_ENOTFOUND;
    memcpy(out, v.mv_data, 4);
    return SL_OK;
}

int sl_btc_block_by_hash(const sl_store *s, const sl_hash256 *h, uint32_t *idx)
{
    if (get_u32(s, s->db_block, h->b, 32, idx) || *idx >= s->m.n_blocks) return SL_ENOTFOUND;
    return SL_OK;
}

int sl_btc_block_by_height(const sl_store *s, uint32_t height, uint32_t *idx)
{
    if (get_u32(s, s->db_height, &height, 4, idx) || *idx >= s->m.n_blocks) return SL_ENOTFOUND;
    return SL_OK;
}

const sl_btc_txrec *sl_btc_tx_at(const sl_store *s, uint64_t id)
{
    return id < s->m.n_tx ? sl_col_at(&s->col[C_TXS], id) : NULL;
}

uint32_t sl_btc_tx_n_in(const sl_store *s, uint64_t id)
{
    const sl_btc_txrec *t = sl_btc_tx_at(s, id), *n = sl_btc_tx_at(s, id + 1);
    return (uint32_t)((n ? n->first_in : s->m.n_in) - t->first_in);
}

uint32_t sl_btc_tx_n_out(const sl_store *s, uint64_t id)
{
    const sl_btc_txrec *t = sl_btc_tx_at(s, id), *n = sl_btc_tx_at(s, id + 1);
    return (uint32_t)((n ? n->first_out : s->m.n_out) - t->first_out);
}


/* Candidates of the txid index, checked against txs.col; ids below `below` only. */
static int txid_ids_h(const sl_store *s, const sl_hash256 *txid, uint64_t h, uint64_t below, uint64_t *ids, int cap)
{
    uint64_t i, id;
    int n = 0;
    for (i = sl_hidx_first(&s->txidx, h); sl_hidx_next(&s->txidx, h, &i, &id);)
        if (id < below && memcmp(((const sl_btc_txrec *)sl_col_at(&s->col[C_TXS], id))->txid.b, txid->b, 32) == 0 &&
            n < cap) {
            bool dup = false;
            for (int j = 0; j < n; j++) dup |= ids[j] == id;
            if (!dup) ids[n++] = id;
        }
    return n;
}

static int txid_ids(const sl_store *s, const sl_hash256 *txid, uint64_t below, uint64_t *ids, int cap)
{
    if (!s->txidx.slot) return 0;
    return txid_ids_h(s, txid, sl_hidx_hash(&s->txidx, txid->b, 32), below, ids, cap);
}

int sl_btc_tx_find(const sl_store *s, const sl_hash256 *txid, uint64_t *ids, int cap)
{
    int n = txid_ids(s, txid, s->m.n_tx, ids, cap);
    /* ascending; BIP-30 duplicates are the only case with more than one */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint64_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    return n;
}

void sl_btc_tx_wtxid(const sl_store *s, uint64_t id, sl_hash256 *out)
{
    const sl_btc_txrec *t = sl_btc_tx_at(s, id);
    uint64_t lo = 0, hi = s->m.n_wtx;
    *out = t->txid;
    if (!(t->flags & SL_TX_SEGWIT)) return;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const uint8_t *r = sl_col_at(&s->col[C_WTX], mid);
        uint64_t tid = sl_le64(r);
        if (tid == id) { memcpy(out->b, r + 8, 32); return; }
        if (tid < id) lo = mid + 1; else hi = mid;
    }
}

/* Last tx whose first_{in,out} <= x. first_in/first_out grow almost linearly with the
 * tx id, so interpolation lands within a few records of the answer; a bounded number of
 * interpolation steps, then plain bisection, keeps the worst case logarithmic. */
static uint64_t tx_search(const sl_store *s, uint64_t x, bool outs)
{
    uint64_t lo = 0, hi = s->m.n_tx; /* answer in [lo, hi) */
    const sl_btc_txrec *base = sl_col_at(&s->col[C_TXS], 0);
    uint64_t flo = 0, fhi = outs ? s->m.n_out : s->m.n_in; /* f(lo) <= x < f(hi) */
    for (int step = 0; step < 4 && hi - lo > 16; step++) {
        uint64_t mid = lo + (uint64_t)((unsigned __int128)(x - flo) * (hi - lo) / (fhi - flo + 1));
        uint64_t fm;
        if (mid <= lo) mid = lo + 1;
        if (mid >= hi) mid = hi - 1;
        fm = outs ? base[mid].first_out : base[mid].first_in;
        if (fm <= x) lo = mid, flo = fm;
        else hi = mid, fhi = fm;
    }
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((outs ? base[mid].first_out : base[mid].first_in) <= x) lo = mid; else hi = mid;
    }
    return lo;
}
uint64_t sl_btc_tx_of_out(const sl_store *s, uint64_t o) { return tx_search(s, o, true); }
uint64_t sl_btc_tx_of_in(const sl_store *s, uint64_t i) { return tx_search(s, i, false); }

const sl_btc_outrec *sl_btc_out_at(const sl_store *s, uint64_t o)
{
    return o < s->m.n_out ? sl_col_at(&s->col[C_OUTS], o) : NULL;
}
uint64_t sl_btc_in_at(const sl_store *s, uint64_t i) { return *(const uint64_t *)sl_col_at(&s->col[C_INS], i); }
const sl_btc_extin *sl_btc_extin_at(const sl_store *s, uint64_t k)
{
    return k < s->m.n_extin ? sl_col_at(&s->col[C_EXTINS], k) : NULL;
}

int sl_btc_in_prevout(const sl_store *s, uint64_t i, uint64_t *tx, uint32_t *vout)
{
    uint64_t r = sl_btc_in_at(s, i);
    if (r == SL_IN_COINBASE || (r & SL_IN_EXT)) return SL_ENOTFOUND;
    *tx = SL_REF_TX(r);
    *vout = SL_REF_IDX(r);
    return SL_OK;
}

/* Global output number of a resolved input reference. */
static uint64_t ref_out(const sl_store *s, uint64_t r)
{
    return ((const sl_btc_txrec *)sl_col_at(&s->col[C_TXS], SL_REF_TX(r)))->first_out + SL_REF_IDX(r);
}

int sl_btc_out_spender(const sl_store *s, uint64_t o, uint64_t *tx, uint32_t *vin)
{
    uint64_t v, r, t;
    uint32_t k;
    if (o >= s->m.n_out) return SL_ENOTFOUND;
    v = *(const uint64_t *)sl_col_at(&s->col[C_SPENT], o);
    if (v == 0) return SL_ENOTFOUND;
    t = SL_REF_TX(v), k = SL_REF_IDX(v);
    /* validate: a crashed batch may have left a pointer to a tx that was never committed */
    if (t >= s->m.n_tx || k >= sl_btc_tx_n_in(s, t)) return SL_ENOTFOUND;
    r = sl_btc_in_at(s, sl_btc_tx_at(s, t)->first_in + k);
    if (r == SL_IN_COINBASE || (r & SL_IN_EXT) || SL_REF_TX(r) >= s->m.n_tx || ref_out(s, r) != o) return SL_ENOTFOUND;
    *tx = t;
    *vin = k;
    return SL_OK;
}

int sl_btc_out_spent_by(const sl_store *s, uint64_t o, uint64_t *in)
{
    uint64_t t;
    uint32_t k;
    if (sl_btc_out_spender(s, o, &t, &k)) return SL_ENOTFOUND;
    *in = sl_btc_tx_at(s, t)->first_in + k;
    return SL_OK;
}

uint64_t sl_btc_in_value(const sl_store *s, uint64_t i, uint32_t *addr)
{
    uint64_t r = sl_btc_in_at(s, i);
    const sl_btc_outrec *o;
    *addr = 0;
    if (r == SL_IN_COINBASE) return UINT64_MAX;
    if (r & SL_IN_EXT) {
        const sl_btc_extin *x = sl_btc_extin_at(s, r & ~SL_IN_EXT);
        if (!x || !x->known) return UINT64_MAX;
        *addr = x->addr;
        return x->value;
    }
    o = sl_btc_out_at(s, ref_out(s, r));
    *addr = o->addr;
    return o->value;
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
        const sl_btc_txrec *tr = sl_btc_tx_at(s, SL_REF_TX(r));
        const sl_btc_outrec *o = sl_btc_out_at(s, tr->first_out + SL_REF_IDX(r));
        v->resolved = true;
        v->out = tr->first_out + SL_REF_IDX(r);
        v->prev_txid = tr->txid;
        v->prev_vout = SL_REF_IDX(r);
        v->value = o->value;
        v->addr = o->addr;
        v->type = o->type;
    }
}

int sl_btc_tx_fee(const sl_store *s, uint64_t id, uint64_t *fee)
{
    const sl_btc_txrec *t = sl_btc_tx_at(s, id);
    uint32_t nin = sl_btc_tx_n_in(s, id), nout = sl_btc_tx_n_out(s, id);
    uint64_t in = 0, out = 0;
    if (t->flags & SL_TX_COINBASE) { *fee = 0; return SL_OK; }
    for (uint32_t k = 0; k < nin; k++) {
        sl_btc_inview v;
        sl_btc_in_view(s, t->first_in + k, &v);
        if (v.value == UINT64_MAX) return SL_ENOTFOUND;
        in += v.value;
    }
    for (uint32_t k = 0; k < nout; k++) out += sl_btc_out_at(s, t->first_out + k)->value;
    *fee = in >= out ? in - out : 0;
    return in >= out ? SL_OK : SL_ENOTFOUND;
}

int sl_btc_addr_key(const sl_store *s, uint32_t id, sl_btc_addr *a)
{
    if (id == 0 || id >= s->m.n_addr) return SL_ENOTFOUND;
    memcpy(a, sl_col_at(&s->col[C_ADDRS], id), sizeof *a);
    return SL_OK;
}

static size_t addr_dbkey(uint8_t *k, const sl_btc_addr *a)
{
    k[0] = a->kind;
    memcpy(k + 1, a->prog, a->len);
    return 1 + (size_t)a->len;
}

static bool addr_is(const sl_store *s, uint64_t id, const sl_btc_addr *a)
{
    const sl_btc_addr *x = sl_col_at(&s->col[C_ADDRS], id);
    return x->kind == a->kind && x->len == a->len && memcmp(x->prog, a->prog, a->len) == 0;
}

/* The address id of a (0: not among ids below `below`). */
static uint32_t addr_find(const sl_store *s, const sl_btc_addr *a, uint64_t hash, uint64_t below)
{
    uint64_t i, id;
    if (!s->addridx.slot) return 0;
    for (i = sl_hidx_first(&s->addridx, hash); sl_hidx_next(&s->addridx, hash, &i, &id);)
        if (id && id < below && addr_is(s, id, a)) return (uint32_t)id;
    return 0;
}

static uint64_t addr_hash(const sl_store *s, const sl_btc_addr *a)
{
    uint8_t kb[48];
    return sl_hidx_hash(&s->addridx, kb, addr_dbkey(kb, a));
}

/* ---- the dirty set (astat records by address id) ---- */
static const void *dirty_key(const void *ctx, uint64_t i, size_t *n)
{
    *n = 4;
    return &((const dirty_set *)ctx)->v[i].id;
}

static struct dirty *dirty_get(const dirty_set *d, uint32_t id)
{
    uint64_t i;
    if (!d->n || !sl_htid_find(&d->ix, &id, 4, &i)) return NULL;
    return &d->v[i];
}

/* The entry for id, made (with record r) when missing; NULL when out of memory. */
static struct dirty *dirty_put(dirty_set *d, uint32_t id, const astat_rec *r)
{
    struct dirty *x = dirty_get(d, id);
    void *q;
    if (x) return x;
    if (!d->ix.key) sl_htid_init(&d->ix, dirty_key, d);
    q = d->v;
    if (sl_grow(&q, &d->capv, d->n + 1, sizeof *d->v)) return NULL;
    d->v = q;
    if (sl_htid_add(&d->ix, &id, 4, d->n) != SL_OK) return NULL;
    d->v[d->n].id = id;
    d->v[d->n].r = *r;
    d->v[d->n].last_tx = UINT64_MAX; /* not known yet */
    return &d->v[d->n++];
}

static void dirty_clear(dirty_set *d)
{
    sl_free(d->v);
    sl_htid_free(&d->ix);
    memset(d, 0, sizeof *d);
}

/* Reads astat.col record id under the seqlock (the writer may be rewriting it). */
static void astat_read(const sl_store *s, uint32_t id, astat_rec *r)
{
    const astat_rec *p = sl_col_at(&s->col[C_ASTAT], id);
    for (;;) {
        uint32_t a = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE), b;
        if (a == SEQ_BUSY) { sched_yield(); continue; }
        memcpy(r, p, sizeof *r);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        b = __atomic_load_n(&p->seq, __ATOMIC_RELAXED);
        if (a == b) { r->seq = a; return; }
    }
}

/* The record as of the handle's view: the open batch's (writer), a WAL frame not yet
 * applied (reader after a writer's crash), else astat.col. */
static void astat_get(const sl_store *s, uint32_t id, astat_rec *r)
{
    const struct dirty *d = dirty_get(&s->dirty, id);
    astat_read(s, id, r);
    if (d && d->r.seq >= r->seq) *r = d->r;
}

int sl_btc_addr_lookup(const sl_store *s, const sl_btc_addr *a, sl_btc_addrstat *st)
{
    uint32_t id = addr_find(s, a, addr_hash(s, a), s->m.n_addr);
    astat_rec r;
    if (!id) return SL_ENOTFOUND;
    astat_get(s, id, &r);
    if (r.seq > s->m.seq && !s->wtxn) {
        /* written by a commit newer than this handle's snapshot: move the snapshot on, so
         * the record's history and blocks are inside it */
        if (sl_store_renew((sl_store *)s, NULL) != SL_OK) return SL_ENOTFOUND;
        astat_get(s, id, &r);
    }
    memset(st, 0, sizeof *st);
    st->id = id;
    st->n_tx = r.n_tx;
    st->received = r.received;
    st->spent = r.spent;
    st->n_out = r.n_out;
    st->n_spent = r.n_spent;
    st->first_block = r.first_block;
    st->last_block = r.last_block;
    st->head = r.head;
    if (r.first_block < s->m.n_blocks) st->first_time = sl_btc_block_at(s, r.first_block)->time;
    if (r.last_block < s->m.n_blocks) st->last_time = sl_btc_block_at(s, r.last_block)->time;
    if (r.head && r.head <= s->m.n_events) st->last_tx = sl_btc_event_at(s, r.head - 1)->tx + 1;
    return SL_OK;
}

const sl_btc_event *sl_btc_event_at(const sl_store *s, uint64_t ev)
{
    return ev < s->m.n_events ? sl_col_at(&s->col[C_EVENTS], ev) : NULL;
}

/* ---------------- writing ---------------- */

/* ---- astat.wal: the address records of each commit, written before the commit ----
 * Header (64 B): magic "SLEUTHW\0", version u32 at 8, applied seq u64 at 16 (every frame up
 * to it is in astat.col). Frames: seq u64, n u64, then n x (id u32, astat_rec 48 B), then a
 * trailer u64 = seq ^ n ^ WAL_TRAILER. A frame belongs to a commit when its seq is at most
 * the committed seq; the writer cuts the file after the last such frame before it writes,
 * so a crashed commit's frame never counts. Checkpoints (at close, and when the file
 * passes WAL_MAX) msync astat.col and empty the file. */
#define WAL_HDR 64
#define WAL_REC 52
#define WAL_TRAILER 0x5357414c5357414cULL
#define WAL_MAX ((uint64_t)512 << 20)
static const char WAL_MAGIC[8] = "SLEUTHW";

static int wal_open(sl_store *s, bool rw, sl_error *e)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/btc/astat.wal", s->dir);
    s->walfd = open(p, (rw ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
    if (s->walfd < 0) {
        if (!rw && errno == ENOENT) return SL_OK; /* never written: nothing to replay */
        return sl_err(e, SL_EIO, "%s: cannot open: %s", p, strerror(errno));
    }
    if (fstat(s->walfd, &st) != 0) return sl_err(e, SL_EIO, "%s: stat: %s", p, strerror(errno));
    if (st.st_size < WAL_HDR) {
        uint8_t h[WAL_HDR] = {0};
        if (!rw) return SL_OK;
        memcpy(h, WAL_MAGIC, 8);
        sl_put_le32(h + 8, SL_STORE_VERSION);
        if (pwrite(s->walfd, h, sizeof h, 0) != WAL_HDR || fsync(s->walfd) != 0)
            return sl_col_io_error(e, p, "writing the header", errno ? errno : ENOSPC);
    }
    s->wal_end = WAL_HDR;
    return SL_OK;
}

static uint64_t wal_applied(const sl_store *s)
{
    uint8_t b[8];
    if (s->walfd < 0 || pread(s->walfd, b, 8, 16) != 8) return UINT64_MAX;
    return sl_le64(b);
}

static void wal_set_applied(sl_store *s, uint64_t seq)
{
    uint8_t b[8];
    sl_put_le64(b, seq);
    if (pwrite(s->walfd, b, 8, 16) != 8) { /* a replay at the next open redoes it */ }
}

/* Reads the frames of committed seqs after `after` into d (latest wins) and sets
 * s->wal_end after the last committed frame. */
static int wal_scan(sl_store *s, uint64_t after, dirty_set *d, sl_error *e)
{
    uint64_t off = WAL_HDR, h[2];
    uint8_t *buf = NULL;
    size_t bcap = 0;
    int rc = SL_OK;
    s->wal_end = WAL_HDR;
    if (s->walfd < 0) return SL_OK;
    while (pread(s->walfd, h, 16, (off_t)off) == 16) {
        uint64_t seq = h[0], n = h[1], t, len;
        if (seq > s->cm.seq || n > ((uint64_t)1 << 32)) break;
        len = n * WAL_REC;
        if (len > bcap) {
            void *q = sl_realloc(buf, len);
            if (!q) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
            buf = q;
            bcap = len;
        }
        if (pread(s->walfd, buf, len, (off_t)(off + 16)) != (ssize_t)len ||
            pread(s->walfd, &t, 8, (off_t)(off + 16 + len)) != 8 || t != (seq ^ n ^ WAL_TRAILER))
            break;
        if (seq > after)
            for (uint64_t i = 0; i < n; i++) {
                uint32_t id;
                astat_rec r;
                struct dirty *x;
                memcpy(&id, buf + i * WAL_REC, 4);
                memcpy(&r, buf + i * WAL_REC + 4, sizeof r);
                if (id >= sl_col_cap(&s->col[C_ASTAT])) continue;
                if (!(x = dirty_put(d, id, &r))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
                x->r = r;
            }
        off += 16 + len + 8;
        s->wal_end = off;
    }
out:
    sl_free(buf);
    return rc;
}

/* Writes the records of the dirty set into astat.col under the seqlock. */
static void astat_apply(sl_store *s, const dirty_set *d)
{
    for (size_t i = 0; i < d->n; i++) {
        astat_rec *p = sl_col_at(&s->col[C_ASTAT], d->v[i].id);
        __atomic_store_n(&p->seq, SEQ_BUSY, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        memcpy((uint8_t *)p + 4, (const uint8_t *)&d->v[i].r + 4, sizeof *p - 4);
        __atomic_store_n(&p->seq, d->v[i].r.seq, __ATOMIC_RELEASE);
    }
}

static int wal_write(sl_store *s, uint64_t seq, sl_error *e)
{
    const dirty_set *d = &s->dirty;
    size_t len = 16 + d->n * WAL_REC + 8;
    uint8_t *b = sl_malloc(len);
    uint64_t t = seq ^ d->n ^ WAL_TRAILER;
    int rc = SL_OK;
    char p[512];
    snprintf(p, sizeof p, "%s/btc/astat.wal", s->dir);
    if (!b) return sl_err(e, SL_ENOMEM, "out of memory");
    memcpy(b, &seq, 8);
    sl_put_le64(b + 8, d->n);
    for (size_t i = 0; i < d->n; i++) {
        memcpy(b + 16 + i * WAL_REC, &d->v[i].id, 4);
        memcpy(b + 16 + i * WAL_REC + 4, &d->v[i].r, sizeof d->v[i].r);
    }
    memcpy(b + len - 8, &t, 8);
    if (ftruncate(s->walfd, (off_t)s->wal_end) != 0 || pwrite(s->walfd, b, len, (off_t)s->wal_end) != (ssize_t)len ||
        fdatasync(s->walfd) != 0)
        rc = sl_col_io_error(e, p, "writing the address log", errno ? errno : ENOSPC);
    sl_free(b);
    return rc;
}

/* astat.col and the indexes made durable; the WAL emptied (writers, at close and when
 * the WAL passes WAL_MAX). */
static int checkpoint(sl_store *s, bool clean, sl_error *e)
{
    int rc;
    if (s->mode != SL_STORE_WRITE || s->walfd < 0) return SL_OK;
    if (s->col[C_ASTAT].map && msync(s->col[C_ASTAT].map, s->col[C_ASTAT].map_len, MS_SYNC) != 0)
        return sl_col_io_error(e, s->col[C_ASTAT].path, "msync", errno);
    if ((rc = sl_col_sync(&s->col[C_SPENT], 0, s->cm.n_out, e))) return rc;
    if (s->txidx.map && (rc = sl_hidx_checkpoint(&s->txidx, s->cm.n_tx, clean, e))) return rc;
    if (s->addridx.map && (rc = sl_hidx_checkpoint(&s->addridx, s->cm.n_addr, clean, e))) return rc;
    if (ftruncate(s->walfd, WAL_HDR) != 0 || fdatasync(s->walfd) != 0)
        return sl_col_io_error(e, "btc/astat.wal", "truncate", errno);
    wal_set_applied(s, s->cm.seq);
    s->wal_end = WAL_HDR;
    return SL_OK;
}

static uint64_t txid_hash_of(void *ctx, uint64_t id)
{
    sl_store *s = ctx;
    return sl_hidx_hash(&s->txidx, ((const sl_btc_txrec *)sl_col_at(&s->col[C_TXS], id))->txid.b, 32);
}

static uint64_t addr_hash_of(void *ctx, uint64_t id)
{
    sl_store *s = ctx;
    return id ? addr_hash(s, sl_col_at(&s->col[C_ADDRS], id)) : 0;
}

/* Writer at open: redoes the address records of commits whose apply a crash cut short,
 * and re-inserts into each index the ids a crash may have left out. */
static int writer_recover(sl_store *s, sl_error *e)
{
    dirty_set d = {0};
    uint64_t applied = wal_applied(s);
    int rc = wal_scan(s, applied == UINT64_MAX ? 0 : applied, &d, e);
    if (!rc && d.n) {
        astat_apply(s, &d);
        wal_set_applied(s, s->cm.seq);
    }
    dirty_clear(&d);
    if (rc) return rc;
    if (sl_hidx_dirty(&s->txidx))
        for (uint64_t id = sl_hidx_covered(&s->txidx); id < s->cm.n_tx; id++) {
            uint64_t h = txid_hash_of(s, id), i, x;
            bool have = false;
            for (i = sl_hidx_first(&s->txidx, h); sl_hidx_next(&s->txidx, h, &i, &x);) if (x == id) have = true;
            if (have) continue;
            if (sl_hidx_need_grow(&s->txidx, 1)) { /* the rebuild indexes every committed id */
                if ((rc = sl_hidx_rebuild(&s->txidx, s->cm.n_tx, 0, txid_hash_of, s, e))) return rc;
                break;
            }
            sl_hidx_insert(&s->txidx, h, id);
        }
    if (sl_hidx_dirty(&s->addridx))
        for (uint64_t id = sl_hidx_covered(&s->addridx); id < s->cm.n_addr; id++) {
            uint64_t h, i, x;
            bool have = false;
            if (!id) continue;
            h = addr_hash_of(s, id);
            for (i = sl_hidx_first(&s->addridx, h); sl_hidx_next(&s->addridx, h, &i, &x);) if (x == id) have = true;
            if (have) continue;
            if (sl_hidx_need_grow(&s->addridx, 1)) {
                if ((rc = sl_hidx_rebuild(&s->addridx, s->cm.n_addr, 0, addr_hash_of, s, e))) return rc;
                break;
            }
            sl_hidx_insert(&s->addridx, h, id);
        }
    return SL_OK;
}

/* Reader at open or renew: the frames of commits not yet applied to astat.col (a writer
 * was killed between its commit and the apply) are read into the overlay. */
static int reader_overlay(sl_store *s, sl_error *e)
{
    uint64_t applied = wal_applied(s);
    dirty_clear(&s->dirty);
    if (applied == UINT64_MAX || applied >= s->cm.seq) return SL_OK;
    return wal_scan(s, applied, &s->dirty, e);
}

int sl_btc_begin(sl_store *s, const char *network_arg, sl_error *e)
{
    int rc;
    char network[32];
    /* copy first: the caller may pass a pointer into s->m, which load_meta rewrites */
    if (network_arg) snprintf(network, sizeof network, "%s", network_arg);
    if (s->mode != SL_STORE_WRITE) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (s->wtxn) return sl_err(e, SL_EUSAGE, "a batch is already open");
    if ((rc = sl_store_grow_map(s, e))) return rc;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->wtxn))) return mdb_fail(e, "txn_begin", rc);
    if ((rc = load_meta(s, s->wtxn, e))) { sl_btc_abort(s); return rc; }
    if (network_arg) {
        if (s->m.n_blocks && strcmp(s->m.network, network) != 0) {
            sl_btc_abort(s);
            return sl_err(e, SL_ECONFLICT, "%s: store holds %s blocks, cannot add %s blocks", s->dir, s->m.network,
                          network);
        }
        snprintf(s->m.network, sizeof s->m.network, "%s", network);
        s->net = sl_btc_net_by_name(network);
    }
    s->spent_lo = UINT64_MAX;
    s->spent_hi = 0;
    dirty_clear(&s->dirty);
    sl_hidx_mark(&s->txidx);
    sl_hidx_mark(&s->addridx);
    return SL_OK;
}

void sl_btc_abort(sl_store *s)
{
    if (s->wtxn) {
        sl_hidx_undo(&s->txidx);
        sl_hidx_undo(&s->addridx);
    }
    dirty_clear(&s->dirty);
    if (s->wtxn) mdb_txn_abort(s->wtxn);
    s->wtxn = NULL;
    s->m = s->cm;
}

int sl_btc_commit(sl_store *s, sl_error *e)
{
    MDB_val k = {3, "btc"}, v = {sizeof s->m, &s->m};
    int rc;
    if (!s->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    s->m.seq = s->cm.seq + 1;
    for (int c = 0; c < C_N; c++) {
        if (c == C_SPENT || c == C_ASTAT) continue;
        if ((rc = sl_col_sync(&s->col[c], *col_count(&s->cm, c), *col_count(&s->m, c), e))) goto fail;
    }
    if (s->spent_lo > s->cm.n_out) s->spent_lo = s->cm.n_out; /* new outputs' zeroed entries too */
    if (s->spent_hi < s->m.n_out) s->spent_hi = s->m.n_out;
    if (s->spent_hi > s->spent_lo && (rc = sl_col_sync(&s->col[C_SPENT], s->spent_lo, s->spent_hi, e))) goto fail;
    /* astat.col must hold a record for every address id before the apply */
    if ((rc = sl_col_reserve(&s->col[C_ASTAT], s->m.n_addr, e))) goto fail;
    if ((rc = wal_write(s, s->m.seq, e))) goto fail;
    sl_test_point("commit:logged");
    if ((rc = mdb_put(s->wtxn, s->db_meta, &k, &v, 0))) { rc = mdb_fail(e, "put meta", rc); goto fail; }
    rc = mdb_txn_commit(s->wtxn);
    s->wtxn = NULL;
    if (rc) { s->m = s->cm; dirty_clear(&s->dirty); return mdb_fail(e, "commit", rc); }
    s->cm = s->m;
    s->wrote = true;
    s->wal_end += 16 + s->dirty.n * WAL_REC + 8;
    sl_test_point("commit:committed");
    astat_apply(s, &s->dirty);
    wal_set_applied(s, s->cm.seq);
    dirty_clear(&s->dirty);
    if (s->wal_end > WAL_MAX && (rc = checkpoint(s, false, e))) return rc;
    /* readers in this process see the new state */
    mdb_txn_reset(s->rtxn);
    if ((rc = mdb_txn_renew(s->rtxn))) return mdb_fail(e, "renew", rc);
    return SL_OK;
fail:
    sl_btc_abort(s);
    return rc;
}

/* Appends one record to column c, returning a pointer valid until the next append. */
static void *col_push(sl_store *s, int c, sl_error *e)
{
    uint64_t *n = col_count(&s->m, c);
    if (sl_col_reserve(&s->col[c], *n + 1, e)) return NULL;
    return sl_col_at(&s->col[c], (*n)++);
}

/* Makes room in an index for `more` ids (rebuilding it at twice the size when needed). */
static int hidx_room(sl_store *s, sl_hidx *h, uint64_t n, uint64_t more, sl_error *e)
{
    if (!sl_hidx_need_grow(h, more)) return SL_OK;
    return sl_hidx_rebuild(h, n, more, h == &s->txidx ? txid_hash_of : addr_hash_of, s, e);
}

/* The latest tx id with this txid, for the writer (ids of the open batch included). */
static bool find_latest(const sl_store *s, const sl_hash256 *txid, uint64_t h, uint64_t *id)
{
    uint64_t ids[8];
    int n = txid_ids_h(s, txid, h, s->m.n_tx, ids, 8);
    if (n == 0) return false;
    *id = ids[0];
    for (int i = 1; i < n; i++) if (ids[i] > *id) *id = ids[i];
    return true;
}

/* The id of address a (hash: addr_hash of it), made when new. *d gets its dirty entry. */
static int addr_id(sl_store *s, const sl_btc_addr *a, uint64_t h, uint32_t blk, uint32_t *id_out, sl_error *e)
{
    uint32_t id = addr_find(s, a, h, s->m.n_addr);
    if (!id) {
        sl_btc_addr *slot;
        astat_rec z;
        struct dirty *d;
        int rc;
        if (s->m.n_addr >= UINT32_MAX) return sl_err(e, SL_ELIMIT, "more than 2^32-1 addresses");
        if ((rc = hidx_room(s, &s->addridx, s->m.n_addr, 1, e))) return rc;
        id = (uint32_t)s->m.n_addr;
        if (!(slot = col_push(s, C_ADDRS, e))) return e ? e->code : SL_EIO;
        memset(slot, 0, 48);
        memcpy(slot, a, sizeof *a);
        sl_hidx_insert(&s->addridx, h, id);
        memset(&z, 0, sizeof z);
        z.first_block = blk;
        if (!(d = dirty_put(&s->dirty, id, &z))) return sl_err(e, SL_ENOMEM, "out of memory");
        d->r = z; /* an id reused after a rollback or an aborted batch starts empty */
        d->last_tx = 0;
    }
    *id_out = id;
    return SL_OK;
}

/* The batch's entry for address id, loaded from astat.col on first use (NULL: out of memory). */
static struct dirty *dirty_load(sl_store *s, uint32_t id)
{
    struct dirty *d = dirty_get(&s->dirty, id);
    astat_rec r;
    if (d) return d;
    astat_read(s, id, &r);
    return dirty_put(&s->dirty, id, &r);
}

/* Records that address id took part in tx (received or spent value). */
static int touch_id(sl_store *s, uint32_t id, uint64_t tx, uint32_t blk, uint64_t recv, uint64_t spent, bool is_out,
                    sl_error *e)
{
    struct dirty *d = dirty_load(s, id);
    astat_rec *st;
    if (!d) return sl_err(e, SL_ENOMEM, "out of memory");
    st = &d->r;
    if (d->last_tx == UINT64_MAX) d->last_tx = st->head ? sl_btc_event_at(s, st->head - 1)->tx + 1 : 0;
    st->seq = (uint32_t)(s->cm.seq + 1);
    if (d->last_tx != tx + 1) {
        sl_btc_event *ev = col_push(s, C_EVENTS, e);
        if (!ev) return e ? e->code : SL_EIO;
        ev->tx = tx;
        ev->prev = st->head;
        st->head = s->m.n_events; /* = index + 1 */
        st->n_tx++;
        d->last_tx = tx + 1;
    }
    if (__builtin_add_overflow(st->received, recv, &st->received) || __builtin_add_overflow(st->spent, spent, &st->spent))
        return sl_err(e, SL_ELIMIT, "an address's total received or spent would pass 2^64-1 satoshi");
    if (is_out) st->n_out++; else st->n_spent++;
    st->last_block = blk;
    return SL_OK;
}

static int addr_touch(sl_store *s, const sl_btc_addr *a, uint32_t *id_out, uint64_t tx, uint32_t blk, uint64_t recv,
                      uint64_t spent, bool is_out, sl_error *e)
{
    int rc = addr_id(s, a, addr_hash(s, a), blk, id_out, e);
    return rc ? rc : touch_id(s, *id_out, tx, blk, recv, spent, is_out, e);
}

/* Before a block is written: classifies its outputs and hashes their addresses and its
 * inputs' txids, prefetching the index slots, then the records those slots name, so the
 * write loop's random reads (index, key check, address record) overlap instead of
 * waiting one by one. */
static int prefetch_block(sl_store *s, const sl_btc_block *b, sl_error *e)
{
    void *q;
    q = s->pf_out;
    if (sl_grow(&q, &s->pf_capo, b->n_out, sizeof *s->pf_out)) return sl_err(e, SL_ENOMEM, "out of memory");
    s->pf_out = q;
    q = s->pf_in;
    if (sl_grow(&q, &s->pf_capi, b->n_in, sizeof *s->pf_in)) return sl_err(e, SL_ENOMEM, "out of memory");
    s->pf_in = q;
    q = s->pf_o;
    if (sl_grow(&q, &s->pf_capoi, b->n_in, sizeof *s->pf_o)) return sl_err(e, SL_ENOMEM, "out of memory");
    s->pf_o = q;
    for (uint32_t o = 0; o < b->n_out; o++) {
        struct pf_out *p = &s->pf_out[o];
        p->type = (uint8_t)sl_btc_script_classify(b->out[o].script, b->out[o].script_len, &p->a);
        if (p->a.kind == SL_ADDR_NONE) continue;
        p->hash = addr_hash(s, &p->a);
        __builtin_prefetch(&s->addridx.slot[p->hash & s->addridx.mask]);
    }
    for (uint32_t i = 1; i < b->n_in; i++) { /* input 0 is the coinbase's */
        s->pf_in[i] = sl_hidx_hash(&s->txidx, b->in[i].prev_txid.b, 32);
        __builtin_prefetch(&s->txidx.slot[s->pf_in[i] & s->txidx.mask]);
    }
    for (uint32_t o = 0; o < b->n_out; o++) {
        struct pf_out *p = &s->pf_out[o];
        uint64_t i, id;
        if (p->a.kind == SL_ADDR_NONE) continue;
        i = sl_hidx_first(&s->addridx, p->hash);
        if (sl_hidx_next(&s->addridx, p->hash, &i, &id) && id < s->m.n_addr) {
            __builtin_prefetch(sl_col_at(&s->col[C_ADDRS], id));
            __builtin_prefetch(sl_col_at(&s->col[C_ASTAT], id < sl_col_cap(&s->col[C_ASTAT]) ? id : 0));
        }
    }
    /* each input's spent tx (its first candidate), then the output, then its address
     * record: pf_o carries what one step found to the next, so the index is probed once */
    for (uint32_t k = 1; k < b->n_in; k++) {
        uint64_t i = sl_hidx_first(&s->txidx, s->pf_in[k]), id;
        s->pf_o[k] = UINT64_MAX;
        if (sl_hidx_next(&s->txidx, s->pf_in[k], &i, &id) && id < s->m.n_tx) {
            __builtin_prefetch(sl_col_at(&s->col[C_TXS], id));
            s->pf_o[k] = id;
        }
    }
    for (uint32_t k = 1; k < b->n_in; k++) {
        uint64_t o;
        if (s->pf_o[k] == UINT64_MAX) continue;
        o = ((const sl_btc_txrec *)sl_col_at(&s->col[C_TXS], s->pf_o[k]))->first_out + b->in[k].prev_vout;
        s->pf_o[k] = UINT64_MAX;
        if (o >= s->m.n_out) continue;
        __builtin_prefetch(sl_col_at(&s->col[C_OUTS], o));
        __builtin_prefetch(sl_col_at(&s->col[C_SPENT], o));
        s->pf_o[k] = o;
    }
    for (uint32_t k = 1; k < b->n_in; k++) {
        uint32_t a;
        if (s->pf_o[k] == UINT64_MAX || !(a = ((const sl_btc_outrec *)sl_col_at(&s->col[C_OUTS], s->pf_o[k]))->addr))
            continue;
        __builtin_prefetch(sl_col_at(&s->col[C_ASTAT], a < sl_col_cap(&s->col[C_ASTAT]) ? a : 0));
    }
    return SL_OK;
}

int sl_btc_append_block(sl_store *s, const sl_btc_block *b, uint32_t height, uint32_t flags,
                        unsigned __int128 chainwork, sl_btc_prevout_fn pf, void *pctx, sl_error *e)
{
    uint32_t bidx = (uint32_t)s->m.n_blocks;
    sl_btc_blockrec *br;
    MDB_val k, v;
    int rc;
    uint32_t g = 0; /* block-wide input number, for the prevout provider */
    bstart_rec *bs;
    if (!s->wtxn) return sl_err(e, SL_EUSAGE, "no batch open");
    if ((rc = hidx_room(s, &s->txidx, s->m.n_tx, b->n_tx, e))) return rc;
    if ((rc = hidx_room(s, &s->addridx, s->m.n_addr, b->n_out, e))) return rc;
    if ((rc = prefetch_block(s, b, e))) return rc;
    /* bstart.col runs parallel to blocks.col (same count) */
    if (sl_col_reserve(&s->col[C_BSTART], s->m.n_blocks + 1, e)) return e ? e->code : SL_EIO;
    bs = sl_col_at(&s->col[C_BSTART], s->m.n_blocks);
    bs->n_in = s->m.n_in;
    bs->n_out = s->m.n_out;
    bs->n_extin = s->m.n_extin;
    bs->n_wtx = s->m.n_wtx;
    bs->n_events = s->m.n_events;
    bs->n_addr = (uint32_t)s->m.n_addr;
    bs->reserved = 0;
    if (!(br = col_push(s, C_BLOCKS, e))) return e ? e->code : SL_EIO;
    memset(br, 0, sizeof *br);
    br->hash = b->hash;
    br->prev = b->hdr.prev;
    br->merkle = b->hdr.merkle;
    br->version = b->hdr.version;
    br->time = b->hdr.time;
    br->bits = b->hdr.bits;
    br->nonce = b->hdr.nonce;
    br->height = height;
    br->flags = flags;
    br->first_tx = s->m.n_tx;
    br->n_tx = b->n_tx;
    br->size = b->size;
    br->weight = b->weight;
    memcpy(br->chainwork, &chainwork, 16);

    for (uint32_t t = 0; t < b->n_tx; t++) {
        const sl_btc_tx *tx = &b->tx[t];
        uint64_t id = s->m.n_tx;
        sl_btc_txrec *tr = col_push(s, C_TXS, e);
        if (!tr) return e ? e->code : SL_EIO;
        tr->txid = tx->txid;
        tr->block = bidx;
        tr->size = tx->size;
        tr->weight = tx->weight;
        tr->flags = (t == 0 ? SL_TX_COINBASE : 0) | (tx->segwit ? SL_TX_SEGWIT : 0);
        tr->first_in = s->m.n_in;
        tr->first_out = s->m.n_out;
        sl_hidx_insert(&s->txidx, sl_hidx_hash(&s->txidx, tx->txid.b, 32), id);
        if (tx->segwit) {
            uint8_t *w = col_push(s, C_WTX, e);
            if (!w) return e ? e->code : SL_EIO;
            sl_put_le64(w, id);
            memcpy(w + 8, tx->wtxid.b, 32);
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            const sl_btc_txout *out = &b->out[tx->first_out + o];
            const struct pf_out *p = &s->pf_out[tx->first_out + o];
            uint32_t aid = 0;
            sl_btc_outrec *orec;
            uint64_t *sp;
            uint8_t type = p->type;
            if (p->a.kind != SL_ADDR_NONE && ((rc = addr_id(s, &p->a, p->hash, bidx, &aid, e)) ||
                                              (rc = touch_id(s, aid, id, bidx, out->value, 0, true, e))))
                return rc;
            if (!(orec = col_push(s, C_OUTS, e))) return e ? e->code : SL_EIO;
            orec->value = out->value;
            orec->addr = aid;
            orec->type = type;
            memset(orec->reserved, 0, sizeof orec->reserved);
            /* spent.col runs parallel to outs.col (same count) */
            if (sl_col_reserve(&s->col[C_SPENT], s->m.n_out, e)) return e ? e->code : SL_EIO;
            sp = sl_col_at(&s->col[C_SPENT], s->m.n_out - 1);
            *sp = 0;
        }
        for (uint32_t i = 0; i < tx->n_in; i++, g++) {
            const sl_btc_txin *in = &b->in[tx->first_in + i];
            uint64_t ref, pid = 0, *slot;
            if (t == 0) {
                ref = SL_IN_COINBASE;
            } else if (find_latest(s, &in->prev_txid, s->pf_in[tx->first_in + i], &pid) && in->prev_vout < (1u << 24) &&
                       in->prev_vout < sl_btc_tx_n_out(s, pid)) {
                const sl_btc_outrec *po;
                uint64_t o = sl_btc_tx_at(s, pid)->first_out + in->prev_vout, st;
                uint32_t sv;
                if (sl_btc_out_spender(s, o, &st, &sv) == SL_OK) { /* consensus: each output is spent once */
                    char a[65], b2[65];
                    sl_hash_hex(a, &in->prev_txid);
                    sl_hash_hex(b2, &sl_btc_tx_at(s, st)->txid);
                    return sl_err(e, SL_ECORRUPT, "byte offset %u: tx %u input %u spends %s:%u, which %s:%u already "
                                  "spent: a double spend, invalid by consensus", tx->offset, t, i, a, in->prev_vout,
                                  b2, sv);
                }
                ref = SL_REF(pid, in->prev_vout);
                po = sl_btc_out_at(s, o);
                *(uint64_t *)sl_col_at(&s->col[C_SPENT], o) = SL_REF(id, i);
                if (o < s->spent_lo) s->spent_lo = o;
                if (o + 1 > s->spent_hi) s->spent_hi = o + 1;
                if (po->addr && po->addr < s->m.n_addr &&
                    (rc = touch_id(s, po->addr, id, bidx, 0, po->value, false, e)))
                    return rc;
            } else {
                sl_btc_prevout pv = {0, NULL, 0, false};
                sl_btc_extin *x;
                sl_btc_addr a;
                uint32_t aid = 0;
                uint8_t type = 0;
                if (pf) pf(pctx, b, g, &pv);
                if (pv.found) {
                    type = (uint8_t)sl_btc_script_classify(pv.script, pv.script_len, &a);
                    if (a.kind != SL_ADDR_NONE && (rc = addr_touch(s, &a, &aid, id, bidx, 0, pv.value, false, e)))
                        return rc;
                }
                ref = SL_IN_EXT | s->m.n_extin;
                if (!(x = col_push(s, C_EXTINS, e))) return e ? e->code : SL_EIO;
                memset(x, 0, sizeof *x);
                x->prev_txid = in->prev_txid;
                x->prev_vout = in->prev_vout;
                x->value = pv.found ? pv.value : UINT64_MAX;
                x->known = pv.found;
                x->type = type;
                x->addr = aid;
            }
            if (!(slot = col_push(s, C_INS, e))) return e ? e->code : SL_EIO;
            *slot = ref;
        }
    }
    k.mv_size = 32;
    k.mv_data = (void *)b->hash.b;
    v.mv_size = 4;
    v.mv_data = &bidx;
    if ((rc = mdb_put(s->wtxn, s->db_block, &k, &v, 0))) return mdb_fail(e, "put block", rc);
    if (height != SL_NONE32) {
        const sl_btc_blockrec *mx = s->m.max_height_block == SL_NONE32 ? NULL : sl_col_at(&s->col[C_BLOCKS], s->m.max_height_block);
        k.mv_size = 4;
        k.mv_data = &height;
        if ((rc = mdb_put(s->wtxn, s->db_height, &k, &v, 0))) return mdb_fail(e, "put height", rc);
        if (!mx || height > mx->height) s->m.max_height_block = bidx;
    }
    if (flags & SL_BLK_LINKED) s->m.chain_tip = bidx;
    return SL_OK;
}

/* ---------------- rollback ---------------- */

/* Undoes every block stored at or after block index cut. The appended columns need no
 * undo: their commit counts move back (the records past them are ignored and overwritten).
 * The records changed in place are inverted from the removed records themselves: each
 * surviving address's totals lose what the removed outputs and inputs added, its history
 * head walks back past the removed events, its last block is its new newest event's. Spent
 * marks of outputs whose spender is removed are left: a mark is only believed when the
 * spending input it names exists and points back (sl_btc_out_spender). Then one commit,
 * through the same log as an ingest's, so a kill -9 leaves one side or the other. */
static int rollback_to(sl_store *s, uint32_t cut, sl_error *e)
{
    const bstart_rec *bs = sl_col_at(&s->col[C_BSTART], cut);
    sl_btc_meta nm = s->m;
    nm.n_blocks = cut;
    nm.n_tx = ((const sl_btc_blockrec *)sl_col_at(&s->col[C_BLOCKS], cut))->first_tx;
    nm.n_in = bs->n_in;
    nm.n_out = bs->n_out;
    nm.n_extin = bs->n_extin;
    nm.n_wtx = bs->n_wtx;
    nm.n_events = bs->n_events;
    nm.n_addr = bs->n_addr;
    /* totals */
    for (uint64_t t = s->m.n_tx; t-- > nm.n_tx;) {
        const sl_btc_txrec *tr = sl_btc_tx_at(s, t);
        uint32_t no = sl_btc_tx_n_out(s, t), ni = sl_btc_tx_n_in(s, t);
        for (uint32_t k = 0; k < no; k++) {
            const sl_btc_outrec *o = sl_btc_out_at(s, tr->first_out + k);
            struct dirty *d;
            if (!o->addr || o->addr >= nm.n_addr) continue;
            if (!(d = dirty_load(s, o->addr))) return sl_err(e, SL_ENOMEM, "out of memory");
            d->r.received -= o->value;
            d->r.n_out--;
        }
        for (uint32_t k = 0; k < ni; k++) {
            uint32_t a;
            uint64_t v = sl_btc_in_value(s, tr->first_in + k, &a);
            if (v == UINT64_MAX || !a || a >= nm.n_addr) continue;
            struct dirty *d = dirty_load(s, a);
            if (!d) return sl_err(e, SL_ENOMEM, "out of memory");
            d->r.spent -= v;
            d->r.n_spent--;
        }
    }
    /* histories */
    for (size_t i = 0; i < s->dirty.n; i++) {
        astat_rec *r = &s->dirty.v[i].r;
        while (r->head && r->head - 1 >= nm.n_events) {
            const sl_btc_event *ev = sl_col_at(&s->col[C_EVENTS], r->head - 1);
            if (ev->tx < nm.n_tx) break; /* cannot happen: events are appended in tx order */
            r->head = ev->prev;
            r->n_tx--;
        }
        r->last_block = r->head ? sl_btc_tx_at(s, ((const sl_btc_event *)sl_col_at(&s->col[C_EVENTS], r->head - 1))->tx)->block
                                : r->first_block;
        r->seq = (uint32_t)(s->cm.seq + 1);
    }
    /* block dictionaries, tips */
    for (uint64_t b = nm.n_blocks; b < s->m.n_blocks; b++) {
        const sl_btc_blockrec *br = sl_col_at(&s->col[C_BLOCKS], b);
        MDB_val k = {32, (void *)br->hash.b};
        uint32_t idx;
        mdb_del(s->wtxn, s->db_block, &k, NULL);
        if (br->height != SL_NONE32 && get_u32(s, s->db_height, &br->height, 4, &idx) == SL_OK && idx >= cut) {
            MDB_val hk = {4, (void *)&br->height};
            mdb_del(s->wtxn, s->db_height, &hk, NULL);
        }
    }
    nm.chain_tip = nm.max_height_block = SL_NONE32;
    for (uint64_t b = 0; b < nm.n_blocks; b++) {
        const sl_btc_blockrec *br = sl_col_at(&s->col[C_BLOCKS], b);
        if (br->flags & SL_BLK_LINKED) nm.chain_tip = (uint32_t)b;
        if (br->height != SL_NONE32 &&
            (nm.max_height_block == SL_NONE32 ||
             br->height > ((const sl_btc_blockrec *)sl_col_at(&s->col[C_BLOCKS], nm.max_height_block))->height))
            nm.max_height_block = (uint32_t)b;
    }
    s->m = nm;
    return SL_OK;
}

int sl_btc_rollback(sl_store *s, uint32_t height, sl_btc_rollback_report *r, sl_error *e)
{
    uint32_t cut;
    const sl_btc_blockrec *tip;
    int rc;
    memset(r, 0, sizeof *r);
    if (s->mode != SL_STORE_WRITE) return sl_err(e, SL_EUSAGE, "store opened read-only");
    if (!s->cm.n_blocks) return sl_err(e, SL_ENOTFOUND, "%s: holds no Bitcoin-family blocks", s->dir);
    tip = s->cm.max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, s->cm.max_height_block);
    r->from_height = tip ? tip->height : 0;
    /* the cut: the first block (in ingest order) above height; everything stored from it
     * on goes, so no block at or below height may come after it */
    for (cut = 0; cut < s->cm.n_blocks; cut++) {
        uint32_t h = sl_btc_block_at(s, cut)->height;
        if (h != SL_NONE32 && h > height) break;
    }
    if (cut == s->cm.n_blocks) return SL_OK; /* nothing above it */
    for (uint64_t b = cut + 1; b < s->cm.n_blocks; b++) {
        uint32_t h = sl_btc_block_at(s, b)->height;
        if (h != SL_NONE32 && h <= height)
            return sl_err(e, SL_ECONFLICT, "%s: the block at height %u was ingested after a block above height %u "
                          "(height %u); a rollback removes everything stored after its cut, so it would remove "
                          "blocks at or below %u too: nothing was changed", s->dir, h, height,
                          sl_btc_block_at(s, cut)->height, height);
    }
    if ((rc = sl_btc_begin(s, NULL, e))) return rc;
    r->blocks_removed = s->m.n_blocks - cut;
    r->txs_removed = s->m.n_tx - ((const sl_btc_blockrec *)sl_col_at(&s->col[C_BLOCKS], cut))->first_tx;
    if ((rc = rollback_to(s, cut, e))) { sl_btc_abort(s); return rc; }
    sl_test_point("rollback:computed");
    if ((rc = sl_btc_commit(s, e))) return rc;
    tip = s->cm.max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, s->cm.max_height_block);
    r->to_height = tip ? tip->height : 0;
    r->emptied = tip == NULL;
    /* the indexes' "covered" marks may not pass the new counts */
    return checkpoint(s, false, e);
}
