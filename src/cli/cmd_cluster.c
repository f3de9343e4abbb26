/* cmd_cluster.c — `sleuth cluster build|show|why`: the address clustering of each chain
 * of a store (sleuth/cluster.h): multi-input (and change) on the Bitcoin-family chain,
 * deposit addresses on the account chains. build brings every chain the store holds (or
 * --chain's) up to the store, one report each, with the guard's events; show prints one
 * cluster (its id, size, members paged with their addresses, best tag, guard events);
 * why prints the chain of transactions and heuristics that put two addresses in one
 * cluster. show and why take the chain from the address's form (0x: the store's first
 * account chain that has it; T...: Tron; else the Bitcoin-family chain) or --chain.
 * docs/CLUSTERING.md explains the rules and the files.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/deposit.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

static const char HELP[] =
    "usage: sleuth cluster build --store DIR [--chain CHAIN] [--heuristics LIST] [--guard-size N]\n"
    "                            [--guard POLICY] [--from-scratch] [deposit options] [--json] [--quiet]\n"
    "       sleuth cluster show  --store DIR [--chain CHAIN] (ADDRESS | CLUSTER_ID) [--json]\n"
    "                            [--limit N] [--offset N]\n"
    "       sleuth cluster why   --store DIR [--chain CHAIN] ADDRESS_A ADDRESS_B [--json]\n"
    "  Clusters the addresses of each chain of the store. Bitcoin family: common-input\n"
    "  ownership (multi-input, CoinJoins excluded) and, as options, change heuristics;\n"
    "  incremental (only new transactions) unless the store was rolled back below the last\n"
    "  build or the options changed. Account chains (ethereum, tron, ...): each exchange\n"
    "  deposit address is merged with the hot wallet it sweeps to (`sleuth deposits` shows the\n"
    "  evidence; its customers are never merged); rebuilt from scratch by every build.\n"
    "  A cluster's id is its smallest address id on its chain.\n"
    "  --chain CHAIN      build: only this chain (default: every chain the store holds, one\n"
    "                     report each); show, why: the addresses' chain (default: from their\n"
    "                     form: 0x -> the store's first account chain that has it, T... -> tron,\n"
    "                     else the Bitcoin-family chain). A CLUSTER_ID of an account chain\n"
    "                     needs --chain\n"
    "  --heuristics LIST  Bitcoin family, comma-separated: multi-input (default), change:addr-type,\n"
    "                     change:one-time, change:round, change:optimal, change:peel\n"
    "  --tau N --alpha X --alpha-token-ppm N --min-deposits K --max-senders N --min-payees N\n"
    "  --no-tokens        account chains: the deposit rule's parameters (`sleuth deposits --help`,\n"
    "                     docs/DEPOSIT.md; defaults there)\n"
    "  --guard-size N     a merge of two clusters that both hold N or more addresses is logged\n"
    "                     as a possible supercluster collapse (default 100000)\n"
    "  --guard POLICY     apply|skip for both guard kinds, or size=apply|skip,tag=apply|skip;\n"
    "                     default size=apply (logged, merged), tag=skip (logged, not merged)\n"
    "  --from-scratch     ignore the previous build\n";

static int usage_err(void)
{
    fputs(HELP, stderr);
    return EXIT_USAGE;
}

static int parse_policy(const char *arg, sl_cluster_opts *o)
{
    char buf[64];
    char *save = NULL, *tok;
    if (!strcmp(arg, "apply") || !strcmp(arg, "skip")) {
        o->guard_size_policy = o->guard_tag_policy = !strcmp(arg, "skip") ? SL_GUARD_SKIP : SL_GUARD_APPLY;
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", arg);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint8_t *dst = !strncmp(tok, "size=", 5) ? &o->guard_size_policy : !strncmp(tok, "tag=", 4) ? &o->guard_tag_policy : NULL;
        const char *v = dst ? strchr(tok, '=') + 1 : "";
        if (!dst || (strcmp(v, "apply") && strcmp(v, "skip")))
            return cli_usage("--guard: '%s' is not apply, skip, or size=apply|skip,tag=apply|skip", arg);
        *dst = !strcmp(v, "skip") ? SL_GUARD_SKIP : SL_GUARD_APPLY;
    }
    return 0;
}

/* --chain's name as the library spells it ("eth" is "ethereum"); NULL when unknown. */
static const char *chain_arg(const char *name)
{
    const sl_chain_def *d = sl_chain_by_name(!strcmp(name, "eth") ? "ethereum" : name);
    return d ? d->name : NULL;
}

