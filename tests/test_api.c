/* test_api.c — the HTTP API (`sleuth serve`, docs/API.md) over real HTTP on 127.0.0.1 with
 * libcurl: a store built from a generated world (`sleuth gen world`, both chains, its tags,
 * its incident record and a cluster build), tokens of each role, then every endpoint, every
 * error code, auth and roles (api/endpoints), hostile requests — bad paths, malformed and
 * duplicate-key JSON, wrong content types, huge bodies, a slowloris client — with the store
 * byte for byte unchanged afterwards (api/robustness), and the limits: rate (429), deadline
 * (504), the queue of slow queries (503) (api/limits). Every response is recorded and
 * validated against docs/openapi.yaml by tests/openapi_check.py (python3-jsonschema), which
 * is first shown to reject a response that does not match.
 *
 * Screening and watchlists (sleuth/screen.h, watch.h) are asserted on what the library
 * answers: the exposure index is built for the world, so a screen is a risk document.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* ---------------- the world ---------------- */

typedef struct world {
    const char *dir;   /* DIR: w/ the world, s/ the store */
    char store[512];
    char admin[80], analyst[80], reader[80];
    char theft_tx[80], exploiter[100], incident[64];
} world;

static char *token(const char *store, const char *role)
{
    cJSON *j = sleuth_json("token create --store %s --role %s --label %s-test --json", store, role, role);
    char *t = strdup(jstr(j, "token"));
    cJSON_Delete(j);
    return t;
}

