/* test_report.c — the look-up reports as a library (include/sleuth/report.h), with no
 * `sleuth` process: a store built by sl_ingest_btc / sl_ingest_eth from the bundled
 * fixtures, then Bitcoin's first transfer (block 170, Satoshi to Hal Finney) rendered as
 * text into an in-memory FILE and as a JSON document and checked against the chain's real
 * values; the same for an account-chain transaction; errors in words with no document;
 * and the text the CLI prints is exactly the library's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/ingest.h"
#include "sleuth/report.h"

#define BLK0 FIX "/consecutive/nbitcoin_blk00000_h000000-000299.dat"
#define TX170 "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
#define ETH_FIX "tests/data/eth/trace/hand_chain.jsonl"
#define ETH_TX "0x000000000000000000000000000000000000000000000000000000000000f002"

/* A read-only handle on a fresh store holding blocks 0..299 (ingested through the
 * library), its path in dir. */
static sl_store *btc_store(char dir[300])
{
    sl_store *s;
    sl_error e = {0};
    sl_ingest_opts o = {.quiet = true};
    sl_ingest_report r;
    const char *paths[] = {BLK0};
    snprintf(dir, 300, "%s/s", temp_dir());
    cr_assert_eq(sl_store_open(&s, dir, SL_STORE_WRITE, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_ingest_btc(s, paths, 1, &o, &r, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(r.blocks_added, 300);
    sl_store_close(s);
    cr_assert_eq(sl_store_open(&s, dir, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    return s;
}

/* The document as a reader of the JSON sees it: exact integers are raw cJSON items until
 * printed (sl_json_u64), so print it and parse it back (the document is freed). */
static cJSON *as_read(cJSON *doc)
{
    char *txt = cJSON_PrintUnformatted(doc);
    cJSON *j;
    cr_assert_not_null(txt);
    cJSON_Delete(doc);
    j = cJSON_Parse(txt);
    cr_assert_not_null(j, "%s", txt);
    cJSON_free(txt);
    return j;
}

/* The text report rq asks for, as a string (caller frees). */
static char *tx_text(sl_store *s, const sl_report_req *rq, int *rc, sl_error *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    *rc = sl_report_tx_text(s, f, rq, e);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

Test(report, btc_tx_as_text_and_json_through_the_library)
{
    char dir[300];
    sl_store *s = btc_store(dir);
    sl_report_req rq = {.arg = TX170, .limit = SL_REPORT_LIMIT_DEFAULT};
    sl_error e = {0};
    cJSON *j = NULL, *outs, *in0;
    int rc;
    char *t = tx_text(s, &rq, &rc, &e);
    cr_assert_eq(rc, SL_OK, "%s", e.msg);
    cr_assert(!strncmp(t, "transaction " TX170 "\n", 77), "%s", t);
    cr_assert(strstr(t, "  block    170  00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee\n"), "%s", t);
    cr_assert(strstr(t, "  time     2009-01-12 03:30:25 UTC\n"), "%s", t);
    cr_assert(strstr(t, "  fee      0.00000000 BTC (0 sat)\n"), "%s", t);
    cr_assert(strstr(t, "    #0        50.00000000 BTC  12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S\n"
                        "             from 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9:0\n"), "%s", t);
    cr_assert(strstr(t, "    #0        10.00000000 BTC  1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3          p2pk\n"
                        "             unspent\n"), "%s", t);
    cr_assert(strstr(t, "    #1        40.00000000 BTC  12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S          p2pk\n"
                        "             spent by a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be:0\n"), "%s", t);
    free(t);

    cr_assert_eq(sl_report_tx_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    cr_assert_not_null(j);
    j = as_read(j);
    cr_assert_str_eq(jstr(j, "txid"), TX170);
    cr_assert_eq(jint(j, "height"), 170);
    cr_assert_eq(jint(j, "time"), 1231731025);
    cr_assert_eq(jint(j, "fee"), 0);
    outs = cJSON_GetObjectItem(j, "outputs");
    cr_assert_eq(cJSON_GetArraySize(outs), 2);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "value"), 1000000000);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(outs, 0), "address"), "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(outs, 0), "spent_by")));
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 1), "value"), 4000000000);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(outs, 1), "spent_by"), "txid"),
                     "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be");
    in0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "inputs"), 0);
    cr_assert_str_eq(jstr(in0, "prev_txid"), "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9");
    cr_assert_eq(jint(in0, "value"), 5000000000);
    cJSON_Delete(j);
    sl_store_close(s);
}

