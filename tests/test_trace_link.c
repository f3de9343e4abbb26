/* test_trace_link.c — one engine for every chain, through `sleuth trace`: a trace that
 * crosses declared links (--link) from a Bitcoin chain into an Ethereum chain and back,
 * every amount on both sides derived by hand below; link files that name nothing in the
 * store; and one store holding Bitcoin, Ethereum and Tron traced from each chain with one
 * command shape, whose --json documents have the same keys everywhere.
 *
 * One store holds a regtest chain built here (values in satoshi; tags name the p2pkh
 * owners) and the hand-checked Ethereum chain of test_trace_acct.c (wei):
 *   bitcoin  block 0  C0: coinbase -> A 100 (the source, C0:0)
 *            block 1  C1: coinbase -> B 50
 *            block 2  T1: [C0:0 100, C1:0 50] -> D 90, E 50; fee 10
 *            block 3  T2: [T1:1 50] -> F 20, G 29; fee 1
 *            block 4  C4: coinbase -> V 60 (a swap service's vault)
 *            block 5  T3: [C4:0 60] -> H 40, V 18; fee 2
 *            block 6  T4: [T3:0 40] -> J 30, K 9; fee 1
 *   ethereum f001 X -> A 50, f002 S -> A 100, f003 A -> D' 90, f004 A -> E' 40, f005 E' -> B' 30
 * Declared links (the analyst's assertion):
 *   line 2  bitcoin T1 -> D (90 sat) left and arrived as ethereum f002 -> A (100 wei)
 *   line 3  ethereum f005 -> B' (30 wei) left and arrived as bitcoin T3 -> H (40 sat)
 *
 * Forward from C0:0, haircut:
 *   bitcoin  T1: 100 over [90, 50, fee 10] of 150: D 60, E 33, fee 7. D's payment is line 2:
 *            its 60 cross (linked_out 60). E 33 -> T2: F 13, G 19, fee 1.
 *   ethereum 60 sat arrive as floor(60 * 100 / 90) = 66 wei at f002 (linked_in 66). A held 50
 *            clean: f003 carries floor(90 * 66 / 150) = 39 to D' (A: 60 left, 27 tainted),
 *            f004 floor(40 * 27 / 60) = 18 to E' (A keeps 9). E': f005 carries
 *            floor(30 * 18 / 40) = 13, which is line 3: it crosses (linked_out 13); E' keeps 5.
 *            66 = held 39 + 9 + 5 + linked_out 13.
 *   bitcoin  13 wei arrive as floor(13 * 40 / 30) = 17 sat at T3:0 (H), spent by T4: 17 over
 *            [30, 9, fee 1] of 40: J floor(17 * 30 / 40) = 12, K floor(17 * 39 / 40) - 12 = 4,
 *            fee 1. 100 + linked_in 17 = held 13 + 19 + 12 + 4 + fees 7 + 1 + 1 + linked_out 60.
 *   Three passes: the second brings line 2's crossing, the third line 3's.
 * Backward from T4:0 (J, 30 sat), haircut:
 *   bitcoin  T4's one input is T3:0, the arriving payment of line 3: the 30 go back across
 *            (linked_out 30) as floor(30 * 30 / 40) = 22 wei demanded of f005.
 *   ethereum f005 came from E''s one inflow f004: 22 of it. A paid f004 (40) out of f001 and
 *            f002 (haircut replay: f003 took 30 and 60, leaving 20 and 40; f004 = 13 + 27):
 *            floor(22 * 13 / 40) = 7 from f001, 15 from f002. f001's sender X has no earlier
 *            history: 7 unknown-origin at X. f002 is line 2's arriving payment: 15 go back
 *            (linked_out 15). 22 = 7 + 15.
 *   bitcoin  15 wei come back as floor(15 * 90 / 100) = 13 sat demanded of T1:0: T1 draws
 *            floor(13 * 100 / 150) = 8 from C0 and 5 from C1, both newly minted.
 *            30 + linked_in 13 = coinbase 8 + 5 + linked_out 30.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/btc.h"

enum { D = 0xd1, F = 0xf1, G = 0x91, V = 0x71, H = 0x81, J = 0x31, K = 0x41 }; /* rt_hand_graph's and these */

#define ETH_FIX "tests/data/eth/trace/hand_chain.jsonl"
#define F002 "0x000000000000000000000000000000000000000000000000000000000000f002"
#define F005 "0x000000000000000000000000000000000000000000000000000000000000f005"
#define ETH_A "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ETH_B "0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"

static char ST[200], DIR_[200], LINKS[300];
static char C0[65], T1[65], T3[65], T4[65];

