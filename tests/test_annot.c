/* test_annot.c — the annotations ingest keeps for laundering analysis (include/sleuth/annot.h):
 * OP_RETURN payloads of a regtest block built here (real serialization, real txids, PoW),
 * the known events and text inputs of the hand-built Ethereum JSON-RPC fixture
 * tests/data/annot/eth_block.jsonl (make_eth.py beside it says every value), the crash rule
 * (rows of a batch whose store commit never happened are invisible and cut by the next
 * writer), rollback, a store without annot.db, and `sleuth tx --json` / `sleuth info`. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "regtest.h"
#include "sleuth/annot.h"
#include "sleuth/chains.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

#define ETH_FIX "tests/data/annot/eth_block.jsonl"
#define INBOUND_UP "9A3F1C2B4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8"
#define INBOUND "9a3f1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
#define REFUNDED "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SWAP_MEMO "=:ETH.ETH:0x1111111111111111111111111111111111111111:0"
#define DEPOSIT_MEMO "=:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0/1/0"
#define INPUT_MEMO "SWAP:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0"
#define GWEI 1000000000ULL

/* ---------------- the regtest chain ---------------- */

/* A spend of ins paying raw scriptPubKeys (value, script) — what rt_spend cannot say. */
typedef struct out_script {
    uint64_t value;
    const uint8_t *s;
    size_t n;
} out_script;

static void spend_scripts(rt_tx *t, const rt_in *in, const out_script *outs, int nout)
{
    uint8_t *p = t->b;
    sl_put_le32(p, 2), p += 4;
    *p++ = 1;
    memcpy(p, in->txid.b, 32), p += 32;
    sl_put_le32(p, in->vout), p += 4;
    *p++ = 1, *p++ = 0x51;
    sl_put_le32(p, 0xffffffff), p += 4;
    *p++ = (uint8_t)nout;
    for (int k = 0; k < nout; k++) {
        sl_put_le64(p, outs[k].value), p += 8;
        *p++ = (uint8_t)outs[k].n;
        memcpy(p, outs[k].s, outs[k].n), p += outs[k].n;
    }
    sl_put_le32(p, 0), p += 4;
    t->n = (size_t)(p - t->b);
    sl_sha256d(t->txid.b, t->b, t->n);
}

/* OP_RETURN <push text> with the push opcode given (a direct push or OP_PUSHDATA1). */
static size_t op_return_text(uint8_t *s, const char *text, bool pushdata1)
{
    size_t n = strlen(text), k = 0;
    s[k++] = 0x6a;
    if (pushdata1) s[k++] = 0x4c;
    s[k++] = (uint8_t)n;
    memcpy(s + k, text, n);
    return k + n;
}

/* Blocks 0..2: two coinbases, then a coinbase and tx 3 spending block 0's output and
 * paying a vault (vout 0), five OP_RETURN outputs (vouts 1..5) and change (vout 6). */
static void op_return_chain(rt_chain *c, rt_tx tx[4])
{
    static uint8_t s1[100], s2[100], s3[100], s4[] = {0x6a, 2, 'a', 'b', 0x51, 2, 'c', 'd'}, s5[] = {0x6a, 3, 0, 1, 2};
    static uint8_t p2pkh_vault[25], p2pkh_change[25];
    rt_out o = {0xa1, 100000}, z = {0x01, 0};
    out_script outs[7];
    memcpy(p2pkh_vault, "\x76\xa9\x14", 3), memset(p2pkh_vault + 3, 0x77, 20), memcpy(p2pkh_vault + 23, "\x88\xac", 2);
    memcpy(p2pkh_change, "\x76\xa9\x14", 3), memset(p2pkh_change + 3, 0xcc, 20), memcpy(p2pkh_change + 23, "\x88\xac", 2);
    outs[0] = (out_script){90000, p2pkh_vault, 25};
    outs[1] = (out_script){0, s1, op_return_text(s1, SWAP_MEMO, false)};
    outs[2] = (out_script){0, s2, op_return_text(s2, "OUT:" INBOUND_UP, false)};
    outs[3] = (out_script){0, s3, op_return_text(s3, "refund:0x" REFUNDED, true)};
    outs[4] = (out_script){0, s4, sizeof s4};
    outs[5] = (out_script){0, s5, sizeof s5};
    outs[6] = (out_script){9000, p2pkh_change, 25};
    rt_coinbase(&tx[0], 0, &o, 1), rt_block(c, (rt_tx *[]){&tx[0]}, 1);
    rt_coinbase(&tx[1], 1, &z, 1), rt_block(c, (rt_tx *[]){&tx[1]}, 1);
    spend_scripts(&tx[3], &(rt_in){tx[0].txid, 0}, outs, 7);
    rt_coinbase(&tx[2], 2, &z, 1), rt_block(c, (rt_tx *[]){&tx[2], &tx[3]}, 2);
}

