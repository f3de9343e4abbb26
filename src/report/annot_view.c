/* annot_view.c — a transaction's annotations (annot.h) in the `sleuth tx` reports of every
 * chain: its memos (Bitcoin OP_RETURN payloads, EVM text inputs) and its logs of known
 * events, each event decoded field by field from its ABI layout (the signatures are in
 * annot.h). JSON keys "memos" and "events" (docs/JSON.md); null when the store keeps no
 * annotations (ingested before they existed). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/annot.h"
#include "sleuth/chains.h"
#include "sleuth/util.h"

/* ---------------- decoding the known events ---------------- */

typedef enum { F_ADDR, F_UINT, F_INT, F_HASH, F_STRING } ftype;
typedef struct field {
    const char *name;
    ftype type;
    int topic; /* 1..3: from that topic; 0: from a data word */
    int word;  /* the data word (F_STRING: the word holding the offset) */
} field;
typedef struct layout {
    int event;
    field f[8];
} layout;

static const layout LAYOUTS[] = {
    {SL_EV_THOR_DEPOSIT, {{"to", F_ADDR, 1, 0}, {"asset", F_ADDR, 2, 0}, {"amount", F_UINT, 0, 0}, {"memo", F_STRING, 0, 1}}},
    {SL_EV_THOR_TRANSFER_OUT,
     {{"vault", F_ADDR, 1, 0}, {"to", F_ADDR, 2, 0}, {"asset", F_ADDR, 0, 0}, {"amount", F_UINT, 0, 1},
      {"memo", F_STRING, 0, 2}}},
    {SL_EV_THOR_TRANSFER_OUT_CALL,
     {{"vault", F_ADDR, 1, 0}, {"target", F_ADDR, 0, 0}, {"amount", F_UINT, 0, 1}, {"final_asset", F_ADDR, 0, 2},
      {"to", F_ADDR, 0, 3}, {"amount_out_min", F_UINT, 0, 4}, {"memo", F_STRING, 0, 5}}},
    {SL_EV_THOR_TRANSFER_OUT_CALL_V5, /* the payload (bytes, word 5) is not shown */
     {{"vault", F_ADDR, 1, 0}, {"target", F_ADDR, 0, 0}, {"amount", F_UINT, 0, 1}, {"final_asset", F_ADDR, 0, 2},
      {"to", F_ADDR, 2, 0}, {"amount_out_min", F_UINT, 0, 3}, {"memo", F_STRING, 0, 4},
      {"origin_address", F_STRING, 0, 6}}},
    {SL_EV_UNI_V2_SWAP,
     {{"sender", F_ADDR, 1, 0}, {"to", F_ADDR, 2, 0}, {"amount0_in", F_UINT, 0, 0}, {"amount1_in", F_UINT, 0, 1},
      {"amount0_out", F_UINT, 0, 2}, {"amount1_out", F_UINT, 0, 3}}},
    {SL_EV_UNI_V3_SWAP,
     {{"sender", F_ADDR, 1, 0}, {"recipient", F_ADDR, 2, 0}, {"amount0", F_INT, 0, 0}, {"amount1", F_INT, 0, 1},
      {"sqrt_price_x96", F_UINT, 0, 2}, {"liquidity", F_UINT, 0, 3}, {"tick", F_INT, 0, 4}}},
    {SL_EV_TC_DEPOSIT, {{"commitment", F_HASH, 1, 0}, {"leaf_index", F_UINT, 0, 0}, {"timestamp", F_UINT, 0, 1}}},
    {SL_EV_TC_WITHDRAWAL,
     {{"to", F_ADDR, 0, 0}, {"nullifier_hash", F_HASH, 0, 1}, {"relayer", F_ADDR, 1, 0}, {"fee", F_UINT, 0, 2}}},
};

static const layout *layout_of(int event)
{
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof *LAYOUTS; i++)
        if (LAYOUTS[i].event == event) return &LAYOUTS[i];
    return NULL;
}

/* The 32-byte word a field reads, or NULL when the log is too short for it. */
static const uint8_t *field_word(const sl_annot_row *r, const field *f)
{
    if (f->topic) return f->topic < r->n_topics ? r->topics[f->topic] : NULL;
    return (size_t)(f->word + 1) * 32 <= r->len ? r->data + (size_t)f->word * 32 : NULL;
}

static void addr_text(char out[48], uint16_t chain, const uint8_t *a20)
{
    sl_eth_addr a;
    memcpy(a.b, a20, 20);
    if (chain == sl_chain_by_name("tron")->id) sl_tron_addr_encode(out, &a);
    else sl_eth_addr_eip55(out, &a);
}

