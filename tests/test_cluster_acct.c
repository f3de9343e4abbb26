/* test_cluster_acct.c — clusters of the account chains (sleuth/cluster.h with a chain,
 * `sleuth cluster build|show|why` on Ethereum and Tron): the deposit fixtures of
 * tests/data/deposit (the chains are described in tests/test_deposit.c) give exactly one
 * exchange cluster each — the hot wallet and its deposit addresses, never a customer —
 * and `why` between two deposit addresses goes through the hot wallet by the sweep
 * transactions. A store holding Bitcoin blocks and the Ethereum fixture clusters both
 * chains with one `cluster build`, in their own folders, and show/why pick the chain from
 * the address. The guard's tag hook works on account chains as on Bitcoin.
 *
 * Ethereum fixture: H1 = 0xa1.. is swept into by D1 (tx d00a, block 1010, then d015), D2
 * (d013, block 1100) and D3 (d012, block 1050; USDT); deposit confidences 64, 49, 50.
 * C1 = 0xc1.. pays D1 (a customer); H2 = 0xa2.. has two deposits only (E1, E2: below k);
 * D4 (late) and D5 (short) are not deposits. Tron fixture: H = TQhq.. swept into by
 * D1 TV6d.. (d005), D2 TVBw.. (d006), D3 TVHF.. (d007).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/cluster.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

#define H1 "0xA1a1a1a1A1A1a1a1a1A1a1A1a1a1a1A1A1A1A100"
#define H2 "0xa2A2a2a2A2a2A2a2a2a2A2a2A2a2A2a2A2a2a200"
#define D1 "0xD1D1D1D1D1d1D1d1D1D1d1d1d1D1d1D1D1D1d100"
#define D2 "0xD2D2D2d2d2D2d2D2D2D2d2d2D2D2D2D2d2D2D200"
#define D3 "0xD3D3D3D3d3D3D3D3D3D3d3D3D3D3d3D3D3D3d300"
#define E1 "0xe1E1e1e1e1e1E1e1E1e1E1e1E1e1E1e1e1e1e100"
#define C1 "0xC1C1C1C1c1C1c1C1c1c1C1C1C1c1c1C1c1C1c100"
#define TX(n) "0x000000000000000000000000000000000000000000000000000000000000" n
#define TRON_H "TQhqRHgEonKEYqudomS8243o3beRakUYYr"
#define TRON_D1 "TV6dag1sPTpB9hg9QqLCs21JndjscST5PU"
#define TRON_D2 "TVBwTcrcSagKYBJ7cSTLDNWFnKf9q2YvNa"
#define TRON_D3 "TVHFLZhMVhYTvev5p3aTZj1Cn1aS2btivH"
#define TRON_TX(n) "000000000000000000000000000000000000000000000000000000000000" n
#define BLK0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define BLK1 FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"

/* A store of the Ethereum deposit fixture in dir/name; its path. */
static const char *eth_store(const char *dir, const char *name)
{
    const char *st = path_in(dir, name);
    run_result r = run_sleuth("ingest eth --quiet --store %s tests/data/deposit/chain.jsonl", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return st;
}

/* A library test's state: the Ethereum fixture's store opened read-only and build options
 * for its chain (quiet). */
typedef struct lib_fx {
    const char *st;
    sl_store *s;
    sl_error e;
    sl_cluster_opts o;
    sl_cluster_build_report rep;
} lib_fx;

static void lib_open(lib_fx *f)
{
    memset(f, 0, sizeof *f);
    f->st = eth_store(temp_dir(), "s");
    cr_assert_eq(sl_store_open(&f->s, f->st, SL_STORE_RDONLY, &f->e), 0, "%s", f->e.msg);
    f->o = sl_cluster_opts_default();
    f->o.chain = "ethereum", f->o.quiet = true;
}

/* Asserts a `cluster show --json` answer's members, in any order (ids follow first
 * appearance, the test names addresses). */
static void assert_member_set(const cJSON *j, int n, const char *const *want)
{
    const cJSON *m = cJSON_GetObjectItem(j, "members");
    cr_assert_eq(cJSON_GetArraySize(m), n, "%d members, want %d", cJSON_GetArraySize(m), n);
    for (int i = 0; i < n; i++) {
        const cJSON *x;
        bool found = false;
        cJSON_ArrayForEach(x, m) found |= !strcasecmp(jstr(x, "address"), want[i]);
        cr_assert(found, "%s is not a member", want[i]);
    }
}

/* Asserts hop i of a `cluster why --json` path. */
static void assert_hop(const cJSON *j, int i, const char *from, const char *to, const char *tx, uint64_t height, int conf)
{
    const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "path"), i);
    cr_assert(h, "hop %d", i);
    cr_assert_str_eq(jstr(h, "from"), from, "hop %d", i);
    cr_assert_str_eq(jstr(h, "to"), to, "hop %d", i);
    cr_assert_str_eq(jstr(h, "tx"), tx, "hop %d", i);
    cr_assert_eq(jint(h, "height"), height, "hop %d", i);
    cr_assert_str_eq(jstr(h, "heuristic"), "deposit");
    cr_assert_eq(jint(h, "confidence"), (uint64_t)conf, "hop %d", i);
}

