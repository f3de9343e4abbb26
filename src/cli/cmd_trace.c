/* cmd_trace.c — `sleuth trace`: parses the options into a trace request (report.h), runs
 * it through the library (sl_report_trace_run: the source is looked up on every chain of
 * the store) and prints the library's report: text, or --json, and --graph writes the
 * traced subgraph as JSON, GEXF (Gephi) or DOT (Graphviz). One command shape for every
 * chain; nothing here knows a chain. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sleuth/report.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"

/* What a source, a policy and --stop-at mean: in `sleuth --help` and `sleuth trace --help`. */
const char CLI_TRACE_HELP[] =
    "  --tx TXID:N traces output N. --tx TXID alone traces ALL the outputs of the transaction,\n"
    "    the sender's own change included; the report opens with the outputs it took.\n"
    "  --address ADDR traces all the address received (from --since TIME on). On account chains\n"
    "    --tx 0xHASH traces what the transaction moved in one asset (--asset, else its first),\n"
    "    --tx 0xHASH:N its flow N. The source is looked up on every chain of the store.\n"
    "  --policy: how taint is split where tainted and clean value mix (default haircut)\n"
    "    poison   any taint taints every output whole: an upper bound (clean value: \"absorbed\")\n"
    "    haircut  each output carries the tainted fraction of what it was paid from\n"
    "    fifo     first in, first out: inputs pay outputs in order (accounts: oldest deposits)\n"
    "    lifo     last in, first out: the newest value leaves first\n"
    "    tiho     taint in, highest out: tainted value goes to the largest outputs first\n"
    "  --stop-at CATEGORY,...: tag categories (lower-case words joined by commas, no spaces:\n"
    "    exchange,mixer) whose addresses end the trace as endpoints (status \"tagged\"): a tag's\n"
    "    category, abuse or concept, or mixer, bridge, dex, sanctioned, thief (sleuth tags).\n"
    "    A store without a tag db: nothing is tagged, the trace runs as without it, it says so.\n"
    "  --link FILE: cross-chain pairs an analyst declares (a CSV: from_chain,from_txid,\n"
    "    from_address,from_amount,to_chain,to_txid,to_address,to_amount,note): the trace crosses\n"
    "    them, and the report shows each crossing as the analyst's assertion.\n"
    "  Crossings in chain data are followed by default: THORChain swaps (an inbound's memo\n"
    "    matched to the outbound whose OUT:/REFUND: memo names it, on any chain of the store)\n"
    "    and DEX swaps (Uniswap V2/V3 Swap events); an inbound whose outbound the store lacks\n"
    "    ends the trace (\"crossed\"). A --link line for the same payment wins.\n"
    "  --no-crossings: follow only the --link file's pairs.\n";

static const char HELP[] =
    "usage: sleuth trace --store DIR (--tx TXID[:N] | --address ADDR [--since TIME])\n"
    "          [--policy poison|haircut|fifo|lifo|tiho] [--direction forward|backward]\n"
    "          [--max-hops N] [--min-amount N] [--until TIME] [--stop-at CATEGORY,...]\n"
    "          [--max-nodes N] [--top N] [--chain NAME] [--asset ETH|USDT|0xCONTRACT]\n"
    "          [--link FILE.csv] [--no-crossings] [--json] [--graph FILE.json|FILE.gexf|FILE.dot]\n"
    "  The same on every chain: TXID is a txid or a 0x hash, N an output (account chains: a\n"
    "  flow as `sleuth tx` numbers it), ADDR any chain's address; --min-amount in base units.\n"
    "  TIME: unix seconds or YYYY-MM-DD[THH:MM:SSZ]. Default: haircut, forward, 1,000,000 nodes.\n"
    "  --graph writes the traced subgraph (Gephi: .gexf, Graphviz: .dot) with amounts, times and\n"
    "  status on nodes and edges.\n\n";

/* A --stop-at list: categories of lower-case letters, digits, '_' and '-' (as tag packs
 * name them), separated by single commas. A space or an empty item is a typo to report,
 * not a category that silently matches nothing. */
static bool stop_at_ok(const char *s)
{
    size_t run = 0;
    for (; *s; s++) {
        if (*s == ',') { if (!run) return false; run = 0; continue; }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) return false;
        run++;
    }
    return run > 0;
}

typedef struct trace_opts {
    cli_common c;
    sl_trace_req rq;
    const char *graph;
} trace_opts;

