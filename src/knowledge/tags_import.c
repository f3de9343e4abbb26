/* tags_import.c — how a file gets into the tag store: one SQLite transaction per file
 * (the file's earlier rows deleted, its tags and actors inserted, COMMIT; ROLLBACK on the
 * first error, so a bad file changes nothing), the choice of importer by content, and
 * the validation every importer's tags go through (sl_tags__put: key and checksum,
 * address xor tx_hash, mandatory fields, confidence id, concepts, context JSON). Also
 * `tags add` (one analyst's tag) and `tags export` (a TagPack written with libyaml's
 * emitter, so every string is quoted as YAML needs). */
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

static int db_err(sl_tags *t, sl_error *e, const char *what)
{
    return sl_err(e, SL_ESTORE, "tag store: %s: %s", what, sqlite3_errmsg(t->db));
}

int sl_tags__bad_at(const char *path, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (line) sl_err(e, SL_ECORRUPT, "%s:%u: %s%s%s", path, line, field ? field : "", field ? ": " : "", m);
    else sl_err(e, SL_ECORRUPT, "%s: %s%s%s", path, field ? field : "", field ? ": " : "", m);
    sl_err_file(e, path);
    if (line) sl_err_line(e, line);
    if (field) sl_err_path(e, field);
    return SL_ECORRUPT;
}

int sl_tags__bad(sl_tags_imp *im, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return sl_tags__bad_at(im->path, line, field, e, "%s", m);
}

int sl_tags__warn(sl_tags_imp *im, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (im->opts && im->opts->strict) {
        char m[200];
        vsnprintf(m, sizeof m, fmt, ap);
        va_end(ap);
        return sl_tags__bad(im, line, field, e, "%s", m);
    }
    if (!im->st->warnings++) {
        int k = snprintf(im->st->warn, sizeof im->st->warn, "%.60s:%u: %.30s: ", im->file, line, field ? field : "");
        vsnprintf(im->st->warn + k, sizeof im->st->warn - (size_t)k, fmt, ap);
    }
    va_end(ap);
    return SL_OK;
}

int sl_tags__source_title(sl_tags_imp *im, const char *title, const char *creator, sl_error *e)
{
    sqlite3_stmt *s;
    int r;
    if (sqlite3_prepare_v2(im->t->db, "UPDATE sources SET title = ?1, creator = ?2 WHERE id = ?3", -1, &s, NULL))
        return db_err(im->t, e, "prepare");
    sqlite3_bind_text(s, 1, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, creator, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, im->source_id);
    r = sqlite3_step(s);
    sqlite3_finalize(s);
    return r == SQLITE_DONE ? SL_OK : db_err(im->t, e, "source");
}

static bool blank(const char *s) { return !s || !*s; }

/* The concepts of a JSON array text, each checked. */
static int check_concepts(sl_tags_imp *im, const sl_tag_in *in, sl_error *e)
{
    cJSON *j = cJSON_Parse(in->concepts), *c;
    int rc = SL_OK;
    if (!cJSON_IsArray(j)) { cJSON_Delete(j); return sl_tags__bad(im, in->line, "concepts", e, "not a list of concepts"); }
    cJSON_ArrayForEach(c, j) {
        if (!cJSON_IsString(c)) { rc = sl_tags__bad(im, in->line, "concepts", e, "not a list of concepts"); break; }
        if (!sl_tags__concept_ok(c->valuestring) &&
            (rc = sl_tags__warn(im, in->line, "concepts", e, "'%s' is not a concept of the taxonomy", c->valuestring)))
            break;
    }
    cJSON_Delete(j);
    return rc;
}

