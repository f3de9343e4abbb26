/* cmd_eth.c — the Ethereum-family and Tron commands: `sleuth ingest eth|tron` (files,
 * folders or a live node) and the `tx` / `address` look-ups for 0x hashes, 0x addresses
 * and Tron T-addresses, as text for people and JSON (--json) whose keys are the contract
 * in docs/ETH.md. Amounts are exact: JSON integers below 2^53, decimal strings above. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/eth_store.h"
#include "sleuth/ingest.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

const char *const cli_eth_chains[CLI_N_ETH_CHAINS] = {"ethereum", "bsc", "polygon", "avalanche", "arbitrum", "base", "tron"};

/* The first account chain of the store (in cli_eth_chains order, or only `only`) for which
 * has() is true, or NULL. */
static sl_eth_chain *find_chain(sl_store *s, const char *only, bool (*has)(const sl_eth_chain *, void *), void *ctx)
{
    for (size_t i = 0; i < CLI_N_ETH_CHAINS; i++) {
        sl_eth_chain *c;
        sl_error e = {0};
        if (only && strcmp(only, cli_eth_chains[i])) continue;
        if (sl_eth_chain_open(s, cli_eth_chains[i], &c, &e)) continue;
        if (has(c, ctx)) return c;
    }
    return NULL;
}

typedef struct txq { const sl_hash256 *h; uint64_t *id; } txq;
static bool has_tx(const sl_eth_chain *c, void *ctx)
{
    txq *q = ctx;
    return sl_eth_tx_find(c, q->h, q->id) == SL_OK;
}

sl_eth_chain *cli_eth_find_tx(sl_store *s, const char *only, const sl_hash256 *h, uint64_t *id)
{
    txq q = {h, id};
    return find_chain(s, only, has_tx, &q);
}

typedef struct acctq { const sl_eth_addr *a; sl_eth_acctstat *st; bool tron_only; } acctq;
static bool has_acct(const sl_eth_chain *c, void *ctx)
{
    acctq *q = ctx;
    if (q->tron_only && !sl_eth_chain_info_get(c)->tron) return false;
    return sl_eth_acct_lookup(c, q->a, q->st) == SL_OK;
}

sl_eth_chain *cli_eth_find_acct(sl_store *s, const char *only, const sl_eth_addr *a, bool tron_only, sl_eth_acctstat *st)
{
    acctq q = {a, st, tron_only};
    return find_chain(s, only, has_acct, &q);
}

bool cli_is_eth_arg(const char *s)
{
    sl_eth_addr a;
    return (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && (strlen(s) == 42 || strlen(s) == 66)) ||
           sl_tron_addr_decode(&a, s);
}

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
    if ((rc = sl_store_open(&s, c.store, SL_STORE_WRITE, &e))) return cli_fail(&c, &e);
    if (io.rpc_url) rc = sl_ingest_eth_rpc(s, &io, &r, &e);
    else rc = sl_ingest_eth(s, (const char *const *)argv + optind, argc - optind, &io, &r, &e);
    if (rc) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    cli_oom_note = "the blocks were ingested and committed";
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
    return EXIT_OK;
}

int cmd_ingest_eth(int argc, char **argv) { return ingest(argc, argv, "ethereum"); }
int cmd_ingest_tron(int argc, char **argv) { return ingest(argc, argv, "tron"); }

/* ---------------- look-ups ---------------- */
typedef cli_lookup elookup;

static bool known_chain(const char *name) { return sl_eth_chain_by_name(name) != NULL; }

static int elookup_open(elookup *l, int argc, char **argv, const char *usage)
{
    return cli_lookup_open(l, argc, argv, usage, true, known_chain);
}

static int efail(elookup *l, int code, const char *fmt, const char *arg)
{
    sl_error e = {0};
    sl_err(&e, code, fmt, arg);
    return cli_fail(&l->c, &e);
}

static void hash_str(char out[67], const sl_eth_chain *c, const sl_hash256 *h)
{
    bool tron = sl_eth_chain_info_get(c)->tron;
    if (!tron) out[0] = '0', out[1] = 'x';
    sl_hex_encode(out + (tron ? 0 : 2), h->b, 32);
}

