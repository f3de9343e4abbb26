/* json.c — reads Ethereum-style JSON (and ethereum-etl CSV) into typed records: blocks,
 * transactions, receipts, logs, traces, withdrawals and token-transfer rows.
 *
 * What a document is, is decided from its shape, not its file name: a JSON-RPC response
 * is unwrapped, arrays are walked, and each object is recognised by its keys (camelCase
 * JSON-RPC objects, snake_case ethereum-etl / GraphSense / mev-inspect-py rows, geth
 * callTracer frames, parity traces). Every field is read through a checking reader that
 * names the file and the JSON path on error. The text is read through sl_json (json.h): a key
 * repeated in an object, or a column named twice in a CSV header, is an error.
 *
 * Exactness: cJSON turns numbers into doubles, so before parsing, every bare integer of
 * 16 or more digits is rewritten as a string marked with a leading \x01 byte, and the
 * readers parse it exactly; shorter integers are exact as doubles. Amounts are read from
 * hex ("0x...", JSON-RPC) or decimal strings into 256-bit integers, never through double.
 * In JSON-RPC objects (strict) a string quantity must start with 0x ("hex without 0x").
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/eth.h"
#include "sleuth/json.h"

#define BIGNUM_MARK '\x01'

/* What encloses the record being read: a block around its transactions, a receipt around
 * its logs, a mev-inspect block file around its receipts, logs and traces. A nested record
 * may repeat its parent's block number, block hash, transaction hash and index; each one it
 * gives must agree with the parent's (else it would be stored where its parent is not, in
 * a phantom block), and each one it leaves out is taken from the parent. */
typedef struct encl {
    const char *what;    /* "block", "receipt", "block file": for messages */
    uint64_t block;      /* UINT64_MAX: nothing encloses the record */
    uint64_t time;
    bool has_hash, has_tx, has_time;
    sl_hash256 hash, tx; /* the block's hash; the transaction's (around a receipt's logs) */
    uint32_t tx_index;   /* the transaction's index (around a receipt's logs), else SL_ETH_NONE32 */
    uint32_t pos;        /* the record's position in its block's list of transactions, else SL_ETH_NONE32 */
} encl;

static const encl NO_ENCL = {NULL, UINT64_MAX, 0, false, false, false, {{0}}, {{0}}, SL_ETH_NONE32, SL_ETH_NONE32};

typedef struct pctx {
    sl_eth_set *s;
    const char *name;
    sl_error *e;
    char path[512];
    uint32_t order;
    bool tron;
    encl in;
} pctx;

/* ---------- path handling: a stack of suffixes on one buffer ---------- */
static size_t path_push(pctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(pctx *x, const char *fmt, ...)
{
    size_t n = strlen(x->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->path + n, sizeof x->path - n, fmt, ap);
    va_end(ap);
    return n;
}
static void path_pop(pctx *x, size_t n) { x->path[n] = 0; }

static int fail(pctx *x, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pctx *x, const char *field, const char *fmt, ...)
{
    char m[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return sl_err(x->e, SL_ECORRUPT, "%s: %s%s%s: %s", x->name, x->path, field ? "." : "", field ? field : "", m);
}

/* ---------- set storage ---------- */
void sl_eth_set_init(sl_eth_set *s, const sl_eth_chain_info *chain)
{
    memset(s, 0, sizeof *s);
    s->chain = chain ? chain : sl_eth_chain_by_name("ethereum");
}

void sl_eth_set_free(sl_eth_set *s)
{
    sl_free(s->blocks);
    sl_free(s->txs);
    sl_free(s->receipts);
    sl_free(s->logs);
    sl_free(s->traces);
    sl_free(s->wds);
    sl_free(s->xfers);
    sl_buf_free(&s->arena);
    memset(s, 0, sizeof *s);
}

#define PUSH(x, arr, n, cap, out)                                                              \
    do {                                                                                       \
        void *q_ = (arr);                                                                      \
        if (sl_grow(&q_, &(cap), (n) + 1, sizeof *(arr))) return sl_err((x)->e, SL_ENOMEM, "out of memory"); \
        (arr) = q_;                                                                            \
        (out) = &(arr)[(n)++];                                                                 \
        memset((out), 0, sizeof *(out));                                                       \
    } while (0)

/* ---------- field readers ---------- */
/* Key lookup with a first-byte check before strcmp: most keys differ there, and lookups
 * are the parser's hottest loop. */
static const cJSON *find(const cJSON *o, const char *k)
{
    for (const cJSON *c = o ? o->child : NULL; c; c = c->next)
        if (c->string && c->string[0] == k[0] && strcmp(c->string, k) == 0) return c;
    return NULL;
}

/* Hex digits through a table (sl_hex_decode's branches showed in profiles). */
static signed char HEXV[256];
static void hexv_init(void)
{
    if (HEXV['1']) return;
    memset(HEXV, -1, sizeof HEXV);
    for (int i = 0; i < 10; i++) HEXV['0' + i] = (signed char)i;
    for (int i = 0; i < 6; i++) HEXV['a' + i] = HEXV['A' + i] = (signed char)(10 + i);
}
static bool unhex(uint8_t *out, size_t n, const char *h, size_t hl)
{
    if (hl != 2 * n) return false;
    for (size_t i = 0; i < n; i++) {
        int a = HEXV[(unsigned char)h[2 * i]], b = HEXV[(unsigned char)h[2 * i + 1]];
        if ((a | b) < 0) return false;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return true;
}
#define sl_hex_decode unhex

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *v = find(o, k);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (cJSON_IsString(v) && v->valuestring[0] == 0) return NULL; /* CSV: empty = absent */
    return v;
}
/* First present field among up to three names; *used gets its name. */
static const cJSON *get2(const cJSON *o, const char *a, const char *b, const char **used)
{
    const cJSON *v = get(o, a);
    *used = a;
    if (!v && b) { v = get(o, b); if (v) *used = b; }
    return v;
}

static int rd_u256v(pctx *x, const cJSON *v, const char *field, bool strict, sl_u256 *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d < 0 || d > 9007199254740992.0 || d != (double)(uint64_t)d)
            return fail(x, field, "expected a non-negative integer");
        *out = sl_u256_from_u64((uint64_t)d);
        return SL_OK;
    }
    if (!cJSON_IsString(v)) return fail(x, field, "expected a number or a hex string");
    {
        const char *s = v->valuestring;
        size_t n = strlen(s);
        if (s[0] == BIGNUM_MARK) {
            if (!sl_u256_parse_dec(out, s + 1, n - 1)) return fail(x, field, "number above 2^256-1");
            return SL_OK;
        }
        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            if (!sl_u256_parse_hex(out, s, n)) {
                bool digits = true;
                for (size_t i = 2; i < n; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i])) digits = false;
                return fail(x, field, digits ? "number above 2^256-1" : "bad hex digit in \"%.40s\"", s);
            }
            return SL_OK;
        }
        if (strict) return fail(x, field, "hex without 0x (\"%.40s\")", s);
        if (!sl_u256_parse_dec(out, s, n)) {
            bool digits = n > 0;
            for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9') digits = false;
            return fail(x, field, digits ? "number above 2^256-1" : "expected a decimal or 0x hex number, got \"%.40s\"", s);
        }
        return SL_OK;
    }
}

static int rd_u256(pctx *x, const cJSON *o, const char *k1, const char *k2, bool strict, bool req, sl_u256 *out,
                   bool *has)
{
    const char *used;
    const cJSON *v = get2(o, k1, k2, &used);
    if (has) *has = false;
    if (!v) {
        if (req) return fail(x, k1, "missing");
        *out = sl_u256_from_u64(0);
        return SL_OK;
    }
    if (has) *has = true;
    return rd_u256v(x, v, used, strict, out);
}

static int rd_u64(pctx *x, const cJSON *o, const char *k1, const char *k2, bool strict, bool req, uint64_t *out,
                  bool *has)
{
    sl_u256 v = {{0}};
    bool h = false;
    int rc = rd_u256(x, o, k1, k2, strict, req, &v, &h);
    if (rc) return rc;
    if (has) *has = h;
    if (h && !sl_u256_fits(&v, 64)) return fail(x, k1, "number does not fit 64 bits");
    *out = v.w[0];
    return SL_OK;
}

static int rd_u32(pctx *x, const cJSON *o, const char *k1, const char *k2, bool strict, bool req, uint32_t *out,
                  bool *has)
{
    uint64_t v = 0;
    int rc = rd_u64(x, o, k1, k2, strict, req, &v, has);
    if (rc) return rc;
    if (v > UINT32_MAX - 1) return fail(x, k1, "number does not fit 32 bits");
    *out = (uint32_t)v;
    return SL_OK;
}

