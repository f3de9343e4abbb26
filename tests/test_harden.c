/* test_harden.c — the hardening findings on the store and the Bitcoin ingest (issue
 * "Hardening", F2, F4, F6, F8-F12), each through the real `sleuth` binary: a double
 * spend within a block and across blocks is refused and the store is unchanged; a zstd
 * bomb is refused within its bound; a FIFO among the inputs is refused instead of
 * blocking; a kill -9 at every step of creating a store leaves something readers accept
 * and an ingest resumes; a second writer cannot slip in while the first compacts; a full
 * disk and `ulimit -f` give a message, not a signal, and the store stays at its last
 * commit; a store opens under `ulimit -v`, for a user who may not write it, and the
 * messages for permissions, read-only mounts, wrong magic and bad checksums say what is
 * wrong. Tests that need root (mount, setpriv) skip themselves without it.
 *
 * The double-spend chains are built here, block by block (regtest proof of work is a
 * few hashes), so the test says exactly which output is spent twice. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/btc.h"
#include "sleuth/crypto.h"
#include "sleuth/util.h"

#define BLK0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define BLK1 FIX "/consecutive/nbitcoin_blk00001_h000300-000599.dat"
#define REPRO "tests/data/repro"
#define MEV "tests/data/eth/mev/10384319.json.zst"
#define MEV_TX "0x01c2f7a026e9bb5342f16eee1449ff00f48e9387761eedc0ff5114157fff80d4"

static const char *bin(void) { return getenv("SLEUTH_BIN") ? getenv("SLEUTH_BIN") : "build/sleuth"; }

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The "btc" object of `info --json` as text (the store's byte count left out). */
static char *btc_info(const char *store)
{
    cJSON *j = sleuth_json("info --store %s --json", store), *b = cJSON_GetObjectItem(j, "btc");
    char *s;
    cr_assert_not_null(b, "info has no btc object");
    cJSON_DeleteItemFromObject(b, "store_bytes");
    s = cJSON_PrintUnformatted(b);
    cJSON_Delete(j);
    return s;
}

/* Runs `sleuth ARGS` (ARGS from fmt), which must be refused (exit 1) with every one of the
 * NULL-terminated needles in its message, and leave the store at `store` byte for byte
 * as it was. */
static void refused_unchanged(const char *store, const char *const *needles, const char *args)
{
    char *before = tree_digest(store), *after;
    run_result r = run_sleuth("%s", args);
    cr_assert_eq(r.status, 1, "not refused: exit %d %s", r.status, r.err);
    for (; *needles; needles++) cr_assert(strstr(r.err, *needles), "'%s' missing from: %s", *needles, r.err);
    run_free(&r);
    after = tree_digest(store);
    cr_assert_str_eq(before, after, "the refused command changed the store");
    free(before);
    free(after);
}

/* ---------------- a tiny regtest chain, built by hand ---------------- */

typedef struct bb { uint8_t b[2048]; size_t n; } bb;
static void put(bb *x, const void *p, size_t n) { memcpy(x->b + x->n, p, n); x->n += n; }
static void put32(bb *x, uint32_t v) { uint8_t t[4]; sl_put_le32(t, v); put(x, t, 4); }
static void put64(bb *x, uint64_t v) { uint8_t t[8]; sl_put_le64(t, v); put(x, t, 8); }
static void put8(bb *x, uint8_t v) { put(x, &v, 1); }

/* A one-output p2pkh transaction: a coinbase (tag makes it unique) or a spend of prev:vout. */
static void make_tx(bb *t, const uint8_t *prev, uint32_t vout, uint32_t tag, uint64_t value, uint8_t who)
{
    static const uint8_t zero[32];
    uint8_t h160[20];
    memset(h160, who, sizeof h160);
    t->n = 0;
    put32(t, 1);
    put8(t, 1);
    put(t, prev ? prev : zero, 32);
    put32(t, prev ? vout : 0xffffffff);
    put8(t, 4);
    put32(t, tag);
    put32(t, 0xffffffff);
    put8(t, 1);
    put64(t, value);
    put8(t, 25);
    put(t, "\x76\xa9\x14", 3);
    put(t, h160, 20);
    put(t, "\x88\xac", 2);
    put32(t, 0);
}