static void build(void)
{
    static rt_chain c;
    static rt_tx tx[6], c4, c5, c6, t3, t4;
    rt_out o, z = {0x01, 0};
    const char *d = temp_dir();
    run_result r;
    FILE *f;
    memset(&c, 0, sizeof c);
    rt_hand_graph(&c, tx); /* blocks 0..3: C0, C1, T1, T2 */
    o = (rt_out){V, 60}, rt_coinbase(&c4, 4, &o, 1), rt_block(&c, (rt_tx *[]){&c4}, 1);
    rt_spend(&t3, (rt_in[]){{c4.txid, 0}}, 1, (rt_out[]){{H, 40}, {V, 18}}, 2);
    rt_coinbase(&c5, 5, &z, 1), rt_block(&c, (rt_tx *[]){&c5, &t3}, 2);
    rt_spend(&t4, (rt_in[]){{t3.txid, 0}}, 1, (rt_out[]){{J, 30}, {K, 9}}, 2);
    rt_coinbase(&c6, 6, &z, 1), rt_block(&c, (rt_tx *[]){&c6, &t4}, 2);
    snprintf(DIR_, sizeof DIR_, "%s", d);
    snprintf(ST, sizeof ST, "%s/s", d);
    r = run_sleuth("ingest btc --network regtest --quiet --store %s %s", ST, rt_write(&c, d));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s " ETH_FIX, ST);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    sl_hash_hex(C0, &tx[0].txid), sl_hash_hex(T1, &tx[4].txid), sl_hash_hex(T3, &t3.txid), sl_hash_hex(T4, &t4.txid);
    snprintf(LINKS, sizeof LINKS, "%s/links.csv", d);
    f = fopen(LINKS, "w");
    cr_assert_not_null(f);
    fprintf(f, "from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note\n");
    fprintf(f, "bitcoin,%s,%s,90,ethereum," F002 "," ETH_A ",100,\"bridge out, per the bridge's own record\"\n", T1, rt_addr(D));
    fprintf(f, "ethereum," F005 "," ETH_B ",30,bitcoin,%s,%s,40,swap back\n", T3, rt_addr(H));
    fclose(f);
    free(c.blk);
}

TestSuite(trace_link, .init = build);

typedef struct tot { uint64_t source, absorbed, linked_in, endpoints, held, fees, dropped, linked_out; } tot;

/* The conservation line of one chain's asset, checked to balance. */
static tot totals(const cJSON *j, const char *chain)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "assets"))
        if (!strcmp(jstr(a, "chain"), chain)) {
            tot t = {jint(a, "source"), jint(a, "absorbed"), jint(a, "linked_in"), jint(a, "endpoints"),
                     jint(a, "held"),   jint(a, "fees"),     jint(a, "dropped"),   jint(a, "linked_out")};
            cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "balanced")), "%s unbalanced", chain);
            cr_assert_eq(t.source + t.absorbed + t.linked_in, t.endpoints + t.held + t.fees + t.dropped + t.linked_out);
            return t;
        }
    cr_assert_fail("no conservation line for %s", chain);
    return (tot){0};
}

/* The amount ended at address (any chain) with status. */
static uint64_t at(const cJSON *j, const char *addr, const char *status)
{
    const cJSON *e;
    uint64_t sum = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "endpoints")) {
        const cJSON *a = cJSON_GetObjectItem(e, "address");
        if (cJSON_IsString(a) && !strcasecmp(a->valuestring, addr) && !strcmp(jstr(e, "status"), status))
            sum += jint(e, "amount");
    }
    return sum;
}

/* The flow of a crossing declared on CSV line `line`. */
static const cJSON *crossing(const cJSON *j, uint64_t line)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "flows")) {
        const cJSON *l = cJSON_GetObjectItem(f, "link");
        if (cJSON_IsObject(l) && jint(l, "line") == line) return f;
    }
    cr_assert_fail("no crossing of line %llu", (unsigned long long)line);
    return NULL;
}

