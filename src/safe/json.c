/* json.c — reads Safe transactions in the transaction service's JSON (one
 * multisig-transaction object, a paginated {"results": [...]} answer, or an array) into
 * sl_safe_tx. The text goes through sl_json_parse (a repeated key is an error), every value
 * is checked and every error names its JSON path
 * ("$.results[0].confirmations[2].signature: 64 bytes, a Safe signature is 65").
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/json.h"
#include "sleuth/safe.h"

void sl_safe_tx_free(sl_safe_tx *tx)
{
    for (size_t i = 0; i < tx->nsigs; i++) sl_free(tx->sigs[i].bytes);
    sl_free(tx->sigs);
    sl_free(tx->data);
    memset(tx, 0, sizeof *tx);
}

void sl_safe_tx_list_free(sl_safe_tx_list *l)
{
    for (size_t i = 0; i < l->n; i++) sl_safe_tx_free(&l->tx[i]);
    sl_free(l->tx);
    l->tx = NULL;
    l->n = 0;
}

/* Re-raises a field parser's message with the JSON path in front. */
static int located(sl_error *e, int code, const char *path, const char *key, const sl_error *inner)
{
    return sl_err(e, code, "%s.%s: %s", path, key, inner->msg);
}

static int hex_bytes(uint8_t **out, size_t *outlen, const char *s, const char *path, const char *key, sl_error *e)
{
    size_t n;
    uint8_t *b;
    *out = NULL;
    *outlen = 0;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return sl_err(e, SL_ECORRUPT, "%s.%s: hex data must start with 0x", path, key);
    s += 2;
    n = strlen(s);
    if (n % 2)
        return sl_err(e, SL_ECORRUPT, "%s.%s: odd number of hex digits (%zu)", path, key, n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return sl_err(e, SL_ECORRUPT, "%s.%s: not a hex digit at character %zu", path, key, i + 2);
    }
    if (n == 0)
        return SL_OK;
    b = sl_realloc(NULL, n / 2);
    if (!b)
        return sl_err(e, SL_ENOMEM, "%s.%s: out of memory", path, key);
    if (!sl_hex_decode(b, n / 2, s, n)) {
        sl_free(b);
        return sl_err(e, SL_ECORRUPT, "%s.%s: bad hex", path, key);
    }
    *out = b;
    *outlen = n / 2;
    return SL_OK;
}

static int get_addr(sl_safe_addr *a, const cJSON *o, const char *key, bool required, const char *path, sl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    sl_error in = {0};
    memset(a->b, 0, 20);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return sl_err(e, SL_ECORRUPT, "%s.%s: missing (an address is required)", path, key);
        return SL_OK;
    }
    if (!cJSON_IsString(v))
        return sl_err(e, SL_ECORRUPT, "%s.%s: expected an address string", path, key);
    if (sl_safe_addr_parse(a, v->valuestring, &in))
        return located(e, SL_ECORRUPT, path, key, &in);
    return SL_OK;
}

static int get_u256(sl_safe_u256 *u, const cJSON *o, const char *key, bool required, const char *path, sl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    sl_error in = {0};
    memset(u->b, 0, 32);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return sl_err(e, SL_ECORRUPT, "%s.%s: missing (a number is required)", path, key);
        return SL_OK;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!(d >= 0) || d != floor(d) || d > 9007199254740991.0)
            return sl_err(e, SL_ECORRUPT, "%s.%s: %g is not an exact non-negative integer (give large numbers as strings)",
                          path, key, d);
        sl_safe_u256_from_u64(u, (uint64_t)d);
        return SL_OK;
    }
    if (!cJSON_IsString(v))
        return sl_err(e, SL_ECORRUPT, "%s.%s: expected a number or a numeric string", path, key);
    if (sl_safe_u256_parse(u, v->valuestring, &in))
        return located(e, SL_ECORRUPT, path, key, &in);
    return SL_OK;
}

