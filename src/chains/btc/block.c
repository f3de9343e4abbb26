/* block.c — Bitcoin consensus deserialization: header, transactions (legacy and segwit
 * BIP-141/144), txid/wtxid, weight, merkle root with the CVE-2012-2459 mutation check,
 * the BIP-141 witness commitment, BIP-34 coinbase height, and proof of work.
 *
 * Everything goes through the bounds-checked sl_cursor; every count is bounded by the
 * bytes left before anything is allocated, so a hostile varint cannot make us allocate
 * more than a small multiple of the input size.
 */
#include "sleuth/btc.h"

#include <openssl/evp.h>
#include <string.h>

#include "sleuth/util.h"

#define MAX_BLOCK_BYTES (32u << 20) /* far above consensus (4 MB); protects the arrays */

void sl_hash_hex(char out[65], const sl_hash256 *h) { sl_hex_encode_rev(out, h->b, 32); }

bool sl_hash_parse(sl_hash256 *h, const char *hex)
{
    return hex && sl_hex_decode_rev(h->b, 32, hex, strlen(hex));
}

void sl_btc_header_hash(sl_hash256 *h, const uint8_t hdr80[80]) { sl_sha256d(h->b, hdr80, 80); }

bool sl_btc_bits_target(uint8_t t[32], uint32_t bits)
{
    uint32_t exp = bits >> 24, mant = bits & 0x007fffff;
    memset(t, 0, 32);
    if (mant == 0)
        return false; /* zero target: nothing can meet it */
    if (bits & 0x00800000)
        return false; /* negative */
    if (exp <= 3) {
        mant >>= 8 * (3 - exp);
        t[31] = (uint8_t)mant;
        t[30] = (uint8_t)(mant >> 8);
        t[29] = (uint8_t)(mant >> 16);
        return mant != 0;
    }
    if (exp > 34 || (mant > 0xff && exp > 33) || (mant > 0xffff && exp > 32))
        return false; /* overflow */
    for (int i = 0; i < 3; i++) {
        int pos = 32 - (int)exp + i; /* big-endian byte index */
        uint8_t byte = (uint8_t)(mant >> (8 * (2 - i)));
        if (pos < 0) {
            if (byte) return false;
            continue;
        }
        if (pos < 32) t[pos] = byte;
    }
    return true;
}

