/* gen_blk.c — deterministic generator of a realistic Bitcoin chain in Bitcoin Core's
 * blk*.dat framing, for the ingest benchmark (docs/BENCHMARKS.md).
 *
 * Output: DIR/blk00000.dat, blk00001.dat, ... each at most 128 MiB (as Core's), every block
 * framed as  magic(4) | length(4, LE) | block. The network is regtest (magic fabfb5da,
 * nBits 0x207fffff, the nonce is ground until the header hash meets that target, about two
 * tries a block), so the chain is ingested with `sleuth ingest btc --network regtest`.
 * --bits picks another nBits (e.g. 0x1f7fffff, ~512 tries a block: see docs/BENCHMARKS.md
 * for why bench_ingest.sh uses it).
 *
 * The chain starts from a genesis-like block (prev = 0, coinbase only). Every later block
 * has a BIP-34 coinbase and 2000-3000 transactions spending outputs of earlier blocks (a
 * UTXO pool in memory): 1-3 inputs and 2 outputs typical, occasional fan-out (50-500
 * outputs) and consolidation (50-200 inputs); outputs are p2pkh, p2sh, p2wpkh, p2wsh, p2tr,
 * some p2pk and op_return; a share of outputs pays earlier addresses (a few hot ones). The
 * inputs carry scriptSigs/witnesses of realistic sizes for the type they spend (random
 * 71-73-byte DER-sized signatures, 33-byte keys, 2-of-3 multisig scripts, 64-byte Schnorr
 * signatures). Merkle roots and the BIP-141 witness commitment are correct; signatures
 * are random bytes (sleuth does not verify scripts).
 *
 * Deterministic: the same --seed and --txs give byte-identical files.
 *
 * usage: gen_blk [--txs N] [--seed S] [--file-mb M] [--bits NBITS] OUTDIR
 */
#include <errno.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------- PRNG (xoshiro256**, seeded by splitmix64) ---------- */
static uint64_t rs[4];
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t rnd(void)
{
    uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
    rs[2] ^= rs[0], rs[3] ^= rs[1], rs[1] ^= rs[2], rs[0] ^= rs[3], rs[2] ^= t, rs[3] = rotl(rs[3], 45);
    return r;
}
static inline uint32_t rnd_below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32); }
static inline uint32_t rnd_range(uint32_t lo, uint32_t hi) { return lo + rnd_below(hi - lo + 1); }
static inline bool chance(double p) { return (double)(rnd() >> 11) * 0x1.0p-53 < p; }
static void rnd_bytes(uint8_t *p, size_t n)
{
    while (n >= 8) { uint64_t r = rnd(); memcpy(p, &r, 8); p += 8; n -= 8; }
    if (n) { uint64_t r = rnd(); memcpy(p, &r, n); }
}

/* ---------- growable byte buffer ---------- */
typedef struct buf { uint8_t *p; size_t n, cap; } buf;
static void need(buf *b, size_t more)
{
    if (b->n + more <= b->cap) return;
    while (b->n + more > b->cap) b->cap = b->cap ? b->cap * 2 : 1 << 16;
    b->p = realloc(b->p, b->cap);
    if (!b->p) { fprintf(stderr, "gen_blk: out of memory\n"); exit(1); }
}
static void put(buf *b, const void *p, size_t n) { need(b, n); memcpy(b->p + b->n, p, n); b->n += n; }
static void put8(buf *b, uint8_t v) { put(b, &v, 1); }
static void put32(buf *b, uint32_t v) { uint8_t x[4] = {v, v >> 8, v >> 16, v >> 24}; put(b, x, 4); }
static void put64(buf *b, uint64_t v) { put32(b, (uint32_t)v); put32(b, (uint32_t)(v >> 32)); }
static void putvar(buf *b, uint64_t v)
{
    if (v < 0xfd) put8(b, (uint8_t)v);
    else if (v <= 0xffff) { put8(b, 0xfd); put8(b, (uint8_t)v); put8(b, (uint8_t)(v >> 8)); }
    else if (v <= 0xffffffffULL) { put8(b, 0xfe); put32(b, (uint32_t)v); }
    else { put8(b, 0xff); put64(b, v); }
}
static uint8_t *grab(buf *b, size_t n) { need(b, n); b->n += n; return b->p + b->n - n; }
static void put_rand(buf *b, size_t n) { rnd_bytes(grab(b, n), n); }

