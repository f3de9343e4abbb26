/* test_hashtab.c — the keyed hash table of hashtab.h: SipHash-2-4 against the published
 * test vectors (key 00..0f, message 00..n-1), the process key (random, stable within the
 * process), a million keys in and found, growth from empty, keys one byte apart, the
 * id-only table with keys kept by the caller, clear, and adversarial key sets (long equal
 * prefixes, ids differing only in high bits) that must stay fast. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sleuth/hashtab.h"
#include "sleuth/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(hashtab, siphash24_paper_vectors)
{
    /* vectors_sip64 of the reference implementation; n = 15 is the paper's Appendix A */
    static const uint64_t want[17] = {
        0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
        0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
        0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
        0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
        0x3f2acc7f57c29bdbULL,
    };
    uint8_t key[16], msg[17];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 17; i++) msg[i] = (uint8_t)i;
    for (size_t n = 0; n <= 16; n++)
        cr_assert_eq(sl_hash_bytes_seeded(key, msg, n), want[n], "n = %zu", n);
    cr_assert_eq(sl_hash_bytes_seeded(key, NULL, 0), want[0]);
}

Test(hashtab, process_key_is_random_and_stable)
{
    uint8_t zero[16] = {0}, k1[16], k2[16];
    cr_assert_eq(sl_hash_bytes("abc", 3), sl_hash_bytes("abc", 3));
    cr_assert_neq(sl_hash_bytes("abc", 3), sl_hash_bytes_seeded(zero, "abc", 3));
    cr_assert_eq(sl_hash_random_key(k1), SL_OK);
    cr_assert_eq(sl_hash_random_key(k2), SL_OK);
    cr_assert(memcmp(k1, k2, 16) != 0);
}

Test(hashtab, million_u64_keys_grow_from_empty)
{
    sl_ht t = {0};
    const size_t N = 1000000;
    uint64_t v;
    cr_assert(!sl_ht_get_u64(&t, 7, &v), "empty table");
    for (uint64_t i = 0; i < N; i++) cr_assert_eq(sl_ht_set_u64(&t, i * 7919, i), SL_OK);
    cr_assert_eq(sl_ht_count(&t), N);
    for (uint64_t i = 0; i < N; i++) {
        cr_assert(sl_ht_get_u64(&t, i * 7919, &v));
        cr_assert_eq(v, i);
        cr_assert(!sl_ht_get_u64(&t, i * 7919 + 1, NULL), "a key never added");
    }
    /* insertion order is kept */
    for (size_t i = 0; i < N; i += 99991) {
        size_t n;
        const void *k = sl_ht_key_at(&t, i, &n);
        uint64_t kv;
        cr_assert_eq(n, 8);
        memcpy(&kv, k, 8);
        cr_assert_eq(kv, i * 7919);
        cr_assert_eq(sl_ht_val_at(&t, i), i);
    }
    sl_ht_free(&t);
    cr_assert_eq(sl_ht_count(&t), 0);
}

Test(hashtab, upsert_set_and_lengths)
{
    sl_ht t = {0};
    uint64_t *slot, v;
    bool added;
    cr_assert_eq(sl_ht_upsert(&t, "key", 3, 5, &slot, &added), SL_OK);
    cr_assert(added);
    cr_assert_eq(*slot, 5);
    *slot += 10;
    cr_assert_eq(sl_ht_upsert(&t, "key", 3, 99, &slot, &added), SL_OK);
    cr_assert(!added);
    cr_assert_eq(*slot, 15);
    /* a prefix, the empty key and a longer key are all different keys */
    cr_assert_eq(sl_ht_set(&t, "ke", 2, 2), SL_OK);
    cr_assert_eq(sl_ht_set(&t, "", 0, 0), SL_OK);
    cr_assert_eq(sl_ht_set(&t, "key\0", 4, 4), SL_OK);
    cr_assert_eq(sl_ht_count(&t), 4);
    cr_assert(sl_ht_get(&t, "", 0, &v) && v == 0);
    cr_assert(sl_ht_get(&t, "ke", 2, &v) && v == 2);
    cr_assert(sl_ht_get(&t, "key", 3, &v) && v == 15);
    cr_assert(sl_ht_get(&t, "key\0", 4, &v) && v == 4);
    cr_assert_eq(sl_ht_set(&t, "ke", 2, 20), SL_OK);
    cr_assert(sl_ht_get(&t, "ke", 2, &v) && v == 20);
    cr_assert_eq(sl_ht_count(&t), 4);
    sl_ht_clear(&t);
    cr_assert_eq(sl_ht_count(&t), 0);
    cr_assert_null(sl_ht_find(&t, "key", 3));
    cr_assert_eq(sl_ht_set(&t, "again", 5, 1), SL_OK);
    cr_assert(sl_ht_get(&t, "again", 5, &v) && v == 1);
    sl_ht_free(&t);
}

