/* detect.c — the driver of the laundering detectors (laundering.h): resolves what a detect
 * starts from (an incident's theft transactions or exploiter addresses, an address, a
 * transaction), runs one forward trace per source with the crossings it reaches as links and
 * tagged services as endpoints, lets the detector families (detect_flow.c, detect_mix.c,
 * detect_swap.c) read the traces, and names the suspects: every address the taint reached
 * that is no service and received at least suspect_min_share of the loot, with a
 * confidence from its share and from what the detectors noted about it (docs/LAUNDERING.md
 * "Detectors"). Also the helpers the families share (detect_int.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "laundering/detect_int.h"
#include "sleuth/eth_store.h"
#include "sleuth/util.h"

static const char *const KIND_NAMES[SL_DET_COUNT] = {
    [SL_DET_FANOUT] = "fan-out",          [SL_DET_PEEL] = "peel-chain",
    [SL_DET_CONSOLIDATION] = "consolidation", [SL_DET_RAPID] = "rapid-hops",
    [SL_DET_DORMANT] = "dormancy",        [SL_DET_STILL_DORMANT] = "still-dormant",
    [SL_DET_COINJOIN] = "coinjoin",       [SL_DET_TORNADO] = "tornado",
    [SL_DET_DEX_SWAP] = "dex-swap",       [SL_DET_THOR_SWAP] = "thorchain-swap",
    [SL_DET_BRIDGE] = "bridge",           [SL_DET_EXCHANGE] = "exchange-deposit",
    [SL_DET_OTC] = "otc",
};

const char *sl_det_kind_name(sl_det_kind k)
{
    return k > 0 && k < SL_DET_COUNT && KIND_NAMES[k] ? KIND_NAMES[k] : "?";
}

int sl_det_kinds_parse(const char *list, uint32_t *mask, sl_error *e)
{
    *mask = 0;
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        int k;
        for (k = 1; k < SL_DET_COUNT; k++)
            if (strlen(KIND_NAMES[k]) == n && !strncmp(KIND_NAMES[k], p, n)) break;
        if (k == SL_DET_COUNT)
            return sl_err(e, SL_EUSAGE,
                          "--kinds: '%.*s' is no detector (fan-out, peel-chain, consolidation, rapid-hops, dormancy, "
                          "still-dormant, coinjoin, tornado, dex-swap, thorchain-swap, bridge, exchange-deposit, otc)",
                          (int)n, p);
        *mask |= 1u << k;
        p += n + (p[n] == ',');
    }
    if (!*mask) return sl_err(e, SL_EUSAGE, "--kinds: an empty list");
    return SL_OK;
}

const char *sl_stage_name(sl_stage s)
{
    static const char *const n[SL_STAGE_COUNT] = {"theft", "dispersal", "swap-bridge", "mixing", "dormancy", "cash-out"};
    return (unsigned)s < SL_STAGE_COUNT ? n[s] : "?";
}

void sl_detect_params_default(sl_detect_params *p)
{
    memset(p, 0, sizeof *p);
    p->policy = SL_POLICY_HAIRCUT;
    p->max_hops = 64;
    p->dormant_days = 30;
    p->rapid_minutes = 60;
    p->fanout_min = 5;
    p->suspect_min_share = 0.001;
}

/* ---------------- inputs ---------------- */

static int add_src(sl_detect_input *in, const sl_trace_source *s)
{
    size_t cap = in->n_src;
    if (sl_grow((void **)&in->src, &cap, in->n_src + 1, sizeof *in->src)) return SL_ENOMEM;
    in->src[in->n_src++] = *s;
    return SL_OK;
}

/* A whole UTXO tx as sources: its outputs but those that pay an address it spends from
 * (the victim's change is not loot), or the whole tx when that leaves nothing. */
static int add_utxo_tx(const sl_flow_view *v, uint64_t tx, sl_detect_input *in)
{
    sl_utxo_pool p;
    uint32_t kept = 0;
    size_t first = in->n_src;
    v->m->utxo_pool(v, tx, &p);
    for (uint32_t k = 0; k < p.n_out; k++) {
        uint64_t val;
        uint32_t addr, ia;
        bool unsp, change = false;
        v->m->utxo_out(v, p.first_out + k, &val, &addr, &unsp);
        if (unsp || !val) continue;
        for (uint32_t i = 0; i < p.n_in && !change && addr; i++)
            if (v->m->utxo_in_value(v, p.first_in + i, &ia) != UINT64_MAX && ia == addr) change = true;
        if (change) continue;
        sl_trace_source s = {.chain = v->chain, .kind = SL_SOURCE_TX, .tx = tx, .index = k};
        if (add_src(in, &s)) return SL_ENOMEM;
        kept++;
    }
    if (kept && kept < p.n_out) return SL_OK;
    in->n_src = first; /* nothing is change (or everything is): the whole tx */
    sl_trace_source s = {.chain = v->chain, .kind = SL_SOURCE_TX, .tx = tx, .index = -1};
    return add_src(in, &s);
}

static int views_of(const sl_flow_set *fs, const char *chain, const sl_flow_view **out, size_t *n, sl_error *e)
{
    *n = 0;
    if (chain) {
        int rc = sl_flow_set_find(fs, chain, &out[0], e);
        if (!rc) *n = 1;
        return rc;
    }
    for (size_t i = 0; i < sl_flow_set_count(fs) && i < 16; i++) out[(*n)++] = sl_flow_set_at(fs, i);
    if (!*n) return sl_err(e, SL_ENOTFOUND, "the store holds no blocks of any chain");
    return SL_OK;
}

