/* ratelimit.c — the request rate per token: one token bucket per API token (rate tokens a
 * second, at most burst), kept in memory (a restart refills every bucket). The buckets
 * live in 64 stripes, each an open-addressing table under its own mutex, so two HTTP
 * threads rarely wait for each other; an id's stripe and slot come from a multiplicative
 * hash of the token id (ids are the server's own, not attacker-chosen).
 */
#include <math.h>
#include <string.h>

#include "server/server_int.h"
#include "sleuth/util.h"

#define STRIPES 64

typedef struct bucket {
    int64_t id;        /* 0: empty */
    double level;
    uint64_t at_ns;    /* when level was computed */
} bucket;

typedef struct stripe {
    pthread_mutex_t mu;
    bucket *v;
    size_t cap, n;     /* cap: a power of two */
} stripe;

struct srv_rl {
    double rate, burst;
    stripe s[STRIPES];
};

int srv_rl_open(srv_rl **out, double rate, double burst)
{
    srv_rl *r = sl_calloc(1, sizeof *r);
    if (!r) return SL_ENOMEM;
    r->rate = rate, r->burst = burst < 1 ? 1 : burst;
    for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&r->s[i].mu, NULL);
    *out = r;
    return SL_OK;
}

void srv_rl_close(srv_rl *r)
{
    if (!r) return;
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_destroy(&r->s[i].mu);
        sl_free(r->s[i].v);
    }
    sl_free(r);
}

static uint64_t mix(int64_t id) { return (uint64_t)id * 0x9E3779B97F4A7C15ull; }

/* The slot of id in st (inserting it, full, when missing); NULL when out of memory. */
static bucket *slot(srv_rl *r, stripe *st, int64_t id, uint64_t now)
{
    if (st->n * 2 >= st->cap) { /* grow: rehash into twice the room */
        size_t cap = st->cap ? st->cap * 2 : 16;
        bucket *v = sl_calloc(cap, sizeof *v);
        if (!v) return NULL;
        for (size_t i = 0; i < st->cap; i++) {
            if (!st->v[i].id) continue;
            size_t k = (size_t)(mix(st->v[i].id) >> 20) & (cap - 1);
            while (v[k].id) k = (k + 1) & (cap - 1);
            v[k] = st->v[i];
        }
        sl_free(st->v);
        st->v = v, st->cap = cap;
    }
    size_t k = (size_t)(mix(id) >> 20) & (st->cap - 1);
    while (st->v[k].id && st->v[k].id != id) k = (k + 1) & (st->cap - 1);
    if (!st->v[k].id) {
        st->v[k] = (bucket){id, r->burst, now};
        st->n++;
    }
    return &st->v[k];
}

bool srv_rl_take(srv_rl *r, int64_t id, unsigned *retry_after)
{
    stripe *st = &r->s[mix(id) >> 58];
    uint64_t now = srv_now_ns();
    bool ok;
    pthread_mutex_lock(&st->mu);
    bucket *b = slot(r, st, id, now);
    if (!b) { /* no memory for a bucket: let it through rather than fail a request */
        pthread_mutex_unlock(&st->mu);
        return true;
    }
    b->level += (double)(now - b->at_ns) * 1e-9 * r->rate;
    if (b->level > r->burst) b->level = r->burst;
    b->at_ns = now;
    ok = b->level >= 1.0;
    if (ok) b->level -= 1.0;
    else *retry_after = (unsigned)ceil((1.0 - b->level) / r->rate);
    pthread_mutex_unlock(&st->mu);
    if (!ok && !*retry_after) *retry_after = 1;
    return ok;
}
