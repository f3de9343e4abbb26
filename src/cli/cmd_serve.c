/* cmd_serve.c — `sleuth serve` (the HTTP JSON API, sleuth/server.h, docs/API.md) and
 * `sleuth token create|list|revoke` (its bearer tokens, kept hashed in STORE/server.db).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/server.h"
#include "sleuth/util.h"

static const char SERVE_HELP[] =
    "usage: sleuth serve --store DIR [--listen 127.0.0.1:8080] [--threads N] [--max-body BYTES]\n"
    "          [--rate R] [--burst B] [--max-nodes N] [--deadline-ms MS] [--timeout S] [--queue N]\n"
    "          [--per-ip N] [--web DIR] [--quiet]\n"
    "  Serves the JSON API under /v1 (docs/API.md, docs/openapi.yaml) and the web UI at /\n"
    "  until SIGINT or SIGTERM. Every endpoint but /v1/health needs `Authorization: Bearer\n"
    "  TOKEN` (sleuth token create); the UI's files need none (its login screen asks for one).\n"
    "  --listen HOST:PORT   the address to bind (default 127.0.0.1:8080: this machine only)\n"
    "  --threads N          HTTP threads, and as many workers for slow queries (default: cores)\n"
    "  --max-body BYTES     largest request body (default 1 MiB; larger: 413)\n"
    "  --rate R --burst B   requests per second per token, bucket size (default 100000, 200000)\n"
    "  --max-nodes N        a trace's node budget (default 200000)\n"
    "  --deadline-ms MS     time a request may take once it has arrived (default 30000; 504)\n"
    "  --timeout S          time a request may take to arrive, and idle time (default 10)\n"
    "  --queue N            slow requests waiting for a worker before 503 (default 16 x threads)\n"
    "  --per-ip N           connections per client address (default 64)\n"
    "  --web DIR            the built web UI, read into memory at start and served at / (default:\n"
    "                       $SLEUTH_WEB, else the build/web folder `make` fills; without an\n"
    "                       index.html there, / says the UI is not built and how to build it)\n";

static const char TOKEN_HELP[] =
    "usage: sleuth token create --store DIR --role read|analyst|admin [--label L] [--json]\n"
    "       sleuth token list   --store DIR [--json]\n"
    "       sleuth token revoke --store DIR ID [--json]\n"
    "  API tokens of `sleuth serve`. create prints the secret once (only its SHA-256 is kept,\n"
    "  in STORE/server.db). Roles: read (look-ups, screens, traces, detect), analyst (also adds\n"
    "  tags and watchlist entries, saves cases, acknowledges alerts), admin (also manages\n"
    "  tokens).\n";

enum { O_STORE = 1, O_LISTEN, O_THREADS, O_BODY, O_RATE, O_BURST, O_NODES, O_DEADLINE, O_TIMEOUT, O_QUEUE, O_PERIP,
       O_QUIET, O_HELP, O_ROLE, O_LABEL, O_JSON, O_WEB };

/* A positive decimal rate ("2.5"): true and *v. */
static bool parse_rate(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && !*end && *v > 0 && *v <= 1e9;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, O_STORE},   {"listen", 1, 0, O_LISTEN},     {"threads", 1, 0, O_THREADS}, {"max-body", 1, 0, O_BODY},
        {"rate", 1, 0, O_RATE},     {"burst", 1, 0, O_BURST},       {"max-nodes", 1, 0, O_NODES},
        {"deadline-ms", 1, 0, O_DEADLINE}, {"timeout", 1, 0, O_TIMEOUT}, {"queue", 1, 0, O_QUEUE},
        {"per-ip", 1, 0, O_PERIP},  {"quiet", 0, 0, O_QUIET},       {"help", 0, 0, O_HELP},       {"web", 1, 0, O_WEB},
        {0, 0, 0, 0}};
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_serve_opts o = {0};
    sl_error e = {0};
    uint64_t v;
    int ch;
    o.web_dir = getenv("SLEUTH_WEB") && *getenv("SLEUTH_WEB") ? getenv("SLEUTH_WEB") : NULL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_STORE: c.store = optarg; break;
        case O_LISTEN: o.listen = optarg; break;
        case O_THREADS:
            if (cli_number("--threads", optarg, 1, 256, false, &v)) return EXIT_USAGE;
            o.threads = (unsigned)v;
            break;
        case O_BODY:
            if (cli_number("--max-body", optarg, 1, (uint64_t)1 << 32, false, &o.max_body)) return EXIT_USAGE;
            break;
        case O_RATE:
            if (!parse_rate(optarg, &o.rate)) return cli_usage("--rate: '%s' is not a positive number of requests a second", optarg);
            break;
        case O_BURST:
            if (!parse_rate(optarg, &o.burst) || o.burst < 1) return cli_usage("--burst: '%s' is not a number from 1", optarg);
            break;
        case O_NODES:
            if (cli_number("--max-nodes", optarg, 1, UINT64_MAX, false, &o.max_nodes)) return EXIT_USAGE;
            break;
        case O_DEADLINE:
            if (cli_number("--deadline-ms", optarg, 1, 86400000, false, &v)) return EXIT_USAGE;
            o.deadline_ms = (uint32_t)v;
            break;
        case O_TIMEOUT:
            if (cli_number("--timeout", optarg, 1, 3600, false, &v)) return EXIT_USAGE;
            o.timeout_s = (unsigned)v;
            break;
        case O_QUEUE:
            if (cli_number("--queue", optarg, 1, 1000000, false, &v)) return EXIT_USAGE;
            o.queue = (unsigned)v;
            break;
        case O_PERIP:
            if (cli_number("--per-ip", optarg, 1, 100000, false, &v)) return EXIT_USAGE;
            o.per_ip = (unsigned)v;
            break;
        case O_WEB:
            if (!*optarg) return cli_usage("--web: give a folder");
            o.web_dir = optarg;
            break;
        case O_QUIET: o.quiet = c.quiet = true; break;
        case O_HELP: fputs(SERVE_HELP, stdout); return EXIT_OK;
        default: fputs(SERVE_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("serve: unexpected argument '%s'", argv[optind]);
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    o.store_dir = c.store;
    if (sl_serve_run(&o, &e)) return cli_fail(&c, &e);
    return EXIT_OK;
}

int cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {{"store", 1, 0, O_STORE}, {"role", 1, 0, O_ROLE}, {"label", 1, 0, O_LABEL},
                                         {"json", 0, 0, O_JSON},   {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP},
                                         {0, 0, 0, 0}};
    const char *sub = argc > 1 ? argv[1] : NULL, *role = NULL, *label = NULL;
    cli_common c = {getenv("SLEUTH_STORE"), false, false};
    sl_error e = {0};
    cJSON *j = NULL;
    int ch;
    if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(TOKEN_HELP, sub ? stdout : stderr);
        return sub ? EXIT_OK : EXIT_USAGE;
    }
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))
        return cli_usage("token: unknown subcommand '%s' (create, list, revoke)", sub);
    argc--, argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_STORE: c.store = optarg; break;
        case O_ROLE: role = optarg; break;
        case O_LABEL: label = optarg; break;
        case O_JSON: c.json = true; break;
        case O_QUIET: c.quiet = true; break;
        case O_HELP: fputs(TOKEN_HELP, stdout); return EXIT_OK;
        default: fputs(TOKEN_HELP, stderr); return EXIT_USAGE;
        }
    }
    if (!c.store) return cli_usage("--store DIR is required (or set SLEUTH_STORE)");
    if (!strcmp(sub, "create")) {
        char *secret = NULL;
        if (optind != argc) return cli_usage("token create: unexpected argument '%s'", argv[optind]);
        if (!role) return cli_usage("token create: --role read|analyst|admin is required");
        if (sl_token_create(c.store, role, label, &secret, &j, &e)) return cli_fail(&c, &e);
        if (c.json) {
            cJSON_AddStringToObject(j, "token", secret);
            cli_print_json(j);
        } else {
            printf("%s\n", secret);
            if (!c.quiet)
                fprintf(stderr, "sleuth: token %s (%s) created: the secret above is shown only this once\n",
                        cJSON_GetObjectItem(j, "id")->valuestring, role);
            cJSON_Delete(j);
        }
        sl_free(secret);
        return EXIT_OK;
    }
    if (!strcmp(sub, "list")) {
        const cJSON *t;
        if (optind != argc) return cli_usage("token list: unexpected argument '%s'", argv[optind]);
        if (sl_token_list(c.store, &j, &e)) return cli_fail(&c, &e);
        if (c.json) {
            cli_print_json(j);
            return EXIT_OK;
        }
        printf("%-6s %-8s %-20s %-10s %s\n", "id", "role", "created", "state", "label");
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tokens")) {
            char when[32];
            const cJSON *rv = cJSON_GetObjectItem(t, "revoked"), *lb = cJSON_GetObjectItem(t, "label");
            sl_fmt_time(when, strtoull(cJSON_GetObjectItem(t, "created")->valuestring, NULL, 10));
            when[19] = 0; /* drop " UTC" to fit */
            printf("%-6s %-8s %-20s %-10s %.50s\n", cJSON_GetObjectItem(t, "id")->valuestring,
                   cJSON_GetObjectItem(t, "role")->valuestring, when, cJSON_IsNull(rv) ? "live" : "revoked",
                   cJSON_IsString(lb) ? lb->valuestring : "-");
        }
        cJSON_Delete(j);
        return EXIT_OK;
    }
    {
        uint64_t id;
        if (optind + 1 != argc) return cli_usage("token revoke: give one ID");
        if (cli_number("ID", argv[optind], 1, INT64_MAX, false, &id)) return EXIT_USAGE;
        if (sl_token_revoke(c.store, (int64_t)id, &e)) return cli_fail(&c, &e);
        if (c.json) {
            j = cJSON_CreateObject();
            jnum(j, "revoked", id);
            cli_print_json(j);
        } else if (!c.quiet) {
            printf("token %" PRIu64 " revoked\n", id);
        }
        return EXIT_OK;
    }
}
