/* screen.c — the answer of a screen: the subject (an address, a transaction, a cluster)
 * resolved through the store's flow views, its members' records looked up in the mapped
 * exposure index (index.c), added up per direction, direct/indirect, category and asset,
 * and per source, the rules (rules.c) applied to those sums and to the subject's own tags,
 * and one JSON document (docs/JSON.md, "sleuth screen") built from it. Nothing here queries SQLite
 * or the tag store: the sources' labels are in the index; the per-call work is a binary
 * search per member and arrays the screener keeps between calls.
 *
 * A transaction's "in" is the exposure of the addresses that paid into it (UTXO: the
 * addresses of the outputs it spends; accounts: the senders of its flows), its "out" the
 * exposure of the addresses it paid: an address-level approximation (docs/SCREENING.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "screen/screen_int.h"
#include "report/report_int.h"
#include "sleuth/cluster.h"
#include "sleuth/report.h"
#include "sleuth/util.h"

#define MAX_MEMBERS 100000u

/* A member of the subject; for a transaction also the asset and value it paid in (in) or
 * was paid (out). */
typedef struct member { uint16_t chain; uint32_t addr; unsigned dirs; uint32_t asset; sl_u128 value; } member;

/* A sum per (direction, direct?, category, chain, asset). */
typedef struct agg {
    uint8_t dir, direct, cat;
    uint16_t chain;
    uint32_t asset;
    sl_u128 amount, received;
    uint32_t hops;
} agg;

/* A sum per (direction, source, asset). */
typedef struct ssum {
    uint8_t dir;
    uint32_t source, asset;
    uint16_t chain;
    sl_u128 amount, received;
    uint32_t hops, best_rec;
    double share;
} ssum;

/* What the subject received per (direction, chain, asset): the shares' denominators. */
typedef struct den { uint8_t dir; uint16_t chain; uint32_t asset; uint32_t member; sl_u128 received; } den;

struct sl_screen {
    sl_store *s;
    char dir[2048], index_path[2100];
    sl_flow_set *fs;
    sl_expo x;
    bool have_index;
    sl_rules rules;
    sl_cluster *cl[8];
    uint16_t cl_chain[8];
    size_t n_cl;
    member *mem;
    size_t n_mem, cap_mem;
    agg *ag;
    size_t n_ag, cap_ag;
    ssum *ss;
    size_t n_ss, cap_ss;
    den *dn;
    size_t n_dn, cap_dn;
    uint32_t *ids;
    struct txsrc { uint16_t chain; uint64_t id; uint32_t src; } *txs; /* tx sources, sorted */
    char *index_text;      /* the answers' "index" member, printed when the index is loaded */
    sl_jw *w;              /* the answer's writer, into mf (a memory stream: mbuf, msize) */
    FILE *mf;
    char *mbuf;
    size_t msize;
    size_t n_txs;
};

