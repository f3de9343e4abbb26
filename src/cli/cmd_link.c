/* cmd_link.c — `sleuth link --store DIR SET_A SET_B`: what two thefts, clusters or address
 * lists share (sleuth/link.h). This file parses the options and turns each SET into a
 * list of addresses: @FILE (one address a line, optionally "chain,address"; # comments),
 * an incident of the library, a cluster id, or one address. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/cluster.h"
#include "sleuth/link.h"
#include "sleuth/tags.h"

static const char USAGE[] =
    "usage: sleuth link --store DIR SET_A SET_B [--max-hops N] [--max-flows N] [--chain C] [--json]\n"
    "  SET: an incident name (sleuth incidents), a cluster (cluster:ID, cluster:CHAIN:ID), an\n"
    "       address, or @FILE\n"
    "       (one address a line, or chain,address; # starts a comment)\n"
    "  Reports the addresses both sets hold, clusters they share, counterparties of both, and\n"
    "  payment paths of at most --max-hops (default 3, at most 8) between them, each with its\n"
    "  evidence (tx, time, amount). --max-flows (default 10000) bounds the payments read per\n"
    "  address (an exchange's wallet has millions).\n";

/* Reads @file into set: located errors (file, line). A line is what ends at LF (CR LF
 * too); a CR or a NUL inside a line is refused rather than read past: the parser would
 * have taken what comes before it and dropped the rest (a file with old Mac CR line ends
 * gave its first address only). */
static int set_from_file(sl_link_set *set, sl_store *s, const char *path, const char *chain, sl_error *e)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned ln = 0;
    int rc = SL_OK;
    if (!f) return sl_err(e, SL_EIO, "%s: cannot open: %s", path, strerror(errno));
    while (!rc && (got = getline(&line, &cap, f)) > 0) {
        size_t n = (size_t)got, body = n - (line[n - 1] == '\n');
        ln++;
        body -= body && line[body - 1] == '\r';
        if (body > 510) {
            rc = sl_err(e, SL_EUSAGE, "%s:%u: line too long for an address", path, ln);
            break;
        }
        if (memchr(line, 0, body) || memchr(line, '\r', body)) {
            rc = sl_err(e, SL_EUSAGE, "%s:%u: %s inside the line: one address (or chain,address) a line, lines end with LF",
                        path, ln, memchr(line, 0, body) ? "a NUL byte" : "a carriage return (CR line ends?)");
            sl_err_line(e, ln);
            sl_err_file(e, path);
            break;
        }
        const char *ch, *addr;
        if (!sl_link_parse_line(line, &ch, &addr)) continue;
        if (!ch) ch = chain;
        char why[64];
        snprintf(why, sizeof why, "listed in %s", path);
        sl_error le = {0};
        if ((rc = sl_link_set_add(set, s, ch, addr, why, &le))) {
            sl_err(e, rc, "%s:%u: %s", path, ln, le.msg);
            sl_err_line(e, ln);
            sl_err_file(e, path);
        }
    }
    if (!rc && ferror(f)) rc = sl_err(e, SL_EIO, "%s: read error", path);
    free(line);
    fclose(f);
    if (!rc && !set->n) rc = sl_err(e, SL_EUSAGE, "%s: no address in the file", path);
    return rc;
}

/* An incident of the library (its id, or its name in any case: incidents.yaml) as the
 * addresses its tags name in the store's tag db (sleuth/tags.h), each with the tag that put
 * it there. SL_ENOTFOUND when arg is no incident or the store has no tags of it; addresses
 * of chains sleuth does not hold (a Sui or Cardano address of Phemex) are left out. */
