/* cmd_gen.c — `sleuth gen world`: writes a generated world (sleuth/gen.h, docs/WORLDS.md)
 * and prints what it wrote (a line of counts, or with --json an object). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/gen.h"

static const char HELP[] =
    "usage: sleuth gen world --recipe dmm|bybit --seed N --out DIR [--background-txs N] [--scale X]\n"
    "                        [--quiet] [--json]\n"
    "  Writes a deterministic synthetic world into DIR (created; must not hold a world already):\n"
    "  btc/ (regtest blocks), eth/ (JSON-RPC dumps), tron/ (a GraphSense-style export), tags/\n"
    "  (services, the incident, the USDT bridge's pairing rule), incidents.yaml, truth.json,\n"
    "  truth-addresses.csv. --background-txs: ordinary transactions over the three chains, a\n"
    "  fifth on Tron (default 20000); --scale: multiplies the stolen amount (default 1). The\n"
    "  same seed and options give the same bytes. See docs/WORLDS.md.\n";

int cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {{"recipe", 1, 0, 'r'}, {"seed", 1, 0, 's'}, {"out", 1, 0, 'o'},
                                         {"background-txs", 1, 0, 'b'}, {"scale", 1, 0, 'x'},
                                         {"quiet", 0, 0, 'q'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    sl_gen_opts o = {0};
    sl_gen_stats st = {0};
    cli_common c = {NULL, false, false};
    sl_error e = {0};
    bool have_seed = false;
    int ch, rc;
    if (argc < 2 || strcmp(argv[1], "world") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) { fputs(HELP, stdout); return EXIT_OK; }
        fputs(HELP, stderr);
        return EXIT_USAGE;
    }
    argc--, argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'r': o.recipe = optarg; break;
        case 's':
            if ((rc = cli_number("--seed", optarg, 0, UINT64_MAX, false, &o.seed))) return rc;
            have_seed = true;
            break;
        case 'o': o.out = optarg; break;
        case 'b':
            if ((rc = cli_number("--background-txs", optarg, 100, 100000000, false, &o.background_txs))) return rc;
            break;
        case 'x': {
            char *end;
            o.scale = strtod(optarg, &end);
            if (end == optarg || *end || !(o.scale >= 0.001 && o.scale <= 10))
                return cli_usage("gen world: --scale '%s' is not a number from 0.001 to 10", optarg);
            break;
        }
        case 'q': o.quiet = c.quiet = true; break;
        case 'j': c.json = true; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: fputs(HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage("gen world: unexpected argument '%s'", argv[optind]);
    if (!o.recipe) return cli_usage("gen world: --recipe dmm|bybit is required");
    if (strcmp(o.recipe, "dmm") && strcmp(o.recipe, "bybit"))
        return cli_usage("gen world: unknown recipe '%s' (dmm or bybit)", o.recipe);
    if (!have_seed) return cli_usage("gen world: --seed N is required");
    if (!o.out) return cli_usage("gen world: --out DIR is required");
    if ((rc = sl_gen_world(&o, &st, &e))) return cli_fail(&c, &e);
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        jnum(j, "btc_blocks", st.btc_blocks);
        jnum(j, "btc_txs", st.btc_txs);
        jnum(j, "eth_blocks", st.eth_blocks);
        jnum(j, "eth_txs", st.eth_txs);
        jnum(j, "tron_blocks", st.tron_blocks);
        jnum(j, "tron_txs", st.tron_txs);
        jnum(j, "thief_txs", st.thief_txs);
        jnum(j, "addresses", st.addresses);
        cli_print_json(j);
    } else if (!c.quiet) {
        printf("world %s seed %llu in %s: bitcoin %llu blocks %llu txs, ethereum %llu blocks %llu txs,\n"
               "  tron %llu blocks %llu txs, %llu thief txs, %llu addresses\n",
               o.recipe, (unsigned long long)o.seed, o.out, (unsigned long long)st.btc_blocks,
               (unsigned long long)st.btc_txs, (unsigned long long)st.eth_blocks, (unsigned long long)st.eth_txs,
               (unsigned long long)st.tron_blocks, (unsigned long long)st.tron_txs,
               (unsigned long long)st.thief_txs, (unsigned long long)st.addresses);
    }
    return EXIT_OK;
}
