/* fuzz_annot.c — libFuzzer target for the readers of what a transaction carries
 * (src/store/annot_parse.c): the ABI string decoder of THORChain router event data
 * (sl_annot_abi_string at every data word), the OP_RETURN payload reader and the OUT:/REFUND:
 * ref reader. A decoded string must lie inside the data; a payload is never longer than its
 * script; a ref is "" or 64 lower-case hex digits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/annot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *s;
    size_t n;
    bool is;
    uint8_t *out = malloc(size + 1);
    char *memo = malloc(size + 1), ref[65];
    if (!out || !memo) abort();
    for (size_t w = 0; w < 8; w++)
        if (sl_annot_abi_string(data, size, w, &s, &n)) {
            if (s < data || n > size || s + n > data + size) abort();
            (void)sl_annot_printable(s, n);
        }
    if (sl_annot_op_return(data, size, out, &is) > size) abort();
    memcpy(memo, data, size);
    memo[size] = 0;
    sl_annot_ref_of(ref, memo);
    if (ref[0] && strlen(ref) != 64) abort();
    for (size_t i = 0; ref[i]; i++)
        if (!((ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f'))) abort();
    if (size >= 32) (void)sl_annot_event_of(data);
    free(out);
    free(memo);
    return 0;
}
