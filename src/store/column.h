/* column.h — private to the store: one memory-mapped column file of fixed-width records
 * (the header format is described in include/sleuth/store.h).
 *
 * Readers and in-place writes (spent marks) go through the mapping. Appends go through a
 * write buffer flushed with pwrite (sl_col_add, sl_col_flush): new pages are filled by
 * the kernel's copy instead of being faulted in and zeroed one by one through the mapping
 * (that cost format 2 about a microsecond per transaction). */
#ifndef SLEUTH_STORE_COLUMN_H
#define SLEUTH_STORE_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/err.h"

#define SL_COL_HEADER 64

typedef struct sl_col {
    int fd;
    bool rw;
    uint8_t *map;
    size_t map_len;   /* bytes mapped (= file size) */
    size_t alloc_len; /* bytes known to have disk blocks reserved (writers) */
    size_t rec;       /* record size */
    char path[512];
    /* writers' appends: records [wfirst, wfirst + wn / rec) are in wbuf, not yet in the file */
    uint8_t *wbuf;
    size_t wn, wcap;
    uint64_t wfirst;
} sl_col;

/* Opens DIR/NAME.col (rw: creates it, or rewrites a header a crash left short). Errors:
 * SL_ENOTFOUND (reader: missing, or shorter than a header — an interrupted creation, which
 * the caller accepts when the commit record says the column is empty), SL_EIO (with "disk
 * full at FILE" and the like), SL_ESTORE/SL_EVERSION (not a column of this format). */
int sl_col_open(sl_col *c, const char *dir, const char *name, size_t rec, bool rw, sl_error *e) SL_MUST_USE;
/* A located I/O error: ENOSPC, EDQUOT and EFBIG (ulimit -f) say so in words. Returns SL_EIO. */
int sl_col_io_error(sl_error *e, const char *path, const char *what, int err);
void sl_col_close(sl_col *c);
/* Writers, at close: gives back the space reserved past record n (the committed count). */
void sl_col_trim(sl_col *c, uint64_t n);
/* Makes room for n records (writers only), disk blocks reserved so writing them through
 * the mapping cannot fault; may move the mapping. Errors: SL_EIO ("disk full at FILE"). */
int sl_col_reserve(sl_col *c, uint64_t n, sl_error *e) SL_MUST_USE;
/* Re-maps after another process grew the file (readers of a live store). */
int sl_col_refresh(sl_col *c, sl_error *e) SL_MUST_USE;
/* Writes records [from, to) to disk. */
int sl_col_sync(sl_col *c, uint64_t from, uint64_t to, sl_error *e) SL_MUST_USE;

static inline void *sl_col_at(const sl_col *c, uint64_t i) { return c->map + SL_COL_HEADER + i * c->rec; }

/* ---- buffered appends (writers) ---- */
/* Appends will start at record n (the committed count); drops anything buffered. */
void sl_col_append_start(sl_col *c, uint64_t n);
/* Writes the buffered records to the file. Errors: SL_EIO (disk full: said in words). */
int sl_col_flush(sl_col *c, sl_error *e) SL_MUST_USE;
/* Room for one more record at the end: a pointer into the buffer, valid until the next
 * sl_col_add or flush; NULL when a flush it needed failed (e set). */
void *sl_col_add_slow(sl_col *c, sl_error *e);
static inline void *sl_col_add(sl_col *c, sl_error *e)
{
    if (c->wn + c->rec <= c->wcap) {
        void *p = c->wbuf + c->wn;
        c->wn += c->rec;
        return p;
    }
    return sl_col_add_slow(c, e);
}
/* Room for n more contiguous records (as sl_col_add). */
void *sl_col_add_n(sl_col *c, size_t n, sl_error *e);
/* The number of records including the buffered ones. */
static inline uint64_t sl_col_next(const sl_col *c) { return c->wfirst + c->wn / (c->rec ? c->rec : 1); }
/* Record i for the writer: from the buffer when not yet flushed, else from the mapping
 * (remapped when the file grew past it). NULL when i is past everything. */
const void *sl_col_rec(sl_col *c, uint64_t i);
/* As sl_col_rec for records [i, i + n) (which a writer appended together). */
const void *sl_col_rec_n(sl_col *c, uint64_t i, uint64_t n);
/* fdatasync of the file (after a flush, before a commit). */
int sl_col_datasync(sl_col *c, sl_error *e) SL_MUST_USE;
/* Writers: records [from, to) were written and synced and the writer will not read them
 * soon: their clean pages leave the page cache (posix_fadvise DONTNEED), so an ingest's
 * streamed appends do not push the tables it probes out of memory. A hint. */
void sl_col_drop_cache(sl_col *c, uint64_t from, uint64_t to);
/* Records that fit in the mapping (reads past the committed count are the caller's bug). */
static inline uint64_t sl_col_cap(const sl_col *c)
{
    return c->map_len > SL_COL_HEADER ? (c->map_len - SL_COL_HEADER) / c->rec : 0;
}

#endif
