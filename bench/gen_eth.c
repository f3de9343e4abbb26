/* gen_eth.c — generates a synthetic Ethereum workload in the JSON-RPC dump format sleuth
 * ingests: JSON lines, per block one eth_getBlockByNumber response (full transactions,
 * EIP-1559 fields), one eth_getBlockReceipts response (each tx with an ERC-20 Transfer log,
 * every 4th with a second one) and one trace_block response (each tx's top-level call and
 * an internal value transfer, every 8th with a failed sub-call). Deterministic (xorshift).
 *
 *   gen_eth OUTDIR NBLOCKS TXS_PER_BLOCK BLOCKS_PER_FILE
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t st = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    return st;
}
static void hex(char *o, size_t nbytes)
{
    static const char H[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        uint64_t r = rnd();
        o[2 * i] = H[r & 15], o[2 * i + 1] = H[(r >> 4) & 15];
    }
    o[2 * nbytes] = 0;
}
/* addresses from a pool of 200,000 accounts and 50 tokens */
static void addr(char *o, uint64_t k, uint64_t salt)
{
    uint64_t x = (k + 1) * 0x9e3779b97f4a7c15ULL ^ salt;
    snprintf(o, 41, "%016" PRIx64 "%016" PRIx64 "%08x", x, x * 31, (unsigned)(x >> 7));
}

