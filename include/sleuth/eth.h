/* eth.h — the parser layer for Ethereum-style chains (Ethereum, BSC, Polygon, Avalanche
 * C-chain, Arbitrum, Base) and Tron: exact 256-bit amounts, EIP-55 and Tron Base58Check
 * addresses, an RLP decoder, typed records read from JSON-RPC responses, JSON-lines dumps,
 * ethereum-etl / GraphSense exports (JSON lines or CSV), and the flows those records imply
 * (the pools-and-flows model of DESIGN.md). A parser never touches the store.
 *
 * Ownership: an sl_eth_set owns every record and every byte its records point to (its
 * arena); records refer to arena bytes by offset, so the arena may grow. An sl_eth_model
 * refers to its set by index and must not outlive it.
 */
#ifndef SLEUTH_ETH_H
#define SLEUTH_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/crypto.h"
#include "sleuth/err.h"
#include "sleuth/util.h"

/* ---------------- exact unsigned 256-bit integers ---------------- */
typedef struct sl_u256 {
    uint64_t w[4]; /* little-endian limbs: w[0] is the least significant */
} sl_u256;

#define SL_U256_DEC_MAX 79 /* 2^256-1 has 78 digits, plus NUL */

static inline sl_u256 sl_u256_from_u64(uint64_t v)
{
    sl_u256 r = {{v, 0, 0, 0}};
    return r;
}
static inline bool sl_u256_is_zero(const sl_u256 *a) { return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]); }
/* Parses "0x" + 1..64 hex digits (any case; "0x" alone is 0 as JSON-RPC's "0x" quantity).
 * False on a missing prefix, a bad digit or a value above 2^256-1. */
bool sl_u256_parse_hex(sl_u256 *r, const char *s, size_t n);
/* Parses 1..78 decimal digits; false on a bad digit or a value above 2^256-1. */
bool sl_u256_parse_dec(sl_u256 *r, const char *s, size_t n);
/* r = a + b, r = a - b, r = a * m: false on overflow/borrow (r is then unspecified). */
bool sl_u256_add(sl_u256 *r, const sl_u256 *a, const sl_u256 *b) SL_MUST_USE;
bool sl_u256_sub(sl_u256 *r, const sl_u256 *a, const sl_u256 *b) SL_MUST_USE;
bool sl_u256_mul64(sl_u256 *r, const sl_u256 *a, uint64_t m) SL_MUST_USE;
int sl_u256_cmp(const sl_u256 *a, const sl_u256 *b);
/* Decimal digits (no sign, no leading zeros); out needs SL_U256_DEC_MAX bytes. Returns length. */
size_t sl_u256_dec(char out[SL_U256_DEC_MAX], const sl_u256 *a);
/* Reads a 32-byte big-endian word (an ABI uint256). */
void sl_u256_from_be(sl_u256 *r, const uint8_t be[32]);
/* True when a < 2^bits (bits = 64 or 128). */
bool sl_u256_fits(const sl_u256 *a, int bits);

/* ---------------- addresses ---------------- */
typedef struct sl_eth_addr {
    uint8_t b[20];
} sl_eth_addr;

/* "0x" + 40 hex digits in any case (a mixed-case checksum is not enforced: the issue asks
 * addresses to be accepted in any case). */
bool sl_eth_addr_parse(sl_eth_addr *a, const char *s);
/* EIP-55 mixed-case checksum form; out needs 43 bytes. */
void sl_eth_addr_eip55(char out[43], const sl_eth_addr *a);
/* True when s is an EIP-55 string whose case matches its checksum (or is all one case). */
bool sl_eth_addr_checksum_ok(const char *s);
/* Tron: Base58Check of 0x41 + the 20 address bytes ("T..."); out needs 40 bytes. */
void sl_tron_addr_encode(char out[40], const sl_eth_addr *a);
bool sl_tron_addr_decode(sl_eth_addr *a, const char *s);

/* ---------------- RLP (Ethereum Yellow Paper, appendix B) ---------------- */
typedef struct sl_rlp {
    const uint8_t *p; /* payload (a string's bytes, or a list's encoded items) */
    size_t len;
    bool list;
} sl_rlp;
/* Decodes one item at the start of c, advancing c past it. Strict: rejects non-canonical
 * lengths (leading zeros, a long form for < 56 bytes, a single byte < 0x80 wrapped as a
 * string) and any length past the end. Errors: SL_ECORRUPT with the byte offset. */
int sl_rlp_next(sl_cursor *c, sl_rlp *it, sl_error *e) SL_MUST_USE;
/* Decodes exactly one item spanning all of p[0..n). */
int sl_rlp_decode(sl_rlp *it, const uint8_t *p, size_t n, sl_error *e) SL_MUST_USE;
/* Keccak-256 of a raw signed transaction (legacy RLP list or typed 0x01/0x02/0x03
 * envelope), after checking it is one well-formed item: the transaction hash. */
