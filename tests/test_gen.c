/* test_gen.c — `sleuth gen world` end to end: a small world of each recipe (2,000 background
 * transactions) is generated twice (byte-identical), ingested by the real binary (regtest
 * blocks, Ethereum dumps, the Tron export, tag packs and the bridge rule), and checked
 * against its truth.json: the theft transaction moves exactly the loot, the thief's
 * THORChain memo is in the raw block bytes, every THORChain outbound (OUT:) names an
 * inbound that exists on the other chain, a sample of the thief's transactions are in the
 * store, and dmm's Tron leg: each of the thief's bridge deposits paired with its own
 * release, the USDT arriving on Tron and reaching the Tron OTC desk to the base unit. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/flow.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

static char *slurp(const char *path, size_t *n)
{
    sl_file f;
    sl_error e = {0};
    char *p;
    cr_assert_eq(sl_file_open(&f, path, &e), 0, "%s", e.msg);
    p = malloc(f.len + 1);
    cr_assert(p);
    memcpy(p, f.data, f.len);
    p[f.len] = 0;
    *n = f.len;
    sl_file_close(&f);
    return p;
}

/* Generates recipe with seed into DIR/name; asserts success. */
static void gen(const char *d, const char *name, const char *recipe, unsigned seed)
{
    run_result r = run_sleuth("gen world --recipe %s --seed %u --out %s/%s --background-txs 2000 --quiet", recipe,
                              seed, d, name);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

/* Generates recipe/seed into DIR/w and ingests it into DIR/s; returns DIR. */
static const char *world(const char *recipe, unsigned seed)
{
    const char *d = gen_world_store(recipe, seed, 2000);
    run_result r = run_sleuth("tags import --store %s/s %s/w/tags/world.tagpack.yaml %s/w/tags/incident.tagpack.yaml "
                              "%s/w/tags/bridges.yaml %s/w/incidents.yaml", d, d, d, d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return d;
}

static cJSON *truth(const char *d)
{
    size_t n;
    char *t = slurp(path_in(d, "w/truth.json"), &n);
    cJSON *j = cJSON_Parse(t);
    free(t);
    cr_assert(j, "truth.json does not parse");
    return j;
}

static bool tx_exists(const char *store_dir, const char *tx)
{
    run_result r = run_sleuth("tx --store %s/s --json %s", store_dir, tx);
    bool ok = r.status == 0;
    run_free(&r);
    return ok;
}

/* The transactions of a service address (THORChain's BTC vault, the router), as `sleuth address
 * --json` lists them. */
static cJSON *service_txs(const char *d, const char *kind, const char *chain)
{
    cJSON *t = truth(d), *sv, *out = NULL;
    cJSON_ArrayForEach(sv, cJSON_GetObjectItem(t, "services"))
        if (!strcmp(jstr(sv, "kind"), kind) && !strcmp(jstr(sv, "chain"), chain)) {
            out = sleuth_json("address --store %s/s --json --limit 100000000 %s", d, jstr(sv, "address"));
            break;
        }
    cJSON_Delete(t);
    cr_assert(out, "no %s on %s in truth.json", kind, chain);
    return out;
}

/* Every "OUT:" + 64 upper-case hex digits in text (raw, or hex-encoded when hexed) names an
 * inbound of the other chain: a transaction of `inbounds` (the BTC vault's, or the router's,
 * as the store lists them). Returns how many memos it read; *streamed: the most memos that
 * name one inbound (hexed: a memo stands 3 times an outbound, input, log and trace). */
static int check_outs(const char *text, size_t n, bool hexed, const cJSON *inbounds, int *streamed)
{
    const char *pat = hexed ? "4f55543a" : "OUT:";
    size_t pl = strlen(pat), idl = hexed ? 128 : 64;
    int total = 0;
    *streamed = 0;
    for (const char *p = text; (p = memmem(p, n - (size_t)(p - text), pat, pl)) != NULL; p += pl) {
        char id[70], *q = id;
        const cJSON *tx;
        bool found = false;
        int same = 0;
        if ((size_t)(p - text) + pl + idl > n) break;
        if (!hexed) *q++ = '0', *q++ = 'x'; /* Bitcoin outbounds name Ethereum hashes */
        for (size_t i = 0; i < 64; i++) {
            unsigned v = (unsigned char)p[pl + i];
            if (hexed) {
                char h[3] = {p[pl + 2 * i], p[pl + 2 * i + 1], 0};
                if (sscanf(h, "%2x", &v) != 1) v = 0;
            }
            if (!isxdigit((int)v) || islower((int)v)) goto next;
            *q++ = (char)tolower((int)v);
        }
        *q = 0;
        cJSON_ArrayForEach(tx, cJSON_GetObjectItem(inbounds, "txs")) found |= !strcmp(tx->valuestring, id);
        cr_assert(found, "OUT: names %s, which is not an inbound the store has", id);
        total++;
        for (const char *r = text; (r = memmem(r, n - (size_t)(r - text), p, pl + idl)) != NULL; r++) same++;
        if (same > *streamed) *streamed = same;
    next:;
    }
    return total;
}

static void theft_checks(const char *d, bool dmm)
{
    cJSON *t = truth(d), *theft = cJSON_GetObjectItem(t, "theft");
    const char *loot = jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "loot"), 0), "amount");
    cJSON *tx = sleuth_json("tx --store %s/s --json %s", d, jstr(theft, "tx"));
    if (dmm) {
        cJSON *o0 = cJSON_GetArrayItem(cJSON_GetObjectItem(tx, "outputs"), 0);
        cr_assert_str_eq(loot, "450290000000", "4,502.9 BTC in satoshis");
        cr_assert_eq(jint(o0, "value"), 450290000000ULL);
        cr_assert_str_eq(jstr(o0, "address"), jstr(theft, "exploiter"));
    } else {
        cJSON *f, *flows = cJSON_GetObjectItem(tx, "flows");
        bool found = false;
        cr_assert_str_eq(loot, "401346760000000000000000", "401,346.76 ETH in wei");
        cJSON_ArrayForEach(f, flows)
            if (!strcmp(jstr(f, "kind"), "internal") && !strcmp(jstr(f, "amount"), loot) &&
                !strcasecmp(jstr(f, "to"), jstr(theft, "exploiter")))
                found = true;
        cr_assert(found, "the theft's internal transfer of the loot to the exploiter");
    }
    /* trace from the theft: its source is the loot, and the trace balances */
    {
        cJSON *tr = sleuth_json("trace --store %s/s --tx %s%s --max-hops 2 --json", d, jstr(theft, "tx"), dmm ? ":0" : "");
        cJSON *c = cJSON_GetObjectItem(tr, "conservation"), *src = cJSON_GetObjectItem(c, "source");
        char got[48];
        if (cJSON_IsString(src)) snprintf(got, sizeof got, "%s", src->valuestring);
        else snprintf(got, sizeof got, "%llu", (unsigned long long)jint(c, "source"));
        cr_assert_str_eq(got, loot);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "balanced")));
        cJSON_Delete(tr);
    }
    if (dmm) {
        cJSON *a = sleuth_json("address --store %s/s --json %s", d, jstr(theft, "exploiter"));
        cr_assert_eq(jint(a, "received"), 450290000000ULL);
        cJSON_Delete(a);
    }
    /* the thief's transactions are in the store (a sample: one in fifteen) */
    {
        cJSON *x, *txs = cJSON_GetObjectItem(t, "thief_txs");
        int i = 0;
        cr_assert_gt(cJSON_GetArraySize(txs), 50);
        cJSON_ArrayForEach(x, txs)
            if (i++ % 15 == 0) cr_assert(tx_exists(d, jstr(x, "tx")), "thief tx %s", jstr(x, "tx"));
    }
    /* the exploiter's max_share is the whole loot */
    {
        cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "thief_addresses"), 0);
        cr_assert_str_eq(jstr(a, "role"), "exploiter");
        cr_assert_float_eq(cJSON_GetObjectItem(a, "max_share")->valuedouble, 1.0, 1e-6);
    }
    /* the incident record reads as the library's, with the loot in whole units */
    {
        sl_incident_list l = {0};
        sl_error e = {0};
        char id[64];
        snprintf(id, sizeof id, "world-%s-%s", dmm ? "dmm" : "bybit", dmm ? "1" : "2");
        cr_assert_eq(sl_incidents_read(path_in(d, "w/incidents.yaml"), &l, &e), 0, "%s", e.msg);
        cr_assert_eq(l.n, 1);
        cr_assert_str_eq(l.v[0].id, id);
        cr_assert_str_eq(jstr(t, "incident"), id);
        cr_assert_eq(l.v[0].nstolen, 1);
        cr_assert_str_eq(l.v[0].stolen[0].amount, dmm ? "4502.90" : "401346.76");
        sl_incident_list_free(&l);
    }
    cJSON_Delete(tx);
    cJSON_Delete(t);
}