int sl_detect_input_tx(const sl_flow_set *fs, const char *chain, const char *txspec, sl_detect_input *in, sl_error *e)
{
    const sl_flow_view *v[16];
    char id[200];
    size_t n;
    int64_t index;
    int rc;
    bool written = false;
    if ((rc = sl_trace_split_txspec(txspec, id, sizeof id, &index, e)) || (rc = views_of(fs, chain, v, &n, e))) return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t tx;
        rc = v[i]->m->tx_find(v[i], id, &tx);
        if (rc == SL_ENOTFOUND) written = true;
        if (rc) continue;
        if (!in->label[0]) snprintf(in->label, sizeof in->label, "tx %.100s", txspec);
        if (index < 0 && v[i]->model == SL_MODEL_UTXO) return add_utxo_tx(v[i], tx, in) ? sl_err(e, SL_ENOMEM, "out of memory") : SL_OK;
        sl_trace_source s = {.chain = v[i]->chain, .kind = SL_SOURCE_TX, .tx = tx, .index = index};
        return add_src(in, &s) ? sl_err(e, SL_ENOMEM, "out of memory") : SL_OK;
    }
    if (!written)
        return sl_err(e, SL_EUSAGE, "--tx: '%s' is not TXID or TXID:N (a txid, or a 0x hash on account chains)", txspec);
    return sl_err(e, SL_ENOTFOUND, "transaction %s not found in the store%s%s", id, chain ? " on " : "", chain ? chain : "");
}

int sl_detect_input_address(const sl_flow_set *fs, const char *chain, const char *addr, sl_detect_input *in,
                            sl_error *e)
{
    const sl_flow_view *v[16];
    sl_error why = {0};
    size_t n;
    bool written = false;
    int rc;
    if ((rc = views_of(fs, chain, v, &n, e))) return rc;
    for (size_t i = 0; i < n; i++) {
        sl_error e2 = {0};
        uint32_t id;
        rc = v[i]->m->addr_find(v[i], addr, &id, &e2);
        if (rc == SL_OK) {
            sl_trace_source s = {.chain = v[i]->chain, .kind = SL_SOURCE_ADDRESS, .addr = id};
            if (!in->label[0]) snprintf(in->label, sizeof in->label, "address %.100s", addr);
            return add_src(in, &s) ? sl_err(e, SL_ENOMEM, "out of memory") : SL_OK;
        }
        if (rc == SL_ENOTFOUND) written = true;
        else if (!why.code) why = e2;
    }
    if (!written) return sl_err(e, SL_EUSAGE, "--address: %s", why.msg[0] ? why.msg : "not an address of any chain of the store");
    return sl_err(e, SL_ENOTFOUND, "address %s not found in the store%s%s", addr, chain ? " on " : "", chain ? chain : "");
}

int sl_detect_input_incident(const sl_flow_set *fs, sl_tags *tags, const char *name, sl_detect_input *in, sl_error *e)
{
    sl_tag_list l = {0};
    int rc;
    size_t txs = 0, missing = 0;
    if (!tags) return sl_err(e, SL_EUSAGE, "--incident needs the store's tag db (sleuth tags import)");
    if ((rc = sl_tags_for_incident(tags, name, &l, e))) return rc;
    snprintf(in->label, sizeof in->label, "incident %.100s", name);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (size_t i = 0; i < l.n && !rc; i++) {
            const sl_tag *t = &l.v[i];
            sl_error e2 = {0};
            const char *role = t->role ? t->role : "";
            bool theft = t->tx_hash && !strcmp(role, "theft_tx");
            bool expl = t->address && !strcmp(role, "exploiter");
            if (pass == 0 ? !theft : !expl) continue;
            rc = theft ? sl_detect_input_tx(fs, t->chain, t->tx_hash, in, &e2)
                       : sl_detect_input_address(fs, t->chain, t->address, in, &e2);
            if (rc == SL_ENOTFOUND || rc == SL_EUSAGE) missing++, rc = SL_OK; /* another chain, or not ingested */
            else if (rc) *e = e2;
            else if (pass == 0) txs++;
        }
        if (pass == 0 && txs) break; /* the theft txs say it all; exploiter addresses only without them */
    }
    snprintf(in->label, sizeof in->label, "incident %.100s", name);
    sl_tag_list_free(&l);
    if (rc) return rc;
    if (!in->n_src)
        return sl_err(e, SL_ENOTFOUND,
                      "incident %s: no theft_tx or exploiter tag of it names a transaction or address this store holds%s",
                      name, missing ? "" : " (it has no such tags: sleuth tags show --incident)");
    return SL_OK;
}

void sl_detect_input_free(sl_detect_input *in)
{
    sl_free(in->src);
    memset(in, 0, sizeof *in);
}

/* ---------------- shared helpers ---------------- */

const char *det_service_name(int kind)
{
    static const char *const n[] = {"none", "exchange", "mixer", "dex", "bridge", "otc", "service"};
    return kind >= 0 && kind <= DET_SVC_OTHER ? n[kind] : "?";
}

void det_addr_name(const det_ctx *c, sl_addr_ref a, char *out)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, a.chain);
    if (!v) snprintf(out, SL_FLOW_NAME_MAX, "?");
    else v->m->addr_name(v, a.id, out);
}

/* The service a tag says (DET_SVC_NONE: none). */
static int svc_of_tag(const char *category, const char *label, const sl_tag *t)
{
    sl_tag tmp = {0};
    if (!t) {
        tmp.category = (char *)category, tmp.label = (char *)label;
        t = &tmp;
    }
    if (sl_tag_is(t, "mixer") || sl_tag_is(t, "coinjoin")) return DET_SVC_MIXER;
    if (sl_tag_is(t, "exchange") || sl_tag_is(t, "hot_wallet") || sl_tag_is(t, "cold_wallet")) return DET_SVC_EXCHANGE;
    if (sl_tag_is(t, "dex") || sl_tag_is(t, "defi_dex_pair")) return DET_SVC_DEX;
    if (sl_tag_is(t, "bridge")) return DET_SVC_BRIDGE;
    if (sl_tag_is(t, "market") || sl_tag_is(t, "escrow_wallet") || sl_tag_is(t, "otc")) return DET_SVC_OTC;
    if (sl_tag_is(t, "defi") || sl_tag_is(t, "service") || sl_tag_is(t, "payment_processor")) return DET_SVC_OTHER;
    return DET_SVC_NONE;
}

