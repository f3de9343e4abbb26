/* link.h — `sleuth link`: what two sets of addresses share (two incidents, two clusters, an
 * investigator's lists), with the evidence for every connection — the question that tied
 * the Bybit theft to the Phemex one ("this address received from the initial theft
 * addresses of both").
 *
 * A set is a list of members, each an address as a chain writes it with the reason it is
 * in the set (the tag that put it there, "given"). Four kinds of connection are reported:
 *   common addresses       a member of both sets (compared as the chain writes them, so
 *                          addresses the store never saw count too);
 *   common clusters        members of the two sets that the clustering put in one
 *                          cluster (through a hook: the cluster store is optional);
 *   common counterparties  an address, in neither set, that exchanged value with a member
 *                          of each (the flow on each side is the evidence);
 *   paths                  value that went from a member of one set to a member of the
 *                          other in at most max_hops payments, each hop no earlier than
 *                          the one before (the flows are the evidence), both directions.
 * Everything is read through the chain-neutral flow view (flow.h), so the sets may mix
 * chains; a connection never crosses chains unless a declared link does (not here yet).
 *
 * Bounds: an address with more than max_flows payments (an exchange's hot wallet) is read
 * up to that many and marked truncated in the result; the path search visits at most
 * max_nodes addresses per direction. Threads: the store handle's rule.
 */
#ifndef SLEUTH_LINK_H
#define SLEUTH_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/chains.h"
#include "sleuth/err.h"
#include "sleuth/flow.h"
#include "sleuth/knowledge.h"

/* One member of a set. */
typedef struct sl_link_member {
    uint16_t chain;                   /* chain id (chains.h) */
    char addr[SL_FLOW_NAME_MAX];      /* as written in the set (canonical form in key) */
    char key[SL_FLOW_NAME_MAX];       /* the comparison form: EVM hex lowercased, else as written */
    char why[160];                    /* why it is in the set ("tag: bybit-2025 exploiter", "given") */
    bool in_store;                    /* the store holds the address (ref is valid) */
    sl_addr_ref ref;
} sl_link_member;

typedef struct sl_link_set {
    char name[128];                   /* how the report names the set */
    sl_link_member *v;
    size_t n, cap;
} sl_link_set;

/* Adds an address to set (chain: a chain name, or NULL to take it from the address's
 * form: 0x... Ethereum, T... Tron, else the Bitcoin family). Resolves it in s (not found
 * is fine: in_store false). Duplicates are kept once. Errors: SL_EUSAGE (not an address
 * of that chain, in words), SL_ENOMEM. */
int sl_link_set_add(sl_link_set *set, sl_store *s, const char *chain, const char *addr, const char *why,
                    sl_error *e) SL_MUST_USE;
void sl_link_set_free(sl_link_set *set);

/* Reads one line of an address list (`sleuth link @FILE`): an address, or a chain and an
 * address ("ethereum,0x..."; a comma, blanks or tabs between them, further fields
 * ignored), '#' starting a comment; the line ends at its first CR or LF (the caller
 * refuses a CR inside a line rather than drop what follows it). Cuts line in place (NUL-terminates the fields) and
 * returns true with *addr pointing into line and *chain too, or NULL when the line names
 * no chain; false when the line holds no address (blank or comment). *addr is empty and
 * *chain NULL when the line holds separators only, and *chain is "" for ",ADDRESS": both are
 * for the caller's address check to refuse. The line's length is the caller's to bound. Pure. */
bool sl_link_parse_line(char *line, const char **chain, const char **addr);

/* The hook "which cluster is this address in?": SL_OK with the cluster id and size, or
 * SL_ENOTFOUND (not clustered). A zero hook: no cluster comparison. */
typedef struct sl_link_clusters {
    int (*of)(void *ctx, sl_addr_ref a, uint64_t *cluster, uint64_t *size);
    /* The evidence that joined a and b (cluster.h's sl_cluster_why): SL_OK with *path
     * (sl_malloc'd, the caller frees) and *n; anything else: no evidence shown. May be NULL. */
    int (*why)(void *ctx, sl_addr_ref a, sl_addr_ref b, sl_merge_edge **path, size_t *n);
    void *ctx;
} sl_link_clusters;

typedef struct sl_link_params {
    unsigned max_hops;                /* 0: 3 */
    size_t max_nodes;                 /* 0: 100,000 per direction */
    size_t max_flows;                 /* per address read; 0: 10,000 */
    sl_link_clusters clusters;
} sl_link_params;

/* One payment as evidence. */
typedef struct sl_link_flow {
    uint16_t chain;
    uint64_t flow, tx;
    uint32_t from, to;                /* address ids on that chain (0: none) */
    uint32_t asset;
    sl_u128 amount;
    uint64_t time;
} sl_link_flow;

typedef struct sl_link_common {       /* a member of both sets */
    size_t a, b;                      /* indexes into set a and set b */
} sl_link_common;
typedef struct sl_link_cluster {      /* members of both sets in one cluster */
    uint16_t chain;
    uint64_t cluster, size;
    size_t a, b;                      /* one member of each side */
    sl_merge_edge *path;              /* the merges that joined them, a to b (NULL: not known) */
    size_t n_path;
} sl_link_cluster;
typedef struct sl_link_cparty {       /* an address in neither set that both touched */
    sl_addr_ref addr;
    size_t a, b;                      /* the member of each side */
    sl_link_flow fa, fb;              /* a payment of each side with it */
} sl_link_cparty;
typedef struct sl_link_path {         /* value from a member of one side to one of the other */
    bool a_to_b;
    size_t from, to;                  /* member indexes (from: in the sending set) */
    unsigned hops;
    sl_link_flow flows[8];            /* hops of them, in order */
} sl_link_path;

typedef struct sl_link_result {
    sl_link_common *common;
    size_t n_common;
    sl_link_cluster *clusters;
    size_t n_clusters;
    sl_link_cparty *cparties;
    size_t n_cparties;
    sl_link_path *paths;
    size_t n_paths;
    size_t a_in_store, b_in_store;    /* members the store holds */
    size_t truncated;                 /* addresses read only up to max_flows */
    bool path_limit;                  /* a path search stopped at max_nodes */
    unsigned max_hops;
} sl_link_result;

/* Compares a and b in the store's flows (fs: the store's flow set). SL_OK with *r filled
 * (free with sl_link_result_free, also after an error); SL_ENOMEM; the store's errors. */
int sl_link_run(sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                const sl_link_params *p, sl_link_result *r, sl_error *e) SL_MUST_USE;
void sl_link_result_free(sl_link_result *r);

/* The reports (src/report/link.c). Text: every connection with the payments that are its
 * evidence, lines of at most 100 columns; SL_OK or SL_EIO (a failed write). JSON: one
 * document (docs/JSON.md, "link"), owned by the caller (cJSON_Delete); NULL only when
 * memory ran out. Both read names through s and fs. */
#include <stdio.h>
#include <cjson/cJSON.h>
int sl_link_report_text(FILE *out, sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                        const sl_link_result *r) SL_MUST_USE;
cJSON *sl_link_report_json(sl_store *s, const sl_flow_set *fs, const sl_link_set *a, const sl_link_set *b,
                           const sl_link_result *r);

#endif