/* Two worlds of the same recipe and seed are the same bytes; another seed's are not. */
static void same_bytes(const char *recipe)
{
    const char *d = temp_dir();
    char *a, *b, *c;
    gen(d, "a", recipe, 5);
    gen(d, "b", recipe, 5);
    gen(d, "c", recipe, 6);
    a = tree_digest(path_in(d, "a"));
    b = tree_digest(path_in(d, "b"));
    c = tree_digest(path_in(d, "c"));
    cr_assert_str_eq(a, b, "same seed, same bytes");
    cr_assert_str_neq(a, c, "another seed, another world");
    free(a), free(b), free(c);
}

Test(gen, deterministic_dmm)
{
    const char *d = temp_dir();
    run_result r;
    same_bytes("dmm");
    /* a world is not written over another */
    gen(d, "a", "dmm", 5);
    r = run_sleuth("gen world --recipe dmm --seed 5 --out %s/a --background-txs 2000", d);
    cr_assert_eq(r.status, 2, "a usage error");
    cr_assert(strstr(r.err, "a world is already there"), "%s", r.err);
    run_free(&r);
}

Test(gen, deterministic_bybit) { same_bytes("bybit"); }

/* A generated, ingested world and its files read whole, checked against the theft first. */
typedef struct opened {
    const char *d;
    char *blk, *eth;
    size_t nb, ne;
    cJSON *t;
} opened;

