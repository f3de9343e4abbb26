/* cmd_eth.c — the Ethereum-family and Tron commands: `sleuth ingest eth|tron` (files,
 * folders or a live node) and the options of the `block` / `tx` / `address` look-ups for
 * numbers, 0x hashes, 0x addresses and Tron T-addresses, whose reports (text, and JSON
 * whose keys are the contract in docs/ETH.md) are the library's (src/report/eth_lookup.c).
 * `ingest tron` also judges the blocks it added against the watchlist (docs/WATCH.md, "Tron"). */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/eth_store.h"
#include "sleuth/ingest.h"
#include "sleuth/text.h"
#include "sleuth/util.h"
#include "sleuth/watch.h"

static const char INGEST_HELP[] =
    "usage: sleuth ingest eth  --store DIR [--chain ethereum|bsc|polygon|avalanche|arbitrum|base]\n"
    "                          [--quiet] [--json] PATH...\n"
    "       sleuth ingest eth  --store DIR [--chain NAME] --rpc URL --from N --to M\n"
    "       sleuth ingest tron --store DIR PATH...\n"
    "  PATH: JSON-RPC responses (eth_getBlockByNumber with full transactions, eth_getBlockReceipts,\n"
    "        eth_getTransactionReceipt, trace_block, debug_traceBlockByNumber callTracer), JSON-lines\n"
    "        dumps of those, ethereum-etl / GraphSense exports (JSON lines or CSV), folders of them, .zst\n";

static int ingest(int argc, char **argv, const char *default_chain)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"chain", 1, 0, 'c'}, {"rpc", 1, 0, 'r'},
                                         {"from", 1, 0, 'f'},  {"to", 1, 0, 't'},    {"json", 0, 0, 'j'},
                                         {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},  {"batch-flows", 1, 0, 'b'},
                                         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_eth_ingest_opts io = {0};
    sl_eth_ingest_report r;
    sl_error e = {0};
    sl_store *s = NULL;
    bool have_from = false, have_to = false;
    uint64_t first = UINT64_MAX;
    int ch, rc;
    io.chain = default_chain;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'c': io.chain = optarg; break;
        case 'r': io.rpc_url = optarg; break;
        case 'f': case 't': case 'b': {
            uint64_t v;
            if (cli_number(ch == 'f' ? "--from" : ch == 't' ? "--to" : "--batch-flows", optarg, 0, UINT64_MAX, true, &v))
                return EXIT_USAGE;
            if (ch == 'f') io.from = v, have_from = true;
            else if (ch == 't') io.to = v, have_to = true;
            else io.batch_flows = v ? v : 1;
            break;
        }
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(INGEST_HELP, stdout); return EXIT_OK;
        default: fputs(INGEST_HELP, stderr); return EXIT_USAGE;
        }
    }
    io.quiet = c.quiet;
    if (!c.store) return cli_usage("ingest: --store DIR is required");
    if (!sl_eth_chain_by_name(io.chain)) return cli_usage("unknown chain '%s' (ethereum, bsc, polygon, avalanche, arbitrum, base, tron)", io.chain);
    if (!strcmp(default_chain, "tron") != !strcmp(io.chain, "tron"))
        return cli_usage("use `sleuth ingest tron` for Tron and `sleuth ingest eth` for the others");
    if (io.rpc_url) {
        if (!have_from || !have_to) return cli_usage("ingest: --rpc needs --from N and --to M");
        if (optind != argc) return cli_usage("ingest: give either --rpc or PATHs, not both");
    } else if (optind >= argc) {
        return cli_usage("ingest: give at least one PATH (or --rpc URL --from N --to M)");
    }
    /* an ingest allocates and frees a segment's arrays (tens of MB) dozens of times: with
     * glibc's sliding mmap threshold they come to live in the heap, which keeps what it
     * was given, and the resident size crept up with the number of segments (82 MB at
     * 1,000 generated blocks, 93 at 5,000); from mmap they go back when freed (62 MB at
     * both), at no measurable cost */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if ((rc = sl_store_open(&s, c.store, SL_STORE_WRITE, &e))) return cli_fail(&c, &e);
    if (!strcmp(io.chain, "tron")) {
        /* Tron is watched by judging what its ingest adds (the watcher follows no Tron
         * node): the blocks from this index on */
        sl_eth_chain *ec = NULL;
        if ((rc = sl_eth_chain_open(s, io.chain, &ec, &e))) {
            sl_store_close(s);
            return cli_fail(&c, &e);
        }
        first = sl_eth_meta_get(ec)->n_blocks;
    }
    if (io.rpc_url) rc = sl_ingest_eth_rpc(s, &io, &r, &e);
    else rc = sl_ingest_eth(s, (const char *const *)argv + optind, argc - optind, &io, &r, &e);
    if (rc) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    cli_oom_note = "the blocks were ingested and committed";
    if (first != UINT64_MAX) {
        uint64_t raised = 0;
        if (sl_watch_after_ingest(s, c.store, io.chain, first, c.quiet, &raised, &e)) {
            sl_store_close(s);
            sl_err_prefix(&e, "the blocks were ingested and committed, but judging them for the watchlist failed: ");
            return cli_fail(&c, &e);
        }
        if (raised && !c.quiet)
            fprintf(stderr, "sleuth: %" PRIu64 " watchlist alerts raised (sleuth alerts; docs/WATCH.md, \"Tron\")\n", raised);
    }
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "chain", io.chain);
        jnum(j, "files", r.files);
        jnum(j, "bytes", r.bytes);
        jnum(j, "blocks_seen", r.blocks_seen);
        jnum(j, "blocks_added", r.blocks_added);
        jnum(j, "blocks_already_stored", r.blocks_known);
        jnum(j, "txs_added", r.txs_added);
        jnum(j, "flows_added", r.flows_added);
        jnum(j, "internal_transfers", r.internal);
        jnum(j, "token_transfers", r.token);
        jnum(j, "commits", r.commits);
        cJSON_AddNumberToObject(j, "seconds", r.seconds);
        cJSON_AddNumberToObject(j, "parse_seconds", r.parse_seconds);
        cli_print_json(j);
    } else {
        cli_wrapf(4, "ingested %" PRIu64 " %s blocks (%" PRIu64 " txs, %" PRIu64 " flows: %" PRIu64 " internal, %" PRIu64
                  " token) from %" PRIu64 " inputs, %.1f" SL_TEXT_NBSP "MB in %.2f" SL_TEXT_NBSP "s",
               r.blocks_added, io.chain, r.txs_added, r.flows_added, r.internal, r.token, r.files, (double)r.bytes / 1e6,
               r.seconds);
        if (r.blocks_known) printf("skipped: %" PRIu64 " blocks already stored\n", r.blocks_known);
    }
    sl_store_close(s);
    cli_tags_after_ingest(c.store);
    return EXIT_OK;
}

