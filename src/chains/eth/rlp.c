/* rlp.c — a strict Recursive Length Prefix decoder (Yellow Paper appendix B), used to
 * check raw signed transactions and compute their hashes. Every length is checked
 * against what is left; non-canonical encodings are rejected as the consensus rules do. */
#include "sleuth/eth.h"
#include "sleuth/keccak.h"

static int bad(sl_error *e, const sl_cursor *c, const char *what)
{
    return sl_err(e, SL_ECORRUPT, "rlp: byte offset %zu: %s", sl_cur_off(c), what);
}

int sl_rlp_next(sl_cursor *c, sl_rlp *it, sl_error *e)
{
    uint8_t b;
    size_t len;
    sl_cursor at = *c;
    if (!sl_cur_u8(c, &b)) return bad(e, &at, "expected an item, found the end");
    if (b < 0x80) { /* the byte itself */
        it->p = c->p - 1, it->len = 1, it->list = false;
        return SL_OK;
    }
    it->list = b >= 0xc0;
    if ((b & 0x3f) < 0x38) {
        len = b & 0x3f;
        if (!it->list && len == 1 && sl_cur_left(c) >= 1 && c->p[0] < 0x80)
            return bad(e, &at, "single byte below 0x80 must not be wrapped");
    } else {
        size_t nl = (size_t)(b & 0x3f) - 0x37;
        if (nl > 8) return bad(e, &at, "length of length above 8 bytes");
        if (sl_cur_left(c) < nl) return bad(e, &at, "length runs past the end");
        if (c->p[0] == 0) return bad(e, &at, "length with leading zero");
        len = 0;
        for (size_t i = 0; i < nl; i++) len = len << 8 | c->p[i];
        c->p += nl;
        if (len < 56) return bad(e, &at, "long form used for fewer than 56 bytes");
    }
    if (len > sl_cur_left(c)) return bad(e, &at, "payload runs past the end");
    it->p = c->p;
    it->len = len;
    c->p += len;
    return SL_OK;
}

/* Checks every nested item of a list payload. */
static int check_list(const uint8_t *p, size_t n, const uint8_t *base, int depth, sl_error *e)
{
    sl_cursor c = sl_cursor_make(p, n);
    c.base = base;
    if (depth > 64) return sl_err(e, SL_ECORRUPT, "rlp: lists nested deeper than 64");
    while (sl_cur_left(&c)) {
        sl_rlp it;
        int rc = sl_rlp_next(&c, &it, e);
        if (rc) return rc;
        if (it.list && (rc = check_list(it.p, it.len, base, depth + 1, e))) return rc;
    }
    return SL_OK;
}

int sl_rlp_decode(sl_rlp *it, const uint8_t *p, size_t n, sl_error *e)
{
    sl_cursor c = sl_cursor_make(p, n);
    int rc = sl_rlp_next(&c, it, e);
    if (rc) return rc;
    if (sl_cur_left(&c)) return bad(e, &c, "trailing bytes after the item");
    if (it->list) return check_list(it->p, it->len, p, 1, e);
    return SL_OK;
}

int sl_eth_raw_tx_hash(sl_hash256 *h, const uint8_t *raw, size_t n, sl_error *e)
{
    sl_rlp it;
    int rc;
    if (n == 0) return sl_err(e, SL_ECORRUPT, "raw transaction: empty");
    if (raw[0] <= 0x7f) { /* EIP-2718 typed envelope: type byte + RLP list */
        if ((rc = sl_rlp_decode(&it, raw + 1, n - 1, e))) return rc;
    } else if ((rc = sl_rlp_decode(&it, raw, n, e))) {
        return rc;
    }
    if (!it.list) return sl_err(e, SL_ECORRUPT, "raw transaction: expected an RLP list");
    sl_keccak256(h->b, raw, n);
    return SL_OK;
}
