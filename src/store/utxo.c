/* utxo.c — the writer's map of unspent outputs (utxo.h): linear probing with backward-
 * shift deletion over 32-byte slots in a memory-mapped file. */
#include "utxo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "sleuth/util.h"

static const char MAGIC[8] = "SLEUTHU";
#define VERSION 3
#define SLOT_BYTES 32
#define MIN_SLOTS 4096
#define FILL_NUM 3
#define FILL_DEN 4
#define M40 ((((uint64_t)1) << 40) - 1)

static size_t file_bytes(uint64_t n) { return SL_UTXO_HEADER + (size_t)n * SLOT_BYTES; }

static void header(uint8_t *h, const sl_utxo *u, uint64_t n, uint64_t used, uint64_t seq, bool valid)
{
    memset(h, 0, SL_UTXO_HEADER);
    memcpy(h, MAGIC, 8);
    sl_put_le32(h + 8, VERSION);
    sl_put_le32(h + 12, SLOT_BYTES);
    sl_fpkey_to_bytes(&u->key, h + 16);
    sl_put_le64(h + 48, n);
    sl_put_le64(h + 56, used);
    sl_put_le64(h + 64, seq);
    sl_put_le32(h + 72, valid);
}

static int map_it(sl_utxo *u, sl_error *e)
{
    struct stat st;
    if (fstat(u->fd, &st) != 0) return sl_err(e, SL_EIO, "%s: stat: %s", u->path, strerror(errno));
    if ((size_t)st.st_size < SL_UTXO_HEADER) return sl_err(e, SL_ESTORE, "%s: too short", u->path);
    u->map_len = (size_t)st.st_size;
    u->map = mmap(NULL, u->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, 0);
    if (u->map == MAP_FAILED) {
        u->map = NULL;
        return sl_err(e, SL_EIO, "%s: mmap: %s", u->path, strerror(errno));
    }
    /* every probe lands on a random page: huge pages spare a TLB miss each (a hint) */
    madvise(u->map, u->map_len, MADV_HUGEPAGE);
    if (memcmp(u->map, MAGIC, 8) != 0) return sl_err(e, SL_ESTORE, "%s: not a sleuth output map", u->path);
    if (sl_le32(u->map + 8) != VERSION) return sl_err(e, SL_EVERSION, "%s: version %u", u->path, sl_le32(u->map + 8));
    u->n = sl_le64(u->map + 48);
    if (sl_le32(u->map + 12) != SLOT_BYTES || !u->n || file_bytes(u->n) > u->map_len)
        return sl_err(e, SL_ESTORE, "%s: header does not match the file", u->path);
    sl_fpkey_from_bytes(&u->key, u->map + 16);
    u->used = sl_le64(u->map + 56);
    u->slots = (uint64_t *)(u->map + SL_UTXO_HEADER);
    return SL_OK;
}

/* Writes an empty table of n slots to path (header, zeroed slots with blocks reserved). */
static int write_empty(const sl_utxo *u, const char *path, uint64_t n, int *fdp, sl_error *e)
{
    uint8_t h[SL_UTXO_HEADER];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err;
    *fdp = -1;
    if (fd < 0) return sl_col_io_error(e, path, "create", errno);
    header(h, u, n, 0, 0, false);
    if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) goto io;
    if ((err = posix_fallocate(fd, 0, (off_t)file_bytes(n))) != 0 && err != EINVAL && err != EOPNOTSUPP) {
        errno = err;
        goto io;
    }
    if (ftruncate(fd, (off_t)file_bytes(n)) != 0) goto io;
    *fdp = fd;
    return SL_OK;
io:
    err = errno ? errno : ENOSPC;
    close(fd);
    unlink(path);
    return sl_col_io_error(e, path, "writing the output map", err);
}