/* Writes the chain to a new folder; its blk file's path. */
static const char *write_chain(rt_tx tx[4])
{
    rt_chain c;
    const char *p;
    memset(&c, 0, sizeof c);
    op_return_chain(&c, tx);
    p = rt_write(&c, temp_dir());
    free(c.blk);
    return p;
}

static void ingest_ok(const char *fmt, const char *store, const char *input)
{
    run_result r = run_sleuth(fmt, store, input);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
}

#define INGEST_BTC "ingest btc --network regtest --quiet --store %s %s"
#define INGEST_ETH "ingest eth --quiet --store %s %s"

/* ---------------- reading ---------------- */

typedef struct rows {
    int n;
    sl_annot_row r[16];
    char text[16][128];
    uint8_t data[16][256];
} rows;

static int collect(void *ctx, const sl_annot_row *r)
{
    rows *v = ctx;
    cr_assert_lt(v->n, 16);
    v->r[v->n] = *r;
    snprintf(v->text[v->n], sizeof v->text[v->n], "%s", r->text);
    cr_assert_leq(r->len, sizeof v->data[v->n]);
    memcpy(v->data[v->n], r->data, r->len);
    v->r[v->n].text = v->text[v->n];
    v->r[v->n].data = v->data[v->n];
    v->n++;
    return 0;
}

/* The rows of one tx as a reader sees them. */
static rows of_tx(const char *store, uint16_t chain, uint64_t tx)
{
    sl_store *s;
    sl_annot *a;
    sl_error e = {0};
    rows v;
    memset(&v, 0, sizeof v);
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
    cr_assert_eq(sl_annot_of_tx(a, chain, tx, collect, &v, &e), SL_OK, "%s", e.msg);
    sl_annot_close(a);
    sl_store_close(s);
    return v;
}