static int set_from_incident(sl_link_set *set, sl_store *s, const char *store, const char *arg, const char *chain,
                             sl_error *e)
{
    char path[4096];
    sl_incident_list l = {0};
    sl_tag_list tl = {0};
    sl_tags *t = NULL;
    sl_error ie = {0};
    const sl_incident *in;
    const char *id = arg;
    int rc;
    snprintf(path, sizeof path, "%s/incidents/incidents.yaml", sl_tags_data_dir());
    if (!sl_incidents_read(path, &l, &ie) && (in = sl_incident_find(&l, arg))) id = in->id;
    if (!sl_tags_exists(store) || sl_tags_open(&t, store, SL_TAGS_RDONLY, &ie) ||
        sl_tags_for_incident(t, id, &tl, &ie) || !tl.n) {
        rc = SL_ENOTFOUND;
        goto done;
    }
    snprintf(set->name, sizeof set->name, "%s", id);
    rc = SL_OK;
    for (size_t i = 0; !rc && i < tl.n; i++) {
        const sl_tag *g = &tl.v[i];
        char why[160];
        sl_error ae = {0};
        if (!g->address || (chain && strcmp(chain, g->chain)) || !sl_chain_by_name(g->chain)) continue;
        snprintf(why, sizeof why, "tag: %s (%s)", g->label, g->file);
        int r = sl_link_set_add(set, s, g->chain, g->address, why, &ae);
        if (r == SL_ENOMEM) rc = sl_err(e, SL_ENOMEM, "out of memory");
    }
    if (!rc && !set->n) rc = SL_ENOTFOUND;
done:
    sl_tag_list_free(&tl);
    sl_tags_close(t);
    sl_incident_list_free(&l);
    return rc;
}

/* Members a cluster set takes at most (a cluster of millions is an exchange: its first
 * members in address order stand for it). */
#define LINK_CLUSTER_MAX 1000000

/* cluster:ID (the Bitcoin family) or cluster:CHAIN:ID — the members of a cluster of the
 * chain's last cluster build. */
static int set_from_cluster(sl_link_set *set, sl_store *s, sl_knowledge *kn, const char *arg, sl_error *e)
{
    const char *p = arg + 8, *colon = strchr(p, ':');
    char chain[32] = "btc";
    uint64_t id, size;
    if (colon) {
        snprintf(chain, sizeof chain, "%.*s", (int)(colon - p), p);
        p = colon + 1;
    }
    const sl_chain_def *def = sl_chain_by_name(chain);
    if (!def) return sl_err(e, SL_EUSAGE, "%s: unknown chain '%s'", arg, chain);
    if (!cli_parse_u64(p, &id) || id > UINT32_MAX)
        return sl_err(e, SL_EUSAGE, "%s: give cluster:ID or cluster:CHAIN:ID, ID a number", arg);
    const sl_cluster *cl = sl_knowledge_cluster(kn, def->id);
    if (!cl) return sl_err(e, SL_ENOTFOUND, "%s: the store has no cluster build of %s (sleuth cluster build)", arg, chain);
    if (!sl_cluster_exists(cl, (uint32_t)id, &size))
        return sl_err(e, SL_ENOTFOUND, "%s: no cluster has this id (sleuth cluster show ADDRESS gives an address's)", arg);
    size_t cap = size < LINK_CLUSTER_MAX ? (size_t)size : LINK_CLUSTER_MAX, n;
    uint32_t *ids = sl_malloc(cap * sizeof *ids);
    if (!ids) return sl_err(e, SL_ENOMEM, "out of memory");
    n = sl_cluster_members(cl, (uint32_t)id, 0, ids, cap);
    int rc = SL_OK;
    char why[64], addr[SL_FLOW_NAME_MAX];
    snprintf(why, sizeof why, "member of cluster %llu", (unsigned long long)id);
    for (size_t i = 0; i < n && !rc; i++)
        if (!sl_addr_format(s, (sl_addr_ref){def->id, ids[i]}, addr, sizeof addr))
            rc = sl_link_set_add(set, s, def->name, addr, why, e);
    sl_free(ids);
    return rc;
}

static int set_from_arg(sl_link_set *set, sl_store *s, const char *store, sl_knowledge *cl, const char *arg,
                        const char *chain, sl_error *e)
{
    int ri;
    snprintf(set->name, sizeof set->name, "%s", arg);
    if (arg[0] == '@') return set_from_file(set, s, arg + 1, chain, e);
    if (!strncmp(arg, "cluster:", 8)) return set_from_cluster(set, s, cl, arg, e);
    if ((ri = set_from_incident(set, s, store, arg, chain, e)) != SL_ENOTFOUND) return ri;
    sl_error ae = {0};
    int rc = sl_link_set_add(set, s, chain, arg, "given", &ae);
    if (rc == SL_EUSAGE)
        return sl_err(e, SL_EUSAGE, "'%s' is not an incident, a cluster (cluster:ID) or an address (%s; "
                      "sleuth incidents lists the incidents)", arg, ae.msg);
    return rc ? sl_err(e, rc, "%s", ae.msg) : SL_OK;
}

