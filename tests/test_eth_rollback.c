/* test_eth_rollback.c — rollback of an account chain (sl_eth_rollback, `sleuth rollback
 * --chain ethereum`), checked against stores that never had the removed blocks: (1) a
 * generated 150-block chain (native, token, fee and burn flows, self-transfers, amounts
 * above 2^128, accounts and tokens that first appear late) ingested in many small
 * commits, rolled back by 120 blocks, must answer every block, tx and address look-up
 * exactly as a store that only ever ingested blocks 1..30, and after re-ingest exactly as
 * a fresh ingest; (2) the same through the CLI on the 35 bundled mainnet blocks; (3) a
 * kill -9 at each of the rollback's commit points leaves the store before or after it,
 * and it goes on working; (4) refusals leave the store as it was. Every store is also
 * read back against a plain scan of its flows (histories both ways, counts, first and
 * last seen, balances per asset, tx hashes), so the new read paths are checked on their
 * own, not only against each other.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/eth_store.h"
#include "sleuth/ingest.h"
#include "sleuth/report.h"
#include "sleuth/util.h"

TestSuite(eth_rollback, .timeout = 300);

#define MEV "tests/data/eth/mev"
#define MEV_CUT 13699765ULL /* keeps 29 of the 35 blocks */
#define GEN_N 150
#define GEN_CUT 30

/* ---------------- a generated chain ---------------- */

static void hex_addr(char out[43], uint32_t tag, uint64_t k)
{
    snprintf(out, 43, "0x%08x%016llx%016llx", tag, (unsigned long long)(k * 0x9e3779b97f4a7c15ULL),
             (unsigned long long)(k + 1));
}

static void hex_hash(char out[67], uint64_t tag, uint64_t k)
{
    snprintf(out, 67, "0x%032llx%032llx", (unsigned long long)tag, (unsigned long long)(k * 0x2545f4914f6cdd1dULL + 1));
}

/* Writes blocks [from, to] as JSON-RPC answers (a block with full txs, then a receipt per
 * tx) to path. Block n has 1-4 txs among 10 + n/3 accounts (new ones keep coming), every
 * 11th a self-transfer, every 9th failed, every 17th block's first tx worth 2^130 + n;
 * successful even txs move a token of 2 + n/40 (new tokens late in the chain). */
static void gen_chain(const char *path, uint64_t from, uint64_t to)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (uint64_t n = from; n <= to; n++) {
        char bh[67], ph[67], miner[43];
        uint32_t ntx = 1 + (uint32_t)(n % 4), logi = 0;
        hex_hash(bh, 0xb10c, n);
        hex_hash(ph, 0xb10c, n - 1);
        hex_addr(miner, 0x99999999, n % 3);
        fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x%llx\",\"hash\":\"%s\",\"parentHash\":\"%s\","
                   "\"timestamp\":\"0x%llx\",\"miner\":\"%s\",\"baseFeePerGas\":\"0x7\",\"transactions\":[",
                (unsigned long long)n, bh, ph, (unsigned long long)(1700000000 + 12 * n), miner);
        for (uint32_t t = 0; t < ntx; t++) {
            char th[67], fa[43], ta[43], val[80];
            uint64_t pool = 10 + n / 3, x = (n * 7 + t * 13) % pool, y = (n * 5 + t * 3 + 1) % pool;
            hex_hash(th, 0x7e, n << 8 | t);
            hex_addr(fa, 0xa11ce000, x);
            hex_addr(ta, 0xa11ce000, (n + t) % 11 == 0 ? x : y);
            if (n % 17 == 0 && t == 0) snprintf(val, sizeof val, "4%032llx", (unsigned long long)n);
            else snprintf(val, sizeof val, "%llx", (unsigned long long)(1000 + n * 10 + t));
            fprintf(f, "%s{\"hash\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x%s\",\"gas\":\"0x5208\","
                       "\"gasPrice\":\"0x10\",\"input\":\"0x\",\"nonce\":\"0x%x\",\"transactionIndex\":\"0x%x\","
                       "\"blockNumber\":\"0x%llx\",\"blockHash\":\"%s\"}",
                    t ? "," : "", th, fa, ta, val, t, t, (unsigned long long)n, bh);
        }
        fputs("]}}\n", f);
        for (uint32_t t = 0; t < ntx; t++) {
            char th[67], fa[43], ta[43], tok[43];
            uint64_t pool = 10 + n / 3, x = (n * 7 + t * 13) % pool, y = (n * 5 + t * 3 + 1) % pool;
            bool ok = (n + t) % 9 != 0;
            hex_hash(th, 0x7e, n << 8 | t);
            hex_addr(fa, 0xa11ce000, x);
            hex_addr(ta, 0xa11ce000, (n + t) % 11 == 0 ? x : y);
            hex_addr(tok, 0x70c0e000, (n + t) % (2 + n / 40));
            fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"transactionHash\":\"%s\",\"transactionIndex\":\"0x%x\","
                       "\"blockNumber\":\"0x%llx\",\"blockHash\":\"%s\",\"cumulativeGasUsed\":\"0x%x\",\"gasUsed\":\"0x5208\","
                       "\"effectiveGasPrice\":\"0x10\",\"status\":\"0x%d\",\"logs\":[",
                    th, t, (unsigned long long)n, bh, 21000 * (t + 1), ok);
            if (ok && t % 2 == 0)
                fprintf(f, "{\"address\":\"%s\",\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
                           "\"0x000000000000000000000000%s\",\"0x000000000000000000000000%s\"],\"data\":\"0x%064llx\","
                           "\"logIndex\":\"0x%x\",\"removed\":false}",
                        tok, ta + 2, fa + 2, (unsigned long long)(n * 1000 + t), logi++);
            fprintf(f, "],\"from\":\"%s\",\"to\":\"%s\",\"contractAddress\":null}}\n", fa, ta);
        }
    }
    fclose(f);
}

