/* cli_tags.c — the tag store in the commands that print addresses: `sleuth address` and
 * `sleuth tx` (text and --json), `sleuth trace` (--stop-at and the names of endpoints),
 * and the incident library imported after an ingest creates a store. The look-up reports
 * stay the library's; here their JSON gets, on every object that names an address,
 * "tags" (sl_tags_json) and "cluster": null (the clustering fills it), and on every
 * object with "from"/"to" addresses "from_tags"/"to_tags"; their text gets a closing
 * "tags" section for every printed address that has tags. A store without a tag db is
 * read as one without tags (look-ups never create files in a store). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/hashtab.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

sl_tags *cli_tags_open(const char *store)
{
    sl_tags *t = NULL;
    sl_error e = {0};
    if (!store || !sl_tags_exists(store) || sl_tags_open(&t, store, SL_TAGS_RDONLY, &e)) return NULL;
    return t;
}

void cli_tags_after_ingest(const char *store)
{
    sl_tags *t = NULL;
    sl_error e = {0};
    if (sl_tags_exists(store)) return;
    /* out of memory is main's to report (one line); anything else is said here */
    if (sl_tags_open(&t, store, SL_TAGS_CREATE, &e) && e.code != SL_ENOMEM && !sl_alloc_failures())
        fprintf(stderr, "sleuth: note: the incident library was not imported: %s\n", e.msg);
    sl_tags_close(t);
}

/* Tags of one address text (on any chain its form allows: the tag store keys EVM
 * addresses per chain, and a look-up shows every chain's tags with their chain): a new
 * cJSON array, [] when none or when there is no tag db (t NULL). The list goes to *keep. */
static cJSON *tags_of(sl_tags *t, const char *addr, sl_tag_list *keep)
{
    sl_error e = {0};
    if (!t || sl_tags_for_address(t, NULL, addr, keep, &e) || !keep->n) {
        sl_tag_list_free(keep);
        return cJSON_CreateArray();
    }
    return sl_tags_json(keep->v, keep->n);
}

typedef struct tagged {
    char *addr;
    sl_tag_list l;
} tagged;

typedef struct deco {
    sl_tags *t;
    tagged *v;
    size_t n, cap;
    sl_store *s;          /* for the clusters (NULL: "cluster" stays null) */
    cli_clusters cls;     /* each chain's last cluster build */
    sl_cluster_tagger hook; /* best tags through the tag db, one query per member looked at */
    sl_ht clusters;       /* cluster id -> index + 1 into cjs: one best-tag walk per cluster */
    cJSON **cjs;
    size_t ncj, capcj;
    struct { char *addr; size_t cj; uint32_t id; uint64_t size; } *in;  /* printed address -> its cluster (text section) */
    size_t nin, capin;
} deco;

/* sl_cluster_tag of a tag (the cluster's hook speaks it). */
static void to_ctag(const sl_tag *t, sl_cluster_tag *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->label, sizeof out->label, "%s", t->label);
    snprintf(out->category, sizeof out->category, "%s", t->category ? t->category : t->abuse ? t->abuse : "");
    /* the file it came from in parentheses ("(added)" for `tags add` already has them) */
    snprintf(out->source, sizeof out->source, t->file[0] == '(' ? "%.60s %s" : "%.60s (%s)", t->source, t->file);
    out->confidence = (uint8_t)t->level;
    out->is_cluster_definer = t->is_cluster_definer;
}

/* The cluster tagger of a look-up: the member's best tag from the tag db (a query each;
 * sl_cluster_best_tag bounds how many members it asks about). */
static int query_best(void *ctx, sl_addr_ref a, sl_cluster_tag *out)
{
    deco *d = ctx;
    sl_tag_list l = {0};
    sl_error e = {0};
    int found = 0;
    if (d->t && !sl_tags_for_ref(d->t, d->s, a, &l, &e) && l.n) {
        to_ctag(&l.v[0], out);
        found = 1;
    }
    sl_tag_list_free(&l);
    return found;
}

/* Members whose tags a look-up examines for the cluster's best tag (`cluster show`
 * examines 10,000): the cluster id's own member first, so a one-address cluster and the
 * oldest address are always seen. */
#define LOOKUP_TAG_MEMBERS 1000

/* "cluster" of an address: {id, address (the cluster id's), size, tag, tag_members_examined},
 * or null when the store has no cluster build or the build does not cover the address. */
