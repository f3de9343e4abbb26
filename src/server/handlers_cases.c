/* handlers_cases.c — cases: investigations saved on the server (issue 14) so that they
 * survive a reload and a restart: a title, the trace's parameters (a POST /v1/traces body,
 * validated as that endpoint does, not run) and the UI's state (free-form, but the members
 * the export reads are checked: "expanded", "hidden", "notes"). GET /v1/cases lists them,
 * newest change first; POST creates (analyst); GET /v1/cases/{id} reads one; PUT replaces
 * it when the version the caller loaded is still the stored one (else 409: someone saved
 * in between); DELETE removes it. The export is in case_export.c.
 *
 * Storage: STORE/cases.db (SQLite, WAL, created 0600), one connection for the process,
 * opened on the first case request and shared under one mutex: cases are written by people,
 * a few a minute, so the lock costs nothing, and it makes the version check and the update
 * one step. The schema:
 *
 *   cases(id INTEGER PRIMARY KEY AUTOINCREMENT (ids are never reused), title TEXT,
 *         created INTEGER, updated INTEGER (unix s), version INTEGER (1 on create, +1 per
 *         update), author TEXT ("token:<id>" of the creator), trace TEXT, state TEXT (JSON))
 */
#include <ctype.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"
#include "sleuth/json.h"
#include "sleuth/report.h"
#include "sleuth/util.h"

#define EXPANDED_MAX 1000u   /* entries of state.expanded: each is a trace in the export */