Test(cluster_acct, ethereum_exact, .timeout = 60)
{
    const char *d = temp_dir(), *st = eth_store(d, "s");
    cJSON *j = sleuth_json("cluster build --store %s --json", st), *dep;
    cr_assert_str_eq(jstr(j, "chain"), "ethereum", "the store holds one chain: one report");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "heuristics"), 0)->valuestring, "deposit");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert_str_eq(jstr(j, "why"), "first build");
    cr_assert_eq(jint(j, "tx_to"), 52);
    cr_assert_eq(jint(j, "flows"), 57);
    cr_assert_eq(jint(j, "edges"), 3);
    cr_assert_eq(jint(j, "merges"), 3);
    cr_assert_eq(jint(j, "multi_address_clusters"), 1);
    cr_assert_eq(jint(j, "largest_size"), 4);
    cr_assert_eq(jint(j, "addresses") - jint(j, "clusters"), 3, "a spanning forest");
    dep = cJSON_GetObjectItem(j, "deposit");
    cr_assert_eq(jint(dep, "hot_wallets"), 1);
    cr_assert_eq(jint(dep, "deposits"), 3);
    cr_assert_eq(jint(dep, "customers"), 3);
    cr_assert(access(path_in(st, "knowledge/cluster/ethereum/state"), F_OK) == 0, "the chain's own folder");
    cr_assert(access(path_in(st, "knowledge/cluster/state"), F_OK) != 0, "no Bitcoin-family clustering was built");
    cJSON_Delete(j);

    /* the exchange: H1 and its three deposit addresses; the cluster id is the oldest (D1) */
    static const char *const exchange[] = {H1, D1, D2, D3};
    const char *const probes[] = {H1, D1, D2, D3};
    for (int i = 0; i < 4; i++) {
        j = sleuth_json("cluster show --store %s %s --json", st, probes[i]);
        cr_assert_str_eq(jstr(j, "chain"), "ethereum");
        cr_assert_eq(jint(j, "size"), 4);
        cr_assert_str_eq(jstr(j, "id_address"), D1);
        assert_member_set(j, 4, exchange);
        cJSON_Delete(j);
    }
    /* a customer (C1 paid D1 twice), H2 (two deposits, below k) and its deposit: alone */
    const char *const alone[] = {C1, H2, E1, "0xd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d400"};
    for (int i = 0; i < 4; i++) {
        j = sleuth_json("cluster show --store %s %s --json", st, alone[i]);
        cr_assert_eq(jint(j, "size"), 1, "%s is not in the exchange's cluster", alone[i]);
        cJSON_Delete(j);
    }
    /* a cluster id of an account chain needs --chain; ids are the chain's */
    j = sleuth_json("cluster show --store %s %s --json", st, D1);
    {
        char arg[64];
        uint64_t id = jint(j, "id");
        cJSON_Delete(j);
        snprintf(arg, sizeof arg, "%llu", (unsigned long long)id);
        j = sleuth_json("cluster show --store %s --chain ethereum %s --json", st, arg);
        cr_assert_eq(jint(j, "size"), 4);
        cJSON_Delete(j);
        run_result r = run_sleuth("cluster show --store %s %s", st, arg);
        cr_assert_eq(r.status, 1, "no Bitcoin-family clustering: %s", r.err);
        run_free(&r);
    }
    /* text */
    run_result r = run_sleuth("cluster show --store %s %s", st, D2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "ethereum cluster ") && strstr(r.out, "(" D1 "): 4 addresses"), "%s", r.out);
    cr_assert(strstr(r.out, "  " H1 "\n"), "%s", r.out);
    run_free(&r);
}

