/* fpmap.c — the persistent fingerprint -> id map of fpmap.h: bucketed linear probing
 * over 64-byte buckets of four 16-byte slots, grown by rewriting into a new file that is
 * renamed over the old one. */
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
#define VERSION 3
#define SLOT_BYTES 16
#define BUCKET_SLOTS 4
#define MIN_BUCKETS 1024
#define H2_MASK 0x7fffffffULL
/* fill bounds: grow past MAX_FILL, to a size where the fill is GROW_TO */
#define MAX_FILL_NUM 17
#define MAX_FILL_DEN 20

static uint64_t slots_of(uint64_t nb) { return nb * BUCKET_SLOTS; }
static size_t file_bytes(uint64_t nb) { return SL_FPMAP_HEADER + (size_t)nb * 64; }
static bool over_fill(uint64_t used, uint64_t nb) { return used * MAX_FILL_DEN > slots_of(nb) * MAX_FILL_NUM; }

uint64_t sl_fpmap_bytes_for(uint64_t n) { return n * SLOT_BYTES * MAX_FILL_DEN / MAX_FILL_NUM + SL_FPMAP_HEADER; }

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
}

/* Writes a new, empty map of nb buckets at path (header, then the zeroed buckets with
 * their disk blocks reserved), synced. */
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
    m->slots = (uint64_t *)(m->map + SL_FPMAP_HEADER);
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
        if ((rc = sl_fpkey_random(&m->key))) return sl_err(e, SL_EIO, "getrandom: %s", strerror(errno));
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
    m->slots = NULL;
    m->fd = -1;
}

uint32_t sl_fpmap_find(const sl_fpmap *m, sl_fp h)
{
    uint64_t w0 = h.h1 + 1, tag = (h.h2 & H2_MASK) << 32, b;
    if (!m->slots) return SL_FPMAP_NONE;
    b = sl_fp_pos(h.h1, m->nb);
    for (uint64_t n = 0; n < m->nb; n++) {
        const uint64_t *s = m->slots + 8 * b;
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            uint64_t a = __atomic_load_n(&s[2 * i], __ATOMIC_ACQUIRE), w1;
            if (!a) return SL_FPMAP_NONE;
            if (a != w0) continue;
            w1 = __atomic_load_n(&s[2 * i + 1], __ATOMIC_RELAXED);
            if ((w1 & ~0xffffffffULL) == tag && (uint32_t)w1 != SL_FPMAP_NONE) return (uint32_t)w1;
        }
        if (++b == m->nb) b = 0;
    }
    return SL_FPMAP_NONE;
}

uint32_t sl_fpmap_upsert(sl_fpmap *m, sl_fp h, uint32_t new_id, bool *added)
{
    uint64_t w0 = h.h1 + 1, tag = (h.h2 & H2_MASK) << 32, b = sl_fp_pos(h.h1, m->nb);
    for (;;) {
        uint64_t *s = m->slots + 8 * b;
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            uint64_t a = s[2 * i];
            if (!a) {
                __atomic_store_n(&s[2 * i + 1], tag | new_id, __ATOMIC_RELAXED);
                __atomic_store_n(&s[2 * i], w0, __ATOMIC_RELEASE);
                m->used++;
                *added = true;
                return new_id;
            }
            if (a == w0 && (s[2 * i + 1] & ~0xffffffffULL) == tag && (uint32_t)s[2 * i + 1] != SL_FPMAP_NONE) {
                *added = false;
                return (uint32_t)s[2 * i + 1];
            }
        }
        if (++b == m->nb) b = 0;
    }
}

bool sl_fpmap_unadd(sl_fpmap *m, sl_fp h, uint32_t id)
{
    uint64_t w0 = h.h1 + 1, want = (h.h2 & H2_MASK) << 32 | id, b = sl_fp_pos(h.h1, m->nb);
    for (uint64_t n = 0; n < m->nb; n++) {
        uint64_t *s = m->slots + 8 * b;
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            if (!s[2 * i]) return false;
            if (s[2 * i] == w0 && s[2 * i + 1] == want) {
                __atomic_store_n(&s[2 * i], 0, __ATOMIC_RELEASE);
                s[2 * i + 1] = 0;
                m->used--;
                return true;
            }
        }
        if (++b == m->nb) b = 0;
    }
    return false;
}

bool sl_fpmap_remove(sl_fpmap *m, sl_fp h, uint32_t id)
{
    uint64_t w0 = h.h1 + 1, want = (h.h2 & H2_MASK) << 32 | id, b = sl_fp_pos(h.h1, m->nb);
    for (uint64_t n = 0; n < m->nb; n++) {
        uint64_t *s = m->slots + 8 * b;
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            if (!s[2 * i]) return false;
            if (s[2 * i] == w0 && s[2 * i + 1] == want) {
                __atomic_store_n(&s[2 * i + 1], (want & ~0xffffffffULL) | SL_FPMAP_NONE, __ATOMIC_RELEASE);
                return true;
            }
        }
        if (++b == m->nb) b = 0;
    }
    return false;
}

/* Rewrites the map with nb buckets, keeping the live entries. */
static int rebuild(sl_fpmap *m, uint64_t nb, sl_error *e)
{
    char tmp[600];
    sl_fpmap n = *m;
    uint64_t covered = sl_fpmap_covered(m);
    int fd, rc;
    snprintf(tmp, sizeof tmp, "%s.new", m->path);
    if ((rc = write_new(m, tmp, nb, covered, &fd, e))) return rc;
    n.map = NULL;
    n.fd = -1;
    if ((rc = map_fd(&n, fd, e))) {
        if (!n.map) close(fd);
        else sl_fpmap_close(&n);
        unlink(tmp);
        return rc;
    }
    n.used = 0;
    for (uint64_t i = 0; i < slots_of(m->nb); i++) {
        uint64_t a = m->slots[2 * i], w1 = m->slots[2 * i + 1], b;
        if (!a || (uint32_t)w1 == SL_FPMAP_NONE) continue;
        for (b = sl_fp_pos(a - 1, nb);; b = b + 1 == nb ? 0 : b + 1) {
            uint64_t *s = n.slots + 8 * b;
            int k = 0;
            while (k < BUCKET_SLOTS && s[2 * k]) k++;
            if (k < BUCKET_SLOTS) {
                s[2 * k] = a;
                s[2 * k + 1] = w1;
                break;
            }
        }
        n.used++;
    }
    sl_put_le64(n.map + 56, n.used);
    if (msync(n.map, n.map_len, MS_SYNC) != 0 || fsync(n.fd) != 0 || rename(tmp, m->path) != 0) {
        rc = sl_col_io_error(e, m->path, "growing the map", errno);
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
    return rebuild(m, nb, e);
}

uint64_t sl_fpmap_purge(sl_fpmap *m, uint64_t n)
{
    uint64_t gone = 0, used = 0;
    for (uint64_t i = 0; i < slots_of(m->nb); i++) {
        uint64_t w1 = m->slots[2 * i + 1];
        uint32_t id = (uint32_t)w1;
        if (!m->slots[2 * i]) continue;
        used++;
        if (id != SL_FPMAP_NONE && id >= n) {
            m->slots[2 * i + 1] = (w1 & ~0xffffffffULL) | SL_FPMAP_NONE;
            gone++;
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
