// tests/ui/lib.mjs — what the browser test (tests/ui/e2e.mjs) and the UI benchmark
// (bench/ui/bench.mjs) share: the repository's paths, playwright-core from web/node_modules,
// Debian's chromium launched headless at 1280x800 with a guard that records and aborts every
// request to a host other than 127.0.0.1, a `sleuth serve` on a free port of a range, and the
// /v1 API called from node with a token (the answers the page is compared with).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.SLEUTH_CHROMIUM || '/usr/bin/chromium';
export const SLEUTH = process.env.SLEUTH_BIN || join(ROOT, 'build/sleuth');
export const WEB = process.env.SLEUTH_WEB || join(ROOT, 'build/web');
/* Headless chromium has WebGL 2 through SwiftShader (ANGLE on Vulkan) with no flag on Debian's
 * chromium 156; --enable-unsafe-swiftshader keeps the software fallback allowed where newer
 * builds would refuse it without a GPU. */
export const CHROMIUM_ARGS = ['--enable-unsafe-swiftshader', '--no-first-run', '--no-default-browser-check'];
export const VIEWPORT = { width: 1280, height: 800 };

/** What the test needs and where it is missing (empty: all there). */
export function missing() {
  const m = [];
  if (!existsSync(join(ROOT, 'web/node_modules/playwright-core/index.mjs'))) m.push('web/node_modules/playwright-core (cd web && npm ci)');
  if (!existsSync(CHROMIUM)) m.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(join(WEB, 'index.html'))) m.push(`${WEB}/index.html (make web)`);
  if (!existsSync(SLEUTH)) m.push(`${SLEUTH} (make)`);
  return m;
}

/** playwright-core's chromium, imported from web/node_modules (the UI's own install). */
export async function playwright() {
  const mod = await import(pathToFileURL(join(ROOT, 'web/node_modules/playwright-core/index.mjs')).href);
  return mod.chromium;
}

/** Launches Debian's chromium headless (CHROMIUM_ARGS and args). */
export async function launch(args = []) {
  const chromium = await playwright();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args] });
}

/** A fresh context (no cache, no storage) at 1280x800 whose requests may go to 127.0.0.1
 * only: any other host is pushed on offHost and aborted (the caller fails on a non-empty list).
 * intercept: false (the benchmark) watches requests without holding them — interception sends
 * each one through the DevTools protocol and adds tens of milliseconds to every load — and
 * relies on BLOCK_OTHER_HOSTS, given at launch, to make any other host unreachable. */
export async function guardedContext(browser, offHost, { intercept = true } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const offHostUrl = (url) => {
    let host = '';
    try { host = new URL(url).hostname; } catch { /* an unparsable URL is off-host */ }
    return host !== '127.0.0.1' && !url.startsWith('data:') && !url.startsWith('blob:');
  };
  if (intercept) {
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (offHostUrl(url)) { offHost.push(url); return route.abort('blockedbyclient'); }
      return route.continue();
    });
  } else {
    context.on('request', (r) => { if (offHostUrl(r.url())) offHost.push(r.url()); });
  }
  return context;
}

/** The chromium flag that resolves every host but 127.0.0.1 to nothing. */
export const BLOCK_OTHER_HOSTS = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

/** chromium, one guarded context and one page; uncaught page errors are pushed on pageErrors. */
export async function browserPage({ args = [] } = {}) {
  const browser = await launch(args);
  const offHost = [];
  const context = await guardedContext(browser, offHost);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack || e)));
  return { browser, context, page, offHost, pageErrors };
}

function portFree(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `sleuth serve --store STORE --web WEB` on the first free port of
 * $SLEUTH_UI_PORTS (default 18600-18699) and waits until /v1/health answers from it. Returns
 * { base, port, stop() }; the server's stderr goes to logFile. Throws when no port works. */
export async function startServer(store, logFile, extra = [], web = WEB) {
  const [lo, hi] = (process.env.SLEUTH_UI_PORTS || '18600-18699').split('-').map(Number);
  mkdirSync(dirname(logFile), { recursive: true });
  for (let port = lo; port <= hi; port++) {
    if (!(await portFree(port))) continue;
    const log = openSync(logFile, 'a');
    const child = spawn(SLEUTH, ['serve', '--store', store, '--listen', `127.0.0.1:${port}`, '--web', web, '--quiet', ...extra],
      { stdio: ['ignore', log, log] });
    let exited = null;
    child.on('exit', (code, sig) => { exited = sig || code; });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && exited === null; i++) {
      try {
        const r = await fetch(`${base}/v1/health`);
        if (r.ok && child.exitCode === null) {
          return {
            base, port, child,
            stop: () => new Promise((res) => {
              if (child.exitCode !== null || child.signalCode) return res();
              const t = setTimeout(() => child.kill('SIGKILL'), 5000);
              child.once('exit', () => { clearTimeout(t); res(); });
              child.kill('SIGTERM');
            }),
          };
        }
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    if (exited === null) child.kill('SIGKILL');
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-5).join('\n') : '';
    if (!/in use|EADDRINUSE/i.test(tail)) throw new Error(`sleuth serve did not start on port ${port}:\n${tail}`);
  }
  throw new Error(`no free port in ${lo}-${hi}`);
}

/** The /v1 API from node with a token: api(path[, {method, body}]) -> parsed JSON; throws
 * with the status and the server's error on anything but 2xx. */
export function apiClient(base, token) {
  return async function api(path, { method = 'GET', body } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
}

/** Builds the UI test store with tests/ui/fixture.sh into dir; returns its fixture.json. */
export function buildFixture(dir) {
  return new Promise((res, rej) => {
    const child = spawn('sh', [join(ROOT, 'tests/ui/fixture.sh'), dir], { stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, SLEUTH_BIN: SLEUTH } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      if (code !== 0) return rej(new Error(`tests/ui/fixture.sh failed (${code}): ${err.trim()}`));
      res(JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')));
    });
  });
}
