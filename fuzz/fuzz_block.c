/* fuzz_block.c — libFuzzer target for the Bitcoin block and transaction parser
 * (src/chains/btc/block.c).
 *
 * Each input is parsed four ways: as a block with every check (SL_BTC_CHECK_ALL), with
 * only the merkle/witness-commitment checks (random headers never pass the proof of work,
 * which would hide those checks), with none, and as a standalone transaction. The parser must never crash or read
 * outside the input (ASan), and every successful parse must be self-consistent: input and
 * output counts add up, transactions tile the bytes after the header in increasing order,
 * and every script points inside the input buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/util.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_block: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static bool inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
    if (n == 0) return p == NULL || (p >= base && p <= base + len);
    return p >= base && p <= base + len && n <= (size_t)(base + len - p);
}

/* Invariants of a successful parse of len bytes at p (a block, or one transaction). */
static void check_parsed(const sl_btc_block *b, const uint8_t *p, size_t len, bool is_block)
{
    uint64_t sum_in = 0, sum_out = 0, w = 0;
    size_t expect_off;
    CHECK(b->n_tx >= 1);
    CHECK(b->size == len);
    if (is_block) {
        CHECK(len >= 81);
        /* the tx count varint may be non-canonical: the first tx starts after it */
        CHECK(b->tx[0].offset >= 81 && b->tx[0].offset <= 89);
        expect_off = b->tx[0].offset;
        CHECK(b->in[0].prev_vout == 0xffffffff);
        CHECK(b->tx[0].n_in == 1);
        /* weight counts the header and a canonical tx count */
        w = (uint64_t)(80 + (b->n_tx < 0xfd ? 1 : b->n_tx <= 0xffff ? 3 : 5)) * 4;
    } else {
        CHECK(b->n_tx == 1 && b->tx[0].offset == 0);
        CHECK(b->bip34_height == -1);
        expect_off = 0;
    }
    for (uint32_t i = 0; i < b->n_tx; i++) {
        const sl_btc_tx *t = &b->tx[i];
        CHECK(t->offset == expect_off); /* transactions tile the bytes, increasing */
        CHECK(t->size >= 51); /* version, 1 input, 0 outputs, locktime */
        CHECK((uint64_t)t->offset + t->size <= len);
        CHECK(t->n_in >= 1);
        CHECK(t->first_in == sum_in);
        CHECK(t->first_out == sum_out);
        if (t->segwit) {
            CHECK(t->weight >= t->size && t->weight < 4 * t->size);
        } else {
            CHECK(t->weight == 4 * t->size);
            CHECK(memcmp(t->txid.b, t->wtxid.b, 32) == 0);
        }
        sum_in += t->n_in;
        sum_out += t->n_out;
        w += t->weight;
        expect_off = (size_t)t->offset + t->size;
    }
    CHECK(expect_off == len); /* and end exactly at the end */
    CHECK(sum_in == b->n_in);
    CHECK(sum_out == b->n_out);
    if (is_block) CHECK(w == b->weight);
    else CHECK(b->weight == b->tx[0].weight);
    for (uint32_t i = 0; i < b->n_in; i++) {
        const sl_btc_txin *in = &b->in[i];
        CHECK(inside(in->script_sig, in->script_len, p, len));
        CHECK(in->witness_items <= len);
    }
    for (uint32_t i = 0; i < b->n_out; i++) {
        const sl_btc_txout *o = &b->out[i];
        CHECK(inside(o->script, o->script_len, p, len));
        CHECK(o->value <= 2100000000000000ULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one block object reused across runs, as the ingest reuses it */
    static sl_btc_block b;
    const sl_btc_net *net = sl_btc_net_default();
    sl_error e = {0};
    int rc_all, rc_none;
    sl_hash256 txid0;
    uint32_t n_tx;

    rc_all = sl_btc_block_parse(&b, data, size, net, SL_BTC_CHECK_ALL, &e);
    CHECK(rc_all == SL_OK || rc_all == SL_ECORRUPT || rc_all == SL_ENOMEM);
    CHECK(rc_all == SL_OK ? e.code == 0 : e.code == rc_all && e.msg[0]);
    if (rc_all == SL_OK) check_parsed(&b, data, size, true);

    /* merkle and witness commitment without PoW: mutated headers still reach them */
    memset(&e, 0, sizeof e);
    {
        int rc = sl_btc_block_parse(&b, data, size, net, SL_BTC_CHECK_MERKLE, &e);
        CHECK(rc == SL_OK || rc == SL_ECORRUPT || rc == SL_ENOMEM);
        CHECK(rc == SL_OK ? e.code == 0 : e.code == rc && e.msg[0]);
        if (rc_all == SL_OK) CHECK(rc == SL_OK);
        if (rc == SL_OK) check_parsed(&b, data, size, true);
    }

    memset(&e, 0, sizeof e);
    rc_none = sl_btc_block_parse(&b, data, size, net, 0, &e);
    CHECK(rc_none == SL_OK || rc_none == SL_ECORRUPT || rc_none == SL_ENOMEM);
    CHECK(rc_none == SL_OK ? e.code == 0 : e.code == rc_none && e.msg[0]);
    if (rc_all == SL_OK) CHECK(rc_none == SL_OK); /* checks only ever reject more */
    if (rc_none == SL_OK) {
        check_parsed(&b, data, size, true);
        /* the block hash is the header's */
        sl_hash256 h;
        sl_btc_header_hash(&h, data);
        CHECK(memcmp(h.b, b.hash.b, 32) == 0);
        /* parsing is deterministic */
        n_tx = b.n_tx;
        txid0 = b.tx[n_tx - 1].txid;
        CHECK(sl_btc_block_parse(&b, data, size, net, 0, NULL) == SL_OK);
        CHECK(b.n_tx == n_tx && memcmp(b.tx[n_tx - 1].txid.b, txid0.b, 32) == 0);
    }

    memset(&e, 0, sizeof e);
    {
        int rc = sl_btc_tx_parse(&b, data, size, &e);
        CHECK(rc == SL_OK || rc == SL_ECORRUPT || rc == SL_ENOMEM);
        CHECK(rc == SL_OK ? e.code == 0 : e.code == rc && e.msg[0]);
        if (rc == SL_OK) check_parsed(&b, data, size, false);
    }
    /* the pow helpers take any nBits */
    if (size >= 80) {
        uint8_t t[32];
        (void)sl_btc_bits_target(t, sl_le32(data + 72));
        (void)sl_btc_bits_work(sl_le32(data + 72));
    }
    return 0;
}
