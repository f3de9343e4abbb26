/* tron_writer.c — the world generator's Tron side: accounts, TRX and USDT (TRC-20)
 * transactions, and the export `sleuth ingest tron` reads (docs/ETH.md): GraphSense's Tron
 * schema (the records of tests/data/tron: trx_blocks, trx_transactions, trx_logs), one
 * record a JSON line, per block the block record, then its transactions, then its logs, in
 * DIR/tron/blocks-NNNNN.json, 500 blocks a file (each file in ascending block order, as
 * ingest's segments want).
 *
 * Tron's conventions are kept: addresses are written as T-addresses (Base58Check of 0x41 +
 * 20 bytes; ingest reads them as it reads GraphSense's 0x-hex), transaction hashes as 64 hex
 * digits without 0x, block hashes begin with the block number in 8 bytes (as Tron's do), the
 * rest Keccak-256 of (parent, number, transaction hashes). A transaction hash is Keccak-256
 * of (seed, counter, 'n'): unique and stable, not the SHA-256 of a signed raw transaction.
 * Three transaction types: 1 TransferContract (TRX), 31 TriggerSmartContract (USDT's
 * transfer(address,uint256) with its Transfer log; the address word carries Tron's 0x41
 * byte, the log's topics do not, as on chain) and 13 WithdrawBalanceContract without a
 * sender (a reward withdrawal: how block 0 creates TRX, as beacon withdrawals create ETH on
 * the Ethereum side). Fees are energy and bandwidth on Tron: not flows, not modelled. The
 * block files, ids and JSON text helpers are the Ethereum writer's (acct_out.c).
 */
#include <string.h>

#include "gen_int.h"
#include "sleuth/eth.h"

void gt_init(gen_world *w, uint64_t first_block)
{
    memset(&w->t, 0, sizeof w->t);
    gco_init(&w->t.c, "tron", first_block);
}

void gt_free(gen_world *w)
{
    gen_tron *t = &w->t;
    gco_free(&t->c);
    sl_free(t->acct), sl_free(t->txs);
    memset(t, 0, sizeof *t);
}

void gt_close(gen_world *w) { gco_close(w, &w->t.c); }

static uint32_t acct_push(gen_world *w, const uint8_t a[20], int owner, const char *role)
{
    gen_tron *t = &w->t;
    gt_acct *x;
    sl_eth_addr e;
    gen_grow(w, &t->acct, &t->cap_acct, t->n_acct + 1, sizeof *t->acct);
    x = &t->acct[t->n_acct];
    memset(x, 0, sizeof *x);
    memcpy(x->a, a, 20);
    x->owner = (uint8_t)owner;
    memcpy(e.b, a, 20);
    sl_tron_addr_encode(x->t, &e);
    gen_addr_row(w, "tron", x->t, owner, role);
    return (uint32_t)t->n_acct++;
}

uint32_t gt_new_acct(gen_world *w, int owner, const char *role)
{
    uint8_t h[32];
    gen_id(w, w->t.n_acct, 'r', h);
    return acct_push(w, h + 12, owner, role);
}

uint32_t gt_fixed_acct(gen_world *w, const char *hex40, int owner, const char *role)
{
    uint8_t a[20];
    gen_addr_hex(w, a, hex40);
    return acct_push(w, a, owner, role);
}

static gt_tx *tx_new(gen_world *w, uint8_t type, uint32_t from, uint32_t to)
{
    gen_tron *t = &w->t;
    gt_tx *x;
    gen_grow(w, &t->txs, &t->cap_txs, t->n_txs + 1, sizeof *t->txs);
    x = &t->txs[t->n_txs++];
    memset(x, 0, sizeof *x);
    gco_tx_hash(w, &t->c, 'n', x->hash);
    x->type = type, x->from = from, x->to = to;
    return x;
}

static void sub_sat(uint64_t *b, uint64_t v) { *b = *b > v ? *b - v : 0; }

void gt_trx(gen_world *w, uint32_t from, uint32_t to, uint64_t sun)
{
    tx_new(w, 1, from, to)->value = sun;
    sub_sat(&w->t.acct[from].trx, sun);
    w->t.acct[to].trx += sun;
}

void gt_reward(gen_world *w, uint32_t to, uint64_t sun)
{
    tx_new(w, 13, UINT32_MAX, to)->value = sun;
    w->t.acct[to].trx += sun;
}

void gt_usdt(gen_world *w, uint32_t token, uint32_t caller, uint32_t from, uint32_t to, uint64_t amount)
{
    gt_tx *x = tx_new(w, 31, caller, token);
    x->log = true, x->log_from = from, x->log_to = to, x->amount = amount;
    if (from != UINT32_MAX) {
        sub_sat(&w->t.acct[from].usdt, amount);
        thief_debit(w, 2, from, ASSET_USDT, amount);
    }
    w->t.acct[to].usdt += amount;
    thief_credit(w, 2, to, ASSET_USDT, amount);
}

const uint8_t *gt_last_hash(gen_world *w) { return w->t.txs[w->t.n_txs - 1].hash; }

/* ---------- the export's JSON lines ---------- */
static void put(gen_world *w, const char *s) { gen_put(w, &w->t.c.line, s); }
static void num(gen_world *w, uint64_t v) { gen_put_num(w, &w->t.c.line, v); }
static void taddr(gen_world *w, uint32_t idx)
{
    put(w, "\"");
    put(w, w->t.acct[idx].t);
    put(w, "\"");
}
static void hash0x(gen_world *w, const uint8_t *h)
{
    put(w, "\"");
    gen_put_hex(w, &w->t.c.line, h, 32, true);
    put(w, "\"");
}
static void line_end(gen_world *w) { gco_line_end(w, &w->t.c); }

