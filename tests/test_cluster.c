/* test_cluster.c — Bitcoin-family clustering (sleuth/cluster.h, `sleuth cluster`):
 * (1) on the bundled mainnet blocks 0..599, the clusters checked by hand: the only
 * multi-input transactions are at heights 496, 546 (two) and 586, so exactly three
 * clusters of two or more addresses exist, with the members and the `why` paths asserted
 * with their real txids; (2) incremental == full: a build on the
 * first half, the second half ingested, a second build (incremental) equals a fresh build
 * of the whole, address by address and record by record of the evidence, on the 600
 * blocks and on the 14 prevout-backed modern blocks (thousands of merges, CoinJoins);
 * (3) a rollback below the last build is detected and rebuilt; (4) the guard: the size
 * threshold flags and (policy skip) refuses merges, a small in-test tagger makes a tag
 * conflict; the best tag by GraphSense's rule; (5) the union-find against an independent
 * reference (connected components by BFS over the input-address sets) on a generated
 * chain (bench/gen_blk.c), with every evidence path checked against the transactions;
 * (6) real CoinJoins of the bundled blocks (Whirlpool, Wasabi 1.x, a two-party join) merge
 * nothing while a real batch payout merges its inputs; (7) a build killed after its
 * commit recovers, and a second build waits its turn; (8) change-heuristic edges are
 * evidence with their name and confidence.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/cluster.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

#define BLK0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define BLK1 FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"
#define TX586 "4d6edbeb62735d45ff1565385a8b0045f066055c9425e21540ea7a8060f08bf2"

static void ingest(const char *store, const char *files)
{
    run_result r = run_sleuth("ingest btc --quiet --store %s %s", store, files);
    cr_assert_eq(r.status, 0, "ingest: %s", r.err);
    run_free(&r);
}

static cJSON *build(const char *store, const char *opts)
{
    return sleuth_json("cluster build --store %s --json %s", store, opts ? opts : "");
}

/* Asserts that two stores' clusterings agree: every address's cluster id and size, the
 * evidence forest and the guard log, record for record. */
static void same_clusters(const char *sa, const char *sb)
{
    sl_store *a, *b;
    sl_cluster *ca, *cb;
    sl_error e = {0};
    const sl_cluster_info *ia, *ib;
    run_result r;
    cr_assert_eq(sl_store_open(&a, sa, SL_STORE_RDONLY, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_store_open(&b, sb, SL_STORE_RDONLY, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_open(a, &ca, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_open(b, &cb, &e), 0, "%s", e.msg);
    ia = sl_cluster_get_info(ca), ib = sl_cluster_get_info(cb);
    cr_assert_eq(ia->n_addr, ib->n_addr);
    cr_assert_eq(ia->tx_done, ib->tx_done);
    cr_assert_eq(ia->clusters, ib->clusters);
    cr_assert_eq(ia->n_edges, ib->n_edges);
    cr_assert_eq(ia->n_guard, ib->n_guard);
    for (uint32_t x = 1; x <= ia->n_addr; x++) {
        uint32_t ida, idb;
        uint64_t za, zb;
        sl_addr_ref ref = {SL_CHAIN_BTC, x};
        cr_assert_eq(sl_cluster_of(ca, ref, &ida, &za), 0);
        cr_assert_eq(sl_cluster_of(cb, ref, &idb, &zb), 0);
        cr_assert(ida == idb && za == zb, "address %u: cluster %u (%llu) vs %u (%llu)", x, ida, (unsigned long long)za, idb,
                  (unsigned long long)zb);
    }
    r = run_sh("cmp -n %llu %s/knowledge/cluster/edges %s/knowledge/cluster/edges && cmp -n %llu %s/knowledge/cluster/guard "
               "%s/knowledge/cluster/guard",
               (unsigned long long)ia->n_edges * 16, sa, sb, (unsigned long long)ia->n_guard * 40, sa, sb);
    cr_assert_eq(r.status, 0, "evidence differs: %s%s", r.out, r.err);
    run_free(&r);
    sl_cluster_close(ca), sl_cluster_close(cb);
    sl_store_close(a), sl_store_close(b);
}

/* Asserts a `cluster why --json` answer: its hop count, then per hop from, to and tx
 * (a NULL field is not checked). */
static void assert_hops(const cJSON *j, int n, const char *const hops[][3])
{
    const cJSON *path = cJSON_GetObjectItem(j, "path");
    cr_assert_eq(jint(j, "hops"), (uint64_t)n);
    cr_assert_eq(cJSON_GetArraySize(path), n);
    for (int i = 0; i < n; i++) {
        static const char *const key[3] = {"from", "to", "tx"};
        for (int k = 0; k < 3; k++)
            if (hops[i][k]) cr_assert_str_eq(jstr(cJSON_GetArrayItem(path, i), key[k]), hops[i][k], "hop %d %s", i, key[k]);
    }
}

/* Asserts a cluster's members, in order (`cluster show --json`). */
static void assert_members(const cJSON *j, int n, const char *const *want)
{
    const cJSON *m = cJSON_GetObjectItem(j, "members");
    cr_assert_eq(cJSON_GetArraySize(m), n);
    for (int i = 0; i < n; i++) cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, i), "address"), want[i]);
}

