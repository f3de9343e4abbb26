// trace/export.js — the trace view's downloads, all made in the page and saved through blob
// URLs (nothing leaves the browser): the graph as PNG (Sigma's layers, graph.js) and as SVG
// (written here from the drawn positions, colours and widths), the shown graph as GEXF 1.3
// with the attributes of docs/TRACE.md "Graph files" (so Gephi reads it like `sleuth trace
// --graph x.gexf`, plus viz positions and colours) and the shown edges as CSV (every model
// edge behind a drawn one, with its note).
import { fmtAmount } from '../util.js';

/** Saves a Blob (or string) as a file. */
export function download(name, data, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = name; a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const xml = (s) => String(s ?? '').replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]))
  // XML 1.0 forbids most control characters even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
const iso = (t) => (t == null ? '' : new Date(t * 1000).toISOString().replace('.000Z', 'Z'));

/**
 * The drawn graph as SVG text. nodes/edges are what graph.js drew ({id, x, y, size, color,
 * ringColor, label} / {source, target, size, color, label}); y grows upwards in graph units.
 */
export function toSVG(nodes, edges, { width = 1600, title = 'sleuth trace' } = {}) {
  if (!nodes.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="100"><title>${xml(title)}</title></svg>`;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const n of nodes) { x0 = Math.min(x0, n.x); x1 = Math.max(x1, n.x); y0 = Math.min(y0, n.y); y1 = Math.max(y1, n.y); }
  const pad = 40, w = Math.max(1e-9, x1 - x0), hgt = Math.max(1e-9, y1 - y0);
  const k = (width - 2 * pad) / Math.max(w, hgt * 1.6);
  const height = Math.round(hgt * k + 2 * pad);
  const X = (x) => (pad + (x - x0) * k).toFixed(1), Y = (y) => (pad + (y1 - y) * k).toFixed(1);
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<title>${xml(title)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fff"/>`, '<g class="edges" fill="none">'];
  for (const e of edges) {
    const a = pos.get(e.source), b = pos.get(e.target);
    if (!a || !b) continue;
    out.push(`<line x1="${X(a.x)}" y1="${Y(a.y)}" x2="${X(b.x)}" y2="${Y(b.y)}" stroke="${xml(e.color)}" stroke-width="${(e.size * 0.6).toFixed(2)}" stroke-opacity="0.8" marker-end="url(#arrow)">`
      + `<title>${xml(e.title || e.label || '')}</title></line>`);
    if (e.label) out.push(`<text x="${((+X(a.x) + +X(b.x)) / 2).toFixed(1)}" y="${((+Y(a.y) + +Y(b.y)) / 2).toFixed(1)}" fill="${xml(e.color)}">${xml(e.label)}</text>`);
  }
  out.push('</g><g class="nodes">');
  for (const n of nodes) {
    const r = Math.max(2, n.size * 0.8);
    out.push(`<circle cx="${X(n.x)}" cy="${Y(n.y)}" r="${r.toFixed(1)}" fill="${xml(n.color)}" stroke="${xml(n.ringColor || n.color)}" stroke-width="${Math.max(1, r * 0.28).toFixed(1)}"><title>${xml(n.title || n.label || n.id)}</title></circle>`);
    if (n.showLabel) out.push(`<text x="${(+X(n.x) + r + 2).toFixed(1)}" y="${(+Y(n.y) + 3).toFixed(1)}">${xml(n.label)}</text>`);
  }
  out.push('</g></svg>');
  return out.join('\n');
}

/**
 * The shown graph as GEXF 1.3 (docs/TRACE.md attributes). nodes: [{id, label, type, chain,
 * status, time, amount, amount_label, x, y, color, size}], edges: [{source, target, chain,
 * asset, amount (BigInt), amount_label, weight (coin units, string), time, status, tx, index,
 * link, label}].
 */
