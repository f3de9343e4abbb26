/* test_alloc.c — out of memory through the allocator seam ($SLEUTH_TEST_ALLOC_FAIL=N:
 * the Nth allocation of the process and every later one fail, util.h). For each command
 * below N runs 1, 2, 3, ... (every N up to 150 — 100 for an
 * ingest, which costs a commit a run — then steps of an eighth) until the command
 * succeeds; every failing run must exit 1 by itself (no signal, so no crash and no
 * sanitizer abort) with exactly one line on stderr that says "out of memory", and an
 * ingest that failed must leave its store as it was (same `sleuth info --json`) or absent.
 * An ingest that failed only after its commit (main's "the output may be incomplete; the
 * blocks were ingested and committed") must hold exactly what a complete ingest holds.
 *
 * KNOWN_UNCONVERTED: runs that fail inside the six files whose allocations are not
 * converted yet (store.c, column.c, btc_ingest.c, store.h, eth_ingest.c, eth_store.c,
 * chains/eth/json.c: their raw malloc is not counted, so N never reaches them today) are
 * listed there as "command-name:N" and reported, not failed. It is empty: no run fails. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"

/* "name:N" of runs known to crash in the files other engineers are converting */
static const char *const KNOWN_UNCONVERTED[] = {NULL};

#define TX170 "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
#define ETH_TX "0x000000000000000000000000000000000000000000000000000000000000f002"
#define BLK0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define ETH_FIX "tests/data/eth/trace/hand_chain.jsonl"
#define MAX_N 200000

static bool known(const char *name, unsigned long n)
{
    char k[96];
    snprintf(k, sizeof k, "%s:%lu", name, n);
    for (size_t i = 0; KNOWN_UNCONVERTED[i]; i++)
        if (!strcmp(KNOWN_UNCONVERTED[i], k)) return true;
    return false;
}

/* every N up to dense, then steps of an eighth */
static unsigned long next_n(unsigned long n, unsigned long dense) { return n < dense ? n + 1 : n + n / 8; }

/* The "chains" of `sleuth info --json` (what the store holds, not its path or size), or
 * NULL when the store is absent (or unreadable). */
