// web/test/trace_model.test.mjs — exact tests of the trace view's DOM-free parts on a small
// hand-checked two-chain trace: merging documents (ids across chains, expansions), hops (a
// crossing is not a hop), collapsing services and clusters, the filters, the Sankey's per-hop
// amounts, the hop-layered layout, amounts parsing and the GEXF/CSV writers.
// Run: cd web && npm test   (node --test; no browser, no server)
const E1 = `0x${'e1'.repeat(20)}`, E2 = `0x${'e2'.repeat(20)}`;
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceModel, structure, view, sankeyData, parseUnits, clustersInModel } from '../src/trace/model.js';
import { hopLayout } from '../src/trace/layout.js';
import { toGEXF, toCSV } from '../src/trace/export.js';

const tx = (id, status = 'pass-through') => ({ id, type: 'tx', chain: 'bitcoin', label: `tx ${id}`, status, time: 1000, amount: null, amount_label: null });
const edge = (source, target, amount, extra = {}) => ({ source, target, chain: 'bitcoin', asset: 'BTC', amount, label: '', status: 'pass-through', time: 2000, tx: source, vout: 0, flow: null, link: null, ...extra });
const ep = (address, amount, status, hops, extra = {}) => ({ chain: 'bitcoin', address, name: null, cluster: null, tags: [], amount, asset: 'BTC', status, tx: 'T1', vout: 1, vin: null, flow: null, first_arrival: 1500, hops, ...extra });

// S -> T1 (100); T1 -> T2 (60), T1 -> A1 (39, held), fee 1; T2 -> A2 (10, max hops), T2 -> E1 on
// ethereum (50, a THORChain crossing).
function mainDoc() {
  return {
    id: 'm1', request: { tx: 'S:0', policy: 'haircut', graph: true },
    result: {
      source: 'S:0', chain: 'bitcoin', asset: 'BTC', asset_decimals: 8, params: { policy: 'haircut' },
      conservation: { source: 100, absorbed: 0, linked_in: 0, endpoints: 10, held: 39, fees: 1, dropped: 0, linked_out: 50, balanced: true },
      assets: [{ chain: 'bitcoin', asset: 'BTC', decimals: 8 }, { chain: 'ethereum', asset: 'ETH', decimals: 18 }],
      endpoints: [
        ep('A1', 39, 'held', 1, { cluster: { id: 7, address: 'A1', size: 2, tag: { label: 'Exchange X', category: 'exchange' } }, tags: [{ label: 'Exchange X', category: 'exchange', source: 't' }] }),
        ep('A2', 10, 'max-hops', 2, { cluster: { id: 7, address: 'A1', size: 2, tag: { label: 'Exchange X', category: 'exchange' } }, tx: 'T2', vout: 1 }),
        { chain: 'ethereum', address: E1, tags: [], cluster: null, amount: '5000000000000000000', asset: 'ETH', status: 'held', tx: '0xaa', flow: 1, vout: null, vin: null, first_arrival: 1600, hops: 2 },
      ],
      flows: [{ chain: 'bitcoin', asset: 'BTC', tx: 'T2', vout: 0, from_pool: 'T2', to_pool: null, amount: 50, link: { to_chain: 'ethereum' } }],
      hops: [{ hop: 0, amount: 0 }, { hop: 1, amount: 100 }, { hop: 2, amount: 60 }],
    },
    graph: {
      nodes: [tx('S', 'source'), tx('T1'), tx('T2'),
        { id: 'a:A1', type: 'address', chain: 'bitcoin', label: 'A1', status: 'held', time: 1500, amount: 39, amount_label: '' },
        { id: 'a:A2', type: 'address', chain: 'bitcoin', label: 'A2', status: 'endpoint:max-hops', time: 1500, amount: 10, amount_label: '' },
        { id: `ethereum:${E1}`, type: 'account', chain: 'ethereum', label: 'E1', status: 'held', time: 1600, amount: '5000000000000000000', amount_label: '' }],
      edges: [edge('S', 'T1', 100), edge('T1', 'T2', 60), edge('T1', 'a:A1', 39, { vout: 1, status: 'held' }),
        edge('T2', 'a:A2', 10, { vout: 1 }), edge('T2', `ethereum:${E1}`, 50, { link: 'chain data: THORChain swap' })],
    },
  };
}

