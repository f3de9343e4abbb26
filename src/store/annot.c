/* annot.c — the annotations ingest keeps for laundering analysis (include/sleuth/annot.h):
 * OP_RETURN payloads, EVM input memos and the logs of known events, in STORE/annot.db
 * (SQLite), filtered by the store's committed tx counts so that a batch whose store commit
 * never happened stays invisible.
 *
 * Journal: rollback (DELETE), not WAL. A reader of a WAL database leaves -wal and -shm
 * files in the store (it may not delete them), so `sleuth info` or `sleuth tx` would
 * change the store's folder; with a rollback journal readers create nothing. The writer
 * keeps its batch in memory until the commit (cache_spill=OFF), so readers are kept out
 * only while it commits (they wait: busy timeout), not for the whole batch.
 *
 * Schema (user_version 1):
 *   annot(chain, tx, kind, idx, event, contract BLOB(20)|NULL, topics BLOB(32 x n),
 *         data BLOB, text TEXT, ref TEXT|NULL, gas BLOB(16, u128 LE)|NULL)
 *     PRIMARY KEY (chain, tx, kind, idx), WITHOUT ROWID: a tx's rows are one B-tree range,
 *     and ingest appends in key order (tx ids only grow), so inserts stay at the right edge.
 *   index annot_ref(ref) WHERE ref IS NOT NULL      the legs of a THORChain swap by
 *     inbound txid (ref is NULL when a row names none)
 *   index annot_event(kind, event) WHERE kind = 3   every row of one event (detectors).
 *     Partial, so that the memos (most rows on Bitcoin) cost an insert no second B-tree;
 *     the queries name them with INDEXED BY (without statistics SQLite would walk the
 *     table to save the sort)
 *
 * The known events and the memo helpers are in annot_parse.c (no SQLite, no store: the
 * Ethereum model and the fuzz targets link it alone).
 */
#include "sleuth/annot.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sleuth/chains.h"
#include "sleuth/eth_store.h"
#include "sleuth/util.h"
#include "store_int.h"

#define ANNOT_CHAINS 64 /* chain ids are below this (chains.h: 1, 16..22) */

struct sl_annot {
    sl_store *s;
    sqlite3 *db;
    bool writer, in_txn, in_read; /* in_read: a reader's batch (sl_annot_read_begin) */
    sqlite3_stmt *ins, *of_tx, *by_ref, *count;
    uint64_t limit[ANNOT_CHAINS]; /* committed tx count per chain id at the last snapshot */
};

/* One transaction: one journaled commit (its fsyncs) to make a new db, not one a statement. */
static const char SCHEMA[] =
    "BEGIN;"
    "CREATE TABLE IF NOT EXISTS annot(chain INTEGER NOT NULL, tx INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " idx INTEGER NOT NULL, event INTEGER NOT NULL, contract BLOB, topics BLOB, data BLOB NOT NULL,"
    " text TEXT NOT NULL, ref TEXT, gas BLOB, PRIMARY KEY(chain, tx, kind, idx)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS annot_ref ON annot(ref) WHERE ref IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS annot_event ON annot(kind, event) WHERE kind = 3;"
    "PRAGMA user_version=1;"
    "COMMIT;";

#define COLS "chain, tx, kind, idx, event, contract, topics, data, text, ref, gas"

/* ---------------- opening ---------------- */

static int db_err(sqlite3 *db, sl_error *e, const char *path, const char *what)
{
    return sl_err(e, SL_ESTORE, "%s: annotations: %s: %s", path, what, db ? sqlite3_errmsg(db) : "cannot open");
}

static void db_path(char *out, size_t cap, const sl_store *s, const char *suffix)
{
    snprintf(out, cap, "%s/annot.db%s", sl_store_dir(s), suffix);
}

/* The committed tx count of chain id in s (0 when the store holds none of it). */
static uint64_t committed_txs(sl_store *s, uint16_t chain)
{
    const sl_chain_def *d = sl_chain_by_id(chain);
    sl_eth_chain *c;
    sl_error e = {0};
    if (!d) return 0;
    if (d->model == SL_MODEL_UTXO) return sl_btc_meta_get(s)->n_tx;
    if (sl_eth_chain_open(s, d->name, &c, &e)) return 0;
    return sl_eth_meta_get(c)->n_tx;
}

