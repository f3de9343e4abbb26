/* test_screen.c — `sleuth exposure build|update` and `sleuth screen` (issue 13, "Screening").
 *
 * Hand-checked: tests/data/screen/hand_chain.jsonl (a copy of the account-chain fixture of
 * test_trace_acct.c, gas price 0) with hand.tagpack.yaml: the transaction f002 (S -> A 100
 * wei) is a theft (incident hand-1), B is an exchange.
 *   block 1  X -> A 50;  f002: S -> A 100        block 2  A -> D 90;  A -> E 40
 *   block 3  E -> B 30
 * Forward haircut from f002 (4 hops, ending at the exchange B):
 *   A receives the 100 itself: direct (1 hop), 100 of the 150 A received: share 2/3.
 *   A -> D 90 of its 150 carries floor(90*100/150) = 60: D 2 hops, 60 of 90.
 *   A -> E 40 of the 60 left carries floor(40*40/60) = 26: E 2 hops, 26 of 40 = 0.65.
 *   E -> B 30 of 40 carries floor(30*26/40) = 19: B 3 hops (an endpoint: an exchange), 19/30.
 * Backward from B (an exchange: one hop): B received 30 from E: E sent 30 of the 40 it
 * received to an exchange directly ("out", direct, 0.75); nobody else within one hop.
 * X and S: nothing (X's 50 and S's payment are not downstream of the theft, and S paid the
 * tagged tx: its change, had there been any, is no exposure).
 * Default rules: A severe (stolen funds received directly), D, E, B high (indirect, share
 * >= 1%), X, S none.
 *
 * Against the slow way: on a generated world (dmm, seed 7) the indirect "in" exposure of
 * every address the incident's loot reaches equals what `sleuth trace --address EXPLOITER
 * --policy haircut --max-hops 4 --stop-at <the service categories> --no-crossings` delivers
 * to it (its flows and its endpoints), and its hops are at most the trace's; services the
 * trace never reaches have none.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sleuth/screen.h"
#include "sleuth/store.h"

#define A "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define D "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"
#define E "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1"
#define B "0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
#define X "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define S "0x5151515151515151515151515151515151515151"
#define TAGS "tests/data/screen/hand.tagpack.yaml"


/* A store of the hand chain (files: the jsonl files to ingest), tags imported; its path. */
static const char *hand_store(const char *files)
{
    const char *d = temp_dir(), *s = path_in(d, "s");
    static char keep[8][512];
    static int k;
    char *out = keep[k++ % 8];
    expect_ok(run_sleuth("ingest eth --quiet --store %s %s", s, files));
    expect_ok(run_sleuth("tags import --store %s " TAGS, s));
    snprintf(out, 512, "%s", s);
    return out;
}

/* The one summary of direction dir, kind ("direct"/"indirect") and category, or NULL. */
static const cJSON *sum_of(const cJSON *j, const char *dir, const char *kind, const char *cat)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(j, dir), kind))
        if (!strcmp(jstr(x, "category"), cat)) return x;
    return NULL;
}

/* The source's incident, "" when it has none. */
static const char *incident_of(const cJSON *y)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(y, "source"), "incident");
    return cJSON_IsString(v) ? v->valuestring : "";
}

static uint64_t base(const cJSON *x) { return strtoull(jstr(x, "amount_base"), NULL, 10); }
static double num(const cJSON *x, const char *k) { return cJSON_GetObjectItem(x, k)->valuedouble; }

static cJSON *screen(const char *store, const char *subject, const char *more)
{
    return sleuth_json("screen --store %s %s --json %s", store, subject, more ? more : "");
}

static void expect(const char *store, const char *addr, const char *dir, const char *kind, const char *cat,
                   uint64_t amount, double share, int hops, const char *risk)
{
    cJSON *j = screen(store, addr, NULL);
    const cJSON *x = sum_of(j, dir, kind, cat);
    cr_assert_str_eq(jstr(j, "risk"), risk, "%s: risk", addr);
    cr_assert(x, "%s: no %s %s %s", addr, dir, kind, cat);
    cr_assert_eq(base(x), amount, "%s: amount %llu", addr, (unsigned long long)base(x));
    cr_assert_float_eq(num(x, "share"), share, 1e-9, "%s: share", addr);
    cr_assert_eq((int)num(x, "hops"), hops, "%s: hops", addr);
    cJSON_Delete(j);
}

