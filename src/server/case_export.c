/* case_export.c — GET /v1/cases/{id}/export[?format=json|csv]: a saved case with the
 * evidence behind every edge, for a report or a court file. The case's trace is run again
 * with its graph (as POST /v1/traces with "graph": true), then every entry of
 * state.expanded (the nodes the investigator expanded in the UI) as a one-hop trace with
 * the case's policy and direction; the graphs are merged (a node once by its id, an edge
 * once by source, target, tx and output or flow index; the first trace that brought it
 * names it). Each node gets the tag db's tags of its address (or of its transaction),
 * whether the investigator hid it and their note; each edge gets its provenance — the chain
 * data behind it (chain, tx, output or flow, time) and the rule that put it in the graph:
 * the taint policy's share of a payment, or the sentence of the cross-chain link it
 * crossed (a THORChain swap matched by its OUT: memo, a DEX swap event, a declared link
 * with its file and line) — and which trace found it ("base" or "expanded:<index>"), with
 * the investigator's note on it. JSON is one document (docs/API.md "Cases"); CSV is one
 * row per edge (RFC 4180, cells that a spreadsheet would read as a formula neutralised).
 *
 * It runs on a worker (a slow query) with the request's deadline over all its traces, on
 * the worker's own store snapshot; the chains' tips of that snapshot are in the answer, so
 * an export says what the store held when it was made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "sleuth/hashtab.h"
#include "sleuth/json.h"
#include "sleuth/report.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

/* The merged graph. */
typedef struct merged {
    cJSON *nodes, *edges;     /* arrays of the answer */
    cJSON **nodev;            /* the node objects by index (for look-ups by id) */
    size_t n_nodes, cap_nodes;
    sl_ht node_ids, edge_keys;
    const char *policy;       /* the case's policy name, for the rule sentences */
} merged;

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A JSON integer (number or Raw digits) or decimal string as text; "" when null or absent. */
static const char *num_text(const cJSON *o, const char *k, char buf[48])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(v)) return snprintf(buf, 48, "%.0f", v->valuedouble), buf;
    if (cJSON_IsString(v) || cJSON_IsRaw(v)) return v->valuestring;
    return "";
}

/* An edge's key: source>target>tx:index (index: its output, else its flow, else empty). */
static void edge_key(const cJSON *x, sl_buf *b)
{
    char v[48], f[48];
    const char *vout = num_text(x, "vout", v), *flow = num_text(x, "flow", f);
    const char *s = str_of(x, "source"), *t = str_of(x, "target"), *tx = str_of(x, "tx");
    b->len = 0;
    sl_buf_printf(b, "%s>%s>%s:%s", s ? s : "", t ? t : "", tx ? tx : "", vout[0] ? vout : flow);
}

static const cJSON *node_by_id(const merged *m, const char *id)
{
    uint64_t i;
    return id && sl_ht_get(&m->node_ids, id, strlen(id), &i) ? m->nodev[i] : NULL;
}

/* How a node is written in a sentence: "tx T", an address, or its id. */
static void node_words(const cJSON *n, const char *id, char *out, size_t cap)
{
    const char *type = n ? str_of(n, "type") : NULL, *chain = n ? str_of(n, "chain") : NULL, *a = id ? id : "?";
    size_t cl = chain ? strlen(chain) : 0;
    if (cl && !strncmp(a, chain, cl) && a[cl] == ':') a += cl + 1;
    if (type && !strcmp(type, "tx")) snprintf(out, cap, "tx %s", a);
    else if (type && !strcmp(type, "address") && !strncmp(a, "a:out:", 6)) snprintf(out, cap, "output %s", a + 6);
    else if (type && !strcmp(type, "origin")) snprintf(out, cap, "%s", str_of(n, "label") ? str_of(n, "label") : a);
    else snprintf(out, cap, "%s", !strncmp(a, "a:", 2) ? a + 2 : a);
}

