// bench/ui/bench.mjs — the web UI's speed figures (issue 14), measured in Debian's headless
// chromium (playwright-core, 1280x800) against `sleuth serve` on 127.0.0.1:
//
//   1. the first page on loopback: navigation to / until the login form is visible, then from
//      the login's submit until the home page stops changing (Navigation Timing and in-page
//      marks; fresh browser context per run, so nothing is cached); baseline: the same browser
//      loading GET /v1/health from the same server;
//   2. the JS bundle: build/web/assets in total, raw and gzip'd, and the part the first page
//      (login + home) loads;
//   3. a REAL trace of ~5,000 nodes (the theft of `sleuth gen world --recipe dmm --seed 1`,
//      20,000 background txs, haircut, max_hops 64: 4,685 nodes) opened in the trace view: time
//      to the drawn graph, then frames per second during a scripted pan and zoom of several
//      seconds (mouse drags and wheel over the graph; requestAnimationFrame counted in the
//      page, and the renderer's own frames when window.__sleuth gives them);
//   4. a REAL trace of ~50,000 nodes (the same theft in a world of 200,000 background txs,
//      haircut, max_hops 16: 49,092 nodes, 179,782 edges, a 166 MB answer): load time, the
//      longest main-thread task (PerformanceObserver longtask) and the worst delay of a probe
//      evaluated every 100 ms during the load, fps during the same pan, time to select a node;
//   5. baseline of the renderer: the same pan with the graph emptied (window.__sleuth.graph.clear()).
//   6. for each trace, the redraw after a pan stops: five mouse drags of 120 px, each timed
//      from the mouse's release to the second animation frame after the renderer's next
//      afterRender (this includes fast motion's 140 ms wait for the camera to settle), and the
//      render alone (its beforeRender to that frame);
//   7. with --baseline-web DIR (an earlier build of the UI, e.g. main's build/web copied
//      aside), every trace is measured in the same run against that build too, served by a
//      second `sleuth serve --web DIR` on the same store, alternating baseline and new; the
//      report prints them side by side with the ratio.
// Each trace is made through the API first (POST /v1/traces, graph: true, flows: "crossings" as the view asks; its time is the
// server's) and opened as #/trace/{id}, so the page's figures are the UI's: the GET of the kept
// trace, parsing, the view's model and layout, drawing. The view's own split of that time
// (window.__sleuth.timings) is printed beside them.
//
// Usage: node bench/ui/bench.mjs [--runs N] [--pan-ms MS] [--gl llvmpipe|swiftshader]
//                                [--skip-big] [--skip-small] [--skip-traces] [--baseline-web DIR]
//   $SLEUTH_BIN (default build/sleuth); $SLEUTH_WEB (default build/web); $SLEUTH_UI_FIXTURE=DIR
//   and $SLEUTH_UI_BIG=DIR reuse the stores of an earlier run (a dir with fixture.json: kept;
//   SLEUTH_KEEP_TMP=1 keeps the ones made here and prints them); $SLEUTH_UI_PORTS=LO-HI. The
//   big world takes ~20 s to generate and ingest and ~400 MB of disk.
// Prints a table and writes build/bench/ui-GL.json. Requests are watched, not intercepted
// (interception adds tens of ms to each load); every host but 127.0.0.1 is made unresolvable
// at launch and a request to one fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, SLEUTH, WEB, CHROMIUM, CHROMIUM_ARGS, missing, launch, guardedContext, BLOCK_OTHER_HOSTS, startServer, apiClient, buildFixture } from '../../tests/ui/lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const RUNS = Number(opt('--runs', 5));
const PAN_MS = Number(opt('--pan-ms', 6000));
const SKIP_TRACES = argv.includes('--skip-traces');
const SKIP_BIG = SKIP_TRACES || argv.includes('--skip-big');
const BASE_WEB = opt('--baseline-web', null);
const SKIP_SMALL = argv.includes('--skip-small');
const OUT = join(ROOT, 'build/bench');
/* WebGL in headless chromium without a GPU is software either way: ANGLE on Mesa's llvmpipe
 * (EGL; Debian's libgl1-mesa-dri, which chromium recommends) or ANGLE on SwiftShader (bundled
 * with chromium; what the browser test uses, as it needs no other package). The compositor in
 * software in both (--disable-gpu-compositing). */