/* floor(2^256 / (target + 1)), saturated at 2^128 - 1. */
unsigned __int128 sl_btc_bits_work(uint32_t bits)
{
    uint8_t t[32];
    uint64_t d[4], r[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
    int carry = 1;
    if (!sl_btc_bits_target(t, bits))
        return 0;
    for (int i = 0; i < 4; i++) { /* d = target + 1, little-endian limbs */
        d[i] = 0;
        for (int j = 0; j < 8; j++) d[i] |= (uint64_t)t[31 - (i * 8 + j)] << (8 * j);
    }
    for (int i = 0; i < 4 && carry; i++) {
        d[i] += 1;
        carry = d[i] == 0;
    }
    if (carry) return 1; /* target was 2^256-1 */
    /* long division of 2^256 (a 1 followed by 256 zero bits) by d */
    for (int bit = 256; bit >= 0; bit--) {
        int top = (int)(r[3] >> 63), ge = 1;
        for (int i = 3; i > 0; i--) r[i] = r[i] << 1 | r[i - 1] >> 63;
        r[0] = r[0] << 1 | (bit == 256 ? 1 : 0);
        if (!top) {
            for (int i = 3; i >= 0; i--) {
                if (r[i] != d[i]) { ge = r[i] > d[i]; break; }
            }
        }
        if (ge) {
            uint64_t borrow = 0;
            for (int i = 0; i < 4; i++) {
                uint64_t s = r[i] - d[i] - borrow;
                borrow = (r[i] < d[i] + borrow) || (d[i] + borrow < d[i]);
                r[i] = s;
            }
            if (bit < 256) q[bit / 64] |= (uint64_t)1 << (bit % 64);
        }
    }
    if (q[2] || q[3]) return ~(unsigned __int128)0;
    return (unsigned __int128)q[1] << 64 | q[0];
}

/* hash (little-endian number) <= target (big-endian bytes) */
static bool le_hash_le_target(const uint8_t h[32], const uint8_t t[32])
{
    for (int i = 0; i < 32; i++) {
        uint8_t hb = h[31 - i];
        if (hb != t[i]) return hb < t[i];
    }
    return true;
}

bool sl_btc_check_pow(const uint8_t hdr80[80], const sl_hash256 *hash, const sl_btc_net *net)
{
    uint8_t t[32], pow[32];
    const uint8_t *h = hash->b;
    if (!sl_btc_bits_target(t, sl_le32(hdr80 + 72)))
        return false;
    if (memcmp(t, net->pow_limit, 32) > 0)
        return false;
    if (net->pow_scrypt) {
        if (EVP_PBE_scrypt((const char *)hdr80, 80, hdr80, 80, 1024, 1, 1, 0, pow, 32) != 1)
            return false;
        h = pow;
    }
    return le_hash_le_target(h, t);
}

static int grow_arrays(sl_btc_block *b, size_t ntx, size_t nin, size_t nout)
{
    void *p;
    p = b->tx;
    if (sl_grow(&p, &b->cap_tx, ntx, sizeof *b->tx)) return SL_ENOMEM;
    b->tx = p;
    p = b->in;
    if (sl_grow(&p, &b->cap_in, nin, sizeof *b->in)) return SL_ENOMEM;
    b->in = p;
    p = b->out;
    if (sl_grow(&p, &b->cap_out, nout, sizeof *b->out)) return SL_ENOMEM;
    b->out = p;
    return SL_OK;
}

void sl_btc_block_free(sl_btc_block *b)
{
    sl_free(b->tx);
    sl_free(b->in);
    sl_free(b->out);
    sl_free(b->scratch);
    sl_free(b->spends);
    memset(b, 0, sizeof *b);
}

#define BAD(what) do { sl_err_offset(e, sl_cur_off(c)); return sl_err(e, SL_ECORRUPT, "byte offset %zu: %s", sl_cur_off(c), what); } while (0)

/* Parses one transaction at the cursor, appending its inputs and outputs to b.
 * cb_witness receives the coinbase's first witness item when asked (for the commitment). */
static int parse_tx(sl_btc_block *b, sl_cursor *c, sl_btc_tx *tx, const uint8_t **wit0, bool wtxid, sl_error *e)
{
    const uint8_t *start = c->p, *body, *body_end;
    uint64_t nin, nout;
    uint8_t flag = 0;
    tx->offset = (uint32_t)sl_cur_off(c);
    if (!sl_cur_u32(c, &tx->version)) BAD("truncated transaction version");
    body = c->p;
    if (!sl_cur_varint(c, &nin)) BAD("truncated input count");
    tx->segwit = false;
    if (nin == 0) { /* BIP-144 marker; the flag must follow */
        if (!sl_cur_u8(c, &flag)) BAD("truncated segwit flag");
        if (flag != 1) BAD("unknown transaction flag (expected segwit flag 0x01)");
        tx->segwit = true;
        body = c->p;
        if (!sl_cur_varint(c, &nin)) BAD("truncated input count");
    }
    if (nin == 0) BAD("transaction with no inputs");
    if (nin > sl_cur_left(c) / 41) BAD("input count larger than the bytes left");
    if (grow_arrays(b, 0, (size_t)b->n_in + nin, 0)) return sl_err(e, SL_ENOMEM, "out of memory");
    tx->first_in = b->n_in;
    tx->n_in = (uint32_t)nin;
    for (uint64_t i = 0; i < nin; i++) {
        sl_btc_txin *in = &b->in[b->n_in++];
        const uint8_t *h;
        uint64_t sl;
        if (!sl_cur_bytes(c, &h, 32)) BAD("truncated input outpoint");
        memcpy(in->prev_txid.b, h, 32);
        if (!sl_cur_u32(c, &in->prev_vout)) BAD("truncated input outpoint index");
        if (!sl_cur_varint(c, &sl)) BAD("truncated scriptSig length");
        if (sl > sl_cur_left(c)) BAD("scriptSig length past the end");
        in->script_len = (uint32_t)sl;
        if (!sl_cur_bytes(c, &in->script_sig, (size_t)sl)) BAD("truncated scriptSig");
        if (!sl_cur_u32(c, &in->sequence)) BAD("truncated input sequence");
        in->witness_items = 0;
    }
    if (!sl_cur_varint(c, &nout)) BAD("truncated output count");
    if (nout > sl_cur_left(c) / 9) BAD("output count larger than the bytes left");
    if (grow_arrays(b, 0, 0, (size_t)b->n_out + nout)) return sl_err(e, SL_ENOMEM, "out of memory");
    tx->first_out = b->n_out;
    tx->n_out = (uint32_t)nout;
    for (uint64_t i = 0; i < nout; i++) {
        sl_btc_txout *o = &b->out[b->n_out++];
        uint64_t sl;
        if (!sl_cur_u64(c, &o->value)) BAD("truncated output value");
        if (o->value > 2100000000000000ULL) BAD("output value above 21 million coins");
        if (!sl_cur_varint(c, &sl)) BAD("truncated scriptPubKey length");
        if (sl > sl_cur_left(c)) BAD("scriptPubKey length past the end");
        o->script_len = (uint32_t)sl;
        if (!sl_cur_bytes(c, &o->script, (size_t)sl)) BAD("truncated scriptPubKey");
    }
    body_end = c->p;
    if (tx->segwit) {
        bool any = false;
        for (uint64_t i = 0; i < nin; i++) {
            uint64_t items;
            if (!sl_cur_varint(c, &items)) BAD("truncated witness item count");
            if (items > sl_cur_left(c)) BAD("witness item count larger than the bytes left");
            b->in[tx->first_in + i].witness_items = (uint32_t)items;
            if (items) any = true;
            for (uint64_t k = 0; k < items; k++) {
                uint64_t il;
                const uint8_t *d;
                if (!sl_cur_varint(c, &il)) BAD("truncated witness item length");
                if (il > sl_cur_left(c)) BAD("witness item length past the end");
                if (!sl_cur_bytes(c, &d, (size_t)il)) BAD("truncated witness item");
                if (wit0 && i == 0 && k == 0 && items == 1 && il == 32) *wit0 = d;
            }
        }
        if (!any) BAD("segwit transaction without witness data (superfluous witness record)");
    }
    if (!sl_cur_u32(c, &tx->locktime)) BAD("truncated locktime");
    tx->size = (uint32_t)(c->p - start);
    if (tx->segwit) {
        size_t base = 4 + (size_t)(body_end - body) + 4;
        tx->weight = (uint32_t)(base * 3 + tx->size);
        sl_sha256d3(tx->txid.b, start, 4, body, (size_t)(body_end - body), c->p - 4, 4);
        if (wtxid) sl_sha256d(tx->wtxid.b, start, tx->size);
        else memset(tx->wtxid.b, 0, 32);
    } else {
        tx->weight = tx->size * 4;
        sl_sha256d(tx->txid.b, start, tx->size);
        tx->wtxid = tx->txid;
    }
    return SL_OK;
}

void sl_btc_merkle_root(sl_hash256 *root, sl_hash256 *h, uint32_t n, bool *mutated)
{
    *mutated = false;
    while (n > 1) {
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i += 2) {
            uint8_t pair[64];
            const sl_hash256 *r = i + 1 < n ? &h[i + 1] : &h[i];
            if (i + 1 < n && memcmp(h[i].b, h[i + 1].b, 32) == 0) *mutated = true;
            memcpy(pair, h[i].b, 32);
            memcpy(pair + 32, r->b, 32);
            sl_sha256d(h[m++].b, pair, 64);
        }
        n = m;
    }
    *root = h[0];
}