/* ---------------- stores ---------------- */

/* Ingests paths into store (created when missing) in commits of about seg_bytes of input
 * (0: the default), through the library. */
static void ingest(const char *store, size_t seg_bytes, const char *const *paths, int n)
{
    sl_store *s;
    sl_error e = {0};
    sl_eth_ingest_opts o = {.chain = "ethereum", .quiet = true};
    sl_eth_ingest_report r;
    char seg[32];
    snprintf(seg, sizeof seg, "%zu", seg_bytes);
    if (seg_bytes) setenv("SLEUTH_ETH_SEGMENT_BYTES", seg, 1);
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_WRITE, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_ingest_eth(s, paths, n, &o, &r, &e), SL_OK, "%s", e.msg);
    sl_store_close(s);
    unsetenv("SLEUTH_ETH_SEGMENT_BYTES");
}

/* ---------------- what a store shows ---------------- */

/* The look-ups to compare: "info", every block number, tx hash and account address of a
 * store (taken from the fullest store, so the others must say "not found" where they lack
 * one). */
typedef struct keys {
    char **v;
    size_t n, cap;
} keys;

static void key_add(keys *k, const char *s)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 256;
        k->v = realloc(k->v, k->cap * sizeof *k->v);
    }
    k->v[k->n++] = strdup(s);
}

static void keys_free(keys *k)
{
    for (size_t i = 0; i < k->n; i++) free(k->v[i]);
    free(k->v);
    memset(k, 0, sizeof *k);
}

static keys keys_of(const char *store)
{
    keys k = {0};
    sl_store *s;
    sl_eth_chain *c;
    sl_error e = {0};
    const sl_eth_meta *m;
    char b[200];
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_eth_chain_open(s, "ethereum", &c, &e), SL_OK, "%s", e.msg);
    m = sl_eth_meta_get(c);
    key_add(&k, "info");
    for (uint64_t i = 0; i < m->n_blocks; i++) {
        snprintf(b, sizeof b, "block %llu", (unsigned long long)sl_eth_block_at(c, i)->number);
        key_add(&k, b);
    }
    for (uint64_t i = 0; i < m->n_tx; i++) {
        memcpy(b, "tx 0x", 5);
        sl_hex_encode(b + 5, sl_eth_tx_at(c, i)->hash.b, 32);
        key_add(&k, b);
    }
    for (uint32_t i = SL_SINK_N; i < m->n_accts; i++) {
        sl_eth_addr a;
        cr_assert(sl_eth_acct_addr(c, i, &a));
        memcpy(b, "address 0x", 10);
        sl_hex_encode(b + 10, a.b, 20);
        key_add(&k, b);
    }
    sl_store_close(s);
    return k;
}

