/* hidx.c — the store's persistent hash indexes (format and rules in hidx.h): opening and
 * creating the file, hashing with the file's own random key (SipHash-2-4 of
 * sleuth/hashtab.h), insertion, rebuilding into a larger file, checkpoints. */
#include "hidx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column.h"
#include "sleuth/hashtab.h"
#include "sleuth/util.h"

static const char MAGIC[8] = "SLEUTHH";
#define VERSION 2
#define MIN_SLOTS ((uint64_t)1 << 16)

uint64_t sl_hidx_hash(const sl_hidx *h, const void *k, size_t n) { return sl_hash_bytes_seeded(h->key, k, n); }

static int map_file(sl_hidx *h, sl_error *e)
{
    struct stat st;
    if (fstat(h->fd, &st) != 0) return sl_err(e, SL_EIO, "%s: stat: %s", h->path, strerror(errno));
    if (st.st_size < SL_HIDX_HEADER + (off_t)(8 * MIN_SLOTS))
        return sl_err(e, SL_ESTORE, "%s: file too short for an index", h->path);
    h->map_len = (size_t)st.st_size;
    h->ino = st.st_ino;
    h->map = mmap(NULL, h->map_len, h->rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, h->fd, 0);
    if (h->map == MAP_FAILED) {
        h->map = NULL;
        return sl_err(e, SL_EIO, "%s: mmap: %s", h->path, strerror(errno));
    }
    if (memcmp(h->map, MAGIC, 8) != 0) return sl_err(e, SL_ESTORE, "%s: not a sleuth index (bad magic)", h->path);
    if (sl_le32(h->map + 8) != VERSION)
        return sl_err(e, SL_EVERSION, "%s: index format version %u, this sleuth reads %u", h->path,
                      sl_le32(h->map + 8), VERSION);
    {
        uint64_t slots = sl_le64(h->map + 32);
        if (slots < MIN_SLOTS || (slots & (slots - 1)) || SL_HIDX_HEADER + slots * 8 != h->map_len)
            return sl_err(e, SL_ESTORE, "%s: index header says %llu slots for a file of %zu bytes", h->path,
                          (unsigned long long)slots, h->map_len);
        h->mask = slots - 1;
    }
    memcpy(h->key, h->map + 16, 16);
    h->used = sl_le64(h->map + 48);
    h->slot = (uint64_t *)(h->map + SL_HIDX_HEADER);
    return SL_OK;
}

/* Writes an empty index of `slots` slots with a fresh random key to fd. */
static int write_empty(int fd, const char *path, uint64_t slots, const uint8_t *key, sl_error *e)
{
    uint8_t hdr[SL_HIDX_HEADER];
    int err;
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, MAGIC, 8);
    sl_put_le32(hdr + 8, VERSION);
    memcpy(hdr + 16, key, 16);
    sl_put_le64(hdr + 32, slots);
    if (ftruncate(fd, (off_t)(SL_HIDX_HEADER + slots * 8)) != 0) return sl_col_io_error(e, path, "sizing", errno);
    if ((err = posix_fallocate(fd, 0, (off_t)(SL_HIDX_HEADER + slots * 8))) != 0 && err != EINVAL && err != EOPNOTSUPP)
        return sl_col_io_error(e, path, "reserving disk space", err);
    if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) return sl_col_io_error(e, path, "header", errno);
    return SL_OK;
}

static void set_dirty(sl_hidx *h, bool dirty) { sl_put_le32(h->map + 56, dirty); }

/* Creates h->path as an empty index, all at once: written and synced as PATH.new, then
 * renamed, so a process killed meanwhile leaves either no index or a whole one (never a
 * sized file without its header, which the next open would refuse). */
static int create_index(sl_hidx *h, sl_error *e)
{
    char tmp[512 + 8];
    uint8_t key[16];
    int fd, rc;
    snprintf(tmp, sizeof tmp, "%s.new", h->path);
    if (sl_hash_random_key(key) != SL_OK) return sl_err(e, SL_EIO, "getrandom: %s", strerror(errno));
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return sl_col_io_error(e, tmp, "create", errno);
    if ((rc = write_empty(fd, tmp, MIN_SLOTS, key, e)) || (fsync(fd) != 0 && (rc = sl_col_io_error(e, tmp, "fsync", errno)))) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, h->path) != 0) {
        rc = sl_col_io_error(e, h->path, "rename", errno);
        unlink(tmp);
        return rc;
    }
    return SL_OK;
}

