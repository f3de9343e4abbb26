/* tags.c — the tag store: a SQLite database at STORE_DIR/knowledge/tags.db (WAL journal)
 * holding what tag packs, sanctions lists and label files say of addresses and
 * transactions, with the file each statement came from.
 *
 * Schema (user_version 1):
 *   sources(id, name UNIQUE, kind, title, creator, imported)   one row per imported file
 *   tags(id, chain, subject, is_tx, label, category, abuse, concepts, source, confidence,
 *        level, actor, is_cluster_definer, context, incident, role, lastmod, source_id)
 *     index tags_subject(subject, chain): address -> tags is one B-tree descent (O(log n),
 *       a few page reads: effectively constant, see docs/TAGS.md for measurements);
 *     unique tags_uniq(source_id, chain, is_tx, subject, label, source): duplicates in a
 *       file are stored once and counted;
 *     index tags_incident(incident) for `sleuth incidents NAME` and `sleuth link`.
 *   actors(id PRIMARY KEY, label, uri, categories, jurisdictions, aliases, context,
 *          lastmod, source_id)
 * Deleting a source row deletes its tags and actors (ON DELETE CASCADE), which is how a
 * file imported again replaces itself. Every import is one transaction (BEGIN IMMEDIATE ..
 * COMMIT, ROLLBACK on any error).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

#ifndef SLEUTH_DATA_DIR
#define SLEUTH_DATA_DIR "data"
#endif

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS sources(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, kind TEXT,"
    " title TEXT, creator TEXT, imported TEXT);"
    "CREATE TABLE IF NOT EXISTS tags(id INTEGER PRIMARY KEY, chain TEXT NOT NULL, subject TEXT NOT NULL,"
    " is_tx INTEGER NOT NULL, label TEXT NOT NULL, category TEXT, abuse TEXT, concepts TEXT, source TEXT NOT NULL,"
    " confidence TEXT NOT NULL, level INTEGER NOT NULL, actor TEXT, is_cluster_definer INTEGER NOT NULL,"
    " context TEXT, incident TEXT, role TEXT, lastmod TEXT,"
    " source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE);"
    "CREATE INDEX IF NOT EXISTS tags_subject ON tags(subject, chain);"
    "CREATE UNIQUE INDEX IF NOT EXISTS tags_uniq ON tags(source_id, chain, is_tx, subject, label, source);"
    "CREATE INDEX IF NOT EXISTS tags_incident ON tags(incident) WHERE incident IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS tags_source ON tags(source_id);"
    "CREATE TABLE IF NOT EXISTS actors(id TEXT PRIMARY KEY, label TEXT, uri TEXT, categories TEXT,"
    " jurisdictions TEXT, aliases TEXT, context TEXT, lastmod TEXT,"
    " source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE);"
    "PRAGMA user_version=1;";

#define TAG_COLS                                                                                              \
    "t.chain, t.subject, t.is_tx, t.label, t.category, t.abuse, t.concepts, t.source, t.confidence, t.level," \
    " t.actor, a.label, t.is_cluster_definer, t.context, t.incident, t.role, t.lastmod, s.title, s.name"
#define TAG_FROM " FROM tags t JOIN sources s ON s.id = t.source_id LEFT JOIN actors a ON a.id = t.actor "

const char *sl_tags_data_dir(void)
{
    const char *d = getenv("SLEUTH_DATA");
    return d && *d ? d : SLEUTH_DATA_DIR;
}

static int db_err(sl_tags *t, sl_error *e, const char *what)
{
    return sl_err(e, SL_ESTORE, "tag store: %s: %s", what, t && t->db ? sqlite3_errmsg(t->db) : "cannot open");
}

static char *db_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 16;
    char *p = sl_malloc(n);
    if (p) snprintf(p, n, "%s/knowledge%s%s", dir, *name ? "/" : "", name);
    return p;
}

bool sl_tags_exists(const char *store_dir)
{
    char *p = db_path(store_dir, "tags.db");
    struct stat st;
    bool ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
    sl_free(p);
    return ok;
}

/* Imports data/incidents/ *.tagpack.yaml into a new db (the incident library). */
static int import_library(sl_tags *t, sl_error *e)
{
    const char *dd = sl_tags_data_dir();
    size_t n = strlen(dd) + 32;
    char *dir = sl_malloc(n);
    if (!dir) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(dir, n, "%s/incidents", dd);
    int rc = SL_OK;
    struct dirent **names = NULL;
    int k = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *nm = names[i]->d_name;
        size_t l = strlen(nm);
        if (!rc && l > 13 && !strcmp(nm + l - 13, ".tagpack.yaml")) {
            size_t pn = strlen(dir) + l + 2;
            char *p = sl_malloc(pn);
            sl_tags_import_stats st;
            if (!p) rc = sl_err(e, SL_ENOMEM, "out of memory");
            else {
                snprintf(p, pn, "%s/%s", dir, nm);
                rc = sl_tags_import(t, p, NULL, &st, e);
                if (rc) sl_err_prefix(e, "incident library: ");
            }
            sl_free(p);
        }
        free(names[i]);
    }
    free(names);
    sl_free(dir);
    return rc;
}

