/* xchain.h — crossings found in the chains' own data (issue 12): THORChain memos parsed,
 * the inbound and outbound legs of a THORChain swap matched across chains, DEX swaps seen
 * by their Swap events, and bridges given a deposit/release pairing rule. Every crossing
 * becomes an sl_trace_link (trace.h) the tracing engine follows like a declared one, so
 * `sleuth trace` continues on the destination chain in the destination asset, converted
 * at the swap's own amounts; a crossing whose other leg the store does not hold is a link
 * without an arriving payment, and the trace ends there with the reason "crossed".
 *
 * THORChain memo syntax: ../shared/data/tags/thorchain/THORCHAIN_MEMO_SPEC.md (summary of
 * thornode's x/thorchain/memo); matching rules and decisions: docs/LAUNDERING.md.
 * Files: src/laundering/thormemo.c (parser), src/laundering/xchain.c (matching),
 * src/laundering/bridges.c (bridge rules, their pairing and its cache per store commit),
 * src/laundering/thornames.c (the analyst's THORNames file).
 */
#ifndef SLEUTH_XCHAIN_H
#define SLEUTH_XCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/annot.h"
#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/hashtab.h"
#include "sleuth/trace.h"

/* ---- THORChain memos ---- */
typedef enum sl_thor_type {
    SL_THOR_INVALID = 0,   /* not a THORChain memo */
    SL_THOR_SWAP,          /* swap, s, = (and =< limit swap) */
    SL_THOR_OUT,           /* out */
    SL_THOR_REFUND,        /* refund */
    SL_THOR_ADD,           /* add, a, + */
    SL_THOR_WITHDRAW,      /* withdraw, wd, - */
    SL_THOR_LIMIT_ORDER,   /* limito, lo */
    SL_THOR_DONATE, SL_THOR_RESERVE, SL_THOR_BOND, SL_THOR_UNBOND, SL_THOR_LEAVE,
    SL_THOR_LOAN_OPEN, SL_THOR_LOAN_REPAY, SL_THOR_TRADE_ADD, SL_THOR_TRADE_WITHDRAW,
    SL_THOR_NAME,
    SL_THOR_INTERNAL,      /* migrate, ragnarok, consolidate, noop, yggdrasil+/-, switch: vault moves */
    SL_THOR_OTHER,         /* a function the spec lists that sleuth does not interpret */
} sl_thor_type;

typedef struct sl_thor_memo {
    sl_thor_type type;
    char function[24];     /* as written */
    /* swap: the asset to receive, expanded (e -> ETH.ETH): chain, symbol, contract ("" none) */
    char asset[96], asset_chain[16], asset_symbol[32], asset_contract[48];
    char dest[128];        /* destination address or THORName */
    char refund[128];      /* /REFUNDADDR, "" none */
    char limit[40];        /* LIM as written ("" none) */
    uint32_t interval, quantity; /* streaming swap: /INTERVAL/QUANTITY (0 none) */
    char affiliate[64];
    uint32_t fee_bps;
    char txid[65];         /* out/refund: the inbound txid, lower-case, no 0x */
    char passthrough[64];  /* what followed '|', truncated */
    /* added (issue 12, xchain helper): */
    uint32_t bps;          /* withdraw: basis points (0..10000); 0 otherwise */
    uint8_t n_affiliates;  /* affiliates named (up to 5: `t/dx`); fee_bps is their sum */
    char aggregator[48];   /* swap, aggregator form: the DEX aggregator contract, "" none */
    char final_asset[96];  /* aggregator form: the final token ("" none) */
    char min_out[40];      /* aggregator form: the minimum final amount as written ("" none) */
} sl_thor_memo;

/* Parses memo text (len bytes, need not be NUL-terminated; at most 250 bytes, as
 * THORChain caps them). SL_OK with *m (type may be SL_THOR_OTHER); SL_ECORRUPT when the
 * text is not a THORChain memo or a known function has bad parameters, with the reason in
 * e (m->type SL_THOR_INVALID). Pure function: any thread. */