const GL_FLAGS = {
  llvmpipe: ['--use-angle=gl-egl', '--ignore-gpu-blocklist', '--disable-gpu-compositing'],
  swiftshader: ['--use-angle=swiftshader', '--disable-gpu-compositing'],
};
const GL = opt('--gl', 'llvmpipe');
if (!GL_FLAGS[GL]) { console.error(`--gl: llvmpipe or swiftshader, not ${GL}`); process.exit(2); }
const SMALL = { policy: 'haircut', max_hops: 64 };
const BIG = { policy: 'haircut', max_hops: 16, background_txs: 200000 };

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'n/a');
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/* The big world's store: gen world (200,000 background txs), both chains, the world's tags, a
 * token. Returns {store, token, theft_tx}. */
function buildBig(dir) {
  const w = join(dir, 'w'), s = join(dir, 's');
  const t0 = Date.now();
  sh(SLEUTH, ['gen', 'world', '--recipe', 'dmm', '--seed', '1', '--background-txs', String(BIG.background_txs), '--out', w, '--quiet']);
  sh(SLEUTH, ['ingest', 'btc', '--network', 'regtest', '--store', s, join(w, 'btc'), '--quiet']);
  sh(SLEUTH, ['ingest', 'eth', '--store', s, '--chain', 'ethereum', join(w, 'eth'), '--quiet']);
  sh(SLEUTH, ['ingest', 'tron', '--store', s, join(w, 'tron'), '--quiet']);
  const tags = readdirSync(join(w, 'tags')).map((f) => join(w, 'tags', f));
  sh(SLEUTH, ['tags', 'import', '--store', s, ...tags, join(w, 'incidents.yaml')]);
  const token = sh(SLEUTH, ['token', 'create', '--store', s, '--role', 'analyst', '--label', 'bench']).trim();
  const theft = /tx_hash: '([0-9a-f]{64})'/.exec(readFileSync(join(w, 'tags/incident.tagpack.yaml'), 'utf8'))[1];
  const fx = { store: s, token, theft_tx: theft };
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(fx));
  console.log(`big world store built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return fx;
}

/* In every page of a context: long tasks, the login form's first appearance, the submit, and
 * every change of #main (the home page is rendered when it stops changing). */
function instrument() {
  window.__bench = { longtasks: [], marks: {}, mainChanged: 0 };
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__bench.longtasks.push({ start: e.startTime, dur: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
  } catch { /* no longtask support: the figures say n/a */ }
  document.addEventListener('submit', () => { window.__bench.marks.submit = performance.now(); }, true);
  const mo = new MutationObserver(() => {
    const b = window.__bench;
    if (b.marks.login == null && document.querySelector('form#login input[name=token]')) b.marks.login = performance.now();
    if (b.marks.role == null && document.querySelector('[data-testid="role"]')?.textContent.trim()) b.marks.role = performance.now();
    b.mainChanged = performance.now();
  });
  const start = () => mo.observe(document.documentElement, { childList: true, subtree: true, characterData: true, attributes: true });
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
}

async function newPage(browser, offHost) {
  const ctx = await guardedContext(browser, offHost, { intercept: false });
  await ctx.addInitScript(instrument);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const assets = [];
  page.on('response', (r) => { const u = new URL(r.url()); if (u.pathname === '/' || u.pathname.startsWith('/assets/')) assets.push(u.pathname); });
  return { ctx, page, errors, assets };
}

/* Waits until #main has not changed for quietMs, and returns the time of its last change. */
async function settled(page, quietMs = 400, timeout = 30000) {
  const t0 = Date.now();
  for (;;) {
    const [last, now] = await page.evaluate(() => [window.__bench.mainChanged, performance.now()]);
    if (now - last >= quietMs) return last;
    if (Date.now() - t0 > timeout) throw new Error('the page kept changing');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function login(page, token) {
  await page.locator('form#login input[name=token]').fill(token);
  await page.locator('form#login input[name=token]').press('Enter');
  await page.locator('[data-testid="role"]').waitFor();
}

/* 1. First load: cold, RUNS times; and the /v1/health baseline. */
async function firstLoad(browser, base, token, offHost) {
  const runs = [];
  let firstAssets = null;
  for (let i = 0; i < RUNS; i++) {
    const { ctx, page, assets } = await newPage(browser, offHost);
    await page.goto(`${base}/`);
    await page.locator('form#login input[name=token]').waitFor();
    const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    const loginVisible = await page.evaluate(() => window.__bench.marks.login);
    // warm: the same context loads the page again (its cache holds the hashed assets)
    await page.reload();
    await page.locator('form#login input[name=token]').waitFor();
    const warm = await page.evaluate(() => window.__bench.marks.login);
    await login(page, token);
    const last = await settled(page);
    const m = await page.evaluate(() => window.__bench.marks);
    runs.push({ responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
      loginVisible, warm, homeAfterSubmit: last - m.submit, headerAfterSubmit: m.role - m.submit });
    if (!firstAssets) firstAssets = [...new Set(assets)];
    await ctx.close();
  }
  const health = [];
  for (let i = 0; i < RUNS; i++) {
    const { ctx, page } = await newPage(browser, offHost);
    await page.goto(`${base}/v1/health`);
    const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    health.push({ responseEnd: nav.responseEnd, load: nav.loadEventEnd });
    await ctx.close();
  }
  const med = (k, a = runs) => median(a.map((r) => r[k]));
  return {
    runs: RUNS,
    login_visible_ms: med('loginVisible'), login_visible_max_ms: Math.max(...runs.map((r) => r.loginVisible)),
    warm_login_visible_ms: med('warm'),
    dom_content_loaded_ms: med('domContentLoaded'), load_event_ms: med('load'), response_end_ms: med('responseEnd'),
    home_after_submit_ms: med('homeAfterSubmit'), header_after_submit_ms: med('headerAfterSubmit'),
    baseline_health_response_end_ms: med('responseEnd', health), baseline_health_load_ms: med('load', health),
    first_page_assets: firstAssets,
  };
}

/* 2. The bundle on disk, and the first page's share of it. */
function bundle(firstAssets) {
  const dir = join(WEB, 'assets');
  const files = readdirSync(dir).map((f) => {
    const b = readFileSync(join(dir, f));
    return { file: f, bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
  });
  const sum = (fs, k) => fs.reduce((a, f) => a + f[k], 0);
  const js = files.filter((f) => f.file.endsWith('.js'));
  const first = files.filter((f) => firstAssets.includes(`/assets/${f.file}`));
  const index = readFileSync(join(WEB, 'index.html'));
  return {
    files: files.length, total_bytes: sum(files, 'bytes'), total_gzip: sum(files, 'gzip'),
    js_bytes: sum(js, 'bytes'), js_gzip: sum(js, 'gzip'),
    first_page_bytes: sum(first, 'bytes') + index.length, first_page_gzip: sum(first, 'gzip') + gzipSync(index).length,
    first_page_files: ['index.html', ...first.map((f) => f.file)],
    largest: [...files].sort((a, b) => b.bytes - a.bytes).slice(0, 4),
  };
}

/* Opens #/trace/{id} in a logged-in page; meanwhile probes the main thread every 100 ms.
 * Returns the load figures. */
async function openTrace(page, id, nodes) {
  const probes = [];
  let loading = true;
  const probe = (async () => {
    while (loading) {
      const t = Date.now();
      await page.evaluate(() => 0).catch(() => {});
      probes.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  let t, shown, drawn;
  try {
    t = await page.evaluate(() => { window.__bench.longtasks = []; return performance.now(); });
    await page.evaluate((i) => { location.hash = `#/trace/${i}`; }, id);
    const handle = await page.waitForFunction(() => {
      const g = document.querySelector('[data-testid="graph"]');
      return g && Number(g.dataset.nodes) > 0 ? performance.now() : false;
    }, null, { polling: 'raf', timeout: 300000 });
    shown = await handle.jsonValue();
    drawn = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
  } finally {
    loading = false;
    await probe;
  }
  const res = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/traces/')).map((e) => e.toJSON()).pop());
  const lt = await page.evaluate(() => window.__bench.longtasks);
  const dataNodes = Number(await page.getAttribute('[data-testid="graph"]', 'data-nodes'));
  // what the renderer draws (with a level of detail, less than the view shows)
  const sl = await page.evaluate(() => { const g = window.__sleuth?.renderer?.getGraph(); return g ? { order: g.order, size: g.size } : null; });
  // the view's own split of the time (fetch, model, structure, layout, draw), when it gives one
  const viewTimings = await page.evaluate(() => (window.__sleuth && window.__sleuth.timings ? { ...window.__sleuth.timings } : null));
  return {
    trace_nodes: nodes, shown_nodes: dataNodes, renderer_graph: sl, view_timings: viewTimings,
    fetch_ms: res ? res.responseEnd - res.startTime : NaN, fetch_bytes: res ? res.encodedBodySize : NaN,
    to_data_nodes_ms: shown - t, to_drawn_ms: drawn - t,
    longest_task_ms: lt.length ? Math.max(...lt.map((x) => x.dur)) : 0, long_tasks: lt.length,
    blocking_ms: lt.reduce((a, x) => a + Math.max(0, x.dur - 50), 0),
    probe_worst_ms: probes.length ? Math.max(...probes) : NaN, probe_median_ms: median(probes),
    heap_mb: await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null)),
  };
}