int sl_tags__put(sl_tags_imp *im, const sl_tag_in *in, sl_error *e)
{
    char chain[32], subj[160];
    const char *conf = in->confidence, *incident = NULL, *role = NULL;
    cJSON *ctx = NULL;
    sqlite3_stmt *s = im->ins_tag;
    int level, rc = SL_OK, r;
    sl_error ke = {0};

    if (!blank(in->address) == !blank(in->tx_hash))
        return sl_tags__bad(im, in->line, blank(in->address) ? "address" : "tx_hash", e,
                            blank(in->address) ? "a tag needs an address or a tx_hash" : "give address or tx_hash, not both");
    if (blank(in->label)) return sl_tags__bad(im, in->line, "label", e, "missing (mandatory)");
    if (blank(in->source)) return sl_tags__bad(im, in->line, "source", e, "missing (mandatory)");
    if (blank(in->network)) return sl_tags__bad(im, in->line, "currency", e, "missing: give network or currency");
    if (blank(conf)) {
        if ((rc = sl_tags__warn(im, in->line, "confidence", e, "missing; taken as 'unknown'"))) return rc;
        conf = "unknown";
    }
    if ((level = sl_tags__confidence_level(conf)) < 0)
        return sl_tags__bad(im, in->line, "confidence", e, "'%s' is not a confidence id of the taxonomy", conf);
    if (!blank(in->category) && !sl_tags__concept_ok(in->category) &&
        (rc = sl_tags__warn(im, in->line, "category", e, "'%s' is not a concept of the taxonomy", in->category)))
        return rc;
    if (!blank(in->abuse) && !sl_tags__concept_ok(in->abuse) &&
        (rc = sl_tags__warn(im, in->line, "abuse", e, "'%s' is not a concept of the taxonomy", in->abuse)))
        return rc;
    if (!blank(in->concepts) && (rc = check_concepts(im, in, e))) return rc;
    if (!blank(in->address)) {
        if (sl_tags_key(chain, subj, in->network, in->address, &ke))
            return sl_tags__bad(im, in->line, "address", e, "%s", ke.msg);
    } else {
        size_t i;
        sl_tags_network(chain, in->network, in->tx_hash);
        for (i = 0; in->tx_hash[i] && i < sizeof subj - 1; i++)
            subj[i] = (char)((in->tx_hash[i] >= 'A' && in->tx_hash[i] <= 'Z') ? in->tx_hash[i] + 32 : in->tx_hash[i]);
        subj[i] = 0;
        if (in->tx_hash[i]) return sl_tags__bad(im, in->line, "tx_hash", e, "too long");
    }
    if (!blank(in->context) && (ctx = cJSON_Parse(in->context)) && cJSON_IsObject(ctx)) {
        cJSON *a = cJSON_GetObjectItemCaseSensitive(ctx, "incident"), *b = cJSON_GetObjectItemCaseSensitive(ctx, "role");
        if (cJSON_IsString(a)) incident = a->valuestring;
        if (cJSON_IsString(b)) role = b->valuestring;
    }
    sqlite3_bind_text(s, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, subj, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, blank(in->address));
    sqlite3_bind_text(s, 4, in->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, blank(in->category) ? NULL : in->category, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, blank(in->abuse) ? NULL : in->abuse, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, blank(in->concepts) ? NULL : in->concepts, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 8, in->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 9, conf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 10, level);
    sqlite3_bind_text(s, 11, blank(in->actor) ? NULL : in->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 12, in->is_cluster_definer > 0);
    sqlite3_bind_text(s, 13, blank(in->context) ? NULL : in->context, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 14, incident, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 15, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 16, blank(in->lastmod) ? NULL : in->lastmod, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 17, im->source_id);
    r = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    cJSON_Delete(ctx);
    if (r != SQLITE_DONE) return db_err(im->t, e, "insert");
    if (sqlite3_changes(im->t->db)) im->st->tags++;
    else im->st->duplicates++;
    return SL_OK;
}

int sl_tags__put_actor(sl_tags_imp *im, const char *id, const char *label, const char *uri, const char *categories,
                       const char *jurisdictions, const char *aliases, const char *context, const char *lastmod,
                       unsigned line, sl_error *e)
{
    sqlite3_stmt *s = im->ins_actor;
    const char *v[] = {id, label, uri, categories, jurisdictions, aliases, context, lastmod};
    int r;
    if (blank(id)) return sl_tags__bad(im, line, "id", e, "missing (mandatory)");
    if (blank(label)) return sl_tags__bad(im, line, "label", e, "missing (mandatory)");
    for (int i = 0; i < 8; i++) sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 9, im->source_id);
    r = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (r != SQLITE_DONE) return db_err(im->t, e, "insert actor");
    if (sqlite3_changes(im->t->db)) im->st->actors++;
    else im->st->duplicates++;
    return SL_OK;
}