/* why between two deposit addresses of one exchange: through the hot wallet, each hop the
 * deposit's first sweep (its evidence transaction) with the deposit's confidence. */
Test(cluster_acct, ethereum_why, .timeout = 60)
{
    const char *d = temp_dir(), *st = eth_store(d, "s");
    cJSON *j;
    run_result r;
    cJSON_Delete(sleuth_json("cluster build --store %s --chain eth --json", st));
    j = sleuth_json("cluster why --store %s %s %s --json", st, D1, D3);
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cr_assert_eq(jint(j, "hops"), 2);
    assert_hop(j, 0, D1, H1, TX("d00a"), 1010, 64);
    assert_hop(j, 1, H1, D3, TX("d012"), 1050, 50);
    cJSON_Delete(j);
    j = sleuth_json("cluster why --store %s %s %s --json", st, D2, H1);
    cr_assert_eq(jint(j, "hops"), 1);
    assert_hop(j, 0, D2, H1, TX("d013"), 1100, 49);
    cJSON_Delete(j);
    r = run_sleuth("cluster why --store %s %s %s", st, D3, D2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "deposit (confidence 50), tx\n       " TX("d012")), "%s", r.out);
    cr_assert(strstr(r.out, "deposit (confidence 49), tx\n       " TX("d013")), "%s", r.out);
    run_free(&r);
    /* a customer is not in the exchange's cluster */
    r = run_sleuth("cluster why --store %s %s %s", st, C1, D1);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "different clusters"), "%s", r.err);
    run_free(&r);
    /* a rebuild says why it is one, and gives the same clusters */
    j = sleuth_json("cluster build --store %s --json", st);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "from_scratch")));
    cr_assert(strstr(jstr(j, "why"), "rebuilt from scratch"), "%s", jstr(j, "why"));
    cr_assert_eq(jint(j, "merges"), 3);
    cJSON_Delete(j);
    j = sleuth_json("cluster why --store %s %s %s --json", st, D1, D3);
    assert_hop(j, 1, H1, D3, TX("d012"), 1050, 50);
    cJSON_Delete(j);
    /* deposit parameters move the clusters: k = 2 admits H2 (CLI, then library options) */
    j = sleuth_json("cluster build --store %s --min-deposits 2 --json", st);
    cr_assert_eq(jint(j, "merges"), 5);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "deposit"), "hot_wallets"), 2);
    cJSON_Delete(j);
    r = run_sleuth("cluster build --store %s --alpha 0.0000000000000000001", st);
    cr_assert_eq(r.status, 2, "more decimals than ETH has: %s", r.err);
    run_free(&r);
    {
        sl_store *s;
        sl_cluster *cl;
        sl_error e = {0};
        sl_cluster_build_report rep;
        sl_cluster_opts o = sl_cluster_opts_default();
        sl_deposit_params p;
        sl_addr_ref a, b;
        uint32_t ia, ib;
        cr_assert(sl_deposit_params_init(&p, "ethereum"));
        p.min_deposits = 2;
        o.chain = "ethereum", o.deposit = &p, o.quiet = true;
        cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), 0, "%s", e.msg);
        cr_assert_eq(sl_cluster_build(s, &o, &rep, &e), 0, "%s", e.msg);
        cr_assert_eq(rep.merges, 5);
        cr_assert_eq(rep.deposit.hot_wallets, 2);
        cr_assert_eq(sl_cluster_open_chain(s, "ethereum", &cl, &e), 0, "%s", e.msg);
        cr_assert_eq(sl_addr_resolve(s, NULL, H2, &a, &e), 0);
        cr_assert_eq(sl_addr_resolve(s, NULL, E1, &b, &e), 0);
        cr_assert_eq(sl_cluster_of(cl, a, &ia, NULL), 0);
        cr_assert_eq(sl_cluster_of(cl, b, &ib, NULL), 0);
        cr_assert_eq(ia, ib, "H2 and its deposit E1");
        sl_cluster_close(cl);
        sl_store_close(s);
    }
}

