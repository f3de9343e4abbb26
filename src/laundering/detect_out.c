/* detect_out.c — a detect result for programs (one JSON document: input, params, loot,
 * findings, suspect_addresses, crossings, tip_time; docs/JSON.md "detect") and for people
 * (a text report that fits 100 columns: the loot, the findings by time with their rule and
 * evidence, the suspects by confidence). Amounts in JSON are base-unit decimal strings
 * with the asset's symbol and a coin-unit text beside them.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <string.h>

#include "laundering/detect_int.h"
#include "sleuth/report.h"
#include "sleuth/util.h"

static const char *chain_name(const sl_flow_set *fs, uint16_t chain)
{
    const sl_flow_view *v = sl_flow_set_chain(fs, chain);
    return v ? v->name : "?";
}

static void addr_name(const sl_flow_set *fs, sl_addr_ref a, char out[SL_FLOW_NAME_MAX])
{
    const sl_flow_view *v = sl_flow_set_chain(fs, a.chain);
    if (v) v->m->addr_name(v, a.id, out);
    else snprintf(out, SL_FLOW_NAME_MAX, "?");
}

static void tx_name(const sl_flow_set *fs, sl_tx_ref t, char out[SL_FLOW_NAME_MAX])
{
    const sl_flow_view *v = sl_flow_set_chain(fs, t.chain);
    if (v) v->m->tx_name(v, t.id, out);
    else snprintf(out, SL_FLOW_NAME_MAX, "?");
}

static void amount_text(const sl_flow_set *fs, const sl_det_amount *a, char *out, size_t cap, char sym[48])
{
    const sl_flow_view *v = sl_flow_set_chain(fs, a->chain);
    sl_flow_asset as;
    if (!v) {
        snprintf(out, cap, "?");
        if (sym) snprintf(sym, 48, "?");
        return;
    }
    v->m->asset_info(v, a->asset, &as);
    sl_flow_amount_str(out, cap, &as, a->amount, true);
    if (sym) snprintf(sym, 48, "%s", as.symbol);
}

static cJSON *amount_json(const sl_flow_set *fs, const sl_det_amount *a)
{
    cJSON *j = cJSON_CreateObject();
    char dec[40], text[96], sym[48];
    sl_u128_dec(dec, a->amount);
    amount_text(fs, a, text, sizeof text, sym);
    cJSON_AddStringToObject(j, "chain", chain_name(fs, a->chain));
    cJSON_AddStringToObject(j, "asset", sym);
    cJSON_AddStringToObject(j, "amount", dec);
    cJSON_AddStringToObject(j, "text", text);
    return j;
}

/* {"chain": ..., key: name} */
static cJSON *ref_json(const sl_flow_set *fs, uint16_t chain, const char *key, const char *name)
{
    cJSON *y = cJSON_CreateObject();
    cJSON_AddStringToObject(y, "chain", chain_name(fs, chain));
    cJSON_AddStringToObject(y, key, name);
    return y;
}

static cJSON *time_json(uint64_t t)
{
    return t ? cJSON_CreateNumber((double)t) : cJSON_CreateNull();
}

