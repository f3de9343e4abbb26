/* rules.c — the screening rules file (docs/SCREENING.md "Rules"): a YAML mapping with
 * `version: 1` and `rules:`, a list of mappings, each
 *   name        a word for the reasons (default "rule N")
 *   category    one category or a list (sanctioned, stolen_funds, ..., any)
 *   direction   in | out | any (default any)
 *   exposure    self | direct | indirect | any, or a list (default any)
 *   min_share   0..1 of what the subject received in the asset (default 0)
 *   min_amount  whole units of the asset, e.g. 0.1 (default 0)
 *   max_hops    the rule holds up to that many hops (default: any)
 *   level       none | low | medium | high | severe (required)
 * read through libyaml into the tag importer's node tree (knowledge/yaml_tree.c). Every
 * error names the file and line; a key given twice in one mapping, an unknown key, a
 * value out of range are errors, not guesses. The categories and levels are named here
 * too (sl_cat_name, sl_level_name).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "knowledge/tags_int.h"
#include "screen/screen_int.h"
#include "sleuth/util.h"

static const char *const CATS[SL_CAT_N] = {
    "stolen_funds", "sanctioned", "dprk", "mixer", "scam", "ransomware", "darknet", "terrorism", "csam",
    "laundering", "exchange", "gambling", "defi", "bridge", "payment_processor", "market", "service"};

const char *sl_cat_name(unsigned c) { return c < SL_CAT_N ? CATS[c] : "?"; }

unsigned sl_cat_parse(const char *s)
{
    for (unsigned i = 0; i < SL_CAT_N; i++)
        if (!strcmp(s, CATS[i])) return i;
    return SL_CAT_N;
}

static bool has_word(const char *hay, const char *w)
{
    return hay && strcasestr(hay, w) != NULL;
}

uint32_t sl_cat_of_tag(const sl_tag *t)
{
    uint32_t m = 0;
#define IS(x) sl_tag_is(t, x)
    if (t->incident || IS("perpetrator") || IS("hacking") || IS("service_hack") || IS("account_hack") || IS("exploit"))
        m |= 1u << SL_CAT_STOLEN;
    if (IS("sanction")) m |= 1u << SL_CAT_SANCTIONED;
    if (has_word(t->actor, "lazarus") || has_word(t->actor, "dprk") || has_word(t->actor_label, "lazarus") ||
        has_word(t->actor_label, "dprk") || has_word(t->actor_label, "north korea") || has_word(t->label, "lazarus") ||
        has_word(t->label, "dprk"))
        m |= 1u << SL_CAT_DPRK;
    if (IS("mixing_service") || IS("coinjoin")) m |= 1u << SL_CAT_MIXER;
    if (IS("scam") || IS("phishing") || IS("investment_fraud") || IS("ponzi_scheme") || IS("pyramid_scheme") ||
        IS("extortion") || IS("sextortion") || IS("financial_crime") || IS("payment_card_fraud"))
        m |= 1u << SL_CAT_SCAM;
    if (IS("ransomware") || IS("malware")) m |= 1u << SL_CAT_RANSOMWARE;
    if (IS("dark_web") || IS("drugs") || IS("weapons") || IS("counterfeit")) m |= 1u << SL_CAT_DARKNET;
    if (IS("terrorism") || IS("terrorism_financing") || IS("extremism")) m |= 1u << SL_CAT_TERRORISM;
    if (IS("sexual_abuse") || IS("child_sexual_abuse") || IS("human_trafficking")) m |= 1u << SL_CAT_CSAM;
    if (IS("money_laundering")) m |= 1u << SL_CAT_LAUNDERING;
    if (IS("exchange") || IS("hot_wallet") || IS("cold_wallet") || IS("warm_wallet") || IS("wallet_service") ||
        IS("atm"))
        m |= 1u << SL_CAT_EXCHANGE;
    if (IS("gambling")) m |= 1u << SL_CAT_GAMBLING;
    if (IS("defi") || IS("defi_dex") || IS("defi_dex_pair") || IS("defi_lending") || IS("defi_derivative") ||
        IS("defi_staking") || IS("defi_custody") || IS("defi_dao"))
        m |= 1u << SL_CAT_DEFI;
    if (IS("defi_bridge")) m |= 1u << SL_CAT_BRIDGE;
    if (IS("payment_processor")) m |= 1u << SL_CAT_PAYMENT;
    if (IS("market") || IS("escrow_wallet") || IS("shop")) m |= 1u << SL_CAT_MARKET;
    if (IS("service") || IS("mining_service") || IS("hosting") || IS("vpn") || IS("faucet")) m |= 1u << SL_CAT_SERVICE;
#undef IS
    /* an exchange's deposit address that an attacker used is still the exchange's */
    if (m & (1u << SL_CAT_EXCHANGE) && !t->incident) m &= ~(1u << SL_CAT_LAUNDERING);
    return m;
}

