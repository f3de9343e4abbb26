/* http.c — `sleuth serve`: the HTTP side of the API on libmicrohttpd.
 *
 * Threads. MHD runs a pool of --threads HTTP threads (MHD_OPTION_THREAD_POOL_SIZE, epoll),
 * each owning its connections; a quick request (a look-up, a screen, a token or watchlist
 * change) is answered inline on its HTTP thread, with that thread's own store handle,
 * knowledge and screener (opened on first use, thread-local). A slow one (a trace, detect,
 * an incident report, a batch screen, a cluster's members) is parked: its connection is
 * suspended (MHD_suspend_connection) and the request goes to a bounded queue served by
 * --threads worker threads with their own handles; when it is done the connection is
 * resumed and the answer sent. So a slow query never holds an HTTP thread and the quick
 * ones keep flowing; when the queue is full the answer is 503 with Retry-After. No thread
 * is created per request. A request outside /v1/ is for the web UI's files (static.c): its
 * shared response, made at start, is queued inline, without a token.
 *
 * Limits. Bodies: a Content-Length above --max-body is refused at once (413) and a body
 * that grows past it while streaming too; MHD's per-connection memory limit bounds the
 * request line and headers. Slow clients: a request must arrive whole within the
 * connection timeout of its connection's previous request (or its opening) — a reaper
 * thread shuts down the socket of one that does not, so a client that sends a header byte
 * a second (slowloris) is cut off after the timeout, while MHD's own inactivity timeout
 * ends idle connections; at most SRV_PER_IP_DEFAULT connections per client address.
 * Deadlines: each request gets --deadline-ms from the moment it has arrived; a request
 * that waits in the queue past it is answered 504 without running, a trace stops at it
 * (the engine's deadline) and the answer is 504.
 *
 * The store. The reaper also watches the store's commit record, tag db, clusters and
 * exposure index (file times and sizes, twice a second); a change bumps a generation
 * counter and every thread renews its handles to the latest commit (sl_store_snapshot,
 * sl_screen_refresh) before its next request, so what the watcher ingests is served.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"
#include "sleuth/screen.h"
#include "sleuth/util.h"

/* ---------------- per-thread handles ---------------- */

static pthread_mutex_t CTX_MU = PTHREAD_MUTEX_INITIALIZER;
static sl_srv_ctx **CTXS;     /* every context made, closed at shutdown */
static size_t NCTX, CAPCTX;
static __thread sl_srv_ctx *TLS_CTX;

static sl_srv_ctx *ctx_new(sl_srv *srv)
{
    sl_srv_ctx *c = sl_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->srv = srv;
    pthread_mutex_lock(&CTX_MU);
    if (sl_grow((void **)&CTXS, &CAPCTX, NCTX + 1, sizeof *CTXS)) {
        pthread_mutex_unlock(&CTX_MU);
        sl_free(c);
        return NULL;
    }
    CTXS[NCTX++] = c;
    pthread_mutex_unlock(&CTX_MU);
    return c;
}

void srv_ctx_close(sl_srv_ctx *c)
{
    if (!c) return;
    sl_screen_close(c->sc);
    sl_knowledge_close(c->k);
    sl_store_close(c->s);
    c->sc = NULL, c->k = NULL, c->s = NULL;
    c->opened = false;
}

int srv_ctx_ready(sl_srv_ctx *c, sl_error *e)
{
    uint64_t g = atomic_load(&c->srv->generation);
    int rc;
    if (c->opened && c->generation == g) return SL_OK;
    if (c->opened) { /* the store changed: move to its latest commit */
        sl_knowledge_close(c->k);
        c->k = NULL;
        if ((rc = sl_store_snapshot(c->s, e))) goto fail;
        if (c->sc && sl_screen_refresh(c->sc, &c->open_err)) { /* a screener that cannot move: a new one */
            sl_screen_close(c->sc);
            c->sc = NULL;
        }
        if (!c->sc) {
            sl_err_clear(&c->open_err);
            if (sl_screen_open(&c->sc, c->s, c->srv->store_dir, NULL, &c->open_err)) c->sc = NULL;
        }
    } else {
        if ((rc = sl_store_open(&c->s, c->srv->store_dir, SL_STORE_RDONLY, e))) goto fail;
        if (sl_screen_open(&c->sc, c->s, c->srv->store_dir, NULL, &c->open_err)) c->sc = NULL; /* said per screen */
    }
    if ((rc = sl_knowledge_open(&c->k, c->s, c->srv->store_dir, e))) goto fail;
    c->opened = true;
    c->generation = g;
    return SL_OK;
fail:
    srv_ctx_close(c);
    return rc;
}