static int64_t bip34_height(const sl_btc_txin *cb)
{
    const uint8_t *s = cb->script_sig;
    uint32_t n = cb->script_len;
    int64_t v = 0;
    if (n == 0) return -1;
    if (s[0] >= 0x51 && s[0] <= 0x60) return s[0] - 0x50; /* OP_1..OP_16 */
    if (s[0] < 1 || s[0] > 5 || s[0] + 1u > n) return -1;
    for (int i = 0; i < s[0]; i++) v |= (int64_t)s[1 + i] << (8 * i);
    if (s[s[0]] & 0x80) return -1; /* negative CScriptNum */
    return v;
}

static int parse_txs(sl_btc_block *b, sl_cursor *c, const uint8_t **wit0, bool wtxid, sl_error *e)
{
    uint64_t ntx;
    if (!sl_cur_varint(c, &ntx)) BAD("truncated transaction count");
    if (ntx == 0) BAD("block with no transactions");
    if (ntx > sl_cur_left(c) / 60 + 1) BAD("transaction count larger than the bytes left");
    if (grow_arrays(b, ntx, 16, 16)) return sl_err(e, SL_ENOMEM, "out of memory");
    b->n_tx = (uint32_t)ntx;
    b->n_in = b->n_out = 0;
    for (uint64_t i = 0; i < ntx; i++) {
        int rc = parse_tx(b, c, &b->tx[i], i == 0 ? wit0 : NULL, wtxid, e);
        if (rc) return rc;
    }
    return SL_OK;
}

