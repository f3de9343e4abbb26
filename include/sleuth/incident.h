/* incident.h — the incident report of issue 12 (`sleuth incident report` and `incident
 * compare`): an incident's record (the built-in library or the store's own incident lists:
 * tags.h) beside what the detectors (laundering.h) found in the store — the laundering
 * timeline by stage (theft, dispersal, swap/bridge, mixing, dormancy, cash-out) with amounts
 * per stage, chain and day; the endpoints with their tags; what is still held where and
 * since when; the findings; the suspects; and what reproduces the numbers (parameters,
 * policy, the store's block-time range per chain, sleuth's version). Rendered as text (100
 * columns), one JSON document (docs/JSON.md "incident report") and one self-contained HTML
 * file (inline CSS and SVG charts, no network request, every string escaped).
 *
 * The report is plain data: sl_incident_report_build turns a record and a detect result
 * into it, resolving every name once through a namer (the store's, or a test's), so the
 * three renderers read nothing else and agree by construction.
 *
 * Files: src/report/incident.c (build, text, JSON, compare), src/report/incident_html.c.
 * Threads: a report is plain memory; building it through the store's namer follows the
 * store handle's rule (one thread at a time).
 */
#ifndef SLEUTH_INCIDENT_H
#define SLEUTH_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/laundering.h"
#include "sleuth/tags.h"

/* Names of what a result points at. Every callback writes "" (or zeroes) when it cannot
 * name the thing; none may fail. */
typedef struct sl_incident_namer {
    void *ctx;
    void (*addr)(void *ctx, sl_addr_ref a, char out[SL_FLOW_NAME_MAX]);
    void (*tx)(void *ctx, sl_tx_ref t, char out[SL_FLOW_NAME_MAX]);
    uint64_t (*tx_time)(void *ctx, sl_tx_ref t);
    void (*asset)(void *ctx, uint16_t chain, uint32_t asset, sl_flow_asset *out);
    /* the address's best tag (sl_tags_best): label (cap 160) and category (cap 64) */
    void (*tag)(void *ctx, sl_addr_ref a, char *label, char *category);
} sl_incident_namer;

/* A chain the record names or the store holds. */
enum { SL_INC_CHAIN_ABSENT = 0,   /* the store holds no block of it ("not in the store") */
       SL_INC_CHAIN_UNKNOWN,      /* a chain sleuth does not ingest (the record's name kept) */
       SL_INC_CHAIN_NO_SOURCE,    /* held, but no theft tx or address of the incident is in it */
       SL_INC_CHAIN_TRACED,       /* held, and a trace started on it */
       SL_INC_CHAIN_REACHED };    /* held, no source on it, but the traces crossed into it */
typedef struct sl_incident_chain {
    char name[32];                /* the record's name, else the registry's ("btc", "ethereum") */
    char network[32];             /* the store's name of it ("regtest", "ethereum"), "" absent */
    uint16_t id;                  /* chains.h id, 0 unknown */
    int state;                    /* SL_INC_CHAIN_* */
    bool in_record;               /* the record lists it */
    bool times;                   /* a block-time range is known */
    uint64_t time_min, time_max, blocks;
} sl_incident_chain;

/* An asset the report mentions: how it is written. */
typedef struct sl_incident_asset {
    uint16_t chain;
    uint32_t asset;
    char chain_name[32];
    sl_flow_asset info;
} sl_incident_asset;

/* An amount of asset index `asset` (into rep->assets). */
typedef struct sl_incident_amt {
    size_t asset;
    sl_u128 amount;
} sl_incident_amt;

/* One stage of one asset: the sum of the amounts of its findings. */
typedef struct sl_incident_stage {
    sl_stage stage;
    sl_incident_amt amt;
    size_t findings;
    uint64_t time_first, time_last;
} sl_incident_stage;

/* One day of one stage of one asset (day: unix time of 00:00 UTC; 0: time unknown). */
typedef struct sl_incident_day {
    uint64_t day;
    sl_stage stage;
    sl_incident_amt amt;
} sl_incident_day;

/* Where taint stopped, summed over the traces per (address, asset, reason). */
typedef struct sl_incident_end {
    sl_addr_ref addr;
    sl_incident_amt amt;
    uint8_t reason;               /* sl_end_reason */
    uint64_t time;                /* earliest arrival: "held since" */
    size_t pieces;
    char name[SL_FLOW_NAME_MAX], tag[160], category[64];
} sl_incident_end;

/* A finding with its names resolved (at most SL_INC_NAMES addresses and txs named). */
#define SL_INC_NAMES 4
typedef struct sl_incident_finding {
    const sl_finding *f;          /* into rep->result */
    sl_incident_amt amt;          /* without an amount (valued false): 0 of its chain's coin */
    bool valued;                  /* the finding names an amount (its amount's chain is set) */
    char addrs[SL_INC_NAMES][SL_FLOW_NAME_MAX], txs[SL_INC_NAMES][SL_FLOW_NAME_MAX];
} sl_incident_finding;

