/* gen_wallets.c — a deterministic, Bitcoin-like world of wallets whose owners are known, to
 * measure the clustering heuristics (bench/bench_heuristics.c, docs/CLUSTERING.md
 * "Precision and recall"). Same seed, same world, byte for byte.
 *
 *   gen_wallets DIR [PERSONS [EVENTS [SEED]]]      (defaults 2000, 40000, 1)
 *
 * writes DIR/truth.csv and DIR/txs.csv:
 *   truth.csv  address,owner,role           one row per address (role: person, reuser,
 *                                           exchange, peeler, coordinator)
 *   txs.csv    tx,label,io,n,address,value,script_type,prev_tx,prev_n
 *              one row per input (io "in", with the spent output prev_tx:prev_n) and per
 *              output (io "out"); script_type is sl_script_type's number; address 0 is an
 *              OP_RETURN output. label says what the generator made the transaction as:
 *              coinbase, payment, deposit, batch, consolidation, peel, tx0,
 *              cj-whirlpool, cj-joinmarket, cj-wasabi1.
 *
 * The world: persons with a script type each (p2wpkh 60 %, p2pkh 20 %, p2sh 15 %, p2tr
 * 5 %); 85 % take a fresh address for every receipt and every change, pay round amounts
 * (multiples of 0.01 BTC) 40 % of the time, and otherwise behave like a wallet; 15 % are
 * "reusers" (one address for everything, change back to it). One exchange takes deposits
 * and pays withdrawals in batches (1-3 inputs, or up to 60 in one batch of five; 10-80
 * outputs of distinct values, or up to 60 % of them one amount in one batch of four; change
 * to a fresh hot-wallet address). Peelers start with 50 BTC and peel small payments off in
 * 1-input, 2-output chains. CoinJoins: Whirlpool (Tx0 with coordinator fee and OP_RETURN,
 * then 5 x 5 mixes at 0.01 BTC), JoinMarket-style (3-8 participants, equal outputs plus
 * changes, sometimes a sweeping taker) and Wasabi-1-style (10-30 native-segwit
 * participants, ~0.1 BTC, a coordinator fee output).
 *
 * The generator decides nothing the heuristics read on their own: freshness, reuse and
 * the peel neighbours are computed by the benchmark from the transactions, as the store
 * would compute them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }

enum { PERSON, REUSER, EXCHANGE, PEELER, COORDINATOR };
static const char *const ROLE[] = {"person", "reuser", "exchange", "peeler", "coordinator"};

typedef struct utxo {
    uint32_t tx, n, addr;
    uint64_t value;
} utxo;

typedef struct wallet {
    int role;
    uint8_t type;
    uint32_t home;        /* reusers: their one address */
    utxo *u;
    size_t n, cap;
} wallet;

static wallet *W;
static size_t n_wallets;
static uint32_t *addr_owner;
static uint8_t *addr_type;
static size_t n_addr, cap_addr;
static uint32_t n_tx;
static FILE *ftx;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    p = realloc(p, c * size);
    if (!p) exit(2);
    *cap = c;
    return p;
}

static uint32_t new_addr(uint32_t owner, uint8_t type)
{
    size_t cap = cap_addr;
    addr_owner = grow(addr_owner, &cap_addr, n_addr + 2, sizeof *addr_owner);
    if (cap != cap_addr && !(addr_type = realloc(addr_type, cap_addr))) exit(2);
    n_addr++;
    addr_owner[n_addr] = owner;
    addr_type[n_addr] = type;
    return (uint32_t)n_addr;
}

/* where wallet w receives: its home address (reusers) or a fresh one */
static uint32_t recv_addr(uint32_t w)
{
    if (W[w].role == REUSER) return W[w].home;
    return new_addr(w, W[w].type);
}

/* ---- building one transaction ---- */
typedef struct out { uint32_t addr; uint64_t value; } out;
static utxo tin[256];
static size_t ntin;
static out tout[256];
static size_t ntout;

static void add_out(uint32_t addr, uint64_t value)
{
    if (ntout < 256) tout[ntout++] = (out){addr, value};
}

/* takes unspent outputs of w (random order) until their sum reaches need; false (and
 * nothing taken) when w cannot pay */
