/* incident_html.c — the incident report as one self-contained HTML file: inline CSS, SVG
 * charts drawn here (per asset, a timeline of the amounts of each stage by day as stacked
 * bars, and a flow of the amounts from stage to stage as columns joined by bands, a small
 * Sankey), and the tables of the text report. It makes no network request: no script, no
 * link, no image, no URL in any attribute, and a Content-Security-Policy that forbids
 * loading anything; the record's source URLs appear as escaped text only. Every string
 * that comes from the record, the tags or the store is HTML-escaped (tag files are user
 * input). Each amount cell carries data-k="stage:STAGE:CHAIN:SYMBOL" (and similar keys
 * for loot, days, ends) so a reader of the DOM can match it to the JSON document. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "sleuth/incident.h"
#include "sleuth/report.h"
#include "sleuth/version.h"

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* control characters have no business in a page: shown as U+FFFD */
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') fputs("&#xfffd;", f);
            else fputc(*s, f);
        }
    }
}

/* <tag>escaped text</tag> */
static void el(FILE *f, const char *tag, const char *text)
{
    fprintf(f, "<%s>", tag);
    esc(f, text);
    fprintf(f, "</%s>", tag);
}

static const char *const STAGE_COLOR[SL_STAGE_COUNT] = {"#b2182b", "#ef8a62", "#4393c3", "#762a83", "#8c8c8c", "#1b7837"};

