/* test_store.c — store format 3 (issue 9): stores of formats 1 and 2 are refused with the
 * command that rebuilds them and left as they were; a reader handle opened before an
 * ingest sees the new commit after sl_store_snapshot; a writer killed just before or
 * just after its LMDB commit leaves a store that readers and the next writer read as the
 * commit before or after (orphaned run files collected, the unspent-output map rebuilt);
 * one store holds Bitcoin and an account chain, listed by the chain registry, with
 * addresses keyed by (chain, address id). The building blocks have their own tests
 * (test_storeparts.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helpers.h"
#include "sleuth/chains.h"
#include "sleuth/store.h"

#define CONSEC0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define CONSEC1 FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"

Test(store, older_format_stores_are_refused_with_how_to_rebuild_them)
{
    const char *d = temp_dir();
    for (int v = 1; v <= 2; v++) {
        char *before, *after, st[300];
        run_result r = run_sh("cp -r tests/data/repro/store-v%d %s/v%d", v, d, v);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        snprintf(st, sizeof st, "%s/v%d", d, v);
        before = tree_digest(st);
        static const char *const cmds[] = {"info --store %s", "tx --store %s "
                                           "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
                                           "ingest btc --store %s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"};
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            char args[600], want[64];
            snprintf(args, sizeof args, cmds[i], st);
            r = run_sleuth("%s", args);
            cr_assert_eq(r.status, 1, "%s: exit %d", args, r.status);
            snprintf(want, sizeof want, "format version %d", v);
            cr_assert(strstr(r.err, want), "%s", r.err);
            cr_assert(strstr(r.err, "sleuth ingest btc --store NEWDIR"), "%s", r.err);
            run_free(&r);
        }
        after = tree_digest(st);
        cr_assert_str_eq(before, after, "refusing a version-%d store changed it", v);
        free(before);
        free(after);
    }
}

static bool find_tx(sl_store *s, const char *hex)
{
    sl_hash256 h;
    uint64_t ids[2];
    cr_assert(sl_hash_parse(&h, hex));
    return sl_btc_tx_find(s, &h, ids, 2) > 0;
}

/* the coinbase of block 1 */
#define TX_AT_1 "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"

Test(store, a_reader_sees_a_later_commit_after_a_snapshot)
{
    const char *d = temp_dir();
    char st[300];
    sl_store *s;
    sl_error e = {0};
    cJSON *j;
    const char *tx300;
    run_result r = run_sleuth("ingest btc --quiet --store %s/s %s", d, CONSEC0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_btc_meta_get(s)->n_blocks, 300);
    cr_assert(find_tx(s, TX_AT_1));
    r = run_sleuth("ingest btc --quiet --store %s/s %s", d, CONSEC1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("block --store %s/s --json 300", d);
    tx300 = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "txids"), 0));
    cr_assert_not_null(tx300);
    /* the handle still reads its snapshot: 300 blocks, block 300's coinbase unknown */
    cr_assert_eq(sl_btc_meta_get(s)->n_blocks, 300);
    cr_assert(!find_tx(s, tx300));
    cr_assert_eq(sl_store_snapshot(s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_btc_meta_get(s)->n_blocks, 600);
    cr_assert(find_tx(s, tx300));
    cr_assert(find_tx(s, TX_AT_1));
    cJSON_Delete(j);
    sl_store_close(s);
}

/* `address --json` of addr: the exit status and what it printed. */
static char *addr_json(const char *store, const char *addr)
{
    run_result r = run_sleuth("address --store %s --json --limit 5 %s", store, addr);
    char *t = malloc(strlen(r.out) + 16);
    sprintf(t, "%d %s", r.status, r.out);
    run_free(&r);
    return t;
}

/* Run files of a store's btc/runs folder. */
static int count_runs(const char *st)
{
    run_result r = run_sh("ls %s/btc/runs | grep -c '\\.run$'", st);
    int n = atoi(r.out);
    run_free(&r);
    return n;
}

