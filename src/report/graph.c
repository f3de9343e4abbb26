/* graph.c — writes a traced subgraph for other tools (`sleuth trace --graph FILE`,
 * report_int.h): JSON (for programs), GEXF 1.3 (Gephi) or DOT (Graphviz). One schema for
 * every chain, the same facts in the three formats: every node with its type, chain,
 * label, status (source, pass-through, held, or endpoint:WHY when the trace stopped
 * there) and first arrival time; every edge with its chain and asset, its exact amount
 * in base units, the amount in the coin's unit ("1.5 BTC", "1000 USDT"), the time of its
 * transaction, the payment (tx and output or flow number), the status of where it leads,
 * and for a declared cross-chain link the analyst's note. docs/JSON.md lists the keys. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report_int.h"

/* ISO 8601 UTC ("2009-01-12T03:30:25Z"), or "" for an unknown time (0). */
static void iso_time(char out[32], uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    out[0] = 0;
    if (t && t <= (uint64_t)INT64_MAX && gmtime_r(&tt, &tm)) strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* s with the characters XML (and a quoted DOT or JSON string) cannot hold as they are
 * escaped. Every value here is an address, hash, number, token symbol or an analyst's
 * note; escaping keeps a file well-formed whatever it holds. */
static void put_escaped(FILE *f, const char *s, int kind)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (kind == SL_GRAPH_GEXF && c == '&') fputs("&amp;", f);
        else if (kind == SL_GRAPH_GEXF && c == '<') fputs("&lt;", f);
        else if (kind == SL_GRAPH_GEXF && c == '>') fputs("&gt;", f);
        else if (kind == SL_GRAPH_GEXF && c == '"') fputs("&quot;", f);
        else if (kind != SL_GRAPH_GEXF && (c == '"' || c == '\\')) fputc('\\', f), fputc(c, f);
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

/* key: "s" or key: null, after a comma. */
static void json_str(FILE *f, const char *key, const char *s)
{
    fprintf(f, ",\"%s\":", key);
    if (!s) { fputs("null", f); return; }
    fputc('"', f), put_escaped(f, s, SL_GRAPH_JSON), fputc('"', f);
}

static void json_num(FILE *f, const char *key, int64_t v)
{
    if (v < 0) fprintf(f, ",\"%s\":null", key);
    else fprintf(f, ",\"%s\":%" PRId64, key, v);
}

int sl_report_graph_format(const char *path)
{
    const char *x = path ? strrchr(path, '.') : NULL;
    if (!x) return 0;
    return !strcmp(x, ".json") ? SL_GRAPH_JSON : !strcmp(x, ".gexf") ? SL_GRAPH_GEXF : !strcmp(x, ".dot") ? SL_GRAPH_DOT : 0;
}

void sl_graph_open(sl_graph *g, FILE *f, int kind)
{
    memset(g, 0, sizeof *g);
    g->f = f, g->kind = kind;
    if (kind == SL_GRAPH_GEXF)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
              "<meta><creator>sleuth trace</creator><description>traced subgraph: amounts in base units (amount) and "
              "in the coin's unit (label), times UTC</description></meta>\n"
              "<graph defaultedgetype=\"directed\" mode=\"static\">\n"
              "<attributes class=\"node\">\n"
              "  <attribute id=\"type\" title=\"type\" type=\"string\"/>\n"
              "  <attribute id=\"chain\" title=\"chain\" type=\"string\"/>\n"
              "  <attribute id=\"status\" title=\"status\" type=\"string\"/>\n"
              "  <attribute id=\"time\" title=\"first arrival (UTC)\" type=\"string\"/>\n"
              "  <attribute id=\"amount\" title=\"amount (base units)\" type=\"string\"/>\n"
              "  <attribute id=\"amount_label\" title=\"amount\" type=\"string\"/>\n"
              "</attributes>\n"
              "<attributes class=\"edge\">\n"
              "  <attribute id=\"chain\" title=\"chain\" type=\"string\"/>\n"
              "  <attribute id=\"asset\" title=\"asset\" type=\"string\"/>\n"
              "  <attribute id=\"amount\" title=\"amount (base units)\" type=\"string\"/>\n"
              "  <attribute id=\"amount_label\" title=\"amount\" type=\"string\"/>\n"
              "  <attribute id=\"time\" title=\"time (UTC)\" type=\"string\"/>\n"
              "  <attribute id=\"status\" title=\"status of the target\" type=\"string\"/>\n"
              "  <attribute id=\"tx\" title=\"transaction\" type=\"string\"/>\n"
              "  <attribute id=\"index\" title=\"output or flow number\" type=\"string\"/>\n"
              "  <attribute id=\"link\" title=\"declared link (analyst's assertion)\" type=\"string\"/>\n"
              "</attributes>\n<nodes>\n", f);
    else if (kind == SL_GRAPH_DOT)
        fputs("digraph trace {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n", f);
    else
        fputs("{\"nodes\":[", f);
}

