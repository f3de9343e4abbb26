/* test_watch.c — the watcher against real nodes on 127.0.0.1 (suite "watch"):
 *   litecoind -regtest (tests/litecoind.c): `sleuth watch --once` ingests the chain, an
 *   address and an output are watched, a raw tx moves the output → one alert per watch;
 *   the watcher is killed (kill -9 through $SLEUTH_TEST_KILL_AT) after the store commit and
 *   before the alert commit of that block and restarted; a reorg (invalidateblock, a longer
 *   branch without the tx) → one retraction per alert, with a kill between the retraction
 *   commit and the store rollback; the tx re-mined in another block → one new alert each,
 *   with a kill after their commit and before they are printed and POSTed.
 *   Every alert and retraction must arrive exactly once: in watch.db (`sleuth alerts`), in
 *   the JSON lines of all the runs together, and at a webhook receiver run here (a thread
 *   with a socket) that checks the HMAC-SHA256 signature of every POST.
 *   litecoind again, with an incident tagged on the node's own chain: its taint set follows
 *   the funds hop by hop, the thief's cluster and a payment to a tagged exchange alert too,
 *   and a reorg takes the last hop back out of the set.
 *   ganache (tests/ganache.c): a watched account sends ETH → one alert (one below the
 *   minimum: none); evm_revert and new blocks replace the block → one retraction.
 *   A generated world (sleuth gen world --recipe dmm): the taint set of its incident.
 *   The gaps issue 13 left: alerts raised without a webhook or while it was down are
 *   delivered by a later run, once each and in order (ganache, the receiver answering 503
 *   once); --confirmations per chain (litecoind at 3, ganache at 1, in one run); `alerts
 *   --since` times (sl_time_parse exactly); ERC-20 transfers on ganache alert address
 *   watches (per asset, --min-amount in the asset's unit) and move an incident's taint set;
 *   a schema-1 watch.db is upgraded; Tron watchlists are judged by `sleuth ingest tron`.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ganache.h"
#include "helpers.h"
#include "litecoind.h"
#include "sleuth/eth.h"
#include "sleuth/util.h"

#define SECRET "test-secret-0123456789"

/* ---------------- the webhook receiver ---------------- */

typedef struct hook {
    int fd, port;
    pthread_t th;
    pthread_mutex_t mu;
    char keys[64][400];         /* in the order they first arrived */
    int n, posts, bad;          /* distinct keys, POSTs, POSTs with a wrong signature or key */
    int fail_next, failed;      /* answer 503 to the next fail_next POSTs; how many were */
    volatile int stop;
} hook;

static hook H;

/* Reads one HTTP request from c: headers into hdr, body into body (NUL-terminated). */
static bool read_request(int c, char *buf, size_t cap, char **body)
{
    size_t n = 0;
    char *end = NULL;
    long len = -1;
    while (n + 1 < cap) {
        ssize_t r = recv(c, buf + n, cap - 1 - n, 0);
        if (r <= 0) return false;
        n += (size_t)r;
        buf[n] = 0;
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (!cl) return false;
            len = strtol(cl + 17, NULL, 10);
        }
        if (end && (long)(n - (size_t)(end + 4 - buf)) >= len) {
            *body = end + 4;
            return true;
        }
    }
    return false;
}

/* The value of header name (without the colon) in the request, copied into out. */
static bool header(const char *req, const char *name, char *out, size_t cap)
{
    char pat[80];
    const char *p, *e;
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    if (!(p = strcasestr(req, pat))) return false;
    p += strlen(pat);
    while (*p == ' ') p++;
    e = strstr(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(e - p), p);
    return true;
}

static void *hook_main(void *arg)
{
    (void)arg;
    while (!H.stop) {
        struct pollfd p = {H.fd, POLLIN, 0};
        static char req[1 << 16];
        char *body, sig[200], key[400], want[80];
        unsigned char mac[32];
        unsigned int ml = 0;
        int c;
        if (poll(&p, 1, 100) <= 0) continue;
        if ((c = accept(H.fd, NULL, NULL)) < 0) continue;
        if (read_request(c, req, sizeof req, &body)) {
            bool ok = header(req, "X-Sleuth-Signature", sig, sizeof sig) &&
                      header(req, "X-Sleuth-Idempotency-Key", key, sizeof key);
            if (ok) {
                HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body, strlen(body), mac, &ml);
                strcpy(want, "sha256=");
                for (unsigned i = 0; i < 32; i++) sprintf(want + 7 + 2 * i, "%02x", mac[i]);
                cJSON *j = cJSON_Parse(body);
                const cJSON *k = cJSON_GetObjectItem(j, "key");
                ok = !strcmp(want, sig) && cJSON_IsString(k) && !strcmp(k->valuestring, key);
                cJSON_Delete(j);
            }
            bool refuse;
            pthread_mutex_lock(&H.mu);
            refuse = H.fail_next > 0;
            if (refuse) H.fail_next--, H.failed++;
            else H.posts++;
            if (refuse) {
            } else if (!ok) {
                H.bad++;
            } else {
                int i;
                for (i = 0; i < H.n && strcmp(H.keys[i], key); i++) {}
                if (i == H.n && H.n < 64) snprintf(H.keys[H.n++], sizeof H.keys[0], "%s", key);
            }
            pthread_mutex_unlock(&H.mu);
            {
                const char *ans = refuse ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                         : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                if (send(c, ans, strlen(ans), 0) < 0) {}
            }
        }
        close(c);
    }
    return NULL;
}

static void hook_start(void)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&H, 0, sizeof H);
    pthread_mutex_init(&H.mu, NULL);
    H.fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(H.fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(bind(H.fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(H.fd, 16) == 0, "webhook socket: %s", strerror(errno));
    cr_assert(getsockname(H.fd, (struct sockaddr *)&a, &al) == 0);
    H.port = ntohs(a.sin_port);
    cr_assert(pthread_create(&H.th, NULL, hook_main, NULL) == 0);
}

static void hook_stop(void)
{
    if (!H.fd) return;
    H.stop = 1;
    pthread_join(H.th, NULL);
    close(H.fd);
    H.fd = 0;
}

static void fini_all(void)
{
    hook_stop();
    ltc_fini();
}

/* ---------------- running the watcher ---------------- */

/* Every JSON line every run printed. */
static char *g_lines;
static size_t g_len;

/* `sleuth watch --once` with env (e.g. "SLEUTH_TEST_KILL_AT=x"); returns the exit status and
 * keeps its stdout lines. */
static int watch_once(const char *store, const char *rpc, const char *env)
{
    run_result r = run_sh("%s SLEUTH_WEBHOOK_SECRET=%s %s watch --store %s --btc-rpc %s --webhook http://127.0.0.1:%d/hook "
                          "--once --quiet",
                          env ? env : "", SECRET, sleuth_bin(), store, rpc, H.port);
    int st = r.status;
    size_t n = strlen(r.out);
    g_lines = realloc(g_lines, g_len + n + 1);
    memcpy(g_lines + g_len, r.out, n + 1);
    g_len += n;
    if (st != 0 && st != 137) cr_log_error("watch: %s", r.err);
    run_free(&r);
    return st;
}

/* Counts the JSON lines of type (alert, retraction); asserts every key appears once. */
static int lines_of(const char *type)
{
    int n = 0;
    char *copy = strdup(g_lines ? g_lines : ""), *save = NULL;
    char *keys[128];
    int nk = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(l);
        cr_assert_not_null(j, "not JSON: %s", l);
        for (int i = 0; i < nk; i++) cr_assert_str_neq(keys[i], jstr(j, "key"), "key printed twice: %s", keys[i]);
        if (nk < 128) keys[nk++] = strdup(jstr(j, "key"));
        if (!strcmp(jstr(j, "type"), type)) n++;
        cJSON_Delete(j);
    }
    for (int i = 0; i < nk; i++) free(keys[i]);
    free(copy);
    return n;
}