/* Scripted pan and zoom over the graph for PAN_MS: mouse drags in circles and wheel steps, as
 * fast as the DevTools protocol delivers them. Frames: requestAnimationFrame callbacks in the
 * page, the renderer's afterRender events when it has them, and window.__sleuth.frameStats. */
async function panZoom(page) {
  const box = await page.locator('[data-testid="graph"]').boundingBox();
  if (!box) throw new Error('no graph element on the page');
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2, r = Math.min(box.width, box.height) / 5;
  await page.evaluate(() => {
    const b = window.__bench;
    b.frames = []; b.renders = 0; b.stop = false; b.longtasks = [];
    const f = (t) => { b.frames.push(t); if (!b.stop) requestAnimationFrame(f); };
    requestAnimationFrame(f);
    const rnd = window.__sleuth && window.__sleuth.renderer;
    if (rnd && typeof rnd.on === 'function' && !b.hooked) { rnd.on('afterRender', () => { b.renders++; }); b.hooked = true; }
  });
  const stats = page.evaluate((d) => (window.__sleuth && typeof window.__sleuth.frameStats === 'function'
    ? Promise.resolve(window.__sleuth.frameStats(d)).catch((e) => ({ error: String(e) })) : null), PAN_MS);
  const t0 = Date.now();
  let inputs = 0;
  await page.mouse.move(cx + r, cy);
  while (Date.now() - t0 < PAN_MS) {
    const phase = Math.floor((Date.now() - t0) / 1000) % 3;
    if (phase < 2) {
      await page.mouse.down();
      for (let k = 0; k < 24 && Date.now() - t0 < PAN_MS; k++) {
        const a = (k / 24) * 2 * Math.PI;
        await page.mouse.move(cx + r * Math.cos(a), cy + r * Math.sin(a));
        inputs++;
      }
      await page.mouse.up();
    } else {
      for (let k = 0; k < 8; k++) { await page.mouse.wheel(0, k < 4 ? -200 : 200); inputs++; await new Promise((res) => setTimeout(res, 16)); }
    }
  }
  const own = await stats;
  const dur = Date.now() - t0;
  const b = await page.evaluate(() => { window.__bench.stop = true; return { frames: window.__bench.frames, renders: window.__bench.renders, lt: window.__bench.longtasks }; });
  const span = b.frames.length > 1 ? b.frames[b.frames.length - 1] - b.frames[0] : NaN;
  const iv = b.frames.slice(1).map((t, i) => t - b.frames[i]);
  return {
    pan_ms: dur, inputs, raf_fps: (b.frames.length - 1) / (span / 1000),
    frame_p50_ms: median(iv), frame_p95_ms: pct(iv, 0.95), frame_max_ms: iv.length ? Math.max(...iv) : NaN,
    renderer_frames: b.renders, renderer_fps: b.renders / (dur / 1000),
    longest_task_ms: b.lt.length ? Math.max(...b.lt.map((x) => x.dur)) : 0,
    frame_stats: own,
  };
}