static opened open_world(const char *recipe, unsigned seed)
{
    opened o = {0};
    o.d = world(recipe, seed);
    o.blk = slurp(path_in(o.d, "w/btc/blk00000.dat"), &o.nb);
    o.eth = slurp(path_in(o.d, "w/eth/blocks-00000.json"), &o.ne);
    o.t = truth(o.d);
    theft_checks(o.d, !strcmp(recipe, "dmm"));
    return o;
}

static void close_world(opened *o)
{
    cJSON_Delete(o->t);
    free(o->blk), free(o->eth);
}

Test(gen, dmm_world)
{
    opened o = open_world("dmm", 1);
    const char *d = o.d, *blk = o.blk, *eth = o.eth;
    size_t nb = o.nb, ne = o.ne;
    cJSON *t = o.t, *a;
    int memos = 0;
    /* each of the thief's THORChain destinations is named by a memo in an OP_RETURN */
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(t, "thief_addresses")) {
        char want[64];
        const char *addr = jstr(a, "address");
        if (strcmp(jstr(a, "role"), "swap destination")) continue;
        for (size_t i = 0; i < 42; i++) want[i] = (char)tolower((unsigned char)addr[i]);
        want[42] = 0;
        cr_assert(memmem(blk, nb, want, 42), "the memo naming %s is in the blocks", addr);
        memos++;
    }
    cr_assert_gt(memos, 10);
    cr_assert(memmem(blk, nb, "=:ETH.ETH:0x", 12) && memmem(blk, nb, "SWAP:ETH.ETH:0x", 15) && memmem(blk, nb, "s:e:0x", 6));
    cr_assert(memmem(blk, nb, "=:ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7:0x", 56), "a USDT swap");
    cr_assert(memmem(blk, nb, "/3/0", 4), "a streaming swap");
    cr_assert(memmem(blk, nb, "REFUND:", 7), "a refund");
    /* Ethereum outbounds name Bitcoin inbounds (one inbound paid in 3 parts: a streaming swap);
     * Bitcoin outbounds name Ethereum inbounds */
    {
        cJSON *vault = service_txs(d, "thorchain_vault", "btc"), *router = service_txs(d, "thorchain_router", "ethereum");
        int streamed;
        cr_assert_gt(check_outs(eth, ne, true, vault, &streamed), 10);
        cr_assert_eq(streamed, 9, "3 outbounds x (input, log, trace)");
        cr_assert_gt(check_outs(blk, nb, false, router, &streamed), 3);
        cJSON_Delete(vault), cJSON_Delete(router);
    }
    close_world(&o);
}