/* Rows in annot.db of chain, visible or not (SQLite read directly). */
static int raw_rows(const char *store, int chain)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    cr_assert_eq(sqlite3_open_v2(path_in(store, "annot.db"), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM annot WHERE chain = ?1", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int(st, 1, chain);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static uint64_t gas_u64(const sl_annot_row *r)
{
    for (int i = 8; i < 16; i++) cr_assert_eq(r->gas_price[i], 0);
    return sl_le64(r->gas_price);
}

static void hex_of(char *out, const uint8_t *p, size_t n) { sl_hex_encode(out, p, n); }

/* Row i of v is the log of event `event` at log index idx with n_topics topics, in a tx
 * whose gas price is gwei. */
static void is_event(const rows *v, int i, int event, uint32_t idx, int n_topics, uint64_t gwei)
{
    cr_assert_eq(v->r[i].kind, SL_ANNOT_EVENT);
    cr_assert_eq(v->r[i].event, event);
    cr_assert_eq(v->r[i].idx, idx);
    cr_assert_eq(v->r[i].n_topics, n_topics);
    cr_assert_eq(gas_u64(&v->r[i]), gwei * 1000000000ULL);
}

/* ---------------- pure helpers ---------------- */

Test(annot, ref_of_memos)
{
    char ref[65];
    sl_annot_ref_of(ref, "OUT:" INBOUND_UP);
    cr_assert_str_eq(ref, INBOUND);
    sl_annot_ref_of(ref, "out:0x" INBOUND);
    cr_assert_str_eq(ref, INBOUND);
    sl_annot_ref_of(ref, "REFUND:0X" INBOUND_UP);
    cr_assert_str_eq(ref, INBOUND);
    sl_annot_ref_of(ref, "OUT:" INBOUND_UP "0"); /* 65 digits */
    cr_assert_str_eq(ref, "");
    sl_annot_ref_of(ref, "OUT:9A3F"); /* short */
    cr_assert_str_eq(ref, "");
    sl_annot_ref_of(ref, "OUT:Z" "A3F1C2B4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8"); /* not hex */
    cr_assert_str_eq(ref, "");
    sl_annot_ref_of(ref, SWAP_MEMO);
    cr_assert_str_eq(ref, "");
    sl_annot_ref_of(ref, "OUTBOUND:" INBOUND);
    cr_assert_str_eq(ref, "");
}

Test(annot, op_return_payloads)
{
    uint8_t out[64];
    bool is;
    static const uint8_t two[] = {0x6a, 2, 'a', 'b', 0x51, 2, 'c', 'd'};
    static const uint8_t pd2[] = {0x6a, 0x4d, 3, 0, 'x', 'y', 'z'};
    static const uint8_t trunc[] = {0x6a, 1, 'q', 5, 'r'};
    static const uint8_t nonpush[] = {0x6a, 1, 'q', 0xac, 1, 'r'};
    static const uint8_t p2pkh[] = {0x76, 0xa9};
    cr_assert_eq(sl_annot_op_return(two, sizeof two, out, &is), 4);
    cr_assert(is);
    cr_assert_eq(memcmp(out, "abcd", 4), 0);
    cr_assert_eq(sl_annot_op_return(pd2, sizeof pd2, out, &is), 3);
    cr_assert_eq(memcmp(out, "xyz", 3), 0);
    cr_assert_eq(sl_annot_op_return(trunc, sizeof trunc, out, &is), 1); /* the truncated push is left out */
    cr_assert_eq(sl_annot_op_return(nonpush, sizeof nonpush, out, &is), 1);
    cr_assert_eq(sl_annot_op_return((const uint8_t *)"\x6a", 1, out, &is), 0);
    cr_assert(is);
    cr_assert_eq(sl_annot_op_return(p2pkh, sizeof p2pkh, out, &is), 0);
    cr_assert_not(is);
}

Test(annot, abi_string_bounds)
{
    uint8_t d[128] = {0};
    const uint8_t *s;
    size_t n;
    d[31] = 0x20;                  /* word 0: offset 32 */
    d[63] = 5;                     /* length 5 */
    memcpy(d + 64, "hello", 5);
    cr_assert(sl_annot_abi_string(d, 96, 0, &s, &n));
    cr_assert_eq(n, 5);
    cr_assert_eq(memcmp(s, "hello", 5), 0);
    cr_assert_not(sl_annot_abi_string(d, 68, 0, &s, &n)); /* the bytes run past the data */
    d[63] = 33;
    cr_assert_not(sl_annot_abi_string(d, 96, 0, &s, &n));
    d[63] = 5, d[31] = 0x21; /* unaligned offset */
    cr_assert_not(sl_annot_abi_string(d, 96, 0, &s, &n));
    d[31] = 0x20, d[0] = 1; /* offset above 2^64 */
    cr_assert_not(sl_annot_abi_string(d, 96, 0, &s, &n));
    cr_assert_not(sl_annot_abi_string(d, 96, 3, &s, &n)); /* no word 3 */
}

Test(annot, event_topics)
{
    static const struct { const char *hex; int ev; const char *name; } K[] = {
        {"ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395", SL_EV_THOR_DEPOSIT, "thorchain-deposit"},
        {"a9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7", SL_EV_THOR_TRANSFER_OUT,
         "thorchain-transfer-out"},
        {"8e5841bcd195b858d53b38bcf91b38d47f3bc800469b6812d35451ab619c6f6c", SL_EV_THOR_TRANSFER_OUT_CALL,
         "thorchain-transfer-out-and-call"},
        {"d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822", SL_EV_UNI_V2_SWAP, "uniswap-v2-swap"},
        {"c42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67", SL_EV_UNI_V3_SWAP, "uniswap-v3-swap"},
        {"a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196", SL_EV_TC_DEPOSIT, "tornado-deposit"},
        {"e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931", SL_EV_TC_WITHDRAWAL, "tornado-withdrawal"},
        {"ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef", SL_EV_NONE, "none"}, /* ERC-20 Transfer */
    };
    for (size_t i = 0; i < sizeof K / sizeof *K; i++) {
        uint8_t t[32];
        cr_assert(sl_hex_decode(t, 32, K[i].hex, 64));
        cr_assert_eq(sl_annot_event_of(t), K[i].ev, "%s", K[i].hex);
        cr_assert_str_eq(sl_annot_event_name(K[i].ev), K[i].name);
    }
}

/* ---------------- Bitcoin ---------------- */

Test(annot, bitcoin_op_returns, .timeout = 60)
{
    rt_tx tx[4];
    const char *blk = write_chain(tx), *store = path_in(temp_dir(), "s");
    rows v;
    char hx[600];
    ingest_ok(INGEST_BTC, store, blk);
    v = of_tx(store, SL_CHAIN_BTC, 3);
    cr_assert_eq(v.n, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(v.r[i].kind, SL_ANNOT_OPRETURN);
        cr_assert_eq(v.r[i].idx, (uint32_t)i + 1);
        cr_assert_eq(v.r[i].tx, 3);
        cr_assert_eq(v.r[i].chain, SL_CHAIN_BTC);
    }
    cr_assert_str_eq(v.r[0].text, SWAP_MEMO);
    cr_assert_str_eq(v.r[0].ref, "");
    cr_assert_eq(v.r[0].len, strlen(SWAP_MEMO));
    cr_assert_str_eq(v.r[1].text, "OUT:" INBOUND_UP);
    cr_assert_str_eq(v.r[1].ref, INBOUND);
    cr_assert_str_eq(v.r[2].text, "refund:0x" REFUNDED); /* OP_PUSHDATA1 */
    cr_assert_str_eq(v.r[2].ref, REFUNDED);
    cr_assert_str_eq(v.r[3].text, "abcd"); /* two pushes around OP_1 */
    cr_assert_str_eq(v.r[4].text, "");    /* not text: the bytes only */
    hex_of(hx, v.r[4].data, v.r[4].len);
    cr_assert_str_eq(hx, "000102");
    cr_assert_eq(of_tx(store, SL_CHAIN_BTC, 2).n, 0); /* a coinbase without OP_RETURN */
    {
        /* the legs by inbound txid (any case, 0x or not), and the counts */
        sl_store *s;
        sl_annot *a;
        sl_error e = {0};
        uint64_t n[4];
        rows w;
        memset(&w, 0, sizeof w);
        cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK);
        cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_annot_by_ref(a, "0x" INBOUND_UP, collect, &w, &e), SL_OK);
        cr_assert_eq(w.n, 1);
        cr_assert_eq(w.r[0].idx, 2);
        cr_assert_eq(sl_annot_count(a, n, &e), SL_OK);
        cr_assert_eq(n[SL_ANNOT_OPRETURN], 5);
        cr_assert_eq(n[0], 5);
        memset(&w, 0, sizeof w);
        cr_assert_eq(sl_annot_each(a, SL_CHAIN_BTC, SL_ANNOT_OPRETURN, 0, collect, &w, &e), SL_OK);
        cr_assert_eq(w.n, 5);
        sl_annot_close(a);
        sl_store_close(s);
    }
    {
        char id[65];
        cJSON *j, *m;
        sl_hash_hex(id, &tx[3].txid);
        j = sleuth_json("tx --store %s %s --json", store, id);
        m = cJSON_GetObjectItem(j, "memos");
        cr_assert_eq(cJSON_GetArraySize(m), 5);
        cr_assert_eq(jint(cJSON_GetArrayItem(m, 1), "vout"), 2);
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, 1), "kind"), "op_return");
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, 1), "text"), "OUT:" INBOUND_UP);
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, 1), "ref"), INBOUND);
        cr_assert_str_eq(jstr(cJSON_GetArrayItem(m, 4), "hex"), "000102");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 4), "text")));
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), 0);
        cJSON_Delete(j);
    }
}

