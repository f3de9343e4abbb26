/* flow.h — the chain-neutral flow view the analysis reads (DESIGN.md, "Architecture"):
 * every chain of a store seen as pools that hold value and flows that move it, so one
 * tracing engine (trace.h) and one set of reports (report.h) serve every chain.
 *
 * Model. A *pool* holds value for a while and pays it out. On a UTXO chain (the
 * Bitcoin family) a pool is a transaction: it takes all its inputs and pays all its
 * outputs at once. On an account chain (the Ethereum family, Tron) a pool is an account's
 * balance in one asset: deposits and withdrawals over time. A *flow* (a payment) moves an
 * amount of one asset out of a pool to an address at a time, made by a transaction:
 * an output on a UTXO chain, a native, internal or token transfer on an account chain.
 *
 * Ids. Every id here is chain-local and dense, and is named together with its chain id
 * (include/sleuth/chains.h) wherever it leaves a view: (chain, address id) is the
 * sl_addr_ref of chains.h, (chain, asset id) an sl_asset_ref. Flow ids:
 *   UTXO      SL_FLOW_UTXO(tx, vout): the output's tx id and index in one 64-bit id, so a
 *             flow names its transaction without a search (an input, where a backward
 *             trace ends at one, is SL_FLOW_UTXO_IN(tx, vin)).
 *   accounts  the store's flow id (chain order: block, tx, position in the tx).
 * A transaction's payments are consecutive flow ids: first, first + 1, ... (tx_flows).
 *
 * Amounts are exact integers in base units (satoshi, wei, token units): sl_u128, which
 * holds every Bitcoin amount and nearly every account-chain one; a flow whose amount does
 * not fit 128 bits says so (sl_flow.big) and its exact 256-bit value is one call away
 * (flow_exact), so nothing is ever silently truncated. Times are unix seconds, 0 unknown.
 *
 * A backend is a table of functions (sl_flow_methods), the way SQLite's
 * sqlite3_io_methods is written: an sl_flow_view starts with a pointer to its table and
 * the backend keeps its state after it. Two backends exist: src/flow/btc.c (UTXO) and
 * src/flow/acct.c (accounts). They are the only code of the analysis that reads the
 * store. An sl_flow_set holds a view for every chain a store holds (src/flow/set.c).
 *
 * Ownership and threads: a view belongs to its set and reads through the set's store
 * handle; it is valid until sl_flow_set_close, and follows the store handle's thread rule
 * (one thread at a time). Nothing a view returns needs freeing except sl_flow_ids lists.
 */
#ifndef SLEUTH_FLOW_H
#define SLEUTH_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/chains.h"
#include "sleuth/err.h"
#include "sleuth/eth.h"

typedef unsigned __int128 sl_u128;

/* "no such id" for tx, flow and pool ids. */
#define SL_FLOW_NONE UINT64_MAX

/* UTXO flow ids: an output (or, with SL_FLOW_UTXO_INPUT set, an input) as (tx, index). */
#define SL_FLOW_UTXO_INPUT ((uint64_t)1 << 63)
#define SL_FLOW_UTXO(tx, vout) ((uint64_t)(tx) << 24 | (uint64_t)(vout))
#define SL_FLOW_UTXO_IN(tx, vin) (SL_FLOW_UTXO_INPUT | SL_FLOW_UTXO(tx, vin))
#define SL_FLOW_UTXO_TX(f) (((f) & ~SL_FLOW_UTXO_INPUT) >> 24)
#define SL_FLOW_UTXO_IDX(f) ((uint32_t)((f) & 0xffffff))

/* Longest name a view writes (a bech32 p2wsh address is 62 characters, a 0x hash 66). */
#define SL_FLOW_NAME_MAX 100

/* An asset on a chain: (chain, asset id); asset 0 is the chain's own coin. */
typedef struct sl_asset_ref {
    uint16_t chain;
    uint32_t id;
} sl_asset_ref;

