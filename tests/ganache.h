/* ganache.h — a real Ethereum JSON-RPC node for the tests: the npm package ganache
 * (installed by scripts/install-deps.sh into tests/node), started on a free 127.0.0.1 port
 * with deterministic accounts and instant mining, always stopped by ganache_stop (use it as
 * the test's .fini). Shared by test_eth_live.c and test_watch.c. */
#ifndef SLEUTH_TEST_GANACHE_H
#define SLEUTH_TEST_GANACHE_H

#include <stdbool.h>
#include <stddef.h>

#define GANACHE "tests/node/node_modules/.bin/ganache"

/* True when ganache and node are installed (else the test skips). */
bool ganache_available(void);
/* Starts ganache with its chain database in dir; url gets "http://127.0.0.1:PORT". */
void ganache_start(char *url, size_t n, const char *dir);
/* Stops it (a no-op when it is not running). */
void ganache_stop(void);
/* One JSON-RPC call through curl with params (JSON array text); the raw response (caller
 * frees), "" when none came. */
char *ganache_rpc(const char *url, const char *method, const char *params);

#endif
