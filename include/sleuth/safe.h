/* safe.h — independent check of a Safe (formerly Gnosis Safe) multisig transaction before
 * it is signed: the EIP-712 hashes a signer's device shows, the owners recovered from the
 * signatures, the calldata decoded (MultiSend batches recursively), and a verdict from
 * rules with severities. This is the custody check of DESIGN.md (capability 9); the
 * Bybit theft of 2025-02-21 (a delegatecall disguised as an ERC-20 transfer that replaced
 * the wallet's implementation) is its reference case. docs/SAFE.md describes the rules.
 *
 * Pipeline: sl_safe_parse_json (text -> sl_safe_tx list) -> sl_safe_verify (tx + options
 * -> sl_safe_report) -> sl_safe_report_text / sl_safe_report_json. Each step can also be
 * used alone (hashing, signature recovery, calldata decoding).
 *
 * Addresses and 256-bit words are fixed-size big-endian value types (sl_safe_addr,
 * sl_safe_u256); they will move to the Ethereum chain module once it exists.
 */
#ifndef SLEUTH_SAFE_H
#define SLEUTH_SAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/util.h"

/* ---- value types ---- */
typedef struct sl_safe_addr {
    uint8_t b[20];
} sl_safe_addr;
typedef struct sl_safe_u256 {
    uint8_t b[32]; /* big-endian, as the EVM and ABI encode it */
} sl_safe_u256;

/* EIP-55 mixed-case checksummed form "0x...", 43 bytes with the NUL. */
void sl_safe_addr_hex(char out[43], const sl_safe_addr *a);
/* Parses "0x" + 40 hex digits. All-lower or all-upper is accepted unchecked; mixed case
 * must carry a valid EIP-55 checksum (a typo is more likely than a new address).
 * Errors: SL_ECORRUPT with the reason in e (no location: the caller prefixes it). */
int sl_safe_addr_parse(sl_safe_addr *a, const char *s, sl_error *e) SL_MUST_USE;
bool sl_safe_addr_eq(const sl_safe_addr *a, const sl_safe_addr *b);
bool sl_safe_addr_is_zero(const sl_safe_addr *a);

/* Decimal digits ("0" for zero); out needs 79 bytes. */
void sl_safe_u256_dec(char out[79], const sl_safe_u256 *v);
/* Parses a decimal or "0x" hex string; SL_ECORRUPT on a bad digit or a value >= 2^256. */
int sl_safe_u256_parse(sl_safe_u256 *v, const char *s, sl_error *e) SL_MUST_USE;
void sl_safe_u256_from_u64(sl_safe_u256 *v, uint64_t x);
bool sl_safe_u256_is_zero(const sl_safe_u256 *v);
/* True and *x set when v fits 64 bits. */
bool sl_safe_u256_to_u64(const sl_safe_u256 *v, uint64_t *x);
int sl_safe_u256_cmp(const sl_safe_u256 *a, const sl_safe_u256 *b);

/* ---- EIP-712 ---- */
/* Domain separator for the fields that are present (NULL = absent), in EIP-712's order
 * name, version, chainId, verifyingContract, salt; the type string lists only those. */
void sl_eip712_domain(uint8_t out[32], const char *name, const char *version,
                      const sl_safe_u256 *chain_id, const sl_safe_addr *verifying_contract,
                      const uint8_t *salt32);
/* keccak256(0x19 0x01 || domain || struct_hash): the digest an EIP-712 signature signs. */
void sl_eip712_digest(uint8_t out[32], const uint8_t domain[32], const uint8_t struct_hash[32]);

/* ---- the Safe transaction ---- */
/* How each Safe version hashes a transaction (see docs/SAFE.md):
 *   SL_SAFE_V0_1   0.1.0          SafeTx(... uint256 dataGas ...),  domain(verifyingContract)
 *   SL_SAFE_V1_0   1.0.0 - 1.2.x  SafeTx(... uint256 baseGas ...),  domain(verifyingContract)
 *   SL_SAFE_V1_3   1.3.0 and on   SafeTx(... uint256 baseGas ...),  domain(chainId, verifyingContract)
 * 1.0.0 and 1.1.x-1.2.x hash identically; they differ in code, not in what is signed. */
typedef enum sl_safe_version {
    SL_SAFE_VAUTO = 0, /* infer from the safeTxHash the input claims, else 1.3.0+ */
    SL_SAFE_V0_1,
    SL_SAFE_V1_0,
    SL_SAFE_V1_3,
} sl_safe_version;

/* Maps "1.1.1", "1.3.0+L2", "1.4.1" ... to the hashing scheme; SL_EUNSUPPORTED for
 * versions before 0.1.0 or after 1.x, SL_EUSAGE when s is not a version number. */
