/* bench_trace.c — tracing speed on a Bitcoin store (issues 4 and 10): forward traces
 * from an early coinbase under poison, haircut, fifo and tiho side by side through the
 * one engine (trace.h over the flow view, flow.h), reporting pools (txs) split per
 * second, flow steps (tainted outputs routed) per second, and the memory the trace itself
 * allocated (peak RSS growth), against the baseline of walking the same number of
 * transactions' inputs and outputs in the store without any taint logic.
 *
 *   build/bench/bench_trace STORE [HEIGHT] [MAX_NODES] [POLICY]   (POLICY: only that one, for a profile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sleuth/flow.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"
#include "sleuth/util.h"

/* CPU seconds of this thread: the machine is shared, and CPU time moves less than wall
 * time when another process runs (the caches are still shared: compare ratios of one run). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

int main(int argc, char **argv)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_error e = {0};
    uint32_t height = argc > 2 ? (uint32_t)atoi(argv[2]) : 1, bidx;
    uint64_t max_nodes = argc > 3 ? strtoull(argv[3], NULL, 10) : 5000000;
    sl_trace_source src = {0};
    if (argc < 2) { fprintf(stderr, "usage: bench_trace STORE [HEIGHT] [MAX_NODES]\n"); return 2; }
    if (sl_store_open(&s, argv[1], SL_STORE_RDONLY, &e) || sl_flow_set_open(&fs, s, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    if (sl_btc_block_by_height(s, height, &bidx)) { fprintf(stderr, "no block at height %u\n", height); return 1; }
    src.chain = SL_CHAIN_BTC, src.kind = SL_SOURCE_TX, src.index = -1;
    src.tx = sl_btc_block_at(s, bidx)->first_tx;
    printf("store %s: %llu txs; source: coinbase of height %u\n", argv[1],
           (unsigned long long)sl_btc_meta_get(s)->n_tx, height);
    printf("%-8s %10s %10s %8s %12s %12s %10s\n", "policy", "pools", "flows", "cpu-s", "pools/s", "flows/s", "rss+MB");
    uint64_t walked_pools = 0;
    for (int p = 0; p < 4; p++) {
        sl_policy pol = p == 0 ? SL_POLICY_POISON : p == 1 ? SL_POLICY_HAIRCUT : p == 2 ? SL_POLICY_FIFO : SL_POLICY_TIHO;
        sl_trace_params prm = {0};
        sl_trace_result r;
        long before = rss_kb();
        if (argc > 4 && strcmp(argv[4], sl_policy_name(pol))) continue;
        double t0, dt;
        prm.policy = pol;
        prm.max_nodes = max_nodes;
        prm.no_edges = true; /* the engine's own work; the CLI keeps the subgraph for --json/--graph */
        t0 = cpu_now();
        if (sl_trace_run(fs, &src, &prm, &r, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        dt = cpu_now() - t0;
        uint64_t flows = r.flows_routed;
        printf("%-8s %10llu %10llu %8.2f %12.0f %12.0f %10.0f   conservation %s\n", sl_policy_name(pol),
               (unsigned long long)r.pools_visited, (unsigned long long)flows, dt, r.pools_visited / dt, flows / dt,
               (rss_kb() - before) / 1024.0,
               sl_trace_balanced(&r.totals[0]) ? "ok" : "BROKEN");
        if (pol == SL_POLICY_HAIRCUT) walked_pools = r.pools_visited;
        sl_trace_free(&r);
    }
    /* baseline: read the same number of pools' inputs and outputs (resolved views, spent-by),
     * in tx-id order from the first tx, no taint bookkeeping */
    {
        double t0 = cpu_now(), dt;
        uint64_t steps = 0, sum = 0;
        for (uint64_t tx = 0; tx < walked_pools && tx < sl_btc_meta_get(s)->n_tx; tx++) {
            uint64_t t_first_in = sl_btc_tx_first_in(s, tx), t_first_out = sl_btc_tx_first_out(s, tx);
            uint32_t ni = sl_btc_tx_n_in(s, tx), no = sl_btc_tx_n_out(s, tx);
            for (uint32_t j = 0; j < ni; j++) {
                uint32_t addr;
                sum += sl_btc_in_value(s, t_first_in + j, &addr);
            }
            for (uint32_t k = 0; k < no; k++) {
                uint64_t stx;
                uint32_t vin;
                sum += sl_btc_out_value(s, t_first_out + k);
                if (sl_btc_outpoint_spender(s, tx, k, &stx, &vin) == SL_OK) sum += stx + vin, steps++;
            }
        }
        dt = cpu_now() - t0;
        printf("%-8s %10llu %10llu %8.2f %12.0f %12.0f   (store walk, no taint; checksum %llu)\n", "baseline",
               (unsigned long long)walked_pools, (unsigned long long)steps, dt, walked_pools / dt, steps / dt,
               (unsigned long long)(sum & 0xffff));
    }
    sl_flow_set_close(fs);
    sl_store_close(s);
    return 0;
}