test('main document: ids, edges, crossings, hops', () => {
  const m = new TraceModel();
  const r = m.addDoc(mainDoc());
  assert.deepEqual(r, { nodes: 6, edges: 5 });
  assert.deepEqual(m.sources, ['S']);
  assert.equal(m.nodes.get('a:A1').address, 'A1');
  assert.equal(m.nodes.get(`ethereum:${E1}`).address, E1);
  assert.equal(m.nodes.get('T1').tx, 'T1');
  const hop = (id) => m.nodes.get(id).hop;
  assert.deepEqual(['S', 'T1', 'T2', 'a:A1', 'a:A2', `ethereum:${E1}`].map(hop), [0, 1, 2, 2, 3, 2]);
  const cross = [...m.edges.values()].filter((e) => e.crossing).map((e) => e.key);
  assert.deepEqual(cross, [`T2>ethereum:${E1}>T2:0`]);
  assert.equal(m.nodes.get('a:A1').category, 'exchange');
  assert.equal(m.nodes.get('T1').outflow.get('BTC'), 99n);
  assert.deepEqual(m.assets(), ['BTC']);
  assert.deepEqual(m.chains(), ['bitcoin', 'ethereum']);
});

test('an expansion from another chain is renamed and merged, its endpoints kept apart', () => {
  const m = new TraceModel();
  m.addDoc(mainDoc());
  // A 1-hop trace run on ethereum from 0xE1: its own ids are bare, bitcoin's are prefixed.
  const exp = {
    id: 'x1', request: {}, result: { chain: 'ethereum', asset: 'ETH', asset_decimals: 18,
      endpoints: [{ chain: 'ethereum', address: E2, tags: [], cluster: null, amount: '4000000000000000000', asset: 'ETH', status: 'held', first_arrival: 1700, hops: 1 },
        { chain: 'ethereum', address: E1, tags: [], cluster: null, amount: '1', asset: 'ETH', status: 'held', first_arrival: 1700, hops: 0 }] },
    graph: {
      nodes: [{ id: E1, type: 'account', chain: 'ethereum', label: 'E1', status: 'source', time: 1600, amount: null, amount_label: null },
        { id: E2, type: 'account', chain: 'ethereum', label: 'E2', status: 'held', time: 1700, amount: null, amount_label: null }],
      edges: [{ source: E1, target: E2, chain: 'ethereum', asset: 'ETH', amount: '4000000000000000000', status: 'held', time: 1700, tx: '0xbb', vout: null, flow: 1, link: null }],
    },
  };
  const r = m.addDoc(exp, { address: E1, chain: 'ethereum', nodeId: `ethereum:${E1}` });
  assert.deepEqual(r, { nodes: 1, edges: 1 });
  assert.ok(m.nodes.has(`ethereum:${E2}`));
  assert.equal(m.nodes.get(`ethereum:${E1}`).status, 'held');        // the main trace's word
  assert.equal(m.nodes.get(`ethereum:${E2}`).hop, 3);
  assert.ok(m.edges.has(`ethereum:${E1}>ethereum:${E2}>0xbb:1`));
  const e1 = m.nodes.get(`ethereum:${E1}`).ep;
  assert.equal(e1.amounts.get('ETH'), 5000000000000000000n);
  assert.equal(e1.later.get('ETH'), 1n);
  assert.deepEqual(m.assets(), ['BTC', 'ETH']);
  // Merging the same document again adds nothing.
  assert.deepEqual(m.addDoc(exp, { address: E1, chain: 'ethereum' }), { nodes: 0, edges: 0 });
});

