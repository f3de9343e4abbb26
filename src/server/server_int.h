/* server_int.h — the pieces of the HTTP API server (sleuth/server.h) and how they meet:
 *
 *   http.c        libmicrohttpd: listening, connections, bodies, limits (size, per-IP
 *                 connections, the time a request may take to arrive), the worker pool for
 *                 slow queries (suspended connections), the change watcher, sl_serve_run
 *   router.c      sl_srv_handle: one request (method, raw URI, headers, body) in, one
 *                 response out — a pure function of the request and the worker's handles,
 *                 testable and fuzzable without sockets
 *   auth.c        tokens in STORE/server.db (SHA-256 of the secret only), the in-memory
 *                 table the hot path reads, roles; sl_token_* of server.h
 *   ratelimit.c   a token bucket per token
 *   handlers_*.c  the endpoints (handlers_cases.c: saved investigations in STORE/cases.db;
 *                 case_export.c: a case with the evidence of every edge)
 *   static.c      the web UI's files (--web DIR), read into memory at start and answered
 *                 from there for every path outside /v1/
 *
 * Threads: a sl_srv_ctx (store handle, tag handle, knowledge, screener) belongs to one
 * thread; everything in sl_srv (tokens, buckets, traces, the cases db, the web files) is
 * shared and locked inside (the web files are read-only once loaded).
 */
#ifndef SLEUTH_SERVER_INT_H
#define SLEUTH_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sleuth/err.h"
#include "sleuth/report.h"
#include "sleuth/server.h"
#include "sleuth/store.h"

/* Defaults (docs/API.md "Limits"). */
#define SRV_MAX_BODY_DEFAULT (1u << 20)       /* 1 MiB */
#define SRV_RATE_DEFAULT 100000.0             /* requests per second per token */
#define SRV_BURST_DEFAULT 200000.0
#define SRV_MAX_NODES_DEFAULT 200000u         /* a trace's node budget */
#define SRV_DEADLINE_MS_DEFAULT 30000u
#define SRV_TIMEOUT_S_DEFAULT 10u             /* a request must arrive within this */
#define SRV_PER_IP_DEFAULT 64u
#define SRV_MAX_URI 4096u                     /* longer request targets: 414 */
#define SRV_CONN_MEMORY 16384u                /* MHD per-connection memory: request line and headers; MHD
                                               * clears it between requests, so more costs time */
#define SRV_BATCH_MAX 1000u                   /* subjects of one POST /v1/screen */
#define SRV_TRACES_KEPT 256u                  /* trace resources kept in memory */
#define SRV_WEB_MAX_BYTES (64u << 20)         /* the web UI's files, all together */
#define SRV_CASES_LIMIT_DEFAULT 100u          /* GET /v1/cases page */
#define SRV_CASE_TITLE_MAX 200u               /* characters (code points) */

enum { SRV_ROLE_NONE = 0, SRV_ROLE_READ = 1, SRV_ROLE_ANALYST = 2, SRV_ROLE_ADMIN = 3 };
/* "read", "analyst", "admin" -> role (0 when unknown) and back. */
int srv_role_parse(const char *s);
const char *srv_role_name(int role);

/* ---- tokens (auth.c) ---- */
typedef struct srv_tok {
    uint8_t hash[32];
    int64_t id;
    int role;
} srv_tok;
typedef struct srv_auth srv_auth;
/* Loads STORE/server.db's live tokens (none when it does not exist). SL_ESTORE, SL_ENOMEM. */
int srv_auth_open(srv_auth **a, const char *store_dir, sl_error *e) SL_MUST_USE;
void srv_auth_close(srv_auth *a);
/* The token whose secret is `secret` (len bytes): true and *out; false when unknown or
 * revoked. Reloads the table from server.db when it is older than a second (so a token
 * created or revoked by `sleuth token` counts within a second). Thread-safe. */
bool srv_auth_check(srv_auth *a, const char *secret, size_t len, srv_tok *out);
/* Reloads now (after the API created or revoked one). */
void srv_auth_reload(srv_auth *a);

/* ---- rate limits (ratelimit.c) ---- */
typedef struct srv_rl srv_rl;
int srv_rl_open(srv_rl **r, double rate, double burst) SL_MUST_USE;
void srv_rl_close(srv_rl *r);
/* Takes one request from token id's bucket: true when allowed; else false and
 * *retry_after the whole seconds until one is there. Thread-safe. */
bool srv_rl_take(srv_rl *r, int64_t id, unsigned *retry_after);

/* ---- trace resources (handlers_analysis.c) ---- */
typedef struct srv_traces srv_traces;
int srv_traces_open(srv_traces **t) SL_MUST_USE;
void srv_traces_close(srv_traces *t);