static bool chain_ok(const char *name) { return chain_arg(name) != NULL; }

/* One chain's build report as JSON. */
static cJSON *build_json(const sl_cluster_opts *o, const sl_cluster_build_report *r, bool acct)
{
    cJSON *j = cJSON_CreateObject(), *h;
    cJSON_AddStringToObject(j, "chain", r->chain);
    h = cJSON_AddArrayToObject(j, "heuristics");
    if (acct) cJSON_AddItemToArray(h, cJSON_CreateString(sl_heuristic_name(SL_H_DEPOSIT)));
    for (unsigned k = 1; !acct && k < SL_H_COUNT; k++)
        if (o->heuristics & (1u << k)) cJSON_AddItemToArray(h, cJSON_CreateString(sl_heuristic_name((sl_heuristic)k)));
    cJSON_AddBoolToObject(j, "from_scratch", r->from_scratch);
    jstr_or_null(j, "why", r->from_scratch ? r->why : NULL);
    const struct { const char *key; uint64_t v; } nums[] = {
        {"tx_from", r->tx_from}, {"tx_to", r->tx_to}, {acct ? "flows" : "inputs", r->inputs}, {"edges", r->edges},
        {"merges", r->merges}, {"change_edges", r->change_edges}, {"coinjoins_excluded", r->coinjoins},
        {"guard_events", r->guard_events}, {"guard_skipped", r->guard_skipped}, {"guard_size", o->guard_size},
        {"addresses", r->n_addr}, {"clusters", r->clusters}, {"multi_address_clusters", r->multi_clusters},
        {"largest_cluster", r->largest_id}, {"largest_size", r->largest_size}};
    for (size_t k = 0; k < sizeof nums / sizeof *nums; k++) jnum(j, nums[k].key, nums[k].v);
    if (acct) {
        cJSON *d = cJSON_AddObjectToObject(j, "deposit");
        jnum(d, "hot_wallets", r->deposit.hot_wallets);
        jnum(d, "deposits", r->deposit.deposits);
        jnum(d, "customers", r->deposit.customers);
        jnum(d, "matched_sweeps", r->deposit.matches);
        jnum(d, "candidates", r->deposit.candidates);
    }
    cJSON_AddStringToObject(j, "guard_size_policy", o->guard_size_policy == SL_GUARD_SKIP ? "skip" : "apply");
    cJSON_AddStringToObject(j, "guard_tag_policy", o->guard_tag_policy == SL_GUARD_SKIP ? "skip" : "apply");
    cJSON_AddNumberToObject(j, "seconds", r->seconds);
    return j;
}

/* One chain's build report as text. */
static void build_text(const sl_cluster_opts *o, const sl_cluster_build_report *r, bool acct)
{
    if (r->from_scratch) printf("%s: cluster build from scratch: %s\n", r->chain, r->why);
    else printf("%s: cluster build: incremental, transactions %" PRIu64 "..%" PRIu64 "\n", r->chain, r->tx_from, r->tx_to);
    if (acct) {
        printf("  %" PRIu64 " transactions, %" PRIu64 " flows in %.2f s\n", r->tx_to - r->tx_from, r->inputs, r->seconds);
        printf("  %" PRIu64 " deposit addresses of %" PRIu64 " hot wallets; %" PRIu64
               " customer links not merged (`sleuth deposits`)\n", r->deposit.deposits, r->deposit.hot_wallets,
               r->deposit.customers);
        printf("  %" PRIu64 " merge edges (deposit), %" PRIu64 " joined two clusters\n", r->edges, r->merges);
    } else {
        printf("  %" PRIu64 " transactions, %" PRIu64 " inputs in %.2f s; %" PRIu64 " CoinJoins excluded\n",
               r->tx_to - r->tx_from, r->inputs, r->seconds, r->coinjoins);
        printf("  %" PRIu64 " merge edges (%" PRIu64 " from change), %" PRIu64 " joined two clusters\n", r->edges,
               r->change_edges, r->merges);
    }
    printf("  %" PRIu64 " addresses in %" PRIu64 " clusters (%" PRIu64 " with 2 or more); largest: %" PRIu32
           " with %" PRIu64 " addresses\n", r->n_addr, r->clusters, r->multi_clusters, r->largest_id, r->largest_size);
    if (r->guard_events)
        printf("  guard: %" PRIu64 " merges flagged (size >= %" PRIu32 " on both sides, or conflicting tags), %" PRIu64
               " not applied; see `sleuth cluster show`\n", r->guard_events, o->guard_size, r->guard_skipped);
    else printf("  guard: no merge flagged\n");
}

