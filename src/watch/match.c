/* match.c — which transactions of one new block move watched funds or bring them to a
 * tagged service, and the alerts they raise; and the rollback of those decisions when a
 * reorg removes blocks. Called by the watcher (follow.c) inside the SQLite transaction
 * that also moves the cursor, so a block's alerts, the set changes it causes and the
 * cursor are one commit.
 *
 * Events (docs/WATCH.md):
 *   move     an input of the block spends a watched output (output watches, an incident's
 *            taint set), or an output paid to a watched address or to an address of a
 *            watched cluster (Bitcoin family: the funds leave it); a flow sent by a watched
 *            address (accounts: the chain's coin and ERC-20/TRC-20 tokens; a watch with an
 *            asset only that one).
 *            index = the input's index in its tx (accounts: the flow's position in its tx).
 *   service  a tx that moved watched funds pays an address tagged as a service (exchange,
 *            mixer, bridge, DEX, gambling, OTC, payment processor). index = the output's.
 * Incident taint sets follow the funds: a spent tainted output passes its taint on to the
 * outputs of the spending tx (haircut: in proportion to their values; poison: whole
 * values) that keep at least the watch's minimum; they join the set, marked with the
 * height that added them so a rollback removes them again. On account chains a set item
 * is (address, asset): a watched address's payment in that asset passes the smaller of the
 * amount and its taint on to the recipient, in the same asset.
 *
 * Idempotency key of an alert: "w<watch>:<chain>:<block hash>:<tx>:<event>:<index>#<g>",
 * g = how many times an alert of that key was retracted before (a block that comes back
 * after a retraction alerts again); a retraction's key is "retract:" + the alert's key.
 */
#include "match.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sleuth/btc.h"
#include "sleuth/chains.h"
#include "sleuth/report.h"

static const char *const SERVICES[] = {"exchange", "mixer", "bridge", "dex", "gambling", "otc", "payment_processor"};

int wm_init(wmatch *m, sl_error *e)
{
    sqlite3_stmt *st;
    int rc, s;
    m->n_ent = 0;
    if ((rc = wdb_prep(m->w, &st, "SELECT id, kind, target, chain, policy, min_amount, label, asset FROM watchlist ORDER BY id", e)))
        return rc;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        wentry *x;
        void *p = m->ent;
        if (sl_grow(&p, &m->cap_ent, m->n_ent + 1, sizeof *m->ent)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        m->ent = p;
        x = &m->ent[m->n_ent++];
        memset(x, 0, sizeof *x);
        x->id = sqlite3_column_int64(st, 0);
        for (int c = 1; c <= 7; c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            char *d = c == 1 ? x->kind : c == 2 ? x->target : c == 3 ? x->chain : c == 4 ? x->policy : c == 5 ? x->min
                    : c == 6 ? x->label : x->asset;
            size_t cap = c == 1 ? sizeof x->kind : c == 2 ? sizeof x->target : c == 3 ? sizeof x->chain
                       : c == 4 ? sizeof x->policy : c == 5 ? sizeof x->min : c == 6 ? sizeof x->label : sizeof x->asset;
            snprintf(d, cap, "%s", t ? t : "");
        }
    }
    sqlite3_finalize(st);
    if (!rc && s != SQLITE_DONE) rc = wdb_fail(m->w, "read watchlist", e);
    return rc;
}

void wm_free(wmatch *m)
{
    sl_free(m->ent);
    m->ent = NULL;
    m->n_ent = m->cap_ent = 0;
}

static const wentry *entry_of(const wmatch *m, int64_t id)
{
    for (size_t i = 0; i < m->n_ent; i++)
        if (m->ent[i].id == id) return &m->ent[i];
    return NULL;
}

/* The watch's minimum on chain in base units (0: none). */
static unsigned __int128 min_of(const wentry *x, int decimals)
{
    unsigned __int128 v = 0;
    if (x->min[0] && !wdb_amount_parse(x->min, decimals, &v)) v = 0;
    return v;
}

/* The asset a flow moved on an account chain: the coin (contract "") or a token. */
typedef struct wasset {
    char contract[43];   /* "" the chain's coin, else "0x…" lower-case (Tron: a T-address) */
    char symbol[48];     /* "ETH", a bundled token's symbol, else the EIP-55 contract */
    int decimals;        /* -1: a token sleuth has no decimals for */
} wasset;

