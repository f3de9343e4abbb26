/* report.h — what sleuth shows a person or a program about a store, written once for
 * every front end (the `sleuth` command today, the HTTP server next): the look-up reports
 * of `sleuth info`, `block`, `tx` and `address` on every chain and the trace reports
 * (`sleuth trace`: text, JSON and graph files), as text for people (fits
 * SL_TEXT_COLS columns, amounts in the coin's unit) or as one cJSON document for programs
 * (the keys are the contract in docs/JSON.md and docs/ETH.md; amounts are exact integers
 * in base units, above 2^53 as decimal strings), and the formatting primitives they are
 * built from (exact JSON integers, times, coin amounts, word-wrapped lines).
 *
 * A report takes the store handle and an sl_report_req (what to show) and either writes
 * text to a FILE * or builds a cJSON tree that the caller owns (cJSON_Delete; *out is NULL
 * after any error). Nothing is written before the argument is resolved, so a usage or
 * not-found error leaves the FILE untouched. Errors are sl_ codes with
 * the sl_error filled in words: SL_EUSAGE for an argument that is not an id of that kind
 * (the message says what was expected), SL_ENOTFOUND for one the store does not hold,
 * SL_ENOMEM when an allocation failed while the report was made (a text report may then
 * have written part of its lines), SL_EIO when writing the text failed.
 *
 * Threads: a report reads the store through its handle and follows the handle's rules
 * (include/sleuth/store.h: one thread at a time per handle); the primitives keep no state.
 * Out-of-memory detection counts the process's failed allocations (sl_alloc_failures), so
 * a failure in another thread while a report runs makes that report say SL_ENOMEM too.
 */
#ifndef SLEUTH_REPORT_H
#define SLEUTH_REPORT_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/chains.h"
#include "sleuth/err.h"
#include "sleuth/eth.h"
#include "sleuth/eth_store.h"
#include "sleuth/flow.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"
#include "sleuth/xchain.h"

/* ---------------- formatting primitives (src/report/fmt.c) ---------------- */

/* Adds key: v to obj as an exact JSON integer and returns the new member, NULL when out
 * of memory (obj is then left without it). The member is a cJSON_Raw item holding the
 * digits (never a double, so no integer above 2^53 is rounded): it is exact when printed
 * (cJSON_Print*); code that reads the tree itself finds the digits in valuestring. The
 * same holds for the integers of every report's document. */
cJSON *sl_json_u64(cJSON *obj, const char *key, uint64_t v);
/* As sl_json_u64 when known, else key: null. */
cJSON *sl_json_u64_or_null(cJSON *obj, const char *key, uint64_t v, bool known);
/* key: "s" (copied), or key: null when s is NULL. NULL when out of memory. */
cJSON *sl_json_str_or_null(cJSON *obj, const char *key, const char *s);
/* An exact 256-bit amount as a new item: a JSON integer below 2^53 (exact in every JSON
 * reader), else its decimal digits as a string. The caller owns it; NULL when out of
 * memory. */
cJSON *sl_json_u256_item(const sl_u256 *v);
/* Adds key: v (as sl_json_u256_item) to obj; returns the member or NULL. */
cJSON *sl_json_u256(cJSON *obj, const char *key, const sl_u256 *v);
/* Adds key: a - b (as sl_json_u256_item, with a '-' when b > a) to obj: a balance from
 * what was received (a) and sent (b). Returns the member or NULL. */
cJSON *sl_json_u256_diff(cJSON *obj, const char *key, const sl_u256 *a, const sl_u256 *b);

/* "2009-01-12 03:30:25 UTC" for a unix time; "time unknown" for 0 (a block whose input
 * gave no time: never 1970), "time out of range" past what gmtime can say. 64-bit, so no
 * time is cut to 32 bits. */
