/* report.h — what sleuth shows a person or a program about a store, written once for
 * every front end (the `sleuth` command today, the HTTP server next). This first part:
 * the formatting primitives the reports are built from — JSON members that keep integers
 * exact (digits, never doubles; 256-bit amounts as strings above 2^53), times in UTC,
 * coin amounts in the coin's unit, and printf lines word-wrapped to SL_TEXT_COLS.
 *
 * Threads: the primitives keep no state; the eth ones read a chain handle and follow the
 * store's rules (include/sleuth/store.h: one thread at a time per handle).
 */
#ifndef SLEUTH_REPORT_H
#define SLEUTH_REPORT_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/err.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"

/* ---------------- formatting primitives (src/report/fmt.c) ---------------- */

/* Adds key: v to obj as an exact JSON integer and returns the new member, NULL when out
 * of memory (obj is then left without it). The member is a cJSON_Raw item holding the
 * digits (never a double, so no integer above 2^53 is rounded): it is exact when printed
 * (cJSON_Print*); code that reads the tree itself finds the digits in valuestring. The
 * same holds for the integers of every report's document. */
cJSON *sl_json_u64(cJSON *obj, const char *key, uint64_t v);
/* As sl_json_u64 when known, else key: null. */
cJSON *sl_json_u64_or_null(cJSON *obj, const char *key, uint64_t v, bool known);
/* key: "s" (copied), or key: null when s is NULL. NULL when out of memory. */
cJSON *sl_json_str_or_null(cJSON *obj, const char *key, const char *s);
/* An exact 256-bit amount as a new item: a JSON integer below 2^53 (exact in every JSON
 * reader), else its decimal digits as a string. The caller owns it; NULL when out of
 * memory. */
cJSON *sl_json_u256_item(const sl_u256 *v);
/* Adds key: v (as sl_json_u256_item) to obj; returns the member or NULL. */
cJSON *sl_json_u256(cJSON *obj, const char *key, const sl_u256 *v);
/* Adds key: a - b (as sl_json_u256_item, with a '-' when b > a) to obj: a balance from
 * what was received (a) and sent (b). Returns the member or NULL. */
cJSON *sl_json_u256_diff(cJSON *obj, const char *key, const sl_u256 *a, const sl_u256 *b);

/* "2009-01-12 03:30:25 UTC" for a unix time; "time unknown" for 0 (a block whose input
 * gave no time: never 1970), "time out of range" past what gmtime can say. 64-bit, so no
 * time is cut to 32 bits. */
void sl_fmt_time(char out[32], uint64_t t);
/* A satoshi amount in coins with all eight decimals: "50.00000000". */
void sl_fmt_coins(char out[32], uint64_t sat);
/* The coin-unit decimal of an amount given as its base-unit digits: the decimal point put
 * `decimals` places from the right and the trailing zeros of the fraction dropped ("1.5"
 * from "150000000" and 8); decimals 0 (or 96 and more) leaves the digits. out holds cap
 * bytes and is always terminated. */
void sl_fmt_decimal(char *out, size_t cap, const char *digits, unsigned decimals);
/* "1.5 BTC"-style label of an amount v in base units: decimals >= 0 gives the coin unit
 * and sym; decimals < 0 (a token whose decimals are unknown) gives "N base units of sym". */
void sl_fmt_amount(char out[140], const sl_u256 *v, int decimals, const char *sym);
/* Decimals of an asset of account chain c: the native coin's (asset 0), a bundled token's,
 * or -1 when unknown (a token outside the bundled list, sl_eth_token_find). */
int sl_fmt_eth_decimals(const sl_eth_chain *c, uint32_t asset);
/* An amount of an asset of c in its coin unit with its symbol ("0.25 ETH", "1000 USDT"),
 * or "N base units of 0xCONTRACT" when its decimals are unknown (sl_fmt_amount). */
void sl_fmt_eth_amount(char out[140], const sl_eth_chain *c, uint32_t asset, const sl_u256 *v);
/* printf to f, word-wrapped to SL_TEXT_COLS columns by sl_buf_wrap (sleuth/text.h): the
 * spacing of the text is kept while it fits, further lines start with hang spaces; ends
 * with a '\n'. Returns SL_OK, SL_ENOMEM (nothing written), or SL_EIO (the write failed:
 * ferror(f)). A caller writing many lines may instead check ferror(f) and
 * sl_alloc_failures() once at the end, as the reports do. */
int sl_fmt_wrapf(FILE *f, size_t hang, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sl_fmt_vwrapf(FILE *f, size_t hang, const char *fmt, va_list ap);

#endif