/* A signed 256-bit word (two's complement) in decimal. */
static void int_text(char out[SL_U256_DEC_MAX + 1], const uint8_t w[32])
{
    sl_u256 v;
    bool neg = w[0] & 0x80;
    sl_u256_from_be(&v, w);
    if (neg) {
        sl_u256 one = sl_u256_from_u64(1), z;
        for (int i = 0; i < 4; i++) v.w[i] = ~v.w[i];
        if (!sl_u256_add(&z, &v, &one)) z = v; /* cannot overflow: v < 2^255 here */
        v = z;
    }
    out[0] = '-';
    sl_u256_dec(out + (neg ? 1 : 0), &v);
}

/* The value of field f as text (false when the log lacks it). */
static bool field_text(char *out, size_t cap, const sl_annot_row *r, const field *f)
{
    const uint8_t *w;
    if (f->type == F_STRING && f->word == sl_annot_event_memo_word(r->event)) { /* the memo ingest kept as text */
        snprintf(out, cap, "%s", r->text);
        return r->text[0] != 0;
    }
    if (f->type == F_STRING) { /* another string (V5's originAddress): shown when printable */
        const uint8_t *p;
        size_t n;
        if (!sl_annot_abi_string(r->data, r->len, (size_t)f->word, &p, &n) || !sl_annot_printable(p, n)) return false;
        snprintf(out, cap, "%.*s", (int)(n < 250 ? n : 250), (const char *)p);
        return true;
    }
    if (!(w = field_word(r, f))) return false;
    if (f->type == F_ADDR) {
        char a[48];
        addr_text(a, r->chain, w + 12);
        snprintf(out, cap, "%s", a);
    } else if (f->type == F_HASH) {
        out[0] = '0', out[1] = 'x';
        sl_hex_encode(out + 2, w, 32);
    } else if (f->type == F_INT) {
        char d[SL_U256_DEC_MAX + 1];
        int_text(d, w);
        snprintf(out, cap, "%s", d);
    } else {
        sl_u256 v;
        char d[SL_U256_DEC_MAX];
        sl_u256_from_be(&v, w);
        sl_u256_dec(d, &v);
        snprintf(out, cap, "%s", d);
    }
    return true;
}

static bool has_gas(const sl_annot_row *r)
{
    for (int i = 0; i < 16; i++)
        if (r->gas_price[i]) return true;
    return false;
}

static sl_u256 gas_of(const sl_annot_row *r)
{
    sl_u256 v = {{sl_le64(r->gas_price), sl_le64(r->gas_price + 8), 0, 0}};
    return v;
}

/* ---------------- JSON ---------------- */

typedef struct jctx {
    cJSON *memos, *events;
} jctx;

static void hex_member(cJSON *o, const char *key, const uint8_t *p, size_t n, bool prefix)
{
    char *h = sl_malloc(2 * n + 3);
    if (!h) return; /* the caller checks allocation failures of the whole document */
    h[0] = '0', h[1] = 'x';
    sl_hex_encode(h + 2, p, n);
    cJSON_AddStringToObject(o, key, prefix ? h : h + 2);
    sl_free(h);
}

static int row_json(void *ctx, const sl_annot_row *r)
{
    jctx *j = ctx;
    cJSON *o = cJSON_CreateObject();
    bool evm = r->chain != SL_CHAIN_BTC;
    if (!o) return SL_ENOMEM;
    if (r->kind == SL_ANNOT_EVENT) {
        const layout *l = layout_of(r->event);
        cJSON *t, *d;
        char c[48], buf[200];
        cJSON_AddStringToObject(o, "event", sl_annot_event_name(r->event));
        sl_json_u64(o, "log_index", r->idx);
        addr_text(c, r->chain, r->contract);
        cJSON_AddStringToObject(o, "contract", c);
        t = cJSON_AddArrayToObject(o, "topics");
        for (int i = 0; i < r->n_topics; i++) {
            char h[67] = "0x";
            sl_hex_encode(h + 2, r->topics[i], 32);
            cJSON_AddItemToArray(t, cJSON_CreateString(h));
        }
        hex_member(o, "data", r->data, r->len, true);
        d = cJSON_AddObjectToObject(o, "decoded");
        for (int i = 0; l && i < 8 && l->f[i].name; i++) {
            if (!field_text(buf, sizeof buf, r, &l->f[i])) cJSON_AddNullToObject(d, l->f[i].name);
            else cJSON_AddStringToObject(d, l->f[i].name, buf);
        }
        sl_json_str_or_null(o, "memo", r->text[0] ? r->text : NULL);
        cJSON_AddItemToArray(j->events, o);
    } else {
        cJSON_AddStringToObject(o, "kind", sl_annot_kind_name(r->kind));
        if (r->kind == SL_ANNOT_OPRETURN) sl_json_u64(o, "vout", r->idx);
        hex_member(o, "hex", r->data, r->len, evm);
        sl_json_str_or_null(o, "text", r->text[0] ? r->text : NULL);
        cJSON_AddItemToArray(j->memos, o);
    }
    sl_json_str_or_null(o, "ref", r->ref[0] ? r->ref : NULL);
    if (evm) {
        sl_u256 g = gas_of(r);
        if (has_gas(r)) sl_json_u256(o, "gas_price", &g);
        else cJSON_AddNullToObject(o, "gas_price");
    }
    return 0;
}

