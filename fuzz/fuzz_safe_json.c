/* fuzz_safe_json.c — libFuzzer target for the Safe transaction JSON reader
 * (sl_safe_parse_json, through sleuth/json.h) and everything that consumes what it reads:
 * any bytes must give transactions or a located error, never a crash, a leak or undefined
 * behaviour. Each transaction read is verified with and without a chain id and the report
 * rendered as text and JSON, so every field the reader fills is used. An error must carry
 * a message and an input error code; a result must be self-consistent (at least one
 * transaction, each with a JSON path, every signature at least 65 bytes).
 * Seeds: fuzz/corpus/safe_json (the transaction files of tests/data/safe).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleuth/safe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_safe_tx_list l;
    sl_error e = {0};
    sl_buf b = {0};
    /* an exact-size heap copy, so ASan sees any read past the text */
    char *copy = malloc(size ? size : 1);
    int rc;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    rc = sl_safe_parse_json(&l, copy, size, &e);
    if (rc) {
        if ((rc != SL_ECORRUPT && rc != SL_ELIMIT && rc != SL_ENOMEM) || !e.msg[0] || l.n || l.tx)
            abort();
        free(copy);
        return 0;
    }
    if (l.n == 0)
        abort();
    for (size_t i = 0; i < l.n; i++) {
        const sl_safe_tx *tx = &l.tx[i];
        sl_safe_opts o;
        if (!tx->where[0])
            abort();
        for (size_t k = 0; k < tx->nsigs; k++)
            if (tx->sigs[k].len < 65 || !tx->sigs[k].bytes)
                abort();
        for (int pass = 0; pass < 2; pass++) {
            sl_safe_report r;
            sl_error ve = {0};
            memset(&o, 0, sizeof o);
            o.has_chain_id = pass == 1;
            o.chain_id = 1;
            if (sl_safe_verify(&r, tx, &o, &ve) != SL_OK)
                continue;
            b.len = 0;
            if (sl_safe_report_text(&b, &r, tx) != SL_OK || sl_safe_report_json(&b, &r, tx) != SL_OK)
                abort();
            sl_safe_report_free(&r);
        }
    }
    sl_safe_tx_list_free(&l);
    sl_buf_free(&b);
    free(copy);
    return 0;
}