/* Raises an alert (inside the caller's transaction). as: a token's (NULL: the coin). */
static int raise_alert(wmatch *m, const wblock *b, const wentry *x, const char *event, const char *tx, uint32_t index,
                       const char *address, const char *amount, const char *tainted, const char *svc_label,
                       const char *svc_cat, const wasset *as, sl_error *e)
{
    char base[300], key[320];
    sqlite3_stmt *st;
    int64_t gen = 0;
    cJSON *doc, *wj;
    bool ins;
    int rc;
    snprintf(base, sizeof base, "w%lld:%s:%s:%s:%s:%u", (long long)x->id, b->chain, b->hash, tx, event, index);
    if ((rc = wdb_prep(m->w, &st, "SELECT count(*) FROM alert WHERE type = 'retraction' AND key >= ? AND key < ?", e))) return rc;
    {
        char lo[340], hi[340];
        snprintf(lo, sizeof lo, "retract:%s#", base);
        snprintf(hi, sizeof hi, "retract:%s$", base); /* '$' sorts right after '#' */
        sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) gen = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    snprintf(key, sizeof key, "%s#%lld", base, (long long)gen);
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "type", "alert");
    cJSON_AddNullToObject(doc, "id");
    cJSON_AddStringToObject(doc, "key", key);
    cJSON_AddStringToObject(doc, "event", event);
    wj = cJSON_AddObjectToObject(doc, "watch");
    cJSON_AddNumberToObject(wj, "id", (double)x->id);
    cJSON_AddStringToObject(wj, "kind", x->kind);
    cJSON_AddStringToObject(wj, "target", x->target);
    if (x->label[0]) cJSON_AddStringToObject(wj, "label", x->label);
    else cJSON_AddNullToObject(wj, "label");
    cJSON_AddStringToObject(doc, "chain", b->chain);
    cJSON_AddStringToObject(doc, "network", b->network);
    cJSON_AddNumberToObject(doc, "height", (double)b->height);
    cJSON_AddStringToObject(doc, "block", b->hash);
    cJSON_AddNumberToObject(doc, "block_time", (double)b->time);
    cJSON_AddStringToObject(doc, "tx", tx);
    cJSON_AddNumberToObject(doc, "index", index);
    if (address) cJSON_AddStringToObject(doc, "address", address);
    else cJSON_AddNullToObject(doc, "address");
    cJSON_AddStringToObject(doc, "amount", amount);
    cJSON_AddStringToObject(doc, "unit", as && as->contract[0] ? "units" : b->unit);
    if (as && as->contract[0]) {
        cJSON *a = cJSON_AddObjectToObject(doc, "asset");
        cJSON_AddStringToObject(a, "contract", as->contract);
        cJSON_AddStringToObject(a, "symbol", as->symbol);
        if (as->decimals >= 0) cJSON_AddNumberToObject(a, "decimals", as->decimals);
        else cJSON_AddNullToObject(a, "decimals");
    }
    if (tainted) cJSON_AddStringToObject(doc, "tainted", tainted);
    if (svc_label) {
        cJSON *s = cJSON_AddObjectToObject(doc, "service");
        cJSON_AddStringToObject(s, "label", svc_label);
        cJSON_AddStringToObject(s, "category", svc_cat ? svc_cat : "");
    }
    cJSON_AddNumberToObject(doc, "raised", (double)time(NULL));
    rc = wdb_alert_put(m->w, doc, key, &ins, e);
    cJSON_Delete(doc);
    if (!rc && ins) m->raised++;
    return rc;
}

/* The best service tag of an address (label and category into the buffers), or false. */
static bool service_of(wmatch *m, const char *chain, const char *addr, char *label, size_t lcap, char *cat, size_t ccap)
{
    sl_tag_list l = {0};
    sl_error e = {0};
    bool found = false;
    if (!m->tags || !addr) return false;
    if (sl_tags_for_address(m->tags, chain, addr, &l, &e) != SL_OK) return false;
    for (size_t i = 0; i < l.n && !found; i++)
        for (size_t k = 0; k < sizeof SERVICES / sizeof *SERVICES && !found; k++)
            if (sl_tag_is(&l.v[i], SERVICES[k])) {
                snprintf(label, lcap, "%s", l.v[i].label ? l.v[i].label : "");
                snprintf(cat, ccap, "%s", l.v[i].category ? l.v[i].category : SERVICES[k]);
                found = true;
            }
    sl_tag_list_free(&l);
    return found;
}