Test(gen, bybit_world)
{
    opened o = open_world("bybit", 2);
    const char *d = o.d, *blk = o.blk, *eth = o.eth;
    size_t nb = o.nb, ne = o.ne;
    cJSON *t = o.t, *l;
    int links = 0;
    /* ETH -> BTC: the thief's outbounds on Bitcoin name its Ethereum inbounds */
    {
        cJSON *vault = service_txs(d, "thorchain_vault", "btc"), *router = service_txs(d, "thorchain_router", "ethereum");
        int streamed;
        cr_assert_gt(check_outs(blk, nb, false, router, &streamed), 200, "the thief's 200 and others");
        cr_assert_gt(check_outs(eth, ne, true, vault, &streamed), 3);
        cJSON_Delete(vault), cJSON_Delete(router);
    }
    /* "=:BTC.BTC:bcrt1" as ABI string bytes in the router's Deposit data */
    cr_assert(memmem(eth, ne, "3d3a4254432e4254433a6263727431", 30));
    /* the thief's Tornado pairs: both transactions exist, deposits in the 100 ETH pool */
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(t, "tornado_links")) {
        cJSON *tx;
        if (links++ % 10) continue;
        tx = sleuth_json("tx --store %s/s --json %s", d, jstr(l, "deposit_tx"));
        cr_assert_str_eq(jstr(tx, "to"), "0xA160cdAB225685dA1d56aa342Ad8841c3b53f291");
        cr_assert_str_eq(jstr(tx, "value"), "100000000000000000000");
        cJSON_Delete(tx);
        cr_assert(tx_exists(d, jstr(l, "withdrawal_tx")));
    }
    cr_assert_eq(links, 60, "6 addresses x 10 deposits");
    close_world(&o);
}

/* An amount member as its digits: a JSON integer below 2^53, else a string (docs/JSON.md). */
static void amount_str(const cJSON *o, const char *key, char out[48])
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(v, "no %s", key);
    if (cJSON_IsString(v)) snprintf(out, 48, "%s", v->valuestring);
    else {
        cr_assert(cJSON_IsNumber(v) && v->valuedouble < 9007199254740992.0, "%s is not an exact amount", key);
        snprintf(out, 48, "%.0f", v->valuedouble);
    }
}

static bool names_address(const cJSON *arr, const char *chain, const char *address)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
        if (!strcmp(jstr(x, "chain"), chain) && !strcmp(jstr(x, "address"), address)) return true;
    return false;
}

/* dmm's Tron leg (docs/WORLDS.md, "The USDT bridge"): the world ships the bridge's rule, and
 * with it sleuth pairs each of the thief's deposits on Ethereum with its own release on
 * Tron (truth's bridge_links: the release's tx, receiver and amount, to the base unit);
 * traced FIFO from each deposit, the USDT passes the thief's Tron hop and ends at the Tron
 * OTC desk, and the deposits' endpoints there add up to truth's final (tron, otc) amount.
 * detect names every Tron address of the thief that held >= 1% of the loot, and the
 * incident report lists the Tron OTC desk among its endpoints. */