static int rd_addr(pctx *x, const cJSON *o, const char *k1, const char *k2, bool req, sl_eth_addr *out, bool *has)
{
    const char *used;
    const cJSON *v = get2(o, k1, k2, &used);
    if (has) *has = false;
    memset(out, 0, sizeof *out);
    if (!v) return req ? fail(x, k1, "missing") : SL_OK;
    if (!cJSON_IsString(v)) return fail(x, used, "expected an address string");
    if (!sl_eth_addr_parse(out, v->valuestring)) {
        const char *s = v->valuestring;
        if (x->tron && sl_tron_addr_decode(out, s)) goto ok;
        if (x->tron && strlen(s) == 44 && s[0] == '0' && s[1] == 'x' && s[2] == '4' && s[3] == '1' &&
            sl_hex_decode(out->b, 20, s + 4, 40))
            goto ok;
        if (strlen(s) == 40 && sl_hex_decode(out->b, 20, s, 40)) return fail(x, used, "hex without 0x");
        return fail(x, used, "expected 0x and 40 hex digits, got \"%.50s\"", s);
    }
ok:
    if (has) *has = true;
    return SL_OK;
}

static int rd_hashv(pctx *x, const cJSON *v, const char *field, sl_hash256 *out)
{
    const char *s;
    if (!cJSON_IsString(v)) return fail(x, field, "expected a hash string");
    s = v->valuestring;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && strlen(s) == 66 && sl_hex_decode(out->b, 32, s + 2, 64))
        return SL_OK;
    if (strlen(s) == 64 && sl_hex_decode(out->b, 32, s, 64)) {
        if (x->tron) return SL_OK; /* Tron ids are usually written without 0x */
        return fail(x, field, "hex without 0x");
    }
    return fail(x, field, "expected 0x and 64 hex digits, got \"%.70s\"", s);
}

static int rd_hash(pctx *x, const cJSON *o, const char *k1, const char *k2, bool req, sl_hash256 *out, bool *has)
{
    const char *used;
    const cJSON *v = get2(o, k1, k2, &used);
    if (has) *has = false;
    memset(out, 0, sizeof *out);
    if (!v) return req ? fail(x, k1, "missing") : SL_OK;
    if (has) *has = true;
    return rd_hashv(x, v, used, out);
}

/* 0x-hex bytes into the arena. */
static int rd_bytes(pctx *x, const cJSON *o, const char *k1, const char *k2, uint32_t *off, uint32_t *len)
{
    const char *used, *s;
    const cJSON *v = get2(o, k1, k2, &used);
    size_t n;
    *off = (uint32_t)x->s->arena.len;
    *len = 0;
    if (!v) return SL_OK;
    if (!cJSON_IsString(v)) return fail(x, used, "expected a 0x hex string");
    s = v->valuestring;
    n = strlen(s);
    if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return fail(x, used, "hex without 0x");
    if (n % 2) return fail(x, used, "odd number of hex digits");
    if (x->s->arena.len + n / 2 > UINT32_MAX - 16) return sl_err(x->e, SL_ELIMIT, "%s: more than 4 GiB of input data in one set", x->name);
    {
        void *p = x->s->arena.p;
        if (sl_grow(&p, &x->s->arena.cap, x->s->arena.len + n / 2 + 1, 1)) return sl_err(x->e, SL_ENOMEM, "out of memory");
        x->s->arena.p = p;
    }
    if (!sl_hex_decode(x->s->arena.p + x->s->arena.len, n / 2 - 1, s + 2, n - 2)) return fail(x, used, "bad hex digit");
    x->s->arena.len += n / 2 - 1;
    *len = (uint32_t)(n / 2 - 1);
    return SL_OK;
}

static int arena_put(pctx *x, const void *p, size_t n, uint32_t *off)
{
    /* keep u32 words aligned */
    while (x->s->arena.len % 4)
        if (sl_buf_append(&x->s->arena, "", 1)) return sl_err(x->e, SL_ENOMEM, "out of memory");
    if (x->s->arena.len + n > UINT32_MAX - 16) return sl_err(x->e, SL_ELIMIT, "%s: input too large for one set", x->name);
    *off = (uint32_t)x->s->arena.len;
    if (sl_buf_append(&x->s->arena, p, n)) return sl_err(x->e, SL_ENOMEM, "out of memory");
    return SL_OK;
}

static int rd_status(pctx *x, const cJSON *o, const char *k1, const char *k2, bool strict, uint8_t *st)
{
    uint64_t v = 0;
    bool h = false;
    int rc = rd_u64(x, o, k1, k2, strict, false, &v, &h);
    if (rc) return rc;
    if (!h) { *st = SL_ETH_STATUS_UNKNOWN; return SL_OK; }
    if (v > 1) return fail(x, k1, "status must be 0 or 1");
    *st = (uint8_t)v;
    return SL_OK;
}

/* ---------- fields a nested record shares with its parent (x->in) ---------- */
/* The first of up to three names present in o (k1 when none is). */
static const char *which(const cJSON *o, const char *k1, const char *k2, const char *k3)
{
    if (get(o, k1)) return k1;
    if (k2 && get(o, k2)) return k2;
    if (k3 && get(o, k3)) return k3;
    return k1;
}

static void hex32(char out[67], const sl_hash256 *h)
{
    out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + 2, h->b, 32);
}

/* The block number, under up to three names: required, unless the parent gives it; when
 * both do, they must agree. */
static int rd_block(pctx *x, const cJSON *o, const char *k1, const char *k2, const char *k3, bool strict, uint64_t *out)
{
    const char *used = which(o, k1, k2, k3);
    int rc;
    if (!get(o, used)) {
        if (x->in.block == UINT64_MAX) return fail(x, k1, "missing");
        *out = x->in.block;
        return SL_OK;
    }
    if ((rc = rd_u64(x, o, used, NULL, strict, true, out, NULL))) return rc;
    if (x->in.block != UINT64_MAX && *out != x->in.block)
        return fail(x, used, "block %llu, but the enclosing %s is block %llu", (unsigned long long)*out, x->in.what,
                    (unsigned long long)x->in.block);
    return SL_OK;
}

/* A hash under up to three names that must equal the parent's *want when both are known
 * (want NULL: the parent has none); taken from the parent when absent. */
static int rd_hash_in(pctx *x, const cJSON *o, const char *k1, const char *k2, const char *k3, const sl_hash256 *want,
                      sl_hash256 *out, bool *has)
{
    const char *used = which(o, k1, k2, k3);
    char a[67], b[67];
    int rc = rd_hash(x, o, used, NULL, false, out, has);
    if (rc) return rc;
    if (!*has) {
        if (want) *out = *want, *has = true;
        return SL_OK;
    }
    if (!want || !memcmp(out->b, want->b, 32)) return SL_OK;
    hex32(a, out), hex32(b, want);
    return fail(x, used, "%s, but the enclosing %s says %s", a, x->in.what, b);
}

/* transactionIndex: a block's transactions must give their own position in its list, a
 * receipt's logs the receipt's index; either is taken from the parent when absent. */
static int rd_tx_index(pctx *x, const cJSON *o, bool strict, bool req, uint32_t *out, bool *has)
{
    const char *used = which(o, "transactionIndex", "transaction_index", NULL);
    uint32_t want = x->in.pos != SL_ETH_NONE32 ? x->in.pos : x->in.tx_index;
    bool h = false;
    int rc;
    if ((rc = rd_u32(x, o, used, NULL, strict, req && want == SL_ETH_NONE32, out, &h))) return rc;
    if (!h && want != SL_ETH_NONE32) *out = want, h = true;
    else if (h && want != SL_ETH_NONE32 && *out != want) {
        if (x->in.pos != SL_ETH_NONE32)
            return fail(x, used, "%u, but it is transaction %u of the enclosing block", *out, want);
        return fail(x, used, "%u, but the enclosing %s says %u", *out, x->in.what, want);
    }
    if (has) *has = h;
    return SL_OK;
}

/* ---------- records ---------- */
static int parse_log(pctx *x, const cJSON *o, bool strict)
{
    sl_eth_log *l;
    const cJSON *t;
    const char *used;
    int rc;
    bool h;
    PUSH(x, x->s->logs, x->s->n_logs, x->s->cap_logs, l);
    if ((rc = rd_addr(x, o, "address", NULL, true, &l->address, NULL))) return rc;
    if ((rc = rd_u32(x, o, "logIndex", "log_index", strict, true, &l->log_index, NULL))) return rc;
    if ((rc = rd_hash_in(x, o, "transactionHash", "transaction_hash", "tx_hash", x->in.has_tx ? &x->in.tx : NULL,
                         &l->tx_hash, &h)))
        return rc;
    if (!h) return fail(x, "transactionHash", "missing");
    if ((rc = rd_block(x, o, "blockNumber", "block_number", "block_id", strict, &l->block))) return rc;
    if ((rc = rd_tx_index(x, o, strict, false, &l->tx_index, &l->has_tx_index))) return rc;
    if ((rc = rd_hash_in(x, o, "blockHash", "block_hash", NULL, x->in.has_hash ? &x->in.hash : NULL, &l->block_hash,
                         &l->has_block_hash)))
        return rc;
    if ((rc = rd_bytes(x, o, "data", NULL, &l->data_off, &l->data_len))) return rc;
    t = get2(o, "topics", NULL, &used);
    if (t && cJSON_IsArray(t)) {
        const cJSON *it;
        int i = 0;
        cJSON_ArrayForEach(it, t) {
            char f[16];
            if (i >= 4) return fail(x, "topics", "more than 4 topics");
            snprintf(f, sizeof f, "topics[%d]", i);
            if ((rc = rd_hashv(x, it, f, &l->topics[i]))) return rc;
            i++;
        }
        l->n_topics = (uint8_t)i;
    } else if (t && cJSON_IsString(t)) { /* CSV: comma-separated */
        const char *p = t->valuestring;
        int i = 0;
        while (*p) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            if (i >= 4) return fail(x, "topics", "more than 4 topics");
            if (n != 66 || p[0] != '0' || p[1] != 'x' || !sl_hex_decode(l->topics[i].b, 32, p + 2, 64))
                return fail(x, "topics", "topic %d is not 0x and 64 hex digits", i);
            i++;
            p += n + (c ? 1 : 0);
        }
        l->n_topics = (uint8_t)i;
    } else if (t) {
        return fail(x, "topics", "expected an array of hashes");
    }
    return SL_OK;
}

