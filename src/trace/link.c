/* link.c — declared cross-chain links (`sleuth trace --link FILE`, trace.h): a CSV file
 * in which an analyst states that a payment left one chain and arrived as a payment on
 * another (a THORChain swap, a bridge), read and resolved against the store's flow views
 * so that every line names real payments with their real amounts. Format (RFC 4180:
 * fields may be quoted, "" inside quotes is a quote; blank lines and lines starting with
 * '#' are skipped):
 *   from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note
 * Chains as `ingest` names them; amounts in base units (decimal integers below 2^128).
 */
#include <stdio.h>
#include <string.h>

#include "sleuth/trace.h"
#include "sleuth/util.h"

#define LINK_HEADER "from_chain,from_txid,from_address,from_amount,to_chain,to_txid,to_address,to_amount,note"
static const char *const NAMES[] = {"from_chain", "from_txid", "from_address", "from_amount", "to_chain",
                                    "to_txid",    "to_address", "to_amount",   "note"};
enum { F_FROM_CHAIN, F_FROM_TX, F_FROM_ADDR, F_FROM_AMOUNT, F_TO_CHAIN, F_TO_TX, F_TO_ADDR, F_TO_AMOUNT, F_NOTE, N_FIELDS };

/* One CSV record from [*p, end) into fields (each NUL-terminated inside buf, which holds
 * at least the record's length + N_FIELDS bytes); *p moves past its line end. Returns
 * the number of fields, or -1 for an unterminated quote. */
static int csv_record(const char **p, const char *end, char *buf, char *fields[], int max)
{
    const char *s = *p;
    char *o = buf;
    int n = 0;
    bool quoted = false;
    fields[n++] = o;
    while (s < end) {
        char ch = *s++;
        if (quoted) {
            if (ch == '"' && s < end && *s == '"') *o++ = '"', s++;
            else if (ch == '"') quoted = false;
            else *o++ = ch;
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            *o++ = 0;
            if (n < max) fields[n] = o;
            n++;
        } else if (ch == '\n') {
            break;
        } else if (ch != '\r') {
            *o++ = ch;
        }
    }
    *o = 0;
    *p = s;
    return quoted ? -1 : n;
}

static bool parse_amount(const char *s, sl_u128 *v)
{
    sl_u256 u;
    size_t n = strlen(s);
    if (!n || n > 78 || strspn(s, "0123456789") != n || !sl_u256_parse_dec(&u, s, n) || !sl_u256_fits(&u, 128)) return false;
    *v = (sl_u128)u.w[1] << 64 | u.w[0];
    return true;
}

/* One side of a line: its chain's view, the tx and the address, resolved. */
typedef struct side {
    const sl_flow_view *v;
    uint64_t tx;
    uint32_t addr;
    sl_u128 amount;
} side;

static int resolve_side(const sl_flow_set *fs, char *const *f, const char *what, side *sd, const char *where, sl_error *e)
{
    sl_error e2 = {0};
    int rc;
    if ((rc = sl_flow_set_find(fs, f[0], &sd->v, &e2)))
        return sl_err(e, rc == SL_EUSAGE ? SL_ECORRUPT : SL_ENOTFOUND, "%s: %s_chain: %s", where, what, e2.msg);
    if ((rc = sd->v->m->tx_find(sd->v, f[1], &sd->tx)))
        return sl_err(e, rc == SL_EUSAGE ? SL_ECORRUPT : SL_ENOTFOUND, "%s: %s_txid %s %s %s", where, what, f[1],
                      rc == SL_EUSAGE ? "is not a transaction id of" : "names nothing in the store's", sd->v->name);
    if ((rc = sd->v->m->addr_find(sd->v, f[2], &sd->addr, &e2)))
        return sl_err(e, rc == SL_EUSAGE ? SL_ECORRUPT : SL_ENOTFOUND, "%s: %s_address: %s", where, what,
                      rc == SL_EUSAGE ? e2.msg : "names nothing in the store");
    if (!parse_amount(f[3], &sd->amount) || !sd->amount)
        return sl_err(e, SL_ECORRUPT, "%s: %s_amount '%s' is not a whole positive number of base units below 2^128", where,
                      what, f[3]);
    return SL_OK;
}

/* The payment of sd's tx to sd's address: the one of exactly sd->amount when there is
 * one, else (exact false) the largest. SL_OK with *flow and its amount, or SL_ENOTFOUND. */
static int find_payment(const side *sd, bool exact, uint64_t *flow, sl_u128 *amount)
{
    uint64_t first;
    uint32_t n;
    bool found = false;
    sd->v->m->tx_flows(sd->v, sd->tx, &first, &n);
    for (uint32_t k = 0; k < n; k++) {
        sl_flow f;
        sd->v->m->flow_get(sd->v, first + k, &f);
        if (f.to != sd->addr || f.fee) continue;
        if (f.amount == sd->amount) { *flow = f.id, *amount = f.amount; return SL_OK; }
        if (!exact && (!found || f.amount > *amount)) *flow = f.id, *amount = f.amount, found = true;
    }
    return found ? SL_OK : SL_ENOTFOUND;
}

