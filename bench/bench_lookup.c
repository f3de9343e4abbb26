/* bench_lookup.c — latency of transaction and address look-ups in a store, p50/p99/max,
 * beside a baseline measured in the same run: a plain store walk (one random record read in
 * the same mapped columns: the least any look-up costs).
 *
 * Picks N random txids and N random addresses that exist (uniform over tx ids and address
 * ids), then times, one by one:
 *   tx:    sl_btc_tx_find + every input (sl_btc_in_view) and output (sl_btc_out_get,
 *          sl_btc_outpoint_spender) of the tx found
 *   addr:  sl_btc_addr_lookup (totals) + the newest 100 txs of its history, for
 *          addresses picked uniformly over address ids (mostly used once) and for the
 *          addresses of uniformly picked outputs (weighted by use: the hot ones show up)
 *   walk:  one txs.col record at a random tx id / one addrs.col record at a random address id
 * Round 1 runs on whatever the page cache holds; the last round is the warm figure.
 *
 * usage: bench_lookup [--n N] [--rounds R] [--seed S] STORE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "sleuth/store.h"

static void report(const char *what, uint64_t *t, size_t n, double *p50_out)
{
    qsort(t, n, sizeof *t, cmp_u64);
    double p50 = t[n / 2] / 1e3, p99 = t[(size_t)(n * 0.99)] / 1e3, mx = t[n - 1] / 1e3;
    printf("  %-44s p50 %8.2f us  p99 %8.2f us  max %9.1f us\n", what, p50, p99, mx);
    if (p50_out) *p50_out = p50;
}

static volatile uint64_t sink;

/* Times sl_btc_addr_lookup + up to 100 history events for each address; returns the events walked. */
static uint64_t walk(const sl_store *s, const sl_btc_addr *addrs, uint64_t *t, size_t n)
{
    uint64_t n_ev = 0;
    for (size_t i = 0; i < n; i++) {
        sl_btc_addrstat st;
        uint64_t t0 = ns(), acc = 0, txs[100];
        size_t k;
        if (sl_btc_addr_lookup(s, &addrs[i], &st)) { fprintf(stderr, "bench_lookup: address %zu not found\n", i); exit(1); }
        k = sl_btc_addr_txs(s, st.id, 0, txs, 100, NULL);
        for (size_t q = 0; q < k; q++) acc += txs[q];
        n_ev += (uint64_t)k;
        t[i] = ns() - t0;
        sink += acc;
    }
    return n_ev;
}