/* Runs sleuth with these arguments; asserts its exit status and that its stdout (status
 * 0) or stderr (otherwise) holds needle (NULL: not checked). */
static void expect(int status, const char *needle, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void expect(int status, const char *needle, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    run_result r;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    r = run_sleuth("%s", args);
    cr_assert_eq(r.status, status, "sleuth %s: exit %d\n%s%s", args, r.status, r.out, r.err);
    if (needle) cr_assert(strstr(status ? r.err : r.out, needle), "sleuth %s: no '%s' in\n%s%s", args, needle, r.out, r.err);
    run_free(&r);
}

/* `cluster why A B --json` on st: asserts the hops (assert_hops). */
static void check_why(const char *st, const char *a, const char *b, int n, const char *const hops[][3])
{
    cJSON *j = sleuth_json("cluster why --store %s %s %s --json", st, a, b);
    assert_hops(j, n, hops);
    cJSON_Delete(j);
}

/* Heights 0..599 hold four transactions with more than one input (checked with `sleuth
 * tx`): a3b0e9e7... at 496 spends from 18SH9v.., 15NUwy.. and 1ByLSV..; at 546
 * 28204cad... from 1DZTza.. and 1DCbY2.., then 6b0f8a73... from 1KAD5E.. and 1DZTza..
 * (its own change: a chain of two transactions); 4d6edbeb... at 586 from five coinbase
 * addresses. So exactly three clusters of two or more: 193 (3 addresses), 534 (3), 276 (5). */
#define TX496 "a3b0e9e7cddbbe78270fa4182a7675ff00b92872d8df7d14265a2b1e379a9d33"
#define TX546A "28204cad1d7fc1d199e8ef4fa22f182de6258a3eaafe1bbe56ebdcacd3069a5f"
#define TX546B "6b0f8a73a56c04b519f1883e8aafda643ba61a30bd1439969df21bea5f4e27e2"
Test(cluster, real_blocks_by_hand, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    cJSON *j, *m;
    ingest(st, BLK0 " " BLK1);
    j = build(st, NULL);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_eq(jint(j, "tx_to"), 616);
    cr_assert_eq(jint(j, "addresses"), 615);
    cr_assert_eq(jint(j, "merges"), 8);            /* 615 addresses, 607 clusters: 8 forest edges */
    cr_assert_eq(jint(j, "clusters"), 607);
    cr_assert_eq(jint(j, "multi_address_clusters"), 3);
    cr_assert_eq(jint(j, "coinjoins_excluded"), 0);
    cr_assert_eq(jint(j, "largest_cluster"), 276);
    cr_assert_eq(jint(j, "largest_size"), 5);
    cJSON_Delete(j);

    /* the five inputs of 4d6edbeb... (height 586, 5 x 50 BTC coinbase outputs -> 250 BTC) */
    j = sleuth_json("cluster show --store %s 1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54 --json", st);
    cr_assert_eq(jint(j, "id"), 276);
    cr_assert_eq(jint(j, "size"), 5);
    cr_assert_str_eq(jstr(j, "id_address"), "1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py");
    {
        static const char *const want[] = {"1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py", "1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD",
                                           "1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD", "1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54",
                                           "1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK"};
        assert_members(j, 5, want);
    }
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "guard")), 0);
    cJSON_Delete(j);
    /* paging */
    j = sleuth_json("cluster show --store %s 276 --json --limit 2 --offset 3", st);
    m = cJSON_GetObjectItem(j, "members");
    cr_assert_eq(cJSON_GetArraySize(m), 2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, 0), "address"), "1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54");
    cJSON_Delete(j);

    /* why: the multi-input edges are a star from the tx's first input address, so two
     * later inputs are two hops apart, through 1DNdPg..., both by the same tx */
    j = sleuth_json("cluster why --store %s 1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK --json", st);
    cr_assert_eq(jint(j, "cluster"), 276);
    {
        static const char *const hops[][3] = {
            {"1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD", "1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py", TX586},
            {"1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py", "1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK", TX586}};
        assert_hops(j, 2, hops);
    }
    m = cJSON_GetObjectItem(j, "path");
    for (int i = 0; i < 2; i++) {
        cJSON *h = cJSON_GetArrayItem(m, i);
        cr_assert_eq(jint(h, "height"), 586);
        cr_assert_str_eq(jstr(h, "heuristic"), "multi-input");
        cr_assert_eq(jint(h, "confidence"), 50);
    }
    cJSON_Delete(j);
    /* text form; two addresses of different clusters: not found, exit 1 */
    expect(0, "multi-input (confidence 50), tx\n       " TX586, "cluster why --store %s 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK", st);
    expect(1, "different clusters", "cluster why --store %s 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", st);
    j = sleuth_json("cluster show --store %s 18SH9vwx24L5cTabfkgtGMjF8A56pD9AUJ --json", st);
    cr_assert_eq(jint(j, "id"), 193);
    cr_assert_eq(jint(j, "size"), 3);
    {
        static const char *const want[] = {"15NUwyBYrZcnUgTagsm1A7M2yL2GntpuaZ", "1ByLSV2gLRcuqUmfdYcpPQH8Npm8cccsFg",
                                           "18SH9vwx24L5cTabfkgtGMjF8A56pD9AUJ"};
        assert_members(j, 3, want);
    }
    cJSON_Delete(j);
    {
        static const char *const hops[][3] = {{"15NUwyBYrZcnUgTagsm1A7M2yL2GntpuaZ", "18SH9vwx24L5cTabfkgtGMjF8A56pD9AUJ", TX496},
                                              {NULL, "1ByLSV2gLRcuqUmfdYcpPQH8Npm8cccsFg", TX496}};
        check_why(st, "15NUwyBYrZcnUgTagsm1A7M2yL2GntpuaZ", "1ByLSV2gLRcuqUmfdYcpPQH8Npm8cccsFg", 2, hops);
    }
    /* two transactions in a row: 1DCbY2.. -(28204cad)- 1DZTza.. -(6b0f8a73)- 1KAD5E.., and
     * the same in reverse (the path is walked from the first argument) */
    {
        static const char *const hops[][3] = {{"1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi", "1DZTzaBHUDM7T3QvUKBz4qXMRpkg8jsfB5", TX546A},
                                              {"1DZTzaBHUDM7T3QvUKBz4qXMRpkg8jsfB5", "1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv", TX546B}};
        static const char *const back[][3] = {{"1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv", "1DZTzaBHUDM7T3QvUKBz4qXMRpkg8jsfB5", TX546B},
                                              {NULL, "1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi", TX546A}};
        check_why(st, "1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi", "1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv", 2, hops);
        check_why(st, "1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv", "1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi", 2, back);
    }
    /* Satoshi's genesis address is alone */
    j = sleuth_json("cluster show --store %s 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa --json", st);
    cr_assert_eq(jint(j, "id"), 1);
    cr_assert_eq(jint(j, "size"), 1);
    cJSON_Delete(j);
}