/* What the library's JSON report says for each key (the CLI prints exactly these), or the
 * error it gives; `info` without the store's path and sizes. */
typedef struct view {
    size_t n;
    char **text;
} view;

static view take(const keys *k, const char *store)
{
    view v = {k->n, calloc(k->n + 1, sizeof(char *))};
    sl_store *s;
    sl_error e = {0};
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    for (size_t i = 0; i < k->n; i++) {
        const char *w = k->v[i], *arg = strchr(w, ' ') ? strchr(w, ' ') + 1 : "";
        sl_report_req rq = {.arg = arg, .limit = 100000, .store_name = "S"};
        cJSON *j = NULL;
        int rc;
        char *out;
        e = (sl_error){0};
        if (!strncmp(w, "info", 4)) rc = sl_report_info_json(s, &j, &rq, &e);
        else if (!strncmp(w, "block", 5)) rc = sl_report_block_json(s, &j, &rq, &e);
        else if (!strncmp(w, "tx", 2)) rc = sl_report_tx_json(s, &j, &rq, &e);
        else rc = sl_report_address_json(s, &j, &rq, &e);
        if (!rc && !strcmp(w, "info")) {
            cJSON_DeleteItemFromObject(j, "store_bytes");
            cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "btc"), "store_bytes");
        }
        out = rc ? NULL : cJSON_PrintUnformatted(j);
        cr_assert(asprintf(&v.text[i], "%d %s", rc, rc ? e.msg : out) > 0);
        free(out);
        cJSON_Delete(j);
    }
    sl_store_close(s);
    return v;
}

static void view_free(view *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->text[i]);
    free(v->text);
    v->n = 0;
}

static void same(const keys *k, const view *got, const view *want, const char *when)
{
    cr_assert_eq(got->n, want->n);
    for (size_t i = 0; i < got->n; i++)
        cr_assert_str_eq(got->text[i], want->text[i], "%s: `%s` differs:\n got  %.600s\n want %.600s", when, k->v[i],
                         got->text[i], want->text[i]);
}

static size_t differing(const view *a, const view *b)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) n += strcmp(a->text[i], b->text[i]) != 0;
    return n;
}

static size_t starting(const view *v, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) n += !strncmp(v->text[i], prefix, strlen(prefix));
    return n;
}

/* ---------------- the read paths against a plain scan of the flows ---------------- */

typedef struct acc {
    uint64_t *flows;
    size_t n, cap;
    uint64_t n_in, n_out, tmin, tmax;
} acc;

typedef struct walk {
    const uint64_t *want;
    size_t n, at;
    bool backward;
} walk;

static int walk_flow(void *ctx, uint64_t flow)
{
    walk *w = ctx;
    cr_assert_lt(w->at, w->n, "more flows than the scan found");
    cr_assert_eq(flow, w->want[w->backward ? w->n - 1 - w->at : w->at], "flow %zu of the walk", w->at);
    w->at++;
    return 0;
}

typedef struct bals {
    uint32_t acct;
    size_t n;
    uint32_t asset[64];
    sl_u256 in[64], out[64];
} bals;

static void bal_cb(void *ctx, uint32_t asset, const sl_u256 *in, const sl_u256 *out)
{
    bals *b = ctx;
    cr_assert_lt(b->n, 64);
    if (b->n) cr_assert_gt(asset, b->asset[b->n - 1], "asset-id order");
    b->asset[b->n] = asset, b->in[b->n] = *in, b->out[b->n] = *out;
    b->n++;
}

