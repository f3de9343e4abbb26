/* test_ux.c — what a new user trips over, checked through the real `sleuth` binary on the
 * bundled fixtures (tests/data): the version and the help, the source a trace takes, text
 * that fits a 100-column terminal, true dates on Tron, `info` over every chain, one JSON
 * document per command, the Safe verdict of a file with several transactions, and graph
 * exports that carry units, times and status. Suite `ux`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/store.h"
#include "sleuth/text.h"
#include "sleuth/version.h"

/* The first line of text wider than 100 columns (UTF-8 characters), or NULL. */
static const char *wide_line(const char *text, size_t *width)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p), w = sl_text_width_n(p, n);
        if (w > SL_TEXT_COLS) { *width = w; return p; }
        p += n + (nl != NULL);
    }
    return NULL;
}

/* Asserts every line of a command's stdout fits 100 columns. */
static void assert_fits(const run_result *r, const char *what)
{
    size_t w = 0;
    const char *l = wide_line(r->out, &w);
    if (l) cr_assert_fail("%s: a line of %zu columns: %.*s", what, w, (int)strcspn(l, "\n"), l);
}

Test(ux, version_names_release_and_store_format)
{
    run_result r = run_sleuth("--version");
    char want[64];
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(want, sizeof want, "sleuth %s\n", SLEUTH_VERSION);
    cr_assert_eq(strncmp(r.out, want, strlen(want)), 0, "%s", r.out);
    snprintf(want, sizeof want, "store format %d\n", SL_STORE_VERSION);
    cr_assert(strstr(r.out, want), "%s", r.out);
    run_free(&r);
}

Test(ux, help_explains_policies_sources_and_stop_at)
{
    static const char *const cmd[] = {"--help", "trace --help"};
    static const char *const need[] = {"\n    poison ", "\n    haircut ", "\n    fifo ", "\n    lifo ", "\n    tiho ",
                                       "--stop-at", "nothing is tagged", "ALL the outputs"};
    for (size_t i = 0; i < 2; i++) {
        run_result r = run_sleuth("%s", cmd[i]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        for (size_t k = 0; k < sizeof need / sizeof *need; k++)
            cr_assert(strstr(r.out, need[k]), "`sleuth %s` does not say '%s':\n%s", cmd[i], need[k], r.out);
        assert_fits(&r, cmd[i]);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- stores of the fixtures */

#define BLK170_TX "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" /* 10 BTC to Hal, 40 change */
#define TRON_USDT_TX "0x6cd2b19701269f53aa86cf798071a3034fa028a93fbf33f3bcbaed52a1d1f024"
#define TRON_USDT_TX_TRON "6cd2b19701269f53aa86cf798071a3034fa028a93fbf33f3bcbaed52a1d1f024"
#define HAND_SRC_TX "0x000000000000000000000000000000000000000000000000000000000000f002"

/* A fresh store DIR/s filled by `sleuth ingest ARGS` (a shell fragment after the store). */
static const char *ingested(const char *args)
{
    static char buf[8][128];
    static int k;
    char *p = buf[k++ % 8];
    run_result r;
    snprintf(p, 128, "%s/s", temp_dir());
    r = run_sleuth("ingest %s --quiet --store %s", args, p);
    cr_assert_eq(r.status, 0, "ingest %s: %s", args, r.err);
    assert_fits(&r, args); /* the ingest report too */
    run_free(&r);
    return p;
}

static const char *btc_store(void) { return ingested("btc tests/data/btc/consecutive/*.dat"); }
static const char *tron_store(void) { return ingested("tron tests/data/tron"); }
static const char *hand_store(void) { return ingested("eth tests/data/eth/trace/hand_chain.jsonl"); }

/* ---------------------------------------------------------------- the source of a trace */

Test(ux, trace_tx_without_vout_says_it_takes_every_output)
{
    const char *s = btc_store();
    run_result r = run_sleuth("trace --store %s --tx " BLK170_TX, s);
    cJSON *j, *outs;
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "source: all 2 outputs of " BLK170_TX ","), "%s", r.out);
    cr_assert(strstr(r.out, "50.00000000 BTC"), "%s", r.out);
    cr_assert(strstr(r.out, "change included"), "%s", r.out);
    run_free(&r);
    j = sleuth_json("trace --store %s --tx " BLK170_TX " --json", s);
    cr_assert_str_eq(jstr(j, "source_kind"), "all_outputs");
    cr_assert(strstr(jstr(j, "source_description"), "all 2 outputs of " BLK170_TX), "%s", jstr(j, "source_description"));
    outs = cJSON_GetObjectItem(j, "sources"); /* was "source_outputs": one key on every chain */
    cr_assert_eq(cJSON_GetArraySize(outs), 2);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "vout"), 0);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "amount"), 1000000000);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 1), "vout"), 1);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 1), "amount"), 4000000000);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(outs, 1), "to"), "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cJSON_Delete(j);
    /* one output: said as such, and only that one listed */
    j = sleuth_json("trace --store %s --tx " BLK170_TX ":1 --direction backward --json", s);
    cr_assert_str_eq(jstr(j, "source_kind"), "output");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sources")), 1);
    cJSON_Delete(j);
    r = run_sleuth("trace --store %s --tx " BLK170_TX ":1", s);
    cr_assert(strstr(r.out, "source: output 1 of " BLK170_TX ","), "%s", r.out);
    cr_assert(strstr(r.out, "#1         40.00000000 BTC  12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"), "%s", r.out);
    run_free(&r);
    /* an address: how many outputs it received */
    r = run_sleuth("trace --store %s --address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --since 2009-01-10", s);
    cr_assert(strstr(r.out, "source: 5 outputs received by 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S since 2009-01-10"), "%s", r.out);
    run_free(&r);
}