/* The library: a handle is of one chain; another chain's address is not found in it. */
Test(cluster_acct, library_chain_of_handle, .timeout = 60)
{
    lib_fx f;
    sl_cluster *cl;
    sl_addr_ref h, d1, d3;
    uint32_t id, id2;
    uint64_t size;
    sl_merge_edge *path;
    size_t n;
    lib_open(&f);
    sl_store *s = f.s;
    sl_error e = {0};
    f.o.chain = NULL;
    cr_assert_eq(sl_cluster_build(s, &f.o, &f.rep, &e), SL_ENOTFOUND, "no Bitcoin-family blocks");
    f.o.chain = "tron";
    cr_assert_eq(sl_cluster_build(s, &f.o, &f.rep, &e), SL_ENOTFOUND, "no Tron blocks");
    f.o.chain = "dogecoin-classic";
    cr_assert_eq(sl_cluster_build(s, &f.o, &f.rep, &e), SL_EUSAGE);
    f.o.chain = "ethereum";
    cr_assert_eq(sl_cluster_build(s, &f.o, &f.rep, &e), 0, "%s", e.msg);
    cr_assert_str_eq(f.rep.chain, "ethereum");
    cr_assert_eq(sl_cluster_open(s, &cl, &e), SL_ENOTFOUND, "the old call opens the Bitcoin-family chain's");
    cr_assert_eq(sl_cluster_open_chain(s, "tron", &cl, &e), SL_ENOTFOUND);
    cr_assert_eq(sl_cluster_open_chain(s, "nowhere", &cl, &e), SL_EUSAGE);
    cr_assert_eq(sl_cluster_open_chain(s, "ethereum", &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_get_info(cl)->chain, SL_CHAIN_ETHEREUM);
    cr_assert_eq(sl_cluster_get_info(cl)->heuristics, 1u << SL_H_DEPOSIT);
    cr_assert_eq(sl_cluster_get_info(cl)->tx_done, 52);
    cr_assert_eq(sl_addr_resolve(s, "ethereum", H1, &h, &e), 0);
    cr_assert_eq(sl_addr_resolve(s, "ethereum", D1, &d1, &e), 0);
    cr_assert_eq(sl_addr_resolve(s, "ethereum", D3, &d3, &e), 0);
    cr_assert_eq(sl_cluster_of(cl, h, &id, &size), 0);
    cr_assert_eq(size, 4);
    cr_assert_eq(id, d1.id, "the smallest id: D1 appears before H1");
    cr_assert(sl_cluster_exists(cl, id, NULL));
    {
        uint32_t mem[8];
        cr_assert_eq(sl_cluster_members(cl, id, 0, mem, 8), 4);
    }
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_BTC, h.id}, &id2, NULL), SL_ENOTFOUND, "the ref's chain must match");
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){22, h.id}, &id2, NULL), SL_ENOTFOUND);
    cr_assert_eq(sl_cluster_of(cl, (sl_addr_ref){SL_CHAIN_ETHEREUM, 2}, &id2, NULL), SL_ENOTFOUND, "a sink is no address");
    cr_assert_eq(sl_cluster_why(cl, d1, (sl_addr_ref){SL_CHAIN_BTC, d3.id}, &path, &n, &e), SL_ENOTFOUND);
    cr_assert_eq(sl_cluster_why(cl, d1, d3, &path, &n, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(path[0].a.chain, SL_CHAIN_ETHEREUM);
    cr_assert_eq(path[0].tx.chain, SL_CHAIN_ETHEREUM);
    cr_assert(path[0].a.id == d1.id && path[0].b.id == h.id && path[1].a.id == h.id && path[1].b.id == d3.id);
    cr_assert_eq(path[0].heuristic, SL_H_DEPOSIT);
    sl_free(path);
    sl_cluster_close(cl);
    sl_store_close(s);
}

/* ---- the tag hook on an account chain: H1 "Exchange A", D3 "Exchange B" ---- */
typedef struct tagpair {
    uint32_t a, b;
} tagpair;

static int pair_best(void *ctx, sl_addr_ref a, sl_cluster_tag *out)
{
    const tagpair *t = ctx;
    cr_assert_eq(a.chain, SL_CHAIN_ETHEREUM, "the tagger sees the chain's refs");
    if (a.id != t->a && a.id != t->b) return 0;
    snprintf(out->label, sizeof out->label, "%s", a.id == t->a ? "Exchange A" : "Exchange B");
    snprintf(out->category, sizeof out->category, "exchange");
    out->confidence = 80, out->is_cluster_definer = true;
    return 1;
}

static bool pair_conflict(void *ctx, const sl_cluster_tag *x, const sl_cluster_tag *y)
{
    (void)ctx;
    return strcmp(x->label, y->label) != 0;
}

Test(cluster_acct, guard_tag_conflict, .timeout = 60)
{
    lib_fx f;
    sl_cluster *cl;
    sl_addr_ref h, d3;
    tagpair tp;
    sl_cluster_tagger tg = {pair_best, pair_conflict, &tp};
    uint32_t ch, cd;
    cJSON *j, *g;
    lib_open(&f);
    sl_store *s = f.s;
    const char *st = f.st;
    sl_error e = {0};
    cr_assert_eq(sl_addr_resolve(s, NULL, H1, &h, &e), 0);
    cr_assert_eq(sl_addr_resolve(s, NULL, D3, &d3, &e), 0);
    tp.a = h.id, tp.b = d3.id;
    f.o.tagger = &tg;
    cr_assert_eq(sl_cluster_build(s, &f.o, &f.rep, &e), 0, "%s", e.msg);
    cr_assert_eq(f.rep.guard_events, 1);
    cr_assert_eq(f.rep.guard_skipped, 1);
    cr_assert_eq(f.rep.merges, 2);
    cr_assert_eq(sl_cluster_open_chain(s, "ethereum", &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(sl_cluster_of(cl, h, &ch, NULL), 0);
    cr_assert_eq(sl_cluster_of(cl, d3, &cd, NULL), 0);
    cr_assert_neq(ch, cd, "two exchanges were merged");
    sl_cluster_close(cl);
    sl_store_close(s);
    j = sleuth_json("cluster show --store %s %s --json", st, D3);
    g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "guard"), 0);
    cr_assert(g, "show lists the refused merge");
    cr_assert_str_eq(jstr(g, "reason"), "tag-conflict");
    cr_assert_str_eq(jstr(g, "tx"), TX("d012"));
    cr_assert_str_eq(jstr(g, "a"), D3);
    cr_assert_str_eq(jstr(g, "b"), H1);
    cJSON_Delete(j);
}

/* Tron: T-addresses pick the chain; Tron hashes are written without 0x. */
Test(cluster_acct, tron_fixture, .timeout = 60)
{
    const char *d = temp_dir(), *st = path_in(d, "t");
    cJSON *j;
    run_result r = run_sleuth("ingest tron --quiet --store %s tests/data/deposit/tron_blocks.json "
                              "tests/data/deposit/tron_transactions.json tests/data/deposit/tron_logs.json", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("cluster build --store %s --json", st);
    cr_assert_str_eq(jstr(j, "chain"), "tron");
    cr_assert_eq(jint(j, "merges"), 3);
    cr_assert_eq(jint(j, "largest_size"), 4);
    cJSON_Delete(j);
    cr_assert(access(path_in(st, "knowledge/cluster/tron/state"), F_OK) == 0);
    j = sleuth_json("cluster show --store %s " TRON_H " --json", st);
    {
        static const char *const want[] = {TRON_H, TRON_D1, TRON_D2, TRON_D3};
        cr_assert_str_eq(jstr(j, "chain"), "tron");
        assert_member_set(j, 4, want);
    }
    cJSON_Delete(j);
    j = sleuth_json("cluster why --store %s " TRON_D1 " " TRON_D3 " --json", st);
    cr_assert_eq(jint(j, "hops"), 2);
    assert_hop(j, 0, TRON_D1, TRON_H, TRON_TX("d005"), 60000130, 42);
    assert_hop(j, 1, TRON_H, TRON_D3, TRON_TX("d007"), 60000150, 50);
    cJSON_Delete(j);
    /* D4's sweep is 5 TRX short: not the exchange's */
    j = sleuth_json("cluster build --store %s --chain tron --json", st);
    cr_assert_eq(jint(j, "merges"), 3);
    cJSON_Delete(j);
}

/* One store, two chains: one build clusters both, each in its folder; show and why pick
 * the chain from the address; the Bitcoin-family results are those of a Bitcoin-only
 * store (test_cluster.c's hand-checked numbers). */
Test(cluster_acct, bitcoin_and_ethereum_in_one_store, .timeout = 90)
{
    const char *d = temp_dir(), *st = eth_store(d, "s");
    cJSON *j, *chains, *b, *x;
    run_result r = run_sleuth("ingest btc --quiet --store %s " BLK0 " " BLK1, st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("cluster build --store %s --json", st);
    chains = cJSON_GetObjectItem(j, "chains");
    cr_assert_eq(cJSON_GetArraySize(chains), 2, "one report per chain");
    b = cJSON_GetArrayItem(chains, 0);
    x = cJSON_GetArrayItem(chains, 1);
    cr_assert_str_eq(jstr(b, "chain"), "btc");
    cr_assert_eq(jint(b, "clusters"), 607);
    cr_assert_eq(jint(b, "merges"), 8);
    cr_assert_eq(jint(b, "largest_cluster"), 276);
    cr_assert_str_eq(jstr(x, "chain"), "ethereum");
    cr_assert_eq(jint(x, "merges"), 3);
    cr_assert_eq(jint(x, "largest_size"), 4);
    cJSON_Delete(j);
    cr_assert(access(path_in(st, "knowledge/cluster/state"), F_OK) == 0);
    cr_assert(access(path_in(st, "knowledge/cluster/ethereum/state"), F_OK) == 0);

    /* text: one report per chain; the Bitcoin-family one is incremental now */
    r = run_sleuth("cluster build --store %s", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "btc: cluster build: incremental"), "%s", r.out);
    cr_assert(strstr(r.out, "ethereum: cluster build from scratch: an account chain is rebuilt"), "%s", r.out);
    cr_assert(strstr(r.out, "3 deposit addresses of 1 hot wallets"), "%s", r.out);
    run_free(&r);

    j = sleuth_json("cluster show --store %s 1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54 --json", st);
    cr_assert_str_eq(jstr(j, "chain"), "btc");
    cr_assert_eq(jint(j, "id"), 276);
    cr_assert_eq(jint(j, "size"), 5);
    cJSON_Delete(j);
    j = sleuth_json("cluster show --store %s 276 --json", st);
    cr_assert_eq(jint(j, "size"), 5, "a bare id is the Bitcoin-family chain's");
    cJSON_Delete(j);
    j = sleuth_json("cluster show --store %s %s --json", st, H1);
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cr_assert_eq(jint(j, "size"), 4);
    cr_assert_str_eq(jstr(j, "id_address"), D1);
    cJSON_Delete(j);
    j = sleuth_json("cluster why --store %s %s %s --json", st, D2, D3);
    assert_hop(j, 0, D2, H1, TX("d013"), 1100, 49);
    assert_hop(j, 1, H1, D3, TX("d012"), 1050, 50);
    cJSON_Delete(j);
    j = sleuth_json("cluster why --store %s 1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK --json", st);
    cr_assert_str_eq(jstr(j, "chain"), "btc");
    cr_assert_eq(jint(j, "hops"), 2);
    cJSON_Delete(j);
    r = run_sleuth("cluster why --store %s %s 1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD", st, D1);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "two chains"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("cluster show --store %s --chain ethereum 1ACWHyRM8rtbt96KauPJprnF2qDQSdPJ54", st);
    cr_assert_eq(r.status, 2, "not an Ethereum address: %s", r.err);
    run_free(&r);
    r = run_sleuth("cluster build --store %s --chain nowhere", st);
    cr_assert_eq(r.status, 2);
    run_free(&r);
    r = run_sleuth("cluster build --store %s --chain tron", st);
    cr_assert_eq(r.status, 1, "no Tron blocks: %s", r.err);
    run_free(&r);
}

/* Out of memory (util.h's seam) at every N until an Ethereum build succeeds: each failing
 * run exits 1 by itself with one line that says "out of memory". */
Test(cluster_acct, out_of_memory, .timeout = 120)
{
    const char *d = temp_dir(), *st = eth_store(d, "s");
    unsigned long n = 1;
    for (;; n = n < 150 ? n + 1 : n + n / 8) {
        run_result r = run_sh("SLEUTH_TEST_ALLOC_FAIL=%lu %s cluster build --store %s --chain ethereum --quiet", n,
                              sleuth_bin(), st);
        if (r.status == 0) { run_free(&r); break; }
        const char *nl = strchr(r.err, '\n');
        cr_assert_eq(r.status, 1, "N=%lu: exit %d: %s", n, r.status, r.err);
        cr_assert(strstr(r.err, "out of memory") && nl && !nl[1], "N=%lu: %s", n, r.err);
        run_free(&r);
        cr_assert_lt(n, 100000, "never succeeds");
    }
    cJSON *j = sleuth_json("cluster show --store %s %s --json", st, D3);
    cr_assert_eq(jint(j, "size"), 4);
    cJSON_Delete(j);
}
