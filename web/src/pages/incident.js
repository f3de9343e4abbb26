// pages/incident.js — #/incident/{name}: one incident. First the library entry (GET
// /v1/incidents/{name}: victim, loss, attack, laundering, aftermath, attribution, sources —
// links shown as text — and the addresses its tags name), with "trace the theft" (its theft
// transactions, else its exploiter addresses, opened in the trace view) and `print-report`
// (GET .../report?format=html opened as a blob in a new tab for printing). Then the report
// (GET .../report, which traces the loot and runs the detectors; it may take seconds):
// `incident-stages` (the laundering stages per asset), `incident-timeline` (pages/timeline.js:
// the stages, findings and still-held funds over time, dormant holdings marked),
// `incident-held` (what is still held where, rows with data-units), where the rest ended,
// `incident-findings` (kind, confidence, evidence; filterable) and the suspects.
import { h, mount, notice, link, short, fmtTime } from '../util.js';
import { get, api, enc } from '../api.js';
import { section, table, td, tdn, kv, time, addrLink, txLink, errText, status, say, routeChain, exact, clipped, grouped, watchButton } from './ui.js';

const STAGES = ['theft', 'dispersal', 'swap-bridge', 'mixing', 'dormancy', 'cash-out'];

/** AMT {chain, asset, decimals, amount, text} -> its text with the base units in data-units
 *  (`bare`: not, inside a row that carries them itself, so a test summing data-units counts it once). */
function amtOf(a, bare = false) {
  if (!a) return h('span.muted', '—');
  return h('span.amt', { 'data-units': bare ? null : String(a.amount), 'data-asset': bare ? null : a.asset, title: `${a.amount} base units (${a.decimals} decimals)` },
    a.decimals == null ? a.text : `${exact(a.amount, a.decimals)} ${a.asset}`);
}