Test(ux, trace_account_tx_names_the_flows_it_takes)
{
    const char *s = tron_store();
    cJSON *j = sleuth_json("trace --store %s --tx " TRON_USDT_TX " --json", s), *f;
    run_result r;
    cr_assert_str_eq(jstr(j, "source_kind"), "tx_flows");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sources")), 1); /* was "source_flows" */
    f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sources"), 0);
    cr_assert_eq(jint(f, "flow"), 0);
    cr_assert_eq(jint(f, "amount"), 1000000000);
    cr_assert_str_eq(jstr(f, "from"), "THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS");
    cr_assert_str_eq(jstr(f, "to"), "TQxGpgxNgDfCDUDxGcotWfMVnZDHLkCZQE");
    cr_assert_eq(jint(j, "asset_decimals"), 6);
    cJSON_Delete(j);
    /* text: in the token's unit (1000000000 base units of USDT are 1000 USDT) */
    r = run_sleuth("trace --store %s --tx " TRON_USDT_TX, s);
    /* the tx as Tron writes it (no 0x), as `sleuth tx` shows it */
    cr_assert(strstr(r.out, "source: the USDT that " TRON_USDT_TX_TRON " moved:"), "%s", r.out);
    cr_assert(strstr(r.out, "1 flow, 1000 USDT"), "%s", r.out);
    run_free(&r);
}

/* ---------------------------------------------------------------- 100 columns */

static const char *const POLICIES[] = {"poison", "haircut", "fifo", "lifo", "tiho"};

/* Every policy, both directions, with a tag request (its note is the longest parameter). */
static void assert_traces_fit(const char *store, const char *source)
{
    for (size_t p = 0; p < 5; p++)
        for (int back = 0; back < 2; back++) {
            run_result r = run_sleuth("trace --store %s %s --policy %s --direction %s --stop-at exchange,mixer", store,
                                      source, POLICIES[p], back ? "backward" : "forward");
            char what[300];
            cr_assert_eq(r.status, 0, "%s %s: %s", source, POLICIES[p], r.err);
            snprintf(what, sizeof what, "trace %s --policy %s%s", source, POLICIES[p], back ? " backward" : "");
            assert_fits(&r, what);
            run_free(&r);
        }
}