/* How many alerts of type `sleuth alerts --json` lists. */
static int stored_of(const char *store, const char *type)
{
    cJSON *j = sleuth_json("alerts --store %s --json", store), *a;
    int n = 0;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "alerts")) if (!strcmp(jstr(a, "type"), type)) n++;
    cJSON_Delete(j);
    return n;
}

/* The webhook has seen n distinct keys (waits, bounded: deliveries end before --once exits,
 * so this only covers scheduling). */
static void hook_expect(int n)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&H.mu);
        int k = H.n;
        pthread_mutex_unlock(&H.mu);
        if (k >= n) break;
        usleep(20000);
    }
    pthread_mutex_lock(&H.mu);
    cr_assert_eq(H.bad, 0, "a POST with a wrong signature or key");
    cr_assert_eq(H.n, n, "webhook: %d distinct alerts, want %d", H.n, n);
    cr_assert_eq(H.posts, n, "webhook: %d POSTs for %d alerts (a duplicate delivery)", H.posts, n);
    pthread_mutex_unlock(&H.mu);
}

static void assert_counts(const char *store, int alerts, int retractions)
{
    cr_assert_eq(lines_of("alert"), alerts, "alert lines");
    cr_assert_eq(lines_of("retraction"), retractions, "retraction lines");
    cr_assert_eq(stored_of(store, "alert"), alerts, "alerts in watch.db");
    cr_assert_eq(stored_of(store, "retraction"), retractions, "retractions in watch.db");
    hook_expect(alerts + retractions);
}

/* The node's RPC URL with its credentials. */
static void node_url(char *out, size_t cap)
{
    snprintf(out, cap, "http://sleuth:%.40s@127.0.0.1:%.10s", LTC.rpcpass_arg + strlen("-rpcpassword="),
             LTC.rpcport_arg + strlen("-rpcport="));
}

/* Sends a raw tx spending txid:vout (a wallet output) to outs ({"addr":coins,...}); its txid. */
static char *raw_spend(const char *txid, int vout, const char *outs)
{
    char *hex = ltc_signed_tx(txid, vout, outs), *id = ltc_rpc_str(false, "sendrawtransaction", hex, NULL);
    free(hex);
    return id;
}

/* A node with wallet "w", the webhook receiver, the store path (DIR/s) and the node's URL. */
static void node_setup(char *store, size_t scap, char *rpc, size_t rcap)
{
    snprintf(store, scap, "%s/s", temp_dir());
    ltc_node_start();
    hook_start();
    node_url(rpc, rcap);
    cJSON_Delete(ltc_rpc_json(false, "createwallet", "w", NULL));
}

Test(watch, litecoind_reorg_and_kill_exactly_once, .fini = fini_all, .timeout = 150)
{
    char rpc[200], store[300], outpoint[100], *a, *m, *b, *txid, *hash;
    cJSON *j, *u, *it;
    node_setup(store, sizeof store, rpc, sizeof rpc);
    a = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    m = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    b = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", a, NULL));
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "105", m, NULL));

    /* the chain so far, then the watches */
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    cr_assert_eq(g_len, 0, "no alert yet");
    j = sleuth_json("info --store %s --json", store);
    cJSON_Delete(j);
    u = ltc_rpc_json(true, "listunspent", "1", "9999999", NULL);
    outpoint[0] = 0;
    cJSON_ArrayForEach(it, u) if (!strcmp(ltc_gets(it, "address"), a))
        snprintf(outpoint, sizeof outpoint, "%s:%d", ltc_gets(it, "txid"), (int)ltc_geti(it, "vout"));
    cr_assert(outpoint[0], "the coinbase paid to a is spendable");
    cJSON_Delete(u);
    j = sleuth_json("watchlist add --store %s --address %s --label thief --json", store, a);
    cr_assert_eq(jint(j, "items"), 1);
    cJSON_Delete(j);
    j = sleuth_json("watchlist add --store %s --output %s --min-amount 1 --json", store, outpoint);
    cr_assert_str_eq(jstr(j, "kind"), "output");
    cJSON_Delete(j);
    j = sleuth_json("watchlist list --store %s --json", store);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "watchlist")), 2);
    cJSON_Delete(j);

    /* a raw tx moves exactly the watched output (50 LTC, paid to a) */
    {
        char outs[200], *colon = strchr(outpoint, ':');
        snprintf(outs, sizeof outs, "{\"%s\":49.999}", b);
        *colon = 0;
        txid = raw_spend(outpoint, atoi(colon + 1), outs);
        *colon = ':';
    }
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    hash = ltc_rpc_str(false, "getbestblockhash", NULL);

    /* killed after the store commit, then before the alert commit, then a clean run */
    cr_assert_eq(watch_once(store, rpc, "SLEUTH_TEST_KILL_AT=watch-after-store-commit"), 137);
    cr_assert_eq(watch_once(store, rpc, "SLEUTH_TEST_KILL_AT=watch-before-alert-commit"), 137);
    cr_assert_eq(g_len, 0, "nothing printed before the commit");
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 2, 0);
    cr_assert(strstr(g_lines, txid) && strstr(g_lines, hash), "the alerts name the tx and its block");
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 2, 0);

    /* reorg: the block goes, a longer branch without the tx comes; killed after the
     * retraction commit, before the store's rollback */
    free(ltc_rpc_str(false, "invalidateblock", hash, NULL));
    cJSON_Delete(ltc_rpc_json(false, "generateblock", m, "[]", NULL));
    cJSON_Delete(ltc_rpc_json(false, "generateblock", m, "[]", NULL));
    cr_assert_eq(watch_once(store, rpc, "SLEUTH_TEST_KILL_AT=watch-after-retract-commit"), 137);
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 2, 2);
    {
        /* the store holds the node's branch: its tip hash */
        char *tip = ltc_rpc_str(false, "getbestblockhash", NULL);
        j = sleuth_json("block --store %s %s --json", store, tip);
        cJSON_Delete(j);
        free(tip);
    }

    /* the tx (back in the mempool) is mined in a new block: the event recurs under a new
     * block hash, killed once more in the middle */
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    cr_assert_eq(watch_once(store, rpc, "SLEUTH_TEST_KILL_AT=watch-after-alert-commit"), 137);
    cr_assert_eq(stored_of(store, "alert"), 4, "committed before the kill");
    cr_assert_eq(lines_of("alert"), 2, "but not printed");
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 4, 2);
    {
        char *h2 = ltc_rpc_str(false, "getbestblockhash", NULL);
        cr_assert_str_neq(h2, hash);
        cr_assert(strstr(g_lines, h2), "the new alerts name the new block");
        free(h2);
    }
    /* acknowledging */
    j = sleuth_json("alerts --store %s --ack 1 --json", store);
    cJSON_Delete(j);
    j = sleuth_json("alerts --store %s --since-id 0 --limit 1 --json", store);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 1);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "alerts"), 0), "acked")));
    cJSON_Delete(j);
    free(a), free(m), free(b), free(txid), free(hash);
    free(g_lines);
    g_lines = NULL, g_len = 0;
}