/* The db's format: user_version 0 is a new file (the schema is written, in WAL mode),
 * 1 is this one, anything else is refused. */
static int schema(sl_tags *t, const char *path, bool fresh, sl_error *e)
{
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_prepare_v2(t->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) return db_err(t, e, path);
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (v == 1) return SL_OK;
    if (v != 0 || !fresh)
        return sl_err(e, v < 0 ? SL_ESTORE : SL_EVERSION, "%s: not a sleuth tag db of format 1 (user_version %d)", path, v);
    if (sqlite3_exec(t->db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(t->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(t, e, path);
    return SL_OK;
}

int sl_tags_open(sl_tags **out, const char *store_dir, unsigned flags, sl_error *e)
{
    sl_tags *t;
    char *kdir = NULL, *path = NULL;
    bool fresh = false;
    int rc = SL_OK;
    *out = NULL;
    if (!(t = sl_calloc(1, sizeof *t)) || !(t->dir = sl_strdup(store_dir)) || !(kdir = db_path(store_dir, "")) ||
        !(path = db_path(store_dir, "tags.db"))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto fail;
    }
    fresh = !sl_tags_exists(store_dir);
    if (fresh && !(flags & SL_TAGS_CREATE)) {
        rc = sl_err(e, SL_ENOTFOUND, "%s: the store has no tags (import some with `sleuth tags import`)", store_dir);
        goto fail;
    }
    if (fresh) {
        if (mkdir(store_dir, 0777) && errno != EEXIST) { rc = sl_err(e, SL_EIO, "%s: cannot create: %s", store_dir, strerror(errno)); goto fail; }
        if (mkdir(kdir, 0777) && errno != EEXIST) { rc = sl_err(e, SL_EIO, "%s: cannot create: %s", kdir, strerror(errno)); goto fail; }
    }
    if (sqlite3_open_v2(path, &t->db, (flags & SL_TAGS_CREATE) ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE,
                        NULL) != SQLITE_OK &&
        sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = db_err(t, e, path);
        goto fail;
    }
    sqlite3_busy_timeout(t->db, 10000);
    /* per connection: cascades (a file imported again replaces its rows), cheap commits */
    if (sqlite3_exec(t->db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(t, e, path);
        goto fail;
    }
    if ((rc = schema(t, path, fresh || (flags & SL_TAGS_CREATE), e))) goto fail;
    /* a look-up handle never writes (no file of the store changes under a reader) */
    if (!(flags & SL_TAGS_CREATE) && sqlite3_exec(t->db, "PRAGMA query_only=1;", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(t, e, path);
        goto fail;
    }
    if (sqlite3_prepare_v2(t->db, "SELECT " TAG_COLS TAG_FROM "WHERE t.subject = ?1 AND t.chain = ?2 AND t.is_tx = ?3"
                           " ORDER BY t.id", -1, &t->by_subject, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db, "SELECT " TAG_COLS TAG_FROM "WHERE t.subject = ?1 AND t.is_tx = ?3 ORDER BY t.id", -1,
                           &t->by_subject_any, NULL) != SQLITE_OK) {
        rc = db_err(t, e, "prepare");
        goto fail;
    }
    if (fresh && !(flags & SL_TAGS_NO_LIBRARY) && (rc = import_library(t, e))) goto fail;
    sl_free(kdir);
    sl_free(path);
    *out = t;
    return SL_OK;
fail:
    sl_tags_close(t);
    if (rc && path && (flags & SL_TAGS_CREATE) && fresh) {
        /* a refused creation leaves no db behind */
        char *w = db_path(store_dir, "tags.db-wal"), *s = db_path(store_dir, "tags.db-shm");
        unlink(path);
        if (w) unlink(w);
        if (s) unlink(s);
        sl_free(w), sl_free(s);
    }
    sl_free(kdir);
    sl_free(path);
    return rc;
}

void sl_tags_close(sl_tags *t)
{
    if (!t) return;
    sqlite3_finalize(t->by_subject);
    sqlite3_finalize(t->by_subject_any);
    if (t->db) sqlite3_close(t->db);
    sl_free(t->dir);
    sl_free(t);
}

/* ---- lists ---- */

void sl_tag_list_free(sl_tag_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        sl_tag *g = &l->v[i];
        char **f[] = {&g->chain, &g->address, &g->tx_hash, &g->label, &g->category, &g->abuse, &g->concepts,
                      &g->source, &g->confidence, &g->actor, &g->actor_label, &g->context, &g->incident,
                      &g->role, &g->lastmod, &g->pack, &g->file};
        for (size_t k = 0; k < sizeof f / sizeof *f; k++) sl_free(*f[k]);
    }
    if (l) sl_free(l->v), memset(l, 0, sizeof *l);
}

static char *col(sqlite3_stmt *s, int i, bool *oom)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    char *d;
    if (!v) return NULL;
    if (!(d = sl_strdup((const char *)v))) *oom = true;
    return d;
}

/* Appends every row of s (TAG_COLS) to l; resets s. */
static int collect(sl_tags *t, sqlite3_stmt *s, sl_tag_list *l, sl_error *e)
{
    int r;
    bool oom = false;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        sl_tag *g;
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 8;
            sl_tag *nv = sl_realloc(l->v, nc * sizeof *nv);
            if (!nv) { oom = true; break; }
            l->v = nv, l->cap = nc;
        }
        g = &l->v[l->n++];
        memset(g, 0, sizeof *g);
        g->chain = col(s, 0, &oom);
        if (sqlite3_column_int(s, 2)) g->tx_hash = col(s, 1, &oom);
        else g->address = col(s, 1, &oom);
        g->label = col(s, 3, &oom), g->category = col(s, 4, &oom), g->abuse = col(s, 5, &oom);
        g->concepts = col(s, 6, &oom), g->source = col(s, 7, &oom), g->confidence = col(s, 8, &oom);
        g->level = sqlite3_column_int(s, 9);
        g->actor = col(s, 10, &oom), g->actor_label = col(s, 11, &oom);
        g->is_cluster_definer = sqlite3_column_int(s, 12) != 0;
        g->context = col(s, 13, &oom), g->incident = col(s, 14, &oom), g->role = col(s, 15, &oom);
        g->lastmod = col(s, 16, &oom), g->pack = col(s, 17, &oom), g->file = col(s, 18, &oom);
    }
    sqlite3_reset(s);
    if (oom) { sl_tag_list_free(l); return sl_err(e, SL_ENOMEM, "out of memory"); }
    if (r != SQLITE_DONE) { sl_tag_list_free(l); return db_err(t, e, "query"); }
    return SL_OK;
}

static int by_subject(sl_tags *t, const char *chain, const char *subject, bool is_tx, sl_tag_list *out, sl_error *e)
{
    sqlite3_stmt *s = chain ? t->by_subject : t->by_subject_any;
    int rc;
    sqlite3_bind_text(s, 1, subject, -1, SQLITE_TRANSIENT);
    if (chain) sqlite3_bind_text(s, 2, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, is_tx);
    rc = collect(t, s, out, e);
    sqlite3_clear_bindings(s);
    /* best first; equal tags keep the order they were imported in (a stable insertion
     * sort: an address has few tags) */
    for (size_t i = 1; !rc && i < out->n; i++) {
        sl_tag x = out->v[i];
        size_t j = i;
        for (; j > 0 && sl_tags_cmp(&x, &out->v[j - 1]) < 0; j--) out->v[j] = out->v[j - 1];
        out->v[j] = x;
    }
    return rc;
}

int sl_tags_for_address(sl_tags *t, const char *chain, const char *address, sl_tag_list *out, sl_error *e)
{
    char c[32], a[128];
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = sl_tags_key(c, a, chain, address, e))) return rc;
    /* no chain given: an EVM address may be tagged on any EVM chain */
    return by_subject(t, chain && *chain ? c : NULL, a, false, out, e);
}

