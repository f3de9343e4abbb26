/* test_rollback.c — `sleuth rollback --store DIR --chain btc --to HEIGHT`, the undo of the
 * blocks above HEIGHT that a reorg needs, checked against independent references: (1) a real
 * reorg on `litecoind -regtest` (invalidateblock 6 blocks below the tip, a longer branch that
 * spends the same outputs otherwise, leaves one unspent and pays new addresses), where after
 * rollback and re-ingest every block hash, every new-branch tx and its spends, and every
 * address's balance, receipts, spends, tx count and heights must equal what the node's RPC
 * reports, and what only the old branch had must be gone; (2) on the bundled 600 mainnet
 * blocks, a store rolled back to height 540 must read exactly like a store that only ever
 * ingested blocks 0..540 (written to their own blk file here), and after re-ingest exactly like
 * a fresh full ingest; (3) a kill -9 at each of the rollback's commit points leaves the store
 * exactly before or exactly after the rollback, and it goes on working; (4) usage errors.
 * Every comparison is of the JSON sleuth prints (`info` without its byte counts and path,
 * `address`, `tx`), exit status included.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "litecoind.h"

#define CONSEC FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat " FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"
#define CUT 540 /* blocks 545, 546, 586 and 593 spend; 545 spends an output of 524 */

TestSuite(rollback, .timeout = 120);

/* ---------------- what a store shows ---------------- */

/* `info --json` without what differs between two stores holding the same blocks (their
 * path and byte counts). */
static char *info_view(const char *store)
{
    cJSON *j = sleuth_json("info --store %s --json", store), *b = cJSON_GetObjectItem(j, "btc");
    char *s;
    cr_assert_not_null(b, "info has no btc object");
    cJSON_DeleteItemFromObject(b, "store_bytes");
    cJSON_DeleteItemFromObject(j, "store_bytes");
    cJSON_DeleteItemFromObject(j, "store");
    s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* What `sleuth WHAT --store STORE --json` prints, with its exit status; what is "info",
 * "tx TXID" or "address ADDR". */
static char *show(const char *store, const char *what)
{
    char *s;
    run_result r;
    if (!strcmp(what, "info")) return info_view(store);
    r = run_sleuth("%s --store %s --json%s", what, store, strncmp(what, "address", 7) ? "" : " --limit 1000");
    cr_assert(r.status == 0 || r.status == 1, "sleuth %s: exit %d %s", what, r.status, r.err);
    cr_assert(asprintf(&s, "exit %d\n%s", r.status, r.out) > 0);
    run_free(&r);
    return s;
}

/* A list of things to show, and what one store shows for each. */
typedef struct view {
    int n;
    char *what[128];
    char *text[128];
} view;

static void add(view *v, const char *fmt, const char *arg)
{
    char *w;
    cr_assert(asprintf(&w, fmt, arg) > 0);
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->what[i], w)) { free(w); return; }
    cr_assert_lt(v->n, 128);
    v->what[v->n] = w;
    v->text[v->n++] = NULL;
}

/* A copy of v's list with what store shows for each. */
static view take(const view *v, const char *store)
{
    view t = {.n = v->n};
    for (int i = 0; i < v->n; i++) {
        t.what[i] = strdup(v->what[i]);
        t.text[i] = show(store, v->what[i]);
    }
    return t;
}

static void view_free(view *v)
{
    for (int i = 0; i < v->n; i++) free(v->what[i]), free(v->text[i]);
    v->n = 0;
}

static void same(const view *got, const view *want, const char *when)
{
    cr_assert_eq(got->n, want->n);
    for (int i = 0; i < got->n; i++)
        cr_assert_str_eq(got->text[i], want->text[i], "%s: `%s` differs:\n got  %s\n want %s", when, got->what[i],
                         got->text[i], want->text[i]);
}

/* The text shown for `what` in a taken view. */
static const char *text_of(const view *v, const char *what)
{
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->what[i], what)) return v->text[i];
    cr_assert_fail("`%s` is not in the view", what);
    return NULL;
}

/* ---------------- the bundled 600 blocks as blk frames ---------------- */

typedef struct frames {
    char *a, *b;       /* the two fixture files */
    const uint8_t *blk[600];
    uint32_t len[600];
    int n;
} frames;

