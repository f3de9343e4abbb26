// trace/model.js — the trace view's data, without any DOM: the traces the user ran (the main
// one and every 1-hop expansion) merged into one graph, the endpoints' tags and clusters joined
// onto the graph's address nodes, hop distances from the source, and the derived graphs the
// view draws:
//   structure(model, opts)  the merged graph with clusters collapsed into one node and, around
//                           a node with more than N neighbours, its leaf neighbours collapsed
//                           into one "142 addresses — likely a service" node (the layout runs
//                           on this graph, so filters never move a node);
//   view(structure, opts)   what is shown: hidden nodes removed and the filters (dust, chain,
//                           asset, time) applied; parallel edges merged, members kept.
// Node ids follow docs/TRACE.md "Graph files": a node of the main trace's chain keeps its id
// (`a:ADDRESS`, `TXID`, `0xACCOUNT`), a node of another chain has its chain first
// (`ethereum:0x…`); an expansion run from another chain is renamed to the same convention, so
// the same address or transaction is one node whichever trace reached it. An edge's key is
// `source>target>tx:index` (index = vout or flow), the key notes on edges use (cases).
// Amounts stay exact (BigInt) everywhere; floats are made only for sizes.

/** Decimals of an asset as the trace documents give them (result.assets), else by symbol. */
export function assetDecimals(model, asset, chain) {
  const d = model.decimals.get(asset);
  if (d != null) return d;
  const a = (asset || '').toUpperCase();
  if (a === 'BTC' || a === 'LTC' || chain === 'bitcoin' || chain === 'litecoin') return 8;
  if (a === 'USDT' || a === 'USDC' || a === 'TRX') return 6;
  return 18;
}

export const big = (v) => { try { return v == null ? 0n : BigInt(v); } catch { return 0n; } };
const bfloat = (v, dec) => Number(v) / 10 ** dec;

/** Splits a node id of a graph whose source chain is `docChain` into its bare id. */
function bareId(raw, chain) {
  return raw.startsWith(chain + ':') ? raw.slice(chain.length + 1) : raw;
}

/** What a graph node stands for: {address} | {tx} | {outpoint} (docs/TRACE.md node ids). */
export function nodeSubject(node) {
  const bare = bareId(node.id, node.chain);
  if (node.type === 'tx') return { tx: bare };
  if (node.type === 'account') return /^(0x[0-9a-f]{40}|T[1-9A-HJ-NP-Za-km-z]{33})$/i.test(bare) ? { address: bare } : { pseudo: bare };
  if (node.type === 'cluster' || node.type === 'group') return {};
  const rest = bare.startsWith('a:') ? bare.slice(2) : bare;
  if (rest.startsWith('out:')) return { outpoint: rest.slice(4) };
  if (rest.startsWith('in:')) return { outpoint: rest.slice(3), origin: true };
  return { address: rest };
}

const EMPTY = new Map();          // shared, never written: a node's flows until it has one
const epKey = (chain, address) => `${chain}|${String(address).toLowerCase()}`;
export const edgeKey = (e) => `${e.source}>${e.target}>${e.tx ?? ''}:${e.vout ?? e.flow ?? ''}`;

/** The best tag category of a joined endpoint (its first tag, else its cluster's tag). */
function categoryOf(ep) {
  if (!ep) return null;
  const t = (ep.tags || [])[0];
  return (t && t.category) || (ep.cluster && ep.cluster.tag && ep.cluster.tag.category) || null;
}

export class TraceModel {
  constructor() {
    this.main = null;               // the main trace document ({id, request, result, graph})
    this.chain = null;              // its chain (node ids of this chain are bare)
    this.asset = null;              // its source asset
    this.nodes = new Map();         // id -> node
    this.edges = new Map();         // key -> edge
    this.endpoints = new Map();     // chain|address -> joined endpoint
    this.decimals = new Map();      // asset -> decimals
    this.expansions = [];           // [{subject: {tx|address, chain}, doc}]
    this.sources = [];              // ids of the main trace's source nodes
  }

