/* report.c — renders a verification for a signer under pressure: the verdict and the
 * findings first, then the hashes to compare with the device, then the facts (fields,
 * decoded calls, signers). Also the same as one JSON object for tools.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "sleuth/safe.h"

#define TRY(x)                      \
    do {                            \
        if ((x) != SL_OK)           \
            return SL_ENOMEM;       \
    } while (0)

/* "30000 ETH" from wei: decimal with the 18 decimals placed, trailing zeros dropped. */
static void fmt_eth(char out[100], const sl_safe_u256 *wei)
{
    char d[79];
    size_t n, ip;
    sl_safe_u256_dec(d, wei);
    n = strlen(d);
    if (n <= 18) {
        char frac[19];
        memset(frac, '0', 18 - n);
        memcpy(frac + 18 - n, d, n + 1);
        for (size_t k = 18; k > 0 && frac[k - 1] == '0'; k--) frac[k - 1] = 0;
        snprintf(out, 100, "%s%s%s ETH", "0", frac[0] ? "." : "", frac);
        return;
    }
    ip = n - 18;
    {
        char frac[19];
        memcpy(frac, d + ip, 19);
        for (size_t k = 18; k > 0 && frac[k - 1] == '0'; k--) frac[k - 1] = 0;
        snprintf(out, 100, "%.*s%s%s ETH", (int)ip, d, frac[0] ? "." : "", frac);
    }
}

static void hex32(char out[67], const uint8_t h[32])
{
    out[0] = '0';
    out[1] = 'x';
    sl_hex_encode(out + 2, h, 32);
}

static void arg_text(char *out, size_t cap, const sl_safe_call *c, int i)
{
    const sl_safe_fn_info *f = &sl_safe_fn_table()[c->fn];
    if (f->arg_types[i] == SL_ABI_ADDRESS) {
        sl_safe_addr a;
        memcpy(a.b, c->args[i].word + 12, 20);
        sl_safe_addr_hex(out, &a);
    } else if (f->arg_types[i] == SL_ABI_UINT) {
        sl_safe_u256 u;
        memcpy(u.b, c->args[i].word, 32);
        sl_safe_u256_dec(out, &u);
    } else {
        snprintf(out, cap, "%zu bytes", c->args[i].len);
    }
}

static int call_text(sl_buf *b, const sl_safe_call *c, int indent, size_t idx)
{
    char to[43], val[100], a[80];
    sl_safe_addr_hex(to, &c->to);
    fmt_eth(val, &c->value);
    if (idx)
        TRY(sl_buf_printf(b, "%*s[%zu] %s %s, value %s\n", indent, "", idx,
                          c->operation ? "DELEGATECALL" : "CALL", to, val));
    if (c->fn == SL_FN_NONE) {
        TRY(sl_buf_printf(b, "%*s    no calldata: plain transfer of %s\n", indent, "", val));
    } else if (c->fn == SL_FN_UNKNOWN) {
        if (c->data_len >= 4)
            TRY(sl_buf_printf(b, "%*s    unknown function 0x%02x%02x%02x%02x (%zu bytes of calldata)\n", indent, "",
                              c->data[0], c->data[1], c->data[2], c->data[3], c->data_len));
        else
            TRY(sl_buf_printf(b, "%*s    %zu bytes of calldata, no selector\n", indent, "", c->data_len));
    } else {
        const sl_safe_fn_info *f = &sl_safe_fn_table()[c->fn];
        TRY(sl_buf_printf(b, "%*s    %s%s\n", indent, "", f->signature,
                          c->operation ? "   <- run by DELEGATECALL, in the Safe's own storage" : ""));
        if (c->decode_failed) {
            TRY(sl_buf_printf(b, "%*s      does not decode: %s\n", indent, "", c->decode_error));
        } else if (c->fn != SL_FN_MULTISEND) {
            for (int i = 0; i < f->nargs; i++) {
                arg_text(a, sizeof a, c, i);
                TRY(sl_buf_printf(b, "%*s      %-12s %s\n", indent, "", f->arg_names[i], a));
            }
        } else {
            TRY(sl_buf_printf(b, "%*s      batch of %zu transaction(s):\n", indent, "", c->nsub));
            if (c->decode_failed)
                TRY(sl_buf_printf(b, "%*s      (batch truncated: %s)\n", indent, "", c->decode_error));
        }
    }
    for (size_t i = 0; i < c->nsub; i++) TRY(call_text(b, &c->sub[i], indent + 6, i + 1));
    return SL_OK;
}