sl_cluster *cli_clusters_get(cli_clusters *c, uint16_t chain)
{
    const sl_chain_def *def = sl_chain_by_id(chain);
    sl_cluster *cl = NULL;
    sl_error e = {0};
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].chain == chain) return c->v[i].cl;
    if (!c->s || !def || c->n == sizeof c->v / sizeof *c->v) return NULL;
    if (sl_cluster_open_chain(c->s, def->model == SL_MODEL_UTXO ? NULL : def->name, &cl, &e)) cl = NULL;
    c->v[c->n].chain = chain, c->v[c->n++].cl = cl;
    return cl;
}

void cli_clusters_close(cli_clusters *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].cl) sl_cluster_close(c->v[i].cl);
    c->n = 0;
}

static cJSON *cluster_of_ref(deco *d, sl_addr_ref r, const char *addr)
{
    uint32_t id;
    uint64_t size, idx, looked = 0;
    sl_cluster *cl = cli_clusters_get(&d->cls, r.chain);
    if (!cl || sl_cluster_of(cl, r, &id, &size)) return cJSON_CreateNull();
    uint64_t k = sl_addr_ref_key((sl_addr_ref){r.chain, id});
    if (!sl_ht_get(&d->clusters, &k, sizeof k, &idx)) idx = 0;
    if (d->nin == d->capin) {
        size_t nc = d->capin ? d->capin * 2 : 8;
        void *nv = sl_realloc(d->in, nc * sizeof *d->in);
        if (nv) d->in = nv, d->capin = nc;
    }
    bool seen_addr = false;
    for (size_t i = 0; i < d->nin && !seen_addr; i++) seen_addr = !strcmp(d->in[i].addr, addr);
    if (idx) {
        if (!seen_addr && d->nin < d->capin && (d->in[d->nin].addr = sl_strdup(addr))) {
            d->in[d->nin].id = id, d->in[d->nin].size = size;
            d->in[d->nin++].cj = idx - 1;
        }
        return cJSON_Duplicate(d->cjs[idx - 1], 1);
    }
    cJSON *o = cJSON_CreateObject();
    char name[128];
    sl_cluster_tag tg;
    jnum(o, "id", id);
    if (sl_addr_format(d->s, (sl_addr_ref){r.chain, id}, name, sizeof name)) name[0] = 0;
    jstr_or_null(o, "address", name[0] ? name : NULL);
    jnum(o, "size", size);
    int got = d->t ? sl_cluster_best_tag(cl, id, &d->hook, LOOKUP_TAG_MEMBERS, &tg, &looked) : 0;
    if (got == 1) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "label", tg.label);
        cJSON_AddStringToObject(t, "category", tg.category);
        cJSON_AddStringToObject(t, "source", tg.source);
        jnum(t, "confidence", tg.confidence);
        cJSON_AddBoolToObject(t, "is_cluster_definer", tg.is_cluster_definer);
        cJSON_AddItemToObject(o, "tag", t);
    } else {
        cJSON_AddNullToObject(o, "tag");
    }
    jnum(o, "tag_members_examined", looked);
    if (d->ncj == d->capcj) {
        size_t nc = d->capcj ? d->capcj * 2 : 8;
        cJSON **nv = sl_realloc(d->cjs, nc * sizeof *nv);
        if (!nv) return o;
        d->cjs = nv, d->capcj = nc;
    }
    d->cjs[d->ncj++] = o;
    if (sl_ht_set(&d->clusters, &k, sizeof k, d->ncj)) {} /* no room to remember: computed again */
    if (!seen_addr && d->nin < d->capin && (d->in[d->nin].addr = sl_strdup(addr))) {
        d->in[d->nin].id = id, d->in[d->nin].size = size;
        d->in[d->nin++].cj = d->ncj - 1;
    }
    return cJSON_Duplicate(o, 1);
}

static cJSON *cluster_of(deco *d, const char *addr, const char *chain)
{
    sl_addr_ref r;
    sl_error e = {0};
    if (!d->s || sl_addr_resolve(d->s, chain, addr, &r, &e)) return cJSON_CreateNull();
    return cluster_of_ref(d, r, addr);
}

/* Remembers addr's tags for the text section (once per address). */
static void remember(deco *d, const char *addr, sl_tag_list *l)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->v[i].addr, addr)) { sl_tag_list_free(l); return; }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 8;
        tagged *nv = sl_realloc(d->v, nc * sizeof *nv);
        if (!nv) { sl_tag_list_free(l); return; }
        d->v = nv, d->cap = nc;
    }
    if (!(d->v[d->n].addr = sl_strdup(addr))) { sl_tag_list_free(l); return; }
    d->v[d->n++].l = *l;
}

