/* link.c (report) — how `sleuth link` shows its result (sleuth/link.h): as text for a person
 * (each connection on its own lines with the payments that are its evidence, at most 100
 * columns) and as one JSON document (docs/JSON.md, "link"). The analysis is
 * src/knowledge/link.c; this file only renders. */
#include <stdio.h>
#include <string.h>

#include "report_int.h"
#include "sleuth/link.h"

/* Everything a rendered payment says, as strings. */
typedef struct flow_txt {
    char chain[24], tx[SL_FLOW_NAME_MAX], from[SL_FLOW_NAME_MAX], to[SL_FLOW_NAME_MAX];
    char amount[140], digits[40], when[32];
    uint32_t index;
} flow_txt;

static void addr_txt(sl_store *s, uint16_t chain, uint32_t id, char out[SL_FLOW_NAME_MAX])
{
    if (!id || sl_addr_format(s, (sl_addr_ref){chain, id}, out, SL_FLOW_NAME_MAX)) snprintf(out, SL_FLOW_NAME_MAX, "-");
}

static void flow_text(sl_store *s, const sl_flow_set *fs, const sl_link_flow *f, flow_txt *t)
{
    const sl_flow_view *v = sl_flow_set_chain(fs, f->chain);
    sl_flow_asset as;
    memset(t, 0, sizeof *t);
    snprintf(t->chain, sizeof t->chain, "%s", v ? v->name : "?");
    if (v) {
        v->m->tx_name(v, f->tx, t->tx);
        v->m->asset_info(v, f->asset, &as);
        sl_flow_amount_str(t->amount, sizeof t->amount, &as, f->amount, true);
        t->index = v->m->flow_index(v, f->flow);
    }
    addr_txt(s, f->chain, f->from, t->from);
    addr_txt(s, f->chain, f->to, t->to);
    sl_u128_dec(t->digits, f->amount);
    sl_fmt_time(t->when, f->time);
}

/* A payment in three lines: who paid whom; how much, when; the tx. */
static void flow_line(FILE *out, sl_store *s, const sl_flow_set *fs, const char *lead, const sl_link_flow *f)
{
    flow_txt t;
    flow_text(s, fs, f, &t);
    sl_fmt_wrapf(out, 8, "%s%s -> %s", lead, t.from, t.to);
    sl_fmt_wrapf(out, 8, "%*s%s on %s, %s", (int)strlen(lead), "", t.amount, t.chain, t.when);
    sl_fmt_wrapf(out, 8, "%*stx %s", (int)strlen(lead), "", t.tx);
}

/* One merge edge of a cluster's evidence, as strings. */
typedef struct merge_txt {
    char a[SL_FLOW_NAME_MAX], b[SL_FLOW_NAME_MAX], tx[SL_FLOW_NAME_MAX];
    const char *heuristic;
    unsigned confidence;
} merge_txt;

static void merge_text(sl_store *s, const sl_flow_set *fs, const sl_merge_edge *m, merge_txt *t)
{
    const sl_flow_view *v = sl_flow_set_chain(fs, m->tx.chain);
    const char *h = sl_heuristic_name((sl_heuristic)m->heuristic);
    addr_txt(s, m->a.chain, m->a.id, t->a);
    addr_txt(s, m->b.chain, m->b.id, t->b);
    if (v) v->m->tx_name(v, m->tx.id, t->tx);
    else snprintf(t->tx, sizeof t->tx, "-");
    t->heuristic = h ? h : "?";
    t->confidence = m->confidence;
}

static const char *member_addr(const sl_link_set *set, size_t i) { return set->v[i].addr; }

