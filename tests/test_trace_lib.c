/* test_trace_lib.c — the trace as a library (report.h, trace.h, flow.h), with no sleuth
 * process: the hooks the next issues plug into ("is this address an endpoint?" for
 * --stop-at, "what is this address called?" for the reports), the reports written by
 * library code, and the flow view's contract on a hand-made chain.
 *
 * The chain is test_trace.c's (values in satoshi, tags name the p2pkh owners):
 *   C0: coinbase -> A 100;  C1: coinbase -> B 50
 *   T1: [C0:0 100, C1:0 50] -> D 90, E 50; fee 10;  T2: [T1:1 50] -> F 20, G 29; fee 1
 * Forward from C0:0 under haircut: T1 gives D 60, E 33, fee 7; T2 gives F 13, G 19, fee 1.
 * With E an endpoint (a tagged service): E's 33 stop there ("tagged"), T2 is not split:
 * 100 = endpoints 33 + held 60 + fees 7.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/flow.h"
#include "sleuth/report.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"

enum { D = 0xd1, E = 0xe1, F = 0xf1, G = 0x91 }; /* rt_hand_graph's tags */

static char ST[200], C0[65], T1[65];

static void build(void)
{
    static rt_tx tx[6];
    rt_hand_store(ST, sizeof ST, tx);
    sl_hash_hex(C0, &tx[0].txid), sl_hash_hex(T1, &tx[4].txid);
}

TestSuite(trace_lib, .init = build);

/* The hooks' context: the flow set (to name an address) and what they answer. */
typedef struct hook_ctx {
    sl_flow_set *fs;
    const char *endpoint, *named, *name;
    int asked;
} hook_ctx;

static void addr_text(const hook_ctx *h, sl_addr_ref a, char out[SL_FLOW_NAME_MAX])
{
    const sl_flow_view *v = sl_flow_set_chain(h->fs, a.chain);
    cr_assert_not_null(v);
    v->m->addr_name(v, a.id, out);
}

static bool is_endpoint(void *ctx, sl_addr_ref a)
{
    hook_ctx *h = ctx;
    char t[SL_FLOW_NAME_MAX];
    h->asked++;
    addr_text(h, a, t);
    return !strcmp(t, h->endpoint);
}

static bool name_of(void *ctx, sl_addr_ref a, char *out, size_t cap)
{
    hook_ctx *h = ctx;
    char t[SL_FLOW_NAME_MAX];
    addr_text(h, a, t);
    if (strcmp(t, h->named)) return false;
    snprintf(out, cap, "%s", h->name);
    return true;
}

/* The sum of the ends at an address with a status. */
static uint64_t at(const sl_flow_set *fs, const sl_trace_result *r, uint8_t tag, sl_end_reason why)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n_ends; i++) {
        const sl_flow_view *v = sl_flow_set_chain(fs, r->ends[i].chain);
        char t[SL_FLOW_NAME_MAX];
        v->m->addr_name(v, r->ends[i].addr, t);
        if (!strcmp(t, rt_addr(tag)) && r->ends[i].reason == why) sum += (uint64_t)r->ends[i].amount;
    }
    return sum;
}

