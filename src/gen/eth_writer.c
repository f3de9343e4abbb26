/* eth_writer.c — the world generator's Ethereum side: accounts, transactions with their
 * internal calls and logs, and the JSON-RPC dump sleuth ingests (docs/ETH.md): per block
 * one JSON line each of eth_getBlockByNumber (full transactions), eth_getBlockReceipts
 * (logs, block-wide logIndex) and trace_block (parity traces: the top call, then the
 * internal calls as children [k]), in DIR/eth/blocks-NNNNN.json, 500 blocks a file.
 * Block 0 of the world funds the services by beacon-chain withdrawals (EIP-4895, the
 * only source of ETH an Ethereum dump can show without a genesis allocation).
 * Transaction hashes are Keccak-256 of (seed, counter) and block hashes Keccak-256 of
 * (parent, number, transaction hashes): unique and stable, not the keccak of a signed RLP
 * transaction or header (ingest does not recompute them without a "raw" field).
 * Transactions are legacy (type 0): effectiveGasPrice = gasPrice, the base fee 1 gwei.
 * Also the ABI helpers the services use (selectors, topics, words, strings). The block files,
 * ids and JSON text helpers are shared with the Tron writer (acct_out.c).
 */
#include <errno.h>
#include <string.h>

#include "gen_int.h"
#include "sleuth/eth.h"
#include "sleuth/keccak.h"

#define BASE_FEE 1000000000ULL

void ge_init(gen_world *w, uint64_t first_block)
{
    memset(&w->x, 0, sizeof w->x);
    gco_init(&w->x.c, "eth", first_block);
}

void ge_free(gen_world *w)
{
    gen_eth *x = &w->x;
    gco_free(&x->c);
    sl_free(x->acct), sl_free(x->txs), sl_free(x->logs), sl_free(x->calls), sl_free(x->wds);
    sl_buf_free(&x->data);
    memset(x, 0, sizeof *x);
}

void ge_close(gen_world *w) { gco_close(w, &w->x.c); }

static uint32_t acct_push(gen_world *w, const uint8_t a[20], int owner, const char *role)
{
    gen_eth *x = &w->x;
    char s[43];
    gen_grow(w, &x->acct, &x->cap_acct, x->n_acct + 1, sizeof *x->acct);
    memset(&x->acct[x->n_acct], 0, sizeof *x->acct);
    memcpy(x->acct[x->n_acct].a, a, 20);
    x->acct[x->n_acct].owner = (uint8_t)owner;
    ge_addr_str(w, (uint32_t)x->n_acct, s);
    gen_addr_row(w, "ethereum", s, owner, role);
    return (uint32_t)x->n_acct++;
}

uint32_t ge_new_acct(gen_world *w, int owner, const char *role)
{
    uint8_t h[32];
    gen_id(w, w->x.n_acct, 'e', h);
    return acct_push(w, h + 12, owner, role);
}

uint32_t ge_fixed_acct(gen_world *w, const char *hex40, int owner, const char *role)
{
    uint8_t a[20];
    gen_addr_hex(w, a, hex40);
    return acct_push(w, a, owner, role);
}

void ge_addr_str(gen_world *w, uint32_t idx, char out[43])
{
    sl_eth_addr a;
    memcpy(a.b, w->x.acct[idx].a, 20);
    sl_eth_addr_eip55(out, &a);
}

static void bal_sub(u128 *b, u128 v) { *b = *b > v ? *b - v : 0; }

uint32_t ge_tx_add(gen_world *w, uint32_t from, uint32_t to, u128 value, uint64_t gas_price, uint64_t gas_used,
                   const uint8_t *input, size_t n)
{
    gen_eth *x = &w->x;
    ge_tx *t;
    gen_grow(w, &x->txs, &x->cap_txs, x->n_txs + 1, sizeof *x->txs);
    t = &x->txs[x->n_txs];
    memset(t, 0, sizeof *t);
    gco_tx_hash(w, &x->c, 't', t->hash);
    t->from = from, t->to = to, t->value = value, t->gas_price = gas_price, t->gas_used = gas_used;
    t->nonce = x->acct[from].nonce++;
    t->in_off = (uint32_t)x->data.len;
    t->in_len = (uint32_t)n;
    if (n) gen_buf_put(w, &x->data, input, n);
    t->log0 = (uint32_t)x->n_logs;
    t->tr0 = (uint32_t)x->n_calls;
    bal_sub(&x->acct[from].bal, value + (u128)gas_price * gas_used);
    x->acct[to].bal += value;
    return (uint32_t)x->n_txs++;
}