/* The fields every record of a block repeats (GraphSense's partitioning columns). */
static void where(gen_world *w)
{
    put(w, ",\"block_id\":");
    num(w, w->t.c.number);
    put(w, ",\"block_id_group\":");
    num(w, w->t.c.number / 1000);
    put(w, ",\"partition\":");
    num(w, w->t.c.number / 100000);
}

void gt_block(gen_world *w, uint64_t time)
{
    gen_tron *t = &w->t;
    uint8_t bh[32], word[32];
    uint64_t cum = 0, li = 0;
    char hx[65];
    gco_begin_block(w, &t->c, bh, t->n_txs ? t->txs[0].hash : NULL, t->n_txs, sizeof *t->txs);
    for (int i = 0; i < 8; i++) bh[i] = (uint8_t)(t->c.number >> (56 - 8 * i)); /* Tron: the number first */
    put(w, "{\"parent_hash\":");
    hash0x(w, t->c.parent);
    put(w, ",\"block_hash\":");
    hash0x(w, bh);
    put(w, ",\"miner\":");
    taddr(w, t->miner);
    put(w, ",\"difficulty\":0,\"total_difficulty\":0,\"size\":");
    num(w, 200 + 280 * t->n_txs);
    put(w, ",\"gas_limit\":16109232500,\"gas_used\":");
    for (size_t i = 0; i < t->n_txs; i++) cum += t->txs[i].type == 31 ? 31895 : 0;
    num(w, cum);
    put(w, ",\"timestamp\":");
    num(w, time);
    put(w, ",\"transaction_count\":");
    num(w, t->n_txs);
    put(w, ",\"base_fee_per_gas\":0,\"withdrawals\":[]");
    where(w);
    put(w, "}");
    line_end(w);
    cum = 0;
    for (size_t i = 0; i < t->n_txs; i++) {
        const gt_tx *x = &t->txs[i];
        uint64_t gas = x->type == 31 ? 31895 : 0;
        cum += gas;
        sl_hex_encode(hx, x->hash, 32);
        put(w, "{\"tx_hash\":\"");
        put(w, hx);
        put(w, "\",\"transaction_index\":");
        num(w, i);
        put(w, ",\"block_hash\":");
        hash0x(w, bh);
        put(w, ",\"block_timestamp\":");
        num(w, time);
        put(w, ",\"nonce\":0,\"from_address\":");
        if (x->from == UINT32_MAX) put(w, "null");
        else taddr(w, x->from);
        put(w, ",\"to_address\":");
        taddr(w, x->to);
        put(w, ",\"value\":");
        num(w, x->value);
        put(w, ",\"gas\":");
        num(w, gas);
        put(w, ",\"gas_price\":420,\"input\":\"0x");
        if (x->log && x->log_from != UINT32_MAX) { /* transfer(address,uint256): the word holds 0x41 + address */
            put(w, "a9059cbb0000000000000000000000");
            put(w, "41");
            gen_put_hex(w, &t->c.line, t->acct[x->log_to].a, 20, false);
            abi_u128(word, x->amount);
            gen_put_hex(w, &t->c.line, word, 32, false);
        } else if (x->log) { /* issue(uint256) */
            uint8_t sel[4];
            abi_sel(sel, "issue(uint256)");
            gen_put_hex(w, &t->c.line, sel, 4, false);
            abi_u128(word, x->amount);
            gen_put_hex(w, &t->c.line, word, 32, false);
        }
        put(w, "\",\"transaction_type\":");
        num(w, x->type);
        put(w, ",\"receipt_cumulative_gas_used\":");
        num(w, cum);
        put(w, ",\"receipt_gas_used\":");
        num(w, gas);
        put(w, ",\"receipt_contract_address\":null,\"receipt_status\":1,\"receipt_effective_gas_price\":420");
        put(w, ",\"tx_hash_prefix\":\"");
        hx[5] = 0;
        put(w, hx);
        put(w, "\"");
        where(w);
        put(w, ",\"fee\":null}");
        line_end(w);
    }
    for (size_t i = 0; i < t->n_txs; i++) {
        const gt_tx *x = &t->txs[i];
        if (!x->log) continue;
        put(w, "{\"log_index\":");
        num(w, li++);
        put(w, ",\"transaction_index\":");
        num(w, i);
        put(w, ",\"block_hash\":");
        hash0x(w, bh);
        put(w, ",\"address\":");
        taddr(w, x->to);
        put(w, ",\"data\":\"");
        abi_u128(word, x->amount);
        gen_put_hex(w, &t->c.line, word, 32, true);
        put(w, "\",\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\",\"0x");
        memset(word, 0, 12);
        if (x->log_from == UINT32_MAX) memset(word + 12, 0, 20);
        else memcpy(word + 12, t->acct[x->log_from].a, 20);
        gen_put_hex(w, &t->c.line, word, 32, false);
        put(w, "\",\"0x");
        memcpy(word + 12, t->acct[x->log_to].a, 20);
        gen_put_hex(w, &t->c.line, word, 32, false);
        put(w, "\"],\"tx_hash\":\"");
        sl_hex_encode(hx, x->hash, 32);
        put(w, hx);
        put(w, "\"");
        where(w);
        put(w, ",\"topic0\":\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\"}");
        line_end(w);
    }
    gco_end_block(&t->c, bh);
    t->n_txs = 0;
}
