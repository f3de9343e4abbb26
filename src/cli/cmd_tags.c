/* cmd_tags.c — `sleuth tags import|add|show|export` and `sleuth incidents`: the options
 * of the tag store's commands (sleuth/tags.h does the work). Imports print one line per
 * file (tags, duplicates, warnings) and stop at the first file with an error, which
 * imported nothing (exit 1); the files before it stay imported. */
#include <getopt.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/incident.h"
#include "sleuth/tags.h"
#include "sleuth/xchain.h"

static const char TAGS_HELP[] =
    "usage: sleuth tags import --store DIR [--strict] FILE...   TagPack/ActorPack YAML, OFAC SDN XML\n"
    "                                                 (.xml, .xml.bz2), label CSV, Etherscan label JSON,\n"
    "                                                 an incident list (incidents.yaml: kept in the store)\n"
    "       sleuth tags add    --store DIR ADDRESS|TXID --label L --category C --source S\n"
    "                          [--confidence ID] [--actor A] [--chain C] [--abuse A] [--context JSON]\n"
    "       sleuth tags show   --store DIR ADDRESS|TXID [--chain C] [--json]\n"
    "       sleuth tags export --store DIR [--source S] > pack.yaml\n"
    "Every tag shows its source and the file it came from; docs/TAGS.md has the formats.\n";

enum { O_STORE = 1, O_JSON, O_STRICT, O_LABEL, O_CATEGORY, O_SOURCE, O_CONF, O_ACTOR, O_CHAIN, O_ABUSE,
       O_CONTEXT, O_HELP, O_DEFINER };

typedef struct topts {
    cli_common c;
    bool strict;
    sl_tag tag;
    const char *chain;
} topts;

