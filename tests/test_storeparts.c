/* test_storeparts.c — the building blocks of store format 3, each against a plain
 * reference: the keyed fingerprints (fp.h), the persistent fingerprint -> id map
 * (fpmap.c: growth, removal, purge after a crash, a reader following a rebuilt file), the
 * writer's map of unspent outputs (utxo.c: random puts and takes against an array, growth,
 * backward-shift deletion), and the run sets (runs.c: keys, histories and sums written in
 * batches, merged by the geometric rule, cut back for a rollback, read back equal to
 * what went in, totals and spans included). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "store/fp.h"
#include "store/fpmap.h"
#include "store/runs.h"
#include "store/utxo.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

Test(storeparts, fingerprints_are_keyed_and_length_aware)
{
    sl_fpkey a, b;
    uint8_t k1[32] = {1}, k2[32] = {2};
    cr_assert_eq(sl_fpkey_random(&a), SL_OK);
    sl_fpkey_from_bytes(&a, k1);
    sl_fpkey_from_bytes(&b, k2);
    sl_fp x = sl_fp_bytes(&a, "abc", 3), y = sl_fp_bytes(&a, "abc", 3), z = sl_fp_bytes(&b, "abc", 3);
    cr_assert(x.h1 == y.h1 && x.h2 == y.h2, "same key, same bytes");
    cr_assert(x.h1 != z.h1 || x.h2 != z.h2, "another key, another fingerprint");
    sl_fp w = sl_fp_bytes(&a, "abc\0", 4);
    cr_assert(x.h1 != w.h1 || x.h2 != w.h2, "a trailing zero byte changes the fingerprint");
    cr_assert(x.h1 < SL_FP_P61 && x.h2 < SL_FP_P61);
    uint8_t txid[32];
    memset(txid, 7, 32);
    sl_fp o = sl_fp_outpoint(&a, txid, 5);
    uint8_t b36[36];
    memcpy(b36, txid, 32);
    b36[32] = 5, b36[33] = b36[34] = b36[35] = 0;
    sl_fp q = sl_fp_bytes(&a, b36, 36);
    cr_assert(o.h1 == q.h1 && o.h2 == q.h2);
    /* no two of 1M distinct keys share h1 and h2 */
    size_t n = 1000000;
    uint64_t *h = malloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = i * 0x9e3779b97f4a7c15ULL;
        sl_fp f = sl_fp_bytes(&a, &v, 8);
        h[i] = f.h1 ^ (f.h2 << 3);
    }
    qsort(h, n, sizeof *h, cmp_u64);
    for (size_t i = 1; i < n; i++) cr_assert_neq(h[i], h[i - 1], "collision at %zu", i);
    free(h);
}

/* the fpmap test's keys: id k's key is its 4 bytes; ids below g_nkeys exist, except the
 * ones a test marks gone */
static uint64_t g_nkeys;
static uint32_t g_keybuf;
static uint32_t g_gone = UINT32_MAX;
static uint64_t key_count(void *ctx)
{
    (void)ctx;
    return g_nkeys;
}
static const void *key_of(void *ctx, uint32_t id, size_t *len)
{
    (void)ctx;
    *len = 4;
    if (id == 0 || id == g_gone) return NULL;
    g_keybuf = id;
    return &g_keybuf;
}