/* Tornado Cash's Ethereum ETH pools (0.1, 1, 10, 100 ETH; tornado_cash_contracts.csv of
 * the shared data): mixers even without a tag store. */
static const char *const TORNADO_ETH[] = {
    "0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc", "0x47ce0c6ed5b0ce3d3a51fdb1c52dc66a7c3c2936",
    "0x910cbd523d972eb0a6f4cae4618ad62622b39dbf", "0xa160cdab225685da1d56aa342ad8841c3b53f291"};

static bool is_builtin_mixer(const char *name)
{
    for (size_t i = 0; i < sizeof TORNADO_ETH / sizeof *TORNADO_ETH; i++)
        if (!strcasecmp(name, TORNADO_ETH[i])) return true;
    return false;
}

/* The cluster tagger: a member's best tag from the tag store. */
typedef struct { det_ctx *c; } ctag_ctx;
static int ctag_best(void *ctx, sl_addr_ref a, sl_cluster_tag *out)
{
    det_ctx *c = ctx;
    char name[SL_FLOW_NAME_MAX];
    const sl_chain_def *d = sl_chain_by_id(a.chain);
    sl_tag_list l = {0};
    sl_error e = {0};
    const sl_tag *b;
    det_addr_name(c, a, name);
    if (!d || sl_tags_for_address(c->tags, d->name, name, &l, &e) || !(b = sl_tags_best(l.v, l.n))) {
        sl_tag_list_free(&l);
        return 0;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->label, sizeof out->label, "%s", b->label ? b->label : "");
    snprintf(out->category, sizeof out->category, "%s", b->category ? b->category : b->abuse ? b->abuse : "");
    out->confidence = (uint8_t)b->level;
    out->is_cluster_definer = b->is_cluster_definer;
    sl_tag_list_free(&l);
    return 1;
}

static const sl_cluster *cluster_of_chain(det_ctx *c, uint16_t chain)
{
    const sl_chain_def *d = sl_chain_by_id(chain);
    sl_error e = {0};
    if (!c->s || !d) return NULL;
    for (size_t i = 0; i < c->n_cls; i++)
        if (c->cls[i].chain == chain) return c->cls[i].cl;
    if (c->n_cls == sizeof c->cls / sizeof *c->cls) return NULL;
    c->cls[c->n_cls].chain = chain;
    c->cls[c->n_cls].tried = true;
    if (sl_cluster_open_chain(c->s, d->model == SL_MODEL_UTXO ? NULL : d->name, &c->cls[c->n_cls].cl, &e))
        c->cls[c->n_cls].cl = NULL; /* no cluster build: services by their own tags only */
    return c->cls[c->n_cls++].cl;
}

int det_service(det_ctx *c, sl_addr_ref a, char *label, size_t cap)
{
    uint64_t k = sl_addr_ref_key(a), v;
    char name[SL_FLOW_NAME_MAX];
    const sl_chain_def *d = sl_chain_by_id(a.chain);
    int kind = DET_SVC_NONE;
    if (label && cap) label[0] = 0;
    if (!label && sl_ht_get(&c->svc, &k, sizeof k, &v)) return (int)v - 1;
    det_addr_name(c, a, name);
    if (d && d->model == SL_MODEL_ACCOUNT && is_builtin_mixer(name)) {
        kind = DET_SVC_MIXER;
        if (label) snprintf(label, cap, "Tornado Cash pool (built-in list)");
    }
    if (c->tags && d && kind == DET_SVC_NONE) {
        sl_tag_list l = {0};
        sl_error e = {0};
        if (!sl_tags_for_address(c->tags, d->name, name, &l, &e))
            for (size_t i = 0; i < l.n && kind == DET_SVC_NONE; i++)
                if ((kind = svc_of_tag(NULL, NULL, &l.v[i])) && label) snprintf(label, cap, "%s", l.v[i].label ? l.v[i].label : "");
        sl_tag_list_free(&l);
    }
    if (c->tags && kind == DET_SVC_NONE) {
        const sl_cluster *cl = cluster_of_chain(c, a.chain);
        uint32_t id;
        uint64_t size, ck, cv;
        if (cl && !sl_cluster_of(cl, a, &id, &size) && size >= 2) {
            ck = sl_addr_ref_key((sl_addr_ref){a.chain, id});
            if (sl_ht_get(&c->svc_cl, &ck, sizeof ck, &cv) && !label) kind = (int)cv - 1;
            else {
                sl_cluster_tagger tg = {ctag_best, NULL, c};
                sl_cluster_tag t;
                if (sl_cluster_best_tag(cl, id, &tg, 1000, &t, NULL) == 1) {
                    kind = svc_of_tag(t.category, t.label, NULL);
                    if (kind && label) snprintf(label, cap, "%s (by its cluster)", t.label);
                }
                if (sl_ht_set(&c->svc_cl, &ck, sizeof ck, (uint64_t)kind + 1)) {} /* not cached: asked again */
            }
        }
    }
    if (sl_ht_set(&c->svc, &k, sizeof k, (uint64_t)kind + 1)) {} /* not cached: asked again */
    return kind;
}