int sl_eth_raw_tx_hash(sl_hash256 *h, const uint8_t *raw, size_t n, sl_error *e) SL_MUST_USE;

/* ---------------- chains ---------------- */
typedef struct sl_eth_chain_info {
    const char *name;    /* "ethereum", "bsc", ..., "tron" */
    const char *native;  /* "ETH", "BNB", "POL", "AVAX", "TRX" */
    uint8_t decimals;    /* of the native coin: 18, Tron 6 */
    bool tron;           /* Base58Check T-addresses, tx hashes printed without 0x */
} sl_eth_chain_info;
const sl_eth_chain_info *sl_eth_chain_by_name(const char *name);

/* A bundled well-known token of a chain (symbol, decimals; wrapped: the chain's wrapped
 * native coin, whose Deposit/Withdrawal events are flows too). NULL when unknown. */
typedef struct sl_eth_token {
    const char *chain, *address, *symbol;
    uint8_t decimals;
    bool wrapped;
} sl_eth_token;
const sl_eth_token *sl_eth_token_find(const char *chain, const sl_eth_addr *contract);
/* The i-th bundled token (NULL past the end), for tests and listings. */
const sl_eth_token *sl_eth_token_at(size_t i);

/* ---------------- typed records ---------------- */
#define SL_ETH_NONE32 UINT32_MAX

enum { SL_ETH_STATUS_FAIL = 0, SL_ETH_STATUS_OK = 1, SL_ETH_STATUS_UNKNOWN = 2 };

typedef struct sl_eth_block {
    uint64_t number, time;
    sl_hash256 hash;         /* big-endian as printed (no reversal) */
    sl_eth_addr miner;
    sl_u256 base_fee;
    bool has_hash, has_miner, has_time, has_base_fee;
    uint32_t n_tx;           /* transactions listed in the block object (SL_ETH_NONE32 unknown) */
} sl_eth_block;

typedef struct sl_eth_tx {
    sl_hash256 hash, block_hash;
    uint64_t block, nonce, gas, time;
    uint32_t index;
    sl_eth_addr from, to;
    bool has_from, has_to, has_time, has_block_hash, has_max_fee;
    uint8_t type;
    sl_u256 value, gas_price, max_fee, max_prio;
    uint32_t input_off, input_len; /* raw input bytes in the arena */
    /* receipt fields carried by flat exports (GraphSense, ethereum-etl JSON with receipt_*) */
    bool has_receipt;
    uint8_t status;
    uint64_t gas_used;
    bool has_eff_price;
    sl_u256 eff_price;
} sl_eth_tx;

typedef struct sl_eth_receipt {
    sl_hash256 tx_hash, block_hash, root;
    uint64_t block, cum_gas, gas_used;
    uint32_t index;
    uint8_t status;          /* SL_ETH_STATUS_*; UNKNOWN for pre-Byzantium (root instead) */
    bool has_eff_price, has_contract, has_root, has_from, has_index, has_block_hash;
    sl_u256 eff_price;
    sl_eth_addr contract, from;
} sl_eth_receipt;

typedef struct sl_eth_log {
    sl_hash256 tx_hash, block_hash;
    uint64_t block;
    uint32_t tx_index, log_index;
    bool has_tx_index, has_block_hash;
    sl_eth_addr address;
    uint8_t n_topics;
    sl_hash256 topics[4];
    uint32_t data_off, data_len;  /* arena */
} sl_eth_log;

enum { SL_TRACE_CALL = 1, SL_TRACE_CREATE, SL_TRACE_SUICIDE, SL_TRACE_REWARD };
enum { SL_CALL_NONE = 0, SL_CALL_CALL, SL_CALL_CALLCODE, SL_CALL_DELEGATECALL, SL_CALL_STATICCALL };

typedef struct sl_eth_trace {
    sl_hash256 tx_hash;
    uint64_t block, gas, gas_used;
    uint32_t tx_index;           /* SL_ETH_NONE32 for rewards */
    uint32_t order;              /* position in its input (to keep input order within a tx) */
    bool has_tx, has_to, has_gas, has_gas_used, has_tx_index;
    uint8_t type, call_type, reward_type; /* reward_type: 1 block, 2 uncle */
    sl_eth_addr from, to;        /* create: to = the new contract; suicide: from = the
                                    destroyed contract, to = the refund address */
    sl_u256 value;
    uint32_t subtraces;
    uint32_t addr_off, addr_len; /* trace address: addr_len u32 words in the arena */
    uint32_t err_off, err_len;   /* error text (arena), err_len 0 = no error */
    bool failed;                 /* error present (Tron: rejected) */
} sl_eth_trace;