static void build_world(world *w)
{
    run_result r;
    cJSON *truth;
    char *t, *txt;
    size_t n;
    FILE *f;
    w->dir = gen_world_store("dmm", 7, 300);
    snprintf(w->store, sizeof w->store, "%s/s", w->dir);
    r = run_sleuth("tags import --store %s %s/w/tags/world.tagpack.yaml %s/w/tags/incident.tagpack.yaml %s/w/incidents.yaml",
                   w->store, w->dir, w->dir, w->dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("cluster build --store %s --quiet", w->store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("exposure build --store %s --quiet", w->store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(w->incident, sizeof w->incident, "world-dmm-7");
    f = fopen(path_in(w->dir, "w/truth.json"), "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    n = (size_t)ftell(f);
    rewind(f);
    txt = malloc(n + 1);
    cr_assert_eq(fread(txt, 1, n, f), n);
    txt[n] = 0;
    fclose(f);
    truth = cJSON_Parse(txt);
    free(txt);
    cr_assert(truth);
    snprintf(w->theft_tx, sizeof w->theft_tx, "%s", jstr(cJSON_GetObjectItem(truth, "theft"), "tx"));
    cJSON_Delete(truth);
    t = token(w->store, "admin"), snprintf(w->admin, sizeof w->admin, "%s", t), free(t);
    t = token(w->store, "analyst"), snprintf(w->analyst, sizeof w->analyst, "%s", t), free(t);
    t = token(w->store, "read"), snprintf(w->reader, sizeof w->reader, "%s", t), free(t);
}

/* ---------------- HTTP ---------------- */

typedef struct resp {
    long status;
    char *body;
    size_t len;
    char headers[4096];
    size_t hlen;
    char ctype[128];   /* Content-Type, "" when none */
    cJSON *json;       /* the body parsed, for JSON answers */
} resp;

static char BASE[64];
static FILE *RECORD; /* every response of the API, one JSON line each, for openapi_check.py */

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
    resp *r = ctx;
    char *b = realloc(r->body, r->len + sz * n + 1);
    cr_assert(b);
    memcpy(b + r->len, p, sz * n);
    r->body = b, r->len += sz * n, b[r->len] = 0;
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
    resp *r = ctx;
    size_t k = sz * n;
    if (r->hlen + k < sizeof r->headers) memcpy(r->headers + r->hlen, p, k), r->hlen += k, r->headers[r->hlen] = 0;
    return k;
}

static void record(const char *method, const char *path, const resp *r)
{
    cJSON *j = cJSON_CreateObject();
    char *s;
    cJSON_AddStringToObject(j, "method", method);
    cJSON_AddStringToObject(j, "path", path);
    cJSON_AddNumberToObject(j, "status", (double)r->status);
    cJSON_AddStringToObject(j, "type", r->ctype);
    cJSON_AddStringToObject(j, "body", r->body ? r->body : "");
    s = cJSON_PrintUnformatted(j);
    fprintf(RECORD, "%s\n", s);
    free(s);
    cJSON_Delete(j);
}

/* One request. body NULL: none; ctype NULL with a body: application/json. An answer that
 * says it is JSON must parse (r.json); the others (the UI's files, the HTML report, the CSV
 * export) are kept as text. Answers under /v1 are recorded for the OpenAPI check. */
static resp req(const char *method, const char *tok, const char *ctype, const char *body, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static resp req(const char *method, const char *tok, const char *ctype, const char *body, const char *fmt, ...)
{
    char path[8192], url[8300], auth[200], ct[200];
    struct curl_slist *h = NULL;
    resp r;
    va_list ap;
    CURL *c = curl_easy_init();
    memset(&r, 0, sizeof r);
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    snprintf(url, sizeof url, "%s%s", BASE, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (tok) snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok), h = curl_slist_append(h, auth);
    if (body) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
        h = curl_slist_append(h, ct);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(r.ctype, sizeof r.ctype, "%s", ct ? ct : "");
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (RECORD && !strncmp(path, "/v1", 3)) record(method, path, &r);
    if (!strncmp(r.ctype, "application/json", 16) && strcmp(method, "HEAD")) {
        r.json = r.body ? cJSON_Parse(r.body) : NULL;
        cr_assert(r.json, "%s %s: the answer is not JSON: %s", method, path, r.body ? r.body : "(none)");
    }
    return r;
}

static void resp_free(resp *r)
{
    free(r->body);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* Asserts status and (for an error) the error code; frees r. */
static void expect(resp r, long status, const char *code)
{
    cr_assert_eq(r.status, status, "expected %ld, got %ld: %s", status, r.status, r.body);
    if (code) {
        const cJSON *e = cJSON_GetObjectItem(r.json, "error");
        cr_assert(e, "no error object: %s", r.body);
        cr_assert_str_eq(jstr(e, "code"), code, "%s", r.body);
        cr_assert(strlen(jstr(e, "message")) > 0);
    }
    resp_free(&r);
}

static bool has_header(const resp *r, const char *line)
{
    return strcasestr(r->headers, line) != NULL;
}

/* ---------------- the server ---------------- */

static pid_t SERVER;

/* Starts `sleuth serve` on a free port with extra options; returns once our server answers
 * (its /v1/info names our store); another process taking the port first is retried. */
static void serve(const world *w, const char *extra)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = free_port();
        snprintf(BASE, sizeof BASE, "http://127.0.0.1:%d", port);
        SERVER = spawn_sh("%s serve --store %s --listen 127.0.0.1:%d --quiet %s 2>>%s/serve.log", sleuth_bin(),
                          w->store, port, extra, w->dir);
        bool exited = false;
        for (int i = 0; i < 400; i++) {
            int st;
            if (waitpid(SERVER, &st, WNOHANG) == SERVER) { exited = true; break; } /* the port was taken */
            /* health answers and our process is still there: the port is ours (a server that
             * lost it to another process exits at once) */
            run_result r = run_sh("curl -s -m 2 %s/v1/health", BASE);
            bool up = r.status == 0 && strstr(r.out, "\"ok\"") != NULL;
            run_free(&r);
            if (up && waitpid(SERVER, &st, WNOHANG) == 0) return;
            usleep(25000);
        }
        if (!exited) stop_group(SERVER, 0);
    }
    cr_assert_fail("sleuth serve did not start");
}

static void unserve(void)
{
    if (SERVER > 0) {
        int st = stop_group(SERVER, 10000);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sleuth serve did not stop cleanly (status %d)", st);
    }
    SERVER = 0;
}

static void open_record(const world *w)
{
    RECORD = fopen(path_in(w->dir, "responses.jsonl"), "w");
    cr_assert(RECORD);
}

/* Validates every recorded response against docs/openapi.yaml; first shows the checker
 * fails on a response that breaks the schema. */
static void check_openapi(const world *w, int at_least)
{
    run_result r;
    FILE *bad;
    fclose(RECORD);
    RECORD = NULL;
    bad = fopen(path_in(w->dir, "bad.jsonl"), "w");
    fprintf(bad, "{\"method\":\"GET\",\"path\":\"/v1/health\",\"status\":200,\"body\":\"{\\\"status\\\":5}\"}\n");
    fclose(bad);
    r = run_sh("/usr/bin/python3 tests/openapi_check.py docs/openapi.yaml %s/bad.jsonl", w->dir);
    cr_assert_neq(r.status, 0, "the checker accepted a response that breaks the schema: %s", r.out);
    run_free(&r);
    r = run_sh("/usr/bin/python3 tests/openapi_check.py docs/openapi.yaml %s/responses.jsonl", w->dir);
    cr_assert_eq(r.status, 0, "responses do not match docs/openapi.yaml:\n%s%s", r.out, r.err);
    cr_assert(atoi(r.out) >= at_least, "only %s responses were checked", r.out);
    run_free(&r);
}

static const char *member_str(const cJSON *o, const char *k)
{
    static char num[8][32];
    static int turn;
    const cJSON *v = cJSON_GetObjectItem(o, k);
    if (cJSON_IsNumber(v)) { /* integers: their digits */
        char *b = num[turn++ % 8];
        snprintf(b, 32, "%.0f", v->valuedouble);
        return b;
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---------------- api/endpoints ---------------- */

Test(api, endpoints, .timeout = 600)
{
    world w;
    resp r;
    char body[1024], first_addr[128] = "";
    build_world(&w);
    open_record(&w);
    serve(&w, "--threads 2");

    /* health: no token; everything else: 401 without one, with WWW-Authenticate */
    r = req("GET", NULL, NULL, NULL, "/v1/health");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jstr(r.json, "status"), "ok");
    resp_free(&r);
    r = req("GET", NULL, NULL, NULL, "/v1/info");
    cr_assert_eq(r.status, 401);
    cr_assert(has_header(&r, "WWW-Authenticate: Bearer"), "%s", r.headers);
    expect(r, 401, "EAUTH");
    expect(req("GET", "slt_not-a-token-at-all", NULL, NULL, "/v1/info"), 401, "EAUTH");
    r = req("GET", NULL, NULL, NULL, "/v1/info");
    resp_free(&r);
    {   /* not Bearer */
        CURL *c = curl_easy_init();
        char url[200];
        long st;
        struct curl_slist *h = curl_slist_append(NULL, "Authorization: Basic dXNlcjpwYXNz");
        snprintf(url, sizeof url, "%s/v1/info", BASE);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        resp tmp = {0};
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &tmp);
        cr_assert_eq(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        cr_assert_eq(st, 401);
        free(tmp.body);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
    }

    /* info */
    r = req("GET", w.reader, NULL, NULL, "/v1/info");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "store"), w.store);
    cr_assert_eq(jint(cJSON_GetObjectItem(r.json, "btc"), "blocks") > 0, true);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(r.json, "server"), "role"), "read");
    resp_free(&r);

    /* tx and address, with tags; block by height and by hash */
    r = req("GET", w.reader, NULL, NULL, "/v1/tx/%s", w.theft_tx);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "txid"), w.theft_tx);
    {
        const cJSON *outs = cJSON_GetObjectItem(r.json, "outputs");
        cr_assert(cJSON_GetArraySize(outs) > 0);
        snprintf(w.exploiter, sizeof w.exploiter, "%s", jstr(cJSON_GetArrayItem(outs, 0), "address"));
        cr_assert_eq(jint(cJSON_GetArrayItem(outs, 0), "value"), 450290000000ull);
        cr_assert(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetArrayItem(outs, 0), "tags")));
    }
    uint64_t height = jint(r.json, "height");
    char bhash[80];
    snprintf(bhash, sizeof bhash, "%s", jstr(r.json, "block_hash"));
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/address/%s", w.exploiter);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "address"), w.exploiter);
    {   /* the exploiter is tagged by the world's incident pack */
        const cJSON *tags = cJSON_GetObjectItem(r.json, "tags"), *t;
        bool found = false;
        cJSON_ArrayForEach(t, tags) found |= member_str(t, "incident") && !strcmp(member_str(t, "incident"), w.incident);
        cr_assert(found, "no incident tag on the exploiter: %s", r.body);
    }
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/address/%s?limit=1&offset=0", w.exploiter);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/block/%llu", (unsigned long long)height);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "hash"), bhash);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/block/%s", bhash);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(r.json, "height"), height);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/block/20000001?chain=ethereum");
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/block/99999999"), 404, "ENOTFOUND");
    expect(req("GET", w.reader, NULL, NULL, "/v1/tx/%064d", 0), 404, "ENOTFOUND");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/notanaddress"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%s?chain=nochain", w.exploiter), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%s?limit=x", w.exploiter), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%s?limit=1&limit=2", w.exploiter), 400, "EUSAGE");

    /* search: a tx, an address (and its cluster), a height, an incident, nothing */
    r = req("GET", w.reader, NULL, NULL, "/v1/search?q=%s", w.theft_tx);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "results"), 0), "kind"), "tx");
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/search?q=%s", w.exploiter);
    cr_assert_eq(r.status, 200);
    {
        const cJSON *res = cJSON_GetObjectItem(r.json, "results"), *x;
        bool addr = false, cl = false;
        cJSON_ArrayForEach(x, res) {
            addr |= !strcmp(jstr(x, "kind"), "address");
            cl |= !strcmp(jstr(x, "kind"), "cluster");
        }
        cr_assert(addr && cl, "%s", r.body);
    }
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/search?q=%llu", (unsigned long long)height);
    cr_assert_eq(r.status, 200);
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "results")) >= 1, "%s", r.body);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/search?q=%s", w.incident);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "results"), 0), "url"), "/v1/incidents/world-dmm-7");
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/search?q=nothing%%20here");
    cr_assert_eq(r.status, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "results")), 0);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/search"), 400, "EUSAGE");

    /* cluster: by id and by address, paged */
    r = req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1?limit=1");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(r.json, "id"), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "members")), 1);
    snprintf(first_addr, sizeof first_addr, "%s", jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "members"), 0), "address"));
    if (jint(r.json, "size") > 1) {
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(r.json, "next")), "%s", r.body);
        resp_free(&r);
        r = req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1?limit=1&offset=1");
        cr_assert_eq(r.status, 200);
        cr_assert_str_neq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "members"), 0), "address"), first_addr);
    }
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/%s", first_addr);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(r.json, "id"), 1);
    resp_free(&r);
    {   /* why a member is in it: the merges from the cluster's id address to it */
        char last[128];
        r = req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1?limit=5");
        const cJSON *mem = cJSON_GetObjectItem(r.json, "members");
        snprintf(last, sizeof last, "%s", jstr(cJSON_GetArrayItem(mem, cJSON_GetArraySize(mem) - 1), "address"));
        resp_free(&r);
        r = req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1/why?address=%s", last);
        cr_assert_eq(r.status, 200, "%s", r.body);
        const cJSON *path = cJSON_GetObjectItem(r.json, "path");
        cr_assert_eq((uint64_t)cJSON_GetArraySize(path), jint(r.json, "hops"));
        if (strcmp(last, first_addr)) {
            cr_assert(cJSON_GetArraySize(path) >= 1, "%s", r.body);
            cr_assert_str_eq(jstr(cJSON_GetArrayItem(path, cJSON_GetArraySize(path) - 1), "to"), last);
            cr_assert_str_eq(jstr(cJSON_GetArrayItem(path, 0), "heuristic"), "multi-input");
        }
        resp_free(&r);
        expect(req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1/why"), 400, "EUSAGE");
        expect(req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/1/why?address=%s", w.exploiter), 404, "ENOTFOUND");
    }
    expect(req("GET", w.reader, NULL, NULL, "/v1/cluster/btc/4000000000"), 404, "ENOTFOUND");
    expect(req("GET", w.reader, NULL, NULL, "/v1/cluster/nochain/1"), 400, "EUSAGE");

    /* traces: a resource */
    snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"policy\":\"haircut\",\"max_hops\":3,\"graph\":true}", w.theft_tx);
    r = req("POST", w.reader, NULL, body, "/v1/traces");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert(has_header(&r, "Location: /v1/traces/"), "%s", r.headers);
    char tid[64];
    snprintf(tid, sizeof tid, "%s", jstr(r.json, "id"));
    {
        const cJSON *res = cJSON_GetObjectItem(r.json, "result");
        cr_assert_str_eq(jstr(cJSON_GetObjectItem(res, "params"), "policy"), "haircut");
        cr_assert_eq(jint(cJSON_GetObjectItem(res, "params"), "max_hops"), 3);
        cr_assert_eq(jint(cJSON_GetObjectItem(res, "params"), "max_nodes"), 200000, "the server's budget");
        cr_assert(cJSON_IsObject(cJSON_GetObjectItem(r.json, "graph")));
    }
    char *first = strdup(r.body);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/traces/%s", tid);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, first, "GET does not give back what POST made");
    free(first);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/traces/0123456789abcdef0123456789abcdef"), 404, "ENOTFOUND");
    expect(req("POST", w.reader, NULL, "{\"policy\":\"haircut\"}", "/v1/traces"), 422, "EUSAGE");
    expect(req("POST", w.reader, NULL, "{\"tx\":\"x\",\"bogus\":1}", "/v1/traces"), 422, "EUSAGE");
    snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"policy\":\"nope\"}", w.theft_tx);
    expect(req("POST", w.reader, NULL, body, "/v1/traces"), 422, "EUSAGE");
    expect(req("POST", w.reader, NULL, "{\"tx\":\"00000000000000000000000000000000000000000000000000000000000000ff:0\"}", "/v1/traces"),
           404, "ENOTFOUND");
    {   /* the server's node budget caps what a request asks */
        snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"max_nodes\":3}", w.theft_tx);
        r = req("POST", w.reader, NULL, body, "/v1/traces");
        cr_assert_eq(r.status, 201, "%s", r.body);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "result"), "truncated")), "%s", r.body);
        resp_free(&r);
    }
    {   /* "flows": "crossings" keeps only the flows that crossed a link (what a graph client needs) */
        int all = 0, linked = 0, kept = 0;
        const cJSON *f;
        snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"graph\":true}", w.theft_tx);
        r = req("POST", w.reader, NULL, body, "/v1/traces");
        cr_assert_eq(r.status, 201, "%s", r.body);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "result"), "flows")) {
            all++;
            linked += cJSON_IsObject(cJSON_GetObjectItem(f, "link"));
        }
        resp_free(&r);
        snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"graph\":true,\"flows\":\"crossings\"}", w.theft_tx);
        r = req("POST", w.reader, NULL, body, "/v1/traces");
        cr_assert_eq(r.status, 201, "%s", r.body);
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "result"), "flows")) {
            kept++;
            cr_assert(cJSON_IsObject(cJSON_GetObjectItem(f, "link")), "a flow without a link was kept");
        }
        cr_assert(cJSON_IsObject(cJSON_GetObjectItem(r.json, "graph")));
        resp_free(&r);
        cr_assert(linked > 0 && kept == linked && all > linked, "all %d, linked %d, kept %d", all, linked, kept);
        snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"flows\":\"some\"}", w.theft_tx);
        expect(req("POST", w.reader, NULL, body, "/v1/traces"), 422, "EUSAGE");
    }

    /* tags: read by anyone, added by analysts */
    r = req("GET", w.reader, NULL, NULL, "/v1/tags?address=%s", w.exploiter);
    cr_assert_eq(r.status, 200, "%s", r.body);
    int ntags = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tags"));
    cr_assert(ntags >= 1);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"address\":\"%s\",\"label\":\"api test\",\"category\":\"perpetrator\",\"source\":\"test_api\"}",
             w.exploiter);
    expect(req("POST", w.reader, NULL, body, "/v1/tags"), 403, "EFORBIDDEN");
    r = req("POST", w.analyst, NULL, body, "/v1/tags");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tags")), ntags + 1);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/tags?address=%s", w.exploiter);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tags")), ntags + 1);
    resp_free(&r);
    expect(req("POST", w.analyst, NULL, "{\"address\":\"x\",\"label\":\"l\",\"category\":\"exchange\",\"source\":\"s\"}", "/v1/tags"),
           422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"label\":\"l\"}", "/v1/tags"), 422, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/tags"), 400, "EUSAGE");

    /* incidents */
    r = req("GET", w.reader, NULL, NULL, "/v1/incidents");
    cr_assert_eq(r.status, 200);
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "incidents")) >= 3);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/incidents/%s", w.incident);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(r.json, "incident"), "id"), w.incident);
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "incident"), "addresses")) >= 2);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/incidents/no-such-thing"), 404, "ENOTFOUND");
    r = req("GET", w.reader, NULL, NULL, "/v1/incidents/%s/report", w.incident);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/incidents/no-such-thing/report"), 404, "ENOTFOUND");

    /* detect */
    snprintf(body, sizeof body, "{\"incident\":\"%s\"}", w.incident);
    r = req("POST", w.reader, NULL, body, "/v1/detect");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "findings")) > 0, "%s", r.body);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "loot"), 0), "amount"), "450290000000");
    resp_free(&r);
    expect(req("POST", w.reader, NULL, "{}", "/v1/detect"), 422, "EUSAGE");
    expect(req("POST", w.reader, NULL, "{\"incident\":\"x\",\"max_hops\":0}", "/v1/detect"), 422, "EUSAGE");

    /* screening: the exploiter received the loot: its own tag and the theft make it risky */
    r = req("GET", w.reader, NULL, NULL, "/v1/screen/%s?direction=in", w.exploiter);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "subject"), w.exploiter);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(r.json, "index")), "%s", r.body);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "index"), "built")), "%s", r.body);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(r.json, "risk")), "%s", r.body);
    cr_assert_str_neq(jstr(r.json, "risk"), "none", "%s", r.body);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/screen/%s", w.theft_tx);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(r.json, "risk")), "%s", r.body);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/screen/%s?direction=sideways", w.exploiter), 400, "EUSAGE");
    snprintf(body, sizeof body, "{\"subjects\":[\"%s\",\"%s\"],\"direction\":\"out\"}", w.exploiter, w.theft_tx);
    r = req("POST", w.reader, NULL, body, "/v1/screen");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "results")), 2);
    resp_free(&r);
    expect(req("POST", w.reader, NULL, "{\"subjects\":[]}", "/v1/screen"), 422, "EUSAGE");
    expect(req("POST", w.reader, NULL, "{\"subjects\":[1]}", "/v1/screen"), 422, "EUSAGE");

    /* watchlists and alerts: roles first, then the library's answer */
    snprintf(body, sizeof body, "{\"kind\":\"address\",\"target\":\"%s\",\"label\":\"thief\"}", w.exploiter);
    expect(req("POST", w.reader, NULL, body, "/v1/watchlists"), 403, "EFORBIDDEN");
    expect(req("DELETE", w.reader, NULL, NULL, "/v1/watchlists/1"), 403, "EFORBIDDEN");
    expect(req("POST", w.reader, NULL, NULL, "/v1/alerts/1/ack"), 403, "EFORBIDDEN");
    r = req("POST", w.analyst, NULL, body, "/v1/watchlists");
    cr_assert_eq(r.status, 201, "%s", r.body);
    {
        cr_assert(has_header(&r, "Location: /v1/watchlists/"), "%s", r.headers);
        char wid[32];
        snprintf(wid, sizeof wid, "%s", member_str(r.json, "id") ? member_str(r.json, "id") : "0");
        resp_free(&r);
        r = req("GET", w.reader, NULL, NULL, "/v1/watchlists");
        cr_assert_eq(r.status, 200);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "watchlist")), 1, "%s", r.body);
        resp_free(&r);
        expect(req("DELETE", w.analyst, NULL, NULL, "/v1/watchlists/%s", wid), 200, NULL);
        expect(req("DELETE", w.analyst, NULL, NULL, "/v1/watchlists/%s", wid), 404, "ENOTFOUND");
        r = req("GET", w.reader, NULL, NULL, "/v1/alerts?since=0&limit=10");
        cr_assert_eq(r.status, 200, "%s", r.body);
        resp_free(&r);
        expect(req("POST", w.analyst, NULL, NULL, "/v1/alerts/999999/ack"), 404, "ENOTFOUND");
    }
    expect(req("GET", w.reader, NULL, NULL, "/v1/alerts?limit=0"), 400, "EUSAGE");
    /* since_time as `sleuth alerts --since` reads it: unix seconds, ISO-8601, an age */
    expect(req("GET", w.reader, NULL, NULL, "/v1/alerts?since_time=24h"), 200, NULL);
    expect(req("GET", w.reader, NULL, NULL, "/v1/alerts?since_time=2026-12-08T05:00:00Z"), 200, NULL);
    expect(req("GET", w.reader, NULL, NULL, "/v1/alerts?since_time=1796706000"), 200, NULL);
    expect(req("GET", w.reader, NULL, NULL, "/v1/alerts?since_time=yesterday"), 400, "EUSAGE");
    expect(req("POST", w.analyst, NULL, NULL, "/v1/alerts/abc/ack"), 400, "EUSAGE");
    r = req("POST", w.analyst, NULL, "{\"kind\":5}", "/v1/watchlists");
    cr_assert_eq(r.status, 422, "%s", r.body);
    resp_free(&r);

    /* tokens: admin only; a revoked token stops working at once */
    expect(req("GET", w.analyst, NULL, NULL, "/v1/tokens"), 403, "EFORBIDDEN");
    expect(req("POST", w.analyst, NULL, "{\"role\":\"read\"}", "/v1/tokens"), 403, "EFORBIDDEN");
    r = req("GET", w.admin, NULL, NULL, "/v1/tokens");
    cr_assert_eq(r.status, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tokens")), 3);
    cr_assert(!strstr(r.body, "slt_"), "a secret in the list: %s", r.body);
    resp_free(&r);
    r = req("POST", w.admin, NULL, "{\"role\":\"read\",\"label\":\"made by the API\"}", "/v1/tokens");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char fresh[80], fid[16];
    snprintf(fresh, sizeof fresh, "%s", jstr(r.json, "token"));
    snprintf(fid, sizeof fid, "%s", member_str(r.json, "id"));
    resp_free(&r);
    expect(req("GET", fresh, NULL, NULL, "/v1/info"), 200, NULL);
    expect(req("DELETE", w.admin, NULL, NULL, "/v1/tokens/%s", fid), 200, NULL);
    expect(req("GET", fresh, NULL, NULL, "/v1/info"), 401, "EAUTH");
    expect(req("DELETE", w.admin, NULL, NULL, "/v1/tokens/%s", fid), 404, "ENOTFOUND");
    expect(req("POST", w.admin, NULL, "{\"role\":\"root\"}", "/v1/tokens"), 422, "EUSAGE");
    {   /* the database holds hashes, never a secret */
        run_result s = run_sh("grep -c slt_ %s/server.db", w.store);
        cr_assert_str_eq(s.out, "0\n", "server.db holds a secret");
        run_free(&s);
    }
    /* a token revoked from the command line stops working within a second or so */
    {
        char *t = token(w.store, "read");
        cJSON *l = sleuth_json("token list --store %s --json", w.store), *x, *last = NULL;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(l, "tokens")) last = x;
        long st = 401;
        for (int i = 0; i < 100 && st == 401; i++) { /* a token made by the CLI counts within a second */
            resp q = req("GET", t, NULL, NULL, "/v1/info");
            st = q.status;
            resp_free(&q);
            if (st == 401) usleep(50000);
        }
        cr_assert_eq(st, 200);
        run_result s = run_sleuth("token revoke --store %s %s", w.store, member_str(last, "id"));
        cr_assert_eq(s.status, 0, "%s", s.err);
        run_free(&s);
        cJSON_Delete(l);
        for (int i = 0; i < 100 && st == 200; i++) {
            resp q = req("GET", t, NULL, NULL, "/v1/info");
            st = q.status;
            resp_free(&q);
            if (st == 200) usleep(50000);
        }
        cr_assert_eq(st, 401);
        free(t);
    }

    /* what other processes write is served without a restart: a tag added by the CLI, and a
     * rollback of the Ethereum chain (a commit of the store, as the watcher's ingests are) */
    {
        long n0, n = 0;
        r = req("GET", w.reader, NULL, NULL, "/v1/tags?address=%s", w.exploiter);
        n0 = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tags"));
        resp_free(&r);
        run_result s = run_sleuth("tags add --store %s %s --label 'cli tag' --category exchange --source test_api",
                                  w.store, w.exploiter);
        cr_assert_eq(s.status, 0, "%s", s.err);
        run_free(&s);
        for (int i = 0; i < 100 && n != n0 + 1; i++) {
            r = req("GET", w.reader, NULL, NULL, "/v1/tags?address=%s", w.exploiter);
            n = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "tags"));
            resp_free(&r);
            if (n != n0 + 1) usleep(50000);
        }
        cr_assert_eq(n, n0 + 1, "the tag added by the CLI is not served");
        uint64_t lo = 0, hi = 0;
        r = req("GET", w.reader, NULL, NULL, "/v1/info");
        const cJSON *ch;
        cJSON_ArrayForEach(ch, cJSON_GetObjectItem(r.json, "chains"))
            if (!strcmp(jstr(ch, "chain"), "ethereum")) lo = jint(ch, "height_min"), hi = jint(ch, "height_max");
        resp_free(&r);
        cr_assert(hi > lo, "no ethereum blocks");
        expect(req("GET", w.reader, NULL, NULL, "/v1/block/%llu?chain=ethereum", (unsigned long long)hi), 200, NULL);
        s = run_sleuth("rollback --store %s --chain ethereum --to %llu", w.store, (unsigned long long)(lo + hi) / 2);
        cr_assert_eq(s.status, 0, "%s", s.err);
        run_free(&s);
        long st = 200;
        for (int i = 0; i < 100 && st == 200; i++) {
            r = req("GET", w.reader, NULL, NULL, "/v1/block/%llu?chain=ethereum", (unsigned long long)hi);
            st = r.status;
            resp_free(&r);
            if (st == 200) usleep(50000);
        }
        cr_assert_eq(st, 404, "the rolled-back block is still served");
    }

    /* routing: 404, 405 with Allow */
    expect(req("GET", w.reader, NULL, NULL, "/v1/nothing"), 404, "ENOTFOUND");
    r = req("GET", w.reader, NULL, NULL, "/v2/info"); /* outside /v1/: the UI's files, none of that name */
    cr_assert_eq(r.status, 404, "%s", r.body);
    cr_assert_str_eq(r.ctype, "text/html; charset=utf-8");
    resp_free(&r);
    r = req("DELETE", w.reader, NULL, NULL, "/v1/traces");
    cr_assert(has_header(&r, "Allow: POST"), "%s", r.headers);
    expect(r, 405, "EMETHOD");
    r = req("PUT", w.admin, NULL, NULL, "/v1/watchlists");
    cr_assert(has_header(&r, "Allow: GET, POST"), "%s", r.headers);
    expect(r, 405, "EMETHOD");

    unserve();
    check_openapi(&w, 80);
}