Test(trace_lib, the_endpoint_hook_stops_the_trace_at_a_tagged_address)
{
    sl_store *s;
    sl_flow_set *fs;
    sl_error e = {0};
    sl_trace_result r;
    sl_trace_params p = {.policy = SL_POLICY_HAIRCUT, .stop_at = "exchange"};
    sl_trace_source src = {.chain = SL_CHAIN_BTC, .kind = SL_SOURCE_TX, .index = 0};
    const sl_flow_view *v;
    hook_ctx h = {0};
    cr_assert_eq(sl_store_open(&s, ST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_open(&fs, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_flow_set_count(fs), 1);
    v = sl_flow_set_chain(fs, SL_CHAIN_BTC);
    cr_assert_str_eq(v->name, "bitcoin", "a regtest chain is still bitcoin");
    cr_assert_eq(v->m->tx_find(v, C0, &src.tx), SL_OK);
    h.fs = fs, h.endpoint = rt_addr(E);
    p.endpoints = (sl_trace_endpoints){is_endpoint, &h, "requested; the test tags E"};
    cr_assert_eq(sl_trace_run(fs, &src, &p, &r, &e), SL_OK, "%s", e.msg);
    cr_assert_gt(h.asked, 0);
    cr_assert_eq(at(fs, &r, E, SL_END_TAGGED), 33);
    cr_assert_eq(at(fs, &r, D, SL_END_HELD), 60);
    cr_assert_eq(at(fs, &r, F, SL_END_HELD) + at(fs, &r, G, SL_END_HELD), 0, "T2 is behind the endpoint");
    cr_assert(r.totals[0].endpoints == 33 && r.totals[0].held == 60 && r.totals[0].fees == 7);
    cr_assert(sl_trace_balanced(&r.totals[0]));
    cr_assert_eq(r.pools_visited, 1);
    sl_trace_free(&r);
    /* no hook: the default names nothing an endpoint, and the trace goes through E */
    p.endpoints = (sl_trace_endpoints){0};
    cr_assert_eq(sl_trace_run(fs, &src, &p, &r, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(at(fs, &r, F, SL_END_HELD), 13);
    cr_assert_eq(at(fs, &r, E, SL_END_TAGGED), 0);
    sl_trace_free(&r);
    sl_flow_set_close(fs);
    sl_store_close(s);
}

/* What a report function writes, as a string (the caller frees it). */
static char *render(const sl_trace_report *rep, int (*fn)(const sl_trace_report *, FILE *, sl_error *))
{
    sl_error e = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(fn(rep, f, &e), SL_OK, "%s", e.msg);
    fclose(f);
    return buf;
}

/* The reports are library code: text and JSON from a request, with the namer hook. */
Test(trace_lib, reports_name_addresses_through_the_namer_hook)
{
    sl_store *s;
    sl_error e = {0};
    sl_trace_report rep;
    sl_trace_req rq = {0};
    hook_ctx h = {0};
    char tx[80], *buf;
    cJSON *j;
    const cJSON *x;
    bool found = false;
    snprintf(tx, sizeof tx, "%s:0", C0);
    cr_assert_eq(sl_store_open(&s, ST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    rq.tx = tx, rq.params.policy = SL_POLICY_HAIRCUT;
    rq.namer = (sl_addr_namer){name_of, &h};
    h.named = rt_addr(D), h.name = "Exchange D";
    cr_assert_eq(sl_report_trace_run(s, &rq, &rep, &e), SL_OK, "%s", e.msg);
    h.fs = rep.fs;
    buf = render(&rep, sl_report_trace_json);
    j = cJSON_Parse(buf);
    cr_assert_not_null(j, "%s", buf);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "endpoints"))
        if (!strcmp(jstr(x, "address"), rt_addr(D))) {
            cr_assert_str_eq(jstr(x, "name"), "Exchange D");
            found = true;
        } else {
            cr_assert(cJSON_IsNull(cJSON_GetObjectItem(x, "name")));
        }
    cr_assert(found);
    cJSON_Delete(j);
    free(buf);
    buf = render(&rep, sl_report_trace_text);
    cr_assert(strstr(buf, " (Exchange D)"), "%s", buf);
    free(buf);
    sl_report_trace_free(&rep);
    sl_store_close(s);
}

/* The request resolves what a person writes: errors say what was wrong, with sl_ codes. */
Test(trace_lib, requests_pass_their_errors_on)
{
    sl_store *s;
    sl_error e = {0};
    sl_trace_report rep;
    sl_trace_req rq = {0};
    char tx[80];
    cr_assert_eq(sl_store_open(&s, ST, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    snprintf(tx, sizeof tx, "%s:5", T1);
    rq.tx = tx;
    cr_assert_eq(sl_report_trace_run(s, &rq, &rep, &e), SL_EUSAGE);
    cr_assert(strstr(e.msg, "out of range"), "%s", e.msg);
    sl_report_trace_free(&rep);
    sl_err_clear(&e);
    rq.tx = "00000000000000000000000000000000000000000000000000000000000000aa";
    cr_assert_eq(sl_report_trace_run(s, &rq, &rep, &e), SL_ENOTFOUND);
    sl_report_trace_free(&rep);
    sl_err_clear(&e);
    rq.tx = "nonsense";
    cr_assert_eq(sl_report_trace_run(s, &rq, &rep, &e), SL_EUSAGE);
    sl_report_trace_free(&rep);
    sl_err_clear(&e);
    rq.tx = T1, rq.asset = "USDT";
    cr_assert_eq(sl_report_trace_run(s, &rq, &rep, &e), SL_EUSAGE, "a Bitcoin chain has one asset");
    sl_report_trace_free(&rep);
    sl_store_close(s);
}

/* A trace that crossed into another asset holds amounts whose base units do not compare
 * (a wei is 10^-18 ETH, a satoshi 10^-8 BTC): ends are ranked by their share of what entered
 * their asset. 588 BTC of 4,502.9 is 13%; 17.5 ETH of 48,100 ETH linked in is 0.04%, though
 * its base units are 10^8 times more. */
Test(trace_lib, ends_of_several_assets_rank_by_their_share_of_the_asset)
{
    sl_trace_totals t[2] = {{.asset = {SL_CHAIN_BTC, 0}, .source = (sl_u128)450290000000ULL},
                            {.asset = {SL_CHAIN_ETHEREUM, 0}, .linked_in = (sl_u128)48100ULL * 1000000000000000000ULL}};
    sl_trace_result r = {.chain = SL_CHAIN_BTC, .totals = t, .n_totals = 2};
    double btc = sl_trace_share(&r, SL_CHAIN_BTC, 0, (sl_u128)58876874554ULL);
    double eth = sl_trace_share(&r, SL_CHAIN_ETHEREUM, 0, (sl_u128)17535181941474428594ULL);
    cr_assert_float_eq(btc, 58876874554.0 / 450290000000.0, 1e-12);
    cr_assert_float_eq(eth, 17535181941474428594.0 / 48100e18, 1e-12);
    cr_assert_gt(btc, eth);
    cr_assert_eq(sl_trace_share(&r, SL_CHAIN_ETHEREUM, 7, 5), 0.0, "an asset the trace never reached has no share");
}
