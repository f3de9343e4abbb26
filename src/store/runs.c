/* runs.c — the log-structured run sets of runs.h: writing a run from a batch (radix
 * sorted), merging the newest runs, cutting a set back to a tx id (rollback), and the
 * look-ups (interpolation search over keys, directories over addresses and sums keys). */
#include "runs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "sleuth/util.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the run files are little-endian and sums are copied as they lie in memory"
#endif

static const char MAGIC[8] = "SLEUTHR";
#define VERSION 4          /* run files */
#define MANIFEST_VERSION 3 /* the run lists: the store's format (every commit-record value starts with it) */
#define HDR 128
#define KEY_ITEM 11  /* keys sets: 6-byte key, 5-byte id */
#define KEYC_ITEM 14 /* checked keys sets: 6-byte key, 8-byte value (id | check << 32) */
/* Item bytes of a keys set of this kind. */
static inline size_t kw(int kind) { return kind == SL_RUNS_KEYC ? KEYC_ITEM : KEY_ITEM; }
#define DESC 48
#define SUM_DIR 13    /* sums directory entry: key before the block (8), offset (5) */
#define SUMS_BLOCK 32 /* sums entries per directory entry */
#define BUF_BYTES ((size_t)1 << 20)
#define DROP_EVERY ((size_t)1 << 20)

/* ---------------- varints ---------------- */

static inline size_t put_var(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint at *p (bounded by end); a malformed one reads as 0 and stops at end. */
static inline uint64_t get_var(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    int sh = 0;
    while (*p < end && sh < 64) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) return v;
        sh += 7;
    }
    return v;
}

/* ---------------- buffered sequential writer ---------------- */

typedef struct bw {
    int fd;
    const char *path;
    uint64_t off; /* file offset of buf[0] */
    uint8_t *buf;
    size_t n;
    int err;
} bw;

static int bw_flush(bw *w)
{
    size_t done = 0;
    while (done < w->n && !w->err) {
        ssize_t r = pwrite(w->fd, w->buf + done, w->n - done, (off_t)(w->off + done));
        if (r <= 0) w->err = r < 0 ? errno : ENOSPC;
        else done += (size_t)r;
    }
    w->off += w->n;
    w->n = 0;
    return w->err;
}

static inline void bw_bytes(bw *w, const void *p, size_t n)
{
    if (w->n + n > BUF_BYTES) bw_flush(w);
    if (n > BUF_BYTES) { /* never here: items are small */
        w->err = EINVAL;
        return;
    }
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static inline void bw_var(bw *w, uint64_t v)
{
    if (w->n + 10 > BUF_BYTES) bw_flush(w);
    w->n += put_var(w->buf + w->n, v);
}

static uint64_t bw_pos(const bw *w) { return w->off + w->n; }

/* ---------------- files ---------------- */

static void run_path(const sl_runs *rs, uint64_t file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s%llu.run", rs->dir, rs->prefix, (unsigned long long)file);
}

static void run_unmap(sl_run *r)
{
    if (r->map) munmap((void *)r->map, r->len);
    if (r->fd >= 0) close(r->fd);
    r->map = NULL;
    r->fd = -1;
}

/* Maps run r's file and checks it against its descriptor. */
static int run_map(const sl_runs *rs, sl_run *r, sl_error *e)
{
    char p[700];
    struct stat st;
    uint64_t poff, doff;
    run_path(rs, r->file, p, sizeof p);
    r->fd = open(p, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) return sl_err(e, errno == ENOENT ? SL_ESTORE : SL_EIO, "%s: cannot open: %s", p, strerror(errno));
    if (fstat(r->fd, &st) != 0 || (size_t)st.st_size < HDR) {
        run_unmap(r);
        return sl_err(e, SL_ESTORE, "%s: too short for a run", p);
    }
    r->len = (size_t)st.st_size;
    r->map = mmap(NULL, r->len, PROT_READ, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        run_unmap(r);
        return sl_err(e, SL_EIO, "%s: mmap: %s", p, strerror(errno));
    }
    poff = sl_le64(r->map + 48);
    doff = sl_le64(r->map + 56);
    if (memcmp(r->map, MAGIC, 8) || memcmp(r->map + 120, MAGIC, 8) || sl_le32(r->map + 8) != VERSION ||
        (int)sl_le32(r->map + 12) != rs->kind || sl_le64(r->map + 16) != r->lo || sl_le64(r->map + 24) != r->hi ||
        poff < HDR || poff > r->len || doff > r->len) {
        run_unmap(r);
        return sl_err(e, SL_ESTORE, "%s: run header does not match the commit record", p);
    }
    r->payload = r->map + poff;
    r->dir = r->map + doff;
    r->dense = sl_le32(r->map + 64) == 1;
    if (rs->kind == SL_RUNS_HIST) {
        if (r->dense) {
            if (doff + 8 > r->len) goto bad;
            r->amin = sl_le32(r->dir);
            r->dcount = sl_le32(r->dir + 4);
            if (doff + 8 + ((uint64_t)r->dcount + 1) * 5 > poff) goto bad;
        } else {
            if (doff + 4 > r->len) goto bad;
            r->dcount = sl_le32(r->dir);
            if (doff + 4 + (uint64_t)r->dcount * 9 + 5 > r->len) goto bad;
        }
    } else if (rs->kind == SL_RUNS_SUMS) {
        if (doff < poff || doff + 4 > r->len) goto bad;
        r->dcount = sl_le32(r->dir);
        if (doff + 4 + (uint64_t)r->dcount * SUM_DIR + 5 > r->len || sl_le40(r->dir + 4 + (size_t)r->dcount * SUM_DIR) > doff - poff)
            goto bad;
    } else {
        r->bloom_blocks = sl_le32(r->map + 64) == 2 ? sl_le64(r->map + 72) : 0;
        if (poff + r->items * kw(rs->kind) > r->len || doff + r->bloom_blocks * 64 > r->len) goto bad;
    }
    return SL_OK;
bad:
    run_unmap(r);
    return sl_err(e, SL_ESTORE, "%s: run directory out of bounds", p);
}

/* Starts writing run file `file`: creates it, leaves room for the header. */
static int run_create(const sl_runs *rs, uint64_t file, bw *w, char *path, size_t cap, sl_error *e)
{
    run_path(rs, file, path, cap);
    memset(w, 0, sizeof *w);
    w->path = path;
    w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) return sl_col_io_error(e, path, "create", errno);
    if (!(w->buf = sl_malloc(BUF_BYTES))) {
        close(w->fd);
        unlink(path);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    w->off = HDR;
    return SL_OK;
}

/* Writes the header (trailer magic last), fsyncs and closes; on any error removes the file. */
static int run_finish(bw *w, int kind, sl_run *r, uint64_t poff, uint64_t doff, uint32_t dkind, sl_error *e)
{
    uint8_t h[HDR];
    int err = bw_flush(w);
    struct stat st;
    memset(h, 0, sizeof h);
    memcpy(h, MAGIC, 8);
    sl_put_le32(h + 8, VERSION);
    sl_put_le32(h + 12, (uint32_t)kind);
    sl_put_le64(h + 16, r->lo);
    sl_put_le64(h + 24, r->hi);
    sl_put_le64(h + 32, r->keys);
    sl_put_le64(h + 40, r->items);
    sl_put_le64(h + 48, poff);
    sl_put_le64(h + 56, doff);
    sl_put_le32(h + 64, dkind);
    sl_put_le64(h + 72, r->bloom_blocks);
    memcpy(h + 120, MAGIC, 8);
    if (!err && pwrite(w->fd, h, HDR, 0) != HDR) err = errno ? errno : ENOSPC;
    if (!err && fdatasync(w->fd) != 0) err = errno;
    if (!err && fstat(w->fd, &st) == 0) r->bytes = (uint64_t)st.st_blocks * 512;
    /* written once, read by look-ups and the next merge: not worth keeping in the cache of
     * the ingest that wrote it (whose tables need the memory) */
    if (!err) posix_fadvise(w->fd, 0, 0, POSIX_FADV_DONTNEED);
    close(w->fd);
    sl_free(w->buf);
    w->buf = NULL;
    if (err) {
        unlink(w->path);
        return sl_col_io_error(e, w->path, "writing a run", err);
    }
    return SL_OK;
}

static void run_abandon(bw *w)
{
    close(w->fd);
    unlink(w->path);
    sl_free(w->buf);
    w->buf = NULL;
}

/* ---------------- the set and its manifest ---------------- */

void sl_runs_init(sl_runs *rs, const char *dir, const char *prefix, int kind)
{
    memset(rs, 0, sizeof *rs);
    snprintf(rs->dir, sizeof rs->dir, "%s", dir);
    snprintf(rs->prefix, sizeof rs->prefix, "%s", prefix);
    rs->kind = kind;
}

size_t sl_runs_manifest_max(void) { return 8 + (size_t)SL_RUNS_MAX * DESC; }

void sl_runs_manifest(const sl_runs *rs, uint8_t *out, size_t *len)
{
    sl_put_le32(out, MANIFEST_VERSION);
    sl_put_le32(out + 4, (uint32_t)rs->n);
    for (int i = 0; i < rs->n; i++) {
        uint8_t *d = out + 8 + (size_t)i * DESC;
        const sl_run *r = &rs->r[i];
        sl_put_le64(d, r->file);
        sl_put_le64(d + 8, r->lo);
        sl_put_le64(d + 16, r->hi);
        sl_put_le64(d + 24, r->keys);
        sl_put_le64(d + 32, r->items);
        sl_put_le64(d + 40, r->bytes);
    }
    *len = 8 + (size_t)rs->n * DESC;
}

int sl_runs_load(sl_runs *rs, const uint8_t *m, size_t len, sl_error *e)
{
    sl_run nr[SL_RUNS_MAX];
    uint32_t n;
    int rc;
    if (!m || len == 0) n = 0;
    else if (len < 8 || sl_le32(m) != MANIFEST_VERSION || (n = sl_le32(m + 4)) > SL_RUNS_MAX || len != 8 + (size_t)n * DESC)
        return sl_err(e, SL_ESTORE, "%s: malformed run list in the commit record", rs->dir);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *d = m + 8 + (size_t)i * DESC;
        sl_run *r = &nr[i];
        memset(r, 0, sizeof *r);
        r->fd = -1;
        r->file = sl_le64(d);
        r->lo = sl_le64(d + 8);
        r->hi = sl_le64(d + 16);
        r->keys = sl_le64(d + 24);
        r->items = sl_le64(d + 32);
        r->bytes = sl_le64(d + 40);
        for (int k = 0; k < rs->n; k++) /* already mapped: take it over */
            if (rs->r[k].map && rs->r[k].file == r->file && rs->r[k].lo == r->lo && rs->r[k].hi == r->hi) {
                *r = rs->r[k];
                rs->r[k].map = NULL;
                rs->r[k].fd = -1;
                break;
            }
        if (!r->map && (rc = run_map(rs, r, e))) {
            for (uint32_t j = 0; j < i; j++) {
                /* give the taken-over runs back so rs stays as it was */
                bool back = false;
                for (int k = 0; k < rs->n && !back; k++)
                    if (!rs->r[k].map && rs->r[k].file == nr[j].file) {
                        rs->r[k] = nr[j];
                        back = true;
                    }
                if (!back) run_unmap(&nr[j]);
            }
            return rc;
        }
    }
    for (int k = 0; k < rs->n; k++) run_unmap(&rs->r[k]);
    memcpy(rs->r, nr, n * sizeof *nr);
    rs->n = (int)n;
    return SL_OK;
}

