/* bench_cluster.c — speed of Bitcoin-family clustering (sleuth/cluster.h) on a store,
 * against baselines measured in the same run:
 *   build:       sl_cluster_build from scratch, multi-input (CoinJoin detection on, the
 *                evidence and the map written and fsynced): inputs per second (one core)
 *   floor 1:     reading the same (a, b) pairs from the store (the star edges of every
 *                transaction's input addresses, without CoinJoin detection)
 *   floor 2:     a bare union-find (path halving, union by size) over those pairs in
 *                memory: what the machine can do at all
 *   incremental: the store's last block rolled back (`sleuth rollback`), a build, the
 *                block ingested again (`sleuth ingest`), then the incremental build timed
 *   look-up:     sl_cluster_of for random address ids, p50/p99
 * Peak RSS (getrusage) is printed after each phase (it only grows). The builds also print
 * their CPU time (user + system, getrusage): on a machine shared with other work the
 * wall time stretches with the load, and inputs per CPU-second is the per-core figure.
 *
 * usage: bench_cluster [--lookups N] [--sleuth BIN] STORE_DIR [BLK_DIR]
 *   BLK_DIR: the blk*.dat the store was ingested from (regtest); without it the
 *   incremental phase is skipped. The store must be writable (the rollback).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "sleuth/cluster.h"
#include "sleuth/store.h"

static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* User + system CPU seconds of this process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline uint32_t find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) p[x] = p[p[x]], x = p[x];
    return x;
}

static int fail(const char *what, const sl_error *e)
{
    fprintf(stderr, "bench_cluster: %s: %s\n", what, e->msg);
    return 1;
}

/* The star pairs of every non-coinbase transaction's distinct input addresses. */
static uint32_t *read_pairs(const sl_store *s, uint64_t *n_pairs, uint64_t *n_in)
{
    const sl_btc_meta *m = sl_btc_meta_get(s);
    uint64_t cap = m->n_in * 2 + 2, n = 0;
    uint32_t *pairs = malloc(cap * sizeof *pairs);
    *n_in = 0;
    if (!pairs) return NULL;
    for (uint64_t tx = 0; tx < m->n_tx; tx++) {
        uint64_t fi = sl_btc_tx_first_in(s, tx);
        uint32_t ni = sl_btc_tx_n_in(s, tx), a0 = 0;
        if (sl_btc_tx_is_coinbase(s, tx)) continue;
        *n_in += ni;
        for (uint32_t k = 0; k < ni; k++) {
            uint32_t a;
            sl_btc_in_value(s, fi + k, &a);
            if (!a) continue;
            if (!a0) a0 = a;
            else if (a != a0) pairs[n++] = a0, pairs[n++] = a;
        }
    }
    *n_pairs = n / 2;
    return pairs;
}