int sl_report_annot_json(sl_store *s, uint16_t chain, uint64_t tx, cJSON *j, sl_error *e)
{
    sl_annot *a;
    jctx c;
    int rc = sl_annot_open(&a, s, e);
    if (rc == SL_ENOTFOUND) {
        memset(e, 0, sizeof *e);
        cJSON_AddNullToObject(j, "memos");
        cJSON_AddNullToObject(j, "events");
        return SL_OK;
    }
    if (rc) return rc;
    c.memos = cJSON_AddArrayToObject(j, "memos");
    c.events = cJSON_AddArrayToObject(j, "events");
    rc = sl_annot_of_tx(a, chain, tx, row_json, &c, e);
    if (rc == SL_ENOMEM) rc = sl_err(e, SL_ENOMEM, "out of memory");
    sl_annot_close(a);
    return rc;
}

/* ---------------- text ---------------- */

typedef struct tctx {
    FILE *out;
    int pass;       /* 0: memos, 1: events */
    uint32_t n;     /* rows printed in this pass */
    bool gas_shown;
} tctx;

/* A payload that is not text: its length and first bytes in hex. */
static void payload_hex(char *out, size_t cap, const sl_annot_row *r)
{
    char h[2 * 24 + 1];
    size_t n = r->len < 24 ? r->len : 24;
    sl_hex_encode(h, r->data, n);
    snprintf(out, cap, "%zu bytes %s%s", r->len, h, r->len > n ? "..." : "");
}

static int row_text(void *ctx, const sl_annot_row *r)
{
    tctx *t = ctx;
    char p[140];
    if ((r->kind == SL_ANNOT_EVENT) != (t->pass == 1)) return 0;
    if (!t->gas_shown && r->chain != SL_CHAIN_BTC && has_gas(r)) {
        sl_u256 v = gas_of(r);
        char d[SL_U256_DEC_MAX];
        sl_u256_dec(d, &v);
        fprintf(t->out, "  gas price %s wei\n", d);
        t->gas_shown = true;
    }
    if (!t->n++) fprintf(t->out, "  %s\n", t->pass ? "events" : "memos");
    if (r->kind != SL_ANNOT_EVENT) {
        char head[16];
        if (r->kind == SL_ANNOT_OPRETURN) snprintf(head, sizeof head, "vout %-3u", r->idx);
        else snprintf(head, sizeof head, "input   ");
        /* the whole memo (a txid in it is never cut): wrapped, or on a line of its own */
        if (r->text[0]) sl_fmt_wrapf(t->out, 13, "    %s \"%s\"", head, r->text);
        else payload_hex(p, sizeof p, r), fprintf(t->out, "    %s %s\n", head, p);
    } else {
        const layout *l = layout_of(r->event);
        char c[48], buf[200];
        addr_text(c, r->chain, r->contract);
        fprintf(t->out, "    log %-4u %s by %s\n", r->idx, sl_annot_event_name(r->event), c);
        for (int i = 0; l && i < 8 && l->f[i].name; i++) {
            if (l->f[i].type == F_STRING) continue;
            if (field_text(buf, sizeof buf, r, &l->f[i])) sl_fmt_wrapf(t->out, 12, "      %-15s %s", l->f[i].name, buf);
        }
        if (r->text[0]) sl_fmt_wrapf(t->out, 22, "      %-15s \"%s\"", "memo", r->text);
    }
    if (r->ref[0]) fprintf(t->out, "      names inbound %s\n", r->ref);
    return 0;
}

int sl_report_annot_text(FILE *out, sl_store *s, uint16_t chain, uint64_t tx, sl_error *e)
{
    sl_annot *a;
    tctx t = {out, 0, 0, false};
    int rc = sl_annot_open(&a, s, e);
    if (rc == SL_ENOTFOUND) {
        memset(e, 0, sizeof *e);
        fprintf(out, "  memos    unknown: the store keeps none (ingested before sleuth kept them)\n");
        return SL_OK;
    }
    if (rc) return rc;
    for (t.pass = 0; t.pass < 2 && !rc; t.pass++) {
        t.n = 0;
        rc = sl_annot_of_tx(a, chain, tx, row_text, &t, e);
    }
    sl_annot_close(a);
    return rc;
}
