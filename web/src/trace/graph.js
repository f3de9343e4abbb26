// trace/graph.js — the trace view's graph: Sigma.js 3 (WebGL) over a graphology graph, chosen
// over Cytoscape.js by bench/ui/renderers.mjs (docs/BENCHMARKS.md). Nodes are discs filled by
// what they are (an endpoint by its tag category, held, a transaction, a collapsed service or
// cluster) with a ring in their chain's colour (a custom WebGL program, NodeRingProgram); edge
// width is the amount on a log scale per asset; crossings (declared or chain-data links, or a
// change of chain) are magenta and labelled "crossing". Positions come from the hop-layered
// layout in a worker (runLayout) or, on demand, ForceAtlas2 in its own worker. A node can be
// dragged (it is then pinned where it was dropped), clicked (selected) and double-clicked (a
// collapsed group or cluster opens).
//
// Moving as an image ("fast motion"): in headless chromium WebGL is SwiftShader, on the CPU,
// and one Sigma frame of 5,000 nodes takes 150-300 ms whatever the renderer (see
// bench/ui/renderers.mjs). While the camera moves (drag, wheel, keys, centring), the last
// rendered frame is moved and scaled with a CSS transform of the element holding Sigma's
// canvases instead — the compositor's work on one layer, cheap at any graph size (the mouse
// layer is moved out of that element so pointer positions stay right) — and the graph is
// drawn again once the camera has been still for SETTLE_MS. Cytoscape.js calls the same idea textureOnViewport. It is on
// for graphs above FAST_ITEMS nodes + edges unless the user turns it off.
//
// Level of detail (lod.js): above LOD_ITEMS nodes + edges Sigma is given a second, reduced
// graphology graph (`display`) instead of the whole one (`graph`: complete, for exports,
// ForceAtlas2 and the hooks, and then built only when first asked for: importing 230k items
// into graphology costs ~0.5 s and memory a reduced view never needs; both share the same
// attribute objects, so a change made through one is seen by the other): inside the
// camera's view, the edges that carry the most amount up to a budget and their ends,
// everything when the view holds few enough. It is chosen again whenever the camera stops (after fast motion's settle, or
// SETTLE_MS after the last camera update without it), on selection, on drag and while
// ForceAtlas2 runs. A separate graph measured faster than Sigma's reducers with `hidden`:
// hidden items still go through Sigma's indexing and programs on every refresh.
// onLod(info) tells the view what is drawn, so it can say so on screen.
import Graph from 'graphology';
import Sigma from 'sigma';
import { NodeProgram, EdgeArrowProgram, EdgeLineProgram } from 'sigma/rendering';
import { floatColor, createNormalizationFunction, graphExtent } from 'sigma/utils';
import { categoryColor, CATEGORY_COLORS } from '../util.js';
import { LodIndex, LOD_ITEMS, EDGE_BUDGET, NODE_BUDGET, grow } from './lod.js';

export const CHAIN_COLORS = { bitcoin: '#f7931a', litecoin: '#345d9d', ethereum: '#627eea', tron: '#eb0029',
  bsc: '#d4a20b', polygon: '#8247e5', avalanche: '#e84142' };
export const chainColor = (c) => CHAIN_COLORS[c] || '#6b7280';
export const CROSSING_COLOR = '#d6007a';
const EDGE_TINT = { bitcoin: '#e2c7a3', litecoin: '#b3c2db', ethereum: '#b9c4ee', tron: '#efb3bb' };

