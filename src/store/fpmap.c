/* fpmap.c — the persistent fingerprint -> id map of fpmap.h: bucketed linear probing
 * over 64-byte buckets of five 12-byte slots (five h1 words, then five ids), grown by
 * writing the map anew from its owner's keys into a file renamed over the old one. */
#include "fpmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "sleuth/util.h"

static const char MAGIC[8] = "SLEUTHF";
#define VERSION 4
#define SLOT_BYTES 12
#define BUCKET_SLOTS 5
#define MIN_BUCKETS 1024
/* the fill at which the map grows (by 1.5x: it then lies between 0.6 and 0.9) */
#define MAX_FILL_NUM 9
#define MAX_FILL_DEN 10

/* bucket b's h1 words and ids */
static inline uint64_t *hw(const sl_fpmap *m, uint64_t b) { return (uint64_t *)(m->buckets + 64 * b); }
static inline uint32_t *idw(const sl_fpmap *m, uint64_t b) { return (uint32_t *)(m->buckets + 64 * b + 40); }

static uint64_t slots_of(uint64_t nb) { return nb * BUCKET_SLOTS; }
static size_t file_bytes(uint64_t nb) { return SL_FPMAP_HEADER + (size_t)nb * 64; }
static bool over_fill(uint64_t used, uint64_t nb) { return used * MAX_FILL_DEN > slots_of(nb) * MAX_FILL_NUM; }

uint64_t sl_fpmap_bytes_for(uint64_t n) { return n * 64 / BUCKET_SLOTS * MAX_FILL_DEN / MAX_FILL_NUM + SL_FPMAP_HEADER; }

static void put_header(uint8_t *h, const sl_fpmap *m, uint64_t nb, uint64_t used, uint64_t covered, bool dirty)
{
    memset(h, 0, SL_FPMAP_HEADER);
    memcpy(h, MAGIC, 8);
    sl_put_le32(h + 8, VERSION);
    sl_put_le32(h + 12, SLOT_BYTES);
    sl_fpkey_to_bytes(&m->key, h + 16);
    sl_put_le64(h + 48, nb);
    sl_put_le64(h + 56, used);
    sl_put_le64(h + 64, covered);
    sl_put_le32(h + 72, dirty);
    sl_put_le64(h + 80, m->base);
}

/* Writes a new, empty map of nb buckets at path (header, then the zeroed buckets with
 * their disk blocks reserved); *fdp gets the open file. */
static int write_new(const sl_fpmap *m, const char *path, uint64_t nb, uint64_t covered, int *fdp, sl_error *e)
{
    uint8_t h[SL_FPMAP_HEADER];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err;
    *fdp = -1;
    if (fd < 0) return sl_col_io_error(e, path, "create", errno);
    put_header(h, m, nb, 0, covered, true);
    if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) goto io;
    if ((err = posix_fallocate(fd, 0, (off_t)file_bytes(nb))) != 0 && err != EINVAL && err != EOPNOTSUPP) {
        errno = err;
        goto io;
    }
    if (ftruncate(fd, (off_t)file_bytes(nb)) != 0) goto io;
    *fdp = fd;
    return SL_OK;
io:
    err = errno ? errno : ENOSPC;
    close(fd);
    unlink(path);
    return sl_col_io_error(e, path, "writing a new map", err);
}