/* One option into o: 0, or the exit code of a usage error (or of --help). */
static int option(trace_opts *o, int ch, const char *arg)
{
    sl_trace_params *p = &o->rq.params;
    uint64_t v;
    switch (ch) {
    case 's': o->c.store = arg; return 0;
    case 't': o->rq.tx = arg; return 0;
    case 'a': o->rq.address = arg; return 0;
    case 'A': o->rq.asset = arg; return 0;
    case 'C': o->rq.chain = arg; return 0;
    case 'L': o->rq.links = arg; return 0;
    case 'X': o->rq.no_crossings = true; return 0;
    case 'S': return sl_time_parse(arg, 0, false, &p->since) ? 0 : cli_usage("--since: not a time: %s", arg);
    case 'u': return sl_time_parse(arg, 0, false, &p->until) ? 0 : cli_usage("--until: not a time: %s", arg);
    case 'p': return sl_policy_parse(arg, &p->policy) ? cli_usage("unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", arg) : 0;
    case 'd':
        if (strcmp(arg, "forward") && strcmp(arg, "backward")) return cli_usage("--direction is forward or backward");
        p->backward = !strcmp(arg, "backward");
        return 0;
    case 'H': return cli_number("--max-hops", arg, 0, UINT32_MAX, false, &v) ? EXIT_USAGE : (p->max_hops = (uint32_t)v, 0);
    case 'm': return cli_parse_u64(arg, &p->min_amount) ? 0 : cli_usage("--min-amount takes an amount in base units");
    case 'n': return cli_number("--max-nodes", arg, 1, UINT64_MAX, false, &p->max_nodes) ? EXIT_USAGE : 0;
    case 'T': return cli_number("--top", arg, 0, 1000000000, false, &o->rq.top) ? EXIT_USAGE : 0;
    case 'x':
        if (!stop_at_ok(arg))
            return cli_usage("--stop-at takes tag categories separated by commas (exchange,mixer,...): '%s'", arg);
        p->stop_at = arg;
        return 0;
    case 'j': o->c.json = true; return 0;
    case 'q': o->c.quiet = true; return 0;
    case 'g':
        if (!sl_report_graph_format(arg)) return cli_usage("--graph FILE must end in .json, .gexf or .dot");
        o->graph = o->rq.graph_path = arg;
        return 0;
    case 'h': fputs(HELP, stdout), fputs(CLI_TRACE_HELP, stdout); return -1;
    default: fputs(HELP, stderr); return EXIT_USAGE;
    }
}

/* The options into o: 0 to go on, else the exit code (-1: --help was printed). */
static int parse(trace_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'},      {"tx", 1, 0, 't'},      {"address", 1, 0, 'a'},   {"asset", 1, 0, 'A'},
        {"since", 1, 0, 'S'},      {"policy", 1, 0, 'p'},  {"direction", 1, 0, 'd'}, {"max-hops", 1, 0, 'H'},
        {"min-amount", 1, 0, 'm'}, {"until", 1, 0, 'u'},   {"stop-at", 1, 0, 'x'},   {"max-nodes", 1, 0, 'n'},
        {"json", 0, 0, 'j'},       {"graph", 1, 0, 'g'},   {"top", 1, 0, 'T'},       {"help", 0, 0, 'h'},
        {"quiet", 0, 0, 'q'},      {"chain", 1, 0, 'C'},   {"link", 1, 0, 'L'},
        {"no-crossings", 0, 0, 'X'}, {0, 0, 0, 0}};
    int ch, rc;
    memset(o, 0, sizeof *o);
    o->c.store = getenv("SLEUTH_STORE");
    o->rq.params.policy = SL_POLICY_HAIRCUT;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if ((rc = option(o, ch, optarg))) return rc;
    if (optind != argc) { fputs(HELP, stderr); return cli_usage("unexpected argument '%s'", argv[optind]); }
    if (!o->c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (!!o->rq.tx == !!o->rq.address) return cli_usage("give exactly one source: --tx TXID[:N] or --address ADDR");
    o->rq.params.no_edges = !o->c.json && !o->graph; /* text output does not list flows */
    return 0;
}

static int write_graph(const sl_trace_report *rep, const char *path, sl_error *e)
{
    FILE *f = fopen(path, "w");
    int rc;
    if (!f) return sl_err(e, SL_EIO, "%s: cannot write", path);
    rc = sl_report_trace_graph(rep, f, sl_report_graph_format(path), e);
    if (fclose(f) != 0 && !rc) rc = sl_err(e, SL_EIO, "%s: write failed", path);
    return rc;
}

int cmd_trace(int argc, char **argv)
{
    trace_opts o;
    sl_trace_report rep;
    sl_error e = {0};
    sl_store *s = NULL;
    int rc = parse(&o, argc, argv);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (sl_store_open(&s, o.c.store, SL_STORE_RDONLY, &e)) return cli_fail(&o.c, &e);
    cli_tags_trace(&o.rq, s, o.c.store);
    rc = sl_report_trace_run(s, &o.rq, &rep, &e);
    if (!rc && o.graph) rc = write_graph(&rep, o.graph, &e);
    if (!rc) rc = o.c.json ? sl_report_trace_json(&rep, stdout, &e) : sl_report_trace_text(&rep, stdout, &e);
    sl_report_trace_free(&rep);
    cli_tags_trace_done();
    sl_store_close(s);
    return rc ? cli_fail(&o.c, &e) : EXIT_OK;
}