int cmd_tx_eth(int argc, char **argv)
{
    elookup l;
    int rc = elookup_open(&l, argc, argv, "sleuth tx --store DIR 0xHASH [--chain NAME] [--json]");
    sl_hash256 h;
    sl_eth_chain *c = NULL;
    uint64_t id = 0;
    const char *a;
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    a = l.arg;
    if (a[0] == '0' && (a[1] == 'x' || a[1] == 'X')) a += 2;
    if (strlen(a) != 64 || !sl_hex_decode(h.b, 32, a, 64)) {
        rc = efail(&l, SL_EUSAGE, "'%s' is not a transaction hash (0x and 64 hex digits)", l.arg);
        goto out;
    }
    c = cli_eth_find_tx(l.s, l.chain, &h, &id);
    if (!c) { rc = efail(&l, SL_ENOTFOUND, "transaction %s not found in the store", l.arg); goto out; }
    {
        const sl_eth_txrec *t = sl_eth_tx_at(c, id);
        const sl_eth_blockrec *b = sl_eth_block_at(c, t->block);
        const sl_eth_chain_info *ci = sl_eth_chain_info_get(c);
        char hs[67], from[48], to[48];
        sl_u256 v, fee;
        sl_eth_tx_value(c, t, &v);
        sl_eth_tx_fee(c, t, &fee);
        hash_str(hs, c, &t->hash);
        sl_eth_acct_name(c, t->from, from);
        sl_eth_acct_name(c, t->to, to);
        if (l.c.json) {
            cJSON *j = cJSON_CreateObject(), *fl;
            cJSON_AddStringToObject(j, "hash", hs);
            cJSON_AddStringToObject(j, "chain", ci->name);
            jnum(j, "block", b->number);
            jnum_or_null(j, "time", b->time, b->time != 0);
            jnum_or_null(j, "index", t->index, t->index != SL_ETH_NONE32);
            jstr_or_null(j, "from", t->from ? from : NULL);
            jstr_or_null(j, "to", t->to ? to : NULL);
            ju256(j, "value", &v);
            if (t->status == SL_ETH_STATUS_UNKNOWN) cJSON_AddNullToObject(j, "status");
            else jnum(j, "status", t->status);
            if (t->flags & SL_ETX_FEE_KNOWN) ju256(j, "fee", &fee);
            else cJSON_AddNullToObject(j, "fee");
            cJSON_AddBoolToObject(j, "contract_creation", (t->flags & SL_ETX_CREATED) != 0);
            fl = cJSON_AddArrayToObject(j, "flows");
            for (uint32_t k = 0; k < t->n_flows; k++) {
                const sl_eth_flowrec *f = sl_eth_flow_at(c, t->first_flow + k);
                cJSON *o = cJSON_CreateObject();
                char fa[48], ta[48], as[48];
                sl_u256 amt;
                if (!f) break;
                sl_eth_acct_name(c, f->from, fa);
                sl_eth_acct_name(c, f->to, ta);
                sl_eth_asset_name(c, f->asset, as);
                sl_eth_flow_amount(c, f, &amt);
                cJSON_AddStringToObject(o, "from", fa);
                cJSON_AddStringToObject(o, "to", ta);
                cJSON_AddStringToObject(o, "asset", as);
                ju256(o, "amount", &amt);
                cJSON_AddStringToObject(o, "kind", sl_eth_flow_kind_name(f->kind));
                cJSON_AddItemToArray(fl, o);
            }
            cli_print_json(j);
        } else {
            char tm[32], va[140], fa[140];
            cli_eth_amount(va, c, 0, &v);
            cli_eth_amount(fa, c, 0, &fee);
            cli_time(tm, b->time);
            printf("transaction %s (%s)\n  block    %" PRIu64 "  %s\n  from     %s\n  to       %s%s\n", hs, ci->name,
                   b->number, tm, t->from ? from : "-", t->to ? to : "-", t->flags & SL_ETX_CREATED ? " (created)" : "");
            cli_wrapf(11, "  value    %s", va);
            printf("  status   %s\n", t->status == 1 ? "success" : t->status == 0 ? "failed" : "unknown");
            cli_wrapf(11, "  fee      %s", t->flags & SL_ETX_FEE_KNOWN ? fa : "unknown");
            /* two lines a flow: its number (for trace --tx HASH:N), kind and amount, then
             * sender -> receiver (two 42-character addresses) */
            printf("  flows    %u\n", t->n_flows);
            for (uint32_t k = 0; k < t->n_flows; k++) {
                const sl_eth_flowrec *f = sl_eth_flow_at(c, t->first_flow + k);
                char fr[48], ta[48], am[140];
                sl_u256 amt;
                if (!f) break;
                sl_eth_acct_name(c, f->from, fr);
                sl_eth_acct_name(c, f->to, ta);
                sl_eth_flow_amount(c, f, &amt);
                cli_eth_amount(am, c, f->asset, &amt);
                cli_wrapf(13, "    #%-3u %-8s %s", k, sl_eth_flow_kind_name(f->kind), am);
                printf("         %s -> %s\n", fr, ta);
            }
        }
        rc = EXIT_OK;
    }
out:
    sl_store_close(l.s);
    return rc;
}

