/* rpc.c — the watcher's JSON-RPC calls (over the shared client of sleuth/jsonrpc.h) to
 * Bitcoin Core-compatible nodes (getblockchaininfo, getblockhash, getblock verbosity 0) and Ethereum-style nodes
 * (eth_blockNumber, eth_getBlockByNumber), and the strict parsers of their answers. Node
 * answers are untrusted input: every one is parsed by sl_json_parse (a repeated key or
 * malformed JSON is an error naming the call), checked for its type, and bounded (an
 * answer above 64 MiB is refused; a block above SL_BTC_MAX_BLOCK_SIZE too). The parsers
 * are the fuzz target fuzz/fuzz_watch_rpc.c.
 */
#include "watch_int.h"

#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/json.h"
#include "sleuth/jsonrpc.h"

int wrpc_open(wrpc **out, const char *url, sl_error *e)
{
    /* a node being restarted or busy: three tries */
    const sl_jsonrpc_opts o = {.max_answer = (size_t)64 << 20, .timeout_s = 60, .tries = 3};
    return sl_jsonrpc_open(out, url, &o, e);
}

void wrpc_close(wrpc *r) { sl_jsonrpc_close(r); }

int wrpc_parse_answer(const char *body, size_t len, const char *what, cJSON **result, sl_error *e)
{
    cJSON *j = NULL, *res, *er;
    int rc;
    *result = NULL;
    if ((rc = sl_json_parse(&j, body, len, what, e))) return rc;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return sl_err(e, SL_ECORRUPT, "%s: the answer is not a JSON-RPC object", what);
    }
    er = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (er && !cJSON_IsNull(er)) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(er, "message");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(er, "code");
        const char *m = cJSON_IsString(msg) ? msg->valuestring : "no message";
        /* Core: -8 "Block height out of range", -5 "Block not found"; EVM nodes answer
         * null for a block they do not have (handled by the callers) */
        bool range = cJSON_IsNumber(code) && (code->valuedouble == -8 || code->valuedouble == -5);
        rc = sl_err(e, range ? SL_ENOTFOUND : SL_EUNSUPPORTED, "%s: the node answered error %.0f: %.300s", what,
                    cJSON_IsNumber(code) ? code->valuedouble : 0.0, m);
        cJSON_Delete(j);
        return rc;
    }
    if (!(res = cJSON_DetachItemFromObjectCaseSensitive(j, "result"))) {
        cJSON_Delete(j);
        return sl_err(e, SL_ECORRUPT, "%s: the answer has no \"result\"", what);
    }
    cJSON_Delete(j);
    *result = res;
    return SL_OK;
}

int wrpc_call(wrpc *r, const char *method, const char *params, cJSON **result, sl_error *e)
{
    char what[600];
    const char *body;
    size_t len;
    int rc;
    *result = NULL;
    snprintf(what, sizeof what, "%s %s(%.200s)", sl_jsonrpc_url(r), method, params);
    if ((rc = sl_jsonrpc_call(r, method, params, &body, &len, e))) return rc;
    return wrpc_parse_answer(body, len, what, result, e);
}

int wrpc_hash(const cJSON *v, bool rev, sl_hash256 *h, const char *what, sl_error *e)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (s && s[0] == '0' && s[1] == 'x') s += 2;
    if (!s || strlen(s) != 64 || !(rev ? sl_hex_decode_rev(h->b, 32, s, 64) : sl_hex_decode(h->b, 32, s, 64)))
        return sl_err(e, SL_ECORRUPT, "%s: not a block hash of 64 hex digits", what);
    return SL_OK;
}

int wrpc_quantity(const cJSON *v, uint64_t *out, const char *what, sl_error *e)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0 &&
        v->valuedouble == (double)(uint64_t)v->valuedouble) {
        *out = (uint64_t)v->valuedouble;
        return SL_OK;
    }
    if (cJSON_IsString(v) && v->valuestring[0] == '0' && v->valuestring[1] == 'x' && v->valuestring[2] &&
        strlen(v->valuestring) <= 18) {
        uint64_t x = 0;
        for (const char *p = v->valuestring + 2; *p; p++) {
            int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                  : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
            if (d < 0) return sl_err(e, SL_ECORRUPT, "%s: '%.40s' is not a hex quantity", what, v->valuestring);
            x = x << 4 | (uint64_t)d;
        }
        *out = x;
        return SL_OK;
    }
    return sl_err(e, SL_ECORRUPT, "%s: not a block number", what);
}

int wrpc_block_hex(const cJSON *v, uint8_t **out, size_t *n, const char *what, sl_error *e)
{
    size_t len;
    *out = NULL;
    *n = 0;
    if (!cJSON_IsString(v)) return sl_err(e, SL_ECORRUPT, "%s: the block is not a hex string", what);
    len = strlen(v->valuestring);
    if (len == 0 || len % 2 || len / 2 > SL_BTC_MAX_BLOCK_SIZE)
        return sl_err(e, SL_ECORRUPT, "%s: a block of %zu hex digits (even, at most %u bytes)", what, len, SL_BTC_MAX_BLOCK_SIZE);
    if (!(*out = sl_malloc(len / 2))) return sl_err(e, SL_ENOMEM, "out of memory");
    if (!sl_hex_decode(*out, len / 2, v->valuestring, len)) {
        sl_free(*out);
        *out = NULL;
        return sl_err(e, SL_ECORRUPT, "%s: the block is not hex", what);
    }
    *n = len / 2;
    return SL_OK;
}
