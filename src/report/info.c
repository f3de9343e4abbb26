/* info.c — the `sleuth info` report: what the store holds, chain by chain (the store's
 * chain registry, sleuth/chains.h: Bitcoin and every account chain), each with its blocks,
 * height range, transactions, flows, addresses and time range; as text or one JSON
 * document (docs/JSON.md) that also keeps the "btc" object older programs read. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/annot.h"
#include "sleuth/util.h"

/* The figures every chain has. Ranges are over the stored blocks (an isolated block can
 * lie far from the others); unknown heights and times (0) are left out of them. */
typedef struct chain_sum {
    const char *chain, *model;
    uint64_t blocks, txs, flows, addresses;
    bool heights, times; /* a range is known */
    uint64_t h_min, h_max, t_min, t_max;
} chain_sum;

/* Bitcoin's tips: the highest block, and the end of the chain linked from genesis. */
typedef struct btc_tips {
    const sl_btc_blockrec *tip, *ltip;
    char hx[65], lhx[65];
} btc_tips;

static void range_add(bool *have, uint64_t *lo, uint64_t *hi, uint64_t v)
{
    if (!*have || v < *lo) *lo = v;
    if (!*have || v > *hi) *hi = v;
    *have = true;
}

static const char *btc_network(const sl_btc_meta *m) { return m->network[0] ? m->network : "bitcoin"; }

static void btc_sum(const sl_store *s, chain_sum *c)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    memset(c, 0, sizeof *c);
    c->chain = "bitcoin", c->model = "utxo";
    c->blocks = m->n_blocks, c->txs = m->n_tx, c->flows = m->n_out, c->addresses = m->n_addr - 1;
    for (uint64_t i = 0; i < m->n_blocks; i++) {
        const sl_btc_blockrec *b = sl_btc_block_at(s, i);
        if (b->height != SL_NONE32) range_add(&c->heights, &c->h_min, &c->h_max, b->height);
        if (b->time) range_add(&c->times, &c->t_min, &c->t_max, b->time);
    }
}

static void btc_tips_of(const sl_store *s, btc_tips *t)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    memset(t, 0, sizeof *t);
    t->tip = m->max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, m->max_height_block);
    t->ltip = m->chain_tip == SL_NONE32 ? NULL : sl_btc_block_at(s, m->chain_tip);
    if (t->tip) sl_hash_hex(t->hx, &t->tip->hash);
    if (t->ltip) sl_hash_hex(t->lhx, &t->ltip->hash);
}

static void eth_sum(const sl_eth_chain *ch, chain_sum *c)
{
    const sl_eth_meta *m = sl_eth_meta_get(ch);
    memset(c, 0, sizeof *c);
    c->chain = sl_eth_chain_info_get(ch)->name, c->model = "account";
    c->blocks = m->n_blocks, c->txs = m->n_tx, c->flows = m->n_flows;
    c->addresses = m->n_accts > SL_SINK_N ? m->n_accts - SL_SINK_N : 0; /* ids 0-3 are the sinks */
    for (uint64_t i = 0; i < m->n_blocks; i++) {
        const sl_eth_blockrec *b = sl_eth_block_at(ch, i);
        range_add(&c->heights, &c->h_min, &c->h_max, b->number);
        if (b->time) range_add(&c->times, &c->t_min, &c->t_max, b->time);
    }
}

/* The annotations' counts (annot.h): SL_OK, SL_ENOTFOUND when the store keeps none
 * (ingested before they existed), or the db's error. */
static int annot_counts(sl_store *s, uint64_t n[4], sl_error *e)
{
    sl_annot *a;
    int rc = sl_annot_open(&a, s, e);
    if (rc) return rc;
    rc = sl_annot_count(a, n, e);
    sl_annot_close(a);
    return rc;
}

/* ---------------- JSON ---------------- */

static cJSON *sum_json(const chain_sum *c, uint16_t chain_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chain", c->chain);
    cJSON_AddStringToObject(o, "model", c->model);
    sl_json_u64(o, "blocks", c->blocks);
    sl_json_u64_or_null(o, "height_min", c->h_min, c->heights);
    sl_json_u64_or_null(o, "height_max", c->h_max, c->heights);
    sl_json_u64(o, "txs", c->txs);
    sl_json_u64(o, "flows", c->flows);
    sl_json_u64(o, "addresses", c->addresses);
    sl_json_u64_or_null(o, "time_min", c->t_min, c->times);
    sl_json_u64_or_null(o, "time_max", c->t_max, c->times);
    sl_json_u64(o, "chain_id", chain_id);
    return o;
}