static int parse_logs_array(pctx *x, const cJSON *arr, bool strict)
{
    const cJSON *it;
    int i = 0, rc;
    size_t n;
    if (!cJSON_IsArray(arr)) return fail(x, "logs", "expected an array");
    n = path_push(x, ".logs");
    cJSON_ArrayForEach(it, arr) {
        size_t m = path_push(x, "[%d]", i++);
        if (!cJSON_IsObject(it)) return fail(x, NULL, "expected a log object");
        if ((rc = parse_log(x, it, strict))) return rc;
        path_pop(x, m);
    }
    path_pop(x, n);
    return SL_OK;
}

static int parse_receipt(pctx *x, const cJSON *o, bool strict)
{
    sl_eth_receipt *r;
    const cJSON *logs;
    int rc;
    PUSH(x, x->s->receipts, x->s->n_receipts, x->s->cap_receipts, r);
    if ((rc = rd_hash(x, o, "transactionHash", "transaction_hash", true, &r->tx_hash, NULL))) return rc;
    if ((rc = rd_block(x, o, "blockNumber", "block_number", NULL, strict, &r->block))) return rc;
    if ((rc = rd_u32(x, o, "transactionIndex", "transaction_index", strict, false, &r->index, &r->has_index))) return rc;
    if ((rc = rd_hash_in(x, o, "blockHash", "block_hash", NULL, x->in.has_hash ? &x->in.hash : NULL, &r->block_hash,
                         &r->has_block_hash)))
        return rc;
    if ((rc = rd_u64(x, o, "cumulativeGasUsed", "cumulative_gas_used", strict, false, &r->cum_gas, NULL))) return rc;
    if ((rc = rd_u64(x, o, "gasUsed", "gas_used", strict, true, &r->gas_used, NULL))) return rc;
    if ((rc = rd_u256(x, o, "effectiveGasPrice", "effective_gas_price", strict, false, &r->eff_price, &r->has_eff_price))) return rc;
    if ((rc = rd_addr(x, o, "contractAddress", "contract_address", false, &r->contract, &r->has_contract))) return rc;
    if ((rc = rd_addr(x, o, "from", NULL, false, &r->from, &r->has_from))) return rc;
    if ((rc = rd_hash(x, o, "root", NULL, false, &r->root, &r->has_root))) return rc;
    if ((rc = rd_status(x, o, "status", NULL, strict, &r->status))) return rc;
    logs = get(o, "logs");
    if (logs) {
        encl up = x->in;
        x->in.what = "receipt";
        x->in.block = r->block;
        x->in.has_hash = r->has_block_hash, x->in.hash = r->block_hash;
        x->in.has_tx = true, x->in.tx = r->tx_hash;
        x->in.tx_index = r->has_index ? r->index : SL_ETH_NONE32;
        x->in.pos = SL_ETH_NONE32;
        rc = parse_logs_array(x, logs, strict);
        x->in = up;
        if (rc) return rc;
    }
    return SL_OK;
}

/* A transaction object (x->in: the enclosing block's number, hash and time when nested). */
static int parse_tx(pctx *x, const cJSON *o, bool strict)
{
    sl_eth_tx *t;
    int rc;
    const cJSON *raw;
    PUSH(x, x->s->txs, x->s->n_txs, x->s->cap_txs, t);
    if ((rc = rd_hash(x, o, "hash", "tx_hash", true, &t->hash, NULL))) return rc;
    if ((rc = rd_block(x, o, "blockNumber", "block_number", "block_id", strict, &t->block))) return rc;
    if ((rc = rd_hash_in(x, o, "blockHash", "block_hash", NULL, x->in.has_hash ? &x->in.hash : NULL, &t->block_hash,
                         &t->has_block_hash)))
        return rc;
    if ((rc = rd_tx_index(x, o, strict, true, &t->index, NULL))) return rc;
    if ((rc = rd_addr(x, o, "from", "from_address", !x->tron, &t->from, &t->has_from))) return rc;
    if ((rc = rd_addr(x, o, "to", "to_address", false, &t->to, &t->has_to))) return rc;
    if ((rc = rd_u256(x, o, "value", NULL, strict, true, &t->value, NULL))) return rc;
    if ((rc = rd_u64(x, o, "gas", NULL, strict, false, &t->gas, NULL))) return rc;
    if ((rc = rd_u256(x, o, "gasPrice", "gas_price", strict, false, &t->gas_price, NULL))) return rc;
    if ((rc = rd_u256(x, o, "maxFeePerGas", "max_fee_per_gas", strict, false, &t->max_fee, &t->has_max_fee))) return rc;
    if ((rc = rd_u256(x, o, "maxPriorityFeePerGas", "max_priority_fee_per_gas", strict, false, &t->max_prio, NULL))) return rc;
    if ((rc = rd_u64(x, o, "nonce", NULL, strict, false, &t->nonce, NULL))) return rc;
    {
        uint64_t ty;
        const cJSON *tv = get(o, "type");
        bool numeric = tv && (cJSON_IsNumber(tv) || (cJSON_IsString(tv) && tv->valuestring[0] == '0'));
        if ((rc = rd_u64(x, o, numeric ? "type" : "transaction_type", NULL, strict, false, &ty, NULL))) return rc;
        if (ty > 255) return fail(x, "type", "transaction type above 255");
        t->type = (uint8_t)ty;
    }
    if ((rc = rd_bytes(x, o, "input", NULL, &t->input_off, &t->input_len))) return rc;
    if ((rc = rd_u64(x, o, "block_timestamp", NULL, strict, false, &t->time, &t->has_time))) return rc;
    if (!t->has_time && x->in.has_time) t->time = x->in.time, t->has_time = true;
    /* flat exports carry the receipt in the row */
    if ((rc = rd_u64(x, o, "receipt_gas_used", NULL, strict, false, &t->gas_used, &t->has_receipt))) return rc;
    if ((rc = rd_status(x, o, "receipt_status", NULL, strict, &t->status))) return rc;
    if ((rc = rd_u256(x, o, "receipt_effective_gas_price", NULL, strict, false, &t->eff_price, &t->has_eff_price))) return rc;
    if (x->tron) t->has_receipt = t->has_receipt || get(o, "receipt_status");
    /* a raw signed transaction (Parity/OpenEthereum include it): its hash must match */
    raw = get(o, "raw");
    if (raw) {
        uint32_t off, len;
        sl_hash256 hh;
        sl_error re = {0};
        if ((rc = rd_bytes(x, o, "raw", NULL, &off, &len))) return rc;
        if (sl_eth_raw_tx_hash(&hh, x->s->arena.p + off, len, &re)) return fail(x, "raw", "%s", re.msg);
        if (memcmp(hh.b, t->hash.b, 32) != 0) return fail(x, "raw", "keccak256 of the raw transaction is not the hash");
        x->s->arena.len = off; /* not kept */
    }
    return SL_OK;
}

static int parse_withdrawals(pctx *x, const cJSON *arr, bool strict, uint64_t block)
{
    const cJSON *it;
    int i = 0, rc;
    size_t n;
    if (!cJSON_IsArray(arr)) return fail(x, "withdrawals", "expected an array");
    n = path_push(x, ".withdrawals");
    cJSON_ArrayForEach(it, arr) {
        size_t m = path_push(x, "[%d]", i++);
        sl_eth_withdrawal *w;
        sl_u256 gwei;
        PUSH(x, x->s->wds, x->s->n_wds, x->s->cap_wds, w);
        w->block = block;
        if (!cJSON_IsObject(it)) return fail(x, NULL, "expected a withdrawal object");
        if ((rc = rd_u64(x, it, "index", NULL, strict, false, &w->index, NULL))) return rc;
        if ((rc = rd_addr(x, it, "address", NULL, true, &w->address, NULL))) return rc;
        if ((rc = rd_u256(x, it, "amount", NULL, strict, true, &gwei, NULL))) return rc;
        if (!sl_u256_mul64(&w->amount, &gwei, 1000000000ULL)) return fail(x, "amount", "number above 2^256-1 in wei");
        path_pop(x, m);
    }
    path_pop(x, n);
    return SL_OK;
}