int sl_safe_version_parse(sl_safe_version *v, const char *s, sl_error *e) SL_MUST_USE;
/* "0.1.0", "1.0.0-1.2.x", "1.3.0+". */
const char *sl_safe_version_name(sl_safe_version v);

enum { SL_SAFE_OP_CALL = 0, SL_SAFE_OP_DELEGATECALL = 1 };

typedef struct sl_safe_sig_in {
    uint8_t *bytes; /* owned; 65 bytes, or more for a contract signature's dynamic part */
    size_t len;
    bool has_owner; /* the owner the input claims made it (the service's confirmations) */
    sl_safe_addr owner;
} sl_safe_sig_in;

typedef struct sl_safe_tx {
    sl_safe_addr safe, to, gas_token, refund_receiver;
    sl_safe_u256 value, safe_tx_gas, base_gas, gas_price, nonce;
    uint8_t *data; /* owned, may be NULL when data_len is 0 */
    size_t data_len;
    uint8_t operation; /* SL_SAFE_OP_CALL or SL_SAFE_OP_DELEGATECALL */
    bool has_claimed_hash;
    uint8_t claimed_hash[32]; /* the safeTxHash the input states, checked, never trusted */
    bool has_chain_id;        /* the input named its chain ("chainId") */
    uint64_t chain_id;
    int confirmations_required; /* -1 when the input does not say */
    sl_safe_sig_in *sigs;       /* owned */
    size_t nsigs;
    char where[64]; /* JSON path of this transaction in its input, for messages */
} sl_safe_tx;

void sl_safe_tx_free(sl_safe_tx *tx);

typedef struct sl_safe_tx_list {
    sl_safe_tx *tx; /* owned */
    size_t n;
} sl_safe_tx_list;
void sl_safe_tx_list_free(sl_safe_tx_list *l);

/* Parses the transaction service's JSON: one multisig-transaction object, a paginated
 * answer {"results": [...]}, or a bare array of them. Fields: safe, to, value, data,
 * operation, safeTxGas, baseGas (or dataGas), gasPrice, gasToken, refundReceiver, nonce,
 * optional safeTxHash, chainId, confirmationsRequired, confirmations[].{owner,signature},
 * and signatures (the packed form, used when there are no confirmations).
 * Numbers may be JSON integers (below 2^53) or decimal/hex strings.
 * Errors: SL_ECORRUPT with a located message "$.results[0].data: odd number of hex
 * digits"; SL_ENOMEM. On error *out is empty. */
int sl_safe_parse_json(sl_safe_tx_list *out, const char *json, size_t len, sl_error *e) SL_MUST_USE;

typedef struct sl_safe_hashes {
    uint8_t domain[32];       /* EIP-712 domain separator ("domain hash" on a Ledger) */
    uint8_t message[32];      /* hashStruct(SafeTx) ("message hash") */
    uint8_t safe_tx_hash[32]; /* keccak256(0x1901 || domain || message): what owners sign */
} sl_safe_hashes;

/* Computes the three hashes of tx under scheme v (not SL_SAFE_VAUTO; chain_id is used by
 * SL_SAFE_V1_3 only). Returns SL_OK, or SL_EUSAGE for SL_SAFE_VAUTO. */
int sl_safe_hash(sl_safe_hashes *h, const sl_safe_tx *tx, sl_safe_version v, uint64_t chain_id) SL_MUST_USE;

/* ---- signatures ---- */
typedef enum sl_safe_sig_kind {
    SL_SIG_ECDSA,         /* v 27/28: EIP-712 signature of safeTxHash */
    SL_SIG_ETH_SIGN,      /* v 31/32: personal_sign of safeTxHash ("\x19Ethereum Signed Message:\n32") */
    SL_SIG_APPROVED_HASH, /* v 1: owner r called approveHash on chain (or is the executor) */
    SL_SIG_CONTRACT,      /* v 0: EIP-1271 contract signature by address r, not checkable offline */
    SL_SIG_INVALID,       /* anything else, or an ECDSA signature that recovers no key */
} sl_safe_sig_kind;

const char *sl_safe_sig_kind_name(sl_safe_sig_kind k);

typedef struct sl_safe_signer {
    sl_safe_sig_kind kind;
    uint8_t v;
    bool recovered;     /* signer holds an address from ECDSA recovery or from r (v 0/1) */
    sl_safe_addr signer;
    bool has_claimed;   /* the input named an owner for this signature */
    sl_safe_addr claimed;
    char note[160];     /* why a signature is invalid, or what remains to be checked */
} sl_safe_signer;

/* Classifies one 65-byte Safe signature {r, s, v} over safe_tx_hash and recovers its
 * signer (libsecp256k1 recovery module; the address is the last 20 bytes of keccak256 of
 * the uncompressed public key). Never fails: a signature that cannot be recovered is
 * reported as SL_SIG_INVALID with a note. sig must hold at least 65 bytes. */