/* The items of (chain, kind, key): each one's watch id, asset ('' the coin), amount, spent. */
typedef struct hit { int64_t watch; unsigned __int128 amount; bool spent; char asset[43]; } hit;
static int items_of(wmatch *m, const char *chain, const char *kind, const char *key, hit *out, size_t cap, size_t *n,
                    sl_error *e)
{
    sqlite3_stmt *st;
    int rc, s;
    *n = 0;
    if ((rc = wdb_prep(m->w, &st, "SELECT watch, amount, spent, asset FROM item WHERE chain = ? AND kind = ? AND key = ?", e))) return rc;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    while ((s = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
        out[*n].watch = sqlite3_column_int64(st, 0);
        if (!wdb_u128_parse((const char *)sqlite3_column_text(st, 1), &out[*n].amount)) out[*n].amount = 0;
        out[*n].spent = sqlite3_column_type(st, 2) != SQLITE_NULL;
        snprintf(out[*n].asset, sizeof out[*n].asset, "%s", (const char *)sqlite3_column_text(st, 3));
        (*n)++;
    }
    sqlite3_finalize(st);
    return SL_OK;
}

static int item_mark_spent(wmatch *m, const char *chain, const char *key, int64_t watch, uint64_t height, sl_error *e)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = wdb_prep(m->w, &st, "UPDATE item SET spent = ? WHERE chain = ? AND kind = 'out' AND key = ? AND watch = ?", e)))
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)height);
    sqlite3_bind_text(st, 2, chain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, watch);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(m->w, "mark item spent", e);
    sqlite3_finalize(st);
    return rc;
}

static int item_add(wmatch *m, int64_t watch, const char *chain, const char *kind, const char *key, const char *asset,
                    unsigned __int128 amount, uint64_t height, sl_error *e)
{
    sqlite3_stmt *st;
    char amt[40];
    int rc;
    wdb_u128_dec(amt, amount);
    if ((rc = wdb_prep(m->w, &st, "INSERT OR IGNORE INTO item(watch,chain,kind,key,amount,height,asset) VALUES(?,?,?,?,?,?,?)", e)))
        return rc;
    sqlite3_bind_int64(st, 1, watch);
    sqlite3_bind_text(st, 2, chain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, amt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)height);
    sqlite3_bind_text(st, 7, asset, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SL_OK : wdb_fail(m->w, "add item", e);
    sqlite3_finalize(st);
    return rc;
}

/* ---------------- Bitcoin family ---------------- */

#define MAXW 64 /* watches one tx may move at once that are followed */

typedef struct moved {
    int64_t watch;
    unsigned __int128 taint; /* incident sets: tainted amount the tx spent */
} moved;

static void moved_add(moved *mv, size_t *n, int64_t watch, unsigned __int128 taint)
{
    for (size_t i = 0; i < *n; i++)
        if (mv[i].watch == watch) { mv[i].taint += taint; return; }
    if (*n < MAXW) mv[*n].watch = watch, mv[*n].taint = taint, (*n)++;
}

static void btc_addr_text(wmatch *m, uint32_t addr, char *out)
{
    sl_btc_addr a;
    out[0] = 0;
    if (addr && sl_btc_addr_key(m->s, addr, &a) == SL_OK && !sl_btc_addr_encode(out, m->net, &a)) out[0] = 0;
}