/* The rule that put edge x in the graph, in one sentence. */
static void rule_of(const merged *m, const cJSON *x, char *out, size_t cap)
{
    const char *link = str_of(x, "link"), *tx = str_of(x, "tx"), *label = str_of(x, "label");
    const char *src = str_of(x, "source"), *dst = str_of(x, "target");
    const cJSON *a = node_by_id(m, src), *b = node_by_id(m, dst);
    const char *ta = a ? str_of(a, "type") : NULL, *tb = b ? str_of(b, "type") : NULL;
    char v[48], f[48], amt[48], ws[400], wd[400], where[64] = "";
    const char *vout = num_text(x, "vout", v), *flow = num_text(x, "flow", f);
    if (link) {
        snprintf(out, cap, "%s", link);
        return;
    }
    if (!label) label = num_text(x, "amount", amt);
    if (vout[0]) snprintf(where, sizeof where, "output %s", vout);
    else if (flow[0]) snprintf(where, sizeof where, "flow %s", flow);
    node_words(a, src, ws, sizeof ws);
    node_words(b, dst, wd, sizeof wd);
    if (ta && tb && !strcmp(ta, "tx") && !strcmp(tb, "tx"))
        snprintf(out, cap, "chain data: %s of tx %s is spent by %s; taint share %s by the %s policy", where[0] ? where : "an output",
                 tx ? tx : "?", wd, label, m->policy);
    else if (ta && !strcmp(ta, "tx") && tb && !strcmp(tb, "address"))
        snprintf(out, cap, "chain data: tx %s paid %s (%s); taint share %s by the %s policy", tx ? tx : "?", wd,
                 where[0] ? where : "no output index", label, m->policy);
    else if (ta && tb && !strcmp(ta, "account") && !strcmp(tb, "account"))
        snprintf(out, cap, "chain data: tx %s paid %s from %s (%s); taint share %s by the %s policy", tx ? tx : "?", wd, ws,
                 where[0] ? where : "no flow index", label, m->policy);
    else
        snprintf(out, cap, "chain data: tx %s joins %s to %s%s%s%s; taint share %s by the %s policy", tx ? tx : "?", ws, wd,
                 where[0] ? " (" : "", where, where[0] ? ")" : "", label, m->policy);
}

/* Moves the nodes and edges of graph (a --graph JSON document) into m, skipping those
 * already there; the new edges get their provenance naming trace `which`. */
static int merge(merged *m, cJSON *graph, const char *which)
{
    cJSON *nodes = cJSON_GetObjectItemCaseSensitive(graph, "nodes"), *edges = cJSON_GetObjectItemCaseSensitive(graph, "edges");
    cJSON *x, *next;
    sl_buf key = {0};
    int rc = SL_OK;
    for (x = nodes ? nodes->child : NULL; x && !rc; x = next) {
        const char *id = str_of(x, "id");
        uint64_t *slot;
        bool added;
        next = x->next;
        if (!id) continue;
        if (sl_ht_upsert(&m->node_ids, id, strlen(id), m->n_nodes, &slot, &added) ||
            sl_grow((void **)&m->nodev, &m->cap_nodes, m->n_nodes + 1, sizeof *m->nodev))
            rc = SL_ENOMEM;
        else if (added) {
            cJSON_DetachItemViaPointer(nodes, x);
            cJSON_AddItemToArray(m->nodes, x);
            m->nodev[m->n_nodes++] = x;
        }
    }
    for (x = edges ? edges->child : NULL; x && !rc; x = next) {
        uint64_t *slot;
        bool added;
        next = x->next;
        edge_key(x, &key);
        if (!key.p || sl_ht_upsert(&m->edge_keys, key.p, key.len, 0, &slot, &added)) {
            rc = SL_ENOMEM;
            break;
        }
        if (!added) continue;
        cJSON_DetachItemViaPointer(edges, x);
        cJSON_AddItemToArray(m->edges, x);
        cJSON_AddStringToObject(x, "trace", which); /* moved into the provenance below */
    }
    sl_buf_free(&key);
    return rc;
}