/* The redraw after a pan stops (see the file's comment, 6.): medians of five drags. */
async function redrawAfterPan(page) {
  const box = await page.locator('[data-testid="graph"]').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.evaluate(() => {
    const b = window.__bench;
    b.renderLog = [];
    const rnd = window.__sleuth && window.__sleuth.renderer;
    if (rnd && !b.hookedRedraw) {
      rnd.on('beforeRender', () => b.renderLog.push(['before', performance.now()]));
      rnd.on('afterRender', () => b.renderLog.push(['after', performance.now()]));
      window.addEventListener('mouseup', () => { b.upAt = performance.now(); }, true);
      b.hookedRedraw = true;
    }
  });
  const stops = [], renders = [];
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => { window.__bench.renderLog = []; window.__bench.upAt = null; });
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let k = 1; k <= 6; k++) await page.mouse.move(cx + (i % 2 ? -20 : 20) * k, cy + 5 * k);
    await page.mouse.up();
    const h = await page.waitForFunction(() => {
      const b = window.__bench;
      if (b.upAt == null) return false;
      const a = b.renderLog.findIndex(([k, t]) => k === 'after' && t > b.upAt);
      if (a < 0) return false;
      if (!b.frameAfter) {
        b.frameAfter = 'pending';
        requestAnimationFrame(() => requestAnimationFrame((t) => { b.frameAfter = performance.now(); }));
        return false;
      }
      if (b.frameAfter === 'pending') return false;
      let s = a; while (s > 0 && b.renderLog[s][0] !== 'before') s--;
      const r = { stop: b.frameAfter - b.upAt, render: b.frameAfter - b.renderLog[s][1] };
      b.frameAfter = null;
      return r;
    }, null, { polling: 50, timeout: 60000 });
    const r = await h.jsonValue();
    stops.push(r.stop); renders.push(r.render);
    await page.waitForTimeout(300);
  }
  return { stop_to_drawn_ms: median(stops), render_ms: median(renders), stops_ms: stops.map(Math.round) };
}

