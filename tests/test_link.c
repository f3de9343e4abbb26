/* test_link.c — `sleuth link`: what two address sets share, with the evidence.
 *
 * Ethereum: tests/data/link/bybit_phemex.jsonl (gen_bybit_phemex.py there: the real
 * addresses of the Bybit and Phemex thefts and of the address that commingled both, the
 * flows between them made up, in the JSON-RPC format): Phemex's attacker paid 120 ETH to
 * the commingling address 0x33d057... (tx ...c0de0001, 2025-01-23), which paid 5 ETH to
 * 0xe1e1... in the same block (...c0de0003); Bybit's theft receiver paid 500 ETH to a
 * laundering address (...c0de0004, 2025-02-21), which paid 300 ETH on to 0x33d057...
 * (...c0de0005) as the receiver paid 40 ETH (...c0de0006, 2025-02-22); 0x33d057... then
 * paid 450 ETH to 0xd1d1... (...c0de0007). Bitcoin: the real blocks 0-599, where block 170
 * holds the first payment between two people (Satoshi's 12cbQ... to Hal Finney's 1Q2TW...).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/link.h"

#define FIXL "tests/data/link/bybit_phemex.jsonl"
#define BYBIT "0x47666fab8bd0ac7003bce3f5c3585383f09486e2"
#define BYBIT_L "0x1542368a03ad1f03d96d51b414f4738961cf4443"
#define PHEMEX "0x5b34414e95a8b8d0b16a39baf5b97cec1d517e22"
#define MIX_EIP55 "0x33d057AF74779925c4B2e720A820387cB89F8F65"
#define OUT "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"
#define EARLY "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1"
#define TXH(n) "0x00000000000000000000000000000000000000000000000000000000c0de000" #n

static const char *eth_store(void)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest eth --quiet --store %s/s " FIXL, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return path_in(d, "s");
}

static const char *write_set(const char *name, const char *body)
{
    const char *p = path_in(temp_dir(), name);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs(body, f);
    fclose(f);
    return p;
}

static void assert_flow(const cJSON *f, const char *from, const char *to, const char *wei, const char *tx)
{
    cr_assert_str_eq(jstr(f, "chain"), "ethereum");
    cr_assert(!strcasecmp(jstr(f, "from"), from), "from %s", jstr(f, "from"));
    cr_assert(!strcasecmp(jstr(f, "to"), to), "to %s", jstr(f, "to"));
    cr_assert_str_eq(jstr(f, "amount"), wei);
    cr_assert_str_eq(jstr(f, "tx"), tx);
}

Test(link, bybit_phemex_commingling_counterparty)
{
    const char *s = eth_store();
    const char *a = write_set("bybit.txt", "# Bybit 2025-02-21\n" BYBIT "\nethereum," BYBIT_L "  # laundering\n");
    const char *b = write_set("phemex.txt", PHEMEX "\n");
    cJSON *j = sleuth_json("link --store %s --json @%s @%s", s, a, b);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "a"), "addresses"), 2);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "a"), "in_store"), 2);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "common_addresses")), 0);
    const cJSON *cp = cJSON_GetObjectItem(j, "common_counterparties");
    cr_assert_eq(cJSON_GetArraySize(cp), 1);
    const cJSON *c = cJSON_GetArrayItem(cp, 0);
    cr_assert_str_eq(jstr(c, "address"), MIX_EIP55);
    /* Bybit's side: its first member's payment to it; Phemex's: the attacker's 120 ETH */
    assert_flow(cJSON_GetObjectItem(c, "a_flow"), BYBIT, MIX_EIP55, "40000000000000000000", TXH(6));
    assert_flow(cJSON_GetObjectItem(c, "b_flow"), PHEMEX, MIX_EIP55, "120000000000000000000", TXH(1));
    cr_assert_eq(jint(cJSON_GetObjectItem(c, "b_flow"), "time"), 1737633611);
    /* no payment path joins the two thefts' own addresses */
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "paths")), 0);
    cJSON_Delete(j);

    run_result r = run_sleuth("link --store %s @%s @%s", s, a, b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "common counterparties: 1\n  " MIX_EIP55), "%s", r.out);
    for (char *l = r.out; *l;) {
        size_t n = strcspn(l, "\n");
        cr_assert_leq(n, 100, "line longer than 100 columns: %.*s", (int)n, l);
        l += n + (l[n] == '\n');
    }
    run_free(&r);
}

