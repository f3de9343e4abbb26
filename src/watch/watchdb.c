/* watchdb.c — STORE/watch.db, the watcher's SQLite database: the watchlist, the expanded
 * sets it watches, the per-chain cursor, the undo log of the last K blocks, the alerts
 * and the webhook outbox. Everything the watcher decides about one block is written in
 * one SQLite transaction together with the cursor that names the block (follow.c), so an
 * alert exists exactly when the cursor has passed its block.
 *
 * Schema (version 2, meta "schema"; a writer migrates version 1 when it opens the db):
 *   watchlist(id, kind, target, chain, policy, min_amount, label, created, asset)
 *        asset: NULL every asset of the chain, "native" its coin, "0x…" one token contract
 *   item(watch, chain, kind 'addr'|'out', key, asset, amount, height, spent)
 *        the expanded set of a watch: an address (its text as the chain writes it; EVM
 *        lower-case) or an output "txid:n", with the tainted amount it holds (base units,
 *        decimal text; "0" for plain address and output watches) of asset ('' the chain's
 *        coin, else the token contract, lower-case 0x); height: the block that added it
 *        (NULL: the watchlist add), spent: the block that spent it (NULL: unspent) — both
 *        undone by a rollback past them
 *   cursor(chain, height, hash)      the last block whose alerts are committed
 *   undo(chain, height, hash, time)  the undo log: the hashes of the last K blocks, what
 *        the fork point of a reorg is found by
 *   alert(id, key UNIQUE, type 'alert'|'retraction', watch, chain, height, block, tx, idx,
 *         retracts, raised, doc, emitted, acked_by, acked_at)
 *        key is the idempotency key; doc the JSON document printed and POSTed; emitted: the
 *        JSON line was printed (a restart prints the rows not yet emitted)
 *   outbox(alert, attempts, next_attempt, last_error, delivered_at, webhook)
 *        one row per alert and retraction, written with it whether or not a webhook is
 *        configured; delivered_at (unix s) and webhook (the URL without its userinfo and
 *        query) once a webhook answered 2xx; until then attempts, the time of the next try
 *        (unix s) and the last failure (webhook.c)
 */
#include "watch_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sleuth/annot.h"
#include "sleuth/btc.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/flow.h"
#include "sleuth/laundering.h"
#include "sleuth/tags.h"
#include "sleuth/trace.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('schema','2');"
    "CREATE TABLE IF NOT EXISTS watchlist(id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
    " target TEXT NOT NULL, chain TEXT, policy TEXT, min_amount TEXT, label TEXT, created INTEGER NOT NULL, asset TEXT);"
    "CREATE TABLE IF NOT EXISTS item(watch INTEGER NOT NULL, chain TEXT NOT NULL, kind TEXT NOT NULL,"
    " key TEXT NOT NULL, asset TEXT NOT NULL DEFAULT '', amount TEXT NOT NULL, height INTEGER, spent INTEGER,"
    " PRIMARY KEY(chain, kind, key, asset, watch));"
    "CREATE INDEX IF NOT EXISTS item_height ON item(chain, height);"
    "CREATE TABLE IF NOT EXISTS cursor(chain TEXT PRIMARY KEY, height INTEGER NOT NULL, hash TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS undo(chain TEXT NOT NULL, height INTEGER NOT NULL, hash TEXT NOT NULL,"
    " time INTEGER NOT NULL, PRIMARY KEY(chain, height));"
    "CREATE TABLE IF NOT EXISTS alert(id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, watch INTEGER, chain TEXT, height INTEGER, block TEXT, tx TEXT, idx INTEGER,"
    " retracts INTEGER, raised INTEGER NOT NULL, doc TEXT NOT NULL, emitted INTEGER NOT NULL DEFAULT 0,"
    " acked_by TEXT, acked_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS alert_block ON alert(chain, height);"
    "CREATE TABLE IF NOT EXISTS outbox(alert INTEGER PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt REAL NOT NULL DEFAULT 0, last_error TEXT, delivered_at INTEGER, webhook TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(alert) WHERE delivered_at IS NULL;";

/* Version 1 -> 2: tokens (watchlist.asset, item.asset in the key) and the outbox kept for
 * every alert with its delivery (delivered_at, webhook; next_try renamed next_attempt).
 * Alerts a version-1 watcher raised without a webhook have no outbox row and get none:
 * they were raised under the rule that they are not delivered. */
static const char MIGRATE_1_2[] =
    "ALTER TABLE watchlist ADD COLUMN asset TEXT;"
    "CREATE TABLE item2(watch INTEGER NOT NULL, chain TEXT NOT NULL, kind TEXT NOT NULL,"
    " key TEXT NOT NULL, asset TEXT NOT NULL DEFAULT '', amount TEXT NOT NULL, height INTEGER, spent INTEGER,"
    " PRIMARY KEY(chain, kind, key, asset, watch));"
    "INSERT INTO item2(watch,chain,kind,key,asset,amount,height,spent)"
    " SELECT watch,chain,kind,key,'',amount,height,spent FROM item;"
    "DROP TABLE item;"
    "ALTER TABLE item2 RENAME TO item;"
    "ALTER TABLE outbox RENAME COLUMN next_try TO next_attempt;"
    "ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;"
    "ALTER TABLE outbox ADD COLUMN webhook TEXT;"
    "UPDATE meta SET v = '2' WHERE k = 'schema';";