static bool take(uint32_t w, uint64_t need, size_t max_inputs, uint64_t *sum)
{
    wallet *x = &W[w];
    size_t start = ntin;
    *sum = 0;
    while (*sum < need && x->n && ntin - start < max_inputs) {
        size_t i = below(x->n);
        tin[ntin++] = x->u[i];
        *sum += x->u[i].value;
        x->u[i] = x->u[--x->n];
    }
    if (*sum >= need) return true;
    while (ntin > start) {   /* put back */
        x->u = grow(x->u, &x->cap, x->n + 1, sizeof *x->u);
        x->u[x->n++] = tin[--ntin];
    }
    return false;
}

static void shuffle_outs(void)
{
    for (size_t i = ntout; i > 1; i--) {
        size_t j = below(i);
        out t = tout[i - 1];
        tout[i - 1] = tout[j];
        tout[j] = t;
    }
}

static void emit(const char *label)
{
    uint32_t tx = ++n_tx;
    for (size_t i = 0; i < ntin; i++)
        fprintf(ftx, "%u,%s,in,%zu,%u,%llu,%u,%u,%u\n", tx, label, i, tin[i].addr, (unsigned long long)tin[i].value,
                addr_type[tin[i].addr], tin[i].tx, tin[i].n);
    for (size_t i = 0; i < ntout; i++) {
        uint8_t type = tout[i].addr ? addr_type[tout[i].addr] : SL_SCRIPT_OP_RETURN;
        fprintf(ftx, "%u,%s,out,%zu,%u,%llu,%u,,\n", tx, label, i, tout[i].addr, (unsigned long long)tout[i].value, type);
        if (!tout[i].addr) continue;
        wallet *x = &W[addr_owner[tout[i].addr]];
        x->u = grow(x->u, &x->cap, x->n + 1, sizeof *x->u);
        x->u[x->n++] = (utxo){tx, (uint32_t)i, tout[i].addr, tout[i].value};
    }
    ntin = ntout = 0;
}

static uint64_t fee(void) { return between(200, 5000); }

static uint64_t amount(uint64_t max, bool round)
{
    if (max < 20000) return 0;
    if (round && max >= 1000000) return 1000000 * between(1, max / 1000000 < 50 ? max / 1000000 : 50);
    return between(10000, max);
}

static uint32_t random_person(void)
{
    for (;;) {
        uint32_t w = (uint32_t)below(n_wallets);
        if (W[w].role == PERSON || W[w].role == REUSER) return w;
    }
}

/* ---- the events ---- */
static uint32_t exchange, coordinator;

static void payment(void)
{
    uint32_t a = random_person(), b = below(5) == 0 ? exchange : random_person();
    if (a == b || !W[a].n) return;
    uint64_t bal = 0;
    for (size_t i = 0; i < W[a].n; i++) bal += W[a].u[i].value;
    uint64_t amt = amount(bal / 2, below(10) < 4), sum, f = fee();
    if (!amt || !take(a, amt + f, 20, &sum)) return;
    add_out(recv_addr(b), amt);
    uint64_t change = sum - amt - f;
    if (change >= 546) add_out(W[a].role == REUSER ? W[a].home : new_addr(a, W[a].type), change);
    shuffle_outs();
    emit(b == exchange ? "deposit" : "payment");
}

static void batch(void)
{
    /* one batch in five consolidates many inputs; one in four pays one amount to up to 60 %
     * of its customers (a promotion, a fixed-size withdrawal): the look-alikes of a CoinJoin */
    size_t n = between(10, 80), max_in = below(5) == 0 ? 60 : 3, n_equal = below(4) == 0 ? below(n * 6 / 10 + 1) : 0;
    uint64_t total = 0, vals[80], sum, f = fee() * 10, same = amount(20000000, true);
    for (size_t i = 0; i < n; i++)
        total += vals[i] = i < n_equal ? same : amount(20000000, below(10) < 3) + between(0, 9) * 100;
    if (!take(exchange, total + f, max_in, &sum)) return;
    for (size_t i = 0; i < n; i++) add_out(recv_addr(random_person()), vals[i]);
    add_out(new_addr(exchange, SL_SCRIPT_P2WPKH), sum - total - f);
    shuffle_outs();
    emit("batch");
}