Test(cluster, incremental_equals_full_600, .timeout = 60)
{
    const char *d = temp_dir(), *inc = path_in(d, "inc"), *full = path_in(d, "full");
    cJSON *j;
    uint64_t first;
    ingest(inc, BLK0);
    j = build(inc, NULL);
    first = jint(j, "tx_to");
    cJSON_Delete(j);
    ingest(inc, BLK1);
    j = build(inc, NULL);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_eq(jint(j, "tx_from"), first);
    cr_assert_eq(jint(j, "tx_to"), 616);
    cJSON_Delete(j);
    j = build(inc, NULL); /* nothing new: nothing read */
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_eq(jint(j, "tx_from"), 616);
    cr_assert_eq(jint(j, "merges"), 0);
    cJSON_Delete(j);
    ingest(full, BLK0 " " BLK1);
    cJSON_Delete(build(full, NULL));
    same_clusters(inc, full);
}

/* A build killed after its commit, before its journal reached the arrays: readers say
 * so, the next build applies the journal and the result equals a full build. */
Test(cluster, killed_incremental_build_recovers, .timeout = 60)
{
    const char *d = temp_dir(), *inc = path_in(d, "inc"), *full = path_in(d, "full");
    cJSON *j;
    run_result r;
    ingest(inc, BLK0);
    cJSON_Delete(build(inc, NULL));
    ingest(inc, BLK1);
    r = run_sh("SLEUTH_TEST_KILL_AT=cluster-journal %s cluster build --quiet --store %s", sleuth_bin(), inc);
    cr_assert_eq(r.status, 128 + 9, "killed: %d %s", r.status, r.err);
    run_free(&r);
    expect(1, "interrupted", "cluster show --store %s 1", inc);
    j = build(inc, NULL);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_eq(jint(j, "tx_from"), 616, "the killed build had committed");
    cJSON_Delete(j);
    ingest(full, BLK0 " " BLK1);
    cJSON_Delete(build(full, NULL));
    same_clusters(inc, full);
}

/* One build at a time: a second one while the first holds the lock is refused; no store,
 * no build. */
