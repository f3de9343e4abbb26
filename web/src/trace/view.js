// trace/view.js — the trace view (issue 14; routes #/trace?…, #/trace/{id}, #/case/{id}): a
// parameter bar that runs `POST /v1/traces`, the conservation line (always visible), and three
// tabs over the same trace — the graph (Sigma.js, graph.js) with its virtualised node list,
// filters, node and edge panels; the Sankey of where the amount went by hop and category; the
// timeline of flows with dormant holdings. The user expands nodes (1-hop traces with the same
// policy, merged), hides them, collapses clusters and services, writes notes on nodes and
// edges, and saves all of it as a case on the server (POST/PUT /v1/cases), which reopens as it
// was left. Exports: PNG, SVG, GEXF, CSV of the graph; the case with provenance (server).
// The DOM contract (data-testid names) is web/README.md's; window.__sleuth is set for the
// browser test and the benchmarks.
import './trace.css';
import { api, post, put, enc } from '../api.js';
import { h, mount, notice, fmtAmount, fmtTime, short, link, categoryColor, CATEGORY_COLORS } from '../util.js';
import { TraceModel, structure, view as viewOf, nodeAmount, coins, clustersInModel, clusterKey, big, parseUnits } from './model.js';
import { GraphView, runLayout, chainColor, fillColor, CROSSING_COLOR, FAST_ITEMS } from './graph.js';
import { createNodeList } from './nodelist.js';
import { conservation } from './conservation.js';
import { download, toSVG, toGEXF, toCSV, edgeAmountLabel } from './export.js';

const POLICIES = ['haircut', 'poison', 'fifo', 'lifo', 'tiho'];
const TRACE_KEYS = ['tx', 'address', 'chain', 'asset', 'policy', 'direction', 'max_hops', 'min_amount', 'since', 'until', 'max_nodes', 'stop_at', 'top'];
const NUM_KEYS = new Set(['max_hops', 'min_amount', 'since', 'until', 'max_nodes', 'top']);
const EDGE_TINT = { bitcoin: '#e5d3bb', litecoin: '#c3cfe2', ethereum: '#c5cdef', tron: '#f0c4ca' };
const MAX_SAFE = 9007199254740991n;

/** Page entry (main.js router): returns the cleanup function. */
export async function render(main, params, query) {
  const v = new TraceView(main, params, query);
  await v.start();
  return () => v.destroy();
}

/** A trace request (POST /v1/traces body) from the route's query. */
function requestFromQuery(q) {
  const r = {};
  for (const k of TRACE_KEYS) {
    const v = q.get(k);
    if (v == null || v === '') continue;
    r[k] = NUM_KEYS.has(k) ? Number(v) : v;
  }
  return r;
}

/** "source" field -> {tx} or {address}: a 64-hex txid (0x-prefixed on account chains),
 *  optionally :N, is a transaction; anything else an address. */
function sourceOf(text) {
  const s = text.trim();
  return /^(0x)?[0-9a-fA-F]{64}(:\d+)?$/.test(s) ? { tx: s } : { address: s };
}

// Lets the browser paint (a status line) between the long steps of loading a big trace.
const breathe = () => new Promise((r) => setTimeout(r, 0));
const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };

class TraceView {
  constructor(main, params, query) {
    this.main = main;
    this.params = params;
    this.query = query;
    this.model = new TraceModel();
    this.request = null;
    this.caseId = params.caseId || null;
    this.caseVersion = null;
    this.state = { expanded: [], hidden: [], notes: { nodes: {}, edges: {} }, view: 'graph',
      filters: { dust: '', chain: '', asset: '', from: '', to: '' }, pinned: {}, collapsed: [], opened: [], hub_limit: 50, selected: null };
    this.st = null; this.v = null; this.pos = new Map(); this.bbox = null;
    this.selected = null;
    this.layoutSeq = 0;
    this.rebuildSeq = 0;
    this.layoutPromise = null;
    this.tips = new Map();
    this.dirty = false;
    this.sankeyDrawn = false;
    this.timelineDirty = true;
    this.timings = {};
    this.build();
  }

