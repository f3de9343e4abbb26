/* bridges.c — bridge crossings by deposit/release pairing rules (xchain.h, docs/LAUNDERING.md
 * "Bridges"). A bridge locks what it receives at a deposit address on one chain and pays it
 * out from a release address on another; the chains do not say which release answers which
 * deposit (unlike THORChain's OUT:<txid> memos), so the analyst states the bridge's rule: the
 * two addresses, the assets, how long a release may take and how much the bridge keeps.
 * sleuth then pairs each deposit, in chain order, with the first release that fits and is
 * not taken — one to one, so the answer for a deposit does not depend on which transactions
 * a trace happened to ask about — and the tracer crosses through the pair like through a
 * THORChain swap. The link says it came from a rule (origin SL_LINK_RULE), with the file and
 * line, because it is an inference, not a fact of the chains.
 *
 * Rules live in STORE/knowledge/bridges.d/ as .yaml files (`sleuth tags import FILE` puts them there),
 * read with the strict YAML tree of the tag importers (a key given twice is a located error).
 */
#include "sleuth/xchain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "knowledge/tags_int.h" /* sl_ynode: the strict YAML tree, sl_tags__bad_at */
#include "sleuth/crypto.h"
#include "sleuth/eth_store.h"
#include "sleuth/hashtab.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

/* ---------------- the rules file ---------------- */

void sl_bridge_rules_free(sl_bridge_rules *r)
{
    sl_free(r->v);
    memset(r, 0, sizeof *r);
}

/* Copies scalar `key` of m into out (cap bytes); a missing key leaves out as it is unless
 * required. */
static int field(const char *path, const sl_ynode *m, const char *key, bool required, char *out, size_t cap,
                 sl_error *e)
{
    const sl_ynode *v = sl_ynode_get(m, key);
    if (!v) return required ? sl_tags__bad_at(path, m->line, key, e, "missing (mandatory)") : SL_OK;
    if (v->type != SL_Y_SCALAR || !v->s[0]) return sl_tags__bad_at(path, v->line, key, e, "a non-empty text expected");
    if (strlen(v->s) >= cap) return sl_tags__bad_at(path, v->line, key, e, "longer than %zu characters", cap - 1);
    snprintf(out, cap, "%s", v->s);
    return SL_OK;
}

/* An unsigned integer scalar (decimal digits only) at most max. */
static int number(const char *path, const sl_ynode *m, const char *key, sl_u128 max, sl_u128 *out, sl_error *e)
{
    const sl_ynode *v = sl_ynode_get(m, key);
    sl_u128 x = 0;
    if (!v) return SL_OK;
    if (v->type != SL_Y_SCALAR || !v->s[0] || v->s[strspn(v->s, "0123456789")])
        return sl_tags__bad_at(path, v->line, key, e, "a whole number expected, not '%.40s'", v->type == SL_Y_SCALAR ? v->s : "");
    for (const char *p = v->s; *p; p++) {
        if (x > (max - (sl_u128)(*p - '0')) / 10) return sl_tags__bad_at(path, v->line, key, e, "too large");
        x = x * 10 + (sl_u128)(*p - '0');
    }
    *out = x;
    return SL_OK;
}

/* One side of a rule: {chain, address, asset}. */
static int side(const char *path, const sl_ynode *m, const char *key, char *chain, char *addr, char *asset, sl_error *e)
{
    const sl_ynode *s = sl_ynode_get(m, key);
    int rc;
    if (!s) return sl_tags__bad_at(path, m->line, key, e, "missing (mandatory): {chain, address, asset}");
    if ((rc = sl_ynode_check_map(path, s, key, e))) return rc;
    for (size_t i = 0; i < s->n; i += 2) {
        const char *k = s->kids[i].s;
        if (strcmp(k, "chain") && strcmp(k, "address") && strcmp(k, "asset"))
            return sl_tags__bad_at(path, s->kids[i].line, k, e, "unknown key in %s (chain, address, asset)", key);
    }
    if ((rc = field(path, s, "chain", true, chain, 16, e)) || (rc = field(path, s, "address", true, addr, 64, e)) ||
        (rc = field(path, s, "asset", false, asset, 48, e)))
        return rc;
    return SL_OK;
}

