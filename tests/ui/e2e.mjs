// tests/ui/e2e.mjs — the browser end-to-end test of sleuth's web UI (issue 14): Debian's
// chromium, headless at 1280x800, driven by playwright-core against `sleuth serve` on
// 127.0.0.1 with the store of tests/ui/fixture.sh (a generated three-chain world, the real
// Ethereum block 18,000,011, real tags, clusters, the exposure index, an analyst token).
//
// Each step does what an investigator does and asserts what the page shows against the API's
// own JSON, fetched here with the same token: log in (a wrong token is refused, the right one
// shows its role); search the address holding the most stolen bitcoin (balances, risk level
// against /v1/screen); search the theft transaction and trace from it (conservation of every
// asset, drawn nodes against the trace's graph; the level of detail, with its thresholds
// lowered: which edges are drawn, the line that says so, all of them once zoomed in); narrow the trace to 3 hops in the view and
// expand a node where it stopped (the graph grows); the Sankey and the timeline (dormant
// holdings); a note on that node and a saved case, found after a reload in the case list and
// reopened with its note; the incident's held funds summed per asset against its report; a
// watchlist entry against GET /v1/watchlists. The login and the searches use the keyboard only
// (Tab, typing, Enter). Every request to a host other than 127.0.0.1 is aborted and fails the
// test (the guard proves itself at the end); so does an uncaught error in the page. A
// screenshot per step goes to the output folder ($SLEUTH_UI_OUT, default build/test-ui/).
//
// Usage: node tests/ui/e2e.mjs   ($SLEUTH_BIN, default build/sleuth; $SLEUTH_WEB, default
// build/web; $SLEUTH_UI_FIXTURE=DIR reuses a fixture dir made by tests/ui/fixture.sh;
// $SLEUTH_UI_PORTS=LO-HI, default 18600-18699; $SLEUTH_UI_ONLY=step,... runs only those
// steps). Exit 0 when every step passed; 1 with the failing step's message; 77 when something
// it needs is missing (node modules, chromium, build/web, sleuth).
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, missing, browserPage, startServer, apiClient, buildFixture } from './lib.mjs';

const OUT = process.env.SLEUTH_UI_OUT || join(ROOT, 'build/test-ui');
const STEP_MS = 30000;

class Failure extends Error {}
function check(cond, msg) { if (!cond) throw new Failure(msg); }
const big = (v) => BigInt(typeof v === 'number' ? Math.round(v) : String(v));
const sameUnits = (a, b) => { try { return big(a) === big(b); } catch { return false; } };

/* $SLEUTH_UI_ONLY=login,incident,...: run only these steps (while developing one page; the
 * steps after trace need it). The full test runs every step. */
const ONLY = process.env.SLEUTH_UI_ONLY ? process.env.SLEUTH_UI_ONLY.split(',') : null;
let stepNo = 0;
async function step(page, name, fn) {
  stepNo++;
  if (ONLY && !ONLY.includes(name)) { console.log(`skip ${stepNo} ${name} (not in SLEUTH_UI_ONLY)`); return; }
  const shot = join(OUT, `${String(stepNo).padStart(2, '0')}-${name}.png`);
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    await page.screenshot({ path: shot.replace(/\.png$/, '-FAILED.png'), fullPage: false }).catch(() => {});
    throw new Failure(`step ${stepNo} (${name}): ${e instanceof Failure ? e.message : (e.stack || e)}`);
  }
  await page.screenshot({ path: shot, fullPage: false });
  console.log(`ok ${stepNo} ${name} (${Date.now() - t0} ms)`);
}

/** Presses Tab (at most max times) until the focused element matches selector: the element is
 * reachable with the keyboard. */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i <= max; i++) {
    if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Failure(`${selector} is not reached with ${max} presses of Tab`);
}

const tid = (id) => `[data-testid="${id}"]`;

/** Rows carrying data-units inside (or being) the elements with this testid. */
async function unitRows(page, id) {
  return page.$$eval(`${tid(id)}[data-units], ${tid(id)} [data-units]`, (els) => els.map((e) => ({
    units: e.dataset.units, asset: e.dataset.asset ?? null, chain: e.dataset.chain ?? null,
    field: e.dataset.field ?? null, address: e.dataset.address ?? null, text: e.textContent.trim(),
  })));
}

async function graphCount(page) {
  const v = await page.getAttribute(tid('graph'), 'data-nodes');
  return v == null ? NaN : Number(v);
}