Test(screen, hand_checked_amounts_hops_levels)
{
    const char *s = hand_store("tests/data/screen/hand_chain.jsonl");
    cJSON *j, *b;
    const cJSON *ix, *reason, *src, *path;
    b = sleuth_json("exposure build --store %s --json", s);
    cr_assert_eq(jint(b, "sources"), 2);      /* the theft tx and the exchange */
    cr_assert_eq(jint(b, "entities"), 4);     /* A, D, E, B */
    cr_assert_str_eq(jstr(b, "policy"), "haircut");
    cr_assert_eq(jint(b, "max_hops"), 4);
    cJSON_Delete(b);
    expect(s, A, "in", "direct", "stolen_funds", 100, 100.0 / 150, 1, "severe");
    expect(s, D, "in", "indirect", "stolen_funds", 60, 60.0 / 90, 2, "high");
    expect(s, E, "in", "indirect", "stolen_funds", 26, 26.0 / 40, 2, "high");
    expect(s, B, "in", "indirect", "stolen_funds", 19, 19.0 / 30, 3, "high");
    expect(s, E, "out", "direct", "exchange", 30, 30.0 / 40, 1, "high");
    /* nothing for X and S; E has no direct "in"; A no "out" (the exchange is one hop only) */
    for (int i = 0; i < 2; i++) {
        j = screen(s, i ? S : X, NULL);
        cr_assert_str_eq(jstr(j, "risk"), "none");
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "in"), "indirect")), 0);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "reasons")), 0);
        cJSON_Delete(j);
    }
    j = screen(s, A, NULL);
    cr_assert_null(sum_of(j, "out", "indirect", "exchange"));
    cJSON_Delete(j);
    /* the answer: policy, hops, the tip; the reason names the tag, the path, the rule */
    j = screen(s, D, NULL);
    cr_assert_str_eq(jstr(j, "kind"), "address");
    cr_assert_str_eq(jstr(j, "chain"), "ethereum");
    cr_assert_str_eq(jstr(j, "policy"), "haircut");
    ix = cJSON_GetObjectItem(j, "index");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(ix, "built")));
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(ix, "tips"), 0), "height"), 3);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(ix, "tips"), 0), "hash"),
                     "000000000000000000000000000000000000000000000000000000000000b003");
    reason = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "reasons"), 0);
    cr_assert_str_eq(jstr(reason, "level"), "high");
    cr_assert_str_eq(jstr(reason, "rule"), "stolen-or-dprk-indirect-share");
    cr_assert_str_eq(jstr(reason, "direction"), "in");
    cr_assert_str_eq(jstr(reason, "exposure"), "indirect");
    src = cJSON_GetArrayItem(cJSON_GetObjectItem(reason, "sources"), 0);
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(src, "source"), "label"), "hand theft transaction");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(src, "source"), "incident"), "hand-1");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(src, "source"), "tx"),
                     "0x000000000000000000000000000000000000000000000000000000000000f002");
    path = cJSON_GetObjectItem(src, "path");
    cr_assert_eq(cJSON_GetArraySize(path), 2);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(path, 0), "tx"),
                     "0x000000000000000000000000000000000000000000000000000000000000f002");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(path, 1), "tx"),
                     "0x000000000000000000000000000000000000000000000000000000000000f003");
    cr_assert(!strcasecmp(jstr(cJSON_GetArrayItem(path, 1), "to"), D));
    cJSON_Delete(j);
    /* the theft tx itself: tagged (self), paid A directly */
    j = screen(s, "0x000000000000000000000000000000000000000000000000000000000000f002", NULL);
    cr_assert_str_eq(jstr(j, "kind"), "transaction");
    cr_assert_str_eq(jstr(j, "risk"), "severe");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "self"), 0)->valuestring, "stolen_funds");
    cJSON_Delete(j);
    /* --direction out: only "out" */
    j = screen(s, E, "--direction out");
    cr_assert_null(cJSON_GetObjectItem(j, "in"));
    cr_assert_str_eq(jstr(j, "risk"), "none"); /* an exchange is no risk by the default rules */
    cJSON_Delete(j);
}

