/* cmd_watch.c — `sleuth watchlist add|list|remove`, `sleuth watch` (follow the nodes'
 * tips, print every alert as one JSON line) and `sleuth alerts` (list, acknowledge): the
 * front end of the watch module (watch.h, docs/WATCH.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sleuth/util.h"
#include "sleuth/watch.h"

static const char WL_HELP[] =
    "usage: sleuth watchlist add --store DIR (--address A | --cluster CHAIN:ID | --output TXID:N |\n"
    "                                         --incident NAME [--policy P]) [--chain C]\n"
    "                                         [--asset ETH|USDT|0xCONTRACT] [--min-amount X]\n"
    "                                         [--label L] [--json]\n"
    "       sleuth watchlist list --store DIR [--json]\n"
    "       sleuth watchlist remove --store DIR ID [--json]\n"
    "  What `sleuth watch` raises alerts for: an address (its funds move), a cluster of\n"
    "  `sleuth cluster build`, one output (it is spent), or the taint set of an incident\n"
    "  (every output its theft reached under the policy, haircut by default, that holds at\n"
    "  least --min-amount; the set follows the funds as blocks arrive). On account chains\n"
    "  tokens are watched too; --asset watches one asset only. --min-amount is in the chain's\n"
    "  coin (0.1 = 0.1 BTC or 0.1 ETH; tokens then alert at any amount), or with --asset in\n"
    "  that asset's unit (--asset USDT --min-amount 1000: 1000 USDT; a token sleuth knows no\n"
    "  decimals of: its base units). Moves below it raise no alert.\n";

static const char WATCH_HELP[] =
    "usage: sleuth watch --store DIR [--btc-rpc URL] [--eth-rpc URL] [--eth-chain NAME]\n"
    "          [--network NET] [--confirmations N|CHAIN=N,...] [--undo-blocks K]\n"
    "          [--webhook URL] [--webhook-secret-file FILE] [--webhook-retries N]\n"
    "          [--poll SECONDS] [--once] [--quiet]\n"
    "  Follows the nodes' tips over JSON-RPC (--btc-rpc: a Bitcoin Core-compatible node,\n"
    "  http://user:pass@127.0.0.1:8332; --eth-rpc: an Ethereum-style node), ingests every\n"
    "  block with N confirmations (default 1: the tip) into the store, and prints one JSON\n"
    "  line per alert or retraction (a reorg removed the block that raised an alert) on\n"
    "  stdout, exactly once across reorgs and restarts. --confirmations: N for every chain,\n"
    "  CHAIN=N for one (btc=6,ethereum=12; 3,ethereum=12), repeatable. --undo-blocks: the\n"
    "  deepest reorg handled (default 100). Every alert is queued; --webhook POSTs the queue\n"
    "  there in order (alerts of runs without it too), each once, signed with HMAC-SHA256\n"
    "  (X-Sleuth-Signature: sha256=HEX; the secret from the file or $SLEUTH_WEBHOOK_SECRET),\n"
    "  retried until delivered (--once: N more rounds, default 4; 0: none, the rest stays\n"
    "  queued). --once: catch up, then exit. docs/WATCH.md.\n";

static const char ALERTS_HELP[] =
    "usage: sleuth alerts --store DIR [--since TIME | --since-id N] [--limit N] [--ack ID] [--json]\n"
    "  Lists the alerts and retractions `sleuth watch` raised, oldest first (--limit: default\n"
    "  1000); --since: raised at or after TIME: unix seconds, an ISO-8601 date or time\n"
    "  (2026-12-08, 2026-12-08T05:00:00Z, +02:00; no zone: UTC) or an age (30m, 24h, 7d, 2w);\n"
    "  --since-id: after alert N. --ack ID marks alert ID acknowledged.\n";

/* The text line of one alert document. */
static void alert_line(const cJSON *a)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(a, "watch");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "type"));
    const char *tx = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "tx"));
    const char *addr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "address"));
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "label"));
    printf("#%-5.0f %-10s %-7s %-5s h%-8.0f %.16s...:%.0f  %s %s  watch %.0f %s%s%s%s%s\n",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "id")), type ? type : "?",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "event")) ?: "",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "chain")) ?: "",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "height")), tx ? tx : "",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "index")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "amount")) ?: "",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "unit")) ?: "",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(w, "id")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "kind")) ?: "", addr ? " " : "", addr ? addr : "",
           label ? "  " : "", label ? label : "");
}

