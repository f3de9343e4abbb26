/* eth_lookup.c — the account-chain look-up reports (Ethereum family and Tron: `sleuth
 * block`, `tx`, `address` for numbers, 0x hashes, 0x addresses and T-addresses): each
 * finds the chain that holds its argument (eth_find.c), then writes text for people or
 * builds the JSON document whose keys are the contract in docs/ETH.md. Amounts are exact:
 * JSON integers below 2^53, decimal strings above. Reached through sl_report_* (lookup.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/chains.h"
#include "sleuth/util.h"

/* A hash as the chain writes it: 0x and 64 hex digits, Tron without the 0x. */
static void hash_str(char out[67], const sl_eth_chain *c, const sl_hash256 *h)
{
    bool tron = sl_eth_chain_info_get(c)->tron;
    if (!tron) out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + (tron ? 0 : 2), h->b, 32);
}

static const char *skip_0x(const char *a) { return a + (a[0] == '0' && (a[1] == 'x' || a[1] == 'X') ? 2 : 0); }

/* ---------------- tx ---------------- */

typedef struct tx_view {
    const sl_eth_chain *c;
    const sl_eth_txrec *t;
    const sl_eth_blockrec *b;
    uint64_t id;
    sl_u256 v, fee;
    char hs[67], from[48], to[48];
} tx_view;

static int tx_find(sl_store *s, const sl_report_req *rq, tx_view *v, sl_error *e)
{
    const char *a = skip_0x(rq->arg);
    sl_hash256 h;
    uint64_t id = 0;
    if (strlen(a) != 64 || !sl_hex_decode(h.b, 32, a, 64))
        return sl_err(e, SL_EUSAGE, "'%s' is not a transaction hash (0x and 64 hex digits)", rq->arg);
    if (!(v->c = sl_eth_chain_with_tx(s, rq->chain, &h, &id)))
        return sl_err(e, SL_ENOTFOUND, "transaction %s not found in the store", rq->arg);
    v->id = id;
    v->t = sl_eth_tx_at(v->c, id);
    v->b = sl_eth_block_at(v->c, v->t->block);
    sl_eth_tx_value(v->c, v->t, &v->v);
    sl_eth_tx_fee(v->c, v->t, &v->fee);
    hash_str(v->hs, v->c, &v->t->hash);
    sl_eth_acct_name(v->c, v->t->from, v->from);
    sl_eth_acct_name(v->c, v->t->to, v->to);
    return SL_OK;
}

static cJSON *flow_json(const sl_eth_chain *c, const sl_eth_flowrec *f)
{
    cJSON *o = cJSON_CreateObject();
    char fa[48], ta[48], as[48];
    sl_u256 amt;
    sl_eth_acct_name(c, f->from, fa);
    sl_eth_acct_name(c, f->to, ta);
    sl_eth_asset_name(c, f->asset, as);
    sl_eth_flow_amount(c, f, &amt);
    cJSON_AddStringToObject(o, "from", fa);
    cJSON_AddStringToObject(o, "to", ta);
    cJSON_AddStringToObject(o, "asset", as);
    sl_json_u256(o, "amount", &amt);
    cJSON_AddStringToObject(o, "kind", sl_eth_flow_kind_name(f->kind));
    return o;
}

static cJSON *tx_json(const tx_view *v)
{
    const sl_eth_txrec *t = v->t;
    cJSON *j = cJSON_CreateObject(), *fl;
    cJSON_AddStringToObject(j, "hash", v->hs);
    cJSON_AddStringToObject(j, "chain", sl_eth_chain_info_get(v->c)->name);
    sl_json_u64(j, "block", v->b->number);
    sl_json_u64_or_null(j, "time", v->b->time, v->b->time != 0);
    sl_json_u64_or_null(j, "index", t->index, t->index != SL_ETH_NONE32);
    sl_json_str_or_null(j, "from", t->from ? v->from : NULL);
    sl_json_str_or_null(j, "to", t->to ? v->to : NULL);
    sl_json_u256(j, "value", &v->v);
    if (t->status == SL_ETH_STATUS_UNKNOWN) cJSON_AddNullToObject(j, "status");
    else sl_json_u64(j, "status", t->status);
    if (t->flags & SL_ETX_FEE_KNOWN) sl_json_u256(j, "fee", &v->fee);
    else cJSON_AddNullToObject(j, "fee");
    cJSON_AddBoolToObject(j, "contract_creation", (t->flags & SL_ETX_CREATED) != 0);
    fl = cJSON_AddArrayToObject(j, "flows");
    for (uint32_t k = 0; k < t->n_flows; k++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(v->c, t->first_flow + k);
        if (!f) break;
        cJSON_AddItemToArray(fl, flow_json(v->c, f));
    }
    return j;
}