static void check_reads(const char *store)
{
    sl_store *s;
    sl_eth_chain *c;
    sl_error e = {0};
    const sl_eth_meta *m;
    acc *a;
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_eth_chain_open(s, "ethereum", &c, &e), SL_OK, "%s", e.msg);
    m = sl_eth_meta_get(c);
    a = calloc(m->n_accts, sizeof *a);
    for (uint32_t i = 0; i < m->n_accts; i++) a[i].tmin = UINT64_MAX;
    for (uint64_t f = 0; f < m->n_flows; f++) {
        const sl_eth_flowrec *r = sl_eth_flow_at(c, f);
        uint64_t t = sl_eth_block_at(c, r->block)->time;
        uint32_t ends[2] = {r->from, r->to};
        for (int k = 0; k < 2; k++) {
            acc *x = &a[ends[k]];
            if (k) x->n_in++;
            else x->n_out++;
            if (t < x->tmin) x->tmin = t;
            if (t > x->tmax) x->tmax = t;
            if (x->n && x->flows[x->n - 1] == f) continue; /* a flow to itself: once */
            if (x->n == x->cap) x->flows = realloc(x->flows, (x->cap = x->cap ? 2 * x->cap : 8) * sizeof *x->flows);
            x->flows[x->n++] = f;
        }
    }
    for (uint32_t i = SL_SINK_N; i < m->n_accts; i++) {
        sl_eth_addr ad;
        sl_eth_acctstat st;
        walk w = {a[i].flows, a[i].n, 0, false};
        bals b = {.acct = i};
        cr_assert(sl_eth_acct_addr(c, i, &ad));
        cr_assert_eq(sl_eth_acct_lookup(c, &ad, &st), SL_OK, "account %u", i);
        cr_assert_eq(st.id, i);
        cr_assert(st.n_in == a[i].n_in && st.n_out == a[i].n_out, "account %u: %llu in %llu out, scan %llu %llu", i,
                  (unsigned long long)st.n_in, (unsigned long long)st.n_out, (unsigned long long)a[i].n_in,
                  (unsigned long long)a[i].n_out);
        cr_assert(st.first_time == a[i].tmin && st.last_time == a[i].tmax, "account %u: first and last seen", i);
        cr_assert_eq(sl_eth_acct_each_flow(c, i, false, walk_flow, &w), 0);
        cr_assert_eq(w.at, w.n, "account %u: %zu flows oldest first, scan %zu", i, w.at, w.n);
        w.at = 0, w.backward = true;
        cr_assert_eq(sl_eth_acct_each_flow(c, i, true, walk_flow, &w), 0);
        cr_assert_eq(w.at, w.n, "account %u: newest first", i);
        /* balances: per asset what the scan adds up, every asset it saw */
        size_t nassets = 0;
        for (size_t j = 0; j < a[i].n; j++) {
            uint32_t as = sl_eth_flow_at(c, a[i].flows[j])->asset;
            bool seen = false;
            for (size_t q = 0; q < j && !seen; q++) seen = sl_eth_flow_at(c, a[i].flows[q])->asset == as;
            nassets += !seen;
        }
        cr_assert_eq(sl_eth_balances(c, i, bal_cb, &b), SL_OK);
        for (size_t k = 0; k < b.n; k++) {
            sl_u256 in = {{0}}, out = {{0}}, v;
            bool any = false;
            for (size_t j = 0; j < a[i].n; j++) {
                const sl_eth_flowrec *r = sl_eth_flow_at(c, a[i].flows[j]);
                if (r->asset != b.asset[k]) continue;
                any = true;
                sl_eth_flow_amount(c, r, &v);
                if (r->to == i) cr_assert(sl_u256_add(&in, &in, &v));
                if (r->from == i) cr_assert(sl_u256_add(&out, &out, &v));
            }
            cr_assert(any, "account %u: asset %u without a flow", i, b.asset[k]);
            nassets--;
            cr_assert(!sl_u256_cmp(&in, &b.in[k]) && !sl_u256_cmp(&out, &b.out[k]), "account %u asset %u", i, b.asset[k]);
        }
        cr_assert_eq(nassets, 0, "account %u: an asset it moved has no balance", i);
        free(a[i].flows);
    }
    for (uint32_t i = 0; i < SL_SINK_N; i++) free(a[i].flows);
    for (uint64_t t = 0; t < m->n_tx; t++) {
        uint64_t id;
        cr_assert_eq(sl_eth_tx_find(c, &sl_eth_tx_at(c, t)->hash, &id), SL_OK);
        cr_assert_eq(id, t);
    }
    free(a);
    sl_store_close(s);
}

