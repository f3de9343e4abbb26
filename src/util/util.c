/* util.c — growable buffers, hex, whole-file mapping and progress. */
#include "sleuth/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

int sl_grow(void **arr, size_t *cap, size_t need, size_t elt)
{
    size_t nc;
    void *np;
    if (need <= *cap)
        return SL_OK;
    nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elt)
            return SL_ENOMEM;
        nc *= 2;
    }
    np = sl_realloc(*arr, nc * elt);
    if (!np)
        return SL_ENOMEM;
    *arr = np;
    *cap = nc;
    return SL_OK;
}

int sl_buf_append(sl_buf *b, const void *p, size_t n)
{
    void *q = b->p;
    if (sl_grow(&q, &b->cap, b->len + n + 1, 1))
        return SL_ENOMEM;
    b->p = q;
    if (n) memcpy(b->p + b->len, p, n); /* p may be NULL when n is 0 */
    b->len += n;
    b->p[b->len] = 0;
    return SL_OK;
}

int sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    void *q;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EUSAGE;
    q = b->p;
    if (sl_grow(&q, &b->cap, b->len + (size_t)n + 1, 1))
        return SL_ENOMEM;
    b->p = q;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SL_OK;
}

void sl_buf_free(sl_buf *b)
{
    sl_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static const char HEX[] = "0123456789abcdef";

void sl_hex_encode(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[p[i] >> 4];
        out[2 * i + 1] = HEX[p[i] & 15];
    }
    out[2 * n] = 0;
}

