/* bench_heuristics.c — precision and recall of the clustering heuristics on a world whose
 * owners are known (bench/gen_wallets.c), printed as the Markdown tables of
 * docs/CLUSTERING.md "Precision and recall".
 *
 *   gen_wallets DIR && bench_heuristics DIR
 *
 * Reads DIR/truth.csv and DIR/txs.csv, derives what the store would know of every output
 * (first appearance of its address, whether the address receives again later, whether the
 * transaction that made or spends it has 1 input and 2 outputs), builds one sl_txv per
 * transaction and runs the library's detectors on it:
 *   - CoinJoin detectors: precision and recall on the generated CoinJoins (labels cj-*),
 *     per label how each kind of transaction was classified (batches must stay NONE);
 *   - merge edges: multi-input (inputs of one transaction, CoinJoins excluded; and without
 *     the exclusion, to show what it prevents) and each change heuristic alone (the
 *     change output joined to the first input), each edge right when both addresses have
 *     one owner: edge precision;
 *   - clusters: a union-find over multi-input plus each change heuristic, scored pairwise
 *     against the owners (precision: pairs put together that share an owner; recall: pairs
 *     sharing an owner that were put together).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/knowledge.h"

static const char *const LABELS[] = {"coinbase", "payment", "deposit", "batch", "consolidation", "peel",
                                     "tx0", "cj-whirlpool", "cj-joinmarket", "cj-wasabi1"};
#define N_LABELS (sizeof LABELS / sizeof *LABELS)

typedef struct row_in { uint32_t addr, prev_tx, prev_n; uint64_t value; uint8_t type; } row_in;
typedef struct row_out { uint32_t addr; uint64_t value; uint8_t type; } row_out;
typedef struct txrec { uint32_t first_in, n_in, first_out, n_out; uint8_t label; } txrec;

static txrec *T;
static row_in *RI;
static row_out *RO;
static size_t n_tx, n_ri, n_ro, cap_tx, cap_ri, cap_ro;
static uint32_t *owner;   /* by address */
static bool *service;     /* by address: the owner is the exchange or the coordinator */
static size_t n_addr;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need) c *= 2;
    if (!(p = realloc(p, c * size))) exit(2);
    *cap = c;
    return p;
}

static int load(const char *dir)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return perror(path), 1;
    size_t cap = 0;
    if (!fgets(line, sizeof line, f)) return 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, o;
        char role[32];
        if (sscanf(line, "%lu,%lu,%31s", &a, &o, role) != 3) return fprintf(stderr, "%s: bad line\n", path), 1;
        size_t c = cap;
        owner = grow(owner, &cap, a + 1, sizeof *owner);
        if (c != cap && !(service = realloc(service, cap * sizeof *service))) return 2;
        owner[a] = (uint32_t)o;
        service[a] = !strcmp(role, "exchange") || !strcmp(role, "coordinator");
        if (a > n_addr) n_addr = a;
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/txs.csv", dir);
    if (!(f = fopen(path, "r"))) return perror(path), 1;
    if (!fgets(line, sizeof line, f)) return 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long tx, n, addr, type, ptx = 0, pn = 0;
        unsigned long long value;
        char label[32], io[4];
        if (sscanf(line, "%lu,%31[^,],%3[^,],%lu,%lu,%llu,%lu,%lu,%lu", &tx, label, io, &n, &addr, &value, &type, &ptx,
                   &pn) < 7)
            return fprintf(stderr, "%s: bad line %s", path, line), 1;
        if (tx > n_tx) {   /* a new transaction (rows come grouped, ids from 1) */
            T = grow(T, &cap_tx, tx + 1, sizeof *T);
            n_tx = tx;
            T[tx] = (txrec){.first_in = (uint32_t)n_ri, .first_out = (uint32_t)n_ro};
            for (size_t l = 0; l < N_LABELS; l++)
                if (!strcmp(label, LABELS[l])) T[tx].label = (uint8_t)l;
        }
        if (!strcmp(io, "in")) {
            RI = grow(RI, &cap_ri, n_ri + 1, sizeof *RI);
            RI[n_ri++] = (row_in){(uint32_t)addr, (uint32_t)ptx, (uint32_t)pn, value, (uint8_t)type};
            T[tx].n_in++;
        } else {
            RO = grow(RO, &cap_ro, n_ro + 1, sizeof *RO);
            RO[n_ro++] = (row_out){(uint32_t)addr, value, (uint8_t)type};
            T[tx].n_out++;
        }
    }
    fclose(f);
    return 0;
}