void sl_safe_sig_recover(sl_safe_signer *out, const uint8_t sig[65], const uint8_t safe_tx_hash[32]);

/* Splits the packed `signatures` field into 65-byte parts as the contract's
 * checkNSignatures reads it: count = len / 65 when no contract signatures point past the
 * static parts. Writes at most cap entries of pointers into sigs; returns the count or -1
 * with a located message when len is not a whole number of static parts. */
int sl_safe_sig_split(const uint8_t **parts, size_t cap, const uint8_t *sigs, size_t len, sl_error *e);

/* ---- calldata ---- */
typedef enum sl_safe_fn {
    SL_FN_NONE = -2,    /* empty calldata: a plain value transfer */
    SL_FN_UNKNOWN = -1, /* a selector not in the table */
    SL_FN_ERC20_TRANSFER = 0,
    SL_FN_ERC20_APPROVE,
    SL_FN_ERC20_TRANSFER_FROM,
    SL_FN_ADD_OWNER,
    SL_FN_REMOVE_OWNER,
    SL_FN_SWAP_OWNER,
    SL_FN_CHANGE_THRESHOLD,
    SL_FN_CHANGE_MASTER_COPY,
    SL_FN_ENABLE_MODULE,
    SL_FN_DISABLE_MODULE,
    SL_FN_SET_FALLBACK_HANDLER,
    SL_FN_SET_GUARD,
    SL_FN_SET_MODULE_GUARD,
    SL_FN_MULTISEND,
    SL_FN_COUNT
} sl_safe_fn;

enum { SL_ABI_ADDRESS, SL_ABI_UINT, SL_ABI_BYTES };

typedef struct sl_safe_fn_info {
    const char *signature; /* "transfer(address,uint256)" */
    uint8_t selector[4];   /* first four bytes of keccak256(signature) */
    uint8_t nargs;
    const char *arg_names[3];
    uint8_t arg_types[3]; /* SL_ABI_* */
    bool admin;           /* changes the Safe's owners, threshold, code, guard, modules or handler */
} sl_safe_fn_info;

/* The known-function table, indexed by sl_safe_fn (SL_FN_COUNT entries). */
const sl_safe_fn_info *sl_safe_fn_table(void);

typedef struct sl_safe_arg {
    uint8_t word[32];     /* the ABI head word (for bytes: the decoded length, big-endian) */
    const uint8_t *bytes; /* SL_ABI_BYTES: the payload, pointing into the calldata */
    size_t len;
} sl_safe_arg;

#define SL_SAFE_MAX_DEPTH 4      /* MultiSend inside MultiSend (by delegatecall) */
#define SL_SAFE_MAX_CALLS 100000 /* sub-calls in one batch; each takes >= 85 bytes anyway */

typedef struct sl_safe_call {
    uint8_t operation;
    sl_safe_addr to;
    sl_safe_u256 value;
    const uint8_t *data; /* points into the buffer given to sl_safe_decode */
    size_t data_len;
    size_t data_off;     /* offset of data in the top-level calldata, for messages */
    int fn;              /* sl_safe_fn */
    sl_safe_arg args[3];
    bool decode_failed;  /* the selector is known but its arguments do not decode */
    char decode_error[160];
    struct sl_safe_call *sub; /* owned: MultiSend's batch */
    size_t nsub;
    int depth;
} sl_safe_call;

/* Decodes calldata for a call (operation, to, value) into root. Known selectors get their
 * arguments checked and decoded (addresses must have 12 zero upper bytes); multiSend's
 * packed batch (op u8 | to 20 | value 32 | len 32 | data) is decoded recursively up to
 * SL_SAFE_MAX_DEPTH. Argument problems are recorded in the call (decode_failed), not
 * returned: hostile calldata is a finding, not an input error. root points into data,
 * which must outlive it. Returns SL_OK or SL_ENOMEM. */
int sl_safe_decode(sl_safe_call *root, uint8_t operation, const sl_safe_addr *to,
                   const sl_safe_u256 *value, const uint8_t *data, size_t len) SL_MUST_USE;
void sl_safe_call_free(sl_safe_call *c);

/* ---- tags (wired to the tag store when it exists) ---- */
typedef enum sl_safe_tag_kind {
    SL_TAG_SANCTIONED, /* OFAC SDN and the like */
    SL_TAG_STOLEN,     /* holds or held proceeds of a listed incident */
    SL_TAG_MIXER,
    SL_TAG_OTHER,
} sl_safe_tag_kind;

typedef struct sl_safe_tag {
    sl_safe_tag_kind kind;
    char label[128];
    char source[128];
} sl_safe_tag;

/* Looks an address up. Returns SL_OK with *out filled when tagged, SL_ENOTFOUND when not,
 * any other code on failure (the verdict then says the check could not be done). */
