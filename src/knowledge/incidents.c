/* incidents.c — the incident library's index, data/incidents/incidents.yaml: one record per
 * theft (id, name, date, victim, chains, amounts stolen, the attack's route in and method,
 * laundering, aftermath, attribution with who/when/confidence/source, its TagPack and
 * sources), read with libyaml through the tree of yaml_tree.c. Unknown keys are accepted
 * (the library may grow); a record without an id, or a wrong shape, is a located error.
 * The addresses of an incident are in the tag store (its TagPack, imported when the store's
 * tag db is created), found by the context's "incident" (sl_tags_for_incident). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    FILE *f = fopen(path, "rb");
    yaml_parser_t ps;
    sl_ynode root;
    const sl_ynode *list = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    if (!f) return sl_err(e, SL_EIO, "%s: cannot open", path);
    if (!yaml_parser_initialize(&ps)) { fclose(f); return sl_err(e, SL_ENOMEM, "out of memory"); }
    yaml_parser_set_input_file(&ps, f);
    rc = sl_ynode_read(path, &ps, &root, e);
    yaml_parser_delete(&ps);
    fclose(f);
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
