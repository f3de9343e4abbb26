/* rules.c — the verdict: hashes under the right Safe version, the signers behind every
 * signature, and the rules a signer under pressure needs checked for them. Each finding
 * has a stable rule id, a severity and a plain explanation; docs/SAFE.md lists them.
 *
 * Severity policy: critical = signing this can hand over the wallet or the signatures do
 * not belong to these fields; high = changes who controls the Safe or what code runs it,
 * or cannot be decoded; medium = needs a second look; low/info = facts worth seeing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sleuth/safe.h"

const char *sl_safe_sev_name(sl_safe_sev s)
{
    switch (s) {
    case SL_SEV_INFO: return "info";
    case SL_SEV_LOW: return "low";
    case SL_SEV_MEDIUM: return "medium";
    case SL_SEV_HIGH: return "high";
    case SL_SEV_CRITICAL: return "critical";
    }
    return "?";
}

int sl_safe_exit_code(sl_safe_sev max)
{
    if (max >= SL_SEV_HIGH) return 3;   /* sleuth's exit codes: 1 failure, 2 usage (src/cli/cli.h) */
    if (max == SL_SEV_MEDIUM) return 4;
    return 0;
}

/* Safe's own libraries, meant to be delegatecalled (safe-deployments, mainnet addresses,
 * identical on every chain where the canonical/eip155 factories deployed them). */
static const struct {
    const char *hex, *name;
} DEFAULT_ALLOW[] = {
    {"0x8D29bE29923b68abfDD21e541b9374737B49cdAD", "MultiSend 1.1.1"},
    {"0xA238CBeb142c10Ef7Ad8442C6D1f9E89e07e7761", "MultiSend 1.3.0"},
    {"0x998739BFdAAdde7C933B942a68053933098f9EDa", "MultiSend 1.3.0 (eip155)"},
    {"0x38869bf66a61cF6bDB996A6aE40D5853Fd43B526", "MultiSend 1.4.1"},
    {"0x40A2aCCbd92BCA938b02010E17A5b8929b49130D", "MultiSendCallOnly 1.3.0"},
    {"0xA1dabEF33b3B82c7814B6D82A79e50F4AC44102B", "MultiSendCallOnly 1.3.0 (eip155)"},
    {"0x9641d764fc13c8B624c04430C7356C1C7C8102e2", "MultiSendCallOnly 1.4.1"},
    {"0xA65387F16B013cf2Af4605Ad8aA5ec25a2cbA3a2", "SignMessageLib 1.3.0"},
    {"0x98FFBBF51bb33A056B08ddf711f289936AafF717", "SignMessageLib 1.3.0 (eip155)"},
    {"0xd53cd0aB83D845Ac265BE939c57F53AD838012c9", "SignMessageLib 1.4.1"},
    {"0x526643F69b81B008F46d95CD5ced5eC0edFFDaC6", "SafeMigration 1.4.1"},
    {"0xfF83F6335d8930cBad1c0D439A841f01888D9f69", "SafeToL2Migration 1.4.1"},
};
#define NDEFAULT (sizeof DEFAULT_ALLOW / sizeof DEFAULT_ALLOW[0])

const sl_safe_allow *sl_safe_default_allow(size_t *n)
{
    static sl_safe_allow tab[NDEFAULT];
    static int ready;
    if (!ready) { /* constant input; a race would write the same bytes */
        for (size_t i = 0; i < NDEFAULT; i++) {
            sl_error e = {0};
            if (sl_safe_addr_parse(&tab[i].addr, DEFAULT_ALLOW[i].hex, &e) != SL_OK)
                memset(&tab[i].addr, 0, sizeof tab[i].addr); /* cannot happen: tested */
            snprintf(tab[i].name, sizeof tab[i].name, "%s", DEFAULT_ALLOW[i].name);
        }
        ready = 1;
    }
    *n = NDEFAULT;
    return tab;
}

typedef struct ctx {
    sl_safe_report *r;
    const sl_safe_tx *tx;
    const sl_safe_opts *o;
    size_t cap;
    int rc; /* first allocation failure */
} ctx;