static int parse_block(pctx *x, const cJSON *o, bool strict)
{
    sl_eth_block *b, bc;
    const cJSON *txs, *wd;
    int rc;
    bool h;
    size_t bi;
    PUSH(x, x->s->blocks, x->s->n_blocks, x->s->cap_blocks, b);
    bi = x->s->n_blocks - 1;
    if ((rc = rd_block(x, o, "number", "block_number", "block_id", strict, &b->number))) return rc;
    if ((rc = rd_hash(x, o, "hash", "block_hash", false, &b->hash, &b->has_hash))) return rc;
    if ((rc = rd_u64(x, o, "timestamp", "block_timestamp", strict, false, &b->time, &b->has_time))) return rc;
    if ((rc = rd_addr(x, o, "miner", "author", false, &b->miner, &b->has_miner))) return rc;
    if ((rc = rd_u256(x, o, "baseFeePerGas", "base_fee_per_gas", strict, false, &b->base_fee, &b->has_base_fee))) return rc;
    b->n_tx = SL_ETH_NONE32;
    if ((rc = rd_u32(x, o, "transaction_count", NULL, strict, false, &b->n_tx, &h))) return rc;
    if (!h) b->n_tx = SL_ETH_NONE32;
    bc = *b;
    txs = get(o, "transactions");
    if (txs) {
        const cJSON *it;
        int i = 0;
        size_t n;
        encl up = x->in;
        if (!cJSON_IsArray(txs)) return fail(x, "transactions", "expected an array");
        x->s->blocks[bi].n_tx = (uint32_t)cJSON_GetArraySize(txs);
        x->in = NO_ENCL;
        x->in.what = "block";
        x->in.block = bc.number;
        x->in.has_hash = bc.has_hash, x->in.hash = bc.hash;
        x->in.has_time = bc.has_time, x->in.time = bc.time;
        n = path_push(x, ".transactions");
        cJSON_ArrayForEach(it, txs) {
            size_t m = path_push(x, "[%d]", i);
            x->in.pos = (uint32_t)i++;
            if (cJSON_IsString(it)) { /* hashes only (eth_getBlockByNumber without full txs) */
                sl_hash256 hh;
                if ((rc = rd_hashv(x, it, NULL, &hh))) return rc;
            } else if (cJSON_IsObject(it)) {
                if ((rc = parse_tx(x, it, strict))) return rc;
            } else {
                return fail(x, NULL, "expected a transaction object or hash");
            }
            path_pop(x, m);
        }
        path_pop(x, n);
        x->in = up;
    }
    wd = get(o, "withdrawals");
    if (wd && cJSON_IsString(wd)) { /* ethereum-etl CSV: the objects, comma-separated, without brackets */
        size_t n = strlen(wd->valuestring);
        char *t = sl_malloc(n + 3);
        cJSON *arr;
        if (!t) return sl_err(x->e, SL_ENOMEM, "out of memory");
        t[0] = '[';
        memcpy(t + 1, wd->valuestring, n);
        t[n + 1] = ']', t[n + 2] = 0;
        {
            sl_error in = {0};
            rc = sl_json_parse(&arr, t, n + 2, NULL, &in);
            sl_free(t);
            if (rc == SL_ENOMEM) return sl_err(x->e, SL_ENOMEM, "out of memory");
            if (rc) return fail(x, "withdrawals", "not a list of withdrawal objects (%s)", in.msg);
        }
        rc = parse_withdrawals(x, arr, strict, bc.number);
        cJSON_Delete(arr);
        if (rc) return rc;
    } else if (wd && (rc = parse_withdrawals(x, wd, strict, bc.number))) {
        return rc;
    }
    return SL_OK;
}

static int call_type_of(const char *s)
{
    if (!strcmp(s, "call")) return SL_CALL_CALL;
    if (!strcmp(s, "callcode")) return SL_CALL_CALLCODE;
    if (!strcmp(s, "delegatecall")) return SL_CALL_DELEGATECALL;
    if (!strcmp(s, "staticcall")) return SL_CALL_STATICCALL;
    return -1;
}

static int set_error(pctx *x, sl_eth_trace *t, const cJSON *err)
{
    if (err && cJSON_IsString(err) && err->valuestring[0]) {
        int rc = arena_put(x, err->valuestring, strlen(err->valuestring), &t->err_off);
        if (rc) return rc;
        t->err_len = (uint32_t)strlen(err->valuestring);
        t->failed = true;
    }
    return SL_OK;
}

/* trace address from an array of integers or a "0,1,2" string */
static int rd_trace_addr(pctx *x, const cJSON *o, sl_eth_trace *t)
{
    const char *used;
    const cJSON *v = get2(o, "traceAddress", "trace_address", &used);
    uint32_t buf[256];
    size_t n = 0;
    int rc;
    if (!v) { t->addr_len = 0; t->addr_off = 0; return SL_OK; }
    if (cJSON_IsArray(v)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, v) {
            if (n >= 256) return fail(x, used, "deeper than 256 calls");
            if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e9 || it->valuedouble != (double)(uint32_t)it->valuedouble)
                return fail(x, used, "expected an array of small integers");
            buf[n++] = (uint32_t)it->valuedouble;
        }
    } else if (cJSON_IsString(v)) {
        const char *p = v->valuestring;
        while (*p) {
            char *end;
            unsigned long k = strtoul(p, &end, 10);
            if (end == p || k > 1000000000UL || n >= 256) return fail(x, used, "expected comma-separated integers");
            buf[n++] = (uint32_t)k;
            p = end;
            if (*p == ',') p++;
            else if (*p) return fail(x, used, "expected comma-separated integers");
        }
    } else {
        return fail(x, used, "expected an array");
    }
    if ((rc = arena_put(x, buf, n * 4, &t->addr_off))) return rc;
    t->addr_len = (uint32_t)n;
    return SL_OK;
}

/* Parity trace_block / trace_transaction object (also mev-inspect's snake-case keys). */
static int parse_parity_trace(pctx *x, const cJSON *o)
{
    sl_eth_trace *t;
    const cJSON *a = get(o, "action"), *res = get(o, "result"), *ty = get(o, "type");
    int rc;
    size_t n;
    PUSH(x, x->s->traces, x->s->n_traces, x->s->cap_traces, t);
    t->order = x->order++;
    if (!cJSON_IsString(ty)) return fail(x, "type", "missing");
    if (!cJSON_IsObject(a)) return fail(x, "action", "expected an object");
    if ((rc = rd_block(x, o, "blockNumber", "block_number", NULL, false, &t->block))) return rc;
    if ((rc = rd_hash(x, o, "transactionHash", "transaction_hash", false, &t->tx_hash, &t->has_tx))) return rc;
    if ((rc = rd_u32(x, o, "transactionPosition", "transaction_position", false, false, &t->tx_index, &t->has_tx_index))) return rc;
    if (!t->has_tx_index) t->tx_index = SL_ETH_NONE32;
    if ((rc = rd_u32(x, o, "subtraces", NULL, false, false, &t->subtraces, NULL))) return rc;
    if ((rc = rd_trace_addr(x, o, t))) return rc;
    if ((rc = set_error(x, t, get(o, "error")))) return rc;
    n = path_push(x, ".action");
    if (!strcmp(ty->valuestring, "call")) {
        const cJSON *ct = get(a, "callType");
        t->type = SL_TRACE_CALL;
        if (!cJSON_IsString(ct) || call_type_of(ct->valuestring) < 0) return fail(x, "callType", "expected call, callcode, delegatecall or staticcall");
        t->call_type = (uint8_t)call_type_of(ct->valuestring);
        if ((rc = rd_addr(x, a, "from", NULL, true, &t->from, NULL))) return rc;
        if ((rc = rd_addr(x, a, "to", NULL, true, &t->to, &t->has_to))) return rc;
        if ((rc = rd_u256(x, a, "value", NULL, true, true, &t->value, NULL))) return rc;
        if ((rc = rd_u64(x, a, "gas", NULL, true, false, &t->gas, &t->has_gas))) return rc;
    } else if (!strcmp(ty->valuestring, "create")) {
        t->type = SL_TRACE_CREATE;
        if ((rc = rd_addr(x, a, "from", NULL, true, &t->from, NULL))) return rc;
        if ((rc = rd_u256(x, a, "value", NULL, true, true, &t->value, NULL))) return rc;
        if ((rc = rd_u64(x, a, "gas", NULL, true, false, &t->gas, &t->has_gas))) return rc;
    } else if (!strcmp(ty->valuestring, "suicide") || !strcmp(ty->valuestring, "selfdestruct")) {
        t->type = SL_TRACE_SUICIDE;
        if ((rc = rd_addr(x, a, "address", NULL, true, &t->from, NULL))) return rc;
        if ((rc = rd_addr(x, a, "refundAddress", NULL, true, &t->to, &t->has_to))) return rc;
        if ((rc = rd_u256(x, a, "balance", NULL, true, true, &t->value, NULL))) return rc;
    } else if (!strcmp(ty->valuestring, "reward")) {
        const cJSON *rt = get(a, "rewardType");
        t->type = SL_TRACE_REWARD;
        t->reward_type = rt && cJSON_IsString(rt) && !strcmp(rt->valuestring, "uncle") ? 2 : 1;
        if ((rc = rd_addr(x, a, "author", NULL, true, &t->to, &t->has_to))) return rc;
        if ((rc = rd_u256(x, a, "value", NULL, true, true, &t->value, NULL))) return rc;
    } else {
        return fail(x, "type", "unknown trace type \"%.30s\"", ty->valuestring);
    }
    path_pop(x, n);
    if (res && cJSON_IsObject(res)) {
        n = path_push(x, ".result");
        if ((rc = rd_u64(x, res, "gasUsed", NULL, true, false, &t->gas_used, &t->has_gas_used))) return rc;
        if (t->type == SL_TRACE_CREATE && (rc = rd_addr(x, res, "address", NULL, false, &t->to, &t->has_to))) return rc;
        path_pop(x, n);
    }
    return SL_OK;
}

