/* cmd_btc.c — `sleuth block`, `tx`, `address`: their options, and which chain model the
 * argument goes to. A command whose words name an account chain (--chain, a 0x hash, a
 * 0x or T-address) is cmd_eth.c's; the rest look on Bitcoin first, and a block or tx the
 * store does not hold as Bitcoin on its account chains. The reports themselves are the
 * library's (sleuth/report.h: src/report/btc_lookup.c, eth_lookup.c). */
#include <string.h>

#include "cli.h"

static int lookup_rc(int rc) { return rc > 0 ? EXIT_OK : -rc; }

/* True when the command names an account chain: --chain, or a 0x block or tx hash. */
static bool wants_account_chain(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--chain", 7) || (argv[i][0] == '0' && (argv[i][1] == 'x' || argv[i][1] == 'X')))
            return true;
    return false;
}

/* Any word of the command is an account chain's address or hash. */
static bool has_eth_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_eth_arg(argv[i])) return true;
    return false;
}

int cmd_block(int argc, char **argv)
{
    cli_lookup l;
    int rc;
    if (wants_account_chain(argc, argv)) return cmd_block_eth(argc, argv);
    rc = cli_lookup_open(&l, argc, argv,
                         "sleuth block --store DIR HASH|HEIGHT [--chain NAME] [--json] [--limit N --offset N]", true, NULL);
    if (rc) return lookup_rc(rc);
    return cli_report(&l, SL_REPORT_ANY, sl_report_block_text, sl_report_block_json);
}

int cmd_tx(int argc, char **argv)
{
    cli_lookup l;
    int rc;
    if (has_eth_arg(argc, argv) || wants_account_chain(argc, argv)) return cmd_tx_eth(argc, argv);
    rc = cli_lookup_open(&l, argc, argv, "sleuth tx --store DIR TXID [--chain NAME] [--json]", true, NULL);
    if (rc) return lookup_rc(rc);
    return cli_report(&l, SL_REPORT_ANY, sl_report_tx_text, sl_report_tx_json);
}

int cmd_address(int argc, char **argv)
{
    cli_lookup l;
    int rc;
    if (has_eth_arg(argc, argv)) return cmd_address_eth(argc, argv);
    rc = cli_lookup_open(&l, argc, argv, "sleuth address --store DIR ADDRESS [--json] [--limit N --offset N]", true, NULL);
    if (rc) return lookup_rc(rc);
    return cli_report(&l, SL_REPORT_ANY, sl_report_address_text, sl_report_address_json);
}