test('structure: a hub\'s leaves collapse into one service node; clusters collapse', () => {
  const m = new TraceModel();
  const d = mainDoc();
  for (let i = 0; i < 5; i++) {
    d.graph.nodes.push({ id: `a:L${i}`, type: 'address', chain: 'bitcoin', label: `L${i}`, status: 'held', time: 1500, amount: 1, amount_label: '' });
    d.graph.edges.push(edge('T2', `a:L${i}`, 1, { vout: 2 + i }));
  }
  m.addDoc(d);
  let st = structure(m, { hubLimit: 3 });
  const g = st.nodes.get('group:T2:out');
  assert.ok(g, 'T2 has 8 neighbours > 3: its leaves are grouped');
  assert.equal(g.members.length, 7);          // A2, E1 and the 5 L's: all leaves of T2
  assert.equal(g.label, '7 nodes — likely a service');
  assert.ok(!st.nodes.has('a:L0'));
  assert.equal(st.edges.filter((e) => e.target === 'group:T2:out').length, 7);
  st = structure(m, { hubLimit: 3, openedHubs: new Set(['T2']) });
  assert.ok(st.nodes.has('a:L0') && !st.nodes.has('group:T2:out'));
  st = structure(m, { hubLimit: 50 });
  assert.ok(!st.nodes.has('group:T2:out'));
  // A1 and A2 share cluster 7.
  assert.deepEqual(clustersInModel(m).map((c) => [c.key, c.members]), [['bitcoin:7', ['a:A1', 'a:A2']]]);
  st = structure(m, { collapsedClusters: new Set(['bitcoin:7']) });
  const c = st.nodes.get('cluster:bitcoin:7');
  assert.deepEqual(c.members, ['a:A1', 'a:A2']);
  assert.equal(c.label, 'Exchange X — 2 addresses');
  assert.deepEqual(st.edges.filter((e) => e.target === c.id).map((e) => e.source).sort(), ['T1', 'T2']);
});

test('view: hidden nodes, dust, chain, asset, time; parallel edges merge', () => {
  const m = new TraceModel();
  const d = mainDoc();
  d.graph.edges.push(edge('T1', 'T2', 5, { vout: 3, time: 3000 }));         // parallel to T1->T2
  m.addDoc(d);
  const st = structure(m);
  let v = view(m, st);
  assert.equal(v.nodes.length, 6);
  const t12 = v.edges.find((e) => e.id === 'T1>T2>BTC');
  assert.equal(t12.amount, 65n);
  assert.equal(t12.members.length, 2);
  v = view(m, st, { hidden: new Set(['T2']) });
  assert.deepEqual(v.nodes.map((n) => n.id).sort(), ['S', 'T1', 'a:A1', 'a:A2', `ethereum:${E1}`]);
  assert.equal(v.edges.length, 2);
  v = view(m, st, { dust: { asset: 'BTC', units: 40n } });
  assert.deepEqual(v.edges.map((e) => e.id).sort(), ['S>T1>BTC', 'T1>T2>BTC', `T2>ethereum:${E1}>BTC`]);
  assert.equal(v.edges.find((e) => e.id === 'T1>T2>BTC').amount, 60n);       // the 5 is dust
  v = view(m, st, { chain: 'bitcoin' });
  assert.ok(!v.nodes.some((n) => n.chain === 'ethereum'));
  v = view(m, st, { asset: 'ETH' });
  assert.deepEqual(v.nodes.map((n) => n.id), ['S']);                              // the source stays
  v = view(m, st, { from: 2500 });
  assert.deepEqual(v.edges.map((e) => e.id), ['T1>T2>BTC']);
});

test('sankey: per hop, the next hop, endpoints by category (A2 by its cluster\'s tag) and the rest, exact', () => {
  const m = new TraceModel();
  m.addDoc(mainDoc());
  const s = sankeyData(m);
  const links = Object.fromEntries(s.links.map((l) => [`${l.source}>${l.target}`, l.units]));
  assert.deepEqual(links, { 'source>h1': 100n, 'h1>h2': 60n, 'h1>c:exchange': 39n, 'h1>c:fees': 1n, 'h2>c:exchange': 10n, 'h2>c:crossed to ethereum or fees': 50n });
  // Conservation per hop: what leaves a hop is what entered it.
  for (const h of [1, 2]) {
    const out = s.links.filter((l) => l.source === `h${h}`).reduce((a, l) => a + l.units, 0n);
    assert.equal(out, BigInt(mainDoc().result.hops[h].amount));
  }
});

