/* handlers_admin.c — what changes state besides tags: watchlists and alerts (sleuth/watch.h:
 * list for every token, add, remove and acknowledge for analysts) and API tokens (admin:
 * list, create — the secret is in that one answer only — and revoke).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "sleuth/util.h"
#include "sleuth/watch.h"

/* Opens the watch db (mode SL_WATCH_*), or answers the error (NULL). A reader finding no
 * watch db yet gets *none (an empty answer is right, not an error). */
static sl_watch *watch_open(sl_srv_ctx *c, sl_srv_resp *resp, int mode, bool *none)
{
    sl_watch *w = NULL;
    sl_error e = {0};
    *none = false;
    if (!sl_watch_open(&w, c->srv->store_dir, mode, &e)) return w;
    if (mode == SL_WATCH_RDONLY && e.code == SL_ENOTFOUND) *none = true;
    else srv_sl_error(resp, &e);
    return NULL;
}

void srv_h_watchlists_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    bool none;
    sl_watch *w = watch_open(c, resp, SL_WATCH_RDONLY, &none);
    sl_error e = {0};
    cJSON *j = NULL;
    (void)req;
    if (none) {
        j = cJSON_CreateObject();
        cJSON_AddArrayToObject(j, "watchlist");
        srv_json(resp, 200, j);
        return;
    }
    if (!w) return;
    if (sl_watchlist_json(w, &j, &e)) srv_sl_error(resp, &e);
    else srv_json(resp, 200, j);
    sl_watch_close(w);
}

void srv_h_watchlists_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_watch_spec spec;
    sl_error e = {0};
    cJSON *j = NULL;
    bool none;
    sl_watch *w;
    if (sl_watch_spec_from_json(req->json, &spec, &e)) {
        srv_error(resp, e.code == SL_EUSAGE ? 422 : (unsigned)sl_err_http(e.code), sl_errname(e.code), "%s", e.msg);
        return;
    }
    if (srv_ctx_ready(c, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if (!(w = watch_open(c, resp, SL_WATCH_WRITE, &none))) return;
    if (sl_watchlist_add(w, c->s, c->srv->store_dir, &spec, &j, &e)) {
        if (e.code == SL_EUSAGE) srv_error(resp, 422, "EUSAGE", "%s", e.msg);
        else srv_sl_error(resp, &e);
    } else {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        if (cJSON_IsRaw(id)) snprintf(resp->location, sizeof resp->location, "/v1/watchlists/%s", id->valuestring);
        else if (cJSON_IsNumber(id)) snprintf(resp->location, sizeof resp->location, "/v1/watchlists/%.0f", id->valuedouble);
        srv_json(resp, 201, j);
    }
    sl_watch_close(w);
}

void srv_h_watchlist_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    sl_error e = {0};
    bool none;
    sl_watch *w;
    if (!id || !(w = watch_open(c, resp, SL_WATCH_WRITE, &none))) return;
    if (sl_watchlist_remove(w, id, &e)) {
        srv_sl_error(resp, &e);
    } else {
        cJSON *j = cJSON_CreateObject();
        sl_json_u64(j, "removed", (uint64_t)id);
        srv_json(resp, 200, j);
    }
    sl_watch_close(w);
}

void srv_h_alerts(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    uint64_t since, since_time = 0, limit;
    const char *st = srv_param(req, "since_time");
    sl_error e = {0};
    cJSON *j = NULL;
    bool none;
    sl_watch *w;
    if (srv_param_u64(req, resp, "since", 0, INT64_MAX, 0, &since) ||
        srv_param_u64(req, resp, "limit", 1, 10000, 1000, &limit))
        return;
    /* as `sleuth alerts --since`: unix seconds, ISO-8601, or an age (24h, 7d) */
    if (st && !sl_time_parse(st, (uint64_t)time(NULL), true, &since_time)) {
        srv_error(resp, 400, "EUSAGE", "since_time '%.30s': not a time (unix seconds, 2026-12-08, "
                                       "2026-12-08T05:00:00Z, 24h, 7d)", st);
        return;
    }
    if (!(w = watch_open(c, resp, SL_WATCH_RDONLY, &none))) {
        if (!none) return;
        j = cJSON_CreateObject();
        cJSON_AddArrayToObject(j, "alerts");
        sl_json_u64(j, "next", since);
        srv_json(resp, 200, j);
        return;
    }
    if (sl_alerts_json(w, (int64_t)since, since_time, limit, &j, &e)) srv_sl_error(resp, &e);
    else srv_json(resp, 200, j);
    sl_watch_close(w);
}

void srv_h_alert_ack(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    sl_error e = {0};
    char by[64];
    bool none;
    sl_watch *w;
    if (!id || !(w = watch_open(c, resp, SL_WATCH_WRITE, &none))) return;
    snprintf(by, sizeof by, "token:%lld", (long long)req->tok.id);
    if (sl_alert_ack(w, id, by, &e)) {
        srv_sl_error(resp, &e);
    } else {
        cJSON *j = cJSON_CreateObject();
        sl_json_u64(j, "acknowledged", (uint64_t)id);
        cJSON_AddStringToObject(j, "by", by);
        srv_json(resp, 200, j);
    }
    sl_watch_close(w);
}

/* ---------------- tokens ---------------- */

void srv_h_tokens_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_error e = {0};
    cJSON *j = NULL;
    (void)req;
    if (sl_token_list(c->srv->store_dir, &j, &e)) srv_sl_error(resp, &e);
    else srv_json(resp, 200, j);
}

void srv_h_tokens_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *role, *label;
    const cJSON *m;
    char *secret = NULL;
    cJSON *j = NULL;
    sl_error e = {0};
    cJSON_ArrayForEach(m, req->json) if (strcmp(m->string, "role") && strcmp(m->string, "label")) {
        srv_error(resp, 422, "EUSAGE", "unknown member \"%.40s\" (role, label)", m->string);
        return;
    }
    if (srv_body_str(req, resp, "role", true, &role) || srv_body_str(req, resp, "label", false, &label)) return;
    if (sl_token_create(c->srv->store_dir, role, label, &secret, &j, &e)) {
        if (e.code == SL_EUSAGE) srv_error(resp, 422, "EUSAGE", "%s", e.msg);
        else srv_sl_error(resp, &e);
        return;
    }
    srv_auth_reload(c->srv->auth);
    cJSON_AddStringToObject(j, "token", secret);
    sl_free(secret);
    srv_json(resp, 201, j);
}

void srv_h_token_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    sl_error e = {0};
    if (!id) return;
    if (sl_token_revoke(c->srv->store_dir, id, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    srv_auth_reload(c->srv->auth);
    cJSON *j = cJSON_CreateObject();
    sl_json_u64(j, "revoked", (uint64_t)id);
    srv_json(resp, 200, j);
}