/* Time from a node-list row's activation to the node panel. */
async function selectTime(page) {
  const row = page.locator('[data-testid="node-list"] [data-node-id]').first();
  if (!(await row.count())) return NaN;
  await row.focus();
  const t = await page.evaluate(() => performance.now());
  await page.keyboard.press('Enter');
  const h = await page.waitForFunction(() => {
    const p = document.querySelector('[data-testid="node-panel"]');
    return p && p.offsetParent !== null && p.textContent.trim() ? performance.now() : false;
  }, null, { polling: 'raf' });
  return (await h.jsonValue()) - t;
}

/* One trace: made through the API (POST /v1/traces, graph: true) from the theft's output 0
 * with params, then opened in a logged-in page (openTrace), panned (panZoom), a node selected,
 * a screenshot; `put` receives the figures as soon as they exist, `after(page)` runs last. */
async function measureTrace(browser, offHost, base, fx, params, world, put, after) {
  const api = apiClient(base, fx.token);
  const t0 = Date.now();
  const tr = await api('/v1/traces', { method: 'POST', body: { tx: `${fx.theft_tx}:0`, policy: params.policy, max_hops: params.max_hops, graph: true, flows: 'crossings' } });
  const fig = { source: `${fx.theft_tx}:0`, policy: params.policy, max_hops: params.max_hops, world,
    nodes: tr.graph.nodes.length, edges: tr.graph.edges.length, server_trace_ms: Date.now() - t0 };
  put(fig);
  const { ctx, page, errors } = await newPage(browser, offHost);
  try {
    await page.goto(`${base}/`);
    await login(page, fx.token);
    await settled(page);
    Object.assign(fig, await openTrace(page, tr.id, fig.nodes));
    await page.waitForTimeout(1000);
    fig.redraw = await redrawAfterPan(page);
    fig.lod = await page.evaluate(() => (window.__sleuth && window.__sleuth.lod ? window.__sleuth.lod() : null));
    fig.pan = await panZoom(page);
    fig.select_ms = await selectTime(page);
    await page.screenshot({ path: join(OUT, `ui-trace-${fig.nodes}.png`) });
    if (after) await after(page);
  } finally {
    fig.page_errors = errors;
    await ctx.close();
  }
}

