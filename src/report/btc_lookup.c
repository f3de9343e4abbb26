/* btc_lookup.c — the Bitcoin-family look-up reports (`sleuth block`, `tx`, `address`):
 * each resolves its argument to the store's records, then writes them as text for people
 * or builds the JSON document whose keys are the contract in docs/JSON.md. Reached
 * through sl_report_* (lookup.c), which checks memory and writes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/chains.h"
#include "sleuth/util.h"

static int not_found(sl_error *e, const char *what, const char *arg)
{
    return sl_err(e, SL_ENOTFOUND, "%s %s not found in the store", what, arg);
}

static void addr_string(const sl_store *s, uint32_t id, char out[100])
{
    sl_btc_addr a;
    out[0] = 0;
    if (id && sl_btc_addr_key(s, id, &a) == SL_OK) sl_btc_addr_encode(out, sl_store_btc_net(s), &a);
}

static void txid_of(const sl_store *s, uint64_t id, char out[65]) { sl_hash_hex(out, sl_btc_txid(s, id)); }

/* ---------------- block ---------------- */

typedef struct block_view {
    const sl_btc_blockrec *b;
    char hx[65], px[65], mx[65], tm[32];
} block_view;

/* A 64-digit hash or a height (decimal, below 2^32-1). */
static int block_find(const sl_store *s, const char *arg, uint32_t *idx, sl_error *e)
{
    sl_hash256 h;
    char *end;
    unsigned long long ht;
    if (strlen(arg) == 64 && sl_hash_parse(&h, arg))
        return sl_btc_block_by_hash(s, &h, idx) ? not_found(e, "block", arg) : SL_OK;
    ht = strtoull(arg, &end, 10);
    if (*end || !arg[0] || arg[0] == '-' || ht >= SL_NONE32)
        return sl_err(e, SL_EUSAGE, "'%s' is neither a 64-digit block hash nor a height", arg);
    return sl_btc_block_by_height(s, (uint32_t)ht, idx) ? not_found(e, "block", arg) : SL_OK;
}

/* Inputs, outputs, fees (null when an input value is unknown), coinbase payout and the
 * count of each output type. */
static void block_totals(const sl_store *s, const sl_btc_blockrec *b, cJSON *j)
{
    uint64_t nin = 0, nout = 0, fees = 0, payout = 0, types[16] = {0};
    bool fees_known = true;
    cJSON *ty;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        uint64_t id = b->first_tx + t, fee;
        uint64_t fo = sl_btc_tx_first_out(s, id);
        uint32_t no = sl_btc_tx_n_out(s, id);
        nin += sl_btc_tx_n_in(s, id);
        nout += no;
        for (uint32_t k = 0; k < no; k++) {
            sl_btc_outrec o;
            sl_btc_out_get(s, fo + k, &o);
            types[o.type & 15]++;
            if (t == 0) payout += o.value;
        }
        if (t > 0) {
            if (sl_btc_tx_fee(s, id, &fee) == SL_OK) fees += fee;
            else fees_known = false;
        }
    }
    sl_json_u64(j, "inputs", nin);
    sl_json_u64(j, "outputs", nout);
    sl_json_u64_or_null(j, "fees", fees, fees_known);
    sl_json_u64(j, "coinbase_value", payout);
    ty = cJSON_AddObjectToObject(j, "output_types");
    for (int k = 0; k < 16; k++)
        if (types[k]) sl_json_u64(ty, sl_script_type_name(k), types[k]);
}

