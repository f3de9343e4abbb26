/* util.h — base layer: the bounds-checked byte cursor every parser reads through,
 * growable buffers, hex, little-endian helpers, whole-file mapping (plain, .hex text or
 * .zst compressed), and the terminal progress line.
 *
 * Ownership: an sl_file's bytes belong to it and stay valid until sl_file_close.
 */
#ifndef SLEUTH_UTIL_H
#define SLEUTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sleuth/err.h"

/* ---- bounds-checked cursor: every reader returns false on a short read ---- */
typedef struct sl_cursor {
    const uint8_t *p, *end, *base; /* base: start of the buffer, for error offsets */
} sl_cursor;

static inline sl_cursor sl_cursor_make(const void *p, size_t n)
{
    sl_cursor c = {(const uint8_t *)p, (const uint8_t *)p + n, (const uint8_t *)p};
    return c;
}
static inline size_t sl_cur_left(const sl_cursor *c) { return (size_t)(c->end - c->p); }
static inline size_t sl_cur_off(const sl_cursor *c) { return (size_t)(c->p - c->base); }
static inline bool sl_cur_skip(sl_cursor *c, size_t n)
{
    if (sl_cur_left(c) < n) return false;
    c->p += n;
    return true;
}
static inline bool sl_cur_u8(sl_cursor *c, uint8_t *v)
{
    if (c->p >= c->end) return false;
    *v = *c->p++;
    return true;
}
static inline uint32_t sl_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t sl_le64(const uint8_t *p)
{
    return (uint64_t)sl_le32(p) | (uint64_t)sl_le32(p + 4) << 32;
}
static inline void sl_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void sl_put_le64(uint8_t *p, uint64_t v)
{
    sl_put_le32(p, (uint32_t)v);
    sl_put_le32(p + 4, (uint32_t)(v >> 32));
}
/* 40-bit little-endian integers (5 bytes): the store's packed ids. */
static inline uint64_t sl_le40(const uint8_t *p) { return (uint64_t)sl_le32(p) | (uint64_t)p[4] << 32; }
static inline void sl_put_le40(uint8_t *p, uint64_t v)
{
    sl_put_le32(p, (uint32_t)v);
    p[4] = (uint8_t)(v >> 32);
}
static inline bool sl_cur_u32(sl_cursor *c, uint32_t *v)
{
    if (sl_cur_left(c) < 4) return false;
    *v = sl_le32(c->p);
    c->p += 4;
    return true;
}
static inline bool sl_cur_u64(sl_cursor *c, uint64_t *v)
{
    if (sl_cur_left(c) < 8) return false;
    *v = sl_le64(c->p);
    c->p += 8;
    return true;
}
/* Bitcoin CompactSize. Non-canonical encodings are accepted (consensus does too for
 * counts inside transactions); callers bound the value against what is left. */
static inline bool sl_cur_varint(sl_cursor *c, uint64_t *v)
{
    uint8_t b;
    if (!sl_cur_u8(c, &b)) return false;
    if (b < 0xfd) { *v = b; return true; }
    if (b == 0xfd) {
        if (sl_cur_left(c) < 2) return false;
        *v = (uint64_t)c->p[0] | (uint64_t)c->p[1] << 8;
        c->p += 2;
        return true;
    }
    if (b == 0xfe) { uint32_t x; if (!sl_cur_u32(c, &x)) return false; *v = x; return true; }
    return sl_cur_u64(c, v);
}
static inline bool sl_cur_bytes(sl_cursor *c, const uint8_t **out, size_t n)
{
    if (sl_cur_left(c) < n) return false;
    *out = c->p;
    c->p += n;
    return true;
}

/* ---- the one allocator seam (src/util/alloc.c) ----
 * Every allocation of sleuth goes through these (cJSON's too: its hooks are set to
 * sl_malloc/sl_free before main runs), so a test can make them fail. They behave as the C
 * library's, except: a size of 0 allocates 1 byte (so NULL always means failure),
 * sl_calloc refuses a count * size that overflows, and sl_realloc(p, n) failing leaves p
 * allocated and unchanged. Free what they return with sl_free (sl_free(NULL) is a no-op).
 * Thread-safe (the counter below is atomic).
 *
 * Failure injection: when $SLEUTH_TEST_ALLOC_FAIL is a whole number N >= 1 (read once, at
 * the first allocation), the Nth allocation of the process and every one after it fail
 * (return NULL, errno ENOMEM). Counted: each sl_malloc, sl_calloc, sl_realloc (with any
 * p) and sl_strdup call, those cJSON makes included, from process start; sl_free is not.
 * Unset, empty, 0 or not a number: nothing fails but what the system refuses.
 * What the libraries below allocate themselves (LMDB, zstd, OpenSSL, curl, stdio) does not
 * go through the seam and is not counted. */