Test(trace_link, forward_into_ethereum_and_back)
{
    cJSON *j = sleuth_json("trace --store %s --tx %s:0 --link %s --json", ST, C0, LINKS);
    const cJSON *x, *l;
    tot b = totals(j, "bitcoin"), e = totals(j, "ethereum");
    cr_assert_eq(jint(j, "passes"), 3);
    /* bitcoin: the source, what crossed, what came back */
    cr_assert_eq(b.source, 100);
    cr_assert_eq(b.linked_out, 60);
    cr_assert_eq(b.linked_in, 17);
    cr_assert_eq(b.fees, 9);
    cr_assert_eq(at(j, rt_addr(F), "held"), 13);
    cr_assert_eq(at(j, rt_addr(G), "held"), 19);
    cr_assert_eq(at(j, rt_addr(J), "held"), 12);
    cr_assert_eq(at(j, rt_addr(K), "held"), 4);
    cr_assert_eq(at(j, rt_addr(D), "held"), 0, "D's payment crossed: nothing stays at D");
    cr_assert_eq(b.held, 48);
    /* ethereum: what arrived, where it is, what crossed back */
    cr_assert_eq(e.linked_in, 66);
    cr_assert_eq(at(j, "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1", "held"), 39);
    cr_assert_eq(at(j, ETH_A, "held"), 9);
    cr_assert_eq(at(j, "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", "held"), 5);
    cr_assert_eq(at(j, ETH_B, "held"), 0, "f005 crossed: nothing stays at B'");
    cr_assert_eq(e.linked_out, 13);
    cr_assert_eq(e.held, 53);
    /* the crossings are flows, shown as the analyst's assertion with both amounts */
    x = crossing(j, 2), l = cJSON_GetObjectItem(x, "link");
    cr_assert_str_eq(jstr(x, "chain"), "bitcoin");
    cr_assert_str_eq(jstr(x, "tx"), T1);
    cr_assert_eq(jint(x, "vout"), 0);
    cr_assert_eq(jint(x, "amount"), 60);
    cr_assert_str_eq(jstr(l, "asserted_by"), "analyst");
    cr_assert_str_eq(jstr(l, "note"), "bridge out, per the bridge's own record");
    cr_assert_str_eq(jstr(l, "to_chain"), "ethereum");
    cr_assert_str_eq(jstr(l, "to_tx"), F002);
    cr_assert_eq(jint(l, "arrived"), 66);
    x = crossing(j, 3), l = cJSON_GetObjectItem(x, "link");
    cr_assert_str_eq(jstr(x, "chain"), "ethereum");
    cr_assert_eq(jint(x, "amount"), 13);
    cr_assert_str_eq(jstr(l, "to_tx"), T3);
    cr_assert_eq(jint(l, "to_vout"), 0);
    cr_assert_eq(jint(l, "arrived"), 17);
    cJSON_Delete(j);
}

Test(trace_link, backward_from_bitcoin_through_ethereum)
{
    cJSON *j = sleuth_json("trace --store %s --tx %s:0 --direction backward --link %s --json", ST, T4, LINKS);
    const cJSON *e;
    uint64_t c0 = 0, c1 = 0;
    tot b = totals(j, "bitcoin"), x = totals(j, "ethereum");
    cr_assert_eq(b.source, 30);
    cr_assert_eq(b.linked_out, 30);
    cr_assert_eq(b.linked_in, 13);
    cr_assert_eq(x.linked_in, 22);
    cr_assert_eq(x.linked_out, 15);
    cr_assert_eq(at(j, "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", "unknown-origin"), 7);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "endpoints"))
        if (!strcmp(jstr(e, "status"), "coinbase")) {
            const char *tx = jstr(e, "tx");
            if (!strcmp(tx, C0)) c0 += jint(e, "amount");
            else c1 += jint(e, "amount");
        }
    cr_assert_eq(c0, 8);
    cr_assert_eq(c1, 5);
    cJSON_Delete(j);
}

Test(trace_link, text_and_graph_say_it_is_the_analysts_assertion)
{
    run_result r = run_sleuth("trace --store %s --tx %s:0 --link %s --graph %s/g.dot", ST, C0, LINKS, DIR_);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "the analyst's assertion, not chain data"), "%s", r.out);
    cr_assert(strstr(r.out, "links.csv line 2: bitcoin"), "%s", r.out);
    cr_assert(strstr(r.out, "linked out 0.00000060"), "%s", r.out);
    run_free(&r);
    r = run_sh("grep -c 'declared by the analyst' %s/g.dot", DIR_);
    cr_assert_eq(atoi(r.out), 2, "%s", r.out);
    run_free(&r);
}

