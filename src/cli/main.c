/* main.c — the `sleuth` command: dispatches to the subcommands, prints the overview
 * (`sleuth --help`, fitted to 100 columns) and the version (`sleuth --version`). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_safe.h"
#include "sleuth/store.h"
#include "sleuth/util.h"
#include "sleuth/version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} CMDS[] = {
    {"ingest", cmd_ingest, "ingest btc --store DIR PATH...        blk*.dat files, a blocks/ folder, raw blocks\n"
               "  sleuth ingest eth|tron --store DIR PATH...   JSON-RPC dumps, ethereum-etl/GraphSense exports\n"
               "  sleuth ingest eth --store DIR --rpc URL --from N --to M   a live node's JSON-RPC"},
    {"rollback", cmd_rollback, "rollback --store DIR --chain CHAIN --to HEIGHT   undo the blocks above HEIGHT (a reorg)"},
    {"info", cmd_info, "info    --store DIR                   every chain the store holds"},
    {"block", cmd_block, "block   --store DIR HASH|HEIGHT       one block (account chains: --chain NAME)"},
    {"tx", cmd_tx, "tx      --store DIR TXID|0xHASH       one transaction, inputs linked to outputs"},
    {"address", cmd_address, "address --store DIR ADDRESS           balance and history of an address"},
    {"cluster", cmd_cluster, "cluster build|show|why --store DIR ...  address clusters of every chain, with evidence"},
    {"trace", cmd_trace, "trace   --store DIR --tx TXID[:N] | --address ADDR   follow the money"},
    {"tags", cmd_tags, "tags    import|add|show|export --store DIR   the tag store (TagPacks, OFAC SDN, label CSVs)"},
    {"incidents", cmd_incidents, "incidents --store DIR [NAME]          the incident library (thefts, their addresses)"},
    {"link", cmd_link, "link    --store DIR SET_A SET_B       what two thefts, clusters or address sets share"},
    {"deposits", cmd_deposits, "deposits --store DIR --chain ethereum|tron   evidence of exchange deposits and hot wallets"},
    {"detect", cmd_detect, "detect  --store DIR --incident NAME|--address A|--tx T   laundering stages, suspects"},
    {"incident", cmd_incident, "incident report|compare --store DIR NAME...  an incident's laundering report"},
    {"gen", cmd_gen, "gen world --recipe dmm|bybit --seed N --out DIR   a generated world with ground truth"},
    {"exposure", cmd_exposure, "exposure build --store DIR [--policy P] [--max-hops N]   precompute screening"},
    {"screen", cmd_screen, "screen  --store DIR ADDRESS|TXID|@FILE   exposure to stolen, sanctioned, mixed funds"},
    {"watchlist", cmd_watchlist, "watchlist add|list|remove --store DIR ...   addresses, outputs, taint sets"},
    {"watch", cmd_watch, "watch   --store DIR [--btc-rpc URL] [--eth-rpc URL]   follow the tips, raise alerts"},
    {"alerts", cmd_alerts, "alerts  --store DIR [--since T]       the alerts raised (JSON lines with --json)"},
    {"serve", cmd_serve, "serve   --store DIR [--listen 127.0.0.1:8080]   the HTTP JSON API (/v1)"},
    {"token", cmd_token, "token   create|list|revoke --store DIR   API tokens (roles read, analyst, admin)"},
    {"safe", sl_cmd_safe, "safe verify FILE.json|-               check a Safe multisig transaction before signing"},
};

static void usage(FILE *f)
{
    fprintf(f, "sleuth %s - blockchain forensics engine (Bitcoin, Ethereum family, Tron)\n\n"
               "usage: sleuth COMMAND [options]     sleuth COMMAND --help     sleuth --version\n\n",
            SLEUTH_VERSION);
    for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++) fprintf(f, "  sleuth %s\n", CMDS[i].help);
    fprintf(f, "\nTracing (sleuth trace --help for every option):\n%s", CLI_TRACE_HELP);
    fprintf(f, "\nCommon options: --store DIR (or $SLEUTH_STORE); --json: one JSON document on stdout\n"
               "(docs/JSON.md); --quiet. Text output is for people and fits 100 columns.\n"
               "Exit codes: 0 ok, 1 failure (bad input, not found), 2 usage error; `safe verify`: 3 high\n"
               "or critical finding (do not sign), 4 medium finding.\n");
}

const char *cli_oom_note;

int main(int argc, char **argv)
{
    /* past `ulimit -f` a write then fails with EFBIG, which is reported in words ("file
     * size limit reached at FILE"), instead of the signal killing the process */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("sleuth %s\nstore format %d\n", SLEUTH_VERSION, SL_STORE_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++)
        if (!strcmp(argv[1], CMDS[i].name)) {
            int rc = CMDS[i].fn(argc - 1, argv + 1);
            /* a command that succeeded although an allocation failed may have printed an
             * incomplete answer (a cJSON member or a line it could not build): it fails */
            if (rc == EXIT_OK && sl_alloc_failures()) {
                fflush(stdout);
                fprintf(stderr, "sleuth: out of memory: the output may be incomplete%s%s\n", cli_oom_note ? "; " : "",
                        cli_oom_note ? cli_oom_note : "");
                return EXIT_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "sleuth: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