int main(int argc, char **argv)
{
    const char *dir;
    uint64_t nb, tpb, bpf;
    FILE *f = NULL;
    if (argc != 5) { fprintf(stderr, "usage: gen_eth OUTDIR NBLOCKS TXS_PER_BLOCK BLOCKS_PER_FILE\n"); return 2; }
    dir = argv[1], nb = strtoull(argv[2], 0, 10), tpb = strtoull(argv[3], 0, 10), bpf = strtoull(argv[4], 0, 10);
    for (uint64_t b = 0; b < nb; b++) {
        uint64_t number = 20000000 + b, base = 10000000000ULL + (b % 1000) * 1000000;
        char bh[65], miner[41];
        char (*th)[65] = malloc(tpb * sizeof *th);
        char (*fr)[41] = malloc(tpb * sizeof *fr), (*to)[41] = malloc(tpb * sizeof *to);
        if (b % bpf == 0) {
            char p[512];
            if (f) fclose(f);
            snprintf(p, sizeof p, "%s/dump-%06" PRIu64 ".jsonl", dir, b / bpf);
            if (!(f = fopen(p, "w"))) { perror(p); return 1; }
        }
        hex(bh, 32);
        addr(miner, rnd() % 16, 7);
        fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x%" PRIx64 "\",\"hash\":\"0x%s\",\"timestamp\":\"0x%" PRIx64
                   "\",\"miner\":\"0x%s\",\"baseFeePerGas\":\"0x%" PRIx64 "\",\"transactions\":[",
                number, bh, (uint64_t)1700000000 + b * 12, miner, base);
        for (uint64_t t = 0; t < tpb; t++) {
            hex(th[t], 32);
            addr(fr[t], rnd() % 200000, 1);
            addr(to[t], rnd() % 1000, 2); /* contracts */
            fprintf(f, "%s{\"hash\":\"0x%s\",\"blockNumber\":\"0x%" PRIx64 "\",\"blockHash\":\"0x%s\",\"transactionIndex\":\"0x%" PRIx64
                       "\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"0x%" PRIx64 "\",\"gas\":\"0x30d40\",\"gasPrice\":\"0x%" PRIx64
                       "\",\"maxFeePerGas\":\"0x%" PRIx64 "\",\"maxPriorityFeePerGas\":\"0x3b9aca00\",\"nonce\":\"0x%" PRIx64
                       "\",\"type\":\"0x2\",\"input\":\"0xa9059cbb\"}",
                    t ? "," : "", th[t], number, bh, t, fr[t], to[t], rnd() % 3 ? rnd() % (uint64_t)100000000000000000 : (uint64_t)0,
                    base + 1000000000, base * 2, rnd() % 1000);
        }
        fprintf(f, "]}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":[");
        {
            uint64_t li = 0;
            for (uint64_t t = 0; t < tpb; t++) {
                int nlogs = t % 4 == 0 ? 2 : 1;
                uint64_t gas = 21000 + rnd() % 100000;
                fprintf(f, "%s{\"transactionHash\":\"0x%s\",\"transactionIndex\":\"0x%" PRIx64 "\",\"blockHash\":\"0x%s\",\"blockNumber\":\"0x%" PRIx64
                           "\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"cumulativeGasUsed\":\"0x%" PRIx64 "\",\"gasUsed\":\"0x%" PRIx64
                           "\",\"effectiveGasPrice\":\"0x%" PRIx64 "\",\"contractAddress\":null,\"status\":\"0x1\",\"logs\":[",
                        t ? "," : "", th[t], t, bh, number, fr[t], to[t], gas * (t + 1), gas, base + 1000000000);
                for (int k = 0; k < nlogs; k++) {
                    char tok[41], dst[41], amt[65];
                    addr(tok, rnd() % 50, 3);
                    addr(dst, rnd() % 200000, 1);
                    hex(amt, 12);
                    fprintf(f, "%s{\"address\":\"0x%s\",\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
                               "\"0x000000000000000000000000%s\",\"0x000000000000000000000000%s\"],\"data\":\"0x%040d%s\","
                               "\"blockNumber\":\"0x%" PRIx64 "\",\"transactionHash\":\"0x%s\",\"transactionIndex\":\"0x%" PRIx64
                               "\",\"blockHash\":\"0x%s\",\"logIndex\":\"0x%" PRIx64 "\",\"removed\":false}",
                            k ? "," : "", tok, fr[t], dst, 0, amt, number, th[t], t, bh, li++);
                }
                fprintf(f, "]}");
            }
        }
        fprintf(f, "]}\n{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[");
        for (uint64_t t = 0; t < tpb; t++) {
            char dst[41];
            addr(dst, rnd() % 200000, 1);
            fprintf(f, "%s{\"action\":{\"callType\":\"call\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"0x0\",\"gas\":\"0x30d40\",\"input\":\"0x\"},"
                       "\"blockHash\":\"0x%s\",\"blockNumber\":%" PRIu64 ",\"result\":{\"gasUsed\":\"0x5208\",\"output\":\"0x\"},\"subtraces\":%d,"
                       "\"traceAddress\":[],\"transactionHash\":\"0x%s\",\"transactionPosition\":%" PRIu64 ",\"type\":\"call\"}",
                    t ? "," : "", fr[t], to[t], bh, number, t % 8 == 0 ? 2 : 1, th[t], t);
            fprintf(f, ",{\"action\":{\"callType\":\"call\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"0x%" PRIx64 "\",\"gas\":\"0x1000\",\"input\":\"0x\"},"
                       "\"blockHash\":\"0x%s\",\"blockNumber\":%" PRIu64 ",\"result\":{\"gasUsed\":\"0x0\",\"output\":\"0x\"},\"subtraces\":0,"
                       "\"traceAddress\":[0],\"transactionHash\":\"0x%s\",\"transactionPosition\":%" PRIu64 ",\"type\":\"call\"}",
                    to[t], dst, (uint64_t)(1 + rnd() % (uint64_t)1000000000000000), bh, number, th[t], t);
            if (t % 8 == 0)
                fprintf(f, ",{\"action\":{\"callType\":\"call\",\"from\":\"0x%s\",\"to\":\"0x%s\",\"value\":\"0x5\",\"gas\":\"0x10\",\"input\":\"0x\"},"
                           "\"blockHash\":\"0x%s\",\"blockNumber\":%" PRIu64 ",\"error\":\"Reverted\",\"subtraces\":0,"
                           "\"traceAddress\":[1],\"transactionHash\":\"0x%s\",\"transactionPosition\":%" PRIu64 ",\"type\":\"call\"}",
                        to[t], dst, bh, number, th[t], t);
        }
        fprintf(f, "]}\n");
        free(th), free(fr), free(to);
    }
    if (f) fclose(f);
    return 0;
}
