/* jsonrpc.c — the JSON-RPC-over-HTTP transport of sleuth/jsonrpc.h (libcurl easy handle,
 * one per client, reused across calls so the connection is kept alive). */
#include "sleuth/jsonrpc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sleuth/util.h"

struct sl_jsonrpc {
    CURL *curl;
    char *url;
    char shown[300];
    sl_jsonrpc_opts o;
    sl_buf body;
    unsigned id;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sl_jsonrpc *r = ud;
    if (r->body.len + sz * n > r->o.max_answer) return 0;
    return sl_buf_append(&r->body, p, sz * n) ? 0 : sz * n;
}

int sl_jsonrpc_open(sl_jsonrpc **out, const char *url, const sl_jsonrpc_opts *opts, sl_error *e)
{
    sl_jsonrpc *r;
    const char *at, *scheme;
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) return sl_err(e, SL_EIO, "libcurl cannot start");
    if (!(r = sl_calloc(1, sizeof *r)) || !(r->url = sl_strdup(url))) {
        sl_free(r);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    if (opts) r->o = *opts;
    if (!r->o.max_answer) r->o.max_answer = (size_t)64 << 20;
    if (!r->o.timeout_s) r->o.timeout_s = 60;
    if (!r->o.tries) r->o.tries = 1;
    at = strchr(url, '@'), scheme = strstr(url, "://");
    if (at && scheme && at > scheme) snprintf(r->shown, sizeof r->shown, "%.*s%s", (int)(scheme + 3 - url), url, at + 1);
    else snprintf(r->shown, sizeof r->shown, "%s", url);
    if (!(r->curl = curl_easy_init())) {
        sl_jsonrpc_close(r);
        return sl_err(e, SL_EIO, "libcurl cannot start");
    }
    *out = r;
    return SL_OK;
}

void sl_jsonrpc_close(sl_jsonrpc *r)
{
    if (!r) return;
    if (r->curl) curl_easy_cleanup(r->curl);
    sl_buf_free(&r->body);
    sl_free(r->url);
    sl_free(r);
}

const char *sl_jsonrpc_url(const sl_jsonrpc *r) { return r->shown; }

/* One HTTP exchange of req; the answer in r->body. */
static int post(sl_jsonrpc *r, const char *req, const char *method, sl_error *e)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    long code = 0;
    CURLcode cc;
    r->body.len = 0;
    curl_easy_setopt(r->curl, CURLOPT_URL, r->url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, r->o.timeout_s);
    curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    cc = curl_easy_perform(r->curl);
    curl_slist_free_all(h);
    if (cc == CURLE_WRITE_ERROR && r->body.len + 1 > r->o.max_answer)
        return sl_err(e, SL_EIO, "%s: %s: the answer is larger than %zu bytes", r->shown, method, r->o.max_answer);
    if (cc != CURLE_OK) return sl_err(e, SL_EIO, "%s: %s: %s", r->shown, method, curl_easy_strerror(cc));
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 400 && code != 500 && code != 404) return sl_err(e, SL_EIO, "%s: %s: HTTP status %ld", r->shown, method, code);
    return SL_OK;
}

int sl_jsonrpc_call(sl_jsonrpc *r, const char *method, const char *params, const char **body, size_t *len,
                    sl_error *e)
{
    sl_buf req = {0};
    int rc = SL_EIO;
    *body = NULL, *len = 0;
    if (sl_buf_printf(&req, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\",\"params\":%s}", ++r->id, method, params) ||
        sl_buf_append(&req, "", 1)) {
        sl_buf_free(&req);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    for (unsigned attempt = 0; attempt < r->o.tries; attempt++) {
        sl_error pe = {0};
        if (attempt) {
            struct timespec ts = {attempt == 1 ? 0 : 1, attempt == 1 ? 200000000L : 0};
            nanosleep(&ts, NULL);
        }
        if ((rc = post(r, (const char *)req.p, method, &pe)) == SL_OK) break;
        *e = pe;
    }
    sl_buf_free(&req);
    if (rc) return rc;
    if (sl_buf_append(&r->body, "", 1)) return sl_err(e, SL_ENOMEM, "out of memory");
    r->body.len--;
    *body = (const char *)r->body.p;
    *len = r->body.len;
    return SL_OK;
}