Test(ux, text_fits_100_columns_trace, .timeout = 60)
{
    const char *b = btc_store(), *t = tron_store(), *h = hand_store();
    assert_traces_fit(b, "--tx " BLK170_TX);
    assert_traces_fit(b, "--tx " BLK170_TX ":1");
    assert_traces_fit(b, "--address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    assert_traces_fit(t, "--tx " TRON_USDT_TX);
    assert_traces_fit(t, "--address TQxGpgxNgDfCDUDxGcotWfMVnZDHLkCZQE --asset USDT");
    assert_traces_fit(h, "--tx " HAND_SRC_TX);
    assert_traces_fit(h, "--tx 0x000000000000000000000000000000000000000000000000000000000000f005");
}

/* Runs `sleuth CMD --store STORE W` for every word W in words (one shell loop, so hundreds of
 * look-ups stay cheap) and asserts each exits 0 and every line fits 100 columns. */
static void assert_each_fits(const char *store, const char *cmd, char *const *words, size_t n)
{
    char path[256], what[200];
    const char *bin = getenv("SLEUTH_BIN") ? getenv("SLEUTH_BIN") : "build/sleuth";
    FILE *f;
    run_result r;
    snprintf(path, sizeof path, "%s.words", store);
    cr_assert_not_null(f = fopen(path, "w"));
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", words[i]);
    fclose(f);
    r = run_sh("while read w; do %s %s --store %s $w || echo \"EXIT $? for $w\"; done < %s", bin, cmd, store, path);
    if (strstr(r.out, "EXIT ")) cr_assert_fail("%s: %.200s\n%s", cmd, strstr(r.out, "EXIT "), r.err);
    snprintf(what, sizeof what, "%s (%zu runs)", cmd, n);
    assert_fits(&r, what);
    run_free(&r);
}

/* The strings of a JSON array member, copied (freed by words_free). */
static size_t json_words(const cJSON *arr, char **out, size_t cap)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (n < cap && cJSON_IsString(it)) out[n++] = strdup(it->valuestring);
    return n;
}

static void words_free(char **w, size_t n)
{
    for (size_t i = 0; i < n; i++) free(w[i]);
}

/* Adds each named string member of o (e.g. "from", "to", "address") to w, skipping nulls
 * and repeats. */
static size_t add_members(char **w, size_t n, size_t cap, const cJSON *o, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *v = cJSON_GetObjectItem(o, *keys);
        bool seen = false;
        if (!cJSON_IsString(v) || n >= cap || strlen(v->valuestring) < 30) continue; /* not the sinks: burn, fees */
        for (size_t i = 0; i < n && !seen; i++) seen = !strcmp(w[i], v->valuestring);
        if (!seen) w[n++] = strdup(v->valuestring);
    }
    return n;
}

/* block, tx (every tx of the block, or the first max_txs) and address (the addresses of the
 * first 30 txs) on one block of a store, plus info. */
static void assert_lookups_fit(const char *store, const char *block, size_t max_txs, bool account)
{
    static const char *const acct_keys[] = {"from", "to", NULL}, *const out_keys[] = {"address", NULL};
    char *txs[400] = {0}, *addrs[400] = {0}, *one[1] = {(char *)block}, *none[1] = {""};
    size_t nt, na = 0;
    cJSON *b = sleuth_json("block --store %s %s --json", store, block);
    nt = json_words(cJSON_GetObjectItem(b, account ? "tx_hashes" : "txids"), txs, max_txs);
    cJSON_Delete(b);
    for (size_t i = 0; i < nt && i < 30; i++) {
        cJSON *t = sleuth_json("tx --store %s %s --json", store, txs[i]), *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(t, account ? "flows" : "outputs"))
            na = add_members(addrs, na, 400, it, account ? acct_keys : out_keys);
        cJSON_Delete(t);
    }
    assert_each_fits(store, "info", none, 1);
    assert_each_fits(store, "block", one, 1);
    assert_each_fits(store, "tx", txs, nt);
    assert_each_fits(store, "address", addrs, na);
    words_free(txs, nt);
    words_free(addrs, na);
}

Test(ux, text_fits_100_columns_lookups, .timeout = 120)
{
    const char *raw = ingested("btc --prevouts tests/data/btc/prevouts/0866342_*.zst tests/data/btc/blocks/0866342_*.zst");
    const char *b = btc_store(), *t = tron_store(), *e = ingested("eth tests/data/eth/graphsense");
    assert_lookups_fit(b, "170", 400, false);
    assert_lookups_fit(b, "9", 400, false);
    assert_lookups_fit(raw, "866342", 120, false); /* segwit and taproot: 42- and 62-character addresses */
    assert_lookups_fit(e, "18000011", 400, true);
    assert_lookups_fit(t, "50000011", 400, true);
}