static int one_rule(const char *path, const sl_ynode *m, sl_bridge_rule *r, sl_error *e)
{
    static const char *const KEYS[] = {"name", "from", "to", "window", "max_fee_bps", "max_fee_units", "same_address", "note"};
    sl_u128 x;
    int rc;
    memset(r, 0, sizeof *r);
    if ((rc = sl_ynode_check_map(path, m, "bridges", e))) return rc;
    for (size_t i = 0; i < m->n; i += 2) {
        size_t k = 0;
        while (k < sizeof KEYS / sizeof *KEYS && strcmp(KEYS[k], m->kids[i].s)) k++;
        if (k == sizeof KEYS / sizeof *KEYS)
            return sl_tags__bad_at(path, m->kids[i].line, m->kids[i].s, e,
                                   "unknown key (name, from, to, window, max_fee_bps, max_fee_units, same_address, note)");
    }
    snprintf(r->file, sizeof r->file, "%s", path);
    r->line = m->line;
    r->window_s = 3600, r->max_fee_bps = 50;
    if ((rc = field(path, m, "name", true, r->name, sizeof r->name, e)) ||
        (rc = side(path, m, "from", r->from_chain, r->from_address, r->from_asset, e)) ||
        (rc = side(path, m, "to", r->to_chain, r->to_address, r->to_asset, e)))
        return rc;
    x = r->window_s;
    if ((rc = number(path, m, "window", (sl_u128)366 * 86400, &x, e))) return rc;
    r->window_s = (uint64_t)x;
    x = r->max_fee_bps;
    if ((rc = number(path, m, "max_fee_bps", 10000, &x, e))) return rc;
    r->max_fee_bps = (uint32_t)x;
    if ((rc = number(path, m, "max_fee_units", ~(sl_u128)0, &r->max_fee_units, e))) return rc;
    const sl_ynode *sa = sl_ynode_get(m, "same_address");
    if (sa) {
        if (sa->type != SL_Y_SCALAR || (strcmp(sa->s, "true") && strcmp(sa->s, "false")))
            return sl_tags__bad_at(path, sa->line, "same_address", e, "true or false expected");
        r->same_address = !strcmp(sa->s, "true");
        const sl_chain_def *f = sl_chain_by_name(r->from_chain), *t = sl_chain_by_name(r->to_chain);
        if (r->same_address && ((f && f->model != SL_MODEL_ACCOUNT) || (t && t->model != SL_MODEL_ACCOUNT)))
            return sl_tags__bad_at(path, sa->line, "same_address", e,
                                   "needs both sides on account chains (a Bitcoin-family chain has no single sender)");
    }
    return SL_OK;
}

int sl_bridge_rules_read(const char *path, sl_bridge_rules *out, sl_error *e)
{
    sl_ynode root;
    const sl_ynode *list = NULL;
    size_t n0 = out->n;
    int rc = sl_ynode_read_file(path, &root, e);
    if (!rc && root.type == SL_Y_MAP) rc = sl_ynode_check_map(path, &root, "document", e);
    if (!rc && (root.type != SL_Y_MAP || !(list = sl_ynode_get(&root, "bridges")) || list->type != SL_Y_SEQ))
        rc = sl_tags__bad_at(path, root.line, "bridges", e, "missing: a list `bridges:` expected");
    for (size_t i = 0; !rc && list && i < list->n; i++) {
        void *q = out->v;
        if (sl_grow(&q, &out->cap, out->n + 1, sizeof *out->v)) {
            rc = sl_err(e, SL_ENOMEM, "out of memory");
            break;
        }
        out->v = q;
        if (!(rc = one_rule(path, &list->kids[i], &out->v[out->n], e))) out->n++;
    }
    sl_ynode_free(&root);
    if (rc) out->n = n0; /* a bad file adds nothing */
    return rc;
}

bool sl_bridge_rules_is_file(const char *path) { return sl_knowledge__has_top_key(path, "bridges"); }

int sl_bridge_rules_import(const char *store_dir, const char *path, size_t *n, sl_error *e)
{
    sl_bridge_rules r = {0};
    int rc = sl_bridge_rules_read(path, &r, e);
    *n = 0;
    if (!rc && !r.n) rc = sl_err(e, SL_EUSAGE, "%s: the list `bridges:` is empty", path);
    if (!rc) rc = sl_knowledge__keep_yaml(store_dir, "bridges.d", path, e);
    if (!rc) *n = r.n;
    sl_bridge_rules_free(&r);
    return rc;
}