det_note *det_note_of(det_ctx *c, sl_addr_ref a)
{
    uint64_t k = sl_addr_ref_key(a), v;
    if (sl_ht_get(&c->notes_ix, &k, sizeof k, &v)) return &c->notes[v - 1];
    if (sl_grow((void **)&c->notes, &c->cap_notes, c->n_notes + 1, sizeof *c->notes)) return NULL;
    if (sl_ht_set(&c->notes_ix, &k, sizeof k, c->n_notes + 1)) return NULL;
    det_note *n = &c->notes[c->n_notes++];
    memset(n, 0, sizeof *n);
    n->key = k;
    return n;
}

const det_note *det_note_get(const det_ctx *c, sl_addr_ref a)
{
    uint64_t k = sl_addr_ref_key(a), v;
    return sl_ht_get(&c->notes_ix, &k, sizeof k, &v) ? &c->notes[v - 1] : NULL;
}

int det_mark(det_ctx *c, sl_addr_ref a, uint32_t bits)
{
    det_note *n;
    if (!a.id) return SL_OK;
    if (!(n = det_note_of(c, a))) return SL_ENOMEM;
    n->bits |= bits;
    return SL_OK;
}

sl_finding *det_finding(det_ctx *c, sl_det_kind k, sl_stage st, double conf, const char *rule)
{
    sl_detect_result *r = c->r;
    size_t cap = r->n_findings;
    if (sl_grow((void **)&r->findings, &cap, r->n_findings + 1, sizeof *r->findings)) return NULL;
    sl_finding *f = &r->findings[r->n_findings++];
    memset(f, 0, sizeof *f);
    f->kind = k, f->stage = st, f->confidence = conf;
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    return f;
}

int det_f_addr(sl_finding *f, sl_addr_ref a)
{
    size_t cap = f->n_addrs;
    if (!a.id) return SL_OK;
    for (size_t i = 0; i < f->n_addrs; i++)
        if (f->addrs[i].chain == a.chain && f->addrs[i].id == a.id) return SL_OK;
    if (sl_grow((void **)&f->addrs, &cap, f->n_addrs + 1, sizeof *f->addrs)) return SL_ENOMEM;
    f->addrs[f->n_addrs++] = a;
    return SL_OK;
}

int det_f_tx(sl_finding *f, sl_tx_ref t)
{
    size_t cap = f->n_txs;
    if (t.id == SL_FLOW_NONE) return SL_OK;
    for (size_t i = 0; i < f->n_txs; i++)
        if (f->txs[i].chain == t.chain && f->txs[i].id == t.id) return SL_OK;
    if (sl_grow((void **)&f->txs, &cap, f->n_txs + 1, sizeof *f->txs)) return SL_ENOMEM;
    f->txs[f->n_txs++] = t;
    return SL_OK;
}

void det_f_ev(sl_finding *f, const char *fmt, ...)
{
    size_t n = strlen(f->evidence);
    va_list ap;
    if (n && n + 2 < sizeof f->evidence) memcpy(f->evidence + n, "; ", 3), n += 2;
    if (n + 1 >= sizeof f->evidence) return;
    va_start(ap, fmt);
    vsnprintf(f->evidence + n, sizeof f->evidence - n, fmt, ap);
    va_end(ap);
}

void det_f_time(sl_finding *f, uint64_t t)
{
    if (!t) return;
    if (!f->time_first || t < f->time_first) f->time_first = t;
    if (t > f->time_last) f->time_last = t;
}

void det_amount_str(const det_ctx *c, char *out, size_t cap, uint16_t chain, uint32_t asset, sl_u128 v)
{
    const sl_flow_view *w = sl_flow_set_chain(c->fs, chain);
    sl_flow_asset a;
    if (!w) {
        snprintf(out, cap, "?");
        return;
    }
    w->m->asset_info(w, asset, &a);
    sl_flow_amount_str(out, cap, &a, v, true);
}

uint64_t det_flow_time(const det_ctx *c, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    if (!v || flow == SL_FLOW_NONE) return 0;
    if (v->model == SL_MODEL_UTXO) return v->m->tx_time(v, SL_FLOW_UTXO_TX(flow));
    sl_flow f;
    v->m->flow_get(v, flow, &f);
    return f.time;
}

/* ---------------- the run ---------------- */

/* The crossings (THORChain swaps, DEX swaps: xchain.h) departing in the transactions the
 * traces just run reached and no earlier round asked about (sl_xchain_find_at), appended to
 * r->crossings: the store is read by transaction, not walked. Without annotations there are
 * none to find. */
static int find_crossings(det_ctx *c)
{
    sl_tx_ref *txs = NULL;
    size_t n = 0, cap = 0, from = c->r->crossings.n;
    int rc = SL_OK;
    if (!c->a) return SL_OK;
    for (size_t i = 0; i < c->r->n_traces && !rc; i++)
        rc = sl_xchain_reached(c->fs, &c->in->src[i], &c->r->traces[i], &c->xc_asked, &txs, &n, &cap);
    if (rc) rc = sl_err(c->e, rc, "out of memory");
    if (!rc && n) rc = sl_xchain_find_at(c->fs, c->a, txs, n, &c->r->crossings, c->e);
    sl_free(txs);
    for (size_t i = from; i < c->r->crossings.n && !rc; i++) { /* departing payment -> crossing index + 1 */
        const sl_trace_link *L = &c->r->crossings.v[i].link;
        uint64_t k[2] = {L->from_chain, L->from_flow}, *slot;
        bool added;
        if (sl_ht_upsert(&c->xc_from, k, sizeof k, i + 1, &slot, &added)) rc = sl_err(c->e, SL_ENOMEM, "out of memory");
    }
    return rc;
}

