/* cmd_tags.c — `sleuth tags import|add|show|export` and `sleuth incidents`: the options
 * of the tag store's commands (sleuth/tags.h does the work). Imports print one line per
 * file (tags, duplicates, warnings) and stop at the first file with an error, which
 * imported nothing (exit 1); the files before it stay imported. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/tags.h"

static const char TAGS_HELP[] =
    "usage: sleuth tags import --store DIR [--strict] FILE...   TagPack/ActorPack YAML, OFAC SDN XML\n"
    "                                                           (.xml, .xml.bz2), label CSV\n"
    "       sleuth tags add    --store DIR ADDRESS --label L --category C --source S\n"
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

static int tags_import(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    sl_tags_import_opts io = {.strict = o->strict};
    if (optind >= argc) return cli_usage("tags import: give at least one FILE");
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
    for (int i = optind; i < argc; i++) {
        sl_tags_import_stats st;
        if (sl_tags_import(t, argv[i], &io, &st, &e)) {
            sl_tags_close(t);
            return cli_fail(&o->c, &e);
        }
        printf("%s: %s, %llu tags, %llu actors, %llu duplicates, %llu warnings\n", argv[i], st.kind,
               (unsigned long long)st.tags, (unsigned long long)st.actors, (unsigned long long)st.duplicates,
               (unsigned long long)st.warnings);
        if (st.detail[0]) printf("  addresses per asset: %s\n", st.detail);
        if (st.warnings) printf("  first warning: %s\n", st.warn);
    }
    sl_tags_close(t);
    return EXIT_OK;
}

static int tags_add(topts *o, int argc, char **argv)
{
    sl_tags *t;
    sl_error e = {0};
    if (optind + 1 != argc) return cli_usage("tags add: give one ADDRESS");
    if (!o->tag.label || !o->tag.category || !o->tag.source)
        return cli_usage("tags add: --label, --category and --source are required");
    o->tag.address = argv[optind];
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
    if (sl_tags_add(t, &o->tag, &e)) {
        sl_tags_close(t);
        return e.code == SL_EUSAGE ? (fprintf(stderr, "sleuth: tags add: %s\n", e.msg), EXIT_USAGE) : cli_fail(&o->c, &e);
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
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
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
    if (sl_tags_open(&t, o->c.store, SL_TAGS_CREATE, &e)) return cli_fail(&o->c, &e);
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

int cmd_incidents(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_usage("incidents: not yet");
}