Test(report, window_errors_and_the_other_reports)
{
    char dir[300];
    sl_store *s = btc_store(dir);
    sl_report_req rq = {.arg = TX170, .limit = 1, .offset = 1};
    sl_error e = {0};
    cJSON *sentinel = cJSON_CreateObject(), *j = sentinel; /* comes back NULL on an error */
    int rc;
    char *t = tx_text(s, &rq, &rc, &e);
    /* the window shows input #1 (there is none) and output #1 only */
    cr_assert_eq(rc, SL_OK, "%s", e.msg);
    cr_assert(!strstr(t, "#0 "), "%s", t);
    cr_assert(strstr(t, "    #1        40.00000000 BTC"), "%s", t);
    free(t);

    rq = (sl_report_req){.arg = "f4184fc5", .limit = 5};
    cr_assert_eq(sl_report_tx_json(s, &j, &rq, &e), SL_EUSAGE);
    cr_assert_null(j);
    cr_assert_str_eq(e.msg, "'f4184fc5' is not a 64-digit hex txid");
    sl_err_clear(&e);
    /* not Bitcoin, and no account chain holds it either */
    rq.arg = "00000000000000000000000000000000000000000000000000000000000000aa";
    cr_assert_eq(sl_report_tx_json(s, &j, &rq, &e), SL_ENOTFOUND);
    cr_assert_null(j);
    cr_assert(strstr(e.msg, "not found in the store"), "%s", e.msg);
    sl_err_clear(&e);

    rq = (sl_report_req){.arg = "170", .limit = 5};
    cr_assert_eq(sl_report_block_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    j = as_read(j);
    cr_assert_str_eq(jstr(j, "hash"), "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee");
    cr_assert_eq(jint(j, "coinbase_value"), 5000000000);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "txids"), 1)), TX170);
    cJSON_Delete(j);

    rq = (sl_report_req){.arg = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", .limit = 5};
    cr_assert_eq(sl_report_address_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    j = as_read(j);
    cr_assert_eq(jint(j, "balance"), 1000000000);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "txs"), 0)), TX170);
    cJSON_Delete(j);

    rq = (sl_report_req){.store_name = dir};
    cr_assert_eq(sl_report_info_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    j = as_read(j);
    cr_assert_str_eq(jstr(j, "store"), dir);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0), "blocks"), 300);
    cJSON_Delete(j);
    cJSON_Delete(sentinel);
    sl_store_close(s);
}

Test(report, account_chain_tx_through_the_library)
{
    char dir[300];
    sl_store *s;
    sl_error e = {0};
    sl_eth_ingest_opts o = {.chain = "ethereum", .quiet = true};
    sl_eth_ingest_report r;
    const char *paths[] = {ETH_FIX};
    sl_report_req rq = {.arg = ETH_TX, .limit = SL_REPORT_LIMIT_DEFAULT};
    cJSON *j, *f0;
    int rc;
    char *t;
    snprintf(dir, sizeof dir, "%s/e", temp_dir());
    cr_assert_eq(sl_store_open(&s, dir, SL_STORE_WRITE, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_ingest_eth(s, paths, 1, &o, &r, &e), SL_OK, "%s", e.msg);
    sl_store_close(s);
    cr_assert_eq(sl_store_open(&s, dir, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_report_tx_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    j = as_read(j);
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cr_assert_eq(jint(j, "block"), 1);
    cr_assert_eq(jint(j, "value"), 100);
    f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "flows"), 0);
    cr_assert_str_eq(jstr(f0, "kind"), "native");
    cr_assert_str_eq(jstr(f0, "to"), "0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1");
    cJSON_Delete(j);
    t = tx_text(s, &rq, &rc, &e);
    cr_assert_eq(rc, SL_OK, "%s", e.msg);
    cr_assert(strstr(t, "  value    0.0000000000000001 ETH\n"), "%s", t);
    cr_assert(strstr(t, "    #0   native   0.0000000000000001 ETH\n"), "%s", t);
    free(t);
    sl_store_close(s);
}

Test(report, the_cli_prints_the_library_text)
{
    char dir[300];
    sl_store *s = btc_store(dir);
    sl_report_req rq = {.arg = TX170, .limit = SL_REPORT_LIMIT_DEFAULT};
    sl_error e = {0};
    int rc;
    char *t = tx_text(s, &rq, &rc, &e);
    run_result r = run_sleuth("tx --store %s " TX170, dir);
    cr_assert_eq(rc, SL_OK, "%s", e.msg);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, t);
    run_free(&r);
    free(t);
    sl_store_close(s);
}
