/* btc_writer.c — the world generator's Bitcoin side: regtest addresses (p2wpkh bcrt1q...
 * and p2pkh m.../n...), transactions built input by input and output by output, and blocks
 * written in Bitcoin Core's blk*.dat framing (magic fabfb5da | length | block), each with
 * a BIP-34 coinbase, the BIP-141 witness commitment when a transaction has witnesses, the
 * merkle root, and a nonce ground until the header meets regtest's target (nBits
 * 0x207fffff, about two tries), as bench/gen_blk.c does. Txids are double SHA-256 of the
 * serialization without witnesses (sleuth/crypto.h). Signatures and keys are random bytes
 * of the right sizes: sleuth does not verify scripts. Files roll over at 128 MiB.
 */
#include <errno.h>
#include <string.h>

#include "gen_int.h"
#include "sleuth/btc.h"
#include "sleuth/crypto.h"

#define BLK_FILE_MAX (128u << 20)

static void put(gen_world *w, const void *p, size_t n) { gen_buf_put(w, &w->b.txs, p, n); }
static void put8(gen_world *w, uint8_t v) { put(w, &v, 1); }
static void put32(gen_world *w, uint32_t v)
{
    uint8_t x[4];
    sl_put_le32(x, v);
    put(w, x, 4);
}
static void put64(gen_world *w, uint64_t v)
{
    uint8_t x[8];
    sl_put_le64(x, v);
    put(w, x, 8);
}
static void putvar(gen_world *w, uint64_t v)
{
    if (v < 0xfd) put8(w, (uint8_t)v);
    else if (v <= 0xffff) { put8(w, 0xfd); put8(w, (uint8_t)v); put8(w, (uint8_t)(v >> 8)); }
    else { put8(w, 0xfe); put32(w, (uint32_t)v); }
}

void gb_init(gen_world *w)
{
    memset(&w->b, 0, sizeof w->b);
    w->b.fileno = -1;
}

void gb_free(gen_world *w)
{
    gen_btc *b = &w->b;
    if (b->f) fclose(b->f);
    sl_free(b->addrs), sl_free(b->pool), sl_free(b->txids), sl_free(b->wtxids);
    sl_free(b->ins), sl_free(b->outs), sl_free(b->made);
    sl_buf_free(&b->txs), sl_buf_free(&b->blk);
    memset(b, 0, sizeof *b);
}

void gb_close(gen_world *w) { gen_close_file(w, &w->b.f, "btc"); }

uint32_t gb_new_addr(gen_world *w, int type, int owner, const char *role)
{
    gen_btc *b = &w->b;
    gb_addr *a;
    char s[96];
    gen_grow(w, &b->addrs, &b->cap_addrs, b->n_addrs + 1, sizeof *b->addrs);
    a = &b->addrs[b->n_addrs];
    {
        uint8_t seed[16];
        sl_put_le64(seed, w->o.seed);
        sl_put_le64(seed + 8, b->n_addrs);
        sl_hash160(a->prog, seed, sizeof seed);
    }
    a->type = (uint8_t)type;
    a->owner = (uint8_t)owner;
    gb_addr_str(w, (uint32_t)b->n_addrs, s);
    gen_addr_row(w, "btc", s, owner, role);
    return (uint32_t)b->n_addrs++;
}

void gb_addr_str(gen_world *w, uint32_t idx, char out[96])
{
    const gb_addr *a = &w->b.addrs[idx];
    if (a->type == BT_P2WPKH) {
        if (!sl_segwit_encode(out, 96, "bcrt", 0, a->prog, 20)) out[0] = 0;
    } else {
        static const uint8_t ver = 0x6f; /* testnet/regtest p2pkh: m... or n... */
        sl_base58check_encode(out, &ver, 1, a->prog, 20);
    }
}

void gb_txid_hex(char out[65], const uint8_t txid[32]) { sl_hex_encode_rev(out, txid, 32); }

void gb_pool_add(gen_world *w, const gb_utxo *u)
{
    gen_btc *b = &w->b;
    gen_grow(w, &b->pool, &b->cap_pool, b->n_pool + 1, sizeof *b->pool);
    b->pool[b->n_pool++] = *u;
}

