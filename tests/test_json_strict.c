/* test_json_strict.c — hostile JSON (hardening issue F1, F3, F5, F7): every JSON input
 * sleuth verifies or ingests goes through one strict entry point (sleuth/json.h), so
 *   - a key given twice in an object is an error naming the key's JSON path, in a Safe
 *     transaction, an Ethereum file, a JSON-RPC answer of a live node (a fake node here)
 *     and a Bitcoin prevout file, and a CSV column named twice is one too; the store is
 *     left byte for byte as it was (F1, F1b);
 *   - long strings cost linear time: 16 MiB strings parse in well under a second, valid or
 *     unterminated, and 16x the length takes about 16x the CPU time, far from 256x (F3);
 *   - a record nested in another (a block's transactions, a receipt's logs, a mev-inspect
 *     file's receipts) that contradicts its parent's block number, block hash, transaction
 *     hash or index is an error with its JSON path, and so are records of one transaction
 *     in different documents that name different block hashes (F5);
 *   - the fuzzer's three UBSan inputs parse cleanly; the test catches the undefined
 *     behaviour when run under `make asan` (UBSan halt_on_error) (F7).
 * The reproducers are copies of /work/shared/repro in tests/data/repro/. Run from the
 * repository root.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/eth.h"
#include "sleuth/json.h"
#include "sleuth/safe.h"
#include "sleuth/util.h"

#define REPRO "tests/data/repro/"
#define MEV_ONE "tests/data/eth/mev/10384319.json.zst"

static char *slurp(const char *path, size_t *len)
{
    sl_file f;
    sl_error e = {0};
    char *b;
    cr_assert_eq(sl_file_open(&f, path, &e), SL_OK, "%s", e.msg);
    b = malloc(f.len + 1);
    cr_assert_not_null(b);
    memcpy(b, f.data, f.len);
    b[f.len] = 0;
    *len = f.len;
    sl_file_close(&f);
    return b;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* sl_json_parse's answer for text: its code, and the message in *e. */
static int strict(const char *text, sl_error *e)
{
    cJSON *j = NULL;
    int rc;
    memset(e, 0, sizeof *e);
    rc = sl_json_parse(&j, text, strlen(text), "t.json", e);
    cr_assert(rc ? j == NULL : j != NULL);
    cJSON_Delete(j);
    return rc;
}

static void expect_error(const char *text, const char *want)
{
    sl_error e;
    cr_assert_eq(strict(text, &e), SL_ECORRUPT, "accepted: %.200s", text);
    cr_assert(strstr(e.msg, want), "\"%s\" lacks \"%s\"", e.msg, want);
}

/* ---------------- the entry point itself ---------------- */

Test(json_strict, duplicate_key_names_its_path)
{
    sl_error e;
    expect_error("{\"operation\":0,\"operation\":1}",
                 "t.json: $.operation: duplicate key (members 1 and 2 of the object; JSON parsers disagree");
    expect_error("{\"results\":[{\"a\":1},{\"confirmations\":[{\"owner\":\"x\",\"signature\":\"a\",\"signature\":\"b\"}]}]}",
                 "t.json: $.results[1].confirmations[0].signature: duplicate key (members 2 and 3");
    /* the earliest repeat in document order, first occurrence first */
    expect_error("{\"a\":1,\"b\":2,\"b\":3,\"a\":4}", "$.b: duplicate key (members 2 and 3");
    /* equal once decoded: escapes do not hide a repeat */
    expect_error("{\"op\":1,\"o\\u0070\":2}", "$.op: duplicate key");
    /* keys that are not identifiers are quoted, control bytes escaped */
    expect_error("{\"a.b\":1,\"a.b\":2}", "$[\"a.b\"]: duplicate key");
    expect_error("{\"x\":{\"\\u001b[31m\":1,\"\\u001b[31m\":2}}", "$.x[\"\\u001b[31m\"]: duplicate key");
    /* what is not one JSON value */
    expect_error("{\"x\":1} {\"x\":2}", "t.json: byte offset 8: text after the JSON value");
    expect_error("{\"x\": [1, 2", "t.json: byte offset");
    expect_error("  \n", "no JSON value");
    /* the same key in different objects is fine */
    cr_assert_eq(strict("[{\"a\":1},{\"a\":2},{\"b\":{\"a\":3}}]", &e), SL_OK, "%s", e.msg);
    cr_assert_eq(strict(" {\"a\":1,\"A\":2}\n", &e), SL_OK, "%s", e.msg);
}