Test(watch, watchlist_usage_errors)
{
    static const struct { int status; const char *args; } cases[] = {
        {2, "watchlist add --store %s/s --output nothex:1"},
        {2, "watchlist add --store %s/s --address 0x12 --json"},
        {2, "watchlist add --store %s/s --address 0x52908400098527886E0F7030069857D2E4169EE7 --min-amount 1.5x"},
        {1, "watchlist remove --store %s/s 7"},          /* no such entry */
        {2, "watch --store %s/s"},                        /* nothing to follow */
        {1, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --once --quiet"}, /* unreachable node */
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations btc=0"},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations nochain=3"},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations btc="},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations 3,"},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations 10001"},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --confirmations tron=2"},
        {2, "watch --store %s/s --btc-rpc http://127.0.0.1:1 --webhook-retries x"},
        {2, "watch --store %s/s --eth-rpc http://127.0.0.1:1 --eth-chain tron --once"},
        {2, "watchlist add --store %s/s --address 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 --asset USDT"},
        {2, "watchlist add --store %s/s --incident x --asset USDT"},
        {2, "watchlist add --store %s/s --output 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b:0 --asset ETH"},
    };
    const char *d = temp_dir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[300];
        run_result r;
        snprintf(args, sizeof args, cases[i].args, d);
        r = run_sleuth("%s", args);
        cr_assert_eq(r.status, cases[i].status, "%s: status %d: %s", args, r.status, r.err);
        if (i == 5) cr_assert(strstr(r.err, "127.0.0.1:1"), "the message names the node: %s", r.err);
        run_free(&r);
    }
}

/* The "result" of a ganache call, as text (caller frees). */
static char *g_result(const char *url, const char *method, const char *params)
{
    char *raw = ganache_rpc(url, method, params), *out;
    cJSON *j = cJSON_Parse(raw), *r = cJSON_GetObjectItem(j, "result");
    cr_assert(r != NULL, "%s: %s", method, raw);
    out = cJSON_IsString(r) ? strdup(r->valuestring) : cJSON_PrintUnformatted(r);
    cJSON_Delete(j);
    free(raw);
    return out;
}

static int eth_watch_once(const char *store, const char *url, char **lines)
{
    run_result r = run_sleuth("watch --store %s --eth-rpc %s --once --quiet", store, url);
    int st = r.status;
    if (st) cr_log_error("watch: %s", r.err);
    *lines = r.out;
    free(r.err);
    return st;
}

Test(watch, ganache_move_and_revert, .fini = ganache_stop, .timeout = 150)
{
    char url[64], store[300], p[400], *accs, *snap, *tx, *lines;
    cJSON *a, *j;
    const char *d = temp_dir();
    if (!ganache_available()) cr_skip_test("ganache is not installed (scripts/install-deps.sh installs it with npm)");
    snprintf(store, sizeof store, "%s/s", d);
    ganache_start(url, sizeof url, d);
    accs = g_result(url, "eth_accounts", "[]");
    a = cJSON_Parse(accs);
    cr_assert_eq(eth_watch_once(store, url, &lines), 0);
    cr_assert_str_eq(lines, "");
    free(lines);
    j = sleuth_json("watchlist add --store %s --address %s --min-amount 0.5 --json", store,
                    cJSON_GetArrayItem(a, 0)->valuestring);
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cJSON_Delete(j);
    snap = g_result(url, "evm_snapshot", "[]");
    /* 1 ETH from the watched account, and 0.1 ETH (below the minimum: no alert) */
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0xde0b6b3a7640000\"}]",
             cJSON_GetArrayItem(a, 0)->valuestring, cJSON_GetArrayItem(a, 1)->valuestring);
    tx = g_result(url, "eth_sendTransaction", p);
    snprintf(p, sizeof p, "[{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"0x16345785d8a0000\"}]",
             cJSON_GetArrayItem(a, 0)->valuestring, cJSON_GetArrayItem(a, 1)->valuestring);
    free(g_result(url, "eth_sendTransaction", p));
    cr_assert_eq(eth_watch_once(store, url, &lines), 0);
    j = cJSON_Parse(lines);
    cr_assert_not_null(j, "one JSON line: %s", lines);
    cr_assert_str_eq(jstr(j, "type"), "alert");
    cr_assert_str_eq(jstr(j, "tx"), tx);
    cr_assert_str_eq(jstr(j, "amount"), "1000000000000000000");
    cr_assert_eq(strchr(lines, '\n'), lines + strlen(lines) - 1, "exactly one line: %s", lines);
    cJSON_Delete(j);
    free(lines);
    /* the blocks of both payments are replaced by two empty ones: a reorg */
    snprintf(p, sizeof p, "[\"%s\"]", snap);
    free(g_result(url, "evm_revert", p));
    free(g_result(url, "evm_mine", "[]"));
    free(g_result(url, "evm_mine", "[]"));
    free(g_result(url, "evm_mine", "[]"));
    cr_assert_eq(eth_watch_once(store, url, &lines), 0);
    j = cJSON_Parse(lines);
    cr_assert_not_null(j, "one JSON line: %s", lines);
    cr_assert_str_eq(jstr(j, "type"), "retraction");
    cr_assert_str_eq(jstr(j, "tx"), tx);
    cr_assert_eq(strchr(lines, '\n'), lines + strlen(lines) - 1, "exactly one line: %s", lines);
    cJSON_Delete(j);
    free(lines);
    cr_assert_eq(eth_watch_once(store, url, &lines), 0);
    cr_assert_str_eq(lines, "", "nothing more");
    free(lines);
    cJSON_Delete(a);
    free(accs), free(snap), free(tx);
}

/* How many "held" entries of `incident report --json` are in the chain's own coin with at
 * least min_btc satoshi (Bitcoin) or min_eth wei (Ethereum, 1e18 scale in hundredths). */
static int held_of(const cJSON *rep, const char *chain, double min)
{
    const cJSON *h;
    int n = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(rep, "held")) {
        const char *c = jstr(h, "chain"), *asset = jstr(h, "asset");
        double amount = cJSON_GetNumberValue(cJSON_GetObjectItem(h, "amount"));
        if (cJSON_IsString(cJSON_GetObjectItem(h, "amount"))) amount = strtod(jstr(h, "amount"), NULL);
        if ((chain && strcmp(c, chain)) || (strcmp(asset, "BTC") && strcmp(asset, "ETH"))) continue;
        if (amount >= (strcmp(asset, "BTC") ? min * 1e18 : min * 1e8)) n++;
    }
    return n;
}

/* The taint set of an incident is what its report says is still held (the report and the
 * watch both trace the theft as `sleuth detect` does, through the THORChain swap to
 * Ethereum); --min-amount and --chain narrow it. */
Test(watch, incident_taint_set_is_what_the_report_says_is_held, .timeout = 120)
{
    const char *d = gen_world_store("dmm", 1, 100);
    run_result r = run_sleuth("tags import --store %s/s %s/w/tags/world.tagpack.yaml %s/w/tags/incident.tagpack.yaml "
                              "%s/w/incidents.yaml", d, d, d, d);
    cJSON *rep, *j;
    int all, btc;
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    rep = sleuth_json("incident report --store %s/s world-dmm-1 --json", d);
    all = held_of(rep, NULL, 0);
    btc = held_of(rep, "btc", 0);
    cr_assert(btc > 0 && all > btc, "the loot is held on both chains (%d, %d)", btc, all);
    j = sleuth_json("watchlist add --store %s/s --incident world-dmm-1 --json", d);
    cr_assert_eq(jint(j, "items"), (uint64_t)all);
    cr_assert_str_eq(jstr(j, "policy"), "haircut");
    cJSON_Delete(j);
    j = sleuth_json("watchlist add --store %s/s --incident world-dmm-1 --chain btc --min-amount 0.1 --json", d);
    cr_assert_eq(jint(j, "items"), (uint64_t)held_of(rep, "btc", 0.1));
    cJSON_Delete(j);
    j = sleuth_json("watchlist add --store %s/s --incident world-dmm-1 --min-amount 0.1 --json", d);
    cr_assert_eq(jint(j, "items"), (uint64_t)held_of(rep, NULL, 0.1));
    cJSON_Delete(j);
    r = run_sleuth("watchlist add --store %s/s --incident no-such-incident", d);
    cr_assert_eq(r.status, 1, "%s", r.err);
    run_free(&r);
    cJSON_Delete(rep);
}

