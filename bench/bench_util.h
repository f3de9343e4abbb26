/* bench_util.h — what the look-up benchmarks share (each is one program, so this is a
 * header of static functions): a seeded xorshift generator (`rng` is the seed), a
 * monotonic clock in nanoseconds, and a uint64_t comparison for qsort. */
#ifndef SLEUTH_BENCH_UTIL_H
#define SLEUTH_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static inline uint64_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static inline uint64_t ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#endif
