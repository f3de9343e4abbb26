/* test_eth_live.c — a live Ethereum node: starts the npm package ganache (installed by
 * scripts/install-deps.sh into tests/node) on a free 127.0.0.1 port, runs
 * tests/node/scenario.js (deploys a hand-assembled ERC-20 and an ETH forwarder, makes ETH
 * payments, token transfers, a failing transfer and forwarded payments), then
 * `sleuth ingest eth --rpc` reads blocks 0..latest, and every balance sleuth reports must
 * equal the node's: ETH = eth_getBalance(latest) - eth_getBalance(0) (the genesis
 * allocation is not a transaction), tokens = balanceOf. ganache is always stopped.
 *
 * The contracts, assembled by hand (no solc here):
 *   ERC-20 constructor: SSTORE(CALLER, 1e9); LOG3 Transfer(0x0 -> CALLER, 1e9); return runtime
 *   runtime: selector = CALLDATALOAD(0) >> 224
 *     0x70a08231 balanceOf(a): return SLOAD(a)
 *     0xa9059cbb transfer(to, v): if SLOAD(CALLER) < v revert; SLOAD(CALLER) -= v;
 *                SLOAD(to) += v; LOG3 Transfer(CALLER -> to, v); return 1
 *   forwarder runtime: CALL(GAS, TARGET, CALLVALUE, 0, 0, 0, 0); revert if it failed
 * ganache has no trace_block or callTracer: sleuth falls back to the opcode-level
 * debug_traceTransaction to find the forwarded (internal) transfers.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define GANACHE "tests/node/node_modules/.bin/ganache"

static pid_t g_pid; /* ganache, 0 when not running */

static void stop_ganache(void)
{
    if (g_pid > 0) stop_group(g_pid, 5000);
    g_pid = 0;
}

/* One JSON-RPC call through curl; the raw response (caller frees), "" when none came. */
static char *rpc(const char *url, const char *method)
{
    run_result r = run_sh("curl -s -m 5 -H 'Content-Type: application/json' -d "
                          "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":[]}' %s", method, url);
    free(r.err);
    return r.out;
}

/* Starts ganache on a free port and returns once it answers. The port is found by binding
 * port 0 and can be taken by another process before ganache binds it (other test runs start
 * nodes the same way): then ganache exits with EADDRINUSE and is started again on another
 * port. What answers must be this ganache: its network id is unique and checked, so another
 * node on a recycled port is never mistaken for it. The wait is bounded by time, not tries.
 * Blocks: one per transaction, mined before eth_sendTransaction returns (scenario.js reads
 * each receipt right after); the chain database is in dir, not in a ganache temp folder. */
static void start_ganache(char *url, size_t n, const char *dir)
{
    unsigned netid = 1000000u + (unsigned)getpid(); /* no other live process has this pid */
    char log[PATH_MAX], db[PATH_MAX], want[64];
    snprintf(want, sizeof want, "\"result\":\"%u\"", netid);
    snprintf(log, sizeof log, "%s/ganache.log", dir);
    snprintf(db, sizeof db, "%s/chain", dir);
    for (int attempt = 0;; attempt++) {
        int port = free_port(), st;
        struct timespec t0, t;
        cr_assert_gt(port, 0, "no free port");
        snprintf(url, n, "http://127.0.0.1:%d", port);
        rm_tree(db); /* what a failed start may have written */
        g_pid = spawn_sh("%s --host 127.0.0.1 --port %d --wallet.deterministic --chain.networkId %u "
                         "--miner.instamine eager --miner.blockTime 0 --database.dbPath %s --logging.quiet >%s 2>&1",
                         GANACHE, port, netid, db, log);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            char *out = rpc(url, "net_version");
            bool ours = strstr(out, want) != NULL;
            free(out);
            if (ours) return;
            if (waitpid(g_pid, &st, WNOHANG) == g_pid) break; /* it exited */
            clock_gettime(CLOCK_MONOTONIC, &t);
            cr_assert_lt(t.tv_sec - t0.tv_sec, 120, "ganache did not answer within 120 s (see %s)", log);
            usleep(100000);
        }
        g_pid = 0;
        {
            run_result r = run_sh("grep -c EADDRINUSE %s", log);
            bool in_use = r.status == 0;
            run_free(&r);
            cr_assert(in_use && attempt < 20, "ganache exited during start-up (status 0x%x, see %s)", st, log);
        }
    }
}

static const char *amount(const cJSON *v, char *buf)
{
    if (!v) return "0";
    if (cJSON_IsString(v)) return v->valuestring;
    snprintf(buf, 64, "%.0f", v->valuedouble); /* sleuth prints numbers only below 2^53: exact */
    return buf;
}

Test(eth_live, ganache_balances_match_the_node, .fini = stop_ganache, .timeout = 180)
{
    char url[64];
    run_result r;
    cJSON *sc, *accs, *it, *j;
    const char *d, *token;
    int checked = 0;
    if (access(GANACHE, X_OK) != 0 || system("command -v node >/dev/null 2>&1") != 0)
        cr_skip_test("ganache is not installed (scripts/install-deps.sh installs it with npm)");
    d = temp_dir();
    start_ganache(url, sizeof url, d);
    r = run_sh("node tests/node/scenario.js %s", url);
    cr_assert_eq(r.status, 0, "scenario: %s", r.err);
    sc = cJSON_Parse(r.out);
    run_free(&r);
    cr_assert_not_null(sc);
    token = jstr(sc, "token");
    j = sleuth_json("ingest eth --store %s/s --rpc %s --from 0 --to %d --json", d, url, (int)jint(sc, "latest"));
    cr_assert_eq(jint(j, "blocks_added"), jint(sc, "latest") + 1);
    cr_assert_eq(jint(j, "internal_transfers"), 2, "two forwarded payments");
    cr_assert_eq(jint(j, "token_transfers"), 4, "the mint and three transfers; the failing one is not a flow");
    cJSON_Delete(j);
    accs = cJSON_GetObjectItem(sc, "accounts");
    cJSON_ArrayForEach(it, accs) {
        cJSON *a, *b, *tk = NULL, *x;
        char b1[64], b2[64];
        const char *want_eth = jstr(it, "eth_delta"), *want_tok = jstr(it, "token");
        r = run_sleuth("address --store %s/s %s --json", d, it->string);
        if (r.status == 1 && !strcmp(want_eth, "0") && !strcmp(want_tok, "0")) { run_free(&r); continue; }
        cr_assert_eq(r.status, 0, "%s: %s", it->string, r.err);
        a = cJSON_Parse(r.out);
        run_free(&r);
        b = cJSON_GetObjectItem(a, "balances");
        cJSON_ArrayForEach(x, b)
            if (!strcasecmp(x->string, token)) tk = x;
        cr_assert_str_eq(amount(cJSON_GetObjectItem(b, "ETH"), b1), want_eth, "%s: ETH", it->string);
        cr_assert_str_eq(amount(tk, b2), want_tok, "%s: token", it->string);
        checked++;
        cJSON_Delete(a);
    }
    cr_assert_geq(checked, 7);
    /* the forwarded payment is an internal flow of the forwarder's tx */
    {
        cJSON *t = sleuth_json("address --store %s/s %s --json", d, jstr(sc, "target")), *txs = cJSON_GetObjectItem(t, "txs");
        cr_assert_eq(cJSON_GetArraySize(txs), 2);
        cJSON_Delete(t);
    }
    cJSON_Delete(sc);
}
