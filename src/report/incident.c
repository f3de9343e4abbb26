/* incident.c — the incident report (sleuth/incident.h): from an incident's record and the
 * detectors' result, the plain data the three renderers share (stages per asset and day,
 * endpoints and held amounts summed per address, findings and suspects with their names),
 * its text and JSON, `incident compare`, and the driver that runs the detectors on a store.
 * The HTML is in incident_html.c. Amounts stay exact integers in base units (sl_u128) and
 * are summed per asset only: no price converts one asset into another. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sleuth/annot.h"
#include "sleuth/incident.h"
#include "sleuth/report.h"
#include "sleuth/text.h"
#include "sleuth/util.h"
#include "sleuth/version.h"

/* ---------------- building ---------------- */

static int asset_of(sl_incident_report *rep, const sl_incident_namer *nm, uint16_t chain, uint32_t asset, size_t *out)
{
    const sl_chain_def *d = sl_chain_by_id(chain);
    for (size_t i = 0; i < rep->n_assets; i++)
        if (rep->assets[i].chain == chain && rep->assets[i].asset == asset) return *out = i, SL_OK;
    if (sl_grow((void **)&rep->assets, &rep->assets_cap, rep->n_assets + 1, sizeof *rep->assets)) return SL_ENOMEM;
    sl_incident_asset *a = &rep->assets[rep->n_assets];
    memset(a, 0, sizeof *a);
    a->chain = chain, a->asset = asset;
    if (d) snprintf(a->chain_name, sizeof a->chain_name, "%s", d->name);
    else snprintf(a->chain_name, sizeof a->chain_name, "chain %u", chain);
    a->info.decimals = -1;
    if (nm && nm->asset) nm->asset(nm->ctx, chain, asset, &a->info);
    if (!a->info.symbol[0]) snprintf(a->info.symbol, sizeof a->info.symbol, "asset %" PRIu32, asset);
    *out = rep->n_assets++;
    return SL_OK;
}

static uint64_t day_of(uint64_t t) { return t ? t - t % 86400 : 0; }

static int day_cmp(const void *a, const void *b)
{
    const sl_incident_day *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    if (x->stage != y->stage) return x->stage < y->stage ? -1 : 1;
    return x->amt.asset < y->amt.asset ? -1 : x->amt.asset > y->amt.asset;
}

