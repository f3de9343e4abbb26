/* tags_out.c — how tags are shown: the JSON array every report that prints an address
 * embeds (key "tags", docs/JSON.md) and the text lines of `sleuth tags show`, `sleuth
 * address`, `sleuth tx` and `sleuth incidents` (at most 100 columns; every tag says where
 * it came from: its source and the file it was imported from). */
#include <string.h>

#include <cjson/cJSON.h>

#include "sleuth/report.h"
#include "sleuth/tags.h"

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

/* A JSON text kept as JSON when it parses, else as the string it is. */
static void add_json(cJSON *o, const char *k, const char *v)
{
    cJSON *j = v ? cJSON_Parse(v) : NULL;
    if (j) cJSON_AddItemToObject(o, k, j);
    else add_str(o, k, v);
}

void *sl_tags_json(const sl_tag *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        const sl_tag *t = &v[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddItemToArray(a, o);
        add_str(o, "label", t->label);
        add_str(o, "category", t->category);
        add_str(o, "abuse", t->abuse);
        if (t->concepts) add_json(o, "concepts", t->concepts);
        else cJSON_AddArrayToObject(o, "concepts");
        add_str(o, "source", t->source);
        add_str(o, "confidence", t->confidence);
        cJSON_AddNumberToObject(o, "confidence_level", t->level);
        add_str(o, "actor", t->actor);
        add_str(o, "actor_label", t->actor_label);
        cJSON_AddBoolToObject(o, "is_cluster_definer", t->is_cluster_definer);
        add_json(o, "context", t->context);
        add_str(o, "incident", t->incident);
        add_str(o, "role", t->role);
        add_str(o, "lastmod", t->lastmod);
        add_str(o, "chain", t->chain);
        if (t->address) add_str(o, "address", t->address);
        else add_str(o, "tx_hash", t->tx_hash);
        add_str(o, "pack", t->pack);
        add_str(o, "file", t->file);
    }
    return a;
}

int sl_tags_text(FILE *f, const sl_tag *v, size_t n, size_t indent)
{
    for (size_t i = 0; i < n; i++) {
        const sl_tag *t = &v[i];
        char kind[160] = "";
        if (t->category && t->abuse) snprintf(kind, sizeof kind, "%s, %s", t->category, t->abuse);
        else snprintf(kind, sizeof kind, "%s", t->category ? t->category : t->abuse ? t->abuse : "uncategorised");
        sl_fmt_wrapf(f, indent + 4, "%*s%s  [%s]  %s (%d)%s", (int)indent, "", t->label, kind, t->confidence, t->level,
                     t->is_cluster_definer ? "  cluster-definer" : "");
        if (t->actor)
            sl_fmt_wrapf(f, indent + 4, "%*s  actor %s%s%s%s", (int)indent, "", t->actor, t->actor_label ? " (" : "",
                         t->actor_label ? t->actor_label : "", t->actor_label ? ")" : "");
        if (t->incident)
            sl_fmt_wrapf(f, indent + 4, "%*s  incident %s%s%s", (int)indent, "", t->incident, t->role ? ", role " : "",
                         t->role ? t->role : "");
        sl_fmt_wrapf(f, indent + 4, "%*s  from %s%s%s%s", (int)indent, "", t->file, t->pack ? " (\"" : "",
                     t->pack ? t->pack : "", t->pack ? "\")" : "");
        sl_fmt_wrapf(f, indent + 4, "%*s  source %s", (int)indent, "", t->source);
    }
    return ferror(f) ? SL_EIO : SL_OK;
}