export function toGEXF(nodes, edges) {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">',
    '<meta><creator>sleuth web UI (trace view)</creator><description>traced subgraph as shown: amounts in base units (amount) and in the coin\'s unit (label), times UTC</description></meta>',
    '<graph defaultedgetype="directed" mode="static">',
    '<attributes class="node">',
    '  <attribute id="type" title="type" type="string"/>',
    '  <attribute id="chain" title="chain" type="string"/>',
    '  <attribute id="status" title="status" type="string"/>',
    '  <attribute id="time" title="first arrival (UTC)" type="string"/>',
    '  <attribute id="amount" title="amount (base units)" type="string"/>',
    '  <attribute id="amount_label" title="amount" type="string"/>',
    '</attributes>',
    '<attributes class="edge">',
    '  <attribute id="chain" title="chain" type="string"/>',
    '  <attribute id="asset" title="asset" type="string"/>',
    '  <attribute id="amount" title="amount (base units)" type="string"/>',
    '  <attribute id="amount_label" title="amount" type="string"/>',
    '  <attribute id="time" title="time (UTC)" type="string"/>',
    '  <attribute id="status" title="status of the target" type="string"/>',
    '  <attribute id="tx" title="transaction" type="string"/>',
    '  <attribute id="index" title="output or flow number" type="string"/>',
    '  <attribute id="link" title="declared link (analyst\'s assertion)" type="string"/>',
    '</attributes>', '<nodes>'];
  const rgb = (c) => { const m = /^#?([0-9a-f]{6})$/i.exec(c || ''); const v = m ? parseInt(m[1], 16) : 0x999999; return `r="${v >> 16}" g="${(v >> 8) & 255}" b="${v & 255}"`; };
  for (const n of nodes) {
    let a = `<attvalue for="type" value="${xml(n.type)}"/><attvalue for="chain" value="${xml(n.chain)}"/><attvalue for="status" value="${xml(n.status)}"/>`;
    if (n.time != null) a += `<attvalue for="time" value="${iso(n.time)}"/>`;
    if (n.amount != null) a += `<attvalue for="amount" value="${xml(n.amount)}"/><attvalue for="amount_label" value="${xml(n.amount_label)}"/>`;
    out.push(`<node id="${xml(n.id)}" label="${xml(n.label)}"><attvalues>${a}</attvalues>`
      + `<viz:color ${rgb(n.color)}/><viz:position x="${(+n.x || 0).toFixed(3)}" y="${(+n.y || 0).toFixed(3)}" z="0"/><viz:size value="${(+n.size || 1).toFixed(2)}"/></node>`);
  }
  out.push('</nodes>', '<edges>');
  edges.forEach((e, i) => {
    let a = `<attvalue for="chain" value="${xml(e.chain)}"/><attvalue for="asset" value="${xml(e.asset)}"/><attvalue for="amount" value="${String(e.amount)}"/>`
      + `<attvalue for="amount_label" value="${xml(e.amount_label)}"/><attvalue for="status" value="${xml(e.status)}"/>`;
    if (e.time != null) a += `<attvalue for="time" value="${iso(e.time)}"/>`;
    if (e.tx) a += `<attvalue for="tx" value="${xml(e.tx)}"/>`;
    if (e.index != null) a += `<attvalue for="index" value="${e.index}"/>`;
    if (e.link) a += `<attvalue for="link" value="${xml(e.link)}"/>`;
    out.push(`<edge id="${i}" source="${xml(e.source)}" target="${xml(e.target)}" weight="${e.weight}" label="${xml(e.amount_label)}"><attvalues>${a}</attvalues></edge>`);
  });
  out.push('</edges>', '</graph>', '</gexf>');
  return out.join('\n');
}

// A cell a spreadsheet would run as a formula (a note or a tag starting with = + @) gets a
// leading apostrophe; cells with commas, quotes or line breaks are quoted.
const csvCell = (v) => {
  let s = v == null ? '' : String(v);
  if (/^[=+@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Edges as CSV: one row per model edge, with the drawn edge it belongs to and its note. */
export function toCSV(rows) {
  const cols = ['source', 'target', 'chain', 'asset', 'amount', 'amount_label', 'time', 'time_utc', 'status', 'tx', 'index', 'crossing', 'link', 'note'];
  const out = [cols.join(',')];
  for (const r of rows) out.push(cols.map((c) => csvCell(c === 'time_utc' ? iso(r.time) : r[c])).join(','));
  return out.join('\r\n') + '\r\n';
}

/** A model edge's exact label in its coin's unit and the same number for GEXF weights. */
export function edgeAmountLabel(model, e) {
  const d = model.decimalsOf(e.asset, e.chain);
  return { amount_label: `${fmtAmount(e.amount, d, { group: false })} ${e.asset}`, weight: fmtAmount(e.amount, d, { group: false }) };
}
