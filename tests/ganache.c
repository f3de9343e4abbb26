/* ganache.c — starting and stopping a real ganache for the tests (ganache.h). */
#include "ganache.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

bool ganache_available(void)
{
    return access(GANACHE, X_OK) == 0 && system("command -v node >/dev/null 2>&1") == 0;
}


static pid_t g_pid; /* ganache, 0 when not running */

void ganache_stop(void)
{
    if (g_pid > 0) stop_group(g_pid, 5000);
    g_pid = 0;
}

/* One JSON-RPC call through curl; the raw response (caller frees), "" when none came. */
char *ganache_rpc(const char *url, const char *method, const char *params)
{
    run_result r = run_sh("curl -s -m 5 -H 'Content-Type: application/json' -d "
                          "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}' %s", method, params, url);
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
void ganache_start(char *url, size_t n, const char *dir)
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
            char *out = ganache_rpc(url, "net_version", "[]");
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