static void sha256d(uint8_t out[32], const void *p, size_t n)
{
    uint8_t t[32];
    SHA256(p, n, t);
    SHA256(t, 32, out);
}

/* ---------- addresses and the UTXO pool ---------- */
enum { T_P2PKH, T_P2SH, T_P2WPKH, T_P2WSH, T_P2TR, T_P2PK, T_OPRET, T_N };
static const char *TNAME[T_N] = {"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2pk", "op_return"};

static uint64_t g_seed;
static uint32_t height_now;
static uint8_t *addr_type;  /* address index -> T_* */
static uint32_t n_addr, cap_addr;
/* per type: address indexes of that type, for reuse */
static uint32_t *by_type[T_N];
static uint32_t n_by_type[T_N], cap_by_type[T_N];

/* The payload of address k: 32 bytes derived from (seed, k). A p2pk key is 02/03 + 32. */
static void addr_bytes(uint8_t out[32], uint32_t k)
{
    uint64_t x = g_seed ^ ((uint64_t)k * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++) { uint64_t r = splitmix(&x); memcpy(out + 8 * i, &r, 8); }
}

static uint32_t new_addr(int t)
{
    if (n_addr == cap_addr) {
        cap_addr = cap_addr ? cap_addr * 2 : 1 << 20;
        addr_type = realloc(addr_type, cap_addr);
        if (!addr_type) { fprintf(stderr, "gen_blk: out of memory\n"); exit(1); }
    }
    addr_type[n_addr] = (uint8_t)t;
    if (n_by_type[t] == cap_by_type[t]) {
        cap_by_type[t] = cap_by_type[t] ? cap_by_type[t] * 2 : 1 << 16;
        by_type[t] = realloc(by_type[t], cap_by_type[t] * sizeof **by_type);
        if (!by_type[t]) { fprintf(stderr, "gen_blk: out of memory\n"); exit(1); }
    }
    by_type[t][n_by_type[t]++] = n_addr;
    return n_addr++;
}

typedef struct utxo {
    uint8_t txid[32];
    uint64_t value;
    uint32_t vout, addr;
    uint8_t type;
    uint8_t p2sh_kind; /* for p2sh: 0 = nested p2wpkh, 1 = 2-of-3 multisig */
} utxo;
static utxo *pool, *pend;
static size_t n_pool, cap_pool, n_pend, cap_pend;

static void push_utxo(utxo **a, size_t *n, size_t *cap, const utxo *u)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1 << 16;
        *a = realloc(*a, *cap * sizeof **a);
        if (!*a) { fprintf(stderr, "gen_blk: out of memory\n"); exit(1); }
    }
    (*a)[(*n)++] = *u;
}

/* Takes a spendable output: mostly recent ones (the pool's tail), sometimes any. */
static utxo take_utxo(void)
{
    size_t i;
    utxo u;
    if (n_pool > 50000 && chance(0.6)) i = n_pool - 1 - rnd_below(50000);
    else i = rnd_below((uint32_t)n_pool);
    u = pool[i];
    pool[i] = pool[--n_pool];
    return u;
}

/* ---------- scripts ---------- */
static void script_pubkey(buf *b, int t, uint32_t a)
{
    uint8_t k[32];
    addr_bytes(k, a);
    switch (t) {
    case T_P2PKH: putvar(b, 25); put(b, "\x76\xa9\x14", 3); put(b, k, 20); put(b, "\x88\xac", 2); break;
    case T_P2SH: putvar(b, 23); put(b, "\xa9\x14", 2); put(b, k, 20); put8(b, 0x87); break;
    case T_P2WPKH: putvar(b, 22); put(b, "\x00\x14", 2); put(b, k, 20); break;
    case T_P2WSH: putvar(b, 34); put(b, "\x00\x20", 2); put(b, k, 32); break;
    case T_P2TR: putvar(b, 34); put(b, "\x51\x20", 2); put(b, k, 32); break;
    case T_P2PK: putvar(b, 35); put8(b, 33); put8(b, 2 | (k[31] & 1)); put(b, k, 32); put8(b, 0xac); break;
    }
}