  /** Adds a trace document (POST /v1/traces answer with graph). The first one is the main
   *  trace. Returns {nodes, edges}: how many new ones it brought. Later documents never
   *  change what an earlier one said about a node or an edge. The document is kept without
   *  its graph (doc.graph is set to null once merged). */
  addDoc(doc, expansion = null) {
    const r = doc.result || {};
    if (!this.main) {
      this.main = doc;
      this.chain = r.chain;
      this.asset = r.asset;
    }
    if (expansion) this.expansions.push({ subject: expansion, doc });
    if (r.asset && r.asset_decimals != null) this.decimals.set(r.asset, r.asset_decimals);
    for (const a of r.assets || []) if (a.decimals != null) this.decimals.set(a.asset, a.decimals);
    const docIndex = this.expansions.length;          // 0: the main trace
    for (const e of r.endpoints || []) this.joinEndpoint(e, docIndex);
    const g = doc.graph || { nodes: [], edges: [] };
    const ren = new Map();
    let nn = 0, ne = 0;
    for (const raw of g.nodes) {
      const chain = raw.chain || r.chain;
      const bare = bareId(raw.id, chain);
      const id = chain === this.chain ? bare : `${chain}:${bare}`;
      ren.set(raw.id, id);
      const old = this.nodes.get(id);
      if (old) { old.docs++; for (const k of ['time', 'amount', 'amount_label']) if (old[k] == null && raw[k] != null) old[k] = raw[k]; continue; }
      // An expansion's own sources are where it started, not the case's source.
      const status = expansion && raw.status === 'source' ? 'pass-through' : raw.status;
      const node = { id, type: raw.type, chain, label: raw.label, status, time: raw.time,
        amount: raw.amount, amount_label: raw.amount_label, hop: null, docs: 1, ep: null, category: null,
        inflow: EMPTY, outflow: EMPTY, inDeg: 0, outDeg: 0, expandedFrom: expansion ? expansion.nodeId : null };
      Object.assign(node, nodeSubject(node));
      node.ep = node.address != null ? this.endpoints.get(epKey(chain, node.address)) || null : null;
      node.category = categoryOf(node.ep);
      this.nodes.set(id, node);
      if (!expansion && raw.status === 'source') this.sources.push(id);
      nn++;
    }
    for (const raw of g.edges) {
      const source = ren.get(raw.source) ?? raw.source, target = ren.get(raw.target) ?? raw.target;
      const sn = this.nodes.get(source), tn = this.nodes.get(target);
      if (!sn || !tn) continue;
      const key = edgeKey({ source, target, tx: raw.tx, vout: raw.vout, flow: raw.flow });
      if (this.edges.has(key)) continue;
      const link = raw.link ?? null;
      // every field in one literal: one object shape for all edges
      const e = { source, target, chain: raw.chain, asset: raw.asset, amount: big(raw.amount), label: raw.label,
        status: raw.status, time: raw.time, tx: raw.tx, vout: raw.vout, flow: raw.flow, link, key,
        crossing: link != null || sn.chain !== tn.chain };
      this.edges.set(key, e);
      if (sn.outflow === EMPTY) sn.outflow = new Map();
      if (tn.inflow === EMPTY) tn.inflow = new Map();
      sn.outflow.set(e.asset, (sn.outflow.get(e.asset) || 0n) + e.amount); sn.outDeg++;
      tn.inflow.set(e.asset, (tn.inflow.get(e.asset) || 0n) + e.amount); tn.inDeg++;
      ne++;
    }
    if (!this.sources.length) for (const n of this.nodes.values()) if (!n.inDeg) this.sources.push(n.id);
    this.computeHops();
    doc.graph = null;       // merged: the model has its nodes and edges (~100 MB on a 49k-node trace)
    return { nodes: nn, edges: ne };
  }

