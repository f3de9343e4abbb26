/* annot_parse.c — the pure part of the annotations (include/sleuth/annot.h): the table of
 * known events by topic0, and the readers of what a transaction carries: an OP_RETURN
 * output's payload, an ABI-encoded string in log data, the inbound txid an OUT:/REFUND:
 * memo names. No SQLite and no store here: the Ethereum model (src/chains/eth/flows.c) and
 * the fuzz targets link this file alone.
 *
 * The known events, by topic0 (Keccak-256 of the signature, checked with
 * scripts/evm_checksum.py; sources in docs/LAUNDERING.md):
 *   THORChain router (code-423n4/2024-06-thorchain THORChain_Router.sol):
 *     Deposit(address,address,uint256,string)                    0xef519b7e...
 *     TransferOut(address,address,address,uint256,string)         0xa9cd03aa...
 *     TransferOutAndCall(address,address,uint256,address,address,uint256,string) 0x8e5841bc...
 *     TransferOutAndCallV5(address,address,uint256,address,address,uint256,string,bytes,string)
 *                                                                   0x2eddeef6...
 *       (the router's transferOutAndCallV5 takes a struct, but the event is flat: indexed vault
 *       and to; data words target, amount, finalAsset, amountOutMin, then the offsets of memo
 *       (word 4), payload (5) and originAddress (6), the dynamic parts after them)
 *   Uniswap V2 Swap(address,uint256,uint256,uint256,uint256,address)   0xd78ad95f...
 *   Uniswap V3 Swap(address,address,int256,int256,uint160,uint128,int24) 0xc42079f9...
 *   Tornado Cash Deposit(bytes32,uint32,uint256)                  0xa945e51e...
 *   Tornado Cash Withdrawal(address,bytes32,address,uint256)      0xe9e508ba...
 */
#include "sleuth/annot.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "sleuth/util.h"

/* ---------------- the known events ---------------- */

typedef struct known_event {
    int event;
    const char *name;
    const char *topic0; /* hex, no 0x */
    int memo_word;      /* THORChain router events: the data word holding the memo's offset; -1 none */
} known_event;

static const known_event EVENTS[] = {
    {SL_EV_THOR_DEPOSIT, "thorchain-deposit", "ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395", 1},
    {SL_EV_THOR_TRANSFER_OUT, "thorchain-transfer-out",
     "a9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7", 2},
    {SL_EV_UNI_V2_SWAP, "uniswap-v2-swap", "d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822", -1},
    {SL_EV_UNI_V3_SWAP, "uniswap-v3-swap", "c42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67", -1},
    {SL_EV_TC_DEPOSIT, "tornado-deposit", "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196", -1},
    {SL_EV_TC_WITHDRAWAL, "tornado-withdrawal", "e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931",
     -1},
    {SL_EV_THOR_TRANSFER_OUT_CALL, "thorchain-transfer-out-and-call",
     "8e5841bcd195b858d53b38bcf91b38d47f3bc800469b6812d35451ab619c6f6c", 5},
    {SL_EV_THOR_TRANSFER_OUT_CALL_V5, "thorchain-transfer-out-and-call-v5",
     "2eddeef6502e331d0dc63580be72ace0371d4f7ba4b164aa6b0f1565b53584da", 4},
};
#define NEVENTS (sizeof EVENTS / sizeof *EVENTS)

static const known_event *event_def(int event)
{
    for (size_t i = 0; i < NEVENTS; i++)
        if (EVENTS[i].event == event) return &EVENTS[i];
    return NULL;
}

static uint8_t topic_bin[NEVENTS][32];
static pthread_once_t topic_once = PTHREAD_ONCE_INIT;

static void topics_decode(void)
{
    for (size_t i = 0; i < NEVENTS; i++)
        if (!sl_hex_decode(topic_bin[i], 32, EVENTS[i].topic0, 64)) memset(topic_bin[i], 0, 32);
}

int sl_annot_event_of(const uint8_t topic0[32])
{
    pthread_once(&topic_once, topics_decode); /* the table is constant: decoded once */
    for (size_t i = 0; i < NEVENTS; i++)
        if (!memcmp(topic_bin[i], topic0, 32)) return EVENTS[i].event;
    return SL_EV_NONE;
}