/* The text line of one watchlist entry. */
static void entry_line(const cJSON *x)
{
    const char *chain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "chain"));
    const char *min = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "min_amount"));
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "label"));
    printf("%-4.0f %-8s %s  chain %s  min %s  items %.0f%s%s\n", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "id")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "kind")) ?: "",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "target")) ?: "", chain ? chain : "any",
           min ? min : "none", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "items")), label ? "  " : "",
           label ? label : "");
}

/* What a change of one entry printed: {"KEY": id} with --json, else the sentence fmt (one
 * %llu: the id), nothing with --quiet. */
static int done_line(const cli_common *c, const char *key, uint64_t id, const char *fmt)
{
    if (c->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, key, (double)id);
        cli_print_json(doc);
    } else if (!c->quiet) {
        printf(fmt, (unsigned long long)id);
    }
    return EXIT_OK;
}

static int wl_add(cli_common *c, sl_watch_spec *sp)
{
    sl_error e = {0};
    sl_store *s = NULL;
    sl_watch *w = NULL;
    cJSON *out = NULL;
    int rc;
    /* the store is read when it exists: an address or output may be watched before any
     * block is ingested, a cluster or an incident needs it */
    rc = sl_store_open(&s, c->store, SL_STORE_RDONLY, &e);
    if (rc && rc != SL_ENOTFOUND) return cli_fail(c, &e);
    sl_err_clear(&e);
    if (sl_watch_open(&w, c->store, SL_WATCH_WRITE, &e) || sl_watchlist_add(w, s, c->store, sp, &out, &e)) {
        sl_watch_close(w);
        sl_store_close(s);
        return cli_fail(c, &e);
    }
    sl_watch_close(w);
    sl_store_close(s);
    if (c->json) cli_print_json(out);
    else {
        if (!c->quiet) entry_line(out);
        cJSON_Delete(out);
    }
    return EXIT_OK;
}

