/* test_incident.c — the incident report (sleuth/incident.h) and `sleuth incident`.
 *
 * The renderers are tested on a detect result built here by hand (so the numbers are known
 * to the base unit): tests/data/incident/incidents.yaml's made-up "test-heist-2026", 4502.9
 * BTC stolen on 2024-05-31 (tx 7 on chain 1), then 4000 + 500 BTC dispersed (fan-out that
 * day, rapid hops without an amount, a peel chain the next), 1000 BTC swapped to 18500 ETH through THORChain on 06-02,
 * 2000 BTC still dormant, 49,950,000 USDT cashed out at an OTC desk on 06-05; the trace
 * ends at address 21 (held: 1000 BTC since 06-01 and 500 BTC since 06-03, summed as one
 * row with 2 pieces), at address 5 (an exchange whose tag label carries <script> and a
 * URL: the HTML must escape it) and at address 30 on Ethereum (held 18500 ETH). The CLI is
 * tested on stores that do not hold the incidents' chains (the library's records still
 * print, "not in the store" per chain) and with an incident list imported into the store.
 * Chromium, when installed, opens the HTML headless and the numbers of its DOM are matched
 * to the JSON document.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/incident.h"
#include "sleuth/util.h"
#include "sleuth/version.h"

#define INC_YAML "tests/data/incident/incidents.yaml"
#define BAD_YAML "tests/data/incident/bad-incidents.yaml"
#define LINK_ETH "tests/data/link/bybit_phemex.jsonl"
#define BTC(x) ((sl_u128)(x) * 100000000u)
#define D0 1717156800u /* 2024-05-31 12:00:00 UTC */
#define DAY 86400u

/* ---- a namer without a store ---- */

static void n_addr(void *ctx, sl_addr_ref a, char out[SL_FLOW_NAME_MAX])
{
    (void)ctx;
    snprintf(out, SL_FLOW_NAME_MAX, "%s-addr-%u", a.chain == 1 ? "bcrt1q" : "0xabc", a.id);
}
static void n_tx(void *ctx, sl_tx_ref t, char out[SL_FLOW_NAME_MAX])
{
    (void)ctx;
    snprintf(out, SL_FLOW_NAME_MAX, "tx-%u-%llu", t.chain, (unsigned long long)t.id);
}
static uint64_t n_tx_time(void *ctx, sl_tx_ref t)
{
    (void)ctx;
    return t.chain == 1 && t.id == 7 ? D0 - 3600 : 0;
}
static void n_asset(void *ctx, uint16_t chain, uint32_t asset, sl_flow_asset *a)
{
    (void)ctx;
    memset(a, 0, sizeof *a);
    if (chain == 1) snprintf(a->symbol, sizeof a->symbol, "BTC"), a->decimals = 8;
    else if (asset == 0) snprintf(a->symbol, sizeof a->symbol, "ETH"), a->decimals = 18;
    else snprintf(a->symbol, sizeof a->symbol, "USDT"), a->decimals = 6;
}
static void n_tag(void *ctx, sl_addr_ref a, char *label, char *category)
{
    (void)ctx;
    label[0] = category[0] = 0;
    if (a.chain == 1 && a.id == 5)
        snprintf(label, 160, "<script>alert(\"x\")</script> Exch & Co https://evil.example/x"), snprintf(category, 64, "exchange");
}
static const sl_incident_namer NAMER = {NULL, n_addr, n_tx, n_tx_time, n_asset, n_tag};