static void day_text(char out[16], uint64_t day)
{
    struct tm tm;
    time_t tt = (time_t)day;
    if (!day || day > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
        snprintf(out, 16, "unknown");
}

/* An amount cell: <td class="n" data-k="KIND:STAGE:CHAIN:SYMBOL">text</td> */
static void amt_td(FILE *f, const sl_incident_report *rep, const char *kind, const char *mid, const sl_incident_amt *a)
{
    char t[160];
    const sl_incident_asset *as = &rep->assets[a->asset];
    sl_incident_amt_str(rep, a, t, sizeof t, true);
    fputs("<td class=\"n\" data-k=\"", f);
    esc(f, kind), fputc(':', f), esc(f, mid), fputc(':', f), esc(f, as->chain_name), fputc(':', f);
    esc(f, as->info.symbol);
    fputs("\">", f);
    esc(f, t);
    fputs("</td>", f);
}

static void css(FILE *f)
{
    fputs("<style>\n"
          "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222;padding:0 1em}\n"
          "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:2em}\n"
          "table{border-collapse:collapse;margin:.5em 0;max-width:100%}td,th{border:1px solid #ddd;padding:2px 8px;"
          "vertical-align:top;text-align:left;overflow-wrap:break-word}\n"
          "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
          "code,.a{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}\n"
          "dl{display:grid;grid-template-columns:10em 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0}\n"
          ".note{color:#666}.warn{color:#a00;font-weight:600}svg{border:1px solid #eee;margin:.5em 0;max-width:100%;height:auto}\n"
          "</style>\n",
          f);
}

static void record(FILE *f, const sl_incident_report *rep)
{
    const sl_incident *in = rep->inc;
    fputs("<h1>Incident report: ", f);
    esc(f, in->name ? in->name : in->id);
    fputs(" <span class=\"note\">(", f);
    esc(f, in->id);
    fputs(")</span></h1>\n<dl>\n", f);
#define ROW(k, v)                                                                                                  \
    if (v) {                                                                                                       \
        el(f, "dt", k), el(f, "dd", v);                                                                            \
        fputc('\n', f);                                                                                            \
    }
    ROW("date", in->date);
    ROW("victim", in->victim);
    for (size_t i = 0; i < in->nstolen; i++) {
        char l[400];
        snprintf(l, sizeof l, "%s %s%s%s%s", in->stolen[i].amount ? in->stolen[i].amount : "-",
                 in->stolen[i].asset ? in->stolen[i].asset : "", in->stolen[i].usd ? " (" : "",
                 in->stolen[i].usd ? in->stolen[i].usd : "", in->stolen[i].usd ? " USD)" : "");
        el(f, "dt", i ? "" : "loss"), el(f, "dd", l);
    }
    ROW("route in", in->route_in);
    ROW("method", in->method);
    ROW("laundering", in->laundering);
    ROW("aftermath", in->aftermath);
    if (in->attr_actor || in->attr_by) {
        char l[1200];
        snprintf(l, sizeof l, "%s, by %s on %s, confidence %s; %s", in->attr_actor ? in->attr_actor : "-",
                 in->attr_by ? in->attr_by : "-", in->attr_date ? in->attr_date : "-",
                 in->attr_confidence ? in->attr_confidence : "-", in->attr_source ? in->attr_source : "-");
        el(f, "dt", "attribution"), el(f, "dd", l);
    }
    ROW("sources", in->sources);
    ROW("record from", rep->from);
#undef ROW
    fputs("</dl>\n", f);
}

static void chains(FILE *f, const sl_incident_report *rep)
{
    char a[32], b[32];
    fputs("<h2>Chains and the store's data range</h2>\n<table><tr><th>chain</th><th>in the store as</th>"
          "<th>state</th><th>blocks</th><th>first block time</th><th>last block time</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->n_chains; i++) {
        const sl_incident_chain *c = &rep->chains[i];
        const char *st = c->state == SL_INC_CHAIN_TRACED      ? "traced"
                         : c->state == SL_INC_CHAIN_REACHED   ? "reached by the trace through a crossing"
                         : c->state == SL_INC_CHAIN_NO_SOURCE ? "in the store, none of the incident's txs or addresses"
                         : c->state == SL_INC_CHAIN_UNKNOWN   ? "not a chain sleuth ingests"
                                                              : "not in the store";
        sl_fmt_time(a, c->time_min), sl_fmt_time(b, c->time_max);
        fputs("<tr>", f);
        el(f, "td", c->name), el(f, "td", c->network[0] ? c->network : "-"), el(f, "td", st);
        fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", c->blocks);
        el(f, "td", c->times ? a : "-"), el(f, "td", c->times ? b : "-");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* Per asset: the timeline of stage amounts by day (stacked bars on a day axis). */
static void chart_timeline(FILE *f, const sl_incident_report *rep, size_t asset)
{
    uint64_t d0 = 0, d1 = 0;
    double max = 0;
    sl_u128 maxv = 0; /* the tallest day exactly, for its label */
    size_t i = 0;
    const double X = 70, WD = 800, Y = 28, HT = 162;
    char t[160], a[16], b[16];
    for (i = 0; i < rep->n_days; i++) {
        const sl_incident_day *x = &rep->days[i];
        if (x->amt.asset != asset || !x->day) continue;
        if (!d0 || x->day < d0) d0 = x->day;
        if (x->day > d1) d1 = x->day;
    }
    if (!d0) return;
    /* the tallest day */
    for (i = 0; i < rep->n_days;) {
        uint64_t day = rep->days[i].day;
        sl_u128 sum = 0;
        for (; i < rep->n_days && rep->days[i].day == day; i++)
            if (rep->days[i].amt.asset == asset) sum += rep->days[i].amt.amount;
        if (day && sum > maxv) maxv = sum, max = (double)sum;
    }
    if (max <= 0) return;
    uint64_t nd = (d1 - d0) / 86400 + 1;
    double bw = WD / (double)nd;
    if (bw > 60) bw = 60; /* a few days: bars, not a wall */
    fprintf(f, "<svg role=\"img\" width=\"900\" height=\"240\" viewBox=\"0 0 900 240\">\n");
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\"/>\n", X, Y + HT, X + WD, Y + HT);
    for (i = 0; i < rep->n_days;) {
        uint64_t day = rep->days[i].day;
        double y = Y + HT;
        for (; i < rep->n_days && rep->days[i].day == day; i++) {
            const sl_incident_day *x = &rep->days[i];
            if (x->amt.asset != asset || !day) continue;
            double h = (double)x->amt.amount / max * HT;
            if (h < 1) h = 1;
            y -= h;
            sl_incident_amt_str(rep, &x->amt, t, sizeof t, true);
            day_text(a, day);
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>", X + (double)((day - d0) / 86400) * bw,
                    y, bw > 2 ? bw - 1 : bw, h, STAGE_COLOR[x->stage]);
            esc(f, a), fputc(' ', f), esc(f, sl_stage_name(x->stage)), fputc(' ', f), esc(f, t);
            fputs("</title></rect>\n", f);
        }
    }
    day_text(a, d0), day_text(b, d1);
    sl_incident_amt_str(rep, &(sl_incident_amt){asset, maxv}, t, sizeof t, true);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">", X, Y + HT + 15), esc(f, a), fputs("</text>\n", f);
    if (d1 != d0) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">",
                X + (double)((d1 - d0) / 86400 + 1) * bw, Y + HT + 15);
        esc(f, b), fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"4\" y=\"14\" font-size=\"11\">tallest day: "), esc(f, t), fputs("</text>\n", f);
    for (int s = 0; s < SL_STAGE_COUNT; s++) {
        fprintf(f, "<rect x=\"%d\" y=\"222\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"231\" "
                   "font-size=\"11\">%s</text>\n", 70 + s * 130, STAGE_COLOR[s], 84 + s * 130, sl_stage_name((sl_stage)s));
    }
    fputs("</svg>\n", f);
}

