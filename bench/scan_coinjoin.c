/* scan_coinjoin.c — lists the CoinJoin and batch-payout candidates of one real block, to
 * pick the real transactions the tests use (tests/data/coinjoin/README.md), and writes
 * the fixture of a chosen transaction. Not a benchmark: a research tool kept next to them.
 *
 *   scan_coinjoin BLOCK.bin PREVOUTS.json            one line per candidate
 *   scan_coinjoin BLOCK.bin PREVOUTS.json TXID OUT   writes OUT, the fixture of TXID
 *
 * PREVOUTS is one of the shared spent-output views (/work/shared/data/bitcoin/prevouts):
 * rBTC's array of {txid, vout, value_sats, script_pubkey} (inputs spending earlier
 * blocks only: in-block spends are resolved from the block itself) or Floresta's array
 * of {txout: {value, script_pubkey}}, one per non-coinbase input in block order.
 * A candidate is a transaction the detectors call a CoinJoin, one with three or more
 * equal outputs, or a batch (at most three inputs, ten or more outputs).
 *
 * The fixture is JSON: {"txid", "height", "block", "hex" (the raw transaction),
 * "prevouts": [{"value", "script_pubkey"}] in input order, or null when PREVOUTS is "-"}.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/hashtab.h"
#include "sleuth/knowledge.h"
#include "sleuth/util.h"

typedef struct prevout {
    uint64_t value;
    const uint8_t *script;
    size_t len;
} prevout;

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) free(p), p = NULL;
    fclose(f);
    if (p) p[len] = 0, *n = (size_t)len;
    return p;
}

/* the address id of a script: its canonical address, numbered in order of appearance */
static sl_ht addrs;
static uint32_t addr_id(const uint8_t *s, size_t n, uint8_t *type)
{
    sl_btc_addr a;
    memset(&a, 0, sizeof a);
    *type = (uint8_t)sl_btc_script_classify(s, n, &a);
    if (a.kind == SL_ADDR_NONE) return 0;
    uint64_t *v;
    if (sl_ht_upsert(&addrs, &a, sizeof a, sl_ht_count(&addrs) + 1, &v, NULL)) exit(2);
    return (uint32_t)*v;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: scan_coinjoin BLOCK.bin PREVOUTS.json [TXID OUT.json]\n");
        return 2;
    }
    size_t blen, plen;
    uint8_t *raw = slurp(argv[1], &blen);
    /* "-": no prevouts (input values 0, addresses unknown): output patterns only */
    char *pj = strcmp(argv[2], "-") ? (char *)slurp(argv[2], &plen) : (plen = 2, strdup("[]"));
    cJSON *pv = pj ? cJSON_Parse(pj) : NULL;
    if (!raw || !pv) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 1;
    }
    sl_btc_block b = {0};
    sl_error e;
    if (sl_btc_block_parse(&b, raw, blen, sl_btc_net_default(), 0, &e)) {
        fprintf(stderr, "%s: %s\n", argv[1], e.msg);
        return 1;
    }
    /* prevouts per input of the block (index b.in[]) */
    prevout *po = calloc(b.n_in, sizeof *po);
    uint8_t *scripts = malloc(plen);
    size_t sused = 0;
    bool ordered = cJSON_GetArraySize(pv) > 0 && cJSON_GetObjectItem(cJSON_GetArrayItem(pv, 0), "txout");
    sl_ht outpoints = {0};   /* "txid:vout" -> index in pv (rBTC) */
    int k = 0;
    cJSON *it;
    if (!ordered) cJSON_ArrayForEach(it, pv)
        {
            char key[80];
            snprintf(key, sizeof key, "%s:%d", cJSON_GetObjectItem(it, "txid")->valuestring,
                     cJSON_GetObjectItem(it, "vout")->valueint);
            if (sl_ht_set(&outpoints, key, strlen(key), (uint64_t)k++)) return 2;
        }
    size_t next = 0;
    for (uint32_t t = 1; t < b.n_tx; t++) {
        for (uint32_t i = 0; i < b.tx[t].n_in; i++) {
            const sl_btc_txin *in = &b.in[b.tx[t].first_in + i];
            prevout *p = &po[b.tx[t].first_in + i];
            cJSON *o = NULL;
            if (ordered) {
                o = cJSON_GetObjectItem(cJSON_GetArrayItem(pv, (int)next++), "txout");
                p->value = (uint64_t)cJSON_GetObjectItem(o, "value")->valuedouble;
            } else {
                char key[80], h[65];
                sl_hash_hex(h, &in->prev_txid);
                snprintf(key, sizeof key, "%s:%u", h, in->prev_vout);
                uint64_t idx;
                if (sl_ht_get(&outpoints, key, strlen(key), &idx)) {
                    o = cJSON_GetArrayItem(pv, (int)idx);
                    p->value = (uint64_t)cJSON_GetObjectItem(o, "value_sats")->valuedouble;
                } else {   /* spent within the block */
                    for (uint32_t u = 1; u < t && !p->script; u++)
                        if (!memcmp(&b.tx[u].txid, &in->prev_txid, sizeof in->prev_txid)) {
                            const sl_btc_txout *so = &b.out[b.tx[u].first_out + in->prev_vout];
                            p->value = so->value, p->script = so->script, p->len = so->script_len;
                        }
                    if (!p->script && strcmp(argv[2], "-")) fprintf(stderr, "no prevout for %s:%u\n", h, in->prev_vout);
                    continue;
                }
            }
            const char *hex = cJSON_GetObjectItem(o, "script_pubkey")->valuestring;
            size_t n = strlen(hex) / 2;
            if (!sl_hex_decode(scripts + sused, n, hex, 2 * n)) return 2;
            p->script = scripts + sused, p->len = n;
            sused += n;
        }
    }
    size_t named[SL_H_COUNT] = {0}, n_change_tx = 0;
    sl_txv_in *vin = calloc(b.n_in, sizeof *vin);
    sl_txv_out *vout = calloc(b.n_out, sizeof *vout);
    for (uint32_t t = 1; t < b.n_tx; t++) {
        const sl_btc_tx *tx = &b.tx[t];
        for (uint32_t i = 0; i < tx->n_in; i++) {
            const prevout *p = &po[tx->first_in + i];
            sl_txv_in *v = &vin[tx->first_in + i];
            v->value = p->value;
            v->addr.id = p->script ? addr_id(p->script, p->len, &v->script_type) : 0;
        }
        for (uint32_t i = 0; i < tx->n_out; i++) {
            const sl_btc_txout *o = &b.out[tx->first_out + i];
            sl_txv_out *v = &vout[tx->first_out + i];
            v->value = o->value;
            v->addr.id = addr_id(o->script, o->script_len, &v->script_type);
        }
        sl_txv tv = {.height = b.bip34_height > 0 ? (uint32_t)b.bip34_height : 0, .in = vin + tx->first_in, .n_in = tx->n_in, .out = vout + tx->first_out, .n_out = tx->n_out};
        char h[65];
        sl_hash_hex(h, &tx->txid);
        if (argc == 5) {
            if (strcmp(h, argv[3])) continue;
            cJSON *fx = cJSON_CreateObject(), *arr = cJSON_CreateArray();
            char *txhex = malloc(2 * tx->size + 1), bh[65];
            sl_hex_encode(txhex, raw + tx->offset, tx->size);
            sl_hash_hex(bh, &b.hash);
            cJSON_AddStringToObject(fx, "txid", h);
            cJSON_AddNumberToObject(fx, "height", (double)b.bip34_height);
            cJSON_AddStringToObject(fx, "block", bh);
            cJSON_AddStringToObject(fx, "hex", txhex);
            for (uint32_t i = 0; i < tx->n_in; i++) {
                const prevout *p = &po[tx->first_in + i];
                char *sh = malloc(2 * p->len + 1);
                sl_hex_encode(sh, p->script, p->len);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "value", (double)p->value);
                cJSON_AddStringToObject(o, "script_pubkey", sh);
                cJSON_AddItemToArray(arr, o);
                free(sh);
            }
            if (strcmp(argv[2], "-")) cJSON_AddItemToObject(fx, "prevouts", arr);
            else cJSON_Delete(arr), cJSON_AddNullToObject(fx, "prevouts");   /* not available */
            char *s = cJSON_Print(fx);
            FILE *f = fopen(argv[4], "w");
            if (!f || fputs(s, f) < 0 || fputc('\n', f) < 0 || fclose(f)) return 1;
            return 0;
        }
        /* the most frequent output value */
        uint64_t top = 0;
        size_t topc = 0, ndist = 0;
        for (uint32_t i = 0; i < tx->n_out; i++) {
            size_t c = 0, first = 1;
            for (uint32_t j = 0; j < tx->n_out; j++) {
                c += vout[tx->first_out + j].value == vout[tx->first_out + i].value;
                if (j < i && vout[tx->first_out + j].value == vout[tx->first_out + i].value) first = 0;
            }
            ndist += first;
            if (c > topc) topc = c, top = vout[tx->first_out + i].value;
        }
        sl_coinjoin_kind kind = sl_coinjoin_detect(&tv);
        for (int k = SL_H_CHANGE_ADDR_TYPE; k <= SL_H_CHANGE_PEEL; k++)
            named[k] += sl_change_find(&tv, 1u << k, NULL, NULL) >= 0;
        n_change_tx++;
        bool batch = tx->n_in <= 3 && tx->n_out >= 10;
        if (kind == SL_CJ_NONE && topc < 3 && !batch) continue;
        printf("%s in=%u out=%u distinct_out=%zu top=%llux%zu %s%s\n", h, tx->n_in, tx->n_out, ndist,
               (unsigned long long)top, topc, sl_coinjoin_name(kind), batch ? " batch" : "");
        const char *verbose = getenv("SCAN_VERBOSE");
        if (verbose && strstr(verbose, h)) {   /* every input and output, for checking by hand */
            for (size_t i = 0; i < tv.n_in; i++)
                printf("  in  %zu %llu %s addr#%u\n", i, (unsigned long long)tv.in[i].value,
                       sl_script_type_name(tv.in[i].script_type), tv.in[i].addr.id);
            for (size_t i = 0; i < tv.n_out; i++) {
                const sl_btc_txout *o = &b.out[tx->first_out + i];
                sl_btc_addr a;
                char text[100] = "-";
                sl_btc_script_classify(o->script, o->script_len, &a);
                if (!sl_btc_addr_encode(text, sl_btc_net_default(), &a)) strcpy(text, "-");
                printf("  out %zu %llu %s addr#%u %s\n", i, (unsigned long long)tv.out[i].value,
                       sl_script_type_name(tv.out[i].script_type), tv.out[i].addr.id, text);
            }
        }
    }
    if (argc == 5) return 1;
    /* how often each change heuristic names an output here (no history: one-time and the
     * peel neighbours are unknown, so those two rarely answer) */
    fprintf(stderr, "change named in %zu transactions:", n_change_tx);
    for (int k = SL_H_CHANGE_ADDR_TYPE; k <= SL_H_CHANGE_PEEL; k++)
        fprintf(stderr, " %s %zu", sl_heuristic_name((sl_heuristic)k), named[k]);
    fprintf(stderr, "\n");
    return 0;
}
