/* watch_int.h — private interfaces of the watch module (src/watch/): the watch.db handle
 * and its helpers (watchdb.c), the JSON-RPC client of the nodes and the parsers of their
 * answers (rpc.c), the per-block matcher (match.c) and the webhook sender (webhook.c).
 * The watcher itself (follow.c) ties them together; docs/WATCH.md describes the protocol.
 */
#ifndef SLEUTH_WATCH_INT_H
#define SLEUTH_WATCH_INT_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "sleuth/err.h"
#include "sleuth/store.h"
#include "sleuth/util.h"
#include "sleuth/watch.h"

struct sl_watch {
    sqlite3 *db;
    bool writer;
    char path[PATH_MAX];
};

/* ---- watchdb.c ---- */
/* An SQLite failure of w as SL_ESTORE naming watch.db and what was being done. */
int wdb_fail(sl_watch *w, const char *what, sl_error *e);
/* Runs SQL text without results. */
int wdb_exec(sl_watch *w, const char *sql, sl_error *e) SL_MUST_USE;
/* Prepares sql (SL_ESTORE on failure). */
int wdb_prep(sl_watch *w, sqlite3_stmt **st, const char *sql, sl_error *e) SL_MUST_USE;
/* Base units of decimal text `amount` in a coin of `decimals` decimals; false when it is
 * not a plain non-negative decimal with at most that many decimals, or above 2^128 - 1. */
bool wdb_amount_parse(const char *amount, int decimals, unsigned __int128 *out);
/* Decimal text of v (out: 40 bytes). */
void wdb_u128_dec(char out[40], unsigned __int128 v);
/* Parses decimal text of at most 39 digits (false otherwise). */
bool wdb_u128_parse(const char *s, unsigned __int128 *v);
/* Inserts an alert or retraction row with this idempotency key (INSERT OR IGNORE) and, when
 * it is new, its outbox row (queued for the webhook, configured or not). doc: the JSON
 * document, whose "id" is filled here; *inserted says whether the key was new. Inside the
 * caller's transaction. */
int wdb_alert_put(sl_watch *w, cJSON *doc, const char *key, bool *inserted, sl_error *e) SL_MUST_USE;

/* ---- rpc.c: JSON-RPC over HTTP (libcurl) ---- */
typedef struct sl_jsonrpc wrpc; /* sleuth/jsonrpc.h, opened with the watcher's options */
/* A client of url (credentials in the URL's userinfo are sent as HTTP basic auth). */
int wrpc_open(wrpc **r, const char *url, sl_error *e) SL_MUST_USE;
void wrpc_close(wrpc *r);
/* Calls method with params (JSON array text) and gives its "result" (owned by the caller)
 * with retries (3 tries, backoff) when the node cannot be reached. Errors: SL_EIO (node
 * unreachable, HTTP error), SL_ECORRUPT (an answer that does not parse), SL_ENOTFOUND (a
 * JSON-RPC error whose message says the block or height is out of range), SL_EUNSUPPORTED
 * (another JSON-RPC error: its message). */
int wrpc_call(wrpc *r, const char *method, const char *params, cJSON **result, sl_error *e) SL_MUST_USE;
/* The parser of an answer body (what the fuzz target exercises): SL_OK with *result (the
 * "result" member, detached; owned by the caller), or the errors of wrpc_call. what names
 * the call in messages. */
int wrpc_parse_answer(const char *body, size_t len, const char *what, cJSON **result, sl_error *e) SL_MUST_USE;
/* A block hash answer (64 hex digits, optionally 0x) into h (as the store keeps it:
 * internal byte order when rev, i.e. Bitcoin's display order reversed). */
int wrpc_hash(const cJSON *v, bool rev, sl_hash256 *h, const char *what, sl_error *e) SL_MUST_USE;
/* A hex quantity ("0x1b") or a JSON number into *v. */
int wrpc_quantity(const cJSON *v, uint64_t *out, const char *what, sl_error *e) SL_MUST_USE;
/* getblock verbosity 0: hex text into bytes (sl_malloc'd, *n bytes); SL_ECORRUPT when it
 * is not hex or longer than the largest block. */
int wrpc_block_hex(const cJSON *v, uint8_t **out, size_t *n, const char *what, sl_error *e) SL_MUST_USE;

/* ---- webhook.c ---- */
/* "sha256=<hex>" of HMAC-SHA256(secret, body) into out (72 bytes). */
void wh_signature(char out[72], const char *secret, const char *body, size_t len);
/* POSTs the undelivered outbox rows in alert order, from the oldest, while their time has
 * come; a delivered one gets delivered_at and the URL (it is never sent again), a failure
 * stops the round (later rows wait: the order is kept) and is tried again later (backoff
 * 1, 2, 4 ... 300 s). Returns SL_OK even when deliveries failed (they stay queued);
 * *pending gets how many are undelivered. */
int wh_flush(sl_watch *w, const char *url, const char *secret, bool quiet, uint64_t *pending, sl_error *e) SL_MUST_USE;
/* Makes every undelivered row due now (a new run tries at once, whatever the backoff of an
 * earlier one said). */
int wh_due_now(sl_watch *w, sl_error *e) SL_MUST_USE;

#endif