/* Per asset: the amounts stage after stage, as columns joined by bands. */
static void chart_flow(FILE *f, const sl_incident_report *rep, size_t asset)
{
    double v[SL_STAGE_COUNT] = {0}, max = 0;
    const double X = 40, STEP = 150, CW = 26, Y = 20, HT = 170;
    char t[160];
    for (size_t i = 0; i < rep->n_stages; i++)
        if (rep->stages[i].amt.asset == asset) v[rep->stages[i].stage] = (double)rep->stages[i].amt.amount;
    for (int s = 0; s < SL_STAGE_COUNT; s++)
        if (v[s] > max) max = v[s];
    if (max <= 0) return;
    fprintf(f, "<svg role=\"img\" width=\"900\" height=\"240\" viewBox=\"0 0 900 240\">\n");
    for (int s = 0, prev = -1; s < SL_STAGE_COUNT; s++) {
        if (v[s] <= 0) continue;
        double h = v[s] / max * HT, x = X + s * STEP;
        if (h < 1) h = 1;
        if (prev >= 0) {
            double hp = v[prev] / max * HT, xp = X + prev * STEP + CW;
            if (hp < 1) hp = 1;
            fprintf(f, "<path d=\"M%.2f %.2f L%.2f %.2f L%.2f %.2f L%.2f %.2f Z\" fill=\"%s\" fill-opacity=\"0.25\"/>\n",
                    xp, Y, x, Y, x, Y + h, xp, Y + hp, STAGE_COLOR[s]);
        }
        for (size_t i = 0; i < rep->n_stages; i++)
            if (rep->stages[i].amt.asset == asset && (int)rep->stages[i].stage == s)
                sl_incident_amt_str(rep, &rep->stages[i].amt, t, sizeof t, true);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.0f\" height=\"%.2f\" fill=\"%s\"><title>", x, Y, CW, h, STAGE_COLOR[s]);
        esc(f, sl_stage_name((sl_stage)s)), fputc(' ', f), esc(f, t);
        fputs("</title></rect>\n", f);
        fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"11\">", x, Y + HT + 18), esc(f, sl_stage_name((sl_stage)s));
        fputs("</text>\n", f);
        fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"10\">", x, Y + HT + 32), esc(f, t), fputs("</text>\n", f);
        prev = s;
    }
    fputs("</svg>\n", f);
}