/* Ends are first sorted by key to be summed, then by asset and amount to be shown. */
static int end_key_cmp(const void *a, const void *b)
{
    const sl_incident_end *x = a, *y = b;
    uint64_t kx = sl_addr_ref_key(x->addr), ky = sl_addr_ref_key(y->addr);
    if (kx != ky) return kx < ky ? -1 : 1;
    if (x->amt.asset != y->amt.asset) return x->amt.asset < y->amt.asset ? -1 : 1;
    return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static int end_show_cmp(const void *a, const void *b)
{
    const sl_incident_end *x = a, *y = b;
    if (x->amt.asset != y->amt.asset) return x->amt.asset < y->amt.asset ? -1 : 1;
    if (x->amt.amount != y->amt.amount) return x->amt.amount > y->amt.amount ? -1 : 1;
    return end_key_cmp(a, b);
}

static int push_day(sl_incident_report *rep, size_t *cap, uint64_t t, sl_stage st, size_t asset, sl_u128 v)
{
    if (sl_grow((void **)&rep->days, cap, rep->n_days + 1, sizeof *rep->days)) return SL_ENOMEM;
    rep->days[rep->n_days++] = (sl_incident_day){day_of(t), st, {asset, v}};
    return SL_OK;
}

/* Sums equal (day, stage, asset) rows of the sorted days. */
static void days_merge(sl_incident_report *rep)
{
    size_t w = 0;
    if (rep->n_days > 1) qsort(rep->days, rep->n_days, sizeof *rep->days, day_cmp);
    for (size_t i = 0; i < rep->n_days; i++) {
        if (w && !day_cmp(&rep->days[w - 1], &rep->days[i])) rep->days[w - 1].amt.amount += rep->days[i].amt.amount;
        else rep->days[w++] = rep->days[i];
    }
    rep->n_days = w;
}

static int build_stages(sl_incident_report *rep, const sl_detect_input *in, const sl_incident_namer *nm)
{
    size_t na, dcap = 0, theft_findings = 0;
    sl_incident_stage *m;
    uint64_t theft_time = 0;
    for (size_t i = 0; i < rep->n_findings; i++) theft_findings += rep->findings[i].f->stage == SL_STAGE_THEFT;
    /* The theft itself: the detectors' theft findings, else the loot at its sources' time. */
    for (size_t i = 0; in && !theft_findings && i < in->n_src; i++)
        if (in->src[i].kind == SL_SOURCE_TX && nm && nm->tx_time) {
            uint64_t t = nm->tx_time(nm->ctx, (sl_tx_ref){in->src[i].chain, in->src[i].tx});
            if (t && (!theft_time || t < theft_time)) theft_time = t;
        }
    na = rep->n_assets;
    if (!na) return SL_OK;
    if (!(m = sl_calloc((size_t)SL_STAGE_COUNT * na, sizeof *m))) return SL_ENOMEM;
    for (size_t i = 0; i < rep->n_findings; i++) {
        const sl_incident_finding *f = &rep->findings[i];
        sl_incident_stage *x = &m[(size_t)f->f->stage * na + f->amt.asset];
        /* a rapid-hops finding measures speed: its amount is the payment that entered a run
         * another finding (fan-out, peel chain) already counts, so it is not added again */
        bool adds = f->valued && f->f->kind != SL_DET_RAPID;
        x->amt.amount += adds ? f->amt.amount : 0, x->findings++;
        if (f->f->time_first && (!x->time_first || f->f->time_first < x->time_first)) x->time_first = f->f->time_first;
        if (f->f->time_last > x->time_last) x->time_last = f->f->time_last;
        /* a day is when the money went through the stage; dormancy's is when the idle spell ended
         * (the move, or the tip for still-dormant funds), not when the coins arrived */
        uint64_t day = f->f->stage == SL_STAGE_DORMANCY && f->f->time_last ? f->f->time_last : f->f->time_first;
        if (adds && push_day(rep, &dcap, day, f->f->stage, f->amt.asset, f->amt.amount)) goto oom;
    }
    for (size_t i = 0; !theft_findings && i < rep->n_loot; i++) {
        sl_incident_stage *x = &m[(size_t)SL_STAGE_THEFT * na + rep->loot[i].asset];
        x->amt.amount += rep->loot[i].amount;
        x->time_first = x->time_last = theft_time;
        if (push_day(rep, &dcap, theft_time, SL_STAGE_THEFT, rep->loot[i].asset, rep->loot[i].amount)) goto oom;
    }
    days_merge(rep);
    for (size_t k = 0; k < (size_t)SL_STAGE_COUNT * na; k++)
        if (m[k].amt.amount || m[k].findings) {
            m[k].stage = (sl_stage)(k / na), m[k].amt.asset = k % na;
            rep->stages[rep->n_stages++] = m[k];
        }
    sl_free(m);
    return SL_OK;
oom:
    sl_free(m);
    return SL_ENOMEM;
}

static int build_ends(sl_incident_report *rep, const sl_incident_namer *nm)
{
    size_t n = 0, w = 0;
    for (size_t t = 0; t < rep->result.n_traces; t++) n += rep->result.traces[t].n_ends;
    if (!n) return SL_OK;
    if (!(rep->ends = sl_calloc(n, sizeof *rep->ends))) return SL_ENOMEM;
    for (size_t t = 0; t < rep->result.n_traces; t++)
        for (size_t i = 0; i < rep->result.traces[t].n_ends; i++) {
            const sl_trace_end *x = &rep->result.traces[t].ends[i];
            sl_incident_end *o = &rep->ends[rep->n_ends++];
            o->addr = (sl_addr_ref){x->chain, x->addr};
            if (asset_of(rep, nm, x->chain, x->asset, &o->amt.asset)) return SL_ENOMEM;
            o->amt.amount = x->amount, o->reason = x->reason, o->time = x->time, o->pieces = 1;
        }
    if (rep->n_ends > 1) qsort(rep->ends, rep->n_ends, sizeof *rep->ends, end_key_cmp);
    for (size_t i = 0; i < rep->n_ends; i++) {
        sl_incident_end *x = &rep->ends[i];
        if (w && !end_key_cmp(&rep->ends[w - 1], x)) {
            sl_incident_end *y = &rep->ends[w - 1];
            y->amt.amount += x->amt.amount, y->pieces++;
            if (x->time && (!y->time || x->time < y->time)) y->time = x->time;
        } else rep->ends[w++] = *x;
    }
    rep->n_ends = w;
    for (size_t i = 0; i < w; i++) {
        sl_incident_end *x = &rep->ends[i];
        if (nm && nm->addr) nm->addr(nm->ctx, x->addr, x->name);
        if (nm && nm->tag) nm->tag(nm->ctx, x->addr, x->tag, x->category);
    }
    if (rep->n_ends > 1) qsort(rep->ends, rep->n_ends, sizeof *rep->ends, end_show_cmp);
    return SL_OK;
}

int sl_incident_report_build(sl_incident_report *rep, sl_incident_list *list, const sl_incident *inc,
                             const char *from, const sl_detect_input *in, sl_detect_result *r, const char *why_not,
                             const sl_detect_params *p, const sl_incident_chain *chains, size_t n,
                             const sl_incident_namer *nm, sl_error *e)
{
    memset(rep, 0, sizeof *rep);
    rep->list = *list, memset(list, 0, sizeof *list);
    rep->inc = inc;
    snprintf(rep->from, sizeof rep->from, "%s", from ? from : "");
    if (p) rep->params = *p;
    else sl_detect_params_default(&rep->params);
    if (r) {
        rep->result = *r, memset(r, 0, sizeof *r);
        rep->traced = true;
        rep->generated = rep->result.tip_time;
    } else snprintf(rep->why_not, sizeof rep->why_not, "%s", why_not ? why_not : "not traced");
    if (in) snprintf(rep->label, sizeof rep->label, "%s", in->label);
    if (n && !(rep->chains = sl_calloc(n, sizeof *rep->chains))) goto oom;
    if (n) memcpy(rep->chains, chains, n * sizeof *chains);
    rep->n_chains = n;
    const sl_detect_result *R = &rep->result;
    if (R->n_loot && !(rep->loot = sl_calloc(R->n_loot, sizeof *rep->loot))) goto oom;
    for (size_t i = 0; i < R->n_loot; i++, rep->n_loot++) {
        if (asset_of(rep, nm, R->loot[i].chain, R->loot[i].asset, &rep->loot[i].asset)) goto oom;
        rep->loot[i].amount = R->loot[i].amount;
    }
    if (R->n_findings && !(rep->findings = sl_calloc(R->n_findings, sizeof *rep->findings))) goto oom;
    for (size_t i = 0; i < R->n_findings; i++, rep->n_findings++) {
        sl_incident_finding *f = &rep->findings[i];
        f->f = &R->findings[i];
        f->valued = f->f->amount.chain != 0;
        /* A finding about a shape (rapid hops) names no amount: counted on its addresses' chain. */
        uint16_t fc = f->valued ? f->f->amount.chain : f->f->n_addrs ? f->f->addrs[0].chain
                                                      : f->f->n_txs ? f->f->txs[0].chain
                                                      : R->n_loot ? R->loot[0].chain : 0;
        if (asset_of(rep, nm, fc, f->valued ? f->f->amount.asset : 0, &f->amt.asset)) goto oom;
        f->amt.amount = f->valued ? f->f->amount.amount : 0;
        for (size_t k = 0; nm && nm->addr && k < f->f->n_addrs && k < SL_INC_NAMES; k++)
            nm->addr(nm->ctx, f->f->addrs[k], f->addrs[k]);
        for (size_t k = 0; nm && nm->tx && k < f->f->n_txs && k < SL_INC_NAMES; k++) nm->tx(nm->ctx, f->f->txs[k], f->txs[k]);
    }
    if (R->n_suspects && !(rep->suspects = sl_calloc(R->n_suspects, sizeof *rep->suspects))) goto oom;
    for (size_t i = 0; i < R->n_suspects; i++, rep->n_suspects++) {
        sl_incident_suspect *s = &rep->suspects[i];
        s->s = &R->suspects[i];
        if (asset_of(rep, nm, s->s->received.chain, s->s->received.asset, &s->amt.asset)) goto oom;
        s->amt.amount = s->s->received.amount;
        if (nm && nm->addr) nm->addr(nm->ctx, s->s->addr, s->name);
        if (nm && nm->tag) nm->tag(nm->ctx, s->s->addr, s->tag, s->category);
    }
    if (build_ends(rep, nm)) goto oom;
    if (rep->n_assets && !(rep->stages = sl_calloc((size_t)SL_STAGE_COUNT * rep->n_assets, sizeof *rep->stages)))
        goto oom;
    if (build_stages(rep, in, nm)) goto oom;
    for (size_t i = 0; i < rep->n_chains; i++) /* a chain the money crossed into */
        for (size_t a = 0; rep->chains[i].state == SL_INC_CHAIN_NO_SOURCE && a < rep->n_assets; a++)
            if (rep->assets[a].chain == rep->chains[i].id) rep->chains[i].state = SL_INC_CHAIN_REACHED;
    return SL_OK;
oom:
    return sl_err(e, SL_ENOMEM, "out of memory");
}

void sl_incident_report_free(sl_incident_report *rep)
{
    if (!rep) return;
    sl_incident_list_free(&rep->list);
    if (rep->traced) sl_detect_free(&rep->result);
    sl_free(rep->chains), sl_free(rep->assets), sl_free(rep->loot), sl_free(rep->stages), sl_free(rep->days);
    sl_free(rep->ends), sl_free(rep->findings), sl_free(rep->suspects);
    memset(rep, 0, sizeof *rep);
}

/* ---------------- shared words ---------------- */

void sl_incident_amt_str(const sl_incident_report *rep, const sl_incident_amt *a, char *out, size_t cap,
                         bool with_symbol)
{
    if (a->asset >= rep->n_assets) {
        snprintf(out, cap, "?");
        return;
    }
    sl_flow_amount_str(out, cap, &rep->assets[a->asset].info, a->amount, with_symbol);
}

static void day_str(char out[16], uint64_t day)
{
    struct tm tm;
    time_t tt = (time_t)day;
    if (!day || day > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
        snprintf(out, 16, "unknown");
}

static const char *chain_state(int st)
{
    switch (st) {
    case SL_INC_CHAIN_TRACED: return "traced";
    case SL_INC_CHAIN_REACHED: return "reached by the trace (a crossing), no source of the incident on it";
    case SL_INC_CHAIN_NO_SOURCE: return "in the store, but none of the incident's transactions or addresses";
    case SL_INC_CHAIN_UNKNOWN: return "not a chain sleuth ingests";
    default: return "not in the store";
    }
}

void sl_incident_path(const sl_incident_report *rep, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int st = SL_STAGE_DISPERSAL; st < SL_STAGE_COUNT; st++) {
        bool first = true;
        for (size_t i = 0; i < rep->n_stages && n < cap; i++) {
            const sl_incident_stage *x = &rep->stages[i];
            char a[128];
            if ((int)x->stage != st || !x->amt.amount) continue;
            sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
            if (first) n += (size_t)snprintf(out + n, cap - n, "%s%s ", n ? "; " : "", sl_stage_name((sl_stage)st));
            else n += (size_t)snprintf(out + n, cap - n, ", ");
            if (n < cap) n += (size_t)snprintf(out + n, cap - n, "%s (%s)", a, rep->assets[x->amt.asset].chain_name);
            first = false;
        }
    }
    if (n >= cap && cap > 4) memcpy(out + cap - 4, "...", 4);
}

/* ---------------- JSON ---------------- */

static void jstr(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

/* A comma- or newline-joined list as a JSON array. */
static cJSON *jlist(cJSON *o, const char *k, const char *joined, char sep)
{
    cJSON *a = cJSON_AddArrayToObject(o, k);
    char set[2] = {sep, 0};
    for (const char *p = joined; a && p && *p;) {
        size_t n = strcspn(p, set);
        char *c = sl_malloc(n + 1);
        if (c) memcpy(c, p, n), c[n] = 0, cJSON_AddItemToArray(a, cJSON_CreateString(c));
        sl_free(c);
        p += n + (p[n] == sep);
    }
    return a;
}

void *sl_incident_json(const sl_incident *in)
{
    cJSON *o = cJSON_CreateObject(), *a, *st, *at;
    if (!o) return NULL;
    st = cJSON_AddArrayToObject(o, "stolen");
    jstr(o, "id", in->id), jstr(o, "name", in->name), jstr(o, "date", in->date), jstr(o, "victim", in->victim);
    jlist(o, "chains", in->chains, ',');
    for (size_t i = 0; st && i < in->nstolen; i++) {
        cJSON *x = cJSON_CreateObject();
        if (!x) continue;
        jstr(x, "asset", in->stolen[i].asset), jstr(x, "amount", in->stolen[i].amount), jstr(x, "usd", in->stolen[i].usd);
        cJSON_AddItemToArray(st, x);
    }
    if ((a = cJSON_AddObjectToObject(o, "attack"))) jstr(a, "route_in", in->route_in), jstr(a, "method", in->method);
    jstr(o, "laundering", in->laundering), jstr(o, "aftermath", in->aftermath);
    if ((at = cJSON_AddObjectToObject(o, "attribution"))) {
        jstr(at, "actor", in->attr_actor), jstr(at, "by", in->attr_by), jstr(at, "date", in->attr_date);
        jstr(at, "confidence", in->attr_confidence), jstr(at, "source", in->attr_source);
    }
    jstr(o, "tagpack", in->tagpack);
    jlist(o, "sources", in->sources, '\n');
    cJSON_AddStringToObject(o, "origin", in->local ? "store" : "library");
    return o;
}

/* An exact amount as the contract writes it (docs/JSON.md): an integer below 2^53, else its
 * decimal digits as a string. */
static void u128_json(cJSON *o, const char *k, sl_u128 v)
{
    char d[40];
    if (v < ((sl_u128)1 << 53)) {
        sl_json_u64(o, k, (uint64_t)v);
        return;
    }
    sl_u128_dec(d, v);
    cJSON_AddStringToObject(o, k, d);
}

/* {"chain", "asset", "decimals", "amount" (base units), "text"} */
static cJSON *amt_json(const sl_incident_report *rep, cJSON *o, const sl_incident_amt *a)
{
    char t[160];
    const sl_incident_asset *as = &rep->assets[a->asset];
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "chain", as->chain_name);
    cJSON_AddStringToObject(o, "asset", as->info.symbol);
    cJSON_AddNumberToObject(o, "decimals", as->info.decimals);
    u128_json(o, "amount", a->amount);
    sl_incident_amt_str(rep, a, t, sizeof t, true);
    cJSON_AddStringToObject(o, "text", t);
    return o;
}

static cJSON *params_json(const sl_detect_params *p)
{
    cJSON *o = cJSON_CreateObject(), *k;
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "policy", sl_policy_name(p->policy));
    k = cJSON_AddArrayToObject(o, "kinds");
    for (int i = 1; k && i < SL_DET_COUNT; i++)
        if (!p->kinds || (p->kinds & (1u << i))) cJSON_AddItemToArray(k, cJSON_CreateString(sl_det_kind_name((sl_det_kind)i)));
    sl_json_u64(o, "max_hops", p->max_hops);
    sl_json_u64(o, "dormant_days", p->dormant_days);
    sl_json_u64(o, "rapid_minutes", p->rapid_minutes);
    sl_json_u64(o, "fanout_min", p->fanout_min);
    cJSON_AddNumberToObject(o, "suspect_min_share", p->suspect_min_share);
    sl_json_u64(o, "tip_time", p->tip_time);
    jstr(o, "extra_links", p->extra_links && p->extra_links->path[0] ? p->extra_links->path : NULL);
    return o;
}