/* Runs sql (?1 = chain, ?2 = tx) once: *row says whether it gave a row. */
static int run_chain_tx(sl_annot *a, const char *sql, uint16_t chain, uint64_t tx, bool *row, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) return db_err(a->db, e, sl_store_dir(a->s), "prepare");
    sqlite3_bind_int(st, 1, chain);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)tx);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (row) *row = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_err(a->db, e, sl_store_dir(a->s), "read or write");
    return SL_OK;
}

/* Whether the db holds a row of chain at or past tx. */
static int has_rows_from(sl_annot *a, uint16_t chain, uint64_t tx, bool *yes, sl_error *e)
{
    return run_chain_tx(a, "SELECT 1 FROM annot WHERE chain = ?1 AND tx >= ?2 LIMIT 1", chain, tx, yes, e);
}

int sl_annot_snapshot(sl_annot *a, sl_error *e)
{
    size_t n;
    const sl_chain_def *defs = sl_chain_defs(&n);
    memset(a->limit, 0, sizeof a->limit);
    for (size_t i = 0; i < n; i++) {
        bool any;
        int rc;
        if (defs[i].id >= ANNOT_CHAINS) continue;
        /* only chains with rows are asked: a writer's sl_eth_chain_open would make the
         * folder of every chain otherwise */
        if ((rc = has_rows_from(a, defs[i].id, 0, &any, e))) return rc;
        if (any) a->limit[defs[i].id] = committed_txs(a->s, defs[i].id);
    }
    return SL_OK;
}

