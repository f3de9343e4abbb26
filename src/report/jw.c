/* jw.c — the streaming JSON writer of the trace reports (report_int.h): members and
 * elements are written as they come, so the document of a trace with millions of flows
 * needs no tree in memory. Output is compact JSON; integers are exact. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/report_int.h"

void sl_jw_init(sl_jw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->first[0] = true;
}

static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fputc('\\', f), fputc(c, f);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* The comma and the key before a value. */
static void lead(sl_jw *w, const char *key)
{
    if (!w->first[w->depth]) fputc(',', w->f);
    w->first[w->depth] = false;
    if (key) put_str(w->f, key), fputc(':', w->f);
}

static void open_(sl_jw *w, const char *key, char open, char close)
{
    lead(w, key);
    fputc(open, w->f);
    if (w->depth + 1 < (int)(sizeof w->first / sizeof *w->first)) w->depth++;
    w->first[w->depth] = true;
    w->close[w->depth] = close;
}

void sl_jw_obj(sl_jw *w, const char *key) { open_(w, key, '{', '}'); }
void sl_jw_arr(sl_jw *w, const char *key) { open_(w, key, '[', ']'); }

void sl_jw_end(sl_jw *w)
{
    if (w->depth <= 0) return;
    fputc(w->close[w->depth], w->f);
    w->depth--;
}

void sl_jw_str(sl_jw *w, const char *key, const char *s)
{
    lead(w, key);
    if (s) put_str(w->f, s);
    else fputs("null", w->f);
}

void sl_jw_u64(sl_jw *w, const char *key, uint64_t v)
{
    lead(w, key);
    fprintf(w->f, "%" PRIu64, v);
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
    sl_u128_dec(d, v);
    if (v < ((sl_u128)1 << 53)) fputs(d, w->f);
    else fprintf(w->f, "\"%s\"", d);
}

void sl_jw_bool(sl_jw *w, const char *key, bool v)
{
    lead(w, key);
    fputs(v ? "true" : "false", w->f);
}

void sl_jw_null(sl_jw *w, const char *key)
{
    lead(w, key);
    fputs("null", w->f);
}
