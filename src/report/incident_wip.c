/* incident_wip.c — TEMPORARY (branch wip-report only; delete when wip-detect and wip-annot
 * are merged): weak stand-ins for the detectors' and the annotations' entry points
 * (laundering.h, annot.h), so this branch links and the incident report can be built and
 * tested before those helpers' code lands. The real definitions, strong, win at link time
 * as soon as their objects are in the archive. sl_detect_run here refuses in words, so a
 * report made with it says "not traced" rather than showing invented numbers. */
#include <string.h>

#include "sleuth/annot.h"
#include "sleuth/laundering.h"

#define WEAK __attribute__((weak))

WEAK const char *sl_stage_name(sl_stage s)
{
    static const char *const n[SL_STAGE_COUNT] = {"theft", "dispersal", "swap-bridge", "mixing", "dormancy", "cash-out"};
    return (unsigned)s < SL_STAGE_COUNT ? n[s] : "?";
}

WEAK const char *sl_det_kind_name(sl_det_kind k)
{
    static const char *const n[SL_DET_COUNT] = {"?", "fan-out", "peel-chain", "consolidation", "rapid-hops", "dormancy",
                                                "still-dormant", "coinjoin", "tornado", "dex-swap", "thorchain-swap",
                                                "bridge", "exchange-deposit", "otc"};
    return (unsigned)k < SL_DET_COUNT ? n[k] : "?";
}

WEAK void sl_detect_params_default(sl_detect_params *p)
{
    memset(p, 0, sizeof *p);
    p->policy = SL_POLICY_HAIRCUT, p->max_hops = 64, p->dormant_days = 30, p->rapid_minutes = 60;
    p->fanout_min = 5, p->suspect_min_share = 0.001;
}

WEAK int sl_detect_input_incident(const sl_flow_set *fs, sl_tags *tags, const char *name, sl_detect_input *in,
                                  sl_error *e)
{
    (void)fs, (void)tags;
    memset(in, 0, sizeof *in);
    return sl_err(e, SL_ENOTFOUND, "incident %s: the detectors are not built in this checkout", name);
}

WEAK void sl_detect_input_free(sl_detect_input *in)
{
    if (in) memset(in, 0, sizeof *in);
}

WEAK int sl_detect_run(const sl_flow_set *fs, sl_annot *a, sl_tags *tags, const sl_detect_input *in,
                       const sl_detect_params *p, sl_detect_result *r, sl_error *e)
{
    (void)fs, (void)a, (void)tags, (void)in, (void)p;
    memset(r, 0, sizeof *r);
    return sl_err(e, SL_EUNSUPPORTED, "the detectors are not built in this checkout");
}

WEAK void sl_detect_free(sl_detect_result *r)
{
    if (r) memset(r, 0, sizeof *r);
}

WEAK int sl_annot_open(sl_annot **a, sl_store *s, sl_error *e)
{
    (void)s;
    *a = NULL;
    return sl_err(e, SL_EUNSUPPORTED, "annotations are not built in this checkout");
}

WEAK void sl_annot_close(sl_annot *a) { (void)a; }
