/* import_csv.c — label CSVs into the tag store, recognised by their header:
 *   attribution_index.csv   chain,address,category,label,actor,dprk_related,confidence,source_file
 *   etherscan service labels chain,address,name_tag,etherscan_labels,category
 *   dawsbot eth-labels      chain,address,label,name_tag
 *   OFAC SDN (derived)      asset,address,sdn_uid,sdn_name,party_subtype,programs,listing_date,...
 *   any other CSV with `address` and `chain` (or `asset`) columns: label, role/kind,
 *   category, actor, incident, source(s), confidence found by column name (the incident
 *   CSVs, router lists); the role goes through the attribution_index mapping.
 * Their categories are mapped onto the GraphSense concepts (category + abuse) by the tables
 * below, which docs/TAGS.md reproduces. The file is streamed line by line (RFC 4180
 * quoting, a quoted field may hold commas, quotes and newlines); a line longer than the
 * cap (1 MiB unless the options say) is a located error, never read whole. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

#define MAX_FIELDS 32

typedef struct rec {
    char *buf;
    size_t cap;
    char *f[MAX_FIELDS];
    size_t n;
    unsigned line, next_line;
} rec;

/* Reads one record into r (fields point into r->buf). 1: a record, 0: end, <0: error. */
static int read_rec(sl_tags_imp *im, FILE *fp, rec *r, size_t max, sl_error *e)
{
    size_t len = 0;
    bool q = false, any = false;
    int c;
    r->line = r->next_line;
    r->n = 0;
    while ((c = getc_unlocked(fp)) != EOF) {
        any = true;
        if (c == '\n') {
            r->next_line++;
            if (!q) break;
        }
        if (c == '"') q = !q;
        if (len + 2 > r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 4096;
            char *nb;
            if (nc > max + 2) nc = max + 2;
            if (len + 2 > nc) return (void)sl_tags__bad(im, r->line, "csv", e, "line longer than %zu bytes", max), -1;
            if (!(nb = sl_realloc(r->buf, nc))) return (void)sl_err(e, SL_ENOMEM, "out of memory"), -1;
            r->buf = nb, r->cap = nc;
        }
        r->buf[len++] = (char)c;
    }
    if (ferror(fp)) return (void)sl_err(e, SL_EIO, "%s: read error", im->path), -1;
    if (!any) return 0;
    if (q) return (void)sl_tags__bad(im, r->line, "csv", e, "unterminated quoted field"), -1;
    if (len && r->buf[len - 1] == '\r') len--;
    r->buf[len] = 0;
    /* split, unquoting in place */
    char *p = r->buf, *w;
    for (;;) {
        if (r->n == MAX_FIELDS) return (void)sl_tags__bad(im, r->line, "csv", e, "more than %d fields", MAX_FIELDS), -1;
        r->f[r->n++] = w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) return (void)sl_tags__bad(im, r->line, "csv", e, "unterminated quoted field"), -1;
                if (*p == '"' && p[1] == '"') *w++ = '"', p += 2;
                else if (*p == '"') { p++; break; }
                else *w++ = *p++;
            }
            if (*p && *p != ',') return (void)sl_tags__bad(im, r->line, "csv", e, "text after a closing quote"), -1;
        } else {
            while (*p && *p != ',') *w++ = *p++;
        }
        if (!*p) { *w = 0; break; }
        *w = 0;
        p++;
    }
    return 1;
}

typedef struct cmap { const char *from, *category, *abuse; } cmap;

/* attribution_index.csv categories */
static const cmap ATTR[] = {
    {"exchange", "exchange", NULL},
    {"sanctioned", "user", "sanction"},
    {"mixer", "mixing_service", NULL},
    {"mixer_sanctioned", "mixing_service", "sanction"},
    {"mixer_delisted_sanction", "mixing_service", NULL},
    {"attacker", "perpetrator", "hacking"},
    {"attacker_contract", "perpetrator", "hacking"},
    {"attacker_eoa", "perpetrator", "hacking"},
    {"attacker_infra", "perpetrator", "hacking"},
    {"attacker_prep", "perpetrator", "hacking"},
    {"attacker_or_laundering", "perpetrator", "money_laundering"},
    {"suspected_attacker", "perpetrator", "hacking"},
    {"hack", "perpetrator", "hacking"},
    {"laundering", "perpetrator", "money_laundering"},
    {"theft_receiver", "perpetrator", "hacking"},
    {"cross_incident_link", "perpetrator", "money_laundering"},
    {"dormant", "perpetrator", "hacking"},
    {"cex_deposit_used_by_attacker", "exchange", "money_laundering"},
    {"cross_chain_router", "defi_bridge", NULL},
    {"compromised_key", "victim", "account_hack"},
    {"victim", "victim", NULL},
    {"victim_contract", "victim", NULL},
    {"victim_hot_wallet", "victim", NULL},
    {"victim_signer", "victim", NULL},
    {"law_enforcement", "organization", NULL},
    {"prince_group_related", "perpetrator", "financial_crime"},
    /* thorchain_routers.csv kinds: THORChain's cross-chain swap routers */
    {"router", "defi_bridge", NULL},
    {"router_old", "defi_bridge", NULL},
    {"router_unverified_current", "defi_bridge", NULL},
};