  // ---- skeleton ---------------------------------------------------------------------------
  build() {
    const f = (name, label, input) => h('label.tv-field', h('span', label), input);
    this.in = {
      source: h('input', { name: 'source', required: true, placeholder: 'TXID[:N], 0xHASH[:N] or address', size: 34, spellcheck: false, autocomplete: 'off' }),
      chain: h('select', { name: 'chain' }, h('option', { value: '' }, 'any')),
      policy: h('select', { name: 'policy' }, POLICIES.map((p) => h('option', { value: p }, p))),
      direction: h('select', { name: 'direction' }, h('option', { value: 'forward' }, 'forward'), h('option', { value: 'backward' }, 'backward')),
      max_hops: h('input', { name: 'max_hops', type: 'number', min: 1, max: 100000, step: 1, value: '6', style: { width: '5em' } }),
      min_amount: h('input', { name: 'min_amount', type: 'text', inputmode: 'decimal', placeholder: '0', style: { width: '7em' }, title: 'in the coin of the source (BTC, ETH…)' }),
      asset: h('input', { name: 'asset', placeholder: 'coin', style: { width: '5.5em' }, spellcheck: false, title: 'The asset to trace on an account chain (a token symbol such as USDT); empty: the chain\'s coin' }),
    };
    this.runStatus = h('span.tv-run-status', { role: 'status', 'aria-live': 'polite' });
    this.paramsForm = h('form.tv-params', { 'data-testid': 'trace-params', on: { submit: (ev) => { ev.preventDefault(); this.runFromForm(); } } },
      f('source', 'Source', this.in.source), f('chain', 'Chain', this.in.chain), f('policy', 'Policy', this.in.policy),
      f('direction', 'Direction', this.in.direction), f('max_hops', 'Max hops', this.in.max_hops), f('min_amount', 'Min amount', this.in.min_amount),
      f('asset', 'Asset', this.in.asset),
      h('button', { type: 'submit', 'data-testid': 'run-trace' }, 'Run'), this.runStatus);

    this.caseTitle = h('input', { 'data-testid': 'case-title', name: 'case-title', placeholder: 'Case title', 'aria-label': 'Case title', size: 24,
      on: { input: () => this.markDirty() } });
    this.caseStatus = h('span.tv-case-status', { 'data-testid': 'case-saved', role: 'status', 'aria-live': 'polite' }, 'Not saved');
    this.caseExports = h('span.tv-case-exports', { hidden: true },
      h('button.secondary', { type: 'button', 'data-testid': 'case-export-json', on: { click: () => this.exportCase('json') } }, 'Case JSON'),
      h('button.secondary', { type: 'button', 'data-testid': 'case-export-csv', on: { click: () => this.exportCase('csv') } }, 'Case CSV'));
    const caseBar = h('div.tv-case', this.caseTitle,
      h('button', { type: 'button', 'data-testid': 'save-case', on: { click: () => this.saveCase() } }, 'Save case'),
      this.caseStatus, this.caseExports);

    this.consHost = h('div.tv-cons');
    this.tabs = ['graph', 'sankey', 'timeline'].map((name) => h('button.tv-tab', {
      type: 'button', role: 'tab', id: `tab-${name}`, 'data-testid': `tab-${name}`, 'aria-controls': `panel-${name}`,
      'aria-selected': 'false', tabindex: '-1',
      on: { click: () => this.showTab(name), keydown: (ev) => this.tabKey(ev, name) },
    }, { graph: 'Graph', sankey: 'Sankey', timeline: 'Timeline' }[name]));
    const exp = (id, label, fn) => h('button.secondary', { type: 'button', 'data-testid': id, on: { click: fn } }, label);
    const exports = h('div.tv-exports', { role: 'group', 'aria-label': 'Export the graph' },
      exp('export-png', 'PNG', () => this.exportPNG()), exp('export-svg', 'SVG', () => this.exportSVG()),
      exp('export-gexf', 'GEXF', () => this.exportGEXF()), exp('export-csv', 'CSV', () => this.exportCSV()));
    const tabBar = h('div.tv-tabbar', h('div.tv-tabs', { role: 'tablist', 'aria-label': 'Views of the trace' }, this.tabs), caseBar, exports);

    // Graph panel.
    this.graphEl = h('div.tv-graph', { 'data-testid': 'graph', 'data-nodes': '0', 'data-edges': '0', tabindex: '0', role: 'application',
      'aria-label': 'Trace graph: arrows pan, + and - zoom, 0 fits; select nodes in the list', on: { keydown: (ev) => this.graphKey(ev) } });
    this.graphStatus = h('div.tv-graph-status', { role: 'status' });
    // Said over the graph whenever what is drawn is a reduction (graph.js, lod.js).
    this.lodStatus = h('div.tv-lod', { 'data-testid': 'lod-status', role: 'status', 'data-reduced': 'false', hidden: true });
    this.graphEl.append(this.lodStatus);
    const tool = (label, title, fn, testid) => h('button.secondary', { type: 'button', title, 'aria-label': title, 'data-testid': testid, on: { click: fn } }, label);
    this.forceBtn = tool('Force layout', 'Run ForceAtlas2 (in a worker) on the shown graph; press again to stop', () => this.toggleForce(), 'layout-force');
    this.fastBox = h('input', { type: 'checkbox', 'data-testid': 'fast-motion', on: { change: () => { this.state.fast = this.fastBox.checked; this.gv?.setFast(this.fastBox.checked); this.markDirty(); } } });
    const fastLabel = h('label.tv-check', { title: 'While the view moves, move the last drawn picture and draw the graph again when it stops (fast with software WebGL)' }, this.fastBox, 'Move as image');
    const toolbar = h('div.tv-toolbar', tool('Fit', 'Fit the whole graph', () => this.gv?.resetCamera(), 'graph-fit'),
      tool('+', 'Zoom in', () => this.gv?.zoom(1.5), 'graph-zoom-in'), tool('−', 'Zoom out', () => this.gv?.zoom(1 / 1.5), 'graph-zoom-out'),
      tool('Hop layout', 'Lay out by hop distance from the source (pinned nodes stay)', () => this.rebuild({ relayout: true }), 'layout-hops'), this.forceBtn, fastLabel);
    this.filtersEl = this.buildFilters();
    this.nodeList = createNodeList({ onSelect: (id) => this.select(id) });
    this.panel = h('div.tv-panel', { 'data-testid': 'node-panel', 'aria-live': 'polite' });
    this.side = h('div.tv-side');
    const graphPanel = h('div.tv-pane.tv-graph-pane', { role: 'tabpanel', id: 'panel-graph', 'aria-labelledby': 'tab-graph' },
      h('aside.tv-left', this.filtersEl, this.nodeList.el),
      h('div.tv-center', toolbar, this.graphEl, this.graphStatus),
      h('aside.tv-right', this.panel, this.side));
    this.sankeyHost = h('div.tv-sankey-host');
    this.timelineHost = h('div.tv-timeline-host');
    const sankeyPanel = h('div.tv-pane', { role: 'tabpanel', id: 'panel-sankey', 'aria-labelledby': 'tab-sankey', hidden: true }, this.sankeyHost);
    const tlTools = h('div.tv-toolbar', h('span.hint', 'Wheel or drag to zoom and pan time; + − 0 and arrows when focused.'),
      tool('+', 'Zoom in (time)', () => this.timeline?.zoomBy(1.6), 'timeline-zoom-in'), tool('−', 'Zoom out (time)', () => this.timeline?.zoomBy(1 / 1.6), 'timeline-zoom-out'),
      tool('Flows', 'Zoom to the flows (without the idle time up to the tip)', () => this.timeline?.zoomToFlows(), 'timeline-flows'),
      tool('All', 'Whole time range, up to the store\'s tip', () => this.timeline?.reset(), 'timeline-reset'));
    const timelinePanel = h('div.tv-pane', { role: 'tabpanel', id: 'panel-timeline', 'aria-labelledby': 'tab-timeline', hidden: true }, tlTools, this.timelineHost);
    this.panes = { graph: graphPanel, sankey: sankeyPanel, timeline: timelinePanel };
    this.message = h('div.tv-message');
    this.toast = h('div.tv-toast', { role: 'status', 'aria-live': 'polite' });
    this.root = h('section.trace-view', { 'data-testid': 'trace-view', 'data-trace-id': '' },
      this.paramsForm, this.consHost, this.message, tabBar, graphPanel, sankeyPanel, timelinePanel, this.toast);
    mount(this.main, this.root);
    this.main.classList.add('wide');
  }

  buildFilters() {
    const st = this.state.filters;
    this.fl = {
      dust: h('input', { 'data-testid': 'filter-dust', type: 'text', inputmode: 'decimal', placeholder: '0', size: 9, 'aria-describedby': 'dust-unit' }),
      dustUnit: h('span#dust-unit.hint', ''),
      chain: h('select', { 'data-testid': 'filter-chain', 'aria-label': 'Chain' }, h('option', { value: '' }, 'all chains')),
      asset: h('select', { 'data-testid': 'filter-asset', 'aria-label': 'Asset' }, h('option', { value: '' }, 'all assets')),
      from: h('input', { 'data-testid': 'filter-from', type: 'date', 'aria-label': 'From (UTC day)' }),
      to: h('input', { 'data-testid': 'filter-to', type: 'date', 'aria-label': 'To (UTC day)' }),
      hub: h('input', { 'data-testid': 'hub-limit', type: 'number', min: 2, max: 100000, step: 1, value: String(this.state.hub_limit), style: { width: '5em' } }),
      hidden: h('span.tv-hidden-count'),
    };
    const apply = () => {
      Object.assign(st, { dust: this.fl.dust.value.trim(), chain: this.fl.chain.value, asset: this.fl.asset.value, from: this.fl.from.value, to: this.fl.to.value });
      this.updateDustUnit();
      this.markDirty();
      this.rebuild();
    };
    const applySoon = debounce(apply, 250);
    this.fl.dust.addEventListener('input', applySoon);
    for (const k of ['chain', 'asset', 'from', 'to']) this.fl[k].addEventListener('change', apply);
    this.fl.hub.addEventListener('change', () => {
      const n = Math.max(2, Math.floor(Number(this.fl.hub.value) || 50));
      this.state.hub_limit = n; this.markDirty(); this.rebuild({ relayout: true });
    });
    const showAll = h('button.link', { type: 'button', 'data-testid': 'unhide-all', on: { click: () => { this.state.hidden = []; this.markDirty(); this.rebuild(); } } }, 'show all');
    return h('fieldset.tv-filters', { 'data-testid': 'filters' }, h('legend', 'Filters'),
      h('label.tv-frow', h('span', 'Hide edges below'), this.fl.dust, this.fl.dustUnit),
      h('label.tv-frow', h('span', 'Chain'), this.fl.chain),
      h('label.tv-frow', h('span', 'Asset'), this.fl.asset),
      h('label.tv-frow', h('span', 'From'), this.fl.from),
      h('label.tv-frow', h('span', 'To'), this.fl.to),
      h('label.tv-frow', h('span', 'Collapse above'), this.fl.hub, h('span.hint', 'neighbours')),
      h('div.tv-frow', this.fl.hidden, showAll));
  }

