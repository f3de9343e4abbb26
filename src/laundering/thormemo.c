/* thormemo.c — the THORChain memo parser (xchain.h): the text a THORChain inbound or
 * outbound carries (an OP_RETURN payload, a router event's string, calldata) read into its
 * function and parameters, so the legs of a swap can be matched (xchain.c). Syntax from
 * thornode's x/thorchain/memo as summarised in
 * ../shared/data/tags/thorchain/THORCHAIN_MEMO_SPEC.md: `FUNCTION:P1:P2:...`, the function
 * matched without regard to case, empty optional parameters keeping their separators,
 * text after the first `|` passed through (not part of the memo), at most 250 bytes.
 * Assets are expanded from their one-letter forms (e -> ETH.ETH) and split into chain,
 * symbol and contract (`.` native/token, `/` synth, `~` trade, `-` secured).
 */
#include "sleuth/xchain.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MEMO_MAX 250
#define MAX_PARTS 12
#define MAX_AFFILIATES 5

typedef struct span {
    const char *p;
    size_t n;
} span;

static bool span_is(span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s.p[i]) != lit[i]) return false;
    return true;
}

/* Copies s into out (cap bytes), upper-cased when upper; false when it does not fit. */
static bool span_copy(char *out, size_t cap, span s, bool upper)
{
    if (s.n >= cap) return false;
    for (size_t i = 0; i < s.n; i++) out[i] = upper ? (char)toupper((unsigned char)s.p[i]) : s.p[i];
    out[s.n] = 0;
    return true;
}

/* Splits s at every sep into at most max spans; returns how many, or max + 1 when more. */
static size_t split(span s, char sep, span *out, size_t max)
{
    size_t n = 0;
    const char *p = s.p, *end = s.p + s.n;
    for (;;) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (n == max) return max + 1;
        out[n].p = p;
        out[n].n = q ? (size_t)(q - p) : (size_t)(end - p);
        n++;
        if (!q) return n;
        p = q + 1;
    }
}