static char *info_of(const char *store)
{
    run_result r;
    char *s = NULL;
    struct stat st;
    if (stat(store, &st) != 0) return NULL;
    r = run_sleuth("info --store %s --json", store);
    if (r.status == 0) {
        cJSON *j = cJSON_Parse(r.out);
        cr_assert_not_null(j, "%s", r.out);
        s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "chains"));
        cJSON_Delete(j);
    }
    run_free(&r);
    return s;
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Runs `sleuth args` (a format with one %s: the store path) under every N until it
 * succeeds. When store_before is not NULL the command writes the store: before each run
 * it is restored from `pristine` (a copy of the store's starting state, "" for none), and
 * after a failed run its info must be store_before (NULL info = absent when "" is given). */
static void sweep(const char *name, const char *store, const char *pristine, const char *args, const char *complete)
{
    unsigned long n;
    char *before = NULL;
    int problems = 0;
    if (pristine) {
        if (*pristine) {
            run_result c = run_sh("rm -rf '%s' && cp -a '%s' '%s'", store, pristine, store);
            cr_assert_eq(c.status, 0);
            run_free(&c);
            before = info_of(store);
            cr_assert_not_null(before);
        }
    }
    for (n = 1; n <= MAX_N; n = next_n(n, pristine ? 100 : 150)) {
        run_result r;
        bool ok = true;
        if (pristine) {
            run_result c = *pristine ? run_sh("rm -rf '%s' && cp -a '%s' '%s'", store, pristine, store)
                                     : run_sh("rm -rf '%s'", store);
            cr_assert_eq(c.status, 0);
            run_free(&c);
        }
        /* leak checks are off for the injected runs: a command that ran out of memory exits
         * at once and may leave a half-built JSON tree unfreed (what is checked is the exit,
         * the message, the store, and ASan's memory errors) */
        r = run_sh("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 SLEUTH_TEST_ALLOC_FAIL=%lu '%s' %s", n,
                   sleuth_bin(), args);
        if (r.status == 0) {
            run_free(&r);
            break;
        }
        if (r.status != 1 || lines(r.err) != 1 || !strstr(r.err, "out of memory")) ok = false;
        if (ok && pristine) {
            char *now = info_of(store);
            bool same = before ? now && !strcmp(now, before) : !now;
            /* failed after the commit: the store holds the whole ingest */
            if (!same && strstr(r.err, "were ingested and committed") && now && complete && !strcmp(now, complete))
                same = true;
            if (!same) {
                cr_log_error("%s N=%lu: the failed ingest changed the store: %s", name, n, now ? now : "(absent)");
                ok = false;
            }
            free(now);
        }
        if (!ok) {
            if (known(name, n))
                cr_log_warn("%s N=%lu (KNOWN_UNCONVERTED): status %d, stderr: %s", name, n, r.status, r.err);
            else {
                cr_log_error("%s N=%lu: status %d (128+signal: a crash), stderr: %s", name, n, r.status, r.err);
                problems++;
            }
        }
        run_free(&r);
        if (problems >= 5) break;
    }
    free(before);
    cr_assert_eq(problems, 0, "%s: %d runs failed badly (see above); reproduce with SLEUTH_TEST_ALLOC_FAIL=N sleuth %s",
                 name, problems, args);
    cr_assert_leq(n, MAX_N, "%s: still failing at N=%lu", name, n);
    cr_assert_gt(n, 1, "%s: succeeded at N=1, so nothing was injected", name);
}

/* Runs an ingest (or any sleuth command) that must succeed. */
static void must(const char *cmd)
{
    run_result r = run_sh("'%s' %s", sleuth_bin(), cmd);
    cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
    run_free(&r);
}

/* a store with blocks 0..599, and the info of one with blocks 0..299 ingested whole */
static char btc_store[256], btc_complete_info[4096];

static void build_btc(void)
{
    const char *d = temp_dir();
    char *i;
    snprintf(btc_store, sizeof btc_store, "%s/s", d);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ingest btc --quiet --store %s " FIX "/consecutive/*.dat", btc_store);
        must(cmd);
    }
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ingest btc --quiet --store %s/c " BLK0, d);
        must(cmd);
    }
    snprintf(btc_complete_info, sizeof btc_complete_info, "%s/c", d);
    i = info_of(btc_complete_info);
    cr_assert_not_null(i);
    snprintf(btc_complete_info, sizeof btc_complete_info, "%s", i);
    free(i);
}

/* The sweeps below run the binary once per allocation index, each run creating a store and
 * fsyncing its commits: their wall time is disk latency (3-4 s of CPU in a minute on a
 * loaded machine), so the timeout is a hang guard of minutes, not a speed target. */
Test(alloc, ingest_btc_into_a_new_store, .timeout = 300)
{
    const char *d = temp_dir();
    char store[256], args[512];
    build_btc();
    snprintf(store, sizeof store, "%s/n", d);
    snprintf(args, sizeof args, "ingest btc --quiet --json --store %s " BLK0, store);
    sweep("ingest-btc-new", store, "", args, btc_complete_info);
}

Test(alloc, btc_tx_address_trace, .timeout = 300)
{
    char args[512];
    build_btc();
    snprintf(args, sizeof args, "tx --store %s " TX170 " --json", btc_store);
    sweep("tx", NULL, NULL, args, NULL);
    snprintf(args, sizeof args, "address --store %s 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --json", btc_store);
    sweep("address", NULL, NULL, args, NULL);
    snprintf(args, sizeof args, "trace --store %s --tx " TX170 ":0 --json", btc_store);
    sweep("trace", NULL, NULL, args, NULL);
    snprintf(args, sizeof args, "trace --store %s --tx " TX170 ":0", btc_store);
    sweep("trace-text", NULL, NULL, args, NULL);
}

Test(alloc, ingest_eth_into_a_new_store, .timeout = 300)
{
    const char *d = temp_dir();
    char store[256], fresh[256], args[512], *complete;
    snprintf(store, sizeof store, "%s/e", d);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ingest eth --quiet --store %s " ETH_FIX, store);
        must(cmd);
    }
    complete = info_of(store);
    cr_assert_not_null(complete);
    snprintf(fresh, sizeof fresh, "%s/n", d);
    snprintf(args, sizeof args, "ingest eth --quiet --json --store %s " ETH_FIX, fresh);
    sweep("ingest-eth-new", fresh, "", args, complete);
    free(complete);
}

Test(alloc, eth_tx_and_trace, .timeout = 300)
{
    const char *d = temp_dir();
    char store[256], args[512];
    snprintf(store, sizeof store, "%s/e", d);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ingest eth --quiet --store %s " ETH_FIX, store);
        must(cmd);
    }
    snprintf(args, sizeof args, "tx --store %s " ETH_TX " --json", store);
    sweep("eth-tx", NULL, NULL, args, NULL);
    snprintf(args, sizeof args, "trace --store %s --tx " ETH_TX " --json", store);
    sweep("eth-trace", NULL, NULL, args, NULL);
    snprintf(args, sizeof args, "trace --store %s --tx " ETH_TX " --direction backward --json", store);
    sweep("eth-trace-back", NULL, NULL, args, NULL);
}

Test(alloc, ingest_into_an_existing_store_leaves_it_unchanged, .timeout = 300)
{
    /* blocks 300..599 onto a store that holds 0..299: a failure must leave 0..299 */
    const char *d = temp_dir();
    char pristine[256], store[256], args[512];
    snprintf(pristine, sizeof pristine, "%s/p", d);
    snprintf(store, sizeof store, "%s/w", d);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ingest btc --quiet --store %s " BLK0, pristine);
        must(cmd);
    }
    build_btc();
    {
        char *full = info_of(btc_store);
        snprintf(args, sizeof args,
                 "ingest btc --quiet --store %s " FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat", store);
        sweep("ingest-btc-existing", store, pristine, args, full);
        free(full);
    }
}
