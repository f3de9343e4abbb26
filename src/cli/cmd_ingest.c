/* cmd_ingest.c — `sleuth ingest btc`: reads block files into the store and reports what
 * was added, what was already there and what was kept aside. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/ingest.h"
#include "sleuth/store.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

static const char HELP[] =
    "usage: sleuth ingest btc --store DIR [--network NAME] [--prevouts FILE]... [--memory SIZE]\n"
    "                         [--address-table SIZE] [--quiet] [--json] PATH...\n"
    "  PATH: blk*.dat files, a Bitcoin Core blocks/ folder (xor.dat honoured), or raw blocks\n"
    "        (.bin, .hex, .zst)\n"
    "  --network   bitcoin (default), testnet, testnet4, signet, regtest, litecoin, litecoin-regtest\n"
    "  --prevouts  JSON spent-output views, so fees and input addresses of isolated blocks are known\n"
    "  --memory    budget for the ingest's memory (default: a quarter of RAM), e.g. 512M, 2.7G: sets the\n"
    "              batch size and bounds the address table's in-memory part (half the budget less the\n"
    "              unspent-output table, at least an eighth; older addresses move to sorted runs on\n"
    "              disk); the unspent-output table (~17 B per tx on the generated chain) must fit\n"
    "              (a note says when not)\n"
    "  --address-table  that bound itself (at least 64K)\n";

/* A size: bytes, or with a K, M, G suffix (powers of 1024); decimals allowed (2.7G). */
static bool parse_size(const char *arg, double min, uint64_t *out)
{
    char *end;
    double v = strtod(arg, &end);
    double mul = *end == 'K' || *end == 'k' ? 1024.0 : *end == 'M' || *end == 'm' ? 1048576.0
               : *end == 'G' || *end == 'g' ? 1073741824.0 : *end ? -1 : 1;
    if (end == arg || mul < 0 || (*end && end[1]) || !(v > 0) || v * mul < min || v * mul > 1e15) return false;
    *out = (uint64_t)(v * mul);
    return true;
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"network", 1, 0, 'n'}, {"prevouts", 1, 0, 'p'},
                                         {"json", 0, 0, 'j'},  {"quiet", 0, 0, 'q'},   {"help", 0, 0, 'h'},
                                         {"batch-mb", 1, 0, 'b'}, {"memory", 1, 0, 'm'},
                                         {"address-table", 1, 0, 'a'}, {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_ingest_opts io = {0};
    sl_ingest_report r;
    const char **pre = sl_calloc((size_t)argc + 1, sizeof *pre);
    sl_error e = {0};
    sl_store *s = NULL;
    int ch, rc;
    if (argc >= 2 && !strcmp(argv[1], "eth")) { sl_free(pre); return cmd_ingest_eth(argc - 1, argv + 1); }
    if (argc >= 2 && !strcmp(argv[1], "tron")) { sl_free(pre); return cmd_ingest_tron(argc - 1, argv + 1); }
    if (!pre) { fputs("sleuth: out of memory\n", stderr); return EXIT_FAIL; }
    io.prevouts = pre;
    if (argc < 2 || strcmp(argv[1], "btc") != 0) {
        sl_free(pre);
        if (argc >= 2 && !strcmp(argv[1], "--help")) { fputs(HELP, stdout); return EXIT_OK; }
        fputs(HELP, stderr);
        return cli_usage("ingest: the first argument names the chain (btc, eth, tron)");
    }
    argc--, argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'n': io.network = optarg; break;
        case 'p': pre[io.n_prevouts++] = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'b': { /* commit every N MiB of blocks; 0 = after every block (tests) */
            uint64_t mb;
            if (cli_number("--batch-mb", optarg, 0, 1 << 20, false, &mb)) { sl_free(pre); return EXIT_USAGE; }
            io.batch_bytes = mb ? mb << 20 : 1;
            break;
        }
        case 'm':
            if (!parse_size(optarg, 16.0 * 1048576.0, &io.memory_bytes)) {
                sl_free(pre);
                return cli_usage("--memory: give a size of at least 16M, such as 512M or 2.7G (got '%s')", optarg);
            }
            break;
        case 'a':
            if (!parse_size(optarg, 65536.0, &io.addr_table_bytes)) {
                sl_free(pre);
                return cli_usage("--address-table: give a size of at least 64K, such as 256M (got '%s')", optarg);
            }
            break;
        case 'h': fputs(HELP, stdout); sl_free(pre); return EXIT_OK;
        default: fputs(HELP, stderr); sl_free(pre); return EXIT_USAGE;
        }
    }
    io.quiet = c.quiet;
    if (!c.store) { sl_free(pre); return cli_usage("ingest: --store DIR is required"); }
    if (optind >= argc) { sl_free(pre); return cli_usage("ingest: give at least one PATH"); }
    if (io.network && !sl_btc_net_by_name(io.network)) { sl_free(pre); return cli_usage("unknown network '%s'", io.network); }
    if ((rc = sl_store_open(&s, c.store, SL_STORE_WRITE, &e))) { sl_free(pre); return cli_fail(&c, &e); }
    rc = sl_ingest_btc(s, (const char *const *)argv + optind, argc - optind, &io, &r, &e);
    sl_free(pre);
    if (rc) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    cli_oom_note = "the blocks were ingested and committed";
    {
        const sl_btc_meta *m = sl_btc_meta_get(s);
        const sl_btc_blockrec *tip = m->max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, m->max_height_block);
        double tps = r.seconds > 0 ? (double)r.txs_added / r.seconds : 0;
        if (c.json) {
            cJSON *j = cJSON_CreateObject();
            jnum(j, "files", r.files);
            jnum(j, "blocks_seen", r.blocks_seen);
            jnum(j, "blocks_added", r.blocks_added);
            jnum(j, "blocks_already_stored", r.blocks_known);
            jnum(j, "blocks_stale", r.blocks_stale);
            jnum(j, "blocks_orphan", r.blocks_orphan);
            jnum(j, "txs_added", r.txs_added);
            jnum(j, "inputs_added", r.inputs_added);
            jnum(j, "outputs_added", r.outputs_added);
            jnum(j, "bytes_added", r.bytes_added);
            jnum(j, "commits", r.commits);
            jnum(j, "table_bytes", r.table_bytes);
            cJSON_AddNumberToObject(j, "seconds", r.seconds);
            jnum_or_null(j, "tip_height", tip ? tip->height : 0, tip != NULL);
            cli_print_json(j);
        } else {
            cli_wrapf(4, "ingested %llu blocks (%llu txs, %llu inputs, %llu outputs) from %llu files in %.2f" SL_TEXT_NBSP "s (%.0f" SL_TEXT_NBSP "tx/s)",
                   (unsigned long long)r.blocks_added, (unsigned long long)r.txs_added,
                   (unsigned long long)r.inputs_added, (unsigned long long)r.outputs_added,
                   (unsigned long long)r.files, r.seconds, tps);
            if (r.blocks_known || r.blocks_stale || r.blocks_orphan)
                cli_wrapf(4, "skipped: %llu already stored, %llu stale (not on the best chain), %llu orphan (parent unknown)",
                       (unsigned long long)r.blocks_known, (unsigned long long)r.blocks_stale,
                       (unsigned long long)r.blocks_orphan);
            if (tip) printf("store: %llu blocks, highest height %u\n", (unsigned long long)m->n_blocks, tip->height);
        }
        if (r.table_bytes > r.budget_bytes && !c.quiet)
            fprintf(stderr, "sleuth: note: the store's address and unspent-output tables take %.1f GB, more than the "
                            "%.1f GB memory budget: ingests slow down once they no longer fit in memory (--memory "
                            "SIZE raises the budget)\n", (double)r.table_bytes / 1e9, (double)r.budget_bytes / 1e9);
        if (r.blocks_added == 0 && r.blocks_orphan > 0 && r.blocks_known == 0) {
            fprintf(stderr, "sleuth: none of the %llu blocks connects to the stored chain or to genesis; "
                            "ingest the earlier blk files first\n", (unsigned long long)r.blocks_orphan);
            sl_store_close(s);
            return EXIT_FAIL;
        }
    }
    /* LMDB keeps the pages of earlier batches as free space; give it back when most of
     * the index is free (a fresh or large ingest), so the store's size is its data. The
     * write lock is still held while the compacted copy replaces the index. */
    {
        uint64_t saved = 0;
        /* SLEUTH_TEST_COMPACT_ALWAYS: compact whatever the free share (crash tests) */
        double min_free = getenv("SLEUTH_TEST_COMPACT_ALWAYS") ? 0.0 : 0.5;
        if (sl_store_close_compact(s, min_free, &saved, &e)) return cli_fail(&c, &e);
        if (saved && !c.quiet && !c.json) printf("index compacted: %.1f MB of free pages returned\n", (double)saved / 1e6);
    }
    cli_tags_after_ingest(c.store);
    return EXIT_OK;
}