/* Where a payment cannot be followed further. */
enum {
    SL_FLOW_SINK_NONE = 0,
    SL_FLOW_SINK_FEE = 1,          /* accounts: to the burn or fee-recipient sink: a fee */
    SL_FLOW_SINK_UNSPENDABLE = 2,  /* UTXO: OP_RETURN or another unspendable output: burnt */
};
/* Where a payment's value came from when not from an address. */
enum {
    SL_FLOW_ORIGIN_ADDR = 0,       /* from the address `from` */
    SL_FLOW_ORIGIN_MINTED = 1,     /* newly minted: a block reward, a withdrawal to the chain */
    SL_FLOW_ORIGIN_UNKNOWN = 2,    /* the sender is not known to the store */
};

/* One payment. */
typedef struct sl_flow {
    uint64_t id;          /* its flow id (above) */
    uint64_t tx;          /* the tx that made it; SL_FLOW_NONE for a block-level flow (a reward) */
    uint32_t from, to;    /* address ids, 0 = none: a UTXO output has no single sender (from 0),
                           * and an output whose script has no address has to 0 */
    uint32_t asset;       /* asset id on the view's chain */
    uint8_t sink;         /* SL_FLOW_SINK_* */
    uint8_t origin;       /* SL_FLOW_ORIGIN_* */
    bool fee;             /* the tx's fee or its burnt part, not value the tx moved (accounts) */
    bool big;             /* the amount does not fit 128 bits: amount holds its low 128 bits */
    sl_u128 amount;       /* base units */
    uint64_t time;        /* of its block; 0 unknown */
} sl_flow;

/* How an asset is written. */
typedef struct sl_flow_asset {
    char symbol[48];      /* "BTC", "ETH", "USDT", or the token contract when not bundled */
    int decimals;         /* -1: unknown (a token outside the bundled list: base units only) */
    bool fixed;           /* print every decimal ("50.00000000 BTC"), else drop trailing zeros */
} sl_flow_asset;

/* A UTXO pool: one transaction. Inputs are numbered first_in .. first_in + n_in - 1 and
 * outputs first_out .. first_out + n_out - 1 in the chain's global numbering. */
typedef struct sl_utxo_pool {
    uint64_t tx, first_in, first_out;
    uint32_t n_in, n_out;
    bool coinbase;        /* its value was minted (it has no spent inputs) */
} sl_utxo_pool;

/* A growable list of flow ids (sl_malloc'd; free with sl_flow_ids_free). */
typedef struct sl_flow_ids {
    uint64_t *v;
    size_t n, cap;
} sl_flow_ids;
int sl_flow_ids_push(sl_flow_ids *l, uint64_t id) SL_MUST_USE; /* SL_OK or SL_ENOMEM */
void sl_flow_ids_free(sl_flow_ids *l);

typedef struct sl_flow_view sl_flow_view;

/* The read operations of a backend. Every function takes the view it was called
 * through; none allocates unless it says so, none writes the store. Ids passed in must
 * be ids the same view gave out (a flow, tx or address id of another chain is a caller
 * error with undefined results); texts come from users and are checked. */
