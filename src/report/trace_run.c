/* trace_run.c — a trace request as a person writes it (report.h, sl_trace_req) turned
 * into a trace: the source is looked up on the chains of the store (all of them in
 * chain-id order, or the one --chain names) and the trace starts on the chain that holds
 * it — nothing is guessed from how the argument is written; then the asset, the declared
 * links and the engine (trace.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "sleuth/util.h"

/* The views to look in: all of them, or the one chain names. */
static int views(const sl_trace_report *rep, const sl_flow_view **out, size_t *n, sl_error *e)
{
    *n = 0;
    if (rep->rq.chain) {
        int rc = sl_flow_set_find(rep->fs, rep->rq.chain, &out[0], e);
        if (!rc) *n = 1;
        return rc;
    }
    for (size_t i = 0; i < sl_flow_set_count(rep->fs) && i < 16; i++) out[(*n)++] = sl_flow_set_at(rep->fs, i);
    if (!*n) return sl_err(e, SL_ENOTFOUND, "the store holds no blocks of any chain");
    return SL_OK;
}

/* The chain that holds the tx rq->tx names. */
static int find_tx(sl_trace_report *rep, sl_error *e)
{
    const sl_flow_view *v[16];
    char id[200];
    size_t n;
    bool written = false;
    int rc;
    if ((rc = sl_trace_split_txspec(rep->rq.tx, id, sizeof id, &rep->src.index, e)) || (rc = views(rep, v, &n, e))) return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t tx;
        rc = v[i]->m->tx_find(v[i], id, &tx);
        if (rc == SL_OK) {
            rep->src.chain = v[i]->chain, rep->src.kind = SL_SOURCE_TX, rep->src.tx = tx;
            return SL_OK;
        }
        written |= rc == SL_ENOTFOUND;
    }
    if (!written)
        return sl_err(e, SL_EUSAGE, "--tx: '%s' is not TXID or TXID:N (a txid, or a 0x hash on account chains)", rep->rq.tx);
    return sl_err(e, SL_ENOTFOUND, "transaction %s not found in the store%s%s", id, rep->rq.chain ? " on " : "",
                  rep->rq.chain ? rep->rq.chain : "");
}

/* The chain that knows the address rq->address names. */
static int find_addr(sl_trace_report *rep, sl_error *e)
{
    const sl_flow_view *v[16];
    sl_error why = {0};
    size_t n;
    bool written = false;
    int rc;
    if ((rc = views(rep, v, &n, e))) return rc;
    for (size_t i = 0; i < n; i++) {
        sl_error e2 = {0};
        uint32_t addr;
        rc = v[i]->m->addr_find(v[i], rep->rq.address, &addr, &e2);
        if (rc == SL_OK) {
            rep->src.chain = v[i]->chain, rep->src.kind = SL_SOURCE_ADDRESS, rep->src.addr = addr;
            return SL_OK;
        }
        if (rc == SL_ENOTFOUND) written = true;
        else if (!why.code) why = e2;
    }
    if (!written) return sl_err(e, SL_EUSAGE, "--address: %s", why.msg[0] ? why.msg : "not an address of any chain of the store");
    return sl_err(e, SL_ENOTFOUND, "address %s not found in the store%s%s", rep->rq.address, rep->rq.chain ? " on " : "",
                  rep->rq.chain ? rep->rq.chain : "");
}

static int find_asset(sl_trace_report *rep, sl_error *e)
{
    const sl_flow_view *v = sl_flow_set_chain(rep->fs, rep->src.chain);
    if (!rep->rq.asset) return SL_OK;
    if (v->m->asset_find(v, rep->rq.asset, &rep->src.asset)) {
        if (v->model == SL_MODEL_UTXO) {
            sl_flow_asset a;
            v->m->asset_info(v, 0, &a);
            return sl_err(e, SL_EUSAGE, "--asset %s: a %s chain holds one asset, %s", rep->rq.asset, v->name, a.symbol);
        }
        return sl_err(e, SL_ENOTFOUND, "asset '%s' not seen on %s (a coin, a token symbol or a 0x contract)", rep->rq.asset,
                      v->name);
    }
    rep->src.asset_given = true;
    return SL_OK;
}

/* The annotations for the crossings (xchain.h): *a NULL, with rep->xc_status saying why,
 * when they are off or the store has none. */
static void open_annot(sl_trace_report *rep, sl_store *s, sl_annot **a)
{
    sl_error e2 = {0};
    int rc;
    *a = NULL;
    if (rep->rq.no_crossings) {
        snprintf(rep->xc_status, sizeof rep->xc_status, "off (--no-crossings)");
        return;
    }
    if ((rc = sl_annot_open(a, s, &e2)) == SL_ENOTFOUND) {
        snprintf(rep->xc_status, sizeof rep->xc_status,
                 "none: the store keeps no memos or events (ingested before sleuth kept them: re-ingest)");
    } else if (rc) { /* e.g. a user who may read the store but not annot.db: the trace runs without them, and says so */
        snprintf(rep->xc_status, sizeof rep->xc_status, "none: the annotations could not be read (%.150s)", e2.msg);
    }
    if (rc) *a = NULL;
}

/* What the engine's more_links hook needs (trace.h). */
typedef struct more_ctx {
    sl_trace_report *rep;
    sl_annot *a;
    sl_ht asked;   /* (chain, tx) whose crossings were looked for */
    sl_error *e;
} more_ctx;