int wdb_fail(sl_watch *w, const char *what, sl_error *e)
{
    return sl_err(e, SL_ESTORE, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
}

int wdb_exec(sl_watch *w, const char *sql, sl_error *e)
{
    char *msg = NULL;
    if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) == SQLITE_OK) return SL_OK;
    sl_err(e, SL_ESTORE, "%s: %.60s: %s", w->path, sql, msg ? msg : "failed");
    sqlite3_free(msg);
    return SL_ESTORE;
}

int wdb_prep(sl_watch *w, sqlite3_stmt **st, const char *sql, sl_error *e)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) == SQLITE_OK) return SL_OK;
    *st = NULL;
    return wdb_fail(w, "prepare", e);
}

/* Brings a watch.db of an older schema to the current one (one transaction). */
static int migrate(sl_watch *w, sl_error *e)
{
    sqlite3_stmt *st;
    char v[16] = "";
    int rc;
    if ((rc = wdb_exec(w, "BEGIN IMMEDIATE", e))) return rc;
    if (sqlite3_prepare_v2(w->db, "SELECT v FROM meta WHERE k = 'schema'", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) snprintf(v, sizeof v, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    } /* else: no meta table, a new db */
    if (!strcmp(v, "1")) rc = wdb_exec(w, MIGRATE_1_2, e);
    else if (v[0] && strcmp(v, "2")) rc = sl_err(e, SL_EVERSION, "%s: schema %s is newer than this sleuth's (2)", w->path, v);
    if (rc || (rc = wdb_exec(w, "COMMIT", e))) sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int sl_watch_open(sl_watch **out, const char *store_dir, int mode, sl_error *e)
{
    sl_watch *w;
    struct stat st;
    int flags = mode == SL_WATCH_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    *out = NULL;
    if (!(w = sl_calloc(1, sizeof *w))) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(w->path, sizeof w->path, "%s/watch.db", store_dir);
    w->writer = mode == SL_WATCH_WRITE;
    if (!w->writer && stat(w->path, &st) != 0) {
        sl_free(w);
        return sl_err(e, SL_ENOTFOUND, "%s: no watchlist here (sleuth watchlist add creates it)", store_dir);
    }
    if (w->writer && stat(store_dir, &st) != 0 && mkdir(store_dir, 0777) != 0 && errno != EEXIST) {
        int rc = sl_err(e, SL_EIO, "%s: %s", store_dir, strerror(errno));
        sl_free(w);
        return rc;
    }
    if (sqlite3_open_v2(w->path, &w->db, flags, NULL) != SQLITE_OK) {
        int rc = sl_err(e, SL_ESTORE, "%s: %s", w->path, w->db ? sqlite3_errmsg(w->db) : "cannot open");
        sl_watch_close(w);
        return rc;
    }
    sqlite3_busy_timeout(w->db, 10000);
    if (!w->writer) {
        /* a db of an older schema is brought up to date once, by whoever opens it first
         * (a reader too, when it may write the file) */
        sqlite3_stmt *q;
        bool old = false;
        if (sqlite3_prepare_v2(w->db, "SELECT v FROM meta WHERE k = 'schema'", -1, &q, NULL) == SQLITE_OK) {
            old = sqlite3_step(q) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(q, 0), "1");
            sqlite3_finalize(q);
        }
        if (old) {
            sl_watch *rw = NULL;
            int rc;
            sl_watch_close(w);
            if ((rc = sl_watch_open(&rw, store_dir, SL_WATCH_WRITE, e))) {
                sl_err_prefix(e, "watch.db has schema 1 and must be upgraded by a writer: ");
                return rc;
            }
            sl_watch_close(rw);
            return sl_watch_open(out, store_dir, mode, e);
        }
    }
    /* WAL: readers (sleuth alerts, the HTTP server) never block the watcher's commits;
     * synchronous=FULL: a commit is on disk before the watcher prints or POSTs */
    if (w->writer && (wdb_exec(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", e) || migrate(w, e) ||
                      wdb_exec(w, SCHEMA, e))) {
        sl_watch_close(w);
        return e->code;
    }
    *out = w;
    return SL_OK;
}

void sl_watch_close(sl_watch *w)
{
    if (!w) return;
    sqlite3_close(w->db);
    sl_free(w);
}

/* ---------------- amounts ---------------- */

bool wdb_u128_parse(const char *s, unsigned __int128 *v)
{
    unsigned __int128 x = 0;
    if (!*s || strlen(s) > 39) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (x > (~(unsigned __int128)0 - (unsigned)(*s - '0')) / 10) return false;
        x = x * 10 + (unsigned)(*s - '0');
    }
    *v = x;
    return true;
}

void wdb_u128_dec(char out[40], unsigned __int128 v)
{
    char t[40];
    int n = 0;
    do t[n++] = (char)('0' + (int)(v % 10)), v /= 10; while (v);
    for (int i = 0; i < n; i++) out[i] = t[n - 1 - i];
    out[n] = 0;
}

bool wdb_amount_parse(const char *a, int decimals, unsigned __int128 *out)
{
    char digits[80];
    size_t n = 0;
    int frac = -1;
    if (!a || !*a) return false;
    for (const char *p = a; *p; p++) {
        if (*p == '.' && frac < 0 && p != a && p[1]) { frac = 0; continue; }
        if (*p < '0' || *p > '9' || n + 1 >= sizeof digits) return false;
        digits[n++] = *p;
        if (frac >= 0 && ++frac > decimals) return false;
    }
    for (int k = frac < 0 ? 0 : frac; k < decimals; k++) {
        if (n + 1 >= sizeof digits) return false;
        digits[n++] = '0';
    }
    digits[n] = 0;
    {   /* strip leading zeros so the 39-digit bound speaks of the value */
        const char *d = digits;
        while (d[0] == '0' && d[1]) d++;
        return wdb_u128_parse(d, out);
    }
}

/* ---------------- watchlist ---------------- */

static const char *jstr_member(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sl_watch_spec_from_json(const cJSON *j, sl_watch_spec *spec, sl_error *e)
{
    static const char *const keys[] = {"kind", "target", "chain", "policy", "asset", "min_amount", "label"};
    const cJSON *m;
    memset(spec, 0, sizeof *spec);
    if (!cJSON_IsObject(j)) return sl_err(e, SL_EUSAGE, "a watchlist entry is a JSON object");
    cJSON_ArrayForEach(m, j) {
        size_t k;
        for (k = 0; k < sizeof keys / sizeof *keys && strcmp(m->string, keys[k]); k++) {}
        if (k == sizeof keys / sizeof *keys) return sl_err(e, SL_EUSAGE, "watchlist entry: unknown member \"%.60s\"", m->string);
        if (!cJSON_IsString(m) && !cJSON_IsNull(m))
            return sl_err(e, SL_EUSAGE, "watchlist entry: \"%s\" must be a string", m->string);
    }
    spec->kind = jstr_member(j, "kind");
    spec->target = jstr_member(j, "target");
    spec->chain = jstr_member(j, "chain");
    spec->policy = jstr_member(j, "policy");
    spec->asset = jstr_member(j, "asset");
    spec->min_amount = jstr_member(j, "min_amount");
    spec->label = jstr_member(j, "label");
    if (!spec->kind) return sl_err(e, SL_EUSAGE, "watchlist entry: \"kind\" is missing (address, cluster, output, incident)");
    if (!spec->target) return sl_err(e, SL_EUSAGE, "watchlist entry: \"target\" is missing");
    return SL_OK;
}

/* The store's name of a chain as the user writes it ("btc", "bitcoin", any Bitcoin-family
 * network: "btc"; account chains by name), or NULL. */
static const char *chain_name(const char *c)
{
    const sl_chain_def *d = c ? sl_chain_by_name(c) : NULL;
    return d ? d->name : NULL;
}

/* Decimals of the native coin of chain (store name). */
static int chain_decimals(const char *chain)
{
    const sl_eth_chain_info *ci = strcmp(chain, "btc") ? sl_eth_chain_by_name(chain) : NULL;
    return ci ? ci->decimals : 8;
}

/* The asset of a watch as watch.db keeps it ("native", or a token contract in lower-case
 * hex) from what the user wrote on account chain `chain`: "native" or the coin's symbol, a
 * bundled token's symbol, a 0x contract. *decimals: of its unit (-1: a token sleuth knows
 * no decimals of; amounts are then in its base units). */
static int asset_resolve(const char *chain, const char *text, char out[48], int *decimals, sl_error *e)
{
    const sl_eth_chain_info *ci = sl_eth_chain_by_name(chain);
    const sl_eth_token *t;
    sl_eth_addr a;
    bool (*parse)(sl_eth_addr *, const char *) = ci && ci->tron ? sl_tron_addr_decode : sl_eth_addr_parse;
    if (!ci) return sl_err(e, SL_EUSAGE, "--asset %s: the %s chain has one asset, its coin", text, chain);
    if (!strcasecmp(text, "native") || !strcasecmp(text, ci->native)) {
        snprintf(out, 48, "native");
        *decimals = ci->decimals;
        return SL_OK;
    }
    if (parse(&a, text)) {
        t = sl_eth_token_find(ci->name, &a);
    } else {
        t = NULL;
        for (size_t i = 0; !t && sl_eth_token_at(i); i++)
            if (!strcmp(sl_eth_token_at(i)->chain, ci->name) && !strcasecmp(sl_eth_token_at(i)->symbol, text)) t = sl_eth_token_at(i);
        if (!t || !parse(&a, t->address))
            return sl_err(e, SL_EUSAGE, "--asset %s: not %s, a token sleuth knows on %s (USDT, USDC, ...) or a 0x contract",
                          text, ci->native, ci->name);
    }
    if (ci->tron) {
        sl_tron_addr_encode(out, &a);
    } else {
        out[0] = '0', out[1] = 'x';
        sl_hex_encode(out + 2, a.b, 20);
    }
    *decimals = t ? t->decimals : -1;
    return SL_OK;
}

/* An address as the watcher compares it: Bitcoin family, as the store's network writes it
 * (decoded and encoded again: one spelling of bech32 case); EVM lower-case. */
static int norm_address(sl_store *s, const char *chain, const char *in, char *out, size_t cap, sl_error *e)
{
    if (strcmp(chain, "btc") == 0) {
        const sl_btc_net *net = s ? sl_store_btc_net(s) : NULL;
        sl_btc_addr a;
        if (s && sl_btc_meta_get(s)->network[0] && net) {
            char why[200];
            if (!sl_btc_addr_decode(&a, net, in)) {
                sl_btc_addr_explain(why, sizeof why, net, in);
                return sl_err(e, SL_EUSAGE, "--address %s: %s", in, why);
            }
            if (!sl_btc_addr_encode(out, net, &a)) return sl_err(e, SL_EUSAGE, "--address %s: not encodable", in);
            return SL_OK;
        }
        if (strlen(in) < 20 || strlen(in) >= cap) return sl_err(e, SL_EUSAGE, "--address %s: not an address", in);
        snprintf(out, cap, "%s", in);
        return SL_OK;
    }
    if (strcmp(chain, "tron") == 0) { /* Base58Check T-addresses: compared as written */
        sl_eth_addr a;
        if (!sl_tron_addr_decode(&a, in)) return sl_err(e, SL_EUSAGE, "--address %s: not a Tron T-address", in);
        if (cap < 40) return sl_err(e, SL_EUSAGE, "--address %s: too long", in);
        sl_tron_addr_encode(out, &a);
        return SL_OK;
    }
    if (strlen(in) != 42 || in[0] != '0' || (in[1] != 'x' && in[1] != 'X'))
        return sl_err(e, SL_EUSAGE, "--address %s: not a 0x address of 40 hex digits", in);
    for (size_t i = 0; i < 42; i++) {
        char c = in[i];
        if (i >= 2 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return sl_err(e, SL_EUSAGE, "--address %s: not a 0x address of 40 hex digits", in);
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[42] = 0;
    return SL_OK;
}

/* Inserts one item of watch id. */
static int item_put(sl_watch *w, sqlite3_stmt *st, int64_t id, const char *chain, const char *kind, const char *key,
                    const char *asset, const char *amount, sl_error *e)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, amount, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, asset, -1, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "insert item", e);
}

/* The taint set of an incident: trace every source of it (its theft txs, else its
 * exploiter addresses: sl_detect_input_incident) under the policy as `sleuth detect` does
 * (through the store's crossings to other chains, ending at services) and keep what is
 * still held with at least min: UTXO outputs, and account addresses per asset — the coin
 * and tokens; with an asset (account chains) only that one, the minimum in its unit, else
 * every asset, the minimum bounding the coins (in each chain's coin) and not the tokens. */
static int incident_items(sl_watch *w, sl_store *s, const char *store_dir, const sl_watch_spec *sp, const char *chain,
                          const char *asset, int64_t id, uint64_t *count, sl_error *e)
{
    sl_flow_set *fs = NULL;
    sl_tags *tags = NULL;
    sl_detect_input in;
    sqlite3_stmt *st = NULL;
    sl_policy pol = SL_POLICY_HAIRCUT;
    int rc;
    memset(&in, 0, sizeof in);
    if (sp->policy && sl_policy_parse(sp->policy, &pol))
        return sl_err(e, SL_EUSAGE, "unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", sp->policy);
    if (!s) return sl_err(e, SL_ENOTFOUND, "an incident's taint set needs a store holding its transactions");
    if ((rc = sl_tags_open(&tags, store_dir, SL_TAGS_RDONLY, e))) {
        if (rc == SL_ENOTFOUND) sl_err_prefix(e, "incident %s: the store has no tag db (sleuth tags import): ", sp->target);
        return rc;
    }
    if ((rc = sl_flow_set_open(&fs, s, e)) || (rc = sl_detect_input_incident(fs, tags, sp->target, &in, e)) ||
        (rc = wdb_prep(w, &st, "INSERT OR IGNORE INTO item(watch,chain,kind,key,amount,asset) VALUES(?,?,?,?,?,?)", e)))
        goto out;
    if (asset && chain) {
        /* the sources on the asset's chain are traced in that asset (detect's own choice
         * is a theft tx's first asset, an exploiter address's coin) */
        const sl_chain_def *cd = sl_chain_by_name(chain);
        const sl_flow_view *v = cd ? sl_flow_set_chain(fs, cd->id) : NULL;
        uint32_t aid;
        if (!v || v->m->asset_find(v, asset, &aid)) {
            rc = sl_err(e, SL_ENOTFOUND, "incident %s: --asset %s is not seen on %s in the store", sp->target, sp->asset, chain);
            goto out;
        }
        for (size_t i = 0; i < in.n_src; i++)
            if (in.src[i].chain == cd->id) in.src[i].asset = aid, in.src[i].asset_given = true;
    }
    {
        /* detect's traces: forward from the incident's sources, through the crossings the
         * store holds (THORChain swaps: the loot on its other chains), ending at services */
        sl_detect_params p;
        sl_detect_result res;
        sl_annot *an = NULL;
        sl_error ae = {0};
        sl_detect_params_default(&p);
        p.policy = pol;
        p.store = s;
        if (sl_annot_open(&an, s, &ae)) an = NULL; /* no memos: no crossings found */
        rc = sl_detect_run(fs, an, tags, &in, &p, &res, e);
        sl_annot_close(an);
        if (rc) goto out;
        for (size_t i = 0; i < res.n_traces && !rc; i++) {
            const sl_trace_result *r = &res.traces[i];
            for (size_t k = 0; k < r->n_ends && !rc; k++) {
                const sl_trace_end *x = &r->ends[k];
                const sl_chain_def *xd = sl_chain_by_id(x->chain);
                unsigned __int128 min = 0;
                char key[160], amt[40];
                char contract[48] = "";
                int dec = xd ? chain_decimals(xd->name) : 8;
                if (x->reason != SL_END_HELD || !xd || x->amount == 0) continue;
                if (chain && strcmp(chain, xd->name)) continue;
                if (x->asset != 0) {
                    sl_eth_chain *ec = NULL;
                    sl_eth_addr ta;
                    sl_error ce = {0};
                    const sl_eth_token *tk;
                    if (xd->model != SL_MODEL_ACCOUNT || sl_eth_chain_open(s, xd->name, &ec, &ce) ||
                        !sl_eth_asset_addr(ec, x->asset, &ta))
                        continue;
                    if (sl_eth_chain_info_get(ec)->tron) {
                        sl_tron_addr_encode(contract, &ta);
                    } else {
                        contract[0] = '0', contract[1] = 'x';
                        sl_hex_encode(contract + 2, ta.b, 20);
                    }
                    tk = sl_eth_token_find(xd->name, &ta);
                    dec = tk ? tk->decimals : 0;
                }
                if (asset && strcmp(asset, contract[0] ? contract : "native")) continue;
                if (sp->min_amount && (asset || !contract[0]) && !wdb_amount_parse(sp->min_amount, dec, &min)) min = 0;
                if (x->amount < min) continue;
                if (xd->model == SL_MODEL_UTXO) {
                    const sl_hash256 *t = sl_btc_txid(s, SL_FLOW_UTXO_TX(x->flow));
                    if (!t) continue;
                    sl_hex_encode_rev(key, t->b, 32);
                    snprintf(key + 64, sizeof key - 64, ":%u", SL_FLOW_UTXO_IDX(x->flow));
                } else {
                    sl_addr_ref a = {x->chain, x->addr};
                    if (sl_addr_format(s, a, key, sizeof key)) continue;
                    if (key[0] == '0') /* EVM: lower-case; a Tron T-address is case-sensitive */
                        for (char *c = key; *c; c++) if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
                }
                wdb_u128_dec(amt, x->amount);
                if (!(rc = item_put(w, st, id, xd->name, xd->model == SL_MODEL_UTXO ? "out" : "addr", key, contract, amt, e)))
                    (*count)++;
            }
        }
        sl_detect_free(&res);
    }
out:
    sqlite3_finalize(st);
    sl_detect_input_free(&in);
    sl_flow_set_close(fs);
    sl_tags_close(tags);
    return rc;
}

/* The JSON of watchlist row (the columns of the SELECT in sl_watchlist_json). */
static cJSON *entry_json(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const names[] = {"id", "kind", "target", "chain", "policy", "min_amount", "label", "created", "items",
                                        "asset"};
    for (int c = 0; c < 10; c++) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) cJSON_AddNullToObject(o, names[c]);
        else if (sqlite3_column_type(st, c) == SQLITE_INTEGER) cJSON_AddNumberToObject(o, names[c], (double)sqlite3_column_int64(st, c));
        else cJSON_AddStringToObject(o, names[c], (const char *)sqlite3_column_text(st, c));
    }
    return o;
}