static bool parse_u32(span s, uint32_t *v)
{
    uint64_t x = 0;
    if (!s.n || s.n > 10) return false;
    for (size_t i = 0; i < s.n; i++) {
        if (!isdigit((unsigned char)s.p[i])) return false;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (x > UINT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

/* A trade limit or amount: digits, optionally `e` and an exponent (thornode accepts 1e6). */
static bool is_amount(span s)
{
    size_t i = 0, digits = 0;
    while (i < s.n && isdigit((unsigned char)s.p[i])) i++, digits++;
    if (!digits) return false;
    if (i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        size_t d = 0;
        for (i++; i < s.n && isdigit((unsigned char)s.p[i]); i++) d++;
        if (!d || d > 2) return false;
    }
    return i == s.n;
}

/* An address or THORName: printable, no blank. */
static bool is_addr(span s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!isgraph((unsigned char)s.p[i])) return false;
    return true;
}

static const struct {
    char c;
    const char *asset;
} SHORT_ASSETS[] = {
    {'r', "THOR.RUNE"}, {'a', "AVAX.AVAX"}, {'b', "BTC.BTC"}, {'c', "BCH.BCH"}, {'e', "ETH.ETH"},
    {'g', "GAIA.ATOM"}, {'n', "BNB.BNB"},   {'s', "BSC.BNB"}, {'d', "DOGE.DOGE"}, {'l', "LTC.LTC"},
};

/* Reads an asset into m->asset (expanded, upper case), asset_chain, asset_symbol and
 * asset_contract. */
static bool parse_asset(span s, sl_thor_memo *m)
{
    char buf[sizeof m->asset];
    span a = s;
    if (s.n == 1)
        for (size_t i = 0; i < sizeof SHORT_ASSETS / sizeof *SHORT_ASSETS; i++)
            if (tolower((unsigned char)s.p[0]) == SHORT_ASSETS[i].c) a.p = SHORT_ASSETS[i].asset, a.n = strlen(a.p);
    if (!span_copy(buf, sizeof buf, a, true)) return false;
    size_t sep = strcspn(buf, "./~-");
    if (!buf[sep] || !sep || sep >= sizeof m->asset_chain) return false;
    for (size_t i = 0; i < sep; i++)
        if (!isalnum((unsigned char)buf[i])) return false;
    char *sym = buf + sep + 1, *contract = NULL;
    if (buf[sep] == '.' || buf[sep] == '/' || buf[sep] == '~') {
        contract = strchr(sym, '-');
        if (contract) *contract++ = 0;
    }
    if (!*sym || strlen(sym) >= sizeof m->asset_symbol) return false;
    for (char *q = sym; *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '.' && *q != '_') return false;
    if (contract) {
        if (!*contract || strlen(contract) >= sizeof m->asset_contract) return false;
        for (char *q = contract; *q; q++)
            if (!isalnum((unsigned char)*q)) return false;
        snprintf(m->asset_contract, sizeof m->asset_contract, "%s", contract);
    }
    memcpy(m->asset_chain, buf, sep);
    m->asset_chain[sep] = 0;
    snprintf(m->asset_symbol, sizeof m->asset_symbol, "%s", sym);
    if (!span_copy(m->asset, sizeof m->asset, a, true)) return false;
    return true;
}

/* LIM[/INTERVAL/QUANTITY] */
static bool parse_limit(span s, sl_thor_memo *m)
{
    span p[4];
    size_t n = split(s, '/', p, 3);
    if (n > 3) return false;
    if (p[0].n && (!is_amount(p[0]) || !span_copy(m->limit, sizeof m->limit, p[0], false))) return false;
    if (n >= 2 && p[1].n && !parse_u32(p[1], &m->interval)) return false;
    if (n >= 3 && p[2].n && !parse_u32(p[2], &m->quantity)) return false;
    return true;
}

/* AFFILIATE[/AFF2...] and FEE[/FEE2...]: one fee per affiliate (or one for all), 0..1000 each. */
static bool parse_affiliates(span aff, span fee, sl_thor_memo *m)
{
    span a[MAX_AFFILIATES + 1], f[MAX_AFFILIATES + 1];
    if (!aff.n) return !fee.n || (parse_u32(fee, &m->fee_bps) && m->fee_bps == 0);
    size_t na = split(aff, '/', a, MAX_AFFILIATES), nf = fee.n ? split(fee, '/', f, MAX_AFFILIATES) : 0;
    if (na > MAX_AFFILIATES || nf > MAX_AFFILIATES || (nf != na && nf > 1)) return false;
    for (size_t i = 0; i < na; i++)
        if (!a[i].n || !is_addr(a[i])) return false;
    m->fee_bps = 0;
    for (size_t i = 0; i < nf; i++) {
        uint32_t b;
        if (!parse_u32(f[i], &b) || b > 1000) return false;
        m->fee_bps += nf == 1 ? b * (uint32_t)na : b;
    }
    m->n_affiliates = (uint8_t)na;
    span_copy(m->affiliate, sizeof m->affiliate, aff.n < sizeof m->affiliate ? aff : (span){aff.p, sizeof m->affiliate - 1}, false);
    return true;
}

/* DEST[/REFUND] */
static bool parse_dest(span s, sl_thor_memo *m, bool refund_ok)
{
    span p[3];
    size_t n = split(s, '/', p, 2);
    if (n > 2 || (n == 2 && !refund_ok)) return false;
    if (!is_addr(p[0]) || !span_copy(m->dest, sizeof m->dest, p[0], false)) return false;
    if (n == 2 && (!p[1].n || !is_addr(p[1]) || !span_copy(m->refund, sizeof m->refund, p[1], false))) return false;
    return true;
}

/* OUT:/REFUND: txid: 64 hex, or 0x and 64 hex; kept lower-case without 0x. */
static bool parse_txid(span s, sl_thor_memo *m)
{
    if (s.n == 66 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) s.p += 2, s.n -= 2;
    if (s.n != 64) return false;
    for (size_t i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s.p[i])) return false;
        m->txid[i] = (char)tolower((unsigned char)s.p[i]);
    }
    m->txid[64] = 0;
    return true;
}

static const struct {
    const char *name;
    sl_thor_type type;
} FUNCS[] = {
    {"swap", SL_THOR_SWAP},
    {"s", SL_THOR_SWAP},
    {"=", SL_THOR_SWAP},
    {"=<", SL_THOR_SWAP},
    {"out", SL_THOR_OUT},
    {"refund", SL_THOR_REFUND},
    {"add", SL_THOR_ADD},
    {"a", SL_THOR_ADD},
    {"+", SL_THOR_ADD},
    {"withdraw", SL_THOR_WITHDRAW},
    {"wd", SL_THOR_WITHDRAW},
    {"-", SL_THOR_WITHDRAW},
    {"limito", SL_THOR_LIMIT_ORDER},
    {"lo", SL_THOR_LIMIT_ORDER},
    {"donate", SL_THOR_DONATE},
    {"d", SL_THOR_DONATE},
    {"reserve", SL_THOR_RESERVE},
    {"bond", SL_THOR_BOND},
    {"unbond", SL_THOR_UNBOND},
    {"leave", SL_THOR_LEAVE},
    {"$+", SL_THOR_LOAN_OPEN},
    {"loan+", SL_THOR_LOAN_OPEN},
    {"$-", SL_THOR_LOAN_REPAY},
    {"loan-", SL_THOR_LOAN_REPAY},
    {"trade+", SL_THOR_TRADE_ADD},
    {"trade-", SL_THOR_TRADE_WITHDRAW},
    {"name", SL_THOR_NAME},
    {"n", SL_THOR_NAME},
    {"~", SL_THOR_NAME},
    {"migrate", SL_THOR_INTERNAL},
    {"ragnarok", SL_THOR_INTERNAL},
    {"consolidate", SL_THOR_INTERNAL},
    {"noop", SL_THOR_INTERNAL},
    {"yggdrasil+", SL_THOR_INTERNAL},
    {"yggdrasil-", SL_THOR_INTERNAL},
    {"switch", SL_THOR_INTERNAL},
    /* newer docs: listed, not interpreted */
    {"rebond", SL_THOR_OTHER},
    {"tcy", SL_THOR_OTHER},
    {"pool+", SL_THOR_OTHER},
    {"pool-", SL_THOR_OTHER},
    {"secure+", SL_THOR_OTHER},
    {"secure-", SL_THOR_OTHER},
    {"x", SL_THOR_OTHER},
};