/* The hand-made result (static memory: the report must not free it, see done()). */
static sl_addr_ref F0_ADDRS[2] = {{1, 11}, {1, 12}};
static sl_finding FINDINGS[] = {
    {SL_DET_FANOUT, SL_STAGE_DISPERSAL, 0.9, "fan-out: >= 5 fresh outputs", "outputs=10", F0_ADDRS, 2, NULL, 0,
     {1, 0, BTC(4000)}, D0, D0},
    {SL_DET_RAPID, SL_STAGE_DISPERSAL, 0.6, "rapid-hops", "hops=4", F0_ADDRS, 2, NULL, 0, {0, 0, 0}, D0, D0},
    {SL_DET_PEEL, SL_STAGE_DISPERSAL, 0.7, "peel-chain", "hops=3", NULL, 0, NULL, 0, {1, 0, BTC(500)}, D0 + DAY, D0 + DAY},
    {SL_DET_THOR_SWAP, SL_STAGE_SWAP, 1.0, "thorchain-swap: matched", "memo==:ETH.ETH", NULL, 0, NULL, 0,
     {1, 0, BTC(1000)}, D0 + 2 * DAY, D0 + 2 * DAY},
    {SL_DET_DEX_SWAP, SL_STAGE_SWAP, 1.0, "dex-swap", "pool=0x..", NULL, 0, NULL, 0,
     {16, 0, (sl_u128)18500 * 1000000000000000000u}, D0 + 2 * DAY, D0 + 2 * DAY},
    {SL_DET_STILL_DORMANT, SL_STAGE_DORMANCY, 0.8, "still-dormant: idle >= 30 days", "days=200", NULL, 0, NULL, 0,
     {1, 0, BTC(2000)}, D0 + DAY, D0 + DAY},
    {SL_DET_OTC, SL_STAGE_CASHOUT, 0.9, "otc", "desk tag", NULL, 0, NULL, 0, {16, 1, (sl_u128)49950000 * 1000000u},
     D0 + 5 * DAY, D0 + 5 * DAY},
};
static sl_suspect SUSPECTS[] = {
    {{1, 11}, 0.9, "received 44% of the loot through fan-out; no service tag", {1, 0, BTC(2000)}, D0},
    {{1, 5}, 0.2, "an exchange's address", {1, 0, BTC(200)}, D0 + DAY},
};
static sl_trace_end ENDS[] = {
    {BTC(1000), 0, 0, D0 + DAY, -1, 21, 0, 2, 1, SL_END_HELD},
    {BTC(200), 0, 0, D0 + DAY, -1, 5, 0, 1, 1, SL_END_TAGGED},
    {BTC(500), 0, 0, D0 + 3 * DAY, -1, 21, 0, 4, 1, SL_END_HELD},
    {(sl_u128)18500 * 1000000000000000000u, 0, 0, D0 + 2 * DAY, -1, 30, 0, 3, 16, SL_END_HELD},
};
static sl_det_amount LOOT[] = {{1, 0, BTC(4502) + 90000000u}};
static sl_trace_source SRC[] = {{1, SL_SOURCE_TX, 7, -1, 0, 0, false}};

static void build(sl_incident_report *rep)
{
    sl_incident_list l;
    sl_error e = {0};
    const sl_incident *in;
    sl_detect_result r = {0};
    sl_trace_result tr = {0};
    static sl_trace_result TR[1];
    sl_detect_input din = {SRC, 1, "incident test-heist-2026"};
    sl_incident_chain ch[3] = {{.name = "btc", .network = "regtest", .id = 1, .state = SL_INC_CHAIN_TRACED,
                                .in_record = true, .times = true, .time_min = D0 - 86400 * 10, .time_max = D0 + 86400 * 9,
                                .blocks = 321},
                               {.name = "ethereum", .network = "ethereum", .id = 16, .state = SL_INC_CHAIN_NO_SOURCE,
                                .in_record = true, .times = true, .time_min = D0, .time_max = D0 + 86400 * 9, .blocks = 99},
                               {.name = "sui", .state = SL_INC_CHAIN_UNKNOWN, .in_record = true}};
    cr_assert_eq(sl_incidents_read(INC_YAML, &l, &e), SL_OK, "%s", e.msg);
    cr_assert((in = sl_incident_find(&l, "test-heist-2026")));
    tr.chain = 1, tr.ends = ENDS, tr.n_ends = sizeof ENDS / sizeof *ENDS;
    TR[0] = tr;
    r.traces = TR, r.n_traces = 1;
    r.findings = FINDINGS, r.n_findings = sizeof FINDINGS / sizeof *FINDINGS;
    r.suspects = SUSPECTS, r.n_suspects = 2;
    r.loot = LOOT, r.n_loot = 1;
    r.tip_time = D0 + 9 * DAY;
    sl_detect_params p;
    sl_detect_params_default(&p);
    cr_assert_eq(sl_incident_report_build(rep, &l, in, INC_YAML, &din, &r, NULL, &p, ch, 3, &NAMER, &e), SL_OK, "%s",
                 e.msg);
    cr_assert_eq(l.n, 0, "the list moved into the report");
}

/* The result's memory is this file's static data: not the report's to free. */
static void done(sl_incident_report *rep)
{
    rep->traced = false;
    sl_incident_report_free(rep);
}

