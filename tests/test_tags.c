/* test_tags.c — the tag store and its importers (issue 11, the tags part), through the
 * real `sleuth` binary: GraphSense TagPacks and ActorPacks (counts of the shipped packs,
 * header inheritance, duplicates counted once), malformed input (a located error, exit 1,
 * the store unchanged), `tags add`, `tags show --json`, the export -> import round trip,
 * the OFAC SDN advanced XML, the label CSVs, the incident library, and the wiring into
 * `sleuth trace --stop-at`. Fixtures: tests/data/tags (copies and slices of
 * ../shared/data/tags, with their licences; see tests/data/tags/README.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TD "tests/data/tags"
#define GS TD "/graphsense"
#define RONIN "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"

/* A fresh store path (the tag db is created by the first command), with no incident
 * library unless the test sets SLEUTH_DATA itself. */
static const char *fresh_store(void)
{
    setenv("SLEUTH_DATA", "/nonexistent", 1);
    return path_in(temp_dir(), "store");
}

static void import_ok(const char *store, const char *files)
{
    run_result r = run_sleuth("tags import --store %s %s", store, files);
    cr_assert_eq(r.status, 0, "import %s: %s", files, r.err);
    run_free(&r);
}

/* The tags of an address as `tags show --json` gives them (caller frees). */
static cJSON *show(const char *store, const char *addr)
{
    return sleuth_json("tags show --store %s --json %s", store, addr);
}

static int count_tags(const char *store, const char *addr)
{
    cJSON *j = show(store, addr);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "tags"));
    cJSON_Delete(j);
    return n;
}

Test(tags, tagpack_counts_and_inheritance)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("tags import --store %s " GS "/ronin_bridge.yaml " GS "/lazarus.yaml " GS
                              "/exchange-wallets-kucoin.yaml " GS "/tornado_cash.yaml " GS "/ofac.yaml",
                              st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* MANIFEST: ronin 6, lazarus 21, kucoin 59 (14 repeated: stored once, counted), tornado 39 (1 repeated),
     * ofac 572 (no confidence in the pack: taken as unknown, a warning each) */
    cr_assert(strstr(r.out, "ronin_bridge.yaml: tagpack, 6 tags, 0 actors, 0 duplicates"), "%s", r.out);
    cr_assert(strstr(r.out, "lazarus.yaml: tagpack, 21 tags"), "%s", r.out);
    cr_assert(strstr(r.out, "exchange-wallets-kucoin.yaml: tagpack, 45 tags, 0 actors, 14 duplicates"), "%s", r.out);
    cr_assert(strstr(r.out, "tornado_cash.yaml: tagpack, 38 tags, 0 actors, 1 duplicates"), "%s", r.out);
    cr_assert(strstr(r.out, "ofac.yaml: tagpack, 572 tags, 0 actors, 0 duplicates, 572 warnings"), "%s", r.out);
    run_free(&r);

    cJSON *j = show(st, RONIN), *t = cJSON_GetObjectItem(j, "tags");
    cr_assert_eq(cJSON_GetArraySize(t), 3);
    /* best first: the cluster definer of the Ronin pack, with the header's fields inherited */
    cJSON *b = cJSON_GetArrayItem(t, 0);
    cr_assert_str_eq(jstr(b, "label"), "Ronin bridge exploiter");
    cr_assert_str_eq(jstr(b, "abuse"), "service_hack");
    cr_assert_str_eq(jstr(b, "confidence"), "service_data");
    cr_assert_str_eq(jstr(b, "chain"), "ethereum");
    cr_assert_str_eq(jstr(b, "address"), "0x098b716b8aaf21512996dc57eb0615e2383e2f96");
    cr_assert_str_eq(jstr(b, "file"), "ronin_bridge.yaml");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(b, "is_cluster_definer")));
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(b, "context"), "description"), "original address");
    cJSON *l = cJSON_GetArrayItem(t, 1);
    cr_assert_str_eq(jstr(l, "actor"), "lazarusgroup");
    cr_assert_str_eq(jstr(l, "abuse"), "sanction");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "cluster")));
    cJSON_Delete(j);
    /* any case of the address finds it; a Bitcoin address too */
    cr_assert_eq(count_tags(st, "0x098b716b8aaf21512996dc57eb0615e2383e2f96"), 3);
    cr_assert_eq(count_tags(st, "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"), 2); /* lazarus.yaml and ofac.yaml */
    cr_assert_eq(count_tags(st, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"), 0);

    /* the actor pack names the actor in every tag that links it */
    import_ok(st, GS "/actors.slice.actorpack.yaml");
    j = show(st, RONIN);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 1), "actor_label"), "Lazarus Group");
    cJSON_Delete(j);

    /* importing a file again replaces what it brought */
    import_ok(st, GS "/ronin_bridge.yaml");
    cr_assert_eq(count_tags(st, RONIN), 3);
}

