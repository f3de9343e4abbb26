/* import_tagpack.c — GraphSense TagPacks and ActorPacks (YAML, read by libyaml) into the
 * tag store. The document is first read into a small tree of scalars, mappings and
 * sequences that remembers each node's line (aliases refused, depth and size capped, so
 * hostile YAML cannot expand), then interpreted against the schema of
 * data/taxonomy (graphsense tagpack_schema.yaml / actorpack_schema.yaml): header fields
 * are inherited by every tag and a tag may override them; unknown fields, a missing
 * mandatory field, `address` together with `tx_hash`, an unknown confidence id and a bad
 * address checksum are errors naming file, line and field. Older packs that give
 * `currency` but no `network` take the network from the currency (docs/TAGS.md). */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

static const char *const TAG_FIELDS[] = {"label", "source", "currency", "network", "context", "confidence",
                                         "is_cluster_definer", "lastmod", "category", "abuse", "address",
                                         "tx_hash", "actor", "concepts", "tag_type"};
enum { F_LABEL, F_SOURCE, F_CURRENCY, F_NETWORK, F_CONTEXT, F_CONFIDENCE, F_DEFINER, F_LASTMOD, F_CATEGORY,
       F_ABUSE, F_ADDRESS, F_TX, F_ACTOR, F_CONCEPTS, F_TAGTYPE, F_N };

static int tag_field(const char *k)
{
    for (int i = 0; i < F_N; i++)
        if (!strcmp(k, TAG_FIELDS[i])) return i;
    return -1;
}

/* A node as text: a scalar as it is, a mapping or sequence as JSON (context, concepts). */
static cJSON *to_json(const sl_ynode *y)
{
    cJSON *j;
    if (y->type == SL_Y_SCALAR) return cJSON_CreateString(y->s);
    j = y->type == SL_Y_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
    for (size_t i = 0; j && i < y->n; i += y->type == SL_Y_MAP ? 2 : 1) {
        if (y->type == SL_Y_MAP) {
            if (i + 1 >= y->n) break;
            cJSON_AddItemToObject(j, y->kids[i].s ? y->kids[i].s : "", to_json(&y->kids[i + 1]));
        } else cJSON_AddItemToArray(j, to_json(&y->kids[i]));
    }
    return j;
}

typedef struct tagvals {
    const sl_ynode *v[F_N];
} tagvals;

/* The text of field f of tv, into *out (allocated when JSON, else borrowed). */
static int field_text(sl_tags_imp *im, const tagvals *tv, int f, char **owned, const char **out, sl_error *e)
{
    const sl_ynode *y = tv->v[f];
    *out = NULL;
    if (!y) return SL_OK;
    if (y->type == SL_Y_SCALAR) {
        if (f == F_CONCEPTS) {
            return sl_tags__bad(im, y->line, "concepts", e, "must be a list");
        }
        *out = y->s;
        return SL_OK;
    }
    if (f != F_CONTEXT && f != F_CONCEPTS)
        return sl_tags__bad(im, y->line, TAG_FIELDS[f], e, "must be a single value, not a %s",
                            y->type == SL_Y_MAP ? "mapping" : "list");
    cJSON *j = to_json(y);
    *owned = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!*owned) return sl_err(e, SL_ENOMEM, "out of memory");
    *out = *owned;
    return SL_OK;
}

static int bool_field(sl_tags_imp *im, const sl_ynode *y, int *out, sl_error *e)
{
    if (!y) { *out = 0; return SL_OK; }
    if (y->type == SL_Y_SCALAR && (!strcmp(y->s, "true") || !strcmp(y->s, "True") || !strcmp(y->s, "yes"))) *out = 1;
    else if (y->type == SL_Y_SCALAR && (!strcmp(y->s, "false") || !strcmp(y->s, "False") || !strcmp(y->s, "no"))) *out = 0;
    else return sl_tags__bad(im, y->line, "is_cluster_definer", e, "must be true or false");
    return SL_OK;
}

