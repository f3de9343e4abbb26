// web/test/lod.test.mjs — exact tests of the graph view's level of detail (src/trace/lod.js)
// on a small hand-placed graph: which edges are kept (crossings first, then by weight, ties in
// input order), which nodes (ends of kept edges, everything in view under the node budget, else
// the important ones, the caller's keep), what counts as in the view, and when it is reduced.
// Run: cd web && npm test   (node --test; no browser)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LodIndex, grow } from '../src/trace/lod.js';

//   A(0,0)* -0.5-> B(10,0) -0.2-> D(20,0) -0.9-> F(100,100)
//   A -1.0-> C(10,5) -0.2-> E(20,5);  B -0.05, crossing-> E
//   G(5,2) and H(6,3)* have no edge; * important (a source, a tagged endpoint)
const NODES = [
  { id: 'A', x: 0, y: 0, important: true }, { id: 'B', x: 10, y: 0 }, { id: 'C', x: 10, y: 5 },
  { id: 'D', x: 20, y: 0 }, { id: 'E', x: 20, y: 5 }, { id: 'F', x: 100, y: 100 },
  { id: 'G', x: 5, y: 2 }, { id: 'H', x: 6, y: 3, important: true },
];
const EDGES = [
  { source: 'A', target: 'B', weight: 0.5 },    // 0
  { source: 'A', target: 'C', weight: 1 },      // 1
  { source: 'B', target: 'D', weight: 0.2 },    // 2
  { source: 'C', target: 'E', weight: 0.2 },    // 3 (ties with 2: after it)
  { source: 'B', target: 'E', weight: 0.05, crossing: true },    // 4
  { source: 'D', target: 'F', weight: 0.9 },    // 5
  { source: 'D', target: 'X', weight: 5 },      // 6: X is not a node, ignored
];
const ALL = { x0: -1, x1: 101, y0: -1, y1: 101 };
const ids = (lod, pick) => pick.nodes.map((i) => lod.ids[i]).join('');

test('edges: crossings first, then the largest weights, up to the budget', () => {
  const lod = new LodIndex(NODES, EDGES);
  assert.equal(lod.edgeCount, 6);
  assert.deepEqual([...lod.order].map((k) => lod.edgeOf[k]), [4, 1, 5, 0, 2, 3]);
  const p = lod.select(ALL, { edgeBudget: 3, nodeBudget: 100 });
  assert.deepEqual(p.edges, [4, 1, 5]);
  assert.equal(p.inViewEdges, 6);
  assert.equal(p.shownEdges, 3);
  // 8 nodes in view, under the node budget: all drawn
  assert.equal(ids(lod, p), 'ABCDEFGH');
  assert.equal(p.inViewNodes, 8);
  assert.equal(p.shownNodes, 8);
  assert.equal(p.reduced, true);
});

test('nodes over the budget: ends of kept edges, then important ones, and keep', () => {
  const lod = new LodIndex(NODES, EDGES);
  // ends of edges 4 and 1 (A, B, C, E) already exceed 3: no important node added; G kept
  let p = lod.select(ALL, { edgeBudget: 2, nodeBudget: 3, keep: ['G', 'nope'] });
  assert.deepEqual(p.edges, [4, 1]);
  assert.equal(ids(lod, p), 'ABCEG');
  assert.equal(p.shownNodes, 5);
  assert.equal(p.reduced, true);
  // room for 2 more: H is the only important node not drawn yet
  p = lod.select(ALL, { edgeBudget: 2, nodeBudget: 6 });
  assert.equal(ids(lod, p), 'ABCEH');
});

test('zoomed in: everything in the view is drawn and nothing is reduced', () => {
  const lod = new LodIndex(NODES, EDGES);
  const p = lod.select({ x0: 15, x1: 25, y0: -1, y1: 6 }, { edgeBudget: 10, nodeBudget: 10 });
  // D and E are inside; edges 2, 3, 4 end there, 5 starts there; 0 and 1 are left of it
  assert.deepEqual(p.edges, [4, 5, 2, 3]);
  assert.equal(p.inViewEdges, 4);
  assert.equal(p.inViewNodes, 2);
  assert.equal(ids(lod, p), 'BCDEF');       // the far ends are drawn too
  assert.equal(p.shownNodes, 2);
  assert.equal(p.reduced, false);
  // the same view with a budget of one edge: the crossing, and reduced
  const q = lod.select({ x0: 15, x1: 25, y0: -1, y1: 6 }, { edgeBudget: 1, nodeBudget: 10 });
  assert.deepEqual(q.edges, [4]);
  assert.equal(q.reduced, true);
});

test('an edge passing through the view without an end in it counts; move() moves a node', () => {
  const lod = new LodIndex(NODES, EDGES);
  const strip = { x0: 12, x1: 18, y0: -1, y1: 1 };
  let p = lod.select(strip, { edgeBudget: 10, nodeBudget: 10 });
  // B->D crosses the strip; B->E's bounding box meets it (counted, conservatively); C->E runs
  // above it, D->F right of it, A's edges left of it
  assert.deepEqual(p.edges, [4, 2]);
  assert.equal(p.inViewNodes, 0);
  assert.equal(ids(lod, p), 'BDE');
  lod.move('F', 15, 0);
  p = lod.select(strip, { edgeBudget: 10, nodeBudget: 10 });
  assert.equal(p.inViewNodes, 1);
  assert.deepEqual(p.edges, [4, 5, 2]);
});

test('grow: corners in any order, a margin of the size on every side', () => {
  assert.deepEqual(grow({ x0: 10, x1: 0, y0: 0, y1: 4 }), { x0: -2.5, x1: 12.5, y0: -1, y1: 5 });
  assert.deepEqual(grow({ x0: 0, x1: 10, y0: 4, y1: 0 }, 0), { x0: 0, x1: 10, y0: 0, y1: 4 });
});