void sl_fmt_time(char out[32], uint64_t t);
/* A satoshi amount in coins with all eight decimals: "50.00000000". */
void sl_fmt_coins(char out[32], uint64_t sat);
/* The coin-unit decimal of an amount given as its base-unit digits: the decimal point put
 * `decimals` places from the right and the trailing zeros of the fraction dropped ("1.5"
 * from "150000000" and 8); decimals 0 (or 96 and more) leaves the digits. out holds cap
 * bytes and is always terminated. */
void sl_fmt_decimal(char *out, size_t cap, const char *digits, unsigned decimals);
/* "1.5 BTC"-style label of an amount v in base units: decimals >= 0 gives the coin unit
 * and sym; decimals < 0 (a token whose decimals are unknown) gives "N base units of sym". */
void sl_fmt_amount(char out[140], const sl_u256 *v, int decimals, const char *sym);
/* Decimals of an asset of account chain c: the native coin's (asset 0), a bundled token's,
 * or -1 when unknown (a token outside the bundled list, sl_eth_token_find). */
int sl_fmt_eth_decimals(const sl_eth_chain *c, uint32_t asset);
/* An amount of an asset of c in its coin unit with its symbol ("0.25 ETH", "1000 USDT"),
 * or "N base units of 0xCONTRACT" when its decimals are unknown (sl_fmt_amount). */
void sl_fmt_eth_amount(char out[140], const sl_eth_chain *c, uint32_t asset, const sl_u256 *v);
/* printf to f, word-wrapped to SL_TEXT_COLS columns by sl_buf_wrap (sleuth/text.h): the
 * spacing of the text is kept while it fits, further lines start with hang spaces; ends
 * with a '\n'. Returns SL_OK, SL_ENOMEM (nothing written), or SL_EIO (the write failed:
 * ferror(f)). A caller writing many lines may instead check ferror(f) and
 * sl_alloc_failures() once at the end, as the reports do. */
