/* test_screen_update.c — `exposure update` continues the index from where it was built
 * (issue 13, "Exposure is kept up to date as blocks arrive"; docs/SCREENING.md, "Keeping
 * up").
 *
 * Against a full build: a generated world (dmm, seed 7) is cut in two, its first 90% of
 * blocks (Bitcoin blk frames and Ethereum blocks) ingested, the index built, the rest
 * appended and the index updated; then a full build of the same store at the same tips.
 * Every record of the two indexes (chain, address, direction, source, asset, amount, hops,
 * received, path length) and every source must be the same, under haircut, fifo and
 * poison, and the update must have continued (not rebuilt), read only the new
 * transactions and traced again fewer sources than there are.
 *
 * Fallbacks, on the hand chain of test_screen.c: new blocks are continued; a tag import,
 * a rollback below the index's tips, a missing frontier file each rebuild, saying why.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "screen/screen_int.h"
#include "sleuth/screen.h"
#include "sleuth/store.h"

typedef struct rrow {
    sl_u128 amount, received;
    uint32_t addr, source, asset;
    uint16_t chain;
    uint8_t dir, hops, path_n;
} rrow;

static int cmp_row(const void *pa, const void *pb)
{
    const rrow *a = pa, *b = pb;
#define C(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
    C(chain); C(addr); C(dir); C(source); C(asset); C(amount); C(hops); C(received); C(path_n);
#undef C
    return 0;
}

/* Every record of the index of store, sorted; *n of them. Sources' names into names. */
static rrow *dump(const char *store, size_t *n, char (**names)[SL_FLOW_NAME_MAX], size_t *n_src)
{
    sl_expo x;
    sl_error e = {0};
    rrow *v;
    size_t k = 0;
    cr_assert_eq(sl_expo_open(&x, path_in(store, "exposure/index.bin"), &e), SL_OK, "%s", e.msg);
    v = calloc(x.n_records + 1, sizeof *v);
    for (uint64_t j = 0; j < x.n_entries; j++) {
        const uint8_t *en = x.entries + j * SL_EXPO_ENTRY;
        uint32_t first = sl_le32(en + 8), cnt = sl_le32(en + 12);
        for (uint32_t i = first; i < first + cnt; i++) {
            sl_expo_rec r;
            sl_expo_rec_at(&x, i, &r);
            v[k++] = (rrow){.amount = r.amount, .received = r.received, .addr = sl_le32(en + 4), .source = r.source,
                            .asset = r.asset, .chain = (uint16_t)(en[0] | en[1] << 8), .dir = r.dir, .hops = r.hops,
                            .path_n = r.path_n};
            cr_assert_leq(r.hops, 4);
            cr_assert(r.path_n >= 1 && r.received >= r.amount && r.amount > 0);
        }
    }
    cr_assert_eq(k, x.n_records);
    qsort(v, k, sizeof *v, cmp_row);
    *names = calloc(x.n_sources + 1, sizeof **names);
    for (uint64_t i = 0; i < x.n_sources; i++) {
        sl_expo_src s;
        sl_expo_src_at(&x, (uint32_t)i, &s);
        snprintf((*names)[i], SL_FLOW_NAME_MAX, "%u:%s", s.kind, s.name);
    }
    *n_src = x.n_sources;
    sl_expo_close(&x);
    *n = k;
    return v;
}

/* Writes DIR/a (the first frac of the world's blocks on both chains) and DIR/b (Bitcoin:
 * every block, the stored ones are skipped; Ethereum: the rest). An Ethereum dump holds
 * three lines per block: the block, its receipts, its traces. */