  /** Joins an endpoint of trace document `doc` (0 = the main trace) onto its address. The
   *  amounts (`amounts`, per asset) are the main trace's; an expansion's endpoints at the same
   *  address are kept as parts (`doc` > 0) and in `later`, never added to the main amounts. */
  joinEndpoint(e, doc = 0) {
    if (!e.address) return;
    const k = epKey(e.chain, e.address);
    let ep = this.endpoints.get(k);
    if (!ep) {
      ep = { chain: e.chain, address: e.address, name: e.name, cluster: e.cluster, tags: e.tags || [],
        statuses: new Set(), amounts: new Map(), later: new Map(), first_arrival: e.first_arrival, hops: e.hops, parts: [] };
      this.endpoints.set(k, ep);
      const n = this.nodes.get(e.chain === this.chain ? `a:${e.address}` : `${e.chain}:a:${e.address}`)
        || this.nodes.get(e.chain === this.chain ? e.address : `${e.chain}:${e.address}`);
      if (n && !n.ep) { n.ep = ep; n.category = categoryOf(ep); }
    }
    const sum = doc ? ep.later : ep.amounts;
    sum.set(e.asset, (sum.get(e.asset) || 0n) + big(e.amount));
    if (!doc) ep.statuses.add(e.status);
    if (e.first_arrival != null && (ep.first_arrival == null || e.first_arrival < ep.first_arrival)) ep.first_arrival = e.first_arrival;
    if (e.hops != null && (ep.hops == null || e.hops < ep.hops)) ep.hops = e.hops;
    ep.parts.push({ doc, asset: e.asset, amount: e.amount, status: e.status, tx: e.tx, vout: e.vout, vin: e.vin, flow: e.flow, hops: e.hops, first_arrival: e.first_arrival });
  }

  /** Hop of every node: 0-1 breadth-first from the sources along the money (a declared or
   *  chain-data crossing is not a hop, as in the engine), then backwards for what only
   *  reaches the sources against the flow (negative hops: a backward trace's origins). */
  computeHops() {
    // On integer indices and typed arrays (adjacency in CSR form, edges in insertion order):
    // on the 49k-node trace, Maps of arrays of edge objects took ~0.5 s.
    const nodes = [...this.nodes.values()];
    const n = nodes.length;
    const idx = new Map();
    nodes.forEach((v, i) => { idx.set(v.id, i); v.hop = null; });
    const m = this.edges.size;
    const src = new Int32Array(m), dst = new Int32Array(m), w = new Uint8Array(m);
    let j = 0;
    for (const e of this.edges.values()) { src[j] = idx.get(e.source); dst[j] = idx.get(e.target); w[j] = e.link ? 0 : 1; j++; }
    const csr = (from) => {
      const start = new Int32Array(n + 1);
      for (let k = 0; k < m; k++) start[from[k] + 1]++;
      for (let i = 0; i < n; i++) start[i + 1] += start[i];
      const adj = new Int32Array(m), fill = start.slice(0, n);
      for (let k = 0; k < m; k++) adj[fill[from[k]]++] = k;
      return [start, adj];
    };
    const [os, oa] = csr(src), [is, ia] = csr(dst);
    const hop = new Int32Array(n), has = new Uint8Array(n);
    let front = [], back = [];
    for (const s of this.sources) { const i = idx.get(s); if (i != null) { hop[i] = 0; has[i] = 1; front.push(i); } }
    // 0-1 BFS with a two-ended queue made of two arrays.
    while (front.length || back.length) {
      if (!front.length) { front = back.reverse(); back = []; }
      const u = front.pop();
      for (let k = os[u]; k < os[u + 1]; k++) {
        const e = oa[k], v = dst[e], h = hop[u] + w[e];
        if (!has[v] || h < hop[v]) { hop[v] = h; has[v] = 1; (w[e] ? back : front).push(v); }
      }
    }
    // What the forward pass did not reach: walk from reached nodes both ways.
    let frontier = [];
    for (let i = 0; i < n; i++) if (has[i]) frontier.push(i);
    while (frontier.length) {
      const next = [];
      for (const u of frontier) {
        for (let k = is[u]; k < is[u + 1]; k++) { const v = src[ia[k]]; if (!has[v]) { hop[v] = hop[u] - 1; has[v] = 1; next.push(v); } }
        for (let k = os[u]; k < os[u + 1]; k++) { const v = dst[oa[k]]; if (!has[v]) { hop[v] = hop[u] + 1; has[v] = 1; next.push(v); } }
      }
      frontier = next;
    }
    for (let i = 0; i < n; i++) if (has[i]) nodes[i].hop = hop[i];
    for (const v of nodes) if (v.hop == null) v.hop = (v.expandedFrom && this.nodes.get(v.expandedFrom)?.hop + 1) || 0;
  }

  decimalsOf(asset, chain) { return assetDecimals(this, asset, chain); }

