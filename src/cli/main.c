/* main.c — the `sleuth` command: dispatches to the subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_safe.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} CMDS[] = {
    {"ingest", cmd_ingest, "ingest btc --store DIR PATH...   read blk*.dat files, a blocks/ folder, raw blocks\n"
               "  sleuth ingest eth|tron --store DIR PATH... | --rpc URL --from N --to M   Ethereum-family chains, Tron"},
    {"info", cmd_info, "info --store DIR [--json]         what the store holds"},
    {"block", cmd_block, "block --store DIR HASH|HEIGHT     one block"},
    {"tx", cmd_tx, "tx --store DIR TXID               one transaction, inputs linked to outputs"},
    {"address", cmd_address, "address --store DIR ADDRESS      balance and history of an address"},
    {"trace", cmd_trace, "trace --store DIR --tx TXID[:VOUT]|--address A  follow the money (--policy, --direction)"},
    {"safe", sl_cmd_safe, "safe verify FILE.json|-            check a Safe multisig transaction before signing it"},
};

static void usage(FILE *f)
{
    fprintf(f, "sleuth — blockchain forensics engine\n\nusage: sleuth COMMAND [options]\n\n");
    for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++) fprintf(f, "  sleuth %s\n", CMDS[i].help);
    fprintf(f, "\nCommon options: --store DIR (or $SLEUTH_STORE), --json, --quiet. `sleuth COMMAND --help` for more.\n"
               "Exit codes: 0 ok, 1 failure (bad input, not found), 2 usage error; `safe verify`: 3 high or\n"
               "critical finding, 4 medium finding.\n");
}

int main(int argc, char **argv)
{
    /* past `ulimit -f` a write then fails with EFBIG, which is reported in words ("file
     * size limit reached at FILE"), instead of the signal killing the process */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (size_t i = 0; i < sizeof CMDS / sizeof *CMDS; i++)
        if (!strcmp(argv[1], CMDS[i].name)) return CMDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sleuth: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
