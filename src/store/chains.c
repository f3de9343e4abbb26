/* chains.c — the chain registry of a store (include/sleuth/chains.h): which chains sleuth
 * knows, which of them a store holds, and the (chain, address id) key resolved from and
 * formatted to each chain's own address notation. */
#include "sleuth/chains.h"

#include <string.h>

#include "sleuth/btc.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"

static const sl_chain_def DEFS[] = {
    {SL_CHAIN_BTC, "btc", SL_MODEL_UTXO},          {SL_CHAIN_ETHEREUM, "ethereum", SL_MODEL_ACCOUNT},
    {17, "bsc", SL_MODEL_ACCOUNT},                 {18, "polygon", SL_MODEL_ACCOUNT},
    {19, "avalanche", SL_MODEL_ACCOUNT},           {20, "arbitrum", SL_MODEL_ACCOUNT},
    {21, "base", SL_MODEL_ACCOUNT},                {22, "tron", SL_MODEL_ACCOUNT},
};
#define NDEFS (sizeof DEFS / sizeof *DEFS)

const sl_chain_def *sl_chain_defs(size_t *n)
{
    *n = NDEFS;
    return DEFS;
}

const sl_chain_def *sl_chain_by_name(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < NDEFS; i++)
        if (!strcmp(DEFS[i].name, name)) return &DEFS[i];
    return sl_btc_net_by_name(name) ? &DEFS[0] : NULL;
}

const sl_chain_def *sl_chain_by_id(uint16_t id)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (DEFS[i].id == id) return &DEFS[i];
    return NULL;
}

/* The account chain of def in s, when it holds blocks. */
static sl_eth_chain *acct_chain(sl_store *s, const sl_chain_def *def)
{
    sl_eth_chain *c = NULL;
    sl_error e = {0};
    if (def->model != SL_MODEL_ACCOUNT || sl_eth_chain_open(s, def->name, &c, &e) || !sl_eth_meta_get(c)->n_blocks)
        return NULL;
    return c;
}

size_t sl_store_chains(sl_store *s, const sl_chain_def **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < NDEFS; i++) {
        bool has = DEFS[i].model == SL_MODEL_UTXO ? sl_btc_meta_get(s)->n_blocks > 0 : acct_chain(s, &DEFS[i]) != NULL;
        if (!has) continue;
        if (n < cap) out[n] = &DEFS[i];
        n++;
    }
    return n;
}

int sl_addr_resolve(sl_store *s, const char *chain, const char *text, sl_addr_ref *out, sl_error *e)
{
    const sl_chain_def *def = chain ? sl_chain_by_name(chain) : NULL;
    if (chain && !def) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", chain);
    if (!def || def->model == SL_MODEL_UTXO) {
        sl_btc_addr a;
        sl_btc_addrstat st;
        if (sl_btc_addr_decode(&a, sl_store_btc_net(s), text)) {
            if (sl_btc_addr_lookup(s, &a, &st)) return sl_err(e, SL_ENOTFOUND, "%s: not in the store", text);
            out->chain = SL_CHAIN_BTC, out->id = st.id;
            return SL_OK;
        }
        if (def) {
            char why[200];
            sl_btc_addr_explain(why, sizeof why, sl_store_btc_net(s), text);
            return sl_err(e, SL_EUSAGE, "%s: %s", text, why);
        }
    }
    for (size_t i = 0; i < NDEFS; i++) {
        const sl_chain_def *d = &DEFS[i];
        sl_eth_chain *c;
        sl_eth_addr a;
        sl_eth_acctstat st;
        bool tron;
        if (d->model != SL_MODEL_ACCOUNT || (def && d != def)) continue;
        tron = !strcmp(d->name, "tron");
        if (!(tron ? sl_tron_addr_decode(&a, text) : sl_eth_addr_parse(&a, text))) {
            if (def) return sl_err(e, SL_EUSAGE, "%s: not a %s address", text, d->name);
            continue;
        }
        if (!(c = acct_chain(s, d)) || sl_eth_acct_lookup(c, &a, &st)) {
            if (def) return sl_err(e, SL_ENOTFOUND, "%s: not in the store's %s chain", text, d->name);
            continue;
        }
        out->chain = d->id, out->id = st.id;
        return SL_OK;
    }
    return sl_err(e, SL_ENOTFOUND, "%s: no chain of the store has this address", text);
}

int sl_addr_format(sl_store *s, sl_addr_ref r, char *out, size_t cap)
{
    const sl_chain_def *d = sl_chain_by_id(r.chain);
    char buf[128];
    if (!d || cap < 100) return SL_ENOTFOUND;
    if (d->model == SL_MODEL_UTXO) {
        sl_btc_addr a;
        if (sl_btc_addr_key(s, r.id, &a) || !sl_btc_addr_encode(buf, sl_store_btc_net(s), &a)) return SL_ENOTFOUND;
    } else {
        sl_eth_chain *c = acct_chain(s, d);
        sl_eth_addr a;
        if (!c || !sl_eth_acct_addr(c, r.id, &a)) return SL_ENOTFOUND;
        if (!strcmp(d->name, "tron")) sl_tron_addr_encode(buf, &a);
        else sl_eth_addr_eip55(buf, &a);
    }
    memcpy(out, buf, strlen(buf) + 1);
    return SL_OK;
}
