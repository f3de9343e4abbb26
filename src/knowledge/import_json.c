/* import_json.c — Etherscan-family label files (brianleect/etherscan-labels'
 * `<scanner>_combinedAllLabels.json`: {"0xaddress": {"name": "...", "labels": [slug...]}})
 * into the tag store: one tag per address, labelled with its name tag (or its first slug),
 * category and abuse from the slugs that say what an address is (the dawsbot table of
 * import_csv.c), every slug kept in the context, confidence web_crawl. The chain comes from
 * the file name (etherscan, bscscan, polygonscan, arbiscan, optimism, ftmscan, avalanche).
 * The document is read whole (capped at 256 MiB) and parsed with cJSON; keys that are no
 * address (the scrape's "" and "genesis" summaries) are skipped with a warning. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

#define JSON_MAX (256u << 20)

static const struct { const char *prefix, *chain; } SCANNERS[] = {
    {"etherscan", "ethereum"}, {"bscscan", "bsc"},      {"polygonscan", "polygon"}, {"arbiscan", "arbitrum"},
    {"optimism", "optimism"},  {"ftmscan", "fantom"},   {"avalanche", "avalanche"}, {"snowtrace", "avalanche"},
    {"basescan", "base"},
};

int sl_tags__import_json(sl_tags_imp *im, FILE *f, sl_error *e)
{
    const char *chain = NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    cJSON *j = NULL, *it;
    int rc = SL_OK;
    snprintf(im->st->kind, sizeof im->st->kind, "json:etherscan_labels");
    for (size_t i = 0; i < sizeof SCANNERS / sizeof *SCANNERS; i++)
        if (!strncmp(im->file, SCANNERS[i].prefix, strlen(SCANNERS[i].prefix))) chain = SCANNERS[i].chain;
    if (!chain)
        return sl_tags__bad(im, 0, "json", e, "an Etherscan-family label file is named after its scanner "
                                              "(etherscan_..., bscscan_..., polygonscan_...): which chain is this?");
    for (;;) {
        if (n + 65536 + 1 > cap) {
            size_t nc = cap ? cap * 2 : 1u << 20;
            char *nb;
            if (nc > JSON_MAX + 65536 + 1) nc = JSON_MAX + 65536 + 1;
            if (n + 65536 + 1 > nc) { rc = sl_tags__bad(im, 0, "json", e, "larger than %u bytes", JSON_MAX); goto done; }
            if (!(nb = sl_realloc(buf, nc))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto done; }
            buf = nb, cap = nc;
        }
        size_t k = fread(buf + n, 1, 65536, f);
        n += k;
        if (k < 65536) break;
    }
    if (ferror(f)) { rc = sl_err(e, SL_EIO, "%s: read error", im->path); goto done; }
    buf[n] = 0;
    if (!(j = cJSON_ParseWithLength(buf, n)) || !cJSON_IsObject(j)) {
        rc = sl_tags__bad(im, 0, "json", e, "not a JSON object of address -> {name, labels}");
        goto done;
    }
    if ((rc = sl_tags__source_title(im, im->st->kind, NULL, e))) goto done;
    cJSON_ArrayForEach(it, j) {
        cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name"), *labels = cJSON_GetObjectItemCaseSensitive(it, "labels"), *l;
        const char *cat = NULL, *abuse = NULL, *first = NULL;
        char ch[32], ad[128], label[400], *ctx;
        sl_error ke = {0};
        if (sl_tags_key(ch, ad, chain, it->string, &ke)) {
            if ((rc = sl_tags__warn(im, 0, "address", e, "%s; entry skipped", ke.msg))) goto done;
            continue;
        }
        cJSON_ArrayForEach(l, labels) if (cJSON_IsString(l)) {
            const char *c2, *a2;
            if (!first) first = l->valuestring;
            if (!cat && sl_tags__slug_concept(l->valuestring, &c2, &a2)) cat = c2, abuse = a2;
        }
        snprintf(label, sizeof label, "%s", cJSON_IsString(name) && *name->valuestring ? name->valuestring
                                            : first ? first : "labelled");
        cJSON *c = cJSON_CreateObject();
        if (cJSON_IsArray(labels)) cJSON_AddItemToObject(c, "etherscan_labels", cJSON_Duplicate(labels, 1));
        ctx = cJSON_PrintUnformatted(c);
        cJSON_Delete(c);
        sl_tag_in in = {.network = chain, .address = it->string, .label = label, .category = cat ? cat : "unknown",
                        .abuse = abuse, .source = im->file, .confidence = "web_crawl", .context = ctx};
        rc = sl_tags__put(im, &in, e);
        cJSON_free(ctx);
        if (rc) goto done;
    }
done:
    cJSON_Delete(j);
    sl_free(buf);
    return rc;
}