  /** Assets present on edges, the main trace's first. */
  assets() {
    const s = new Set(this.asset ? [this.asset] : []);
    for (const e of this.edges.values()) s.add(e.asset);
    return [...s];
  }

  chains() {
    const s = new Set(this.chain ? [this.chain] : []);
    for (const n of this.nodes.values()) s.add(n.chain);
    return [...s];
  }

  timeRange() {
    let lo = Infinity, hi = -Infinity;
    for (const e of this.edges.values()) if (e.time != null) { if (e.time < lo) lo = e.time; if (e.time > hi) hi = e.time; }
    return lo <= hi ? [lo, hi] : null;
  }
}

/** The cluster a node belongs to, as the key `chain:id`, when its endpoint has a cluster. */
export function clusterKey(node) {
  const c = node.ep && node.ep.cluster;
  return c && c.id != null ? `${node.chain}:${c.id}` : null;
}

/** Clusters with more than one node in the model: [{key, label, members: [ids]}]. */
export function clustersInModel(model) {
  const m = new Map();
  for (const n of model.nodes.values()) {
    const k = clusterKey(n);
    if (!k) continue;
    (m.get(k) || m.set(k, []).get(k)).push(n.id);
  }
  return [...m].filter(([, ids]) => ids.length > 1).map(([key, members]) => {
    const c = model.nodes.get(members[0]).ep.cluster;
    return { key, members, label: c.tag ? `${c.tag.label} (cluster ${c.id})` : `cluster ${c.id}` };
  });
}

/**
 * The graph the layout runs on. opts: {collapsedClusters: Set(key), hubLimit: N,
 * openedHubs: Set(nodeId)}. Returns {nodes: Map(id -> snode), edges: [sedge]} where a snode
 * is {id, kind: 'node'|'cluster'|'group', node (model node, for 'node'), members: [model ids],
 * hop, chain, label} and a sedge {source, target, key, edge (the model edge)} (one per model edge,
 * with its ends renamed; parallel edges are merged later, in view()).
 */
export function structure(model, { collapsedClusters = new Set(), hubLimit = 50, openedHubs = new Set() } = {}) {
  const nodes = new Map();
  const owner = new Map();          // model id -> structure id
  for (const n of model.nodes.values()) {
    const ck = collapsedClusters.size ? clusterKey(n) : null;
    if (ck && collapsedClusters.has(ck)) {
      const id = `cluster:${ck}`;
      let s = nodes.get(id);
      if (!s) {
        const c = n.ep.cluster;
        s = { id, kind: 'cluster', members: [], hop: n.hop, chain: n.chain, cluster: c, category: n.category,
          label: `${c.tag ? c.tag.label : 'cluster ' + c.id} — ${'{n}'} addresses` };
        nodes.set(id, s);
      }
      s.members.push(n.id);
      s.hop = Math.min(s.hop, n.hop);
      owner.set(n.id, id);
    } else {
      nodes.set(n.id, { id: n.id, kind: 'node', node: n, members: [n.id], hop: n.hop, chain: n.chain, category: n.category });
      owner.set(n.id, n.id);
    }
  }
  for (const s of nodes.values()) if (s.kind === 'cluster') s.label = s.label.replace('{n}', s.members.length);
  let edges = [];
  for (const e of model.edges.values()) {
    const source = owner.get(e.source), target = owner.get(e.target);
    if (source === target) continue;        // inside a collapsed cluster
    edges.push({ source, target, key: e.key, edge: e });
  }
  // Hubs: a node with more than hubLimit distinct neighbours has its leaf neighbours (those
  // whose only neighbour it is) shown as one group node per direction.
  const nbrs = new Map();
  const addN = (a, b) => { let s = nbrs.get(a); if (!s) nbrs.set(a, s = new Set()); s.add(b); };
  for (const e of edges) { addN(e.source, e.target); addN(e.target, e.source); }
  const groupOf = new Map();        // leaf id -> group id
  for (const [hub, set] of nbrs) {
    if (set.size <= hubLimit || openedHubs.has(hub) || groupOf.has(hub)) continue;
    const outLeaves = [], inLeaves = [];
    for (const v of set) {
      if (nbrs.get(v).size !== 1 || groupOf.has(v)) continue;
      const sv = nodes.get(v);
      if (sv.kind !== 'node' || model.sources.includes(v)) continue;
      (sv.hop >= nodes.get(hub).hop ? outLeaves : inLeaves).push(v);
    }
    for (const [leaves, dir] of [[outLeaves, 'out'], [inLeaves, 'in']]) {
      if (leaves.length < 2) continue;
      const id = `group:${hub}:${dir}`;
      const types = new Set(leaves.map((v) => nodes.get(v).node.type));
      const what = types.size === 1 ? { address: 'addresses', account: 'accounts', tx: 'transactions' }[[...types][0]] || 'nodes' : 'nodes';
      const hubNode = nodes.get(hub);
      const g = { id, kind: 'group', hub, dir, members: [], hop: hubNode.hop + (dir === 'out' ? 1 : -1), chain: nodes.get(leaves[0]).chain,
        label: `${leaves.length} ${what} — likely a service` };
      for (const v of leaves) { g.members.push(...nodes.get(v).members); groupOf.set(v, id); nodes.delete(v); }
      nodes.set(id, g);
    }
  }
  if (groupOf.size) edges = edges.map((e) => ({ source: groupOf.get(e.source) || e.source, target: groupOf.get(e.target) || e.target, key: e.key, edge: e.edge }));
  return { nodes, edges };
}