/* An input's outpoint as a 64-bit sort key: the first 8 bytes of its txid mixed with its
 * output index (times an odd constant). Two spends of one outpoint have equal keys;
 * two different outpoints share a key only if their txids share that 64-bit prefix (a
 * txid cannot be ground to a chosen 64-bit prefix), so equal keys are checked in full. */
typedef struct spend_key { uint64_t k; uint32_t in, pad; } spend_key;

static bool same_outpoint(const sl_btc_block *b, uint32_t x, uint32_t y)
{
    return b->in[x].prev_vout == b->in[y].prev_vout && memcmp(b->in[x].prev_txid.b, b->in[y].prev_txid.b, 32) == 0;
}

/* LSD radix sort of n keys, 8 bits a pass (the count arrays stay in L1), into tmp and
 * back: 8 passes, so the sorted keys end in a. */
static void radix_keys(spend_key *a, spend_key *tmp, uint32_t n)
{
    spend_key *src = a, *dst = tmp;
    for (int sh = 0; sh < 64; sh += 8) {
        uint32_t cnt[256] = {0}, sum = 0;
        for (uint32_t i = 0; i < n; i++) cnt[(src[i].k >> sh) & 255]++;
        for (int k = 0; k < 256; k++) {
            uint32_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++) dst[cnt[(src[i].k >> sh) & 255]++] = src[i];
        spend_key *x = src;
        src = dst;
        dst = x;
    }
}

/* Which tx an input (block-wide number) belongs to. */
static uint32_t tx_of_input(const sl_btc_block *b, uint32_t in)
{
    uint32_t lo = 0, hi = b->n_tx;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->tx[mid].first_in <= in) lo = mid; else hi = mid;
    }
    return lo;
}

/* Consensus: no two inputs of a block spend the same output (within a transaction,
 * bad-txns-inputs-duplicate; across transactions, a double spend). The outpoints' keys
 * are radix sorted (linear in the inputs), then each run of equal keys is compared in
 * full. */
