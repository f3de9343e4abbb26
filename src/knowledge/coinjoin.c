/* coinjoin.c — CoinJoin detectors over one transaction view (sl_txv, knowledge.h). A
 * CoinJoin has inputs of several owners, so multi-input clustering must skip it: merging
 * its inputs is the classic supercluster error. Each detector below is a published rule
 * with its published constants (docs/CLUSTERING.md "CoinJoin detectors" states each one
 * with its source): the BlockSci/GraphSense generic equal-output rule, and per protocol
 * Samourai Whirlpool (mix and Tx0), Wasabi 2.0 (WabiSabi), Wasabi 1.x and JoinMarket.
 *
 * Exchange batch payouts (one or a few inputs, many outputs of distinct values) must not
 * match: every rule here needs several outputs of one value, and at least as many inputs
 * (or distinct input addresses) as equal outputs, which a batch paying distinct customers
 * lacks; the protocol rules add what a batch does not have (pool denominations, a
 * coordinator's ordering or fee, native segwit only). The detectors are pure: no state, no
 * allocation for transactions of up to CJ_STACK inputs and outputs (larger ones sort a
 * heap copy; without memory the output count falls back to a quadratic scan and the
 * distinct-address count to its upper bound), O(n log n) in the transaction's size.
 */
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/knowledge.h"

#define CJ_STACK 1024
#define BTC 100000000ull

/* BlockSci's isCoinjoin refuses a most-common value at the two historical dust limits. */
#define BLOCKSCI_DUST_A 546u
#define BLOCKSCI_DUST_B 2730u

/* First blocks where each protocol can appear (Dumplings' Constants.cs, from the launch
 * announcements); a view with height 0 (unknown) skips the check. */
#define FIRST_WASABI1_BLOCK 530500u
#define WASABI1_NO_COORD_ADDR_BLOCK 610000u
#define FIRST_WHIRLPOOL_BLOCK 570000u
#define FIRST_WASABI2_BLOCK 741213u

/* Samourai Whirlpool pools (pool denomination, coordinator fee per Tx0: the fee Samourai's
 * documentation lists, and the 30 % lower one of the larger pools from 2022), satoshi. A
 * premix input or output lies in (denomination, denomination + WP_PREMIX_SLACK]. */
static const uint64_t WP_POOL[] = {100000, 1000000, 5000000, 50000000};
static const uint64_t WP_FEE[][2] = {{5000, 5000}, {50000, 50000}, {250000, 175000}, {2500000, 1750000}};
#define WP_NPOOL (sizeof WP_POOL / sizeof WP_POOL[0])
#define WP_PREMIX_SLACK 110000u    /* 0.0011 BTC (the SCDH of Stockinger et al.) */
#define WP_MIN_PEERS 5
#define WP_MAX_PEERS 10

/* Wasabi 1.x: base denomination ~0.1 BTC within 0.02 BTC, at least 10 equal outputs once
 * the coordinator stopped using fixed addresses (Dumplings). */
#define WASABI1_BASE (BTC / 10)
#define WASABI1_PREC (BTC / 50)
#define WASABI1_MIN_EQUAL 10
static const char *const WASABI1_COORD[] = {
    "bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew",
    "bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw",
};

/* Wasabi 2.0: at least 20 inputs (50 at launch), more than 80 % of the outputs at the
 * standard denominations 5,000 .. 134,375,000,000 sat (Dumplings). */
#define WASABI2_MIN_IN 20
#define WASABI2_STD_MIN 5000ull
#define WASABI2_STD_MAX 134375000000ull

/* JoinMarket: no single input pays more than one equal output plus the largest change
 * less this slack (0.0001 BTC, Dumplings' shortcut for a subset-sum check). */
#define JM_SLACK 10000u
#define JM_MIN_EQUAL 3   /* sleuth: two equal outputs fall to the generic rule */

/* Value statistics of the outputs: the most frequent value (ties: the larger value, so the
 * answer does not depend on output order) and how many distinct values occur twice or more. */
typedef struct vstat {
    uint64_t top_value;
    size_t top_count;
    size_t groups;       /* distinct values with count >= 2 */
    size_t distinct;     /* distinct values */
} vstat;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void stat_sorted(vstat *s, const uint64_t *v, size_t n)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i]) j++;
        size_t c = j - i;
        s->distinct++;
        if (c >= 2) s->groups++;
        if (c > s->top_count || (c == s->top_count && v[i] > s->top_value)) {
            s->top_count = c;
            s->top_value = v[i];
        }
        i = j;
    }
}