Test(tags, text_output_says_where_from)
{
    const char *st = fresh_store();
    import_ok(st, GS "/ronin_bridge.yaml " GS "/lazarus.yaml");
    run_result r = run_sleuth("tags show --store %s %s", st, RONIN);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Ronin bridge exploiter"));
    cr_assert(strstr(r.out, "from ronin_bridge.yaml"), "%s", r.out);
    cr_assert(strstr(r.out, "from lazarus.yaml"), "%s", r.out);
    for (char *p = r.out, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        cr_assert(nl, "unterminated line");
        cr_assert_leq(nl - p, 100, "line over 100 columns: %.*s", (int)(nl - p), p);
    }
    run_free(&r);
}

/* Every malformed file: exit 1, the file, line and field named, nothing imported (the
 * export of the store is what it was). */
Test(tags, malformed_yaml_located_and_nothing_imported)
{
    static const struct { const char *file, *where; } BAD[] = {
        {"bad_indent.yaml", "bad_indent.yaml:10: yaml:"},
        {"unknown_field.yaml", "unknown_field.yaml:11: colour: unknown field"},
        {"bad_confidence.yaml", "bad_confidence.yaml:9: confidence: 'pretty_sure'"},
        {"bad_eip55.yaml", "bad_eip55.yaml:9: address: '0x098B716B8Aaf21512996dC57EB0615e2383E2f97': bad EIP-55"},
        {"bad_base58.yaml", "bad_base58.yaml:9: address: '1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7Q': bad Base58Check"},
        {"bad_bech32.yaml", "bad_bech32.yaml:9: address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5': bad bech32"},
        {"both_subjects.yaml", "both_subjects.yaml:7: tx_hash: give address or tx_hash, not both"},
        {"missing_label.yaml", "missing_label.yaml:7: label: missing"},
    };
    const char *st = fresh_store();
    import_ok(st, GS "/lazarus.yaml");
    run_result before = run_sleuth("tags export --store %s", st), r0;
    cr_assert_eq(before.status, 0);
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        run_result r = run_sleuth("tags import --store %s " TD "/bad/%s", st, BAD[i].file);
        cr_assert_eq(r.status, 1, "%s: exit %d", BAD[i].file, r.status);
        cr_assert(strstr(r.err, BAD[i].where), "%s: %s", BAD[i].file, r.err);
        run_free(&r);
        /* the first tag of each file is valid: it must not be there */
        r = run_sleuth("tags export --store %s", st);
        cr_assert_str_eq(r.out, before.out, "%s changed the store", BAD[i].file);
        run_free(&r);
    }
    /* a 1 GB YAML file (sparse) is refused before libyaml reads it */
    const char *huge = path_in(temp_dir(), "huge.yaml");
    r0 = run_sh("printf 'title: x\\ncreator: y\\ntags:\\n' > %s && truncate -s 1G %s", huge, huge);
    run_free(&r0);
    r0 = run_sleuth("tags import --store %s %s", st, huge);
    cr_assert_eq(r0.status, 1);
    cr_assert(strstr(r0.err, "huge.yaml: yaml: larger than 256 MiB"), "%s", r0.err);
    run_free(&r0);
    /* JSON errors carry the location as fields */
    cJSON *j = NULL;
    run_result r = run_sleuth("tags import --json --store %s " TD "/bad/bad_confidence.yaml", st);
    cr_assert_eq(r.status, 1);
    cr_assert(j = cJSON_Parse(r.out), "%s", r.out);
    cr_assert(strstr(r.out, "\"line\":9") || strstr(r.out, "\"line\": 9"), "%s", r.out);
    cJSON_Delete(j);
    run_free(&r);
    run_free(&before);
}