void *sl_detect_json(const sl_detect_result *r, const sl_detect_input *in, const sl_flow_set *fs, sl_store *s)
{
    cJSON *j = cJSON_CreateObject(), *x, *arr;
    char name[SL_FLOW_NAME_MAX];
    (void)s;
    if (!j) return NULL;
    x = cJSON_AddObjectToObject(j, "input");
    cJSON_AddStringToObject(x, "label", in->label);
    arr = cJSON_AddArrayToObject(x, "sources");
    for (size_t i = 0; i < in->n_src; i++) {
        const sl_trace_source *src = &in->src[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "chain", chain_name(fs, src->chain));
        if (src->kind == SL_SOURCE_TX) {
            tx_name(fs, (sl_tx_ref){src->chain, src->tx}, name);
            cJSON_AddStringToObject(o, "tx", name);
            if (src->index >= 0) cJSON_AddNumberToObject(o, "index", (double)src->index);
        } else {
            addr_name(fs, (sl_addr_ref){src->chain, src->addr}, name);
            cJSON_AddStringToObject(o, "address", name);
        }
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(j, "loot");
    for (size_t i = 0; i < r->n_loot; i++) cJSON_AddItemToArray(arr, amount_json(fs, &r->loot[i]));
    arr = cJSON_AddArrayToObject(j, "findings");
    for (size_t i = 0; i < r->n_findings; i++) {
        const sl_finding *f = &r->findings[i];
        cJSON *o = cJSON_CreateObject(), *a;
        cJSON_AddStringToObject(o, "kind", sl_det_kind_name(f->kind));
        cJSON_AddStringToObject(o, "stage", sl_stage_name(f->stage));
        cJSON_AddNumberToObject(o, "confidence", (double)(int)(f->confidence * 1000 + 0.5) / 1000);
        cJSON_AddStringToObject(o, "rule", f->rule);
        cJSON_AddStringToObject(o, "evidence", f->evidence);
        a = cJSON_AddArrayToObject(o, "addresses");
        for (size_t k = 0; k < f->n_addrs; k++) {
            addr_name(fs, f->addrs[k], name);
            cJSON_AddItemToArray(a, ref_json(fs, f->addrs[k].chain, "address", name));
        }
        a = cJSON_AddArrayToObject(o, "txs");
        for (size_t k = 0; k < f->n_txs; k++) {
            tx_name(fs, f->txs[k], name);
            cJSON_AddItemToArray(a, ref_json(fs, f->txs[k].chain, "tx", name));
        }
        cJSON_AddItemToObject(o, "amount", amount_json(fs, &f->amount));
        cJSON_AddItemToObject(o, "time_first", time_json(f->time_first));
        cJSON_AddItemToObject(o, "time_last", time_json(f->time_last));
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(j, "suspect_addresses");
    for (size_t i = 0; i < r->n_suspects; i++) {
        const sl_suspect *p = &r->suspects[i];
        cJSON *o = cJSON_CreateObject();
        addr_name(fs, p->addr, name);
        cJSON_AddStringToObject(o, "chain", chain_name(fs, p->addr.chain));
        cJSON_AddStringToObject(o, "address", name);
        cJSON_AddNumberToObject(o, "confidence", (double)(int)(p->confidence * 1000 + 0.5) / 1000);
        cJSON_AddStringToObject(o, "reason", p->reason);
        cJSON_AddItemToObject(o, "received", amount_json(fs, &p->received));
        cJSON_AddItemToObject(o, "first_seen", time_json(p->first_seen));
        cJSON_AddItemToArray(arr, o);
    }
    x = cJSON_AddObjectToObject(j, "crossings");
    cJSON_AddNumberToObject(x, "txs_examined", (double)r->crossings.txs_asked);
    cJSON_AddNumberToObject(x, "found", (double)r->crossings.n);
    {
        size_t used = 0;
        for (size_t i = 0; i < r->n_traces; i++) used += r->traces[i].n_crossings;
        cJSON_AddNumberToObject(x, "crossed", (double)used);
    }
    cJSON_AddNumberToObject(x, "memos_seen", (double)r->crossings.memos_seen);
    cJSON_AddNumberToObject(x, "unparsed", (double)r->crossings.unparsed);
    arr = cJSON_AddArrayToObject(j, "traces");
    for (size_t i = 0; i < r->n_traces; i++) {
        const sl_trace_result *t = &r->traces[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "pools", (double)t->pools_visited);
        cJSON_AddNumberToObject(o, "edges", (double)t->n_edges);
        cJSON_AddNumberToObject(o, "ends", (double)t->n_ends);
        cJSON_AddNumberToObject(o, "crossed", (double)t->n_crossings);
        cJSON_AddBoolToObject(o, "truncated", t->truncated);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddNumberToObject(j, "rounds", r->rounds);
    cJSON_AddItemToObject(j, "tip_time", time_json(r->tip_time));
    cJSON_AddNumberToObject(j, "seconds", (double)(int64_t)(r->seconds * 1000) / 1000);
    return j;
}

/* One line per address, the chain's name first, at most max of them. */
static void list_addrs(FILE *f, const sl_flow_set *fs, const sl_finding *x, size_t max)
{
    char name[SL_FLOW_NAME_MAX];
    for (size_t k = 0; k < x->n_addrs && k < max; k++) {
        addr_name(fs, x->addrs[k], name);
        fprintf(f, "      %-9s %s\n", chain_name(fs, x->addrs[k].chain), name);
    }
    if (x->n_addrs > max) fprintf(f, "      ... and %zu more addresses (--json lists them all)\n", x->n_addrs - max);
}

int sl_detect_text(FILE *f, const sl_detect_result *r, const sl_detect_input *in, const sl_flow_set *fs, sl_store *s)
{
    char a[96], t1[32], t2[32], name[SL_FLOW_NAME_MAX];
    (void)s;
    sl_fmt_wrapf(f, 2, "detect: %s (%zu source%s, %zu trace%s, %.2f s)", in->label, in->n_src, in->n_src == 1 ? "" : "s",
                 r->n_traces, r->n_traces == 1 ? "" : "s", r->seconds);
    for (size_t i = 0; i < r->n_loot; i++) {
        amount_text(fs, &r->loot[i], a, sizeof a, NULL);
        fprintf(f, "  loot: %s on %s\n", a, chain_name(fs, r->loot[i].chain));
    }
    sl_fmt_time(t1, r->tip_time);
    size_t crossed = 0;
    for (size_t i = 0; i < r->n_traces; i++) crossed += r->traces[i].n_crossings;
    sl_fmt_wrapf(f, 4, "  as of %s; crossings found in the %" PRIu64 " txs the traces reached %zu, crossed by the loot %zu "
                       "(%u trace round%s)", t1, r->crossings.txs_asked, r->crossings.n, crossed, r->rounds,
                 r->rounds == 1 ? "" : "s");
    fprintf(f, "\nfindings (%zu, by time)\n", r->n_findings);
    for (size_t i = 0; i < r->n_findings; i++) {
        const sl_finding *x = &r->findings[i];
        amount_text(fs, &x->amount, a, sizeof a, NULL);
        sl_fmt_time(t1, x->time_first);
        sl_fmt_time(t2, x->time_last);
        fprintf(f, "  %-16s %-11s conf %.2f  %s\n", sl_det_kind_name(x->kind), sl_stage_name(x->stage), x->confidence, a);
        if (x->time_last != x->time_first) fprintf(f, "    %s .. %s\n", t1, t2);
        else fprintf(f, "    %s\n", t1);
        sl_fmt_wrapf(f, 6, "    rule: %s", x->rule);
        if (x->evidence[0]) sl_fmt_wrapf(f, 6, "    evidence: %s", x->evidence);
        list_addrs(f, fs, x, 6);
        for (size_t k = 0; k < x->n_txs && k < 3; k++) {
            const sl_flow_view *v = sl_flow_set_chain(fs, x->txs[k].chain);
            if (v) v->m->tx_name(v, x->txs[k].id, name);
            fprintf(f, "      tx %.90s\n", v ? name : "?");
        }
        if (x->n_txs > 3) fprintf(f, "      ... and %zu more txs\n", x->n_txs - 3);
    }
    fprintf(f, "\nsuspect addresses (%zu, by confidence): not services, >= the minimum share of the loot\n", r->n_suspects);
    for (size_t i = 0; i < r->n_suspects; i++) {
        const sl_suspect *p = &r->suspects[i];
        addr_name(fs, p->addr, name);
        fprintf(f, "  %.2f  %-9s %s\n", p->confidence, chain_name(fs, p->addr.chain), name);
        sl_fmt_wrapf(f, 8, "        %s", p->reason);
    }
    return ferror(f) ? SL_EIO : SL_OK;
}
