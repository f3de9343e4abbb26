/* column.c — memory-mapped, append-mostly column files: create with a versioned header,
 * grow geometrically (sparse until written), sync a written range, validate on open. */
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
    if (st.st_size == 0 && rw) {
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, MAGIC, 8);
        sl_put_le32(hdr + 8, 1);
        sl_put_le32(hdr + 12, (uint32_t)rec);
        snprintf((char *)hdr + 16, 32, "%s", name);
        if (pwrite(c->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fsync(c->fd) != 0)
            return sl_err(e, SL_EIO, "%s: cannot write header: %s", c->path, strerror(errno));
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

void sl_col_close(sl_col *c)
{
    if (c->map) munmap(c->map, c->map_len);
    if (c->fd >= 0) close(c->fd);
    c->map = NULL;
    c->fd = -1;
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

int sl_col_reserve(sl_col *c, uint64_t n, sl_error *e)
{
    size_t need = SL_COL_HEADER + (size_t)n * c->rec, len;
    if (need <= c->map_len)
        return SL_OK;
    len = c->map_len < (1u << 20) ? (1u << 20) : c->map_len;
    while (len < need) len += len / 2 + (1u << 20);
    if (ftruncate(c->fd, (off_t)len) != 0)
        return sl_err(e, SL_EIO, "%s: cannot grow to %zu bytes: %s", c->path, len, strerror(errno));
    return remap(c, len, e);
}

int sl_col_refresh(sl_col *c, sl_error *e)
{
    struct stat st;
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
        return sl_err(e, SL_EIO, "%s: msync: %s", c->path, strerror(errno));
    return SL_OK;
}
