/* btc_ingest.c — Bitcoin ingest: input discovery (files, Bitcoin Core blocks/ folders
 * with the xor.dat obfuscation key of Core 28+), the blk*.dat framing scan, best-chain
 * selection by cumulative work, prevout files, and the single pass that parses, checks
 * and writes every block, batched and crash-safe.
 *
 * Order of work: (1) scan every input's framing and headers (magic, lengths, PoW);
 * (2) choose what to add: blk-framed blocks must descend from the stored chain tip (or
 * genesis) and the branch with the most work wins, the rest are kept aside as stale or
 * orphan; raw block files are added as they are; (3) parse and check each chosen block
 * (merkle root, witness commitment, spends within it) once, on every core, and work out
 * what the writer needs of it (sl_btc_prepare), while (4) the calling thread writes the
 * blocks in order, committing every batch_bytes. When a block is refused part-way, the
 * blocks this ingest already committed are removed again (sl_btc_truncate): an ingest
 * either adds all its blocks or leaves the store as it found it; a kill -9 leaves the
 * last commit, and running the ingest again resumes.
 *
 * Annotations (annot.h): every OP_RETURN output's payload is put into the annotation
 * batch as its block is written, keyed by the tx ids the store gives; that batch commits
 * just before the store's commit of the same blocks (a kill between the two leaves rows
 * past the committed counts, which readers ignore and the next writer deletes).
 */
#include "sleuth/ingest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "sleuth/annot.h"
#include "sleuth/btc.h"
#include "sleuth/chains.h"
#include "sleuth/json.h"
#include "sleuth/util.h"

typedef struct in_file {
    char path[PATH_MAX];
    sl_file f;
    uint64_t cold;          /* bytes from the start already marked cold (read, not needed again) */
    uint8_t xor_key[8];
    bool xored, framed;
    int64_t name_height;    /* from "<height>_<hash>" file names, -1 if none */
    sl_hash256 name_hash;
} in_file;

typedef struct cand {
    sl_hash256 hash, prev;
    uint32_t file, bits;
    uint64_t off, len;      /* block bytes within the (de-obfuscated) file */
    int64_t height;         /* -1 unknown */
    unsigned __int128 work; /* cumulative, when linked */
    int32_t parent;         /* candidate index, -1 none */
    uint8_t state;          /* 0 unvisited, 1 linked to the tip, 2 stale, 3 orphan, 4 chosen, 5 known */
    bool raw;
} cand;

typedef struct ctx {
    sl_store *s;
    const sl_btc_net *net;
    in_file *files;
    size_t nfiles, capfiles;
    cand *c;
    size_t nc, capc;
    /* hash -> candidate (open addressing, seeded) */
    int32_t *ht;
    size_t htcap;
    uint64_t seed;
    uint8_t *xbuf;
    size_t xcap;
    /* prevouts */
    struct po { sl_hash256 txid; uint32_t vout; uint64_t value; uint8_t *script; uint32_t slen; } *po;
    size_t npo, cappo;
    int32_t *poht;
    size_t pohtcap;
    struct posn { sl_hash256 block; struct po *e; size_t n; } *posn; /* positional (per block) */
    size_t nposn;
    sl_buf arena_unused;
} ctx;

/* ---------- input discovery ---------- */

/* The 64-hex block hash at the start of s ("<hash>.bin"), as in the shared fixtures. */
static bool name_hash(sl_hash256 *h, const char *s)
{
    char hx[65];
    if (strlen(s) < 64) return false;
    memcpy(hx, s, 64);
    hx[64] = 0;
    return sl_hash_parse(h, hx);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int add_file(ctx *x, const char *path, const uint8_t *key, sl_error *e)
{
    in_file *f;
    void *p = x->files;
    const char *base = strrchr(path, '/');
    if (sl_grow(&p, &x->capfiles, x->nfiles + 1, sizeof *x->files)) return sl_err(e, SL_ENOMEM, "out of memory");
    x->files = p;
    f = &x->files[x->nfiles];
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (key) {
        memcpy(f->xor_key, key, 8);
        f->xored = false;
        for (int i = 0; i < 8; i++) f->xored |= key[i] != 0;
    }
    f->name_height = -1;
    base = base ? base + 1 : path;
    {
        char *end;
        long long h = strtoll(base, &end, 10);
        if (end != base && *end == '_' && name_hash(&f->name_hash, end + 1)) f->name_height = h;
    }
    {
        /* a raw block decodes to at most one block; a blk*.dat file is mapped, not decoded */
        size_t max = strstr(base, "blk") && has_suffix(base, ".dat") ? SL_FILE_MAX : SL_BTC_MAX_BLOCK_SIZE;
        int rc = sl_file_open_max(&f->f, path, max, e);
        if (rc) return rc;
    }
    x->nfiles++;
    return SL_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Which names in a folder are block files: what `ingest btc FILE` would take one by one —
 * blk-framed files (blk*.dat, and names with "blk" before ".dat" such as
 * nbitcoin_blk00000_h000000-000299.dat) and raw blocks (.bin, .hex, .zst). Bitcoin Core's
 * rev*.dat undo files, xor.dat and anything else are left alone. */
static bool block_file_name(const char *n)
{
    const char *b = strstr(n, "blk");
    if (b && has_suffix(n, ".dat")) return true;
    if (!strncmp(n, "rev", 3) || !strcmp(n, "xor.dat")) return false;
    return has_suffix(n, ".bin") || has_suffix(n, ".hex") || has_suffix(n, ".zst");
}

static int add_dir(ctx *x, const char *dir, sl_error *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL, p[PATH_MAX];
    size_t n = 0, cap = 0;
    uint8_t key[8] = {0};
    bool have_key = false;
    int rc = SL_OK;
    if (!d) return sl_err(e, SL_EIO, "%s: cannot open folder: %s", dir, strerror(errno));
    snprintf(p, sizeof p, "%s/xor.dat", dir);
    {
        FILE *kf = fopen(p, "rb");
        if (kf) {
            if (fread(key, 1, 8, kf) != 8) {
                fclose(kf);
                closedir(d);
                return sl_err(e, SL_ECORRUPT, "%s: xor.dat must hold an 8-byte key", dir);
            }
            fclose(kf);
            have_key = true;
        }
    }
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        void *q = names;
        if (de->d_name[0] == '.' || l < 5 || !block_file_name(de->d_name)) continue;
        if (sl_grow(&q, &cap, n + 1, sizeof *names)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
        names = q;
        names[n++] = sl_strdup(de->d_name);
    }
    closedir(d);
    if (!rc && n == 0) rc = sl_err(e, SL_ENOTFOUND, "%s: no block files in this folder (blk*.dat, *.bin, *.hex, *.zst)", dir);
    if (names) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!rc) {
            snprintf(p, sizeof p, "%s/%s", dir, names[i]);
            rc = add_file(x, p, have_key ? key : NULL, e);
        }
        sl_free(names[i]);
    }
    sl_free(names);
    return rc;
}