/* ---------------- api/web: the UI's files, cases, the HTML report ---------------- */

static const char UI_CSP[] = "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                             "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
                             "base-uri 'none'; frame-ancestors 'none'; form-action 'self'\r\n";

/* Starts `sleuth serve` without --quiet, logging to log, waits until the log has a line
 * with `want` in it while the server runs, and stops it. */
static void serve_says(const world *w, const char *extra, const char *log, const char *want)
{
    pid_t pid = spawn_sh("%s serve --store %s --listen 127.0.0.1:0 %s 2>%s", sleuth_bin(), w->store, extra, log);
    for (int i = 0; i < 400; i++) {
        int st;
        run_result r = run_sh("cat %s", log);
        bool seen = strstr(r.out, want) != NULL;
        cr_assert(waitpid(pid, &st, WNOHANG) == 0, "sleuth serve %s exited: %s", extra, r.out);
        run_free(&r);
        if (seen) {
            stop_group(pid, 5000);
            return;
        }
        usleep(25000);
    }
    stop_group(pid, 0);
    cr_assert_fail("sleuth serve %s: no line with '%s'", extra, want);
}

/* The edge of a graph (trace or export) whose key (source>target>tx:index) is key. */
static const cJSON *edge_by_key(const cJSON *edges, const char *key)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, edges) {
        char k[800];
        const cJSON *v = cJSON_GetObjectItem(x, "vout"), *f = cJSON_GetObjectItem(x, "flow");
        snprintf(k, sizeof k, "%s>%s>%s:%.0f", jstr(x, "source"), jstr(x, "target"), jstr(x, "tx"),
                 cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsNumber(f) ? f->valuedouble : -1);
        if (!strcmp(k, key)) return x;
    }
    return NULL;
}