/* A background output worth at least min_value: mostly a recent one (a few tries). */
bool gb_pool_take(gen_world *w, gb_utxo *u, uint64_t min_value)
{
    gen_btc *b = &w->b;
    for (int t = 0; t < 24 && b->n_pool; t++) {
        size_t i = b->n_pool > 4096 && gen_chance(&w->r, 0.5) ? b->n_pool - 1 - gen_below(&w->r, 4096)
                                                               : gen_below(&w->r, (uint32_t)b->n_pool);
        if (b->pool[i].value < min_value) continue;
        *u = b->pool[i];
        b->pool[i] = b->pool[--b->n_pool];
        return true;
    }
    return false;
}

void gb_begin(gen_world *w)
{
    w->b.n_ins = 0;
    w->b.n_outs = 0;
}

void gb_in(gen_world *w, const gb_utxo *u)
{
    gen_btc *b = &w->b;
    gen_grow(w, &b->ins, &b->cap_ins, b->n_ins + 1, sizeof *b->ins);
    b->ins[b->n_ins++] = *u;
}

uint32_t gb_out(gen_world *w, uint32_t addr, uint64_t value)
{
    gen_btc *b = &w->b;
    gen_grow(w, &b->outs, &b->cap_outs, b->n_outs + 1, sizeof *b->outs);
    b->outs[b->n_outs].value = value;
    b->outs[b->n_outs].addr = addr;
    b->outs[b->n_outs].memo = NULL;
    return (uint32_t)b->n_outs++;
}

void gb_opret(gen_world *w, const char *memo)
{
    uint32_t k = gb_out(w, 0, 0);
    w->b.outs[k].memo = memo;
}

static void script_pubkey(gen_world *w, const struct gb_out *o)
{
    const gb_addr *a;
    if (o->memo) {
        size_t n = strlen(o->memo);
        if (n <= 75) { putvar(w, n + 2); put8(w, 0x6a); put8(w, (uint8_t)n); }
        else { putvar(w, n + 3); put8(w, 0x6a); put8(w, 0x4c); put8(w, (uint8_t)n); } /* OP_PUSHDATA1 */
        put(w, o->memo, n);
        return;
    }
    a = &w->b.addrs[o->addr];
    if (a->type == BT_P2WPKH) { putvar(w, 22); put(w, "\x00\x14", 2); put(w, a->prog, 20); }
    else { putvar(w, 25); put(w, "\x76\xa9\x14", 3); put(w, a->prog, 20); put(w, "\x88\xac", 2); }
}

static void push_sig(gen_world *w) /* a DER-sized signature and the sighash byte */
{
    uint8_t s[72];
    gen_bytes(&w->r, s, sizeof s);
    s[0] = 0x30, s[1] = 69, s[71] = 0x01;
    put8(w, 72);
    put(w, s, 72);
}
static void push_pub(gen_world *w)
{
    uint8_t k[33];
    gen_bytes(&w->r, k, sizeof k);
    k[0] = 2 | (k[1] & 1);
    put8(w, 33);
    put(w, k, 33);
}