static int check_spends(sl_btc_block *b, sl_error *e)
{
    void *q = b->spends;
    spend_key *sk;
    uint32_t n = 0;
    if (b->n_in < 2) return SL_OK;
    if (sl_grow(&q, &b->cap_spends, 2 * (size_t)b->n_in, sizeof *sk)) return sl_err(e, SL_ENOMEM, "out of memory");
    b->spends = q;
    sk = q;
    for (uint32_t t = 1; t < b->n_tx; t++)
        for (uint32_t i = 0; i < b->tx[t].n_in; i++) {
            uint32_t in = b->tx[t].first_in + i;
            memcpy(&sk[n].k, b->in[in].prev_txid.b, 8);
            sk[n].k ^= (uint64_t)b->in[in].prev_vout * 0x9e3779b97f4a7c15ULL;
            sk[n].in = in;
            sk[n++].pad = 0;
        }
    radix_keys(sk, sk + n, n);
    for (uint32_t k = 1; k < n; k++) {
        uint32_t j, a = UINT32_MAX, c = 0;
        if (sk[k].k != sk[k - 1].k) continue;
        /* a run of equal keys: any two of it may be the same outpoint */
        for (j = k - 1; a == UINT32_MAX && j < n && sk[j].k == sk[k - 1].k; j++)
            for (uint32_t m = j + 1; m < n && sk[m].k == sk[j].k; m++)
                if (same_outpoint(b, sk[j].in, sk[m].in)) {
                    a = sk[j].in < sk[m].in ? sk[j].in : sk[m].in;
                    c = sk[j].in ^ sk[m].in ^ a;
                    break;
                }
        while (k + 1 < n && sk[k + 1].k == sk[k].k) k++;
        if (a != UINT32_MAX) {
            uint32_t ta = tx_of_input(b, a), tc = tx_of_input(b, c);
            char prev[65], txa[65], txc[65];
            sl_hash_hex(prev, &b->in[a].prev_txid);
            sl_hash_hex(txa, &b->tx[ta].txid);
            sl_hash_hex(txc, &b->tx[tc].txid);
            sl_err_offset(e, b->tx[tc].offset);
            return sl_err(e, SL_ECORRUPT,
                          "byte offset %u: output %s:%u is spent twice in this block (tx %u %s input %u, and tx %u "
                          "%s input %u): a double spend, invalid by consensus",
                          b->tx[tc].offset, prev, b->in[a].prev_vout, ta, txa, a - b->tx[ta].first_in, tc, txc,
                          c - b->tx[tc].first_in);
        }
    }
    return SL_OK;
}

