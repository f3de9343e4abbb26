/* incidents.c — the incident library's index, data/incidents/incidents.yaml: one record per
 * theft (id, name, date, victim, chains, amounts stolen, the attack's route in and method,
 * laundering, aftermath, attribution with who/when/confidence/source, its TagPack and
 * sources), read with libyaml through the tree of yaml_tree.c. Unknown keys are accepted
 * (the library may grow); a record without an id, or a wrong shape, is a located error.
 * The addresses of an incident are in the tag store (its TagPack, imported when the store's
 * tag db is created), found by the context's "incident" (sl_tags_for_incident).
 * A store may hold incident lists of its own (a generated world's, an analyst's case):
 * `sleuth tags import` copies them, validated, to STORE/knowledge/incidents.d/, and
 * sl_incident_lookup looks there after the library. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

static void inc_free(sl_incident *i)
{
    char **f[] = {&i->id, &i->name, &i->date, &i->victim, &i->chains, &i->route_in, &i->method, &i->laundering,
                  &i->aftermath, &i->attr_actor, &i->attr_by, &i->attr_date, &i->attr_confidence, &i->attr_source,
                  &i->tagpack, &i->sources};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++) sl_free(*f[k]);
    for (size_t k = 0; k < i->nstolen; k++)
        sl_free(i->stolen[k].asset), sl_free(i->stolen[k].amount), sl_free(i->stolen[k].usd);
    sl_free(i->stolen);
}

void sl_incident_list_free(sl_incident_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) inc_free(&l->v[i]);
    if (l) sl_free(l->v), memset(l, 0, sizeof *l);
}

/* A scalar child of m as an owned string (NULL when absent); *oom on failure. */
static char *str(const sl_ynode *m, const char *k, bool *oom)
{
    const sl_ynode *v = m ? sl_ynode_get(m, k) : NULL;
    char *s;
    if (!v || v->type != SL_Y_SCALAR) return NULL;
    if (!(s = sl_strdup(v->s))) *oom = true;
    return s;
}

/* A sequence of scalars joined by sep. */
static char *joined(const sl_ynode *m, const char *k, const char *sep, bool *oom)
{
    const sl_ynode *v = sl_ynode_get(m, k);
    size_t n = 1;
    char *s;
    if (!v) return NULL;
    if (v->type == SL_Y_SCALAR) return str(m, k, oom);
    for (size_t i = 0; i < v->n; i++) n += (v->kids[i].s ? strlen(v->kids[i].s) : 0) + strlen(sep);
    if (!(s = sl_malloc(n))) { *oom = true; return NULL; }
    s[0] = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->kids[i].type == SL_Y_SCALAR) {
            if (s[0]) strcat(s, sep);
            strcat(s, v->kids[i].s);
        }
    return s;
}

static int one(const char *path, const sl_ynode *m, sl_incident *out, sl_error *e)
{
    bool oom = false;
    const sl_ynode *stolen = sl_ynode_get(m, "stolen"), *attack = sl_ynode_get(m, "attack"),
                   *attr = sl_ynode_get(m, "attribution");
    memset(out, 0, sizeof *out);
    if (m->type != SL_Y_MAP) return sl_tags__bad_at(path, m->line, "incidents", e, "each incident must be a mapping");
    out->id = str(m, "id", &oom);
    if (!out->id && !oom) return sl_tags__bad_at(path, m->line, "id", e, "missing (mandatory)");
    out->name = str(m, "name", &oom), out->date = str(m, "date", &oom), out->victim = str(m, "victim", &oom);
    out->chains = joined(m, "chains", ",", &oom);
    out->laundering = str(m, "laundering", &oom), out->aftermath = str(m, "aftermath", &oom);
    out->tagpack = str(m, "tagpack", &oom), out->sources = joined(m, "sources", "\n", &oom);
    if (attack && attack->type == SL_Y_MAP) out->route_in = str(attack, "route_in", &oom), out->method = str(attack, "method", &oom);
    if (attr && attr->type == SL_Y_MAP) {
        out->attr_actor = str(attr, "actor", &oom), out->attr_by = str(attr, "by", &oom);
        out->attr_date = str(attr, "date", &oom), out->attr_confidence = str(attr, "confidence", &oom);
        out->attr_source = str(attr, "source", &oom);
    }
    if (stolen && stolen->type == SL_Y_SEQ && stolen->n) {
        if (!(out->stolen = sl_calloc(stolen->n, sizeof *out->stolen))) oom = true;
        for (size_t i = 0; out->stolen && i < stolen->n; i++) {
            const sl_ynode *s = &stolen->kids[i];
            if (s->type != SL_Y_MAP) { inc_free(out); return sl_tags__bad_at(path, s->line, "stolen", e, "each amount must be a mapping"); }
            out->stolen[i].asset = str(s, "asset", &oom), out->stolen[i].amount = str(s, "amount", &oom);
            out->stolen[i].usd = str(s, "usd", &oom);
            out->nstolen++;
        }
    }
    if (oom) { inc_free(out); return sl_err(e, SL_ENOMEM, "out of memory"); }
    return SL_OK;
}

