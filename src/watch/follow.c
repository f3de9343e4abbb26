/* follow.c — `sleuth watch`: follows the tips of a Bitcoin Core-compatible node and an
 * Ethereum-style node over JSON-RPC, ingests each new block into the store, judges it
 * (match.c) and commits its alerts with the cursor, and rolls back on a reorg.
 *
 * Two databases, two commits per block: the store (LMDB + column files) and watch.db
 * (SQLite). The order is fixed, and every state a kill -9 can leave is one the next start
 * recognises (docs/WATCH.md, "Recovery"):
 *   1. the block is ingested: store commit            (store ahead of the cursor)
 *   2. its alerts + undo-log row + cursor: one SQLite commit
 *   3. the new alerts are printed (then marked emitted) and POSTed from the outbox
 * A reorg: the fork is the highest undo-log block that the node and the store still hold
 * under the same hash; (a) one SQLite commit writes the retractions of every alert above
 * the fork, takes back the set changes above it and moves the cursor to the fork; then
 * (b) the store is rolled back to the fork (one store commit); then the new branch is
 * ingested as new blocks. A kill between (a) and (b) leaves the store ahead of the cursor
 * with blocks whose hashes are not the node's: the start compares every stored block
 * above the cursor with the node's before judging it, and rolls the store back at the
 * first that differs. A cursor naming a block the store no longer holds (the store rolled
 * back by hand) is a reorg too.
 */
#include "watch_int.h"
#include "match.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sleuth/btc.h"
#include "sleuth/chains.h"
#include "sleuth/eth_store.h"
#include "sleuth/ingest.h"
#include "sleuth/screen.h"

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

typedef struct follower follower;
typedef struct chainf chainf;

struct chainf {
    const char *name;       /* "btc" or the account chain */
    uint32_t conf;          /* confirmations before a block is judged */
    const char *network, *unit;
    wrpc *rpc;
    const char *url;
    int (*node_tip)(follower *f, chainf *c, uint64_t *h, sl_error *e);
    int (*node_hash)(follower *f, chainf *c, uint64_t h, char out[67], sl_error *e); /* SL_ENOTFOUND above the tip */
    bool (*store_top)(follower *f, chainf *c, uint64_t *h);
    bool (*store_hash)(follower *f, chainf *c, uint64_t h, char out[67], uint32_t *bidx, uint64_t *time);
    int (*store_rollback)(follower *f, chainf *c, uint64_t h, sl_error *e);
    int (*ingest)(follower *f, chainf *c, uint64_t from, uint64_t to, uint64_t *done, sl_error *e);
    int (*eval)(wmatch *m, const wblock *b, uint32_t bidx, sl_error *e);
};

struct follower {
    const sl_watch_opts *o;
    sl_watch *w;
    sl_store *s;
    wmatch m;
    char tmp[PATH_MAX];
    const char *secret;
    uint64_t blocks, alerts;
    bool no_emit;           /* judging after `sleuth ingest`: alerts are stored, not printed */
};

/* ---------------- shared steps ---------------- */

static bool cursor_get(follower *f, const char *chain, uint64_t *h, char hash[67])
{
    sqlite3_stmt *st;
    bool found = false;
    sl_error e = {0};
    if (wdb_prep(f->w, &st, "SELECT height, hash FROM cursor WHERE chain = ?", &e)) return false;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *h = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(hash, 67, "%s", (const char *)sqlite3_column_text(st, 1));
        found = true;
    }
    sqlite3_finalize(st);
    return found;
}

/* Writes the cursor and the undo-log row of block (h, hash), pruning the log to K. */
static int cursor_put(follower *f, const char *chain, uint64_t h, const char *hash, uint64_t time, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    uint64_t k = f->o->undo_blocks ? f->o->undo_blocks : 100;
    if ((rc = wdb_prep(f->w, &st, "INSERT OR REPLACE INTO cursor(chain, height, hash) VALUES(?,?,?)", e))) return rc;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)h);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(f->w, "write cursor", e);
    sqlite3_finalize(st);
    if (rc || (rc = wdb_prep(f->w, &st, "INSERT OR REPLACE INTO undo(chain, height, hash, time) VALUES(?,?,?,?)", e))) return rc;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)h);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)time);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(f->w, "write undo log", e);
    sqlite3_finalize(st);
    if (rc || (rc = wdb_prep(f->w, &st, "DELETE FROM undo WHERE chain = ? AND height + ? <= ?", e))) return rc;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)k);
    sqlite3_bind_int64(st, 3, (int64_t)h);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(f->w, "prune undo log", e);
    sqlite3_finalize(st);
    return rc;
}

/* Prints the committed alerts not yet printed (one JSON line each), marks them, and
 * delivers the outbox. */