/* etherscan service_labels_evm.csv categories */
static const cmap SERVICE[] = {
    {"exchange", "exchange", NULL},         {"custody_wallet", "wallet_service", NULL},
    {"bridge", "defi_bridge", NULL},        {"mixer", "mixing_service", NULL},
    {"sanctioned_or_blocked", "user", "sanction"}, {"swap_service", "defi_dex", NULL},
    {"privacy_related", "mixing_service", NULL},
};

/* dawsbot labels (Etherscan label slugs): the ones that say what an address is */
static const cmap DAWS[] = {
    {"exchange", "exchange", NULL},       {"hot-wallet", "hot_wallet", NULL},    {"cold-wallet", "cold_wallet", NULL},
    {"binance", "exchange", NULL},        {"coinbase", "exchange", NULL},        {"kraken", "exchange", NULL},
    {"okx", "exchange", NULL},            {"bitfinex", "exchange", NULL},        {"kucoin", "exchange", NULL},
    {"huobi", "exchange", NULL},          {"gate-io", "exchange", NULL},         {"bybit", "exchange", NULL},
    {"tornado-cash", "mixing_service", NULL}, {"bridge", "defi_bridge", NULL},   {"dex", "defi_dex", NULL},
    {"exploit", "perpetrator", "exploit"}, {"heist", "perpetrator", "hacking"}, {"hack", "perpetrator", "hacking"},
    {"phish-hack", "perpetrator", "phishing"}, {"ofac-sanctions-lists", "user", "sanction"},
    {"blocked", "user", "sanction"},       {"sanctioned", "user", "sanction"},
};

static const cmap *lookup(const cmap *t, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].from, k)) return &t[i];
    return NULL;
}

bool sl_tags__slug_concept(const char *slug, const char **category, const char **abuse)
{
    const cmap *m = lookup(DAWS, sizeof DAWS / sizeof *DAWS, slug);
    if (m) *category = m->category, *abuse = m->abuse;
    return m != NULL;
}

enum { K_ATTR, K_SERVICE, K_DAWS, K_OFAC, K_GENERIC };

/* A CSV of another shape with an `address` column and a `chain` (or `asset`) column: its
 * other columns found by name (the incident CSVs of ../shared/data/tags, router lists). */
enum { G_CHAIN, G_ADDRESS, G_LABEL, G_ROLE, G_CATEGORY, G_ACTOR, G_INCIDENT, G_SOURCE, G_CONFIDENCE, G_STATUS, G_N };
static const char *const GCOLS[G_N][6] = {
    {"chain", "asset"},
    {"address"},
    {"label", "label_in_source", "context_in_source", "names", "sdn_name", "name_tag"},
    {"role", "kind"},
    {"category"},
    {"actor"},
    {"incident"},
    {"sources", "source", "address_source"},
    {"confidence"},
    {"status"},
};

/* "web_crawl+authority_data" (two sources agreeing): the highest of the ids, else c. */
static const char *best_conf(const char *c, char *out, size_t cap)
{
    int best = -1;
    const char *p = c;
    if (!strchr(c, '+')) return c;
    while (*p) {
        size_t n = strcspn(p, "+");
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)n, p);
        int l = sl_tags__confidence_level(id);
        if (l > best) best = l, snprintf(out, cap, "%s", id);
        p += n + (p[n] == '+');
    }
    return best < 0 ? c : out;
}

static bool generic_header(const rec *r, int *cols)
{
    for (int g = 0; g < G_N; g++) {
        cols[g] = -1;
        for (int k = 0; k < 6 && GCOLS[g][k] && cols[g] < 0; k++)
            for (size_t i = 0; i < r->n; i++)
                if (!strcmp(r->f[i], GCOLS[g][k])) { cols[g] = (int)i; break; }
    }
    return cols[G_CHAIN] >= 0 && cols[G_ADDRESS] >= 0;
}