static void frames_load(frames *f)
{
    size_t la, lb;
    memset(f, 0, sizeof *f);
    f->a = ltc_slurp(FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", &la);
    f->b = ltc_slurp(FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", &lb);
    cr_assert(f->a && f->b, "fixture blk files missing");
    for (int k = 0; k < 2; k++) {
        const uint8_t *p = (const uint8_t *)(k ? f->b : f->a), *end = p + (k ? lb : la);
        while (p + 8 <= end && (p[0] | p[1] | p[2] | p[3])) {
            uint32_t n = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
            cr_assert(p[0] == 0xf9 && p[1] == 0xbe && p[2] == 0xb4 && p[3] == 0xd9, "not mainnet blk framing");
            cr_assert(p + 8 + n <= end && f->n < 600);
            f->blk[f->n] = p + 8;
            f->len[f->n++] = n;
            p += 8 + n;
        }
    }
    cr_assert_eq(f->n, 600);
}

/* Heights whose block holds more than its coinbase (the tx count, a varint after the header). */
static bool has_spends(const frames *f, int h) { return f->blk[h][80] > 1; }

/* Writes the first k blocks as DIR/blk00000.dat (path in a static buffer). */
static const char *write_prefix(const frames *f, int k, const char *dir)
{
    static char path[PATH_MAX + 16];
    FILE *o;
    snprintf(path, sizeof path, "%s/blk00000.dat", dir);
    cr_assert_not_null(o = fopen(path, "wb"));
    for (int i = 0; i < k; i++) {
        uint8_t hdr[8] = {0xf9, 0xbe, 0xb4, 0xd9, (uint8_t)f->len[i], (uint8_t)(f->len[i] >> 8),
                          (uint8_t)(f->len[i] >> 16), (uint8_t)(f->len[i] >> 24)};
        cr_assert_eq(fwrite(hdr, 1, 8, o), 8);
        cr_assert_eq(fwrite(f->blk[i], 1, f->len[i], o), f->len[i]);
    }
    cr_assert_eq(fclose(o), 0);
    return path;
}

static void frames_free(frames *f) { free(f->a), free(f->b); }

/* ---------------- stores ---------------- */

static void ingest(const char *store, const char *files)
{
    run_result r = run_sleuth("ingest btc --quiet --store %s %s", store, files);
    cr_assert_eq(r.status, 0, "ingest %s: %s", files, r.err);
    run_free(&r);
}

/* `ingest --json`, parsed. */
static cJSON *ingest_json(const char *store, const char *files)
{
    return sleuth_json("ingest btc --json --store %s %s", store, files);
}

static cJSON *rollback_json(const char *store, unsigned to)
{
    cJSON *j = sleuth_json("rollback --store %s --chain btc --to %u --json", store, to);
    cr_assert_str_eq(jstr(j, "chain"), "btc");
    return j;
}

static void check_rollback(cJSON *j, uint64_t from, uint64_t to, uint64_t blocks, uint64_t txs)
{
    cr_assert_eq(jint(j, "from_height"), from);
    cr_assert_eq(jint(j, "to_height"), to);
    cr_assert_eq(jint(j, "blocks_removed"), blocks);
    cr_assert_eq(jint(j, "txs_removed"), txs);
    cJSON_Delete(j);
}

/* info, and every tx of the blocks at heights >= from that hold more than a coinbase (and of
 * the blocks around CUT and the tip) with every address they pay or spend from, as the full
 * store has them. */
static view sample(const frames *f, const char *full, int from)
{
    view v = {0};
    add(&v, "%s", "info");
    for (int h = from; h < 600; h++) {
        cJSON *b, *id;
        char hb[16];
        if (!has_spends(f, h) && h != CUT - 1 && h != CUT && h != CUT + 1 && h != 599) continue;
        snprintf(hb, sizeof hb, "%d", h);
        b = sleuth_json("block --store %s %s --json", full, hb);
        cJSON_ArrayForEach(id, cJSON_GetObjectItem(b, "txids")) {
            cJSON *t = sleuth_json("tx --store %s %s --json", full, id->valuestring), *io;
            add(&v, "tx %s", id->valuestring);
            for (int k = 0; k < 2; k++)
                cJSON_ArrayForEach(io, cJSON_GetObjectItem(t, k ? "outputs" : "inputs")) {
                    const cJSON *a = cJSON_GetObjectItem(io, "address");
                    if (cJSON_IsString(a)) add(&v, "address %s", a->valuestring);
                }
            cJSON_Delete(t);
        }
        cJSON_Delete(b);
    }
    return v;
}

/* Loads the fixture's frames, ingests all 600 blocks into full and, from a blk file of their
 * own written under dir, only blocks 0..CUT into part. */
static void two_stores(frames *f, const char *dir, const char *full, const char *part)
{
    char pdir[300];
    frames_load(f);
    ingest(full, CONSEC);
    snprintf(pdir, sizeof pdir, "%s/prefix", dir);
    cr_assert_eq(mkdir(pdir, 0700), 0);
    ingest(part, write_prefix(f, CUT + 1, pdir));
}

/* Test 2: rolled back = never had them; re-ingested = fresh. */
Test(rollback, rollback_then_reingest_equals_fresh_ingest)
{
    const char *d = temp_dir(), *full = path_in(d, "full"), *part = path_in(d, "part"), *fresh = path_in(d, "fresh");
    frames f;
    view list, want_part, got, want_full;
    cJSON *j;
    two_stores(&f, d, full, part);
    list = sample(&f, full, 496);
    cr_assert_geq(list.n, 35, "sample of %d", list.n);
    want_part = take(&list, part);
    {   /* the prefix store really ends at CUT, with the full chain's block there */
        cJSON *pi = sleuth_json("info --store %s --json", part), *pb = cJSON_GetObjectItem(pi, "btc");
        cJSON *bk = sleuth_json("block --store %s %d --json", full, CUT);
        cr_assert_eq(jint(pb, "tip_height"), CUT);
        cr_assert_str_eq(jstr(pb, "tip_hash"), jstr(bk, "hash"));
        cr_assert_eq(jint(pb, "txs"), 616 - 66);
        cJSON_Delete(pi);
        cJSON_Delete(bk);
    }

    check_rollback(rollback_json(full, CUT), 599, CUT, 599 - CUT, 66);
    got = take(&list, full);
    same(&got, &want_part, "rolled back to 540 vs ingested 0..540 only");
    /* what the rollback had to undo, spelled out (so a comparison of two wrong stores cannot pass) */
    cr_assert(strstr(text_of(&got, "address 1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi"),
                     "\"received\":2500000000,\"spent\":0,\"balance\":2500000000,\"tx_count\":1"),
              "%s", text_of(&got, "address 1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi"));
    cr_assert(strstr(text_of(&got, "tx d71fd2f64c0b34465b7518d240c00e83f6a5b10138a7079d1252858fe7e6b577"),
                     "\"n\":0,\"value\":2500000000,\"address\":\"1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi\",\"type\":\"p2pk\","
                     "\"spent_by\":null"),
              "output 0 of the block-524 tx is unspent again");
    cr_assert(!strncmp(text_of(&got, "tx 35288d269cee1941eaebb2ea85e32b42cdb2b04284a56d8b14dcc3f5c65d6055"), "exit 1\n", 7));
    cr_assert(!strncmp(text_of(&got, "address 1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv"), "exit 1\n", 7),
              "an address first paid above 540 is gone");
    view_free(&got);

    j = ingest_json(full, CONSEC);
    cr_assert_eq(jint(j, "blocks_added"), 599 - CUT);
    cr_assert_eq(jint(j, "txs_added"), 66);
    cr_assert_eq(jint(j, "blocks_stale"), 0);
    cJSON_Delete(j);
    ingest(fresh, CONSEC);
    got = take(&list, full);
    want_full = take(&list, fresh);
    same(&got, &want_full, "rolled back and re-ingested vs a fresh ingest");
    cr_assert_str_neq(text_of(&want_full, "address 1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi"),
                      text_of(&want_part, "address 1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi"));
    view_free(&got);
    view_free(&want_part);
    view_free(&want_full);
    view_free(&list);
    frames_free(&f);
}

/* Test 3: SIGKILL at the rollback's last step before its commit, after its commit log is
 * written (LMDB not yet committed), and after the commit (address records not yet applied). */
Test(rollback, kill9_during_rollback_leaves_one_side)
{
    static const struct { const char *point; bool after; } pts[] = {
        {"rollback:computed", false}, {"commit:logged", false}, {"commit:committed", true}};
    const char *d = temp_dir(), *ref = path_in(d, "ref"), *part = path_in(d, "part");
    frames f;
    view list, before, after;
    two_stores(&f, d, ref, part);
    list = sample(&f, ref, 586);
    add(&list, "%s", "tx d71fd2f64c0b34465b7518d240c00e83f6a5b10138a7079d1252858fe7e6b577");
    add(&list, "%s", "tx 35288d269cee1941eaebb2ea85e32b42cdb2b04284a56d8b14dcc3f5c65d6055");
    add(&list, "%s", "address 1DCbY2GYVaAMCBpuBNN5GVg3a47pNK1wdi");
    add(&list, "%s", "address 1KAD5EnzzLtrSo2Da2G4zzD7uZrjk8zRAv");
    before = take(&list, ref);
    after = take(&list, part);
    for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
        char st[300], when[80];
        view got;
        cJSON *j;
        run_result r;
        snprintf(st, sizeof st, "%s/k%zu", d, i);
        ingest(st, CONSEC);
        r = run_sh("SLEUTH_TEST_KILL_AT=%s %s rollback --store %s --chain btc --to %d --json", pts[i].point,
                   sleuth_bin(), st, CUT);
        cr_assert_eq(r.status, 128 + SIGKILL, "%s: exit %d %s", pts[i].point, r.status, r.err);
        cr_assert_str_eq(r.out, "", "%s: printed a result before it was done", pts[i].point);
        run_free(&r);
        snprintf(when, sizeof when, "after a kill at %s", pts[i].point);
        got = take(&list, st);
        same(&got, pts[i].after ? &after : &before, when);
        view_free(&got);
        /* it goes on: the rollback again (done, or nothing left to do), then the blocks again */
        if (pts[i].after) check_rollback(rollback_json(st, CUT), CUT, CUT, 0, 0);
        else check_rollback(rollback_json(st, CUT), 599, CUT, 599 - CUT, 66);
        got = take(&list, st);
        snprintf(when, sizeof when, "rolled back after a kill at %s", pts[i].point);
        same(&got, &after, when);
        view_free(&got);
        j = ingest_json(st, CONSEC);
        cr_assert_eq(jint(j, "blocks_added"), 599 - CUT, "%s", pts[i].point);
        cr_assert_eq(jint(j, "txs_added"), 66, "%s", pts[i].point);
        cJSON_Delete(j);
        got = take(&list, st);
        snprintf(when, sizeof when, "re-ingested after a kill at %s", pts[i].point);
        same(&got, &before, when);
        view_free(&got);
    }
    view_free(&before);
    view_free(&after);
    view_free(&list);
    frames_free(&f);
}

/* Runs `sleuth rollback ARGS`; asserts the exit status and that stderr holds needle. */
static void refused(int status, const char *needle, const char *args, const char *store)
{
    run_result r = run_sleuth("rollback --store %s %s", store, args);
    cr_assert_eq(r.status, status, "rollback %s: exit %d, %s", args, r.status, r.err);
    cr_assert(strstr(r.err, needle), "rollback %s: %s", args, r.err);
    cr_assert_str_eq(r.out, "", "rollback %s printed %s", args, r.out);
    run_free(&r);
}

/* Test 4. */
Test(rollback, usage_errors)
{
    const char *d = temp_dir(), *st = path_in(d, "s"), *raw = path_in(d, "raw");
    char *digest, *info, *now;
    run_result r;
    ingest(st, CONSEC);
    digest = tree_digest(st);
    info = info_view(st);
    refused(2, "--to HEIGHT is required", "--chain btc", st);
    refused(2, "--chain is required", "--to 5", st);
    /* account chains roll back too (test_eth_rollback.c); this store holds none of them */
    refused(1, "the store holds no ethereum data", "--chain eth --to 5", st);
    refused(1, "the store holds no tron data", "--chain tron --to 5", st);
    refused(2, "unknown chain 'doge'", "--chain doge --to 5", st);
    refused(2, "--to: '-1' is not a whole number", "--chain btc --to -1", st);
    refused(2, "--to: 'x5' is not a whole number", "--chain btc --to x5", st);
    refused(2, "unexpected argument '7'", "--chain btc --to 5 7", st);
    now = tree_digest(st);
    cr_assert_str_eq(now, digest, "a refused rollback changed the store");
    free(now);

    /* at or beyond the tip: nothing to do, and it says so */
    r = run_sleuth("rollback --store %s --chain btc --to 700", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "nothing to roll back: the highest stored height is 599\n");
    run_free(&r);
    check_rollback(rollback_json(st, 599), 599, 599, 0, 0);
    r = run_sleuth("rollback --store %s --chain btc --to 4294967294 --quiet", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    run_free(&r);
    now = info_view(st);
    cr_assert_str_eq(now, info, "a rollback with nothing to do changed the store");
    free(now);

    /* no block at HEIGHT+1: blocks 0..599 and a raw block named 91842 */
    ingest(raw, CONSEC " " FIX "/blocks/0091842_00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec.bin");
    now = info_view(raw);
    /* the raw block (height 91842) was ingested last: any height from 599 to 91841 cuts it alone */
    check_rollback(rollback_json(raw, 1000), 91842, 599, 1, 1);
    {
        char *again = info_view(raw);
        cr_assert_str_eq(again, info, "without the raw block the store is the 600 blocks'");
        free(again);
        free(now);
    }
    ingest(raw, FIX "/blocks/0091842_00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec.bin");
    {
        /* the raw block first, then 0..599: cutting above 91841 would take 0..599 too */
        const char *first = path_in(d, "rawfirst");
        char *was;
        ingest(first, FIX "/blocks/0091842_00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec.bin");
        ingest(first, CONSEC);
        was = tree_digest(first);
        refused(1, "was ingested after a block above height 91841", "--chain btc --to 91841", first);
        now = tree_digest(first);
        cr_assert_str_eq(now, was, "a refused rollback changed the store");
        free(now);
        free(was);
        check_rollback(rollback_json(first, 91842), 91842, 91842, 0, 0);
    }
    check_rollback(rollback_json(raw, 91841), 91842, 599, 1, 1);
    now = info_view(raw);
    cr_assert_str_eq(now, info, "without the raw block the store is the 600 blocks'");
    free(now);

    /* a store it may not write: read-only to this user (nobody, when we are root) */
    if (geteuid() == 0) {
        char parent[300], *slash;
        snprintf(parent, sizeof parent, "%s", d);
        if ((slash = strrchr(parent, '/')) && slash != parent) *slash = 0;
        chmod(parent, 0711);
        chmod(d, 0755);
        r = run_sh("chmod -R a+rX %s && setpriv --reuid=65534 --regid=65534 --clear-groups %s rollback --store %s "
                   "--chain btc --to 100", st, sleuth_bin(), st);
    } else {
        r = run_sh("chmod -R a-w %s && %s rollback --store %s --chain btc --to 100; s=$?; chmod -R u+w %s; exit $s", st,
                   sleuth_bin(), st, st);
    }
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "cannot write the store at") && strstr(r.err, "Permission denied"), "%s", r.err);
    run_free(&r);
    now = tree_digest(st);
    cr_assert_str_eq(now, digest, "a rollback refused for permissions changed the store");
    free(now);
    /* a folder with no store */
    refused(1, "holds no Bitcoin-family blocks", "--chain btc --to 5", path_in(d, "none"));
    free(digest);
    free(info);
}