Test(screen, rules_file_changes_the_level_and_errors_are_located)
{
    const char *s = hand_store("tests/data/screen/hand_chain.jsonl"), *d = temp_dir();
    const char *rules = path_in(d, "r.yaml"), *bad = path_in(d, "bad.yaml"), *dup = path_in(d, "dup.yaml");
    cJSON *j;
    run_result r;
    expect_ok(run_sleuth("exposure build --store %s --quiet", s));
    write_text(rules, "version: 1\nrules:\n  - name: big-share\n    category: stolen_funds\n    exposure: indirect\n"
                      "    min_share: 0.66\n    level: severe\n");
    j = sleuth_json("screen --store %s " D " --json --rules %s", s, rules);
    cr_assert_str_eq(jstr(j, "risk"), "severe"); /* 0.6667 >= 0.66 */
    cJSON_Delete(j);
    j = sleuth_json("screen --store %s " E " --json --rules %s", s, rules);
    cr_assert_str_eq(jstr(j, "risk"), "none"); /* 0.65 < 0.66, and no other rule */
    cJSON_Delete(j);
    /* min_amount in whole units: 19 wei is far below 1 ETH */
    write_text(rules, "version: 1\nrules:\n  - category: [stolen_funds]\n    min_amount: 1\n    level: low\n");
    j = sleuth_json("screen --store %s " B " --json --rules %s", s, rules);
    cr_assert_str_eq(jstr(j, "risk"), "none");
    cJSON_Delete(j);
    /* malformed: located error, exit 1 */
    write_text(bad, "version: 1\nrules:\n  - category: stolen_funds\n    level: extreme\n");
    sleuth_fails(1, "bad.yaml:4: level", "screen --store %s " D " --rules %s", s, bad);
    write_text(dup, "version: 1\nrules:\n  - category: mixer\n    level: low\n    level: high\n");
    r = run_sleuth("screen --store %s " D " --rules %s --json", s, dup);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "dup.yaml:5: level: key given twice (first on line 4)"), "%s", r.err);
    j = cJSON_Parse(r.out);
    cr_assert(j, "one JSON document: %s", r.out);
    cr_assert_eq(jint(cJSON_GetObjectItem(j, "error"), "line"), 5);
    cJSON_Delete(j);
    run_free(&r);
    write_text(bad, "version: 1\nrules: [ {category: mixer, level: low}\n");
    sleuth_fails(1, "bad.yaml:", "screen --store %s " D " --rules %s", s, bad);
    sleuth_fails(1, "none.yaml: cannot open the rules file", "screen --store %s " D " --rules %s/none.yaml", s, d);
}

Test(screen, bad_subjects_batch_and_no_index)
{
    const char *s = hand_store("tests/data/screen/hand_chain.jsonl"), *d = temp_dir(), *list = path_in(d, "l.txt");
    run_result r;
    cJSON *j;
    const cJSON *x;
    /* no index yet: the answer says so, the subject's own tags still count */
    j = screen(s, B, NULL);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "index"), "built")));
    cJSON_Delete(j);
    expect_ok(run_sleuth("exposure build --store %s --quiet", s));
    sleuth_fails(2, "'0x1234' is no address, transaction id or cluster", "screen --store %s 0x1234", s);
    sleuth_fails(1, "the store holds no such address or transaction",
                 "screen --store %s 0x00000000000000000000000000000000000000aa", s);
    sleuth_fails(2, "", "screen --store %s cluster:ethereum:x", s);
    sleuth_fails(2, "", "screen --store %s " A " --direction sideways", s);
    /* a batch: comments, blank lines, one subject not in the store */
    write_text(list, "# subjects\n" A "\n\n  " D "   # the second\n0x00000000000000000000000000000000000000aa\n" X "\n");
    r = run_sleuth("screen --store %s @%s --json", s, list);
    cr_assert_eq(r.status, 1, "%s", r.err);
    j = cJSON_Parse(r.out);
    cr_assert(j, "one JSON document: %s", r.out);
    cr_assert_eq(jint(j, "screened"), 3);
    cr_assert_eq(jint(j, "failed"), 1);
    x = cJSON_GetObjectItem(j, "screens");
    cr_assert_eq(cJSON_GetArraySize(x), 4);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(x, 0), "risk"), "severe");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(x, 1), "risk"), "high");
    cr_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(x, 2), "error"), "code"), "ENOTFOUND");
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(x, 3), "risk"), "none");
    cJSON_Delete(j);
    run_free(&r);
    /* text: fits 100 columns */
    r = run_sleuth("screen --store %s " A, s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (char *p = r.out, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) nl = p + strlen(p) - 1;
        cr_assert_leq(nl - p, 100, "a line over 100 columns: %.*s", (int)(nl - p), p);
    }
    cr_assert(strstr(r.out, "risk SEVERE"), "%s", r.out);
    run_free(&r);
}

