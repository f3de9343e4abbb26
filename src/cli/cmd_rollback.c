/* cmd_rollback.c — `sleuth rollback`: undoes the last blocks of a chain in the store (a
 * reorg: the node's tip moved to another branch), so the new branch can be ingested:
 * the Bitcoin-family chain (sl_btc_rollback) or an account chain (sl_eth_rollback). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"

static const char HELP[] =
    "usage: sleuth rollback --store DIR --chain CHAIN --to HEIGHT [--json] [--quiet]\n"
    "  Removes every block stored above HEIGHT (and, on Bitcoin, blocks of unknown height\n"
    "  ingested after them; refused when a block at or below HEIGHT was ingested after one\n"
    "  above it), exactly: balances, histories, spends and look-ups are as they were before\n"
    "  those blocks came. Then ingest the new branch. CHAIN is btc (the store's Bitcoin-family\n"
    "  chain, whatever its network) or an account chain: ethereum (or eth), bsc, polygon,\n"
    "  avalanche, arbitrum, base, tron; HEIGHT is then the number of the last block to keep.\n";

/* An account chain: the store is opened to write only when it holds that chain, so a
 * rollback of a chain the store lacks leaves it untouched. */
static int rollback_account(const cli_common *c, const char *chain, uint64_t number)
{
    sl_error e = {0};
    sl_store *s = NULL;
    sl_eth_chain *ch;
    sl_eth_rollback_report r;
    if (sl_store_open(&s, c->store, SL_STORE_RDONLY, &e) || sl_eth_chain_open(s, chain, &ch, &e)) {
        sl_store_close(s);
        return cli_fail(c, &e);
    }
    sl_store_close(s);
    if (sl_store_open(&s, c->store, SL_STORE_WRITE, &e) || sl_eth_chain_open(s, chain, &ch, &e) ||
        sl_eth_rollback(ch, number, &r, &e)) {
        sl_store_close(s);
        return cli_fail(c, &e);
    }
    sl_store_close(s);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "chain", chain);
        jnum(j, "from_height", r.from_number);
        jnum_or_null(j, "to_height", r.to_number, !r.emptied);
        jnum(j, "blocks_removed", r.blocks_removed);
        jnum(j, "txs_removed", r.txs_removed);
        jnum(j, "flows_removed", r.flows_removed);
        cli_print_json(j);
    } else if (!c->quiet) {
        if (r.blocks_removed && r.emptied)
            printf("rolled back %llu %s blocks (%llu txs, %llu flows): the store holds no %s block now\n",
                   (unsigned long long)r.blocks_removed, chain, (unsigned long long)r.txs_removed,
                   (unsigned long long)r.flows_removed, chain);
        else if (r.blocks_removed)
            printf("rolled back %llu %s blocks (%llu txs, %llu flows): highest block %llu -> %llu\n",
                   (unsigned long long)r.blocks_removed, chain, (unsigned long long)r.txs_removed,
                   (unsigned long long)r.flows_removed, (unsigned long long)r.from_number,
                   (unsigned long long)r.to_number);
        else
            printf("nothing to roll back: the highest stored %s block is %llu\n", chain,
                   (unsigned long long)r.from_number);
    }
    return EXIT_OK;
}

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
    if (!chain) return cli_usage("rollback: --chain is required (btc, ethereum, bsc, polygon, avalanche, arbitrum, base, tron)");
    if (!to) return cli_usage("rollback: --to HEIGHT is required (the height of the last block to keep)");
    if (!strcmp(chain, "eth")) chain = "ethereum";
    if (strcmp(chain, "btc") != 0) {
        if (!sl_eth_chain_by_name(chain))
            return cli_usage("rollback: unknown chain '%s' (btc, ethereum, bsc, polygon, avalanche, arbitrum, base, tron)",
                             chain);
        if (cli_number("--to", to, 0, UINT64_MAX - 1, false, &height)) return EXIT_USAGE;
        return rollback_account(&c, chain, height);
    }
    if (cli_number("--to", to, 0, UINT32_MAX - 1, false, &height)) return EXIT_USAGE;
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
