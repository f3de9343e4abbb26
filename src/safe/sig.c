/* sig.c — the signature forms Safe's checkNSignatures accepts, and signer recovery.
 *
 * Each signature is 65 bytes {r 32 | s 32 | v 1}. v selects the form:
 *   v = 0        contract signature (EIP-1271): r is the signing contract's address,
 *                s the offset of its dynamic signature data; not checkable offline.
 *   v = 1        approved hash: r is an owner that called approveHash(safeTxHash) on chain,
 *                or the executor itself (msg.sender == owner).
 *   v = 27, 28   ECDSA over the safeTxHash (EIP-712 signing).
 *   v = 31, 32   ECDSA over keccak256("\x19Ethereum Signed Message:\n32" || safeTxHash)
 *                with v - 4 (eth_sign / personal_sign of the hash, as Bybit's signers used).
 * Recovery uses libsecp256k1's recovery module; no curve arithmetic is written here.
 */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <string.h>

#include "sleuth/keccak.h"
#include "sleuth/safe.h"

const char *sl_safe_sig_kind_name(sl_safe_sig_kind k)
{
    switch (k) {
    case SL_SIG_ECDSA: return "eip712";
    case SL_SIG_ETH_SIGN: return "eth_sign";
    case SL_SIG_APPROVED_HASH: return "approved_hash";
    case SL_SIG_CONTRACT: return "contract";
    case SL_SIG_INVALID: break;
    }
    return "invalid";
}

static bool ecrecover(sl_safe_addr *out, const uint8_t digest[32], const uint8_t rs[64], int recid)
{
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    uint8_t ser[65], h[32];
    size_t n = sizeof ser;
    /* recovery needs no precomputed tables: the static context is enough and thread-safe */
    const secp256k1_context *ctx = secp256k1_context_static;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, rs, recid))
        return false; /* r or s not below the group order */
    if (!secp256k1_ecdsa_recover(ctx, &pub, &sig, digest))
        return false;
    if (!secp256k1_ec_pubkey_serialize(ctx, ser, &n, &pub, SECP256K1_EC_UNCOMPRESSED))
        return false;
    sl_keccak256(h, ser + 1, 64);
    memcpy(out->b, h + 12, 20);
    return true;
}

static bool upper_zero(const uint8_t w[32])
{
    for (int i = 0; i < 12; i++)
        if (w[i]) return false;
    return true;
}

void sl_safe_sig_recover(sl_safe_signer *out, const uint8_t sig[65], const uint8_t safe_tx_hash[32])
{
    uint8_t v = sig[64];
    memset(out, 0, sizeof *out);
    out->v = v;
    out->kind = SL_SIG_INVALID;
    if (v == 0 || v == 1) {
        out->kind = v == 0 ? SL_SIG_CONTRACT : SL_SIG_APPROVED_HASH;
        if (!upper_zero(sig)) {
            out->kind = SL_SIG_INVALID;
            snprintf(out->note, sizeof out->note, "v=%u but r is not an address (upper 12 bytes not zero)", v);
            return;
        }
        memcpy(out->signer.b, sig + 12, 20);
        out->recovered = true;
        snprintf(out->note, sizeof out->note, "%s",
                 v == 0 ? "contract signature (EIP-1271): validity cannot be checked offline"
                        : "approved hash: valid only if this owner called approveHash on chain or executes it");
        return;
    }
    if (v == 27 || v == 28) {
        out->kind = SL_SIG_ECDSA;
        if (!ecrecover(&out->signer, safe_tx_hash, sig, v - 27)) {
            out->kind = SL_SIG_INVALID;
            snprintf(out->note, sizeof out->note, "ECDSA signature recovers no public key");
            return;
        }
        out->recovered = true;
        return;
    }
    if (v == 31 || v == 32) {
        static const char prefix[] = "\x19" "Ethereum Signed Message:\n32";
        uint8_t m[sizeof prefix - 1 + 32], d[32];
        memcpy(m, prefix, sizeof prefix - 1);
        memcpy(m + sizeof prefix - 1, safe_tx_hash, 32);
        sl_keccak256(d, m, sizeof m);
        out->kind = SL_SIG_ETH_SIGN;
        if (!ecrecover(&out->signer, d, sig, v - 31)) {
            out->kind = SL_SIG_INVALID;
            snprintf(out->note, sizeof out->note, "eth_sign signature recovers no public key");
            return;
        }
        out->recovered = true;
        return;
    }
    snprintf(out->note, sizeof out->note, "v=%u is not a form Safe accepts (0, 1, 27, 28, 31, 32)", v);
}

int sl_safe_sig_split(const uint8_t **parts, size_t cap, const uint8_t *sigs, size_t len, sl_error *e)
{
    /* Contract signatures (v = 0) append dynamic data after the static parts; s holds its
     * offset. The static region ends at the smallest such offset, else at len. */
    size_t end = len, n;
    bool dyn = false;
    for (size_t k = 0; k + 65 <= end; k += 65) {
        const uint8_t *p = sigs + k;
        uint64_t off = 0;
        bool big = false;
        if (p[64] != 0)
            continue;
        for (int j = 32; j < 56; j++)
            if (p[j]) big = true;
        for (int j = 56; j < 64; j++) off = off << 8 | p[j];
        if (big || off > len || len - off < 32 || off < k + 65)
            return sl_err(e, SL_ECORRUPT, "signatures byte %zu: contract signature data offset %s", k + 32,
                          big || off > len || len - off < 32 ? "points past the end" : "points into the static part"),
                   -1;
        if (off < end) {
            end = (size_t)off;
            dyn = true;
        }
    }
    if (end % 65 != 0)
        return sl_err(e, SL_ECORRUPT, "signatures: %zu bytes of static parts is not a multiple of 65%s", end,
                      dyn ? " (before the contract signature data)" : ""),
               -1;
    n = end / 65;
    for (size_t i = 0; i < n && i < cap; i++) parts[i] = sigs + 65 * i;
    return n > 0x7fffffff ? 0x7fffffff : (int)n;
}