/* Two lines a flow: its number (for trace --tx HASH:N), kind and amount, then sender ->
 * receiver (two 42-character addresses). */
static void flow_text(FILE *out, const sl_eth_chain *c, const sl_eth_flowrec *f, uint32_t k)
{
    char fr[48], ta[48], am[140];
    sl_u256 amt;
    sl_eth_acct_name(c, f->from, fr);
    sl_eth_acct_name(c, f->to, ta);
    sl_eth_flow_amount(c, f, &amt);
    sl_fmt_eth_amount(am, c, f->asset, &amt);
    sl_fmt_wrapf(out, 13, "    #%-3u %-8s %s", k, sl_eth_flow_kind_name(f->kind), am);
    fprintf(out, "         %s -> %s\n", fr, ta);
}

static void tx_text(FILE *out, const tx_view *v)
{
    const sl_eth_txrec *t = v->t;
    char tm[32], va[140], fa[140];
    sl_fmt_eth_amount(va, v->c, 0, &v->v);
    sl_fmt_eth_amount(fa, v->c, 0, &v->fee);
    sl_fmt_time(tm, v->b->time);
    fprintf(out, "transaction %s (%s)\n  block    %" PRIu64 "  %s\n  from     %s\n  to       %s%s\n", v->hs,
            sl_eth_chain_info_get(v->c)->name, v->b->number, tm, t->from ? v->from : "-", t->to ? v->to : "-",
            t->flags & SL_ETX_CREATED ? " (created)" : "");
    sl_fmt_wrapf(out, 11, "  value    %s", va);
    fprintf(out, "  status   %s\n", t->status == 1 ? "success" : t->status == 0 ? "failed" : "unknown");
    sl_fmt_wrapf(out, 11, "  fee      %s", t->flags & SL_ETX_FEE_KNOWN ? fa : "unknown");
    fprintf(out, "  flows    %u\n", t->n_flows);
    for (uint32_t k = 0; k < t->n_flows; k++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(v->c, t->first_flow + k);
        if (!f) break;
        flow_text(out, v->c, f, k);
    }
}

int sl_report_eth_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    tx_view v;
    const sl_chain_def *d;
    int rc = tx_find(s, rq, &v, e);
    if (rc) return rc;
    d = sl_chain_by_name(sl_eth_chain_info_get(v.c)->name);
    if (k->text) {
        tx_text(k->text, &v);
        return d ? sl_report_annot_text(k->text, s, d->id, v.id, e) : SL_OK;
    }
    *k->json = tx_json(&v);
    return *k->json && d ? sl_report_annot_json(s, d->id, v.id, *k->json, e) : SL_OK;
}

/* ---------------- block ---------------- */

/* A block number: decimal digits only (leading zeros too), at most 2^64-1. */
static bool block_number(const char *s, uint64_t *n)
{
    sl_u256 v;
    while (s[0] == '0' && s[1]) s++;
    if (!sl_u256_parse_dec(&v, s, strlen(s)) || !sl_u256_fits(&v, 64)) return false;
    *n = v.w[0];
    return true;
}

static int block_find(sl_store *s, const sl_report_req *rq, const sl_eth_chain **c, uint32_t *idx, sl_error *e)
{
    const char *a = skip_0x(rq->arg);
    bool by_hash = strlen(a) == 64;
    sl_hash256 h;
    uint64_t n = 0;
    if (by_hash ? !sl_hex_decode(h.b, 32, a, 64) : !block_number(rq->arg, &n))
        return sl_err(e, SL_EUSAGE, "'%s' is neither a block number nor a block hash", rq->arg);
    if (!(*c = sl_eth_chain_with_block(s, rq->chain, by_hash ? &h : NULL, n, idx)))
        return sl_err(e, SL_ENOTFOUND, "block %s not found in the store", rq->arg);
    return SL_OK;
}