/* The report's JSON as a reader gets it: printed and parsed (exact integers are raw items until printed). */
static cJSON *json_of(const sl_incident_report *rep)
{
    cJSON *j = sl_incident_report_json(rep), *p;
    char *t;
    cr_assert(j);
    t = cJSON_PrintUnformatted(j);
    cr_assert(t);
    p = cJSON_Parse(t);
    cr_assert(p, "the document does not parse: %.200s", t);
    free(t);
    cJSON_Delete(j);
    return p;
}

static char *render(int (*fn)(FILE *, const sl_incident_report *), const sl_incident_report *rep)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    cr_assert_eq(fn(f, rep), SL_OK);
    fclose(f);
    return buf;
}

/* An amount member as its digits: a JSON integer below 2^53, else a string (docs/JSON.md). */
static const char *amt(const cJSON *o)
{
    static char buf[8][48];
    static int k;
    const cJSON *v = cJSON_GetObjectItem(o, "amount");
    cr_assert(v, "no amount");
    if (cJSON_IsString(v)) return v->valuestring;
    cr_assert(cJSON_IsNumber(v) && v->valuedouble < 9007199254740992.0, "amount neither a string nor an exact integer");
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%.0f", v->valuedouble);
    return buf[k];
}

static const cJSON *stage_of(const cJSON *j, const char *stage, const char *asset)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "stages"))
        if (!strcmp(jstr(x, "stage"), stage) && !strcmp(jstr(x, "asset"), asset)) return x;
    return NULL;
}

Test(incident, stages_days_ends_exact)
{
    sl_incident_report rep;
    build(&rep);
    cJSON *j = json_of(&rep);
    cr_assert(j);
    /* theft from the loot at the source tx's time; dispersal 4000 + 500; swap per asset */
    const cJSON *t = stage_of(j, "theft", "BTC"), *d = stage_of(j, "dispersal", "BTC"),
                *sb = stage_of(j, "swap-bridge", "BTC"), *se = stage_of(j, "swap-bridge", "ETH"),
                *dm = stage_of(j, "dormancy", "BTC"), *co = stage_of(j, "cash-out", "USDT");
    cr_assert(t && d && sb && se && dm && co);
    cr_assert_str_eq(amt(t), "450290000000");
    cr_assert_str_eq(jstr(t, "text"), "4502.9 BTC");
    cr_assert_eq(jint(t, "time_first"), D0 - 3600);
    cr_assert_str_eq(amt(d), "450000000000");
    cr_assert_eq(jint(d, "findings"), 3, "fan-out, peel chain and the rapid hops without an amount");
    cr_assert_str_eq(amt(sb), "100000000000");
    cr_assert_str_eq(amt(se), "18500000000000000000000");
    cr_assert_str_eq(jstr(se, "chain"), "ethereum");
    cr_assert_str_eq(jstr(co, "text"), "49950000 USDT");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "stages")), 6);
    /* by day: 05-31 theft + dispersal, 06-01 dispersal + dormancy, 06-02 two swaps, 06-05 cash-out */
    const cJSON *days = cJSON_GetObjectItem(j, "by_day"), *x;
    cr_assert_eq(cJSON_GetArraySize(days), 7);
    x = cJSON_GetArrayItem(days, 0);
    cr_assert_str_eq(jstr(x, "day"), "2024-05-31");
    cr_assert_str_eq(jstr(x, "stage"), "theft");
    x = cJSON_GetArrayItem(days, 6);
    cr_assert_str_eq(jstr(x, "day"), "2024-06-05");
    cr_assert_str_eq(amt(x), "49950000000000");
    /* held: address 21 once, 1500 BTC in 2 pieces, since the earlier arrival */
    const cJSON *held = cJSON_GetObjectItem(j, "held"), *ends = cJSON_GetObjectItem(j, "endpoints");
    cr_assert_eq(cJSON_GetArraySize(held), 2);
    x = cJSON_GetArrayItem(held, 0);
    cr_assert_str_eq(jstr(x, "address"), "bcrt1q-addr-21");
    cr_assert_str_eq(amt(x), "150000000000");
    cr_assert_eq(jint(x, "pieces"), 2);
    cr_assert_eq(jint(x, "since"), D0 + DAY);
    cr_assert_eq(cJSON_GetArraySize(ends), 1);
    x = cJSON_GetArrayItem(ends, 0);
    cr_assert_str_eq(jstr(x, "reason"), "tagged");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(x, "tag"), "category"), "exchange");
    /* the record, chains, what reproduces it */
    const cJSON *inc = cJSON_GetObjectItem(j, "incident");
    cr_assert_str_eq(jstr(inc, "id"), "test-heist-2026");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(inc, "attack"), "route_in"), "A fake recruiter; see https://example.org/route?a=1&b=2");
    cr_assert_str_eq(jstr(j, "sleuth_version"), SLEUTH_VERSION);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "params"), "policy"), "haircut");
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 2);
    cr_assert_str_eq(jstr(x, "chain"), "sui");
    cr_assert_str_eq(jstr(x, "state"), "unknown-chain");
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0);
    cr_assert_eq(jint(x, "first_block_time"), D0 - 86400 * 10);
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 1);
    cr_assert_str_eq(jstr(x, "state"), "reached", "no source on ethereum, but the swap and the OTC are there");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 7);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 1), "amount")));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "suspects")), 2);
    char path[512];
    sl_incident_path(&rep, path, sizeof path);
    cr_assert_str_eq(path, "dispersal 4500 BTC (btc); swap-bridge 1000 BTC (btc), 18500 ETH (ethereum); "
                           "dormancy 2000 BTC (btc); cash-out 49950000 USDT (ethereum)");
    cJSON_Delete(j);
    done(&rep);
}

