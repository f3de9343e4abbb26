/* set.c — the flow views of every chain a store holds (include/sleuth/flow.h), opened
 * through the two backends (btc.c, acct.c) in the registry's chain-id order, and the
 * small helpers every user of a view shares: flow-id lists and amounts as text. */
#include <stdio.h>
#include <string.h>

#include "sleuth/flow.h"
#include "sleuth/util.h"

struct sl_flow_set {
    sl_flow_view *v[16];
    size_t n;
};

int sl_flow_ids_push(sl_flow_ids *l, uint64_t id)
{
    void *p = l->v;
    if (sl_grow(&p, &l->cap, l->n + 1, sizeof *l->v)) return SL_ENOMEM;
    l->v = p;
    l->v[l->n++] = id;
    return SL_OK;
}

void sl_flow_ids_free(sl_flow_ids *l)
{
    sl_free(l->v);
    memset(l, 0, sizeof *l);
}

void sl_flow_view_close(sl_flow_view *v) { sl_free(v); }

int sl_flow_set_open(sl_flow_set **out, sl_store *s, sl_error *e)
{
    size_t n;
    const sl_chain_def *defs = sl_chain_defs(&n);
    sl_flow_set *fs = sl_calloc(1, sizeof *fs);
    *out = NULL;
    if (!fs) return sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && fs->n < sizeof fs->v / sizeof *fs->v; i++) {
        sl_error e2 = {0};
        sl_flow_view *v = NULL;
        int rc = defs[i].model == SL_MODEL_UTXO ? sl_flow_btc_open(s, &v, &e2) : sl_flow_acct_open(s, defs[i].name, &v, &e2);
        if (rc == SL_ENOTFOUND) continue; /* the store holds none of that chain */
        if (rc) {
            sl_flow_set_close(fs);
            if (e && !e->code) *e = e2;
            return rc;
        }
        fs->v[fs->n++] = v;
    }
    *out = fs;
    return SL_OK;
}

void sl_flow_set_close(sl_flow_set *fs)
{
    if (!fs) return;
    for (size_t i = 0; i < fs->n; i++) sl_flow_view_close(fs->v[i]);
    sl_free(fs);
}

size_t sl_flow_set_count(const sl_flow_set *fs) { return fs->n; }
const sl_flow_view *sl_flow_set_at(const sl_flow_set *fs, size_t i) { return i < fs->n ? fs->v[i] : NULL; }

const sl_flow_view *sl_flow_set_chain(const sl_flow_set *fs, uint16_t chain)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i]->chain == chain) return fs->v[i];
    return NULL;
}

int sl_flow_set_find(const sl_flow_set *fs, const char *name, const sl_flow_view **v, sl_error *e)
{
    const sl_chain_def *d = sl_chain_by_name(name);
    const sl_flow_view *x;
    if (!d) return sl_err(e, SL_EUSAGE, "unknown chain '%s' (bitcoin, litecoin, ethereum, bsc, polygon, avalanche, "
                                        "arbitrum, base, tron)", name);
    if (!(x = sl_flow_set_chain(fs, d->id))) return sl_err(e, SL_ENOTFOUND, "the store holds no %s blocks", name);
    if (d->model == SL_MODEL_UTXO && !strcmp(name, strcmp(x->name, "litecoin") ? "litecoin" : "bitcoin"))
        return sl_err(e, SL_ENOTFOUND, "the store's Bitcoin-family chain is %s, not %s", x->name, name);
    *v = x;
    return SL_OK;
}

void sl_u128_dec(char out[40], sl_u128 v)
{
    char t[40];
    int n = 0;
    uint64_t w;
    while (v >> 64) { t[n++] = (char)('0' + (int)(v % 10)); v /= 10; }
    w = (uint64_t)v; /* the rest in 64 bits: a multiply per digit, not a 128-bit division call */
    do { t[n++] = (char)('0' + (int)(w % 10)); w /= 10; } while (w);
    for (int i = 0; i < n; i++) out[i] = t[n - 1 - i];
    out[n] = 0;
}

void sl_flow_amount_str(char *out, size_t cap, const sl_flow_asset *a, sl_u128 amount, bool with_symbol)
{
    char d[40], num[96];
    size_t n;
    sl_u128_dec(d, amount);
    n = strlen(d);
    if (a->decimals < 0) {
        snprintf(out, cap, "%s%s%s", d, with_symbol ? " base units of " : "", with_symbol ? a->symbol : "");
        return;
    }
    if (a->decimals == 0) {
        snprintf(num, sizeof num, "%s", d);
    } else {
        unsigned dec = (unsigned)a->decimals;
        char frac[64];
        size_t ip = n > dec ? n - dec : 0, fl = dec;
        if (dec >= sizeof frac) dec = fl = sizeof frac - 1;
        if (n <= dec) memset(frac, '0', dec - n), memcpy(frac + dec - n, d, n);
        else memcpy(frac, d + ip, dec);
        if (!a->fixed)
            while (fl > 0 && frac[fl - 1] == '0') fl--;
        snprintf(num, sizeof num, "%.*s%s%.*s", ip ? (int)ip : 1, ip ? d : "0", fl ? "." : "", (int)fl, frac);
    }
    if (with_symbol) snprintf(out, cap, "%s %s", num, a->symbol);
    else snprintf(out, cap, "%s", num);
}

uint32_t sl_flow_utxo_payer(const sl_flow_view *v, uint64_t tx)
{
    sl_utxo_pool p;
    uint64_t best = 0;
    uint32_t addr = 0;
    if (v->model != SL_MODEL_UTXO) return 0;
    v->m->utxo_pool(v, tx, &p);
    for (uint32_t j = 0; j < p.n_in && !p.coinbase; j++) {
        uint32_t a;
        uint64_t x = v->m->utxo_in_value(v, p.first_in + j, &a);
        if (x != UINT64_MAX && (x > best || !addr)) best = x, addr = a;
    }
    return addr;
}