typedef struct sl_flow_methods {
    /* ---- naming and resolving: every chain ---- */

    /* The tx written as text (a txid, or on account chains a 0x hash; Tron's without 0x
     * too) to its id in *tx. SL_OK; SL_EUSAGE when text is not written as this chain
     * writes a tx hash; SL_ENOTFOUND when the chain does not hold it. A txid repeated by
     * BIP-30 gives its newest tx. */
    int (*tx_find)(const sl_flow_view *v, const char *text, uint64_t *tx);
    /* tx as the chain writes it (txid hex; 0x hash; Tron hash) into out. */
    void (*tx_name)(const sl_flow_view *v, uint64_t tx, char out[SL_FLOW_NAME_MAX]);
    /* The time of tx's block (0 unknown). */
    uint64_t (*tx_time)(const sl_flow_view *v, uint64_t tx);
    /* The address written as text to its id in *addr. SL_OK; SL_EUSAGE (not an address
     * of this chain: e says why, e.g. a checksum typo or another network's address);
     * SL_ENOTFOUND (valid, but never seen on this chain). */
    int (*addr_find)(const sl_flow_view *v, const char *text, uint32_t *addr, sl_error *e);
    /* Address id as the chain writes it into out; "(no address)" for 0; account chains
     * name their sinks "burn", "fees", "mint". */
    void (*addr_name)(const sl_flow_view *v, uint32_t addr, char out[SL_FLOW_NAME_MAX]);
    /* The asset named text ("BTC", "ETH", "native", a bundled token's symbol, a token
     * contract), case-insensitive, to its id. SL_OK or SL_ENOTFOUND. */
    int (*asset_find)(const sl_flow_view *v, const char *text, uint32_t *asset);
    /* How asset is written (symbol, decimals). */
    void (*asset_info)(const sl_flow_view *v, uint32_t asset, sl_flow_asset *a);

    /* ---- payments: every chain ---- */

    /* The payments tx makes: flow ids first .. first + n - 1 (UTXO: its outputs; accounts:
     * its flows, numbered as `sleuth tx` numbers them). */
    void (*tx_flows)(const sl_flow_view *v, uint64_t tx, uint64_t *first, uint32_t *n);
    /* The payment with flow id `flow` into *f. A UTXO input id (SL_FLOW_UTXO_IN) gives the
     * output that input spends as far as the store knows it (amount 0 and origin
     * SL_FLOW_ORIGIN_MINTED for a coinbase input, origin UNKNOWN when it is not stored),
     * with the id and tx of the input itself. */
    void (*flow_get)(const sl_flow_view *v, uint64_t flow, sl_flow *f);
    /* Just the sender and receiver of a flow (what flow_get says as from and to), for the
     * tracer's loops that need nothing else: cheaper than flow_get. */
    void (*flow_parties)(const sl_flow_view *v, uint64_t flow, uint32_t *from, uint32_t *to);
    /* The flow's number in its tx (the vout; the flow number `sleuth tx` shows), UINT32_MAX
     * for a block-level flow. */
    uint32_t (*flow_index)(const sl_flow_view *v, uint64_t flow);
    /* The exact amount of a flow (any size). SL_OK. */
    int (*flow_exact)(const sl_flow_view *v, uint64_t flow, sl_u256 *amount);
    /* What address addr received in asset from time `since` on (0: all): appended to
     * *out as flow ids, ascending (UTXO: every output paid to it; accounts: every flow to
     * it from another address). Allocates through *out: SL_OK or SL_ENOMEM. */
    int (*addr_received)(const sl_flow_view *v, uint32_t addr, uint32_t asset, uint64_t since, sl_flow_ids *out);

    /* ---- UTXO pools (NULL on account chains); the tracer's hot loop ---- */

    /* The pool that is tx. */
    void (*utxo_pool)(const sl_flow_view *v, uint64_t tx, sl_utxo_pool *p);
    /* Output number `out` (global numbering): its value, address id (0 none) and whether
     * it can never be spent (OP_RETURN). */
    void (*utxo_out)(const sl_flow_view *v, uint64_t out, uint64_t *value, uint32_t *addr, bool *unspendable);
    /* Input number `in`: the value of the output it spends (UINT64_MAX: a coinbase input,
     * or an output the store does not hold) and that output's address id in *addr. */
    uint64_t (*utxo_in_value)(const sl_flow_view *v, uint64_t in, uint32_t *addr);
    /* Where output `out` (output vout of tx `tx`) went: SL_OK with the spending tx and the
     * input's index in it, or SL_ENOTFOUND while it is unspent as far as the store knows. */
    int (*utxo_spender)(const sl_flow_view *v, uint64_t tx, uint32_t vout, uint64_t out, uint64_t *stx, uint32_t *vin);
    /* Where input `in` came from: SL_OK with the output it spends as its tx, its index in
     * that tx and its global number; SL_ENOTFOUND for a coinbase input or an output the
     * store does not hold. */
    int (*utxo_origin)(const sl_flow_view *v, uint64_t in, uint64_t *tx, uint32_t *vout, uint64_t *out);

    /* ---- account pools (NULL on UTXO chains) ---- */

    /* The pool (acct, asset): the flow ids of every flow to or from acct in asset whose
     * id is below `before` (SL_FLOW_NONE: all), ascending, self-transfers left out (they
     * move nothing). Appended to *out: SL_OK or SL_ENOMEM. */
    int (*acct_history)(const sl_flow_view *v, uint32_t acct, uint32_t asset, uint64_t before, sl_flow_ids *out);
} sl_flow_methods;