Test(api, web_and_cases, .timeout = 900)
{
    world w;
    resp r;
    char web[600], body[4096], key[800], loc[200];
    const char *html = "<!doctype html><title>sleuth test UI</title><p>login</p>\n";
    build_world(&w);
    open_record(&w);

    /* a tiny built UI: index.html, a hashed asset, a link inside the folder; a secret beside it */
    snprintf(web, sizeof web, "%s/web", w.dir);
    cr_assert_eq(mkdir(web, 0755), 0);
    cr_assert_eq(mkdir(path_in(web, "assets"), 0755), 0);
    write_text(path_in(web, "index.html"), html);
    write_text(path_in(web, "assets/app-1234.js"), "export const x = 1;\n");
    const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n";
    write_text(path_in(web, "assets/logo.svg"), svg);
    write_text(path_in(w.dir, "secret.txt"), "not for the web\n");
    cr_assert_eq(symlink("index.html", path_in(web, "same.html")), 0);
    snprintf(body, sizeof body, "--threads 2 --web %s", web);
    serve(&w, body);
    r = req("GET", w.reader, NULL, NULL, "/v1/tx/%s", w.theft_tx); /* the exploiter: the theft's first output */
    cr_assert_eq(r.status, 200, "%s", r.body);
    snprintf(w.exploiter, sizeof w.exploiter, "%s", jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "outputs"), 0), "address"));
    resp_free(&r);

    /* "/" is index.html, with no token, and the headers of every static answer */
    r = req("GET", NULL, NULL, NULL, "/");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, html);
    cr_assert_str_eq(r.ctype, "text/html; charset=utf-8");
    cr_assert(has_header(&r, UI_CSP), "%s", r.headers);
    cr_assert(has_header(&r, "X-Content-Type-Options: nosniff"), "%s", r.headers);
    cr_assert(has_header(&r, "Referrer-Policy: no-referrer"), "%s", r.headers);
    cr_assert(has_header(&r, "Cache-Control: no-cache"), "%s", r.headers);
    resp_free(&r);
    r = req("GET", NULL, NULL, NULL, "/assets/app-1234.js");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "text/javascript; charset=utf-8");
    cr_assert_str_eq(r.body, "export const x = 1;\n");
    cr_assert(has_header(&r, "Cache-Control: public, max-age=31536000, immutable"), "%s", r.headers);
    cr_assert(has_header(&r, UI_CSP), "%s", r.headers);
    resp_free(&r);
    r = req("HEAD", NULL, NULL, NULL, "/assets/logo.svg");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "image/svg+xml");
    snprintf(loc, sizeof loc, "Content-Length: %zu\r\n", strlen(svg));
    cr_assert(has_header(&r, loc), "%s", r.headers);
    cr_assert(!r.body, "a body for HEAD");
    resp_free(&r);
    r = req("GET", NULL, NULL, NULL, "/same.html"); /* a link that stays inside is followed */
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, html);
    resp_free(&r);
    /* traversal and odd paths: refused, never the secret */
    static const char *const bad[] = {"/../secret.txt", "/assets/../index.html", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                                      "/assets/%2e%2e/%2e%2e/secret.txt", "/index.html%00.js", "/a%00", "/assets%5capp-1234.js",
                                      "/assets\\app-1234.js", "/./index.html", "/assets//app-1234.js", "/%zz", "/%4"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = req("GET", NULL, NULL, NULL, "%s", bad[i]);
        cr_assert_eq(r.status, 400, "%s: %ld %s", bad[i], r.status, r.body);
        cr_assert(!strstr(r.body, "not for the web"));
        cr_assert(has_header(&r, UI_CSP), "%s", r.headers);
        resp_free(&r);
    }
    r = req("GET", NULL, NULL, NULL, "/secret.txt");
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.ctype, "text/html; charset=utf-8");
    cr_assert(strstr(r.body, "Not found"), "%s", r.body);
    resp_free(&r);
    r = req("POST", NULL, "text/plain", "x", "/");
    cr_assert_eq(r.status, 405);
    cr_assert(has_header(&r, "Allow: GET, HEAD"), "%s", r.headers);
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/nothing"), 404, "ENOTFOUND"); /* /v1 stays JSON */
    expect(req("GET", NULL, NULL, NULL, "/v1"), 404, "ENOTFOUND");

    /* the incident report as HTML: its own CSP, no script */
    r = req("GET", w.reader, NULL, NULL, "/v1/incidents/%s/report?format=html", w.incident);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.ctype, "text/html; charset=utf-8");
    cr_assert(has_header(&r, "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:\r\n"), "%s",
              r.headers);
    cr_assert(!strncasecmp(r.body, "<!DOCTYPE html", 14), "%.100s", r.body);
    cr_assert(strstr(r.body, w.incident) && !strcasestr(r.body, "<script"));
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/incidents/%s/report?format=pdf", w.incident), 400, "EUSAGE");
    expect(req("GET", NULL, NULL, NULL, "/v1/incidents/%s/report?format=html", w.incident), 401, "EAUTH");

    /* cases: create (analyst), list, read, update with the version loaded, 409 on a stale one */
    snprintf(body, sizeof body, "{\"title\":\"  theft of %s  \",\"trace\":{\"tx\":\"%s:0\",\"max_hops\":2},\"state\":{\"zoom\":1.5}}",
             w.incident, w.theft_tx);
    expect(req("POST", w.reader, NULL, body, "/v1/cases"), 403, "EFORBIDDEN");
    expect(req("POST", NULL, NULL, body, "/v1/cases"), 401, "EAUTH");
    r = req("POST", w.analyst, NULL, body, "/v1/cases");
    cr_assert_eq(r.status, 201, "%s", r.body);
    const cJSON *cs = cJSON_GetObjectItem(r.json, "case");
    uint64_t id = jint(cs, "id");
    snprintf(loc, sizeof loc, "Location: /v1/cases/%llu\r\n", (unsigned long long)id);
    cr_assert(has_header(&r, loc), "%s", r.headers);
    snprintf(key, sizeof key, "theft of %s", w.incident);
    cr_assert_str_eq(jstr(cs, "title"), key, "the title is trimmed");
    cr_assert_eq(jint(cs, "version"), 1);
    cr_assert(!strncmp(jstr(cs, "author"), "token:", 6));
    snprintf(loc, sizeof loc, "%s:0", w.theft_tx);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cs, "trace"), "tx"), loc);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(cs, "state"), "zoom")->valuedouble, 1.5);
    resp_free(&r);
    r = req("POST", w.analyst, NULL, "{\"title\":\"second\",\"trace\":{\"address\":\"x\"}}", "/v1/cases");
    cr_assert_eq(r.status, 201, "%s", r.body);
    uint64_t id2 = jint(cJSON_GetObjectItem(r.json, "case"), "id");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "case"), "state")), 0, "state {} by default");
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/cases");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "cases")), 2);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "cases"), 0), "id"), id2, "newest first: %s", r.body);
    cr_assert(!cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "cases"), 0), "state"), "the list has no state");
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/cases?limit=1&offset=1");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "cases")), 1);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "cases"), 0), "id"), id);
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/cases/%llu", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(r.json, "case"), "title"), key);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"title\":\"renamed\",\"trace\":{\"tx\":\"%s:0\",\"max_hops\":2},\"state\":{},\"version\":1}", w.theft_tx);
    r = req("PUT", w.analyst, NULL, body, "/v1/cases/%llu", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(cJSON_GetObjectItem(r.json, "case"), "version"), 2);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(r.json, "case"), "title"), "renamed");
    resp_free(&r);
    r = req("PUT", w.analyst, NULL, body, "/v1/cases/%llu", (unsigned long long)id); /* version 1 again: stale */
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert(strstr(jstr(cJSON_GetObjectItem(r.json, "error"), "message"), "version 2"), "%s", r.body);
    expect(r, 409, "ECONFLICT");
    expect(req("PUT", w.reader, NULL, body, "/v1/cases/%llu", (unsigned long long)id), 403, "EFORBIDDEN");
    expect(req("PUT", w.analyst, NULL, body, "/v1/cases/999999"), 404, "ENOTFOUND");
    /* what a body may not be */
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\"},\"bogus\":1}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"title\":\"u\",\"trace\":{\"tx\":\"a\"}}", "/v1/cases"), 400, "EJSON");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"   \",\"trace\":{\"tx\":\"a\"}}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\",\"bogus\":1}}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\",\"address\":\"b\"}}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\",\"policy\":\"x\"}}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\"},\"state\":[]}", "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\"},\"state\":{\"expanded\":[{\"tx\":\"a\",\"address\":\"b\"}]}}",
               "/v1/cases"), 422, "EUSAGE");
    expect(req("POST", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\"},\"state\":{\"notes\":{\"nodes\":{\"n\":1}}}}",
               "/v1/cases"), 422, "EUSAGE");
    {
        char big[400];
        memset(big, 'x', 201), big[201] = 0;
        snprintf(body, sizeof body, "{\"title\":\"%s\",\"trace\":{\"tx\":\"a\"}}", big);
        expect(req("POST", w.analyst, NULL, body, "/v1/cases"), 422, "EUSAGE");
    }
    expect(req("PUT", w.analyst, NULL, "{\"title\":\"t\",\"trace\":{\"tx\":\"a\"},\"state\":{}}", "/v1/cases/%llu",
               (unsigned long long)id), 422, "EUSAGE"); /* no version */
    expect(req("GET", w.reader, NULL, NULL, "/v1/cases/abc"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/cases/999999"), 404, "ENOTFOUND");
    expect(req("DELETE", w.reader, NULL, NULL, "/v1/cases/%llu", (unsigned long long)id2), 403, "EFORBIDDEN");
    r = req("DELETE", w.analyst, NULL, NULL, "/v1/cases/%llu", (unsigned long long)id2);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(r.json, "deleted"), id2);
    resp_free(&r);
    expect(req("DELETE", w.analyst, NULL, NULL, "/v1/cases/%llu", (unsigned long long)id2), 404, "ENOTFOUND");

    /* an edge of the case's trace, to put a note on it: the theft's first hop */
    snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"max_hops\":2,\"graph\":true}", w.theft_tx);
    r = req("POST", w.reader, NULL, body, "/v1/traces");
    cr_assert_eq(r.status, 201, "%s", r.body);
    const cJSON *tedges = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "graph"), "edges"), *te, *first = NULL;
    int n_trace_edges = cJSON_GetArraySize(tedges);
    cJSON_ArrayForEach(te, tedges) if (!first && !strcmp(jstr(te, "tx"), w.theft_tx)) first = te;
    cr_assert(first, "no edge of the theft tx: %s", r.body);
    snprintf(key, sizeof key, "%s>%s>%s:%.0f", jstr(first, "source"), jstr(first, "target"), w.theft_tx,
             cJSON_GetObjectItem(first, "vout")->valuedouble);
    char hidden_id[300];
    snprintf(hidden_id, sizeof hidden_id, "%s", jstr(first, "target"));
    resp_free(&r);
    /* the case: notes on a node and on that edge (one that looks like a spreadsheet formula),
     * a hidden node, the exploiter expanded */
    snprintf(body, sizeof body,
             "{\"title\":\"renamed\",\"trace\":{\"tx\":\"%s:0\",\"max_hops\":2},\"version\":2,\"state\":{\"hidden\":[\"%s\"],"
             "\"expanded\":[{\"address\":\"%s\"}],\"notes\":{\"nodes\":{\"%s\":\"the theft\"},"
             "\"edges\":{\"%s\":\"=HYPERLINK(\\\"http://evil\\\",\\\"a,b\\\")\"}}}}",
             w.theft_tx, hidden_id, w.exploiter, w.theft_tx, key);
    r = req("PUT", w.analyst, NULL, body, "/v1/cases/%llu", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(cJSON_GetObjectItem(r.json, "case"), "version"), 3);
    resp_free(&r);

    /* it survives a restart */
    unserve();
    {
        struct stat st;
        cr_assert_eq(stat(path_in(w.store, "cases.db"), &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0600, "cases.db mode %o", st.st_mode & 0777);
    }
    snprintf(body, sizeof body, "--threads 2 --web %s", web);
    serve(&w, body);
    r = req("GET", w.reader, NULL, NULL, "/v1/cases/%llu", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(r.json, "case"), "title"), "renamed");
    cr_assert_eq(jint(cJSON_GetObjectItem(r.json, "case"), "version"), 3);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "case"), "state"),
                                                                  "notes"), "nodes"), w.theft_tx), "the theft");
    resp_free(&r);

    /* the export: the evidence of every edge */
    r = req("GET", w.reader, NULL, NULL, "/v1/cases/%llu/export", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    {
        const cJSON *edges = cJSON_GetObjectItem(r.json, "edges"), *nodes = cJSON_GetObjectItem(r.json, "nodes"), *x, *e;
        const cJSON *tips = cJSON_GetObjectItem(r.json, "tips"), *cons = cJSON_GetObjectItem(r.json, "conservation");
        bool base = false, expanded = false, tagged = false, addr_tagged = false, hid = false, noted = false;
        cr_assert_eq(jint(cJSON_GetObjectItem(r.json, "case"), "version"), 3);
        cr_assert(jint(r.json, "exported") > 1700000000);
        cr_assert_eq(strlen(jstr(cJSON_GetObjectItem(tips, "bitcoin"), "hash")), 64, "%s", r.body);
        cr_assert(jint(cJSON_GetObjectItem(tips, "ethereum"), "height") > 0);
        cr_assert_eq(jint(cons, "source"), 450290000000ull);
        cr_assert(cJSON_GetArraySize(edges) > n_trace_edges, "the expanded node adds edges: %d", cJSON_GetArraySize(edges));
        e = edge_by_key(edges, key);
        cr_assert(e, "no edge %s in the export", key);
        const cJSON *p = cJSON_GetObjectItem(e, "provenance");
        cr_assert_str_eq(jstr(p, "tx"), w.theft_tx, "the real txid");
        cr_assert_eq(jint(p, "vout"), jint(e, "vout"));
        cr_assert_str_eq(jstr(p, "chain"), "bitcoin");
        cr_assert_str_eq(jstr(p, "trace"), "base");
        cr_assert(strstr(jstr(p, "rule"), w.theft_tx) && strstr(jstr(p, "rule"), "haircut policy"), "%s", jstr(p, "rule"));
        cr_assert_str_eq(jstr(e, "note"), "=HYPERLINK(\"http://evil\",\"a,b\")");
        cJSON_ArrayForEach(x, edges) {
            const cJSON *q = cJSON_GetObjectItem(x, "provenance");
            cr_assert(strlen(jstr(q, "rule")) > 20 && strlen(jstr(q, "tx")) >= 64, "%s", cJSON_PrintUnformatted(x));
            base |= !strcmp(jstr(q, "trace"), "base");
            expanded |= !strcmp(jstr(q, "trace"), "expanded:0");
        }
        cr_assert(base && expanded);
        cJSON_ArrayForEach(x, nodes) { /* tags: the theft tx's own (incident pack), and an address's */
            const cJSON *tags = cJSON_GetObjectItem(x, "tags"), *t;
            bool tx = !strcmp(jstr(x, "type"), "tx");
            cJSON_ArrayForEach(t, tags) {
                cr_assert(jstr(t, "source") && jstr(t, "file") && jstr(t, "confidence"), "%s", cJSON_PrintUnformatted(t));
                if (tx && !strcmp(jstr(x, "id"), w.theft_tx)) tagged |= strstr(jstr(t, "label"), "theft") != NULL;
                if (!tx) addr_tagged = true;
            }
            if (cJSON_IsTrue(cJSON_GetObjectItem(x, "hidden"))) hid |= !strcmp(jstr(x, "id"), hidden_id);
            else cr_assert_str_neq(jstr(x, "id"), hidden_id);
            if (cJSON_IsString(cJSON_GetObjectItem(x, "note"))) noted |= !strcmp(jstr(x, "id"), w.theft_tx);
        }
        cr_assert(tagged, "the theft tx's node has no tag");
        cr_assert(addr_tagged, "no address node has a tag: %s", cJSON_PrintUnformatted(nodes));
        cr_assert(hid && noted);
    }
    resp_free(&r);
    r = req("GET", w.reader, NULL, NULL, "/v1/cases/%llu/export?format=csv", (unsigned long long)id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.ctype, "text/csv; charset=utf-8");
    snprintf(loc, sizeof loc, "Content-Disposition: attachment; filename=\"case-%llu.csv\"", (unsigned long long)id);
    cr_assert(has_header(&r, loc), "%s", r.headers);
    {
        const char *head = "source,target,chain,asset,amount,tx,index,time,rule,note\r\n";
        cr_assert(!strncmp(r.body, head, strlen(head)), "%.100s", r.body);
    }
    cr_assert(strstr(r.body, ",\"'=HYPERLINK(\"\"http://evil\"\",\"\"a,b\"\")\"\r\n"), "the note is not neutralised and quoted");
    cr_assert(!strstr(r.body, ",=HYPERLINK"));
    resp_free(&r);
    expect(req("GET", w.reader, NULL, NULL, "/v1/cases/%llu/export?format=xml", (unsigned long long)id), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/cases/999999/export"), 404, "ENOTFOUND");
    unserve();

    /* a folder without index.html: / says the UI is not built, and serve says so at start */
    {
        char empty[600], log[600], out[600];
        snprintf(empty, sizeof empty, "%s/noweb", w.dir);
        cr_assert_eq(mkdir(empty, 0755), 0);
        snprintf(body, sizeof body, "--threads 1 --web %s", empty);
        serve(&w, body);
        r = req("GET", NULL, NULL, NULL, "/");
        cr_assert_eq(r.status, 200);
        cr_assert(strstr(r.body, "not built") && strstr(r.body, "npm") && strstr(r.body, "make"), "%s", r.body);
        cr_assert(has_header(&r, UI_CSP), "%s", r.headers);
        resp_free(&r);
        r = req("GET", NULL, NULL, NULL, "/index.html");
        cr_assert_eq(r.status, 404);
        resp_free(&r);
        unserve();
        snprintf(log, sizeof log, "%s/noweb.log", w.dir);
        serve_says(&w, body, log, "web UI is not built");
        /* a folder that is not there, a link that leads out: serve refuses to start */
        run_result s = run_sleuth("serve --store %s --listen 127.0.0.1:0 --web %s/nothing-here", w.store, w.dir);
        cr_assert_eq(s.status, 1, "%s", s.err);
        cr_assert(strstr(s.err, "no such folder"), "%s", s.err);
        run_free(&s);
        snprintf(out, sizeof out, "%s/secret.txt", w.dir);
        cr_assert_eq(symlink(out, path_in(web, "leak.txt")), 0);
        s = run_sleuth("serve --store %s --listen 127.0.0.1:0 --web %s", w.store, web);
        cr_assert_eq(s.status, 2, "%s", s.err); /* what --web names is not usable */
        cr_assert(strstr(s.err, "leak.txt") && strstr(s.err, "leads out") && strstr(s.err, "refused"), "%s", s.err);
        run_free(&s);
    }
    check_openapi(&w, 40);
}

/* ---------------- api/robustness ---------------- */

/* Sends raw bytes on a new connection and returns the status of the answer (0: none). */
static int raw(const char *bytes, size_t n)
{
    int port = atoi(strrchr(BASE, ':') + 1), fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char buf[4096];
    ssize_t got;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10000) == 1 && (got = recv(fd, buf, sizeof buf - 1, 0)) > 12) {
        buf[got] = 0;
        status = atoi(buf + 9);
    }
    close(fd);
    return status;
}

