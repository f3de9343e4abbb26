/* bench_parse.c — block parse + txid throughput against its floor, measured in the same run.
 *
 * The floor: OpenSSL SHA-256d over exactly the serialized bytes of every transaction (one
 * SHA-256d per tx), which any parser that computes txids must at least do. It uses
 * OpenSSL's low-level SHA256_Init/Update/Final, the fastest path (the one-shot SHA256() of
 * OpenSSL 3 fetches an EVP digest on every call and is ~2x slower on small inputs). The parser is
 * timed twice: sl_btc_block_parse with no checks (what the ingest's write pass does) and
 * with SL_BTC_CHECK_ALL (merkle root, witness commitment, proof of work: the validation
 * pass). The three are interleaved, repetition by repetition, and the best of each is
 * kept, so a noisy shared machine hurts all three alike. Target: parse >= 0.7 x floor.
 *
 * usage: bench_parse [--reps N] [--network NAME] [PATH...]
 *   PATH: files or folders of raw blocks (*.bin) and/or blk*.dat files (any network's
 *   framing: the network is taken from the magic). Default: ../shared/data/bitcoin/blocks
 *   (the shared real blocks); when that is missing it says so and exits 0.
 */
#include <dirent.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sleuth/btc.h"
#include "sleuth/util.h"

typedef struct span { const uint8_t *p; size_t n; const sl_btc_net *net; } span;

static span *blocks;
static size_t nblocks, capblocks;
static span *txs;
static size_t ntxs, captxs;
static sl_file files[4096];
static int nfiles;
static const sl_btc_net *force_net;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void push(span **a, size_t *n, size_t *cap, span s)
{
    void *p = *a;
    if (sl_grow(&p, cap, *n + 1, sizeof **a)) { fprintf(stderr, "bench_parse: out of memory\n"); exit(1); }
    *a = p;
    (*a)[(*n)++] = s;
}

static const sl_btc_net *net_of_magic(const uint8_t *m)
{
    static const char *nets[] = {"bitcoin", "testnet", "testnet4", "signet", "regtest"};
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        const sl_btc_net *n = sl_btc_net_by_name(nets[i]);
        if (memcmp(m, n->magic, 4) == 0) return n;
    }
    return NULL;
}

static void add_file(const char *path)
{
    sl_error e = {0};
    sl_file *f;
    const sl_btc_net *net;
    if (nfiles == (int)(sizeof files / sizeof *files)) { fprintf(stderr, "bench_parse: too many files\n"); exit(1); }
    f = &files[nfiles];
    if (sl_file_open(f, path, &e)) { fprintf(stderr, "bench_parse: %s\n", e.msg); exit(1); }
    nfiles++;
    if (f->len >= 8 && (net = net_of_magic(f->data))) {
        size_t off = 0;
        if (force_net) net = force_net;
        while (off + 8 <= f->len && memcmp(f->data + off, net->magic, 4) == 0) {
            uint32_t n = sl_le32(f->data + off + 4);
            if (n > f->len - off - 8) { fprintf(stderr, "bench_parse: %s: truncated frame at %zu\n", path, off); exit(1); }
            push(&blocks, &nblocks, &capblocks, (span){f->data + off + 8, n, net});
            off += 8 + (size_t)n;
        }
    } else {
        push(&blocks, &nblocks, &capblocks, (span){f->data, f->len, force_net ? force_net : sl_btc_net_default()});
    }
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (stat(path, &st) != 0) { fprintf(stderr, "bench_parse: %s: not found\n", path); exit(1); }
    if (!S_ISDIR(st.st_mode)) { add_file(path); return; }
    if (!(d = opendir(path))) { fprintf(stderr, "bench_parse: %s: cannot open\n", path); exit(1); }
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        bool bin = l > 4 && !strcmp(de->d_name + l - 4, ".bin");
        bool blk = l > 7 && !strncmp(de->d_name, "blk", 3) && !strcmp(de->d_name + l - 4, ".dat");
        void *q = names;
        if (!bin && !blk) continue;
        if (sl_grow(&q, &cap, n + 1, sizeof *names)) exit(1);
        names = q;
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        add_file(p);
        free(names[i]);
    }
    free(names);
}

static sl_btc_block blk;

static double run_parse(unsigned checks)
{
    double t0 = now();
    for (size_t i = 0; i < nblocks; i++) {
        sl_error e = {0};
        if (sl_btc_block_parse(&blk, blocks[i].p, blocks[i].n, blocks[i].net, checks, &e)) {
            fprintf(stderr, "bench_parse: block %zu: %s\n", i, e.msg);
            exit(1);
        }
    }
    return now() - t0;
}