static cJSON *block_json(const sl_store *s, const block_view *v)
{
    const sl_btc_blockrec *b = v->b;
    cJSON *j = cJSON_CreateObject(), *arr;
    cJSON_AddStringToObject(j, "hash", v->hx);
    sl_json_u64_or_null(j, "height", b->height, b->height != SL_NONE32);
    sl_json_u64(j, "time", b->time);
    cJSON_AddStringToObject(j, "prev_hash", v->px);
    cJSON_AddStringToObject(j, "merkle_root", v->mx);
    sl_json_u64(j, "tx_count", b->n_tx);
    sl_json_u64(j, "version", b->version);
    sl_json_u64(j, "bits", b->bits);
    sl_json_u64(j, "nonce", b->nonce);
    sl_json_u64(j, "size", b->size);
    sl_json_u64(j, "weight", b->weight);
    block_totals(s, b, j);
    arr = cJSON_AddArrayToObject(j, "txids");
    for (uint32_t t = 0; t < b->n_tx; t++) {
        char tx[65];
        txid_of(s, b->first_tx + t, tx);
        cJSON_AddItemToArray(arr, cJSON_CreateString(tx));
    }
    return j;
}

static void block_text(FILE *f, const sl_store *s, const block_view *v, const sl_report_req *rq)
{
    const sl_btc_blockrec *b = v->b;
    fprintf(f, "block %s\n", v->hx);
    if (b->height != SL_NONE32) fprintf(f, "  height       %u\n", b->height);
    else fprintf(f, "  height       unknown (isolated block without BIP-34 height)\n");
    fprintf(f, "  time         %s (%u)\n  prev         %s\n  merkle root  %s\n", v->tm, b->time, v->px, v->mx);
    fprintf(f, "  version      0x%08x  bits 0x%08x  nonce %u\n  size         %u bytes, weight %u\n", b->version,
            b->bits, b->nonce, b->size, b->weight);
    fprintf(f, "  transactions %u\n", b->n_tx);
    for (uint64_t t = rq->offset; t < b->n_tx && t < rq->offset + rq->limit; t++) {
        char tx[65];
        txid_of(s, b->first_tx + t, tx);
        fprintf(f, "    %5" PRIu64 "  %s\n", t, tx);
    }
    if (b->n_tx > rq->offset + rq->limit)
        fprintf(f, "    ... %" PRIu64 " more (--offset/--limit)\n", (uint64_t)b->n_tx - rq->offset - rq->limit);
}

int sl_report_btc_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    block_view v;
    uint32_t idx;
    int rc = block_find(s, rq->arg, &idx, e);
    if (rc) return rc;
    v.b = sl_btc_block_at(s, idx);
    sl_hash_hex(v.hx, &v.b->hash);
    sl_hash_hex(v.px, &v.b->prev);
    sl_hash_hex(v.mx, &v.b->merkle);
    sl_fmt_time(v.tm, v.b->time);
    if (k->text) block_text(k->text, s, &v, rq);
    else *k->json = block_json(s, &v);
    return SL_OK;
}

/* ---------------- tx ---------------- */

typedef struct tx_view {
    uint64_t ids[8], id, fee;
    int n; /* how many txs have this txid (BIP-30 duplicates); id is the latest */
    sl_btc_txrec t;
    const sl_btc_blockrec *b;
    uint32_t nin, nout;
    bool fee_known;
    sl_hash256 w;
    char tx[65], wx[65], bx[65], tm[32];
} tx_view;

static int tx_find(const sl_store *s, const char *arg, tx_view *v, sl_error *e)
{
    sl_hash256 h;
    if (!sl_hash_parse(&h, arg)) return sl_err(e, SL_EUSAGE, "'%s' is not a 64-digit hex txid", arg);
    if ((v->n = sl_btc_tx_find(s, &h, v->ids, 8)) == 0) return not_found(e, "transaction", arg);
    v->id = v->ids[v->n - 1]; /* BIP-30 duplicates: the latest, as Bitcoin Core's UTXO set has it */
    if (sl_btc_tx_get(s, v->id, &v->t)) return not_found(e, "transaction", arg);
    v->b = sl_btc_block_at(s, v->t.block);
    v->nin = sl_btc_tx_n_in(s, v->id);
    v->nout = sl_btc_tx_n_out(s, v->id);
    v->fee_known = sl_btc_tx_fee(s, v->id, &v->fee) == SL_OK;
    sl_btc_tx_wtxid(s, v->id, &v->w);
    sl_hash_hex(v->tx, &v->t.txid);
    sl_hash_hex(v->wx, &v->w);
    sl_hash_hex(v->bx, &v->b->hash);
    sl_fmt_time(v->tm, v->b->time);
    return SL_OK;
}