Test(api, robustness, .timeout = 600)
{
    world w;
    resp r;
    char *before, *after, *big;
    build_world(&w);
    before = tree_digest(w.store);
    open_record(&w);
    serve(&w, "--threads 2 --timeout 2 --max-body 65536");

    /* bad paths */
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%%00abc"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%%zz"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/address/%%4"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/tx/.."), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/tx/%%2e%%2e"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/../../etc/passwd"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1//info"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/tx/a%%2Fb"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/search?q=%%00"), 400, "EUSAGE");
    expect(req("GET", w.reader, NULL, NULL, "/v1/a/b/c/d/e/f/g/h/i/j"), 404, "ENOTFOUND");
    {
        char *longp = malloc(6000);
        memset(longp, 'a', 5999), longp[5999] = 0;
        memcpy(longp, "/v1/tx/", 7);
        expect(req("GET", w.reader, NULL, NULL, "%s", longp), 414, "EURITOOLONG");
        free(longp);
    }
    /* bodies: malformed, duplicate keys, not an object, wrong type, too large, on a GET */
    expect(req("POST", w.reader, NULL, "{\"tx\":", "/v1/traces"), 400, "EJSON");
    expect(req("POST", w.reader, NULL, "{\"tx\":\"a\",\"tx\":\"b\"}", "/v1/traces"), 400, "EJSON");
    expect(req("POST", w.reader, NULL, "[1,2]", "/v1/detect"), 400, "EJSON");
    expect(req("POST", w.reader, NULL, "{} trailing", "/v1/detect"), 400, "EJSON");
    expect(req("POST", w.reader, NULL, "", "/v1/detect"), 400, "EJSON");
    expect(req("POST", w.reader, "text/plain", "{}", "/v1/detect"), 415, "EMEDIATYPE");
    expect(req("POST", w.reader, "application/jsonx", "{}", "/v1/detect"), 415, "EMEDIATYPE");
    expect(req("POST", w.reader, "application/json; charset=utf-8", "{}", "/v1/detect"), 422, "EUSAGE");
    expect(req("GET", w.reader, NULL, "{}", "/v1/info"), 400, "EUSAGE");
    big = malloc(200001);
    memset(big, ' ', 200000), big[0] = '{', big[199999] = '}', big[200000] = 0;
    expect(req("POST", w.reader, NULL, big, "/v1/detect"), 413, "ETOOLARGE");
    expect(req("POST", NULL, NULL, big, "/v1/detect"), 413, "ETOOLARGE");
    {   /* a chunked body (no Content-Length) that grows past the limit */
        char head[] = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n";
        size_t cap = strlen(head) + 300 + 80 * 4200, n = 0;
        char *msg = malloc(cap);
        n += (size_t)snprintf(msg + n, cap - n, "%sAuthorization: Bearer %s\r\n\r\n", head, w.reader);
        for (int i = 0; i < 80; i++) {
            n += (size_t)snprintf(msg + n, cap - n, "1000\r\n");
            memset(msg + n, ' ', 4096), n += 4096;
            n += (size_t)snprintf(msg + n, cap - n, "\r\n");
        }
        n += (size_t)snprintf(msg + n, cap - n, "0\r\n\r\n");
        cr_assert_eq(raw(msg, n), 413);
        free(msg);
    }
    free(big);
    /* garbage on the wire */
    {   /* MHD answers 400 or just closes; either way the server lives on */
        int st = raw("\x01\x02garbage\r\n\r\n", 13);
        cr_assert(st == 400 || st == 0, "status %d", st);
    }
    {
        char m[200];
        int n = snprintf(m, sizeof m, "GET /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", w.reader);
        cr_assert_eq(raw(m, (size_t)n), 200);
    }
    /* a huge header */
    {
        size_t n = 0, cap = 200000;
        char *m = malloc(cap);
        n += (size_t)snprintf(m, cap, "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
        memset(m + n, 'a', 100000), n += 100000;
        n += (size_t)snprintf(m + n, cap - n, "\r\n\r\n");
        int st = raw(m, n);
        cr_assert(st == 431 || st == 413 || st == 400 || st == 0, "status %d", st);
        free(m);
    }

    /* slowloris: one header byte a second; the server cuts it after --timeout 2 and answers
     * others meanwhile */
    {
        int port = atoi(strrchr(BASE, ':') + 1), fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        const char *slow = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        struct timespec t0, t1;
        bool closed = false;
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < strlen(slow) && !closed; i++) {
            char c;
            if (send(fd, slow + i, 1, MSG_NOSIGNAL) != 1) { closed = true; break; }
            /* others are served while it dribbles */
            expect(req("GET", NULL, NULL, NULL, "/v1/health"), 200, NULL);
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 1000) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0) closed = true;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cr_assert(closed, "the slow client was never cut off");
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        cr_assert(secs >= 1.5 && secs < 8, "cut off after %.1f s (timeout 2 s)", secs);
        close(fd);
    }
    r = req("GET", w.reader, NULL, NULL, "/v1/info");
    cr_assert_eq(r.status, 200);
    resp_free(&r);

    unserve();
    after = tree_digest(w.store);
    cr_assert_str_eq(after, before, "the store changed");
    free(before);
    free(after);
    check_openapi(&w, 25);
}