static uint8_t sink;
static double run_floor(void)
{
    double t0 = now();
    for (size_t i = 0; i < ntxs; i++) {
        uint8_t t[32], h[32];
        SHA256_CTX c;
        SHA256_Init(&c);
        SHA256_Update(&c, txs[i].p, txs[i].n);
        SHA256_Final(t, &c);
        SHA256_Init(&c);
        SHA256_Update(&c, t, 32);
        SHA256_Final(h, &c);
        sink ^= h[0];
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    int reps = 5, npaths = 0;
    const char *paths[256];
    uint64_t block_bytes = 0, tx_bytes = 0;
    double best[4] = {1e30, 1e30, 1e30, 1e30};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--network") && i + 1 < argc) {
            if (!(force_net = sl_btc_net_by_name(argv[++i]))) { fprintf(stderr, "bench_parse: unknown network\n"); return 2; }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_parse [--reps N] [--network NAME] [PATH...]\n");
            return 2;
        } else if (npaths < 256) paths[npaths++] = argv[i];
    }
    if (npaths == 0) {
        struct stat st;
        if (stat("../shared/data", &st) != 0) {
            printf("bench_parse: ../shared/data is missing (the shared real blocks): nothing to measure\n");
            return 0;
        }
        paths[npaths++] = "../shared/data/bitcoin/blocks";
    }
    for (int i = 0; i < npaths; i++) add_path(paths[i]);
    if (nblocks == 0) { printf("bench_parse: no blocks found\n"); return 0; }

    /* one parse before timing: checks everything and gives the tx spans for the floor */
    for (size_t i = 0; i < nblocks; i++) {
        sl_error e = {0};
        if (sl_btc_block_parse(&blk, blocks[i].p, blocks[i].n, blocks[i].net, SL_BTC_CHECK_ALL, &e)) {
            fprintf(stderr, "bench_parse: block %zu: %s\n", i, e.msg);
            return 1;
        }
        for (uint32_t t = 0; t < blk.n_tx; t++)
            push(&txs, &ntxs, &captxs, (span){blocks[i].p + blk.tx[t].offset, blk.tx[t].size, NULL});
        for (uint32_t t = 0; t < blk.n_tx; t++) tx_bytes += blk.tx[t].size;
        block_bytes += blocks[i].n;
    }
    printf("bench_parse: %zu blocks, %zu txs, %.1f MB of blocks (%.1f MB of txs) from %d files; best of %d\n",
           nblocks, ntxs, block_bytes / 1e6, tx_bytes / 1e6, nfiles, reps);
    for (int r = 0; r < reps; r++) {
        /* rotate the order so none of the three always runs first */
        for (int k = 0; k < 4; k++) {
            int which = (k + r) % 4;
            double t = which == 0 ? run_floor() : which == 1 ? run_parse(0) : which == 2 ? run_parse(SL_BTC_CHECK_ALL)
                                                                                       : run_parse(SL_BTC_TXID_ONLY);
            if (t < best[which]) best[which] = t;
        }
    }
    {
        static const char *name[4] = {"floor  SHA-256d per tx (OpenSSL)", "parse  checks=0 (txid+wtxid)",
                                      "parse  SL_BTC_CHECK_ALL", "parse  txid only (SL_BTC_TXID_ONLY)"};
        for (int k = 0; k < 4; k++) {
            uint64_t bytes = k == 0 ? tx_bytes : block_bytes;
            printf("%-34s %8.3f s  %9.1f MB/s  %11.0f tx/s  ratio to floor %.3f\n", name[k], best[k], bytes / best[k] / 1e6,
                   ntxs / best[k], best[0] / best[k]);
        }
        printf("RESULT txidonly_vs_floor=%.3f\n", best[0] / best[3]);
        printf("RESULT parse0_vs_floor=%.3f parseall_vs_floor=%.3f floor_mbs=%.1f parse0_mbs=%.1f parseall_mbs=%.1f "
               "floor_txs=%.0f parse0_txs=%.0f parseall_txs=%.0f\n",
               best[0] / best[1], best[0] / best[2], tx_bytes / best[0] / 1e6, block_bytes / best[1] / 1e6,
               block_bytes / best[2] / 1e6, ntxs / best[0], ntxs / best[1], ntxs / best[2]);
    }
    sl_btc_block_free(&blk);
    free(blocks);
    free(txs);
    for (int i = 0; i < nfiles; i++) sl_file_close(&files[i]);
    return sink == 0xff ? 0 : 0;
}
