/* gen_int.h — internals of the world generator (sleuth/gen.h) shared by its files:
 * the world state, the seeded random numbers, the Bitcoin block writer (btc_writer.c), the
 * Ethereum JSON-RPC writer and ABI helpers (eth_writer.c), the Tron export writer
 * (tron_writer.c), the services and background traffic (world.c; Tron's and the USDT
 * bridge's in tron_world.c), the recipes (recipes.c) and the truth and tag files (truth.c).
 *
 * Failure: the generator cannot fail half-way in a useful state, so an allocation or a
 * write that fails calls gen_fail, which records the error and longjmps back to
 * sl_gen_world; every allocation of the world is reachable from it and freed there.
 * Amounts: satoshis (uint64_t), wei (u128: 2^128 wei is 3.4e20 ETH), USDT micro-units
 * (on Ethereum and Tron alike), sun (TRX micro-units, uint64_t).
 * Chains are numbered 0 btc, 1 ethereum, 2 tron (thief_addr.chain, thief_tx, final_add).
 */
#ifndef SLEUTH_GEN_INT_H
#define SLEUTH_GEN_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/gen.h"
#include "sleuth/util.h"

typedef sl_u128 u128;

#define WEI_PER_ETH ((u128)1000000000000000000ULL)
#define SAT_PER_BTC 100000000ULL

/* ---------- random numbers: xoshiro256**, seeded by splitmix64 ---------- */
typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;
void gen_rng_seed(gen_rng *r, uint64_t seed);
uint64_t gen_rnd(gen_rng *r);
uint32_t gen_below(gen_rng *r, uint32_t n); /* 0..n-1; n > 0 */
uint32_t gen_range(gen_rng *r, uint32_t lo, uint32_t hi); /* lo..hi inclusive */
double gen_unit(gen_rng *r);                 /* [0, 1) */
bool gen_chance(gen_rng *r, double p);
void gen_bytes(gen_rng *r, uint8_t *p, size_t n);

/* ---------- owners (truth-addresses.csv) ---------- */
enum {
    OWN_USER, OWN_EXCHANGE, OWN_VICTIM, OWN_THIEF, OWN_THOR, OWN_DEX, OWN_MIXER, OWN_OTC,
    OWN_COORD, OWN_MINER, OWN_RELAYER, OWN_TOKEN, OWN_BRIDGE, OWN_N
};

/* ---------- Bitcoin ---------- */
enum { BT_P2WPKH, BT_P2PKH };
typedef struct gb_addr {
    uint8_t prog[20];
    uint8_t type, owner;
} gb_addr;
typedef struct gb_utxo {
    uint8_t txid[32];
    uint32_t vout, addr;
    uint64_t value;
} gb_utxo;

typedef struct gen_btc {
    gb_addr *addrs;
    size_t n_addrs, cap_addrs;
    gb_utxo *pool; /* background spendable outputs */
    size_t n_pool, cap_pool;
    /* the block being built */
    sl_buf txs;
    uint8_t (*txids)[32], (*wtxids)[32];
    size_t n_tx, cap_ids, cap_wids;
    bool any_segwit;
    uint64_t fees;
    /* the transaction being built */
    gb_utxo *ins;
    size_t n_ins, cap_ins;
    struct gb_out { uint64_t value; uint32_t addr; const char *memo; } *outs;
    size_t n_outs, cap_outs;
    gb_utxo *made; /* outputs of the last finished transaction (index = vout) */
    size_t n_made, cap_made;
    uint8_t last_txid[32];
    /* chain and files */
    uint32_t height;
    uint8_t prev[32];
    FILE *f;
    int fileno;
    uint64_t fbytes, total_txs;
    sl_buf blk;
} gen_btc;

typedef struct utxo_list {
    gb_utxo *u;
    size_t n, cap;
} utxo_list;
typedef struct addr_list {
    uint32_t *a;
    size_t n, cap;
} addr_list;

/* ---------- an account chain's block files and ids (acct_out.c) ---------- */
typedef struct gen_chainout {
    const char *sub; /* the files are DIR/sub/blocks-NNNNN.json */
    FILE *f;
    int fileno;
    uint64_t fblocks; /* blocks in the open file */
    sl_buf line;      /* the JSON line being built */
    uint64_t number, blocks, tx_counter, total_txs;
    uint8_t parent[32];
} gen_chainout;

