/* detect_swap.c — where the taint changed asset or chain, and where it was cashed out:
 * THORChain swaps, DEX swaps and bridges from the crossings the traces went through
 * (xchain.h; the memo's destination address is a strong suspect), the same services
 * reached without a matched crossing (a tagged DEX or bridge where the trace ended), and
 * the cash-out: exchanges (an address tagged so, or in a cluster tagged so; the address
 * that swept into a hot wallet is the exchange's deposit address, not the thief's) and
 * OTC desks. docs/LAUNDERING.md "Detectors".
 */
#include <string.h>

#include "laundering/detect_int.h"
#include "sleuth/util.h"

/* The receiver of a payment on its chain (0 none). */
static uint32_t receiver(const det_ctx *c, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    uint32_t from = 0, to = 0;
    if (!v || flow == SL_FLOW_NONE) return 0;
    v->m->flow_parties(v, flow, &from, &to);
    return to;
}

/* The sender of a departing payment: accounts its sender, UTXO the tx's payer. */
static uint32_t sender(const det_ctx *c, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    uint32_t from = 0, to = 0;
    if (!v || flow == SL_FLOW_NONE) return 0;
    if (v->model == SL_MODEL_UTXO) return sl_flow_utxo_payer(v, SL_FLOW_UTXO_TX(flow));
    v->m->flow_parties(v, flow, &from, &to);
    return from;
}

static uint64_t tx_of(const det_ctx *c, uint16_t chain, uint64_t flow)
{
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    sl_flow f;
    if (!v || flow == SL_FLOW_NONE) return SL_FLOW_NONE;
    if (v->model == SL_MODEL_UTXO) return SL_FLOW_UTXO_TX(flow);
    v->m->flow_get(v, flow, &f);
    return f.tx;
}

static int crossings(det_ctx *c)
{
    sl_ht seen = {0};
    int rc = SL_OK;
    for (size_t t = 0; t < c->r->n_traces && !rc; t++) {
        const sl_trace_result *tr = &c->r->traces[t];
        for (size_t i = 0; i < tr->n_crossings && !rc; i++) {
            const sl_trace_crossing *x = &tr->crossings[i];
            const sl_trace_link *L = &c->links.v[x->link];
            const sl_xchain *xc = c->xc_of_link[x->link] != SIZE_MAX ? &c->r->crossings.v[c->xc_of_link[x->link]] : NULL;
            uint64_t key = x->link;
            sl_det_kind kind = SL_DET_BRIDGE;
            const char *rule = "bridge: a declared cross-chain link the taint crossed";
            double conf = 0.8;
            if (sl_ht_get(&seen, &key, sizeof key, NULL)) continue;
            if (sl_ht_set(&seen, &key, sizeof key, 1)) { rc = SL_ENOMEM; break; }
            if (xc && (xc->kind == SL_XC_THOR_SWAP || xc->kind == SL_XC_THOR_REFUND))
                kind = SL_DET_THOR_SWAP, rule = "thorchain-swap: an inbound memo and its outbound OUT: leg", conf = xc->matched ? 0.95 : 0.75;
            else if (xc && xc->kind == SL_XC_DEX_SWAP)
                kind = SL_DET_DEX_SWAP, rule = "dex-swap: one asset into a pool, another out, in one tx (Swap event)", conf = 0.9;
            else if (xc) rule = "bridge: a deposit and its release by the pairing rule", conf = xc->matched ? 0.85 : 0.6;
            sl_finding *f = det_finding(c, kind, SL_STAGE_SWAP, conf, rule);
            if (!f) { rc = SL_ENOMEM; break; }
            char a[64], b[64];
            uint32_t from = sender(c, L->from_chain, L->from_flow);
            uint32_t to = L->to_flow != SL_FLOW_NONE ? receiver(c, L->to_chain, L->to_flow) : 0;
            uint32_t to_asset = 0;
            const sl_flow_view *tv = sl_flow_set_chain(c->fs, L->to_chain);
            if (tv && L->to_flow != SL_FLOW_NONE) {
                sl_flow fl;
                tv->m->flow_get(tv, L->to_flow, &fl);
                to_asset = fl.asset;
                det_f_time(f, fl.time);
            }
            det_f_time(f, det_flow_time(c, L->from_chain, L->from_flow));
            if (xc) det_f_time(f, xc->time_in), det_f_time(f, xc->time_out);
            f->amount = (sl_det_amount){L->to_chain, to_asset, x->amount_in};
            det_amount_str(c, a, sizeof a, L->from_chain, 0, x->amount_out);
            if (tv) det_amount_str(c, b, sizeof b, L->to_chain, to_asset, x->amount_in);
            else snprintf(b, sizeof b, "(not in the store)");
            det_f_ev(f, "tainted_out=%s; arrived=%s; to_chain=%s", a, b, xc ? xc->to_chain_name : tv ? tv->name : "?");
            if (xc && xc->memo[0]) det_f_ev(f, "memo=%.120s", xc->memo);
            if (xc && !xc->matched) det_f_ev(f, "the arriving leg is not in the store");
            if (!xc && L->note[0]) det_f_ev(f, "note=%.120s", L->note);
            if ((rc = det_f_addr(f, (sl_addr_ref){L->from_chain, from}))) break;
            /* the departing payment's receiver: a vault, a bridge's deposit address */
            if ((rc = det_f_addr(f, (sl_addr_ref){L->from_chain, receiver(c, L->from_chain, L->from_flow)}))) break;
            if ((rc = det_f_tx(f, (sl_tx_ref){L->from_chain, tx_of(c, L->from_chain, L->from_flow)}))) break;
            if (to) {
                if ((rc = det_f_addr(f, (sl_addr_ref){L->to_chain, to}))) break;
                if ((rc = det_f_tx(f, (sl_tx_ref){L->to_chain, tx_of(c, L->to_chain, L->to_flow)}))) break;
            } else if (xc && kind == SL_DET_THOR_SWAP) {
                det_f_ev(f, "the memo names the destination; it is not in the store");
            }
            if (to && !det_service(c, (sl_addr_ref){L->to_chain, to}, NULL, 0))
                rc = det_mark(c, (sl_addr_ref){L->to_chain, to}, kind == SL_DET_THOR_SWAP ? DET_N_THORDEST : DET_N_SWAPDEST);
            if (!rc && to && kind == SL_DET_THOR_SWAP) {
                det_note *n = det_note_of(c, (sl_addr_ref){L->to_chain, to});
                if (!n) rc = SL_ENOMEM;
                else if (!n->lead_amount.amount) n->lead_amount = (sl_det_amount){L->to_chain, to_asset, x->amount_in};
            }
        }
    }
    sl_ht_free(&seen);
    return rc;
}

