// pages/timeline.js — the incident page's `incident-timeline`: an SVG (d3-scale, d3-axis,
// d3-selection) of an incident report over time. One lane per laundering stage (its span
// from first to last event as a band, each finding as a mark spanning its own times) and one
// lane per held asset: from when the loot arrived to the report's tip, the part idle longer
// than the report's dormancy threshold hatched (data-testid=dormant). Laundering usually
// takes hours and dormancy months, so when the quiet tail is much longer than the active
// part the axis is broken in two: the active window gets two thirds of the width at its own
// scale, the tail the rest (a dashed line marks the break). Every mark has a <title>.
import { scaleTime } from 'd3-scale';
import { axisBottom } from 'd3-axis';
import { select } from 'd3-selection';
import { h, fmtTime } from '../util.js';

const STAGE_COLORS = {
  theft: '#d62728', dispersal: '#ff7f0e', 'swap-bridge': '#bcbd22', mixing: '#9467bd',
  dormancy: '#8c564b', 'cash-out': '#1f77b4', held: '#7f7f7f',
};
const STAGES = ['theft', 'dispersal', 'swap-bridge', 'mixing', 'cash-out', 'dormancy'];
const QUIET = new Set(['dormancy', 'still-dormant']);
const W = 1200; const LEFT = 150; const RIGHT = 16; const LANE = 26; const TOP = 10;

/** A time scale over [t0, t1] on [x0, x1], broken at `split` when given. */
function timeAxis(t0, split, t1, x0, x1) {
  if (split == null) {
    const s = scaleTime().domain([t0 * 1000, t1 * 1000]).range([x0, x1]);
    return { x: (t) => s(t * 1000), parts: [s], breakAt: null };
  }
  const xm = x0 + (x1 - x0) * 0.66;
  const a = scaleTime().domain([t0 * 1000, split * 1000]).range([x0, xm - 6]);
  const b = scaleTime().domain([split * 1000, t1 * 1000]).range([xm + 6, x1]);
  return { x: (t) => (t <= split ? a(t * 1000) : b(t * 1000)), parts: [a, b], breakAt: xm };
}

const addTitle = (sel, text) => sel.append('title').text(text);