Test(ux, every_command_help_fits_100_columns)
{
    static const char *const cmd[] = {"--help", "ingest --help", "ingest eth --help", "info --help", "block --help",
                                      "tx --help", "address --help", "trace --help", "safe --help"};
    for (size_t i = 0; i < sizeof cmd / sizeof *cmd; i++) {
        run_result r = run_sleuth("%s", cmd[i]);
        cr_assert_eq(r.status, 0, "%s: %s", cmd[i], r.err);
        assert_fits(&r, cmd[i]);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- Tron dates */

#define TRON_TIME 1680612831 /* block 50,000,011 */
#define TRON_DATE "2023-04-04 12:53:51 UTC"

Test(ux, tron_shows_its_true_date_never_1970)
{
    const char *s = tron_store(), *late;
    cJSON *j = sleuth_json("tx --store %s " TRON_USDT_TX " --json", s);
    run_result r;
    cr_assert_eq(jint(j, "time"), TRON_TIME);
    cJSON_Delete(j);
    j = sleuth_json("block --store %s 50000011 --json", s);
    cr_assert_eq(jint(j, "time"), TRON_TIME);
    cr_assert_str_eq(jstr(j, "chain"), "tron");
    cr_assert_eq(jint(j, "tx_count"), 293);
    cJSON_Delete(j);
    r = run_sleuth("tx --store %s " TRON_USDT_TX, s);
    cr_assert(strstr(r.out, "50000011  " TRON_DATE), "%s", r.out);
    run_free(&r);
    /* printed without 0x by the look-ups, a Tron hash must work as given */
    r = run_sleuth("tx --store %s %s", s, TRON_USDT_TX + 2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("block --store %s 50000011", s);
    cr_assert(strstr(r.out, "time         " TRON_DATE), "%s", r.out);
    run_free(&r);
    r = run_sleuth("address --store %s THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS", s);
    cr_assert(strstr(r.out, "first seen " TRON_DATE), "%s", r.out);
    cr_assert(strstr(r.out, "-1000 USDT"), "%s", r.out);
    run_free(&r);
    r = run_sleuth("trace --store %s --tx " TRON_USDT_TX, s);
    cr_assert(strstr(r.out, TRON_DATE), "%s", r.out);
    cr_assert_null(strstr(r.out, "1970-01-01"), "%s", r.out);
    run_free(&r);
    /* the transfer logs ingested before their block: the time is unknown, and said so */
    late = ingested("tron tests/data/tron/trx_logs.json.zst tests/data/tron/trx_traces.json.zst");
    r = run_sleuth("address --store %s THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS", late);
    cr_assert_null(strstr(r.out, "1970-01-01"), "%s", r.out);
    cr_assert(strstr(r.out, "first seen time unknown"), "%s", r.out);
    run_free(&r);
}

/* ---------------------------------------------------------------- info */

Test(ux, info_reports_every_chain)
{
    const char *t = tron_store(), *m = btc_store();
    cJSON *j = sleuth_json("info --store %s --json", t), *c;
    run_result r;
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "chains")), 1);
    c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0);
    cr_assert_str_eq(jstr(c, "chain"), "tron");
    cr_assert_eq(jint(c, "blocks"), 1);
    cr_assert_eq(jint(c, "height_min"), 50000011);
    cr_assert_eq(jint(c, "height_max"), 50000011);
    cr_assert_eq(jint(c, "txs"), 293);
    cr_assert_eq(jint(c, "flows"), 271);
    cr_assert_gt(jint(c, "addresses"), 0);
    cr_assert_eq(jint(c, "time_min"), TRON_TIME);
    cr_assert_eq(jint(c, "time_max"), TRON_TIME);
    cr_assert_eq(jint(j, "format_version"), SL_STORE_VERSION);
    cJSON_Delete(j);
    r = run_sleuth("info --store %s", t);
    cr_assert(strstr(r.out, "  tron (account model)\n"), "%s", r.out);
    cr_assert(strstr(r.out, "heights 50000011 to 50000011"), "%s", r.out);
    cr_assert(strstr(r.out, TRON_DATE " to " TRON_DATE), "%s", r.out);
    cr_assert_null(strstr(r.out, "bitcoin"), "a Tron-only store shows no Bitcoin: %s", r.out);
    run_free(&r);
    /* Bitcoin, Ethereum and Tron in one store: all three */
    r = run_sleuth("ingest tron --quiet --store %s tests/data/tron >/dev/null && %s ingest eth --quiet --store %s "
                   "tests/data/eth/graphsense", m, getenv("SLEUTH_BIN") ? getenv("SLEUTH_BIN") : "build/sleuth", m);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("info --store %s --json", m);
    c = cJSON_GetObjectItem(j, "chains");
    cr_assert_eq(cJSON_GetArraySize(c), 3);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(c, 0), "chain"), "bitcoin");
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 0), "height_max"), 599);
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 0), "time_min"), 1231006505); /* the genesis block */
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(c, 1), "chain"), "ethereum");
    cr_assert_eq(jint(cJSON_GetArrayItem(c, 1), "txs"), 117);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(c, 2), "chain"), "tron");
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "btc"), "blocks"), 600, "the btc object stays for programs that read it");
    cJSON_Delete(j);
}

