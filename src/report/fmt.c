/* fmt.c — the output primitives every report is written with (include/sleuth/report.h):
 * JSON members that keep integers exact (raw digits, never doubles; 256-bit amounts as
 * strings above 2^53), times in UTC, coin amounts in the coin's unit, and printf lines
 * word-wrapped to the text width. No state, no store access beyond asset names. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sleuth/report.h"
#include "sleuth/text.h"
#include "sleuth/util.h"

cJSON *sl_json_u64(cJSON *obj, const char *key, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return cJSON_AddRawToObject(obj, key, b);
}

cJSON *sl_json_u64_or_null(cJSON *obj, const char *key, uint64_t v, bool known)
{
    return known ? sl_json_u64(obj, key, v) : cJSON_AddNullToObject(obj, key);
}

cJSON *sl_json_str_or_null(cJSON *obj, const char *key, const char *s)
{
    return s ? cJSON_AddStringToObject(obj, key, s) : cJSON_AddNullToObject(obj, key);
}

/* The item for decimal digits d: raw (a JSON integer) when the value is below 2^53. */
static cJSON *u256_digits_item(const sl_u256 *v, const char *d)
{
    if (sl_u256_fits(v, 64) && v->w[0] < ((uint64_t)1 << 53)) return cJSON_CreateRaw(d);
    return cJSON_CreateString(d);
}

cJSON *sl_json_u256_item(const sl_u256 *v)
{
    char d[SL_U256_DEC_MAX];
    sl_u256_dec(d, v);
    return u256_digits_item(v, d);
}

/* Adds it to obj as key; frees it when that fails (out of memory, no obj). */
static cJSON *add_item(cJSON *obj, const char *key, cJSON *it)
{
    if (cJSON_AddItemToObject(obj, key, it)) return it;
    cJSON_Delete(it);
    return NULL;
}

cJSON *sl_json_u256(cJSON *obj, const char *key, const sl_u256 *v) { return add_item(obj, key, sl_json_u256_item(v)); }

cJSON *sl_json_u256_diff(cJSON *obj, const char *key, const sl_u256 *a, const sl_u256 *b)
{
    sl_u256 d;
    char s[SL_U256_DEC_MAX + 1];
    bool neg = sl_u256_cmp(a, b) < 0;
    if (!(neg ? sl_u256_sub(&d, b, a) : sl_u256_sub(&d, a, b))) memset(&d, 0, sizeof d);
    s[0] = '-';
    sl_u256_dec(s + 1, &d);
    return add_item(obj, key, u256_digits_item(&d, neg ? s : s + 1));
}

void sl_fmt_time(char out[32], uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || t > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, 32, "%s", t ? "time out of range" : "time unknown");
}

void sl_fmt_coins(char out[32], uint64_t sat)
{
    snprintf(out, 32, "%" PRIu64 ".%08" PRIu64, sat / 100000000, sat % 100000000);
}

void sl_fmt_decimal(char *out, size_t cap, const char *digits, unsigned decimals)
{
    size_t n = strlen(digits), ip, fl;
    char frac[96];
    if (!decimals || decimals >= sizeof frac) { snprintf(out, cap, "%s", digits); return; }
    if (n <= decimals) { /* 0.000ddd */
        memset(frac, '0', decimals - n);
        memcpy(frac + decimals - n, digits, n);
        ip = 0;
    } else {
        ip = n - decimals;
        memcpy(frac, digits + ip, decimals);
    }
    for (fl = decimals; fl > 0 && frac[fl - 1] == '0'; fl--) {}
    snprintf(out, cap, "%.*s%s%.*s", ip ? (int)ip : 1, ip ? digits : "0", fl ? "." : "", (int)fl, frac);
}

void sl_fmt_amount(char out[140], const sl_u256 *v, int decimals, const char *sym)
{
    char d[SL_U256_DEC_MAX], u[96];
    sl_u256_dec(d, v);
    if (decimals < 0) { snprintf(out, 140, "%s base units of %s", d, sym); return; }
    sl_fmt_decimal(u, sizeof u, d, (unsigned)decimals);
    snprintf(out, 140, "%s %s", u, sym);
}

int sl_fmt_eth_decimals(const sl_eth_chain *c, uint32_t asset)
{
    const sl_eth_chain_info *ci = sl_eth_chain_info_get(c);
    const sl_eth_token *t;
    sl_eth_addr a;
    if (asset == 0) return ci->decimals;
    if (!sl_eth_asset_addr(c, asset, &a) || !(t = sl_eth_token_find(ci->name, &a))) return -1;
    return t->decimals;
}

void sl_fmt_eth_amount(char out[140], const sl_eth_chain *c, uint32_t asset, const sl_u256 *v)
{
    char sym[48];
    sl_eth_asset_name(c, asset, sym);
    sl_fmt_amount(out, v, sl_fmt_eth_decimals(c, asset), sym);
}

int sl_fmt_vwrapf(FILE *f, size_t hang, const char *fmt, va_list ap)
{
    va_list ap2;
    char *s;
    sl_buf b = {0};
    int n, rc = SL_ENOMEM;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !(s = sl_malloc((size_t)n + 1))) return SL_ENOMEM;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    if (sl_buf_wrap(&b, "", hang, s, SL_TEXT_COLS) == SL_OK)
        rc = fwrite(b.p, 1, b.len, f) == b.len ? SL_OK : SL_EIO;
    sl_buf_free(&b);
    sl_free(s);
    return rc;
}

int sl_fmt_wrapf(FILE *f, size_t hang, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = sl_fmt_vwrapf(f, hang, fmt, ap);
    va_end(ap);
    return rc;
}