static cJSON *tx_json_input(const sl_store *s, uint64_t in)
{
    sl_btc_inview v;
    cJSON *o = cJSON_CreateObject();
    char px[65], ad[100];
    sl_btc_in_view(s, in, &v);
    sl_hash_hex(px, &v.prev_txid);
    addr_string(s, v.addr, ad);
    cJSON_AddStringToObject(o, "prev_txid", px);
    sl_json_u64(o, "prev_vout", v.prev_vout);
    sl_json_u64_or_null(o, "value", v.value, v.value != UINT64_MAX);
    sl_json_str_or_null(o, "address", ad[0] ? ad : NULL);
    if (v.coinbase) cJSON_AddStringToObject(o, "type", "coinbase");
    else if (v.value == UINT64_MAX) cJSON_AddNullToObject(o, "type");
    else cJSON_AddStringToObject(o, "type", sl_script_type_name(v.type));
    return o;
}

static cJSON *tx_json_output(const sl_store *s, const sl_btc_txrec *t, uint32_t k)
{
    sl_btc_outrec orec;
    cJSON *o = cJSON_CreateObject();
    char ad[100];
    uint64_t stx;
    uint32_t svin;
    sl_btc_out_get(s, t->first_out + k, &orec);
    addr_string(s, orec.addr, ad);
    sl_json_u64(o, "n", k);
    sl_json_u64(o, "value", orec.value);
    sl_json_str_or_null(o, "address", ad[0] ? ad : NULL);
    cJSON_AddStringToObject(o, "type", sl_script_type_name(orec.type));
    if (sl_btc_outpoint_spender(s, t->id, k, &stx, &svin) == SL_OK) {
        cJSON *sb = cJSON_AddObjectToObject(o, "spent_by");
        char sx[65];
        txid_of(s, stx, sx);
        cJSON_AddStringToObject(sb, "txid", sx);
        sl_json_u64(sb, "vin", svin);
    } else {
        cJSON_AddNullToObject(o, "spent_by");
    }
    return o;
}

static cJSON *tx_json(const sl_store *s, const tx_view *v)
{
    const sl_btc_txrec *t = &v->t;
    cJSON *j = cJSON_CreateObject(), *ins, *outs;
    cJSON_AddStringToObject(j, "txid", v->tx);
    cJSON_AddStringToObject(j, "wtxid", v->wx);
    cJSON_AddStringToObject(j, "block_hash", v->bx);
    sl_json_u64_or_null(j, "height", v->b->height, v->b->height != SL_NONE32);
    sl_json_u64(j, "time", v->b->time);
    sl_json_u64_or_null(j, "fee", v->fee, v->fee_known);
    sl_json_u64(j, "size", t->size);
    sl_json_u64(j, "vsize", (t->weight + 3) / 4);
    sl_json_u64(j, "weight", t->weight);
    cJSON_AddBoolToObject(j, "coinbase", t->flags & SL_TX_COINBASE);
    if (v->n > 1) {
        cJSON *d = cJSON_AddArrayToObject(j, "duplicate_of_earlier_blocks");
        for (int k = 0; k < v->n - 1; k++) {
            char ox[65];
            sl_hash_hex(ox, &sl_btc_block_at(s, sl_btc_tx_block(s, v->ids[k]))->hash);
            cJSON_AddItemToArray(d, cJSON_CreateString(ox));
        }
    }
    ins = cJSON_AddArrayToObject(j, "inputs");
    for (uint32_t i = 0; i < v->nin; i++) cJSON_AddItemToArray(ins, tx_json_input(s, t->first_in + i));
    outs = cJSON_AddArrayToObject(j, "outputs");
    for (uint32_t k = 0; k < v->nout; k++) cJSON_AddItemToArray(outs, tx_json_output(s, t, k));
    return j;
}

