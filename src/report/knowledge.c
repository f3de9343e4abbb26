/* knowledge.c (report) — the knowledge layer in every report that prints addresses, for
 * every front end (the CLI now, the HTTP server next): `address` and `tx` documents get, on
 * every object that names an "address", its "tags" (sl_tags_json) and its "cluster" ({id,
 * address, size, tag, tag_members_examined} from the chain's last cluster build, or null),
 * "from_tags"/"to_tags" beside "from"/"to", and the transaction its "tx_tags"; their text gets
 * closing "tags" and "clusters" sections; a trace request gets the endpoints' names, tags and
 * clusters and the --stop-at hook; a cluster build gets the tag-conflict guard's tagger. A
 * store without a tag db or a cluster build reads as one without tags or clusters (reports
 * never create files in a store). State lives in one sl_knowledge per caller (report.h). */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/hashtab.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

typedef struct tagged {
    char *addr;
    sl_tag_list l;
} tagged;

typedef struct deco deco;

/* ---- the trace's --stop-at hook ---- */
typedef struct stopper {
    sl_knowledge *k;
    const char *cats;   /* the --stop-at list */
    sl_ht cache;        /* address key -> 1 endpoint, 2 not */
    char status[200];
} stopper;

/* ---- the cluster build's tagger: every address tag of one chain resolved once to the
 * store's address ids (tags are few, addresses many: the build asks per address, so the
 * answer must be a hash look-up, not a query), best tag per address; the full tags stay so
 * that conflict() can compare actors, which sl_cluster_tag does not carry ---- */
typedef struct ctagger {
    sl_cluster_tagger hook;
    sl_tag_list all;     /* the tags, in import order */
    sl_ht best;          /* address key -> index into all */
    sl_ht by_label;      /* label -> index into all (conflict's way back to the full tag) */
} ctagger;

/* One report's decoration state. */
struct deco {
    sl_knowledge *k;
    tagged *v;            /* printed addresses with tags (text section) */
    size_t n, cap;
    sl_cluster_tagger hook; /* best tags through the tag db, one query per member looked at */
    sl_ht clusters;       /* cluster id -> index + 1 into cjs: one best-tag walk per cluster */
    cJSON **cjs;
    size_t ncj, capcj;
    struct { char *addr; size_t cj; uint32_t id; uint64_t size; } *in;  /* printed address -> its cluster (text section) */
    size_t nin, capin;
};

struct sl_knowledge {
    sl_store *s;
    sl_tags *t;                                          /* the tag db read-only, or NULL */
    struct { uint16_t chain; sl_cluster *cl; } cls[16];  /* each chain's last cluster build (NULL: none) */
    size_t ncls;
    stopper stop;                                        /* the trace's --stop-at */
    deco *trace;                                         /* the trace endpoints' clusters */
    ctagger ct;                                          /* the cluster build's tagger */
};

int sl_knowledge_open(sl_knowledge **out, sl_store *s, const char *store_dir, sl_error *e)
{
    sl_knowledge *k = sl_calloc(1, sizeof *k);
    sl_error te = {0};
    *out = NULL;
    if (!k) return sl_err(e, SL_ENOMEM, "out of memory");
    k->s = s;
    if (store_dir && sl_tags_exists(store_dir) && sl_tags_open(&k->t, store_dir, SL_TAGS_RDONLY, &te)) k->t = NULL;
    *out = k;
    return SL_OK;
}

struct sl_tags *sl_knowledge_tags(sl_knowledge *k) { return k ? k->t : NULL; }