/* A view: its methods, then the backend's own state. */
struct sl_flow_view {
    const sl_flow_methods *m;
    uint16_t chain;             /* chain id (chains.h) */
    sl_chain_model model;       /* SL_MODEL_UTXO or SL_MODEL_ACCOUNT */
    const char *name;           /* as `ingest` names it: "bitcoin", "litecoin", "ethereum", "tron", ... */
};

/* The backends. Each opens the view of its chain in s when s holds blocks of it:
 * SL_OK with *v (owned by the caller: sl_flow_view_close), SL_ENOTFOUND when the store
 * holds none, SL_ENOMEM, or the store's error. */
int sl_flow_btc_open(sl_store *s, sl_flow_view **v, sl_error *e) SL_MUST_USE;
int sl_flow_acct_open(sl_store *s, const char *chain, sl_flow_view **v, sl_error *e) SL_MUST_USE;
void sl_flow_view_close(sl_flow_view *v);

/* Every chain of a store as views, in chain-id order. */
typedef struct sl_flow_set sl_flow_set;
/* Opens a view for each chain s holds (none is fine). The set borrows s (keep it open
 * until sl_flow_set_close). SL_OK, SL_ENOMEM or the store's error. */
int sl_flow_set_open(sl_flow_set **fs, sl_store *s, sl_error *e) SL_MUST_USE;
void sl_flow_set_close(sl_flow_set *fs);
size_t sl_flow_set_count(const sl_flow_set *fs);
const sl_flow_view *sl_flow_set_at(const sl_flow_set *fs, size_t i);
/* The view of chain id `chain`, or NULL when the store holds none of it. */
const sl_flow_view *sl_flow_set_chain(const sl_flow_set *fs, uint16_t chain);
/* The view a user names ("bitcoin", "btc", a Bitcoin-family network name, "litecoin",
 * "ethereum", "tron", ...): SL_OK with *v; SL_EUSAGE for a name no chain has; SL_ENOTFOUND
 * when the store holds none of that chain (or a Bitcoin-family chain of another family). */
int sl_flow_set_find(const sl_flow_set *fs, const char *name, const sl_flow_view **v, sl_error *e) SL_MUST_USE;

/* The label of an amount in the asset's unit, into out: "50.00000000 BTC", "1000 USDT",
 * or "N base units of SYM" when the decimals are unknown; with_symbol false leaves the
 * symbol out ("1000"). */
void sl_flow_amount_str(char *out, size_t cap, const sl_flow_asset *a, sl_u128 amount, bool with_symbol);
/* The address a UTXO tx paid from: its largest input's (0: none, e.g. a coinbase; 0 on
 * account chains). For flows whose paying tx the taint did not come through. */
uint32_t sl_flow_utxo_payer(const sl_flow_view *v, uint64_t tx);
/* Decimal digits of v into out (at least 40 bytes). */
void sl_u128_dec(char out[40], sl_u128 v);

#endif
