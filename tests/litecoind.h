/* litecoind.h — a real `litecoind -regtest` for the tests that compare sleuth with a node
 * (test_litecoind.c, test_rollback.c): start and stop, JSON-RPC through litecoin-cli, and
 * reading the node's JSON.
 *
 * The node runs on 127.0.0.1 with free ports (started again on others if one was taken
 * meanwhile), its own RPC password and a fresh datadir under $TMPDIR; it is always stopped
 * (RPC `stop`, then SIGKILL after a timeout) by ltc_fini, and gets SIGKILL from the kernel if
 * the test process dies first. MWEB is kept from activating (-vbparams) so blocks stay in
 * Bitcoin's format; -txindex is on. Needs litecoind and litecoin-cli on PATH (or $LITECOIND /
 * $LITECOIN_CLI). */
#ifndef SLEUTH_TEST_LITECOIND_H
#define SLEUTH_TEST_LITECOIND_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ltc_node {
    char tmp[256];          /* everything lives here; removed by ltc_fini */
    char datadir[300];      /* tmp/node; its blocks are in datadir/regtest/blocks */
    char port_arg[32], rpcport_arg[32], rpcpass_arg[48], datadir_arg[PATH_MAX + 16];
    pid_t pid;              /* litecoind, 0 when not running */
} ltc_node;

extern ltc_node LTC;

/* Starts the node in a fresh datadir (call it in the test body: Criterion runs .fini only
 * after the body); returns when its RPC answers. */
void ltc_node_start(void);
/* Stops it (RPC stop, SIGKILL after 30 s), so every block is flushed and its blk files end. */
void ltc_node_stop(void);
/* .fini of every test that starts a node: stops it, removes LTC.tmp (unless $SLEUTH_KEEP_TMP). */
void ltc_fini(void);

/* Calls method with string params (NULL-terminated); fails the test when litecoin-cli fails.
 * wallet: talk to wallet "w". ltc_rpc_str: a string result (printed unquoted), caller frees;
 * ltc_rpc_json: a JSON result, caller cJSON_Delete's it. */
char *ltc_rpc_str(bool wallet, const char *method, ...);
cJSON *ltc_rpc_json(bool wallet, const char *method, ...);

/* Member k of o (asserted present); as a string; as a whole number. */
const cJSON *ltc_get(const cJSON *o, const char *k);
const char *ltc_gets(const cJSON *o, const char *k);
int64_t ltc_geti(const cJSON *o, const char *k);
/* A node amount in coins (8 decimals) to satoshi. */
int64_t ltc_sat(const cJSON *v);
/* The address of a node vout's scriptPubKey (0.21: "addresses":[..], 22+: "address"), or NULL. */
const char *ltc_vout_addr(const cJSON *vout);
/* The vout of txid paying addr (must exist; unconfirmed allowed). */
int ltc_vout_to(const char *txid, const char *addr);

/* createrawtransaction spending txid:vout to outs ({"addr":coins,...}), signed by wallet "w":
 * the hex (caller frees). Fails the test when the wallet cannot sign it. */
char *ltc_signed_tx(const char *txid, int vout, const char *outs);
/* Runs argv (no shell): exit status (-1: could not run / killed), stdout in *out and stderr in
 * *err (malloc'd, NUL-terminated; NULL allowed for either). */
int ltc_run(char **out, char **err, char *const argv[]);
/* A whole file (NUL-terminated, malloc'd); NULL when missing. *len gets the byte count. */
char *ltc_slurp(const char *path, size_t *len);

#endif