/* ---- the web UI's files (static.c) ---- */
struct MHD_Response;
typedef struct srv_web srv_web;
/* Reads every regular file under dir into memory (a symbolic link is followed when it
 * stays inside dir — to a file; links to folders are not followed — and refused with an
 * error when it leads out), at most SRV_WEB_MAX_BYTES in all, and makes one shared
 * response per file. A dir that does not exist is an error when must_exist, else an empty
 * table (the UI is not built). SL_OK; SL_ENOTFOUND (must_exist and no such folder),
 * SL_EUSAGE (a link leading out of dir), SL_ELIMIT (too many bytes), SL_EIO, SL_ENOMEM. */
int srv_web_open(srv_web **w, const char *dir, bool must_exist, sl_error *e) SL_MUST_USE;
void srv_web_close(srv_web *w);
/* True when dir had an index.html; the files and bytes read. */
bool srv_web_built(const srv_web *w);
void srv_web_stats(const srv_web *w, size_t *files, size_t *bytes);
/* The folder compiled in (SLEUTH_WEB_DIR: the repository's build/web). */
const char *srv_web_default_dir(void);
/* Is the request target (raw, with its query) one of the API's (/v1 or under /v1/)? */
bool srv_is_api(const char *uri);
/* The answer to a request outside /v1/: its status and the shared response to queue (never
 * NULL once srv_web_open succeeded): 200 a file ("/" is /index.html; the page saying the UI
 * is not built when there is none), 400 a bad path (a bad %-escape, an encoded NUL, a
 * backslash, a "." or ".." segment), 404 none, 405 a method other than GET and HEAD.
 * *file (may be NULL) gets the table's path of the file answered, NULL for none. Pure
 * (no I/O): the fuzz target calls it. */
struct MHD_Response *srv_web_answer(const srv_web *w, const char *method, const char *uri, unsigned *status,
                                    const char **file);
/* Decodes the path of a request target (up to '?' or '#') into out (cap bytes): true, or
 * false when it has a bad %-escape, an encoded NUL, a backslash, an empty name inside it,
 * a "." or ".." segment, or does not fit. Pure. */
bool srv_web_path(const char *uri, char *out, size_t cap);

/* ---- saved cases (handlers_cases.c) ---- */
typedef struct srv_cases srv_cases;
void srv_cases_close(srv_cases *c);

/* ---- the shared server ---- */
typedef struct sl_srv {
    sl_serve_opts o;
    char store_dir[4096];
    srv_auth *auth;
    srv_rl *rl;
    srv_traces *traces;
    srv_web *web;             /* NULL: no static files (the fuzz target's /v1-only server) */
    srv_cases *cases;         /* STORE/cases.db, opened on first use (handlers_cases.c) */
    atomic_uint_fast64_t generation;  /* bumped when the store's files change */
    atomic_uint_fast64_t requests, errors;
    double started;
} sl_srv;

/* One thread's handles, opened on first use and renewed when sl_srv.generation moved. */
typedef struct sl_srv_ctx {
    sl_srv *srv;
    sl_store *s;              /* NULL: no store could be opened (see err) */
    sl_knowledge *k;
    struct sl_screen *sc;
    uint64_t generation;
    bool opened;
    sl_error open_err;
} sl_srv_ctx;
/* Makes sure c's handles are open and at the latest commit: SL_OK, or the error. */
int srv_ctx_ready(sl_srv_ctx *c, sl_error *e) SL_MUST_USE;
void srv_ctx_close(sl_srv_ctx *c);

/* ---- a request and its answer ---- */
#define SRV_MAX_SEGS 8
#define SRV_MAX_PARAMS 16
typedef struct sl_srv_req {
    const char *method;        /* "GET", ... */
    const char *uri;           /* the raw request target: path and query, %-encoded */
    const char *auth;          /* Authorization header, NULL when absent */
    const char *content_type;  /* Content-Type header, NULL when absent */
    const char *body;          /* NULL when none */
    size_t body_len;
    uint64_t deadline_ns;      /* CLOCK_MONOTONIC; 0: none */
    /* filled by the router */
    char *segs[SRV_MAX_SEGS];  /* decoded path segments after /v1 */
    size_t nseg;
    char *pk[SRV_MAX_PARAMS], *pv[SRV_MAX_PARAMS];
    size_t nparam;
    srv_tok tok;               /* the caller's token (id 0, role 0: none) */
    cJSON *json;               /* the parsed body (JSON requests) */
    char pathbuf[SRV_MAX_URI + 1];
} sl_srv_req;

typedef struct sl_srv_resp {
    unsigned status;
    char *body;                /* sl_malloc'd JSON text (NUL-terminated), owned */
    size_t len;
    char allow[64];            /* 405: the Allow header */
    unsigned retry_after;      /* 429/503: Retry-After (0: none) */
    bool www_auth;             /* 401: WWW-Authenticate */
    char location[160];        /* 201: Location */
    const char *ctype;         /* Content-Type when not JSON (static string; NULL: JSON) */
    const char *csp;           /* Content-Security-Policy (static string; NULL: none) */
    char disposition[128];     /* Content-Disposition ("" : none) */
} sl_srv_resp;

/* Where a request runs: inline on the HTTP thread (fast look-ups) or in the pool of
 * workers for slow queries (traces, detect, reports, batches). */
