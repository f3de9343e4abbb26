/* hashtab.c — SipHash-2-4 (written from the description in Aumasson & Bernstein,
 * "SipHash: a fast short-input PRF", 2012; Debian's nettle 3.8 has no siphash24.h) under a
 * per-process key from getrandom(2), and the two tables of hashtab.h over one
 * open-addressing core: linear probing over slots {full hash, id + 1}, capacity a power
 * of two, doubled when an insertion would make it more than half full. */
#include "sleuth/hashtab.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sleuth/util.h"

/* ---- SipHash-2-4 ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                         \
    do {                                                                 \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);        \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                           \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                           \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);        \
    } while (0)

static uint64_t siphash24(uint64_t k0, uint64_t k1, const uint8_t *p, size_t n)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    uint64_t m, b = (uint64_t)n << 56;
    const uint8_t *end = p + (n & ~(size_t)7);
    for (; p != end; p += 8) {
        m = sl_le64(p);
        v3 ^= m;
        SIPROUND; SIPROUND;
        v0 ^= m;
    }
    for (size_t i = 0; i < (n & 7); i++) b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND; SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t sl_hash_bytes_seeded(const uint8_t key[16], const void *p, size_t n)
{
    return siphash24(sl_le64(key), sl_le64(key + 8), n ? p : (const uint8_t *)"", n);
}

int sl_hash_random_key(uint8_t key[16])
{
    size_t got = 0;
    while (got < 16) {
        ssize_t r = getrandom(key + got, 16 - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return SL_EIO;
        got += (size_t)r;
    }
    return SL_OK;
}

static uint64_t pk0, pk1;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* No randomness from the kernel (getrandom missing or refused) leaves no safe key: the
 * tables would be open to crafted collisions, so the process stops with a message. */
static void draw_key(void)
{
    uint8_t k[16];
    if (sl_hash_random_key(k) != SL_OK) {
        fprintf(stderr, "sleuth: getrandom(2) failed: no key for the hash tables\n");
        abort();
    }
    pk0 = sl_le64(k), pk1 = sl_le64(k + 8);
}

uint64_t sl_hash_bytes(const void *p, size_t n)
{
    pthread_once(&key_once, draw_key);
    return siphash24(pk0, pk1, n ? p : (const uint8_t *)"", n);
}

/* The tables' hash. Keys of up to 16 bytes (the tables' ids, counters, 8-byte prefixes:
 * most keys) take a keyed multiply-fold of their words with the same secret per-process
 * key, two 64x64->128 multiplications instead of SipHash's rounds (the tracers spent a
 * third of their time hashing); without the key an attacker cannot aim keys at one
 * slot. Longer keys (addresses, txids) take SipHash-2-4. */
static inline uint64_t table_hash(const void *p, size_t n)
{
    static bool ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        pthread_once(&key_once, draw_key);
        __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
    }
    if (n <= 16) {
        uint64_t a = 0, b = 0, h;
        unsigned __int128 m;
        memcpy(&a, p, n < 8 ? n : 8);
        if (n > 8) memcpy(&b, (const uint8_t *)p + 8, n - 8);
        m = (unsigned __int128)(a ^ pk0) * (b ^ pk1 ^ ((uint64_t)n << 56) ^ 0x9e3779b97f4a7c15ULL);
        h = (uint64_t)m ^ (uint64_t)(m >> 64);
        m = (unsigned __int128)(h ^ pk1) * 0xbf58476d1ce4e5b9ULL;
        return (uint64_t)m ^ (uint64_t)(m >> 64);
    }
    return siphash24(pk0, pk1, (const uint8_t *)p, n);
}

/* ---- the core: slots {hash, id + 1}; *found gets the slot holding the key (per eq) or
 * the empty slot where it goes. eq(ctx, id) compares the id's key with the one sought. */

typedef bool (*eq_fn)(const void *ctx, uint64_t id, const void *key, size_t n);

static sl_ht_slot *probe(sl_ht_slot *s, size_t cap, uint64_t h, eq_fn eq, const void *ctx, const void *key, size_t n)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!s[i].idp1 || (s[i].h == h && eq(ctx, s[i].idp1 - 1, key, n))) return &s[i];
    }
}

/* Makes room for one more key: doubles (from 16) when n + 1 would pass half of cap. */
static int reserve(sl_ht_slot **slots, size_t *cap, size_t n)
{
    size_t nc;
    sl_ht_slot *ns;
    if ((n + 1) * 2 <= *cap) return SL_OK;
    nc = *cap ? *cap * 2 : 16;
    if (nc > SIZE_MAX / 2 / sizeof *ns) return SL_ENOMEM;
    if (!(ns = sl_calloc(nc, sizeof *ns))) return SL_ENOMEM;
    for (size_t j = 0; j < *cap; j++) {
        const sl_ht_slot *o = &(*slots)[j];
        size_t i;
        if (!o->idp1) continue;
        for (i = (size_t)o->h & (nc - 1); ns[i].idp1; i = (i + 1) & (nc - 1)) {}
        ns[i] = *o;
    }
    sl_free(*slots);
    *slots = ns;
    *cap = nc;
    return SL_OK;
}

/* ---- byte-string keys ---- */

static bool ht_eq(const void *ctx, uint64_t id, const void *key, size_t n)
{
    const sl_ht *t = ctx;
    const sl_ht_ent *e = &t->ents[id];
    return e->klen == n && (!n || !memcmp(t->keys + e->koff, key, n));
}