#define MAX_CHAINS 16

static int cluster_build(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'},        {"heuristics", 1, 0, 'H'}, {"guard-size", 1, 0, 'g'},
                                         {"guard", 1, 0, 'p'},        {"from-scratch", 0, 0, 'f'}, {"json", 0, 0, 'j'},
                                         {"quiet", 0, 0, 'q'},        {"chain", 1, 0, 'c'},      {"help", 0, 0, 'h'},
                                         CLI_DEPOSIT_OPTIONS,         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_cluster_opts o = sl_cluster_opts_default();
    sl_cluster_build_report r;
    sl_error e = {0};
    sl_store *s = NULL;
    const sl_chain_def *defs[MAX_CHAINS];
    sl_deposit_params dp[MAX_CHAINS];
    cli_deposit_opts dopt = {0};
    const char *chain = NULL;
    size_t n = 0;
    cJSON *all = NULL, *arr = NULL;
    int ch, rc = EXIT_OK;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_deposit_opt(&dopt, ch, optarg)) continue;
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'c':
            if (!(chain = chain_arg(optarg))) return cli_usage("--chain: unknown chain '%s'", optarg);
            break;
        case 'H':
            if (sl_cluster_parse_heuristics(optarg, &o.heuristics, &e)) return cli_fail(&c, &e);
            break;
        case 'g': {
            uint64_t v;
            if (cli_number("--guard-size", optarg, 2, UINT32_MAX, false, &v)) return EXIT_USAGE;
            o.guard_size = (uint32_t)v;
            break;
        }
        case 'p':
            if (parse_policy(optarg, &o)) return EXIT_USAGE;
            break;
        case 'f': o.from_scratch = true; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return usage_err();
        }
    }
    if (optind != argc) return usage_err();
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    o.quiet = c.quiet || c.json;
    const sl_cluster_tagger *tagger_given = o.tagger; /* a library caller's; the CLI's is per chain */
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
    if (chain) defs[n++] = sl_chain_by_name(chain);
    else if ((n = sl_store_chains(s, defs, MAX_CHAINS)) > MAX_CHAINS) n = MAX_CHAINS;
    if (!n) {
        sl_store_close(s);
        sl_err(&e, SL_ENOTFOUND, "the store holds no blocks: nothing to cluster");
        return cli_fail(&c, &e);
    }
    for (size_t i = 0; i < n; i++) /* every chain's deposit options are checked before any build */
        if (defs[i]->model == SL_MODEL_ACCOUNT && (rc = cli_deposit_params(&dopt, defs[i]->name, &dp[i]))) {
            sl_store_close(s);
            return rc;
        }
    if (c.json && n > 1) all = cJSON_CreateObject(), arr = cJSON_AddArrayToObject(all, "chains");
    for (size_t i = 0; i < n && !rc; i++) {
        bool acct = defs[i]->model == SL_MODEL_ACCOUNT;
        o.chain = acct ? defs[i]->name : NULL;
        o.deposit = acct ? &dp[i] : NULL;
        /* the tag-conflict guard sees the store's tags of that chain (none: no tag guard) */
        o.tagger = tagger_given ? tagger_given : cli_tags_cluster_tagger(s, c.store, acct ? defs[i]->name : "btc");
        int brc = sl_cluster_build(s, &o, &r, &e);
        if (!tagger_given) cli_tags_cluster_done();
        if (brc) rc = cli_fail(&c, &e);
        else if (arr) cJSON_AddItemToArray(arr, build_json(&o, &r, acct));
        else if (c.json) cli_print_json(build_json(&o, &r, acct));
        else if (!c.quiet) build_text(&o, &r, acct);
    }
    sl_store_close(s);
    if (all && !rc) cli_print_json(all);
    else cJSON_Delete(all);
    return rc;
}

/* Address text of chain `chain` to its key: with --chain (chain) that chain; else by its
 * form: a 0x or T... address on the store's first account chain that has it, anything else
 * on the Bitcoin-family chain (so a mistyped Bitcoin address is explained). */
static int resolve(const cli_common *c, sl_store *s, const char *chain, const char *text, sl_addr_ref *a)
{
    sl_error e = {0};
    bool acct_form = (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) || text[0] == 'T';
    if (sl_addr_resolve(s, chain ? chain : acct_form ? NULL : "btc", text, a, &e)) return cli_fail(c, &e);
    return EXIT_OK;
}

