/* index.c — reading the exposure index (format: screen_int.h): the file is mapped
 * read-only and checked once (magic, version, every section inside the file, every string
 * offset and record reference in range), so the look-ups after it (a binary search over
 * the entries, fixed-width reads) trust it and cost no allocation. Also the two facts an
 * index records about what it was built from: the chains' tips and the tag store's
 * version.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screen/screen_int.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static sl_u128 le128(const uint8_t *p) { return (sl_u128)sl_le64(p + 8) << 64 | sl_le64(p); }
static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

void sl_expo_close(sl_expo *x)
{
    if (x->map) munmap(x->map, x->size);
    memset(x, 0, sizeof *x);
}

static int bad(const char *path, sl_error *e, const char *what)
{
    sl_err(e, SL_ECORRUPT, "%s: not a usable exposure index (%s): run `sleuth exposure build`", path, what);
    sl_err_file(e, path);
    return SL_ECORRUPT;
}

/* Every string offset of the sources, and every record's source and path, in range. */
static bool refs_ok(const sl_expo *x)
{
    for (uint64_t i = 0; i < x->n_sources; i++) {
        const uint8_t *s = x->sources + i * SL_EXPO_SOURCE;
        for (int k = 16; k < 32; k += 4)
            if (sl_le32(s + k) >= x->n_strings) return false;
    }
    for (uint64_t i = 0; i < x->n_records; i++) {
        const uint8_t *r = x->records + i * SL_EXPO_RECORD;
        if (sl_le32(r + 32) >= x->n_sources || (uint64_t)sl_le32(r + 40) + r[46] > x->n_paths) return false;
    }
    for (uint64_t i = 0; i < x->n_entries; i++) {
        const uint8_t *en = x->entries + i * SL_EXPO_ENTRY;
        uint32_t self = sl_le32(x->self + i * 4);
        if ((uint64_t)sl_le32(en + 8) + sl_le32(en + 12) > x->n_records) return false;
        if (self != UINT32_MAX && self >= x->n_sources) return false;
    }
    return true;
}

int sl_expo_open(sl_expo *x, const char *path, sl_error *e)
{
    struct stat st;
    const uint8_t *h;
    size_t off;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    memset(x, 0, sizeof *x);
    if (fd < 0) {
        if (errno == ENOENT) return sl_err(e, SL_ENOTFOUND, "%s: no exposure index: run `sleuth exposure build`", path);
        return sl_err(e, SL_EIO, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) || st.st_size < (off_t)SL_EXPO_HDR) {
        close(fd);
        return bad(path, e, "shorter than its header");
    }
    x->size = (size_t)st.st_size;
    x->ino = (uint64_t)st.st_ino;
    x->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    x->map = mmap(NULL, x->size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (x->map == MAP_FAILED) {
        x->map = NULL;
        return sl_err(e, SL_EIO, "%s: cannot map: %s", path, strerror(errno));
    }
    h = x->map;
    if (memcmp(h, SL_EXPO_MAGIC, 8)) { sl_expo_close(x); return bad(path, e, "bad magic"); }
    if (sl_le32(h + 8) != SL_EXPO_VERSION) { sl_expo_close(x); return bad(path, e, "another format version"); }
    x->policy = sl_le32(h + 12), x->max_hops = sl_le32(h + 16), x->n_chains = sl_le32(h + 20);
    x->n_entries = sl_le64(h + 24), x->n_records = sl_le64(h + 32), x->n_sources = sl_le64(h + 40);
    x->n_paths = sl_le64(h + 48), x->n_strings = sl_le64(h + 56);
    x->tags_count = sl_le64(h + 64), x->tags_mtime = sl_le64(h + 72), x->built = sl_le64(h + 80);
    x->stamp = sl_le64(h + 88);
    /* sizes first, each bounded so the sums below cannot wrap */
    if (x->n_chains > 64 || x->n_entries > (1ull << 36) || x->n_records > (1ull << 36) || x->n_sources > (1ull << 32) ||
        x->n_paths > (1ull << 36) || x->n_strings > (1ull << 40) || x->n_strings == 0) {
        sl_expo_close(x);
        return bad(path, e, "counts out of range");
    }
    off = SL_EXPO_HDR;
    x->chains = h + off, off = align16(off + x->n_chains * SL_EXPO_CHAIN);
    x->entries = h + off, off = align16(off + x->n_entries * SL_EXPO_ENTRY);
    x->self = h + off, off = align16(off + x->n_entries * 4);
    x->records = h + off, off = align16(off + x->n_records * SL_EXPO_RECORD);
    x->sources = h + off, off = align16(off + x->n_sources * SL_EXPO_SOURCE);
    x->paths = h + off, off = align16(off + x->n_paths * 8);
    x->strings = (const char *)h + off, off += x->n_strings;
    if (off > x->size || x->strings[x->n_strings - 1] || x->strings[0]) {
        sl_expo_close(x);
        return bad(path, e, "sections beyond its end");
    }
    if (!refs_ok(x)) { sl_expo_close(x); return bad(path, e, "a reference out of range"); }
    return SL_OK;
}

void sl_expo_chain_at(const sl_expo *x, uint32_t i, sl_expo_chain *c)
{
    const uint8_t *p = x->chains + (size_t)i * SL_EXPO_CHAIN;
    c->chain = le16(p), c->height = sl_le32(p + 4);
    memcpy(c->hash, p + 8, 32);
    memcpy(c->name, p + 40, 24);
    c->name[24] = 0;
}

bool sl_expo_find(const sl_expo *x, uint16_t chain, uint32_t addr, uint32_t *first, uint32_t *n, uint32_t *self)
{
    uint64_t lo = 0, hi = x->n_entries, key = (uint64_t)chain << 32 | addr;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const uint8_t *p = x->entries + mid * SL_EXPO_ENTRY;
        uint64_t k = (uint64_t)le16(p) << 32 | sl_le32(p + 4);
        if (k < key) lo = mid + 1;
        else if (k > key) hi = mid;
        else {
            *first = sl_le32(p + 8), *n = sl_le32(p + 12), *self = sl_le32(x->self + mid * 4);
            return true;
        }
    }
    return false;
}