int sl_fmt_wrapf(FILE *f, size_t hang, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sl_fmt_vwrapf(FILE *f, size_t hang, const char *fmt, va_list ap);

/* ---------------- look-ups the reports share (src/report/eth_find.c) ---------------- */

/* True when s is written the account chains' way: "0x" and 40 or 64 more characters (an
 * address or a hash), or a Tron T-address. */
bool sl_report_is_account_arg(const char *s);
/* The first account chain of s (in chain-id order, sl_chain_defs; or only the chain named
 * only, when not NULL) that holds the transaction with hash h (*id set to its tx id), or
 * NULL when none does. The handle belongs to the store (valid until sl_store_close). */
sl_eth_chain *sl_eth_chain_with_tx(sl_store *s, const char *only, const sl_hash256 *h, uint64_t *id);
/* The same for an account with address a (*st set to its record); tron_only skips every
 * chain but Tron (a T-address names a Tron account). */
sl_eth_chain *sl_eth_chain_with_acct(sl_store *s, const char *only, const sl_eth_addr *a, bool tron_only,
                                     sl_eth_acctstat *st);
/* The same for a block: the one with hash *h when h is not NULL (a scan of the chain's
 * blocks), else the one numbered number; *idx set to its block index. */
sl_eth_chain *sl_eth_chain_with_block(sl_store *s, const char *only, const sl_hash256 *h, uint64_t number,
                                      uint32_t *idx);

/* ---------------- the look-up reports ---------------- */

/* Which chain model a look-up reads. SL_REPORT_ANY decides by the request: the account
 * chains when chain is set or the argument is written their way (block: it starts with
 * 0x; tx: it starts with 0x or sl_report_is_account_arg; address:
 * sl_report_is_account_arg), else Bitcoin first and, for a block or a tx that Bitcoin does
 * not hold, then the account chains (a Tron tx hash is written without 0x, as a txid is). */
enum { SL_REPORT_ANY = 0 }; /* or SL_MODEL_UTXO, SL_MODEL_ACCOUNT (sleuth/chains.h) */

/* The length of a listing when the caller has no opinion (the CLI's --limit default). */
#define SL_REPORT_LIMIT_DEFAULT 100

/* What a report shows. Strings are borrowed for the call. */
typedef struct sl_report_req {
    const char *arg;        /* the id as a person writes it: a block hash, height or number; a
                             * txid or 0x hash; an address (Bitcoin: or a public key) */
    const char *chain;      /* account chains: only this one ("ethereum", "tron", ...); NULL:
                             * the first of the store that holds the id */
    int model;              /* SL_REPORT_ANY, SL_MODEL_UTXO (Bitcoin only) or SL_MODEL_ACCOUNT */
    uint64_t limit, offset; /* the window of a listing: a block's txs and a tx's inputs and
                             * outputs in text; an address's history in text and JSON */
    const char *store_name; /* info: how the report names the store (its path) */
} sl_report_req;

/* `sleuth block`: the block rq->arg names (Bitcoin: 64-digit hash or height; account
 * chains: number or 0x hash, on rq->chain or the first chain that has it). Text: header
 * lines and the window of its txids; JSON: header fields, totals (Bitcoin: inputs,
 * outputs, fees, coinbase value, output types) and every txid. */
int sl_report_block_text(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
int sl_report_block_json(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
/* `sleuth tx`: the transaction rq->arg names. Bitcoin: block, time, size, fee, every
 * input with where it came from and every output with its spender (text: the window of
 * each; a BIP-30 duplicate txid shows the latest); account chains: block, from, to,
 * value, status, fee and every flow (native, internal, token, fee, burn). */
int sl_report_tx_text(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
int sl_report_tx_json(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
/* `sleuth address`: the address rq->arg names (Bitcoin: any address form or a public
 * key; account chains: 0x address or T-address). Bitcoin: balance, totals, first and
 * last seen, and the window of its history, newest first; account chains: the balance
 * of every asset (received - sent, below zero when what it spent arrived before the
 * ingested blocks), flow counts, times and the window of its txs, newest first. */
int sl_report_address_text(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
int sl_report_address_json(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
/* `sleuth info`: the store (named rq->store_name, its format and size) and every chain of
 * its registry that holds blocks: blocks, height and time ranges, txs, flows, addresses
 * (JSON: also the "btc" object older programs read). Only rq->store_name is read. */
int sl_report_info_text(sl_store *s, FILE *out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;
int sl_report_info_json(sl_store *s, cJSON **out, const sl_report_req *rq, sl_error *e) SL_MUST_USE;

/* ---------------- trace reports (src/report/trace_*.c) ---------------- */

/* The hook "what is this address called?" (an exchange's name from a tag store, an
 * investigator's label): name() writes the name of a into out and returns true, or
 * returns false for no name. It must not call the report. A zero namer names nothing. */
typedef struct sl_addr_namer {
    bool (*name)(void *ctx, sl_addr_ref a, char *out, size_t cap);
    void *ctx;
} sl_addr_namer;

/* The hook "what do the tags say of this address?" for the endpoints' "tags" key
 * (docs/JSON.md): tags_json returns the tags of a as a JSON array text allocated with
 * sl_malloc (the report frees it with sl_free), or NULL for none. It must not call the
 * report. A zero tagger tags nothing ("tags": []). */
typedef struct sl_addr_tagger {
    char *(*tags_json)(void *ctx, sl_addr_ref a);
    /* The endpoints' "cluster" key: a's cluster as a JSON object text ({id, address, size,
     * tag, tag_members_examined}: docs/JSON.md) allocated with sl_malloc, or NULL for
     * null (no cluster build, or not covered). May be NULL. Same rules as tags_json. */
    char *(*cluster_json)(void *ctx, sl_addr_ref a);
    void *ctx;
} sl_addr_tagger;

/* Endpoints and paths a text report lists when the request does not say (2 x top
 * endpoint rows, top paths). */
#define SL_REPORT_TOP_DEFAULT 10

/* What a trace report is asked, as a person writes it. Strings are borrowed: they must
 * stay valid until sl_report_trace_free. */
typedef struct sl_trace_req {
    const char *tx;          /* TXID[:N] or 0xHASH[:N]: all the tx's payments or its N-th (UTXO: the
                              * output N; accounts: flow N as `sleuth tx` numbers them) */
    const char *address;     /* or an address: what it received (from params.since on) */
    const char *chain;       /* only this chain ("bitcoin", "ethereum", "tron", ...); NULL: the
                              * first chain of the store (in chain-id order) that holds the source */
    const char *asset;       /* "BTC", "ETH", "USDT", a token contract; NULL: a tx's first asset,
                              * an address's native coin */
    const char *links;       /* a CSV of declared cross-chain pairs (sl_trace_links_load), or NULL */
    bool no_crossings;       /* (added, issue 12) do not follow the crossings found in the store's
                              * chain data (xchain.h); by default they are links too */
    sl_trace_params params;  /* params.links is set by the report from `links` */
    uint64_t top;            /* 0: SL_REPORT_TOP_DEFAULT */
    const char *graph_path;  /* text: says the graph was written there (NULL: says nothing) */
    sl_addr_namer namer;
    sl_addr_tagger tagger;   /* the endpoints' tags (zero: none) */
    bool json_crossings_only; /* the JSON's "flows" lists only the flows that crossed a link (a
                               * client that draws the graph file needs no other: a 50k-node
                               * trace's answer is ~4x smaller) */
} sl_trace_req;

/* A trace that ran, with what its reports need. Owned by the caller's struct; free with
 * sl_report_trace_free (also after a failed run). */
typedef struct sl_trace_report {
    sl_trace_req rq;
    char arg[300];           /* the source as written */
    sl_flow_set *fs;
    sl_trace_source src;
    sl_trace_links links;    /* the declared ones first ([0, n_declared)), then the crossings used */
    sl_trace_params params;
    /* added (issue 12): the crossings found in chain data (xchain.h) */
    size_t n_declared;       /* links read from rq.links */
    sl_xchain_list xc;       /* the crossings departing in the txs the trace reached (xc.txs_asked
                              * of them examined, sl_xchain_find_at); empty with --no-crossings */
    size_t *xc_of_link;      /* links[n_declared + i] is xc.v[xc_of_link[i]] */
    unsigned xc_rounds;      /* engine passes after which crossings were looked for */
    bool xc_all;             /* backward: xc is every crossing of the store (sl_xchain_find) */
    size_t xc_used, xc_skipped; /* appended as links; left out (their payment is in rq.links) */
    char xc_status[200];     /* "" when crossings were looked for, else why not */
    sl_trace_result r;
    struct sl_rt_cache *names;   /* private: names already made (NULL: none kept) */
} sl_trace_report;

/* Resolves the request against the chains of s (the source is looked up on every chain
 * the store holds, or only rq->chain: whichever holds it is where the trace starts; no
 * guess from how it is written), loads the links and runs the trace (trace.h).
 * Errors: SL_EUSAGE (no or two sources, a source written as no chain writes one, an
 * index out of range, an asset on a chain that has only its coin, contradictory
 * options), SL_ENOTFOUND (a source, asset or chain the store does not hold, a link line
 * that names nothing in it), SL_ECORRUPT (a bad link file), and the engine's. s must
 * stay open until sl_report_trace_free. Threads: s's. */
int sl_report_trace_run(sl_store *s, const sl_trace_req *rq, sl_trace_report *rep, sl_error *e) SL_MUST_USE;
/* The report for people: what was traced, the parameters, the conservation line of every
 * asset, where the money is by address, per-hop statistics, the top paths, the crossings
 * of declared links (marked as the analyst's assertion). SL_OK, SL_ENOMEM, SL_EIO. */
int sl_report_trace_text(const sl_trace_report *rep, FILE *out, sl_error *e) SL_MUST_USE;
/* The JSON document (docs/JSON.md, the same keys on every chain), streamed to out: no
 * memory grows with its size. SL_OK or SL_EIO. */
int sl_report_trace_json(const sl_trace_report *rep, FILE *out, sl_error *e) SL_MUST_USE;
/* The traced subgraph as a graph file (docs/JSON.md: one node/edge schema for every
 * chain) in format SL_GRAPH_*. SL_OK, SL_ENOMEM, SL_EIO. */
enum { SL_GRAPH_JSON = 1, SL_GRAPH_GEXF = 2, SL_GRAPH_DOT = 3 };
int sl_report_trace_graph(const sl_trace_report *rep, FILE *out, int format, sl_error *e) SL_MUST_USE;
/* The format a graph file's name asks for (.json, .gexf, .dot), 0 for none of them. */
int sl_report_graph_format(const char *path);
void sl_report_trace_free(sl_trace_report *rep);


/* ---------------- the knowledge layer in reports (src/report/knowledge.c) ---------------- */

/* The tags and clusters of one store as reports show them: the tag db (read-only) and each
 * chain's last cluster build, opened on first use; a store without them reads as one
 * without tags or clusters (nothing is created). One per caller and thread; everything it
 * hands out is valid until sl_knowledge_close. */
typedef struct sl_knowledge sl_knowledge;
struct sl_tags;
struct sl_cluster;
struct sl_cluster_tagger;
/* s: the open store (borrowed, must outlive k); store_dir: its folder (for the tag db).
 * SL_OK, or SL_ENOMEM. */
int sl_knowledge_open(sl_knowledge **k, sl_store *s, const char *store_dir, sl_error *e) SL_MUST_USE;
void sl_knowledge_close(sl_knowledge *k);
/* The tag db (NULL: none) and chain id `chain`'s last cluster build (NULL: none). */
struct sl_tags *sl_knowledge_tags(sl_knowledge *k);
const struct sl_cluster *sl_knowledge_cluster(sl_knowledge *k, uint16_t chain);
/* Decorates a look-up document (`tx`, `address`: sl_report_*_json's) in place: every
 * object naming an "address" gets "tags" and "cluster", "from"/"to" get "from_tags"/
 * "to_tags", the top object "tx_tags" (docs/JSON.md). Allocation failures leave keys out
 * (the caller checks sl_alloc_failures). */
void sl_knowledge_json(sl_knowledge *k, cJSON *j);
/* The text sections for the same document: "tags" and "clusters" of every printed address
 * that has them (lines of at most 100 columns). SL_OK or SL_EIO. */
int sl_knowledge_text(sl_knowledge *k, FILE *out, cJSON *j) SL_MUST_USE;
/* Wires k into a trace request: endpoint names and tags (rq->namer, rq->tagger, with the
 * endpoints' clusters), and with rq->params.stop_at the endpoint hook (an address with a
 * tag of a listed category ends the trace, status "tagged"; without a tag db the status
 * says so). store_dir names the tag db in the status. k must outlive the trace report.
 * SL_OK or SL_ENOMEM. */
int sl_knowledge_trace(sl_knowledge *k, sl_trace_req *rq, const char *store_dir) SL_MUST_USE;
/* Adds key: the cluster tag t as `sleuth cluster show --json` writes it ({label, category,
 * source, confidence_level, is_cluster_definer}), or key: null when t is NULL. Returns the
 * member, NULL when out of memory. (Added, issue 13: the CLI and the HTTP server share it.) */
struct sl_cluster_tag;
cJSON *sl_json_cluster_tag(cJSON *obj, const char *key, const struct sl_cluster_tag *t);
/* The cluster build's tagger (sleuth/cluster.h) for chain ("btc" for the Bitcoin family, or
 * an account chain's name): every address tag of that chain resolved once to its address
 * id, best tag per address by GraphSense's rule, conflicts by sl_tags_conflict; NULL when
 * the store has no such tags. Valid until the next call or sl_knowledge_close. */
const struct sl_cluster_tagger *sl_knowledge_cluster_tagger(sl_knowledge *k, const char *chain);

#endif