/* Every amount of the JSON is in the text, on the line of its stage / address. */
Test(incident, text_agrees_with_json)
{
    sl_incident_report rep;
    build(&rep);
    cJSON *j = json_of(&rep), *x;
    char *text = render(sl_incident_report_text, &rep);
    size_t n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "stages")) {
        char want[256];
        bool found = false;
        snprintf(want, sizeof want, "%s", jstr(x, "text"));
        for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
            size_t len = strcspn(line, "\n");
            char *l = strndup(line, len);
            if (len > 2 && !strncmp(l + 2, jstr(x, "stage"), strlen(jstr(x, "stage"))) && strstr(l, want) && strstr(l, jstr(x, "chain")))
                found = true;
            free(l);
        }
        cr_assert(found, "stage %s %s not in the text:\n%s", jstr(x, "stage"), want, text);
        n++;
    }
    cr_assert_eq(n, 6);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "held")) {
        const char *at = strstr(text, jstr(x, "address"));
        cr_assert(at, "held %s not in the text:\n%s", jstr(x, "address"), text);
        char *line = strndup(at, strcspn(at, "\n"));
        cr_assert(strstr(line, jstr(x, "text")) && strstr(line, jstr(x, "address")[0] == 'b' ? "2024-06-01 12:00" : "2024-06-02 12:00"),
                  "held line: %s", line);
        free(line);
    }
    for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        cr_assert_leq(strcspn(line, "\n"), 100, "a line wider than 100 columns: %.*s", (int)strcspn(line, "\n"), line);
    cr_assert(strstr(text, "Reproduce: sleuth " SLEUTH_VERSION "; policy haircut"));
    free(text);
    cJSON_Delete(j);
    done(&rep);
}

/* No URL in any tag of the page (attributes): http appears only in text, escaped. */
static void assert_no_url_in_tags(const char *h)
{
    bool in_tag = false;
    for (const char *p = h; *p; p++) {
        if (*p == '<') in_tag = true;
        else if (*p == '>') in_tag = false;
        else if (in_tag)
            cr_assert(strncasecmp(p, "http://", 7) && strncasecmp(p, "https://", 8) && strncmp(p, "//", 2),
                      "a URL inside a tag at offset %ld: %.60s", (long)(p - h), p);
    }
    cr_assert(!strstr(h, "<script"), "a script element");
    cr_assert(!strstr(h, "<link"), "a link element");
    cr_assert(!strstr(h, "<img"), "an img element");
    cr_assert(!strstr(h, "href="), "an href");
    cr_assert(!strstr(h, "src="), "a src attribute");
    cr_assert(!strstr(h, "url("), "a CSS url()");
    cr_assert(!strstr(h, "@import"), "a CSS import");
}

/* The amount of each data-k cell of a page (or a dumped DOM), for a key. */
static bool cell_has(const char *h, const char *key, const char *text)
{
    char want[512];
    snprintf(want, sizeof want, "data-k=\"%s\">%s</td>", key, text);
    return strstr(h, want) != NULL;
}