/* ---------------- connections ---------------- */

typedef struct conn_state {
    struct conn_state *prev, *next;   /* under CONN_MU */
    int fd;
    atomic_uint_fast64_t since_ns;    /* when the request now arriving began (the previous one's end) */
    atomic_bool busy;                 /* the request has arrived: being answered */
} conn_state;

static pthread_mutex_t CONN_MU = PTHREAD_MUTEX_INITIALIZER;
static conn_state CONNS = {&CONNS, &CONNS, -1, 0, false}; /* the list's head */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_state *cs = sl_calloc(1, sizeof *cs);
        *socket_context = cs;
        if (!cs) return;
        cs->fd = ci ? ci->connect_fd : -1;
        atomic_store(&cs->since_ns, srv_now_ns());
        pthread_mutex_lock(&CONN_MU);
        cs->next = CONNS.next, cs->prev = &CONNS;
        CONNS.next->prev = cs, CONNS.next = cs;
        pthread_mutex_unlock(&CONN_MU);
    } else if (*socket_context) { /* closed: before MHD closes the socket */
        conn_state *cs = *socket_context;
        pthread_mutex_lock(&CONN_MU);
        cs->prev->next = cs->next, cs->next->prev = cs->prev;
        pthread_mutex_unlock(&CONN_MU);
        sl_free(cs);
        *socket_context = NULL;
    }
}

static conn_state *state_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_busy(struct MHD_Connection *conn, bool busy)
{
    conn_state *cs = state_of(conn);
    if (!cs) return;
    if (!busy) atomic_store(&cs->since_ns, srv_now_ns());
    atomic_store(&cs->busy, busy);
}

/* ---------------- requests ---------------- */

enum { PH_HEADERS = 0, PH_BODY, PH_PARKED, PH_DONE };

typedef struct hreq {
    sl_srv_resp resp;
    sl_buf body;
    bool too_big, uri_too_long, sent;
    int phase;
    struct MHD_Connection *conn;
    char method[16];
    char *auth, *ctype;
    /* the large buffers last: not zeroed per request (hreq_new) */
    char uri[SRV_MAX_URI + 1];
    sl_srv_req req;
} hreq;

static sl_srv SRV;   /* the one server of the process */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    hreq *h = sl_malloc(sizeof *h);
    (void)cls;
    if (!h) return NULL;
    /* everything but the two 4 KiB buffers, which are written before they are read: zeroing
     * them cost more than the rest of a health check */
    memset(h, 0, offsetof(hreq, uri));
    memset(&h->req, 0, offsetof(sl_srv_req, pathbuf));
    h->uri[0] = 0;
    h->conn = conn;
    if (strlen(uri) > SRV_MAX_URI) h->uri_too_long = true;
    else snprintf(h->uri, sizeof h->uri, "%s", uri);
    return h;
}