/* Statistics of the spendable outputs' values (OP_RETURN outputs excluded). */
static void out_stats(vstat *s, const sl_txv *t)
{
    uint64_t stack[CJ_STACK], *v = stack;
    if (t->n_out > CJ_STACK && !(v = malloc(t->n_out * sizeof *v))) {
        /* no memory: count quadratically, no allocation */
        memset(s, 0, sizeof *s);
        for (size_t i = 0; i < t->n_out; i++) {
            if (t->out[i].script_type == SL_SCRIPT_OP_RETURN) continue;
            size_t c = 0, first = 1;
            for (size_t j = 0; j < t->n_out; j++) {
                if (t->out[j].script_type == SL_SCRIPT_OP_RETURN || t->out[j].value != t->out[i].value) continue;
                if (j < i) first = 0;
                c++;
            }
            if (!first) continue;
            s->distinct++;
            if (c >= 2) s->groups++;
            if (c > s->top_count || (c == s->top_count && t->out[i].value > s->top_value)) {
                s->top_count = c;
                s->top_value = t->out[i].value;
            }
        }
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].script_type != SL_SCRIPT_OP_RETURN) v[n++] = t->out[i].value;
    qsort(v, n, sizeof *v, cmp_u64);
    stat_sorted(s, v, n);
    if (v != stack) free(v);
}

/* How many distinct addresses among the inputs (out_value UINT64_MAX) or among the outputs
 * of value out_value; an address id 0 (unknown, no address) counts as distinct each time.
 * Sorting a copy keeps it O(n log n) whatever the input repeats. On allocation failure it
 * answers n, the bound that never refuses a CoinJoin. */
static size_t distinct_addrs(const sl_txv *t, uint64_t out_value)
{
    size_t n = out_value == UINT64_MAX ? t->n_in : t->n_out;
    uint64_t stack[CJ_STACK], *k = stack;
    if (n > CJ_STACK && !(k = malloc(n * sizeof *k))) return n;
    size_t m = 0, zero = 0;
    for (size_t i = 0; i < n; i++) {
        sl_addr_ref a;
        if (out_value == UINT64_MAX) a = t->in[i].addr;
        else if (t->out[i].value == out_value) a = t->out[i].addr;
        else continue;
        if (a.id) k[m++] = sl_addr_ref_key(a);
        else zero++;
    }
    qsort(k, m, sizeof *k, cmp_u64);
    size_t d = zero;
    for (size_t i = 0; i < m; i++) d += i == 0 || k[i] != k[i - 1];
    if (k != stack) free(k);
    return d;
}
#define distinct_in_addrs(t) distinct_addrs((t), UINT64_MAX)
#define distinct_out_addrs(t, v) distinct_addrs((t), (v))

static size_t count_op_return(const sl_txv *t)
{
    size_t c = 0;
    for (size_t i = 0; i < t->n_out; i++) c += t->out[i].script_type == SL_SCRIPT_OP_RETURN;
    return c;
}

static bool all_out_type(const sl_txv *t, uint8_t type)
{
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].script_type != type) return false;
    return true;
}

static bool all_in_type(const sl_txv *t, uint8_t type, uint8_t or_type)
{
    for (size_t i = 0; i < t->n_in; i++)
        if (t->in[i].script_type != type && t->in[i].script_type != or_type) return false;
    return true;
}

static bool after(const sl_txv *t, uint32_t first)
{
    return t->height == 0 || t->height >= first;
}

/* ---- BlockSci / GraphSense generic equal-output rule ---- */
static bool is_equal_output(const sl_txv *t, const vstat *s)
{
    if (t->n_in < 2 || t->n_out < 3) return false;
    /* each participant contributes a spend and a change output */
    size_t participants = (t->n_out + 1) / 2;
    if (participants > t->n_in) return false;
    if (participants > distinct_in_addrs(t)) return false;
    if (s->top_value == BLOCKSCI_DUST_A || s->top_value == BLOCKSCI_DUST_B) return false;
    if (s->top_count != participants || s->top_value == 0) return false;
    /* sleuth's addition: the equal outputs go to distinct addresses (one payee paid in
     * equal parts, as marketplace batches do, is not several participants) */
    return distinct_out_addrs(t, s->top_value) >= participants;
}

/* ---- Samourai Whirlpool mix: 5 (up to 10) native-segwit inputs and equal outputs at a
 * pool denomination; the inputs are remixes (the denomination) and premixes ---- */