static void assert_cells_match_json(const char *h, const cJSON *j, size_t want)
{
    const cJSON *x;
    char key[256];
    size_t n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "stages")) {
        snprintf(key, sizeof key, "stage:%s:%s:%s", jstr(x, "stage"), jstr(x, "chain"), jstr(x, "asset"));
        cr_assert(cell_has(h, key, jstr(x, "text")), "no cell %s = %s", key, jstr(x, "text"));
        n++;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "by_day")) {
        snprintf(key, sizeof key, "day:%s:%s:%s:%s", jstr(x, "day"), jstr(x, "stage"), jstr(x, "chain"), jstr(x, "asset"));
        cr_assert(cell_has(h, key, jstr(x, "text")), "no cell %s = %s", key, jstr(x, "text"));
        n++;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "held")) {
        snprintf(key, sizeof key, "held:%s:%s:%s", jstr(x, "address"), jstr(x, "chain"), jstr(x, "asset"));
        cr_assert(cell_has(h, key, jstr(x, "text")), "no cell %s = %s", key, jstr(x, "text"));
        n++;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "loot")) {
        snprintf(key, sizeof key, "loot:theft:%s:%s", jstr(x, "chain"), jstr(x, "asset"));
        cr_assert(cell_has(h, key, jstr(x, "text")), "no cell %s = %s", key, jstr(x, "text"));
        n++;
    }
    if (want) cr_assert_eq(n, want);
}

Test(incident, html_self_contained_escaped)
{
    sl_incident_report rep;
    build(&rep);
    cJSON *j = json_of(&rep);
    char *h = render(sl_incident_report_html, &rep);
    assert_no_url_in_tags(h);
    /* the user's strings are escaped, the URLs shown as text */
    cr_assert(strstr(h, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Exch &amp; Co https://evil.example/x"));
    cr_assert(strstr(h, "Test &lt;Heist&gt; &amp; Co"));
    cr_assert(strstr(h, "A tampered withdrawal request &lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_assert(strstr(h, "https://example.org/route?a=1&amp;b=2"));
    cr_assert(strstr(h, "Content-Security-Policy"));
    /* two charts per asset with stages (BTC, ETH, USDT): timeline and flow */
    size_t svgs = 0;
    for (const char *p = h; (p = strstr(p, "<svg")); p++) svgs++;
    cr_assert_eq(svgs, 6);
    assert_cells_match_json(h, j, 6 + 7 + 2 + 1);
    free(h);
    cJSON_Delete(j);
    done(&rep);
}

/* Chromium opens the page without a request or an error, and its DOM shows the JSON's numbers. */
Test(incident, html_in_chromium, .timeout = 120)
{
    const char *bin = access("/usr/bin/chromium", X_OK) == 0 ? "/usr/bin/chromium" : NULL;
    if (!bin) {
        cr_skip_test("/usr/bin/chromium is not installed (apt-get install -y chromium): the HTML was checked as text only");
        return;
    }
    sl_incident_report rep;
    build(&rep);
    cJSON *j = json_of(&rep);
    const char *d = temp_dir(), *page = path_in(d, "report.html");
    FILE *f = fopen(page, "w");
    cr_assert(f);
    cr_assert_eq(sl_incident_report_html(f, &rep), SL_OK);
    fclose(f);
    run_result r = run_sh("HOME=%s /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
                          "--user-data-dir=%s/prof --disable-background-networking --dump-dom file://%s",
                          d, d, page);
    cr_assert_eq(r.status, 0, "chromium failed: %s", r.err);
    cr_assert(strstr(r.out, "<h1>Incident report: Test &lt;Heist&gt; &amp; Co"), "DOM:\n%.400s\nerr: %s", r.out, r.err);
    cr_assert(!strstr(r.err, "Uncaught"), "a script error: %s", r.err);
    assert_cells_match_json(r.out, j, 6 + 7 + 2 + 1);
    run_free(&r);
    cJSON_Delete(j);
    done(&rep);
}

Test(incident, compare_rows)
{
    sl_incident_report a, b;
    build(&a);
    build(&b);
    cJSON *j = sl_incident_compare_json(&a, &b);
    const cJSON *rows = cJSON_GetObjectItem(j, "rows");
    const char *fields[] = {"date", "route in", "loss", "method", "laundering path", "aftermath"};
    cr_assert_eq(cJSON_GetArraySize(rows), 6);
    for (int i = 0; i < 6; i++) cr_assert_str_eq(jstr(cJSON_GetArrayItem(rows, i), "field"), fields[i]);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "values"), 0)->valuestring,
                     "2026-01-02");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 2), "values"), 1)->valuestring,
                     "4502.9 BTC (304000000 USD)");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 4), "values"), 0)->valuestring,
                     "traced: dispersal 4500 BTC (btc); swap-bridge 1000 BTC (btc), 18500 ETH (ethereum); "
                     "dormancy 2000 BTC (btc); cash-out 49950000 USDT (ethereum)");
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    cr_assert_eq(sl_incident_compare_text(f, &a, &b), SL_OK);
    fclose(f);
    cr_assert(strstr(text, "laundering path traced: dispersal 4500 BTC (btc);   "), "%s", text);
    for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        cr_assert_leq(strcspn(line, "\n"), 100, "a line wider than 100 columns: %.*s", (int)strcspn(line, "\n"), line);
    free(text);
    cJSON_Delete(j);
    done(&a);
    done(&b);
}