static void split_world(const char *d, double frac)
{
    run_result r = run_sh("mkdir -p %s/a/btc %s/a/eth %s/b/btc %s/b/eth && cp %s/w/btc/blk00000.dat %s/b/btc/ && "
                          "n=$(cat %s/w/eth/*.json | wc -l) && k=$(( n / 3 * %d / 100 * 3 )) && "
                          "cat %s/w/eth/*.json | head -n $k > %s/a/eth/e.json && "
                          "cat %s/w/eth/*.json | tail -n +$((k + 1)) > %s/b/eth/e.json",
                          d, d, d, d, d, d, d, (int)(frac * 100), d, d, d, d);
    FILE *in, *out;
    uint8_t h[8], *buf = malloc(4 << 20);
    size_t frames = 0, keep;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    in = fopen(path_in(d, "w/btc/blk00000.dat"), "rb");
    cr_assert(in);
    while (fread(h, 1, 8, in) == 8) { /* count the frames: magic, length, block */
        frames++;
        fseek(in, (long)sl_le32(h + 4), SEEK_CUR);
    }
    keep = (size_t)((double)frames * frac);
    rewind(in);
    out = fopen(path_in(d, "a/btc/blk00000.dat"), "wb");
    for (size_t i = 0; i < keep; i++) {
        uint32_t len;
        cr_assert_eq(fread(h, 1, 8, in), 8);
        len = sl_le32(h + 4);
        cr_assert_leq(len, 4u << 20);
        cr_assert_eq(fread(buf, 1, len, in), len);
        cr_assert_eq(fwrite(h, 1, 8, out), 8);
        cr_assert_eq(fwrite(buf, 1, len, out), len);
    }
    fclose(out);
    fclose(in);
    free(buf);
    cr_assert_gt(keep, 10);
    cr_assert_lt(keep, frames);
}

static void ingest(const char *store, const char *part)
{
    expect_ok(run_sleuth("ingest btc --quiet --network regtest --store %s %s/btc", store, part));
    expect_ok(run_sleuth("ingest eth --quiet --store %s --chain ethereum %s/eth", store, part));
}

Test(screen_update, continued_equals_a_full_build, .timeout = 600)
{
    const char *d = temp_dir(), *policies[] = {"haircut", "fifo", "poison"};
    run_result r = run_sleuth("gen world --recipe dmm --seed 7 --out %s/w --background-txs 3000 --quiet", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    split_world(d, 0.9);
    for (size_t pi = 0; pi < 3; pi++) {
        char store[512];
        sl_store *st = NULL;
        sl_error e = {0};
        sl_exposure_update_report u;
        rrow *before, *inc, *full;
        char (*nb)[SL_FLOW_NAME_MAX], (*ni)[SL_FLOW_NAME_MAX], (*nf)[SL_FLOW_NAME_MAX];
        size_t n_before, n_inc, n_full, s_before, s_inc, s_full, changed = 0;
        snprintf(store, sizeof store, "%s/s-%s", d, policies[pi]);
        ingest(store, path_in(d, "a"));
        expect_ok(run_sleuth("tags import --store %s %s/w/tags/world.tagpack.yaml %s/w/tags/incident.tagpack.yaml "
                             "%s/w/incidents.yaml", store, d, d, d));
        expect_ok(run_sleuth("exposure build --store %s --quiet --policy %s", store, policies[pi]));
        before = dump(store, &n_before, &nb, &s_before);
        ingest(store, path_in(d, "b"));
        cr_assert_eq(sl_store_open(&st, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_exposure_update(st, store, &u, &e), SL_OK, "%s", e.msg);
        sl_store_close(st);
        cr_assert(u.changed && !u.full, "%s: continued, not rebuilt (%s)", policies[pi], u.why);
        cr_assert_gt(u.read, 100, "the new transactions and flows were read (%llu)", (unsigned long long)u.read);
        cr_assert_gt(u.retraced, 0);
        cr_assert_lt(u.retraced, u.sources, "%s: %llu of %llu sources traced again", policies[pi],
                     (unsigned long long)u.retraced, (unsigned long long)u.sources);
        inc = dump(store, &n_inc, &ni, &s_inc);
        expect_ok(run_sleuth("exposure build --store %s --quiet --policy %s", store, policies[pi]));
        full = dump(store, &n_full, &nf, &s_full);
        cr_assert_gt(n_full, 500, "a world's worth of records (%zu)", n_full);
        cr_assert_eq(n_inc, n_full, "%s: %zu records continued, %zu built", policies[pi], n_inc, n_full);
        for (size_t i = 0; i < n_full; i++)
            cr_assert(!cmp_row(&inc[i], &full[i]),
                      "%s: record %zu: continued addr %u dir %u source %u amount %llu hops %u received %llu; "
                      "built addr %u dir %u source %u amount %llu hops %u received %llu", policies[pi], i,
                      inc[i].addr, inc[i].dir, inc[i].source, (unsigned long long)inc[i].amount, inc[i].hops,
                      (unsigned long long)inc[i].received, full[i].addr, full[i].dir, full[i].source,
                      (unsigned long long)full[i].amount, full[i].hops, (unsigned long long)full[i].received);
        cr_assert_eq(s_inc, s_full);
        for (size_t i = 0; i < s_full; i++) cr_assert_str_eq(ni[i], nf[i]);
        /* the appended blocks mattered: records were added or changed */
        for (size_t i = 0, j = 0; i < n_full; i++) {
            while (j < n_before && cmp_row(&before[j], &full[i]) < 0) j++;
            changed += j == n_before || cmp_row(&before[j], &full[i]) != 0;
        }
        cr_assert_gt(changed, 20, "%s: %zu records new or changed by the append", policies[pi], changed);
        free(before), free(inc), free(full), free(nb), free(ni), free(nf);
    }
}

#define B "0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"

/* The "in" stolen-funds amount B's screen shows (0 none). */
static uint64_t b_stolen(const char *s)
{
    run_result r = run_sleuth("screen --store %s " B " --json --direction in", s);
    cJSON *j;
    uint64_t got = 0;
    const cJSON *y;
    if (r.status == 1 && strstr(r.err, "no such address")) { /* B appears in block 3 only */
        run_free(&r);
        return 0;
    }
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = cJSON_Parse(r.out);
    run_free(&r);
    cJSON_ArrayForEach(y, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "in"), "top_sources"))
        got += strtoull(jstr(y, "amount_base"), NULL, 10);
    cJSON_Delete(j);
    return got;
}