static cJSON *end_json(const sl_incident_report *rep, const sl_incident_end *x)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "address", x->name);
    amt_json(rep, o, &x->amt);
    cJSON_AddStringToObject(o, "reason", sl_end_reason_name((sl_end_reason)x->reason));
    sl_json_u64_or_null(o, "since", x->time, x->time != 0);
    sl_json_u64(o, "pieces", x->pieces);
    if (x->tag[0]) {
        cJSON *t = cJSON_AddObjectToObject(o, "tag");
        if (t) cJSON_AddStringToObject(t, "label", x->tag), jstr(t, "category", x->category[0] ? x->category : NULL);
    } else cJSON_AddNullToObject(o, "tag");
    return o;
}

void *sl_incident_report_json(const sl_incident_report *rep)
{
    cJSON *j = cJSON_CreateObject(), *o, *a;
    char d[16];
    if (!j) return NULL;
    if ((o = sl_incident_json(rep->inc))) {
        cJSON_AddStringToObject(o, "from", rep->from);
        cJSON_AddItemToObject(j, "incident", o);
    }
    cJSON_AddStringToObject(j, "sleuth_version", SLEUTH_VERSION);
    cJSON_AddBoolToObject(j, "traced", rep->traced);
    jstr(j, "not_traced_why", rep->traced ? NULL : rep->why_not);
    jstr(j, "input", rep->label[0] ? rep->label : NULL);
    cJSON_AddItemToObject(j, "params", params_json(&rep->params));
    sl_json_u64_or_null(j, "tip_time", rep->result.tip_time, rep->traced);
    if ((a = cJSON_AddArrayToObject(j, "chains")))
        for (size_t i = 0; i < rep->n_chains; i++) {
            const sl_incident_chain *c = &rep->chains[i];
            cJSON *x = cJSON_CreateObject();
            if (!x) continue;
            cJSON_AddStringToObject(x, "chain", c->name);
            jstr(x, "network", c->network[0] ? c->network : NULL);
            cJSON_AddBoolToObject(x, "in_record", c->in_record);
            cJSON_AddStringToObject(x, "state", c->state == SL_INC_CHAIN_TRACED      ? "traced"
                                               : c->state == SL_INC_CHAIN_REACHED   ? "reached"
                                               : c->state == SL_INC_CHAIN_NO_SOURCE ? "no-source"
                                               : c->state == SL_INC_CHAIN_UNKNOWN   ? "unknown-chain"
                                                                                    : "not-in-store");
            cJSON_AddStringToObject(x, "says", chain_state(c->state));
            sl_json_u64(x, "blocks", c->blocks);
            sl_json_u64_or_null(x, "first_block_time", c->time_min, c->times);
            sl_json_u64_or_null(x, "last_block_time", c->time_max, c->times);
            cJSON_AddItemToArray(a, x);
        }
    if ((a = cJSON_AddArrayToObject(j, "loot")))
        for (size_t i = 0; i < rep->n_loot; i++) cJSON_AddItemToArray(a, amt_json(rep, cJSON_CreateObject(), &rep->loot[i]));
    if ((a = cJSON_AddArrayToObject(j, "stages")))
        for (size_t i = 0; i < rep->n_stages; i++) {
            const sl_incident_stage *x = &rep->stages[i];
            cJSON *s = amt_json(rep, cJSON_CreateObject(), &x->amt);
            if (!s) continue;
            cJSON_AddStringToObject(s, "stage", sl_stage_name(x->stage));
            sl_json_u64(s, "findings", x->findings);
            sl_json_u64_or_null(s, "time_first", x->time_first, x->time_first != 0);
            sl_json_u64_or_null(s, "time_last", x->time_last, x->time_last != 0);
            cJSON_AddItemToArray(a, s);
        }
    if ((a = cJSON_AddArrayToObject(j, "by_day")))
        for (size_t i = 0; i < rep->n_days; i++) {
            const sl_incident_day *x = &rep->days[i];
            cJSON *s = amt_json(rep, cJSON_CreateObject(), &x->amt);
            if (!s) continue;
            day_str(d, x->day);
            cJSON_AddStringToObject(s, "day", d);
            cJSON_AddStringToObject(s, "stage", sl_stage_name(x->stage));
            cJSON_AddItemToArray(a, s);
        }
    cJSON *ends = cJSON_AddArrayToObject(j, "endpoints"), *held = cJSON_AddArrayToObject(j, "held");
    for (size_t i = 0; ends && held && i < rep->n_ends; i++)
        cJSON_AddItemToArray(rep->ends[i].reason == SL_END_HELD ? held : ends, end_json(rep, &rep->ends[i]));
    if ((a = cJSON_AddArrayToObject(j, "findings")))
        for (size_t i = 0; i < rep->n_findings; i++) {
            const sl_incident_finding *f = &rep->findings[i];
            cJSON *x = cJSON_CreateObject(), *l;
            if (!x) continue;
            cJSON_AddStringToObject(x, "kind", sl_det_kind_name(f->f->kind));
            cJSON_AddStringToObject(x, "stage", sl_stage_name(f->f->stage));
            cJSON_AddNumberToObject(x, "confidence", f->f->confidence);
            cJSON_AddStringToObject(x, "rule", f->f->rule);
            cJSON_AddStringToObject(x, "evidence", f->f->evidence);
            if (f->valued) cJSON_AddItemToObject(x, "amount", amt_json(rep, cJSON_CreateObject(), &f->amt));
            else cJSON_AddNullToObject(x, "amount");
            sl_json_u64_or_null(x, "time_first", f->f->time_first, f->f->time_first != 0);
            sl_json_u64_or_null(x, "time_last", f->f->time_last, f->f->time_last != 0);
            if ((l = cJSON_AddArrayToObject(x, "addresses")))
                for (size_t k = 0; k < f->f->n_addrs && k < SL_INC_NAMES; k++) cJSON_AddItemToArray(l, cJSON_CreateString(f->addrs[k]));
            sl_json_u64(x, "n_addresses", f->f->n_addrs);
            if ((l = cJSON_AddArrayToObject(x, "txs")))
                for (size_t k = 0; k < f->f->n_txs && k < SL_INC_NAMES; k++) cJSON_AddItemToArray(l, cJSON_CreateString(f->txs[k]));
            sl_json_u64(x, "n_txs", f->f->n_txs);
            cJSON_AddItemToArray(a, x);
        }
    if ((a = cJSON_AddArrayToObject(j, "suspects")))
        for (size_t i = 0; i < rep->n_suspects; i++) {
            const sl_incident_suspect *s = &rep->suspects[i];
            cJSON *x = cJSON_CreateObject();
            if (!x) continue;
            cJSON_AddStringToObject(x, "address", s->name);
            cJSON_AddNumberToObject(x, "confidence", s->s->confidence);
            cJSON_AddStringToObject(x, "reason", s->s->reason);
            cJSON_AddItemToObject(x, "received", amt_json(rep, cJSON_CreateObject(), &s->amt));
            sl_json_u64_or_null(x, "first_seen", s->s->first_seen, s->s->first_seen != 0);
            jstr(x, "tag", s->tag[0] ? s->tag : NULL);
            cJSON_AddItemToArray(a, x);
        }
    return j;
}

