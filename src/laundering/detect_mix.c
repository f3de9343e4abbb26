/* detect_mix.c — mixing: CoinJoins the taint went through (the knowledge layer's
 * sl_coinjoin_detect on every tainted Bitcoin-family transaction) and Tornado Cash: the
 * thief's deposits are the traced payments into a pool (a mixer by its tag, or one of
 * the four Ethereum ETH pools sleuth knows), the pool's withdrawals are read from the
 * pool's own history after the first of them, and a withdrawal is a lead only through
 * Tutela's rules (address match, a unique gas price, a multi-denomination portfolio, >= 3
 * transactions linking the recipient to a depositor); amount and timing alone are counted
 * and said, never scored (tornado-demix). docs/LAUNDERING.md "Detectors".
 */
#include <stdlib.h>
#include <string.h>

#include "laundering/detect_int.h"
#include "sleuth/btc.h"
#include "sleuth/knowledge.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

/* ---- CoinJoin ---- */

/* Two shapes the knowledge layer's rules leave out, seen where mixing is young or
 * simulated: a round of n >= 5 inputs from distinct addresses and n equal outputs to
 * distinct addresses, each input worth the output or at most 1% more (a Whirlpool mix
 * without remixers, which sl_coinjoin_detect requires) — 1; and a premix (Tx0 without its
 * OP_RETURN): a tx paying an address tagged as a mixer or CoinJoin coordinator besides
 * other outputs — 2. 0: neither. */
static int round_or_premix(det_ctx *c, const sl_txv *t)
{
    if (t->n_in == t->n_out && t->n_in >= 5) {
        uint64_t v = t->out[0].value;
        bool ok = v > 0;
        for (size_t i = 0; i < t->n_out && ok; i++) {
            ok = t->out[i].value == v && t->in[i].value >= v && t->in[i].value - v <= v / 100;
            for (size_t j = 0; j < i && ok; j++)
                ok = t->in[j].addr.id != t->in[i].addr.id && t->out[j].addr.id != t->out[i].addr.id;
        }
        if (ok) return 1;
    }
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].addr.id && det_service(c, t->out[i].addr, NULL, 0) == DET_SVC_MIXER) return 2;
    return 0;
}

static const char *r_rule(const char *proto)
{
    return !strcmp(proto, "premix") ? "coinjoin: a premix, paying a tagged CoinJoin coordinator's fee address"
                                    : "coinjoin: >= 5 distinct inputs into as many equal outputs (a mix round)";
}

