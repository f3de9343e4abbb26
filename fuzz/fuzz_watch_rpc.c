/* fuzz_watch_rpc.c — libFuzzer target for what the watcher parses from a node and from an
 * API client (src/watch/rpc.c, watchdb.c): a JSON-RPC answer body (wrpc_parse_answer),
 * then its result read as every shape the follower expects — a block hash (Core's reversed
 * hex, EVM's 0x hex), a block number (number or hex quantity), a raw block (getblock
 * verbosity 0 hex), an eth_getBlockByNumber object's "hash" — and as a watchlist entry
 * (sl_watch_spec_from_json), and the bytes as a --min-amount decimal. Any input must give a
 * value or a clear error: never a crash, a leak or undefined behaviour. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error e = {0};
    cJSON *res = NULL;
    char text[128];
    unsigned __int128 v;
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = 0;
    (void)wdb_amount_parse(text, 8, &v);
    (void)wdb_amount_parse(text, 18, &v);
    (void)wdb_u128_parse(text, &v);
    if (wrpc_parse_answer((const char *)data, size, "fuzz", &res, &e) == SL_OK) {
        sl_hash256 h;
        uint64_t q;
        uint8_t *raw = NULL;
        size_t len;
        sl_watch_spec spec;
        sl_error e2 = {0};
        (void)wrpc_hash(res, true, &h, "fuzz", &e2);
        (void)wrpc_hash(res, false, &h, "fuzz", &e2);
        (void)wrpc_hash(cJSON_GetObjectItemCaseSensitive(res, "hash"), false, &h, "fuzz", &e2);
        (void)wrpc_quantity(res, &q, "fuzz", &e2);
        if (wrpc_block_hex(res, &raw, &len, "fuzz", &e2) == SL_OK) sl_free(raw);
        (void)sl_watch_spec_from_json(res, &spec, &e2);
        cJSON_Delete(res);
    }
    return 0;
}