static void push_sig(buf *b) /* DER signature + sighash byte: 71-73 bytes */
{
    uint32_t n = rnd_range(71, 73);
    put8(b, (uint8_t)n);
    uint8_t *p = grab(b, n);
    rnd_bytes(p, n);
    p[0] = 0x30, p[1] = (uint8_t)(n - 3), p[n - 1] = 0x01;
}
static void push_pub(buf *b)
{
    put8(b, 33);
    uint8_t *p = grab(b, 33);
    rnd_bytes(p, 33);
    p[0] = 2 | (p[1] & 1);
}
static void multisig_script(buf *b) /* 2 <k1> <k2> <k3> 3 CHECKMULTISIG: 105 bytes */
{
    put8(b, 0x52);
    for (int i = 0; i < 3; i++) push_pub(b);
    put8(b, 0x53);
    put8(b, 0xae);
}

static bool needs_witness(const utxo *u)
{
    return u->type == T_P2WPKH || u->type == T_P2WSH || u->type == T_P2TR || (u->type == T_P2SH && u->p2sh_kind == 0);
}

static void script_sig(buf *b, const utxo *u)
{
    buf s = {0};
    switch (u->type) {
    case T_P2PKH: push_sig(&s); push_pub(&s); break;
    case T_P2PK: push_sig(&s); break;
    case T_P2SH:
        if (u->p2sh_kind == 0) { put(&s, "\x16\x00\x14", 3); put_rand(&s, 20); }
        else {
            buf r = {0};
            multisig_script(&r);
            put8(&s, 0x00);
            push_sig(&s);
            push_sig(&s);
            put8(&s, 0x4c); /* OP_PUSHDATA1 */
            put8(&s, (uint8_t)r.n);
            put(&s, r.p, r.n);
            free(r.p);
        }
        break;
    default: break; /* native segwit: empty scriptSig */
    }
    putvar(b, s.n);
    put(b, s.p, s.n);
    free(s.p);
}

static void witness(buf *b, const utxo *u)
{
    switch (u->type) {
    case T_P2WPKH: putvar(b, 2); push_sig(b); push_pub(b); break;
    case T_P2SH:
        if (u->p2sh_kind == 0) { putvar(b, 2); push_sig(b); push_pub(b); }
        else putvar(b, 0);
        break;
    case T_P2WSH: {
        putvar(b, 4);
        put8(b, 0);
        push_sig(b);
        push_sig(b);
        putvar(b, 105);
        multisig_script(b);
        break;
    }
    case T_P2TR:
        if (chance(0.9)) { put8(b, 1); put8(b, 64); put_rand(b, 64); }
        else { put8(b, 1); put8(b, 65); put_rand(b, 65); } /* non-default sighash */
        break;
    default: putvar(b, 0); break;
    }
}

/* An output type for a new payment (weights roughly as on the chain of the 2020s). */
static int pick_type(void)
{
    uint32_t r = rnd_below(1000);
    if (r < 300) return T_P2PKH;
    if (r < 430) return T_P2SH;
    if (r < 740) return T_P2WPKH;
    if (r < 800) return T_P2WSH;
    if (r < 990) return T_P2TR;
    return T_P2PK;
}

/* Destination address of an output of type t: 40% pay an earlier address of that type
 * (half of those one of the first 200 "hot" ones), the rest a new address. */
static uint32_t pick_addr(int t)
{
    if (n_by_type[t] > 1000 && chance(0.4)) {
        if (chance(0.5)) return by_type[t][rnd_below(200)];
        return by_type[t][rnd_below(n_by_type[t])];
    }
    return new_addr(t);
}

/* ---------- transactions ---------- */
typedef struct txout_spec { uint64_t value; int type; uint32_t addr; uint8_t p2sh_kind; } txout_spec;