const sl_cluster *sl_knowledge_cluster(sl_knowledge *k, uint16_t chain)
{
    const sl_chain_def *def = sl_chain_by_id(chain);
    sl_cluster *cl = NULL;
    sl_error e = {0};
    if (!k) return NULL;
    for (size_t i = 0; i < k->ncls; i++)
        if (k->cls[i].chain == chain) return k->cls[i].cl;
    if (!k->s || !def || k->ncls == sizeof k->cls / sizeof *k->cls) return NULL;
    if (sl_cluster_open_chain(k->s, def->model == SL_MODEL_UTXO ? NULL : def->name, &cl, &e)) cl = NULL;
    k->cls[k->ncls].chain = chain, k->cls[k->ncls++].cl = cl;
    return cl;
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
    if (d->k->t && !sl_tags_for_ref(d->k->t, d->k->s, a, &l, &e) && l.n) {
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
static cJSON *cluster_of_ref(deco *d, sl_addr_ref r, const char *addr)
{
    uint32_t id;
    uint64_t size, idx, looked = 0;
    const sl_cluster *cl = sl_knowledge_cluster(d->k, r.chain);
    if (!cl || sl_cluster_of(cl, r, &id, &size)) return cJSON_CreateNull();
    uint64_t k = sl_addr_ref_key((sl_addr_ref){r.chain, id});
    if (!sl_ht_get(&d->clusters, &k, sizeof k, &idx)) idx = 0;
    if (sl_grow((void **)&d->in, &d->capin, d->nin + 1, sizeof *d->in)) {} /* no room: not in the text section */
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
    sl_json_u64(o, "id", id);
    if (sl_addr_format(d->k->s, (sl_addr_ref){r.chain, id}, name, sizeof name)) name[0] = 0;
    sl_json_str_or_null(o, "address", name[0] ? name : NULL);
    sl_json_u64(o, "size", size);
    int got = d->k->t ? sl_cluster_best_tag(cl, id, &d->hook, LOOKUP_TAG_MEMBERS, &tg, &looked) : 0;
    if (got == 1) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "label", tg.label);
        cJSON_AddStringToObject(t, "category", tg.category);
        cJSON_AddStringToObject(t, "source", tg.source);
        sl_json_u64(t, "confidence", tg.confidence);
        cJSON_AddBoolToObject(t, "is_cluster_definer", tg.is_cluster_definer);
        cJSON_AddItemToObject(o, "tag", t);
    } else {
        cJSON_AddNullToObject(o, "tag");
    }
    sl_json_u64(o, "tag_members_examined", looked);
    if (sl_grow((void **)&d->cjs, &d->capcj, d->ncj + 1, sizeof *d->cjs)) return o;
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
    if (!d->k->s || sl_addr_resolve(d->k->s, chain, addr, &r, &e)) return cJSON_CreateNull();
    return cluster_of_ref(d, r, addr);
}

/* Remembers addr's tags for the text section (once per address). */
static void remember(deco *d, const char *addr, sl_tag_list *l)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->v[i].addr, addr)) { sl_tag_list_free(l); return; }
    if (sl_grow((void **)&d->v, &d->cap, d->n + 1, sizeof *d->v)) { sl_tag_list_free(l); return; }
    if (!(d->v[d->n].addr = sl_strdup(addr))) { sl_tag_list_free(l); return; }
    d->v[d->n++].l = *l;
}

static void add_tags(deco *d, cJSON *o, const char *key, const char *tags_key)
{
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    sl_tag_list l = {0};
    if (!cJSON_IsString(a) || cJSON_GetObjectItemCaseSensitive(o, tags_key)) return;
    cJSON_AddItemToObject(o, tags_key, tags_of(d->k->t, a->valuestring, &l));
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
    memset(d, 0, sizeof *d);
}

/* A report's decoration state over k. */
static void deco_open(deco *d, sl_knowledge *k)
{
    memset(d, 0, sizeof *d);
    d->k = k;
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
    if (d->k->t && !sl_tags_for_tx(d->k->t, cJSON_IsString(c) ? c->valuestring : NULL, h->valuestring, &l, &e) && l.n) {
        cJSON_AddItemToObject(j, "tx_tags", sl_tags_json(l.v, l.n));
        remember(d, h->valuestring, &l);
    } else {
        sl_tag_list_free(&l);
        cJSON_AddItemToObject(j, "tx_tags", cJSON_CreateArray());
    }
}

void sl_knowledge_json(sl_knowledge *k, cJSON *j)
{
    /* without a tag db every address still gets its (empty) keys: one shape for programs */
    deco d;
    deco_open(&d, k);
    if (j) tx_tags(&d, j), walk(&d, j);
    deco_free(&d);
}

int sl_knowledge_text(sl_knowledge *k, FILE *out, cJSON *j)
{
    deco d;
    deco_open(&d, k);
    if (!j) return SL_OK;
    tx_tags(&d, j);
    walk(&d, j);
    if (d.n) {
        fprintf(out, "\ntags (from the tag store; best first)\n");
        for (size_t i = 0; i < d.n; i++) {
            sl_fmt_wrapf(out, 4, "  %s", d.v[i].addr);
            if (sl_tags_text(out, d.v[i].l.v, d.v[i].l.n, 4)) break;
        }
    }
    if (d.nin) {
        fprintf(out, "\nclusters (sleuth cluster build; cluster why A B shows the evidence)\n");
        for (size_t i = 0; i < d.nin; i++) {
            const cJSON *c = d.cjs[d.in[i].cj], *tg = cJSON_GetObjectItemCaseSensitive(c, "tag");
            const cJSON *ca = cJSON_GetObjectItemCaseSensitive(c, "address");
            sl_fmt_wrapf(out, 4, "  %s", d.in[i].addr);
            sl_fmt_wrapf(out, 6, "    cluster %u (%s): %llu address%s", d.in[i].id, cJSON_IsString(ca) ? ca->valuestring : "-",
                      (unsigned long long)d.in[i].size, d.in[i].size == 1 ? "" : "es");
            if (cJSON_IsObject(tg))
                sl_fmt_wrapf(out, 6, "    tag: %s (%s), %s", cJSON_GetObjectItemCaseSensitive(tg, "label")->valuestring,
                          cJSON_GetObjectItemCaseSensitive(tg, "category")->valuestring,
                          cJSON_GetObjectItemCaseSensitive(tg, "source")->valuestring);
        }
    }
    deco_free(&d);
    return ferror(out) ? SL_EIO : SL_OK;
}