/* ethereum-etl / GraphSense trace row. */
static int parse_flat_trace(pctx *x, const cJSON *o)
{
    sl_eth_trace *t;
    const cJSON *tt = get(o, "trace_type"), *ct = get(o, "call_type"), *rt = get(o, "reward_type");
    int rc;
    bool h;
    PUSH(x, x->s->traces, x->s->n_traces, x->s->cap_traces, t);
    t->order = x->order++;
    if (!cJSON_IsString(tt)) return fail(x, "trace_type", "missing");
    if (!strcmp(tt->valuestring, "call")) t->type = SL_TRACE_CALL;
    else if (!strcmp(tt->valuestring, "create")) t->type = SL_TRACE_CREATE;
    else if (!strcmp(tt->valuestring, "suicide")) t->type = SL_TRACE_SUICIDE;
    else if (!strcmp(tt->valuestring, "reward")) t->type = SL_TRACE_REWARD;
    else return fail(x, "trace_type", "unknown trace type \"%.30s\"", tt->valuestring);
    if (ct) {
        if (!cJSON_IsString(ct) || call_type_of(ct->valuestring) < 0) return fail(x, "call_type", "unknown call type");
        t->call_type = (uint8_t)call_type_of(ct->valuestring);
    }
    if (rt && cJSON_IsString(rt)) t->reward_type = !strcmp(rt->valuestring, "uncle") ? 2 : 1;
    if ((rc = rd_block(x, o, "block_number", "block_id", NULL, false, &t->block))) return rc;
    if ((rc = rd_hash(x, o, "transaction_hash", "tx_hash", false, &t->tx_hash, &t->has_tx))) return rc;
    if ((rc = rd_u32(x, o, "transaction_index", NULL, false, false, &t->tx_index, &t->has_tx_index))) return rc;
    if (!t->has_tx_index) t->tx_index = SL_ETH_NONE32;
    if ((rc = rd_addr(x, o, "from_address", NULL, false, &t->from, NULL))) return rc;
    if ((rc = rd_addr(x, o, "to_address", NULL, false, &t->to, &t->has_to))) return rc;
    if ((rc = rd_u256(x, o, "value", NULL, false, false, &t->value, NULL))) return rc;
    if ((rc = rd_u64(x, o, "gas", NULL, false, false, &t->gas, &t->has_gas))) return rc;
    if ((rc = rd_u64(x, o, "gas_used", NULL, false, false, &t->gas_used, &t->has_gas_used))) return rc;
    if ((rc = rd_u32(x, o, "subtraces", NULL, false, false, &t->subtraces, &h))) return rc;
    if ((rc = rd_trace_addr(x, o, t))) return rc;
    if ((rc = set_error(x, t, get(o, "error")))) return rc;
    return SL_OK;
}

/* Tron internal transaction (GraphSense trx_traces). */
static int parse_tron_trace(pctx *x, const cJSON *o)
{
    sl_eth_trace *t;
    const cJSON *rej = get(o, "rejected");
    uint32_t idx;
    bool h;
    int rc;
    PUSH(x, x->s->traces, x->s->n_traces, x->s->cap_traces, t);
    t->order = x->order++;
    t->type = SL_TRACE_CALL;
    t->call_type = SL_CALL_CALL;
    t->tx_index = SL_ETH_NONE32;
    if ((rc = rd_block(x, o, "block_id", "block_number", NULL, false, &t->block))) return rc;
    if ((rc = rd_hash(x, o, "tx_hash", "transaction_hash", true, &t->tx_hash, &t->has_tx))) return rc;
    if ((rc = rd_addr(x, o, "caller_address", NULL, true, &t->from, NULL))) return rc;
    if ((rc = rd_addr(x, o, "transferto_address", NULL, true, &t->to, &t->has_to))) return rc;
    if ((rc = rd_u256(x, o, "call_value", NULL, false, false, &t->value, NULL))) return rc;
    if ((rc = rd_u32(x, o, "trace_index", "internal_index", false, false, &idx, &h))) return rc;
    if (rej && !cJSON_IsBool(rej)) return fail(x, "rejected", "expected true or false");
    t->failed = rej && cJSON_IsTrue(rej);
    if ((rc = arena_put(x, &idx, 4, &t->addr_off))) return rc;
    t->addr_len = 1;
    return SL_OK;
}

/* geth callTracer frame, flattened depth-first with parity-style trace addresses. */
static int parse_frame(pctx *x, const cJSON *f, const sl_hash256 *txh, bool has_txh, uint64_t block, uint32_t txi,
                       uint32_t *addr, size_t depth, const sl_eth_addr *parent)
{
    sl_eth_trace *t;
    const cJSON *ty = get(f, "type"), *calls;
    const char *s;
    int rc;
    if (depth > 1024) return fail(x, NULL, "calls nested deeper than 1024");
    if (!cJSON_IsObject(f) || !cJSON_IsString(ty)) return fail(x, "type", "expected a call frame with a type");
    PUSH(x, x->s->traces, x->s->n_traces, x->s->cap_traces, t);
    t->order = x->order++;
    t->block = block;
    t->tx_index = txi;
    t->has_tx_index = txi != SL_ETH_NONE32;
    t->has_tx = has_txh;
    if (has_txh) t->tx_hash = *txh;
    s = ty->valuestring;
    if (!strcmp(s, "CALL")) t->type = SL_TRACE_CALL, t->call_type = SL_CALL_CALL;
    else if (!strcmp(s, "CALLCODE")) t->type = SL_TRACE_CALL, t->call_type = SL_CALL_CALLCODE;
    else if (!strcmp(s, "DELEGATECALL")) t->type = SL_TRACE_CALL, t->call_type = SL_CALL_DELEGATECALL;
    else if (!strcmp(s, "STATICCALL")) t->type = SL_TRACE_CALL, t->call_type = SL_CALL_STATICCALL;
    else if (!strcmp(s, "CREATE") || !strcmp(s, "CREATE2")) t->type = SL_TRACE_CREATE;
    else if (!strcmp(s, "SELFDESTRUCT")) t->type = SL_TRACE_SUICIDE;
    else return fail(x, "type", "unknown call type \"%.30s\"", s);
    if ((rc = rd_addr(x, f, "from", NULL, t->type != SL_TRACE_SUICIDE, &t->from, NULL))) return rc;
    if ((rc = rd_addr(x, f, "to", NULL, false, &t->to, &t->has_to))) return rc;
    if (t->type == SL_TRACE_SUICIDE && !get(f, "from") && parent) t->from = *parent; /* old geth: {"type"} only */
    if ((rc = rd_u256(x, f, "value", NULL, true, false, &t->value, NULL))) return rc;
    if ((rc = rd_u64(x, f, "gas", NULL, true, false, &t->gas, &t->has_gas))) return rc;
    if ((rc = rd_u64(x, f, "gasUsed", NULL, true, false, &t->gas_used, &t->has_gas_used))) return rc;
    if ((rc = set_error(x, t, get(f, "error")))) return rc;
    if ((rc = arena_put(x, addr, depth * 4, &t->addr_off))) return rc;
    t->addr_len = (uint32_t)depth;
    calls = get(f, "calls");
    if (calls) {
        const cJSON *it;
        uint32_t k = 0, *child;
        size_t n;
        size_t ti = (size_t)(t - x->s->traces);
        if (!cJSON_IsArray(calls)) return fail(x, "calls", "expected an array");
        child = sl_malloc((depth + 1) * sizeof *child);
        if (!child) return sl_err(x->e, SL_ENOMEM, "out of memory");
        if (depth) memcpy(child, addr, depth * sizeof *child); /* addr is NULL at the root */
        n = path_push(x, ".calls");
        cJSON_ArrayForEach(it, calls) {
            size_t m = path_push(x, "[%u]", k);
            child[depth] = k++;
            sl_eth_addr self = x->s->traces[ti].to;
            if ((rc = parse_frame(x, it, txh, has_txh, block, txi, child, depth + 1, &self))) { sl_free(child); return rc; }
            path_pop(x, m);
        }
        path_pop(x, n);
        sl_free(child);
        x->s->traces[ti].subtraces = k;
    }
    return SL_OK;
}