void sl_runs_close(sl_runs *rs)
{
    for (int i = 0; i < rs->n; i++) run_unmap(&rs->r[i]);
    rs->n = 0;
    sl_free(rs->tmp);
    rs->tmp = NULL;
    rs->tmpcap = 0;
}

/* The set's sort scratch, at least n bytes (kept: fresh pages cost a fault and a zeroing
 * each, for every batch). */
static void *scratch(sl_runs *rs, size_t n)
{
    if (n > rs->tmpcap) {
        void *q = sl_realloc(rs->tmp, n);
        if (!q) return NULL;
        rs->tmp = q;
        rs->tmpcap = n;
    }
    return rs->tmp;
}

void sl_runs_collect(const sl_runs *rs)
{
    DIR *d = opendir(rs->dir);
    struct dirent *de;
    size_t pl = strlen(rs->prefix);
    if (!d) return;
    while ((de = readdir(d))) {
        char *end;
        unsigned long long f;
        bool named = false;
        if (strncmp(de->d_name, rs->prefix, pl) != 0) continue;
        f = strtoull(de->d_name + pl, &end, 10);
        if (end == de->d_name + pl || strcmp(end, ".run") != 0) continue;
        for (int i = 0; i < rs->n; i++) named |= rs->r[i].file == f;
        if (!named) {
            char p[700];
            run_path(rs, f, p, sizeof p);
            unlink(p);
        }
    }
    closedir(d);
}

uint64_t sl_runs_bytes(const sl_runs *rs)
{
    uint64_t b = 0;
    for (int i = 0; i < rs->n; i++) b += rs->r[i].bytes;
    return b;
}

void sl_runs_unlink(const sl_runs *rs, const uint64_t *files, int n)
{
    for (int i = 0; i < n; i++) {
        char p[700];
        run_path(rs, files[i], p, sizeof p);
        unlink(p);
    }
}

/* A merge reads each input run once, front to back: the pages it has passed are given
 * back (the page cache keeps them) every DROP_EVERY bytes, or the merged runs' files would
 * all be resident by the end of a large merge (what an ingest's memory would then grow
 * with). *done: how far they were given back. */
static void drop_behind(const sl_run *r, const uint8_t *p, size_t *done)
{
    size_t at = (size_t)(p - r->map) & ~(size_t)4095;
    if (at < *done + DROP_EVERY) return;
    madvise((void *)(r->map + *done), at - *done, MADV_DONTNEED);
    *done = at;
}

/* Puts a new run (mapped) at the end of the set. */
static int push_run(sl_runs *rs, sl_run *r, sl_error *e)
{
    int rc;
    if (rs->n == SL_RUNS_MAX) return sl_err(e, SL_ELIMIT, "%s: too many runs", rs->dir);
    r->fd = -1;
    r->map = NULL;
    if ((rc = run_map(rs, r, e))) return rc;
    rs->r[rs->n++] = *r;
    return SL_OK;
}

/* ---------------- radix sorts ---------------- */

/* Stable LSD radix sort of kv items by key (16 x passes bits: 48 for txid keys, 64 for
 * sums keys). */
static int sort_kv(sl_runs *rs, sl_runs_kv *a, size_t n, int passes, sl_error *e)
{
    uint8_t *sc = scratch(rs, n * sizeof *a + 65536 * sizeof(size_t));
    sl_runs_kv *t = (sl_runs_kv *)sc, *src = a, *dst = t;
    size_t *cnt = sc ? (size_t *)(sc + n * sizeof *a) : NULL;
    if (!sc) return sl_err(e, SL_ENOMEM, "out of memory");
    for (int pass = 0; pass < passes; pass++) {
        int sh = 16 * pass;
        size_t sum = 0;
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[(src[i].key >> sh) & 0xffff]++;
        for (size_t b = 0; b < 65536; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i].key >> sh) & 0xffff]++] = src[i];
        sl_runs_kv *x = src;
        src = dst;
        dst = x;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    return SL_OK;
}

/* Stable LSD radix sort of events by address (32 bits, 2 passes of 16). */
static int sort_ev(sl_runs *rs, sl_hist_ev *a, size_t n, sl_error *e)
{
    uint8_t *sc = scratch(rs, n * sizeof *a + 65536 * sizeof(size_t));
    sl_hist_ev *t = (sl_hist_ev *)sc, *src = a, *dst = t;
    size_t *cnt = sc ? (size_t *)(sc + n * sizeof *a) : NULL;
    if (!sc) return sl_err(e, SL_ENOMEM, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        int sh = 16 * pass;
        size_t sum = 0;
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[(src[i].addr >> sh) & 0xffff]++;
        for (size_t b = 0; b < 65536; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i].addr >> sh) & 0xffff]++] = src[i];
        sl_hist_ev *x = src;
        src = dst;
        dst = x;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    return SL_OK;
}

/* ---------------- keys runs ---------------- */

