/* cmd_cluster.c — `sleuth cluster build|show|why`: the Bitcoin-family address
 * clustering of a store (sleuth/cluster.h). build brings it up to the store (incremental
 * after the first run) and prints a summary with the guard's events; show prints one
 * cluster (its id, size, members paged with their addresses, best tag, guard events);
 * why prints the chain of transactions and heuristics that put two addresses in one
 * cluster. docs/CLUSTERING.md explains the rules and the files.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/chains.h"
#include "sleuth/cluster.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

static const char HELP[] =
    "usage: sleuth cluster build --store DIR [--heuristics LIST] [--guard-size N] [--guard POLICY]\n"
    "                            [--from-scratch] [--json] [--quiet]\n"
    "       sleuth cluster show  --store DIR (ADDRESS | CLUSTER_ID) [--json] [--limit N] [--offset N]\n"
    "       sleuth cluster why   --store DIR ADDRESS_A ADDRESS_B [--json]\n"
    "  Clusters the Bitcoin-family addresses of the store: common-input ownership (multi-input,\n"
    "  CoinJoins excluded) and, as options, change heuristics. A cluster's id is its smallest\n"
    "  address id; build is incremental (only new transactions) unless the store was rolled\n"
    "  back below the last build or the options changed.\n"
    "  --heuristics LIST  comma-separated: multi-input (default), change:addr-type, change:one-time,\n"
    "                     change:round, change:optimal, change:peel\n"
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

static int cluster_build(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'},        {"heuristics", 1, 0, 'H'}, {"guard-size", 1, 0, 'g'},
                                         {"guard", 1, 0, 'p'},        {"from-scratch", 0, 0, 'f'}, {"json", 0, 0, 'j'},
                                         {"quiet", 0, 0, 'q'},        {"help", 0, 0, 'h'},       {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_cluster_opts o = sl_cluster_opts_default();
    sl_cluster_build_report r;
    sl_error e = {0};
    sl_store *s = NULL;
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
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
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
    /* the tag-conflict guard sees the store's tags (none: no tag guard) */
    if (!o.tagger) o.tagger = cli_tags_cluster_tagger(s, c.store);
    rc = sl_cluster_build(s, &o, &r, &e);
    cli_tags_cluster_done();
    sl_store_close(s);
    if (rc) return cli_fail(&c, &e);
    if (c.json) {
        cJSON *j = cJSON_CreateObject(), *h = cJSON_AddArrayToObject(j, "heuristics");
        for (unsigned k = 1; k < SL_H_COUNT; k++)
            if (o.heuristics & (1u << k)) cJSON_AddItemToArray(h, cJSON_CreateString(sl_heuristic_name((sl_heuristic)k)));
        cJSON_AddBoolToObject(j, "from_scratch", r.from_scratch);
        jstr_or_null(j, "why", r.from_scratch ? r.why : NULL);
        const struct { const char *key; uint64_t v; } nums[] = {
            {"tx_from", r.tx_from}, {"tx_to", r.tx_to}, {"inputs", r.inputs}, {"edges", r.edges},
            {"merges", r.merges}, {"change_edges", r.change_edges}, {"coinjoins_excluded", r.coinjoins},
            {"guard_events", r.guard_events}, {"guard_skipped", r.guard_skipped}, {"guard_size", o.guard_size},
            {"addresses", r.n_addr}, {"clusters", r.clusters}, {"multi_address_clusters", r.multi_clusters},
            {"largest_cluster", r.largest_id}, {"largest_size", r.largest_size}};
        for (size_t k = 0; k < sizeof nums / sizeof *nums; k++) jnum(j, nums[k].key, nums[k].v);
        cJSON_AddStringToObject(j, "guard_size_policy", o.guard_size_policy == SL_GUARD_SKIP ? "skip" : "apply");
        cJSON_AddStringToObject(j, "guard_tag_policy", o.guard_tag_policy == SL_GUARD_SKIP ? "skip" : "apply");
        cJSON_AddNumberToObject(j, "seconds", r.seconds);
        cli_print_json(j);
    } else if (!c.quiet) {
        if (r.from_scratch) printf("cluster build from scratch: %s\n", r.why);
        else printf("cluster build: incremental, transactions %" PRIu64 "..%" PRIu64 "\n", r.tx_from, r.tx_to);
        printf("  %" PRIu64 " transactions, %" PRIu64 " inputs in %.2f s; %" PRIu64 " CoinJoins excluded\n",
               r.tx_to - r.tx_from, r.inputs, r.seconds, r.coinjoins);
        printf("  %" PRIu64 " merge edges (%" PRIu64 " from change), %" PRIu64 " joined two clusters\n", r.edges,
               r.change_edges, r.merges);
        printf("  %" PRIu64 " addresses in %" PRIu64 " clusters (%" PRIu64 " with 2 or more); largest: %" PRIu32
               " with %" PRIu64 " addresses\n", r.n_addr, r.clusters, r.multi_clusters, r.largest_id, r.largest_size);
        if (r.guard_events)
            printf("  guard: %" PRIu64 " merges flagged (size >= %" PRIu32 " on both sides, or conflicting tags), %" PRIu64
                   " not applied; see `sleuth cluster show`\n", r.guard_events, o.guard_size, r.guard_skipped);
        else printf("  guard: no merge flagged\n");
    }
    return EXIT_OK;
}