#define ENTRY_SELECT \
    "SELECT id, kind, target, chain, policy, min_amount, label, created, " \
    "(SELECT count(*) FROM item WHERE item.watch = watchlist.id), asset FROM watchlist"

static int entry_get(sl_watch *w, int64_t id, cJSON **out, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = wdb_prep(w, &st, ENTRY_SELECT " WHERE id = ?", e))) return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) *out = entry_json(st);
    else rc = sl_err(e, SL_ENOTFOUND, "watchlist entry %lld not found", (long long)id);
    sqlite3_finalize(st);
    return rc;
}

int sl_watchlist_add(sl_watch *w, sl_store *s, const char *store_dir, const sl_watch_spec *sp, cJSON **out, sl_error *e)
{
    char key[200], chainbuf[32] = "", asset[48] = "";
    int adec = 0;
    const char *chain = NULL;
    sqlite3_stmt *st = NULL;
    int64_t id;
    uint64_t n = 0;
    int rc;
    unsigned __int128 dummy;
    *out = NULL;
    if (!w->writer) return sl_err(e, SL_EUSAGE, "%s: opened read-only", w->path);
    if (sp->chain && *sp->chain) {
        if (!(chain = chain_name(sp->chain))) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", sp->chain);
    }
    if (sp->asset) {
        /* an asset is of one account chain: the address's (0x: ethereum) or --chain's */
        sl_eth_addr ta;
        const char *ac = chain ? chain
                       : strcmp(sp->kind, "address") || !sp->target ? NULL
                       : sp->target[0] == '0' ? "ethereum" : sl_tron_addr_decode(&ta, sp->target) ? "tron" : NULL;
        if (strcmp(sp->kind, "address") && strcmp(sp->kind, "incident"))
            return sl_err(e, SL_EUSAGE, "--asset is for address and incident watches");
        if (!ac && !strcmp(sp->kind, "incident"))
            return sl_err(e, SL_EUSAGE, "--asset %s: an incident's asset needs --chain (ethereum, bsc, ...)", sp->asset);
        if (!ac) return sl_err(e, SL_EUSAGE, "--asset %s: name the account chain it is on (--chain ethereum, bsc, ...)", sp->asset);
        if ((rc = asset_resolve(ac, sp->asset, asset, &adec, e))) return rc;
    }
    if (sp->min_amount && !wdb_amount_parse(sp->min_amount, sp->asset ? (adec < 0 ? 0 : adec) : chain ? chain_decimals(chain) : 18, &dummy))
        return sl_err(e, SL_EUSAGE, "--min-amount '%s': not a decimal amount of %s%s", sp->min_amount,
                      sp->asset ? sp->asset : "the coin", sp->asset && adec < 0 ? " (a token of unknown decimals: base units)" : "");
    if (sp->label && strlen(sp->label) > 200) return sl_err(e, SL_EUSAGE, "--label: at most 200 characters");
    if (!sp->target || !*sp->target || strlen(sp->target) > 150) return sl_err(e, SL_EUSAGE, "the watch target is missing or too long");
    if (sp->policy && strcmp(sp->kind, "incident")) return sl_err(e, SL_EUSAGE, "--policy is for incident taint sets");
    if (strcmp(sp->kind, "address") == 0) {
        sl_eth_addr ta;
        if (!chain)
            chain = sp->target[0] == '0' && (sp->target[1] == 'x' || sp->target[1] == 'X') ? "ethereum"
                  : sl_tron_addr_decode(&ta, sp->target) ? "tron" : "btc";
        if ((rc = norm_address(s, chain, sp->target, key, sizeof key, e))) return rc;
    } else if (strcmp(sp->kind, "output") == 0) {
        const char *colon = strchr(sp->target, ':');
        uint8_t tmp[32];
        char *end;
        unsigned long v;
        if (chain && strcmp(chain, "btc")) return sl_err(e, SL_EUSAGE, "--output: outputs are of the Bitcoin-family chain");
        chain = "btc";
        if (!colon || colon - sp->target != 64 || !sl_hex_decode(tmp, 32, sp->target, 64) || !colon[1])
            return sl_err(e, SL_EUSAGE, "--output %s: not TXID:N (64 hex digits, a colon, the output index)", sp->target);
        errno = 0;
        v = strtoul(colon + 1, &end, 10);
        if (*end || errno || v >= (1u << 24) || colon[1] == '-' || colon[1] == '+')
            return sl_err(e, SL_EUSAGE, "--output %s: the output index is not a number below 2^24", sp->target);
        for (int i = 0; i < 64; i++) key[i] = (char)(sp->target[i] >= 'A' && sp->target[i] <= 'F' ? sp->target[i] + 32 : sp->target[i]);
        snprintf(key + 64, sizeof key - 64, ":%lu", v);
    } else if (strcmp(sp->kind, "cluster") == 0) {
        const char *colon = strrchr(sp->target, ':');
        char *end;
        unsigned long long v;
        sl_cluster *cl = NULL;
        uint64_t size;
        if (!colon || colon == sp->target || (size_t)(colon - sp->target) >= sizeof chainbuf)
            return sl_err(e, SL_EUSAGE, "--cluster %s: not CHAIN:ID (btc:17, ethereum:5)", sp->target);
        memcpy(chainbuf, sp->target, (size_t)(colon - sp->target));
        chainbuf[colon - sp->target] = 0;
        if (!chain_name(chainbuf)) return sl_err(e, SL_EUSAGE, "--cluster %s: unknown chain '%s'", sp->target, chainbuf);
        if (chain && strcmp(chain, chain_name(chainbuf))) return sl_err(e, SL_EUSAGE, "--cluster %s is not on --chain %s", sp->target, chain);
        chain = chain_name(chainbuf);
        errno = 0;
        v = strtoull(colon + 1, &end, 10);
        if (!colon[1] || *end || errno || v == 0 || v > UINT32_MAX || colon[1] == '-')
            return sl_err(e, SL_EUSAGE, "--cluster %s: the cluster id is not a number from 1 to 2^32-1", sp->target);
        if (!s) return sl_err(e, SL_ENOTFOUND, "--cluster: no store at %s", store_dir);
        if ((rc = sl_cluster_open_chain(s, chain, &cl, e))) return rc;
        if (!sl_cluster_exists(cl, (uint32_t)v, &size)) rc = sl_err(e, SL_ENOTFOUND, "cluster %s: no such cluster", sp->target);
        sl_cluster_close(cl);
        if (rc) return rc;
        snprintf(key, sizeof key, "%s:%llu", chain, v);
    } else if (strcmp(sp->kind, "incident") == 0) {
        sl_incident_list l;
        const sl_incident *inc;
        char from[PATH_MAX];
        sl_policy pol;
        if (sp->policy && sl_policy_parse(sp->policy, &pol))
            return sl_err(e, SL_EUSAGE, "unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", sp->policy);
        if ((rc = sl_incident_lookup(store_dir, sp->target, &l, &inc, from, sizeof from, e))) return rc;
        snprintf(key, sizeof key, "%s", inc->id);
        sl_incident_list_free(&l);
    } else {
        return sl_err(e, SL_EUSAGE, "unknown watch kind '%s' (address, cluster, output, incident)", sp->kind);
    }

    if ((rc = wdb_exec(w, "BEGIN IMMEDIATE", e))) return rc;
    if ((rc = wdb_prep(w, &st, "INSERT INTO watchlist(kind,target,chain,policy,min_amount,label,created,asset) VALUES(?,?,?,?,?,?,?,?)", e)))
        goto fail;
    sqlite3_bind_text(st, 1, sp->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (chain) sqlite3_bind_text(st, 3, chain, -1, SQLITE_STATIC);
    if (strcmp(sp->kind, "incident") == 0) sqlite3_bind_text(st, 4, sp->policy ? sp->policy : "haircut", -1, SQLITE_STATIC);
    if (sp->min_amount) sqlite3_bind_text(st, 5, sp->min_amount, -1, SQLITE_STATIC);
    if (sp->label) sqlite3_bind_text(st, 6, sp->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (int64_t)time(NULL));
    if (asset[0]) sqlite3_bind_text(st, 8, asset, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) { rc = wdb_fail(w, "insert watchlist entry", e); goto fail; }
    sqlite3_finalize(st);
    st = NULL;
    id = sqlite3_last_insert_rowid(w->db);
    if (strcmp(sp->kind, "address") == 0 || strcmp(sp->kind, "output") == 0) {
        if ((rc = wdb_prep(w, &st, "INSERT INTO item(watch,chain,kind,key,amount,asset) VALUES(?,?,?,?,?,?)", e))) goto fail;
        if ((rc = item_put(w, st, id, chain, sp->kind[0] == 'a' ? "addr" : "out", key, "", "0", e))) goto fail;
    } else if (strcmp(sp->kind, "incident") == 0) {
        if ((rc = incident_items(w, s, store_dir, sp, chain, asset[0] ? asset : NULL, id, &n, e))) goto fail;
    }
    if ((rc = wdb_exec(w, "COMMIT", e))) goto fail;
    sqlite3_finalize(st);
    return entry_get(w, id, out, e);
fail:
    sqlite3_finalize(st);
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int sl_watchlist_remove(sl_watch *w, int64_t id, sl_error *e)
{
    sqlite3_stmt *st;
    int rc, changed;
    if (!w->writer) return sl_err(e, SL_EUSAGE, "%s: opened read-only", w->path);
    if ((rc = wdb_exec(w, "BEGIN IMMEDIATE", e))) return rc;
    if ((rc = wdb_prep(w, &st, "DELETE FROM watchlist WHERE id = ?", e))) goto fail;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "remove watchlist entry", e);
    changed = sqlite3_changes(w->db);
    sqlite3_finalize(st);
    if (rc) goto fail;
    if (!changed) { rc = sl_err(e, SL_ENOTFOUND, "watchlist entry %lld not found", (long long)id); goto fail; }
    if ((rc = wdb_prep(w, &st, "DELETE FROM item WHERE watch = ?", e))) goto fail;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "remove watchlist items", e);
    sqlite3_finalize(st);
    if (rc || (rc = wdb_exec(w, "COMMIT", e))) goto fail;
    return SL_OK;
fail:
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int sl_watchlist_json(sl_watch *w, cJSON **out, sl_error *e)
{
    sqlite3_stmt *st;
    cJSON *doc, *arr;
    int rc, s;
    *out = NULL;
    if ((rc = wdb_prep(w, &st, ENTRY_SELECT " ORDER BY id", e))) return rc;
    doc = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(doc, "watchlist");
    while ((s = sqlite3_step(st)) == SQLITE_ROW) cJSON_AddItemToArray(arr, entry_json(st));
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) {
        cJSON_Delete(doc);
        return wdb_fail(w, "read watchlist", e);
    }
    *out = doc;
    return SL_OK;
}

