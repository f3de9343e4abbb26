/* cmd_screen.c — `sleuth exposure build` (precomputes the exposure index of a store:
 * screen.h, docs/SCREENING.md) and `sleuth screen` (the exposure of an address, a
 * transaction or a cluster, with its risk level and the reasons; a file of subjects with
 * @FILE). Text fits 100 columns; --json prints one document (docs/JSON.md, "sleuth screen").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/screen.h"
#include "sleuth/store.h"

static const char EXPO_HELP[] =
    "usage: sleuth exposure build --store DIR [--policy P] [--max-hops N] [--quiet] [--json]\n"
    "       sleuth exposure update --store DIR [--quiet] [--json]\n"
    "  Traces every tagged source of the store (forward: where its funds went; backward: where\n"
    "  what it received came from), max-hops deep for the risky categories (stolen funds,\n"
    "  sanctioned, DPRK, mixer, scam, ransomware, darknet, ...) and one hop for the other\n"
    "  services, each trace ending at the first tagged service, and writes what reached every\n"
    "  address to STORE/exposure/index.bin, so that `sleuth screen` is a look-up.\n"
    "  --policy: haircut (default), poison, fifo, lifo, tiho. --max-hops: default 4.\n"
    "  update: brings the index to the store's tips (what the watcher does after every block):\n"
    "  after blocks were appended it continues from the index, tracing again only the sources\n"
    "  the new blocks touch; after a tag import or a rollback below its tips it rebuilds it\n"
    "  with the options it was built with, and says why. No index: nothing.\n";

static const char SCREEN_HELP[] =
    "usage: sleuth screen --store DIR ADDRESS|TXID|cluster:CHAIN:ID|@FILE [--chain C]\n"
    "          [--direction in|out|both] [--rules FILE] [--top N] [--json] [--quiet]\n"
    "  The exposure of the subject: what it received from (in) and sent to (out) tagged\n"
    "  entities, directly and within the index's hops, by category, with the risk level of the\n"
    "  rules (default data/screen/rules.yaml) and the reasons (tag, path, amount, hops, share).\n"
    "  @FILE screens one subject per line ('#' starts a comment). Run `sleuth exposure build`\n"
    "  first (without it only the subject's own tags are screened).\n";

int cmd_exposure(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"policy", 1, 0, 'p'}, {"max-hops", 1, 0, 'H'},
                                         {"json", 0, 0, 'j'},  {"quiet", 0, 0, 'q'},  {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_exposure_build_opts o = {.policy = SL_POLICY_HAIRCUT};
    sl_exposure_build_report r;
    sl_store *s = NULL;
    sl_error e = {0};
    uint64_t v;
    int ch, rc;
    bool update;
    sl_exposure_update_report u;
    if (argc < 2 || (strcmp(argv[1], "build") && strcmp(argv[1], "update"))) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) { fputs(EXPO_HELP, stdout); return EXIT_OK; }
        fputs(EXPO_HELP, stderr);
        return cli_usage("exposure: the subcommands are `build` and `update`");
    }
    update = !strcmp(argv[1], "update");
    argc--, argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'p':
            if (sl_policy_parse(optarg, &o.policy)) return cli_usage("unknown policy '%s' (poison, haircut, fifo, lifo, tiho)", optarg);
            break;
        case 'H':
            if (cli_number("--max-hops", optarg, 1, 255, false, &v)) return EXIT_USAGE;
            o.max_hops = (uint32_t)v;
            break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'h': fputs(EXPO_HELP, stdout); return EXIT_OK;
        default: fputs(EXPO_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("exposure: unexpected argument '%s'", argv[optind]);
    if (update && (o.max_hops || o.policy != SL_POLICY_HAIRCUT))
        return cli_usage("exposure update keeps the index's own --policy and --max-hops (build sets them)");
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    o.quiet = c.quiet || c.json;
    if (sl_store_open(&s, c.store, SL_STORE_RDONLY, &e)) return cli_fail(&c, &e);
    if (update) {
        rc = sl_exposure_update(s, c.store, &u, &e);
        sl_store_close(s);
        if (rc) return cli_fail(&c, &e);
        if (c.json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddBoolToObject(j, "changed", u.changed);
            cJSON_AddStringToObject(j, "how", !u.changed ? "none" : u.full ? "rebuilt" : "continued");
            if (u.full) cJSON_AddStringToObject(j, "why", u.why);
            cJSON_AddNumberToObject(j, "sources", (double)u.sources);
            cJSON_AddNumberToObject(j, "retraced", (double)u.retraced);
            cJSON_AddNumberToObject(j, "read", (double)u.read);
            cJSON_AddNumberToObject(j, "seconds", u.seconds);
            cli_print_json(j);
        } else if (!c.quiet && !u.changed)
            printf("exposure index up to date (or none built)\n");
        else if (!c.quiet && u.full)
            printf("exposure index rebuilt at the store's tips (%s): %llu sources, %.2f s\n", u.why,
                   (unsigned long long)u.sources, u.seconds);
        else if (!c.quiet)
            printf("exposure index continued: %llu new txs/flows read, %llu of %llu sources traced again, %.2f s\n",
                   (unsigned long long)u.read, (unsigned long long)u.retraced, (unsigned long long)u.sources, u.seconds);
        return EXIT_OK;
    }
    rc = sl_exposure_build(s, c.store, &o, &r, &e);
    sl_store_close(s);
    if (rc) return cli_fail(&c, &e);
    if (c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "index", "exposure/index.bin");
        cJSON_AddStringToObject(j, "policy", sl_policy_name(r.policy));
        cJSON_AddNumberToObject(j, "max_hops", r.max_hops);
        jnum(j, "sources", r.sources);
        jnum(j, "entities", r.entities);
        jnum(j, "bytes", r.bytes);
        cJSON_AddNumberToObject(j, "seconds", r.seconds);
        jnum(j, "skipped", r.skipped);
        jstr_or_null(j, "skipped_why", r.skipped ? r.skip_why : NULL);
        cli_print_json(j);
    } else if (!c.quiet) {
        printf("exposure index built: %llu sources traced (%s, %u hops), %llu addresses exposed,\n"
               "  %llu bytes, %.2f s -> %s/exposure/index.bin\n",
               (unsigned long long)r.sources, sl_policy_name(r.policy), r.max_hops, (unsigned long long)r.entities,
               (unsigned long long)r.bytes, r.seconds, c.store);
        if (r.skipped) printf("  %llu sources left out: %s\n", (unsigned long long)r.skipped, r.skip_why);
    }
    return EXIT_OK;
}

/* ---------------- screen: text ---------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}
static double jnumv(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void text_sums(const cJSON *d, const char *name)
{
    const cJSON *x;
    static const char *const parts[] = {"direct", "indirect"};
    if (!d) return;
    for (int p = 0; p < 2; p++) {
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, parts[p]))
            printf("  %-4s %-9s %-18s %28s %6.2f%%  %d hop%s\n", name, parts[p], jstr(x, "category"), jstr(x, "amount"),
                   100 * jnumv(x, "share"), (int)jnumv(x, "hops"), jnumv(x, "hops") == 1 ? "" : "s");
    }
}

static void text_screen(const cJSON *j)
{
    const cJSON *r, *ix = cJSON_GetObjectItemCaseSensitive(j, "index");
    char up[16];
    size_t i;
    snprintf(up, sizeof up, "%s", jstr(j, "risk"));
    for (i = 0; up[i]; i++) up[i] = (char)(up[i] >= 'a' && up[i] <= 'z' ? up[i] - 32 : up[i]);
    printf("%s (%s %s)  risk %s\n", jstr(j, "subject"), jstr(j, "chain"), jstr(j, "kind"), up);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ix, "built")))
        printf("  index: %s, %d hops\n", jstr(ix, "policy"), (int)jnumv(ix, "max_hops"));
    else printf("  %s\n", jstr(ix, "note"));
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(j, "reasons")) {
        const cJSON *s;
        if (!strcmp(jstr(r, "exposure"), "self")) {
            printf("  %-6s %s: the subject itself is tagged: %.60s\n", jstr(r, "level"), jstr(r, "category"),
                   jstr(cJSON_GetObjectItemCaseSensitive(r, "tag"), "label"));
            continue;
        }
        printf("  %-6s %s %s %s: %s (%.2f%%), %d hop%s [%s]\n", jstr(r, "level"), jstr(r, "category"),
               jstr(r, "direction"), jstr(r, "exposure"), jstr(r, "amount"), 100 * jnumv(r, "share"),
               (int)jnumv(r, "hops"), jnumv(r, "hops") == 1 ? "" : "s", jstr(r, "rule"));
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "sources")) {
            const cJSON *src = cJSON_GetObjectItemCaseSensitive(s, "source");
            printf("         %.50s: %s, %d hop%s\n", jstr(src, "label"), jstr(s, "amount"), (int)jnumv(s, "hops"),
                   jnumv(s, "hops") == 1 ? "" : "s");
        }
    }
    text_sums(cJSON_GetObjectItemCaseSensitive(j, "in"), "in");
    text_sums(cJSON_GetObjectItemCaseSensitive(j, "out"), "out");
}

/* ---------------- screen ---------------- */

