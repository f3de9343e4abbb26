/* test_attrib.c — the knowledge layer where addresses are printed: `sleuth address` and
 * `sleuth tx` carry, for every address, its tags and its cluster ({id, address, size, tag})
 * once `sleuth cluster build` ran, the cluster's tag chosen by GraphSense's rule (a tag
 * marked as a cluster definer on any member names the cluster). Real blocks 0-599: the
 * multi-input tx 4d6edbeb... (height 496) joined five addresses into cluster 276.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"

#define MEMBER "1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py"   /* the cluster's id address (276) */
#define OTHER "1ELmSkQWnqgbBZNzxAZHts3MEYCngqRBeD"    /* another member */
#define COINBASE_TX "c3f0bb699bcc8a4e0716de45aef74c40aabeb80f7f00b3bdb45e115ee6f5400f" /* pays MEMBER */

static const char *store(void)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk0000*.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return path_in(d, "s");
}

Test(attrib, address_and_tx_show_the_cluster_and_its_tag)
{
    const char *s = store();
    cJSON *j = sleuth_json("address --store %s --json " MEMBER, s);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "cluster")), "no build: null");
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "tags")));
    cJSON_Delete(j);

    run_result r = run_sleuth("cluster build --store %s --quiet", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("address --store %s --json " MEMBER, s);
    const cJSON *c = cJSON_GetObjectItem(j, "cluster");
    cr_assert_eq(jint(c, "id"), 276);
    cr_assert_eq(jint(c, "size"), 5);
    cr_assert_str_eq(jstr(c, "address"), MEMBER);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c, "tag")), "no tags yet");
    cJSON_Delete(j);

    /* a definer tag on another member names the whole cluster */
    r = run_sleuth("tags add --store %s " OTHER " --label 'Test Exchange' --category exchange --source 'a test' "
                   "--cluster-definer", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("tx --store %s --json " COINBASE_TX, s);
    const cJSON *out0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outputs"), 0);
    cr_assert_str_eq(jstr(out0, "address"), MEMBER);
    c = cJSON_GetObjectItem(out0, "cluster");
    cr_assert_eq(jint(c, "id"), 276);
    const cJSON *tg = cJSON_GetObjectItem(c, "tag");
    cr_assert_str_eq(jstr(tg, "label"), "Test Exchange");
    cr_assert_str_eq(jstr(tg, "category"), "exchange");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(tg, "is_cluster_definer")));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(out0, "tags")), 0, "the tag is the other member's");
    cJSON_Delete(j);

    r = run_sleuth("address --store %s " MEMBER, s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "cluster 276 (" MEMBER "): 5 addresses"), "%s", r.out);
    cr_assert(strstr(r.out, "tag: Test Exchange (exchange)"), "%s", r.out);
    run_free(&r);

    /* --stop-at through the cluster: MEMBER has no tag of its own, but the definer tag of
     * its cluster names it an exchange's, so the trace of the coinbase that paid it ends
     * there (status tagged, named by its cluster), 50 BTC conserved */
    j = sleuth_json("trace --store %s --json --stop-at exchange --tx " COINBASE_TX ":0", s);
    const cJSON *e1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "endpoints"), 0);
    cr_assert_str_eq(jstr(e1, "address"), MEMBER);
    cr_assert_str_eq(jstr(e1, "status"), "tagged");
    cr_assert_str_eq(jstr(e1, "name"), "Test Exchange [exchange; by its cluster]");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e1, "tags")), 0);
    cr_assert_eq(jint(e1, "amount"), 5000000000);
    cJSON_Delete(j);

    /* a trace endpoint carries its tags and its cluster: the member tagged as a deposit
     * address (not a definer) ends a --stop-at exchange trace, and its cluster is still
     * named by the definer tag of the other member */
    r = run_sleuth("tags add --store %s " MEMBER " --label 'Test deposit' --category exchange --source 'a test'", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("trace --store %s --json --stop-at exchange --tx " COINBASE_TX ":0", s);
    const cJSON *ends = cJSON_GetObjectItem(j, "endpoints");
    cr_assert_eq(cJSON_GetArraySize(ends), 1);
    const cJSON *e0 = cJSON_GetArrayItem(ends, 0);
    cr_assert_str_eq(jstr(e0, "address"), MEMBER);
    cr_assert_str_eq(jstr(e0, "status"), "tagged");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(e0, "tags"), 0), "label"), "Test deposit");
    c = cJSON_GetObjectItem(e0, "cluster");
    cr_assert_eq(jint(c, "id"), 276);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(c, "tag"), "label"), "Test Exchange");
    cJSON_Delete(j);
}

/* Account chains: the deposit fixture's exchange (hot wallet H1 swept into by D1, D2, D3:
 * tests/test_cluster_acct.c) is one cluster of the Ethereum chain once built; a definer tag
 * on the hot wallet names it on every member, and a link from the customer C1 to the
 * cluster (cluster:ethereum:ID) finds C1's 1 ETH payment to D1 (tx ...d001). */
#define DEP_FIX "tests/data/deposit/chain.jsonl"
#define H1 "0xA1a1a1a1A1A1a1a1a1A1a1A1a1a1a1A1A1A1A100"
#define D1 "0xD1D1D1D1D1d1D1d1D1D1d1d1d1D1d1D1D1D1d100"
#define C1 "0xC1C1C1C1c1C1c1C1c1c1C1C1C1c1c1C1c1C1c100"

Test(attrib, account_chain_cluster_on_address_and_in_link)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/s " DEP_FIX, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("cluster build --quiet --store %s/s && %s tags add --store %s/s " H1
                   " --label 'Test CEX hot wallet' --category exchange --source test --cluster-definer",
                   d, sleuth_bin(), d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("address --store %s/s --json " D1, d);
    const cJSON *c = cJSON_GetObjectItem(j, "cluster");
    cr_assert_eq(jint(c, "size"), 4);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(c, "tag"), "label"), "Test CEX hot wallet");
    uint64_t id = jint(c, "id");
    cJSON_Delete(j);
    j = sleuth_json("address --store %s/s --json " C1, d);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cluster"), "tag")),
              "a customer is not in the exchange's cluster");
    cJSON_Delete(j);
    j = sleuth_json("link --store %s/s --json cluster:ethereum:%llu " C1, d, (unsigned long long)id);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "a"), "addresses"), 4);
    const cJSON *paths = cJSON_GetObjectItem(j, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 1);
    const cJSON *p0 = cJSON_GetArrayItem(paths, 0);
    cr_assert_str_eq(jstr(p0, "direction"), "b_to_a");
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(p0, "flows"), 0);
    cr_assert_str_eq(jstr(f, "to"), D1);
    cr_assert_str_eq(jstr(f, "tx"), "0x000000000000000000000000000000000000000000000000000000000000d001");
    cJSON_Delete(j);
}