uint64_t *sl_ht_find(const sl_ht *t, const void *key, size_t n)
{
    sl_ht_slot *s;
    if (!t->n) return NULL;
    s = probe(t->slots, t->cap, table_hash(key, n), ht_eq, t, key, n);
    return s->idp1 ? &t->ents[s->idp1 - 1].val : NULL;
}

bool sl_ht_get(const sl_ht *t, const void *key, size_t n, uint64_t *val)
{
    const uint64_t *v = sl_ht_find(t, key, n);
    if (v && val) *val = *v;
    return v != NULL;
}

int sl_ht_upsert(sl_ht *t, const void *key, size_t n, uint64_t init, uint64_t **slot, bool *added)
{
    uint64_t h = table_hash(key, n);
    sl_ht_slot *s;
    void *q;
    if (t->n) {
        s = probe(t->slots, t->cap, h, ht_eq, t, key, n);
        if (s->idp1) {
            *slot = &t->ents[s->idp1 - 1].val;
            if (added) *added = false;
            return SL_OK;
        }
    }
    /* every allocation before anything changes, so a failure leaves t as it was */
    q = t->ents;
    if (sl_grow(&q, &t->capents, t->n + 1, sizeof *t->ents)) return SL_ENOMEM;
    t->ents = q;
    q = t->keys;
    if (n > SIZE_MAX - t->nkeys || sl_grow(&q, &t->capkeys, t->nkeys + n, 1)) return SL_ENOMEM;
    t->keys = q;
    if (reserve(&t->slots, &t->cap, t->n)) return SL_ENOMEM;
    s = probe(t->slots, t->cap, h, ht_eq, t, key, n);
    if (n) memcpy(t->keys + t->nkeys, key, n);
    t->ents[t->n] = (sl_ht_ent){init, t->nkeys, n};
    t->nkeys += n;
    *s = (sl_ht_slot){h, ++t->n};
    *slot = &t->ents[t->n - 1].val;
    if (added) *added = true;
    return SL_OK;
}

int sl_ht_set(sl_ht *t, const void *key, size_t n, uint64_t val)
{
    uint64_t *v;
    int rc = sl_ht_upsert(t, key, n, val, &v, NULL);
    if (!rc) *v = val;
    return rc;
}

size_t sl_ht_count(const sl_ht *t) { return t->n; }

const void *sl_ht_key_at(const sl_ht *t, size_t i, size_t *n)
{
    *n = t->ents[i].klen;
    return t->keys + t->ents[i].koff;
}

uint64_t sl_ht_val_at(const sl_ht *t, size_t i) { return t->ents[i].val; }

void sl_ht_clear(sl_ht *t)
{
    if (t->cap) memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->n = t->nkeys = 0;
}

void sl_ht_free(sl_ht *t)
{
    sl_free(t->slots), sl_free(t->ents), sl_free(t->keys);
    memset(t, 0, sizeof *t);
}

/* ---- ids only ---- */

static bool htid_eq(const void *ctx, uint64_t id, const void *key, size_t n)
{
    const sl_htid *t = ctx;
    size_t kn;
    const void *k = t->key(t->ctx, id, &kn);
    return kn == n && (!n || !memcmp(k, key, n));
}

void sl_htid_init(sl_htid *t, sl_htid_key_fn key, const void *ctx)
{
    memset(t, 0, sizeof *t);
    t->key = key;
    t->ctx = ctx;
}

bool sl_htid_find(const sl_htid *t, const void *key, size_t n, uint64_t *id)
{
    const sl_ht_slot *s;
    if (!t->n) return false;
    s = probe(t->slots, t->cap, table_hash(key, n), htid_eq, t, key, n);
    if (s->idp1 && id) *id = s->idp1 - 1;
    return s->idp1 != 0;
}

/* Adds id under hash h, the key known absent. */
static int htid_put(sl_htid *t, uint64_t h, uint64_t id)
{
    size_t i;
    if (id == UINT64_MAX) return SL_EUSAGE;
    if (reserve(&t->slots, &t->cap, t->n)) return SL_ENOMEM;
    for (i = (size_t)h & (t->cap - 1); t->slots[i].idp1; i = (i + 1) & (t->cap - 1)) {}
    t->slots[i] = (sl_ht_slot){h, id + 1};
    t->n++;
    return SL_OK;
}

int sl_htid_add(sl_htid *t, const void *key, size_t n, uint64_t id)
{
    return htid_put(t, table_hash(key, n), id);
}

int sl_htid_upsert(sl_htid *t, const void *key, size_t n, uint64_t new_id, uint64_t *id, bool *added)
{
    uint64_t h = table_hash(key, n);
    int rc;
    if (t->n) {
        const sl_ht_slot *s = probe(t->slots, t->cap, h, htid_eq, t, key, n);
        if (s->idp1) {
            *id = s->idp1 - 1;
            if (added) *added = false;
            return SL_OK;
        }
    }
    if ((rc = htid_put(t, h, new_id))) return rc;
    *id = new_id;
    if (added) *added = true;
    return SL_OK;
}

size_t sl_htid_count(const sl_htid *t) { return t->n; }

void sl_htid_clear(sl_htid *t)
{
    if (t->cap) memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->n = 0;
}

void sl_htid_free(sl_htid *t)
{
    sl_free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}