Test(cluster, one_build_at_a_time, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    pid_t pid;
    ingest(st, BLK0);
    cJSON_Delete(build(st, NULL));
    ingest(st, BLK1);
    pid = spawn_sh("env SLEUTH_TEST_STOP_AT=cluster-journal %s cluster build --quiet --store %s", sleuth_bin(), st);
    {
        int stopped = 0;
        for (int i = 0; i < 400 && !stopped; i++) { /* until it has stopped at its commit */
            run_result r = run_sh("grep -q '^State:.*T' /proc/%d/status", (int)pid);
            stopped = r.status == 0;
            run_free(&r);
            if (!stopped) usleep(50000);
        }
        cr_assert(stopped, "the first build never reached its commit");
    }
    expect(1, "another `sleuth cluster build` is running", "cluster build --store %s", st);
    kill(pid, SIGCONT);
    stop_group(pid, 5000);
    expect(0, "incremental", "cluster build --store %s", st);
    expect(1, "no sleuth store here", "cluster build --store %s/nothing-here", d);
}

/* The bundled modern blocks with their prevouts into store st: which = "head -7", "tail
 * -n +8" or "cat" of the block list (file-name order). */
static void ingest_modern(const char *st, const char *which)
{
    run_result r = run_sleuth("ingest btc --quiet --store %s $(ls " FIX "/blocks/* | %s) $(for f in " FIX
                              "/prevouts/*; do printf -- '--prevouts %%s ' $f; done)", st, which);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* The 14 modern blocks with their prevouts: thousands of multi-input merges, CoinJoins
 * excluded; in two halves vs all at once. */
Test(cluster, incremental_equals_full_modern, .timeout = 120)
{
    const char *d = temp_dir(), *inc = path_in(d, "inc"), *full = path_in(d, "full");
    cJSON *j;
    ingest_modern(inc, "head -7");
    cJSON_Delete(build(inc, NULL));
    ingest_modern(inc, "tail -n +8");
    j = build(inc, NULL);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_gt(jint(j, "merges"), 1000);
    cJSON_Delete(j);
    ingest_modern(full, "cat");
    j = build(full, NULL);
    cr_assert_eq(jint(j, "tx_to"), 14685);
    cr_assert_gt(jint(j, "coinjoins_excluded"), 0);
    cr_assert_eq(jint(j, "addresses") - jint(j, "clusters"), jint(j, "merges"), "a spanning forest");
    cJSON_Delete(j);
    same_clusters(inc, full);
}

/* How many distinct clusters the input addresses of txid fall in (`sleuth tx --json`,
 * then `sl_cluster_of`); *n_addr gets the distinct input addresses. */
static size_t input_clusters(const char *st, const char *txid, size_t *n_addr)
{
    cJSON *t = sleuth_json("tx --store %s %s --json", st, txid), *in;
    sl_store *s;
    sl_cluster *cl;
    sl_error e = {0};
    uint32_t ids[256], cls[256];
    size_t na = 0, nc = 0;
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0, "%s", e.msg);
    cJSON_ArrayForEach(in, cJSON_GetObjectItem(t, "inputs"))
    {
        sl_addr_ref a;
        uint32_t c;
        size_t k;
        cr_assert_eq(sl_addr_resolve(s, "btc", jstr(in, "address"), &a, &e), 0, "%s", e.msg);
        for (k = 0; k < na && ids[k] != a.id; k++) {}
        if (k < na) continue;
        cr_assert_lt(na, 256);
        ids[na++] = a.id;
        cr_assert_eq(sl_cluster_of(cl, a, &c, NULL), 0);
        for (k = 0; k < nc && cls[k] != c; k++) {}
        if (k == nc) cls[nc++] = c;
    }
    cJSON_Delete(t);
    sl_cluster_close(cl);
    sl_store_close(s);
    *n_addr = na;
    return nc;
}

/* Real CoinJoins of the bundled blocks (identified in tests/data/coinjoin/README.md) merge
 * nothing; a real batch payout's inputs are merged, with the payout as the evidence. */
Test(cluster, coinjoins_excluded_batches_merged, .timeout = 120)
{
    static const struct {
        const char *txid;
        size_t addrs, clusters;
    } cases[] = {
        {"d2e592ba5427bf1aa344b9b22b2f4041a97470e4c09bc8bb0f52cf0f4c4527e6", 5, 5},   /* Whirlpool mix */
        {"7689432894c6d094a1a1050e5365315804ab42e8aab4d00f82da6aabbe389fa1", 71, 71}, /* Wasabi 1.x */
        {"d026288313ea8e8b723317a1eaa6d74d6f274ad773b4aa5365e1994bf5dd8506", 2, 2},   /* two-party join */
        {"15199e4e14e1bffca6673f96350913324abeffb15d66ed6488f17db9ced54afe", 2, 1},   /* batch payout */
    };
    const char *d = temp_dir(), *st = path_in(d, "s");
    cJSON *t, *j;
    ingest_modern(st, "cat");
    cJSON_Delete(build(st, NULL));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t na, nc = input_clusters(st, cases[i].txid, &na);
        cr_assert_eq(na, cases[i].addrs, "%s", cases[i].txid);
        cr_assert_eq(nc, cases[i].clusters, "%s: inputs in %zu clusters", cases[i].txid, nc);
    }
    t = sleuth_json("tx --store %s %s --json", st, cases[3].txid);
    j = sleuth_json("cluster why --store %s %s %s --json", st, jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "inputs"), 0), "address"),
                    jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "inputs"), 1), "address"));
    cr_assert_eq(jint(j, "hops"), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "path"), 0), "tx"), cases[3].txid);
    cJSON_Delete(j);
    cJSON_Delete(t);
}