/* ---------------- text ---------------- */

#define W(hang, ...) sl_fmt_wrapf(f, hang, __VA_ARGS__)
/* Rows of a list the text shows; --json and --html have them all. */
#define TEXT_ROWS 25

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static void text_record(FILE *f, const sl_incident_report *rep)
{
    const sl_incident *in = rep->inc;
    W(4, "Incident report: %s (%s), %s", or_dash(in->name), in->id, in->date ? in->date : "date unknown");
    W(14, "  record      %s", rep->from);
    if (in->victim) W(14, "  victim      %s", in->victim);
    for (size_t i = 0; i < in->nstolen; i++)
        W(14, "  %-11s %s %s%s%s%s", i ? "" : "loss", or_dash(in->stolen[i].amount), or_dash(in->stolen[i].asset),
          in->stolen[i].usd ? " (" : "", in->stolen[i].usd ? in->stolen[i].usd : "", in->stolen[i].usd ? " USD)" : "");
    if (in->route_in) W(14, "  route in    %s", in->route_in);
    if (in->method) W(14, "  method      %s", in->method);
    if (in->laundering) W(14, "  laundering  %s", in->laundering);
    if (in->aftermath) W(14, "  aftermath   %s", in->aftermath);
    if (in->attr_actor || in->attr_by)
        W(14, "  attribution %s, by %s on %s, confidence %s; %s", or_dash(in->attr_actor), or_dash(in->attr_by),
          or_dash(in->attr_date), or_dash(in->attr_confidence), or_dash(in->attr_source));
}