static int put_tag(sl_tags_imp *im, const tagvals *tv, unsigned line, sl_error *e)
{
    char *own[F_N] = {0};
    const char *s[F_N];
    sl_tag_in in = {.line = line};
    int rc = SL_OK;
    for (int f = 0; f < F_N && !rc; f++) rc = field_text(im, tv, f, &own[f], &s[f], e);
    if (!rc) rc = bool_field(im, tv->v[F_DEFINER], &in.is_cluster_definer, e);
    if (!rc) {
        in.network = s[F_NETWORK] ? s[F_NETWORK] : s[F_CURRENCY];
        in.address = s[F_ADDRESS], in.tx_hash = s[F_TX], in.label = s[F_LABEL], in.category = s[F_CATEGORY];
        in.abuse = s[F_ABUSE], in.concepts = s[F_CONCEPTS], in.source = s[F_SOURCE], in.confidence = s[F_CONFIDENCE];
        in.actor = s[F_ACTOR], in.context = s[F_CONTEXT], in.lastmod = s[F_LASTMOD];
        rc = sl_tags__put(im, &in, e);
    }
    for (int f = 0; f < F_N; f++) cJSON_free(own[f]);
    return rc;
}

static int tagpack(sl_tags_imp *im, const sl_ynode *root, sl_error *e)
{
    static const char *const HEADER[] = {"title", "creator", "description", "owner", "is_public", "tags", "lastmod"};
    tagvals hdr = {0};
    const sl_ynode *tags = sl_ynode_get(root, "tags"), *title = sl_ynode_get(root, "title"), *creator = sl_ynode_get(root, "creator");
    int rc;
    snprintf(im->st->kind, sizeof im->st->kind, "tagpack");
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const sl_ynode *k = &root->kids[i];
        int f;
        bool known = false;
        if (k->type != SL_Y_SCALAR) return sl_tags__bad(im, k->line, "yaml", e, "a key must be a plain value");
        for (size_t h = 0; h < sizeof HEADER / sizeof *HEADER; h++) known |= !strcmp(k->s, HEADER[h]);
        if ((f = tag_field(k->s)) >= 0) hdr.v[f] = &root->kids[i + 1];
        else if (!known) return sl_tags__bad(im, k->line, k->s, e, "unknown field of a TagPack header");
    }
    if (!title || title->type != SL_Y_SCALAR || !*title->s) return sl_tags__bad(im, root->line, "title", e, "missing (mandatory)");
    if (!creator || creator->type != SL_Y_SCALAR || !*creator->s)
        return sl_tags__bad(im, root->line, "creator", e, "missing (mandatory)");
    if (tags->type != SL_Y_SEQ) return sl_tags__bad(im, tags->line, "tags", e, "must be a list of tags");
    if ((rc = sl_tags__source_title(im, title->s, creator->s, e))) return rc;
    for (size_t i = 0; i < tags->n; i++) {
        const sl_ynode *t = &tags->kids[i];
        tagvals tv = hdr;
        if (t->type != SL_Y_MAP) return sl_tags__bad(im, t->line, "tags", e, "each tag must be a mapping");
        for (size_t j = 0; j + 1 < t->n; j += 2) {
            const sl_ynode *k = &t->kids[j];
            int f = k->type == SL_Y_SCALAR ? tag_field(k->s) : -1;
            if (f < 0) return sl_tags__bad(im, k->line, k->type == SL_Y_SCALAR ? k->s : "yaml", e, "unknown field of a tag");
            tv.v[f] = &t->kids[j + 1];
        }
        if ((rc = put_tag(im, &tv, t->line, e))) return rc;
    }
    return SL_OK;
}

static char *json_of(const sl_ynode *y)
{
    cJSON *j;
    char *s;
    if (!y) return NULL;
    j = to_json(y);
    s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return s;
}

