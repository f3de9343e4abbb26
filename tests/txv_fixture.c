/* txv_fixture.c — loads a real transaction fixture of tests/data/coinjoin into an sl_txv
 * (txv_fixture.h): parses the raw bytes with sleuth's own parser, checks the txid against
 * the file's, classifies every script and numbers the addresses. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/btc.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"
#include "txv_fixture.h"

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert(s && fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* the address id of a script (0: none), numbered in order of first appearance */
static uint32_t addr_of(sl_ht *ids, const uint8_t *s, size_t n, uint8_t *type, char *text)
{
    sl_btc_addr a;
    memset(&a, 0, sizeof a);
    *type = (uint8_t)sl_btc_script_classify(s, n, &a);
    if (text && !sl_btc_addr_encode(text, sl_btc_net_default(), &a)) text[0] = 0;
    if (a.kind == SL_ADDR_NONE) return 0;
    uint64_t *v;
    cr_assert_eq(sl_ht_upsert(ids, &a, sizeof a, sl_ht_count(ids) + 1, &v, NULL), 0);
    return (uint32_t)*v;
}

void txv_fixture_load(txv_fixture *f, const char *name)
{
    memset(f, 0, sizeof *f);
    char *json = read_all(fixture("tests/data/coinjoin", name));
    cJSON *j = cJSON_Parse(json);
    cr_assert(j, "%s: not JSON", name);
    const char *hex = jstr(j, "hex");
    size_t n = strlen(hex) / 2;
    uint8_t *raw = malloc(n);
    cr_assert(sl_hex_decode(raw, n, hex, 2 * n));
    sl_btc_block b = {0};
    sl_error e;
    cr_assert_eq(sl_btc_tx_parse(&b, raw, n, &e), 0, "%s: %s", name, e.msg);
    sl_hash_hex(f->txid, &b.tx[0].txid);
    cr_assert_str_eq(f->txid, jstr(j, "txid"), "%s: txid of the bytes", name);

    const sl_btc_tx *tx = &b.tx[0];
    f->in = calloc(tx->n_in, sizeof *f->in);
    f->out = calloc(tx->n_out, sizeof *f->out);
    f->text = calloc(tx->n_out, sizeof *f->text);
    sl_ht ids = {0};
    const cJSON *pv = cJSON_GetObjectItem(j, "prevouts");
    f->prevouts_known = cJSON_IsArray(pv);
    if (f->prevouts_known) {
        cr_assert_eq((uint32_t)cJSON_GetArraySize(pv), tx->n_in, "%s: one prevout per input", name);
        for (uint32_t i = 0; i < tx->n_in; i++) {
            const cJSON *p = cJSON_GetArrayItem(pv, (int)i);
            const char *sh = jstr(p, "script_pubkey");
            size_t sn = strlen(sh) / 2;
            uint8_t script[10000];
            cr_assert(sn <= sizeof script && sl_hex_decode(script, sn, sh, 2 * sn));
            f->in[i].value = jint(p, "value");
            f->in[i].addr.id = addr_of(&ids, script, sn, &f->in[i].script_type, NULL);
        }
    }
    for (uint32_t i = 0; i < tx->n_out; i++) {
        const sl_btc_txout *o = &b.out[tx->first_out + i];
        f->out[i].value = o->value;
        f->out[i].addr.id = addr_of(&ids, o->script, o->script_len, &f->out[i].script_type, f->text[i]);
        f->out[i].text = f->text[i][0] ? f->text[i] : NULL;
    }
    f->tx = (sl_txv){.version = tx->version, .locktime = tx->locktime, .height = (uint32_t)jint(j, "height"),
                     .in = f->in, .n_in = tx->n_in, .out = f->out, .n_out = tx->n_out};
    sl_ht_free(&ids);
    sl_btc_block_free(&b);
    free(raw);
    cJSON_Delete(j);
    free(json);
}

void txv_fixture_free(txv_fixture *f)
{
    free(f->in);
    free(f->out);
    free(f->text);
    memset(f, 0, sizeof *f);
}
