/* litecoind.c — see litecoind.h. */
#include "litecoind.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* ---------------- processes ---------------- */

ltc_node LTC;

static const char *ltc_env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static double ltc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ltc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* Reads a whole file (NUL-terminated); NULL when missing. *len gets the byte count. */
char *ltc_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f) return NULL;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            char *q = realloc(buf, cap = (n + 65536 + 1) * 2);
            if (!q) { free(buf); fclose(f); return NULL; }
            buf = q;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* Runs argv (no shell), returns its exit status (-1: could not run / killed) with stdout in
 * *out (malloc'd, NUL-terminated) and stderr in *err (malloc'd; NULL allowed for either). */
int ltc_run(char **out, char **err, char *const argv[])
{
    int pfd[2], efd, status;
    char errpath[PATH_MAX + 16];
    pid_t pid;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", LTC.tmp);
    if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
    efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (efd < 0) { close(pfd[0]); close(pfd[1]); return -1; }
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(efd, 2);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    close(efd);
    if (pid < 0) { close(pfd[0]); return -1; }
    for (;;) {
        ssize_t r;
        if (n + 4096 + 1 > cap) {
            char *q = realloc(buf, cap = (n + 4096 + 1) * 2);
            if (!q) break;
            buf = q;
        }
        r = read(pfd[0], buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(pfd[0]);
    if (buf) buf[n] = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (out) *out = buf ? buf : strdup("");
    else free(buf);
    if (err) {
        *err = ltc_slurp(errpath, NULL);
        if (!*err) *err = strdup("");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---------------- JSON-RPC through litecoin-cli ---------------- */

#define MAXARGS 16

/* Calls method with string params (NULL-terminated). Returns the raw stdout (caller frees);
 * fails the test when litecoin-cli fails. wallet: talk to wallet "w". */
static char *rpc_raw(bool wallet, const char *method, va_list ap)
{
    char *argv[MAXARGS + 12], *out = NULL, *err = NULL;
    int k = 0, rc;
    const char *p;
    argv[k++] = (char *)ltc_env_or("LITECOIN_CLI", "litecoin-cli");
    argv[k++] = "-regtest";
    argv[k++] = LTC.datadir_arg;
    argv[k++] = LTC.rpcport_arg;
    argv[k++] = "-rpcconnect=127.0.0.1";
    argv[k++] = "-rpcuser=sleuth";
    argv[k++] = LTC.rpcpass_arg;
    if (wallet) argv[k++] = "-rpcwallet=w";
    argv[k++] = (char *)method;
    while ((p = va_arg(ap, const char *)) && k < MAXARGS + 10) argv[k++] = (char *)p;
    argv[k] = NULL;
    rc = ltc_run(&out, &err, argv);
    if (rc != 0) {
        cr_log_error("litecoin-cli %s failed (exit %d): %s", method, rc, err);
        free(out);
        out = NULL;
    }
    free(err);
    cr_assert(out != NULL, "RPC %s failed", method);
    {   /* trim the newline */
        size_t l = strlen(out);
        while (l && (out[l - 1] == '\n' || out[l - 1] == '\r' || out[l - 1] == ' ')) out[--l] = 0;
    }
    return out;
}

/* RPC whose result is a string (litecoin-cli prints it unquoted). */
char *ltc_rpc_str(bool wallet, const char *method, ...)
{
    va_list ap;
    char *s;
    va_start(ap, method);
    s = rpc_raw(wallet, method, ap);
    va_end(ap);
    return s;
}

/* RPC whose result is JSON (object, array or number); caller cJSON_Delete's it. */
cJSON *ltc_rpc_json(bool wallet, const char *method, ...)
{
    va_list ap;
    char *s;
    cJSON *j;
    const char *end = NULL;
    va_start(ap, method);
    s = rpc_raw(wallet, method, ap);
    va_end(ap);
    j = cJSON_ParseWithOpts(s, &end, 1);
    cr_assert(j != NULL, "RPC %s: result is not JSON: %.200s", method, s);
    free(s);
    return j;
}

const cJSON *ltc_get(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(v != NULL, "JSON has no key \"%s\"", k);
    return v;
}

const char *ltc_gets(const cJSON *o, const char *k)
{
    const cJSON *v = ltc_get(o, k);
    cr_assert(cJSON_IsString(v), "\"%s\" is not a string", k);
    return v->valuestring;
}

/* An integer (sleuth's satoshi and counts); fails unless it is a whole number. */
int64_t ltc_geti(const cJSON *o, const char *k)
{
    const cJSON *v = ltc_get(o, k);
    cr_assert(cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble), "\"%s\" is not an integer", k);
    return (int64_t)v->valuedouble;
}

/* A node amount in coins (8 decimals) to satoshi. */
int64_t ltc_sat(const cJSON *v)
{
    cr_assert(cJSON_IsNumber(v), "amount is not a number");
    return (int64_t)llround(v->valuedouble * 1e8);
}

/* The address of a node vout's scriptPubKey (0.21: "addresses":[..], 22+: "address"), or NULL. */
const char *ltc_vout_addr(const cJSON *vout)
{
    const cJSON *spk = ltc_get(vout, "scriptPubKey"), *a = cJSON_GetObjectItemCaseSensitive(spk, "address");
    if (cJSON_IsString(a)) return a->valuestring;
    a = cJSON_GetObjectItemCaseSensitive(spk, "addresses");
    if (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 1 && cJSON_IsString(a->child)) return a->child->valuestring;
    return NULL;
}

/* ---------------- node lifecycle ---------------- */

void ltc_node_stop(void)
{
    double t0;
    int status;
    if (LTC.pid <= 0) return;
    {
        char *argv[] = {(char *)ltc_env_or("LITECOIN_CLI", "litecoin-cli"), "-regtest", LTC.datadir_arg, LTC.rpcport_arg,
                        "-rpcconnect=127.0.0.1", "-rpcuser=sleuth", LTC.rpcpass_arg, "-rpcclienttimeout=10", "stop", NULL};
        (void)ltc_run(NULL, NULL, argv);
    }
    for (t0 = ltc_now(); ltc_now() - t0 < 30;) {
        pid_t r = waitpid(LTC.pid, &status, WNOHANG);
        if (r == LTC.pid || (r < 0 && errno == ECHILD)) { LTC.pid = 0; return; }
        ltc_sleep_ms(50);
    }
    cr_log_warn("litecoind did not stop within 30 s; killing it");
    kill(LTC.pid, SIGKILL);
    waitpid(LTC.pid, &status, 0);
    LTC.pid = 0;
}

static void node_log_tail(void)
{
    char p[PATH_MAX + 32];
    size_t len;
    char *s;
    snprintf(p, sizeof p, "%s/node.out", LTC.tmp);
    s = ltc_slurp(p, &len);
    if (s) cr_log_error("litecoind output (last 2000 bytes):\n%s", len > 2000 ? s + len - 2000 : s);
    free(s);
}

/* Starts litecoind in LTC.datadir on ports that were free a moment ago. Another process can take
 * a port before the node binds it (other test runs start nodes the same way): then the node
 * exits with "Unable to start HTTP server" and is started again on other ports. Its RPC
 * password is this process's own, so a node of another run on a recycled port refuses us
 * instead of answering in its place. Returns when the RPC answers; bounded by time (each probe
 * too: whatever else listens on the port may never answer). */
static void node_launch(void)
{
    char conf[PATH_MAX + 16], logp[PATH_MAX + 16];
    int status;
    snprintf(LTC.datadir_arg, sizeof LTC.datadir_arg, "-datadir=%s", LTC.datadir);
    snprintf(LTC.rpcpass_arg, sizeof LTC.rpcpass_arg, "-rpcpassword=sleuth-%d", (int)getpid());
    snprintf(logp, sizeof logp, "%s/node.out", LTC.tmp);
    for (int attempt = 0;; attempt++) {
        int rpcport = free_port(), port = free_port();
        double t0;
        cr_assert(rpcport > 0 && port > 0 && rpcport != port, "no free ports");
        snprintf(LTC.rpcport_arg, sizeof LTC.rpcport_arg, "-rpcport=%d", rpcport);
        snprintf(LTC.port_arg, sizeof LTC.port_arg, "-port=%d", port);
        rm_tree(LTC.datadir); /* a fresh datadir, also after a start that failed */
        cr_assert(mkdir(LTC.datadir, 0700) == 0, "mkdir %s: %s", LTC.datadir, strerror(errno));
        snprintf(conf, sizeof conf, "%s/litecoin.conf", LTC.datadir);
        {   /* an empty config so no ~/.litecoin/litecoin.conf is read */
            FILE *f = fopen(conf, "w");
            cr_assert(f != NULL);
            fclose(f);
        }
        LTC.pid = fork();
        cr_assert(LTC.pid >= 0, "fork: %s", strerror(errno));
        if (LTC.pid == 0) {
            int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            char *argv[] = {(char *)ltc_env_or("LITECOIND", "litecoind"), "-regtest", "-daemon=0", "-server",
                            "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", LTC.rpcport_arg, LTC.port_arg, "-listen=0",
                            "-fallbackfee=0.0001", "-txindex", "-vbparams=mweb:4102444800:4102444801", LTC.datadir_arg,
                            "-rpcuser=sleuth", LTC.rpcpass_arg, "-printtoconsole=0", "-dnsseed=0", "-upnp=0", NULL};
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* if the test process dies, so does the node */
            if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
            execvp(argv[0], argv);
            fprintf(stderr, "cannot run %s: %s (install it: scripts/install-deps.sh)\n", argv[0], strerror(errno));
            _exit(127);
        }
        for (t0 = ltc_now();; ltc_sleep_ms(100)) {
            char *argv[] = {(char *)ltc_env_or("LITECOIN_CLI", "litecoin-cli"), "-regtest", LTC.datadir_arg, LTC.rpcport_arg,
                            "-rpcconnect=127.0.0.1", "-rpcuser=sleuth", LTC.rpcpass_arg, "-rpcclienttimeout=5",
                            "getblockcount", NULL};
            if (waitpid(LTC.pid, &status, WNOHANG) == LTC.pid) break;
            if (ltc_run(NULL, NULL, argv) == 0) return;
            if (ltc_now() - t0 > 60) {
                node_log_tail();
                cr_assert_fail("litecoind RPC not ready after 60 s");
            }
        }
        LTC.pid = 0;
        {
            char *out = ltc_slurp(logp, NULL);
            bool in_use = out && strstr(out, "Unable to start HTTP server");
            free(out);
            if (!in_use || attempt >= 20) {
                node_log_tail();
                cr_assert_fail("litecoind exited during start-up (status %d)", status);
            }
        }
    }
}

void ltc_node_start(void)
{
    memset(&LTC, 0, sizeof LTC);
    snprintf(LTC.tmp, sizeof LTC.tmp, "%s/sleuth-ltc-XXXXXX", ltc_env_or("TMPDIR", "/tmp"));
    cr_assert(mkdtemp(LTC.tmp) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(LTC.datadir, sizeof LTC.datadir, "%s/node", LTC.tmp);
    node_launch();
}

void ltc_fini(void)
{
    ltc_node_stop();
    if (LTC.tmp[0] && !getenv("SLEUTH_KEEP_TMP")) rm_tree(LTC.tmp);
    else if (LTC.tmp[0]) cr_log_info("kept %s", LTC.tmp);
}

/* The vout of txid paying addr (must exist, unconfirmed allowed). */
int ltc_vout_to(const char *txid, const char *addr)
{
    cJSON *tx = ltc_rpc_json(false, "getrawtransaction", txid, "true", NULL);
    const cJSON *v;
    int n = -1;
    cJSON_ArrayForEach(v, ltc_get(tx, "vout")) {
        const char *a = ltc_vout_addr(v);
        if (a && !strcmp(a, addr)) n = (int)ltc_geti(v, "n");
    }
    cJSON_Delete(tx);
    cr_assert(n >= 0, "tx %s pays nothing to %s", txid, addr);
    return n;
}

char *ltc_signed_tx(const char *txid, int vout, const char *outs)
{
    char ins[200], *raw, *hex;
    cJSON *s;
    snprintf(ins, sizeof ins, "[{\"txid\":\"%s\",\"vout\":%d}]", txid, vout);
    raw = ltc_rpc_str(true, "createrawtransaction", ins, outs, NULL);
    s = ltc_rpc_json(true, "signrawtransactionwithwallet", raw, NULL);
    cr_assert(cJSON_IsTrue(ltc_get(s, "complete")), "the wallet could not sign a spend of %s:%d: %s", txid, vout,
              cJSON_PrintUnformatted(s));
    hex = strdup(ltc_gets(s, "hex"));
    cJSON_Delete(s);
    free(raw);
    return hex;
}
