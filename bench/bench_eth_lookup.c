/* bench_eth_lookup.c — latency of account-chain look-ups in a store, p50/p99/max:
 *   tx:       sl_eth_tx_find of a random stored tx hash
 *   account:  sl_eth_acct_lookup (counts, first and last seen) + sl_eth_balances (every
 *             asset), for accounts picked uniformly over account ids (mostly short
 *             histories) and for the receivers of uniformly picked flows (weighted by use:
 *             the miners, token contracts and hot senders show up)
 *   walk:     the same accounts' balances, counts and times worked out from their whole
 *             history instead (every flow read): what a store without per-(account, asset)
 *             balance records would pay per look-up (docs/DECISIONS.md)
 * Only the read API common to every store layout is used for tx and account (so the
 * previous build's library can be benchmarked on its own store in the same run); the walk
 * needs sl_eth_acct_each_flow (layout 2).
 *
 * usage: bench_eth_lookup [--n N] [--chain NAME] STORE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "sleuth/eth_store.h"

static void report(const char *what, uint64_t *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_u64);
    printf("  %-34s p50 %9.2f us  p99 %9.2f us  max %10.2f us  (n=%zu)\n", what, t[n / 2] / 1e3, t[n * 99 / 100] / 1e3,
           t[n - 1] / 1e3, n);
}

static void on_balance(void *ctx, uint32_t asset, const sl_u256 *in, const sl_u256 *out)
{
    (void)asset;
    *(uint64_t *)ctx += in->w[0] ^ out->w[0];
}

#ifdef SL_ETH_LAYOUT
typedef struct walk {
    const sl_eth_chain *c;
    uint32_t acct;
    uint64_t n_in, n_out, tmin, tmax, sum;
} walk;

static int walk_flow(void *ctx, uint64_t flow)
{
    walk *w = ctx;
    const sl_eth_flowrec *f = sl_eth_flow_at(w->c, flow);
    uint64_t t = sl_eth_block_at(w->c, f->block)->time;
    sl_u256 v;
    sl_eth_flow_amount(w->c, f, &v);
    if (f->to == w->acct) w->n_in++, w->sum += v.w[0] + f->asset;
    if (f->from == w->acct) w->n_out++, w->sum -= v.w[0] + f->asset;
    if (t < w->tmin) w->tmin = t;
    if (t > w->tmax) w->tmax = t;
    return 0;
}
#endif

int main(int argc, char **argv)
{
    size_t n = 20000;
    const char *dir = NULL, *chain = "ethereum";
    sl_store *s;
    sl_eth_chain *c;
    sl_error e = {0};
    const sl_eth_meta *m;
    uint64_t *t, sink = 0;
    uint32_t *acct;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--chain") && i + 1 < argc) chain = argv[++i];
        else dir = argv[i];
    }
    if (!dir || !n) {
        fprintf(stderr, "usage: bench_eth_lookup [--n N] [--chain NAME] STORE_DIR\n");
        return 2;
    }
    if (sl_store_open(&s, dir, SL_STORE_RDONLY, &e) || sl_eth_chain_open(s, chain, &c, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    m = sl_eth_meta_get(c);
    if (m->n_tx == 0 || m->n_flows == 0 || m->n_accts <= SL_SINK_N) {
        fprintf(stderr, "%s: no txs, flows or accounts\n", dir);
        return 1;
    }
    printf("store %s: %llu txs, %llu flows, %llu accounts\n", dir, (unsigned long long)m->n_tx,
           (unsigned long long)m->n_flows, (unsigned long long)m->n_accts - SL_SINK_N);
    t = malloc(n * sizeof *t);
    acct = malloc(n * sizeof *acct);
    for (size_t i = 0; i < n; i++) {
        sl_hash256 h = sl_eth_tx_at(c, rnd() % m->n_tx)->hash;
        uint64_t id, t0 = ns();
        if (sl_eth_tx_find(c, &h, &id)) return 1;
        t[i] = ns() - t0;
    }
    report("tx: find by hash", t, n);
    for (int pick = 0; pick < 2; pick++) {
        for (size_t i = 0; i < n; i++) {
            if (pick == 0) {
                acct[i] = SL_SINK_N + (uint32_t)(rnd() % (m->n_accts - SL_SINK_N));
            } else {
                const sl_eth_flowrec *f;
                do f = sl_eth_flow_at(c, rnd() % m->n_flows);
                while (f->to < SL_SINK_N);
                acct[i] = f->to;
            }
        }
        for (size_t i = 0; i < n; i++) {
            sl_eth_addr a;
            sl_eth_acctstat st;
            uint64_t t0 = ns();
            if (!sl_eth_acct_addr(c, acct[i], &a) || sl_eth_acct_lookup(c, &a, &st) ||
                sl_eth_balances(c, st.id, on_balance, &sink))
                return 1;
            t[i] = ns() - t0;
            sink += st.n_in;
        }
        report(pick ? "account (by use): look-up + balances" : "account (by id): look-up + balances", t, n);
#ifdef SL_ETH_LAYOUT
        for (size_t i = 0; i < n; i++) {
            walk w = {c, acct[i], 0, 0, UINT64_MAX, 0, 0};
            uint64_t t0 = ns();
            if (sl_eth_acct_each_flow(c, acct[i], false, walk_flow, &w)) return 1;
            t[i] = ns() - t0;
            sink += w.sum;
        }
        report(pick ? "account (by use): history walk" : "account (by id): history walk", t, n);
#endif
    }
    fprintf(stderr, "(%llu)\n", (unsigned long long)sink);
    free(t);
    free(acct);
    sl_store_close(s);
    return 0;
}