static int map_fd(sl_fpmap *m, int fd, sl_error *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return sl_err(e, SL_EIO, "%s: stat: %s", m->path, strerror(errno));
    if ((size_t)st.st_size < SL_FPMAP_HEADER) return sl_err(e, SL_ESTORE, "%s: too short for a map", m->path);
    m->map_len = (size_t)st.st_size;
    m->map = mmap(NULL, m->map_len, m->rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        return sl_err(e, SL_EIO, "%s: mmap: %s", m->path, strerror(errno));
    }
    /* every look-up lands on a random page: huge pages spare a TLB miss each (a hint) */
    madvise(m->map, m->map_len, MADV_HUGEPAGE);
    if (memcmp(m->map, MAGIC, 8) != 0) return sl_err(e, SL_ESTORE, "%s: not a sleuth map (bad magic)", m->path);
    if (sl_le32(m->map + 8) != VERSION)
        return sl_err(e, SL_EVERSION, "%s: map format version %u, this sleuth reads %u", m->path, sl_le32(m->map + 8),
                      VERSION);
    m->nb = sl_le64(m->map + 48);
    if (sl_le32(m->map + 12) != SLOT_BYTES || m->nb == 0 || file_bytes(m->nb) > m->map_len)
        return sl_err(e, SL_ESTORE, "%s: map header does not match the file", m->path);
    sl_fpkey_from_bytes(&m->key, m->map + 16);
    m->used = sl_le64(m->map + 56);
    m->base = sl_le64(m->map + 80);
    m->buckets = m->map + SL_FPMAP_HEADER;
    m->fd = fd;
    m->ino = st.st_ino;
    return SL_OK;
}

static void set_dirty(sl_fpmap *m, bool d)
{
    uint8_t b[4];
    sl_put_le32(b, d);
    if (pwrite(m->fd, b, 4, 72) != 4) { /* the next checkpoint rewrites it */ }
}

int sl_fpmap_open(sl_fpmap *m, const char *dir, const char *name, bool rw, sl_error *e)
{
    int fd, rc;
    struct stat st;
    memset(m, 0, sizeof *m);
    m->fd = -1;
    m->rw = rw;
    snprintf(m->path, sizeof m->path, "%s/%s.map", dir, name);
    fd = open(m->path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    /* a missing map, or one whose creation was interrupted (no header yet), is made anew:
     * written whole as NAME.map.new and renamed, so a kill leaves none or a whole one */
    if (rw && fd >= 0 && fstat(fd, &st) == 0 && st.st_size < SL_FPMAP_HEADER) {
        close(fd);
        fd = -1;
        errno = ENOENT;
    }
    if (rw && fd < 0 && errno == ENOENT) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.new", m->path);
        if (sl_fpkey_random(&m->key)) return sl_err(e, SL_EIO, "getrandom: %s", strerror(errno));
        if ((rc = write_new(m, tmp, MIN_BUCKETS, 0, &fd, e))) return rc;
        if (fsync(fd) != 0 || rename(tmp, m->path) != 0) {
            rc = sl_col_io_error(e, m->path, "creating the map", errno);
            close(fd);
            unlink(tmp);
            return rc;
        }
    }
    if (fd < 0)
        return sl_err(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "%s: cannot open: %s", m->path, strerror(errno));
    if ((rc = map_fd(m, fd, e))) {
        if (!m->map) close(fd);
        return rc;
    }
    if (rw) {
        set_dirty(m, true);
        if (fdatasync(m->fd) != 0) return sl_col_io_error(e, m->path, "fdatasync", errno);
    }
    return SL_OK;
}

void sl_fpmap_close(sl_fpmap *m)
{
    if (m->map) munmap(m->map, m->map_len);
    if (m->fd >= 0) close(m->fd);
    m->map = NULL;
    m->buckets = NULL;
    m->fd = -1;
}

void sl_fpmap_set_keys(sl_fpmap *m, sl_fpmap_count_fn count, sl_fpmap_key_fn keyof, void *ctx)
{
    m->count = count;
    m->keyof = keyof;
    m->kctx = ctx;
}

uint32_t sl_fpmap_find(const sl_fpmap *m, sl_fp h)
{
    uint64_t w0 = h.h1 + 1, b;
    if (!m->buckets) return SL_FPMAP_NONE;
    b = sl_fp_pos(h.h2, m->nb);
    for (uint64_t n = 0; n < m->nb; n++) {
        const uint64_t *hs = hw(m, b);
        const uint32_t *ids = idw(m, b);
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            uint64_t a = __atomic_load_n(&hs[i], __ATOMIC_ACQUIRE);
            uint32_t id;
            if (!a) return SL_FPMAP_NONE;
            if (a != w0) continue;
            id = __atomic_load_n(&ids[i], __ATOMIC_RELAXED);
            if (id != SL_FPMAP_NONE) return id;
        }
        if (++b == m->nb) b = 0;
    }
    return SL_FPMAP_NONE;
}