void gb_end(gen_world *w)
{
    gen_btc *b = &w->b;
    sl_buf *t = &b->txs;
    size_t start = t->len, body, body_end;
    bool segwit = false;
    uint64_t in_sum = 0, out_sum = 0;
    for (size_t i = 0; i < b->n_ins; i++) {
        segwit |= b->addrs[b->ins[i].addr].type == BT_P2WPKH;
        in_sum += b->ins[i].value;
    }
    for (size_t o = 0; o < b->n_outs; o++) out_sum += b->outs[o].value;
    if (out_sum > in_sum)
        gen_fail(w, SL_ECORRUPT, "generator bug: a transaction of %zu inputs (%llu sat) pays %llu sat", b->n_ins,
                 (unsigned long long)in_sum, (unsigned long long)out_sum);
    b->fees += in_sum - out_sum;
    put32(w, 2);
    if (segwit) { put8(w, 0); put8(w, 1); }
    body = t->len;
    putvar(w, b->n_ins);
    for (size_t i = 0; i < b->n_ins; i++) {
        put(w, b->ins[i].txid, 32);
        put32(w, b->ins[i].vout);
        if (b->addrs[b->ins[i].addr].type == BT_P2PKH) {
            putvar(w, 73 + 34);
            push_sig(w);
            push_pub(w);
        } else {
            putvar(w, 0);
        }
        put32(w, 0xfffffffd);
    }
    putvar(w, b->n_outs);
    for (size_t o = 0; o < b->n_outs; o++) {
        put64(w, b->outs[o].value);
        script_pubkey(w, &b->outs[o]);
    }
    body_end = t->len;
    if (segwit)
        for (size_t i = 0; i < b->n_ins; i++) {
            if (b->addrs[b->ins[i].addr].type == BT_P2WPKH) { putvar(w, 2); push_sig(w); push_pub(w); }
            else putvar(w, 0);
        }
    put32(w, 0);
    sl_sha256d3(b->last_txid, t->p + start, 4, t->p + body, body_end - body, t->p + t->len - 4, 4);
    gen_grow(w, &b->txids, &b->cap_ids, b->n_tx + 2, 32);
    gen_grow(w, &b->wtxids, &b->cap_wids, b->n_tx + 2, 32);
    b->n_tx++; /* index 0 is the coinbase's */
    memcpy(b->txids[b->n_tx], b->last_txid, 32);
    if (segwit) sl_sha256d(b->wtxids[b->n_tx], t->p + start, t->len - start);
    else memcpy(b->wtxids[b->n_tx], b->last_txid, 32);
    b->any_segwit |= segwit;
    gen_grow(w, &b->made, &b->cap_made, b->n_outs + 1, sizeof *b->made);
    for (size_t o = 0; o < b->n_outs; o++) {
        gb_utxo *u = &b->made[o];
        memcpy(u->txid, b->last_txid, 32);
        u->vout = (uint32_t)o;
        u->addr = b->outs[o].addr;
        u->value = b->outs[o].memo ? 0 : b->outs[o].value;
    }
    b->n_made = b->n_outs;
    b->total_txs++;
}

/* The merkle root of n hashes (the block parser's, in place: h is scratch). */
static void merkle(uint8_t root[32], uint8_t (*h)[32], size_t n)
{
    sl_hash256 r;
    bool mutated;
    sl_btc_merkle_root(&r, (sl_hash256 *)(void *)h, (uint32_t)n, &mutated);
    memcpy(root, r.b, 32);
}

static void bput(gen_world *w, const void *p, size_t n) { gen_buf_put(w, &w->b.blk, p, n); }

static void write_block(gen_world *w)
{
    gen_btc *b = &w->b;
    uint8_t hdr[8] = {0xfa, 0xbf, 0xb5, 0xda};
    sl_put_le32(hdr + 4, (uint32_t)b->blk.len);
    if (!b->f || b->fbytes + 8 + b->blk.len > BLK_FILE_MAX) {
        char path[4200];
        gb_close(w);
        snprintf(path, sizeof path, "%s/btc/blk%05d.dat", w->dir, ++b->fileno);
        if (!(b->f = fopen(path, "wb"))) gen_fail(w, SL_EIO, "%s: cannot create: %s", path, strerror(errno));
        b->fbytes = 0;
    }
    if (fwrite(hdr, 1, 8, b->f) != 8 || fwrite(b->blk.p, 1, b->blk.len, b->f) != b->blk.len)
        gen_fail(w, SL_EIO, "%s/btc/blk%05d.dat: write failed: %s", w->dir, b->fileno, strerror(errno));
    b->fbytes += 8 + b->blk.len;
}

/* The coinbase goes first in the block but is built last (it carries the fees and the
 * witness commitment): it is serialized into its own buffer, swapped in front. */
