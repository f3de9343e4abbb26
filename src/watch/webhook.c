/* webhook.c — delivers alerts to the user's webhook: every alert and retraction the
 * watcher commits is queued in the outbox table of watch.db in the same transaction, and
 * POSTed from there (oldest first) with its exact stored JSON document as the body and
 *   Content-Type: application/json
 *   X-Sleuth-Signature: sha256=<hex of HMAC-SHA256(secret, body)>   (when a secret is set)
 *   X-Sleuth-Idempotency-Key: <the alert's key>
 *   X-Sleuth-Alert-Id: <its id in watch.db>
 * Every alert is queued, whether a webhook is configured or not, so a run without one, or
 * with one that is down, leaves them for the next run with one. A 2xx answer marks the row
 * delivered (delivered_at, the URL: never sent again, to that or another URL); anything
 * else (no answer, 4xx, 5xx) leaves it queued and tried again with exponential backoff (1 s
 * doubling to 300 s), also after a restart. Rows go out strictly in alert order (a
 * retraction after its alert): a failed row holds back every later one. Delivery is at
 * least once: a kill between the receiver's 2xx and the commit of delivered_at sends it
 * again with the same idempotency key (docs/WATCH.md).
 */
#include "watch_int.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <time.h>

void wh_signature(char out[72], const char *secret, const char *body, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    memcpy(out, "sha256=", 7);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &n) || n != 32) {
        out[7] = 0;
        return;
    }
    sl_hex_encode(out + 7, mac, 32);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p, (void)ud;
    return sz * n;
}

/* POSTs one document; SL_OK on a 2xx answer, else SL_EIO with the reason in e. */
static int deliver(CURL *c, const char *url, const char *secret, const char *key, int64_t id, const char *body, sl_error *e)
{
    struct curl_slist *h = NULL;
    char line[400], sig[72];
    long code = 0;
    CURLcode cc;
    h = curl_slist_append(h, "Content-Type: application/json");
    if (secret && *secret) {
        wh_signature(sig, secret, body, strlen(body));
        snprintf(line, sizeof line, "X-Sleuth-Signature: %s", sig);
        h = curl_slist_append(h, line);
    }
    snprintf(line, sizeof line, "X-Sleuth-Idempotency-Key: %.360s", key);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "X-Sleuth-Alert-Id: %lld", (long long)id);
    h = curl_slist_append(h, line);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (cc != CURLE_OK) return sl_err(e, SL_EIO, "%s", curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) return sl_err(e, SL_EIO, "HTTP status %ld", code);
    return SL_OK;
}

/* Wall-clock seconds: the outbox's times outlive the process (a monotonic clock does not). */
static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* url without its userinfo and query (what watch.db records of where a row went: a
 * secret in the URL stays out of it). */
static void url_public(char *out, size_t cap, const char *url)
{
    const char *scheme = strstr(url, "://"), *host = scheme ? scheme + 3 : url, *at, *slash;
    size_t n;
    slash = host + strcspn(host, "/?#");
    at = memchr(host, '@', (size_t)(slash - host));
    n = scheme ? (size_t)(host - url) : 0;
    snprintf(out, cap, "%.*s%.*s", (int)n, url, (int)strcspn(at ? at + 1 : host, "?#"), at ? at + 1 : host);
}

int wh_due_now(sl_watch *w, sl_error *e)
{
    return wdb_exec(w, "UPDATE outbox SET next_attempt = 0 WHERE delivered_at IS NULL AND next_attempt > 0", e);
}

int wh_flush(sl_watch *w, const char *url, const char *secret, bool quiet, uint64_t *pending, sl_error *e)
{
    sqlite3_stmt *sel = NULL, *doc = NULL, *ok = NULL, *bad = NULL, *cnt = NULL;
    CURL *c = NULL;
    int rc;
    size_t n = 0;
    double now = wall_now();
    char where[600];
    struct { int64_t id; int attempts; } due[200];
    *pending = 0;
    url_public(where, sizeof where, url);
    if ((rc = wdb_prep(w, &sel, "SELECT alert, attempts, next_attempt FROM outbox WHERE delivered_at IS NULL"
                                " ORDER BY alert LIMIT 200", e)) ||
        (rc = wdb_prep(w, &doc, "SELECT key, doc FROM alert WHERE id = ?", e)) ||
        (rc = wdb_prep(w, &ok, "UPDATE outbox SET delivered_at = ?, webhook = ?, attempts = attempts + 1, last_error = NULL"
                               " WHERE alert = ?", e)) ||
        (rc = wdb_prep(w, &bad, "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE alert = ?", e)) ||
        (rc = wdb_prep(w, &cnt, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL", e)))
        goto out;
    /* the due rows from the oldest on, stopping at the first that is not due: nothing
     * overtakes an older row (the rows are read before any is changed) */
    while (n < sizeof due / sizeof *due && sqlite3_step(sel) == SQLITE_ROW && sqlite3_column_double(sel, 2) <= now) {
        due[n].id = sqlite3_column_int64(sel, 0);
        due[n++].attempts = sqlite3_column_int(sel, 1);
    }
    sqlite3_reset(sel);
    if (n && !(c = curl_easy_init())) { rc = sl_err(e, SL_EIO, "libcurl cannot start"); goto out; }
    for (size_t i = 0; i < n; i++) {
        sl_error de = {0};
        int dr;
        sqlite3_reset(doc);
        sqlite3_bind_int64(doc, 1, due[i].id);
        if (sqlite3_step(doc) != SQLITE_ROW) { rc = wdb_fail(w, "outbox: read alert", e); goto out; }
        dr = deliver(c, url, secret, (const char *)sqlite3_column_text(doc, 0), due[i].id,
                     (const char *)sqlite3_column_text(doc, 1), &de);
        sqlite3_reset(doc);
        if (dr == SL_OK) {
            sqlite3_reset(ok);
            sqlite3_bind_int64(ok, 1, (int64_t)wall_now());
            sqlite3_bind_text(ok, 2, where, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ok, 3, due[i].id);
            if (sqlite3_step(ok) != SQLITE_DONE) { rc = wdb_fail(w, "outbox", e); goto out; }
        } else {
            int a = due[i].attempts;
            double wait = a >= 8 ? 300 : (double)(1u << a);
            if (wait > 300) wait = 300;
            if (!quiet) fprintf(stderr, "sleuth watch: webhook %s: alert %lld: %s (try %d, again in %.0f s)\n", where,
                                (long long)due[i].id, de.msg, a + 1, wait);
            sqlite3_reset(bad);
            sqlite3_bind_double(bad, 1, now + wait);
            sqlite3_bind_text(bad, 2, de.msg, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(bad, 3, due[i].id);
            if (sqlite3_step(bad) != SQLITE_DONE) { rc = wdb_fail(w, "outbox", e); goto out; }
            /* the endpoint is down: later rows would fail the same way; keep their order */
            break;
        }
    }
    if (sqlite3_step(cnt) == SQLITE_ROW) *pending = (uint64_t)sqlite3_column_int64(cnt, 0);
out:
    if (c) curl_easy_cleanup(c);
    sqlite3_finalize(sel);
    sqlite3_finalize(doc);
    sqlite3_finalize(ok);
    sqlite3_finalize(bad);
    sqlite3_finalize(cnt);
    return rc;
}
