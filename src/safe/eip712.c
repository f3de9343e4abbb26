/* eip712.c — EIP-712 typed-data hashing and the three Safe hashing schemes: the domain
 * separator, hashStruct(SafeTx) (the "message hash" hardware wallets show) and the
 * safeTxHash the owners sign. The type strings are hashed at run time; the tests pin
 * their digests to the constants in Safe's contracts.
 */
#include <string.h>

#include "sleuth/keccak.h"
#include "sleuth/safe.h"

static const char SAFE_TX_TYPE_V0_1[] =
    "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
    "uint256 dataGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)";
static const char SAFE_TX_TYPE[] =
    "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
    "uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)";

static void word_addr(uint8_t w[32], const sl_safe_addr *a)
{
    memset(w, 0, 12);
    memcpy(w + 12, a->b, 20);
}

static void hash_str(uint8_t out[32], const char *s) { sl_keccak256(out, s, strlen(s)); }

void sl_eip712_domain(uint8_t out[32], const char *name, const char *version,
                      const sl_safe_u256 *chain_id, const sl_safe_addr *verifying_contract,
                      const uint8_t *salt32)
{
    char type[160] = "EIP712Domain(";
    const char *sep = "";
    uint8_t w[32];
    sl_keccak k;
    if (name) { strcat(type, "string name"); sep = ","; }
    if (version) { strcat(type, sep); strcat(type, "string version"); sep = ","; }
    if (chain_id) { strcat(type, sep); strcat(type, "uint256 chainId"); sep = ","; }
    if (verifying_contract) { strcat(type, sep); strcat(type, "address verifyingContract"); sep = ","; }
    if (salt32) { strcat(type, sep); strcat(type, "bytes32 salt"); }
    strcat(type, ")");
    sl_keccak_init(&k);
    hash_str(w, type);
    sl_keccak_update(&k, w, 32);
    if (name) { hash_str(w, name); sl_keccak_update(&k, w, 32); }
    if (version) { hash_str(w, version); sl_keccak_update(&k, w, 32); }
    if (chain_id) sl_keccak_update(&k, chain_id->b, 32);
    if (verifying_contract) { word_addr(w, verifying_contract); sl_keccak_update(&k, w, 32); }
    if (salt32) sl_keccak_update(&k, salt32, 32);
    sl_keccak_final(&k, out);
}

void sl_eip712_digest(uint8_t out[32], const uint8_t domain[32], const uint8_t struct_hash[32])
{
    uint8_t m[66];
    m[0] = 0x19;
    m[1] = 0x01;
    memcpy(m + 2, domain, 32);
    memcpy(m + 34, struct_hash, 32);
    sl_keccak256(out, m, sizeof m);
}

int sl_safe_hash(sl_safe_hashes *h, const sl_safe_tx *tx, sl_safe_version v, uint64_t chain_id)
{
    uint8_t w[32];
    sl_keccak k;
    sl_safe_u256 cid;
    if (v == SL_SAFE_VAUTO)
        return SL_EUSAGE;
    if (v == SL_SAFE_V1_3) {
        sl_safe_u256_from_u64(&cid, chain_id);
        sl_eip712_domain(h->domain, NULL, NULL, &cid, &tx->safe, NULL);
    } else {
        sl_eip712_domain(h->domain, NULL, NULL, NULL, &tx->safe, NULL);
    }
    sl_keccak_init(&k);
    hash_str(w, v == SL_SAFE_V0_1 ? SAFE_TX_TYPE_V0_1 : SAFE_TX_TYPE);
    sl_keccak_update(&k, w, 32);
    word_addr(w, &tx->to);
    sl_keccak_update(&k, w, 32);
    sl_keccak_update(&k, tx->value.b, 32);
    sl_keccak256(w, tx->data, tx->data_len); /* bytes are hashed, per EIP-712 */
    sl_keccak_update(&k, w, 32);
    memset(w, 0, 32);
    w[31] = tx->operation;
    sl_keccak_update(&k, w, 32);
    sl_keccak_update(&k, tx->safe_tx_gas.b, 32);
    sl_keccak_update(&k, tx->base_gas.b, 32);
    sl_keccak_update(&k, tx->gas_price.b, 32);
    word_addr(w, &tx->gas_token);
    sl_keccak_update(&k, w, 32);
    word_addr(w, &tx->refund_receiver);
    sl_keccak_update(&k, w, 32);
    sl_keccak_update(&k, tx->nonce.b, 32);
    sl_keccak_final(&k, h->message);
    sl_eip712_digest(h->safe_tx_hash, h->domain, h->message);
    return SL_OK;
}
