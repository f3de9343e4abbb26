/* cmd_deposit.c — `sleuth deposits`: the detailed evidence report of deposit-address
 * clustering (include/sleuth/deposit.h) on one account chain of a store: the hot wallets
 * found with their deposit addresses, the evidence (payment and sweep transactions) and
 * the customers. `sleuth cluster build` stores the clusters these edges make (cluster.h).
 * The detection is the library's; this file parses options and prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/deposit.h"
#include "sleuth/flow.h"

static const char HELP[] =
    "usage: sleuth deposits --store DIR --chain ethereum|tron|... [--tau N] [--alpha X]\n"
    "                       [--alpha-token-ppm N] [--min-deposits K] [--max-senders N]\n"
    "                       [--min-payees N] [--no-tokens] [--json]\n"
    "  Finds exchange deposit addresses (Victor, FC 2020; Tutela): an address paid by a\n"
    "  customer that sweeps the payment, less at most X of the native coin (tokens: less at\n"
    "  most N millionths), within N blocks to a hot wallet that K or more deposit addresses\n"
    "  sweep into and that pays (withdrawals) N or more distinct addresses. Prints each hot\n"
    "  wallet with its deposit addresses (merge edges, with a confidence 0-100), the payment\n"
    "  and sweep transactions, and the customers (who are not the exchange). Defaults:\n"
    "  --tau 3200, --alpha 0.01 (Tron: 2), --alpha-token-ppm 0, --min-deposits 3,\n"
    "  --max-senders 8, --min-payees 3. See docs/DEPOSIT.md.\n"
    "  This is the evidence report; `sleuth cluster build` stores the clusters (each deposit\n"
    "  address with its hot wallet) for `sleuth cluster show|why`.\n";

typedef struct out_ctx {
    const sl_flow_view *v;
    bool json;
    cJSON *root, *hots, *hot, *deps, *dep, *edges;
    uint32_t cur_hot;
    bool have_hot;
} out_ctx;

static void amount_text(const out_ctx *o, uint32_t asset, sl_u128 v, char *out, size_t cap)
{
    sl_flow_asset a;
    o->v->m->asset_info(o->v, asset, &a);
    sl_flow_amount_str(out, cap, &a, v, true);
}

static cJSON *u128_json(cJSON *obj, const char *key, sl_u128 v)
{
    sl_u256 u = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
    return ju256(obj, key, &u);
}

static int on_deposit(void *ctx, const sl_deposit *d)
{
    out_ctx *o = ctx;
    char a[SL_FLOW_NAME_MAX], h[SL_FLOW_NAME_MAX], t1[SL_FLOW_NAME_MAX], t2[SL_FLOW_NAME_MAX], s[SL_FLOW_NAME_MAX];
    char x[160], y[160];
    const sl_flow_view *v = o->v;
    v->m->addr_name(v, d->deposit.id, a);
    v->m->addr_name(v, d->hot.id, h);
    if (!o->have_hot || o->cur_hot != d->hot.id) {
        o->have_hot = true, o->cur_hot = d->hot.id;
        if (o->json) {
            o->hot = cJSON_CreateObject();
            cJSON_AddStringToObject(o->hot, "address", h);
            o->deps = cJSON_AddArrayToObject(o->hot, "deposits");
            cJSON_AddItemToArray(o->hots, o->hot);
        } else
            printf("hot wallet %s\n", h);
    }
    if (o->json) {
        cJSON *j = o->dep = cJSON_CreateObject(), *f, *ev;
        cJSON_AddStringToObject(j, "address", a);
        jnum(j, "confidence", d->confidence);
        cJSON_AddStringToObject(j, "kind", sl_deposit_kind_name(d->kind));
        jnum(j, "forwards", d->n_forwards);
        jnum(j, "other_outflows", d->n_other);
        jnum(j, "first_block", d->first_block);
        jnum(j, "last_block", d->last_block);
        f = cJSON_AddObjectToObject(j, "forwarded");
        for (uint32_t i = 0; i < d->n_assets && i < SL_DEPOSIT_ASSETS_MAX; i++) {
            sl_flow_asset as;
            v->m->asset_info(v, d->asset[i], &as);
            u128_json(f, as.symbol, d->forwarded[i]);
        }
        ev = cJSON_AddArrayToObject(j, "evidence");
        for (uint32_t i = 0; i < d->n_evidence; i++) {
            const sl_deposit_forward *w = &d->evidence[i];
            cJSON *e = cJSON_CreateObject();
            sl_flow_asset as;
            v->m->asset_info(v, w->asset, &as);
            v->m->tx_name(v, w->in_tx.id, t1);
            v->m->tx_name(v, w->out_tx.id, t2);
            v->m->addr_name(v, w->sender, s);
            cJSON_AddStringToObject(e, "asset", as.symbol);
            cJSON_AddStringToObject(e, "payment_tx", t1);
            jnum(e, "payment_block", w->in_block);
            cJSON_AddStringToObject(e, "sender", s);
            u128_json(e, "received", w->received);
            cJSON_AddStringToObject(e, "sweep_tx", t2);
            jnum(e, "sweep_block", w->out_block);
            u128_json(e, "forwarded", w->forwarded);
            cJSON_AddItemToArray(ev, e);
        }
        cJSON_AddArrayToObject(j, "customers");
        cJSON_AddItemToArray(o->deps, j);
        return SL_OK;
    }
    printf("  deposit %s  confidence %u  %u sweep%s, blocks %llu-%llu, %s%s\n", a, d->confidence, d->n_forwards,
           d->n_forwards == 1 ? "" : "s", (unsigned long long)d->first_block, (unsigned long long)d->last_block,
           sl_deposit_kind_name(d->kind), d->n_other ? ", also sent elsewhere" : "");
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        const sl_deposit_forward *w = &d->evidence[i];
        v->m->tx_name(v, w->in_tx.id, t1);
        v->m->tx_name(v, w->out_tx.id, t2);
        v->m->addr_name(v, w->sender, s);
        amount_text(o, w->asset, w->received, x, sizeof x);
        amount_text(o, w->asset, w->forwarded, y, sizeof y);
        printf("    paid   %s  block %llu  %s from %s\n", t1, (unsigned long long)w->in_block, x, s);
        printf("    swept  %s  block %llu  %s\n", t2, (unsigned long long)w->out_block, y);
    }
    if (d->n_forwards > d->n_evidence) printf("    (%u more sweeps)\n", d->n_forwards - d->n_evidence);
    return SL_OK;
}

static int on_edge(void *ctx, const sl_merge_edge *m)
{
    out_ctx *o = ctx;
    char a[SL_FLOW_NAME_MAX], b[SL_FLOW_NAME_MAX], t[SL_FLOW_NAME_MAX];
    if (!o->json) return SL_OK;
    cJSON *j = cJSON_CreateObject();
    o->v->m->addr_name(o->v, m->a.id, a);
    o->v->m->addr_name(o->v, m->b.id, b);
    o->v->m->tx_name(o->v, m->tx.id, t);
    cJSON_AddStringToObject(j, "a", a);
    cJSON_AddStringToObject(j, "b", b);
    cJSON_AddStringToObject(j, "tx", t);
    cJSON_AddStringToObject(j, "heuristic", sl_heuristic_name((sl_heuristic)m->heuristic));
    jnum(j, "confidence", m->confidence);
    cJSON_AddItemToArray(o->edges, j);
    return SL_OK;
}

static int on_customer(void *ctx, const sl_deposit_customer *c)
{
    out_ctx *o = ctx;
    char a[SL_FLOW_NAME_MAX], t[SL_FLOW_NAME_MAX];
    o->v->m->addr_name(o->v, c->customer.id, a);
    o->v->m->tx_name(o->v, c->first_tx.id, t);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "address", a);
        cJSON_AddStringToObject(j, "kind", sl_deposit_kind_name(c->kind));
        jnum(j, "payments", c->n_payments);
        cJSON_AddStringToObject(j, "first_tx", t);
        cJSON_AddItemToArray(cJSON_GetObjectItem(o->dep, "customers"), j);
    } else
        printf("    customer %s (%s, %u payment%s; not the exchange)\n", a, sl_deposit_kind_name(c->kind), c->n_payments,
               c->n_payments == 1 ? "" : "s");
    return SL_OK;
}

/* "0.01" in units with `decimals` decimals -> base units. */
static bool parse_coins(const char *s, int decimals, sl_u256 *out)
{
    sl_u256 v = sl_u256_from_u64(0), d;
    int frac = -1;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) { frac = 0; continue; }
        if (*s < '0' || *s > '9' || (frac >= 0 && ++frac > decimals)) return false;
        d = sl_u256_from_u64((uint64_t)(*s - '0'));
        if (!sl_u256_mul64(&v, &v, 10) || !sl_u256_add(&v, &v, &d)) return false;
    }
    for (int i = frac < 0 ? 0 : frac; i < decimals; i++)
        if (!sl_u256_mul64(&v, &v, 10)) return false;
    *out = v;
    return true;
}