static int header_kind(sl_tags_imp *im, const rec *r, int *cols, sl_error *e)
{
    static const struct { const char *cols; int kind; const char *name; } H[] = {
        {"chain,address,category,label,actor,dprk_related,confidence,source_file", K_ATTR, "csv:attribution_index"},
        {"chain,address,name_tag,etherscan_labels,category", K_SERVICE, "csv:etherscan_service_labels"},
        {"chain,address,label,name_tag", K_DAWS, "csv:dawsbot_eth_labels"},
        {"asset,address,sdn_uid,sdn_name,party_subtype,programs,listing_date", K_OFAC, "csv:ofac_sdn"},
    };
    char h[400] = "";
    size_t n = 0;
    bool generic = generic_header(r, cols); /* also the columns of the known shapes */
    for (size_t i = 0; i < r->n && n < sizeof h; i++) n += (size_t)snprintf(h + n, sizeof h - n, "%s%s", i ? "," : "", r->f[i]);
    for (size_t i = 0; i < sizeof H / sizeof *H; i++)
        if (!strncmp(h, H[i].cols, strlen(H[i].cols))) {
            snprintf(im->st->kind, sizeof im->st->kind, "%s", H[i].name);
            return H[i].kind;
        }
    if (generic) {
        snprintf(im->st->kind, sizeof im->st->kind, "csv:columns");
        return K_GENERIC;
    }
    sl_tags__bad(im, 1, "csv", e, "not a list of tags: no `address` and `chain` (or `asset`) columns in the "
                                  "header: %.120s", h);
    return -1;
}

static const char *gf(const rec *r, const int *cols, int g)
{
    return cols[g] >= 0 && (size_t)cols[g] < r->n && r->f[cols[g]][0] ? r->f[cols[g]] : NULL;
}

