/* import_ofac.c — the OFAC SDN list in its "advanced" XML form (sdn_advanced.xml, as
 * Treasury publishes it; plain or bzip2-compressed, decompressed as it is read) into the
 * tag store: one tag per Digital Currency Address feature of every sanctioned party, with
 * the party's primary name, its aliases, its programs (SanctionsMeasure of type Program)
 * and its listing date (the entry's first EntryEvent). The document is streamed with
 * libxml2's xmlTextReader: only one DistinctParty or SanctionsEntry subtree is in memory
 * at a time, plus the parties that hold addresses (a few hundred). An address listed
 * under two parties gets two tags (the per-asset address lists count it once).
 * Truncated or malformed XML is a located error (line), and nothing is imported. */
#include <bzlib.h>
#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

typedef struct io {
    FILE *f;
    BZFILE *bz;
    int bzerr;
    bool failed, eof;
} io;

static int io_read(void *ctx, char *buf, int len)
{
    io *x = ctx;
    int n;
    if (x->bz) {
        if (x->eof) return 0;
        n = BZ2_bzRead(&x->bzerr, x->bz, buf, len);
        if (x->bzerr == BZ_STREAM_END) x->eof = true;
        else if (x->bzerr != BZ_OK) { x->failed = true; return -1; }
        return n;
    }
    n = (int)fread(buf, 1, (size_t)len, x->f);
    if (n == 0 && ferror(x->f)) { x->failed = true; return -1; }
    return n;
}

typedef struct dca { char asset[16]; char *addr; } dca;
typedef struct party {
    char id[24];
    char *name, *aliases, *programs;
    char listed[16];
    dca *a;
    size_t na;
} party;

typedef struct ofac {
    struct { char id[16]; char asset[16]; } ft[64];
    size_t nft;
    party *p;
    size_t np, cap;
    char issued[16];
} ofac;

static bool attr_is(xmlNode *n, const char *a, const char *v)
{
    xmlChar *x = xmlGetProp(n, (const xmlChar *)a);
    bool r = x && !strcmp((char *)x, v);
    xmlFree(x);
    return r;
}

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
    return NULL;
}

/* Appends s to *dst with sep (growing it). */
static bool append(char **dst, const char *sep, const char *s)
{
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(s), c = *dst && a ? strlen(sep) : 0;
    char *n = sl_realloc(*dst, a + b + c + 1);
    if (!n) return false;
    if (!a) n[0] = 0;
    if (c) strcat(n, sep);
    strcat(n, s);
    *dst = n;
    return true;
}

/* The name parts of an Alias's first DocumentedName, joined by spaces. */
static char *alias_name(xmlNode *alias)
{
    xmlNode *dn = child(alias, "DocumentedName");
    char *out = NULL;
    for (xmlNode *p = dn ? dn->children : NULL; p; p = p->next) {
        xmlNode *v = child(p, "NamePartValue");
        xmlChar *t = v ? xmlNodeGetContent(v) : NULL;
        if (t && !append(&out, " ", (char *)t)) { xmlFree(t); sl_free(out); return NULL; }
        xmlFree(t);
    }
    return out;
}

static const char *dca_asset(ofac *o, xmlNode *feature)
{
    xmlChar *id = xmlGetProp(feature, (const xmlChar *)"FeatureTypeID");
    const char *r = NULL;
    for (size_t i = 0; id && i < o->nft; i++)
        if (!strcmp(o->ft[i].id, (char *)id)) r = o->ft[i].asset;
    xmlFree(id);
    return r;
}

