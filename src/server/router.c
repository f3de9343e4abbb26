/* router.c — from one request to its handler: the request target is split and
 * percent-decoded here (each path segment on its own, so "%2F" never makes a new segment;
 * an encoded NUL, a bad escape, "." or ".." segments, an empty segment are a 400), the
 * route table finds the endpoint (404 for an unknown path, 405 with Allow for a known path
 * and another method), then the bearer token (401 without a valid one), the role (403),
 * the token's rate (429), the body's type and JSON (415, 400: the strict parser of
 * sleuth/json.h, so a repeated key is refused). Nothing here touches a socket: http.c
 * hands the request in and sends what comes out, and fuzz/fuzz_http.c calls it directly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/server_int.h"
#include "sleuth/json.h"
#include "sleuth/util.h"

enum { BODY_NONE = 0, BODY_JSON = 1 };

typedef struct route {
    const char *method;
    const char *pattern; /* segments after /v1/, "*" matches one */
    srv_handler h;
    int role;
    int where;
    int body;
} route;

static const route ROUTES[] = {
    {"GET", "health", srv_h_health, SRV_ROLE_NONE, SRV_FAST, BODY_NONE},
    {"GET", "info", srv_h_info, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "search", srv_h_search, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "address/*", srv_h_address, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "tx/*", srv_h_tx, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "block/*", srv_h_block, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "cluster/*/*", srv_h_cluster, SRV_ROLE_READ, SRV_SLOW, BODY_NONE},
    {"GET", "cluster/*/*/why", srv_h_cluster_why, SRV_ROLE_READ, SRV_SLOW, BODY_NONE},
    {"GET", "screen/*", srv_h_screen_one, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"POST", "screen", srv_h_screen_batch, SRV_ROLE_READ, SRV_SLOW, BODY_JSON},
    {"POST", "traces", srv_h_trace_post, SRV_ROLE_READ, SRV_SLOW, BODY_JSON},
    {"GET", "traces/*", srv_h_trace_get, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "tags", srv_h_tags_get, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"POST", "tags", srv_h_tags_post, SRV_ROLE_ANALYST, SRV_FAST, BODY_JSON},
    {"GET", "incidents", srv_h_incidents, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "incidents/*", srv_h_incident, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"GET", "incidents/*/report", srv_h_incident_report, SRV_ROLE_READ, SRV_SLOW, BODY_NONE},
    {"POST", "detect", srv_h_detect, SRV_ROLE_READ, SRV_SLOW, BODY_JSON},
    {"GET", "watchlists", srv_h_watchlists_get, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"POST", "watchlists", srv_h_watchlists_post, SRV_ROLE_ANALYST, SRV_FAST, BODY_JSON},
    {"DELETE", "watchlists/*", srv_h_watchlist_delete, SRV_ROLE_ANALYST, SRV_FAST, BODY_NONE},
    {"GET", "alerts", srv_h_alerts, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"POST", "alerts/*/ack", srv_h_alert_ack, SRV_ROLE_ANALYST, SRV_FAST, BODY_NONE},
    {"GET", "cases", srv_h_cases_get, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"POST", "cases", srv_h_cases_post, SRV_ROLE_ANALYST, SRV_FAST, BODY_JSON},
    {"GET", "cases/*", srv_h_case_get, SRV_ROLE_READ, SRV_FAST, BODY_NONE},
    {"PUT", "cases/*", srv_h_case_put, SRV_ROLE_ANALYST, SRV_FAST, BODY_JSON},
    {"DELETE", "cases/*", srv_h_case_delete, SRV_ROLE_ANALYST, SRV_FAST, BODY_NONE},
    {"GET", "cases/*/export", srv_h_case_export, SRV_ROLE_READ, SRV_SLOW, BODY_NONE},
    {"GET", "tokens", srv_h_tokens_get, SRV_ROLE_ADMIN, SRV_FAST, BODY_NONE},
    {"POST", "tokens", srv_h_tokens_post, SRV_ROLE_ADMIN, SRV_FAST, BODY_JSON},
    {"DELETE", "tokens/*", srv_h_token_delete, SRV_ROLE_ADMIN, SRV_FAST, BODY_NONE},
};
#define NROUTES (sizeof ROUTES / sizeof *ROUTES)