typedef struct sl_eth_withdrawal {
    uint64_t block, index;
    sl_eth_addr address;
    sl_u256 amount;              /* wei (the JSON field is Gwei) */
} sl_eth_withdrawal;

/* A token transfer row of an ethereum-etl token_transfers export (used only for
 * transactions whose logs are not in the input). */
typedef struct sl_eth_xfer {
    sl_hash256 tx_hash;
    uint64_t block;
    uint32_t log_index;
    sl_eth_addr token, from, to;
    sl_u256 value;
} sl_eth_xfer;

typedef struct sl_eth_set {
    const sl_eth_chain_info *chain;
    sl_eth_block *blocks;        size_t n_blocks, cap_blocks;
    sl_eth_tx *txs;              size_t n_txs, cap_txs;
    sl_eth_receipt *receipts;    size_t n_receipts, cap_receipts;
    sl_eth_log *logs;            size_t n_logs, cap_logs;
    sl_eth_trace *traces;        size_t n_traces, cap_traces;
    sl_eth_withdrawal *wds;      size_t n_wds, cap_wds;
    sl_eth_xfer *xfers;          size_t n_xfers, cap_xfers;
    sl_buf arena;
    uint64_t bytes_read;         /* input bytes parsed */
} sl_eth_set;

void sl_eth_set_init(sl_eth_set *s, const sl_eth_chain_info *chain);
void sl_eth_set_free(sl_eth_set *s);
/* The arena bytes at off, and a trace's address words. While the arena is still empty (no
 * record has stored bytes: every length is 0) its pointer is NULL, and NULL + 0 or
 * memcmp(NULL, NULL, 0) is undefined behaviour, so an empty arena yields a valid pointer
 * to nothing instead. */
static inline const uint8_t *sl_eth_arena(const sl_eth_set *s, uint32_t off)
{
    static const uint8_t none[4];
    return s->arena.p ? s->arena.p + off : none;
}
static inline const uint32_t *sl_eth_trace_addr(const sl_eth_set *s, const sl_eth_trace *t)
{
    static const uint32_t none[1];
    return s->arena.p ? (const uint32_t *)(const void *)(s->arena.p + t->addr_off) : none;
}

/* Parses one input document and appends its records. Accepted: a JSON-RPC response
 * (or a batch array of them) of eth_getBlockByNumber (full transactions),
 * eth_getBlockReceipts, eth_getTransactionReceipt, eth_getLogs/eth_getFilterLogs,
 * trace_block / trace_transaction (parity), debug_traceBlockByNumber /
 * debug_traceTransaction with callTracer; the bare results of those; mev-inspect-py
 * block files; ethereum-etl and GraphSense exports (arrays or JSON lines of blocks,
 * transactions, receipts, logs, token_transfers, traces; Tron's GraphSense schema when
 * the set's chain is Tron). Several documents may follow each other (JSON lines).
 * Errors: SL_ECORRUPT naming `name` and the JSON path ("$[3].transactions[7].value:
 * hex without 0x"), or the byte offset for malformed JSON. On error the set may hold
 * part of the document; callers discard it. */
int sl_eth_parse_json(sl_eth_set *s, const char *name, const char *text, size_t len, sl_error *e) SL_MUST_USE;
/* Reads a JSON text one document at a time (a lone document, or JSON lines), so that a
 * caller can stream a file of any size with bounded memory: each sl_eth_reader_next parses
 * the next document exactly as sl_eth_parse_json would (strict: duplicate keys, big
 * numbers, field checks) and appends its records to s. The text is borrowed and must
 * outlive the reader; name starts every message. Byte offsets of syntax errors count from
 * the document's start (the message says where the document starts). */
typedef struct sl_eth_reader {
    const char *name, *text;
    size_t len, pos;   /* pos: the next document's start (or whitespace before it) */
    int doc;           /* documents read so far */
} sl_eth_reader;
void sl_eth_reader_init(sl_eth_reader *r, const char *name, const char *text, size_t len);
/* Appends the next document's records to s; at the end of the text sets *done (s is then
 * unchanged). Errors as sl_eth_parse_json; after an error the reader must not be used
 * again and s may hold part of the document. Not thread-safe per reader. */
int sl_eth_reader_next(sl_eth_reader *r, sl_eth_set *s, bool *done, sl_error *e) SL_MUST_USE;
/* Moves a copy of every record of src to the end of dst (arena offsets and trace order
 * shifted; src is not changed and still owns its memory). SL_ENOMEM; SL_ELIMIT when dst's
 * arena would pass 4 GiB. */
int sl_eth_set_append(sl_eth_set *dst, const sl_eth_set *src, sl_error *e) SL_MUST_USE;
/* The lowest and highest block number any record of s names (*lo UINT64_MAX, *hi 0 for an
 * empty set). False when some record names no block (a callTracer frame read without its
 * block: its block is only known once merged with its transaction). */