typedef struct sl_incident_suspect {
    const sl_suspect *s;          /* into rep->result */
    sl_incident_amt amt;
    char name[SL_FLOW_NAME_MAX], tag[160], category[64];
} sl_incident_suspect;

typedef struct sl_incident_report {
    sl_incident_list list;        /* owns the record */
    const sl_incident *inc;       /* into list */
    char from[512];               /* the file the record came from */
    char label[128];              /* the detect input's label, "" when not traced */
    bool traced;
    char why_not[640];            /* when not traced: why, in words */
    sl_detect_params params;
    sl_detect_result result;      /* owned (empty when not traced) */
    sl_incident_chain *chains; size_t n_chains;
    sl_incident_asset *assets; size_t n_assets, assets_cap;
    sl_incident_amt *loot; size_t n_loot;
    sl_incident_stage *stages; size_t n_stages;   /* by stage, then asset */
    sl_incident_day *days; size_t n_days;         /* by day, stage, asset */
    sl_incident_end *ends; size_t n_ends;         /* by asset, then amount descending */
    sl_incident_finding *findings; size_t n_findings;
    sl_incident_suspect *suspects; size_t n_suspects;
    uint64_t generated;           /* tip time used (the result's), 0 when not traced */
} sl_incident_report;

/* Builds rep from a record and (traced) a detect result. list is taken over (rep owns it
 * afterwards, even on failure); inc points into it; from names its file. r (NULL: not
 * traced, why_not says why) is taken over too: its memory moves into rep->result and *r is
 * left empty. chains (n, copied) are the record's and the store's chains. SL_OK or
 * SL_ENOMEM; free with sl_incident_report_free in every case. */
int sl_incident_report_build(sl_incident_report *rep, sl_incident_list *list, const sl_incident *inc,
                             const char *from, const sl_detect_input *in, sl_detect_result *r, const char *why_not,
                             const sl_detect_params *p, const sl_incident_chain *chains, size_t n,
                             const sl_incident_namer *nm, sl_error *e) SL_MUST_USE;
void sl_incident_report_free(sl_incident_report *rep);

/* Looks the incident up (sl_incident_lookup: library, then the store's lists), resolves it
 * into trace sources (sl_detect_input_incident), runs the detectors with p (NULL: the
 * defaults) and builds the report. A store without the incident's chains, or without its
 * transactions, is no error: the report says "not in the store" per chain and why it was
 * not traced. s may be NULL (store_dir has no block store yet: nothing traced).
 * store_dir is where the tag db and the store's incident lists are. Errors: SL_ENOTFOUND
 * (no such incident), the store's and the detectors' errors, SL_ENOMEM. */
int sl_incident_report_run(sl_incident_report *rep, sl_store *s, const char *store_dir, const char *name,
                           const sl_detect_params *p, sl_error *e) SL_MUST_USE;

/* The amount's text in its asset ("4502.9 BTC"; with_symbol false: "4502.9"), cap >= 96. */
void sl_incident_amt_str(const sl_incident_report *rep, const sl_incident_amt *a, char *out, size_t cap,
                         bool with_symbol);
/* The laundering path in one line: the stages seen, in order, each with its amounts and
 * chains ("dispersal 4502.9 BTC (btc); swap-bridge ..."); "" when nothing was found. */
void sl_incident_path(const sl_incident_report *rep, char *out, size_t cap);

/* The incident record as JSON (docs/JSON.md "incidents"): a cJSON * declared void *, NULL
 * when out of memory. Shared with `sleuth incidents`. */
void *sl_incident_json(const sl_incident *in);

/* The report as JSON (docs/JSON.md "incident report"), text (100 columns) and HTML (one
 * self-contained file: inline CSS and SVG, no URL in any attribute, every string
 * escaped). JSON: a cJSON * declared void *, NULL when out of memory; text and HTML:
 * SL_OK or SL_EIO. */
void *sl_incident_report_json(const sl_incident_report *rep);
int sl_incident_report_text(FILE *f, const sl_incident_report *rep);
int sl_incident_report_html(FILE *f, const sl_incident_report *rep);

/* `incident compare`: the seed's side-by-side table of two reports (date, route in, loss,
 * method, laundering path, aftermath). JSON: {"incidents": [id, id], "rows": [{"field",
 * "values": [a, b]}]}; text: two columns in 100. */
void *sl_incident_compare_json(const sl_incident_report *a, const sl_incident_report *b);
int sl_incident_compare_text(FILE *f, const sl_incident_report *a, const sl_incident_report *b);

#endif