/* Opens the clustering of chain id `chain` of s. */
static int open_cluster(const cli_common *c, sl_store *s, uint16_t chain, sl_cluster **cl)
{
    const sl_chain_def *d = sl_chain_by_id(chain);
    sl_error e = {0};
    if (sl_cluster_open_chain(s, d && d->model == SL_MODEL_ACCOUNT ? d->name : NULL, cl, &e)) return cli_fail(c, &e);
    return EXIT_OK;
}

/* Address (chain, id) as its chain writes it, or "#id". */
static void addr_text(sl_store *s, uint16_t chain, uint32_t id, char out[100])
{
    if (sl_addr_format(s, (sl_addr_ref){chain, id}, out, 100)) snprintf(out, 100, "#%u", id);
}

/* Transaction id tx of chain `chain` as the chain writes it (a txid; a 0x hash; Tron's
 * hash without 0x) into out; *height gets its block's height (number), false when unknown. */
static bool tx_text(sl_store *s, uint16_t chain, uint64_t tx, char out[100], uint64_t *height)
{
    const sl_chain_def *d = sl_chain_by_id(chain);
    sl_eth_chain *c;
    const sl_eth_txrec *t;
    sl_error e = {0};
    if (!d || d->model != SL_MODEL_ACCOUNT) {
        const sl_btc_blockrec *br = sl_btc_block_at(s, sl_btc_tx_block(s, tx));
        sl_hash_hex(out, sl_btc_txid(s, tx));
        *height = br ? br->height : 0;
        return br && br->height != SL_NONE32;
    }
    if (sl_eth_chain_open(s, d->name, &c, &e) || !(t = sl_eth_tx_at(c, tx))) {
        snprintf(out, 100, "#%" PRIu64, tx);
        return false;
    }
    bool tron = !strcmp(d->name, "tron");
    if (!tron) out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + (tron ? 0 : 2), t->hash.b, 32);
    *height = sl_eth_block_at(c, t->block)->number;
    return true;
}

typedef struct guard_print {
    sl_store *s;
    uint16_t chain;
    cJSON *arr;
    uint64_t n;
} guard_print;

static int print_guard(void *ctx, const sl_cluster_guard_ev *g)
{
    guard_print *p = ctx;
    char a[100], b[100], tx[100];
    uint64_t height;
    addr_text(p->s, p->chain, g->a, a);
    addr_text(p->s, p->chain, g->b, b);
    tx_text(p->s, p->chain, g->tx, tx, &height);
    p->n++;
    if (p->arr) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "reason", g->reason == SL_GUARD_TAG ? "tag-conflict" : "size");
        cJSON_AddBoolToObject(o, "applied", g->applied);
        cJSON_AddStringToObject(o, "tx", tx);
        cJSON_AddStringToObject(o, "heuristic", sl_heuristic_name((sl_heuristic)g->heuristic) ? sl_heuristic_name((sl_heuristic)g->heuristic) : "?");
        cJSON_AddStringToObject(o, "a", a);
        cJSON_AddStringToObject(o, "b", b);
        jnum(o, "cluster_a", g->root_a);
        jnum(o, "size_a", g->size_a);
        jnum(o, "cluster_b", g->root_b);
        jnum(o, "size_b", g->size_b);
        cJSON_AddItemToArray(p->arr, o);
    } else {
        printf("  GUARD %s %s: tx %s (%s) %s ~ %s: clusters %u (%u addresses) and %u (%u)\n",
               g->reason == SL_GUARD_TAG ? "tag conflict" : "size", g->applied ? "merged" : "NOT merged", tx,
               sl_heuristic_name((sl_heuristic)g->heuristic) ? sl_heuristic_name((sl_heuristic)g->heuristic) : "?", a, b,
               g->root_a, g->size_a, g->root_b, g->size_b);
    }
    return 0;
}

