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
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define GANACHE "tests/node/node_modules/.bin/ganache"

static pid_t g_pid;

static void stop_ganache(void)
{
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        for (int i = 0; i < 50 && waitpid(g_pid, NULL, WNOHANG) == 0; i++) usleep(100000);
        kill(g_pid, SIGKILL);
        waitpid(g_pid, NULL, 0);
        g_pid = 0;
    }
}

static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t n = sizeof a;
    int s = socket(AF_INET, SOCK_STREAM, 0), port;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(s, (struct sockaddr *)&a, &n);
    port = ntohs(a.sin_port);
    close(s);
    return port;
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
    int port;
    char url[64], log[128];
    run_result r;
    cJSON *sc, *accs, *it, *j;
    const char *d, *token;
    int checked = 0;
    if (access(GANACHE, X_OK) != 0 || system("command -v node >/dev/null 2>&1") != 0)
        cr_skip_test("ganache is not installed (scripts/install-deps.sh installs it with npm)");
    port = free_port();
    d = temp_dir();
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/ganache.log", d);
    g_pid = fork();
    cr_assert_geq(g_pid, 0);
    if (g_pid == 0) {
        char p[16];
        FILE *f = freopen(log, "w", stdout);
        (void)f;
        dup2(1, 2);
        snprintf(p, sizeof p, "%d", port);
        execl(GANACHE, "ganache", "--host", "127.0.0.1", "--port", p, "--wallet.deterministic", "--logging.quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0;; i++) { /* wait until it answers */
        r = run_sh("curl -s -m 2 -H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}' %s", url);
        bool up = strstr(r.out, "\"result\"") != NULL;
        run_free(&r);
        if (up) break;
        cr_assert_lt(i, 120, "ganache did not start (see %s)", log);
        usleep(250000);
    }
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