/* ---------------- test 1: a real reorg on litecoind -regtest ---------------- */

static char *txid_of(const char *hex)
{
    cJSON *t = ltc_rpc_json(false, "decoderawtransaction", hex, NULL);
    char *id = strdup(ltc_gets(t, "txid"));
    cJSON_Delete(t);
    return id;
}

/* generateblock to addr with exactly these raw txs (NULL-terminated); the new tip must be it. */
static void mine(const char *addr, const char *const *hex)
{
    char txs[8192];
    size_t n = 0;
    cJSON *j;
    n += (size_t)snprintf(txs + n, sizeof txs - n, "[");
    for (int i = 0; hex && hex[i]; i++)
        n += (size_t)snprintf(txs + n, sizeof txs - n, "%s\"%s\"", i ? "," : "", hex[i]);
    cr_assert_lt(n + 2, sizeof txs);
    snprintf(txs + n, sizeof txs - n, "]");
    j = ltc_rpc_json(false, "generateblock", addr, txs, NULL);
    {
        char *best = ltc_rpc_str(false, "getbestblockhash", NULL);
        cr_assert_str_eq(best, ltc_gets(j, "hash"), "the generated block is not the tip");
        free(best);
    }
    cJSON_Delete(j);
}

static int64_t node_height(void)
{
    cJSON *c = ltc_rpc_json(false, "getblockcount", NULL);
    int64_t h = (int64_t)c->valuedouble;
    cJSON_Delete(c);
    return h;
}

