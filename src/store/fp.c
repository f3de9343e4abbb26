/* fp.c — keys of the store's fingerprints (fp.h): drawn from getrandom(2), kept in the
 * header of each table's file. */
#include "fp.h"

#include <errno.h>
#include <sys/random.h>

#include "sleuth/util.h"

int sl_fpkey_random(sl_fpkey *k)
{
    uint8_t b[32];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return SL_EIO;
        got += (size_t)r;
    }
    sl_fpkey_from_bytes(k, b);
    return SL_OK;
}

void sl_fpkey_to_bytes(const sl_fpkey *k, uint8_t out[32])
{
    sl_put_le64(out, k->k1);
    sl_put_le64(out + 8, k->k2);
    sl_put_le64(out + 16, k->a1);
    sl_put_le64(out + 24, k->a2);
}

void sl_fpkey_from_bytes(sl_fpkey *k, const uint8_t in[32])
{
    /* a multiplier of 0 or 1 would make a weak hash: map them to 2 and 3 */
    k->k1 = sl_fp_reduce(sl_le64(in) & SL_FP_P61);
    k->k2 = sl_fp_reduce(sl_le64(in + 8) & SL_FP_P61);
    if (k->k1 < 2) k->k1 += 2;
    if (k->k2 < 2) k->k2 += 2;
    k->a1 = sl_fp_reduce(sl_le64(in + 16) & SL_FP_P61);
    k->a2 = sl_fp_reduce(sl_le64(in + 24) & SL_FP_P61);
}