static cJSON *block_json(const sl_eth_chain *c, const sl_eth_blockrec *b)
{
    cJSON *j = cJSON_CreateObject(), *arr;
    char hs[67], miner[48];
    hash_str(hs, c, &b->hash);
    sl_eth_acct_name(c, b->miner, miner);
    cJSON_AddStringToObject(j, "chain", sl_eth_chain_info_get(c)->name);
    sl_json_u64(j, "number", b->number);
    sl_json_str_or_null(j, "hash", memcmp(b->hash.b, (const uint8_t[32]){0}, 32) ? hs : NULL); /* 0: not given */
    sl_json_u64_or_null(j, "time", b->time, b->time != 0);
    sl_json_str_or_null(j, "miner", b->miner ? miner : NULL);
    sl_json_u64(j, "tx_count", b->n_tx);
    arr = cJSON_AddArrayToObject(j, "tx_hashes");
    for (uint32_t k = 0; k < b->n_tx; k++) {
        hash_str(hs, c, &sl_eth_tx_at(c, b->first_tx + k)->hash);
        cJSON_AddItemToArray(arr, cJSON_CreateString(hs));
    }
    return j;
}

static void block_text(FILE *out, const sl_eth_chain *c, const sl_eth_blockrec *b, const sl_report_req *rq)
{
    char hs[67], miner[48], tm[32];
    hash_str(hs, c, &b->hash);
    sl_eth_acct_name(c, b->miner, miner);
    sl_fmt_time(tm, b->time);
    fprintf(out, "block %" PRIu64 " (%s)\n  hash         %s\n  time         %s\n  miner        %s\n"
                 "  transactions %u\n", b->number, sl_eth_chain_info_get(c)->name, hs, tm, b->miner ? miner : "unknown",
            b->n_tx);
    for (uint64_t k = rq->offset; k < b->n_tx && k < rq->offset + rq->limit; k++) {
        hash_str(hs, c, &sl_eth_tx_at(c, b->first_tx + k)->hash);
        fprintf(out, "    %5" PRIu64 "  %s\n", k, hs);
    }
    if (b->n_tx > rq->offset + rq->limit)
        fprintf(out, "    ... %" PRIu64 " more (--offset/--limit)\n", (uint64_t)b->n_tx - rq->offset - rq->limit);
}

int sl_report_eth_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    const sl_eth_chain *c;
    uint32_t idx = 0;
    int rc = block_find(s, rq, &c, &idx, e);
    if (rc) return rc;
    if (k->text) block_text(k->text, c, sl_eth_block_at(c, idx), rq);
    else *k->json = block_json(c, sl_eth_block_at(c, idx));
    return SL_OK;
}

/* ---------------- address ---------------- */

typedef struct addr_view {
    const sl_eth_chain *c;
    sl_eth_acctstat st;
    char name[48];
} addr_view;

static int addr_find(sl_store *s, const sl_report_req *rq, addr_view *v, sl_error *e)
{
    sl_eth_addr a;
    if (!sl_eth_addr_parse(&a, rq->arg) && !sl_tron_addr_decode(&a, rq->arg))
        return sl_err(e, SL_EUSAGE, "'%s' is not an address (0x and 40 hex digits, or a Tron T-address)", rq->arg);
    if (!(v->c = sl_eth_chain_with_acct(s, rq->chain, &a, rq->arg[0] == 'T', &v->st)))
        return sl_err(e, SL_ENOTFOUND, "address %s not found in the store", rq->arg);
    sl_eth_acct_name(v->c, v->st.id, v->name);
    return SL_OK;
}

/* The walk of an account's history for addr_history. */
typedef struct hist_walk {
    const addr_view *v;
    const sl_report_req *rq;
    void (*row)(void *ctx, const char *hs, uint64_t block);
    void *ctx;
    uint64_t skipped, shown, last_tx;
} hist_walk;

static int history_row(void *ctx, uint64_t flow)
{
    hist_walk *w = ctx;
    const sl_eth_flowrec *f = sl_eth_flow_at(w->v->c, flow);
    const sl_eth_txrec *t;
    char hs[67];
    if (!f) return -1;
    if (f->tx == UINT64_MAX || f->tx == w->last_tx) return 0;
    w->last_tx = f->tx;
    if (w->skipped < w->rq->offset) { w->skipped++; return 0; }
    if (w->shown >= w->rq->limit || !(t = sl_eth_tx_at(w->v->c, f->tx))) return -1; /* the window is full */
    hash_str(hs, w->v->c, &t->hash);
    w->row(w->ctx, hs, sl_eth_block_at(w->v->c, t->block)->number);
    w->shown++;
    return 0;
}