static bool is_whirlpool_mix(const sl_txv *t)
{
    if (!after(t, FIRST_WHIRLPOOL_BLOCK) || t->n_in != t->n_out || t->n_in < WP_MIN_PEERS || t->n_in > WP_MAX_PEERS)
        return false;
    uint64_t v = t->out[0].value;
    bool pool = false;
    for (size_t p = 0; p < WP_NPOOL; p++) pool |= v == WP_POOL[p];
    if (!pool || !all_out_type(t, SL_SCRIPT_P2WPKH) || !all_in_type(t, SL_SCRIPT_P2WPKH, SL_SCRIPT_P2WPKH)) return false;
    size_t remix = 0;
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].value != v) return false;
    for (size_t i = 0; i < t->n_in; i++) {
        uint64_t x = t->in[i].value;
        if (x == v) remix++;
        else if (x < v || x > v + WP_PREMIX_SLACK) return false;
    }
    return remix >= 1;
}

/* ---- Samourai Whirlpool Tx0: premix outputs, an OP_RETURN, the coordinator fee ---- */
static bool is_whirlpool_tx0(const sl_txv *t)
{
    if (!after(t, FIRST_WHIRLPOOL_BLOCK) || count_op_return(t) != 1) return false;
    for (size_t p = 0; p < WP_NPOOL; p++) {
        uint64_t d = WP_POOL[p], premix_value = 0;
        size_t premix = 0;
        bool fee = false, ok = true;
        for (size_t i = 0; i < t->n_out && ok; i++) {
            uint64_t v = t->out[i].value;
            fee |= v == WP_FEE[p][0] || v == WP_FEE[p][1];
            if (v <= d || v > d + WP_PREMIX_SLACK || t->out[i].script_type == SL_SCRIPT_OP_RETURN) continue;
            /* premixes are equal, native segwit */
            if ((premix && v != premix_value) || t->out[i].script_type != SL_SCRIPT_P2WPKH) ok = false;
            premix_value = v;
            premix++;
        }
        /* besides the premixes and the OP_RETURN: the fee output and the change output(s) */
        if (!ok || !premix || t->n_out - 1 - premix > 4) continue;
        if (fee || premix >= 2) return true;
    }
    return false;
}

/* ---- Wasabi 2.0 (WabiSabi) ---- */
static bool is_std_denom(uint64_t v)
{
    if (v < WASABI2_STD_MIN || v > WASABI2_STD_MAX) return false;
    if (!(v & (v - 1))) return true;                       /* 2^k */
    uint64_t w = v % 2 == 0 ? v / 2 : v;                   /* 3^k or 2 x 3^k */
    while (w % 3 == 0) w /= 3;
    if (w == 1) return true;
    w = v;                                                 /* {1,2,5} x 10^k */
    while (w % 10 == 0) w /= 10;
    return w == 1 || w == 2 || w == 5;
}

static bool is_wasabi2(const sl_txv *t)
{
    if (!after(t, FIRST_WASABI2_BLOCK) || t->n_in < WASABI2_MIN_IN) return false;
    if (!all_in_type(t, SL_SCRIPT_P2WPKH, SL_SCRIPT_P2TR)) return false;
    size_t std = 0;
    for (size_t i = 0; i < t->n_out; i++) std += is_std_denom(t->out[i].value);
    if (std * 5 <= t->n_out * 4) return false;             /* more than 80 % */
    /* the coordinator orders inputs and outputs by value, descending */
    for (size_t i = 1; i < t->n_in; i++)
        if (t->in[i].value > t->in[i - 1].value) return false;
    for (size_t i = 1; i < t->n_out; i++)
        if (t->out[i].value > t->out[i - 1].value) return false;
    return true;
}

/* ---- Wasabi 1.x ---- */
static bool is_wasabi1(const sl_txv *t, const vstat *s)
{
    if (!after(t, FIRST_WASABI1_BLOCK)) return false;
    /* a known coordinator fee address (when the view carries address texts) */
    for (size_t i = 0; i < t->n_out && s->top_count > 2; i++) {
        if (!t->out[i].text) continue;
        for (size_t c = 0; c < sizeof WASABI1_COORD / sizeof *WASABI1_COORD; c++)
            if (!strcmp(t->out[i].text, WASABI1_COORD[c])) return true;
    }
    if (t->height && t->height < WASABI1_NO_COORD_ADDR_BLOCK) return false;
    uint64_t v = s->top_value;
    size_t unique = s->distinct - s->groups;               /* values seen once: change, coordinator */
    return all_out_type(t, SL_SCRIPT_P2WPKH) && all_in_type(t, SL_SCRIPT_P2WPKH, SL_SCRIPT_P2WPKH) &&
           s->top_count >= WASABI1_MIN_EQUAL && t->n_in >= s->top_count && v + WASABI1_PREC >= WASABI1_BASE &&
           v <= WASABI1_BASE + WASABI1_PREC && unique >= 2;
}