/* A block by number (or by hash when by_hash): blocks are indexed by number, a hash is
 * found by a scan of the blocks. */
typedef struct blockq { bool by_hash; uint64_t n; const sl_hash256 *h; uint32_t *idx; } blockq;
static bool has_block(const sl_eth_chain *c, void *ctx)
{
    blockq *q = ctx;
    const sl_eth_meta *m = sl_eth_meta_get(c);
    if (!q->by_hash) return sl_eth_block_by_number(c, q->n, q->idx) == SL_OK;
    for (uint64_t i = 0; i < m->n_blocks; i++)
        if (!memcmp(sl_eth_block_at(c, i)->hash.b, q->h->b, 32)) { *q->idx = (uint32_t)i; return true; }
    return false;
}

int cmd_block_eth(int argc, char **argv)
{
    elookup l;
    int rc = elookup_open(&l, argc, argv, "sleuth block --store DIR NUMBER|0xHASH [--chain NAME] [--json] [--limit N --offset N]");
    sl_eth_chain *c = NULL;
    sl_hash256 h;
    uint64_t n = 0;
    uint32_t idx = 0;
    bool by_hash;
    const char *a;
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    a = l.arg + (l.arg[0] == '0' && (l.arg[1] == 'x' || l.arg[1] == 'X') ? 2 : 0);
    by_hash = strlen(a) == 64;
    if (by_hash ? !sl_hex_decode(h.b, 32, a, 64) : !cli_parse_u64(l.arg, &n)) {
        rc = efail(&l, SL_EUSAGE, "'%s' is neither a block number nor a block hash", l.arg);
        goto out;
    }
    {
        blockq q = {by_hash, n, &h, &idx};
        c = find_chain(l.s, l.chain, has_block, &q);
    }
    if (!c) { rc = efail(&l, SL_ENOTFOUND, "block %s not found in the store", l.arg); goto out; }
    {
        const sl_eth_blockrec *b = sl_eth_block_at(c, idx);
        const sl_eth_chain_info *ci = sl_eth_chain_info_get(c);
        char hs[67], miner[48], tm[32];
        hash_str(hs, c, &b->hash);
        sl_eth_acct_name(c, b->miner, miner);
        if (l.c.json) {
            cJSON *j = cJSON_CreateObject(), *arr;
            cJSON_AddStringToObject(j, "chain", ci->name);
            jnum(j, "number", b->number);
            jstr_or_null(j, "hash", memcmp(b->hash.b, (const uint8_t[32]){0}, 32) ? hs : NULL); /* 0: not given */
            jnum_or_null(j, "time", b->time, b->time != 0);
            jstr_or_null(j, "miner", b->miner ? miner : NULL);
            jnum(j, "tx_count", b->n_tx);
            arr = cJSON_AddArrayToObject(j, "tx_hashes");
            for (uint32_t k = 0; k < b->n_tx; k++) {
                hash_str(hs, c, &sl_eth_tx_at(c, b->first_tx + k)->hash);
                cJSON_AddItemToArray(arr, cJSON_CreateString(hs));
            }
            cli_print_json(j);
        } else {
            cli_time(tm, b->time);
            printf("block %" PRIu64 " (%s)\n  hash         %s\n  time         %s\n  miner        %s\n"
                   "  transactions %u\n", b->number, ci->name, hs, tm, b->miner ? miner : "unknown", b->n_tx);
            for (uint64_t k = l.offset; k < b->n_tx && k < l.offset + l.limit; k++) {
                hash_str(hs, c, &sl_eth_tx_at(c, b->first_tx + k)->hash);
                printf("    %5" PRIu64 "  %s\n", k, hs);
            }
            if (b->n_tx > l.offset + l.limit)
                printf("    ... %" PRIu64 " more (--offset/--limit)\n", (uint64_t)b->n_tx - l.offset - l.limit);
        }
        rc = EXIT_OK;
    }
out:
    sl_store_close(l.s);
    return rc;
}

