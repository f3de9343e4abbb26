/* cmd_detect.c — `sleuth detect` (issue 12): from an incident of the tag store, an address
 * or a transaction, follow the loot over every chain of the store and report the
 * laundering stages the detectors recognise (laundering.h) and the addresses the thief
 * controls. Opens the store, its tag db and its annotations read-only; a store without
 * them runs with what it has and the report says so. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/annot.h"
#include "sleuth/laundering.h"
#include "sleuth/store.h"
#include "sleuth/tags.h"

static const char HELP[] =
    "usage: sleuth detect --store DIR (--incident NAME | --address ADDR | --tx TXID[:N])\n"
    "          [--chain C] [--kinds k1,k2] [--policy P] [--max-hops N] [--dormant-days N]\n"
    "          [--link FILE.csv] [--json] [--quiet]\n"
    "  Follows the loot forward over every chain of the store (haircut by default, 64 hops,\n"
    "  through THORChain swaps and DEX swaps the store holds; tagged services end the trace)\n"
    "  and reports the laundering stages it recognises, each with its rule, the values that\n"
    "  triggered it and a confidence, then the suspect addresses: every address the loot\n"
    "  reached that is no service and received at least 0.1% of it.\n"
    "  --incident NAME: the incident's theft_tx tags (else its exploiter addresses) in the\n"
    "    store's tag db (sleuth tags import). --kinds: fan-out, peel-chain, consolidation,\n"
    "    rapid-hops, dormancy, still-dormant, coinjoin, tornado, dex-swap, thorchain-swap,\n"
    "    bridge, exchange-deposit, otc. --dormant-days: idle time of dormancy (default 30).\n"
    "  --link FILE: cross-chain pairs an analyst declares (the CSV of sleuth trace --link), added\n"
    "    to the crossings the store holds.\n"
    "  Rules, thresholds and sources: docs/LAUNDERING.md \"Detectors\".\n";

typedef struct detect_opts {
    cli_common c;
    const char *incident, *address, *tx, *chain, *kinds, *link;
    sl_detect_params p;
} detect_opts;

static int parse(detect_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'},    {"incident", 1, 0, 'i'}, {"address", 1, 0, 'a'},      {"tx", 1, 0, 't'},
        {"chain", 1, 0, 'C'},    {"kinds", 1, 0, 'k'},    {"policy", 1, 0, 'p'},       {"max-hops", 1, 0, 'H'},
        {"dormant-days", 1, 0, 'D'}, {"json", 0, 0, 'j'}, {"quiet", 0, 0, 'q'},        {"help", 0, 0, 'h'},
        {"link", 1, 0, 'L'},
        {0, 0, 0, 0}};
    int ch;
    uint64_t v;
    sl_error e = {0};
    memset(o, 0, sizeof *o);
    sl_detect_params_default(&o->p);
    o->c.store = getenv("SLEUTH_STORE");
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': o->c.store = optarg; break;
        case 'i': o->incident = optarg; break;
        case 'a': o->address = optarg; break;
        case 't': o->tx = optarg; break;
        case 'C': o->chain = optarg; break;
        case 'k':
            if (sl_det_kinds_parse(optarg, &o->p.kinds, &e)) return cli_usage("%s", e.msg);
            break;
        case 'p':
            if (sl_policy_parse(optarg, &o->p.policy)) return cli_usage("unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", optarg);
            break;
        case 'H':
            if (cli_number("--max-hops", optarg, 1, 100000, false, &v)) return EXIT_USAGE;
            o->p.max_hops = (uint32_t)v;
            break;
        case 'D':
            if (cli_number("--dormant-days", optarg, 1, 36500, false, &v)) return EXIT_USAGE;
            o->p.dormant_days = (uint32_t)v;
            break;
        case 'L': o->link = optarg; break;
        case 'j': o->c.json = true; break;
        case 'q': o->c.quiet = true; break;
        case 'h': fputs(HELP, stdout); return -1;
        default: fputs(HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) { fputs(HELP, stderr); return cli_usage("unexpected argument '%s'", argv[optind]); }
    if (!o->c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (!!o->incident + !!o->address + !!o->tx != 1)
        return cli_usage("give exactly one start: --incident NAME, --address ADDR or --tx TXID[:N]");
    return 0;
}

int cmd_detect(int argc, char **argv)
{
    detect_opts o;
    sl_error e = {0};
    sl_store *s = NULL;
    sl_flow_set *fs = NULL;
    sl_tags *tags = NULL;
    sl_annot *a = NULL;
    sl_detect_input in = {0};
    sl_detect_result r = {0};
    sl_trace_links links = {0};
    bool ran = false;
    int rc = parse(&o, argc, argv);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (sl_store_open(&s, o.c.store, SL_STORE_RDONLY, &e)) return cli_fail(&o.c, &e);
    if ((rc = sl_flow_set_open(&fs, s, &e))) goto out;
    if (sl_tags_exists(o.c.store) && sl_tags_open(&tags, o.c.store, SL_TAGS_RDONLY, &e)) {
        if (e.code == SL_ENOMEM) { rc = e.code; goto out; }
        if (!o.c.quiet) fprintf(stderr, "sleuth: note: the tag db cannot be read (%s): no services are known\n", e.msg);
        tags = NULL;
        sl_err_clear(&e);
    }
    if (sl_annot_open(&a, s, &e)) {
        if (e.code == SL_ENOMEM) { rc = e.code; goto out; }
        if (!o.c.quiet && e.code != SL_ENOTFOUND)
            fprintf(stderr, "sleuth: note: the annotations cannot be read (%s): no memos, events or gas prices\n", e.msg);
        a = NULL;
        sl_err_clear(&e);
    }
    if (o.incident) rc = sl_detect_input_incident(fs, tags, o.incident, &in, &e);
    else if (o.address) rc = sl_detect_input_address(fs, o.chain, o.address, &in, &e);
    else rc = sl_detect_input_tx(fs, o.chain, o.tx, &in, &e);
    if (rc) goto out;
    if (o.link && (rc = sl_trace_links_load(&links, fs, o.link, &e))) goto out;
    o.p.extra_links = links.n ? &links : NULL;
    o.p.store = s;
    if ((rc = sl_detect_run(fs, a, tags, &in, &o.p, &r, &e))) goto out;
    ran = true;
    if (o.c.json) {
        cJSON *j = sl_detect_json(&r, &in, fs, s);
        if (!j) { rc = sl_err(&e, SL_ENOMEM, "out of memory"); goto out; }
        cli_print_json(j);
    } else if ((rc = sl_detect_text(stdout, &r, &in, fs, s))) {
        sl_err(&e, rc, "writing the report failed");
    }
out:
    if (ran) sl_detect_free(&r);
    sl_detect_input_free(&in);
    sl_trace_links_free(&links);
    sl_annot_close(a);
    sl_tags_close(tags);
    sl_flow_set_close(fs);
    sl_store_close(s);
    return rc ? cli_fail(&o.c, &e) : EXIT_OK;
}