typedef struct screen_opts {
    cli_common c;
    const char *subject, *rules;
    sl_screen_req rq;
} screen_opts;

static int screen_parse(screen_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'}, {"chain", 1, 0, 'C'}, {"direction", 1, 0, 'd'},
                                         {"rules", 1, 0, 'r'}, {"top", 1, 0, 't'},   {"json", 0, 0, 'j'},
                                         {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    int ch;
    uint64_t v;
    memset(o, 0, sizeof *o);
    o->c.store = getenv("SLEUTH_STORE");
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': o->c.store = optarg; break;
        case 'C': o->rq.chain = optarg; break;
        case 'd':
            if (!strcmp(optarg, "in")) o->rq.direction = SL_SCREEN_IN;
            else if (!strcmp(optarg, "out")) o->rq.direction = SL_SCREEN_OUT;
            else if (!strcmp(optarg, "both")) o->rq.direction = SL_SCREEN_BOTH;
            else return cli_usage("--direction: in, out or both, not '%s'", optarg);
            break;
        case 'r': o->rules = optarg; break;
        case 't':
            if (cli_number("--top", optarg, 1, 1000, false, &v)) return EXIT_USAGE;
            o->rq.top = (uint32_t)v;
            break;
        case 'j': o->c.json = true; break;
        case 'q': o->c.quiet = true; break;
        case 'h': fputs(SCREEN_HELP, stdout); return -1;
        default: fputs(SCREEN_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) { fputs(SCREEN_HELP, stderr); return cli_usage("screen: give one subject (or @FILE)"); }
    o->subject = argv[optind];
    if (!o->c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    return 0;
}

static cJSON *error_json(const char *subject, const sl_error *e)
{
    cJSON *j = cJSON_CreateObject(), *er;
    cJSON_AddStringToObject(j, "subject", subject);
    er = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(er, "code", sl_errname(e->code));
    cJSON_AddStringToObject(er, "message", e->msg);
    return j;
}

/* A file of subjects: one document {"screens": [...], "screened", "failed"}; exit 1 when a
 * line failed (each failure is in its entry). */
static int screen_batch(screen_opts *o, sl_screen *sc)
{
    FILE *f = fopen(o->subject + 1, "r");
    char line[1024];
    unsigned long n = 0, failed = 0, lineno = 0;
    cJSON *all = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(all, "screens");
    if (!f) {
        sl_error e = {0};
        cJSON_Delete(all);
        sl_err(&e, SL_EIO, "%s: cannot open: %s", o->subject + 1, strerror(errno));
        return cli_fail(&o->c, &e);
    }
    while (fgets(line, sizeof line, f)) {
        char *p = line, *end;
        sl_error e = {0};
        cJSON *j = NULL;
        lineno++;
        if ((end = strchr(p, '#'))) *end = 0;
        while (*p == ' ' || *p == '\t') p++;
        for (end = p + strlen(p); end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t');) *--end = 0;
        if (!*p) continue;
        o->rq.subject = p;
        n++;
        if (sl_screen_json(sc, &o->rq, &j, &e)) {
            failed++;
            if (!o->c.quiet) fprintf(stderr, "sleuth: %s:%lu: %s\n", o->subject + 1, lineno, e.msg);
            j = error_json(p, &e);
        } else if (!o->c.json) text_screen(j);
        cJSON_AddItemToArray(arr, j);
    }
    fclose(f);
    cJSON_AddNumberToObject(all, "screened", (double)(n - failed));
    cJSON_AddNumberToObject(all, "failed", (double)failed);
    if (o->c.json) cli_print_json(all);
    else {
        printf("%lu screened, %lu failed\n", n - failed, failed);
        cJSON_Delete(all);
    }
    return failed ? EXIT_FAIL : EXIT_OK;
}

int cmd_screen(int argc, char **argv)
{
    screen_opts o;
    sl_store *s = NULL;
    sl_screen *sc = NULL;
    sl_error e = {0};
    cJSON *j = NULL;
    int rc = screen_parse(&o, argc, argv);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (sl_store_open(&s, o.c.store, SL_STORE_RDONLY, &e)) return cli_fail(&o.c, &e);
    if (sl_screen_open(&sc, s, o.c.store, o.rules, &e)) {
        rc = cli_fail(&o.c, &e);
        goto out;
    }
    if (o.subject[0] == '@') {
        rc = screen_batch(&o, sc);
        goto out;
    }
    o.rq.subject = o.subject;
    if (sl_screen_json(sc, &o.rq, &j, &e)) {
        rc = cli_fail(&o.c, &e);
        goto out;
    }
    if (o.c.json) cli_print_json(j);
    else {
        text_screen(j);
        cJSON_Delete(j);
    }
    rc = EXIT_OK;
out:
    sl_screen_close(sc);
    sl_store_close(s);
    return rc;
}