static void text_chains(FILE *f, const sl_incident_report *rep)
{
    char a[32], b[32];
    fputc('\n', f), W(4, "Chains (the store's data range: first and last block time)");
    for (size_t i = 0; i < rep->n_chains; i++) {
        const sl_incident_chain *c = &rep->chains[i];
        if (c->network[0]) {
            sl_fmt_time(a, c->time_min), sl_fmt_time(b, c->time_max);
            W(14, "  %-11s as %s, %" PRIu64 " blocks, %s to %s: %s", c->name, c->network, c->blocks, c->times ? a : "?",
              c->times ? b : "?",
              c->state == SL_INC_CHAIN_TRACED    ? "traced"
              : c->state == SL_INC_CHAIN_REACHED ? "reached by the trace through a crossing"
                                                 : "none of the incident's transactions or addresses");
        } else W(14, "  %-11s %s", c->name, chain_state(c->state));
    }
}

static void text_stages(FILE *f, const sl_incident_report *rep)
{
    char a[160], d[16];
    fputc('\n', f), W(4, "Timeline by stage (sum of the findings' amounts per asset; a coin may pass several stages)");
    W(4, "  %-12s %-10s %34s %9s  %-10s %s", "stage", "chain", "amount", "findings", "first", "last");
    for (size_t i = 0; i < rep->n_stages; i++) {
        const sl_incident_stage *x = &rep->stages[i];
        char d2[16];
        sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
        day_str(d, day_of(x->time_first)), day_str(d2, day_of(x->time_last));
        W(4, "  %-12s %-10s %34s %9zu  %-10s %s", sl_stage_name(x->stage), rep->assets[x->amt.asset].chain_name, a,
          x->findings, d, d2);
    }
    fputc('\n', f), W(4, "By day");
    W(4, "  %-10s  %-12s %-10s %34s", "day", "stage", "chain", "amount");
    for (size_t i = 0; i < rep->n_days && i < 4 * TEXT_ROWS; i++) {
        const sl_incident_day *x = &rep->days[i];
        sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
        day_str(d, x->day);
        W(4, "  %-10s  %-12s %-10s %34s", d, sl_stage_name(x->stage), rep->assets[x->amt.asset].chain_name, a);
    }
    if (rep->n_days > 4 * TEXT_ROWS) W(4, "  ... and %zu more days (--json has them all)", rep->n_days - 4 * TEXT_ROWS);
}