void sl_hex_encode_rev(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[p[n - 1 - i] >> 4];
        out[2 * i + 1] = HEX[p[n - 1 - i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool sl_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (hexlen != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool sl_hex_decode_rev(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (!sl_hex_decode(out, n, hex, hexlen))
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return true;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Decodes hex text (whitespace allowed between digits) into owned memory. */
static int file_from_hex(sl_file *f, const uint8_t *t, size_t n, size_t max, const char *path, sl_error *e)
{
    uint8_t *out;
    size_t o = 0;
    int hi = -1;
    if (n / 2 > max)
        return sl_err(e, SL_ELIMIT, "%s: %zu hex digits decode to more than the %zu bytes allowed for this input", path, n,
                      max);
    out = sl_realloc(NULL, n / 2 + 1);
    if (!out)
        return sl_err(e, SL_ENOMEM, "%s: out of memory decoding hex", path);
    for (size_t i = 0; i < n; i++) {
        int v;
        if (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')
            continue;
        v = hexval((char)t[i]);
        if (v < 0) {
            sl_free(out);
            return sl_err(e, SL_ECORRUPT, "%s: byte offset %zu: not a hex digit (0x%02x)", path, i, t[i]);
        }
        if (hi < 0)
            hi = v;
        else {
            out[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        sl_free(out);
        return sl_err(e, SL_ECORRUPT, "%s: odd number of hex digits", path);
    }
    f->owned = out;
    f->data = out;
    f->len = o;
    return SL_OK;
}

/* Streams a zstd file into owned memory, never holding more than max bytes (plus one
 * output chunk): a small file that expands without bound is refused as it grows, not
 * after (a "zip bomb"). */
static int file_from_zstd(sl_file *f, const uint8_t *z, size_t n, size_t max, const char *path, sl_error *e)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    uint8_t *out = NULL;
    size_t cap = 0, len = 0;
    ZSTD_inBuffer in = {z, n, 0};
    int rc = SL_OK;
    size_t r = 1;
    if (!ds)
        return sl_err(e, SL_ENOMEM, "%s: out of memory", path);
    ZSTD_initDStream(ds);
    while (in.pos < in.size || r != 0) {
        ZSTD_outBuffer ob;
        size_t before_in = in.pos, before_out;
        void *q = out;
        if (len > max) {
            rc = sl_err(e, SL_ELIMIT, "%s: decompresses to more than the %zu bytes allowed for this input (stopped at "
                        "compressed byte offset %zu)", path, max, in.pos);
            goto done;
        }
        if (len + ZSTD_DStreamOutSize() > cap) {
            size_t want = len + ZSTD_DStreamOutSize();
            /* grow geometrically, but never past the bound (+ one chunk to detect overflow) */
            if (want < cap + cap / 2) want = cap + cap / 2;
            if (want > max + ZSTD_DStreamOutSize()) want = max + ZSTD_DStreamOutSize();
            if (want < len + ZSTD_DStreamOutSize()) want = len + ZSTD_DStreamOutSize();
            if (sl_grow(&q, &cap, want, 1)) {
                rc = sl_err(e, SL_ENOMEM, "%s: out of memory", path);
                goto done;
            }
            out = q;
        }
        ob.dst = out + len;
        ob.size = cap - len;
        ob.pos = 0;
        before_out = len;
        r = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(r)) {
            rc = sl_err(e, SL_ECORRUPT, "%s: zstd byte offset %zu: %s", path, in.pos, ZSTD_getErrorName(r));
            goto done;
        }
        len += ob.pos;
        if (in.pos == before_in && len == before_out) {
            rc = sl_err(e, SL_ECORRUPT, "%s: truncated zstd stream at byte offset %zu", path, in.pos);
            goto done;
        }
    }
done:
    ZSTD_freeDStream(ds);
    if (rc) {
        sl_free(out);
        return rc;
    }
    f->owned = out;
    f->data = out ? out : (const uint8_t *)"";
    f->len = len;
    return SL_OK;
}

int sl_file_open(sl_file *f, const char *path, sl_error *e) { return sl_file_open_max(f, path, SL_FILE_MAX, e); }

const char *sl_file_kind(unsigned m)
{
    return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO (named pipe)"
         : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : "not a regular file";
}

int sl_file_open_max(sl_file *f, const char *path, size_t max_decoded, sl_error *e)
{
    struct stat st;
    int fd, rc = SL_OK;
    memset(f, 0, sizeof *f);
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return sl_err(e, SL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = sl_err(e, SL_EIO, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sl_err(e, SL_EIO, "%s: is %s, not a regular file: refused", path, sl_file_kind(st.st_mode));
    }
    if (st.st_size > 0) {
        f->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (f->map == MAP_FAILED) {
            f->map = NULL;
            close(fd);
            return sl_err(e, SL_EIO, "%s: cannot map: %s", path, strerror(errno));
        }
        f->maplen = (size_t)st.st_size;
        madvise(f->map, f->maplen, MADV_SEQUENTIAL);
    }
    close(fd);
    f->data = f->map ? f->map : (const uint8_t *)"";
    f->len = f->maplen;
    if (ends_with(path, ".hex") || ends_with(path, ".txt"))
        rc = file_from_hex(f, f->data, f->len, max_decoded, path, e);
    else if (ends_with(path, ".zst"))
        rc = file_from_zstd(f, f->data, f->len, max_decoded, path, e);
    if (f->owned || rc) {
        if (f->map)
            munmap(f->map, f->maplen);
        f->map = NULL;
        f->maplen = 0;
    }
    return rc;
}

void sl_file_close(sl_file *f)
{
    if (f->map)
        munmap(f->map, f->maplen);
    sl_free(f->owned);
    memset(f, 0, sizeof *f);
}

void sl_test_point(const char *name)
{
    static const char *kill_at, *stop_at;
    static int init;
    if (!init) {
        kill_at = getenv("SLEUTH_TEST_KILL_AT");
        stop_at = getenv("SLEUTH_TEST_STOP_AT");
        init = 1;
    }
    if (kill_at && !strcmp(kill_at, name)) raise(SIGKILL);
    if (stop_at && !strcmp(stop_at, name)) raise(SIGSTOP);
}

double sl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void sl_progress_start(sl_progress *pg, uint64_t total, const char *unit, bool quiet)
{
    pg->enabled = !quiet && isatty(2);
    pg->t0 = pg->last = sl_now();
    pg->total = total;
    pg->unit = unit;
}

void sl_progress_update(sl_progress *pg, uint64_t done, uint64_t txs)
{
    double now, el, rate, eta;
    if (!pg->enabled)
        return;
    now = sl_now();
    if (now - pg->last < 0.25 && done < pg->total)
        return;
    pg->last = now;
    el = now - pg->t0;
    rate = el > 0 ? (double)done / el : 0;
    eta = rate > 0 && pg->total > done ? (double)(pg->total - done) / rate : 0;
    fprintf(stderr, "\r%llu/%llu %s  %.0f %s/s  %.0f tx/s  ETA %.0fs   ", (unsigned long long)done,
            (unsigned long long)pg->total, pg->unit, rate, pg->unit, el > 0 ? (double)txs / el : 0, eta);
}

void sl_progress_end(sl_progress *pg)
{
    if (pg->enabled)
        fputc('\n', stderr);
}

/* ---------------- times as users write them ---------------- */

/* Reads exactly n digits at *p (advancing it) into *v. */
static bool digits_n(const char **p, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9') return false;
        *v = *v * 10 + (unsigned)(**p - '0');
    }
    return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil), without the C library's time zone. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool sl_time_parse(const char *s, uint64_t now, bool relative, uint64_t *out)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t t, off = 0;
    size_t nd = 0;
    if (!s || !*s) return false;
    while (s[nd] >= '0' && s[nd] <= '9') nd++;
    if (nd && nd <= 12 && !s[nd]) { /* unix seconds */
        *out = strtoull(s, NULL, 10);
        return *out <= 253402300799ull;
    }
    if (nd && nd <= 9 && relative && s[nd] && !s[nd + 1]) { /* an age: 30m, 24h, 7d */
        uint64_t n = strtoull(s, NULL, 10), unit;
        switch (s[nd]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 604800; break;
        default: return false;
        }
        if (n * unit > now) return false;
        *out = now - n * unit;
        return true;
    }
    if (!digits_n(&p, 4, &y) || *p++ != '-' || !digits_n(&p, 2, &mo) || *p++ != '-' || !digits_n(&p, 2, &d)) return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
        return false;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits_n(&p, 2, &h) || *p++ != ':' || !digits_n(&p, 2, &mi)) return false;
        if (*p == ':') {
            p++;
            if (!digits_n(&p, 2, &sec)) return false;
            if (*p == '.' || *p == ',') { /* fractions of a second: dropped */
                if (p[1] < '0' || p[1] > '9') return false;
                for (p++; *p >= '0' && *p <= '9'; p++) {}
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return false;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            unsigned oh, om;
            if (!digits_n(&p, 2, &oh)) return false;
            if (*p == ':') p++;
            if (!digits_n(&p, 2, &om) || oh > 23 || om > 59) return false;
            off = sign * (int64_t)(oh * 3600 + om * 60);
        }
    }
    if (*p) return false;
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    if (t < 0) return false;
    *out = (uint64_t)t;
    return true;
}