static inline uint64_t item_key(const uint8_t *p)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++) k = k << 8 | p[i];
    return k;
}
/* An item's value (the id, or id | check << 32) and the id in it (what ranges and cuts
 * are about). */
static inline uint64_t item_val(int kind, const uint8_t *p) { return kind == SL_RUNS_KEYC ? sl_le64(p + 6) : sl_le40(p + 6); }
static inline uint64_t val_id(int kind, uint64_t v) { return kind == SL_RUNS_KEYC ? v & 0xffffffffu : v; }
static inline void put_kitem(int kind, uint8_t *p, uint64_t key, uint64_t v)
{
    for (int i = 0; i < 6; i++) p[i] = (uint8_t)(key >> (40 - 8 * i));
    if (kind == SL_RUNS_KEYC) sl_put_le64(p + 6, v);
    else sl_put_le40(p + 6, v);
}

/* The blocked Bloom filter of a keys run: 6 bits in one 64-byte block a key. The block is
 * the key's place in the key range (keys are txid prefixes: uniform), so the keys of a run,
 * written in order, fill the filter front to back: it is streamed, never held whole. */
#define BLOOM_BITS_PER_KEY 10
static uint64_t bloom_blocks(uint64_t n) { return (n * BLOOM_BITS_PER_KEY + 511) / 512 + 1; }
static inline uint64_t bloom_block(uint64_t key, uint64_t nblocks) { return (uint64_t)(((unsigned __int128)key * nblocks) >> 48); }
static inline void bloom_bits(uint64_t key, uint32_t bit[6])
{
    uint64_t g = (key ^ (key >> 29)) * 0xbf58476d1ce4e5b9ULL;
    g ^= g >> 31;
    for (int i = 0; i < 6; i++) bit[i] = (uint32_t)(g >> (9 * i)) & 511;
}
static bool bloom_may(const sl_run *r, uint64_t key)
{
    uint32_t bit[6];
    const uint8_t *blk;
    if (!r->bloom_blocks) return true;
    blk = r->dir + bloom_block(key, r->bloom_blocks) * 64;
    bloom_bits(key, bit);
    for (int i = 0; i < 6; i++)
        if (!(blk[bit[i] >> 3] & (1u << (bit[i] & 7)))) return false;
    return true;
}

/* A filter being written: keys arrive in ascending order. */
typedef struct bloomw {
    bw w;            /* writes the blocks in order from the filter's offset */
    uint64_t nb, cur;
    uint8_t blk[64];
} bloomw;

static void bloom_start(bloomw *b, int fd, const char *path, uint8_t *buf, uint64_t nb)
{
    memset(b, 0, sizeof *b);
    b->w.fd = fd;
    b->w.path = path;
    b->w.buf = buf;
    b->w.off = HDR;
    b->nb = nb;
}
static void bloom_add(bloomw *b, uint64_t key)
{
    uint64_t k = bloom_block(key, b->nb);
    uint32_t bit[6];
    static const uint8_t zero[64];
    if (k != b->cur) {
        bw_bytes(&b->w, b->blk, 64);
        for (uint64_t i = b->cur + 1; i < k; i++) bw_bytes(&b->w, zero, 64);
        memset(b->blk, 0, 64);
        b->cur = k;
    }
    bloom_bits(key, bit);
    for (int i = 0; i < 6; i++) b->blk[bit[i] >> 3] |= (uint8_t)(1u << (bit[i] & 7));
}
/* Writes the last blocks; returns the writer's error (errno) or 0. */
static int bloom_end(bloomw *b)
{
    static const uint8_t zero[64];
    bw_bytes(&b->w, b->blk, 64);
    for (uint64_t i = b->cur + 1; i < b->nb; i++) bw_bytes(&b->w, zero, 64);
    return bw_flush(&b->w);
}

/* sl_runs_add_keys over an array already in (key, id) order: its chunk source. */
typedef struct kvarr { const sl_runs_kv *a; size_t n, at; } kvarr;
static size_t kvarr_next(void *ctx, sl_runs_kv *out, size_t cap)
{
    kvarr *k = ctx;
    size_t m = k->n - k->at < cap ? k->n - k->at : cap;
    memcpy(out, k->a + k->at, m * sizeof *out);
    k->at += m;
    return m;
}

int sl_runs_add_keys(sl_runs *rs, uint64_t lo, uint64_t hi, sl_runs_kv *items, size_t n, uint64_t *file_no,
                     sl_error *e)
{
    int rc;
    if (!n) return SL_OK;
    if ((rc = sort_kv(rs, items, n, 3, e))) return rc;
    {
        kvarr k = {items, n, 0};
        return sl_runs_add_keys_from(rs, lo, hi, n, kvarr_next, &k, file_no, e);
    }
}