static int coinjoins(det_ctx *c)
{
    sl_ht seen = {0};
    sl_txv_in *in = NULL;
    sl_txv_out *out = NULL;
    size_t cap_in = 0, cap_out = 0;
    int rc = SL_OK;
    for (size_t t = 0; t < c->r->n_traces && !rc; t++) {
        const sl_trace_result *tr = &c->r->traces[t];
        for (size_t i = 0; i < tr->n_pools && !rc; i++) {
            const sl_flow_view *v = sl_flow_set_chain(c->fs, tr->pools[i].chain);
            sl_utxo_pool p;
            uint64_t k = tr->pools[i].id;
            if (!v || v->model != SL_MODEL_UTXO) continue;
            v->m->utxo_pool(v, k, &p);
            if (p.n_out < 3 || sl_ht_get(&seen, &k, sizeof k, NULL)) continue;
            if (sl_ht_set(&seen, &k, sizeof k, 1) || sl_grow((void **)&in, &cap_in, p.n_in, sizeof *in) ||
                sl_grow((void **)&out, &cap_out, p.n_out, sizeof *out)) {
                rc = SL_ENOMEM;
                break;
            }
            for (uint32_t j = 0; j < p.n_in; j++) {
                uint32_t a = 0;
                uint64_t val = v->m->utxo_in_value(v, p.first_in + j, &a), otx, oo;
                uint32_t vout;
                memset(&in[j], 0, sizeof in[j]);
                in[j].addr = (sl_addr_ref){v->chain, a}, in[j].value = val;
                if (c->s && !v->m->utxo_origin(v, p.first_in + j, &otx, &vout, &oo)) {
                    sl_btc_outrec o;
                    sl_btc_out_get(c->s, oo, &o);
                    in[j].script_type = o.type;
                }
            }
            for (uint32_t j = 0; j < p.n_out; j++) {
                uint32_t a;
                bool unsp;
                memset(&out[j], 0, sizeof out[j]);
                v->m->utxo_out(v, p.first_out + j, &out[j].value, &a, &unsp);
                out[j].addr = (sl_addr_ref){v->chain, a};
                if (c->s) {
                    sl_btc_outrec o;
                    sl_btc_out_get(c->s, p.first_out + j, &o);
                    out[j].script_type = o.type;
                } else if (unsp) out[j].script_type = SL_SCRIPT_OP_RETURN;
            }
            sl_txv tv = {.tx = {v->chain, k}, .time = (int64_t)v->m->tx_time(v, k), .in = in, .n_in = p.n_in, .out = out,
                         .n_out = p.n_out};
            sl_coinjoin_kind kind = sl_coinjoin_detect(&tv);
            const char *proto = sl_coinjoin_name(kind);
            double conf = kind == SL_CJ_EQUAL_OUTPUT ? 0.7 : 0.9;
            if (kind == SL_CJ_NONE) {
                int r = round_or_premix(c, &tv);
                if (!r) continue;
                proto = r == 1 ? "equal-round" : "premix";
                conf = 0.8;
            }
            /* the taint that entered it */
            sl_u128 taint = 0;
            size_t tin = 0;
            /* a participant paying mostly stolen coins, not itself a CoinJoin's output: else the
             * round only mixes what an earlier round or a haircut already diluted */
            bool thief_in = false;
            for (size_t q = 0; q < tr->n_edges; q++)
                if (tr->edges[q].chain == v->chain && tr->edges[q].to_pool == k) {
                    const sl_trace_edge *y = &tr->edges[q];
                    const det_note *n = det_note_get(c, (sl_addr_ref){v->chain, y->to_addr});
                    sl_flow fl;
                    v->m->flow_get(v, y->flow, &fl);
                    taint += y->amount, tin++;
                    thief_in |= (!n || !(n->bits & DET_N_MIXED)) && y->amount * 2 >= fl.amount;
                }
            if (!thief_in) continue;
            sl_finding *f = det_finding(c, SL_DET_COINJOIN, SL_STAGE_MIXING, conf,
                                        kind != SL_CJ_NONE ? "coinjoin: a tainted tx the CoinJoin rules recognise (docs/CLUSTERING.md)"
                                        : r_rule(proto));
            if (!f) { rc = SL_ENOMEM; break; }
            f->amount = (sl_det_amount){v->chain, 0, taint};
            det_f_time(f, (uint64_t)tv.time);
            char amt[64];
            det_amount_str(c, amt, sizeof amt, v->chain, 0, taint);
            det_f_ev(f, "protocol=%s; inputs=%u; outputs=%u; tainted_inputs=%zu; taint_in=%s", proto,
                     p.n_in, p.n_out, tin, amt);
            if ((rc = det_f_tx(f, tv.tx))) break;
            for (size_t q = 0; q < tr->n_edges && !rc; q++)
                if (tr->edges[q].chain == v->chain && tr->edges[q].to_pool == k)
                    rc = det_f_addr(f, (sl_addr_ref){v->chain, tr->edges[q].to_addr});
            /* what the CoinJoin paid: no longer the thief's by taint alone (a premix's change is) */
            for (uint32_t q = 0; q < p.n_out && !rc && strcmp(proto, "premix"); q++) rc = det_mark(c, out[q].addr, DET_N_MIXED);
        }
    }
    sl_free(in);
    sl_free(out);
    sl_ht_free(&seen);
    return rc;
}

/* ---- Tornado Cash ---- */

typedef struct tc_dep { uint32_t pool; uint64_t tx, time; uint32_t from; sl_u128 amount, gas; } tc_dep;
typedef struct tc_wd { uint32_t pool; uint64_t tx, time; uint32_t to; sl_u128 amount, gas; } tc_wd;
typedef struct tc_pool { uint32_t addr; uint64_t first; size_t deps, wds; sl_u128 denom, taint; } tc_pool;

typedef struct gas_ctx { sl_u128 gas; } gas_ctx;
static int gas_row(void *ctx, const sl_annot_row *r)
{
    gas_ctx *g = ctx;
    sl_u128 v = 0;
    for (int i = 15; i >= 0; i--) v = v << 8 | r->gas_price[i];
    if (v) {
        g->gas = v;
        return 1;
    }
    return 0;
}