// A disc with a ring: the fill is `color`, the outer 28% of the radius `ringColor`.
const RING_VERT = /* glsl */`
attribute vec4 a_id;
attribute vec4 a_color;
attribute vec4 a_ringColor;
attribute vec2 a_position;
attribute float a_size;
attribute float a_angle;
uniform mat3 u_matrix;
uniform float u_sizeRatio;
uniform float u_correctionRatio;
varying vec4 v_color;
varying vec4 v_ringColor;
varying vec2 v_diffVector;
varying float v_radius;
const float bias = 255.0 / 254.0;
void main() {
  float size = a_size * u_correctionRatio / u_sizeRatio * 4.0;
  vec2 diffVector = size * vec2(cos(a_angle), sin(a_angle));
  gl_Position = vec4((u_matrix * vec3(a_position + diffVector, 1)).xy, 0, 1);
  v_diffVector = diffVector;
  v_radius = size / 2.0;
  #ifdef PICKING_MODE
  v_color = a_id;
  v_ringColor = a_id;
  #else
  v_color = a_color;
  v_ringColor = a_ringColor;
  #endif
  v_color.a *= bias;
  v_ringColor.a *= bias;
}`;
const RING_FRAG = /* glsl */`
precision highp float;
varying vec4 v_color;
varying vec4 v_ringColor;
varying vec2 v_diffVector;
varying float v_radius;
uniform float u_correctionRatio;
const vec4 transparent = vec4(0.0, 0.0, 0.0, 0.0);
void main(void) {
  float aa = u_correctionRatio * 2.0;
  float d = length(v_diffVector);
  #ifdef PICKING_MODE
  gl_FragColor = d > v_radius ? transparent : v_color;
  #else
  float inner = v_radius * 0.72;
  vec4 c = d < inner - aa ? v_color : (d < inner ? mix(v_color, v_ringColor, (d - inner + aa) / aa) : v_ringColor);
  float t = d > v_radius ? 1.0 : (d > v_radius - aa ? (d - v_radius + aa) / aa : 0.0);
  gl_FragColor = mix(c, transparent, t);
  #endif
}`;
const { UNSIGNED_BYTE, FLOAT } = WebGLRenderingContext;

export class NodeRingProgram extends NodeProgram {
  getDefinition() {
    return {
      VERTICES: 3,
      VERTEX_SHADER_SOURCE: RING_VERT,
      FRAGMENT_SHADER_SOURCE: RING_FRAG,
      METHOD: WebGLRenderingContext.TRIANGLES,
      UNIFORMS: ['u_sizeRatio', 'u_correctionRatio', 'u_matrix'],
      ATTRIBUTES: [
        { name: 'a_position', size: 2, type: FLOAT },
        { name: 'a_size', size: 1, type: FLOAT },
        { name: 'a_color', size: 4, type: UNSIGNED_BYTE, normalized: true },
        { name: 'a_ringColor', size: 4, type: UNSIGNED_BYTE, normalized: true },
        { name: 'a_id', size: 4, type: UNSIGNED_BYTE, normalized: true },
      ],
      CONSTANT_ATTRIBUTES: [{ name: 'a_angle', size: 1, type: FLOAT }],
      CONSTANT_DATA: [[0], [(2 * Math.PI) / 3], [(4 * Math.PI) / 3]],
    };
  }
  processVisibleItem(nodeIndex, startIndex, data) {
    const a = this.array;
    a[startIndex++] = data.x;
    a[startIndex++] = data.y;
    a[startIndex++] = data.size;
    a[startIndex++] = floatColor(data.color);
    a[startIndex++] = floatColor(data.ringColor || data.color);
    a[startIndex++] = nodeIndex;
  }
  setUniforms(params, { gl, uniformLocations }) {
    gl.uniform1f(uniformLocations.u_correctionRatio, params.correctionRatio);
    gl.uniform1f(uniformLocations.u_sizeRatio, params.sizeRatio);
    gl.uniformMatrix3fv(uniformLocations.u_matrix, false, params.matrix);
  }
}

/** Fill colour of a structure node (see the legend in view.js). */
export function fillColor(s) {
  if (s.kind === 'group') return '#6b6ecf';
  if (s.kind === 'cluster') return s.category ? categoryColor(s.category) : '#8c6d31';
  const n = s.node;
  if (n.status === 'source') return CATEGORY_COLORS.source;
  if (n.category) return categoryColor(n.category);
  if (/held/.test(n.status)) return CATEGORY_COLORS.held;
  if (n.status.startsWith('endpoint:')) return '#9aa3ad';
  return n.type === 'tx' ? '#d5dbe3' : '#eef1f5';
}

const newGraph = () => new Graph({ type: 'directed', multi: false, allowSelfLoops: true });
const SETTLE_MS = 140;
export const FAST_ITEMS = 1500;
/** Above this many edges they are drawn as lines, not arrows. */
export const LINE_EDGES = 30000;