/* ---------------- api/limits ---------------- */

typedef struct par {
    char url[300], auth[200], body[300];
    long status;
    char headers[2048];
    size_t hlen;
} par;

static size_t par_header(char *p, size_t sz, size_t n, void *ctx)
{
    par *x = ctx;
    size_t k = sz * n;
    if (x->hlen + k < sizeof x->headers) memcpy(x->headers + x->hlen, p, k), x->hlen += k, x->headers[x->hlen] = 0;
    return k;
}

static size_t sink(char *p, size_t sz, size_t n, void *ctx) { (void)p, (void)ctx; return sz * n; }

/* n POSTs of body to path at once (curl multi): their statuses in v[]. */
static void parallel(par *v, int n, const char *tok, const char *path, const char *body)
{
    CURLM *m = curl_multi_init();
    CURL *e[64];
    struct curl_slist *h[64];
    int running;
    for (int i = 0; i < n; i++) {
        snprintf(v[i].url, sizeof v[i].url, "%s%s", BASE, path);
        snprintf(v[i].auth, sizeof v[i].auth, "Authorization: Bearer %s", tok);
        snprintf(v[i].body, sizeof v[i].body, "%s", body);
        e[i] = curl_easy_init();
        h[i] = curl_slist_append(curl_slist_append(NULL, v[i].auth), "Content-Type: application/json");
        curl_easy_setopt(e[i], CURLOPT_URL, v[i].url);
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h[i]);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, v[i].body);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(e[i], CURLOPT_HEADERFUNCTION, par_header);
        curl_easy_setopt(e[i], CURLOPT_HEADERDATA, &v[i]);
        curl_easy_setopt(e[i], CURLOPT_TIMEOUT, 120L);
        curl_multi_add_handle(m, e[i]);
    }
    do {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 1000, NULL);
    } while (running);
    for (int i = 0; i < n; i++) {
        curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &v[i].status);
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(h[i]);
    }
    curl_multi_cleanup(m);
}