int main(int argc, char **argv)
{
    size_t n = 100000;
    int rounds = 2;
    const char *dir = NULL;
    sl_store *s = NULL;
    sl_error e = {0};
    sl_hash256 *txids;
    sl_btc_addr *addrs, *waddrs;
    uint64_t *t_tx, *t_addr, *t_waddr, *t_rtx, *t_raddr, n_io = 0, n_ev = 0, n_wev = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) rng ^= strtoull(argv[++i], NULL, 10) * 0x2545f4914f6cdd1dULL;
        else if (argv[i][0] == '-') { fprintf(stderr, "usage: bench_lookup [--n N] [--rounds R] [--seed S] STORE_DIR\n"); return 2; }
        else dir = argv[i];
    }
    if (!dir || n == 0) { fprintf(stderr, "usage: bench_lookup [--n N] [--rounds R] [--seed S] STORE_DIR\n"); return 2; }
    txids = malloc(n * sizeof *txids);
    addrs = malloc(n * sizeof *addrs);
    waddrs = malloc(n * sizeof *waddrs);
    t_tx = malloc(n * 8), t_addr = malloc(n * 8), t_waddr = malloc(n * 8), t_rtx = malloc(n * 8), t_raddr = malloc(n * 8);
    if (!txids || !addrs || !waddrs || !t_tx || !t_addr || !t_waddr || !t_rtx || !t_raddr) return 1;

    /* the keys, picked from the store itself so every one exists */
    if (sl_store_open(&s, dir, SL_STORE_RDONLY, &e)) { fprintf(stderr, "bench_lookup: %s\n", e.msg); return 1; }
    {
        const sl_btc_meta *m = sl_btc_meta_get(s);
        if (m->n_tx == 0 || m->n_addr < 2) { fprintf(stderr, "bench_lookup: empty store\n"); return 1; }
        printf("bench_lookup: store %s: %llu txs, %llu addresses; %zu look-ups of each kind, %d rounds\n", dir,
               (unsigned long long)m->n_tx, (unsigned long long)m->n_addr - 1, n, rounds);
        for (size_t i = 0; i < n; i++) {
            txids[i] = *sl_btc_txid(s, rnd() % m->n_tx);
            if (sl_btc_addr_key(s, (uint32_t)(1 + rnd() % (m->n_addr - 1)), &addrs[i])) return 1;
            for (;;) {
                uint32_t a = sl_btc_out_addr(s, rnd() % m->n_out);
                if (a && sl_btc_addr_key(s, a, &waddrs[i]) == SL_OK) break;
            }
        }
    }
    sl_store_close(s);

    for (int r = 0; r < rounds; r++) {
        double raw_tx50, raw_a50, tx50, a50;
        /* the store's look-ups */
        if (sl_store_open(&s, dir, SL_STORE_RDONLY, &e)) { fprintf(stderr, "bench_lookup: %s\n", e.msg); return 1; }
        /* baseline: a plain store walk, one random record read (txs.col, addrs.col) each */
        {
            const sl_btc_meta *mm = sl_btc_meta_get(s);
            for (size_t i = 0; i < n; i++) {
                uint64_t id = rnd() % mm->n_tx, t0 = ns();
                sink += sl_btc_txid(s, id)->b[0];
                t_rtx[i] = ns() - t0;
            }
            for (size_t i = 0; i < n; i++) {
                sl_btc_addr a;
                uint32_t id = (uint32_t)(1 + rnd() % (mm->n_addr - 1));
                uint64_t t0 = ns();
                if (sl_btc_addr_key(s, id, &a) == SL_OK) sink += a.prog[0];
                t_raddr[i] = ns() - t0;
            }
        }
        n_io = n_ev = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t ids[4], t0 = ns(), acc = 0;
            int f = sl_btc_tx_find(s, &txids[i], ids, 4);
            if (f < 1) { fprintf(stderr, "bench_lookup: txid %zu not found\n", i); return 1; }
            {
                uint64_t t_first_in = sl_btc_tx_first_in(s, ids[f - 1]), t_first_out = sl_btc_tx_first_out(s, ids[f - 1]);
                uint32_t nin = sl_btc_tx_n_in(s, ids[f - 1]), nout = sl_btc_tx_n_out(s, ids[f - 1]);
                for (uint32_t k = 0; k < nin; k++) {
                    sl_btc_inview v;
                    sl_btc_in_view(s, t_first_in + k, &v);
                    acc += v.value + v.addr;
                }
                for (uint32_t k = 0; k < nout; k++) {
                    uint64_t in;
                    acc += sl_btc_out_value(s, t_first_out + k);
                    uint64_t stx;
                    uint32_t vin;
                    if (sl_btc_outpoint_spender(s, ids[f - 1], k, &stx, &vin) == SL_OK) acc += stx + vin;
                    (void)in;
                }
                n_io += nin + nout;
            }
            t_tx[i] = ns() - t0;
            sink += acc;
        }
        n_ev = walk(s, addrs, t_addr, n);
        n_wev = walk(s, waddrs, t_waddr, n);
        sl_store_close(s);
        printf("round %d%s:\n", r + 1, r == 0 ? " (page cache as found)" : " (warm)");
        report("store walk: one random txs.col record", t_rtx, n, &raw_tx50);
        report("tx: find + all inputs/outputs", t_tx, n, &tx50);
        report("store walk: one random addrs.col record", t_raddr, n, &raw_a50);
        report("addr: lookup + <=100 events (uniform)", t_addr, n, &a50);
        report("addr: lookup + <=100 events (output-weighted)", t_waddr, n, NULL);
        printf("  per tx %.1f inputs+outputs read; per address %.1f events walked (uniform), %.1f (output-weighted)\n",
               (double)n_io / n, (double)n_ev / n, (double)n_wev / n);
        printf("  RESULT round=%d tx_p50_over_raw=%.2f addr_p50_over_raw=%.2f\n", r + 1, tx50 / raw_tx50, a50 / raw_a50);
    }
    free(txids), free(addrs), free(waddrs), free(t_tx), free(t_addr), free(t_waddr), free(t_rtx), free(t_raddr);
    return 0;
}