int sl_safe_report_text(sl_buf *b, const sl_safe_report *r, const sl_safe_tx *tx)
{
    size_t count[5] = {0};
    char h[67], s[43], v[100], d[79];
    for (size_t i = 0; i < r->nfindings; i++) count[r->findings[i].sev]++;
    if (r->max_sev >= SL_SEV_HIGH)
        TRY(sl_buf_printf(b, "VERDICT: DO NOT SIGN - %zu critical, %zu high finding(s)\n", count[SL_SEV_CRITICAL],
                          count[SL_SEV_HIGH]));
    else if (r->max_sev == SL_SEV_MEDIUM)
        TRY(sl_buf_printf(b, "VERDICT: REVIEW BEFORE SIGNING - %zu medium finding(s)\n", count[SL_SEV_MEDIUM]));
    else
        TRY(sl_buf_printf(b, "VERDICT: OK - nothing above low; compare the hashes below with your device\n"));
    TRY(sl_buf_printf(b, "\n"));
    for (size_t i = 0; i < r->nfindings; i++) {
        const sl_safe_finding *f = &r->findings[i];
        char up[16];
        size_t k;
        for (k = 0; sl_safe_sev_name(f->sev)[k] && k < sizeof up - 1; k++)
            up[k] = (char)(sl_safe_sev_name(f->sev)[k] - 32);
        up[k] = 0;
        TRY(sl_buf_printf(b, "%-9s [%s] %s\n", up, f->rule, f->text));
    }

    TRY(sl_buf_printf(b, "\nHashes - compare with your hardware wallet\n"));
    hex32(h, r->hashes.domain);
    TRY(sl_buf_printf(b, "  Domain hash    %s\n", h));
    hex32(h, r->hashes.message);
    TRY(sl_buf_printf(b, "  Message hash   %s\n", h));
    hex32(h, r->hashes.safe_tx_hash);
    TRY(sl_buf_printf(b, "  safeTxHash     %s%s\n", h,
                      !r->claimed_hash_checked ? "" : r->claimed_hash_matches ? "  (matches the input)"
                                                                              : "  (DOES NOT MATCH the input)"));
    TRY(sl_buf_printf(b, "  Scheme         Safe %s, chain id %llu%s\n", sl_safe_version_name(r->version),
                      (unsigned long long)r->chain_id,
                      r->version_inferred ? " (version inferred: the only scheme that reproduces the input's safeTxHash)" : ""));

    TRY(sl_buf_printf(b, "\nTransaction %s\n", tx->where));
    sl_safe_addr_hex(s, &tx->safe);
    TRY(sl_buf_printf(b, "  Safe           %s\n", s));
    TRY(sl_buf_printf(b, "  Operation      %u %s\n", tx->operation, tx->operation ? "DELEGATECALL" : "CALL"));
    sl_safe_addr_hex(s, &tx->to);
    TRY(sl_buf_printf(b, "  To             %s\n", s));
    fmt_eth(v, &tx->value);
    sl_safe_u256_dec(d, &tx->value);
    TRY(sl_buf_printf(b, "  Value          %s (%s wei)\n", v, d));
    TRY(sl_buf_printf(b, "  Data           %zu bytes\n", tx->data_len));
    TRY(call_text(b, &r->call, 2, 0));
    sl_safe_u256_dec(d, &tx->safe_tx_gas);
    TRY(sl_buf_printf(b, "  safeTxGas      %s\n", d));
    sl_safe_u256_dec(d, &tx->base_gas);
    TRY(sl_buf_printf(b, "  baseGas        %s\n", d));
    sl_safe_u256_dec(d, &tx->gas_price);
    TRY(sl_buf_printf(b, "  gasPrice       %s\n", d));
    sl_safe_addr_hex(s, &tx->gas_token);
    TRY(sl_buf_printf(b, "  gasToken       %s%s\n", s, sl_safe_addr_is_zero(&tx->gas_token) ? " (ETH)" : ""));
    sl_safe_addr_hex(s, &tx->refund_receiver);
    TRY(sl_buf_printf(b, "  refundReceiver %s%s\n", s, sl_safe_addr_is_zero(&tx->refund_receiver) ? " (the executor)" : ""));
    sl_safe_u256_dec(d, &tx->nonce);
    TRY(sl_buf_printf(b, "  Nonce          %s\n", d));

    TRY(sl_buf_printf(b, "\nSignatures: %zu", r->nsigners));
    if (tx->confirmations_required >= 0)
        TRY(sl_buf_printf(b, " (%d required)", tx->confirmations_required));
    TRY(sl_buf_printf(b, "\n"));
    for (size_t i = 0; i < r->nsigners; i++) {
        const sl_safe_signer *g = &r->signers[i];
        const char *st = "";
        if (g->kind == SL_SIG_INVALID)
            st = "INVALID";
        else if (g->has_claimed)
            st = sl_safe_addr_eq(&g->signer, &g->claimed) ? "= listed owner" : "!= LISTED OWNER";
        sl_safe_addr_hex(s, &g->signer);
        TRY(sl_buf_printf(b, "  %zu  %s  %-13s v=%-3u %s%s%s\n", i + 1, g->recovered ? s : "(none)",
                          sl_safe_sig_kind_name(g->kind), g->v, st, g->note[0] ? "  " : "", g->note));
        if (g->has_claimed && !sl_safe_addr_eq(&g->signer, &g->claimed)) {
            sl_safe_addr_hex(s, &g->claimed);
            TRY(sl_buf_printf(b, "     listed owner %s\n", s));
        }
    }
    TRY(sl_buf_printf(b, "\nExit status %d (0 ok, 3 high/critical, 4 medium)\n", sl_safe_exit_code(r->max_sev)));
    return SL_OK;
}