static int emit(follower *f, sl_error *e)
{
    sqlite3_stmt *st;
    int rc, s;
    int64_t last = 0;
    if (f->no_emit) return SL_OK;
    if ((rc = wdb_prep(f->w, &st, "SELECT id, doc FROM alert WHERE emitted = 0 ORDER BY id", e))) return rc;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
        fputs((const char *)sqlite3_column_text(st, 1), stdout);
        fputc('\n', stdout);
        f->alerts++;
    }
    sqlite3_finalize(st);
    fflush(stdout);
    if (s != SQLITE_DONE) return wdb_fail(f->w, "read alerts", e);
    if (last) {
        if ((rc = wdb_prep(f->w, &st, "UPDATE alert SET emitted = 1 WHERE id <= ? AND emitted = 0", e))) return rc;
        sqlite3_bind_int64(st, 1, last);
        rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(f->w, "mark alerts printed", e);
        sqlite3_finalize(st);
        if (rc) return rc;
    }
    if (f->o->webhook) {
        uint64_t pending;
        if ((rc = wh_flush(f->w, f->o->webhook, f->secret, f->o->quiet, &pending, e))) return rc;
    }
    return SL_OK;
}

static int exposure(follower *f, sl_error *e)
{
    sl_exposure_update_report r;
    return sl_exposure_update(f->s, f->o->store_dir, &r, e);
}