/* Runs one trace (body: a POST /v1/traces body) with its graph and merges it; *result
 * (may be NULL) gets its JSON document. 0, or -1 after answering; what names the trace in
 * an error ("" for the base one). */
static int run_merge(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, const cJSON *body, merged *m, const char *which,
                     const char *what, cJSON **result)
{
    sl_trace_req rq;
    sl_srv_resp tmp;
    char *rtext = NULL, *gtext = NULL;
    size_t rlen, glen;
    cJSON *graph = NULL;
    int rc = -1;
    memset(&rq, 0, sizeof rq);
    memset(&tmp, 0, sizeof tmp);
    if (srv_trace_params(c->srv, body, req->deadline_ns, "", &tmp, &rq, NULL) ||
        srv_trace_run(c, &rq, true, req->deadline_ns, &tmp, &rtext, &rlen, &gtext, &glen)) {
        /* the error of the trace, saying which one */
        cJSON *ej = tmp.body ? cJSON_Parse(tmp.body) : NULL;
        const cJSON *eo = cJSON_GetObjectItemCaseSensitive(ej, "error");
        srv_error(resp, tmp.status ? tmp.status : 500, str_of(eo, "code") ? str_of(eo, "code") : "EIO", "%s%s",
                  what, str_of(eo, "message") ? str_of(eo, "message") : "the trace failed");
        cJSON_Delete(ej);
        sl_srv_resp_free(&tmp);
        return -1;
    }
    sl_srv_resp_free(&tmp);
    if (!(graph = cJSON_ParseWithLength(gtext, glen)) || (result && !(*result = cJSON_ParseWithLength(rtext, rlen))) ||
        merge(m, graph, which))
        srv_error(resp, 500, "ENOMEM", "out of memory");
    else
        rc = 0;
    cJSON_Delete(graph);
    free(rtext);
    free(gtext);
    return rc;
}

/* {chain: {"height", "hash"}} of every chain of the snapshot c reads. */
static cJSON *tips_json(sl_srv_ctx *c, sl_error *e)
{
    sl_report_req rq = {0};
    cJSON *info = NULL, *out, *ch;
    rq.store_name = c->srv->store_dir;
    if (sl_report_info_json(c->s, &info, &rq, e)) return NULL;
    out = cJSON_CreateObject();
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(info, "chains")) {
        const char *name = str_of(ch, "chain"), *model = str_of(ch, "model");
        char h[48];
        const char *height = num_text(ch, "height_max", h);
        cJSON *o, *b = NULL;
        sl_report_req br = {0};
        sl_error be = {0};
        if (!name || !height[0]) continue;
        o = cJSON_AddObjectToObject(out, name);
        cJSON_AddRawToObject(o, "height", height);
        br.arg = height;
        br.model = model && !strcmp(model, "account") ? SL_MODEL_ACCOUNT : SL_MODEL_UTXO;
        br.chain = br.model == SL_MODEL_ACCOUNT ? name : NULL;
        if (!sl_report_block_json(c->s, &b, &br, &be) && str_of(b, "hash")) cJSON_AddStringToObject(o, "hash", str_of(b, "hash"));
        else cJSON_AddNullToObject(o, "hash");
        cJSON_Delete(b);
    }
    cJSON_Delete(info);
    return out;
}

/* The tags of node n (its address, or its transaction), as {label, category, source,
 * file, confidence}; an id that is no address of its chain has none. 0 or -1 with e. */