static void tx_text_head(FILE *f, const tx_view *v)
{
    const sl_btc_txrec *t = &v->t;
    char c1[32];
    fprintf(f, "transaction %s\n", v->tx);
    if (memcmp(v->w.b, t->txid.b, 32)) fprintf(f, "  wtxid    %s\n", v->wx);
    if (v->b->height != SL_NONE32) fprintf(f, "  block    %u  %s\n", v->b->height, v->bx);
    else fprintf(f, "  block    %s (height unknown)\n", v->bx);
    fprintf(f, "  time     %s\n  size     %u bytes, vsize %u, weight %u\n", v->tm, t->size, (t->weight + 3) / 4,
            t->weight);
    if (v->n > 1)
        sl_fmt_wrapf(f, 11, "  note     this txid also appears in %d earlier block(s) (BIP-30 duplicate); shown: the latest",
                     v->n - 1);
    if (v->fee_known) {
        sl_fmt_coins(c1, v->fee);
        fprintf(f, "  fee      %s BTC (%" PRIu64 " sat)\n", c1, v->fee);
    } else {
        sl_fmt_wrapf(f, 11, "  fee      unknown (an input's spent output is not in the store; see --prevouts)");
    }
}

/* Two lines an input or output: the 64-digit txid of where it came from or went stays
 * whole (it is what the next command takes). */
static void tx_text_input(FILE *f, const sl_store *s, uint64_t in, uint32_t i)
{
    sl_btc_inview v;
    char px[65], ad[100], c1[32];
    sl_btc_in_view(s, in, &v);
    if (v.coinbase) { fprintf(f, "    #%-3u coinbase (new coins)\n", i); return; }
    sl_hash_hex(px, &v.prev_txid);
    addr_string(s, v.addr, ad);
    if (v.value != UINT64_MAX) {
        sl_fmt_coins(c1, v.value);
        sl_fmt_wrapf(f, 13, "    #%-3u %16s BTC  %s", i, c1, ad[0] ? ad : "(no address)");
    } else {
        sl_fmt_wrapf(f, 13, "    #%-3u %16s      %s", i, "?", "(spent output not in the store)");
    }
    fprintf(f, "             from %s:%u\n", px, v.prev_vout);
}

static void tx_text_output(FILE *f, const sl_store *s, const sl_btc_txrec *t, uint32_t k)
{
    sl_btc_outrec orec;
    char ad[100], c1[32], sx[65];
    uint64_t stx;
    uint32_t svin;
    sl_btc_out_get(s, t->first_out + k, &orec);
    addr_string(s, orec.addr, ad);
    sl_fmt_coins(c1, orec.value);
    sl_fmt_wrapf(f, 13, "    #%-3u %16s BTC  %-42s  %s", k, c1, ad[0] ? ad : "(no address)",
                 sl_script_type_name(orec.type));
    if (sl_btc_outpoint_spender(s, t->id, k, &stx, &svin) == SL_OK) {
        txid_of(s, stx, sx);
        fprintf(f, "             spent by %s:%u\n", sx, svin);
    } else {
        fprintf(f, "             unspent\n");
    }
}

static void tx_text(FILE *f, const sl_store *s, const tx_view *v, const sl_report_req *rq)
{
    tx_text_head(f, v);
    fprintf(f, "  inputs   %u\n", v->nin);
    for (uint64_t i = rq->offset; i < v->nin && i < rq->offset + rq->limit; i++)
        tx_text_input(f, s, v->t.first_in + i, (uint32_t)i);
    fprintf(f, "  outputs  %u\n", v->nout);
    for (uint64_t k = rq->offset; k < v->nout && k < rq->offset + rq->limit; k++) tx_text_output(f, s, &v->t, (uint32_t)k);
}

int sl_report_btc_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    tx_view v;
    int rc = tx_find(s, rq->arg, &v, e);
    if (rc) return rc;
    if (k->text) {
        tx_text(k->text, s, &v, rq);
        return sl_report_annot_text(k->text, s, SL_CHAIN_BTC, v.id, e);
    }
    *k->json = tx_json(s, &v);
    return *k->json ? sl_report_annot_json(s, SL_CHAIN_BTC, v.id, *k->json, e) : SL_OK;
}