int sl_thor_memo_parse(const char *memo, size_t len, sl_thor_memo *m, sl_error *e) SL_MUST_USE;
/* The chain (chains.h name: "bitcoin", "ethereum", "avalanche", "bsc", "litecoin", ...) of a
 * THORChain chain prefix ("BTC", "ETH", "AVAX", ...), NULL when sleuth has none. */
const char *sl_thor_chain_name(const char *thor_chain);

/* ---- crossings ---- */
typedef enum sl_xchain_kind {
    SL_XC_THOR_SWAP = 1,   /* inbound with a swap memo -> outbound OUT:<inbound> */
    SL_XC_THOR_REFUND = 2, /* inbound -> refund REFUND:<inbound> on the source chain */
    SL_XC_DEX_SWAP = 3,    /* one asset into a pool, another out, in one tx (Swap event) */
    SL_XC_BRIDGE = 4,      /* a bridge deposit -> its release, by a pairing rule */
} sl_xchain_kind;

typedef struct sl_xchain {
    sl_xchain_kind kind;
    bool matched;            /* the arriving leg is in the store (link.to_flow valid) */
    sl_trace_link link;      /* from/to chain, flow and amount; note says what it is */
    char to_chain_name[16];  /* the destination chain (also when not matched) */
    char memo[256];          /* the inbound memo (THORChain), "" for DEX swaps */
    char out_memo[256];      /* the outbound's memo */
    uint32_t legs;           /* outbound transactions merged (streaming swaps pay several) */
    uint64_t time_in, time_out;
} sl_xchain;

typedef struct sl_xchain_list {
    sl_xchain *v;
    size_t n, cap;
    uint64_t memos_seen, unparsed; /* THORChain-looking memos read, and those that did not parse */
    uint64_t txs_asked;            /* sl_xchain_find_at: distinct transactions examined (summed over calls) */
} sl_xchain_list;

/* ---- bridges: deposit/release pairing rules (docs/LAUNDERING.md "Bridges") ----
 * A rule names a bridge's deposit address on one chain and its release address on an
 * account chain; a payment into the deposit address is paired with the first payment out
 * of the release address, not yet paired, that comes within `window` seconds, is smaller by
 * at most the fee (max_fee_bps of the deposit, converted by the assets' decimals, plus
 * max_fee_units base units of the released asset) and, with same_address, pays the
 * depositor's own address. Deposits are taken in chain order, so the pairing is one to
 * one and the same whatever transactions a trace asks about. */
typedef struct sl_bridge_rule {
    char name[64];
    char file[256];
    uint32_t line;                        /* of the rule in file */
    char from_chain[16], from_address[64], from_asset[48]; /* asset "" = the chain's coin */
    char to_chain[16], to_address[64], to_asset[48];
    uint64_t window_s;                    /* default 3600 */
    uint32_t max_fee_bps;                 /* default 50 (0.5%) */
    sl_u128 max_fee_units;                /* default 0 */
    bool same_address;                    /* default false */
} sl_bridge_rule;
typedef struct sl_bridge_rules {
    sl_bridge_rule *v;
    size_t n, cap;
} sl_bridge_rules;
/* Reads a rules file (YAML, `bridges:` a list; data/bridges/README.md) and appends its
 * rules to *out (on an error, none of the file's). Errors name the file and line:
 * SL_ECORRUPT (a missing, unknown or bad field, a key given twice), SL_EIO (cannot open),
 * SL_ENOMEM. */
int sl_bridge_rules_read(const char *path, sl_bridge_rules *out, sl_error *e) SL_MUST_USE;
/* Every rules file kept in STORE/knowledge/bridges.d (none is fine), in name order. */
int sl_bridge_rules_load(const char *store_dir, sl_bridge_rules *out, sl_error *e) SL_MUST_USE;
/* Whether path looks like a rules file (a top-level `bridges:` line), for `tags import`. */
bool sl_bridge_rules_is_file(const char *path);
/* Validates path and keeps a copy in STORE/knowledge/bridges.d/BASENAME (atomically);
 * *n the rules it holds. Errors of sl_bridge_rules_read, SL_EUSAGE for an empty list. */
