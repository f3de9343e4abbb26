/* cmd_incident.c — `sleuth incident report|compare` (issue 12): the options; the report is
 * built and rendered by the library (sleuth/incident.h). A store that does not hold the
 * incident's chains, or holds none of its transactions, still gets the record with "not in
 * the store" per chain (exit 0): that is an answer, not a failure. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sleuth/incident.h"

static const char USAGE[] =
    "usage: sleuth incident report  --store DIR NAME [--json] [--html FILE] [--policy P] [--max-hops N]\n"
    "       sleuth incident compare --store DIR NAME NAME [--json] [--policy P] [--max-hops N]\n"
    "NAME: an incident of the library (sleuth incidents) or of the store (sleuth tags import\n"
    "incidents.yaml). The report: the record, the laundering stages with amounts per stage, chain\n"
    "and day, endpoints with their tags, what is still held and since when, the detectors' findings,\n"
    "the suspects, and what reproduces it (parameters, the store's block-time range, the version).\n"
    "--html FILE also writes it as one self-contained HTML file (no network request). compare: the\n"
    "two incidents side by side (date, route in, loss, method, laundering path, aftermath).\n"
    "--policy haircut (default), poison, fifo, lifo, tiho; --max-hops as `sleuth detect`.\n";

enum { O_STORE = 1, O_JSON, O_HTML, O_POLICY, O_HOPS, O_HELP };

typedef struct iopts {
    cli_common c;
    const char *html;
    sl_detect_params p;
} iopts;

/* Opens the store read-only; a folder without blocks yet (only tags) gives *s NULL. */
static int open_store(const char *dir, sl_store **s, sl_error *e)
{
    struct stat st;
    sl_error oe = {0};
    int rc;
    *s = NULL;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_err(e, SL_ENOTFOUND, "%s: no such store (a folder made by `sleuth ingest` or `sleuth tags import`)", dir);
    rc = sl_store_open(s, dir, SL_STORE_RDONLY, &oe);
    if (rc == SL_ENOTFOUND) return *s = NULL, SL_OK;
    if (rc) return sl_err(e, rc, "%s", oe.msg);
    return SL_OK;
}

static int write_html(const char *path, const sl_incident_report *rep, sl_error *e)
{
    FILE *f = fopen(path, "w");
    int rc;
    if (!f) return sl_err(e, SL_EIO, "%s: cannot create", path);
    rc = sl_incident_report_html(f, rep);
    if (fclose(f) || rc) return sl_err(e, SL_EIO, "%s: write failed", path);
    return SL_OK;
}

int cmd_incident(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, O_STORE},   {"json", 0, 0, O_JSON}, {"html", 1, 0, O_HTML},
                                         {"policy", 1, 0, O_POLICY}, {"max-hops", 1, 0, O_HOPS},
                                         {"help", 0, 0, O_HELP},     {0, 0, 0, 0}};
    const char *sub = argc > 1 ? argv[1] : NULL;
    iopts o = {.c = {.store = getenv("SLEUTH_STORE")}};
    sl_error e = {0};
    sl_store *s = NULL;
    sl_incident_report ra = {0}, rb = {0};
    uint64_t v;
    int ch, rc, ex = EXIT_OK;
    bool cmp;
    if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(USAGE, sub ? stdout : stderr);
        return sub ? EXIT_OK : EXIT_USAGE;
    }
    if (strcmp(sub, "report") && strcmp(sub, "compare")) return cli_usage("incident: unknown subcommand '%s' (report, compare)", sub);
    cmp = !strcmp(sub, "compare");
    sl_detect_params_default(&o.p);
    argc--, argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_STORE: o.c.store = optarg; break;
        case O_JSON: o.c.json = true; break;
        case O_HTML: o.html = optarg; break;
        case O_POLICY:
            if (sl_policy_parse(optarg, &o.p.policy)) return cli_usage("--policy: unknown policy '%s'", optarg);
            break;
        case O_HOPS:
            if (cli_number("--max-hops", optarg, 1, 100000, false, &v)) return EXIT_USAGE;
            o.p.max_hops = (uint32_t)v;
            break;
        case O_HELP: fputs(USAGE, stdout); return EXIT_OK;
        default: fputs(USAGE, stderr); return EXIT_USAGE;
        }
    }
    if (!o.c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (optind + (cmp ? 2 : 1) != argc) return cli_usage(cmp ? "incident compare: give two NAMEs" : "incident report: give one NAME");
    if (cmp && o.html) return cli_usage("incident compare: --html is for `incident report`");
    rc = open_store(o.c.store, &s, &e);
    if (!rc) rc = sl_incident_report_run(&ra, s, o.c.store, argv[optind], &o.p, &e);
    if (!rc && cmp) rc = sl_incident_report_run(&rb, s, o.c.store, argv[optind + 1], &o.p, &e);
    if (!rc && o.html) rc = write_html(o.html, &ra, &e);
    if (rc) ex = cli_fail(&o.c, &e);
    else if (o.c.json) {
        cJSON *j = cmp ? sl_incident_compare_json(&ra, &rb) : sl_incident_report_json(&ra);
        if (!j) {
            sl_err(&e, SL_ENOMEM, "out of memory");
            ex = cli_fail(&o.c, &e);
        } else cli_print_json(j);
    } else if (cmp ? sl_incident_compare_text(stdout, &ra, &rb) : sl_incident_report_text(stdout, &ra)) {
        ex = EXIT_FAIL;
    }
    sl_incident_report_free(&ra);
    sl_incident_report_free(&rb);
    if (s) sl_store_close(s);
    return ex;
}