/* Bytes [off, off+n) of file f, de-obfuscated when the folder has an xor.dat key. */
/* n bytes at off of f; an obfuscated file's are de-obfuscated into *buf (grown). */
static const uint8_t *fbytes_into(uint8_t **buf, size_t *cap, in_file *f, uint64_t off, size_t n, sl_error *e)
{
    void *p;
    if (!f->xored) return f->f.data + off;
    p = *buf;
    if (sl_grow(&p, cap, n, 1)) { sl_err(e, SL_ENOMEM, "out of memory"); return NULL; }
    *buf = p;
    for (size_t i = 0; i < n; i++) (*buf)[i] = f->f.data[off + i] ^ f->xor_key[(off + i) % 8];
    return *buf;
}

static const uint8_t *fbytes(ctx *x, in_file *f, uint64_t off, size_t n, sl_error *e)
{
    return fbytes_into(&x->xbuf, &x->xcap, f, off, n, e);
}

/* ---------- candidate hash table ---------- */

static size_t hslot(const ctx *x, const sl_hash256 *h, size_t cap)
{
    uint64_t k;
    memcpy(&k, h->b + 8, 8); /* hash bytes 0..3 are mostly zero (PoW) */
    k ^= x->seed;
    k *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(k >> 17) & (cap - 1);
}

static int32_t cand_find(const ctx *x, const sl_hash256 *h)
{
    size_t i;
    if (!x->htcap) return -1;
    for (i = hslot(x, h, x->htcap);; i = (i + 1) & (x->htcap - 1)) {
        int32_t c = x->ht[i];
        if (c < 0) return -1;
        if (memcmp(x->c[c].hash.b, h->b, 32) == 0) return c;
    }
}

static int ht_build(ctx *x, sl_error *e)
{
    size_t cap = 64;
    while (cap < x->nc * 2 + 2) cap *= 2;
    sl_free(x->ht);
    x->ht = sl_malloc(cap * sizeof *x->ht);
    if (!x->ht) return sl_err(e, SL_ENOMEM, "out of memory");
    memset(x->ht, 0xff, cap * sizeof *x->ht);
    x->htcap = cap;
    for (size_t c = 0; c < x->nc; c++) {
        size_t i = hslot(x, &x->c[c].hash, cap);
        while (x->ht[i] >= 0) i = (i + 1) & (cap - 1);
        x->ht[i] = (int32_t)c;
    }
    return SL_OK;
}

/* The file and byte offset of a framing error, as fields (the message says them too). */
static sl_error *at(sl_error *e, const char *path, uint64_t off)
{
    sl_err_file(e, path);
    sl_err_offset(e, off);
    return e;
}

/* ---------- pass 1: framing ---------- */

static int push_cand(ctx *x, uint32_t fi, uint64_t off, uint64_t len, bool raw, sl_error *e)
{
    in_file *f = &x->files[fi];
    const uint8_t *h = fbytes(x, f, off, 80, e);
    cand *c;
    void *p = x->c;
    if (!h) return e->code;
    if (sl_grow(&p, &x->capc, x->nc + 1, sizeof *x->c)) return sl_err(e, SL_ENOMEM, "out of memory");
    x->c = p;
    c = &x->c[x->nc];
    memset(c, 0, sizeof *c);
    sl_btc_header_hash(&c->hash, h);
    memcpy(c->prev.b, h + 4, 32);
    c->bits = sl_le32(h + 72);
    c->file = fi;
    c->off = off;
    c->len = len;
    c->raw = raw;
    c->height = -1;
    c->parent = -1;
    if (!sl_btc_check_pow(h, &c->hash, x->net)) {
        char hx[65];
        sl_hash_hex(hx, &c->hash);
        if (raw) /* no magic at byte 0 either: say that first, it is the likelier cause */
            return sl_err(at(e, f->path, 0), SL_ECORRUPT,
                          "%s: byte offset 0: not a block file: no %s magic (%02x%02x%02x%02x expected, found "
                          "%02x%02x%02x%02x), and read as a raw block its header does not meet its proof-of-work target",
                          f->path, x->net->name, x->net->magic[0], x->net->magic[1], x->net->magic[2],
                          x->net->magic[3], h[0], h[1], h[2], h[3]);
        return sl_err(at(e, f->path, off), SL_ECORRUPT, "%s: byte offset %llu: block %s does not meet its proof-of-work target", f->path,
                      (unsigned long long)off, hx);
    }
    x->nc++;
    return SL_OK;
}

