/* column.c — memory-mapped, append-mostly column files: create with a versioned header,
 * grow geometrically, sync a written range, validate on open.
 *
 * Disk space is reserved (posix_fallocate) before a record is written through the
 * mapping, a few MiB ahead of the writer: a store on a full disk gets "disk full at FILE"
 * from sl_col_reserve instead of a SIGBUS at the first write to a page the file system
 * cannot back. The mapping itself grows geometrically (ftruncate, sparse past the
 * reserved part). */
#include "column.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sleuth/util.h"

static const char MAGIC[8] = "SLEUTHC";
#define RESERVE_AHEAD ((size_t)8 << 20)

int sl_col_io_error(sl_error *e, const char *path, const char *what, int err)
{
    if (err == ENOSPC)
        return sl_err(e, SL_EIO, "disk full at %s (%s): free some space and run the command again; the store "
                      "stays at its last commit", path, what);
    if (err == EDQUOT)
        return sl_err(e, SL_EIO, "disk quota exceeded at %s (%s); the store stays at its last commit", path, what);
    if (err == EFBIG)
        return sl_err(e, SL_EIO, "file size limit reached at %s (%s): see `ulimit -f`; the store stays at its "
                      "last commit", path, what);
    return sl_err(e, SL_EIO, "%s: %s: %s", path, what, strerror(err));
}