Test(storeparts, fpmap_finds_every_id_through_growth_removal_and_purge)
{
    const char *d = temp_dir();
    sl_fpmap w, r;
    sl_error e = {0};
    const uint32_t n = 300000;
    cr_assert_eq(sl_fpmap_open(&w, d, "a", true, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_fpmap_open(&r, d, "a", false, &e), SL_OK, "%s", e.msg);
    sl_fpmap_set_keys(&w, key_count, key_of, NULL);
    g_nkeys = 1;
    for (uint32_t id = 1; id <= n; id++) {
        bool added;
        cr_assert_eq(sl_fpmap_reserve(&w, 1, &e), SL_OK, "%s", e.msg);
        g_nkeys = id + 1;
        sl_fp h = sl_fpmap_hash(&w, &id, 4);
        cr_assert_eq(sl_fpmap_upsert(&w, h, id, &added), id);
        cr_assert(added);
    }
    for (uint32_t id = 1; id <= n; id++) {
        bool added;
        sl_fp h = sl_fpmap_hash(&w, &id, 4);
        cr_assert_eq(sl_fpmap_find(&w, h), id, "id %u", id);
        cr_assert_eq(sl_fpmap_upsert(&w, h, 999999999, &added), id);
        cr_assert(!added);
    }
    uint32_t absent = n + 7;
    cr_assert_eq(sl_fpmap_find(&w, sl_fpmap_hash(&w, &absent, 4)), SL_FPMAP_NONE);
    /* the reader still maps the first file; after a refresh it finds everything */
    cr_assert_eq(sl_fpmap_refresh(&r, &e), SL_OK, "%s", e.msg);
    for (uint32_t id = 1; id <= n; id += 97) cr_assert_eq(sl_fpmap_find(&r, sl_fpmap_hash(&r, &id, 4)), id);
    /* removal, then purge of every id >= n/2 (an interrupted batch) */
    uint32_t gone = 12345;
    cr_assert(sl_fpmap_remove(&w, sl_fpmap_hash(&w, &gone, 4), gone));
    cr_assert_eq(sl_fpmap_find(&w, sl_fpmap_hash(&w, &gone, 4)), SL_FPMAP_NONE);
    cr_assert_eq(sl_fpmap_purge(&w, n / 2), n - n / 2 + 1);
    g_nkeys = n / 2;
    g_gone = gone;
    for (uint32_t id = 1; id <= n; id++) {
        uint32_t got = sl_fpmap_find(&w, sl_fpmap_hash(&w, &id, 4));
        if (id == gone || id >= n / 2) cr_assert_eq(got, SL_FPMAP_NONE, "id %u", id);
        else cr_assert_eq(got, id, "id %u", id);
    }
    /* growth writes the map anew from the keys: what was removed stays out */
    cr_assert_eq(sl_fpmap_reserve(&w, 2 * (uint64_t)w.nb * 5, &e), SL_OK, "%s", e.msg);
    cr_assert_gt(w.gen, 0);
    for (uint32_t id = 1; id <= n; id += 3) {
        uint32_t got = sl_fpmap_find(&w, sl_fpmap_hash(&w, &id, 4));
        if (id == gone || id >= n / 2) cr_assert_eq(got, SL_FPMAP_NONE, "id %u after growth", id);
        else cr_assert_eq(got, id, "id %u after growth", id);
    }
    /* a removed key can come back under a new id; the latest insertion can be taken back */
    bool added;
    cr_assert_eq(sl_fpmap_upsert(&w, sl_fpmap_hash(&w, &gone, 4), 7, &added), 7);
    cr_assert(added);
    {
        uint32_t k = 999999;
        uint64_t used = w.used;
        cr_assert_eq(sl_fpmap_upsert(&w, sl_fpmap_hash(&w, &k, 4), 999999, &added), 999999);
        cr_assert(sl_fpmap_unadd(&w, sl_fpmap_hash(&w, &k, 4), 999999));
        cr_assert_eq(w.used, used);
        cr_assert_eq(sl_fpmap_find(&w, sl_fpmap_hash(&w, &k, 4)), SL_FPMAP_NONE);
    }
    cr_assert_eq(sl_fpmap_checkpoint(&w, n / 2, true, &e), SL_OK, "%s", e.msg);
    cr_assert(!sl_fpmap_dirty(&w));
    cr_assert_eq(sl_fpmap_covered(&w), n / 2);
    sl_fpmap_close(&w);
    sl_fpmap_close(&r);
    cr_assert_eq(sl_fpmap_open(&w, d, "a", true, &e), SL_OK, "%s", e.msg);
    cr_assert(sl_fpmap_dirty(&w), "a writer's open marks it dirty");
    cr_assert_eq(sl_fpmap_find(&w, sl_fpmap_hash(&w, &gone, 4)), 7);
    sl_fpmap_close(&w);
}

Test(storeparts, utxo_map_equals_a_plain_array_through_puts_takes_and_growth)
{
    const char *d = temp_dir();
    sl_utxo u;
    sl_error e = {0};
    const size_t n = 400000;
    uint8_t *live = calloc(n, 1);
    cr_assert_eq(sl_utxo_open(&u, d, &e), SL_OK, "%s", e.msg);
    cr_assert(!sl_utxo_valid_for(&u, 0));
    cr_assert_eq(sl_utxo_mark_changing(&u, &e), SL_OK);
    for (size_t step = 0; step < 3 * n; step++) {
        size_t k = rnd() % n;
        uint8_t txid[32] = {0};
        memcpy(txid, &k, sizeof k);
        sl_fp h = sl_utxo_hash(&u, txid, (uint32_t)(k % 3));
        sl_utxo_ent v;
        if (!live[k] || rnd() % 3 == 0) {
            sl_utxo_ent in = {k, (uint32_t)(k % 1000), k * 3 + 1, (uint32_t)(k * 7), (uint8_t)(k % 10)};
            cr_assert_eq(sl_utxo_reserve(&u, 1, &e), SL_OK, "%s", e.msg);
            sl_utxo_put(&u, h, &in);
            live[k] = 1;
        } else {
            cr_assert(sl_utxo_take(&u, h, &v), "entry %zu", k);
            cr_assert(v.tx == k && v.vout == k % 1000 && v.value == k * 3 + 1 && v.addr == (uint32_t)(k * 7) && v.type == k % 10);
            cr_assert(!sl_utxo_get(&u, h, &v));
            live[k] = 0;
        }
    }
    size_t nlive = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t txid[32] = {0};
        sl_utxo_ent v;
        memcpy(txid, &k, sizeof k);
        bool got = sl_utxo_get(&u, sl_utxo_hash(&u, txid, (uint32_t)(k % 3)), &v);
        cr_assert_eq(got, live[k] != 0, "entry %zu", k);
        nlive += live[k];
    }
    cr_assert_eq(u.used, nlive);
    cr_assert_eq(sl_utxo_checkpoint(&u, 42, 7, &e), SL_OK);
    cr_assert_eq(sl_utxo_marks_synced(&u), 7);
    cr_assert(sl_utxo_valid_for(&u, 42));
    sl_utxo_close(&u);
    free(live);
}