enum { SRV_FAST = 0, SRV_SLOW = 1 };

/* Routes req: finds the endpoint (404 / 405), checks the token and role (401 / 403) and
 * the rate (429); then *slow says where the handler must run and the call returns 0 —
 * or it fills resp with the error and returns 1 (done). c may be NULL (no handles). */
int sl_srv_route(sl_srv *srv, sl_srv_req *req, sl_srv_resp *resp, int *slow);
/* Runs the handler of a routed request with the thread's handles c: fills resp. */
void sl_srv_run(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
/* sl_srv_route then sl_srv_run on the same thread (the fuzz target, tests). */
void sl_srv_handle(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
/* Frees what the router and handlers attached to req and resp. */
void sl_srv_req_done(sl_srv_req *req);
void sl_srv_resp_free(sl_srv_resp *resp);

/* ---- helpers for the handlers (router.c) ---- */
/* resp = status with {"error":{"code": code name, "message": msg}}. Returns 0. */
int srv_error(sl_srv_resp *resp, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The error of a library call: the status of sl_err_http, the code's name, e's message. */
int srv_sl_error(sl_srv_resp *resp, const sl_error *e);
/* resp = status with j printed (j freed). Out of memory: 500. */
int srv_json(sl_srv_resp *resp, unsigned status, cJSON *j);
/* A query parameter (decoded), NULL when absent. */
const char *srv_param(const sl_srv_req *req, const char *key);
/* A query parameter as a whole number in [lo, hi] (def when absent): 0, or -1 after a 400. */
int srv_param_u64(const sl_srv_req *req, sl_srv_resp *resp, const char *key, uint64_t lo, uint64_t hi, uint64_t def,
                  uint64_t *out);
/* A body member as a string (NULL when absent; 400 when not a string: returns -1). */
int srv_body_str(const sl_srv_req *req, sl_srv_resp *resp, const char *key, bool required, const char **out);
/* The id in path segment k as a whole number from 1; 0 after a 400. */
int64_t srv_path_id(sl_srv_req *req, sl_srv_resp *resp, size_t k);
/* Monotonic nanoseconds. */
uint64_t srv_now_ns(void);
/* Percent-decodes src[0..n) into out (cap bytes, NUL-terminated); plus: '+' is a space
 * (query strings). False on a bad escape, an encoded NUL or an overflow. Pure. */
bool srv_pct_decode(char *out, size_t cap, const char *src, size_t n, bool plus);

/* ---- traces for the handlers (handlers_analysis.c) ---- */
/* Reads a POST /v1/traces body (body: the JSON object) into rq (strings borrowed from
 * body) and *graph (may be NULL): unknown members, wrong types, no or two sources, an
 * unknown policy or direction are a 422 whose message starts with where ("" or
 * "\"trace\": "); max_nodes is capped at the server's budget, the deadline set. Runs
 * nothing. 0, or -1 after answering. */
int srv_trace_params(const sl_srv *srv, const cJSON *body, uint64_t deadline_ns, const char *where, sl_srv_resp *resp,
                     sl_trace_req *rq, bool *graph);
/* Runs the trace rq on c's handles (with the store's tags naming endpoints) and writes its
 * JSON document (`sleuth trace --json`) to *result and, when graph, the graph (the
 * --graph JSON schema) to *gtext: malloc'd texts (free()), lengths in *rlen, *glen. 0, or
 * -1 after answering the error (504 when the deadline cut it). */
int srv_trace_run(sl_srv_ctx *c, sl_trace_req *rq, bool graph, uint64_t deadline_ns, sl_srv_resp *resp, char **result,
                  size_t *rlen, char **gtext, size_t *glen);

/* ---- cases for the export (handlers_cases.c) ---- */
typedef struct srv_case {
    int64_t id, created, updated, version;
    char *title, *author;      /* sl_malloc'd */
    char *trace, *state;       /* their JSON text (sl_malloc'd) */
} srv_case;
/* Reads case id from STORE/cases.db (opening it on first use): 0 and *out (srv_case_free),
 * or -1 after answering (404 no such case, 500). Thread-safe. */
int srv_case_load(sl_srv *srv, int64_t id, srv_case *out, sl_srv_resp *resp);
void srv_case_free(srv_case *c);
/* The case as JSON: {id, title, created, updated, version, author} and, when full, trace
 * and state parsed back (strictly). NULL with e: out of memory, a row that does not parse. */
cJSON *srv_case_json(const srv_case *c, bool full, sl_error *e);

/* ---- handlers (handlers_*.c): each fills resp ---- */
typedef void (*srv_handler)(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_health(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_info(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_search(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_address(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_tx(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_block(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_cluster(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_cluster_why(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_screen_one(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_screen_batch(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_trace_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_trace_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_tags_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_tags_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_incidents(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_incident(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_incident_report(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_detect(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_watchlists_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_watchlists_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_watchlist_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_alerts(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_alert_ack(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_cases_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_cases_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_case_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_case_put(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_case_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_case_export(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_tokens_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_tokens_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);
void srv_h_token_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp);

#endif