int sl_link_report_text(FILE *out, sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                        const sl_link_result *r)
{
    sl_fmt_wrapf(out, 6, "link: %s (%zu address%s, %zu in the store)", a->name, a->n, a->n == 1 ? "" : "es",
                 r->a_in_store);
    sl_fmt_wrapf(out, 6, " and: %s (%zu address%s, %zu in the store)", b->name, b->n, b->n == 1 ? "" : "es",
                 r->b_in_store);
    fprintf(out, "\ncommon addresses: %zu\n", r->n_common);
    for (size_t i = 0; i < r->n_common; i++) {
        const sl_link_common *c = &r->common[i];
        sl_fmt_wrapf(out, 6, "  %s", member_addr(a, c->a));
        sl_fmt_wrapf(out, 6, "    in %s: %s", a->name, a->v[c->a].why);
        sl_fmt_wrapf(out, 6, "    in %s: %s", b->name, b->v[c->b].why);
    }
    fprintf(out, "\ncommon clusters: %zu\n", r->n_clusters);
    for (size_t i = 0; i < r->n_clusters; i++) {
        const sl_link_cluster *c = &r->clusters[i];
        sl_fmt_wrapf(out, 6, "  cluster %llu (%llu addresses) holds both", (unsigned long long)c->cluster,
                     (unsigned long long)c->size);
        sl_fmt_wrapf(out, 6, "    a: %s", member_addr(a, c->a));
        sl_fmt_wrapf(out, 6, "    b: %s", member_addr(b, c->b));
        for (size_t k = 0; k < c->n_path; k++) {
            merge_txt m;
            merge_text(s, fs, &c->path[k], &m);
            sl_fmt_wrapf(out, 8, "    %zu. %s ~ %s", k + 1, m.a, m.b);
            sl_fmt_wrapf(out, 8, "       %s, confidence %u", m.heuristic, m.confidence);
            sl_fmt_wrapf(out, 8, "       tx %s", m.tx);
        }
    }
    fprintf(out, "\ncommon counterparties: %zu\n", r->n_cparties);
    for (size_t i = 0; i < r->n_cparties; i++) {
        const sl_link_cparty *c = &r->cparties[i];
        char who[SL_FLOW_NAME_MAX];
        addr_txt(s, c->addr.chain, c->addr.id, who);
        fprintf(out, "  %s\n", who);
        flow_line(out, s, fs, "    a: ", &c->fa);
        flow_line(out, s, fs, "    b: ", &c->fb);
    }
    fprintf(out, "\npaths of at most %u payments: %zu%s\n", r->max_hops, r->n_paths,
            r->path_limit ? " (the search stopped at its node limit: there may be more)" : "");
    for (size_t i = 0; i < r->n_paths; i++) {
        const sl_link_path *p = &r->paths[i];
        const sl_link_set *fr = p->a_to_b ? a : b, *to = p->a_to_b ? b : a;
        sl_fmt_wrapf(out, 6, "  %s -> %s, %u payment%s:", fr->name, to->name, p->hops, p->hops == 1 ? "" : "s");
        sl_fmt_wrapf(out, 6, "    from %s", member_addr(fr, p->from));
        sl_fmt_wrapf(out, 6, "    to   %s", member_addr(to, p->to));
        for (unsigned h = 0; h < p->hops; h++) {
            char lead[24];
            snprintf(lead, sizeof lead, "    %u. ", h + 1);
            flow_line(out, s, fs, lead, &p->flows[h]);
        }
    }
    if (r->truncated)
        fprintf(out, "\nnote: %zu address%s had more payments than were read (--max-flows)\n", r->truncated,
                r->truncated == 1 ? "" : "es");
    return ferror(out) ? SL_EIO : SL_OK;
}

static cJSON *flow_json(sl_store *s, const sl_flow_set *fs, const sl_link_flow *f)
{
    flow_txt t;
    cJSON *o = cJSON_CreateObject();
    flow_text(s, fs, f, &t);
    cJSON_AddStringToObject(o, "chain", t.chain);
    cJSON_AddStringToObject(o, "tx", t.tx);
    sl_json_u64_or_null(o, "index", t.index, t.index != UINT32_MAX);
    cJSON_AddStringToObject(o, "from", t.from);
    cJSON_AddStringToObject(o, "to", t.to);
    cJSON_AddStringToObject(o, "amount", t.digits);
    cJSON_AddStringToObject(o, "amount_label", t.amount);
    sl_json_u64_or_null(o, "time", f->time, f->time != 0);
    return o;
}

static cJSON *member_json(const sl_link_set *set, size_t i)
{
    cJSON *o = cJSON_CreateObject();
    const sl_chain_def *d = sl_chain_by_id(set->v[i].chain);
    cJSON_AddStringToObject(o, "chain", d ? d->name : "?");
    cJSON_AddStringToObject(o, "address", set->v[i].addr);
    cJSON_AddStringToObject(o, "why", set->v[i].why);
    cJSON_AddBoolToObject(o, "in_store", set->v[i].in_store);
    return o;
}

