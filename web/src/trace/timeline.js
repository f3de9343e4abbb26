// trace/timeline.js — the traced flows over time (d3, SVG), with dormant holdings visible:
// one lane per asset where each tainted payment is a dot (radius by amount, log scale; binned
// into bars when there are more than MAX_DOTS), and below, each held endpoint as a bar from
// the first arrival of taint to the tip of its chain in the store (GET /v1/info
// chains[].time_max), labelled "idle N days" (`data-testid=dormant`). Wheel or drag to zoom and
// pan the time axis; the +/- buttons and the arrow keys do the same.
import { select } from 'd3-selection';
import { scaleUtc, scaleSqrt } from 'd3-scale';
import { axisBottom } from 'd3-axis';
import { zoom, zoomIdentity } from 'd3-zoom';
import { max as dmax } from 'd3-array';
import { utcFormat } from 'd3-time-format';
import { h, fmtAmount, short, fmtTime } from '../util.js';
import { coins } from './model.js';

const MAX_DOTS = 4000, LANE = 56, ROW = 18, MAX_ROWS = 150;
const ASSET_COLORS = ['#f7931a', '#627eea', '#26a17b', '#eb0029', '#8247e5', '#0ea5e9'];

/**
 * Draws into host. flows: [{time, asset, units (BigInt), tx, source, target}]; held:
 * [{chain, address, label, asset, units, first_arrival}]; tips: Map(chain -> unix time).
 */