int sl_tags_for_ref(sl_tags *t, sl_store *s, sl_addr_ref a, sl_tag_list *out, sl_error *e)
{
    char txt[128];
    const sl_chain_def *d = sl_chain_by_id(a.chain);
    memset(out, 0, sizeof *out);
    if (!d || sl_addr_format(s, a, txt, sizeof txt)) return SL_OK;
    return sl_tags_for_address(t, d->model == SL_MODEL_UTXO ? "btc" : d->name, txt, out, e);
}

/* A tx hash as stored: lower case, 0x kept when given. */
static void tx_key(char out[160], const char *h)
{
    size_t i;
    for (i = 0; h[i] && i < 159; i++) out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
    out[i] = 0;
}

int sl_tags_for_tx(sl_tags *t, const char *chain, const char *tx_hash, sl_tag_list *out, sl_error *e)
{
    char k[160], c[32];
    int rc;
    memset(out, 0, sizeof *out);
    tx_key(k, tx_hash);
    if (chain && *chain) sl_tags_network(c, chain, NULL);
    if ((rc = by_subject(t, chain && *chain ? c : NULL, k, true, out, e)) || out->n) return rc;
    /* the same hash written the other way (with or without 0x) */
    if (k[0] == '0' && k[1] == 'x') return by_subject(t, chain && *chain ? c : NULL, k + 2, true, out, e);
    char k2[164];
    snprintf(k2, sizeof k2, "0x%s", k);
    return by_subject(t, chain && *chain ? c : NULL, k2, true, out, e);
}