/* ---------------- Ethereum ---------------- */

Test(annot, ethereum_events_and_memos, .timeout = 60)
{
    const char *store = path_in(temp_dir(), "e");
    uint16_t eth = SL_CHAIN_ETHEREUM;
    rows v;
    char hx[600];
    ingest_ok(INGEST_ETH, store, ETH_FIX);
    /* tx 0: the V2 pool's Swap (log 1; the USDT Transfer, log 0, is a flow, not kept) */
    v = of_tx(store, eth, 0);
    cr_assert_eq(v.n, 1);
    is_event(&v, 0, SL_EV_UNI_V2_SWAP, 1, 3, 2); /* gas: the receipt's effective price (base 1 + tip 1) */
    cr_assert_eq(v.r[0].len, 128);
    hex_of(hx, v.r[0].contract, 20);
    cr_assert_str_eq(hx, "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0");
    hex_of(hx, v.r[0].data + 96, 32);         /* amount1Out = 2,700 USDT */
    cr_assert_str_eq(hx, "00000000000000000000000000000000000000000000000000000000a0eebb00");
    /* tx 1: the router's Deposit; the memo ABI-decoded; the ABI calldata is not text */
    v = of_tx(store, eth, 1);
    cr_assert_eq(v.n, 1);
    is_event(&v, 0, SL_EV_THOR_DEPOSIT, 2, 3, 20);
    cr_assert_str_eq(v.r[0].text, DEPOSIT_MEMO);
    cr_assert_str_eq(v.r[0].ref, "");
    hex_of(hx, v.r[0].contract, 20);
    cr_assert_str_eq(hx, "d37bbe5744d730a1d98d8dc97c42f0ca46ad7146");
    hex_of(hx, v.r[0].topics[1] + 12, 20);
    cr_assert_str_eq(hx, "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"); /* the vault */
    /* tx 2: TransferOut with OUT:<inbound> */
    v = of_tx(store, eth, 2);
    cr_assert_eq(v.n, 1);
    is_event(&v, 0, SL_EV_THOR_TRANSFER_OUT, 3, 3, 25);
    cr_assert_str_eq(v.r[0].text, "OUT:" INBOUND_UP);
    cr_assert_str_eq(v.r[0].ref, INBOUND);
    /* tx 3: the memo in calldata; tx 4 failed: nothing */
    v = of_tx(store, eth, 3);
    cr_assert_eq(v.n, 1);
    cr_assert_eq(v.r[0].kind, SL_ANNOT_INPUT);
    cr_assert_eq(v.r[0].idx, 0);
    cr_assert_str_eq(v.r[0].text, INPUT_MEMO);
    cr_assert_eq(v.r[0].len, strlen(INPUT_MEMO));
    cr_assert_eq(gas_u64(&v.r[0]), 30 * GWEI);
    cr_assert_eq(of_tx(store, eth, 4).n, 0);
    /* tx 5: a V3 Swap and a Tornado Deposit (its 36-byte input is not text) */
    v = of_tx(store, eth, 5);
    cr_assert_eq(v.n, 2);
    is_event(&v, 0, SL_EV_UNI_V3_SWAP, 4, 3, 40);
    is_event(&v, 1, SL_EV_TC_DEPOSIT, 5, 2, 40);
    {
        /* the inbound named by the TransferOut, and the JSON of `sleuth tx` */
        cJSON *j, *ev, *d;
        sl_store *s;
        sl_annot *a;
        sl_error e = {0};
        rows w;
        uint64_t n[4];
        memset(&w, 0, sizeof w);
        cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK);
        cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_annot_by_ref(a, INBOUND, collect, &w, &e), SL_OK);
        cr_assert_eq(w.n, 1);
        cr_assert_eq(w.r[0].tx, 2);
        cr_assert_eq(sl_annot_count(a, n, &e), SL_OK);
        cr_assert_eq(n[SL_ANNOT_INPUT], 1);
        cr_assert_eq(n[SL_ANNOT_EVENT], 5);
        memset(&w, 0, sizeof w);
        cr_assert_eq(sl_annot_each(a, 0, SL_ANNOT_EVENT, SL_EV_THOR_DEPOSIT, collect, &w, &e), SL_OK);
        cr_assert_eq(w.n, 1);
        cr_assert_eq(w.r[0].tx, 1);
        sl_annot_close(a);
        sl_store_close(s);
        j = sleuth_json("tx --store %s 0x%064x --json", store, 0xa2);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "memos")), 0);
        ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0);
        cr_assert_str_eq(jstr(ev, "event"), "thorchain-transfer-out");
        cr_assert_eq(jint(ev, "log_index"), 3);
        cr_assert_str_eq(jstr(ev, "contract"), "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146");
        cr_assert_str_eq(jstr(ev, "memo"), "OUT:" INBOUND_UP);
        cr_assert_str_eq(jstr(ev, "ref"), INBOUND);
        cr_assert_eq(jint(ev, "gas_price"), 25 * GWEI);
        d = cJSON_GetObjectItem(ev, "decoded");
        cr_assert_str_eq(jstr(d, "amount"), "500000000000000000");
        cr_assert_str_eq(jstr(d, "asset"), "0x0000000000000000000000000000000000000000");
        cr_assert_str_eq(jstr(d, "memo"), "OUT:" INBOUND_UP);
        cJSON_Delete(j);
        j = sleuth_json("tx --store %s 0x%064x --json", store, 0xa5);
        d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0), "decoded");
        cr_assert_str_eq(jstr(d, "amount0"), "-5");
        cr_assert_str_eq(jstr(d, "amount1"), "1234");
        cr_assert_str_eq(jstr(d, "sqrt_price_x96"), "79228162514264337593543950336");
        cr_assert_str_eq(jstr(d, "tick"), "-3");
        d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 1), "decoded");
        cr_assert_str_eq(jstr(d, "leaf_index"), "7");
        cr_assert_str_eq(jstr(d, "commitment"), "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
        cJSON_Delete(j);
        j = sleuth_json("tx --store %s 0x%064x --json", store, 0xa3);
        ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "memos"), 0);
        cr_assert_str_eq(jstr(ev, "kind"), "input");
        cr_assert_str_eq(jstr(ev, "text"), INPUT_MEMO);
        cr_assert_eq(jint(ev, "gas_price"), 30 * GWEI);
        cJSON_Delete(j);
        j = sleuth_json("info --store %s --json", store);
        /* readers leave nothing in the store (no -wal, -shm or -journal) */
        cr_assert(access(path_in(store, "annot.db-wal"), F_OK) != 0);
        cr_assert(access(path_in(store, "annot.db-shm"), F_OK) != 0);
        cr_assert(access(path_in(store, "annot.db-journal"), F_OK) != 0);
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "annotations"), "event"), 5);
        cr_assert_eq(jint(cJSON_GetObjectItem(j, "annotations"), "input"), 1);
        cJSON_Delete(j);
    }
}