int srv_role_parse(const char *s)
{
    if (!s) return SRV_ROLE_NONE;
    if (!strcmp(s, "read")) return SRV_ROLE_READ;
    if (!strcmp(s, "analyst")) return SRV_ROLE_ANALYST;
    if (!strcmp(s, "admin")) return SRV_ROLE_ADMIN;
    return SRV_ROLE_NONE;
}

const char *srv_role_name(int role)
{
    static const char *const n[] = {"none", "read", "analyst", "admin"};
    return role >= 0 && role <= SRV_ROLE_ADMIN ? n[role] : "none";
}

uint64_t srv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------- responses ---------------- */

int srv_error(sl_srv_resp *resp, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *j = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", msg);
    return srv_json(resp, status, j);
}

int srv_sl_error(sl_srv_resp *resp, const sl_error *e)
{
    int code = e && e->code ? e->code : SL_EIO;
    const char *msg = e && e->msg[0] ? e->msg : sl_strerror(code);
    return srv_error(resp, (unsigned)sl_err_http(code), sl_errname(code), "%s", msg);
}

int srv_json(sl_srv_resp *resp, unsigned status, cJSON *j)
{
    static const char OOM[] = "{\"error\":{\"code\":\"ENOMEM\",\"message\":\"out of memory\"}}";
    char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    sl_free(resp->body);
    if (!txt || sl_alloc_failures()) {
        sl_free(txt);
        resp->status = 500;
        resp->body = sl_strdup(OOM);
        resp->len = resp->body ? strlen(resp->body) : 0;
        resp->ctype = resp->csp = NULL;
        resp->disposition[0] = 0;
        return 0;
    }
    resp->status = status;
    resp->body = txt;
    resp->len = strlen(txt);
    resp->ctype = resp->csp = NULL; /* JSON now, whatever it was before */
    resp->disposition[0] = 0;
    return 0;
}

void sl_srv_resp_free(sl_srv_resp *resp)
{
    sl_free(resp->body);
    resp->body = NULL;
}

/* ---------------- the request target ---------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool srv_pct_decode(char *out, size_t cap, const char *src, size_t n, bool plus)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) return false;
            hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap) return false;
        out[o++] = c;
    }
    out[o] = 0;
    return true;
}

/* Splits req->uri into decoded segments (after "/v1/") and query parameters, all copied
 * into req->pathbuf. 0, or -1 after filling resp. */
static int parse_target(sl_srv_req *req, sl_srv_resp *resp)
{
    const char *u = req->uri ? req->uri : "";
    size_t ulen = strlen(u), used = 0;
    const char *q = memchr(u, '?', ulen);
    size_t plen = q ? (size_t)(q - u) : ulen;
    char *buf = req->pathbuf;
    if (ulen > SRV_MAX_URI) return srv_error(resp, 414, "EURITOOLONG", "the request target is longer than %u bytes", SRV_MAX_URI), -1;
    if (plen < 4 || memcmp(u, "/v1/", 4) != 0) return srv_error(resp, 404, "ENOTFOUND", "no such endpoint: the API is under /v1/"), -1;
    for (size_t i = 4; i <= plen;) {
        size_t j = i;
        while (j < plen && u[j] != '/') j++;
        if (req->nseg == SRV_MAX_SEGS) return srv_error(resp, 404, "ENOTFOUND", "no such endpoint: too many path segments"), -1;
        if (!srv_pct_decode(buf + used, sizeof req->pathbuf - used, u + i, j - i, false))
            return srv_error(resp, 400, "EUSAGE", "the path has a bad percent-escape or an encoded NUL"), -1;
        if (!buf[used] || !strcmp(buf + used, ".") || !strcmp(buf + used, ".."))
            return srv_error(resp, 400, "EUSAGE", "the path has an empty, '.' or '..' segment"), -1;
        req->segs[req->nseg++] = buf + used;
        used += strlen(buf + used) + 1;
        i = j + 1;
    }
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t n = strcspn(p, "&"), k = strcspn(p, "=");
        if (k > n) k = n;
        if (n) {
            char *key = buf + used, *val;
            if (req->nparam == SRV_MAX_PARAMS) return srv_error(resp, 400, "EUSAGE", "more than %d query parameters", SRV_MAX_PARAMS), -1;
            if (!srv_pct_decode(key, sizeof req->pathbuf - used, p, k, true))
                return srv_error(resp, 400, "EUSAGE", "a query parameter has a bad percent-escape or an encoded NUL"), -1;
            used += strlen(key) + 1;
            val = buf + used;
            if (!srv_pct_decode(val, sizeof req->pathbuf - used, k < n ? p + k + 1 : "", k < n ? n - k - 1 : 0, true))
                return srv_error(resp, 400, "EUSAGE", "a query parameter has a bad percent-escape or an encoded NUL"), -1;
            used += strlen(val) + 1;
            for (size_t i = 0; i < req->nparam; i++)
                if (!strcmp(req->pk[i], key)) return srv_error(resp, 400, "EUSAGE", "query parameter '%s' given twice", key), -1;
            req->pk[req->nparam] = key, req->pv[req->nparam++] = val;
        }
        p += n + (p[n] == '&');
    }
    return 0;
}