static int actorpack(sl_tags_imp *im, const sl_ynode *root, sl_error *e)
{
    static const char *const HEADER[] = {"title", "creator", "description", "is_public", "actors", "lastmod", "owner"};
    static const char *const FIELDS[] = {"id", "uri", "label", "lastmod", "categories", "jurisdictions", "context", "aliases"};
    const sl_ynode *actors = sl_ynode_get(root, "actors"), *title = sl_ynode_get(root, "title"), *creator = sl_ynode_get(root, "creator");
    int rc;
    snprintf(im->st->kind, sizeof im->st->kind, "actorpack");
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const sl_ynode *k = &root->kids[i];
        bool known = false;
        for (size_t h = 0; k->type == SL_Y_SCALAR && h < sizeof HEADER / sizeof *HEADER; h++) known |= !strcmp(k->s, HEADER[h]);
        if (!known) return sl_tags__bad(im, k->line, k->type == SL_Y_SCALAR ? k->s : "yaml", e, "unknown field of an ActorPack header");
    }
    if (!title || title->type != SL_Y_SCALAR) return sl_tags__bad(im, root->line, "title", e, "missing (mandatory)");
    if (!creator || creator->type != SL_Y_SCALAR) return sl_tags__bad(im, root->line, "creator", e, "missing (mandatory)");
    if (actors->type != SL_Y_SEQ) return sl_tags__bad(im, actors->line, "actors", e, "must be a list of actors");
    if ((rc = sl_tags__source_title(im, title->s, creator->s, e))) return rc;
    for (size_t i = 0; i < actors->n; i++) {
        const sl_ynode *a = &actors->kids[i];
        const sl_ynode *id, *label, *uri, *lastmod;
        char *cat = NULL, *jur = NULL, *ali = NULL, *ctx = NULL;
        if (a->type != SL_Y_MAP) return sl_tags__bad(im, a->line, "actors", e, "each actor must be a mapping");
        for (size_t j = 0; j + 1 < a->n; j += 2) {
            const sl_ynode *k = &a->kids[j];
            bool known = false;
            for (size_t h = 0; k->type == SL_Y_SCALAR && h < sizeof FIELDS / sizeof *FIELDS; h++) known |= !strcmp(k->s, FIELDS[h]);
            if (!known) return sl_tags__bad(im, k->line, k->type == SL_Y_SCALAR ? k->s : "yaml", e, "unknown field of an actor");
        }
        id = sl_ynode_get(a, "id"), label = sl_ynode_get(a, "label"), uri = sl_ynode_get(a, "uri"), lastmod = sl_ynode_get(a, "lastmod");
        if (!id || id->type != SL_Y_SCALAR) return sl_tags__bad(im, a->line, "id", e, "missing (mandatory)");
        if (!label || label->type != SL_Y_SCALAR) return sl_tags__bad(im, a->line, "label", e, "missing (mandatory)");
        const sl_ynode *cats = sl_ynode_get(a, "categories");
        for (size_t c = 0; cats && cats->type == SL_Y_SEQ && c < cats->n; c++)
            if (cats->kids[c].type == SL_Y_SCALAR && !sl_tags__concept_ok(cats->kids[c].s) &&
                (rc = sl_tags__warn(im, cats->kids[c].line, "categories", e, "'%s' is not a concept of the taxonomy",
                                    cats->kids[c].s)))
                return rc;
        cat = json_of(cats), jur = json_of(sl_ynode_get(a, "jurisdictions")), ali = json_of(sl_ynode_get(a, "aliases"));
        ctx = json_of(sl_ynode_get(a, "context"));
        rc = sl_tags__put_actor(im, id->s, label->s, uri && uri->type == SL_Y_SCALAR ? uri->s : NULL, cat, jur, ali, ctx,
                                lastmod && lastmod->type == SL_Y_SCALAR ? lastmod->s : NULL, a->line, e);
        cJSON_free(cat), cJSON_free(jur), cJSON_free(ali), cJSON_free(ctx);
        if (rc) return rc;
    }
    return SL_OK;
}

int sl_tags__import_yaml(sl_tags_imp *im, FILE *f, sl_error *e)
{
    yaml_parser_t ps;
    sl_ynode root;
    int rc;
    if (!yaml_parser_initialize(&ps)) return sl_err(e, SL_ENOMEM, "out of memory");
    yaml_parser_set_input_file(&ps, f);
    rc = sl_ynode_read(im->path, &ps, &root, e);
    yaml_parser_delete(&ps);
    if (!rc) {
        if (root.type != SL_Y_MAP) rc = sl_tags__bad(im, root.line, "yaml", e, "not a TagPack or ActorPack (a mapping with tags or actors)");
        else if (sl_ynode_get(&root, "tags")) rc = tagpack(im, &root, e);
        else if (sl_ynode_get(&root, "actors")) rc = actorpack(im, &root, e);
        else rc = sl_tags__bad(im, root.line, "tags", e, "missing: not a TagPack (no tags) nor an ActorPack (no actors)");
    }
    sl_ynode_free(&root);
    return rc;
}
