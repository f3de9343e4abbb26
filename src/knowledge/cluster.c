/* cluster.c — reading a clustering (cluster.h): one chain's nodes of the last build
 * mapped read-only, so `cluster of address` follows the union-find's parent pointers to
 * the root (one step after a full build, a few after incremental ones: union by size
 * keeps every path below log2(n)) and reads the root's size and cluster id; members are
 * the cluster's circular list, collected and sorted; `why` streams the evidence file once,
 * keeps the edges of the one cluster, and walks the spanning forest between the two
 * addresses (a BFS over an adjacency built for that cluster only); the guard log is
 * streamed the same way. File formats: cluster_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knowledge/cluster_int.h"
#include "sleuth/util.h"

struct sl_cluster {
    sl_cluster_info info;
    const uint32_t *node;    /* the build's nodes (cluster_int.h), mapped */
    size_t maplen;
    uint64_t n;              /* addresses: ids first..n */
    uint32_t first;          /* the chain's smallest address id (cl_first_id) */
    uint16_t chain;
    char edges[600], guard[600];
};

const sl_cluster_info *sl_cluster_get_info(const sl_cluster *cl) { return &cl->info; }

/* Maps the nodes of st's generation; *err = ENOENT when a build replaced it meanwhile. */
static int map_gen(sl_cluster *cl, const char *dir, const cl_state *st, int *err, sl_error *e)
{
    size_t len = (size_t)(st->n_addr + 1) * CL_NODE_SIZE;
    char p[1100];
    struct stat sb;
    void *m;
    int fd;
    snprintf(p, sizeof p, "%s/gen.%" PRIu64 "/nodes", dir, st->gen);
    if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
        *err = errno;
        return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    }
    if (fstat(fd, &sb) || (uint64_t)sb.st_size < len) {
        close(fd);
        return sl_err(e, SL_ECORRUPT, "%s: shorter than its state says (run `sleuth cluster build --from-scratch`)", p);
    }
    m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return sl_err(e, SL_EIO, "%s: %s", p, strerror(errno));
    cl->node = m, cl->maplen = len;
    return SL_OK;
}

static void unmap_all(sl_cluster *cl)
{
    if (cl->node) munmap((void *)cl->node, cl->maplen), cl->node = NULL;
}

int sl_cluster_open(sl_store *s, sl_cluster **out, sl_error *e) { return sl_cluster_open_chain(s, NULL, out, e); }

int sl_cluster_open_chain(sl_store *s, const char *chain, sl_cluster **out, sl_error *e)
{
    const sl_chain_def *d = chain ? sl_chain_by_name(chain) : sl_chain_by_id(SL_CHAIN_BTC);
    cl_state st;
    sl_cluster *cl;
    char dir[600];
    int rc;
    *out = NULL;
    if (!d) return sl_err(e, SL_EUSAGE, "unknown chain '%s'", chain);
    if (!cl_path(dir, sizeof dir, s, d, "")) return sl_err(e, SL_EIO, "store path too long");
    if (!(cl = sl_calloc(1, sizeof *cl))) return sl_err(e, SL_ENOMEM, "out of memory");
    for (int attempt = 0;; attempt++) { /* a build may replace the generation between the two reads */
        int err = 0;
        if ((rc = cl_state_read(s, d, &st, e))) {
            if (rc == SL_ENOTFOUND && d->model == SL_MODEL_ACCOUNT)
                sl_err(e, rc, "no clustering of the %s chain in this store yet: run `sleuth cluster build --store DIR`", d->name);
            else if (rc == SL_ENOTFOUND) sl_err(e, rc, "no clustering in this store yet: run `sleuth cluster build --store DIR`");
            sl_free(cl);
            return rc;
        }
        if (st.pending) {
            sl_free(cl);
            return sl_err(e, SL_ECONFLICT, "a cluster build is being written or was interrupted: run `sleuth cluster build` "
                                           "to finish it");
        }
        if (!(rc = map_gen(cl, dir, &st, &err, e))) break;
        unmap_all(cl);
        if (err != ENOENT || attempt == 3) {
            sl_free(cl);
            return rc;
        }
        sl_err_clear(e);
    }
    cl->n = st.n_addr, cl->chain = d->id, cl->first = cl_first_id(d);
    if (!cl_path(cl->edges, sizeof cl->edges, s, d, "edges") || !cl_path(cl->guard, sizeof cl->guard, s, d, "guard")) {
        sl_cluster_close(cl);
        return sl_err(e, SL_EIO, "store path too long");
    }
    cl->info.chain = d->id, cl->info.tx_done = st.tx_done, cl->info.n_addr = st.n_addr, cl->info.tip_block = st.tip_block;
    cl->info.tip_hash = st.tip_hash, cl->info.heuristics = st.heuristics, cl->info.guard_size = st.guard_size;
    cl->info.guard_size_policy = st.gsp, cl->info.guard_tag_policy = st.gtp;
    cl->info.n_edges = st.n_edges, cl->info.n_guard = st.n_guard, cl->info.clusters = st.clusters;
    *out = cl;
    return SL_OK;
}

