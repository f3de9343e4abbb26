/* auth.c — API tokens: STORE/server.db (SQLite, created with mode 0600) holds one row per
 * token with the SHA-256 of its secret, never the secret itself, its role, label, creation
 * and revocation times:
 *
 *   tokens(id INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB UNIQUE (32 bytes), role TEXT
 *          ('read' | 'analyst' | 'admin'), label TEXT, created INTEGER (unix s),
 *          revoked INTEGER (unix s, NULL while live))
 *
 * A secret is "slt_" and 43 base64url characters (32 random bytes from OpenSSL's RAND);
 * it is shown once, by `sleuth token create` or POST /v1/tokens. The server checks a
 * request's token against an in-memory table of the live tokens' hashes (sorted, binary
 * search under a read lock): no SQLite on the hot path. The table is reloaded when it is
 * older than a second, by whichever request notices first (the others keep using the
 * current one), so a token created or revoked from the command line counts within a
 * second, and at once when done through the API.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server/server_int.h"
#include "sleuth/crypto.h"
#include "sleuth/util.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB NOT NULL UNIQUE,"
    " role TEXT NOT NULL, label TEXT, created INTEGER NOT NULL, revoked INTEGER);";

/* Opens STORE/server.db; create: make it (0600) when missing. */
static int db_open(sqlite3 **db, const char *store_dir, bool create, sl_error *e)
{
    char path[4200];
    struct stat st;
    *db = NULL;
    if (stat(store_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_err(e, SL_ENOTFOUND, "%s: no such store folder", store_dir);
    snprintf(path, sizeof path, "%s/server.db", store_dir);
    if (!create && stat(path, &st) != 0) return sl_err(e, SL_ENOTFOUND, "%s: no tokens yet (sleuth token create)", path);
    if (create && stat(path, &st) != 0) {
        mode_t old = umask(077); /* the hashes are no secret, but nobody else has business there */
        int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        umask(old);
        if (rc != SQLITE_OK) goto fail;
    } else if (sqlite3_open_v2(path, db, create ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        goto fail;
    }
    sqlite3_busy_timeout(*db, 5000);
    if (create && sqlite3_exec(*db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    return SL_OK;
fail:;
    int rc = sl_err(e, SL_ESTORE, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
    sqlite3_close(*db);
    *db = NULL;
    return rc;
}

/* The SQLite error of db as e (SL_ESTORE), after closing st and db. Returns the code. */
static int db_fail(sqlite3 *db, sqlite3_stmt *st, const char *store_dir, sl_error *e)
{
    int rc = sl_err(e, SL_ESTORE, "%s/server.db: %s", store_dir, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static void b64url(char *out, const uint8_t *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | p[i], bits += 8;
        while (bits >= 6) *out++ = A[(acc >> (bits - 6)) & 63], bits -= 6;
    }
    if (bits) *out++ = A[(acc << (6 - bits)) & 63];
    *out = 0;
}

static cJSON *row_json(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    sl_json_u64(o, "id", (uint64_t)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "role", (const char *)sqlite3_column_text(st, 1));
    sl_json_str_or_null(o, "label", (const char *)sqlite3_column_text(st, 2));
    sl_json_u64(o, "created", (uint64_t)sqlite3_column_int64(st, 3));
    sl_json_u64_or_null(o, "revoked", (uint64_t)sqlite3_column_int64(st, 4), sqlite3_column_type(st, 4) != SQLITE_NULL);
    return o;
}

int sl_token_create(const char *store_dir, const char *role, const char *label, char **token_out, cJSON **out,
                    sl_error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    uint8_t raw[32], hash[32];
    char secret[4 + 44 + 1];
    int rc;
    *token_out = NULL, *out = NULL;
    if (!srv_role_parse(role)) return sl_err(e, SL_EUSAGE, "role '%s': give read, analyst or admin", role ? role : "");
    if (label && strlen(label) > 200) return sl_err(e, SL_EUSAGE, "a label has at most 200 bytes");
    if (RAND_bytes(raw, sizeof raw) != 1) return sl_err(e, SL_EIO, "no random bytes from OpenSSL");
    memcpy(secret, "slt_", 4);
    b64url(secret + 4, raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    sl_sha256(hash, secret, strlen(secret));
    if ((rc = db_open(&db, store_dir, true, e))) return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO tokens(hash, role, label, created) VALUES(?, ?, ?, ?) "
                               "RETURNING id, role, label, created, revoked", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
    if (label) sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    if (sqlite3_step(st) != SQLITE_ROW) goto fail;
    *out = row_json(st);
    if (sqlite3_step(st) != SQLITE_DONE) goto fail;
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!(*token_out = sl_strdup(secret)) || !*out || sl_alloc_failures()) {
        cJSON_Delete(*out), sl_free(*token_out);
        *out = NULL, *token_out = NULL;
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    OPENSSL_cleanse(secret, sizeof secret);
    return SL_OK;
fail:
    cJSON_Delete(*out);
    *out = NULL;
    return db_fail(db, st, store_dir, e);
}

int sl_token_list(const char *store_dir, cJSON **out, sl_error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cJSON *arr;
    int rc, s;
    *out = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(*out, "tokens");
    if ((rc = db_open(&db, store_dir, false, e))) {
        if (rc == SL_ENOTFOUND) { /* no tokens yet: an empty list */
            sl_err_clear(e);
            return SL_OK;
        }
        cJSON_Delete(*out);
        *out = NULL;
        return rc;
    }
    if (sqlite3_prepare_v2(db, "SELECT id, role, label, created, revoked FROM tokens ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) cJSON_AddItemToArray(arr, row_json(st));
    if (s != SQLITE_DONE) goto fail;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return SL_OK;
fail:
    cJSON_Delete(*out);
    *out = NULL;
    return db_fail(db, st, store_dir, e);
}

int sl_token_revoke(const char *store_dir, int64_t id, sl_error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = db_open(&db, store_dir, true, e))) return rc;
    if (sqlite3_prepare_v2(db, "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE) goto fail;
    rc = sqlite3_changes(db) ? SL_OK : sl_err(e, SL_ENOTFOUND, "no live token with id %lld", (long long)id);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
fail:
    return db_fail(db, st, store_dir, e);
}

/* ---------------- the server's table ---------------- */

struct srv_auth {
    char store_dir[4096];
    pthread_rwlock_t lock;       /* guards v, n */
    pthread_mutex_t reload;      /* one reloader at a time */
    srv_tok *v;
    size_t n;
    atomic_uint_fast64_t loaded_ns;
};

static int cmp_tok(const void *a, const void *b) { return memcmp(((const srv_tok *)a)->hash, ((const srv_tok *)b)->hash, 32); }

/* Reads the live tokens into a new sorted array. */
static int load(const char *store_dir, srv_tok **v, size_t *n, sl_error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc, s;
    *v = NULL, *n = 0;
    if ((rc = db_open(&db, store_dir, false, e))) return rc == SL_ENOTFOUND ? (sl_err_clear(e), SL_OK) : rc;
    if (sqlite3_prepare_v2(db, "SELECT hash, id, role FROM tokens WHERE revoked IS NULL", -1, &st, NULL) != SQLITE_OK) {
        rc = sl_err(e, SL_ESTORE, "%s/server.db: %s", store_dir, sqlite3_errmsg(db));
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32) continue;
        if (sl_grow((void **)v, &cap, *n + 1, sizeof **v)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
        memcpy((*v)[*n].hash, sqlite3_column_blob(st, 0), 32);
        (*v)[*n].id = sqlite3_column_int64(st, 1);
        (*v)[*n].role = srv_role_parse((const char *)sqlite3_column_text(st, 2));
        (*n)++;
    }
    if (s != SQLITE_DONE) rc = sl_err(e, SL_ESTORE, "%s/server.db: %s", store_dir, sqlite3_errmsg(db));
    else if (*n) qsort(*v, *n, sizeof **v, cmp_tok);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc) sl_free(*v), *v = NULL, *n = 0;
    return rc;
}

int srv_auth_open(srv_auth **out, const char *store_dir, sl_error *e)
{
    srv_auth *a = sl_calloc(1, sizeof *a);
    int rc;
    if (!a) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(a->store_dir, sizeof a->store_dir, "%s", store_dir);
    pthread_rwlock_init(&a->lock, NULL);
    pthread_mutex_init(&a->reload, NULL);
    if ((rc = load(store_dir, &a->v, &a->n, e))) {
        srv_auth_close(a);
        return rc;
    }
    atomic_store(&a->loaded_ns, srv_now_ns());
    *out = a;
    return SL_OK;
}

void srv_auth_close(srv_auth *a)
{
    if (!a) return;
    pthread_rwlock_destroy(&a->lock);
    pthread_mutex_destroy(&a->reload);
    sl_free(a->v);
    sl_free(a);
}

void srv_auth_reload(srv_auth *a)
{
    srv_tok *v, *old;
    size_t n;
    sl_error e = {0};
    pthread_mutex_lock(&a->reload);
    if (!load(a->store_dir, &v, &n, &e)) { /* a failed read keeps the table it had */
        pthread_rwlock_wrlock(&a->lock);
        old = a->v;
        a->v = v, a->n = n;
        pthread_rwlock_unlock(&a->lock);
        sl_free(old);
    }
    atomic_store(&a->loaded_ns, srv_now_ns());
    pthread_mutex_unlock(&a->reload);
}

bool srv_auth_check(srv_auth *a, const char *secret, size_t len, srv_tok *out)
{
    srv_tok key;
    const srv_tok *hit;
    bool ok = false;
    uint64_t now = srv_now_ns();
    if (now - atomic_load(&a->loaded_ns) > 1000000000u && pthread_mutex_trylock(&a->reload) == 0) {
        pthread_mutex_unlock(&a->reload);
        if (now - atomic_load(&a->loaded_ns) > 1000000000u) srv_auth_reload(a);
    }
    if (len < 5 || len > 200) return false;
    { /* the low-level interface: OpenSSL 3's one-shot SHA256() fetches the algorithm each call */
        SHA256_CTX h;
        SHA256_Init(&h);
        SHA256_Update(&h, secret, len);
        SHA256_Final(key.hash, &h);
    }
    pthread_rwlock_rdlock(&a->lock);
    hit = a->n ? bsearch(&key, a->v, a->n, sizeof *a->v, cmp_tok) : NULL;
    if (hit) *out = *hit, ok = true;
    pthread_rwlock_unlock(&a->lock);
    return ok;
}