/* ---------------- rollback ---------------- */

static void rollback(const char *store, uint64_t number, sl_eth_rollback_report *r)
{
    sl_store *s;
    sl_eth_chain *c;
    sl_error e = {0};
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_WRITE, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_eth_chain_open(s, "ethereum", &c, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_eth_rollback(c, number, r, &e), SL_OK, "%s", e.msg);
    sl_store_close(s);
}

static sl_eth_meta meta_of(const char *store)
{
    sl_store *s;
    sl_eth_chain *c;
    sl_error e = {0};
    sl_eth_meta m;
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_eth_chain_open(s, "ethereum", &c, &e), SL_OK, "%s", e.msg);
    m = *sl_eth_meta_get(c);
    sl_store_close(s);
    return m;
}

/* Test 1: 120 of 150 generated blocks rolled back = never had them; re-ingested = fresh. */
Test(eth_rollback, generated_chain_rollback_120_blocks_then_reingest)
{
    const char *d = temp_dir(), *all = path_in(d, "all.jsonl"), *pre = path_in(d, "pre.jsonl");
    const char *full = path_in(d, "full"), *part = path_in(d, "part"), *fresh = path_in(d, "fresh");
    sl_eth_rollback_report r;
    sl_eth_meta fm, pm;
    keys k;
    view before, want, got;
    gen_chain(all, 1, GEN_N);
    gen_chain(pre, 1, GEN_CUT);
    /* many small commits: the run sets hold merged runs and the cut falls inside one */
    ingest(full, 6000, &all, 1);
    ingest(part, 0, &pre, 1);
    check_reads(full);
    check_reads(part);
    k = keys_of(full);
    before = take(&k, full);
    want = take(&k, part);
    fm = meta_of(full), pm = meta_of(part);
    cr_assert_gt(fm.n_assets, pm.n_assets, "tokens that first appear above block %d", GEN_CUT);
    cr_assert_gt(fm.n_bigs, pm.n_bigs, "amounts above 2^128 above block %d", GEN_CUT);

    rollback(full, GEN_CUT, &r);
    cr_assert_eq(r.from_number, GEN_N);
    cr_assert_eq(r.to_number, GEN_CUT);
    cr_assert_eq(r.blocks_removed, GEN_N - GEN_CUT);
    cr_assert_eq(r.txs_removed, fm.n_tx - pm.n_tx);
    cr_assert_eq(r.flows_removed, fm.n_flows - pm.n_flows);
    cr_assert(!r.emptied);
    got = take(&k, full);
    same(&k, &got, &want, "rolled back to 30 vs ingested 1..30 only");
    /* what the rollback had to undo (so two wrong stores cannot compare equal) */
    cr_assert_geq(differing(&before, &want), (size_t)(GEN_N - GEN_CUT) + 100, "the removed blocks changed look-ups");
    cr_assert_geq(starting(&got, "5 "), (size_t)(GEN_N - GEN_CUT) + 40, "removed blocks, txs and accounts are gone");
    check_reads(full);
    {
        sl_eth_meta rm = meta_of(full);
        cr_assert(rm.n_blocks == pm.n_blocks && rm.n_tx == pm.n_tx && rm.n_flows == pm.n_flows && rm.n_accts == pm.n_accts &&
                      rm.n_assets == pm.n_assets && rm.n_bigs == pm.n_bigs,
                  "the counts went back to the prefix store's");
    }
    view_free(&got);

    /* nothing above the tip: nothing to do */
    rollback(full, GEN_CUT, &r);
    cr_assert_eq(r.blocks_removed, 0);
    cr_assert_eq(r.from_number, GEN_CUT);

    ingest(full, 9000, &all, 1);
    ingest(fresh, 0, &all, 1);
    got = take(&k, full);
    view fv = take(&k, fresh);
    same(&k, &got, &fv, "rolled back and re-ingested vs a fresh ingest");
    same(&k, &got, &before, "rolled back and re-ingested vs before the rollback");
    check_reads(full);
    view_free(&fv);
    view_free(&got);
    view_free(&before);
    view_free(&want);
    keys_free(&k);
}