/* Calls row with the hash of each tx of the window of the account's history, newest
 * first (block rewards, which belong to no tx, and repeats of one tx are skipped). Out of
 * memory shortens it (the report's end checks sl_alloc_failures). */
static void addr_history(const addr_view *v, const sl_report_req *rq, void (*row)(void *ctx, const char *hs, uint64_t block),
                         void *ctx)
{
    hist_walk w = {v, rq, row, ctx, 0, 0, UINT64_MAX - 1};
    sl_eth_acct_each_flow(v->c, v->st.id, true, history_row, &w);
}

typedef struct bal_json { const sl_eth_chain *c; cJSON *obj; } bal_json;

static void balance_json(void *ctx, uint32_t asset, const sl_u256 *in, const sl_u256 *out)
{
    bal_json *b = ctx;
    char name[48];
    sl_eth_asset_name(b->c, asset, name);
    sl_json_u256_diff(b->obj, name, in, out);
}

/* The JSON "history" of addr_json: per tx of the window, what the account received and
 * sent in each asset (its fee among what it sent), newest first, as `txs` lists them. The
 * flows of one tx come together in the walk; their sums per asset are kept in acc until
 * the tx changes. */
typedef struct hist_sum {
    uint32_t asset;
    sl_u256 in, out;
} hist_sum;
typedef struct hist_json {
    const addr_view *v;
    const sl_report_req *rq;
    cJSON *arr, *txs, *row; /* "history", "txs" (the same walk fills both) */
    uint64_t skipped, shown, tx;
    hist_sum *acc;
    size_t nacc, cap;
} hist_json;

/* Writes the sums of the current row (received / sent objects, assets by name). */
static void history_flush(hist_json *h)
{
    cJSON *rcv, *snt;
    char name[48];
    if (!h->row) return;
    rcv = cJSON_AddObjectToObject(h->row, "received");
    snt = cJSON_AddObjectToObject(h->row, "sent");
    for (size_t i = 0; i < h->nacc; i++) {
        sl_eth_asset_name(h->v->c, h->acc[i].asset, name);
        if (!sl_u256_is_zero(&h->acc[i].in)) sl_json_u256(rcv, name, &h->acc[i].in);
        if (!sl_u256_is_zero(&h->acc[i].out)) sl_json_u256(snt, name, &h->acc[i].out);
    }
    h->row = NULL, h->nacc = 0;
}

static int history_json_row(void *ctx, uint64_t flow)
{
    hist_json *h = ctx;
    const sl_eth_chain *c = h->v->c;
    const sl_eth_flowrec *f = sl_eth_flow_at(c, flow);
    const sl_eth_txrec *t;
    char hs[67];
    sl_u256 amount;
    size_t k;
    if (!f) return -1;
    if (f->tx == UINT64_MAX) return 0;
    if (f->tx != h->tx) { /* a new tx: a new row, or the end of the window */
        history_flush(h);
        h->tx = f->tx;
        if (h->skipped < h->rq->offset) {
            h->skipped++;
            return 0;
        }
        if (h->shown >= h->rq->limit || !(t = sl_eth_tx_at(c, f->tx))) return -1;
        const sl_eth_blockrec *b = sl_eth_block_at(c, t->block);
        hash_str(hs, c, &t->hash);
        h->shown++;
        h->row = cJSON_CreateObject();
        cJSON_AddStringToObject(h->row, "tx", hs);
        cJSON_AddItemToArray(h->txs, cJSON_CreateString(hs));
        sl_json_u64(h->row, "height", b->number);
        sl_json_u64_or_null(h->row, "time", b->time, b->time != 0);
        if (t->status == SL_ETH_STATUS_UNKNOWN) cJSON_AddNullToObject(h->row, "status");
        else sl_json_u64(h->row, "status", t->status);
        cJSON_AddItemToArray(h->arr, h->row);
    }
    if (!h->row || f->from == f->to) return 0; /* a skipped tx, or a flow to itself: moves nothing */
    for (k = 0; k < h->nacc && h->acc[k].asset != f->asset; k++) {}
    if (k == h->nacc) {
        void *q = h->acc;
        if (sl_grow(&q, &h->cap, h->nacc + 1, sizeof *h->acc)) return -1; /* out of memory: shorter (as addr_history) */
        h->acc = q;
        h->acc[h->nacc++] = (hist_sum){.asset = f->asset};
    }
    sl_eth_flow_amount(c, f, &amount);
    /* sums of one account's flows in one tx cannot pass 2^256 (the chain's own supply bound) */
    if (f->to == h->v->st.id && !sl_u256_add(&h->acc[k].in, &h->acc[k].in, &amount)) return -1;
    if (f->from == h->v->st.id && !sl_u256_add(&h->acc[k].out, &h->acc[k].out, &amount)) return -1;
    return 0;
}