/* ---------------- alerts ---------------- */

int wdb_alert_put(sl_watch *w, cJSON *doc, const char *key, bool *inserted, sl_error *e)
{
    sqlite3_stmt *st;
    char *txt;
    int rc;
    int64_t id;
    const cJSON *v;
    *inserted = false;
    /* the key is new when no row has it: the id is only known after the insert, and the
     * stored document carries it, so insert, then write the document with its id */
    if ((rc = wdb_prep(w, &st, "INSERT OR IGNORE INTO alert(key,type,watch,chain,height,block,tx,idx,retracts,raised,doc)"
                               " VALUES(?,?,?,?,?,?,?,?,?,?,'')", e)))
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, jstr_member(doc, "type"), -1, SQLITE_STATIC);
    if ((v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "watch"), "id")) && cJSON_IsNumber(v))
        sqlite3_bind_int64(st, 3, (int64_t)v->valuedouble);
    sqlite3_bind_text(st, 4, jstr_member(doc, "chain"), -1, SQLITE_STATIC);
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "height")) && cJSON_IsNumber(v)) sqlite3_bind_int64(st, 5, (int64_t)v->valuedouble);
    sqlite3_bind_text(st, 6, jstr_member(doc, "block"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, jstr_member(doc, "tx"), -1, SQLITE_STATIC);
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "index")) && cJSON_IsNumber(v)) sqlite3_bind_int64(st, 8, (int64_t)v->valuedouble);
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "retracts")) && cJSON_IsNumber(v)) sqlite3_bind_int64(st, 9, (int64_t)v->valuedouble);
    sqlite3_bind_int64(st, 10, (int64_t)time(NULL));
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "insert alert", e);
    sqlite3_finalize(st);
    if (rc || sqlite3_changes(w->db) == 0) return rc;
    id = sqlite3_last_insert_rowid(w->db);
    if (!cJSON_ReplaceItemInObjectCaseSensitive(doc, "id", cJSON_CreateNumber((double)id)))
        cJSON_AddNumberToObject(doc, "id", (double)id);
    if (!(txt = cJSON_PrintUnformatted(doc))) return sl_err(e, SL_ENOMEM, "out of memory");
    if ((rc = wdb_prep(w, &st, "UPDATE alert SET doc = ? WHERE id = ?", e))) { sl_free(txt); return rc; }
    sqlite3_bind_text(st, 1, txt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "write alert", e);
    sqlite3_finalize(st);
    sl_free(txt);
    if (rc) return rc;
    /* queued for the webhook whether one is configured or not: the next run with one
     * delivers it (docs/WATCH.md, "Webhook") */
    if ((rc = wdb_prep(w, &st, "INSERT OR IGNORE INTO outbox(alert, next_attempt) VALUES(?, 0)", e))) return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "queue alert", e);
    sqlite3_finalize(st);
    if (rc) return rc;
    *inserted = true;
    return SL_OK;
}