/* Stores (w0, id) in the first empty slot of the probe from bucket b. */
static void place(const sl_fpmap *m, uint64_t b, uint64_t w0, uint32_t id)
{
    for (;;) {
        uint64_t *hs = hw(m, b);
        uint32_t *ids = idw(m, b);
        for (int i = 0; i < BUCKET_SLOTS; i++)
            if (!hs[i]) {
                __atomic_store_n(&ids[i], id, __ATOMIC_RELAXED);
                __atomic_store_n(&hs[i], w0, __ATOMIC_RELEASE);
                return;
            }
        if (++b == m->nb) b = 0;
    }
}

uint32_t sl_fpmap_upsert(sl_fpmap *m, sl_fp h, uint32_t new_id, bool *added)
{
    uint64_t w0 = h.h1 + 1, b = sl_fp_pos(h.h2, m->nb);
    for (;;) {
        uint64_t *hs = hw(m, b);
        uint32_t *ids = idw(m, b);
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            uint64_t a = hs[i];
            if (!a) {
                __atomic_store_n(&ids[i], new_id, __ATOMIC_RELAXED);
                __atomic_store_n(&hs[i], w0, __ATOMIC_RELEASE);
                m->used++;
                *added = true;
                return new_id;
            }
            if (a == w0 && ids[i] != SL_FPMAP_NONE) {
                *added = false;
                return ids[i];
            }
        }
        if (++b == m->nb) b = 0;
    }
}

/* The slot holding (h, id): its bucket and index, false when none. */
static bool locate(const sl_fpmap *m, sl_fp h, uint32_t id, uint64_t *bo, int *io)
{
    uint64_t w0 = h.h1 + 1, b = sl_fp_pos(h.h2, m->nb);
    for (uint64_t n = 0; n < m->nb; n++) {
        const uint64_t *hs = hw(m, b);
        const uint32_t *ids = idw(m, b);
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            if (!hs[i]) return false;
            if (hs[i] == w0 && ids[i] == id) {
                *bo = b;
                *io = i;
                return true;
            }
        }
        if (++b == m->nb) b = 0;
    }
    return false;
}

bool sl_fpmap_unadd(sl_fpmap *m, sl_fp h, uint32_t id)
{
    uint64_t b;
    int i;
    if (!locate(m, h, id, &b, &i)) return false;
    __atomic_store_n(&hw(m, b)[i], 0, __ATOMIC_RELEASE);
    idw(m, b)[i] = 0;
    m->used--;
    return true;
}

bool sl_fpmap_remove(sl_fpmap *m, sl_fp h, uint32_t id)
{
    uint64_t b;
    int i;
    if (!locate(m, h, id, &b, &i)) return false;
    __atomic_store_n(&idw(m, b)[i], SL_FPMAP_NONE, __ATOMIC_RELEASE);
    return true;
}

/* Writes the map anew into NAME.map.new with nb buckets holding ids from base on —
 * refilled from the owner's keys when `fill`, else empty — syncs it and renames it over
 * the old file; m becomes the new map. `what` names the step in an error. */