int sl_runs_add_keys_from(sl_runs *rs, uint64_t lo, uint64_t hi, size_t n,
                          size_t (*next)(void *ctx, sl_runs_kv *out, size_t cap), void *ctx, uint64_t *file_no,
                          sl_error *e)
{
    char path[700];
    bw w;
    bloomw bl;
    sl_run r;
    uint8_t *fbuf;
    sl_runs_kv chunk[256];
    uint64_t nb = bloom_blocks(n), got = 0;
    size_t m;
    int rc;
    if (!n) return SL_OK;
    if ((rc = run_create(rs, *file_no, &w, path, sizeof path, e))) return rc;
    if (!(fbuf = sl_malloc(BUF_BYTES))) {
        run_abandon(&w);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    bloom_start(&bl, w.fd, path, fbuf, nb);
    w.off = HDR + nb * 64; /* the filter first, then the items */
    while (got < n && (m = next(ctx, chunk, got + 256 <= n ? 256 : (size_t)(n - got))) > 0) {
        for (size_t i = 0; i < m; i++) {
            uint8_t it[KEYC_ITEM];
            put_kitem(rs->kind, it, chunk[i].key, chunk[i].id);
            bw_bytes(&w, it, kw(rs->kind));
            bloom_add(&bl, chunk[i].key);
        }
        got += m;
    }
    if ((rc = bloom_end(&bl)) && !w.err) w.err = rc;
    sl_free(fbuf);
    if (got != n && !w.err) {
        run_abandon(&w);
        return sl_err(e, SL_ESTORE, "%s: the run's source gave %llu items of %llu", path, (unsigned long long)got,
                      (unsigned long long)n);
    }
    memset(&r, 0, sizeof r);
    r.bloom_blocks = nb;
    r.file = (*file_no)++;
    r.lo = lo, r.hi = hi, r.items = n;
    if ((rc = run_finish(&w, rs->kind, &r, HDR + nb * 64, HDR, 2, e))) return rc;
    return push_run(rs, &r, e);
}

/* First item index with key >= k in run r (interpolation, then bisection). */
static uint64_t key_lower(const sl_run *r, size_t W, uint64_t k)
{
    uint64_t lo = 0, hi = r->items, klo = 0, khi = (uint64_t)1 << 48;
    const uint8_t *p = r->payload;
    for (int step = 0; step < 3 && hi - lo > 64; step++) {
        uint64_t mid = lo + (uint64_t)((unsigned __int128)(k - klo) * (hi - lo) / (khi - klo + 1)), km;
        if (mid >= hi) mid = hi - 1;
        km = item_key(p + mid * W);
        if (km < k) lo = mid + 1, klo = km;
        else hi = mid, khi = km;
    }
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (item_key(p + mid * W) < k) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void sl_runs_find_key(const sl_runs *rs, uint64_t key48, void (*fn)(void *ctx, uint64_t id), void *ctx)
{
    for (int i = 0; i < rs->n; i++) {
        const sl_run *r = &rs->r[i];
        if (!bloom_may(r, key48)) continue;
        size_t W = kw(rs->kind);
        for (uint64_t j = key_lower(r, W, key48); j < r->items; j++) {
            const uint8_t *p = r->payload + j * W;
            if (item_key(p) != key48) break;
            fn(ctx, item_val(rs->kind, p));
        }
    }
}

/* ---------------- hist runs: the directory writer ---------------- */

typedef struct hw {
    bw pay;          /* payload */
    bw dir;          /* directory (dense: before the payload; sparse: buffered, after) */
    bool dense;
    uint32_t amin, count, next; /* dense: range, next address whose offset is due */
    uint64_t poff, doff;        /* file offsets */
    uint64_t keys, items;
    uint8_t *sparse;            /* sparse directory entries */
    size_t nsparse, capsparse;
    int err;
} hw;

/* Begins a hist run: dense over [amin, amin + count) or sparse. */
static int hw_start(const sl_runs *rs, uint64_t file, bool dense, uint32_t amin, uint32_t count, hw *h, char *path,
                    size_t cap, sl_error *e)
{
    int rc;
    memset(h, 0, sizeof *h);
    if ((rc = run_create(rs, file, &h->pay, path, cap, e))) return rc;
    h->dense = dense;
    h->amin = amin;
    h->count = count;
    h->next = amin;
    if (dense) {
        uint8_t b[8];
        h->dir = h->pay; /* same fd and path; its own buffer */
        if (!(h->dir.buf = sl_malloc(BUF_BYTES))) {
            run_abandon(&h->pay);
            return sl_err(e, SL_ENOMEM, "out of memory");
        }
        h->dir.n = 0;
        h->doff = HDR;
        h->dir.off = HDR;
        sl_put_le32(b, amin);
        sl_put_le32(b + 4, count);
        bw_bytes(&h->dir, b, 8);
        h->poff = HDR + 8 + ((uint64_t)count + 1) * 5;
        h->pay.off = h->poff;
    } else {
        h->poff = HDR;
    }
    return SL_OK;
}

/* Records that address a's entry starts at the current payload position. */
static void hw_entry(hw *h, uint32_t a)
{
    uint64_t at = bw_pos(&h->pay) - h->poff;
    uint8_t b[9];
    h->keys++;
    if (h->dense) {
        for (; h->next <= a; h->next++) {
            sl_put_le40(b, at);
            bw_bytes(&h->dir, b, 5);
        }
        return;
    }
    if (h->nsparse + 9 > h->capsparse) {
        void *q = h->sparse;
        if (sl_grow(&q, &h->capsparse, h->nsparse + 9, 1)) {
            h->err = ENOMEM;
            return;
        }
        h->sparse = q;
    }
    sl_put_le32(h->sparse + h->nsparse, a);
    sl_put_le40(h->sparse + h->nsparse + 4, at);
    h->nsparse += 9;
}

static int hw_finish(hw *h, sl_run *r, sl_error *e)
{
    uint64_t end = bw_pos(&h->pay) - h->poff;
    uint8_t b[9];
    int rc;
    if (h->err) {
        sl_free(h->sparse);
        sl_free(h->dir.buf);
        run_abandon(&h->pay);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    if (h->dense) {
        for (; h->next <= h->amin + h->count; h->next++) {
            sl_put_le40(b, end);
            bw_bytes(&h->dir, b, 5);
        }
        bw_flush(&h->dir);
        if (h->dir.err && !h->pay.err) h->pay.err = h->dir.err;
        sl_free(h->dir.buf);
    } else {
        h->doff = bw_pos(&h->pay);
        sl_put_le32(b, (uint32_t)(h->nsparse / 9));
        bw_bytes(&h->pay, b, 4);
        for (size_t i = 0; i < h->nsparse; i += 9) bw_bytes(&h->pay, h->sparse + i, 9);
        sl_put_le40(b, end);
        bw_bytes(&h->pay, b, 5);
        sl_free(h->sparse);
    }
    r->keys = h->keys;
    r->items = h->items;
    rc = run_finish(&h->pay, SL_RUNS_HIST, r, h->poff, h->doff, h->dense ? 1 : 0, e);
    return rc;
}

static void hw_abandon(hw *h)
{
    sl_free(h->sparse);
    if (h->dense) sl_free(h->dir.buf);
    run_abandon(&h->pay);
}

/* Writes one entry's header and its txs (absolute ids, ascending; lo: the run's). */
static void hw_txs_start(hw *h, uint32_t a, uint64_t n, bool stats)
{
    hw_entry(h, a);
    bw_var(&h->pay, n << 1 | stats);
    h->items += n;
}

static void hw_stats(hw *h, const sl_hist_stats *st)
{
    bw_var(&h->pay, st->received);
    bw_var(&h->pay, st->spent);
    bw_var(&h->pay, st->n_out);
    bw_var(&h->pay, st->n_spent);
}

/* Dense when at least a quarter of the range's addresses have an entry. */
static bool want_dense(uint64_t keys, uint32_t amin, uint32_t amax) { return keys * 4 >= (uint64_t)amax - amin + 1; }

int sl_runs_add_hist(sl_runs *rs, uint64_t lo, uint64_t hi, sl_hist_ev *ev, size_t n, uint64_t *file_no,
                     sl_error *e)
{
    char path[700];
    hw h;
    sl_run r;
    uint64_t keys = 0;
    int rc;
    if (!n) return SL_OK;
    if ((rc = sort_ev(rs, ev, n, e))) return rc;
    for (size_t i = 0; i < n; i++) keys += i == 0 || ev[i].addr != ev[i - 1].addr;
    if ((rc = hw_start(rs, *file_no, want_dense(keys, ev[0].addr, ev[n - 1].addr), ev[0].addr,
                       ev[n - 1].addr - ev[0].addr + 1, &h, path, sizeof path, e)))
        return rc;
    for (size_t i = 0; i < n;) {
        size_t j = i, ntx = 0;
        sl_hist_stats st = {0};
        uint64_t prev = 0;
        while (j < n && ev[j].addr == ev[i].addr) {
            ntx += j == i || ev[j].txrel != ev[j - 1].txrel;
            if (ev[j].amt & SL_HIST_SPENT) st.spent += ev[j].amt & ~SL_HIST_SPENT, st.n_spent++;
            else st.received += ev[j].amt, st.n_out++;
            j++;
        }
        hw_txs_start(&h, ev[i].addr, ntx, ntx >= SL_HIST_STATS_MIN);
        for (size_t k = i; k < j; k++) {
            if (k > i && ev[k].txrel == ev[k - 1].txrel) continue;
            bw_var(&h.pay, k == i ? ev[k].txrel : ev[k].txrel - prev - 1);
            prev = ev[k].txrel;
        }
        if (ntx >= SL_HIST_STATS_MIN) hw_stats(&h, &st);
        i = j;
    }
    memset(&r, 0, sizeof r);
    r.file = (*file_no)++;
    r.lo = lo, r.hi = hi;
    if ((rc = hw_finish(&h, &r, e))) return rc;
    return push_run(rs, &r, e);
}

/* ---------------- hist runs: reading ---------------- */

/* The entry of address a in run r: [*p, *end), false when absent. */
static bool hist_entry(const sl_run *r, uint32_t a, const uint8_t **p, const uint8_t **end)
{
    uint64_t o1, o2;
    if (r->dense) {
        const uint8_t *d = r->dir + 8;
        if (a < r->amin || a - r->amin >= r->dcount) return false;
        o1 = sl_le40(d + (size_t)(a - r->amin) * 5);
        o2 = sl_le40(d + (size_t)(a - r->amin + 1) * 5);
    } else {
        const uint8_t *d = r->dir + 4;
        uint32_t lo = 0, hi = r->dcount;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sl_le32(d + (size_t)mid * 9) < a) lo = mid + 1;
            else hi = mid;
        }
        if (lo == r->dcount || sl_le32(d + (size_t)lo * 9) != a) return false;
        o1 = sl_le40(d + (size_t)lo * 9 + 4);
        o2 = lo + 1 < r->dcount ? sl_le40(d + (size_t)(lo + 1) * 9 + 4) : sl_le40(d + (size_t)r->dcount * 9);
    }
    if (o2 <= o1 || r->payload + o2 > r->map + r->len) return false;
    *p = r->payload + o1;
    *end = r->payload + o2;
    return true;
}

static void part_of(const sl_run *r, const uint8_t *p, const uint8_t *end, sl_hist_part *part)
{
    uint64_t h = get_var(&p, end);
    part->n = h >> 1;
    part->has_stats = h & 1;
    part->lo = r->lo;
    part->p = p;
    part->end = end;
}

int sl_runs_hist_parts(const sl_runs *rs, uint32_t addr, sl_hist_part *parts)
{
    int n = 0;
    for (int i = 0; i < rs->n; i++) {
        const uint8_t *p, *end;
        if (hist_entry(&rs->r[i], addr, &p, &end)) part_of(&rs->r[i], p, end, &parts[n++]);
    }
    return n;
}

void sl_hist_part_txs(const sl_hist_part *part, uint64_t *out)
{
    const uint8_t *p = part->p;
    uint64_t t = 0;
    for (uint64_t i = 0; i < part->n; i++) {
        uint64_t v = get_var(&p, part->end);
        t = i == 0 ? part->lo + v : t + 1 + v;
        out[i] = t;
    }
}

sl_hist_iter sl_hist_iter_of(const sl_hist_part *part)
{
    return (sl_hist_iter){part->p, part->end, part->n, 0, part->lo, false};
}

bool sl_hist_iter_next(sl_hist_iter *it, uint64_t *tx)
{
    uint64_t v;
    if (!it->left) return false;
    v = get_var(&it->p, it->end);
    it->t = it->started ? it->t + 1 + v : it->lo + v;
    it->started = true;
    it->left--;
    *tx = it->t;
    return true;
}

/* Skips the part's txs; returns the position of its totals. */
static const uint8_t *skip_txs(const sl_hist_part *part)
{
    const uint8_t *p = part->p;
    for (uint64_t i = 0; i < part->n && p < part->end; i++) get_var(&p, part->end);
    return p;
}

void sl_hist_part_ends(const sl_hist_part *part, uint64_t *first, uint64_t *last)
{
    const uint8_t *p = part->p;
    uint64_t t = 0;
    *first = *last = 0;
    for (uint64_t i = 0; i < part->n; i++) {
        uint64_t v = get_var(&p, part->end);
        t = i == 0 ? part->lo + v : t + 1 + v;
        if (i == 0) *first = t;
    }
    *last = t;
}

bool sl_hist_part_stats(const sl_hist_part *part, sl_hist_stats *st)
{
    const uint8_t *p;
    if (!part->has_stats) return false;
    p = skip_txs(part);
    st->received = get_var(&p, part->end);
    st->spent = get_var(&p, part->end);
    st->n_out = get_var(&p, part->end);
    st->n_spent = get_var(&p, part->end);
    return true;
}

/* ---------------- merging ---------------- */

/* A cursor over one run's addresses in ascending order. */
typedef struct hcur {
    const sl_run *r;
    size_t dropped; /* drop_behind */
    uint32_t i; /* dense: offset from amin; sparse: entry index */
    bool done;
    uint32_t a;
    const uint8_t *p, *end;
} hcur;

static void hcur_next(hcur *c)
{
    const sl_run *r = c->r;
    while (c->i < r->dcount) {
        uint32_t i = c->i++;
        uint64_t o1, o2;
        if (r->dense) {
            const uint8_t *d = r->dir + 8;
            o1 = sl_le40(d + (size_t)i * 5);
            o2 = sl_le40(d + (size_t)(i + 1) * 5);
            c->a = r->amin + i;
        } else {
            const uint8_t *d = r->dir + 4;
            o1 = sl_le40(d + (size_t)i * 9 + 4);
            o2 = i + 1 < r->dcount ? sl_le40(d + (size_t)(i + 1) * 9 + 4) : sl_le40(d + (size_t)r->dcount * 9);
            c->a = sl_le32(d + (size_t)i * 9);
        }
        if (o2 > o1 && r->payload + o2 <= r->map + r->len) {
            c->p = r->payload + o1;
            c->end = r->payload + o2;
            drop_behind(r, c->p, &c->dropped);
            return;
        }
    }
    c->done = true;
}

/* Streams the txs of parts[0..np) (ascending across parts) into h's payload relative to
 * lo, keeping only txs < cut; sums the parts' totals into *st, asking fn for a part that
 * has none (when want_stats). removed (may be NULL) collects the txs >= cut. */
typedef struct txlist { uint64_t *v; size_t n, cap; } txlist;

static int push_tx(txlist *l, uint64_t t)
{
    if (l->n == l->cap) {
        void *q = l->v;
        if (sl_grow(&q, &l->cap, l->n + 1, sizeof *l->v)) return SL_ENOMEM;
        l->v = q;
    }
    l->v[l->n++] = t;
    return SL_OK;
}

/* Copies n bytes into the writer (any length: in buffer-sized pieces). */
static void bw_copy(bw *w, const uint8_t *p, size_t n)
{
    while (n) {
        size_t k = n < BUF_BYTES / 2 ? n : BUF_BYTES / 2;
        bw_bytes(w, p, k);
        p += k;
        n -= k;
    }
}

/* The common merge (no cut, every part with totals): only each part's first delta
 * changes (it becomes relative to the previous part's last tx); the others are copied as
 * bytes, and the totals are summed. */
static bool merge_entry_fast(hw *h, uint32_t a, const sl_hist_part *parts, int np, uint64_t lo)
{
    uint64_t n = 0, prev = 0;
    sl_hist_stats st = {0};
    for (int i = 0; i < np; i++) {
        if (!parts[i].has_stats) return false;
        n += parts[i].n;
    }
    hw_txs_start(h, a, n, true);
    for (int i = 0; i < np; i++) {
        const uint8_t *p = parts[i].p, *q;
        uint64_t t = parts[i].lo + get_var(&p, parts[i].end);
        bw_var(&h->pay, i == 0 ? t - lo : t - prev - 1);
        q = p;
        for (uint64_t k = 1; k < parts[i].n; k++) t += 1 + get_var(&q, parts[i].end);
        bw_copy(&h->pay, p, (size_t)(q - p));
        prev = t;
        st.received += get_var(&q, parts[i].end);
        st.spent += get_var(&q, parts[i].end);
        st.n_out += get_var(&q, parts[i].end);
        st.n_spent += get_var(&q, parts[i].end);
    }
    hw_stats(h, &st);
    return true;
}

/* Merges the parts of one address into h. Returns SL_OK or an error. */
static int merge_entry(hw *h, uint32_t a, const sl_hist_part *parts, int np, uint64_t lo, uint64_t cut,
                       sl_hist_stats_fn fn, void *ctx, txlist *small, txlist *removed, sl_error *e)
{
    uint64_t n = 0, kept = 0, prev = 0;
    bool any_stats = false, want, first = true;
    sl_hist_stats st = {0};
    if (cut == UINT64_MAX && merge_entry_fast(h, a, parts, np, lo)) return SL_OK;
    for (int i = 0; i < np; i++) {
        n += parts[i].n;
        any_stats |= parts[i].has_stats;
    }
    /* how many survive the cut: the txs ascend, so count while decoding below; for the
     * header we need the count first, so decode once to count when a cut applies */
    if (cut != UINT64_MAX) {
        for (int i = 0; i < np; i++) {
            const uint8_t *p = parts[i].p;
            uint64_t t = 0;
            for (uint64_t k = 0; k < parts[i].n; k++) {
                uint64_t v = get_var(&p, parts[i].end);
                t = k == 0 ? parts[i].lo + v : t + 1 + v;
                kept += t < cut;
            }
        }
    } else {
        kept = n;
    }
    if (!kept) return SL_OK;
    want = cut == UINT64_MAX ? kept >= SL_HIST_STATS_MIN : any_stats;
    hw_txs_start(h, a, kept, want);
    removed->n = 0;
    for (int i = 0; i < np; i++) {
        const uint8_t *p = parts[i].p;
        uint64_t t = 0;
        small->n = 0;
        for (uint64_t k = 0; k < parts[i].n; k++) {
            uint64_t v = get_var(&p, parts[i].end);
            t = k == 0 ? parts[i].lo + v : t + 1 + v;
            if (t >= cut) {
                if (push_tx(removed, t)) return sl_err(e, SL_ENOMEM, "out of memory");
                continue;
            }
            bw_var(&h->pay, first ? t - lo : t - prev - 1);
            first = false;
            prev = t;
            if (want && !parts[i].has_stats && push_tx(small, t)) return sl_err(e, SL_ENOMEM, "out of memory");
        }
        if (!want) continue;
        if (parts[i].has_stats) {
            st.received += get_var(&p, parts[i].end);
            st.spent += get_var(&p, parts[i].end);
            st.n_out += get_var(&p, parts[i].end);
            st.n_spent += get_var(&p, parts[i].end);
        } else if (small->n) {
            sl_hist_stats ps;
            int rc = fn(ctx, a, small->v, small->n, &ps);
            if (rc) return sl_err(e, rc, "totals of address %u for a run merge", a);
            st.received += ps.received, st.spent += ps.spent, st.n_out += ps.n_out, st.n_spent += ps.n_spent;
        }
    }
    if (want && removed->n && cut != UINT64_MAX) {
        /* the removed txs' part of the totals comes off (their data is still in the
         * columns when a rollback cuts) */
        sl_hist_stats ps;
        int rc = fn(ctx, a, removed->v, removed->n, &ps);
        if (rc) return sl_err(e, rc, "totals of address %u for a rollback", a);
        st.received -= ps.received, st.spent -= ps.spent, st.n_out -= ps.n_out, st.n_spent -= ps.n_spent;
    }
    if (want) hw_stats(h, &st);
    return SL_OK;
}

/* Writes runs[from..to) of a hist set as one run of [lo, hi) (keeping txs < cut). */
static int merge_hist(sl_runs *rs, int from, int to, uint64_t cut, uint64_t file, sl_hist_stats_fn fn, void *ctx,
                      sl_run *out, sl_error *e)
{
    hcur cur[SL_RUNS_MAX];
    sl_hist_part parts[SL_RUNS_MAX];
    txlist small = {0}, removed = {0};
    char path[700];
    uint64_t keys = 0;
    uint32_t amin = UINT32_MAX, amax = 0;
    hw h;
    int rc = SL_OK, k = to - from;
    for (int i = 0; i < k; i++) {
        const sl_run *r = &rs->r[from + i];
        cur[i].r = r;
        cur[i].i = 0;
        cur[i].done = false;
        cur[i].dropped = 0;
        hcur_next(&cur[i]);
        keys += r->keys;
        if (!cur[i].done && cur[i].a < amin) amin = cur[i].a;
        if (r->dense && r->dcount) {
            if (r->amin + r->dcount - 1 > amax) amax = r->amin + r->dcount - 1;
        } else if (!r->dense && r->dcount) {
            uint32_t last = sl_le32(r->dir + 4 + (size_t)(r->dcount - 1) * 9);
            if (last > amax) amax = last;
        }
    }
    memset(out, 0, sizeof *out);
    out->file = file;
    out->lo = rs->r[from].lo;
    out->hi = cut < rs->r[to - 1].hi ? cut : rs->r[to - 1].hi;
    if (amin == UINT32_MAX) amin = amax = 0;
    if ((rc = hw_start(rs, file, want_dense(keys, amin, amax), amin, amax - amin + 1, &h, path, sizeof path, e)))
        return rc;
    for (;;) {
        uint32_t a = UINT32_MAX;
        int np = 0;
        for (int i = 0; i < k; i++)
            if (!cur[i].done && cur[i].a < a) a = cur[i].a;
        if (a == UINT32_MAX) break;
        for (int i = 0; i < k; i++)
            if (!cur[i].done && cur[i].a == a) {
                part_of(cur[i].r, cur[i].p, cur[i].end, &parts[np++]);
                hcur_next(&cur[i]);
            }
        if ((rc = merge_entry(&h, a, parts, np, out->lo, cut, fn, ctx, &small, &removed, e))) break;
    }
    sl_free(small.v);
    sl_free(removed.v);
    if (rc) {
        hw_abandon(&h);
        return rc;
    }
    if ((rc = hw_finish(&h, out, e))) return rc;
    return SL_OK;
}

/* Writes runs[from..to) of a keys set as one run (ids < cut), with its filter (sized for
 * the inputs' items, streamed as the merged keys ascend). */
static int merge_keys(sl_runs *rs, int from, int to, uint64_t cut, uint64_t file, sl_run *out, sl_error *e)
{
    uint64_t pos[SL_RUNS_MAX] = {0}, n = 0, total = 0, nb, hk[SL_RUNS_MAX], hid[SL_RUNS_MAX];
    size_t dropped[SL_RUNS_MAX] = {0};
    bool live[SL_RUNS_MAX];
    char path[700];
    uint8_t *fbuf;
    bw w;
    bloomw bl;
    int rc, k = to - from, K = rs->kind;
    size_t W = kw(K);
    for (int i = from; i < to; i++) total += rs->r[i].items;
    nb = bloom_blocks(total);
    if ((rc = run_create(rs, file, &w, path, sizeof path, e))) return rc;
    if (!(fbuf = sl_malloc(BUF_BYTES))) {
        run_abandon(&w);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    bloom_start(&bl, w.fd, path, fbuf, nb);
    w.off = HDR + nb * 64;
    /* each run's head item, kept decoded; a run past its end (or its cut) is done */
    for (int i = 0; i < k; i++) {
        const sl_run *r = &rs->r[from + i];
        while (pos[i] < r->items && val_id(K, item_val(K, r->payload + pos[i] * W)) >= cut) pos[i]++;
        live[i] = pos[i] < r->items;
        if (live[i]) hk[i] = item_key(r->payload + pos[i] * W), hid[i] = item_val(K, r->payload + pos[i] * W);
    }
    for (;;) {
        int best = -1;
        const sl_run *r;
        for (int i = 0; i < k; i++)
            if (live[i] && (best < 0 || hk[i] < hk[best] || (hk[i] == hk[best] && hid[i] < hid[best]))) best = i;
        if (best < 0) break;
        r = &rs->r[from + best];
        bw_bytes(&w, r->payload + pos[best] * W, W);
        bloom_add(&bl, hk[best]);
        drop_behind(r, r->payload + (pos[best] + 1) * W, &dropped[best]);
        n++;
        pos[best]++;
        while (pos[best] < r->items && val_id(K, item_val(K, r->payload + pos[best] * W)) >= cut) pos[best]++;
        live[best] = pos[best] < r->items;
        if (live[best]) {
            hk[best] = item_key(r->payload + pos[best] * W);
            hid[best] = item_val(K, r->payload + pos[best] * W);
        }
    }
    if ((rc = bloom_end(&bl)) && !w.err) w.err = rc;
    sl_free(fbuf);
    memset(out, 0, sizeof *out);
    out->file = file;
    out->lo = rs->r[from].lo;
    out->hi = cut < rs->r[to - 1].hi ? cut : rs->r[to - 1].hi;
    out->items = n;
    out->bloom_blocks = nb;
    return run_finish(&w, K, out, HDR + nb * 64, HDR, 2, e);
}

/* ---------------- sums runs ---------------- */

/* r += x; false when the sum passes 2^256 - 1 (r then holds it mod 2^256). */
static bool sum_add(uint64_t r[4], const uint64_t x[4])
{
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)r[i] + x[i];
        r[i] = (uint64_t)c;
        c >>= 64;
    }
    return c == 0;
}