static void txid_of(uint8_t out[32], const bb *t) { sl_sha256d(out, t->b, t->n); }

/* Appends a framed regtest block of txs (merkle root computed, nonce ground) to f;
 * returns the block hash in hash. */
static void write_block(FILE *f, const uint8_t prev[32], bb *txs, int ntx, uint32_t time, uint8_t hash[32])
{
    const sl_btc_net *net = sl_btc_net_by_name("regtest");
    uint8_t lvl[8][32], hdr[80];
    int n = ntx;
    bb blk = {.n = 0};
    for (int i = 0; i < ntx; i++) txid_of(lvl[i], &txs[i]);
    while (n > 1) {
        for (int i = 0; i < n; i += 2) {
            uint8_t pair[64];
            memcpy(pair, lvl[i], 32);
            memcpy(pair + 32, lvl[i + 1 < n ? i + 1 : i], 32);
            sl_sha256d(lvl[i / 2], pair, 64);
        }
        n = (n + 1) / 2;
    }
    sl_put_le32(hdr, 1);
    memcpy(hdr + 4, prev, 32);
    memcpy(hdr + 36, lvl[0], 32);
    sl_put_le32(hdr + 68, time);
    sl_put_le32(hdr + 72, 0x207fffff);
    for (uint32_t nonce = 0;; nonce++) {
        sl_hash256 h;
        sl_put_le32(hdr + 76, nonce);
        sl_btc_header_hash(&h, hdr);
        if (sl_btc_check_pow(hdr, &h, net)) {
            memcpy(hash, h.b, 32);
            break;
        }
    }
    put(&blk, hdr, 80);
    put8(&blk, (uint8_t)ntx);
    for (int i = 0; i < ntx; i++) put(&blk, txs[i].b, txs[i].n);
    fwrite(net->magic, 1, 4, f);
    {
        uint8_t l[4];
        sl_put_le32(l, (uint32_t)blk.n);
        fwrite(l, 1, 4, f);
    }
    fwrite(blk.b, 1, blk.n, f);
}

/* Writes d/a.dat (block 0: coinbase to address 0x11..; block 1: spends it to 0x22..) and
 * d/b.dat (block 2: spends block 0's coinbase output again, to 0x33..). */
static void double_spend_chain(const char *d)
{
    static const uint8_t zero[32];
    char p[256];
    uint8_t h0[32], h1[32], h2[32], cb0[32];
    bb t[2];
    FILE *f;
    snprintf(p, sizeof p, "%s/a.dat", d);
    cr_assert_not_null(f = fopen(p, "wb"));
    make_tx(&t[0], NULL, 0, 1000, 5000000000ULL, 0x11);
    txid_of(cb0, &t[0]);
    write_block(f, zero, t, 1, 1600000000, h0);
    make_tx(&t[0], NULL, 0, 1001, 5000000000ULL, 0x44);
    make_tx(&t[1], cb0, 0, 7, 5000000000ULL, 0x22);
    write_block(f, h0, t, 2, 1600000600, h1);
    fclose(f);
    snprintf(p, sizeof p, "%s/b.dat", d);
    cr_assert_not_null(f = fopen(p, "wb"));
    make_tx(&t[0], NULL, 0, 1002, 5000000000ULL, 0x44);
    make_tx(&t[1], cb0, 0, 8, 5000000000ULL, 0x33);
    write_block(f, h1, t, 2, 1600001200, h2);
    fclose(f);
}

/* ---------------- F4: double spends ---------------- */

/* The reproducer: block 1 holds the same transaction twice, spending one output twice;
 * it used to be stored and the payer's balance wrapped to 18446744073708551616. */