static const char *const LEVELS[] = {"none", "low", "medium", "high", "severe"};
const char *sl_level_name(int level) { return level >= 0 && level <= SL_LEVEL_SEVERE ? LEVELS[level] : "?"; }

void sl_rules_free(sl_rules *r)
{
    sl_free(r->v);
    r->v = NULL, r->n = 0;
}

#define BAD(line, field, ...) sl_tags__bad_at(name, line, field, e, __VA_ARGS__)

/* A scalar or a list of scalars, each passed to fn. */
static int each_word(const char *name, const sl_ynode *v, const char *field, int (*fn)(const char *w, void *ctx),
                     void *ctx, sl_error *e)
{
    if (v->type == SL_Y_SCALAR) {
        if (fn(v->s, ctx)) return BAD(v->line, field, "'%s' is not a value it takes", v->s);
        return SL_OK;
    }
    if (v->type != SL_Y_SEQ || !v->n) return BAD(v->line, field, "a word or a list of words expected");
    for (size_t i = 0; i < v->n; i++) {
        if (v->kids[i].type != SL_Y_SCALAR) return BAD(v->kids[i].line, field, "a word expected");
        if (fn(v->kids[i].s, ctx)) return BAD(v->kids[i].line, field, "'%s' is not a value it takes", v->kids[i].s);
    }
    return SL_OK;
}

static int add_cat(const char *w, void *ctx)
{
    unsigned c;
    if (!strcmp(w, "any")) { *(uint32_t *)ctx |= (1u << SL_CAT_N) - 1u; return 0; }
    if ((c = sl_cat_parse(w)) == SL_CAT_N) return 1;
    *(uint32_t *)ctx |= 1u << c;
    return 0;
}

static int add_exp(const char *w, void *ctx)
{
    unsigned *m = ctx;
    if (!strcmp(w, "self")) *m |= SL_EXP_SELF;
    else if (!strcmp(w, "direct")) *m |= SL_EXP_DIRECT;
    else if (!strcmp(w, "indirect")) *m |= SL_EXP_INDIRECT;
    else if (!strcmp(w, "any")) *m |= SL_EXP_SELF | SL_EXP_DIRECT | SL_EXP_INDIRECT;
    else return 1;
    return 0;
}

static int number(const char *name, const sl_ynode *v, const char *field, double lo, double hi, double *out,
                  sl_error *e)
{
    char *end;
    double d;
    if (v->type != SL_Y_SCALAR || !*v->s) return BAD(v->line, field, "a number expected");
    errno = 0;
    d = strtod(v->s, &end);
    if (*end || errno || !isfinite(d) || d < lo || d > hi)
        return BAD(v->line, field, "'%s' is not a number from %g to %g", v->s, lo, hi);
    *out = d;
    return SL_OK;
}