static char *node_hash(int64_t h)
{
    char hb[24];
    snprintf(hb, sizeof hb, "%lld", (long long)h);
    return ltc_rpc_str(false, "getblockhash", hb, NULL);
}

/* What the node's active chain says about every output and address (walking getblock 2 from
 * genesis by nextblockhash): outs "txid:n" -> {addr, value, spender "txid:vin"}; addrs addr
 * -> {received, n_out, spent, n_spent, txs {txid: 1}, first, last}. */
typedef struct chain_truth {
    cJSON *outs, *addrs, *blocks; /* blocks: array of getblock 2 by height */
    int64_t ntx;
} chain_truth;

static cJSON *addr_rec(chain_truth *c, const char *a)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(c->addrs, a);
    if (r) return r;
    r = cJSON_AddObjectToObject(c->addrs, a);
    cJSON_AddNumberToObject(r, "received", 0), cJSON_AddNumberToObject(r, "n_out", 0);
    cJSON_AddNumberToObject(r, "spent", 0), cJSON_AddNumberToObject(r, "n_spent", 0);
    cJSON_AddNumberToObject(r, "first", -1), cJSON_AddNumberToObject(r, "last", -1);
    cJSON_AddObjectToObject(r, "txs");
    return r;
}

static void bump(cJSON *r, const char *k, double by)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(r, k);
    cJSON_SetNumberValue(v, v->valuedouble + by);
}