static int bad(sl_thor_memo *m, sl_error *e, const char *what, span f)
{
    char fn[24];
    span_copy(fn, sizeof fn, f.n < sizeof fn ? f : (span){f.p, sizeof fn - 1}, false);
    m->type = SL_THOR_INVALID;
    return sl_err(e, SL_ECORRUPT, "THORChain memo '%s:...': %s", fn, what);
}

int sl_thor_memo_parse(const char *memo, size_t len, sl_thor_memo *m, sl_error *e)
{
    span parts[MAX_PARTS + 1], body = {memo, len};
    memset(m, 0, sizeof *m);
    if (len > MEMO_MAX) return sl_err(e, SL_ECORRUPT, "THORChain memo of %zu bytes: longer than %d", len, MEMO_MAX);
    for (size_t i = 0; i < len; i++)
        if (!isprint((unsigned char)memo[i]))
            return sl_err(e, SL_ECORRUPT, "THORChain memo: byte %zu is not printable text", i);
    const char *bar = memchr(memo, '|', len);
    if (bar) {
        body.n = (size_t)(bar - memo);
        span pt = {bar + 1, len - body.n - 1};
        if (pt.n >= sizeof m->passthrough) pt.n = sizeof m->passthrough - 1;
        span_copy(m->passthrough, sizeof m->passthrough, pt, false);
    }
    size_t n = split(body, ':', parts, MAX_PARTS);
    if (n > MAX_PARTS) return bad(m, e, "too many parameters", parts[0]);
    for (size_t i = 0; i < sizeof FUNCS / sizeof *FUNCS; i++)
        if (span_is(parts[0], FUNCS[i].name)) m->type = FUNCS[i].type;
    if (m->type == SL_THOR_INVALID) {
        if (!body.n) return sl_err(e, SL_ECORRUPT, "THORChain memo: empty");
        return bad(m, e, "not a THORChain function", parts[0]);
    }
    span_copy(m->function, sizeof m->function, parts[0], false);
    span empty = {memo, 0};
    for (size_t i = n; i <= MAX_PARTS; i++) parts[i] = empty;
    sl_thor_type t = m->type;
    switch (t) {
    case SL_THOR_SWAP:
    case SL_THOR_LIMIT_ORDER:
        if (n > 9 || (t == SL_THOR_LIMIT_ORDER && n > 6)) return bad(m, e, "too many parameters", parts[0]);
        if (!parts[1].n) return bad(m, e, "no asset to swap to", parts[0]);
        if (!parse_asset(parts[1], m)) return bad(m, e, "bad asset", parts[0]);
        if (!parse_dest(parts[2], m, true)) return bad(m, e, "bad destination address", parts[0]);
        if (!parse_limit(parts[3], m)) return bad(m, e, "bad trade limit or streaming parameters", parts[0]);
        if (!parse_affiliates(parts[4], parts[5], m)) return bad(m, e, "bad affiliate or fee", parts[0]);
        if (n > 6) {
            if (!parts[6].n || !is_addr(parts[6]) || !span_copy(m->aggregator, sizeof m->aggregator, parts[6], false))
                return bad(m, e, "bad aggregator address", parts[0]);
            if (!is_addr(parts[7]) || !span_copy(m->final_asset, sizeof m->final_asset, parts[7], false))
                return bad(m, e, "bad aggregator final token", parts[0]);
            if ((parts[8].n && !is_amount(parts[8])) || !span_copy(m->min_out, sizeof m->min_out, parts[8], false))
                return bad(m, e, "bad aggregator minimum amount", parts[0]);
        }
        break;
    case SL_THOR_OUT:
    case SL_THOR_REFUND:
        if (n != 2 || !parse_txid(parts[1], m)) return bad(m, e, "expected one inbound txid (64 hex digits)", parts[0]);
        break;
    case SL_THOR_ADD: /* ADD:POOL:PAIREDADDR:AFFILIATE:FEE */
        if (n > 5 || !parts[1].n || !parse_asset(parts[1], m)) return bad(m, e, "bad pool", parts[0]);
        if (!parse_dest(parts[2], m, false)) return bad(m, e, "bad paired address", parts[0]);
        if (!parse_affiliates(parts[3], parts[4], m)) return bad(m, e, "bad affiliate or fee", parts[0]);
        break;
    case SL_THOR_WITHDRAW: /* WITHDRAW:POOL:BASISPOINTS[:ASSET] */
        if (n > 4 || !parts[1].n || !parse_asset(parts[1], m)) return bad(m, e, "bad pool", parts[0]);
        if (parts[2].n && (!parse_u32(parts[2], &m->bps) || m->bps > 10000))
            return bad(m, e, "bad basis points (0..10000)", parts[0]);
        if (parts[3].n && !is_addr(parts[3])) return bad(m, e, "bad asset to withdraw", parts[0]);
        break;
    case SL_THOR_DONATE: /* DONATE:POOL */
        if (n != 2 || !parse_asset(parts[1], m)) return bad(m, e, "bad pool", parts[0]);
        break;
    case SL_THOR_LOAN_OPEN:  /* LOAN+:ASSET:DESTADDR:MINOUT:AFF:FEE */
    case SL_THOR_LOAN_REPAY: /* LOAN-:ASSET:DESTADDR:MINOUT */
        if (n > (t == SL_THOR_LOAN_OPEN ? 6u : 4u) || !parts[1].n || !parse_asset(parts[1], m))
            return bad(m, e, "bad asset", parts[0]);
        if (!parts[2].n || !parse_dest(parts[2], m, false)) return bad(m, e, "bad address", parts[0]);
        if (parts[3].n && (!is_amount(parts[3]) || !span_copy(m->limit, sizeof m->limit, parts[3], false)))
            return bad(m, e, "bad minimum amount", parts[0]);
        if (!parse_affiliates(parts[4], parts[5], m)) return bad(m, e, "bad affiliate or fee", parts[0]);
        break;
    case SL_THOR_TRADE_ADD: /* TRADE+:ADDR, TRADE-:ADDR */
    case SL_THOR_TRADE_WITHDRAW:
    case SL_THOR_LEAVE: /* LEAVE:NODEADDR */
        if (n != 2 || !parts[1].n || !parse_dest(parts[1], m, false)) return bad(m, e, "expected one address", parts[0]);
        break;
    case SL_THOR_BOND:   /* BOND:NODEADDR[:PROVIDER[:FEE]] */
    case SL_THOR_UNBOND: /* UNBOND:NODEADDR:AMOUNT[:PROVIDER] */
        if (n < 2 || n > 4 || !parts[1].n || !parse_dest(parts[1], m, false)) return bad(m, e, "bad node address", parts[0]);
        if (t == SL_THOR_UNBOND && parts[2].n && !is_amount(parts[2])) return bad(m, e, "bad amount", parts[0]);
        break;
    case SL_THOR_NAME: /* NAME:NAME:CHAIN:ADDR[:OWNER[:PREFERREDASSET[:EXPIRY]]] */
        if (n > 7) return bad(m, e, "too many parameters", parts[0]);
        if (!parts[1].n || !is_addr(parts[1])) return bad(m, e, "bad THORName", parts[0]);
        if (!parts[2].n || !span_copy(m->asset_chain, sizeof m->asset_chain, parts[2], true)) return bad(m, e, "bad chain", parts[0]);
        if (!parts[3].n || !parse_dest(parts[3], m, false)) return bad(m, e, "bad address", parts[0]);
        break;
    case SL_THOR_RESERVE:
        if (n != 1) return bad(m, e, "takes no parameters", parts[0]);
        break;
    case SL_THOR_INTERNAL: /* MIGRATE:height, RAGNAROK:height, YGGDRASIL+:height, CONSOLIDATE, NOOP */
        if (n > 3) return bad(m, e, "too many parameters", parts[0]);
        for (size_t i = 1; i < n; i++)
            if (!is_addr(parts[i])) return bad(m, e, "bad parameter", parts[0]);
        break;
    default: /* listed by the newer docs, not interpreted: any printable parameters */
        break;
    }
    return SL_OK;
}

const char *sl_thor_chain_name(const char *thor_chain)
{
    static const struct {
        const char *thor, *name;
    } MAP[] = {
        {"BTC", "bitcoin"}, {"LTC", "litecoin"}, {"ETH", "ethereum"}, {"AVAX", "avalanche"},
        {"BSC", "bsc"},     {"BASE", "base"},
    };
    if (!thor_chain) return NULL;
    for (size_t i = 0; i < sizeof MAP / sizeof *MAP; i++)
        if (!strcasecmp(MAP[i].thor, thor_chain)) return MAP[i].name;
    return NULL;
}