/* Adds the link of crossing i (once). */
static int use_crossing(det_ctx *c, size_t i, bool *added)
{
    *added = false;
    for (size_t k = 0; k < c->links.n; k++)
        if (c->xc_of_link[k] == i) return SL_OK;
    size_t cap = c->links.cap, cap2 = c->links.cap;
    if (sl_grow((void **)&c->links.v, &cap, c->links.n + 1, sizeof *c->links.v) ||
        sl_grow((void **)&c->xc_of_link, &cap2, c->links.n + 1, sizeof *c->xc_of_link))
        return SL_ENOMEM;
    c->links.cap = cap < cap2 ? cap : cap2;
    c->links.v[c->links.n] = c->r->crossings.v[i].link;
    c->xc_of_link[c->links.n++] = i;
    *added = true;
    return SL_OK;
}

/* The crossings whose departing payment carried a significant part of the loot in the
 * traces just run (>= suspect_min_share of what entered its asset, or >= 90% of the
 * payment itself), as links for the next
 * round; *added counts the new ones. A crossing only a haircut's dust reaches stays
 * unfollowed (its taint ends at the vault or pool): following every background user's
 * swap that dust touched would make the links loop for thousands of passes. Several
 * crossings may leave at one payment (a streaming swap): all are taken. */
static int select_crossings(det_ctx *c, size_t *added)
{
    *added = 0;
    for (size_t t = 0; t < c->r->n_traces; t++) {
        const sl_trace_result *tr = &c->r->traces[t];
        for (size_t pass = 0; pass < 2; pass++) {
            size_t n = pass ? tr->n_ends : tr->n_edges;
            for (size_t i = 0; i < n; i++) {
                uint16_t chain = pass ? tr->ends[i].chain : tr->edges[i].chain;
                uint64_t flow = pass ? tr->ends[i].flow : tr->edges[i].flow, k[2] = {chain, flow}, v;
                uint32_t asset = pass ? tr->ends[i].asset : tr->edges[i].asset;
                sl_u128 amt = pass ? tr->ends[i].amount : tr->edges[i].amount;
                if (!sl_ht_get(&c->xc_from, k, sizeof k, &v)) continue;
                sl_u128 in = det_entered(c, chain, asset);
                if (in && (double)amt < c->p->suspect_min_share * (double)in) {
                    /* a small swap still counts when what it pays is (nearly) all stolen: a thief
                     * splitting the loot into many small swaps, not a bystander's dust */
                    const sl_flow_view *fv = sl_flow_set_chain(c->fs, chain);
                    sl_flow f;
                    if (!fv) continue;
                    fv->m->flow_get(fv, flow, &f);
                    if (!f.amount || amt * 10 < f.amount * 9) continue;
                }
                for (size_t x = v - 1; x < c->r->crossings.n; x++) {
                    const sl_trace_link *L = &c->r->crossings.v[x].link;
                    bool add;
                    if (L->from_chain != chain || L->from_flow != flow) continue;
                    if (use_crossing(c, x, &add)) return SL_ENOMEM;
                    *added += add;
                }
            }
        }
    }
    return SL_OK;
}

static bool is_endpoint(void *ctx, sl_addr_ref a) { return det_service(ctx, a, NULL, 0) != DET_SVC_NONE; }

/* The newest block time of the store (the "as of" of still-dormant), or of the traces. */
static uint64_t tip_time(det_ctx *c)
{
    uint64_t t = 0;
    if (c->p->tip_time) return c->p->tip_time;
    for (size_t i = 0; c->s && i < sl_flow_set_count(c->fs); i++) {
        const sl_flow_view *v = sl_flow_set_at(c->fs, i);
        uint64_t n = 0, x;
        if (v->model == SL_MODEL_UTXO) n = sl_btc_meta_get(c->s)->n_tx;
        else {
            sl_eth_chain *ec;
            sl_error e = {0};
            if (!sl_eth_chain_open(c->s, v->name, &ec, &e)) n = sl_eth_meta_get(ec)->n_tx;
        }
        if (n && (x = v->m->tx_time(v, n - 1)) > t) t = x;
    }
    if (t) return t;
    for (size_t i = 0; i < c->r->n_traces; i++) {
        const sl_trace_result *tr = &c->r->traces[i];
        for (size_t k = 0; k < tr->n_ends; k++)
            if (tr->ends[k].time > t) t = tr->ends[k].time;
        for (size_t k = 0; k < tr->n_edges; k++) {
            uint64_t x = det_flow_time(c, tr->edges[k].chain, tr->edges[k].flow);
            if (x > t) t = x;
        }
    }
    return t;
}

/* What entered asset (chain, asset) over all the traces: source + linked_in. */
sl_u128 det_entered(const det_ctx *c, uint16_t chain, uint32_t asset)
{
    sl_u128 s = 0;
    for (size_t i = 0; i < c->r->n_traces; i++) {
        const sl_trace_totals *t = sl_trace_totals_of(&c->r->traces[i], chain, asset);
        if (t) s += t->source + t->linked_in;
    }
    return s;
}

/* ---------------- suspects ---------------- */

typedef struct recvtab {
    sl_ht ix;                        /* (addr key, asset) -> index + 1 */
    struct rv { sl_addr_ref a; uint32_t asset; sl_u128 amount; uint64_t first; } *v;
    size_t n, cap;
} recvtab;

static int recv_add(recvtab *t, sl_addr_ref a, uint32_t asset, sl_u128 amount, uint64_t time)
{
    uint64_t key[2] = {sl_addr_ref_key(a), asset}, v;
    if (!a.id) return SL_OK;
    if (!sl_ht_get(&t->ix, key, sizeof key, &v)) {
        if (sl_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v)) return SL_ENOMEM;
        if (sl_ht_set(&t->ix, key, sizeof key, t->n + 1)) return SL_ENOMEM;
        t->v[t->n] = (struct rv){a, asset, 0, 0};
        v = ++t->n;
    }
    struct rv *x = &t->v[v - 1];
    x->amount += amount;
    if (time && (!x->first || time < x->first)) x->first = time;
    return SL_OK;
}