void sl_cluster_close(sl_cluster *cl)
{
    if (!cl) return;
    unmap_all(cl);
    sl_free(cl);
}

int sl_cluster_of(const sl_cluster *cl, sl_addr_ref a, uint32_t *id, uint64_t *size)
{
    uint32_t r;
    if (a.chain != cl->chain || a.id < cl->first || a.id > cl->n) return SL_ENOTFOUND;
    if (cl_root(cl->node, cl->n, a.id, &r)) return SL_ECORRUPT;
    if (id) *id = CL_F(cl->node, r, CL_MINID);
    if (size) *size = CL_F(cl->node, r, CL_SIZE);
    return SL_OK;
}

bool sl_cluster_exists(const sl_cluster *cl, uint32_t id, uint64_t *size)
{
    uint32_t c;
    return sl_cluster_of(cl, (sl_addr_ref){cl->chain, id}, &c, size) == SL_OK && c == id;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Every member of cluster id (which must be a cluster id of size n), ascending: an
 * allocated array (sl_free), NULL when out of memory or the list is damaged. */
static uint32_t *all_members(const sl_cluster *cl, uint32_t id, uint64_t n)
{
    uint32_t *m = sl_malloc((n ? n : 1) * sizeof *m), x = id;
    uint64_t k = 0;
    if (!m) return NULL;
    do {
        if (k == n || !x || x > cl->n) { /* the list is longer than the cluster, or leaves the arrays */
            sl_free(m);
            return NULL;
        }
        m[k++] = x;
        x = CL_F(cl->node, x, CL_NEXT);
    } while (x != id);
    if (k != n) {
        sl_free(m);
        return NULL;
    }
    qsort(m, n, sizeof *m, cmp_u32);
    return m;
}

size_t sl_cluster_members(const sl_cluster *cl, uint32_t id, uint64_t offset, uint32_t *out, size_t cap)
{
    uint64_t n;
    uint32_t *m;
    size_t k = 0;
    if (!sl_cluster_exists(cl, id, &n) || offset >= n || !(m = all_members(cl, id, n))) return 0;
    for (uint64_t i = offset; i < n && k < cap; i++) out[k++] = m[i];
    sl_free(m);
    return k;
}

/* Streams a record file: fn on each of the first `count` records until it returns non-zero. */
static int stream(const char *path, size_t rec, uint64_t count, int (*fn)(void *ctx, const uint8_t *r), void *ctx)
{
    uint8_t buf[1 << 16];
    uint64_t done = 0;
    int fd, rc = SL_OK;
    if (!count) return SL_OK;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return SL_EIO;
    while (done < count && !rc) {
        size_t want = (size_t)((count - done) * rec < sizeof buf ? (count - done) * rec : sizeof buf / rec * rec);
        ssize_t got = pread(fd, buf, want, (off_t)(done * rec));
        if (got <= 0 || (size_t)got % rec) {
            rc = SL_EIO;
            break;
        }
        for (size_t i = 0; i < (size_t)got && !rc; i += rec) rc = fn(ctx, buf + i);
        done += (uint64_t)got / rec;
    }
    close(fd);
    return rc;
}

typedef struct guard_ctx {
    const sl_cluster *cl;
    uint32_t id;
    int (*fn)(void *ctx, const sl_cluster_guard_ev *g);
    void *ctx;
} guard_ctx;

static int guard_one(void *ctx, const uint8_t *r)
{
    guard_ctx *g = ctx;
    sl_cluster_guard_ev ev;
    cl_guard_get(r, &ev);
    if (g->id) {
        uint32_t ca = 0, cb = 0;
        sl_cluster_of(g->cl, (sl_addr_ref){g->cl->chain, ev.a}, &ca, NULL);
        sl_cluster_of(g->cl, (sl_addr_ref){g->cl->chain, ev.b}, &cb, NULL);
        if (ca != g->id && cb != g->id) return 0;
    }
    return g->fn(g->ctx, &ev);
}

int sl_cluster_guard_each(const sl_cluster *cl, uint32_t id, int (*fn)(void *ctx, const sl_cluster_guard_ev *g), void *ctx)
{
    guard_ctx g = {cl, id, fn, ctx};
    return stream(cl->guard, CL_GUARD_SIZE, cl->info.n_guard, guard_one, &g);
}

/* ---- why ---- */

typedef struct why_ctx {
    const sl_cluster *cl;
    uint32_t id;
    uint32_t *mem;           /* the cluster's members, ascending: local index = position */
    uint64_t n;
    uint32_t *deg;           /* pass 1: degrees; then CSR offsets */
    uint32_t *adj;           /* pass 2: edge numbers (local) per node */
    sl_merge_edge *edges;    /* the cluster's edges */
    uint32_t (*loc)[2];      /* their two ends' local indexes (one binary search each, once) */
    uint64_t n_edges;
    int pass;
} why_ctx;

static uint32_t local(const why_ctx *w, uint32_t a)
{
    uint64_t lo = 0, hi = w->n;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (w->mem[mid] < a) lo = mid + 1;
        else hi = mid;
    }
    return (uint32_t)lo;
}