Test(screen, update_follows_new_blocks)
{
    const char *s = hand_store("tests/data/screen/hand_12.jsonl");
    cJSON *j;
    run_result r;
    j = sleuth_json("exposure update --store %s --json", s);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "changed"))); /* no index: nothing to do */
    cJSON_Delete(j);
    expect_ok(run_sleuth("exposure build --store %s --quiet", s));
    j = sleuth_json("exposure update --store %s --json", s);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "changed")), "up to date right after a build");
    cJSON_Delete(j);
    j = screen(s, E, NULL);
    cr_assert_null(sum_of(j, "out", "direct", "exchange"));
    cJSON_Delete(j);
    r = run_sleuth("screen --store %s " B, s); /* B appears in block 3 only */
    cr_assert_eq(r.status, 1, "%s", r.err);
    run_free(&r);
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", s));
    j = sleuth_json("exposure update --store %s --json", s);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "changed")));
    cJSON_Delete(j);
    expect(s, B, "in", "indirect", "stolen_funds", 19, 19.0 / 30, 3, "high");
    expect(s, E, "out", "direct", "exchange", 30, 30.0 / 40, 1, "high");
    j = screen(s, D, NULL);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "index"), "tips"), 0), "height"), 3);
    cJSON_Delete(j);
}

/* The services of a generated world's tag pack (the trace's --stop-at). */
#define STOP "exchange,coinjoin,mixer,bridge,dex,market"