static int scan_file(ctx *x, uint32_t fi, sl_error *e)
{
    in_file *f = &x->files[fi];
    const uint8_t *d;
    uint64_t off = 0, len = f->f.len;
    if (len >= 4 && (d = fbytes(x, f, 0, 4, e)) && memcmp(d, x->net->magic, 4) == 0) f->framed = true;
    if (!f->framed && len >= 4) {
        /* a blk file of another network? say so rather than "not a block" */
        static const char *nets[] = {"bitcoin", "testnet", "testnet4", "signet", "regtest or litecoin-regtest",
                                     "litecoin"};
        static const char *first[] = {"bitcoin", "testnet", "testnet4", "signet", "regtest", "litecoin"};
        const char *base = strrchr(f->path, '/');
        for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
            const sl_btc_net *n = sl_btc_net_by_name(first[i]);
            if (memcmp(d, n->magic, 4) == 0)
                return sl_err(at(e, f->path, 0), SL_ECORRUPT,
                              "%s: byte offset 0: magic %02x%02x%02x%02x belongs to %s, the store's network is %s "
                              "(use --network)",
                              f->path, d[0], d[1], d[2], d[3], nets[i], x->net->name);
        }
        base = base ? base + 1 : f->path;
        if (strstr(base, "blk") && has_suffix(base, ".dat"))
            return sl_err(at(e, f->path, 0), SL_ECORRUPT,
                          "%s: byte offset 0: wrong magic %02x%02x%02x%02x (expected %02x%02x%02x%02x; an obfuscated "
                          "blk file whose folder lacks its xor.dat?)",
                          f->path, d[0], d[1], d[2], d[3], x->net->magic[0], x->net->magic[1], x->net->magic[2],
                          x->net->magic[3]);
    }
    if (!f->framed) {
        if (len < 81)
            return sl_err(e, SL_ECORRUPT, "%s: %llu bytes: too short for a block (not blk framing either)", f->path,
                          (unsigned long long)len);
        return push_cand(x, fi, 0, len, true, e);
    }
    while (off < len) {
        uint32_t blen;
        if (len - off < 8) {
            d = fbytes(x, f, off, (size_t)(len - off), e);
            for (uint64_t i = 0; i < len - off; i++)
                if (d[i]) return sl_err(at(e, f->path, off), SL_ECORRUPT, "%s: byte offset %llu: truncated block frame", f->path,
                                        (unsigned long long)off);
            break;
        }
        d = fbytes(x, f, off, 8, e);
        if (!d) return e->code;
        if (sl_le32(d) == 0) {
            /* Bitcoin Core pre-allocates blk files: the rest must be zero padding */
            const uint8_t *z = fbytes(x, f, off, (size_t)(len - off), e);
            for (uint64_t i = 0; i < len - off; i++)
                if (z[i])
                    return sl_err(at(e, f->path, off + (i & ~3ULL)), SL_ECORRUPT, "%s: byte offset %llu: wrong magic 00000000 (expected %02x%02x%02x%02x)",
                                  f->path, (unsigned long long)(off + (i & ~3ULL)), x->net->magic[0],
                                  x->net->magic[1], x->net->magic[2], x->net->magic[3]);
            break;
        }
        if (memcmp(d, x->net->magic, 4) != 0)
            return sl_err(at(e, f->path, off), SL_ECORRUPT, "%s: byte offset %llu: wrong magic %02x%02x%02x%02x (expected %02x%02x%02x%02x)",
                          f->path, (unsigned long long)off, d[0], d[1], d[2], d[3], x->net->magic[0], x->net->magic[1],
                          x->net->magic[2], x->net->magic[3]);
        blen = sl_le32(d + 4);
        if (blen > len - off - 8)
            return sl_err(at(e, f->path, (off + 4)), SL_ECORRUPT, "%s: byte offset %llu: block length %u runs past the end of the file (%llu bytes left)",
                          f->path, (unsigned long long)(off + 4), blen, (unsigned long long)(len - off - 8));
        if (blen < 81)
            return sl_err(at(e, f->path, (off + 4)), SL_ECORRUPT, "%s: byte offset %llu: block length %u is too short for a block", f->path,
                          (unsigned long long)(off + 4), blen);
        {
            int rc = push_cand(x, fi, off + 8, blen, false, e);
            if (rc) return rc;
        }
        off += 8 + (uint64_t)blen;
    }
    return SL_OK;
}

/* ---------- chain selection ---------- */

static bool is_zero(const sl_hash256 *h)
{
    for (int i = 0; i < 32; i++)
        if (h->b[i]) return false;
    return true;
}

static unsigned __int128 rec_work(const sl_btc_blockrec *r)
{
    unsigned __int128 w;
    memcpy(&w, r->chainwork, 16);
    return w;
}