int wm_eval_btc(wmatch *m, const wblock *b, uint32_t bidx, sl_error *e)
{
    const sl_btc_blockrec *r = sl_btc_block_at(m->s, bidx);
    int rc = SL_OK;
    for (uint64_t t = r->first_tx; t < r->first_tx + r->n_tx && !rc; t++) {
        sl_btc_txrec tx;
        char txid[65];
        moved mv[MAXW];
        size_t nmv = 0;
        uint64_t in_total = 0;
        bool in_known = true;
        if (sl_btc_tx_get(m->s, t, &tx) != SL_OK) return sl_err(e, SL_ESTORE, "tx %llu of block %s not readable", (unsigned long long)t, b->hash);
        sl_hex_encode_rev(txid, tx.txid.b, 32);
        if (tx.flags & SL_TX_COINBASE) continue;
        for (uint32_t k = 0; k < tx.n_in && !rc; k++) {
            sl_btc_inview v;
            char okey[80], addr[100], amt[40];
            hit h[16];
            size_t nh;
            sl_btc_in_view(m->s, tx.first_in + k, &v);
            if (v.value == UINT64_MAX) in_known = false;
            else in_total += v.value;
            if (v.coinbase) continue;
            sl_hex_encode_rev(okey, v.prev_txid.b, 32);
            snprintf(okey + 64, sizeof okey - 64, ":%u", v.prev_vout);
            btc_addr_text(m, v.addr, addr);
            wdb_u128_dec(amt, v.value == UINT64_MAX ? 0 : v.value);
            /* watched outputs (output watches and incident sets) */
            if ((rc = items_of(m, "btc", "out", okey, h, 16, &nh, e))) break;
            for (size_t i = 0; i < nh && !rc; i++) {
                const wentry *x = entry_of(m, h[i].watch);
                char tn[40];
                if (!x || h[i].spent) continue;
                if ((rc = item_mark_spent(m, "btc", okey, x->id, b->height, e))) break;
                wdb_u128_dec(tn, h[i].amount);
                moved_add(mv, &nmv, x->id, h[i].amount);
                if (strcmp(x->kind, "incident") == 0 ? h[i].amount >= min_of(x, 8)
                                                     : (unsigned __int128)(v.value == UINT64_MAX ? 0 : v.value) >= min_of(x, 8))
                    rc = raise_alert(m, b, x, "move", txid, k, addr[0] ? addr : NULL, amt,
                                     strcmp(x->kind, "incident") == 0 ? tn : NULL, NULL, NULL, NULL, e);
            }
            if (rc || !addr[0]) continue;
            /* watched addresses */
            if ((rc = items_of(m, "btc", "addr", addr, h, 16, &nh, e))) break;
            for (size_t i = 0; i < nh && !rc; i++) {
                const wentry *x = entry_of(m, h[i].watch);
                if (!x || (v.value != UINT64_MAX && (unsigned __int128)v.value < min_of(x, 8))) continue;
                moved_add(mv, &nmv, x->id, 0);
                rc = raise_alert(m, b, x, "move", txid, k, addr, amt, NULL, NULL, NULL, NULL, e);
            }
            /* watched clusters */
            if (m->cl_btc && v.addr)
                for (size_t i = 0; i < m->n_ent && !rc; i++) {
                    const wentry *x = &m->ent[i];
                    uint32_t cid;
                    uint64_t size;
                    sl_addr_ref a = {SL_CHAIN_BTC, v.addr};
                    char want[40];
                    if (strcmp(x->kind, "cluster") || strncmp(x->target, "btc:", 4)) continue;
                    if (sl_cluster_of(m->cl_btc, a, &cid, &size) != SL_OK) continue;
                    snprintf(want, sizeof want, "btc:%u", cid);
                    if (strcmp(want, x->target) || (v.value != UINT64_MAX && (unsigned __int128)v.value < min_of(x, 8))) continue;
                    moved_add(mv, &nmv, x->id, 0);
                    rc = raise_alert(m, b, x, "move", txid, k, addr, amt, NULL, NULL, NULL, NULL, e);
                }
        }
        if (rc || !nmv) continue;
        /* where the moved funds went: tagged services, and the taint of incident sets */
        for (uint32_t j = 0; j < tx.n_out && !rc; j++) {
            sl_btc_outrec o;
            char addr[100], lab[200], cat[64], amt[40], okey[80];
            bool svc;
            sl_btc_out_get(m->s, tx.first_out + j, &o);
            btc_addr_text(m, o.addr, addr);
            svc = addr[0] && service_of(m, "btc", addr, lab, sizeof lab, cat, sizeof cat);
            wdb_u128_dec(amt, o.value);
            sl_hex_encode_rev(okey, tx.txid.b, 32);
            snprintf(okey + 64, sizeof okey - 64, ":%u", j);
            for (size_t i = 0; i < nmv && !rc; i++) {
                const wentry *x = entry_of(m, mv[i].watch);
                unsigned __int128 share = 0;
                char tn[40];
                if (!x) continue;
                if (strcmp(x->kind, "incident") == 0 && in_known && in_total && mv[i].taint) {
                    share = strcmp(x->policy, "poison") == 0 ? (unsigned __int128)o.value
                                                              : mv[i].taint * o.value / in_total;
                    if (share && share >= min_of(x, 8) && o.type != SL_SCRIPT_OP_RETURN)
                        rc = item_add(m, x->id, "btc", "out", okey, "", share, b->height, e);
                }
                wdb_u128_dec(tn, share);
                if (!rc && svc)
                    rc = raise_alert(m, b, x, "service", txid, j, addr, amt, strcmp(x->kind, "incident") == 0 ? tn : NULL,
                                     lab, cat, NULL, e);
            }
        }
    }
    return rc;
}

