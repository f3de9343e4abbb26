/* handlers_analysis.c — the endpoints that compute: /v1/screen (one subject, or a batch),
 * /v1/traces (a trace is a resource: POST runs it with the server's node budget and the
 * request's deadline and keeps the result in memory under a random id; GET reads it
 * back), /v1/detect and /v1/incidents/{name}/report (the laundering detectors, with the
 * same budget and deadline on every trace they run).
 *
 * Trace resources: the last SRV_TRACES_KEPT traces are kept (the oldest is dropped first);
 * they do not survive a restart. Each holds its JSON document as text, so a GET is a copy.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "sleuth/annot.h"
#include "sleuth/incident.h"
#include "sleuth/laundering.h"
#include "sleuth/screen.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

/* ---------------- screening ---------------- */

/* ?direction= / "direction": in, out, both (NULL: both). 0 when unknown. */
static unsigned direction_of(const char *s)
{
    if (!s || !strcmp(s, "both")) return SL_SCREEN_BOTH;
    if (!strcmp(s, "in")) return SL_SCREEN_IN;
    if (!strcmp(s, "out")) return SL_SCREEN_OUT;
    return 0;
}

/* The thread's screener, or an error answer (false). */
static bool screener(sl_srv_ctx *c, sl_srv_resp *resp)
{
    sl_error e = {0};
    if (!c) return srv_error(resp, 503, "ESTORE", "no store handle on this thread"), false;
    if (srv_ctx_ready(c, &e)) return srv_sl_error(resp, &e), false;
    if (!c->sc) {
        if (c->open_err.code) return srv_sl_error(resp, &c->open_err), false;
        return srv_error(resp, 503, "EUNSUPPORTED", "screening is not available on this server"), false;
    }
    return true;
}