static void touch(cJSON *r, const char *txid, int64_t h)
{
    cJSON *txs = cJSON_GetObjectItemCaseSensitive(r, "txs");
    if (!cJSON_GetObjectItemCaseSensitive(txs, txid)) cJSON_AddTrueToObject(txs, txid);
    if (cJSON_GetObjectItemCaseSensitive(r, "first")->valuedouble < 0)
        cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "first"), (double)h);
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "last"), (double)h);
}

static void walk(chain_truth *c)
{
    char *hash = node_hash(0);
    int64_t h = 0;
    memset(c, 0, sizeof *c);
    c->outs = cJSON_CreateObject();
    c->addrs = cJSON_CreateObject();
    c->blocks = cJSON_CreateArray();
    while (hash) {
        cJSON *b = ltc_rpc_json(false, "getblock", hash, "2", NULL), *tx;
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(b, "nextblockhash");
        cr_assert_eq(ltc_geti(b, "height"), h);
        cJSON_ArrayForEach(tx, ltc_get(b, "tx")) {
            const char *txid = ltc_gets(tx, "txid");
            const cJSON *io;
            int k = 0;
            c->ntx++;
            cJSON_ArrayForEach(io, ltc_get(tx, "vin")) {
                char key[80], sp[80];
                cJSON *o, *r;
                if (cJSON_GetObjectItemCaseSensitive(io, "coinbase")) { k++; continue; }
                snprintf(key, sizeof key, "%s:%lld", ltc_gets(io, "txid"), (long long)ltc_geti(io, "vout"));
                snprintf(sp, sizeof sp, "%s:%d", txid, k++);
                cr_assert_not_null(o = cJSON_GetObjectItemCaseSensitive(c->outs, key), "prevout %s not in the chain", key);
                cJSON_AddStringToObject(o, "spender", sp);
                if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "addr"))) continue;
                r = addr_rec(c, cJSON_GetObjectItemCaseSensitive(o, "addr")->valuestring);
                bump(r, "spent", cJSON_GetObjectItemCaseSensitive(o, "value")->valuedouble);
                bump(r, "n_spent", 1);
                touch(r, txid, h);
            }
            cJSON_ArrayForEach(io, ltc_get(tx, "vout")) {
                char key[80];
                const char *a = ltc_vout_addr(io);
                cJSON *o;
                int64_t v = ltc_sat(ltc_get(io, "value"));
                snprintf(key, sizeof key, "%s:%lld", txid, (long long)ltc_geti(io, "n"));
                o = cJSON_AddObjectToObject(c->outs, key);
                cJSON_AddNumberToObject(o, "value", (double)v);
                if (a && h > 0) { /* the genesis output is P2PK: no address at the node */
                    cJSON *r = addr_rec(c, a);
                    cJSON_AddStringToObject(o, "addr", a);
                    bump(r, "received", (double)v);
                    bump(r, "n_out", 1);
                    touch(r, txid, h);
                }
            }
        }
        free(hash);
        hash = cJSON_IsString(next) ? strdup(next->valuestring) : NULL;
        cJSON_AddItemToArray(c->blocks, b);
        h++;
    }
}

static void truth_free(chain_truth *c) { cJSON_Delete(c->outs), cJSON_Delete(c->addrs), cJSON_Delete(c->blocks); }

/* scantxoutset's total for one address, in satoshi. */
static int64_t utxo_balance(const char *addr)
{
    char desc[160];
    cJSON *s;
    int64_t v;
    snprintf(desc, sizeof desc, "[\"addr(%s)\"]", addr);
    s = ltc_rpc_json(false, "scantxoutset", "start", desc, NULL);
    cr_assert(cJSON_IsTrue(ltc_get(s, "success")));
    v = ltc_sat(ltc_get(s, "total_amount"));
    cJSON_Delete(s);
    return v;
}

