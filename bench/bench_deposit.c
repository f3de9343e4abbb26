/* bench_deposit.c — precision, recall and speed of deposit-address clustering
 * (include/sleuth/deposit.h) on a chain whose owners are known: a store ingested from
 * bench/gen_deposit.c's output and its truth.csv. Not part of `make test`.
 *
 *   bench_deposit STORE TRUTH.csv
 *
 * Precision: of the deposit -> hot wallet edges reported, the share whose deposit address
 * truly belongs to the exchange of that hot wallet. Recall: of the true deposit addresses
 * that were swept into their hot wallet inside the chain (the denominator is counted from
 * the flows; a payment whose sweep falls after the last block cannot be found), the share
 * reported with the right hot wallet. Customer links: the share whose customer is truly
 * not of the exchange (no exchange address among them). Speed: flows per second of the
 * scan against a plain walk over the same flows (read each flow record, its block and its
 * amount) in the same run. Printed for the defaults and a few other settings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sleuth/deposit.h"
#include "sleuth/eth_store.h"
#include "sleuth/hashtab.h"
#include "sleuth/store.h"

enum { R_NONE = 0, R_HOT, R_DEPOSIT, R_FUNDER, R_MERCHANT, R_ROUTER };

typedef struct truth {
    sl_ht role;          /* account id -> role << 32 | (owner + 1) */
} truth;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int load_truth(truth *T, const sl_eth_chain *c, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (!f) { perror(path); return 1; }
    if (!fgets(line, sizeof line, f)) { fclose(f); return 1; }
    while (fgets(line, sizeof line, f)) {
        char *a = strtok(line, ","), *r = strtok(NULL, ","), *o = strtok(NULL, ",\n");
        sl_eth_addr ad;
        sl_eth_acctstat st;
        int role = !r ? 0 : !strcmp(r, "hot") ? R_HOT : !strcmp(r, "deposit") ? R_DEPOSIT : !strcmp(r, "funder") ? R_FUNDER
                 : !strcmp(r, "merchant") ? R_MERCHANT : !strcmp(r, "router") ? R_ROUTER : 0;
        if (!a || !o || !role || !sl_eth_addr_parse(&ad, a) || sl_eth_acct_lookup(c, &ad, &st)) continue;
        uint64_t v = (uint64_t)role << 32 | (uint32_t)(atoi(o) + 1);
        if (sl_ht_set(&T->role, &st.id, sizeof st.id, v)) { fclose(f); return 1; }
    }
    fclose(f);
    return 0;
}

static int role_of(const truth *T, uint32_t id, int *owner)
{
    uint64_t v;
    if (!sl_ht_get(&T->role, &id, sizeof id, &v)) { *owner = -1; return R_NONE; }
    *owner = (int)(uint32_t)v - 1;
    return (int)(v >> 32);
}

typedef struct tally {
    const truth *T;
    uint64_t edges, right, customers, customers_right;
    sl_ht found;         /* deposit id -> 1, when right */
} tally;

static int on_deposit(void *ctx, const sl_deposit *d)
{
    tally *t = ctx;
    int od, oh, rd = role_of(t->T, d->deposit.id, &od), rh = role_of(t->T, d->hot.id, &oh);
    t->edges++;
    if (rd == R_DEPOSIT && rh == R_HOT && od == oh) {
        t->right++;
        return sl_ht_set(&t->found, &d->deposit.id, sizeof d->deposit.id, 1);
    }
    return SL_OK;
}

static int on_customer(void *ctx, const sl_deposit_customer *c)
{
    tally *t = ctx;
    int o, r = role_of(t->T, c->customer.id, &o);
    t->customers++;
    t->customers_right += r != R_HOT && r != R_DEPOSIT && r != R_FUNDER;
    return SL_OK;
}