/* ---- JoinMarket: n equal outputs, n or n-1 change outputs, one value group ---- */
static bool is_joinmarket(const sl_txv *t, const vstat *s)
{
    size_t n = s->top_count;
    if (n < JM_MIN_EQUAL || s->groups != 1 || count_op_return(t) || s->top_value <= BLOCKSCI_DUST_B) return false;
    size_t change = t->n_out - n;
    if (change != n && change + 1 != n) return false;      /* n-1: the taker swept */
    if (t->n_in < n || distinct_in_addrs(t) < n || distinct_out_addrs(t, s->top_value) < n) return false;
    uint64_t max_change = 0, max_in = 0;
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].value != s->top_value && t->out[i].value > max_change) max_change = t->out[i].value;
    for (size_t i = 0; i < t->n_in; i++)
        if (t->in[i].value > max_in) max_in = t->in[i].value;
    return max_in + JM_SLACK <= s->top_value + max_change;
}

/* Whether two spendable outputs have one value, or an output is an OP_RETURN: without
 * either no rule below can match (a Whirlpool mix's outputs are all equal; every other
 * rule needs a value seen twice, except a Tx0, which needs its OP_RETURN). Most
 * transactions answer no here, which spares them out_stats' sort: pairwise for a few
 * outputs, else a table on the stack (a transaction too large for it goes on to the sort). */
#define CJ_SEEN_SLOTS 2048   /* a power of two, at least twice CJ_STACK */
static bool may_qualify(const sl_txv *t)
{
    if (t->n_out <= 16) {
        for (size_t i = 0; i < t->n_out; i++) {
            if (t->out[i].script_type == SL_SCRIPT_OP_RETURN) return true;
            for (size_t j = 0; j < i; j++)
                if (t->out[j].value == t->out[i].value) return true; /* j is spendable: checked first */
        }
        return false;
    }
    if (t->n_out > CJ_STACK) return true;
    uint64_t seen[CJ_SEEN_SLOTS]; /* values are below 2^56: UINT64_MAX marks a free slot */
    memset(seen, 0xff, sizeof seen);
    for (size_t i = 0; i < t->n_out; i++) {
        uint64_t v = t->out[i].value;
        if (t->out[i].script_type == SL_SCRIPT_OP_RETURN || v == UINT64_MAX) return true;
        size_t h = (size_t)((v * 0x9e3779b97f4a7c15ull) >> 53) & (CJ_SEEN_SLOTS - 1);
        while (seen[h] != UINT64_MAX && seen[h] != v) h = (h + 1) & (CJ_SEEN_SLOTS - 1);
        if (seen[h] == v) return true;
        seen[h] = v;
    }
    return false;
}

sl_coinjoin_kind sl_coinjoin_detect(const sl_txv *t)
{
    if (!t || t->n_in < 1 || t->n_out < 3 || !may_qualify(t)) return SL_CJ_NONE;
    if (is_whirlpool_mix(t)) return SL_CJ_WHIRLPOOL_MIX;
    vstat s;
    out_stats(&s, t);
    if (s.top_count < 2 && count_op_return(t) == 0) return SL_CJ_NONE;
    /* a Tx0 is one user's transaction (often one input): it is recognised so that change
     * heuristics skip it, not because its inputs have several owners */
    if (is_whirlpool_tx0(t)) return SL_CJ_WHIRLPOOL_TX0;
    if (t->n_in < 2 || s.top_count < 2) return SL_CJ_NONE;
    if (is_wasabi2(t)) return SL_CJ_WASABI2;
    if (is_wasabi1(t, &s)) return SL_CJ_WASABI1;
    if (is_joinmarket(t, &s)) return SL_CJ_JOINMARKET;
    if (is_equal_output(t, &s)) return SL_CJ_EQUAL_OUTPUT;
    return SL_CJ_NONE;
}

const char *sl_coinjoin_name(sl_coinjoin_kind k)
{
    switch (k) {
    case SL_CJ_NONE: return "none";
    case SL_CJ_EQUAL_OUTPUT: return "equal-output";
    case SL_CJ_WASABI1: return "wasabi1";
    case SL_CJ_WASABI2: return "wasabi2";
    case SL_CJ_WHIRLPOOL_TX0: return "whirlpool-tx0";
    case SL_CJ_WHIRLPOOL_MIX: return "whirlpool-mix";
    case SL_CJ_JOINMARKET: return "joinmarket";
    }
    return NULL;
}