  // ---- loading ----------------------------------------------------------------------------
  async start() {
    this.exposeHooks();
    api('/v1/info').then((info) => {
      for (const c of info.chains || []) if (c.time_max != null) this.tips.set(c.chain, c.time_max);
      for (const c of info.chains || []) if (![...this.in.chain.options].some((o) => o.value === c.chain)) this.in.chain.append(h('option', { value: c.chain }, c.chain));
      if (this.request?.chain) this.in.chain.value = this.request.chain;
      this.timelineDirty = true;
    }).catch(() => {});
    let doc = null;
    try {
      if (this.caseId) {
        this.setRun('Opening case…');
        const { case: c } = await api(`/v1/cases/${enc(this.caseId)}`);
        this.applyCase(c);
        this.request = { ...c.trace, graph: true };
      } else if (this.params.traceId) {
        this.setRun('Loading trace…');
        doc = await api(`/v1/traces/${enc(this.params.traceId)}`);
        this.request = { ...doc.request };
        if (!doc.graph) doc = null;        // kept without its graph: run it again with one
      } else {
        this.request = requestFromQuery(this.query);
      }
    } catch (e) {
      this.setRun('');
      this.fillForm();
      mount(this.message, notice('error', e.message || String(e)));
      return;
    }
    this.fillForm();
    if (!this.request.tx && !this.request.address) {
      mount(this.message, notice('info', 'Give a source (a transaction output, a transaction or an address) and press Run.'));
      this.in.source.focus();
      return;
    }
    this.showTab(this.state.view || 'graph', false);
    await this.load(doc);
  }

  fillForm() {
    const r = this.request || {};
    this.in.source.value = r.tx || r.address || '';
    if (r.chain && ![...this.in.chain.options].some((o) => o.value === r.chain)) this.in.chain.append(h('option', { value: r.chain }, r.chain));
    this.in.chain.value = r.chain || '';
    this.in.policy.value = r.policy || 'haircut';
    this.in.direction.value = r.direction || 'forward';
    this.in.max_hops.value = r.max_hops != null ? String(r.max_hops) : '6';
    this.in.asset.value = r.asset || '';
    this.in.min_amount.value = r.min_amount ? fmtAmount(r.min_amount, this.decimalsForForm(), { group: false }) : '';
  }

  decimalsForForm() {
    const chain = this.in.chain.value || this.model.chain || this.request?.chain;
    return this.model.main ? this.model.decimalsOf(this.model.asset, this.model.chain) : (chain && !/bitcoin|litecoin/.test(chain) ? 18 : 8);
  }

  /** Run: the form becomes the route's query (a new trace, a new page state). */
  runFromForm() {
    const src = sourceOf(this.in.source.value);
    if (!src.tx && !src.address) return;
    const q = new URLSearchParams();
    q.set(src.tx ? 'tx' : 'address', src.tx || src.address);
    if (this.in.chain.value) q.set('chain', this.in.chain.value);
    if (this.in.asset.value.trim()) q.set('asset', this.in.asset.value.trim());
    q.set('policy', this.in.policy.value);
    q.set('direction', this.in.direction.value);
    q.set('max_hops', String(Math.max(1, Math.floor(Number(this.in.max_hops.value) || 6))));
    const min = this.in.min_amount.value.trim();
    if (min) {
      const units = parseUnits(min, this.decimalsForForm());
      if (units == null || units > MAX_SAFE) { mount(this.message, notice('error', `Min amount "${min}" is not an amount the API takes (0 to 2^53 base units).`)); return; }
      if (units > 0n) q.set('min_amount', units.toString());
    }
    const target = `#/trace?${q}`;
    if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = target;
  }

  setRun(text) { this.runStatus.textContent = text; }

  async load(doc) {
    const t0 = performance.now();
    try {
      if (!doc) {
        this.setRun('Tracing…');
        doc = await post('/v1/traces', { ...this.request, graph: true, flows: 'crossings' }); // the graph has the rest
      }
    } catch (e) {
      this.setRun('');
      mount(this.message, notice('error', `The trace failed: ${e.message}`));
      return;
    }
    this.timings.fetch_ms = Math.round(performance.now() - t0);
    this.setRun(`Building the graph of ${(doc.graph?.nodes?.length ?? 0).toLocaleString('en')} nodes…`);
    await breathe();
    this.model.addDoc(doc);
    this.root.dataset.traceId = doc.id || '';
    this.timings.model_ms = Math.round(performance.now() - t0 - this.timings.fetch_ms);
    this.renderConservation();
    this.fillFilterChoices();
    this.applyFiltersToInputs();
    const r = doc.result;
    const trunc = r.truncated ? ` Truncated: ${r.truncated_why || 'the node budget was reached'}.` : '';
    mount(this.message, r.truncated ? notice('error', trunc.trim()) : null);
    // Expansions saved in a case are replayed, two at a time.
    if (this.state.expanded.length) {
      this.setRun(`Replaying ${this.state.expanded.length} expansion(s)…`);
      const list = this.state.expanded.slice();
      let i = 0;
      const worker = async () => { while (i < list.length) { const s = list[i++]; try { await this.fetchExpansion(s); } catch (e) { this.flash(`Expansion of ${s.tx || s.address} failed: ${e.message}`); } } };
      await Promise.all([worker(), worker()]);
    }
    this.setRun(`${r.pools_visited ?? ''} pools, ${r.flows_routed ?? ''} flows routed`);
    this.gv = new GraphView(this.graphEl, {
      select: (id) => this.select(id, { center: false }),
      open: (id) => this.open(id),
      pin: (id, x, y) => { this.state.pinned[id] = [x, y]; this.pos.set(id, { x, y }); this.markDirty(); },
      lod: (info) => this.showLod(info),
    });
    await this.rebuild({ relayout: true });
    this.timings.first_draw_ms = Math.round(performance.now() - t0);
    if (this.state.selected) this.select(this.state.selected);
    if (this.state.view !== 'graph') this.showTab(this.state.view, false);
    this.renderSide();
  }

  async fetchExpansion(subject, nodeId = this.findSubjectNode(subject)) {
    const body = { ...(subject.tx ? { tx: subject.tx } : { address: subject.address }), chain: subject.chain,
      policy: this.request.policy || this.model.main.result.params?.policy || 'haircut', direction: this.request.direction || 'forward', max_hops: 1, graph: true, flows: 'crossings' };
    if (this.request.min_amount) body.min_amount = this.request.min_amount;
    // An address is followed from when the taint reached it (not its whole history), as
    // an investigator expanding it means; the node's first arrival is in the main trace.
    const t = nodeId && this.model.nodes.get(nodeId).time;
    if (subject.address && t != null && body.direction === 'forward') body.since = t;
    const doc = await post('/v1/traces', body);
    return this.model.addDoc(doc, { ...subject, nodeId });
  }

  findSubjectNode(s) {
    for (const n of this.model.nodes.values()) {
      if (n.chain !== s.chain) continue;
      if (s.tx && (n.tx === s.tx || n.outpoint === s.tx || n.ep?.parts.some((p) => `${p.tx}:${p.vout}` === s.tx))) return n.id;
      if (s.address && n.address && n.address.toLowerCase() === s.address.toLowerCase()) return n.id;
    }
    return null;
  }

  // ---- derived graph ----------------------------------------------------------------------
  filterOpts() {
    const f = this.state.filters;
    const dustAsset = f.asset || this.model.asset;
    let dust = null;
    if (f.dust) { const u = parseUnits(f.dust, this.model.decimalsOf(dustAsset)); if (u != null && u > 0n) dust = { asset: dustAsset, units: u }; }
    const day = (s, end) => (s ? Date.parse(`${s}T00:00:00Z`) / 1000 + (end ? 86399 : 0) : null);
    return { hidden: new Set(this.state.hidden), dust, chain: f.chain, asset: f.asset, from: day(f.from), until: day(f.to, true) };
  }

