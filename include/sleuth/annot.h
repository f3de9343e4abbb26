/* annot.h — what ingest keeps beside the flows for laundering analysis (issue 12): the
 * payloads a transaction carries (Bitcoin OP_RETURN outputs — THORChain memos live there —
 * and EVM transaction input that reads as a text memo) and the event logs of the contracts
 * laundering goes through (THORChain router Deposit/TransferOut, Uniswap V2/V3 Swap,
 * Tornado Cash Deposit/Withdrawal; topic table in src/store/annot_parse.c, sources in
 * docs/LAUNDERING.md). Everything else a log says is already a flow or is not kept.
 *
 * Where: STORE/annot.db, SQLite (rollback journal: a WAL reader would leave files in the
 * store; src/store/annot.c), one table keyed by (chain, tx id, kind, index) with
 * an index on `ref` (the inbound txid an OUT:/REFUND: memo names: how the legs of a
 * THORChain swap find each other) and on (kind, event). Decision (docs/DECISIONS.md):
 * SQLite rather than a new column family, because rows are few (a known contract's events,
 * OP_RETURN outputs: a fraction of a percent of transactions on Bitcoin, ~2% counting every
 * OP_RETURN) and they are read by key, never walked in the tracer's hot loop.
 *
 * Consistency with the store: ingest writes a block's rows in the annotation transaction
 * that is committed *before* the store's own commit of the same batch, keyed by the tx ids
 * the store gives. A kill between the two leaves rows past the store's committed counts:
 * readers never see them (sl_annot_open takes the committed tx count of every chain from
 * the store handle and filters), and the next writer deletes them before it appends
 * (sl_annot_cut). A rollback cuts the rows of the removed transactions in the same way.
 * A store ingested before this existed has no annot.db: every reader treats that as "no
 * annotations" and `sleuth info` says to re-ingest (docs/LAUNDERING.md).
 *
 * Threads: one handle per thread, like the store's. Ownership: row pointers passed to a
 * callback are valid during the call only.
 */
#ifndef SLEUTH_ANNOT_H
#define SLEUTH_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"
#include "sleuth/store.h"

typedef struct sl_annot sl_annot;

/* What a row is (stable numbers: stored). */
enum {
    SL_ANNOT_OPRETURN = 1, /* Bitcoin family: the payload of an OP_RETURN output (idx = vout) */
    SL_ANNOT_INPUT = 2,    /* EVM: the tx input, kept when it reads as a text memo (printable
                            * ASCII, 1..250 bytes: THORChain's memo in calldata), idx 0 */
    SL_ANNOT_EVENT = 3,    /* EVM: a log of a known event (idx = log index in the block) */
};

/* The known events (stable numbers: stored). */
enum {
    SL_EV_NONE = 0,
    SL_EV_THOR_DEPOSIT = 1,      /* THORChain router Deposit(address indexed to, address indexed asset,
                                  * uint amount, string memo) */
    SL_EV_THOR_TRANSFER_OUT = 2, /* TransferOut(address indexed vault, address indexed to, address asset,
                                  * uint amount, string memo) */
    SL_EV_UNI_V2_SWAP = 3,       /* Swap(address indexed sender, uint amount0In, uint amount1In,
                                  * uint amount0Out, uint amount1Out, address indexed to) */
    SL_EV_UNI_V3_SWAP = 4,       /* Swap(address indexed sender, address indexed recipient, int256 amount0,
                                  * int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick) */
    SL_EV_TC_DEPOSIT = 5,        /* Tornado Cash Deposit(bytes32 indexed commitment, uint32 leafIndex,
                                  * uint256 timestamp) */
    SL_EV_TC_WITHDRAWAL = 6,     /* Withdrawal(address to, bytes32 nullifierHash, address indexed relayer,
                                  * uint256 fee) */
    SL_EV_THOR_TRANSFER_OUT_CALL = 7, /* TransferOutAndCall (aggregator swap-out) */
    SL_EV_THOR_TRANSFER_OUT_CALL_V5 = 8, /* TransferOutAndCallV5(address indexed vault, address target,
                                  * uint amount, address finalAsset, address indexed to, uint256
                                  * amountOutMin, string memo, bytes payload, string originAddress) */
    SL_EV_COUNT
};

/* One row. */
typedef struct sl_annot_row {
    uint16_t chain;          /* chains.h id */
    uint8_t kind;            /* SL_ANNOT_* */
    uint8_t event;           /* SL_EV_* (events), else 0 */
    uint64_t tx;             /* the chain's tx id (flow.h) */
    uint32_t idx;            /* vout, log index, 0 */
    uint8_t contract[20];    /* events: the emitting contract */
    uint8_t n_topics;        /* events: topics[0..n_topics) */
    uint8_t topics[4][32];
    const uint8_t *data;     /* the payload (OP_RETURN pushes concatenated, input bytes, log data) */
    size_t len;
    const char *text;        /* the memo as text, NUL-terminated ("" when none): an OP_RETURN or
                              * input that is printable ASCII, or the string memo of a THORChain
                              * router event (ABI-decoded) */
    char ref[65];            /* an OUT:/REFUND: memo's inbound txid, lower-case hex without 0x;
                              * "" otherwise */
    uint8_t gas_price[16];   /* EVM: the tx's gas price (effective), u128 little-endian; 0 unknown */
} sl_annot_row;

/* Opens the annotations of store s. With a writer store handle (SL_STORE_WRITE) the file
 * is created when missing and rows past the store's committed counts are deleted; a
 * reader handle opens it read-only and SL_ENOTFOUND means the store has none (ingested
 * before annotations existed, or nothing with annotations ingested). The handle keeps the
 * committed tx count of every chain of s at open (or last sl_annot_snapshot) and returns no
 * row past it. Errors: SL_ENOTFOUND, SL_EIO, SL_ESTORE (SQLite's message), SL_ENOMEM. */