Test(api, limits, .timeout = 600)
{
    world w;
    resp r;
    char body[300];
    int n429 = 0;
    build_world(&w);
    open_record(&w);

    /* rate: 2 a second, a bucket of 5 */
    serve(&w, "--threads 2 --rate 2 --burst 5");
    for (int i = 0; i < 12; i++) {
        r = req("GET", w.analyst, NULL, NULL, "/v1/health"); /* no token: no bucket */
        cr_assert_eq(r.status, 200);
        resp_free(&r);
    }
    for (int i = 0; i < 12; i++) {
        r = req("GET", w.admin, NULL, NULL, "/v1/tokens");
        if (r.status == 429) {
            n429++;
            cr_assert(has_header(&r, "Retry-After: "), "%s", r.headers);
            expect(r, 429, "ERATE");
        } else {
            cr_assert_eq(r.status, 200, "%s", r.body);
            resp_free(&r);
        }
    }
    cr_assert(n429 >= 5, "%d of 12 quick requests were refused with a bucket of 5", n429);
    /* another token has its own bucket */
    expect(req("GET", w.reader, NULL, NULL, "/v1/info"), 200, NULL);
    unserve();

    /* the deadline (1 ms) ends a detect: 504 */
    serve(&w, "--threads 2 --deadline-ms 1");
    snprintf(body, sizeof body, "{\"incident\":\"%s\"}", w.incident);
    expect(req("POST", w.reader, NULL, body, "/v1/detect"), 504, "ETIMEOUT");
    snprintf(body, sizeof body, "{\"tx\":\"%s:0\",\"max_hops\":1000}", w.theft_tx);
    r = req("POST", w.reader, NULL, body, "/v1/traces");
    cr_assert(r.status == 504 || r.status == 201, "%s", r.body);
    resp_free(&r);
    unserve();

    /* the queue of slow queries: one worker, one place; the rest get 503 at once */
    serve(&w, "--threads 1 --queue 1");
    {
        par v[16];
        int ok = 0, busy = 0;
        memset(v, 0, sizeof v);
        snprintf(body, sizeof body, "{\"incident\":\"%s\"}", w.incident);
        parallel(v, 16, w.reader, "/v1/detect", body);
        for (int i = 0; i < 16; i++) {
            if (v[i].status == 200) ok++;
            else if (v[i].status == 503) {
                busy++;
                cr_assert(strcasestr(v[i].headers, "Retry-After: 1"), "%s", v[i].headers);
            } else cr_assert_fail("status %ld", v[i].status);
        }
        cr_assert(ok >= 1 && busy >= 1, "%d answered, %d refused", ok, busy);
        /* quick requests were never queued */
        expect(req("GET", w.reader, NULL, NULL, "/v1/info"), 200, NULL);
    }
    r = req("GET", w.reader, NULL, NULL, "/v1/health");
    resp_free(&r);
    unserve();

    /* --listen: a malformed one is refused before anything starts */
    {
        run_result s = run_sleuth("serve --store %s --listen 127.0.0.1", w.store);
        cr_assert_eq(s.status, 2, "%s", s.err);
        run_free(&s);
        s = run_sleuth("serve --store %s --listen 999.1.1.1:80", w.store);
        cr_assert_eq(s.status, 2, "%s", s.err);
        run_free(&s);
        s = run_sleuth("serve --store %s/nothing --listen 127.0.0.1:0", w.dir);
        cr_assert_eq(s.status, 1, "%s", s.err);
        run_free(&s);
    }
    check_openapi(&w, 20);
}

