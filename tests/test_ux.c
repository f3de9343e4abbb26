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
    outs = cJSON_GetObjectItem(j, "source_outputs");
    cr_assert_eq(cJSON_GetArraySize(outs), 2);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "vout"), 0);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "amount"), 1000000000);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 1), "vout"), 1);
    cr_assert_eq(jint(cJSON_GetArrayItem(outs, 1), "amount"), 4000000000);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(outs, 1), "address"), "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    cJSON_Delete(j);
    /* one output: said as such, and only that one listed */
    j = sleuth_json("trace --store %s --tx " BLK170_TX ":1 --direction backward --json", s);
    cr_assert_str_eq(jstr(j, "source_kind"), "output");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "source_outputs")), 1);
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
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "source_flows")), 1);
    f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "source_flows"), 0);
    cr_assert_eq(jint(f, "flow"), 0);
    cr_assert_eq(jint(f, "amount"), 1000000000);
    cr_assert_str_eq(jstr(f, "from"), "THBqSe5AF7g8QR8WZYdECL2gP4kH3rb4oS");
    cr_assert_str_eq(jstr(f, "to"), "TQxGpgxNgDfCDUDxGcotWfMVnZDHLkCZQE");
    cr_assert_eq(jint(j, "asset_decimals"), 6);
    cJSON_Delete(j);
    /* text: in the token's unit (1000000000 base units of USDT are 1000 USDT) */
    r = run_sleuth("trace --store %s --tx " TRON_USDT_TX, s);
    cr_assert(strstr(r.out, "source: the USDT that " TRON_USDT_TX " moved:"), "%s", r.out);
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