/* debug_traceBlockByNumber result: [{"txHash"?, "result": frame}, ...] or bare frames. */
static int parse_geth_block_traces(pctx *x, const cJSON *arr, uint64_t block)
{
    const cJSON *it;
    uint32_t i = 0;
    int rc;
    cJSON_ArrayForEach(it, arr) {
        size_t m = path_push(x, "[%u]", i);
        const cJSON *fr = get(it, "result");
        sl_hash256 th;
        bool h = false;
        if ((rc = rd_hash(x, it, "txHash", NULL, false, &th, &h))) return rc;
        if (!fr) fr = it;
        else path_push(x, ".result");
        if ((rc = parse_frame(x, fr, &th, h, block, i, NULL, 0, NULL))) return rc;
        path_pop(x, m);
        i++;
    }
    return SL_OK;
}

static int parse_xfer(pctx *x, const cJSON *o)
{
    sl_eth_xfer *t;
    int rc;
    PUSH(x, x->s->xfers, x->s->n_xfers, x->s->cap_xfers, t);
    if ((rc = rd_addr(x, o, "token_address", NULL, true, &t->token, NULL))) return rc;
    if ((rc = rd_addr(x, o, "from_address", NULL, true, &t->from, NULL))) return rc;
    if ((rc = rd_addr(x, o, "to_address", NULL, true, &t->to, NULL))) return rc;
    if ((rc = rd_u256(x, o, "value", NULL, false, true, &t->value, NULL))) return rc;
    if ((rc = rd_hash(x, o, "transaction_hash", "tx_hash", true, &t->tx_hash, NULL))) return rc;
    if ((rc = rd_u32(x, o, "log_index", NULL, false, true, &t->log_index, NULL))) return rc;
    if ((rc = rd_u64(x, o, "block_number", "block_id", false, true, &t->block, NULL))) return rc;
    return SL_OK;
}

static int dispatch(pctx *x, const cJSON *v, int depth);

/* mev-inspect-py block file: {block_number, miner, base_fee_per_gas, traces, receipts, ...} */
static int parse_mev(pctx *x, const cJSON *o, int depth)
{
    sl_eth_block *b;
    const cJSON *k;
    int rc;
    encl up = x->in;
    PUSH(x, x->s->blocks, x->s->n_blocks, x->s->cap_blocks, b);
    b->n_tx = SL_ETH_NONE32;
    if ((rc = rd_block(x, o, "block_number", NULL, NULL, false, &b->number))) return rc;
    if ((rc = rd_u64(x, o, "block_timestamp", NULL, false, false, &b->time, &b->has_time))) return rc;
    if ((rc = rd_addr(x, o, "miner", NULL, false, &b->miner, &b->has_miner))) return rc;
    if ((rc = rd_u256(x, o, "base_fee_per_gas", NULL, false, false, &b->base_fee, &b->has_base_fee))) return rc;
    /* its receipts, logs, traces and block all belong to block_number */
    x->in = NO_ENCL;
    x->in.what = "block file";
    x->in.block = b->number;
    for (k = o->child; k; k = k->next) {
        size_t m;
        if (!k->string || cJSON_IsNull(k)) continue;
        if (strcmp(k->string, "traces") && strcmp(k->string, "receipts") && strcmp(k->string, "data") &&
            strcmp(k->string, "logs"))
            continue;
        m = path_push(x, ".%s", k->string);
        if ((rc = dispatch(x, k, depth + 1))) return rc;
        path_pop(x, m);
    }
    x->in = up;
    return SL_OK;
}

static bool has(const cJSON *o, const char *k) { return find(o, k) != NULL; }

static int dispatch_object(pctx *x, const cJSON *o, int depth)
{
    const cJSON *ty = get(o, "type");
    /* JSON-RPC envelope */
    if (has(o, "jsonrpc") || (has(o, "id") && (has(o, "result") || has(o, "error"))) ||
        (has(o, "result") && o->child && !o->child->next)) { /* also a bare {"result": ...} */
        const cJSON *err = get(o, "error"), *res = find(o, "result");
        size_t m;
        int rc;
        if (err) {
            const cJSON *msg = cJSON_IsObject(err) ? get(err, "message") : NULL;
            return fail(x, "error", "the node answered with an error: %.200s",
                        msg && cJSON_IsString(msg) ? msg->valuestring : "(no message)");
        }
        if (!res || cJSON_IsNull(res)) return fail(x, "result", "null (the node had no answer)");
        m = path_push(x, ".result");
        if (cJSON_IsString(res) || cJSON_IsBool(res) || cJSON_IsNumber(res)) {
            rc = SL_OK; /* eth_newFilter, eth_uninstallFilter, eth_blockNumber...: no records */
        } else if (cJSON_IsArray(res) && res->child && cJSON_IsObject(res->child) && has(res->child, "result") &&
                   !has(res->child, "jsonrpc") && !has(res->child, "action")) {
            rc = parse_geth_block_traces(x, res, UINT64_MAX);
        } else {
            rc = dispatch(x, res, depth + 1);
        }
        path_pop(x, m);
        return rc;
    }
    if (has(o, "block_number") && has(o, "traces") && !has(o, "trace_type")) return parse_mev(x, o, depth);
    if (has(o, "transaction_traces")) { /* ethereum-etl geth_traces.json */
        uint64_t b;
        int rc;
        size_t m;
        const cJSON *tt = get(o, "transaction_traces");
        if ((rc = rd_u64(x, o, "block_number", NULL, false, true, &b, NULL))) return rc;
        if (!cJSON_IsArray(tt)) return fail(x, "transaction_traces", "expected an array");
        m = path_push(x, ".transaction_traces");
        rc = parse_geth_block_traces(x, tt, b);
        path_pop(x, m);
        return rc;
    }
    if (ty && cJSON_IsString(ty) && has(o, "item_id") == false && !has(o, "from") && !has(o, "action")) {
        /* ethereum-etl JSON exports name their record type */
        const char *t = ty->valuestring;
        if (!strcmp(t, "block")) return parse_block(x, o, false);
        if (!strcmp(t, "transaction")) return parse_tx(x, o, false);
        if (!strcmp(t, "log")) return parse_log(x, o, false);
        if (!strcmp(t, "receipt")) return parse_receipt(x, o, false);
        if (!strcmp(t, "token_transfer")) return parse_xfer(x, o);
        if (!strcmp(t, "trace")) return parse_flat_trace(x, o);
        if (!strcmp(t, "contract") || !strcmp(t, "token")) return SL_OK; /* not flows */
    }
    if ((has(o, "symbol") && has(o, "decimals")) || has(o, "bytecode")) return SL_OK; /* etl tokens/contracts */
    if (has(o, "action") && (has(o, "traceAddress") || has(o, "trace_address"))) return parse_parity_trace(x, o);
    if (has(o, "trace_type")) return parse_flat_trace(x, o);
    if (has(o, "caller_address")) return parse_tron_trace(x, o);
    if (has(o, "token_address")) return parse_xfer(x, o);
    if (has(o, "topics")) {
        bool strict = has(o, "logIndex") && !has(o, "log_index");
        return parse_log(x, o, strict && cJSON_IsString(find(o, "logIndex")));
    }
    if (has(o, "transactionHash") && has(o, "cumulativeGasUsed"))
        return parse_receipt(x, o, cJSON_IsString(find(o, "gasUsed")));
    if (has(o, "transaction_hash") && has(o, "gas_used") && !has(o, "from_address")) return parse_receipt(x, o, false);
    if (has(o, "transactions") && (has(o, "number") || has(o, "parentHash")))
        return parse_block(x, o, cJSON_IsString(find(o, "number")));
    if ((has(o, "number") || has(o, "block_id") || has(o, "block_number")) &&
        (has(o, "transaction_count") || has(o, "parent_hash")))
        return parse_block(x, o, false);
    if (has(o, "hash") && has(o, "from") && has(o, "nonce"))
        return parse_tx(x, o, cJSON_IsString(find(o, "nonce")));
    if ((has(o, "from_address") || has(o, "tx_hash")) && (has(o, "nonce") || has(o, "gas_price")))
        return parse_tx(x, o, false);
    if (has(o, "result") && cJSON_IsObject(get(o, "result")) && has(get(o, "result"), "type")) {
        sl_hash256 th;
        bool h;
        int rc;
        if ((rc = rd_hash(x, o, "txHash", NULL, false, &th, &h))) return rc;
        return parse_frame(x, get(o, "result"), &th, h, UINT64_MAX, SL_ETH_NONE32, NULL, 0, NULL);
    }
    if (has(o, "type") && has(o, "from") && (has(o, "calls") || has(o, "gasUsed")))
        return parse_frame(x, o, NULL, false, UINT64_MAX, SL_ETH_NONE32, NULL, 0, NULL);
    return fail(x, NULL, "not a record sleuth reads (expected a block, transaction, receipt, log or trace)");
}

