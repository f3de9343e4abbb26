/* test_store.c — store format 2 (issue 9): a version-1 store is refused with the command
 * that rebuilds it and left as it was; the persistent hash index (src/store/hidx.c) finds
 * every id through rebuilds, undoes an aborted batch's slots, and a reader follows a
 * rebuilt file; a reader handle opened before an ingest sees the new commit after
 * sl_store_snapshot; a writer killed between its LMDB commit and applying its address
 * records leaves a store that readers (by the log overlay) and the next writer (by
 * replaying the log) read as committed; one store holds Bitcoin and an account chain,
 * listed by the chain registry, with addresses keyed by (chain, address id). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helpers.h"
#include "sleuth/chains.h"
#include "sleuth/store.h"
#include "store/hidx.h"

#define CONSEC0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define CONSEC1 FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"

Test(store, version_1_store_is_refused_with_how_to_rebuild_it)
{
    const char *d = temp_dir();
    char *before, *after;
    run_result r = run_sh("cp -r tests/data/repro/store-v1 %s/v1", d);
    char st[300];
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/v1", d);
    before = tree_digest(st);
    static const char *const cmds[] = {"info --store %s", "tx --store %s "
                                       "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
                                       "ingest btc --store %s " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char args[600];
        snprintf(args, sizeof args, cmds[i], st);
        r = run_sleuth("%s", args);
        cr_assert_eq(r.status, 1, "%s: exit %d", args, r.status);
        cr_assert(strstr(r.err, "format version 1"), "%s", r.err);
        cr_assert(strstr(r.err, "sleuth ingest btc --store NEWDIR"), "%s", r.err);
        run_free(&r);
    }
    after = tree_digest(st);
    cr_assert_str_eq(before, after, "refusing a version-1 store changed it");
    free(before);
    free(after);
}

static uint64_t hash_of_id(void *ctx, uint64_t id)
{
    sl_hidx *h = ctx;
    return sl_hidx_hash(h, &id, sizeof id);
}

static bool has(const sl_hidx *h, uint64_t id)
{
    uint64_t hh = sl_hidx_hash(h, &id, sizeof id), i = sl_hidx_first(h, hh), got;
    while (sl_hidx_next(h, hh, &i, &got))
        if (got == id) return true;
    return false;
}

Test(store, hash_index_grows_undoes_and_readers_follow_a_rebuild)
{
    const char *d = temp_dir();
    sl_hidx w, r;
    sl_error e = {0};
    const uint64_t n = 200000;
    cr_assert_eq(sl_hidx_open(&w, d, "t", true, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_hidx_open(&r, d, "t", false, &e), SL_OK, "%s", e.msg);
    for (uint64_t id = 0; id < n; id++) {
        if (sl_hidx_need_grow(&w, 1)) {
            /* the rebuild hashes with the same file key, so a hasher over w stays right */
            sl_hidx tmp = w;
            cr_assert_eq(sl_hidx_rebuild(&w, id, 1, hash_of_id, &tmp, &e), SL_OK, "%s", e.msg);
        }
        sl_hidx_insert(&w, sl_hidx_hash(&w, &id, sizeof id), id);
    }
    cr_assert_geq(w.mask + 1, 2 * n, "the index did not grow: %llu slots", (unsigned long long)(w.mask + 1));
    for (uint64_t id = 0; id < n; id++) cr_assert(has(&w, id), "id %llu lost", (unsigned long long)id);
    cr_assert(!has(&w, n + 5));
    /* an aborted batch: its slots are emptied, the others stay */
    sl_hidx_mark(&w);
    for (uint64_t id = n; id < n + 1000; id++) sl_hidx_insert(&w, sl_hidx_hash(&w, &id, sizeof id), id);
    cr_assert(has(&w, n + 10));
    sl_hidx_undo(&w);
    cr_assert(!has(&w, n + 10));
    for (uint64_t id = 0; id < n; id += 997) cr_assert(has(&w, id));
    /* the reader mapped the first file; after the rebuilds it re-opens the new one */
    cr_assert(!has(&r, n - 1));
    cr_assert_eq(sl_hidx_refresh(&r, &e), SL_OK, "%s", e.msg);
    cr_assert(has(&r, n - 1));
    cr_assert_eq(sl_hidx_checkpoint(&w, n, true, &e), SL_OK, "%s", e.msg);
    sl_hidx_close(&r);
    sl_hidx_close(&w);
    /* reopened: same key, same slots */
    cr_assert_eq(sl_hidx_open(&r, d, "t", false, &e), SL_OK, "%s", e.msg);
    cr_assert(!sl_hidx_dirty(&r));
    cr_assert_eq(sl_hidx_covered(&r), n);
    for (uint64_t id = 0; id < n; id += 101) cr_assert(has(&r, id));
    sl_hidx_close(&r);
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

static char *addr_json(const char *store, const char *addr)
{
    cJSON *j = sleuth_json("address --store %s --json --limit 5 %s", store, addr);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

Test(store, kill_between_commit_and_apply_reads_as_committed)
{
    const char *d = temp_dir();
    char ref[300], st[300];
    static const char *const addrs[] = {"12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3",
                                        "1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK" /* block 450's coinbase */};
    run_result r = run_sleuth("ingest btc --quiet --store %s/ref %s %s", d, CONSEC0, CONSEC1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --store %s/s %s", d, CONSEC0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    /* the second ingest dies after its LMDB commit, before its address records are applied */
    r = run_sh("SLEUTH_TEST_KILL_AT=commit:committed %s ingest btc --quiet --store %s/s %s", sleuth_bin(), d, CONSEC1);
    cr_assert_eq(r.status, 128 + SIGKILL, "not killed at the test point: exit %d %s", r.status, r.err);
    run_free(&r);
    snprintf(ref, sizeof ref, "%s/ref", d);
    snprintf(st, sizeof st, "%s/s", d);
    /* a reader overlays the log; then a writer replays it; both read as the reference */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
            char *a = addr_json(ref, addrs[i]), *b = addr_json(st, addrs[i]);
            cr_assert_str_eq(b, a, "pass %d, %s", pass, addrs[i]);
            free(a);
            free(b);
        }
        if (pass == 0) {
            r = run_sleuth("ingest btc --quiet --store %s/s %s", d, CONSEC1); /* all known: the replay only */
            cr_assert_eq(r.status, 0, "%s", r.err);
            run_free(&r);
        }
    }
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