/* Links blk-framed candidates to parents; marks those descending from the tip. */
static void select_chain(ctx *x, int32_t *best)
{
    const sl_btc_meta *m = sl_btc_meta_get(x->s);
    const sl_btc_blockrec *tip = m->chain_tip == SL_NONE32 ? NULL : sl_btc_block_at(x->s, m->chain_tip);
    int32_t *stack = NULL;
    size_t sp = 0, cap = 0;
    *best = -1;
    for (size_t i = 0; i < x->nc; i++) {
        uint32_t idx;
        if (sl_btc_block_by_hash(x->s, &x->c[i].hash, &idx) == SL_OK) x->c[i].state = 5;
        else if (cand_find(x, &x->c[i].hash) != (int32_t)i) x->c[i].state = 5; /* same block twice in the input */
    }
    for (size_t i = 0; i < x->nc; i++) {
        int32_t c = (int32_t)i;
        if (x->c[i].raw || x->c[i].state) continue;
        /* walk up to something resolved, then unwind */
        while (c >= 0 && !x->c[c].state) {
            void *q = stack;
            cand *k = &x->c[c];
            int32_t p = cand_find(x, &k->prev);
            if (sl_grow(&q, &cap, sp + 1, sizeof *stack)) break;
            stack = q;
            stack[sp++] = c;
            k->state = 6; /* on stack */
            if (p >= 0 && x->c[p].state == 5) p = -1; /* parent known: resolved below from the store */
            if (p >= 0 && !x->c[p].raw) { c = p; continue; }
            c = -1;
        }
        while (sp) {
            cand *k = &x->c[stack[--sp]];
            int32_t p = cand_find(x, &k->prev);
            uint32_t pidx;
            if (p >= 0 && x->c[p].state != 5 && !x->c[p].raw) {
                cand *pk = &x->c[p];
                k->parent = p;
                k->state = pk->state == 1 ? 1 : pk->state == 2 ? 2 : 3;
                k->height = pk->height >= 0 ? pk->height + 1 : -1;
                k->work = pk->work + sl_btc_bits_work(k->bits);
            } else if (sl_btc_block_by_hash(x->s, &k->prev, &pidx) == SL_OK) {
                const sl_btc_blockrec *pr = sl_btc_block_at(x->s, pidx);
                bool on_tip = tip && pidx == m->chain_tip;
                k->state = on_tip ? 1 : 2;
                k->height = pr->height != SL_NONE32 ? (int64_t)pr->height + 1 : -1;
                k->work = rec_work(pr) + sl_btc_bits_work(k->bits);
            } else if (is_zero(&k->prev)) {
                k->state = tip ? 2 : 1; /* a genesis block starts the chain when none is stored */
                k->height = 0;
                k->work = sl_btc_bits_work(k->bits);
            } else {
                k->state = 3; /* orphan: parent unknown */
            }
            if (k->state == 1 && (*best < 0 || k->work > x->c[*best].work)) *best = (int32_t)(k - x->c);
        }
    }
    sl_free(stack);
    for (int32_t c = *best; c >= 0; c = x->c[c].parent) x->c[c].state = 4;
}

/* ---------- prevout files ---------- */

static size_t po_slot(const ctx *x, const sl_hash256 *t, uint32_t vout, size_t cap)
{
    uint64_t k;
    memcpy(&k, t->b, 8);
    k = (k ^ x->seed ^ vout) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(k >> 13) & (cap - 1);
}

static bool json_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0 ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

static int po_entry(struct po *p, const cJSON *val, const cJSON *spk, const char *path, int i, const char *field,
                    sl_error *e)
{
    size_t sl;
    if (!json_u64(val, &p->value) || p->value > 2100000000000000ULL)
        return sl_err(e, SL_ECORRUPT, "%s: $[%d].%s: expected an integer amount in satoshi", path, i, field);
    if (!cJSON_IsString(spk) || (sl = strlen(spk->valuestring)) % 2)
        return sl_err(e, SL_ECORRUPT, "%s: $[%d]: script_pubkey must be a hex string", path, i);
    p->slen = (uint32_t)(sl / 2);
    p->script = sl_malloc(p->slen + 1);
    if (!p->script) return sl_err(e, SL_ENOMEM, "out of memory");
    if (!sl_hex_decode(p->script, p->slen, spk->valuestring, sl))
        return sl_err(e, SL_ECORRUPT, "%s: $[%d]: script_pubkey is not valid hex", path, i);
    return SL_OK;
}

static int load_prevouts(ctx *x, const char *path, sl_error *e)
{
    sl_file f;
    cJSON *root;
    int rc = sl_file_open(&f, path, e), n, i;
    struct po *arr = NULL;
    if (rc) return rc;
    if ((rc = sl_json_parse(&root, (const char *)f.data, f.len, path, e))) { /* strict: a repeated key is an error */
        sl_file_close(&f);
        return rc;
    }
    if (!cJSON_IsArray(root)) { rc = sl_err(e, SL_ECORRUPT, "%s: $: expected an array of prevouts", path); goto out; }
    n = cJSON_GetArraySize(root);
    arr = sl_calloc((size_t)n + 1, sizeof *arr);
    if (!arr) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
    i = 0;
    {
        const cJSON *it;
        bool positional = n > 0 && cJSON_GetObjectItemCaseSensitive(root->child, "txout");
        cJSON_ArrayForEach(it, root) {
            if (!cJSON_IsObject(it)) { rc = sl_err(e, SL_ECORRUPT, "%s: $[%d]: expected an object", path, i); goto out; }
            if (positional) {
                const cJSON *to = cJSON_GetObjectItemCaseSensitive(it, "txout");
                if (!cJSON_IsObject(to)) { rc = sl_err(e, SL_ECORRUPT, "%s: $[%d].txout: missing", path, i); goto out; }
                rc = po_entry(&arr[i], cJSON_GetObjectItemCaseSensitive(to, "value"),
                              cJSON_GetObjectItemCaseSensitive(to, "script_pubkey"), path, i, "txout.value", e);
            } else {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "txid");
                uint64_t vout;
                if (!cJSON_IsString(t) || !sl_hash_parse(&arr[i].txid, t->valuestring)) {
                    rc = sl_err(e, SL_ECORRUPT, "%s: $[%d].txid: expected a 64-digit hex txid", path, i);
                    goto out;
                }
                if (!json_u64(cJSON_GetObjectItemCaseSensitive(it, "vout"), &vout) || vout > UINT32_MAX) {
                    rc = sl_err(e, SL_ECORRUPT, "%s: $[%d].vout: expected an output index", path, i);
                    goto out;
                }
                arr[i].vout = (uint32_t)vout;
                rc = po_entry(&arr[i], cJSON_GetObjectItemCaseSensitive(it, "value_sats"),
                              cJSON_GetObjectItemCaseSensitive(it, "script_pubkey"), path, i, "value_sats", e);
            }
            if (rc) goto out;
            i++;
        }
        if (positional) {
            /* which block? the 64-hex hash in the file name, "<height>_<hash>.*" */
            const char *b = strrchr(path, '/');
            const char *us;
            sl_hash256 bh;
            void *q = x->posn;
            size_t capn = x->nposn;
            b = b ? b + 1 : path;
            us = strchr(b, '_');
            if (!us || !name_hash(&bh, us + 1)) {
                rc = sl_err(e, SL_EUSAGE, "%s: a per-input prevout list must be named <height>_<blockhash>.*", path);
                goto out;
            }
            if (sl_grow(&q, &capn, x->nposn + 1, sizeof *x->posn)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
            x->posn = q;
            x->posn[x->nposn].block = bh;
            x->posn[x->nposn].e = arr;
            x->posn[x->nposn].n = (size_t)n;
            x->nposn++;
            arr = NULL;
        } else if (n > 0) { /* an empty list adds nothing (and x->po may still be NULL) */
            void *q = x->po;
            if (sl_grow(&q, &x->cappo, x->npo + (size_t)n, sizeof *x->po)) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
            x->po = q;
            memcpy(x->po + x->npo, arr, (size_t)n * sizeof *arr);
            x->npo += (size_t)n;
        }
    }
out:
    if (arr && rc) {
        for (int k = 0; k < n; k++) sl_free(arr[k].script);
    }
    sl_free(arr);
    cJSON_Delete(root);
    sl_file_close(&f);
    return rc;
}