static void collect(void *ctx, uint64_t id)
{
    uint64_t *v = ctx;
    v[++v[0]] = id;
}

Test(storeparts, keys_runs_find_every_item_through_merges_and_a_cut)
{
    const char *d = temp_dir();
    sl_runs rs;
    sl_error e = {0};
    uint64_t file = 1, dropped[SL_RUNS_MAX], got[16];
    int nd;
    const uint64_t per = 5000, batches = 40;
    sl_runs_init(&rs, d, "t", SL_RUNS_KEYS);
    sl_runs_kv *kv = malloc(per * sizeof *kv);
    for (uint64_t b = 0; b < batches; b++) {
        for (uint64_t i = 0; i < per; i++) {
            uint64_t id = b * per + i;
            kv[i].key = (id * 0x9e3779b97f4a7c15ULL) >> 16;
            if (id % 1000 == 999) kv[i].key = 12345; /* duplicate keys across batches */
            kv[i].id = id;
        }
        cr_assert_eq(sl_runs_add_keys(&rs, b * per, (b + 1) * per, kv, per, &file, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_runs_maintain(&rs, &file, NULL, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
        sl_runs_unlink(&rs, dropped, nd);
    }
    cr_assert_leq(rs.n, 8, "%d runs for %llu batches", rs.n, (unsigned long long)batches);
    for (int i = 1; i < rs.n; i++) cr_assert_eq(rs.r[i].lo, rs.r[i - 1].hi, "runs adjacent");
    for (uint64_t id = 0; id < per * batches; id += 7) {
        if (id % 1000 == 999) continue;
        got[0] = 0;
        sl_runs_find_key(&rs, (id * 0x9e3779b97f4a7c15ULL) >> 16, collect, got);
        cr_assert_eq(got[0], 1, "id %llu", (unsigned long long)id);
        cr_assert_eq(got[1], id);
    }
    uint64_t *many = calloc(1000, sizeof *many);
    sl_runs_find_key(&rs, 12345, collect, many);
    cr_assert_eq(many[0], per * batches / 1000);
    /* a manifest round trip maps the same runs */
    uint8_t m[sizeof(uint64_t) * 6 * SL_RUNS_MAX + 8];
    size_t ml;
    sl_runs rd;
    sl_runs_manifest(&rs, m, &ml);
    sl_runs_init(&rd, d, "t", SL_RUNS_KEYS);
    cr_assert_eq(sl_runs_load(&rd, m, ml, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(rd.n, rs.n);
    /* cut at 123456: nothing at or above it is found */
    cr_assert_eq(sl_runs_cut(&rs, 123456, &file, NULL, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
    sl_runs_unlink(&rs, dropped, nd);
    cr_assert_eq(rs.r[rs.n - 1].hi, 123456);
    for (uint64_t id = 123400; id < 123500; id++) {
        if (id % 1000 == 999) continue;
        got[0] = 0;
        sl_runs_find_key(&rs, (id * 0x9e3779b97f4a7c15ULL) >> 16, collect, got);
        cr_assert_eq(got[0], id < 123456, "id %llu", (unsigned long long)id);
    }
    /* the reader's set still reads its (unlinked, mapped) files */
    got[0] = 0;
    sl_runs_find_key(&rd, (150000 * 0x9e3779b97f4a7c15ULL) >> 16, collect, got);
    cr_assert_eq(got[0], 1);
    sl_runs_close(&rd);
    sl_runs_collect(&rs);
    sl_runs_close(&rs);
    free(kv);
    free(many);
}

/* The reference history: per address, its txs and totals; the stats function the runs
 * call for small entries reads the same reference. */
#define NADDR 3000
typedef struct ref {
    uint64_t *tx[NADDR];
    size_t n[NADDR], cap[NADDR];
} ref;
typedef struct txev { uint32_t addr; uint64_t tx, recv, spent; } txev;
static txev *evs;
static size_t nevs;

static int ref_stats(void *ctx, uint32_t addr, const uint64_t *txs, size_t n, sl_hist_stats *st)
{
    (void)ctx;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nevs; k++)
            if (evs[k].addr == addr && evs[k].tx == txs[i]) {
                if (evs[k].recv) st->received += evs[k].recv, st->n_out++;
                if (evs[k].spent) st->spent += evs[k].spent, st->n_spent++;
            }
    return SL_OK;
}

static void check_hist(const sl_runs *rs, uint64_t upto)
{
    sl_hist_part parts[SL_RUNS_MAX];
    for (uint32_t a = 1; a < NADDR; a++) {
        sl_hist_stats want = {0}, got = {0};
        uint64_t wn = 0, *txs = NULL, gn = 0;
        uint64_t last = 0;
        for (size_t k = 0; k < nevs; k++)
            if (evs[k].addr == a && evs[k].tx < upto) {
                if (evs[k].recv) want.received += evs[k].recv, want.n_out++;
                if (evs[k].spent) want.spent += evs[k].spent, want.n_spent++;
                if (!wn || evs[k].tx != last) wn++;
                last = evs[k].tx;
            }
        int np = sl_runs_hist_parts(rs, a, parts);
        for (int i = 0; i < np; i++) {
            sl_hist_stats ps;
            txs = realloc(txs, (gn + parts[i].n) * sizeof *txs);
            sl_hist_part_txs(&parts[i], txs + gn);
            if (!sl_hist_part_stats(&parts[i], &ps)) ref_stats(NULL, a, txs + gn, parts[i].n, &ps);
            got.received += ps.received, got.spent += ps.spent, got.n_out += ps.n_out, got.n_spent += ps.n_spent;
            gn += parts[i].n;
        }
        cr_assert_eq(gn, wn, "address %u: %llu txs, want %llu", a, (unsigned long long)gn, (unsigned long long)wn);
        for (uint64_t i = 1; i < gn; i++) cr_assert_gt(txs[i], txs[i - 1], "address %u ascending", a);
        cr_assert(got.received == want.received && got.spent == want.spent && got.n_out == want.n_out &&
                      got.n_spent == want.n_spent,
                  "address %u totals", a);
        free(txs);
    }
}

Test(storeparts, hist_runs_keep_every_address_history_and_totals, .timeout = 120)
{
    const char *d = temp_dir();
    sl_runs rs;
    sl_error e = {0};
    uint64_t file = 1, dropped[SL_RUNS_MAX];
    int nd;
    const uint64_t per = 2000, batches = 30;
    sl_runs_init(&rs, d, "h", SL_RUNS_HIST);
    evs = malloc(per * batches * 3 * sizeof *evs);
    nevs = 0;
    sl_hist_ev *be = malloc(per * 3 * sizeof *be);
    for (uint64_t b = 0; b < batches; b++) {
        size_t nb = 0;
        for (uint64_t t = b * per; t < (b + 1) * per; t++) {
            /* a few hot addresses (many events: totals stored), many cold ones */
            int k = 1 + (int)(rnd() % 3);
            for (int j = 0; j < k; j++) {
                uint32_t a = rnd() % 4 == 0 ? 1 + (uint32_t)(rnd() % 20) : 1 + (uint32_t)(rnd() % (NADDR - 1));
                bool sp = rnd() % 2;
                uint64_t amt = 1 + rnd() % 100000;
                evs[nevs++] = (txev){a, t, sp ? 0 : amt, sp ? amt : 0};
                be[nb++] = (sl_hist_ev){a, (uint32_t)(t - b * per), amt | (sp ? SL_HIST_SPENT : 0)};
            }
        }
        cr_assert_eq(sl_runs_add_hist(&rs, b * per, (b + 1) * per, be, nb, &file, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_runs_maintain(&rs, &file, ref_stats, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
        sl_runs_unlink(&rs, dropped, nd);
        if (b == 3 || b == batches - 1) check_hist(&rs, UINT64_MAX);
    }
    cr_assert_leq(rs.n, 8, "%d runs", rs.n);
    /* a rollback cut in the middle of the newest run, then deep into a merged one */
    uint64_t cut = per * batches - per / 2;
    cr_assert_eq(sl_runs_cut(&rs, cut, &file, ref_stats, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
    sl_runs_unlink(&rs, dropped, nd);
    check_hist(&rs, cut);
    cut = per * 7 + 333;
    cr_assert_eq(sl_runs_cut(&rs, cut, &file, ref_stats, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
    sl_runs_unlink(&rs, dropped, nd);
    check_hist(&rs, cut);
    cr_assert_eq(rs.r[rs.n - 1].hi, cut);
    sl_runs_close(&rs);
    free(be);
    free(evs);
}

/* The sums sets (balances of the Ethereum store): per key two counts, two 256-bit sums
 * and a span, written in batches, merged, cut back twice, against the events themselves. */
#define NKEYS 600
typedef struct sumev { uint64_t key, id, amt[4], v; bool in; } sumev;
static sumev *sevs;
static size_t nsevs;

static sl_sum_item sum_of(const sumev *x)
{
    sl_sum_item it;
    memset(&it, 0, sizeof it);
    it.key = x->key;
    memcpy(x->in ? it.a : it.b, x->amt, 32);
    *(x->in ? &it.na : &it.nb) = 1;
    it.vmin = it.vmax = x->v;
    return it;
}

static int ref_removed(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item **items, size_t *n)
{
    sl_sum_item *v = ctx;
    size_t k = 0;
    for (size_t i = 0; i < nsevs; i++)
        if (sevs[i].id >= lo && sevs[i].id < hi) v[k++] = sum_of(&sevs[i]);
    *items = v;
    *n = k;
    return SL_OK;
}

static int ref_span(void *ctx, uint64_t lo, uint64_t hi, sl_sum_item *items, size_t n)
{
    (void)ctx;
    for (size_t j = 0; j < n; j++) {
        items[j].vmin = UINT64_MAX, items[j].vmax = 0;
        if (j) cr_assert_gt(items[j].key, items[j - 1].key, "span keys ascend");
        for (size_t i = 0; i < nsevs; i++)
            if (sevs[i].key == items[j].key && sevs[i].id >= lo && sevs[i].id < hi) {
                if (sevs[i].v < items[j].vmin) items[j].vmin = sevs[i].v;
                if (sevs[i].v > items[j].vmax) items[j].vmax = sevs[i].v;
            }
    }
    return SL_OK;
}

static void check_sums(const sl_runs *rs, uint64_t upto)
{
    for (uint32_t acct = 0; acct < NKEYS / 6 + 2; acct++) {
        sl_sum_item want[6], *got;
        size_t n, k = 0;
        bool any[6] = {false};
        for (int s = 0; s < 6; s++) {
            memset(&want[s], 0, sizeof want[s]);
            want[s].key = (uint64_t)acct << 32 | (uint32_t)s;
            want[s].vmin = UINT64_MAX;
        }
        for (size_t i = 0; i < nsevs; i++)
            if (sevs[i].key >> 32 == acct && sevs[i].id < upto) {
                sl_sum_item x = sum_of(&sevs[i]);
                cr_assert(sl_sum_add(&want[(uint32_t)sevs[i].key], &x));
                any[(uint32_t)sevs[i].key] = true;
            }
        cr_assert_eq(sl_runs_sums_get(rs, acct, &got, &n), SL_OK);
        for (int s = 0; s < 6; s++) {
            if (!any[s]) continue;
            cr_assert_lt(k, n, "account %u asset %d missing", acct, s);
            cr_assert_eq(got[k].key, want[s].key);
            cr_assert(got[k].na == want[s].na && got[k].nb == want[s].nb, "account %u asset %d counts", acct, s);
            cr_assert(!memcmp(got[k].a, want[s].a, 32) && !memcmp(got[k].b, want[s].b, 32), "account %u asset %d sums",
                      acct, s);
            cr_assert(got[k].vmin == want[s].vmin && got[k].vmax == want[s].vmax, "account %u asset %d span", acct, s);
            k++;
        }
        cr_assert_eq(k, n, "account %u: %zu keys, want %zu", acct, n, k);
        free(got);
    }
}

/* Writes batch b (ids [b * per, (b + 1) * per)) of random events as one sums run and
 * maintains the set: hot keys in every batch, cold ones now and then, amounts up to 2^200. */
static void sums_batch(sl_runs *rs, uint64_t b, uint64_t per, sl_sum_item *items, uint64_t *file)
{
    uint64_t dropped[SL_RUNS_MAX + 1];
    int nd;
    sl_error e = {0};
    for (uint64_t id = b * per; id < (b + 1) * per; id++) {
        uint64_t key = rnd() % 3 == 0 ? (uint64_t)(1 + rnd() % 3) << 32 | (uint32_t)(rnd() % 2)
                                      : (uint64_t)(rnd() % (NKEYS / 6)) << 32 | (uint32_t)(rnd() % 6);
        sumev *x = &sevs[nsevs++];
        memset(x, 0, sizeof *x);
        x->key = key, x->id = id, x->in = rnd() % 2, x->v = rnd() % 1000000;
        x->amt[0] = rnd();
        if (id % 97 == 0) x->amt[3] = rnd() >> 56; /* above 2^128 */
        items[id - b * per] = sum_of(x);
    }
    cr_assert_eq(sl_runs_add_sums(rs, b * per, (b + 1) * per, items, per, file, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_runs_maintain(rs, file, NULL, NULL, dropped, &nd, &e), SL_OK, "%s", e.msg);
    sl_runs_unlink(rs, dropped, nd);
}

/* A rollback cut of the set at `cut`, then every key checked against the events below it. */
static void sums_cut(sl_runs *rs, uint64_t cut, uint64_t *file, sl_sum_item *scratch)
{
    uint64_t dropped[SL_RUNS_MAX + 1];
    int nd;
    sl_error e = {0};
    cr_assert_eq(sl_runs_cut_sums(rs, cut, file, ref_removed, ref_span, scratch, dropped, &nd, &e), SL_OK, "%s", e.msg);
    sl_runs_unlink(rs, dropped, nd);
    check_sums(rs, cut);
    cr_assert_eq(rs->r[rs->n - 1].hi, cut);
}

Test(storeparts, sums_runs_fold_every_key_through_merges_and_cuts, .timeout = 120)
{
    const char *d = temp_dir();
    sl_runs rs;
    sl_error e = {0};
    uint64_t file = 1;
    const uint64_t per = 1500, batches = 24;
    sl_sum_item *items = malloc(per * sizeof *items), *scratch = malloc(per * batches * sizeof *scratch);
    sl_runs_init(&rs, d, "b", SL_RUNS_SUMS);
    sevs = malloc(per * batches * sizeof *sevs);
    nsevs = 0;
    for (uint64_t b = 0; b < batches; b++) {
        sums_batch(&rs, b, per, items, &file);
        if (b == 2 || b == batches - 1) check_sums(&rs, UINT64_MAX);
    }
    cr_assert_leq(rs.n, 8, "%d runs", rs.n);
    /* the newest run cut in its middle, then deep into a merged one */
    sums_cut(&rs, per * batches - per / 3, &file, scratch);
    sums_cut(&rs, per * 5 + 77, &file, scratch);
    /* a total above 2^256 - 1 is refused, not wrapped */
    {
        sl_sum_item big[2];
        uint64_t cut = per * 5 + 77;
        memset(big, 0, sizeof big);
        big[0].key = big[1].key = (uint64_t)999999 << 32 | 5; /* an account no event has */
        big[0].na = big[1].na = 1;
        memset(big[0].a, 0xff, 32);
        big[1].a[0] = 1;
        cr_assert_eq(sl_runs_add_sums(&rs, cut, cut + 2, big, 2, &file, &e), SL_ELIMIT);
        /* two runs whose sums only pass it together: a look-up says so, counts still right */
        sl_sum_item *got;
        size_t n;
        memset(big[0].a, 0, 32);
        big[0].a[3] = (uint64_t)1 << 63;
        big[1] = big[0];
        e = (sl_error){0};
        cr_assert_eq(sl_runs_add_sums(&rs, cut, cut + 1, &big[0], 1, &file, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_runs_add_sums(&rs, cut + 1, cut + 2, &big[1], 1, &file, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_runs_sums_get(&rs, 999999, &got, &n), SL_ELIMIT);
        cr_assert(n == 1 && got[0].key == big[0].key && got[0].na == 2);
        free(got);
    }
    sl_runs_close(&rs);
    free(items);
    free(scratch);
    free(sevs);
}