/* Imports into the store an incident `id` on `chain` (its record in DIR/incidents.yaml, the
 * loot `amount` of the coin `net`) with the TagPack tags `tags` (YAML list items) of network
 * `net` in DIR/inc.tagpack.yaml. */
static void incident_import(const char *store, const char *dir, const char *id, const char *net, const char *chain,
                            const char *amount, const char *tags)
{
    char path[400];
    FILE *f;
    snprintf(path, sizeof path, "%s/inc.tagpack.yaml", dir);
    cr_assert((f = fopen(path, "w")) != NULL);
    fprintf(f, "title: '%s'\ncreator: 'test_watch'\nis_public: true\nlastmod: 2026-01-01\nnetwork: '%s'\n"
               "currency: '%s'\nsource: 'test'\nconfidence: 'forensic'\ntags:\n%s", id, net, net, tags);
    fclose(f);
    snprintf(path, sizeof path, "%s/incidents.yaml", dir);
    cr_assert((f = fopen(path, "w")) != NULL);
    fprintf(f, "incidents:\n  - id: %s\n    name: \"Test theft\"\n    date: \"2026-01-01\"\n"
               "    victim: \"test\"\n    chains: [%s]\n    stolen:\n      - {asset: %s, amount: \"%s\"}\n"
               "    sources: [\"test_watch\"]\n", id, chain, net, amount);
    fclose(f);
    expect_ok(run_sleuth("tags import --store %s %s/inc.tagpack.yaml %s/incidents.yaml", store, dir, dir));
}

/* Items of watch entry id (`watchlist list --json`). */
static uint64_t items_of(const char *store, int id)
{
    cJSON *j = sleuth_json("watchlist list --store %s --json", store), *x;
    uint64_t n = UINT64_MAX;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "watchlist")) if ((int)jint(x, "id") == id) n = jint(x, "items");
    cJSON_Delete(j);
    return n;
}

/* An incident on the node's own chain (a tag pack naming its theft tx): the taint set
 * follows the funds hop by hop as blocks arrive, and a reorg takes a hop back; the thief's
 * cluster is watched too, and a payment to a tagged exchange raises service alerts. */
Test(watch, litecoind_incident_set_follows_the_funds, .fini = fini_all, .timeout = 150)
{
    char rpc[200], store[300], path[400], outs[300], *thief, *m, *b, *c, *dd, *theft, *hop1, *hop2, *hash;
    const char *d = temp_dir();
    cJSON *j;
    run_result r;
    node_setup(store, sizeof store, rpc, sizeof rpc);
    thief = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    m = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    b = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    c = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    dd = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "101", m, NULL));
    theft = ltc_rpc_str(true, "sendtoaddress", thief, "20", NULL);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    cr_assert_eq(watch_once(store, rpc, NULL), 0);

    /* the incident: its theft tx tagged, its record */
    snprintf(path, sizeof path, "- tx_hash: '%s'\n  label: 'theft'\n  category: 'perpetrator'\n  abuse: 'service_hack'\n"
                                "  context: '{\"incident\": \"ltc-theft-1\", \"role\": \"theft_tx\"}'\n"
                                "- address: '%s'\n  label: 'Exchange X'\n  category: 'exchange'\n", theft, c);
    incident_import(store, d, "ltc-theft-1", "BTC", "btc", "20", path);
    j = sleuth_json("watchlist add --store %s --incident ltc-theft-1 --min-amount 1 --json", store);
    /* the 20 LTC to the thief and the sender's change: every output of the theft tx */
    cr_assert_eq(jint(j, "items"), 2);
    cJSON_Delete(j);

    /* the thief's cluster (one address here) is watched too */
    r = run_sleuth("cluster build --store %s --quiet", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("cluster show --store %s %s --json", store, thief);
    snprintf(path, sizeof path, "btc:%llu", (unsigned long long)jint(j, "id"));
    cJSON_Delete(j);
    cJSON_Delete(sleuth_json("watchlist add --store %s --cluster %s --json", store, path));

    /* hop 1: the thief splits the 20 LTC: 12 + 7.99 (to c, tagged an exchange), both tainted
     * whole (one input): a move of the set and of the cluster, and each reached a service */
    snprintf(outs, sizeof outs, "{\"%s\":12,\"%s\":7.99}", b, c);
    hop1 = raw_spend(theft, ltc_vout_to(theft, thief), outs);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 4, 0);
    cr_assert(strstr(g_lines, hop1), "the alerts name the moving tx");
    cr_assert(strstr(g_lines, "\"event\":\"service\"") && strstr(g_lines, "\"label\":\"Exchange X\""),
              "the payment to the exchange: %s", g_lines);
    cr_assert(strstr(g_lines, "\"kind\":\"cluster\""), "the cluster's funds moved: %s", g_lines);
    cr_assert_eq(items_of(store, 1), 4, "the two new outputs joined the set");

    /* hop 2: the 12 move on: the set followed them, so this alerts too */
    snprintf(outs, sizeof outs, "{\"%s\":11.99}", dd);
    hop2 = raw_spend(hop1, ltc_vout_to(hop1, b), outs);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    hash = ltc_rpc_str(false, "getbestblockhash", NULL);
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 5, 0);
    cr_assert(strstr(g_lines, hop2) && strstr(g_lines, "\"tainted\":\"1200000000\""), "hop 2 moved 12 tainted LTC: %s", g_lines);
    cr_assert_eq(items_of(store, 1), 5);

    /* a reorg without hop 2: retracted, and its output leaves the set again */
    free(ltc_rpc_str(false, "invalidateblock", hash, NULL));
    cJSON_Delete(ltc_rpc_json(false, "generateblock", m, "[]", NULL));
    cJSON_Delete(ltc_rpc_json(false, "generateblock", m, "[]", NULL));
    cr_assert_eq(watch_once(store, rpc, NULL), 0);
    assert_counts(store, 5, 1);
    cr_assert_eq(items_of(store, 1), 4, "hop 2's output left the set with its block");
    free(thief), free(m), free(b), free(c), free(dd), free(theft), free(hop1), free(hop2), free(hash);
    free(g_lines);
    g_lines = NULL, g_len = 0;
}

/* ---------------- issue 13's gaps: queued alerts, per-chain depths, times, tokens ---------------- */

/* `sleuth watch --once --quiet` with the rest of the arguments (a shell fragment, after
 * env, e.g. "SLEUTH_WEBHOOK_SECRET=x"); keeps its JSON lines in g_lines and its stderr. */
static int watch_run(char **err, const char *env, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int watch_run(char **err, const char *env, const char *fmt, ...)
{
    char args[1500];
    va_list ap;
    run_result r;
    size_t n;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    r = run_sh("%s %s watch %s --once --quiet", env ? env : "", sleuth_bin(), args);
    n = strlen(r.out);
    g_lines = realloc(g_lines, g_len + n + 1);
    memcpy(g_lines + g_len, r.out, n + 1);
    g_len += n;
    if (r.status) cr_log_error("watch %s: %s", args, r.err);
    if (err) *err = strdup(r.err);
    n = (size_t)r.status;
    run_free(&r);
    return (int)n;
}

/* The JSON lines printed from offset `from` of g_lines on, as an array (caller frees). */
static cJSON *lines_since(size_t from)
{
    cJSON *arr = cJSON_CreateArray();
    char *copy = strdup(g_lines ? g_lines + from : ""), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(l);
        cr_assert_not_null(j, "not JSON: %s", l);
        cJSON_AddItemToArray(arr, j);
    }
    free(copy);
    return arr;
}