/* r -= x; false when x > r. */
static bool sum_sub(uint64_t r[4], const uint64_t x[4])
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)r[i] - x[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return !borrow;
}

/* A sum's bytes are its words' little-endian bytes as they lie in memory (the store is
 * little-endian only). */
static void bw_sum(bw *w, const uint64_t v[4])
{
    int hi = 3;
    size_t n;
    while (hi >= 0 && !v[hi]) hi--;
    n = hi < 0 ? 0 : (size_t)hi * 8 + (size_t)(71 - __builtin_clzll(v[hi])) / 8;
    if (w->n + 33 > BUF_BYTES) bw_flush(w);
    w->buf[w->n++] = (uint8_t)n;
    memcpy(w->buf + w->n, v, n);
    w->n += n;
}

static bool get_sum(const uint8_t **p, const uint8_t *end, uint64_t v[4])
{
    size_t n;
    if (*p >= end || (n = *(*p)++) > 32 || (size_t)(end - *p) < n) return false;
    memset(v, 0, 32);
    memcpy(v, *p, n);
    *p += n;
    return true;
}

bool sl_sum_add(sl_sum_item *r, const sl_sum_item *x)
{
    r->na += x->na;
    r->nb += x->nb;
    if (x->vmin < r->vmin) r->vmin = x->vmin;
    if (x->vmax > r->vmax) r->vmax = x->vmax;
    return sum_add(r->a, x->a) & sum_add(r->b, x->b);
}