/* Services where a trace ended (status "tagged"): exchanges and OTC desks (cash-out), and
 * DEX pools and bridges the crossings did not match. One finding per service address. */
static int services(det_ctx *c)
{
    sl_ht seen = {0}; /* service address key -> finding index + 1 */
    int rc = SL_OK;
    for (size_t t = 0; t < c->r->n_traces && !rc; t++) {
        const sl_trace_result *tr = &c->r->traces[t];
        for (size_t i = 0; i < tr->n_ends && !rc; i++) {
            const sl_trace_end *x = &tr->ends[i];
            sl_addr_ref a = {x->chain, x->addr};
            const sl_flow_view *v = sl_flow_set_chain(c->fs, x->chain);
            char label[96];
            int svc;
            sl_det_kind kind;
            if (x->reason != SL_END_TAGGED || !v) continue;
            sl_u128 in = det_entered(c, x->chain, x->asset); /* a haircut's dust is not a cash-out */
            if (in && (double)x->amount < c->p->suspect_min_share * (double)in) continue;
            svc = det_service(c, a, label, sizeof label);
            if (svc == DET_SVC_EXCHANGE) kind = SL_DET_EXCHANGE;
            else if (svc == DET_SVC_OTC) kind = SL_DET_OTC;
            else if (svc == DET_SVC_DEX) kind = SL_DET_DEX_SWAP;
            else if (svc == DET_SVC_BRIDGE) kind = SL_DET_BRIDGE;
            else continue; /* mixers: detect_mix.c; other services: the trace's endpoints say it */
            uint64_t k[2] = {sl_addr_ref_key(a), x->asset}, fi;
            sl_finding *f;
            if (sl_ht_get(&seen, k, sizeof k, &fi)) f = &c->r->findings[fi - 1];
            else {
                bool by_cluster = strstr(label, "(by its cluster)") != NULL;
                const char *rule = kind == SL_DET_EXCHANGE ? "exchange-deposit: reached an exchange (its tag or its cluster's)"
                                   : kind == SL_DET_OTC    ? "otc: reached an OTC desk or guarantee market (tag)"
                                   : kind == SL_DET_DEX_SWAP ? "dex-swap: reached a DEX pool; no matched swap leg"
                                                             : "bridge: reached a bridge or vault; no matched release";
                double conf = kind == SL_DET_EXCHANGE ? (by_cluster ? 0.75 : 0.9) : kind == SL_DET_OTC ? 0.85 : 0.6;
                f = det_finding(c, kind, kind == SL_DET_EXCHANGE || kind == SL_DET_OTC ? SL_STAGE_CASHOUT : SL_STAGE_SWAP, conf,
                                rule);
                if (!f) { rc = SL_ENOMEM; break; }
                if (sl_ht_set(&seen, k, sizeof k, c->r->n_findings)) { rc = SL_ENOMEM; break; }
                char name[SL_FLOW_NAME_MAX];
                v->m->addr_name(v, x->addr, name);
                det_f_ev(f, "service=%s (%.80s)", name, label);
                f->amount = (sl_det_amount){x->chain, x->asset, 0};
                if ((rc = det_f_addr(f, a))) break;
            }
            f->amount.amount += x->amount;
            det_f_time(f, x->time);
            if ((rc = det_f_tx(f, (sl_tx_ref){x->chain, v->model == SL_MODEL_UTXO ? x->pool : tx_of(c, x->chain, x->flow)})))
                break;
            if (kind != SL_DET_EXCHANGE) continue;
            /* the deposit address: what swept into the hot wallet, when it only forwards there */
            if (v->model == SL_MODEL_UTXO) {
                sl_utxo_pool u;
                uint64_t all = 0, ex = 0, val;
                uint32_t oa;
                bool unsp;
                v->m->utxo_pool(v, x->pool, &u);
                for (uint32_t q = 0; q < u.n_out; q++) {
                    v->m->utxo_out(v, u.first_out + q, &val, &oa, &unsp);
                    all += val;
                    if (oa && det_service(c, (sl_addr_ref){x->chain, oa}, NULL, 0) == DET_SVC_EXCHANGE) ex += val;
                }
                if (!all || ex < all / 10 * 9) continue;
                for (size_t q = 0; q < tr->n_edges && !rc; q++) {
                    const sl_trace_edge *y = &tr->edges[q];
                    if (y->chain != x->chain || y->to_pool != x->pool || !y->to_addr) continue;
                    sl_addr_ref d = {x->chain, y->to_addr};
                    if (!(rc = det_mark(c, d, DET_N_EXDEPOSIT)) && !(rc = det_f_addr(f, d)))
                        rc = det_f_tx(f, (sl_tx_ref){x->chain, SL_FLOW_UTXO_TX(y->flow)}); /* the payment into it */
                }
            } else {
                sl_flow fl;
                bool only = true;
                v->m->flow_get(v, x->flow, &fl);
                if (!fl.from) continue;
                for (size_t q = 0; q < tr->n_edges && only; q++) {
                    const sl_trace_edge *y = &tr->edges[q];
                    sl_flow yf;
                    if (y->chain != x->chain || y->from_addr != fl.from || y->asset != x->asset) continue;
                    v->m->flow_get(v, y->flow, &yf);
                    if (yf.fee || yf.sink) continue; /* the gas it paid */
                    only = det_service(c, (sl_addr_ref){x->chain, y->to_addr}, NULL, 0) == DET_SVC_EXCHANGE;
                }
                for (size_t s = 0; s < c->in->n_src && only; s++)
                    only = !(c->in->src[s].kind == SL_SOURCE_ADDRESS && c->in->src[s].chain == x->chain &&
                             c->in->src[s].addr == fl.from);
                if (!only) continue;
                sl_addr_ref d = {x->chain, fl.from};
                if (!(rc = det_mark(c, d, DET_N_EXDEPOSIT))) rc = det_f_addr(f, d);
                for (size_t q = 0; q < tr->n_edges && !rc; q++) /* the payments into it */
                    if (tr->edges[q].chain == x->chain && tr->edges[q].to_addr == fl.from)
                        rc = det_f_tx(f, (sl_tx_ref){x->chain, tx_of(c, x->chain, tr->edges[q].flow)});
            }
        }
    }
    /* how many deposit addresses each exchange finding names */
    for (size_t i = 0; i < c->r->n_findings; i++) {
        sl_finding *f = &c->r->findings[i];
        if (f->kind == SL_DET_EXCHANGE && !strstr(f->evidence, "deposit_addresses="))
            det_f_ev(f, "deposit_addresses=%zu", f->n_addrs ? f->n_addrs - 1 : 0);
    }
    sl_ht_free(&seen);
    return rc;
}

int det_swap(det_ctx *c)
{
    int rc = crossings(c);
    return rc ? rc : services(c);
}