bool cli_deposit_opt(cli_deposit_opts *d, int ch, const char *arg)
{
    switch (ch) {
    case CLI_DEP_TAU: d->tau = arg; return true;
    case CLI_DEP_ALPHA: d->alpha = arg; return true;
    case CLI_DEP_PPM: d->ppm = arg; return true;
    case CLI_DEP_K: d->k = arg; return true;
    case CLI_DEP_SENDERS: d->senders = arg; return true;
    case CLI_DEP_PAYEES: d->payees = arg; return true;
    case CLI_DEP_NO_TOKENS: d->no_tokens = true; return true;
    default: return false;
    }
}

/* A u32 option given as text into *out: 0 or the usage exit code. */
static int u32_opt(const char *name, const char *arg, uint64_t lo, uint64_t hi, uint32_t *out)
{
    uint64_t n;
    int rc;
    if (!arg) return 0;
    if ((rc = cli_number(name, arg, lo, hi, false, &n))) return rc;
    *out = (uint32_t)n;
    return 0;
}

int cli_deposit_params(const cli_deposit_opts *d, const char *chain, sl_deposit_params *p)
{
    int rc;
    if (!sl_deposit_params_init(p, chain))
        return cli_usage("--chain %s is not an account chain (ethereum, bsc, polygon, avalanche, arbitrum, base, tron)",
                         chain);
    if (d->tau && (rc = cli_number("--tau", d->tau, 0, UINT32_MAX, false, &p->tau))) return rc;
    if ((rc = u32_opt("--alpha-token-ppm", d->ppm, 0, 1000000, &p->alpha_token_ppm)) ||
        (rc = u32_opt("--min-deposits", d->k, 1, UINT32_MAX, &p->min_deposits)) ||
        (rc = u32_opt("--max-senders", d->senders, 1, SL_DEPOSIT_SENDERS_MAX, &p->max_senders)) ||
        (rc = u32_opt("--min-payees", d->payees, 0, SL_DEPOSIT_PAYEES_MAX, &p->min_payees)))
        return rc;
    if (d->alpha && !parse_coins(d->alpha, sl_eth_chain_by_name(sl_chain_by_name(chain)->name)->decimals, &p->alpha))
        return cli_usage("--alpha: '%s' is not an amount of the chain's coin (e.g. 0.01)", d->alpha);
    p->tokens = !d->no_tokens;
    return 0;
}