void *sl_malloc(size_t n);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
void sl_free(void *p);
/* Points cJSON's allocation hooks at the seam (done at start-up; code that swaps the hooks
 * for a while calls it to put them back). Not thread-safe: cJSON's hooks are global. */
void sl_alloc_cjson_hooks(void);
/* How many allocations have failed in this process (injected or real): a writer that
 * cannot check every step (a cJSON tree) checks this before it reports success. */
uint64_t sl_alloc_failures(void);

/* ---- growable buffer ---- */
/* Ensures *arr has room for `need` elements of size `elt`, growing geometrically.
 * Returns SL_OK or SL_ENOMEM (and then *arr is unchanged). */
int sl_grow(void **arr, size_t *cap, size_t need, size_t elt) SL_MUST_USE;

typedef struct sl_buf {
    uint8_t *p;
    size_t len, cap;
} sl_buf;
int sl_buf_append(sl_buf *b, const void *p, size_t n) SL_MUST_USE;
int sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_buf_free(sl_buf *b);

/* ---- hex ---- */
void sl_hex_encode(char *out, const uint8_t *p, size_t n);          /* out: 2n+1 bytes */
void sl_hex_encode_rev(char *out, const uint8_t *p, size_t n);      /* byte-reversed (txids) */
/* Decodes exactly n bytes from 2n hex digits; false on a bad digit or length. */
bool sl_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen);
bool sl_hex_decode_rev(uint8_t *out, size_t n, const char *hex, size_t hexlen);

/* ---- whole files ---- */
typedef struct sl_file {
    const uint8_t *data;
    size_t len;
    /* private */
    void *map;
    size_t maplen;
    uint8_t *owned;
} sl_file;
/* Opens path read-only. Plain files are memory-mapped; a name ending in .hex is decoded
 * from hex text and one ending in .zst is decompressed by streaming (both into owned
 * memory, at most max_decoded bytes: past that the input is refused with SL_ELIMIT while
 * it is being decoded, so a small file that expands without bound costs no more than the
 * bound). Anything but a regular file (a FIFO, a device, a socket, a folder) is refused
 * before it is read, and opening never blocks. Errors: SL_EIO (cannot open/read, not a
 * regular file), SL_ECORRUPT (bad hex/zstd), SL_ELIMIT (over the bound), with the path in
 * e. Thread-safe (no shared state). sl_file_open uses SL_FILE_MAX. */
#define SL_FILE_MAX ((size_t)4 << 30) /* 4 GiB: whole-document JSON inputs */
int sl_file_open_max(sl_file *f, const char *path, size_t max_decoded, sl_error *e) SL_MUST_USE;
int sl_file_open(sl_file *f, const char *path, sl_error *e) SL_MUST_USE;
/* What kind of file a stat mode is, for messages ("a FIFO (named pipe)"). */
const char *sl_file_kind(unsigned mode);
void sl_file_close(sl_file *f);

/* ---- progress on a terminal: quiet when stderr is not a TTY or quiet is set ---- */
typedef struct sl_progress {
    bool enabled;
    double t0, last;
    uint64_t total;
    const char *unit;
} sl_progress;
void sl_progress_start(sl_progress *pg, uint64_t total, const char *unit, bool quiet);
void sl_progress_update(sl_progress *pg, uint64_t done, uint64_t txs);
void sl_progress_end(sl_progress *pg);
double sl_now(void);

/* A point in time as a user writes it, into unix seconds: unix seconds ("1765170000"), an
 * ISO-8601 date or time in UTC or with an offset ("2026-12-08", "2026-12-08T05:00:00Z",
 * "2026-12-08T05:00Z", "2026-12-08 05:00:00", "2026-12-08T07:00:00+02:00"; no zone: UTC),
 * or, when relative is true, an age before now (unix seconds): "30s", "30m", "24h", "7d",
 * "2w". False for anything else (a malformed date, a day past the month's end, an age
 * before 1970, a time after 9999). Threads: any. */
bool sl_time_parse(const char *text, uint64_t now, bool relative, uint64_t *out) SL_MUST_USE;

/* Crash-safety test hook: when $SLEUTH_TEST_KILL_AT equals name the process kills itself
 * (SIGKILL) there, and when $SLEUTH_TEST_STOP_AT does it stops (SIGSTOP) until sent
 * SIGCONT, so a test can act at an exact moment of a write (tests/test_harden.c). Costs
 * one string compare when unset. */
void sl_test_point(const char *name);

#endif