static int replace(sl_fpmap *m, uint64_t base, uint64_t nb, uint64_t covered, bool fill, const char *what,
                   sl_error *e)
{
    char tmp[600];
    sl_fpmap n = *m;
    uint64_t count = 0;
    int fd, rc;
    if (fill && (!m->keyof || !m->count))
        return sl_err(e, SL_ESTORE, "%s: the map must grow and has no key source", m->path);
    if (fill) count = m->count(m->kctx);
    n.base = base;
    snprintf(tmp, sizeof tmp, "%s.new", m->path);
    if ((rc = write_new(&n, tmp, nb, covered, &fd, e))) return rc;
    n.map = NULL;
    n.fd = -1;
    if ((rc = map_fd(&n, fd, e))) {
        if (!n.map) close(fd);
        else sl_fpmap_close(&n);
        unlink(tmp);
        return rc;
    }
    n.used = 0;
    for (uint64_t id = base; id < count && id < SL_FPMAP_NONE; id++) {
        size_t len;
        const void *k = m->keyof(m->kctx, (uint32_t)id, &len);
        sl_fp f;
        if (!k) continue;
        f = sl_fp_bytes(&m->key, k, len);
        place(&n, sl_fp_pos(f.h2, nb), f.h1 + 1, (uint32_t)id);
        n.used++;
    }
    sl_put_le64(n.map + 56, n.used);
    if (msync(n.map, n.map_len, MS_SYNC) != 0 || fsync(n.fd) != 0 || rename(tmp, m->path) != 0) {
        rc = sl_col_io_error(e, m->path, what, errno);
        sl_fpmap_close(&n);
        unlink(tmp);
        return rc;
    }
    n.gen = m->gen + 1;
    sl_fpmap_close(m);
    *m = n;
    return SL_OK;
}

int sl_fpmap_reserve(sl_fpmap *m, uint64_t more, sl_error *e)
{
    uint64_t nb = m->nb, need = m->used + more;
    if (!over_fill(need, nb)) return SL_OK;
    while (over_fill(need, nb) || nb < m->nb + m->nb / 2) nb += nb / 2 + 1;
    return replace(m, m->base, nb, sl_fpmap_covered(m), true, "growing the map", e);
}

int sl_fpmap_reset(sl_fpmap *m, uint64_t base, uint64_t more, sl_error *e)
{
    uint64_t nb = MIN_BUCKETS;
    while (over_fill(more, nb)) nb += nb / 2 + 1;
    return replace(m, base, nb, base, false, "starting the map anew", e);
}

uint64_t sl_fpmap_purge(sl_fpmap *m, uint64_t n)
{
    uint64_t gone = 0, used = 0;
    for (uint64_t b = 0; b < m->nb; b++) {
        uint64_t *hs = hw(m, b);
        uint32_t *ids = idw(m, b);
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            if (!hs[i]) continue;
            used++;
            if (ids[i] != SL_FPMAP_NONE && ids[i] >= n) {
                ids[i] = SL_FPMAP_NONE;
                gone++;
            }
        }
    }
    m->used = used;
    return gone;
}

uint64_t sl_fpmap_covered(const sl_fpmap *m) { return m->map ? sl_le64(m->map + 64) : 0; }
bool sl_fpmap_dirty(const sl_fpmap *m) { return m->map && sl_le32(m->map + 72) != 0; }

int sl_fpmap_checkpoint(sl_fpmap *m, uint64_t covered, bool clean, sl_error *e)
{
    uint8_t b[8];
    if (!m->map || !m->rw) return SL_OK;
    if (msync(m->map, m->map_len, MS_SYNC) != 0) return sl_col_io_error(e, m->path, "msync", errno);
    sl_put_le64(b, m->used);
    if (pwrite(m->fd, b, 8, 56) != 8) return sl_col_io_error(e, m->path, "writing the header", errno);
    sl_put_le64(b, covered);
    if (pwrite(m->fd, b, 8, 64) != 8) return sl_col_io_error(e, m->path, "writing the header", errno);
    if (clean) set_dirty(m, false);
    if (fdatasync(m->fd) != 0) return sl_col_io_error(e, m->path, "fdatasync", errno);
    return SL_OK;
}

int sl_fpmap_refresh(sl_fpmap *m, sl_error *e)
{
    struct stat st;
    int fd, rc;
    sl_fpmap n;
    if (m->rw || (m->map && stat(m->path, &st) == 0 && st.st_ino == m->ino)) return SL_OK;
    if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0) return m->map ? SL_OK : SL_ENOTFOUND;
    n = *m;
    n.map = NULL;
    if ((rc = map_fd(&n, fd, e))) {
        if (!n.map) close(fd);
        else sl_fpmap_close(&n);
        return rc;
    }
    sl_fpmap_close(m);
    *m = n;
    return SL_OK;
}