int main(int argc, char **argv)
{
    sl_store *s = NULL;
    sl_eth_chain *c;
    sl_error e = {0};
    truth T = {{0}};
    if (argc != 3) { fprintf(stderr, "usage: bench_deposit STORE TRUTH.csv\n"); return 2; }
    if (sl_store_open(&s, argv[1], SL_STORE_RDONLY, &e) || sl_eth_chain_open(s, "ethereum", &c, &e)) {
        fprintf(stderr, "bench_deposit: %s\n", e.msg);
        return 1;
    }
    if (load_truth(&T, c, argv[2])) return 1;
    const sl_eth_meta *m = sl_eth_meta_get(c);

    /* the denominator: true deposits swept into their own exchange's hot wallet */
    sl_ht swept = {0};
    for (uint64_t id = 0; id < m->n_flows; id++) {
        const sl_eth_flowrec *f = sl_eth_flow_at(c, id);
        int od, oh;
        if (role_of(&T, f->from, &od) == R_DEPOSIT && role_of(&T, f->to, &oh) == R_HOT && od == oh &&
            sl_ht_set(&swept, &f->from, sizeof f->from, 1))
            return 1;
    }
    uint64_t n_swept = sl_ht_count(&swept);

    /* the baseline: a plain walk over the same flows */
    double t0 = now(), walk = 0;
    uint64_t sink = 0;
    for (int rep = 0; rep < 3; rep++) {
        t0 = now();
        uint32_t bi = UINT32_MAX;
        for (uint64_t id = 0; id < m->n_flows; id++) {
            const sl_eth_flowrec *f = sl_eth_flow_at(c, id);
            sl_u256 a;
            if (f->block != bi) bi = f->block, sink += sl_eth_block_at(c, bi)->number;
            sl_eth_flow_amount(c, f, &a);
            sink += f->from ^ f->to ^ a.w[0];
        }
        double dt = now() - t0;
        if (!rep || dt < walk) walk = dt;
    }
    printf("chain: %" PRIu64 " flows, %" PRIu64 " blocks, %" PRIu64 " accounts; %" PRIu64
           " true deposit addresses swept into their hot wallet (walk checksum %" PRIu64 ")\n",
           m->n_flows, m->n_blocks, m->n_accts, n_swept, sink & 0xff);
    printf("plain walk: %.3f s, %.1f M flows/s\n\n", walk, m->n_flows / walk / 1e6);

    static const struct { const char *name; uint32_t k, payees, senders; uint64_t tau; } RUNS[] = {
        {"defaults (tau 3200, alpha 0.01 ETH, k 3, payees 3, senders 8)", 3, 3, 8, 3200},
        {"k 1, no payee test (the bare rule with its other guards)", 1, 0, 8, 3200},
        {"k 3, no payee test", 3, 0, 8, 3200},
        {"k 10, payees 10", 10, 10, 8, 3200},
        {"k 3, payees 16", 3, 16, 8, 3200},
        {"defaults, tau 600", 3, 3, 8, 600},
    };
    printf("%-66s %9s %9s %8s %8s %9s %8s\n", "setting", "precision", "recall", "edges", "hot", "customers", "Mflows/s");
    for (size_t i = 0; i < sizeof RUNS / sizeof *RUNS; i++) {
        sl_deposit_params p;
        sl_deposit_stats st;
        tally t = {&T, 0, 0, 0, 0, {0}};
        sl_deposit_out out = {NULL, on_deposit, on_customer, &t};
        sl_deposit_params_init(&p, "ethereum");
        p.min_deposits = RUNS[i].k, p.min_payees = RUNS[i].payees, p.max_senders = RUNS[i].senders;
        p.tau = RUNS[i].tau;
        double a = now();
        if (sl_deposit_scan(s, "ethereum", &p, &out, &st, &e)) { fprintf(stderr, "bench_deposit: %s\n", e.msg); return 1; }
        double dt = now() - a;
        printf("%-66s %9.4f %9.4f %8" PRIu64 " %8" PRIu64 " %9.4f %8.1f\n", RUNS[i].name,
               t.edges ? (double)t.right / t.edges : 1.0, n_swept ? (double)sl_ht_count(&t.found) / n_swept : 1.0,
               t.edges, st.hot_wallets, t.customers ? (double)t.customers_right / t.customers : 1.0,
               m->n_flows / dt / 1e6);
        if (i == 0)
            fprintf(stderr, "defaults: %.3f s (%.2fx the plain walk); window peak %" PRIu64 " entries, %" PRIu64
                    " candidates, matched %" PRIu64 ", pass-through %" PRIu64 "\n",
                    dt, dt / walk, st.window_peak, st.candidates, st.matches, st.same_tx);
        sl_ht_free(&t.found);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\npeak RSS %.1f MB (store mapped, truth table included)\n", ru.ru_maxrss / 1024.0);
    sl_ht_free(&swept);
    sl_ht_free(&T.role);
    sl_store_close(s);
    return 0;
}