/* ---------------- account chains ---------------- */

/* An account as the watcher keys it: EVM 0x + lower-case hex, Tron its T-address. */
static void eth_addr_text(const sl_eth_chain *c, uint32_t id, char out[43])
{
    sl_eth_addr a;
    out[0] = 0;
    if (!sl_eth_acct_addr(c, id, &a)) return;
    if (sl_eth_chain_info_get(c)->tron) {
        sl_tron_addr_encode(out, &a);
        return;
    }
    out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + 2, a.b, 20);
}

/* The asset of flow f: its contract, symbol and decimals. */
static void eth_asset(const wmatch *m, const sl_eth_flowrec *f, wasset *as)
{
    sl_eth_addr a;
    const sl_eth_token *t;
    as->contract[0] = 0;
    sl_eth_asset_name(m->ec, f->asset, as->symbol);
    as->decimals = sl_eth_chain_info_get(m->ec)->decimals;
    if (f->asset == 0 || !sl_eth_asset_addr(m->ec, f->asset, &a)) return;
    if (sl_eth_chain_info_get(m->ec)->tron) {
        sl_tron_addr_encode(as->contract, &a);
    } else {
        as->contract[0] = '0', as->contract[1] = 'x';
        sl_hex_encode(as->contract + 2, a.b, 20);
    }
    t = sl_eth_token_find(sl_eth_chain_info_get(m->ec)->name, &a);
    as->decimals = t ? t->decimals : -1;
}

/* Whether watch x covers a flow of asset as, and the least amount that alerts (base
 * units): a watch without an asset covers every asset, its minimum bounding the coin only;
 * a watch of one asset has its minimum in that asset's unit (a token of unknown decimals:
 * its base units). */
static bool covers(const wentry *x, const wasset *as, unsigned __int128 *min)
{
    *min = 0;
    if (!x->asset[0]) {
        if (!as->contract[0]) *min = min_of(x, as->decimals);
        return true;
    }
    if (strcmp(x->asset, as->contract[0] ? as->contract : "native")) return false;
    *min = min_of(x, as->decimals < 0 ? 0 : as->decimals);
    return true;
}

int wm_eval_eth(wmatch *m, const wblock *b, uint32_t bidx, sl_error *e)
{
    const sl_eth_blockrec *r = sl_eth_block_at(m->ec, bidx);
    bool tron = sl_eth_chain_info_get(m->ec)->tron;
    int rc = SL_OK;
    for (uint64_t t = r->first_tx; t < r->first_tx + r->n_tx && !rc; t++) {
        const sl_eth_txrec *tx = sl_eth_tx_at(m->ec, t);
        char txh[67];
        if (!tx) break;
        txh[0] = '0', txh[1] = 'x'; /* Tron prints its hashes without 0x (as `sleuth tx` takes them) */
        sl_hex_encode(txh + (tron ? 0 : 2), tx->hash.b, 32);
        for (uint32_t k = 0; k < tx->n_flows && !rc; k++) {
            const sl_eth_flowrec *f = sl_eth_flow_at(m->ec, tx->first_flow + k);
            char from[43], to[43], amt[SL_U256_DEC_MAX], lab[200], cat[64];
            sl_u256 v;
            hit h[16];
            size_t nh;
            unsigned __int128 v128;
            wasset as;
            bool svc;
            if (!f) continue;
            eth_addr_text(m->ec, f->from, from);
            eth_addr_text(m->ec, f->to, to);
            if (!from[0]) continue;
            sl_eth_flow_amount(m->ec, f, &v);
            sl_u256_dec(amt, &v);
            v128 = sl_u256_fits(&v, 128) ? ((unsigned __int128)v.w[1] << 64 | v.w[0]) : ~(unsigned __int128)0;
            if (v128 == 0) continue; /* a zero transfer moves nothing (address-poisoning spam) */
            if ((rc = items_of(m, b->chain, "addr", from, h, 16, &nh, e))) break;
            if (!nh) continue;
            eth_asset(m, f, &as);
            svc = to[0] && service_of(m, b->chain, to, lab, sizeof lab, cat, sizeof cat);
            for (size_t i = 0; i < nh && !rc; i++) {
                const wentry *x = entry_of(m, h[i].watch);
                bool incident = x && strcmp(x->kind, "incident") == 0;
                unsigned __int128 min;
                /* an incident set's item is the address's taint in one asset */
                if (!x || (incident && strcmp(h[i].asset, as.contract)) || !covers(x, &as, &min) || v128 < min) continue;
                rc = raise_alert(m, b, x, "move", txh, k, from, amt, NULL, NULL, NULL, &as, e);
                if (!rc && svc) rc = raise_alert(m, b, x, "service", txh, k, to, amt, NULL, lab, cat, &as, e);
                /* an incident set follows the funds to the recipient */
                if (!rc && incident && to[0] && !svc) {
                    unsigned __int128 share = v128 < h[i].amount ? v128 : h[i].amount;
                    if (share && share >= min) rc = item_add(m, x->id, b->chain, "addr", to, as.contract, share, b->height, e);
                }
            }
        }
    }
    return rc;
}