let layoutWorker = null, layoutSeq = 0;
const pending = new Map();
/** Runs the hop-layered layout in the worker. Resolves to {pos: Float32Array, ms}. */
export function runLayout(n, hops, edges) {
  if (!layoutWorker) {
    layoutWorker = new Worker(new URL('./layout.worker.js', import.meta.url), { type: 'module' });
    layoutWorker.onmessage = (ev) => { const p = pending.get(ev.data.id); pending.delete(ev.data.id); if (p) p(ev.data); };
  }
  const id = ++layoutSeq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    layoutWorker.postMessage({ id, n, hops, edges }, [hops.buffer, edges.buffer]);
  });
}

/**
 * The Sigma view. callbacks: {select(id), open(id), pin(id, x, y), lod(info)}; lod is called
 * after each choice of what to draw with {on, reduced, shownNodes, inViewNodes, shownEdges,
 * inViewEdges, drawnNodes, drawnEdges, totalNodes, totalEdges} (on: false when everything is
 * drawn because the graph is small).
 */
export class GraphView {
  constructor(container, callbacks) {
    this.container = container;
    this.cb = callbacks;
    this._graph = newGraph();
    this.data = { nodes: [], edges: [] };
    this.nodeAttrs = new Map();     // id -> the node's attribute object (shared by both graphs)
    this.display = this._graph;      // what Sigma draws: the graph itself, or its reduction
    this.lod = null;                // LodIndex when the graph is reduced
    this.lodOpts = { items: LOD_ITEMS, edgeBudget: EDGE_BUDGET, nodeBudget: NODE_BUDGET };
    this.selected = null;
    this.dragging = null;
    this.fa2 = null;
    this.stage = document.createElement('div');
    this.stage.className = 'tv-stage';
    container.append(this.stage);
    this.renderer = new Sigma(this._graph, this.stage, {
      nodeProgramClasses: { ring: NodeRingProgram },
      defaultNodeType: 'ring',
      defaultEdgeType: 'arrow',
      edgeProgramClasses: { arrow: EdgeArrowProgram, line: EdgeLineProgram },
      renderEdgeLabels: true,
      labelRenderedSizeThreshold: 9,
      labelDensity: 0.35,
      labelGridCellSize: 120,
      labelFont: 'system-ui, "DejaVu Sans", sans-serif',
      labelSize: 12,
      edgeLabelSize: 11,
      edgeLabelColor: { color: CROSSING_COLOR },
      minEdgeThickness: 0.6,
      minCameraRatio: 0.01,
      maxCameraRatio: 20,
      zIndex: true,
      allowInvalidContainer: true,   // the graph tab may be hidden when a case opens on another
      enableCameraRotation: false,   // fast motion's transform has no rotation
    });
    const r = this.renderer;
    container.append(r.getCanvases().mouse);    // events are read on it: it must not move
    this.fast = false;
    this.installFastMotion();
    r.on('clickNode', ({ node }) => this.cb.select(node));
    r.on('doubleClickNode', (e) => { e.preventSigmaDefault(); this.cb.open(e.node); });
    r.on('downNode', ({ node }) => {
      this.dragging = node;
      if (!r.getCustomBBox()) r.setCustomBBox(r.getBBox());
    });
    const captor = r.getMouseCaptor();
    captor.on('mousemovebody', (e) => {
      if (!this.dragging) return;
      const p = r.viewportToGraph(e);
      this.setNodeAttrs(this.dragging, { x: p.x, y: p.y });
      if (this.lod) this.lod.move(this.dragging, p.x, p.y);
      this.moved = true;
      e.preventSigmaDefault();
      e.original.preventDefault();
      e.original.stopPropagation();
    });
    captor.on('mouseup', () => {
      if (this.dragging && this.moved) {
        const a = this.nodeAttrs.get(this.dragging);
        this.cb.pin(this.dragging, a.x, a.y);
        this.applyLod();
      }
      if (this.dragging) r.setCustomBBox(this.bbox || null);
      this.dragging = null;
      this.moved = false;
    });
  }

