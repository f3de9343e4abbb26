/* fuzz_rlp.c — libFuzzer target for the RLP decoder and the raw-transaction hasher: any
 * bytes give an item or a located error; decoded items stay inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "sleuth/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_rlp it;
    sl_hash256 h;
    sl_error e = {0};
    sl_cursor c = sl_cursor_make(data, size);
    if (sl_rlp_decode(&it, data, size, &e) == 0 && (it.p < data || it.p + it.len > data + size)) abort();
    while (sl_cur_left(&c) && sl_rlp_next(&c, &it, &e) == 0)
        if (it.p < data || it.p + it.len > data + size) abort();
    (void)sl_eth_raw_tx_hash(&h, data, size, &e);
    return 0;
}