static buf txs;                 /* serialized non-coinbase transactions of the block */
static uint8_t (*wtxids)[32], (*txids)[32];
static size_t cap_ids, cap_wids;
static utxo *ins;
static size_t cap_ins;
static txout_spec *outs;
static size_t cap_outs;
static uint64_t stat_type[T_N], stat_in, stat_out, stat_segwit, stat_fanout, stat_consol, stat_reuse;

static void *grow_arr(void *p, size_t *cap, size_t need_n, size_t elt)
{
    if (need_n <= *cap) return p;
    while (*cap < need_n) *cap = *cap ? *cap * 2 : 4096;
    p = realloc(p, *cap * elt);
    if (!p) { fprintf(stderr, "gen_blk: out of memory\n"); exit(1); }
    return p;
}

/* Builds one transaction into txs, returns its fee; new outputs go to the pending list. */
static uint64_t make_tx(size_t idx)
{
    uint32_t nin, nout, r = rnd_below(10000);
    uint64_t in_sum = 0, fee, avail;
    bool segwit = false;
    size_t start = txs.n, body, body_end;
    uint8_t txid[32];

    if (r < 12) { nin = rnd_range(50, 200); stat_consol++; }
    else if (r < 5700) nin = 1;
    else if (r < 8300) nin = 2;
    else if (r < 9400) nin = 3;
    else nin = rnd_range(4, 12);
    if (nin > n_pool / 4 + 1) nin = (uint32_t)(n_pool / 4 + 1);
    r = rnd_below(10000);
    if (r < 25) { nout = rnd_range(50, 500); stat_fanout++; }
    else if (r < 1500) nout = 1;
    else if (r < 8900) nout = 2;
    else nout = rnd_range(3, 6);
    if (nin >= 50) nout = 1; /* consolidation */

    ins = grow_arr(ins, &cap_ins, nin, sizeof *ins);
    for (uint32_t i = 0; i < nin; i++) {
        ins[i] = take_utxo();
        in_sum += ins[i].value;
        segwit |= needs_witness(&ins[i]);
    }
    /* fee ~ 150 vB per input-ish, 2-40 sat/vB */
    fee = (uint64_t)(60 + 68 * nin + 34 * nout) * rnd_range(2, 40);
    if (fee > in_sum / 2) fee = in_sum / 2;
    avail = in_sum - fee;
    outs = grow_arr(outs, &cap_outs, nout + 1, sizeof *outs);
    if (avail < (uint64_t)nout * 1000) nout = 1;
    {
        uint64_t left = avail;
        for (uint32_t o = 0; o < nout; o++) {
            uint64_t v = o + 1 == nout ? left : left / (nout - o) / 2 + (rnd() % (left / (nout - o) + 1));
            if (v > left) v = left;
            left -= v;
            outs[o].value = v;
            outs[o].type = pick_type();
            outs[o].p2sh_kind = outs[o].type == T_P2SH ? (chance(0.6) ? 0 : 1) : 0;
            {
                uint32_t before = n_addr;
                outs[o].addr = pick_addr(outs[o].type);
                if (n_addr == before) stat_reuse++;
            }
        }
    }
    if (chance(0.02)) { /* an op_return data carrier, value 0 */
        outs[nout].value = 0;
        outs[nout].type = T_OPRET;
        outs[nout].addr = 0;
        nout++;
    }

    put32(&txs, chance(0.8) ? 2 : 1);
    if (segwit) { put8(&txs, 0); put8(&txs, 1); }
    body = txs.n;
    putvar(&txs, nin);
    for (uint32_t i = 0; i < nin; i++) {
        put(&txs, ins[i].txid, 32);
        put32(&txs, ins[i].vout);
        script_sig(&txs, &ins[i]);
        put32(&txs, chance(0.7) ? 0xfffffffd : 0xffffffff);
    }
    putvar(&txs, nout);
    for (uint32_t o = 0; o < nout; o++) {
        put64(&txs, outs[o].value);
        if (outs[o].type == T_OPRET) {
            uint32_t n = rnd_range(8, 80);
            putvar(&txs, 2 + n);
            put8(&txs, 0x6a);
            put8(&txs, (uint8_t)n);
            put_rand(&txs, n);
        } else {
            script_pubkey(&txs, outs[o].type, outs[o].addr);
        }
        stat_type[outs[o].type]++;
    }
    body_end = txs.n;
    if (segwit)
        for (uint32_t i = 0; i < nin; i++) witness(&txs, &ins[i]);
    put32(&txs, chance(0.3) ? height_now : 0); /* locktime: anti fee-sniping sets the height */
    /* txid: version | body | locktime (no marker, flag, witnesses) */
    {
        SHA256_CTX c;
        uint8_t t[32];
        SHA256_Init(&c);
        SHA256_Update(&c, txs.p + start, 4);
        SHA256_Update(&c, txs.p + body, body_end - body);
        SHA256_Update(&c, txs.p + txs.n - 4, 4);
        SHA256_Final(t, &c);
        SHA256(t, 32, txid);
    }
    memcpy(txids[idx], txid, 32);
    if (segwit) { sha256d(wtxids[idx], txs.p + start, txs.n - start); stat_segwit++; }
    else memcpy(wtxids[idx], txid, 32);
    for (uint32_t o = 0; o < nout; o++) {
        utxo u;
        if (outs[o].type == T_OPRET) continue;
        memcpy(u.txid, txid, 32);
        u.value = outs[o].value;
        u.vout = o;
        u.addr = outs[o].addr;
        u.type = (uint8_t)outs[o].type;
        u.p2sh_kind = outs[o].p2sh_kind;
        push_utxo(&pend, &n_pend, &cap_pend, &u);
    }
    stat_in += nin;
    stat_out += nout;
    return fee;
}