  /** Routes Sigma's render: a camera change during fast motion only moves the last frame. */
  installFastMotion() {
    const r = this.renderer;
    const full = r.render.bind(r);
    this.fullRender = full;
    this.renderedState = null;
    this.moving = false;
    r.on('afterRender', () => { if (!this.moving) this.renderedState = r.getCamera().getState(); });
    // Without fast motion, the reduction follows the camera once it stops.
    r.getCamera().on('updated', () => {
      if (!this.lod || this.fast) return;
      clearTimeout(this.lodTimer);
      this.lodTimer = setTimeout(() => this.applyLod(), SETTLE_MS);
    });
    r.render = () => {
      if (this.fast && this.renderedState && !r.needToProcess && this.cameraMoved()) {
        if (r.renderFrame) cancelAnimationFrame(r.renderFrame);
        r.renderFrame = null;
        this.moving = true;
        this.applyTransform();
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS);
        return r;
      }
      this.clearTransform();
      return full();
    };
  }

  cameraMoved() {
    const a = this.renderedState, b = this.renderer.getCamera().getState();
    return a.x !== b.x || a.y !== b.y || a.ratio !== b.ratio;
  }

  // The similarity that takes the frame drawn at renderedState to the current camera.
  applyTransform() {
    const r = this.renderer;
    const c0 = this.renderedState, c1 = r.getCamera().getState();
    const A = { x: 0.5, y: 0.5 }, B = { x: 0.75, y: 0.5 };
    const a0 = r.framedGraphToViewport(A, { cameraState: c0 }), b0 = r.framedGraphToViewport(B, { cameraState: c0 });
    const a1 = r.framedGraphToViewport(A, { cameraState: c1 }), b1 = r.framedGraphToViewport(B, { cameraState: c1 });
    const k = (b1.x - a1.x) / (b0.x - a0.x || 1);
    const tx = a1.x - k * a0.x, ty = a1.y - k * a0.y;
    this.stage.style.transform = `matrix(${k},0,0,${k},${tx},${ty})`;
    this.transformed = true;
  }

  clearTransform() {
    if (!this.transformed) return;
    this.stage.style.transform = '';
    this.transformed = false;
  }

  settle() {
    const r = this.renderer;
    if (r.getMouseCaptor().isMouseDown || r.getCamera().isAnimated()) {
      this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS);
      return;
    }
    this.moving = false;
    this.clearTransform();
    if (!this.applyLod()) this.fullRender();
  }

  /** Fast motion on or off (see the file's comment). */
  setFast(on) {
    this.fast = !!on;
    if (!on && this.moving) { clearTimeout(this.settleTimer); this.moving = false; this.clearTransform(); this.fullRender(); }
  }

  /** Replaces what is drawn. nodes: [{id, x, y, size, color, ringColor, label, forceLabel,
   *  lodKeep}], edges: [{id, source, target, size, color, label, weight, crossing}] (weight
   *  and crossing rank edges for the level of detail; a node with lodKeep is always drawn).
   *  bbox {x: [min, max], y: [min, max]}: the extent of the whole layout, so that a filter
   *  never rescales the picture. Keeps the camera. The arrays' objects become the graphs'
   *  attributes (not copied). */
  setData(nodes, edges, bbox) {
    this.stopForce();
    this.data = { nodes, edges };
    this.nodeAttrs = new Map(nodes.map((n) => [n.id, n]));
    this._graph = null;
    this.bbox = bbox || null;
    this.renderer.setCustomBBox(this.bbox);
    this.lod = nodes.length + edges.length > this.lodOpts.items
      ? new LodIndex(nodes.map((n) => ({ id: n.id, x: n.x, y: n.y, important: n.zIndex > 0 })), edges) : null;
    this.lodPick = null;
    this.lodAlways = nodes.filter((n) => n.lodKeep).map((n) => n.id);
    if (this.lod) this.applyLod();
    else {
      const g = this.graph;
      this.show(g);
      this.cb.lod?.({ on: false, reduced: false, drawnNodes: g.order, drawnEdges: g.size, totalNodes: g.order, totalEdges: g.size });
    }
    // after the new graph is drawn: the previous one holds the old attribute objects
    if (this.selected && this.nodeAttrs.has(this.selected)) this.highlight(this.selected);
  }

  /** The whole graph (graphology), built from the data when first asked for. */
  get graph() {
    if (!this._graph) {
      const g = newGraph();
      g.import({
        nodes: this.data.nodes.map((n) => ({ key: n.id, attributes: n })),
        edges: this.data.edges.map((e) => ({ key: e.id, source: e.source, target: e.target, attributes: e })),
      });
      this._graph = g;
    }
    return this._graph;
  }

  /** Changes attributes of node id in both graphs (they share its attribute object); Sigma
   *  hears of it through the graph it draws. */
  setNodeAttrs(id, attrs) {
    const a = this.nodeAttrs.get(id);
    if (!a) return;
    if (this.display.hasNode(id)) this.display.mergeNodeAttributes(id, attrs);
    else Object.assign(a, attrs);
  }

  /** Gives Sigma graph d to draw. A big graph's edges are drawn as 1-pixel lines (gl.LINES:
   *  two vertices each, no arrow head): in software GL a redraw of 100k arrows costs seconds. */
  show(d) {
    const type = d.size > LINE_EDGES ? 'line' : 'arrow';
    d.forEachEdge((e, a) => { if ((a.type || 'arrow') !== type) a.type = type; });
    this.display = d;
    if (this.renderer.getGraph() === d) this.renderer.refresh();
    else this.renderer.setGraph(d);
  }

  /** The camera's view in graph coordinates, grown by lod.js's margin. */
  viewRect() {
    const r = this.renderer;
    const { width, height } = r.getDimensions();
    const norm = createNormalizationFunction(this.bbox || graphExtent(this.display));
    const a = norm.inverse(r.viewportToFramedGraph({ x: 0, y: 0 }));
    const b = norm.inverse(r.viewportToFramedGraph({ x: width, y: height }));
    return grow({ x0: a.x, x1: b.x, y0: a.y, y1: b.y });
  }

  /** Chooses what to draw for the current camera when the graph is reduced; true when it
   *  drew (Sigma was given the reduced graph or refreshed). */
  applyLod(force = false) {
    if (!this.lod) return false;
    const t0 = performance.now();
    const o = this.lodOpts;
    const pick = this.lod.select(this.viewRect(), { edgeBudget: o.edgeBudget, nodeBudget: o.nodeBudget, keep: this.selected ? [...this.lodAlways, this.selected] : this.lodAlways });
    const same = !force && this.lodPick && this.lodPick.nodes.length === pick.nodes.length && this.lodPick.edges.length === pick.edges.length
      && pick.nodes.every((v, i) => v === this.lodPick.nodes[i]) && pick.edges.every((v, i) => v === this.lodPick.edges[i]);
    this.lodPick = pick;
    if (!same) {
      const { nodes, edges } = this.data, d = newGraph();
      for (const i of pick.nodes) d.addNode(nodes[i].id, nodes[i]);
      for (const j of pick.edges) { const e = edges[j]; d.addEdgeWithKey(e.id, e.source, e.target, e); }
      this.show(d);
    } else {
      this.fullRender();
    }
    const info = { on: true, reduced: pick.reduced, shownNodes: pick.shownNodes, inViewNodes: pick.inViewNodes,
      shownEdges: pick.shownEdges, inViewEdges: pick.inViewEdges, drawnNodes: pick.nodes.length, drawnEdges: pick.edges.length,
      totalNodes: this.data.nodes.length, totalEdges: this.data.edges.length, ms: Math.round(performance.now() - t0) };
    this.lodInfo = info;
    this.cb.lod?.(info);
    return true;
  }

  /** Changes the level-of-detail thresholds ({items, edgeBudget, nodeBudget}; lod.js; null:
   *  the defaults) for the next setData; for the benchmarks and the browser test. */
  setLodOptions(opts) {
    this.lodOpts = opts ? { ...this.lodOpts, ...opts } : { items: LOD_ITEMS, edgeBudget: EDGE_BUDGET, nodeBudget: NODE_BUDGET };
  }

  highlight(id) {
    const prev = this.selected;
    if (prev) this.setNodeAttrs(prev, { highlighted: false, forceLabel: false, zIndex: this.nodeAttrs.get(prev)?.baseZ || 0 });
    if (id) this.setNodeAttrs(id, { highlighted: true, forceLabel: true, zIndex: 2 });
    this.selected = id;
    if (this.lod && id && !this.display.hasNode(id)) this.applyLod();     // the selected node is always drawn
  }

  /** Moves the camera so that node id is in the middle (animated, 300 ms). */
  center(id, zoomIn = true) {
    const a = this.nodeAttrs.get(id);
    if (!a) return;
    const d = this.renderer.getNodeDisplayData(id) || createNormalizationFunction(this.bbox || graphExtent(this.display))(a);
    const cam = this.renderer.getCamera();
    cam.animate({ x: d.x, y: d.y, ratio: zoomIn ? Math.min(cam.ratio, 0.35) : cam.ratio }, { duration: 300 });
  }

  resetCamera() { this.renderer.getCamera().animatedReset({ duration: 200 }); }
  zoom(f) { const c = this.renderer.getCamera(); c.setState({ ratio: c.ratio / f }); }
  pan(dx, dy) { const c = this.renderer.getCamera(); c.setState({ x: c.x + dx * c.ratio, y: c.y + dy * c.ratio }); }

  /** ForceAtlas2 in its own worker on the drawn graph; onStop(positions Map, bbox) when it
   *  stops (after maxMs, or stopForce). */
  async startForce(onStop, maxMs = 15000) {
    if (this.fa2) return;
    const [{ default: FA2Layout }, { inferSettings }] = await Promise.all([
      import('graphology-layout-forceatlas2/worker'), import('graphology-layout-forceatlas2')]);
    const settings = { ...inferSettings(this.graph), slowDown: 10, barnesHutOptimize: this.graph.order > 2000 };
    this.fa2 = new FA2Layout(this.graph, { settings });
    this.fa2OnStop = onStop;
    this.renderer.setCustomBBox(null);         // follow the layout as it spreads
    this.fa2.start();
    // ForceAtlas2 moves the whole graph's nodes; Sigma draws the reduction and does not hear
    // of it: the reduction is chosen and drawn again every second
    if (this.lod) this.fa2Sync = setInterval(() => this.syncLod(), 1000);
    this.fa2Timer = setTimeout(() => this.stopForce(), maxMs);
  }

  stopForce() {
    if (!this.fa2) return;
    clearTimeout(this.fa2Timer);
    clearInterval(this.fa2Sync);
    this.fa2.stop();
    this.fa2.kill();
    this.fa2 = null;
    const pos = new Map();
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    this.graph.forEachNode((id, a) => {
      pos.set(id, { x: a.x, y: a.y });
      x0 = Math.min(x0, a.x); x1 = Math.max(x1, a.x); y0 = Math.min(y0, a.y); y1 = Math.max(y1, a.y);
    });
    if (Number.isFinite(x0)) this.bbox = { x: [x0, x1], y: [y0, y1] };
    this.renderer.setCustomBBox(this.bbox);
    if (this.lod) this.syncLod();
    const f = this.fa2OnStop; this.fa2OnStop = null;
    if (f) f(pos, this.bbox);
  }

  forceRunning() { return !!this.fa2; }

  /** Positions of the whole graph into the level-of-detail index, and the reduction again. */
  syncLod() {
    if (!this.lod) return;
    this.graph.forEachNode((id, a) => this.lod.move(id, a.x, a.y));
    if (this.fa2) { const e = graphExtent(this.graph); this.renderer.setCustomBBox(e); this.bbox = e; }
    this.applyLod(true);
  }

  /** The drawn graph as a PNG blob: every layer Sigma drew, on white, at the screen's size. */
  toPNG() {
    const r = this.renderer;
    r.refresh();
    const { width, height } = r.getDimensions();
    const ratio = window.devicePixelRatio || 1;
    const out = document.createElement('canvas');
    out.width = width * ratio; out.height = height * ratio;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    const layers = r.getCanvases();
    for (const k of ['edges', 'edgeLabels', 'nodes', 'labels', 'hovers', 'hoverNodes']) {
      if (layers[k]) ctx.drawImage(layers[k], 0, 0, out.width, out.height);
    }
    return new Promise((res) => out.toBlob(res, 'image/png'));
  }

  /** Counts animation frames over ms milliseconds: {frames, fps}. */
  frameStats(ms) {
    return new Promise((resolve) => {
      let frames = 0;
      const t0 = performance.now();
      const tick = (t) => {
        frames++;
        if (t - t0 < ms) requestAnimationFrame(tick);
        else resolve({ frames, fps: Math.round((frames * 10000) / (t - t0)) / 10 });
      };
      requestAnimationFrame(tick);
    });
  }

  kill() {
    clearTimeout(this.settleTimer);
    clearTimeout(this.lodTimer);
    this.stopForce();
    const mouse = this.renderer.getCanvases().mouse;
    this.renderer.kill();
    mouse.remove();
    this.stage.remove();
  }
}