int sl_bridge_rules_import(const char *store_dir, const char *path, size_t *n, sl_error *e) SL_MUST_USE;
void sl_bridge_rules_free(sl_bridge_rules *r);
/* The bridge crossings of rules r in fs: every deposit (txs NULL) or only the deposits made
 * by one of txs[0..n) (found through those transactions' flows); appended to *out in chain
 * order as SL_XC_BRIDGE crossings whose links have origin SL_LINK_RULE (matched: the release;
 * unmatched: to_flow SL_FLOW_NONE, to the rule's chain). A rule whose chains, addresses or
 * assets the store does not hold gives none. Deposits: payments to the deposit address (a
 * UTXO chain: outputs paid to it by a tx that spends none of its outputs). Releases: an
 * account chain's payments out of the release address; on a UTXO chain every output, not
 * back to the release address, of a tx spending one of its outputs, in output order
 * (docs/LAUNDERING.md "Bridges"). Errors: SL_EUSAGE (same_address unless both sides are
 * account chains: named with the rule's file and line), SL_ENOMEM. This one pairs every
 * deposit on each call. */
int sl_xchain_bridges(const sl_flow_set *fs, const sl_bridge_rules *r, const sl_tx_ref *txs, size_t n,
                      sl_xchain_list *out, sl_error *e) SL_MUST_USE;
/* The same crossings, with each rule's pairing cached per store commit in
 * STORE/knowledge/bridges.cache/ (a: the annotations of the store fs reads, for the store's
 * folder and commit state): made once for the rule's content
 * and the two chains' committed counts and commit numbers, then read by binary search, so a
 * call costs what the transactions asked about cost, not the bridge's history; rebuilt when
 * the rule or either chain changes (an ingest, a rollback). A store that cannot be written
 * pairs in memory on every call. a NULL: no cache (sl_xchain_bridges). Errors: those of
 * sl_xchain_bridges. Threads: a's. */
int sl_xchain_bridges_cached(const sl_flow_set *fs, sl_annot *a, const sl_bridge_rules *r, const sl_tx_ref *txs,
                             size_t n, sl_xchain_list *out, sl_error *e) SL_MUST_USE;

/* ---- THORNames imported by the analyst (docs/LAUNDERING.md "THORNames") ----
 * A swap memo may name its destination by a THORName (`=:BTC.BTC:myname`); its address on
 * each chain lives in THORChain's state, not on the chains sleuth reads, so the analyst
 * imports the names a case needs: YAML `thornames: [{name, chain, address}]`, chain the
 * THORChain chain prefix (BTC, ETH, ...). */
typedef struct sl_thorname {
    char name[32];     /* lower case (THORNames ignore case) */
    char chain[16];    /* upper case THORChain chain prefix */
    char address[128]; /* as written */
    char file[256];
    uint32_t line;
} sl_thorname;
typedef struct sl_thornames {
    sl_thorname *v;
    size_t n, cap;
} sl_thornames;
/* Whether s is written as a THORName: 1 to 30 letters, digits, '-', '_', '+'. */
bool sl_thorname_syntax(const char *s);
/* Reads a names file and appends its entries to *out (on an error, none of the file's).
 * Errors name the file and line: SL_ECORRUPT (a missing, unknown or bad field, a key given
 * twice, a name given twice for one chain), SL_EIO, SL_ENOMEM. */
int sl_thornames_read(const char *path, sl_thornames *out, sl_error *e) SL_MUST_USE;
/* Every names file kept in STORE/knowledge/thornames.d (none is fine), in file name order. */
int sl_thornames_load(const char *store_dir, sl_thornames *out, sl_error *e) SL_MUST_USE;
/* Whether path looks like a names file (a top-level `thornames:` line), for `tags import`. */
bool sl_thornames_is_file(const char *path);
/* Validates path and keeps a copy in STORE/knowledge/thornames.d/BASENAME (atomically); *n
 * the names it holds. Errors of sl_thornames_read, SL_EUSAGE for an empty list. */