/* `exposure update --json`: how ("none", "continued", "rebuilt") into how, why (or ""). */
static void update(const char *s, const char *want_how, const char *want_why)
{
    cJSON *j = sleuth_json("exposure update --store %s --json", s);
    cr_assert_str_eq(jstr(j, "how"), want_how);
    if (want_why) cr_assert_str_eq(jstr(j, "why"), want_why);
    else cr_assert_null(cJSON_GetObjectItem(j, "why"));
    cJSON_Delete(j);
}

Test(screen_update, tags_rollback_and_a_missing_frontier_rebuild)
{
    const char *d = temp_dir(), *s = path_in(d, "s"), *extra = path_in(d, "extra.yaml");
    FILE *f;
    char keep[512];
    snprintf(keep, sizeof keep, "%s", s);
    s = keep;
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_12.jsonl", s));
    expect_ok(run_sleuth("tags import --store %s tests/data/screen/hand.tagpack.yaml", s));
    expect_ok(run_sleuth("exposure build --store %s --quiet", s));
    update(s, "none", NULL);
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", s));
    update(s, "continued", NULL);
    cr_assert_eq(b_stolen(s), 19); /* test_screen.c: E -> B 30 carries 19 of the theft */
    /* new tags: a rebuild */
    f = fopen(extra, "w");
    cr_assert(f);
    fputs("title: 'extra'\ncreator: 'tests'\nis_public: true\nlastmod: 2024-01-01\nnetwork: 'ETH'\ncurrency: 'ETH'\n"
          "confidence: forensic\nsource: 'tests'\ntags:\n- address: '0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1'\n"
          "  label: 'D the gambler'\n  category: 'gambling'\n", f);
    fclose(f);
    expect_ok(run_sleuth("tags import --store %s %s", s, extra));
    update(s, "rebuilt", "the tags changed");
    update(s, "none", NULL);
    /* a rollback below the index's tips: a rebuild at the lower tip */
    expect_ok(run_sleuth("rollback --store %s --chain ethereum --to 2 --quiet", s));
    update(s, "rebuilt", "a rollback below the index's tips");
    cr_assert_eq(b_stolen(s), 0); /* B appears in block 3 only */
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", s));
    update(s, "continued", NULL);
    cr_assert_eq(b_stolen(s), 19);
    /* an index without its frontier (a kill between the two renames, an older build) */
    expect_ok(run_sh("rm %s/exposure/frontier.bin", s));
    expect_ok(run_sleuth("rollback --store %s --chain ethereum --to 2 --quiet", s));
    update(s, "rebuilt", "no frontier beside the index");
    cr_assert_eq(b_stolen(s), 0);
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", s));
    update(s, "continued", NULL);
    cr_assert_eq(b_stolen(s), 19);
}