static cJSON *set_json(const sl_link_set *set, size_t in_store)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", set->name);
    sl_json_u64(o, "addresses", set->n);
    sl_json_u64(o, "in_store", in_store);
    return o;
}

cJSON *sl_link_report_json(sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                           const sl_link_result *r)
{
    cJSON *j = cJSON_CreateObject(), *arr;
    cJSON_AddItemToObject(j, "a", set_json(a, r->a_in_store));
    cJSON_AddItemToObject(j, "b", set_json(b, r->b_in_store));
    sl_json_u64(j, "max_hops", r->max_hops);
    cJSON_AddItemToObject(j, "common_addresses", arr = cJSON_CreateArray());
    for (size_t i = 0; i < r->n_common; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "a", member_json(a, r->common[i].a));
        cJSON_AddItemToObject(o, "b", member_json(b, r->common[i].b));
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(j, "common_clusters", arr = cJSON_CreateArray());
    for (size_t i = 0; i < r->n_clusters; i++) {
        const sl_link_cluster *c = &r->clusters[i];
        cJSON *o = cJSON_CreateObject();
        sl_json_u64(o, "cluster", c->cluster);
        sl_json_u64(o, "size", c->size);
        cJSON_AddItemToObject(o, "a", member_json(a, c->a));
        cJSON_AddItemToObject(o, "b", member_json(b, c->b));
        cJSON *ev = cJSON_AddArrayToObject(o, "evidence");
        for (size_t k = 0; k < c->n_path; k++) {
            merge_txt m;
            cJSON *x = cJSON_CreateObject();
            merge_text(s, fs, &c->path[k], &m);
            cJSON_AddStringToObject(x, "a", m.a);
            cJSON_AddStringToObject(x, "b", m.b);
            cJSON_AddStringToObject(x, "heuristic", m.heuristic);
            sl_json_u64(x, "confidence", m.confidence);
            cJSON_AddStringToObject(x, "tx", m.tx);
            cJSON_AddItemToArray(ev, x);
        }
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(j, "common_counterparties", arr = cJSON_CreateArray());
    for (size_t i = 0; i < r->n_cparties; i++) {
        const sl_link_cparty *c = &r->cparties[i];
        char who[SL_FLOW_NAME_MAX];
        cJSON *o = cJSON_CreateObject();
        const sl_chain_def *d = sl_chain_by_id(c->addr.chain);
        addr_txt(s, c->addr.chain, c->addr.id, who);
        cJSON_AddStringToObject(o, "chain", d ? d->name : "?");
        cJSON_AddStringToObject(o, "address", who);
        cJSON_AddItemToObject(o, "a_member", member_json(a, c->a));
        cJSON_AddItemToObject(o, "a_flow", flow_json(s, fs, &c->fa));
        cJSON_AddItemToObject(o, "b_member", member_json(b, c->b));
        cJSON_AddItemToObject(o, "b_flow", flow_json(s, fs, &c->fb));
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(j, "paths", arr = cJSON_CreateArray());
    for (size_t i = 0; i < r->n_paths; i++) {
        const sl_link_path *p = &r->paths[i];
        cJSON *o = cJSON_CreateObject(), *fl;
        cJSON_AddStringToObject(o, "direction", p->a_to_b ? "a_to_b" : "b_to_a");
        cJSON_AddItemToObject(o, "from", member_json(p->a_to_b ? a : b, p->from));
        cJSON_AddItemToObject(o, "to", member_json(p->a_to_b ? b : a, p->to));
        sl_json_u64(o, "hops", p->hops);
        cJSON_AddItemToObject(o, "flows", fl = cJSON_CreateArray());
        for (unsigned h = 0; h < p->hops; h++) cJSON_AddItemToArray(fl, flow_json(s, fs, &p->flows[h]));
        cJSON_AddItemToArray(arr, o);
    }
    sl_json_u64(j, "truncated_addresses", r->truncated);
    cJSON_AddBoolToObject(j, "path_limit_reached", r->path_limit);
    return j;
}