/* Test 2: the bundled mainnet blocks through the CLI: `sleuth rollback --json`, then every
 * look-up against a store of the files of blocks <= 13,699,765 only; re-ingest = fresh. */
Test(eth_rollback, mainnet_blocks_through_the_cli)
{
    const char *d = temp_dir(), *full = path_in(d, "full"), *part = path_in(d, "part"), *fresh = path_in(d, "fresh");
    const char *pre = path_in(d, "pre");
    run_result x;
    cJSON *j;
    keys k;
    view want, got, before;
    x = run_sleuth("ingest eth --quiet --store %s " MEV, full);
    cr_assert_eq(x.status, 0, "%s", x.err);
    run_free(&x);
    /* the prefix: the fixture files of the blocks to keep (one block per file, by name) */
    x = run_sh("mkdir %s && for f in \"$PWD\"/" MEV "/*.zst; do n=$(basename $f | cut -d_ -f1 | cut -d. -f1); "
               "if [ $n -le %llu ]; then ln -s $f %s/; fi; done; ls %s | wc -l",
               pre, MEV_CUT, pre, pre);
    cr_assert_eq(atoi(x.out), 30, "%s %s", x.out, x.err);
    run_free(&x);
    x = run_sleuth("ingest eth --quiet --store %s %s", part, pre);
    cr_assert_eq(x.status, 0, "%s", x.err);
    run_free(&x);
    k = keys_of(full);
    before = take(&k, full);
    want = take(&k, part);

    j = sleuth_json("rollback --store %s --chain ethereum --to %llu --json", full, MEV_CUT);
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cr_assert_eq(jint(j, "from_height"), 15049646);
    cr_assert_eq(jint(j, "to_height"), MEV_CUT);
    cr_assert_eq(jint(j, "blocks_removed"), 6);
    cr_assert_eq(jint(j, "txs_removed"), 1167);
    cr_assert_eq(jint(j, "flows_removed"), 2222);
    cJSON_Delete(j);
    got = take(&k, full);
    same(&k, &got, &want, "rolled back to 13699765 vs its 29 blocks only");
    cr_assert_geq(differing(&before, &want), 1000, "the six removed blocks changed look-ups");
    check_reads(full);
    view_free(&got);
    /* and the text form says what it did */
    x = run_sleuth("rollback --store %s --chain eth --to %llu", full, MEV_CUT);
    cr_assert_eq(x.status, 0, "%s", x.err);
    cr_assert_str_eq(x.out, "nothing to roll back: the highest stored ethereum block is 13699765\n");
    run_free(&x);

    x = run_sleuth("ingest eth --quiet --store %s " MEV, full);
    cr_assert_eq(x.status, 0, "%s", x.err);
    run_free(&x);
    x = run_sleuth("ingest eth --quiet --store %s " MEV, fresh);
    cr_assert_eq(x.status, 0, "%s", x.err);
    run_free(&x);
    got = take(&k, full);
    view fv = take(&k, fresh);
    same(&k, &got, &fv, "re-ingested vs fresh");
    same(&k, &got, &before, "re-ingested vs before");
    view_free(&fv);
    view_free(&got);
    view_free(&want);
    view_free(&before);
    keys_free(&k);
}

/* A copy of the full chain's store killed (SIGKILL) at `point` of a rollback to GEN_CUT
 * reads as before it or (after_it) after it; the rollback run again reads as after; the
 * blocks ingested again read as before. */
