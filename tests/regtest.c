/* regtest.c — see regtest.h. */
#include "regtest.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sleuth/btc.h"
#include "sleuth/util.h"

static uint8_t *put_out(uint8_t *p, const rt_out *o)
{
    sl_put_le64(p, o->value), p += 8;
    *p++ = 25, *p++ = 0x76, *p++ = 0xa9, *p++ = 20;
    memset(p, o->tag, 20), p += 20;
    *p++ = 0x88, *p++ = 0xac;
    return p;
}

static void finish(rt_tx *t, uint8_t *p)
{
    sl_put_le32(p, 0), p += 4;
    t->n = (size_t)(p - t->b);
    sl_sha256d(t->txid.b, t->b, t->n);
}

void rt_coinbase(rt_tx *t, uint32_t height, const rt_out *outs, int nout)
{
    uint8_t *p = t->b;
    sl_put_le32(p, 2), p += 4;
    *p++ = 1;
    memset(p, 0, 32), p += 32;
    sl_put_le32(p, 0xffffffff), p += 4;
    *p++ = 5, *p++ = 4; /* BIP-34 push of the height, 4 bytes */
    sl_put_le32(p, height), p += 4;
    sl_put_le32(p, 0xffffffff), p += 4;
    *p++ = (uint8_t)nout;
    for (int k = 0; k < nout; k++) p = put_out(p, &outs[k]);
    finish(t, p);
}

/* OP_RETURN <memo>: one push, PUSHDATA1 above 75 bytes. */
static uint8_t *put_memo(uint8_t *p, const char *memo)
{
    size_t n = strlen(memo);
    cr_assert_leq(n, 80);
    sl_put_le64(p, 0), p += 8;
    *p++ = (uint8_t)(n + (n > 75 ? 3 : 2)), *p++ = 0x6a;
    if (n > 75) *p++ = 0x4c;
    *p++ = (uint8_t)n;
    memcpy(p, memo, n);
    return p + n;
}

void rt_spend(rt_tx *t, const rt_in *ins, int nin, const rt_out *outs, int nout)
{
    rt_spend_memo(t, ins, nin, outs, nout, -1, NULL);
}

void rt_spend_memo(rt_tx *t, const rt_in *ins, int nin, const rt_out *outs, int nout, int memo_at, const char *memo)
{
    uint8_t *p = t->b;
    sl_put_le32(p, 2), p += 4;
    *p++ = (uint8_t)nin;
    for (int i = 0; i < nin; i++) {
        memcpy(p, ins[i].txid.b, 32), p += 32;
        sl_put_le32(p, ins[i].vout), p += 4;
        *p++ = 1, *p++ = 0x51; /* scriptSig OP_TRUE: not checked by sleuth */
        sl_put_le32(p, 0xffffffff), p += 4;
    }
    *p++ = (uint8_t)(nout + (memo_at >= 0));
    for (int k = 0; k <= nout; k++) {
        if (k == memo_at) p = put_memo(p, memo);
        if (k < nout) p = put_out(p, &outs[k]);
    }
    finish(t, p);
}

static void merkle(sl_hash256 *root, rt_tx *const *txs, int n)
{
    sl_hash256 h[256];
    for (int i = 0; i < n; i++) h[i] = txs[i]->txid;
    while (n > 1) {
        int m = 0;
        for (int i = 0; i < n; i += 2) {
            uint8_t cat[64];
            memcpy(cat, h[i].b, 32);
            memcpy(cat + 32, (i + 1 < n ? h[i + 1] : h[i]).b, 32);
            sl_sha256d(h[m++].b, cat, 64);
        }
        n = m;
    }
    *root = h[0];
}

void rt_block(rt_chain *c, rt_tx *const *txs, int ntx)
{
    size_t need = 8 + 81 + 9, off;
    uint8_t *hdr;
    sl_hash256 root, hash;
    for (int i = 0; i < ntx; i++) need += txs[i]->n;
    if (c->n + need > c->cap) {
        c->cap = (c->n + need) * 2;
        c->blk = realloc(c->blk, c->cap);
    }
    off = c->n;
    memcpy(c->blk + off, "\xfa\xbf\xb5\xda", 4);
    hdr = c->blk + off + 8;
    sl_put_le32(hdr, 2);
    memcpy(hdr + 4, c->tip.b, 32);
    merkle(&root, txs, ntx);
    memcpy(hdr + 36, root.b, 32);
    c->time = c->time ? c->time + 600 : 1600000000;
    sl_put_le32(hdr + 68, c->time);
    sl_put_le32(hdr + 72, 0x207fffff);
    for (uint32_t nonce = 0;; nonce++) {
        sl_put_le32(hdr + 76, nonce);
        sl_btc_header_hash(&hash, hdr);
        if (sl_btc_check_pow(hdr, &hash, sl_btc_net_by_name("regtest"))) break;
    }
    {
        uint8_t *p = hdr + 80;
        *p++ = (uint8_t)ntx; /* < 0xfd txs per test block */
        for (int i = 0; i < ntx; i++) memcpy(p, txs[i]->b, txs[i]->n), p += txs[i]->n;
        sl_put_le32(c->blk + off + 4, (uint32_t)(p - hdr));
        c->n = (size_t)(p - c->blk);
    }
    c->tip = hash;
    c->height++;
}

const char *rt_write(const rt_chain *c, const char *dir)
{
    static char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/blk00000.dat", dir);
    f = fopen(path, "wb");
    fwrite(c->blk, 1, c->n, f);
    fclose(f);
    return path;
}

const char *rt_addr(uint8_t tag)
{
    static char buf[4][64];
    static int k;
    uint8_t h[20], ver = 0x6f;
    char *p = buf[k++ % 4];
    memset(h, tag, 20);
    sl_base58check_encode(p, &ver, 1, h, 20);
    return p;
}

void rt_hand_graph(rt_chain *c, rt_tx tx[6])
{
    rt_out o, z = {0x01, 0};
    rt_tx *c0 = &tx[0], *c1 = &tx[1], *c2 = &tx[2], *c3 = &tx[3], *t1 = &tx[4], *t2 = &tx[5];
    o = (rt_out){0xa1, 100}, rt_coinbase(c0, 0, &o, 1), rt_block(c, (rt_tx *[]){c0}, 1);
    o = (rt_out){0xb1, 50}, rt_coinbase(c1, 1, &o, 1), rt_block(c, (rt_tx *[]){c1}, 1);
    rt_spend(t1, (rt_in[]){{c0->txid, 0}, {c1->txid, 0}}, 2, (rt_out[]){{0xd1, 90}, {0xe1, 50}}, 2);
    rt_coinbase(c2, 2, &z, 1), rt_block(c, (rt_tx *[]){c2, t1}, 2);
    rt_spend(t2, (rt_in[]){{t1->txid, 1}}, 1, (rt_out[]){{0xf1, 20}, {0x91, 29}}, 2);
    rt_coinbase(c3, 3, &z, 1), rt_block(c, (rt_tx *[]){c3, t2}, 2);
}

void rt_hand_store(char *store, size_t cap, rt_tx tx[6])
{
    rt_chain c;
    const char *d = temp_dir();
    run_result r;
    memset(&c, 0, sizeof c);
    rt_hand_graph(&c, tx);
    snprintf(store, cap, "%s/s", d);
    r = run_sleuth("ingest btc --network regtest --quiet --store %s %s", store, rt_write(&c, d));
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    free(c.blk);
}