Test(json_strict, wide_object_is_not_quadratic, .timeout = 60)
{
    /* 200,000 keys: a pairwise check would make 2e10 comparisons */
    size_t n = 200000;
    sl_buf b = {0};
    sl_error e;
    struct timespec t0, t1;
    double s;
    cr_assert_eq(sl_buf_append(&b, "{", 1), SL_OK);
    for (size_t i = 0; i < n; i++) cr_assert_eq(sl_buf_printf(&b, "%s\"k%zu\":%zu", i ? "," : "", i, i), SL_OK);
    cr_assert_eq(sl_buf_append(&b, "}", 1), SL_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(strict((const char *)b.p, &e), SL_OK, "%s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_log_info("200k keys: %.3f s", s);
    cr_assert_lt(s, 2.0, "200k keys took %.2f s", s);
    /* the same key again at the end */
    b.len--;
    cr_assert_eq(sl_buf_printf(&b, ",\"k0\":0}"), SL_OK);
    expect_error((const char *)b.p, "$.k0: duplicate key (members 1 and 200001");
    sl_buf_free(&b);
}

Test(json_strict, deep_nesting_is_iterative)
{
    /* as deep as cJSON goes, a repeat at the bottom: found, path cut short, no recursion */
    int depth = CJSON_NESTING_LIMIT - 1;
    size_t n = (size_t)depth * 2 + 64, o = 0;
    char *t = malloc(n);
    cr_assert_not_null(t);
    for (int i = 0; i < depth; i++) t[o++] = '[';
    o += (size_t)sprintf(t + o, "{\"a\":1,\"a\":2}");
    for (int i = 0; i < depth; i++) t[o++] = ']';
    t[o] = 0;
    expect_error(t, "][0]....a: duplicate key (members 1 and 2");
    expect_error(t, "t.json: $[0][0][0]");
    free(t);
    /* deeper than cJSON's limit: a syntax error, not a crash */
    n = 200000;
    t = malloc(n + 1);
    memset(t, '[', n);
    t[n] = 0;
    expect_error(t, "malformed JSON");
    free(t);
}

Test(json_strict, sequences_and_repeats)
{
    const char *text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3,\"c\":4}\n";
    const char *keys[] = {"hash", "value", "block", "value", "hash"};
    sl_json_seq s;
    cJSON *d;
    sl_error e = {0};
    size_t f, a;
    sl_json_seq_init(&s, "l.jsonl", text, strlen(text));
    cr_assert_eq(sl_json_seq_next(&s, &d, &e), SL_OK);
    cr_assert_str_eq(s.path, "$<doc 1>");
    cJSON_Delete(d);
    cr_assert_eq(sl_json_seq_next(&s, &d, &e), SL_OK);
    cr_assert_str_eq(s.path, "$<doc 2>");
    cJSON_Delete(d);
    cr_assert_eq(sl_json_seq_next(&s, &d, &e), SL_ECORRUPT);
    cr_assert_null(d);
    cr_assert(strstr(e.msg, "l.jsonl: $<doc 3>.c: duplicate key (members 1 and 2"), "%s", e.msg);
    /* a lone document is "$" */
    sl_json_seq_init(&s, NULL, "{\"x\":1}  ", 9);
    cr_assert_eq(sl_json_seq_next(&s, &d, &e), SL_OK);
    cr_assert_str_eq(s.path, "$");
    cJSON_Delete(d);
    cr_assert_eq(sl_json_seq_next(&s, &d, &e), SL_OK);
    cr_assert_null(d, "the end");
    /* the earliest repeat: "value" again at 3 comes before "hash" again at 4 */
    cr_assert_eq(sl_json_first_repeat(keys, 5, &f, &a), SL_OK);
    cr_assert(f == 1 && a == 3, "%zu %zu", f, a);
    cr_assert_eq(sl_json_first_repeat(keys, 3, &f, &a), SL_OK);
    cr_assert_eq(a, 3, "no repeat: again = n");
}

/* ---------------- F1: the Safe check ---------------- */

Test(json_strict, safe_duplicate_operation_is_refused)
{
    size_t n;
    char *t = slurp(REPRO "safe_dup_operation_first_wins.json", &n);
    sl_safe_tx_list l;
    sl_error e = {0};
    cr_assert_eq(sl_safe_parse_json(&l, t, n, &e), SL_ECORRUPT, "\"operation\": 0 then 1 was read as %s",
                 l.n ? (l.tx[0].operation ? "a DELEGATECALL" : "a CALL") : "?");
    cr_assert_eq(l.n, 0);
    cr_assert(strstr(e.msg, "$.operation: duplicate key (members 5 and 6 of the object"), "%s", e.msg);
    free(t);
    /* nothing after the transaction either: another parser might read the second one */
    t = "{\"safe\":\"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4\",\"to\":\"0x96221423681A6d52E184D440a8eFCEbB105C7242\","
        "\"nonce\":1,\"operation\":0} {\"operation\":1}";
    memset(&e, 0, sizeof e);
    cr_assert_eq(sl_safe_parse_json(&l, t, strlen(t), &e), SL_ECORRUPT);
    cr_assert(strstr(e.msg, "text after the JSON value"), "%s", e.msg);
}

Test(json_strict, safe_verify_cli_exit_1)
{
    run_result r = run_sleuth("safe verify " REPRO "safe_dup_operation_first_wins.json");
    cr_assert_eq(r.status, 1, "exit %d, stdout: %.200s", r.status, r.out);
    cr_assert(strstr(r.err, REPRO "safe_dup_operation_first_wins.json: $.operation: duplicate key"), "%s", r.err);
    cr_assert_null(strstr(r.out, "VERDICT"), "no verdict on an ambiguous transaction: %s", r.out);
    run_free(&r);
}

/* ---------------- F1b: ingest ---------------- */

/* A store holding one Ethereum block (mev-inspect file), for "unchanged" checks. */
static const char *eth_store(void)
{
    static char path[128];
    run_result r;
    snprintf(path, sizeof path, "%s/s", temp_dir());
    r = run_sleuth("ingest eth --quiet --store %s " MEV_ONE, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return path;
}

/* `sleuth <args>` on the store s: exit 1, want in its message, the store byte for byte as
 * it was. */
static void refused(const char *s, const char *args, const char *want)
{
    char *before = tree_digest(s), *after;
    run_result r = run_sleuth("%s", args);
    cr_assert_eq(r.status, 1, "%s: exit %d (%.300s%.300s)", args, r.status, r.out, r.err);
    cr_assert(strstr(r.err, want), "%s: \"%s\" lacks \"%s\"", args, r.err, want);
    run_free(&r);
    after = tree_digest(s);
    cr_assert_str_eq(before, after, "%s changed the store", args);
    free(before);
    free(after);
}

/* `ingest eth` of each file into one store: refused, with its message. */
static void eth_ingest_refused(const char *const files[][2], size_t n)
{
    const char *s = eth_store();
    for (size_t i = 0; i < n; i++) {
        char args[512];
        snprintf(args, sizeof args, "ingest eth --store %s %s", s, files[i][0]);
        refused(s, args, files[i][1]);
    }
}

Test(json_strict, eth_duplicate_keys_leave_store_unchanged)
{
    static const char *const F[][2] = {
        {REPRO "eth_dup_key_number.json",
         REPRO "eth_dup_key_number.json: $.result.number: duplicate key (members 11 and 12 of the object"},
        {REPRO "eth_dup_key_value.json",
         REPRO "eth_dup_key_value.json: $.result.transactions[0].value: duplicate key (members 21 and 22 of the object"},
    };
    eth_ingest_refused(F, 2);
}

Test(json_strict, eth_json_lines_and_csv)
{
    const char *lines = "{\"type\":\"token_transfer\",\"token_address\":\"0xdac17f958d2ee523a2206206994597c13d831ec7\","
                        "\"from_address\":\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"to_address\":"
                        "\"0x1b63142628311395ceafeea5667e7c9026c862ca\",\"value\":\"5\",\"transaction_hash\":"
                        "\"0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8\",\"log_index\":0,"
                        "\"block_number\":7}\n";
    const char *csv = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number,value\n"
                      "0xdac17f958d2ee523a2206206994597c13d831ec7,0x1b63142628311395ceafeea5667e7c9026c862ca,"
                      "0x1b63142628311395ceafeea5667e7c9026c862ca,5,"
                      "0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8,0,7,6\n";
    sl_buf b = {0};
    sl_eth_set s;
    sl_error e = {0};
    /* the second line repeats "value" */
    cr_assert_eq(sl_buf_append(&b, lines, strlen(lines)), SL_OK);
    cr_assert_eq(sl_buf_append(&b, lines, strlen(lines) - 2), SL_OK);
    cr_assert_eq(sl_buf_printf(&b, ",\"value\":\"6\"}\n"), SL_OK);
    sl_eth_set_init(&s, NULL);
    cr_assert_eq(sl_eth_parse_json(&s, "x.jsonl", (const char *)b.p, b.len, &e), SL_ECORRUPT);
    cr_assert(strstr(e.msg, "x.jsonl: $<doc 2>.value: duplicate key (members 5 and 9"), "%s", e.msg);
    sl_eth_set_free(&s);
    sl_buf_free(&b);
    /* a CSV column named twice */
    memset(&e, 0, sizeof e);
    sl_eth_set_init(&s, NULL);
    cr_assert_eq(sl_eth_parse_csv(&s, "x.csv", csv, strlen(csv), &e), SL_ECORRUPT, "value 5 or 6?");
    cr_assert(strstr(e.msg, "x.csv: line 1: column \"value\" is named twice (columns 4 and 8)"), "%s", e.msg);
    sl_eth_set_free(&s);
}

Test(json_strict, btc_prevouts_duplicate_key)
{
    const char *d = temp_dir();
    char store[128], po[160], args[512];
    run_result r;
    snprintf(store, sizeof store, "%s/s", d);
    snprintf(po, sizeof po, "%s/prevouts.json", d);
    r = run_sleuth("ingest btc --quiet --store %s %s", store, fixture(FIX "/blocks", "0000000_"));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    write_file(po, "[{\"txid\":\"0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9\",\"vout\":0,"
                   "\"value_sats\":5000000000,\"value_sats\":1,\"script_pubkey\":\"51\"}]");
    snprintf(args, sizeof args, "ingest btc --store %s --prevouts %s %s", store, po, fixture(FIX "/blocks", "0000001_"));
    refused(store, args, "prevouts.json: $[0].value_sats: duplicate key (members 3 and 4");
}

/* ---------------- F1b: a live node's answers (a fake JSON-RPC node) ---------------- */

typedef struct fake_node {
    int fd;
    const char *const (*answers)[2]; /* method, body ("%d" = the request id); NULL-terminated */
} fake_node;

static void *serve(void *arg)
{
    fake_node *n = arg;
    for (;;) {
        char req[65536], *body, *m, resp[70000], ans[60000];
        size_t got = 0, need = 0;
        int c = accept(n->fd, NULL, NULL), id = 0;
        const char *a = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"error\":{\"code\":-32601,\"message\":\"no such method\"}}";
        if (c < 0) continue;
        while (got < sizeof req - 1) { /* headers, then Content-Length bytes of body */
            ssize_t k = read(c, req + got, sizeof req - 1 - got);
            if (k <= 0) break;
            got += (size_t)k;
            req[got] = 0;
            if ((body = strstr(req, "\r\n\r\n"))) {
                char *cl = strcasestr(req, "Content-Length:");
                need = (size_t)(body + 4 - req) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
                if (got >= need) break;
            }
        }
        req[got] = 0;
        if ((m = strstr(req, "\"id\":"))) id = atoi(m + 5);
        for (size_t i = 0; n->answers[i][0]; i++) {
            char key[96];
            snprintf(key, sizeof key, "\"method\":\"%s\"", n->answers[i][0]);
            if (strstr(req, key)) { a = n->answers[i][1]; break; }
        }
        snprintf(ans, sizeof ans, a, id);
        snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s", strlen(ans), ans);
        if (write(c, resp, strlen(resp)) < 0) {}
        close(c);
    }
    return NULL;
}

/* Starts the fake node on a free 127.0.0.1 port; returns the port. */
static int fake_start(fake_node *n)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    pthread_t th;
    n->fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(n->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(n->fd, 16), 0);
    getsockname(n->fd, (struct sockaddr *)&a, &len);
    cr_assert_eq(pthread_create(&th, NULL, serve, n), 0);
    pthread_detach(th);
    return ntohs(a.sin_port);
}

#define H_TX "0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8"
#define H_BLOCK "0x889c421abc62a48641eee140519e6da8c9dc01d85d8f5c4fbc3c13e3c6e4cb3e"
#define ADDR "0x1b63142628311395ceafeea5667e7c9026c862ca"
#define RPC_BLOCK                                                                                                       \
    "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"number\":\"0x1\",\"hash\":\"" H_BLOCK "\",\"timestamp\":\"0x5\","    \
    "\"miner\":\"" ADDR "\",\"transactions\":[{\"hash\":\"" H_TX "\",\"blockNumber\":\"0x1\",\"blockHash\":\"" H_BLOCK  \
    "\",\"transactionIndex\":\"0x0\",\"from\":\"" ADDR "\",\"to\":\"" ADDR "\",\"value\":\"0x1\",\"nonce\":\"0x0\","     \
    "\"gas\":\"0x5208\",\"gasPrice\":\"0x1\"}]}}"
#define RPC_RECEIPTS                                                                                                    \
    "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":[{\"transactionHash\":\"" H_TX "\",\"blockNumber\":\"0x1\","             \
    "\"blockHash\":\"" H_BLOCK "\",\"transactionIndex\":\"0x0\",\"cumulativeGasUsed\":\"0x5208\",\"gasUsed\":\"0x5208\"," \
    "\"status\":\"0x1\",\"logs\":[]}]}"

/* `ingest eth --rpc` against answers: exit 1 with want in the message, the store unchanged. */
static void rpc_refused(const char *const answers[][2], const char *want)
{
    static fake_node nodes[4]; /* each serves until the test process ends */
    static int used;
    fake_node *n = &nodes[used++ % 4];
    const char *s = eth_store();
    char args[512];
    n->answers = answers;
    snprintf(args, sizeof args, "ingest eth --quiet --store %s --rpc http://127.0.0.1:%d --from 1 --to 1", s,
             fake_start(n));
    refused(s, args, want);
}

Test(json_strict, rpc_answer_with_duplicate_result, .timeout = 60)
{
    /* cJSON's first "result" is a list of no receipts, a wallet's last one says null */
    static const char *const A[][2] = {
        {"eth_getBlockByNumber", RPC_BLOCK},
        {"eth_getBlockReceipts", "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":[],\"result\":null}"},
        {NULL, NULL},
    };
    rpc_refused(A, "answer to eth_getBlockReceipts: $.result: duplicate key (members 3 and 4");
}

Test(json_strict, rpc_trace_answers_with_duplicate_keys, .timeout = 60)
{
    /* no trace_block; debug_traceBlockByNumber's answer repeats its result */
    static const char *const B[][2] = {
        {"eth_getBlockByNumber", RPC_BLOCK},
        {"eth_getBlockReceipts", RPC_RECEIPTS},
        {"debug_traceBlockByNumber", "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":[],\"result\":[{\"result\":{}}]}"},
        {NULL, NULL},
    };
    /* neither block tracer: the opcode-level trace repeats a key of a step */
    static const char *const C[][2] = {
        {"eth_getBlockByNumber", RPC_BLOCK},
        {"eth_getBlockReceipts", RPC_RECEIPTS},
        {"debug_traceTransaction", "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"structLogs\":[{\"op\":\"STOP\","
                                   "\"depth\":1,\"depth\":2,\"stack\":[]}]}}"},
        {NULL, NULL},
    };
    rpc_refused(B, "answer to debug_traceBlockByNumber: $.result: duplicate key (members 3 and 4");
    rpc_refused(C, "answer to debug_traceTransaction(" H_TX "): $.result.structLogs[0].depth: duplicate key");
}

/* ---------------- F3: long strings ---------------- */

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A block whose extraData is a string of n bytes ending in an escape (valid), or the same
 * text cut inside that string (unterminated); a 20-digit number makes the big-number
 * pre-pass rewrite the text too. */
static char *long_string_doc(size_t n, bool valid, size_t *len)
{
    const char *head = "{\"number\":\"0x1\",\"size\":12345678901234567890,\"hash\":\"" H_BLOCK "\",\"extraData\":\"";
    const char *tail = "\\n\",\"transactions\":[]}";
    size_t h = strlen(head), t = strlen(tail);
    char *d = malloc(h + n + t + 1);
    cr_assert_not_null(d);
    memcpy(d, head, h);
    memset(d + h, 'a', n);
    memcpy(d + h + n, tail, t + 1);
    *len = valid ? h + n + t : h + n;
    return d;
}

/* Best of five: the wall and CPU time sl_eth_parse_json takes on the document, checking
 * its answer each time. */
static void parse_time(size_t n, bool valid, double *wall, double *cpu)
{
    *wall = *cpu = 1e9;
    for (int k = 0; k < 5; k++) {
        size_t len;
        char *d = long_string_doc(n, valid, &len);
        sl_eth_set s;
        sl_error e = {0};
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w, c;
        int rc;
        sl_eth_set_init(&s, NULL);
        rc = sl_eth_parse_json(&s, "long.json", d, len, &e);
        c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        w = clock_s(CLOCK_MONOTONIC) - w0;
        if (valid) {
            cr_assert_eq(rc, SL_OK, "%s", e.msg);
            cr_assert(s.n_blocks == 1 && s.blocks[0].number == 1 && s.blocks[0].has_hash);
        } else {
            cr_assert_eq(rc, SL_ECORRUPT);
            cr_assert(strstr(e.msg, "long.json: byte offset") && strstr(e.msg, "malformed JSON"), "%s", e.msg);
        }
        sl_eth_set_free(&s);
        free(d);
        if (w < *wall) *wall = w;
        if (c < *cpu) *cpu = c;
    }
}

Test(json_strict, long_strings_take_linear_time, .timeout = 120)
{
    for (int valid = 1; valid >= 0; valid--) {
        const char *what = valid ? "valid" : "unterminated";
        double w1, c1, w16, c16;
        parse_time(1u << 20, valid, &w1, &c1);
        parse_time(16u << 20, valid, &w16, &c16);
        cr_log_info("%s string: 1 MiB %.4f s (CPU %.4f s), 16 MiB %.4f s (CPU %.4f s)", what, w1, c1, w16, c16);
        cr_assert_lt(w16, 2.0, "%s 16 MiB string: %.3f s", what, w16);
        /* linear: 16x the bytes, 16x the time; quadratic 256x. Measured 17x to 26x (1 MiB
         * stays in the caches, 16 MiB does not), so the bound is 64x, far from both. CPU
         * time, not wall time: other work on the machine does not count. */
        cr_assert_lt(c16, 64 * c1 + 0.005, "%s: CPU 1 MiB %.4f s, 16 MiB %.4f s", what, c1, c16);
    }
}

/* ---------------- F5: records that contradict their parent ---------------- */

Test(json_strict, tx_blocknumber_mismatch_cli)
{
    static const char *const F[][2] = {
        {REPRO "eth_tx_blocknumber_mismatch.json",
         REPRO "eth_tx_blocknumber_mismatch.json: $.result.transactions[0].blockNumber: block 1, but the enclosing "
               "block is block 47218"},
    };
    eth_ingest_refused(F, 1);
}

#define H_OTHER "0x1111111111111111111111111111111111111111111111111111111111111111"
#define TX(h, bn, bh, ix)                                                                                      \
    "{\"hash\":\"" h "\",\"blockNumber\":\"" bn "\",\"blockHash\":\"" bh "\",\"transactionIndex\":\"" ix "\"," \
    "\"from\":\"" ADDR "\",\"to\":\"" ADDR "\",\"value\":\"0x1\",\"nonce\":\"0x0\",\"gas\":\"0x5208\",\"gasPrice\":\"0x1\"}"
#define H_TX2 "0x95844e6c54b4aafc8e1f75784127529280e75c3a980d91f6dfca1c1b0eb078fb"
#define BLOCK(txs) "{\"number\":\"0x5\",\"hash\":\"" H_BLOCK "\",\"timestamp\":\"0x1\",\"miner\":\"" ADDR "\",\"transactions\":[" txs "]}"
#define LOG(th, bn, bh, ix)                                                                                            \
    "{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\",\"logIndex\":\"0x0\",\"transactionHash\":\"" th "\","      \
    "\"blockNumber\":\"" bn "\",\"blockHash\":\"" bh "\",\"transactionIndex\":\"" ix "\"}"
#define RECEIPT(bh, logs)                                                                                               \
    "{\"transactionHash\":\"" H_TX "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" bh "\",\"transactionIndex\":\"0x0\","  \
    "\"cumulativeGasUsed\":\"0x5208\",\"gasUsed\":\"0x5208\",\"status\":\"0x1\",\"logs\":[" logs "]}"

Test(json_strict, nested_records_must_agree)
{
    static const struct { const char *json, *want; } C[] = {
        {BLOCK(TX(H_TX, "0x5", H_OTHER, "0x0")),
         "in.json: $.transactions[0].blockHash: " H_OTHER ", but the enclosing block says " H_BLOCK},
        {BLOCK(TX(H_TX, "0x6", H_BLOCK, "0x0")), "in.json: $.transactions[0].blockNumber: block 6, but the enclosing block is block 5"},
        /* swapped positions would reorder the block (and misplace traces given by position) */
        {BLOCK(TX(H_TX, "0x5", H_BLOCK, "0x1") "," TX(H_TX2, "0x5", H_BLOCK, "0x0")),
         "in.json: $.transactions[0].transactionIndex: 1, but it is transaction 0 of the enclosing block"},
        {RECEIPT(H_BLOCK, LOG(H_TX2, "0x5", H_BLOCK, "0x0")),
         "in.json: $.logs[0].transactionHash: " H_TX2 ", but the enclosing receipt says " H_TX},
        {RECEIPT(H_BLOCK, LOG(H_TX, "0x4", H_BLOCK, "0x0")), "in.json: $.logs[0].blockNumber: block 4, but the enclosing receipt is block 5"},
        {RECEIPT(H_BLOCK, LOG(H_TX, "0x5", H_OTHER, "0x0")),
         "in.json: $.logs[0].blockHash: " H_OTHER ", but the enclosing receipt says " H_BLOCK},
        {RECEIPT(H_BLOCK, LOG(H_TX, "0x5", H_BLOCK, "0x3")), "in.json: $.logs[0].transactionIndex: 3, but the enclosing receipt says 0"},
        /* a mev-inspect block file's receipts belong to its block */
        {"{\"block_number\":4,\"traces\":[],\"receipts\":{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[" RECEIPT(H_BLOCK, "") "]}}",
         "in.json: $.receipts.result[0].blockNumber: block 5, but the enclosing block file is block 4"},
        /* in separate documents: the model compares block hashes */
        {BLOCK(TX(H_TX, "0x5", H_BLOCK, "0x0")) "\n" RECEIPT(H_OTHER, ""),
         "transaction " H_TX " is in the block with hash " H_BLOCK " and in the block with hash " H_OTHER},
        {"{\"number\":\"0x5\",\"hash\":\"" H_BLOCK "\",\"transactions\":[\"" H_TX "\"]}\n" TX(H_TX, "0x5", H_OTHER, "0x0"),
         "transaction " H_TX " names block hash " H_OTHER ", but block 5 is " H_BLOCK},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        sl_eth_set s;
        sl_eth_model m;
        sl_error e = {0};
        int rc;
        sl_eth_set_init(&s, NULL);
        rc = sl_eth_parse_json(&s, "in.json", C[i].json, strlen(C[i].json), &e);
        if (rc == SL_OK && (rc = sl_eth_model_build(&m, &s, &e)) == SL_OK) sl_eth_model_free(&m);
        cr_assert_eq(rc, SL_ECORRUPT, "case %zu accepted", i);
        cr_assert(strstr(e.msg, C[i].want), "case %zu: \"%s\" lacks \"%s\"", i, e.msg, C[i].want);
        sl_eth_set_free(&s);
    }
    /* the same records agreeing are fine */
    {
        const char *ok = BLOCK(TX(H_TX, "0x5", H_BLOCK, "0x0")) "\n" RECEIPT(H_BLOCK, LOG(H_TX, "0x5", H_BLOCK, "0x0"));
        sl_eth_set s;
        sl_eth_model m;
        sl_error e = {0};
        sl_eth_set_init(&s, NULL);
        cr_assert_eq(sl_eth_parse_json(&s, "in.json", ok, strlen(ok), &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_eth_model_build(&m, &s, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(m.n_txs, 1);
        sl_eth_model_free(&m);
        sl_eth_set_free(&s);
    }
}

/* ---------------- F7: the fuzzer's UBSan inputs ---------------- */

/* As fuzz/fuzz_eth_json does: the first byte picks CSV or JSON and the chain. Any answer
 * is fine; undefined behaviour is not (caught under `make asan`, UBSan halt_on_error). */
Test(json_strict, fuzz_ub_inputs)
{
    static const char *const F[] = {"fuzz_eth_json_ub_eth_h206.bin", "fuzz_eth_json_ub_eth_h209.bin",
                                    "fuzz_eth_json_ub_flows_c552.bin"};
    for (size_t i = 0; i < 3; i++) {
        char path[128], *d;
        size_t n;
        sl_eth_set s;
        sl_eth_model m;
        sl_error e = {0};
        int rc;
        snprintf(path, sizeof path, REPRO "%s", F[i]);
        d = slurp(path, &n);
        cr_assert_gt(n, 1);
        sl_eth_set_init(&s, sl_eth_chain_by_name(d[0] & 2 ? "tron" : "ethereum"));
        if (d[0] & 1) rc = sl_eth_parse_csv(&s, F[i], d + 1, n - 1, &e);
        else rc = sl_eth_parse_json(&s, F[i], d + 1, n - 1, &e);
        if (!rc && sl_eth_model_build(&m, &s, &e) == SL_OK) sl_eth_model_free(&m);
        sl_eth_set_free(&s);
        free(d);
    }
}