static int get_sig(sl_safe_sig_in *s, const cJSON *conf, const char *path, sl_error *e)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(conf, "signature");
    int rc;
    if (!cJSON_IsObject(conf))
        return sl_err(e, SL_ECORRUPT, "%s: expected a confirmation object", path);
    if (cJSON_GetObjectItemCaseSensitive(conf, "owner")) {
        if ((rc = get_addr(&s->owner, conf, "owner", true, path, e)))
            return rc;
        s->has_owner = true;
    }
    if (!sig || cJSON_IsNull(sig)) {
        /* an on-chain approval has no signature bytes: Safe's own encoding of it is
         * r = owner, s = 0, v = 1 (a "pre-validated" signature) */
        if (!s->has_owner)
            return sl_err(e, SL_ECORRUPT, "%s.signature: missing, and no owner to stand for an approved hash", path);
        s->bytes = sl_realloc(NULL, 65);
        if (!s->bytes)
            return sl_err(e, SL_ENOMEM, "%s: out of memory", path);
        memset(s->bytes, 0, 65);
        memcpy(s->bytes + 12, s->owner.b, 20);
        s->bytes[64] = 1;
        s->len = 65;
        return SL_OK;
    }
    if (!cJSON_IsString(sig))
        return sl_err(e, SL_ECORRUPT, "%s.signature: expected a hex string", path);
    if ((rc = hex_bytes(&s->bytes, &s->len, sig->valuestring, path, "signature", e)))
        return rc;
    if (s->len < 65 || (s->len != 65 && s->bytes[64] != 0))
        return sl_err(e, SL_ECORRUPT, "%s.signature: %zu bytes, a Safe signature is 65 (r, s, v)", path, s->len);
    return SL_OK;
}

static int add_sig(sl_safe_tx *tx, size_t *cap, sl_safe_sig_in **out)
{
    void *q = tx->sigs;
    if (sl_grow(&q, cap, tx->nsigs + 1, sizeof *tx->sigs))
        return SL_ENOMEM;
    tx->sigs = q;
    *out = &tx->sigs[tx->nsigs++];
    memset(*out, 0, sizeof **out);
    return SL_OK;
}

static int parse_tx(sl_safe_tx *tx, const cJSON *o, const char *path, sl_error *e)
{
    const cJSON *v;
    size_t sigcap = 0;
    int rc;
    memset(tx, 0, sizeof *tx);
    tx->confirmations_required = -1;
    snprintf(tx->where, sizeof tx->where, "%s", path);
    if (!cJSON_IsObject(o))
        return sl_err(e, SL_ECORRUPT, "%s: expected a Safe transaction object", path);
    if ((rc = get_addr(&tx->safe, o, "safe", true, path, e)) || (rc = get_addr(&tx->to, o, "to", true, path, e)) ||
        (rc = get_u256(&tx->value, o, "value", false, path, e)) ||
        (rc = get_u256(&tx->safe_tx_gas, o, "safeTxGas", false, path, e)) ||
        (rc = get_u256(&tx->gas_price, o, "gasPrice", false, path, e)) ||
        (rc = get_addr(&tx->gas_token, o, "gasToken", false, path, e)) ||
        (rc = get_addr(&tx->refund_receiver, o, "refundReceiver", false, path, e)) ||
        (rc = get_u256(&tx->nonce, o, "nonce", true, path, e)))
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(o, "baseGas") || !cJSON_GetObjectItemCaseSensitive(o, "dataGas"))
        rc = get_u256(&tx->base_gas, o, "baseGas", false, path, e);
    else
        rc = get_u256(&tx->base_gas, o, "dataGas", false, path, e); /* Safe 0.1.0's name */
    if (rc)
        return rc;

    v = cJSON_GetObjectItemCaseSensitive(o, "operation");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
            return sl_err(e, SL_ECORRUPT, "%s.operation: expected 0 (call) or 1 (delegatecall)", path);
        if (v->valuedouble != 0 && v->valuedouble != 1)
            return sl_err(e, SL_ECORRUPT, "%s.operation: unknown operation %g (0 = call, 1 = delegatecall)", path,
                          v->valuedouble);
        tx->operation = (uint8_t)v->valuedouble;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "data");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v))
            return sl_err(e, SL_ECORRUPT, "%s.data: expected a hex string or null", path);
        if ((rc = hex_bytes(&tx->data, &tx->data_len, v->valuestring, path, "data", e)))
            return rc;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "safeTxHash");
    if (v && !cJSON_IsNull(v)) {
        const char *s = cJSON_IsString(v) ? v->valuestring : "";
        if (strncmp(s, "0x", 2) != 0 || strlen(s) != 66 || !sl_hex_decode(tx->claimed_hash, 32, s + 2, 64))
            return sl_err(e, SL_ECORRUPT, "%s.safeTxHash: expected 0x and 64 hex digits", path);
        tx->has_claimed_hash = true;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "chainId");
    if (v && !cJSON_IsNull(v)) {
        sl_safe_u256 cid;
        if ((rc = get_u256(&cid, o, "chainId", false, path, e)))
            return rc;
        if (!sl_safe_u256_to_u64(&cid, &tx->chain_id))
            return sl_err(e, SL_ECORRUPT, "%s.chainId: does not fit 64 bits", path);
        tx->has_chain_id = true;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "confirmationsRequired");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e6 || v->valuedouble != floor(v->valuedouble))
            return sl_err(e, SL_ECORRUPT, "%s.confirmationsRequired: expected a small non-negative integer", path);
        tx->confirmations_required = (int)v->valuedouble;
    }

    v = cJSON_GetObjectItemCaseSensitive(o, "confirmations");
    if (v && !cJSON_IsNull(v)) {
        const cJSON *c;
        int i = 0;
        if (!cJSON_IsArray(v))
            return sl_err(e, SL_ECORRUPT, "%s.confirmations: expected an array", path);
        cJSON_ArrayForEach(c, v) {
            char p[128];
            sl_safe_sig_in *s;
            snprintf(p, sizeof p, "%s.confirmations[%d]", path, i++);
            if (add_sig(tx, &sigcap, &s))
                return sl_err(e, SL_ENOMEM, "%s: out of memory", p);
            if ((rc = get_sig(s, c, p, e)))
                return rc;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "signatures");
    if (tx->nsigs == 0 && v && !cJSON_IsNull(v)) {
        uint8_t *packed;
        size_t plen;
        const uint8_t *parts[256];
        int n;
        if (!cJSON_IsString(v))
            return sl_err(e, SL_ECORRUPT, "%s.signatures: expected a hex string", path);
        if ((rc = hex_bytes(&packed, &plen, v->valuestring, path, "signatures", e)))
            return rc;
        {
            sl_error in = {0};
            n = sl_safe_sig_split(parts, 256, packed, plen, &in);
            if (n < 0) {
                sl_free(packed);
                return located(e, SL_ECORRUPT, path, "signatures", &in);
            }
        }
        if (n > 256) {
            sl_free(packed);
            return sl_err(e, SL_ELIMIT, "%s.signatures: more than 256 signatures", path);
        }
        for (int i = 0; i < n; i++) {
            sl_safe_sig_in *s;
            if (add_sig(tx, &sigcap, &s) || !(s->bytes = sl_realloc(NULL, 65))) {
                sl_free(packed);
                return sl_err(e, SL_ENOMEM, "%s.signatures: out of memory", path);
            }
            memcpy(s->bytes, parts[i], 65);
            s->len = 65;
        }
        sl_free(packed);
    }
    return SL_OK;
}