static void text_ends(FILE *f, const sl_incident_report *rep, bool held)
{
    size_t shown = 0, n = 0;
    char a[160], t[32];
    fputc('\n', f);
    W(4, held ? "Still held (unspent at the tip: where, how much, since when, UTC)"
              : "Endpoints (where the trace stopped, with their tags)");
    for (size_t i = 0; i < rep->n_ends; i++) {
        const sl_incident_end *x = &rep->ends[i];
        if ((x->reason == SL_END_HELD) != held) continue;
        n++;
        if (shown >= TEXT_ROWS) continue;
        shown++;
        sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
        sl_fmt_time(t, x->time);
        t[16] = 0; /* to the minute: the JSON has the second */
        if (held) W(6, "  %-44s %24s  %s", x->name, a, x->time ? t : "time unknown");
        else W(6, "  %-44s %24s  %s", x->name, a, sl_end_reason_name((sl_end_reason)x->reason));
        if (x->tag[0]) W(12, "    tag: %s%s%s%s", x->tag, x->category[0] ? " (" : "", x->category, x->category[0] ? ")" : "");
    }
    if (!n) W(4, "  none");
    else if (n > shown) W(4, "  ... and %zu more (--json has them all)", n - shown);
}

static void text_findings(FILE *f, const sl_incident_report *rep)
{
    char a[160], t[32];
    fputc('\n', f), W(4, "Findings (%zu)", rep->n_findings);
    for (size_t i = 0; i < rep->n_findings && i < 2 * TEXT_ROWS; i++) {
        const sl_incident_finding *x = &rep->findings[i];
        if (x->valued) sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
        else snprintf(a, sizeof a, "(no amount)");
        sl_fmt_time(t, x->f->time_first);
        W(6, "  [%s/%s] %s on %s, confidence %.2f, %s", sl_stage_name(x->f->stage), sl_det_kind_name(x->f->kind), a,
          rep->assets[x->amt.asset].chain_name, x->f->confidence, t);
        W(8, "    rule: %s", x->f->rule);
        if (x->f->evidence[0]) W(8, "    evidence: %s", x->f->evidence);
        for (size_t k = 0; k < x->f->n_addrs && k < 2; k++)
            W(8, "    address %s%s", x->addrs[k], k == 1 && x->f->n_addrs > 2 ? " ..." : "");
        if (x->f->n_addrs > 2) W(8, "    (%zu addresses in all)", x->f->n_addrs);
    }
    if (rep->n_findings > 2 * TEXT_ROWS) W(4, "  ... and %zu more (--json has them all)", rep->n_findings - 2 * TEXT_ROWS);
}

static void text_suspects(FILE *f, const sl_incident_report *rep)
{
    char a[160];
    fputc('\n', f), W(4, "Suspects: addresses the thief likely controls (%zu)", rep->n_suspects);
    for (size_t i = 0; i < rep->n_suspects && i < TEXT_ROWS; i++) {
        const sl_incident_suspect *x = &rep->suspects[i];
        sl_incident_amt_str(rep, &x->amt, a, sizeof a, true);
        W(6, "  %-44s %.2f  received %s", x->name, x->s->confidence, a);
        W(6, "    %s", x->s->reason);
        if (x->tag[0]) W(12, "    tag: %s%s%s%s", x->tag, x->category[0] ? " (" : "", x->category, x->category[0] ? ")" : "");
    }
    if (rep->n_suspects > TEXT_ROWS) W(4, "  ... and %zu more (--json has them all)", rep->n_suspects - TEXT_ROWS);
}

int sl_incident_report_text(FILE *f, const sl_incident_report *rep)
{
    char a[160];
    const sl_detect_params *p = &rep->params;
    text_record(f, rep);
    text_chains(f, rep);
    if (!rep->traced) {
        fputc('\n', f), W(4, "Not traced: %s", rep->why_not);
    } else {
        fputc('\n', f), W(4, "Traced from %s", rep->label);
        for (size_t i = 0; i < rep->n_loot; i++) {
            sl_incident_amt_str(rep, &rep->loot[i], a, sizeof a, true);
            W(14, "  %-11s %s on %s", i ? "" : "loot", a, rep->assets[rep->loot[i].asset].chain_name);
        }
        text_stages(f, rep);
        text_ends(f, rep, false);
        text_ends(f, rep, true);
        text_findings(f, rep);
        text_suspects(f, rep);
    }
    sl_fmt_time(a, rep->result.tip_time);
    fputc('\n', f), W(11, "Reproduce: sleuth %s; policy %s, max hops %" PRIu32 ", dormant %" PRIu32 " days, rapid %" PRIu32
          " minutes, fan-out >= %" PRIu32 ", suspects >= %g of the loot, as of %s%s%s",
      SLEUTH_VERSION, sl_policy_name(p->policy), p->max_hops, p->dormant_days, p->rapid_minutes, p->fanout_min,
      p->suspect_min_share, rep->traced ? a : "-", p->extra_links && p->extra_links->path[0] ? "; links " : "",
      p->extra_links ? p->extra_links->path : "");
    return ferror(f) ? SL_EIO : SL_OK;
}

/* ---------------- compare ---------------- */

enum { CMP_DATE, CMP_ROUTE, CMP_LOSS, CMP_METHOD, CMP_PATH, CMP_AFTER, CMP_N };
static const char *const CMP_FIELD[CMP_N] = {"date", "route in", "loss", "method", "laundering path", "aftermath"};

/* The value of row k for one report (owned by the caller's buffer). */
static void cmp_value(const sl_incident_report *rep, int k, char *out, size_t cap)
{
    const sl_incident *in = rep->inc;
    size_t n = 0;
    out[0] = 0;
    switch (k) {
    case CMP_DATE: snprintf(out, cap, "%s", or_dash(in->date)); break;
    case CMP_ROUTE: snprintf(out, cap, "%s", or_dash(in->route_in)); break;
    case CMP_METHOD: snprintf(out, cap, "%s", or_dash(in->method)); break;
    case CMP_AFTER: snprintf(out, cap, "%s", or_dash(in->aftermath)); break;
    case CMP_LOSS:
        for (size_t i = 0; i < in->nstolen && n < cap; i++)
            n += (size_t)snprintf(out + n, cap - n, "%s%s %s%s%s%s", i ? "; " : "", or_dash(in->stolen[i].amount),
                                  or_dash(in->stolen[i].asset), in->stolen[i].usd ? " (" : "",
                                  in->stolen[i].usd ? in->stolen[i].usd : "", in->stolen[i].usd ? " USD)" : "");
        if (!in->nstolen) snprintf(out, cap, "-");
        break;
    case CMP_PATH:
        if (rep->traced) {
            char p[2048];
            sl_incident_path(rep, p, sizeof p);
            snprintf(out, cap, "traced: %s", p[0] ? p : "no stage found");
        } else snprintf(out, cap, "not traced (%s); the record: %s", rep->why_not, or_dash(in->laundering));
        break;
    }
}

