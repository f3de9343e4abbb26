/* test_json_strict.c — hostile JSON (hardening issue F1): every JSON input
 * sleuth verifies or ingests goes through one strict entry point (sleuth/json.h), so
 *   - a key given twice in an object is an error naming the key's JSON path (F1), in a
 *     Safe transaction first: "operation": 0 then 1 is a call to cJSON and a delegatecall
 *     to the signer's wallet; the check is linear in the keys and iterative in the depth.
 * The reproducers are copies of /work/shared/repro in tests/data/repro/. Run from the
 * repository root.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "sleuth/json.h"
#include "sleuth/safe.h"
#include "sleuth/util.h"

#define REPRO "tests/data/repro/"

static char *slurp(const char *path, size_t *len)
{
    sl_file f;
    sl_error e = {0, ""};
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
    sl_error e = {0, ""};
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
    sl_error e = {0, ""};
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
