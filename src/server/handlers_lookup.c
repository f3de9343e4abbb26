/* handlers_lookup.c — the look-up endpoints: /v1/health, /v1/info, /v1/search (one box:
 * an address, a transaction, a block hash or height, a cluster id or an incident name, on
 * every chain of the store), /v1/address, /v1/tx, /v1/block (the report layer's documents,
 * sleuth/report.h, with tags and clusters as `sleuth address --json` prints them) and
 * /v1/cluster/{chain}/{id} (a cluster, its best tag and its members, paged).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/flow.h"
#include "sleuth/knowledge.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"
#include "sleuth/version.h"

#define MAX_CHAINS 16

void srv_h_health(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    (void)c, (void)req;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "ok");
    cJSON_AddStringToObject(j, "version", SLEUTH_VERSION);
    srv_json(resp, 200, j);
}

/* The thread's handles, or an error answer (false). */
static bool ready(sl_srv_ctx *c, sl_srv_resp *resp)
{
    sl_error e = {0};
    if (!c) return srv_error(resp, 503, "ESTORE", "no store handle on this thread"), false;
    if (srv_ctx_ready(c, &e)) return srv_sl_error(resp, &e), false;
    return true;
}

void srv_h_info(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_report_req rq = {0};
    sl_error e = {0};
    cJSON *j = NULL, *srv;
    const sl_serve_opts *o = &c->srv->o;
    (void)req;
    if (!ready(c, resp)) return;
    rq.store_name = c->srv->store_dir;
    if (sl_report_info_json(c->s, &j, &rq, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    srv = cJSON_AddObjectToObject(j, "server");
    cJSON_AddStringToObject(srv, "version", SLEUTH_VERSION);
    cJSON_AddStringToObject(srv, "role", srv_role_name(req->tok.role));
    sl_json_u64(srv, "threads", o->threads);
    sl_json_u64(srv, "max_body", o->max_body);
    cJSON_AddNumberToObject(srv, "rate", o->rate);
    cJSON_AddNumberToObject(srv, "burst", o->burst);
    sl_json_u64(srv, "max_nodes", o->max_nodes);
    sl_json_u64(srv, "deadline_ms", o->deadline_ms);
    sl_json_u64(srv, "requests", atomic_load(&c->srv->requests));
    cJSON_AddNumberToObject(srv, "uptime_s", sl_now() - c->srv->started);
    cJSON_AddBoolToObject(srv, "screening", c->sc != NULL);
    srv_json(resp, 200, j);
}

/* ---------------- address, tx, block ---------------- */

typedef int (*report_json_fn)(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e);

/* A report of the id in the path's last segment: ?chain= (account chains), ?limit=,
 * ?offset= (an address's history). tagged: with the knowledge layer's tags and clusters. */
static void lookup(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, report_json_fn fn, bool tagged)
{
    sl_report_req rq = {0};
    sl_error e = {0};
    cJSON *j = NULL;
    if (srv_param_u64(req, resp, "limit", 0, 100000, SL_REPORT_LIMIT_DEFAULT, &rq.limit) ||
        srv_param_u64(req, resp, "offset", 0, UINT64_MAX / 2, 0, &rq.offset))
        return;
    rq.arg = req->segs[1];
    rq.chain = srv_param(req, "chain");
    rq.model = SL_REPORT_ANY;
    if (rq.chain && !sl_chain_by_name(rq.chain)) {
        srv_error(resp, 400, "EUSAGE", "unknown chain '%.40s'", rq.chain);
        return;
    }
    if (rq.chain && sl_chain_by_name(rq.chain)->model == SL_MODEL_UTXO) rq.chain = NULL, rq.model = SL_MODEL_UTXO;
    if (!ready(c, resp)) return;
    if (fn(c->s, &j, &rq, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if (tagged) sl_knowledge_json(c->k, j);
    srv_json(resp, 200, j);
}

void srv_h_address(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp) { lookup(c, req, resp, sl_report_address_json, true); }
void srv_h_tx(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp) { lookup(c, req, resp, sl_report_tx_json, true); }
void srv_h_block(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp) { lookup(c, req, resp, sl_report_block_json, false); }

/* ---------------- search ---------------- */

/* Appends {"kind", "chain", "id", "url"} to arr. */
static void hit(cJSON *arr, const char *kind, const char *chain, const char *id, const char *url)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind);
    sl_json_str_or_null(o, "chain", chain);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddItemToArray(arr, o);
}

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static bool safe_id(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '.' || *s == '_' ||
              *s == '-' || *s == ':'))
            return false;
    return true;
}