static int node_tags(sl_tags *t, const cJSON *n, cJSON *arr, sl_error *e)
{
    const char *type = str_of(n, "type"), *chain = str_of(n, "chain"), *id = str_of(n, "id");
    size_t cl = chain ? strlen(chain) : 0;
    sl_tag_list l = {0};
    int rc;
    if (!t || !type || !chain || !id) return 0;
    if (!strncmp(id, chain, cl) && id[cl] == ':') id += cl + 1;
    if (!strcmp(type, "tx")) {
        rc = sl_tags_for_tx(t, chain, id, &l, e);
    } else if ((!strcmp(type, "address") && !strncmp(id, "a:", 2) && strncmp(id, "a:out:", 6) && strncmp(id, "a:in:", 5)) ||
               !strcmp(type, "account")) {
        rc = sl_tags_for_address(t, chain, !strncmp(id, "a:", 2) ? id + 2 : id, &l, e);
    } else {
        return 0;
    }
    if (rc == SL_EUSAGE) { /* not an address the tag db knows how to key: no tags */
        sl_err_clear(e);
        return 0;
    }
    if (rc) return -1;
    for (size_t i = 0; i < l.n; i++) {
        cJSON *o = cJSON_CreateObject();
        sl_json_str_or_null(o, "label", l.v[i].label);
        sl_json_str_or_null(o, "category", l.v[i].category);
        sl_json_str_or_null(o, "source", l.v[i].source);
        sl_json_str_or_null(o, "file", l.v[i].file);
        sl_json_str_or_null(o, "confidence", l.v[i].confidence);
        cJSON_AddItemToArray(arr, o);
    }
    sl_tag_list_free(&l);
    return 0;
}

/* The members of an object by name, or the strings of an array by value: found in O(1)
 * (cJSON's look-up is linear, and a case may note or hide thousands of nodes). */
typedef struct keyed {
    sl_ht ht;
    const cJSON **v;
    size_t n, cap;
} keyed;

static int keyed_of(keyed *k, const cJSON *o)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, o) {
        const char *name = cJSON_IsArray(o) ? (cJSON_IsString(x) ? x->valuestring : NULL) : x->string;
        if (!name) continue;
        if (sl_grow((void **)&k->v, &k->cap, k->n + 1, sizeof *k->v) || sl_ht_set(&k->ht, name, strlen(name), k->n))
            return SL_ENOMEM;
        k->v[k->n++] = x;
    }
    return SL_OK;
}

static const cJSON *keyed_get(const keyed *k, const char *name, size_t n)
{
    uint64_t i;
    return sl_ht_get(&k->ht, name, n, &i) ? k->v[i] : NULL;
}

static void keyed_free(keyed *k)
{
    sl_ht_free(&k->ht);
    sl_free(k->v);
}

/* Adds tags, hidden and note to every node; provenance and note to every edge. */
static int decorate(sl_srv_ctx *c, merged *m, const cJSON *state, sl_error *e)
{
    const cJSON *notes = cJSON_GetObjectItemCaseSensitive(state, "notes");
    sl_tags *t = sl_knowledge_tags(c->k);
    keyed hid = {0}, nn = {0}, en = {0};
    sl_buf key = {0};
    cJSON *x;
    int rc = SL_OK;
    if (keyed_of(&hid, cJSON_GetObjectItemCaseSensitive(state, "hidden")) ||
        keyed_of(&nn, cJSON_GetObjectItemCaseSensitive(notes, "nodes")) || keyed_of(&en, cJSON_GetObjectItemCaseSensitive(notes, "edges")))
        rc = SL_ENOMEM;
    for (size_t i = 0; i < m->n_nodes && !rc; i++) {
        const char *id;
        const cJSON *note;
        x = m->nodev[i];
        id = str_of(x, "id");
        if (node_tags(t, x, cJSON_AddArrayToObject(x, "tags"), e)) {
            rc = e->code ? e->code : SL_ENOMEM;
            break;
        }
        cJSON_AddBoolToObject(x, "hidden", keyed_get(&hid, id, strlen(id)) != NULL);
        note = keyed_get(&nn, id, strlen(id));
        if (cJSON_IsString(note)) cJSON_AddStringToObject(x, "note", note->valuestring);
        else cJSON_AddNullToObject(x, "note");
    }
    cJSON_ArrayForEach(x, m->edges) {
        char rule[1400];
        cJSON *p, *which;
        const cJSON *note;
        if (rc) break;
        rule_of(m, x, rule, sizeof rule);
        which = cJSON_DetachItemFromObjectCaseSensitive(x, "trace");
        p = cJSON_AddObjectToObject(x, "provenance");
        sl_json_str_or_null(p, "chain", str_of(x, "chain"));
        sl_json_str_or_null(p, "tx", str_of(x, "tx"));
        for (int k = 0; k < 3; k++) { /* integers or null, as the edge has them */
            static const char *const keys[] = {"vout", "flow", "time"};
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, keys[k]);
            cJSON_AddItemToObject(p, keys[k], v && !cJSON_IsNull(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
        }
        cJSON_AddStringToObject(p, "rule", rule);
        if (which) cJSON_AddItemToObject(p, "trace", which);
        edge_key(x, &key);
        if (!key.p) {
            rc = SL_ENOMEM;
            break;
        }
        note = keyed_get(&en, (const char *)key.p, key.len);
        if (cJSON_IsString(note)) cJSON_AddStringToObject(x, "note", note->valuestring);
        else cJSON_AddNullToObject(x, "note");
    }
    keyed_free(&hid), keyed_free(&nn), keyed_free(&en);
    sl_buf_free(&key);
    if (rc && !e->code) sl_err(e, rc, "out of memory");
    return rc;
}

/* One CSV cell: a cell a spreadsheet would take for a formula (= + - @, or a tab or CR
 * first) gets a ' before it; a cell with a comma, a quote, CR or LF is quoted, its quotes
 * doubled (RFC 4180). */
static void csv_cell(sl_buf *b, const char *s, bool last)
{
    bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) sl_buf_printf(b, "\"");
    if (formula) sl_buf_printf(b, "'");
    for (const char *p = s; *p; p++) {
        const char *q = quote ? strchr(p, '"') : NULL;
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (sl_buf_append(b, p, n)) return;
        p += n;
        if (!*p) break;
        sl_buf_printf(b, "\"\"");
    }
    if (quote) sl_buf_printf(b, "\"");
    sl_buf_printf(b, last ? "\r\n" : ",");
}