/* Everything the store says equals what the node's active chain says. */
static void compare_with_node(const char *store, const chain_truth *c)
{
    cJSON *info = sleuth_json("info --store %s --json", store), *b = cJSON_GetObjectItem(info, "btc"), *blk, *a;
    int64_t tip = cJSON_GetArraySize(c->blocks) - 1, h = 0;
    const char *tiphash = ltc_gets(cJSON_GetArrayItem(c->blocks, (int)tip), "hash");
    cr_assert_eq(jint(b, "blocks"), (uint64_t)tip + 1);
    cr_assert_eq(jint(b, "txs"), (uint64_t)c->ntx);
    cr_assert_eq(jint(b, "tip_height"), (uint64_t)tip);
    cr_assert_str_eq(jstr(b, "tip_hash"), tiphash);
    cr_assert_eq(jint(b, "linked_tip_height"), (uint64_t)tip);
    cr_assert_str_eq(jstr(b, "linked_tip_hash"), tiphash);
    cJSON_Delete(info);
    cJSON_ArrayForEach(blk, c->blocks) {
        cJSON *sb = sleuth_json("block --store %s %lld --json", store, (long long)h), *tx;
        int i = 0;
        cr_assert_str_eq(jstr(sb, "hash"), ltc_gets(blk, "hash"), "block hash at height %lld", (long long)h);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(sb, "txids")), cJSON_GetArraySize(ltc_get(blk, "tx")));
        cJSON_ArrayForEach(tx, ltc_get(blk, "tx"))
            cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(sb, "txids"), i++)->valuestring, ltc_gets(tx, "txid"),
                             "block %lld tx %d", (long long)h, i - 1);
        cJSON_Delete(sb);
        h++;
    }
    cJSON_ArrayForEach(a, c->addrs) {
        cJSON *sa = sleuth_json("address --store %s %s --json --limit 1000", store, a->string);
        int64_t rcv = (int64_t)cJSON_GetObjectItem(a, "received")->valuedouble,
                spent = (int64_t)cJSON_GetObjectItem(a, "spent")->valuedouble;
        cr_assert_eq(jint(sa, "received"), (uint64_t)rcv, "%s received", a->string);
        cr_assert_eq(jint(sa, "spent"), (uint64_t)spent, "%s spent", a->string);
        cr_assert_eq(jint(sa, "balance"), (uint64_t)(rcv - spent), "%s balance", a->string);
        cr_assert_eq((int64_t)jint(sa, "balance"), utxo_balance(a->string), "%s: sleuth's balance, scantxoutset's",
                     a->string);
        cr_assert_eq(jint(sa, "outputs_received"), (uint64_t)cJSON_GetObjectItem(a, "n_out")->valuedouble, "%s", a->string);
        cr_assert_eq(jint(sa, "outputs_spent"), (uint64_t)cJSON_GetObjectItem(a, "n_spent")->valuedouble, "%s", a->string);
        cr_assert_eq(jint(sa, "tx_count"), (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItem(a, "txs")), "%s tx_count",
                     a->string);
        cr_assert_eq(jint(sa, "first_seen_height"), (uint64_t)cJSON_GetObjectItem(a, "first")->valuedouble, "%s",
                     a->string);
        cr_assert_eq(jint(sa, "last_seen_height"), (uint64_t)cJSON_GetObjectItem(a, "last")->valuedouble,
                     "%s last_seen_height", a->string);
        cJSON_Delete(sa);
    }
}

/* sleuth tx TXID against the node's chain: block, inputs, outputs and who spends each. */
static void compare_tx(const char *store, const chain_truth *c, const char *txid, int64_t h)
{
    cJSON *st = sleuth_json("tx --store %s %s --json", store, txid), *o;
    const cJSON *blk = cJSON_GetArrayItem(c->blocks, (int)h), *tx, *want = NULL;
    int k = 0;
    cJSON_ArrayForEach(tx, ltc_get(blk, "tx")) if (!strcmp(ltc_gets(tx, "txid"), txid)) want = tx;
    cr_assert_not_null(want, "%s is not in the node's block %lld", txid, (long long)h);
    cr_assert_eq(jint(st, "height"), (uint64_t)h);
    cr_assert_str_eq(jstr(st, "block_hash"), ltc_gets(blk, "hash"));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "inputs")), cJSON_GetArraySize(ltc_get(want, "vin")));
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(st, "inputs")) {
        const cJSON *vin = cJSON_GetArrayItem(ltc_get(want, "vin"), k++);
        char key[80];
        const cJSON *po;
        if (cJSON_GetObjectItemCaseSensitive(vin, "coinbase")) continue;
        cr_assert_str_eq(jstr(o, "prev_txid"), ltc_gets(vin, "txid"));
        cr_assert_eq(jint(o, "prev_vout"), (uint64_t)ltc_geti(vin, "vout"));
        snprintf(key, sizeof key, "%s:%lld", ltc_gets(vin, "txid"), (long long)ltc_geti(vin, "vout"));
        po = cJSON_GetObjectItemCaseSensitive(c->outs, key);
        cr_assert_eq(jint(o, "value"), (uint64_t)cJSON_GetObjectItem(po, "value")->valuedouble, "input of %s", txid);
        if (cJSON_GetObjectItem(po, "addr"))
            cr_assert_str_eq(jstr(o, "address"), cJSON_GetObjectItem(po, "addr")->valuestring, "input of %s", txid);
    }
    k = 0;
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "outputs")), cJSON_GetArraySize(ltc_get(want, "vout")));
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(st, "outputs")) {
        char key[80];
        const cJSON *po, *sp = cJSON_GetObjectItem(o, "spent_by"), *nsp;
        snprintf(key, sizeof key, "%s:%d", txid, k++);
        po = cJSON_GetObjectItemCaseSensitive(c->outs, key);
        nsp = cJSON_GetObjectItemCaseSensitive(po, "spender");
        cr_assert_eq(jint(o, "value"), (uint64_t)cJSON_GetObjectItem(po, "value")->valuedouble, "%s", key);
        if (cJSON_GetObjectItem(po, "addr"))
            cr_assert_str_eq(jstr(o, "address"), cJSON_GetObjectItem(po, "addr")->valuestring, "%s", key);
        if (!nsp) cr_assert(cJSON_IsNull(sp), "%s is unspent at the node, sleuth says spent", key);
        else {
            char got[80];
            cr_assert(cJSON_IsObject(sp), "%s is spent by %s at the node, sleuth says unspent", key, nsp->valuestring);
            snprintf(got, sizeof got, "%s:%llu", jstr(sp, "txid"), (unsigned long long)jint(sp, "vin"));
            cr_assert_str_eq(got, nsp->valuestring, "the spender of %s", key);
        }
    }
    cJSON_Delete(st);
}