static int dispatch(pctx *x, const cJSON *v, int depth)
{
    if (depth > 16) return fail(x, NULL, "documents nested too deeply");
    if (cJSON_IsArray(v)) {
        const cJSON *it;
        int i = 0, rc;
        cJSON_ArrayForEach(it, v) {
            size_t m = path_push(x, "[%d]", i++);
            if ((rc = dispatch(x, it, depth + 1))) return rc;
            path_pop(x, m);
        }
        return SL_OK;
    }
    if (cJSON_IsObject(v)) return dispatch_object(x, v, depth);
    return fail(x, NULL, "expected an object or an array");
}

/* Copies text, turning bare integers of 16+ digits into "\x01digits" strings. Returns
 * NULL (and *out_len 0) when there is nothing to rewrite. */
static char *quote_big_numbers(const char *t, size_t n, size_t *out_len, bool *oom)
{
    size_t i = 0, o = 0, extra = 0;
    bool in_str = false;
    char *r = NULL;
    *oom = false;
    *out_len = 0;
    for (int pass = 0; pass < 2; pass++) {
        in_str = false;
        o = 0;
        for (i = 0; i < n;) {
            char c = t[i];
            if (in_str) {
                /* copy up to the next quote or backslash in one step: every byte of a
                 * string is looked at once, however long the string and wherever its
                 * escapes are (a rescan from each byte was quadratic) */
                const char *q = t + i, *qe = t + n;
                size_t k;
                while (q < qe && *q != '"' && *q != '\\') q++;
                k = (size_t)(q - (t + i));
                if (r) memcpy(r + o, t + i, k);
                o += k, i += k;
                if (i >= n) break; /* unterminated: cJSON reports it */
                if (t[i] == '"') in_str = false;
                else if (i + 1 < n) { /* a backslash and the byte it escapes */
                    if (r) r[o] = t[i];
                    o++, i++;
                }
                if (r) r[o] = t[i];
                o++, i++;
                continue;
            }
            if (c == '"') { in_str = true; if (r) r[o] = c; o++, i++; continue; }
            if ((c >= '0' && c <= '9') && (i == 0 || !((t[i - 1] >= '0' && t[i - 1] <= '9') || t[i - 1] == '.' ||
                                                      t[i - 1] == 'e' || t[i - 1] == 'E' || t[i - 1] == '-' ||
                                                      t[i - 1] == '+'))) {
                size_t j = i;
                while (j < n && t[j] >= '0' && t[j] <= '9') j++;
                if (j - i >= 16 && (j == n || (t[j] != '.' && t[j] != 'e' && t[j] != 'E'))) {
                    if (r) {
                        r[o++] = '"';
                        r[o++] = BIGNUM_MARK;
                        memcpy(r + o, t + i, j - i);
                        o += j - i;
                        r[o++] = '"';
                    } else {
                        o += j - i + 3;
                        extra++;
                    }
                    i = j;
                    continue;
                }
                if (r) memcpy(r + o, t + i, j - i);
                o += j - i;
                i = j;
                continue;
            }
            if (r) r[o] = c;
            o++, i++;
        }
        if (pass == 0) {
            if (!extra) return NULL;
            r = sl_malloc(o + 1);
            if (!r) { *oom = true; return NULL; }
        }
    }
    r[o] = 0;
    *out_len = o;
    return r;
}

/* The end of the JSON value that starts at t[0] (t[0] is not whitespace), found without
 * parsing it: strings skipped whole, brackets counted. *big is set when the value holds a
 * bare integer of 16+ digits (quote_big_numbers must rewrite it). Malformed text only has
 * to end somewhere: cJSON reports it. */
static size_t value_end(const char *t, size_t n, bool *big)
{
    size_t i = 0, depth = 0;
    *big = false;
    if (t[0] != '{' && t[0] != '[') { /* a lone scalar: up to the next whitespace */
        if (t[0] == '"') {
            for (i = 1; i < n && t[i] != '"'; i++) if (t[i] == '\\') i++;
            return i < n ? i + 1 : n;
        }
        while (i < n && t[i] != ' ' && t[i] != '\n' && t[i] != '\t' && t[i] != '\r') i++;
        *big = true; /* let quote_big_numbers decide */
        return i;
    }
    while (i < n) {
        char c = t[i];
        if (c == '"') {
            const char *q = t + i + 1, *qe = t + n;
            for (;;) {
                while (q < qe && *q != '"' && *q != '\\') q++;
                if (q >= qe || *q == '"') break;
                q += 2; /* a backslash and the byte it escapes */
            }
            if (q >= qe) return n;
            i = (size_t)(q - t) + 1;
        } else if (c == '{' || c == '[') {
            depth++, i++;
        } else if (c == '}' || c == ']') {
            i++;
            if (--depth == 0) return i;
        } else if (c >= '0' && c <= '9') {
            size_t j = i;
            while (j < n && t[j] >= '0' && t[j] <= '9') j++;
            if (j - i >= 16) *big = true;
            i = j;
        } else {
            i++;
        }
    }
    return n;
}

static bool ws_byte(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/* cJSON's nodes and strings of one document come from a bump arena, dropped whole when the
 * document is done: malloc/free of every node was a sixth of the ingest's time. The hooks
 * are cJSON's global ones, set only while a document is parsed and read (cJSON_InitHooks
 * back to malloc/free before returning), which is why a reader is not thread-safe. */
typedef struct bump_chunk {
    struct bump_chunk *next;
    size_t cap, used;
    max_align_t data[];
} bump_chunk;
static bump_chunk *g_bump;      /* the chunk being filled; older ones follow */
static bump_chunk *g_bump_free; /* emptied chunks kept for the next document */

static void *bump_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!g_bump || g_bump->cap - g_bump->used < n) {
        bump_chunk *c = g_bump_free;
        size_t want = n > (1u << 20) ? n : (1u << 20);
        if (c && c->cap >= want) g_bump_free = c->next;
        else if (!(c = sl_malloc(sizeof *c + want))) return NULL;
        else c->cap = want;
        c->used = 0;
        c->next = g_bump;
        g_bump = c;
    }
    g_bump->used += n;
    return (char *)g_bump->data + g_bump->used - n;
}
static void bump_free(void *p) { (void)p; }

/* Ends a document: its chunks go back to the free list (at most 64 MiB kept). */
static void bump_reset(void)
{
    size_t kept = 0;
    for (bump_chunk *c = g_bump_free; c; c = c->next) kept += c->cap;
    while (g_bump) {
        bump_chunk *c = g_bump;
        g_bump = c->next;
        if (kept + c->cap <= ((size_t)64 << 20)) { c->next = g_bump_free, g_bump_free = c, kept += c->cap; }
        else sl_free(c);
    }
}

void sl_eth_reader_init(sl_eth_reader *r, const char *name, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->text = text;
    r->len = len;
    hexv_init();
}

int sl_eth_reader_next(sl_eth_reader *r, sl_eth_set *s, bool *done, sl_error *e)
{
    pctx x;
    size_t start = r->pos, p = r->pos, q, after;
    bool big, more;
    char *quoted = NULL, note[96];
    const char *doc;
    size_t doclen;
    cJSON *root = NULL;
    int rc;
    *done = false;
    memset(&x, 0, sizeof x);
    while (p < r->len && ws_byte(r->text[p])) p++;
    if (p >= r->len) {
        s->bytes_read += p - start;
        r->pos = p;
        *done = true;
        return SL_OK;
    }
    q = p + value_end(r->text + p, r->len - p, &big);
    for (after = q; after < r->len && ws_byte(r->text[after]); after++) {}
    more = r->doc > 0 || after < r->len;
    doc = r->text + p, doclen = q - p;
    if (big) {
        bool oom;
        size_t qlen;
        quoted = quote_big_numbers(doc, doclen, &qlen, &oom);
        if (oom) return sl_err(e, SL_ENOMEM, "out of memory");
        if (quoted) doc = quoted, doclen = qlen;
    }
    /* strict: one value spanning the document, then the duplicate-key check under its path */
    if (more) snprintf(x.path, sizeof x.path, "$<doc %d>", r->doc + 1);
    else strcpy(x.path, "$");
    {
        const char *ret = NULL, *end = doc + doclen;
        cJSON_Hooks h = {bump_alloc, bump_free};
        cJSON_InitHooks(&h);
        root = cJSON_ParseWithLengthOpts(doc, doclen, &ret, false);
        if (root) while (ret < end && ws_byte(*ret)) ret++;
        if (!root || ret < end) {
            /* the offset counts from the start of the file (of the document after number
             * quoting, which moves bytes) */
            size_t off = (size_t)((ret && ret >= doc && ret <= end ? ret : doc) - doc) + (quoted ? 0 : p);
            if (quoted) snprintf(note, sizeof note, " (in the document at byte %zu, after number quoting)", p);
            else note[0] = 0;
            rc = sl_err(e, SL_ECORRUPT, "%s: byte offset %zu: malformed JSON%s", r->name, off, note);
        } else {
            rc = sl_json_check_keys(root, r->name, x.path, e);
        }
    }
    if (!rc) {
        x.s = s;
        x.name = r->name;
        x.e = e;
        x.tron = s->chain && s->chain->tron;
        x.order = (uint32_t)s->n_traces;
        x.in = NO_ENCL;
        rc = dispatch(&x, root, 0);
    }
    root = NULL; /* its nodes are the arena's */
    bump_reset();
    sl_alloc_cjson_hooks(); /* back to the allocator seam */
    sl_free(quoted);
    if (rc) return rc;
    r->doc++;
    s->bytes_read += after - start;
    r->pos = after;
    return SL_OK;
}

