/* chains.h — the registry of the chains one store holds side by side, and the
 * chain-neutral keys that tags, clusters, exposure and cross-chain traces are keyed by:
 * an address is (chain, address id), a transaction or a flow is (chain, id).
 *
 * Chain ids are stable (they are written into keys): 1 is the store's Bitcoin-family
 * chain (one per store, named by its network: bitcoin, testnet, litecoin, ...), 16 and up
 * the account chains in the order below. A store may hold any mix of them. */
#ifndef SLEUTH_CHAINS_H
#define SLEUTH_CHAINS_H

#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/store.h"

typedef enum { SL_MODEL_UTXO = 1, SL_MODEL_ACCOUNT = 2 } sl_chain_model;

typedef struct sl_chain_def {
    uint16_t id;
    const char *name;     /* "btc" for the Bitcoin-family chain, else "ethereum", "tron", ... */
    sl_chain_model model;
} sl_chain_def;

enum { SL_CHAIN_BTC = 1, SL_CHAIN_ETHEREUM = 16 };

/* Every chain sleuth knows (static table; *n gets its length). */
const sl_chain_def *sl_chain_defs(size_t *n);
/* By name ("btc", "bitcoin" or any Bitcoin-family network name give chain 1; account
 * chains by their name) or by id; NULL when unknown. */
const sl_chain_def *sl_chain_by_name(const char *name);
const sl_chain_def *sl_chain_by_id(uint16_t id);

/* The chains that hold at least one block in s, in id order: up to cap stored in out;
 * returns how many there are. Threads: s's. */
size_t sl_store_chains(sl_store *s, const sl_chain_def **out, size_t cap);

/* An address in a store, on any chain. */
typedef struct sl_addr_ref {
    uint16_t chain;
    uint32_t id;     /* the chain's dense address id (Bitcoin: 1.., account chains: 4..) */
} sl_addr_ref;
/* A transaction (or pool, flow) in a store: the chain's dense id, below 2^48. */
typedef struct sl_tx_ref {
    uint16_t chain;
    uint64_t id;
} sl_tx_ref;

/* One 64-bit key for hash tables and sorted files (chain in the high 16 bits). */
static inline uint64_t sl_addr_ref_key(sl_addr_ref r) { return (uint64_t)r.chain << 48 | r.id; }
static inline uint64_t sl_tx_ref_key(sl_tx_ref r) { return (uint64_t)r.chain << 48 | (r.id & 0xffffffffffffULL); }
static inline sl_addr_ref sl_addr_ref_of(uint64_t k) { sl_addr_ref r = {(uint16_t)(k >> 48), (uint32_t)k}; return r; }

/* Resolves an address as written on `chain` (NULL: Bitcoin-family for its address forms
 * and public keys, the account chains' 0x / T forms on the first account chain of the
 * store that knows it) to its key. Errors: SL_EUSAGE (not an address of that chain, in
 * words), SL_ENOTFOUND (valid, never seen in the store). */
int sl_addr_resolve(sl_store *s, const char *chain, const char *text, sl_addr_ref *out, sl_error *e) SL_MUST_USE;
/* The address of r as the chain writes it (Bitcoin: the store's network; Ethereum family:
 * EIP-55; Tron: Base58Check T-address) into out (at least 100 bytes). SL_OK or
 * SL_ENOTFOUND (no such chain or id in s). */
int sl_addr_format(sl_store *s, sl_addr_ref r, char *out, size_t cap) SL_MUST_USE;

#endif