static void merkle(uint8_t root[32], uint8_t (*h)[32], size_t n)
{
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2) {
            uint8_t pair[64];
            memcpy(pair, h[i], 32);
            memcpy(pair + 32, h[i + 1 < n ? i + 1 : i], 32);
            sha256d(h[m++], pair, 64);
        }
        n = m;
    }
    memcpy(root, h[0], 32);
}

/* BIP-34 height push (CScriptNum, minimal), as Core's `CScript() << nHeight`. */
static void push_height(buf *b, uint32_t h)
{
    uint8_t v[5];
    int n = 0;
    if (h == 0) { put8(b, 0x00); return; }
    if (h <= 16) { put8(b, (uint8_t)(0x50 + h)); return; }
    while (h) { v[n++] = (uint8_t)h; h >>= 8; }
    if (v[n - 1] & 0x80) v[n++] = 0;
    put8(b, (uint8_t)n);
    put(b, v, (size_t)n);
}

/* ---------- proof of work ---------- */
static uint32_t g_bits = 0x207fffff; /* regtest's */

/* nBits -> 32-byte big-endian target (as Core's arith_uint256::SetCompact, positive only). */
static void bits_target(uint8_t t[32], uint32_t bits)
{
    int exp = (int)(bits >> 24);
    uint32_t mant = bits & 0x007fffff;
    memset(t, 0, 32);
    for (int i = 0; i < 3; i++) {
        int pos = 32 - exp + i;
        if (pos >= 0 && pos < 32) t[pos] = (uint8_t)(mant >> (8 * (2 - i)));
    }
}
static bool meets_target(const uint8_t h[32], const uint8_t t[32]) /* h little-endian */
{
    for (int i = 0; i < 32; i++)
        if (h[31 - i] != t[i]) return h[31 - i] < t[i];
    return true;
}

/* ---------- output files ---------- */
static const char *g_dir;
static FILE *g_f;
static int g_fileno = -1;
static uint64_t g_fbytes, g_fmax, g_total_bytes;

