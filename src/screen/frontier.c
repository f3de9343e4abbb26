/* frontier.c — the file beside the exposure index that lets `exposure update` continue
 * from the index instead of rebuilding it (format: screen_int.h, "the frontier"): per
 * source the places its forward trace stopped while the funds could still move, the
 * sources traced again at every update, and how much of each chain the index has read.
 * Also the one atomic file writer both files use, and a chain's transaction (flow) count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screen/screen_int.h"
#include "sleuth/eth_store.h"
#include "sleuth/store.h"

#define FRONT_HDR 64u

int sl_expo_write_file(const char *dir, const char *name, const sl_buf *b, sl_error *e)
{
    char tmp[4096], fin[4096];
    int rc = SL_OK, fd;
    snprintf(tmp, sizeof tmp, "%s/exposure/%s.tmp", dir, name);
    snprintf(fin, sizeof fin, "%s/exposure/%s", dir, name);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        return sl_err(e, SL_EIO, "%s: %s", tmp, strerror(errno));
    for (size_t off = 0; off < b->len;) {
        ssize_t w = write(fd, b->p + off, b->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { rc = sl_err(e, SL_EIO, "%s: write: %s", tmp, strerror(errno)); goto done; }
        off += (size_t)w;
    }
    if (fsync(fd)) { rc = sl_err(e, SL_EIO, "%s: fsync: %s", tmp, strerror(errno)); goto done; }
    close(fd), fd = -1;
    /* the index's rename is the one the tests stop at (the frontier's comes before it) */
    sl_test_point(strcmp(name, "index.bin") ? "exposure-frontier-before-rename" : "exposure-before-rename");
    if (rename(tmp, fin)) { rc = sl_err(e, SL_EIO, "%s: rename: %s", fin, strerror(errno)); goto done; }
    snprintf(tmp, sizeof tmp, "%s/exposure", dir);
    if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) (void)fsync(fd);
done:
    if (fd >= 0) close(fd);
    return rc;
}

uint64_t sl_expo_chain_count(sl_store *s, const sl_flow_view *v)
{
    sl_eth_chain *ch;
    sl_error e = {0};
    if (v->model == SL_MODEL_UTXO) return sl_btc_meta_get(s)->n_tx;
    return sl_eth_chain_open(s, v->name, &ch, &e) ? 0 : sl_eth_meta_get(ch)->n_flows;
}

static int cmp_key(const void *pa, const void *pb)
{
    const sl_expo_key *a = pa, *b = pb;
    if (a->chain != b->chain) return a->chain < b->chain ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (a->source > b->source) - (a->source < b->source);
}

int sl_expo_frontier_add(sl_expo_frontier *f, uint16_t chain, uint8_t kind, uint64_t id, uint32_t source)
{
    void *q = f->keys;
    if (sl_grow(&q, &f->cap_keys, f->n_keys + 1, sizeof *f->keys)) return SL_ENOMEM;
    f->keys = q;
    f->keys[f->n_keys++] = (sl_expo_key){.id = id, .source = source, .chain = chain, .kind = kind};
    return SL_OK;
}

void sl_expo_frontier_find(const sl_expo_frontier *f, uint16_t chain, uint8_t kind, uint64_t id, size_t *lo, size_t *hi)
{
    sl_expo_key k = {.id = id, .source = 0, .chain = chain, .kind = kind};
    size_t a = 0, b = f->n_keys;
    while (a < b) { /* the first key not below (chain, kind, id, 0) */
        size_t m = a + (b - a) / 2;
        if (cmp_key(&f->keys[m], &k) < 0) a = m + 1;
        else b = m;
    }
    *lo = a;
    while (a < f->n_keys && f->keys[a].chain == chain && f->keys[a].kind == kind && f->keys[a].id == id) a++;
    *hi = a;
}

void sl_expo_frontier_free(sl_expo_frontier *f)
{
    sl_free(f->flags), sl_free(f->keys);
    memset(f, 0, sizeof *f);
}