/* ---------------------------------------------------------------- Safe */

#define BYBIT "tests/data/safe/bybit_safe_tx_nonce71.json" /* the attack and a second proposal, both nonce 71 */

Test(ux, safe_file_of_several_transactions_opens_with_one_verdict)
{
    run_result r = run_sleuth("safe verify " BYBIT);
    cJSON *j, *g;
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert_eq(strncmp(r.out, "VERDICT FOR THIS FILE: DO NOT SIGN - 2 transactions", 51), 0, "%.200s", r.out);
    cr_assert(strstr(r.out, "Both transactions are for nonce 71 of Safe 0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4"), "%.600s", r.out);
    cr_assert(strstr(r.out, "only one of"), "%.600s", r.out);
    run_free(&r);
    /* --json: one document, with that verdict and the nonce group */
    r = run_sleuth("safe verify " BYBIT " --json");
    cr_assert_eq(r.status, 3, "%s", r.err);
    j = cJSON_ParseWithOpts(r.out, NULL, 1);
    cr_assert_not_null(j, "not one JSON document: %.300s", r.out);
    cr_assert_str_eq(jstr(j, "verdict"), "critical");
    cr_assert_eq(jint(j, "exit_code"), 3);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "transactions")), 2);
    g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "same_nonce"), 0);
    cr_assert_not_null(g);
    cr_assert_str_eq(jstr(g, "nonce"), "71");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(g, "transactions")), 2);
    cJSON_Delete(j);
    run_free(&r);
    /* --jsonl streams one object per transaction */
    r = run_sleuth("safe verify " BYBIT " --jsonl | wc -l");
    cr_assert_eq(atoi(r.out), 2, "%s", r.out);
    run_free(&r);
}

Test(ux, safe_signatures_say_how_many_count)
{
    /* the second proposal: 3 signatures, 3 required, none by its listed owner */
    run_result r = run_sleuth("safe verify " BYBIT);
    cJSON *j, *t;
    cr_assert(strstr(r.out, "Signatures: 0 of the 3 required are valid for this transaction - NOT ENOUGH (3 given:"),
              "%s", r.out);
    cr_assert(strstr(r.out, "Only 0 of the 3 required signatures are valid for this transaction"), "%s", r.out);
    cr_assert_null(strstr(r.out, "Signatures: 3 (3 required)"), "%s", r.out);
    cr_assert_null(strstr(r.out, "required signatures present"), "%s", r.out);
    /* the first: all three count */
    cr_assert(strstr(r.out, "Signatures: 3 of the 3 required are valid for this transaction (3 given)"), "%s", r.out);
    run_free(&r);
    r = run_sleuth("safe verify " BYBIT " --json");
    j = cJSON_Parse(r.out);
    run_free(&r);
    cr_assert_not_null(j);
    t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "transactions"), 1);
    cr_assert_eq(jint(t, "signatures_given"), 3);
    cr_assert_eq(jint(t, "signatures_valid"), 0);
    cr_assert_eq(jint(t, "signatures_required"), 3);
    cJSON_Delete(j);
}