void *sl_incident_compare_json(const sl_incident_report *a, const sl_incident_report *b)
{
    cJSON *j = cJSON_CreateObject(), *ids, *rows;
    char *buf = sl_malloc(8192);
    if (!j || !buf) {
        cJSON_Delete(j), sl_free(buf);
        return NULL;
    }
    ids = cJSON_AddArrayToObject(j, "incidents");
    cJSON_AddItemToArray(ids, cJSON_CreateString(a->inc->id));
    cJSON_AddItemToArray(ids, cJSON_CreateString(b->inc->id));
    rows = cJSON_AddArrayToObject(j, "rows");
    for (int k = 0; rows && k < CMP_N; k++) {
        cJSON *r = cJSON_CreateObject(), *v;
        if (!r) continue;
        cJSON_AddStringToObject(r, "field", CMP_FIELD[k]);
        v = cJSON_AddArrayToObject(r, "values");
        cmp_value(a, k, buf, 8192), cJSON_AddItemToArray(v, cJSON_CreateString(buf));
        cmp_value(b, k, buf, 8192), cJSON_AddItemToArray(v, cJSON_CreateString(buf));
        cJSON_AddItemToArray(rows, r);
    }
    cJSON *st = cJSON_AddArrayToObject(j, "stages");
    const sl_incident_report *both[2] = {a, b};
    for (int i = 0; st && i < 2; i++) {
        cJSON *x = cJSON_CreateObject(), *l;
        if (!x) continue;
        cJSON_AddStringToObject(x, "incident", both[i]->inc->id);
        cJSON_AddBoolToObject(x, "traced", both[i]->traced);
        l = cJSON_AddArrayToObject(x, "stages");
        for (size_t s = 0; l && s < both[i]->n_stages; s++) {
            cJSON *y = amt_json(both[i], cJSON_CreateObject(), &both[i]->stages[s].amt);
            if (y) cJSON_AddStringToObject(y, "stage", sl_stage_name(both[i]->stages[s].stage)), cJSON_AddItemToArray(l, y);
        }
        cJSON_AddItemToArray(st, x);
    }
    sl_free(buf);
    return j;
}

/* Column width of each incident in the 100-column table: 15 + 2 * (41 + 1) + 1 = 100. */
#define CMP_COL 41

int sl_incident_compare_text(FILE *f, const sl_incident_report *a, const sl_incident_report *b)
{
    char *va = sl_malloc(8192), *vb = sl_malloc(8192);
    sl_buf wa = {0}, wb = {0};
    int rc = SL_OK;
    if (!va || !vb) {
        sl_free(va), sl_free(vb);
        return SL_ENOMEM;
    }
    fprintf(f, "%-15s %-*.*s %-.*s\n", "", CMP_COL, CMP_COL, a->inc->id, CMP_COL, b->inc->id);
    fprintf(f, "%-15s %-*.*s %-.*s\n", "", CMP_COL, CMP_COL, or_dash(a->inc->name), CMP_COL, or_dash(b->inc->name));
    for (int k = 0; !rc && k < CMP_N; k++) {
        const char *pa, *pb;
        bool first = true;
        cmp_value(a, k, va, 8192), cmp_value(b, k, vb, 8192);
        wa.len = wb.len = 0;
        if (sl_buf_wrap(&wa, "", 0, va, CMP_COL) || sl_buf_wrap(&wb, "", 0, vb, CMP_COL) ||
            sl_buf_append(&wa, "", 1) || sl_buf_append(&wb, "", 1)) {
            rc = SL_ENOMEM;
            break;
        }
        fputc('\n', f);
        pa = (const char *)wa.p, pb = (const char *)wb.p;
        while (*pa || *pb) {
            size_t na = strcspn(pa, "\n"), nb = strcspn(pb, "\n");
            /* pad by display width: a cell may hold UTF-8 */
            size_t wda = sl_text_width_n(pa, na);
            fprintf(f, "%-15s %.*s%*s %.*s\n", first ? CMP_FIELD[k] : "", (int)na, pa,
                    (int)(CMP_COL > wda ? CMP_COL - wda : 0), "", (int)nb, pb);
            first = false;
            pa += na + (pa[na] == '\n'), pb += nb + (pb[nb] == '\n');
        }
    }
    sl_buf_free(&wa), sl_buf_free(&wb);
    sl_free(va), sl_free(vb);
    if (!rc && ferror(f)) rc = SL_EIO;
    return rc;
}

/* ---------------- the driver: a store, its tags, the detectors ---------------- */

typedef struct store_namer {
    sl_store *s;
    const sl_flow_set *fs;
    sl_tags *t;
} store_namer;

static void sn_addr(void *ctx, sl_addr_ref a, char out[SL_FLOW_NAME_MAX])
{
    store_namer *n = ctx;
    if (sl_addr_format(n->s, a, out, SL_FLOW_NAME_MAX)) out[0] = 0;
}

static void sn_tx(void *ctx, sl_tx_ref t, char out[SL_FLOW_NAME_MAX])
{
    store_namer *n = ctx;
    const sl_flow_view *v = sl_flow_set_chain(n->fs, t.chain);
    out[0] = 0;
    if (v) v->m->tx_name(v, t.id, out);
}

static uint64_t sn_tx_time(void *ctx, sl_tx_ref t)
{
    store_namer *n = ctx;
    const sl_flow_view *v = sl_flow_set_chain(n->fs, t.chain);
    return v ? v->m->tx_time(v, t.id) : 0;
}

static void sn_asset(void *ctx, uint16_t chain, uint32_t asset, sl_flow_asset *out)
{
    store_namer *n = ctx;
    const sl_flow_view *v = sl_flow_set_chain(n->fs, chain);
    if (v) v->m->asset_info(v, asset, out);
}

static void sn_tag(void *ctx, sl_addr_ref a, char *label, char *category)
{
    store_namer *n = ctx;
    sl_tag_list l = {0};
    sl_error e = {0};
    const sl_tag *b;
    label[0] = category[0] = 0;
    if (!n->t || sl_tags_for_ref(n->t, n->s, a, &l, &e)) return;
    if ((b = sl_tags_best(l.v, l.n))) {
        snprintf(label, 160, "%s", b->label ? b->label : "");
        snprintf(category, 64, "%s", b->category ? b->category : b->abuse ? b->abuse : "");
    }
    sl_tag_list_free(&l);
}