int sl_incidents_read(const char *path, sl_incident_list *out, sl_error *e)
{
    sl_ynode root;
    const sl_ynode *list = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    rc = sl_ynode_read_file(path, &root, e);
    if (!rc && (root.type != SL_Y_MAP || !(list = sl_ynode_get(&root, "incidents")) || list->type != SL_Y_SEQ))
        rc = sl_tags__bad_at(path, root.line, "incidents", e, "missing: a list `incidents:` expected");
    if (!rc && list && list->n && !(out->v = sl_calloc(list->n, sizeof *out->v))) rc = sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && list && i < list->n; i++)
        if (!(rc = one(path, &list->kids[i], &out->v[out->n], e))) out->n++;
    sl_ynode_free(&root);
    if (rc) sl_incident_list_free(out);
    return rc;
}

const sl_incident *sl_incident_find(const sl_incident_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].id, name)) return &l->v[i];
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].name && !strcasecmp(l->v[i].name, name)) return &l->v[i];
    return NULL;
}

/* ---- store-local incident records ---- */

bool sl_knowledge__has_top_key(const char *path, const char *key)
{
    char buf[65536];
    FILE *f = fopen(path, "rb");
    size_t n, k = strlen(key);
    if (!f) return false;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, key, k) && p[k] == ':') return true;
    return false;
}

bool sl_incidents_is_file(const char *path) { return sl_knowledge__has_top_key(path, "incidents"); }

int sl_knowledge__dir(char *out, size_t cap, const char *store_dir, const char *sub, bool mk, sl_error *e)
{
    if ((size_t)snprintf(out, cap, "%s/knowledge", store_dir) >= cap)
        return sl_err(e, SL_EUSAGE, "%s: path too long", store_dir);
    if (mk && mkdir(out, 0755) && errno != EEXIST) return sl_err(e, SL_EIO, "%s: %s", out, strerror(errno));
    if ((size_t)snprintf(out, cap, "%s/knowledge/%s", store_dir, sub) >= cap)
        return sl_err(e, SL_EUSAGE, "%s: path too long", store_dir);
    if (mk && mkdir(out, 0755) && errno != EEXIST) return sl_err(e, SL_EIO, "%s: %s", out, strerror(errno));
    return SL_OK;
}

/* STORE_DIR/knowledge/incidents.d into out (cap bytes); mk: create the folders. */
static int store_inc_dir(char *out, size_t cap, const char *store_dir, bool mk, sl_error *e)
{
    return sl_knowledge__dir(out, cap, store_dir, "incidents.d", mk, e);
}

