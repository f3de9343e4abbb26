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

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4][300];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 300, "%s/%s", dir, name);
    return p;
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
    refused(2, "account chains (eth) cannot be rolled back yet", "--chain eth --to 5", st);
    refused(2, "account chains (tron) cannot be rolled back yet", "--chain tron --to 5", st);
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
    refused(1, "no block at height 1001 is stored, so there is nothing to cut after height 1000", "--chain btc --to 1000",
            raw);
    refused(1, "no block at height 600 is stored", "--chain btc --to 599", raw);
    r = run_sleuth("rollback --store %s --chain btc --to 599 --json", raw);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.out, "{\"error\":{\"code\":\"ENOTFOUND\",\"message\":") && strstr(r.out, "no block at height 600"),
              "%s", r.out);
    run_free(&r);
    {
        char *again = info_view(raw);
        cr_assert_str_eq(again, now, "a refused rollback changed the store");
        free(again);
        free(now);
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