static void lines_reset(void)
{
    free(g_lines);
    g_lines = NULL, g_len = 0;
}

static void fini_eth(void)
{
    hook_stop();
    ganache_stop();
}

static void fini_both(void)
{
    hook_stop();
    ganache_stop();
    ltc_fini();
}

/* ganache started in dir (the test is skipped when it is not installed), the store path
 * dir/s, and the node's accounts (caller cJSON_Delete's). */
static cJSON *g_start(const char *dir, char url[64], char store[300])
{
    char *accs;
    cJSON *a;
    if (!ganache_available()) cr_skip_test("ganache is not installed (scripts/install-deps.sh installs it with npm)");
    snprintf(store, 300, "%s/s", dir);
    ganache_start(url, 64, dir);
    accs = g_result(url, "eth_accounts", "[]");
    a = cJSON_Parse(accs);
    free(accs);
    cr_assert_not_null(a);
    return a;
}

/* eth_sendTransaction of the JSON object text tx (mined at once); its hash (caller frees). */
static char *g_send(const char *url, const char *tx)
{
    char p[1200];
    snprintf(p, sizeof p, "[%s]", tx);
    return g_result(url, "eth_sendTransaction", p);
}

/* A payment of wei (hex, 0x...) from account `from` to `to`; its hash. */
static char *g_pay(const char *url, const char *from, const char *to, const char *wei)
{
    char tx[300];
    snprintf(tx, sizeof tx, "{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"%s\"}", from, to, wei);
    return g_send(url, tx);
}

/* How many alerts `sleuth alerts --since SINCE --json` lists (the exit status must be 0). */
static int alerts_since(const char *store, const char *since)
{
    cJSON *j = sleuth_json("alerts --store %s --since '%s' --json", store, since);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts"));
    cJSON_Delete(j);
    return n;
}

/* Alerts raised while no webhook was given, and while the webhook was down past its
 * retries, are queued in watch.db and delivered by the next run with --webhook: each once,
 * signed, in the order they were raised (a retraction after its alert); a 503 is retried
 * within the run; a further run sends nothing again. `alerts --since` reads the times. */
Test(watch, queued_alerts_are_delivered_once_in_order, .fini = fini_eth, .timeout = 150)
{
    char url[64], store[300], p[200], *snap, *tx1, *tx2, *tx3, *err;
    const char *a0, *a1;
    cJSON *a = g_start(temp_dir(), url, store), *l;
    int down;
    a0 = cJSON_GetArrayItem(a, 0)->valuestring, a1 = cJSON_GetArrayItem(a, 1)->valuestring;
    lines_reset();
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    cJSON_Delete(sleuth_json("watchlist add --store %s --address %s --min-amount 0.5 --json", store, a0));

    /* no webhook: an alert, a second one, and the second's retraction (a reorg) */
    tx1 = g_pay(url, a0, a1, "0xde0b6b3a7640000");
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    snap = g_result(url, "evm_snapshot", "[]");
    tx2 = g_pay(url, a0, a1, "0xde0b6b3a7640000");
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    snprintf(p, sizeof p, "[\"%s\"]", snap);
    free(g_result(url, "evm_revert", p));
    for (int i = 0; i < 3; i++) free(g_result(url, "evm_mine", "[]"));
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    l = lines_since(0);
    cr_assert_eq(cJSON_GetArraySize(l), 3, "alert, alert, retraction: %s", g_lines);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "tx"), tx1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 1), "tx"), tx2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 2), "type"), "retraction");

    /* the webhook is down (nothing listens on its port) and no retry is allowed: all stay queued */
    down = free_port();
    cr_assert_eq(watch_run(&err, "SLEUTH_WEBHOOK_SECRET=" SECRET,
                           "--store %s --eth-rpc %s --webhook http://127.0.0.1:%d/hook --webhook-retries 0", store, url, down), 0);
    cr_assert(strstr(err, "3 alerts not delivered yet"), "says what stays queued: %s", err);
    free(err);

    /* up, but its first answer is a 503: retried in the run; each alert arrives once, in order */
    hook_start();
    H.fail_next = 1;
    cr_assert_eq(watch_run(NULL, "SLEUTH_WEBHOOK_SECRET=" SECRET,
                           "--store %s --eth-rpc %s --webhook http://127.0.0.1:%d/hook", store, url, H.port), 0);
    cr_assert_eq(H.failed, 1, "the 503");
    hook_expect(3);
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(H.keys[i], jstr(cJSON_GetArrayItem(l, i), "key"), "delivery %d in the order raised", i);
    cr_assert(!strncmp(H.keys[2], "retract:", 8) && !strcmp(H.keys[2] + 8, H.keys[1]), "the retraction after its alert");
    /* a further run sends nothing again */
    cr_assert_eq(watch_run(NULL, "SLEUTH_WEBHOOK_SECRET=" SECRET,
                           "--store %s --eth-rpc %s --webhook http://127.0.0.1:%d/hook", store, url, H.port), 0);
    hook_expect(3);
    /* a new alert with the webhook up goes out in the run that raises it */
    tx3 = g_pay(url, a0, a1, "0xde0b6b3a7640000");
    cr_assert_eq(watch_run(NULL, "SLEUTH_WEBHOOK_SECRET=" SECRET,
                           "--store %s --eth-rpc %s --webhook http://127.0.0.1:%d/hook", store, url, H.port), 0);
    hook_expect(4);
    cr_assert(strstr(H.keys[3], tx3 + 2), "the new alert: %s", H.keys[3]);
    cJSON_Delete(l);

    /* --since: unix seconds, ISO-8601 (UTC or an offset), an age; a clear error otherwise */
    {
        cJSON *all = sleuth_json("alerts --store %s --json", store);
        time_t raised = (time_t)jint(cJSON_GetArrayItem(cJSON_GetObjectItem(all, "alerts"), 0), "raised"), later = raised + 3600;
        char iso[40], day[20], off[40], s[300];
        struct tm tm;
        cJSON_Delete(all);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&raised, &tm));
        strftime(day, sizeof day, "%Y-%m-%d", gmtime_r(&raised, &tm));
        later += 2 * 3600; /* the same instant + 1 h, written in UTC+2 */
        strftime(off, sizeof off, "%Y-%m-%dT%H:%M:%S+02:00", gmtime_r(&later, &tm));
        cr_assert_eq(alerts_since(store, iso), 4, "since the first alert's time: all 4 (%s)", iso);
        cr_assert_eq(alerts_since(store, day), 4, "since its day");
        cr_assert_eq(alerts_since(store, off), 0, "an hour later, as +02:00 (%s)", off);
        snprintf(s, sizeof s, "%lld", (long long)raised);
        cr_assert_eq(alerts_since(store, s), 4);
        snprintf(s, sizeof s, "%lld", (long long)raised + 3600);
        cr_assert_eq(alerts_since(store, s), 0);
        cr_assert_eq(alerts_since(store, "30m"), 4);
        cr_assert_eq(alerts_since(store, "7d"), 4);
        sleuth_fails(2, "not a time", "alerts --store %s --since yesterday", store);
        sleuth_fails(2, "not a time", "alerts --store %s --since 2026-02-30", store);
        sleuth_fails(2, "not a time", "alerts --store %s --since 5x", store);
        sleuth_fails(2, "not a time", "alerts --store %s --since 2026-12-08T25:00:00Z", store);
    }
    cJSON_Delete(a);
    free(snap), free(tx1), free(tx2), free(tx3);
    lines_reset();
}