/* ---------- Ethereum ---------- */
typedef struct ge_acct {
    uint8_t a[20];
    uint8_t owner;
    uint32_t nonce;
    u128 bal;     /* ETH balance the world believes (for choosing amounts) */
    uint64_t usdt; /* USDT balance (micro-units) */
} ge_acct;
typedef struct ge_tx {
    uint8_t hash[32];
    uint32_t from, to;
    u128 value;
    uint64_t gas_price, gas_used, nonce;
    uint32_t in_off, in_len, log0, nlog, tr0, ntr;
    bool fail;
} ge_tx;
typedef struct ge_log {
    uint32_t addr, ntop, data_off, data_len;
    uint8_t top[4][32];
} ge_log;
typedef struct ge_call {
    uint32_t from, to;
    u128 value;
} ge_call;
typedef struct ge_wd {
    uint32_t addr;
    uint64_t gwei;
} ge_wd;

typedef struct gen_eth {
    ge_acct *acct;
    size_t n_acct, cap_acct;
    ge_tx *txs;
    size_t n_txs, cap_txs;
    ge_log *logs;
    size_t n_logs, cap_logs;
    ge_call *calls;
    size_t n_calls, cap_calls;
    ge_wd *wds;
    size_t n_wds, cap_wds;
    sl_buf data; /* inputs and log data of the block */
    uint32_t miner;
    gen_chainout c;
} gen_eth;

/* ---------- Tron (GraphSense-style export records, docs/WORLDS.md) ---------- */
typedef struct gt_acct {
    uint8_t a[20];
    uint8_t owner;
    char t[40];    /* its T-address (Base58Check of 0x41 + a), computed once */
    uint64_t trx;  /* sun the world believes it holds */
    uint64_t usdt; /* USDT micro-units */
} gt_acct;
typedef struct gt_tx {
    uint8_t hash[32];
    uint32_t from, to; /* from UINT32_MAX: a reward withdrawal (type 13, no sender) */
    uint64_t value;    /* sun (type 1, 13) */
    uint8_t type;      /* 1 TransferContract, 13 WithdrawBalance, 31 TriggerSmartContract */
    bool log;          /* 31: a USDT Transfer(log_from -> log_to, amount) log */
    uint32_t log_from, log_to; /* log_from UINT32_MAX: minted (from the zero address) */
    uint64_t amount;
} gt_tx;
typedef struct gen_tron {
    gt_acct *acct;
    size_t n_acct, cap_acct;
    gt_tx *txs;
    size_t n_txs, cap_txs;
    uint32_t miner;
    gen_chainout c;
} gen_tron;

/* ---------- the world ---------- */
typedef struct gen_swap gen_swap;
typedef struct gen_world gen_world;

typedef struct thief_addr {
    int chain; /* 0 btc, 1 eth, 2 tron */
    uint32_t idx;
    const char *role;
    uint64_t sat, usdt;
    u128 wei;
    double max_share;
} thief_addr;

struct gen_world {
    jmp_buf jb;
    sl_error *e;
    sl_gen_opts o;
    char *dir;
    gen_rng r;
    gen_btc b;
    gen_eth x;
    gen_tron t;
    FILE *csv;
    uint64_t tick, n_ticks, now, launder_end;
    uint64_t bg_left_btc, bg_left_eth, bg_per_tick_btc, bg_per_tick_eth, bg_left_tron, bg_per_tick_tron;
    struct world_services *svc;
    /* truth */
    bool dmm;
    char incident[64];
    thief_addr *thieves;
    size_t n_thieves, cap_thieves;
    struct thief_tx { int chain; uint8_t h[32]; const char *stage; } *ttx;
    size_t n_ttx, cap_ttx;
    struct final_ent { int chain; uint32_t idx; const char *asset; u128 amount; const char *kind; } *fin;
    size_t n_fin, cap_fin;
    struct tlink { uint8_t dep[32], wd[32]; } *tl;
    size_t n_tl, cap_tl;
    /* the thief's bridge deposits (Ethereum) and their releases (Tron) */
    struct blink { uint8_t dep[32], rel[32]; uint64_t dep_amount, rel_amount; uint32_t to; } *bl;
    size_t n_bl, cap_bl;
    u128 loot;            /* base units of the loot asset (sat or wei) */
    uint8_t theft_tx[32]; /* Bitcoin: internal order; Ethereum: as printed */
    uint32_t exploiter;
    struct recipe_state *rs;
    utxo_list loot_utxo;   /* the thief's Bitcoin outputs from THORChain outbounds */
    utxo_list victim_utxo; /* dmm: the victim hot wallet's outputs the theft spends */
    bool quiet;
    sl_progress pg;
};

