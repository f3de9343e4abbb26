/* fuzz_thormemo.c — libFuzzer target for the THORChain memo parser (sl_thor_memo_parse,
 * src/laundering/thormemo.c). The input is copied into an exactly-sized heap buffer with
 * no NUL after it (the parser takes a length: ASan sees any read past it) and parsed.
 * Properties: no crash or sanitizer report; the status is SL_OK or SL_ECORRUPT, and
 * SL_ECORRUPT leaves type SL_THOR_INVALID with a message; more than 250 bytes never
 * parses; every text field is NUL-terminated inside its array; OUT/REFUND carry 64
 * lower-case hex digits; a swap's asset has its chain before the separator; the
 * function is matched without regard to case (the input with its function upper-cased
 * gives the same type and fields); a parsed swap written back as
 * `=:ASSET:DEST[/REFUND]:LIM[/INTERVAL/QUANTITY]` parses to the same asset, destination,
 * refund address, limit and streaming parameters.
 * Seeds: fuzz/corpus/thormemo.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/xchain.h"

static void terminated(const char *s, size_t cap)
{
    if (!memchr(s, 0, cap)) abort();
}

static int parse(const uint8_t *data, size_t size, sl_thor_memo *m)
{
    char *buf = malloc(size ? size : 1);
    sl_error e = {0};
    if (!buf) abort();
    if (size) memcpy(buf, data, size);
    int rc = sl_thor_memo_parse(buf, size, m, &e);
    free(buf);
    if (rc != SL_OK && rc != SL_ECORRUPT) abort();
    if (rc == SL_ECORRUPT && (m->type != SL_THOR_INVALID || !e.msg[0])) abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_thor_memo m, m2;
    int rc = parse(data, size, &m);
    if (rc != SL_OK) return 0;
    if (size > 250 || m.type == SL_THOR_INVALID) abort();
    terminated(m.function, sizeof m.function), terminated(m.asset, sizeof m.asset);
    terminated(m.asset_chain, sizeof m.asset_chain), terminated(m.asset_symbol, sizeof m.asset_symbol);
    terminated(m.asset_contract, sizeof m.asset_contract), terminated(m.dest, sizeof m.dest);
    terminated(m.refund, sizeof m.refund), terminated(m.limit, sizeof m.limit);
    terminated(m.affiliate, sizeof m.affiliate), terminated(m.txid, sizeof m.txid);
    terminated(m.passthrough, sizeof m.passthrough), terminated(m.aggregator, sizeof m.aggregator);
    terminated(m.final_asset, sizeof m.final_asset), terminated(m.min_out, sizeof m.min_out);
    if (m.type == SL_THOR_OUT || m.type == SL_THOR_REFUND) {
        if (strlen(m.txid) != 64) abort();
        for (int i = 0; i < 64; i++)
            if (!isxdigit((unsigned char)m.txid[i]) || isupper((unsigned char)m.txid[i])) abort();
    }
    if (m.type == SL_THOR_SWAP && (!m.asset_chain[0] || strncmp(m.asset, m.asset_chain, strlen(m.asset_chain)))) abort();

    /* the function upper-cased: same result */
    uint8_t *up = malloc(size);
    if (!up) abort();
    memcpy(up, data, size);
    for (size_t i = 0; i < size && up[i] != ':' && up[i] != '|'; i++) up[i] = (uint8_t)toupper(up[i]);
    if (parse(up, size, &m2) != SL_OK || m2.type != m.type || strcmp(m2.asset, m.asset) || strcmp(m2.dest, m.dest) ||
        strcmp(m2.txid, m.txid))
        abort();
    free(up);

    if (m.type == SL_THOR_SWAP) {
        char again[600];
        int n = snprintf(again, sizeof again, "=:%s:%s%s%s:%s", m.asset, m.dest, m.refund[0] ? "/" : "", m.refund, m.limit);
        if (m.interval || m.quantity) n += snprintf(again + n, sizeof again - (size_t)n, "/%u/%u", m.interval, m.quantity);
        if ((size_t)n <= 250) {
            if (parse((const uint8_t *)again, (size_t)n, &m2) != SL_OK) abort();
            if (strcmp(m2.asset, m.asset) || strcmp(m2.dest, m.dest) || strcmp(m2.refund, m.refund) ||
                strcmp(m2.limit, m.limit) || m2.interval != m.interval || m2.quantity != m.quantity)
                abort();
        }
    }
    return 0;
}
