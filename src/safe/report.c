/* report.c — renders a verification for a signer under pressure: the verdict and the
 * findings first, then the hashes to compare with the device, then the facts (fields,
 * decoded calls, signers), every line within 100 columns. A file of several transactions
 * opens with one verdict for them all (and says when they compete for one nonce). Also
 * the same as JSON for tools: one document for the file, or one object per transaction.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "sleuth/safe.h"
#include "sleuth/text.h"

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
    if (idx) {
        char line[300];
        snprintf(line, sizeof line, "%*s[%zu] %s %s, value %s", indent, "", idx, c->operation ? "DELEGATECALL" : "CALL",
                 to, val);
        TRY(sl_buf_wrap(b, "", (size_t)indent + 4, line, SL_TEXT_COLS));
    }
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
            char pre[64];
            snprintf(pre, sizeof pre, "%*s      does not decode: ", indent, "");
            TRY(sl_buf_wrap(b, pre, (size_t)indent + 8, c->decode_error, SL_TEXT_COLS));
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

/* "Signatures: 0 of the 3 required are valid for this transaction - NOT ENOUGH (3 given:
 * 3 by someone other than the listed owner)": how many count comes first, so a signer
 * cannot read "3 signatures, 3 required" as "enough". */
static void sig_summary(char *out, size_t cap, const sl_safe_report *r, const sl_safe_tx *tx)
{
    char why[200] = "";
    size_t n = 0;
    const struct { size_t k; const char *what; } bad[] = {
        {r->sigs_invalid, "invalid"},
        {r->sigs_mismatch, "by someone other than the listed owner"},
        {r->sigs_duplicate, "repeating a signer already counted"},
    };
    for (size_t i = 0; i < 3; i++)
        if (bad[i].k)
            n += (size_t)snprintf(why + n, n < sizeof why ? sizeof why - n : 0, "%s%zu %s", n ? ", " : ": ", bad[i].k,
                                  bad[i].what);
    if (tx->confirmations_required >= 0)
        snprintf(out, cap, "Signatures: %zu of the %d required are valid for this transaction%s (%zu given%s)",
                 r->sigs_valid, tx->confirmations_required,
                 r->sigs_valid < (size_t)tx->confirmations_required ? " - NOT ENOUGH" : "", r->nsigners, why);
    else
        snprintf(out, cap, "Signatures: %zu valid for this transaction (%zu given%s); the input does not say how many "
                 "are required", r->sigs_valid, r->nsigners, why);
}

static const char *verdict_words(sl_safe_sev max)
{
    return max >= SL_SEV_HIGH ? "DO NOT SIGN" : max == SL_SEV_MEDIUM ? "REVIEW BEFORE SIGNING" : "OK";
}

sl_safe_sev sl_safe_worst(const sl_safe_report *r, size_t n)
{
    sl_safe_sev w = SL_SEV_INFO;
    for (size_t i = 0; i < n; i++)
        if (r[i].max_sev > w) w = r[i].max_sev;
    return w;
}

/* Transactions j < i for the same Safe and nonce as transaction i: the first of them, or i. */
static size_t first_same_nonce(const sl_safe_tx *tx, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (sl_safe_addr_eq(&tx[j].safe, &tx[i].safe) && !sl_safe_u256_cmp(&tx[j].nonce, &tx[i].nonce)) return j;
    return i;
}