/* The gas price of tx as the annotations keep it; 0 unknown. */
static sl_u128 gas_of(det_ctx *c, uint16_t chain, uint64_t tx)
{
    gas_ctx g = {0};
    sl_error e = {0};
    if (!c->a) return 0;
    if (sl_annot_of_tx(c->a, chain, tx, gas_row, &g, &e) < 0) return 0; /* unknown: the rule does not fire */
    return g.gas;
}

#define TC_HISTORY_MAX 200000 /* flows of a pool read at most (a real 100 ETH pool has ~30k) */
#define TC_LINK_HISTORY_MAX 20000

static double combine(double a, double b) { return 1 - (1 - a) * (1 - b); }

static int tornado(det_ctx *c)
{
    tc_dep *d = NULL;
    tc_wd *w = NULL;
    tc_pool *pl = NULL;
    size_t nd = 0, nw = 0, np = 0, cd = 0, cw = 0, cp = 0;
    uint16_t chain = 0;
    sl_ht others_gas = {0}; /* gas price (16 bytes) -> deposits by others using it */
    sl_ht wd_gas = {0};     /* gas price -> withdrawals using it */
    sl_ht dep_from = {0};   /* depositor address -> 1 */
    sl_flow_ids h = {0};
    int rc = SL_OK;
    /* the thief's deposits: traced payments into a mixer on an account chain */
    for (size_t t = 0; t < c->r->n_traces && !rc; t++) {
        const sl_trace_result *tr = &c->r->traces[t];
        for (size_t i = 0; i < tr->n_edges && !rc; i++) {
            const sl_trace_edge *x = &tr->edges[i];
            const sl_flow_view *v = sl_flow_set_chain(c->fs, x->chain);
            if (!v || v->model != SL_MODEL_ACCOUNT || x->asset != 0 || !x->to_addr) continue;
            if (det_service(c, (sl_addr_ref){x->chain, x->to_addr}, NULL, 0) != DET_SVC_MIXER) continue;
            sl_flow f;
            v->m->flow_get(v, x->flow, &f);
            bool again = false;
            for (size_t q = 0; q < nd && !again; q++) again = d[q].tx == f.tx && d[q].pool == x->to_addr;
            if (again) continue;
            chain = x->chain;
            if (sl_grow((void **)&d, &cd, nd + 1, sizeof *d)) { rc = SL_ENOMEM; break; }
            d[nd++] = (tc_dep){x->to_addr, f.tx, f.time, f.from, f.amount, gas_of(c, x->chain, f.tx)};
            uint64_t k = f.from;
            if (sl_ht_set(&dep_from, &k, sizeof k, 1)) rc = SL_ENOMEM;
            size_t p;
            for (p = 0; p < np && pl[p].addr != x->to_addr; p++) {}
            if (p == np) {
                if (sl_grow((void **)&pl, &cp, np + 1, sizeof *pl)) { rc = SL_ENOMEM; break; }
                pl[np++] = (tc_pool){x->to_addr, f.time, 0, 0, f.amount, 0};
            }
            pl[p].deps++, pl[p].taint += x->amount;
            if (f.time < pl[p].first) pl[p].first = f.time;
        }
    }
    if (!nd || rc) goto done;
    const sl_flow_view *v = sl_flow_set_chain(c->fs, chain);
    /* each pool's history: the others' deposits (their gas prices) and the withdrawals after the first deposit */
    for (size_t p = 0; p < np && !rc; p++) {
        h.n = 0;
        if (v->m->acct_history(v, pl[p].addr, 0, SL_FLOW_NONE, &h)) { rc = SL_ENOMEM; break; }
        size_t lim = h.n < TC_HISTORY_MAX ? h.n : TC_HISTORY_MAX;
        for (size_t i = h.n - lim; i < h.n && !rc; i++) {
            sl_flow f;
            v->m->flow_get(v, h.v[i], &f);
            if (f.fee || f.sink) continue;
            if (f.to == pl[p].addr) { /* a deposit: the thief's, or another's gas price */
                bool thief = false;
                for (size_t q = 0; q < nd && !thief; q++) thief = d[q].tx == f.tx;
                if (thief || !c->a) continue;
                sl_u128 g = gas_of(c, chain, f.tx);
                uint64_t *slot;
                bool added;
                if (g && sl_ht_upsert(&others_gas, &g, sizeof g, 0, &slot, &added)) rc = SL_ENOMEM;
                else if (g) (*slot)++;
                continue;
            }
            if (f.from != pl[p].addr || f.time < pl[p].first) continue;
            /* a withdrawal: the largest payment of its tx is the recipient's (the smaller, the relayer's fee) */
            size_t q;
            for (q = nw; q > 0 && w[q - 1].tx != f.tx; q--) {}
            if (q) {
                if (f.amount > w[q - 1].amount) w[q - 1].amount = f.amount, w[q - 1].to = f.to;
                continue;
            }
            if (sl_grow((void **)&w, &cw, nw + 1, sizeof *w)) { rc = SL_ENOMEM; break; }
            w[nw++] = (tc_wd){pl[p].addr, f.tx, f.time, f.to, f.amount, gas_of(c, chain, f.tx)};
            pl[p].wds++;
            uint64_t *slot;
            bool added;
            if (w[nw - 1].gas && !sl_ht_upsert(&wd_gas, &w[nw - 1].gas, sizeof(sl_u128), 0, &slot, &added)) (*slot)++;
        }
    }
    /* per pool: the deposits */
    for (size_t p = 0; p < np && !rc; p++) {
        sl_finding *f = det_finding(c, SL_DET_TORNADO, SL_STAGE_MIXING, 0.95, "tornado: tainted deposits into a pool");
        char pool[SL_FLOW_NAME_MAX], den[64], tot[64], label[96];
        if (!f) { rc = SL_ENOMEM; break; }
        v->m->addr_name(v, pl[p].addr, pool);
        det_service(c, (sl_addr_ref){chain, pl[p].addr}, label, sizeof label);
        det_amount_str(c, den, sizeof den, chain, 0, pl[p].denom);
        det_amount_str(c, tot, sizeof tot, chain, 0, pl[p].taint);
        f->amount = (sl_det_amount){chain, 0, pl[p].taint};
        det_f_ev(f, "pool=%s (%s); deposits=%zu; denomination=%s; tainted=%s; withdrawals_after=%zu", pool, label,
                 pl[p].deps, den, tot, pl[p].wds);
        if (!c->a) det_f_ev(f, "gas prices unknown (no annotations: re-ingest)");
        if ((rc = det_f_addr(f, (sl_addr_ref){chain, pl[p].addr}))) break;
        for (size_t q = 0; q < nd && !rc; q++) {
            if (d[q].pool != pl[p].addr) continue;
            det_f_time(f, d[q].time);
            if (!(rc = det_f_tx(f, (sl_tx_ref){chain, d[q].tx}))) rc = det_f_addr(f, (sl_addr_ref){chain, d[q].from});
        }
    }
    /* leads: Tutela's rules on each withdrawal */
    size_t timing_only = 0, leads = 0;

    for (size_t i = 0; i < nw && !rc; i++) {
        double conf = 0;
        char why[96] = "";
        uint64_t k = w[i].to;
        sl_addr_ref ra = {chain, w[i].to};
        const det_note *n = det_note_get(c, ra);
        size_t matched[8], nm = 0;
        /* 1. address match: the recipient deposited, or is an address the trace marked */
        if (sl_ht_get(&dep_from, &k, sizeof k, NULL) || (n && (n->bits & ~(DET_N_EXDEPOSIT | DET_N_LEAD)))) {
            conf = combine(conf, 0.9);
            strcat(why, "address match");
            for (size_t q = 0; q < nd && nm < 8; q++)
                if (d[q].from == w[i].to) matched[nm++] = q;
        }
        /* 2. a gas price the thief's deposits used, no other depositor used, few withdrawals used */
        if (w[i].gas) {
            uint64_t others = 0, wds = 0;
            size_t same = 0;
            sl_ht_get(&others_gas, &w[i].gas, sizeof(sl_u128), &others);
            sl_ht_get(&wd_gas, &w[i].gas, sizeof(sl_u128), &wds);
            for (size_t q = 0; q < nd; q++) same += d[q].gas == w[i].gas;
            if (same && !others && wds <= same) {
                conf = combine(conf, 0.7);
                strcat(why, *why ? ", unique gas price" : "unique gas price");
                for (size_t q = 0; q < nd && nm < 8; q++)
                    if (d[q].gas == w[i].gas) matched[nm++] = q;
            }
        }
        /* 3. multi-denomination: the recipient's withdrawals per pool are the thief's deposits per pool, >= 2 pools */
        if (np >= 2) {
            bool same = true;
            for (size_t p = 0; p < np && same; p++) {
                size_t nwr = 0;
                for (size_t q = 0; q < nw; q++) nwr += w[q].to == w[i].to && w[q].pool == pl[p].addr;
                same = nwr == pl[p].deps;
            }
            if (same) {
                conf = combine(conf, 0.6);
                strcat(why, *why ? ", multi-denomination" : "multi-denomination");
            }
        }
        /* 4. >= 3 transactions between the recipient and a depositor, outside the pools */
        if (!(n && (n->bits & DET_N_LEAD))) {
            sl_flow_ids rh = {0};
            size_t links = 0;
            if (!v->m->acct_history(v, w[i].to, 0, SL_FLOW_NONE, &rh)) {
                size_t lim = rh.n < TC_LINK_HISTORY_MAX ? rh.n : TC_LINK_HISTORY_MAX;
                for (size_t q = 0; q < lim; q++) {
                    uint32_t from, to;
                    uint64_t other;
                    v->m->flow_parties(v, rh.v[q], &from, &to);
                    other = from == w[i].to ? to : from;
                    links += sl_ht_get(&dep_from, &other, sizeof other, NULL) && other != w[i].to;
                }
            }
            sl_flow_ids_free(&rh);
            if (links >= 3) {
                conf = combine(conf, 0.5);
                strcat(why, *why ? ", linked txs" : ">= 3 linking txs");
            }
        }
        if (conf <= 0) {
            /* amount and timing alone: counted, not a lead */
            for (size_t q = 0; q < nd; q++)
                if (d[q].pool == w[i].pool && w[i].time >= d[q].time && w[i].time - d[q].time <= 86400) {
                    timing_only++;
                    break;
                }
            continue;
        }
        leads++;
        sl_finding *f = det_finding(c, SL_DET_TORNADO, SL_STAGE_MIXING, conf, "tornado: withdrawal linked by Tutela's rules");
        char amt[64];
        if (!f) { rc = SL_ENOMEM; break; }
        det_amount_str(c, amt, sizeof amt, chain, 0, w[i].amount);
        f->amount = (sl_det_amount){chain, 0, w[i].amount};
        det_f_time(f, w[i].time);
        det_f_ev(f, "rules=%s; withdrawn=%s", why, amt);
        if ((rc = det_f_addr(f, ra)) || (rc = det_f_tx(f, (sl_tx_ref){chain, w[i].tx}))) break;
        /* which deposit it pays out the pool does not say: the candidates are the thief's earlier
         * deposits into the same pool that a rule tied to it (else all of them), at most 16 named */
        size_t cand = 0;
        for (int pass = 0; pass < 2 && !cand && !rc; pass++)
            for (size_t q = 0; q < nd && !rc; q++) {
                bool m = false;
                for (size_t z = 0; z < nm && !m; z++) m = matched[z] == q;
                if (d[q].pool != w[i].pool || d[q].time > w[i].time || !(pass || m)) continue;
                if (cand++ < 16) rc = det_f_tx(f, (sl_tx_ref){chain, d[q].tx});
            }
        det_f_ev(f, "candidate_deposits=%zu (the pool hides which one it pays out)", cand);
        det_note *nn = det_note_of(c, ra);
        if (!nn) { rc = SL_ENOMEM; break; }
        nn->bits |= DET_N_LEAD;
        if (conf > nn->lead) {
            nn->lead = conf;
            snprintf(nn->lead_why, sizeof nn->lead_why, "%s", why);
        }
        nn->lead_amount.chain = chain;
        nn->lead_amount.amount += w[i].amount;
        if (!nn->lead_time || w[i].time < nn->lead_time) nn->lead_time = w[i].time;
    }
    /* the summary says what amount and timing alone would have claimed */
    for (size_t i = 0; i < c->r->n_findings && !rc; i++) {
        sl_finding *f = &c->r->findings[i];
        if (f->kind == SL_DET_TORNADO && f->confidence == 0.95 && !strstr(f->evidence, "timing_only"))
            det_f_ev(f, "leads=%zu; timing_only=%zu (amount and timing alone: not leads)", leads, timing_only);
    }
done:
    sl_flow_ids_free(&h);
    sl_ht_free(&others_gas);
    sl_ht_free(&wd_gas);
    sl_ht_free(&dep_from);
    sl_free(d);
    sl_free(w);
    sl_free(pl);
    return rc;
}

int det_mix(det_ctx *c)
{
    int rc = coinjoins(c);
    return rc ? rc : tornado(c);
}