void srv_h_screen_one(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_screen_req rq = {0};
    sl_error e = {0};
    const char *text;
    char *copy;
    size_t len;
    uint64_t top;
    if (srv_param_u64(req, resp, "top", 0, 100, 0, &top)) return;
    rq.subject = req->segs[1];
    rq.chain = srv_param(req, "chain");
    rq.top = (uint32_t)top;
    if (!(rq.direction = direction_of(srv_param(req, "direction")))) {
        srv_error(resp, 400, "EUSAGE", "direction is in, out or both");
        return;
    }
    if (!screener(c, resp)) return;
    /* the screener's own text (no tree built and printed again): one copy into the answer */
    if (sl_screen_text(c->sc, &rq, &text, &len, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if (!(copy = sl_malloc(len + 1))) {
        srv_error(resp, 500, "ENOMEM", "out of memory");
        return;
    }
    memcpy(copy, text, len + 1);
    sl_free(resp->body);
    resp->status = 200, resp->body = copy, resp->len = len;
}

void srv_h_screen_batch(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(req->json, "subjects"), *it;
    const char *dir, *chain;
    sl_screen_req rq = {0};
    cJSON *j, *arr;
    if (!cJSON_IsArray(subjects) || !cJSON_GetArraySize(subjects)) {
        srv_error(resp, 422, "EUSAGE", "the body needs \"subjects\": a non-empty array of strings");
        return;
    }
    if (cJSON_GetArraySize(subjects) > (int)SRV_BATCH_MAX) {
        srv_error(resp, 413, "ELIMIT", "at most %u subjects per batch", SRV_BATCH_MAX);
        return;
    }
    cJSON_ArrayForEach(it, subjects) if (!cJSON_IsString(it)) {
        srv_error(resp, 422, "EUSAGE", "every subject must be a string");
        return;
    }
    if (srv_body_str(req, resp, "direction", false, &dir) || srv_body_str(req, resp, "chain", false, &chain)) return;
    if (!(rq.direction = direction_of(dir))) {
        srv_error(resp, 422, "EUSAGE", "direction is in, out or both");
        return;
    }
    rq.chain = chain;
    if (!screener(c, resp)) return;
    j = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(j, "results");
    cJSON_ArrayForEach(it, subjects) {
        sl_error e = {0};
        cJSON *one = NULL, *o = cJSON_CreateObject();
        rq.subject = it->valuestring;
        cJSON_AddStringToObject(o, "subject", it->valuestring);
        if (sl_screen_json(c->sc, &rq, &one, &e)) {
            cJSON *err = cJSON_AddObjectToObject(o, "error");
            cJSON_AddStringToObject(err, "code", sl_errname(e.code));
            cJSON_AddStringToObject(err, "message", e.msg);
            cJSON_AddNullToObject(o, "screen");
        } else {
            cJSON_AddItemToObject(o, "screen", one);
        }
        cJSON_AddItemToArray(arr, o);
        if (req->deadline_ns && srv_now_ns() > req->deadline_ns) break; /* 504 from the router */
    }
    srv_json(resp, 200, j);
}

/* ---------------- trace resources ---------------- */

typedef struct trace_entry {
    char id[33];
    char *text;      /* the resource's JSON document */
    size_t len;
} trace_entry;

struct srv_traces {
    pthread_mutex_t mu;
    trace_entry v[SRV_TRACES_KEPT];
    size_t next;     /* the slot the next one takes (the oldest when full) */
};

int srv_traces_open(srv_traces **t)
{
    if (!(*t = sl_calloc(1, sizeof **t))) return SL_ENOMEM;
    pthread_mutex_init(&(*t)->mu, NULL);
    return SL_OK;
}

void srv_traces_close(srv_traces *t)
{
    if (!t) return;
    for (size_t i = 0; i < SRV_TRACES_KEPT; i++) sl_free(t->v[i].text);
    pthread_mutex_destroy(&t->mu);
    sl_free(t);
}

/* Keeps text (taken over) under a new id (written to id). */
static void traces_put(srv_traces *t, char *text, size_t len, const char id[33])
{
    pthread_mutex_lock(&t->mu);
    trace_entry *x = &t->v[t->next];
    sl_free(x->text);
    memcpy(x->id, id, 33);
    x->text = text, x->len = len;
    t->next = (t->next + 1) % SRV_TRACES_KEPT;
    pthread_mutex_unlock(&t->mu);
}

/* A copy of the document of trace id, NULL when unknown (or out of memory: *oom). */
static char *traces_get(srv_traces *t, const char *id, size_t *len, bool *oom)
{
    char *out = NULL;
    *oom = false;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < SRV_TRACES_KEPT; i++)
        if (t->v[i].text && !strcmp(t->v[i].id, id)) {
            if ((out = sl_malloc(t->v[i].len + 1))) memcpy(out, t->v[i].text, t->v[i].len + 1), *len = t->v[i].len;
            else *oom = true;
            break;
        }
    pthread_mutex_unlock(&t->mu);
    return out;
}

int srv_trace_params(const sl_srv *srv, const cJSON *body, uint64_t deadline_ns, const char *where, sl_srv_resp *resp,
                     sl_trace_req *rq, bool *graph)
{
    static const struct { const char *key; int kind; } known[] = {
        {"tx", 1}, {"address", 1}, {"chain", 1}, {"asset", 1}, {"policy", 1}, {"direction", 1}, {"stop_at", 1},
        {"max_hops", 2}, {"min_amount", 2}, {"since", 2}, {"until", 2}, {"max_nodes", 2}, {"top", 2},
        {"no_crossings", 3}, {"graph", 3}, {"flows", 1}};
    const char *policy = NULL, *dir = NULL;
    sl_trace_params *p = &rq->params;
    const cJSON *m;
    if (!cJSON_IsObject(body)) return srv_error(resp, 422, "EUSAGE", "%smust be an object (a POST /v1/traces body)", where), -1;
    cJSON_ArrayForEach(m, body) {
        size_t k = 0;
        while (k < sizeof known / sizeof *known && strcmp(known[k].key, m->string)) k++;
        if (k == sizeof known / sizeof *known) return srv_error(resp, 422, "EUSAGE", "%sunknown member \"%.40s\"", where, m->string), -1;
        if (cJSON_IsNull(m)) continue;
        if (known[k].kind == 1 && !cJSON_IsString(m)) return srv_error(resp, 422, "EUSAGE", "%s\"%s\" must be a string", where, m->string), -1;
        if (known[k].kind == 3 && !cJSON_IsBool(m)) return srv_error(resp, 422, "EUSAGE", "%s\"%s\" must be true or false", where, m->string), -1;
        if (known[k].kind == 2 && (!cJSON_IsNumber(m) || m->valuedouble < 0 || m->valuedouble > 9007199254740991.0 ||
                                   m->valuedouble != (double)(uint64_t)m->valuedouble))
            return srv_error(resp, 422, "EUSAGE", "%s\"%s\" must be a whole number from 0 to 2^53", where, m->string), -1;
    }
#define STR(k) (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, k)) ? cJSON_GetObjectItemCaseSensitive(body, k)->valuestring : NULL)
#define NUM(k) (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(body, k)) ? (uint64_t)cJSON_GetObjectItemCaseSensitive(body, k)->valuedouble : 0)
    rq->tx = STR("tx"), rq->address = STR("address"), rq->chain = STR("chain"), rq->asset = STR("asset");
    policy = STR("policy"), dir = STR("direction"), p->stop_at = STR("stop_at");
    p->max_hops = (uint32_t)(NUM("max_hops") > UINT32_MAX ? UINT32_MAX : NUM("max_hops"));
    p->min_amount = NUM("min_amount"), p->since = NUM("since"), p->until = NUM("until");
    p->max_nodes = NUM("max_nodes");
    rq->top = NUM("top");
    rq->no_crossings = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "no_crossings"));
    if (graph) *graph = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "graph"));
