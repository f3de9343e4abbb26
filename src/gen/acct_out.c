/* acct_out.c — what the world generator's two account-chain writers (eth_writer.c for the
 * Ethereum JSON-RPC dump, tron_writer.c for the Tron export) share: the block files
 * (DIR/SUB/blocks-NNNNN.json, 500 blocks a file, one JSON line at a time), the chain's
 * numbering and parent hash, the stable ids (Keccak-256 of the seed, a counter and a tag:
 * addresses and transaction hashes), and the JSON text helpers.
 */
#include <errno.h>
#include <string.h>

#include "gen_int.h"
#include "sleuth/keccak.h"

#define BLOCKS_PER_FILE 500

void gen_id(gen_world *w, uint64_t counter, char tag, uint8_t out[32])
{
    uint8_t seed[17];
    sl_put_le64(seed, w->o.seed);
    sl_put_le64(seed + 8, counter);
    seed[16] = (uint8_t)tag;
    sl_keccak256(out, seed, sizeof seed);
}

void gen_addr_hex(gen_world *w, uint8_t out[20], const char *hex40)
{
    if (!sl_hex_decode(out, 20, hex40, 40)) gen_fail(w, SL_EUSAGE, "generator bug: bad address %s", hex40);
}

void gco_init(gen_chainout *c, const char *sub, uint64_t first_block)
{
    memset(c, 0, sizeof *c);
    c->sub = sub;
    c->number = first_block;
    c->fileno = -1;
}

void gco_free(gen_chainout *c)
{
    if (c->f) fclose(c->f);
    c->f = NULL;
    sl_buf_free(&c->line);
}

void gco_close(gen_world *w, gen_chainout *c) { gen_close_file(w, &c->f, c->sub); }

void gco_tx_hash(gen_world *w, gen_chainout *c, char tag, uint8_t out[32])
{
    gen_id(w, c->tx_counter++, tag, out);
    c->total_txs++;
}

void gco_begin_block(gen_world *w, gen_chainout *c, uint8_t bh[32], const uint8_t *hashes, size_t n, size_t stride)
{
    sl_keccak k;
    uint8_t num[8];
    if (!c->f || c->fblocks == BLOCKS_PER_FILE) {
        char path[4200];
        gco_close(w, c);
        snprintf(path, sizeof path, "%s/%s/blocks-%05d.json", w->dir, c->sub, ++c->fileno);
        if (!(c->f = fopen(path, "wb"))) gen_fail(w, SL_EIO, "%s: cannot create: %s", path, strerror(errno));
        c->fblocks = 0;
    }
    sl_keccak_init(&k);
    sl_keccak_update(&k, c->parent, 32);
    sl_put_le64(num, c->number);
    sl_keccak_update(&k, num, 8);
    for (size_t i = 0; i < n; i++) sl_keccak_update(&k, hashes + i * stride, 32);
    sl_keccak_final(&k, bh);
    c->line.len = 0;
}

void gco_end_block(gen_chainout *c, const uint8_t bh[32])
{
    memcpy(c->parent, bh, 32);
    c->number++;
    c->blocks++;
    c->fblocks++;
}

/* ---------- JSON text ---------- */
void gen_put(gen_world *w, sl_buf *b, const char *s) { gen_buf_put(w, b, s, strlen(s)); }

void gen_put_hex(gen_world *w, sl_buf *b, const uint8_t *p, size_t n, bool prefix)
{
    gen_grow(w, &b->p, &b->cap, b->len + 2 * n + 3, 1);
    if (prefix) b->p[b->len++] = '0', b->p[b->len++] = 'x';
    sl_hex_encode((char *)b->p + b->len, p, n);
    b->len += 2 * n;
}

void gen_put_num(gen_world *w, sl_buf *b, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    gen_put(w, b, t);
}

void gco_line_end(gen_world *w, gen_chainout *c)
{
    gen_put(w, &c->line, "\n");
    if (fwrite(c->line.p, 1, c->line.len, c->f) != c->line.len)
        gen_fail(w, SL_EIO, "%s/%s/blocks-%05d.json: write failed: %s", w->dir, c->sub, c->fileno, strerror(errno));
    c->line.len = 0;
}
