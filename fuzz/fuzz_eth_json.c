/* fuzz_eth_json.c — libFuzzer target for the Ethereum-family JSON / CSV readers and the
 * flow builder: any bytes must give records or a located error, never a crash, a leak or
 * undefined behaviour. The first byte picks JSON or CSV and the chain (Tron or not). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_eth_set s;
    sl_eth_model m;
    sl_error e = {0};
    int rc;
    if (size < 1) return 0;
    sl_eth_set_init(&s, sl_eth_chain_by_name(data[0] & 2 ? "tron" : "ethereum"));
    if (data[0] & 1) rc = sl_eth_parse_csv(&s, "fuzz.csv", (const char *)data + 1, size - 1, &e);
    else rc = sl_eth_parse_json(&s, "fuzz.json", (const char *)data + 1, size - 1, &e);
    if (!rc && sl_eth_model_build(&m, &s, &e) == 0) sl_eth_model_free(&m);
    sl_eth_set_free(&s);
    return 0;
}