/* ---------------- address ---------------- */

typedef struct addr_view {
    sl_btc_addr a;
    sl_btc_addrstat st;
    const sl_btc_blockrec *fb, *lb; /* first and last seen */
    char ad[100];
} addr_view;

static int addr_find(const sl_store *s, const char *arg, addr_view *v, sl_error *e)
{
    if (!sl_btc_addr_decode(&v->a, sl_store_btc_net(s), arg)) {
        char why[300];
        sl_btc_addr_explain(why, sizeof why, sl_store_btc_net(s), arg);
        return sl_err(e, SL_EUSAGE, "%s", why);
    }
    if (sl_btc_addr_lookup(s, &v->a, &v->st)) return sl_err(e, SL_ENOTFOUND, "address not found in the store");
    sl_btc_addr_encode(v->ad, sl_store_btc_net(s), &v->a);
    v->fb = sl_btc_block_at(s, v->st.first_block);
    v->lb = sl_btc_block_at(s, v->st.last_block);
    return SL_OK;
}

/* One tx of an address's history: what the address received and spent in it. */
typedef struct hist_row {
    char tx[65];
    const sl_btc_blockrec *b;
    uint64_t recv, spent;
} hist_row;

static void hist_row_of(const sl_store *s, uint64_t id, uint32_t aid, hist_row *r)
{
    uint64_t fo = sl_btc_tx_first_out(s, id), fi = sl_btc_tx_first_in(s, id);
    uint32_t nin = sl_btc_tx_n_in(s, id), nout = sl_btc_tx_n_out(s, id);
    sl_hash_hex(r->tx, sl_btc_txid(s, id));
    r->b = sl_btc_block_at(s, sl_btc_tx_block(s, id));
    r->recv = r->spent = 0;
    for (uint32_t k = 0; k < nout; k++)
        if (sl_btc_out_addr(s, fo + k) == aid) r->recv += sl_btc_out_value(s, fo + k);
    for (uint32_t i = 0; i < nin; i++) {
        uint32_t a;
        uint64_t v = sl_btc_in_value(s, fi + i, &a);
        if (a == aid && v != UINT64_MAX) r->spent += v;
    }
}

/* Calls row for each tx of the window of the address's history, newest first; returns
 * how many it showed. */
static uint64_t addr_history(const sl_store *s, const addr_view *v, const sl_report_req *rq,
                             void (*row)(void *ctx, const hist_row *r), void *ctx)
{
    uint64_t total = 0, want, got, *txs;
    sl_btc_addr_txs(s, v->st.id, 0, NULL, 0, &total);
    want = total > rq->offset ? total - rq->offset : 0;
    if (want > rq->limit) want = rq->limit;
    if (!want) return 0;
    if (!(txs = sl_malloc(want * sizeof *txs))) return 0; /* the caller sees the allocation failure */
    got = sl_btc_addr_txs(s, v->st.id, rq->offset, txs, want, NULL);
    for (uint64_t k = 0; k < got; k++) {
        hist_row r;
        hist_row_of(s, txs[k], v->st.id, &r);
        row(ctx, &r);
    }
    sl_free(txs);
    return got;
}

typedef struct hist_json { cJSON *txs, *hist; } hist_json;

static void hist_row_json(void *ctx, const hist_row *r)
{
    hist_json *hj = ctx;
    cJSON *h = cJSON_CreateObject();
    cJSON_AddItemToArray(hj->txs, cJSON_CreateString(r->tx));
    cJSON_AddStringToObject(h, "txid", r->tx);
    sl_json_u64_or_null(h, "height", r->b->height, r->b->height != SL_NONE32);
    sl_json_u64(h, "time", r->b->time);
    sl_json_u64(h, "received", r->recv);
    sl_json_u64(h, "spent", r->spent);
    cJSON_AddItemToArray(hj->hist, h);
}