/* ---- the command ---- */

/* The library's records on a store without their chains: the record, "not in the store". */
Test(incident, library_record_on_a_store_without_its_chain)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/s " LINK_ETH, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("incident report --store %s/s dmm-bitcoin-2024 --json", d), *x;
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(j, "incident"), "id"), "dmm-bitcoin-2024");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "incident"), "attribution"), "actor"), "lazarusgroup");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "traced")));
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0);
    cr_assert_str_eq(jstr(x, "chain"), "btc");
    cr_assert_str_eq(jstr(x, "state"), "not-in-store");
    x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 1);
    cr_assert_str_eq(jstr(x, "chain"), "ethereum");
    cr_assert(!cJSON_IsTrue(cJSON_GetObjectItem(x, "in_record")));
    cr_assert_eq(jint(x, "first_block_time"), 1737633611, "the fixture's first block");
    cJSON_Delete(j);
    r = run_sleuth("incident report --store %s/s dmm-bitcoin-2024 --html %s/dmm.html", d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "  btc         not in the store\n"), "%s", r.out);
    cr_assert(strstr(r.out, "Not traced: "), "%s", r.out);
    cr_assert(strstr(r.out, "4502.9 BTC (304000000 USD)"), "%s", r.out);
    run_free(&r);
    r = run_sh("grep -c 'not in the store' %s/dmm.html", d);
    cr_assert_eq(atoi(r.out), 1, "%s", r.out);
    run_free(&r);
    /* a store folder with no blocks at all, and compare */
    r = run_sleuth("incident compare --store %s dmm-bitcoin-2024 bybit-2025", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "date            2024-05-31                                2025-02-21\n"), "%s", r.out);
    run_free(&r);
    r = run_sleuth("incident report --store %s no-such-incident", d);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no incident 'no-such-incident'"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("incident report --store %s/missing dmm-bitcoin-2024", d);
    cr_assert_eq(r.status, 1);
    run_free(&r);
}

