/* store.c — the generic core of the store (format and commit protocol in
 * include/sleuth/store.h): opening and creating a data directory, the write lock, the LMDB
 * environment that holds every chain's commit record, snapshots for readers, removing a
 * store that was never committed to, and compacting LMDB. The chain backends sit beside
 * it (btc_store.c, eth_store.c) and reach the handle through store_int.h.
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
#include "store_int.h"
#include "sleuth/util.h"

#define MAIN_DBI_FOR_STAT 1 /* LMDB's MAIN_DBI: the database of named databases */

static int mdb_fail(sl_error *e, const char *what, int rc)
{
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG) return sl_col_io_error(e, "index/data.mdb", what, rc);
    if (rc == MDB_MAP_FULL)
        return sl_err(e, SL_ELIMIT, "lmdb %s: the index outgrew the address space reserved for it (is `ulimit -v` "
                      "set?)", what);
    return sl_err(e, SL_ESTORE, "lmdb %s: %s", what, mdb_strerror(rc));
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
    if (s->mode != SL_STORE_WRITE) return SL_OK;
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
        if (ver == SL_STORE_VERSION_ACOLD && k.mv_size == 9 && !memcmp(k.mv_data, "btc.acold", 9)) continue;
        if (ver != SL_STORE_VERSION) rc = sl_store_version_error(e, s->dir, ver);
        else if (k.mv_size > 4 && k.mv_size < 40 && !memcmp(k.mv_data, "eth.", 4) &&
                 !memchr((const char *)k.mv_data + 4, '.', k.mv_size - 4) && !sl_eth_layout_ok(v.mv_data, v.mv_size)) {
            /* an account chain's commit record of an earlier layout (same store version) */
            char chain[40];
            snprintf(chain, sizeof chain, "%.*s", (int)k.mv_size - 4, (const char *)k.mv_data + 4);
            rc = sl_eth_layout_error(e, s->dir, chain);
        }
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
        if ((rc = mdb_dbi_open(txn, "meta", cf, &s->db_meta))) {
            if (!rw && rc == MDB_NOTFOUND) { rc = no_store(dir, e); goto fail; } /* created, never committed */
            rc = sl_err(e, SL_ESTORE, "%s: index databases: %s", dir, mdb_strerror(rc));
            goto fail;
        }
    }
    if ((rc = check_version(s, txn, e))) goto fail;
    if (rw) s->fresh = store_is_empty(s, txn);
    if ((rc = sl_btc_state_open(s, txn, e))) {
        if (rc == SL_ENOTFOUND && !rw) rc = no_store(dir, e);
        goto fail;
    }
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
        if (sl_btc_torn(s) && (rc = sl_store_renew(s, e))) goto fail;
    }
    *out = s;
    return SL_OK;
fail:
    if (txn) mdb_txn_abort(txn);
    sl_store_close(s);
    return rc ? rc : SL_ESTORE;
}


/* Removes what sl_store_open and the chains made for a new store: the LMDB files, the
 * column files, then the folders they leave empty, LOCK, and DIR itself when this handle
 * made it. Only the store's own files are unlinked and folders are only rmdir'ed, so
 * nothing else a user keeps in DIR (even a folder named index/) is ever deleted. */
static void remove_empty_store(sl_store *s)
{
    static const char *const lmdb[] = {"index/data.mdb", "index/lock.mdb"};
    char p[512];
    for (size_t i = 0; i < sizeof lmdb / sizeof *lmdb; i++) {
        snprintf(p, sizeof p, "%s/%s", s->dir, lmdb[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/index", s->dir);
    rmdir(p);
    sl_btc_state_remove_files(s->dir);
    sl_eth_state_remove_files(s->dir);
    sl_annot_remove_files(s->dir);
    snprintf(p, sizeof p, "%s/LOCK", s->dir);
    unlink(p);
    if (s->made_dir) rmdir(s->dir);
}

void sl_store_mark_written(sl_store *s) { s->wrote = true; }

void sl_store_mark_unwritten(sl_store *s)
{
    /* the Ethereum-family chains count as written when their state exists and committed */
    if (!s->eth) s->wrote = false;
}

void sl_store_close(sl_store *s)
{
    if (!s) return;
    sl_btc_state_close(s);
    sl_eth_state_free(s->eth);
    if (s->rtxn) mdb_txn_abort(s->rtxn);
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
    if (s->mode != SL_STORE_WRITE || !s->wrote) { sl_store_close(s); return SL_OK; }
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
    if (v == 1 || v == 2)
        return sl_err(e, SL_EVERSION, "%s: this store has format version %u (written by sleuth 0.%u); this sleuth "
                      "reads format %u. There is no in-place upgrade (version 3 keeps addresses, the txid index and "
                      "address histories in new structures built while blocks are read): ingest the same blocks "
                      "into a new folder (`sleuth ingest btc --store NEWDIR ...`), then remove this one",
                      dir, v, v, SL_STORE_VERSION);
    return sl_err(e, SL_EVERSION, "%s: store format version %u, this sleuth reads %u", dir, v, SL_STORE_VERSION);
}

/* ---- for the per-chain stores (store_int.h) ---- */
MDB_env *sl_store_env(sl_store *s) { return s->env; }
MDB_txn *sl_store_rtxn(sl_store *s) { return s->rtxn; }
const char *sl_store_dir(const sl_store *s) { return s->dir; }
bool sl_store_writable(const sl_store *s) { return s->mode == SL_STORE_WRITE; }
struct sl_eth_state **sl_store_eth_slot(sl_store *s) { return &s->eth; }
int sl_store_snapshot(sl_store *s, sl_error *e) { return sl_store_renew(s, e); }

/* mdb_reader_list's lines: a header, then "pid thread txnid" per slot in use. Counts the
 * slots of other processes ([0]) and of this one ([1]). */
static int count_reader(const char *msg, void *ctx)
{
    char *end;
    long pid = strtol(msg, &end, 10);
    if (end != msg && pid > 0) ((unsigned *)ctx)[pid == (long)getpid()]++;
    return 0;
}

bool sl_store_shared(sl_store *s)
{
    unsigned n[2] = {0, 0};
    if (!s->env || s->nolock) return false;
    mdb_reader_check(s->env, NULL); /* slots of dead processes are not readers */
    if (mdb_reader_list(s->env, count_reader, n) < 0) return true; /* cannot tell: be careful */
    /* this handle's own read txn is one slot of this process; any other is a reader */
    return n[0] > 0 || n[1] > 1;
}

int sl_store_renew(sl_store *s, sl_error *e)
{
    int rc;
    for (int tries = 0;; tries++) {
        mdb_txn_reset(s->rtxn);
        rc = mdb_txn_renew(s->rtxn);
        if (rc == MDB_MAP_RESIZED && !(rc = mdb_env_set_mapsize(s->env, index_bytes(s->dir)))) /* a writer grew it */
            rc = mdb_txn_renew(s->rtxn);
        if (rc) return mdb_fail(e, "renew", rc);
        /* the chains' views move to the new snapshot: counts, mappings, run lists */
        if ((rc = sl_btc_state_renew(s, e))) return rc;
        if (!sl_btc_torn(s) || tries == 8) break; /* a writer's spill landed in between: again */
    }
    return sl_eth_state_renew(s, e);
}

int sl_store_mdb_fail(sl_error *e, const char *what, int rc) { return mdb_fail(e, what, rc); }