static uint64_t raw_u64(const cJSON *o, const char *k, bool *known)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *known = v && v->valuestring && !cJSON_IsNull(v);
    return *known ? strtoull(v->valuestring, NULL, 10) : 0;
}

/* Whether the record's chain name r and a store chain (id, network) are the same chain: the
 * Bitcoin family's one slot holds bitcoin (any of its test networks) or litecoin. */
static bool chain_match(const char *r, uint16_t id, const char *network)
{
    const sl_chain_def *d = sl_chain_by_name(r);
    if (!d || d->id != id) return false;
    if (id != SL_CHAIN_BTC) return true;
    return (strncasecmp(r, "litecoin", 8) == 0) == (strncasecmp(network, "litecoin", 8) == 0);
}

/* The record's chains, then the store's others, with the store's block-time ranges. */
static int chains_of(sl_store *s, const sl_incident *inc, sl_incident_chain **out, size_t *n, sl_error *e)
{
    cJSON *info = NULL, *arr = NULL, *c;
    size_t cap = 0;
    sl_report_req rq = {0};
    *out = NULL, *n = 0;
    if (s) {
        sl_error ie = {0};
        if (sl_report_info_json(s, &info, &rq, &ie)) info = NULL;
        arr = cJSON_GetObjectItemCaseSensitive(info, "chains");
    }
    for (const char *p = inc->chains; p && *p;) {
        size_t k = strcspn(p, ",");
        sl_incident_chain x = {0};
        snprintf(x.name, sizeof x.name, "%.*s", (int)k, p);
        p += k + (p[k] == ',');
        x.in_record = true;
        x.state = sl_chain_by_name(x.name) ? SL_INC_CHAIN_ABSENT : SL_INC_CHAIN_UNKNOWN;
        if (sl_grow((void **)out, &cap, *n + 1, sizeof **out)) goto oom;
        (*out)[(*n)++] = x;
    }
    cJSON_ArrayForEach(c, arr) {
        bool k1, k2, kid;
        uint16_t id = (uint16_t)raw_u64(c, "chain_id", &kid);
        const cJSON *nw = cJSON_GetObjectItemCaseSensitive(c, "network"), *nm = cJSON_GetObjectItemCaseSensitive(c, "chain");
        const char *net = cJSON_IsString(nw) ? nw->valuestring : cJSON_IsString(nm) ? nm->valuestring : "";
        sl_incident_chain *x = NULL;
        for (size_t i = 0; i < *n; i++)
            if ((*out)[i].in_record && !(*out)[i].network[0] && chain_match((*out)[i].name, id, net)) x = &(*out)[i];
        if (!x) {
            const sl_chain_def *d = sl_chain_by_id(id);
            if (sl_grow((void **)out, &cap, *n + 1, sizeof **out)) goto oom;
            x = &(*out)[(*n)++];
            memset(x, 0, sizeof *x);
            snprintf(x->name, sizeof x->name, "%s", d ? d->name : net);
        }
        x->id = id, x->state = SL_INC_CHAIN_NO_SOURCE;
        snprintf(x->network, sizeof x->network, "%s", net);
        x->blocks = raw_u64(c, "blocks", &k1);
        x->time_min = raw_u64(c, "time_min", &k1);
        x->time_max = raw_u64(c, "time_max", &k2);
        x->times = k1 && k2;
    }
    cJSON_Delete(info);
    return SL_OK;
oom:
    cJSON_Delete(info);
    sl_free(*out), *out = NULL, *n = 0;
    return sl_err(e, SL_ENOMEM, "out of memory");
}

int sl_incident_report_run(sl_incident_report *rep, sl_store *s, const char *store_dir, const char *name,
                           const sl_detect_params *p, sl_error *e)
{
    sl_incident_list l = {0};
    const sl_incident *inc;
    char from[512], why[640] = "";
    sl_incident_chain *ch = NULL;
    size_t nch = 0;
    sl_flow_set *fs = NULL;
    sl_tags *t = NULL;
    sl_annot *a = NULL;
    sl_detect_input in = {0};
    sl_detect_result r = {0};
    sl_detect_params dp;
    bool traced = false;
    int rc;
    memset(rep, 0, sizeof *rep);
    if ((rc = sl_incident_lookup(store_dir, name, &l, &inc, from, sizeof from, e))) return rc;
    if ((rc = chains_of(s, inc, &ch, &nch, e))) goto done;
    if (p) dp = *p;
    else sl_detect_params_default(&dp);
    dp.store = s; /* clusters of services, the tip time */
    if (!s) {
        snprintf(why, sizeof why, "%s holds no blocks (sleuth ingest)", store_dir);
    } else if ((rc = sl_flow_set_open(&fs, s, e))) {
        goto done;
    } else {
        sl_error ie = {0};
        if (sl_tags_exists(store_dir) && sl_tags_open(&t, store_dir, SL_TAGS_RDONLY, &ie)) t = NULL;
        rc = sl_detect_input_incident(fs, t, inc->id, &in, &ie);
        if (rc == SL_ENOTFOUND || rc == SL_EUSAGE) {
            snprintf(why, sizeof why, "%s", ie.msg[0] ? ie.msg : "none of its transactions or addresses is in the store");
            rc = SL_OK;
        } else if (rc) {
            sl_err(e, rc, "%s", ie.msg);
            goto done;
        } else {
            sl_error ae = {0};
            if (sl_annot_open(&a, s, &ae)) a = NULL; /* no annotations: no crossings, the detectors say so */
            if ((rc = sl_detect_run(fs, a, t, &in, &dp, &r, e))) goto done;
            traced = true;
            for (size_t i = 0; i < in.n_src; i++)
                for (size_t k = 0; k < nch; k++)
                    if (ch[k].id == in.src[i].chain && ch[k].network[0]) ch[k].state = SL_INC_CHAIN_TRACED;
        }
    }
    store_namer sn = {s, fs, t};
    sl_incident_namer nm = {&sn, sn_addr, sn_tx, sn_tx_time, sn_asset, sn_tag};
    rc = sl_incident_report_build(rep, &l, inc, from, traced ? &in : NULL, traced ? &r : NULL, why, &dp, ch, nch,
                                  s ? &nm : NULL, e);
done:
    if (traced && rc) sl_detect_free(&r);
    sl_detect_input_free(&in);
    sl_incident_list_free(&l);
    sl_free(ch);
    if (a) sl_annot_close(a);
    sl_tags_close(t);
    if (fs) sl_flow_set_close(fs);
    return rc;
}