void sl_graph_node_put(sl_graph *g, const sl_graph_node *n)
{
    char iso[32];
    FILE *f = g->f;
    bool amount = n->amount && n->amount[0];
    iso_time(iso, n->time);
    if (g->kind == SL_GRAPH_GEXF) {
        fputs("<node id=\"", f), put_escaped(f, n->id, g->kind), fputs("\" label=\"", f), put_escaped(f, n->label, g->kind);
        fprintf(f, "\"><attvalues><attvalue for=\"type\" value=\"%s\"/><attvalue for=\"chain\" value=\"%s\"/>"
                   "<attvalue for=\"status\" value=\"%s\"/>", n->type, n->chain, n->status);
        if (iso[0]) fprintf(f, "<attvalue for=\"time\" value=\"%s\"/>", iso);
        if (amount) {
            fprintf(f, "<attvalue for=\"amount\" value=\"%s\"/><attvalue for=\"amount_label\" value=\"", n->amount);
            put_escaped(f, n->amount_label, g->kind), fputs("\"/>", f);
        }
        fputs("</attvalues></node>\n", f);
    } else if (g->kind == SL_GRAPH_DOT) {
        const char *shape = !strcmp(n->status, "source") ? "doublecircle" : !strcmp(n->type, "tx") ? "box" : "ellipse";
        fputs("  \"", f), put_escaped(f, n->id, g->kind), fprintf(f, "\" [shape=%s,label=\"", shape);
        put_escaped(f, n->label, g->kind);
        fprintf(f, "\\n%s", n->status);
        if (amount) fputs(", ", f), put_escaped(f, n->amount_label, g->kind);
        if (iso[0]) fprintf(f, "\\n%.10s %.8s", iso, iso + 11);
        fprintf(f, "\",chain=\"%s\",status=\"%s\",time=\"%s\"];\n", n->chain, n->status, iso);
    } else {
        fputs(g->n_nodes ? ",{\"id\":\"" : "{\"id\":\"", f), put_escaped(f, n->id, g->kind), fputc('"', f);
        json_str(f, "type", n->type);
        json_str(f, "chain", n->chain);
        json_str(f, "label", n->label);
        json_str(f, "status", n->status);
        if (n->time) fprintf(f, ",\"time\":%" PRIu64, n->time);
        else fputs(",\"time\":null", f);
        fputs(",\"amount\":", f);
        if (amount) json_amount(f, n->amount);
        else fputs("null", f);
        json_str(f, "amount_label", amount ? n->amount_label : NULL);
        fputc('}', f);
    }
    g->n_nodes++;
}

