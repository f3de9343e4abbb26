/* server.h — the HTTP JSON API (libmicrohttpd): /v1 endpoints for everything the CLI
 * does, bearer tokens with roles, limits on body size, query cost, time and rate per
 * token, a bounded worker pool with per-request deadlines. docs/API.md and
 * docs/openapi.yaml describe every endpoint.
 *
 * Tokens live in STORE/server.db (SQLite): only their SHA-256 is stored; roles are read
 * (look-ups, screens, traces), analyst (may also add tags and watchlist entries, ack
 * alerts) and admin (may also manage tokens).
 */
#ifndef SLEUTH_SERVER_H
#define SLEUTH_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sleuth/err.h"

typedef struct sl_serve_opts {
    const char *store_dir;
    const char *listen;        /* "127.0.0.1:8080" when NULL */
    unsigned threads;          /* worker threads (0: the number of cores) */
    uint64_t max_body;         /* bytes (0: the default) */
    double rate;               /* requests per second per token (0: the default) */
    double burst;              /* bucket size (0: the default) */
    uint64_t max_nodes;        /* a trace's node budget (0: the default) */
    uint32_t deadline_ms;      /* per request (0: the default) */
    unsigned timeout_s;        /* a request must arrive within this many seconds of the
                                * connection's previous one; idle connections close after it
                                * (0: the default, 10) */
    unsigned queue;            /* slow requests waiting for a worker before 503 (0: 16 x threads) */
    unsigned per_ip;           /* connections per client address (0: the default, 64) */
    const char *web_dir;       /* (added, issue 14) the web UI's built files, served at / outside
                                * /v1/ (docs/API.md "The web UI"); NULL: the folder compiled in
                                * (the repository's build/web), which may be missing (the UI is
                                * not built: / says so); a folder named here must exist */
    bool quiet;
} sl_serve_opts;

/* Serves until SIGINT/SIGTERM (docs/API.md: endpoints, limits, threads). Errors: SL_EUSAGE (a bad listen address, a
 * symbolic link in web_dir that leads out of it), SL_EIO (the port is taken: said with the address), SL_ENOTFOUND (no
 * store in store_dir, no folder web_dir), SL_ELIMIT (web_dir holds more than 64 MiB). */
int sl_serve_run(const sl_serve_opts *o, sl_error *e) SL_MUST_USE;

/* Tokens. create: *token_out gets the secret (shown once, malloc'd, caller frees) and the
 * entry as JSON; list: {"tokens":[...]} without secrets; revoke: SL_ENOTFOUND when none. */
int sl_token_create(const char *store_dir, const char *role, const char *label, char **token_out,
                    cJSON **out, sl_error *e) SL_MUST_USE;
int sl_token_list(const char *store_dir, cJSON **out, sl_error *e) SL_MUST_USE;
int sl_token_revoke(const char *store_dir, int64_t id, sl_error *e) SL_MUST_USE;

#endif