export function drawTimeline(host, model, flows, held, tips, { width = 1100 } = {}) {
  host.replaceChildren();
  const assets = [...new Set(flows.map((f) => f.asset))];
  const times = flows.map((f) => f.time).filter((t) => t != null);
  for (const d of held) if (d.first_arrival != null) times.push(d.first_arrival);
  for (const t of tips.values()) times.push(t);
  if (!times.length) { host.append(h('p.notice', 'No dated flow to draw.')); return; }
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const left = 70, right = 20, top = 22;
  // The longest idle first; among equals the larger amount (in its own coin).
  const heldRows = held.slice().sort((a, b) => (a.first_arrival - b.first_arrival) || (coins(model, b.asset, b.units) - coins(model, a.asset, a.units))).slice(0, MAX_ROWS);
  const lanesH = assets.length * LANE;
  const dormTop = top + lanesH + 40;
  const height = dormTop + heldRows.length * ROW + 36;
  const x = scaleUtc().domain([new Date((t0 - 3600) * 1000), new Date((t1 + 3600) * 1000)]).range([left, width - right]);
  let xz = x;
  const svg = select(host).append('svg').attr('data-testid', 'timeline').attr('viewBox', `0 0 ${width} ${height}`)
.attr('width', width).attr('height', height).attr('role', 'img').attr('aria-label', 'Traced flows over time, and how long held amounts have been idle');
  svg.append('defs').append('clipPath').attr('id', 'tl-clip').append('rect').attr('x', left).attr('y', 0).attr('width', width - left - right).attr('height', height);
  svg.append('text').attr('x', 8).attr('y', 14).attr('class', 'tl-caption')
    .text(`Flows by asset (dot area ~ amount) and held endpoints idle until the store's tip. ${flows.length.toLocaleString('en')} flows, ${held.length} held.`);
  const axisG = svg.append('g').attr('transform', `translate(0,${top + lanesH + 4})`).attr('class', 'tl-axis');
  const plot = svg.append('g').attr('clip-path', 'url(#tl-clip)');

  // Lanes of flows.
  const laneG = [];
  assets.forEach((asset, i) => {
    const y0 = top + i * LANE;
    svg.append('text').attr('x', 8).attr('y', y0 + LANE / 2).attr('dy', '0.35em').attr('class', 'tl-lane').text(asset);
    svg.append('line').attr('x1', left).attr('x2', width - right).attr('y1', y0 + LANE).attr('y2', y0 + LANE).attr('class', 'tl-sep');
    const fs = flows.filter((f) => f.asset === asset && f.time != null);
    const col = ASSET_COLORS[i % ASSET_COLORS.length];
    const dec = model.decimalsOf(asset);
    const vmax = dmax(fs, (f) => coins(model, asset, f.units)) || 1;
    const r = scaleSqrt().domain([0, vmax]).range([1.5, LANE / 2 - 4]);
    const g = plot.append('g');
    if (fs.length <= MAX_DOTS) {
      g.selectAll('circle').data(fs).join('circle').attr('class', 'tl-dot')
        .attr('cy', y0 + LANE / 2).attr('r', (f) => r(coins(model, asset, f.units))).attr('fill', col)
        .append('title').text((f) => `${fmtAmount(f.units, dec)} ${asset} at ${fmtTime(f.time)}\ntx ${f.tx}`);
      laneG.push(() => g.selectAll('circle').attr('cx', (f) => xz(new Date(f.time * 1000))));
    } else {
      // Binned: the sum moved per bin, bar height by amount (sqrt).
      const bins = 300;
      const redraw = () => {
        const [d0, d1] = xz.domain().map((d) => d.getTime() / 1000);
        const w = (d1 - d0) / bins || 1;
        const sums = new Map();
        for (const f of fs) { if (f.time < d0 || f.time > d1) continue; const b = Math.floor((f.time - d0) / w); sums.set(b, (sums.get(b) || 0n) + f.units); }
        const data = [...sums].map(([b, u]) => ({ t: d0 + b * w, w, u }));
        const bm = dmax(data, (d) => coins(model, asset, d.u)) || 1;
        const hs = scaleSqrt().domain([0, bm]).range([1, LANE - 6]);
        g.selectAll('rect').data(data).join('rect').attr('class', 'tl-bin').attr('fill', col)
          .attr('x', (d) => xz(new Date(d.t * 1000))).attr('width', (d) => Math.max(1, xz(new Date((d.t + d.w) * 1000)) - xz(new Date(d.t * 1000)) - 0.5))
          .attr('y', (d) => y0 + LANE - 3 - hs(coins(model, asset, d.u))).attr('height', (d) => hs(coins(model, asset, d.u)))
          .selectAll('title').data((d) => [d]).join('title').text((d) => `${fmtAmount(d.u, dec)} ${asset} from ${fmtTime(Math.round(d.t))}`);
      };
      laneG.push(redraw);
    }
  });

  // Dormant holdings.
  svg.append('text').attr('x', 8).attr('y', dormTop - 10).attr('class', 'tl-lane')
    .text(held.length ? `Held (${held.length}${held.length > MAX_ROWS ? `, the ${MAX_ROWS} largest drawn` : ''}): idle since the taint arrived` : 'Nothing is held.');
  const dorm = plot.append('g');
  const rows = dorm.selectAll('g').data(heldRows).join('g').attr('data-testid', 'dormant').attr('class', 'tl-dormant')
    .attr('data-address', (d) => d.address).attr('data-units', (d) => String(d.units))
    .attr('data-idle-days', (d) => String(idleDays(d, tips)));
  rows.append('rect').attr('y', (_, i) => dormTop + i * ROW).attr('height', ROW - 4).attr('rx', 2);
  rows.append('text').attr('y', (_, i) => dormTop + i * ROW + (ROW - 4) / 2).attr('dy', '0.35em').attr('class', 'tl-dlabel')
    .text((d) => `idle ${idleDays(d, tips)} days · ${fmtAmount(d.units, model.decimalsOf(d.asset), { maxFrac: 4 })} ${d.asset} · ${d.label || short(d.address, 8)}`);
  rows.append('title').text((d) => `${d.address} (${d.chain})\n${fmtAmount(d.units, model.decimalsOf(d.asset))} ${d.asset} held since ${fmtTime(d.first_arrival)}, idle ${idleDays(d, tips)} days at the store's tip (${fmtTime(tips.get(d.chain))})`);
  const drawDorm = () => {
    rows.select('rect').attr('x', (d) => xz(new Date(d.first_arrival * 1000)))
      .attr('width', (d) => Math.max(2, xz(new Date((tips.get(d.chain) ?? d.first_arrival) * 1000)) - xz(new Date(d.first_arrival * 1000))));
    rows.select('text').attr('x', (d) => Math.max(left + 2, xz(new Date(d.first_arrival * 1000)) + 4));
  };

  const fmtTick = utcFormat('%Y-%m-%d');
  const redraw = () => {
    axisG.call(axisBottom(xz).ticks(Math.max(2, Math.floor(width / 130))).tickFormat((d) => (xz.domain()[1] - xz.domain()[0] < 3 * 86400e3 ? utcFormat('%m-%d %H:%M')(d) : fmtTick(d))));
    for (const f of laneG) f();
    drawDorm();
  };
  const z = zoom().scaleExtent([1, 5000]).translateExtent([[left, 0], [width - right, height]]).extent([[left, 0], [width - right, height]])
    .on('zoom', (ev) => { xz = ev.transform.rescaleX(x); redraw(); });
  svg.call(z);
  redraw();
  const node = svg.node();
  node.setAttribute('tabindex', '0');
  node.addEventListener('keydown', (ev) => {
    const k = { '+': 1.5, '=': 1.5, '-': 1 / 1.5 }[ev.key];
    if (k) { ev.preventDefault(); svg.call(z.scaleBy, k); }
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') { ev.preventDefault(); svg.call(z.translateBy, ev.key === 'ArrowLeft' ? 60 : -60, 0); }
    else if (ev.key === '0') { ev.preventDefault(); svg.call(z.transform, zoomIdentity); }
  });
  const ft = flows.map((f) => f.time).filter((t) => t != null);
  const zoomToFlows = () => {
    if (!ft.length) return;
    const a = x(new Date((Math.min(...ft) - 3600) * 1000)), b = x(new Date((Math.max(...ft) + 3600) * 1000));
    const k = Math.min(5000, (width - left - right) / Math.max(1, b - a));
    svg.call(z.transform, zoomIdentity.translate(left - a * k, 0).scale(k));
  };
  return {
    zoomBy: (k) => svg.call(z.scaleBy, k),
    reset: () => svg.call(z.transform, zoomIdentity),
    zoomToFlows,
  };
}

export function idleDays(d, tips) {
  const tip = tips.get(d.chain);
  if (tip == null || d.first_arrival == null) return 0;
  return Math.max(0, Math.floor((tip - d.first_arrival) / 86400));
}