/* sl_time_parse, the reader of every --since of the watcher (and of trace's TIME). */
Test(watch, time_parse_exact)
{
    uint64_t t = 0;
    cr_assert(sl_time_parse("2026-12-08", 0, false, &t) && t == 1796688000u);
    cr_assert(sl_time_parse("2026-12-08T05:00:00Z", 0, false, &t) && t == 1796706000u);
    cr_assert(sl_time_parse("2026-12-08T05:00Z", 0, false, &t) && t == 1796706000u);
    cr_assert(sl_time_parse("2026-12-08 05:00:00", 0, false, &t) && t == 1796706000u, "no zone: UTC");
    cr_assert(sl_time_parse("2026-12-08T07:00:00+02:00", 0, false, &t) && t == 1796706000u);
    cr_assert(sl_time_parse("2026-12-08T00:30:00.250-0430", 0, false, &t) && t == 1796706000u);
    cr_assert(sl_time_parse("2024-02-29T23:59:59Z", 0, false, &t) && t == 1709251199u, "a leap day");
    cr_assert(sl_time_parse("2000-03-01", 0, false, &t) && t == 951868800u);
    cr_assert(sl_time_parse("1796706000", 0, false, &t) && t == 1796706000u);
    cr_assert(sl_time_parse("24h", 1796706000, true, &t) && t == 1796706000u - 86400);
    cr_assert(sl_time_parse("30m", 1796706000, true, &t) && t == 1796706000u - 1800);
    cr_assert(sl_time_parse("7d", 1796706000, true, &t) && t == 1796706000u - 7 * 86400);
    cr_assert(sl_time_parse("2w", 1796706000, true, &t) && t == 1796706000u - 14 * 86400);
    cr_assert(!sl_time_parse("24h", 1796706000, false, &t), "ages only where asked for");
    cr_assert(!sl_time_parse("99999d", 1000, true, &t), "before 1970");
    static const char *const bad[] = {"", "2026-13-01", "2026-02-29", "2100-02-29", "2026-12-8", "2026-12-08T5:00Z",
                                      "2026-12-08T05:00:00+25:00", "2026-12-08T05:00:00Zjunk", "1969-12-31", "24x",
                                      "h", "-5", "2026-12-08T", "1e9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) cr_assert(!sl_time_parse(bad[i], 1796706000, true, &t), "'%s'", bad[i]);
}

/* --confirmations per chain: one run follows litecoind and ganache, Litecoin at depth 3 and
 * Ethereum at 1: the ETH payment alerts at once, the Litecoin spend only when its block
 * has 3 confirmations. The three spellings of the same depths are read alike. */
Test(watch, confirmations_per_chain, .fini = fini_both, .timeout = 180)
{
    char rpc[200], store[300], url[64], outpoint[100], outs[200], *a, *m, *b, *txid, *accs, *etx;
    const char *d;
    cJSON *u, *it, *acc, *l;
    size_t mark;
    if (!ganache_available()) cr_skip_test("ganache is not installed (scripts/install-deps.sh installs it with npm)");
    node_setup(store, sizeof store, rpc, sizeof rpc);
    d = temp_dir();
    ganache_start(url, sizeof url, d);
    accs = g_result(url, "eth_accounts", "[]");
    acc = cJSON_Parse(accs);
    a = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    m = ltc_rpc_str(true, "getnewaddress", "", "legacy", NULL);
    b = ltc_rpc_str(true, "getnewaddress", "", "bech32", NULL);
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", a, NULL));
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "105", m, NULL));
    lines_reset();
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --btc-rpc %s --eth-rpc %s --confirmations btc=3,ethereum=1", store, rpc, url), 0);
    cr_assert_eq(g_len, 0);
    u = ltc_rpc_json(true, "listunspent", "1", "9999999", NULL);
    outpoint[0] = 0;
    cJSON_ArrayForEach(it, u) if (!strcmp(ltc_gets(it, "address"), a))
        snprintf(outpoint, sizeof outpoint, "%s:%d", ltc_gets(it, "txid"), (int)ltc_geti(it, "vout"));
    cJSON_Delete(u);
    cr_assert(outpoint[0]);
    cJSON_Delete(sleuth_json("watchlist add --store %s --output %s --json", store, outpoint));
    cJSON_Delete(sleuth_json("watchlist add --store %s --address %s --min-amount 0.5 --json", store,
                             cJSON_GetArrayItem(acc, 0)->valuestring));
    {
        char *colon = strchr(outpoint, ':');
        snprintf(outs, sizeof outs, "{\"%s\":49.999}", b);
        *colon = 0;
        txid = raw_spend(outpoint, atoi(colon + 1), outs);
    }
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    etx = g_pay(url, cJSON_GetArrayItem(acc, 0)->valuestring, cJSON_GetArrayItem(acc, 1)->valuestring, "0xde0b6b3a7640000");

    /* 1 confirmation of each: only Ethereum's alert */
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --btc-rpc %s --eth-rpc %s --confirmations 3 --confirmations ethereum=1",
                           store, rpc, url), 0);
    l = lines_since(0);
    cr_assert_eq(cJSON_GetArraySize(l), 1, "%s", g_lines);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "chain"), "ethereum");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "tx"), etx);
    cJSON_Delete(l);
    /* 2 confirmations of the Litecoin block: nothing yet */
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    mark = g_len;
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --btc-rpc %s --eth-rpc %s --confirmations ethereum=1,3", store, rpc, url), 0);
    cr_assert_eq(g_len, mark, "2 of 3 confirmations: %s", g_lines + mark);
    /* 3: its alert */
    cJSON_Delete(ltc_rpc_json(false, "generatetoaddress", "1", m, NULL));
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --btc-rpc %s --eth-rpc %s --confirmations btc=3 --confirmations ethereum=1",
                           store, rpc, url), 0);
    l = lines_since(mark);
    cr_assert_eq(cJSON_GetArraySize(l), 1, "%s", g_lines + mark);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "chain"), "btc");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "tx"), txid);
    cJSON_Delete(l);
    /* a depth for a chain the run does not follow */
    sleuth_fails(2, "bsc is not followed", "watch --store %s --eth-rpc %s --confirmations bsc=3 --once --quiet", store, url);
    cJSON_Delete(acc);
    free(accs), free(a), free(m), free(b), free(txid), free(etx);
    lines_reset();
}

/* The hand-assembled ERC-20 of tests/node/scenario.js (its "const ERC20 = '0x...'"), read
 * from there so both live tests run the same contract (caller frees). */
static char *erc20_code(void)
{
    size_t len;
    char *js = ltc_slurp("tests/node/scenario.js", &len), *p, *q, *out;
    cr_assert_not_null(js);
    p = strstr(js, "const ERC20 = '");
    cr_assert_not_null(p, "scenario.js defines ERC20");
    p += strlen("const ERC20 = '");
    q = strchr(p, '\'');
    cr_assert_not_null(q);
    out = strndup(p, (size_t)(q - p));
    free(js);
    return out;
}

/* transfer(to, amount) of token tok from account `from`; the tx hash. */
static char *g_token(const char *url, const char *tok, const char *from, const char *to, unsigned amount)
{
    char tx[500];
    snprintf(tx, sizeof tx, "{\"from\":\"%s\",\"to\":\"%s\",\"gas\":\"0x100000\",\"data\":\"0xa9059cbb%024d%s%064x\"}", from,
             tok, 0, to + 2, amount);
    return g_send(url, tx);
}