/* ---------------- api/snapshot: what the server's threads rely on ---------------- */

/* A reader that looked at an account chain and then moves to the latest commit
 * (sl_store_snapshot, as every server thread does when the store changed) still finds its
 * blocks: LMDB closes a database handle opened in a read txn when the txn is reset, and the
 * account chains' block-number database was opened that way (every look-up by number then
 * failed after the first snapshot). */
#include "sleuth/report.h"
#include "sleuth/store.h"

Test(api, snapshot_account_chain, .timeout = 300)
{
    const char *d = gen_world_store("dmm", 5, 200);
    char store[512];
    sl_store *s = NULL;
    sl_error e = {0};
    uint32_t idx;
    snprintf(store, sizeof store, "%s/s", d);
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert(sl_eth_chain_with_block(s, "ethereum", NULL, 20000010, &idx), "before the snapshot");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(sl_store_snapshot(s, &e), SL_OK, "%s", e.msg);
        cr_assert(sl_eth_chain_with_block(s, "ethereum", NULL, 20000010, &idx), "after snapshot %d", i + 1);
        cr_assert(sl_eth_chain_with_block(s, NULL, NULL, 20000001, &idx), "after snapshot %d (any chain)", i + 1);
    }
    sl_store_close(s);
}

/* A reader keeps reading its snapshot while another process rolls the store back (the
 * watcher on a reorg, beside `sleuth serve`): the writer must not cut the column files
 * under the reader's mappings (that was a SIGBUS in the server, caught under ASan), and the
 * reader's next snapshot no longer sees the removed blocks. */
Test(api, rollback_under_reader, .timeout = 300)
{
    const char *d = gen_world_store("dmm", 6, 200);
    char store[512];
    sl_store *s = NULL;
    sl_error e = {0};
    sl_report_req rq = {0};
    cJSON *j = NULL;
    uint32_t idx;
    run_result r;
    snprintf(store, sizeof store, "%s/s", d);
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert(sl_eth_chain_with_block(s, "ethereum", NULL, 20000090, &idx), "the top block");
    rq.arg = "20000090", rq.chain = "ethereum", rq.model = SL_MODEL_ACCOUNT, rq.limit = 10;
    r = run_sleuth("rollback --store %s --chain ethereum --to 20000010 --quiet", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("rollback --store %s --chain btc --to 10 --quiet", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    /* the old snapshot still reads (every record of the top block: its txs, their flows) */
    cr_assert_eq(sl_report_block_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    cJSON_Delete(j), j = NULL;
    rq.arg = "90", rq.chain = NULL, rq.model = SL_MODEL_UTXO;
    cr_assert_eq(sl_report_block_json(s, &j, &rq, &e), SL_OK, "%s", e.msg);
    cJSON_Delete(j), j = NULL;
    cr_assert_eq(sl_store_snapshot(s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_report_block_json(s, &j, &rq, &e), SL_ENOTFOUND, "block 90 after the rollback");
    cr_assert(sl_eth_chain_with_block(s, "ethereum", NULL, 20000010, &idx));
    cr_assert(!sl_eth_chain_with_block(s, "ethereum", NULL, 20000011, &idx));
    sl_store_close(s);
}