Test(tags, strict_turns_warnings_into_errors)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("tags import --strict --store %s " GS "/usdt_blacklist.yaml", st);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "usdt_blacklist.yaml:11: category: 'black_list' is not a concept"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags import --store %s " GS "/usdt_blacklist.yaml", st);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "774 tags"), "%s", r.out);
    cr_assert(strstr(r.out, "774 warnings"), "%s", r.out);
    run_free(&r);
}

Test(tags, add_and_show)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("tags add --store %s 0x33d057af74779925c4b2e720a820387cb89f8f65 --label 'Bybit/Phemex "
                              "commingling' --category perpetrator --abuse money_laundering --source 'ZachXBT 2025-02-22'"
                              " --confidence forensic --actor lazarusgroup",
                              st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = show(st, "0x33D057AF74779925C4B2E720A820387CB89F8F65");
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0);
    cr_assert_str_eq(jstr(t, "label"), "Bybit/Phemex commingling");
    cr_assert_str_eq(jstr(t, "file"), "(added)");
    cr_assert_eq(cJSON_GetObjectItem(t, "confidence_level")->valueint, 50);
    cJSON_Delete(j);
    /* usage errors: a bad confidence, a bad checksum, a category outside the taxonomy */
    r = run_sleuth("tags add --store %s " RONIN " --label x --category exchange --source s --confidence sure", st);
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags add --store %s 0x098B716B8Aaf21512996dC57EB0615e2383E2f97 --label x --category exchange --source s", st);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "EIP-55"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags add --store %s " RONIN " --label x --category exchnage --source s", st);
    cr_assert_eq(r.status, 2);
    run_free(&r);
}

/* export -> import gives the same tags (all but the file they came from). */
Test(tags, export_round_trip)
{
    const char *a = fresh_store(), *b = path_in(temp_dir(), "store-b"), *pack = path_in(temp_dir(), "pack.yaml");
    import_ok(a, GS "/ronin_bridge.yaml " GS "/lazarus.yaml " GS "/tornado_cash.yaml " GS "/exchange-wallets-bitfinexcom.yaml");
    run_result r = run_sleuth("tags add --store %s 1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7P --label 'DMM exploiter: \"quoted\", "
                              "colon: yes' --category perpetrator --source 'rekt.news' --context '{\"incident\": "
                              "\"dmm-bitcoin-2024\", \"role\": \"exploiter\"}'",
                              a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags export --store %s > %s", a, pack);
    cr_assert_eq(r.status, 0);
    run_free(&r);
    import_ok(b, pack);
    r = run_sh("%s tags export --store %s | grep -v '^title\\|^creator\\|^description' > %s.a && "
               "%s tags export --store %s | grep -v '^title\\|^creator\\|^description' > %s.b && cmp %s.a %s.b",
               sleuth_bin(), a, pack, sleuth_bin(), b, pack, pack, pack);
    cr_assert_eq(r.status, 0, "exports differ: %s", r.err);
    run_free(&r);
    /* --source: the tags of one source only (Ronin's 6), still a pack that imports */
    const char *c = path_in(temp_dir(), "store-c"), *ronin = path_in(temp_dir(), "ronin.yaml");
    r = run_sleuth("tags export --store %s --source https://roninblockchain.substack.com/p/community-alert-ronin-validators"
                   " > %s && %s tags import --store %s %s", a, ronin, sleuth_bin(), c, ronin);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "tagpack, 6 tags"), "%s", r.out);
    run_free(&r);
    const char *addrs[] = {RONIN, "1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7P", "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *x = show(a, addrs[i]), *y = show(b, addrs[i]), *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(x, "tags")) cJSON_DeleteItemFromObject(t, "file"), cJSON_DeleteItemFromObject(t, "pack");
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(y, "tags")) cJSON_DeleteItemFromObject(t, "file"), cJSON_DeleteItemFromObject(t, "pack");
        cr_assert(cJSON_Compare(x, y, true), "%s differs after the round trip", addrs[i]);
        cJSON_Delete(x), cJSON_Delete(y);
    }
}

