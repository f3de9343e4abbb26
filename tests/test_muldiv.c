/* test_muldiv.c — the engine's exact floor(a * b / d) (sl_tr_muldiv), which every taint
 * split goes through: checked against a plain bit-by-bit long division of the 256-bit
 * product on values of every magnitude (wei amounts make products past 2^128 common, which
 * is where the fast paths are). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "trace/engine_int.h"

/* The reference: 256-bit product, then one bit of the quotient at a time. */
static sl_u128 slow_muldiv(sl_u128 a, sl_u128 b, sl_u128 d)
{
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64), bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    sl_u128 ll = (sl_u128)al * bl, lh = (sl_u128)al * bh, hl = (sl_u128)ah * bl, hh = (sl_u128)ah * bh;
    sl_u128 mid = (ll >> 64) + (uint64_t)lh + (uint64_t)hl;
    sl_u128 lo = (ll & (sl_u128)UINT64_MAX) | (mid << 64), hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    sl_u128 q = 0, rem = 0;
    if (d == 0) return 0;
    if (hi >= d) return ~(sl_u128)0;
    for (int i = 255; i >= 0; i--) {
        int top = (int)(rem >> 127);
        rem = rem << 1 | (sl_u128)((i >= 128 ? hi >> (i - 128) : lo >> i) & 1);
        if (top || rem >= d) { rem -= d; if (i < 128) q |= (sl_u128)1 << i; }
    }
    return q;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd64(void)
{ /* splitmix64: deterministic, so a failure repeats */
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
/* A value of a random bit length (1..128), so every path is taken often. */
static sl_u128 rnd_bits(void)
{
    unsigned n = 1 + rnd64() % 128;
    sl_u128 v = (sl_u128)rnd64() << 64 | rnd64();
    return n == 128 ? v : v & (((sl_u128)1 << n) - 1);
}

Test(muldiv, matches_long_division_on_every_magnitude)
{
    for (int i = 0; i < 300000; i++) {
        sl_u128 a = rnd_bits(), b = rnd_bits(), d = rnd_bits();
        if (i % 3 == 0) d = a > b ? a : b; /* the engine's shape: a share of a total, d >= a */
        if (d == 0) d = 1;
        sl_u128 want = slow_muldiv(a, b, d), got = sl_tr_muldiv(a, b, d);
        cr_assert(want == got, "case %d: a=%016llx%016llx b=%016llx%016llx d=%016llx%016llx", i,
                  (unsigned long long)(a >> 64), (unsigned long long)a, (unsigned long long)(b >> 64),
                  (unsigned long long)b, (unsigned long long)(d >> 64), (unsigned long long)d);
    }
}

Test(muldiv, edges)
{
    const sl_u128 M = ~(sl_u128)0;
    cr_assert(sl_tr_muldiv(M, M, M) == M);
    cr_assert(sl_tr_muldiv(M, 1, M) == 1);
    cr_assert(sl_tr_muldiv(M - 1, M, M) == M - 1);
    cr_assert(sl_tr_muldiv(M, M - 1, M - 1) == M);
    cr_assert(sl_tr_muldiv(5, 7, 0) == 0);
    cr_assert(sl_tr_muldiv(M, 2, 1) == M); /* overflow saturates */
    cr_assert(sl_tr_muldiv((sl_u128)1 << 100, (sl_u128)1 << 100, ((sl_u128)1 << 64) + 1) ==
              slow_muldiv((sl_u128)1 << 100, (sl_u128)1 << 100, ((sl_u128)1 << 64) + 1));
}