static void consolidation(void)
{
    uint32_t a = random_person();
    if (W[a].n < 3) return;
    size_t k = between(3, W[a].n < 10 ? W[a].n : 10);
    uint64_t sum = 0;
    for (size_t i = 0; i < k; i++) {
        tin[ntin++] = W[a].u[W[a].n - 1];
        sum += W[a].u[--W[a].n].value;
    }
    add_out(W[a].role == REUSER ? W[a].home : new_addr(a, W[a].type), sum - fee());
    emit("consolidation");
}

static void peel_chain(uint32_t p)
{
    size_t steps = between(5, 30);
    for (size_t s = 0; s < steps && W[p].n; s++) {
        /* spend the largest output */
        size_t best = 0;
        for (size_t i = 1; i < W[p].n; i++)
            if (W[p].u[i].value > W[p].u[best].value) best = i;
        utxo u = W[p].u[best];
        if (u.value < 2000000) return;
        W[p].u[best] = W[p].u[--W[p].n];
        tin[ntin++] = u;
        uint64_t pay = between(100000, u.value / 10), f = fee();
        add_out(recv_addr(random_person()), pay);
        add_out(new_addr(p, W[p].type), u.value - pay - f);
        shuffle_outs();
        emit("peel");
    }
}

#define POOL 1000000u
#define PREMIX (POOL + 300u)

static void tx0(void)
{
    uint32_t a = random_person();
    size_t n = between(1, 5);
    uint64_t sum, f = fee();
    if (!take(a, n * PREMIX + 50000 + f, 5, &sum)) return;
    add_out(0, 0);                                         /* the OP_RETURN */
    add_out(new_addr(coordinator, SL_SCRIPT_P2WPKH), 50000);
    for (size_t i = 0; i < n; i++) add_out(new_addr(a, SL_SCRIPT_P2WPKH), PREMIX);
    if (sum - n * PREMIX - 50000 - f >= 546) add_out(new_addr(a, W[a].type), sum - n * PREMIX - 50000 - f);
    emit("tx0");
}

/* an unspent output of w worth exactly v or in (v, v + slack] */
static bool take_exact(uint32_t w, uint64_t v, uint64_t slack)
{
    for (size_t i = 0; i < W[w].n; i++)
        if (W[w].u[i].value >= v && W[w].u[i].value <= v + slack && addr_type[W[w].u[i].addr] == SL_SCRIPT_P2WPKH) {
            tin[ntin++] = W[w].u[i];
            W[w].u[i] = W[w].u[--W[w].n];
            return true;
        }
    return false;
}

static void whirlpool(void)
{
    uint32_t who[5];
    size_t k = 0, tries = 0;
    bool remix = false;
    while (k < 5 && tries++ < 4000) {
        uint32_t a = random_person();
        bool dup = false;
        for (size_t i = 0; i < k; i++) dup |= who[i] == a;
        if (dup) continue;
        /* the first participant must be a remix (exactly the pool), as the coordinator requires */
        if (!remix ? take_exact(a, POOL, 0) : take_exact(a, POOL, 110000)) who[k++] = a, remix = true;
    }
    if (k < 5) {
        while (ntin) { utxo u = tin[--ntin]; wallet *x = &W[addr_owner[u.addr]]; x->u[x->n++] = u; }
        return;
    }
    for (size_t i = 0; i < 5; i++) add_out(new_addr(who[i], SL_SCRIPT_P2WPKH), POOL);
    shuffle_outs();
    emit("cj-whirlpool");
}