static void sleuth_tx_missing(const char *store, const char *txid, const char *what)
{
    run_result r = run_sleuth("tx --store %s %s", store, txid);
    cr_assert_eq(r.status, 1, "%s %s is still found after the reorg: %s", what, txid, r.out);
    cr_assert(strstr(r.err, "not found"), "%s", r.err);
    run_free(&r);
}

Test(rollback, reorg_on_litecoind, .fini = ltc_fini, .timeout = 180)
{
    char *mine_a, *a1, *a2, *a3, *b1, *b2, *c1, *c2, *d1, *t[4], *x1, *x2, *x3, *y1, *x1n, *x3n, *x4n, *fork, *blocks;
    char *old_only[16], outs[400];
    int v[4], nold = 0;
    int64_t F;
    const char *store;
    chain_truth c;
    cJSON *j;
    ltc_node_start();
    cJSON_Delete(ltc_rpc_json(false, "createwallet", "w", NULL));
    {   /* a: funded before the fork; b: paid by the old branch; c: by the new one; d1: old only */
        static const char *const kind[] = {"legacy", "legacy", "bech32", "p2sh-segwit", "legacy",
                                           "bech32", "legacy", "bech32", "bech32"};
        char **addr[] = {&mine_a, &a1, &a2, &a3, &b1, &b2, &c1, &c2, &d1};
        for (int i = 0; i < 9; i++) *addr[i] = ltc_rpc_str(true, "getnewaddress", "", kind[i], NULL);
    }
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "101", mine_a, NULL));
    for (int i = 0; i < 4; i++) { /* O1..O4, each locked so the wallet's next payment cannot spend it */
        const char *to = i == 0 ? a2 : i == 1 ? a3 : a1, *amount = i == 0 ? "5" : i == 1 ? "3" : i == 2 ? "10" : "2";
        char lock[120];
        t[i] = ltc_rpc_str(true, "sendtoaddress", to, amount, NULL);
        v[i] = ltc_vout_to(t[i], to);
        snprintf(lock, sizeof lock, "[{\"txid\":\"%s\",\"vout\":%d}]", t[i], v[i]);
        cJSON_Delete(ltc_rpc_json(true, "lockunspent", "false", lock, NULL));
    }
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "9", mine_a, NULL));
    F = node_height();
    cr_assert_eq(F, 110);
    /* the old branch's spends, and the new branch's of the same outputs (signed now, while unspent) */
    snprintf(outs, sizeof outs, "{\"%s\":4.9999}", b2);
    x1 = ltc_signed_tx(t[0], v[0], outs);
    snprintf(outs, sizeof outs, "{\"%s\":2.9999}", b1);
    x2 = ltc_signed_tx(t[1], v[1], outs);
    snprintf(outs, sizeof outs, "{\"%s\":6,\"%s\":3.9999}", d1, a1);
    x3 = ltc_signed_tx(t[2], v[2], outs);
    snprintf(outs, sizeof outs, "{\"%s\":4.999}", c2);
    x1n = ltc_signed_tx(t[0], v[0], outs);
    snprintf(outs, sizeof outs, "{\"%s\":9.9999}", b2);
    x3n = ltc_signed_tx(t[2], v[2], outs);
    snprintf(outs, sizeof outs, "{\"%s\":1.9999}", c1);
    x4n = ltc_signed_tx(t[3], v[3], outs);

    /* old branch: F+1 spends O1, O2, O3; F+2 spends an output of F+1; then 4 more */
    mine(mine_a, (const char *const[]){x1, x2, x3, NULL});
    fork = node_hash(F + 1);
    old_only[nold++] = txid_of(x1), old_only[nold++] = txid_of(x2), old_only[nold++] = txid_of(x3);
    snprintf(outs, sizeof outs, "{\"%s\":4.9998}", b1);
    y1 = ltc_signed_tx(old_only[0], ltc_vout_to(old_only[0], b2), outs);
    mine(mine_a, (const char *const[]){y1, NULL});
    old_only[nold++] = txid_of(y1);
    for (int i = 0; i < 4; i++) mine(mine_a, NULL);
    cr_assert_eq(node_height(), F + 6);
    for (int64_t h = F + 1; h <= F + 6; h++) {
        char *hash = node_hash(h);
        cJSON *b = ltc_rpc_json(false, "getblock", hash, "1", NULL);
        old_only[nold++] = strdup(cJSON_GetArrayItem(ltc_get(b, "tx"), 0)->valuestring); /* its coinbase */
        cJSON_Delete(b);
        free(hash);
    }
    cr_assert(asprintf(&blocks, "%s/regtest/blocks", LTC.datadir) > 0);
    store = path_in(LTC.tmp, "store");
    j = sleuth_json("ingest btc --network litecoin-regtest --json --store %s %s", store, blocks);
    cr_assert_eq(jint(j, "blocks_added"), (uint64_t)F + 7);
    cJSON_Delete(j);
    {   /* the old branch is stored: its tip, d1's 6 LTC, O2 spent by x2 */
        char *best = ltc_rpc_str(false, "getbestblockhash", NULL);
        j = sleuth_json("info --store %s --json", store);
        cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "btc"), "tip_hash"), best);
        cJSON_Delete(j);
        free(best);
        j = sleuth_json("address --store %s %s --json", store, d1);
        cr_assert_eq(jint(j, "balance"), 600000000);
        cJSON_Delete(j);
        j = sleuth_json("tx --store %s %s --json", store, t[1]);
        cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outputs"), v[1]), "spent_by"),
                              "txid"), old_only[1]);
        cJSON_Delete(j);
    }

    /* the reorg: F+1 invalid, a longer branch from F paying c1, spending O1 and O3 otherwise,
     * O4 too, and leaving O2 unspent (x2 waits in the mempool; generateblock leaves it there) */
    free(ltc_rpc_str(false, "invalidateblock", fork, NULL));
    cr_assert_eq(node_height(), F);
    mine(c1, (const char *const[]){x1n, x3n, x4n, NULL});
    for (int i = 0; i < 7; i++) mine(c1, NULL);
    cr_assert_eq(node_height(), F + 8);

    /* the new branch does not descend from the stored tip: kept aside, nothing changes */
    j = sleuth_json("ingest btc --network litecoin-regtest --json --store %s %s", store, blocks);
    cr_assert_eq(jint(j, "blocks_added"), 0);
    cr_assert_eq(jint(j, "blocks_stale"), 8);
    cJSON_Delete(j);
    j = sleuth_json("info --store %s --json", store);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "tip_height"), (uint64_t)F + 6);
    cJSON_Delete(j);

    check_rollback(rollback_json(store, (unsigned)F), (uint64_t)F + 6, (uint64_t)F, 6, (uint64_t)nold);
    j = sleuth_json("ingest btc --network litecoin-regtest --json --store %s %s", store, blocks);
    cr_assert_eq(jint(j, "blocks_added"), 8);
    cr_assert_eq(jint(j, "txs_added"), 8 + 3);
    cr_assert_eq(jint(j, "blocks_stale"), 6);
    cJSON_Delete(j);

    walk(&c);
    cr_assert_eq(cJSON_GetArraySize(c.blocks), F + 9);
    compare_with_node(store, &c);
    for (int64_t h = F + 1; h <= F + 8; h++) {
        const cJSON *tx;
        cJSON_ArrayForEach(tx, ltc_get(cJSON_GetArrayItem(c.blocks, (int)h), "tx"))
            compare_tx(store, &c, ltc_gets(tx, "txid"), h);
    }
    for (int i = 0; i < 4; i++) compare_tx(store, &c, t[i], F - 8); /* O1..O4 and their spenders */
    for (int i = 0; i < nold; i++) sleuth_tx_missing(store, old_only[i], "an old-branch tx");
    {   /* O2: spent in the old branch only, unspent again, at the node and in sleuth */
        char n[8];
        cJSON *o = NULL, *st = sleuth_json("tx --store %s %s --json", store, t[1]);
        snprintf(n, sizeof n, "%d", v[1]);
        o = ltc_rpc_json(false, "gettxout", t[1], n, "false", NULL);
        cr_assert(cJSON_IsObject(o), "the node does not have %s:%d unspent", t[1], v[1]);
        cJSON_Delete(o);
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "outputs"), v[1]),
                                                   "spent_by")));
        cJSON_Delete(st);
    }
    /* b1 and d1 were paid only in the old branch: gone */
    for (const char *const *p = (const char *const[]){b1, d1, NULL}; *p; p++) {
        run_result r = run_sleuth("address --store %s %s", store, *p);
        cr_assert_null(cJSON_GetObjectItemCaseSensitive(c.addrs, *p), "%s is in the new branch", *p);
        cr_assert_eq(utxo_balance(*p), 0);
        cr_assert_eq(r.status, 1, "%s (old branch only) is still known: %s", *p, r.out);
        cr_assert(strstr(r.err, "not found"), "%s", r.err);
        run_free(&r);
    }
    /* every other address of either branch was compared above with the node */
    for (const char *const *p = (const char *const[]){mine_a, a1, a2, a3, b2, c1, c2, NULL}; *p; p++)
        cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(c.addrs, *p), "%s not in the chain", *p);
    truth_free(&c);
    for (int i = 0; i < nold; i++) free(old_only[i]);
    for (int i = 0; i < 4; i++) free(t[i]);
    free(mine_a), free(a1), free(a2), free(a3), free(b1), free(b2), free(c1), free(c2), free(d1);
    free(x1), free(x2), free(x3), free(y1), free(x1n), free(x3n), free(x4n), free(fork), free(blocks);
}
