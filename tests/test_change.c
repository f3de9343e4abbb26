/* test_change.c — the change heuristics of change.c, each alone on hand-built views where
 * it must name one output, and where it must stay silent (two candidates, none); the
 * shared refusals (coinbase, one spendable output, CoinJoin, an output paying back to an
 * input address); the mask and the order of the enum; the confidences; and real
 * transactions of tests/data/coinjoin (a Whirlpool Tx0 and a CoinJoin name no change). */
#include <criterion/criterion.h>

#include "sleuth/btc.h"
#include "sleuth/knowledge.h"
#include "txv_fixture.h"

#define BIT(h) (1u << (h))
#define ALL (BIT(SL_H_CHANGE_ADDR_TYPE) | BIT(SL_H_CHANGE_ONE_TIME) | BIT(SL_H_CHANGE_ROUND) | \
             BIT(SL_H_CHANGE_OPTIMAL) | BIT(SL_H_CHANGE_PEEL))

static sl_txv_in IN[8];
static sl_txv_out OUT[8];

/* inputs 1..n_in of p2wpkh addresses 1..n; outputs of addresses 100.., all seen before
 * (not fresh), p2wpkh, and of non-round values */
static sl_txv mk(size_t n_in, size_t n_out)
{
    for (size_t i = 0; i < n_in; i++)
        IN[i] = (sl_txv_in){.addr = {0, 1 + (uint32_t)i}, .value = 50000000 + 1111 * i, .script_type = SL_SCRIPT_P2WPKH};
    for (size_t i = 0; i < n_out; i++)
        OUT[i] = (sl_txv_out){.addr = {0, 100 + (uint32_t)i}, .value = 20000000 + 3333 * i, .script_type = SL_SCRIPT_P2WPKH};
    return (sl_txv){.in = IN, .n_in = n_in, .out = OUT, .n_out = n_out};
}

static int find(const sl_txv *t, sl_heuristic only, uint8_t *conf)
{
    sl_heuristic h = SL_H_NONE;
    uint8_t c = 0;
    int r = sl_change_find(t, BIT(only), &h, &c);
    if (r >= 0) cr_expect_eq(h, only);
    if (conf) *conf = c;
    return r;
}

Test(change, addr_type)
{
    sl_txv t = mk(2, 2);
    OUT[0].script_type = SL_SCRIPT_P2PKH;   /* the payee's legacy address */
    uint8_t c;
    cr_expect_eq(find(&t, SL_H_CHANGE_ADDR_TYPE, &c), 1);
    cr_expect_eq(c, 20);
    OUT[0].script_type = SL_SCRIPT_P2WPKH;  /* both match: no answer */
    cr_expect_eq(find(&t, SL_H_CHANGE_ADDR_TYPE, NULL), -1);
    OUT[0].script_type = SL_SCRIPT_P2PKH;
    IN[1].script_type = SL_SCRIPT_P2TR;     /* mixed inputs: no answer */
    cr_expect_eq(find(&t, SL_H_CHANGE_ADDR_TYPE, NULL), -1);
}

Test(change, one_time)
{
    sl_txv t = mk(1, 3);
    OUT[2].fresh = true;
    uint8_t c;
    cr_expect_eq(find(&t, SL_H_CHANGE_ONE_TIME, &c), 2);
    cr_expect_eq(c, 30);
    OUT[2].reused = true;                   /* received again later: not a one-time address */
    cr_expect_eq(find(&t, SL_H_CHANGE_ONE_TIME, NULL), -1);
    OUT[2].reused = false;
    OUT[0].fresh = true;                    /* two fresh outputs */
    cr_expect_eq(find(&t, SL_H_CHANGE_ONE_TIME, NULL), -1);
    OUT[0].reused = true;                   /* a fresh-but-reused payee still blocks */
    cr_expect_eq(find(&t, SL_H_CHANGE_ONE_TIME, NULL), -1);
}

Test(change, round_amounts)
{
    sl_txv t = mk(1, 3);
    OUT[0].value = 25000000;                /* 0.25 BTC */
    OUT[1].value = 100000000;               /* 1 BTC */
    OUT[2].value = 24996543;
    uint8_t c;
    cr_expect_eq(find(&t, SL_H_CHANGE_ROUND, &c), 2);
    cr_expect_eq(c, 15);
    OUT[0].value = 25010000;                /* 0.2501 BTC: not round at 10^6 sat */
    cr_expect_eq(find(&t, SL_H_CHANGE_ROUND, NULL), -1);
    OUT[0].value = 25000000;
    OUT[2].value = 3000000;                 /* every output round */
    cr_expect_eq(find(&t, SL_H_CHANGE_ROUND, NULL), -1);
}