/* Replaces the file by an empty one of n slots (renamed into place). */
static int replace_empty(sl_utxo *u, uint64_t n, sl_error *e)
{
    char tmp[600];
    int fd, rc;
    snprintf(tmp, sizeof tmp, "%s.new", u->path);
    if ((rc = write_empty(u, tmp, n, &fd, e))) return rc;
    if (rename(tmp, u->path) != 0) {
        rc = sl_col_io_error(e, u->path, "rename", errno);
        close(fd);
        unlink(tmp);
        return rc;
    }
    sl_utxo_close(u);
    u->fd = fd;
    u->marked = false;
    return map_it(u, e);
}

int sl_utxo_open(sl_utxo *u, const char *dir, sl_error *e)
{
    struct stat st;
    memset(u, 0, sizeof *u);
    snprintf(u->path, sizeof u->path, "%s/utxo.map", dir);
    u->fd = open(u->path, O_RDWR | O_CLOEXEC);
    if (u->fd < 0 && errno != ENOENT) return sl_col_io_error(e, u->path, "open", errno);
    if (u->fd >= 0) {
        if (fstat(u->fd, &st) == 0 && st.st_size >= SL_UTXO_HEADER) return map_it(u, e);
        close(u->fd); /* a creation a kill cut short: made anew */
        u->fd = -1;
    }
    if (sl_fpkey_random(&u->key)) return sl_err(e, SL_EIO, "getrandom: %s", strerror(errno));
    return replace_empty(u, MIN_SLOTS, e);
}

void sl_utxo_close(sl_utxo *u)
{
    if (u->map) munmap(u->map, u->map_len);
    if (u->fd >= 0) close(u->fd);
    u->map = NULL;
    u->slots = NULL;
    u->fd = -1;
}

bool sl_utxo_valid_for(const sl_utxo *u, uint64_t seq)
{
    return u->map && sl_le32(u->map + 72) == 1 && sl_le64(u->map + 64) == seq;
}

int sl_utxo_reset(sl_utxo *u, uint64_t expect, sl_error *e)
{
    uint64_t n = MIN_SLOTS;
    while (expect * FILL_DEN > n * FILL_NUM) n += n / 2;
    return replace_empty(u, n, e);
}

int sl_utxo_mark_changing(sl_utxo *u, sl_error *e)
{
    uint8_t b[4] = {0};
    if (u->marked) return SL_OK;
    if (pwrite(u->fd, b, 4, 72) != 4 || fdatasync(u->fd) != 0) return sl_col_io_error(e, u->path, "marking", errno);
    u->marked = true;
    return SL_OK;
}

int sl_utxo_checkpoint(sl_utxo *u, uint64_t seq, uint64_t n_tx, sl_error *e)
{
    uint8_t b[32] = {0};
    if (!u->map) return SL_OK;
    if (msync(u->map, u->map_len, MS_SYNC) != 0) return sl_col_io_error(e, u->path, "msync", errno);
    sl_put_le64(b, u->used);
    sl_put_le64(b + 8, seq);
    sl_put_le32(b + 16, 1);
    sl_put_le64(b + 24, n_tx);
    if (pwrite(u->fd, b, 32, 56) != 32 || fdatasync(u->fd) != 0) return sl_col_io_error(e, u->path, "header", errno);
    u->marked = false;
    return SL_OK;
}

uint64_t sl_utxo_marks_synced(const sl_utxo *u) { return u->map ? sl_le64(u->map + 80) : 0; }

static inline bool match(const uint64_t *s, uint64_t w0, sl_fp h)
{
    return s[0] == w0 && (s[3] >> 32) == (h.h2 & 0xffffffffULL);
}

static inline void pack(uint64_t *s, sl_fp h, const sl_utxo_ent *v)
{
    s[1] = v->value | (uint64_t)v->type << 56;
    s[2] = (v->tx & M40) | (uint64_t)v->vout << 40;
    s[3] = v->addr | (h.h2 & 0xffffffffULL) << 32;
    s[0] = h.h1 + 1;
}