static int load_one(void *ctx, const char *path, sl_error *e) { return sl_bridge_rules_read(path, ctx, e); }

int sl_bridge_rules_load(const char *store_dir, sl_bridge_rules *out, sl_error *e)
{
    return sl_knowledge__each_yaml(store_dir, "bridges.d", load_one, out, e);
}

/* ---------------- pairing ---------------- */

typedef struct side_v {
    const sl_flow_view *v;
    uint32_t addr, asset;
    int decimals;
} side_v;

/* Resolves one side of a rule in fs: false when the store does not hold it (no chain, the
 * address never seen, an unknown asset): the rule then pairs nothing. */
static bool resolve(const sl_flow_set *fs, const char *chain, const char *addr, const char *asset, side_v *s)
{
    sl_error e2 = {0};
    sl_flow_asset a;
    if (sl_flow_set_find(fs, chain, &s->v, &e2)) return false;
    if (s->v->m->addr_find(s->v, addr, &s->addr, &e2)) return false;
    if (s->v->m->asset_find(s->v, asset[0] ? asset : "native", &s->asset)) return false;
    s->v->m->asset_info(s->v, s->asset, &a);
    s->decimals = a.decimals < 0 ? 0 : a.decimals;
    return true;
}

/* x scaled from `from` decimals to `to` decimals (floor). */
static sl_u128 rescale(sl_u128 x, int from, int to)
{
    for (; from < to; from++) x = x > ~(sl_u128)0 / 10 ? ~(sl_u128)0 : x * 10;
    for (; from > to; from--) x /= 10;
    return x;
}

static bool same_name(const sl_flow_view *a, uint32_t ia, const sl_flow_view *b, uint32_t ib)
{
    char x[SL_FLOW_NAME_MAX], y[SL_FLOW_NAME_MAX];
    a->m->addr_name(a, ia, x);
    b->m->addr_name(b, ib, y);
    return !strcasecmp(x, y);
}

static void note_of(const sl_bridge_rule *r, char *out, size_t cap, bool matched)
{
    const char *base = strrchr(r->file, '/');
    base = base ? base + 1 : r->file;
    if (matched)
        snprintf(out, cap, "bridge %.40s: deposit paired with its release by rule (%.60s line %u: within %llu s, fee <= %u bps%s)",
                 r->name, base, r->line, (unsigned long long)r->window_s, r->max_fee_bps, r->same_address ? ", same address" : "");
    else
        snprintf(out, cap, "bridge %.40s: no release fits the rule (%.60s line %u)", r->name, base, r->line);
}

/* One payment the pairing looks at: a deposit or a release, with the party that counts for
 * same_address (the depositor; the paid address). */
typedef struct pay {
    uint64_t flow, time;
    sl_u128 amount;
    uint32_t party;
} pay;
typedef struct pays {
    pay *v;
    size_t n, cap;
} pays;

static int pays_push(pays *l, const sl_flow *f, uint32_t party)
{
    void *q = l->v;
    if (sl_grow(&q, &l->cap, l->n + 1, sizeof *l->v)) return SL_ENOMEM;
    l->v = q;
    l->v[l->n++] = (pay){f->id, f->time, f->amount, party};
    return SL_OK;
}

/* Whether UTXO tx spends an output of addr (its payment to addr is then change, not a
 * deposit; its other outputs are releases). */
static bool utxo_spends_from(const sl_flow_view *v, uint64_t tx, uint32_t addr)
{
    sl_utxo_pool p;
    v->m->utxo_pool(v, tx, &p);
    for (uint32_t k = 0; k < p.n_in; k++) {
        uint32_t a = 0;
        if (v->m->utxo_in_value(v, p.first_in + k, &a) != UINT64_MAX && a == addr) return true;
    }
    return false;
}

/* The deposits of a rule, in chain order: payments into the deposit address in its asset.
 * Account chain: every flow to it from another address. UTXO chain: every output paid to it
 * by a transaction that spends none of its outputs (that one pays its change back). */