/* A change heuristic as an option: its edges carry its name and confidence, and `why`
 * shows one: an input address of the tx and the output it named. */
Test(cluster, change_edges_are_evidence, .timeout = 120)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    cJSON *j;
    sl_file f;
    sl_store *s;
    sl_cluster *cl;
    sl_error e = {0};
    sl_merge_edge *path;
    size_t n, found = 0;
    ingest_modern(st, "cat");
    j = build(st, "--heuristics multi-input,change:optimal");
    cr_assert_gt(jint(j, "change_edges"), 100);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "heuristics"), 1)->valuestring, "change:optimal");
    cJSON_Delete(j);
    cr_assert_eq(sl_file_open(&f, path_in(st, "knowledge/cluster/edges"), &e), 0, "%s", e.msg);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0);
    for (size_t off = 0; off + 16 <= f.len && found < 5; off += 16) {
        const uint8_t *r = f.data + off;
        uint32_t a = sl_le32(r), b = sl_le32(r + 4);
        uint64_t tx = sl_le40(r + 8), fo;
        bool out = false;
        if (r[14] != SL_H_CHANGE_OPTIMAL) continue;
        cr_assert_eq(r[15], 25);
        cr_assert_eq(sl_cluster_why(cl, (sl_addr_ref){SL_CHAIN_BTC, a}, (sl_addr_ref){SL_CHAIN_BTC, b}, &path, &n, &e), 0);
        cr_assert_eq(n, 1);
        cr_assert_eq(path[0].heuristic, SL_H_CHANGE_OPTIMAL);
        cr_assert_eq(path[0].tx.id, tx);
        sl_free(path);
        fo = sl_btc_tx_first_out(s, tx);
        for (uint32_t k = 0; k < sl_btc_tx_n_out(s, tx); k++) out |= sl_btc_out_addr(s, fo + k) == b;
        cr_assert(out, "the change address is an output of the tx");
        found++;
    }
    cr_assert_eq(found, 5);
    sl_cluster_close(cl);
    sl_store_close(s);
    sl_file_close(&f);
}

Test(cluster, rollback_below_build_rebuilds, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "s"), *half = path_in(d, "half");
    cJSON *j;
    ingest(st, BLK0 " " BLK1);
    cJSON_Delete(build(st, NULL));
    expect(0, NULL, "rollback --store %s --chain btc --to 299 --quiet", st);
    j = build(st, NULL);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert(strstr(jstr(j, "why"), "rolled back"), "%s", jstr(j, "why"));
    cJSON_Delete(j);
    expect(0, "incremental", "cluster build --store %s", st); /* and said in text */
    ingest(half, BLK0);
    cJSON_Delete(build(half, NULL));
    same_clusters(st, half);
    /* the cluster of 586's inputs is gone with block 586 */
    j = sleuth_json("cluster show --store %s 276 --json", st);
    cr_assert_eq(jint(j, "size"), 1);
    cJSON_Delete(j);
    /* and comes back, incrementally, when the blocks are ingested again */
    ingest(st, BLK1);
    j = build(st, NULL);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "from_scratch")));
    cJSON_Delete(j);
    j = sleuth_json("cluster show --store %s 276 --json", st);
    cr_assert_eq(jint(j, "size"), 5);
    cJSON_Delete(j);
}