#undef STR
#undef NUM
    if (!!rq->tx == !!rq->address) return srv_error(resp, 422, "EUSAGE", "%sgive exactly one source: \"tx\" or \"address\"", where), -1;
    {
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(body, "flows");
        if (cJSON_IsString(fl) && strcmp(fl->valuestring, "all") && strcmp(fl->valuestring, "crossings"))
            return srv_error(resp, 422, "EUSAGE", "%s\"flows\" is \"all\" (the default) or \"crossings\"", where), -1;
        rq->json_crossings_only = cJSON_IsString(fl) && !strcmp(fl->valuestring, "crossings");
    }
    p->policy = SL_POLICY_HAIRCUT;
    if (policy && sl_policy_parse(policy, &p->policy))
        return srv_error(resp, 422, "EUSAGE", "%sunknown policy '%.40s' (poison, haircut, fifo, lifo, tiho)", where, policy), -1;
    if (dir && strcmp(dir, "forward") && strcmp(dir, "backward"))
        return srv_error(resp, 422, "EUSAGE", "%sdirection is forward or backward", where), -1;
    p->backward = dir && !strcmp(dir, "backward");
    if (rq->top > 1000) rq->top = 1000;
    /* the server's budget: a request may ask for less, never more */
    if (!p->max_nodes || p->max_nodes > srv->o.max_nodes) p->max_nodes = srv->o.max_nodes;
    p->deadline_ns = deadline_ns;
    return 0;
}

/* What fn writes to a memory stream, as a malloc'd string; NULL when out of memory. */
static char *to_text(int (*fn)(const sl_trace_report *, FILE *, int, sl_error *), const sl_trace_report *rep, int fmt,
                     size_t *len, sl_error *e)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc;
    if (!f) return sl_err(e, SL_ENOMEM, "out of memory"), NULL;
    rc = fn(rep, f, fmt, e);
    if (fclose(f) || rc) {
        free(buf);
        if (!e->code) sl_err(e, SL_ENOMEM, "out of memory");
        return NULL;
    }
    *len = n;
    return buf;
}

static int json_of(const sl_trace_report *rep, FILE *f, int fmt, sl_error *e) { (void)fmt; return sl_report_trace_json(rep, f, e); }

int srv_trace_run(sl_srv_ctx *c, sl_trace_req *rq, bool graph, uint64_t deadline_ns, sl_srv_resp *resp, char **result,
                  size_t *rlen, char **gtext, size_t *glen)
{
    sl_trace_report rep;
    sl_error e = {0};
    int rc = -1;
    *result = *gtext = NULL;
    *rlen = *glen = 0;
    if (!c || srv_ctx_ready(c, &e)) return srv_sl_error(resp, &e), -1;
    if (sl_knowledge_trace(c->k, rq, c->srv->store_dir)) return srv_error(resp, 500, "ENOMEM", "out of memory"), -1;
    /* sl_report_trace_free also after a failed run */
    if (sl_report_trace_run(c->s, rq, &rep, &e)) {
        srv_sl_error(resp, &e);
        goto out;
    }
    if (rep.r.truncated && deadline_ns && srv_now_ns() > deadline_ns) {
        srv_error(resp, 504, "ETIMEOUT", "the trace did not finish within the request's deadline (--deadline-ms); "
                                         "ask for fewer hops or nodes");
        goto out;
    }
    if (!(*result = to_text(json_of, &rep, 0, rlen, &e)) ||
        (graph && !(*gtext = to_text(sl_report_trace_graph, &rep, SL_GRAPH_JSON, glen, &e)))) {
        srv_sl_error(resp, &e);
        free(*result);
        *result = NULL;
        goto out;
    }
    rc = 0;
out:
    sl_report_trace_free(&rep);
    return rc;
}