/* ---- union-find (path halving, union by size) ---- */
static uint32_t *parent, *usize;
static void uf_reset(void)
{
    for (size_t a = 0; a <= n_addr; a++) parent[a] = (uint32_t)a, usize[a] = 1;
}
static uint32_t uf_find(uint32_t a)
{
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
}
static void uf_union(uint32_t a, uint32_t b)
{
    a = uf_find(a), b = uf_find(b);
    if (a == b) return;
    if (usize[a] < usize[b]) { uint32_t t = a; a = b; b = t; }
    parent[b] = a;
    usize[a] += usize[b];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pairs(uint64_t n) { return n * (n - 1) / 2; }

/* pairwise precision and recall of the current union-find against the owners; with
 * individuals_only, the addresses of the exchange and the coordinator are left out */
static void score(double *precision, double *recall, size_t *clusters, bool individuals_only)
{
    uint64_t *k = malloc((n_addr + 1) * sizeof *k), *r = malloc((n_addr + 1) * sizeof *r),
             *o = malloc((n_addr + 1) * sizeof *o);
    size_t n = 0;
    for (size_t a = 1; a <= n_addr; a++) {
        if (individuals_only && service[a]) continue;
        uint64_t root = uf_find((uint32_t)a);
        k[n] = root << 32 | owner[a], r[n] = root, o[n] = owner[a], n++;
    }
    uint64_t tp = 0, pred = 0, truth = 0;
    uint64_t *arr[3] = {k, r, o}, *sum[3] = {&tp, &pred, &truth};
    *clusters = 0;
    for (int j = 0; j < 3; j++) {
        qsort(arr[j], n, sizeof *k, cmp_u64);
        for (size_t i = 0; i < n;) {
            size_t e = i;
            while (e < n && arr[j][e] == arr[j][i]) e++;
            *sum[j] += pairs(e - i);
            if (j == 1) ++*clusters;
            i = e;
        }
    }
    *precision = pred ? (double)tp / (double)pred : 1.0;
    *recall = truth ? (double)tp / (double)truth : 1.0;
    free(k), free(r), free(o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_heuristics DIR   (DIR from gen_wallets)\n");
        return 2;
    }
    if (load(argv[1])) return 1;

    /* what the store knows of every address and output */
    uint32_t *first_seen = calloc(n_addr + 1, sizeof *first_seen), *last_recv = calloc(n_addr + 1, sizeof *last_recv);
    uint32_t *spent_by = calloc(n_ro, sizeof *spent_by);
    for (size_t t = 1; t <= n_tx; t++) {
        for (uint32_t i = 0; i < T[t].n_out; i++) {
            uint32_t a = RO[T[t].first_out + i].addr;
            if (!first_seen[a]) first_seen[a] = (uint32_t)t;
            last_recv[a] = (uint32_t)t;
        }
        for (uint32_t i = 0; i < T[t].n_in; i++) {
            const row_in *r = &RI[T[t].first_in + i];
            spent_by[T[r->prev_tx].first_out + r->prev_n] = (uint32_t)t;
        }
    }
#define PEEL_SHAPE(tx) ((tx) && T[tx].n_in == 1 && T[tx].n_out == 2)
    sl_txv *V = calloc(n_tx + 1, sizeof *V);
    sl_txv_in *vin = calloc(n_ri, sizeof *vin);
    sl_txv_out *vout = calloc(n_ro, sizeof *vout);
    for (size_t t = 1; t <= n_tx; t++) {
        for (uint32_t i = 0; i < T[t].n_in; i++) {
            const row_in *r = &RI[T[t].first_in + i];
            vin[T[t].first_in + i] = (sl_txv_in){.addr = {0, r->addr}, .value = r->value, .script_type = r->type,
                                                 .from_peel = PEEL_SHAPE(r->prev_tx)};
        }
        for (uint32_t i = 0; i < T[t].n_out; i++) {
            size_t x = T[t].first_out + i;
            const row_out *r = &RO[x];
            vout[x] = (sl_txv_out){.addr = {0, r->addr}, .value = r->value, .script_type = r->type,
                                   .fresh = r->addr && first_seen[r->addr] == t,
                                   .reused = r->addr && last_recv[r->addr] > t, .to_peel = PEEL_SHAPE(spent_by[x])};
        }
        V[t] = (sl_txv){.tx = {0, t}, .height = 800000, .in = vin + T[t].first_in, .n_in = T[t].n_in,
                        .out = vout + T[t].first_out, .n_out = T[t].n_out};
    }

    /* ---- CoinJoin detectors ---- */
    size_t by[N_LABELS][SL_CJ_JOINMARKET + 1] = {{0}}, count[N_LABELS] = {0};
    sl_coinjoin_kind *kind = calloc(n_tx + 1, sizeof *kind);
    for (size_t t = 1; t <= n_tx; t++) {
        kind[t] = sl_coinjoin_detect(&V[t]);
        by[T[t].label][kind[t]]++;
        count[T[t].label]++;
    }
    size_t tp = 0, fp = 0, fn = 0;
    for (size_t l = 0; l < N_LABELS; l++) {
        bool cj = !strncmp(LABELS[l], "cj-", 3);
        size_t flagged = count[l] - by[l][SL_CJ_NONE] - by[l][SL_CJ_WHIRLPOOL_TX0];
        if (cj) tp += flagged, fn += count[l] - flagged;
        else fp += flagged;
    }
    printf("## CoinJoin detectors on %zu generated transactions\n\n", n_tx);
    printf("| generated as | count | none | equal-output | wasabi1 | wasabi2 | whirlpool-tx0 | whirlpool-mix | joinmarket |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t l = 0; l < N_LABELS; l++) {
        printf("| %s | %zu", LABELS[l], count[l]);
        for (int k = 0; k <= SL_CJ_JOINMARKET; k++) printf(" | %zu", by[l][k]);
        printf(" |\n");
    }
    printf("\nCoinJoin (multi-owner) detection: precision %.4f, recall %.4f (tp %zu, fp %zu, fn %zu)\n\n",
           tp + fp ? (double)tp / (double)(tp + fp) : 1.0, tp + fn ? (double)tp / (double)(tp + fn) : 1.0, tp, fp, fn);

    /* ---- edges and clusters ---- */
    parent = malloc((n_addr + 1) * sizeof *parent);
    usize = malloc((n_addr + 1) * sizeof *usize);
    printf("## Merge edges and clusters (%zu addresses)\n\n", n_addr);
    printf("| heuristic | edges | edge precision | clusters | pairwise precision | pairwise recall | "
           "precision, individuals | recall, individuals |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    double p, r, pi, ri;
    size_t nc, nci;
    uf_reset();
    score(&p, &r, &nc, false);
    score(&pi, &ri, &nci, true);
    printf("| none (every address alone) | 0 | - | %zu | %.4f | %.4f | %.4f | %.4f |\n", nc, p, r, pi, ri);
    /* configurations: -2 multi-input without CoinJoin exclusion, -1 multi-input, then
     * multi-input + one change heuristic, then multi-input + all of them */
    for (int cfg = -2; cfg <= SL_H_CHANGE_PEEL + 1; cfg++) {
        if (cfg >= 0 && cfg < SL_H_CHANGE_ADDR_TYPE) continue;
        uf_reset();
        size_t mi_edges = 0, mi_good = 0, ch_edges = 0, ch_good = 0;
        unsigned mask = cfg == SL_H_CHANGE_PEEL + 1 ? 0x7cu : cfg >= 0 ? 1u << cfg : 0;
        for (size_t t = 1; t <= n_tx; t++) {
            const sl_txv *v = &V[t];
            bool multi_owner = kind[t] != SL_CJ_NONE && kind[t] != SL_CJ_WHIRLPOOL_TX0;
            if (cfg == -2 || !multi_owner)
                for (size_t i = 1; i < v->n_in; i++) {
                    uint32_t a = v->in[0].addr.id, b = v->in[i].addr.id;
                    if (a == b) continue;
                    mi_edges++, mi_good += owner[a] == owner[b];
                    uf_union(a, b);
                }
            if (!mask) continue;
            int c = sl_change_find(v, mask, NULL, NULL);
            if (c < 0) continue;
            uint32_t a = v->in[0].addr.id, b = v->out[c].addr.id;
            ch_edges++, ch_good += owner[a] == owner[b];
            uf_union(a, b);
        }
        score(&p, &r, &nc, false);
        score(&pi, &ri, &nci, true);
        if (cfg < 0)
            printf("| multi-input%s | %zu | %.4f | %zu | %.4f | %.4f | %.4f | %.4f |\n",
                   cfg == -2 ? " (CoinJoins not excluded)" : "", mi_edges,
                   mi_edges ? (double)mi_good / (double)mi_edges : 1.0, nc, p, r, pi, ri);
        else
            printf("| multi-input + %s | %zu | %.4f | %zu | %.4f | %.4f | %.4f | %.4f |\n",
                   cfg > SL_H_CHANGE_PEEL ? "every change heuristic" : sl_heuristic_name((sl_heuristic)cfg), ch_edges,
                   ch_edges ? (double)ch_good / (double)ch_edges : 1.0, nc, p, r, pi, ri);
    }
    printf("\n(edge counts and edge precision of the change rows are those of the change edges alone)\n");
    return 0;
}