static int query_list(sl_tags *t, const char *sql, const char *arg, sl_tag_list *out, sl_error *e)
{
    sqlite3_stmt *s;
    int rc;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK) return db_err(t, e, "prepare");
    if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
    rc = collect(t, s, out, e);
    sqlite3_finalize(s);
    return rc;
}

int sl_tags_for_incident(sl_tags *t, const char *incident, sl_tag_list *out, sl_error *e)
{
    return query_list(t, "SELECT " TAG_COLS TAG_FROM "WHERE t.incident = ?1 ORDER BY t.chain, t.is_tx, t.subject, t.id",
                      incident, out, e);
}

int sl_tags_all(sl_tags *t, const char *source, sl_tag_list *out, sl_error *e)
{
    return query_list(t, source ? "SELECT " TAG_COLS TAG_FROM "WHERE t.source = ?1 ORDER BY t.id"
                                : "SELECT " TAG_COLS TAG_FROM "ORDER BY t.id",
                      source, out, e);
}

int sl_tags_count(sl_tags *t, uint64_t *tags, uint64_t *subjects, sl_error *e)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(t->db, "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT chain, subject FROM tags))"
                           " FROM tags", -1, &s, NULL) != SQLITE_OK)
        return db_err(t, e, "prepare");
    if (sqlite3_step(s) != SQLITE_ROW) { sqlite3_finalize(s); return db_err(t, e, "count"); }
    *tags = (uint64_t)sqlite3_column_int64(s, 0);
    *subjects = (uint64_t)sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    return SL_OK;
}