Test(harden, double_spend_within_a_block_is_refused)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --network regtest --store %s/s " REPRO "/btc_regtest_dup_tx_double_spend.dat", d);
    char p[128];
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "is spent twice in this block") && strstr(r.err, "double spend"), "%s", r.err);
    cr_assert(strstr(r.err, "33045d53db69acff62ee0f113681495cb5224a2e79cd62c252f755cd45551245:3444"), "%s", r.err);
    cr_assert(strstr(r.err, "byte offset"), "located: %s", r.err);
    run_free(&r);
    snprintf(p, sizeof p, "%s/s", d);
    cr_assert(!exists(p), "a refused first ingest leaves no store behind");
}

Test(harden, double_spend_across_blocks_is_refused_and_the_store_unchanged)
{
    const char *d = temp_dir();
    char st[128];
    cJSON *j;
    run_result r;
    double_spend_chain(d);
    r = run_sleuth("ingest btc --quiet --network regtest --store %s/s %s/a.dat", d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    {
        static const char *const want[] = {"already spent", "double spend", "b.dat", NULL};
        char args[300];
        snprintf(args, sizeof args, "ingest btc --network regtest --store %s/s %s/b.dat", d, d);
        refused_unchanged(st, want, args);
    }
    /* the payer spent exactly what it received: balance 0, never a wrapped u64 */
    j = sleuth_json("address --store %s/s --json mh5CE8Nbj38iND267s4XnvhSmhDW7yWc6Q", d);
    cr_assert_eq(jint(j, "balance"), 0);
    cr_assert_eq(jint(j, "received"), 5000000000ULL);
    cr_assert_eq(jint(j, "spent"), 5000000000ULL);
    cJSON_Delete(j);
    /* the whole chain in one command: refused, nothing created */
    r = run_sleuth("ingest btc --network regtest --store %s/t %s/a.dat %s/b.dat", d, d, d);
    cr_assert_eq(r.status, 1, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/t", d);
    cr_assert(!exists(st));
}

/* ---------------- F8, F9, F11: inputs ---------------- */

Test(harden, zstd_bomb_is_refused_within_its_bound)
{
    const char *d = temp_dir();
    struct rusage ru;
    run_result r = run_sleuth("ingest btc --store %s/s " REPRO "/btc_zst_bomb_2GB.zst", d);
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "more than the 4000000 bytes allowed"), "%s", r.err);
    run_free(&r);
    getrusage(RUSAGE_CHILDREN, &ru);
    cr_assert_lt(ru.ru_maxrss, 200 * 1024, "peak RSS %ld KiB: decompressed without a bound", ru.ru_maxrss);
}

Test(harden, fifo_among_the_inputs_is_refused_not_waited_on, .timeout = 60)
{
    const char *d = temp_dir();
    char p[128];
    run_result r;
    snprintf(p, sizeof p, "%s/blocks", d);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/blocks/blk00000.dat", d);
    cr_assert_eq(mkfifo(p, 0644), 0);
    r = run_sh("timeout 20 %s ingest btc --store %s/s %s/blocks", bin(), d, d);
    cr_assert_eq(r.status, 1, "exit %d (124: still blocked): %s", r.status, r.err);
    cr_assert(strstr(r.err, "FIFO") && strstr(r.err, "blk00000.dat"), "%s", r.err);
    run_free(&r);
    r = run_sh("timeout 20 %s ingest btc --store %s/s %s", bin(), d, p);
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    run_free(&r);
    snprintf(p, sizeof p, "%s/x.json", d);
    cr_assert_eq(mkfifo(p, 0644), 0);
    r = run_sh("timeout 20 %s ingest eth --store %s/s %s", bin(), d, p);
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "FIFO"), "%s", r.err);
    run_free(&r);
    snprintf(p, sizeof p, "%s/s", d);
    cr_assert(!exists(p));
}