bool sl_eth_set_range(const sl_eth_set *s, uint64_t *lo, uint64_t *hi);
/* Parses an ethereum-etl CSV export (header row; kind from the columns). */
int sl_eth_parse_csv(sl_eth_set *s, const char *name, const char *text, size_t len, sl_error *e) SL_MUST_USE;

/* ---------------- flows ---------------- */
/* Reserved account ids of the store; in a model, a flow endpoint is an address or one of
 * these sinks. */
enum { SL_SINK_NONE = 0, SL_SINK_BURN = 1, SL_SINK_FEES = 2, SL_SINK_MINT = 3, SL_SINK_N = 4 };
enum { SL_FLOW_NATIVE = 1, SL_FLOW_INTERNAL, SL_FLOW_TOKEN, SL_FLOW_FEE, SL_FLOW_BURN, SL_FLOW_REWARD };
const char *sl_eth_flow_kind_name(int kind);
const char *sl_eth_sink_name(int sink);

typedef struct sl_eth_flow {
    uint32_t tx;                 /* model tx index; SL_ETH_NONE32 for block-level (rewards) */
    uint32_t block;              /* model block index */
    uint32_t sub;                /* order within the tx (see flows.c) */
    uint8_t kind;
    uint8_t from_sink, to_sink;  /* SL_SINK_* when the endpoint is a sink, else 0 */
    bool native;                 /* asset = the chain's coin; else `asset` is the contract */
    sl_eth_addr from, to, asset;
    sl_u256 amount;
} sl_eth_flow;

/* One transaction as the model sees it, merged from tx, receipt and trace records. */
typedef struct sl_eth_mtx {
    sl_hash256 hash;
    uint32_t block;              /* model block index */
    uint32_t index;
    bool has_from, has_to, fee_known, created;
    sl_eth_addr from, to;        /* to: the created contract when `created` */
    sl_u256 value, fee;
    uint8_t status;
    uint32_t first_flow, n_flows;
    sl_u256 gas_price;           /* the price paid per gas (the receipt's effective price when
                                  * given, else what the tx says); 0 unknown (Tron) */
    uint32_t first_annot, n_annots; /* its annotations in the model (annot.h) */
} sl_eth_mtx;

/* What ingest keeps of a transaction beside its flows (annot.h, for laundering analysis):
 * a log of a known event, or the tx input when it reads as a text memo. Only for
 * transactions that did not fail. Bytes are the model's (abytes). */
typedef struct sl_eth_mannot {
    uint32_t tx;                 /* model tx index */
    uint8_t kind, event, n_topics, reserved; /* SL_ANNOT_*, SL_EV_* */
    uint32_t idx;                /* log index, 0 for the input */
    sl_eth_addr contract;        /* the log's emitter */
    sl_hash256 topics[4];
    uint32_t data_off, data_len; /* log data or input bytes, in abytes */
} sl_eth_mannot;

typedef struct sl_eth_mblock {
    uint64_t number, time;
    sl_hash256 hash;
    bool has_hash, has_miner;
    sl_eth_addr miner;
    uint32_t first_tx, n_tx;     /* model txs */
    uint32_t first_flow, n_flows;
} sl_eth_mblock;

typedef struct sl_eth_model {
    sl_eth_mblock *blocks; size_t n_blocks;
    sl_eth_mtx *txs;       size_t n_txs;
    sl_eth_flow *flows;    size_t n_flows, cap_flows;
    uint64_t n_internal, n_token; /* counts by kind, for reports */
    sl_eth_mannot *annots; size_t n_annots, cap_annots; /* by tx, in chain order */
    sl_buf abytes;                /* the annotations' bytes */
} sl_eth_model;

/* Merges the set's records block by block (ascending number) and derives the flows:
 * native value of successful transactions; internal value transfers from traces (call,
 * create, suicide with value > 0, no error, no failed ancestor); fees (burnt base fee to
 * the burn sink, the rest to the block's fee recipient or the fee sink when unknown);
 * block/uncle rewards and withdrawals from the mint sink; ERC-20/TRC-20 Transfer events
 * and wrapped-native Deposit/Withdrawal as token flows; and, for transactions that did
 * not fail, the annotations (logs of the known events of annot.h, a text input of 1..250
 * printable ASCII bytes) and each transaction's gas price. Checks consistency: a trace whose
 * parent trace is missing, records of one block that disagree on its hash, a duplicate
 * transaction... are SL_ECORRUPT errors. */
int sl_eth_model_build(sl_eth_model *m, const sl_eth_set *s, sl_error *e) SL_MUST_USE;
void sl_eth_model_free(sl_eth_model *m);

#endif
