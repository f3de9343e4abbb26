/* eth_find.c — finding what a look-up names among the account chains of a store (the
 * Ethereum family and Tron): which chain holds a transaction, an account or a block, in
 * chain-id order (sl_chain_defs) or on one named chain; and whether an argument is written
 * the account chains' way at all. Shared by the reports and the CLI's account traces. */
#include <string.h>

#include "sleuth/report.h"

typedef bool (*has_fn)(const sl_eth_chain *c, void *ctx);

/* The first account chain of the store (or only `only`) for which has() is true, or NULL. */
static sl_eth_chain *find_chain(sl_store *s, const char *only, has_fn has, void *ctx)
{
    size_t n;
    const sl_chain_def *defs = sl_chain_defs(&n);
    for (size_t i = 0; i < n; i++) {
        sl_eth_chain *c;
        sl_error e = {0};
        if (defs[i].model != SL_MODEL_ACCOUNT || (only && strcmp(only, defs[i].name))) continue;
        if (sl_eth_chain_open(s, defs[i].name, &c, &e)) continue;
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

sl_eth_chain *sl_eth_chain_with_tx(sl_store *s, const char *only, const sl_hash256 *h, uint64_t *id)
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

sl_eth_chain *sl_eth_chain_with_acct(sl_store *s, const char *only, const sl_eth_addr *a, bool tron_only,
                                     sl_eth_acctstat *st)
{
    acctq q = {a, st, tron_only};
    return find_chain(s, only, has_acct, &q);
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

sl_eth_chain *sl_eth_chain_with_block(sl_store *s, const char *only, const sl_hash256 *h, uint64_t number,
                                      uint32_t *idx)
{
    blockq q = {h != NULL, number, h, idx};
    return find_chain(s, only, has_block, &q);
}

bool sl_report_is_account_arg(const char *s)
{
    sl_eth_addr a;
    return (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && (strlen(s) == 42 || strlen(s) == 66)) ||
           sl_tron_addr_decode(&a, s);
}