static char *csv_of(const cJSON *edges, size_t *len)
{
    sl_buf b = {0};
    const cJSON *x;
    sl_buf_printf(&b, "source,target,chain,asset,amount,tx,index,time,rule,note\r\n");
    cJSON_ArrayForEach(x, edges) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "provenance");
        char a[48], v[48], f[48], t[48];
        const char *vout = num_text(x, "vout", v);
        csv_cell(&b, str_of(x, "source") ? str_of(x, "source") : "", false);
        csv_cell(&b, str_of(x, "target") ? str_of(x, "target") : "", false);
        csv_cell(&b, str_of(x, "chain") ? str_of(x, "chain") : "", false);
        csv_cell(&b, str_of(x, "asset") ? str_of(x, "asset") : "", false);
        csv_cell(&b, num_text(x, "amount", a), false);
        csv_cell(&b, str_of(x, "tx") ? str_of(x, "tx") : "", false);
        csv_cell(&b, vout[0] ? vout : num_text(x, "flow", f), false);
        csv_cell(&b, num_text(x, "time", t), false);
        csv_cell(&b, str_of(p, "rule") ? str_of(p, "rule") : "", false);
        csv_cell(&b, str_of(x, "note") ? str_of(x, "note") : "", true);
    }
    if (sl_buf_append(&b, "", 1)) {
        sl_buf_free(&b);
        return NULL;
    }
    *len = b.len - 1;
    return (char *)b.p;
}