/* ---------------- the crash rule ---------------- */

Test(annot, killed_between_the_two_commits, .timeout = 120)
{
    rt_tx tx[4];
    const char *blk = write_chain(tx), *store = path_in(temp_dir(), "k");
    run_result r;
    /* Bitcoin, one commit a block: killed after the annotations of block 2 committed and
     * before the store's commit of it */
    r = run_sh("SLEUTH_TEST_KILL_AFTER_COMMITS=3 SLEUTH_TEST_KILL_BETWEEN=1 '%s' " INGEST_BTC " --batch-mb 0",
               sleuth_bin(), store, blk);
    cr_assert_eq(r.status, 128 + 9, "%d %s", r.status, r.err);
    run_free(&r);
    cr_assert_eq(raw_rows(store, SL_CHAIN_BTC), 5); /* on disk, past the committed 2 txs */
    cr_assert_eq(of_tx(store, SL_CHAIN_BTC, 3).n, 0);
    {
        sl_store *s;
        sl_annot *a;
        sl_error e = {0};
        uint64_t n[4];
        cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK);
        cr_assert_eq(sl_btc_meta_get(s)->n_tx, 2);
        cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK);
        cr_assert_eq(sl_annot_count(a, n, &e), SL_OK);
        cr_assert_eq(n[0], 0);
        sl_annot_close(a);
        sl_store_close(s);
        /* the next writer cuts them */
        cr_assert_eq(sl_store_open(&s, store, SL_STORE_WRITE, &e), SL_OK, "%s", e.msg);
        cr_assert_eq(sl_annot_open(&a, s, &e), SL_OK, "%s", e.msg);
        sl_annot_close(a);
        sl_store_close(s);
    }
    cr_assert_eq(raw_rows(store, SL_CHAIN_BTC), 0);
    ingest_ok(INGEST_BTC, store, blk); /* resumes: block 2 again, its rows with it */
    cr_assert_eq(of_tx(store, SL_CHAIN_BTC, 3).n, 5);
    cr_assert_eq(raw_rows(store, SL_CHAIN_BTC), 5);
    /* Ethereum into the same store: killed between its one batch's two commits */
    r = run_sh("SLEUTH_TEST_KILL_AFTER_COMMITS=1 SLEUTH_TEST_KILL_BETWEEN=1 '%s' " INGEST_ETH, sleuth_bin(), store,
               ETH_FIX);
    cr_assert_eq(r.status, 128 + 9, "%d %s", r.status, r.err);
    run_free(&r);
    cr_assert_eq(raw_rows(store, SL_CHAIN_ETHEREUM), 6);
    cr_assert_eq(of_tx(store, SL_CHAIN_ETHEREUM, 2).n, 0);
    cr_assert_eq(of_tx(store, SL_CHAIN_BTC, 3).n, 5);
    ingest_ok(INGEST_ETH, store, ETH_FIX); /* the writer cut them first: no duplicate, no stale row */
    cr_assert_eq(raw_rows(store, SL_CHAIN_ETHEREUM), 6);
    cr_assert_str_eq(of_tx(store, SL_CHAIN_ETHEREUM, 2).r[0].ref, INBOUND);
}