/**
 * What is shown. opts: {hidden: Set(structure or model ids), dust: {asset, units: BigInt}|null,
 * chain, asset, from, until (unix s)}. An edge survives when it passes every filter and neither
 * end is hidden; a node is shown when it has a surviving edge, or when no edge filter is on and
 * it is not hidden (a source is always shown unless hidden). Parallel edges (same ends, same
 * asset) are merged: amount summed, `members` the model edges.
 * Returns {nodes: [snode], edges: [{id, source, target, asset, chain, amount, members, crossing,
 * time}]}.
 */
export function view(model, st, { hidden = new Set(), dust = null, chain = '', asset = '', from = null, until = null } = {}) {
  const edgeFilter = !!(dust || chain || asset || from != null || until != null);
  const isHidden = hidden.size ? (s) => hidden.has(s.id) || (s.kind === 'node' && hidden.has(s.node.id)) : () => false;
  const merged = new Map();
  const live = new Set();
  for (const se of st.edges) {
    const e = se.edge || model.edges.get(se.key);
    const a = st.nodes.get(se.source), b = st.nodes.get(se.target);
    if (!a || !b || isHidden(a) || isHidden(b)) continue;
    if (asset && e.asset !== asset) continue;
    if (chain && (a.chain !== chain || b.chain !== chain)) continue;
    if (from != null && e.time != null && e.time < from) continue;
    if (until != null && e.time != null && e.time > until) continue;
    if (dust && e.asset === dust.asset && e.amount < dust.units) continue;
    const id = `${se.source}>${se.target}>${e.asset}`;
    let m = merged.get(id);
    if (!m) merged.set(id, m = { id, source: se.source, target: se.target, asset: e.asset, chain: e.chain, amount: 0n, members: [], crossing: false, time: e.time });
    m.amount += e.amount;
    m.members.push(e.key);
    m.crossing = m.crossing || e.crossing;
    if (e.time != null && (m.time == null || e.time < m.time)) m.time = e.time;
    live.add(se.source); live.add(se.target);
  }
  const nodes = [];
  for (const s of st.nodes.values()) {
    if (isHidden(s)) continue;
    if (live.has(s.id)) { nodes.push(s); continue; }
    if (chain && s.chain !== chain) continue;
    if (!edgeFilter || (s.kind === 'node' && model.sources.includes(s.id))) nodes.push(s);
  }
  return { nodes, edges: [...merged.values()] };
}

/** Amount of a structure node for sizing and lists: what ended there (endpoint), else what
 *  entered it, else what left it; in its main asset. Returns {asset, units: BigInt}. */
