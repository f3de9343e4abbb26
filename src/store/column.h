/* column.h — private to the store: one memory-mapped column file of fixed-width records
 * (the header format is described in include/sleuth/store.h). */
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
    size_t rec;       /* record size */
    char path[512];
} sl_col;

int sl_col_open(sl_col *c, const char *dir, const char *name, size_t rec, bool rw, sl_error *e) SL_MUST_USE;
void sl_col_close(sl_col *c);
/* Makes room for n records (writers only); may move the mapping. */
int sl_col_reserve(sl_col *c, uint64_t n, sl_error *e) SL_MUST_USE;
/* Re-maps after another process grew the file (readers of a live store). */
int sl_col_refresh(sl_col *c, sl_error *e) SL_MUST_USE;
/* Writes records [from, to) to disk. */
int sl_col_sync(sl_col *c, uint64_t from, uint64_t to, sl_error *e) SL_MUST_USE;

static inline void *sl_col_at(const sl_col *c, uint64_t i) { return c->map + SL_COL_HEADER + i * c->rec; }
/* Records that fit in the mapping (reads past the committed count are the caller's bug). */
static inline uint64_t sl_col_cap(const sl_col *c)
{
    return c->map_len > SL_COL_HEADER ? (c->map_len - SL_COL_HEADER) / c->rec : 0;
}

#endif
