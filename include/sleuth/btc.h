/* btc.h — Bitcoin-style chains: consensus deserialization of blocks and transactions
 * (every block version, segwit BIP-141/144 with witnesses), txid/wtxid, header hash,
 * merkle-root and witness-commitment checks, proof of work against nBits, script
 * classification and standard address encodings, per network.
 *
 * The parser never touches the store: bytes in, typed records out. A parsed block points
 * into the caller's bytes (scripts are not copied) and its arrays are owned by the
 * sl_btc_block, reused from one parse to the next (no allocation in steady state).
 */
#ifndef SLEUTH_BTC_H
#define SLEUTH_BTC_H

#include <stdbool.h>
#include <stdint.h>

#include "sleuth/crypto.h"
#include "sleuth/err.h"

/* ---- networks ---- */
typedef struct sl_btc_net {
    const char *name;     /* "bitcoin", "testnet", "regtest", "signet", "litecoin-regtest" */
    uint8_t magic[4];     /* blk*.dat / P2P message start */
    uint8_t p2pkh, p2sh;  /* Base58Check version bytes */
    const char *hrp;      /* bech32 human-readable part */
    uint8_t pow_limit[32];/* big-endian highest target allowed */
    int pow_scrypt;       /* Litecoin: proof of work is scrypt(header), not SHA-256d */
} sl_btc_net;

const sl_btc_net *sl_btc_net_by_name(const char *name);  /* NULL if unknown */
const sl_btc_net *sl_btc_net_default(void);               /* bitcoin mainnet */

/* ---- script types (values are stored on disk: append only) ---- */
/* The largest valid serialized block: a block's weight (3 x base size + total size) is at
 * most 4,000,000 (BIP-141), so its total size is at most 4,000,000 bytes. Raw block files
 * (.bin, .hex, .zst) are refused once they decode past this bound. */
#define SL_BTC_MAX_BLOCK_SIZE 4000000u

#define SL_SCRIPT_TYPES(X)          \
    X(NONSTANDARD, 0, "nonstandard") \
    X(P2PK, 1, "p2pk")              \
    X(P2PKH, 2, "p2pkh")            \
    X(P2SH, 3, "p2sh")              \
    X(P2WPKH, 4, "p2wpkh")          \
    X(P2WSH, 5, "p2wsh")            \
    X(P2TR, 6, "p2tr")              \
    X(MULTISIG, 7, "multisig")      \
    X(OP_RETURN, 8, "op_return")    \
    X(WITNESS_UNKNOWN, 9, "witness_unknown")

typedef enum {
#define SL_X(n, v, s) SL_SCRIPT_##n = v,
    SL_SCRIPT_TYPES(SL_X)
#undef SL_X
} sl_script_type;
const char *sl_script_type_name(int t);

/* An address in canonical binary form: the kind of address (p2pkh, p2sh, or a witness
 * version) and its payload. A p2pk output's address is the p2pkh address of its key, so
 * both forms of one key share an owner. */
typedef struct sl_btc_addr {
    uint8_t kind;     /* SL_ADDR_* */
    uint8_t len;      /* payload bytes: 20, 32, or 2..40 for unknown witness versions */
    uint8_t prog[40];
} sl_btc_addr;
enum { SL_ADDR_NONE = 0, SL_ADDR_P2PKH = 1, SL_ADDR_P2SH = 2, SL_ADDR_WIT0 = 16 /* + version */ };

/* Classifies a scriptPubKey; fills *a (kind NONE when the script has no address). */
sl_script_type sl_btc_script_classify(const uint8_t *s, size_t n, sl_btc_addr *a);
/* Encodes an address for a network; out needs 100 bytes. False for kind NONE. */
bool sl_btc_addr_encode(char *out, const sl_btc_net *net, const sl_btc_addr *a);
/* Parses a p2pkh/p2sh/segwit address of this network, or a hex public key (33/65 bytes,
 * mapped to its p2pkh address). Returns false when it is none of those. */
bool sl_btc_addr_decode(sl_btc_addr *a, const sl_btc_net *net, const char *s);
/* Why s did not decode on net, in words for the user: a wrong Base58Check or bech32
 * checksum (a typo), another network's address (and which), or not an address at all. */
void sl_btc_addr_explain(char *out, size_t cap, const sl_btc_net *net, const char *s);
/* The address's type name: p2pkh, p2sh, p2wpkh, p2wsh, p2tr, witness_unknown. */
const char *sl_btc_addr_type(const sl_btc_addr *a);