/* The OFAC SDN advanced XML (2025-11-19, bzip2): every Digital Currency Address, and the
 * distinct addresses per asset equal the per-asset lists of the same day. */
Test(tags, ofac_sdn_xml)
{
    static const char *const ASSETS[] = {"ARB", "BCH", "BNB", "BSC", "BSV", "BTG", "DASH", "ETC", "ETH", "LTC",
                                         "SOL", "TRX", "USDC", "USDT", "XBT", "XMR", "XRP", "XVG", "ZEC"};
    const char *st = fresh_store();
    run_result r = run_sleuth("tags import --store %s " TD "/ofac/sdn_advanced_2025-11-19.xml.bz2", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "ofac-sdn-xml, 747 tags"), "%s", r.out);
    for (size_t i = 0; i < sizeof ASSETS / sizeof *ASSETS; i++) {
        char want[64];
        run_result wc = run_sh("wc -l < " TD "/ofac/sanctioned_addresses_%s.txt", ASSETS[i]);
        snprintf(want, sizeof want, " %s %d", ASSETS[i], atoi(wc.out));
        cr_assert(strstr(r.out, want), "%s: want%s in %s", ASSETS[i], want, r.out);
        run_free(&wc);
    }
    run_free(&r);
    /* the Ronin exploiter is the Lazarus Group's SDN address */
    cJSON *j = show(st, RONIN), *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0);
    cr_assert_str_eq(jstr(t, "label"), "OFAC SDN: Lazarus Group");
    cr_assert_str_eq(jstr(t, "abuse"), "sanction");
    cr_assert_str_eq(jstr(t, "confidence"), "authority_data");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(t, "context"), "programs"), "DPRK3");
    cr_assert_str_eq(jstr(t, "lastmod"), "2025-11-19");
    cr_assert_str_eq(jstr(t, "actor"), "lazarusgroup");
    cJSON_Delete(j);
    /* a sanctioned mixer is a mixer to --stop-at (Sinbad, 2023-11-29) */
    j = show(st, "1JHdQHkBZiim1cb4hyUh2PbzEbbg6z2TrF"), t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0);
    cr_assert_str_eq(jstr(t, "label"), "OFAC SDN: Sinbad");
    cr_assert_str_eq(jstr(t, "category"), "mixing_service");
    cJSON_Delete(j);
}

Test(tags, ofac_truncated_imports_nothing)
{
    const char *st = fresh_store();
    import_ok(st, GS "/lazarus.yaml");
    run_result before = run_sleuth("tags export --store %s", st);
    const char *bad[] = {"sdn_truncated.xml.bz2", "sdn_truncated.xml"};
    for (size_t i = 0; i < 2; i++) {
        run_result r = run_sleuth("tags import --store %s " TD "/bad/%s", st, bad[i]);
        cr_assert_eq(r.status, 1, "%s", bad[i]);
        cr_assert(strstr(r.err, bad[i]) && strstr(r.err, ": xml: "), "%s", r.err);
        run_free(&r);
        r = run_sleuth("tags export --store %s", st);
        cr_assert_str_eq(r.out, before.out);
        run_free(&r);
    }
    run_free(&before);
}

/* The label CSVs: counts of the shipped files and slices (MANIFEST: attribution_index 1,486
 * rows, 7 of them repeated; the dawsbot slice holds the one row that is no address). */