Test(screen, matches_a_slow_trace_on_a_generated_world, .timeout = 600)
{
    const char *d = gen_world_store("dmm", 7, 2000);
    char exploiter[100] = "", s[512];
    cJSON *t, *truth;
    const cJSON *x, *svc;
    struct { char a[100]; uint64_t amt; uint32_t hops; } *seen = calloc(4096, sizeof *seen);
    size_t n = 0, checked = 0;
    run_result r = run_sh("cat %s/w/truth.json", d);
    snprintf(s, sizeof s, "%s/s", d);
    truth = cJSON_Parse(r.out);
    run_free(&r);
    snprintf(exploiter, sizeof exploiter, "%s", jstr(cJSON_GetObjectItem(truth, "theft"), "exploiter"));
    expect_ok(run_sleuth("tags import --store %s %s/w/tags/world.tagpack.yaml %s/w/tags/incident.tagpack.yaml %s/w/incidents.yaml",
                  s, d, d, d));
    expect_ok(run_sleuth("exposure build --store %s --quiet --max-hops 4", s));
    t = sleuth_json("trace --store %s --address %s --policy haircut --max-hops 4 --stop-at " STOP " --no-crossings --json",
                    s, exploiter);
    /* what the trace delivered to each address: the payments that went on, and the ends */
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "flows")) {
        size_t i;
        if (cJSON_IsNull(cJSON_GetObjectItem(x, "from_pool"))) continue; /* the source's own receipts */
        for (i = 0; i < n && strcmp(seen[i].a, jstr(x, "to")); i++) {}
        if (i == n) snprintf(seen[n].a, sizeof seen[n].a, "%s", jstr(x, "to")), seen[n].hops = 99, n++;
        seen[i].amt += jint(x, "amount");
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(t, "endpoints")) {
        size_t i;
        const char *st = jstr(x, "status");
        if (strcmp(st, "held") && strcmp(st, "tagged") && strcmp(st, "max-hops")) continue;
        if (!jint(x, "hops")) continue;
        for (i = 0; i < n && strcmp(seen[i].a, jstr(x, "address")); i++) {}
        if (i == n) snprintf(seen[n].a, sizeof seen[n].a, "%s", jstr(x, "address")), seen[n].hops = 99, n++;
        seen[i].amt += jint(x, "amount");
        if (jint(x, "hops") < seen[i].hops) seen[i].hops = (uint32_t)jint(x, "hops");
    }
    cr_assert_gt(n, 20, "the loot reaches many addresses (%zu)", n);
    for (size_t i = 0; i < n; i += (n > 40 ? 3 : 1)) { /* every third: enough, and quick */
        cJSON *j;
        uint64_t got = 0;
        uint32_t hops = 99;
        const cJSON *y;
        if (!strcmp(seen[i].a, exploiter) || seen[i].a[0] == '(') continue;
        j = sleuth_json("screen --store %s %s --json --direction in --top 100", s, seen[i].a);
        cJSON_ArrayForEach(y, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "in"), "top_sources")) {
            if (strcmp(incident_of(y), "world-dmm-7")) continue;
            got += base(y);
            hops = (uint32_t)jint(y, "hops");
        }
        cr_assert_eq(got, seen[i].amt, "%s: screen %llu, trace %llu", seen[i].a, (unsigned long long)got,
                     (unsigned long long)seen[i].amt);
        if (seen[i].hops != 99) cr_assert_leq(hops, seen[i].hops, "%s: hops", seen[i].a);
        cJSON_Delete(j);
        checked++;
    }
    cr_assert_gt(checked, 10);
    /* services the loot never reached: no exposure to the incident */
    svc = cJSON_GetObjectItem(truth, "services");
    cr_assert(svc, "truth.json has services");
    {
        run_result tg = run_sh("grep -o \"address: '[^']*'\" %s/w/tags/world.tagpack.yaml | cut -d\\' -f2", d);
        size_t none = 0;
        for (char *p = tg.out, *nl; p && *p; p = nl + 1) {
            bool reached = false;
            cJSON *j;
            const cJSON *y;
            run_result sr;
            if (!(nl = strchr(p, '\n'))) break;
            *nl = 0;
            for (size_t i = 0; i < n; i++) reached |= !strcasecmp(seen[i].a, p);
            if (reached) continue;
            sr = run_sleuth("screen --store %s %s --json --direction in --top 100", s, p);
            if (sr.status == 1) { /* a service the small world never used */
                run_free(&sr);
                continue;
            }
            cr_assert_eq(sr.status, 0, "%s", sr.err);
            j = cJSON_Parse(sr.out);
            run_free(&sr);
            cJSON_ArrayForEach(y, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "in"), "top_sources"))
                cr_assert_str_neq(incident_of(y), "world-dmm-7", "%s", p);
            cJSON_Delete(j);
            none++;
        }
        cr_assert_gt(none, 0);
        run_free(&tg);
    }
    cJSON_Delete(t);
    cJSON_Delete(truth);
    free(seen);
}

/* The state letter of process pid (/proc/pid/stat), '?' when gone. */
static char proc_state(pid_t pid)
{
    char p[64], buf[512], *rp;
    FILE *f;
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(p, "r"))) return '?';
    buf[0] = 0;
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : '?';
}