const char *srv_param(const sl_srv_req *req, const char *key)
{
    for (size_t i = 0; i < req->nparam; i++)
        if (!strcmp(req->pk[i], key)) return req->pv[i];
    return NULL;
}

int srv_param_u64(const sl_srv_req *req, sl_srv_resp *resp, const char *key, uint64_t lo, uint64_t hi, uint64_t def,
                  uint64_t *out)
{
    const char *v = srv_param(req, key);
    uint64_t x = 0;
    if (!v) return *out = def, 0;
    if (!*v) goto bad;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || x > (UINT64_MAX - 9) / 10) goto bad;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x < lo || x > hi) goto bad;
    return *out = x, 0;
bad:
    srv_error(resp, 400, "EUSAGE", "query parameter '%s': '%.40s' is not a whole number from %llu to %llu", key, v,
              (unsigned long long)lo, (unsigned long long)hi);
    return -1;
}

int srv_body_str(const sl_srv_req *req, sl_srv_resp *resp, const char *key, bool required, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->json, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) return srv_error(resp, 422, "EUSAGE", "the body needs \"%s\"", key), -1;
        return 0;
    }
    if (!cJSON_IsString(v)) return srv_error(resp, 422, "EUSAGE", "\"%s\" must be a string", key), -1;
    *out = v->valuestring;
    return 0;
}

int64_t srv_path_id(sl_srv_req *req, sl_srv_resp *resp, size_t k)
{
    const char *s = req->segs[k];
    int64_t v = 0;
    if (!*s || strlen(s) > 18) goto bad;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') goto bad;
        v = v * 10 + (*s - '0');
    }
    if (v > 0) return v;
bad:
    srv_error(resp, 400, "EUSAGE", "'%.40s' is not an id (a whole number from 1)", req->segs[k]);
    return 0;
}

/* ---------------- routing ---------------- */

static bool pattern_match(const char *pat, const sl_srv_req *req)
{
    size_t k = 0;
    for (const char *p = pat; *p; k++) {
        size_t n = strcspn(p, "/");
        if (k >= req->nseg) return false;
        if (!(n == 1 && *p == '*') && (strlen(req->segs[k]) != n || memcmp(req->segs[k], p, n) != 0)) return false;
        p += n + (p[n] == '/');
    }
    return k == req->nseg;
}

static const route *find_route(const sl_srv_req *req, sl_srv_resp *resp)
{
    char allow[64] = "";
    for (size_t i = 0; i < NROUTES; i++) {
        if (!pattern_match(ROUTES[i].pattern, req)) continue;
        if (!strcmp(ROUTES[i].method, req->method)) return &ROUTES[i];
        if (!strstr(allow, ROUTES[i].method))
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "", ROUTES[i].method);
    }
    if (allow[0]) {
        srv_error(resp, 405, "EMETHOD", "%.16s is not allowed here (allowed: %s)", req->method, allow);
        snprintf(resp->allow, sizeof resp->allow, "%s", allow);
    } else {
        srv_error(resp, 404, "ENOTFOUND", "no such endpoint (docs/API.md lists them)");
    }
    return NULL;
}

