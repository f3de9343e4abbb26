/* common.c — what the subcommands share (see cli.h): errors and usage messages, number
 * options, the look-up options, printing JSON and the library's reports. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/store.h"
#include "sleuth/eth.h"
#include "sleuth/util.h"

int cli_fail(const cli_common *c, const sl_error *in)
{
    sl_error oom = {0};
    const sl_error *e = in;
    /* a failure after an allocation failed is that failure: a look-up that could not get
     * memory says "out of memory", never "not found" or "malformed" */
    if (sl_alloc_failures() && in->code != SL_ENOMEM) {
        sl_err(&oom, SL_ENOMEM, "out of memory (what failed then: %s)", in->msg[0] ? in->msg : sl_strerror(in->code));
        e = &oom;
    }
    fprintf(stderr, "sleuth: %s\n", e->msg[0] ? e->msg : sl_strerror(e->code));
    if (c && c->json) {
        cJSON *j = cJSON_CreateObject(), *er = cJSON_AddObjectToObject(j, "error");
        cJSON_AddStringToObject(er, "code", sl_errname(e->code));
        cJSON_AddStringToObject(er, "message", e->msg[0] ? e->msg : sl_strerror(e->code));
        /* where, when the code that found it knew (docs/JSON.md) */
        if (e->file[0]) cJSON_AddStringToObject(er, "file", e->file);
        if (e->has_offset) jnum(er, "offset", e->offset);
        if (e->line) jnum(er, "line", e->line);
        if (e->path[0]) cJSON_AddStringToObject(er, "path", e->path);
        cli_print_json(j);
    }
    return e->code == SL_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("sleuth: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* Digits only (0x and hex digits when hex), at most 2^64-1: no sign, no spaces, no clamping. */
static bool digits(const char *arg, bool hex, uint64_t *out)
{
    const char *d = arg;
    int base = 10;
    uint64_t v = 0;
    bool ok = arg && *arg;
    if (ok && hex && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) d += 2, base = 16, ok = *d != 0;
    for (; ok && *d; d++) {
        int dv = *d >= '0' && *d <= '9' ? *d - '0'
               : base == 16 && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
               : base == 16 && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;
        if (dv < 0 || v > (UINT64_MAX - (uint64_t)dv) / (uint64_t)base) ok = false; /* not a digit, or > 2^64-1 */
        else v = v * (uint64_t)base + (uint64_t)dv;
    }
    if (ok) *out = v;
    return ok;
}

int cli_number(const char *opt, const char *arg, uint64_t lo, uint64_t hi, bool hex, uint64_t *out)
{
    uint64_t v = 0;
    if (!digits(arg, hex, &v) || v < lo || v > hi)
        return cli_usage("%s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64, opt, arg ? arg : "", lo, hi);
    *out = v;
    return 0;
}

bool cli_parse_u64(const char *s, uint64_t *v) { return digits(s, false, v); }

void cli_print_json(cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j); /* NULL when out of memory: main reports it */
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        cJSON_free(s);
    }
    cJSON_Delete(j);
}



int cli_lookup_open(cli_lookup *l, int argc, char **argv, const char *usage, bool want_arg, bool (*chain_ok)(const char *))
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"json", 0, 0, 'j'},   {"quiet", 0, 0, 'q'},
                                         {"limit", 1, 0, 'l'}, {"offset", 1, 0, 'o'}, {"chain", 1, 0, 'c'},
                                         {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    sl_error e = {0};
    int ch;
    memset(l, 0, sizeof *l);
    l->c.store = getenv("SLEUTH_STORE");
    l->limit = SL_REPORT_LIMIT_DEFAULT;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': l->c.store = optarg; break;
        case 'j': l->c.json = true; break;
        case 'q': l->c.quiet = true; break;
        case 'c':
            if (!chain_ok) { fprintf(stderr, "usage: %s\n", usage); return -EXIT_USAGE; }
            l->chain = optarg;
            break;
        case 'l': case 'o': {
            uint64_t v;
            if (cli_number(ch == 'l' ? "--limit" : "--offset", optarg, 0, ch == 'l' ? 1000000000 : UINT64_MAX, false, &v))
                return -EXIT_USAGE;
            if (ch == 'l') l->limit = v; else l->offset = v;
            break;
        }
        case 'h': printf("usage: %s\n", usage); return 1;
        default: fprintf(stderr, "usage: %s\n", usage); return -EXIT_USAGE;
        }
    }
    if (want_arg) {
        if (optind != argc - 1) { fprintf(stderr, "usage: %s\n", usage); return -EXIT_USAGE; }
        l->arg = argv[optind];
    } else if (optind != argc) {
        fprintf(stderr, "usage: %s\n", usage);
        return -EXIT_USAGE;
    }
    if (!l->c.store) return -cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (l->chain && !chain_ok(l->chain)) return -cli_usage("unknown chain '%s'", l->chain);
    if (sl_store_open(&l->s, l->c.store, SL_STORE_RDONLY, &e)) return -cli_fail(&l->c, &e);
    return 0;
}

int cli_report(cli_lookup *l, int model, cli_report_text_fn text, cli_report_json_fn json)
{
    sl_report_req rq = {l->arg, l->chain, model, l->limit, l->offset, l->c.store};
    sl_error e = {0};
    cJSON *j = NULL;
    int rc = l->c.json ? json(l->s, &j, &rq, &e) : text(l->s, stdout, &rq, &e);
    /* tx and address show the tags of every address they print (cli_tags.c) */
    bool tagged = json == sl_report_tx_json || json == sl_report_address_json;
    if (rc) rc = cli_fail(&l->c, &e);
    else if (j) {
        if (tagged) cli_tags_json(l->s, l->c.store, j);
        cli_print_json(j);
    } else if (tagged) {
        cJSON *all = NULL;
        sl_error e2 = {0};
        if (!json(l->s, &all, &rq, &e2)) cli_tags_text(l->s, l->c.store, all);
        cJSON_Delete(all);
    }
    sl_store_close(l->s);
    return rc;
}

