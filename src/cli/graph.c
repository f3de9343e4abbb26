/* graph.c — writes a traced subgraph for other tools (`sleuth trace --graph FILE`): JSON
 * (for programs), GEXF 1.3 (Gephi) or DOT (Graphviz), chosen by the file's extension. Both
 * tracers describe their graph through this one writer, so the three formats carry the
 * same facts: every node with its type, label, status (source, pass-through, held, or
 * endpoint:WHY when the trace stopped there) and first arrival time; every edge with its
 * exact amount in base units, the amount in the coin's unit ("1.5 BTC", "1000 USDT"), the
 * time of its transaction and the status of where it leads. docs/TRACE.md lists the keys. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "graph.h"

/* ISO 8601 UTC ("2009-01-12T03:30:25Z"), or "" for an unknown time (0). */
static void iso_time(char out[32], uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    out[0] = 0;
    if (t && t <= (uint64_t)INT64_MAX && gmtime_r(&tt, &tm)) strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* s with the characters XML (and a quoted DOT or JSON string) cannot hold as they are
 * escaped. Every value here is an address, hash, number or token symbol; a symbol comes
 * from the bundled list, but escaping keeps a file well-formed whatever it holds. */
static void put_escaped(FILE *f, const char *s, int kind)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (kind == CLI_GRAPH_GEXF && c == '&') fputs("&amp;", f);
        else if (kind == CLI_GRAPH_GEXF && c == '<') fputs("&lt;", f);
        else if (kind == CLI_GRAPH_GEXF && c == '>') fputs("&gt;", f);
        else if (kind == CLI_GRAPH_GEXF && c == '"') fputs("&quot;", f);
        else if (kind != CLI_GRAPH_GEXF && (c == '"' || c == '\\')) fputc('\\', f), fputc(c, f);
        else if (c < 0x20) fputc(' ', f);
        else fputc(c, f);
    }
}

/* An amount in JSON as the rest of sleuth's JSON has it: an integer below 2^53, else a
 * decimal string. */
static void json_amount(FILE *f, const char *digits)
{
    size_t n = strlen(digits);
    if (n < 16 || (n == 16 && strcmp(digits, "9007199254740992") < 0)) fputs(digits, f);
    else fprintf(f, "\"%s\"", digits);
}

int cli_graph_open(cli_graph *g, const char *path, sl_error *e)
{
    const char *ext = strrchr(path, '.');
    memset(g, 0, sizeof *g);
    g->kind = !ext ? CLI_GRAPH_JSON : !strcmp(ext, ".gexf") ? CLI_GRAPH_GEXF : !strcmp(ext, ".dot") ? CLI_GRAPH_DOT : CLI_GRAPH_JSON;
    g->path = path;
    if (!(g->f = fopen(path, "w"))) return sl_err(e, SL_EIO, "%s: cannot write", path);
    if (g->kind == CLI_GRAPH_GEXF)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
              "<meta><creator>sleuth trace</creator><description>traced subgraph: amounts in base units (amount) and "
              "in the coin's unit (label), times UTC</description></meta>\n"
              "<graph defaultedgetype=\"directed\" mode=\"static\">\n"
              "<attributes class=\"node\">\n"
              "  <attribute id=\"type\" title=\"type\" type=\"string\"/>\n"
              "  <attribute id=\"status\" title=\"status\" type=\"string\"/>\n"
              "  <attribute id=\"time\" title=\"first arrival (UTC)\" type=\"string\"/>\n"
              "  <attribute id=\"amount\" title=\"amount (base units)\" type=\"string\"/>\n"
              "  <attribute id=\"amount_label\" title=\"amount\" type=\"string\"/>\n"
              "</attributes>\n"
              "<attributes class=\"edge\">\n"
              "  <attribute id=\"amount\" title=\"amount (base units)\" type=\"string\"/>\n"
              "  <attribute id=\"amount_label\" title=\"amount\" type=\"string\"/>\n"
              "  <attribute id=\"time\" title=\"time (UTC)\" type=\"string\"/>\n"
              "  <attribute id=\"status\" title=\"status of the target\" type=\"string\"/>\n"
              "  <attribute id=\"tx\" title=\"transaction\" type=\"string\"/>\n"
              "</attributes>\n<nodes>\n", g->f);
    else if (g->kind == CLI_GRAPH_DOT)
        fputs("digraph trace {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n", g->f);
    else
        fputs("{\"nodes\":[", g->f);
    return SL_OK;
}