static int parse(topts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, O_STORE},   {"json", 0, 0, O_JSON},       {"strict", 0, 0, O_STRICT},
        {"label", 1, 0, O_LABEL},   {"category", 1, 0, O_CATEGORY}, {"source", 1, 0, O_SOURCE},
        {"confidence", 1, 0, O_CONF}, {"actor", 1, 0, O_ACTOR},   {"chain", 1, 0, O_CHAIN},
        {"abuse", 1, 0, O_ABUSE},   {"context", 1, 0, O_CONTEXT}, {"help", 0, 0, O_HELP},
        {"cluster-definer", 0, 0, O_DEFINER}, {0, 0, 0, 0}};
    int ch;
    memset(o, 0, sizeof *o);
    o->c.store = getenv("SLEUTH_STORE");
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_STORE: o->c.store = optarg; break;
        case O_JSON: o->c.json = true; break;
        case O_STRICT: o->strict = true; break;
        case O_LABEL: o->tag.label = optarg; break;
        case O_CATEGORY: o->tag.category = optarg; break;
        case O_SOURCE: o->tag.source = optarg; break;
        case O_CONF: o->tag.confidence = optarg; break;
        case O_ACTOR: o->tag.actor = optarg; break;
        case O_CHAIN: o->chain = o->tag.chain = optarg; break;
        case O_ABUSE: o->tag.abuse = optarg; break;
        case O_CONTEXT: o->tag.context = optarg; break;
        case O_DEFINER: o->tag.is_cluster_definer = true; break;
        case O_HELP: fputs(TAGS_HELP, stdout); return -1;
        default: fputs(TAGS_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (!o->c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    return 0;
}

/* Opens the store's tag db for a command that reads: the store must exist (a typo is not
 * a new store); its tag db is created, with the incident library, when it has none. */
static int open_existing(sl_tags **t, const char *store, sl_error *e)
{
    struct stat st;
    if (stat(store, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_err(e, SL_ENOTFOUND, "%s: no such store (a folder made by `sleuth ingest` or `sleuth tags import`)", store);
    return sl_tags_open(t, store, SL_TAGS_CREATE, e);
}

static int tags_import(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    sl_tags_import_opts io = {.strict = o->strict};
    if (optind >= argc) return cli_usage("tags import: give at least one FILE");
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
    for (int i = optind; i < argc; i++) {
        sl_tags_import_stats st;
        size_t ninc;
        if (sl_incidents_is_file(argv[i])) { /* an incident list: kept beside the tags (issue 12) */
            if (sl_incidents_import(o->c.store, argv[i], &ninc, &e)) {
                sl_tags_close(t);
                return cli_fail(&o->c, &e);
            }
            printf("%s: incidents, %zu incident%s (kept in %s/knowledge/incidents.d/)\n", argv[i], ninc,
                   ninc == 1 ? "" : "s", o->c.store);
            continue;
        }
        if (sl_bridge_rules_is_file(argv[i])) { /* bridge pairing rules: kept beside the tags too */
            if (sl_bridge_rules_import(o->c.store, argv[i], &ninc, &e)) {
                sl_tags_close(t);
                return cli_fail(&o->c, &e);
            }
            printf("%s: bridge rules, %zu rule%s (kept in %s/knowledge/bridges.d/)\n", argv[i], ninc, ninc == 1 ? "" : "s",
                   o->c.store);
            continue;
        }
        if (sl_thornames_is_file(argv[i])) { /* THORNames for the swap matcher: kept beside the tags too */
            if (sl_thornames_import(o->c.store, argv[i], &ninc, &e)) {
                sl_tags_close(t);
                return cli_fail(&o->c, &e);
            }
            printf("%s: THORNames, %zu name%s (kept in %s/knowledge/thornames.d/)\n", argv[i], ninc, ninc == 1 ? "" : "s",
                   o->c.store);
            continue;
        }
        if (sl_tags_import(t, argv[i], &io, &st, &e)) {
            sl_tags_close(t);
            return cli_fail(&o->c, &e);
        }
        printf("%s: %s, %llu tags, %llu actors, %llu duplicates, %llu warnings\n", argv[i], st.kind,
               (unsigned long long)st.tags, (unsigned long long)st.actors, (unsigned long long)st.duplicates,
               (unsigned long long)st.warnings);
        if (st.detail[0]) cli_wrapf(4, "  addresses per asset: %s", st.detail);
        if (st.warnings) printf("  first warning: %s\n", st.warn);
    }
    sl_tags_close(t);
    return EXIT_OK;
}

/* A 64-hex-digit argument (with or without 0x) names a transaction. */
static bool is_txid(const char *s)
{
    size_t n;
    if (s[0] == '0' && s[1] == 'x') s += 2;
    n = strspn(s, "0123456789abcdefABCDEF");
    return n == 64 && !s[n];
}

static int tags_add(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    if (optind + 1 != argc) return cli_usage("tags add: give one ADDRESS or TXID");
    if (!o->tag.label || !o->tag.category || !o->tag.source)
        return cli_usage("tags add: --label, --category and --source are required");
    if (is_txid(argv[optind])) {
        o->tag.tx_hash = argv[optind];
        if (!o->tag.chain) o->tag.chain = argv[optind][1] == 'x' ? "ethereum" : "btc";
    } else o->tag.address = argv[optind];
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
    if (sl_tags_add(t, &o->tag, &e)) {
        sl_tags_close(t);
        return e.code == SL_EUSAGE ? (fprintf(stderr, "sleuth: tags add: %s\n", e.msg), EXIT_USAGE) : cli_fail(&o->c, &e);
    }
    sl_tags_close(t);
    return EXIT_OK;
}

static int tags_show(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    sl_tag_list l;
    const char *arg;
    bool tx;
    int rc;
    if (optind + 1 != argc) return cli_usage("tags show: give one ADDRESS or TXID");
    arg = argv[optind];
    tx = is_txid(arg);
    if (open_existing(&t, o->c.store, &e)) return cli_fail(&o->c, &e);
    rc = tx ? sl_tags_for_tx(t, o->chain, arg, &l, &e) : sl_tags_for_address(t, o->chain, arg, &l, &e);
    sl_tags_close(t);
    if (rc == SL_EUSAGE) {
        fprintf(stderr, "sleuth: tags show: %s\n", e.msg);
        return EXIT_USAGE;
    }
    if (rc) return cli_fail(&o->c, &e);
    if (o->c.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, tx ? "tx" : "address", arg);
        cJSON_AddItemToObject(j, "tags", sl_tags_json(l.v, l.n));
        cJSON_AddNullToObject(j, "cluster");
        cli_print_json(j);
    } else {
        cli_wrapf(4, "%s %s: %zu tag%s", tx ? "transaction" : "address", arg, l.n, l.n == 1 ? "" : "s");
        if (sl_tags_text(stdout, l.v, l.n, 2)) rc = EXIT_FAIL;
    }
    sl_tag_list_free(&l);
    return rc ? EXIT_FAIL : EXIT_OK;
}

static int tags_export(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    (void)argv;
    if (optind != argc) return cli_usage("tags export: unexpected argument");
    if (open_existing(&t, o->c.store, &e)) return cli_fail(&o->c, &e);
    if (sl_tags_export(t, stdout, o->tag.source, &e)) {
        sl_tags_close(t);
        return cli_fail(&o->c, &e);
    }
    sl_tags_close(t);
    return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

int cmd_tags(int argc, char **argv)
{
    topts o;
    int rc;
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(TAGS_HELP, sub ? stdout : stderr);
        return sub ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = parse(&o, argc - 1, argv + 1))) return rc < 0 ? EXIT_OK : rc;
    if (!strcmp(sub, "import")) return tags_import(&o, argc - 1, argv + 1);
    if (!strcmp(sub, "add")) return tags_add(&o, argc - 1, argv + 1);
    if (!strcmp(sub, "show")) return tags_show(&o, argc - 1, argv + 1);
    if (!strcmp(sub, "export")) return tags_export(&o, argc - 1, argv + 1);
    return cli_usage("tags: unknown subcommand '%s' (import, add, show, export)", sub);
}

/* ---- sleuth incidents ---- */

static const char INC_HELP[] =
    "usage: sleuth incidents --store DIR [NAME] [--json]\n"
    "The incident library (data/incidents/incidents.yaml; $SLEUTH_DATA overrides the folder):\n"
    "every incident, or one by id or name (also from the store's own lists: tags import), with its\n"
    "addresses from the store's tags.\n";

/* "btc,ethereum +4": the chains that fit 16 columns and how many more. */
static const char *chains_short(char out[17], const char *all)
{
    size_t n = 0, more = 0;
    out[0] = 0;
    for (const char *p = all ? all : "-"; *p;) {
        size_t k = strcspn(p, ",");
        if (!more && n + (n ? 1 : 0) + k + 4 <= 16) n += (size_t)snprintf(out + n, 17 - n, "%s%.*s", n ? "," : "", (int)k, p);
        else more++;
        p += k + (p[k] == ',');
    }
    if (more) snprintf(out + n, 17 - n, " +%zu", more);
    return out;
}

static void inc_text_list(const sl_incident_list *l)
{
    cli_wrapf(4, "%-20s %-10s  %-16s %-20s %s", "incident", "date", "chains", "stolen", "attributed to");
    for (size_t i = 0; i < l->n; i++) {
        const sl_incident *in = &l->v[i];
        char stolen[64] = "-", chains[17];
        if (in->nstolen)
            snprintf(stolen, sizeof stolen, "%s %s%s", in->stolen[0].amount ? in->stolen[0].amount : "?",
                     in->stolen[0].asset ? in->stolen[0].asset : "", in->nstolen > 1 ? " +" : "");
        cli_wrapf(4, "%-20s %-10s  %-16s %-20.20s %s%s%s%s", in->id, in->date ? in->date : "-",
                  chains_short(chains, in->chains), stolen, in->attr_actor ? in->attr_actor : "-",
                  in->attr_confidence ? " (" : "", in->attr_confidence ? in->attr_confidence : "",
                  in->attr_confidence ? ")" : "");
    }
    size_t local = 0;
    for (size_t i = 0; i < l->n; i++) local += l->v[i].local;
    if (local) printf("(%zu of them this store's own, from tags import; the rest the library)\n", local);
}

static void inc_text_one(const sl_incident *in, const sl_tag_list *tl)
{
    cli_wrapf(4, "%s (%s), %s", in->name ? in->name : in->id, in->id, in->date ? in->date : "date unknown");
    if (in->victim) cli_wrapf(14, "  victim      %s", in->victim);
    if (in->chains) cli_wrapf(14, "  chains      %s", in->chains);
    for (size_t i = 0; i < in->nstolen; i++)
        cli_wrapf(14, "  %-11s %s %s%s%s%s", i ? "" : "stolen", in->stolen[i].amount ? in->stolen[i].amount : "?",
                  in->stolen[i].asset ? in->stolen[i].asset : "", in->stolen[i].usd ? " (" : "",
                  in->stolen[i].usd ? in->stolen[i].usd : "", in->stolen[i].usd ? " USD)" : "");
    if (in->route_in) cli_wrapf(14, "  route in    %s", in->route_in);
    if (in->method) cli_wrapf(14, "  method      %s", in->method);
    if (in->laundering) cli_wrapf(14, "  laundering  %s", in->laundering);
    if (in->aftermath) cli_wrapf(14, "  aftermath   %s", in->aftermath);
    if (in->attr_actor || in->attr_by)
        cli_wrapf(14, "  attribution %s, by %s on %s, confidence %s; %s", in->attr_actor ? in->attr_actor : "?",
                  in->attr_by ? in->attr_by : "?", in->attr_date ? in->attr_date : "?",
                  in->attr_confidence ? in->attr_confidence : "?", in->attr_source ? in->attr_source : "");
    for (const char *p = in->sources; p && *p;) {
        size_t n = strcspn(p, "\n");
        cli_wrapf(14, "  %-11s %.*s", p == in->sources ? "sources" : "", (int)n, p);
        p += n + (p[n] == '\n');
    }
    cli_wrapf(4, "  addresses and transactions in the tag store: %zu (from %s)", tl->n, in->tagpack ? in->tagpack : "-");
    for (size_t i = 0; i < tl->n; i++) {
        const sl_tag *t = &tl->v[i];
        cli_wrapf(8, "    %-12s %-9s %s", t->role ? t->role : "-", t->chain, t->address ? t->address : t->tx_hash);
        cli_wrapf(8, "      %s  [%s, %s (%d)]", t->label, t->category ? t->category : t->abuse ? t->abuse : "-",
                  t->confidence, t->level);
    }
}

int cmd_incidents(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, O_STORE}, {"json", 0, 0, O_JSON}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    cli_common c = {.store = getenv("SLEUTH_STORE")};
    sl_incident_list l = {0};
    sl_error e = {0};
    sl_tags *t;
    char path[4096];
    int ch, rc = EXIT_OK;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == O_STORE) c.store = optarg;
        else if (ch == O_JSON) c.json = true;
        else if (ch == O_HELP) { fputs(INC_HELP, stdout); return EXIT_OK; }
        else { fputs(INC_HELP, stderr); return EXIT_USAGE; }
    }
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (optind + 1 < argc) return cli_usage("incidents: at most one NAME");
    if (optind == argc) {
        if (sl_incidents_all(c.store, &l, &e)) return cli_fail(&c, &e);
        if (c.json) {
            cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "incidents");
            for (size_t i = 0; i < l.n; i++) cJSON_AddItemToArray(a, (cJSON *)sl_incident_json(&l.v[i]));
            cli_print_json(j);
        } else inc_text_list(&l);
        sl_incident_list_free(&l);
        return EXIT_OK;
    }
    /* one incident: the library's, else one of the store's own lists (tags import) */
    const sl_incident *in;
    sl_tag_list tl = {0};
    if (sl_incident_lookup(c.store, argv[optind], &l, &in, path, sizeof path, &e)) return cli_fail(&c, &e);
    if (open_existing(&t, c.store, &e) || (rc = sl_tags_for_incident(t, in->id, &tl, &e))) {
        if (!rc) t = NULL;
        sl_tags_close(t);
        sl_incident_list_free(&l);
        return cli_fail(&c, &e);
    }
    sl_tags_close(t);
    if (c.json) {
        cJSON *j = cJSON_CreateObject(), *o = (cJSON *)sl_incident_json(in);
        cJSON_AddItemToObject(o, "addresses", sl_tags_json(tl.v, tl.n));
        cJSON_AddItemToObject(j, "incident", o);
        cli_print_json(j);
    } else inc_text_one(in, &tl);
    sl_tag_list_free(&tl);
    sl_incident_list_free(&l);
    return EXIT_OK;
}