Test(cluster, options_change_rebuilds_and_usage, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    cJSON *j;
    ingest(st, BLK0 " " BLK1);
    expect(1, "cluster build", "cluster show --store %s 1", st);
    cJSON_Delete(build(st, NULL));
    j = build(st, "--heuristics multi-input,change:optimal");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert(strstr(jstr(j, "why"), "options changed"));
    cJSON_Delete(j);
    { /* cluster files of another format version: readers say so, a build rebuilds them */
        run_result r = run_sh("printf '\\002' | dd of=%s/knowledge/cluster/state bs=1 seek=8 conv=notrunc 2>/dev/null", st);
        cr_assert_eq(r.status, 0);
        run_free(&r);
        expect(1, "cluster format 2", "cluster show --store %s 1", st);
        j = build(st, "--heuristics multi-input,change:optimal");
        cr_assert(strstr(jstr(j, "why"), "another format version"), "%s", jstr(j, "why"));
        cJSON_Delete(j);
        expect(0, NULL, "cluster show --store %s 1", st);
    }
    expect(2, "bogus", "cluster build --store %s --heuristics multi-input,bogus", st);
    expect(2, "--guard", "cluster build --store %s --guard maybe", st);
    expect(1, "not a cluster id", "cluster show --store %s 425", st); /* a member of 276 */
    expect(1, NULL, "cluster show --store %s 1BitcoinEaterAddressDontSendf59kuE", st);
    expect(2, NULL, "cluster frobnicate --store %s", st);
}

/* Guard-log visitors. */
typedef struct guard_check {
    sl_cluster *cl;
    uint64_t seen;
} guard_check;

/* Every record of a size=skip build: flagged for size, not applied, and really not merged. */
static int check_skipped(void *ctx, const sl_cluster_guard_ev *ev)
{
    guard_check *g = ctx;
    uint32_t ia, ib;
    g->seen++;
    cr_assert_eq(ev->reason, SL_GUARD_SIZE);
    cr_assert_eq(ev->applied, 0);
    cr_assert(ev->size_a >= 2 && ev->size_b >= 2);
    cr_assert_eq(sl_cluster_of(g->cl, (sl_addr_ref){SL_CHAIN_BTC, ev->a}, &ia, NULL), 0);
    cr_assert_eq(sl_cluster_of(g->cl, (sl_addr_ref){SL_CHAIN_BTC, ev->b}, &ib, NULL), 0);
    cr_assert_neq(ia, ib, "a skipped merge was applied");
    return 0;
}

/* The cluster of the first record's first address, in g->seen; stops. */
static int first_cluster(void *ctx, const sl_cluster_guard_ev *ev)
{
    guard_check *g = ctx;
    uint32_t id;
    cr_assert_eq(sl_cluster_of(g->cl, (sl_addr_ref){SL_CHAIN_BTC, ev->a}, &id, NULL), 0);
    g->seen = id;
    return 1;
}

static int tag_refused(void *ctx, const sl_cluster_guard_ev *ev)
{
    (void)ctx;
    cr_assert_eq(ev->reason, SL_GUARD_TAG);
    cr_assert_eq(ev->applied, 0);
    return 0;
}

/* The size guard on the modern blocks: with a threshold of 2, merges of two clusters
 * that both hold 2+ addresses are flagged; applied, the clusters are those of no guard;
 * skipped, none of the flagged merges happened, and show lists the events. */
Test(cluster, guard_size, .timeout = 120)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    cJSON *j, *g;
    uint64_t clusters;
    sl_store *s;
    sl_cluster *cl;
    sl_error e = {0};
    guard_check gc = {NULL, 0};
    ingest_modern(st, "cat");
    j = build(st, NULL);
    clusters = jint(j, "clusters");
    cr_assert_eq(jint(j, "guard_events"), 0);
    cJSON_Delete(j);
    j = build(st, "--guard-size 2");
    cr_assert_gt(jint(j, "guard_events"), 0);
    cr_assert_eq(jint(j, "guard_skipped"), 0);
    cr_assert_eq(jint(j, "clusters"), clusters);
    cJSON_Delete(j);
    j = build(st, "--guard-size 2 --guard size=skip");
    cr_assert_eq(jint(j, "guard_events"), jint(j, "guard_skipped"));
    cr_assert_gt(jint(j, "clusters"), clusters);
    cJSON_Delete(j);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0);
    gc.cl = cl;
    cr_assert_eq(sl_cluster_guard_each(cl, 0, check_skipped, &gc), 0);
    cr_assert_eq(gc.seen, sl_cluster_get_info(cl)->n_guard);
    /* show marks them: the first event's cluster */
    cr_assert_eq(sl_cluster_guard_each(cl, 0, first_cluster, &gc), 1);
    j = sleuth_json("cluster show --store %s %u --json", st, (unsigned)gc.seen);
    g = cJSON_GetObjectItem(j, "guard");
    cr_assert_gt(cJSON_GetArraySize(g), 0);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(g, 0), "reason"), "size");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(g, 0), "applied")));
    cJSON_Delete(j);
    expect(0, "GUARD size NOT merged", "cluster show --store %s %u", st, (unsigned)gc.seen);
    sl_cluster_close(cl);
    sl_store_close(s);
}

/* ---- the tag hook: a small table ---- */
typedef struct tagrow {
    const char *addr;
    sl_cluster_tag tag;
    uint32_t id;
} tagrow;
typedef struct tagtab {
    tagrow *rows;
    size_t n;
} tagtab;