/* "btc" as before (programs read it), whatever the store holds. */
static void btc_legacy_json(cJSON *j, const sl_store *s, const btc_tips *t, uint64_t bytes)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    cJSON *b = cJSON_AddObjectToObject(j, "btc");
    cJSON_AddStringToObject(b, "network", btc_network(m));
    sl_json_u64(b, "blocks", m->n_blocks);
    sl_json_u64(b, "txs", m->n_tx);
    sl_json_u64(b, "inputs", m->n_in);
    sl_json_u64(b, "outputs", m->n_out);
    sl_json_u64(b, "addresses", m->n_addr - 1);
    sl_json_u64_or_null(b, "tip_height", t->tip ? t->tip->height : 0, t->tip != NULL);
    sl_json_str_or_null(b, "tip_hash", t->tip ? t->hx : NULL);
    sl_json_u64_or_null(b, "linked_tip_height", t->ltip ? t->ltip->height : 0, t->ltip != NULL);
    sl_json_str_or_null(b, "linked_tip_hash", t->ltip ? t->lhx : NULL);
    sl_json_u64(b, "store_bytes", bytes);
}

/* The "chains" entry of one chain of the registry; NULL when it cannot be opened. */
static cJSON *chain_json(sl_store *s, const sl_chain_def *def)
{
    chain_sum cs;
    cJSON *o;
    if (def->model == SL_MODEL_UTXO) {
        const sl_btc_meta *m = sl_btc_meta_get(s);
        btc_sum(s, &cs);
        o = sum_json(&cs, def->id);
        cJSON_AddStringToObject(o, "network", btc_network(m));
        sl_json_u64(o, "inputs", m->n_in);
        sl_json_u64(o, "outputs", m->n_out);
    } else {
        sl_eth_chain *ch;
        sl_error e = {0};
        const sl_eth_meta *em;
        if (sl_eth_chain_open(s, def->name, &ch, &e)) return NULL;
        eth_sum(ch, &cs);
        em = sl_eth_meta_get(ch);
        o = sum_json(&cs, def->id);
        sl_json_u64(o, "tokens", em->n_assets > 1 ? em->n_assets - 1 : 0);
    }
    return o;
}

static cJSON *info_json(sl_store *s, const sl_report_req *rq)
{
    cJSON *j = cJSON_CreateObject(), *chains;
    btc_tips t;
    uint64_t bytes = sl_store_bytes(s);
    const sl_chain_def *defs[32];
    size_t nd = sl_store_chains(s, defs, 32);
    btc_tips_of(s, &t);
    btc_legacy_json(j, s, &t, bytes);
    sl_json_str_or_null(j, "store", rq->store_name);
    sl_json_u64(j, "format_version", SL_STORE_VERSION);
    sl_json_u64(j, "store_bytes", bytes);
    chains = cJSON_AddArrayToObject(j, "chains");
    for (size_t i = 0; i < nd && i < 32; i++) {
        cJSON *o = chain_json(s, defs[i]);
        if (o) cJSON_AddItemToArray(chains, o);
    }
    {
        uint64_t n[4];
        sl_error e = {0};
        int rc = annot_counts(s, n, &e);
        if (rc) {
            cJSON_AddNullToObject(j, "annotations");
            sl_json_str_or_null(j, "annotations_note",
                                !nd ? NULL
                                : rc == SL_ENOTFOUND
                                    ? "ingested before sleuth kept memos and events: ingest again into a new store"
                                    : e.msg);
        } else {
            cJSON *a = cJSON_AddObjectToObject(j, "annotations");
            sl_json_u64(a, "op_return", n[SL_ANNOT_OPRETURN]);
            sl_json_u64(a, "input", n[SL_ANNOT_INPUT]);
            sl_json_u64(a, "event", n[SL_ANNOT_EVENT]);
            sl_json_u64(a, "total", n[0]);
        }
    }
    return j;
}

/* ---------------- text ---------------- */

