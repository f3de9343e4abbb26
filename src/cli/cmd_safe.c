/* cmd_safe.c — `sleuth safe verify FILE.json|- [options]`: reads a Safe transaction as the
 * transaction service serves it (or its fields given as options), verifies it with the
 * safe module and prints the verdict first, then the facts (or --json). See docs/SAFE.md.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd_safe.h"
#include "sleuth/safe.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

enum { SAFE_EXIT_INPUT = 1, SAFE_EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sleuth safe verify FILE.json|- [--chain-id N] [--safe-version 1.x.y] [--allow FILE]\n"
            "                          [--store DIR] [--safe-nonce N] [--json|--jsonl]\n"
            "       sleuth safe verify --safe A --to A [--value N] [--data 0x..] [--operation 0|1]\n"
            "                          [--safe-tx-gas N] [--base-gas N] [--gas-price N] [--gas-token A]\n"
            "                          [--refund-receiver A] --nonce N [--safe-tx-hash H] [--signature 0x..]...\n"
            "Checks a Safe multisig transaction before it is signed: EIP-712 hashes (compare them with\n"
            "your device), signers recovered from the signatures, decoded calldata, and a verdict.\n"
            "A file of several transactions opens with one verdict for them all. --json writes one JSON\n"
            "document for the file, --jsonl one object per transaction per line (docs/SAFE.md).\n"
            "Exit status: 0 nothing above low, 1 bad input, 2 usage error, 3 high or critical finding,\n"
            "4 medium finding.\n");
}

/* The error on stderr and, with --json, as {"error": {"code", "message"}} on stdout, so a
 * program reading stdout always gets one JSON document (as from every sleuth command). */
static int fail(const char *name, const sl_error *e, bool json)
{
    const char *m = e->msg[0] ? e->msg : sl_strerror(e->code);
    fprintf(stderr, "%s: %s\n", name, m);
    if (json) {
        cJSON *j = cJSON_CreateObject(), *er = cJSON_AddObjectToObject(j, "error");
        char *t, msg[sizeof e->msg + 300];
        snprintf(msg, sizeof msg, "%s: %s", name, m);
        cJSON_AddStringToObject(er, "code", sl_errname(e->code));
        cJSON_AddStringToObject(er, "message", msg);
        if ((t = cJSON_PrintUnformatted(j))) printf("%s\n", t);
        cJSON_free(t);
        cJSON_Delete(j);
    }
    return SAFE_EXIT_INPUT;
}

static int read_all(sl_buf *b, const char *path, sl_error *e)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char tmp[65536];
    size_t n;
    if (!f)
        return sl_err(e, SL_EIO, "cannot open: %s", strerror(errno));
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (sl_buf_append(b, tmp, n)) {
            if (f != stdin) fclose(f);
            return sl_err(e, SL_ENOMEM, "out of memory");
        }
        if (b->len > ((size_t)256 << 20)) {
            if (f != stdin) fclose(f);
            return sl_err(e, SL_ELIMIT, "input larger than 256 MiB");
        }
    }
    if (ferror(f)) {
        if (f != stdin) fclose(f);
        return sl_err(e, SL_EIO, "read error");
    }
    if (f != stdin)
        fclose(f);
    return SL_OK;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == 0;
}

