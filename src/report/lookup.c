/* lookup.c — the public entry points of the look-up reports (include/sleuth/report.h):
 * each picks the chain model the request names (or its argument implies), runs that
 * model's report (btc_lookup.c, eth_lookup.c, info.c) into a FILE or a JSON document, and
 * turns a failed allocation or write during it into SL_ENOMEM or SL_EIO, so a front end
 * never shows a half-built answer as a whole one. */
#include <string.h>

#include "report/report_int.h"
#include "sleuth/util.h"

/* One kind of look-up: its report on each chain model, when its argument is written the
 * account chains' way, and whether a Bitcoin miss is looked for on the account chains. */
typedef struct kind {
    const char *what;
    sl_report_fn btc, eth; /* eth NULL: one report for the whole store (info) */
    bool (*account_form)(const char *arg);
    bool then_accounts;
} kind;

static bool starts_0x(const char *a) { return a[0] == '0' && (a[1] == 'x' || a[1] == 'X'); }
static bool tx_account_form(const char *a) { return starts_0x(a) || sl_report_is_account_arg(a); }

static const kind BLOCK = {"block", sl_report_btc_block, sl_report_eth_block, starts_0x, true};
static const kind TX = {"transaction", sl_report_btc_tx, sl_report_eth_tx, tx_account_form, true};
static const kind ADDRESS = {"address", sl_report_btc_address, sl_report_eth_address, sl_report_is_account_arg, false};
static const kind INFO = {"store", sl_report_info, NULL, NULL, false};

/* Runs the report of the chain model rq asks for (SL_REPORT_ANY: see report.h). */
static int by_model(const kind *kd, sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e)
{
    int rc;
    if (!kd->eth) return kd->btc(s, k, rq, e);
    if (!rq->arg) return sl_err(e, SL_EUSAGE, "no %s given to look up", kd->what);
    if (rq->model == SL_MODEL_ACCOUNT || (rq->model == SL_REPORT_ANY && (rq->chain || kd->account_form(rq->arg))))
        return kd->eth(s, k, rq, e);
    if (rq->model != SL_REPORT_ANY && rq->model != SL_MODEL_UTXO)
        return sl_err(e, SL_EUSAGE, "unknown chain model %d", rq->model);
    rc = kd->btc(s, k, rq, e);
    if (rc == SL_ENOTFOUND && rq->model == SL_REPORT_ANY && kd->then_accounts) {
        sl_err_clear(e);
        rc = kd->eth(s, k, rq, e);
    }
    return rc;
}

/* What a report that returned rc amounts to once the allocations since fails0 and the
 * state of out are taken into account. */
static int outcome(int rc, uint64_t fails0, FILE *out, sl_error *e)
{
    if (rc == SL_OK && sl_alloc_failures() != fails0)
        return sl_err(e, SL_ENOMEM, "out of memory: the report is incomplete");
    if (rc == SL_OK && out && ferror(out)) return sl_err(e, SL_EIO, "could not write the report");
    return rc;
}

static int run_text(const kind *kd, sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e)
{
    sl_report_sink k = {out, NULL};
    uint64_t fails0 = sl_alloc_failures();
    if (!out) return sl_err(e, SL_EUSAGE, "no FILE to write the report to");
    return outcome(by_model(kd, s, &k, rq, e), fails0, out, e);
}

static int run_json(const kind *kd, sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e)
{
    cJSON *doc = NULL;
    sl_report_sink k = {NULL, &doc};
    uint64_t fails0 = sl_alloc_failures();
    int rc = outcome(by_model(kd, s, &k, rq, e), fails0, NULL, e);
    if (rc == SL_OK && !doc) rc = sl_err(e, SL_ENOMEM, "out of memory: the report is incomplete");
    if (rc) cJSON_Delete(doc), doc = NULL;
    *out = doc;
    return rc;
}

/* The public pair of each kind: sl_report_block_text / _json, sl_report_tx_text / _json,
 * sl_report_address_text / _json, sl_report_info_text / _json (contracts in report.h). */
#define REPORT_ENTRY_POINTS(name, kd)                                                           \
    int sl_report_##name##_text(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e)   \
    {                                                                                           \
        return run_text(&kd, s, out, rq, e);                                                    \
    }                                                                                           \
    int sl_report_##name##_json(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e) \
    {                                                                                           \
        return run_json(&kd, s, out, rq, e);                                                    \
    }

REPORT_ENTRY_POINTS(block, BLOCK)
REPORT_ENTRY_POINTS(tx, TX)
REPORT_ENTRY_POINTS(address, ADDRESS)
REPORT_ENTRY_POINTS(info, INFO)
