// trace/layout.js — the hop-layered layout of a traced graph: x is the hop distance from the
// source (one band per hop, left to right the way the money went), y spreads a hop's nodes in
// the order of their neighbours in the bands already placed (a barycentre sweep, so a tree
// reads as a tree and edges cross little). A band with more nodes than `rowCap` wraps into
// sub-columns row by row; rowCap is chosen so that the picture is about ASPECT times as wide
// as tall (50,000 nodes in 8 hops, or 4,000 in 40 hops, both fill a screen). Pure and
// DOM-free: it runs in the layout worker (layout.worker.js) and in tests.

const ASPECT = 2.5;
const gapOf = (rowCap) => Math.min(12, Math.max(3, Math.round(rowCap / 8)));

/** The rows per band whose picture's width / height is nearest ASPECT. sizes: band sizes. */
export function chooseRowCap(sizes) {
  const biggest = Math.max(1, ...sizes);
  let best = biggest, bestScore = Infinity;
  for (let r = Math.min(12, biggest); ; r = Math.ceil(r * 1.25)) {
    const rows = Math.min(r, biggest);
    let w = 0;
    for (const n of sizes) w += Math.ceil(n / r) - 1 + gapOf(r);
    const score = Math.abs(Math.log(w / rows / ASPECT));
    if (score < bestScore) { bestScore = score; best = r; }
    if (r >= biggest) break;
  }
  return best;
}

/**
 * hopLayout({n, hops: Int32Array(n), edges: Int32Array(2m) pairs of node indices})
 *   -> Float32Array(2n): x, y of node i at [2i], [2i+1] (graph units: one row is 1).
 * Deterministic: the same input gives the same positions.
 */
export function hopLayout({ n, hops, edges }) {
  const pos = new Float32Array(2 * n);
  if (!n) return pos;
  // Adjacency (CSR) over both directions.
  const deg = new Int32Array(n + 1);
  const m = edges.length >> 1;
  for (let i = 0; i < m; i++) { deg[edges[2 * i]]++; deg[edges[2 * i + 1]]++; }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + deg[i];
  const adj = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  for (let i = 0; i < m; i++) { const a = edges[2 * i], b = edges[2 * i + 1]; adj[fill[a]++] = b; adj[fill[b]++] = a; }
  // Bands by hop.
  const byHop = new Map();
  for (let i = 0; i < n; i++) { const h = hops[i]; let l = byHop.get(h); if (!l) byHop.set(h, l = []); l.push(i); }
  const order = [...byHop.keys()].sort((a, b) => a - b);
  const rowCap = chooseRowCap([...byHop.values()].map((l) => l.length));
  const gap = gapOf(rowCap);
  // Place bands outward from the band of hop 0 (or the lowest), so each band sees placed
  // neighbours: forward bands look left, backward bands look right.
  const zero = order.includes(0) ? order.indexOf(0) : 0;
  const seq = [order[zero]];
  for (let i = zero + 1; i < order.length; i++) seq.push(order[i]);
  for (let i = zero - 1; i >= 0; i--) seq.push(order[i]);
  const rank = new Float64Array(n).fill(-1);      // normalised vertical rank of placed nodes
  const cols = new Map();                         // hop -> sub-columns
  for (const h of seq) {
    const ids = byHop.get(h);
    const key = new Float64Array(ids.length);
    ids.forEach((v, j) => {
      let s = 0, c = 0;
      for (let k = start[v]; k < start[v + 1]; k++) { const r = rank[adj[k]]; if (r >= 0) { s += r; c++; } }
      key[j] = c ? s / c : 2 + j / ids.length;   // unplaced neighbours: after, in input order
    });
    const idx = ids.map((_, j) => j).sort((a, b) => key[a] - key[b] || a - b);
    const c = Math.ceil(ids.length / rowCap);
    cols.set(h, c);
    const rows = Math.ceil(ids.length / c);
    idx.forEach((j, i) => {
      const v = ids[j];
      rank[v] = ids.length > 1 ? i / (ids.length - 1) : 0.5;
      pos[2 * v] = i % c;                          // sub-column, offset by the band's x below
      pos[2 * v + 1] = -(Math.floor(i / c) - (rows - 1) / 2);
    });
  }
  // Band x offsets: bands as wide as their sub-columns, `gap` apart.
  const x0 = new Map();
  let x = 0;
  for (const h of order) { x0.set(h, x); x += cols.get(h) - 1 + gap; }
  for (let i = 0; i < n; i++) pos[2 * i] += x0.get(hops[i]);
  return pos;
}