int sl_hidx_open(sl_hidx *h, const char *dir, const char *name, bool rw, sl_error *e)
{
    struct stat st;
    uint8_t magic[8];
    int rc;
    memset(h, 0, sizeof *h);
    h->rw = rw;
    snprintf(h->path, sizeof h->path, "%s/%s.idx", dir, name);
    h->fd = open(h->path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    /* a writer creates a missing index, and remakes one whose creation an older sleuth
     * was killed in (shorter than a header, or sized with the header still zero) */
    if (rw && h->fd >= 0 && fstat(h->fd, &st) == 0 &&
        (st.st_size < SL_HIDX_HEADER ||
         (pread(h->fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic && !memcmp(magic, "\0\0\0\0\0\0\0\0", 8)))) {
        close(h->fd);
        h->fd = -1;
        errno = ENOENT;
    }
    if (rw && h->fd < 0 && errno == ENOENT) {
        if ((rc = create_index(h, e))) return rc;
        h->fd = open(h->path, O_RDWR | O_CLOEXEC);
    }
    if (h->fd < 0)
        return sl_err(e, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "%s: cannot open: %s", h->path, strerror(errno));
    if ((rc = map_file(h, e))) return rc;
    if (rw) set_dirty(h, true);
    return SL_OK;
}

void sl_hidx_close(sl_hidx *h)
{
    sl_free(h->undo);
    h->undo = NULL;
    h->nundo = h->capundo = 0;
    if (h->map) munmap(h->map, h->map_len);
    if (h->fd >= 0) close(h->fd);
    h->map = NULL;
    h->slot = NULL;
    h->fd = -1;
}

uint64_t sl_hidx_covered(const sl_hidx *h) { return sl_le64(h->map + 40); }
bool sl_hidx_dirty(const sl_hidx *h) { return sl_le32(h->map + 56) != 0; }

void sl_hidx_insert(sl_hidx *h, uint64_t hash, uint64_t id)
{
    uint64_t i = hash & h->mask, v = (hash >> 40) << 40 | (id + 1);
    for (; h->slot[i]; i = (i + 1) & h->mask)
        if (h->slot[i] == v) return; /* already there (re-ingested after a rollback) */
    __atomic_store_n(&h->slot[i], v, __ATOMIC_RELEASE);
    h->used++;
    if (h->capundo != (size_t)-1) {
        void *q = h->undo;
        if (sl_grow(&q, &h->capundo, h->nundo + 1, sizeof *h->undo) == SL_OK) {
            h->undo = q;
            h->undo[h->nundo++] = i;
        } else {
            h->capundo = (size_t)-1; /* out of memory: the batch's slots stay (harmless) */
        }
    }
}

void sl_hidx_mark(sl_hidx *h)
{
    if (h->capundo == (size_t)-1) h->capundo = 0;
    h->nundo = 0;
}

void sl_hidx_undo(sl_hidx *h)
{
    if (h->capundo != (size_t)-1 && h->slot)
        while (h->nundo) {
            h->slot[h->undo[--h->nundo]] = 0;
            h->used--;
        }
    h->nundo = 0;
}

int sl_hidx_checkpoint(sl_hidx *h, uint64_t covered, bool clean, sl_error *e)
{
    sl_put_le64(h->map + 48, h->used);
    if (msync(h->map, h->map_len, MS_SYNC) != 0) return sl_col_io_error(e, h->path, "msync", errno);
    sl_put_le64(h->map + 40, covered);
    set_dirty(h, !clean);
    if (msync(h->map, 4096, MS_SYNC) != 0) return sl_col_io_error(e, h->path, "msync", errno);
    return SL_OK;
}

int sl_hidx_rebuild(sl_hidx *h, uint64_t n, uint64_t more, uint64_t (*hash_of)(void *ctx, uint64_t id), void *ctx,
                    sl_error *e)
{
    char tmp[512];
    uint64_t slots = MIN_SLOTS;
    uint8_t key[16];
    int fd, rc;
    sl_hidx nh;
    while (slots < 2 * (n + more)) slots *= 2;
    if (strlen(h->path) + 5 > sizeof tmp) return sl_err(e, SL_EUSAGE, "%s: path too long", h->path);
    memcpy(tmp, h->path, strlen(h->path));
    memcpy(tmp + strlen(h->path), ".new", 5);
    memcpy(key, h->map + 16, 16);
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return sl_col_io_error(e, tmp, "create", errno);
    if ((rc = write_empty(fd, tmp, slots, key, e))) { close(fd); unlink(tmp); return rc; }
    memset(&nh, 0, sizeof nh);
    nh.fd = fd;
    nh.rw = true;
    memcpy(nh.path, tmp, sizeof nh.path);
    if ((rc = map_file(&nh, e))) { sl_hidx_close(&nh); unlink(tmp); return rc; }
    for (uint64_t id = 0; id < n; id++) sl_hidx_insert(&nh, hash_of(ctx, id), id);
    set_dirty(&nh, true);
    if ((rc = sl_hidx_checkpoint(&nh, n, false, e))) { sl_hidx_close(&nh); unlink(tmp); return rc; }
    if (rename(tmp, h->path) != 0) {
        rc = sl_col_io_error(e, h->path, "rename", errno);
        sl_hidx_close(&nh);
        unlink(tmp);
        return rc;
    }
    snprintf(nh.path, sizeof nh.path, "%s", h->path);
    sl_hidx_close(h);
    *h = nh; /* the slots filled so far are in the new file (no undo list) */
    return SL_OK;
}

int sl_hidx_refresh(sl_hidx *h, sl_error *e)
{
    struct stat st;
    sl_hidx nh;
    char dir[512], *slash, name[128];
    int rc;
    if (h->fd < 0 || stat(h->path, &st) != 0 || st.st_ino == h->ino) return SL_OK;
    snprintf(dir, sizeof dir, "%s", h->path);
    if (!(slash = strrchr(dir, '/'))) return SL_OK;
    *slash = 0;
    snprintf(name, sizeof name, "%s", slash + 1);
    name[strlen(name) - 4] = 0; /* ".idx" */
    if ((rc = sl_hidx_open(&nh, dir, name, false, e))) return rc;
    sl_hidx_close(h);
    *h = nh;
    return SL_OK;
}