/* Whether report fn finds q on chain d (Bitcoin: model UTXO; account chains: that chain). */
static bool found_on(sl_srv_ctx *c, report_json_fn fn, const sl_chain_def *d, const char *q)
{
    sl_report_req rq = {0};
    sl_error e = {0};
    cJSON *j = NULL;
    rq.arg = q, rq.limit = 1;
    if (d->model == SL_MODEL_UTXO) rq.model = SL_MODEL_UTXO;
    else rq.model = SL_MODEL_ACCOUNT, rq.chain = d->name;
    bool ok = fn(c->s, &j, &rq, &e) == SL_OK;
    cJSON_Delete(j);
    return ok;
}

void srv_h_search(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *q = srv_param(req, "q");
    const sl_chain_def *defs[MAX_CHAINS];
    char url[400], buf[200];
    cJSON *j, *arr;
    size_t n;
    if (!q || !*q) {
        srv_error(resp, 400, "EUSAGE", "give the query: /v1/search?q=...");
        return;
    }
    if (strlen(q) > 150 || !safe_id(q)) { /* nothing any chain names has other characters */
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "query", q);
        cJSON_AddArrayToObject(j, "results");
        srv_json(resp, 200, j);
        return;
    }
    if (!ready(c, resp)) return;
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "query", q);
    arr = cJSON_AddArrayToObject(j, "results");
    if ((n = sl_store_chains(c->s, defs, MAX_CHAINS)) > MAX_CHAINS) n = MAX_CHAINS;
    for (size_t i = 0; i < n; i++) {
        const char *cn = defs[i]->name;
        sl_addr_ref a;
        sl_error e = {0};
        if (all_digits(q)) { /* a height, or a cluster id */
            uint64_t v = strtoull(q, NULL, 10), size;
            const struct sl_cluster *cl = sl_knowledge_cluster(c->k, defs[i]->id);
            if (found_on(c, sl_report_block_json, defs[i], q)) {
                snprintf(url, sizeof url, "/v1/block/%s?chain=%s", q, cn);
                hit(arr, "block", cn, q, url);
            }
            if (cl && v <= UINT32_MAX && sl_cluster_exists(cl, (uint32_t)v, &size)) {
                snprintf(url, sizeof url, "/v1/cluster/%s/%s", cn, q);
                hit(arr, "cluster", cn, q, url);
            }
            continue;
        }
        if (found_on(c, sl_report_tx_json, defs[i], q)) {
            snprintf(url, sizeof url, "/v1/tx/%s?chain=%s", q, cn);
            hit(arr, "tx", cn, q, url);
        }
        if ((strlen(q) == 64 || (strlen(q) == 66 && q[0] == '0' && q[1] == 'x')) && found_on(c, sl_report_block_json, defs[i], q)) {
            snprintf(url, sizeof url, "/v1/block/%s?chain=%s", q, cn);
            hit(arr, "block", cn, q, url);
        }
        if (sl_addr_resolve(c->s, cn, q, &a, &e) == SL_OK) {
            const struct sl_cluster *cl = sl_knowledge_cluster(c->k, defs[i]->id);
            uint32_t id;
            snprintf(url, sizeof url, "/v1/address/%s?chain=%s", q, cn);
            hit(arr, "address", cn, q, url);
            if (cl && sl_cluster_of(cl, a, &id, NULL) == SL_OK) {
                snprintf(buf, sizeof buf, "%u", id);
                snprintf(url, sizeof url, "/v1/cluster/%s/%u", cn, id);
                hit(arr, "cluster", cn, buf, url);
            }
        }
    }
    {
        sl_incident_list l = {0};
        const sl_incident *inc;
        char from[512];
        sl_error e = {0};
        if (sl_incident_lookup(c->srv->store_dir, q, &l, &inc, from, sizeof from, &e) == SL_OK) {
            snprintf(url, sizeof url, "/v1/incidents/%s", inc->id);
            hit(arr, "incident", NULL, inc->id, url);
            sl_incident_list_free(&l);
        }
    }
    srv_json(resp, 200, j);
}