static void add(ctx *c, sl_safe_sev sev, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(ctx *c, sl_safe_sev sev, const char *rule, const char *fmt, ...)
{
    sl_safe_finding *f;
    va_list ap;
    void *q = c->r->findings;
    if (c->rc)
        return;
    if (sl_grow(&q, &c->cap, c->r->nfindings + 1, sizeof *f)) {
        c->rc = SL_ENOMEM;
        return;
    }
    c->r->findings = q;
    f = &c->r->findings[c->r->nfindings++];
    f->sev = sev;
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    if (sev > c->r->max_sev)
        c->r->max_sev = sev;
}

static const char *allow_name(const ctx *c, const sl_safe_addr *a)
{
    size_t n;
    const sl_safe_allow *d = sl_safe_default_allow(&n);
    for (size_t i = 0; i < n; i++)
        if (sl_safe_addr_eq(&d[i].addr, a)) return d[i].name;
    for (size_t i = 0; i < c->o->nallow; i++)
        if (sl_safe_addr_eq(&c->o->allow[i].addr, a)) return c->o->allow[i].name[0] ? c->o->allow[i].name : "allow-listed";
    return NULL;
}

static void word_addr(sl_safe_addr *a, const uint8_t w[32]) { memcpy(a->b, w + 12, 20); }

/* The first 32-byte argument word that looks like an address (12 zero bytes, then a
 * non-zero 20-byte value): what a delegatecalled contract could write into slot 0. */
static bool first_address_word(const sl_safe_call *call, sl_safe_addr *a, size_t *off)
{
    for (size_t p = 4; p + 32 <= call->data_len && p < 4 + 32 * 64; p += 32) {
        const uint8_t *w = call->data + p;
        bool hi0 = true, lo0 = true;
        for (int i = 0; i < 12; i++)
            if (w[i]) hi0 = false;
        for (int i = 12; i < 32; i++)
            if (w[i]) lo0 = false;
        if (hi0 && !lo0) {
            word_addr(a, w);
            *off = call->data_off + p;
            return true;
        }
    }
    return false;
}

/* "transfer(to=0x..., amount=5)" or "function 0x12345678" or "no calldata". */
static void describe(char *out, size_t cap, const sl_safe_call *call)
{
    const sl_safe_fn_info *f;
    size_t n;
    if (call->fn == SL_FN_NONE) {
        snprintf(out, cap, "no calldata (plain value transfer)");
        return;
    }
    if (call->fn == SL_FN_UNKNOWN) {
        if (call->data_len >= 4)
            snprintf(out, cap, "unknown function 0x%02x%02x%02x%02x", call->data[0], call->data[1], call->data[2],
                     call->data[3]);
        else
            snprintf(out, cap, "%zu bytes of calldata (no selector)", call->data_len);
        return;
    }
    f = &sl_safe_fn_table()[call->fn];
    n = (size_t)snprintf(out, cap, "%.*s(", (int)(strchr(f->signature, '(') - f->signature), f->signature);
    for (int i = 0; i < f->nargs && n < cap; i++) {
        char v[80];
        if (call->decode_failed) {
            snprintf(v, sizeof v, "?");
        } else if (f->arg_types[i] == SL_ABI_ADDRESS) {
            sl_safe_addr a;
            word_addr(&a, call->args[i].word);
            sl_safe_addr_hex(v, &a);
        } else if (f->arg_types[i] == SL_ABI_UINT) {
            sl_safe_u256 u;
            memcpy(u.b, call->args[i].word, 32);
            sl_safe_u256_dec(v, &u);
        } else {
            snprintf(v, sizeof v, "%zu bytes", call->args[i].len);
        }
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", i ? ", " : "", f->arg_names[i], v);
    }
    if (n < cap)
        snprintf(out + n, cap - n, ")");
}

static void screen(ctx *c, const sl_safe_addr *a, const char *role)
{
    sl_safe_tag t;
    char ah[43];
    int rc;
    if (!c->o->tag_lookup)
        return;
    memset(&t, 0, sizeof t);
    sl_safe_addr_hex(ah, a);
    rc = c->o->tag_lookup(c->o->tag_ctx, a, &t);
    if (rc == SL_ENOTFOUND)
        return;
    if (rc != SL_OK) {
        add(c, SL_SEV_MEDIUM, "tag-lookup-failed", "Could not screen %s %s against the tag store (%s).", role, ah,
            sl_strerror(rc));
        return;
    }
    if (t.kind == SL_TAG_SANCTIONED || t.kind == SL_TAG_STOLEN)
        add(c, SL_SEV_CRITICAL, "tagged-recipient", "The %s %s is tagged %s: %s (source: %s). Sending to it may be illegal or aid a thief.",
            role, ah, t.kind == SL_TAG_SANCTIONED ? "SANCTIONED" : "STOLEN FUNDS", t.label, t.source);
    else
        add(c, t.kind == SL_TAG_MIXER ? SL_SEV_HIGH : SL_SEV_LOW, "tagged-recipient", "The %s %s is tagged %s: %s (source: %s).",
            role, ah, t.kind == SL_TAG_MIXER ? "as a mixer" : "", t.label, t.source);
}

static void check_call(ctx *c, const sl_safe_call *call, const char *where)
{
    char to[43], desc[512], sub[64];
    const sl_safe_fn_info *f = call->fn >= 0 ? &sl_safe_fn_table()[call->fn] : NULL;
    sl_safe_addr_hex(to, &call->to);
    describe(desc, sizeof desc, call);

    if (call->operation == SL_SAFE_OP_DELEGATECALL) {
        const char *name = allow_name(c, &call->to);
        if (!name) {
            sl_safe_addr a;
            size_t off;
            add(c, SL_SEV_CRITICAL, "delegatecall-untrusted",
                "%s is a DELEGATECALL (operation 1) to %s, which is not a known Safe library. A delegatecall runs that "
                "contract's code as the Safe itself, with the Safe's storage and funds: it can replace the "
                "implementation, change owners and modules, and take every asset. Called as: %s.",
                where, to, desc);
            if (first_address_word(call, &a, &off)) {
                char ah[43];
                sl_safe_addr_hex(ah, &a);
                add(c, SL_SEV_CRITICAL, "implementation-overwrite",
                    "%s: storage slot 0 of a Safe holds its implementation (singleton/masterCopy). The delegatecalled "
                    "code receives the address %s (calldata byte %zu) and can write it into slot 0, replacing the "
                    "Safe's code with the attacker's%s. This is how Bybit lost ~401,000 ETH on 2025-02-21.",
                    where, ah, off,
                    (call->fn == SL_FN_ERC20_TRANSFER || call->fn == SL_FN_ERC20_APPROVE ||
                     call->fn == SL_FN_ERC20_TRANSFER_FROM)
                        ? "; a token transfer is never delegatecalled, so the 'transfer' shown is a disguise"
                        : "");
            } else {
                add(c, SL_SEV_CRITICAL, "implementation-overwrite",
                    "%s: the delegatecalled code can write any storage slot of the Safe, including slot 0 (its "
                    "implementation address).",
                    where);
            }
        } else {
            add(c, SL_SEV_INFO, "delegatecall-allowed", "%s delegatecalls %s (%s), on the allow-list.", where, to, name);
        }
    }
    if (call->decode_failed)
        add(c, SL_SEV_HIGH, "calldata-malformed",
            "%s calls %s on %s but its arguments do not decode (%s): no screen can tell what it does.", where,
            f ? f->signature : "?", to, call->decode_error);
    else if (call->fn == SL_FN_UNKNOWN)
        add(c, SL_SEV_LOW, "calldata-unknown", "%s calls %s on %s, which sleuth does not decode; read it in the "
            "contract's verified source.", where, desc, to);
    if (f && f->admin && !call->decode_failed) {
        const char *what = "the Safe's configuration";
        switch (call->fn) {
        case SL_FN_ADD_OWNER: case SL_FN_REMOVE_OWNER: case SL_FN_SWAP_OWNER: what = "the owners"; break;
        case SL_FN_CHANGE_THRESHOLD: what = "the signing threshold"; break;
        case SL_FN_CHANGE_MASTER_COPY: what = "the implementation (singleton/masterCopy, slot 0)"; break;
        case SL_FN_ENABLE_MODULE: case SL_FN_DISABLE_MODULE: what = "the modules (contracts that move funds without signatures)"; break;
        case SL_FN_SET_FALLBACK_HANDLER: what = "the fallback handler"; break;
        case SL_FN_SET_GUARD: case SL_FN_SET_MODULE_GUARD: what = "the transaction guard"; break;
        default: break;
        }
        add(c, SL_SEV_HIGH, "admin-change", "%s changes %s%s%s: %s.", where, what,
            sl_safe_addr_eq(&call->to, &c->tx->safe) ? "" : " of another contract, ",
            sl_safe_addr_eq(&call->to, &c->tx->safe) ? "" : to, desc);
    }
    if (call->fn == SL_FN_ERC20_APPROVE && !call->decode_failed) {
        bool max = true;
        for (int i = 0; i < 16; i++)
            if (call->args[1].word[i] != 0xff) max = false;
        if (max)
            add(c, SL_SEV_MEDIUM, "unlimited-approval", "%s approves an unlimited (or near-unlimited) allowance of "
                "token %s: %s.", where, to, desc);
    }
    /* screening: who receives value or tokens */
    if (!sl_safe_u256_is_zero(&call->value))
        screen(c, &call->to, "recipient of native value");
    if (!call->decode_failed) {
        sl_safe_addr a;
        if (call->fn == SL_FN_ERC20_TRANSFER) { word_addr(&a, call->args[0].word); screen(c, &a, "token recipient"); }
        if (call->fn == SL_FN_ERC20_TRANSFER_FROM) { word_addr(&a, call->args[1].word); screen(c, &a, "token recipient"); }
        if (call->fn == SL_FN_ERC20_APPROVE) { word_addr(&a, call->args[0].word); screen(c, &a, "token spender"); }
    }
    for (size_t i = 0; i < call->nsub; i++) {
        if (call->depth == 0)
            snprintf(sub, sizeof sub, "MultiSend item %zu", i + 1);
        else
            snprintf(sub, sizeof sub, "nested MultiSend item %zu (depth %d)", i + 1, call->depth + 1);
        check_call(c, &call->sub[i], sub);
    }
}

static void check_signers(ctx *c)
{
    sl_safe_report *r = c->r;
    size_t valid = 0;
    for (size_t i = 0; i < c->tx->nsigs; i++) {
        sl_safe_signer *s = &r->signers[i];
        char got[43], want[43];
        if (c->tx->sigs[i].len < 65) { /* only a hand-built sl_safe_tx can get here */
            memset(s, 0, sizeof *s);
            s->kind = SL_SIG_INVALID;
            snprintf(s->note, sizeof s->note, "%zu bytes, a Safe signature is 65", c->tx->sigs[i].len);
        } else {
            sl_safe_sig_recover(s, c->tx->sigs[i].bytes, r->hashes.safe_tx_hash);
        }
        s->has_claimed = c->tx->sigs[i].has_owner;
        s->claimed = c->tx->sigs[i].owner;
        sl_safe_addr_hex(got, &s->signer);
        sl_safe_addr_hex(want, &s->claimed);
        if (s->kind == SL_SIG_INVALID) {
            add(c, SL_SEV_HIGH, "signature-invalid", "Signature %zu is not valid: %s.", i + 1, s->note);
            r->sigs_invalid++;
            continue;
        }
        if (s->has_claimed && !sl_safe_addr_eq(&s->signer, &s->claimed)) {
            r->sigs_mismatch++;
            add(c, SL_SEV_CRITICAL, "signature-mismatch",
                "Signature %zu is listed as owner %s's but recovers to %s over this safeTxHash: it was made for a "
                "different transaction (or Safe, chain or version). What is shown here is not what was signed.",
                i + 1, want, got);
            continue;
        }
        {
            bool dup = false;
            for (size_t j = 0; j < i && !dup; j++)
                if (r->signers[j].kind != SL_SIG_INVALID && sl_safe_addr_eq(&r->signers[j].signer, &s->signer)) {
                    add(c, SL_SEV_MEDIUM, "signature-duplicate",
                        "Signatures %zu and %zu are both by %s; Safe counts an owner once.", j + 1, i + 1, got);
                    dup = true;
                }
            if (dup) { r->sigs_duplicate++; continue; }
        }
        if (s->kind == SL_SIG_CONTRACT)
            add(c, SL_SEV_LOW, "signature-contract", "Signature %zu is a contract signature (EIP-1271) by %s: "
                "whether that contract accepts this hash cannot be checked offline.", i + 1, got);
        if (s->kind == SL_SIG_APPROVED_HASH)
            add(c, SL_SEV_INFO, "signature-approved-hash", "Signature %zu stands for an on-chain approveHash by %s "
                "(or that owner executing); check the approval on chain.", i + 1, got);
        valid++;
    }
    r->sigs_valid = valid;
    /* "present" read as "there": say how many count, and that the others do not */
    if (c->tx->confirmations_required >= 0 && valid < (size_t)c->tx->confirmations_required)
        add(c, SL_SEV_INFO, "signatures-pending",
            "Only %zu of the %d required signatures are valid for this transaction (%zu given): it cannot be "
            "executed as it stands.", valid, c->tx->confirmations_required, c->tx->nsigs);
}

static int sev_cmp_desc(const void *a, const void *b)
{
    const sl_safe_finding *x = a, *y = b;
    return (int)y->sev - (int)x->sev;
}

/* insertion sort: stable, and finding lists are short */
static void sort_findings(sl_safe_report *r)
{
    for (size_t i = 1; i < r->nfindings; i++) {
        sl_safe_finding t = r->findings[i];
        size_t j = i;
        while (j > 0 && sev_cmp_desc(&r->findings[j - 1], &t) > 0) {
            r->findings[j] = r->findings[j - 1];
            j--;
        }
        r->findings[j] = t;
    }
}

int sl_safe_verify(sl_safe_report *r, const sl_safe_tx *tx, const sl_safe_opts *o, sl_error *e)
{
    ctx c = {r, tx, o, 0, SL_OK};
    int rc;
    char hx[65];
    memset(r, 0, sizeof *r);
    r->chain_id = o->has_chain_id ? o->chain_id : tx->has_chain_id ? tx->chain_id : 1;
    if (o->has_chain_id && tx->has_chain_id && o->chain_id != tx->chain_id)
        add(&c, SL_SEV_MEDIUM, "chain-mismatch", "The input names chain %llu but --chain-id %llu was given; hashes use %llu.",
            (unsigned long long)tx->chain_id, (unsigned long long)o->chain_id, (unsigned long long)o->chain_id);

    /* version: given, or the scheme that reproduces the input's safeTxHash */
    r->version = o->version;
    if (r->version == SL_SAFE_VAUTO && tx->has_claimed_hash) {
        static const sl_safe_version order[] = {SL_SAFE_V1_3, SL_SAFE_V1_0, SL_SAFE_V0_1};
        for (size_t i = 0; i < 3 && r->version == SL_SAFE_VAUTO; i++) {
            if ((rc = sl_safe_hash(&r->hashes, tx, order[i], r->chain_id)))
                return sl_err(e, rc, "hashing failed");
            if (memcmp(r->hashes.safe_tx_hash, tx->claimed_hash, 32) == 0) {
                r->version = order[i];
                r->version_inferred = true;
            }
        }
    }
    if (r->version == SL_SAFE_VAUTO) {
        r->version = SL_SAFE_V1_3;
        if (!tx->has_claimed_hash)
            add(&c, SL_SEV_LOW, "version-assumed", "No safeTxHash in the input and no --safe-version: hashed as Safe "
                "1.3.0+. If the Safe is older, the hashes shown are not the ones your device shows.");
    }
    if ((rc = sl_safe_hash(&r->hashes, tx, r->version, r->chain_id)))
        return sl_err(e, rc, "hashing failed");
    if (tx->has_claimed_hash) {
        r->claimed_hash_checked = true;
        r->claimed_hash_matches = memcmp(r->hashes.safe_tx_hash, tx->claimed_hash, 32) == 0;
        if (!r->claimed_hash_matches) {
            sl_hex_encode(hx, tx->claimed_hash, 32);
            add(&c, SL_SEV_CRITICAL, "hash-mismatch",
                "The input's safeTxHash 0x%s is not the hash of these fields (Safe %s, chain %llu%s). What the "
                "interface shows and what would be signed differ, or the version/chain is wrong.",
                hx, sl_safe_version_name(r->version), (unsigned long long)r->chain_id,
                o->version == SL_SAFE_VAUTO ? "; no Safe version reproduces it" : "");
        }
    }

    if (tx->nsigs) {
        r->signers = sl_realloc(NULL, tx->nsigs * sizeof *r->signers);
        if (!r->signers)
            return sl_err(e, SL_ENOMEM, "out of memory");
        r->nsigners = tx->nsigs;
        check_signers(&c);
    }

    if ((rc = sl_safe_decode(&r->call, tx->operation, &tx->to, &tx->value, tx->data, tx->data_len))) {
        sl_safe_report_free(r);
        return sl_err(e, rc, "out of memory decoding calldata");
    }
    check_call(&c, &r->call, "The transaction");

    if (!sl_safe_u256_is_zero(&tx->gas_price)) {
        bool known = sl_safe_addr_is_zero(&tx->refund_receiver);
        char rr[43], tok[43], gp[79];
        for (size_t i = 0; i < r->nsigners && !known; i++)
            if (r->signers[i].recovered && sl_safe_addr_eq(&r->signers[i].signer, &tx->refund_receiver))
                known = true;
        sl_safe_addr_hex(rr, &tx->refund_receiver);
        sl_safe_addr_hex(tok, &tx->gas_token);
        sl_safe_u256_dec(gp, &tx->gas_price);
        if (!known)
            add(&c, SL_SEV_HIGH, "refund-receiver",
                "The Safe pays a gas refund of up to (safeTxGas + baseGas) x gasPrice %s in %s to %s, which is neither "
                "the executor (0x0) nor a signer: a large gasPrice drains the Safe to that address.",
                gp, sl_safe_addr_is_zero(&tx->gas_token) ? "ETH" : tok, rr);
        else
            add(&c, SL_SEV_LOW, "refund", "The Safe pays a gas refund (gasPrice %s, in %s) to %s.", gp,
                sl_safe_addr_is_zero(&tx->gas_token) ? "ETH" : tok,
                sl_safe_addr_is_zero(&tx->refund_receiver) ? "the executor" : rr);
    }

    {
        uint64_t n = 0;
        bool small = sl_safe_u256_to_u64(&tx->nonce, &n);
        if (!o->has_current_nonce)
            add(&c, SL_SEV_INFO, "nonce-unchecked", "Nonce not compared with the Safe's current nonce (give --safe-nonce N).");
        else if (!small || n > o->current_nonce)
            add(&c, SL_SEV_MEDIUM, "nonce-gap",
                "Nonce %s skips ahead of the Safe's current nonce %llu: it cannot run until the nonces between are used, "
                "so signatures given now can be executed later, in circumstances you cannot see.",
                small ? (snprintf(hx, sizeof hx, "%llu", (unsigned long long)n), hx) : "(huge)",
                (unsigned long long)o->current_nonce);
        else if (n < o->current_nonce)
            add(&c, SL_SEV_MEDIUM, "nonce-used", "Nonce %llu is below the Safe's current nonce %llu: it can never execute; "
                "ask why it is being signed.", (unsigned long long)n, (unsigned long long)o->current_nonce);
    }

    if (!o->tag_lookup)
        add(&c, SL_SEV_INFO, "screening-skipped", "Recipients not screened for sanctioned or stolen funds: %s.",
            o->tag_unavailable ? o->tag_unavailable : "no tag store given (--store DIR)");

    if (c.rc) {
        sl_safe_report_free(r);
        return sl_err(e, c.rc, "out of memory");
    }
    sort_findings(r);
    return SL_OK;
}

void sl_safe_report_free(sl_safe_report *r)
{
    sl_safe_call_free(&r->call);
    sl_free(r->signers);
    sl_free(r->findings);
    memset(r, 0, sizeof *r);
}