static int deposits_of(const side_v *d, pays *out)
{
    sl_flow_ids ids = {0};
    int rc = d->v->m->addr_received(d->v, d->addr, d->asset, 0, &ids);
    for (size_t i = 0; i < ids.n && !rc; i++) {
        sl_flow f;
        d->v->m->flow_get(d->v, ids.v[i], &f);
        if (f.fee || f.big || !f.amount) continue;
        if (d->v->model == SL_MODEL_UTXO && utxo_spends_from(d->v, f.tx, d->addr)) continue;
        rc = pays_push(out, &f, f.from);
    }
    sl_flow_ids_free(&ids);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The releases of a rule, in chain order. Account chain: what the release address paid to
 * another address in its asset (its history holds what it received too). UTXO chain: a
 * release transaction is one that spends an output of the release address; each of its
 * outputs that does not pay back to the release address (nor is unspendable or empty) is a
 * release, in output order, so a batch paying several users serves several deposits. */
static int releases_of(const side_v *w, pays *out)
{
    sl_flow_ids ids = {0};
    uint64_t *stx = NULL;
    size_t ns = 0, cap = 0;
    int rc;
    if (w->v->model == SL_MODEL_ACCOUNT) {
        rc = w->v->m->acct_history(w->v, w->addr, w->asset, SL_FLOW_NONE, &ids);
        for (size_t i = 0; i < ids.n && !rc; i++) {
            sl_flow f;
            w->v->m->flow_get(w->v, ids.v[i], &f);
            if (f.from == w->addr && !f.fee && !f.sink && f.to != w->addr && !f.big) rc = pays_push(out, &f, f.to);
        }
        sl_flow_ids_free(&ids);
        return rc;
    }
    rc = w->asset ? SL_OK : w->v->m->addr_received(w->v, w->addr, 0, 0, &ids); /* a UTXO chain pays its coin only */
    for (size_t i = 0; i < ids.n && !rc; i++) { /* the transactions spending its outputs */
        sl_utxo_pool p;
        uint64_t tx = SL_FLOW_UTXO_TX(ids.v[i]), spender;
        uint32_t vout = SL_FLOW_UTXO_IDX(ids.v[i]), vin;
        w->v->m->utxo_pool(w->v, tx, &p);
        if (w->v->m->utxo_spender(w->v, tx, vout, p.first_out + vout, &spender, &vin)) continue;
        void *q = stx;
        if (sl_grow(&q, &cap, ns + 1, sizeof *stx)) rc = SL_ENOMEM;
        else stx = q, stx[ns++] = spender;
    }
    if (ns > 1) qsort(stx, ns, sizeof *stx, cmp_u64);
    for (size_t i = 0; i < ns && !rc; i++) {
        sl_utxo_pool p;
        if (i && stx[i] == stx[i - 1]) continue;
        w->v->m->utxo_pool(w->v, stx[i], &p);
        for (uint32_t k = 0; k < p.n_out && !rc; k++) {
            uint64_t value;
            uint32_t addr;
            bool unsp;
            sl_flow f;
            w->v->m->utxo_out(w->v, p.first_out + k, &value, &addr, &unsp);
            if (unsp || !value || addr == w->addr) continue;
            w->v->m->flow_get(w->v, SL_FLOW_UTXO(stx[i], k), &f);
            rc = pays_push(out, &f, addr);
        }
    }
    sl_free(stx);
    sl_flow_ids_free(&ids);
    return rc;
}

/* One pair: a deposit's flow and its release's (SL_FLOW_NONE: no release fits). */
typedef struct bpair {
    uint64_t dep, rel;
} bpair;

/* The rule's pairing: each deposit, in chain order, takes the first release not yet taken
 * that comes at or after it, within the window, no larger than it and no smaller than it less
 * the fee, and (same_address) pays the depositor. *pairs (sl_malloc'd, ascending by deposit
 * flow) holds one entry per deposit. SL_OK or SL_ENOMEM. */
static int pair_rule(const sl_bridge_rule *r, const side_v *d, const side_v *w, bpair **pairs, size_t *np)
{
    pays dep = {0}, rel = {0};
    bool *taken = NULL;
    size_t lo = 0;
    int rc = deposits_of(d, &dep);
    if (!rc) rc = releases_of(w, &rel);
    *pairs = NULL, *np = 0;
    if (!rc && rel.n && !(taken = sl_calloc(rel.n, sizeof *taken))) rc = SL_ENOMEM;
    if (!rc && dep.n && !(*pairs = sl_malloc(dep.n * sizeof **pairs))) rc = SL_ENOMEM;
    for (size_t i = 0; i < dep.n && !rc; i++) {
        const pay *f = &dep.v[i];
        sl_u128 want = rescale(f->amount, d->decimals, w->decimals);
        sl_u128 fee = want / 10000 * r->max_fee_bps + want % 10000 * r->max_fee_bps / 10000 + r->max_fee_units;
        uint64_t t_end = f->time + r->window_s;
        bpair b = {f->flow, SL_FLOW_NONE};
        while (lo < rel.n && rel.v[lo].time < f->time) lo++;
        for (size_t k = lo; k < rel.n; k++) {
            const pay *g = &rel.v[k];
            if (g->time > t_end) break;
            if (taken[k] || g->amount > want || g->amount + fee < want) continue;
            if (r->same_address && !same_name(d->v, f->party, w->v, g->party)) continue;
            taken[k] = true;
            b.rel = g->flow;
            break;
        }
        (*pairs)[(*np)++] = b;
    }
    if (rc) sl_free(*pairs), *pairs = NULL, *np = 0;
    sl_free(dep.v), sl_free(rel.v), sl_free(taken);
    return rc;
}

/* ---------------- the pairs cached per store commit ----------------
 * STORE/knowledge/bridges.cache/KEY.pairs, KEY = the first 16 bytes (hex) of the rule's
 * hash, one file per rule. The pairing of a rule depends on the rule and on the two chains'
 * contents only, so the file is valid while both chains are at the commit it was made at.
 * Little-endian, fixed width:
 *   OFFSET SIZE  MEANING
 *   0      8     magic "SLBRPAIR"
 *   8      4     version (1)
 *   12     4     0
 *   16     32    SHA-256 of the rule's pairing fields (rule_hash)
 *   48     48    the state it was made at: for the deposit chain then the release chain,
 *                chain id, committed tx count, commit number (seq), 8 bytes each
 *   96     8     n, the number of pairs
 *   104    16*n  the pairs (deposit flow, release flow or 2^64-1), ascending by deposit flow
 * Any other size, magic, version, hash or state: rebuilt (and rewritten through a .tmp and a
 * rename, so a reader sees the old file or the new one). A store it cannot be written to
 * (read-only) pairs in memory each time, as without the cache. */
#define PAIRS_MAGIC "SLBRPAIR"
#define PAIRS_HEAD 104

/* SHA-256 of what decides the pairing (not the name, file or line: those only name it). */
static void rule_hash(const sl_bridge_rule *r, uint8_t out[32])
{
    char buf[512], fee[40];
    sl_u128_dec(fee, r->max_fee_units);
    int n = snprintf(buf, sizeof buf, "bridge-pairs v1\n%s\n%s\n%s\n%s\n%s\n%s\n%llu\n%u\n%s\n%d\n", r->from_chain,
                     r->from_address, r->from_asset, r->to_chain, r->to_address, r->to_asset,
                     (unsigned long long)r->window_s, r->max_fee_bps, fee, r->same_address);
    sl_sha256(out, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A chain's committed tx count and commit number in s's snapshot. */
static void chain_state(sl_store *s, const sl_flow_view *v, uint64_t st[3])
{
    sl_eth_chain *c;
    sl_error e2 = {0};
    st[0] = v->chain, st[1] = st[2] = 0;
    if (v->model == SL_MODEL_UTXO) {
        st[1] = sl_btc_meta_get(s)->n_tx, st[2] = sl_btc_meta_get(s)->seq;
    } else if (!sl_eth_chain_open(s, v->name, &c, &e2)) {
        st[1] = sl_eth_meta_get(c)->n_tx, st[2] = sl_eth_meta_get(c)->seq;
    }
}

typedef struct pairs_src {
    const bpair *v;
    size_t n;
    void *map;       /* the mapped cache file, or NULL */
    size_t map_len;
    bpair *own;      /* or pairs computed here */
} pairs_src;

static void pairs_release(pairs_src *p)
{
    if (p->map) munmap(p->map, p->map_len);
    sl_free(p->own);
    memset(p, 0, sizeof *p);
}

static void put64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* The cache file's header for this rule and state. */
static void pairs_head(uint8_t h[PAIRS_HEAD], const uint8_t hash[32], const uint64_t st[6], uint64_t n)
{
    memset(h, 0, PAIRS_HEAD);
    memcpy(h, PAIRS_MAGIC, 8);
    put64(h + 8, 1);
    memcpy(h + 16, hash, 32);
    for (int i = 0; i < 6; i++) put64(h + 48 + 8 * i, st[i]);
    put64(h + 96, n);
}

/* Maps path when it holds the pairs of this rule and state. */
static bool pairs_map(const char *path, const uint8_t want[PAIRS_HEAD], pairs_src *p)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    void *m;
    if (fd < 0) return false;
    if (fstat(fd, &sb) || sb.st_size < PAIRS_HEAD || (m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        close(fd);
        return false;
    }
    close(fd);
    uint64_t n = sl_le64((const uint8_t *)m + 96);
    if (memcmp(m, want, 96) || n > ((size_t)sb.st_size - PAIRS_HEAD) / 16 || PAIRS_HEAD + n * 16 != (uint64_t)sb.st_size) {
        munmap(m, (size_t)sb.st_size);
        return false;
    }
    p->map = m, p->map_len = (size_t)sb.st_size;
    p->v = (const bpair *)((const uint8_t *)m + PAIRS_HEAD), p->n = n;
    return true;
}

/* Writes the pairs (best effort: a store that cannot be written keeps no cache). */
static void pairs_save(const char *dir, const char *path, const uint8_t head[PAIRS_HEAD], const bpair *v, size_t n)
{
    char tmp[4500];
    FILE *f;
    bool ok;
    if (mkdir(dir, 0755) && errno != EEXIST) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) return;
    ok = fwrite(head, 1, PAIRS_HEAD, f) == PAIRS_HEAD;
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t b[16];
        put64(b, v[i].dep), put64(b + 8, v[i].rel);
        ok = fwrite(b, 1, 16, f) == 16;
    }
    ok = !fclose(f) && ok;
    if (!ok || rename(tmp, path)) remove(tmp);
}

/* The pairs of rule r: from the cache when it matches the chains' state (s given), else
 * computed (and cached when s is given and the store can be written). */
static int pairs_get(const sl_bridge_rule *r, const side_v *d, const side_v *w, sl_annot *a, pairs_src *p)
{
    uint8_t hash[32], head[PAIRS_HEAD];
    uint64_t st[6];
    char dir[4096], path[4400], key[33];
    sl_error e2 = {0};
    sl_store *s = a ? sl_annot_store(a) : NULL;
    bool cache = a && !sl_knowledge__dir(dir, sizeof dir, sl_annot_store_dir(a), "bridges.cache", false, &e2);
    memset(p, 0, sizeof *p);
    if (cache) {
        rule_hash(r, hash);
        chain_state(s, d->v, st), chain_state(s, w->v, st + 3);
        sl_hex_encode(key, hash, 16);
        snprintf(path, sizeof path, "%s/%s.pairs", dir, key);
        pairs_head(head, hash, st, 0);
        if (pairs_map(path, head, p)) return SL_OK;
    }
    int rc = pair_rule(r, d, w, &p->own, &p->n);
    p->v = p->own;
    if (!rc && cache) {
        char kdir[4096];
        if (!sl_knowledge__dir(kdir, sizeof kdir, sl_annot_store_dir(a), "bridges.cache", true, &e2)) {
            pairs_head(head, hash, st, p->n);
            pairs_save(kdir, path, head, p->v, p->n);
        }
    }
    return rc;
}

/* Appends deposit pair b's crossing. */
static int emit(const sl_bridge_rule *r, const side_v *d, const side_v *w, bpair b, sl_xchain_list *out)
{
    sl_flow f, g;
    sl_xchain x;
    memset(&x, 0, sizeof x);
    d->v->m->flow_get(d->v, b.dep, &f);
    x.kind = SL_XC_BRIDGE;
    x.legs = 1;
    x.time_in = f.time;
    x.matched = b.rel != SL_FLOW_NONE;
    x.link.from_chain = d->v->chain, x.link.from_flow = b.dep, x.link.from_amount = f.amount;
    x.link.to_chain = w->v->chain, x.link.to_flow = SL_FLOW_NONE;
    if (x.matched) {
        w->v->m->flow_get(w->v, b.rel, &g);
        x.link.to_flow = b.rel, x.link.to_amount = g.amount;
        x.time_out = g.time;
    }
    x.link.origin = SL_LINK_RULE;
    x.link.line = r->line;
    note_of(r, x.link.note, sizeof x.link.note, x.matched);
    snprintf(x.link.to_chain_name, sizeof x.link.to_chain_name, "%s", w->v->name);
    snprintf(x.to_chain_name, sizeof x.to_chain_name, "%s", w->v->name);
    snprintf(x.memo, sizeof x.memo, "bridge %s", r->name);
    void *q = out->v;
    if (sl_grow(&q, &out->cap, out->n + 1, sizeof *out->v)) return SL_ENOMEM;
    out->v = q, out->v[out->n++] = x;
    return SL_OK;
}

static int cmp_dep(const void *a, const void *b) { return cmp_u64(&((const bpair *)a)->dep, &((const bpair *)b)->dep); }

/* The pair of deposit flow dep, by binary search (NULL: not a deposit). */
static const bpair *pair_of(const pairs_src *p, uint64_t dep)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->v[mid].dep < dep) lo = mid + 1;
        else hi = mid;
    }
    return lo < p->n && p->v[lo].dep == dep ? &p->v[lo] : NULL;
}