static inline void unpack(const uint64_t *s, sl_utxo_ent *v)
{
    v->value = s[1] & ((((uint64_t)1) << 56) - 1);
    v->type = (uint8_t)(s[1] >> 56);
    v->tx = s[2] & M40;
    v->vout = (uint32_t)(s[2] >> 40);
    v->addr = (uint32_t)s[3];
}

int sl_utxo_reserve(sl_utxo *u, uint64_t more, sl_error *e)
{
    char tmp[600];
    sl_utxo n = *u;
    uint64_t want = u->n;
    int fd, rc;
    if ((u->used + more) * FILL_DEN <= u->n * FILL_NUM) return SL_OK;
    while ((u->used + more) * FILL_DEN > want * FILL_NUM) want += want / 2;
    snprintf(tmp, sizeof tmp, "%s.new", u->path);
    if ((rc = write_empty(u, tmp, want, &fd, e))) return rc;
    n.fd = fd;
    n.map = NULL;
    if ((rc = map_it(&n, e))) {
        sl_utxo_close(&n);
        unlink(tmp);
        return rc;
    }
    for (uint64_t i = 0; i < u->n; i++) {
        const uint64_t *s = u->slots + 4 * i;
        uint64_t j;
        if (!s[0]) continue;
        for (j = sl_fp_pos(s[0] - 1, n.n); n.slots[4 * j]; j = j + 1 == n.n ? 0 : j + 1) {}
        memcpy(n.slots + 4 * j, s, SLOT_BYTES);
    }
    n.used = u->used;
    n.marked = u->marked;
    /* the new file takes the old one's place now; its header says invalid until the
     * session's checkpoint, like the old one (marked) */
    if (rename(tmp, u->path) != 0) {
        rc = sl_col_io_error(e, u->path, "rename", errno);
        sl_utxo_close(&n);
        unlink(tmp);
        return rc;
    }
    sl_utxo_close(u);
    *u = n;
    return SL_OK;
}

void sl_utxo_put(sl_utxo *u, sl_fp h, const sl_utxo_ent *v)
{
    uint64_t w0 = h.h1 + 1, i = sl_fp_pos(h.h1, u->n);
    for (;;) {
        uint64_t *s = u->slots + 4 * i;
        if (!s[0]) {
            pack(s, h, v);
            u->used++;
            return;
        }
        if (match(s, w0, h)) {
            pack(s, h, v);
            return;
        }
        if (++i == u->n) i = 0;
    }
}

static uint64_t *find(const sl_utxo *u, sl_fp h)
{
    uint64_t w0 = h.h1 + 1, i = sl_fp_pos(h.h1, u->n);
    for (;;) {
        uint64_t *s = u->slots + 4 * i;
        if (!s[0]) return NULL;
        if (match(s, w0, h)) return s;
        if (++i == u->n) i = 0;
    }
}

bool sl_utxo_get(const sl_utxo *u, sl_fp h, sl_utxo_ent *v)
{
    const uint64_t *s = find(u, h);
    if (!s) return false;
    unpack(s, v);
    return true;
}

bool sl_utxo_take(sl_utxo *u, sl_fp h, sl_utxo_ent *v)
{
    uint64_t *s = find(u, h), i, j;
    if (!s) return false;
    unpack(s, v);
    /* backward shift: move each following entry of the cluster into the hole when its
     * home position is not between the hole and it */
    i = (uint64_t)(s - u->slots) / 4;
    for (j = i + 1 == u->n ? 0 : i + 1;; j = j + 1 == u->n ? 0 : j + 1) {
        uint64_t *t = u->slots + 4 * j, home, dj, di;
        if (!t[0]) break;
        home = sl_fp_pos(t[0] - 1, u->n);
        dj = (j + u->n - home) % u->n; /* distance of j from its home */
        di = (j + u->n - i) % u->n;    /* distance of j from the hole */
        if (di <= dj) {
            memcpy(u->slots + 4 * i, t, SLOT_BYTES);
            i = j;
        }
    }
    memset(u->slots + 4 * i, 0, SLOT_BYTES);
    u->used--;
    return true;
}