/* An empty entry of key: no counts, no span. */
static sl_sum_item sum_empty(uint64_t key)
{
    sl_sum_item it;
    memset(&it, 0, sizeof it);
    it.key = key;
    it.vmin = UINT64_MAX;
    return it;
}

/* The run's entries in order: a cursor decodes them one at a time. */
typedef struct scur {
    const uint8_t *p, *end;
    uint64_t prev;
    bool done;
    sl_sum_item it;
    size_t dropped; /* drop_behind (merges) */
} scur;

static void scur_next(scur *c)
{
    if (c->p >= c->end) {
        c->done = true;
        return;
    }
    c->it.key = c->prev + get_var(&c->p, c->end);
    c->it.na = get_var(&c->p, c->end);
    c->it.nb = get_var(&c->p, c->end);
    if (!get_sum(&c->p, c->end, c->it.a) || !get_sum(&c->p, c->end, c->it.b)) c->done = true; /* malformed: its end */
    c->it.vmin = get_var(&c->p, c->end);
    c->it.vmax = c->it.vmin + get_var(&c->p, c->end);
    if (c->it.vmin == UINT64_MAX) c->it.vmax = 0;
    c->prev = c->it.key;
}

/* A cursor at run r's directory block `blk` (its entries from there to the end). */
static scur scur_at(const sl_run *r, uint32_t blk)
{
    const uint8_t *d = r->dir + 4;
    scur c = {r->payload + sl_le40(d + (size_t)r->dcount * SUM_DIR), r->payload + sl_le40(d + (size_t)r->dcount * SUM_DIR),
              0, false, {0}, 0};
    if (blk < r->dcount) {
        c.p = r->payload + sl_le40(d + (size_t)blk * SUM_DIR + 8);
        c.prev = sl_le64(d + (size_t)blk * SUM_DIR);
    }
    if (c.p > c.end) c.p = c.end;
    scur_next(&c);
    return c;
}