Test(tags, label_csvs)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("tags import --store %s " TD "/csv/attribution_index.csv " TD
                              "/csv/service_labels_evm.head2000.csv " TD "/csv/accounts_by_label_2024-06-28.head3600.csv",
                              st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "csv:attribution_index, 1479 tags, 0 actors, 7 duplicates, 0 warnings"), "%s", r.out);
    cr_assert(strstr(r.out, "csv:etherscan_service_labels, 2000 tags"), "%s", r.out);
    cr_assert(strstr(r.out, "csv:dawsbot_eth_labels, 3599 tags, 0 actors, 0 duplicates, 1 warnings"), "%s", r.out);
    cr_assert(strstr(r.out, ":3539: address: 'genesis'"), "%s", r.out);
    run_free(&r);
    /* CSVs of other shapes, by their column names (MANIFEST: bybit 63 rows, routers 5,
     * delisted Tornado Cash 90); a CSV without addresses is refused */
    r = run_sleuth("tags import --store %s " TD "/csv/bybit_2025-02-21.csv " TD "/csv/thorchain_routers.csv " TD
                   "/csv/ofac_sdn_delisted_tornado_cash_as_of_2025-03-04.csv", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "bybit_2025-02-21.csv: csv:columns, 63 tags, 0 actors, 0 duplicates, 0 warnings"), "%s", r.out);
    cr_assert(strstr(r.out, "thorchain_routers.csv: csv:columns, 5 tags, 0 actors, 0 duplicates, 0 warnings"), "%s", r.out);
    cr_assert(strstr(r.out, "csv:ofac_sdn, 90 tags"), "%s", r.out);
    run_free(&r);
    r = run_sleuth("tags import --store %s " TD "/csv/mixer_event_signatures.csv", st);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "mixer_event_signatures.csv:1: csv: not a list of tags"), "%s", r.err);
    run_free(&r);
    cJSON *x = show(st, "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2");
    cJSON *xt;
    bool theft = false;
    cJSON_ArrayForEach(xt, cJSON_GetObjectItem(x, "tags"))
        theft |= !strcmp(jstr(xt, "file"), "bybit_2025-02-21.csv") && !strcmp(jstr(xt, "category"), "perpetrator");
    cr_assert(theft);
    cJSON_Delete(x);
    /* Etherscan-family JSON label files (chain from the name): MANIFEST optimism 546 keys, 2 no address */
    r = run_sleuth("tags import --store %s " TD "/json/optimism_combinedAllLabels.json", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "json:etherscan_labels, 544 tags, 0 actors, 0 duplicates, 2 warnings"), "%s", r.out);
    run_free(&r);
    /* the commingling address of Bybit and Phemex, mapped onto the taxonomy */
    cJSON *j = show(st, "0x33d057af74779925c4b2e720a820387cb89f8f65"), *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0);
    cr_assert(t);
    cr_assert_str_eq(jstr(t, "category"), "perpetrator");
    cJSON_Delete(j);
}

Test(tags, malformed_csv)
{
    const char *st = fresh_store(), *big = path_in(temp_dir(), "long-line.csv");
    import_ok(st, GS "/lazarus.yaml");
    run_result before = run_sleuth("tags export --store %s", st), r;
    /* a 1 GB line (a sparse file: no disk used; the cap is 1 MiB): refused at the cap,
     * never read whole, so it takes no time and no memory */
    r = run_sh("head -n 3 " TD "/csv/attribution_index.csv > %s && truncate -s 1G %s", big, big);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    const char *bad[][2] = {{TD "/bad/attribution_bad_checksum.csv", "attribution_bad_checksum.csv:6: address: "},
                            {TD "/bad/attribution_unterminated.csv", "attribution_unterminated.csv:4: csv: unterminated"},
                            {big, "long-line.csv:4: csv: line longer than 1048576 bytes"}};
    for (size_t i = 0; i < 3; i++) {
        r = run_sleuth("tags import --store %s %s", st, bad[i][0]);
        cr_assert_eq(r.status, 1, "%s", bad[i][0]);
        cr_assert(strstr(r.err, bad[i][1]), "%s", r.err);
        run_free(&r);
        r = run_sleuth("tags export --store %s", st);
        cr_assert_str_eq(r.out, before.out);
        run_free(&r);
    }
    run_free(&before);
}

/* The incident library: a new store's tag db gets data/incidents/ *.tagpack.yaml
 * ($SLEUTH_DATA: the test copy in tests/data/tags/data); `sleuth incidents` lists
 * incidents.yaml, `sleuth incidents NAME` shows one (id or name in any case) with its
 * addresses; DMM's exploiter shows the incident in `tags show`. */