test('hop layout: bands by hop, left to right, no two nodes on one spot, deterministic', () => {
  const n = 200, hops = new Int32Array(n), pairs = [];
  for (let i = 1; i < n; i++) { hops[i] = 1 + Math.floor(Math.log2(i + 1)); pairs.push(Math.floor((i - 1) / 2), i); }
  hops[0] = 0;
  const a = hopLayout({ n, hops: hops.slice(), edges: Int32Array.from(pairs) });
  const b = hopLayout({ n, hops: hops.slice(), edges: Int32Array.from(pairs) });
  assert.deepEqual(a, b);
  const seen = new Set();
  for (let i = 0; i < n; i++) { const k = `${a[2 * i]},${a[2 * i + 1]}`; assert.ok(!seen.has(k), `two nodes at ${k}`); seen.add(k); }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (hops[i] < hops[j]) assert.ok(a[2 * i] < a[2 * j]);
  // Backward hops go left of the source.
  const c = hopLayout({ n: 3, hops: Int32Array.from([0, -1, -2]), edges: Int32Array.from([1, 0, 2, 1]) });
  assert.ok(c[4] < c[2] && c[2] < c[0]);
});

test('parseUnits: exact base units, refusals', () => {
  assert.equal(parseUnits('1.5', 8), 150000000n);
  assert.equal(parseUnits('0.00000001', 8), 1n);
  assert.equal(parseUnits('1,000', 6), 1000000000n);
  assert.equal(parseUnits('.5', 2), 50n);
  assert.equal(parseUnits('1.123456789', 8), null);
  assert.equal(parseUnits('abc', 8), null);
  assert.equal(parseUnits('', 8), null);
  assert.equal(parseUnits('12345678901234567890.123456789012345678', 18), 12345678901234567890123456789012345678n);
});

test('GEXF is well-formed XML with the documented attributes; CSV quotes and guards', () => {
  const gexf = toGEXF([{ id: 'a<&>"', label: 'x', type: 'tx', chain: 'bitcoin', status: 'held', time: 1717113600, amount: '5', amount_label: '5 BTC', x: 1, y: 2, color: '#ff0000', size: 3 },
    { id: 'b', label: 'y\u0001', type: 'address', chain: 'bitcoin', status: 'held', time: null, amount: null, amount_label: null, x: 0, y: 0, color: '#000000', size: 1 }],
  [{ source: 'a<&>"', target: 'b', chain: 'bitcoin', asset: 'BTC', amount: 123456789012345678901234567890n, amount_label: '1 BTC', weight: '1', time: 1717113600, status: 'held', tx: 'T', index: 0, link: 'note "x" & y' }]);
  assert.match(gexf, /<attribute id="amount_label" title="amount" type="string"\/>/);
  assert.match(gexf, /value="123456789012345678901234567890"/);
  assert.match(gexf, /value="2024-05-31T00:00:00Z"/);
  const dir = mkdtempSync(join(tmpdir(), 'gexf-'));
  writeFileSync(join(dir, 't.gexf'), gexf);
  try { execFileSync('xmllint', ['--noout', join(dir, 't.gexf')], { stdio: 'pipe' }); }
  catch (e) { if (e.code !== 'ENOENT') throw new Error(`xmllint: ${e.stderr}`); }
  const csv = toCSV([{ source: 'a,b', target: '=cmd()', note: 'say "hi"\nthere', amount: '5', time: 1717113600 }]);
  const [head, row] = csv.split('\r\n');
  assert.equal(head, 'source,target,chain,asset,amount,amount_label,time,time_utc,status,tx,index,crossing,link,note');
  assert.ok(row.startsWith(`"a,b",'=cmd(),,,5,,1717113600,2024-05-31T00:00:00Z,`));
  assert.ok(csv.includes('"say ""hi""\nthere"'));
});
