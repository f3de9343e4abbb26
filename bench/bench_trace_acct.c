/* bench_trace_acct.c — tracing speed on an account-chain store (issues 4 and 10 on
 * Ethereum): forward and backward traces from one transaction under every policy through
 * the one engine (trace.h over the flow view), reporting
 * accounts visited, flows routed per second and the time, beside the baseline of reading
 * the same number of flow records (with their amounts) in the same run.
 *
 *   build/bench/bench_trace_acct STORE [TX_ID] [MAX_NODES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sleuth/eth_store.h"
#include "sleuth/flow.h"
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

int main(int argc, char **argv)
{
    sl_store *s;
    sl_eth_chain *c;
    sl_flow_set *fs;
    sl_error e = {0};
    uint64_t txid = argc > 2 ? strtoull(argv[2], NULL, 10) : 0, maxn = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
    uint64_t most = 0;
    sl_trace_source src = {0};
    if (argc < 2) { fprintf(stderr, "usage: bench_trace_acct STORE [TX_ID] [MAX_NODES]\n"); return 2; }
    if (sl_store_open(&s, argv[1], SL_STORE_RDONLY, &e) || sl_eth_chain_open(s, "ethereum", &c, &e) ||
        sl_flow_set_open(&fs, s, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    src.chain = SL_CHAIN_ETHEREUM, src.kind = SL_SOURCE_TX, src.tx = txid, src.index = -1;
    printf("store %s: %llu txs, %llu flows; source: tx #%llu\n", argv[1], (unsigned long long)sl_eth_meta_get(c)->n_tx,
           (unsigned long long)sl_eth_meta_get(c)->n_flows, (unsigned long long)txid);
    printf("%-8s %-9s %10s %10s %8s %12s\n", "policy", "direction", "accounts", "flows", "cpu-s", "flows/s");
    for (int dir = 0; dir < 2; dir++)
        for (int p = 0; p < 5; p++) {
            sl_trace_params prm = {0};
            sl_trace_result r;
            double t0, dt;
            prm.policy = (sl_policy)p;
            prm.backward = dir;
            prm.max_nodes = maxn;
            t0 = cpu_now();
            if (sl_trace_run(fs, &src, &prm, &r, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
            dt = cpu_now() - t0;
            printf("%-8s %-9s %10llu %10llu %8.3f %12.0f   %s\n", sl_policy_name(prm.policy), dir ? "backward" : "forward",
                   (unsigned long long)r.pools_visited, (unsigned long long)r.flows_routed, dt, r.flows_routed / dt,
                   sl_trace_balanced(&r.totals[0]) ? "balanced" : "BROKEN");
            if (r.flows_routed > most) most = r.flows_routed;
            sl_trace_free(&r);
        }
    {
        double t0 = cpu_now(), dt;
        unsigned __int128 sum = 0;
        uint64_t n = most < sl_eth_meta_get(c)->n_flows ? most : sl_eth_meta_get(c)->n_flows;
        for (uint64_t i = 0; i < n; i++) {
            sl_u256 v;
            sl_eth_flow_amount(c, sl_eth_flow_at(c, (i * 2654435761u) % sl_eth_meta_get(c)->n_flows), &v);
            sum += v.w[0];
        }
        dt = cpu_now() - t0;
        printf("%-8s %-9s %10s %10llu %8.3f %12.0f   (random flow reads, checksum %llu)\n", "baseline", "-", "-",
               (unsigned long long)n, dt, n / dt, (unsigned long long)(sum & 0xffff));
    }
    sl_flow_set_close(fs);
    sl_store_close(s);
    return 0;
}