int sl_thornames_import(const char *store_dir, const char *path, size_t *n, sl_error *e) SL_MUST_USE;
/* The entry for name on THORChain chain thor_chain (both case-insensitive), NULL when none;
 * the first file (in name order) naming it wins. Borrowed from t. */
const sl_thorname *sl_thornames_find(const sl_thornames *t, const char *name, const char *thor_chain);
void sl_thornames_free(sl_thornames *t);

/* Finds every crossing in the store: THORChain inbounds (an OP_RETURN swap memo on a
 * Bitcoin-family tx, a router Deposit event, a memo in the input of a tx to a vault) matched
 * to their outbound or refund by the memo's txid, DEX swaps by their Swap events, and bridge
 * deposits paired by the store's rules (sl_bridge_rules_load on a's store). fs and a belong
 * to the same store. Appends to *out. Errors: SL_ENOMEM, the annotation store's, those of
 * the rules (sl_bridge_rules_read, sl_xchain_bridges). */
int sl_xchain_find(const sl_flow_set *fs, sl_annot *a, sl_xchain_list *out, sl_error *e) SL_MUST_USE;
/* The crossings whose departing payment is made by one of txs[0..n) (chain, tx id; repeats
 * are examined once): the THORChain inbound and the DEX swaps each of those transactions
 * carries, read by indexed look-ups only (sl_annot_of_tx per tx, sl_annot_by_ref for the
 * outbound and refund legs naming an inbound), so the cost follows n, not the store. The
 * crossings are those sl_xchain_find gives for the same transactions, with one difference
 * in what is known of vaults: here they are learned from the legs naming the inbound (the
 * outbound that names an inbound is paid by the vault, so its senders are vaults), not
 * from every OUT:/REFUND: memo of the store. The payment chosen can differ only for a
 * Bitcoin-family inbound whose vault output is not its first non-OP_RETURN output and
 * whose vault is seen only in other swaps' outbounds (see docs/LAUNDERING.md). Bridge
 * deposits made by txs follow (sl_xchain_bridges with the store's rules). Appended to
 * *out in the order of txs (inbound legs, then DEX swaps, per tx), then the bridges; out->txs_asked,
 * memos_seen and unparsed grow by what was read. fs and a belong to the same store; a
 * transaction past a chain's committed count or on a chain fs does not hold gives none.
 * Errors: SL_ENOMEM, the annotation store's (SL_ESTORE); *out keeps what was appended
 * before the error (the caller frees it). Threads: those of a (one handle per thread). */
int sl_xchain_find_at(const sl_flow_set *fs, sl_annot *a, const sl_tx_ref *txs, size_t n, sl_xchain_list *out,
                      sl_error *e) SL_MUST_USE;
/* The transactions a trace reached, for sl_xchain_find_at: the source's tx (a tx source),
 * the tx that made each edge's payment (UTXO: the output's tx; accounts: the flow's tx) and
 * each end's (an input end, SL_FLOW_UTXO_IN, has none), each appended to *v (n used, cap
 * allocated; grown with sl_grow, the caller frees *v) unless already in *asked, which
 * records it ((chain, tx) as two uint64_t keys). src and r may be NULL. SL_OK or
 * SL_ENOMEM (what was appended stays). Threads: the caller's, as for fs. */
int sl_xchain_reached(const sl_flow_set *fs, const sl_trace_source *src, const sl_trace_result *r, sl_ht *asked,
                      sl_tx_ref **v, size_t *n, size_t *cap) SL_MUST_USE;
/* The crossings as links for sl_trace_params.links (appended to *links; matched ones with
 * their arriving payment, unmatched ones with to_flow SL_FLOW_NONE). SL_OK or SL_ENOMEM. */
int sl_xchain_links(const sl_xchain_list *l, sl_trace_links *links) SL_MUST_USE;
void sl_xchain_list_free(sl_xchain_list *l);

#endif