int sl_annot_open(sl_annot **a, sl_store *s, sl_error *e) SL_MUST_USE;
void sl_annot_close(sl_annot *a);
/* The folder of the store a was opened on (for the knowledge kept beside it). */
const char *sl_annot_store_dir(const sl_annot *a);
/* The store handle a was opened on (borrowed: valid while a is open). */
sl_store *sl_annot_store(const sl_annot *a);
/* Takes the store's committed counts again (after sl_store_snapshot of s). */
int sl_annot_snapshot(sl_annot *a, sl_error *e) SL_MUST_USE;

/* ---- writing (ingest) ---- */
int sl_annot_begin(sl_annot *a, sl_error *e) SL_MUST_USE;
/* Adds a row (text and ref are derived here from data when the caller leaves them empty). */
int sl_annot_put(sl_annot *a, const sl_annot_row *r, sl_error *e) SL_MUST_USE;
int sl_annot_commit(sl_annot *a, sl_error *e) SL_MUST_USE;
void sl_annot_abort(sl_annot *a);
/* Deletes every row of chain with tx id >= first_tx (rollback; a crashed batch). */
int sl_annot_cut(sl_annot *a, uint16_t chain, uint64_t first_tx, sl_error *e) SL_MUST_USE;
/* The known event of a log by its first topic, SL_EV_NONE when not known. */
int sl_annot_event_of(const uint8_t topic0[32]);
/* "thorchain-deposit", "thorchain-transfer-out", "uniswap-v2-swap", ... */
const char *sl_annot_event_name(int event);

/* ---- reading; fn returns non-zero to stop (that value is returned) ---- */
/* Many look-ups in a row (sl_xchain_find_at): a read handle takes SQLite's shared lock once
 * for all of them instead of once a query (each costs a lock and a stat of the file:
 * ~25 us). Until sl_annot_read_end (or sl_annot_close) the handle holds that lock, which
 * keeps a writer of annot.db waiting (the store's own lock already does while a reader
 * runs). *began says whether this call began one (false on a writer handle or when already
 * in a batch: then there is nothing for this caller to end). Errors: SL_ESTORE. */
int sl_annot_read_begin(sl_annot *a, bool *began, sl_error *e) SL_MUST_USE;
/* Ends the batch of sl_annot_read_begin (no-op without one; a NULL handle is accepted). */
void sl_annot_read_end(sl_annot *a);
typedef int (*sl_annot_fn)(void *ctx, const sl_annot_row *r);
/* Every row of one transaction, by kind then index. */
int sl_annot_of_tx(sl_annot *a, uint16_t chain, uint64_t tx, sl_annot_fn fn, void *ctx, sl_error *e);
/* Every row of a kind (0: any) and event (0: any) on chain (0: every chain), in (chain, tx,
 * idx) order. */
int sl_annot_each(sl_annot *a, uint16_t chain, int kind, int event, sl_annot_fn fn, void *ctx, sl_error *e);
/* Every row whose ref is txid (64 hex digits, any case, with or without 0x): the outbound
 * and refund legs that name an inbound transaction. */
int sl_annot_by_ref(sl_annot *a, const char *txid, sl_annot_fn fn, void *ctx, sl_error *e);
/* Rows per kind, for `sleuth info`. */
int sl_annot_count(sl_annot *a, uint64_t counts[4], sl_error *e) SL_MUST_USE;

/* ---- helpers (added by the implementation; pure functions, any thread) ---- */
/* counts[] of sl_annot_count: [SL_ANNOT_OPRETURN], [SL_ANNOT_INPUT], [SL_ANNOT_EVENT] hold
 * the visible rows of each kind, counts[0] their sum. */
/* The data word holding a THORChain router event's memo offset (Deposit 1, TransferOut 2,
 * TransferOutAndCall 5, TransferOutAndCallV5 4); -1 for the other events. */
int sl_annot_event_memo_word(int event);
/* Whom a THORChain router outbound event says the router paid: TransferOut's `to` (topic 2),
 * TransferOutAndCall's and TransferOutAndCallV5's aggregator `target` (data word 0, which
 * swaps and pays the user in the same tx). Copies the 20 bytes into payee and returns true;
 * false for other events or when the topic or word is missing (short hostile logs). */
bool sl_annot_router_payee(const sl_annot_row *r, uint8_t payee[20]);
/* "op_return", "input", "event". */
const char *sl_annot_kind_name(int kind);
/* True when p[0..n) is 1 or more bytes of printable ASCII (0x20..0x7e). */
bool sl_annot_printable(const uint8_t *p, size_t n);
/* The ABI-encoded `string`/`bytes` whose offset is data word `word` (32-byte words from 0):
 * *s points into data, *n its length. False when the offset or length word does not fit
 * or runs past len (hostile log data is refused, never read out of bounds). */
bool sl_annot_abi_string(const uint8_t *data, size_t len, size_t word, const uint8_t **s, size_t *n);
/* The payload of a Bitcoin OP_RETURN output: *is says whether script[0..n) starts with
 * OP_RETURN; the bytes of its data pushes (OP_0 and OP_1..OP_16 carry none) are
 * concatenated into out (room for n bytes) up to the first non-push opcode or truncated
 * push. Returns the payload's length. */
size_t sl_annot_op_return(const uint8_t *script, size_t n, uint8_t *out, bool *is);
/* The ref of a memo (NUL-terminated): for "OUT:" or "REFUND:" (any case) followed by
 * exactly 64 hex digits (0x allowed), those digits in lower case; else "". */
void sl_annot_ref_of(char ref[65], const char *memo);

#endif