Test(store, kill_around_the_commit_reads_as_one_side)
{
    const char *d = temp_dir();
    char ref0[300], ref1[300], st[300];
    static const char *const addrs[] = {"12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3",
                                        "1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK" /* block 450's coinbase */};
    static const char *const points[] = {"commit:logged", "commit:committed"};
    run_result r = run_sleuth("ingest btc --quiet --store %s/ref1 %s %s", d, CONSEC0, CONSEC1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --store %s/ref0 %s", d, CONSEC0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(ref0, sizeof ref0, "%s/ref0", d);
    snprintf(ref1, sizeof ref1, "%s/ref1", d);
    for (int k = 0; k < 2; k++) {
        r = run_sleuth("ingest btc --quiet --store %s/s%d %s", d, k, CONSEC0);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        /* the second ingest dies just before (logged) or just after (committed) its LMDB commit */
        r = run_sh("SLEUTH_TEST_KILL_AT=%s %s ingest btc --quiet --store %s/s%d %s", points[k], sleuth_bin(), d, k,
                   CONSEC1);
        cr_assert_eq(r.status, 128 + SIGKILL, "not killed at %s: exit %d %s", points[k], r.status, r.err);
        run_free(&r);
        snprintf(st, sizeof st, "%s/s%d", d, k);
        /* a reader sees the commit before (its new runs are ignored) or after */
        for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
            char *a = addr_json(k ? ref1 : ref0, addrs[i]), *b = addr_json(st, addrs[i]);
            cr_assert_str_eq(b, a, "%s, %s", points[k], addrs[i]);
            free(a);
            free(b);
        }
        /* the next writer collects what the kill left and finishes; then both read as ref1 */
        r = run_sleuth("ingest btc --quiet --store %s %s", st, CONSEC1);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        cr_assert_eq(count_runs(st), count_runs(ref1), "%s: run files left behind", points[k]);
        for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
            char *a = addr_json(ref1, addrs[i]), *b = addr_json(st, addrs[i]);
            cr_assert_str_eq(b, a, "%s then resumed, %s", points[k], addrs[i]);
            free(a);
            free(b);
        }
        {
            cJSON *x = sleuth_json("tx --store %s --json f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
                                   st);
            cJSON *y = sleuth_json("tx --store %s --json f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
                                   ref1);
            char *xs = cJSON_PrintUnformatted(x), *ys = cJSON_PrintUnformatted(y);
            cr_assert_str_eq(xs, ys);
            free(xs);
            free(ys);
            cJSON_Delete(x);
            cJSON_Delete(y);
        }
    }
}

/* spent.col is not synced at every commit: after a power failure its newest marks may be
 * missing. Simulated here by zeroing every mark and the checkpoint that says which are on
 * disk: the next writer writes them again from the inputs, and rebuilds utxo.map. */