static int cmp_suspect(const void *x, const void *y)
{
    const sl_suspect *a = x, *b = y;
    if (a->confidence != b->confidence) return a->confidence > b->confidence ? -1 : 1;
    if (a->received.amount != b->received.amount) return a->received.amount > b->received.amount ? -1 : 1;
    if (a->addr.chain != b->addr.chain) return a->addr.chain < b->addr.chain ? -1 : 1;
    return a->addr.id < b->addr.id ? -1 : a->addr.id > b->addr.id;
}

static void reason_add(char *r, size_t cap, const char *s)
{
    size_t n = strlen(r), k = strlen(s);
    if (n) {
        if (n + 3 >= cap) return;
        memcpy(r + n, "; ", 2), n += 2;
    }
    if (k > cap - n - 1) k = cap - n - 1; /* truncated: the reason is a summary */
    memcpy(r + n, s, k);
    r[n + k] = 0;
}

/* The share of everything address a ever received in asset that is the taint it got
 * (taint / total): a thief's own address holds stolen coins only, a bystander's gets a
 * haircut's sliver. 0 when unknown or when a has received too often to count cheaply. */
#define PURITY_MAX_FLOWS 10000
static double purity(det_ctx *c, sl_addr_ref a, uint32_t asset, sl_u128 taint)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, a.chain);
    sl_flow_ids ids = {0};
    sl_u128 total = 0;
    if (!v || v->m->addr_received(v, a.id, asset, 0, &ids) || ids.n > PURITY_MAX_FLOWS) {
        sl_flow_ids_free(&ids);
        return 0;
    }
    for (size_t i = 0; i < ids.n; i++) {
        sl_flow f;
        v->m->flow_get(v, ids.v[i], &f);
        total += f.amount;
    }
    sl_flow_ids_free(&ids);
    return total ? (double)taint / (double)total : 0;
}

static int add_suspect(det_ctx *c, sl_suspect *s)
{
    size_t cap = c->r->n_suspects;
    if (sl_grow((void **)&c->r->suspects, &cap, c->r->n_suspects + 1, sizeof *c->r->suspects)) return SL_ENOMEM;
    c->r->suspects[c->r->n_suspects++] = *s;
    return SL_OK;
}

/* Every address the traces reached, not a service and not an exchange deposit, that got
 * at least suspect_min_share of the loot in some asset; Tornado leads and THORChain
 * destinations whatever their share. */