int sl_alerts_json(sl_watch *w, int64_t since_id, uint64_t since_time, uint64_t limit, cJSON **out, sl_error *e)
{
    sqlite3_stmt *st;
    cJSON *doc, *arr;
    int rc, s;
    int64_t last = since_id;
    *out = NULL;
    if ((rc = wdb_prep(w, &st, "SELECT id, doc, acked_by, acked_at FROM alert WHERE id > ? AND raised >= ? ORDER BY id LIMIT ?", e)))
        return rc;
    sqlite3_bind_int64(st, 1, since_id);
    sqlite3_bind_int64(st, 2, (int64_t)since_time);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)(limit > INT64_MAX ? INT64_MAX : limit) : 1000);
    doc = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(doc, "alerts");
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *txt = (const char *)sqlite3_column_text(st, 1);
        cJSON *a = txt ? cJSON_Parse(txt) : NULL;
        last = sqlite3_column_int64(st, 0);
        if (!a) continue;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            cJSON *ack = cJSON_AddObjectToObject(a, "acked");
            cJSON_AddStringToObject(ack, "by", (const char *)sqlite3_column_text(st, 2));
            cJSON_AddNumberToObject(ack, "time", (double)sqlite3_column_int64(st, 3));
        } else {
            cJSON_AddNullToObject(a, "acked");
        }
        cJSON_AddItemToArray(arr, a);
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE) {
        cJSON_Delete(doc);
        return wdb_fail(w, "read alerts", e);
    }
    cJSON_AddNumberToObject(doc, "next", (double)last);
    *out = doc;
    return SL_OK;
}

int sl_alert_ack(sl_watch *w, int64_t id, const char *by, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    if (!w->writer) return sl_err(e, SL_EUSAGE, "%s: opened read-only", w->path);
    if ((rc = wdb_prep(w, &st, "UPDATE alert SET acked_by = ?, acked_at = ? WHERE id = ?", e))) return rc;
    sqlite3_bind_text(st, 1, by && *by ? by : "cli", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    sqlite3_bind_int64(st, 3, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(w, "acknowledge alert", e);
    if (!rc && sqlite3_changes(w->db) == 0) rc = sl_err(e, SL_ENOTFOUND, "alert %lld not found", (long long)id);
    sqlite3_finalize(st);
    return rc;
}