typedef int (*sl_safe_tag_lookup)(void *ctx, const sl_safe_addr *addr, sl_safe_tag *out);

/* ---- verdict ---- */
typedef enum sl_safe_sev {
    SL_SEV_INFO = 0,
    SL_SEV_LOW,
    SL_SEV_MEDIUM,
    SL_SEV_HIGH,
    SL_SEV_CRITICAL,
} sl_safe_sev;
const char *sl_safe_sev_name(sl_safe_sev s); /* "info" ... "critical" */

typedef struct sl_safe_finding {
    sl_safe_sev sev;
    char rule[32];    /* stable identifier, e.g. "delegatecall-untrusted" */
    char text[640];   /* plain explanation for a signer */
} sl_safe_finding;

typedef struct sl_safe_allow {
    sl_safe_addr addr;
    char name[48];
} sl_safe_allow;

/* The built-in delegatecall allow-list: Safe's MultiSend, MultiSendCallOnly,
 * SignMessageLib and migration contracts (canonical and eip155 deployments). */
const sl_safe_allow *sl_safe_default_allow(size_t *n);

typedef struct sl_safe_opts {
    sl_safe_version version; /* SL_SAFE_VAUTO to infer */
    bool has_chain_id;       /* else the input's chainId, else 1 (Ethereum mainnet) */
    uint64_t chain_id;
    const sl_safe_allow *allow; /* extra delegatecall targets, added to the defaults */
    size_t nallow;
    bool has_current_nonce; /* the Safe's on-chain nonce, for the nonce-gap rule */
    uint64_t current_nonce;
    sl_safe_tag_lookup tag_lookup; /* NULL: no screening */
    void *tag_ctx;
    const char *tag_unavailable; /* set with tag_lookup NULL: why screening did not run */
} sl_safe_opts;

typedef struct sl_safe_report {
    sl_safe_version version;
    bool version_inferred;
    uint64_t chain_id;
    sl_safe_hashes hashes;
    bool claimed_hash_checked, claimed_hash_matches;
    sl_safe_signer *signers; /* owned, one per input signature */
    size_t nsigners;
    /* of those: valid for this transaction (recovered, by the owner the input lists when
     * it lists one, each signer once), invalid, made by someone other than the listed
     * owner, and repeats of a signer already counted */
    size_t sigs_valid, sigs_invalid, sigs_mismatch, sigs_duplicate;
    sl_safe_call call;       /* the decoded top-level call (points into the tx's data) */
    sl_safe_finding *findings; /* owned, most severe first */
    size_t nfindings;
    sl_safe_sev max_sev;
} sl_safe_report;

/* Verifies tx: hashes, signatures, decoding, rules. The report points into tx (calldata)
 * and must be freed before it. Returns SL_OK (findings are in the report, not errors),
 * SL_ENOMEM, or SL_EUSAGE for inconsistent options. */
int sl_safe_verify(sl_safe_report *r, const sl_safe_tx *tx, const sl_safe_opts *o, sl_error *e) SL_MUST_USE;
void sl_safe_report_free(sl_safe_report *r);

/* Appends the signer-facing text (verdict first, then the facts; lines of at most 100
 * columns) or one JSON object on one line. SL_OK or SL_ENOMEM. */
int sl_safe_report_text(sl_buf *out, const sl_safe_report *r, const sl_safe_tx *tx) SL_MUST_USE;
int sl_safe_report_json(sl_buf *out, const sl_safe_report *r, const sl_safe_tx *tx) SL_MUST_USE;
/* The most severe finding over n reports (SL_SEV_INFO when there is none). */
sl_safe_sev sl_safe_worst(const sl_safe_report *r, size_t n);
/* For a file of n transactions (r[i] verifies tx[i]), what goes before their reports: one
 * verdict for the file (the worst), the groups of transactions for the same Safe and nonce
 * (only one of each group can ever execute), and one line per transaction with its
 * verdict and safeTxHash. SL_OK or SL_ENOMEM. */
int sl_safe_summary_text(sl_buf *out, const sl_safe_report *r, const sl_safe_tx *tx, size_t n) SL_MUST_USE;
/* All n reports as one JSON document on one line: {"verdict", "exit_code", "count",
 * "same_nonce": [{"safe", "nonce", "transactions": [index...]}], "transactions": [the
 * objects of sl_safe_report_json]}. SL_OK or SL_ENOMEM. */
int sl_safe_reports_json(sl_buf *out, const sl_safe_report *r, const sl_safe_tx *tx, size_t n) SL_MUST_USE;

/* Process exit status for a verdict: 0 when nothing is above low, 3 when the worst is
 * medium, 2 for high or critical (1 is reserved for bad input and usage). */
int sl_safe_exit_code(sl_safe_sev max);

#endif