/* ---- JSON ---- */
static cJSON *call_json(const sl_safe_call *c)
{
    cJSON *o = cJSON_CreateObject(), *args, *sub;
    char s[100];
    if (!o)
        return NULL;
    sl_safe_addr_hex(s, &c->to);
    cJSON_AddNumberToObject(o, "operation", c->operation);
    cJSON_AddStringToObject(o, "to", s);
    sl_safe_u256_dec(s, &c->value);
    cJSON_AddStringToObject(o, "value", s);
    cJSON_AddNumberToObject(o, "data_offset", (double)c->data_off);
    cJSON_AddNumberToObject(o, "data_length", (double)c->data_len);
    if (c->fn == SL_FN_NONE)
        cJSON_AddStringToObject(o, "function", "");
    else if (c->fn == SL_FN_UNKNOWN)
        cJSON_AddNullToObject(o, "function");
    else
        cJSON_AddStringToObject(o, "function", sl_safe_fn_table()[c->fn].signature);
    if (c->data_len >= 4) {
        snprintf(s, sizeof s, "0x%02x%02x%02x%02x", c->data[0], c->data[1], c->data[2], c->data[3]);
        cJSON_AddStringToObject(o, "selector", s);
    }
    if (c->decode_failed || c->decode_error[0])
        cJSON_AddStringToObject(o, "decode_error", c->decode_error);
    if (c->fn >= 0 && !c->decode_failed && c->fn != SL_FN_MULTISEND) {
        const sl_safe_fn_info *f = &sl_safe_fn_table()[c->fn];
        args = cJSON_AddObjectToObject(o, "args");
        for (int i = 0; args && i < f->nargs; i++) {
            arg_text(s, sizeof s, c, i);
            cJSON_AddStringToObject(args, f->arg_names[i], s);
        }
    }
    if (c->fn == SL_FN_MULTISEND) {
        sub = cJSON_AddArrayToObject(o, "batch");
        for (size_t i = 0; sub && i < c->nsub; i++) {
            cJSON *x = call_json(&c->sub[i]);
            if (!x || !cJSON_AddItemToArray(sub, x)) {
                cJSON_Delete(x);
                cJSON_Delete(o);
                return NULL;
            }
        }
    }
    return o;
}