/* ---------------- rollback ---------------- */

int wm_rollback(wmatch *m, const char *chain, uint64_t fork, const char *why, sl_error *e)
{
    sqlite3_stmt *st = NULL, *q = NULL;
    int rc, s;
    /* every alert above the fork that has no retraction yet gets one */
    if ((rc = wdb_prep(m->w, &st, "SELECT id, key, doc FROM alert WHERE type = 'alert' AND chain = ? AND height > ? AND"
                                  " NOT EXISTS (SELECT 1 FROM alert r WHERE r.key = 'retract:' || alert.key) ORDER BY id", e)))
        return rc;
    sqlite3_bind_text(st, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)fork);
    while ((s = sqlite3_step(st)) == SQLITE_ROW && !rc) {
        const char *key = (const char *)sqlite3_column_text(st, 1);
        cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(st, 2)), *doc = cJSON_CreateObject();
        char rkey[360];
        bool ins;
        static const char *const copy[] = {"event", "watch", "chain", "network", "height", "block", "tx", "index", "address",
                                           "amount", "unit", "asset"};
        cJSON_AddStringToObject(doc, "type", "retraction");
        cJSON_AddNullToObject(doc, "id");
        snprintf(rkey, sizeof rkey, "retract:%s", key);
        cJSON_AddStringToObject(doc, "key", rkey);
        cJSON_AddNumberToObject(doc, "retracts", (double)sqlite3_column_int64(st, 0));
        cJSON_AddStringToObject(doc, "retracts_key", key);
        for (size_t i = 0; a && i < sizeof copy / sizeof *copy; i++) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(a, copy[i]);
            if (v) cJSON_AddItemToObject(doc, copy[i], cJSON_Duplicate(v, true));
        }
        cJSON_AddStringToObject(doc, "reason", why);
        cJSON_AddNumberToObject(doc, "raised", (double)time(NULL));
        rc = wdb_alert_put(m->w, doc, rkey, &ins, e);
        if (!rc && ins) m->raised++;
        cJSON_Delete(doc);
        cJSON_Delete(a);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    /* the sets as they were at the fork */
    if ((rc = wdb_prep(m->w, &q, "DELETE FROM item WHERE chain = ? AND height > ?", e))) return rc;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (int64_t)fork);
    rc = sqlite3_step(q) == SQLITE_DONE ? SL_OK : wdb_fail(m->w, "roll back items", e);
    sqlite3_finalize(q);
    if (rc || (rc = wdb_prep(m->w, &q, "UPDATE item SET spent = NULL WHERE chain = ? AND spent > ?", e))) return rc;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (int64_t)fork);
    rc = sqlite3_step(q) == SQLITE_DONE ? SL_OK : wdb_fail(m->w, "roll back spends", e);
    sqlite3_finalize(q);
    if (rc || (rc = wdb_prep(m->w, &q, "DELETE FROM undo WHERE chain = ? AND height > ?", e))) return rc;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (int64_t)fork);
    rc = sqlite3_step(q) == SQLITE_DONE ? SL_OK : wdb_fail(m->w, "roll back the undo log", e);
    sqlite3_finalize(q);
    return rc;
}