static cJSON *addr_json(const addr_view *v, const sl_report_req *rq)
{
    const sl_eth_acctstat *st = &v->st;
    cJSON *j = cJSON_CreateObject();
    bal_json b = {v->c, NULL};
    cJSON_AddStringToObject(j, "address", v->name);
    cJSON_AddStringToObject(j, "chain", sl_eth_chain_info_get(v->c)->name);
    b.obj = cJSON_AddObjectToObject(j, "balances");
    sl_eth_balances(v->c, st->id, balance_json, &b);
    sl_json_u64(j, "flows_in", st->n_in);
    sl_json_u64(j, "flows_out", st->n_out);
    sl_json_u64_or_null(j, "first_seen", st->first_time, st->first_time != UINT64_MAX && st->first_time);
    sl_json_u64_or_null(j, "last_seen", st->last_time, st->last_time != 0);
    sl_json_u64(j, "offset", rq->offset);
    sl_json_u64(j, "limit", rq->limit);
    cJSON *txs = cJSON_AddArrayToObject(j, "txs");
    hist_json h = {.v = v, .rq = rq, .arr = cJSON_AddArrayToObject(j, "history"), .txs = txs, .tx = UINT64_MAX - 1};
    sl_eth_acct_each_flow(v->c, v->st.id, true, history_json_row, &h);
    history_flush(&h);
    sl_free(h.acc);
    return j;
}

typedef struct text_ctx { FILE *out; const sl_eth_chain *c; } text_ctx;

static void balance_text(void *ctx, uint32_t asset, const sl_u256 *in, const sl_u256 *out)
{
    text_ctx *t = ctx;
    char am[140];
    sl_u256 v;
    bool neg = sl_u256_cmp(in, out) < 0;
    if (!(neg ? sl_u256_sub(&v, out, in) : sl_u256_sub(&v, in, out))) memset(&v, 0, sizeof v);
    sl_fmt_eth_amount(am, t->c, asset, &v);
    sl_fmt_wrapf(t->out, 6, "    %s%s", neg ? "-" : "", am);
}

static void tx_hash_text(void *ctx, const char *hs, uint64_t block) { fprintf(ctx, "    %s  block %" PRIu64 "\n", hs, block); }

static void addr_text(FILE *out, const addr_view *v, const sl_report_req *rq)
{
    const sl_eth_acctstat *st = &v->st;
    text_ctx t = {out, v->c};
    char f1[32], f2[32];
    sl_fmt_time(f1, st->first_time == UINT64_MAX ? 0 : st->first_time);
    sl_fmt_time(f2, st->last_time);
    fprintf(out, "address %s (%s)\n  balances (received - sent; below zero when what it spent arrived\n"
                 "  before the ingested blocks)\n", v->name, sl_eth_chain_info_get(v->c)->name);
    sl_eth_balances(v->c, st->id, balance_text, &t);
    fprintf(out, "  flows      %" PRIu64 " in, %" PRIu64 " out\n  first seen %s\n  last seen  %s\n  txs (newest first)\n",
            st->n_in, st->n_out, f1, f2);
    addr_history(v, rq, tx_hash_text, out);
}

int sl_report_eth_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    addr_view v;
    int rc = addr_find(s, rq, &v, e);
    if (rc) return rc;
    if (k->text) addr_text(k->text, &v, rq);
    else *k->json = addr_json(&v, rq);
    return SL_OK;
}
