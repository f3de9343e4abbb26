// bench/ui/renderers.mjs — which WebGL graph renderer the trace view uses (issue 14) is decided
// by this measurement: Sigma.js 3 (graphology) against Cytoscape.js (its WebGL renderer, and
// its default canvas renderer as the baseline), on the same seeded random graphs of 5,000 and
// 50,000 nodes shaped like a trace (hop layers, ~1.6 edges a node, positions given, so layout
// is not measured). For each it reports, in headless Debian chromium:
//   load_ms   from "create the renderer" to the second animation frame after it (drawn)
//   fps       animation frames counted while the mouse drags the view for 3 s (a scripted pan
//             through real mouse events, so the renderer's own handlers run)
//   zoom_fps  the same while the wheel zooms in and out
//   longest   the longest main-thread task seen during the pan (PerformanceObserver longtask)
// Usage (from the repository root; needs web/node_modules and /usr/bin/chromium):
//   node bench/ui/renderers.mjs [--sizes 5000,50000] [--seconds 3] [--port 18510] [--json]
//        [--gl llvmpipe|swiftshader|both] [--renderers sigma,cytoscape-webgl,cytoscape-canvas]
// The page is bundled with the esbuild Vite ships (web/node_modules) and served on 127.0.0.1.
// Headless chromium has no GPU here: WebGL is software, through ANGLE either on Mesa's
// llvmpipe (EGL; --use-angle=gl-egl) or on SwiftShader (--use-angle=swiftshader
// --enable-unsafe-swiftshader); the compositor is software (--disable-gpu-compositing) in
// both. The renderer string WebGL reports is printed with the figures.
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = join(ROOT, 'web');
const nm = (p) => pathToFileURL(join(WEB, 'node_modules', p)).href;
const { chromium } = await import(nm('playwright-core/index.mjs'));
const esbuild = (await import(nm('esbuild/lib/main.js'))).default;

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const SIZES = opt('sizes', '5000,50000').split(',').map(Number);
const SECONDS = Number(opt('seconds', '3'));
const PORT = Number(opt('port', '18510'));
const JSON_OUT = argv.includes('--json');
const GLS = { llvmpipe: ['--use-angle=gl-egl', '--ignore-gpu-blocklist', '--disable-gpu-compositing'],
  swiftshader: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--disable-gpu-compositing'] };
const GL = opt('gl', 'both');
const RENDERERS = opt('renderers', 'sigma,cytoscape-webgl,cytoscape-canvas').split(',');

// The page: one generator, three renderers. Kept as a string so the bench is one file.
const PAGE_JS = `
import Graph from 'graphology';
import Sigma from 'sigma';
import cytoscape from 'cytoscape';

function rng(seed) { let s = seed >>> 0; return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; }; }
const PALETTE = ['#1f77b4', '#d62728', '#9467bd', '#2ca02c', '#bcbd22', '#7f7f7f', '#ff7f0e'];

// A trace-shaped graph: hop layers growing then shrinking, each node fed by 1..2 nodes of the
// layer before, amounts spread over 6 orders of magnitude.
export function makeGraph(n, seed = 42) {
  const r = rng(seed);
  const layers = Math.max(6, Math.round(Math.log2(n)));
  const nodes = [], edges = [], byLayer = [];
  for (let i = 0; i < n; i++) {
    const layer = i === 0 ? 0 : 1 + Math.floor(Math.pow(r(), 0.7) * (layers - 1));
    (byLayer[layer] ||= []).push(i);
    nodes.push({ id: 'n' + i, layer, color: PALETTE[Math.floor(r() * PALETTE.length)], size: 2 + r() * 6 });
  }
  for (const [l, ids] of byLayer.entries()) if (ids) ids.forEach((id, k) => { nodes[id].x = l * 1000; nodes[id].y = (k - ids.length / 2) * 10; });
  for (let i = 1; i < n; i++) {
    const l = nodes[i].layer;
    let prev = l - 1; while (prev > 0 && !byLayer[prev]) prev--;
    const pool = byLayer[prev] || [0];
    const k = r() < 0.6 ? 2 : 1;
    for (let j = 0; j < k; j++) edges.push({ s: pool[Math.floor(r() * pool.length)], t: i, w: 0.5 + Math.log10(1 + r() * 1e6) });
  }
  return { nodes, edges };
}

const frame = () => new Promise((res) => requestAnimationFrame(() => res()));
let longest = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) longest = Math.max(longest, e.duration); }).observe({ type: 'longtask', buffered: false });

window.bench = {
  async load(kind, n) {
    const { nodes, edges } = makeGraph(n);
    const el = document.getElementById('g');
    await frame();
    const t0 = performance.now();
    if (kind === 'sigma') {
      const g = new Graph({ multi: true, type: 'directed' });
      for (const v of nodes) g.addNode(v.id, { x: v.x, y: v.y, size: v.size, color: v.color, label: v.id });
      edges.forEach((e, i) => g.addEdgeWithKey('e' + i, 'n' + e.s, 'n' + e.t, { size: e.w, color: '#b8c0cc' }));
      window.r = new Sigma(g, el, { renderLabels: true, labelRenderedSizeThreshold: 8 });
    } else {
      const els = [];
      for (const v of nodes) els.push({ group: 'nodes', data: { id: v.id, color: v.color, size: v.size * 2 }, position: { x: v.x, y: v.y } });
      edges.forEach((e, i) => els.push({ group: 'edges', data: { id: 'e' + i, source: 'n' + e.s, target: 'n' + e.t, w: e.w } }));
      window.r = cytoscape({ container: el, elements: els, layout: { name: 'preset' },
        renderer: { name: 'canvas', webgl: kind === 'cytoscape-webgl' },
        style: [{ selector: 'node', style: { 'background-color': 'data(color)', width: 'data(size)', height: 'data(size)' } },
                { selector: 'edge', style: { width: 'data(w)', 'line-color': '#b8c0cc', 'curve-style': 'straight' } }] });
    }
    await frame(); await frame();
    return { load_ms: Math.round(performance.now() - t0), nodes: nodes.length, edges: edges.length };
  },
  // Frames counted over ms while the caller moves the mouse.
  frames(ms) {
    longest = 0;
    return new Promise((res) => {
      let frames = 0; const t0 = performance.now();
      const tick = (t) => { frames++; if (t - t0 < ms) requestAnimationFrame(tick); else res({ frames, fps: Math.round(frames * 10000 / (t - t0)) / 10, longest: Math.round(longest) }); };
      requestAnimationFrame(tick);
    });
  },
};
`;

const dir = mkdtempSync(join(tmpdir(), 'sleuth-bench-ui-'));
await esbuild.build({
  stdin: { contents: PAGE_JS, resolveDir: WEB, loader: 'js' },
  bundle: true, format: 'esm', minify: true, outfile: join(dir, 'bench.js'), logLevel: 'error',
  define: { 'process.env.NODE_ENV': '"production"' },
});
writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset=utf-8><style>html,body{margin:0}#g{width:1280px;height:800px}</style><div id=g></div><script type=module src=bench.js></script>');
const server = createServer((req, res) => {
  const f = req.url === '/' ? 'index.html' : req.url.slice(1);
  try { const b = readFileSync(join(dir, f)); res.writeHead(200, { 'Content-Type': f.endsWith('.js') ? 'text/javascript' : 'text/html' }); res.end(b); }
  catch { res.writeHead(404); res.end(); }
}).listen(PORT, '127.0.0.1');

// Drags the mouse in circles (pan) or turns the wheel back and forth (zoom) for ms while the
// page counts frames.
async function drive(page, ms, how) {
  const stats = page.evaluate((m) => window.bench.frames(m), ms);
  const t0 = Date.now();
  let i = 0;
  if (how === 'pan') {
    await page.mouse.move(640, 400); await page.mouse.down();
    while (Date.now() - t0 < ms) { const a = i++ / 20; await page.mouse.move(640 + 200 * Math.sin(a), 400 + 120 * Math.cos(a)); await page.waitForTimeout(8); }
    await page.mouse.up();
  } else {
    await page.mouse.move(640, 400);
    while (Date.now() - t0 < ms) { await page.mouse.wheel(0, (Math.floor(i++ / 15) % 2) ? 120 : -120); await page.waitForTimeout(16); }
  }
  return stats;
}

const rows = [];
const gls = GL === 'both' ? ['llvmpipe', 'swiftshader'] : [GL];
for (const gl of gls) {
  const FLAGS = GLS[gl];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  const glName = await (async () => {
    const p = await browser.newPage();
    const s = await p.evaluate(() => { const g = document.createElement('canvas').getContext('webgl2'); const e = g && g.getExtension('WEBGL_debug_renderer_info'); return g ? g.getParameter(e ? e.UNMASKED_RENDERER_WEBGL : g.RENDERER) : 'no WebGL2'; });
    await p.close(); return s;
  })();
  if (!JSON_OUT) console.log(`${gl}: chromium ${browser.version()} ${FLAGS.join(' ')}; WebGL: ${glName}; load average ${loadavg()[0].toFixed(2)}`);
  for (const n of SIZES) {
    for (const kind of RENDERERS) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.setDefaultTimeout(600000);
      await page.goto(`http://127.0.0.1:${PORT}/`);
      await page.waitForFunction(() => window.bench);
      const row = { gl, webgl: glName, renderer: kind, ...(await page.evaluate(([k, m]) => window.bench.load(k, m), [kind, n])) };
      await page.waitForTimeout(500);
      const pan = await drive(page, SECONDS * 1000, 'pan');
      const zoom = await drive(page, SECONDS * 1000, 'zoom');
      Object.assign(row, { fps: pan.fps, zoom_fps: zoom.fps, longest_ms: Math.max(pan.longest, zoom.longest) });
      rows.push(row);
      if (!JSON_OUT) console.log(`${String(n).padStart(6)} nodes ${String(row.edges).padStart(6)} edges  ${kind.padEnd(17)} load ${String(row.load_ms).padStart(6)} ms  pan ${String(row.fps).padStart(5)} fps  zoom ${String(row.zoom_fps).padStart(5)} fps  longest task ${row.longest_ms} ms`);
      await page.close();
    }
  }
  await browser.close();
}
server.close();
rmSync(dir, { recursive: true, force: true });
if (JSON_OUT) console.log(JSON.stringify({ flags: GLS, seconds: SECONDS, rows }, null, 1));