static void stages(FILE *f, const sl_incident_report *rep)
{
    char d1[16], d2[16];
    fputs("<h2>Laundering timeline by stage</h2>\n<p class=\"note\">The sum of the findings' amounts per stage and "
          "asset (one coin may pass several stages; no price converts one asset into another).</p>\n"
          "<table><tr><th>stage</th><th>chain</th><th>amount</th><th>findings</th><th>first</th><th>last</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->n_stages; i++) {
        const sl_incident_stage *x = &rep->stages[i];
        fputs("<tr>", f);
        el(f, "td", sl_stage_name(x->stage)), el(f, "td", rep->assets[x->amt.asset].chain_name);
        amt_td(f, rep, "stage", sl_stage_name(x->stage), &x->amt);
        fprintf(f, "<td class=\"n\">%zu</td>", x->findings);
        day_text(d1, x->time_first ? x->time_first - x->time_first % 86400 : 0);
        day_text(d2, x->time_last ? x->time_last - x->time_last % 86400 : 0);
        el(f, "td", d1), el(f, "td", d2);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    for (size_t a = 0; a < rep->n_assets; a++) {
        bool any = false;
        for (size_t i = 0; i < rep->n_stages; i++) any |= rep->stages[i].amt.asset == a && rep->stages[i].amt.amount;
        if (!any) continue;
        fputs("<h3>", f), esc(f, rep->assets[a].info.symbol), fputs(" on ", f), esc(f, rep->assets[a].chain_name);
        fputs("</h3>\n", f);
        chart_timeline(f, rep, a);
        chart_flow(f, rep, a);
    }
    fputs("<h2>By day</h2>\n<table><tr><th>day</th><th>stage</th><th>chain</th><th>amount</th></tr>\n", f);
    for (size_t i = 0; i < rep->n_days; i++) {
        const sl_incident_day *x = &rep->days[i];
        char k[48];
        day_text(d1, x->day);
        snprintf(k, sizeof k, "%s:%s", d1, sl_stage_name(x->stage));
        fputs("<tr>", f);
        el(f, "td", d1), el(f, "td", sl_stage_name(x->stage)), el(f, "td", rep->assets[x->amt.asset].chain_name);
        amt_td(f, rep, "day", k, &x->amt);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void ends(FILE *f, const sl_incident_report *rep, bool held)
{
    char t[32];
    fputs(held ? "<h2>Still held</h2>\n<table><tr><th>chain</th><th>address</th><th>amount</th><th>since</th>"
                 "<th>tag</th></tr>\n"
               : "<h2>Endpoints</h2>\n<table><tr><th>chain</th><th>address</th><th>amount</th><th>why it stopped</th>"
                 "<th>tag</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->n_ends; i++) {
        const sl_incident_end *x = &rep->ends[i];
        if ((x->reason == SL_END_HELD) != held) continue;
        sl_fmt_time(t, x->time);
        fputs("<tr>", f);
        el(f, "td", rep->assets[x->amt.asset].chain_name);
        fputs("<td class=\"a\">", f), esc(f, x->name), fputs("</td>", f);
        amt_td(f, rep, held ? "held" : "end", x->name, &x->amt);
        el(f, "td", held ? t : sl_end_reason_name((sl_end_reason)x->reason));
        fputs("<td>", f);
        esc(f, x->tag);
        if (x->category[0]) fputs(" (", f), esc(f, x->category), fputs(")", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void findings(FILE *f, const sl_incident_report *rep)
{
    char t[32];
    fprintf(f, "<h2>Findings (%zu)</h2>\n<table><tr><th>stage</th><th>kind</th><th>amount</th><th>confidence</th>"
               "<th>time</th><th>rule and evidence</th><th>addresses</th></tr>\n", rep->n_findings);
    for (size_t i = 0; i < rep->n_findings; i++) {
        const sl_incident_finding *x = &rep->findings[i];
        char k[32];
        snprintf(k, sizeof k, "%zu", i);
        sl_fmt_time(t, x->f->time_first);
        fputs("<tr>", f);
        el(f, "td", sl_stage_name(x->f->stage)), el(f, "td", sl_det_kind_name(x->f->kind));
        if (x->valued) amt_td(f, rep, "finding", k, &x->amt);
        else fputs("<td class=\"n\">-</td>", f);
        fprintf(f, "<td class=\"n\">%.2f</td>", x->f->confidence);
        el(f, "td", t);
        fputs("<td>", f), esc(f, x->f->rule), fputs("<br><span class=\"note\">", f), esc(f, x->f->evidence);
        fputs("</span></td><td class=\"a\">", f);
        for (size_t a = 0; a < x->f->n_addrs && a < SL_INC_NAMES; a++) esc(f, x->addrs[a]), fputs("<br>", f);
        if (x->f->n_addrs > SL_INC_NAMES) fprintf(f, "(%zu in all)", x->f->n_addrs);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void suspects(FILE *f, const sl_incident_report *rep)
{
    fprintf(f, "<h2>Suspects (%zu)</h2>\n<table><tr><th>chain</th><th>address</th><th>confidence</th><th>received</th>"
               "<th>reason</th><th>tag</th></tr>\n", rep->n_suspects);
    for (size_t i = 0; i < rep->n_suspects; i++) {
        const sl_incident_suspect *x = &rep->suspects[i];
        fputs("<tr>", f);
        el(f, "td", rep->assets[x->amt.asset].chain_name);
        fputs("<td class=\"a\">", f), esc(f, x->name), fputs("</td>", f);
        fprintf(f, "<td class=\"n\">%.2f</td>", x->s->confidence);
        amt_td(f, rep, "suspect", x->name, &x->amt);
        el(f, "td", x->s->reason), el(f, "td", x->tag);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

int sl_incident_report_html(FILE *f, const sl_incident_report *rep)
{
    const sl_detect_params *p = &rep->params;
    char t[32];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<title>",
          f);
    esc(f, "sleuth incident report: "), esc(f, rep->inc->id);
    fputs("</title>\n", f);
    css(f);
    fputs("</head><body>\n", f);
    record(f, rep);
    chains(f, rep);
    if (!rep->traced) {
        fputs("<h2>Not traced</h2>\n<p class=\"warn\">", f), esc(f, rep->why_not), fputs("</p>\n", f);
    } else {
        fputs("<h2>Traced</h2>\n<p>From ", f), esc(f, rep->label), fputs("</p>\n<table><tr><th>loot</th></tr>\n", f);
        for (size_t i = 0; i < rep->n_loot; i++) {
            fputs("<tr>", f);
            amt_td(f, rep, "loot", "theft", &rep->loot[i]);
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
        stages(f, rep);
        ends(f, rep, false);
        ends(f, rep, true);
        findings(f, rep);
        suspects(f, rep);
    }
    sl_fmt_time(t, rep->result.tip_time);
    fputs("<h2>Reproduce</h2>\n<dl>", f);
    el(f, "dt", "sleuth"), el(f, "dd", SLEUTH_VERSION);
    el(f, "dt", "policy"), el(f, "dd", sl_policy_name(p->policy));
    fprintf(f, "<dt>max hops</dt><dd>%" PRIu32 "</dd><dt>dormant days</dt><dd>%" PRIu32 "</dd><dt>rapid minutes</dt>"
               "<dd>%" PRIu32 "</dd><dt>fan-out min</dt><dd>%" PRIu32 "</dd><dt>suspect min share</dt><dd>%g</dd>",
            p->max_hops, p->dormant_days, p->rapid_minutes, p->fanout_min, p->suspect_min_share);
    el(f, "dt", "as of"), el(f, "dd", rep->traced ? t : "-");
    if (p->extra_links && p->extra_links->path[0]) el(f, "dt", "links"), el(f, "dd", p->extra_links->path);
    fputs("</dl>\n</body></html>\n", f);
    return ferror(f) ? SL_EIO : SL_OK;
}
