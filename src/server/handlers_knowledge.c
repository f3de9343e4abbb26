/* handlers_knowledge.c — what the world says: /v1/tags (GET: the tags of an address or a
 * transaction; POST, analyst: add one, sl_tags_add) and /v1/incidents (the library and the store's own, and
 * one incident with its addresses from the tag db, as `sleuth incidents --json`).
 */
#include <stdio.h>
#include <string.h>

#include "server/server_int.h"
#include "sleuth/incident.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

static bool ready(sl_srv_ctx *c, sl_srv_resp *resp)
{
    sl_error e = {0};
    if (!c) return srv_error(resp, 503, "ESTORE", "no store handle on this thread"), false;
    if (srv_ctx_ready(c, &e)) return srv_sl_error(resp, &e), false;
    return true;
}

/* {"chain", "address" | "tx", "tags": [...]} for the address or tx given (tags may be NULL:
 * no tag db, an empty list). */
static void tags_answer(sl_srv_resp *resp, unsigned status, sl_tags *t, const char *chain, const char *address,
                        const char *tx)
{
    sl_tag_list l = {0};
    sl_error e = {0};
    cJSON *j;
    int rc = !t ? SL_OK : address ? sl_tags_for_address(t, chain, address, &l, &e) : sl_tags_for_tx(t, chain, tx, &l, &e);
    if (rc) {
        srv_sl_error(resp, &e);
        return;
    }
    j = cJSON_CreateObject();
    sl_json_str_or_null(j, "chain", chain);
    if (address) cJSON_AddStringToObject(j, "address", address);
    else cJSON_AddStringToObject(j, "tx", tx);
    cJSON_AddItemToObject(j, "tags", sl_tags_json(l.v, l.n));
    sl_tag_list_free(&l);
    srv_json(resp, status, j);
}

void srv_h_tags_get(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    const char *address = srv_param(req, "address"), *tx = srv_param(req, "tx"), *chain = srv_param(req, "chain");
    if (!!address == !!tx) {
        srv_error(resp, 400, "EUSAGE", "give ?address=ADDRESS or ?tx=HASH (and ?chain= to pick a chain)");
        return;
    }
    if (!ready(c, resp)) return;
    tags_answer(resp, 200, sl_knowledge_tags(c->k), chain, address, tx);
}

void srv_h_tags_post(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    static const char *const keys[] = {"chain", "address", "tx_hash", "label", "category", "abuse", "source", "confidence", "actor"};
    const char *v[sizeof keys / sizeof *keys];
    const cJSON *m;
    sl_tag tag;
    sl_tags *t = NULL;
    sl_error e = {0};
    cJSON_ArrayForEach(m, req->json) {
        size_t k = 0;
        while (k < sizeof keys / sizeof *keys && strcmp(keys[k], m->string)) k++;
        if (k == sizeof keys / sizeof *keys) {
            srv_error(resp, 422, "EUSAGE", "unknown member \"%.40s\"", m->string);
            return;
        }
    }
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (srv_body_str(req, resp, keys[k], false, &v[k])) return;
    memset(&tag, 0, sizeof tag);
    tag.chain = (char *)v[0], tag.address = (char *)v[1], tag.tx_hash = (char *)v[2], tag.label = (char *)v[3];
    tag.category = (char *)v[4], tag.abuse = (char *)v[5], tag.source = (char *)v[6], tag.confidence = (char *)v[7];
    tag.actor = (char *)v[8];
    if (!!tag.address == !!tag.tx_hash) {
        srv_error(resp, 422, "EUSAGE", "give \"address\" or \"tx_hash\"");
        return;
    }
    if (!tag.label || !tag.source || !tag.category) {
        srv_error(resp, 422, "EUSAGE", "\"label\", \"category\" and \"source\" are required");
        return;
    }
    if (!ready(c, resp)) return;
    char ch[32], ad[128];
    if (!tag.chain && tag.address) { /* as `tags add`: the chain from the address's form */
        if (sl_tags_key(ch, ad, NULL, tag.address, &e)) goto fail;
        tag.chain = ch;
    } else if (!tag.chain) {
        tag.chain = (char *)"btc";
    }
    if (sl_tags_open(&t, c->srv->store_dir, SL_TAGS_CREATE, &e) || sl_tags_add(t, &tag, &e)) goto fail;
    atomic_fetch_add(&c->srv->generation, 1); /* every thread sees the new tag at its next request */
    tags_answer(resp, 201, t, tag.chain, tag.address, tag.tx_hash);
    sl_tags_close(t);
    return;
fail:
    if (e.code == SL_EUSAGE) srv_error(resp, 422, "EUSAGE", "%s", e.msg);
    else srv_sl_error(resp, &e);
    sl_tags_close(t);
}

void srv_h_incidents(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_incident_list l = {0};
    sl_error e = {0};
    cJSON *j, *a;
    (void)req;
    if (sl_incidents_all(c->srv->store_dir, &l, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    j = cJSON_CreateObject();
    a = cJSON_AddArrayToObject(j, "incidents");
    for (size_t i = 0; i < l.n; i++) {
        cJSON *o = sl_incident_json(&l.v[i]);
        char url[300];
        snprintf(url, sizeof url, "/v1/incidents/%s", l.v[i].id);
        cJSON_AddStringToObject(o, "url", url);
        cJSON_AddItemToArray(a, o);
    }
    sl_incident_list_free(&l);
    srv_json(resp, 200, j);
}

void srv_h_incident(sl_srv_ctx *c, sl_srv_req *req, sl_srv_resp *resp)
{
    sl_incident_list l = {0};
    const sl_incident *in;
    sl_tag_list tl = {0};
    sl_error e = {0};
    char from[512], url[300];
    sl_tags *t;
    cJSON *j, *o;
    if (!ready(c, resp)) return;
    if (sl_incident_lookup(c->srv->store_dir, req->segs[1], &l, &in, from, sizeof from, &e)) {
        srv_sl_error(resp, &e);
        return;
    }
    if ((t = sl_knowledge_tags(c->k)) && sl_tags_for_incident(t, in->id, &tl, &e)) {
        sl_incident_list_free(&l);
        srv_sl_error(resp, &e);
        return;
    }
    j = cJSON_CreateObject();
    o = sl_incident_json(in);
    cJSON_AddItemToObject(o, "addresses", sl_tags_json(tl.v, tl.n));
    snprintf(url, sizeof url, "/v1/incidents/%s/report", in->id);
    cJSON_AddStringToObject(o, "report_url", url);
    cJSON_AddItemToObject(j, "incident", o);
    sl_tag_list_free(&tl);
    sl_incident_list_free(&l);
    srv_json(resp, 200, j);
}