static void add_tags(deco *d, cJSON *o, const char *key, const char *tags_key)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    sl_tag_list l = {0};
    if (!cJSON_IsString(a) || cJSON_GetObjectItemCaseSensitive(o, tags_key)) return;
    cJSON_AddItemToObject(o, tags_key, tags_of(d->t, a->valuestring, &l));
    if (l.n) remember(d, a->valuestring, &l);
    else sl_tag_list_free(&l);
}

static void walk(deco *d, cJSON *j)
{
    cJSON *c;
    if (cJSON_IsObject(j)) {
        cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "address"), *ch = cJSON_GetObjectItemCaseSensitive(j, "chain");
        if (cJSON_IsString(a)) {
            add_tags(d, j, "address", "tags");
            if (!cJSON_GetObjectItemCaseSensitive(j, "cluster"))
                cJSON_AddItemToObject(j, "cluster", cluster_of(d, a->valuestring, cJSON_IsString(ch) ? ch->valuestring : NULL));
        }
        add_tags(d, j, "from", "from_tags");
        add_tags(d, j, "to", "to_tags");
    }
    cJSON_ArrayForEach(c, j) {
        /* not into the tags and clusters just added (they name addresses too) */
        if (c->string && (!strcmp(c->string, "tags") || !strcmp(c->string, "from_tags") || !strcmp(c->string, "to_tags") ||
                          !strcmp(c->string, "tx_tags") || !strcmp(c->string, "cluster")))
            continue;
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) walk(d, c);
    }
}

static void deco_free(deco *d)
{
    for (size_t i = 0; i < d->n; i++) sl_free(d->v[i].addr), sl_tag_list_free(&d->v[i].l);
    sl_free(d->v);
    for (size_t i = 0; i < d->ncj; i++) cJSON_Delete(d->cjs[i]);
    for (size_t i = 0; i < d->nin; i++) sl_free(d->in[i].addr);
    sl_free(d->in);
    sl_free(d->cjs);
    sl_ht_free(&d->clusters);
    cli_clusters_close(&d->cls);
}

/* Opens what a look-up decorates with: the tag db and the last cluster build (each may be
 * missing: then tags are [] and clusters null). */
static void deco_open(deco *d, sl_store *s, const char *store)
{
    memset(d, 0, sizeof *d);
    d->t = cli_tags_open(store);
    d->s = s;
    d->cls.s = s;
    d->hook = (sl_cluster_tagger){query_best, NULL, d};
}

/* The transaction's own tags (a theft tx of an incident), on the report's top object:
 * "tx_tags" beside "txid" (Bitcoin) or "hash" (account chains). */
static void tx_tags(deco *d, cJSON *j)
{
    cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "txid"), *c = cJSON_GetObjectItemCaseSensitive(j, "chain");
    sl_tag_list l = {0};
    sl_error e = {0};
    if (!cJSON_IsString(h)) h = cJSON_GetObjectItemCaseSensitive(j, "hash");
    if (!cJSON_IsString(h) || cJSON_GetObjectItemCaseSensitive(j, "tx_tags")) return;
    if (d->t && !sl_tags_for_tx(d->t, cJSON_IsString(c) ? c->valuestring : NULL, h->valuestring, &l, &e) && l.n) {
        cJSON_AddItemToObject(j, "tx_tags", sl_tags_json(l.v, l.n));
        remember(d, h->valuestring, &l);
    } else {
        sl_tag_list_free(&l);
        cJSON_AddItemToObject(j, "tx_tags", cJSON_CreateArray());
    }
}

void cli_tags_json(sl_store *s, const char *store, cJSON *j)
{
    /* without a tag db every address still gets its (empty) keys: one shape for programs */
    deco d;
    deco_open(&d, s, store);
    if (j) tx_tags(&d, j), walk(&d, j);
    deco_free(&d);
    sl_tags_close(d.t);
}