int sl_safe_parse_json(sl_safe_tx_list *out, const char *json, size_t len, sl_error *e)
{
    cJSON *root;
    const cJSON *arr = NULL, *it;
    const char *prefix = "$";
    int rc;
    size_t n = 0;
    out->tx = NULL;
    out->n = 0;
    /* strict: a repeated key ("operation": 0, "operation": 1) would be read as the first
     * here and as the last by the signer's wallet */
    if ((rc = sl_json_parse(&root, json, len, NULL, e)))
        return rc;
    if (cJSON_IsArray(root)) {
        arr = root;
    } else if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "results")) {
        arr = cJSON_GetObjectItemCaseSensitive(root, "results");
        prefix = "$.results";
        if (!cJSON_IsArray(arr)) {
            rc = sl_err(e, SL_ECORRUPT, "$.results: expected an array");
            goto done;
        }
    }
    n = arr ? (size_t)cJSON_GetArraySize(arr) : 1;
    if (n == 0) {
        rc = sl_err(e, SL_ECORRUPT, "%s: no transactions", prefix);
        goto done;
    }
    out->tx = sl_realloc(NULL, n * sizeof *out->tx);
    if (!out->tx) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (!arr) {
        rc = parse_tx(&out->tx[0], root, "$", e);
        out->n = 1;
    } else {
        size_t i = 0;
        cJSON_ArrayForEach(it, arr) {
            char p[64];
            snprintf(p, sizeof p, "%s[%zu]", prefix, i);
            rc = parse_tx(&out->tx[i++], it, p, e);
            out->n = i;
            if (rc)
                break;
        }
    }
done:
    cJSON_Delete(root);
    if (rc)
        sl_safe_tx_list_free(out);
    return rc;
}