/* ---- sleuth trace: --stop-at and the endpoints' names ---- */


/* The tags of a, best first (empty when it has none, or on any error: a name is optional). */
static void tags_of_ref(stopper *st, sl_addr_ref a, sl_tag_list *l)
{
    sl_error e = {0};
    memset(l, 0, sizeof *l);
    if (st->k->t && sl_tags_for_ref(st->k->t, st->k->s, a, l, &e)) sl_tag_list_free(l);
}

/* Whether category list cats names tag t (sl_tag_is on each item). */
static bool tag_in(const sl_tag *t, const char *cats)
{
    for (const char *p = cats; *p;) {
        char c[64];
        size_t n = strcspn(p, ",");
        snprintf(c, sizeof c, "%.*s", (int)n, p);
        if (sl_tag_is(t, c)) return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* The tag that names a's cluster (GraphSense's rule: a member's cluster-definer tag; the
 * cluster of one address takes that address's own tag, which the caller has seen): 1 with
 * *out, else 0. Cached per cluster in st->cache (key: the cluster id's address key with
 * bit 47 set), so an exchange's thousands of deposit addresses cost one walk. */
static int cluster_tag(stopper *st, sl_addr_ref a, sl_cluster_tag *out)
{
    const sl_cluster *cl = sl_knowledge_cluster(st->k, a.chain);
    uint32_t id;
    uint64_t size, v;
    if (!cl || !st->k->trace || sl_cluster_of(cl, a, &id, &size) || size < 2) return 0;
    uint64_t ck = sl_addr_ref_key((sl_addr_ref){a.chain, id}) | (uint64_t)1 << 47;
    if (sl_ht_get(&st->cache, &ck, sizeof ck, &v) && v == 2) return 0;
    int got = sl_cluster_best_tag(cl, id, &st->k->trace->hook, LOOKUP_TAG_MEMBERS, out, NULL) == 1;
    if (!got && sl_ht_set(&st->cache, &ck, sizeof ck, 2)) {} /* not cached: walked again */
    return got;
}

/* --stop-at through the cluster: an address without a tag of its own whose cluster a
 * listed category names (an exchange's deposit address, clustered with its hot wallet) is
 * an endpoint too. */
static bool cluster_is_endpoint(stopper *st, sl_addr_ref a)
{
    sl_cluster_tag tg;
    if (!cluster_tag(st, a, &tg)) return false;
    sl_tag t = {.label = tg.label, .category = tg.category};
    return tag_in(&t, st->cats);
}

static bool is_endpoint(void *ctx, sl_addr_ref a)
{
    stopper *st = ctx;
    uint64_t k = sl_addr_ref_key(a), v;
    sl_tag_list l;
    bool hit = false;
    if (sl_ht_get(&st->cache, &k, sizeof k, &v)) return v == 1;
    tags_of_ref(st, a, &l);
    for (size_t i = 0; i < l.n && !hit; i++) hit = tag_in(&l.v[i], st->cats);
    sl_tag_list_free(&l);
    if (!hit) hit = cluster_is_endpoint(st, a);
    if (sl_ht_set(&st->cache, &k, sizeof k, hit ? 1 : 2)) {} /* no room to cache: asked again next time */
    return hit;
}

static bool namer(void *ctx, sl_addr_ref a, char *out, size_t cap)
{
    stopper *st = ctx;
    sl_tag_list l;
    const sl_tag *b;
    sl_cluster_tag tg;
    tags_of_ref(st, a, &l);
    if ((b = sl_tags_best(l.v, l.n)))
        snprintf(out, cap, "%s [%s; %s]", b->label, b->category ? b->category : b->abuse ? b->abuse : "-", b->file);
    sl_tag_list_free(&l);
    if (b) return true;
    /* no tag of its own: its cluster's, said to be the cluster's */
    if (!cluster_tag(st, a, &tg)) return false;
    snprintf(out, cap, "%s [%s; by its cluster]", tg.label, tg.category[0] ? tg.category : "-");
    return true;
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

/* The endpoints' "cluster" (ctx: the stopper, whose knowledge keeps the trace's deco). */
static char *cluster_json(void *ctx, sl_addr_ref a)
{
    stopper *st = ctx;
    char name[SL_FLOW_NAME_MAX], *out = NULL, *p;
    cJSON *j;
    if (!st->k->trace || sl_addr_format(st->k->s, a, name, sizeof name)) return NULL;
    j = cluster_of_ref(st->k->trace, a, name);
    if (!cJSON_IsNull(j) && (p = cJSON_PrintUnformatted(j))) {
        out = sl_strdup(p);
        cJSON_free(p);
    }
    cJSON_Delete(j);
    return out;
}

int sl_knowledge_trace(sl_knowledge *k, sl_trace_req *rq, const char *store_dir)
{
    stopper *st = &k->stop;
    sl_ht_free(&st->cache);
    memset(st, 0, sizeof *st);
    st->k = k;
    st->cats = rq->params.stop_at;
    if (!k->trace) {
        if (!(k->trace = sl_malloc(sizeof *k->trace))) return SL_ENOMEM;
        deco_open(k->trace, k);
    }
    if (k->t) rq->namer = (sl_addr_namer){namer, st};
    rq->tagger = (sl_addr_tagger){k->t ? tags_json : NULL, cluster_json, st};
    if (!st->cats) return SL_OK;
    if (!k->t) {
        rq->params.endpoints.status = "requested; the store has no tag db (sleuth tags import), so nothing is tagged";
        return SL_OK;
    }
    snprintf(st->status, sizeof st->status,
             "addresses tagged %s end the trace, also by their cluster's tag (tag store %s/knowledge/tags.db)", st->cats,
             store_dir ? store_dir : ".");
    rq->params.endpoints = (sl_trace_endpoints){is_endpoint, st, st->status};
    return SL_OK;
}

/* ---- sleuth cluster build: the tag-conflict guard's tagger (sleuth/cluster.h) ---- */

/* Every address tag of one chain in the store's tag db, resolved once to the store's
 * address ids (tags are few, addresses many: the build asks per address, so the answer
 * must be a hash look-up, not a query), best tag per address; the full tags stay so that
 * conflict() can compare actors, which sl_cluster_tag does not carry. */
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

static void ct_free(ctagger *c)
{
    sl_ht_free(&c->best);
    sl_ht_free(&c->by_label);
    sl_tag_list_free(&c->all);
    memset(c, 0, sizeof *c);
}

const sl_cluster_tagger *sl_knowledge_cluster_tagger(sl_knowledge *k, const char *chain)
{
    ctagger *c = &k->ct;
    sl_error e = {0};
    ct_free(c);
    if (!k->t || sl_tags_all(k->t, NULL, &c->all, &e)) return NULL;
    for (size_t i = 0; i < c->all.n; i++) {
        const sl_tag *g = &c->all.v[i];
        sl_addr_ref r;
        uint64_t key, *slot, cur;
        bool added;
        sl_error re = {0};
        if (!g->address || strcmp(g->chain, chain) || sl_addr_resolve(k->s, chain, g->address, &r, &re)) continue;
        key = sl_addr_ref_key(r);
        if (sl_ht_upsert(&c->best, &key, sizeof key, i, &slot, &added)) break;
        cur = *slot;
        if (!added && sl_tags_cmp(g, &c->all.v[cur]) < 0) *slot = i;
        if (sl_ht_upsert(&c->by_label, g->label, strlen(g->label), i, &slot, &added)) break;
    }
    if (!sl_ht_count(&c->best)) {
        ct_free(c);
        return NULL;
    }
    c->hook = (sl_cluster_tagger){ct_best, ct_conflict, c};
    return &c->hook;
}

void sl_knowledge_close(sl_knowledge *k)
{
    if (!k) return;
    if (k->trace) deco_free(k->trace), sl_free(k->trace);
    sl_ht_free(&k->stop.cache);
    ct_free(&k->ct);
    for (size_t i = 0; i < k->ncls; i++)
        if (k->cls[i].cl) sl_cluster_close(k->cls[i].cl);
    sl_tags_close(k->t);
    sl_free(k);
}

cJSON *sl_json_cluster_tag(cJSON *obj, const char *key, const sl_cluster_tag *tag)
{
    cJSON *t;
    if (!tag) return cJSON_AddNullToObject(obj, key);
    if (!(t = cJSON_AddObjectToObject(obj, key))) return NULL;
    cJSON_AddStringToObject(t, "label", tag->label);
    sl_json_str_or_null(t, "category", tag->category[0] ? tag->category : NULL);
    cJSON_AddStringToObject(t, "source", tag->source);
    cJSON_AddNumberToObject(t, "confidence_level", tag->confidence);
    cJSON_AddBoolToObject(t, "is_cluster_definer", tag->is_cluster_definer);
    return t;
}
