/* test_coinjoin.c — the CoinJoin detectors (coinjoin.c) on real mainnet transactions
 * (tests/data/coinjoin, README there says where each comes from): Whirlpool mixes of three
 * pools and a Tx0 that feeds one of them, two Wasabi 1.x rounds (one paying the known
 * coordinator address, one after the coordinator stopped using fixed addresses), a
 * two-party equal-output join, a JoinMarket-shaped join; and real transactions that must
 * answer NONE: exchange batch payouts, a ten-equal-output payment with two inputs, a rune
 * marketplace batch paying equal parts to one address, an OP_RETURN transaction that looks
 * like a Tx0, a 25 x 5 BTC cold-wallet split, zero-value outputs. No Wasabi 2.0 round and
 * no JoinMarket round with its prevouts is in the shared blocks, so those rules also get
 * hand-built cases shaped as the protocols write them. */
#include <criterion/criterion.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/knowledge.h"
#include "txv_fixture.h"

static sl_coinjoin_kind detect(const char *name)
{
    txv_fixture f;
    txv_fixture_load(&f, name);
    sl_coinjoin_kind k = sl_coinjoin_detect(&f.tx);
    txv_fixture_free(&f);
    return k;
}

#define EXPECT(name, kind) \
    cr_expect_eq(detect(name), kind, "%s: %s, want %s", name, sl_coinjoin_name(detect(name)), sl_coinjoin_name(kind))

Test(coinjoin, names)
{
    cr_expect_str_eq(sl_coinjoin_name(SL_CJ_NONE), "none");
    cr_expect_str_eq(sl_coinjoin_name(SL_CJ_WHIRLPOOL_MIX), "whirlpool-mix");
    cr_expect_str_eq(sl_coinjoin_name(SL_CJ_WASABI2), "wasabi2");
    cr_expect_null(sl_coinjoin_name((sl_coinjoin_kind)99));
}

Test(coinjoin, real_whirlpool_mixes_of_three_pools)
{
    EXPECT("0692261_d2e592ba5427bf1a", SL_CJ_WHIRLPOOL_MIX);   /* 0.001 BTC pool */
    EXPECT("0709632_daac8fe60c729174", SL_CJ_WHIRLPOOL_MIX);   /* 0.01 BTC pool */
    EXPECT("0709632_316c3ad8626a28f7", SL_CJ_WHIRLPOOL_MIX);   /* 0.05 BTC pool */
}

Test(coinjoin, real_whirlpool_tx0_feeds_the_mix)
{
    EXPECT("0709632_0faa3fd88db411cd", SL_CJ_WHIRLPOOL_TX0);
    /* its premix output (1,000,302 sat) is an input of the 0.01 BTC mix of the same block */
    txv_fixture t0, mix;
    txv_fixture_load(&t0, "0709632_0faa3fd88db411cd");
    txv_fixture_load(&mix, "0709632_daac8fe60c729174");
    bool found = false;
    for (size_t i = 0; i < mix.tx.n_in; i++) found |= mix.tx.in[i].value == t0.tx.out[3].value;
    cr_expect(found);
    cr_expect_eq(t0.tx.out[1].value, 50000u, "the 0.01 pool's coordinator fee");
    txv_fixture_free(&t0);
    txv_fixture_free(&mix);
}

Test(coinjoin, real_wasabi1_rounds)
{
    /* 100 inputs, 82 x 0.09938 BTC and its doubles, fee to bc1qa24tsgc... (block 600000) */
    EXPECT("0600000_5100374c728e5da2", SL_CJ_WASABI1);
    /* 71 inputs, 50 x 0.10900308 BTC, no fixed coordinator address (block 709632) */
    EXPECT("0709632_7689432894c6d094", SL_CJ_WASABI1);
}