int main(int argc, char **argv)
{
    const char *store = NULL, *blk = NULL, *bin = "build/sleuth";
    size_t lookups = 1000000;
    sl_store *s = NULL;
    sl_error e = {0};
    sl_cluster_build_report r;
    sl_cluster_opts o = sl_cluster_opts_default();
    const sl_btc_meta *m;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--lookups") && i + 1 < argc) lookups = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--sleuth") && i + 1 < argc) bin = argv[++i];
        else if (!store) store = argv[i];
        else blk = argv[i];
    }
    if (!store) {
        fprintf(stderr, "usage: bench_cluster [--lookups N] [--sleuth BIN] STORE_DIR [BLK_DIR]\n");
        return 2;
    }
    o.quiet = true;
    o.from_scratch = true;

    if (sl_store_open(&s, store, SL_STORE_RDONLY, &e)) return fail(store, &e);
    m = sl_btc_meta_get(s);
    printf("store %s: %llu blocks, %llu txs, %llu inputs, %llu addresses\n", store, (unsigned long long)m->n_blocks,
           (unsigned long long)m->n_tx, (unsigned long long)m->n_in, (unsigned long long)m->n_addr);

    { /* the build from scratch */
        double t0 = ns() / 1e9, c0 = cpu_s(), t, c;
        if (sl_cluster_build(s, &o, &r, &e)) return fail("build", &e);
        t = ns() / 1e9 - t0, c = cpu_s() - c0;
        printf("build (from scratch, multi-input):  %.2f s  %.2f M inputs/s  %.2f M txs/s; CPU %.2f s: %.2f M inputs per "
               "CPU-second  (%llu merges, %llu CoinJoins excluded, %llu clusters, largest %llu)  peak RSS %.0f MB\n",
               t, r.inputs / t / 1e6, (r.tx_to - r.tx_from) / t / 1e6, c, r.inputs / c / 1e6, (unsigned long long)r.merges,
               (unsigned long long)r.coinjoins, (unsigned long long)r.clusters, (unsigned long long)r.largest_size,
               peak_mb());
        {
            uint64_t np, nin;
            uint32_t *pairs, *p, *sz;
            double t1 = ns() / 1e9, tr, tu;
            pairs = read_pairs(s, &np, &nin);
            tr = ns() / 1e9 - t1;
            p = malloc((m->n_addr + 1) * sizeof *p), sz = malloc((m->n_addr + 1) * sizeof *sz);
            if (!pairs || !p || !sz) return fprintf(stderr, "out of memory\n"), 1;
            for (uint64_t x = 0; x <= m->n_addr; x++) p[x] = (uint32_t)x, sz[x] = 1;
            t1 = ns() / 1e9;
            uint64_t joins = 0;
            for (uint64_t k = 0; k < np; k++) {
                uint32_t a = find(p, pairs[2 * k]), b = find(p, pairs[2 * k + 1]);
                if (a == b) continue;
                if (sz[a] < sz[b]) { uint32_t x = a; a = b, b = x; }
                p[b] = a, sz[a] += sz[b], joins++;
            }
            tu = ns() / 1e9 - t1;
            printf("floor 1, reading the pairs:          %.2f s  %.2f M inputs/s (%llu pairs from %llu inputs)\n", tr,
                   nin / tr / 1e6, (unsigned long long)np, (unsigned long long)nin);
            printf("floor 2, bare union-find:            %.3f s  %.1f M pairs/s, %.1f M inputs/s-equivalent (%llu joins)\n",
                   tu, np / tu / 1e6, nin / tu / 1e6, (unsigned long long)joins);
            printf("ratio: build / (read + union-find) = %.2f;  build inputs/s / bare union-find inputs/s = %.3f\n",
                   t / (tr + tu), (r.inputs / t) / (nin / tu));
            free(pairs), free(p), free(sz);
        }
    }

    { /* look-ups */
        sl_cluster *cl;
        uint64_t *t = malloc(lookups * sizeof *t), sum = 0;
        if (!t) return 1;
        if (sl_cluster_open(s, &cl, &e)) return fail("open", &e);
        for (size_t i = 0; i < lookups; i++) {
            sl_addr_ref a = {SL_CHAIN_BTC, (uint32_t)(1 + rnd() % m->n_addr)};
            uint32_t id;
            uint64_t size, t0 = ns();
            if (sl_cluster_of(cl, a, &id, &size)) return 1;
            t[i] = ns() - t0;
            sum += id + size;
        }
        qsort(t, lookups, sizeof *t, cmp_u64);
        printf("sl_cluster_of (random address ids, %zu):  p50 %llu ns  p99 %llu ns  max %llu ns  (clock overhead "
               "included; checksum %llu)\n",
               lookups, (unsigned long long)t[lookups / 2], (unsigned long long)t[(size_t)(lookups * 0.99)],
               (unsigned long long)t[lookups - 1], (unsigned long long)(sum & 0xffff));
        sl_cluster_close(cl);
        free(t);
    }
    sl_store_close(s);

    if (blk) { /* one new block, incrementally */
        char cmd[2048];
        uint32_t h;
        double t0, t, c0;
        if (sl_store_open(&s, store, SL_STORE_RDONLY, &e)) return fail(store, &e);
        h = sl_btc_block_at(s, sl_btc_meta_get(s)->max_height_block)->height;
        sl_store_close(s);
        snprintf(cmd, sizeof cmd, "%s rollback --quiet --store %s --chain btc --to %u", bin, store, h - 1);
        if (system(cmd)) return fprintf(stderr, "failed: %s\n", cmd), 1;
        if (sl_store_open(&s, store, SL_STORE_RDONLY, &e)) return fail(store, &e);
        o.from_scratch = false;
        if (sl_cluster_build(s, &o, &r, &e)) return fail("build", &e);
        printf("after `rollback --to %u`: build from scratch (%s) %.2f s\n", h - 1, r.why, r.seconds);
        sl_store_close(s);
        snprintf(cmd, sizeof cmd, "%s ingest btc --quiet --network regtest --store %s %s >/dev/null", bin, store, blk);
        if (system(cmd)) return fprintf(stderr, "failed: %s\n", cmd), 1;
        if (sl_store_open(&s, store, SL_STORE_RDONLY, &e)) return fail(store, &e);
        t0 = ns() / 1e9, c0 = cpu_s();
        if (sl_cluster_build(s, &o, &r, &e)) return fail("build", &e);
        t = ns() / 1e9 - t0;
        printf("incremental build of one block (%llu txs, %llu inputs, %s): %.1f ms (CPU %.1f ms)\n",
               (unsigned long long)(r.tx_to - r.tx_from), (unsigned long long)r.inputs,
               r.from_scratch ? "FROM SCRATCH?" : "incremental", t * 1e3, (cpu_s() - c0) * 1e3);
        sl_store_close(s);
    }
    printf("peak RSS %.0f MB\n", peak_mb());
    return 0;
}