static int prepare_all(sl_annot *a, const char *path, sl_error *e)
{
    if (sqlite3_prepare_v2(a->db, "INSERT OR REPLACE INTO annot(" COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                           -1, &a->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(a->db, "SELECT " COLS " FROM annot WHERE chain = ?1 AND tx = ?2 ORDER BY kind, idx", -1,
                           &a->of_tx, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(a->db,
                           "SELECT " COLS " FROM annot INDEXED BY annot_ref WHERE ref = ?1 ORDER BY chain, tx, idx, kind", -1,
                           &a->by_ref, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(a->db, "SELECT kind, count(*) FROM annot WHERE chain = ?1 AND tx < ?2 GROUP BY kind", -1,
                           &a->count, NULL) != SQLITE_OK)
        return db_err(a->db, e, path, "prepare");
    return SL_OK;
}

int sl_annot_open(sl_annot **out, sl_store *s, sl_error *e)
{
    sl_annot *a;
    char path[512];
    struct stat st;
    int rc = SL_OK, v = -1;
    bool fresh;
    sqlite3_stmt *q;
    *out = NULL;
    if (!(a = sl_calloc(1, sizeof *a))) return sl_err(e, SL_ENOMEM, "out of memory");
    a->s = s;
    a->writer = sl_store_writable(s);
    db_path(path, sizeof path, s, "");
    fresh = stat(path, &st) != 0;
    if (fresh && !a->writer) {
        sl_free(a);
        return sl_err(e, SL_ENOTFOUND, "%s: the store has no annotations (annot.db): it was ingested before sleuth kept "
                      "them; ingest into a new store to have them (docs/LAUNDERING.md)", sl_store_dir(s));
    }
    if (a->writer) {
        rc = sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    } else if (s->nolock) {
        /* a reader that may not write the store's files (store.c): no -shm can be made, and
         * the shared lock on DIR/LOCK keeps every writer out while it reads */
        char uri[600];
        snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
        rc = sqlite3_open_v2(uri, &a->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    } else {
        rc = sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc != SQLITE_OK) {
        rc = db_err(a->db, e, path, "open");
        goto fail;
    }
    sqlite3_busy_timeout(a->db, 10000);
    if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK) { rc = db_err(a->db, e, path, "read"); goto fail; }
    if (sqlite3_step(q) == SQLITE_ROW) v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (v == 0 && a->writer) {
        if (sqlite3_exec(a->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
            rc = db_err(a->db, e, path, "create");
            goto fail;
        }
    } else if (v != 1) {
        rc = sl_err(e, v < 0 ? SL_ESTORE : SL_EVERSION, "%s: not a sleuth annotation db of format 1 (user_version %d)",
                    path, v);
        goto fail;
    }
    /* synchronous=FULL: a batch's rows are on disk before the store's commit names them;
     * journal_mode=DELETE also turns a db made in WAL mode (an early build) back */
    if (a->writer && sqlite3_exec(a->db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; PRAGMA cache_spill=OFF;",
                                  NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(a->db, e, path, "open");
        goto fail;
    }
    if (!a->writer && sqlite3_exec(a->db, "PRAGMA query_only=1;", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(a->db, e, path, "open");
        goto fail;
    }
    if ((rc = prepare_all(a, path, e)) || (rc = sl_annot_snapshot(a, e))) goto fail;
    if (a->writer) {
        /* a batch whose annotations committed but whose store commit did not: cut */
        for (uint16_t c = 1; c < ANNOT_CHAINS; c++) {
            bool past;
            if (!sl_chain_by_id(c)) continue;
            if ((rc = has_rows_from(a, c, a->limit[c], &past, e))) goto fail;
            if (past && (rc = sl_annot_cut(a, c, a->limit[c], e))) goto fail;
        }
    }
    *out = a;
    return SL_OK;
fail:
    sl_annot_close(a);
    if (fresh && a->writer) { /* a refused creation leaves no db behind */
        char p[520];
        unlink(path);
        db_path(p, sizeof p, s, "-wal"), unlink(p);
        db_path(p, sizeof p, s, "-shm"), unlink(p);
    }
    return rc;
}

const char *sl_annot_store_dir(const sl_annot *a) { return a->s->dir; }

sl_store *sl_annot_store(const sl_annot *a) { return a->s; }

void sl_annot_close(sl_annot *a)
{
    if (!a) return;
    if (a->in_txn) sl_annot_abort(a);
    sl_annot_read_end(a);
    sqlite3_finalize(a->ins);
    sqlite3_finalize(a->of_tx);
    sqlite3_finalize(a->by_ref);
    sqlite3_finalize(a->count);
    if (a->db) sqlite3_close(a->db);
    sl_free(a);
}

/* ---------------- a reader's batch ---------------- */

int sl_annot_read_begin(sl_annot *a, bool *began, sl_error *e)
{
    *began = false;
    if (a->writer || a->in_txn || a->in_read) return SL_OK;
    if (sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return db_err(a->db, e, sl_store_dir(a->s), "begin");
    a->in_read = *began = true;
    return SL_OK;
}

void sl_annot_read_end(sl_annot *a)
{
    if (!a || !a->in_read) return;
    sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL); /* a read transaction: nothing to lose */
    a->in_read = false;
}

/* ---------------- writing ---------------- */

int sl_annot_begin(sl_annot *a, sl_error *e)
{
    if (!a->writer) return sl_err(e, SL_EUSAGE, "annotations: opened read-only");
    if (a->in_txn) return SL_OK;
    if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(a->db, e, sl_store_dir(a->s), "begin");
    a->in_txn = true;
    return SL_OK;
}

int sl_annot_put(sl_annot *a, const sl_annot_row *r, sl_error *e)
{
    sqlite3_stmt *st = a->ins;
    const uint8_t *tp = (const uint8_t *)(r->text ? r->text : "");
    size_t tn = strlen((const char *)tp);
    char head[80], ref[65];
    bool gas = false;
    int rc;
    if (!a->in_txn) return sl_err(e, SL_EUSAGE, "annotations: sl_annot_put outside a batch");
    if (!tn) {
        /* the memo as text: a printable payload, or a THORChain router event's string */
        int word = r->kind == SL_ANNOT_EVENT ? sl_annot_event_memo_word(r->event) : -1;
        const uint8_t *p = r->data;
        size_t n = r->len;
        bool ok = r->kind != SL_ANNOT_EVENT;
        if (word >= 0) ok = sl_annot_abi_string(r->data, r->len, (size_t)word, &p, &n);
        if (ok && sl_annot_printable(p, n)) tp = p, tn = n;
    }
    if (r->ref[0]) {
        snprintf(ref, sizeof ref, "%s", r->ref);
    } else {
        /* OUT:/REFUND: and a txid fit in 80 bytes: a longer memo has no ref */
        size_t hn = tn < sizeof head - 1 ? tn : sizeof head - 1;
        memcpy(head, tp, hn);
        head[hn] = 0;
        sl_annot_ref_of(ref, tn < sizeof head - 1 ? head : "");
    }
    for (int i = 0; i < 16; i++) gas |= r->gas_price[i] != 0;
    sqlite3_bind_int(st, 1, r->chain);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->tx);
    sqlite3_bind_int(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->idx);
    sqlite3_bind_int(st, 5, r->event);
    if (r->kind == SL_ANNOT_EVENT) {
        sqlite3_bind_blob(st, 6, r->contract, 20, SQLITE_STATIC);
        sqlite3_bind_blob(st, 7, r->topics, (int)(r->n_topics > 4 ? 4 : r->n_topics) * 32, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 6);
        sqlite3_bind_null(st, 7);
    }
    sqlite3_bind_blob64(st, 8, r->len ? (const void *)r->data : "", r->len, SQLITE_STATIC);
    sqlite3_bind_text64(st, 9, (const char *)tp, tn, SQLITE_STATIC, SQLITE_UTF8);
    if (ref[0]) sqlite3_bind_text(st, 10, ref, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 10);
    if (gas) sqlite3_bind_blob(st, 11, r->gas_price, 16, SQLITE_STATIC);
    else sqlite3_bind_null(st, 11);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return db_err(a->db, e, sl_store_dir(a->s), "insert");
    return SL_OK;
}

int sl_annot_commit(sl_annot *a, sl_error *e)
{
    if (!a->in_txn) return SL_OK;
    if (sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = db_err(a->db, e, sl_store_dir(a->s), "commit");
        sl_annot_abort(a);
        return rc;
    }
    a->in_txn = false;
    return SL_OK;
}

void sl_annot_abort(sl_annot *a)
{
    if (!a || !a->in_txn) return;
    sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
    a->in_txn = false;
}

int sl_annot_cut(sl_annot *a, uint16_t chain, uint64_t first_tx, sl_error *e)
{
    if (!a->writer) return sl_err(e, SL_EUSAGE, "annotations: opened read-only");
    return run_chain_tx(a, "DELETE FROM annot WHERE chain = ?1 AND tx >= ?2", chain, first_tx, NULL, e);
}

int sl_annot_cut_store(sl_store *s, uint16_t chain, uint64_t first_tx, sl_error *e)
{
    char path[512];
    struct stat st;
    sl_annot *a;
    int rc;
    db_path(path, sizeof path, s, "");
    if (stat(path, &st) != 0) return SL_OK;
    if ((rc = sl_annot_open(&a, s, e))) return rc;
    rc = sl_annot_cut(a, chain, first_tx, e);
    sl_annot_close(a);
    return rc;
}

void sl_annot_remove_files(const char *dir)
{
    static const char *const suf[] = {"", "-wal", "-shm", "-journal"};
    char p[512];
    for (size_t i = 0; i < sizeof suf / sizeof *suf; i++) {
        snprintf(p, sizeof p, "%s/annot.db%s", dir, suf[i]);
        unlink(p);
    }
}

/* ---------------- reading ---------------- */

static void row_of(sqlite3_stmt *st, sl_annot_row *r)
{
    const void *p;
    int n;
    memset(r, 0, sizeof *r);
    r->chain = (uint16_t)sqlite3_column_int(st, 0);
    r->tx = (uint64_t)sqlite3_column_int64(st, 1);
    r->kind = (uint8_t)sqlite3_column_int(st, 2);
    r->idx = (uint32_t)sqlite3_column_int64(st, 3);
    r->event = (uint8_t)sqlite3_column_int(st, 4);
    if ((p = sqlite3_column_blob(st, 5)) && sqlite3_column_bytes(st, 5) == 20) memcpy(r->contract, p, 20);
    p = sqlite3_column_blob(st, 6);
    n = sqlite3_column_bytes(st, 6);
    if (p && n > 0 && n % 32 == 0 && n <= 128) {
        r->n_topics = (uint8_t)(n / 32);
        memcpy(r->topics, p, (size_t)n);
    }
    r->data = sqlite3_column_blob(st, 7);
    r->len = (size_t)sqlite3_column_bytes(st, 7);
    if (!r->data) r->data = (const uint8_t *)"", r->len = 0;
    r->text = (const char *)sqlite3_column_text(st, 8);
    if (!r->text) r->text = "";
    p = sqlite3_column_text(st, 9);
    if (p && strlen(p) == 64) memcpy(r->ref, p, 65);
    if ((p = sqlite3_column_blob(st, 10)) && sqlite3_column_bytes(st, 10) == 16) memcpy(r->gas_price, p, 16);
}

static bool visible(const sl_annot *a, uint16_t chain, uint64_t tx)
{
    return chain < ANNOT_CHAINS && tx < a->limit[chain];
}

/* Steps st to its end, calling fn for each visible row; resets st. */
static int walk(sl_annot *a, sqlite3_stmt *st, sl_annot_fn fn, void *ctx, sl_error *e)
{
    int rc, ret = SL_OK;
    sl_annot_row r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint16_t chain = (uint16_t)sqlite3_column_int(st, 0);
        uint64_t tx = (uint64_t)sqlite3_column_int64(st, 1);
        if (!visible(a, chain, tx)) continue;
        row_of(st, &r);
        if ((ret = fn(ctx, &r))) break;
    }
    if (!ret && rc != SQLITE_DONE) ret = db_err(a->db, e, sl_store_dir(a->s), "read");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

int sl_annot_of_tx(sl_annot *a, uint16_t chain, uint64_t tx, sl_annot_fn fn, void *ctx, sl_error *e)
{
    if (!visible(a, chain, tx)) return SL_OK;
    sqlite3_bind_int(a->of_tx, 1, chain);
    sqlite3_bind_int64(a->of_tx, 2, (sqlite3_int64)tx);
    return walk(a, a->of_tx, fn, ctx, e);
}

int sl_annot_each(sl_annot *a, uint16_t chain, int kind, int event, sl_annot_fn fn, void *ctx, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    char sql[300];
    char kc[32] = "", ec[32] = "";
    /* only the conditions asked for, kind as a literal: SQLite must see that the partial
     * index annot_event covers the query (it cannot from a bound parameter) */
    if (kind) snprintf(kc, sizeof kc, " AND kind = %d", kind);
    if (event) snprintf(ec, sizeof ec, " AND event = %d", event);
    snprintf(sql, sizeof sql, "SELECT " COLS " FROM annot%s WHERE 1%s%s%s ORDER BY chain, tx, idx, kind",
             kind == SL_ANNOT_EVENT ? " INDEXED BY annot_event" : "", chain ? " AND chain = ?1" : "", kc, ec);
    if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) return db_err(a->db, e, sl_store_dir(a->s), "prepare");
    if (chain) sqlite3_bind_int(st, 1, chain);
    rc = walk(a, st, fn, ctx, e);
    sqlite3_finalize(st);
    return rc;
}

int sl_annot_by_ref(sl_annot *a, const char *txid, sl_annot_fn fn, void *ctx, sl_error *e)
{
    char memo[80], ref[65];
    snprintf(memo, sizeof memo, "OUT:%.70s", txid);
    sl_annot_ref_of(ref, memo);
    if (!ref[0]) return sl_err(e, SL_EUSAGE, "%s: not a txid (64 hex digits, with or without 0x)", txid);
    sqlite3_bind_text(a->by_ref, 1, ref, -1, SQLITE_TRANSIENT);
    return walk(a, a->by_ref, fn, ctx, e);
}

int sl_annot_count(sl_annot *a, uint64_t counts[4], sl_error *e)
{
    memset(counts, 0, 4 * sizeof *counts);
    for (uint16_t c = 1; c < ANNOT_CHAINS; c++) {
        int rc;
        if (!a->limit[c]) continue;
        sqlite3_bind_int(a->count, 1, c);
        sqlite3_bind_int64(a->count, 2, (sqlite3_int64)a->limit[c]);
        while ((rc = sqlite3_step(a->count)) == SQLITE_ROW) {
            int k = sqlite3_column_int(a->count, 0);
            if (k >= 1 && k <= 3) counts[k] += (uint64_t)sqlite3_column_int64(a->count, 1);
        }
        sqlite3_reset(a->count);
        if (rc != SQLITE_DONE) return db_err(a->db, e, sl_store_dir(a->s), "count");
    }
    counts[0] = counts[1] + counts[2] + counts[3];
    return SL_OK;
}