Test(hashtab, keys_one_byte_apart)
{
    sl_ht t = {0};
    uint8_t k[32] = {0};
    uint64_t v;
    /* every single-byte change of a 32-byte key (all positions, all 255 other values) */
    cr_assert_eq(sl_ht_set(&t, k, 32, 0), SL_OK);
    for (int pos = 0; pos < 32; pos++)
        for (int b = 1; b < 256; b++) {
            k[pos] = (uint8_t)b;
            cr_assert_eq(sl_ht_set(&t, k, 32, (uint64_t)pos << 8 | (uint64_t)b), SL_OK);
            k[pos] = 0;
        }
    cr_assert_eq(sl_ht_count(&t), 1 + 32 * 255);
    for (int pos = 0; pos < 32; pos++)
        for (int b = 1; b < 256; b++) {
            k[pos] = (uint8_t)b;
            cr_assert(sl_ht_get(&t, k, 32, &v));
            cr_assert_eq(v, (uint64_t)pos << 8 | (uint64_t)b);
            k[pos] = 0;
        }
    cr_assert(sl_ht_get(&t, k, 32, &v) && v == 0);
    sl_ht_free(&t);
}

/* the id-only table: keys are 32-byte records in the caller's array */
typedef struct rec { uint8_t h[32]; } rec;
typedef struct recs { rec *r; size_t n; int fetches; } recs;

static const void *rec_key(const void *ctx, uint64_t id, size_t *n)
{
    recs *rs = (recs *)ctx;
    cr_assert_lt(id, rs->n, "fetched an id the table was not given");
    rs->fetches++;
    *n = 32;
    return rs->r[id].h;
}

static void rec_make(rec *r, uint64_t i)
{
    memset(r->h, 0xab, 32); /* equal prefixes, the id in the last 8 bytes */
    memcpy(r->h + 24, &i, 8);
}

Test(hashtab, id_only_table)
{
    const size_t N = 200000;
    recs rs = {calloc(N, sizeof(rec)), 0, 0};
    sl_htid t;
    uint64_t id;
    bool added;
    rec probe;
    sl_htid_init(&t, rec_key, &rs);
    cr_assert(!sl_htid_find(&t, rs.r, 32, &id));
    for (uint64_t i = 0; i < N; i++) {
        rec_make(&rs.r[i], i);
        /* add before the caller counts the record: the table must not fetch it */
        cr_assert_eq(sl_htid_add(&t, rs.r[i].h, 32, i), SL_OK);
        rs.n++;
    }
    cr_assert_eq(rs.fetches, 0, "growth fetches no keys");
    cr_assert_eq(sl_htid_count(&t), N);
    for (uint64_t i = 0; i < N; i++) {
        rec_make(&probe, i);
        cr_assert(sl_htid_find(&t, probe.h, 32, &id));
        cr_assert_eq(id, i);
    }
    cr_assert_lt(rs.fetches, (int)(N + N / 100), "about one key fetch per hit (%d)", rs.fetches);
    rec_make(&probe, N + 5);
    cr_assert(!sl_htid_find(&t, probe.h, 32, NULL));
    cr_assert_eq(sl_htid_upsert(&t, rs.r[17].h, 32, 999, &id, &added), SL_OK);
    cr_assert(!added);
    cr_assert_eq(id, 17);
    cr_assert_eq(sl_htid_add(&t, probe.h, 32, UINT64_MAX), SL_EUSAGE);
    sl_htid_clear(&t);
    cr_assert(!sl_htid_find(&t, rs.r[17].h, 32, NULL));
    cr_assert_eq(sl_htid_upsert(&t, rs.r[17].h, 32, 17, &id, &added), SL_OK);
    cr_assert(added);
    sl_htid_free(&t);
    free(rs.r);
}

Test(hashtab, adversarial_keys_stay_fast)
{
    /* 300,000 keys of 200 bytes sharing a 192-byte prefix, then 300,000 ids that differ only
     * in their top bits (a multiplicative hash taking low bits maps them all to one slot):
     * both must insert and look up in linear time. A table that degrades to a probe chain
     * of the whole set would take minutes. */
    const size_t N = 300000;
    sl_ht t = {0};
    uint8_t k[200];
    uint64_t v;
    double t0 = now();
    memset(k, 'A', sizeof k);
    for (uint64_t i = 0; i < N; i++) {
        memcpy(k + 192, &i, 8);
        cr_assert_eq(sl_ht_set(&t, k, sizeof k, i), SL_OK);
    }
    for (uint64_t i = 0; i < N; i++) {
        memcpy(k + 192, &i, 8);
        cr_assert(sl_ht_get(&t, k, sizeof k, &v) && v == i);
    }
    sl_ht_free(&t);
    for (uint64_t i = 0; i < N; i++) cr_assert_eq(sl_ht_set_u64(&t, i << 44, i), SL_OK);
    for (uint64_t i = 0; i < N; i++) cr_assert(sl_ht_get_u64(&t, i << 44, &v) && v == i);
    sl_ht_free(&t);
    cr_assert_lt(now() - t0, 10.0, "took %.1f s", now() - t0);
}