Test(ux, text_fits_100_columns_safe)
{
    static const char *const f[] = {"admin_add_owner", "benign_eth_transfer", "benign_multisend", "benign_token_transfer",
                                    "bybit_safe_tx_nonce71"};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        run_result r = run_sleuth("safe verify tests/data/safe/%s.json", f[i]);
        cr_assert(r.status == 0 || r.status == 3 || r.status == 4, "%s: %d %s", f[i], r.status, r.err);
        assert_fits(&r, f[i]);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- one JSON document */

/* Asserts stdout of `sleuth ARGS` is exactly one JSON document (whatever the exit code). */
static void assert_one_document(const char *args)
{
    run_result r = run_sleuth("%s", args);
    cJSON *j = cJSON_ParseWithOpts(r.out, NULL, 1);
    cr_assert_not_null(j, "`sleuth %s` (exit %d) is not one JSON document: %.300s", args, r.status, r.out);
    cJSON_Delete(j);
    run_free(&r);
}

Test(ux, every_json_output_is_one_document, .timeout = 60)
{
    const char *b = btc_store(), *t = tron_store(), *h = hand_store(), *d = temp_dir();
    char a[600];
    const char *const cmds[] = {
        "info --store %s --json",
        "block --store %s 170 --json",
        "tx --store %s " BLK170_TX " --json",
        "address --store %s 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --json",
        "trace --store %s --tx " BLK170_TX " --json",
        "trace --store %s --tx " BLK170_TX " --direction backward --policy fifo --json",
        "tx --store %s 00000000000000000000000000000000000000000000000000000000000000aa --json", /* not found */
        "address --store %s 1BitcoinEaterAddressDontSendf59kuE --json",                          /* not found */
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        snprintf(a, sizeof a, cmds[i], b);
        assert_one_document(a);
    }
    snprintf(a, sizeof a, "info --store %s --json", t), assert_one_document(a);
    snprintf(a, sizeof a, "block --store %s 50000011 --json", t), assert_one_document(a);
    snprintf(a, sizeof a, "tx --store %s " TRON_USDT_TX " --json", t), assert_one_document(a);
    snprintf(a, sizeof a, "address --store %s THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS --json", t), assert_one_document(a);
    snprintf(a, sizeof a, "trace --store %s --tx " TRON_USDT_TX " --json", t), assert_one_document(a);
    snprintf(a, sizeof a, "trace --store %s --tx " HAND_SRC_TX " --policy lifo --json", h), assert_one_document(a);
    snprintf(a, sizeof a, "ingest btc --store %s/b tests/data/btc/consecutive/*.dat --json", d), assert_one_document(a);
    snprintf(a, sizeof a, "ingest tron --store %s/t tests/data/tron --json", d), assert_one_document(a);
    snprintf(a, sizeof a, "ingest eth --store %s/e tests/data/eth/trace/hand_chain.jsonl --json", d), assert_one_document(a);
    assert_one_document("safe verify " BYBIT " --json");
    assert_one_document("safe verify tests/data/safe/benign_multisend.json --json");
    assert_one_document("safe verify tests/data/safe/does_not_exist.json --json"); /* the error, as JSON */
}

/* ---------------------------------------------------------------- graph exports */

/* DIR/g.json parsed: it must be one JSON document. */
static cJSON *graph_json(const char *dir)
{
    run_result r = run_sh("cat %s/g.json", dir);
    cJSON *j = cJSON_ParseWithOpts(r.out, NULL, 1);
    cr_assert_not_null(j, "%s/g.json is not one JSON document: %.300s", dir, r.out);
    run_free(&r);
    return j;
}

/* The node (or edge) of a graph JSON array whose member key is val. */
static const cJSON *find_by(const cJSON *arr, const char *key, const char *val)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *v = cJSON_GetObjectItem(it, key);
        if (cJSON_IsString(v) && !strcmp(v->valuestring, val)) return it;
    }
    cr_assert_fail("no %s = %s", key, val);
    return NULL;
}

/* Every node and edge has a status and (where the time is known) a time; GEXF is
 * well-formed XML and declares the attributes it uses. */