void cli_tags_text(sl_store *s, const char *store, cJSON *j)
{
    deco d;
    deco_open(&d, s, store);
    if (!j) { deco_free(&d); sl_tags_close(d.t); return; }
    tx_tags(&d, j);
    walk(&d, j);
    if (d.n) {
        printf("\ntags (from the tag store; best first)\n");
        for (size_t i = 0; i < d.n; i++) {
            cli_wrapf(4, "  %s", d.v[i].addr);
            if (sl_tags_text(stdout, d.v[i].l.v, d.v[i].l.n, 4)) break;
        }
    }
    if (d.nin) {
        printf("\nclusters (sleuth cluster build; cluster why A B shows the evidence)\n");
        for (size_t i = 0; i < d.nin; i++) {
            const cJSON *c = d.cjs[d.in[i].cj], *tg = cJSON_GetObjectItemCaseSensitive(c, "tag");
            const cJSON *ca = cJSON_GetObjectItemCaseSensitive(c, "address");
            cli_wrapf(4, "  %s", d.in[i].addr);
            cli_wrapf(6, "    cluster %u (%s): %llu address%s", d.in[i].id, cJSON_IsString(ca) ? ca->valuestring : "-",
                      (unsigned long long)d.in[i].size, d.in[i].size == 1 ? "" : "es");
            if (cJSON_IsObject(tg))
                cli_wrapf(6, "    tag: %s (%s), %s", cJSON_GetObjectItemCaseSensitive(tg, "label")->valuestring,
                          cJSON_GetObjectItemCaseSensitive(tg, "category")->valuestring,
                          cJSON_GetObjectItemCaseSensitive(tg, "source")->valuestring);
        }
    }
    deco_free(&d);
    sl_tags_close(d.t);
}

/* ---- sleuth trace: --stop-at and the endpoints' names ---- */


typedef struct stopper {
    sl_store *s;
    sl_tags *t;
    const char *cats;   /* the --stop-at list */
    sl_ht cache;        /* address key -> 1 endpoint, 2 not */
    char status[200];
} stopper;

static stopper STOP;

/* The tags of a, best first (empty when it has none, or on any error: a name is optional). */
static void tags_of_ref(stopper *st, sl_addr_ref a, sl_tag_list *l)
{
    sl_error e = {0};
    memset(l, 0, sizeof *l);
    if (st->t && sl_tags_for_ref(st->t, st->s, a, l, &e)) sl_tag_list_free(l);
}

static bool is_endpoint(void *ctx, sl_addr_ref a)
{
    stopper *st = ctx;
    uint64_t k = sl_addr_ref_key(a), v;
    sl_tag_list l;
    bool hit = false;
    if (sl_ht_get(&st->cache, &k, sizeof k, &v)) return v == 1;
    tags_of_ref(st, a, &l);
    for (size_t i = 0; i < l.n && !hit; i++)
        for (const char *p = st->cats; *p && !hit;) {
            char c[64];
            size_t n = strcspn(p, ",");
            snprintf(c, sizeof c, "%.*s", (int)n, p);
            hit = sl_tag_is(&l.v[i], c);
            p += n + (p[n] == ',');
        }
    sl_tag_list_free(&l);
    if (sl_ht_set(&st->cache, &k, sizeof k, hit ? 1 : 2)) {} /* no room to cache: asked again next time */
    return hit;
}

static bool namer(void *ctx, sl_addr_ref a, char *out, size_t cap)
{
    stopper *st = ctx;
    sl_tag_list l;
    const sl_tag *b;
    tags_of_ref(st, a, &l);
    if ((b = sl_tags_best(l.v, l.n)))
        snprintf(out, cap, "%s [%s; %s]", b->label, b->category ? b->category : b->abuse ? b->abuse : "-", b->file);
    sl_tag_list_free(&l);
    return b != NULL;
}

static char *tags_json(void *ctx, sl_addr_ref a)
{
    sl_tag_list l;
    char *out = NULL;
    tags_of_ref(ctx, a, &l);
    if (l.n) {
        cJSON *j = sl_tags_json(l.v, l.n);
        char *p = j ? cJSON_PrintUnformatted(j) : NULL;
        out = p ? sl_strdup(p) : NULL;
        cJSON_free(p);
        cJSON_Delete(j);
    }
    sl_tag_list_free(&l);
    return out;
}

/* The endpoints' clusters (the trace's deco: the last cluster build and the tag db). */
static deco TRACE_CL;

static char *cluster_json(void *ctx, sl_addr_ref a)
{
    char name[SL_FLOW_NAME_MAX], *out = NULL, *p;
    cJSON *j;
    (void)ctx;
    if (sl_addr_format(TRACE_CL.s, a, name, sizeof name)) return NULL;
    j = cluster_of_ref(&TRACE_CL, a, name);
    if (!cJSON_IsNull(j) && (p = cJSON_PrintUnformatted(j))) {
        out = sl_strdup(p);
        cJSON_free(p);
    }
    cJSON_Delete(j);
    return out;
}