static int cmp_txsrc(const void *pa, const void *pb)
{
    const struct txsrc *a = pa, *b = pb;
    if (a->chain != b->chain) return a->chain < b->chain ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The source of the tagged tx (chain, id), UINT32_MAX when it has no tag. */
static uint32_t tx_source(const sl_screen *sc, uint16_t chain, uint64_t id)
{
    struct txsrc key = {chain, id, 0}, *hit;
    if (!sc->n_txs) return UINT32_MAX;
    hit = bsearch(&key, sc->txs, sc->n_txs, sizeof key, cmp_txsrc);
    return hit ? hit->src : UINT32_MAX;
}

static void index_json(const sl_screen *sc, cJSON *ix);

/* The "index" member of every answer, as JSON text. */
static int index_text(sl_screen *sc, sl_error *e)
{
    cJSON *ix = cJSON_CreateObject();
    cJSON_free(sc->index_text);
    sc->index_text = NULL;
    if (ix) index_json(sc, ix);
    if (!ix || !(sc->index_text = cJSON_PrintUnformatted(ix))) {
        cJSON_Delete(ix);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    cJSON_Delete(ix);
    return SL_OK;
}

static int load_index(sl_screen *sc, sl_error *e)
{
    int rc;
    sl_expo_close(&sc->x);
    sl_free(sc->txs);
    sc->txs = NULL, sc->n_txs = 0;
    sc->have_index = false;
    rc = sl_expo_open(&sc->x, sc->index_path, e);
    if (rc == SL_ENOTFOUND) { memset(e, 0, sizeof *e); return index_text(sc, e); }
    if (rc) return rc;
    sc->have_index = true;
    if ((rc = index_text(sc, e))) return rc;
    for (uint32_t pass = 0; pass < 2; pass++) { /* count, then fill */
        size_t n = 0;
        for (uint64_t i = 0; i < sc->x.n_sources; i++) {
            sl_expo_src x;
            sl_expo_src_at(&sc->x, (uint32_t)i, &x);
            if (x.kind != 2) continue;
            if (pass) sc->txs[n] = (struct txsrc){x.chain, x.id, (uint32_t)i};
            n++;
        }
        if (!pass && n && !(sc->txs = sl_malloc(n * sizeof *sc->txs))) return sl_err(e, SL_ENOMEM, "out of memory");
        sc->n_txs = n;
    }
    if (sc->n_txs) qsort(sc->txs, sc->n_txs, sizeof *sc->txs, cmp_txsrc);
    return SL_OK;
}

int sl_screen_open(sl_screen **out, sl_store *s, const char *store_dir, const char *rules_path, sl_error *e)
{
    sl_screen *sc = sl_calloc(1, sizeof *sc);
    char def[4096];
    int rc;
    *out = NULL;
    if (!sc || !(sc->w = sl_malloc(sizeof *sc->w))) {
        sl_free(sc);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    sc->s = s;
    snprintf(sc->dir, sizeof sc->dir, "%s", store_dir);
    snprintf(sc->index_path, sizeof sc->index_path, "%s/exposure/index.bin", store_dir);
    if (!rules_path) {
        snprintf(def, sizeof def, "%s/screen/rules.yaml", sl_tags_data_dir());
        rules_path = def;
    }
    if ((rc = sl_rules_load(&sc->rules, rules_path, e)) || (rc = sl_flow_set_open(&sc->fs, s, e)) ||
        (rc = load_index(sc, e))) {
        sl_screen_close(sc);
        return rc;
    }
    *out = sc;
    return SL_OK;
}

int sl_screen_refresh(sl_screen *sc, sl_error *e)
{
    struct stat st;
    int rc;
    if ((rc = sl_store_snapshot(sc->s, e))) return rc;
    sl_flow_set_close(sc->fs);
    sc->fs = NULL;
    for (size_t i = 0; i < sc->n_cl; i++) sl_cluster_close(sc->cl[i]);
    sc->n_cl = 0;
    if ((rc = sl_flow_set_open(&sc->fs, sc->s, e))) return rc;
    if (!stat(sc->index_path, &st) && sc->have_index && (uint64_t)st.st_ino == sc->x.ino &&
        (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec == sc->x.mtime_ns)
        return SL_OK;
    return load_index(sc, e);
}

void sl_screen_close(sl_screen *sc)
{
    if (!sc) return;
    if (sc->fs) sl_flow_set_close(sc->fs);
    for (size_t i = 0; i < sc->n_cl; i++) sl_cluster_close(sc->cl[i]);
    sl_expo_close(&sc->x);
    if (sc->mf) fclose(sc->mf);
    free(sc->mbuf); /* open_memstream's buffer comes from malloc */
    sl_free(sc->w);
    cJSON_free(sc->index_text);
    sl_rules_free(&sc->rules);
    sl_free(sc->mem), sl_free(sc->txs), sl_free(sc->ag), sl_free(sc->ss), sl_free(sc->dn), sl_free(sc->ids);
    sl_free(sc);
}

/* ---------------- the subject ---------------- */

static int add_member_value(sl_screen *sc, uint16_t chain, uint32_t addr, unsigned dirs, uint32_t asset, sl_u128 value)
{
    void *q = sc->mem;
    if (!addr) return SL_OK;
    for (size_t i = 0; i < sc->n_mem && sc->n_mem < 64; i++) /* a tx's addresses repeat: merge the few */
        if (sc->mem[i].chain == chain && sc->mem[i].addr == addr && sc->mem[i].dirs == dirs && sc->mem[i].asset == asset) {
            sc->mem[i].value += value;
            return SL_OK;
        }
    if (sl_grow(&q, &sc->cap_mem, sc->n_mem + 1, sizeof *sc->mem)) return SL_ENOMEM;
    sc->mem = q;
    sc->mem[sc->n_mem++] = (member){chain, addr, dirs, asset, value};
    return SL_OK;
}
static int add_member(sl_screen *sc, uint16_t chain, uint32_t addr, unsigned dirs)
{
    return add_member_value(sc, chain, addr, dirs, 0, 0);
}

static int tx_members(sl_screen *sc, const sl_flow_view *v, uint64_t tx)
{
    int rc = SL_OK;
    if (v->model == SL_MODEL_UTXO) {
        sl_utxo_pool p;
        v->m->utxo_pool(v, tx, &p);
        for (uint32_t i = 0; i < p.n_in && !rc; i++) {
            uint32_t a = 0;
            uint64_t val = v->m->utxo_in_value(v, p.first_in + i, &a);
            if (val != UINT64_MAX) rc = add_member_value(sc, v->chain, a, SL_SCREEN_IN, 0, val);
        }
        for (uint32_t i = 0; i < p.n_out && !rc; i++) {
            uint64_t val;
            uint32_t a;
            bool unsp;
            v->m->utxo_out(v, p.first_out + i, &val, &a, &unsp);
            rc = add_member_value(sc, v->chain, a, SL_SCREEN_OUT, 0, val);
        }
        /* change back to a sender is no place the outputs went: its history is the sender's */
        for (size_t i = 0; i < sc->n_mem; i++)
            for (size_t k = 0; sc->mem[i].dirs == SL_SCREEN_OUT && k < sc->n_mem; k++)
                if (sc->mem[k].dirs == SL_SCREEN_IN && sc->mem[k].addr == sc->mem[i].addr) sc->mem[i].dirs = 0;
    } else {
        uint64_t first;
        uint32_t n;
        v->m->tx_flows(v, tx, &first, &n);
        for (uint32_t i = 0; i < n && !rc; i++) {
            sl_flow f;
            v->m->flow_get(v, first + i, &f);
            if (f.fee) continue;
            if (!(rc = add_member_value(sc, v->chain, f.from, SL_SCREEN_IN, f.asset, f.amount)))
                rc = add_member_value(sc, v->chain, f.to, SL_SCREEN_OUT, f.asset, f.amount);
        }
    }
    return rc;
}

static int cluster_of(sl_screen *sc, const sl_flow_view *v, sl_cluster **out, sl_error *e)
{
    int rc;
    for (size_t i = 0; i < sc->n_cl; i++)
        if (sc->cl_chain[i] == v->chain) { *out = sc->cl[i]; return SL_OK; }
    if (sc->n_cl == 8) return sl_err(e, SL_ELIMIT, "too many chains");
    if ((rc = sl_cluster_open_chain(sc->s, v->model == SL_MODEL_UTXO ? NULL : v->name, out, e))) return rc;
    sc->cl[sc->n_cl] = *out, sc->cl_chain[sc->n_cl++] = v->chain;
    return SL_OK;
}

/* A whole decimal number, nothing else. */
static bool parse_id(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10) return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return true;
}

typedef struct subj {
    const sl_flow_view *v;
    int kind;              /* 1 address, 2 tx, 3 cluster */
    uint64_t id;
    uint64_t size;         /* cluster: members */
    bool truncated;
} subj;

static int resolve_cluster(sl_screen *sc, const char *text, subj *sj, sl_error *e)
{
    char chain[64];
    const char *c = text + 8, *colon = strchr(c, ':');
    uint64_t id;
    sl_cluster *cl;
    size_t n;
    int rc;
    if (!colon || (size_t)(colon - c) >= sizeof chain || !parse_id(colon + 1, &id) || id > UINT32_MAX)
        return sl_err(e, SL_EUSAGE, "'%s': a cluster is written cluster:CHAIN:ID (e.g. cluster:bitcoin:42)", text);
    memcpy(chain, c, (size_t)(colon - c)), chain[colon - c] = 0;
    if ((rc = sl_flow_set_find(sc->fs, chain, &sj->v, e))) return rc;
    if ((rc = cluster_of(sc, sj->v, &cl, e))) return rc;
    if (!sl_cluster_exists(cl, (uint32_t)id, &sj->size))
        return sl_err(e, SL_ENOTFOUND, "%s: no cluster %" PRIu64 " on %s (ids are a member's address id: "
                                       "`sleuth cluster show`)", text, id, sj->v->name);
    if (!sc->ids && !(sc->ids = sl_malloc(MAX_MEMBERS * sizeof *sc->ids))) return sl_err(e, SL_ENOMEM, "out of memory");
    n = sl_cluster_members(cl, (uint32_t)id, 0, sc->ids, MAX_MEMBERS);
    sj->truncated = sj->size > n;
    for (size_t i = 0; i < n; i++)
        if (add_member(sc, sj->v->chain, sc->ids[i], SL_SCREEN_BOTH)) return sl_err(e, SL_ENOMEM, "out of memory");
    sj->kind = 3, sj->id = id;
    return SL_OK;
}

static int resolve(sl_screen *sc, const sl_screen_req *rq, subj *sj, sl_error *e)
{
    bool valid = false;
    char why[300] = "";
    memset(sj, 0, sizeof *sj);
    sc->n_mem = 0;
    if (!strncmp(rq->subject, "cluster:", 8)) return resolve_cluster(sc, rq->subject, sj, e);
    for (size_t i = 0; i < sl_flow_set_count(sc->fs); i++) {
        const sl_flow_view *v = sl_flow_set_at(sc->fs, i);
        sl_error ae = {0};
        uint32_t a;
        uint64_t tx;
        int rc;
        if (rq->chain) {
            const sl_flow_view *w;
            sl_error ce = {0};
            if (sl_flow_set_find(sc->fs, rq->chain, &w, &ce) || w != v) continue;
        }
        if (!(rc = v->m->addr_find(v, rq->subject, &a, &ae))) {
            sj->v = v, sj->kind = 1, sj->id = a;
            return add_member(sc, v->chain, a, SL_SCREEN_BOTH) ? sl_err(e, SL_ENOMEM, "out of memory") : SL_OK;
        }
        if (rc == SL_ENOTFOUND) valid = true;
        else if (!why[0]) snprintf(why, sizeof why, "%.290s", ae.msg);
        if (!(rc = v->m->tx_find(v, rq->subject, &tx))) {
            sj->v = v, sj->kind = 2, sj->id = tx;
            return tx_members(sc, v, tx) ? sl_err(e, SL_ENOMEM, "out of memory") : SL_OK;
        }
        if (rc == SL_ENOTFOUND) valid = true;
    }
    if (rq->chain) {
        const sl_flow_view *w;
        int rc = sl_flow_set_find(sc->fs, rq->chain, &w, e);
        if (rc) return rc;
    }
    if (valid) return sl_err(e, SL_ENOTFOUND, "%s: the store holds no such address or transaction", rq->subject);
    return sl_err(e, SL_EUSAGE, "'%s' is no address, transaction id or cluster:CHAIN:ID of the store's chains%s%s",
                  rq->subject, why[0] ? ": " : "", why);
}

/* ---------------- adding up ---------------- */

static int add_agg(sl_screen *sc, const sl_expo_rec *r, uint16_t chain, unsigned cat)
{
    uint8_t direct = r->hops <= 1;
    void *q = sc->ag;
    for (size_t i = 0; i < sc->n_ag; i++) {
        agg *a = &sc->ag[i];
        if (a->dir == r->dir && a->direct == direct && a->cat == cat && a->chain == chain && a->asset == r->asset) {
            a->amount += r->amount;
            if (r->hops < a->hops) a->hops = r->hops;
            return SL_OK;
        }
    }
    if (sl_grow(&q, &sc->cap_ag, sc->n_ag + 1, sizeof *sc->ag)) return SL_ENOMEM;
    sc->ag = q;
    sc->ag[sc->n_ag++] = (agg){r->dir, direct, (uint8_t)cat, chain, r->asset, r->amount, 0, r->hops};
    return SL_OK;
}

static int add_ssum(sl_screen *sc, const sl_expo_rec *r, uint16_t chain, uint32_t rec)
{
    void *q = sc->ss;
    for (size_t i = 0; i < sc->n_ss; i++) {
        ssum *s = &sc->ss[i];
        if (s->dir == r->dir && s->source == r->source && s->asset == r->asset && s->chain == chain) {
            s->amount += r->amount;
            if (r->hops < s->hops) s->hops = r->hops, s->best_rec = rec;
            return SL_OK;
        }
    }
    if (sl_grow(&q, &sc->cap_ss, sc->n_ss + 1, sizeof *sc->ss)) return SL_ENOMEM;
    sc->ss = q;
    sc->ss[sc->n_ss++] = (ssum){r->dir, r->source, r->asset, chain, r->amount, 0, r->hops, rec, 0};
    return SL_OK;
}

static int add_den(sl_screen *sc, const sl_expo_rec *r, uint16_t chain, uint32_t member)
{
    void *q = sc->dn;
    for (size_t i = 0; i < sc->n_dn; i++) {
        den *d = &sc->dn[i];
        if (d->dir == r->dir && d->chain == chain && d->asset == r->asset) {
            if (d->member != member) d->received += r->received, d->member = member;
            else if (r->received > d->received) d->received = r->received;
            return SL_OK;
        }
    }
    if (sl_grow(&q, &sc->cap_dn, sc->n_dn + 1, sizeof *sc->dn)) return SL_ENOMEM;
    sc->dn = q;
    sc->dn[sc->n_dn++] = (den){r->dir, chain, r->asset, member, r->received};
    return SL_OK;
}

static sl_u128 den_of(const sl_screen *sc, uint8_t dir, uint16_t chain, uint32_t asset)
{
    for (size_t i = 0; i < sc->n_dn; i++)
        if (sc->dn[i].dir == dir && sc->dn[i].chain == chain && sc->dn[i].asset == asset) return sc->dn[i].received;
    return 0;
}

static double share_of(sl_u128 a, sl_u128 d) { return d ? (double)a / (double)d : 0; }

/* A transaction's tagged counterparty: what it paid in (in) or was paid (out) counts as
 * direct exposure of the transaction to the counterparty's tags, its share of what the
 * transaction moved that way in that asset. */
static int add_counterparty(sl_screen *sc, const member *m, uint32_t own, uint32_t mi)
{
    sl_u128 moved = 0;
    sl_expo_src s;
    sl_expo_rec r = {.amount = m->value, .source = own, .asset = m->asset, .dir = (uint8_t)m->dirs, .hops = 1};
    for (size_t i = 0; i < sc->n_mem; i++)
        if (sc->mem[i].dirs == m->dirs && sc->mem[i].asset == m->asset) moved += sc->mem[i].value;
    r.received = moved;
    sl_expo_src_at(&sc->x, own, &s);
    for (unsigned c = 0; c < SL_CAT_N; c++)
        if (s.cats >> c & 1 && add_agg(sc, &r, m->chain, c)) return SL_ENOMEM;
    if (add_ssum(sc, &r, m->chain, UINT32_MAX) || add_den(sc, &r, m->chain, mi)) return SL_ENOMEM;
    return SL_OK;
}

/* Adds up the members' records. *self gets the categories of the subject's own tags (an
 * address's, a cluster's members', a transaction's), *self_src one of those tags. */
static int add_up(sl_screen *sc, const subj *sj, unsigned dirs, uint32_t *self, uint32_t *self_src)
{
    *self = 0, *self_src = UINT32_MAX;
    sc->n_ag = sc->n_ss = sc->n_dn = 0;
    if (!sc->have_index) return SL_OK;
    if (sj->kind == 2 && (*self_src = tx_source(sc, sj->v->chain, sj->id)) != UINT32_MAX) {
        sl_expo_src s;
        sl_expo_src_at(&sc->x, *self_src, &s);
        *self = s.cats;
    }
    for (size_t m = 0; m < sc->n_mem; m++) {
        uint32_t first, n, own;
        if (!sl_expo_find(&sc->x, sc->mem[m].chain, sc->mem[m].addr, &first, &n, &own)) continue;
        if (own != UINT32_MAX && sj->kind != 2) {
            sl_expo_src s;
            sl_expo_src_at(&sc->x, own, &s);
            *self |= s.cats;
            if (*self_src == UINT32_MAX) *self_src = own;
        } else if (own != UINT32_MAX && sc->mem[m].dirs & dirs && add_counterparty(sc, &sc->mem[m], own, (uint32_t)m))
            return SL_ENOMEM;
        for (uint32_t k = first; k < first + n; k++) {
            sl_expo_rec r;
            sl_expo_src s;
            sl_expo_rec_at(&sc->x, k, &r);
            if (!(r.dir & dirs & sc->mem[m].dirs)) continue;
            sl_expo_src_at(&sc->x, r.source, &s);
            for (unsigned c = 0; c < SL_CAT_N; c++)
                if (s.cats >> c & 1 && add_agg(sc, &r, sc->mem[m].chain, c)) return SL_ENOMEM;
            if (add_ssum(sc, &r, sc->mem[m].chain, k) || add_den(sc, &r, sc->mem[m].chain, (uint32_t)m)) return SL_ENOMEM;
        }
    }
    for (size_t i = 0; i < sc->n_ag; i++)
        sc->ag[i].received = den_of(sc, sc->ag[i].dir, sc->ag[i].chain, sc->ag[i].asset);
    for (size_t i = 0; i < sc->n_ss; i++) {
        sc->ss[i].received = den_of(sc, sc->ss[i].dir, sc->ss[i].chain, sc->ss[i].asset);
        sc->ss[i].share = share_of(sc->ss[i].amount, sc->ss[i].received);
    }
    return SL_OK;
}

static int cmp_ssum(const void *pa, const void *pb)
{
    const ssum *a = pa, *b = pb;
    if (a->share != b->share) return a->share > b->share ? -1 : 1;
    if (a->amount != b->amount) return a->amount > b->amount ? -1 : 1;
    return (a->source > b->source) - (a->source < b->source);
}

/* ---------------- JSON ----------------
 * The answer is written as text by the report layer's streaming writer (sl_jw) into a
 * memory stream the screener keeps: no tree, no allocation per member; the tree of
 * sl_screen_json is that text parsed. */

static const char *dir_name(unsigned d) { return d == SL_SCREEN_IN ? "in" : "out"; }

/* A share in 0..1 with 9 decimals, trailing zeros dropped ("0.666666667", "1", "0"):
 * integer digits, no printf (every answer has a dozen). */
static void jw_share(sl_jw *w, const char *key, double v)
{
    char b[16];
    uint64_t x = v <= 0 ? 0 : v >= 1 ? 1000000000u : (uint64_t)(v * 1e9 + 0.5);
    int n = 9;
    if (x >= 1000000000u) { sl_jw_raw(w, key, "1"); return; }
    if (!x) { sl_jw_raw(w, key, "0"); return; }
    while (x % 10 == 0) x /= 10, n--;
    b[0] = '0', b[1] = '.', b[2 + n] = 0;
    for (int i = n - 1; i >= 0; i--) b[2 + i] = (char)('0' + x % 10), x /= 10;
    sl_jw_raw(w, key, b);
}

static void amount_json(sl_jw *w, const sl_flow_view *v, uint32_t asset, sl_u128 amount)
{
    char s[120], d[40];
    sl_flow_asset a;
    if (v) {
        v->m->asset_info(v, asset, &a);
        sl_flow_amount_str(s, sizeof s, &a, amount, true);
        sl_jw_str(w, "asset", a.symbol);
        sl_jw_str(w, "amount", s);
    }
    sl_u128_dec(d, amount);
    sl_jw_id(w, "amount_base", d);
}

static void cats_json(sl_jw *w, const char *key, uint32_t cats)
{
    sl_jw_arr(w, key);
    for (unsigned c = 0; c < SL_CAT_N; c++)
        if (cats >> c & 1) sl_jw_id(w, NULL, sl_cat_name(c));
    sl_jw_end(w);
}

static void source_json(sl_jw *w, const sl_screen *sc, const char *key, uint32_t i)
{
    sl_expo_src s;
    const sl_flow_view *v;
    sl_expo_src_at(&sc->x, i, &s);
    v = sl_flow_set_chain(sc->fs, s.chain);
    sl_jw_obj(w, key);
    sl_jw_str(w, "label", s.label);
    cats_json(w, "categories", s.cats);
    sl_jw_str(w, "incident", *s.incident ? s.incident : NULL);
    sl_jw_str(w, "actor", *s.actor ? s.actor : NULL);
    sl_jw_str(w, "chain", v ? v->name : "?");
    sl_jw_str(w, s.kind == 1 ? "address" : "tx", s.name);
    sl_jw_end(w);
}

/* The path of record k: per step the tx and the address paid (k UINT32_MAX: a
 * transaction's own counterparty, no step before it). */
static void path_json(sl_jw *w, const sl_screen *sc, uint32_t k)
{
    sl_expo_rec r;
    sl_expo_src s;
    const sl_flow_view *v = NULL;
    sl_jw_arr(w, "path");
    if (k != UINT32_MAX) {
        sl_expo_rec_at(&sc->x, k, &r);
        sl_expo_src_at(&sc->x, r.source, &s);
        v = sl_flow_set_chain(sc->fs, s.chain);
    }
    for (uint32_t i = 0; v && i < r.path_n; i++) {
        sl_flow fl;
        char tx[SL_FLOW_NAME_MAX], to[SL_FLOW_NAME_MAX];
        v->m->flow_get(v, sl_expo_path_at(&sc->x, r.path + i), &fl);
        if (fl.tx != SL_FLOW_NONE) v->m->tx_name(v, fl.tx, tx);
        v->m->addr_name(v, fl.to, to);
        sl_jw_obj(w, NULL);
        sl_jw_str(w, "tx", fl.tx != SL_FLOW_NONE ? tx : NULL); /* a block reward: no tx */
        sl_jw_str(w, "to", to);
        amount_json(w, v, fl.asset, fl.amount);
        sl_jw_end(w);
    }
    sl_jw_end(w);
}

static void ssum_json(sl_jw *w, const sl_screen *sc, const ssum *x, bool with_path)
{
    sl_jw_obj(w, NULL);
    source_json(w, sc, "source", x->source);
    amount_json(w, sl_flow_set_chain(sc->fs, x->chain), x->asset, x->amount);
    jw_share(w, "share", x->share);
    sl_jw_u64(w, "hops", x->hops);
    if (with_path) path_json(w, sc, x->best_rec);
    sl_jw_end(w);
}

static void direction_json(sl_jw *w, const sl_screen *sc, unsigned dir, uint32_t top)
{
    uint32_t shown = 0;
    sl_jw_obj(w, dir_name(dir));
    sl_jw_arr(w, "received");
    for (size_t i = 0; i < sc->n_dn; i++) {
        const sl_flow_view *v = sl_flow_set_chain(sc->fs, sc->dn[i].chain);
        if (sc->dn[i].dir != dir) continue;
        sl_jw_obj(w, NULL);
        sl_jw_str(w, "chain", v->name);
        amount_json(w, v, sc->dn[i].asset, sc->dn[i].received);
        sl_jw_end(w);
    }
    sl_jw_end(w);
    for (int direct = 1; direct >= 0; direct--) {
        sl_jw_arr(w, direct ? "direct" : "indirect");
        for (size_t i = 0; i < sc->n_ag; i++) {
            const agg *a = &sc->ag[i];
            const sl_flow_view *v = sl_flow_set_chain(sc->fs, a->chain);
            if (a->dir != dir || a->direct != direct) continue;
            sl_jw_obj(w, NULL);
            sl_jw_id(w, "category", sl_cat_name(a->cat));
            sl_jw_str(w, "chain", v->name);
            amount_json(w, v, a->asset, a->amount);
            jw_share(w, "share", share_of(a->amount, a->received));
            sl_jw_u64(w, "hops", a->hops);
            sl_jw_end(w);
        }
        sl_jw_end(w);
    }
    sl_jw_arr(w, "top_sources");
    for (size_t i = 0; i < sc->n_ss && shown < top; i++)
        if (sc->ss[i].dir == dir) ssum_json(w, sc, &sc->ss[i], false), shown++;
    sl_jw_end(w);
    sl_jw_end(w);
}

/* One reason: the rule, what it matched, the top sources behind it (the top one with its
 * path when with_path). */
static void reason_json(sl_jw *w, const sl_screen *sc, const sl_rule *ru, const agg *a, unsigned self_cat,
                        uint32_t self_src, uint32_t top, bool with_path)
{
    uint32_t shown = 0;
    sl_jw_obj(w, NULL);
    sl_jw_id(w, "level", sl_level_name(ru->level));
    sl_jw_str(w, "rule", ru->name);
    sl_jw_u64(w, "rule_line", ru->line);
    if (!a) {
        sl_jw_id(w, "category", sl_cat_name(self_cat));
        sl_jw_id(w, "exposure", "self");
        source_json(w, sc, "tag", self_src);
        sl_jw_end(w);
        return;
    }
    sl_jw_id(w, "category", sl_cat_name(a->cat));
    sl_jw_id(w, "direction", dir_name(a->dir));
    sl_jw_id(w, "exposure", a->direct ? "direct" : "indirect");
    amount_json(w, sl_flow_set_chain(sc->fs, a->chain), a->asset, a->amount);
    jw_share(w, "share", share_of(a->amount, a->received));
    sl_jw_u64(w, "hops", a->hops);
    sl_jw_arr(w, "sources");
    for (size_t i = 0; i < sc->n_ss && shown < top; i++) {
        const ssum *x = &sc->ss[i];
        sl_expo_src s;
        if (x->dir != a->dir || x->chain != a->chain || x->asset != a->asset || (x->hops <= 1) != a->direct) continue;
        sl_expo_src_at(&sc->x, x->source, &s);
        if (!(s.cats >> a->cat & 1)) continue;
        ssum_json(w, sc, x, with_path && !shown), shown++; /* the way of the top one */
    }
    sl_jw_end(w);
    sl_jw_end(w);
}

static bool rule_matches(const sl_screen *sc, const sl_rule *ru, const agg *a)
{
    sl_flow_asset as;
    double whole, d = 1;
    const sl_flow_view *v = sl_flow_set_chain(sc->fs, a->chain);
    if (!(ru->cats >> a->cat & 1) || !(ru->dirs & a->dir) || !(ru->exposure & (a->direct ? SL_EXP_DIRECT : SL_EXP_INDIRECT)))
        return false;
    if (ru->max_hops && a->hops > ru->max_hops) return false;
    if (share_of(a->amount, a->received) < ru->min_share) return false;
    if (ru->min_amount > 0) {
        v->m->asset_info(v, a->asset, &as);
        for (int i = 0; i < (as.decimals < 0 ? 0 : as.decimals); i++) d *= 10;
        whole = (double)a->amount / d;
        if (whole < ru->min_amount) return false;
    }
    return true;
}

/* The rule that gives sum a its level: the first of the highest level that matches it, or
 * SIZE_MAX. One reason per sum: the rules below it say less. */
static size_t best_rule(const sl_screen *sc, const agg *a)
{
    size_t best = SIZE_MAX;
    for (size_t r = 0; r < sc->rules.n; r++) {
        const sl_rule *ru = &sc->rules.v[r];
        if (ru->level == SL_LEVEL_NONE || (best != SIZE_MAX && ru->level <= sc->rules.v[best].level)) continue;
        if (rule_matches(sc, ru, a)) best = r;
    }
    return best;
}

static void index_json(const sl_screen *sc, cJSON *ix)
{
    cJSON *tips;
    cJSON_AddBoolToObject(ix, "built", sc->have_index);
    if (!sc->have_index) {
        cJSON_AddStringToObject(ix, "note", "exposure not built: only the subject's own tags are screened "
                                            "(run `sleuth exposure build`)");
        return;
    }
    cJSON_AddStringToObject(ix, "policy", sl_policy_name((sl_policy)sc->x.policy));
    cJSON_AddNumberToObject(ix, "max_hops", sc->x.max_hops);
    sl_json_u64(ix, "built_at", sc->x.built);
    {
        char tv[40];
        snprintf(tv, sizeof tv, "%016llx-%016llx", (unsigned long long)sc->x.tags_count,
                 (unsigned long long)sc->x.tags_mtime);
        cJSON_AddStringToObject(ix, "tags_version", tv);
    }
    tips = cJSON_AddArrayToObject(ix, "tips");
    for (uint32_t i = 0; i < sc->x.n_chains; i++) {
        sl_expo_chain c;
        char hx[65];
        cJSON *t = cJSON_CreateObject();
        const sl_flow_view *v;
        sl_expo_chain_at(&sc->x, i, &c);
        v = sl_flow_set_chain(sc->fs, c.chain);
        if (v && v->model != SL_MODEL_UTXO) sl_hex_encode(hx, c.hash, 32); /* 0x hashes are written as stored */
        else sl_hex_encode_rev(hx, c.hash, 32);
        cJSON_AddStringToObject(t, "chain", c.name);
        cJSON_AddNumberToObject(t, "height", c.height);
        cJSON_AddStringToObject(t, "hash", hx);
        cJSON_AddItemToArray(tips, t);
    }
}

static void answer(sl_jw *w, sl_screen *sc, const sl_screen_req *rq, const subj *sj, unsigned dirs, uint32_t self,
                   uint32_t self_src)
{
    uint32_t top = rq->top ? rq->top : 5;
    int level = SL_LEVEL_NONE;
    for (size_t r = 0; r < sc->rules.n; r++) { /* the level first: the deciding reasons get a path */
        const sl_rule *ru = &sc->rules.v[r];
        if (ru->level <= level) continue;
        if (ru->exposure & SL_EXP_SELF && self & ru->cats) level = ru->level;
        for (size_t i = 0; i < sc->n_ag && ru->level > level; i++)
            if (rule_matches(sc, ru, &sc->ag[i])) level = ru->level;
    }
    sl_jw_obj(w, NULL);
    sl_jw_str(w, "subject", rq->subject);
    sl_jw_id(w, "kind", sj->kind == 1 ? "address" : sj->kind == 2 ? "transaction" : "cluster");
    sl_jw_str(w, "chain", sj->v->name);
    if (sj->kind == 3) {
        sl_jw_u64(w, "members", sj->size);
        sl_jw_u64(w, "members_screened", sc->n_mem);
    }
    if (sj->kind == 2) sl_jw_u64(w, "addresses_screened", sc->n_mem);
    sl_jw_id(w, "direction", dirs == SL_SCREEN_BOTH ? "both" : dir_name(dirs));
    sl_jw_id(w, "policy", sl_policy_name(sc->have_index ? (sl_policy)sc->x.policy : SL_POLICY_HAIRCUT));
    sl_jw_u64(w, "max_hops", sc->have_index ? sc->x.max_hops : 0);
    sl_jw_raw(w, "index", sc->index_text); /* the same in every answer: made once */
    sl_jw_str(w, "rules", sc->rules.path);
    sl_jw_id(w, "risk", sl_level_name(level));
    cats_json(w, "self", self);
    if (self_src != UINT32_MAX) source_json(w, sc, "self_tag", self_src);
    sl_jw_arr(w, "reasons");
    for (size_t r = 0; r < sc->rules.n; r++) {
        const sl_rule *ru = &sc->rules.v[r];
        if (ru->level == SL_LEVEL_NONE) continue;
        for (unsigned c = 0; c < SL_CAT_N && ru->exposure & SL_EXP_SELF; c++)
            if (self >> c & 1 && ru->cats >> c & 1) reason_json(w, sc, ru, NULL, c, self_src, top, false);
        for (size_t i = 0; i < sc->n_ag; i++)
            if (best_rule(sc, &sc->ag[i]) == r) reason_json(w, sc, ru, &sc->ag[i], 0, 0, top, ru->level == level);
    }
    sl_jw_end(w);
    if (dirs & SL_SCREEN_IN) direction_json(w, sc, SL_SCREEN_IN, top);
    if (dirs & SL_SCREEN_OUT) direction_json(w, sc, SL_SCREEN_OUT, top);
    sl_jw_end(w);
}

int sl_screen_text(sl_screen *sc, const sl_screen_req *rq, const char **json, size_t *len, sl_error *e)
{
    subj sj;
    unsigned dirs = rq->direction ? rq->direction : SL_SCREEN_BOTH;
    uint32_t self, self_src;
    int rc;
    *json = NULL, *len = 0;
    if (!rq->subject || !*rq->subject) return sl_err(e, SL_EUSAGE, "no subject to screen");
    if (dirs & ~(unsigned)SL_SCREEN_BOTH) return sl_err(e, SL_EUSAGE, "direction: in, out or both");
    if ((rc = resolve(sc, rq, &sj, e))) return rc;
    if (add_up(sc, &sj, dirs, &self, &self_src)) return sl_err(e, SL_ENOMEM, "out of memory");
    if (sc->n_ss) qsort(sc->ss, sc->n_ss, sizeof *sc->ss, cmp_ssum);
    if (!sc->mf && !(sc->mf = open_memstream(&sc->mbuf, &sc->msize))) return sl_err(e, SL_ENOMEM, "out of memory");
    rewind(sc->mf);
    sl_jw_init(sc->w, sc->mf);
    answer(sc->w, sc, rq, &sj, dirs, self, self_src);
    sl_jw_flush(sc->w);
    if (fputc(0, sc->mf) == EOF || fflush(sc->mf) || ferror(sc->mf)) {
        fclose(sc->mf);
        sc->mf = NULL, sc->mbuf = NULL;
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    *json = sc->mbuf, *len = (size_t)ftello(sc->mf) - 1;
    return SL_OK;
}

int sl_screen_json(sl_screen *sc, const sl_screen_req *rq, cJSON **out, sl_error *e)
{
    const char *t;
    size_t n;
    int rc;
    *out = NULL;
    if ((rc = sl_screen_text(sc, rq, &t, &n, e))) return rc;
    if (!(*out = cJSON_ParseWithLength(t, n))) return sl_err(e, SL_ENOMEM, "out of memory");
    return SL_OK;
}