static int cluster_show(int argc, char **argv)
{
    cli_lookup l;
    sl_cluster *cl = NULL;
    uint32_t id = 0, *mem = NULL;
    uint64_t size = 0, v;
    uint16_t chain = SL_CHAIN_BTC;
    size_t got;
    int rc = cli_lookup_open(&l, argc, argv,
                             "sleuth cluster show --store DIR [--chain CHAIN] (ADDRESS | CLUSTER_ID) [--json] [--limit N] "
                             "[--offset N]", true, chain_ok);
    sl_error e = {0};
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    if (l.chain) chain = sl_chain_by_name(chain_arg(l.chain))->id;
    if (cli_parse_u64(l.arg, &v)) { /* an address is never all digits */
        if ((rc = open_cluster(&l.c, l.s, chain, &cl))) goto out;
        if (v > UINT32_MAX || !sl_cluster_exists(cl, (uint32_t)v, &size)) {
            sl_err(&e, SL_ENOTFOUND, "%s is not a cluster id of the %s chain (a cluster's id is its smallest address id%s)",
                   l.arg, sl_chain_by_id(chain)->name, l.chain ? "" : "; an account chain's needs --chain");
            rc = cli_fail(&l.c, &e);
            goto out;
        }
        id = (uint32_t)v;
    } else {
        sl_addr_ref a;
        if ((rc = resolve(&l.c, l.s, l.chain ? chain_arg(l.chain) : NULL, l.arg, &a))) goto out;
        chain = a.chain;
        if ((rc = open_cluster(&l.c, l.s, chain, &cl))) goto out;
        if (sl_cluster_of(cl, a, &id, &size)) {
            sl_err(&e, SL_ENOTFOUND, "%s is not covered by the clustering yet: run `sleuth cluster build`", l.arg);
            rc = cli_fail(&l.c, &e);
            goto out;
        }
    }
    if (!(mem = sl_malloc((l.limit ? l.limit : 1) * sizeof *mem))) {
        sl_err(&e, SL_ENOMEM, "out of memory");
        rc = cli_fail(&l.c, &e);
        goto out;
    }
    got = sl_cluster_members(cl, id, l.offset, mem, l.limit);
    {
        char first[100];
        guard_print gp = {l.s, chain, NULL, 0};
        /* the cluster's best tag from the store's tag db (GraphSense's rule, sl_cluster_best_tag) */
        sl_cluster_tag tag;
        const sl_chain_def *cd = sl_chain_by_id(chain);
        const sl_cluster_tagger *tg =
            cli_tags_cluster_tagger(l.s, l.c.store, cd && cd->model == SL_MODEL_ACCOUNT ? cd->name : "btc");
        bool tagged = tg && sl_cluster_best_tag(cl, id, tg, 0, &tag, NULL) == 1;
        cli_tags_cluster_done();
        addr_text(l.s, chain, id, first);
        if (l.c.json) {
            cJSON *j = cJSON_CreateObject(), *m;
            cJSON_AddStringToObject(j, "chain", sl_chain_by_id(chain)->name);
            jnum(j, "id", id);
            cJSON_AddStringToObject(j, "id_address", first);
            jnum(j, "size", size);
            sl_json_cluster_tag(j, "tag", tagged ? &tag : NULL);
            jnum(j, "offset", l.offset);
            jnum(j, "limit", l.limit);
            m = cJSON_AddArrayToObject(j, "members");
            for (size_t i = 0; i < got; i++) {
                char a[100];
                cJSON *o = cJSON_CreateObject();
                addr_text(l.s, chain, mem[i], a);
                jnum(o, "id", mem[i]);
                cJSON_AddStringToObject(o, "address", a);
                cJSON_AddItemToArray(m, o);
            }
            gp.arr = cJSON_AddArrayToObject(j, "guard");
            if (sl_cluster_guard_each(cl, id, print_guard, &gp)) {
                cJSON_Delete(j);
                sl_err(&e, SL_EIO, "cannot read the guard log");
                rc = cli_fail(&l.c, &e);
                goto out;
            }
            cli_print_json(j);
        } else {
            if (chain == SL_CHAIN_BTC) printf("cluster %u (%s): %" PRIu64 " address%s\n", id, first, size, size == 1 ? "" : "es");
            else printf("%s cluster %u (%s): %" PRIu64 " address%s\n", sl_chain_by_id(chain)->name, id, first, size,
                        size == 1 ? "" : "es");
            if (tagged)
                cli_wrapf(4, "tag: %s [%s] (%s, confidence %u%s)", tag.label, tag.category[0] ? tag.category : "-",
                          tag.source, tag.confidence, tag.is_cluster_definer ? ", cluster definer" : "");
            else printf("tag: none known\n");
            printf("members %" PRIu64 "..%" PRIu64 " of %" PRIu64 ":\n", got ? l.offset + 1 : 0, l.offset + got, size);
            for (size_t i = 0; i < got; i++) {
                char a[100];
                addr_text(l.s, chain, mem[i], a);
                printf("  %s\n", a);
            }
            if (l.offset + got < size) printf("  ... %" PRIu64 " more (--offset %" PRIu64 ")\n", size - l.offset - got, l.offset + got);
            if (sl_cluster_guard_each(cl, id, print_guard, &gp)) {
                sl_err(&e, SL_EIO, "cannot read the guard log");
                rc = cli_fail(&l.c, &e);
                goto out;
            }
            if (!gp.n) printf("guard: no flagged merge\n");
        }
    }
    rc = EXIT_OK;
out:
    sl_free(mem);
    sl_cluster_close(cl);
    sl_store_close(l.s);
    return rc;
}