int sl_tags_actor_get(sl_tags *t, const char *id, sl_tags_actor *out, sl_error *e)
{
    sqlite3_stmt *s;
    bool oom = false;
    int r;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(t->db, "SELECT a.id, a.label, a.uri, a.categories, a.jurisdictions, a.context, s.name"
                           " FROM actors a JOIN sources s ON s.id = a.source_id WHERE a.id = ?1", -1, &s, NULL) != SQLITE_OK)
        return db_err(t, e, "prepare");
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        out->id = col(s, 0, &oom), out->label = col(s, 1, &oom), out->uri = col(s, 2, &oom);
        out->categories = col(s, 3, &oom), out->jurisdictions = col(s, 4, &oom), out->context = col(s, 5, &oom);
        out->file = col(s, 6, &oom);
    }
    sqlite3_finalize(s);
    if (oom) { sl_tags_actor_free(out); return sl_err(e, SL_ENOMEM, "out of memory"); }
    if (r == SQLITE_DONE) return sl_err(e, SL_ENOTFOUND, "no actor '%s'", id);
    return r == SQLITE_ROW ? SL_OK : db_err(t, e, "actor");
}

void sl_tags_actor_free(sl_tags_actor *a)
{
    sl_free(a->id), sl_free(a->label), sl_free(a->uri), sl_free(a->categories), sl_free(a->jurisdictions);
    sl_free(a->context), sl_free(a->file);
    memset(a, 0, sizeof *a);
}

/* ---- best tag, conflicts, categories ---- */

int sl_tags_cmp(const sl_tag *a, const sl_tag *b)
{
    if (a->is_cluster_definer != b->is_cluster_definer) return a->is_cluster_definer ? -1 : 1;
    if (a->level != b->level) return a->level > b->level ? -1 : 1;
    return 0;
}

const sl_tag *sl_tags_best(const sl_tag *v, size_t n)
{
    const sl_tag *b = n ? &v[0] : NULL;
    for (size_t i = 1; i < n; i++)
        if (sl_tags_cmp(&v[i], b) < 0) b = &v[i];
    return b;
}

static bool eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static bool has_concept(const sl_tag *t, const char *c)
{
    char q[80];
    if (eq(t->category, c) || eq(t->abuse, c)) return true;
    if (!t->concepts) return false;
    snprintf(q, sizeof q, "\"%s\"", c);
    return strstr(t->concepts, q) != NULL;
}

static bool is_thief(const sl_tag *t)
{
    static const char *const T[] = {"perpetrator", "hacking", "service_hack", "account_hack", "exploit",
                                    "money_laundering", "scam", "ransomware"};
    for (size_t i = 0; i < sizeof T / sizeof *T; i++)
        if (has_concept(t, T[i])) return true;
    return false;
}

bool sl_tags_conflict(const sl_tag *a, const sl_tag *b)
{
    bool xa = has_concept(a, "exchange"), xb = has_concept(b, "exchange");
    if (xa && xb) {
        if (a->actor && b->actor) return strcmp(a->actor, b->actor) != 0;
        return !eq(a->label, b->label);
    }
    return (xa && is_thief(b)) || (xb && is_thief(a));
}

bool sl_tag_is(const sl_tag *t, const char *c)
{
    static const struct { const char *alias, *concept; } AL[] = {
        {"mixer", "mixing_service"}, {"bridge", "defi_bridge"}, {"dex", "defi_dex"}, {"sanctioned", "sanction"},
        {"thief", "perpetrator"},    {"hacker", "perpetrator"}, {"attacker", "perpetrator"}, {"cex", "exchange"},
    };
    if (has_concept(t, c)) return true;
    for (size_t i = 0; i < sizeof AL / sizeof *AL; i++)
        if (!strcmp(c, AL[i].alias) && has_concept(t, AL[i].concept)) return true;
    return false;
}