/* Writes a sums run's entries (ascending keys) with its directory. */
typedef struct sw {
    bw pay;
    uint8_t *dir;
    size_t ndir, capdir;
    uint64_t prev, n, items;
    bool nomem;
} sw;

static void sw_put(sw *w, const sl_sum_item *it)
{
    if (w->n % SUMS_BLOCK == 0) {
        void *q = w->dir;
        if (sl_grow(&q, &w->capdir, (w->ndir + 1) * SUM_DIR, 1)) {
            w->nomem = true;
            return;
        }
        w->dir = q;
        sl_put_le64(w->dir + w->ndir * SUM_DIR, w->prev);
        sl_put_le40(w->dir + w->ndir * SUM_DIR + 8, bw_pos(&w->pay) - HDR);
        w->ndir++;
    }
    bw_var(&w->pay, it->key - w->prev);
    bw_var(&w->pay, it->na);
    bw_var(&w->pay, it->nb);
    bw_sum(&w->pay, it->a);
    bw_sum(&w->pay, it->b);
    /* an empty span (vmin > vmax) is written as vmin UINT64_MAX */
    bw_var(&w->pay, it->vmin <= it->vmax ? it->vmin : UINT64_MAX);
    bw_var(&w->pay, it->vmin <= it->vmax ? it->vmax - it->vmin : 0);
    w->prev = it->key;
    w->n++;
    w->items += it->na + it->nb;
}

static int sw_finish(sw *w, sl_run *r, sl_error *e)
{
    uint8_t b[8];
    uint64_t end = bw_pos(&w->pay) - HDR, doff = bw_pos(&w->pay);
    if (w->nomem) {
        sl_free(w->dir);
        run_abandon(&w->pay);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    sl_put_le32(b, (uint32_t)w->ndir);
    bw_bytes(&w->pay, b, 4);
    for (size_t i = 0; i < w->ndir; i++) bw_bytes(&w->pay, w->dir + i * SUM_DIR, SUM_DIR);
    sl_put_le40(b, end);
    bw_bytes(&w->pay, b, 5);
    sl_free(w->dir);
    r->keys = w->n;
    r->items = w->items;
    return run_finish(&w->pay, SL_RUNS_SUMS, r, HDR, doff, false, e);
}

/* Sorts items by key and adds up the items of one key; *n becomes the number of keys.
 * The sorted copy is made in the set's sort scratch, once the sort is done with it. */
static int sums_sorted(sl_runs *rs, sl_sum_item *items, size_t *n, sl_error *e)
{
    sl_runs_kv *kv = sl_malloc((*n + 1) * sizeof *kv);
    sl_sum_item *out = NULL;
    size_t k = 0;
    int rc = SL_OK;
    if (!kv) rc = sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < *n; i++) kv[i] = (sl_runs_kv){items[i].key, i};
    if (!rc) rc = sort_kv(rs, kv, *n, 4, e);
    if (!rc && !(out = scratch(rs, (*n + 1) * sizeof *out))) rc = sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < *n; i++) {
        const sl_sum_item *it = &items[kv[i].id];
        if (k && out[k - 1].key == it->key) {
            if (!sl_sum_add(&out[k - 1], it))
                rc = sl_err(e, SL_ELIMIT, "key %u/%u: a total above 2^256-1", (unsigned)(it->key >> 32), (unsigned)it->key);
        } else {
            out[k++] = *it;
        }
    }
    if (!rc) {
        memcpy(items, out, k * sizeof *out);
        *n = k;
    }
    sl_free(kv);
    return rc;
}

int sl_runs_add_sums(sl_runs *rs, uint64_t lo, uint64_t hi, sl_sum_item *items, size_t n, uint64_t *file_no,
                     sl_error *e)
{
    char path[700];
    sw w;
    sl_run r;
    int rc;
    if (!n) return SL_OK;
    if ((rc = sums_sorted(rs, items, &n, e))) return rc;
    memset(&w, 0, sizeof w);
    if ((rc = run_create(rs, *file_no, &w.pay, path, sizeof path, e))) return rc;
    for (size_t i = 0; i < n; i++) sw_put(&w, &items[i]);
    memset(&r, 0, sizeof r);
    r.file = (*file_no)++;
    r.lo = lo, r.hi = hi;
    if ((rc = sw_finish(&w, &r, e))) return rc;
    return push_run(rs, &r, e);
}

/* Writes runs[from..to) of a sums set as one run of [lo, min(hi, cut)), less the sorted
 * items sub[0..nsub) (a rollback's: what the ids >= cut added, with the spans the keys
 * keep); keys left with no count are dropped. */
static int merge_sums(sl_runs *rs, int from, int to, uint64_t cut, const sl_sum_item *sub, size_t nsub, uint64_t file,
                      sl_run *out, sl_error *e)
{
    scur cur[SL_RUNS_MAX];
    char path[700];
    sw w;
    size_t j = 0;
    int rc = SL_OK, k = to - from;
    for (int i = 0; i < k; i++) cur[i] = scur_at(&rs->r[from + i], 0);
    memset(&w, 0, sizeof w);
    if ((rc = run_create(rs, file, &w.pay, path, sizeof path, e))) return rc;
    for (;;) {
        sl_sum_item acc;
        bool any = false;
        uint64_t key = UINT64_MAX;
        for (int i = 0; i < k; i++)
            if (!cur[i].done && (!any || cur[i].it.key < key)) key = cur[i].it.key, any = true;
        if (!any) break;
        acc = sum_empty(key);
        for (int i = 0; i < k && !rc; i++)
            if (!cur[i].done && cur[i].it.key == key) {
                if (!sl_sum_add(&acc, &cur[i].it))
                    rc = sl_err(e, SL_ELIMIT, "%s: key %u/%u: a total above 2^256-1", rs->dir, (unsigned)(key >> 32),
                                (unsigned)key);
                scur_next(&cur[i]);
                drop_behind(&rs->r[from + i], cur[i].p, &cur[i].dropped);
            }
        if (!rc && j < nsub && sub[j].key <= key) {
            /* a key the run does not hold, or less than what is taken off: not this run's ids */
            if (sub[j].key != key || sub[j].na > acc.na || sub[j].nb > acc.nb || !sum_sub(acc.a, sub[j].a) ||
                !sum_sub(acc.b, sub[j].b))
                break;
            acc.na -= sub[j].na;
            acc.nb -= sub[j].nb;
            acc.vmin = sub[j].vmin;
            acc.vmax = sub[j++].vmax;
        }
        if (rc) break;
        if (acc.na + acc.nb) sw_put(&w, &acc);
    }
    if (!rc && j < nsub) /* as above, or keys past the run's last */
        rc = sl_err(e, SL_ESTORE, "%s: key %u/%u: the rolled-back ids took off more than the run holds", rs->dir,
                    (unsigned)(sub[j].key >> 32), (unsigned)sub[j].key);
    memset(out, 0, sizeof *out);
    out->file = file;
    out->lo = rs->r[from].lo;
    out->hi = cut < rs->r[to - 1].hi ? cut : rs->r[to - 1].hi;
    if (rc) {
        sl_free(w.dir);
        run_abandon(&w.pay);
        return rc;
    }
    return sw_finish(&w, out, e);
}