/* Runs one measured part; an error is kept in out[name].error and the other parts still run. */
async function section(out, name, fn) {
  try { await fn(); } catch (e) {
    out[name] = { ...(out[name] || {}), error: String(e.message || e).split('\n').slice(0, 6).join('\n') };
    console.error(`${name}: ${out[name].error}`);
  }
}

async function main() {
  const lack = missing();
  if (lack.length) { console.error(`bench/ui needs ${lack.join(', ')}`); process.exit(2); }
  mkdirSync(OUT, { recursive: true });
  const tmp = [];
  const stores = async (env, build) => {
    const d = process.env[env];
    if (d && existsSync(join(d, 'fixture.json'))) return JSON.parse(readFileSync(join(d, 'fixture.json'), 'utf8'));
    const dir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'sleuth-uibench-'));
    tmp.push(dir);
    return build(dir);
  };
  const small = await stores('SLEUTH_UI_FIXTURE', buildFixture);
  const big = SKIP_BIG ? null : await stores('SLEUTH_UI_BIG', buildBig);
  const servers = [];
  const offHost = [];
  const browser = await launch([BLOCK_OTHER_HOSTS, ...GL_FLAGS[GL]]);
  const out = {
    when: new Date().toISOString(), loadavg: loadavg(), machine: `${cpus().length} x ${cpus()[0].model}`,
    chromium: browser.version(), chromium_args: [...CHROMIUM_ARGS, BLOCK_OTHER_HOSTS, ...GL_FLAGS[GL]], sleuth: sh(SLEUTH, ['--version']).split('\n')[0],
  };
  try {
    const s1 = await startServer(small.store, join(OUT, 'ui-serve-small.log'));
    servers.push(s1);
    out.webgl = await (async () => {
      const { ctx, page } = await newPage(browser, offHost);
      await page.goto(`${s1.base}/v1/health`);
      const r = await page.evaluate(() => {
        const c = document.createElement('canvas'); const g = c.getContext('webgl2') || c.getContext('webgl');
        if (!g) return null; const d = g.getExtension('WEBGL_debug_renderer_info');
        return `${g instanceof WebGL2RenderingContext ? 'WebGL 2' : 'WebGL 1'}: ${d ? g.getParameter(d.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER)}`;
      });
      await ctx.close();
      return r;
    })();
    console.log(`chromium ${out.chromium} (${CHROMIUM}), ${out.webgl}`);

    out.first_load = await firstLoad(browser, s1.base, small.token, offHost);
    out.bundle = bundle(out.first_load.first_page_assets);
    // --baseline-web: the same traces against the earlier build first, each on its own server
    const base = async (store, log, extra, name, fn) => {
      if (!BASE_WEB) return;
      out.baseline = out.baseline || { web: BASE_WEB };
      await section(out.baseline, name, async () => {
        const sb = await startServer(store, join(OUT, log), extra, BASE_WEB);
        servers.push(sb);
        try { await fn(sb); } finally { await sb.stop(); servers.splice(servers.indexOf(sb), 1); }
      });
    };
    if (!SKIP_TRACES && !SKIP_SMALL) {
      const w5 = 'dmm seed 1, 20,000 background txs (tests/ui/fixture.sh)';
      await base(small.store, 'ui-serve-small-baseline.log', [], 'trace_5k', (sb) =>
        measureTrace(browser, offHost, sb.base, small, SMALL, w5, (t) => { out.baseline.trace_5k = t; }));
      await section(out, 'trace_5k', () => measureTrace(browser, offHost, s1.base, small, SMALL, w5,
        (t) => { out.trace_5k = t; }, async (page) => {
          // baseline: the same renderer and pan with the graph emptied
          const cleared = await page.evaluate(() => {
            if (!window.__sleuth || !window.__sleuth.graph) return false;
            if (window.__sleuth.clearGraph) return window.__sleuth.clearGraph();
            window.__sleuth.graph.clear(); window.__sleuth.renderer?.refresh?.(); return true;
          });
          out.empty_graph = cleared ? await panZoom(page) : { error: 'window.__sleuth.graph is missing' };
        }));
    }
    if (big) {
      const w50 = `dmm seed 1, ${BIG.background_txs} background txs`;
      const deadline = ['--deadline-ms', '300000'];
      await base(big.store, 'ui-serve-big-baseline.log', deadline, 'trace_50k', (sb) =>
        measureTrace(browser, offHost, sb.base, big, BIG, w50, (t) => { out.baseline.trace_50k = t; }));
      await section(out, 'trace_50k', async () => {
        const s2 = await startServer(big.store, join(OUT, 'ui-serve-big.log'), deadline);
        servers.push(s2);
        await measureTrace(browser, offHost, s2.base, big, BIG, w50, (t) => { out.trace_50k = t; });
      });
    }
  } finally {
    await browser.close();
    for (const s of servers) await s.stop();
  }
  out.off_host_requests = offHost;
  writeFileSync(join(OUT, `ui-${GL}.json`), JSON.stringify(out, null, 1));
  report(out);
  for (const d of tmp) {
    if (process.env.SLEUTH_KEEP_TMP) console.log(`kept: ${d}`); else rmSync(d, { recursive: true, force: true });
  }
  if (offHost.length) { console.error(`FAIL: requests to other hosts: ${offHost.join(', ')}`); process.exit(1); }
}