void sl_graph_edge_put(sl_graph *g, const sl_graph_edge *x)
{
    char iso[32], idx[24] = "";
    FILE *f = g->f;
    if (!g->in_edges) {
        if (g->kind == SL_GRAPH_GEXF) fputs("</nodes>\n<edges>\n", f);
        else if (g->kind == SL_GRAPH_JSON) fputs("],\"edges\":[", f);
        g->in_edges = true;
    }
    iso_time(iso, x->time);
    if (x->vout >= 0 || x->flow >= 0) snprintf(idx, sizeof idx, "%" PRId64, x->vout >= 0 ? x->vout : x->flow);
    if (g->kind == SL_GRAPH_GEXF) {
        fprintf(f, "<edge id=\"%" PRIu64 "\" source=\"", g->n_edges), put_escaped(f, x->from, g->kind);
        fputs("\" target=\"", f), put_escaped(f, x->to, g->kind);
        fprintf(f, "\" weight=\"%s\" label=\"", x->weight), put_escaped(f, x->amount_label, g->kind);
        fprintf(f, "\"><attvalues><attvalue for=\"chain\" value=\"%s\"/><attvalue for=\"asset\" value=\"", x->chain);
        put_escaped(f, x->asset, g->kind);
        fprintf(f, "\"/><attvalue for=\"amount\" value=\"%s\"/><attvalue for=\"amount_label\" value=\"", x->amount);
        put_escaped(f, x->amount_label, g->kind);
        fprintf(f, "\"/><attvalue for=\"status\" value=\"%s\"/>", x->status);
        if (iso[0]) fprintf(f, "<attvalue for=\"time\" value=\"%s\"/>", iso);
        if (x->tx && x->tx[0]) fprintf(f, "<attvalue for=\"tx\" value=\"%s\"/>", x->tx);
        if (idx[0]) fprintf(f, "<attvalue for=\"index\" value=\"%s\"/>", idx);
        if (x->link) fputs("<attvalue for=\"link\" value=\"", f), put_escaped(f, x->link, g->kind), fputs("\"/>", f);
        fputs("</attvalues></edge>\n", f);
    } else if (g->kind == SL_GRAPH_DOT) {
        fputs("  \"", f), put_escaped(f, x->from, g->kind), fputs("\" -> \"", f), put_escaped(f, x->to, g->kind);
        fputs("\" [label=\"", f), put_escaped(f, x->amount_label, g->kind);
        if (x->link) fputs("\\nlink: ", f), put_escaped(f, x->link, g->kind);
        if (iso[0]) fprintf(f, "\\n%.10s %.8s", iso, iso + 11);
        fprintf(f, "\",%schain=\"%s\",amount=\"%s\",status=\"%s\",time=\"%s\",tx=\"%s\",index=\"%s\"];\n",
                x->link ? "style=dashed," : "", x->chain, x->amount, x->status, iso, x->tx ? x->tx : "", idx);
    } else {
        fputs(g->n_edges ? ",{\"source\":\"" : "{\"source\":\"", f), put_escaped(f, x->from, g->kind);
        fputs("\",\"target\":\"", f), put_escaped(f, x->to, g->kind), fputc('"', f);
        json_str(f, "chain", x->chain);
        json_str(f, "asset", x->asset);
        fputs(",\"amount\":", f), json_amount(f, x->amount);
        json_str(f, "label", x->amount_label);
        json_str(f, "status", x->status);
        if (x->time) fprintf(f, ",\"time\":%" PRIu64, x->time);
        else fputs(",\"time\":null", f);
        json_str(f, "tx", x->tx && x->tx[0] ? x->tx : NULL);
        json_num(f, "vout", x->vout);
        json_num(f, "flow", x->flow);
        json_str(f, "link", x->link);
        fputc('}', f);
    }
    g->n_edges++;
}

void sl_graph_close(sl_graph *g)
{
    if (!g->in_edges) {
        if (g->kind == SL_GRAPH_GEXF) fputs("</nodes>\n<edges>\n", g->f);
        else if (g->kind == SL_GRAPH_JSON) fputs("],\"edges\":[", g->f);
    }
    if (g->kind == SL_GRAPH_GEXF) fputs("</edges>\n</graph>\n</gexf>\n", g->f);
    else if (g->kind == SL_GRAPH_DOT) fputs("}\n", g->f);
    else fputs("]}\n", g->f);
}