/* The clusters hook of sleuth/link.h over each chain's last cluster build. */
static int cluster_of(void *ctx, sl_addr_ref a, uint64_t *cluster, uint64_t *size)
{
    uint32_t id;
    const sl_cluster *cl = sl_knowledge_cluster(ctx, a.chain);
    if (!cl || sl_cluster_of(cl, a, &id, size)) return SL_ENOTFOUND;
    *cluster = id;
    return SL_OK;
}

static int cluster_why(void *ctx, sl_addr_ref a, sl_addr_ref b, sl_merge_edge **path, size_t *n)
{
    sl_error e = {0};
    const sl_cluster *cl = sl_knowledge_cluster(ctx, a.chain);
    return cl ? sl_cluster_why(cl, a, b, path, n, &e) : SL_ENOTFOUND;
}

int cmd_link(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, 's'},     {"json", 0, 0, 'j'},  {"quiet", 0, 0, 'q'},
                                         {"max-hops", 1, 0, 'H'},  {"max-flows", 1, 0, 'F'}, {"max-nodes", 1, 0, 'N'},
                                         {"chain", 1, 0, 'c'},     {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_link_params p = {0};
    const char *chain = NULL;
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.store = optarg; break;
        case 'j': c.json = true; break;
        case 'q': c.quiet = true; break;
        case 'c': chain = optarg; break;
        case 'H': if (cli_number("--max-hops", optarg, 1, 8, false, &v)) return EXIT_USAGE; p.max_hops = (unsigned)v; break;
        case 'F': if (cli_number("--max-flows", optarg, 1, 100000000, false, &v)) return EXIT_USAGE; p.max_flows = v; break;
        case 'N': if (cli_number("--max-nodes", optarg, 1, 100000000, false, &v)) return EXIT_USAGE; p.max_nodes = v; break;
        case 'h': fputs(USAGE, stdout); return EXIT_OK;
        default: fputs(USAGE, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 2) { fputs(USAGE, stderr); return EXIT_USAGE; }
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (chain && !sl_chain_by_name(chain)) return cli_usage("unknown chain '%s'", chain);
    sl_error e = {0};
    sl_store *s = NULL;
    sl_flow_set *fs = NULL;
    sl_link_set a = {0}, b = {0};
    sl_link_result r = {0};
    sl_knowledge *kn = NULL; /* each chain's cluster build: none, no cluster comparison there */
    int rc = sl_store_open(&s, c.store, SL_STORE_RDONLY, &e);
    if (!rc) rc = sl_flow_set_open(&fs, s, &e);
    if (!rc) rc = sl_knowledge_open(&kn, s, c.store, &e);
    p.clusters = (sl_link_clusters){cluster_of, cluster_why, kn};
    if (!rc) rc = set_from_arg(&a, s, c.store, kn, argv[optind], chain, &e);
    if (!rc) rc = set_from_arg(&b, s, c.store, kn, argv[optind + 1], chain, &e);
    if (!rc) rc = sl_link_run(s, fs, &a, &b, &p, &r, &e);
    int ex = EXIT_OK;
    if (rc) ex = cli_fail(&c, &e);
    else if (c.json) {
        cJSON *j = sl_link_report_json(s, fs, &a, &b, &r);
        if (!j) {
            sl_err(&e, SL_ENOMEM, "out of memory");
            ex = cli_fail(&c, &e);
        } else cli_print_json(j);
    } else if (sl_link_report_text(stdout, s, fs, &a, &b, &r)) {
        ex = EXIT_FAIL;
    }
    sl_link_result_free(&r);
    sl_link_set_free(&a);
    sl_link_set_free(&b);
    sl_knowledge_close(kn);
    if (fs) sl_flow_set_close(fs);
    if (s) sl_store_close(s);
    return ex;
}