static void sum_text(FILE *f, const chain_sum *c, const char *what, const char *flows_note)
{
    char t1[32], t2[32];
    fprintf(f, "  %s (%s)\n", c->chain, what);
    if (c->heights)
        fprintf(f, "    blocks     %" PRIu64 ", heights %" PRIu64 " to %" PRIu64 "\n", c->blocks, c->h_min, c->h_max);
    else fprintf(f, "    blocks     %" PRIu64 " (heights unknown)\n", c->blocks);
    sl_fmt_time(t1, c->t_min), sl_fmt_time(t2, c->t_max);
    if (c->times) fprintf(f, "    time       %s to %s\n", t1, t2);
    else fprintf(f, "    time       unknown (the inputs gave no block times)\n");
    fprintf(f, "    txs        %" PRIu64 "\n    flows      %" PRIu64 "%s\n    addresses  %" PRIu64 "\n", c->txs, c->flows,
            flows_note, c->addresses);
}

static void btc_text(FILE *f, const sl_store *s)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    chain_sum cs;
    btc_tips t;
    char what[64], note[96];
    btc_sum(s, &cs);
    btc_tips_of(s, &t);
    snprintf(what, sizeof what, "%s network, UTXO model", btc_network(m));
    snprintf(note, sizeof note, " outputs (and %" PRIu64 " inputs)", m->n_in);
    sum_text(f, &cs, what, note);
    if (t.tip) fprintf(f, "    tip        height %u  %s\n", t.tip->height, t.hx);
    if (t.ltip && t.tip && t.ltip == t.tip) fprintf(f, "    chain      linked from genesis to the tip\n");
    else if (t.ltip)
        fprintf(f, "    chain      linked from genesis to height %u\n                 %s\n", t.ltip->height, t.lhx);
}

/* Writes one account chain; false when it cannot be opened. */
static bool eth_text(FILE *f, sl_store *s, const sl_chain_def *def)
{
    sl_eth_chain *ch;
    sl_error e = {0};
    chain_sum cs;
    const sl_eth_meta *em;
    char note[96];
    if (sl_eth_chain_open(s, def->name, &ch, &e)) return false;
    eth_sum(ch, &cs);
    em = sl_eth_meta_get(ch);
    snprintf(note, sizeof note, " (in %" PRIu64 " assets: the coin and %" PRIu64 " tokens)",
             em->n_assets ? em->n_assets : 1, em->n_assets > 1 ? em->n_assets - 1 : 0);
    sum_text(f, &cs, "account model", note);
    return true;
}

static void info_text(FILE *f, sl_store *s, const sl_report_req *rq)
{
    const sl_chain_def *defs[32];
    size_t nd = sl_store_chains(s, defs, 32), shown = 0;
    sl_fmt_wrapf(f, 4, "sleuth store %s", rq->store_name ? rq->store_name : "");
    fprintf(f, "  format %d, %.1f MB on disk\n", SL_STORE_VERSION, (double)sl_store_bytes(s) / 1e6);
    for (size_t i = 0; i < nd && i < 32; i++) {
        if (defs[i]->model == SL_MODEL_UTXO) btc_text(f, s), shown++;
        else shown += eth_text(f, s, defs[i]);
    }
    if (!shown) {
        fprintf(f, "  empty: nothing has been ingested yet (sleuth ingest btc|eth|tron)\n");
        return;
    }
    {
        uint64_t n[4];
        sl_error e = {0};
        int rc = annot_counts(s, n, &e);
        if (rc == SL_ENOTFOUND)
            sl_fmt_wrapf(f, 4, "  annotations none: this store was ingested before sleuth kept OP_RETURN memos and "
                               "event logs; ingest its inputs again into a new store to have them "
                               "(docs/LAUNDERING.md)");
        else if (rc) sl_fmt_wrapf(f, 4, "  annotations unreadable: %s", e.msg);
        else
            fprintf(f, "  annotations %" PRIu64 " OP_RETURN payloads, %" PRIu64 " input memos, %" PRIu64 " events\n",
                    n[SL_ANNOT_OPRETURN], n[SL_ANNOT_INPUT], n[SL_ANNOT_EVENT]);
    }
}

int sl_report_info(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    (void)e;
    if (k->text) info_text(k->text, s, rq);
    else *k->json = info_json(s, rq);
    return SL_OK;
}