int cmd_deposits(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"chain", 1, 0, 'c'}, {"json", 0, 0, 'j'},
                                         {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, CLI_DEPOSIT_OPTIONS,
                                         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    const char *chain = NULL;
    cli_deposit_opts dopt = {0};
    sl_deposit_params p;
    sl_deposit_stats st;
    sl_error e = {0};
    sl_store *s = NULL;
    sl_flow_view *v = NULL;
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_deposit_opt(&dopt, ch, optarg)) continue;
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'c': chain = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(HELP, stdout); return EXIT_OK;
        default: fputs(HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) return cli_usage("deposits: unexpected argument '%s'", argv[optind]);
    if (!c.store) return cli_usage("deposits: --store DIR is required");
    if (!chain) return cli_usage("deposits: --chain is required (ethereum, tron, ...)");
    if (!strcmp(chain, "eth")) chain = "ethereum";
    if ((rc = cli_deposit_params(&dopt, chain, &p))) return rc;
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e) || sl_flow_acct_open(s, chain, &v, &e)) {
        sl_store_close(s);
        return cli_fail(&c, &e);
    }
    out_ctx o = {.v = v, .json = c.json};
    if (c.json) {
        o.root = cJSON_CreateObject();
        cJSON_AddStringToObject(o.root, "chain", v->name);
        cJSON *pj = cJSON_AddObjectToObject(o.root, "params");
        jnum(pj, "tau", p.tau);
        ju256(pj, "alpha", &p.alpha);
        jnum(pj, "alpha_token_ppm", p.alpha_token_ppm);
        jnum(pj, "min_deposits", p.min_deposits);
        jnum(pj, "max_senders", p.max_senders);
        jnum(pj, "min_payees", p.min_payees);
        cJSON_AddBoolToObject(pj, "tokens", p.tokens);
        o.hots = cJSON_AddArrayToObject(o.root, "hot_wallets");
        o.edges = cJSON_AddArrayToObject(o.root, "edges");
    }
    sl_deposit_out out = {on_edge, on_deposit, on_customer, &o};
    if (c.quiet && !c.json) out.deposit = NULL, out.customer = NULL;
    rc = sl_deposit_scan(s, chain, &p, &out, &st, &e);
    sl_flow_view_close(v);
    sl_store_close(s);
    if (rc) {
        cJSON_Delete(o.root);
        return cli_fail(&c, &e);
    }
    if (c.json) {
        cJSON *sj = cJSON_AddObjectToObject(o.root, "stats");
        jnum(sj, "flows", st.flows);
        jnum(sj, "considered", st.considered);
        jnum(sj, "matched_sweeps", st.matches);
        jnum(sj, "same_tx_forwards", st.same_tx);
        jnum(sj, "candidates", st.candidates);
        jnum(sj, "rejected_passthru", st.rejected_passthru);
        jnum(sj, "rejected_senders", st.rejected_senders);
        jnum(sj, "rejected_split", st.rejected_split);
        jnum(sj, "rejected_token", st.rejected_token);
        jnum(sj, "rejected_k", st.rejected_k);
        jnum(sj, "rejected_payees", st.rejected_payees);
        jnum(sj, "deposits", st.deposits);
        jnum(sj, "hot_wallets", st.hot_wallets);
        jnum(sj, "customers", st.customers);
        jnum(sj, "window_peak", st.window_peak);
        cli_print_json(o.root);
    } else if (!c.quiet)
        printf("%llu hot wallet%s, %llu deposit address%s, %llu customer link%s (%llu flows read, %llu sweeps matched, "
               "%llu candidates)\n",
               (unsigned long long)st.hot_wallets, st.hot_wallets == 1 ? "" : "s", (unsigned long long)st.deposits,
               st.deposits == 1 ? "" : "es", (unsigned long long)st.customers, st.customers == 1 ? "" : "s",
               (unsigned long long)st.flows, (unsigned long long)st.matches, (unsigned long long)st.candidates);
    return EXIT_OK;
}