/* --allow FILE: one address per line, optionally followed by a name; '#' starts a comment. */
static int read_allow(sl_safe_allow **out, size_t *n, const char *path, sl_error *e)
{
    sl_buf b = {0};
    size_t cap = 0, line = 0;
    char *p, *save = NULL;
    int rc = read_all(&b, path, e);
    *out = NULL;
    *n = 0;
    if (rc) {
        sl_err_prefix(e, "%s: ", path);
        goto done;
    }
    if (!b.p)
        goto done;
    for (p = strtok_r((char *)b.p, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
        char *h = strchr(p, '#'), *name;
        size_t len;
        sl_error in = {0};
        void *q = *out;
        line++;
        if (h) *h = 0;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) continue;
        len = strcspn(p, " \t\r");
        name = p + len;
        if (*name) *name++ = 0;
        while (*name == ' ' || *name == '\t') name++;
        name[strcspn(name, "\r")] = 0;
        if (sl_grow(&q, &cap, *n + 1, sizeof **out)) {
            rc = sl_err(e, SL_ENOMEM, "%s: out of memory", path);
            goto done;
        }
        *out = q;
        if (sl_safe_addr_parse(&(*out)[*n].addr, p, &in)) {
            rc = sl_err(e, SL_ECORRUPT, "%s: line %zu: %s", path, line, in.msg);
            goto done;
        }
        snprintf((*out)[*n].name, sizeof (*out)[*n].name, "%s", *name ? name : "allow-listed");
        (*n)++;
    }
done:
    sl_buf_free(&b);
    if (rc) {
        sl_free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* The tag look-up of `safe verify --store` (ctx: the store's tag db): the most serious
 * kind any tag of the EVM address gives (on any chain): sanctioned (abuse sanction), stolen
 * (an incident's address or a perpetrator), mixer, or other, with that tag's words. */
static int tag_lookup(void *ctx, const sl_safe_addr *a, sl_safe_tag *out)
{
    char hex[43];
    sl_tag_list l;
    sl_error e = {0};
    const sl_tag *b;
    int rc;
    hex[0] = '0', hex[1] = 'x';
    for (int i = 0; i < 20; i++) snprintf(hex + 2 + 2 * i, 3, "%02x", a->b[i]);
    if ((rc = sl_tags_for_address(ctx, NULL, hex, &l, &e))) return rc;
    if (!(b = sl_tags_best(l.v, l.n))) { sl_tag_list_free(&l); return SL_ENOTFOUND; }
    /* the most serious kind any tag gives, with that tag's words */
    out->kind = SL_TAG_OTHER;
    for (size_t i = 0; i < l.n; i++) {
        const sl_tag *t = &l.v[i];
        sl_safe_tag_kind k = sl_tag_is(t, "sanction") ? SL_TAG_SANCTIONED
                             : (t->incident || sl_tag_is(t, "perpetrator")) ? SL_TAG_STOLEN
                             : sl_tag_is(t, "mixing_service") ? SL_TAG_MIXER : SL_TAG_OTHER;
        if (out->kind == SL_TAG_OTHER && k != SL_TAG_OTHER) out->kind = k, b = t;
        else if (k == SL_TAG_SANCTIONED && out->kind != SL_TAG_SANCTIONED) out->kind = k, b = t;
    }
    snprintf(out->label, sizeof out->label, "%s", b->label);
    snprintf(out->source, sizeof out->source, "%s (%s)", b->source, b->file);
    sl_tag_list_free(&l);
    return SL_OK;
}

static const struct {
    const char *opt, *key;
} FIELD[] = {
    {"--safe", "safe"},           {"--to", "to"},
    {"--value", "value"},         {"--data", "data"},
    {"--safe-tx-gas", "safeTxGas"}, {"--base-gas", "baseGas"},
    {"--gas-price", "gasPrice"},  {"--gas-token", "gasToken"},
    {"--refund-receiver", "refundReceiver"}, {"--nonce", "nonce"},
    {"--safe-tx-hash", "safeTxHash"},
};

static int verify(int argc, char **argv)
{
    sl_safe_opts o;
    sl_error e = {0};
    sl_buf in = {0}, out = {0};
    sl_safe_tx_list txs = {0};
    sl_safe_allow *allow = NULL;
    const char *file = NULL, *name = NULL, *allow_path = NULL, *store = NULL;
    char store_msg[600];
    sl_tags *tags = NULL;
    bool json = false, jsonl = false;
    sl_safe_report *reps = NULL;
    size_t nrep = 0;
    cJSON *fields = NULL, *confs = NULL;
    int rc = SAFE_EXIT_INPUT, worst = 0;
    size_t nallow = 0;

    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool matched = false;
        if (!strcmp(a, "--json")) { json = true; continue; }
        if (!strcmp(a, "--jsonl")) { jsonl = true; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); rc = 0; goto done; }
        if (a[0] == '-' && a[1] == '-' && !val) {
            fprintf(stderr, "safe verify: %s needs a value\n", a);
            rc = SAFE_EXIT_USAGE;
            goto done;
        }
        if (!strcmp(a, "--chain-id")) {
            if (!parse_u64(val, &o.chain_id)) { fprintf(stderr, "safe verify: --chain-id: '%s' is not a number\n", val); goto done; }
            o.has_chain_id = true; i++; continue;
        }
        if (!strcmp(a, "--safe-nonce")) {
            if (!parse_u64(val, &o.current_nonce)) { fprintf(stderr, "safe verify: --safe-nonce: '%s' is not a number\n", val); goto done; }
            o.has_current_nonce = true; i++; continue;
        }
        if (!strcmp(a, "--safe-version")) {
            if (sl_safe_version_parse(&o.version, val, &e)) { fprintf(stderr, "safe verify: --safe-version: %s\n", e.msg); goto done; }
            i++; continue;
        }
        if (!strcmp(a, "--allow")) { allow_path = val; i++; continue; }
        if (!strcmp(a, "--store")) { store = val; i++; continue; }
        if (!fields && (fields = cJSON_CreateObject()) == NULL) { fprintf(stderr, "safe verify: out of memory\n"); goto done; }
        if (!strcmp(a, "--operation")) {
            uint64_t op;
            if (parse_u64(val, &op) && op < 1000) cJSON_AddNumberToObject(fields, "operation", (double)op);
            else cJSON_AddStringToObject(fields, "operation", val);
            i++; continue;
        }
        if (!strcmp(a, "--signature")) {
            cJSON *c = cJSON_CreateObject();
            if (!confs) confs = cJSON_AddArrayToObject(fields, "confirmations");
            if (!c || !confs || !cJSON_AddItemToArray(confs, c)) { cJSON_Delete(c); fprintf(stderr, "safe verify: out of memory\n"); goto done; }
            cJSON_AddStringToObject(c, "signature", val);
            i++; continue;
        }
        for (size_t k = 0; k < sizeof FIELD / sizeof FIELD[0]; k++)
            if (!strcmp(a, FIELD[k].opt)) {
                cJSON_DeleteItemFromObjectCaseSensitive(fields, FIELD[k].key);
                cJSON_AddStringToObject(fields, FIELD[k].key, val);
                matched = true;
                i++;
                break;
            }
        if (matched) continue;
        if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "safe verify: unknown option %s\n", a);
            usage(stderr);
            rc = SAFE_EXIT_USAGE;
            goto done;
        }
        if (file) { fprintf(stderr, "safe verify: more than one input file (%s, %s)\n", file, a); goto done; }
        file = a;
    }
    if (fields && cJSON_GetArraySize(fields) == 0) { cJSON_Delete(fields); fields = NULL; }
    if (file && fields) { fprintf(stderr, "safe verify: give either FILE or the fields as options, not both\n"); goto done; }
    if (!file && !fields) { usage(stderr); rc = SAFE_EXIT_USAGE; goto done; }

    if (allow_path && read_allow(&allow, &nallow, allow_path, &e)) { rc = fail("safe verify: --allow", &e, json || jsonl); goto done; }
    o.allow = allow;
    o.nallow = nallow;
    if (store) {
        struct stat st;
        if (stat(store, &st) != 0 || !S_ISDIR(st.st_mode)) { fprintf(stderr, "safe verify: --store %s: not a directory\n", store); goto done; }
        /* recipients screened through the store's tags; a store without them: said, not pretended */
        if (sl_tags_exists(store) && !sl_tags_open(&tags, store, SL_TAGS_RDONLY, NULL)) {
            o.tag_lookup = tag_lookup;
            o.tag_ctx = tags;
        } else {
            snprintf(store_msg, sizeof store_msg, "the store %s has no tags this build can read (no tag db: "
                     "sleuth tags import --store %s FILE)", store, store);
            o.tag_unavailable = store_msg;
        }
    }

    if (file) {
        name = strcmp(file, "-") == 0 ? "(stdin)" : file;
        if (read_all(&in, file, &e)) { rc = fail(name, &e, json || jsonl); goto done; }
    } else {
        char *t = cJSON_PrintUnformatted(fields);
        name = "(command line)";
        if (!t || sl_buf_append(&in, t, strlen(t))) { cJSON_free(t); fprintf(stderr, "safe verify: out of memory\n"); goto done; }
        cJSON_free(t);
    }
    if (sl_safe_parse_json(&txs, in.p ? (const char *)in.p : "", in.len, &e)) { rc = fail(name, &e, json || jsonl); goto done; }

    /* every transaction first: the file's verdict comes before any single report */
    if (!(reps = sl_calloc(txs.n ? txs.n : 1, sizeof *reps))) { fprintf(stderr, "%s: out of memory\n", name); goto done; }
    for (nrep = 0; nrep < txs.n; nrep++)
        if (sl_safe_verify(&reps[nrep], &txs.tx[nrep], &o, &e)) { rc = fail(name, &e, json || jsonl); goto done; }
    {
        int x = SL_OK;
        if (json) x = sl_safe_reports_json(&out, reps, txs.tx, nrep);
        else if (!jsonl && nrep > 1) x = sl_safe_summary_text(&out, reps, txs.tx, nrep);
        for (size_t i = 0; i < nrep && !x && !json; i++) {
            if (jsonl) { x = sl_safe_report_json(&out, &reps[i], &txs.tx[i]); continue; }
            if (nrep > 1) x = sl_buf_printf(&out, "\n========== transaction %zu of %zu: %s\n\n", i + 1, nrep, txs.tx[i].where);
            if (!x) x = sl_safe_report_text(&out, &reps[i], &txs.tx[i]);
        }
        if (x) { fprintf(stderr, "%s: out of memory\n", name); goto done; }
    }
    worst = sl_safe_exit_code(sl_safe_worst(reps, nrep));
    if (out.len)
        fwrite(out.p, 1, out.len, stdout);
    fflush(stdout);
    rc = worst;
done:
    sl_tags_close(tags);
    for (size_t i = 0; i < nrep; i++) sl_safe_report_free(&reps[i]);
    sl_free(reps);
    cJSON_Delete(fields);
    sl_safe_tx_list_free(&txs);
    sl_free(allow);
    sl_buf_free(&in);
    sl_buf_free(&out);
    return rc;
}

int sl_cmd_safe(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return verify(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return SAFE_EXIT_USAGE;
}