static int why_edge(void *ctx, const uint8_t *r)
{
    why_ctx *w = ctx;
    sl_merge_edge m;
    cl_edge_get(r, w->cl->chain, &m);
    {
        uint32_t c;
        if (sl_cluster_of(w->cl, m.a, &c, NULL) || c != w->id) return 0;
    }
    if (w->pass == 1) {
        w->n_edges++;
        return 0;
    }
    w->edges[w->n_edges] = m;
    w->loc[w->n_edges][0] = local(w, m.a.id), w->loc[w->n_edges][1] = local(w, m.b.id);
    w->deg[w->loc[w->n_edges][0]]++, w->deg[w->loc[w->n_edges][1]]++;
    w->n_edges++;
    return 0;
}

int sl_cluster_why(const sl_cluster *cl, sl_addr_ref a, sl_addr_ref b, sl_merge_edge **path, size_t *n, sl_error *e)
{
    uint32_t ca, cb;
    uint64_t sa;
    why_ctx w;
    uint32_t *off = NULL, *from = NULL, *queue = NULL, *fill = NULL;
    int rc = SL_OK;
    *path = NULL, *n = 0;
    if (a.chain != cl->chain || b.chain != cl->chain)
        return sl_err(e, SL_ENOTFOUND, "an address of another chain than the clustering's");
    if (sl_cluster_of(cl, a, &ca, &sa) || sl_cluster_of(cl, b, &cb, NULL))
        return sl_err(e, SL_ENOTFOUND, "address not covered by the clustering (run `sleuth cluster build`)");
    if (ca != cb) return sl_err(e, SL_ENOTFOUND, "the two addresses are in different clusters (%u and %u)", ca, cb);
    if (a.id == b.id) return SL_OK;
    memset(&w, 0, sizeof w);
    w.cl = cl, w.id = ca, w.n = sa, w.pass = 1;
    if (!(w.mem = all_members(cl, ca, sa))) return sl_err(e, SL_ENOMEM, "out of memory for a cluster of %" PRIu64 " addresses", sa);
    if (stream(cl->edges, CL_EDGE_SIZE, cl->info.n_edges, why_edge, &w)) {
        sl_free(w.mem);
        return sl_err(e, SL_EIO, "%s: cannot read", cl->edges);
    }
    w.edges = sl_malloc((w.n_edges ? w.n_edges : 1) * sizeof *w.edges);
    w.loc = sl_malloc((w.n_edges ? w.n_edges : 1) * sizeof *w.loc);
    w.deg = sl_calloc(w.n + 1, sizeof *w.deg);
    off = sl_calloc(w.n + 1, sizeof *off);
    fill = sl_calloc(w.n + 1, sizeof *fill);
    from = sl_malloc((w.n + 1) * sizeof *from);
    queue = sl_malloc((w.n + 1) * sizeof *queue);
    w.adj = sl_malloc((2 * w.n_edges + 1) * sizeof *w.adj);
    if (!w.edges || !w.loc || !w.deg || !off || !fill || !from || !queue || !w.adj) {
        rc = sl_err(e, SL_ENOMEM, "out of memory for a cluster of %" PRIu64 " addresses", w.n);
        goto out;
    }
    w.pass = 2, w.n_edges = 0;
    if (stream(cl->edges, CL_EDGE_SIZE, cl->info.n_edges, why_edge, &w)) {
        rc = sl_err(e, SL_EIO, "%s: cannot read", cl->edges);
        goto out;
    }
    for (uint64_t i = 0; i < w.n; i++) off[i + 1] = off[i] + w.deg[i];
    for (uint64_t k = 0; k < w.n_edges; k++) {
        uint32_t x = w.loc[k][0], y = w.loc[k][1];
        w.adj[off[x] + fill[x]++] = (uint32_t)k;
        w.adj[off[y] + fill[y]++] = (uint32_t)k;
    }
    { /* BFS from a; from[] holds the edge that reached each node (UINT32_MAX: not yet) */
        uint32_t src = local(&w, a.id), dst = local(&w, b.id), head = 0, tail = 0;
        memset(from, 0xff, (w.n + 1) * sizeof *from);
        from[src] = UINT32_MAX - 1;
        queue[tail++] = src;
        while (head < tail && from[dst] == UINT32_MAX) {
            uint32_t x = queue[head++];
            for (uint32_t j = off[x]; j < off[x + 1]; j++) {
                const uint32_t *l = w.loc[w.adj[j]];
                uint32_t y = l[0] == x ? l[1] : l[0];
                if (from[y] != UINT32_MAX) continue;
                from[y] = w.adj[j];
                queue[tail++] = y;
            }
        }
        if (from[dst] == UINT32_MAX) {
            rc = sl_err(e, SL_ENOTFOUND, "no evidence path between the two addresses (damaged evidence file?)");
            goto out;
        }
        { /* walk back, then reverse into a..b order with each edge pointing away from a */
            size_t k = 0;
            for (uint32_t x = dst; x != src;) {
                const uint32_t *l = w.loc[from[x]];
                queue[k++] = from[x]; /* the BFS is done: its queue holds the path now */
                x = l[0] == x ? l[1] : l[0];
            }
            if (!(*path = sl_malloc(k * sizeof **path))) {
                rc = sl_err(e, SL_ENOMEM, "out of memory");
                goto out;
            }
            for (size_t i = 0; i < k; i++) {
                sl_merge_edge m = w.edges[queue[k - 1 - i]];
                uint32_t near = i ? (*path)[i - 1].b.id : a.id;
                if (m.a.id != near) { sl_addr_ref t = m.a; m.a = m.b, m.b = t; }
                (*path)[i] = m;
            }
            *n = k;
        }
    }
out:
    sl_free(w.edges), sl_free(w.loc), sl_free(w.deg), sl_free(w.adj), sl_free(off), sl_free(fill), sl_free(from), sl_free(queue);
    sl_free(w.mem);
    return rc;
}

/* ---- the cluster's tag ---- */

int sl_cluster_best_tag(const sl_cluster *cl, uint32_t id, const sl_cluster_tagger *t, uint64_t max_members,
                        sl_cluster_tag *out, uint64_t *looked)
{
    uint64_t n = 0, i = 0;
    uint32_t x = id;
    int found = 0;
    if (looked) *looked = 0;
    if (!t || !t->best || !sl_cluster_exists(cl, id, &n)) return 0;
    if (!max_members) max_members = 10000;
    do { /* the cluster's list from its id, at most max_members of it */
        sl_cluster_tag tag;
        int rc;
        memset(&tag, 0, sizeof tag);
        if (looked) (*looked)++;
        if ((rc = t->best(t->ctx, (sl_addr_ref){cl->chain, x}, &tag)) < 0) return rc;
        if (rc && (n == 1 || tag.is_cluster_definer) && (!found || tag.confidence > out->confidence)) *out = tag, found = 1;
        x = CL_F(cl->node, x, CL_NEXT);
    } while (x != id && x && x <= cl->n && ++i < max_members && i < n);
    return found;
}