static int cluster_why(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"json", 0, 0, 'j'}, {"chain", 1, 0, 'c'},
                                         {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_store *s = NULL;
    sl_cluster *cl = NULL;
    sl_addr_ref a, b;
    sl_merge_edge *path = NULL;
    const char *chain = NULL;
    size_t n = 0;
    sl_error e = {0};
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'j': c.json = true; break;
        case 'c':
            if (!(chain = chain_arg(optarg))) return cli_usage("--chain: unknown chain '%s'", optarg);
            break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return usage_err();
        }
    }
    if (optind != argc - 2) return usage_err();
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
    if ((rc = resolve(&c, s, chain, argv[optind], &a)) || (rc = resolve(&c, s, chain, argv[optind + 1], &b))) goto out;
    if (a.chain != b.chain) {
        sl_err(&e, SL_ENOTFOUND, "%s and %s are addresses of two chains (%s, %s): never one cluster", argv[optind],
               argv[optind + 1], sl_chain_by_id(a.chain)->name, sl_chain_by_id(b.chain)->name);
        rc = cli_fail(&c, &e);
        goto out;
    }
    if ((rc = open_cluster(&c, s, a.chain, &cl))) goto out;
    if (sl_cluster_why(cl, a, b, &path, &n, &e)) {
        rc = cli_fail(&c, &e);
        goto out;
    }
    {
        uint32_t id;
        cJSON *j = NULL, *arr = NULL;
        const char *cname = sl_chain_by_id(a.chain)->name;
        sl_cluster_of(cl, a, &id, NULL);
        if (c.json) {
            j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "chain", cname);
            cJSON_AddStringToObject(j, "a", argv[optind]);
            cJSON_AddStringToObject(j, "b", argv[optind + 1]);
            jnum(j, "cluster", id);
            jnum(j, "hops", n);
            arr = cJSON_AddArrayToObject(j, "path");
        } else {
            cli_wrapf(4, "%s and %s are in %s%scluster %u: %zu merge%s", argv[optind], argv[optind + 1],
                      a.chain == SL_CHAIN_BTC ? "" : cname, a.chain == SL_CHAIN_BTC ? "" : " ", id, n, n == 1 ? "" : "s");
        }
        for (size_t i = 0; i < n; i++) {
            char x[100], y[100], tx[100];
            const char *h = sl_heuristic_name((sl_heuristic)path[i].heuristic);
            uint64_t height;
            bool has_height;
            addr_text(s, a.chain, path[i].a.id, x);
            addr_text(s, a.chain, path[i].b.id, y);
            has_height = tx_text(s, a.chain, path[i].tx.id, tx, &height);
            if (arr) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "from", x);
                cJSON_AddStringToObject(o, "to", y);
                cJSON_AddStringToObject(o, "tx", tx);
                jnum_or_null(o, "height", height, has_height);
                cJSON_AddStringToObject(o, "heuristic", h ? h : "?");
                jnum(o, "confidence", path[i].confidence);
                cJSON_AddItemToArray(arr, o);
            } else {
                printf("  %zu. %s\n     ~ %s\n     %s (confidence %u), tx\n       %s\n", i + 1, x, y, h ? h : "?",
                       path[i].confidence, tx);
            }
        }
        if (j) cli_print_json(j);
    }
    rc = EXIT_OK;
out:
    sl_free(path);
    sl_cluster_close(cl);
    sl_store_close(s);
    return rc;
}

int cmd_cluster(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "build")) return cluster_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show")) return cluster_show(argc - 1, argv + 1);
    if (!strcmp(argv[1], "why")) return cluster_why(argc - 1, argv + 1);
    fprintf(stderr, "sleuth: unknown cluster command '%s'\n", argv[1]);
    return usage_err();
}