async function main() {
  const lack = missing();
  if (lack.length) { console.log(`SKIP: the browser test needs ${lack.join(', ')}`); process.exit(77); }
  mkdirSync(OUT, { recursive: true });

  let fixDir = process.env.SLEUTH_UI_FIXTURE;
  let ownFixture = false;
  if (!fixDir || !existsSync(join(fixDir, 'fixture.json'))) {
    fixDir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'sleuth-ui-'));
    ownFixture = true;
  }
  const t0 = Date.now();
  const fx = ownFixture ? await buildFixture(fixDir) : JSON.parse(readFileSync(join(fixDir, 'fixture.json'), 'utf8'));
  console.log(`fixture: ${fixDir} (${ownFixture ? `built in ${Date.now() - t0} ms` : 'reused'})`);

  let server = null, browser = null, failed = null, offHost = [], pageErrors = [];
  try {
    server = await startServer(fx.store, join(OUT, 'serve.log'));
    const api = apiClient(server.base, fx.token);
    let page, context;
    ({ browser, context, page, offHost, pageErrors } = await browserPage());
    page.setDefaultTimeout(STEP_MS);
    await run(page, server.base, api, fx);
    // the guard itself: a navigation to another host (TEST-NET-2, never routed) is recorded and
    // aborted, so an empty list above means no such request was made
    const probe = 'http://198.51.100.7/e2e-guard-probe';
    const p2 = await context.newPage();
    await p2.goto(probe, { timeout: 10000 }).catch(() => {});
    await p2.close();
    const i = offHost.indexOf(probe);
    if (i < 0) throw new Failure(`the off-host guard did not see a navigation to ${probe}`);
    offHost.splice(i, 1);
  } catch (e) {
    failed = e;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    if (ownFixture && !process.env.SLEUTH_KEEP_TMP) rmSync(fixDir, { recursive: true, force: true });
  }
  const problems = [];
  if (failed) problems.push(failed instanceof Failure ? failed.message : (failed.stack || String(failed)));
  if (offHost.length) problems.push(`requests to hosts other than 127.0.0.1 (aborted): ${[...new Set(offHost)].join(', ')}`);
  if (pageErrors.length) problems.push(`uncaught errors in the page: ${pageErrors.join('\n')}`);
  console.log(`screenshots and the server's log: ${OUT}`);
  if (problems.length) { console.error(`FAIL: ${problems.join('\n')}`); process.exit(1); }
  console.log(ONLY ? `PASS (only ${ONLY.join(', ')}; not the whole test)` : `PASS: ${stepNo} steps`);
}