static const char INS_TAG[] =
    "INSERT OR IGNORE INTO tags(chain, subject, is_tx, label, category, abuse, concepts, source, confidence, level,"
    " actor, is_cluster_definer, context, incident, role, lastmod, source_id)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)";
/* an actor defined twice (two packs) keeps the first definition */
static const char INS_ACTOR[] =
    "INSERT OR IGNORE INTO actors(id, label, uri, categories, jurisdictions, aliases, context, lastmod, source_id)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)";

/* Starts the transaction of one file and its source row (after deleting the same name's). */
static int begin(sl_tags_imp *im, bool replace, sl_error *e)
{
    sl_tags *t = im->t;
    sqlite3_stmt *s = NULL;
    char now[32];
    time_t tt = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
    if (sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_err(t, e, "begin");
    if (replace) {
        if (sqlite3_prepare_v2(t->db, "DELETE FROM sources WHERE name = ?1", -1, &s, NULL)) goto fail;
        sqlite3_bind_text(s, 1, im->file, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) != SQLITE_DONE) goto fail;
        sqlite3_finalize(s);
        s = NULL;
    }
    if (sqlite3_prepare_v2(t->db, "INSERT OR IGNORE INTO sources(name, imported) VALUES(?1, ?2)", -1, &s, NULL)) goto fail;
    sqlite3_bind_text(s, 1, im->file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) goto fail;
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(t->db, "SELECT id FROM sources WHERE name = ?1", -1, &s, NULL)) goto fail;
    sqlite3_bind_text(s, 1, im->file, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW) goto fail;
    im->source_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(t->db, INS_TAG, -1, &im->ins_tag, NULL) ||
        sqlite3_prepare_v2(t->db, INS_ACTOR, -1, &im->ins_actor, NULL))
        goto fail;
    return SL_OK;
fail:
    db_err(t, e, "import");
    sqlite3_finalize(s);
    sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    return SL_ESTORE;
}

