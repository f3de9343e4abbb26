/* gen_deposit.c — generates an account chain whose owners are known, for measuring
 * deposit-address clustering (bench/bench_deposit.c, docs/DEPOSIT.md): exchanges with a hot
 * wallet, a gas funder and one deposit address per (customer, exchange); customers paying
 * their deposit addresses in ETH or USDT and the exchanges sweeping them later (most within
 * tau, some after it, a few batched); plus the noise that fools the rule: withdrawals, users
 * paying each other, users relaying a payment on to a few popular merchants (the false
 * positives to beat; they pay out now and then), and routers passing payments on inside
 * the caller's transaction.
 * Output: the JSON-RPC dump format gen_eth.c writes (per block eth_getBlockByNumber,
 * eth_getBlockReceipts, and trace_block when the block has internal transfers; gas price 0,
 * the sweeps' gas shows as the shortfall), files of 1,000 blocks, and truth.csv
 * (address,role,owner: role hot | deposit | funder | merchant | router, owner the
 * exchange's number or -1). Deterministic (xorshift; the seed picks the world).
 *
 *   gen_deposit OUTDIR NBLOCKS ACTIONS_PER_BLOCK [SEED]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static uint64_t st = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    return st;
}
static uint64_t rr(uint64_t lo, uint64_t hi) { return lo + rnd() % (hi - lo + 1); }

enum { K_HOT = 1, K_FUNDER, K_DEPOSIT, K_USER, K_MERCHANT, K_ROUTER, K_TREASURY };
#define N_EX 12
#define N_USERS 60000
#define N_MERCHANTS 6
#define N_ROUTERS 4
#define ETH ((u128)1000000000000000000ULL)
#define USDT "dac17f958d2ee523a2206206994597c13d831ec7"

/* an address: its kind in the first byte, its number in the rest */
static void addr(char o[41], int kind, uint64_t id) { snprintf(o, 41, "%02x%014x%024" PRIx64, kind, 0, id); }

typedef struct ev {
    int from_kind, to_kind;
    uint64_t from, to;
    u128 amount;
    int token;          /* 1: USDT */
    struct ev *next;
} ev;

static ev **sched;       /* per block: events due */
static uint64_t nblocks;

static void at(uint64_t b, int fk, uint64_t f, int tk, uint64_t t, u128 amt, int token)
{
    if (b >= nblocks) return;
    ev *e = malloc(sizeof *e);
    *e = (ev){fk, tk, f, t, amt, token, sched[b]};
    sched[b] = e;
}

static void hex128(char *o, u128 v)
{
    char t[40];
    int n = 0;
    do t[n++] = "0123456789abcdef"[(int)(v & 15)], v >>= 4; while (v);
    o[0] = '0', o[1] = 'x';
    for (int i = 0; i < n; i++) o[2 + i] = t[n - 1 - i];
    o[2 + n] = 0;
}

/* an exchange, weighted (a few big ones, a long tail) */
static int pick_exchange(uint64_t customer)
{
    uint64_t r = rnd() % 100;
    int pref = r < 70 ? (int)(customer % 5) : (int)((customer * 7 + 3) % N_EX);
    return pref;
}