static int party_read(ofac *o, xmlNode *dp, sl_error *e)
{
    xmlNode *prof = child(dp, "Profile"), *ident = child(prof, "Identity");
    party p = {0};
    xmlChar *id = prof ? xmlGetProp(prof, (const xmlChar *)"ID") : NULL;
    if (!id) return SL_OK;
    snprintf(p.id, sizeof p.id, "%s", (char *)id);
    xmlFree(id);
    for (xmlNode *f = prof->children; f; f = f->next) {
        const char *asset;
        if (f->type != XML_ELEMENT_NODE || strcmp((const char *)f->name, "Feature") || !(asset = dca_asset(o, f))) continue;
        xmlNode *vd = child(child(f, "FeatureVersion"), "VersionDetail");
        xmlChar *t = vd ? xmlNodeGetContent(vd) : NULL;
        dca *na;
        if (!t) continue;
        if (!(na = sl_realloc(p.a, (p.na + 1) * sizeof *na)) || !(na[p.na].addr = sl_strdup((char *)t))) {
            xmlFree(t);
            if (na) p.a = na;
            goto oom;
        }
        xmlFree(t);
        p.a = na;
        snprintf(p.a[p.na++].asset, sizeof p.a->asset, "%s", asset);
    }
    if (!p.na) return SL_OK;
    for (xmlNode *a = ident ? ident->children : NULL; a; a = a->next) {
        char *nm;
        if (a->type != XML_ELEMENT_NODE || strcmp((const char *)a->name, "Alias")) continue;
        if (!(nm = alias_name(a))) continue;
        bool ok = attr_is(a, "Primary", "true") && !p.name ? (p.name = nm, true) : (append(&p.aliases, "; ", nm) ? (sl_free(nm), true) : (sl_free(nm), false));
        if (!ok) goto oom;
    }
    if (o->np == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        party *nv = sl_realloc(o->p, nc * sizeof *nv);
        if (!nv) goto oom;
        o->p = nv, o->cap = nc;
    }
    o->p[o->np++] = p;
    return SL_OK;
oom:
    for (size_t i = 0; i < p.na; i++) sl_free(p.a[i].addr);
    sl_free(p.a), sl_free(p.name), sl_free(p.aliases);
    return sl_err(e, SL_ENOMEM, "out of memory");
}

static party *party_find(ofac *o, const char *id)
{
    for (size_t i = 0; i < o->np; i++)
        if (!strcmp(o->p[i].id, id)) return &o->p[i];
    return NULL;
}

static void date_of(xmlNode *d, char out[16])
{
    xmlChar *y = xmlNodeGetContent(child(d, "Year")), *m = xmlNodeGetContent(child(d, "Month")),
            *dd = xmlNodeGetContent(child(d, "Day"));
    if (y && m && dd) snprintf(out, 16, "%04d-%02d-%02d", atoi((char *)y) % 10000, atoi((char *)m) % 100, atoi((char *)dd) % 100);
    xmlFree(y), xmlFree(m), xmlFree(dd);
}

static int entry_read(ofac *o, xmlNode *se, sl_error *e)
{
    xmlChar *pid = xmlGetProp(se, (const xmlChar *)"ProfileID");
    party *p = pid ? party_find(o, (char *)pid) : NULL;
    xmlFree(pid);
    if (!p) return SL_OK;
    for (xmlNode *c = se->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (!strcmp((const char *)c->name, "EntryEvent") && !p->listed[0]) date_of(child(c, "Date"), p->listed);
        if (!strcmp((const char *)c->name, "SanctionsMeasure") && attr_is(c, "SanctionsTypeID", "1")) {
            xmlChar *t = xmlNodeGetContent(child(c, "Comment"));
            bool ok = !t || append(&p->programs, ";", (char *)t);
            xmlFree(t);
            if (!ok) return sl_err(e, SL_ENOMEM, "out of memory");
        }
    }
    return SL_OK;
}

/* The assets an address of p is listed under (';'-joined), when k is its first listing. */
static bool first_listing(const party *p, size_t k, char *assets, size_t cap)
{
    size_t n = 0;
    for (size_t j = 0; j < k; j++)
        if (!strcmp(p->a[j].addr, p->a[k].addr)) return false;
    assets[0] = 0;
    /* stops once the text is full: assets + n past the array would be undefined even with size 0 */
    for (size_t j = k; j < p->na && n + 1 < cap; j++)
        if (!strcmp(p->a[j].addr, p->a[k].addr)) n += (size_t)snprintf(assets + n, cap - n, "%s%s", n ? ";" : "", p->a[j].asset);
    return true;
}