Test(tags, incident_library)
{
    const char *st = path_in(temp_dir(), "store");
    setenv("SLEUTH_DATA", TD "/data", 1);
    /* a store that does not exist is an error, not a new store */
    run_result r = run_sleuth("incidents --store %s dmm-bitcoin-2024", st);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no such store"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags show --store %s " RONIN, st);
    cr_assert_eq(r.status, 1);
    run_free(&r);
    r = run_sh("mkdir %s", st);
    run_free(&r);
    r = run_sleuth("incidents --store %s", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "bybit-2025") && strstr(r.out, "dmm-bitcoin-2024"), "%s", r.out);
    run_free(&r);
    cJSON *j = sleuth_json("incidents --store %s --json", st);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "incidents")), 2);
    cJSON_Delete(j);

    j = sleuth_json("incidents --store %s 'DMM Bitcoin' --json", st);
    cJSON *in = cJSON_GetObjectItem(j, "incident");
    cr_assert_str_eq(jstr(in, "id"), "dmm-bitcoin-2024");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(in, "attribution"), "confidence"), "high");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(in, "addresses")), 12); /* exploiter, 10 split, theft tx */
    cJSON_Delete(j);

    j = show(st, "1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7P");
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0);
    cr_assert_str_eq(jstr(t, "incident"), "dmm-bitcoin-2024");
    cr_assert_str_eq(jstr(t, "role"), "exploiter");
    cr_assert_str_eq(jstr(t, "file"), "dmm-bitcoin-2024.tagpack.yaml");
    cJSON_Delete(j);

    r = run_sleuth("incidents --store %s bybit-2025", st);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "0x47666fab8bd0ac7003bce3f5c3585383f09486e2"), "%s", r.out);
    for (char *p = r.out, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        cr_assert(nl);
        cr_assert_leq(nl - p, 100, "%.*s", (int)(nl - p), p);
    }
    run_free(&r);
    r = run_sleuth("incidents --store %s no-such-theft", st);
    cr_assert_eq(r.status, 1);
    run_free(&r);
}

#define TX170 "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
#define DEPOSIT "1BBz9Z15YpELQ4QP5sEKb1SwxkcmPb5TMs" /* received 11 of TX170:1's 40 BTC, 5 hops on */

/* The bundled real blocks 0-599 with one address tagged as an exchange deposit: a trace
 * with --stop-at exchange ends there (status "tagged", the tag in the endpoint), and
 * conservation still holds; `address` and `tx` show tags on every address. */
Test(tags, trace_stops_at_tagged_exchange)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("ingest btc --store %s " FIX "/consecutive/*.dat", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    /* without tags: the money is held there */
    cJSON *j = sleuth_json("trace --store %s --tx " TX170 ":1 --stop-at exchange --json", st), *e;
    bool seen = false;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "endpoints")) if (!strcmp(jstr(e, "address"), DEPOSIT)) {
        cr_assert_str_eq(jstr(e, "status"), "held");
        seen = true;
    }
    cr_assert(seen);
    cJSON_Delete(j);

    r = run_sleuth("tags add --store %s " DEPOSIT " --label 'Test exchange deposit' --category exchange --source 'test "
                   "fixture' --actor testex",
                   st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("trace --store %s --tx " TX170 ":1 --stop-at exchange,mixer --json", st);
    cJSON *c = cJSON_GetObjectItem(j, "conservation");
    cr_assert_eq(jint(c, "source"), 4000000000u);
    cr_assert_eq(jint(c, "endpoints"), 1100000000u);
    cr_assert_eq(jint(c, "held"), 2900000000u);
    cr_assert_eq(jint(c, "fees") + jint(c, "dropped"), 0);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "balanced")));
    seen = false;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "endpoints")) {
        if (strcmp(jstr(e, "address"), DEPOSIT)) { cr_assert_str_neq(jstr(e, "status"), "tagged"); continue; }
        cr_assert_str_eq(jstr(e, "status"), "tagged");
        cr_assert_eq(jint(e, "amount"), 1100000000u);
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "tags"), 0), "category"), "exchange");
        cr_assert(strstr(jstr(e, "name"), "Test exchange deposit"));
        seen = true;
    }
    cr_assert(seen);
    cJSON_Delete(j);
    /* the deposit is an endpoint, not a pass-through: a category it does not have changes nothing */
    j = sleuth_json("trace --store %s --tx " TX170 ":1 --stop-at mixer --json", st);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "endpoints"), 0);
    cJSON_Delete(j);

    /* address and tx: "tags" on every address, "cluster" null; text ends with a tags section */
    j = sleuth_json("address --store %s " DEPOSIT " --json", st);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tags"), 0), "label"), "Test exchange deposit");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "cluster")));
    cJSON_Delete(j);
    j = sleuth_json("tx --store %s " TX170 " --json", st);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "outputs")) cr_assert(cJSON_IsArray(cJSON_GetObjectItem(e, "tags")));
    cJSON_Delete(j);
    r = run_sleuth("address --store %s " DEPOSIT, st);
    cr_assert(strstr(r.out, "tags (from the tag store") && strstr(r.out, "from (added)"), "%s", r.out);
    run_free(&r);
    /* a transaction's own tags: tx_tags */
    r = run_sleuth("tags add --store %s " TX170 " --label 'First person-to-person payment' --category user "
                   "--source 'test fixture'", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("tx --store %s " TX170 " --json", st);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tx_tags"), 0), "label"), "First person-to-person payment");
    cJSON_Delete(j);
}