static cJSON *addr_json(const sl_store *s, const addr_view *v, const sl_report_req *rq)
{
    const sl_btc_addrstat *st = &v->st;
    cJSON *j = cJSON_CreateObject();
    hist_json hj;
    cJSON_AddStringToObject(j, "address", v->ad);
    cJSON_AddStringToObject(j, "type", sl_btc_addr_type(&v->a));
    sl_json_u64(j, "received", st->received);
    sl_json_u64(j, "spent", st->spent);
    /* spent > received only when the address spent outputs that are not in the store
     * (isolated blocks with prevout files): its balance is then unknown, never wrapped */
    sl_json_u64_or_null(j, "balance", st->received - st->spent, st->spent <= st->received);
    sl_json_u64(j, "tx_count", st->n_tx);
    sl_json_u64(j, "outputs_received", st->n_out);
    sl_json_u64(j, "outputs_spent", st->n_spent);
    sl_json_u64(j, "first_seen", st->first_time);
    sl_json_u64(j, "last_seen", st->last_time);
    sl_json_u64_or_null(j, "first_seen_height", v->fb->height, v->fb->height != SL_NONE32);
    sl_json_u64_or_null(j, "last_seen_height", v->lb->height, v->lb->height != SL_NONE32);
    sl_json_u64(j, "offset", rq->offset);
    sl_json_u64(j, "limit", rq->limit);
    hj.txs = cJSON_AddArrayToObject(j, "txs");
    hj.hist = cJSON_AddArrayToObject(j, "history");
    addr_history(s, v, rq, hist_row_json, &hj);
    return j;
}

static void hist_row_text(void *ctx, const hist_row *r)
{
    char tm[32], r1[32], s1[32], ht[24] = "unknown";
    sl_fmt_time(tm, r->b->time);
    sl_fmt_coins(r1, r->recv);
    sl_fmt_coins(s1, r->spent);
    if (r->b->height != SL_NONE32) snprintf(ht, sizeof ht, "%u", r->b->height);
    fprintf(ctx, "    %s  height %-7s  received %s  spent %s BTC\n      tx %s\n", tm, ht, r1, s1, r->tx);
}

static void seen_text(FILE *f, const char *label, uint64_t t, const sl_btc_blockrec *b)
{
    char tm[32];
    sl_fmt_time(tm, t);
    if (b->height != SL_NONE32) fprintf(f, "  %s %s (height %u)\n", label, tm, b->height);
    else fprintf(f, "  %s %s (height unknown)\n", label, tm);
}

static void addr_text(FILE *f, const sl_store *s, const addr_view *v, const sl_report_req *rq)
{
    const sl_btc_addrstat *st = &v->st;
    char c1[32];
    uint64_t shown;
    fprintf(f, "address %s (%s)\n", v->ad, sl_btc_addr_type(&v->a));
    if (st->spent <= st->received) {
        sl_fmt_coins(c1, st->received - st->spent);
        fprintf(f, "  balance    %s BTC (%" PRIu64 " sat)\n", c1, st->received - st->spent);
    } else {
        fprintf(f, "  balance    unknown (it spent outputs that are not in the store)\n");
    }
    sl_fmt_coins(c1, st->received);
    fprintf(f, "  received   %s BTC in %" PRIu64 " outputs\n", c1, st->n_out);
    sl_fmt_coins(c1, st->spent);
    fprintf(f, "  spent      %s BTC from %" PRIu64 " outputs\n", c1, st->n_spent);
    fprintf(f, "  txs        %" PRIu64 "\n", st->n_tx);
    seen_text(f, "first seen", st->first_time, v->fb);
    seen_text(f, "last seen ", st->last_time, v->lb);
    fprintf(f, "  history (newest first)\n");
    shown = addr_history(s, v, rq, hist_row_text, f);
    if (st->n_tx > rq->offset + shown)
        fprintf(f, "    ... %" PRIu64 " more (--offset/--limit)\n", st->n_tx - rq->offset - shown);
}

int sl_report_btc_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    addr_view v;
    int rc = addr_find(s, rq->arg, &v, e);
    if (rc) return rc;
    if (k->text) addr_text(k->text, s, &v, rq);
    else *k->json = addr_json(s, &v, rq);
    return SL_OK;
}