static void killed_at(const char *dir, const char *point, bool after_it, const keys *k, const view *before,
                      const view *after, const char *all)
{
    const char *st = path_in(dir, point);
    char when[120];
    view got;
    cJSON *j;
    run_result r;
    ingest(st, 6000, &all, 1);
    r = run_sh("SLEUTH_TEST_KILL_AT=%s %s rollback --store %s --chain ethereum --to %d --json", point, sleuth_bin(), st,
               GEN_CUT);
    cr_assert_eq(r.status, 128 + SIGKILL, "%s: exit %d %s", point, r.status, r.err);
    cr_assert_str_eq(r.out, "", "%s: printed a result before it was done", point);
    run_free(&r);
    snprintf(when, sizeof when, "after a kill at %s", point);
    got = take(k, st);
    same(k, &got, after_it ? after : before, when);
    view_free(&got);
    j = sleuth_json("rollback --store %s --chain ethereum --to %d --json", st, GEN_CUT);
    cr_assert_eq(jint(j, "blocks_removed"), after_it ? 0 : GEN_N - GEN_CUT, "%s", point);
    cJSON_Delete(j);
    snprintf(when, sizeof when, "rolled back after a kill at %s", point);
    got = take(k, st);
    same(k, &got, after, when);
    view_free(&got);
    check_reads(st);
    ingest(st, 0, &all, 1);
    snprintf(when, sizeof when, "re-ingested after a kill at %s", point);
    got = take(k, st);
    same(k, &got, before, when);
    view_free(&got);
    check_reads(st);
}

/* Test 3: SIGKILL at the rollback's last step before its commit, after its files are
 * synced (LMDB not yet committed), and after the commit (the maps not yet purged). */
Test(eth_rollback, kill9_during_rollback_leaves_one_side)
{
    const char *d = temp_dir(), *all = path_in(d, "all.jsonl"), *pre = path_in(d, "pre.jsonl");
    const char *ref = path_in(d, "ref"), *part = path_in(d, "part");
    keys k;
    view before, after;
    gen_chain(all, 1, GEN_N);
    gen_chain(pre, 1, GEN_CUT);
    ingest(ref, 6000, &all, 1);
    ingest(part, 0, &pre, 1);
    k = keys_of(ref);
    before = take(&k, ref);
    after = take(&k, part);
    killed_at(d, "eth-rollback:computed", false, &k, &before, &after, all);
    killed_at(d, "eth-commit:logged", false, &k, &before, &after, all);
    killed_at(d, "eth-commit:committed", true, &k, &before, &after, all);
    view_free(&before);
    view_free(&after);
    keys_free(&k);
}

/* Test 4: what is refused changes nothing; a rollback below every block empties the chain
 * and it fills again. */
Test(eth_rollback, refusals_and_emptying)
{
    const char *d = temp_dir(), *lo = path_in(d, "lo.jsonl"), *hi = path_in(d, "hi.jsonl"), *all = path_in(d, "all.jsonl");
    const char *st = path_in(d, "s"), *one = path_in(d, "one");
    char *digest, *now;
    run_result r;
    cJSON *j;
    gen_chain(lo, 1, GEN_CUT);
    gen_chain(hi, GEN_CUT + 1, GEN_N);
    gen_chain(all, 1, GEN_N);
    /* blocks 31..150 first, then 1..30: a cut above 30 would take 1..30 too */
    ingest(st, 0, &hi, 1);
    ingest(st, 0, &lo, 1);
    digest = tree_digest(st);
    r = run_sleuth("rollback --store %s --chain ethereum --to 100", st);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "was ingested before block 30") && strstr(r.err, "nothing was changed"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("rollback --store %s --chain bsc --to 100", st);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "the store holds no bsc data"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("rollback --store %s --chain ethereum --to 1x", st);
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
    now = tree_digest(st);
    cr_assert_str_eq(now, digest, "a refused rollback changed the store");
    free(now);
    free(digest);
    /* below every block: the chain is emptied, and fills again */
    j = sleuth_json("rollback --store %s --chain ethereum --to 0 --json", st);
    cr_assert_eq(jint(j, "blocks_removed"), GEN_N);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "to_height")));
    cJSON_Delete(j);
    r = run_sleuth("rollback --store %s --chain ethereum --to 0", st);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "holds no ethereum blocks"), "%s", r.err);
    run_free(&r);
    ingest(one, 0, &all, 1);
    ingest(st, 5000, &all, 1);
    {
        keys k = keys_of(one);
        view a = take(&k, one), b = take(&k, st);
        same(&k, &b, &a, "emptied and re-ingested vs fresh");
        view_free(&a);
        view_free(&b);
        keys_free(&k);
    }
    check_reads(st);
}