static int put_row(sl_tags_imp *im, int kind, const rec *r, const int *cols, const char *src, sl_error *e)
{
    sl_tag_in in = {.line = r->line, .network = r->f[0], .address = r->f[1], .confidence = "web_crawl"};
    const cmap *m = NULL;
    char label[512], ctx[600], conf[64];
    cJSON *c = NULL;
    int rc;
    switch (kind) {
    case K_ATTR:
        if (r->n < 8) return sl_tags__bad(im, r->line, "csv", e, "%zu fields, 8 expected", r->n);
        if (!(m = lookup(ATTR, sizeof ATTR / sizeof *ATTR, r->f[2])) &&
            (rc = sl_tags__warn(im, r->line, "category", e, "'%s' has no mapping; kept as unknown", r->f[2])))
            return rc;
        in.label = r->f[3], in.actor = r->f[4][0] ? r->f[4] : NULL, in.confidence = best_conf(r->f[6], conf, sizeof conf);
        in.source = r->f[7];
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "csv_category", r->f[2]);
        cJSON_AddStringToObject(c, "dprk_related", r->f[5]);
        if (strchr(r->f[6], '+')) cJSON_AddStringToObject(c, "csv_confidence", r->f[6]);
        break;
    case K_SERVICE:
        if (r->n < 5) return sl_tags__bad(im, r->line, "csv", e, "%zu fields, 5 expected", r->n);
        m = lookup(SERVICE, sizeof SERVICE / sizeof *SERVICE, r->f[4]);
        snprintf(label, sizeof label, "%s", r->f[2][0] ? r->f[2] : r->f[3]);
        in.label = label, in.source = src;
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "etherscan_labels", r->f[3]);
        break;
    case K_DAWS:
        if (r->n < 4) return sl_tags__bad(im, r->line, "csv", e, "%zu fields, 4 expected", r->n);
        m = lookup(DAWS, sizeof DAWS / sizeof *DAWS, r->f[2]);
        snprintf(label, sizeof label, "%s%s%s", r->f[3][0] ? r->f[3] : r->f[2], r->f[3][0] ? " | " : "",
                 r->f[3][0] ? r->f[2] : "");
        in.label = label, in.source = src;
        break;
    case K_GENERIC: {
        const char *role = gf(r, cols, G_ROLE), *cat = gf(r, cols, G_CATEGORY);
        if ((size_t)cols[G_ADDRESS] >= r->n || (size_t)cols[G_CHAIN] >= r->n)
            return sl_tags__bad(im, r->line, "csv", e, "%zu fields, too few for the header", r->n);
        in.network = r->f[cols[G_CHAIN]], in.address = r->f[cols[G_ADDRESS]];
        snprintf(label, sizeof label, "%s%s%s", gf(r, cols, G_LABEL) ? gf(r, cols, G_LABEL) : role ? role : "listed",
                 gf(r, cols, G_INCIDENT) ? " - " : "", gf(r, cols, G_INCIDENT) ? gf(r, cols, G_INCIDENT) : "");
        in.label = label, in.actor = gf(r, cols, G_ACTOR), in.source = gf(r, cols, G_SOURCE) ? gf(r, cols, G_SOURCE) : src;
        in.confidence = gf(r, cols, G_CONFIDENCE) ? best_conf(gf(r, cols, G_CONFIDENCE), conf, sizeof conf) : "forensic";
        if (cat && sl_tags__concept_ok(cat)) in.category = cat;
        else if ((role || cat) && !(m = lookup(ATTR, sizeof ATTR / sizeof *ATTR, role ? role : cat)) &&
                 (rc = sl_tags__warn(im, r->line, "role", e, "'%s' has no mapping; kept as unknown", role ? role : cat)))
            return rc;
        c = cJSON_CreateObject();
        if (role) cJSON_AddStringToObject(c, "role", role);
        if (gf(r, cols, G_INCIDENT)) cJSON_AddStringToObject(c, "incident_name", gf(r, cols, G_INCIDENT));
        break;
    }
    case K_OFAC: {
        /* the delisted file's `status` column: no longer a sanction, still a fact */
        const char *status = gf(r, cols, G_STATUS);
        bool delisted = status && strstr(status, "delisted");
        if (r->n < 7) return sl_tags__bad(im, r->line, "csv", e, "%zu fields, 7 or more expected", r->n);
        snprintf(label, sizeof label, "OFAC SDN%s: %s", delisted ? " (delisted)" : "", r->f[3]);
        in.label = label, in.abuse = delisted ? NULL : "sanction", in.confidence = "authority_data", in.source = src;
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "sdn_uid", r->f[2]);
        cJSON_AddStringToObject(c, "programs", r->f[5]);
        cJSON_AddStringToObject(c, "listing_date", r->f[6]);
        cJSON_AddStringToObject(c, "asset", r->f[0]);
        if (status) cJSON_AddStringToObject(c, "status", status);
        break;
    }
    }
    if (m) in.category = m->category, in.abuse = m->abuse ? m->abuse : in.abuse;
    else if (kind != K_OFAC && !in.category) in.category = "unknown";
    ctx[0] = 0;
    if (c) {
        char *s = cJSON_PrintUnformatted(c);
        if (s) snprintf(ctx, sizeof ctx, "%s", s);
        cJSON_free(s);
        cJSON_Delete(c);
        in.context = ctx[0] ? ctx : NULL;
    }
    if (kind == K_DAWS || kind == K_SERVICE) {
        /* scraped label lists hold a few rows that are no address ("genesis"): skipped, said */
        char ch[32], ad[128];
        sl_error ke = {0};
        if (sl_tags_key(ch, ad, in.network, in.address, &ke))
            return sl_tags__warn(im, r->line, "address", e, "%s; row skipped", ke.msg);
    }
    return sl_tags__put(im, &in, e);
}

int sl_tags__import_csv(sl_tags_imp *im, FILE *f, sl_error *e)
{
    rec r = {.next_line = 1};
    size_t max = im->opts && im->opts->max_line ? im->opts->max_line : (1u << 20);
    char src[300];
    int rc, kind = -1, k, cols[G_N];
    snprintf(src, sizeof src, "%s", im->file);
    if ((k = read_rec(im, f, &r, max, e)) <= 0) {
        rc = k < 0 ? e->code : sl_tags__bad(im, 1, "csv", e, "empty file");
        goto done;
    }
    if ((kind = header_kind(im, &r, cols, e)) < 0) { rc = SL_ECORRUPT; goto done; }
    if ((rc = sl_tags__source_title(im, im->st->kind, NULL, e))) goto done;
    while ((k = read_rec(im, f, &r, max, e)) == 1) {
        if (r.n == 1 && !r.f[0][0]) continue; /* blank line */
        if ((rc = put_row(im, kind, &r, cols, src, e))) goto done;
    }
    rc = k < 0 ? e->code : SL_OK;
done:
    sl_free(r.buf);
    return rc;
}