/* ---------------- rollback, old stores ---------------- */

Test(annot, rollback_cuts_the_rows, .timeout = 60)
{
    rt_tx tx[4];
    const char *blk = write_chain(tx), *store = path_in(temp_dir(), "r");
    run_result r;
    ingest_ok(INGEST_BTC, store, blk);
    ingest_ok(INGEST_ETH, store, ETH_FIX);
    cr_assert_eq(raw_rows(store, SL_CHAIN_BTC), 5);
    r = run_sleuth("rollback --store %s --chain btc --to 1 --quiet", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cr_assert_eq(raw_rows(store, SL_CHAIN_BTC), 0);
    cr_assert_eq(raw_rows(store, SL_CHAIN_ETHEREUM), 6); /* the other chain keeps its rows */
    r = run_sleuth("rollback --store %s --chain ethereum --to 4659 --quiet", store);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    cr_assert_eq(raw_rows(store, SL_CHAIN_ETHEREUM), 0);
    ingest_ok(INGEST_BTC, store, blk); /* the same blocks again: the same rows */
    cr_assert_eq(of_tx(store, SL_CHAIN_BTC, 3).n, 5);
}

Test(annot, store_without_annotations, .timeout = 60)
{
    const char *store = path_in(temp_dir(), "o");
    sl_store *s;
    sl_annot *a = NULL;
    sl_error e = {0};
    run_result r;
    cJSON *j;
    ingest_ok(INGEST_ETH, store, ETH_FIX);
    /* what a store ingested before annotations existed looks like */
    unlink(path_in(store, "annot.db"));
    cr_assert_eq(sl_store_open(&s, store, SL_STORE_RDONLY, &e), SL_OK);
    cr_assert_eq(sl_annot_open(&a, s, &e), SL_ENOTFOUND);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, "ingest"), "%s", e.msg);
    sl_store_close(s);
    j = sleuth_json("tx --store %s 0x%064x --json", store, 0xa2);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "memos")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "events")));
    cJSON_Delete(j);
    j = sleuth_json("info --store %s --json", store);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "annotations")));
    cr_assert(strstr(jstr(j, "annotations_note"), "new store"));
    cJSON_Delete(j);
    r = run_sleuth("info --store %s", store);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "annotations none"), "%s", r.out);
    run_free(&r);
}
