// trace/sankey.js — where the traced amount went, hop by hop (d3-sankey, SVG): the source, one
// column per hop carrying the amount that entered it (result.hops), and from each hop what
// ended there by endpoint category or status (exchange, mixer, held, max-hops…), what crossed
// to another chain and the fees — all in the source asset. Hovering a band shows its exact
// amount (an SVG <title>); the hop and category boxes carry `data-units`.
import { select } from 'd3-selection';
import { sankey, sankeyLinkHorizontal, sankeyRight } from 'd3-sankey';
import { fmtAmount, categoryColor, h } from '../util.js';
import { sankeyData } from './model.js';

const KIND_COLORS = { source: '#111827', hop: '#64748b' };
function colorOf(n) {
  if (n.kind !== 'category') return KIND_COLORS[n.kind];
  if (n.name.startsWith('crossed')) return '#d6007a';
  if (n.name === 'fees') return '#a3a3a3';
  if (n.name === 'max-hops' || n.name === 'truncated') return '#9aa3ad';
  return categoryColor(n.name);
}

/** Draws the Sankey of the model's main trace into `host` (replacing what was there). */
export function drawSankey(host, model, { width = 1100, height = 520 } = {}) {
  height = Math.max(360, height);
  const data = sankeyData(model);
  host.replaceChildren();
  if (data.links.length === 0) {
    host.append(h('p.notice', { 'data-testid': 'sankey-empty' }, 'Nothing moved in the source asset: there is no flow to draw.'));
    return;
  }
  const fmt = (u) => `${fmtAmount(u, data.decimals)} ${data.asset}`;
  const idx = new Map(data.nodes.map((n, i) => [n.id, i]));
  const layout = sankey().nodeId((d) => d.id).nodeAlign(sankeyRight).nodeWidth(14).nodePadding(14)
    .nodeSort(null).extent([[8, 40], [width - 260, height - 8]]);
  const g = layout({
    nodes: data.nodes.map((n) => ({ ...n })),
    links: data.links.filter((l) => idx.has(l.source) && idx.has(l.target)).map((l) => ({ ...l })),
  });
  const svg = select(host).append('svg').attr('data-testid', 'sankey').attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', `Where the ${data.asset} went, by hop and by category`);
  svg.append('text').attr('x', 8).attr('y', 14).attr('class', 'sk-caption')
    .text(`Amount in ${data.asset} by hop; right: where it ended. Hover a band for its exact amount.`);
  svg.append('g').attr('fill', 'none').selectAll('path').data(g.links).join('path')
    .attr('d', sankeyLinkHorizontal())
    .attr('stroke', (d) => (d.target.kind === 'category' ? colorOf(d.target) : '#94a3b8'))
    .attr('stroke-opacity', 0.45)
    .attr('stroke-width', (d) => Math.max(1, d.width))
    .attr('data-units', (d) => String(d.units))
    .attr('class', 'sk-link')
    .append('title').text((d) => `${d.source.name} → ${d.target.name}: ${fmt(d.units)}`);
  const node = svg.append('g').selectAll('g').data(g.nodes).join('g').attr('class', 'sk-node');
  node.append('rect').attr('x', (d) => d.x0).attr('y', (d) => d.y0).attr('width', (d) => d.x1 - d.x0)
    .attr('height', (d) => Math.max(1, d.y1 - d.y0)).attr('fill', colorOf)
    .attr('data-units', (d) => String(nodeUnits(d)))
    .attr('data-name', (d) => d.name)
    .append('title').text((d) => `${d.name}: ${fmt(nodeUnits(d))}`);
  node.append('text')
    .attr('x', (d) => (d.kind === 'category' ? d.x1 + 6 : d.kind === 'source' ? d.x0 : d.x0 + (d.x1 - d.x0) / 2))
    .attr('y', (d) => (d.kind === 'category' ? (d.y0 + d.y1) / 2 : d.y0 - 4))
    .attr('dy', (d) => (d.kind === 'category' ? '0.35em' : 0))
    .attr('text-anchor', (d) => (d.kind === 'category' || d.kind === 'source' ? 'start' : 'middle'))
    .attr('class', 'sk-label')
    .text((d) => (d.kind === 'category' ? `${d.name} ${fmtAmount(nodeUnits(d), data.decimals)}` : d.name));
}

// A node's exact amount: what left it, or for a sink what entered it.
function nodeUnits(d) {
  const sum = (ls) => ls.reduce((a, l) => a + l.units, 0n);
  return d.sourceLinks.length ? sum(d.sourceLinks) : sum(d.targetLinks);
}