static int po_index(ctx *x, sl_error *e)
{
    size_t cap = 64;
    while (cap < x->npo * 2 + 2) cap *= 2;
    x->poht = sl_malloc(cap * sizeof *x->poht);
    if (!x->poht) return sl_err(e, SL_ENOMEM, "out of memory");
    memset(x->poht, 0xff, cap * sizeof *x->poht);
    x->pohtcap = cap;
    for (size_t k = 0; k < x->npo; k++) {
        size_t i = po_slot(x, &x->po[k].txid, x->po[k].vout, cap);
        while (x->poht[i] >= 0) i = (i + 1) & (cap - 1);
        x->poht[i] = (int32_t)k;
    }
    return SL_OK;
}

static void provide(void *vctx, const sl_btc_block *b, uint32_t k, sl_btc_prevout *out)
{
    ctx *x = vctx;
    for (size_t i = 0; i < x->nposn; i++)
        if (memcmp(x->posn[i].block.b, b->hash.b, 32) == 0 && k >= 1 && k - 1 < x->posn[i].n) {
            struct po *p = &x->posn[i].e[k - 1];
            out->value = p->value, out->script = p->script, out->script_len = p->slen, out->found = true;
            return;
        }
    if (x->pohtcap) {
        const sl_btc_txin *in = &b->in[k];
        for (size_t i = po_slot(x, &in->prev_txid, in->prev_vout, x->pohtcap);; i = (i + 1) & (x->pohtcap - 1)) {
            int32_t c = x->poht[i];
            if (c < 0) return;
            if (x->po[c].vout == in->prev_vout && memcmp(x->po[c].txid.b, in->prev_txid.b, 32) == 0) {
                out->value = x->po[c].value, out->script = x->po[c].script, out->script_len = x->po[c].slen;
                out->found = true;
                return;
            }
        }
    }
}

/* ---------- parsing ahead, in parallel ----------
 * Blocks are parsed (and their txids hashed) by worker threads while the calling thread
 * consumes them in order: worker w parses blocks w, w + NW, w + 2 NW, ... of the order into
 * ring slot k % DEPTH, and the consumer takes slot k when it is ready. Parsing touches only
 * the input files (read-only mappings) and the slot's own buffers; the store is written
 * by the consumer alone. */
#define PIPE_DEPTH 32 /* at most; a memory budget may ask for fewer slots (pipe_depth) */

typedef struct pslot {
    sl_btc_block b;
    sl_btc_prep prep;
    sl_error be;
    uint8_t *xbuf;
    size_t xcap;
    int rc;
    bool ready;
} pslot;

typedef struct pipe_t {
    ctx *x;
    const size_t *order;
    size_t n, taken; /* taken: blocks the consumer released */
    unsigned checks;
    const sl_btc_prepkeys *keys; /* when set, workers also prepare each block for the writer */
    int nw, depth;
    bool stop;
    pthread_t th[PIPE_DEPTH];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pslot s[PIPE_DEPTH];
    struct pworker { struct pipe_t *p; int w; } pw[PIPE_DEPTH];
} pipe_t;

static void *pipe_work(void *arg)
{
    struct pworker *pw = arg;
    pipe_t *p = pw->p;
    for (size_t k = (size_t)pw->w; k < p->n; k += (size_t)p->nw) {
        pslot *sl = &p->s[k % (size_t)p->depth];
        const cand *c = &p->x->c[p->order[k]];
        const uint8_t *d;
        pthread_mutex_lock(&p->mu);
        while (!p->stop && k >= p->taken + (size_t)p->depth) pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (p->stop) break;
        memset(&sl->be, 0, sizeof sl->be);
        d = fbytes_into(&sl->xbuf, &sl->xcap, &p->x->files[c->file], c->off, (size_t)c->len, &sl->be);
        sl->rc = d ? sl_btc_block_parse(&sl->b, d, (size_t)c->len, p->x->net, p->checks, &sl->be) : SL_ENOMEM;
        if (!sl->rc && p->keys) sl->rc = sl_btc_prepare(p->keys, &sl->b, &sl->prep, &sl->be);
        pthread_mutex_lock(&p->mu);
        sl->ready = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    const char *t = getenv("SLEUTH_THREADS");
    if (t && atoi(t) > 0) n = atoi(t);
    return n < 1 ? 1 : n > PIPE_DEPTH / 2 ? PIPE_DEPTH / 2 : (int)n;
}

/* Ring slots for a memory budget: a parsed and prepared block takes ~4x its bytes, and the
 * ring gets a sixteenth of the budget (32 slots unless the budget is small), never fewer
 * than two per worker. */
static int pipe_depth(uint64_t budget, uint64_t block_bytes, int nw)
{
    uint64_t per = 4 * (block_bytes ? block_bytes : 1), d = budget / 16 / per;
    if (d > PIPE_DEPTH) d = PIPE_DEPTH;
    if (d < 2 * (uint64_t)nw) d = 2 * (uint64_t)nw;
    return d > PIPE_DEPTH ? PIPE_DEPTH : (int)d;
}

/* Starts nw workers over order[0..n) with `depth` ring slots. Errors: SL_ENOMEM (no
 * thread could start). */
static int pipe_start(pipe_t *p, ctx *x, const size_t *order, size_t n, unsigned checks,
                      const sl_btc_prepkeys *keys, int nw, int depth, sl_error *e)
{
    memset(p, 0, sizeof *p);
    p->x = x, p->order = order, p->n = n, p->checks = checks, p->keys = keys, p->nw = nw < 1 ? 1 : nw;
    p->depth = depth < 1 ? 1 : depth > PIPE_DEPTH ? PIPE_DEPTH : depth;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int w = 0; w < p->nw; w++) {
        p->pw[w].p = p, p->pw[w].w = w;
        if (pthread_create(&p->th[w], NULL, pipe_work, &p->pw[w]) != 0) {
            p->nw = w; /* the ones started keep their share: the rest cannot run */
            p->stop = true;
            return sl_err(e, SL_ENOMEM, "cannot start a parsing thread");
        }
    }
    return SL_OK;
}