/* "XBT 517, ETH 77, ...": distinct addresses per asset over every party (the per-asset lists). */
static void per_asset(const ofac *o, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t f = 0; f < o->nft; f++) {
        size_t c = 0;
        for (size_t i = 0; i < o->np; i++)
            for (size_t k = 0; k < o->p[i].na; k++) {
                bool seen = false;
                if (strcmp(o->p[i].a[k].asset, o->ft[f].asset)) continue;
                for (size_t i2 = 0; i2 <= i && !seen; i2++)
                    for (size_t k2 = 0; k2 < (i2 == i ? k : o->p[i2].na) && !seen; k2++)
                        seen = !strcmp(o->p[i2].a[k2].asset, o->ft[f].asset) && !strcmp(o->p[i2].a[k2].addr, o->p[i].a[k].addr);
                c += !seen;
            }
        if (c && n < cap) n += (size_t)snprintf(out + n, cap - n, "%s%s %zu", n ? ", " : "", o->ft[f].asset, c);
    }
}

/* SDN entries whose GraphSense actor and entity kind are known (uid -> actor id, concept),
 * so a sanctioned mixer or exchange is also a mixer or exchange to --stop-at and clustering. */
static const struct { const char *uid, *actor, *category; } KNOWN[] = {
    {"27307", "lazarusgroup", "perpetrator"}, {"44437", "sinbadio", "mixing_service"},
    {"37070", "blenderio", "mixing_service"}, {"39796", "tornado", "mixing_service"},
    {"36216", "hydramarket", "market"},       {"36025", "garantex", "exchange"},
    {"33854", "chatex", "exchange"},          {"55045", NULL, "exchange"}, /* Grinex, Garantex's successor */
};

static int emit(sl_tags_imp *im, ofac *o, sl_error *e)
{
    per_asset(o, im->st->detail, sizeof im->st->detail);
    for (size_t i = 0; i < o->np; i++) {
        party *p = &o->p[i];
        cJSON *ctx = cJSON_CreateObject();
        char label[400], assets[200], *cs;
        int rc;
        snprintf(label, sizeof label, "OFAC SDN: %s", p->name ? p->name : p->id);
        cJSON_AddStringToObject(ctx, "sdn_uid", p->id);
        cJSON_AddStringToObject(ctx, "sdn_name", p->name ? p->name : "");
        cJSON_AddStringToObject(ctx, "programs", p->programs ? p->programs : "");
        cJSON_AddStringToObject(ctx, "listing_date", p->listed);
        cJSON_AddStringToObject(ctx, "aliases", p->aliases ? p->aliases : "");
        for (size_t k = 0; k < p->na; k++) {
            if (!first_listing(p, k, assets, sizeof assets)) continue;
            cJSON_DeleteItemFromObject(ctx, "assets");
            cJSON_AddStringToObject(ctx, "assets", assets);
            if (!(cs = cJSON_PrintUnformatted(ctx))) { cJSON_Delete(ctx); return sl_err(e, SL_ENOMEM, "out of memory"); }
            sl_tag_in in = {.network = p->a[k].asset, .address = p->a[k].addr, .label = label, .abuse = "sanction",
                            .source = "https://sanctionslistservice.ofac.treas.gov (SDN advanced XML)",
                            .confidence = "authority_data", .context = cs, .lastmod = o->issued};
            for (size_t q = 0; q < sizeof KNOWN / sizeof *KNOWN; q++)
                if (!strcmp(KNOWN[q].uid, p->id)) in.actor = KNOWN[q].actor, in.category = KNOWN[q].category;
            rc = sl_tags__put(im, &in, e);
            cJSON_free(cs);
            if (rc) {
                cJSON_Delete(ctx);
                sl_err_prefix(e, "SDN entry %s (%s): ", p->id, p->name ? p->name : "");
                return rc;
            }
        }
        cJSON_Delete(ctx);
    }
    return SL_OK;
}