const uint8_t *ge_last_hash(gen_world *w) { return w->x.txs[w->x.n_txs - 1].hash; }

void ge_log_add(gen_world *w, uint32_t addr, uint32_t ntop, const uint8_t (*top)[32], const uint8_t *data, size_t n)
{
    gen_eth *x = &w->x;
    ge_log *l;
    gen_grow(w, &x->logs, &x->cap_logs, x->n_logs + 1, sizeof *x->logs);
    l = &x->logs[x->n_logs++];
    l->addr = addr;
    l->ntop = ntop;
    memcpy(l->top, top, ntop * 32);
    l->data_off = (uint32_t)x->data.len;
    l->data_len = (uint32_t)n;
    if (n) gen_buf_put(w, &x->data, data, n);
    x->txs[x->n_txs - 1].nlog++;
}

void ge_call_add(gen_world *w, uint32_t from, uint32_t to, u128 value)
{
    gen_eth *x = &w->x;
    gen_grow(w, &x->calls, &x->cap_calls, x->n_calls + 1, sizeof *x->calls);
    x->calls[x->n_calls].from = from;
    x->calls[x->n_calls].to = to;
    x->calls[x->n_calls].value = value;
    x->n_calls++;
    x->txs[x->n_txs - 1].ntr++;
    bal_sub(&x->acct[from].bal, value);
    x->acct[to].bal += value;
}

void ge_withdrawal(gen_world *w, uint32_t addr, uint64_t gwei)
{
    gen_eth *x = &w->x;
    gen_grow(w, &x->wds, &x->cap_wds, x->n_wds + 1, sizeof *x->wds);
    x->wds[x->n_wds].addr = addr;
    x->wds[x->n_wds].gwei = gwei;
    x->n_wds++;
    x->acct[addr].bal += (u128)gwei * 1000000000ULL;
}

/* ---------- JSON text ---------- */
static void lput(gen_world *w, const char *s) { gen_put(w, &w->x.c.line, s); }
static void lhex(gen_world *w, const uint8_t *p, size_t n) { gen_put_hex(w, &w->x.c.line, p, n, true); }
static void lqty(gen_world *w, u128 v) /* a JSON-RPC quantity: "0x" + minimal hex */
{
    char t[40];
    int n = 0;
    static const char H[] = "0123456789abcdef";
    do { t[n++] = H[(int)(v & 15)]; v >>= 4; } while (v);
    gen_buf_put(w, &w->x.c.line, "\"0x", 3);
    while (n) gen_buf_put(w, &w->x.c.line, &t[--n], 1);
    gen_buf_put(w, &w->x.c.line, "\"", 1);
}
static void laddr(gen_world *w, uint32_t idx)
{
    lput(w, "\"");
    lhex(w, w->x.acct[idx].a, 20);
    lput(w, "\"");
}
static void lh32(gen_world *w, const uint8_t *h)
{
    lput(w, "\"");
    lhex(w, h, 32);
    lput(w, "\"");
}
/* The fields a transaction, its receipt and its logs share: where it is, who sent it where. */
static void lpos(gen_world *w, const uint8_t *bh, size_t i)
{
    lput(w, ",\"blockNumber\":");
    lqty(w, w->x.c.number);
    lput(w, ",\"blockHash\":");
    lh32(w, bh);
    lput(w, ",\"transactionIndex\":");
    lqty(w, i);
}
static void lfromto(gen_world *w, const ge_tx *t)
{
    lput(w, ",\"from\":");
    laddr(w, t->from);
    lput(w, ",\"to\":");
    laddr(w, t->to);
}
static void lnum(gen_world *w, uint64_t v) { gen_put_num(w, &w->x.c.line, v); }
static void line_end(gen_world *w) { gco_line_end(w, &w->x.c); }