static bool auth_ok(sl_srv *srv, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *a = req->auth;
    size_t n;
    if (!a) {
        srv_error(resp, 401, "EAUTH", "this endpoint needs a token: Authorization: Bearer <token>");
        resp->www_auth = true;
        return false;
    }
    if (strncasecmp(a, "Bearer ", 7) != 0) {
        srv_error(resp, 401, "EAUTH", "the Authorization header must be 'Bearer <token>'");
        resp->www_auth = true;
        return false;
    }
    a += 7;
    while (*a == ' ') a++;
    n = strlen(a);
    while (n && a[n - 1] == ' ') n--;
    if (!srv || !srv->auth || !srv_auth_check(srv->auth, a, n, &req->tok)) {
        srv_error(resp, 401, "EAUTH", "unknown or revoked token");
        resp->www_auth = true;
        return false;
    }
    return true;
}

int sl_srv_route(sl_srv *srv, sl_srv_req *req, sl_srv_resp *resp, int *slow)
{
    const route *r;
    *slow = SRV_FAST;
    if (!req->method) req->method = "GET";
    if (parse_target(req, resp)) return 1;
    if (!(r = find_route(req, resp))) return 1;
    if (r->role > SRV_ROLE_NONE) {
        unsigned retry = 0;
        if (!auth_ok(srv, req, resp)) return 1;
        if (req->tok.role < r->role)
            return srv_error(resp, 403, "EFORBIDDEN", "this needs the %s role; the token has %s", srv_role_name(r->role),
                             srv_role_name(req->tok.role)), 1;
        if (srv && srv->rl && !srv_rl_take(srv->rl, req->tok.id, &retry)) {
            srv_error(resp, 429, "ERATE", "too many requests for this token: retry in %u s", retry);
            resp->retry_after = retry;
            return 1;
        }
    }
    if (r->body == BODY_JSON) {
        sl_error e = {0};
        const char *ct = req->content_type;
        size_t n = ct ? strcspn(ct, ";") : 0;
        while (n && ct[n - 1] == ' ') n--;
        if (!ct || n != 16 || strncasecmp(ct, "application/json", 16) != 0)
            return srv_error(resp, 415, "EMEDIATYPE", "the body must be Content-Type: application/json"), 1;
        if (sl_json_parse(&req->json, req->body ? req->body : "", req->body_len, "body", &e))
            return srv_error(resp, e.code == SL_ENOMEM ? 500 : 400, e.code == SL_ENOMEM ? "ENOMEM" : "EJSON", "%s", e.msg), 1;
        if (!cJSON_IsObject(req->json)) return srv_error(resp, 400, "EJSON", "the body must be a JSON object"), 1;
    } else if (req->body_len) {
        return srv_error(resp, 400, "EUSAGE", "this endpoint takes no body"), 1;
    }
    *slow = r->where;
    return 0;
}

static const route *route_of(const sl_srv_req *req)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (!strcmp(ROUTES[i].method, req->method) && pattern_match(ROUTES[i].pattern, req)) return &ROUTES[i];
    return NULL;
}

void sl_srv_run(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const route *r = route_of(req);
    if (!r) {
        srv_error(resp, 404, "ENOTFOUND", "no such endpoint");
        return;
    }
    if (req->deadline_ns && srv_now_ns() > req->deadline_ns) {
        srv_error(resp, 504, "ETIMEOUT", "the request waited past its deadline before a worker was free");
        return;
    }
    r->h(c, req, resp);
    if (req->deadline_ns && srv_now_ns() > req->deadline_ns && resp->status < 500) {
        srv_error(resp, 504, "ETIMEOUT", "the answer was not ready within the request's deadline (--deadline-ms)");
    }
}

void sl_srv_handle(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int slow;
    if (sl_srv_route(c ? c->srv : NULL, req, resp, &slow)) return;
    sl_srv_run(c, req, resp);
}

void sl_srv_req_done(sl_srv_req *req)
{
    cJSON_Delete(req->json);
    req->json = NULL;
}
