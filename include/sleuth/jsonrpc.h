/* jsonrpc.h — one JSON-RPC-over-HTTP client (libcurl) for every node sleuth talks to: the
 * live Ethereum ingest (`sleuth ingest eth --rpc`) and the watcher (`sleuth watch`, Bitcoin
 * Core-compatible and Ethereum-style nodes). It sends `{"jsonrpc":"2.0","id","method",
 * "params"}` and hands back the raw answer body; parsing it is the caller's (node answers
 * are untrusted: the callers parse them with sl_json_parse or the streaming Ethereum parser).
 *
 * Threads: a client belongs to one thread at a time. Messages never show the credentials of
 * a URL (http://user:pass@host/ is shown as http://host/); libcurl sends them as basic auth.
 */
#ifndef SLEUTH_JSONRPC_H
#define SLEUTH_JSONRPC_H

#include <stddef.h>

#include "sleuth/err.h"

typedef struct sl_jsonrpc sl_jsonrpc;

typedef struct sl_jsonrpc_opts {
    size_t max_answer;       /* an answer above this many bytes is refused (SL_EIO); 0: 64 MiB */
    long timeout_s;          /* whole exchange; 0: 60 s */
    unsigned tries;          /* attempts when the node cannot be reached (0.2 s, then 1 s apart); 0: 1 */
} sl_jsonrpc_opts;

/* A client of url (copied). opts may be NULL (the defaults). SL_EIO when libcurl cannot
 * start, SL_ENOMEM. */
int sl_jsonrpc_open(sl_jsonrpc **r, const char *url, const sl_jsonrpc_opts *opts, sl_error *e) SL_MUST_USE;
void sl_jsonrpc_close(sl_jsonrpc *r);

/* Calls method with params (JSON array text). On SL_OK *body points at the answer (NUL
 * terminated, *len bytes without the NUL), owned by r and valid until its next call. HTTP
 * 500 and 404 are answers (Bitcoin Core sends JSON-RPC errors with them); another status
 * >= 400, a refused connection or a time-out is SL_EIO naming the URL and the method. */
int sl_jsonrpc_call(sl_jsonrpc *r, const char *method, const char *params, const char **body, size_t *len,
                    sl_error *e) SL_MUST_USE;

/* The URL as messages show it (no credentials). */
const char *sl_jsonrpc_url(const sl_jsonrpc *r);

#endif