/* ---------------- clusters ---------------- */

/* The cluster the path names (/v1/cluster/{chain}/{id or address}): *d, *cl, *id, *size;
 * false after answering the error. */
static bool cluster_of_path(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, const sl_chain_def **d,
                            const struct sl_cluster **cl, uint32_t *id, uint64_t *size)
{
    *d = sl_chain_by_name(!strcmp(req->segs[1], "eth") ? "ethereum" : req->segs[1]);
    if (!*d) return srv_error(resp, 400, "EUSAGE", "unknown chain '%.40s'", req->segs[1]), false;
    if (!ready(c, resp)) return false;
    if (!(*cl = sl_knowledge_cluster(c->k, (*d)->id)))
        return srv_error(resp, 404, "ENOTFOUND", "no cluster build of %s yet (sleuth cluster build)", (*d)->name), false;
    if (all_digits(req->segs[2])) {
        uint64_t v = strtoull(req->segs[2], NULL, 10);
        if (v > UINT32_MAX || !sl_cluster_exists(*cl, (uint32_t)v, size))
            return srv_error(resp, 404, "ENOTFOUND", "%.40s is not a cluster id of %s (a cluster's id is its smallest "
                             "address id)", req->segs[2], (*d)->name), false;
        *id = (uint32_t)v;
    } else {
        sl_addr_ref a;
        sl_error e = {0};
        if (sl_addr_resolve(c->s, (*d)->name, req->segs[2], &a, &e) || sl_cluster_of(*cl, a, id, size)) {
            if (!e.code) sl_err(&e, SL_ENOTFOUND, "%.100s is not covered by the clustering yet", req->segs[2]);
            return srv_sl_error(resp, &e), false;
        }
    }
    return true;
}

void srv_h_cluster(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const sl_chain_def *d;
    const struct sl_cluster *cl;
    const struct sl_cluster_tagger *tg;
    uint64_t offset, limit, size = 0;
    uint32_t id, *mem;
    size_t got;
    sl_cluster_tag tag;
    cJSON *j, *m;
    char first[100];
    if (srv_param_u64(req, resp, "limit", 0, 10000, 100, &limit) || srv_param_u64(req, resp, "offset", 0, UINT32_MAX, 0, &offset))
        return;
    if (!cluster_of_path(c, req, resp, &d, &cl, &id, &size)) return;
    if (!(mem = sl_malloc((limit ? limit : 1) * sizeof *mem))) {
        srv_error(resp, 500, "ENOMEM", "out of memory");
        return;
    }
    got = sl_cluster_members(cl, id, offset, mem, limit);
    tg = sl_knowledge_cluster_tagger(c->k, d->model == SL_MODEL_ACCOUNT ? d->name : "btc");
    if (sl_addr_format(c->s, (sl_addr_ref){d->id, id}, first, sizeof first)) snprintf(first, sizeof first, "#%u", id);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "chain", d->name);
    sl_json_u64(j, "id", id);
    cJSON_AddStringToObject(j, "id_address", first);
    sl_json_u64(j, "size", size);
    sl_json_cluster_tag(j, "tag", tg && sl_cluster_best_tag(cl, id, tg, 0, &tag, NULL) == 1 ? &tag : NULL);
    sl_json_u64(j, "offset", offset);
    sl_json_u64(j, "limit", limit);
    m = cJSON_AddArrayToObject(j, "members");
    for (size_t i = 0; i < got; i++) {
        char a[100], url[200];
        cJSON *o = cJSON_CreateObject();
        if (sl_addr_format(c->s, (sl_addr_ref){d->id, mem[i]}, a, sizeof a)) snprintf(a, sizeof a, "#%u", mem[i]);
        sl_json_u64(o, "id", mem[i]);
        cJSON_AddStringToObject(o, "address", a);
        snprintf(url, sizeof url, "/v1/address/%s?chain=%s", a, d->name);
        cJSON_AddStringToObject(o, "url", url);
        cJSON_AddItemToArray(m, o);
    }
    if (offset + got < size) {
        char next[200];
        snprintf(next, sizeof next, "/v1/cluster/%s/%u?offset=%llu&limit=%llu", d->name, id,
                 (unsigned long long)(offset + got), (unsigned long long)limit);
        cJSON_AddStringToObject(j, "next", next);
    } else {
        cJSON_AddNullToObject(j, "next");
    }
    sl_free(mem);
    srv_json(resp, 200, j);
}