/** The timeline of report `r` (sleuth incident report --json) as an element. */
export function timeline(r) {
  const stages = (r.stages || []).filter((s) => s.time_first != null);
  const findings = (r.findings || []).filter((f) => f.time_first != null);
  const held = (r.held || []).filter((x) => x.since != null);
  const tip = r.tip_time || Math.max(0, ...held.map((x) => x.since), ...findings.map((f) => f.time_last || f.time_first));
  const times = [...stages.map((s) => s.time_first), ...findings.map((f) => f.time_first), ...held.map((x) => x.since)];
  if (!times.length) return h('p.notice.info', { 'data-testid': 'incident-timeline' }, 'No dated event to put on a timeline.');
  const t0 = Math.min(...times);
  const active = [
    ...stages.filter((s) => s.stage !== 'dormancy').flatMap((s) => [s.time_first, s.time_last ?? s.time_first]),
    ...findings.filter((f) => !QUIET.has(f.kind)).flatMap((f) => [f.time_first, f.time_last ?? f.time_first]),
  ];
  const tActive = active.length ? Math.max(...active) : t0;
  const pad = Math.max(600, (tActive - t0) * 0.04);
  const t1 = Math.max(tip, tActive + pad, ...times);
  const brk = t1 - tActive > 3 * (tActive - t0 + pad) && t1 - tActive > 2 * 86400 ? tActive + pad : null;
  const { x, parts, breakAt } = timeAxis(t0 - pad * (brk ? 0.5 : 0.02), brk, t1 + (t1 - t0) * 0.01, LEFT, W - RIGHT);

  const lanes = STAGES.filter((s) => stages.some((x2) => x2.stage === s) || findings.some((f) => f.stage === s));
  const assets = [...new Set(held.map((x2) => `${x2.chain} ${x2.asset}`))];
  const height = TOP + (lanes.length + assets.length) * LANE + 34;
  const dormantDays = r.params?.dormant_days || 30;

  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg'))
    .attr('viewBox', `0 0 ${W} ${height}`).attr('role', 'img')
    .attr('aria-label', `Timeline of the incident from ${fmtTime(t0)} to ${fmtTime(t1)}: ${lanes.length} stages, ${findings.length} findings, held funds in ${assets.length} assets`);
  const defs = svg.append('defs');
  defs.append('pattern').attr('id', 'dormant-hatch').attr('width', 6).attr('height', 6)
    .attr('patternUnits', 'userSpaceOnUse').attr('patternTransform', 'rotate(45)')
    .call((p) => { p.append('rect').attr('width', 6).attr('height', 6).attr('fill', '#f3e5df'); p.append('line').attr('y2', 6).attr('stroke', '#8c564b').attr('stroke-width', 2); });

  const laneY = (i) => TOP + i * LANE;
  lanes.forEach((stage, i) => {
    const y = laneY(i);
    const g = svg.append('g').attr('data-lane', stage);
    g.append('text').attr('class', 'lane-label').attr('x', LEFT - 8).attr('y', y + LANE / 2 + 4).attr('text-anchor', 'end').text(stage);
    g.append('line').attr('x1', LEFT).attr('x2', W - RIGHT).attr('y1', y + LANE / 2).attr('y2', y + LANE / 2).attr('stroke', '#e5e9f0');
    for (const s of stages.filter((s2) => s2.stage === stage)) {
      const a = x(s.time_first); const b = Math.max(a + 2, x(s.time_last ?? s.time_first));
      g.append('rect').attr('x', a).attr('y', y + 4).attr('width', b - a).attr('height', LANE - 8).attr('rx', 3)
        .attr('fill', STAGE_COLORS[stage] || '#999').attr('opacity', 0.18)
        .call(addTitle, `${stage}: ${s.text} (${s.chain}), ${fmtTime(s.time_first)} – ${fmtTime(s.time_last)}, ${s.findings} findings`);
    }
    if (!findings.some((f2) => f2.stage === stage)) {   // a stage without findings (the theft): its moment marked
      for (const s of stages.filter((s2) => s2.stage === stage)) {
        g.append('circle').attr('cx', x(s.time_first)).attr('cy', y + LANE / 2).attr('r', 5).attr('fill', STAGE_COLORS[stage] || '#999')
          .call(addTitle, `${stage}: ${s.text} (${s.chain}) at ${fmtTime(s.time_first)}`);
      }
    }
    for (const f of findings.filter((f2) => f2.stage === stage)) {
      const a = x(f.time_first); const b = x(f.time_last ?? f.time_first);
      const mark = b - a > 4
        ? g.append('rect').attr('x', a).attr('y', y + 9).attr('width', b - a).attr('height', LANE - 18).attr('rx', 2)
        : g.append('circle').attr('cx', a).attr('cy', y + LANE / 2).attr('r', 4);
      mark.attr('fill', STAGE_COLORS[stage] || '#999').attr('fill-opacity', 0.35 + 0.6 * (f.confidence || 0)).attr('stroke', '#fff').attr('stroke-width', 0.5)
        .attr('data-kind', f.kind)
        .call(addTitle, `${f.kind} (confidence ${f.confidence}) ${f.amount ? f.amount.text : ''}\n${fmtTime(f.time_first)}${f.time_last !== f.time_first ? ` – ${fmtTime(f.time_last)}` : ''}\n${f.evidence}`);
    }
  });

  assets.forEach((key, j) => {
    const y = laneY(lanes.length + j);
    const list = held.filter((x2) => `${x2.chain} ${x2.asset}` === key);
    const [chain, asset] = key.split(' ');
    const g = svg.append('g').attr('data-lane', `held ${key}`);
    g.append('text').attr('class', 'lane-label').attr('x', LEFT - 8).attr('y', y + LANE / 2 + 4).attr('text-anchor', 'end').text(`held ${asset} · ${chain}`);
    const first = Math.min(...list.map((x2) => x2.since));
    const dormantFrom = first + dormantDays * 86400;
    const total = list.reduce((s, x2) => s + BigInt(x2.amount), 0n);
    g.append('rect').attr('x', x(first)).attr('y', y + 6).attr('width', Math.max(2, x(Math.min(dormantFrom, tip)) - x(first))).attr('height', LANE - 12)
      .attr('fill', STAGE_COLORS.held).attr('opacity', 0.35)
      .call(addTitle, `${list.length} addresses still hold ${asset}; the first since ${fmtTime(first)}`);
    if (tip > dormantFrom) {
      g.append('rect').attr('class', 'dormant').attr('data-testid', 'dormant').attr('x', x(dormantFrom)).attr('y', y + 6)
        .attr('width', Math.max(2, x(tip) - x(dormantFrom))).attr('height', LANE - 12)
        .call(addTitle, `dormant: untouched more than ${dormantDays} days, up to the tip ${fmtTime(tip)}`);
    }
    const big = list.map((x2) => Number(BigInt(x2.amount) * 1000n / (total || 1n)) / 1000);
    list.forEach((x2, k) => {
      g.append('circle').attr('cx', x(x2.since)).attr('cy', y + LANE / 2).attr('r', 2 + 6 * Math.sqrt(big[k]))
        .attr('fill', '#444').attr('fill-opacity', 0.5)
        .call(addTitle, `${x2.text} at ${x2.address}, held since ${fmtTime(x2.since)}`);
    });
  });

  const axisY = TOP + (lanes.length + assets.length) * LANE + 4;
  parts.forEach((s, k) => {
    svg.append('g').attr('transform', `translate(0,${axisY})`)
      .call(axisBottom(s).ticks(k === 0 ? (breakAt ? 7 : 10) : 4).tickSizeOuter(0));
  });
  if (breakAt) {
    svg.append('line').attr('class', 'break').attr('x1', breakAt).attr('x2', breakAt).attr('y1', TOP).attr('y2', axisY + 20)
      .call(addTitle, 'The time axis changes scale here: the active laundering on the left, the quiet months after it on the right');
  }
  const legend = h('div.legend', [...lanes, 'held'].map((s) => h('span', h('i', { style: { background: STAGE_COLORS[s] } }), s)),
    h('span', h('i', { style: { background: 'repeating-linear-gradient(45deg,#8c564b 0 2px,#f3e5df 2px 5px)' } }), `dormant (> ${dormantDays} days)`),
    breakAt ? h('span', '┆ the axis changes scale at the dashed line') : null);
  return h('div.timeline', { 'data-testid': 'incident-timeline' }, svg.node(), legend);
}
