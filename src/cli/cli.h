/* cli.h — shared helpers of the `sleuth` command-line front end: option parsing of the
 * common flags, printing a library report (sleuth/report.h renders; the commands parse
 * and print), the CLI names of the library's output primitives, and the exit codes every
 * command uses:
 *   0 success   1 failure (bad input, not found, store or I/O error)   2 usage error
 *   3 `safe verify` found something of high or critical severity, 4 of medium severity
 */
#ifndef SLEUTH_CLI_H
#define SLEUTH_CLI_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/err.h"
#include "sleuth/eth.h"
#include "sleuth/report.h"
#include "sleuth/store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_FINDINGS = 3 };

typedef struct cli_common {
    const char *store;
    bool json, quiet;
} cli_common;

/* Reports an error (stderr text; with json also {"error":...} on stdout); returns the exit code. */
int cli_fail(const cli_common *c, const sl_error *e);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses the value of option opt ("--limit") as a whole number in [lo, hi]: decimal
 * digits (or 0x and hex digits when hex), nothing else — no sign, no spaces, no silent
 * clamping of a value too large for 64 bits. On success returns 0 with *out set; else
 * prints "sleuth: --limit: '...' is not a whole number from lo to hi" and returns
 * EXIT_USAGE. */
int cli_number(const char *opt, const char *arg, uint64_t lo, uint64_t hi, bool hex, uint64_t *out);
/* A whole decimal number in s (no sign, nothing after it, at most 2^64-1): true and *v. */
bool cli_parse_u64(const char *s, uint64_t *v);
/* Prints a cJSON tree (and frees it). Out of memory (a tree missing members, or no room
 * to print it) is not reported here: main reports any failed allocation of a command that
 * exits 0 (cli_oom_note). */
void cli_print_json(cJSON *j);
/* What main adds to its "out of memory" line when a command that returned EXIT_OK saw an
 * allocation fail (so its output may be incomplete): set by a command whose effect is
 * already durable (an ingest that committed) to say so. NULL: nothing to add. */
extern const char *cli_oom_note;
/* The output primitives live in the library (sleuth/report.h, src/report/fmt.c); these
 * are their CLI names, kept for the commands that still use them. cli_wrapf writes to
 * stdout (an allocation it could not make is reported by main, cli_oom_note). */
#define jnum(obj, key, v) sl_json_u64(obj, key, v)
#define jnum_or_null(obj, key, v, known) sl_json_u64_or_null(obj, key, v, known)
#define jstr_or_null(obj, key, s) sl_json_str_or_null(obj, key, s)
#define ju256(obj, key, v) sl_json_u256(obj, key, v)
#define jsigned_u256(obj, key, a, b) sl_json_u256_diff(obj, key, a, b)
#define ju256_item(v) sl_json_u256_item(v)
#define cli_time(out, t) sl_fmt_time(out, t)
#define cli_coins(out, sat) sl_fmt_coins(out, sat)
#define cli_decimal(out, cap, digits, decimals) sl_fmt_decimal(out, cap, digits, decimals)
#define cli_amount(out, v, decimals, sym) sl_fmt_amount(out, v, decimals, sym)
#define cli_wrapf(hang, ...) sl_fmt_wrapf(stdout, hang, __VA_ARGS__)

/* A look-up command's options: --store, --json, --quiet, --limit, --offset (default 100,
 * 0), --chain when chain_ok is given (it vets the name), and one positional argument when
 * want_arg; opens the store
 * read-only. Returns 0 (store open in l->s), 1 (--help was printed: exit 0), or minus the
 * exit code after printing why. */
typedef struct cli_lookup {
    cli_common c;
    const char *arg, *chain;
    uint64_t limit, offset;
    struct sl_store *s;
} cli_lookup;
int cli_lookup_open(cli_lookup *l, int argc, char **argv, const char *usage, bool want_arg,
                    bool (*chain_ok)(const char *));
/* Runs a look-up report of the library on l's request (its argument, --chain, --limit,
 * --offset, the store path; model: SL_REPORT_ANY or SL_MODEL_*): with --json the document
 * printed by cli_print_json, else the text on stdout; an error through cli_fail. Closes
 * l->s. Returns the exit code. */
typedef int (*cli_report_text_fn)(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e);
typedef int (*cli_report_json_fn)(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e);
int cli_report(cli_lookup *l, int model, cli_report_text_fn text, cli_report_json_fn json);