Test(harden, truncated_raw_block_whose_header_is_stored_is_an_error)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " BLK0, d);
    char st[128];
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    {
        static const char *const want[] = {"btc_raw_truncated_known_header.bin", "past the end", NULL};
        char args[300];
        snprintf(args, sizeof args, "ingest btc --store %s/s " REPRO "/btc_raw_truncated_known_header.bin", d);
        refused_unchanged(st, want, args);
    }
}

Test(harden, refused_input_and_bad_numbers_create_nothing)
{
    const char *d = temp_dir();
    char p[128];
    run_result r;
    FILE *f;
    snprintf(p, sizeof p, "%s/garbage.dat", d);
    cr_assert_not_null(f = fopen(p, "wb"));
    for (int i = 0; i < 4096; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    r = run_sleuth("ingest btc --store %s/new %s", d, p);
    cr_assert_eq(r.status, 1, "%s", r.err);
    /* a wrong first magic says so, before any proof-of-work talk */
    cr_assert(strstr(r.err, "not a block file: no bitcoin magic"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --store %s/new --batch-mb -1 " BLK0, d);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--batch-mb: '-1'"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --store %s/new --from 99999999999999999999 --to 1 --rpc http://127.0.0.1:1", d);
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
    snprintf(p, sizeof p, "%s/new", d);
    cr_assert(!exists(p), "nothing may be created by a refused command");
    /* a refused first ingest into a folder of the user's own removes only what it made */
    r = run_sh("mkdir -p %s/mine/index && echo keep > %s/mine/index/notes.txt && echo keep > %s/mine/plans.txt", d, d, d);
    run_free(&r);
    r = run_sleuth("ingest btc --store %s/mine %s/garbage.dat", d, d);
    cr_assert_eq(r.status, 1, "%s", r.err);
    run_free(&r);
    snprintf(p, sizeof p, "%s/mine/index/notes.txt", d);
    cr_assert(exists(p), "a refused ingest deleted a file of the user's");
    snprintf(p, sizeof p, "%s/mine/plans.txt", d);
    cr_assert(exists(p));
    snprintf(p, sizeof p, "%s/mine/index/data.mdb", d);
    cr_assert(!exists(p), "the store's own files are gone again");
    r = run_sleuth("ingest btc --quiet --store %s/s " BLK0, d);
    run_free(&r);
    r = run_sleuth("address --store %s/s --limit 99999999999999999999 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", d);
    cr_assert_eq(r.status, 2, "silently clamped? %s", r.err);
    cr_assert(strstr(r.err, "--limit: '99999999999999999999' is not a whole number"), "%s", r.err);
    run_free(&r);
}

/* A folder of nbitcoin_blk*.dat files (or raw .bin blocks) is what the same files give
 * one by one; it used to be refused ("no blk*.dat files"). */
Test(harden, folder_of_block_files_like_the_files_one_by_one)
{
    const char *d = temp_dir();
    char a[128], b[128], *x, *y;
    run_result r = run_sleuth("ingest btc --quiet --store %s/folder " FIX "/consecutive", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --store %s/files " BLK0 " " BLK1, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(a, sizeof a, "%s/folder", d);
    snprintf(b, sizeof b, "%s/files", d);
    x = btc_info(a);
    y = btc_info(b);
    cr_assert_str_eq(x, y);
    cr_assert(strstr(x, "\"blocks\":600"), "%s", x);
    free(x);
    free(y);
    r = run_sleuth("ingest btc --quiet --store %s/raw " FIX "/blocks", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* ---------------- F10: a kill -9 at every step of creating a store ---------------- */

Test(harden, kill9_at_every_step_of_creating_a_store, .timeout = 120)
{
    static const char *const points[] = {"open:dir", "open:lock", "open:dirs", "open:env",
                                         "open:some-columns", "open:columns", "open:committed"};
    const char *d = temp_dir();
    char ref[128], st[128], *clean;
    run_result r = run_sleuth("ingest btc --quiet --store %s/ref " BLK0, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(ref, sizeof ref, "%s/ref", d);
    clean = btc_info(ref);
    for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
        char *got;
        snprintf(st, sizeof st, "%s/k%zu", d, i);
        r = run_sh("SLEUTH_TEST_KILL_AT=%s %s ingest btc --quiet --store %s " BLK0, points[i], bin(), st);
        cr_assert_eq(r.status, 128 + SIGKILL, "%s: exit %d %s", points[i], r.status, r.err);
        run_free(&r);
        /* a reader sees no store, or an empty one: never a half-made one it refuses */
        r = run_sleuth("info --store %s --json", st);
        cr_assert(r.status == 0 || (r.status == 1 && strstr(r.err, "no sleuth store here")), "after a kill at %s: %s",
                  points[i], r.err);
        cr_assert(!strstr(r.err, "cannot open"), "%s: %s", points[i], r.err);
        run_free(&r);
        r = run_sleuth("ingest btc --quiet --store %s " BLK0, st);
        cr_assert_eq(r.status, 0, "resume after a kill at %s: %s", points[i], r.err);
        run_free(&r);
        got = btc_info(st);
        cr_assert_str_eq(got, clean, "after a kill at %s", points[i]);
        free(got);
    }
    /* and at the compaction that ends an ingest: the old index or the new one, both whole */
    for (int k = 0; k < 2; k++) {
        char *got;
        snprintf(st, sizeof st, "%s/c%d", d, k);
        r = run_sh("SLEUTH_TEST_COMPACT_ALWAYS=1 SLEUTH_TEST_KILL_AT=%s %s ingest btc --quiet --store %s " BLK0,
                   k ? "compact:copied" : "compact:copying", bin(), st);
        cr_assert_eq(r.status, 128 + SIGKILL, "exit %d %s", r.status, r.err);
        run_free(&r);
        got = btc_info(st);
        cr_assert_str_eq(got, clean, "after a kill in the compaction (%d)", k);
        free(got);
        r = run_sleuth("ingest btc --quiet --store %s " BLK1, st);
        cr_assert_eq(r.status, 0, "the next ingest after a kill in the compaction: %s", r.err);
        run_free(&r);
    }
    /* the same while an Ethereum chain is added to an existing store */
    snprintf(st, sizeof st, "%s/k%zu", d, (size_t)0);
    r = run_sh("SLEUTH_TEST_KILL_AT=eth-open:some-columns %s ingest eth --quiet --store %s " MEV, bin(), st);
    cr_assert_eq(r.status, 128 + SIGKILL, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tx --store %s " MEV_TX, st);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "not found") || strstr(r.err, "holds no"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("info --store %s --json", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s " MEV, st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tx --store %s " MEV_TX, st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    free(clean);
}

/* Starts argv (argv[0] looked up on PATH) with $SLEUTH_TEST_STOP_AT=point (and env, a
 * NAME=VALUE, when given), stdout discarded, and returns once it has stopped itself there. */
static pid_t start_stopped(const char *point, char *env, char *const argv[])
{
    int status;
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        setenv("SLEUTH_TEST_STOP_AT", point, 1);
        if (env) putenv(env);
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
    cr_assert(WIFSTOPPED(status), "%s ended (status %d) instead of stopping at %s", argv[0], status, point);
    return pid;
}

/* Lets a process from start_stopped go on and asserts it then exits 0. */
static void resume_ok(pid_t pid)
{
    int status;
    kill(pid, SIGCONT);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d after resuming", status);
}

/* ---------------- F2: no writer slips in while another compacts ---------------- */

Test(harden, compaction_holds_the_write_lock, .timeout = 120)
{
    const char *d = temp_dir();
    char st[128];
    run_result r;
    pid_t pid;
    snprintf(st, sizeof st, "%s/s", d);
    {
        /* the first ingest stops itself with the compacted copy made, before it replaces the index */
        char *argv[] = {(char *)bin(), "ingest", "btc", "--quiet", "--store", st, BLK0, NULL};
        pid = start_stopped("compact:copied", "SLEUTH_TEST_COMPACT_ALWAYS=1", argv);
    }
    r = run_sleuth("ingest eth --store %s " MEV, st);
    kill(pid, SIGCONT);
    cr_assert_eq(r.status, 1, "a second writer was let in during the compaction: exit %d %s", r.status, r.err);
    cr_assert(strstr(r.err, "in use"), "%s", r.err);
    run_free(&r);
    resume_ok(pid);
    /* and afterwards the second writer's data stays */
    r = run_sleuth("ingest eth --quiet --store %s " MEV, st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tx --store %s " MEV_TX, st);
    cr_assert_eq(r.status, 0, "the second ingest's data is gone: %s", r.err);
    run_free(&r);
    {
        cJSON *j = sleuth_json("info --store %s --json", st);
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "blocks"), 300);
        cJSON_Delete(j);
    }
}

/* ---------------- F6: a full disk and ulimit -f ---------------- */

/* The tmpfs a test mounted: unmounted by the test's .fini even when an assertion fails. */
static char mounted[128];

static bool mount_tmpfs(const char *dir, const char *opts)
{
    run_result r;
    bool ok;
    if (geteuid() != 0) return false;
    r = run_sh("mkdir -p %s && mount -t tmpfs -o %s tmpfs %s", dir, opts, dir);
    ok = r.status == 0;
    run_free(&r);
    if (ok) snprintf(mounted, sizeof mounted, "%s", dir);
    return ok;
}

static void unmount(void)
{
    if (mounted[0]) {
        run_result r = run_sh("umount %s", mounted);
        run_free(&r);
        mounted[0] = 0;
    }
}

Test(harden, disk_full_is_a_message_and_the_store_resumes, .timeout = 120, .fini = unmount)
{
    const char *d = temp_dir();
    char m[128], ref[200], *clean, *got;
    run_result r;
    snprintf(m, sizeof m, "%s/small", d);
    if (!mount_tmpfs(m, "size=16m")) cr_skip_test("needs root to mount a small tmpfs");
    r = run_sleuth("ingest btc --quiet --store %s/ref " BLK0 " " BLK1, d);
    run_free(&r);
    snprintf(ref, sizeof ref, "%s/ref", d);
    clean = btc_info(ref);
    r = run_sleuth("ingest btc --quiet --store %s/st " BLK0, m);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    /* leave about 300 KB free, then add the next 300 blocks one commit at a time */
    r = run_sh("fallocate -l $(( $(df -B1 --output=avail %s | tail -1) - 300000 )) %s/filler", m, m);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --batch-mb 0 --store %s/st " BLK1, m);
    cr_assert_eq(r.status, 1, "exit %d (135 = SIGBUS): %s", r.status, r.err);
    cr_assert(strstr(r.err, "disk full at"), "%s", r.err);
    run_free(&r);
    {
        cJSON *j = sleuth_json("info --store %s/st --json", m);
        uint64_t n = jint(cJSON_GetObjectItem(j, "btc"), "blocks");
        cr_assert(n >= 300 && n < 600, "blocks %llu", (unsigned long long)n);
        cJSON_Delete(j);
    }
    r = run_sh("rm %s/filler", m);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --store %s/st " BLK1, m);
    cr_assert_eq(r.status, 0, "resume: %s", r.err);
    run_free(&r);
    snprintf(ref, sizeof ref, "%s/st", m);
    got = btc_info(ref);
    cr_assert_str_eq(got, clean);
    free(got);
    free(clean);
}

Test(harden, file_size_limit_is_a_message)
{
    const char *d = temp_dir();
    /* dash's ulimit -f counts 512-byte blocks: 1000 = 512,000 bytes, less than a column's first MiB */
    run_result r = run_sh("ulimit -f 1000; %s ingest btc --store %s/s " BLK0, bin(), d);
    cr_assert_eq(r.status, 1, "exit %d (153 = SIGXFSZ): %s", r.status, r.err);
    cr_assert(strstr(r.err, "file size limit reached at") && strstr(r.err, "ulimit -f"), "%s", r.err);
    run_free(&r);
}

/* ---------------- F12: address space, permissions, messages ---------------- */

Test(harden, store_opens_under_a_small_address_space_limit)
{
    const char *d = temp_dir();
    run_result r;
    /* AddressSanitizer reserves terabytes of shadow memory: no address space limit fits it */
    if (getenv("SLEUTH_SANITIZED")) cr_skip_test("the sanitized binary cannot run under ulimit -v");
    /* 1.5 GiB of address space: the old fixed 1 TiB map could not be opened at all */
    r = run_sh("(ulimit -v 1500000; %s ingest btc --quiet --store %s/s " BLK0 " >/dev/null && "
                          "%s tx --store %s/s f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16)",
                          bin(), d, bin(), d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee"), "%s", r.out);
    run_free(&r);
    r = run_sh("(ulimit -v 1500000; %s ingest eth --quiet --store %s/s " MEV " >/dev/null && %s tx --store %s/s " MEV_TX
               ")", bin(), d, bin(), d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* setpriv to the unprivileged user "nobody" (65534): needs root */
#define AS_NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "

Test(harden, a_user_who_may_only_read_the_store_can_read_it)
{
    const char *d = temp_dir();
    run_result r;
    if (geteuid() != 0) cr_skip_test("needs root to run as another user");
    {   /* nobody must reach the store: the run's temp folder is 0700 */
        char parent[256], *slash;
        snprintf(parent, sizeof parent, "%s", d);
        if ((slash = strrchr(parent, '/')) && slash != parent) {
            *slash = 0;
            chmod(parent, 0711);
        }
    }
    chmod(d, 0755);
    r = run_sleuth("ingest btc --quiet --store %s/s " BLK0, d);
    run_free(&r);
    r = run_sh(AS_NOBODY "%s tx --store %s/s f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", bin(), d);
    cr_assert_eq(r.status, 0, "a read-only user cannot read: %s", r.err);
    cr_assert(strstr(r.out, "block    170"), "%s", r.out);
    run_free(&r);
    /* such a reader holds the store: a writer waits its turn rather than pulling pages away */
    {
        char st[128];
        pid_t pid;
        snprintf(st, sizeof st, "%s/s", d);
        {
            char *argv[] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", (char *)bin(), "info",
                            "--store", st, NULL};
            pid = start_stopped("open:env", NULL, argv);
        }
        r = run_sleuth("ingest btc --store %s/s " BLK1, d);
        kill(pid, SIGCONT);
        cr_assert_eq(r.status, 1, "%s", r.err);
        cr_assert(strstr(r.err, "in use"), "%s", r.err);
        run_free(&r);
        resume_ok(pid);
    }
    /* a folder the user may not enter says so, not "no sleuth store here" */
    {
        char st[128];
        snprintf(st, sizeof st, "%s/s", d);
        chmod(st, 0700);
        r = run_sh(AS_NOBODY "%s info --store %s", bin(), st);
        cr_assert_eq(r.status, 1, "%s", r.err);
        cr_assert(strstr(r.err, "permission denied"), "%s", r.err);
        cr_assert(!strstr(r.err, "no sleuth store"), "%s", r.err);
        run_free(&r);
        chmod(st, 0755);
    }
}

Test(harden, new_store_on_a_read_only_mount_says_so, .fini = unmount)
{
    const char *d = temp_dir();
    char m[128];
    run_result r;
    snprintf(m, sizeof m, "%s/ro", d);
    if (!mount_tmpfs(m, "ro,size=1m")) cr_skip_test("needs root to mount a read-only tmpfs");
    r = run_sleuth("ingest btc --store %s/st " BLK0, m);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "Read-only file system") && strstr(r.err, "cannot create the store"), "%s", r.err);
    run_free(&r);
}

Test(harden, bad_address_checksum_and_other_networks_are_named)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " BLK0, d);
    run_free(&r);
    r = run_sleuth("address --store %s/s 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", d);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "Base58Check checksum is wrong"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("address --store %s/s bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", d);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "bech32 checksum is wrong"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("address --store %s/s mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", d);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "is a testnet address") && strstr(r.err, "bitcoin"), "%s", r.err);
    run_free(&r);
}

/* A stored Ethereum-family block is written whole: the logs of a block whose transactions
 * were ingested by an earlier command used to be skipped without a word (75 Tron token
 * transfers lost); now that is refused, and a repeat of the same complete input is not. */
Test(harden, records_for_an_already_stored_block_are_refused_not_dropped)
{
    const char *d = temp_dir();
    char st[128];
    run_result r = run_sleuth("ingest tron --quiet --store %s/s tests/data/tron/trx_blocks.json.zst", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/s", d);
    {
        static const char *const want[] = {"block 50000011 is already stored", "together in one command", NULL};
        char args[300];
        snprintf(args, sizeof args, "ingest tron --quiet --store %s/s tests/data/tron/trx_logs.json.zst", d);
        refused_unchanged(st, want, args);
    }
    r = run_sleuth("ingest tron --quiet --store %s/t tests/data/tron", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest tron --quiet --store %s/t tests/data/tron", d);
    cr_assert_eq(r.status, 0, "the same complete input again: %s", r.err);
    run_free(&r);
}

#define REPRO_DIR "tests/data/repro/"

/* ---------------- located errors (issue 10) ---------------- */

/* --json errors carry where the fault is as fields, not only in the message: the file and
 * its byte offset (a block's fault: the block's offset plus the offset inside it), the
 * JSON path of a duplicated key, the line of a CSV. */
Test(harden, errors_carry_their_location_as_fields)
{
    const char *d = temp_dir();
    cJSON *j, *er;
    run_result r;
    char st[300], csv[300];
    FILE *f;
    r = run_sleuth("ingest btc --network regtest --json --store %s/a " REPRO_DIR "btc_regtest_dup_tx_double_spend.dat", d);
    cr_assert_eq(r.status, 1);
    j = cJSON_Parse(r.out);
    er = cJSON_GetObjectItem(j, "error");
    cr_assert_str_eq(jstr(er, "code"), "ECORRUPT");
    cr_assert(strstr(jstr(er, "file"), "btc_regtest_dup_tx_double_spend.dat"));
    /* the block starts at 162711 in the file, the second spend 832106 into the block */
    cr_assert_eq(jint(er, "offset"), 162711 + 832106, "%s", r.out);
    cJSON_Delete(j);
    run_free(&r);
    r = run_sleuth("ingest eth --json --store %s/b " REPRO_DIR "eth_dup_key_value.json", d);
    cr_assert_eq(r.status, 1);
    j = cJSON_Parse(r.out);
    er = cJSON_GetObjectItem(j, "error");
    cr_assert_str_eq(jstr(er, "path"), "$.result.transactions[0].value", "%s", r.out);
    cr_assert(strstr(jstr(er, "file"), "eth_dup_key_value.json"));
    cJSON_Delete(j);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --store %s/c " FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(st, sizeof st, "%s/c", d);
    snprintf(csv, sizeof csv, "%s/links.csv", d);
    f = fopen(csv, "w");
    fputs("from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note\n"
          "# a comment\n"
          "bitcoin,f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16,x,1,ethereum,0x00,y,1,z\n", f);
    fclose(f);
    r = run_sleuth("trace --json --store %s --tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 "
                   "--link %s", st, csv);
    cr_assert_eq(r.status, 1, "%s", r.out);
    j = cJSON_Parse(r.out);
    er = cJSON_GetObjectItem(j, "error");
    cr_assert_str_eq(jstr(er, "file"), csv, "%s", r.out);
    cr_assert_eq(jint(er, "line"), 3, "%s", r.out);
    cJSON_Delete(j);
    run_free(&r);
}
