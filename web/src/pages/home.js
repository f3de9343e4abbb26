// pages/home.js — the start page (#/): the search box gets the focus, then what the store
// holds (each chain's tip, blocks, transactions, addresses and time span, from /v1/info), the
// incident library (the first 20, linked to all), and the recent saved cases (GET /v1/cases;
// nothing is shown when the server has no cases endpoint).
import { h, mount, notice, link, fmtTime } from '../util.js';
import { get } from '../api.js';
import { serverInfo } from '../main.js';
import { section, table, td, tdn, load, time, storeChains, errText, chainList, byDateDesc } from './ui.js';

const n = (v) => (v == null ? '—' : Number(v).toLocaleString('en'));

function storeTable(chains) {
  if (!chains.length) return notice('info', 'The store holds no blocks yet (sleuth ingest).');
  const cols = ['chain', 'model', { label: 'tip height', num: true }, { label: 'blocks', num: true },
    { label: 'transactions', num: true }, { label: 'addresses', num: true }, 'first block', 'last block'];
  return table(cols, chains.map(({ id, label, model, info: c }) => h('tr', { 'data-chain': id },
    td(label, id !== label ? h('span.muted', ` (${id})`) : null),
    td(model),
    tdn(c.height_max == null ? '—' : h('a', { href: link.block(id, String(c.height_max)) }, n(c.height_max))),
    tdn(n(c.blocks)), tdn(n(c.txs)), tdn(n(c.addresses)), td(time(c.time_min)), td(time(c.time_max)))));
}

export const keepFocus = true;  // the search box has the focus

export async function render(main) {
  const info = serverInfo();
  const chains = storeChains();
  const incidents = h('div', { 'aria-live': 'polite' });
  const cases = h('div');
  mount(main,
    h('h1', 'sleuth'),
    h('p.hint', 'Search an address, a transaction hash, a block hash or height, a cluster id or an incident name above; ',
      'every chain of the store is tried.'),
    section('Store', storeTable(chains),
      info?.server ? h('p.hint', `Server ${info.server.version}; exposure screening ${info.server.screening
        ? 'available' : 'not available (sleuth exposure build --store DIR)'}.`) : null),
    h('div.grid2', section('Incident library', incidents), section('Recent cases', cases)));
  document.getElementById('search-box')?.focus();

  load(incidents, async () => {
    const doc = await get('/v1/incidents');
    const list = byDateDesc(doc.incidents || []);
    if (!list.length) return notice('info', 'The incident library is empty.');
    return [
      table(['incident', 'date', 'chains'], list.slice(0, 20).map((i) => h('tr',
        td(h('a', { href: link.incident(i.id) }, i.name || i.id)), td(h('span.nowrap', i.date || '—')), td(chainList(i.chains))))),
      h('p', h('a', { href: '#/incidents' }, `All ${list.length} incidents →`)),
    ];
  }, 'the incident library');

  try {
    const doc = await get('/v1/cases');
    const list = (doc.cases || []).slice().sort((a, b) => (b.updated || 0) - (a.updated || 0)).slice(0, 10);
    mount(cases, list.length ? [
      table(['case', 'updated', 'author'], list.map((c) => h('tr', { 'data-case-id': c.id },
        td(h('a', { href: link.case(c.id) }, c.title || c.id)), td(fmtTime(c.updated)), td(c.author || '—')))),
      h('p', h('a', { href: '#/cases' }, 'All cases →')),
    ] : notice('info', 'No case saved yet: open a trace and save it as a case.'));
  } catch (e) {
    if (e.status === 404) cases.closest('section')?.remove();
    else mount(cases, notice('error', errText(e, 'Cannot list the cases')));
  }
}