int sl_knowledge__copy_file(const char *src, const char *dst, sl_error *e)
{
    char tmp[4300], buf[65536];
    FILE *in = fopen(src, "rb"), *out;
    size_t n;
    int rc = SL_OK;
    if (!in) return sl_err(e, SL_EIO, "%s: cannot open", src);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    if (!(out = fopen(tmp, "wb"))) {
        fclose(in);
        return sl_err(e, SL_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = sl_err(e, SL_EIO, "%s: write failed: %s", tmp, strerror(errno));
    if (!rc && ferror(in)) rc = sl_err(e, SL_EIO, "%s: read error", src);
    fclose(in);
    if (fclose(out) && !rc) rc = sl_err(e, SL_EIO, "%s: write failed: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, dst)) rc = sl_err(e, SL_EIO, "%s: %s", dst, strerror(errno));
    if (rc) remove(tmp);
    return rc;
}

int sl_knowledge__keep_yaml(const char *store_dir, const char *sub, const char *path, sl_error *e)
{
    char dir[4096], dst[4400];
    const char *base = strrchr(path, '/');
    int rc;
    base = base ? base + 1 : path;
    if (!base[0] || base[0] == '.') return sl_err(e, SL_EUSAGE, "%s: a file name that does not start with '.' expected", path);
    if ((rc = sl_knowledge__dir(dir, sizeof dir, store_dir, sub, true, e))) return rc;
    snprintf(dst, sizeof dst, "%s/%s%s", dir, base, strstr(base, ".yaml") || strstr(base, ".yml") ? "" : ".yaml");
    return sl_knowledge__copy_file(path, dst, e);
}

static int knowledge_name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int sl_knowledge__each_yaml(const char *store_dir, const char *sub, int (*fn)(void *ctx, const char *path, sl_error *e),
                            void *ctx, sl_error *e)
{
    char dir[4096], path[4400];
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *d;
    DIR *dh;
    int rc;
    if ((rc = sl_knowledge__dir(dir, sizeof dir, store_dir, sub, false, e))) return rc;
    if (!(dh = opendir(dir))) return errno == ENOENT ? SL_OK : sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    while (!rc && (d = readdir(dh))) {
        size_t l = strlen(d->d_name);
        void *q = names;
        if (d->d_name[0] == '.' || l < 5 || (strcmp(d->d_name + l - 5, ".yaml") && strcmp(d->d_name + l - 4, ".yml"))) continue;
        if (sl_grow(&q, &cap, n + 1, sizeof *names) || !(((char **)q)[n] = sl_strdup(d->d_name))) rc = sl_err(e, SL_ENOMEM, "out of memory");
        names = q;
        if (!rc) n++;
    }
    closedir(dh);
    if (n > 1) qsort(names, n, sizeof *names, knowledge_name_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = fn(ctx, path, e);
    }
    for (size_t i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
    return rc;
}

int sl_incidents_import(const char *store_dir, const char *path, size_t *n, sl_error *e)
{
    sl_incident_list l;
    char dir[4096], dst[4200];
    const char *id;
    int rc = sl_incidents_read(path, &l, e);
    *n = 0;
    if (rc) return rc;
    if (!l.n) {
        sl_incident_list_free(&l);
        return sl_err(e, SL_EUSAGE, "%s: the list `incidents:` is empty", path);
    }
    id = l.v[0].id;
    if (!id[0] || id[strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789._-")] || id[0] == '.') {
        rc = sl_err(e, SL_EUSAGE, "%s: the first id '%s' is not a slug of a-z, 0-9, '.', '_', '-'", path, id);
    } else if (!(rc = store_inc_dir(dir, sizeof dir, store_dir, true, e))) {
        snprintf(dst, sizeof dst, "%s/%s.yaml", dir, id);
        if (!(rc = sl_knowledge__copy_file(path, dst, e))) *n = l.n;
    }
    sl_incident_list_free(&l);
    return rc;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The .yaml files of STORE_DIR/knowledge/incidents.d in name order (*names, *n: owned by
 * the caller, free with names_free); dir gets the folder. None (no folder) is SL_OK. */
static int store_files(const char *store_dir, char *dir, size_t cap, char ***names, size_t *n, sl_error *e)
{
    size_t ncap = 0;
    DIR *d;
    struct dirent *de;
    int rc = SL_OK;
    *names = NULL, *n = 0;
    if (!store_dir || store_inc_dir(dir, cap, store_dir, false, NULL) || !(d = opendir(dir))) return SL_OK;
    while (!rc && (de = readdir(d))) {
        size_t k = strlen(de->d_name);
        if (de->d_name[0] == '.' || k < 6 || strcmp(de->d_name + k - 5, ".yaml")) continue;
        if (sl_grow((void **)names, &ncap, *n + 1, sizeof **names) || !((*names)[*n] = sl_strdup(de->d_name)))
            rc = sl_err(e, SL_ENOMEM, "out of memory");
        else ++*n;
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, name_cmp);
    return rc;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
}

/* The library (data/incidents/incidents.yaml) into *out; lib gets its path. */
static int read_library(char *lib, size_t cap, sl_incident_list *out, sl_error *e)
{
    snprintf(lib, cap, "%s/incidents/incidents.yaml", sl_tags_data_dir());
    return sl_incidents_read(lib, out, e);
}

int sl_incident_lookup(const char *store_dir, const char *name, sl_incident_list *out, const sl_incident **inc,
                       char *from, size_t cap, sl_error *e)
{
    char lib[4096], dir[4096] = "", path[4400];
    char **names = NULL;
    size_t nn = 0;
    int rc;
    *inc = NULL;
    if ((rc = read_library(lib, sizeof lib, out, e))) return rc;
    if ((*inc = sl_incident_find(out, name))) {
        snprintf(from, cap, "%s", lib);
        return SL_OK;
    }
    sl_incident_list_free(out);
    if ((rc = store_files(store_dir, dir, sizeof dir, &names, &nn, e))) return rc;
    if (!dir[0] || !nn) {
        names_free(names, nn);
        return sl_err(e, SL_ENOTFOUND, "no incident '%s' in %s%s%s (sleuth incidents lists the library)", name, lib,
                      store_dir ? " nor in " : "", store_dir ? store_dir : "");
    }
    for (size_t i = 0; !rc && !*inc && i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((rc = sl_incidents_read(path, out, e))) break;
        if ((*inc = sl_incident_find(out, name))) {
            snprintf(from, cap, "%s", path);
            for (size_t k = 0; k < out->n; k++) out->v[k].local = true;
        } else sl_incident_list_free(out);
    }
    names_free(names, nn);
    if (!rc && !*inc)
        rc = sl_err(e, SL_ENOTFOUND, "no incident '%s' in %s nor in %s (sleuth incidents lists the library; "
                    "sleuth tags import adds an incidents.yaml to the store)", name, lib, dir);
    return rc;
}

int sl_incidents_all(const char *store_dir, sl_incident_list *out, sl_error *e)
{
    char lib[4096], dir[4096] = "", path[4400];
    char **names = NULL;
    size_t nn = 0;
    int rc;
    if ((rc = read_library(lib, sizeof lib, out, e))) return rc;
    rc = store_files(store_dir, dir, sizeof dir, &names, &nn, e);
    for (size_t i = 0; !rc && i < nn; i++) {
        sl_incident_list more;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((rc = sl_incidents_read(path, &more, e))) break;
        for (size_t k = 0; k < more.n && !rc; k++) {
            sl_incident *x = &more.v[k];
            if (sl_incident_find(out, x->id)) continue; /* the first of an id wins */
            void *q = sl_realloc(out->v, (out->n + 1) * sizeof *out->v);
            if (!q) {
                rc = sl_err(e, SL_ENOMEM, "out of memory");
                break;
            }
            out->v = q;
            out->v[out->n] = *x;
            out->v[out->n++].local = true;
            memset(x, 0, sizeof *x); /* moved: more no longer owns it */
        }
        sl_incident_list_free(&more);
    }
    names_free(names, nn);
    if (rc) sl_incident_list_free(out);
    return rc;
}
