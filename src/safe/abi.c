/* abi.c — calldata decoding for the functions a Safe signer must recognise: ERC-20
 * transfer/approve/transferFrom, every Safe administration call, and MultiSend batches.
 *
 * Calldata is attacker-controlled, so every read goes through sl_cursor and every length
 * and offset is checked against what is left before it is used. A malformed argument is
 * recorded in the call (decode_failed + a message with the byte offset) rather than
 * returned as an error: "this does not decode" is itself the finding a signer needs.
 *
 * MultiSend's batch is the ABI `bytes` argument of multiSend(bytes), holding packed
 * records (Safe's MultiSend.sol):
 *   OFFSET  SIZE  MEANING
 *   0       1     operation (0 call, 1 delegatecall; anything else reverts)
 *   1       20    to
 *   21      32    value (big-endian)
 *   53      32    data length n (big-endian)
 *   85      n     data
 */
#include <stdio.h>
#include <string.h>

#include "sleuth/safe.h"

#define A SL_ABI_ADDRESS
#define U SL_ABI_UINT
#define B SL_ABI_BYTES

static const sl_safe_fn_info FN[SL_FN_COUNT] = {
    [SL_FN_ERC20_TRANSFER] = {"transfer(address,uint256)", {0xa9, 0x05, 0x9c, 0xbb}, 2, {"to", "amount"}, {A, U}, false},
    [SL_FN_ERC20_APPROVE] = {"approve(address,uint256)", {0x09, 0x5e, 0xa7, 0xb3}, 2, {"spender", "amount"}, {A, U}, false},
    [SL_FN_ERC20_TRANSFER_FROM] = {"transferFrom(address,address,uint256)", {0x23, 0xb8, 0x72, 0xdd}, 3,
                                   {"from", "to", "amount"}, {A, A, U}, false},
    [SL_FN_ADD_OWNER] = {"addOwnerWithThreshold(address,uint256)", {0x0d, 0x58, 0x2f, 0x13}, 2,
                         {"owner", "threshold"}, {A, U}, true},
    [SL_FN_REMOVE_OWNER] = {"removeOwner(address,address,uint256)", {0xf8, 0xdc, 0x5d, 0xd9}, 3,
                            {"prevOwner", "owner", "threshold"}, {A, A, U}, true},
    [SL_FN_SWAP_OWNER] = {"swapOwner(address,address,address)", {0xe3, 0x18, 0xb5, 0x2b}, 3,
                          {"prevOwner", "oldOwner", "newOwner"}, {A, A, A}, true},
    [SL_FN_CHANGE_THRESHOLD] = {"changeThreshold(uint256)", {0x69, 0x4e, 0x80, 0xc3}, 1, {"threshold"}, {U}, true},
    [SL_FN_CHANGE_MASTER_COPY] = {"changeMasterCopy(address)", {0x7d, 0xe7, 0xed, 0xef}, 1, {"masterCopy"}, {A}, true},
    [SL_FN_ENABLE_MODULE] = {"enableModule(address)", {0x61, 0x0b, 0x59, 0x25}, 1, {"module"}, {A}, true},
    [SL_FN_DISABLE_MODULE] = {"disableModule(address,address)", {0xe0, 0x09, 0xcf, 0xde}, 2,
                              {"prevModule", "module"}, {A, A}, true},
    [SL_FN_SET_FALLBACK_HANDLER] = {"setFallbackHandler(address)", {0xf0, 0x8a, 0x03, 0x23}, 1, {"handler"}, {A}, true},
    [SL_FN_SET_GUARD] = {"setGuard(address)", {0xe1, 0x9a, 0x9d, 0xd9}, 1, {"guard"}, {A}, true},
    [SL_FN_SET_MODULE_GUARD] = {"setModuleGuard(address)", {0xe0, 0x68, 0xdf, 0x37}, 1, {"moduleGuard"}, {A}, true},
    [SL_FN_MULTISEND] = {"multiSend(bytes)", {0x8d, 0x80, 0xff, 0x0a}, 1, {"transactions"}, {B}, false},
};

#undef A
#undef U
#undef B

const sl_safe_fn_info *sl_safe_fn_table(void) { return FN; }

static void fail(sl_safe_call *c, const char *fmt, size_t off, const char *what)
{
    c->decode_failed = true;
    snprintf(c->decode_error, sizeof c->decode_error, fmt, off, what);
}

/* A 32-byte big-endian word that must fit size_t-sized offsets and lengths. */
static bool word_small(const uint8_t w[32], size_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 28; i++)
        if (w[i]) return false;
    for (int i = 28; i < 32; i++) v = v << 8 | w[i];
    *out = (size_t)v;
    return true;
}

static int decode_at(sl_safe_call *c, const uint8_t *base, int depth);