int sl_runs_sums_get(const sl_runs *rs, uint32_t hi32, sl_sum_item **out, size_t *n)
{
    sl_sum_item *v = NULL;
    size_t cap = 0, k = 0, m = 0;
    uint64_t want = (uint64_t)hi32 << 32;
    bool over = false;
    *out = NULL;
    *n = 0;
    for (int i = 0; i < rs->n; i++) {
        const sl_run *r = &rs->r[i];
        uint32_t lo = 0, hi = r->dcount;
        scur c;
        /* the last block whose preceding key is below want: no earlier entry can be >= want */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sl_le64(r->dir + 4 + (size_t)mid * SUM_DIR) < want) lo = mid + 1;
            else hi = mid;
        }
        for (c = scur_at(r, lo ? lo - 1 : 0); !c.done && c.it.key >> 32 <= hi32; scur_next(&c)) {
            if (c.it.key >> 32 != hi32) continue;
            if (k == cap) {
                void *q = v;
                if (sl_grow(&q, &cap, k + 1, sizeof *v)) {
                    sl_free(v);
                    return SL_ENOMEM;
                }
                v = q;
            }
            v[k++] = c.it;
        }
    }
    /* the runs' entries of one key are added up (a short list: insertion sort by key) */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && v[j - 1].key > v[j].key; j--) {
            sl_sum_item t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++) {
        if (m && v[m - 1].key == v[i].key) over |= !sl_sum_add(&v[m - 1], &v[i]);
        else v[m++] = v[i];
    }
    *out = m ? v : NULL;
    if (!m) sl_free(v);
    *n = m;
    return over ? SL_ELIMIT : SL_OK;
}

/* Replaces runs[from..to) by `merged` (mapped), noting the dropped files. */
static int replace_runs(sl_runs *rs, int from, int to, sl_run *merged, uint64_t *dropped, int *nd, sl_error *e)
{
    int rc;
    merged->fd = -1;
    merged->map = NULL;
    if ((rc = run_map(rs, merged, e))) return rc;
    for (int i = from; i < to; i++) {
        dropped[(*nd)++] = rs->r[i].file;
        run_unmap(&rs->r[i]);
    }
    rs->r[from] = *merged;
    memmove(&rs->r[from + 1], &rs->r[to], (size_t)(rs->n - to) * sizeof *rs->r);
    rs->n -= to - from - 1;
    return SL_OK;
}

/* Merges runs[from..to) into one (keeping ids < cut; a sums set also takes off sub). */
static int merge_range(sl_runs *rs, int from, int to, uint64_t cut, uint64_t *file_no, sl_hist_stats_fn fn,
                       void *ctx, const sl_sum_item *sub, size_t nsub, uint64_t *dropped, int *nd, sl_error *e)
{
    sl_run m;
    char p[700];
    int rc = rs->kind == SL_RUNS_HIST   ? merge_hist(rs, from, to, cut, *file_no, fn, ctx, &m, e)
             : rs->kind == SL_RUNS_SUMS ? merge_sums(rs, from, to, cut, sub, nsub, *file_no, &m, e)
                                        : merge_keys(rs, from, to, cut, *file_no, &m, e);
    if (rc) return rc;
    (*file_no)++;
    if (m.items == 0) { /* everything was cut: no run */
        run_path(rs, m.file, p, sizeof p);
        unlink(p);
        for (int i = from; i < to; i++) {
            dropped[(*nd)++] = rs->r[i].file;
            run_unmap(&rs->r[i]);
        }
        memmove(&rs->r[from], &rs->r[to], (size_t)(rs->n - to) * sizeof *rs->r);
        rs->n -= to - from;
        return SL_OK;
    }
    if ((rc = replace_runs(rs, from, to, &m, dropped, nd, e))) {
        run_path(rs, m.file, p, sizeof p);
        unlink(p);
    }
    return rc;
}

static uint64_t run_size(const sl_run *r) { return r->bytes ? r->bytes : 1; }

int sl_runs_maintain(sl_runs *rs, uint64_t *file_no, sl_hist_stats_fn fn, void *ctx, uint64_t *dropped, int *nd,
                     sl_error *e)
{
    int from = rs->n;
    uint64_t newer = 0;
    *nd = 0;
    /* the oldest run that is less than FACTOR times all newer runs together: it and
     * everything after it merge (a full set merges down to keep within SL_RUNS_MAX) */
    for (int i = rs->n - 1; i >= 0; i--) {
        if (i < rs->n - 1 && run_size(&rs->r[i]) < SL_RUNS_FACTOR * newer) from = i;
        newer += run_size(&rs->r[i]);
    }
    if (rs->n >= SL_RUNS_MAX - 1 && from > rs->n - 2) from = rs->n - 2;
    if (from >= rs->n - 1 || from < 0) return SL_OK;
    return merge_range(rs, from, rs->n, UINT64_MAX, file_no, fn, ctx, NULL, 0, dropped, nd, e);
}

/* Drops the runs at or after cut; true when the last run left holds ids >= cut. */
static bool cut_tail(sl_runs *rs, uint64_t cut, uint64_t *dropped, int *nd)
{
    *nd = 0;
    while (rs->n && rs->r[rs->n - 1].lo >= cut) {
        dropped[(*nd)++] = rs->r[rs->n - 1].file;
        run_unmap(&rs->r[--rs->n]);
    }
    return rs->n && rs->r[rs->n - 1].hi > cut;
}

int sl_runs_cut(sl_runs *rs, uint64_t cut, uint64_t *file_no, sl_hist_stats_fn fn, void *ctx, uint64_t *dropped,
                int *nd, sl_error *e)
{
    if (cut_tail(rs, cut, dropped, nd)) {
        int more = 0, rc = merge_range(rs, rs->n - 1, rs->n, cut, file_no, fn, ctx, NULL, 0, dropped + *nd, &more, e);
        *nd += more;
        return rc;
    }
    return SL_OK;
}

int sl_runs_cut_sums(sl_runs *rs, uint64_t cut, uint64_t *file_no, sl_sums_removed_fn removed, sl_sums_span_fn span,
                     void *ctx, uint64_t *dropped, int *nd, sl_error *e)
{
    sl_sum_item *sub = NULL;
    size_t nsub = 0;
    int more = 0, rc;
    const sl_run *r;
    if (!cut_tail(rs, cut, dropped, nd)) return SL_OK;
    r = &rs->r[rs->n - 1];
    if ((rc = removed(ctx, cut, r->hi, &sub, &nsub)))
        rc = sl_err(e, rc, "%s: the sums of ids %llu and above for a rollback", rs->dir, (unsigned long long)cut);
    if (!rc) rc = sums_sorted(rs, sub, &nsub, e);
    /* a least or greatest value may have come from the removed ids: the keys they touched
     * get theirs anew from the ids the run keeps */
    if (!rc && nsub && (rc = span(ctx, r->lo, cut, sub, nsub)))
        rc = sl_err(e, rc, "%s: the spans of ids %llu to %llu for a rollback", rs->dir, (unsigned long long)r->lo,
                    (unsigned long long)cut);
    if (!rc) rc = merge_range(rs, rs->n - 1, rs->n, cut, file_no, NULL, NULL, sub, nsub, dropped + *nd, &more, e);
    *nd += more;
    return rc;
}