/* An incident list imported into the store: validated, kept, found after the library. */
Test(incident, store_incident_list)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("tags import --store %s/s " BAD_YAML, d);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "id: missing"), "%s", r.err);
    run_free(&r);
    r = run_sh("ls %s/s/knowledge/incidents.d 2>/dev/null | wc -l", d);
    cr_assert_eq(atoi(r.out), 0, "a bad list copies nothing");
    run_free(&r);
    r = run_sleuth("tags import --store %s/s " INC_YAML, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "incidents, 1 incident"), "%s", r.out);
    run_free(&r);
    r = run_sh("cmp " INC_YAML " %s/s/knowledge/incidents.d/test-heist-2026.yaml", d);
    cr_assert_eq(r.status, 0, "the list is kept byte for byte");
    run_free(&r);
    cJSON *j = sleuth_json("incident report --store %s/s test-heist-2026 --json", d);
    const cJSON *inc = cJSON_GetObjectItem(j, "incident");
    cr_assert_str_eq(jstr(inc, "name"), "Test <Heist> & Co");
    cr_assert(strstr(jstr(inc, "from"), "/knowledge/incidents.d/test-heist-2026.yaml"));
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 2), "state"), "unknown-chain");
    cJSON_Delete(j);
    /* the library first: a library id is found there whatever the store holds */
    sl_incident_list l;
    const sl_incident *in;
    char from[512];
    sl_error e = {0};
    cr_assert_eq(sl_incident_lookup(path_in(d, "s"), "Bybit", &l, &in, from, sizeof from, &e), SL_OK, "%s", e.msg);
    cr_assert_str_eq(in->id, "bybit-2025");
    cr_assert(strstr(from, "data/incidents/incidents.yaml"));
    sl_incident_list_free(&l);
    cr_assert_eq(sl_incident_lookup(path_in(d, "s"), "test <heist> & co", &l, &in, from, sizeof from, &e), SL_OK);
    cr_assert_str_eq(in->id, "test-heist-2026");
    sl_incident_list_free(&l);
    cr_assert_eq(sl_incident_lookup(NULL, "test-heist-2026", &l, &in, from, sizeof from, &e), SL_ENOTFOUND);
    /* the list: the library's, then the store's own, each saying where it is from */
    j = sleuth_json("incidents --store %s/s --json", d);
    const cJSON *x, *list = cJSON_GetObjectItem(j, "incidents");
    size_t lib = 0, own = 0;
    cJSON_ArrayForEach(x, list) {
        if (!strcmp(jstr(x, "origin"), "store")) {
            own++;
            cr_assert_str_eq(jstr(x, "id"), "test-heist-2026");
        } else {
            cr_assert_str_eq(jstr(x, "origin"), "library");
            cr_assert_eq(own, 0, "the library first");
            lib++;
        }
    }
    cr_assert_eq(own, 1);
    cr_assert(lib >= 3);
    cJSON_Delete(j);
    r = run_sleuth("incidents --store %s/s", d);
    cr_assert(strstr(r.out, "test-heist-2026") && strstr(r.out, "(1 of them this store's own"), "%s", r.out);
    run_free(&r);
}

/* A generated world end to end (when `sleuth gen` is built in this checkout): the report of
 * its incident, found in the store's list, is traced; its loot is truth.json's to the
 * satoshi; the HTML shows the JSON's numbers and loads nothing. */
Test(incident, generated_world_end_to_end, .timeout = 300)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("gen world --recipe dmm --seed 1 --out %s/w", d);
    if (r.status != 0) {
        run_free(&r);
        cr_skip_test("sleuth gen is not built in this checkout: no generated world to report on");
        return;
    }
    run_free(&r);
    r = run_sh("%s ingest btc --network regtest --quiet --store %s/s %s/w/btc && %s ingest eth --quiet --store %s/s "
               "--chain ethereum %s/w/eth && %s ingest tron --quiet --store %s/s %s/w/tron && "
               "%s tags import --store %s/s %s/w/tags/*.yaml %s/w/incidents.yaml",
               sleuth_bin(), d, d, sleuth_bin(), d, d, sleuth_bin(), d, d, sleuth_bin(), d, d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *truth = NULL, *j;
    r = run_sh("cat %s/w/truth.json", d);
    cr_assert((truth = cJSON_Parse(r.out)));
    run_free(&r);
    const char *id = jstr(truth, "incident");
    j = sleuth_json("incident report --store %s/s %s --json --html %s/r.html", d, id, d);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "traced")), "not traced: %s", jstr(j, "not_traced_why"));
    const cJSON *loot = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "loot"), 0),
                *tl = cJSON_GetArrayItem(cJSON_GetObjectItem(truth, "loot"), 0);
    cr_assert_str_eq(amt(loot), jstr(tl, "amount"));
    cr_assert_str_eq(jstr(loot, "asset"), jstr(tl, "asset"));
    cr_assert_str_eq(amt(stage_of(j, "theft", jstr(tl, "asset"))), jstr(tl, "amount"));
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "chains"), 0), "state"), "traced");
    cr_assert(strstr(jstr(cJSON_GetObjectItem(j, "incident"), "from"), "incidents.d/"));
    r = run_sh("cat %s/r.html", d);
    assert_no_url_in_tags(r.out);
    assert_cells_match_json(r.out, j, 0);
    run_free(&r);
    r = run_sleuth("incident report --store %s/s %s", d, id);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (char *line = r.out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        cr_assert_leq(strcspn(line, "\n"), 100, "a line wider than 100 columns: %.*s", (int)strcspn(line, "\n"), line);
    run_free(&r);
    cJSON_Delete(j);
    cJSON_Delete(truth);
}