function report(o) {
  const f = o.first_load, b = o.bundle;
  const line = (k, v) => console.log(`  ${k.padEnd(44)} ${v}`);
  console.log(`\n${o.machine} (load average ${o.loadavg.map((x) => x.toFixed(2)).join(' ')} at the start); chromium ${o.chromium}; ${o.webgl}; ${o.sleuth}`);
  console.log(`first page (median of ${f.runs} cold loads, loopback):`);
  line('navigation -> login form visible', `${ms(f.login_visible_ms)} (max ${ms(f.login_visible_max_ms)})`);
  line('warm reload -> login form visible', ms(f.warm_login_visible_ms));
  line('DOMContentLoaded / load event', `${ms(f.dom_content_loaded_ms)} / ${ms(f.load_event_ms)}`);
  line('login submit -> header / home settled', `${ms(f.header_after_submit_ms)} / ${ms(f.home_after_submit_ms)}`);
  line('baseline GET /v1/health: response / load', `${ms(f.baseline_health_response_end_ms)} / ${ms(f.baseline_health_load_ms)}`);
  console.log('bundle:');
  line(`build/web/assets (${b.files} files)`, `${kib(b.total_bytes)}, gzip ${kib(b.total_gzip)} (JS ${kib(b.js_bytes)}, gzip ${kib(b.js_gzip)})`);
  line('first page (login + home)', `${kib(b.first_page_bytes)}, gzip ${kib(b.first_page_gzip)}: ${b.first_page_files.join(' ')}`);
  const runs = [['~5,000 nodes', o.trace_5k, o.baseline?.trace_5k], ['~50,000 nodes', o.trace_50k, o.baseline?.trace_50k]];
  for (const [name, t, bt] of runs) {
    if (!t) continue;
    if (t.error) { console.log(`trace ${name}: FAILED: ${t.error}`); if (t.nodes == null) continue; }
    console.log(`trace ${name}: ${t.nodes} nodes, ${t.edges} edges (${t.world}; ${t.policy}, max_hops ${t.max_hops}; server trace ${ms(t.server_trace_ms)})`);
    if (bt) console.log(`  (each line: this build${bt.error ? '' : ' | the baseline build, same run | how many times better'}; baseline ${o.baseline.web}${bt.error ? `: FAILED: ${bt.error}` : ''})`);
    // one figure of both builds: "new | baseline | ratio"
    // the ratio is baseline / this for times and sizes, this / baseline for rates (up: better)
    const both = (get, fmt = ms, rate = false) => {
      const v = get(t);
      if (!bt || bt.error) return fmt(v);
      const w = get(bt);
      const k = rate ? v / w : w / v;
      return `${fmt(v)} | ${fmt(w)} | ${Number.isFinite(k) && k ? `${k.toFixed(1)}x` : 'n/a'}`;
    };
    line('GET /v1/traces/{id} in the page', `${ms(t.fetch_ms)}, ${(t.fetch_bytes / 1e6).toFixed(1)} MB`);
    line('open -> data-nodes', both((x) => x.to_data_nodes_ms));
    line('open -> drawn', `${both((x) => x.to_drawn_ms)} (shown ${t.shown_nodes})`);
    if (t.view_timings) line("the view's timings (window.__sleuth.timings)", Object.entries(t.view_timings).map(([k, v]) => `${k} ${v}`).join(', '));
    if (bt?.view_timings) line('  ... of the baseline build', Object.entries(bt.view_timings).map(([k, v]) => `${k} ${v}`).join(', '));
    line('longest task during the load', both((x) => x.longest_task_ms));
    line('blocking / worst probe', `${ms(t.blocking_ms)} / ${ms(t.probe_worst_ms)}`);
    if (t.redraw) line('pan stop -> redrawn (incl. 140 ms settle)', both((x) => x.redraw?.stop_to_drawn_ms));
    if (t.redraw) line('  the render alone', both((x) => x.redraw?.render_ms));
    if (t.lod) line('level of detail after the pans', `${t.lod.reduced ? 'reduced' : 'all'}: ${t.lod.drawnNodes} nodes, ${t.lod.drawnEdges} edges drawn${t.lod.on ? ` (${t.lod.ms} ms to choose)` : ' (small graph: no reduction)'}`);
    if (t.pan) line(`pan+zoom ${(t.pan.pan_ms / 1000).toFixed(1)} s: rAF fps`, both((x) => x.pan?.raf_fps, (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a'), true));
    if (t.pan) line('  sigma renders/s; frame p50 / p95 / max', `${t.pan.renderer_fps.toFixed(1)}; ${t.pan.frame_p50_ms.toFixed(1)} / ${t.pan.frame_p95_ms.toFixed(1)} / ${t.pan.frame_max_ms.toFixed(1)} ms`);
    if (bt?.pan) line('  ... of the baseline build', `${bt.pan.renderer_fps.toFixed(1)}; ${bt.pan.frame_p50_ms.toFixed(1)} / ${bt.pan.frame_p95_ms.toFixed(1)} / ${bt.pan.frame_max_ms.toFixed(1)} ms`);
    line('select a node (node-list -> node-panel)', both((x) => x.select_ms));
    if (t.heap_mb) line('JS heap after load', both((x) => x.heap_mb, (v) => (v ? `${v.toFixed(0)} MB` : 'n/a')));
  }
  if (o.empty_graph?.raf_fps) line('baseline: empty graph pan+zoom rAF fps', `${o.empty_graph.raf_fps.toFixed(1)} (renderer ${o.empty_graph.renderer_fps.toFixed(1)})`);
  console.log(`written: ${join(OUT, `ui-${GL}.json`)}`);
}

main().catch((e) => { console.error(`FAIL: ${e.stack || e}`); process.exit(1); });