static int suspects(det_ctx *c)
{
    recvtab t = {0};
    sl_ht done = {0};
    int rc = SL_OK;
    for (size_t i = 0; i < c->r->n_traces && !rc; i++) {
        const sl_trace_result *tr = &c->r->traces[i];
        for (size_t k = 0; k < tr->n_edges && !rc; k++) {
            const sl_trace_edge *x = &tr->edges[k];
            sl_addr_ref a = {x->chain, x->to_addr};
            if (x->from_addr == x->to_addr && !(x->flags & SL_TRACE_EDGE_SOURCE)) continue; /* its own change */
            rc = recv_add(&t, a, x->asset, x->amount, det_flow_time(c, x->chain, x->flow));
        }
        for (size_t k = 0; k < tr->n_ends && !rc; k++) {
            const sl_trace_end *x = &tr->ends[k];
            const sl_flow_view *v = sl_flow_set_chain(c->fs, x->chain);
            if (!v || v->model != SL_MODEL_UTXO) continue; /* accounts: the edge counted it */
            if (x->hops && sl_flow_utxo_payer(v, x->pool) == x->addr) continue; /* its own change */
            rc = recv_add(&t, (sl_addr_ref){x->chain, x->addr}, x->asset, x->amount, x->time);
        }
    }
    /* address sources: the loot's holder itself */
    for (size_t i = 0; i < c->r->n_traces && !rc; i++) {
        const sl_trace_source *src = &c->in->src[i];
        const sl_trace_result *tr = &c->r->traces[i];
        sl_addr_ref a = {src->chain, src->addr};
        uint64_t key[2] = {sl_addr_ref_key(a), tr->n_totals ? tr->totals[0].asset.id : 0};
        if (src->kind != SL_SOURCE_ADDRESS || !tr->n_totals || sl_ht_get(&t.ix, key, sizeof key, NULL)) continue;
        rc = recv_add(&t, a, tr->totals[0].asset.id, tr->totals[0].source, 0);
    }
    /* per address: the asset in which it got the largest share */
    for (size_t i = 0; i < t.n && !rc; i++) {
        struct rv *x = &t.v[i];
        uint64_t k = sl_addr_ref_key(x->a), v;
        sl_u128 ent = det_entered(c, x->a.chain, x->asset);
        double share = ent ? (double)x->amount / (double)ent : 0;
        if (share > 1) share = 1;
        if (sl_ht_get(&done, &k, sizeof k, &v)) {
            sl_suspect *s = &c->r->suspects[v - 1];
            if (s->received.asset != x->asset) {
                sl_u128 e0 = det_entered(c, s->received.chain, s->received.asset);
                double s0 = e0 ? (double)s->received.amount / (double)e0 : 0;
                if (share > s0) s->received = (sl_det_amount){x->a.chain, x->asset, x->amount};
            }
            if (x->first && (!s->first_seen || x->first < s->first_seen)) s->first_seen = x->first;
            continue;
        }
        sl_suspect s = {.addr = x->a, .received = {x->a.chain, x->asset, x->amount}, .first_seen = x->first};
        s.confidence = share; /* the share for now; the confidence below */
        if ((rc = add_suspect(c, &s))) break;
        if (sl_ht_set(&done, &k, sizeof k, c->r->n_suspects)) rc = SL_ENOMEM;
    }
    /* leads and THORChain destinations the traces did not reach */
    for (size_t i = 0; i < c->n_notes && !rc; i++) {
        det_note *n = &c->notes[i];
        uint64_t v;
        if (!(n->bits & (DET_N_LEAD | DET_N_THORDEST)) || sl_ht_get(&done, &n->key, sizeof n->key, &v)) continue;
        sl_suspect s = {.addr = sl_addr_ref_of(n->key), .received = n->lead_amount, .first_seen = n->lead_time};
        s.confidence = 0;
        if ((rc = add_suspect(c, &s))) break;
        if (sl_ht_set(&done, &n->key, sizeof n->key, c->r->n_suspects)) rc = SL_ENOMEM;
    }
    /* keep, score, explain */
    size_t w = 0;
    for (size_t i = 0; i < c->r->n_suspects && !rc; i++) {
        sl_suspect s = c->r->suspects[i];
        const det_note *n = det_note_get(c, s.addr);
        uint32_t bits = n ? n->bits : 0;
        sl_u128 ent = det_entered(c, s.received.chain, s.received.asset);
        uint64_t rk[2] = {sl_addr_ref_key(s.addr), s.received.asset};
        bool reached = sl_ht_get(&t.ix, rk, sizeof rk, NULL); /* else a lead the trace did not reach */
        double share = ent && reached ? (double)s.received.amount / (double)ent : 0, conf;
        char amt[64], buf[200], label[96];
        int svc;
        if (share > 1) share = 1;
        if (bits & DET_N_EXDEPOSIT) continue;
        if ((svc = det_service(c, s.addr, label, sizeof label)) != DET_SVC_NONE) continue;
        double pure = 0;
        if (share < c->p->suspect_min_share && !(bits & (DET_N_LEAD | DET_N_THORDEST)) &&
            (!reached || (pure = purity(c, s.addr, s.received.asset, s.received.amount)) < 0.9))
            continue;
        s.reason[0] = 0;
        conf = share >= 0.10 ? 0.55 : share >= 0.01 ? 0.45 : 0.35;
        if (share > 0) {
            det_amount_str(c, amt, sizeof amt, s.received.chain, s.received.asset, s.received.amount);
            snprintf(buf, sizeof buf, "received %.3g%% of the loot (%s)", share * 100, amt);
            reason_add(s.reason, sizeof s.reason, buf);
        }
        if (pure > 0) {
            snprintf(buf, sizeof buf, "%.0f%% of what it ever received is stolen", pure * 100);
            reason_add(s.reason, sizeof s.reason, buf);
        }
        if (bits & DET_N_SOURCE) reason_add(s.reason, sizeof s.reason, "paid by the theft");
        if (bits & DET_N_FANOUT) conf += 0.25, reason_add(s.reason, sizeof s.reason, "fan-out slice");
        if (bits & DET_N_PEEL) conf += 0.2, reason_add(s.reason, sizeof s.reason, "peel chain");
        if (bits & DET_N_CONSOL) conf += 0.15, reason_add(s.reason, sizeof s.reason, "consolidation");
        if (bits & DET_N_DORMANT) conf += 0.1, reason_add(s.reason, sizeof s.reason, "held it dormant");
        if (bits & DET_N_RAPID) conf += 0.05, reason_add(s.reason, sizeof s.reason, "rapid hops");
        if (bits & DET_N_SWAPDEST) conf += 0.1, reason_add(s.reason, sizeof s.reason, "swap output");
        if (bits & DET_N_MIXED) conf -= 0.2, reason_add(s.reason, sizeof s.reason, "a CoinJoin's output: taint diluted");
        conf = fmin(conf, 0.9); /* shape alone never says more than that */
        if (bits & DET_N_SOURCE) conf = 0.95;
        if (bits & DET_N_THORDEST) conf = fmax(conf, 0.9), reason_add(s.reason, sizeof s.reason, "THORChain memo destination");
        if (!reached && (bits & DET_N_LEAD) && !(bits & DET_N_THORDEST)) conf = 0; /* the lead's own */
        if (bits & DET_N_LEAD) {
            conf = fmax(conf, n->lead);
            if (!reached) det_amount_str(c, amt, sizeof amt, s.received.chain, s.received.asset, s.received.amount);
            snprintf(buf, sizeof buf, "Tornado withdrawal lead: %s%s%s", n->lead_why, reached ? "" : "; withdrew ",
                     reached ? "" : amt);
            reason_add(s.reason, sizeof s.reason, buf);
        }
        reason_add(s.reason, sizeof s.reason, c->tags ? "no service tag" : "no tag store");
        s.confidence = fmax(0.05, fmin(conf, 0.99));
        c->r->suspects[w++] = s;
    }
    if (!rc) c->r->n_suspects = w;
    if (c->r->n_suspects > 1) qsort(c->r->suspects, c->r->n_suspects, sizeof *c->r->suspects, cmp_suspect);
    sl_ht_free(&t.ix);
    sl_free(t.v);
    sl_ht_free(&done);
    return rc;
}

/* The addresses the theft paid (hop 0) and the address sources: known before any detector
 * runs, so Tornado's address-match rule sees them. */
static int mark_sources(det_ctx *c)
{
    int rc = SL_OK;
    for (size_t i = 0; i < c->r->n_traces && !rc; i++) {
        const sl_trace_result *tr = &c->r->traces[i];
        const sl_trace_source *src = &c->in->src[i];
        if (src->kind == SL_SOURCE_ADDRESS) rc = det_mark(c, (sl_addr_ref){src->chain, src->addr}, DET_N_SOURCE);
        for (size_t k = 0; k < tr->n_edges && !rc; k++)
            if (tr->edges[k].flags & SL_TRACE_EDGE_SOURCE)
                rc = det_mark(c, (sl_addr_ref){tr->edges[k].chain, tr->edges[k].to_addr}, DET_N_SOURCE);
        for (size_t k = 0; k < tr->n_ends && !rc; k++) {
            const sl_flow_view *v = sl_flow_set_chain(c->fs, tr->ends[k].chain);
            if (v && v->model == SL_MODEL_UTXO && tr->ends[k].hops == 0 && tr->ends[k].reason == SL_END_HELD)
                rc = det_mark(c, (sl_addr_ref){tr->ends[k].chain, tr->ends[k].addr}, DET_N_SOURCE);
        }
    }
    return rc;
}

