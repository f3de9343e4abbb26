/* thornames.c — THORNames the analyst imports (xchain.h, docs/LAUNDERING.md "THORNames"). A
 * THORChain swap memo may name its destination by a THORName (`=:BTC.BTC:myname`) instead of
 * an address; the name's address per chain lives in THORChain's own state (`thornode query
 * thorchain thorname NAME`), which no Bitcoin or Ethereum block holds. So the analyst
 * exports the names a case needs and imports them as a YAML file:
 *
 *   thornames:
 *     - {name: myname, chain: BTC, address: bc1q...}   # chain: THORChain's chain prefix
 *
 * `sleuth tags import` recognises it by its top-level `thornames:` key and keeps it,
 * validated, in STORE/knowledge/thornames.d/; the matcher (xchain.c) then requires the
 * outbound of a swap to such a name to pay the named address. Read with the strict YAML tree
 * of the tag importers (a key given twice is a located error).
 */
#include "sleuth/xchain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "knowledge/tags_int.h" /* sl_ynode: the strict YAML tree, sl_tags__bad_at */
#include "sleuth/util.h"

void sl_thornames_free(sl_thornames *t)
{
    sl_free(t->v);
    memset(t, 0, sizeof *t);
}

bool sl_thorname_syntax(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 30) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '+') return false;
    }
    return true;
}

/* One entry {name, chain, address} at node m. */
static int one_name(const char *path, const sl_ynode *m, sl_thorname *x, sl_error *e)
{
    static const char *const KEYS[] = {"name", "chain", "address", "note"};
    const sl_ynode *v;
    int rc;
    memset(x, 0, sizeof *x);
    if ((rc = sl_ynode_check_map(path, m, "thornames", e))) return rc;
    for (size_t i = 0; i < m->n; i += 2) {
        size_t k = 0;
        while (k < sizeof KEYS / sizeof *KEYS && strcmp(KEYS[k], m->kids[i].s)) k++;
        if (k == sizeof KEYS / sizeof *KEYS)
            return sl_tags__bad_at(path, m->kids[i].line, m->kids[i].s, e, "unknown key (name, chain, address, note)");
    }
    for (size_t k = 0; k < 3; k++) {
        if (!(v = sl_ynode_get(m, KEYS[k]))) return sl_tags__bad_at(path, m->line, KEYS[k], e, "missing (mandatory)");
        if (v->type != SL_Y_SCALAR || !v->s[0]) return sl_tags__bad_at(path, v->line, KEYS[k], e, "a non-empty text expected");
    }
    v = sl_ynode_get(m, "name");
    if (!sl_thorname_syntax(v->s))
        return sl_tags__bad_at(path, v->line, "name", e, "a THORName is 1 to 30 letters, digits, '-', '_' or '+', not '%.40s'",
                               v->s);
    for (size_t i = 0; v->s[i]; i++) x->name[i] = (char)tolower((unsigned char)v->s[i]); /* THORNames ignore case */
    v = sl_ynode_get(m, "chain");
    if (strlen(v->s) < 2 || strlen(v->s) >= sizeof x->chain || v->s[strspn(v->s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")])
        return sl_tags__bad_at(path, v->line, "chain", e, "a THORChain chain prefix expected (BTC, ETH, LTC, ...), not '%.40s'",
                               v->s);
    for (size_t i = 0; v->s[i]; i++) x->chain[i] = (char)toupper((unsigned char)v->s[i]);
    v = sl_ynode_get(m, "address");
    if (strlen(v->s) >= sizeof x->address) return sl_tags__bad_at(path, v->line, "address", e, "longer than %zu characters", sizeof x->address - 1);
    for (size_t i = 0; v->s[i]; i++)
        if (v->s[i] <= 0x20 || v->s[i] > 0x7e) return sl_tags__bad_at(path, v->line, "address", e, "spaces or non-ASCII characters");
    snprintf(x->address, sizeof x->address, "%s", v->s);
    snprintf(x->file, sizeof x->file, "%s", path);
    x->line = m->line;
    return SL_OK;
}

int sl_thornames_read(const char *path, sl_thornames *out, sl_error *e)
{
    sl_ynode root;
    const sl_ynode *list = NULL;
    size_t n0 = out->n;
    int rc = sl_ynode_read_file(path, &root, e);
    if (!rc && root.type == SL_Y_MAP) rc = sl_ynode_check_map(path, &root, "document", e);
    if (!rc && (root.type != SL_Y_MAP || !(list = sl_ynode_get(&root, "thornames")) || list->type != SL_Y_SEQ))
        rc = sl_tags__bad_at(path, root.line, "thornames", e, "missing: a list `thornames:` expected");
    for (size_t i = 0; !rc && list && i < list->n; i++) {
        void *q = out->v;
        sl_thorname x;
        if ((rc = one_name(path, &list->kids[i], &x, e))) break;
        for (size_t k = n0; k < out->n && !rc; k++) /* one address per name and chain, in a file */
            if (!strcmp(out->v[k].name, x.name) && !strcmp(out->v[k].chain, x.chain))
                rc = sl_tags__bad_at(path, x.line, "name", e, "%s on %s given twice (line %u)", x.name, x.chain, out->v[k].line);
        if (rc) break;
        if (sl_grow(&q, &out->cap, out->n + 1, sizeof *out->v)) {
            rc = sl_err(e, SL_ENOMEM, "out of memory");
            break;
        }
        out->v = q;
        out->v[out->n++] = x;
    }
    sl_ynode_free(&root);
    if (rc) out->n = n0; /* a bad file adds nothing */
    return rc;
}

bool sl_thornames_is_file(const char *path) { return sl_knowledge__has_top_key(path, "thornames"); }

int sl_thornames_import(const char *store_dir, const char *path, size_t *n, sl_error *e)
{
    sl_thornames t = {0};
    int rc = sl_thornames_read(path, &t, e);
    *n = 0;
    if (!rc && !t.n) rc = sl_err(e, SL_EUSAGE, "%s: the list `thornames:` is empty", path);
    if (!rc) rc = sl_knowledge__keep_yaml(store_dir, "thornames.d", path, e);
    if (!rc) *n = t.n;
    sl_thornames_free(&t);
    return rc;
}

static int load_one(void *ctx, const char *path, sl_error *e) { return sl_thornames_read(path, ctx, e); }

int sl_thornames_load(const char *store_dir, sl_thornames *out, sl_error *e)
{
    return sl_knowledge__each_yaml(store_dir, "thornames.d", load_one, out, e);
}

const sl_thorname *sl_thornames_find(const sl_thornames *t, const char *name, const char *thor_chain)
{
    for (size_t i = 0; t && i < t->n; i++) /* files in name order, so the first file naming it wins */
        if (!strcasecmp(t->v[i].name, name) && !strcasecmp(t->v[i].chain, thor_chain)) return &t->v[i];
    return NULL;
}