/* Waits for block k (taken in order); its slot stays the consumer's until pipe_release. */
static pslot *pipe_take(pipe_t *p, size_t k)
{
    pslot *sl = &p->s[k % (size_t)p->depth];
    pthread_mutex_lock(&p->mu);
    while (!sl->ready) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return sl;
}

static void pipe_release(pipe_t *p, size_t k)
{
    pthread_mutex_lock(&p->mu);
    p->s[k % (size_t)p->depth].ready = false;
    p->taken = k + 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void pipe_stop(pipe_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int w = 0; w < p->nw; w++) pthread_join(p->th[w], NULL);
    for (int i = 0; i < PIPE_DEPTH; i++) {
        sl_btc_block_free(&p->s[i].b);
        sl_btc_prep_free(&p->s[i].prep);
        sl_free(p->s[i].xbuf);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

/* ---------- driver ---------- */

/* The memory budget (sl_ingest_opts.memory_bytes; 0: a quarter of RAM). */
static uint64_t budget_of(uint64_t budget)
{
    if (!budget) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        budget = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz / 4 : (uint64_t)2 << 30;
    }
    return budget;
}

/* Block bytes per commit for a memory budget. */
static uint64_t batch_for_memory(uint64_t budget)
{
    uint64_t b = budget_of(budget) / 16;
    if (b < ((uint64_t)8 << 20)) b = (uint64_t)8 << 20;
    if (b > ((uint64_t)512 << 20)) b = (uint64_t)512 << 20;
    return b;
}

static void ctx_free(ctx *x)
{
    for (size_t i = 0; i < x->nfiles; i++) sl_file_close(&x->files[i].f);
    sl_free(x->files);
    sl_free(x->c);
    sl_free(x->ht);
    sl_free(x->xbuf);
    for (size_t i = 0; i < x->npo; i++) sl_free(x->po[i].script);
    sl_free(x->po);
    sl_free(x->poht);
    for (size_t i = 0; i < x->nposn; i++) {
        for (size_t k = 0; k < x->posn[i].n; k++) sl_free(x->posn[i].e[k].script);
        sl_free(x->posn[i].e);
    }
    sl_free(x->posn);
}

static int block_error(ctx *x, const cand *c, sl_error *be, sl_error *e)
{
    char hx[65];
    sl_hash_hex(hx, &c->hash);
    /* the located fields: the file, and the offset within the block moved to the file's */
    if (e && (e == be || !e->code)) {
        sl_err_file(e, x->files[c->file].path);
        if (e != be && be->has_offset) sl_err_offset(e, c->off + be->offset);
        else sl_err_offset(e, c->off);
        if (e != be) sl_err_path(e, be->path);
    }
    return sl_err(e, be->code, "%s: block %s at byte offset %llu: %s", x->files[c->file].path, hx,
                  (unsigned long long)c->off, be->msg);
}

/* The pages of a block file up to the end of block c are read and not needed again: they
 * are marked cold (MADV_COLD, every 16 MiB), so the kernel reclaims them before the
 * store's tables, which the writer probes at random (a whole chain's block files are
 * larger than memory). Only for mapped files (decoded ones are the ingest's own memory). */
static void mark_read(ctx *x, const cand *c)
{
    in_file *f = &x->files[c->file];
    uint64_t end = c->off + c->len, pg = 4096;
    if (!f->f.map || f->xored || end < f->cold + ((uint64_t)16 << 20)) return;
    end &= ~(pg - 1);
    madvise((uint8_t *)f->f.map + f->cold, (size_t)(end - f->cold), MADV_COLD);
    f->cold = end;
}

/* Height for a raw (unframed) block: parent in the store, else BIP-34, else file name. */
static int raw_height(ctx *x, const cand *c, const sl_btc_block *b, uint32_t *height, uint32_t *flags, sl_error *e)
{
    const sl_btc_meta *m = sl_btc_meta_get(x->s);
    uint32_t pidx;
    in_file *f = &x->files[c->file];
    *flags = 0;
    *height = SL_NONE32;
    if (sl_btc_block_by_hash(x->s, &b->hdr.prev, &pidx) == SL_OK) {
        const sl_btc_blockrec *p = sl_btc_block_at(x->s, pidx);
        if (p->height != SL_NONE32) *height = p->height + 1;
        if (pidx == m->chain_tip) *flags |= SL_BLK_LINKED;
    } else if (is_zero(&b->hdr.prev)) {
        *height = 0;
        if (m->chain_tip == SL_NONE32) *flags |= SL_BLK_LINKED;
    } else if (b->bip34_height >= 0 && b->hdr.version >= 2 && f->name_height < 0) {
        *height = (uint32_t)b->bip34_height;
    } else if (f->name_height >= 0 && memcmp(f->name_hash.b, b->hash.b, 32) == 0) {
        *height = (uint32_t)f->name_height;
        if (b->bip34_height >= 0 && b->hdr.version >= 2 && b->bip34_height != f->name_height && f->name_height >= 227931)
            return sl_err(e, SL_ECORRUPT, "%s: file name says height %lld, the coinbase (BIP-34) says %lld", f->path,
                          (long long)f->name_height, (long long)b->bip34_height);
    }
    return SL_OK;
}

/* Puts block b's OP_RETURN payloads (b's first tx has store id first_tx) into the open
 * annotation batch. buf: scratch, grown here. */
static int annot_block(sl_annot *an, const sl_btc_block *b, uint64_t first_tx, sl_buf *buf, sl_error *e)
{
    sl_annot_row r;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        const sl_btc_tx *tx = &b->tx[t];
        for (uint32_t v = 0; v < tx->n_out; v++) {
            const sl_btc_txout *o = &b->out[tx->first_out + v];
            bool is;
            int rc;
            if (!o->script_len || o->script[0] != 0x6a) continue;
            {
                void *q = buf->p;
                if (sl_grow(&q, &buf->cap, o->script_len, 1)) return sl_err(e, SL_ENOMEM, "out of memory");
                buf->p = q;
            }
            memset(&r, 0, sizeof r);
            r.chain = SL_CHAIN_BTC, r.kind = SL_ANNOT_OPRETURN, r.tx = first_tx + t, r.idx = v;
            r.len = sl_annot_op_return(o->script, o->script_len, buf->p, &is);
            r.data = buf->p;
            r.text = "";
            if ((rc = sl_annot_put(an, &r, e))) return rc;
        }
    }
    return SL_OK;
}