void gb_block(gen_world *w, uint32_t time, const struct gb_out *premine, size_t n_premine)
{
    gen_btc *b = &w->b;
    sl_buf body = b->txs, cb = {0};
    size_t n_tx = b->n_tx + 1, cbody, cbody_end, nout;
    uint8_t root[32], hdr[80], hash[32];
    uint32_t miner = 0;
    /* coinbase, written with the same helpers into b->txs (emptied) */
    b->txs = cb;
    if (!n_premine) miner = gb_new_addr(w, BT_P2WPKH, OWN_MINER, "miner payout");
    put32(w, 2);
    if (b->any_segwit) { put8(w, 0); put8(w, 1); }
    cbody = b->txs.len;
    putvar(w, 1);
    {
        uint8_t z[32] = {0};
        put(w, z, 32);
    }
    put32(w, 0xffffffff);
    {
        uint8_t s[16];
        size_t n = 0;
        uint32_t h = b->height;
        /* BIP-34: the height as a minimal CScriptNum push, then an extra nonce */
        if (h == 0) s[n++] = 0x00;
        else if (h <= 16) s[n++] = (uint8_t)(0x50 + h);
        else {
            uint8_t v[5];
            int k = 0;
            while (h) { v[k++] = (uint8_t)h; h >>= 8; }
            if (v[k - 1] & 0x80) v[k++] = 0;
            s[n++] = (uint8_t)k;
            memcpy(s + n, v, (size_t)k);
            n += (size_t)k;
        }
        s[n++] = 4;
        gen_bytes(&w->r, s + n, 4);
        n += 4;
        putvar(w, n);
        put(w, s, n);
    }
    put32(w, 0xffffffff);
    nout = n_premine ? n_premine : 1;
    putvar(w, nout + (b->any_segwit ? 1 : 0));
    for (size_t o = 0; o < nout; o++) {
        struct gb_out m = n_premine ? premine[o] : (struct gb_out){50 * SAT_PER_BTC + b->fees, miner, NULL};
        put64(w, m.value);
        script_pubkey(w, &m);
    }
    if (b->any_segwit) {
        uint8_t wroot[32], two[64], commit[32];
        gen_grow(w, &b->wtxids, &b->cap_wids, n_tx, 32);
        memset(b->wtxids[0], 0, 32);
        merkle(wroot, b->wtxids, n_tx);
        memcpy(two, wroot, 32);
        memset(two + 32, 0, 32);
        sl_sha256d(commit, two, 64);
        put64(w, 0);
        putvar(w, 38);
        put(w, "\x6a\x24\xaa\x21\xa9\xed", 6);
        put(w, commit, 32);
    }
    cbody_end = b->txs.len;
    if (b->any_segwit) {
        uint8_t z[32] = {0};
        put8(w, 1);
        put8(w, 32);
        put(w, z, 32);
    }
    put32(w, 0);
    gen_grow(w, &b->txids, &b->cap_ids, n_tx, 32);
    sl_sha256d3(b->txids[0], b->txs.p, 4, b->txs.p + cbody, cbody_end - cbody, b->txs.p + b->txs.len - 4, 4);
    /* the premine's outputs: the caller reads them from made[] */
    gen_grow(w, &b->made, &b->cap_made, nout, sizeof *b->made);
    for (size_t o = 0; o < nout; o++) {
        memcpy(b->made[o].txid, b->txids[0], 32);
        b->made[o].vout = (uint32_t)o;
        b->made[o].addr = n_premine ? premine[o].addr : miner;
        b->made[o].value = n_premine ? premine[o].value : 50 * SAT_PER_BTC + b->fees;
    }
    b->n_made = nout;
    cb = b->txs;
    b->txs = body;
    merkle(root, b->txids, n_tx);
    {
        uint32_t v = 0x20000000, bits = 0x207fffff;
        sl_put_le32(hdr, v);
        memcpy(hdr + 4, b->prev, 32);
        memcpy(hdr + 36, root, 32);
        sl_put_le32(hdr + 68, time);
        sl_put_le32(hdr + 72, bits);
        /* regtest's target 0x7fffff << 232: the hash's top byte (last, little-endian)
         * below 0x7f meets it, and 0x7f with a lower rest is rare enough to ignore */
        for (uint32_t nonce = 0;; nonce++) {
            sl_put_le32(hdr + 76, nonce);
            sl_sha256d(hash, hdr, 80);
            if (hash[31] < 0x7f) break;
        }
    }
    b->blk.len = 0;
    bput(w, hdr, 80);
    {
        uint8_t v[5];
        size_t n = 0;
        if (n_tx < 0xfd) v[n++] = (uint8_t)n_tx;
        else if (n_tx <= 0xffff) { v[n++] = 0xfd; v[n++] = (uint8_t)n_tx; v[n++] = (uint8_t)(n_tx >> 8); }
        else { v[n++] = 0xfe; sl_put_le32(v + 1, (uint32_t)n_tx); n += 4; }
        bput(w, v, n);
    }
    bput(w, cb.p, cb.len);
    bput(w, b->txs.p, b->txs.len);
    sl_buf_free(&cb);
    write_block(w);
    memcpy(b->prev, hash, 32);
    b->height++;
    b->txs.len = 0;
    b->n_tx = 0;
    b->any_segwit = false;
    b->fees = 0;
    b->total_txs++;
}