/* ---- parsed block ---- */
typedef struct sl_btc_header {
    uint32_t version;
    sl_hash256 prev, merkle;
    uint32_t time, bits, nonce;
} sl_btc_header;

typedef struct sl_btc_txin {
    sl_hash256 prev_txid;
    uint32_t prev_vout, sequence;
    const uint8_t *script_sig;
    uint32_t script_len;
    uint32_t witness_items;
} sl_btc_txin;

typedef struct sl_btc_txout {
    uint64_t value;
    const uint8_t *script;
    uint32_t script_len;
} sl_btc_txout;

typedef struct sl_btc_tx {
    sl_hash256 txid, wtxid;
    uint32_t version, locktime;
    uint32_t size, weight;      /* size in bytes; weight per BIP-141 (vsize = ceil(w/4)) */
    uint32_t n_in, n_out;
    uint32_t first_in, first_out; /* indexes into the block's in[] and out[] */
    uint32_t offset;            /* byte offset of the tx within the block */
    bool segwit;
} sl_btc_tx;

typedef struct sl_btc_block {
    sl_btc_header hdr;
    sl_hash256 hash;
    uint32_t size, weight;
    uint32_t n_tx, n_in, n_out;
    sl_btc_tx *tx;
    sl_btc_txin *in;
    sl_btc_txout *out;
    int64_t bip34_height;       /* height from the coinbase (BIP-34), -1 when absent */
    /* private: capacities */
    size_t cap_tx, cap_in, cap_out, cap_scratch, cap_spends;
    sl_hash256 *scratch;
    void *spends;               /* outpoint sort keys (SL_BTC_CHECK_SPENDS) */
} sl_btc_block;

enum {
    SL_BTC_CHECK_MERKLE = 1,   /* merkle root (and mutation), witness commitment */
    SL_BTC_CHECK_POW = 2,      /* header hash against nBits and the network's limit */
    SL_BTC_TXID_ONLY = 4,      /* skip segwit wtxids (zeroed) unless CHECK_MERKLE needs them */
    SL_BTC_CHECK_SPENDS = 8,   /* no output is spent twice within the block (consensus) */
    SL_BTC_CHECK_ALL = SL_BTC_CHECK_MERKLE | SL_BTC_CHECK_POW | SL_BTC_CHECK_SPENDS,
};

/* Parses one block from exactly len bytes, with the checks asked for. Errors:
 * SL_ECORRUPT with the byte offset within the block and what was wrong ("truncated",
 * "merkle root mismatch", "spends output X twice", ...), SL_ENOMEM. On error the block's
 * contents are unspecified. A spend of an output already spent by an earlier block is
 * not visible here: the store refuses it when the block is added. */
int sl_btc_block_parse(sl_btc_block *b, const uint8_t *p, size_t len, const sl_btc_net *net, unsigned checks,
                       sl_error *e) SL_MUST_USE;
void sl_btc_block_free(sl_btc_block *b);

/* Parses a standalone transaction that must fill exactly len bytes into b as a
 * pseudo-block of one tx (no header checks). */
int sl_btc_tx_parse(sl_btc_block *b, const uint8_t *p, size_t len, sl_error *e) SL_MUST_USE;

/* Header hash of 80 bytes; target from nBits (big-endian 32 bytes; false if negative or
 * overflowing); work = 2^256 / (target+1) as a 128-bit integer (saturating). */
void sl_btc_header_hash(sl_hash256 *h, const uint8_t hdr80[80]);
bool sl_btc_bits_target(uint8_t target_be[32], uint32_t bits);
unsigned __int128 sl_btc_bits_work(uint32_t bits);
/* Checks PoW of an 80-byte header on a network. */
bool sl_btc_check_pow(const uint8_t hdr80[80], const sl_hash256 *hash, const sl_btc_net *net);

/* Hash printed as Bitcoin does (byte-reversed hex, 64 chars + NUL). */
void sl_hash_hex(char out[65], const sl_hash256 *h);
bool sl_hash_parse(sl_hash256 *h, const char *hex);

/* The merkle root of n >= 1 hashes (txids or wtxids, internal byte order), computed in
 * place: h is overwritten (it is the scratch). *mutated is set when a level pairs two equal
 * hashes (the CVE-2012-2459 mutation). Pure function: any thread. */
void sl_btc_merkle_root(sl_hash256 *root, sl_hash256 *h, uint32_t n, bool *mutated);

#endif