static int cmp_finding(const void *x, const void *y)
{
    const sl_finding *a = x, *b = y;
    if (a->time_first != b->time_first) return a->time_first < b->time_first ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    return a->confidence > b->confidence ? -1 : a->confidence < b->confidence;
}

static void finding_free(sl_finding *f)
{
    sl_free(f->addrs);
    sl_free(f->txs);
}

int sl_detect_run(const sl_flow_set *fs, sl_annot *a, sl_tags *tags, const sl_detect_input *in,
                  const sl_detect_params *p, sl_detect_result *r, sl_error *e)
{
    det_ctx c = {.fs = fs, .in = in, .a = a, .tags = tags, .s = p->store, .p = p, .r = r, .e = e};
    double t0 = sl_now();
    int rc = SL_OK;
    memset(r, 0, sizeof *r);
    if (!in->n_src) return sl_err(e, SL_EUSAGE, "nothing to start from");
    for (size_t i = 0; p->extra_links && i < p->extra_links->n; i++) {
        size_t cap = c.links.cap, cap2 = c.links.cap;
        if (sl_grow((void **)&c.links.v, &cap, c.links.n + 1, sizeof *c.links.v) ||
            sl_grow((void **)&c.xc_of_link, &cap2, c.links.n + 1, sizeof *c.xc_of_link)) {
            rc = sl_err(e, SL_ENOMEM, "out of memory");
            goto done;
        }
        c.links.cap = cap < cap2 ? cap : cap2;
        c.xc_of_link[c.links.n] = SIZE_MAX; /* declared: no crossing of the store */
        c.links.v[c.links.n++] = p->extra_links->v[i];
    }
    if (!(r->traces = sl_calloc(in->n_src, sizeof *r->traces)) || !(r->loot = sl_calloc(in->n_src, sizeof *r->loot))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    /* rounds: trace, take the crossings the loot reached, trace again, until none is new */
    for (unsigned round = 0;; round++) {
        size_t added = 0;
        for (size_t i = 0; i < in->n_src; i++) {
            sl_trace_params tp = {0};
            tp.policy = p->policy;
            tp.max_hops = p->max_hops ? p->max_hops : 64;
            tp.min_amount = 546; /* Bitcoin's dust: less is not worth following on any chain */
            tp.endpoints = (sl_trace_endpoints){is_endpoint, &c, "tagged services (exchange, mixer, DEX, bridge, OTC) end it"};
            tp.links = c.links.n ? &c.links : NULL;
            tp.max_nodes = p->max_nodes;
            tp.deadline_ns = p->deadline_ns;
            if ((rc = sl_trace_run(fs, &in->src[i], &tp, &r->traces[i], e))) goto done;
            r->n_traces++;
        }
        r->rounds = round + 1;
        if (round + 1 >= DETECT_MAX_ROUNDS || p->no_crossings) break;
        if ((rc = find_crossings(&c))) goto done;
        if (!r->crossings.n) break;
        if ((rc = select_crossings(&c, &added))) {
            sl_err(e, rc, "out of memory");
            goto done;
        }
        if (!added) break;
        for (size_t i = 0; i < r->n_traces; i++) sl_trace_free(&r->traces[i]);
        r->n_traces = 0;
    }
    for (size_t i = 0; i < r->n_traces; i++)
        if (r->traces[i].n_totals)
            r->loot[r->n_loot++] = (sl_det_amount){r->traces[i].totals[0].asset.chain, r->traces[i].totals[0].asset.id,
                                                   r->traces[i].totals[0].source};
    r->tip_time = tip_time(&c);
    if ((rc = mark_sources(&c)) || (rc = det_swap(&c)) || (rc = det_flow(&c)) || (rc = det_mix(&c)) || (rc = suspects(&c))) {
        if (rc == SL_ENOMEM) sl_err(e, rc, "out of memory");
        goto done;
    }
    if (p->kinds) { /* the detectors ran for the suspects; keep the findings asked for */
        size_t w = 0;
        for (size_t i = 0; i < r->n_findings; i++) {
            if (p->kinds & (1u << r->findings[i].kind)) r->findings[w++] = r->findings[i];
            else finding_free(&r->findings[i]);
        }
        r->n_findings = w;
    }
    if (r->n_findings > 1) qsort(r->findings, r->n_findings, sizeof *r->findings, cmp_finding);
done:
    for (size_t i = 0; i < c.n_cls; i++) sl_cluster_close(c.cls[i].cl);
    sl_ht_free(&c.svc);
    sl_ht_free(&c.svc_cl);
    sl_ht_free(&c.notes_ix);
    sl_free(c.notes);
    sl_free(c.links.v);
    sl_free(c.xc_of_link);
    sl_ht_free(&c.xc_from);
    sl_ht_free(&c.xc_asked);
    r->seconds = sl_now() - t0;
    if (rc) sl_detect_free(r);
    return rc;
}

void sl_detect_free(sl_detect_result *r)
{
    for (size_t i = 0; i < r->n_traces; i++) sl_trace_free(&r->traces[i]);
    sl_free(r->traces);
    for (size_t i = 0; i < r->n_findings; i++) finding_free(&r->findings[i]);
    sl_free(r->findings);
    sl_free(r->suspects);
    sl_free(r->loot);
    sl_xchain_list_free(&r->crossings);
    memset(r, 0, sizeof *r);
}