static void joinmarket(bool wasabi)
{
    size_t k = wasabi ? between(10, 30) : between(3, 8);
    uint64_t denom = wasabi ? 10000000 + between(0, 999999) : between(10, 200) * 100000 + between(0, 99999);
    uint32_t who[32];
    uint64_t paid[32];
    size_t got = 0, tries = 0;
    while (got < k && tries++ < 20000) {
        uint32_t a = random_person();
        if (wasabi && W[a].type != SL_SCRIPT_P2WPKH) continue;
        bool dup = false;
        for (size_t i = 0; i < got; i++) dup |= who[i] == a;
        if (dup) continue;
        uint64_t sum;
        if (!take(a, denom + 20000, 3, &sum)) continue;
        who[got] = a;
        paid[got++] = sum;
    }
    if (got < k) {
        while (ntin) { utxo u = tin[--ntin]; wallet *x = &W[addr_owner[u.addr]]; x->u = grow(x->u, &x->cap, x->n + 1, sizeof *x->u); x->u[x->n++] = u; }
        return;
    }
    bool sweep = !wasabi && below(3) == 0;
    for (size_t i = 0; i < k; i++) {
        add_out(new_addr(who[i], wasabi ? SL_SCRIPT_P2WPKH : W[who[i]].type), denom);
        uint64_t change = paid[i] - denom - (wasabi ? 3000 : 1000);
        if (!(sweep && i == 0) && change >= 546)
            add_out(new_addr(who[i], wasabi ? SL_SCRIPT_P2WPKH : W[who[i]].type), change);
    }
    if (wasabi) add_out(new_addr(coordinator, SL_SCRIPT_P2WPKH), 3000 * k - fee());
    shuffle_outs();
    emit(wasabi ? "cj-wasabi1" : "cj-joinmarket");
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: gen_wallets DIR [PERSONS [EVENTS [SEED]]]\n");
        return 2;
    }
    size_t persons = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    size_t events = argc > 3 ? strtoul(argv[3], NULL, 10) : 40000;
    rng = 0x9e3779b97f4a7c15ULL ^ (argc > 4 ? strtoull(argv[4], NULL, 10) : 1);
    char path[4096];
    snprintf(path, sizeof path, "%s/txs.csv", argv[1]);
    ftx = fopen(path, "w");
    if (!ftx) { perror(path); return 1; }
    fprintf(ftx, "tx,label,io,n,address,value,script_type,prev_tx,prev_n\n");

    size_t peelers = persons / 100 + 1;
    n_wallets = persons + 2 + peelers;
    W = calloc(n_wallets, sizeof *W);
    static const uint8_t types[] = {SL_SCRIPT_P2WPKH, SL_SCRIPT_P2PKH, SL_SCRIPT_P2SH, SL_SCRIPT_P2TR};
    for (size_t w = 0; w < n_wallets; w++) {
        uint64_t r = below(100);
        W[w].type = types[r < 60 ? 0 : r < 80 ? 1 : r < 95 ? 2 : 3];
        W[w].role = w < persons ? (below(100) < 15 ? REUSER : PERSON) : w == persons ? EXCHANGE
                  : w == persons + 1 ? COORDINATOR : PEELER;
        if (W[w].role == EXCHANGE || W[w].role == COORDINATOR) W[w].type = SL_SCRIPT_P2WPKH;
        if (W[w].role == REUSER) W[w].home = new_addr((uint32_t)w, W[w].type);
    }
    exchange = (uint32_t)persons;
    coordinator = (uint32_t)persons + 1;
    /* funding: one coinbase-like transaction per wallet */
    for (size_t w = 0; w < n_wallets; w++) {
        size_t k = W[w].role == EXCHANGE ? 200 : between(1, 3);
        for (size_t i = 0; i < k; i++) {
            uint64_t v = W[w].role == EXCHANGE ? 500000000 : W[w].role == PEELER ? 5000000000ull : between(1000000, 200000000);
            add_out(recv_addr((uint32_t)w), v);
        }
        if (W[w].role != COORDINATOR) emit("coinbase");
    }
    for (size_t e = 0; e < events; e++) {
        uint64_t r = below(1000);
        if (r < 700) payment();
        else if (r < 760) batch();
        else if (r < 820) consolidation();
        else if (r < 840) peel_chain((uint32_t)(persons + 2 + below(peelers)));
        else if (r < 880) tx0();
        else if (r < 950) whirlpool();
        else if (r < 990) joinmarket(false);
        else joinmarket(true);
    }
    if (fclose(ftx)) return 1;

    snprintf(path, sizeof path, "%s/truth.csv", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return 1; }
    fprintf(f, "address,owner,role\n");
    for (size_t a = 1; a <= n_addr; a++) fprintf(f, "%zu,%u,%s\n", a, addr_owner[a], ROLE[W[addr_owner[a]].role]);
    if (fclose(f)) return 1;
    fprintf(stderr, "gen_wallets: %zu wallets, %zu addresses, %u transactions\n", n_wallets, n_addr, n_tx);
    return 0;
}