static int finish(sl_tags_imp *im, int rc, sl_error *e)
{
    sqlite3_finalize(im->ins_tag);
    sqlite3_finalize(im->ins_actor);
    im->ins_tag = im->ins_actor = NULL;
    if (!rc) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(im->t->db, "UPDATE sources SET kind = ?1 WHERE id = ?2", -1, &s, NULL) == SQLITE_OK) {
            sqlite3_bind_text(s, 1, im->st->kind, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 2, im->source_id);
            if (sqlite3_step(s) != SQLITE_DONE) rc = db_err(im->t, e, "source");
            sqlite3_finalize(s);
        } else rc = db_err(im->t, e, "prepare");
    }
    if (!rc && sqlite3_exec(im->t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = db_err(im->t, e, "commit");
    if (rc) sqlite3_exec(im->t->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The importer for what f holds, by its first bytes. */
static int import_stream(sl_tags_imp *im, FILE *f, sl_error *e)
{
    unsigned char head[512];
    size_t n = fread(head, 1, sizeof head, f), i = 0;
    if (ferror(f)) return sl_err(e, SL_EIO, "%s: cannot read", im->path);
    rewind(f);
    if (n >= 3 && !memcmp(head, "BZh", 3)) return sl_tags__import_xml(im, f, true, e);
    if (n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf) i = 3;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (i < n && head[i] == '<') return sl_tags__import_xml(im, f, false, e);
    if (i < n && head[i] == '{') return sl_tags__import_json(im, f, e);
    /* CSV: a first line with commas and no "key:" of YAML */
    {
        const unsigned char *eol = memchr(head, '\n', n);
        size_t l = eol ? (size_t)(eol - head) : n;
        char line[513];
        memcpy(line, head, l);
        line[l] = 0;
        if (strchr(line, ',') && !strchr(line, ':')) return sl_tags__import_csv(im, f, e);
    }
    /* libyaml holds a whole scalar in memory: a pack is a few MB (samourai.yaml, the largest
     * published, 2 MB), so a YAML file over 256 MiB is refused before it is read */
    {
        off_t size = fseeko(f, 0, SEEK_END) == 0 ? ftello(f) : -1;
        rewind(f);
        if (size > (off_t)256 << 20) return sl_tags__bad(im, 0, "yaml", e, "larger than 256 MiB: not a tag pack");
    }
    return sl_tags__import_yaml(im, f, e);
}

static int import_file(sl_tags *t, const char *path, const char *name, FILE *f, const sl_tags_import_opts *opts,
                       sl_tags_import_stats *st, sl_error *e)
{
    sl_tags_imp im = {.t = t, .file = name, .path = path, .opts = opts, .st = st};
    int rc;
    memset(st, 0, sizeof *st);
    if ((rc = begin(&im, true, e))) return rc;
    rc = import_stream(&im, f, e);
    if (!rc && !st->tags && !st->actors && !st->duplicates)
        rc = sl_tags__bad(&im, 0, NULL, e, "no tags or actors in it");
    return finish(&im, rc, e);
}

int sl_tags_import(sl_tags *t, const char *path, const sl_tags_import_opts *opts, sl_tags_import_stats *st, sl_error *e)
{
    FILE *f = fopen(path, "rb");
    char *dup;
    int rc;
    if (!f) return sl_err(e, SL_EIO, "%s: cannot open", path);
    if (!(dup = sl_strdup(path))) { fclose(f); return sl_err(e, SL_ENOMEM, "out of memory"); }
    rc = import_file(t, path, basename(dup), f, opts, st, e);
    sl_free(dup);
    fclose(f);
    return rc;
}

int sl_tags_import_mem(sl_tags *t, const char *name, const char *data, size_t len, const sl_tags_import_opts *opts,
                       sl_tags_import_stats *st, sl_error *e)
{
    FILE *f = fmemopen((void *)data, len ? len : 1, "rb");
    int rc;
    if (!len) { if (f) fclose(f); memset(st, 0, sizeof *st); return sl_err(e, SL_ECORRUPT, "%s: empty", name); }
    if (!f) return sl_err(e, SL_ENOMEM, "out of memory");
    rc = import_file(t, name, name, f, opts, st, e);
    fclose(f);
    return rc;
}

/* ---- tags add ---- */

int sl_tags_add(sl_tags *t, const sl_tag *tag, sl_error *e)
{
    sl_tags_import_stats st;
    sl_tags_imp im = {.t = t, .file = "(added)", .path = "tags add", .st = &st};
    sl_tags_import_opts strict = {.strict = true};
    sl_tag_in in = {.network = tag->chain, .address = tag->address, .tx_hash = tag->tx_hash, .label = tag->label,
                    .category = tag->category, .abuse = tag->abuse, .concepts = tag->concepts, .source = tag->source,
                    .confidence = tag->confidence ? tag->confidence : "forensic", .actor = tag->actor,
                    .context = tag->context, .lastmod = tag->lastmod, .is_cluster_definer = tag->is_cluster_definer};
    char chain[32];
    int rc;
    memset(&st, 0, sizeof st);
    im.opts = &strict;
    if (blank(tag->category)) return sl_err(e, SL_EUSAGE, "--category is required");
    if (blank(tag->chain) && tag->address) {
        sl_tags_network(chain, "", tag->address);
        in.network = chain;
    }
    if ((rc = begin(&im, false, e))) return rc;
    snprintf(st.kind, sizeof st.kind, "added");
    rc = sl_tags__put(&im, &in, e);
    if (rc == SL_ECORRUPT) {
        /* the user's words, not a file's: say it as a usage error without the file location */
        char m[sizeof e->msg];
        const char *p = strstr(e->msg, ": ");
        snprintf(m, sizeof m, "%s", p ? p + 2 : e->msg);
        sl_err_clear(e);
        rc = sl_err(e, SL_EUSAGE, "%s", m);
    }
    return finish(&im, rc, e);
}

/* ---- export (libyaml emitter) ---- */

static bool emit(yaml_emitter_t *em, yaml_event_t *ev) { return yaml_emitter_emit(em, ev) != 0; }

static bool scalar(yaml_emitter_t *em, const char *s, bool plain_ok)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok, 1,
                                 plain_ok ? YAML_ANY_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE);
    return emit(em, &ev);
}

static bool kv(yaml_emitter_t *em, const char *k, const char *v)
{
    if (!v) return true;
    /* strings are quoted so that YAML never reads them as numbers, dates or booleans */
    return scalar(em, k, true) && scalar(em, v, false);
}

static bool seq_of_json(yaml_emitter_t *em, const char *k, const char *json)
{
    yaml_event_t ev;
    cJSON *j = cJSON_Parse(json), *c;
    bool ok;
    if (!cJSON_IsArray(j)) { cJSON_Delete(j); return kv(em, k, json); }
    ok = scalar(em, k, true);
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
    ok = ok && emit(em, &ev);
    cJSON_ArrayForEach(c, j) if (cJSON_IsString(c)) ok = ok && scalar(em, c->valuestring, false);
    yaml_sequence_end_event_initialize(&ev);
    ok = ok && emit(em, &ev);
    cJSON_Delete(j);
    return ok;
}

static int write_handler(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, (FILE *)data) == size;
}