Test(link, common_address_and_paths)
{
    const char *s = eth_store();
    /* the commingling address in both sets, written differently: one common address, and
     * each side's payments into it are 1-payment paths */
    const char *a = write_set("a.txt", BYBIT "\n" MIX_EIP55 "\n");
    const char *b = write_set("b.txt", "ethereum 0x33D057AF74779925C4B2E720A820387CB89F8F65\n" PHEMEX "\n");
    cJSON *j = sleuth_json("link --store %s --json @%s @%s", s, a, b);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "common_addresses")), 1);
    const cJSON *paths = cJSON_GetObjectItem(j, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 2);
    const cJSON *p0 = cJSON_GetArrayItem(paths, 0), *p1 = cJSON_GetArrayItem(paths, 1);
    cr_assert_str_eq(jstr(p0, "direction"), "a_to_b");
    cr_assert_eq(jint(p0, "hops"), 1);
    assert_flow(cJSON_GetArrayItem(cJSON_GetObjectItem(p0, "flows"), 0), BYBIT, MIX_EIP55, "40000000000000000000",
                TXH(6));
    cr_assert_str_eq(jstr(p1, "direction"), "b_to_a");
    assert_flow(cJSON_GetArrayItem(cJSON_GetObjectItem(p1, "flows"), 0), PHEMEX, MIX_EIP55, "120000000000000000000",
                TXH(1));
    cJSON_Delete(j);

    /* two payments from Bybit's receiver to 0xd1d1...: through the commingling address,
     * in time order (the BFS finds the shortest) */
    j = sleuth_json("link --store %s --json " BYBIT " " OUT, s);
    paths = cJSON_GetObjectItem(j, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 1);
    p0 = cJSON_GetArrayItem(paths, 0);
    cr_assert_eq(jint(p0, "hops"), 2);
    assert_flow(cJSON_GetArrayItem(cJSON_GetObjectItem(p0, "flows"), 0), BYBIT, MIX_EIP55, "40000000000000000000",
                TXH(6));
    assert_flow(cJSON_GetArrayItem(cJSON_GetObjectItem(p0, "flows"), 1), MIX_EIP55, OUT, "450000000000000000000",
                TXH(7));
    cJSON_Delete(j);
    j = sleuth_json("link --store %s --json --max-hops 1 " BYBIT " " OUT, s);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "paths")), 0);
    cJSON_Delete(j);
    /* time never goes back: the commingling address paid 0xe1e1... 5 ETH in January, after
     * Phemex's payment in the same block, long before Bybit's money arrived in February */
    j = sleuth_json("link --store %s --json " BYBIT " " EARLY, s);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "paths")), 0);
    cJSON_Delete(j);
    j = sleuth_json("link --store %s --json " PHEMEX " " EARLY, s);
    paths = cJSON_GetObjectItem(j, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 1);
    assert_flow(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(paths, 0), "flows"), 1), MIX_EIP55, EARLY,
                "5000000000000000000", TXH(3));
    cJSON_Delete(j);
}

Test(link, bitcoin_block_170)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk0000*.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("link --store %s/s --json 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S "
                           "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", d);
    const cJSON *paths = cJSON_GetObjectItem(j, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 1);
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(paths, 0), "flows"), 0);
    cr_assert_str_eq(jstr(f, "tx"), "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16");
    cr_assert_str_eq(jstr(f, "amount"), "1000000000");
    cr_assert_eq(jint(f, "index"), 0);
    cr_assert_str_eq(jstr(f, "to"), "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3");
    cJSON_Delete(j);
}

/* Two addresses that a multi-input transaction of the real blocks joined (height 496:
 * tx 4d6edbeb..., cluster 276 of test_cluster.c): link names the cluster with the merge as
 * its evidence, and a cluster:ID set takes the cluster's members. */
Test(link, common_cluster_with_evidence)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("ingest btc --quiet --store %s/s " FIX "/consecutive/nbitcoin_blk0000*.dat", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cJSON *j = sleuth_json("link --store %s/s --json 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py 1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD", d);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "common_clusters")), 0, "no cluster build yet");
    cJSON_Delete(j);
    r = run_sleuth("cluster build --store %s/s --quiet", d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    j = sleuth_json("link --store %s/s --json 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py 1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD", d);
    const cJSON *cl = cJSON_GetObjectItem(j, "common_clusters");
    cr_assert_eq(cJSON_GetArraySize(cl), 1);
    const cJSON *c = cJSON_GetArrayItem(cl, 0);
    cr_assert_eq(jint(c, "cluster"), 276);
    cr_assert_eq(jint(c, "size"), 5);
    const cJSON *ev = cJSON_GetObjectItem(c, "evidence");
    cr_assert_eq(cJSON_GetArraySize(ev), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(ev, 0), "heuristic"), "multi-input");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(ev, 0), "tx"), "4d6edbeb62735d45ff1565385a8b0045f066055c9425e21540ea7a8060f08bf2");
    cJSON_Delete(j);
    j = sleuth_json("link --store %s/s --json cluster:276 1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD", d);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "a"), "addresses"), 5);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "common_addresses")), 1);
    cJSON_Delete(j);
    r = run_sleuth("link --store %s/s cluster:9999999 1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD", d);
    cr_assert_eq(r.status, 1, "not a cluster id: %s", r.err);
    run_free(&r);
}