/* The crossings of one rule: every deposit (txs NULL), or the deposits the transactions
 * txs[0..n) make on the deposit chain (each found by its flows, so the cost follows n),
 * reported in chain order. Every deposit still takes its release in the pairing, so the
 * answer for a deposit does not depend on who asks. */
static int one_bridge(const sl_flow_set *fs, sl_annot *a, const sl_bridge_rule *r, const sl_tx_ref *txs, size_t n,
                      sl_xchain_list *out, sl_error *e)
{
    side_v d, w;
    pairs_src p;
    bpair *hit = NULL;
    size_t nhit = 0, cap = 0;
    sl_ht seen = {0};
    int rc = SL_OK;
    if (!resolve(fs, r->from_chain, r->from_address, r->from_asset, &d) ||
        !resolve(fs, r->to_chain, r->to_address, r->to_asset, &w))
        return SL_OK;
    if (r->same_address && (d.v->model != SL_MODEL_ACCOUNT || w.v->model != SL_MODEL_ACCOUNT))
        return sl_err(e, SL_EUSAGE, "%s:%u: bridge %s: same_address needs both sides on account chains (%s has no single %s)",
                      r->file, r->line, r->name, d.v->model != SL_MODEL_ACCOUNT ? d.v->name : w.v->name,
                      d.v->model != SL_MODEL_ACCOUNT ? "sender" : "payee address comparable to a depositor");
    if ((rc = pairs_get(r, &d, &w, a, &p))) return sl_err(e, rc, "out of memory");
    if (!txs) {
        for (size_t i = 0; i < p.n && !rc; i++) rc = emit(r, &d, &w, p.v[i], out);
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        uint64_t first, key[2] = {txs[i].chain, txs[i].id}, *slot;
        uint32_t nf;
        bool added;
        if (txs[i].chain != d.v->chain || txs[i].id == SL_FLOW_NONE) continue;
        if ((rc = sl_ht_upsert(&seen, key, sizeof key, 1, &slot, &added)) || !added) continue;
        d.v->m->tx_flows(d.v, txs[i].id, &first, &nf);
        for (uint32_t k = 0; k < nf && !rc; k++) {
            const bpair *b = pair_of(&p, first + k);
            void *q = hit;
            if (!b) continue;
            if (sl_grow(&q, &cap, nhit + 1, sizeof *hit)) rc = SL_ENOMEM;
            else hit = q, hit[nhit++] = *b;
        }
    }
    if (nhit > 1) qsort(hit, nhit, sizeof *hit, cmp_dep);
    for (size_t i = 0; i < nhit && !rc; i++) rc = emit(r, &d, &w, hit[i], out);
done:
    if (rc) sl_err(e, rc, "out of memory");
    pairs_release(&p);
    sl_free(hit);
    sl_ht_free(&seen);
    return rc;
}

int sl_xchain_bridges(const sl_flow_set *fs, const sl_bridge_rules *r, const sl_tx_ref *txs, size_t n,
                      sl_xchain_list *out, sl_error *e)
{
    return sl_xchain_bridges_cached(fs, NULL, r, txs, n, out, e);
}

int sl_xchain_bridges_cached(const sl_flow_set *fs, sl_annot *a, const sl_bridge_rules *r, const sl_tx_ref *txs,
                             size_t n, sl_xchain_list *out, sl_error *e)
{
    int rc = SL_OK;
    if (!r || !r->n || (txs && !n)) return SL_OK;
    for (size_t i = 0; i < r->n && !rc; i++) rc = one_bridge(fs, a, &r->v[i], txs, n, out, e);
    return rc;
}