export function nodeAmount(model, s) {
  const ids = s.members;
  let best = null;
  const acc = new Map();
  for (const id of ids) {
    const n = model.nodes.get(id);
    if (!n) continue;
    const flows = n.inflow.size ? n.inflow : n.outflow;
    for (const [a, v] of flows) acc.set(a, (acc.get(a) || 0n) + v);
  }
  for (const [a, v] of acc) if (!best || (a === model.asset && best.asset !== model.asset) || (v > best.units && !(best.asset === model.asset && a !== model.asset))) best = { asset: a, units: v };
  return best || { asset: model.asset, units: 0n };
}

/** "1.5" in a coin with `decimals` -> base units (BigInt); null when it is not an amount or
 *  has more decimals than the coin. Spaces, commas and underscores between digits are ignored. */
export function parseUnits(text, decimals) {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(String(text).replace(/[_,\s]/g, ''));
  if (!m || (!m[1] && !m[2])) return null;
  const frac = m[2] || '';
  if (frac.length > decimals) return null;
  return BigInt(m[1] || '0') * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/** Float of base units in the coin's unit (sizes and charts only). */
export function coins(model, asset, units) { return bfloat(units, model.decimalsOf(asset)); }

/**
 * The Sankey's flows (source asset only), from the main trace's result: columns hop 1..N
 * (result.hops: the amount entering each hop), and from each hop what ended there by endpoint
 * category or status (the endpoints' own hops) and what left the chain at that hop otherwise:
 * the rest of the hop, exact (entering − next hop − endpoints), named "crossed to CHAIN or
 * fees" when a linked flow departs from a pool of that hop, else "fees". The split between a
 * crossing and the fees of one hop is not drawn (a pool fed from several hops belongs to
 * several); the conservation line has both totals. Returns {nodes: [{id, name, kind}], links:
 * [{source, target, value (float, for drawing), units (BigInt, exact)}], asset, decimals}.
 */
export function sankeyData(model) {
  const r = model.main.result;
  const asset = r.asset;
  const hops = (r.hops || []).filter((h) => big(h.amount) > 0n);
  const nodes = [], links = [];
  const seen = new Set();
  const node = (id, name, kind) => { if (!seen.has(id)) { seen.add(id); nodes.push({ id, name, kind }); } return id; };
  const link = (s, t, units) => { if (units > 0n) links.push({ source: s, target: t, units, value: coins(model, asset, units) }); };
  node('source', 'source', 'source');
  const out = { nodes, links, asset, decimals: model.decimalsOf(asset) };
  if (!hops.length) return out;
  const ended = new Map();          // hop -> Map(category -> units)
  for (const e of r.endpoints || []) {
    if (e.asset !== asset) continue;
    const cat = ((e.tags || [])[0]?.category) || e.cluster?.tag?.category || e.status;
    const h = e.hops ?? hops[hops.length - 1].hop;
    let m = ended.get(h); if (!m) ended.set(h, m = new Map());
    m.set(cat, (m.get(cat) || 0n) + big(e.amount));
  }
  const crossAt = new Map();        // hop -> Set(chain) of linked flows departing there
  for (const f of r.flows || []) {
    if (!f.link || f.asset !== asset) continue;
    const pool = f.from_pool ?? f.from;
    const n = model.nodes.get(f.chain === model.chain ? pool : `${f.chain}:${pool}`);
    if (!n) continue;
    let set = crossAt.get(n.hop); if (!set) crossAt.set(n.hop, set = new Set());
    set.add(f.link.to_chain || 'another chain');
  }
  link('source', node(`h${hops[0].hop}`, `hop ${hops[0].hop}`, 'hop'), big(hops[0].amount));
  hops.forEach((h, i) => {
    const id = node(`h${h.hop}`, `hop ${h.hop}`, 'hop');
    const next = hops[i + 1] && hops[i + 1].hop === h.hop + 1 ? hops[i + 1] : null;
    let rest = big(h.amount);
    if (next) { link(id, node(`h${next.hop}`, `hop ${next.hop}`, 'hop'), big(next.amount)); rest -= big(next.amount); }
    for (const [cat, v] of ended.get(h.hop) || []) { link(id, node(`c:${cat}`, cat, 'category'), v); rest -= v; }
    const cross = crossAt.get(h.hop);
    const name = cross ? `crossed to ${[...cross].sort().join(', ')} or fees` : 'fees';
    if (rest > 0n) link(id, node(`c:${name}`, name, 'category'), rest);
  });
  return out;
}