void ge_block(gen_world *w, uint64_t time)
{
    gen_eth *x = &w->x;
    uint8_t bh[32];
    uint64_t cum = 0;
    gco_begin_block(w, &x->c, bh, x->n_txs ? x->txs[0].hash : NULL, x->n_txs, sizeof *x->txs);
    /* eth_getBlockByNumber */
    lput(w, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":");
    lqty(w, x->c.number);
    lput(w, ",\"hash\":");
    lh32(w, bh);
    lput(w, ",\"parentHash\":");
    lh32(w, x->c.parent);
    lput(w, ",\"timestamp\":");
    lqty(w, time);
    lput(w, ",\"miner\":");
    laddr(w, x->miner);
    lput(w, ",\"baseFeePerGas\":");
    lqty(w, BASE_FEE);
    lput(w, ",\"gasLimit\":\"0x1c9c380\",\"transactions\":[");
    for (size_t i = 0; i < x->n_txs; i++) {
        const ge_tx *t = &x->txs[i];
        lput(w, i ? ",{\"hash\":" : "{\"hash\":");
        lh32(w, t->hash);
        lpos(w, bh, i);
        lfromto(w, t);
        lput(w, ",\"value\":");
        lqty(w, t->value);
        lput(w, ",\"gas\":");
        lqty(w, t->gas_used + t->gas_used / 4);
        lput(w, ",\"gasPrice\":");
        lqty(w, t->gas_price);
        lput(w, ",\"nonce\":");
        lqty(w, t->nonce);
        lput(w, ",\"type\":\"0x0\",\"input\":\"");
        lhex(w, x->data.p + t->in_off, t->in_len);
        lput(w, "\"}");
    }
    lput(w, "]");
    if (x->n_wds) {
        lput(w, ",\"withdrawals\":[");
        for (size_t i = 0; i < x->n_wds; i++) {
            lput(w, i ? ",{\"index\":" : "{\"index\":");
            lqty(w, i);
            lput(w, ",\"validatorIndex\":");
            lqty(w, 1000 + i);
            lput(w, ",\"address\":");
            laddr(w, x->wds[i].addr);
            lput(w, ",\"amount\":");
            lqty(w, x->wds[i].gwei);
            lput(w, "}");
        }
        lput(w, "]");
    }
    lput(w, "}}");
    line_end(w);
    /* eth_getBlockReceipts */
    lput(w, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":[");
    {
        uint64_t li = 0;
        for (size_t i = 0; i < x->n_txs; i++) {
            const ge_tx *t = &x->txs[i];
            cum += t->gas_used;
            lput(w, i ? ",{\"transactionHash\":" : "{\"transactionHash\":");
            lh32(w, t->hash);
            lpos(w, bh, i);
            lfromto(w, t);
            lput(w, ",\"cumulativeGasUsed\":");
            lqty(w, cum);
            lput(w, ",\"gasUsed\":");
            lqty(w, t->gas_used);
            lput(w, ",\"effectiveGasPrice\":");
            lqty(w, t->gas_price);
            lput(w, ",\"contractAddress\":null,\"status\":\"0x1\",\"type\":\"0x0\",\"logs\":[");
            for (uint32_t k = 0; k < t->nlog; k++) {
                const ge_log *l = &x->logs[t->log0 + k];
                lput(w, k ? ",{\"address\":" : "{\"address\":");
                laddr(w, l->addr);
                lput(w, ",\"topics\":[");
                for (uint32_t j = 0; j < l->ntop; j++) {
                    if (j) lput(w, ",");
                    lh32(w, l->top[j]);
                }
                lput(w, "],\"data\":\"");
                lhex(w, x->data.p + l->data_off, l->data_len);
                lput(w, "\",\"transactionHash\":");
                lh32(w, t->hash);
                lpos(w, bh, i);
                lput(w, ",\"logIndex\":");
                lqty(w, li++);
                lput(w, ",\"removed\":false}");
            }
            lput(w, "]}");
        }
    }
    lput(w, "]}");
    line_end(w);
    /* trace_block */
    lput(w, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[");
    for (size_t i = 0; i < x->n_txs; i++) {
        const ge_tx *t = &x->txs[i];
        for (uint32_t k = 0; k <= t->ntr; k++) {
            const ge_call *c = k ? &x->calls[t->tr0 + k - 1] : NULL;
            lput(w, i || k ? "," : "");
            lput(w, "{\"action\":{\"callType\":\"call\",\"from\":");
            laddr(w, c ? c->from : t->from);
            lput(w, ",\"to\":");
            laddr(w, c ? c->to : t->to);
            lput(w, ",\"value\":");
            lqty(w, c ? c->value : t->value);
            lput(w, ",\"gas\":");
            lqty(w, c ? 2300 : t->gas_used);
            lput(w, ",\"input\":\"");
            if (c) lput(w, "0x");
            else lhex(w, x->data.p + t->in_off, t->in_len);
            lput(w, "\"},\"blockHash\":");
            lh32(w, bh);
            lput(w, ",\"blockNumber\":");
            lnum(w, x->c.number);
            lput(w, ",\"result\":{\"gasUsed\":");
            lqty(w, c ? 0 : t->gas_used);
            lput(w, ",\"output\":\"0x\"},\"subtraces\":");
            lnum(w, c ? 0 : t->ntr);
            lput(w, ",\"traceAddress\":[");
            if (c) lnum(w, k - 1);
            lput(w, "],\"transactionHash\":");
            lh32(w, t->hash);
            lput(w, ",\"transactionPosition\":");
            lnum(w, i);
            lput(w, ",\"type\":\"call\"}");
        }
    }
    lput(w, "]}");
    line_end(w);
    gco_end_block(&x->c, bh);
    x->n_txs = x->n_logs = x->n_calls = x->n_wds = 0;
    x->data.len = 0;
}

/* ---------- ABI ---------- */
void abi_sel(uint8_t out[4], const char *sig)
{
    uint8_t h[32];
    sl_keccak256(h, sig, strlen(sig));
    memcpy(out, h, 4);
}

void abi_topic(uint8_t out[32], const char *sig) { sl_keccak256(out, sig, strlen(sig)); }

void abi_addr(uint8_t wd[32], const uint8_t a[20])
{
    memset(wd, 0, 12);
    memcpy(wd + 12, a, 20);
}

void abi_u128(uint8_t wd[32], u128 v)
{
    memset(wd, 0, 32);
    for (int i = 31; i >= 16; i--, v >>= 8) wd[i] = (uint8_t)v;
}

void abi_word_addr(abi_enc *a, const uint8_t addr[20]) { abi_addr(a->head[a->nhead++], addr); }
void abi_word_u(abi_enc *a, u128 v) { abi_u128(a->head[a->nhead++], v); }
void abi_word_raw(abi_enc *a, const uint8_t wd[32]) { memcpy(a->head[a->nhead++], wd, 32); }
void abi_word_bytes(abi_enc *a, const uint8_t *p, size_t n)
{
    a->dyn[a->ndyn].slot = a->nhead;
    a->dyn[a->ndyn].p = p;
    a->dyn[a->ndyn++].n = n;
    memset(a->head[a->nhead++], 0, 32); /* the offset, filled in by abi_encode */
}
void abi_word_str(abi_enc *a, const char *s) { abi_word_bytes(a, (const uint8_t *)s, strlen(s)); }

void abi_encode(gen_world *w, sl_buf *b, const uint8_t *sel, const abi_enc *a)
{
    uint8_t head[12][32], wd[32];
    size_t off = a->nhead * 32;
    b->len = 0;
    memcpy(head, a->head, sizeof head);
    for (size_t d = 0; d < a->ndyn; d++) {
        size_t n = a->dyn[d].n;
        abi_u128(head[a->dyn[d].slot], off);
        off += 32 + (n + 31) / 32 * 32;
    }
    if (sel) gen_buf_put(w, b, sel, 4);
    gen_buf_put(w, b, head, a->nhead * 32);
    for (size_t d = 0; d < a->ndyn; d++) {
        size_t n = a->dyn[d].n, pad = (n + 31) / 32 * 32 - n;
        uint8_t z[32] = {0};
        abi_u128(wd, n);
        gen_buf_put(w, b, wd, 32);
        gen_buf_put(w, b, a->dyn[d].p, n);
        gen_buf_put(w, b, z, pad);
    }
}
