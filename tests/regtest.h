/* regtest.h — builds real regtest blocks for tests (nBits 0x207fffff, nonce ground until
 * the header meets it; merkle root over the txids), so hand-made transaction graphs go
 * through the same ingest as mainnet data. Outputs pay p2pkh(20 x tag). */
#ifndef SLEUTH_TEST_REGTEST_H
#define SLEUTH_TEST_REGTEST_H

#include <stddef.h>
#include <stdint.h>

#include "sleuth/crypto.h"

typedef struct rt_out { uint8_t tag; uint64_t value; } rt_out;
typedef struct rt_in { sl_hash256 txid; uint32_t vout; } rt_in;

typedef struct rt_tx {
    uint8_t b[4096];
    size_t n;
    sl_hash256 txid;
} rt_tx;

typedef struct rt_chain {
    uint8_t *blk;       /* blk*.dat framed blocks */
    size_t n, cap;
    sl_hash256 tip;
    uint32_t time, height;
} rt_chain;

/* A coinbase (unique per height) or a spend of ins. */
void rt_coinbase(rt_tx *t, uint32_t height, const rt_out *outs, int nout);
void rt_spend(rt_tx *t, const rt_in *ins, int nin, const rt_out *outs, int nout);
/* The same with an OP_RETURN output carrying memo (at most 80 bytes) inserted at index
 * memo_at (0..nout; -1: none): the outputs are outs with it in between. */
void rt_spend_memo(rt_tx *t, const rt_in *ins, int nin, const rt_out *outs, int nout, int memo_at, const char *memo);
/* Appends a block holding txs (first must be a coinbase) on top of the chain's tip. */
void rt_block(rt_chain *c, rt_tx *const *txs, int ntx);
/* Writes the chain as DIR/blk00000.dat; returns the path in a static buffer. */
const char *rt_write(const rt_chain *c, const char *dir);
/* The hand-checked graph the trace tests share (tests/test_trace.c derives every number
 * of it), as blocks 0..3 of c, outputs to the tags 0xa1 (A), 0xb1 (B), 0xd1 (D), 0xe1 (E),
 * 0xf1 (F), 0x91 (G), values in satoshi:
 *   block 0  C0: coinbase -> A 100;   block 1  C1: coinbase -> B 50
 *   block 2  T1: [C0:0, C1:0] -> D 90, E 50 (fee 10);   block 3  T2: [T1:1] -> F 20, G 29 (fee 1)
 * tx[0..5] get C0, C1, C2, C3 (the empty coinbases of blocks 2 and 3), T1, T2. */
void rt_hand_graph(rt_chain *c, rt_tx tx[6]);
/* The hand graph written to a new temp folder and ingested by `sleuth ingest btc` into
 * store (cap bytes; DIR/s), its txs as rt_hand_graph gives them. Asserts the ingest. */
void rt_hand_store(char *store, size_t cap, rt_tx tx[6]);
/* p2pkh address (regtest prefix) of 20 x tag. */
const char *rt_addr(uint8_t tag);

#endif