Test(screen, a_killed_update_leaves_the_old_index_and_builds_exclude_each_other, .timeout = 120)
{
    const char *s = hand_store("tests/data/screen/hand_12.jsonl");
    cJSON *j;
    run_result r;
    pid_t pid;
    expect_ok(run_sleuth("exposure build --store %s --quiet", s));
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", s));
    /* killed between writing the new index and renaming it: the old one still answers */
    r = run_sh("SLEUTH_TEST_KILL_AT=exposure-before-rename %s exposure update --store %s", sleuth_bin(), s);
    cr_assert_neq(r.status, 0, "the update was killed");
    run_free(&r);
    j = screen(s, D, NULL);
    cr_assert_eq(jint(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "index"), "tips"), 0), "height"), 2);
    cJSON_Delete(j);
    /* a build stopped before its rename holds the lock: a second one is refused */
    pid = spawn_sh("env SLEUTH_TEST_STOP_AT=exposure-before-rename %s exposure build --store %s --quiet", sleuth_bin(), s);
    for (int i = 0; i < 3000 && proc_state(pid) != 'T'; i++) usleep(10000);
    cr_assert_eq(proc_state(pid), 'T', "the build stopped at its test point");
    sleuth_fails(1, "another exposure build is running", "exposure build --store %s", s);
    kill(pid, SIGCONT);
    {
        int st = -1, done = 0;
        for (int i = 0; i < 3000 && !done; i++) {
            if (waitpid(pid, &st, WNOHANG) == pid) done = 1;
            else usleep(10000);
        }
        if (!done) stop_group(pid, 0);
        cr_assert(done && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the first build finished (status %d)", st);
    }
    expect(s, B, "in", "indirect", "stolen_funds", 19, 19.0 / 30, 3, "high");
}

/* The library as the server and the watcher use it: a screener opened before the index
 * exists, a build, refresh, the text and the tree agree, an update after new blocks. */
Test(screen, library_refresh_update_and_text)
{
    const char *dir = hand_store("tests/data/screen/hand_12.jsonl");
    sl_store *st = NULL;
    sl_screen *sc = NULL;
    sl_error e = {0};
    sl_exposure_build_report rep;
    sl_screen_req rq = {.subject = A};
    cJSON *j = NULL, *t;
    const char *txt;
    size_t len;
    sl_exposure_update_report u;
    cr_assert_eq(sl_store_open(&st, dir, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_screen_open(&sc, st, dir, NULL, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_screen_json(sc, &rq, &j, &e), SL_OK, "%s", e.msg);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "index"), "built")));
    cJSON_Delete(j);
    cr_assert_eq(sl_exposure_build(st, dir, NULL, &rep, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(rep.sources, 1); /* the theft tx: the exchange B appears in block 3 only */
    cr_assert_eq(rep.max_hops, 4);
    cr_assert_eq(sl_screen_refresh(sc, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_screen_json(sc, &rq, &j, &e), SL_OK, "%s", e.msg);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "index"), "built")));
    cr_assert_eq(base(sum_of(j, "in", "direct", "stolen_funds")), 100);
    cr_assert_eq(sl_screen_text(sc, &rq, &txt, &len, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(strlen(txt), len);
    t = cJSON_Parse(txt);
    cr_assert(cJSON_Compare(j, t, true), "the text and the tree are one answer");
    cJSON_Delete(t);
    cJSON_Delete(j);
    /* bad subjects through the library */
    rq.subject = "0x1234";
    cr_assert_eq(sl_screen_text(sc, &rq, &txt, &len, &e), SL_EUSAGE);
    rq.subject = "0x00000000000000000000000000000000000000aa";
    cr_assert_eq(sl_screen_text(sc, &rq, &txt, &len, &e), SL_ENOTFOUND);
    /* new blocks: an update at the store's new tip, then a refresh */
    cr_assert_eq(sl_exposure_update(st, dir, &u, &e), SL_OK, "%s", e.msg);
    cr_assert(!u.changed);
    expect_ok(run_sleuth("ingest eth --quiet --store %s tests/data/screen/hand_3.jsonl", dir));
    cr_assert_eq(sl_store_snapshot(st, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_exposure_update(st, dir, &u, &e), SL_OK, "%s", e.msg);
    cr_assert(u.changed && !u.full, "continued from the index (%s)", u.why);
    cr_assert_eq(u.read, 1, "block 3's one flow: E -> B 30 (gas price 0)");
    /* the theft (E holds some of its taint and paid B) and B, a source new in block 3 */
    cr_assert_eq(u.retraced, 2);
    cr_assert_eq(u.sources, 2);
    cr_assert_eq(sl_screen_refresh(sc, &e), SL_OK, "%s", e.msg);
    rq.subject = B;
    cr_assert_eq(sl_screen_json(sc, &rq, &j, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(base(sum_of(j, "in", "indirect", "stolen_funds")), 19);
    cJSON_Delete(j);
    sl_screen_close(sc);
    sl_store_close(st);
}