int sl_col_open(sl_col *c, const char *dir, const char *name, size_t rec, bool rw, sl_error *e)
{
    struct stat st;
    uint8_t hdr[SL_COL_HEADER];
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->rec = rec;
    c->rw = rw;
    snprintf(c->path, sizeof c->path, "%s/%s.col", dir, name);
    c->fd = open(c->path, (rw ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
    if (c->fd < 0)
        return sl_err(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "%s: cannot open: %s", c->path, strerror(errno));
    if (fstat(c->fd, &st) != 0)
        return sl_err(e, SL_EIO, "%s: stat: %s", c->path, strerror(errno));
    if (!rw && st.st_size < SL_COL_HEADER) /* created, header not yet written: a creation was interrupted */
        return sl_err(e, SL_ENOTFOUND, "%s: file too short for a column header", c->path);
    if (st.st_size < SL_COL_HEADER && rw) {
        if (st.st_size && ftruncate(c->fd, 0) != 0) return sl_col_io_error(e, c->path, "truncate", errno);
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, MAGIC, 8);
        sl_put_le32(hdr + 8, 1);
        sl_put_le32(hdr + 12, (uint32_t)rec);
        snprintf((char *)hdr + 16, 32, "%s", name);
        if (pwrite(c->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fsync(c->fd) != 0)
            return sl_col_io_error(e, c->path, "writing the header", errno ? errno : ENOSPC);
        st.st_size = sizeof hdr;
    }
    if (st.st_size < SL_COL_HEADER)
        return sl_err(e, SL_ESTORE, "%s: file too short for a column header", c->path);
    c->map_len = (size_t)st.st_size;
    c->map = mmap(NULL, c->map_len, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, c->fd, 0);
    if (c->map == MAP_FAILED) {
        c->map = NULL;
        return sl_err(e, SL_EIO, "%s: mmap: %s", c->path, strerror(errno));
    }
    if (memcmp(c->map, MAGIC, 8) != 0)
        return sl_err(e, SL_ESTORE, "%s: not a sleuth column (bad magic)", c->path);
    if (sl_le32(c->map + 8) != 1)
        return sl_err(e, SL_EVERSION, "%s: column format version %u, this sleuth reads 1", c->path, sl_le32(c->map + 8));
    if (sl_le32(c->map + 12) != rec)
        return sl_err(e, SL_ESTORE, "%s: record size %u, expected %zu", c->path, sl_le32(c->map + 12), rec);
    return SL_OK;
}

static int remap(sl_col *c, size_t len, sl_error *e)
{
    void *m = mremap(c->map, c->map_len, len, MREMAP_MAYMOVE);
    if (m == MAP_FAILED)
        return sl_err(e, SL_EIO, "%s: mremap: %s", c->path, strerror(errno));
    c->map = m;
    c->map_len = len;
    return SL_OK;
}

void sl_col_trim(sl_col *c, uint64_t n)
{
    size_t len = SL_COL_HEADER + (size_t)n * c->rec;
    if (c->fd < 0 || !c->rw || len >= c->map_len) return;
    /* best effort: a failure only leaves reserved space behind */
    if (ftruncate(c->fd, (off_t)len) == 0) {
        c->alloc_len = c->alloc_len < len ? c->alloc_len : len;
        if (remap(c, len, NULL) != SL_OK) sl_col_close(c);
    }
}

void sl_col_close(sl_col *c)
{
    sl_free(c->wbuf);
    c->wbuf = NULL;
    c->wn = c->wcap = 0;
    if (c->map) munmap(c->map, c->map_len);
    if (c->fd >= 0) close(c->fd);
    c->map = NULL;
    c->fd = -1;
}

int sl_col_reserve(sl_col *c, uint64_t n, sl_error *e)
{
    size_t need = SL_COL_HEADER + (size_t)n * c->rec, len, to;
    int err;
    if (need <= c->alloc_len)
        return SL_OK;
    if (need > c->map_len) {
        len = c->map_len < (1u << 20) ? (1u << 20) : c->map_len;
        while (len < need) len += len / 2 + (1u << 20);
        if (ftruncate(c->fd, (off_t)len) != 0)
            return sl_col_io_error(e, c->path, "growing the file", errno);
        if (remap(c, len, e))
            return e ? e->code : SL_EIO;
    }
    /* back the pages about to be written with real blocks (a few MiB at a time) */
    to = need + RESERVE_AHEAD < c->map_len ? need + RESERVE_AHEAD : c->map_len;
    if ((err = posix_fallocate(c->fd, (off_t)c->alloc_len, (off_t)(to - c->alloc_len))) != 0 && err != EINVAL &&
        err != EOPNOTSUPP)
        return sl_col_io_error(e, c->path, "reserving disk space", err);
    c->alloc_len = to;
    return SL_OK;
}

int sl_col_refresh(sl_col *c, sl_error *e)
{
    struct stat st;
    if (c->fd < 0)
        return SL_OK; /* absent column of a never-committed chain: stays empty */
    if (fstat(c->fd, &st) != 0)
        return sl_err(e, SL_EIO, "%s: stat: %s", c->path, strerror(errno));
    if ((size_t)st.st_size > c->map_len)
        return remap(c, (size_t)st.st_size, e);
    return SL_OK;
}

int sl_col_sync(sl_col *c, uint64_t from, uint64_t to, sl_error *e)
{
    size_t a, b, pg = (size_t)sysconf(_SC_PAGESIZE);
    if (to <= from)
        return SL_OK;
    a = SL_COL_HEADER + (size_t)from * c->rec;
    b = SL_COL_HEADER + (size_t)to * c->rec;
    a &= ~(pg - 1);
    if (msync(c->map + a, b - a, MS_SYNC) != 0)
        return sl_col_io_error(e, c->path, "msync", errno);
    return SL_OK;
}

/* ---- buffered appends ---- */

#define WBUF_BYTES ((size_t)1 << 20)

void sl_col_append_start(sl_col *c, uint64_t n)
{
    c->wfirst = n;
    c->wn = 0;
}

int sl_col_flush(sl_col *c, sl_error *e)
{
    size_t done = 0;
    off_t at = (off_t)(SL_COL_HEADER + c->wfirst * c->rec);
    while (done < c->wn) {
        ssize_t r = pwrite(c->fd, c->wbuf + done, c->wn - done, at + (off_t)done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return sl_col_io_error(e, c->path, "writing records", r < 0 ? errno : ENOSPC);
        done += (size_t)r;
    }
    c->wfirst += c->wn / c->rec;
    c->wn = 0;
    return SL_OK;
}

void *sl_col_add_n(sl_col *c, size_t n, sl_error *e)
{
    void *p;
    size_t need = n * c->rec;
    if (!c->wbuf || c->wcap < need) {
        size_t cap = WBUF_BYTES > need ? WBUF_BYTES : need;
        void *q;
        cap -= cap % c->rec;
        if (c->wn && sl_col_flush(c, e)) return NULL;
        if (!(q = sl_realloc(c->wbuf, cap))) {
            sl_err(e, SL_ENOMEM, "out of memory");
            return NULL;
        }
        c->wbuf = q;
        c->wcap = cap;
    }
    if (c->wn + need > c->wcap && sl_col_flush(c, e)) return NULL;
    p = c->wbuf + c->wn;
    c->wn += need;
    return p;
}

void *sl_col_add_slow(sl_col *c, sl_error *e) { return sl_col_add_n(c, 1, e); }

const void *sl_col_rec_n(sl_col *c, uint64_t i, uint64_t n)
{
    if (i >= c->wfirst) return i + n <= sl_col_next(c) ? c->wbuf + (i - c->wfirst) * c->rec : NULL;
    if (SL_COL_HEADER + (i + n) * c->rec > c->map_len && sl_col_refresh(c, NULL) != SL_OK) return NULL;
    if (SL_COL_HEADER + (i + n) * c->rec > c->map_len) return NULL;
    return sl_col_at(c, i);
}

const void *sl_col_rec(sl_col *c, uint64_t i) { return sl_col_rec_n(c, i, 1); }

int sl_col_datasync(sl_col *c, sl_error *e)
{
    if (c->fd >= 0 && fdatasync(c->fd) != 0) return sl_col_io_error(e, c->path, "fdatasync", errno);
    return SL_OK;
}

void sl_col_drop_cache(sl_col *c, uint64_t from, uint64_t to)
{
    if (c->fd >= 0 && to > from)
        posix_fadvise(c->fd, (off_t)(SL_COL_HEADER + from * c->rec), (off_t)((to - from) * c->rec), POSIX_FADV_DONTNEED);
}