int sl_btc_block_parse(sl_btc_block *b, const uint8_t *p, size_t len, const sl_btc_net *net, unsigned checks,
                       sl_error *e)
{
    sl_cursor cc = sl_cursor_make(p, len), *c = &cc;
    const uint8_t *h, *wit0 = NULL;
    int rc;
    bool any_witness = false;
    if (len > MAX_BLOCK_BYTES) return sl_err(e, SL_ECORRUPT, "block of %zu bytes is larger than any valid block", len);
    if (!sl_cur_bytes(c, &h, 80)) BAD("truncated block header (need 80 bytes)");
    b->hdr.version = sl_le32(h);
    memcpy(b->hdr.prev.b, h + 4, 32);
    memcpy(b->hdr.merkle.b, h + 36, 32);
    b->hdr.time = sl_le32(h + 68);
    b->hdr.bits = sl_le32(h + 72);
    b->hdr.nonce = sl_le32(h + 76);
    sl_btc_header_hash(&b->hash, h);
    if ((checks & SL_BTC_CHECK_POW) && !sl_btc_check_pow(h, &b->hash, net))
        return sl_err(e, SL_ECORRUPT, "byte offset 0: header hash does not meet its nBits target (proof of work)");
    rc = parse_txs(b, c, &wit0, !(checks & SL_BTC_TXID_ONLY) || (checks & SL_BTC_CHECK_MERKLE), e);
    if (rc) return rc;
    if (sl_cur_left(c) != 0) BAD("trailing bytes after the last transaction");
    b->size = (uint32_t)len;
    b->weight = 0;
    {
        uint64_t w = 80 * 4;
        uint64_t ntx = b->n_tx;
        w += (ntx < 0xfd ? 1 : ntx <= 0xffff ? 3 : 5) * 4;
        for (uint32_t i = 0; i < b->n_tx; i++) {
            w += b->tx[i].weight;
            any_witness |= b->tx[i].segwit;
        }
        b->weight = (uint32_t)w;
    }
    /* coinbase shape */
    {
        const sl_btc_txin *cb = &b->in[0];
        static const uint8_t zero[32];
        if (b->tx[0].n_in != 1 || memcmp(cb->prev_txid.b, zero, 32) != 0 || cb->prev_vout != 0xffffffff)
            return sl_err(e, SL_ECORRUPT, "byte offset %u: first transaction is not a coinbase", b->tx[0].offset);
        b->bip34_height = b->hdr.version >= 2 ? bip34_height(cb) : -1;
    }
    if ((checks & SL_BTC_CHECK_SPENDS) && (rc = check_spends(b, e))) return rc;
    if (checks & SL_BTC_CHECK_MERKLE) {
        sl_hash256 root, *tmp;
        bool mutated;
        void *q = b->scratch;
        if (sl_grow(&q, &b->cap_scratch, b->n_tx, sizeof(sl_hash256))) return sl_err(e, SL_ENOMEM, "out of memory");
        b->scratch = tmp = q;
        for (uint32_t i = 0; i < b->n_tx; i++) tmp[i] = b->tx[i].txid;
        sl_btc_merkle_root(&root, tmp, b->n_tx, &mutated);
        if (memcmp(root.b, b->hdr.merkle.b, 32) != 0)
            return sl_err(e, SL_ECORRUPT, "byte offset 36: merkle root of the transactions does not match the header");
        if (mutated)
            return sl_err(e, SL_ECORRUPT, "merkle tree has duplicate transactions (CVE-2012-2459 mutation)");
        if (any_witness) {
            /* BIP-141: the coinbase commits to the wtxid root in its last matching output */
            const uint8_t *commit = NULL;
            const sl_btc_tx *cbt = &b->tx[0];
            uint8_t buf[64], got[32];
            for (uint32_t k = 0; k < cbt->n_out; k++) {
                const sl_btc_txout *o = &b->out[cbt->first_out + k];
                if (o->script_len >= 38 && memcmp(o->script, "\x6a\x24\xaa\x21\xa9\xed", 6) == 0)
                    commit = o->script + 6;
            }
            memset(tmp[0].b, 0, 32);
            for (uint32_t i = 1; i < b->n_tx; i++) tmp[i] = b->tx[i].wtxid;
            sl_btc_merkle_root(&root, tmp, b->n_tx, &mutated);
            if (!commit || !wit0)
                return sl_err(e, SL_ECORRUPT, "block has witness data but no valid witness commitment in its coinbase");
            memcpy(buf, root.b, 32);
            memcpy(buf + 32, wit0, 32);
            sl_sha256d(got, buf, 64);
            if (memcmp(got, commit, 32) != 0)
                return sl_err(e, SL_ECORRUPT, "witness commitment does not match the transactions' witnesses");
        }
    }
    return SL_OK;
}

int sl_btc_tx_parse(sl_btc_block *b, const uint8_t *p, size_t len, sl_error *e)
{
    sl_cursor cc = sl_cursor_make(p, len), *c = &cc;
    int rc;
    memset(&b->hdr, 0, sizeof b->hdr);
    if (grow_arrays(b, 1, 16, 16)) return sl_err(e, SL_ENOMEM, "out of memory");
    b->n_tx = 1;
    b->n_in = b->n_out = 0;
    rc = parse_tx(b, c, &b->tx[0], NULL, true, e);
    if (rc) return rc;
    if (sl_cur_left(c) != 0) BAD("trailing bytes after the transaction");
    b->size = (uint32_t)len;
    b->weight = b->tx[0].weight;
    b->bip34_height = -1;
    return SL_OK;
}