static void assert_graph_files(const char *store, const char *args, const char *dir)
{
    static const char *const ext[] = {"json", "gexf", "dot"};
    const cJSON *it;
    cJSON *j;
    run_result r;
    for (int k = 0; k < 3; k++) {
        r = run_sleuth("trace --store %s %s --graph %s/g.%s", store, args, dir, ext[k]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
    }
    j = graph_json(dir);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "nodes")) {
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(it, "status")), "node without status");
        cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(it, "time")), "node without time");
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "edges")) {
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(it, "status")), "edge without status");
        cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(it, "time")), "edge without time");
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(it, "label")), "edge without label");
    }
    cJSON_Delete(j);
    r = run_sh("command -v xmllint >/dev/null && xmllint --noout %s/g.gexf || "
               "(head -c 5 %s/g.gexf | grep -q '<?xml' && tail -1 %s/g.gexf | grep -q '</gexf>')", dir, dir, dir);
    cr_assert_eq(r.status, 0, "GEXF not well-formed: %s", r.err);
    run_free(&r);
    r = run_sh("grep -c '<attribute id=\"status\"' %s/g.gexf", dir);
    cr_assert_eq(atoi(r.out), 2, "status declared for nodes and edges: %s", r.out);
    run_free(&r);
}

Test(ux, graph_exports_carry_units_times_and_status)
{
    const char *b = btc_store(), *t = tron_store(), *d = temp_dir();
    cJSON *j;
    const cJSON *n;
    run_result r;
    assert_graph_files(b, "--tx " BLK170_TX " --max-hops 2", d);
    j = graph_json(d);
    n = find_by(cJSON_GetObjectItem(j, "nodes"), "id", "a:1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"); /* Hal's 10 BTC */
    cr_assert_str_eq(jstr(n, "status"), "held");
    cr_assert_eq(jint(n, "time"), 1231731025);
    cr_assert_str_eq(jstr(n, "amount_label"), "10 BTC");
    cr_assert_str_eq(jstr(find_by(cJSON_GetObjectItem(j, "nodes"), "id", BLK170_TX), "status"), "source");
    n = find_by(cJSON_GetObjectItem(j, "edges"), "target", "a:12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cr_assert_str_eq(jstr(n, "status"), "endpoint:max-hops");
    cr_assert_str_eq(jstr(n, "label"), "29 BTC");
    cr_assert_eq(jint(n, "amount"), 2900000000);
    cJSON_Delete(j);
    r = run_sh("grep -c 'label=\"40 BTC' %s/g.dot %s/g.gexf", d, d);
    cr_assert(strstr(r.out, "g.dot:1") && strstr(r.out, "g.gexf:1"), "%s", r.out);
    run_free(&r);
    /* an account chain: the token's unit and decimals */
    assert_graph_files(t, "--tx " TRON_USDT_TX, d);
    j = graph_json(d);
    n = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "edges"), 0);
    cr_assert_str_eq(jstr(n, "label"), "1000 USDT");
    cr_assert_eq(jint(n, "time"), TRON_TIME);
    cr_assert_str_eq(jstr(n, "status"), "held");
    cr_assert_str_eq(jstr(find_by(cJSON_GetObjectItem(j, "nodes"), "id", "THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS"), "status"), "source");
    cJSON_Delete(j);
    /* backward, and the hand-checked account chain: still well-formed, every field there */
    assert_graph_files(b, "--tx " BLK170_TX ":1 --direction backward", d);
    assert_graph_files(hand_store(), "--tx " HAND_SRC_TX " --policy fifo", d);
}

Test(ux, stop_at_takes_a_comma_list_and_refuses_typos)
{
    const char *s = btc_store();
    static const char *const bad[] = {"'exchange, mixer'", "exchange,,mixer", "Exchange", "''", "exchange,"};
    run_result r = run_sleuth("trace --store %s --tx " BLK170_TX " --stop-at exchange,mixing_service", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* the ingest made the store's tag db (the incident library): said, whatever it holds */
    cr_assert(strstr(r.out, "stop at: exchange,mixing_service (addresses tagged exchange,mixing_service end the trace") ||
                  strstr(r.out, "stop at: exchange,mixing_service (requested; the store has no tag db"),
              "%s", r.out);
    run_free(&r);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = run_sleuth("trace --store %s --tx " BLK170_TX " --stop-at %s", s, bad[i]);
        cr_assert_eq(r.status, 2, "--stop-at %s: exit %d", bad[i], r.status);
        cr_assert(strstr(r.err, "--stop-at takes tag categories"), "%s", r.err);
        run_free(&r);
    }
}