/* Records the error and jumps back to sl_gen_world (never returns). */
_Noreturn void gen_fail(gen_world *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Closes *f (when open) and sets it NULL; a failed close (the last buffered bytes not
 * written: a full disk) is gen_fail naming DIR/sub. */
void gen_close_file(gen_world *w, FILE **f, const char *sub);
/* sl_grow or gen_fail. */
void gen_grow(gen_world *w, void *arr, size_t *cap, size_t need, size_t elt);
void gen_buf_put(gen_world *w, sl_buf *b, const void *p, size_t n);

/* ---------- btc_writer.c ---------- */
void gb_init(gen_world *w);
void gb_close(gen_world *w); /* flushes the file */
void gb_free(gen_world *w);
/* A new address of the given type owned by owner (role: truth-addresses.csv text). */
uint32_t gb_new_addr(gen_world *w, int type, int owner, const char *role);
/* Its text (bcrt1q..., m.../n...); out needs 96 bytes. */
void gb_addr_str(gen_world *w, uint32_t idx, char out[96]);
void gb_begin(gen_world *w);
void gb_in(gen_world *w, const gb_utxo *u);
uint32_t gb_out(gen_world *w, uint32_t addr, uint64_t value);
void gb_opret(gen_world *w, const char *memo); /* memo must outlive gb_end */
/* Serializes the transaction into the block; w->b.made[] then holds its outputs (an
 * OP_RETURN's entry has value 0) and w->b.last_txid its txid. */
void gb_end(gen_world *w);
/* The block: coinbase paying the miner (and the premine outputs of block 0), PoW, written. */
void gb_block(gen_world *w, uint32_t time, const struct gb_out *premine, size_t n_premine);
void gb_pool_add(gen_world *w, const gb_utxo *u);
bool gb_pool_take(gen_world *w, gb_utxo *u, uint64_t min_value);
void gb_txid_hex(char out[65], const uint8_t txid[32]); /* printed (reversed) order */

/* ---------- eth_writer.c ---------- */
void ge_init(gen_world *w, uint64_t first_block);
void ge_close(gen_world *w);
void ge_free(gen_world *w);
uint32_t ge_new_acct(gen_world *w, int owner, const char *role);
/* An account at a fixed address (contracts of mainnet: the router, Tornado pools, USDT). */
uint32_t ge_fixed_acct(gen_world *w, const char *hex40, int owner, const char *role);
void ge_addr_str(gen_world *w, uint32_t idx, char out[43]); /* EIP-55 */
/* Appends a transaction to the block; nonce and balance of from are updated (value and
 * gas). Returns its index in the block; its hash is w->x.txs[i].hash. */
uint32_t ge_tx_add(gen_world *w, uint32_t from, uint32_t to, u128 value, uint64_t gas_price,
                   uint64_t gas_used, const uint8_t *input, size_t n);
/* A log / an internal call of the last transaction (a call moves balance). */
void ge_log_add(gen_world *w, uint32_t addr, uint32_t ntop, const uint8_t (*top)[32], const uint8_t *data,
                size_t n);
void ge_call_add(gen_world *w, uint32_t from, uint32_t to, u128 value);
void ge_withdrawal(gen_world *w, uint32_t addr, uint64_t gwei);
void ge_block(gen_world *w, uint64_t time);
const uint8_t *ge_last_hash(gen_world *w);


/* ABI words and selectors */
void abi_sel(uint8_t out[4], const char *sig);
void abi_topic(uint8_t out[32], const char *sig);
void abi_addr(uint8_t w[32], const uint8_t a[20]);
void abi_u128(uint8_t w[32], u128 v);
/* A builder of ABI-encoded calls and event data: static words then dynamic strings. */
typedef struct abi_enc {
    uint8_t head[12][32];
    size_t nhead;
    struct { size_t slot; const uint8_t *p; size_t n; } dyn[2];
    size_t ndyn;
} abi_enc;
void abi_word_addr(abi_enc *a, const uint8_t addr[20]);
void abi_word_u(abi_enc *a, u128 v);
void abi_word_raw(abi_enc *a, const uint8_t w[32]);
void abi_word_str(abi_enc *a, const char *s);
void abi_word_bytes(abi_enc *a, const uint8_t *p, size_t n); /* p must outlive abi_encode */
/* Encodes (with a 4-byte selector first when sel is not NULL) into b (reset first). */
void abi_encode(gen_world *w, sl_buf *b, const uint8_t *sel, const abi_enc *a);

/* ---------- acct_out.c ---------- */
/* A stable id: Keccak-256 of (seed, counter, tag); an address is its last 20 bytes. */
void gen_id(gen_world *w, uint64_t counter, char tag, uint8_t out[32]);
void gen_addr_hex(gen_world *w, uint8_t out[20], const char *hex40); /* or gen_fail */
void gco_init(gen_chainout *c, const char *sub, uint64_t first_block);
void gco_free(gen_chainout *c);
void gco_close(gen_world *w, gen_chainout *c); /* flushes the open file */
/* A new transaction's hash (gen_id of the chain's tx counter and tag); counts it. */
void gco_tx_hash(gen_world *w, gen_chainout *c, char tag, uint8_t out[32]);
/* Before a block's lines: opens the next file when due (500 blocks a file), resets the line,
 * and gives the block's hash: Keccak-256 of (parent, number, the n transaction hashes found
 * at hashes, stride bytes apart). After them, gco_end_block: the next number, bh the parent. */
void gco_begin_block(gen_world *w, gen_chainout *c, uint8_t bh[32], const uint8_t *hashes, size_t n, size_t stride);
void gco_end_block(gen_chainout *c, const uint8_t bh[32]);
/* JSON text into b: a string as is, bytes as hex ("0x" first when prefix), a decimal number;
 * gco_line_end ends c's line and writes it to its open file (c->line reset). */
void gen_put(gen_world *w, sl_buf *b, const char *s);
void gen_put_hex(gen_world *w, sl_buf *b, const uint8_t *p, size_t n, bool prefix);
void gen_put_num(gen_world *w, sl_buf *b, uint64_t v);
void gco_line_end(gen_world *w, gen_chainout *c);

/* ---------- tron_writer.c ---------- */
void gt_init(gen_world *w, uint64_t first_block);
void gt_close(gen_world *w);
void gt_free(gen_world *w);
uint32_t gt_new_acct(gen_world *w, int owner, const char *role);
/* An account at a fixed address (hex40: the 20 bytes after Tron's 0x41 prefix). */
uint32_t gt_fixed_acct(gen_world *w, const char *hex40, int owner, const char *role);
/* Appends to the open block: a TRX transfer (type 1), a reward withdrawal to `to` (type 13,
 * no sender: how block 0 creates TRX), a USDT transfer from -> to called on the token
 * contract `token` (type 31 with its Transfer log; from UINT32_MAX: a mint by `caller`).
 * Balances are moved; the hash is w->t.txs[w->t.n_txs - 1].hash. */
void gt_trx(gen_world *w, uint32_t from, uint32_t to, uint64_t sun);
void gt_reward(gen_world *w, uint32_t to, uint64_t sun);
void gt_usdt(gen_world *w, uint32_t token, uint32_t caller, uint32_t from, uint32_t to, uint64_t amount);
const uint8_t *gt_last_hash(gen_world *w);
/* Writes the open block (one JSON line for the block, then one per transaction and per log). */
void gt_block(gen_world *w, uint64_t time);

/* ---------- world.c ---------- */
void gen_addr_row(gen_world *w, const char *chain, const char *addr, int owner, const char *role);
const char *gen_owner_name(int owner);
/* Truth bookkeeping of the thief's addresses and transactions (chain 0 btc, 1 eth, 2 tron). */
thief_addr *thief_add(gen_world *w, int chain, uint32_t idx, const char *role);
thief_addr *thief_find(gen_world *w, int chain, uint32_t idx);
void thief_credit(gen_world *w, int chain, uint32_t idx, int asset, u128 amount);
void thief_debit(gen_world *w, int chain, uint32_t idx, int asset, u128 amount);
void thief_tx(gen_world *w, int chain, const uint8_t h[32], const char *stage);
void final_add(gen_world *w, int chain, uint32_t idx, const char *asset, u128 amount, const char *kind);
enum { ASSET_BTC, ASSET_ETH, ASSET_USDT };

/* ---------- truth.c ---------- */
void truth_write(gen_world *w);
void tags_write(gen_world *w);

#endif