int cmd_watchlist(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'},     {"address", 1, 0, 'a'}, {"cluster", 1, 0, 'c'}, {"output", 1, 0, 'o'},
        {"incident", 1, 0, 'i'},  {"policy", 1, 0, 'p'},  {"chain", 1, 0, 'C'},   {"min-amount", 1, 0, 'm'},
        {"label", 1, 0, 'l'},     {"json", 0, 0, 'j'},    {"quiet", 0, 0, 'q'},   {"help", 0, 0, 'h'},
        {"asset", 1, 0, 'A'},     {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_watch_spec sp;
    const char *sub;
    int ch, kinds = 0;
    sl_error e = {0};
    memset(&sp, 0, sizeof sp);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(WL_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    sub = argv[1];
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove"))
        return cli_usage("watchlist: unknown subcommand '%s' (add, list, remove)", sub);
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'a': sp.kind = "address", sp.target = optarg, kinds++; break;
        case 'c': sp.kind = "cluster", sp.target = optarg, kinds++; break;
        case 'o': sp.kind = "output", sp.target = optarg, kinds++; break;
        case 'i': sp.kind = "incident", sp.target = optarg, kinds++; break;
        case 'p': sp.policy = optarg; break;
        case 'C': sp.chain = optarg; break;
        case 'm': sp.min_amount = optarg; break;
        case 'A': sp.asset = optarg; break;
        case 'l': sp.label = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(WL_HELP, stdout); return EXIT_OK;
        default: fputs(WL_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (!c.store) return cli_usage("watchlist: --store DIR is required");
    if (!strcmp(sub, "add")) {
        if (optind < argc) return cli_usage("watchlist add: unexpected argument '%s'", argv[optind]);
        if (kinds != 1) return cli_usage("watchlist add: give one of --address, --cluster, --output, --incident");
        return wl_add(&c, &sp);
    }
    if (kinds || sp.policy || sp.chain || sp.min_amount || sp.label || sp.asset)
        return cli_usage("watchlist %s: takes only --store, --json, --quiet%s", sub, sub[0] == 'r' ? " and the ID" : "");
    {
        sl_watch *w = NULL;
        cJSON *doc = NULL;
        if (!strcmp(sub, "remove")) {
            uint64_t id;
            if (optind + 1 != argc) return cli_usage("watchlist remove: give the ID of one entry");
            if (cli_number("ID", argv[optind], 1, INT64_MAX, false, &id)) return EXIT_USAGE;
            if (sl_watch_open(&w, c.store, SL_WATCH_WRITE, &e) || sl_watchlist_remove(w, (int64_t)id, &e)) {
                sl_watch_close(w);
                return cli_fail(&c, &e);
            }
            sl_watch_close(w);
            return done_line(&c, "removed", id, "removed watchlist entry %llu\n");
        }
        if (optind < argc) return cli_usage("watchlist list: unexpected argument '%s'", argv[optind]);
        if (sl_watch_open(&w, c.store, SL_WATCH_RDONLY, &e)) {
            if (e.code != SL_ENOTFOUND) return cli_fail(&c, &e);
            doc = cJSON_CreateObject();
            cJSON_AddArrayToObject(doc, "watchlist");
        } else if (sl_watchlist_json(w, &doc, &e)) {
            sl_watch_close(w);
            return cli_fail(&c, &e);
        }
        sl_watch_close(w);
        if (c.json) cli_print_json(doc);
        else {
            const cJSON *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "watchlist")) entry_line(x);
            if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "watchlist")) && !c.quiet)
                printf("the watchlist is empty (sleuth watchlist add)\n");
            cJSON_Delete(doc);
        }
        return EXIT_OK;
    }
}

/* Reads the webhook secret file (its first line). */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f) return cli_usage("--webhook-secret-file %s: %s", path, strerror(errno));
    n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = 0;
    out[strcspn(out, "\r\n")] = 0;
    if (!out[0]) return cli_usage("--webhook-secret-file %s: empty", path);
    return EXIT_OK;
}