/* Opens the store and the clustering for show and why. */
static int open_both(const cli_common *c, sl_store **s, sl_cluster **cl)
{
    sl_error e = {0};
    *s = NULL, *cl = NULL;
    if (sl_store_open(s, c->store, SL_STORE_RDONLY, &e) || sl_cluster_open(*s, cl, &e)) {
        sl_store_close(*s);
        *s = NULL;
        return cli_fail(c, &e);
    }
    return EXIT_OK;
}

static int resolve(const cli_common *c, sl_store *s, const char *text, sl_addr_ref *a)
{
    sl_error e = {0};
    if (sl_addr_resolve(s, "btc", text, a, &e)) return cli_fail(c, &e);
    return EXIT_OK;
}

typedef struct guard_print {
    sl_store *s;
    cJSON *arr;
    uint64_t n;
} guard_print;

static int print_guard(void *ctx, const sl_cluster_guard_ev *g)
{
    guard_print *p = ctx;
    char a[100], b[100], tx[65];
    if (sl_addr_format(p->s, (sl_addr_ref){SL_CHAIN_BTC, g->a}, a, sizeof a)) snprintf(a, sizeof a, "#%u", g->a);
    if (sl_addr_format(p->s, (sl_addr_ref){SL_CHAIN_BTC, g->b}, b, sizeof b)) snprintf(b, sizeof b, "#%u", g->b);
    sl_hash_hex(tx, sl_btc_txid(p->s, g->tx));
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
    size_t got;
    int rc = cli_lookup_open(&l, argc, argv, "sleuth cluster show --store DIR (ADDRESS | CLUSTER_ID) [--json] [--limit N] [--offset N]",
                             true, NULL);
    sl_error e = {0};
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    if ((rc = sl_cluster_open(l.s, &cl, &e))) {
        sl_store_close(l.s);
        return cli_fail(&l.c, &e);
    }
    if (cli_parse_u64(l.arg, &v)) { /* an address is never all digits */
        if (v > UINT32_MAX || !sl_cluster_exists(cl, (uint32_t)v, &size)) {
            sl_err(&e, SL_ENOTFOUND, "%s is not a cluster id (a cluster's id is its smallest address id)", l.arg);
            rc = cli_fail(&l.c, &e);
            goto out;
        }
        id = (uint32_t)v;
    } else {
        sl_addr_ref a;
        if ((rc = resolve(&l.c, l.s, l.arg, &a))) goto out;
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
        guard_print gp = {l.s, NULL, 0};
        /* the cluster's best tag from the store's tag db (GraphSense's rule, sl_cluster_best_tag) */
        sl_cluster_tag tag;
        const sl_cluster_tagger *tg = cli_tags_cluster_tagger(l.s, l.c.store);
        bool tagged = tg && sl_cluster_best_tag(cl, id, tg, 0, &tag, NULL) == 1;
        cli_tags_cluster_done();
        if (sl_addr_format(l.s, (sl_addr_ref){SL_CHAIN_BTC, id}, first, sizeof first)) snprintf(first, sizeof first, "#%u", id);
        if (l.c.json) {
            cJSON *j = cJSON_CreateObject(), *m;
            jnum(j, "id", id);
            cJSON_AddStringToObject(j, "id_address", first);
            jnum(j, "size", size);
            if (tagged) {
                cJSON *t = cJSON_AddObjectToObject(j, "tag");
                cJSON_AddStringToObject(t, "label", tag.label);
                jstr_or_null(t, "category", tag.category[0] ? tag.category : NULL);
                cJSON_AddStringToObject(t, "source", tag.source);
                cJSON_AddNumberToObject(t, "confidence_level", tag.confidence);
                cJSON_AddBoolToObject(t, "is_cluster_definer", tag.is_cluster_definer);
            } else cJSON_AddNullToObject(j, "tag");
            jnum(j, "offset", l.offset);
            jnum(j, "limit", l.limit);
            m = cJSON_AddArrayToObject(j, "members");
            for (size_t i = 0; i < got; i++) {
                char a[100];
                cJSON *o = cJSON_CreateObject();
                if (sl_addr_format(l.s, (sl_addr_ref){SL_CHAIN_BTC, mem[i]}, a, sizeof a)) snprintf(a, sizeof a, "#%u", mem[i]);
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
            printf("cluster %u (%s): %" PRIu64 " address%s\n", id, first, size, size == 1 ? "" : "es");
            if (tagged)
                cli_wrapf(4, "tag: %s [%s] (%s, confidence %u%s)", tag.label, tag.category[0] ? tag.category : "-",
                          tag.source, tag.confidence, tag.is_cluster_definer ? ", cluster definer" : "");
            else printf("tag: none known\n");
            printf("members %" PRIu64 "..%" PRIu64 " of %" PRIu64 ":\n", got ? l.offset + 1 : 0, l.offset + got, size);
            for (size_t i = 0; i < got; i++) {
                char a[100];
                if (sl_addr_format(l.s, (sl_addr_ref){SL_CHAIN_BTC, mem[i]}, a, sizeof a)) snprintf(a, sizeof a, "#%u", mem[i]);
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
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_store *s;
    sl_cluster *cl;
    sl_addr_ref a, b;
    sl_merge_edge *path = NULL;
    size_t n = 0;
    sl_error e = {0};
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'j': c.json = true; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: return usage_err();
        }
    }
    if (optind != argc - 2) return usage_err();
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if ((rc = open_both(&c, &s, &cl))) return rc;
    if ((rc = resolve(&c, s, argv[optind], &a)) || (rc = resolve(&c, s, argv[optind + 1], &b))) goto out;
    if (sl_cluster_why(cl, a, b, &path, &n, &e)) {
        rc = cli_fail(&c, &e);
        goto out;
    }
    {
        uint32_t id;
        cJSON *j = NULL, *arr = NULL;
        sl_cluster_of(cl, a, &id, NULL);
        if (c.json) {
            j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "a", argv[optind]);
            cJSON_AddStringToObject(j, "b", argv[optind + 1]);
            jnum(j, "cluster", id);
            jnum(j, "hops", n);
            arr = cJSON_AddArrayToObject(j, "path");
        } else {
            printf("%s and %s are in cluster %u: %zu merge%s\n", argv[optind], argv[optind + 1], id, n, n == 1 ? "" : "s");
        }
        for (size_t i = 0; i < n; i++) {
            char x[100], y[100], tx[65];
            const char *h = sl_heuristic_name((sl_heuristic)path[i].heuristic);
            if (sl_addr_format(s, path[i].a, x, sizeof x)) snprintf(x, sizeof x, "#%u", path[i].a.id);
            if (sl_addr_format(s, path[i].b, y, sizeof y)) snprintf(y, sizeof y, "#%u", path[i].b.id);
            sl_hash_hex(tx, sl_btc_txid(s, path[i].tx.id));
            if (arr) {
                cJSON *o = cJSON_CreateObject();
                uint32_t blk = sl_btc_tx_block(s, path[i].tx.id);
                const sl_btc_blockrec *br = sl_btc_block_at(s, blk);
                cJSON_AddStringToObject(o, "from", x);
                cJSON_AddStringToObject(o, "to", y);
                cJSON_AddStringToObject(o, "tx", tx);
                jnum_or_null(o, "height", br ? br->height : 0, br && br->height != SL_NONE32);
                cJSON_AddStringToObject(o, "heuristic", h ? h : "?");
                jnum(o, "confidence", path[i].confidence);
                cJSON_AddItemToArray(arr, o);
            } else {
                printf("  %zu. %s\n     ~ %s\n     %s in tx %s (confidence %u)\n", i + 1, x, y, h ? h : "?", tx,
                       path[i].confidence);
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
