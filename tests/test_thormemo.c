/* test_thormemo.c — the THORChain memo parser (src/laundering/thormemo.c) on every example
 * and every function of ../shared/data/tags/thorchain/THORCHAIN_MEMO_SPEC.md (copied here:
 * tests do not read ../shared), the memos the generated world writes, and malformed ones:
 * each asserts the fields read, or that the memo is refused with a reason.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sleuth/xchain.h"

static sl_thor_memo parse_ok(const char *s)
{
    sl_thor_memo m;
    sl_error e = {0};
    int rc = sl_thor_memo_parse(s, strlen(s), &m, &e);
    cr_assert_eq(rc, SL_OK, "'%s': %s", s, e.msg);
    return m;
}

static void parse_bad(const char *s, const char *why)
{
    sl_thor_memo m;
    sl_error e = {0};
    int rc = sl_thor_memo_parse(s, strlen(s), &m, &e);
    cr_assert_eq(rc, SL_ECORRUPT, "'%s' parsed", s);
    cr_assert_eq(m.type, SL_THOR_INVALID);
    cr_assert(strstr(e.msg, why), "'%s': '%s' lacks '%s'", s, e.msg, why);
}

#define DEST_ETH "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0"
#define TXID "4E1B3F5A77B8E4C2B0D9A1E3C5F7091B2D4F6A8C0E2B4D6F8A0C2E4B6D8F0A1C"

Test(thormemo, the_specs_swap_examples)
{
    sl_thor_memo m = parse_ok("=:BTC.BTC:bc1q...");
    cr_assert_eq(m.type, SL_THOR_SWAP);
    cr_assert_str_eq(m.function, "=");
    cr_assert_str_eq(m.asset, "BTC.BTC");
    cr_assert_str_eq(m.asset_chain, "BTC");
    cr_assert_str_eq(m.asset_symbol, "BTC");
    cr_assert_str_eq(m.asset_contract, "");
    cr_assert_str_eq(m.dest, "bc1q...");
    cr_assert_str_eq(m.limit, "");

    m = parse_ok("SWAP:ETH.ETH:0xe6a3...:10000000/3/0:t:10");
    cr_assert_eq(m.type, SL_THOR_SWAP);
    cr_assert_str_eq(m.asset, "ETH.ETH");
    cr_assert_str_eq(m.dest, "0xe6a3...");
    cr_assert_str_eq(m.limit, "10000000");
    cr_assert_eq(m.interval, 3);
    cr_assert_eq(m.quantity, 0);
    cr_assert_str_eq(m.affiliate, "t");
    cr_assert_eq(m.fee_bps, 10);
    cr_assert_eq(m.n_affiliates, 1);

    m = parse_ok("=:e:0xe6a3...:1e6/3/0:t:10"); /* shortened asset */
    cr_assert_str_eq(m.asset, "ETH.ETH");
    cr_assert_str_eq(m.asset_chain, "ETH");
    cr_assert_str_eq(m.limit, "1e6");
    cr_assert_eq(m.interval, 3);

    m = parse_ok("=:ETH.USDT:dx:100e7:t:10"); /* THORName as destination, fuzzy token */
    cr_assert_str_eq(m.asset, "ETH.USDT");
    cr_assert_str_eq(m.asset_symbol, "USDT");
    cr_assert_str_eq(m.dest, "dx");
    cr_assert_str_eq(m.limit, "100e7");
}