Test(coinjoin, real_wasabi1_needs_the_coordinator_address_before_610000)
{
    txv_fixture f;
    txv_fixture_load(&f, "0600000_5100374c728e5da2");
    for (size_t i = 0; i < f.tx.n_out; i++) f.out[i].text = NULL;   /* a view without texts */
    /* the generic rule does not match either: 82 equal of 177 outputs is not (177+1)/2 */
    cr_expect_eq(sl_coinjoin_detect(&f.tx), SL_CJ_NONE);
    txv_fixture_free(&f);
}

Test(coinjoin, real_two_party_equal_output_join)
{
    /* 2 inputs, 2 x 770,000 sat + two changes that each pay the same 785 sat fee */
    EXPECT("0709632_d026288313ea8e8b", SL_CJ_EQUAL_OUTPUT);
}

Test(coinjoin, real_joinmarket_shape)
{
    /* 5 x 7,041,713 sat and 5 changes, mixed p2pkh/p2sh (block 600000; prevouts not in the
     * shared data, so only the output-side conditions are exercised) */
    EXPECT("0600000_a74702af7a1913f7", SL_CJ_JOINMARKET);
}

Test(coinjoin, real_batch_payouts_are_not_coinjoins)
{
    EXPECT("0692261_c7900e3d009dffb0", SL_CJ_NONE);   /* 1 in, 47 out, 45 distinct values */
    EXPECT("0709632_15199e4e14e1bffc", SL_CJ_NONE);   /* 2 in, 108 out, 102 distinct */
    EXPECT("0692261_42129895d4673059", SL_CJ_NONE);   /* 4 in, 50 out, 48 distinct */
    EXPECT("0709632_d5d3d5031505b36e", SL_CJ_NONE);   /* 1 in, 71 out, one value 8 times */
    EXPECT("0709632_3ee4357f88ba3898", SL_CJ_NONE);   /* 2 in, 13 out, 10 x 0.02 BTC */
    EXPECT("0600000_1923203ada086257", SL_CJ_NONE);   /* 11 in, 28 out, 25 x 5 BTC */
}

Test(coinjoin, real_lookalikes_are_not_coinjoins)
{
    EXPECT("0866342_546a2cf0ab0c0439", SL_CJ_NONE);   /* rune marketplace: 7 equal outputs, 1 address */
    EXPECT("0709632_26159ab9df202733", SL_CJ_NONE);   /* OP_RETURN + 2 equal p2sh: not a Tx0 */
    EXPECT("0599847_d5f746c6394a9213", SL_CJ_NONE);   /* six zero-value outputs */
}

Test(coinjoin, real_blocksci_false_positive_is_kept)
{
    /* 44 inputs paying 2 x 0.2 BTC and a change: BlockSci's rule says CoinJoin (2 of 3
     * outputs equal, 2 <= 44 inputs). sleuth keeps the published rule; docs/CLUSTERING.md
     * counts this class among its known false positives. */
    EXPECT("0692261_2315752f64c34ef2", SL_CJ_EQUAL_OUTPUT);
}

/* ---- hand-built cases ---- */

static sl_txv_in IN[400];
static sl_txv_out OUT[400];

static sl_txv mk(size_t n_in, size_t n_out, uint32_t height)
{
    return (sl_txv){.height = height, .in = IN, .n_in = n_in, .out = OUT, .n_out = n_out};
}

static void in_at(size_t i, uint32_t addr, uint64_t v, uint8_t type)
{
    IN[i] = (sl_txv_in){.addr = {0, addr}, .value = v, .script_type = type};
}
static void out_at(size_t i, uint32_t addr, uint64_t v, uint8_t type)
{
    OUT[i] = (sl_txv_out){.addr = {0, addr}, .value = v, .script_type = type, .fresh = true};
}