int sl_eth_parse_json(sl_eth_set *s, const char *name, const char *text, size_t len, sl_error *e)
{
    sl_eth_reader r;
    bool done = false;
    int rc = SL_OK;
    sl_eth_reader_init(&r, name, text, len);
    while (!rc && !done) rc = sl_eth_reader_next(&r, s, &done, e);
    return rc;
}

/* Appends the arena bytes of src to dst at an 8-aligned offset (trace addresses are u32
 * words); *base gets the offset src's offsets are shifted by. */
static int arena_move(sl_eth_set *dst, const sl_eth_set *src, uint32_t *base, sl_error *e)
{
    static const char zero[8];
    size_t pad = (8 - dst->arena.len % 8) % 8;
    if (dst->arena.len + pad + src->arena.len > UINT32_MAX)
        return sl_err(e, SL_ELIMIT, "a segment's records hold more than 4 GiB of bytes");
    if ((pad && sl_buf_append(&dst->arena, zero, pad)) ||
        (src->arena.len && sl_buf_append(&dst->arena, src->arena.p, src->arena.len)))
        return sl_err(e, SL_ENOMEM, "out of memory");
    *base = (uint32_t)(dst->arena.len - src->arena.len);
    return SL_OK;
}

#define APPEND(arr, n, cap)                                                                              \
    do {                                                                                                 \
        void *q_ = dst->arr;                                                                             \
        if (src->n && sl_grow(&q_, &dst->cap, dst->n + src->n, sizeof *dst->arr))                        \
            return sl_err(e, SL_ENOMEM, "out of memory");                                                \
        dst->arr = q_;                                                                                   \
        if (src->n) memcpy(dst->arr + dst->n, src->arr, src->n * sizeof *dst->arr);                      \
    } while (0)

int sl_eth_set_append(sl_eth_set *dst, const sl_eth_set *src, sl_error *e)
{
    uint32_t base = 0, order = (uint32_t)dst->n_traces;
    int rc;
    if ((rc = arena_move(dst, src, &base, e))) return rc;
    APPEND(blocks, n_blocks, cap_blocks);
    APPEND(txs, n_txs, cap_txs);
    APPEND(receipts, n_receipts, cap_receipts);
    APPEND(logs, n_logs, cap_logs);
    APPEND(traces, n_traces, cap_traces);
    APPEND(wds, n_wds, cap_wds);
    APPEND(xfers, n_xfers, cap_xfers);
    for (size_t i = 0; i < src->n_txs; i++) dst->txs[dst->n_txs + i].input_off += base;
    for (size_t i = 0; i < src->n_logs; i++) dst->logs[dst->n_logs + i].data_off += base;
    for (size_t i = 0; i < src->n_traces; i++) {
        sl_eth_trace *t = &dst->traces[dst->n_traces + i];
        t->addr_off += base, t->err_off += base, t->order += order;
    }
    dst->n_blocks += src->n_blocks, dst->n_txs += src->n_txs, dst->n_receipts += src->n_receipts;
    dst->n_logs += src->n_logs, dst->n_traces += src->n_traces, dst->n_wds += src->n_wds;
    dst->n_xfers += src->n_xfers;
    dst->bytes_read += src->bytes_read;
    return SL_OK;
}

bool sl_eth_set_range(const sl_eth_set *s, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = UINT64_MAX, b = 0;
    bool known = true;
#define SPAN(arr, n, field)                                                        \
    for (size_t i = 0; i < s->n; i++) {                                          \
        uint64_t v = s->arr[i].field;                                            \
        if (v == UINT64_MAX) known = false;                                      \
        else { if (v < a) a = v; if (v > b) b = v; }                             \
    }
    SPAN(blocks, n_blocks, number)
    SPAN(txs, n_txs, block)
    SPAN(receipts, n_receipts, block)
    SPAN(logs, n_logs, block)
    SPAN(traces, n_traces, block)
    SPAN(wds, n_wds, block)
    SPAN(xfers, n_xfers, block)
#undef SPAN
    *lo = a, *hi = b;
    return known;
}

/* ---------- CSV (RFC 4180: quotes, doubled quotes, CRLF) ---------- */
static int csv_field(const char **pp, const char *end, sl_buf *out, bool *eol)
{
    const char *p = *pp;
    out->len = 0;
    *eol = false;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            if (p >= end) return -1;
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') { if (sl_buf_append(out, "\"", 1)) return -2; p += 2; continue; }
                p++;
                break;
            }
            if (sl_buf_append(out, p, 1)) return -2;
            p++;
        }
    } else {
        const char *s = p;
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') p++;
        if (sl_buf_append(out, s, (size_t)(p - s))) return -2;
    }
    if (sl_buf_append(out, "", 1)) return -2;
    out->len--;
    if (p < end && *p == ',') p++;
    else {
        if (p < end && *p == '\r') p++;
        if (p < end && *p == '\n') p++;
        else if (p < end) return -1;
        *eol = true;
    }
    *pp = p;
    return 0;
}

int sl_eth_parse_csv(sl_eth_set *s, const char *name, const char *text, size_t len, sl_error *e)
{
    const char *p = text, *end = text + len;
    char **hdr = NULL;
    size_t nh = 0, caph = 0;
    sl_buf f = {0};
    bool eol = false;
    int rc = SL_OK, row = 0;
    pctx x;
    hexv_init();
    memset(&x, 0, sizeof x);
    x.s = s;
    x.name = name;
    x.e = e;
    x.tron = s->chain && s->chain->tron;
    x.order = (uint32_t)s->n_traces;
    x.in = NO_ENCL;
    s->bytes_read += len;
    while (!eol && p < end) {
        void *q = hdr;
        int r = csv_field(&p, end, &f, &eol);
        if (r) { rc = r == -2 ? sl_err(e, SL_ENOMEM, "out of memory") : sl_err(e, SL_ECORRUPT, "%s: line 1: malformed CSV header", name); goto out; }
        if (sl_grow(&q, &caph, nh + 1, sizeof *hdr)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
        hdr = q;
        if (!(hdr[nh++] = sl_strdup((const char *)f.p))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
    }
    { /* a column named twice is a duplicate key of every row: refused as in JSON */
        size_t c1, c2;
        if (sl_json_first_repeat((const char *const *)hdr, nh, &c1, &c2)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
        if (c2 < nh) {
            rc = sl_err(e, SL_ECORRUPT, "%s: line 1: column \"%.64s\" is named twice (columns %zu and %zu)", name, hdr[c2],
                        c1 + 1, c2 + 1);
            goto out;
        }
    }
    while (p < end && !rc) {
        cJSON *o = cJSON_CreateObject();
        size_t k = 0;
        row++;
        if (!o) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        eol = false;
        while (!eol) {
            int r = csv_field(&p, end, &f, &eol);
            if (r) { rc = r == -2 ? sl_err(e, SL_ENOMEM, "out of memory") : sl_err(e, SL_ECORRUPT, "%s: line %d: malformed CSV", name, row + 1); break; }
            if (k >= nh) { rc = sl_err(e, SL_ECORRUPT, "%s: line %d: more fields than the header's %zu", name, row + 1, nh); break; }
            cJSON_AddStringToObject(o, hdr[k], (const char *)f.p);
            k++;
        }
        if (!rc && k != nh && !(k == 1 && f.len == 0))
            rc = sl_err(e, SL_ECORRUPT, "%s: line %d: %zu fields, the header has %zu", name, row + 1, k, nh);
        if (!rc && !(k == 1 && f.len == 0)) {
            snprintf(x.path, sizeof x.path, "line %d", row + 1);
            rc = dispatch_object(&x, o, 0);
        }
        cJSON_Delete(o);
    }
out:
    for (size_t i = 0; i < nh; i++) sl_free(hdr[i]);
    sl_free(hdr);
    sl_buf_free(&f);
    return rc;
}
