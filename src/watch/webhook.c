/* webhook.c — delivers alerts to the user's webhook: every alert and retraction the
 * watcher commits is queued in the outbox table of watch.db in the same transaction, and
 * POSTed from there (oldest first) with its exact stored JSON document as the body and
 *   Content-Type: application/json
 *   X-Sleuth-Signature: sha256=<hex of HMAC-SHA256(secret, body)>   (when a secret is set)
 *   X-Sleuth-Idempotency-Key: <the alert's key>
 *   X-Sleuth-Alert-Id: <its id in watch.db>
 * A 2xx answer removes it from the outbox; anything else (no answer, 4xx, 5xx) leaves it
 * queued and tried again with exponential backoff (1 s doubling to 300 s), also after a
 * restart. Delivery is at least once: a kill between the receiver's 2xx and the outbox
 * delete sends it again with the same idempotency key (docs/WATCH.md).
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
    char line[200], sig[72];
    long code = 0;
    CURLcode cc;
    h = curl_slist_append(h, "Content-Type: application/json");
    if (secret && *secret) {
        wh_signature(sig, secret, body, strlen(body));
        snprintf(line, sizeof line, "X-Sleuth-Signature: %s", sig);
        h = curl_slist_append(h, line);
    }
    snprintf(line, sizeof line, "X-Sleuth-Idempotency-Key: %.160s", key);
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

int wh_flush(sl_watch *w, const char *url, const char *secret, bool quiet, uint64_t *pending, sl_error *e)
{
    sqlite3_stmt *sel = NULL, *ok = NULL, *bad = NULL, *cnt = NULL;
    CURL *c = NULL;
    int rc, s;
    double now = sl_now();
    *pending = 0;
    if ((rc = wdb_prep(w, &sel, "SELECT o.alert, a.key, a.doc, o.attempts FROM outbox o JOIN alert a ON a.id = o.alert"
                                " WHERE o.next_try <= ? ORDER BY o.alert LIMIT 200", e)) ||
        (rc = wdb_prep(w, &ok, "DELETE FROM outbox WHERE alert = ?", e)) ||
        (rc = wdb_prep(w, &bad, "UPDATE outbox SET attempts = attempts + 1, next_try = ?, last_error = ? WHERE alert = ?", e)) ||
        (rc = wdb_prep(w, &cnt, "SELECT count(*) FROM outbox", e)))
        goto out;
    sqlite3_bind_double(sel, 1, now);
    if (!(c = curl_easy_init())) { rc = sl_err(e, SL_EIO, "libcurl cannot start"); goto out; }
    while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(sel, 0);
        int attempts = sqlite3_column_int(sel, 3);
        sl_error de = {0};
        if (deliver(c, url, secret, (const char *)sqlite3_column_text(sel, 1), id, (const char *)sqlite3_column_text(sel, 2),
                    &de) == SL_OK) {
            sqlite3_reset(ok);
            sqlite3_bind_int64(ok, 1, id);
            if (sqlite3_step(ok) != SQLITE_DONE) { rc = wdb_fail(w, "outbox", e); goto out; }
        } else {
            double wait = attempts >= 8 ? 300 : (double)(1u << attempts);
            if (wait > 300) wait = 300;
            if (!quiet) fprintf(stderr, "sleuth watch: webhook %s: alert %lld: %s (try %d, again in %.0f s)\n", url,
                                (long long)id, de.msg, attempts + 1, wait);
            sqlite3_reset(bad);
            sqlite3_bind_double(bad, 1, now + wait);
            sqlite3_bind_text(bad, 2, de.msg, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(bad, 3, id);
            if (sqlite3_step(bad) != SQLITE_DONE) { rc = wdb_fail(w, "outbox", e); goto out; }
            /* the endpoint is down: later rows would fail the same way; keep their order */
            break;
        }
    }
    if (sqlite3_step(cnt) == SQLITE_ROW) *pending = (uint64_t)sqlite3_column_int64(cnt, 0);
out:
    if (c) curl_easy_cleanup(c);
    sqlite3_finalize(sel);
    sqlite3_finalize(ok);
    sqlite3_finalize(bad);
    sqlite3_finalize(cnt);
    return rc;
}