int cmd_ingest(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_tx(int argc, char **argv);
int cmd_address(int argc, char **argv);
int cmd_trace(int argc, char **argv);
/* `sleuth cluster build|show|why` (cmd_cluster.c): every chain of the store */
int cmd_cluster(int argc, char **argv);
int cmd_link(int argc, char **argv);
/* `sleuth deposits` (cmd_deposit.c): the evidence of deposit-address clustering on an
 * account chain (`sleuth cluster build` stores the clusters). */
int cmd_deposits(int argc, char **argv);
/* The tag store (cmd_tags.c): `sleuth tags import|add|show|export`, `sleuth incidents`. */
int cmd_tags(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_detect(int argc, char **argv);   /* cmd_detect.c (issue 12) */
int cmd_incident(int argc, char **argv); /* cmd_incident.c: incident report, incident compare */
int cmd_gen(int argc, char **argv);      /* cmd_gen.c: gen world */
int cmd_exposure(int argc, char **argv); /* cmd_screen.c (issue 13): exposure build */
int cmd_screen(int argc, char **argv);   /* cmd_screen.c: screen */
int cmd_watch(int argc, char **argv);    /* cmd_watch.c: watch */
int cmd_watchlist(int argc, char **argv);/* cmd_watch.c: watchlist add|list|remove */
int cmd_alerts(int argc, char **argv);   /* cmd_watch.c: alerts */
int cmd_serve(int argc, char **argv);    /* cmd_serve.c: serve */
int cmd_token(int argc, char **argv);    /* cmd_serve.c: token create|list|revoke */
/* The tag store in the other commands (cli_tags.c). cli_tags_open: the store's tag db
 * read-only, or NULL when it has none (look-ups never create one). cli_tags_json adds
 * "tags" (and "cluster": null) to every object of j that names an "address", and
 * "from_tags"/"to_tags" beside "from"/"to". cli_tags_text prints a closing "tags" section
 * for the addresses of j that have tags. cli_tags_after_ingest creates the tag db of a
 * store that has none, with the incident library (a note on stderr when it fails). */
void cli_tags_json(sl_store *s, const char *store, cJSON *j);
void cli_tags_text(sl_store *s, const char *store, cJSON *j);
void cli_tags_after_ingest(const char *store);
/* Wires the tag store of `store` into a trace request: endpoint names (the best tag) and,
 * with --stop-at, the endpoint hook (an address with a tag of a listed category ends the
 * trace, status "tagged"); says in the status when the store has no tag db. One trace at
 * a time: cli_tags_trace_done releases it after the report. */
void cli_tags_trace(sl_trace_req *rq, sl_store *s, const char *store);
void cli_tags_trace_done(void);
/* `sleuth cluster build` and `show`: the tag-conflict guard's tagger over the store's tag
 * db (every address tag of chain `chain` — "btc" for the Bitcoin family, or an account
 * chain's name — resolved once to its address id; best tag per address by GraphSense's
 * rule; conflicts by sl_tags_conflict), or NULL when the store has no such tags. One build
 * at a time: cli_tags_cluster_done releases it. */
struct sl_cluster_tagger;
const struct sl_cluster_tagger *cli_tags_cluster_tagger(sl_store *s, const char *store, const char *chain);
void cli_tags_cluster_done(void);
/* The deposit-clustering options `deposits` and `cluster build` share: CLI_DEPOSIT_OPTIONS
 * goes into a getopt_long table, cli_deposit_opt keeps the one getopt returned (true when
 * ch was one of them), cli_deposit_params applies those given over the defaults of chain
 * (an account chain; --alpha in its coin): 0, or the exit code after saying why. */
enum { CLI_DEP_TAU = 0x200, CLI_DEP_ALPHA, CLI_DEP_PPM, CLI_DEP_K, CLI_DEP_SENDERS, CLI_DEP_PAYEES, CLI_DEP_NO_TOKENS };
#define CLI_DEPOSIT_OPTIONS                                                                                 \
    {"tau", 1, 0, CLI_DEP_TAU}, {"alpha", 1, 0, CLI_DEP_ALPHA}, {"alpha-token-ppm", 1, 0, CLI_DEP_PPM},      \
        {"min-deposits", 1, 0, CLI_DEP_K}, {"max-senders", 1, 0, CLI_DEP_SENDERS},                          \
        {"min-payees", 1, 0, CLI_DEP_PAYEES}, {"no-tokens", 0, 0, CLI_DEP_NO_TOKENS}
typedef struct cli_deposit_opts {
    const char *tau, *alpha, *ppm, *k, *senders, *payees;
    bool no_tokens;
} cli_deposit_opts;
bool cli_deposit_opt(cli_deposit_opts *d, int ch, const char *arg);
struct sl_deposit_params;
int cli_deposit_params(const cli_deposit_opts *d, const char *chain, struct sl_deposit_params *p);
/* The meaning of a trace's source, its policies and --stop-at (cmd_trace.c), lines of at
 * most 100 columns: shown by `sleuth --help` and `sleuth trace --help`. */
extern const char CLI_TRACE_HELP[];
/* Ethereum-family chains and Tron (cmd_eth.c) */
int cmd_ingest_eth(int argc, char **argv);
int cmd_ingest_tron(int argc, char **argv);
int cmd_tx_eth(int argc, char **argv);
/* `sleuth block` on an account chain: by number (the first chain of the store that has
 * it, or --chain) or by 0x hash. */
int cmd_block_eth(int argc, char **argv);
int cmd_address_eth(int argc, char **argv);
/* The account-chain look-ups shared with the reports (sleuth/report.h, src/report/). */
#define cli_is_eth_arg(s) sl_report_is_account_arg(s)
#define cli_eth_find_tx(s, only, h, id) sl_eth_chain_with_tx(s, only, h, id)
#define cli_eth_find_acct(s, only, a, tron_only, st) sl_eth_chain_with_acct(s, only, a, tron_only, st)
#define cli_eth_decimals(c, asset) sl_fmt_eth_decimals(c, asset)
#define cli_eth_amount(out, c, asset, v) sl_fmt_eth_amount(out, c, asset, v)

#endif