Test(change, optimal)
{
    sl_txv t = mk(2, 2);                    /* inputs 0.5 and 0.50001111 BTC */
    OUT[0].value = 70000000;                /* the payment needed both inputs */
    OUT[1].value = 29990000;                /* the change is below every input */
    uint8_t c;
    cr_expect_eq(find(&t, SL_H_CHANGE_OPTIMAL, &c), 1);
    cr_expect_eq(c, 25);
    OUT[0].value = 40000000;                /* both below the smallest input */
    cr_expect_eq(find(&t, SL_H_CHANGE_OPTIMAL, NULL), -1);
    t = mk(1, 2);                           /* one input: every output is below it */
    cr_expect_eq(find(&t, SL_H_CHANGE_OPTIMAL, NULL), -1);
}

Test(change, peel)
{
    sl_txv t = mk(1, 2);
    OUT[0].value = 1500000;
    OUT[1].value = 48000000;
    cr_expect_eq(find(&t, SL_H_CHANGE_PEEL, NULL), -1, "no neighbour of the same shape");
    IN[0].from_peel = true;
    uint8_t c;
    cr_expect_eq(find(&t, SL_H_CHANGE_PEEL, &c), 1, "the larger output continues");
    cr_expect_eq(c, 35);
    IN[0].from_peel = false;
    OUT[0].to_peel = true;                  /* the child of the smaller output is the peel */
    cr_expect_eq(find(&t, SL_H_CHANGE_PEEL, NULL), 0);
    OUT[1].to_peel = true;                  /* both children peel: the larger */
    cr_expect_eq(find(&t, SL_H_CHANGE_PEEL, NULL), 1);
    t = mk(2, 2);
    IN[0].from_peel = true;
    cr_expect_eq(find(&t, SL_H_CHANGE_PEEL, NULL), -1, "two inputs: not a peel");
}

Test(change, refusals)
{
    sl_heuristic h;
    uint8_t c;
    sl_txv t = mk(0, 2);                    /* coinbase */
    OUT[0].script_type = SL_SCRIPT_P2PKH;
    cr_expect_eq(sl_change_find(&t, ALL, &h, &c), -1);
    t = mk(1, 2);                           /* one spendable output and an OP_RETURN */
    OUT[0] = (sl_txv_out){.script_type = SL_SCRIPT_OP_RETURN};
    OUT[1].fresh = true;
    cr_expect_eq(sl_change_find(&t, ALL, &h, &c), -1);
    t = mk(1, 2);                           /* pays back to the input address */
    OUT[0].addr = IN[0].addr;
    OUT[1].fresh = true;
    cr_expect_eq(sl_change_find(&t, ALL, &h, &c), -1);
    cr_expect_eq(sl_change_find(NULL, ALL, &h, &c), -1);
}

Test(change, mask_and_order)
{
    sl_txv t = mk(2, 2);
    OUT[0].script_type = SL_SCRIPT_P2PKH;   /* addr-type says 1 */
    OUT[0].fresh = true;                    /* one-time says 0 */
    sl_heuristic h;
    uint8_t c;
    cr_expect_eq(sl_change_find(&t, ALL, &h, &c), 1);
    cr_expect_eq(h, SL_H_CHANGE_ADDR_TYPE, "the first in enum order wins");
    cr_expect_eq(sl_change_find(&t, ALL & ~BIT(SL_H_CHANGE_ADDR_TYPE), &h, &c), 0);
    cr_expect_eq(h, SL_H_CHANGE_ONE_TIME);
    cr_expect_eq(sl_change_find(&t, 0, &h, &c), -1);
    cr_expect_eq(sl_change_find(&t, ALL, NULL, NULL), 1, "h and confidence may be NULL");
}

Test(change, real_coinjoins_name_no_change)
{
    static const char *const names[] = {"0709632_0faa3fd88db411cd", "0709632_d026288313ea8e8b",
                                        "0709632_daac8fe60c729174", "0709632_7689432894c6d094"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        txv_fixture f;
        txv_fixture_load(&f, names[i]);
        for (size_t k = 0; k < f.tx.n_out; k++) f.out[k].fresh = true;
        f.out[0].fresh = false;
        cr_expect_eq(sl_change_find(&f.tx, ALL, NULL, NULL), -1, "%s", names[i]);
        txv_fixture_free(&f);
    }
}

Test(change, real_batch_payout_change_by_addr_type)
{
    /* the 2-input, 108-output batch: its inputs are one script type; the change heuristics
     * answer only when exactly one output shares it */
    txv_fixture f;
    txv_fixture_load(&f, "0709632_15199e4e14e1bffc");
    sl_heuristic h;
    int r = sl_change_find(&f.tx, BIT(SL_H_CHANGE_ADDR_TYPE), &h, NULL);
    size_t same = 0;
    for (size_t k = 0; k < f.tx.n_out; k++) same += f.out[k].script_type == f.in[0].script_type;
    bool one_type = f.in[0].script_type == f.in[1].script_type;
    cr_expect_eq(r >= 0, one_type && same == 1, "answer iff exactly one output of the inputs' type (%zu)", same);
    if (r >= 0) cr_expect_eq(f.out[r].script_type, f.in[0].script_type);
    txv_fixture_free(&f);
}