/* Tokens on an account chain: an ERC-20 deployed on ganache. Address watches follow token
 * transfers (every asset, or the one --asset names with --min-amount in its unit), and an
 * incident's taint set held in the token follows it from address to address. Exactly the
 * expected alerts, each once. */
Test(watch, ganache_token_transfers, .fini = ganache_stop, .timeout = 150)
{
    char url[64], store[300], path[400], tok[43], *code, *h, *rc, *t1, *t2, *t5, *t6;
    const char *d = temp_dir(), *A, *B, *C, *X, *Y;
    cJSON *acc = g_start(d, url, store), *j, *l, *x;
    int per[5] = {0};
    A = cJSON_GetArrayItem(acc, 0)->valuestring, B = cJSON_GetArrayItem(acc, 1)->valuestring;
    C = cJSON_GetArrayItem(acc, 2)->valuestring, X = cJSON_GetArrayItem(acc, 3)->valuestring;
    Y = cJSON_GetArrayItem(acc, 4)->valuestring;
    code = erc20_code();
    {
        char tx[1000], p[100];
        snprintf(tx, sizeof tx, "{\"from\":\"%s\",\"gas\":\"0x100000\",\"data\":\"%s\"}", A, code);
        h = g_send(url, tx);
        snprintf(p, sizeof p, "[\"%s\"]", h);
        rc = g_result(url, "eth_getTransactionReceipt", p);
        j = cJSON_Parse(rc);
        snprintf(tok, sizeof tok, "%s", jstr(j, "contractAddress"));
        for (char *c = tok; *c; c++) *c = (char)tolower((unsigned char)*c);
        cJSON_Delete(j);
        free(h), free(rc);
    }
    free(g_token(url, tok, A, B, 1000));
    free(g_token(url, tok, A, X, 5000));
    lines_reset();
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);

    /* the incident: X holds its loot, 5000 units of the token */
    snprintf(path, sizeof path, "- address: '%s'\n  label: 'thief'\n  category: 'perpetrator'\n  abuse: 'service_hack'\n"
                                "  context: '{\"incident\": \"eth-token-theft\", \"role\": \"exploiter\"}'\n", X);
    incident_import(store, d, "eth-token-theft", "ETH", "ethereum", "1", path);

    /* 1: B in the token, at least 100 units (sleuth knows no decimals of it: base units) */
    j = sleuth_json("watchlist add --store %s --address %s --asset %s --min-amount 100 --json", store, B, tok);
    cr_assert_str_eq(jstr(j, "asset"), tok);
    cJSON_Delete(j);
    /* 2: B in every asset; the minimum bounds ETH only */
    cJSON_Delete(sleuth_json("watchlist add --store %s --address %s --min-amount 0.5 --json", store, B));
    /* 3: A in ETH only (its gas fees stay below the minimum) */
    j = sleuth_json("watchlist add --store %s --address %s --asset ETH --min-amount 0.01 --json", store, A);
    cr_assert_str_eq(jstr(j, "asset"), "native");
    cJSON_Delete(j);
    /* 4: the incident's set in the token */
    j = sleuth_json("watchlist add --store %s --incident eth-token-theft --chain ethereum --asset %s --json", store, tok);
    cr_assert_eq(jint(j, "items"), 1, "X holding the loot");
    cJSON_Delete(j);
    sleuth_fails(2, "--asset", "watchlist add --store %s --address %s --asset NOSUCHTOKEN", store, B);
    sleuth_fails(2, "--min-amount", "watchlist add --store %s --address %s --asset USDT --min-amount 1.0000001", store, B);

    t1 = g_token(url, tok, B, C, 250);                    /* watches 1 and 2 */
    t2 = g_token(url, tok, B, C, 7);                      /* 2 only: below 1's minimum */
    free(g_pay(url, B, C, "0x16345785d8a0000"));          /* 0.1 ETH: below 2's, not 1's asset */
    free(g_token(url, tok, A, C, 5));                     /* A's token: not 3's asset */
    t5 = g_token(url, tok, X, Y, 3000);                   /* 4: the loot moves; Y joins the set */
    t6 = g_token(url, tok, Y, C, 1000);                   /* 4: and on */
    free(g_pay(url, Y, C, "0x16345785d8a0000"));          /* Y's ETH is not the loot */
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    l = lines_since(0);
    cr_assert_eq(cJSON_GetArraySize(l), 5, "%s", g_lines);
    cJSON_ArrayForEach(x, l) {
        const cJSON *as = cJSON_GetObjectItem(x, "asset");
        int w = (int)jint(cJSON_GetObjectItem(x, "watch"), "id");
        cr_assert(w >= 1 && w <= 4, "watch %d", w);
        per[w]++;
        cr_assert_str_eq(jstr(x, "event"), "move");
        cr_assert_str_eq(jstr(x, "unit"), "units");
        cr_assert_str_eq(jstr(as, "contract"), tok);
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(as, "decimals")));
    }
    cr_assert(per[1] == 1 && per[2] == 2 && per[3] == 0 && per[4] == 2, "per watch: %d %d %d %d", per[1], per[2], per[3], per[4]);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "tx"), t1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 0), "amount"), "250");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 2), "tx"), t2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 3), "tx"), t5);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 3), "amount"), "3000");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(l, 4), "tx"), t6);
    cr_assert_eq(items_of(store, 4), 3, "Y and then C joined the set");
    cJSON_Delete(l);
    /* judged once: a further run raises nothing */
    cr_assert_eq(watch_run(NULL, NULL, "--store %s --eth-rpc %s", store, url), 0);
    l = lines_since(0);
    cr_assert_eq(cJSON_GetArraySize(l), 5);
    cJSON_Delete(l);
    cJSON_Delete(acc);
    free(code), free(t1), free(t2), free(t5), free(t6);
    lines_reset();
}

/* A watch.db of schema 1 (before tokens and the kept outbox) is upgraded by the first
 * command that opens it, a reader included: its entries, set items, alerts and queued
 * deliveries stay, and the new columns are there. */