static int tab_best(void *ctx, sl_addr_ref a, sl_cluster_tag *out)
{
    tagtab *t = ctx;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].id == a.id) {
            *out = t->rows[i].tag;
            return 1;
        }
    return 0;
}

/* two exchanges, or an exchange and anyone else, cannot be one owner */
static bool tab_conflict(void *ctx, const sl_cluster_tag *x, const sl_cluster_tag *y)
{
    (void)ctx;
    return strcmp(x->label, y->label) != 0 && (!strcmp(x->category, "exchange") || !strcmp(y->category, "exchange"));
}

Test(cluster, guard_tag_conflict_and_best_tag, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    sl_store *s;
    sl_cluster *cl;
    sl_error e = {0};
    sl_cluster_build_report rep;
    sl_cluster_opts o = sl_cluster_opts_default();
    uint32_t c193, c256, c276;
    sl_cluster_tag best;
    uint64_t looked;
    /* 496's tx spends from address ids 368 (its first input), 193 and 256: the star's
     * first edge (368, 193) joins an "Exchange A" and an "Exchange B" address: refused;
     * (368, 256) goes through. 586's tx: the five of cluster 276. */
    tagrow rows[] = {
        {"15NUwyBYrZcnUgTagsm1A7M2yL2GntpuaZ", {"Exchange A", "exchange", "test", 80, true}, 0},
        {"18SH9vwx24L5cTabfkgtGMjF8A56pD9AUJ", {"Exchange B", "exchange", "test", 80, true}, 0},
        {"1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK", {"Pool X", "mining_service", "test", 60, true}, 0},
        {"1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54", {"Pool X wallet", "mining_service", "test", 90, true}, 0},
        {"1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py", {"Miner", "miner", "test", 95, false}, 0},
    };
    tagtab tab = {rows, 5};
    sl_cluster_tagger tg = {tab_best, tab_conflict, &tab};
    ingest(st, BLK0 " " BLK1);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0);
    for (size_t i = 0; i < tab.n; i++) {
        sl_addr_ref a;
        cr_assert_eq(sl_addr_resolve(s, "btc", rows[i].addr, &a, &e), 0, "%s", e.msg);
        rows[i].id = a.id;
    }
    cr_assert_eq(rows[0].id, 193);
    cr_assert_eq(rows[1].id, 368);
    o.tagger = &tg;
    o.quiet = true;
    cr_assert_eq(sl_cluster_build(s, &o, &rep, &e), 0, "%s", e.msg);
    cr_assert_eq(rep.guard_events, 1);
    cr_assert_eq(rep.guard_skipped, 1);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, rows[0].id}, &c193, NULL), 0);
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, rows[1].id}, &c256, NULL), 0);
    cr_assert_neq(c193, c256, "two exchanges were merged");
    cr_assert_eq(sl_cluster_guard_each(cl, c193, tag_refused, NULL), 0);
    /* best tag of 276 (GraphSense): definers only, highest confidence: "Pool X wallet" (90)
     * over "Pool X" (60); "Miner" (95) is no definer */
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, rows[2].id}, &c276, NULL), 0);
    cr_assert_eq(c276, 276);
    cr_assert_eq(sl_cluster_best_tag(cl, c276, &tg, 0, &best, &looked), 1);
    cr_assert_str_eq(best.label, "Pool X wallet");
    cr_assert_eq(looked, 5);
    /* bounded: the first member of the list only (the cluster's id, 1DNd..: no definer) */
    cr_assert_eq(sl_cluster_best_tag(cl, c276, &tg, 1, &best, &looked), 0);
    cr_assert_eq(looked, 1);
    /* a one-address cluster takes its address's tag, definer or not */
    rows[4].id = 1; /* Satoshi's genesis address, alone */
    cr_assert_eq(sl_cluster_best_tag(cl, 1, &tg, 0, &best, &looked), 1);
    cr_assert_str_eq(best.label, "Miner");
    /* policy apply: merged, still logged */
    sl_cluster_close(cl);
    rows[4].id = 0;
    o.guard_tag_policy = SL_GUARD_APPLY;
    cr_assert_eq(sl_cluster_build(s, &o, &rep, &e), 0, "%s", e.msg);
    cr_assert(rep.from_scratch, "a policy change rebuilds");
    cr_assert_eq(rep.guard_events, 1);
    cr_assert_eq(rep.guard_skipped, 0);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, rows[0].id}, &c193, NULL), 0);
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, rows[1].id}, &c256, NULL), 0);
    cr_assert_eq(c193, c256);
    sl_cluster_close(cl);
    sl_store_close(s);
}

/* ---- the union-find against connected components on a generated chain ---- */

/* Asserts that every hop of a why path starts where the previous one ended (at `from`
 * first) and is a transaction spending from both of its addresses. */