int sl_annot_event_memo_word(int event)
{
    const known_event *k = event_def(event);
    return k ? k->memo_word : -1;
}

const char *sl_annot_event_name(int event)
{
    const known_event *k = event_def(event);
    return k ? k->name : "none";
}

const char *sl_annot_kind_name(int kind)
{
    return kind == SL_ANNOT_OPRETURN ? "op_return" : kind == SL_ANNOT_INPUT ? "input" : kind == SL_ANNOT_EVENT ? "event" : "?";
}

bool sl_annot_router_payee(const sl_annot_row *r, uint8_t payee[20])
{
    static const uint8_t zero12[12];
    if (r->kind != SL_ANNOT_EVENT) return false;
    if (r->event == SL_EV_THOR_TRANSFER_OUT) {
        if (r->n_topics < 3) return false;
        memcpy(payee, r->topics[2] + 12, 20);
        return true;
    }
    if (r->event != SL_EV_THOR_TRANSFER_OUT_CALL && r->event != SL_EV_THOR_TRANSFER_OUT_CALL_V5) return false;
    /* data word 0 is an address: 12 zero bytes, then its 20 (a dirty word is not one) */
    if (!r->data || r->len < 32 || memcmp(r->data, zero12, 12)) return false;
    memcpy(payee, r->data + 12, 20);
    return true;
}

/* ---------------- memo text and ref ---------------- */

bool sl_annot_printable(const uint8_t *p, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e) return false;
    return true;
}

/* The 32-byte big-endian word w of data as a size, when it fits (else SIZE_MAX). */
static size_t abi_word(const uint8_t *d, size_t len, size_t w)
{
    size_t v = 0;
    if (w > len / 32 || (w + 1) * 32 > len) return SIZE_MAX;
    d += w * 32;
    for (int i = 0; i < 24; i++)
        if (d[i]) return SIZE_MAX;
    for (int i = 24; i < 32; i++) v = v << 8 | d[i];
    return v;
}

bool sl_annot_abi_string(const uint8_t *data, size_t len, size_t word, const uint8_t **s, size_t *n)
{
    size_t off = abi_word(data, len, word), l;
    if (off == SIZE_MAX || off % 32 || off > len || len - off < 32) return false;
    l = abi_word(data + off, len - off, 0);
    if (l == SIZE_MAX || l > len - off - 32) return false;
    *s = data + off + 32;
    *n = l;
    return true;
}

void sl_annot_ref_of(char ref[65], const char *memo)
{
    const char *p = NULL;
    ref[0] = 0;
    if (!strncasecmp(memo, "OUT:", 4)) p = memo + 4;
    else if (!strncasecmp(memo, "REFUND:", 7)) p = memo + 7;
    if (!p) return;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
    for (int i = 0; i < 64; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) { ref[0] = 0; return; }
        ref[i] = c;
    }
    if (p[64]) { ref[0] = 0; return; }
    ref[64] = 0;
}

size_t sl_annot_op_return(const uint8_t *script, size_t n, uint8_t *out, bool *is)
{
    size_t i = 1, k = 0;
    *is = n >= 1 && script[0] == 0x6a;
    if (!*is) return 0;
    while (i < n) {
        uint8_t op = script[i++];
        size_t len;
        if (op >= 0x01 && op <= 0x4b) len = op;
        else if (op == 0x4c && i + 1 <= n) len = script[i], i += 1;
        else if (op == 0x4d && i + 2 <= n) len = (size_t)script[i] | (size_t)script[i + 1] << 8, i += 2;
        else if (op == 0x4e && i + 4 <= n) len = sl_le32(script + i), i += 4;
        else if (op == 0x00 || op == 0x4f || (op >= 0x51 && op <= 0x60)) continue; /* no bytes (a marker) */
        else break;                                                               /* not a push: the end */
        if (len > n - i) break;                                                   /* a truncated push */
        memcpy(out + k, script + i, len);
        k += len, i += len;
    }
    return k;
}