Test(watch, schema_1_is_upgraded)
{
    const char *d = temp_dir();
    char path[400];
    sqlite3 *db;
    sqlite3_stmt *st;
    cJSON *j, *x;
    static const char V1[] =
        "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL); INSERT INTO meta VALUES('schema','1');"
        "CREATE TABLE watchlist(id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target TEXT NOT NULL,"
        " chain TEXT, policy TEXT, min_amount TEXT, label TEXT, created INTEGER NOT NULL);"
        "CREATE TABLE item(watch INTEGER NOT NULL, chain TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " amount TEXT NOT NULL, height INTEGER, spent INTEGER, PRIMARY KEY(chain, kind, key, watch));"
        "CREATE INDEX item_height ON item(chain, height);"
        "CREATE TABLE cursor(chain TEXT PRIMARY KEY, height INTEGER NOT NULL, hash TEXT NOT NULL);"
        "CREATE TABLE undo(chain TEXT NOT NULL, height INTEGER NOT NULL, hash TEXT NOT NULL, time INTEGER NOT NULL,"
        " PRIMARY KEY(chain, height));"
        "CREATE TABLE alert(id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, type TEXT NOT NULL,"
        " watch INTEGER, chain TEXT, height INTEGER, block TEXT, tx TEXT, idx INTEGER, retracts INTEGER,"
        " raised INTEGER NOT NULL, doc TEXT NOT NULL, emitted INTEGER NOT NULL DEFAULT 0, acked_by TEXT, acked_at INTEGER);"
        "CREATE TABLE outbox(alert INTEGER PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0,"
        " next_try REAL NOT NULL DEFAULT 0, last_error TEXT);"
        "INSERT INTO watchlist VALUES(1,'address','0x52908400098527886e0f7030069857d2e4169ee7','ethereum',NULL,'0.5',"
        " 'old',1700000000);"
        "INSERT INTO item VALUES(1,'ethereum','addr','0x52908400098527886e0f7030069857d2e4169ee7','0',NULL,NULL);"
        "INSERT INTO alert(id,key,type,watch,chain,height,raised,doc,emitted) VALUES(1,'w1:ethereum:0xb:0xt:move:0#0',"
        " 'alert',1,'ethereum',5,1700000001,'{\"type\":\"alert\",\"id\":1,\"key\":\"w1:ethereum:0xb:0xt:move:0#0\"}',1);"
        "INSERT INTO outbox VALUES(1,2,12345.5,'HTTP status 503');";
    snprintf(path, sizeof path, "%s/s", d);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/s/watch.db", d);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, V1, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);

    j = sleuth_json("watchlist list --store %s/s --json", d); /* a reader first */
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "watchlist"), 0);
    cr_assert_eq(jint(x, "items"), 1);
    cr_assert_str_eq(jstr(x, "min_amount"), "0.5");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(x, "asset")), "every asset, as schema 1 watched");
    cJSON_Delete(j);
    j = sleuth_json("alerts --store %s/s --json", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 1);
    cJSON_Delete(j);
    cJSON_Delete(sleuth_json("watchlist add --store %s/s --address 0x52908400098527886E0F7030069857D2E4169EE7 "
                             "--asset ETH --json", d));
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT (SELECT v FROM meta WHERE k = 'schema'), attempts, next_attempt, "
                                        "delivered_at IS NULL, (SELECT count(*) FROM item WHERE asset = '') FROM outbox",
                                    -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "2");
    cr_assert_eq(sqlite3_column_int(st, 1), 2, "attempts kept");
    cr_assert(sqlite3_column_double(st, 2) == 12345.5, "next_try is next_attempt");
    cr_assert_eq(sqlite3_column_int(st, 3), 1, "still to be delivered");
    cr_assert_eq(sqlite3_column_int(st, 4), 2, "the old item and the new entry's");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The T-address of a 20-byte account written as 0x hex (caller's buffer of 40). */
static void tron_of(const char *hex, char out[40])
{
    sl_eth_addr a;
    cr_assert(sl_eth_addr_parse(&a, hex), "%s", hex);
    sl_tron_addr_encode(out, &a);
}

#define TRON_FIX "tests/data/deposit/tron_blocks.json tests/data/deposit/tron_transactions.json " \
                 "tests/data/deposit/tron_logs.json"

/* Tron, which the watcher follows no node of, is watched by judging the blocks `sleuth
 * ingest tron` adds (the deposit fixture, tests/data/deposit/make_tron_fixture.py: H sends
 * 3 x 10 TRX at block 60000170, D3 1000 USDT at 60000150, D1 99 TRX at 60000130). The
 * blocks come back after a rollback by hand; each is judged once, alerts stored and
 * queued, nothing printed on the ingest's stdout. */
Test(watch, tron_ingest_judges_the_watchlist, .timeout = 120)
{
    const char *d = temp_dir();
    char h[40], d3[40], other[PATH_MAX];
    cJSON *j, *x;
    int per[4] = {0};
    tron_of("0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a100", h);
    tron_of("0xd3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d300", d3);
    expect_ok(run_sleuth("ingest tron --quiet --store %s/s " TRON_FIX, d));
    j = sleuth_json("watchlist add --store %s/s --address %s --min-amount 1 --json", d, h);
    cr_assert_str_eq(jstr(j, "chain"), "tron");
    cr_assert_str_eq(jstr(j, "target"), h);
    cJSON_Delete(j);
    j = sleuth_json("watchlist add --store %s/s --address %s --asset USDT --min-amount 500 --json", d, d3);
    cr_assert_str_eq(jstr(j, "asset"), "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
    cJSON_Delete(j);
    cJSON_Delete(sleuth_json("watchlist add --store %s/s --address %s --asset USDT --json", d, h)); /* H moves TRX only */
    sleuth_fails(2, "not a Tron T-address", "watchlist add --store %s/s --address TNotAnAddress --chain tron", d);

    /* the last three blocks go and come back: judged as they are added */
    expect_ok(run_sleuth("rollback --store %s/s --chain tron --to 60000140", d));
    j = sleuth_json("ingest tron --store %s/s --json " TRON_FIX, d);
    cr_assert_eq(jint(j, "blocks_added"), 3, "stdout is the ingest's JSON alone");
    cJSON_Delete(j);
    j = sleuth_json("alerts --store %s/s --json", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 4, "%s", cJSON_PrintUnformatted(j));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "alerts")) {
        int w = (int)jint(cJSON_GetObjectItem(x, "watch"), "id");
        cr_assert(w >= 1 && w <= 3);
        per[w]++;
        cr_assert_str_eq(jstr(x, "chain"), "tron");
        cr_assert_eq(strlen(jstr(x, "tx")), 64, "a Tron hash, without 0x: %s", jstr(x, "tx"));
        if (w == 1) {
            cr_assert_str_eq(jstr(x, "address"), h);
            cr_assert_str_eq(jstr(x, "amount"), "10000000");
            cr_assert_str_eq(jstr(x, "unit"), "sun");
            cr_assert_eq(jint(x, "height"), 60000170);
        } else {
            cr_assert_str_eq(jstr(x, "address"), d3);
            cr_assert_str_eq(jstr(x, "amount"), "1000000000");
            cr_assert_str_eq(jstr(cJSON_GetObjectItem(x, "asset"), "symbol"), "USDT");
            cr_assert_eq(jint(cJSON_GetObjectItem(x, "asset"), "decimals"), 6);
        }
    }
    cr_assert(per[1] == 3 && per[2] == 1 && per[3] == 0, "per watch: %d %d %d", per[1], per[2], per[3]);
    cJSON_Delete(j);
    /* nothing new to judge, and the same blocks again under the same hashes: no new alert */
    expect_ok(run_sleuth("ingest tron --quiet --store %s/s " TRON_FIX, d));
    expect_ok(run_sleuth("rollback --store %s/s --chain tron --to 60000160", d));
    expect_ok(run_sleuth("ingest tron --quiet --store %s/s " TRON_FIX, d));
    j = sleuth_json("alerts --store %s/s --json", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alerts")), 4);
    cJSON_Delete(j);

    /* block 60000170 replaced by another (the same txs under another hash): its three
     * alerts are retracted and raised again under the new block */
    snprintf(other, sizeof other, "%s/other", d);
    cr_assert_eq(mkdir(other, 0755), 0);
    expect_ok(run_sh("for f in tron_blocks tron_transactions tron_logs; do sed 's/b39387aa\"/b39387ab\"/' "
                     "tests/data/deposit/$f.json > %s/$f.json; done", other));
    expect_ok(run_sleuth("rollback --store %s/s --chain tron --to 60000160", d));
    expect_ok(run_sleuth("ingest tron --quiet --store %s/s %s/tron_blocks.json %s/tron_transactions.json "
                         "%s/tron_logs.json", d, other, other, other));
    j = sleuth_json("alerts --store %s/s --json", d);
    {
        int alerts = 0, retractions = 0;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "alerts")) {
            bool r = !strcmp(jstr(x, "type"), "retraction");
            retractions += r, alerts += !r;
            if (r) cr_assert(strstr(jstr(x, "block"), "b39387aa"), "the old block's: %s", jstr(x, "block"));
            else if (jint(x, "id") > 4) cr_assert(strstr(jstr(x, "block"), "b39387ab"), "the new block's");
        }
        cr_assert(alerts == 7 && retractions == 3, "%d alerts, %d retractions", alerts, retractions);
    }
    cJSON_Delete(j);
}