static const char SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS cases(id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL, version INTEGER NOT NULL, author TEXT NOT NULL,"
    " trace TEXT NOT NULL, state TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS cases_updated ON cases(updated DESC, id DESC);";

struct srv_cases {
    sqlite3 *db;
    char path[4200];
};

static pthread_mutex_t CASES_MU = PTHREAD_MUTEX_INITIALIZER;

void srv_cases_close(srv_cases *c)
{
    if (!c) return;
    sqlite3_close(c->db);
    sl_free(c);
}

/* The open cases db (opening it on first use); NULL after answering. Hold CASES_MU. */
static srv_cases *cases_db(sl_srv *srv, sl_srv_resp *resp)
{
    srv_cases *c;
    struct stat st;
    int fd;
    if (srv->cases) return srv->cases;
    if (!(c = sl_calloc(1, sizeof *c))) return srv_error(resp, 500, "ENOMEM", "out of memory"), NULL;
    snprintf(c->path, sizeof c->path, "%s/cases.db", srv->store_dir);
    /* made 0600 before SQLite sees it (its -wal and -shm files take the same mode): no umask
     * games in a threaded process */
    if (stat(c->path, &st) != 0 && (fd = open(c->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) close(fd);
    if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(c->db, 5000) != SQLITE_OK || sqlite3_exec(c->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        srv_error(resp, 500, "ESTORE", "%s: %s", c->path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
        srv_cases_close(c);
        return NULL;
    }
    srv->cases = c;
    return c;
}

static void db_error(srv_cases *c, sl_srv_resp *resp)
{
    srv_error(resp, 500, "ESTORE", "%s: %s", c->path, sqlite3_errmsg(c->db));
}

/* With CASES_MU held: sql prepared on the cases db (*db set); NULL after answering. */
static sqlite3_stmt *prepare(sl_srv *srv, const char *sql, srv_cases **db, sl_srv_resp *resp)
{
    sqlite3_stmt *st = NULL;
    if (!(*db = cases_db(srv, resp))) return NULL;
    if (sqlite3_prepare_v2((*db)->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(*db, resp);
        return NULL;
    }
    return st;
}

/* Runs a statement that returns no rows: true, or false after answering. */
static bool run_done(srv_cases *db, sqlite3_stmt *st, sl_srv_resp *resp)
{
    if (sqlite3_step(st) == SQLITE_DONE) return true;
    db_error(db, resp);
    return false;
}

/* ---------------- a case as JSON ---------------- */

void srv_case_free(srv_case *c)
{
    sl_free(c->title), sl_free(c->author), sl_free(c->trace), sl_free(c->state);
    memset(c, 0, sizeof *c);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return sl_strdup(t ? (const char *)t : "");
}

/* The row of st (id, title, created, updated, version, author[, trace, state]) into *c. */
static int row_of(sqlite3_stmt *st, bool full, srv_case *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    c->created = sqlite3_column_int64(st, 2);
    c->updated = sqlite3_column_int64(st, 3);
    c->version = sqlite3_column_int64(st, 4);
    c->title = col_dup(st, 1);
    c->author = col_dup(st, 5);
    if (full) c->trace = col_dup(st, 6), c->state = col_dup(st, 7);
    if (!c->title || !c->author || (full && (!c->trace || !c->state))) {
        srv_case_free(c);
        return SL_ENOMEM;
    }
    return SL_OK;
}

cJSON *srv_case_json(const srv_case *c, bool full, sl_error *e)
{
    cJSON *j = cJSON_CreateObject(), *t = NULL, *s = NULL;
    if (!j) return sl_err(e, SL_ENOMEM, "out of memory"), NULL;
    sl_json_u64(j, "id", (uint64_t)c->id);
    cJSON_AddStringToObject(j, "title", c->title);
    sl_json_u64(j, "created", (uint64_t)c->created);
    sl_json_u64(j, "updated", (uint64_t)c->updated);
    sl_json_u64(j, "version", (uint64_t)c->version);
    cJSON_AddStringToObject(j, "author", c->author);
    if (full) {
        if (sl_json_parse(&t, c->trace, strlen(c->trace), "cases.db trace", e) ||
            sl_json_parse(&s, c->state, strlen(c->state), "cases.db state", e)) {
            cJSON_Delete(t), cJSON_Delete(j);
            return NULL;
        }
        cJSON_AddItemToObject(j, "trace", t);
        cJSON_AddItemToObject(j, "state", s);
    }
    return j;
}

/* resp = status with {"case": FULL}. */
static void answer_case(sl_srv_resp *resp, unsigned status, const srv_case *c)
{
    sl_error e = {0};
    cJSON *one = srv_case_json(c, true, &e), *j;
    if (!one) {
        srv_sl_error(resp, &e);
        return;
    }
    j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "case", one);
    srv_json(resp, status, j);
}

/* Reads case id under the lock held: 0, or -1 after answering (404, 500). */
static int load_locked(srv_cases *db, int64_t id, srv_case *out, sl_srv_resp *resp)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(db->db, "SELECT id,title,created,updated,version,author,trace,state FROM cases WHERE id=?", -1, &st,
                           NULL) != SQLITE_OK) {
        db_error(db, resp);
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        srv_error(resp, 404, "ENOTFOUND", "no case %lld", (long long)id);
        rc = -1;
    } else if (rc != SQLITE_ROW) {
        db_error(db, resp);
        rc = -1;
    } else if (row_of(st, true, out)) {
        srv_error(resp, 500, "ENOMEM", "out of memory");
        rc = -1;
    } else {
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int srv_case_load(sl_srv *srv, int64_t id, srv_case *out, sl_srv_resp *resp)
{
    srv_cases *db;
    int rc = -1;
    pthread_mutex_lock(&CASES_MU);
    if ((db = cases_db(srv, resp))) rc = load_locked(db, id, out, resp);
    pthread_mutex_unlock(&CASES_MU);
    return rc;
}

/* ---------------- what a body may hold ---------------- */

/* The number of code points of valid UTF-8 s without control characters; -1 otherwise. */
static long text_chars(const char *s, size_t n)
{
    long count = 0;
    for (size_t i = 0; i < n; count++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        uint32_t cp;
        if (!k || i + k > n || c < 0x20 || c == 0x7f) return -1;
        cp = k == 1 ? c : (uint32_t)(c & (0x7f >> k));
        for (size_t j = 1; j < k; j++) {
            unsigned char d = (unsigned char)s[i + j];
            if ((d & 0xc0) != 0x80) return -1;
            cp = cp << 6 | (d & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF; C1 controls */
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return -1;
        i += k;
    }
    return count;
}

/* The members of state the export reads: expanded (an array of {"tx"|"address", "chain"?}),
 * hidden (an array of node ids), notes ({"nodes": {id: text}, "edges": {key: text}}).
 * 0, or -1 after a 422. */
static int check_state(const cJSON *state, sl_srv_resp *resp)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(state, "expanded"), *it, *m;
    int i = 0;
    if (x && !cJSON_IsNull(x)) {
        if (!cJSON_IsArray(x)) return srv_error(resp, 422, "EUSAGE", "\"state.expanded\" must be an array"), -1;
        if (cJSON_GetArraySize(x) > (int)EXPANDED_MAX)
            return srv_error(resp, 422, "EUSAGE", "\"state.expanded\" has more than %u entries", EXPANDED_MAX), -1;
        cJSON_ArrayForEach(it, x) {
            int src = 0;
            if (!cJSON_IsObject(it))
                return srv_error(resp, 422, "EUSAGE", "\"state.expanded[%d]\" must be an object {\"tx\"|\"address\", \"chain\"}", i), -1;
            cJSON_ArrayForEach(m, it) {
                bool known = !strcmp(m->string, "tx") || !strcmp(m->string, "address") || !strcmp(m->string, "chain");
                if (!known)
                    return srv_error(resp, 422, "EUSAGE", "\"state.expanded[%d]\": unknown member \"%.40s\" (tx, address, chain)", i,
                                     m->string), -1;
                if (!cJSON_IsString(m) || !m->valuestring[0])
                    return srv_error(resp, 422, "EUSAGE", "\"state.expanded[%d].%s\" must be a non-empty string", i, m->string), -1;
                src += strcmp(m->string, "chain") != 0;
            }
            if (src != 1) return srv_error(resp, 422, "EUSAGE", "\"state.expanded[%d]\" needs exactly one of \"tx\" and \"address\"", i), -1;
            i++;
        }
    }
    x = cJSON_GetObjectItemCaseSensitive(state, "hidden");
    if (x && !cJSON_IsNull(x)) {
        if (!cJSON_IsArray(x)) return srv_error(resp, 422, "EUSAGE", "\"state.hidden\" must be an array of node ids"), -1;
        cJSON_ArrayForEach(it, x) if (!cJSON_IsString(it))
            return srv_error(resp, 422, "EUSAGE", "\"state.hidden\" must be an array of node ids (strings)"), -1;
    }
    x = cJSON_GetObjectItemCaseSensitive(state, "notes");
    if (x && !cJSON_IsNull(x)) {
        if (!cJSON_IsObject(x)) return srv_error(resp, 422, "EUSAGE", "\"state.notes\" must be an object {\"nodes\", \"edges\"}"), -1;
        cJSON_ArrayForEach(m, x) {
            if (strcmp(m->string, "nodes") && strcmp(m->string, "edges"))
                return srv_error(resp, 422, "EUSAGE", "\"state.notes\": unknown member \"%.40s\" (nodes, edges)", m->string), -1;
            if (cJSON_IsNull(m)) continue;
            if (!cJSON_IsObject(m))
                return srv_error(resp, 422, "EUSAGE", "\"state.notes.%s\" must be an object of texts by id", m->string), -1;
            cJSON_ArrayForEach(it, m) if (!cJSON_IsString(it))
                return srv_error(resp, 422, "EUSAGE", "\"state.notes.%s\": every note must be a string", m->string), -1;
        }
    }
    return 0;
}

typedef struct case_body {
    char title[SRV_CASE_TITLE_MAX * 4 + 1];
    char *trace, *state;      /* printed JSON (sl_free) */
    int64_t version;          /* PUT */
} case_body;

/* Reads and checks a POST (put false) or PUT body. 0, or -1 after answering. */
static int read_body(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, bool put, case_body *b)
{
    static const char *const keys[] = {"title", "trace", "state", "version"};
    const cJSON *m, *title = cJSON_GetObjectItemCaseSensitive(req->json, "title"),
                    *trace = cJSON_GetObjectItemCaseSensitive(req->json, "trace"),
                    *state = cJSON_GetObjectItemCaseSensitive(req->json, "state"),
                    *version = cJSON_GetObjectItemCaseSensitive(req->json, "version");
    sl_trace_req rq;
    const char *t;
    size_t n;
    long chars;
    memset(b, 0, sizeof *b);
    cJSON_ArrayForEach(m, req->json) {
        size_t k = 0;
        while (k < (put ? 4u : 3u) && strcmp(keys[k], m->string)) k++;
        if (k == (put ? 4u : 3u))
            return srv_error(resp, 422, "EUSAGE", "unknown member \"%.40s\" (%s)", m->string,
                             put ? "title, trace, state, version" : "title, trace, state"), -1;
    }
    if (!cJSON_IsString(title)) return srv_error(resp, 422, "EUSAGE", "the body needs \"title\": a string"), -1;
    for (t = title->valuestring; isspace((unsigned char)*t); t++) {}
    for (n = strlen(t); n && isspace((unsigned char)t[n - 1]); n--) {}
    if ((chars = text_chars(t, n)) < 0)
        return srv_error(resp, 422, "EUSAGE", "\"title\" must be UTF-8 text without control characters"), -1;
    if (chars < 1 || chars > (long)SRV_CASE_TITLE_MAX)
        return srv_error(resp, 422, "EUSAGE", "\"title\" must have 1 to %u characters (it has %ld after trimming)",
                         SRV_CASE_TITLE_MAX, chars), -1;
    memcpy(b->title, t, n);
    b->title[n] = 0;
    if (!trace) return srv_error(resp, 422, "EUSAGE", "the body needs \"trace\": a POST /v1/traces body"), -1;
    memset(&rq, 0, sizeof rq);
    if (srv_trace_params(c->srv, trace, 0, "\"trace\": ", resp, &rq, NULL)) return -1;
    if (put && !state) return srv_error(resp, 422, "EUSAGE", "the body needs \"state\": an object"), -1;
    if (state && !cJSON_IsObject(state)) return srv_error(resp, 422, "EUSAGE", "\"state\" must be an object"), -1;
    if (state && check_state(state, resp)) return -1;
    if (put) {
        if (!cJSON_IsNumber(version) || version->valuedouble < 1 || version->valuedouble > 9007199254740991.0 ||
            version->valuedouble != (double)(int64_t)version->valuedouble)
            return srv_error(resp, 422, "EUSAGE", "the body needs \"version\": the case's version you loaded (a whole number from 1)"), -1;
        b->version = (int64_t)version->valuedouble;
    }
    b->trace = cJSON_PrintUnformatted(trace);
    b->state = state ? cJSON_PrintUnformatted(state) : sl_strdup("{}");
    if (!b->trace || !b->state) {
        sl_free(b->trace), sl_free(b->state);
        return srv_error(resp, 500, "ENOMEM", "out of memory"), -1;
    }
    if (strlen(b->state) > c->srv->o.max_body) {
        srv_error(resp, 413, "ELIMIT", "\"state\" is %zu bytes as JSON: at most %llu (--max-body)", strlen(b->state),
                  (unsigned long long)c->srv->o.max_body);
        sl_free(b->trace), sl_free(b->state);
        return -1;
    }
    return 0;
}

/* Binds what a body sets: ?1 title, ?2 trace, ?3 state, ?4 updated. */
static void bind_body(sqlite3_stmt *st, const case_body *b, int64_t updated)
{
    sqlite3_bind_text(st, 1, b->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->trace, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, updated);
}

/* ---------------- the endpoints ---------------- */

void srv_h_cases_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    uint64_t limit, offset;
    sqlite3_stmt *st = NULL;
    srv_cases *db;
    cJSON *j, *a;
    int rc;
    if (srv_param_u64(req, resp, "limit", 0, 10000, SRV_CASES_LIMIT_DEFAULT, &limit) ||
        srv_param_u64(req, resp, "offset", 0, INT64_MAX, 0, &offset))
        return;
    pthread_mutex_lock(&CASES_MU);
    if (!(st = prepare(c->srv, "SELECT id,title,created,updated,version,author FROM cases ORDER BY updated DESC, id DESC "
                               "LIMIT ? OFFSET ?", &db, resp)))
        goto out;
    sqlite3_bind_int64(st, 1, (int64_t)limit);
    sqlite3_bind_int64(st, 2, (int64_t)offset);
    j = cJSON_CreateObject();
    a = cJSON_AddArrayToObject(j, "cases");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        srv_case one;
        sl_error e = {0};
        if (row_of(st, false, &one)) break; /* out of memory: said below */
        cJSON_AddItemToArray(a, srv_case_json(&one, false, &e));
        srv_case_free(&one);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cJSON_Delete(j);
        db_error(db, resp);
    } else if (rc == SQLITE_ROW) {
        cJSON_Delete(j);
        srv_error(resp, 500, "ENOMEM", "out of memory");
    } else {
        srv_json(resp, 200, j);
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&CASES_MU);
}

/* POST (id 0: a new case) or PUT of case id: checks the body, writes it and answers the case
 * as stored (201 with Location for a new one; 409 when a PUT's version is not the stored). */
static void write_case(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp, int64_t id)
{
    static const char INSERT[] = "INSERT INTO cases(title,trace,state,updated,created,author,version) VALUES(?,?,?,?,?,?,1)";
    static const char UPDATE[] = "UPDATE cases SET title=?, trace=?, state=?, updated=?, version=version+1 WHERE id=? AND version=?";
    bool create = id == 0, changed;
    int64_t now = (int64_t)time(NULL);
    case_body b;
    sqlite3_stmt *st = NULL;
    srv_cases *db;
    srv_case one;
    char author[40];
    if (read_body(c, req, resp, !create, &b)) return;
    snprintf(author, sizeof author, "token:%lld", (long long)req->tok.id);
    pthread_mutex_lock(&CASES_MU);
    if (!(st = prepare(c->srv, create ? INSERT : UPDATE, &db, resp))) goto out;
    bind_body(st, &b, now);
    if (create) sqlite3_bind_int64(st, 5, now), sqlite3_bind_text(st, 6, author, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 5, id), sqlite3_bind_int64(st, 6, b.version);
    if (!run_done(db, st, resp)) goto out;
    changed = create || sqlite3_changes(db->db) > 0;
    if (create) id = sqlite3_last_insert_rowid(db->db);
    if (load_locked(db, id, &one, resp)) goto out; /* a PUT of no such case: 404 */
    if (!changed) { /* it is there: another version */
        srv_error(resp, 409, "ECONFLICT", "the case changed since you loaded it: version %lld (you sent %lld); "
                  "load it again and reapply your change", (long long)one.version, (long long)b.version);
    } else {
        if (create) snprintf(resp->location, sizeof resp->location, "/v1/cases/%lld", (long long)id);
        answer_case(resp, create ? 201 : 200, &one);
    }
    srv_case_free(&one);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&CASES_MU);
    sl_free(b.trace), sl_free(b.state);
}

void srv_h_cases_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp) { write_case(c, req, resp, 0); }

void srv_h_case_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    srv_case one;
    if (!id || srv_case_load(c->srv, id, &one, resp)) return;
    answer_case(resp, 200, &one);
    srv_case_free(&one);
}

void srv_h_case_put(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    if (id) write_case(c, req, resp, id);
}

void srv_h_case_delete(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    int64_t id = srv_path_id(req, resp, 1);
    sqlite3_stmt *st = NULL;
    srv_cases *db;
    if (!id) return;
    pthread_mutex_lock(&CASES_MU);
    if (!(st = prepare(c->srv, "DELETE FROM cases WHERE id=?", &db, resp))) goto out;
    sqlite3_bind_int64(st, 1, id);
    if (!run_done(db, st, resp)) {
        goto out;
    } else if (!sqlite3_changes(db->db)) {
        srv_error(resp, 404, "ENOTFOUND", "no case %lld", (long long)id);
    } else {
        cJSON *j = cJSON_CreateObject();
        sl_json_u64(j, "deleted", (uint64_t)id);
        srv_json(resp, 200, j);
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&CASES_MU);
}
