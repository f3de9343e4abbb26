/* cmd_info.c — `sleuth info`: what the store holds, chain by chain (the store's chain
 * registry, sleuth/chains.h: Bitcoin and every account chain: Ethereum family, Tron), each with its blocks, height range, transactions,
 * flows, addresses and time range; as text or one JSON document (docs/JSON.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sleuth/chains.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

/* The figures every chain has. Ranges are over the stored blocks (an isolated block can
 * lie far from the others); unknown heights and times (0) are left out of them. */
typedef struct chain_sum {
    const char *chain, *model;
    uint64_t blocks, txs, flows, addresses;
    bool heights, times; /* a range is known */
    uint64_t h_min, h_max, t_min, t_max;
} chain_sum;

static void range_add(bool *have, uint64_t *lo, uint64_t *hi, uint64_t v)
{
    if (!*have || v < *lo) *lo = v;
    if (!*have || v > *hi) *hi = v;
    *have = true;
}

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

static cJSON *sum_json(const chain_sum *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "chain", c->chain);
    cJSON_AddStringToObject(o, "model", c->model);
    jnum(o, "blocks", c->blocks);
    jnum_or_null(o, "height_min", c->h_min, c->heights);
    jnum_or_null(o, "height_max", c->h_max, c->heights);
    jnum(o, "txs", c->txs);
    jnum(o, "flows", c->flows);
    jnum(o, "addresses", c->addresses);
    jnum_or_null(o, "time_min", c->t_min, c->times);
    jnum_or_null(o, "time_max", c->t_max, c->times);
    return o;
}

static void sum_text(const chain_sum *c, const char *what, const char *flows_note)
{
    char t1[32], t2[32];
    printf("  %s (%s)\n", c->chain, what);
    if (c->heights) printf("    blocks     %" PRIu64 ", heights %" PRIu64 " to %" PRIu64 "\n", c->blocks, c->h_min, c->h_max);
    else printf("    blocks     %" PRIu64 " (heights unknown)\n", c->blocks);
    cli_time(t1, c->t_min), cli_time(t2, c->t_max);
    if (c->times) printf("    time       %s to %s\n", t1, t2);
    else printf("    time       unknown (the inputs gave no block times)\n");
    printf("    txs        %" PRIu64 "\n    flows      %" PRIu64 "%s\n    addresses  %" PRIu64 "\n", c->txs, c->flows,
           flows_note, c->addresses);
}

int cmd_info(int argc, char **argv)
{
    cli_lookup l;
    int rc = cli_lookup_open(&l, argc, argv, "sleuth info --store DIR [--json]", false, NULL);
    const sl_btc_meta *m;
    const sl_btc_blockrec *tip, *ltip;
    char hx[65] = "", lhx[65] = "", note[96];
    uint64_t bytes;
    chain_sum bs;
    cJSON *j = NULL, *chains = NULL;
    size_t nchains = 0;
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    m = sl_btc_meta_get(l.s);
    tip = m->max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(l.s, m->max_height_block);
    ltip = m->chain_tip == SL_NONE32 ? NULL : sl_btc_block_at(l.s, m->chain_tip);
    if (tip) sl_hash_hex(hx, &tip->hash);
    if (ltip) sl_hash_hex(lhx, &ltip->hash);
    bytes = sl_store_bytes(l.s);
    btc_sum(l.s, &bs);
    if (l.c.json) {
        /* "btc" as before (programs read it), then every chain that holds data in "chains" */
        cJSON *b;
        j = cJSON_CreateObject();
        b = cJSON_AddObjectToObject(j, "btc");
        cJSON_AddStringToObject(b, "network", m->network[0] ? m->network : "bitcoin");
        jnum(b, "blocks", m->n_blocks);
        jnum(b, "txs", m->n_tx);
        jnum(b, "inputs", m->n_in);
        jnum(b, "outputs", m->n_out);
        jnum(b, "addresses", m->n_addr - 1);
        jnum_or_null(b, "tip_height", tip ? tip->height : 0, tip != NULL);
        jstr_or_null(b, "tip_hash", tip ? hx : NULL);
        jnum_or_null(b, "linked_tip_height", ltip ? ltip->height : 0, ltip != NULL);
        jstr_or_null(b, "linked_tip_hash", ltip ? lhx : NULL);
        jnum(b, "store_bytes", bytes);
        cJSON_AddStringToObject(j, "store", l.c.store);
        jnum(j, "format_version", SL_STORE_VERSION);
        jnum(j, "store_bytes", bytes);
        chains = cJSON_AddArrayToObject(j, "chains");
    } else {
        cli_wrapf(4, "sleuth store %s", l.c.store);
        printf("  format %d, %.1f MB on disk\n", SL_STORE_VERSION, (double)bytes / 1e6);
    }
    /* every chain of the store's registry that holds blocks (sleuth/chains.h) */
    const sl_chain_def *defs[32];
    size_t nd = sl_store_chains(l.s, defs, 32);
    for (size_t di = 0; di < nd && di < 32; di++) {
        if (defs[di]->model == SL_MODEL_UTXO) {
            nchains++;
            if (j) {
                cJSON *o = sum_json(&bs);
                jnum(o, "chain_id", defs[di]->id);
                cJSON_AddStringToObject(o, "network", m->network[0] ? m->network : "bitcoin");
                jnum(o, "inputs", m->n_in);
                jnum(o, "outputs", m->n_out);
                cJSON_AddItemToArray(chains, o);
            } else {
                char what[64];
                snprintf(what, sizeof what, "%s network, UTXO model", m->network[0] ? m->network : "bitcoin");
                snprintf(note, sizeof note, " outputs (and %" PRIu64 " inputs)", m->n_in);
                sum_text(&bs, what, note);
                if (tip) printf("    tip        height %u  %s\n", tip->height, hx);
                if (ltip && tip && ltip == tip) printf("    chain      linked from genesis to the tip\n");
                else if (ltip) printf("    chain      linked from genesis to height %u\n                 %s\n", ltip->height, lhx);
            }
        } else {
            sl_eth_chain *ch;
            sl_error e = {0};
            chain_sum es;
            if (sl_eth_chain_open(l.s, defs[di]->name, &ch, &e)) continue;
            eth_sum(ch, &es);
            nchains++;
            if (j) {
                cJSON *o = sum_json(&es);
                jnum(o, "chain_id", defs[di]->id);
                const sl_eth_meta *em = sl_eth_meta_get(ch);
                jnum(o, "tokens", em->n_assets > 1 ? em->n_assets - 1 : 0);
                cJSON_AddItemToArray(chains, o);
            } else {
                const sl_eth_meta *em = sl_eth_meta_get(ch);
                snprintf(note, sizeof note, " (in %" PRIu64 " assets: the coin and %" PRIu64 " tokens)",
                         em->n_assets ? em->n_assets : 1, em->n_assets > 1 ? em->n_assets - 1 : 0);
                sum_text(&es, "account model", note);
            }
        }
    }
    if (j) cli_print_json(j);
    else if (!nchains) printf("  empty: nothing has been ingested yet (sleuth ingest btc|eth|tron)\n");
    sl_store_close(l.s);
    return EXIT_OK;
}