/** first–last as one short text: "2024-05-31 00:10–02:40 UTC" on one day. */
function span(t0, t1) {
  if (t1 == null || t1 === t0) return time(t0);
  const a = fmtTime(t0); const b = fmtTime(t1);
  return h('span.time', { title: `unix ${t0} – ${t1}` }, a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(0, 16)}–${b.slice(11)}` : `${a} – ${b}`);
}

/** The chain to name in a link for `id` found in a document about `hint`: the hint when the
 *  id's form fits it, else none (the server then looks on every chain). */
function chainFor(id, hint) {
  const c = routeChain(hint) || '';
  const evm = /^0x/i.test(id || '');
  if (c === 'btc') return evm ? '' : c;
  return evm ? c : '';
}

function entry(inc) {
  const at = inc.attribution || {};
  const para = (t) => (t ? h('p.prose', t) : null);
  return section('The library entry', kv([
    ['victim', inc.victim],
    ['date', inc.date],
    ['chains', (inc.chains || []).join(', ')],
    ['stolen (as recorded)', (inc.stolen || []).length ? (inc.stolen || []).map((s) => h('div', s.amount != null ? `${grouped(s.amount)} ${s.asset}` : s.asset,
      s.usd != null ? h('span.muted', ` (USD ${grouped(s.usd)})`) : null)) : null],
    ['route in', para(inc.attack?.route_in)],
    ['method', para(inc.attack?.method)],
    ['laundering', para(inc.laundering)],
    ['aftermath', para(inc.aftermath)],
    ['attribution', at.actor || at.by ? [h('strong', at.actor || 'unnamed'), at.by ? ` by ${at.by}` : '', at.date ? `, ${at.date}` : '',
      at.confidence ? `, confidence ${at.confidence}` : '', at.source ? h('div.mono', at.source) : null] : 'none recorded'],
    ['sources', (inc.sources || []).length ? h('ul.sources', inc.sources.map((s) => h('li.mono', s))) : null],
    ['tag pack', inc.tagpack ? h('span.mono', inc.tagpack) : null],
    ['record', inc.from ? h('span.mono', inc.from) : null],
  ]));
}

function taggedAddresses(list) {
  if (!list || !list.length) return null;
  const order = (t) => ({ theft_tx: 0, exploiter: 1 }[t.role] ?? 2);
  return section(`Addresses and transactions its tags name (${list.length})`, clipped(list.slice().sort((a, b) => order(a) - order(b)), 12, (rows) => table(
    ['role', 'label', 'chain', 'address or transaction', 'confidence'],
    rows.map((t) => h('tr', td(t.role || '—'), td(t.label), td(t.chain),
      td(t.tx_hash ? txLink(t.chain, t.tx_hash, 16) : addrLink(t.chain, t.address, 16)), td(`${t.confidence} (${t.confidence_level})`))))));
}

function theftLinks(list) {
  const txs = (list || []).filter((t) => t.tx_hash && t.role === 'theft_tx');
  const src = txs.length ? txs : (list || []).filter((t) => t.address && (t.role === 'exploiter' || t.category === 'perpetrator')).slice(0, 3);
  return src.map((t, k) => h('a.button', {
    href: link.trace(t.tx_hash ? { tx: t.tx_hash, chain: t.chain, policy: 'haircut', direction: 'forward' }
      : { address: t.address, chain: t.chain, policy: 'haircut', direction: 'forward' }),
    'data-testid': k ? null : 'trace-theft', title: t.tx_hash || t.address,
  }, src.length > 1 ? `Trace the theft (${short(t.tx_hash || t.address, 6)})` : 'Trace the theft'));
}

function printButton(name, st) {
  return h('button.secondary', { type: 'button', 'data-testid': 'print-report', on: { click: async () => {
    const w = window.open('', '_blank');   // opened in the click, so no pop-up blocker stops it
    if (w) w.document.title = 'sleuth report…';
    say(st, 'info', 'Preparing the printable report…');
    try {
      const res = await api(`/v1/incidents/${enc(name)}/report?format=html`, { raw: true });
      if (!/^text\/html/.test(res.headers.get('Content-Type') || '')) {
        throw new Error(`the server answered ${res.headers.get('Content-Type') || 'something'} instead of HTML (a newer sleuth serve makes the printable report)`);
      }
      const url = URL.createObjectURL(new Blob([await res.blob()], { type: 'text/html' }));
      if (w) w.location.href = url; else window.open(url, '_blank');
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      say(st, 'ok', 'The report opened in a new tab: print it from there.');
    } catch (e) {
      if (w) w.close();
      say(st, 'error', errText(e, 'The printable report is not available'));
    }
  } } }, 'Printable report');
}

function stagesTable(r) {
  const order = (s) => (STAGES.indexOf(s) + 1) || 99;
  return table(['stage', 'chain', { label: 'amount', num: true }, { label: 'findings', num: true }, 'when'],
    r.stages.slice().sort((a, b) => order(a.stage) - order(b.stage)).map((s) => h('tr', { 'data-stage': s.stage, 'data-asset': s.asset, 'data-chain': s.chain, 'data-units': String(s.amount) },
      td(h('strong', s.stage)), td(s.chain), tdn(amtOf(s, true)), tdn(String(s.findings)), td(span(s.time_first, s.time_last)))),
    { 'data-testid': 'incident-stages' }, 'The detectors found no stage.');
}

function heldSection(r) {
  const idle = (since) => (since && r.tip_time ? Math.floor((r.tip_time - since) / 86400) : null);
  const rows = r.held.slice().sort((a, b) => (a.asset === b.asset ? (BigInt(b.amount) > BigInt(a.amount) ? 1 : -1) : a.asset.localeCompare(b.asset)));
  const sums = new Map();
  for (const x of rows) {
    const k = `${x.chain} ${x.asset}`;
    const s = sums.get(k) || { n: 0, units: 0n, x };
    s.n++; s.units += BigInt(x.amount); sums.set(k, s);
  }
  const body = h('div.scrollbox', table(['address', 'chain', { label: 'held', num: true }, 'since', { label: 'idle days', num: true }, { label: 'pieces', num: true }, 'tag'],
    rows.map((x) => h('tr', { 'data-units': String(x.amount), 'data-asset': x.asset, 'data-chain': x.chain, 'data-address': x.address },
      td(addrLink(routeChain(x.chain), x.address, 14)), td(x.chain), tdn(amtOf(x, true)), td(time(x.since)),
      tdn(idle(x.since) ?? '—'), tdn(String(x.pieces)), td(x.tag ? `${x.tag.label} [${x.tag.category}]` : '—'))),
    { 'data-testid': 'incident-held' }, 'Nothing is still held: every part of the loot reached an end.'));
  return section('Still held', h('p', [...sums.values()].map((s, k) => [k ? '; ' : '',
    h('strong', amtOf({ ...s.x, amount: s.units.toString() })),
    ` on ${s.n} address${s.n === 1 ? '' : 'es'} (${s.x.chain})`]), rows.length ? '.' : ''), body);
}

function endpointsSection(r) {
  return section('Where the rest went', table(['address', 'tag', { label: 'amount', num: true }, 'end', 'first arrival', { label: 'pieces', num: true }],
    r.endpoints.map((x) => h('tr', { 'data-units': String(x.amount), 'data-asset': x.asset, 'data-chain': x.chain },
      td(addrLink(routeChain(x.chain), x.address, 14)), td(x.tag ? h('span', h('strong', x.tag.label), ` [${x.tag.category}]`) : '—'),
      tdn(amtOf(x, true)), td(x.reason), td(time(x.since)), tdn(String(x.pieces)))), {}, 'No endpoint.'));
}

function findingsSection(r) {
  const kinds = [...new Set(r.findings.map((f) => f.kind))].sort();
  const rows = r.findings.map((f) => {
    const ch = f.amount?.chain;
    const tr = h('tr', { 'data-kind': f.kind, 'data-stage': f.stage },
      td(h('strong.nowrap', f.kind), h('div.muted', f.stage)),
      tdn(f.confidence.toFixed(2)),
      tdn(amtOf(f.amount)),
      td(span(f.time_first, f.time_last)),
      td(h('div.evidence', { title: f.rule }, f.evidence)),
      td(h('div.where',
        (f.addresses || []).map((a) => addrLink(chainFor(a, ch), a, 6)),
        f.n_addresses > (f.addresses || []).length ? h('span.muted', `+${f.n_addresses - f.addresses.length} addresses`) : null,
        (f.txs || []).map((t) => h('span', 'tx ', txLink(chainFor(t, ch), t, 6))),
        f.n_txs > (f.txs || []).length ? h('span.muted', `+${f.n_txs - f.txs.length} txs`) : null)));
    return tr;
  });
  const count = h('span.muted', { role: 'status' }, `${rows.length} findings`);
  const sel = h('select', { 'aria-label': 'Show findings of kind', on: { change: () => {
    let n = 0;
    for (const tr of rows) { tr.hidden = !!sel.value && tr.dataset.kind !== sel.value; if (!tr.hidden) n++; }
    count.textContent = sel.value ? `${n} of ${rows.length} findings` : `${rows.length} findings`;
  } } }, h('option', { value: '' }, 'every kind'), kinds.map((k) => h('option', { value: k }, k)));
  return section('What the detectors found', h('div.row.filter', sel, count),
    table(['kind', { label: 'confidence', num: true }, { label: 'amount', num: true }, 'time', 'evidence', 'addresses and transactions'],
      rows, { 'data-testid': 'incident-findings' }, 'No finding.'));
}

function suspectsSection(r) {
  if (!r.suspects.length) return null;
  return section(`Suspects (${r.suspects.length}): addresses believed to be the thief's`, clipped(r.suspects, 20, (list) => table(
    ['address', { label: 'confidence', num: true }, { label: 'received', num: true }, 'first seen', 'why'],
    list.map((s) => h('tr', { 'data-address': s.address },
      td(addrLink(routeChain(s.received?.chain), s.address, 12), s.tag ? h('div.muted', s.tag.label) : null),
      tdn(s.confidence.toFixed(2)), tdn(amtOf(s.received)), td(time(s.first_seen)), td(s.reason))))));
}