void srv_h_trace_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_trace_req rq;
    bool graph = false;
    char *result = NULL, *gtext = NULL, *doc = NULL, *params = NULL;
    size_t rlen = 0, glen = 0;
    uint8_t raw[16];
    char id[33];
    memset(&rq, 0, sizeof rq);
    if (srv_trace_params(c->srv, req->json, req->deadline_ns, "", resp, &rq, &graph) ||
        srv_trace_run(c, &rq, graph, req->deadline_ns, resp, &result, &rlen, &gtext, &glen))
        return;
    if (RAND_bytes(raw, sizeof raw) != 1) {
        srv_error(resp, 500, "EIO", "no random bytes for an id");
        goto out;
    }
    sl_hex_encode(id, raw, sizeof raw);
    {
        cJSON *pj = cJSON_Duplicate(req->json, 1);
        params = pj ? cJSON_PrintUnformatted(pj) : NULL;
        cJSON_Delete(pj);
    }
    size_t cap = rlen + glen + (params ? strlen(params) : 4) + 200;
    if (!params || !(doc = sl_malloc(cap))) {
        srv_error(resp, 500, "ENOMEM", "out of memory");
        goto out;
    }
    int n = snprintf(doc, cap, "{\"id\":\"%s\",\"url\":\"/v1/traces/%s\",\"created\":%lld,\"request\":%s,\"result\":%.*s,\"graph\":%.*s}",
                     id, id, (long long)time(NULL), params, (int)rlen, result, gtext ? (int)glen : 4, gtext ? gtext : "null");
    /* the kept copy and the answer */
    char *copy = sl_malloc((size_t)n + 1);
    if (!copy) {
        sl_free(doc);
        srv_error(resp, 500, "ENOMEM", "out of memory");
        goto out;
    }
    memcpy(copy, doc, (size_t)n + 1);
    traces_put(c->srv->traces, copy, (size_t)n, id);
    sl_free(resp->body);
    resp->status = 201, resp->body = doc, resp->len = (size_t)n;
    snprintf(resp->location, sizeof resp->location, "/v1/traces/%s", id);
out:
    free(result);
    free(gtext);
    sl_free(params);
}

void srv_h_trace_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    size_t len = 0;
    bool oom;
    char *doc = traces_get(c->srv->traces, req->segs[1], &len, &oom);
    if (!doc) {
        if (oom) srv_error(resp, 500, "ENOMEM", "out of memory");
        else srv_error(resp, 404, "ENOTFOUND", "no trace %.40s (traces are kept in memory: the last %u)", req->segs[1],
                       SRV_TRACES_KEPT);
        return;
    }
    sl_free(resp->body);
    resp->status = 200, resp->body = doc, resp->len = len;
}

/* ---------------- detect, incident reports ---------------- */

/* The detectors' options from the body or the query: policy, max_hops (and the server's
 * budget and the request's deadline). 0 or -1 after answering. */
static int detect_params(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, const char *policy, uint64_t hops,
                         sl_detect_params *p)
{
    sl_detect_params_default(p);
    if (policy && sl_policy_parse(policy, &p->policy))
        return srv_error(resp, 422, "EUSAGE", "unknown policy '%.40s' (poison, haircut, fifo, lifo, tiho)", policy), -1;
    if (hops) p->max_hops = (uint32_t)hops;
    p->max_nodes = c->srv->o.max_nodes;
    p->deadline_ns = req->deadline_ns;
    return 0;
}