/* Decodes the packed MultiSend records in p[0..n) into c->sub. */
static int decode_batch(sl_safe_call *c, const uint8_t *base, const uint8_t *p, size_t n, int depth)
{
    sl_cursor cur = sl_cursor_make(p, n);
    size_t cap = 0;
    if (depth >= SL_SAFE_MAX_DEPTH) {
        fail(c, "calldata byte %zu: %s", (size_t)(p - base), "MultiSend nested deeper than the decoder follows");
        return SL_OK;
    }
    while (sl_cur_left(&cur) > 0) {
        const uint8_t *rec = cur.p, *to, *val, *lenw, *data;
        uint8_t op;
        size_t dlen;
        sl_safe_call *s;
        if (c->nsub >= SL_SAFE_MAX_CALLS) {
            fail(c, "calldata byte %zu: %s", (size_t)(rec - base), "MultiSend batch has too many transactions");
            return SL_OK;
        }
        if (!sl_cur_u8(&cur, &op) || !sl_cur_bytes(&cur, &to, 20) || !sl_cur_bytes(&cur, &val, 32) ||
            !sl_cur_bytes(&cur, &lenw, 32)) {
            fail(c, "calldata byte %zu: %s", (size_t)(rec - base), "MultiSend record truncated (needs 85 header bytes)");
            return SL_OK;
        }
        if (op > 1) {
            fail(c, "calldata byte %zu: %s", (size_t)(rec - base), "MultiSend record has an unknown operation (not 0 or 1)");
            return SL_OK;
        }
        if (!word_small(lenw, &dlen) || dlen > sl_cur_left(&cur)) {
            fail(c, "calldata byte %zu: %s", (size_t)(lenw - base), "MultiSend record data length runs past the batch");
            return SL_OK;
        }
        if (!sl_cur_bytes(&cur, &data, dlen))
            return SL_ECORRUPT; /* unreachable: checked above */
        if (c->nsub == cap) {
            void *q = c->sub;
            if (sl_grow(&q, &cap, c->nsub + 1, sizeof *c->sub))
                return SL_ENOMEM;
            c->sub = q;
        }
        s = &c->sub[c->nsub++];
        memset(s, 0, sizeof *s);
        s->operation = op;
        memcpy(s->to.b, to, 20);
        memcpy(s->value.b, val, 32);
        s->data = data;
        s->data_len = dlen;
        s->data_off = (size_t)(data - base);
        s->depth = depth + 1;
        if (decode_at(s, base, depth + 1))
            return SL_ENOMEM;
    }
    return SL_OK;
}

static int decode_at(sl_safe_call *c, const uint8_t *base, int depth)
{
    const sl_safe_fn_info *f = NULL;
    sl_cursor cur;
    const uint8_t *sel, *args;
    size_t nargs_bytes;
    c->fn = SL_FN_UNKNOWN;
    if (c->data_len == 0) {
        c->fn = SL_FN_NONE;
        return SL_OK;
    }
    cur = sl_cursor_make(c->data, c->data_len);
    if (!sl_cur_bytes(&cur, &sel, 4)) {
        snprintf(c->decode_error, sizeof c->decode_error, "calldata byte %zu: %zu bytes, shorter than a selector",
                 c->data_off, c->data_len);
        return SL_OK;
    }
    for (int i = 0; i < SL_FN_COUNT; i++)
        if (memcmp(FN[i].selector, sel, 4) == 0) {
            f = &FN[i];
            c->fn = i;
            break;
        }
    if (!f)
        return SL_OK;
    args = cur.p;
    nargs_bytes = sl_cur_left(&cur);
    for (int i = 0; i < f->nargs; i++) {
        const uint8_t *w;
        size_t off = (size_t)(cur.p - base);
        if (!sl_cur_bytes(&cur, &w, 32)) {
            fail(c, "calldata byte %zu: argument '%s' is truncated", off, f->arg_names[i]);
            return SL_OK;
        }
        memcpy(c->args[i].word, w, 32);
        if (f->arg_types[i] == SL_ABI_ADDRESS) {
            for (int j = 0; j < 12; j++)
                if (w[j]) {
                    fail(c, "calldata byte %zu: argument '%s' is not an address (upper 12 bytes not zero)", off,
                         f->arg_names[i]);
                    return SL_OK;
                }
        } else if (f->arg_types[i] == SL_ABI_BYTES) {
            size_t boff, blen;
            sl_cursor bc;
            const uint8_t *lw, *payload;
            if (!word_small(w, &boff) || boff > nargs_bytes) {
                fail(c, "calldata byte %zu: argument '%s' offset points past the calldata", off, f->arg_names[i]);
                return SL_OK;
            }
            bc = sl_cursor_make(args + boff, nargs_bytes - boff);
            if (!sl_cur_bytes(&bc, &lw, 32) || !word_small(lw, &blen) || !sl_cur_bytes(&bc, &payload, blen)) {
                fail(c, "calldata byte %zu: argument '%s' length runs past the calldata", (size_t)(args + boff - base),
                     f->arg_names[i]);
                return SL_OK;
            }
            memcpy(c->args[i].word, lw, 32);
            c->args[i].bytes = payload;
            c->args[i].len = blen;
        }
    }
    if (c->fn == SL_FN_MULTISEND)
        return decode_batch(c, base, c->args[0].bytes, c->args[0].len, depth);
    return SL_OK;
}

int sl_safe_decode(sl_safe_call *root, uint8_t operation, const sl_safe_addr *to, const sl_safe_u256 *value,
                   const uint8_t *data, size_t len)
{
    int rc;
    memset(root, 0, sizeof *root);
    root->operation = operation;
    root->to = *to;
    root->value = *value;
    root->data = data;
    root->data_len = len;
    rc = decode_at(root, data, 0);
    if (rc)
        sl_safe_call_free(root);
    return rc;
}

void sl_safe_call_free(sl_safe_call *c)
{
    for (size_t i = 0; i < c->nsub; i++) sl_safe_call_free(&c->sub[i]);
    sl_free(c->sub);
    c->sub = NULL;
    c->nsub = 0;
}