  /** Recomputes what is drawn; with relayout, the structure (collapses) and positions too.
   *  Rebuilds may overlap (a filter typed while a big layout runs): only the latest draws,
   *  and a rebuild waits for the layout in flight so positions always match the structure. */
  async rebuild({ relayout = false } = {}) {
    if (!this.model.main || !this.gv) return;
    const seq = ++this.rebuildSeq;
    const t0 = performance.now();
    if (relayout || !this.st) this.layoutPromise = this.relayout();
    await this.layoutPromise;
    if (seq !== this.rebuildSeq || !this.gv) return;
    const t2 = performance.now();
    this.v = viewOf(this.model, this.st, this.filterOpts());
    this.timings.view_ms = Math.round(performance.now() - t2);
    if (this.v.nodes.length > 5000) { await breathe(); if (seq !== this.rebuildSeq || !this.gv) return; }
    this.draw();
    this.timings.draw_ms = Math.round(performance.now() - t2) - this.timings.view_ms;
    this.timings.rebuild_ms = Math.round(performance.now() - t0);
    this.timelineDirty = true;
    if (this.state.view === 'timeline') this.drawTimeline();
  }

  /** The structure graph and its hop-layered positions (worker); sets st, pos and bbox
   *  together when the layout is back, unless a newer relayout started meanwhile. */
  async relayout() {
    const ts = performance.now();
    const st = structure(this.model, { collapsedClusters: new Set(this.state.collapsed), hubLimit: this.state.hub_limit, openedHubs: new Set(this.state.opened) });
    this.timings.structure_ms = Math.round(performance.now() - ts);
    const seq = ++this.layoutSeq;
    this.graphStatus.textContent = `Laying out ${st.nodes.size.toLocaleString('en')} nodes…`;
    const ids = [...st.nodes.keys()];
    const index = new Map(ids.map((id, i) => [id, i]));
    const hops = Int32Array.from(ids, (id) => st.nodes.get(id).hop);
    const pairs = new Int32Array(2 * st.edges.length);
    st.edges.forEach((e, i) => { pairs[2 * i] = index.get(e.source); pairs[2 * i + 1] = index.get(e.target); });
    const t1 = performance.now();
    performance.mark('sleuth-layout-start');
    const { pos, ms } = await runLayout(ids.length, hops, pairs);
    performance.mark('sleuth-layout-end');
    if (seq !== this.layoutSeq) return;
    if (ids.length > 5000) { this.graphStatus.textContent = `Drawing ${ids.length.toLocaleString('en')} nodes…`; await breathe(); }
    this.timings.layout_worker_ms = Math.round(ms);
    this.timings.layout_wait_ms = Math.round(performance.now() - t1);
    const map = new Map();
    ids.forEach((id, i) => map.set(id, { x: pos[2 * i], y: pos[2 * i + 1] }));
    for (const [id, p] of Object.entries(this.state.pinned)) if (map.has(id)) map.set(id, { x: p[0], y: p[1] });
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of map.values()) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
    this.st = st;
    this.pos = map;
    this.bbox = Number.isFinite(x0) ? { x: [x0 - 1, x1 + 1], y: [y0 - 1, y1 + 1] } : null;
  }

  nodeLabel(s) {
    if (s.kind !== 'node') return s.label;
    const n = s.node;
    const tag = n.ep?.tags?.[0];
    if (tag) return tag.label;
    if (n.ep?.cluster?.tag) return `${n.ep.cluster.tag.label} (cluster)`;
    if (n.type === 'tx') return `tx ${short(n.tx, 8)}`;
    return short(n.address || n.outpoint || n.pseudo || n.id, 8);
  }

  draw() {
    const m = this.model;
    const amts = new Map();         // id -> [nodeAmount, its coins, label]: made once for both loops
    const nodes = this.v.nodes.map((s) => {
      const p = this.pos.get(s.id) || { x: 0, y: 0 };
      const amt = nodeAmount(m, s);
      const c = coins(m, amt.asset, amt.units);
      const label = this.nodeLabel(s);
      amts.set(s.id, [amt, c, label]);
      const special = s.kind !== 'node' || s.node.status === 'source';
      // Tagged endpoints are drawn larger, so Sigma's label grid names them first.
      const tagged = !!s.node?.ep?.tags?.length;
      const size = s.kind !== 'node' ? 9 + 2 * Math.log10(s.members.length) : s.node.status === 'source' ? 11 : Math.min(16, 3 + 1.4 * Math.log10(1 + c * 100) + (tagged ? 3 : 0));
      return { id: s.id, x: p.x, y: p.y, size, color: fillColor(s), ringColor: chainColor(s.chain), label,
        forceLabel: special && (s.kind !== 'node' ? false : m.sources.length <= 5), zIndex: special || tagged ? 1 : 0, baseZ: special || tagged ? 1 : 0,
        lodKeep: s.kind === 'node' && s.node.status === 'source' };
    });
    // Edge width: log of the amount, per asset between its smallest and largest drawn edge.
    const range = new Map();
    for (const e of this.v.edges) {
      const c = coins(m, e.asset, e.amount);
      const r = range.get(e.asset) || [Infinity, -Infinity];
      range.set(e.asset, [Math.min(r[0], c), Math.max(r[1], c)]);
    }
    // One drawn edge per pair of nodes (several assets between two accounts share it: the
    // widest of their widths, magenta if any of them crosses).
    const pairs = new Map();
    for (const e of this.v.edges) {
      const [lo, hi] = range.get(e.asset);
      const c = coins(m, e.asset, e.amount);
      const t = hi > lo && c > 0 ? (Math.log(c) - Math.log(Math.max(lo, 1e-12))) / (Math.log(hi) - Math.log(Math.max(lo, 1e-12))) : 0.5;
      const size = 0.6 + 3.4 * Math.max(0, Math.min(1, t));
      // the level of detail ranks edges by amount over the largest edge of their asset
      const weight = hi > 0 ? c / hi : 0;
      const id = `${e.source}>${e.target}`;
      const d = pairs.get(id);
      // (the amounts' text, the SVG export's tooltip, is made when exported: parts)
      if (!d) pairs.set(id, { id, source: e.source, target: e.target, size, weight, crossing: e.crossing, chain: e.chain, parts: [e] });
      else { d.size = Math.max(d.size, size); d.weight = Math.max(d.weight, weight); d.crossing = d.crossing || e.crossing; d.parts.push(e); }
    }
    const edges = [...pairs.values()].map((d) => ({ id: d.id, source: d.source, target: d.target, size: d.size, weight: d.weight, crossing: d.crossing, parts: d.parts,
      color: d.crossing ? CROSSING_COLOR : EDGE_TINT[d.chain] || '#bfc6d0', label: d.crossing ? 'crossing' : undefined, zIndex: d.crossing ? 1 : 0 }));
    this.drawn = { nodes, edges };
    this.gv.setData(nodes, edges, this.bbox);
    const fast = this.state.fast ?? nodes.length + edges.length > FAST_ITEMS;
    this.fastBox.checked = fast;
    this.gv.setFast(fast);
    this.graphEl.dataset.nodes = String(nodes.length);
    this.graphEl.dataset.edges = String(edges.length);
    const hiddenN = this.state.hidden.length;
    this.fl.hidden.textContent = hiddenN ? `${hiddenN} hidden` : 'none hidden';
    this.graphStatus.textContent = `${nodes.length.toLocaleString('en')} nodes, ${edges.length.toLocaleString('en')} edges shown of ${this.model.nodes.size.toLocaleString('en')} / ${this.model.edges.size.toLocaleString('en')}`;
    // The list: source first, then by hop, then the larger amounts.
    const items = this.v.nodes.map((s) => {
      const [amt, c, label] = amts.get(s.id);
      const n = s.node;
      let search = null;
      // search is made on the first find; sub and title only for the rows the list draws
      return { id: s.id, label, color: fillColor(s), hop: s.hop, c, src: n?.status === 'source',
        get search() { return search ??= [s.id, label, n?.address, n?.tx, ...(n?.ep?.tags || []).map((t) => `${t.label} ${t.category}`), n?.ep?.cluster?.id].join(' ').toLowerCase(); },
        get sub() { return `h${s.hop} · ${fmtAmount(amt.units, m.decimalsOf(amt.asset), { maxFrac: 4 })} ${amt.asset}`; },
        get title() { return `${s.id}\n${s.kind === 'node' ? n.status : s.label}`; } };
    });
    items.sort((a, b) => (b.src - a.src) || (a.hop - b.hop) || (b.c - a.c));
    this.nodeList.setItems(items);
    if (this.selected) this.nodeList.setSelected(this.selected);
    this.renderSide();
  }

  /** The level-of-detail line over the graph (graph.js calls it after each choice). */
  showLod(info) {
    const el = this.lodStatus;
    this.lodInfo = info;
    el.dataset.reduced = String(!!info.reduced);
    el.dataset.drawnNodes = String(info.drawnNodes);
    el.dataset.drawnEdges = String(info.drawnEdges);
    for (const k of ['shownEdges', 'inViewEdges', 'shownNodes', 'inViewNodes']) {
      if (info.on) el.dataset[k] = String(info[k]); else delete el.dataset[k];
    }
    const f = (n) => n.toLocaleString('en');
    el.hidden = !info.reduced;
    el.textContent = info.reduced
      ? `Reduced detail: showing ${f(info.shownEdges)} of ${f(info.inViewEdges)} edges${info.shownNodes < info.inViewNodes ? ` and ${f(info.shownNodes)} of ${f(info.inViewNodes)} nodes` : ''} in view (crossings, then the largest amounts) — zoom in for all. The node list, find, Sankey and timeline have everything.`
      : '';
  }

  // ---- selection and panels ---------------------------------------------------------------
  /** The structure node that shows model node (or structure node) id. */
  ownerOf(id) {
    if (!this.st) return null;
    if (this.st.nodes.has(id)) return id;
    for (const s of this.st.nodes.values()) if (s.kind !== 'node' && s.members.includes(id)) return s.id;
    return null;
  }

  select(id, { center = true } = {}) {
    const sid = this.ownerOf(id);
    if (!sid) return false;
    this.selected = sid;
    this.state.selected = sid;
    this.gv?.highlight(sid);
    if (center) this.gv?.center(sid);
    this.nodeList.setSelected(sid);
    this.renderPanel(sid);
    return true;
  }

  renderPanel(sid) {
    const s = this.st?.nodes.get(sid);
    if (!s) { mount(this.panel); return; }
    const m = this.model;
    const close = h('button.link.tv-close', { type: 'button', 'aria-label': 'Close the node panel', on: { click: () => { this.selected = null; this.state.selected = null; this.gv.highlight(null); mount(this.panel); } } }, '×');
    const rows = [];
    const row = (k, ...v) => rows.push(h('tr', h('th', k), h('td', ...v)));
    const btns = [];
    if (s.kind === 'node') {
      const n = s.node;
      row('chain', h('span.tv-chip', { style: { borderColor: chainColor(n.chain) } }, n.chain));
      row('type', n.type);
      row('status', n.status);
      row('hop', String(n.hop));
      if (n.address) row('address', h('a.mono', { href: link.address(n.chain, n.address) }, n.address));
      if (n.tx) row('transaction', h('a.mono', { href: link.tx(n.chain, n.tx) }, n.tx));
      if (n.outpoint) row(n.origin ? 'origin' : 'output', h('a.mono', { href: link.tx(n.chain, n.outpoint.split(':')[0]) }, n.outpoint));
      if (n.time != null) row('first arrival', fmtTime(n.time));
      if (n.amount != null && !n.ep) row('ended here', h('span', { 'data-units': String(n.amount) }, n.amount_label || String(n.amount)));
      for (const [a, v] of n.inflow) row(`in (${a})`, h('span', { 'data-units': String(v) }, `${fmtAmount(v, m.decimalsOf(a))} ${a}`));
      for (const [a, v] of n.outflow) row(`out (${a})`, h('span', { 'data-units': String(v) }, `${fmtAmount(v, m.decimalsOf(a))} ${a}`));
      const ep = n.ep;
      if (ep) {
        for (const [a, v] of ep.amounts) row(`ended here (${a})`, h('span', { 'data-units': String(v) }, `${fmtAmount(v, m.decimalsOf(a))} ${a}`), ' ', [...ep.statuses].join(', '));
        for (const [a, v] of ep.later) row(`in expansions (${a})`, h('span', { 'data-units': String(v) }, `${fmtAmount(v, m.decimalsOf(a))} ${a}`));
        if (ep.cluster) {
          const c = ep.cluster;
          const key = clusterKey(n);
          const inGraph = clustersInModel(m).find((x) => x.key === key);
          row('cluster', h('a', { href: link.cluster(n.chain, c.id) }, `cluster ${c.id}`), ` · ${c.size} address${c.size === 1 ? '' : 'es'}`, c.tag ? ` · ${c.tag.label} [${c.tag.category}]` : '',
            inGraph ? h('button.link', { type: 'button', 'data-testid': 'collapse-cluster', on: { click: () => this.collapseCluster(key) } }, ` collapse ${inGraph.members.length} in graph`) : null);
        }
      }
      btns.push(h('button', { type: 'button', 'data-testid': 'expand-node', disabled: !(n.tx || n.address || n.outpoint) || n.origin,
        title: 'Trace one more hop from here with the same policy, merged into this graph', on: { click: (ev) => this.expandFromPanel(ev.currentTarget, sid) } }, 'Expand 1 hop'));
      if (this.state.opened.includes(sid)) btns.push(h('button.secondary', { type: 'button', on: { click: () => this.recollapse(sid) } }, 'Collapse its leaves'));
      if (ep?.tags?.length) {
        rows.push(h('tr', h('th', 'tags'), h('td', h('ul.tv-tags', ep.tags.map((t) => h('li',
          h('span.tv-dot', { style: { background: categoryColor(t.category) } }), h('b', t.label), ` [${t.category}]`,
          h('div.hint', `source: ${t.source}${t.pack ? ` · ${t.pack}` : ''}${t.file ? ` (${t.file})` : ''} · confidence ${t.confidence_level ?? t.confidence}${t.actor ? ` · actor ${t.actor}` : ''}`)))))));
      }
    } else {
      row('kind', s.kind === 'group' ? 'collapsed neighbours (a service?)' : 'collapsed cluster');
      row('members', String(s.members.length));
      row('hop', String(s.hop));
      const amt = nodeAmount(m, s);
      row('amount', h('span', { 'data-units': String(amt.units) }, `${fmtAmount(amt.units, m.decimalsOf(amt.asset))} ${amt.asset}`));
      btns.push(h('button', { type: 'button', 'data-testid': 'open-node', on: { click: () => this.open(sid) } }, s.kind === 'group' ? `Show the ${s.members.length}` : 'Expand the cluster'));
      rows.push(h('tr', h('th', 'first members'), h('td', h('ul.tv-members', s.members.slice(0, 30).map((id) => h('li.mono', short(id, 12)))))));
    }
    btns.push(h('button.secondary', { type: 'button', 'data-testid': 'hide-node', on: { click: () => this.hide(sid) } }, 'Hide'));
    const note = h('textarea', { 'data-testid': 'node-note', rows: 3, placeholder: 'Note on this node (saved with the case)', 'aria-label': 'Note on this node' });
    note.value = this.state.notes.nodes[sid] || '';
    note.addEventListener('input', () => { const t = note.value; if (t.trim()) this.state.notes.nodes[sid] = t; else delete this.state.notes.nodes[sid]; this.markDirty(); });
    // The node's edges (model edges), largest first: each opens the edge panel.
    const es = [];
    for (const e of this.model.edges.values()) if (s.members.includes(e.source) || s.members.includes(e.target)) es.push(e);
    es.sort((a, b) => coins(m, b.asset, b.amount) - coins(m, a.asset, a.amount));
    const edgeList = es.length ? h('details.tv-edges', { open: es.length <= 12 }, h('summary', `${es.length} edge${es.length === 1 ? '' : 's'}`),
      h('ul', es.slice(0, 100).map((e) => h('li', h('button.link', { type: 'button', 'data-testid': 'edge-item', 'data-edge-key': e.key, on: { click: () => this.renderEdgePanel(e.key) } },
        `${s.members.includes(e.source) ? '→' : '←'} ${fmtAmount(e.amount, m.decimalsOf(e.asset), { maxFrac: 6 })} ${e.asset}${e.crossing ? ' (crossing)' : ''}${this.state.notes.edges[e.key] ? ' ✎' : ''}`))))) : null;
    mount(this.panel, h('div.tv-panel-head', h('h2', this.nodeLabel(s)), close),
      h('div.mono.hint', s.id), h('div.row.tv-btns', btns),
      h('label.tv-note', h('span', 'Note'), note), h('table.tv-kv', rows), edgeList);
  }

  renderEdgePanel(key) {
    const e = this.model.edges.get(key);
    if (!e) return;
    const m = this.model;
    const rows = [];
    const row = (k, ...v) => rows.push(h('tr', h('th', k), h('td', ...v)));
    const nodeBtn = (id) => h('button.link.mono', { type: 'button', on: { click: () => this.select(id) } }, short(id, 10));
    row('from', nodeBtn(e.source));
    row('to', nodeBtn(e.target));
    row('amount', h('span', { 'data-units': String(e.amount) }, `${fmtAmount(e.amount, m.decimalsOf(e.asset))} ${e.asset}`));
    row('chain', e.chain);
    if (e.tx) row('transaction', h('a.mono', { href: link.tx(e.chain, e.tx) }, e.tx), e.vout != null ? ` output ${e.vout}` : e.flow != null ? ` flow ${e.flow}` : '');
    if (e.time != null) row('time', fmtTime(e.time));
    row('status of target', e.status);
    if (e.crossing) row('crossing', e.link || 'the chain changes here');
    const note = h('textarea', { 'data-testid': 'edge-note', rows: 3, placeholder: 'Note on this edge (saved with the case)', 'aria-label': 'Note on this edge' });
    note.value = this.state.notes.edges[key] || '';
    note.addEventListener('input', () => { const t = note.value; if (t.trim()) this.state.notes.edges[key] = t; else delete this.state.notes.edges[key]; this.markDirty(); });
    const back = this.selected ? h('button.link', { type: 'button', on: { click: () => this.renderPanel(this.selected) } }, '← node') : null;
    mount(this.panel, h('div.tv-panel-head', h('h2', 'Edge'), back),
      h('div.mono.hint', { 'data-testid': 'edge-panel', 'data-edge-key': key }, key), h('table.tv-kv', rows), h('label.tv-note', h('span', 'Note'), note));
    note.focus();
  }

  /** The right column under the panel: the legend and the crossings. */
  renderSide() {
    if (!this.v) return;
    const m = this.model;
    const crossings = [];
    for (const e of this.v.edges) if (e.crossing) for (const k of e.members) crossings.push(m.edges.get(k));
    const cats = new Map();
    for (const s of this.v.nodes) if (s.kind === 'node' && s.node.category) cats.set(s.node.category, (cats.get(s.node.category) || 0) + 1);
    const chains = new Map();
    for (const s of this.v.nodes) chains.set(s.chain, (chains.get(s.chain) || 0) + 1);
    const sw = (color, text, ring) => h('li', h('span.tv-dot', { style: { background: color, borderColor: ring || color } }), text);
    mount(this.side,
      h('details.tv-legend', { open: true }, h('summary', 'Legend'),
        h('ul', sw(CATEGORY_COLORS.source, 'source'), sw(CATEGORY_COLORS.held, 'held'), sw('#9aa3ad', 'stopped (max hops…)'), sw('#d5dbe3', 'transaction'),
          sw('#eef1f5', 'address / account'), sw('#6b6ecf', 'collapsed neighbours'),
          [...cats].map(([c, n]) => sw(categoryColor(c), `${c} (${n})`)),
          [...chains].map(([c, n]) => sw('#fff', `${c} ring (${n})`, chainColor(c))),
          h('li', h('span.tv-line', { style: { background: CROSSING_COLOR } }), 'crossing'))),
      h('details.tv-crossings', { 'data-testid': 'crossings', open: crossings.length > 0 && crossings.length <= 40 },
        h('summary', `Crossings (${crossings.length})`),
        h('ul', crossings.slice(0, 300).map((e) => h('li', h('button.link', { type: 'button', 'data-edge-key': e.key, on: { click: () => this.renderEdgePanel(e.key) } },
          `${m.nodes.get(e.source)?.chain} → ${m.nodes.get(e.target)?.chain}: ${fmtAmount(e.amount, m.decimalsOf(e.asset), { maxFrac: 6 })} ${e.asset}`),
          e.link ? h('div.hint', short(e.link, 40)) : null)))));
  }

  // ---- actions ----------------------------------------------------------------------------
  async expandFromPanel(btn, sid) {
    btn.disabled = true;
    btn.textContent = 'Expanding…';
    try {
      const r = await this.expand(sid);
      this.flash(`Expanded: ${r.nodes} new node${r.nodes === 1 ? '' : 's'}, ${r.edges} new edge${r.edges === 1 ? '' : 's'}.`);
    } catch (e) {
      this.flash(`Expansion failed: ${e.message}`, true);
      btn.disabled = false;
      btn.textContent = 'Expand 1 hop';
    }
  }

  /** What a 1-hop expansion of model node n traces: a UTXO address is followed from the
   *  outputs the taint reached it in (its endpoint's tx:vout, not the address's whole
   *  history); an account from when the taint arrived; a transaction from all its outputs. */
  expansionSubjects(n) {
    const parts = (n.ep?.parts || []).filter((p) => p.tx && p.vout != null && p.vin == null && /held|max-hops|truncated|tagged/.test(p.status));
    if (n.type === 'address' && n.address && parts.length) return [...new Set(parts.map((p) => `${p.tx}:${p.vout}`))].slice(0, 25).map((tx) => ({ tx, chain: n.chain }));
    if (n.tx) return [{ tx: n.tx, chain: n.chain }];
    if (n.outpoint && !n.origin) return [{ tx: n.outpoint, chain: n.chain }];
    if (n.address) return [{ address: n.address, chain: n.chain }];
    return [];
  }

  /** POST 1-hop traces from node id (same policy and direction), merge them, record them in
   *  state.expanded. Resolves to {nodes, edges}: what the graph gained. */
  async expand(id) {
    const sid = this.ownerOf(id);
    const s = sid && this.st.nodes.get(sid);
    if (!s || s.kind !== 'node') throw new Error('only a single node can be expanded');
    const subjects = this.expansionSubjects(s.node);
    if (!subjects.length) throw new Error('this node has no transaction or address to trace from');
    const r = { nodes: 0, edges: 0 };
    for (const subject of subjects) {
      const x = await this.fetchExpansion(subject, s.node.id);
      r.nodes += x.nodes; r.edges += x.edges;
      if (!this.state.expanded.some((e) => e.chain === subject.chain && e.tx === subject.tx && e.address === subject.address)) this.state.expanded.push(subject);
    }
    this.markDirty();
    await this.rebuild({ relayout: true });
    this.renderConservation();
    this.fillFilterChoices();
    this.select(sid);
    return r;
  }

  hide(sid) {
    if (!this.state.hidden.includes(sid)) this.state.hidden.push(sid);
    if (this.selected === sid) { this.selected = null; this.state.selected = null; mount(this.panel); }
    this.markDirty();
    this.rebuild();
  }

  collapseCluster(key) {
    if (!this.state.collapsed.includes(key)) this.state.collapsed.push(key);
    this.markDirty();
    this.rebuild({ relayout: true }).then(() => this.select(`cluster:${key}`));
  }

  /** Opens a collapsed group (its hub's leaves are shown) or a collapsed cluster. */
  open(sid) {
    const s = this.st?.nodes.get(sid);
    if (!s || s.kind === 'node') return;
    if (s.kind === 'group') { if (!this.state.opened.includes(s.hub)) this.state.opened.push(s.hub); }
    else this.state.collapsed = this.state.collapsed.filter((k) => `cluster:${k}` !== sid);
    this.markDirty();
    const next = s.kind === 'group' ? s.hub : s.members[0];
    this.rebuild({ relayout: true }).then(() => this.select(next));
  }

  recollapse(hub) {
    this.state.opened = this.state.opened.filter((x) => x !== hub);
    this.markDirty();
    this.rebuild({ relayout: true }).then(() => this.select(hub));
  }

  toggleForce() {
    if (!this.gv) return;
    if (this.gv.forceRunning()) { this.gv.stopForce(); return; }
    this.forceBtn.textContent = 'Stop force layout';
    this.forceBtn.setAttribute('aria-pressed', 'true');
    this.gv.startForce((pos, bbox) => {
      for (const [id, p] of pos) this.pos.set(id, p);
      this.bbox = bbox;
      this.forceBtn.textContent = 'Force layout';
      this.forceBtn.setAttribute('aria-pressed', 'false');
    });
  }

  graphKey(ev) {
    if (!this.gv) return;
    const step = 0.1;
    const k = ev.key;
    if (k === '+' || k === '=') this.gv.zoom(1.5);
    else if (k === '-') this.gv.zoom(1 / 1.5);
    else if (k === '0') this.gv.resetCamera();
    else if (k === 'ArrowLeft') this.gv.pan(-step, 0);
    else if (k === 'ArrowRight') this.gv.pan(step, 0);
    else if (k === 'ArrowUp') this.gv.pan(0, step);
    else if (k === 'ArrowDown') this.gv.pan(0, -step);
    else if (k === 'Enter' && this.selected) this.gv.center(this.selected);
    else return;
    ev.preventDefault();
  }

  flash(text, error = false) {
    mount(this.toast, notice(error ? 'error' : 'ok', text));
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => mount(this.toast), 8000);
  }

  // ---- conservation, filters' choices -----------------------------------------------------
  renderConservation() {
    mount(this.consHost, conservation(this.model.main.result, { expansions: this.model.expansions.length }));
  }

  fillFilterChoices() {
    const keep = (sel, values) => {
      const cur = sel.value;
      mount(sel, sel.options[0], values.map((v) => h('option', { value: v }, v)));
      sel.value = values.includes(cur) ? cur : '';
    };
    keep(this.fl.chain, this.model.chains());
    keep(this.fl.asset, this.model.assets());
  }

  applyFiltersToInputs() {
    const f = this.state.filters;
    this.fl.dust.value = f.dust || '';
    for (const k of ['chain', 'asset']) {
      if (f[k] && ![...this.fl[k].options].some((o) => o.value === f[k])) this.fl[k].append(h('option', { value: f[k] }, f[k]));
      this.fl[k].value = f[k] || '';
    }
    this.fl.from.value = f.from || '';
    this.fl.to.value = f.to || '';
    this.fl.hub.value = String(this.state.hub_limit);
    this.updateDustUnit();
  }

  updateDustUnit() {
    const a = this.state.filters.asset || this.model.asset || '';
    this.fl.dustUnit.textContent = a;
    this.fl.dust.title = `Edges in ${a} below this amount are hidden${this.state.filters.asset ? '' : '; edges in other assets are not affected'}`;
  }

  // ---- tabs -------------------------------------------------------------------------------
  showTab(name, focus = false) {
    this.state.view = name;
    this.tabs.forEach((t) => {
      const on = t.id === `tab-${name}`;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      if (on && focus) t.focus();
    });
    for (const [k, p] of Object.entries(this.panes)) p.hidden = k !== name;
    if (name === 'sankey') this.drawSankey();
    if (name === 'timeline') this.drawTimeline();
    if (name === 'graph' && this.gv) this.gv.renderer.refresh();
  }

  tabKey(ev, name) {
    const names = ['graph', 'sankey', 'timeline'];
    const i = names.indexOf(name);
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % 3;
    else if (ev.key === 'ArrowLeft') j = (i + 2) % 3;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = 2;
    if (j == null) return;
    ev.preventDefault();
    this.showTab(names[j], true);
    this.markDirty();
  }

  async drawSankey() {
    if (this.sankeyDrawn || !this.model.main) return;
    const { drawSankey } = await import('./sankey.js');
    drawSankey(this.sankeyHost, this.model, { width: Math.max(800, this.root.clientWidth - 20), height: this.panes.sankey.clientHeight - 16 });
    this.sankeyDrawn = true;
  }

  async drawTimeline() {
    if (!this.timelineDirty || !this.v) return;
    const { drawTimeline } = await import('./timeline.js');
    const m = this.model;
    const flows = [];
    for (const e of this.v.edges) for (const k of e.members) { const x = m.edges.get(k); flows.push({ time: x.time, asset: x.asset, units: x.amount, tx: x.tx }); }
    const held = [];
    const shown = new Set();
    for (const s of this.v.nodes) for (const id of s.members) shown.add(id);
    for (const n of m.nodes.values()) {
      if (!n.ep || !shown.has(n.id)) continue;
      for (const p of n.ep.parts) {
        if (p.status !== 'held' || p.doc) continue;
        held.push({ chain: n.chain, address: n.address, label: n.ep.tags?.[0]?.label, asset: p.asset, units: big(p.amount), first_arrival: p.first_arrival ?? n.ep.first_arrival });
      }
    }
    // One bar per address and asset: the parts summed, the earliest arrival.
    const byKey = new Map();
    for (const d of held) {
      const k = `${d.chain}|${d.address}|${d.asset}`;
      const o = byKey.get(k);
      if (!o) byKey.set(k, { ...d });
      else { o.units += d.units; if (d.first_arrival != null && d.first_arrival < o.first_arrival) o.first_arrival = d.first_arrival; }
    }
    this.timeline = drawTimeline(this.timelineHost, m, flows, [...byKey.values()], this.tips, { width: Math.max(800, this.root.clientWidth - 20) });
    this.timelineDirty = false;
  }

  // ---- exports ----------------------------------------------------------------------------
  baseName() { return `trace-${(this.request.tx || this.request.address || 'x').slice(0, 16).replace(/[^\w.-]/g, '_')}`; }

  async exportPNG() { if (this.gv) download(`${this.baseName()}.png`, await this.gv.toPNG()); }

  exportSVG() {
    if (!this.drawn) return;
    const g = this.gv.graph;
    const nodes = this.drawn.nodes.map((n) => ({ ...n, ...(g.hasNode(n.id) ? { x: g.getNodeAttribute(n.id, 'x'), y: g.getNodeAttribute(n.id, 'y') } : {}), showLabel: n.forceLabel, title: n.id }));
    const m = this.model;
    const edges = this.drawn.edges.map((e) => ({ ...e, title: e.parts.map((x) => `${fmtAmount(x.amount, m.decimalsOf(x.asset))} ${x.asset}`).join(', ') }));
    download(`${this.baseName()}.svg`, toSVG(nodes, edges, { title: `sleuth trace of ${this.request.tx || this.request.address}` }), 'image/svg+xml');
  }

  /** The shown model edges (the members of every drawn edge). */
  shownEdges() {
    const out = [];
    for (const e of this.v.edges) for (const k of e.members) out.push(this.model.edges.get(k));
    return out;
  }

  exportGEXF() {
    if (!this.v) return;
    const m = this.model;
    const g = this.gv.graph;
    const nodes = this.v.nodes.map((s) => {
      const n = s.node;
      const p = g.hasNode(s.id) ? g.getNodeAttributes(s.id) : this.pos.get(s.id) || { x: 0, y: 0 };
      const amt = nodeAmount(m, s);
      return { id: s.id, label: this.nodeLabel(s), type: n ? n.type : s.kind, chain: s.chain, status: n ? n.status : s.kind,
        time: n ? n.time : null, amount: n ? n.amount : String(amt.units), amount_label: n ? n.amount_label : `${fmtAmount(amt.units, m.decimalsOf(amt.asset), { group: false })} ${amt.asset}`,
        x: p.x, y: p.y, color: fillColor(s), size: p.size || 3 };
    });
    const owner = new Map();
    for (const s of this.v.nodes) for (const id of s.members) owner.set(id, s.id);
    const edges = this.shownEdges().map((e) => ({ ...e, ...edgeAmountLabel(m, e), source: owner.get(e.source) || e.source, target: owner.get(e.target) || e.target, index: e.vout ?? e.flow }));
    download(`${this.baseName()}.gexf`, toGEXF(nodes, edges), 'application/gexf+xml');
  }

  exportCSV() {
    if (!this.v) return;
    const m = this.model;
    const rows = this.shownEdges().map((e) => ({ ...e, ...edgeAmountLabel(m, e), amount: String(e.amount), index: e.vout ?? e.flow, crossing: e.crossing ? 'yes' : '', note: this.state.notes.edges[e.key] || '' }));
    download(`${this.baseName()}-edges.csv`, toCSV(rows), 'text/csv');
  }

  // ---- cases ------------------------------------------------------------------------------
  applyCase(c) {
    this.caseVersion = c.version;
    this.caseTitle.value = c.title || '';
    const s = c.state || {};
    const st = this.state;
    st.expanded = Array.isArray(s.expanded) ? s.expanded.filter((x) => x && (x.tx || x.address) && x.chain) : [];
    st.hidden = Array.isArray(s.hidden) ? s.hidden.map(String) : [];
    st.notes = { nodes: { ...(s.notes?.nodes || {}) }, edges: { ...(s.notes?.edges || {}) } };
    if (['graph', 'sankey', 'timeline'].includes(s.view)) st.view = s.view;
    if (s.filters && typeof s.filters === 'object') for (const k of Object.keys(st.filters)) if (typeof s.filters[k] === 'string') st.filters[k] = s.filters[k];
    if (s.pinned && typeof s.pinned === 'object') st.pinned = { ...s.pinned };
    if (Array.isArray(s.collapsed)) st.collapsed = s.collapsed.map(String);
    if (Array.isArray(s.opened)) st.opened = s.opened.map(String);
    if (Number.isInteger(s.hub_limit) && s.hub_limit >= 2) st.hub_limit = s.hub_limit;
    if (typeof s.selected === 'string') st.selected = s.selected;
    if (typeof s.fast === 'boolean') st.fast = s.fast;
    this.setCaseStatus(`Case ${c.id} (version ${c.version}${c.author ? `, by ${c.author}` : ''}, saved ${fmtTime(c.updated)})`);
    this.caseExports.hidden = false;
  }

  setCaseStatus(text, kind = '') {
    this.caseStatus.textContent = text;
    this.caseStatus.title = text;
    this.caseStatus.className = `tv-case-status ${kind}`;
  }

  markDirty() {
    if (this.dirty) return;
    this.dirty = true;
    if (this.caseId) this.setCaseStatus(`Case ${this.caseId}: unsaved changes`, 'warn');
  }

  async saveCase() {
    if (!this.request || (!this.request.tx && !this.request.address)) { this.setCaseStatus('Run a trace before saving it as a case.', 'error'); return; }
    const title = this.caseTitle.value.trim() || `Trace of ${short(this.request.tx || this.request.address, 12)}`;
    this.caseTitle.value = title;
    const trace = { ...this.request, graph: true };
    const body = { title, trace, state: JSON.parse(JSON.stringify(this.state)) };
    this.setCaseStatus('Saving…');
    try {
      const r = this.caseId
        ? await put(`/v1/cases/${enc(this.caseId)}`, { ...body, version: this.caseVersion })
        : await post('/v1/cases', body);
      const c = r.case;
      this.caseId = c.id;
      this.caseVersion = c.version;
      this.dirty = false;
      if (location.hash !== link.case(c.id)) history.replaceState(null, '', link.case(c.id));
      this.caseExports.hidden = false;
      this.setCaseStatus(`Saved as case ${c.id} (version ${c.version}) at ${fmtTime(c.updated)}`, 'ok');
    } catch (e) {
      if (e.status === 409) {
        mount(this.caseStatus, `Case ${this.caseId} changed elsewhere: `,
          h('button.link', { type: 'button', 'data-testid': 'case-reload', title: 'Open the saved case (the changes made here are lost)',
            on: { click: () => { window.dispatchEvent(new HashChangeEvent('hashchange')); } } }, 'reload it'),
          ' or save again after reloading.');
        this.caseStatus.title = `${e.message}: someone saved case ${this.caseId} after you opened it`;
        this.caseStatus.className = 'tv-case-status error';
      } else {
        this.setCaseStatus(`Not saved: ${e.message}`, 'error');
      }
    }
  }

  async exportCase(format) {
    if (!this.caseId) return;
    try {
      const res = await api(`/v1/cases/${enc(this.caseId)}/export?format=${format}`, { raw: true });
      download(`case-${this.caseId}.${format}`, await res.blob());
    } catch (e) {
      this.flash(`Case export failed: ${e.message}`, true);
    }
  }

  // ---- hooks for the browser test and the benchmarks --------------------------------------
  exposeHooks() {
    const self = this;
    window.__sleuth = {
      get graph() { return self.gv?.graph; },
      get renderer() { return self.gv?.renderer; },
      get model() { return self.model; },
      get state() { return self.state; },
      get timings() { return self.timings; },
      nodes: () => (self.v ? self.v.nodes.map((s) => ({ id: s.id, kind: s.kind, chain: s.chain, hop: s.hop, members: s.members.length, status: s.node?.status, label: self.nodeLabel(s) })) : []),
      edges: () => (self.v ? self.v.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, asset: e.asset, amount: String(e.amount), crossing: e.crossing, members: e.members })) : []),
      selectNode: (id) => self.select(id),
      expand: (id) => self.expand(id),
      frameStats: (ms) => (self.gv ? self.gv.frameStats(ms) : Promise.resolve({ frames: 0, fps: 0 })),
      // level of detail: what was drawn last; its thresholds changed (null: the defaults), then drawn again
      lod: () => self.lodInfo || null,
      setLod: (opts) => { if (!self.gv) return false; self.gv.setLodOptions(opts); self.draw(); return true; },
      // the benchmarks' baseline: the renderer drawing nothing
      clearGraph: () => { if (!self.gv) return false; self.gv.lod = null; self.gv.graph.clear(); self.gv.show(self.gv.graph); return true; },
      ready: () => !!self.v,
    };
  }

  destroy() {
    this.layoutSeq++;
    this.rebuildSeq++;
    this.gv?.kill();
    this.gv = null;
    this.main.classList.remove('wide');
    if (window.__sleuth && window.__sleuth.model === this.model) delete window.__sleuth;
  }
}
