/* fuzz_annot.c — libFuzzer target for the readers of what a transaction carries
 * (src/store/annot_parse.c): the ABI string decoder of THORChain router event data
 * (sl_annot_abi_string at every data word), the OP_RETURN payload reader and the OUT:/REFUND:
 * ref reader, and the payee of a THORChain router outbound event (sl_annot_router_payee, the
 * input as the log data of TransferOut, TransferOutAndCall and TransferOutAndCallV5 in turn).
 * A decoded string must lie inside the data; a payload is never longer than its script; a ref
 * is "" or 64 lower-case hex digits; a payee is given only for the outbound events, from data
 * word 0 (an address word: 12 zero bytes) or TransferOut's topic 2. */
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
    static const int EV[] = {SL_EV_THOR_TRANSFER_OUT, SL_EV_THOR_TRANSFER_OUT_CALL, SL_EV_THOR_TRANSFER_OUT_CALL_V5,
                             SL_EV_THOR_DEPOSIT};
    for (size_t k = 0; k < sizeof EV / sizeof *EV; k++) {
        sl_annot_row r = {.kind = SL_ANNOT_EVENT, .event = (uint8_t)EV[k], .data = data, .len = size};
        uint8_t payee[20];
        static const uint8_t zero[12];
        r.n_topics = size ? (uint8_t)(data[0] % 5) : 0;
        if (r.n_topics > 4) abort();
        for (int t = 0; t < r.n_topics; t++) memset(r.topics[t], 0x11 * (t + 1), 32);
        bool got = sl_annot_router_payee(&r, payee);
        if (EV[k] == SL_EV_THOR_DEPOSIT && got) abort();
        if (EV[k] == SL_EV_THOR_TRANSFER_OUT && got != (r.n_topics >= 3)) abort();
        if (EV[k] == SL_EV_THOR_TRANSFER_OUT && got && memcmp(payee, r.topics[2] + 12, 20)) abort();
        if (EV[k] != SL_EV_THOR_TRANSFER_OUT && EV[k] != SL_EV_THOR_DEPOSIT) {
            if (got != (size >= 32 && !memcmp(data, zero, 12))) abort();
            if (got && memcmp(payee, data + 12, 20)) abort();
        }
    }
    free(out);
    free(memo);
    return 0;
}
