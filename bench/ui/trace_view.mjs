// bench/ui/trace_view.mjs — the trace view's speed targets of issue 14, measured in headless
// Debian chromium on the built UI (vite build of web/, served here with /v1 proxied to a
// running `sleuth serve`):
//   real      a real trace of the server's store (default: the theft of /work/ui-samples,
//             poison, 40 hops: ~4,900 nodes / ~12,000 edges): time to the first drawn graph,
//             frames per second while the mouse pans and while the wheel zooms (target >= 30),
//             the longest main-thread task during the pan;
//   synthetic a generated trace-shaped answer of --big nodes (default 50,000; the POST is
//             answered in the browser with it, same schema as POST /v1/traces): time to the
//             first drawn graph, the longest main-thread task while the layout runs (target:
//             none above 100 ms: the layout is in a worker), pan fps, and "stays usable": the
//             time to select a node from the list and to filter the list by a word.
// Usage (repository root; needs web/node_modules, /usr/bin/chromium and a server):
//   node bench/ui/trace_view.mjs [--api http://127.0.0.1:18080] [--token-file F]
//        [--tx TXID:N] [--policy poison] [--hops 40] [--big 50000] [--port 18520] [--json]
import { createServer, request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = join(ROOT, 'web');
const { chromium } = await import(pathToFileURL(join(WEB, 'node_modules/playwright-core/index.mjs')).href);
const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const API = new URL(opt('api', 'http://127.0.0.1:18080'));
const TOKEN = readFileSync(opt('token-file', '/work/ui-samples/token'), 'utf8').trim();
const THEFT = existsSync('/work/ui-samples/theft') ? readFileSync('/work/ui-samples/theft', 'utf8').trim() : null;
const TX = opt('tx', THEFT ? `${THEFT}:0` : null);
const POLICY = opt('policy', 'poison');
const HOPS = Number(opt('hops', '40'));
const BIG = Number(opt('big', '50000'));
const PORT = Number(opt('port', '18520'));
const JSON_OUT = argv.includes('--json');
// WebGL through ANGLE on Mesa's llvmpipe (software GL, EGL; Debian's libgl1-mesa-dri, which
// chromium recommends): 10-15x faster than ANGLE's SwiftShader here (bench/ui/renderers.mjs
// prints both); the compositor in software (--disable-gpu-compositing), so that moving the
// picture costs a CPU blit. --flags "..." measures others (SwiftShader: --use-angle=swiftshader
// --enable-unsafe-swiftshader).
const FLAGS = opt('flags', '--use-angle=gl-egl --ignore-gpu-blocklist --disable-gpu-compositing').split(' ').filter(Boolean);
const NO_FAST = argv.includes('--no-fast');   // measure with the view's fast motion off

// Build the UI into a temporary folder.
const out = mkdtempSync(join(tmpdir(), 'sleuth-ui-bench-'));
const b = spawnSync(join(WEB, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], { cwd: WEB, env: { ...process.env, SLEUTH_WEB_OUT: out }, stdio: 'inherit' });
if (b.status !== 0) { console.error('vite build failed'); process.exit(1); }
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const server = createServer((req, res) => {
  if (req.url.startsWith('/v1/')) {
    const p = httpRequest({ host: API.hostname, port: API.port, path: req.url, method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    p.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(p);
    return;
  }
  const path = decodeURIComponent(req.url.split('?')[0]);
  const f = join(out, path === '/' ? 'index.html' : path);
  if (!f.startsWith(out) || !existsSync(f)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': TYPES[extname(f)] || 'application/octet-stream' });
  res.end(readFileSync(f));
}).listen(PORT, '127.0.0.1');
const BASE = `http://127.0.0.1:${PORT}`;

/** A trace-shaped POST /v1/traces answer of about n nodes (UTXO-like: transactions by hop,
 *  2-3 outputs each, some followed to the next hop, the rest held at addresses). */
function synthetic(n, seed = 7) {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  const hex = (i) => (i.toString(16).padStart(8, '0')).repeat(8);
  const nodes = [], edges = [], endpoints = [];
  const t0 = 1717113600;
  let id = 0;
  const tx = (hop, amount) => { const k = hex(++id); nodes.push({ id: k, type: 'tx', chain: 'bitcoin', label: `tx ${k.slice(0, 12)}`, status: hop ? 'pass-through' : 'source', time: t0 + hop * 600, amount: null, amount_label: null }); return k; };
  let frontier = [[tx(0), 0, 10_000_000_000_000]];
  const hopAmounts = [];
  while (nodes.length < n && frontier.length) {
    const next = [];
    for (const [k, hop, amt] of frontier) {
      hopAmounts[hop + 1] = (hopAmounts[hop + 1] || 0) + amt;
      const outs = 2 + (rnd() < 0.3 ? 1 : 0);
      let left = amt;
      for (let o = 0; o < outs && nodes.length < n; o++) {
        const a = o === outs - 1 ? left : Math.floor(left * (0.2 + rnd() * 0.6));
        left -= a;
        const time = t0 + (hop + 1) * 600 + Math.floor(rnd() * 86400 * 30);
        if (rnd() < 0.55 || hop < 3) {
          const t = tx(hop + 1, a);
          edges.push({ source: k, target: t, chain: 'bitcoin', asset: 'BTC', amount: a, label: `${a / 1e8} BTC`, status: 'pass-through', time, tx: k, vout: o, flow: null, link: null });
          next.push([t, hop + 1, a]);
        } else {
          const addr = `bcrt1q${hex(++id).slice(0, 38)}`;
          nodes.push({ id: `a:${addr}`, type: 'address', chain: 'bitcoin', label: addr, status: 'held', time, amount: a, amount_label: `${a / 1e8} BTC` });
          edges.push({ source: k, target: `a:${addr}`, chain: 'bitcoin', asset: 'BTC', amount: a, label: `${a / 1e8} BTC`, status: 'held', time, tx: k, vout: o, flow: null, link: null });
          endpoints.push({ chain: 'bitcoin', address: addr, name: null, cluster: null, tags: [], amount: a, asset: 'BTC', status: 'held', tx: k, vout: o, vin: null, flow: null, first_arrival: time, hops: hop + 1 });
        }
      }
    }
    frontier = next;
  }
  const cons = { source: 10_000_000_000_000, absorbed: 0, linked_in: 0, endpoints: 0, held: endpoints.reduce((x, e) => x + e.amount, 0), fees: 0, dropped: 0, linked_out: 0 };
  cons.dropped = cons.source - cons.held; cons.balanced = true;
  return { id: 'synthetic', url: '/v1/traces/synthetic', created: t0, request: { tx: `${nodes[0].id}:0`, policy: 'haircut', graph: true },
    result: { source: `${nodes[0].id}:0`, source_kind: 'output', chain: 'bitcoin', direction: 'forward', asset: 'BTC', asset_decimals: 8,
      params: { policy: 'haircut', max_hops: hopAmounts.length }, conservation: cons, assets: [{ chain: 'bitcoin', asset: 'BTC', decimals: 8, ...cons }],
      pools_visited: id, flows_routed: edges.length, passes: 1, truncated: false, truncated_why: null, endpoints, flows: [],
      hops: hopAmounts.map((a, i) => ({ hop: i, pools: 0, flows: 0, addresses: 0, amount: a || 0 })), top_paths: [] },
    graph: { nodes, edges } };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
const results = { chromium: browser.version(), flags: FLAGS };

async function open(path, routeDoc) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(Number(opt('timeout', '180000')));
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  if (routeDoc) await page.route('**/v1/traces', (r) => (r.request().method() === 'POST' ? r.fulfill({ status: 201, contentType: 'application/json', body: routeDoc }) : r.continue()));
  await page.goto(BASE + '/');
  await page.evaluate((t) => sessionStorage.setItem('sleuth.token', t), TOKEN);
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`${BASE}/?load=${t0}${path}`);
  try {
    await page.waitForFunction(() => window.__sleuth && window.__sleuth.ready() && window.__sleuth.renderer && document.querySelector('[data-testid=graph]'));
  } catch (e) {
    await page.screenshot({ path: join(tmpdir(), 'sleuth-ui-bench-timeout.png') });
    throw new Error(`the trace view did not draw ${path} (screenshot ${join(tmpdir(), 'sleuth-ui-bench-timeout.png')}): ${e.message}`);
  }
  await page.waitForTimeout(300);
  const wall = Date.now() - t0;
  return { page, wall };
}

// A point of the graph's canvas with no node under it, so that dragging pans (on a node it
// would move the node).
async function emptySpot(page) {
  const box = await page.locator('[data-testid=graph]').boundingBox();
  const p = await page.evaluate(([w, hgt]) => {
    const r = window.__sleuth.renderer;
    for (let i = 0; i < 400; i++) {
      const x = w * (0.3 + 0.4 * ((i * 0.618) % 1)), y = hgt * (0.3 + 0.4 * ((i * 0.382) % 1));
      if (!r.getNodeAtPosition({ x, y })) return { x, y };
    }
    return { x: w / 2, y: hgt / 2 };
  }, [box.width, box.height]);
  return { cx: box.x + p.x, cy: box.y + p.y };
}

async function pan(page, ms) {
  const { cx, cy } = await emptySpot(page);
  const stats = page.evaluate(([m]) => { window.__long = []; return window.__sleuth.frameStats(m).then((r) => ({ ...r, longest: Math.round(Math.max(0, ...window.__long.map((x) => x[1]))) })); }, [ms]);
  const t = Date.now();
  await page.mouse.move(cx, cy); await page.mouse.down();
  let i = 0;
  while (Date.now() - t < ms) { const a = i++ / 15; await page.mouse.move(cx + 150 * Math.sin(a), cy + 90 * Math.cos(a)); await page.waitForTimeout(8); }
  await page.mouse.up();
  return stats;
}

async function zoom(page, ms) {
  const box = await page.locator('[data-testid=graph]').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const stats = page.evaluate((m) => window.__sleuth.frameStats(m), ms);
  const t = Date.now(); let i = 0;
  while (Date.now() - t < ms) { await page.mouse.wheel(0, (Math.floor(i++ / 10) % 2) ? 100 : -100); await page.waitForTimeout(16); }
  return stats;
}

// The layout runs in a worker between the two marks: the main thread's tasks that start in
// that window are what "laying out" costs it. The task that posts the layout (building the
// graph) and the one that draws its result are reported apart (longest_task_load_ms).
const layoutLongest = (page) => page.evaluate(() => {
  const s = performance.getEntriesByName('sleuth-layout-start').pop(), e = performance.getEntriesByName('sleuth-layout-end').pop();
  if (!s || !e) return null;
  const inside = window.__long.filter(([t, d]) => t > s.startTime && t + d < e.startTime);
  return { layout_window_ms: Math.round(e.startTime - s.startTime), longest_task_in_layout_ms: Math.round(Math.max(0, ...inside.map((x) => x[1]))),
    longest_task_load_ms: Math.round(Math.max(0, ...window.__long.map((x) => x[1]))) };
});
const setFast = (page) => (NO_FAST ? page.evaluate(() => { const b = document.querySelector('[data-testid=fast-motion]'); if (b.checked) b.click(); }) : null);

if (TX) {
  const { page, wall } = await open(`#/trace?tx=${encodeURIComponent(TX)}&policy=${POLICY}&max_hops=${HOPS}`);
  const g = await page.evaluate(() => ({ nodes: +document.querySelector('[data-testid=graph]').dataset.nodes, edges: +document.querySelector('[data-testid=graph]').dataset.edges, timings: window.__sleuth.timings }));
  const lay = await layoutLongest(page);
  await setFast(page);
  const p = await pan(page, 3000), z = await zoom(page, 3000);
  results.real = { tx: TX, policy: POLICY, max_hops: HOPS, ...g, wall_ms: wall, pan_fps: p.fps, zoom_fps: z.fps, longest_task_pan_ms: p.longest, ...lay };
  await page.close();
}

{
  const doc = JSON.stringify(synthetic(BIG));
  const { page, wall } = await open(`#/trace?tx=synthetic:0`, doc);
  const g = await page.evaluate(() => ({ nodes: +document.querySelector('[data-testid=graph]').dataset.nodes, edges: +document.querySelector('[data-testid=graph]').dataset.edges, timings: window.__sleuth.timings }));
  const lay = await layoutLongest(page);
  await setFast(page);
  const p = await pan(page, 3000), z = await zoom(page, 3000);
  // Usable: select a node (graph centres, panel opens), then filter the list.
  const sel = await page.evaluate(async () => { const ids = window.__sleuth.nodes(); const t = performance.now(); window.__sleuth.selectNode(ids[Math.floor(ids.length / 2)].id); await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); return Math.round(performance.now() - t); });
  const t = Date.now();
  await page.fill('[data-testid=node-find]', 'bcrt1q0000');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=node-list] .nl-row').length > 0);
  const find = Date.now() - t;
  results.synthetic = { ...g, wall_ms: wall, ...lay, pan_fps: p.fps, zoom_fps: z.fps, longest_task_pan_ms: p.longest, select_ms: sel, find_ms: find, doc_bytes: doc.length };
  await page.close();
}

await browser.close();
server.close();
rmSync(out, { recursive: true, force: true });
if (JSON_OUT) console.log(JSON.stringify(results, null, 1));
else {
  const r = results.real, s = results.synthetic;
  if (r) console.log(`real trace ${r.nodes} nodes / ${r.edges} edges: drawn in ${r.wall_ms} ms (fetch ${r.timings.fetch_ms} ms), pan ${r.pan_fps} fps, zoom ${r.zoom_fps} fps, longest task while panning ${r.longest_task_pan_ms} ms; layout: longest main-thread task ${r.longest_task_in_layout_ms} ms in its ${r.layout_window_ms} ms; longest task of the load ${r.longest_task_load_ms} ms; timings ${JSON.stringify(r.timings)}`);
  console.log(`synthetic ${s.nodes} nodes / ${s.edges} edges (${(s.doc_bytes / 1e6).toFixed(1)} MB JSON): drawn in ${s.wall_ms} ms, layout: longest main-thread task ${s.longest_task_in_layout_ms} ms in its ${s.layout_window_ms} ms; longest task of the load ${s.longest_task_load_ms} ms; pan ${s.pan_fps} fps, zoom ${s.zoom_fps} fps (longest task ${s.longest_task_pan_ms} ms), select ${s.select_ms} ms, find ${s.find_ms} ms; timings ${JSON.stringify(s.timings)}`);
  console.log(`chromium ${results.chromium} ${FLAGS.join(' ')}${NO_FAST ? ' (fast motion off)' : ''}; load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
}