void srv_h_case_export(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *format = srv_param(req, "format");
    int64_t id = srv_path_id(req, resp, 1);
    bool csv = format && !strcmp(format, "csv");
    srv_case k;
    sl_error e = {0};
    merged m;
    cJSON *full = NULL, *result = NULL, *out = NULL, *tips;
    const cJSON *trace, *state, *x;
    const char *policy, *dir;
    int i = 0;
    if (format && !csv && strcmp(format, "json")) {
        srv_error(resp, 400, "EUSAGE", "format is json or csv");
        return;
    }
    if (!id || srv_case_load(c->srv, id, &k, resp)) return;
    memset(&m, 0, sizeof m);
    if (!(full = srv_case_json(&k, true, &e))) {
        srv_case_free(&k);
        srv_sl_error(resp, &e);
        return;
    }
    srv_case_free(&k);
    trace = cJSON_GetObjectItemCaseSensitive(full, "trace");
    state = cJSON_GetObjectItemCaseSensitive(full, "state");
    policy = str_of(trace, "policy");
    dir = str_of(trace, "direction");
    m.policy = policy ? policy : "haircut";
    m.nodes = cJSON_CreateArray();
    m.edges = cJSON_CreateArray();
    {   /* the case's trace, with its graph */
        cJSON *body = cJSON_Duplicate(trace, 1);
        if (!body) goto oom;
        cJSON_DeleteItemFromObjectCaseSensitive(body, "graph");
        int rc = run_merge(c, req, resp, body, &m, "base", "the case's trace: ", &result);
        cJSON_Delete(body);
        if (rc) goto out;
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(state, "expanded")) {
        /* a node the investigator expanded: one hop from it, with the case's policy and direction */
        char which[32], what[300];
        const char *tx = str_of(x, "tx"), *addr = str_of(x, "address"), *chain = str_of(x, "chain");
        cJSON *body = cJSON_CreateObject();
        int rc;
        if (!body) goto oom;
        if (tx) cJSON_AddStringToObject(body, "tx", tx);
        if (addr) cJSON_AddStringToObject(body, "address", addr);
        if (chain) cJSON_AddStringToObject(body, "chain", chain);
        if (policy) cJSON_AddStringToObject(body, "policy", policy);
        if (dir) cJSON_AddStringToObject(body, "direction", dir);
        cJSON_AddNumberToObject(body, "max_hops", 1);
        snprintf(which, sizeof which, "expanded:%d", i);
        snprintf(what, sizeof what, "state.expanded[%d] (%.200s): ", i, tx ? tx : addr ? addr : "?");
        rc = run_merge(c, req, resp, body, &m, which, what, NULL);
        cJSON_Delete(body);
        if (rc) goto out;
        i++;
    }
    if (decorate(c, &m, state, &e)) {
        srv_sl_error(resp, &e);
        goto out;
    }
    snprintf(resp->disposition, sizeof resp->disposition, "attachment; filename=\"case-%lld.%s\"", (long long)id,
             csv ? "csv" : "json");
    if (csv) {
        size_t len = 0;
        char *text = csv_of(m.edges, &len);
        if (!text) goto oom;
        sl_free(resp->body);
        resp->status = 200, resp->body = text, resp->len = len;
        resp->ctype = "text/csv; charset=utf-8";
        goto out;
    }
    if (!(tips = tips_json(c, &e))) {
        srv_sl_error(resp, &e);
        goto out;
    }
    out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "case", full);
    full = NULL;
    sl_json_u64(out, "exported", (uint64_t)time(NULL));
    cJSON_AddItemToObject(out, "tips", tips);
    {
        cJSON *cons = cJSON_DetachItemFromObjectCaseSensitive(result, "conservation");
        if (cons) cJSON_AddItemToObject(out, "conservation", cons);
        else cJSON_AddNullToObject(out, "conservation");
    }
    cJSON_AddItemToObject(out, "nodes", m.nodes);
    cJSON_AddItemToObject(out, "edges", m.edges);
    m.nodes = m.edges = NULL;
    {   /* srv_json clears what says "not JSON": the file name goes back on after it */
        char disp[sizeof resp->disposition];
        memcpy(disp, resp->disposition, sizeof disp);
        srv_json(resp, 200, out);
        if (resp->status == 200) memcpy(resp->disposition, disp, sizeof disp);
    }
    goto out;
oom:
    srv_error(resp, 500, "ENOMEM", "out of memory");
out:
    cJSON_Delete(full);
    cJSON_Delete(result);
    cJSON_Delete(m.nodes);
    cJSON_Delete(m.edges);
    sl_free(m.nodev);
    sl_ht_free(&m.node_ids);
    sl_ht_free(&m.edge_keys);
}