static void ofac_free(ofac *o)
{
    for (size_t i = 0; i < o->np; i++) {
        for (size_t k = 0; k < o->p[i].na; k++) sl_free(o->p[i].a[k].addr);
        sl_free(o->p[i].a), sl_free(o->p[i].name), sl_free(o->p[i].aliases), sl_free(o->p[i].programs);
    }
    sl_free(o->p);
}

static void silent(void *ctx, const xmlError *err) { (void)ctx, (void)err; }

int sl_tags__import_xml(sl_tags_imp *im, FILE *f, bool bz2, sl_error *e)
{
    io x = {.f = f};
    ofac o = {0};
    xmlTextReaderPtr r;
    int rc = SL_OK, k;
    bool root_ok = false;
    if (bz2 && !(x.bz = BZ2_bzReadOpen(&x.bzerr, f, 0, 0, NULL, 0))) return sl_err(e, SL_ENOMEM, "out of memory");
    snprintf(im->st->kind, sizeof im->st->kind, "ofac-sdn-xml");
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)silent);
    r = xmlReaderForIO(io_read, NULL, &x, im->path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!r) { if (x.bz) BZ2_bzReadClose(&x.bzerr, x.bz); return sl_err(e, SL_ENOMEM, "out of memory"); }
    while (!rc && (k = xmlTextReaderRead(r)) == 1) {
        const char *name;
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT) continue;
        name = (const char *)xmlTextReaderConstLocalName(r);
        if (xmlTextReaderDepth(r) == 0) {
            if (strcmp(name, "Sanctions")) { rc = sl_tags__bad(im, 1, "xml", e, "not an OFAC SDN advanced XML (root <%s>)", name); break; }
            root_ok = true;
        } else if (!strcmp(name, "DateOfIssue") || !strcmp(name, "FeatureType") || !strcmp(name, "DistinctParty") ||
                   !strcmp(name, "SanctionsEntry")) {
            xmlNode *n = xmlTextReaderExpand(r);
            if (!n) break;
            if (!strcmp(name, "DateOfIssue")) date_of(n, o.issued);
            else if (!strcmp(name, "FeatureType")) {
                xmlChar *t = xmlNodeGetContent(n), *id = xmlGetProp(n, (const xmlChar *)"ID");
                const char *pre = "Digital Currency Address - ";
                if (t && id && !strncmp((char *)t, pre, strlen(pre)) && o.nft < sizeof o.ft / sizeof *o.ft) {
                    snprintf(o.ft[o.nft].id, sizeof o.ft->id, "%s", (char *)id);
                    snprintf(o.ft[o.nft].asset, sizeof o.ft->asset, "%s", (char *)t + strlen(pre));
                    o.nft++;
                }
                xmlFree(t), xmlFree(id);
            } else if (!strcmp(name, "DistinctParty")) rc = party_read(&o, n, e);
            else rc = entry_read(&o, n, e);
            if (!rc && xmlTextReaderNext(r) == -1) break;
        }
    }
    if (!rc && (k != 0 || x.failed)) {
        const xmlError *xe = xmlGetLastError();
        rc = sl_tags__bad(im, (unsigned)(xe && xe->line > 0 ? xe->line : xmlTextReaderGetParserLineNumber(r)), "xml", e, "%s",
                          x.failed ? "the bzip2 stream is corrupt or truncated"
                          : xe && xe->message ? xe->message : "malformed or truncated XML");
        size_t l = strlen(e->msg);
        if (l && e->msg[l - 1] == '\n') e->msg[l - 1] = 0;
    }
    if (!rc && !root_ok) rc = sl_tags__bad(im, 0, "xml", e, "not an OFAC SDN advanced XML");
    if (!rc) rc = emit(im, &o, e);
    xmlFreeTextReader(r);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (x.bz) BZ2_bzReadClose(&x.bzerr, x.bz);
    ofac_free(&o);
    return rc;
}
