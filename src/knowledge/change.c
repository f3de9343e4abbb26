/* change.c — change-output heuristics over one transaction view (sl_txv, knowledge.h).
 * A payment usually sends one output to the payee and the rest back to the payer as
 * change; naming the change output lets the cluster builder merge its address with the
 * inputs'. Each heuristic names an output only when exactly one output fits it, and each
 * carries a fixed confidence on GraphSense's 0..100 scale, below multi-input's 50 because
 * the field measures them as weaker (docs/CLUSTERING.md "Change heuristics" gives every
 * rule, its source, its confidence and the precision measured by bench/bench_heuristics).
 *
 * Shared refusals, before any heuristic: a coinbase (no inputs), fewer than two
 * spendable outputs, a CoinJoin (sl_coinjoin_detect), and a transaction that pays back to
 * one of its own input addresses — that output is already the change and in the inputs'
 * cluster, and a heuristic that named another output would merge the payee.
 */
#include "sleuth/btc.h"
#include "sleuth/knowledge.h"

/* Confidences (0..100): see docs/CLUSTERING.md for the reasons. */
#define CONF_ADDR_TYPE 20
#define CONF_ONE_TIME 30
#define CONF_ROUND 15
#define CONF_OPTIMAL 25
#define CONF_PEEL 35

/* An amount is round when it is a whole multiple of 10^6 satoshi, i.e. it has at most two
 * decimals in BTC (0.25 BTC is round, 0.2501 is not): BlockSci's PowerOfTen change
 * heuristic with its default of 6 digits. A change amount (inputs less payment less fee)
 * is round by chance with probability 1/1,000,000. */
#define ROUND_SAT 1000000u

static bool spendable(const sl_txv_out *o)
{
    return o->addr.id != 0 && o->script_type != SL_SCRIPT_OP_RETURN;
}

/* The single spendable output for which pred holds while it fails on every other
 * spendable output, or -1. */
typedef bool (*out_pred)(const sl_txv *t, size_t i);

static int only_one(const sl_txv *t, out_pred pred)
{
    int found = -1;
    for (size_t i = 0; i < t->n_out; i++) {
        if (!spendable(&t->out[i]) || !pred(t, i)) continue;
        if (found >= 0) return -1;
        found = (int)i;
    }
    return found;
}

/* address-type match: the inputs all spend one script type, and exactly one output has it */
static bool same_type_as_inputs(const sl_txv *t, size_t i)
{
    return t->out[i].script_type == t->in[0].script_type;
}

static bool inputs_one_type(const sl_txv *t)
{
    for (size_t i = 1; i < t->n_in; i++)
        if (t->in[i].script_type != t->in[0].script_type) return false;
    return true;
}

/* one-time change: the only output whose address appears here first and is not reused */
static bool fresh_not_reused(const sl_txv *t, size_t i)
{
    return t->out[i].fresh && !t->out[i].reused;
}
static bool not_fresh(const sl_txv *t, size_t i)
{
    return !t->out[i].fresh;
}

static bool non_round(const sl_txv *t, size_t i)
{
    return t->out[i].value % ROUND_SAT != 0;
}

/* optimal change (Nick): the only output smaller than every input, since a payer who
 * could pay with fewer inputs would have */
static bool below_every_input(const sl_txv *t, size_t i)
{
    for (size_t k = 0; k < t->n_in; k++)
        if (t->out[i].value >= t->in[k].value) return false;
    return true;
}

static size_t n_spendable(const sl_txv *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_out; i++) n += spendable(&t->out[i]);
    return n;
}

static bool pays_back_to_input(const sl_txv *t)
{
    for (size_t i = 0; i < t->n_out; i++) {
        if (!t->out[i].addr.id) continue;
        uint64_t k = sl_addr_ref_key(t->out[i].addr);
        for (size_t j = 0; j < t->n_in; j++)
            if (t->in[j].addr.id && sl_addr_ref_key(t->in[j].addr) == k) return true;
    }
    return false;
}

static int rule(const sl_txv *t, sl_heuristic h)
{
    switch (h) {
    case SL_H_CHANGE_ADDR_TYPE:
        return inputs_one_type(t) ? only_one(t, same_type_as_inputs) : -1;
    case SL_H_CHANGE_ONE_TIME: {
        int c = only_one(t, fresh_not_reused);
        if (c < 0) return -1;
        /* every other output must be a known, earlier-seen address */
        for (size_t i = 0; i < t->n_out; i++)
            if ((int)i != c && spendable(&t->out[i]) && !not_fresh(t, i)) return -1;
        return c;
    }
    case SL_H_CHANGE_ROUND:
        return only_one(t, non_round);
    case SL_H_CHANGE_OPTIMAL:
        return only_one(t, below_every_input);
    case SL_H_CHANGE_PEEL: {
        /* one input, two outputs, and the parent or a child has the same shape: the larger
         * output is the one the chain continues with */
        if (t->n_in != 1 || t->n_out != 2 || n_spendable(t) != 2) return -1;
        const sl_txv_out *a = &t->out[0], *b = &t->out[1];
        if (a->value == b->value) return -1;
        int big = a->value > b->value ? 0 : 1;
        if (!t->in[0].from_peel && !a->to_peel && !b->to_peel) return -1;
        /* the output whose spender continues the shape, else the larger one */
        if (a->to_peel != b->to_peel) return a->to_peel ? 0 : 1;
        return big;
    }
    default:
        return -1;
    }
}

static uint8_t confidence_of(sl_heuristic h)
{
    switch (h) {
    case SL_H_CHANGE_ADDR_TYPE: return CONF_ADDR_TYPE;
    case SL_H_CHANGE_ONE_TIME: return CONF_ONE_TIME;
    case SL_H_CHANGE_ROUND: return CONF_ROUND;
    case SL_H_CHANGE_OPTIMAL: return CONF_OPTIMAL;
    case SL_H_CHANGE_PEEL: return CONF_PEEL;
    default: return 0;
    }
}

int sl_change_find(const sl_txv *t, unsigned mask, sl_heuristic *h, uint8_t *confidence)
{
    if (!t || t->n_in == 0 || n_spendable(t) < 2) return -1;
    if (sl_coinjoin_detect(t) != SL_CJ_NONE) return -1;
    if (pays_back_to_input(t)) return -1;
    for (int k = SL_H_CHANGE_ADDR_TYPE; k <= SL_H_CHANGE_PEEL; k++) {
        if (!(mask & (1u << k))) continue;
        int c = rule(t, (sl_heuristic)k);
        if (c < 0) continue;
        if (h) *h = (sl_heuristic)k;
        if (confidence) *confidence = confidence_of((sl_heuristic)k);
        return c;
    }
    return -1;
}
