// trace/lod.js — level of detail for big trace graphs: which of the shown nodes and edges the
// graph view actually draws. In software WebGL (headless chromium, no GPU) a redraw costs about
// linearly in the items drawn: ~1.1 s for the real 49k-node / 180k-edge trace, which makes
// every stop of a pan a pause. Above LOD_ITEMS nodes + edges the view draws, inside the
// camera's rectangle (plus a margin, so a short pan shows what comes in), at most EDGE_BUDGET
// edges: crossings first, then the edges that carry the most amount (an edge's weight is its
// amount over the largest edge of its asset, so assets are comparable); ties keep the input
// order. The nodes drawn are the ends of those edges, the caller's `keep` nodes (the selected
// one), and every node in the rectangle when there are at most NODE_BUDGET of them, else the
// important ones (sources, tagged endpoints, collapsed groups: `important` on input) in input
// order up to NODE_BUDGET. When the camera is zoomed in so far that everything in the
// rectangle fits the budgets, everything in it is drawn. `reduced` says when something in the
// rectangle is left out, so the view can say so ("showing N of M edges — zoom in for all").
// Pure and DOM-free: tested by web/test/lod.test.mjs.

/** Nodes + edges above which the graph view reduces what it draws. */
export const LOD_ITEMS = 20000;
/** At most this many edges drawn when reduced: with their ~4,600 ends, a redraw of the 49k-node
 *  trace's reduction costs ~150 ms in llvmpipe on 2 cores (6,000 edges: ~330 ms; 1,000: ~95). */
export const EDGE_BUDGET = 2500;
/** Every node in the view is drawn when there are at most this many. */
export const NODE_BUDGET = 4000;
/** The rectangle drawn is the camera's grown by this fraction of its size on every side. */
export const MARGIN = 0.25;

export class LodIndex {
  /**
   * nodes: [{id, x, y, important}], edges: [{source, target, weight, crossing}] (source and
   * target are node ids; an edge whose end is not a node is ignored). The arrays are read
   * once; positions change through move().
   */
  constructor(nodes, edges) {
    const n = nodes.length;
    this.ids = new Array(n);
    this.index = new Map();
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.important = new Uint8Array(n);
    nodes.forEach((v, i) => {
      this.ids[i] = v.id;
      this.index.set(v.id, i);
      this.x[i] = v.x; this.y[i] = v.y;
      this.important[i] = v.important ? 1 : 0;
    });
    const src = [], dst = [], key = [], cross = [];
    edges.forEach((e, j) => {
      const a = this.index.get(e.source), b = this.index.get(e.target);
      if (a == null || b == null) return;
      src.push(a); dst.push(b); key.push(j);
      cross.push(e.crossing ? 1 : 0);
    });
    const m = src.length;
    this.src = Int32Array.from(src);
    this.dst = Int32Array.from(dst);
    this.edgeOf = Int32Array.from(key);      // position in the caller's edges array
    const w = Float64Array.from(key, (j) => Number(edges[j].weight) || 0);
    const order = Array.from({ length: m }, (_, i) => i);
    order.sort((p, q) => (cross[q] - cross[p]) || (w[q] - w[p]) || (p - q));
    this.order = Int32Array.from(order);
    this.nodeCount = n;
    this.edgeCount = m;
  }

  /** A node was dragged or laid out again. */
  move(id, x, y) {
    const i = this.index.get(id);
    if (i != null) { this.x[i] = x; this.y[i] = y; }
  }

  /**
   * What to draw for the graph-space rectangle rect {x0, x1, y0, y1}. opts: {edgeBudget,
   * nodeBudget, keep: [node ids drawn whatever the budgets]}. Returns {nodes: [node indices],
   * edges: [positions in the constructor's edges array], inViewNodes, inViewEdges,
   * shownNodes, shownEdges (those in the rectangle that are drawn), reduced}.
   */
  select(rect, { edgeBudget = EDGE_BUDGET, nodeBudget = NODE_BUDGET, keep = [] } = {}) {
    const { x, y, src, dst, order } = this;
    const { x0, x1, y0, y1 } = rect;
    const n = this.nodeCount;
    const inView = new Uint8Array(n);
    let inViewNodes = 0;
    for (let i = 0; i < n; i++) {
      if (x[i] >= x0 && x[i] <= x1 && y[i] >= y0 && y[i] <= y1) { inView[i] = 1; inViewNodes++; }
    }
    const drawn = new Uint8Array(n);
    const edges = [];
    let inViewEdges = 0;
    for (let k = 0; k < order.length; k++) {
      const e = order[k], a = src[e], b = dst[e];
      // an edge is in the view when its bounding box meets the rectangle
      if (!inView[a] && !inView[b]) {
        const xa = x[a], xb = x[b], ya = y[a], yb = y[b];
        if ((xa < x0 && xb < x0) || (xa > x1 && xb > x1)) continue;
        if ((ya < y0 && yb < y0) || (ya > y1 && yb > y1)) continue;
      }
      inViewEdges++;
      if (edges.length < edgeBudget) { edges.push(this.edgeOf[e]); drawn[a] = 1; drawn[b] = 1; }
    }
    for (const id of keep) { const i = this.index.get(id); if (i != null) drawn[i] = 1; }
    if (inViewNodes <= nodeBudget) {
      for (let i = 0; i < n; i++) if (inView[i]) drawn[i] = 1;
    } else {
      let room = nodeBudget;
      for (let i = 0; i < n; i++) if (drawn[i] && inView[i]) room--;
      for (let i = 0; i < n && room > 0; i++) {
        if (inView[i] && !drawn[i] && this.important[i]) { drawn[i] = 1; room--; }
      }
    }
    const nodes = [];
    let shownNodes = 0;
    for (let i = 0; i < n; i++) if (drawn[i]) { nodes.push(i); if (inView[i]) shownNodes++; }
    const shownEdges = edges.length;
    return { nodes, edges, inViewNodes, inViewEdges, shownNodes, shownEdges,
      reduced: shownEdges < inViewEdges || shownNodes < inViewNodes };
  }
}

/** The graph-space rectangle of a camera view {x0, x1, y0, y1} (any two corners) grown by
 *  MARGIN of its size on every side. */
export function grow(r, margin = MARGIN) {
  const x0 = Math.min(r.x0, r.x1), x1 = Math.max(r.x0, r.x1);
  const y0 = Math.min(r.y0, r.y1), y1 = Math.max(r.y0, r.y1);
  const dx = (x1 - x0) * margin, dy = (y1 - y0) * margin;
  return { x0: x0 - dx, x1: x1 + dx, y0: y0 - dy, y1: y1 + dy };
}