static int add_line(sl_trace_links *l, const sl_flow_set *fs, char *const *f, uint32_t line, const char *where, sl_error *e)
{
    side a, b;
    uint64_t fa, fb;
    sl_u128 pa, pb, arriving;
    sl_trace_link *x;
    void *q = l->v;
    int rc;
    if ((rc = resolve_side(fs, f, "from", &a, where, e)) || (rc = resolve_side(fs, f + 4, "to", &b, where, e))) return rc;
    if (find_payment(&a, true, &fa, &pa))
        return sl_err(e, SL_ENOTFOUND, "%s: %s pays %s nothing of exactly from_amount %s: the line names no payment in the store",
                      where, f[F_FROM_TX], f[F_FROM_ADDR], f[F_FROM_AMOUNT]);
    if (find_payment(&b, false, &fb, &pb))
        return sl_err(e, SL_ENOTFOUND, "%s: %s pays %s nothing: the line names no payment in the store", where, f[F_TO_TX],
                      f[F_TO_ADDR]);
    if (b.amount > pb)
        return sl_err(e, SL_ECORRUPT, "%s: to_amount %s is more than the payment to %s carries", where, f[F_TO_AMOUNT], f[F_TO_ADDR]);
    arriving = b.amount;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].from_chain == a.v->chain && l->v[i].from_flow == fa)
            return sl_err(e, SL_ECORRUPT, "%s: the payment already leaves its chain on line %u", where, l->v[i].line);
        if (l->v[i].to_chain == b.v->chain && l->v[i].to_flow == fb) arriving += l->v[i].to_amount;
    }
    if (arriving > pb)
        return sl_err(e, SL_ECORRUPT, "%s: the lines arriving at the payment to %s add up to more than it carries", where,
                      f[F_TO_ADDR]);
    if (sl_grow(&q, &l->cap, l->n + 1, sizeof *l->v)) return sl_err(e, SL_ENOMEM, "out of memory");
    l->v = q;
    x = &l->v[l->n++];
    memset(x, 0, sizeof *x);
    x->from_chain = a.v->chain, x->to_chain = b.v->chain;
    x->from_flow = fa, x->to_flow = fb;
    x->from_amount = a.amount, x->to_amount = b.amount;
    x->line = line;
    snprintf(x->note, sizeof x->note, "%s", f[F_NOTE] ? f[F_NOTE] : "");
    return SL_OK;
}

int sl_trace_links_load(sl_trace_links *l, const sl_flow_set *fs, const char *path, sl_error *e)
{
    sl_file file;
    const char *p, *end;
    char *buf = NULL;
    uint32_t line = 0;
    int rc;
    if ((rc = sl_file_open_max(&file, path, (size_t)64 << 20, e))) return rc;
    snprintf(l->path, sizeof l->path, "%s", path);
    p = (const char *)file.data, end = p + file.len;
    if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) p += 3; /* a spreadsheet's byte-order mark */
    if (!(buf = sl_malloc(file.len + N_FIELDS + 1))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); goto out; }
    while (p < end && !rc) {
        char *f[N_FIELDS + 1], where[300];
        const char *start = p;
        int n = csv_record(&p, end, buf, f, N_FIELDS + 1);
        uint32_t first = ++line;
        for (const char *c = start; c < p; c++) line += *c == '\n' && c + 1 < p; /* newlines inside quotes */
        snprintf(where, sizeof where, "%s:%u", path, first);
        if (first == 1) {
            bool ok = n == N_FIELDS;
            for (int i = 0; i < N_FIELDS && ok; i++) ok = !strcmp(f[i], NAMES[i]);
            if (!ok) {
                rc = sl_err(e, SL_ECORRUPT, "%s: the first line must be the header " LINK_HEADER, where);
                sl_err_file(e, path);
                sl_err_line(e, 1);
            }
            continue;
        }
        if (n == 1 && (!f[0][0] || f[0][0] == '#')) continue; /* blank or a comment */
        if (n < 0) rc = sl_err(e, SL_ECORRUPT, "%s: a quoted field is not closed", where);
        else if (n != N_FIELDS) rc = sl_err(e, SL_ECORRUPT, "%s: %d fields, the header has %d", where, n, N_FIELDS);
        else rc = add_line(l, fs, f, first, where, e);
        if (rc) { /* the located fields: the file and the line the record starts on */
            sl_err_file(e, path);
            sl_err_line(e, first);
        }
    }
    if (!rc && line == 0) rc = sl_err(e, SL_ECORRUPT, "%s: empty: the first line must be the header " LINK_HEADER, path);
out:
    sl_free(buf);
    sl_file_close(&file);
    return rc;
}

void sl_trace_links_free(sl_trace_links *l)
{
    sl_free(l->v);
    memset(l, 0, sizeof *l);
}