static void check_path(sl_store *s, const sl_merge_edge *path, size_t n, uint32_t from, uint32_t to)
{
    uint32_t at = from;
    for (size_t i = 0; i < n; i++) {
        uint64_t fi = sl_btc_tx_first_in(s, path[i].tx.id);
        uint32_t ni = sl_btc_tx_n_in(s, path[i].tx.id);
        bool has_a = false, has_b = false;
        cr_assert_eq(path[i].a.id, at);
        for (uint32_t k = 0; k < ni; k++) {
            uint32_t a;
            sl_btc_in_value(s, fi + k, &a);
            has_a |= a == path[i].a.id, has_b |= a == path[i].b.id;
        }
        cr_assert(has_a && has_b, "hop %zu: tx %llu does not spend from both", i, (unsigned long long)path[i].tx.id);
        at = path[i].b.id;
    }
    cr_assert_eq(at, to);
}

Test(cluster, union_find_vs_components_generated, .timeout = 300)
{
    const char *d = temp_dir(), *st = path_in(d, "s");
    sl_store *s;
    sl_cluster *cl;
    sl_error e = {0};
    const sl_btc_meta *m;
    uint32_t *head, *next, *comp, *queue, *eto;
    uint64_t n_ev = 0;
    cJSON *j;
    run_result r = run_sh("cc -O2 -D_GNU_SOURCE -w -o %s/gen_blk bench/gen_blk.c -lcrypto && %s/gen_blk --txs 30000 --seed 7 "
                          "%s/blk >/dev/null",
                          d, d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    expect(0, NULL, "ingest btc --quiet --network regtest --store %s %s/blk", st, d);
    j = build(st, NULL);
    cr_assert_eq(jint(j, "coinjoins_excluded"), 0, "the reference below assumes no CoinJoin");
    cr_assert_gt(jint(j, "merges"), 1000);
    cJSON_Delete(j);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0);
    cr_assert_eq(sl_cluster_open(s, &cl, &e), 0);
    m = sl_btc_meta_get(s);
    /* the graph: an undirected edge between consecutive distinct input addresses of a tx
     * (a path links the same set as the builder's star), in adjacency lists */
    head = calloc(m->n_addr + 1, sizeof *head);
    comp = calloc(m->n_addr + 1, sizeof *comp);
    queue = calloc(m->n_addr + 1, sizeof *queue);
    next = calloc(2 * m->n_in + 2, sizeof *next);
    eto = calloc(2 * m->n_in + 2, sizeof *eto);
    cr_assert(head && comp && queue && next && eto);
    for (uint64_t tx = 0; tx < m->n_tx; tx++) {
        uint64_t fi = sl_btc_tx_first_in(s, tx);
        uint32_t ni = sl_btc_tx_n_in(s, tx), prev = 0;
        if (sl_btc_tx_is_coinbase(s, tx)) continue;
        for (uint32_t k = 0; k < ni; k++) {
            uint32_t a;
            sl_btc_in_value(s, fi + k, &a);
            if (!a || a == prev) continue;
            if (prev) {
                n_ev++, eto[n_ev] = a, next[n_ev] = head[prev], head[prev] = (uint32_t)n_ev;
                n_ev++, eto[n_ev] = prev, next[n_ev] = head[a], head[a] = (uint32_t)n_ev;
            }
            prev = a;
        }
    }
    for (uint32_t x = 1; x <= m->n_addr; x++) { /* BFS from each unvisited address: the component's id is x, its smallest */
        uint32_t qh = 0, qt = 0, id;
        uint64_t size = 0, got;
        if (comp[x]) continue;
        comp[x] = x, queue[qt++] = x;
        while (qh < qt) {
            uint32_t y = queue[qh++];
            size++;
            for (uint32_t ev = head[y]; ev; ev = next[ev])
                if (!comp[eto[ev]]) comp[eto[ev]] = x, queue[qt++] = eto[ev];
        }
        for (uint32_t i = 0; i < qt; i++) {
            cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, queue[i]}, &id, &got), 0);
            cr_assert(id == x && got == size, "address %u: cluster %u size %llu, components say %u size %llu", queue[i],
                      id, (unsigned long long)got, x, (unsigned long long)size);
        }
        if (size > 1) { /* why from the smallest to the last one the BFS reached */
            sl_merge_edge *path;
            size_t n;
            cr_assert_eq(sl_cluster_why(cl, (sl_addr_ref){SL_CHAIN_BTC, x}, (sl_addr_ref){SL_CHAIN_BTC, queue[qt - 1]}, &path,
                                        &n, &e), 0, "%s", e.msg);
            cr_assert_geq(n, 1);
            check_path(s, path, n, x, queue[qt - 1]);
            sl_free(path);
        }
    }
    free(head), free(comp), free(queue), free(next), free(eto);
    sl_cluster_close(cl);
    sl_store_close(s);
}