static void write_block(const uint8_t *p, size_t n)
{
    static const uint8_t magic[4] = {0xfa, 0xbf, 0xb5, 0xda};
    uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    if (!g_f || g_fbytes + 8 + n > g_fmax) {
        char path[4096];
        if (g_f && fclose(g_f) != 0) { perror("gen_blk: close"); exit(1); }
        snprintf(path, sizeof path, "%s/blk%05d.dat", g_dir, ++g_fileno);
        g_f = fopen(path, "wb");
        if (!g_f) { fprintf(stderr, "gen_blk: %s: %s\n", path, strerror(errno)); exit(1); }
        g_fbytes = 0;
    }
    if (fwrite(magic, 1, 4, g_f) != 4 || fwrite(len, 1, 4, g_f) != 4 || fwrite(p, 1, n, g_f) != n) {
        perror("gen_blk: write");
        exit(1);
    }
    g_fbytes += 8 + n;
    g_total_bytes += 8 + n;
}

int main(int argc, char **argv)
{
    uint64_t want = 5000000, seed = 1, total_tx = 0;
    uint32_t height = 0, t_time = 1600000000;
    uint8_t prev[32] = {0};
    buf blk = {0}, cb = {0};
    uint64_t tries = 0;
    uint8_t target[32];
    g_fmax = 128ull << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--txs") && i + 1 < argc) want = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--file-mb") && i + 1 < argc) g_fmax = strtoull(argv[++i], NULL, 10) << 20;
        else if (!strcmp(argv[i], "--bits") && i + 1 < argc) g_bits = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: gen_blk [--txs N] [--seed S] [--file-mb M] [--bits NBITS] OUTDIR\n");
            return 2;
        } else g_dir = argv[i];
    }
    if (!g_dir) { fprintf(stderr, "usage: gen_blk [--txs N] [--seed S] [--file-mb M] [--bits NBITS] OUTDIR\n"); return 2; }
    mkdir(g_dir, 0755);
    bits_target(target, g_bits);
    g_seed = seed;
    {
        uint64_t x = seed;
        for (int i = 0; i < 4; i++) rs[i] = splitmix(&x);
    }

    while (total_tx < want) {
        uint32_t ntx = 1;
        uint64_t fees = 0;
        bool any_segwit = false;
        uint8_t root[32], hdr[80], hash[32];
        txs.n = 0;
        n_pend = 0;
        height_now = height;
        if (height > 0 && n_pool > 0) {
            ntx = 1 + rnd_range(2000, 3000);
            /* while the pool is small (the first blocks), spend only part of it */
            if (ntx - 1 > n_pool / 3) ntx = 1 + (uint32_t)(n_pool / 3);
        }
        txids = grow_arr(txids, &cap_ids, ntx, 32);
        wtxids = grow_arr(wtxids, &cap_wids, ntx, 32);
        for (uint32_t i = 1; i < ntx; i++) {
            size_t before = txs.n;
            if (n_pool < 256) { ntx = i; break; } /* early blocks: keep some outputs for the next */
            fees += make_tx(i);
            any_segwit |= txs.p[before + 4] == 0;
        }
        /* coinbase */
        cb.n = 0;
        {
            uint32_t ncbout = n_pool < 20000 ? 5000 : 1 + (chance(0.3) ? 1 : 0);
            uint64_t reward = 5000000000ULL + fees, each = reward / ncbout;
            size_t body, body_end;
            uint8_t cbtxid[32];
            put32(&cb, height == 0 ? 1 : 2);
            if (any_segwit) { put8(&cb, 0); put8(&cb, 1); }
            body = cb.n;
            putvar(&cb, 1);
            put(&cb, (uint8_t[32]){0}, 32);
            put32(&cb, 0xffffffff);
            {
                buf s = {0};
                if (height == 0) {
                    static const char msg[] = "sleuth bench genesis: a generated chain for measuring ingest";
                    put8(&s, sizeof msg - 1);
                    put(&s, msg, sizeof msg - 1);
                } else {
                    push_height(&s, height);
                    put8(&s, 8);
                    put_rand(&s, 8); /* extra nonce */
                }
                putvar(&cb, s.n);
                put(&cb, s.p, s.n);
                free(s.p);
            }
            put32(&cb, 0xffffffff);
            putvar(&cb, ncbout + (any_segwit ? 1 : 0));
            for (uint32_t o = 0; o < ncbout; o++) {
                int t = o % 2 ? T_P2WPKH : T_P2PKH;
                uint32_t a = ncbout > 10 ? new_addr(t) : pick_addr(t);
                uint64_t v = o + 1 == ncbout ? reward - each * (ncbout - 1) : each;
                put64(&cb, v);
                script_pubkey(&cb, t, a);
                {
                    utxo u = {{0}, v, o, a, (uint8_t)t, 0};
                    push_utxo(&pend, &n_pend, &cap_pend, &u); /* txid filled in below */
                }
                stat_type[t]++;
            }
            if (any_segwit) {
                /* BIP-141: SHA256d(witness root || reserved value), reserved value = 32 zero bytes */
                uint8_t wroot[32], buf64[64], commit[32];
                memset(wtxids[0], 0, 32);
                merkle(wroot, wtxids, ntx);
                memcpy(buf64, wroot, 32);
                memset(buf64 + 32, 0, 32);
                sha256d(commit, buf64, 64);
                put64(&cb, 0);
                putvar(&cb, 38);
                put(&cb, "\x6a\x24\xaa\x21\xa9\xed", 6);
                put(&cb, commit, 32);
            }
            body_end = cb.n;
            if (any_segwit) { put8(&cb, 1); put8(&cb, 32); put(&cb, (uint8_t[32]){0}, 32); }
            put32(&cb, 0);
            {
                SHA256_CTX c;
                uint8_t t[32];
                SHA256_Init(&c);
                SHA256_Update(&c, cb.p, 4);
                SHA256_Update(&c, cb.p + body, body_end - body);
                SHA256_Update(&c, cb.p + cb.n - 4, 4);
                SHA256_Final(t, &c);
                SHA256(t, 32, cbtxid);
            }
            memcpy(txids[0], cbtxid, 32);
            for (size_t k = n_pend - ncbout; k < n_pend; k++) memcpy(pend[k].txid, cbtxid, 32);
        }
        merkle(root, txids, ntx); /* overwrites txids: fine, they are not needed after */
        /* header */
        {
            uint32_t v = 0x20000000, bits = g_bits, nonce = 0;
            t_time += 300 + rnd_below(600);
            memcpy(hdr, &v, 4);
            memcpy(hdr + 4, prev, 32);
            memcpy(hdr + 36, root, 32);
            memcpy(hdr + 68, &t_time, 4);
            memcpy(hdr + 72, &bits, 4);
            for (;; nonce++) {
                memcpy(hdr + 76, &nonce, 4);
                sha256d(hash, hdr, 80);
                tries++;
                if (meets_target(hash, target)) break;
            }
        }
        blk.n = 0;
        put(&blk, hdr, 80);
        putvar(&blk, ntx);
        put(&blk, cb.p, cb.n);
        put(&blk, txs.p, txs.n);
        write_block(blk.p, blk.n);
        memcpy(prev, hash, 32);
        for (size_t k = 0; k < n_pend; k++) push_utxo(&pool, &n_pool, &cap_pool, &pend[k]);
        total_tx += ntx;
        height++;
    }
    if (g_f && fclose(g_f) != 0) { perror("gen_blk: close"); return 1; }
    printf("blocks %u\ntxs %llu\ninputs %llu\noutputs %llu\nsegwit_txs %llu\nfanouts %llu\nconsolidations %llu\n"
           "addresses %u\nreused_outputs %llu\nfiles %d\nbytes %llu\nutxo_pool %zu\npow_tries_per_block %.2f\n",
           height, (unsigned long long)total_tx, (unsigned long long)stat_in, (unsigned long long)stat_out,
           (unsigned long long)stat_segwit, (unsigned long long)stat_fanout, (unsigned long long)stat_consol, n_addr,
           (unsigned long long)stat_reuse, g_fileno + 1, (unsigned long long)g_total_bytes, n_pool,
           (double)tries / height);
    for (int t = 0; t < T_N; t++) printf("outputs_%s %llu\n", TNAME[t], (unsigned long long)stat_type[t]);
    free(blk.p);
    free(cb.p);
    return 0;
}