void srv_h_detect(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *incident, *address, *tx, *chain, *kinds, *policy;
    const cJSON *hops = cJSON_GetObjectItemCaseSensitive(req->json, "max_hops"),
                *dormant = cJSON_GetObjectItemCaseSensitive(req->json, "dormant_days");
    sl_detect_params p;
    sl_detect_input in = {0};
    sl_detect_result r = {0};
    sl_flow_set *fs = NULL;
    sl_annot *a = NULL;
    sl_error e = {0};
    bool ran = false;
    if (srv_body_str(req, resp, "incident", false, &incident) || srv_body_str(req, resp, "address", false, &address) ||
        srv_body_str(req, resp, "tx", false, &tx) || srv_body_str(req, resp, "chain", false, &chain) ||
        srv_body_str(req, resp, "kinds", false, &kinds) || srv_body_str(req, resp, "policy", false, &policy))
        return;
    if (!!incident + !!address + !!tx != 1) {
        srv_error(resp, 422, "EUSAGE", "give exactly one start: \"incident\", \"address\" or \"tx\"");
        return;
    }
    if ((hops && (!cJSON_IsNumber(hops) || hops->valuedouble < 1 || hops->valuedouble > 100000)) ||
        (dormant && (!cJSON_IsNumber(dormant) || dormant->valuedouble < 1 || dormant->valuedouble > 36500))) {
        srv_error(resp, 422, "EUSAGE", "max_hops is 1 to 100000, dormant_days 1 to 36500");
        return;
    }
    if (detect_params(c, req, resp, policy, hops ? (uint64_t)hops->valuedouble : 0, &p)) return;
    if (dormant) p.dormant_days = (uint32_t)dormant->valuedouble;
    if (kinds && sl_det_kinds_parse(kinds, &p.kinds, &e)) {
        srv_error(resp, 422, "EUSAGE", "%s", e.msg);
        return;
    }
    p.no_crossings = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req->json, "no_crossings"));
    if (!c || srv_ctx_ready(c, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if (sl_flow_set_open(&fs, c->s, &e)) goto fail;
    if (sl_annot_open(&a, c->s, &e)) { /* no annotations: no memos or events, said in the findings */
        if (e.code == SL_ENOMEM) goto fail;
        a = NULL;
        sl_err_clear(&e);
    }
    if (incident) {
        if (!sl_knowledge_tags(c->k)) {
            sl_err(&e, SL_ENOTFOUND, "the store has no tag db: an incident's transactions come from its tags");
            goto fail;
        }
        if (sl_detect_input_incident(fs, sl_knowledge_tags(c->k), incident, &in, &e)) goto fail;
    } else if (address) {
        if (sl_detect_input_address(fs, chain, address, &in, &e)) goto fail;
    } else if (sl_detect_input_tx(fs, chain, tx, &in, &e)) {
        goto fail;
    }
    p.store = c->s;
    if (sl_detect_run(fs, a, sl_knowledge_tags(c->k), &in, &p, &r, &e)) goto fail;
    ran = true;
    {
        cJSON *j = sl_detect_json(&r, &in, fs, c->s);
        if (!j) {
            sl_err(&e, SL_ENOMEM, "out of memory");
            goto fail;
        }
        srv_json(resp, 200, j);
    }
    goto out;
fail:
    srv_sl_error(resp, &e);
out:
    if (ran) sl_detect_free(&r);
    sl_detect_input_free(&in);
    sl_annot_close(a);
    sl_flow_set_close(fs);
}

/* The CSP of the HTML report: its inline styles and data: images, nothing else (no script,
 * no request to anywhere), so the UI can open it in a tab for printing. */
static const char REPORT_CSP[] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

void srv_h_incident_report(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_incident_report rep;
    sl_detect_params p;
    sl_error e = {0};
    uint64_t hops;
    const char *format = srv_param(req, "format");
    bool html = format && !strcmp(format, "html");
    cJSON *j;
    if (format && !html && strcmp(format, "json")) {
        srv_error(resp, 400, "EUSAGE", "format is json or html");
        return;
    }
    if (srv_param_u64(req, resp, "max_hops", 0, 100000, 0, &hops) ||
        detect_params(c, req, resp, srv_param(req, "policy"), hops, &p))
        return;
    if (!c || srv_ctx_ready(c, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    memset(&rep, 0, sizeof rep);
    if (sl_incident_report_run(&rep, c->s, c->srv->store_dir, req->segs[1], &p, &e)) {
        srv_sl_error(resp, &e);
        sl_incident_report_free(&rep);
        return;
    }
    if (html) {
        char *buf = NULL, *copy;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        int rc = f ? sl_incident_report_html(f, &rep) : SL_ENOMEM;
        if (f && fclose(f)) rc = SL_ENOMEM;
        if (rc || !(copy = sl_malloc(n + 1))) {
            srv_error(resp, 500, rc == SL_EIO ? "EIO" : "ENOMEM", "the HTML report could not be written");
        } else {
            memcpy(copy, buf, n + 1);
            sl_free(resp->body);
            resp->status = 200, resp->body = copy, resp->len = n;
            resp->ctype = "text/html; charset=utf-8";
            resp->csp = REPORT_CSP;
        }
        free(buf);
    } else if (!(j = sl_incident_report_json(&rep))) {
        srv_error(resp, 500, "ENOMEM", "out of memory");
    } else {
        srv_json(resp, 200, j);
    }
    sl_incident_report_free(&rep);
}