async function run(page, base, api, fx) {
  const info = await api('/v1/info');
  const report = await api(`/v1/incidents/${encodeURIComponent(fx.incident)}/report`);
  // the address to search: the one holding the most stolen bitcoin at the tip
  const heldBtc = report.held.filter((e) => e.chain === 'btc' || e.chain === 'bitcoin')
    .sort((a, b) => (big(b.amount) > big(a.amount) ? 1 : big(b.amount) < big(a.amount) ? -1 : 0));
  check(heldBtc.length > 0, 'the incident report of the fixture holds no bitcoin: the fixture is not the expected world');
  const addr = heldBtc[0].address;

  await step(page, 'login', async () => {
    await page.goto(`${base}/`);
    await page.locator('form#login input[name=token]').waitFor({ state: 'visible' });
    await tabTo(page, 'form#login input[name=token]');
    await page.keyboard.type(`slt_${'A'.repeat(43)}`);
    await page.keyboard.press('Enter');
    const err = page.locator(tid('login-error'));
    await err.waitFor({ state: 'visible' });
    check((await err.textContent()).trim().length > 0, 'login-error is shown empty for a wrong token');
    check(await page.locator(tid('role')).count() === 0, 'a wrong token shows the header');
    await page.screenshot({ path: join(OUT, `${String(stepNo).padStart(2, '0')}-login-refused.png`) });
    await tabTo(page, 'form#login input[name=token]');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(fx.token);
    await page.keyboard.press('Enter');
    const role = page.locator(tid('role'));
    await role.waitFor({ state: 'visible' });
    await page.waitForFunction((want) => document.querySelector('[data-testid="role"]')?.textContent.includes(want), info.server.role);
  });

  await step(page, 'search-address', async () => {
    await tabTo(page, '#search-box');
    await page.keyboard.type(addr);
    await page.keyboard.press('Enter');
    await page.locator(tid('address-page')).waitFor();
    const [aj, screen] = await Promise.all([api(`/v1/address/${encodeURIComponent(addr)}`), api(`/v1/screen/${encodeURIComponent(addr)}`)]);
    const want = aj.balances ? { ...aj.balances } : { BTC: aj.balance };
    await page.locator(`${tid('balance')}[data-units], ${tid('balance')} [data-units]`).first().waitFor();
    const rows = await unitRows(page, 'balance');
    check(rows.length > 0, 'no balance row with data-units');
    for (const r of rows) {
      const key = r.asset ?? Object.keys(want)[0];
      check(key in want, `balance row for asset ${r.asset} that /v1/address does not list (${JSON.stringify(want)})`);
      check(sameUnits(r.units, want[key]), `balance ${key}: the page says ${r.units} base units, /v1/address ${want[key]}`);
    }
    for (const [asset, units] of Object.entries(want)) {
      if (!sameUnits(units, 0)) check(rows.some((r) => (r.asset ?? asset) === asset), `no balance row for ${asset} (${units})`);
    }
    const level = page.locator(tid('risk-level'));
    await level.waitFor();
    await page.waitForFunction((want) => document.querySelector('[data-testid="risk-level"]')?.textContent.trim() === want, screen.risk, { timeout: 10000 })
      .catch(async () => { throw new Failure(`risk-level shows "${(await level.textContent()).trim()}", /v1/screen says "${screen.risk}"`); });
  });

  let trace = null;
  await step(page, 'trace', async () => {
    await tabTo(page, '#search-box');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(fx.theft_tx);
    await page.keyboard.press('Enter');
    const from = page.locator(tid('trace-from-here'));
    await from.waitFor();
    await from.click();
    const view = page.locator(`${tid('trace-view')}[data-trace-id]:not([data-trace-id=""])`);
    await view.waitFor({ timeout: 60000 });
    const id = await view.getAttribute('data-trace-id');
    trace = await api(`/v1/traces/${encodeURIComponent(id)}`);
    check(trace.graph && Array.isArray(trace.graph.nodes), `trace ${id} was made without its graph (the view must ask for graph: true)`);
    const cons = trace.result.conservation;
    await page.locator(`${tid('conservation')} [data-field][data-units]`).first().waitFor();
    const rows = await unitRows(page, 'conservation');
    for (const f of ['source', 'endpoints', 'held', 'fees', 'dropped', 'linked_out', 'linked_in', 'absorbed']) {
      const r = rows.find((x) => x.field === f);
      // the view leaves out a zero "absorbed" (only the poison policy pulls clean value in) and a
      // zero "linked in" from the left side of the line
      if (!r && (f === 'absorbed' || f === 'linked_in') && sameUnits(cons[f], 0)) continue;
      check(r, `conservation has no ${f} (data-field) with data-units (the trace says ${cons[f]})`);
      check(sameUnits(r.units, cons[f]), `conservation ${f}: the page says ${r.units}, the trace ${cons[f]}`);
    }
    // the lines of the other assets the taint crossed into (result.assets)
    for (const a of trace.result.assets.filter((x) => x.asset !== trace.result.asset || x.chain !== trace.result.chain)) {
      const got = await page.$$eval(`${tid('conservation')} [data-asset="${a.asset}"][data-chain="${a.chain}"] [data-asset-field]`,
        (els) => Object.fromEntries(els.map((e) => [e.dataset.assetField, e.dataset.units])));
      for (const f of ['endpoints', 'held', 'fees', 'dropped', 'linked_out']) {
        check(sameUnits(got[f], a[f]), `conservation of ${a.asset} on ${a.chain}: ${f} is ${got[f]} on the page, ${a[f]} in the trace`);
      }
    }
    const allBalanced = cons.balanced && trace.result.assets.every((a) => a.balanced);
    const balanced = await page.getAttribute(tid('conservation'), 'data-balanced');
    check(balanced === String(allBalanced), `conservation data-balanced="${balanced}", the trace says ${allBalanced}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="graph"]')?.dataset.nodes) > 0);
    // The view collapses the leaves of a hub (more than N neighbours) into one labelled node:
    // data-nodes counts what is drawn, and every node of the trace is one drawn node's member.
    const n = await graphCount(page);
    const shown = await page.evaluate(() => window.__sleuth.nodes());
    check(n === shown.length, `graph data-nodes=${n}, window.__sleuth.nodes() has ${shown.length}`);
    const members = shown.reduce((a, x) => a + x.members, 0);
    check(members === trace.graph.nodes.length, `the ${n} drawn nodes hold ${members} of the trace's nodes, the trace's graph has ${trace.graph.nodes.length}`);
    const edges = Number(await page.getAttribute(tid('graph'), 'data-edges'));
    check(edges > 0 && edges <= trace.graph.edges.length, `graph data-edges=${edges}, the trace's graph has ${trace.graph.edges.length} edges`);
  });

  await step(page, 'level-of-detail', async () => {
    // The theft's trace is below the level-of-detail threshold: everything is drawn, no line.
    const el = tid('lod-status');
    const edges = Number(await page.getAttribute(tid('graph'), 'data-edges'));
    check(await page.locator(el).isHidden(), 'the reduced-detail line shows on a small graph');
    check(await page.getAttribute(el, 'data-reduced') === 'false', 'lod-status data-reduced is not "false" on a small graph');
    const drawn = await page.evaluate(() => window.__sleuth.renderer.getGraph().size);
    check(drawn === edges, `the renderer draws ${drawn} edges, data-edges=${edges}`);
    // The same graph with the thresholds lowered, as a 50k-node trace is drawn: at the fitted
    // view, 40 edges (crossings, then the largest amounts) and the line says so.
    await page.evaluate(() => window.__sleuth.setLod({ items: 0, edgeBudget: 40, nodeBudget: 40 }));
    await page.locator(el).waitFor({ state: 'visible' });
    const text = await page.locator(el).textContent();
    check(text.includes(`showing 40 of ${edges.toLocaleString('en')} edges`), `the reduced-detail line says "${text}", not "showing 40 of ${edges} edges"`);
    check(await page.getAttribute(el, 'data-reduced') === 'true', 'lod-status data-reduced is not "true" when reduced');
    const r = await page.evaluate(() => {
      const full = window.__sleuth.graph, d = window.__sleuth.renderer.getGraph();
      const kept = [], dropped = [];
      full.forEachEdge((id, a) => (d.hasEdge(id) ? kept : dropped).push(a));
      const w = (l, f) => l.filter((a) => !a.crossing).map((a) => a.weight).reduce((x, y) => f(x, y), f === Math.min ? Infinity : -Infinity);
      return { drawn: d.size, full: full.size, keptCross: kept.filter((a) => a.crossing).length, allCross: kept.concat(dropped).filter((a) => a.crossing).length,
        minKept: w(kept, Math.min), maxDropped: w(dropped, Math.max), ends: kept.every((a) => d.hasNode(a.source) && d.hasNode(a.target)) };
    });
    check(r.drawn === 40 && r.full === edges, `reduced: ${r.drawn} edges drawn of ${r.full} (want 40 of ${edges})`);
    check(r.keptCross === Math.min(40, r.allCross), `${r.keptCross} of ${r.allCross} crossings drawn: crossings come first`);
    check(r.minKept >= r.maxDropped, `a drawn edge weighs ${r.minKept}, a left-out one ${r.maxDropped}: the largest amounts come first`);
    check(r.ends, 'a drawn edge has an end that is not drawn');
    // A node left out of the drawing, selected in the list's stead, is drawn and highlighted.
    const out = await page.evaluate(() => window.__sleuth.nodes().map((x) => x.id).find((id) => !window.__sleuth.renderer.getGraph().hasNode(id)));
    check(out, 'every node is drawn with a budget of 40 edges');
    await page.evaluate((id) => window.__sleuth.selectNode(id), out);
    const sel = await page.evaluate((id) => { const d = window.__sleuth.renderer.getGraph(); return d.hasNode(id) && d.getNodeAttribute(id, 'highlighted') === true; }, out);
    check(sel, `node ${out}, selected, is not drawn highlighted in the reduced graph`);
    // Zoomed in on the source: the view holds fewer edges, everything in it is drawn.
    const src = (await page.evaluate(() => window.__sleuth.nodes())).find((x) => x.status === 'source').id;
    await page.evaluate((id) => {
      const r = window.__sleuth.renderer, d = r.getNodeDisplayData(id);
      r.getCamera().setState({ x: d.x, y: d.y, ratio: 0.004 });
    }, src);
    await page.waitForFunction(() => { const i = window.__sleuth.lod(); return i && i.inViewEdges <= 40; }, null, { timeout: 10000 });
    const z = await page.evaluate(() => window.__sleuth.lod());
    check(!z.reduced && z.shownEdges === z.inViewEdges && z.drawnEdges === z.inViewEdges,
      `zoomed in: ${z.shownEdges} of ${z.inViewEdges} edges in view drawn (${z.drawnEdges} in all), reduced=${z.reduced}`);
    check(await page.locator(el).isHidden(), 'the reduced-detail line still shows when everything in view is drawn');
    await page.evaluate(() => { window.__sleuth.setLod(null); window.__sleuth.renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1 }); });
    const back = await page.evaluate(() => window.__sleuth.renderer.getGraph().size);
    check(back === edges, `with the default thresholds again the renderer draws ${back} edges, data-edges=${edges}`);
  });

  let expanded = null;
  /* Selects a node as a user does: its id typed in the node list's find box (the list is
   * virtualised: only rows in view exist), the row focused, Enter. */
  const selectInList = async (id) => {
    await page.locator(tid('node-find')).fill(id);
    const row = page.locator(`${tid('node-list')} [data-node-id="${id}"]`).first();
    await row.waitFor();
    await row.focus();
    await page.keyboard.press('Enter');
    await page.locator(tid('node-panel')).waitFor({ state: 'visible' });
  };
  await step(page, 'expand-node', async () => {
    // The theft's trace runs to where the loot rests (every endpoint held: nothing to expand),
    // so the investigator narrows it in the view's parameter bar (keyboard: the hops field,
    // Enter) and expands one of the nodes where the shorter trace stopped.
    const firstId = await page.getAttribute(tid('trace-view'), 'data-trace-id');
    await page.locator(`${tid('trace-params')} input[name=max_hops]`).focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => {
      const v = document.querySelector('[data-testid="trace-view"]');
      return v && v.dataset.traceId && v.dataset.traceId !== old && Number(document.querySelector('[data-testid="graph"]')?.dataset.nodes) > 0;
    }, firstId, { timeout: 60000 });
    const id = await page.getAttribute(tid('trace-view'), 'data-trace-id');
    trace = await api(`/v1/traces/${encodeURIComponent(id)}`);
    check(trace.request.max_hops === 3, `the re-run trace asked max_hops ${trace.request.max_hops}, not 3`);
    const before = await graphCount(page);
    const drawn = new Map((await page.evaluate(() => window.__sleuth.nodes())).map((x) => [x.id, x]));
    check(drawn.size === before, `graph data-nodes=${before}, window.__sleuth.nodes() has ${drawn.size}`);
    const cands = trace.graph.nodes.filter((x) => x.type !== 'tx' && /max-hops/.test(x.status) && drawn.get(x.id)?.kind === 'node').slice(0, 3);
    check(cands.length > 0, 'no node where the 3-hop trace stopped is drawn as a node of its own');
    for (const c of cands) {
      await selectInList(c.id);
      const btn = page.locator(tid('expand-node'));
      await btn.waitFor({ state: 'visible' });
      if (await btn.isDisabled()) continue;
      await btn.click();
      const grew = await page.waitForFunction((b) => Number(document.querySelector('[data-testid="graph"]')?.dataset.nodes) > b, before, { timeout: 20000 })
        .then(() => true, () => false);
      if (grew) { expanded = c; break; }
    }
    check(expanded, `expanding ${cands.map((c) => `${c.id} (${c.status})`).join(', ')} did not add a node (data-nodes stays ${before})`);
  });

  await step(page, 'sankey', async () => {
    await page.locator(tid('tab-sankey')).click();
    await page.locator(`${tid('sankey')} path`).first().waitFor({ state: 'attached' });
    const n = await page.locator(`${tid('sankey')} path`).count();
    check(n > 0, 'the Sankey svg has no path');
  });

  await step(page, 'timeline', async () => {
    await page.locator(tid('tab-timeline')).click();
    await page.locator(tid('timeline')).waitFor({ state: 'visible' });
    const held = trace.result.endpoints.filter((e) => e.status === 'held').length;
    if (held > 0) {
      await page.locator(`${tid('timeline')} ${tid('dormant')}`).first().waitFor({ state: 'attached' })
        .catch(() => { throw new Failure(`the trace has ${held} held endpoints but the timeline shows no dormant bar`); });
    }
  });

  const stamp = Date.now().toString(36);
  const note = `e2e note ${stamp}: the loot rests here`;
  const title = `e2e case ${stamp}`;
  let caseId = null;
  await step(page, 'save-case', async () => {
    await page.locator(tid('tab-graph')).click();
    await selectInList(expanded.id);
    const noteBox = page.locator(tid('node-note'));
    await noteBox.waitFor({ state: 'visible' });
    await noteBox.click();
    await page.keyboard.type(note);
    await page.keyboard.press('Tab');
    const titleBox = page.locator(tid('case-title'));
    await titleBox.fill(title);
    await page.locator(tid('save-case')).click();
    // saved: the server lists a case with this title and case-saved names its id
    const saved = page.locator(tid('case-saved'));
    let text = '';
    for (const t0 = Date.now(); Date.now() - t0 < STEP_MS; await page.waitForTimeout(200)) {
      const list = await api('/v1/cases');
      const mine = (list.cases || list).find((c) => c.title === title);
      text = (await saved.textContent()).trim();
      if (mine) caseId = String(mine.id);
      if (caseId && new RegExp(`\\b${caseId}\\b`).test(text)) break;
    }
    check(caseId, `GET /v1/cases has no case titled "${title}" (case-saved says "${text}")`);
    check(new RegExp(`\\b${caseId}\\b`).test(text), `case-saved says "${text}", not the case id ${caseId}`);
  });

  await step(page, 'reload-find-case', async () => {
    await page.reload();
    await page.goto(`${base}/#/cases`);
    const row = page.locator(`${tid('case-list')} [data-case-id="${caseId}"]`).first();
    await row.waitFor();
    check((await row.textContent()).includes(title), `case-list row ${caseId} does not show the title "${title}"`);
    const link = row.locator(`a[href="#/case/${caseId}"]`).or(row.locator('a')).first();
    await link.click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="graph"]')?.dataset.nodes) > 0, null, { timeout: 60000 });
    await selectInList(expanded.id);
    const noteBox = page.locator(tid('node-note'));
    await noteBox.waitFor({ state: 'visible' });
    const got = await noteBox.evaluate((e) => ('value' in e ? e.value : e.textContent));
    check(got.includes(note), `the reopened case's note on ${expanded.id} is "${got}", not "${note}"`);
  });

  await step(page, 'incident', async () => {
    await page.goto(`${base}/#/incident/${encodeURIComponent(fx.incident)}`);
    await page.locator(tid('incident-page')).waitFor();
    await page.locator(`${tid('incident-held')}[data-units], ${tid('incident-held')} [data-units]`).first().waitFor();
    const rows = await unitRows(page, 'incident-held');
    const want = new Map();
    for (const e of report.held) want.set(`${e.chain}/${e.asset}`, (want.get(`${e.chain}/${e.asset}`) || 0n) + big(e.amount));
    const got = new Map();
    for (const r of rows) {
      check(r.asset, 'an incident-held row has data-units but no data-asset');
      const chain = r.chain ?? report.held.find((e) => e.asset === r.asset)?.chain;
      const k = `${chain}/${r.asset}`;
      got.set(k, (got.get(k) || 0n) + big(r.units));
    }
    for (const [k, v] of want) check(got.get(k) === v, `incident-held ${k}: the page sums to ${got.get(k) ?? 'nothing'}, the report to ${v}`);
    check(got.size === want.size, `incident-held shows ${[...got.keys()]}, the report ${[...want.keys()]}`);
  });

  await step(page, 'watchlist', async () => {
    await page.goto(`${base}/#/watch`);
    const form = page.locator(tid('watch-add'));
    await form.waitFor();
    const label = `e2e watch ${stamp}`;
    await form.locator('select[name=kind]').selectOption('address');
    await form.locator('input[name=target]').fill(addr);
    await form.locator('input[name=label]').fill(label);
    const chainSel = form.locator('select[name=chain]');
    if (await chainSel.count()) {
      const opts = await chainSel.locator('option').evaluateAll((os) => os.map((o) => o.value));
      const v = opts.find((o) => o === 'btc' || o === 'bitcoin');
      if (v) await chainSel.selectOption(v);
    }
    await form.locator('input[name=label]').press('Enter');
    const row = page.locator(`${tid('watchlist')} [data-watch-id]`, { hasText: label }).first();
    await row.waitFor();
    const id = await row.getAttribute('data-watch-id');
    const wl = await api('/v1/watchlists');
    const e = wl.watchlist.find((w) => String(w.id) === id);
    check(e, `GET /v1/watchlists has no entry ${id}`);
    check(e.target === addr || e.address === addr, `watchlist entry ${id} is for ${e.target ?? e.address}, not ${addr}`);
  });
}

main().catch((e) => { console.error(`FAIL: ${e.stack || e}`); process.exit(1); });