Test(thormemo, every_shortened_asset_and_asset_notation)
{
    static const char *const S[][2] = {
        {"r", "THOR.RUNE"}, {"a", "AVAX.AVAX"}, {"b", "BTC.BTC"}, {"c", "BCH.BCH"}, {"e", "ETH.ETH"},
        {"g", "GAIA.ATOM"}, {"n", "BNB.BNB"},   {"s", "BSC.BNB"}, {"d", "DOGE.DOGE"}, {"l", "LTC.LTC"},
        {"E", "ETH.ETH"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof S / sizeof *S; i++) {
        snprintf(buf, sizeof buf, "s:%s:addr", S[i][0]);
        sl_thor_memo m = parse_ok(buf);
        cr_assert_str_eq(m.asset, S[i][1], "%s", S[i][0]);
    }
    sl_thor_memo m = parse_ok("=:ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7:" DEST_ETH ":0");
    cr_assert_str_eq(m.asset_chain, "ETH");
    cr_assert_str_eq(m.asset_symbol, "USDT");
    cr_assert_str_eq(m.asset_contract, "0XDAC17F958D2EE523A2206206994597C13D831EC7");
    cr_assert_str_eq(m.dest, DEST_ETH);
    cr_assert_str_eq(m.limit, "0");
    m = parse_ok("=:eth.usdt-ec7:" DEST_ETH); /* short contract suffix, lower case */
    cr_assert_str_eq(m.asset, "ETH.USDT-EC7");
    cr_assert_str_eq(m.asset_contract, "EC7");
    m = parse_ok("=:BTC/BTC:thor1abc"); /* synth */
    cr_assert_str_eq(m.asset_chain, "BTC");
    cr_assert_str_eq(m.asset, "BTC/BTC");
    m = parse_ok("=:BTC~BTC:thor1abc"); /* trade asset */
    cr_assert_str_eq(m.asset, "BTC~BTC");
    m = parse_ok("=:BTC-BTC:thor1abc"); /* secured asset */
    cr_assert_str_eq(m.asset_chain, "BTC");
    cr_assert_str_eq(m.asset_symbol, "BTC");
    cr_assert_str_eq(m.asset_contract, "");
    m = parse_ok("=:THOR.RUJI:thor1abc");
    cr_assert_str_eq(m.asset_chain, "THOR");
}

Test(thormemo, swap_parameters_refund_affiliates_limit_swap_and_aggregator)
{
    sl_thor_memo m = parse_ok("=:BTC.BTC:bc1qdest/0xrefund00:5000/10/4:t/dx:10/20");
    cr_assert_str_eq(m.dest, "bc1qdest");
    cr_assert_str_eq(m.refund, "0xrefund00");
    cr_assert_str_eq(m.limit, "5000");
    cr_assert_eq(m.interval, 10);
    cr_assert_eq(m.quantity, 4);
    cr_assert_str_eq(m.affiliate, "t/dx");
    cr_assert_eq(m.n_affiliates, 2);
    cr_assert_eq(m.fee_bps, 30);
    m = parse_ok("=:b:bc1qdest::t/dx:15"); /* one fee for every affiliate */
    cr_assert_eq(m.fee_bps, 30);
    cr_assert_str_eq(m.limit, "");
    m = parse_ok("=<:ETH.ETH:" DEST_ETH ":1e8"); /* limit swap */
    cr_assert_eq(m.type, SL_THOR_SWAP);
    cr_assert_str_eq(m.function, "=<");
    m = parse_ok("SWAP:ETH.ETH:" DEST_ETH ":0:t:0:0x69ba883af416ff5501d54d5e27a1f497fbd97156:"
                 "0x6b175474e89094c44da98b954eedeac495271d0f:1e18"); /* aggregator */
    cr_assert_str_eq(m.aggregator, "0x69ba883af416ff5501d54d5e27a1f497fbd97156");
    cr_assert_str_eq(m.final_asset, "0x6b175474e89094c44da98b954eedeac495271d0f");
    cr_assert_str_eq(m.min_out, "1e18");
    m = parse_ok("=:ETH.ETH:" DEST_ETH ":0/1/0");
    cr_assert_eq(m.interval, 1);
    cr_assert_eq(m.quantity, 0);
    m = parse_ok("=:ETH.ETH:" DEST_ETH "|0xdeadbeef"); /* passthrough */
    cr_assert_str_eq(m.dest, DEST_ETH);
    cr_assert_str_eq(m.passthrough, "0xdeadbeef");
    m = parse_ok("=:e:|data:with:colons");
    cr_assert_str_eq(m.dest, "");
    cr_assert_str_eq(m.passthrough, "data:with:colons");
}

Test(thormemo, function_names_are_matched_without_regard_to_case)
{
    static const char *const SWAPS[] = {"swap", "SWAP", "Swap", "s", "S", "="};
    char buf[96];
    for (size_t i = 0; i < 6; i++) {
        snprintf(buf, sizeof buf, "%s:ETH.ETH:%s", SWAPS[i], DEST_ETH);
        cr_assert_eq(parse_ok(buf).type, SL_THOR_SWAP, "%s", SWAPS[i]);
    }
    cr_assert_eq(parse_ok("out:" TXID).type, SL_THOR_OUT);
    cr_assert_eq(parse_ok("ReFuNd:" TXID).type, SL_THOR_REFUND);
}

Test(thormemo, out_and_refund_name_the_inbound_txid)
{
    const char *lower = "4e1b3f5a77b8e4c2b0d9a1e3c5f7091b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c";
    sl_thor_memo m = parse_ok("OUT:" TXID);
    cr_assert_eq(m.type, SL_THOR_OUT);
    cr_assert_str_eq(m.txid, lower);
    m = parse_ok("OUT:0x" TXID);
    cr_assert_str_eq(m.txid, lower);
    m = parse_ok("REFUND:" TXID);
    cr_assert_eq(m.type, SL_THOR_REFUND);
    cr_assert_str_eq(m.txid, lower);
    parse_bad("OUT:" TXID "0", "64 hex");
    parse_bad("OUT:4E1B", "64 hex");
    parse_bad("OUT:", "64 hex");
    parse_bad("OUT:" TXID ":extra", "64 hex");
    parse_bad("REFUND:ZZ1B3F5A77B8E4C2B0D9A1E3C5F7091B2D4F6A8C0E2B4D6F8A0C2E4B6D8F0A1C", "64 hex");
}

Test(thormemo, every_other_function_of_the_spec)
{
    sl_thor_memo m = parse_ok("ADD:BTC.BTC:thor1paired:t:5");
    cr_assert_eq(m.type, SL_THOR_ADD);
    cr_assert_str_eq(m.asset, "BTC.BTC");
    cr_assert_str_eq(m.dest, "thor1paired");
    cr_assert_eq(m.fee_bps, 5);
    m = parse_ok("WITHDRAW:BTC.BTC:10000");
    cr_assert_eq(m.type, SL_THOR_WITHDRAW);
    cr_assert_eq(m.bps, 10000);
    m = parse_ok("-:b:5000:BTC.BTC");
    cr_assert_eq(m.bps, 5000);
    m = parse_ok("LIMITO:ETH.ETH:" DEST_ETH ":1e9");
    cr_assert_eq(m.type, SL_THOR_LIMIT_ORDER);
    cr_assert_str_eq(m.limit, "1e9");
    m = parse_ok("BOND:thor1node:thor1provider:100");
    cr_assert_eq(m.type, SL_THOR_BOND);
    cr_assert_str_eq(m.dest, "thor1node");
    m = parse_ok("$+:BTC.BTC:bc1qdest:1000");
    cr_assert_eq(m.type, SL_THOR_LOAN_OPEN);
    cr_assert_str_eq(m.dest, "bc1qdest");
    m = parse_ok("TRADE+:thor1owner");
    cr_assert_eq(m.type, SL_THOR_TRADE_ADD);
    cr_assert_str_eq(m.dest, "thor1owner");
    m = parse_ok("NAME:dx:BTC:bc1qdest");
    cr_assert_eq(m.type, SL_THOR_NAME);
    cr_assert_str_eq(m.asset_chain, "BTC");
    cr_assert_str_eq(m.dest, "bc1qdest");
    static const struct { const char *memo; sl_thor_type type; } TYPES[] = {
        {"a:b", SL_THOR_ADD},
        {"+:ETH.ETH", SL_THOR_ADD},
        {"wd:e:100", SL_THOR_WITHDRAW},
        {"lo:b:bc1q:1", SL_THOR_LIMIT_ORDER},
        {"DONATE:BTC.BTC", SL_THOR_DONATE},
        {"d:e", SL_THOR_DONATE},
        {"RESERVE", SL_THOR_RESERVE},
        {"UNBOND:thor1node:100000000", SL_THOR_UNBOND},
        {"LEAVE:thor1node", SL_THOR_LEAVE},
        {"loan+:b:bc1qdest", SL_THOR_LOAN_OPEN},
        {"$-:BTC.BTC:bc1qdest", SL_THOR_LOAN_REPAY},
        {"LOAN-:b:bc1qdest:0", SL_THOR_LOAN_REPAY},
        {"trade-:bc1qdest", SL_THOR_TRADE_WITHDRAW},
        {"~:dx:ETH:" DEST_ETH ":thor1owner:ETH.ETH:100", SL_THOR_NAME},
        {"n:dx:ETH:" DEST_ETH, SL_THOR_NAME},
    };
    for (size_t i = 0; i < sizeof TYPES / sizeof *TYPES; i++)
        cr_assert_eq(parse_ok(TYPES[i].memo).type, TYPES[i].type, "%s", TYPES[i].memo);
    static const char *const INTERNAL[] = {"MIGRATE:1234567", "RAGNAROK:1234567", "CONSOLIDATE", "NOOP",
                                           "YGGDRASIL+:1234", "YGGDRASIL-:1234", "SWITCH:thor1x"};
    for (size_t i = 0; i < 7; i++) cr_assert_eq(parse_ok(INTERNAL[i]).type, SL_THOR_INTERNAL, "%s", INTERNAL[i]);
    static const char *const OTHER[] = {"POOL+", "POOL-:10000:t:0", "TCY:thor1x", "REBOND:thor1a:thor1b"};
    for (size_t i = 0; i < 4; i++) cr_assert_eq(parse_ok(OTHER[i]).type, SL_THOR_OTHER, "%s", OTHER[i]);
}

Test(thormemo, the_250_byte_cap_and_malformed_memos)
{
    char buf[300];
    sl_thor_memo m;
    sl_error e = {0};
    /* a swap whose passthrough brings it to exactly 250 bytes parses; 251 does not */
    int n = snprintf(buf, sizeof buf, "=:ETH.ETH:%s:0|", DEST_ETH);
    memset(buf + n, 'p', sizeof buf - (size_t)n);
    cr_assert_eq(sl_thor_memo_parse(buf, 250, &m, &e), SL_OK, "%s", e.msg);
    cr_assert_str_eq(m.dest, DEST_ETH);
    cr_assert_eq(strlen(m.passthrough), sizeof m.passthrough - 1);
    cr_assert_eq(sl_thor_memo_parse(buf, 251, &m, &e), SL_ECORRUPT);
    cr_assert(strstr(e.msg, "longer than 250"), "%s", e.msg);
    /* the length is the caller's: no NUL needed, and none read past it */
    cr_assert_eq(sl_thor_memo_parse("OUT:" TXID "junk", 68, &m, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(m.type, SL_THOR_OUT);

    parse_bad("", "empty");
    parse_bad("hello world", "not a THORChain function");
    parse_bad("SWAPX:ETH.ETH:" DEST_ETH, "not a THORChain function");
    parse_bad("=", "no asset");
    parse_bad("=::" DEST_ETH, "no asset");
    parse_bad("=:ETH:" DEST_ETH, "bad asset");          /* no separator */
    parse_bad("=:.ETH:" DEST_ETH, "bad asset");         /* no chain */
    parse_bad("=:ETH.:" DEST_ETH, "bad asset");         /* no symbol */
    parse_bad("=:ETH.USDT-:" DEST_ETH, "bad asset");    /* empty contract */
    parse_bad("=:ETH.ETH:0xa b", "bad destination");    /* blank in an address */
    parse_bad("=:ETH.ETH:a/b/c", "bad destination");    /* two refund addresses */
    parse_bad("=:ETH.ETH:" DEST_ETH ":12x", "bad trade limit");
    parse_bad("=:ETH.ETH:" DEST_ETH ":1e", "bad trade limit");
    parse_bad("=:ETH.ETH:" DEST_ETH ":1/2/3/4", "bad trade limit");
    parse_bad("=:ETH.ETH:" DEST_ETH ":1/x/0", "bad trade limit");
    parse_bad("=:ETH.ETH:" DEST_ETH ":1/99999999999/0", "bad trade limit");
    parse_bad("=:ETH.ETH:" DEST_ETH ":0:t:1001", "bad affiliate"); /* fee above 1000 bps */
    parse_bad("=:ETH.ETH:" DEST_ETH ":0:t/dx/x:1/2", "bad affiliate"); /* 3 affiliates, 2 fees */
    parse_bad("=:ETH.ETH:" DEST_ETH ":0:a/b/c/d/e/f:1", "bad affiliate"); /* more than 5 */
    parse_bad("=:ETH.ETH:" DEST_ETH ":0::10", "bad affiliate");    /* a fee for nobody */
    parse_bad("=:ETH.ETH:" DEST_ETH ":0:t:1:0xagg:0xtok:min", "aggregator minimum");
    parse_bad("=:ETH.ETH:" DEST_ETH ":0:t:1:0xagg:0xtok:1:extra", "too many");
    parse_bad("WITHDRAW:BTC.BTC:10001", "basis points");
    parse_bad("WITHDRAW::100", "bad pool");
    parse_bad("DONATE", "bad pool");
    parse_bad("RESERVE:x", "no parameters");
    parse_bad("TRADE+", "one address");
    parse_bad("NAME:dx:BTC", "bad address");
    parse_bad("=:ETH.ETH:" DEST_ETH "\x01", "not printable");
    parse_bad("=:e:" DEST_ETH "\n", "not printable");
    parse_bad("=:e:d:0:a:1:b:c:1:x:y:z:w", "too many parameters");
}