/* `safe verify --store` screens the recipients through the tag store: Bybit's malicious
 * implementation is an address of the incident library. */
Test(tags, safe_verify_screens_recipients)
{
    const char *st = path_in(temp_dir(), "store");
    setenv("SLEUTH_DATA", TD "/data", 1);
    run_result r = run_sh("mkdir %s", st);
    run_free(&r);
    r = run_sleuth("incidents --store %s bybit-2025", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("safe verify --store %s tests/data/safe/bybit_safe_tx_nonce71.json", st);
    cr_assert(strstr(r.out, "[tagged-recipient]") && strstr(r.out, "tagged STOLEN FUNDS: Bybit 2025"), "%s", r.out);
    run_free(&r);
}

/* The library's helpers, on hand-made tags. */
#include "sleuth/tags.h"

Test(tags, best_conflict_and_networks)
{
    sl_tag a = {.label = "Binance 14", .category = "exchange", .actor = "binance", .level = 50};
    sl_tag b = {.label = "Huobi 3", .category = "exchange", .actor = "huobi", .level = 20};
    sl_tag c = {.label = "Binance 15", .category = "exchange", .actor = "binance", .level = 100};
    sl_tag d = {.label = "Bybit exploiter", .category = "perpetrator", .abuse = "service_hack", .level = 50,
                .is_cluster_definer = true};
    sl_tag m = {.label = "Tornado", .category = "mixing_service", .concepts = "[\"defi\"]", .level = 60};
    sl_tag v[] = {a, b, c};
    cr_assert_eq(sl_tags_best(v, 3), &v[2]);
    sl_tag w[] = {a, d, c};
    cr_assert_eq(sl_tags_best(w, 3), &w[1], "a cluster definer wins over a higher level");
    cr_assert_null(sl_tags_best(v, 0));
    cr_assert(sl_tags_conflict(&a, &b), "two different exchanges");
    cr_assert(!sl_tags_conflict(&a, &c), "one exchange");
    cr_assert(sl_tags_conflict(&a, &d) && sl_tags_conflict(&d, &b), "an exchange and a thief");
    cr_assert(!sl_tags_conflict(&d, &m));
    cr_assert(sl_tag_is(&m, "mixer") && sl_tag_is(&m, "defi") && !sl_tag_is(&m, "exchange"));
    cr_assert(sl_tag_is(&d, "thief") && sl_tag_is(&d, "service_hack"));

    static const char *const NET[][3] = {
        {"BTC", "1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7P", "btc"}, {"XBT", "x", "btc"},     {"LTC", "x", "btc"},
        {"ETH", "0x", "ethereum"},  {"MATIC", "0x", "polygon"}, {"POLYGON", "0x", "polygon"}, {"BEP20", "0x", "bsc"},
        {"BSC", "0x", "bsc"},       {"BNB", "bnb1", "bnb"},     {"TRX", "T", "tron"},     {"AVAX", "0x", "avalanche"},
        {"ARB", "0x", "arbitrum"},  {"USDT", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "ethereum"},
        {"USDT", "TX8wsg1sbDJVN9xBBeYLYzZTCgjEWTfRqZ", "tron"}, {"XMR", "4", "xmr"}, {"BCH", "1", "bch"},
    };
    for (size_t i = 0; i < sizeof NET / sizeof *NET; i++) {
        char out[32];
        sl_tags_network(out, NET[i][0], NET[i][1]);
        cr_assert_str_eq(out, NET[i][2], "%s", NET[i][0]);
    }
    char ch[32], ad[128];
    cr_assert_eq(sl_tags_key(ch, ad, NULL, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", NULL), 0);
    cr_assert_str_eq(ch, "ethereum");
    cr_assert_str_eq(ad, "0x098b716b8aaf21512996dc57eb0615e2383e2f96");
}

/* The same on an account chain (the hand-checked chain): the tagged receiver of the
 * source transaction is where the trace ends, and tx --json tags both ends of each flow. */
Test(tags, trace_stops_at_tagged_exchange_account_chain)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("ingest eth --store %s tests/data/eth/trace/hand_chain.jsonl", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags add --store %s 0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1 --label 'Hand exchange' --category exchange "
                   "--source 'test fixture'", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    const char *tx = "0x000000000000000000000000000000000000000000000000000000000000f002";
    cJSON *j = sleuth_json("trace --store %s --tx %s --stop-at exchange --json", st, tx), *e;
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "conservation"), "endpoints"), 100);
    e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "endpoints"), 0);
    cr_assert_str_eq(jstr(e, "status"), "tagged");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "tags"), 0), "label"), "Hand exchange");
    cJSON_Delete(j);
    j = sleuth_json("tx --store %s %s --json", st, tx);
    e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "flows"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "to_tags")), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "from_tags")), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "to_tags")), 1);
    cJSON_Delete(j);
}