/* GET /v1/cluster/{chain}/{id}/why?address=A: the merges that put A in the cluster — the
 * evidence path from the cluster's id address to A (`sleuth cluster why`). */
void srv_h_cluster_why(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *addr = srv_param(req, "address");
    const sl_chain_def *d;
    const struct sl_cluster *cl;
    const sl_flow_view *v;
    sl_flow_set *fs = NULL;
    sl_merge_edge *path = NULL;
    sl_addr_ref a, root;
    sl_error e = {0};
    uint64_t size;
    uint32_t id, aid;
    size_t n = 0;
    cJSON *j, *arr;
    if (!addr) {
        srv_error(resp, 400, "EUSAGE", "give ?address= (a member of the cluster)");
        return;
    }
    if (!cluster_of_path(c, req, resp, &d, &cl, &id, &size)) return;
    if (sl_addr_resolve(c->s, d->name, addr, &a, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if (sl_cluster_of(cl, a, &aid, NULL) || aid != id) {
        srv_error(resp, 404, "ENOTFOUND", "%.100s is not in %s cluster %u", addr, d->name, id);
        return;
    }
    root = (sl_addr_ref){d->id, id};
    if (sl_flow_set_open(&fs, c->s, &e) || sl_cluster_why(cl, root, a, &path, &n, &e)) {
        srv_sl_error(resp, &e);
        sl_flow_set_close(fs);
        return;
    }
    v = sl_flow_set_chain(fs, d->id);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "chain", d->name);
    sl_json_u64(j, "cluster", id);
    cJSON_AddStringToObject(j, "address", addr);
    sl_json_u64(j, "hops", n);
    arr = cJSON_AddArrayToObject(j, "path");
    for (size_t i = 0; i < n; i++) {
        char x[SL_FLOW_NAME_MAX] = "?", y[SL_FLOW_NAME_MAX] = "?", tx[SL_FLOW_NAME_MAX] = "?";
        const char *h = sl_heuristic_name((sl_heuristic)path[i].heuristic);
        cJSON *o = cJSON_CreateObject();
        if (v) {
            v->m->addr_name(v, path[i].a.id, x);
            v->m->addr_name(v, path[i].b.id, y);
            v->m->tx_name(v, path[i].tx.id, tx);
        }
        cJSON_AddStringToObject(o, "from", x);
        cJSON_AddStringToObject(o, "to", y);
        cJSON_AddStringToObject(o, "tx", tx);
        sl_json_u64_or_null(o, "time", v ? v->m->tx_time(v, path[i].tx.id) : 0, v && v->m->tx_time(v, path[i].tx.id));
        cJSON_AddStringToObject(o, "heuristic", h ? h : "?");
        sl_json_u64(o, "confidence", path[i].confidence);
        cJSON_AddItemToArray(arr, o);
    }
    sl_free(path);
    sl_flow_set_close(fs);
    srv_json(resp, 200, j);
}