Test(link, bad_sets)
{
    const char *s = eth_store();
    const char *bad = write_set("bad.txt", BYBIT "\n\n0x33d057af74779925c4b2e720a820387cb89f8f6\n");
    run_result r = run_sleuth("link --store %s @%s " PHEMEX, s, bad);
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, ":3"), "the line is named: %s", r.err);
    run_free(&r);
    r = run_sleuth("link --store %s @%s/none.txt " PHEMEX, s, temp_dir());
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, "none.txt"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("link --store %s " PHEMEX, s);
    cr_assert_eq(r.status, 2);
    run_free(&r);
    r = run_sleuth("link --store %s nosuch-incident " PHEMEX, s);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "'nosuch-incident' is not an incident, a cluster (cluster:ID) or an address"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("link --store %s --max-hops 9 " PHEMEX " " BYBIT, s);
    cr_assert_eq(r.status, 2);
    run_free(&r);
}

/* The @FILE line parser (sl_link_parse_line), case by case: what `sleuth link` reads from
 * each line of an address list. */
static void line_is(const char *text, bool has, const char *chain, const char *addr)
{
    char buf[512];
    const char *c = "unset", *a = "unset";
    snprintf(buf, sizeof buf, "%s", text);
    cr_assert_eq(sl_link_parse_line(buf, &c, &a), has, "'%s'", text);
    if (!has) return;
    if (chain) cr_assert(c && !strcmp(c, chain), "'%s': chain '%s', expected '%s'", text, c ? c : "(null)", chain);
    else cr_assert_null(c, "'%s': chain '%s', expected none", text, c);
    cr_assert_str_eq(a, addr, "'%s'", text);
    /* the fields lie in the line */
    cr_assert(a >= buf && a < buf + sizeof buf);
    cr_assert(!c || (c >= buf && c < a));
}

Test(link, parse_line)
{
    line_is("", false, NULL, NULL);
    line_is("\n", false, NULL, NULL);
    line_is("   \t\r\n", false, NULL, NULL);
    line_is("# a comment\n", false, NULL, NULL);
    line_is("   # indented comment, with, commas\n", false, NULL, NULL);
    line_is(BYBIT "\n", true, NULL, BYBIT);
    line_is("  " BYBIT "  \r\n", true, NULL, BYBIT);
    line_is(BYBIT "# no blank before the comment\n", true, NULL, BYBIT);
    line_is(BYBIT "  # bybit receiver\n", true, NULL, BYBIT);
    line_is("ethereum," BYBIT "\n", true, "ethereum", BYBIT);
    line_is("ethereum, " BYBIT "\r\n", true, "ethereum", BYBIT);
    line_is("ethereum\t" BYBIT "\n", true, "ethereum", BYBIT);
    line_is("ethereum ,, " BYBIT " # x\n", true, "ethereum", BYBIT);
    line_is("ethereum," BYBIT ",extra,fields\n", true, "ethereum", BYBIT);
    line_is("btc,12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", true, "btc", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S");
    line_is(BYBIT ",\n", true, NULL, BYBIT);          /* a trailing comma names no address */
    line_is(BYBIT " , \n", true, NULL, BYBIT);
    line_is("," BYBIT "\n", true, "", BYBIT);         /* an empty chain: the caller refuses it */
    line_is(", ,\n", true, NULL, "");                   /* separators only: an empty address */
    line_is("ethereum,#" BYBIT "\n", true, NULL, "ethereum");
    /* the line ends at its first CR: nothing after one is read as part of it (fuzz_link_line:
     * the old parser returned an empty address for ",\rb"; `link` refuses such lines) */
    line_is(BYBIT "\r" PHEMEX "\r", true, NULL, BYBIT);
    line_is("ethereum\r," BYBIT "\n", true, NULL, "ethereum");
    line_is(",\rb", true, NULL, "");
    line_is("\r" BYBIT "\n", false, NULL, NULL);
}

/* A CR inside a line (a file with old Mac line ends) or a NUL byte is a located error: the
 * old reader took the text before it and dropped the rest, so such a list gave its first
 * address only. tests/data/repro/fuzz_link_line_cr_inside_line.txt is fuzz_link_line's input. */
Test(link, cr_or_nul_inside_a_line_refused)
{
    const char *s = eth_store();
    const char *mac = write_set("mac.txt", PHEMEX "\r" BYBIT "\r");
    run_result r = run_sleuth("link --store %s @%s " BYBIT, s, mac);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "mac.txt:1: a carriage return"), "%s", r.err);
    run_free(&r);
    r = run_sleuth("link --store %s @tests/data/repro/fuzz_link_line_cr_inside_line.txt " BYBIT, s);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "fuzz_link_line_cr_inside_line.txt:1: a carriage return"), "%s", r.err);
    run_free(&r);
    const char *nul = path_in(temp_dir(), "nul.txt");
    r = run_sh("printf '%s\\n%s\\000%s\\n' > %s", PHEMEX, BYBIT, PHEMEX, nul);
    run_free(&r);
    r = run_sleuth("link --store %s @%s " BYBIT, s, nul);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "nul.txt:2: a NUL byte"), "%s", r.err);
    run_free(&r);
    /* CR LF line ends stay fine */
    const char *dos = write_set("dos.txt", "# list\r\n" PHEMEX "\r\nethereum," BYBIT "\r\n");
    cJSON *j = sleuth_json("link --store %s --json @%s " BYBIT, s, dos);
    cJSON_Delete(j);
}
