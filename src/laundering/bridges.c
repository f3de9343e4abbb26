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

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "knowledge/tags_int.h" /* sl_ynode: the strict YAML tree, sl_tags__bad_at */
#include "sleuth/hashtab.h"
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
    char dir[4096], dst[4400];
    const char *base = strrchr(path, '/');
    int rc = sl_bridge_rules_read(path, &r, e);
    *n = 0;
    base = base ? base + 1 : path;
    if (!rc && !r.n) rc = sl_err(e, SL_EUSAGE, "%s: the list `bridges:` is empty", path);
    if (!rc && (!base[0] || base[0] == '.')) rc = sl_err(e, SL_EUSAGE, "%s: a file name that does not start with '.' expected", path);
    if (!rc) rc = sl_knowledge__dir(dir, sizeof dir, store_dir, "bridges.d", true, e);
    if (!rc) {
        snprintf(dst, sizeof dst, "%s/%s%s", dir, base, strstr(base, ".yaml") || strstr(base, ".yml") ? "" : ".yaml");
        rc = sl_knowledge__copy_file(path, dst, e);
    }
    if (!rc) *n = r.n;
    sl_bridge_rules_free(&r);
    return rc;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int sl_bridge_rules_load(const char *store_dir, sl_bridge_rules *out, sl_error *e)
{
    char dir[4096], path[4400];
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *d;
    DIR *dh;
    int rc = SL_OK;
    if ((rc = sl_knowledge__dir(dir, sizeof dir, store_dir, "bridges.d", false, e))) return rc;
    if (!(dh = opendir(dir))) return errno == ENOENT ? SL_OK : sl_err(e, SL_EIO, "%s: %s", dir, strerror(errno));
    while (!rc && (d = readdir(dh))) {
        size_t l = strlen(d->d_name);
        void *q = names;
        if (d->d_name[0] == '.' || l < 5 || (strcmp(d->d_name + l - 5, ".yaml") && strcmp(d->d_name + l - 4, ".yml"))) continue;
        if (sl_grow(&q, &cap, n + 1, sizeof *names) || !(((char **)q)[n] = sl_strdup(d->d_name))) rc = sl_err(e, SL_ENOMEM, "out of memory");
        names = q;
        if (!rc) n++;
    }
    closedir(dh);
    if (n > 1) qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = sl_bridge_rules_read(path, out, e);
    }
    for (size_t i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
    return rc;
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

/* The pairs of one rule; deposits whose tx is not in `only` (when given) are not reported
 * (they still take their releases, so the pairing is the same whoever asks). */
static int one_bridge(const sl_flow_set *fs, const sl_bridge_rule *r, const sl_ht *only, sl_xchain_list *out, sl_error *e)
{
    side_v d, w;
    sl_flow_ids dep = {0}, hist = {0};
    uint64_t *rel = NULL;
    bool *taken = NULL;
    size_t nrel = 0, lo = 0;
    int rc = SL_OK;
    if (!resolve(fs, r->from_chain, r->from_address, r->from_asset, &d) ||
        !resolve(fs, r->to_chain, r->to_address, r->to_asset, &w))
        return SL_OK;
    if (w.v->model != SL_MODEL_ACCOUNT)
        return sl_err(e, SL_EUSAGE, "%s:%u: bridge %s: the release side must be an account chain, not %s", r->file, r->line,
                      r->name, w.v->name);
    if (r->same_address && d.v->model != SL_MODEL_ACCOUNT)
        return sl_err(e, SL_EUSAGE, "%s:%u: bridge %s: same_address needs deposits on an account chain (%s has no senders)",
                      r->file, r->line, r->name, d.v->name);
    if (d.v->m->addr_received(d.v, d.addr, d.asset, 0, &dep) || w.v->m->acct_history(w.v, w.addr, w.asset, SL_FLOW_NONE, &hist)) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    /* releases: what the release address paid out (its history holds what it received too) */
    if (hist.n && (!(rel = sl_malloc(hist.n * sizeof *rel)) || !(taken = sl_calloc(hist.n, sizeof *taken)))) {
        rc = sl_err(e, SL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < hist.n; i++) {
        sl_flow f;
        w.v->m->flow_get(w.v, hist.v[i], &f);
        if (f.from == w.addr && !f.fee && !f.sink && f.to != w.addr) rel[nrel++] = hist.v[i];
    }
    for (size_t i = 0; i < dep.n && !rc; i++) {
        sl_flow f, g;
        sl_xchain x;
        uint64_t t_end;
        sl_u128 want, fee;
        d.v->m->flow_get(d.v, dep.v[i], &f);
        if (f.fee || f.big || !f.amount) continue;
        want = rescale(f.amount, d.decimals, w.decimals);
        fee = want / 10000 * r->max_fee_bps + want % 10000 * r->max_fee_bps / 10000 + r->max_fee_units;
        t_end = f.time + r->window_s;
        while (lo < nrel && (w.v->m->flow_get(w.v, rel[lo], &g), g.time < f.time)) lo++;
        memset(&x, 0, sizeof x);
        x.kind = SL_XC_BRIDGE;
        x.legs = 1;
        x.time_in = f.time;
        for (size_t k = lo; k < nrel; k++) {
            w.v->m->flow_get(w.v, rel[k], &g);
            if (g.time > t_end) break;
            if (taken[k] || g.big || g.amount > want || g.amount + fee < want) continue;
            if (r->same_address && !same_name(d.v, f.from, w.v, g.to)) continue;
            taken[k] = true;
            x.matched = true;
            x.link.to_chain = w.v->chain, x.link.to_flow = rel[k], x.link.to_amount = g.amount;
            x.time_out = g.time;
            break;
        }
        if (only) {
            uint64_t key[2] = {d.v->chain, f.tx};
            if (!sl_ht_get(only, key, sizeof key, NULL)) continue;
        }
        x.link.from_chain = d.v->chain, x.link.from_flow = dep.v[i], x.link.from_amount = f.amount;
        x.link.origin = SL_LINK_RULE;
        x.link.line = r->line;
        if (!x.matched) x.link.to_flow = SL_FLOW_NONE;
        note_of(r, x.link.note, sizeof x.link.note, x.matched);
        snprintf(x.link.to_chain_name, sizeof x.link.to_chain_name, "%s", w.v->name);
        snprintf(x.to_chain_name, sizeof x.to_chain_name, "%s", w.v->name);
        snprintf(x.memo, sizeof x.memo, "bridge %s", r->name);
        void *q = out->v;
        if (sl_grow(&q, &out->cap, out->n + 1, sizeof *out->v)) rc = sl_err(e, SL_ENOMEM, "out of memory");
        else out->v = q, out->v[out->n++] = x;
    }
done:
    sl_flow_ids_free(&dep), sl_flow_ids_free(&hist);
    sl_free(rel), sl_free(taken);
    return rc;
}

int sl_xchain_bridges(const sl_flow_set *fs, const sl_bridge_rules *r, const sl_tx_ref *txs, size_t n,
                      sl_xchain_list *out, sl_error *e)
{
    sl_ht only = {0};
    int rc = SL_OK;
    if (!r || !r->n || (txs && !n)) return SL_OK;
    for (size_t i = 0; txs && i < n && !rc; i++) {
        uint64_t key[2] = {txs[i].chain, txs[i].id};
        if (sl_ht_set(&only, key, sizeof key, 1)) rc = sl_err(e, SL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->n && !rc; i++) rc = one_bridge(fs, &r->v[i], txs ? &only : NULL, out, e);
    sl_ht_free(&only);
    return rc;
}
