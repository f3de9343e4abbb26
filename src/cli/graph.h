/* graph.h — the one writer of `sleuth trace --graph FILE` (graph.c): JSON, GEXF 1.3 or DOT
 * by the file's extension, the same nodes and edges in each. Nodes are written first, then
 * edges; amounts come as decimal digits in base units (exact, any size) and as a label in
 * the coin's unit. */
#ifndef SLEUTH_CLI_GRAPH_H
#define SLEUTH_CLI_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/err.h"

enum { CLI_GRAPH_JSON, CLI_GRAPH_GEXF, CLI_GRAPH_DOT };

typedef struct cli_graph {
    FILE *f;
    const char *path;
    int kind;
    bool in_edges;
    uint64_t n_nodes, n_edges;
} cli_graph;

typedef struct cli_graph_node_info {
    const char *id, *type, *label; /* type: "source", "tx", "address" or "account" */
    const char *status;            /* "source", "pass-through", "held", "endpoint:max-hops", ... */
    uint64_t time;                 /* first arrival (unix seconds), 0 unknown */
    const char *amount, *amount_label; /* what ended there (NULL or "" for none) */
} cli_graph_node_info;

typedef struct cli_graph_edge_info {
    const char *from, *to;
    const char *amount, *amount_label, *weight; /* base-unit digits; "1.5 BTC"; "1.5" */
    const char *status;            /* the status of the target node */
    uint64_t time;                 /* of the transaction that moved it, 0 unknown */
    const char *tx;                /* that transaction (may be NULL) */
    int64_t vout;                  /* Bitcoin: the output it is, -1 for none */
} cli_graph_edge_info;

/* Creates path and writes the format's header. SL_OK, or SL_EIO naming the file. */
int cli_graph_open(cli_graph *g, const char *path, sl_error *e) SL_MUST_USE;
void cli_graph_node(cli_graph *g, const cli_graph_node_info *n);
void cli_graph_edge(cli_graph *g, const cli_graph_edge_info *x);
/* Writes the closing part and closes the file: SL_OK, or SL_EIO when a write failed. */
int cli_graph_close(cli_graph *g, sl_error *e) SL_MUST_USE;

#endif
