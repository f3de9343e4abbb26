/* fuzz_http.c — libFuzzer target for the HTTP API's request handling without sockets: the
 * router (src/server/router.c: target splitting and percent-decoding, routing, auth, roles,
 * rate, content type, the strict JSON body) and every handler behind it.
 *
 * Input: fields separated by '\n' — method, request target (path and query, raw), a token
 * choice ("A" admin, "N" analyst, "R" read, "" none, anything else is sent as the token
 * itself), Content-Type, then the body (the rest, bytes as they are).
 *
 * The server state is made once: a temp folder with three tokens (server.db), or, when
 * $FUZZ_HTTP_STORE names a store (a copy: POST /v1/tags, /v1/tokens and /v1/cases write to
 * it), that store, so the handlers run on real data; and a small web UI folder (index.html,
 * assets, a nested folder, a link inside it) read by the static file table (static.c).
 *
 * A target outside /v1/ goes to the static table (srv_web_answer), as http.c sends it:
 * the status is 200, 400, 404 or 405; a file is answered only for GET and HEAD, only when
 * the path decodes cleanly (no "." or ".." segment, backslash or NUL) and only the file of
 * exactly that path ("/": index.html). Anything else goes through the router: the status
 * is one the API documents; a JSON answer parses, an error status carries {"error":
 * {"code", "message"}} and a success none; the other answers (the HTML report, the CSV
 * export) are not empty and the CSV starts with its header. Nothing leaks or trips
 * ASan/UBSan. Seeds: fuzz/corpus/http.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"
#include "sleuth/util.h"

static sl_srv SRV;
static sl_srv_ctx CTX;
static char TOK[3][80];

static void setup(void)
{
    const char *store = getenv("FUZZ_HTTP_STORE");
    static const char *const roles[3] = {"admin", "analyst", "read"};
    sl_error e = {0};
    if (store) {
        snprintf(SRV.store_dir, sizeof SRV.store_dir, "%s", store);
    } else {
        char tmpl[] = "/tmp/fuzz-http-XXXXXX";
        if (!mkdtemp(tmpl)) abort();
        snprintf(SRV.store_dir, sizeof SRV.store_dir, "%s", tmpl);
    }
    for (int i = 0; i < 3; i++) {
        char *secret = NULL;
        cJSON *j = NULL;
        if (sl_token_create(SRV.store_dir, roles[i], "fuzz", &secret, &j, &e)) abort();
        snprintf(TOK[i], sizeof TOK[i], "Bearer %s", secret);
        sl_free(secret);
        cJSON_Delete(j);
    }
    SRV.o.store_dir = SRV.store_dir;
    SRV.o.threads = 1;
    SRV.o.max_body = 1 << 20;
    SRV.o.rate = 1e9, SRV.o.burst = 1e9;
    SRV.o.max_nodes = 2000;
    SRV.o.deadline_ms = 2000;
    if (srv_auth_open(&SRV.auth, SRV.store_dir, &e) || srv_rl_open(&SRV.rl, SRV.o.rate, SRV.o.burst) ||
        srv_traces_open(&SRV.traces))
        abort();
    {   /* the UI's files */
        static const char *const files[] = {"index.html", "assets/app-1.js", "assets/app-1.css", "assets/deep/x.wasm",
                                            "favicon.ico", ".hidden"};
        char web[] = "/tmp/fuzz-web-XXXXXX", p[200];
        if (!mkdtemp(web)) abort();
        snprintf(p, sizeof p, "%s/assets", web), mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/assets/deep", web), mkdir(p, 0755);
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            FILE *f;
            snprintf(p, sizeof p, "%s/%s", web, files[i]);
            if (!(f = fopen(p, "w"))) abort();
            fprintf(f, "%s\n", files[i]);
            fclose(f);
        }
        snprintf(p, sizeof p, "%s/same.html", web);
        if (symlink("index.html", p)) abort();
        if (srv_web_open(&SRV.web, web, true, &e)) abort();
    }
    CTX.srv = &SRV;
}

/* The static table's answer to a target outside /v1/, checked against what it may be. */
static void check_static(const char *method, const char *uri)
{
    char path[SRV_MAX_URI + 1];
    const char *file;
    unsigned status = 0;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), clean = srv_web_path(uri, path, sizeof path);
    if (!srv_web_answer(SRV.web, method, uri, &status, &file)) abort();
    if (!get) {
        if (status != 405 || file) abort();
        return;
    }
    if (!clean) {
        if (status != 400 || file) abort();
        return;
    }
    if (strstr(path, "/../") || strstr(path, "/./") || strchr(path, '\\') || strstr(path, "//")) abort();
    if (status == 200 && file && strcmp(file, path) && !(strcmp(path, "/") == 0 && !strcmp(file, "/index.html"))) abort();
    if (status == 200 && !file) abort(); /* the UI is built here: "/" is index.html */
    if (status != 200 && status != 404) abort();
}

static const char *field(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p != '\n') {
        if (n + 1 < cap) out[n++] = (char)**p;
        (*p)++;
    }
    if (*p < end) (*p)++;
    out[n] = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static const unsigned ok[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 429, 500, 503, 504};
    char method[16], uri[SRV_MAX_URI + 200], tok[120], ctype[120];
    const uint8_t *p = data, *end = data + size;
    sl_srv_req *req;
    sl_srv_resp resp = {0};
    bool known = false;
    if (!ready) setup(), ready = true;
    if (!(req = calloc(1, sizeof *req))) return 0;
    field(&p, end, method, sizeof method);
    field(&p, end, uri, sizeof uri);
    field(&p, end, tok, sizeof tok);
    field(&p, end, ctype, sizeof ctype);
    req->method = method;
    req->uri = uri;
    req->auth = !strcmp(tok, "A") ? TOK[0] : !strcmp(tok, "N") ? TOK[1] : !strcmp(tok, "R") ? TOK[2] : tok[0] ? tok : NULL;
    req->content_type = ctype[0] ? ctype : NULL;
    req->body = (const char *)p;
    req->body_len = (size_t)(end - p);
    req->deadline_ns = srv_now_ns() + 2000000000u;
    if (!srv_is_api(uri)) {
        check_static(method, uri);
        free(req);
        return 0;
    }
    sl_srv_handle(&CTX, req, &resp);
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) known |= resp.status == ok[i];
    if (!known || !resp.body) abort();
    if (resp.ctype) { /* the HTML report, the CSV export: only as successes */
        if (resp.status != 200 || !resp.len) abort();
        if (!strncmp(resp.ctype, "text/csv", 8) && strncmp(resp.body, "source,target,", 14)) abort();
        sl_srv_req_done(req);
        sl_srv_resp_free(&resp);
        free(req);
        return 0;
    }
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.len);
    if (!j) abort();
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (resp.status >= 400 && (!cJSON_IsObject(err) || !cJSON_IsString(cJSON_GetObjectItem(err, "code")) ||
                               !cJSON_IsString(cJSON_GetObjectItem(err, "message"))))
        abort();
    if (resp.status < 300 && err && !cJSON_IsNull(err) && cJSON_IsObject(err) && cJSON_GetObjectItem(err, "code")) abort();
    cJSON_Delete(j);
    sl_srv_req_done(req);
    sl_srv_resp_free(&resp);
    free(req);
    return 0;
}
