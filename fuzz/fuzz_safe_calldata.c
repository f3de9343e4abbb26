/* fuzz_safe_calldata.c — libFuzzer target for the Safe calldata decoder and the rules
 * that walk its output. The first byte picks the operation (call/delegatecall), the rest
 * is calldata; the decoded tree is walked by sl_safe_verify and rendered as text and JSON,
 * so every pointer the decoder hands out is dereferenced under ASan.
 *   clang -g -O1 -fsanitize=fuzzer,address -Iinclude -Isrc fuzz/fuzz_safe_calldata.c \
 *         src/safe/\*.c src/crypto/keccak.c src/util/\*.c -lcjson -lsecp256k1 -lnettle -lzstd
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/safe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_safe_tx tx;
    sl_safe_opts o;
    sl_safe_report r;
    sl_safe_call c;
    sl_error e = {0};
    sl_buf b = {0};
    uint8_t *copy;
    if (size < 1)
        return 0;
    /* an exact-size heap copy, so ASan sees any read past the calldata */
    copy = malloc(size - 1 ? size - 1 : 1);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);

    if (sl_safe_decode(&c, data[0] & 1, &(sl_safe_addr){{0}}, &(sl_safe_u256){{0}}, copy, size - 1) == SL_OK)
        sl_safe_call_free(&c);

    memset(&tx, 0, sizeof tx);
    memset(&o, 0, sizeof o);
    tx.operation = data[0] & 1;
    tx.to.b[19] = 0x42;
    tx.data = copy;
    tx.data_len = size - 1;
    tx.confirmations_required = -1;
    if (sl_safe_verify(&r, &tx, &o, &e) == SL_OK) {
        if (sl_safe_report_text(&b, &r, &tx) != SL_OK || sl_safe_report_json(&b, &r, &tx) != SL_OK)
            abort();
        sl_safe_report_free(&r);
    }
    sl_buf_free(&b);
    free(copy);
    return 0;
}