/* Judges block h of chain c (stored, its hash the node's) and commits it with the cursor. */
static int judge(follower *f, chainf *c, uint64_t h, sl_error *e)
{
    wblock b;
    uint32_t bidx;
    int rc;
    memset(&b, 0, sizeof b);
    b.chain = c->name, b.network = c->network, b.unit = c->unit, b.height = h;
    if (!c->store_hash(f, c, h, b.hash, &bidx, &b.time)) return sl_err(e, SL_ESTORE, "%s block %llu is not in the store", c->name, (unsigned long long)h);
    if ((rc = wdb_exec(f->w, "BEGIN IMMEDIATE", e))) return rc;
    if ((rc = wm_init(&f->m, e)) || (rc = c->eval(&f->m, &b, bidx, e)) || (rc = cursor_put(f, c->name, h, b.hash, b.time, e))) {
        sqlite3_exec(f->w->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    sl_test_point("watch-before-alert-commit");
    if ((rc = wdb_exec(f->w, "COMMIT", e))) {
        sqlite3_exec(f->w->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    sl_test_point("watch-after-alert-commit");
    f->blocks++;
    return emit(f, e);
}

/* The reorg: retractions and the cursor at the fork (one SQLite commit), then the store. */
static int reorg(follower *f, chainf *c, uint64_t cur, sl_error *e)
{
    sqlite3_stmt *st;
    int rc, s;
    bool found = false;
    uint64_t fork = 0, top;
    char fhash[67] = "", why[200];
    if ((rc = wdb_prep(f->w, &st, "SELECT height, hash FROM undo WHERE chain = ? AND height <= ? ORDER BY height DESC", e))) return rc;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)cur);
    while (!found && (s = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t h = (uint64_t)sqlite3_column_int64(st, 0);
        const char *hash = (const char *)sqlite3_column_text(st, 1);
        char nh[67], sh[67];
        uint32_t bidx;
        uint64_t t;
        sl_error ne = {0};
        /* without a node (after `sleuth ingest`), the store's blocks are the chain */
        int nrc = c->node_hash ? c->node_hash(f, c, h, nh, &ne) : SL_OK;
        if (nrc && nrc != SL_ENOTFOUND) { sqlite3_finalize(st); *e = ne; return nrc; }
        if (!nrc && (!c->node_hash || strcmp(nh, hash) == 0) && c->store_hash(f, c, h, sh, &bidx, &t) &&
            strcmp(sh, hash) == 0) {
            found = true, fork = h;
            snprintf(fhash, sizeof fhash, "%s", hash);
        }
    }
    sqlite3_finalize(st);
    if (!found)
        return sl_err(e, SL_ECONFLICT, "%s: reorg deeper than the undo log (%u blocks): no recorded block at or below %llu is "
                      "still on the node's chain; roll the store back by hand (sleuth rollback) and start again",
                      c->name, f->o->undo_blocks ? f->o->undo_blocks : 100, (unsigned long long)cur);
    snprintf(why, sizeof why, "reorg: the blocks above %llu (%.20s...) left the node's best chain", (unsigned long long)fork, fhash);
    if (!f->o->quiet) fprintf(stderr, "sleuth watch: %s: %s\n", c->name, why);
    if ((rc = wdb_exec(f->w, "BEGIN IMMEDIATE", e))) return rc;
    {
        sqlite3_stmt *q;
        if ((rc = wm_init(&f->m, e)) || (rc = wm_rollback(&f->m, c->name, fork, why, e)) ||
            (rc = wdb_prep(f->w, &q, "UPDATE cursor SET height = ?, hash = ? WHERE chain = ?", e))) {
            sqlite3_exec(f->w->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        sqlite3_bind_int64(q, 1, (int64_t)fork);
        sqlite3_bind_text(q, 2, fhash, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, c->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(q) == SQLITE_DONE ? SL_OK : wdb_fail(f->w, "move cursor", e);
        sqlite3_finalize(q);
        if (rc || (rc = wdb_exec(f->w, "COMMIT", e))) {
            sqlite3_exec(f->w->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    sl_test_point("watch-after-retract-commit");
    if ((rc = emit(f, e))) return rc;
    if (c->store_rollback && c->store_top(f, c, &top) && top > fork) {
        if ((rc = c->store_rollback(f, c, fork, e))) return rc;
        if ((rc = exposure(f, e))) return rc;
    }
    return SL_OK;
}

/* One pass over chain c: reconcile cursor, store and node, then ingest and judge every
 * block up to the node's tip minus the confirmations. *caught_up when nothing is left. */
static int sync_chain(follower *f, chainf *c, bool *caught_up, sl_error *e)
{
    uint64_t tip, target, cur = 0, top;
    uint32_t conf = c->conf;
    char chash[67], nh[67], sh[67];
    bool has_cur, has_top;
    int rc;
    *caught_up = false;
    if ((rc = c->node_tip(f, c, &tip, e))) return rc;
    if (tip + 1 < conf) { *caught_up = true; return SL_OK; }
    target = tip + 1 - conf;
    has_cur = cursor_get(f, c->name, &cur, chash);
    has_top = c->store_top(f, c, &top);
    /* 1. the cursor against the node and the store */
    if (has_cur) {
        uint32_t bidx;
        uint64_t t;
        int nrc = c->node_hash(f, c, cur, nh, e);
        if (nrc && nrc != SL_ENOTFOUND) return nrc;
        if (nrc || strcmp(nh, chash) || !c->store_hash(f, c, cur, sh, &bidx, &t) || strcmp(sh, chash))
            return reorg(f, c, cur, e); /* the caller loops */
    } else if (has_top) {
        /* first start on a store that holds this chain: watch from its tip on, if it is the
         * node's chain (a store of another chain is never rolled back by the watcher) */
        uint32_t bidx;
        uint64_t t;
        int nrc = c->node_hash(f, c, top, nh, e);
        if (nrc && nrc != SL_ENOTFOUND) return nrc;
        if (!c->store_hash(f, c, top, sh, &bidx, &t) || nrc || strcmp(nh, sh))
            return sl_err(e, SL_ECONFLICT, "%s: the store's block %llu is not the node's (%s): the store holds another chain",
                          c->name, (unsigned long long)top, c->url);
        if ((rc = wdb_exec(f->w, "BEGIN IMMEDIATE", e))) return rc;
        if ((rc = cursor_put(f, c->name, top, sh, t, e)) || (rc = wdb_exec(f->w, "COMMIT", e))) {
            sqlite3_exec(f->w->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        has_cur = true, cur = top;
    }
    /* 2. blocks the store holds past the cursor (a kill between the two commits) */
    if (has_top && has_cur)
        for (uint64_t h = cur + 1; h <= top && h <= target && !g_stop; h++) {
            uint32_t bidx;
            uint64_t t;
            int nrc = c->node_hash(f, c, h, nh, e);
            if (nrc && nrc != SL_ENOTFOUND) return nrc;
            if (nrc || !c->store_hash(f, c, h, sh, &bidx, &t) || strcmp(nh, sh)) {
                if (!f->o->quiet) fprintf(stderr, "sleuth watch: %s: the store's block %llu is not the node's: rolled back\n",
                                          c->name, (unsigned long long)h);
                if ((rc = c->store_rollback(f, c, h - 1, e)) || (rc = exposure(f, e))) return rc;
                return SL_OK; /* the caller loops */
            }
            if ((rc = judge(f, c, h, e))) return rc;
        }
    /* 3. new blocks */
    {
        uint64_t next = c->store_top(f, c, &top) ? top + 1 : 0;
        while (next <= target && !g_stop) {
            uint64_t to = next + 49 < target ? next + 49 : target, done = 0;
            if ((rc = c->ingest(f, c, next, to, &done, e))) return rc;
            sl_test_point("watch-after-store-commit");
            if ((rc = exposure(f, e))) return rc;
            for (uint64_t h = next; h < next + done && !g_stop; h++)
                if ((rc = judge(f, c, h, e))) return rc;
            if (done < to - next + 1) return SL_OK; /* the node's chain moved under us: loop */
            next = to + 1;
        }
    }
    *caught_up = !g_stop && cursor_get(f, c->name, &cur, chash) && cur >= target;
    return SL_OK;
}

/* ---------------- Bitcoin family ---------------- */

/* The node's tip height: a parameterless call answering one quantity (both families). */
static int node_tip_call(chainf *c, const char *method, uint64_t *h, sl_error *e)
{
    cJSON *r;
    int rc;
    if ((rc = wrpc_call(c->rpc, method, "[]", &r, e))) return rc;
    rc = wrpc_quantity(r, h, method, e);
    cJSON_Delete(r);
    return rc;
}

static int btc_node_tip(follower *f, chainf *c, uint64_t *h, sl_error *e)
{
    (void)f;
    return node_tip_call(c, "getblockcount", h, e);
}

static int btc_node_hash(follower *f, chainf *c, uint64_t h, char out[67], sl_error *e)
{
    cJSON *r;
    char p[32];
    sl_hash256 x;
    int rc;
    (void)f;
    snprintf(p, sizeof p, "[%llu]", (unsigned long long)h);
    if ((rc = wrpc_call(c->rpc, "getblockhash", p, &r, e))) return rc;
    rc = wrpc_hash(r, true, &x, "getblockhash", e);
    cJSON_Delete(r);
    if (!rc) sl_hash_hex(out, &x);
    return rc;
}

static bool btc_store_top(follower *f, chainf *c, uint64_t *h)
{
    const sl_btc_meta *m = sl_btc_meta_get(f->s);
    const sl_btc_blockrec *r;
    (void)c;
    if (!m->n_blocks || m->max_height_block == SL_NONE32 || !(r = sl_btc_block_at(f->s, m->max_height_block))) return false;
    *h = r->height;
    return true;
}

static bool btc_store_hash(follower *f, chainf *c, uint64_t h, char out[67], uint32_t *bidx, uint64_t *time)
{
    const sl_btc_blockrec *r;
    (void)c;
    if (h > UINT32_MAX || sl_btc_block_by_height(f->s, (uint32_t)h, bidx) != SL_OK || !(r = sl_btc_block_at(f->s, *bidx)))
        return false;
    sl_hash_hex(out, &r->hash);
    *time = r->time;
    return true;
}

static int btc_store_rollback(follower *f, chainf *c, uint64_t h, sl_error *e)
{
    sl_btc_rollback_report r;
    (void)c;
    return sl_btc_rollback(f->s, (uint32_t)h, &r, e);
}

/* Fetches blocks from..to (getblockhash, getblock verbosity 0), each checked to name the
 * previous one as its parent, writes them as raw block files and ingests them in one
 * store commit. *done: how many were ingested (fewer when the node's chain changed). */
static int btc_ingest(follower *f, chainf *c, uint64_t from, uint64_t to, uint64_t *done, sl_error *e)
{
    char **paths = NULL, prev[67] = "";
    uint64_t n = 0;
    int rc = SL_OK;
    uint64_t top;
    *done = 0;
    if (from > 0) {
        uint32_t bidx;
        uint64_t t;
        if (!btc_store_hash(f, c, from - 1, prev, &bidx, &t)) return SL_OK;
    }
    if (!(paths = sl_calloc(to - from + 1, sizeof *paths))) return sl_err(e, SL_ENOMEM, "out of memory");
    for (uint64_t h = from; h <= to && !rc; h++) {
        char hash[67], p[100], what[120], bprev[65];
        cJSON *r = NULL;
        uint8_t *raw = NULL;
        size_t len;
        FILE *fp;
        sl_hash256 ph;
        if ((rc = btc_node_hash(f, c, h, hash, e))) {
            if (rc == SL_ENOTFOUND) rc = SL_OK; /* the tip went back meanwhile */
            break;
        }
        snprintf(p, sizeof p, "[\"%s\",0]", hash);
        snprintf(what, sizeof what, "getblock %s", hash);
        if ((rc = wrpc_call(c->rpc, "getblock", p, &r, e))) break;
        rc = wrpc_block_hex(r, &raw, &len, what, e);
        cJSON_Delete(r);
        if (rc) break;
        if (len < 80) { sl_free(raw); rc = sl_err(e, SL_ECORRUPT, "%s: shorter than a header", what); break; }
        memcpy(ph.b, raw + 4, 32);
        sl_hash_hex(bprev, &ph);
        if (from + n > 0 && strcmp(bprev, prev)) { sl_free(raw); break; } /* a reorg between calls */
        snprintf(prev, sizeof prev, "%s", hash);
        if (!(paths[n] = sl_malloc(strlen(f->tmp) + 80))) { sl_free(raw); rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        sprintf(paths[n], "%s/%s.bin", f->tmp, hash);
        if (!(fp = fopen(paths[n], "wb")) || fwrite(raw, 1, len, fp) != len || fclose(fp)) {
            rc = sl_err(e, SL_EIO, "%s: %s", paths[n], strerror(errno));
            sl_free(raw);
            sl_free(paths[n]);
            paths[n] = NULL;
            break;
        }
        sl_free(raw);
        n++;
    }
    if (!rc && n) {
        sl_ingest_opts io;
        sl_ingest_report ir;
        memset(&io, 0, sizeof io);
        io.network = c->network;
        io.quiet = true;
        io.batch_bytes = (uint64_t)1 << 40; /* one commit for the whole batch */
        rc = sl_ingest_btc(f->s, (const char *const *)paths, (int)n, &io, &ir, e);
        if (!rc && (!btc_store_top(f, c, &top) || top != from + n - 1))
            rc = sl_err(e, SL_ESTORE, "%s: after ingesting blocks %llu..%llu the store's top is not %llu", c->name,
                        (unsigned long long)from, (unsigned long long)(from + n - 1), (unsigned long long)(from + n - 1));
    }
    for (uint64_t i = 0; i < n; i++) {
        unlink(paths[i]);
        sl_free(paths[i]);
    }
    sl_free(paths);
    if (!rc) *done = n;
    return rc;
}

/* The store's network, else --network, else the node's (getblockchaininfo, and Litecoin
 * told apart by its user agent). */
static int btc_network(follower *f, chainf *c, char *out, size_t cap, sl_error *e)
{
    const sl_btc_meta *m = sl_btc_meta_get(f->s);
    cJSON *r = NULL, *n = NULL;
    const cJSON *ch, *sub;
    bool ltc;
    int rc;
    if (f->o->network && !sl_btc_net_by_name(f->o->network)) return sl_err(e, SL_EUSAGE, "unknown network '%s'", f->o->network);
    if (m->n_blocks && m->network[0]) {
        if (f->o->network && strcmp(f->o->network, m->network))
            return sl_err(e, SL_ECONFLICT, "the store holds %s blocks, not %s", m->network, f->o->network);
        snprintf(out, cap, "%s", m->network);
        return SL_OK;
    }
    if (f->o->network) { snprintf(out, cap, "%s", f->o->network); return SL_OK; }
    if ((rc = wrpc_call(c->rpc, "getblockchaininfo", "[]", &r, e)) || (rc = wrpc_call(c->rpc, "getnetworkinfo", "[]", &n, e))) {
        cJSON_Delete(r);
        return rc;
    }
    ch = cJSON_GetObjectItemCaseSensitive(r, "chain");
    sub = cJSON_GetObjectItemCaseSensitive(n, "subversion");
    ltc = cJSON_IsString(sub) && strstr(sub->valuestring, "Litecoin");
    if (!cJSON_IsString(ch)) rc = sl_err(e, SL_ECORRUPT, "%s getblockchaininfo: no \"chain\"", c->url);
    else if (!strcmp(ch->valuestring, "main")) snprintf(out, cap, "%s", ltc ? "litecoin" : "bitcoin");
    else if (!strcmp(ch->valuestring, "regtest")) snprintf(out, cap, "%s", ltc ? "litecoin-regtest" : "regtest");
    else if (!ltc && !strcmp(ch->valuestring, "test")) snprintf(out, cap, "testnet");
    else if (!ltc && !strcmp(ch->valuestring, "signet")) snprintf(out, cap, "signet");
    else rc = sl_err(e, SL_EUNSUPPORTED, "%s: network '%s'%s is not one sleuth knows (--network)", c->url, ch->valuestring, ltc ? " (Litecoin)" : "");
    cJSON_Delete(r);
    cJSON_Delete(n);
    return rc;
}

/* ---------------- account chains ---------------- */

static int eth_node_tip(follower *f, chainf *c, uint64_t *h, sl_error *e)
{
    (void)f;
    return node_tip_call(c, "eth_blockNumber", h, e);
}

static int eth_node_hash(follower *f, chainf *c, uint64_t h, char out[67], sl_error *e)
{
    cJSON *r;
    char p[64];
    sl_hash256 x;
    int rc;
    (void)f;
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)h);
    if ((rc = wrpc_call(c->rpc, "eth_getBlockByNumber", p, &r, e))) return rc;
    if (cJSON_IsNull(r)) rc = sl_err(e, SL_ENOTFOUND, "%s: no block %llu", c->name, (unsigned long long)h);
    else rc = wrpc_hash(cJSON_GetObjectItemCaseSensitive(r, "hash"), false, &x, "eth_getBlockByNumber", e);
    cJSON_Delete(r);
    if (!rc) {
        out[0] = '0', out[1] = 'x';
        sl_hex_encode(out + 2, x.b, 32);
    }
    return rc;
}

static bool eth_store_top(follower *f, chainf *c, uint64_t *h)
{
    const sl_eth_meta *m = sl_eth_meta_get(f->m.ec);
    const sl_eth_blockrec *r;
    (void)c;
    if (!m->n_blocks || !(r = sl_eth_block_at(f->m.ec, m->n_blocks - 1))) return false;
    *h = r->number;
    return true;
}

static bool eth_store_hash(follower *f, chainf *c, uint64_t h, char out[67], uint32_t *bidx, uint64_t *time)
{
    const sl_eth_blockrec *r;
    (void)c;
    if (sl_eth_block_by_number(f->m.ec, h, bidx) != SL_OK || !(r = sl_eth_block_at(f->m.ec, *bidx))) return false;
    out[0] = '0', out[1] = 'x'; /* Tron: without 0x, as it prints hashes */
    sl_hex_encode(out + (sl_eth_chain_info_get(f->m.ec)->tron ? 0 : 2), r->hash.b, 32);
    *time = r->time;
    return true;
}

static int eth_store_rollback(follower *f, chainf *c, uint64_t h, sl_error *e)
{
    sl_eth_rollback_report r;
    (void)c;
    return sl_eth_rollback(f->m.ec, h, &r, e);
}

static int eth_ingest(follower *f, chainf *c, uint64_t from, uint64_t to, uint64_t *done, sl_error *e)
{
    sl_eth_ingest_opts io;
    sl_eth_ingest_report ir;
    uint64_t top;
    int rc;
    *done = 0;
    memset(&io, 0, sizeof io);
    io.chain = c->name;
    io.quiet = true;
    io.rpc_url = c->url;
    io.from = from, io.to = to;
    if ((rc = sl_ingest_eth_rpc(f->s, &io, &ir, e))) return rc;
    /* the blocks stored are the node's at the time it read them; a later check of every
     * hash against the node (sync_chain's first steps) catches a reorg in between */
    if (eth_store_top(f, c, &top) && top >= from) *done = top - from + 1;
    return SL_OK;
}

/* ---------------- after `sleuth ingest` ---------------- */

int sl_watch_after_ingest(sl_store *s, const char *store_dir, const char *chain, uint64_t first, bool quiet,
                          uint64_t *raised, sl_error *e)
{
    follower f;
    chainf c;
    sl_watch_opts o;
    struct stat st;
    char path[PATH_MAX], chash[67], sh[67];
    const sl_eth_chain_info *ci = sl_eth_chain_by_name(chain);
    uint64_t cur, n, t;
    uint32_t bidx;
    int rc;
    *raised = 0;
    snprintf(path, sizeof path, "%s/watch.db", store_dir);
    if (stat(path, &st) != 0) return SL_OK; /* nothing is watched */
    if (!ci) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", chain);
    memset(&f, 0, sizeof f);
    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    o.store_dir = store_dir, o.quiet = quiet;
    f.o = &o, f.s = s, f.no_emit = true;
    c.name = ci->name, c.network = ci->name, c.unit = ci->tron ? "sun" : "wei";
    c.store_top = eth_store_top, c.store_hash = eth_store_hash, c.eval = wm_eval_eth; /* no node, no store rollback */
    if ((rc = sl_watch_open(&f.w, store_dir, SL_WATCH_WRITE, e))) return rc;
    f.m.w = f.w, f.m.s = s;
    if (sl_tags_exists(store_dir)) {
        sl_error te = {0};
        if (sl_tags_open(&f.m.tags, store_dir, SL_TAGS_RDONLY, &te)) f.m.tags = NULL;
    }
    if ((rc = sl_eth_chain_open(s, ci->name, &f.m.ec, e))) goto out;
    n = sl_eth_meta_get(f.m.ec)->n_blocks;
    if (cursor_get(&f, c.name, &cur, chash)) {
        /* the block judged last is no longer the store's (a rollback by hand, then other
         * blocks at its height): what the blocks above the fork raised is retracted */
        if ((!c.store_hash(&f, &c, cur, sh, &bidx, &t) || strcmp(sh, chash)) && (rc = reorg(&f, &c, cur, e))) goto out;
    } else if (first > 0 && first <= n) {
        /* the first judging of this chain: from the blocks this ingest added on */
        const sl_eth_blockrec *b = sl_eth_block_at(f.m.ec, first - 1);
        if (b && c.store_hash(&f, &c, b->number, sh, &bidx, &t)) {
            if ((rc = wdb_exec(f.w, "BEGIN IMMEDIATE", e))) goto out;
            if ((rc = cursor_put(&f, c.name, b->number, sh, t, e)) || (rc = wdb_exec(f.w, "COMMIT", e))) {
                sqlite3_exec(f.w->db, "ROLLBACK", NULL, NULL, NULL);
                goto out;
            }
        }
    }
    /* the blocks after the last judged one in ingest order (those of an earlier ingest
     * that failed after a commit too), else this ingest's; a block judged before under
     * the same hash raises nothing new (its keys exist) */
    if (cursor_get(&f, c.name, &cur, chash) && c.store_hash(&f, &c, cur, sh, &bidx, &t) && !strcmp(sh, chash) &&
        (uint64_t)bidx + 1 < first)
        first = (uint64_t)bidx + 1;
    for (uint64_t i = first; i < n && !rc; i++) {
        const sl_eth_blockrec *b = sl_eth_block_at(f.m.ec, i);
        uint64_t before = f.m.raised;
        if (!b) break;
        rc = judge(&f, &c, b->number, e);
        *raised += f.m.raised - before;
    }
out:
    wm_free(&f.m);
    if (f.m.tags) sl_tags_close(f.m.tags);
    sl_watch_close(f.w);
    return rc;
}

/* ---------------- the loop ---------------- */

int sl_watch_confirmations_parse(sl_watch_opts *o, const char *text, sl_error *e)
{
    const char *p = text;
    if (!*p) return sl_err(e, SL_EUSAGE, "--confirmations: empty (N, CHAIN=N or a list: 6,ethereum=12)");
    while (*p) {
        size_t len = strcspn(p, ","), nl;
        const char *eq = memchr(p, '=', len), *num = eq ? eq + 1 : p;
        char name[32], digits[8];
        const sl_chain_def *d = NULL;
        unsigned long v;
        nl = (size_t)(p + len - num);
        if (eq) {
            if (eq == p || (size_t)(eq - p) >= sizeof name)
                return sl_err(e, SL_EUSAGE, "--confirmations %s: '%.*s' is not CHAIN=N", text, (int)len, p);
            memcpy(name, p, (size_t)(eq - p));
            name[eq - p] = 0;
            if (!(d = sl_chain_by_name(name)))
                return sl_err(e, SL_EUSAGE, "--confirmations %s: unknown chain '%s' (btc, litecoin, ethereum, bsc, ...)", text, name);
        }
        if (!nl || nl >= sizeof digits || strspn(num, "0123456789") < nl)
            return sl_err(e, SL_EUSAGE, "--confirmations %s: '%.*s' is not a number of blocks", text, (int)nl, num);
        memcpy(digits, num, nl);
        digits[nl] = 0;
        v = strtoul(digits, NULL, 10);
        if (v < 1 || v > 10000) return sl_err(e, SL_EUSAGE, "--confirmations %s: %lu is not from 1 to 10000", text, v);
        if (!d) {
            o->confirmations = (uint32_t)v;
        } else {
            size_t k = 0;
            if (d->model == SL_MODEL_ACCOUNT && sl_eth_chain_by_name(d->name)->tron)
                return sl_err(e, SL_EUSAGE, "--confirmations %s: the watcher does not follow Tron", text);
            while (k < o->n_conf && strcmp(o->conf[k].chain, d->name)) k++;
            if (k == sizeof o->conf / sizeof *o->conf) return sl_err(e, SL_EUSAGE, "--confirmations: too many chains");
            snprintf(o->conf[k].chain, sizeof o->conf[k].chain, "%s", d->name);
            o->conf[k].n = (uint32_t)v;
            if (k == o->n_conf) o->n_conf++;
        }
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) return sl_err(e, SL_EUSAGE, "--confirmations %s: ends with a comma", text);
        }
    }
    return SL_OK;
}

static void sleep_s(double s)
{
    double end = sl_now() + s;
    while (!g_stop && sl_now() < end) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
}

int sl_watch_run(const sl_watch_opts *o, sl_error *e)
{
    follower f;
    chainf ch[2];
    int nch = 0, rc = SL_OK;
    char net[32] = "";
    struct sigaction sa;
    memset(&f, 0, sizeof f);
    memset(ch, 0, sizeof ch);
    f.o = o;
    if (!o->btc_rpc && !o->eth_rpc) return sl_err(e, SL_EUSAGE, "nothing to follow: give --btc-rpc URL and/or --eth-rpc URL");
    f.secret = o->webhook_secret ? o->webhook_secret : getenv("SLEUTH_WEBHOOK_SECRET");
    if (o->webhook && (!f.secret || !*f.secret))
        return sl_err(e, SL_EUSAGE, "--webhook needs a signing secret: --webhook-secret-file FILE or $SLEUTH_WEBHOOK_SECRET");
    g_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if ((rc = sl_store_open(&f.s, o->store_dir, SL_STORE_WRITE, e))) return rc;
    if ((rc = sl_watch_open(&f.w, o->store_dir, SL_WATCH_WRITE, e))) goto out;
    snprintf(f.tmp, sizeof f.tmp, "%s/watch.tmp", o->store_dir);
    if (mkdir(f.tmp, 0700) != 0 && errno != EEXIST) { rc = sl_err(e, SL_EIO, "%s: %s", f.tmp, strerror(errno)); goto out; }
    f.m.w = f.w;
    f.m.s = f.s;
    if (sl_tags_exists(o->store_dir)) {
        sl_error te = {0};
        if (sl_tags_open(&f.m.tags, o->store_dir, SL_TAGS_RDONLY, &te)) f.m.tags = NULL;
    }
    if (o->btc_rpc) {
        chainf *c = &ch[nch++];
        c->name = "btc", c->unit = "sat", c->url = o->btc_rpc;
        c->node_tip = btc_node_tip, c->node_hash = btc_node_hash, c->store_top = btc_store_top;
        c->store_hash = btc_store_hash, c->store_rollback = btc_store_rollback, c->ingest = btc_ingest, c->eval = wm_eval_btc;
        if ((rc = wrpc_open(&c->rpc, o->btc_rpc, e)) || (rc = btc_network(&f, c, net, sizeof net, e))) goto out;
        c->network = net;
        if (!(f.m.net = sl_btc_net_by_name(net))) { rc = sl_err(e, SL_EUSAGE, "unknown network '%s'", net); goto out; }
        {
            sl_error ce = {0};
            if (sl_cluster_open(f.s, &f.m.cl_btc, &ce)) f.m.cl_btc = NULL;
        }
    }
    if (o->eth_rpc) {
        chainf *c = &ch[nch++];
        c->name = o->eth_chain ? o->eth_chain : "ethereum";
        if (!sl_eth_chain_by_name(c->name)) { rc = sl_err(e, SL_EUSAGE, "unknown chain '%s'", c->name); goto out; }
        if (sl_eth_chain_by_name(c->name)->tron) {
            rc = sl_err(e, SL_EUSAGE, "Tron is watched by `sleuth ingest tron`, not by following a node "
                                      "(docs/WATCH.md, \"Tron\")");
            goto out;
        }
        c->name = sl_eth_chain_by_name(c->name)->name;
        c->network = c->name, c->unit = "wei", c->url = o->eth_rpc;
        c->node_tip = eth_node_tip, c->node_hash = eth_node_hash, c->store_top = eth_store_top;
        c->store_hash = eth_store_hash, c->store_rollback = eth_store_rollback, c->ingest = eth_ingest, c->eval = wm_eval_eth;
        if ((rc = wrpc_open(&c->rpc, o->eth_rpc, e)) || (rc = sl_eth_chain_open(f.s, c->name, &f.m.ec, e))) goto out;
    }
    /* the depth of each chain: its own, else the common one */
    for (size_t k = 0; k < o->n_conf; k++) {
        int i = 0;
        while (i < nch && strcmp(ch[i].name, o->conf[k].chain)) i++;
        if (i == nch) {
            rc = sl_err(e, SL_EUSAGE, "--confirmations %s=%u: %s is not followed (%s)", o->conf[k].chain, o->conf[k].n,
                        o->conf[k].chain, strcmp(o->conf[k].chain, "btc") ? "--eth-rpc URL --eth-chain NAME" : "--btc-rpc URL");
            goto out;
        }
    }
    for (int i = 0; i < nch; i++) {
        ch[i].conf = o->confirmations ? o->confirmations : 1;
        for (size_t k = 0; k < o->n_conf; k++)
            if (!strcmp(ch[i].name, o->conf[k].chain)) ch[i].conf = o->conf[k].n;
    }
    /* alerts committed by an earlier run but not printed or delivered (a kill after the
     * commit), and those raised while no webhook was configured or it was down */
    if (o->webhook && (rc = wh_due_now(f.w, e))) goto out;
    if ((rc = emit(&f, e))) goto out;
    while (!g_stop) {
        bool all = true;
        double t0 = sl_now();
        for (int i = 0; i < nch && !rc; i++) {
            bool caught = false;
            /* a pass may stop early (a reorg handled, the chain moved): passes run until the
             * chain is caught up, bounded so a flapping node cannot hold the loop */
            for (int pass = 0; pass < 1000 && !caught && !g_stop && !rc; pass++) rc = sync_chain(&f, &ch[i], &caught, e);
            all = all && caught;
        }
        if (rc) break;
        if (o->once && all) break;
        if (!o->quiet && isatty(2))
            fprintf(stderr, "\rsleuth watch: %llu blocks judged, %llu alerts   ", (unsigned long long)f.blocks,
                    (unsigned long long)f.alerts);
        if (!o->once) sleep_s((o->poll_seconds > 0 ? o->poll_seconds : 2) - (sl_now() - t0));
        else if (!all) continue;
    }
    if (!rc && o->webhook) {
        /* --once: the rest of the queue (a round sends at most 200), and deliveries that
         * failed get a few more rounds before the command ends; what is left stays queued */
        uint64_t pending = 0, before = UINT64_MAX;
        int fails = 0, retries = o->webhook_retries < 0 ? 0 : o->webhook_retries ? o->webhook_retries : 4;
        while (!(rc = wh_flush(f.w, o->webhook, f.secret, o->quiet, &pending, e)) && pending && o->once && !g_stop) {
            if (pending >= before && ++fails > retries) break;
            if (pending >= before) sleep_s(1 << (fails - 1 < 8 ? fails - 1 : 8));
            before = pending;
        }
        if (!rc && pending) /* said even with --quiet: these alerts have not reached anyone */
            fprintf(stderr, "sleuth watch: %llu alerts not delivered yet: queued for the next run with --webhook\n",
                    (unsigned long long)pending);
    }
out:
    for (int i = 0; i < nch; i++) wrpc_close(ch[i].rpc);
    wm_free(&f.m);
    if (f.m.cl_btc) sl_cluster_close(f.m.cl_btc);
    if (f.m.tags) sl_tags_close(f.m.tags);
    sl_watch_close(f.w);
    if (f.tmp[0]) rmdir(f.tmp);
    sl_store_close(f.s);
    return rc;
}
