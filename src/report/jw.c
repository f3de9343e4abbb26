/* jw.c — the streaming JSON writer of the trace reports (report_int.h): members and
 * elements are written as they come, through a buffer of the writer's own (one large
 * write instead of a stdio call per piece), so the document of a trace with millions of
 * flows needs no tree in memory and little time. Output is compact JSON; integers are
 * exact. */
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"

void sl_jw_init(sl_jw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->first[0] = true;
}

void sl_jw_flush(sl_jw *w)
{
    if (w->n) fwrite(w->buf, 1, w->n, w->f);
    w->n = 0;
}

static void put(sl_jw *w, const char *s, size_t n)
{
    if (w->n + n > sizeof w->buf) {
        sl_jw_flush(w);
        if (n > sizeof w->buf) { fwrite(s, 1, n, w->f); return; }
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

static void putch(sl_jw *w, char c)
{
    if (w->n == sizeof w->buf) sl_jw_flush(w);
    w->buf[w->n++] = c;
}

/* s as a JSON string: runs that need no escape are copied whole. */
static void put_str(sl_jw *w, const char *s)
{
    putch(w, '"');
    while (*s) {
        const char *run = s;
        while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20) s++;
        if (s > run) put(w, run, (size_t)(s - run));
        if (!*s) break;
        if (*s == '"' || *s == '\\') putch(w, '\\'), putch(w, *s);
        else if (*s == '\n') put(w, "\\n", 2);
        else if (*s == '\t') put(w, "\\t", 2);
        else {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", (unsigned char)*s);
            put(w, u, 6);
        }
        s++;
    }
    putch(w, '"');
}

/* v in decimal. */
static void put_u64(sl_jw *w, uint64_t v)
{
    char b[24], *p = b + sizeof b;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    put(w, p, (size_t)(b + sizeof b - p));
}

/* The comma and the key before a value (keys are the reports' own words: no escaping). */
static void lead(sl_jw *w, const char *key)
{
    if (!w->first[w->depth]) putch(w, ',');
    w->first[w->depth] = false;
    if (key) putch(w, '"'), put(w, key, strlen(key)), putch(w, '"'), putch(w, ':');
}

static void open_(sl_jw *w, const char *key, char open, char close)
{
    lead(w, key);
    putch(w, open);
    if (w->depth + 1 < (int)(sizeof w->first / sizeof *w->first)) w->depth++;
    w->first[w->depth] = true;
    w->close[w->depth] = close;
}

void sl_jw_obj(sl_jw *w, const char *key) { open_(w, key, '{', '}'); }
void sl_jw_arr(sl_jw *w, const char *key) { open_(w, key, '[', ']'); }

void sl_jw_end(sl_jw *w)
{
    if (w->depth <= 0) return;
    putch(w, w->close[w->depth]);
    w->depth--;
}

void sl_jw_str(sl_jw *w, const char *key, const char *s)
{
    lead(w, key);
    if (s) put_str(w, s);
    else put(w, "null", 4);
}

void sl_jw_id(sl_jw *w, const char *key, const char *s)
{
    lead(w, key);
    if (!s) { put(w, "null", 4); return; }
    putch(w, '"'), put(w, s, strlen(s)), putch(w, '"');
}

void sl_jw_u64(sl_jw *w, const char *key, uint64_t v)
{
    lead(w, key);
    put_u64(w, v);
}

void sl_jw_u64_or_null(sl_jw *w, const char *key, uint64_t v, bool known)
{
    if (known) sl_jw_u64(w, key, v);
    else sl_jw_null(w, key);
}

void sl_jw_u128(sl_jw *w, const char *key, sl_u128 v)
{
    char d[40];
    lead(w, key);
    if (v < ((sl_u128)1 << 53)) { put_u64(w, (uint64_t)v); return; }
    sl_u128_dec(d, v);
    putch(w, '"'), put(w, d, strlen(d)), putch(w, '"');
}

void sl_jw_bool(sl_jw *w, const char *key, bool v)
{
    lead(w, key);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void sl_jw_null(sl_jw *w, const char *key)
{
    lead(w, key);
    put(w, "null", 4);
}

void sl_jw_raw(sl_jw *w, const char *key, const char *json)
{
    lead(w, key);
    put(w, json, strlen(json));
}