int cmd_ingest_eth(int argc, char **argv) { return ingest(argc, argv, "ethereum"); }
int cmd_ingest_tron(int argc, char **argv) { return ingest(argc, argv, "tron"); }

/* ---------------- look-ups ---------------- */

static bool known_chain(const char *name) { return sl_eth_chain_by_name(name) != NULL; }

/* A look-up on the account chains (--chain, or the first chain of the store that has it). */
static int eth_lookup(int argc, char **argv, const char *usage, cli_report_text_fn text, cli_report_json_fn json)
{
    cli_lookup l;
    int rc = cli_lookup_open(&l, argc, argv, usage, true, known_chain);
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    return cli_report(&l, SL_MODEL_ACCOUNT, text, json);
}

int cmd_tx_eth(int argc, char **argv)
{
    return eth_lookup(argc, argv, "sleuth tx --store DIR 0xHASH [--chain NAME] [--json]", sl_report_tx_text,
                      sl_report_tx_json);
}

int cmd_block_eth(int argc, char **argv)
{
    return eth_lookup(argc, argv, "sleuth block --store DIR NUMBER|0xHASH [--chain NAME] [--json] [--limit N --offset N]",
                      sl_report_block_text, sl_report_block_json);
}

int cmd_address_eth(int argc, char **argv)
{
    return eth_lookup(argc, argv,
                      "sleuth address --store DIR 0xADDRESS|T-ADDRESS [--chain NAME] [--json] [--limit N --offset N]",
                      sl_report_address_text, sl_report_address_json);
}