int sl_safe_summary_text(sl_buf *b, const sl_safe_report *r, const sl_safe_tx *tx, size_t n)
{
    sl_safe_sev w = sl_safe_worst(r, n);
    TRY(sl_buf_printf(b, "VERDICT FOR THIS FILE: %s - %zu transactions; the worst is %s\n", verdict_words(w), n,
                      sl_safe_sev_name(w)));
    /* several proposals for one nonce: only one can ever execute (an attacker's among them?) */
    for (size_t i = 0; i < n; i++) {
        char line[600], sa[43], nd[79];
        size_t k = 0, m = 0;
        if (first_same_nonce(tx, i) != i) continue;
        for (size_t j = i; j < n; j++) m += first_same_nonce(tx, j) == i;
        if (m < 2) continue;
        sl_safe_addr_hex(sa, &tx[i].safe);
        sl_safe_u256_dec(nd, &tx[i].nonce);
        if (m == n) k += (size_t)snprintf(line, sizeof line, m == 2 ? "Both transactions" : "All %zu transactions", m);
        else k += (size_t)snprintf(line, sizeof line, "Transactions");
        for (size_t j = i; m < n && j < n && k < sizeof line; j++)
            if (first_same_nonce(tx, j) == i) k += (size_t)snprintf(line + k, sizeof line - k, "%s#%zu", j > i ? ", " : " ", j + 1);
        if (k < sizeof line)
            snprintf(line + k, sizeof line - k, " are for nonce %s of Safe %s: only one of them can ever execute. "
                     "Sign only the one you meant, by the safeTxHash your device shows.", nd, sa);
        TRY(sl_buf_wrap(b, "  ", 2, line, SL_TEXT_COLS));
    }
    for (size_t i = 0; i < n; i++) {
        char line[300], h[67];
        size_t c[5] = {0};
        for (size_t k = 0; k < r[i].nfindings; k++) c[r[i].findings[k].sev]++;
        snprintf(line, sizeof line, "  #%zu %s: %s (%zu critical, %zu high, %zu medium)", i + 1, tx[i].where,
                 verdict_words(r[i].max_sev), c[SL_SEV_CRITICAL], c[SL_SEV_HIGH], c[SL_SEV_MEDIUM]);
        TRY(sl_buf_wrap(b, "", 6, line, SL_TEXT_COLS));
        hex32(h, r[i].hashes.safe_tx_hash);
        TRY(sl_buf_printf(b, "      safeTxHash %s\n", h));
    }
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
        char up[16], pre[64];
        size_t k;
        for (k = 0; sl_safe_sev_name(f->sev)[k] && k < sizeof up - 1; k++)
            up[k] = (char)(sl_safe_sev_name(f->sev)[k] - 32);
        up[k] = 0;
        snprintf(pre, sizeof pre, "%-9s [%s] ", up, f->rule);
        TRY(sl_buf_wrap(b, pre, 10, f->text, SL_TEXT_COLS)); /* findings run to 640 characters */
    }

    TRY(sl_buf_printf(b, "\nHashes - compare with your hardware wallet\n"));
    hex32(h, r->hashes.domain);
    TRY(sl_buf_printf(b, "  Domain hash    %s\n", h));
    hex32(h, r->hashes.message);
    TRY(sl_buf_printf(b, "  Message hash   %s\n", h));
    hex32(h, r->hashes.safe_tx_hash);
    {
        char line[200];
        snprintf(line, sizeof line, "  safeTxHash     %s%s", h,
                 !r->claimed_hash_checked ? "" : r->claimed_hash_matches ? "  (matches the input)"
                                                                         : "  (DOES NOT MATCH the input)");
        TRY(sl_buf_wrap(b, "", 17, line, SL_TEXT_COLS));
    }
    {
        char line[300];
        snprintf(line, sizeof line, "  Scheme         Safe %s, chain id %llu%s", sl_safe_version_name(r->version),
                 (unsigned long long)r->chain_id,
                 r->version_inferred ? " (version inferred: the only scheme that reproduces the input's safeTxHash)" : "");
        TRY(sl_buf_wrap(b, "", 17, line, SL_TEXT_COLS));
    }

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

    {
        char line[400];
        sig_summary(line, sizeof line, r, tx);
        TRY(sl_buf_printf(b, "\n"));
        TRY(sl_buf_wrap(b, "", 4, line, SL_TEXT_COLS));
    }
    for (size_t i = 0; i < r->nsigners; i++) {
        const sl_safe_signer *g = &r->signers[i];
        const char *st = "";
        if (g->kind == SL_SIG_INVALID)
            st = "INVALID";
        else if (g->has_claimed)
            st = sl_safe_addr_eq(&g->signer, &g->claimed) ? "= listed owner" : "!= LISTED OWNER";
        sl_safe_addr_hex(s, &g->signer);
        {
            char line[400];
            snprintf(line, sizeof line, "  %zu  %s  %-13s v=%-3u %s%s%s", i + 1, g->recovered ? s : "(none)",
                     sl_safe_sig_kind_name(g->kind), g->v, st, g->note[0] ? "  " : "", g->note);
            TRY(sl_buf_wrap(b, "", 5, line, SL_TEXT_COLS));
        }
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

/* One transaction's report as a JSON object (NULL when out of memory). */
static cJSON *report_obj(const sl_safe_report *r, const sl_safe_tx *tx)
{
    cJSON *o = cJSON_CreateObject(), *x, *arr;
    char s[100];
    if (!o)
        return NULL;
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
    cJSON_AddNumberToObject(o, "signatures_given", (double)r->nsigners);
    cJSON_AddNumberToObject(o, "signatures_valid", (double)r->sigs_valid);
    if (tx->confirmations_required >= 0)
        cJSON_AddNumberToObject(o, "signatures_required", tx->confirmations_required);
    else
        cJSON_AddNullToObject(o, "signatures_required");
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
    return o;
}

/* Appends o as one line of JSON and frees it. */
static int put_json(sl_buf *b, cJSON *o)
{
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    int rc;
    cJSON_Delete(o);
    if (!txt)
        return SL_ENOMEM;
    rc = sl_buf_printf(b, "%s\n", txt);
    cJSON_free(txt);
    return rc;
}

int sl_safe_report_json(sl_buf *b, const sl_safe_report *r, const sl_safe_tx *tx)
{
    return put_json(b, report_obj(r, tx));
}

int sl_safe_reports_json(sl_buf *b, const sl_safe_report *r, const sl_safe_tx *tx, size_t n)
{
    cJSON *o = cJSON_CreateObject(), *arr, *groups;
    sl_safe_sev w = sl_safe_worst(r, n);
    if (!o)
        return SL_ENOMEM;
    cJSON_AddStringToObject(o, "verdict", sl_safe_sev_name(w));
    cJSON_AddNumberToObject(o, "exit_code", sl_safe_exit_code(w));
    cJSON_AddNumberToObject(o, "count", (double)n);
    groups = cJSON_AddArrayToObject(o, "same_nonce");
    for (size_t i = 0; groups && i < n; i++) {
        cJSON *g, *idx;
        char sa[43], nd[79];
        size_t m = 0;
        if (first_same_nonce(tx, i) != i) continue;
        for (size_t j = i; j < n; j++) m += first_same_nonce(tx, j) == i;
        if (m < 2 || !(g = cJSON_CreateObject()) || !cJSON_AddItemToArray(groups, g)) continue;
        sl_safe_addr_hex(sa, &tx[i].safe);
        sl_safe_u256_dec(nd, &tx[i].nonce);
        cJSON_AddStringToObject(g, "safe", sa);
        cJSON_AddStringToObject(g, "nonce", nd);
        idx = cJSON_AddArrayToObject(g, "transactions");
        for (size_t j = i; idx && j < n; j++)
            if (first_same_nonce(tx, j) == i) cJSON_AddItemToArray(idx, cJSON_CreateNumber((double)j));
    }
    arr = cJSON_AddArrayToObject(o, "transactions");
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *x = report_obj(&r[i], &tx[i]);
        if (!x || !cJSON_AddItemToArray(arr, x)) {
            cJSON_Delete(x);
            cJSON_Delete(o);
            return SL_ENOMEM;
        }
    }
    return put_json(b, o);
}