Test(store, spent_marks_lost_before_a_checkpoint_are_written_again)
{
    const char *d = temp_dir();
    char st[300], ref[300], p[400];
    static const char *const looks[] = {"tx --json f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
                                        "address --json 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "block --json 500"};
    run_result r = run_sleuth("ingest btc --quiet --store %s/s %s %s", d, CONSEC0, CONSEC1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    r = run_sh("cp -r %s %s/ref", st, d);
    run_free(&r);
    snprintf(ref, sizeof ref, "%s/ref", d);
    {
        /* every mark zeroed; utxo.map invalid, its checkpoint at tx 0 */
        FILE *f;
        long len;
        uint8_t hdr[32] = {0};
        snprintf(p, sizeof p, "%s/btc/spent.col", st);
        f = fopen(p, "r+b");
        cr_assert_not_null(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        for (long o = 64; o < len; o++) {
            fseek(f, o, SEEK_SET);
            fputc(0, f);
        }
        fclose(f);
        snprintf(p, sizeof p, "%s/btc/utxo.map", st);
        f = fopen(p, "r+b");
        cr_assert_not_null(f);
        fseek(f, 72, SEEK_SET);
        fwrite(hdr, 1, 16, f); /* valid = 0, synced marks = 0 */
        fclose(f);
    }
    /* a reader now sees the damage (the output looks unspent) */
    r = run_sleuth("tx --store %s --json f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", st);
    cr_assert(strstr(r.out, "\"spent_by\":null"), "%s", r.out);
    run_free(&r);
    /* a writer's open repairs it (nothing new to ingest) */
    r = run_sleuth("ingest btc --quiet --store %s %s", st, CONSEC1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    for (size_t i = 0; i < sizeof looks / sizeof *looks; i++) {
        run_result a = run_sleuth("%s --store %s", looks[i], st), b = run_sleuth("%s --store %s", looks[i], ref);
        cr_assert_str_eq(a.out, b.out, "%s", looks[i]);
        run_free(&a);
        run_free(&b);
    }
    /* and the repaired store opens for writing again as a normal one */
    r = run_sleuth("ingest btc --quiet --store %s %s", st, CONSEC0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

Test(store, one_store_holds_every_chain_and_keys_addresses_by_chain)
{
    const char *d = temp_dir();
    char st[300], back[128];
    sl_store *s;
    sl_error e = {0};
    const sl_chain_def *defs[8];
    sl_addr_ref btc, tron;
    cJSON *j, *c;
    run_result r = run_sleuth("ingest tron --quiet --store %s/m tests/data/tron && %s ingest btc --quiet --store %s/m %s",
                              d, sleuth_bin(), d, CONSEC0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/m", d);
    /* info lists both, with their registry ids */
    j = sleuth_json("info --store %s --json", st);
    c = cJSON_GetObjectItem(j, "chains");
    cr_assert_eq(cJSON_GetArraySize(c), 2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(c, 0), "chain"), "bitcoin");
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 0), "chain_id"), SL_CHAIN_BTC);
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 0), "blocks"), 300);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(c, 1), "chain"), "tron");
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 1), "chain_id"), 22);
    cJSON_Delete(j);
    cr_assert_eq(sl_store_open(&s, st, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_store_chains(s, defs, 8), 2);
    cr_assert_eq(defs[0]->id, SL_CHAIN_BTC);
    cr_assert_str_eq(defs[1]->name, "tron");
    cr_assert_eq(sl_chain_by_name("litecoin-regtest")->id, SL_CHAIN_BTC);
    cr_assert_null(sl_chain_by_name("dogecoin"));
    /* Satoshi's block-9 address, and a Tron address of the fixture, round trip through keys */
    cr_assert_eq(sl_addr_resolve(s, NULL, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", &btc, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(btc.chain, SL_CHAIN_BTC);
    cr_assert_eq(sl_addr_format(s, btc, back, sizeof back), SL_OK);
    cr_assert_str_eq(back, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    {
        sl_addr_ref t0 = {22, 4}; /* the first account after the four sinks */
        char first[128];
        cr_assert_eq(sl_addr_format(s, t0, first, sizeof first), SL_OK);
        cr_assert_eq(first[0], 'T', "%s", first);
        cr_assert_eq(sl_addr_resolve(s, "tron", first, &tron, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(tron.chain, 22);
        cr_assert_eq(tron.id, 4);
        cr_assert_neq(sl_addr_ref_key(tron), sl_addr_ref_key(btc));
        cr_assert_eq(sl_addr_ref_of(sl_addr_ref_key(tron)).id, 4);
    }
    /* wrong chain, unknown address: errors in words */
    cr_assert_eq(sl_addr_resolve(s, "tron", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", &tron, &e), SL_EUSAGE);
    sl_err_clear(&e);
    cr_assert_eq(sl_addr_resolve(s, "ethereum", "0x0000000000000000000000000000000000000001", &tron, &e), SL_ENOTFOUND);
    sl_err_clear(&e);
    sl_store_close(s);
}

/* ---- the address table in two tiers (a bounded addr.map, older addresses in runs) ---- */

#define MAINNET FIX "/blocks/*"

/* Every address of store a has the same id, dictionary bytes and totals in store b, and
 * is found by its bytes in both; returns how many addresses were used again in a later
 * block than their first (the look-ups that had to find an older address). */
static uint64_t same_addresses(const char *a, const char *b)
{
    sl_store *sa, *sb;
    sl_error e = {0};
    uint64_t n, again = 0;
    cr_assert_eq(sl_store_open(&sa, a, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_store_open(&sb, b, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    n = sl_btc_meta_get(sa)->n_addr;
    cr_assert_eq(sl_btc_meta_get(sb)->n_addr, n, "address counts %llu vs %llu", (unsigned long long)n,
                 (unsigned long long)sl_btc_meta_get(sb)->n_addr);
    for (uint32_t id = 1; id < n; id++) {
        sl_btc_addr ka, kb;
        sl_btc_addrstat xa, xb;
        uint32_t ia = 0, ib = 0;
        cr_assert_eq(sl_btc_addr_key(sa, id, &ka), SL_OK);
        cr_assert_eq(sl_btc_addr_key(sb, id, &kb), SL_OK);
        cr_assert(ka.kind == kb.kind && ka.len == kb.len && !memcmp(ka.prog, kb.prog, ka.len), "address %u", id);
        cr_assert_eq(sl_btc_addr_id(sa, &ka, &ia), SL_OK, "address %u not found in %s", id, a);
        cr_assert_eq(sl_btc_addr_id(sb, &ka, &ib), SL_OK, "address %u not found in %s", id, b);
        cr_assert(ia == id && ib == id, "address %u: ids %u and %u", id, ia, ib);
        cr_assert_eq(sl_btc_addr_stats(sa, id, &xa), SL_OK);
        cr_assert_eq(sl_btc_addr_stats(sb, id, &xb), SL_OK);
        cr_assert(xa.n_tx == xb.n_tx && xa.received == xb.received && xa.spent == xb.spent && xa.n_out == xb.n_out &&
                  xa.first_tx == xb.first_tx && xa.last_tx == xb.last_tx, "address %u: totals differ", id);
        if (xa.first_block != xa.last_block) again++;
    }
    sl_store_close(sa);
    sl_store_close(sb);
    return again;
}

static int count_cold_runs(const char *st)
{
    run_result r = run_sh("ls %s/btc/runs | grep -c '^a.*\\.run$'", st);
    int n = atoi(r.out);
    run_free(&r);
    return n;
}

Test(store, a_bounded_address_table_gives_the_same_ids_after_ingest_rollback_and_kills, .timeout = 240)
{
    const char *d = temp_dir();
    char a[300], b[300], k[300];
    static const char *const points[] = {"spill:written", "spill:committed"};
    uint64_t again;
    snprintf(a, sizeof a, "%s/a", d);
    snprintf(b, sizeof b, "%s/b", d);
    /* b commits every block with addr.map bounded to 64 KiB (~3,000 addresses): its
     * addresses move to cold runs many times over; a keeps one tier */
    expect_ok(run_sleuth("ingest btc --quiet --store %s %s %s " MAINNET, a, CONSEC0, CONSEC1));
    expect_ok(run_sleuth("ingest btc --quiet --batch-mb 0 --address-table 64K --store %s %s %s " MAINNET, b, CONSEC0,
                         CONSEC1));
    cr_assert_gt(count_cold_runs(b), 0, "no cold run was written");
    cr_assert_eq(count_cold_runs(a), 0);
    again = same_addresses(a, b);
    cr_assert_gt(again, 100, "only %llu addresses used in two blocks: the cold look-up is not exercised",
                 (unsigned long long)again);
    {   /* the look-up commands agree (the reader's path) */
        run_result x = run_sleuth("address --store %s --json 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", a);
        run_result y = run_sleuth("address --store %s --json 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", b);
        cr_assert_eq(y.status, 0, "%s", y.err);
        cr_assert_str_eq(y.out, x.out);
        run_free(&x);
        run_free(&y);
    }
    /* a rollback into the cold tier, then the same blocks again */
    cJSON_Delete(sleuth_json("rollback --store %s --chain btc --to 100000 --json", a));
    cJSON_Delete(sleuth_json("rollback --store %s --chain btc --to 100000 --json", b));
    same_addresses(a, b);
    expect_ok(run_sleuth("ingest btc --quiet --store %s " MAINNET, a));
    expect_ok(run_sleuth("ingest btc --quiet --batch-mb 0 --address-table 64K --store %s " MAINNET, b));
    same_addresses(a, b);
    /* a kill on either side of a spill's commit: the next writer resumes to the same ids */
    for (int i = 0; i < 2; i++) {
        run_result r;
        snprintf(k, sizeof k, "%s/k%d", d, i);
        expect_ok(run_sleuth("ingest btc --quiet --store %s %s %s", k, CONSEC0, CONSEC1));
        r = run_sh("SLEUTH_TEST_KILL_AT=%s %s ingest btc --quiet --batch-mb 0 --address-table 64K --store %s " MAINNET,
                   points[i], sleuth_bin(), k);
        cr_assert_eq(r.status, 128 + SIGKILL, "not killed at %s: exit %d %s", points[i], r.status, r.err);
        run_free(&r);
        expect_ok(run_sleuth("ingest btc --quiet --batch-mb 0 --address-table 64K --store %s " MAINNET, k));
        same_addresses(a, k);
    }
}