void sl_expo_rec_at(const sl_expo *x, uint32_t i, sl_expo_rec *r)
{
    const uint8_t *p = x->records + (size_t)i * SL_EXPO_RECORD;
    r->amount = le128(p), r->received = le128(p + 16), r->received_all = le128(p + 48);
    r->source = sl_le32(p + 32), r->asset = sl_le32(p + 36), r->path = sl_le32(p + 40);
    r->dir = p[44], r->hops = p[45], r->path_n = p[46];
}

void sl_expo_src_at(const sl_expo *x, uint32_t i, sl_expo_src *s)
{
    const uint8_t *p = x->sources + (size_t)i * SL_EXPO_SOURCE;
    s->chain = le16(p), s->kind = p[2], s->cats = sl_le32(p + 4), s->id = sl_le64(p + 8);
    s->label = x->strings + sl_le32(p + 16), s->incident = x->strings + sl_le32(p + 20);
    s->actor = x->strings + sl_le32(p + 24), s->name = x->strings + sl_le32(p + 28);
}

uint64_t sl_expo_path_at(const sl_expo *x, uint32_t i) { return sl_le64(x->paths + (size_t)i * 8); }

int sl_expo_tags_version(const char *store_dir, uint64_t *count, uint64_t *mtime, sl_error *e)
{
    char p[4096];
    struct stat st;
    sl_tags *t;
    uint64_t subjects;
    int rc;
    *count = 0, *mtime = 0;
    /* the main file only: a reader's open and close touch the WAL and the shm files, and a
     * write reaches the main file at the checkpoint when its writer closes */
    snprintf(p, sizeof p, "%s/knowledge/tags.db", store_dir);
    if (!stat(p, &st))
        *mtime = ((uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec) ^ ((uint64_t)st.st_size << 40);
    if ((rc = sl_tags_open(&t, store_dir, SL_TAGS_RDONLY, e))) return rc;
    rc = sl_tags_count(t, count, &subjects, e);
    sl_tags_close(t);
    *count ^= subjects << 32;
    return rc;
}

size_t sl_expo_tips(sl_store *s, const sl_flow_set *fs, sl_expo_chain *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < sl_flow_set_count(fs) && n < cap; i++) {
        const sl_flow_view *v = sl_flow_set_at(fs, i);
        sl_expo_chain *c = &out[n++];
        memset(c, 0, sizeof *c);
        c->chain = v->chain;
        snprintf(c->name, sizeof c->name, "%s", v->name);
        if (v->model == SL_MODEL_UTXO) {
            const sl_btc_meta *m = sl_btc_meta_get(s);
            const sl_btc_blockrec *b = m->max_height_block == SL_NONE32 ? NULL : sl_btc_block_at(s, m->max_height_block);
            if (b) c->height = b->height, memcpy(c->hash, b->hash.b, 32);
        } else {
            sl_eth_chain *ch;
            sl_error e = {0};
            if (!sl_eth_chain_open(s, v->name, &ch, &e)) {
                const sl_eth_meta *m = sl_eth_meta_get(ch);
                const sl_eth_blockrec *b = m->n_blocks ? sl_eth_block_at(ch, m->n_blocks - 1) : NULL;
                if (b) c->height = (uint32_t)b->number, memcpy(c->hash, b->hash.b, 32);
            }
        }
    }
    return n;
}