static void hreq_free(hreq *h)
{
    if (!h) return;
    sl_srv_req_done(&h->req);
    sl_srv_resp_free(&h->resp);
    sl_buf_free(&h->body);
    sl_free(h->auth);
    sl_free(h->ctype);
    sl_free(h);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    hreq_free(*con_cls);
    *con_cls = NULL;
    set_busy(conn, false);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, sl_srv_resp *r)
{
    struct MHD_Response *m;
    enum MHD_Result ok;
    char num[24];
    if (!r->body) srv_error(r, 500, "ENOMEM", "out of memory");
    if (!r->body) return MHD_NO;
    m = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, sl_free);
    if (!m) return MHD_NO;
    r->body = NULL; /* MHD frees it */
    MHD_add_response_header(m, "Content-Type", r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(m, "Cache-Control", "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (r->csp) MHD_add_response_header(m, "Content-Security-Policy", r->csp);
    if (r->disposition[0]) MHD_add_response_header(m, "Content-Disposition", r->disposition);
    if (r->allow[0]) MHD_add_response_header(m, "Allow", r->allow);
    if (r->www_auth) MHD_add_response_header(m, "WWW-Authenticate", "Bearer realm=\"sleuth\"");
    if (r->retry_after) {
        snprintf(num, sizeof num, "%u", r->retry_after);
        MHD_add_response_header(m, "Retry-After", num);
    }
    if (r->location[0]) MHD_add_response_header(m, "Location", r->location);
    ok = MHD_queue_response(conn, r->status ? r->status : 500, m);
    MHD_destroy_response(m);
    if (r->status >= 500) atomic_fetch_add(&SRV.errors, 1);
    return ok;
}

/* Queues h's answer (once: MHD refuses a second one). */
static enum MHD_Result send_resp_once(hreq *h)
{
    h->sent = true;
    return send_resp(h->conn, &h->resp);
}

/* ---------------- the pool for slow queries ---------------- */

static pthread_mutex_t Q_MU = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t Q_CV = PTHREAD_COND_INITIALIZER;
static hreq **QUEUE;
static size_t Q_CAP, Q_HEAD, Q_LEN;
static bool Q_STOP;

static void *worker_main(void *arg)
{
    sl_srv_ctx *c = arg;
    for (;;) {
        hreq *h;
        pthread_mutex_lock(&Q_MU);
        while (!Q_LEN && !Q_STOP) pthread_cond_wait(&Q_CV, &Q_MU);
        if (Q_STOP && !Q_LEN) {
            pthread_mutex_unlock(&Q_MU);
            return NULL;
        }
        h = QUEUE[Q_HEAD];
        Q_HEAD = (Q_HEAD + 1) % Q_CAP, Q_LEN--;
        pthread_mutex_unlock(&Q_MU);
        sl_srv_run(c, &h->req, &h->resp);
        h->phase = PH_DONE;
        MHD_resume_connection(h->conn);
    }
}

/* Parks h for a worker: true, or false when the queue is full. */
static bool park(hreq *h)
{
    pthread_mutex_lock(&Q_MU);
    if (Q_LEN == Q_CAP || Q_STOP) {
        pthread_mutex_unlock(&Q_MU);
        return false;
    }
    h->phase = PH_PARKED;
    MHD_suspend_connection(h->conn);
    QUEUE[(Q_HEAD + Q_LEN) % Q_CAP] = h;
    Q_LEN++;
    pthread_cond_signal(&Q_CV);
    pthread_mutex_unlock(&Q_MU);
    return true;
}

static char *dup_header(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return v ? sl_strdup(v) : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    hreq *h = *con_cls;
    (void)cls, (void)url, (void)version;
    if (!h) return MHD_NO; /* no memory for the request: drop the connection */
    if (h->phase == PH_HEADERS) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        h->phase = PH_BODY;
        snprintf(h->method, sizeof h->method, "%s", method);
        h->auth = dup_header(conn, "Authorization");
        h->ctype = dup_header(conn, "Content-Type");
        if (h->uri_too_long) {
            srv_error(&h->resp, 414, "EURITOOLONG", "the request target is longer than %u bytes", SRV_MAX_URI);
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        if (cl && strtoull(cl, NULL, 10) > SRV.o.max_body) {
            srv_error(&h->resp, 413, "ETOOLARGE", "the body is larger than %llu bytes (--max-body)",
                      (unsigned long long)SRV.o.max_body);
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        return MHD_YES;
    }
    if (h->phase == PH_BODY && *upload_data_size) {
        if (!h->too_big && h->body.len + *upload_data_size <= SRV.o.max_body) {
            if (sl_buf_append(&h->body, upload_data, *upload_data_size)) h->too_big = true;
        } else {
            h->too_big = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (h->phase == PH_BODY) { /* the whole request is here */
        int slow = SRV_FAST;
        set_busy(conn, true);
        atomic_fetch_add(&SRV.requests, 1);
        if (h->too_big) {
            srv_error(&h->resp, 413, "ETOOLARGE", "the body is larger than %llu bytes (--max-body)",
                      (unsigned long long)SRV.o.max_body);
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        if (sl_buf_append(&h->body, "", 1)) { /* a NUL after it, for the parsers' comfort */
            srv_error(&h->resp, 500, "ENOMEM", "out of memory");
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        h->req.method = h->method;
        h->req.uri = h->uri;
        h->req.auth = h->auth;
        h->req.content_type = h->ctype;
        h->req.body = (const char *)h->body.p;
        h->req.body_len = h->body.len - 1;
        h->req.deadline_ns = srv_now_ns() + (uint64_t)SRV.o.deadline_ms * 1000000u;
        if (!srv_is_api(h->uri) && SRV.web) { /* the UI's files: a shared response, inline */
            unsigned status;
            struct MHD_Response *m = srv_web_answer(SRV.web, h->method, h->uri, &status, NULL);
            h->phase = PH_DONE;
            h->sent = true;
            return MHD_queue_response(conn, status, m);
        }
        if (sl_srv_route(&SRV, &h->req, &h->resp, &slow)) {
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        if (slow == SRV_SLOW) {
            if (park(h)) return MHD_YES;
            srv_error(&h->resp, 503, "EBUSY", "every worker is busy and the queue is full: retry shortly");
            h->resp.retry_after = 1;
            h->phase = PH_DONE;
            return send_resp_once(h);
        }
        if (!TLS_CTX && !(TLS_CTX = ctx_new(&SRV))) {
            srv_error(&h->resp, 500, "ENOMEM", "out of memory");
        } else {
            sl_srv_run(TLS_CTX, &h->req, &h->resp);
        }
        h->phase = PH_DONE;
        return send_resp_once(h);
    }
    if (h->phase == PH_DONE && !h->sent) return send_resp_once(h); /* back from a worker */
    return MHD_YES; /* parked (the worker resumes it), or answered already */
}

/* ---------------- the reaper and the change watcher ---------------- */

static volatile sig_atomic_t STOPPING;

/* A signature of the files whose change means "renew the handles". */
static uint64_t store_signature(const char *dir)
{
    static const char *const files[] = {"index/data.mdb", "knowledge/tags.db", "knowledge/tags.db-wal", "exposure",
                                        "knowledge/cluster/state", "knowledge/cluster", "watch.db", "watch.db-wal"};
    uint64_t sig = 1469598103934665603ull;
    char path[4200];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (stat(path, &st) != 0) continue;
        uint64_t v[3] = {(uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_size};
        for (int k = 0; k < 3; k++) sig = (sig ^ v[k]) * 1099511628211ull;
    }
    return sig;
}

static void *reaper_main(void *arg)
{
    uint64_t timeout_ns = (uint64_t)SRV_TIMEOUT_S_DEFAULT * 1000000000u, sig, last_sig_ns = 0;
    (void)arg;
    if (SRV.o.timeout_s) timeout_ns = (uint64_t)SRV.o.timeout_s * 1000000000u;
    sig = store_signature(SRV.store_dir);
    while (!STOPPING) {
        uint64_t now = srv_now_ns();
        pthread_mutex_lock(&CONN_MU);
        for (conn_state *cs = CONNS.next; cs != &CONNS; cs = cs->next)
            if (!atomic_load(&cs->busy) && cs->fd >= 0 && now > atomic_load(&cs->since_ns) &&
                now - atomic_load(&cs->since_ns) > timeout_ns) {
                shutdown(cs->fd, SHUT_RDWR); /* MHD sees the end of the stream and closes it */
                atomic_store(&cs->since_ns, UINT64_MAX / 2); /* once */
            }
        pthread_mutex_unlock(&CONN_MU);
        if (now - last_sig_ns > 500000000u) {
            uint64_t s = store_signature(SRV.store_dir);
            if (s != sig) sig = s, atomic_fetch_add(&SRV.generation, 1);
            last_sig_ns = now;
        }
        usleep(100000);
    }
    return NULL;
}

/* ---------------- start and stop ---------------- */

/* "HOST:PORT" or "[V6]:PORT" into a bound, listening socket. */
static int listen_on(const char *listen_s, int *fd, sl_error *e)
{
    char host[64];
    const char *colon;
    unsigned long port;
    char *end;
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    memset(&ss, 0, sizeof ss);
    if (listen_s[0] == '[') {
        const char *rb = strchr(listen_s, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - listen_s - 1) >= sizeof host) goto bad;
        memcpy(host, listen_s + 1, (size_t)(rb - listen_s - 1));
        host[rb - listen_s - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(listen_s, ':');
        if (!colon || (size_t)(colon - listen_s) >= sizeof host || colon == listen_s) goto bad;
        memcpy(host, listen_s, (size_t)(colon - listen_s));
        host[colon - listen_s] = 0;
    }
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port > 65535 || colon[1] == '-' || colon[1] == '+' || colon[1] == ' ') goto bad;
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET, a->sin_port = htons((uint16_t)port);
        len = sizeof *a;
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6, a->sin6_port = htons((uint16_t)port);
        len = sizeof *a;
    } else {
        goto bad;
    }
    if ((*fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) return sl_err(e, SL_EIO, "socket: %s", strerror(errno));
    setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(*fd, (struct sockaddr *)&ss, len) != 0 || listen(*fd, 1024) != 0) {
        int err = errno;
        close(*fd);
        *fd = -1;
        return sl_err(e, SL_EIO, "cannot listen on %s: %s", listen_s, strerror(err));
    }
    return SL_OK;
bad:
    return sl_err(e, SL_EUSAGE, "--listen '%s': give HOST:PORT with a numeric IPv4 or [IPv6] address and a port "
                                "from 0 to 65535 (127.0.0.1:8080)", listen_s);
}

int sl_serve_run(const sl_serve_opts *o, sl_error *e)
{
    struct MHD_Daemon *d = NULL;
    pthread_t reaper, *workers = NULL;
    size_t nworkers = 0;
    sl_store *probe = NULL;
    sigset_t sigs;
    int fd = -1, rc, sig;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    bool reaper_on = false;

    memset(&SRV, 0, sizeof SRV);
    SRV.o = *o;
    if (!SRV.o.listen) SRV.o.listen = "127.0.0.1:8080";
    if (!SRV.o.threads) SRV.o.threads = ncpu > 0 ? (unsigned)ncpu : 2;
    if (!SRV.o.max_body) SRV.o.max_body = SRV_MAX_BODY_DEFAULT;
    if (SRV.o.rate <= 0) SRV.o.rate = SRV_RATE_DEFAULT;
    if (SRV.o.burst <= 0) SRV.o.burst = SRV.o.rate > SRV_BURST_DEFAULT ? SRV.o.rate : SRV_BURST_DEFAULT;
    if (!SRV.o.max_nodes) SRV.o.max_nodes = SRV_MAX_NODES_DEFAULT;
    if (!SRV.o.deadline_ms) SRV.o.deadline_ms = SRV_DEADLINE_MS_DEFAULT;
    if (!SRV.o.timeout_s) SRV.o.timeout_s = SRV_TIMEOUT_S_DEFAULT;
    if (!SRV.o.queue) SRV.o.queue = 16u * SRV.o.threads;
    if (!SRV.o.per_ip) SRV.o.per_ip = SRV_PER_IP_DEFAULT;
    snprintf(SRV.store_dir, sizeof SRV.store_dir, "%s", o->store_dir);
    SRV.started = sl_now();

    if ((rc = sl_store_open(&probe, SRV.store_dir, SL_STORE_RDONLY, e))) return rc; /* no store: say so now */
    sl_store_close(probe);
    {   /* the UI's files: a folder named by --web or SLEUTH_WEB must be there; the built-in one may not be */
        const char *web = o->web_dir ? o->web_dir : srv_web_default_dir();
        if ((rc = srv_web_open(&SRV.web, web, o->web_dir != NULL, e))) return rc;
        if (!SRV.o.quiet && !srv_web_built(SRV.web))
            fprintf(stderr, "sleuth: the web UI is not built (no index.html in %s): install node and npm, run `make`; "
                            "/ says so meanwhile\n", web);
    }
    if ((rc = listen_on(SRV.o.listen, &fd, e))) goto out;
    if ((rc = srv_auth_open(&SRV.auth, SRV.store_dir, e))) goto out;
    if ((rc = srv_rl_open(&SRV.rl, SRV.o.rate, SRV.o.burst)) || (rc = srv_traces_open(&SRV.traces))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto out;
    }
    Q_CAP = SRV.o.queue, Q_HEAD = Q_LEN = 0, Q_STOP = false;
    if (!(QUEUE = sl_calloc(Q_CAP, sizeof *QUEUE)) || !(workers = sl_calloc(SRV.o.threads, sizeof *workers))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* SIGINT/SIGTERM are taken by sigwait below: every thread made from here on blocks them */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (; nworkers < SRV.o.threads; nworkers++) {
        sl_srv_ctx *c = ctx_new(&SRV);
        if (!c || pthread_create(&workers[nworkers], NULL, worker_main, c) != 0) {
            rc = sl_err(e, SL_ENOMEM, "cannot start the workers");
            goto out;
        }
    }
    STOPPING = 0;
    if (pthread_create(&reaper, NULL, reaper_main, NULL) != 0) {
        rc = sl_err(e, SL_ENOMEM, "cannot start the reaper thread");
        goto out;
    }
    reaper_on = true;
    d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME | (SRV.o.quiet ? 0 : MHD_USE_ERROR_LOG),
                         0, NULL, NULL, on_request, NULL,
                         MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SRV.o.threads,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SRV.o.timeout_s,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SRV.o.per_ip,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONN_MEMORY,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
                         MHD_OPTION_END);
    if (!d) {
        rc = sl_err(e, SL_EIO, "libmicrohttpd could not start on %s", SRV.o.listen);
        goto out;
    }
    fd = -1; /* MHD's now */
    if (!SRV.o.quiet) {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        size_t files, bytes;
        srv_web_stats(SRV.web, &files, &bytes);
        fprintf(stderr, "sleuth: serving %s on http://%s/v1/ (port %u; %u HTTP threads, %u workers)\n", SRV.store_dir,
                SRV.o.listen, di ? di->port : 0, SRV.o.threads, SRV.o.threads);
        if (srv_web_built(SRV.web))
            fprintf(stderr, "sleuth: the web UI at http://%s/ (%zu files, %zu bytes in memory)\n", SRV.o.listen, files, bytes);
    }
    do {
        if (sigwait(&sigs, &sig) != 0) break;
    } while (sig != SIGINT && sig != SIGTERM);
    if (!SRV.o.quiet) fprintf(stderr, "sleuth: stopping (%llu requests served)\n", (unsigned long long)atomic_load(&SRV.requests));
    rc = SL_OK;
out:
    STOPPING = 1;
    /* no new connections; the workers finish what is queued (resuming those connections:
     * MHD must not stop with a suspended one), then MHD stops */
    if (d) MHD_quiesce_daemon(d);
    pthread_mutex_lock(&Q_MU);
    Q_STOP = true;
    pthread_cond_broadcast(&Q_CV);
    pthread_mutex_unlock(&Q_MU);
    for (size_t i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
    if (d) MHD_stop_daemon(d);
    if (reaper_on) pthread_join(reaper, NULL);
    if (fd >= 0) close(fd);
    for (size_t i = 0; i < NCTX; i++) srv_ctx_close(CTXS[i]), sl_free(CTXS[i]);
    sl_free(CTXS);
    CTXS = NULL, NCTX = CAPCTX = 0;
    sl_free(workers);
    sl_free(QUEUE);
    QUEUE = NULL;
    srv_traces_close(SRV.traces);
    srv_rl_close(SRV.rl);
    srv_auth_close(SRV.auth);
    srv_cases_close(SRV.cases);
    srv_web_close(SRV.web);
    SRV.cases = NULL, SRV.web = NULL;
    return rc;
}