int sl_safe_report_json(sl_buf *b, const sl_safe_report *r, const sl_safe_tx *tx)
{
    cJSON *o = cJSON_CreateObject(), *x, *arr;
    char s[100];
    char *txt;
    int rc;
    if (!o)
        return SL_ENOMEM;
    cJSON_AddStringToObject(o, "where", tx->where);
    cJSON_AddStringToObject(o, "verdict", sl_safe_sev_name(r->max_sev));
    cJSON_AddNumberToObject(o, "exit_code", sl_safe_exit_code(r->max_sev));
    cJSON_AddStringToObject(o, "safe_version", sl_safe_version_name(r->version));
    cJSON_AddBoolToObject(o, "version_inferred", r->version_inferred);
    cJSON_AddNumberToObject(o, "chain_id", (double)r->chain_id);
    x = cJSON_AddObjectToObject(o, "hashes");
    if (x) {
        hex32(s, r->hashes.domain);
        cJSON_AddStringToObject(x, "domain", s);
        hex32(s, r->hashes.message);
        cJSON_AddStringToObject(x, "message", s);
        hex32(s, r->hashes.safe_tx_hash);
        cJSON_AddStringToObject(x, "safeTxHash", s);
    }
    if (r->claimed_hash_checked)
        cJSON_AddBoolToObject(o, "input_hash_matches", r->claimed_hash_matches);
    else
        cJSON_AddNullToObject(o, "input_hash_matches");
    arr = cJSON_AddArrayToObject(o, "findings");
    for (size_t i = 0; arr && i < r->nfindings; i++) {
        cJSON *f = cJSON_CreateObject();
        if (!f || !cJSON_AddItemToArray(arr, f)) {
            cJSON_Delete(f);
            break;
        }
        cJSON_AddStringToObject(f, "severity", sl_safe_sev_name(r->findings[i].sev));
        cJSON_AddStringToObject(f, "rule", r->findings[i].rule);
        cJSON_AddStringToObject(f, "text", r->findings[i].text);
    }
    x = cJSON_AddObjectToObject(o, "transaction");
    if (x) {
        sl_safe_addr_hex(s, &tx->safe);
        cJSON_AddStringToObject(x, "safe", s);
        sl_safe_addr_hex(s, &tx->to);
        cJSON_AddStringToObject(x, "to", s);
        sl_safe_u256_dec(s, &tx->value);
        cJSON_AddStringToObject(x, "value", s);
        cJSON_AddNumberToObject(x, "operation", tx->operation);
        sl_safe_u256_dec(s, &tx->safe_tx_gas);
        cJSON_AddStringToObject(x, "safeTxGas", s);
        sl_safe_u256_dec(s, &tx->base_gas);
        cJSON_AddStringToObject(x, "baseGas", s);
        sl_safe_u256_dec(s, &tx->gas_price);
        cJSON_AddStringToObject(x, "gasPrice", s);
        sl_safe_addr_hex(s, &tx->gas_token);
        cJSON_AddStringToObject(x, "gasToken", s);
        sl_safe_addr_hex(s, &tx->refund_receiver);
        cJSON_AddStringToObject(x, "refundReceiver", s);
        sl_safe_u256_dec(s, &tx->nonce);
        cJSON_AddStringToObject(x, "nonce", s);
    }
    x = call_json(&r->call);
    if (x && !cJSON_AddItemToObject(o, "call", x))
        cJSON_Delete(x);
    arr = cJSON_AddArrayToObject(o, "signatures");
    for (size_t i = 0; arr && i < r->nsigners; i++) {
        const sl_safe_signer *g = &r->signers[i];
        cJSON *f = cJSON_CreateObject();
        if (!f || !cJSON_AddItemToArray(arr, f)) {
            cJSON_Delete(f);
            break;
        }
        cJSON_AddStringToObject(f, "kind", sl_safe_sig_kind_name(g->kind));
        cJSON_AddNumberToObject(f, "v", g->v);
        sl_safe_addr_hex(s, &g->signer);
        if (g->recovered)
            cJSON_AddStringToObject(f, "signer", s);
        else
            cJSON_AddNullToObject(f, "signer");
        if (g->has_claimed) {
            sl_safe_addr_hex(s, &g->claimed);
            cJSON_AddStringToObject(f, "listed_owner", s);
            cJSON_AddBoolToObject(f, "matches_listed_owner", g->recovered && sl_safe_addr_eq(&g->signer, &g->claimed));
        }
        if (g->note[0])
            cJSON_AddStringToObject(f, "note", g->note);
    }
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!txt)
        return SL_ENOMEM;
    rc = sl_buf_printf(b, "%s\n", txt);
    cJSON_free(txt);
    return rc;
}