async function report(box, name) {
  mount(box, h('p.loading', { role: 'status' }, 'Tracing the loot and running the detectors (this can take a few seconds)…'));
  let r;
  try { r = await get(`/v1/incidents/${enc(name)}/report`); } catch (e) {
    return mount(box, notice('error', errText(e, 'The report could not be made')));
  }
  const chains = section('Chains', table(['chain', 'state', 'what the report says'], (r.chains || []).map((c) => h('tr',
    td(c.chain), td(c.state), td(c.says)))));
  if (!r.traced) {
    return mount(box, notice('info', `Not traced: ${r.not_traced_why || 'the store does not hold this incident'}.`), chains);
  }
  const { timeline } = await import('./timeline.js');
  const parts = [
    ['Stages', section('Laundering stages', stagesTable(r))],
    ['Timeline', section('Timeline', timeline(r))],
    ['Still held', heldSection(r)],
    ['Where the rest went', endpointsSection(r)],
    ['Findings', findingsSection(r)],
    ['Suspects', suspectsSection(r)],
    ['Chains', chains],
  ].filter(([, el]) => el);
  mount(box,
    h('nav.jump', { 'aria-label': 'Parts of the report' }, parts.map(([t, el]) => h('button.link', { type: 'button', on: { click: () => {
      el.scrollIntoView({ block: 'start' }); el.querySelector('h2')?.setAttribute('tabindex', '-1'); el.querySelector('h2')?.focus({ preventScroll: true });
    } } }, t))),
    h('p', 'Loot: ', (r.loot || []).map((a, k) => [k ? ', ' : '', h('strong', amtOf(a)), ` (${a.chain})`]),
      h('span.muted', ` — policy ${r.params?.policy}, up to ${r.params?.max_hops} hops, dormant after ${r.params?.dormant_days} days, as of `), time(r.tip_time)),
    parts.map(([, el]) => el));
  return undefined;
}

export async function render(main, { name }) {
  let inc;
  try { inc = (await get(`/v1/incidents/${enc(name)}`)).incident; } catch (e) {
    return mount(main, h('h1', `Incident ${name}`), notice('error', errText(e, 'Cannot read the incident')));
  }
  const st = status();
  const box = h('div', { 'aria-live': 'polite' });
  mount(main, h('div', { 'data-testid': 'incident-page', 'data-incident': inc.id },
    h('h1', inc.name || inc.id, h('span.muted', ` ${inc.id}, ${inc.date || 'date unknown'}`)),
    h('div.row.actions', theftLinks(inc.addresses), printButton(inc.id, st),
      watchButton('Watch its funds', { kind: 'incident', target: inc.id, policy: 'haircut' }, st)),
    st,
    entry(inc),
    taggedAddresses(inc.addresses),
    h('h2.report-head', 'Report'),
    box));
  document.title = `${inc.name || inc.id} — sleuth`;
  report(box, inc.id);
  return undefined;
}