int sl_ingest_btc(sl_store *s, const char *const *paths, int npaths, const sl_ingest_opts *o, sl_ingest_report *r,
                  sl_error *e)
{
    ctx x;
    int rc = SL_OK;
    int32_t best;
    sl_btc_block blk;
    char netname[32];
    size_t *order = NULL, norder = 0;
    uint64_t batch = o->batch_bytes ? o->batch_bytes : batch_for_memory(o->memory_bytes), in_batch = 0;
    sl_progress pg;
    double t0 = sl_now();
    const sl_btc_meta *m = sl_btc_meta_get(s);
    const char *crash = getenv("SLEUTH_TEST_KILL_AFTER_COMMITS");
    sl_btc_prepkeys keys;
    uint32_t start_blocks = 0;
    sl_annot *an = NULL;
    sl_buf abuf = {0};

    memset(&x, 0, sizeof x);
    memset(&blk, 0, sizeof blk);
    memset(r, 0, sizeof *r);
    x.s = s;
    x.seed = (uint64_t)(uintptr_t)&x ^ (uint64_t)(t0 * 1e9);
    snprintf(netname, sizeof netname, "%s", o->network ? o->network : m->network[0] ? m->network : "bitcoin");
    if (m->n_blocks && m->network[0] && strcmp(netname, m->network) != 0)
        return sl_err(e, SL_ECONFLICT, "store holds %s blocks; cannot ingest %s blocks into it", m->network, netname);
    if (!(x.net = sl_btc_net_by_name(netname))) return sl_err(e, SL_EUSAGE, "unknown network '%s'", netname);

    for (int i = 0; i < npaths && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) rc = sl_err(e, SL_EIO, "%s: %s", paths[i], strerror(errno));
        else if (S_ISDIR(st.st_mode)) rc = add_dir(&x, paths[i], e);
        else rc = add_file(&x, paths[i], NULL, e);
    }
    for (int i = 0; i < o->n_prevouts && !rc; i++) rc = load_prevouts(&x, o->prevouts[i], e);
    if (!rc && x.npo) rc = po_index(&x, e);
    r->files = x.nfiles;
    for (uint32_t i = 0; i < x.nfiles && !rc; i++) rc = scan_file(&x, i, e);
    if (!rc) rc = ht_build(&x, e);
    if (rc) goto out;
    r->blocks_seen = x.nc;
    select_chain(&x, &best);

    /* the write order: the chosen chain from its root, then raw blocks in input order */
    order = sl_malloc((x.nc + 1) * sizeof *order);
    if (!order) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
    {
        size_t n = 0;
        for (int32_t c = best; c >= 0; c = x.c[c].parent) n++;
        norder = n;
        for (int32_t c = best; c >= 0; c = x.c[c].parent) order[--n] = (size_t)c;
        for (size_t i = 0; i < x.nc; i++) {
            if (x.c[i].raw && x.c[i].state != 5) order[norder++] = i;
            if (x.c[i].state == 5) r->blocks_known++;
            else if (!x.c[i].raw && x.c[i].state == 3) r->blocks_orphan++;
            else if (!x.c[i].raw && x.c[i].state != 4) r->blocks_stale++;
        }
    }
    /* a raw block file whose header is already stored is still checked whole: "already
     * stored" is only said of a valid copy (a truncated or altered file is an error) */
    for (size_t i = 0; i < x.nc; i++) {
        cand *c = &x.c[i];
        sl_error be = {0};
        const uint8_t *p;
        if (!c->raw || c->state != 5) continue;
        if (!(p = fbytes(&x, &x.files[c->file], c->off, (size_t)c->len, e))) { rc = e->code; goto out; }
        if ((rc = sl_btc_block_parse(&blk, p, (size_t)c->len, x.net, SL_BTC_CHECK_ALL, &be))) {
            rc = block_error(&x, c, &be, e);
            goto out;
        }
    }
    if (norder == 0) goto out;

    /* one pass: parsed, checked and prepared by the other threads, written here in order */
    sl_progress_start(&pg, norder, "blocks", o->quiet);
    start_blocks = (uint32_t)m->n_blocks;
    sl_btc_prep_keys(s, &keys);
    uint64_t bytes = 0;
    {
        for (size_t k = 0; k < norder; k++) bytes += x.c[order[k]].len;
        /* ~400 block bytes a tx (the generated chain; mainnet averages more): growing the
         * tables once now costs less than growing them step by step */
        /* the address table's hot tier: bounded by the budget (sl_btc_set_budget) */
        sl_btc_set_budget(s, budget_of(o->memory_bytes), o->addr_table_bytes,
                          (batch < bytes ? batch : bytes) / 400 + 1);
        if ((rc = sl_btc_expect(s, bytes / 400 + 1, e))) goto out;
    }
    if ((rc = sl_annot_open(&an, s, e)) || (rc = sl_annot_begin(an, e))) goto out;
    if ((rc = sl_btc_begin(s, netname, e))) goto out;
    {
        pipe_t pp;
        if ((rc = pipe_start(&pp, &x, order, norder, SL_BTC_CHECK_ALL, &keys, ncores(),
                             pipe_depth(budget_of(o->memory_bytes), bytes / norder, ncores()), e))) {
            pipe_stop(&pp);
            sl_btc_abort(s);
            goto out;
        }
        for (size_t k = 0; k < norder && !rc; k++) {
            cand *c = &x.c[order[k]];
            sl_error be = {0};
            uint32_t height, flags;
            unsigned __int128 work = 0;
            pslot *sl = pipe_take(&pp, k);
            const sl_btc_block *blk = &sl->b;
            if (sl->rc) {
                rc = sl->rc == SL_ENOMEM && !sl->be.code ? sl_err(e, SL_ENOMEM, "out of memory")
                                                         : block_error(&x, c, &sl->be, e);
                sl_btc_abort(s);
                break;
            }
            for (size_t i = 0; i < x.nposn; i++)
                if (memcmp(x.posn[i].block.b, blk->hash.b, 32) == 0 && x.posn[i].n != (size_t)blk->n_in - 1) {
                    rc = sl_err(e, SL_ECORRUPT, "per-input prevout list for this block has %zu entries, the block "
                                "has %u non-coinbase inputs", x.posn[i].n, blk->n_in - 1);
                    block_error(&x, c, e, e);
                    break;
                }
            if (rc) {
                sl_btc_abort(s);
                break;
            }
            if (c->raw) {
                uint32_t dummy;
                if (sl_btc_block_by_hash(s, &blk->hash, &dummy) == SL_OK) { /* same block twice among the inputs */
                    r->blocks_known++;
                    goto next;
                }
                if ((rc = raw_height(&x, c, blk, &height, &flags, e))) { sl_btc_abort(s); break; }
                if (flags & SL_BLK_LINKED) {
                    uint32_t pidx;
                    if (sl_btc_block_by_hash(s, &blk->hdr.prev, &pidx) == SL_OK)
                        work = rec_work(sl_btc_block_at(s, pidx));
                    work += sl_btc_bits_work(blk->hdr.bits);
                }
            } else {
                height = (uint32_t)c->height;
                flags = SL_BLK_LINKED;
                work = c->work;
            }
            {
                uint64_t first_tx = sl_btc_meta_get(s)->n_tx;
                if ((rc = sl_btc_append_block(s, blk, &sl->prep, height, flags, work, provide, &x, &be))) {
                    rc = block_error(&x, c, &be, e); /* the batch is undone: the store stays at its last commit */
                    sl_btc_abort(s);
                    break;
                }
                if ((rc = annot_block(an, blk, first_tx, &abuf, e))) {
                    sl_btc_abort(s);
                    break;
                }
            }
            r->blocks_added++;
            r->txs_added += blk->n_tx;
            r->inputs_added += blk->n_in;
            r->outputs_added += blk->n_out;
            r->bytes_added += c->len;
            in_batch += c->len;
        next:
            mark_read(&x, c);
            pipe_release(&pp, k);
            sl_progress_update(&pg, k + 1, r->txs_added);
            if (in_batch >= batch || k + 1 == norder) {
                /* the annotations first: the store's commit is what makes them visible */
                if ((rc = sl_annot_commit(an, e))) { sl_btc_abort(s); break; }
                if (crash && getenv("SLEUTH_TEST_KILL_BETWEEN") && r->commits + 1 >= (uint64_t)atoll(crash))
                    raise(SIGKILL); /* crash-safety test hook: annotations committed, the store not */
                if ((rc = sl_btc_commit(s, e))) break;
                r->commits++;
                in_batch = 0;
                if (crash && r->commits >= (uint64_t)atoll(crash)) raise(SIGKILL); /* crash-safety test hook */
                if (k + 1 < norder && ((rc = sl_annot_begin(an, e)) || (rc = sl_btc_begin(s, netname, e)))) break;
            }
        }
        pipe_stop(&pp);
        if (rc) {
            sl_annot_close(an); /* its open batch is dropped; sl_btc_truncate cuts what it committed */
            an = NULL;
            /* a refused block: what this ingest committed goes again, so the store is as it
             * was before the command (a kill -9 instead leaves the last commit, to resume) */
            if (r->commits && sl_btc_meta_get(s)->n_blocks > start_blocks) {
                sl_error te = {0};
                if (sl_btc_truncate(s, start_blocks, &te) != SL_OK)
                    sl_err_prefix(e, "%s; and removing this ingest's earlier batches failed too (%s): ", e->msg,
                                  te.msg);
            }
            r->blocks_added = r->txs_added = r->inputs_added = r->outputs_added = r->bytes_added = 0;
            goto out;
        }
    }
    sl_progress_end(&pg);
out:
    r->table_bytes = sl_btc_table_bytes(s);
    r->budget_bytes = budget_of(o->memory_bytes);
    r->seconds = sl_now() - t0;
    sl_annot_close(an);
    sl_buf_free(&abuf);
    sl_free(order);
    sl_btc_block_free(&blk);
    ctx_free(&x);
    return rc;
}