int sl_tags_export(sl_tags *t, FILE *f, const char *source, sl_error *e)
{
    sl_tag_list l;
    yaml_emitter_t em;
    yaml_event_t ev;
    bool ok;
    int rc = sl_tags_all(t, source, &l, e);
    if (rc) return rc;
    if (!yaml_emitter_initialize(&em)) { sl_tag_list_free(&l); return sl_err(e, SL_ENOMEM, "out of memory"); }
    yaml_emitter_set_output(&em, write_handler, f);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ok = emit(&em, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && emit(&em, &ev);
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    ok = ok && emit(&em, &ev);
    ok = ok && kv(&em, "title", source ? source : "sleuth tag export");
    ok = ok && kv(&em, "creator", "sleuth tags export");
    ok = ok && kv(&em, "description", "Tags exported from a sleuth tag store; every field explicit on every tag");
    ok = ok && scalar(&em, "tags", true);
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    ok = ok && emit(&em, &ev);
    for (size_t i = 0; ok && i < l.n; i++) {
        const sl_tag *g = &l.v[i];
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        ok = emit(&em, &ev);
        ok = ok && kv(&em, g->address ? "address" : "tx_hash", g->address ? g->address : g->tx_hash);
        ok = ok && kv(&em, "network", g->chain) && kv(&em, "currency", g->chain);
        ok = ok && kv(&em, "label", g->label) && kv(&em, "source", g->source) && kv(&em, "confidence", g->confidence);
        ok = ok && kv(&em, "category", g->category) && kv(&em, "abuse", g->abuse);
        ok = ok && (!g->concepts || seq_of_json(&em, "concepts", g->concepts));
        ok = ok && kv(&em, "actor", g->actor);
        ok = ok && scalar(&em, "is_cluster_definer", true) && scalar(&em, g->is_cluster_definer ? "true" : "false", true);
        ok = ok && kv(&em, "context", g->context) && kv(&em, "lastmod", g->lastmod);
        yaml_mapping_end_event_initialize(&ev);
        ok = ok && emit(&em, &ev);
    }
    yaml_sequence_end_event_initialize(&ev);
    ok = ok && emit(&em, &ev);
    yaml_mapping_end_event_initialize(&ev);
    ok = ok && emit(&em, &ev);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && emit(&em, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && emit(&em, &ev);
    ok = ok && yaml_emitter_flush(&em);
    yaml_emitter_delete(&em);
    sl_tag_list_free(&l);
    if (!ok || ferror(f)) return sl_err(e, SL_EIO, "export: write failed");
    return SL_OK;
}