int cmd_watch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'},   {"btc-rpc", 1, 0, 'b'},  {"eth-rpc", 1, 0, 'e'},       {"eth-chain", 1, 0, 'E'},
        {"network", 1, 0, 'n'}, {"confirmations", 1, 0, 'c'}, {"undo-blocks", 1, 0, 'u'}, {"webhook", 1, 0, 'w'},
        {"webhook-secret-file", 1, 0, 'W'}, {"webhook-retries", 1, 0, 'r'}, {"poll", 1, 0, 'p'}, {"once", 0, 0, 'o'}, {"quiet", 0, 0, 'q'},
        {"json", 0, 0, 'j'},    {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_watch_opts o;
    sl_error e = {0};
    static char secret[512];
    uint64_t v;
    int ch;
    memset(&o, 0, sizeof o);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'b': o.btc_rpc = optarg; break;
        case 'e': o.eth_rpc = optarg; break;
        case 'E': o.eth_chain = optarg; break;
        case 'n': o.network = optarg; break;
        case 'c':
            if (sl_watch_confirmations_parse(&o, optarg, &e)) return cli_usage("%s", e.msg);
            break;
        case 'r':
            if (cli_number("--webhook-retries", optarg, 0, 100, false, &v)) return EXIT_USAGE;
            o.webhook_retries = v ? (int)v : -1;
            break;
        case 'u':
            if (cli_number("--undo-blocks", optarg, 1, 1000000, false, &v)) return EXIT_USAGE;
            o.undo_blocks = (uint32_t)v;
            break;
        case 'w': o.webhook = optarg; break;
        case 'W':
            if (read_secret(optarg, secret, sizeof secret)) return EXIT_USAGE;
            o.webhook_secret = secret;
            break;
        case 'p': {
            char *end;
            errno = 0;
            o.poll_seconds = strtod(optarg, &end);
            if (*end || errno || !(o.poll_seconds >= 0.05 && o.poll_seconds <= 86400))
                return cli_usage("--poll: '%s' is not a number of seconds from 0.05 to 86400", optarg);
            break;
        }
        case 'o': o.once = true; break;
        case 'q': c.quiet = o.quiet = true; break;
        case 'j': c.json = true; break; /* the output is JSON lines already */
        case 'h': fputs(WATCH_HELP, stdout); return EXIT_OK;
        default: fputs(WATCH_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage("watch: unexpected argument '%s'", argv[optind]);
    if (!c.store) return cli_usage("watch: --store DIR is required");
    if (!o.btc_rpc && !o.eth_rpc) return cli_usage("watch: give --btc-rpc URL and/or --eth-rpc URL");
    o.store_dir = c.store;
    c.json = false; /* errors as text on stderr: stdout carries only alert lines */
    if (sl_watch_run(&o, &e)) return cli_fail(&c, &e);
    return EXIT_OK;
}

int cmd_alerts(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"since", 1, 0, 't'}, {"since-id", 1, 0, 'i'},
                                         {"limit", 1, 0, 'l'}, {"ack", 1, 0, 'a'},   {"by", 1, 0, 'b'},
                                         {"json", 0, 0, 'j'},  {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    uint64_t since = 0, since_id = 0, limit = 0, ack = 0;
    const char *by = NULL;
    sl_error e = {0};
    sl_watch *w = NULL;
    cJSON *doc = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 't':
            if (!sl_time_parse(optarg, (uint64_t)time(NULL), true, &since))
                return cli_usage("--since '%.30s': not a time (unix seconds, 2026-12-08, 2026-12-08T05:00:00Z, "
                                 "24h, 7d)", optarg);
            break;
        case 'i': if (cli_number("--since-id", optarg, 0, INT64_MAX, false, &since_id)) return EXIT_USAGE; break;
        case 'l': if (cli_number("--limit", optarg, 1, 1000000, false, &limit)) return EXIT_USAGE; break;
        case 'a': if (cli_number("--ack", optarg, 1, INT64_MAX, false, &ack)) return EXIT_USAGE; break;
        case 'b': by = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(ALERTS_HELP, stdout); return EXIT_OK;
        default: fputs(ALERTS_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage("alerts: unexpected argument '%s'", argv[optind]);
    if (!c.store) return cli_usage("alerts: --store DIR is required");
    if (ack) {
        if (sl_watch_open(&w, c.store, SL_WATCH_WRITE, &e) || sl_alert_ack(w, (int64_t)ack, by, &e)) {
            sl_watch_close(w);
            return cli_fail(&c, &e);
        }
        sl_watch_close(w);
        return done_line(&c, "acked", ack, "alert %llu acknowledged\n");
    }
    if (sl_watch_open(&w, c.store, SL_WATCH_RDONLY, &e)) {
        if (e.code != SL_ENOTFOUND) return cli_fail(&c, &e);
        doc = cJSON_CreateObject();
        cJSON_AddArrayToObject(doc, "alerts");
        cJSON_AddNumberToObject(doc, "next", (double)since_id);
    } else if (sl_alerts_json(w, (int64_t)since_id, since, limit, &doc, &e)) {
        sl_watch_close(w);
        return cli_fail(&c, &e);
    }
    sl_watch_close(w);
    if (c.json) {
        cli_print_json(doc);
    } else {
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "alerts")) alert_line(a);
        if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "alerts")) && !c.quiet) printf("no alerts\n");
        cJSON_Delete(doc);
    }
    return EXIT_OK;
}