/* The crossings of rep->xc from index `from` on as links after the declared ones, but
 * those whose departing payment the --link file declares (the analyst's line wins: one
 * payment cannot leave twice); *added counts the new links. */
static int append_links(sl_trace_report *rep, size_t from, size_t *added, sl_error *e)
{
    *added = 0;
    if (rep->xc.n > from) {
        void *q = rep->xc_of_link;
        size_t xcap = from;
        if (sl_grow(&q, &xcap, rep->xc.n, sizeof *rep->xc_of_link)) return sl_err(e, SL_ENOMEM, "out of memory");
        rep->xc_of_link = q;
    }
    for (size_t i = from; i < rep->xc.n; i++) {
        const sl_trace_link *l = &rep->xc.v[i].link;
        bool declared = false;
        void *q = rep->links.v;
        for (size_t k = 0; k < rep->n_declared && !declared; k++)
            declared = rep->links.v[k].from_chain == l->from_chain && rep->links.v[k].from_flow == l->from_flow;
        if (declared) { rep->xc_skipped++; continue; }
        if (sl_grow(&q, &rep->links.cap, rep->links.n + 1, sizeof *rep->links.v)) return sl_err(e, SL_ENOMEM, "out of memory");
        rep->links.v = q;
        rep->links.v[rep->links.n++] = *l;
        rep->xc_of_link[rep->xc_used++] = i;
        ++*added;
    }
    return SL_OK;
}

/* A backward trace: every crossing of the store (sl_xchain_find). */
static int all_crossings(sl_trace_report *rep, sl_annot *a, sl_error *e)
{
    size_t added;
    int rc = sl_xchain_find(rep->fs, a, &rep->xc, e);
    rep->xc_all = true;
    return rc ? rc : append_links(rep, 0, &added, e);
}

/* The engine's more_links hook: the crossings departing in the txs the pass just run
 * reached that no earlier pass asked about (sl_xchain_find_at), appended to the links
 * (append_links); *added counts the new links. */
static int more_crossings(void *vctx, const sl_trace_result *r, size_t *added)
{
    more_ctx *m = vctx;
    sl_trace_report *rep = m->rep;
    sl_error *e = m->e;
    sl_tx_ref *txs = NULL;
    size_t n = 0, cap = 0, from = rep->xc.n;
    int rc = sl_xchain_reached(rep->fs, &rep->src, r, &m->asked, &txs, &n, &cap);
    *added = 0;
    rep->xc_rounds++;
    if (rc) rc = sl_err(e, rc, "out of memory");
    if (!rc && n) rc = sl_xchain_find_at(rep->fs, m->a, txs, n, &rep->xc, e);
    sl_free(txs);
    return rc ? rc : append_links(rep, from, added, e);
}

/* The trace with the crossings it reaches: the engine calls more_crossings after every
 * pass and passes again while new ones appear (docs/LAUNDERING.md "Cross-chain crossings"),
 * so only the transactions the taint went through are looked up, never the whole store. */
static int run_with_crossings(sl_trace_report *rep, sl_store *s, sl_error *e)
{
    more_ctx m = {.rep = rep, .e = e};
    int rc;
    rep->n_declared = rep->links.n;
    open_annot(rep, s, &m.a);
    if (m.a && rep->params.backward) { /* backward reaches outbounds: every crossing of the store, as before */
        rc = all_crossings(rep, m.a, e);
        sl_annot_close(m.a);
        if (rc) return rc;
        m.a = NULL;
    }
    rep->params.links = rep->links.n || m.a ? &rep->links : NULL;
    if (m.a) rep->params.more_links = more_crossings, rep->params.more_ctx = &m;
    rc = sl_trace_run(rep->fs, &rep->src, &rep->params, &rep->r, e);
    rep->params.more_links = NULL, rep->params.more_ctx = NULL; /* m is gone after this call */
    sl_ht_free(&m.asked);
    if (m.a) sl_annot_close(m.a);
    return rc;
}

int sl_report_trace_run(sl_store *s, const sl_trace_req *rq, sl_trace_report *rep, sl_error *e)
{
    int rc;
    memset(rep, 0, sizeof *rep);
    rep->rq = *rq;
    if (!rq->top) rep->rq.top = SL_REPORT_TOP_DEFAULT;
    rep->params = rq->params;
    if (!!rq->tx == !!rq->address) return sl_err(e, SL_EUSAGE, "give exactly one source: a tx (TXID[:N]) or an address");
    snprintf(rep->arg, sizeof rep->arg, "%s", rq->tx ? rq->tx : rq->address);
    if ((rc = sl_flow_set_open(&rep->fs, s, e))) return rc;
    if ((rc = rq->tx ? find_tx(rep, e) : find_addr(rep, e)) || (rc = find_asset(rep, e))) return rc;
    if (rq->links && (rc = sl_trace_links_load(&rep->links, rep->fs, rq->links, e))) return rc;
    if ((rc = run_with_crossings(rep, s, e))) return rc;
    rep->names = sl_rt_cache_new(); /* a report of a million flows names each address several times */
    return SL_OK;
}

void sl_report_trace_free(sl_trace_report *rep)
{
    sl_trace_free(&rep->r);
    sl_free(rep->names);
    sl_trace_links_free(&rep->links);
    sl_xchain_list_free(&rep->xc);
    sl_free(rep->xc_of_link);
    sl_flow_set_close(rep->fs);
    memset(rep, 0, sizeof *rep);
}