void cli_graph_node(cli_graph *g, const cli_graph_node_info *n)
{
    char iso[32];
    FILE *f = g->f;
    iso_time(iso, n->time);
    if (g->kind == CLI_GRAPH_GEXF) {
        fputs("<node id=\"", f), put_escaped(f, n->id, g->kind), fputs("\" label=\"", f), put_escaped(f, n->label, g->kind);
        fprintf(f, "\"><attvalues><attvalue for=\"type\" value=\"%s\"/><attvalue for=\"status\" value=\"%s\"/>", n->type,
                n->status);
        if (iso[0]) fprintf(f, "<attvalue for=\"time\" value=\"%s\"/>", iso);
        if (n->amount && n->amount[0]) {
            fprintf(f, "<attvalue for=\"amount\" value=\"%s\"/><attvalue for=\"amount_label\" value=\"", n->amount);
            put_escaped(f, n->amount_label, g->kind), fputs("\"/>", f);
        }
        fputs("</attvalues></node>\n", f);
    } else if (g->kind == CLI_GRAPH_DOT) {
        const char *shape = !strcmp(n->type, "source") ? "doublecircle" : !strcmp(n->type, "tx") ? "box" : "ellipse";
        fputs("  \"", f), put_escaped(f, n->id, g->kind), fprintf(f, "\" [shape=%s,label=\"", shape);
        put_escaped(f, n->label, g->kind);
        fprintf(f, "\\n%s", n->status);
        if (n->amount_label && n->amount_label[0]) fputs(", ", f), put_escaped(f, n->amount_label, g->kind);
        if (iso[0]) fprintf(f, "\\n%.10s %.8s", iso, iso + 11);
        fprintf(f, "\",status=\"%s\",time=\"%s\"];\n", n->status, iso);
    } else {
        fputs(g->n_nodes ? ",{\"id\":\"" : "{\"id\":\"", f), put_escaped(f, n->id, g->kind);
        fprintf(f, "\",\"type\":\"%s\",\"label\":\"", n->type), put_escaped(f, n->label, g->kind);
        fprintf(f, "\",\"status\":\"%s\",\"time\":", n->status);
        if (n->time) fprintf(f, "%" PRIu64, n->time);
        else fputs("null", f);
        if (n->amount && n->amount[0]) {
            fputs(",\"amount\":", f), json_amount(f, n->amount), fputs(",\"amount_label\":\"", f);
            put_escaped(f, n->amount_label, g->kind), fputc('"', f);
        }
        fputc('}', f);
    }
    g->n_nodes++;
}

void cli_graph_edge(cli_graph *g, const cli_graph_edge_info *x)
{
    char iso[32];
    FILE *f = g->f;
    if (!g->in_edges) {
        if (g->kind == CLI_GRAPH_GEXF) fputs("</nodes>\n<edges>\n", f);
        else if (g->kind == CLI_GRAPH_JSON) fputs("],\"edges\":[", f);
        g->in_edges = true;
    }
    iso_time(iso, x->time);
    if (g->kind == CLI_GRAPH_GEXF) {
        fprintf(f, "<edge id=\"%" PRIu64 "\" source=\"", g->n_edges), put_escaped(f, x->from, g->kind);
        fputs("\" target=\"", f), put_escaped(f, x->to, g->kind);
        fprintf(f, "\" weight=\"%s\" label=\"", x->weight), put_escaped(f, x->amount_label, g->kind);
        fprintf(f, "\"><attvalues><attvalue for=\"amount\" value=\"%s\"/><attvalue for=\"amount_label\" value=\"", x->amount);
        put_escaped(f, x->amount_label, g->kind);
        fprintf(f, "\"/><attvalue for=\"status\" value=\"%s\"/>", x->status);
        if (iso[0]) fprintf(f, "<attvalue for=\"time\" value=\"%s\"/>", iso);
        if (x->tx && x->tx[0]) fprintf(f, "<attvalue for=\"tx\" value=\"%s\"/>", x->tx);
        fputs("</attvalues></edge>\n", f);
    } else if (g->kind == CLI_GRAPH_DOT) {
        fputs("  \"", f), put_escaped(f, x->from, g->kind), fputs("\" -> \"", f), put_escaped(f, x->to, g->kind);
        fputs("\" [label=\"", f), put_escaped(f, x->amount_label, g->kind);
        if (iso[0]) fprintf(f, "\\n%.10s %.8s", iso, iso + 11);
        fprintf(f, "\",amount=\"%s\",status=\"%s\",time=\"%s\",tx=\"%s\"];\n", x->amount, x->status, iso, x->tx ? x->tx : "");
    } else {
        fputs(g->n_edges ? ",{\"source\":\"" : "{\"source\":\"", f), put_escaped(f, x->from, g->kind);
        fputs("\",\"target\":\"", f), put_escaped(f, x->to, g->kind);
        fputs("\",\"amount\":", f), json_amount(f, x->amount), fputs(",\"label\":\"", f);
        put_escaped(f, x->amount_label, g->kind);
        fprintf(f, "\",\"status\":\"%s\",\"time\":", x->status);
        if (x->time) fprintf(f, "%" PRIu64, x->time);
        else fputs("null", f);
        if (x->tx && x->tx[0]) fprintf(f, ",\"tx\":\"%s\"", x->tx);
        if (x->vout >= 0) fprintf(f, ",\"vout\":%lld", (long long)x->vout);
        fputc('}', f);
    }
    g->n_edges++;
}

int cli_graph_close(cli_graph *g, sl_error *e)
{
    if (!g->in_edges) {
        if (g->kind == CLI_GRAPH_GEXF) fputs("</nodes>\n<edges>\n", g->f);
        else if (g->kind == CLI_GRAPH_JSON) fputs("],\"edges\":[", g->f);
    }
    if (g->kind == CLI_GRAPH_GEXF) fputs("</edges>\n</graph>\n</gexf>\n", g->f);
    else if (g->kind == CLI_GRAPH_DOT) fputs("}\n", g->f);
    else fputs("]}\n", g->f);
    if (fclose(g->f) != 0) return sl_err(e, SL_EIO, "%s: write failed", g->path);
    return SL_OK;
}