/* A link file line that names nothing in the store is an error with its line number. */
Test(trace_link, a_line_naming_nothing_is_an_error_with_its_line)
{
    static const char *const bad[][2] = {
        {"bitcoin,%s,%s,90,ethereum," F002 "," ETH_A ",100,x\nbitcoin,00000000000000000000000000000000000000000000000000000000000000aa,%s,1,ethereum," F002 "," ETH_A ",1,y\n",
         "links.csv:3"},
        {"bitcoin,%s,%s,91,ethereum," F002 "," ETH_A ",100,wrong amount\n", "links.csv:2"},
        {"tron,%s,%s,90,ethereum," F002 "," ETH_A ",100,no tron here\n", "links.csv:2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char path[300];
        run_result r;
        FILE *f;
        snprintf(path, sizeof path, "%s/bad%zu/links.csv", DIR_, i);
        r = run_sh("mkdir -p %s/bad%zu", DIR_, i);
        run_free(&r);
        f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note\n");
        fprintf(f, bad[i][0], T1, rt_addr(D), rt_addr(D));
        fclose(f);
        r = run_sleuth("trace --store %s --tx %s:0 --link %s", ST, C0, path);
        cr_assert_eq(r.status, 1, "line %zu: exit %d: %s", i, r.status, r.err);
        cr_assert(strstr(r.err, bad[i][1]), "line %zu: %s", i, r.err);
        run_free(&r);
    }
    {
        run_result r = run_sh("printf 'from,to\\n' > %s/h.csv", DIR_);
        run_free(&r);
        r = run_sleuth("trace --store %s --tx %s:0 --link %s/h.csv", ST, C0, DIR_);
        cr_assert_eq(r.status, 1);
        cr_assert(strstr(r.err, "h.csv:1: the first line must be the header"), "%s", r.err);
        run_free(&r);
    }
}

/* ---- one store, three chains, one command shape, one set of keys ---- */

#define BLK170_TX "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
#define TRON_USDT_TX "0x6cd2b19701269f53aa86cf798071a3034fa028a93fbf33f3bcbaed52a1d1f024"

/* Appends to out the key paths of j: "a.b" for members, "a[].b" for array elements (all
 * the elements' keys), sorted and unique through the caller. */
static void key_paths(const cJSON *j, const char *prefix, char *out, size_t cap)
{
    const cJSON *m;
    if (cJSON_IsArray(j)) {
        char p[300];
        snprintf(p, sizeof p, "%s[]", prefix);
        cJSON_ArrayForEach(m, j) key_paths(m, p, out, cap);
        return;
    }
    if (!cJSON_IsObject(j)) return;
    cJSON_ArrayForEach(m, j) {
        char p[300], line[320];
        snprintf(p, sizeof p, "%s.%s", prefix, m->string);
        snprintf(line, sizeof line, "%s\n", p);
        if (!strstr(out, line) && strlen(out) + strlen(line) < cap) strcat(out, line);
        key_paths(m, p, out, cap);
    }
}

static char *keys_of(const char *store, const char *args)
{
    cJSON *j = sleuth_json("trace --store %s %s --json", store, args);
    char *out = calloc(1, 1 << 16);
    key_paths(j, "", out, 1 << 16);
    cJSON_Delete(j);
    return out;
}

/* Lines of a that b lacks, for the message. */
static void missing(const char *a, const char *b, char *out, size_t cap)
{
    const char *p = a;
    out[0] = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[320];
        snprintf(line, sizeof line, "%.*s", (int)(nl - p + 1), p);
        if (!strstr(b, line) && strlen(out) + strlen(line) < cap) strcat(out, line);
        p = nl + 1;
    }
}

Test(trace_link, one_command_shape_and_one_key_set_on_every_chain, .timeout = 60)
{
    const char *d = temp_dir();
    char store[300], diff[4000];
    char *k[3];
    run_result r;
    snprintf(store, sizeof store, "%s/s", d);
    r = run_sleuth("ingest btc --quiet --store %s " FIX "/consecutive/*.dat", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s " ETH_FIX, store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest tron --quiet --store %s tests/data/tron", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    k[0] = keys_of(store, "--tx " BLK170_TX);
    k[1] = keys_of(store, "--tx " F002);
    k[2] = keys_of(store, "--tx " TRON_USDT_TX);
    for (int i = 1; i < 3; i++) {
        missing(k[0], k[i], diff, sizeof diff);
        cr_assert_str_eq(diff, "", "keys of the Bitcoin trace that trace %d lacks:\n%s", i, diff);
        missing(k[i], k[0], diff, sizeof diff);
        cr_assert_str_eq(diff, "", "keys of trace %d that the Bitcoin trace lacks:\n%s", i, diff);
    }
    cr_assert(strstr(k[0], ".top_paths[].steps[].tx\n") && strstr(k[0], ".flows[].from\n"), "%s", k[0]);
    /* each started on the chain that holds its source */
    {
        cJSON *j = sleuth_json("trace --store %s --tx " TRON_USDT_TX " --json", store);
        cr_assert_str_eq(jstr(j, "chain"), "tron");
        cJSON_Delete(j);
        j = sleuth_json("trace --store %s --address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --json", store);
        cr_assert_str_eq(jstr(j, "chain"), "bitcoin");
        cJSON_Delete(j);
        j = sleuth_json("trace --store %s --address " ETH_A " --asset ETH --json", store);
        cr_assert_str_eq(jstr(j, "chain"), "ethereum");
        cJSON_Delete(j);
    }
    for (int i = 0; i < 3; i++) free(k[i]);
}