void cli_tags_trace(sl_trace_req *rq, sl_store *s, const char *store)
{
    stopper *st = &STOP;
    memset(st, 0, sizeof *st);
    st->s = s;
    st->t = cli_tags_open(store);
    st->cats = rq->params.stop_at;
    deco_open(&TRACE_CL, s, store);
    if (st->t) rq->namer = (sl_addr_namer){namer, st};
    rq->tagger = (sl_addr_tagger){st->t ? tags_json : NULL, cluster_json, st};
    if (!st->cats) return;
    if (!st->t) {
        rq->params.endpoints.status = "requested; the store has no tag db (sleuth tags import), so nothing is tagged";
        return;
    }
    snprintf(st->status, sizeof st->status, "addresses tagged %s end the trace (tag store %s/knowledge/tags.db)",
             st->cats, store);
    rq->params.endpoints = (sl_trace_endpoints){is_endpoint, st, st->status};
}

void cli_tags_trace_done(void)
{
    deco_free(&TRACE_CL);
    sl_tags_close(TRACE_CL.t);
    memset(&TRACE_CL, 0, sizeof TRACE_CL);
    sl_ht_free(&STOP.cache);
    sl_tags_close(STOP.t);
    memset(&STOP, 0, sizeof STOP);
}

/* ---- sleuth cluster build: the tag-conflict guard's tagger (sleuth/cluster.h) ---- */

/* Every address tag of one chain in the store's tag db, resolved once to the store's
 * address ids (tags are few, addresses many: the build asks per address, so the answer
 * must be a hash look-up, not a query), best tag per address; the full tags stay so that
 * conflict() can compare actors, which sl_cluster_tag does not carry. */
typedef struct ctagger {
    sl_cluster_tagger hook;
    sl_tag_list all;     /* the tags, in import order */
    sl_ht best;          /* address key -> index into all */
    sl_ht by_label;      /* label -> index into all (conflict's way back to the full tag) */
} ctagger;

static ctagger CT;

static int ct_best(void *ctx, sl_addr_ref a, sl_cluster_tag *out)
{
    ctagger *c = ctx;
    uint64_t k = sl_addr_ref_key(a), i;
    if (!sl_ht_get(&c->best, &k, sizeof k, &i)) return 0;
    to_ctag(&c->all.v[i], out);
    return 1;
}

static bool ct_conflict(void *ctx, const sl_cluster_tag *x, const sl_cluster_tag *y)
{
    ctagger *c = ctx;
    uint64_t ix, iy;
    if (sl_ht_get(&c->by_label, x->label, strlen(x->label), &ix) && sl_ht_get(&c->by_label, y->label, strlen(y->label), &iy))
        return sl_tags_conflict(&c->all.v[ix], &c->all.v[iy]);
    sl_tag a = {.label = (char *)x->label, .category = (char *)x->category};
    sl_tag b = {.label = (char *)y->label, .category = (char *)y->category};
    return sl_tags_conflict(&a, &b);
}

const sl_cluster_tagger *cli_tags_cluster_tagger(sl_store *s, const char *store, const char *chain)
{
    sl_tags *t = cli_tags_open(store);
    sl_error e = {0};
    memset(&CT, 0, sizeof CT);
    if (!t) return NULL;
    if (sl_tags_all(t, NULL, &CT.all, &e)) { sl_tags_close(t); return NULL; }
    sl_tags_close(t);
    for (size_t i = 0; i < CT.all.n; i++) {
        const sl_tag *g = &CT.all.v[i];
        sl_addr_ref r;
        uint64_t k, *slot, cur;
        bool added;
        sl_error re = {0};
        if (!g->address || strcmp(g->chain, chain) || sl_addr_resolve(s, chain, g->address, &r, &re)) continue;
        k = sl_addr_ref_key(r);
        if (sl_ht_upsert(&CT.best, &k, sizeof k, i, &slot, &added)) break;
        cur = *slot;
        if (!added && sl_tags_cmp(g, &CT.all.v[cur]) < 0) *slot = i;
        if (sl_ht_upsert(&CT.by_label, g->label, strlen(g->label), i, &slot, &added)) break;
    }
    if (!sl_ht_count(&CT.best)) { cli_tags_cluster_done(); return NULL; }
    CT.hook = (sl_cluster_tagger){ct_best, ct_conflict, &CT};
    return &CT.hook;
}

void cli_tags_cluster_done(void)
{
    sl_ht_free(&CT.best);
    sl_ht_free(&CT.by_label);
    sl_tag_list_free(&CT.all);
    memset(&CT, 0, sizeof CT);
}
