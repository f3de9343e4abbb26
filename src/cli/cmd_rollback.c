/* cmd_rollback.c — `sleuth rollback`: undoes the last blocks of a chain in the store (a
 * reorg: the node's tip moved to another branch), so the new branch can be ingested. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/store.h"

static const char HELP[] =
    "usage: sleuth rollback --store DIR --chain btc --to HEIGHT [--json] [--quiet]\n"
    "  Removes every block stored above HEIGHT (and blocks of unknown height ingested after\n"
    "  them; refused when a block at or below HEIGHT was ingested after one above it), exactly:\n"
    "  balances, histories, spends and look-ups are as they were before those blocks came.\n"
    "  Then ingest the new branch. --chain btc means the store's Bitcoin-family chain\n"
    "  (whatever its network); account chains (eth, tron) cannot be rolled back yet.\n";

int cmd_rollback(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"chain", 1, 0, 'c'}, {"to", 1, 0, 't'},
                                         {"json", 0, 0, 'j'},  {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    const char *chain = NULL, *to = NULL;
    uint64_t height;
    sl_error e = {0};
    sl_store *s = NULL;
    sl_btc_rollback_report r;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'c': chain = optarg; break;
        case 't': to = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: fputs(HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage("rollback: unexpected argument '%s'", argv[optind]);
    if (!c.store) return cli_usage("rollback: --store DIR is required");
    if (!chain) return cli_usage("rollback: --chain is required (btc)");
    if (!to) return cli_usage("rollback: --to HEIGHT is required (the height of the last block to keep)");
    if (cli_number("--to", to, 0, UINT32_MAX - 1, false, &height)) return EXIT_USAGE;
    if (strcmp(chain, "btc") != 0) {
        if (!strcmp(chain, "eth") || !strcmp(chain, "tron") || !strncmp(chain, "eth", 3))
            return cli_usage("rollback: account chains (%s) cannot be rolled back yet; only btc", chain);
        return cli_usage("rollback: unknown chain '%s' (btc)", chain);
    }
    if (sl_store_open(&s, c.store, SL_STORE_WRITE, &e)) return cli_fail(&c, &e);
    if (sl_btc_rollback(s, (uint32_t)height, &r, &e)) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    sl_store_close(s);
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "chain", "btc");
        jnum(j, "from_height", r.from_height);
        jnum_or_null(j, "to_height", r.blocks_removed ? r.to_height : r.from_height, !r.emptied);
        jnum(j, "blocks_removed", r.blocks_removed);
        jnum(j, "txs_removed", r.txs_removed);
        cli_print_json(j);
    } else if (!c.quiet) {
        if (r.blocks_removed && r.emptied)
            printf("rolled back %llu blocks (%llu txs): the store holds no block with a height now\n",
                   (unsigned long long)r.blocks_removed, (unsigned long long)r.txs_removed);
        else if (r.blocks_removed)
            printf("rolled back %llu blocks (%llu txs): highest height %u -> %u\n", (unsigned long long)r.blocks_removed,
                   (unsigned long long)r.txs_removed, r.from_height, r.to_height);
        else
            printf("nothing to roll back: the highest stored height is %u\n", r.from_height);
    }
    return EXIT_OK;
}