Test(coinjoin, wasabi2_shape)
{
    /* 60 inputs and 80 outputs, both descending, outputs at standard denominations
     * (2^k, 3^k, 2 x 3^k, 1-2-5 x 10^k) but for 5 change-like ones */
    static const uint64_t denoms[] = {50000000, 43046721, 33554432, 20000000, 14348907, 10000000,
                                      8388608, 5000000, 4782969, 2097152, 1000000, 531441,
                                      262144, 200000, 100000, 59049};
    for (size_t i = 0; i < 60; i++) in_at(i, 1 + (uint32_t)i, 90000000 - i * 1000000, SL_SCRIPT_P2WPKH);
    size_t k = 0;
    for (size_t d = 0; d < 16; d++)
        for (size_t r = 0; r < 5 - (d % 2); r++) out_at(k, 1000 + (uint32_t)k, denoms[d], SL_SCRIPT_P2TR), k++;
    while (k < 80) out_at(k, 1000 + (uint32_t)k, 12345 - k, SL_SCRIPT_P2WPKH), k++;
    sl_txv t = mk(60, 80, 850000);
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_WASABI2);
    /* an input out of order: not the coordinator's ordering */
    IN[10].value = 99999999;
    cr_expect_neq(sl_coinjoin_detect(&t), SL_CJ_WASABI2);
    IN[10].value = 90000000 - 10 * 1000000;
    /* before Wasabi 2.0 existed */
    t.height = 700000;
    cr_expect_neq(sl_coinjoin_detect(&t), SL_CJ_WASABI2);
}

Test(coinjoin, joinmarket_with_inputs)
{
    /* taker + 4 makers: 5 inputs, 5 x 0.03 BTC, 4 maker changes (the taker swept) */
    uint64_t ins[] = {4980000, 4100000, 3600000, 3050000, 9000000};
    for (size_t i = 0; i < 5; i++) in_at(i, 1 + (uint32_t)i, ins[i], SL_SCRIPT_P2WPKH);
    for (size_t i = 0; i < 5; i++) out_at(i, 10 + (uint32_t)i, 3000000, SL_SCRIPT_P2WPKH);
    uint64_t ch[] = {2000300, 1100250, 600200, 50150};
    for (size_t i = 0; i < 4; i++) out_at(5 + i, 20 + (uint32_t)i, ch[i], SL_SCRIPT_P2WPKH);
    sl_txv t = mk(5, 9, 800000);
    /* the taker's 9,000,000 input exceeds one equal output plus the largest change */
    cr_expect_neq(sl_coinjoin_detect(&t), SL_CJ_JOINMARKET);
    IN[4].value = 3000000 + 1000;
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_JOINMARKET);
    /* all equal outputs to one address: not five participants */
    for (size_t i = 0; i < 5; i++) OUT[i].addr.id = 10;
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_NONE);
}

Test(coinjoin, batch_payout_with_some_equal_amounts)
{
    /* an exchange: 2 inputs, 200 withdrawals, 40 of them 0.01 BTC */
    in_at(0, 1, 500000000, SL_SCRIPT_P2WPKH);
    in_at(1, 2, 300000000, SL_SCRIPT_P2WPKH);
    for (size_t i = 0; i < 200; i++)
        out_at(i, 10 + (uint32_t)i, i < 40 ? 1000000 : 1000000 + 7919 * i, SL_SCRIPT_P2WPKH);
    sl_txv t = mk(2, 200, 800000);
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_NONE);
    /* the same with many inputs (a consolidating batch): still not half the outputs equal */
    for (size_t i = 0; i < 150; i++) in_at(i, 1 + (uint32_t)i, 5000000, SL_SCRIPT_P2WPKH);
    t.n_in = 150;
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_NONE);
}

Test(coinjoin, degenerate_views)
{
    sl_txv t = mk(0, 0, 0);
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_NONE);
    cr_expect_eq(sl_coinjoin_detect(NULL), SL_CJ_NONE);
    in_at(0, 1, 1000, SL_SCRIPT_P2WPKH);
    in_at(1, 2, 1000, SL_SCRIPT_P2WPKH);
    for (size_t i = 0; i < 3; i++) out_at(i, 5, 546, SL_SCRIPT_P2WPKH);
    t = mk(2, 3, 0);
    cr_expect_eq(sl_coinjoin_detect(&t), SL_CJ_NONE);   /* dust */
}
