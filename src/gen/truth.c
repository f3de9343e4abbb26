/* truth.c — what the generated world says about itself (docs/WORLDS.md): truth.json (the
 * loot, the thief's addresses with the largest share of the loot each held, the thief's
 * transactions with their stage, where the loot ended, the services, the thief's Tornado
 * deposit -> withdrawal pairs), the tag packs an investigator would have (tags/world:
 * services; tags/incident: the theft transaction and the exploiter), the USDT bridge's
 * pairing rule (tags/bridges.yaml, the `bridges:` format of src/laundering/bridges.c) and
 * the incident record (incidents.yaml, in the format of data/incidents/incidents.yaml).
 * Transactions: Bitcoin txids as printed (reversed hex), Ethereum hashes 0x + lowercase hex,
 * Tron hashes lowercase hex without 0x; addresses: bcrt1.../m.../n..., Ethereum EIP-55,
 * Tron T-addresses.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "world_int.h"

static void tx_str(char out[70], int chain, const uint8_t h[32])
{
    if (chain == 0) gb_txid_hex(out, h);
    else if (chain == 2) sl_hex_encode(out, h, 32);
    else { out[0] = '0', out[1] = 'x'; sl_hex_encode(out + 2, h, 32); }
}

static void addr_str(gen_world *w, char out[96], int chain, uint32_t idx)
{
    if (chain == 0) gb_addr_str(w, idx, out);
    else if (chain == 2) snprintf(out, 96, "%s", w->t.acct[idx].t);
    else ge_addr_str(w, idx, out);
}

static const char *chain_name(int chain) { return chain == 2 ? "tron" : chain ? "ethereum" : "btc"; }

static void write_file(gen_world *w, const char *name, const char *text)
{
    char p[4200];
    FILE *f;
    size_t n = strlen(text);
    snprintf(p, sizeof p, "%s/%s", w->dir, name);
    if (!(f = fopen(p, "wb"))) gen_fail(w, SL_EIO, "%s: cannot create: %s", p, strerror(errno));
    if (fwrite(text, 1, n, f) != n) { fclose(f); gen_fail(w, SL_EIO, "%s: write failed", p); }
    if (fclose(f) != 0) gen_fail(w, SL_EIO, "%s: write failed: %s", p, strerror(errno));
}

static void service(gen_world *w, cJSON *arr, int chain, uint32_t idx, const char *kind)
{
    char a[96];
    cJSON *o = cJSON_CreateObject();
    addr_str(w, a, chain, idx);
    cJSON_AddStringToObject(o, "chain", chain_name(chain));
    cJSON_AddStringToObject(o, "address", a);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddItemToArray(arr, o);
}

void truth_write(gen_world *w)
{
    world_services *s = w->svc;
    cJSON *root = cJSON_CreateObject(), *arr, *o;
    char buf[96], num[48];
    char *text;
    cJSON_AddStringToObject(root, "recipe", w->o.recipe);
    snprintf(num, sizeof num, "%llu", (unsigned long long)w->o.seed); /* exact past 2^53 */
    cJSON_AddRawToObject(root, "seed", num);
    cJSON_AddStringToObject(root, "incident", w->incident);
    tx_str(buf, w->dmm ? 0 : 1, w->theft_tx);
    o = cJSON_AddObjectToObject(root, "theft");
    cJSON_AddStringToObject(o, "chain", w->dmm ? "btc" : "ethereum");
    cJSON_AddStringToObject(o, "tx", buf);
    addr_str(w, buf, w->dmm ? 0 : 1, w->exploiter);
    cJSON_AddStringToObject(o, "exploiter", buf);
    arr = cJSON_AddArrayToObject(root, "loot");
    o = cJSON_CreateObject();
    sl_u128_dec(num, w->loot);
    cJSON_AddStringToObject(o, "chain", w->dmm ? "btc" : "ethereum");
    cJSON_AddStringToObject(o, "asset", w->dmm ? "BTC" : "ETH");
    cJSON_AddStringToObject(o, "amount", num);
    cJSON_AddItemToArray(arr, o);
    arr = cJSON_AddArrayToObject(root, "thief_addresses");
    for (size_t i = 0; i < w->n_thieves; i++) {
        const thief_addr *t = &w->thieves[i];
        o = cJSON_CreateObject();
        addr_str(w, buf, t->chain, t->idx);
        cJSON_AddStringToObject(o, "chain", chain_name(t->chain));
        cJSON_AddStringToObject(o, "address", buf);
        cJSON_AddStringToObject(o, "role", t->role);
        /* 6 decimals: stable text across platforms */
        cJSON_AddNumberToObject(o, "max_share", (double)(int64_t)(t->max_share * 1e6 + 0.5) / 1e6);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(root, "thief_txs");
    for (size_t i = 0; i < w->n_ttx; i++) {
        o = cJSON_CreateObject();
        tx_str(buf, w->ttx[i].chain, w->ttx[i].h);
        cJSON_AddStringToObject(o, "chain", chain_name(w->ttx[i].chain));
        cJSON_AddStringToObject(o, "tx", buf);
        cJSON_AddStringToObject(o, "stage", w->ttx[i].stage);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(root, "final");
    for (size_t i = 0; i < w->n_fin; i++) {
        const struct final_ent *f = &w->fin[i];
        o = cJSON_CreateObject();
        addr_str(w, buf, f->chain, f->idx);
        sl_u128_dec(num, f->amount);
        cJSON_AddStringToObject(o, "chain", chain_name(f->chain));
        cJSON_AddStringToObject(o, "address", buf);
        cJSON_AddStringToObject(o, "asset", f->asset);
        cJSON_AddStringToObject(o, "amount", num);
        cJSON_AddStringToObject(o, "kind", f->kind);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(root, "services");
    for (int i = 0; i < N_BX; i++) service(w, arr, 0, s->bx_hot[i], "exchange");
    service(w, arr, 0, s->btc_vault, "thorchain_vault");
    service(w, arr, 0, s->coord, "coinjoin_coordinator");
    for (int i = 0; i < N_EX; i++) service(w, arr, 1, s->ex_hot[i], "exchange");
    service(w, arr, 1, s->eth_vault, "thorchain_vault");
    service(w, arr, 1, s->router, "thorchain_router");
    service(w, arr, 1, s->pool, "dex");
    service(w, arr, 1, s->usdt, "token");
    for (int i = 0; i < 4; i++) service(w, arr, 1, s->tc[i], "mixer");
    for (int i = 0; i < N_RELAYER; i++) service(w, arr, 1, s->relayer[i], "mixer_relayer");
    service(w, arr, 1, s->otc, "otc");
    service(w, arr, 1, s->bridge_dep, "bridge");
    service(w, arr, 2, s->bridge_rel, "bridge");
    service(w, arr, 2, s->t_hot, "exchange");
    service(w, arr, 2, s->t_usdt, "token");
    service(w, arr, 2, s->t_otc, "otc");
    arr = cJSON_AddArrayToObject(root, "tornado_links");
    for (size_t i = 0; i < w->n_tl; i++) {
        o = cJSON_CreateObject();
        tx_str(buf, 1, w->tl[i].dep);
        cJSON_AddStringToObject(o, "deposit_tx", buf);
        tx_str(buf, 1, w->tl[i].wd);
        cJSON_AddStringToObject(o, "withdrawal_tx", buf);
        cJSON_AddItemToArray(arr, o);
    }
    arr = cJSON_AddArrayToObject(root, "bridge_links");
    for (size_t i = 0; i < w->n_bl; i++) {
        const struct blink *l = &w->bl[i];
        o = cJSON_CreateObject();
        tx_str(buf, 1, l->dep);
        cJSON_AddStringToObject(o, "deposit_tx", buf);
        snprintf(num, sizeof num, "%llu", (unsigned long long)l->dep_amount);
        cJSON_AddStringToObject(o, "deposit_amount", num);
        tx_str(buf, 2, l->rel);
        cJSON_AddStringToObject(o, "release_tx", buf);
        snprintf(num, sizeof num, "%llu", (unsigned long long)l->rel_amount);
        cJSON_AddStringToObject(o, "release_amount", num);
        addr_str(w, buf, 2, l->to);
        cJSON_AddStringToObject(o, "release_to", buf);
        cJSON_AddItemToArray(arr, o);
    }
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text || sl_alloc_failures()) { sl_free(text); gen_fail(w, SL_ENOMEM, "out of memory writing truth.json"); }
    {
        size_t n = strlen(text);
        char *t2 = sl_realloc(text, n + 2);
        if (!t2) { sl_free(text); gen_fail(w, SL_ENOMEM, "out of memory"); }
        t2[n] = '\n', t2[n + 1] = 0;
        text = t2;
    }
    /* write_file may jump: keep the text reachable for the free */
    w->svc->scratch.len = 0;
    {
        int rc = sl_buf_append(&w->svc->scratch, text, strlen(text) + 1);
        sl_free(text);
        if (rc) gen_fail(w, SL_ENOMEM, "out of memory");
    }
    write_file(w, "truth.json", (const char *)w->svc->scratch.p);
}

/* ---------- tags and the incident record ---------- */
static void tag(gen_world *w, sl_buf *b, int chain, uint32_t idx, const char *label, const char *category,
                bool definer)
{
    char a[96];
    const char *net = chain == 2 ? "TRX" : chain ? "ETH" : "BTC";
    addr_str(w, a, chain, idx);
    if (sl_buf_printf(b,
                      "- address: '%s'\n  label: '%s'\n  category: '%s'\n  network: '%s'\n  currency: '%s'\n"
                      "%s",
                      a, label, category, net, net, definer ? "  is_cluster_definer: true\n" : "") != SL_OK)
        gen_fail(w, SL_ENOMEM, "out of memory");
}

static void finish(gen_world *w, sl_buf *b, const char *name)
{
    gen_buf_put(w, b, "", 1);
    write_file(w, name, (const char *)b->p);
}

void tags_write(gen_world *w)
{
    world_services *s = w->svc;
    sl_buf *b = &s->scratch;
    char txs[70], ex[96], label[200];
    const char *date = w->dmm ? "2024-05-31" : "2025-02-21";
    b->len = 0;
    if (sl_buf_printf(b,
                      "# Generated by `sleuth gen world --recipe %s --seed %llu`: the services of the world.\n"
                      "title: 'sleuth generated world %s: services'\ncreator: 'sleuth gen world'\n"
                      "description: 'Services of the generated world (docs/WORLDS.md).'\nis_public: true\n"
                      "lastmod: %s\nsource: 'sleuth gen world'\nconfidence: 'service_data'\ntags:\n",
                      w->o.recipe, (unsigned long long)w->o.seed, w->incident, date) != SL_OK)
        gen_fail(w, SL_ENOMEM, "out of memory");
    for (int i = 0; i < N_BX; i++) {
        snprintf(label, sizeof label, "%s: hot wallet", s->bx_name[i]);
        tag(w, b, 0, s->bx_hot[i], label, "exchange", true);
    }
    tag(w, b, 0, s->btc_vault, "THORChain: BTC vault", "defi_bridge", false);
    tag(w, b, 0, s->coord, "CoinJoin coordinator (Whirlpool-like): fee address", "coinjoin", false);
    for (int i = 0; i < N_EX; i++) {
        snprintf(label, sizeof label, "%s: hot wallet", s->ex_name[i]);
        tag(w, b, 1, s->ex_hot[i], label, "exchange", true);
    }
    tag(w, b, 1, s->eth_vault, "THORChain: ETH vault", "defi_bridge", false);
    tag(w, b, 1, s->router, "THORChain: router", "defi_bridge", false);
    tag(w, b, 1, s->pool, "Uniswap V2-like: ETH/USDT pool", "defi_dex", false);
    for (int i = 0; i < 4; i++) {
        static const char *const L[4] = {"Tornado.Cash: 0.1 ETH", "Tornado.Cash: 1 ETH", "Tornado.Cash: 10 ETH",
                                         "Tornado.Cash: 100 ETH"};
        tag(w, b, 1, s->tc[i], L[i], "mixing_service", false);
    }
    tag(w, b, 1, s->otc, "OTC desk", "market", false);
    tag(w, b, 1, s->bridge_dep, "USDT bridge: deposit address (Ethereum)", "defi_bridge", false);
    tag(w, b, 2, s->bridge_rel, "USDT bridge: release address (Tron)", "defi_bridge", false);
    tag(w, b, 2, s->t_hot, "Exchange G: hot wallet", "exchange", true);
    tag(w, b, 2, s->t_otc, "OTC desk (Tron, guarantee market)", "market", false);
    finish(w, b, "tags/world.tagpack.yaml");

    /* the bridge's pairing rule: its deposit -> release, the window and fee it keeps to */
    b->len = 0;
    {
        char dep[96], rel[96];
        addr_str(w, dep, 1, s->bridge_dep);
        addr_str(w, rel, 2, s->bridge_rel);
        if (sl_buf_printf(b,
                          "# Generated by `sleuth gen world --recipe %s --seed %llu`: the USDT bridge of the world,\n"
                          "# Ethereum -> Tron, as an analyst states it (docs/LAUNDERING.md, \"Bridges\"). The bridge\n"
                          "# pays each deposit in the same tick, minutes later, first in first out, keeping 0.1%% + 1 USDT.\n"
                          "bridges:\n"
                          "  - name: world-usdt-bridge\n"
                          "    from: {chain: ethereum, address: '%s', asset: USDT}\n"
                          "    to: {chain: tron, address: '%s', asset: USDT}\n"
                          "    window: 3600\n    max_fee_bps: %u\n    max_fee_units: %llu\n"
                          "    note: 'generated world %s: USDT bridge, deposit on Ethereum, release on Tron'\n",
                          w->o.recipe, (unsigned long long)w->o.seed, dep, rel, (unsigned)BRIDGE_FEE_BPS + 5,
                          (unsigned long long)BRIDGE_FEE_UNITS, w->incident) != SL_OK)
            gen_fail(w, SL_ENOMEM, "out of memory");
    }
    finish(w, b, "tags/bridges.yaml");

    b->len = 0;
    tx_str(txs, w->dmm ? 0 : 1, w->theft_tx);
    addr_str(w, ex, w->dmm ? 0 : 1, w->exploiter);
    if (sl_buf_printf(b,
                      "# Generated by `sleuth gen world`: the incident of the world, as an investigator knows it\n"
                      "# on day one (the theft transaction and the exploiter).\n"
                      "title: 'sleuth generated world: incident %s'\ncreator: 'sleuth gen world'\n"
                      "description: 'The theft of the generated world. Incident record: incidents.yaml id %s.'\n"
                      "is_public: true\nlastmod: %s\nnetwork: '%s'\ncurrency: '%s'\n"
                      "source: 'sleuth gen world'\nconfidence: 'forensic'\ntags:\n"
                      "- address: '%s'\n  label: '%s exploiter'\n  category: 'perpetrator'\n  abuse: 'service_hack'\n"
                      "  is_cluster_definer: true\n  context: '{\"incident\": \"%s\", \"role\": \"exploiter\"}'\n"
                      "- tx_hash: '%s'\n  label: '%s theft transaction'\n  category: 'perpetrator'\n"
                      "  abuse: 'service_hack'\n  context: '{\"incident\": \"%s\", \"role\": \"theft_tx\"}'\n",
                      w->incident, w->incident, date, w->dmm ? "BTC" : "ETH", w->dmm ? "BTC" : "ETH", ex,
                      w->incident, w->incident, txs, w->incident, w->incident) != SL_OK)
        gen_fail(w, SL_ENOMEM, "out of memory");
    finish(w, b, "tags/incident.tagpack.yaml");

    b->len = 0;
    {
        static const char *const DMM[3] = {
            "Exchange A (generated): its Bitcoin hot wallet",
            "A tampered withdrawal: the hot wallet pays the exploiter in one transaction.",
            "Split over 10 addresses; peel chains into CoinJoin and exchanges; THORChain to ETH; DEX to USDT; "
            "a bridge to Tron; OTC desks on Ethereum and Tron; part dormant."};
        static const char *const BYBIT[3] = {
            "Victim exchange (generated): its Ethereum Safe",
            "The exploiter's call drains the Safe in one internal transfer.",
            "Fan-out over 40 then 80 addresses; DEX to USDT and OTC; THORChain to BTC and consolidation; Tornado Cash; "
            "exchanges; part dormant."};
        char amt[64], num[48];
        u128 whole = w->dmm ? w->loot / SAT_PER_BTC : w->loot / WEI_PER_ETH;
        u128 frac = w->dmm ? (w->loot % SAT_PER_BTC) / 1000000 : (w->loot % WEI_PER_ETH) / (WEI_PER_ETH / 100);
        sl_u128_dec(num, whole);
        snprintf(amt, sizeof amt, "%s.%02u", num, (unsigned)frac);
        if (sl_buf_printf(b,
                          "# Generated by `sleuth gen world`: the incident of the generated world, in the format\n"
                          "# of data/incidents/incidents.yaml (docs/INCIDENTS.md).\nincidents:\n"
                          "  - id: %s\n    name: \"Generated world (%s, seed %llu)\"\n    date: \"%s\"\n"
                          "    victim: \"%s\"\n    chains: [%s]\n    stolen:\n      - {asset: %s, amount: \"%s\"}\n"
                          "    attack:\n      method: \"%s\"\n    laundering: \"%s\"\n"
                          "    tagpack: tags/incident.tagpack.yaml\n    sources: [\"sleuth gen world\"]\n",
                          w->incident, w->o.recipe, (unsigned long long)w->o.seed, date, w->dmm ? DMM[0] : BYBIT[0],
                          w->dmm ? "btc, ethereum, tron" : "ethereum", w->dmm ? "BTC" : "ETH", amt, w->dmm ? DMM[1] : BYBIT[1],
                          w->dmm ? DMM[2] : BYBIT[2]) != SL_OK)
            gen_fail(w, SL_ENOMEM, "out of memory");
    }
    finish(w, b, "incidents.yaml");
}