typedef struct balctx {
    const sl_eth_chain *c;
    cJSON *obj;
} balctx;

static void on_balance(void *vctx, uint32_t asset, const sl_u256 *in, const sl_u256 *out)
{
    balctx *b = vctx;
    char name[48];
    sl_eth_asset_name(b->c, asset, name);
    if (b->obj) {
        jsigned_u256(b->obj, name, in, out);
    } else {
        char am[140];
        sl_u256 v;
        bool neg = sl_u256_cmp(in, out) < 0;
        if (!(neg ? sl_u256_sub(&v, out, in) : sl_u256_sub(&v, in, out))) memset(&v, 0, sizeof v);
        cli_eth_amount(am, b->c, asset, &v);
        cli_wrapf(6, "    %s%s", neg ? "-" : "", am);
    }
}

int cmd_address_eth(int argc, char **argv)
{
    elookup l;
    int rc = elookup_open(&l, argc, argv, "sleuth address --store DIR 0xADDRESS|T-ADDRESS [--chain NAME] [--json] [--limit N --offset N]");
    sl_eth_addr a;
    sl_eth_chain *c = NULL;
    sl_eth_acctstat st;
    if (rc) return rc > 0 ? EXIT_OK : -rc;
    if (!sl_eth_addr_parse(&a, l.arg) && !sl_tron_addr_decode(&a, l.arg)) {
        rc = efail(&l, SL_EUSAGE, "'%s' is not an address (0x and 40 hex digits, or a Tron T-address)", l.arg);
        goto out;
    }
    c = cli_eth_find_acct(l.s, l.chain, &a, l.arg[0] == 'T', &st);
    if (!c) { rc = efail(&l, SL_ENOTFOUND, "address %s not found in the store", l.arg); goto out; }
    {
        const sl_eth_chain_info *ci = sl_eth_chain_info_get(c);
        char name[48];
        cJSON *j = NULL, *txs = NULL;
        balctx bc = {c, NULL};
        uint64_t ev, skipped = 0, shown = 0, last_tx = UINT64_MAX - 1;
        sl_eth_acct_name(c, st.id, name);
        if (l.c.json) {
            j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "address", name);
            cJSON_AddStringToObject(j, "chain", ci->name);
            bc.obj = cJSON_AddObjectToObject(j, "balances");
            sl_eth_balances(c, st.id, on_balance, &bc);
            jnum(j, "flows_in", st.n_in);
            jnum(j, "flows_out", st.n_out);
            jnum_or_null(j, "first_seen", st.first_time, st.first_time != UINT64_MAX && st.first_time);
            jnum_or_null(j, "last_seen", st.last_time, st.last_time != 0);
            jnum(j, "offset", l.offset);
            jnum(j, "limit", l.limit);
            txs = cJSON_AddArrayToObject(j, "txs");
        } else {
            char f1[32], f2[32];
            cli_time(f1, st.first_time == UINT64_MAX ? 0 : st.first_time);
            cli_time(f2, st.last_time);
            printf("address %s (%s)\n  balances (received - sent; below zero when what it spent arrived\n"
                   "  before the ingested blocks)\n", name, ci->name);
            sl_eth_balances(c, st.id, on_balance, &bc);
            printf("  flows      %" PRIu64 " in, %" PRIu64 " out\n  first seen %s\n  last seen  %s\n  txs (newest first)\n",
                   st.n_in, st.n_out, f1, f2);
        }
        for (ev = st.head; ev;) {
            const sl_eth_event *e = sl_eth_event_at(c, ev - 1);
            const sl_eth_flowrec *f;
            if (!e || !(f = sl_eth_flow_at(c, e->flow))) break;
            ev = e->prev;
            if (f->tx == UINT64_MAX || f->tx == last_tx) continue; /* block rewards; same tx again */
            last_tx = f->tx;
            if (skipped < l.offset) { skipped++; continue; }
            if (shown >= l.limit) break;
            {
                const sl_eth_txrec *t = sl_eth_tx_at(c, f->tx);
                char hs[67];
                if (!t) break;
                hash_str(hs, c, &t->hash);
                if (txs) cJSON_AddItemToArray(txs, cJSON_CreateString(hs));
                else printf("    %s  block %" PRIu64 "\n", hs, sl_eth_block_at(c, t->block)->number);
            }
            shown++;
        }
        if (j) cli_print_json(j);
        rc = EXIT_OK;
    }
out:
    sl_store_close(l.s);
    return rc;
}