Test(gen, dmm_tron_leg, .timeout = 300)
{
    const char *d = world("dmm", 1);
    cJSON *t = truth(d), *x, *det, *rep;
    const char *otc = NULL, *otc_amount = NULL;
    sl_u128 sum = 0;
    char got[48], want[48];
    int links = 0, big = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "final"))
        if (!strcmp(jstr(x, "chain"), "tron")) {
            cr_assert_str_eq(jstr(x, "kind"), "otc", "on Tron the loot ends at the OTC desk (%s)", jstr(x, "address"));
            cr_assert_null(otc, "one place on Tron");
            otc = jstr(x, "address"), otc_amount = jstr(x, "amount");
        }
    cr_assert(otc, "truth.json: no final on tron");
    cr_assert_eq(otc[0], 'T', "a T-address: %s", otc);
    /* the export as `ingest tron` reads it: T-addresses, USDT's mainnet contract, hashes without 0x */
    {
        size_t n;
        char *tron = slurp(path_in(d, "w/tron/blocks-00000.json"), &n), want_tx[96];
        const cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "bridge_links"), 0);
        cr_assert(l0, "truth.json: no bridge_links");
        snprintf(want_tx, sizeof want_tx, "{\"tx_hash\":\"%s\"", jstr(l0, "release_tx"));
        cr_assert_eq(strlen(jstr(l0, "release_tx")), 64);
        cr_assert(memmem(tron, n, want_tx, strlen(want_tx)), "the release %s in the export", want_tx);
        cr_assert(memmem(tron, n, "\"address\":\"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\"", 46), "USDT's Transfer logs");
        cr_assert(memmem(tron, n, "\"transaction_type\":13,", 22) && memmem(tron, n, "\"transaction_type\":1,", 21));
        free(tron);
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "bridge_links")) {
        cJSON *tr = sleuth_json("trace --store %s/s --tx %s --asset USDT --policy fifo --json", d, jstr(x, "deposit_tx"));
        const cJSON *c = cJSON_GetObjectItem(tr, "crossings_used"), *e, *xc = cJSON_GetArrayItem(c, 0);
        int at_otc = 0;
        cr_assert_eq(cJSON_GetArraySize(c), 1, "deposit %s: one crossing", jstr(x, "deposit_tx"));
        cr_assert_str_eq(jstr(xc, "kind"), "bridge");
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(xc, "matched")));
        cr_assert_str_eq(jstr(xc, "to_chain"), "tron");
        cr_assert_str_eq(jstr(xc, "to_asset"), "USDT");
        cr_assert_str_eq(jstr(xc, "to_tx"), jstr(x, "release_tx"), "deposit %s paired with its own release",
                         jstr(x, "deposit_tx"));
        cr_assert_str_eq(jstr(xc, "to_address"), jstr(x, "release_to"));
        amount_str(xc, "from_amount", got);
        cr_assert_str_eq(got, jstr(x, "deposit_amount"));
        amount_str(xc, "to_amount", got);
        cr_assert_str_eq(got, jstr(x, "release_amount"), "the USDT arriving on Tron");
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(tr, "endpoints")) {
            cr_assert_str_eq(jstr(e, "chain"), "tron", "all of it went on to Tron");
            cr_assert_str_eq(jstr(e, "address"), otc, "and ended at the OTC desk");
            amount_str(e, "amount", got);
            cr_assert_str_eq(got, jstr(x, "release_amount"), "every unit released reached the desk");
            sum += strtoull(got, NULL, 10);
            at_otc++;
        }
        cr_assert_eq(at_otc, 1);
        big += strtoull(jstr(x, "deposit_amount"), NULL, 10) > 1000000ULL * 1000000ULL; /* a million USDT */
        links++;
        cJSON_Delete(tr);
    }
    cr_assert_geq(links, 6, "the thief's deposits at the bridge (%d)", links);
    cr_assert_geq(big, 4);
    sl_u128_dec(want, sum);
    cr_assert_str_eq(want, otc_amount, "truth's final on Tron is what the deposits' traces end with");
    /* detect: the thief's Tron addresses that held >= 1% of the loot are suspects; the OTC desk a finding */
    det = sleuth_json("detect --store %s/s --incident world-dmm-1 --json", d);
    {
        int tron_big = 0;
        bool otc_found = false;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "thief_addresses")) {
            if (strcmp(jstr(x, "chain"), "tron") || cJSON_GetObjectItem(x, "max_share")->valuedouble < 0.01) continue;
            cr_assert(names_address(cJSON_GetObjectItem(det, "suspect_addresses"), "tron", jstr(x, "address")),
                      "the thief's %s %s is not a suspect", jstr(x, "role"), jstr(x, "address"));
            tron_big++;
        }
        cr_assert_geq(tron_big, 6, "bridge destinations and hops (%d)", tron_big);
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(det, "findings"))
            if (!strcmp(jstr(x, "kind"), "otc") && names_address(cJSON_GetObjectItem(x, "addresses"), "tron", otc))
                otc_found = true;
        cr_assert(otc_found, "an otc finding names the Tron desk");
    }
    rep = sleuth_json("incident report --store %s/s world-dmm-1 --json", d);
    cr_assert(names_address(cJSON_GetObjectItem(rep, "endpoints"), "tron", otc), "the report's endpoints list the Tron desk");
    cJSON_Delete(rep), cJSON_Delete(det), cJSON_Delete(t);
}