typedef struct tx { int fk, tk; uint64_t f, t; u128 v; int token; int router; } tx;

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: gen_deposit OUTDIR NBLOCKS ACTIONS_PER_BLOCK [SEED]\n"); return 2; }
    const char *dir = argv[1];
    nblocks = strtoull(argv[2], 0, 10);
    uint64_t apb = strtoull(argv[3], 0, 10), txn = 0;
    if (argc > 4) st ^= strtoull(argv[4], 0, 10) * 0x2545F4914F6CDD1DULL;
    sched = calloc(nblocks, sizeof *sched);
    char p[4096], a1[41], a2[41], vh[48];
    FILE *f = NULL, *truth;
    snprintf(p, sizeof p, "%s/truth.csv", dir);
    if (!(truth = fopen(p, "w"))) { perror(p); return 1; }
    fprintf(truth, "address,role,owner\n");
    for (int x = 0; x < N_EX; x++) {
        addr(a1, K_HOT, x), fprintf(truth, "0x%s,hot,%d\n", a1, x);
        addr(a1, K_FUNDER, x), fprintf(truth, "0x%s,funder,%d\n", a1, x);
    }
    for (int m = 0; m < N_MERCHANTS; m++) addr(a1, K_MERCHANT, m), fprintf(truth, "0x%s,merchant,-1\n", a1);
    for (int r = 0; r < N_ROUTERS; r++) addr(a1, K_ROUTER, r), fprintf(truth, "0x%s,router,-1\n", a1);
    /* deposit address of (customer c, exchange x): id c * N_EX + x; written to the truth
     * the first time it is paid */
    uint8_t *seen = calloc((size_t)N_USERS * N_EX, 1);
    size_t cap = apb + 64;
    tx *txs = malloc(cap * sizeof *txs);
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t number = 15000000 + b, n = 0;
        /* new actions */
        for (uint64_t i = 0; i < apb; i++) {
            uint64_t r = rnd() % 100, u = rnd() % N_USERS, v = rnd() % N_USERS;
            if (r < 35) {                    /* a customer deposit, swept later */
                int x = pick_exchange(u), token = rnd() % 4 == 0;
                uint64_t d = u * N_EX + x, delay;
                u128 amt = token ? (u128)rr(10, 20000) * 1000000 : (u128)rr(10, 20000) * (ETH / 1000);
                if (!seen[d]) { seen[d] = 1; addr(a1, K_DEPOSIT, d); fprintf(truth, "0x%s,deposit,%d\n", a1, x); }
                txs[n++] = (tx){K_USER, K_DEPOSIT, u, d, amt, token, 0};
                uint64_t q = rnd() % 100;
                delay = q < 85 ? rr(1, 600) : q < 95 ? rr(601, 3200) : rr(3201, 20000);
                if (token) {
                    at(b + 1, K_FUNDER, (uint64_t)x, K_DEPOSIT, d, ETH / 1000, 0);   /* gas for the sweep */
                    at(b + delay, K_DEPOSIT, d, K_HOT, (uint64_t)x, amt, 1);
                } else if (rnd() % 100 < 3) {  /* batched with a second payment: swept as the sum */
                    u128 amt2 = (u128)rr(10, 2000) * (ETH / 1000);
                    at(b + 1, K_USER, u, K_DEPOSIT, d, amt2, 0);
                    at(b + delay + 1, K_DEPOSIT, d, K_HOT, (uint64_t)x, amt + amt2 - (u128)rr(21000, 210000) * 10000000000ULL, 0);
                } else
                    at(b + delay, K_DEPOSIT, d, K_HOT, (uint64_t)x, amt - (u128)rr(21000, 210000) * 10000000000ULL, 0);
            } else if (r < 50) {             /* a withdrawal */
                txs[n++] = (tx){K_HOT, K_USER, rnd() % N_EX, u, (u128)rr(1, 50000) * (ETH / 10000), rnd() % 5 == 0, 0};
            } else if (r < 78) {             /* users paying each other */
                txs[n++] = (tx){K_USER, K_USER, u, v, (u128)rr(1, 30000) * (ETH / 10000), rnd() % 5 == 0, 0};
            } else if (r < 90) {             /* paid, then pays (nearly) the same to a merchant */
                u128 amt = (u128)rr(10, 5000) * (ETH / 1000);
                txs[n++] = (tx){K_USER, K_USER, v, u, amt, 0, 0};
                at(b + rr(1, 2000), K_USER, u, K_MERCHANT, rnd() % N_MERCHANTS, amt - (u128)rr(21000, 100000) * 10000000000ULL, 0);
            } else {                         /* a router call: passed on inside the tx */
                txs[n++] = (tx){K_USER, K_ROUTER, u, rnd() % N_ROUTERS, (u128)rr(1, 10000) * (ETH / 10000), 0, 1};
            }
        }
        /* a merchant now and then pays its own treasury (so paying out alone does not tell it
         * from an exchange: about 1 in 300 blocks each) */
        if (rnd() % 300 < N_MERCHANTS) {
            uint64_t m = rnd() % N_MERCHANTS;
            txs[n++] = (tx){K_MERCHANT, K_TREASURY, m, 100 + m, (u128)rr(1, 100) * ETH, 0, 0};
        }
        /* due events */
        for (ev *e = sched[b], *nx; e; e = nx) {
            nx = e->next;
            if (n == cap && !(txs = realloc(txs, (cap *= 2) * sizeof *txs))) { perror("realloc"); return 1; }
            txs[n++] = (tx){e->from_kind, e->to_kind, e->from, e->to, e->amount, e->token, 0};
            free(e);
        }
        if (b % 1000 == 0) {
            if (f) fclose(f);
            snprintf(p, sizeof p, "%s/chain-%05" PRIu64 ".jsonl", dir, b / 1000);
            if (!(f = fopen(p, "w"))) { perror(p); return 1; }
        }
        fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x%" PRIx64 "\",\"hash\":\"0x%064" PRIx64
                   "\",\"timestamp\":\"0x%" PRIx64 "\",\"miner\":\"0x%040x\",\"transactions\":[",
                number, number, (uint64_t)1650000000 + b * 12, 0x99);
        for (uint64_t t = 0; t < n; t++) {
            addr(a1, txs[t].fk, txs[t].f);
            if (txs[t].token) snprintf(a2, sizeof a2, "%s", USDT);
            else addr(a2, txs[t].tk, txs[t].t);
            hex128(vh, txs[t].token ? 0 : txs[t].v);
            fprintf(f, "%s{\"hash\":\"0x%064" PRIx64 "\",\"blockNumber\":\"0x%" PRIx64 "\",\"blockHash\":\"0x%064" PRIx64
                       "\",\"transactionIndex\":\"0x%" PRIx64 "\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"%s\","
                       "\"gas\":\"0x30d40\",\"gasPrice\":\"0x0\",\"nonce\":\"0x0\",\"input\":\"0x\"}",
                    t ? "," : "", txn + t + 1, number, number, t, a1, a2, vh);
        }
        fprintf(f, "]}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":[");
        int routers = 0;
        for (uint64_t t = 0, li = 0; t < n; t++) {
            addr(a1, txs[t].fk, txs[t].f);
            if (txs[t].token) snprintf(a2, sizeof a2, "%s", USDT);
            else addr(a2, txs[t].tk, txs[t].t);
            routers |= txs[t].router;
            fprintf(f, "%s{\"transactionHash\":\"0x%064" PRIx64 "\",\"transactionIndex\":\"0x%" PRIx64 "\",\"blockHash\":\"0x%064" PRIx64
                       "\",\"blockNumber\":\"0x%" PRIx64 "\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"cumulativeGasUsed\":\"0x%" PRIx64
                       "\",\"gasUsed\":\"0x5208\",\"effectiveGasPrice\":\"0x0\",\"contractAddress\":null,\"status\":\"0x1\",\"logs\":[",
                    t ? "," : "", txn + t + 1, t, number, number, a1, a2, 21000 * (t + 1));
            if (txs[t].token) {
                char to[41];
                addr(to, txs[t].tk, txs[t].t);
                fprintf(f, "{\"address\":\"0x%s\",\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
                           "\"0x000000000000000000000000%s\",\"0x000000000000000000000000%s\"],\"data\":\"0x%064" PRIx64 "\","
                           "\"blockNumber\":\"0x%" PRIx64 "\",\"transactionHash\":\"0x%064" PRIx64 "\",\"transactionIndex\":\"0x%" PRIx64
                           "\",\"blockHash\":\"0x%064" PRIx64 "\",\"logIndex\":\"0x%" PRIx64 "\",\"removed\":false}",
                        USDT, a1, to, (uint64_t)txs[t].v, number, txn + t + 1, t, number, li++);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]}\n");
        if (routers) {
            int first = 1;
            fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[");
            for (uint64_t t = 0; t < n; t++) {
                addr(a1, txs[t].fk, txs[t].f);
                if (txs[t].token) snprintf(a2, sizeof a2, "%s", USDT);
                else addr(a2, txs[t].tk, txs[t].t);
                hex128(vh, txs[t].token ? 0 : txs[t].v);
                fprintf(f, "%s{\"action\":{\"callType\":\"call\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"%s\",\"gas\":\"0x30d40\","
                           "\"input\":\"0x\"},\"blockHash\":\"0x%064" PRIx64 "\",\"blockNumber\":%" PRIu64 ",\"result\":{\"gasUsed\":"
                           "\"0x5208\",\"output\":\"0x\"},\"subtraces\":%d,\"traceAddress\":[],\"transactionHash\":\"0x%064" PRIx64
                           "\",\"transactionPosition\":%" PRIu64 ",\"type\":\"call\"}",
                        first ? "" : ",", a1, a2, vh, number, number, txs[t].router, txn + t + 1, t);
                first = 0;
                if (txs[t].router) {
                    char tr[41];
                    addr(tr, K_TREASURY, txs[t].t);
                    fprintf(f, ",{\"action\":{\"callType\":\"call\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"%s\",\"gas\":\"0x1000\","
                               "\"input\":\"0x\"},\"blockHash\":\"0x%064" PRIx64 "\",\"blockNumber\":%" PRIu64 ",\"result\":{\"gasUsed\":"
                               "\"0x0\",\"output\":\"0x\"},\"subtraces\":0,\"traceAddress\":[0],\"transactionHash\":\"0x%064" PRIx64
                               "\",\"transactionPosition\":%" PRIu64 ",\"type\":\"call\"}",
                            a2, tr, vh, number, number, txn + t + 1, t);
                }
            }
            fprintf(f, "]}\n");
        }
        txn += n;
    }
    if (f) fclose(f);
    fclose(truth);
    fprintf(stderr, "gen_deposit: %" PRIu64 " blocks, %" PRIu64 " txs\n", nblocks, txn);
    return 0;
}