int sl_expo_frontier_write(const char *dir, sl_expo_frontier *f, sl_error *e)
{
    sl_buf out = {0};
    uint8_t h[FRONT_HDR] = {0};
    static const uint8_t z[16];
    size_t n = 0;
    int rc;
    if (f->n_keys) qsort(f->keys, f->n_keys, sizeof *f->keys, cmp_key);
    for (size_t i = 0; i < f->n_keys; i++)
        if (!n || cmp_key(&f->keys[n - 1], &f->keys[i])) f->keys[n++] = f->keys[i];
    f->n_keys = n;
    memcpy(h, SL_FRONT_MAGIC, 8);
    sl_put_le32(h + 8, SL_FRONT_VERSION), sl_put_le32(h + 12, f->n_chains), sl_put_le64(h + 16, f->stamp);
    sl_put_le64(h + 24, f->n_sources), sl_put_le64(h + 32, f->n_keys);
    if (sl_buf_append(&out, h, sizeof h)) goto oom;
    for (uint32_t i = 0; i < f->n_chains; i++) {
        uint8_t c[16] = {0};
        c[0] = (uint8_t)f->chains[i].chain, c[1] = (uint8_t)(f->chains[i].chain >> 8);
        sl_put_le64(c + 8, f->chains[i].count);
        if (sl_buf_append(&out, c, sizeof c)) goto oom;
    }
    if ((f->n_sources && sl_buf_append(&out, f->flags, f->n_sources)) ||
        sl_buf_append(&out, z, (16 - f->n_sources % 16) % 16))
        goto oom;
    for (size_t i = 0; i < f->n_keys; i++) {
        uint8_t c[16] = {0};
        sl_put_le64(c, f->keys[i].id);
        c[8] = (uint8_t)f->keys[i].chain, c[9] = (uint8_t)(f->keys[i].chain >> 8), c[10] = f->keys[i].kind;
        sl_put_le32(c + 12, f->keys[i].source);
        if (sl_buf_append(&out, c, sizeof c)) goto oom;
    }
    rc = sl_expo_write_file(dir, "frontier.bin", &out, e);
    sl_buf_free(&out);
    return rc;
oom:
    sl_buf_free(&out);
    return sl_err(e, SL_ENOMEM, "out of memory");
}

int sl_expo_frontier_read(const char *dir, sl_expo_frontier *f, sl_error *e)
{
    char p[4096];
    FILE *fp;
    uint8_t h[FRONT_HDR];
    uint64_t n_keys;
    size_t pad;
    int rc = SL_OK;
    memset(f, 0, sizeof *f);
    snprintf(p, sizeof p, "%s/exposure/frontier.bin", dir);
    if (!(fp = fopen(p, "rb"))) {
        if (errno == ENOENT) return sl_err(e, SL_ENOTFOUND, "%s: no frontier", p);
        return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    }
    if (fread(h, 1, sizeof h, fp) != sizeof h || memcmp(h, SL_FRONT_MAGIC, 8) || sl_le32(h + 8) != SL_FRONT_VERSION) {
        rc = sl_err(e, SL_ECORRUPT, "%s: not a frontier file of this version", p);
        goto done;
    }
    f->n_chains = sl_le32(h + 12), f->stamp = sl_le64(h + 16), f->n_sources = sl_le64(h + 24), n_keys = sl_le64(h + 32);
    if (f->n_chains > 64 || f->n_sources > (1ull << 32) || n_keys > (1ull << 36)) {
        rc = sl_err(e, SL_ECORRUPT, "%s: counts out of range", p);
        goto done;
    }
    for (uint32_t i = 0; i < f->n_chains; i++) {
        uint8_t c[16];
        if (fread(c, 1, sizeof c, fp) != sizeof c) goto short_read;
        f->chains[i].chain = (uint16_t)(c[0] | c[1] << 8), f->chains[i].count = sl_le64(c + 8);
    }
    pad = (16 - f->n_sources % 16) % 16;
    if (!(f->flags = sl_malloc(f->n_sources + pad + 1)) ||
        (n_keys && !(f->keys = sl_malloc(n_keys * sizeof *f->keys)))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    if (fread(f->flags, 1, f->n_sources + pad, fp) != f->n_sources + pad) goto short_read;
    for (uint64_t i = 0; i < n_keys; i++) {
        uint8_t c[16];
        if (fread(c, 1, sizeof c, fp) != sizeof c) goto short_read;
        f->keys[i] = (sl_expo_key){.id = sl_le64(c), .chain = (uint16_t)(c[8] | c[9] << 8), .kind = c[10],
                                   .source = sl_le32(c + 12)};
        if (f->keys[i].source >= f->n_sources || (i && cmp_key(&f->keys[i - 1], &f->keys[i]) >= 0)) {
            rc = sl_err(e, SL_ECORRUPT, "%s: key %llu out of range or order", p, (unsigned long long)i);
            goto done;
        }
    }
    f->n_keys = f->cap_keys = (size_t)n_keys;
    goto done;
short_read:
    rc = sl_err(e, SL_ECORRUPT, "%s: shorter than its header says", p);
done:
    fclose(fp);
    if (rc) sl_expo_frontier_free(f);
    return rc;
}