static int one_rule(const char *name, const sl_ynode *m, size_t k, sl_rule *r, sl_error *e)
{
    int rc;
    bool have_level = false, have_cat = false;
    if ((rc = sl_ynode_check_map(name, m, "rules", e))) return rc;
    memset(r, 0, sizeof *r);
    r->dirs = SL_SCREEN_BOTH, r->exposure = SL_EXP_SELF | SL_EXP_DIRECT | SL_EXP_INDIRECT, r->line = m->line;
    snprintf(r->name, sizeof r->name, "rule %zu", k + 1);
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *key = m->kids[i].s;
        const sl_ynode *v = &m->kids[i + 1];
        double d;
        if (!strcmp(key, "name")) {
            if (v->type != SL_Y_SCALAR || !*v->s || strlen(v->s) >= sizeof r->name)
                return BAD(v->line, key, "a name of 1 to %zu characters expected", sizeof r->name - 1);
            strcpy(r->name, v->s);
        } else if (!strcmp(key, "category")) {
            if ((rc = each_word(name, v, key, add_cat, &r->cats, e))) return rc;
            have_cat = true;
        } else if (!strcmp(key, "direction")) {
            if (v->type != SL_Y_SCALAR) return BAD(v->line, key, "in, out or any expected");
            if (!strcmp(v->s, "in")) r->dirs = SL_SCREEN_IN;
            else if (!strcmp(v->s, "out")) r->dirs = SL_SCREEN_OUT;
            else if (!strcmp(v->s, "any")) r->dirs = SL_SCREEN_BOTH;
            else return BAD(v->line, key, "'%s': in, out or any expected", v->s);
        } else if (!strcmp(key, "exposure")) {
            r->exposure = 0;
            if ((rc = each_word(name, v, key, add_exp, &r->exposure, e))) return rc;
        } else if (!strcmp(key, "min_share")) {
            if ((rc = number(name, v, key, 0, 1, &r->min_share, e))) return rc;
        } else if (!strcmp(key, "min_amount")) {
            if ((rc = number(name, v, key, 0, 1e30, &r->min_amount, e))) return rc;
        } else if (!strcmp(key, "max_hops")) {
            if ((rc = number(name, v, key, 1, 255, &d, e))) return rc;
            if (d != floor(d)) return BAD(v->line, key, "a whole number expected");
            r->max_hops = (uint32_t)d;
        } else if (!strcmp(key, "level")) {
            int l = -1;
            for (int j = 0; v->type == SL_Y_SCALAR && j <= SL_LEVEL_SEVERE; j++)
                if (!strcmp(v->s, LEVELS[j])) l = j;
            if (l < 0) return BAD(v->line, key, "none, low, medium, high or severe expected");
            r->level = l, have_level = true;
        } else
            return BAD(m->kids[i].line, key, "unknown key (name, category, direction, exposure, min_share, "
                                             "min_amount, max_hops, level)");
    }
    if (!have_cat) return BAD(m->line, "category", "missing");
    if (!have_level) return BAD(m->line, "level", "missing");
    return SL_OK;
}

static int from_tree(sl_rules *r, const char *name, const sl_ynode *root, sl_error *e)
{
    const sl_ynode *v, *list;
    int rc;
    if ((rc = sl_ynode_check_map(name, root, "document", e))) return rc;
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (strcmp(root->kids[i].s, "version") && strcmp(root->kids[i].s, "rules"))
            return BAD(root->kids[i].line, root->kids[i].s, "unknown key (version, rules)");
    if (!(v = sl_ynode_get(root, "version")) || v->type != SL_Y_SCALAR || strcmp(v->s, "1"))
        return BAD(v ? v->line : root->line, "version", "`version: 1` expected");
    if (!(list = sl_ynode_get(root, "rules")) || list->type != SL_Y_SEQ)
        return BAD(list ? list->line : root->line, "rules", "a list of rules expected");
    if (list->n && !(r->v = sl_calloc(list->n, sizeof *r->v))) return sl_err(e, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < list->n; i++) {
        if ((rc = one_rule(name, &list->kids[i], i, &r->v[i], e))) return rc;
        r->n++;
    }
    return SL_OK;
}

static int parse(sl_rules *r, const char *name, yaml_parser_t *ps, sl_error *e)
{
    sl_ynode root;
    int rc = sl_ynode_read(name, ps, &root, e);
    if (!rc) rc = from_tree(r, name, &root, e);
    sl_ynode_free(&root);
    if (rc) sl_rules_free(r);
    return rc;
}

int sl_rules_parse(sl_rules *r, const char *name, const char *data, size_t len, sl_error *e)
{
    yaml_parser_t ps;
    int rc;
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", name);
    if (!yaml_parser_initialize(&ps)) return sl_err(e, SL_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&ps, (const unsigned char *)data, len);
    rc = parse(r, name, &ps, e);
    yaml_parser_delete(&ps);
    return rc;
}

int sl_rules_load(sl_rules *r, const char *path, sl_error *e)
{
    yaml_parser_t ps;
    FILE *f;
    int rc;
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    if (!(f = fopen(path, "rb"))) return sl_err(e, SL_EIO, "%s: cannot open the rules file: %s", path, strerror(errno));
    if (!yaml_parser_initialize(&ps)) { fclose(f); return sl_err(e, SL_ENOMEM, "out of memory"); }
    yaml_parser_set_input_file(&ps, f);
    rc = parse(r, path, &ps, e);
    yaml_parser_delete(&ps);
    fclose(f);
    return rc;
}