/* `sleuth link` takes incidents by id or name: their addresses come from the tag store
 * (the repository's library, data/incidents, imported when the ingest made the store).
 * On the Bybit/Phemex fixture of test_link.c the two thefts share the commingling
 * address, each through its own incident's tag. */
Test(tags, link_by_incident_name)
{
    const char *d = temp_dir();
    unsetenv("SLEUTH_DATA");
    run_result r = run_sleuth("ingest eth --quiet --store %s/s tests/data/link/bybit_phemex.jsonl", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("link --store %s/s --json bybit-2025 Phemex", d);
    char *txt = cJSON_PrintUnformatted(j);
    cr_assert(strstr(txt, "0x33d057af74779925c4b2e720a820387cb89f8f65") || strstr(txt, "0x33d057AF74779925c4B2e720A820387cB89F8F65"),
              "%s", txt);
    cr_assert(strstr(txt, "tag: Bybit 2025 commingling") && strstr(txt, "tag: Phemex 2025 commingling"), "%s", txt);
    cJSON_free(txt);
    cJSON_Delete(j);
}

/* The clustering sees the tag store: on the bundled blocks, two different exchanges in
 * cluster 276 make the tag-conflict guard stop the merge (logged, not applied), and the
 * cluster's tag is its cluster-defining member's (GraphSense's rule). */
Test(tags, cluster_guard_and_tag)
{
    const char *st = fresh_store();
    run_result r = run_sleuth("ingest btc --quiet --store %s " FIX "/consecutive/*.dat", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("tags add --store %s 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py --label 'Exchange A hot' --category exchange "
                   "--actor exa --source test && %s tags add --store %s 1LfjLrBDYyPbvGMiD9jURxyAupdYujsBdK --label "
                   "'Exchange B hot' --category exchange --actor exb --source test && %s tags add --store %s "
                   "1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD --label 'Exchange A deposit' --category exchange --actor exa "
                   "--source test --cluster-definer",
                   st, sleuth_bin(), st, sleuth_bin(), st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("cluster build --store %s --json", st);
    cr_assert_eq(jint(j, "guard_events"), 1);
    cr_assert_eq(jint(j, "guard_skipped"), 1);
    cJSON_Delete(j);
    j = sleuth_json("cluster show --store %s 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py --json", st);
    cr_assert_eq(jint(j, "size"), 4);
    cJSON *t = cJSON_GetObjectItem(j, "tag"), *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "guard"), 0);
    cr_assert_str_eq(jstr(t, "label"), "Exchange A deposit");
    cr_assert(strstr(jstr(t, "source"), "(added)"));
    cr_assert_str_eq(jstr(g, "reason"), "tag-conflict");
    cJSON_Delete(j);
}
